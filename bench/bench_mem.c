/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_mem.c - speed and footprint of the sparse memory (models/mem).
 *
 * 1. Timed 64-bit reads per second (iom_mem_timed_rd64, the walker's call)
 *    over a working set of 1000 written pages at scattered addresses,
 *    addresses precomputed (random page, random 8-byte slot).
 * 2. Host memory per million simulated pages touched: VmRSS from
 *    /proc/self/status before and after writing one byte into each of
 *    BENCH_TOUCH pages, scaled to 10^6 pages (a 4 KB page costs at least
 *    4 KB, so ~3.9 GB per million is the floor).
 */
#include "bench-util.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_ADDRS (1u << 16)
#define BENCH_TOUCH (1u << 17) /* 131072 pages = 512 MB of simulated data */

static void bench_reads(struct iom_mem *m)
{
	uint64_t *pa = malloc(BENCH_ADDRS * sizeof(*pa)), x = 99, sink = 0, done = 0;
	int r = iom_mem_requester(m, "bench");
	for (uint64_t p = 0; p < 1000; p++) /* page p at 0x1_0000_0000 + p * 1 MB */
		iom_mem_wr64(m, 0x100000000ull + (p << 20), p);
	for (uint32_t i = 0; i < BENCH_ADDRS; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uint64_t page = (x >> 33) % 1000, slot = (x >> 20) & 511;
		pa[i] = 0x100000000ull + (page << 20) + slot * 8;
	}
	uint64_t n = 30000000;
	double t0 = bench_now_s();
	for (uint64_t i = 0; i < n; i++)
		sink += iom_mem_timed_rd64(m, r, pa[i & (BENCH_ADDRS - 1)], i, &done);
	double dt = bench_now_s() - t0;
	printf("mem timed_rd64, 1000-page working set: %.1f M reads/s (%llu reads, sink %llu)\n",
	       (double)n / dt / 1e6, (unsigned long long)n, (unsigned long long)(sink & 1));
	free(pa);
}

static void bench_rss(struct iom_mem *m)
{
	long before = bench_rss_kb();
	double t0 = bench_now_s();
	for (uint64_t p = 0; p < BENCH_TOUCH; p++) /* stride 3 pages: scattered PFNs */
		iom_mem_wr8(m, 0x4000000000ull + p * 3 * IOM_MEM_PAGE_SIZE, 1);
	double dt = bench_now_s() - t0;
	long after = bench_rss_kb();
	double per_m = (double)(after - before) / 1024.0 * (1e6 / BENCH_TOUCH);
	printf("mem touched %u pages in %.3f s: RSS +%ld KB -> %.0f MB per million pages "
	       "(floor %.0f MB)\n",
	       BENCH_TOUCH, dt, after - before, per_m, 1e6 * 4096 / 1048576.0);
}

int main(void)
{
	struct iom_mem_cfg cfg = { .addr_bits = 48, .dram_latency_ps = 80000,
				   .llc_latency_ps = 20000, .llc_hit_ratio = 0.3, .seed = 1 };
	struct iom_err e = { 0 };
	struct iom_mem *m = iom_mem_create(&cfg, &e);
	if (!m) {
		fprintf(stderr, "bench_mem: %s\n", e.msg);
		return 1;
	}
	bench_reads(m);
	bench_rss(m);
	printf("mem pages allocated: %llu\n", (unsigned long long)iom_mem_pages(m));
	iom_mem_destroy(m);
	return 0;
}
