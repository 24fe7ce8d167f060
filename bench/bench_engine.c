/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_engine.c - the SystemC engine against the native one on the same
 * replay: slowdown as a ratio of CPU times (issue 11).
 *
 * Both engines run the same C models on the same trace and must give the same
 * result document (checked here too); the SystemC engine adds one wait() per
 * distinct record time (sim/systemc/engine.cpp).  Time is the CPU time of the
 * simulation thread (CLOCK_THREAD_CPUTIME_ID: the SystemC coroutines run on
 * it; the trace decoder's own thread is left out, it is the same for both).
 * Each case runs `reps` times per engine, alternating; the median is kept.
 *
 * Traces, written to a temp dir first (binary):
 *   nvme  `iommusim gen nvme` defaults with N/5 I/Os (map, DMAs, unmap per
 *         I/O: about 5 records per I/O), on SMMUv3 and on VT-d;
 *   hit   one device, 64 pages mapped, N 256-byte writes 1 ns apart: every
 *         translation a TLB hit, every record a new time -- the cheapest
 *         record natively, so the kernel's share is largest.
 * Usage: bench_engine [N [reps]]   (default N = 1,000,000 records, reps = 3)
 */
#include "bench-util.h"
#include "config.h"
#include "gen.h"
#include "replay.h"
#include "trace.h"

#ifdef IOM_HAVE_SYSTEMC
#include "iom_sc.h"
#endif

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef IOM_HAVE_SYSTEMC

static void die(const char *what, const struct iom_err *e)
{
	fprintf(stderr, "bench_engine: %s: %s\n", what, e->msg);
	exit(1);
}

static void put(struct iom_trace_writer *w, struct iom_rec *r)
{
	struct iom_err e;
	if (iom_trace_write(w, r, &e))
		die("write", &e);
}

static void write_hit_trace(const char *path, uint64_t n)
{
	struct iom_err e;
	struct iom_trace_writer *w = iom_trace_create(path, IOM_TRACE_BINARY, 1, &e);
	if (!w)
		die(path, &e);
	struct iom_rec r = {.kind = IOM_REC_DOMAIN, .present = IOM_F_OP | IOM_F_DOMAIN,
			    .op = IOM_OP_CREATE, .domain = 1};
	put(w, &r);
	r = (struct iom_rec){.kind = IOM_REC_ATTACH, .present = IOM_F_DEV | IOM_F_DOMAIN,
			     .dev = 0x100, .domain = 1};
	put(w, &r);
	r = (struct iom_rec){.kind = IOM_REC_MAP,
			     .present = IOM_F_DOMAIN | IOM_F_IOVA | IOM_F_SIZE | IOM_F_PA |
					IOM_F_PROT | IOM_F_PGSIZE,
			     .domain = 1, .iova = 1ull << 32, .size = 64 * 4096, .pa = 1ull << 33,
			     .prot = IOM_PROT_R | IOM_PROT_W, .pgsize = 4096};
	put(w, &r);
	for (uint64_t i = 0; i < n; i++) {
		r = (struct iom_rec){.kind = IOM_REC_DMA,
				     .present = IOM_F_TIME | IOM_F_DEV | IOM_F_IOVA | IOM_F_SIZE |
						IOM_F_DIR,
				     .time_ps = (i + 1) * 1000, .dev = 0x100,
				     .iova = (1ull << 32) + (i % 64) * 4096, .size = 256,
				     .dir = IOM_DIR_WRITE};
		put(w, &r);
	}
	if (iom_trace_finish(w, &e))
		die(path, &e);
}

static void write_nvme_trace(const char *path, uint64_t records)
{
	struct iom_err e;
	struct iom_gen_nvme p;
	iom_gen_nvme_defaults(&p);
	p.ios = records / 5 ? records / 5 : 1;
	struct iom_trace_writer *w = iom_trace_create(path, IOM_TRACE_BINARY, 1, &e);
	if (!w)
		die(path, &e);
	if (iom_gen_nvme(&p, w, &e) || iom_trace_finish(w, &e))
		die(path, &e);
}

struct run {
	double cpu_s;
	uint64_t records;
	char *json;
};

/* One replay; the result document is kept to compare the engines. */
static struct run replay(const char *trace, const char *vtd, bool systemc)
{
	struct iom_err e = {0};
	struct iom_config *cfg = iom_config_create_default();
	if (!cfg || (vtd && iom_config_set(cfg, vtd, &e)))
		die("config", &e);
	struct iom_system *sys = iom_system_build(cfg, &e);
	if (!sys)
		die("system", &e);
	struct iom_replay_opts o = {.trace_path = trace};
	struct iom_replay_result res;
	double t0 = bench_clock_s(CLOCK_THREAD_CPUTIME_ID);
	int r = systemc ? iom_sc_replay_run(sys, &o, &res, &e) : iom_replay_run(sys, &o, &res, &e);
	double t1 = bench_clock_s(CLOCK_THREAD_CPUTIME_ID);
	if (r)
		die(trace, &e);
	json_t *doc = iom_replay_result_json(sys, cfg, &res, trace);
	struct run out = {t1 - t0, res.records,
			  json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
						  JSON_REAL_PRECISION(10))};
	json_decref(doc);
	iom_system_destroy(sys);
	iom_config_destroy(cfg);
	return out;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void bench_case(const char *label, const char *trace, const char *vtd, int reps)
{
	double tn[16], ts[16];
	uint64_t records = 0, waits0, waits = 0;
	bool same = true;
	struct iom_sc_info in;
	for (int i = 0; i < reps; i++) {
		struct run n = replay(trace, vtd, false);
		iom_sc_query(&in);
		waits0 = in.waits;
		struct run s = replay(trace, vtd, true);
		iom_sc_query(&in);
		waits = in.waits - waits0;
		same = same && !strcmp(n.json, s.json);
		tn[i] = n.cpu_s;
		ts[i] = s.cpu_s;
		records = n.records;
		free(n.json);
		free(s.json);
	}
	double mn = median(tn, reps), ms = median(ts, reps);
	printf("%-12s %10llu %10.3f %10.3f %9.2f %8.2f %8.3f   %s\n", label,
	       (unsigned long long)records, records / mn / 1e6, records / ms / 1e6,
	       (ms - mn) / (double)records * 1e9, ms / mn, (double)waits / (double)records,
	       same ? "yes" : "NO");
	if (!same)
		exit(1);
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 1000000;
	int reps = argc > 2 ? atoi(argv[2]) : 3;
	if (!n || reps < 1 || reps > 16) {
		fprintf(stderr, "usage: bench_engine [N [reps (1..16)]]\n");
		return 1;
	}
	char dir[] = "/tmp/bench_engine_XXXXXX", hit[64], nvme[64];
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(hit, sizeof(hit), "%s/hit.trace.gz", dir);
	snprintf(nvme, sizeof(nvme), "%s/nvme.trace.gz", dir);
	write_hit_trace(hit, n);
	write_nvme_trace(nvme, n);
	struct iom_err e = {0};
	if (iom_sc_init(&e))
		die("SystemC", &e);

	printf("SystemC engine vs native, same replay; simulation-thread CPU time, median of %d\n",
	       reps);
	printf("%-12s %10s %10s %10s %9s %8s %8s   %s\n", "case", "records", "native", "systemc",
	       "+ns/rec", "ratio", "waits", "identical");
	printf("%-12s %10s %10s %10s %9s %8s %8s\n", "", "", "M rec/s", "M rec/s", "", "sc/nat",
	       "/rec");
	bench_case("nvme smmuv3", nvme, NULL, reps);
	bench_case("nvme vtd", nvme, "system.iommu=vtd", reps);
	bench_case("hit smmuv3", hit, NULL, reps);
	iom_sc_finish();
	unlink(hit);
	unlink(nvme);
	rmdir(dir);
	return 0;
}

#else /* !IOM_HAVE_SYSTEMC */

int main(void)
{
	printf("bench_engine: this build has no SystemC engine (IOM_WITH_SYSTEMC=OFF)\n");
	return 0;
}

#endif
