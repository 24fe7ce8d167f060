/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_iova_alloc.c - the IOVA allocators (models/host/iova_alloc.c).
 *
 * Scripted sequences whose results are worked out by hand from the
 * algorithms (Linux drivers/iommu/iova.c __alloc_and_insert_iova_range(),
 * alloc_iova_fast(), the magazines; QEMU util/vfio-helpers.c
 * qemu_vfio_find_fixed_iova()/find_temp_iova() with block/nvme.c's reset;
 * first fit), each derivation in the comment above its test; and a
 * randomized property test per allocator (>= 10000 operations) checking
 * that no returned IOVA overlaps a reserved range or a live allocation, or
 * lies above the limit or outside [start, end], and that free + allocated +
 * held space always equals the usable space.
 *
 * Units in the derivations: pfn = IOVA >> 12 (4 KB granule). Linux's
 * dma_32bit_pfn = 1 << 20 = 0x100000; tree limits are exclusive
 * (limit_pfn + 1), the anchor node sits at pfn ~0.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "iova_alloc.h"
#include "stats.h"

#define KB 1024ull
#define MB (1024ull * KB)
#define GB (1024ull * MB)
#define L32 0xffffffffull      /* a 32-bit device */
#define L48 ((1ull << 48) - 1) /* a 48-bit device */

static struct iom_err err;

static struct iom_iova_alloc *mk(uint32_t algo, uint64_t start, uint64_t end, bool rcache,
				 uint32_t ncpus, bool pci32, bool sticky)
{
	struct iom_iova_alloc_cfg c;
	iom_iova_alloc_cfg_defaults(&c);
	c.algo = algo;
	c.start = start;
	c.end = end;
	c.rcache = rcache;
	c.ncpus = ncpus;
	c.pci_32bit_first = pci32;
	c.pci_32bit_sticky = sticky;
	c.op_ps = 100;
	c.node_ps = 10;
	c.cache_ps = 1;
	struct iom_iova_alloc *a = iom_iova_alloc_create(&c, &err);
	cr_assert_not_null(a, "%s", err.msg);
	return a;
}

static uint64_t al(struct iom_iova_alloc *a, uint64_t size, uint64_t limit, uint32_t cpu,
		   enum iom_iova_kind kind)
{
	uint64_t iova = 0;
	int r = iom_iova_alloc(a, size, limit, cpu, kind, &iova, NULL, &err);
	cr_assert_eq(r, 0, "alloc 0x%llx: %s", (unsigned long long)size, err.msg);
	return iova;
}

static void fr(struct iom_iova_alloc *a, uint64_t iova, uint64_t size, uint32_t cpu)
{
	int r = iom_iova_free(a, iova, size, cpu, NULL, &err);
	cr_assert_eq(r, 0, "free 0x%llx: %s", (unsigned long long)iova, err.msg);
}

static void al_fails(struct iom_iova_alloc *a, uint64_t size, uint64_t limit,
		     enum iom_iova_kind kind)
{
	uint64_t iova = 0;
	int r = iom_iova_alloc(a, size, limit, 0, kind, &iova, NULL, &err);
	cr_assert_eq(r, -IOM_EBUSY, "alloc 0x%llx should fail, got %d (iova 0x%llx)",
		     (unsigned long long)size, r, (unsigned long long)iova);
}

/*
 * Linux, 32-bit device (no 32-bit-first detour), range caches off.
 *  4 KB (1 pfn):   cached32 = anchor, high = 0x100000, new = 0xfffff.
 *  12 KB -> 4 pfns (pow2 rounding), align 4: from 0xfffff: (0xfffff-4)&~3
 *                  = 0xffff8 (hole 0xffffc..0xffffe stays behind).
 *  8 KB (2):       (0xffff8-2)&~1 = 0xffff6.
 *  4 KB:           0xffff5.
 *  64 KB (16):     (0xffff5-16)&~15 = 0xfffe0.
 *  132 KB (33, >= 32: not rounded, aligned to 64): (0xfffe0-33)&~63 = 0xfff80.
 *  4 KB again:     from cached32 = 0xfff80: 0xfff7f - the 3-pfn hole above
 *                  is never revisited by the top-down walk.
 */
