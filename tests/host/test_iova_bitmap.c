/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_iova_bitmap.c - the iova_bitmap algorithms (models/host/iova_bitmap.c)
 * against the iommufd selftest vectors and against multi-window cases the
 * selftests never reach (algorithms-reference.md 6.3, 6.6, A.4).
 *
 * Two producers live here, standing in for an IOMMU's read_and_clear_dirty:
 *  - a mock domain like iommufd's selftest.c: MOCK_PAGE_SIZE = 2048-byte
 *    entries, or 1 MiB huge entries; it walks [iova, iova + len) from iova
 *    in entry-size steps and records (position, entry size) for each dirty
 *    entry, clearing it unless NO_CLEAR;
 *  - a list of leaves (IOVA, size) that records each dirty leaf
 *    overlapping [iova, iova + len) whole, from its head, in ascending order
 *    or in an order the test gives.
 * Both report nothing for an empty window (v6_1 hands fn one, see below).
 *
 * Expected values are worked out by hand from the kernel arithmetic
 * (reference 6.3); each derivation is in the comment of its test.  Terms:
 * W = words of the range, pgoff = offset of the window's first word in its
 * 4 KB page, window bytes = npages * 4096 - pgoff (v6_1: / 8, rounded down,
 * in u64 words), 512 pages at most per window, 2^24 bits per full window.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iova_bitmap.h"

#define KB 1024ull
#define MB (1024ull * KB)
#define GB (1024ull * MB)
#define PG 4096ull
#define ALL UINT64_MAX

#define MOCK_PAGE_SIZE 2048ull
#define MOCK_HUGE_PAGE_SIZE (512 * MOCK_PAGE_SIZE)
#define MOCK_APERTURE_START (1ull << 24)

#define UVA 0x7f0000000000ull /* page-aligned user address of every allocation */

static const enum iom_ibm_algo algos[] = { IOM_IBM_V6_1, IOM_IBM_V6_10, IOM_IBM_V6_11,
					   IOM_IBM_ITER };

/* ---- the user's bitmap: an allocation at UVA, the bitmap at +offset ---- */

struct ubuf {
	uint8_t *mem;
	uint64_t alloc, offset;
	struct iom_ubitmap ub;
};

static void ubuf_init(struct ubuf *u, uint64_t alloc, uint64_t offset)
{
	u->mem = calloc(1, alloc);
	cr_assert_not_null(u->mem);
	u->alloc = alloc;
	u->offset = offset;
	u->ub.buf = u->mem + offset;
	u->ub.va = UVA + offset;
	u->ub.len = alloc - offset;
}

static void ubuf_zero(struct ubuf *u)
{
	memset(u->mem, 0, u->alloc);
}

static int ubit(const struct ubuf *u, uint64_t i)
{
	return (u->ub.buf[i / 8] >> (i % 8)) & 1;
}

static uint64_t ubuf_popcount(const struct ubuf *u)
{
	uint64_t n = 0;
	for (uint64_t i = 0; i < u->alloc; i++)
		n += (uint64_t)__builtin_popcount(u->mem[i]);
	return n;
}

/* Exactly the range bits [lo, hi) set in the whole allocation. */
static void expect_run(const struct ubuf *u, uint64_t lo, uint64_t hi, const char *what)
{
	cr_assert_eq(ubuf_popcount(u), hi - lo, "%s: %llu bits set, expected %llu", what,
		     (unsigned long long)ubuf_popcount(u), (unsigned long long)(hi - lo));
	if (hi > lo) {
		cr_assert(ubit(u, lo) && ubit(u, hi - 1), "%s: run ends", what);
		cr_assert(ubit(u, lo + (hi - lo) / 2), "%s: run middle", what);
	}
}

/* ---- the iommufd mock domain ---- */

struct mock {
	uint64_t iova, size, pte;
	uint8_t *dirty; /* one flag per entry of pte bytes */
	int no_clear;
};

static void mock_init(struct mock *m, uint64_t size, int huge)
{
	m->iova = MOCK_APERTURE_START;
	m->size = size;
	m->pte = huge ? MOCK_HUGE_PAGE_SIZE : MOCK_PAGE_SIZE;
	m->dirty = calloc(size / m->pte + 1, 1);
	cr_assert_not_null(m->dirty);
	m->no_clear = 0;
}

/* IOMMU_TEST_OP_DIRTY: mark the entry covering each set input bit dirty;
 * returns how many marks were made (out_nr_dirty). */
static uint64_t mock_mark(struct mock *m, uint64_t nbits, uint64_t pteset)
{
	uint64_t n = 0;
	for (uint64_t i = 0; i < nbits; i += pteset, n++)
		m->dirty[i * MOCK_PAGE_SIZE / m->pte] = 1;
	return n;
}

