/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report.c - what a replay prints: the human summary and the JSON result.
 *
 * Both read the stats registry by name, from the region-of-interest
 * snapshot difference when the trace marked one (phase op=roi), else from
 * the live values, so the summary and the JSON always agree.
 */
#include "replay-int.h"

#include "config.h"
#include "trace.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define RESULT_SCHEMA_VERSION 1

struct report {
	struct iom_system *s;
	struct iom_stats_snap *snap; /* ROI difference or NULL (live) */
	char iommu[32];
};

static double rep_get(const struct report *r, const char *fmt, const char *a)
{
	char n[128];
	double v = 0;
	snprintf(n, sizeof(n), fmt, a);
	iom_stats_get(r->s->stats, r->snap, n, &v);
	return v;
}

static struct iom_hist rep_hist(const struct report *r, const char *fmt, const char *a)
{
	char n[128];
	struct iom_hist h;
	iom_hist_init(&h);
	snprintf(n, sizeof(n), fmt, a);
	iom_stats_get_hist(r->s->stats, r->snap, n, &h);
	return h;
}

/* Sum a counter over every device ("dev.*.<field>"). */
static double rep_dev_sum(const struct report *r, const char *field)
{
	double sum = 0;
	uint64_t k, v;
	for (size_t it = 0; iom_u64map_next(&r->s->devices, &it, &k, &v);) {
		const struct iom_device *d = (const struct iom_device *)(uintptr_t)v;
		char n[128];
		double x = 0;
		snprintf(n, sizeof(n), "%s.%s", d->name, field);
		iom_stats_get(r->s->stats, r->snap, n, &x);
		sum += x;
	}
	return sum;
}

static void rep_time(FILE *f, double ps)
{
	if (ps >= 1e12)
		fprintf(f, "%.3f s", ps / 1e12);
	else if (ps >= 1e9)
		fprintf(f, "%.3f ms", ps / 1e9);
	else if (ps >= 1e6)
		fprintf(f, "%.3f us", ps / 1e6);
	else
		fprintf(f, "%.1f ns", ps / 1e3);
}

static void rep_hist_line(FILE *f, const char *label, const struct iom_hist *h)
{
	fprintf(f, "%s", label);
	if (!h->count) {
		fprintf(f, "none\n");
		return;
	}
	fprintf(f, "%llu, mean ", (unsigned long long)h->count);
	rep_time(f, (double)h->sum / h->count);
	fprintf(f, ", p50 ");
	rep_time(f, (double)iom_hist_percentile(h, 50));
	fprintf(f, ", p99 ");
	rep_time(f, (double)iom_hist_percentile(h, 99));
	fprintf(f, ", max ");
	rep_time(f, (double)h->max);
	fputc('\n', f);
}

/* True if name is "<iommu>.<middle><suffix>"; *mid, *mlen get the middle. */
static bool rep_match(const struct report *r, const char *name, const char *suffix,
		      const char **mid, size_t *mlen)
{
	size_t pl = strlen(r->iommu), nl = strlen(name), sl = strlen(suffix);
	if (nl <= pl + 1 + sl || strncmp(name, r->iommu, pl) || name[pl] != '.' ||
	    strcmp(name + nl - sl, suffix))
		return false;
	*mid = name + pl + 1;
	*mlen = nl - pl - 1 - sl;
	return true;
}

/* Every cache the IOMMU registered ("<iommu>.<cache>.lookups" / ".hits"),
 * in registration order, so SMMUv3 and VT-d report their own caches. */
static void rep_caches(FILE *f, const struct report *r)
{
	fprintf(f, "caches       ");
	int any = 0;
	const char *n, *mid;
	size_t ml;
	for (size_t i = 0; (n = iom_stats_name(r->s->stats, i)); i++) {
		if (!rep_match(r, n, ".lookups", &mid, &ml))
			continue;
		char base[128], hn[200];
		snprintf(base, sizeof(base), "%.*s", (int)ml, mid);
		snprintf(hn, sizeof(hn), "%s.%s.hits", r->iommu, base);
		double look = 0, hits = 0;
		iom_stats_get(r->s->stats, r->snap, n, &look);
		if (iom_stats_get(r->s->stats, r->snap, hn, &hits) || !look)
			continue;
		fprintf(f, "%s%s %.1f %% of %.0f", any++ ? ", " : "", base, 100.0 * hits / look,
			look);
	}
	fprintf(f, "%s\n", any ? " (hit rate of lookups)" : "no lookups");
}