Test(iova_alloc, linux_top_down_size_aligned)
{
	struct iom_iova_alloc *a = mk(IOM_IOVA_LINUX, 4 * KB, L48, false, 1, false, false);
	cr_expect_eq(al(a, 4 * KB, L32, 0, 0), 0xfffff000ull);
	cr_expect_eq(al(a, 12 * KB, L32, 0, 0), 0xffff8000ull);
	cr_expect_eq(al(a, 8 * KB, L32, 0, 0), 0xffff6000ull);
	cr_expect_eq(al(a, 4 * KB, L32, 0, 0), 0xffff5000ull);
	cr_expect_eq(al(a, 64 * KB, L32, 0, 0), 0xfffe0000ull);
	cr_expect_eq(al(a, 132 * KB, L32, 0, 0), 0xfff80000ull);
	cr_expect_eq(al(a, 4 * KB, L32, 0, 0), 0xfff7f000ull);
	/* allocated: 1 + 4 + 2 + 1 + 16 + 33 + 1 = 58 pfns */
	cr_expect_eq(iom_iova_alloc_stats(a)->allocated_bytes, 58 * 4 * KB);
	iom_iova_alloc_destroy(a);
}

/*
 * Cost of the first allocation: the walk examines the anchor (1 node), the
 * insertion descends from the hint (the anchor, the root): 1 node compared.
 * The range-cache lookup finds every magazine empty: no slot read.
 * 100 + 2 * 10 = 120 ps.
 */
Test(iova_alloc, linux_first_alloc_cost)
{
	struct iom_iova_alloc *a = mk(IOM_IOVA_LINUX, 4 * KB, L48, true, 1, false, false);
	uint64_t iova, cost = 0;
	cr_assert_eq(iom_iova_alloc(a, 4 * KB, L32, 0, 0, &iova, &cost, &err), 0);
	cr_expect_eq(cost, 120);
	cr_expect_eq(iom_iova_alloc_stats(a)->nodes_visited, 2);
	cr_expect_eq(iom_iova_alloc_stats(a)->cache_misses, 1);
	cr_expect_eq(iom_iova_alloc_stats(a)->time_ps, 120);
	iom_iova_alloc_destroy(a);
}

/*
 * The 32-bit-first rule (pre-v6.4: every time), with pfns 0..0xffffd
 * reserved so two pfns are left below 4 GiB. 48-bit device, caches off.
 *  a1 4 KB: 32-bit try from anchor: new 0xfffff, rb_prev = R (hi 0xffffd)
 *     below it -> 0xfffff000.
 *  a2 8 KB: 32-bit try from cached32 = a1: new (0xfffff-2)&~1 = 0xffffc
 *     collides with R; high drops to R.lo = 0 < size; retry above the
 *     cached node from iova_find_limit() = anchor: new 0xffffe <= a1.hi
 *     but below low = 0x100000 -> fails, max32_alloc_size = 2. Full limit
 *     from cached = anchor: (2^36 - 2)&~1 -> 0xffffffffe000.
 *  a3 4 KB: 32-bit try (1 < max32 2) from a1: 0xffffe -> 0xffffe000.
 *  a4 4 KB: 32-bit try fails the same way (max32 = 1); full limit from
 *     cached = a2: 0xffffffffd000.
 *  a5 4 KB: size 1 >= max32 1: the 32-bit try fails at once, without
 *     visiting a node -> 0xffffffffc000.
 *  free a3: below 4 GiB resets max32 to 0x100000, cached32 moves to
 *     rb_next(a3) = a1; a6 4 KB: 32-bit try from a1 -> 0xffffe000 again.
 */
Test(iova_alloc, linux_32bit_first_and_max32)
{
	struct iom_iova_alloc *a = mk(IOM_IOVA_LINUX, 4 * KB, L48, false, 1, true, false);
	cr_assert_eq(iom_iova_reserve(a, 0, 0xffffdfffull, &err), 0, "%s", err.msg);
	const struct iom_iova_alloc_stats *s = iom_iova_alloc_stats(a);
	cr_expect_eq(al(a, 4 * KB, L48, 0, 0), 0xfffff000ull);
	cr_expect_eq(s->retries_32bit, 0);
	cr_expect_eq(al(a, 8 * KB, L48, 0, 0), 0xffffffffe000ull);
	cr_expect_eq(s->retries_32bit, 1);
	uint64_t a3 = al(a, 4 * KB, L48, 0, 0);
	cr_expect_eq(a3, 0xffffe000ull);
	cr_expect_eq(s->retries_32bit, 1);
	cr_expect_eq(al(a, 4 * KB, L48, 0, 0), 0xffffffffd000ull);
	cr_expect_eq(s->retries_32bit, 2);
	uint64_t before = s->nodes_visited, cost = 0, iova;
	cr_assert_eq(iom_iova_alloc(a, 4 * KB, L48, 0, 0, &iova, &cost, &err), 0);
	cr_expect_eq(iova, 0xffffffffc000ull);
	cr_expect_eq(s->retries_32bit, 3);
	/* full-limit walk: cached = a4 node, rb_prev is a1 below: 1 node; the
	 * insertion from a4 compares at least a4. Nothing for the 32-bit try. */
	cr_expect_geq(s->nodes_visited - before, 2);
	cr_expect_leq(s->nodes_visited - before, 1 + 4);
	fr(a, a3, 4 * KB, 0);
	cr_expect_eq(al(a, 4 * KB, L48, 0, 0), 0xffffe000ull);
	cr_expect_eq(s->retries_32bit, 3);
	iom_iova_alloc_destroy(a);
}

