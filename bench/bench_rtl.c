/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_rtl.c - cost of the Verilated RTL IOTLB against the native C TLB on
 * the same replays, as ratios.
 *
 * Two generated NVMe traces (written to a temp dir first): "dynamic" (each
 * I/O maps and unmaps its buffer, strict invalidation: like the bundled
 * nvme.trace.gz) and "pool" (a static pool of 8192 pages: the TLB misses
 * and evicts).  For each:
 *  1. whole replay, CPU seconds of the simulation thread (the trace decoder
 *     thread, the same for all, is left out; best of R runs): native, with
 *     `--tlb-impl rtl` (RTL in place of the C TLB) and `--tlb-impl
 *     lockstep` (C TLB plus the RTL compared on every operation); the
 *     slowdown ratios against native, and a check that rtl gives the same
 *     statistics;
 *  2. the TLB alone: the replay's stream of TLB operations is recorded,
 *     then applied to a fresh native cache and to a fresh cache with the
 *     RTL backend; ns per operation and the ratio, and RTL cycles per
 *     operation.
 * Usage: bench_rtl [IOS [RUNS]]   (default 20000 pool I/Os, 3 runs)
 */
#include "bench-util.h"
#include "cache.h"
#include "config.h"
#include "gen.h"
#include "replay.h"
#include "rtl.h"
#include "smmuv3.h"
#include "stats.h"
#include "trace.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what, const struct iom_err *e)
{
	fprintf(stderr, "bench_rtl: %s: %s\n", what, e->msg);
	exit(1);
}

static void gen(const char *path, uint64_t ios, uint64_t pool_pages)
{
	struct iom_err e = { 0 };
	struct iom_gen_nvme p;
	iom_gen_nvme_defaults(&p);
	p.ios = ios;
	p.pool_pages = pool_pages;
	struct iom_trace_writer *w = iom_trace_create(path, IOM_TRACE_BINARY, 1, &e);
	if (!w || iom_gen_nvme(&p, w, &e) || iom_trace_finish(w, &e))
		die(path, &e);
}

/* ---- recording the TLB's operations ---- */

struct rec {
	struct iom_cache_event *ev;
	size_t n, cap;
	struct iom_cache_cfg cfg;
};

static void rec_obs(void *ctx, const struct iom_cache *c, const struct iom_cache_event *ev)
{
	struct rec *r = ctx;
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 1 << 16;
		r->ev = realloc(r->ev, r->cap * sizeof(*r->ev));
		if (!r->ev)
			exit(1);
	}
	r->ev[r->n++] = *ev;
}

static int rec_hook(struct iom_cache *tlb, void *ctx, struct iom_err *err)
{
	struct rec *r = ctx;
	r->cfg = *iom_cache_config(tlb);
	iom_cache_set_observer(tlb, rec_obs, r);
	return 0;
}

/* ---- whole replays ---- */

struct outcome {
	double cpu_s;
	double xl, hits, walks, end_ps;
	uint64_t rtl_ops;
};

static void replay(const char *trace, const char *impl, struct rec *record, struct outcome *o)
{
	struct iom_err e = { 0 };
	struct iom_rtl_session *s = NULL;
	if (impl && !(s = iom_rtl_session_begin(impl, NULL, &e)))
		die(impl, &e);
	if (record)
		iom_smmu_set_tlb_hook(rec_hook, record);
	struct iom_config *cfg = iom_config_create_default();
	struct iom_system *sys = cfg ? iom_system_build(cfg, &e) : NULL;
	if (!sys)
		die("system", &e);
	if (record)
		iom_smmu_set_tlb_hook(NULL, NULL);
	struct iom_replay_opts ro = { .trace_path = trace };
	struct iom_replay_result res;
	double c0 = bench_clock_s(CLOCK_THREAD_CPUTIME_ID);
	if (iom_replay_run(sys, &ro, &res, &e))
		die(trace, &e);
	o->cpu_s = bench_clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
	struct iom_stats *st = iom_system_stats(sys);
	iom_stats_get(st, NULL, "smmu0.translations", &o->xl);
	iom_stats_get(st, NULL, "smmu0.tlb.hits", &o->hits);
	iom_stats_get(st, NULL, "smmu0.walks", &o->walks);
	o->end_ps = (double)res.end_ps;
	if (s && iom_rtl_session_check(s, NULL, &e))
		die("lockstep", &e);
	iom_system_destroy(sys);
	iom_rtl_session_end(s);
	iom_config_destroy(cfg);
}