static int mock_fn(struct iom_iova_bitmap *b, uint64_t iova, uint64_t len, void *opaque)
{
	struct mock *m = opaque;

	for (uint64_t pos = iova; len && pos < iova + len;) {
		uint64_t idx;

		if (pos < m->iova || pos >= m->iova + m->size) {
			pos += MOCK_PAGE_SIZE;
			continue;
		}
		idx = ((pos & ~(m->pte - 1)) - m->iova) / m->pte;
		if (m->dirty[idx]) {
			iom_ibm_set(b, pos, m->pte);
			if (!m->no_clear)
				m->dirty[idx] = 0;
		}
		pos += m->pte;
	}
	return 0;
}

static void harvest_mock(enum iom_ibm_algo a, struct mock *m, struct ubuf *u,
			 struct iom_ibm_cost *c)
{
	struct iom_err err = { 0 };
	struct iom_iova_bitmap *b =
		iom_ibm_alloc(a, m->iova, m->size, MOCK_PAGE_SIZE, &u->ub, NULL, c, &err);

	cr_assert_not_null(b, "%s", err.msg);
	cr_assert_eq(iom_ibm_for_each(b, m, mock_fn), 0);
	iom_ibm_free(b);
}

/* ---- selftest variants (reference 6.6) ---- */

/* v61_ff1: bits of the range v6_1 harvests with the bitmap at +0xff1 (the
 * checker pattern holds below that bit, nothing is set above), and the bits
 * its set() loses there.  Derivation (pgshift 11, u64 words, pgoff 4081):
 *  W = 1 (8k..128k): npages 1, window bytes 15 -> 1 word covers it all.
 *  W > 1, W <= 512 (320k: 3, 64M: 512): npages 1 -> 1 word = 64 bits; the
 *   next window starts at byte 4089 of the same page: npages
 *   ceil((W-1) * 8 / 4096) = 1, 7 bytes -> 0 words: fn gets length 0, and
 *   advance() adds offset_to_index(0 - 1) + 1 -> done.  Huge 64M: the first
 *   entry (bits 0..511) is recorded into window bits 32648..33159; page 0
 *   ends at 32767: 120 bits set, 392 lost.
 *  128M (W = 1024): npages 2, 8192 - 4081 = 4111 bytes -> 513 words =
 *   32832 bits; next window: byte 8185 (page 1, pgoff 4089), 1 page, 0
 *   words -> stop.  Huge: entries 0, 2, .., 64 are recorded; entry 64
 *   (bits 32768..33279) lands at window bits 65416..65927, page 1 ends at
 *   65535: bits 32768..32887 set, 392 lost -- the pattern below 32888. */
static const struct variant {
	const char *name;
	uint64_t size;
	int huge;
	uint64_t v61_ff1, v61_ff1_lost;
} variants[] = {
	{ "domain_dirty8k", 8 * KB, 0, ALL, 0 },
	{ "domain_dirty16k", 16 * KB, 0, ALL, 0 },
	{ "domain_dirty64k", 64 * KB, 0, ALL, 0 },
	{ "domain_dirty128k", 128 * KB, 0, ALL, 0 },
	{ "domain_dirty320k", 320 * KB, 0, 64, 0 },
	{ "domain_dirty64M", 64 * MB, 0, 64, 0 },
	{ "domain_dirty64M_huge", 64 * MB, 1, 120, 392 },
	{ "domain_dirty128M", 128 * MB, 0, 32832, 0 },
	{ "domain_dirty128M_huge", 128 * MB, 1, 32888, 392 },
};

static const uint64_t offsets[] = { 0, MOCK_PAGE_SIZE, 0xff1 };

/* The checker: for every group of pteset bits the first npte set, the rest
 * clear; nothing set at or above `upto`, nor outside the range. */
static void check_pattern(const struct ubuf *u, uint64_t nbits, uint64_t npte, uint64_t upto,
			  const char *what)
{
	uint64_t pteset = 2 * npte, want = 0;

	for (uint64_t i = 0; i < nbits; i++) {
		int e = i < upto && i % pteset < npte;
		want += (uint64_t)e;
		cr_assert_eq(ubit(u, i), e, "%s: bit %llu is %d", what, (unsigned long long)i,
			     ubit(u, i));
	}
	cr_assert_eq(ubuf_popcount(u), want, "%s: bits set outside the range", what);
}

/* get_dirty_bitmap / get_dirty_bitmap_no_clear for one variant, offset and
 * algorithm; the expected "harvested prefix" is `upto`. */