/*
 * v6.4+ sticky rule: after the first failed 32-bit try (a2 above) the
 * allocator stops trying below 4 GiB: a3 comes from the full limit below
 * a2, although pfn 0xffffe is free.
 */
Test(iova_alloc, linux_32bit_first_sticky)
{
	struct iom_iova_alloc *a = mk(IOM_IOVA_LINUX, 4 * KB, L48, false, 1, true, true);
	cr_assert_eq(iom_iova_reserve(a, 0, 0xffffdfffull, &err), 0, "%s", err.msg);
	cr_expect_eq(al(a, 4 * KB, L48, 0, 0), 0xfffff000ull);
	cr_expect_eq(al(a, 8 * KB, L48, 0, 0), 0xffffffffe000ull);
	cr_expect_eq(al(a, 4 * KB, L48, 0, 0), 0xffffffffd000ull);
	cr_expect_eq(iom_iova_alloc_stats(a)->retries_32bit, 1);
	/* a 32-bit device is unaffected: its limit is not above 4 GiB */
	cr_expect_eq(al(a, 4 * KB, L32, 0, 0), 0xffffe000ull);
	iom_iova_alloc_destroy(a);
}

/*
 * Reserved hole, Linux: aperture [4 KB, 1 MB), pfns 0xf0..0xf3 reserved.
 *  16 KB (4): from anchor, high 0x100 -> 0xfc (R below) -> 0xfc000.
 *  32 KB (8): (0xfc-8)&~7 = 0xf0 hits R; high = R.lo = 0xf0 ->
 *             0xe8 -> 0xe8000 (pfns 0xf4..0xfb stay free).
 *  16 KB (4): from cached32 = 0xe8: 0xe4 -> 0xe4000: the free 8 pfns
 *             above the reservation are not revisited.
 */
Test(iova_alloc, linux_hole_around_reserved)
{
	struct iom_iova_alloc *a = mk(IOM_IOVA_LINUX, 4 * KB, MB - 1, false, 1, true, true);
	cr_assert_eq(iom_iova_reserve(a, 0xf0000, 0xf3fff, &err), 0, "%s", err.msg);
	cr_expect_eq(al(a, 16 * KB, L48, 0, 0), 0xfc000ull);
	cr_expect_eq(al(a, 32 * KB, L48, 0, 0), 0xe8000ull);
	cr_expect_eq(al(a, 16 * KB, L48, 0, 0), 0xe4000ull);
	/* free: pfns 1..0xe3 (0xe3) and 0xf4..0xfb (8): 2 holes */
	struct iom_iova_frag f;
	iom_iova_alloc_frag(a, &f);
	cr_expect_eq(f.holes, 2);
	cr_expect_eq(f.free_bytes, (0xe3ull + 8) * 4 * KB);
	cr_expect_eq(f.largest_free, 0xe3ull * 4 * KB);
	cr_expect_eq(f.held_bytes, 0);
	iom_iova_alloc_destroy(a);
}

/*
 * Range cache on the same CPU (two CPUs, 32-bit device):
 *  X 8 KB cpu0: miss, tree: 0xffffe000. free X cpu0 -> cpu0 bin 1.
 *  8 KB cpu1: cpu1's magazines and the depot are empty: miss, tree below
 *     X (X is still a tree node): 0xffffc000.
 *  8 KB cpu0: hit, X again. Costs: the free pushes 1 slot, the hit reads
 *     1 slot: 100 + 1 = 101 ps each, no tree node.
 *  12 KB cpu0: bin 2 (4 pfns): miss.
 */
Test(iova_alloc, linux_rcache_hit_same_cpu)
{
	struct iom_iova_alloc *a = mk(IOM_IOVA_LINUX, 4 * KB, L48, true, 2, false, false);
	const struct iom_iova_alloc_stats *s = iom_iova_alloc_stats(a);
	uint64_t x = al(a, 8 * KB, L32, 0, 0), cost = 0, iova;
	cr_expect_eq(x, 0xffffe000ull);
	cr_assert_eq(iom_iova_free(a, x, 8 * KB, 0, &cost, &err), 0);
	cr_expect_eq(cost, 101);
	struct iom_iova_frag f;
	iom_iova_alloc_frag(a, &f);
	cr_expect_eq(f.held_bytes, 8 * KB);
	cr_expect_eq(al(a, 8 * KB, L32, 1, 0), 0xffffc000ull);
	cr_expect_eq(s->cache_hits, 0);
	cr_expect_eq(s->cache_misses, 2);
	cost = 0;
	cr_assert_eq(iom_iova_alloc(a, 8 * KB, L32, 0, 0, &iova, &cost, &err), 0);
	cr_expect_eq(iova, x);
	cr_expect_eq(cost, 101);
	cr_expect_eq(s->cache_hits, 1);
	iom_iova_alloc_frag(a, &f);
	cr_expect_eq(f.held_bytes, 0);
	al(a, 12 * KB, L32, 0, 0);
	cr_expect_eq(s->cache_misses, 3);
	/* a cached pfn above the caller's limit is not handed out */
	fr(a, x, 8 * KB, 0);
	uint64_t low = al(a, 8 * KB, 0xffffdfffull, 0, 0);
	cr_expect_neq(low, x);
	cr_expect_leq(low + 8 * KB - 1, 0xffffdfffull);
	cr_expect_eq(s->cache_misses, 4);
	iom_iova_alloc_destroy(a);
}

