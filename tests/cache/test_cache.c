/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_cache.c - the generic cache: replacement sequences worked out by hand
 * for every policy, invalidation, stats, validation and port timing.
 *
 * Notation: letters are keys (addr = the ASCII code, tag 0).  step() does
 * what a model does on an access: lookup, and on a miss insert; it returns
 * HIT, FILL (miss, free way used) or the evicted key's addr.
 */
#include "cache.h"
#include "config.h"
#include "stats.h"

#include <criterion/criterion.h>
#include <string.h>

#define HIT (-1)
#define FILL (-2)

static struct iom_cache *mk_cache(uint32_t entries, uint32_t ways, uint32_t policy, uint64_t seed)
{
	struct iom_cache_cfg cfg = { .entries = entries, .ways = ways, .policy = policy,
				     .latency_cycles = 2, .ports = 1, .seed = seed };
	struct iom_err e = { 0 };
	struct iom_cache *c = iom_cache_create("t", &cfg, sizeof(uint64_t), 1000, &e);
	cr_assert_not_null(c, "%s", e.msg);
	return c;
}

static long step(struct iom_cache *c, uint64_t addr)
{
	struct iom_cache_key k = { .addr = addr, .tag = 0 }, v = { 0 };
	bool ev = true;
	if (iom_cache_lookup(c, &k))
		return HIT;
	cr_assert_not_null(iom_cache_insert(c, &k, &addr, &v, &ev));
	return ev ? (long)v.addr : FILL;
}

/* Run seq through c and compare each outcome with want[]. */
static void run(struct iom_cache *c, const char *seq, const long *want)
{
	for (size_t i = 0; seq[i]; i++)
		cr_assert_eq(step(c, (uint64_t)seq[i]), want[i], "access %zu ('%c')", i, seq[i]);
}

static void expect_set(struct iom_cache *c, uint32_t set, const char *ways)
{
	for (uint32_t w = 0; ways[w]; w++) {
		struct iom_cache_key k;
		cr_assert(iom_cache_way(c, set, w, &k, NULL), "set %u way %u invalid", set, w);
		cr_assert_eq(k.addr, (uint64_t)ways[w], "set %u way %u holds '%c', want '%c'", set, w,
			     (char)k.addr, ways[w]);
	}
}

/* ---- replacement, 4-entry fully associative (ways = 0) ---- */

Test(cache, lru_fully_assoc_sequence)
{
	struct iom_cache *c = mk_cache(4, 0, IOM_CACHE_LRU, 1);
	/* A B C D fill w0..w3. A hits: age order (old->new) B C D A.
	 * E evicts B (w1) -> C D A E;  B evicts C (w2) -> D A E B;
	 * F evicts D (w3) -> A E B F;  C evicts A (w0) -> E B F C.
	 * Final ways: w0=C w1=E w2=B w3=F. */
	const long want[] = { FILL, FILL, FILL, FILL, HIT, 'B', 'C', 'D', 'A' };
	run(c, "ABCDAEBFC", want);
	expect_set(c, 0, "CEBF");
	const struct iom_cache_stats *s = iom_cache_stats(c);
	cr_assert_eq(s->lookups, 9);
	cr_assert_eq(s->hits, 1);
	cr_assert_eq(s->misses, 8);
	cr_assert_eq(s->fills, 8);
	cr_assert_eq(s->evictions, 4);
	cr_assert_eq(iom_cache_valid(c), 4);
	iom_cache_destroy(c);
}

Test(cache, fifo_ignores_hits_unlike_lru)
{
	struct iom_cache *c = mk_cache(4, 0, IOM_CACHE_FIFO, 1);
	/* Same sequence as the LRU test. Insertion order A B C D; the hit on A
	 * changes nothing, so E evicts A (w0) -> B C D E; B still present: hit;
	 * F evicts B (w1) -> C D E F; C still present: hit.
	 * Final w0=E w1=F w2=C w3=D; 3 hits (LRU had 1). */
	const long want[] = { FILL, FILL, FILL, FILL, HIT, 'A', HIT, 'B', HIT };
	run(c, "ABCDAEBFC", want);
	expect_set(c, 0, "EFCD");
	cr_assert_eq(iom_cache_stats(c)->hits, 3);
	cr_assert_eq(iom_cache_stats(c)->evictions, 2);
	iom_cache_destroy(c);
}