static void run_selftest(const struct variant *v, uint64_t off, enum iom_ibm_algo a, int no_clear,
			 uint64_t upto, uint64_t lost)
{
	uint64_t nbits = v->size / MOCK_PAGE_SIZE;
	uint64_t npte = v->huge ? MOCK_HUGE_PAGE_SIZE / MOCK_PAGE_SIZE : 1, pteset = 2 * npte;
	struct iom_ibm_cost c = { 0 };
	struct ubuf u;
	struct mock m;
	char what[128];

	snprintf(what, sizeof(what), "%s +0x%llx %s%s", v->name, (unsigned long long)off,
		 iom_ibm_algo_name(a), no_clear ? " no_clear" : "");
	/* bitmap allocation = ceil(bits / 8) + PAGE_SIZE, page-aligned */
	ubuf_init(&u, (nbits + 7) / 8 + PG, off);
	mock_init(&m, v->size, v->huge);
	m.no_clear = no_clear;
	cr_assert_eq(mock_mark(&m, nbits, pteset), IOM_MAX(1, nbits / pteset), "%s: nr_dirty",
		     what);
	harvest_mock(a, &m, &u, &c);
	check_pattern(&u, nbits, npte, upto, what);
	cr_assert_eq(c.bits_lost, lost, "%s: lost %llu", what, (unsigned long long)c.bits_lost);
	cr_assert_eq(c.bits_stray, 0, "%s: stray", what);
	ubuf_zero(&u);
	harvest_mock(a, &m, &u, &c);
	/* without NO_CLEAR the first harvest cleared what it reported (and v6_1
	 * at +0xff1 never visits the rest, so it reports nothing either) */
	check_pattern(&u, nbits, npte, no_clear ? upto : 0, what);
	cr_assert_eq(c.pages_pinned, c.pages_unpinned, "%s: pins balanced", what);
	free(m.dirty);
	free(u.mem);
}

Test(iova_bitmap, selftest_vectors_exact_for_v6_10_v6_11_iter)
{
	for (size_t a = 1; a < IOM_ARRAY_SIZE(algos); a++)
		for (size_t v = 0; v < IOM_ARRAY_SIZE(variants); v++)
			for (size_t o = 0; o < IOM_ARRAY_SIZE(offsets); o++)
				for (int nc = 0; nc < 2; nc++)
					run_selftest(&variants[v], offsets[o], algos[a], nc, ALL,
						     0);
}

/* v6_1 (u64 words, no extra page) passes every variant at +0 and
 * +MOCK_PAGE_SIZE (8-byte aligned: windows end on whole words inside the
 * pinned pages), and at +0xff1 harvests only the prefix derived above. */
Test(iova_bitmap, selftest_vectors_v6_1_loses_the_tail_at_0xff1)
{
	for (size_t v = 0; v < IOM_ARRAY_SIZE(variants); v++)
		for (int nc = 0; nc < 2; nc++) {
			run_selftest(&variants[v], 0, IOM_IBM_V6_1, nc, ALL, 0);
			run_selftest(&variants[v], MOCK_PAGE_SIZE, IOM_IBM_V6_1, nc, ALL, 0);
			run_selftest(&variants[v], 0xff1, IOM_IBM_V6_1, nc, variants[v].v61_ff1,
				     variants[v].v61_ff1_lost);
		}
}

/* domain_dirty128M, bitmap at +0: 65536 bits = 8 KiB = 2 pages; every
 * algorithm pins them once: one window, 2 pages; 32768 dirty entries = one
 * set() and one kmap each, one byte each.  At +0xff1 the bytes span pages
 * 0..2: v6_10/v6_11 pin 2 + 1 (unaligned start); iter pins page by page
 * (3 pin calls, one run); v6_1 pins 2, then 1 for its empty window. */
Test(iova_bitmap, selftest_128M_costs)
{
	static const struct {
		uint64_t off;
		enum iom_ibm_algo a;
		uint64_t windows, pin_calls, pages, fn_calls;
	} cases[] = {
		{ 0, IOM_IBM_V6_1, 1, 1, 2, 1 },      { 0, IOM_IBM_V6_10, 1, 1, 2, 1 },
		{ 0, IOM_IBM_V6_11, 1, 1, 2, 1 },     { 0, IOM_IBM_ITER, 1, 2, 2, 1 },
		{ 0xff1, IOM_IBM_V6_1, 2, 2, 3, 2 },  { 0xff1, IOM_IBM_V6_10, 1, 1, 3, 1 },
		{ 0xff1, IOM_IBM_V6_11, 1, 1, 3, 1 }, { 0xff1, IOM_IBM_ITER, 1, 3, 3, 1 },
	};
	for (size_t i = 0; i < IOM_ARRAY_SIZE(cases); i++) {
		struct iom_ibm_cost c = { 0 };
		struct ubuf u;
		struct mock m;
		const char *n = iom_ibm_algo_name(cases[i].a);

		ubuf_init(&u, 8 * KB + PG, cases[i].off);
		mock_init(&m, 128 * MB, 0);
		mock_mark(&m, 65536, 2);
		harvest_mock(cases[i].a, &m, &u, &c);
		cr_assert_eq(c.windows, cases[i].windows, "%s: windows %llu", n,
			     (unsigned long long)c.windows);
		cr_assert_eq(c.pin_calls, cases[i].pin_calls, "%s: pin calls", n);
		cr_assert_eq(c.pages_pinned, cases[i].pages, "%s: pages %llu", n,
			     (unsigned long long)c.pages_pinned);
		cr_assert_eq(c.pages_unpinned, cases[i].pages, "%s: unpinned", n);
		cr_assert_eq(c.fn_calls, cases[i].fn_calls, "%s: fn calls", n);
		if (!cases[i].off) {
			cr_assert_eq(c.set_calls, 32768, "%s", n);
			cr_assert_eq(c.kmaps, 32768, "%s", n);
			cr_assert_eq(c.bits_set, 32768, "%s", n);
			cr_assert_eq(c.bytes_touched, 32768, "%s", n);
		}
		free(m.dirty);
		free(u.mem);
	}
}