/*
 * Full-limit failure flushes every cache: aperture pfns 1..3. Three 4 KB
 * allocations (3, 2, 1) freed on cpu0 sit in bin 0. 8 KB (bin 1, empty):
 * the tree is full of cached ranges -> flush all, retry: cached32 = anchor
 * after the removals, high = 4, new = 2&~1 = 2 -> 0x2000.
 */
Test(iova_alloc, linux_flush_on_failure)
{
	struct iom_iova_alloc *a = mk(IOM_IOVA_LINUX, 4 * KB, 16 * KB - 1, true, 1, true, true);
	cr_expect_eq(al(a, 4 * KB, L48, 0, 0), 0x3000ull);
	cr_expect_eq(al(a, 4 * KB, L48, 0, 0), 0x2000ull);
	cr_expect_eq(al(a, 4 * KB, L48, 0, 0), 0x1000ull);
	fr(a, 0x3000, 4 * KB, 0);
	fr(a, 0x2000, 4 * KB, 0);
	fr(a, 0x1000, 4 * KB, 0);
	struct iom_iova_frag f;
	iom_iova_alloc_frag(a, &f);
	cr_expect_eq(f.free_bytes, 0);
	cr_expect_eq(f.held_bytes, 12 * KB);
	cr_expect_eq(al(a, 8 * KB, L48, 0, 0), 0x2000ull);
	cr_expect_eq(iom_iova_alloc_stats(a)->rcache_flushes, 1);
	iom_iova_alloc_frag(a, &f);
	cr_expect_eq(f.held_bytes, 0);
	cr_expect_eq(f.free_bytes, 4 * KB);
	iom_iova_alloc_destroy(a);
}

/*
 * Magazines and the depot (one CPU): 382 frees of 4 KB on cpu0. Frees
 * 1..127 fill "loaded"; 128 swaps in the empty "prev"; 255 finds both full
 * and pushes "loaded" to the depot (1); 382 pushes again (2). The depot
 * holds 2 > 1 CPU: one trim returns one magazine (127 ranges) to the tree,
 * a second trim finds 1 <= 1 and does nothing.
 */
Test(iova_alloc, linux_depot_trim)
{
	struct iom_iova_alloc *a = mk(IOM_IOVA_LINUX, 4 * KB, L48, true, 1, false, false);
	uint64_t *v = calloc(382, sizeof(*v));
	for (int i = 0; i < 382; i++)
		v[i] = al(a, 4 * KB, L32, 0, 0);
	for (int i = 0; i < 382; i++)
		fr(a, v[i], 4 * KB, 0);
	struct iom_iova_frag f;
	iom_iova_alloc_frag(a, &f);
	cr_expect_eq(f.held_bytes, 382 * 4 * KB);
	cr_expect_eq(iom_iova_rcache_trim(a, NULL), 1);
	iom_iova_alloc_frag(a, &f);
	cr_expect_eq(f.held_bytes, (382 - 127) * 4 * KB);
	cr_expect_eq(iom_iova_rcache_trim(a, NULL), 0);
	cr_expect_eq(iom_iova_alloc_stats(a)->depot_trims, 1);
	free(v);
	iom_iova_alloc_destroy(a);
}