Test(cache, tree_plru_fully_assoc_sequence)
{
	struct iom_cache *c = mk_cache(4, 0, IOM_CACHE_PLRU, 1);
	/* Bits (b1 root, b2 for w0/w1, b3 for w2/w3), 0 = victim on the left.
	 * Touch w sets bits on its path to point away.  Start 000.
	 * A->w0: b1=1 b2=1 (110).  B->w1: b1=1 b2=0 (100).
	 * C->w2: b1=0 b3=1 (001).  D->w3: b1=0 b3=0 (000).
	 * A hit w0: (110).  E: b1=1 -> right, b3=0 -> w2 (C); touch w2: (011).
	 * B hit w1: b1=1 b2=0 (101).  F: right, b3=1 -> w3 (D); touch w3: (000).
	 * C: b1=0 -> left, b2=0 -> w0 (A); touch w0: (110).
	 * G: b1=1 -> right, b3=0 -> w2 (E).
	 * (True LRU would have evicted B at E.) */
	const long want[] = { FILL, FILL, FILL, FILL, HIT, 'C', HIT, 'D', 'A', 'E' };
	run(c, "ABCDAEBFCG", want);
	expect_set(c, 0, "CBGF");
	cr_assert_eq(iom_cache_stats(c)->hits, 2);
	iom_cache_destroy(c);
}

Test(cache, flush_all_empties_cache_when_set_full)
{
	struct iom_cache *c = mk_cache(4, 0, IOM_CACHE_FLUSH_ALL, 1);
	/* A..D fill; E finds the set full: flush (4 entries dropped), E -> w0,
	 * reported victim = old w0 (A). F G H fill w1..w3, I flushes again. */
	const long want[] = { FILL, FILL, FILL, FILL, 'A', FILL, FILL, FILL, 'E' };
	run(c, "ABCDEFGHI", want);
	const struct iom_cache_stats *s = iom_cache_stats(c);
	cr_assert_eq(s->flushes, 2);
	cr_assert_eq(s->evictions, 8);
	cr_assert_eq(iom_cache_valid(c), 1);
	expect_set(c, 0, "I");
	cr_assert_null(iom_cache_peek(c, &(struct iom_cache_key){ 'H', 0 }));
	iom_cache_destroy(c);
}

Test(cache, flush_all_two_sets_flushes_other_sets_too)
{
	struct iom_cache *c = mk_cache(4, 2, IOM_CACHE_FLUSH_ALL, 1);
	/* sets = 2, set = addr % 2. 0, 2 fill set 0; 1 fills set 1 way 0.
	 * 4 -> set 0 full -> whole cache flushed (3 entries), 4 in set 0 way 0. */
	const long want[] = { FILL, FILL, FILL, 0 };
	const char seq[] = { 0, 2, 1, 4, 0 };
	for (int i = 0; i < 4; i++)
		cr_assert_eq(step(c, (uint64_t)seq[i]), want[i], "access %d", i);
	cr_assert_eq(iom_cache_stats(c)->flushes, 1);
	cr_assert_eq(iom_cache_stats(c)->evictions, 3);
	cr_assert_eq(iom_cache_valid(c), 1);
	cr_assert_null(iom_cache_peek(c, &(struct iom_cache_key){ 1, 0 }));
	struct iom_cache_key k;
	cr_assert(iom_cache_way(c, 0, 0, &k, NULL));
	cr_assert_eq(k.addr, 4);
	iom_cache_destroy(c);
}

/* ---- 2 sets x 2 ways: LRU and PLRU (2-way PLRU is exact LRU) ---- */