/* ---- leaves: multi-window cases at 4 KB bits ---- */

struct leaf {
	uint64_t iova, size;
	int dirty;
};

struct lprod {
	struct leaf *l;
	size_t n;
	const size_t *order; /* visiting order in one fn call; NULL = ascending */
	int no_clear;
	size_t nfn;
	uint64_t fn_iova[8], fn_len[8];
};

static int lprod_fn(struct iom_iova_bitmap *b, uint64_t iova, uint64_t len, void *opaque)
{
	struct lprod *p = opaque;

	if (p->nfn < 8) {
		p->fn_iova[p->nfn] = iova;
		p->fn_len[p->nfn] = len;
	}
	p->nfn++;
	for (size_t k = 0; len && k < p->n; k++) {
		struct leaf *l = &p->l[p->order ? p->order[k] : k];

		if (l->dirty && l->iova < iova + len && l->iova + l->size > iova) {
			iom_ibm_set(b, l->iova, l->size);
			if (!p->no_clear)
				l->dirty = 0;
		}
	}
	return 0;
}

/* Harvest [iova, iova + length) at 4 KB into a bitmap at UVA + off (the
 * allocation: the bitmap bytes + one page). */
static int harvest_leaves(enum iom_ibm_algo a, uint64_t iova, uint64_t length, uint64_t off,
			  struct lprod *p, struct ubuf *u, struct iom_ibm_cost *c,
			  const struct iom_ibm_cost_model *cm)
{
	struct iom_err err = { 0 };
	struct iom_iova_bitmap *b;
	int ret;

	ubuf_init(u, length / PG / 8 + PG, off);
	b = iom_ibm_alloc(a, iova, length, PG, &u->ub, cm, c, &err);
	cr_assert_not_null(b, "%s", err.msg);
	ret = iom_ibm_for_each(b, p, lprod_fn);
	iom_ibm_free(b);
	return ret;
}

/* A.4: 4G..128G at 4 KB = 31 * 2^20 bits = 3968 KiB = 992 pages.  v6_1 and
 * v6_10 pin 512 pages = 2^24 bits = 64 GiB: fn(4G, 64G), then the
 * remaining 245760 words (v6_1) / 1966080 bytes = 480 pages: fn(68G, 60G).
 * v6_11 and iter hand fn the whole range once and pin nothing until a set. */
Test(iova_bitmap, a4_windows_4g_68g_128g)
{
	for (size_t i = 0; i < IOM_ARRAY_SIZE(algos); i++) {
		struct iom_ibm_cost c = { 0 };
		struct lprod p = { 0 };
		struct ubuf u;
		int win = algos[i] <= IOM_IBM_V6_10;
		const char *n = iom_ibm_algo_name(algos[i]);

		cr_assert_eq(harvest_leaves(algos[i], 4 * GB, 124 * GB, 0, &p, &u, &c, NULL), 0);
		cr_assert_eq(p.nfn, win ? 2 : 1, "%s", n);
		cr_assert_eq(p.fn_iova[0], 4 * GB, "%s", n);
		cr_assert_eq(p.fn_len[0], win ? 64 * GB : 124 * GB, "%s", n);
		if (win) {
			cr_assert_eq(p.fn_iova[1], 68 * GB, "%s", n);
			cr_assert_eq(p.fn_len[1], 60 * GB, "%s", n);
		}
		cr_assert_eq(c.windows, win ? 2 : 0, "%s", n);
		cr_assert_eq(c.pages_pinned, win ? 992 : 0, "%s", n);
		free(u.mem);
	}
}

/* Every 2 MiB leaf of 4G..128G dirty: 63488 leaves, 512 bits = 64 bytes
 * each, inside one bitmap page; 2^24 < 32505856 bits in one harvest.
 * All four set every bit; windows: v6_1/v6_10 as above; v6_11 sequential:
 * advance_to(4G) pins 512 pages, the first leaf at 68G is outside that
 * window: advance_to(68G) pins the remaining 480; iter: a run of 512 pages
 * then, at page 512, a new run of 480 -- one pin call per page, since each
 * page is first touched by a set() of its own (64 leaves per page). */