/* Walks and descriptor reads by level, each IOMMU naming its levels
 * ("<iommu>.walk_reads_<level>": l0..l3 for VMSA, pml4e.. for VT-d). */
static void rep_walks(FILE *f, const struct report *r)
{
	fprintf(f, "walks        %.0f walks, %.0f descriptor reads (", rep_get(r, "%s.walks", r->iommu),
		rep_get(r, "%s.walk_reads", r->iommu));
	int any = 0;
	const char *n, *mid;
	size_t ml;
	for (size_t i = 0; (n = iom_stats_name(r->s->stats, i)); i++) {
		if (!rep_match(r, n, "", &mid, &ml) || strncmp(mid, "walk_reads_", 11))
			continue;
		double v = 0;
		iom_stats_get(r->s->stats, r->snap, n, &v);
		fprintf(f, "%s%.*s %.0f", any++ ? ", " : "", (int)ml - 11, mid + 11, v);
	}
	fprintf(f, "%s), %.0f config reads\n", any ? "" : "by level: none",
		rep_get(r, "%s.cfg_reads", r->iommu));
}

/* Every "<iommu>.fault.<NAME>" counter that is not zero. */
static void rep_faults(FILE *f, const struct report *r)
{
	fprintf(f, "faults       ");
	int any = 0;
	const char *n, *mid;
	size_t ml;
	for (size_t i = 0; (n = iom_stats_name(r->s->stats, i)); i++) {
		if (!rep_match(r, n, "", &mid, &ml) || strncmp(mid, "fault.", 6))
			continue;
		double v = 0;
		iom_stats_get(r->s->stats, r->snap, n, &v);
		if (v)
			fprintf(f, "%s%.*s %.0f", any++ ? ", " : "", (int)ml - 6, mid + 6, v);
	}
	fprintf(f, "%s\n", any ? "" : "none");
}

/* The fabric in one line: links used, TLPs and wire bytes each way, the
 * busiest link direction over the span, peer TLPs by path, and the request
 * TLPs' time in the fabric. */
static void rep_fabric(FILE *f, const struct report *r, double span)
{
	static const char *const dn[2] = {"up", "down"};
	const struct iom_pcie_fabric *fab = r->s->fabric;
	double tlps[2] = {0, 0}, wire[2] = {0, 0}, best = -1;
	const char *bname = "-";
	int bdir = 0;
	unsigned used = 0;
	for (uint32_t i = 0; i < fab->nlinks; i++) {
		const char *n = fab->links[i].name;
		if (!rep_get(r, "%s.up.tlps", n) && !rep_get(r, "%s.down.tlps", n))
			continue; /* not used (in the region of interest) */
		used++;
		for (int d = 0; d < 2; d++) {
			char k[64];
			snprintf(k, sizeof(k), "%%s.%s.tlps", dn[d]);
			tlps[d] += rep_get(r, k, n);
			snprintf(k, sizeof(k), "%%s.%s.wire_bytes", dn[d]);
			wire[d] += rep_get(r, k, n);
			snprintf(k, sizeof(k), "%%s.%s.busy_ps", dn[d]);
			double b = rep_get(r, k, n);
			if (b > best) {
				best = b;
				bname = n;
				bdir = d;
			}
		}
	}
	fprintf(f, "fabric       %u links used: %.0f TLPs up, %.0f down, %.0f wire bytes; ", used,
		tlps[0], tlps[1], wire[0] + wire[1]);
	if (used)
		fprintf(f, "busiest %s %s %.1f %% busy; ", bname, dn[bdir],
			span > 0 ? 100.0 * best / span : 0.0);
	fprintf(f, "peer TLPs %.0f direct, %.0f via the root complex; request TLP in the fabric ",
		rep_get(r, "pcie.fabric.%s", "direct_tlps"),
		rep_get(r, "pcie.fabric.%s", "redirected_tlps"));
	struct iom_hist h = rep_hist(r, "pcie.fabric.%s", "req_latency_ps");
	if (!h.count) {
		fprintf(f, "none\n");
		return;
	}
	fprintf(f, "mean ");
	rep_time(f, (double)h.sum / h.count);
	fprintf(f, ", p99 ");
	rep_time(f, (double)iom_hist_percentile(&h, 99));
	fputc('\n', f);
}