/*
 * bottom_top (QEMU): aperture [0x10000, 1 MB), pfns 0x80..0x8f reserved:
 * usable [0x10, 0x7f] and [0x90, 0xff]; low_water_mark 0x10, high 0x100.
 *  fixed 64 KB (16):  0x10000, low -> 0x20.
 *  temp 16 KB (4):    upper range: 0x100 - 4 = 0xfc -> 0xfc000.
 *  temp 64 KB (16):   0xfc - 16 = 0xec -> 0xec000.
 *  temp 400 KB (100): upper range has 0xec - 0x90 = 92 < 100; the lower
 *     range gives 0x80 - 100 = 0x1c < low 0x20: would collide with the
 *     fixed mapping -> fails; two temporaries in flight -> EBUSY (nvme
 *     waits). Freeing both recycles the temporary area (reset, high 0x100).
 *  temp 400 KB: 0x100 - 100 = 0x9c -> 0x9c000.
 *  temp 320 KB (80):  upper has 0x9c - 0x90 = 12; lower: 0x80 - 80 = 0x30
 *     -> 0x30000 (skips the reserved hole and the 12 pfns above it).
 *  fixed 64 KB:       water marks 0x30 - 0x20 = 16 >= 16 -> 0x20000.
 *  fixed 4 KB:        0x30 - 0x30 = 0 -> fails (fixed: no retry).
 * End: free 0, live 16+16+100+80 = 212 of 224 usable pfns, held 12.
 */
Test(iova_alloc, bottom_top_placement_and_reset)
{
	struct iom_iova_alloc *a = mk(IOM_IOVA_BOTTOM_TOP, 0x10000, MB - 1, false, 1, false, false);
	cr_assert_eq(iom_iova_reserve(a, 0x80000, 0x8ffff, &err), 0, "%s", err.msg);
	const enum iom_iova_kind F = IOM_IOVA_LONG_LIVED, T = IOM_IOVA_TEMPORARY;
	cr_expect_eq(al(a, 64 * KB, L48, 0, F), 0x10000ull);
	uint64_t t1 = al(a, 16 * KB, L48, 0, T), t2 = al(a, 64 * KB, L48, 0, T);
	cr_expect_eq(t1, 0xfc000ull);
	cr_expect_eq(t2, 0xec000ull);
	uint64_t iova;
	cr_expect_eq(iom_iova_alloc(a, 400 * KB, L48, 0, T, &iova, NULL, &err), -IOM_EBUSY);
	cr_expect_eq(iom_iova_alloc_stats(a)->temp_resets, 0);
	fr(a, t1, 16 * KB, 0);
	cr_expect_eq(iom_iova_alloc_stats(a)->temp_resets, 0);
	fr(a, t2, 64 * KB, 0);
	cr_expect_eq(iom_iova_alloc_stats(a)->temp_resets, 1);
	cr_expect_eq(al(a, 400 * KB, L48, 0, T), 0x9c000ull);
	cr_expect_eq(al(a, 320 * KB, L48, 0, T), 0x30000ull);
	cr_expect_eq(al(a, 64 * KB, L48, 0, F), 0x20000ull);
	al_fails(a, 4 * KB, L48, F);
	struct iom_iova_frag f;
	iom_iova_alloc_frag(a, &f);
	cr_expect_eq(f.free_bytes, 0);
	cr_expect_eq(f.holes, 0);
	cr_expect_eq(f.held_bytes, 12 * 4 * KB);
	cr_expect_eq(iom_iova_alloc_stats(a)->allocated_bytes, 212 * 4 * KB);
	iom_iova_alloc_destroy(a);
}

/*
 * bottom_top: a failing temporary with none in flight resets at once and
 * retries (nvme_cmd_map_qiov: dma_map_count == 0). Aperture pfns
 * 0x10..0x1f (16). temp 32 KB (8): 0x18; freed (nothing in flight);
 * temp 48 KB (12): 0x18 - 0x10 = 8 < 12 fails, reset, 0x20 - 12 = 0x14.
 * A freed fixed mapping is never reused: fixed 8 KB -> 0x10, freed, next
 * fixed 8 KB -> 0x12, below the temporary at 0x14.
 */
Test(iova_alloc, bottom_top_reset_without_inflight)
{
	struct iom_iova_alloc *a = mk(IOM_IOVA_BOTTOM_TOP, 0x10000, 0x1ffff, false, 1, false, false);
	const enum iom_iova_kind F = IOM_IOVA_LONG_LIVED, T = IOM_IOVA_TEMPORARY;
	uint64_t t = al(a, 32 * KB, L48, 0, T);
	cr_expect_eq(t, 0x18000ull);
	fr(a, t, 32 * KB, 0);
	cr_expect_eq(al(a, 48 * KB, L48, 0, T), 0x14000ull);
	cr_expect_eq(iom_iova_alloc_stats(a)->temp_resets, 1);
	uint64_t f1 = al(a, 8 * KB, L48, 0, F);
	cr_expect_eq(f1, 0x10000ull);
	fr(a, f1, 8 * KB, 0);
	cr_expect_eq(al(a, 8 * KB, L48, 0, F), 0x12000ull);
	al_fails(a, 4 * KB, L48, F);
	iom_iova_alloc_destroy(a);
}

/*
 * bottom_top honours the caller's limit: a temporary for a device that
 * reaches 0xbffff only starts below 0xc0000 (model: high_water_mark is
 * lowered to the limit).
 */