Test(iova_bitmap, all_2m_leaves_dirty_over_124g)
{
	size_t n = 124 * GB / (2 * MB);
	struct leaf *l = calloc(n, sizeof(*l));

	cr_assert_not_null(l);
	for (size_t i = 0; i < IOM_ARRAY_SIZE(algos); i++) {
		struct iom_ibm_cost c = { 0 };
		struct lprod p = { .l = l, .n = n };
		struct ubuf u;
		const char *nm = iom_ibm_algo_name(algos[i]);

		for (size_t k = 0; k < n; k++)
			l[k] = (struct leaf){ 4 * GB + k * 2 * MB, 2 * MB, 1 };
		cr_assert_eq(harvest_leaves(algos[i], 4 * GB, 124 * GB, 0, &p, &u, &c, NULL), 0);
		expect_run(&u, 0, 124 * GB / PG, nm);
		cr_assert_eq(c.bits_set, 32505856, "%s", nm);
		cr_assert_eq(c.bits_lost + c.bits_stray, 0, "%s", nm);
		cr_assert_eq(c.set_calls, 63488, "%s", nm);
		cr_assert_eq(c.kmaps, 63488, "%s", nm);
		cr_assert_eq(c.bytes_touched, 63488 * 64, "%s", nm);
		cr_assert_eq(c.windows, 2, "%s", nm);
		cr_assert_eq(c.pages_pinned, 992, "%s", nm);
		cr_assert_eq(c.pin_calls, algos[i] == IOM_IBM_ITER ? 992 : 2, "%s", nm);
		cr_assert_eq(c.pages_unpinned, 992, "%s", nm);
		cr_assert_eq(c.unpin_calls, 2, "%s", nm);
		free(u.mem);
	}
	free(l);
}

/* A 1 GiB leaf at 67 GiB, range 4G..128G.  The A.4 text says it straddles
 * the 68 GiB edge; with a page-aligned bitmap it does not (it ends at 68G,
 * window edges are 4G + k * 64G).  It does with the bitmap at +2048: the
 * first window is 512 pages from byte 2048, 2097152 - 2048 = 2095104 bytes
 * (v6_1: 261888 words) = 2^24 - 2^14 bits, so it ends at 68G - 64M.
 * The leaf is range bits 16515072 .. 16777215 (2^18).
 *  v6_1: window bits 16515072 + 16384 = 16531456 .. 16793599; 512 pages
 *   end at bit 16777215: 245760 set (8 kmaps: pages 504..511), 16384 lost.
 *   Window 2: 507904 - 261888 = 246016 words from byte 2097152 (pgoff 0):
 *   481 pages, fn(68G - 64M, 60G + 64M).  Pages 512 + 481 = 993.
 *  v6_10: same window; 16384 bits (64 MiB) set ahead: the pass pins 481
 *   pages from byte 2097152 (its length comes from the stale pgoff 2048:
 *   the rest of the range, min 64M), sets 16384 bits (1 kmap), skips 2048
 *   bytes; then 480 pages + 1 (pgoff 2048): fn(68G, 60G).  Windows 3,
 *   pages 512 + 481 + 481 = 1474, kmaps 9.
 *  v6_11: advance_to(67G): byte 2064384, 1998848 bytes = 488 pages + 1
 *   (pgoff 2048) = 489; [67G, 128G) holds the leaf: 1 window, 9 kmaps.
 *  iter: bytes 2064384 .. 2097151 at +2048: user pages 504 .. 512: one pin
 *   call of 9 pages. */
Test(iova_bitmap, leaf_1g_at_67g_straddles_window_with_unaligned_bitmap)
{
	static const struct {
		enum iom_ibm_algo a;
		uint64_t set, lost, windows, pages, kmaps, nfn, fn1_iova, fn1_len;
	} cases[] = {
		{ IOM_IBM_V6_1, 245760, 16384, 2, 993, 8, 2, 68 * GB - 64 * MB, 60 * GB + 64 * MB },
		{ IOM_IBM_V6_10, 262144, 0, 3, 1474, 9, 2, 68 * GB, 60 * GB },
		{ IOM_IBM_V6_11, 262144, 0, 1, 489, 9, 1, 0, 0 },
		{ IOM_IBM_ITER, 262144, 0, 1, 9, 9, 1, 0, 0 },
	};
	for (size_t i = 0; i < IOM_ARRAY_SIZE(cases); i++) {
		struct leaf l = { 67 * GB, 1 * GB, 1 };
		struct lprod p = { .l = &l, .n = 1 };
		struct iom_ibm_cost c = { 0 };
		struct ubuf u;
		const char *n = iom_ibm_algo_name(cases[i].a);

		cr_assert_eq(harvest_leaves(cases[i].a, 4 * GB, 124 * GB, 2048, &p, &u, &c, NULL),
			     0);
		expect_run(&u, 16515072, 16515072 + cases[i].set, n);
		cr_assert_eq(c.bits_set, cases[i].set, "%s", n);
		cr_assert_eq(c.bits_lost, cases[i].lost, "%s: lost %llu", n,
			     (unsigned long long)c.bits_lost);
		cr_assert_eq(c.bits_stray, 0, "%s", n);
		cr_assert_eq(c.windows, cases[i].windows, "%s: windows %llu", n,
			     (unsigned long long)c.windows);
		cr_assert_eq(c.pages_pinned, cases[i].pages, "%s: pages %llu", n,
			     (unsigned long long)c.pages_pinned);
		cr_assert_eq(c.pages_unpinned, cases[i].pages, "%s", n);
		cr_assert_eq(c.kmaps, cases[i].kmaps, "%s: kmaps %llu", n,
			     (unsigned long long)c.kmaps);
		cr_assert_eq(p.nfn, cases[i].nfn, "%s", n);
		if (cases[i].nfn == 2) {
			cr_assert_eq(p.fn_len[0], 64 * GB - 64 * MB, "%s", n);
			cr_assert_eq(p.fn_iova[1], cases[i].fn1_iova, "%s", n);
			cr_assert_eq(p.fn_len[1], cases[i].fn1_len, "%s", n);
		}
		free(u.mem);
	}
}