static void two_by_two(uint32_t policy)
{
	struct iom_cache *c = mk_cache(4, 2, policy, 1);
	cr_assert_eq(iom_cache_sets(c), 2);
	cr_assert_eq(iom_cache_ways(c), 2);
	/* set = addr % 2.  0 -> s0w0, 2 -> s0w1, 4: s0 full, LRU is 0 (w0) -> w0=4;
	 * 0: victim 2 (w1) -> w1=0;  1 -> s1w0, 3 -> s1w1 (set 0 untouched);
	 * 5: s1 victim 1 (w0) -> w0=5;  4 hits in s0;  7: s1 victim 3 (w1).
	 * Final s0 = [4, 0], s1 = [5, 7]. */
	const uint64_t seq[] = { 0, 2, 4, 0, 1, 3, 5, 4, 7 };
	const long want[] = { FILL, FILL, 0, 2, FILL, FILL, 1, HIT, 3 };
	for (size_t i = 0; i < IOM_ARRAY_SIZE(seq); i++)
		cr_assert_eq(step(c, seq[i]), want[i], "access %zu", i);
	const char s0[] = { 4, 0, 0 }, s1[] = { 5, 7, 0 };
	/* expect_set stops at a NUL, so check way 1 of set 0 (key 0) by hand. */
	struct iom_cache_key k;
	cr_assert(iom_cache_way(c, 0, 0, &k, NULL));
	cr_assert_eq(k.addr, (uint64_t)s0[0]);
	cr_assert(iom_cache_way(c, 0, 1, &k, NULL));
	cr_assert_eq(k.addr, (uint64_t)s0[1]);
	expect_set(c, 1, s1);
	iom_cache_destroy(c);
}

Test(cache, lru_two_sets_two_ways_sequence) { two_by_two(IOM_CACHE_LRU); }
Test(cache, plru_two_sets_two_ways_matches_lru) { two_by_two(IOM_CACHE_PLRU); }

Test(cache, fifo_two_sets_two_ways_sequence)
{
	struct iom_cache *c = mk_cache(4, 2, IOM_CACHE_FIFO, 1);
	/* 0 -> s0w0, 2 -> s0w1, 0 hits (no reorder), 4 evicts 0 (oldest fill)
	 * -> w0=4; 6 evicts 2 -> w1=6; set 1 untouched and empty. */
	const uint64_t seq[] = { 0, 2, 0, 4, 6 };
	const long want[] = { FILL, FILL, HIT, 0, 2 };
	for (size_t i = 0; i < IOM_ARRAY_SIZE(seq); i++)
		cr_assert_eq(step(c, seq[i]), want[i], "access %zu", i);
	cr_assert(!iom_cache_way(c, 1, 0, NULL, NULL));
	iom_cache_destroy(c);
}

/* ---- random ---- */

static void random_victims(uint64_t seed, uint32_t *out, int n)
{
	struct iom_cache *c = mk_cache(8, 0, IOM_CACHE_RANDOM, seed);
	for (uint64_t a = 0; a < 8; a++)
		step(c, 1000 + a);
	for (int i = 0; i < n; i++) {
		struct iom_cache_key k = { 2000 + (uint64_t)i, 0 }, v;
		bool ev = false;
		iom_cache_insert(c, &k, NULL, &v, &ev);
		cr_assert(ev);
		/* find the way the new key went to: the victim's way */
		uint32_t w;
		for (w = 0; w < 8; w++) {
			struct iom_cache_key got;
			if (iom_cache_way(c, 0, w, &got, NULL) && got.addr == k.addr)
				break;
		}
		cr_assert_lt(w, 8, "victim way in range");
		out[i] = w;
	}
	iom_cache_destroy(c);
}

Test(cache, random_is_deterministic_per_seed_and_in_range)
{
	uint32_t a[64], b[64], d[64];
	random_victims(42, a, 64);
	random_victims(42, b, 64);
	random_victims(43, d, 64);
	cr_assert_arr_eq(a, b, sizeof(a), "same seed, same victims");
	/* Two independent 64-draw sequences over 8 ways agree with probability
	 * 8^-64: different seeds must differ somewhere. */
	cr_assert(memcmp(a, d, sizeof(a)) != 0);
	/* Over 64 draws every one of 8 ways appears with overwhelming
	 * probability (miss chance < 8 * (7/8)^64 ~ 0.0015 for this fixed seed). */
	unsigned seen = 0;
	for (int i = 0; i < 64; i++)
		seen |= 1u << a[i];
	cr_assert_eq(seen, 0xff);
}