static double best_of(const char *trace, const char *impl, int runs, struct outcome *o)
{
	double best = 1e30;
	for (int i = 0; i < runs; i++) {
		replay(trace, impl, NULL, o);
		if (o->cpu_s < best)
			best = o->cpu_s;
	}
	o->cpu_s = best;
	return best;
}

/* ---- the TLB alone ---- */

static double apply_stream(const struct rec *r, bool rtl, uint64_t *cycles)
{
	struct iom_err e = { 0 };
	struct iom_cache *c = iom_cache_create("bench.tlb", &r->cfg, 40, 1000, &e);
	if (!c || (rtl && iom_rtl_cache_attach(c, &e)))
		die("cache", &e);
	double c0 = bench_clock_s(CLOCK_THREAD_CPUTIME_ID);
	for (size_t i = 0; i < r->n; i++)
		iom_rtl_event_apply(c, &r->ev[i]);
	double t = bench_clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
	if (rtl)
		*cycles = iom_rtl_tlb_cycles(iom_rtl_cache_tlb(c));
	iom_cache_destroy(c);
	return t;
}

static void bench(const char *label, const char *trace, int runs)
{
	struct outcome nat, rtl, ls;
	struct rec r = { 0 };
	replay(trace, NULL, &r, &nat); /* also records the TLB's operation stream */
	best_of(trace, NULL, runs, &nat);
	best_of(trace, "rtl", runs, &rtl);
	best_of(trace, "lockstep", 1, &ls);
	bool same = nat.xl == rtl.xl && nat.hits == rtl.hits && nat.walks == rtl.walks &&
		    nat.end_ps == rtl.end_ps;
	printf("%-8s %.0f translations, %.1f %% TLB hits, %zu TLB operations; rtl statistics %s\n",
	       label, nat.xl, nat.xl ? 100 * nat.hits / nat.xl : 0, r.n,
	       same ? "identical" : "DIFFER");
	printf("%-8s whole replay, simulation-thread CPU s (best of %d): native %.3f, "
	       "rtl %.3f (x%.2f), "
	       "lockstep %.3f (x%.2f)\n",
	       label, runs, nat.cpu_s, rtl.cpu_s, rtl.cpu_s / nat.cpu_s, ls.cpu_s,
	       ls.cpu_s / nat.cpu_s);
	uint64_t cycles = 0;
	double tn = 1e30, tr = 1e30;
	for (int i = 0; i < runs; i++) {
		double a = apply_stream(&r, false, &cycles), b = apply_stream(&r, true, &cycles);
		tn = a < tn ? a : tn;
		tr = b < tr ? b : tr;
	}
	printf("%-8s TLB alone: native %.1f ns/op, rtl %.1f ns/op (x%.1f), %.2f RTL cycles/op, "
	       "%.1f M RTL cycles/s\n",
	       label, 1e9 * tn / r.n, 1e9 * tr / r.n, tr / tn, (double)cycles / r.n,
	       cycles / tr / 1e6);
	free(r.ev);
	if (!same)
		exit(1);
}

int main(int argc, char **argv)
{
	uint64_t ios = argc > 1 ? strtoull(argv[1], NULL, 0) : 20000;
	int runs = argc > 2 ? atoi(argv[2]) : 3;
	if (!iom_rtl_available()) {
		fprintf(stderr, "bench_rtl: this build has no RTL models\n");
		return 1;
	}
	char dir[] = "/tmp/iom-bench-rtl-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char dyn[64], pool[64];
	snprintf(dyn, sizeof(dyn), "%s/dynamic.trace.gz", dir);
	snprintf(pool, sizeof(pool), "%s/pool.trace.gz", dir);
	gen(dyn, ios, 0);
	gen(pool, ios, 8192);
	printf("bench_rtl: default system (TLB 2048 entries, 8 ways, LRU); dynamic: %" PRIu64
	       " I/Os mapped and unmapped (strict); pool: %" PRIu64 " I/Os over 8192 pages\n",
	       ios, ios);
	bench("dynamic", dyn, runs);
	bench("pool", pool, runs);
	unlink(dyn);
	unlink(pool);
	rmdir(dir);
	return 0;
}