/* The same leaf with a page-aligned bitmap and the range starting at 3.5G:
 * windows [3.5G, 67.5G) and [67.5G, 131.5G) (2^25 bits, 1024 pages); the
 * leaf is range bits 16646144 .. 16908287, half in each.
 *  v6_1: 131072 set, 131072 lost.
 *  v6_11: advance_to(67G) pins 512 pages from byte 2080768: 1 window, all.
 *  iter: bytes 2080768 .. 2113535: pages 508 .. 515, 8 pages.
 *  v6_10 (the v6.10 code read literally): 131072 bits (512 MiB) set ahead.
 *   The pass computes its length while nothing is pinned and with the stale
 *   pgoff 0: bytes = 0 -> length 0.  It pins the next 512 pages and calls
 *   set(67.5G, 0): the last bit wraps to 2^52 - 1, so every bit of the
 *   512 pinned pages is set (2^24 bits: the 131072 pending ones plus
 *   16646144 nobody asked for), and base_index grows by
 *   offset_to_index(0 - 1) + 1 = 2^49: done.  advance() (done checked
 *   before the set-ahead in v6.10) then pins at byte 2^49 + 2^21 -- outside
 *   the buffer: -EFAULT.  fn is never called for the second window. */
Test(iova_bitmap, leaf_1g_straddling_67_5g_with_aligned_bitmap)
{
	static const struct {
		enum iom_ibm_algo a;
		uint64_t set, lost, stray, windows, pages, nfn;
		int ret;
	} cases[] = {
		{ IOM_IBM_V6_1, 131072, 131072, 0, 2, 1024, 2, 0 },
		{ IOM_IBM_V6_10, 262144, 0, 16646144, 2, 1024, 1, -IOM_ERANGE },
		{ IOM_IBM_V6_11, 262144, 0, 0, 1, 512, 1, 0 },
		{ IOM_IBM_ITER, 262144, 0, 0, 1, 8, 1, 0 },
	};
	for (size_t i = 0; i < IOM_ARRAY_SIZE(cases); i++) {
		struct leaf l = { 67 * GB, 1 * GB, 1 };
		struct lprod p = { .l = &l, .n = 1 };
		struct iom_ibm_cost c = { 0 };
		struct ubuf u;
		const char *n = iom_ibm_algo_name(cases[i].a);
		int ret = harvest_leaves(cases[i].a, 3 * GB + 512 * MB, 128 * GB, 0, &p, &u, &c,
					 NULL);

		cr_assert_eq(ret, cases[i].ret, "%s: ret %d", n, ret);
		if (cases[i].a == IOM_IBM_V6_10)
			expect_run(&u, 16646144, 1ull << 25, n);
		else
			expect_run(&u, 16646144, 16646144 + cases[i].set, n);
		cr_assert_eq(c.bits_set, cases[i].set, "%s: set %llu", n,
			     (unsigned long long)c.bits_set);
		cr_assert_eq(c.bits_lost, cases[i].lost, "%s", n);
		cr_assert_eq(c.bits_stray, cases[i].stray, "%s: stray %llu", n,
			     (unsigned long long)c.bits_stray);
		cr_assert_eq(c.windows, cases[i].windows, "%s", n);
		cr_assert_eq(c.pages_pinned, cases[i].pages, "%s: pages %llu", n,
			     (unsigned long long)c.pages_pinned);
		cr_assert_eq(p.nfn, cases[i].nfn, "%s", n);
		free(u.mem);
	}
}

/* v6_11's cost depends on the producer's order, iter's too, v6_1's not.
 * Four dirty 4 KB pages at 4G, 4G + 32K, 100G, 100G + 32K (range
 * 4G..128G, aligned bitmap; 100G is byte 3145728 = page 768).
 *  v6_11 sequential: advance_to(4G): 512 pages; advance_to(100G): 917504
 *   bytes left = 224 pages.  2 windows, 736 pages.
 *  v6_11 alternating (4G, 100G, 4G + 32K, 100G + 32K): 512, 224, then
 *   advance_to(4G + 32K) = byte 1: 992 + 1 (pgoff 1) capped to 512, and
 *   byte 3145729: 224 + 1 = 225.  4 windows, 1473 pages.
 *  iter: pages 0 and 768: sequential 2 runs of 1 page, alternating 4.
 *  v6_1: the producer only sees windows: 2 windows, 992 pages either way. */