/* ---- insert semantics ---- */

Test(cache, insert_existing_key_overwrites_and_touches)
{
	struct iom_cache *c = mk_cache(4, 0, IOM_CACHE_LRU, 1);
	for (uint64_t a = 'A'; a <= 'D'; a++)
		step(c, a);
	uint64_t nv = 77;
	struct iom_cache_key k = { 'A', 0 };
	bool ev = true;
	uint64_t *v = iom_cache_insert(c, &k, &nv, NULL, &ev);
	cr_assert(!ev);
	cr_assert_eq(*v, 77);
	cr_assert_eq(iom_cache_stats(c)->fills, 4, "overwrite is not a fill");
	/* A was touched, so the LRU entry is now B. */
	cr_assert_eq(step(c, 'E'), 'B');
	iom_cache_destroy(c);
}

Test(cache, invalid_ways_fill_first_lowest_index)
{
	struct iom_cache *c = mk_cache(4, 0, IOM_CACHE_LRU, 1);
	for (uint64_t a = 'A'; a <= 'D'; a++)
		step(c, a);
	cr_assert_eq(iom_cache_invalidate(c, &(struct iom_cache_key){ 'C', 0 }), 1);
	cr_assert_eq(iom_cache_invalidate(c, &(struct iom_cache_key){ 'B', 0 }), 1);
	/* LRU would pick A, but w1 and w2 are free: E -> w1, F -> w2. */
	cr_assert_eq(step(c, 'E'), FILL);
	cr_assert_eq(step(c, 'F'), FILL);
	expect_set(c, 0, "AEFD");
	iom_cache_destroy(c);
}

Test(cache, peek_changes_neither_lru_nor_stats)
{
	struct iom_cache *c = mk_cache(4, 0, IOM_CACHE_LRU, 1);
	for (uint64_t a = 'A'; a <= 'D'; a++)
		step(c, a);
	uint64_t *v = iom_cache_peek(c, &(struct iom_cache_key){ 'A', 0 });
	cr_assert_not_null(v);
	cr_assert_eq(*v, 'A', "value stored by step()");
	cr_assert_eq(iom_cache_stats(c)->lookups, 4);
	cr_assert_eq(step(c, 'E'), 'A', "A still least recently used");
	iom_cache_destroy(c);
}

Test(cache, tag_must_match_for_a_hit)
{
	struct iom_cache *c = mk_cache(4, 0, IOM_CACHE_LRU, 1);
	struct iom_cache_key k1 = { 0x1000, 1 }, k2 = { 0x1000, 2 };
	uint64_t v1 = 11, v2 = 22;
	iom_cache_insert(c, &k1, &v1, NULL, NULL);
	cr_assert_null(iom_cache_lookup(c, &k2));
	iom_cache_insert(c, &k2, &v2, NULL, NULL);
	cr_assert_eq(*(uint64_t *)iom_cache_lookup(c, &k1), 11);
	cr_assert_eq(*(uint64_t *)iom_cache_lookup(c, &k2), 22);
	cr_assert_eq(iom_cache_valid(c), 2);
	iom_cache_destroy(c);
}

Test(cache, disabled_cache_misses_and_drops_inserts)
{
	struct iom_cache *c = mk_cache(0, 0, IOM_CACHE_LRU, 1);
	struct iom_cache_key k = { 1, 1 };
	uint64_t v = 5;
	bool ev = true;
	cr_assert_null(iom_cache_insert(c, &k, &v, NULL, &ev));
	cr_assert(!ev);
	cr_assert_null(iom_cache_lookup(c, &k));
	cr_assert_eq(iom_cache_stats(c)->misses, 1);
	cr_assert_eq(iom_cache_sets(c), 0);
	cr_assert_eq(iom_cache_invalidate_range(c, 0, 0, 0, UINT64_MAX), 0);
	cr_assert_eq(iom_cache_flush(c), 0);
	iom_cache_destroy(c);
}

