/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_replay.c - replay speed of the whole stack, single simulation thread
 * (the trace decoder runs ahead in its own thread, as in `iommusim replay`).
 *
 * Two synthetic binary traces, written to a temp dir first:
 *  hit   one device, 64 pages mapped, N 256-byte writes cycling over them:
 *        after the first 64, every translation is a TLB hit;
 *  walk  4096 pages mapped (more than the 2048-entry TLB), N 256-byte
 *        writes striding page by page: with LRU every translation misses the
 *        TLB and walks (the walk cache leaves one descriptor read each).
 * Prints translations/s (wall and CPU), records/s, and RSS growth per
 * million records.  Usage: bench_replay [N [hit|walk]]   (default 20,000,000, both)
 */
#include "bench-util.h"
#include "config.h"
#include "replay.h"
#include "stats.h"
#include "trace.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void put(struct iom_trace_writer *w, struct iom_rec *r)
{
	struct iom_err e;
	if (iom_trace_write(w, r, &e)) {
		fprintf(stderr, "bench_replay: %s\n", e.msg);
		exit(1);
	}
}

static void write_trace(const char *path, uint64_t pages, uint64_t n)
{
	struct iom_err e;
	struct iom_trace_writer *w = iom_trace_create(path, IOM_TRACE_BINARY, 1, &e);
	if (!w) {
		fprintf(stderr, "bench_replay: %s\n", e.msg);
		exit(1);
	}
	struct iom_rec r = {.kind = IOM_REC_DOMAIN, .present = IOM_F_OP | IOM_F_DOMAIN,
			    .op = IOM_OP_CREATE, .domain = 1};
	put(w, &r);
	r = (struct iom_rec){.kind = IOM_REC_ATTACH, .present = IOM_F_DEV | IOM_F_DOMAIN,
			     .dev = 0x100, .domain = 1};
	put(w, &r);
	r = (struct iom_rec){.kind = IOM_REC_MAP,
			     .present = IOM_F_DOMAIN | IOM_F_IOVA | IOM_F_SIZE | IOM_F_PA | IOM_F_PROT |
					IOM_F_PGSIZE,
			     .domain = 1, .iova = 1ull << 32, .size = pages * 4096,
			     .pa = 1ull << 33, .prot = IOM_PROT_R | IOM_PROT_W, .pgsize = 4096};
	put(w, &r);
	for (uint64_t i = 0; i < n; i++) {
		r = (struct iom_rec){.kind = IOM_REC_DMA,
				     .present = IOM_F_TIME | IOM_F_DEV | IOM_F_IOVA | IOM_F_SIZE |
						IOM_F_DIR,
				     .time_ps = i * 1000, .dev = 0x100,
				     .iova = (1ull << 32) + (i % pages) * 4096, .size = 256,
				     .dir = IOM_DIR_WRITE};
		put(w, &r);
	}
	if (iom_trace_finish(w, &e)) {
		fprintf(stderr, "bench_replay: %s\n", e.msg);
		exit(1);
	}
}

static void run(const char *label, const char *path, uint64_t n)
{
	struct iom_err e = {0};
	struct iom_config *cfg = iom_config_create_default();
	struct iom_system *sys = cfg ? iom_system_build(cfg, &e) : NULL;
	if (!sys) {
		fprintf(stderr, "bench_replay: %s\n", e.msg);
		exit(1);
	}
	struct iom_replay_opts o = {.trace_path = path};
	struct iom_replay_result res;
	long rss0 = bench_rss_kb();
	double w0 = bench_clock_s(CLOCK_MONOTONIC), c0 = bench_clock_s(CLOCK_PROCESS_CPUTIME_ID);
	if (iom_replay_run(sys, &o, &res, &e)) {
		fprintf(stderr, "bench_replay: %s\n", e.msg);
		exit(1);
	}
	double wall = bench_clock_s(CLOCK_MONOTONIC) - w0, cpu = bench_clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	long rss1 = bench_rss_kb();
	double xl = 0, hits = 0, walks = 0;
	iom_stats_get(iom_system_stats(sys), NULL, "smmu0.translations", &xl);
	iom_stats_get(iom_system_stats(sys), NULL, "smmu0.tlb.hits", &hits);
	iom_stats_get(iom_system_stats(sys), NULL, "smmu0.walks", &walks);
	printf("%-5s %llu records, %.0f translations (%.1f %% TLB hits, %.0f walks)\n", label,
	       (unsigned long long)res.records, xl, xl ? 100 * hits / xl : 0, walks);
	printf("%-5s %.2f M translations/s wall, %.2f M/s per CPU-second (decoder thread included),"
	       " %.2f M records/s\n",
	       label, xl / wall / 1e6, xl / cpu / 1e6, res.records / wall / 1e6);
	printf("%-5s RSS %ld kB before, %ld kB after: %.1f kB per million records\n", label, rss0,
	       rss1, (rss1 - rss0) / (n / 1e6));
	iom_system_destroy(sys);
	iom_config_destroy(cfg);
	(void)n;
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 20000000ull;
	char dir[] = "/tmp/iom-bench-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char hit[64], walk[64];
	snprintf(hit, sizeof(hit), "%s/hit.trace.gz", dir);
	snprintf(walk, sizeof(walk), "%s/walk.trace.gz", dir);
	printf("bench_replay: %llu DMA records per trace (256-byte writes, 1 TLP each)\n",
	       (unsigned long long)n);
	const char *only = argc > 2 ? argv[2] : "";
	bool do_hit = strcmp(only, "walk") != 0, do_walk = strcmp(only, "hit") != 0;
	if (do_hit) {
		write_trace(hit, 64, n);
		run("hit", hit, n);
		unlink(hit);
	}
	if (do_walk) {
		write_trace(walk, 4096, n / 4);
		run("walk", walk, n / 4);
		unlink(walk);
	}
	rmdir(dir);
	return 0;
}