Test(iova_bitmap, v6_11_repinning_depends_on_visiting_order)
{
	static const size_t seq[] = { 0, 1, 2, 3 }, alt[] = { 0, 2, 1, 3 };
	static const struct {
		enum iom_ibm_algo a;
		const size_t *order;
		uint64_t windows, pages;
	} cases[] = {
		{ IOM_IBM_V6_11, seq, 2, 736 }, { IOM_IBM_V6_11, alt, 4, 1473 },
		{ IOM_IBM_ITER, seq, 2, 2 },    { IOM_IBM_ITER, alt, 4, 4 },
		{ IOM_IBM_V6_1, seq, 2, 992 },  { IOM_IBM_V6_1, alt, 2, 992 },
	};
	for (size_t i = 0; i < IOM_ARRAY_SIZE(cases); i++) {
		struct leaf l[4] = { { 4 * GB, PG, 1 },
				     { 4 * GB + 32 * KB, PG, 1 },
				     { 100 * GB, PG, 1 },
				     { 100 * GB + 32 * KB, PG, 1 } };
		struct lprod p = { .l = l, .n = 4, .order = cases[i].order };
		struct iom_ibm_cost c = { 0 };
		struct ubuf u;
		const char *n = iom_ibm_algo_name(cases[i].a);

		cr_assert_eq(harvest_leaves(cases[i].a, 4 * GB, 124 * GB, 0, &p, &u, &c, NULL), 0);
		cr_assert_eq(ubuf_popcount(&u), 4, "%s", n);
		cr_assert(ubit(&u, 0) && ubit(&u, 8) && ubit(&u, 25165824) && ubit(&u, 25165832),
			  "%s", n);
		cr_assert_eq(c.windows, cases[i].windows, "%s: windows %llu", n,
			     (unsigned long long)c.windows);
		cr_assert_eq(c.pages_pinned, cases[i].pages, "%s: pages %llu", n,
			     (unsigned long long)c.pages_pinned);
		free(u.mem);
	}
}

/* time_ps is the documented weighted sum of the counts. */
Test(iova_bitmap, modelled_time_is_the_weighted_count_sum)
{
	static const struct iom_ibm_cost_model cm = { .pin_page_ps = 1000003,
						      .unpin_page_ps = 10007,
						      .kmap_ps = 101,
						      .byte_ps = 3,
						      .call_ps = 100000007 };
	for (size_t i = 0; i < IOM_ARRAY_SIZE(algos); i++) {
		struct leaf l = { 67 * GB, 1 * GB, 1 };
		struct lprod p = { .l = &l, .n = 1 };
		struct iom_ibm_cost c = { 0 };
		struct ubuf u;

		harvest_leaves(algos[i], 4 * GB, 124 * GB, 2048, &p, &u, &c, &cm);
		cr_assert_eq(c.time_ps,
			     cm.call_ps * (c.pin_calls + c.unpin_calls + c.set_calls + c.fn_calls) +
				     cm.pin_page_ps * c.pages_pinned +
				     cm.unpin_page_ps * c.pages_unpinned + cm.kmap_ps * c.kmaps +
				     cm.byte_ps * c.bytes_touched,
			     "%s", iom_ibm_algo_name(algos[i]));
		cr_assert_gt(c.time_ps, 0);
		free(u.mem);
	}
}

/* A set() outside for_each: v6_1/v6_10 pinned their first window in alloc
 * (as v6.1 and v6.10 did), so it lands there; v6_11 and iter pin on demand.
 * A set() past the range end: v6_11 (advance_to fails) and iter drop it --
 * those bits do not exist, nothing is lost; v6_1/v6_10 write it into the
 * pinned page as the kernel would: range [0, 64M) at 4 KB = 16384 bits =
 * 2048 bytes, one page pinned, bit 16384 is byte 2048 of that page: one
 * stray bit. */