Test(cache, wide_and_odd_way_counts_find_every_entry)
{
	/* 24 entries x 12 ways = 2 sets; 0..23 put 12 keys in each set, so the
	 * cache is exactly full: all 24 hit, 24 (never inserted) misses. */
	struct iom_cache *c = mk_cache(24, 12, IOM_CACHE_LRU, 1);
	for (uint64_t a = 0; a < 24; a++)
		cr_assert_eq(step(c, a), FILL);
	for (uint64_t a = 0; a < 24; a++)
		cr_assert_not_null(iom_cache_lookup(c, &(struct iom_cache_key){ a, 0 }), "key %lu",
				   (unsigned long)a);
	cr_assert_null(iom_cache_lookup(c, &(struct iom_cache_key){ 24, 0 }));
	iom_cache_destroy(c);
	/* 200-entry fully associative LRU: keys k*4099+1 (scattered), then one
	 * more key evicts the least recently used, the first one. */
	c = mk_cache(200, 0, IOM_CACHE_LRU, 1);
	for (uint64_t i = 0; i < 200; i++)
		cr_assert_eq(step(c, i * 4099 + 1), FILL);
	for (uint64_t i = 0; i < 200; i++)
		cr_assert_not_null(iom_cache_peek(c, &(struct iom_cache_key){ i * 4099 + 1, 0 }));
	cr_assert_eq(step(c, 7), 1);
	cr_assert_eq(iom_cache_valid(c), 200);
	iom_cache_destroy(c);
}

/* ---- invalidation ---- */

static struct iom_cache *mk_inval(void)
{
	struct iom_cache *c = mk_cache(8, 0, IOM_CACHE_LRU, 1);
	const struct iom_cache_key keys[] = { { 10, 0x101 }, { 11, 0x102 }, { 12, 0x201 },
					      { 20, 0x101 }, { 11, 0x301 } };
	for (size_t i = 0; i < IOM_ARRAY_SIZE(keys); i++) {
		uint64_t v = i;
		iom_cache_insert(c, &keys[i], &v, NULL, NULL);
	}
	return c;
}

Test(cache, invalidate_by_key_drops_exactly_one)
{
	struct iom_cache *c = mk_inval();
	cr_assert_eq(iom_cache_invalidate(c, &(struct iom_cache_key){ 11, 0x102 }), 1);
	cr_assert_eq(iom_cache_invalidate(c, &(struct iom_cache_key){ 11, 0x102 }), 0);
	cr_assert_not_null(iom_cache_peek(c, &(struct iom_cache_key){ 11, 0x301 }));
	cr_assert_eq(iom_cache_valid(c), 4);
	cr_assert_eq(iom_cache_stats(c)->invalidated, 1);
	iom_cache_destroy(c);
}

static bool tag_high_is_1(const struct iom_cache_key *k, const void *value, void *ctx)
{
	(*(int *)ctx)++;
	return k->tag >> 8 == 1;
}

Test(cache, invalidate_range_and_predicate_counts)
{
	struct iom_cache *c = mk_inval();
	/* tag & 0xff == 0x01 and 10 <= addr <= 12:
	 * (10,0x101) yes; (11,0x102) tag no; (12,0x201) yes; (20,0x101) addr no;
	 * (11,0x301) yes -> 3 dropped, 2 left. */
	cr_assert_eq(iom_cache_invalidate_range(c, 0x001, 0xff, 10, 12), 3);
	cr_assert_eq(iom_cache_valid(c), 2);
	cr_assert_not_null(iom_cache_peek(c, &(struct iom_cache_key){ 11, 0x102 }));
	cr_assert_not_null(iom_cache_peek(c, &(struct iom_cache_key){ 20, 0x101 }));
	/* Predicate tag>>8 == 1 matches both survivors; called once per valid entry. */
	int calls = 0;
	cr_assert_eq(iom_cache_invalidate_if(c, tag_high_is_1, &calls), 2);
	cr_assert_eq(calls, 2);
	cr_assert_eq(iom_cache_valid(c), 0);
	cr_assert_eq(iom_cache_stats(c)->invalidated, 5);
	iom_cache_destroy(c);
}

static bool value_is_odd(const struct iom_cache_key *k, const void *value, void *ctx)
{
	return *(const uint64_t *)value & 1;
}