Test(iova_alloc, bottom_top_limit)
{
	struct iom_iova_alloc *a = mk(IOM_IOVA_BOTTOM_TOP, 0x10000, MB - 1, false, 1, false, false);
	cr_expect_eq(al(a, 16 * KB, 0xbffff, 0, IOM_IOVA_TEMPORARY), 0xbc000ull);
	cr_expect_eq(al(a, 16 * KB, 0xfffff, 0, IOM_IOVA_LONG_LIVED), 0x10000ull);
	/* the next fixed IOVA, 0x14000..0x17fff, is above a 0x13fff limit */
	al_fails(a, 16 * KB, 0x13fff, IOM_IOVA_LONG_LIVED);
	cr_expect_eq(al(a, 16 * KB, 0xfffff, 0, IOM_IOVA_LONG_LIVED), 0x14000ull);
	iom_iova_alloc_destroy(a);
}

/*
 * First fit: aperture pfns 1..0xff, 0xf0..0xf3 reserved.
 *  16 KB -> pfn 1; 32 KB -> 5; 0xe3 pfns -> 0xd (fills to 0xef);
 *  8 KB  -> the hole above the reservation, 0xf4;
 *  48 KB (12) -> only 10 pfns (0xf6..0xff) left: fails;
 *  free the 32 KB at pfn 5; 16 KB -> 5 again.
 * Free then: pfns 9..0xc (4) and 0xf6..0xff (10).
 */
Test(iova_alloc, first_fit_lowest_hole)
{
	struct iom_iova_alloc *a = mk(IOM_IOVA_FIRST_FIT, 4 * KB, MB - 1, false, 1, false, false);
	cr_assert_eq(iom_iova_reserve(a, 0xf0000, 0xf3fff, &err), 0, "%s", err.msg);
	cr_expect_eq(al(a, 16 * KB, L48, 0, 0), 0x1000ull);
	cr_expect_eq(al(a, 32 * KB, L48, 0, 0), 0x5000ull);
	cr_expect_eq(al(a, 0xe3ull * 4 * KB, L48, 0, 0), 0xd000ull);
	cr_expect_eq(al(a, 8 * KB, L48, 0, 0), 0xf4000ull);
	al_fails(a, 48 * KB, L48, 0);
	fr(a, 0x5000, 32 * KB, 0);
	cr_expect_eq(al(a, 16 * KB, L48, 0, 0), 0x5000ull);
	struct iom_iova_frag f;
	iom_iova_alloc_frag(a, &f);
	cr_expect_eq(f.holes, 2);
	cr_expect_eq(f.free_bytes, 14 * 4 * KB);
	cr_expect_eq(f.largest_free, 10 * 4 * KB);
	/* the limit: a 40 KB hole exists only above 0xf5fff */
	al_fails(a, 40 * KB, 0xf5fff, 0);
	cr_expect_eq(al(a, 40 * KB, L48, 0, 0), 0xf6000ull);
	iom_iova_alloc_destroy(a);
}

Test(iova_alloc, errors)
{
	struct iom_iova_alloc_cfg c;
	iom_iova_alloc_cfg_defaults(&c);
	c.granule = 3000;
	cr_expect_null(iom_iova_alloc_create(&c, &err));
	cr_expect_eq(err.code, IOM_EINVAL);
	iom_iova_alloc_cfg_defaults(&c);
	c.start = 1 * GB;
	c.end = 1 * GB - 1;
	cr_expect_null(iom_iova_alloc_create(&c, &err));
	struct iom_iova_alloc *a = mk(IOM_IOVA_LINUX, 4 * KB, L48, true, 2, false, false);
	uint64_t iova;
	cr_expect_eq(iom_iova_alloc(a, 0, L48, 0, 0, &iova, NULL, &err), -IOM_EINVAL);
	cr_expect_eq(iom_iova_alloc(a, 4 * KB, L48, 2, 0, &iova, NULL, &err), -IOM_EINVAL);
	uint64_t x = al(a, 4 * KB, L48, 0, 0);
	cr_expect_eq(iom_iova_free(a, x + 4 * KB, 4 * KB, 0, NULL, &err), -IOM_ENOENT);
	cr_expect_eq(iom_iova_free(a, x, 64 * KB, 0, NULL, &err), -IOM_ENOENT);
	cr_expect_eq(iom_iova_reserve(a, x, x, &err), -IOM_EBUSY);
	fr(a, x, 4 * KB, 0);
	cr_expect_eq(iom_iova_free(a, x, 4 * KB, 0, NULL, &err), -IOM_ENOENT); /* cached now */
	cr_expect_eq(iom_iova_reserve(a, x, x, &err), -IOM_EBUSY);
	cr_expect_eq(iom_iova_reserve(a, 2 * GB, GB, &err), -IOM_EINVAL);
	iom_iova_alloc_destroy(a);
}

