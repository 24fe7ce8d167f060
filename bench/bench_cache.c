/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_cache.c - lookup throughput of the generic cache (models/cache) in
 * the shape of an SMMU TLB: 2048 entries, 8 ways, LRU, 16-byte values.
 *
 * Two figures: hit-dominated (every key resident, the replay hot path) and
 * miss/insert-dominated (keys drawn from 256x the capacity: lookup, and on a
 * miss insert with eviction).  Key sequences are precomputed so the loop
 * measures the cache, not the generator.  Single thread, wall-clock time.
 */
#include "config.h"
#include "cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define BENCH_KEYS (1u << 16)

static double bench_now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void bench_keys(struct iom_cache_key *k, uint64_t range)
{
	uint64_t x = 12345;
	for (uint32_t i = 0; i < BENCH_KEYS; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		k[i].addr = (x >> 33) % range;
		k[i].tag = 7; /* one context, as for a single-stream replay */
	}
}

/* Runs n accesses over keys; inserts on misses when `fill`. Returns rate. */
static double bench_run(struct iom_cache *c, const struct iom_cache_key *k, uint64_t n, bool fill,
			uint64_t *sink)
{
	uint64_t val[2] = { 1, 2 };
	double t0 = bench_now_s();
	for (uint64_t i = 0; i < n; i++) {
		const struct iom_cache_key *key = &k[i & (BENCH_KEYS - 1)];
		uint64_t *v = iom_cache_lookup(c, key);
		if (v)
			*sink += *v;
		else if (fill)
			iom_cache_insert(c, key, val, NULL, NULL);
	}
	return (double)n / (bench_now_s() - t0);
}

int main(void)
{
	struct iom_cache_cfg cfg = { .entries = 2048, .ways = 8, .policy = IOM_CACHE_LRU,
				     .latency_cycles = 1, .ports = 1, .seed = 1 };
	struct iom_err e = { 0 };
	struct iom_cache *c = iom_cache_create("bench.tlb", &cfg, 16, 1000, &e);
	struct iom_cache_key *k = malloc(BENCH_KEYS * sizeof(*k));
	if (!c || !k) {
		fprintf(stderr, "bench_cache: %s\n", e.msg);
		return 1;
	}
	uint64_t sink = 0, n = 50000000;
	uint64_t val[2] = { 3, 4 };

	bench_keys(k, 2048); /* 2048 consecutive pages: 8 per set, all resident */
	for (uint64_t a = 0; a < 2048; a++)
		iom_cache_insert(c, &(struct iom_cache_key){ a, 7 }, val, NULL, NULL);
	double hit_rate = bench_run(c, k, n, false, &sink);
	const struct iom_cache_stats *s = iom_cache_stats(c);
	printf("cache 2048x8 lru, hit-dominated  : %.1f M lookups/s (%.1f%% hits, %llu lookups)\n",
	       hit_rate / 1e6, 100.0 * (double)s->hits / (double)s->lookups,
	       (unsigned long long)s->lookups);

	iom_cache_destroy(c);
	c = iom_cache_create("bench.tlb", &cfg, 16, 1000, &e);
	bench_keys(k, 2048 * 256);
	n = 20000000;
	double miss_rate = bench_run(c, k, n, true, &sink);
	s = iom_cache_stats(c);
	printf("cache 2048x8 lru, miss/insert    : %.1f M lookups/s (%.1f%% hits, %llu inserts)\n",
	       miss_rate / 1e6, 100.0 * (double)s->hits / (double)s->lookups,
	       (unsigned long long)s->fills);
	printf("(sink %llu)\n", (unsigned long long)(sink & 1));
	iom_cache_destroy(c);
	free(k);
	return 0;
}