Test(cache, predicate_sees_values_and_flush_counts_invalidated)
{
	struct iom_cache *c = mk_inval(); /* values 0..4 -> odd: 1, 3 */
	cr_assert_eq(iom_cache_invalidate_if(c, value_is_odd, NULL), 2);
	cr_assert_eq(iom_cache_flush(c), 3);
	cr_assert_eq(iom_cache_stats(c)->invalidated, 5);
	cr_assert_eq(iom_cache_stats(c)->flushes, 0, "explicit flush is not a capacity flush");
	iom_cache_destroy(c);
}

/* ---- values ---- */

Test(cache, values_are_copied_in_and_writable)
{
	struct iom_cfg_like {
		uint32_t a, b, c;
	} in = { 1, 2, 3 };
	struct iom_cache_cfg cfg = { .entries = 16, .ways = 4, .policy = IOM_CACHE_LRU, .ports = 1 };
	struct iom_cache *c = iom_cache_create("v", &cfg, sizeof(in), 1000, NULL);
	cr_assert_not_null(c);
	struct iom_cache_key k = { 5, 9 };
	iom_cache_insert(c, &k, &in, NULL, NULL);
	in.a = 100; /* the cache has its own copy */
	struct iom_cfg_like *v = iom_cache_lookup(c, &k);
	cr_assert_eq(v->a, 1);
	cr_assert_eq(v->c, 3);
	v->b = 42;
	cr_assert_eq(((struct iom_cfg_like *)iom_cache_peek(c, &k))->b, 42);
	cr_assert_eq(iom_cache_set_of(c, &k), 1, "5 mod 4 sets");
	iom_cache_destroy(c);
}

/* ---- timing ---- */

Test(cache, one_port_serialises_lookups)
{
	struct iom_cache *c = mk_cache(4, 0, IOM_CACHE_LRU, 1); /* 2 cycles, 1 port, 1000 ps */
	/* 1000 MHz -> 1000 ps period; 2 cycles = 2000 ps; one port held for the
	 * whole lookup: starts 0, 2000, 4000 -> done 2000, 4000, 6000. */
	cr_assert_eq(iom_cache_latency_ps(c), 2000);
	cr_assert_eq(iom_cache_access_ps(c, 0), 2000);
	cr_assert_eq(iom_cache_access_ps(c, 0), 4000);
	cr_assert_eq(iom_cache_access_ps(c, 0), 6000);
	/* Arriving after the port is free: no wait. */
	cr_assert_eq(iom_cache_access_ps(c, 10000), 12000);
	iom_cache_destroy(c);
}

Test(cache, two_ports_serve_two_lookups_at_once)
{
	struct iom_cache_cfg cfg = { .entries = 4, .policy = IOM_CACHE_LRU, .latency_cycles = 3,
				     .ports = 2 };
	uint64_t period = iom_mhz_to_period_ps(500); /* 2000 ps */
	struct iom_cache *c = iom_cache_create("p", &cfg, 8, period, NULL);
	cr_assert_not_null(c);
	/* 3 cycles x 2000 ps = 6000: two at once, the third waits to 6000. */
	cr_assert_eq(iom_cache_access_ps(c, 0), 6000);
	cr_assert_eq(iom_cache_access_ps(c, 0), 6000);
	cr_assert_eq(iom_cache_access_ps(c, 0), 12000);
	iom_cache_destroy(c);
}

/* ---- validation ---- */

struct bad_cfg {
	struct iom_cache_cfg cfg;
	size_t value_size;
	int code;
	const char *msg;
};