/* reserve_iova() merges overlapping reservations: [0x10000, 0x1ffff] then
 * [0x8000, 0x2ffff] leave one reserved span 0x8000..0x2ffff: first fit in
 * [4 KB, 1 MB) then finds pfns 1..7 and 0x30.. free. */
Test(iova_alloc, reserve_merges)
{
	struct iom_iova_alloc *a = mk(IOM_IOVA_FIRST_FIT, 4 * KB, MB - 1, false, 1, false, false);
	cr_assert_eq(iom_iova_reserve(a, 0x10000, 0x1ffff, &err), 0);
	cr_assert_eq(iom_iova_reserve(a, 0x8000, 0x2ffff, &err), 0);
	struct iom_iova_frag f;
	iom_iova_alloc_frag(a, &f);
	cr_expect_eq(f.holes, 2);
	cr_expect_eq(f.free_bytes, (7 + 0xd0ull) * 4 * KB);
	cr_expect_eq(al(a, 28 * KB, L48, 0, 0), 0x1000ull);
	cr_expect_eq(al(a, 4 * KB, L48, 0, 0), 0x30000ull);
	iom_iova_alloc_destroy(a);
}

Test(iova_alloc, register_stats)
{
	struct iom_iova_alloc *a = mk(IOM_IOVA_LINUX, 4 * KB, L48, true, 1, false, false);
	struct iom_stats *s = iom_stats_create();
	cr_assert_eq(iom_iova_alloc_register_stats(a, s, "dom0.iova", &err), 0, "%s", err.msg);
	al(a, 8 * KB, L32, 0, 0);
	double v;
	cr_assert_eq(iom_stats_get(s, NULL, "dom0.iova.allocs", &v), 0);
	cr_expect_eq(v, 1.0);
	cr_assert_eq(iom_stats_get(s, NULL, "dom0.iova.allocated_bytes", &v), 0);
	cr_expect_eq(v, 8.0 * KB);
	cr_assert_eq(iom_stats_get(s, NULL, "dom0.iova.holes", &v), 0);
	cr_expect_eq(v, 2.0); /* below 0xffffe000 and above it up to 2^48 */
	iom_stats_destroy(s);
	iom_iova_alloc_destroy(a);
}

/* ---- randomized property test ---- */

struct live {
	uint64_t iova, len, req;
	uint32_t cpu;
};

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* sc = 0: a 1 GiB aperture; sc = 7: everything 128 times smaller (8 MB,
 * a 4 KB hole every 256 KB, 4-64 KB buffers) so the two water marks of
 * bottom_top meet in neighbouring usable ranges again and again. */