void iom_replay_print_summary(struct iom_system *s, const struct iom_replay_result *res,
			      const char *trace_path, FILE *f)
{
	struct report r = {.s = s};
	snprintf(r.iommu, sizeof(r.iommu), "%s", s->iommu.name);
	if (s->roi_start && s->roi_end)
		r.snap = iom_stats_snap_sub(s->roi_end, s->roi_start);
	fprintf(f, "iommusim %s: replay of %s (%s) on the %s system\n", IOM_VERSION_STRING,
		trace_path, res->trace_encoding == IOM_TRACE_BINARY ? "binary" : "text",
		s->iommu.ops->kind);
	fprintf(f, "records      %llu replayed (whole trace): %llu DMA, %llu control, %llu phase; %llu rejected",
		(unsigned long long)res->records, (unsigned long long)res->dma_records,
		(unsigned long long)res->control_records, (unsigned long long)res->phase_records,
		(unsigned long long)res->rejected);
	for (unsigned i = 0; i < IOM_REJ_MAX; i++)
		if (res->rejected_by[i])
			fprintf(f, " %s=%llu", iom_reject_reason_name(i),
				(unsigned long long)res->rejected_by[i]);
	if (res->malformed_skipped)
		fprintf(f, "; %llu malformed skipped", (unsigned long long)res->malformed_skipped);
	fputc('\n', f);
	if (r.snap) {
		fprintf(f, "             figures below cover the region of interest from ");
		rep_time(f, (double)res->roi_start_ps);
		fprintf(f, " (warm-up excluded)\n");
	}
	double span = (double)(res->end_ps - (r.snap ? res->roi_start_ps : res->first_ps));
	double bytes = rep_dev_sum(&r, "bytes");
	fprintf(f, "DMA          %.0f DMAs, %.0f bytes in %.0f TLPs; %.0f TLPs faulted\n",
		rep_dev_sum(&r, "dmas"), bytes, rep_dev_sum(&r, "tlps"),
		rep_dev_sum(&r, "faulted_tlps"));
	if (s->pcie)
		iom_pcie_checker_print_summary(s->pcie, f);
	if (s->fabric)
		rep_fabric(f, &r, span);
	fprintf(f, "time         ");
	rep_time(f, span);
	fprintf(f, " simulated; DMA throughput %.3f GB/s\n", span > 0 ? bytes / (span / 1e12) / 1e9 : 0);
	fprintf(f, "translations %.0f (%.0f bypassed)\n", rep_get(&r, "%s.translations", r.iommu),
		rep_get(&r, "%s.bypassed", r.iommu));
	rep_caches(f, &r);
	rep_walks(f, &r);
	struct iom_hist h = rep_hist(&r, "%s.hit_latency_ps", r.iommu);
	rep_hist_line(f, "hit path     ", &h);
	h = rep_hist(&r, "%s.miss_latency_ps", r.iommu);
	rep_hist_line(f, "miss path    ", &h);
	fprintf(f, "commands     %.0f commands, %.0f syncs; %.0f TLB entries invalidated\n",
		rep_get(&r, "%s.commands", r.iommu), rep_get(&r, "%s.syncs", r.iommu),
		rep_get(&r, "%s.tlbi_dropped", r.iommu));
	h = rep_hist(&r, "%s", "host.unmap_latency");
	rep_hist_line(f, "unmap wait   ", &h);
	rep_faults(f, &r);
	if (s->resv)
		iom_replay_resv_print_summary(s, r.snap, f);
	if (rep_get(&r, "%s", "dma_api.maps") || rep_get(&r, "%s", "dma_api.rejected")) {
		/* the DMA API of dmamap/dmaunmap records (replay_dmaapi.c) */
		struct iom_hist hm = rep_hist(&r, "%s", "dma_api.map_latency");
		struct iom_hist hu = rep_hist(&r, "%s", "dma_api.unmap_latency");
		struct iom_hist ha = rep_hist(&r, "%s", "dma_api.iova_alloc_ps");
		fprintf(f, "dma api      %.0f maps (%.0f iommu, %.0f direct, %.0f bounced), %.0f unmaps, "
			"%.0f refused; mean map ", rep_get(&r, "%s", "dma_api.maps"),
			rep_get(&r, "%s", "dma_api.maps_iommu"), rep_get(&r, "%s", "dma_api.maps_direct"),
			rep_get(&r, "%s", "dma_api.maps_bounce"), rep_get(&r, "%s", "dma_api.unmaps"),
			rep_get(&r, "%s", "dma_api.rejected"));
		rep_time(f, hm.count ? (double)hm.sum / hm.count : 0);
		fprintf(f, ", unmap ");
		rep_time(f, hu.count ? (double)hu.sum / hu.count : 0);
		double smax = 0; /* a high-water mark: the whole run's, not an ROI difference */
		iom_stats_get(s->stats, NULL, "dma_api.slots_used_max", &smax);
		fprintf(f, "; %.0f bytes bounced, %.0f slots at most; IOVA alloc mean ",
			rep_get(&r, "%s", "dma_api.bytes_to_dev") +
				rep_get(&r, "%s", "dma_api.bytes_from_dev"), smax);
		rep_time(f, ha.count ? (double)ha.sum / ha.count : 0);
		fputc('\n', f);
	}
	if (s->dirty)
		iom_sys_dirty_print_summary(s, r.snap, f);
	double xl = rep_dev_sum(&r, "tlps");
	fprintf(f, "speed        %.3f s wall, %.2f M records/s, %.2f M translations/s\n", res->wall_s,
		res->wall_s > 0 ? res->records / res->wall_s / 1e6 : 0,
		res->wall_s > 0 ? xl / res->wall_s / 1e6 : 0);
	iom_stats_snap_free(r.snap);
}