Test(cache, create_rejects_bad_configs_naming_the_cache)
{
	const struct bad_cfg cases[] = {
		{ { .entries = 10, .ways = 4, .ports = 1 }, 8, IOM_EINVAL, "not a multiple of ways 4" },
		{ { .entries = 4, .ways = 8, .ports = 1 }, 8, IOM_EINVAL, "entries 4" },
		{ { .entries = 6, .ways = 3, .policy = IOM_CACHE_PLRU, .ports = 1 }, 8, IOM_EINVAL,
		  "plru" },
		{ { .entries = 6, .ways = 0, .policy = IOM_CACHE_PLRU, .ports = 1 }, 8, IOM_EINVAL,
		  "got 6" },
		{ { .entries = 4, .policy = 5, .ports = 1 }, 8, IOM_EINVAL, "policy 5" },
		{ { .entries = 4, .ports = 0 }, 8, IOM_ERANGE, "ports 0" },
		{ { .entries = 4, .ports = 65 }, 8, IOM_ERANGE, "ports 65" },
		{ { .entries = 4, .ports = 1, .latency_cycles = 1001 }, 8, IOM_ERANGE, "1001" },
		{ { .entries = (1u << 24) + 4, .ways = 4, .ports = 1 }, 8, IOM_ERANGE, "16777220" },
		{ { .entries = 4, .ports = 1 }, IOM_CACHE_VALUE_MAX + 1, IOM_ERANGE, "value_size 65" },
	};
	for (size_t i = 0; i < IOM_ARRAY_SIZE(cases); i++) {
		struct iom_err e = { 0 };
		cr_assert_null(iom_cache_create("smmu.tlb", &cases[i].cfg, cases[i].value_size, 1000,
						&e), "case %zu", i);
		cr_assert_eq(e.code, cases[i].code, "case %zu: %s", i, e.msg);
		cr_assert_not_null(strstr(e.msg, "cache 'smmu.tlb'"), "case %zu: %s", i, e.msg);
		cr_assert_not_null(strstr(e.msg, cases[i].msg), "case %zu: %s", i, e.msg);
	}
}

Test(cache, props_describe_the_config_struct)
{
	cr_assert_str_eq(iom_cache_props[0].name, "entries");
	cr_assert_eq(iom_cache_props[0].max, 1u << 24);
	cr_assert_str_eq(iom_cache_props[2].name, "policy");
	cr_assert_eq(iom_cache_props[2].type, IOM_PROP_ENUM);
	cr_assert_str_eq(iom_cache_props[2].choices[IOM_CACHE_FLUSH_ALL], "flush_all");
	cr_assert_str_eq(iom_cache_props[2].choices[IOM_CACHE_PLRU], "plru");
	cr_assert_null(iom_cache_props[2].choices[5]);
	cr_assert_eq(iom_cache_props[4].min, 1);
	cr_assert_eq(iom_cache_props[4].max, 64);
	cr_assert_eq(iom_cache_props[5].offset, offsetof(struct iom_cache_cfg, seed));
}

Test(cache, config_resolves_fully_associative_ways)
{
	struct iom_cache *c = mk_cache(16, 0, IOM_CACHE_LRU, 1);
	cr_assert_eq(iom_cache_config(c)->ways, 16);
	cr_assert_eq(iom_cache_sets(c), 1);
	iom_cache_destroy(c);
}

/* ---- stats registry ---- */

Test(cache, register_stats_names_and_hit_rate)
{
	struct iom_cache *c = mk_cache(4, 0, IOM_CACHE_LRU, 1);
	struct iom_stats *s = iom_stats_create();
	struct iom_err e = { 0 };
	cr_assert_eq(iom_cache_register_stats(c, s, "smmu0.tlb", &e), 0, "%s", e.msg);
	/* A B A A: 4 lookups, hits on the 3rd and 4th -> hit rate 50%. */
	step(c, 'A');
	step(c, 'B');
	step(c, 'A');
	step(c, 'A');
	double v = -1;
	cr_assert_eq(iom_stats_get(s, NULL, "smmu0.tlb.lookups", &v), 0);
	cr_assert_eq(v, 4.0);
	cr_assert_eq(iom_stats_get(s, NULL, "smmu0.tlb.fills", &v), 0);
	cr_assert_eq(v, 2.0);
	cr_assert_eq(iom_stats_get(s, NULL, "smmu0.tlb.hit_rate", &v), 0);
	cr_assert_float_eq(v, 50.0, 1e-9);
	cr_assert_eq(iom_cache_register_stats(c, s, "smmu0.tlb", &e), -IOM_EEXIST);
	iom_stats_destroy(s);
	iom_cache_destroy(c);
}