Test(iova_bitmap, set_outside_for_each_and_past_the_range)
{
	for (size_t i = 0; i < IOM_ARRAY_SIZE(algos); i++) {
		struct iom_ibm_cost c = { 0 };
		struct iom_err err = { 0 };
		struct ubuf u;
		struct iom_iova_bitmap *b;
		int win = algos[i] <= IOM_IBM_V6_10;
		const char *n = iom_ibm_algo_name(algos[i]);

		ubuf_init(&u, PG, 0);
		b = iom_ibm_alloc(algos[i], 0, 64 * MB, PG, &u.ub, NULL, &c, &err);
		cr_assert_not_null(b, "%s", err.msg);
		cr_assert_eq(c.pages_pinned, win ? 1 : 0, "%s", n);
		iom_ibm_set(b, 8 * PG, 2 * PG);
		iom_ibm_set(b, 64 * MB, PG);
		iom_ibm_free(b);
		cr_assert_eq(c.set_calls, 2, "%s", n);
		cr_assert_eq(c.bits_set, 2, "%s", n);
		cr_assert_eq(c.bits_lost, 0, "%s", n);
		cr_assert_eq(c.bits_stray, win ? 1 : 0, "%s", n);
		cr_assert(ubit(&u, 8) && ubit(&u, 9), "%s", n);
		cr_assert_eq(ubit(&u, 16384), win, "%s", n);
		cr_assert_eq(ubuf_popcount(&u), win ? 3 : 2, "%s", n);
		free(u.mem);
	}
}

/* A nonzero fn return stops the walk and is returned. */
static int fail_fn(struct iom_iova_bitmap *b, uint64_t iova, uint64_t len, void *opaque)
{
	(void)b;
	(void)iova;
	(void)len;
	(*(int *)opaque)++;
	return -42;
}

Test(iova_bitmap, fn_error_stops_the_walk)
{
	for (size_t i = 0; i < IOM_ARRAY_SIZE(algos); i++) {
		struct iom_ibm_cost c = { 0 };
		struct iom_err err = { 0 };
		struct ubuf u;
		int calls = 0;
		struct iom_iova_bitmap *b;

		ubuf_init(&u, 124 * GB / PG / 8, 0);
		b = iom_ibm_alloc(algos[i], 4 * GB, 124 * GB, PG, &u.ub, NULL, &c, &err);
		cr_assert_not_null(b, "%s", err.msg);
		cr_assert_eq(iom_ibm_for_each(b, &calls, fail_fn), -42);
		cr_assert_eq(calls, 1);
		iom_ibm_free(b);
		cr_assert_eq(c.pages_pinned, c.pages_unpinned);
		free(u.mem);
	}
}

Test(iova_bitmap, alloc_rejects_bad_arguments)
{
	uint8_t buf[64];
	struct iom_ubitmap ub = { buf, UVA, sizeof(buf) };
	struct iom_err err = { 0 };

	cr_assert_null(iom_ibm_alloc(IOM_IBM_V6_11, 0, 0, PG, &ub, NULL, NULL, &err));
	cr_assert_eq(err.code, IOM_EINVAL);
	cr_assert_null(iom_ibm_alloc(IOM_IBM_V6_11, 0, PG, 3 * PG, &ub, NULL, NULL, &err));
	cr_assert_eq(err.code, IOM_EINVAL);
	cr_assert_null(iom_ibm_alloc(IOM_IBM_V6_11, 0, PG, 1ull << 48, &ub, NULL, NULL, &err));
	cr_assert_eq(err.code, IOM_ENOTSUP);
	cr_assert_null(iom_ibm_alloc(IOM_IBM_V6_11, UINT64_MAX - PG, 2 * PG, PG, &ub, NULL, NULL,
				     &err));
	cr_assert_eq(err.code, IOM_ERANGE);
	cr_assert_null(iom_ibm_alloc(IOM_IBM_ALGO_MAX, 0, PG, PG, &ub, NULL, NULL, &err));
	cr_assert_eq(err.code, IOM_EINVAL);
	/* 60 bytes: 480 bits for the byte-addressed ones; v6_1 needs whole u64
	 * words: ceil(449 / 64) * 8 = 64 bytes > 60 */
	ub.len = 60;
	cr_assert_null(iom_ibm_alloc(IOM_IBM_ITER, 0, 481 * PG, PG, &ub, NULL, NULL, &err));
	cr_assert_eq(err.code, IOM_EINVAL);
	cr_assert(strstr(err.msg, "too small"), "%s", err.msg);
	cr_assert_null(iom_ibm_alloc(IOM_IBM_V6_1, 0, 449 * PG, PG, &ub, NULL, NULL, &err));
	cr_assert_eq(err.code, IOM_EINVAL);
	struct iom_iova_bitmap *b = iom_ibm_alloc(IOM_IBM_V6_10, 0, 449 * PG, PG, &ub, NULL, NULL,
						  &err);
	cr_assert_not_null(b, "%s", err.msg);
	iom_ibm_free(b);
}

Test(iova_bitmap, algorithm_names_round_trip)
{
	for (unsigned a = 0; a < IOM_IBM_ALGO_MAX; a++)
		cr_assert_eq(iom_ibm_algo_from_name(iom_ibm_algo_name(a)), (int)a);
	cr_assert_str_eq(iom_ibm_algo_name(IOM_IBM_V6_10), "v6_10");
	cr_assert_null(iom_ibm_algo_name(IOM_IBM_ALGO_MAX));
	cr_assert_eq(iom_ibm_algo_from_name("v6_2"), -IOM_EINVAL);
	cr_assert_eq(iom_ibm_algo_from_name(NULL), -IOM_EINVAL);
}
