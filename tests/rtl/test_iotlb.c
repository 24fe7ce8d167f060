/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_iotlb.c - the Verilated RTL IOTLB (models/rtl/iotlb.sv) driven
 * through rtl.h: replacement sequences worked out by hand for LRU and
 * tree-PLRU (the same sequences as tests/cache, so the RTL must agree with
 * the C model's documented behaviour), set index, tags, values,
 * invalidation by key, by range and by ways, flush, the capacity and
 * policy checks, and the RTL as the backend of a C cache.
 *
 * Notation as in tests/cache: letters are keys (addr = the ASCII code,
 * tag 0); step() looks a key up and fills it on a miss, returning HIT,
 * FILL (a free way) or the evicted key's addr.
 */
#include "cache.h"
#include "rtl.h"

#include <criterion/criterion.h>
#include <string.h>

#define HIT (-1)
#define FILL (-2)

static struct iom_rtl_tlb *mk(uint32_t sets, uint32_t ways, uint32_t policy)
{
	struct iom_err e = { 0 };
	struct iom_rtl_tlb *t = iom_rtl_tlb_create(sets, ways, policy, &e);
	cr_assert_not_null(t, "%s", e.msg);
	return t;
}

static struct iom_cache_key K(uint64_t addr)
{
	return (struct iom_cache_key){ .addr = addr, .tag = 0 };
}

static long step(struct iom_rtl_tlb *t, uint64_t addr, int *way)
{
	struct iom_cache_key k = K(addr), v = { 0, 0 };
	bool present, evicted;
	int w = iom_rtl_tlb_lookup(t, &k, true, NULL);
	if (w >= 0) {
		*way = w;
		return HIT;
	}
	*way = iom_rtl_tlb_fill(t, &k, addr * 10, &present, &evicted, &v);
	cr_assert(!present, "key '%c' missed but fill found it", (char)addr);
	return evicted ? (long)v.addr : FILL;
}

static void run(struct iom_rtl_tlb *t, const char *seq, const long *want, const int *want_way)
{
	for (size_t i = 0; seq[i]; i++) {
		int w = -9;
		cr_assert_eq(step(t, (uint64_t)seq[i], &w), want[i], "access %zu ('%c')", i,
			     seq[i]);
		cr_assert_eq(w, want_way[i], "access %zu ('%c'): way %d, want %d", i, seq[i], w,
			     want_way[i]);
	}
}

static void expect_set(struct iom_rtl_tlb *t, uint32_t set, const char *ways)
{
	struct iom_rtl_set s;
	iom_rtl_tlb_read_set(t, set, &s);
	for (uint32_t w = 0; ways[w]; w++) {
		cr_assert(s.valid >> w & 1, "set %u way %u invalid", set, w);
		cr_assert_eq(s.key[w].addr, (uint64_t)ways[w],
			     "set %u way %u holds '%c', want '%c'", set, w, (char)s.key[w].addr,
			     ways[w]);
		cr_assert_eq(s.value[w], (uint64_t)ways[w] * 10);
	}
}

/* ---- replacement ---- */

Test(rtl_iotlb, lru_sequence_matches_hand_derivation)
{
	struct iom_rtl_tlb *t = mk(1, 4, IOM_CACHE_LRU);
	/* As tests/cache lru_fully_assoc_sequence: A B C D fill w0..w3; A hits (order old->new
	 * B C D A); E evicts B (w1); B evicts C (w2); F evicts D (w3); C evicts A (w0). */
	const long want[] = { FILL, FILL, FILL, FILL, HIT, 'B', 'C', 'D', 'A' };
	const int way[] = { 0, 1, 2, 3, 0, 1, 2, 3, 0 };
	run(t, "ABCDAEBFC", want, way);
	expect_set(t, 0, "CEBF");
	/* Order old->new is E B F C: ages (0 = newest) C 0, F 1, B 2, E 3. */
	struct iom_rtl_set s;
	iom_rtl_tlb_read_set(t, 0, &s);
	cr_assert_eq(s.age[0], 0);
	cr_assert_eq(s.age[1], 3);
	cr_assert_eq(s.age[2], 2);
	cr_assert_eq(s.age[3], 1);
	cr_assert_eq(iom_rtl_tlb_valid(t), 4);
	iom_rtl_tlb_destroy(t);
}

Test(rtl_iotlb, plru_sequence_matches_hand_derivation)
{
	struct iom_rtl_tlb *t = mk(1, 4, IOM_CACHE_PLRU);
	/* Nodes: 1 root (0: go to ways 0-1), 2 over ways 0-1, 3 over ways 2-3. A touch points
	 * the path away from the way.  A B C D fill w0..w3 -> bits 1,2,3 = 0,0,0.  A hits:
	 * b1=1 b2=1.  E: root 1 -> node 3 = 0 -> way 2 (C); touch w2: b1=0 b3=1.  B hits (w1):
	 * b1=1 b2=0.  F: root 1 -> node 3 = 1 -> way 3 (D); touch: b1=0 b3=0.  C: root 0 ->
	 * node 2 = 0 -> way 0 (A); touch w0: b1=1 b2=1.  Bits 1 and 2 set: 0x6. */
	const long want[] = { FILL, FILL, FILL, FILL, HIT, 'C', HIT, 'D', 'A' };
	const int way[] = { 0, 1, 2, 3, 0, 2, 1, 3, 0 };
	run(t, "ABCDAEBFC", want, way);
	expect_set(t, 0, "CBEF");
	struct iom_rtl_set s;
	iom_rtl_tlb_read_set(t, 0, &s);
	cr_assert_eq(s.plru & 0xe, 0x6);
	iom_rtl_tlb_destroy(t);
}

Test(rtl_iotlb, c_model_gives_the_same_plru_sequence)
{
	/* The hand derivation above, on the C cache: both models agree with it. */
	struct iom_cache_cfg cfg = { .entries = 4, .ways = 4, .policy = IOM_CACHE_PLRU,
				     .ports = 1 };
	struct iom_err e = { 0 };
	struct iom_cache *c = iom_cache_create("c", &cfg, 8, 1000, &e);
	cr_assert_not_null(c, "%s", e.msg);
	const char *seq = "ABCDAEBFC";
	const long want[] = { FILL, FILL, FILL, FILL, HIT, 'C', HIT, 'D', 'A' };
	for (size_t i = 0; seq[i]; i++) {
		struct iom_cache_key k = K((uint64_t)seq[i]), v = { 0, 0 };
		bool ev = false;
		long got = HIT;
		if (!iom_cache_lookup(c, &k)) {
			iom_cache_insert(c, &k, NULL, &v, &ev);
			got = ev ? (long)v.addr : FILL;
		}
		cr_assert_eq(got, want[i], "access %zu", i);
	}
	cr_assert_eq(iom_cache_plru_bits(c, 0), 0x6);
	iom_cache_destroy(c);
}

Test(rtl_iotlb, peek_does_not_touch_but_lookup_and_refill_do)
{
	struct iom_rtl_tlb *t = mk(1, 4, IOM_CACHE_LRU);
	const long want[] = { FILL, FILL, FILL, FILL };
	const int way[] = { 0, 1, 2, 3 };
	run(t, "ABCD", want, way);
	struct iom_cache_key a = K('A'), b = K('B'), e = K('E'), f = K('F'), v;
	uint64_t val = 0;
	bool present, evicted;
	/* Peek A: hit in w0 with its value, but A stays the oldest: E evicts A. */
	cr_assert_eq(iom_rtl_tlb_lookup(t, &a, false, &val), 0);
	cr_assert_eq(val, 'A' * 10);
	cr_assert_eq(iom_rtl_tlb_fill(t, &e, 1, &present, &evicted, &v), 0);
	cr_assert(!present && evicted);
	cr_assert_eq(v.addr, 'A');
	/* Re-filling B (present) touches it and rewrites its value: F evicts C, not B. */
	cr_assert_eq(iom_rtl_tlb_fill(t, &b, 77, &present, &evicted, &v), 1);
	cr_assert(present && !evicted);
	cr_assert_eq(iom_rtl_tlb_lookup(t, &b, false, &val), 1);
	cr_assert_eq(val, 77);
	cr_assert_eq(iom_rtl_tlb_fill(t, &f, 2, &present, &evicted, &v), 2);
	cr_assert_eq(v.addr, 'C');
	iom_rtl_tlb_destroy(t);
}

/* ---- keys and sets ---- */

Test(rtl_iotlb, set_is_addr_mod_sets_also_when_not_a_power_of_two)
{
	struct iom_rtl_tlb *t = mk(3, 2, IOM_CACHE_LRU);
	struct iom_cache_key k5 = K(5), k8 = K(8), k2 = K(2), k3 = K(3), v;
	bool present, evicted;
	/* 5, 8 and 2 are all set 2 (mod 3): 2 evicts 5, the oldest. 3 goes to set 0 way 0. */
	cr_assert_eq(iom_rtl_tlb_fill(t, &k5, 0, &present, &evicted, &v), 0);
	cr_assert_eq(iom_rtl_tlb_fill(t, &k8, 0, &present, &evicted, &v), 1);
	cr_assert_eq(iom_rtl_tlb_fill(t, &k3, 0, &present, &evicted, &v), 0);
	cr_assert(!evicted);
	cr_assert_eq(iom_rtl_tlb_fill(t, &k2, 0, &present, &evicted, &v), 0);
	cr_assert(evicted);
	cr_assert_eq(v.addr, 5);
	struct iom_rtl_set s;
	iom_rtl_tlb_read_set(t, 0, &s);
	cr_assert_eq(s.valid, 0x1);
	cr_assert_eq(s.key[0].addr, 3);
	iom_rtl_tlb_read_set(t, 2, &s);
	cr_assert_eq(s.valid, 0x3);
	cr_assert_eq(s.key[0].addr, 2);
	cr_assert_eq(s.key[1].addr, 8);
	iom_rtl_tlb_destroy(t);
}

Test(rtl_iotlb, a_hit_needs_addr_and_tag)
{
	struct iom_rtl_tlb *t = mk(4, 2, IOM_CACHE_LRU);
	struct iom_cache_key a1 = { 0x40, 1 }, a2 = { 0x40, 2 }, b1 = { 0x44, 1 }, v;
	bool present, evicted;
	cr_assert_eq(iom_rtl_tlb_fill(t, &a1, 11, &present, &evicted, &v), 0);
	cr_assert_eq(iom_rtl_tlb_lookup(t, &a2, true, NULL), -1);
	cr_assert_eq(iom_rtl_tlb_lookup(t, &b1, true, NULL), -1);
	cr_assert_eq(iom_rtl_tlb_fill(t, &a2, 22, &present, &evicted, &v), 1);
	cr_assert(!present);
	uint64_t val = 0;
	cr_assert_eq(iom_rtl_tlb_lookup(t, &a1, true, &val), 0);
	cr_assert_eq(val, 11);
	cr_assert_eq(iom_rtl_tlb_lookup(t, &a2, true, &val), 1);
	cr_assert_eq(val, 22);
	iom_rtl_tlb_destroy(t);
}

/* ---- invalidation ---- */

Test(rtl_iotlb, invalidate_by_key_frees_the_way_filled_next)
{
	struct iom_rtl_tlb *t = mk(1, 4, IOM_CACHE_LRU);
	const long want[] = { FILL, FILL, FILL, FILL };
	const int way[] = { 0, 1, 2, 3 };
	run(t, "ABCD", want, way);
	struct iom_cache_key c = K('C'), x = K('X'), v;
	bool present, evicted;
	cr_assert_eq(iom_rtl_tlb_invalidate(t, &c), 2);
	cr_assert_eq(iom_rtl_tlb_invalidate(t, &c), -1);
	cr_assert_eq(iom_rtl_tlb_valid(t), 3);
	/* The free way is used before any victim, although A is the oldest. */
	cr_assert_eq(iom_rtl_tlb_fill(t, &x, 0, &present, &evicted, &v), 2);
	cr_assert(!evicted);
	cr_assert_eq(iom_rtl_tlb_valid(t), 4);
	iom_rtl_tlb_destroy(t);
}

Test(rtl_iotlb, invalidate_range_drops_tag_and_address_matches_in_every_set)
{
	struct iom_rtl_tlb *t = mk(16, 2, IOM_CACHE_LRU);
	struct iom_cache_key v;
	bool present, evicted;
	/* addr 0..9 with tag 0x101 (ASID 1, VMID 1 in bits 8+), and addr 0..5 with tag 0x201. */
	for (uint64_t a = 0; a < 10; a++) {
		struct iom_cache_key k = { a, 0x101 };
		iom_rtl_tlb_fill(t, &k, a, &present, &evicted, &v);
	}
	for (uint64_t a = 0; a < 6; a++) {
		struct iom_cache_key k = { a, 0x201 };
		iom_rtl_tlb_fill(t, &k, a, &present, &evicted, &v);
	}
	cr_assert_eq(iom_rtl_tlb_valid(t), 16);
	/* Tag low byte 0x01 (mask 0xff), addr 3..8: both tags match: 6 (tag 0x101: 3..8) +
	 * 3 (tag 0x201: 3..5) = 9. */
	cr_assert_eq(iom_rtl_tlb_invalidate_range(t, 0x01, 0xff, 3, 8), 9);
	cr_assert_eq(iom_rtl_tlb_valid(t), 7);
	/* Exact tag 0x101 (mask all ones), addr 0..100: 0, 1, 2, 9 left = 4. */
	cr_assert_eq(iom_rtl_tlb_invalidate_range(t, 0x101, ~0ull, 0, 100), 4);
	cr_assert_eq(iom_rtl_tlb_valid(t), 3);
	struct iom_cache_key k = { 9, 0x101 }, k2 = { 2, 0x201 };
	cr_assert_eq(iom_rtl_tlb_lookup(t, &k, true, NULL), -1);
	cr_assert_geq(iom_rtl_tlb_lookup(t, &k2, true, NULL), 0);
	iom_rtl_tlb_destroy(t);
}

Test(rtl_iotlb, invalidate_ways_counts_only_valid_ways)
{
	struct iom_rtl_tlb *t = mk(2, 4, IOM_CACHE_LRU);
	struct iom_cache_key v;
	bool present, evicted;
	for (uint64_t a = 0; a < 6; a += 2) { /* set 0, ways 0..2 */
		struct iom_cache_key k = K(a);
		iom_rtl_tlb_fill(t, &k, a, &present, &evicted, &v);
	}
	/* Ways 1 and 3: way 3 is empty -> 1 dropped. */
	cr_assert_eq(iom_rtl_tlb_invalidate_ways(t, 0, 0xa), 1);
	struct iom_rtl_set s;
	iom_rtl_tlb_read_set(t, 0, &s);
	cr_assert_eq(s.valid, 0x5);
	cr_assert_eq(iom_rtl_tlb_invalidate_ways(t, 1, 0xf), 0);
	cr_assert_eq(iom_rtl_tlb_valid(t), 2);
	iom_rtl_tlb_destroy(t);
}

Test(rtl_iotlb, flush_drops_all_and_keeps_plru_bits)
{
	struct iom_rtl_tlb *t = mk(1, 4, IOM_CACHE_PLRU);
	const long want[] = { FILL, FILL, FILL, FILL, HIT };
	const int way[] = { 0, 1, 2, 3, 0 };
	run(t, "ABCDA", want, way); /* bits 1,2 set (see the PLRU sequence) */
	cr_assert_eq(iom_rtl_tlb_flush(t), 4);
	cr_assert_eq(iom_rtl_tlb_valid(t), 0);
	cr_assert_eq(iom_rtl_tlb_flush(t), 0);
	struct iom_rtl_set s;
	iom_rtl_tlb_read_set(t, 0, &s);
	cr_assert_eq(s.valid, 0);
	cr_assert_eq(s.plru & 0xe, 0x6);
	/* Free ways fill lowest first whatever the bits say. */
	struct iom_cache_key z = K('Z'), v;
	bool present, evicted;
	cr_assert_eq(iom_rtl_tlb_fill(t, &z, 0, &present, &evicted, &v), 0);
	iom_rtl_tlb_destroy(t);
}

/* ---- configuration checks ---- */

Test(rtl_iotlb, unsupported_policy_and_geometry_are_refused_with_the_reason)
{
	struct iom_err e = { 0 };
	cr_assert_null(iom_rtl_tlb_create(4, 4, IOM_CACHE_FIFO, &e));
	cr_assert_eq(e.code, IOM_ENOTSUP);
	cr_assert(strstr(e.msg, "'fifo'"), "%s", e.msg);
	cr_assert_null(iom_rtl_tlb_create(4, IOM_RTL_TLB_MAX_WAYS * 2, IOM_CACHE_LRU, &e));
	cr_assert(strstr(e.msg, "capacity"), "%s", e.msg);
	cr_assert_null(iom_rtl_tlb_create(IOM_RTL_TLB_MAX_SETS + 1, 2, IOM_CACHE_LRU, &e));
	cr_assert(strstr(e.msg, "capacity"), "%s", e.msg);
	cr_assert_null(iom_rtl_tlb_create(4, 6, IOM_CACHE_PLRU, &e));
	cr_assert(strstr(e.msg, "power-of-2"), "%s", e.msg);
	/* The largest geometry works. */
	struct iom_rtl_tlb *t = mk(IOM_RTL_TLB_MAX_SETS, IOM_RTL_TLB_MAX_WAYS, IOM_CACHE_PLRU);
	cr_assert_eq(iom_rtl_tlb_valid(t), 0);
	iom_rtl_tlb_destroy(t);
}

/* ---- the RTL as a cache backend ---- */

static struct iom_cache *mk_cache(uint32_t entries, uint32_t ways, uint32_t policy)
{
	struct iom_cache_cfg cfg = { .entries = entries, .ways = ways, .policy = policy,
				     .ports = 1 };
	struct iom_err e = { 0 };
	struct iom_cache *c = iom_cache_create("t.tlb", &cfg, sizeof(uint64_t), 1000, &e);
	cr_assert_not_null(c, "%s", e.msg);
	return c;
}

static bool odd_addr(const struct iom_cache_key *k, const void *value, void *ctx)
{
	(void)value;
	(void)ctx;
	return k->addr & 1;
}

Test(rtl_iotlb, backend_cache_keeps_values_and_stats_of_the_c_model)
{
	struct iom_cache *c = mk_cache(4, 0, IOM_CACHE_LRU);
	struct iom_err e = { 0 };
	cr_assert_eq(iom_rtl_cache_attach(c, &e), 0, "%s", e.msg);
	cr_assert_not_null(iom_rtl_cache_tlb(c));
	/* The LRU sequence through the cache API: ABCDAEBFC -> 9 lookups, 1 hit, 8 fills,
	 * 4 evictions; final ways C E B F with their values. */
	const char *seq = "ABCDAEBFC";
	for (size_t i = 0; seq[i]; i++) {
		struct iom_cache_key k = K((uint64_t)seq[i]);
		uint64_t val = (uint64_t)seq[i] * 3;
		if (!iom_cache_lookup(c, &k))
			iom_cache_insert(c, &k, &val, NULL, NULL);
	}
	const struct iom_cache_stats *s = iom_cache_stats(c);
	cr_assert_eq(s->lookups, 9);
	cr_assert_eq(s->hits, 1);
	cr_assert_eq(s->fills, 8);
	cr_assert_eq(s->evictions, 4);
	cr_assert_eq(iom_cache_valid(c), 4);
	const char *ways = "CEBF";
	for (uint32_t w = 0; w < 4; w++) {
		struct iom_cache_key k;
		const void *v;
		cr_assert(iom_cache_way(c, 0, w, &k, &v));
		cr_assert_eq(k.addr, (uint64_t)ways[w]);
		cr_assert_eq(*(const uint64_t *)v, (uint64_t)ways[w] * 3);
	}
	struct iom_cache_key f = K('F');
	const uint64_t *pv = iom_cache_peek(c, &f);
	cr_assert_not_null(pv);
	cr_assert_eq(*pv, 'F' * 3);
	/* invalidate_if through the RTL's set reads: odd addresses C (67), E (69) -> 2. */
	cr_assert_eq(iom_cache_invalidate_if(c, odd_addr, NULL), 2);
	cr_assert_eq(iom_cache_valid(c), 2);
	cr_assert_eq(iom_rtl_tlb_valid(iom_rtl_cache_tlb(c)), 2);
	cr_assert_eq(iom_cache_flush(c), 2);
	cr_assert_eq(s->invalidated, 4);
	iom_cache_destroy(c);
}

Test(rtl_iotlb, backend_refuses_a_filled_cache_and_other_policies)
{
	struct iom_err e = { 0 };
	struct iom_cache *c = mk_cache(8, 2, IOM_CACHE_FIFO);
	cr_assert_eq(iom_rtl_cache_attach(c, &e), -IOM_ENOTSUP);
	cr_assert(strstr(e.msg, "'fifo'") && strstr(e.msg, "8 entries"), "%s", e.msg);
	iom_cache_destroy(c);
	c = mk_cache(8, 2, IOM_CACHE_LRU);
	struct iom_cache_key k = K(1);
	iom_cache_insert(c, &k, NULL, NULL, NULL);
	cr_assert_eq(iom_rtl_cache_attach(c, &e), -IOM_EINVAL);
	cr_assert(strstr(e.msg, "not empty"), "%s", e.msg);
	cr_assert_null(iom_rtl_cache_tlb(c));
	iom_cache_destroy(c);
}