void *iom_replay_result_json(struct iom_system *s, struct iom_config *cfg,
			     const struct iom_replay_result *res, const char *trace_path)
{
	json_t *doc = json_object();
	json_object_set_new(doc, "schema", json_string("iommusim-result"));
	json_object_set_new(doc, "schema_version", json_integer(RESULT_SCHEMA_VERSION));
	json_object_set_new(doc, "iommusim_version", json_string(IOM_VERSION_STRING));
	json_t *tr = json_object();
	json_object_set_new(tr, "path", json_string(trace_path));
	json_object_set_new(tr, "encoding",
			    json_string(res->trace_encoding == IOM_TRACE_BINARY ? "binary" : "text"));
	json_object_set_new(tr, "records", json_integer((json_int_t)res->records));
	json_object_set_new(tr, "malformed_skipped", json_integer((json_int_t)res->malformed_skipped));
	json_object_set_new(doc, "trace", tr);
	json_object_set_new(doc, "config", (json_t *)iom_config_resolved_json(cfg));
	json_t *sum = json_object();
	json_object_set_new(sum, "first_ps", json_integer((json_int_t)res->first_ps));
	json_object_set_new(sum, "end_ps", json_integer((json_int_t)res->end_ps));
	json_object_set_new(sum, "has_roi", json_boolean(res->has_roi));
	json_object_set_new(sum, "roi_start_ps", json_integer((json_int_t)res->roi_start_ps));
	json_object_set_new(doc, "summary", sum);
	json_object_set_new(doc, "stats", (json_t *)iom_stats_to_json(s->stats, NULL));
	if (s->resv) /* usable IOVA lists per domain (replay_resv.c) */
		json_object_set_new(doc, "resv", (json_t *)iom_replay_resv_json(s));
	if (s->dirty)
		json_object_set_new(doc, "dirty", (json_t *)iom_sys_dirty_json(s));
	if (s->roi_start && s->roi_end) {
		struct iom_stats_snap *d = iom_stats_snap_sub(s->roi_end, s->roi_start);
		json_object_set_new(doc, "roi_stats", (json_t *)iom_stats_to_json(s->stats, d));
		iom_stats_snap_free(d);
	}
	return doc;
}