static void property(uint32_t algo, uint64_t seed, unsigned sc)
{
	/* 1 GiB: small enough that the live set (up to 4000 x ~200 KB) fills
	 * it, so failures, cache flushes and temporary resets happen */
	const uint64_t start = 0x10000, end = ((1ull << 30) >> sc) - 1;
	struct iom_iova_alloc *a = mk(algo, start, end, true, 4, true, seed & 1);
	/* reserved: an MSI-like window, a PCI hole, one at the top, and a
	 * hole every 32 MB (many usable ranges for bottom_top) */
	uint64_t res[40][2] = { { 0x8000000 >> sc, (0x8100000 >> sc) - 1 },
				{ 0x30000000 >> sc, (0x38000000 >> sc) - 1 },
				{ 0x3ff00000 >> sc, (0x40000000 >> sc) - 1 } };
	const uint64_t hole = sc ? 4 * KB : 64 * KB;
	size_t nres = 3;
	for (uint64_t k = 0; k < 32; k++) {
		uint64_t b = ((k * 32 * MB) >> sc) + ((16 * MB) >> sc);
		if (b + hole - 1 < res[1][0] || b > res[1][1]) {
			res[nres][0] = b;
			res[nres++][1] = b + hole - 1;
		}
	}
	uint64_t reserved_pfns = 0;
	for (size_t i = 0; i < nres; i++) {
		cr_assert_eq(iom_iova_reserve(a, res[i][0], res[i][1], &err), 0, "%s", err.msg);
		reserved_pfns += (res[i][1] - res[i][0] + 1) >> 12;
	}
	const uint64_t usable = ((end + 1 - start) >> 12) - reserved_pfns;
	const uint64_t limits[] = { 0xffffffffull, (0x20000000ull >> sc) - 1, end, 0xfffffffffull };
	struct live *lv = calloc(4096, sizeof(*lv));
	size_t n = 0;
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1, ok = 0, failed = 0;
	for (int op = 0; op < 12000; op++) {
		bool do_alloc = n == 0 || (n < 4000 && rnd(&x) % 100 < 70);
		if (do_alloc) {
			uint64_t r = rnd(&x);
			/* mostly small (the caches' sizes), sometimes up to 2 MB */
			uint64_t size = sc       ? ((r >> 8) % 16 + 1) * 4 * KB - (r >> 20) % 4096
					: r % 8  ? ((r >> 8) % 64 + 1) * 4 * KB - (r >> 20) % 4096
						 : ((r >> 8) % 512 + 1) * 4 * KB;
			uint64_t limit = limits[(r >> 32) % 4];
			uint32_t cpu = (uint32_t)((r >> 40) % 4);
			enum iom_iova_kind kind = (r >> 44) % 4 ? IOM_IOVA_TEMPORARY : IOM_IOVA_LONG_LIVED;
			uint64_t iova = 0;
			int rc = iom_iova_alloc(a, size, limit, cpu, kind, &iova, NULL, &err);
			if (rc) {
				cr_assert_eq(rc, -IOM_EBUSY, "op %d: %s", op, err.msg);
				failed++;
				continue;
			}
			/* expected length: granules; Linux rounds below 32 to a
			 * power of two and aligns the start to the power of two
			 * covering the size */
			uint64_t pf = (size + 4095) >> 12, p2 = 1;
			while (p2 < pf)
				p2 <<= 1;
			uint64_t len = (algo == IOM_IOVA_LINUX && pf < 32 ? p2 : pf) << 12;
			cr_assert_eq(iova & 4095, 0, "op %d: unaligned 0x%llx", op, (unsigned long long)iova);
			if (algo == IOM_IOVA_LINUX)
				cr_assert_eq(iova & ((p2 << 12) - 1), 0, "op %d: 0x%llx not aligned to 0x%llx",
					     op, (unsigned long long)iova, (unsigned long long)(p2 << 12));
			uint64_t last = iova + len - 1;
			cr_assert(iova >= start && last <= end, "op %d: 0x%llx outside", op,
				  (unsigned long long)iova);
			cr_assert(last <= limit, "op %d: 0x%llx+0x%llx above limit 0x%llx", op,
				  (unsigned long long)iova, (unsigned long long)len,
				  (unsigned long long)limit);
			for (size_t i = 0; i < nres; i++)
				cr_assert(last < res[i][0] || iova > res[i][1],
					  "op %d: 0x%llx overlaps reserved", op, (unsigned long long)iova);
			for (size_t i = 0; i < n; i++)
				cr_assert(last < lv[i].iova || iova > lv[i].iova + lv[i].len - 1,
					  "op %d: 0x%llx overlaps live 0x%llx", op, (unsigned long long)iova,
					  (unsigned long long)lv[i].iova);
			lv[n++] = (struct live){ iova, len, size, (uint32_t)((r >> 48) % 4) };
			ok++;
		} else {
			size_t i = rnd(&x) % n;
			fr(a, lv[i].iova, lv[i].req, lv[i].cpu);
			lv[i] = lv[--n];
		}
		struct iom_iova_frag f;
		iom_iova_alloc_frag(a, &f);
		uint64_t live_bytes = 0;
		for (size_t i = 0; i < n; i++)
			live_bytes += lv[i].len;
		cr_assert_eq(iom_iova_alloc_stats(a)->allocated_bytes, live_bytes, "op %d", op);
		cr_assert_eq(f.free_bytes + live_bytes + f.held_bytes, usable * 4 * KB,
			     "op %d: free 0x%llx + live 0x%llx + held 0x%llx != usable", op,
			     (unsigned long long)f.free_bytes, (unsigned long long)live_bytes,
			     (unsigned long long)f.held_bytes);
		cr_assert_leq(f.largest_free, f.free_bytes);
	}
	cr_expect_gt(ok, sc ? 500 : 3000, "%s: only %llu allocations succeeded", iom_iova_algo_name(algo),
		     (unsigned long long)ok);
	cr_expect_gt(failed, 0, "%s: the space never ran out", iom_iova_algo_name(algo));
	free(lv);
	iom_iova_alloc_destroy(a);
}

Test(iova_alloc, property_linux)
{
	property(IOM_IOVA_LINUX, 1, 0);
	property(IOM_IOVA_LINUX, 2, 0);
	property(IOM_IOVA_LINUX, 5, 7);
}

Test(iova_alloc, property_bottom_top)
{
	property(IOM_IOVA_BOTTOM_TOP, 3, 0);
	property(IOM_IOVA_BOTTOM_TOP, 6, 7);
	property(IOM_IOVA_BOTTOM_TOP, 7, 7);
}

Test(iova_alloc, property_first_fit)
{
	property(IOM_IOVA_FIRST_FIT, 4, 0);
	property(IOM_IOVA_FIRST_FIT, 8, 7);
}
