/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_pgtable_vmsa.c - VMSAv8-64 stage-1, 4 KB granule builder and walker
 * (models/pgtable) against hand-derived values from Arm DDI0487 D8.2/D8.3
 * (reference section 1.5).
 *
 * Fixture: memory of 2^48 bytes with a fixed DRAM latency of 50 ns and no
 * LLC, and a fresh buddy allocator over [0x8000_0000, +16 MB).  palloc hands
 * out the lowest free 4 KB block first, so the tables of the first mapping
 * are, in creation order: root (the start level) = 0x8000_0000, then
 * 0x8000_1000, 0x8000_2000, 0x8000_3000 for the following levels.
 *
 * Descriptor bits used below (stage 1): valid [0] = 0x1, table/page [1] =
 * 0x2, AP[1] [6] = 0x40, AP[2] [7] = 0x80, SH [9:8] = 0b11 -> 0x300, AF [10]
 * = 0x400, nG [11] = 0x800, DBM [51], PXN [53] = 0x0020_0000_0000_0000, UXN
 * [54] = 0x0040_0000_0000_0000, so PXN|UXN = 0x0060_0000_0000_0000.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "mem.h"
#include "pgtable.h"

#define LAT_PS 50000ull /* dram_latency_ps of the fixture */
#define NOW_PS 1000ull
#define PBASE  0x80000000ull
#define T0     (PBASE + 0x0000) /* root */
#define T1     (PBASE + 0x1000) /* second table allocated */
#define T2     (PBASE + 0x2000)
#define T3     (PBASE + 0x3000)

#define SZ_4K   0x1000ull
#define SZ_2M   0x200000ull
#define SZ_1G   0x40000000ull
#define XN_BITS 0x0060000000000000ull /* PXN [53] | UXN [54] */

static struct iom_mem *mem;
static struct iom_palloc *pa_alloc;
static struct iom_pt_alloc alloc;
static struct iom_pt *pt;
static struct iom_err err;
static int req;

static void setup_mem(unsigned addr_bits)
{
	struct iom_mem_cfg mc = {.addr_bits = addr_bits,
	                         .dram_latency_ps = LAT_PS,
	                         .llc_latency_ps = 1000,
	                         .llc_hit_ratio = 0.0,
	                         .seed = 1};
	mem = iom_mem_create(&mc, &err);
	cr_assert_not_null(mem, "%s", err.msg);
	req = iom_mem_requester(mem, "smmu0.walk");
	cr_assert_geq(req, 0);
	pa_alloc = iom_palloc_create(mem, PBASE, 16ull << 20, &err);
	cr_assert_not_null(pa_alloc, "%s", err.msg);
	iom_palloc_as_pt_alloc(pa_alloc, &alloc);
}

static struct iom_pt *make_pt(unsigned ia_bits, unsigned oa_bits)
{
	struct iom_pt_cfg c = {
	    .fmt = IOM_PT_VMSA64_S1, .granule_shift = 12, .ia_bits = ia_bits, .oa_bits = oa_bits};
	struct iom_pt *p = iom_pt_create(mem, &c, &alloc, &err);
	cr_assert_not_null(p, "%s", err.msg);
	return p;
}

static void init48(void)
{
	memset(&err, 0, sizeof(err));
	setup_mem(48);
	pt = make_pt(48, 48);
}

static void fini(void)
{
	iom_pt_destroy(pt);
	pt = NULL;
	iom_palloc_destroy(pa_alloc);
	iom_mem_destroy(mem);
}

static void do_walk(struct iom_pt_walk *w, uint64_t iova, uint64_t table, unsigned level)
{
	memset(w, 0, sizeof(*w));
	w->iova = iova;
	w->table_pa = table;
	w->level = (uint8_t)level;
	w->now_ps = NOW_PS;
	w->mem_req = req;
	cr_assert_eq(iom_pt_walk(mem, iom_pt_config(pt), w, &err), 0, "%s", err.msg);
}

static void check_step(const struct iom_pt_walk *w, unsigned i, uint64_t pa, unsigned level,
                       bool is_table)
{
	cr_assert_eq(w->steps[i].desc_pa, pa, "step %u read 0x%llx, want 0x%llx", i,
	             (unsigned long long)w->steps[i].desc_pa, (unsigned long long)pa);
	cr_assert_eq(w->steps[i].level, level, "step %u level", i);
	cr_assert_eq(w->steps[i].is_table, is_table, "step %u is_table", i);
	cr_assert_eq(w->steps[i].done_ps, NOW_PS + (i + 1) * LAT_PS, "step %u done_ps", i);
}

/* iova 0x0000_1234_5678_9000: L0 = iova[47:39] = 0x123 >> 3 = 0x24,
 * L1 = [38:30] = (0x12345 >> 2) & 0x1ff = 0x48d1 & 0x1ff = 0xd1,
 * L2 = [29:21] = (0x1234567 >> 1) & 0x1ff = 0x91a2b3 & 0x1ff = 0xb3,
 * L3 = [20:12] = 0x123456789 & 0x1ff = 0x189. */
#define IOVA4 0x123456789000ull
#define PA4   0x123456000ull
#define D_L0  (T0 + 8 * 0x24)  /* 0x8000_0120 */
#define D_L1  (T1 + 8 * 0xd1)  /* 0x8000_1688 */
#define D_L2  (T2 + 8 * 0xb3)  /* 0x8000_2598 */
#define D_L3  (T3 + 8 * 0x189) /* 0x8000_3c48 */

TestSuite(pgtable_vmsa, .init = init48, .fini = fini);

Test(pgtable_vmsa, geometry_follows_level_formula)
{
	struct iom_pt_geom g;
	struct iom_pt_cfg c = {.fmt = IOM_PT_VMSA64_S1, .granule_shift = 12, .oa_bits = 48};
	/* levels = ceil((IA - 12) / 9): 48 -> 4 (start 0), 39 -> 3 (start 1),
	 * 40 -> ceil(28/9) = 4 (start 0), 30 -> 2 (start 2), 25 -> 2 (start 2). */
	static const struct {
		uint8_t ia, levels, start;
	} cases[] = {
	    {48, 4, 0}, {39, 3, 1}, {40, 4, 0}, {30, 2, 2}, {25, 2, 2},
	};
	for (size_t i = 0; i < IOM_ARRAY_SIZE(cases); i++) {
		c.ia_bits = cases[i].ia;
		cr_assert_eq(iom_pt_geometry(&c, &g, &err), 0, "%s", err.msg);
		cr_assert_eq(g.levels, cases[i].levels, "ia %u levels", cases[i].ia);
		cr_assert_eq(g.start_level, cases[i].start, "ia %u start", cases[i].ia);
		cr_assert_eq(g.stride, 9);
		cr_assert_eq(g.granule_shift, 12);
	}
}

Test(pgtable_vmsa, four_level_4k_walk_reads_four_descriptors)
{
	struct iom_pt_walk w;
	cr_assert_eq(iom_pt_root(pt), T0);
	cr_assert_eq(iom_pt_map(pt, IOVA4, PA4, SZ_4K, SZ_4K, IOM_PTE_R | IOM_PTE_W, &err), 0, "%s",
	             err.msg);
	do_walk(&w, IOVA4 + 0x9ab, T0, 0);
	cr_assert_eq(w.status, IOM_PT_OK);
	cr_assert_eq(w.nsteps, 4);
	check_step(&w, 0, D_L0, 0, true);
	check_step(&w, 1, D_L1, 1, true);
	check_step(&w, 2, D_L2, 2, true);
	check_step(&w, 3, D_L3, 3, false);
	/* Table descriptor = next table | table (0x2) | valid (0x1). */
	cr_assert_eq(w.steps[0].desc, T1 | 3);
	cr_assert_eq(w.steps[1].desc, T2 | 3);
	cr_assert_eq(w.steps[2].desc, T3 | 3);
	cr_assert_eq(w.done_ps, NOW_PS + 4 * LAT_PS); /* 201000 */
	cr_assert_eq(w.oa, PA4 + 0x9ab);
	cr_assert_eq(w.page_size, SZ_4K);
	cr_assert_eq(w.leaf_level, 3);
	cr_assert_eq(w.leaf_desc_pa, D_L3);
	cr_assert_eq(w.perms, IOM_PTE_R | IOM_PTE_W);
	cr_assert_eq(w.af, 1);
	cr_assert_eq(iom_mem_req_stats(mem, req)->reads, 4);
}

Test(pgtable_vmsa, page_descriptor_is_bit_exact)
{
	uint32_t f = IOM_PTE_R | IOM_PTE_W | IOM_PTE_USER | IOM_PTE_NG;
	cr_assert_eq(iom_pt_map(pt, IOVA4, PA4, SZ_4K, SZ_4K, f, &err), 0, "%s", err.msg);
	/* valid 0x1 | page 0x2 | AP[1] 0x40 | SH 0x300 | AF 0x400 | nG 0x800 = 0xf43,
	 * AP[2] = 0 (writable), AttrIndx = 0, no X -> PXN|UXN, OA = 0x1_2345_6000. */
	cr_assert_eq(iom_mem_rd64(mem, D_L3), 0x0060000123456f43ull);
	struct iom_pt_walk w;
	do_walk(&w, IOVA4, T0, 0);
	cr_assert_eq(w.leaf_desc, 0x0060000123456f43ull);
	cr_assert_eq(w.perms, IOM_PTE_R | IOM_PTE_W | IOM_PTE_USER | IOM_PTE_NG);
}

Test(pgtable_vmsa, read_only_page_sets_ap2)
{
	cr_assert_eq(iom_pt_map(pt, IOVA4, PA4, SZ_4K, SZ_4K, IOM_PTE_R, &err), 0, "%s", err.msg);
	/* 0x1 | 0x2 | AP[2] 0x80 | SH 0x300 | AF 0x400 = 0x783, plus PXN|UXN. */
	cr_assert_eq(iom_mem_rd64(mem, D_L3), 0x0060000123456783ull);
	struct iom_pt_walk w;
	do_walk(&w, IOVA4, T0, 0);
	cr_assert_eq(w.perms, IOM_PTE_R);
}

Test(pgtable_vmsa, executable_dbm_page_clears_xn_and_sets_dbm)
{
	uint32_t f = IOM_PTE_R | IOM_PTE_W | IOM_PTE_X | IOM_PTE_DBM;
	cr_assert_eq(iom_pt_map(pt, IOVA4, PA4, SZ_4K, SZ_4K, f, &err), 0, "%s", err.msg);
	/* 0x1 | 0x2 | SH 0x300 | AF 0x400 = 0x703; DBM bit 51 = 0x0008_0000_0000_0000. */
	cr_assert_eq(iom_mem_rd64(mem, D_L3), 0x0008000123456703ull);
	struct iom_pt_walk w;
	do_walk(&w, IOVA4, T0, 0);
	cr_assert_eq(w.perms, IOM_PTE_R | IOM_PTE_W | IOM_PTE_X | IOM_PTE_DBM);
}

Test(pgtable_vmsa, noaf_leaf_has_af_clear)
{
	cr_assert_eq(iom_pt_map(pt, IOVA4, PA4, SZ_4K, SZ_4K, IOM_PTE_R | IOM_PTE_NOAF, &err), 0);
	cr_assert_eq(iom_mem_rd64(mem, D_L3) & (1ull << 10), 0);
	struct iom_pt_walk w;
	do_walk(&w, IOVA4, T0, 0);
	cr_assert_eq(w.status, IOM_PT_OK);
	cr_assert_eq(w.af, 0);
}

/* iova 0x4020_0000: L0 = 0, L1 = [38:30] = 1, L2 = [29:21] = 0x402 & 0x1ff = 1. */
Test(pgtable_vmsa, l2_block_ends_walk_after_three_reads)
{
	uint64_t iova = 0x40200000, pa = 0x140600000; /* pa = 0xa03 * 2 MB */
	cr_assert_eq(iom_pt_map(pt, iova, pa, SZ_2M, SZ_2M, IOM_PTE_R | IOM_PTE_W, &err), 0, "%s",
	             err.msg);
	struct iom_pt_walk w;
	do_walk(&w, iova + 0x12345, T0, 0);
	cr_assert_eq(w.status, IOM_PT_OK);
	cr_assert_eq(w.nsteps, 3);
	check_step(&w, 0, T0 + 0, 0, true);
	check_step(&w, 1, T1 + 8, 1, true);
	check_step(&w, 2, T2 + 8, 2, false);
	cr_assert_eq(w.page_size, SZ_2M);
	cr_assert_eq(w.leaf_level, 2);
	cr_assert_eq(w.oa, 0x140612345ull); /* block base + iova[20:0] */
	cr_assert_eq(w.done_ps, NOW_PS + 3 * LAT_PS);
	/* Block: bit[1] = 0 -> 0x1 | SH 0x300 | AF 0x400 = 0x701, plus PXN|UXN. */
	cr_assert_eq(w.leaf_desc, XN_BITS | pa | 0x701);
	cr_assert_eq(iom_pt_stats(pt)->tables_alloc, 3); /* root, L1, L2 */
}

/* iova 0x80_4000_0000 = 2^39 + 2^30: L0 = 1, L1 = 1. */
Test(pgtable_vmsa, l1_block_ends_walk_after_two_reads)
{
	uint64_t iova = 0x8040000000ull, pa = 0x2c0000000ull; /* 11 * 1 GB */
	cr_assert_eq(iom_pt_map(pt, iova, pa, SZ_1G, SZ_1G, IOM_PTE_R, &err), 0, "%s", err.msg);
	struct iom_pt_walk w;
	do_walk(&w, iova + 0x3456789a, T0, 0);
	cr_assert_eq(w.status, IOM_PT_OK);
	cr_assert_eq(w.nsteps, 2);
	check_step(&w, 0, T0 + 8, 0, true);
	check_step(&w, 1, T1 + 8, 1, false);
	cr_assert_eq(w.page_size, SZ_1G);
	cr_assert_eq(w.leaf_level, 1);
	cr_assert_eq(w.oa, 0x2f456789aull); /* 0x2_c000_0000 + iova[29:0] */
	cr_assert_eq(w.done_ps, NOW_PS + 2 * LAT_PS);
}

/* ia_bits 39 -> 3 levels from L1.  iova 0x12_3456_7000: L1 = [38:30] = 0x123 >> 2
 * = 0x48, L2 = [29:21] = (0x12345 >> 1) & 0x1ff = 0x1a2, L3 = [20:12] = 0x1234567 &
 * 0x1ff = 0x167. */
Test(pgtable_vmsa, three_level_walk_starts_at_level_one)
{
	iom_pt_destroy(pt);
	pt = make_pt(39, 48);
	cr_assert_eq(iom_pt_root(pt), T0); /* the freed root is handed out again */
	uint64_t iova = 0x1234567000ull;
	cr_assert_eq(iom_pt_map(pt, iova, PA4, SZ_4K, SZ_4K, IOM_PTE_R, &err), 0, "%s", err.msg);
	struct iom_pt_walk w;
	do_walk(&w, iova, T0, 1);
	cr_assert_eq(w.status, IOM_PT_OK);
	cr_assert_eq(w.nsteps, 3);
	check_step(&w, 0, T0 + 8 * 0x48, 1, true);   /* 0x8000_0240 */
	check_step(&w, 1, T1 + 8 * 0x1a2, 2, true);  /* 0x8000_1d10 */
	check_step(&w, 2, T2 + 8 * 0x167, 3, false); /* 0x8000_2b38 */
	cr_assert_eq(w.oa, PA4);
	/* 2^39 is beyond ia_bits: no read, translation fault; map: ERANGE. */
	do_walk(&w, 1ull << 39, T0, 1);
	cr_assert_eq(w.status, IOM_PT_FAULT_TRANSLATION);
	cr_assert_eq(w.nsteps, 0);
	cr_assert_eq(w.done_ps, NOW_PS);
	cr_assert_eq(iom_pt_map(pt, 1ull << 39, PA4, SZ_4K, SZ_4K, IOM_PTE_R, &err), -IOM_ERANGE);
	cr_assert(strstr(err.msg, "pgtable: map iova 0x8000000000"), "%s", err.msg);
}

Test(pgtable_vmsa, walk_from_mid_level_reads_remaining_levels)
{
	cr_assert_eq(iom_pt_map(pt, IOVA4, PA4, SZ_4K, SZ_4K, IOM_PTE_R, &err), 0);
	struct iom_pt_walk w;
	do_walk(&w, IOVA4, T2, 2); /* a walk-cache hit on the L2 table */
	cr_assert_eq(w.status, IOM_PT_OK);
	cr_assert_eq(w.nsteps, 2);
	check_step(&w, 0, D_L2, 2, true);
	check_step(&w, 1, D_L3, 3, false);
	cr_assert_eq(w.done_ps, NOW_PS + 2 * LAT_PS);
	cr_assert_eq(w.oa, PA4);
}

Test(pgtable_vmsa, unmapped_iova_faults_at_first_invalid_level)
{
	struct iom_pt_walk w;
	do_walk(&w, IOVA4, T0, 0); /* empty root: L0 entry 0x24 is 0 */
	cr_assert_eq(w.status, IOM_PT_FAULT_TRANSLATION);
	cr_assert_eq(w.leaf_level, 0);
	cr_assert_eq(w.nsteps, 1);
	cr_assert_eq(w.leaf_desc_pa, D_L0);
	cr_assert_eq(w.done_ps, NOW_PS + LAT_PS);

	cr_assert_eq(iom_pt_map(pt, IOVA4, PA4, SZ_4K, SZ_4K, IOM_PTE_R, &err), 0);
	/* Next page: same L0..L2, L3 index 0x18a is empty -> fault at L3 after 4 reads. */
	do_walk(&w, IOVA4 + SZ_4K, T0, 0);
	cr_assert_eq(w.status, IOM_PT_FAULT_TRANSLATION);
	cr_assert_eq(w.leaf_level, 3);
	cr_assert_eq(w.nsteps, 4);
	cr_assert_eq(w.leaf_desc_pa, T3 + 8 * 0x18a);
	/* Next 2 MB: L2 index 0xb4 is empty -> fault at L2 after 3 reads. */
	do_walk(&w, IOVA4 + SZ_2M, T0, 0);
	cr_assert_eq(w.status, IOM_PT_FAULT_TRANSLATION);
	cr_assert_eq(w.leaf_level, 2);
	cr_assert_eq(w.nsteps, 3);
	cr_assert_eq(w.leaf_desc_pa, T2 + 8 * 0xb4);
}

Test(pgtable_vmsa, iova_beyond_ia_bits_faults_without_reads)
{
	struct iom_pt_walk w;
	do_walk(&w, 1ull << 48, T0, 0);
	cr_assert_eq(w.status, IOM_PT_FAULT_TRANSLATION);
	cr_assert_eq(w.nsteps, 0);
	cr_assert_eq(w.done_ps, NOW_PS);
	cr_assert_eq(iom_mem_req_stats(mem, req)->reads, 0);
}

Test(pgtable_vmsa, reserved_encodings_fault)
{
	struct iom_pt_walk w;
	/* A block (bit[1] = 0) at L0 is reserved with the 4 KB granule. */
	iom_mem_wr64(mem, D_L0, 0x40000000ull | 0x701);
	do_walk(&w, IOVA4, T0, 0);
	cr_assert_eq(w.status, IOM_PT_FAULT_TRANSLATION);
	cr_assert_eq(w.leaf_level, 0);
	cr_assert_eq(w.nsteps, 1);
	iom_mem_wr64(mem, D_L0, 0);
	/* bit[1] = 0 at L3 is reserved too. */
	cr_assert_eq(iom_pt_map(pt, IOVA4, PA4, SZ_4K, SZ_4K, IOM_PTE_R, &err), 0);
	iom_mem_wr64(mem, D_L3, iom_mem_rd64(mem, D_L3) & ~2ull);
	do_walk(&w, IOVA4, T0, 0);
	cr_assert_eq(w.status, IOM_PT_FAULT_TRANSLATION);
	cr_assert_eq(w.leaf_level, 3);
	cr_assert_eq(w.nsteps, 4);
}

Test(pgtable_vmsa, aptable_removes_write_below)
{
	cr_assert_eq(iom_pt_map(pt, IOVA4, PA4, SZ_4K, SZ_4K, IOM_PTE_R | IOM_PTE_W, &err), 0);
	/* APTable[1] = bit 62: no write access at any later level (D8.4.2). */
	iom_mem_wr64(mem, D_L0, iom_mem_rd64(mem, D_L0) | (1ull << 62));
	struct iom_pt_walk w;
	do_walk(&w, IOVA4, T0, 0);
	cr_assert_eq(w.status, IOM_PT_OK);
	cr_assert_eq(w.perms, IOM_PTE_R);
}

Test(pgtable_vmsa, unmap_frees_empty_tables)
{
	cr_assert_eq(iom_pt_map(pt, IOVA4, PA4, SZ_4K, SZ_4K, IOM_PTE_R, &err), 0);
	const struct iom_pt_stats *s = iom_pt_stats(pt);
	cr_assert_eq(s->tables_alloc, 4);
	cr_assert_eq(s->desc_writes, 4); /* three table descriptors and the page */
	cr_assert_eq(s->mapped_bytes, SZ_4K);
	uint64_t un = 0;
	cr_assert_eq(iom_pt_unmap(pt, IOVA4, SZ_4K, &un, &err), 0, "%s", err.msg);
	cr_assert_eq(un, SZ_4K);
	/* Leaf cleared, then the L3, L2, L1 tables freed with their parent entries. */
	cr_assert_eq(s->desc_writes, 8);
	cr_assert_eq(s->tables_freed, 3);
	cr_assert_eq(s->tables_alloc, s->tables_freed + 1);
	cr_assert_eq(s->mapped_bytes, 0);
	cr_assert_eq(iom_palloc_used(pa_alloc), SZ_4K); /* only the root */
	struct iom_pt_walk w;
	do_walk(&w, IOVA4, T0, 0);
	cr_assert_eq(w.status, IOM_PT_FAULT_TRANSLATION);
	cr_assert_eq(w.leaf_level, 0);
}

Test(pgtable_vmsa, unmap_skips_holes_and_keeps_shared_tables)
{
	/* Pages at 0x10000 and 0x12000 share one L3 table; 0x11000 is a hole. */
	cr_assert_eq(iom_pt_map(pt, 0x10000, 0x500000, SZ_4K, SZ_4K, IOM_PTE_R, &err), 0);
	cr_assert_eq(iom_pt_map(pt, 0x12000, 0x502000, SZ_4K, SZ_4K, IOM_PTE_R, &err), 0);
	uint64_t un = 0;
	cr_assert_eq(iom_pt_unmap(pt, 0x10000, 0x2000, &un, &err), 0, "%s", err.msg);
	cr_assert_eq(un, SZ_4K); /* only 0x10000 was mapped in [0x10000, 0x12000) */
	cr_assert_eq(iom_pt_stats(pt)->tables_freed, 0);
	struct iom_pt_walk w;
	do_walk(&w, 0x12000, T0, 0);
	cr_assert_eq(w.status, IOM_PT_OK);
	cr_assert_eq(w.oa, 0x502000);
	cr_assert_eq(iom_pt_unmap(pt, 0, SZ_1G, &un, &err), 0, "%s", err.msg);
	cr_assert_eq(un, SZ_4K);
	cr_assert_eq(iom_pt_stats(pt)->tables_freed, 3);
}

Test(pgtable_vmsa, partial_block_unmap_is_not_supported)
{
	uint64_t iova = 0x40200000, un = 1;
	cr_assert_eq(iom_pt_map(pt, iova, 0x140600000, SZ_2M, SZ_2M, IOM_PTE_R, &err), 0);
	uint64_t writes = iom_pt_stats(pt)->desc_writes;
	cr_assert_eq(iom_pt_unmap(pt, iova + SZ_4K, SZ_4K, &un, &err), -IOM_ENOTSUP);
	cr_assert_eq(err.code, IOM_ENOTSUP);
	cr_assert(strstr(err.msg, "splitting a 2M block is not implemented"), "%s", err.msg);
	cr_assert(strstr(err.msg, "pgtable: unmap iova 0x40201000"), "%s", err.msg);
	cr_assert_eq(un, 0);
	/* Also when the range covers the block start but not its end; the page at
	 * 0, wholly inside the range and before the block, must survive. */
	cr_assert_eq(iom_pt_map(pt, 0, 0x500000, SZ_4K, SZ_4K, IOM_PTE_R, &err), 0);
	writes = iom_pt_stats(pt)->desc_writes;
	cr_assert_eq(iom_pt_unmap(pt, 0, iova + SZ_4K, &un, &err), -IOM_ENOTSUP);
	cr_assert_eq(iom_pt_stats(pt)->desc_writes, writes);
	cr_assert_eq(iom_pt_stats(pt)->mapped_bytes, SZ_2M + SZ_4K);
	struct iom_pt_walk w;
	do_walk(&w, iova, T0, 0);
	cr_assert_eq(w.status, IOM_PT_OK);
	do_walk(&w, 0, T0, 0);
	cr_assert_eq(w.status, IOM_PT_OK);
}

Test(pgtable_vmsa, overlap_is_rejected_with_tables_unchanged)
{
	uint64_t iova = 0x40200000;
	cr_assert_eq(iom_pt_map(pt, iova + SZ_4K, 0x500000, SZ_4K, SZ_4K, IOM_PTE_R, &err), 0);
	struct iom_pt_stats before = *iom_pt_stats(pt);
	uint64_t l2e = iom_mem_rd64(mem, T2 + 8); /* L2 index 1 holds the L3 table */
	/* A 2 MB block where a table already is. */
	cr_assert_eq(iom_pt_map(pt, iova, 0x140600000, SZ_2M, SZ_2M, IOM_PTE_R, &err), -IOM_EEXIST);
	cr_assert(strstr(err.msg, "pgtable: map iova 0x40200000"), "%s", err.msg);
	/* Two pages, the second of which exists: the first must not be written. */
	cr_assert_eq(iom_pt_map(pt, iova, 0x600000, 2 * SZ_4K, SZ_4K, IOM_PTE_R, &err),
	             -IOM_EEXIST);
	cr_assert(strstr(err.msg, "0x40201000"), "%s", err.msg);
	const struct iom_pt_stats *s = iom_pt_stats(pt);
	cr_assert_eq(s->desc_writes, before.desc_writes);
	cr_assert_eq(s->tables_alloc, before.tables_alloc);
	cr_assert_eq(s->mapped_bytes, before.mapped_bytes);
	cr_assert_eq(iom_mem_rd64(mem, T2 + 8), l2e);
	cr_assert_eq(iom_mem_rd64(mem, T3), 0); /* L3 index 0 (iova 0x4020_0000) still empty */
	/* A page inside an existing 2 MB block. */
	cr_assert_eq(iom_pt_map(pt, 0x80000000, 0x140600000, SZ_2M, SZ_2M, IOM_PTE_R, &err), 0);
	cr_assert_eq(iom_pt_map(pt, 0x80001000, 0x700000, SZ_4K, SZ_4K, IOM_PTE_R, &err),
	             -IOM_EEXIST);
}

Test(pgtable_vmsa, bad_map_arguments_are_rejected)
{
	cr_assert_eq(iom_pt_map(pt, 0x1800, 0x2000, SZ_4K, SZ_4K, IOM_PTE_R, &err), -IOM_EINVAL);
	cr_assert(strstr(err.msg, "pgtable: map iova 0x1800"), "%s", err.msg);
	cr_assert_eq(iom_pt_map(pt, 0x1000, 0x2800, SZ_4K, SZ_4K, IOM_PTE_R, &err), -IOM_EINVAL);
	cr_assert_eq(iom_pt_map(pt, 0x1000, 0x2000, 0, SZ_4K, IOM_PTE_R, &err), -IOM_EINVAL);
	cr_assert_eq(iom_pt_map(pt, 0, 0, 0x3000, 0x3000, IOM_PTE_R, &err), -IOM_EINVAL);
	cr_assert_eq(iom_pt_map(pt, 0x200000, 0x1000, SZ_2M, SZ_2M, IOM_PTE_R, &err), -IOM_EINVAL);
	cr_assert_eq(iom_pt_map(pt, 0, 0, SZ_4K, SZ_4K, 0x80, &err), -IOM_EINVAL);
	/* A 512 GB "L0 block" is reserved with the 4 KB granule. */
	cr_assert_eq(iom_pt_map(pt, 0, 0, 1ull << 39, 1ull << 39, IOM_PTE_R, &err), -IOM_EINVAL);
	/* Last page below 2^48 ends exactly at the limit: fine; one more page: ERANGE. */
	cr_assert_eq(iom_pt_map(pt, (1ull << 48) - SZ_4K, 0, SZ_4K, SZ_4K, IOM_PTE_R, &err), 0);
	cr_assert_eq(iom_pt_map(pt, (1ull << 48) - SZ_4K, 0, 2 * SZ_4K, SZ_4K, IOM_PTE_R, &err),
	             -IOM_ERANGE);
	cr_assert_eq(iom_pt_map(pt, 0, 1ull << 48, SZ_4K, SZ_4K, IOM_PTE_R, &err), -IOM_ERANGE);
	cr_assert(strstr(err.msg, "oa_bits 48"), "%s", err.msg);
	uint64_t un;
	cr_assert_eq(iom_pt_unmap(pt, 0x800, SZ_4K, &un, &err), -IOM_EINVAL);
	cr_assert(strstr(err.msg, "pgtable: unmap iova 0x800"), "%s", err.msg);
	cr_assert_eq(iom_pt_unmap(pt, 1ull << 48, SZ_4K, &un, &err), -IOM_ERANGE);
}

Test(pgtable_vmsa, unsupported_format_is_rejected)
{
	/* Stage 2 and the 64 KB granule are implemented now (test_pgtable_granules.c,
	 * test_pgtable_s2.c); the x86 / VT-d formats arrive with models/vtd, so an
	 * unknown format number stands for "not implemented" here. */
	struct iom_pt_cfg c = {.fmt = 9, .granule_shift = 12, .ia_bits = 48, .oa_bits = 48};
	cr_assert_null(iom_pt_create(mem, &c, &alloc, &err));
	cr_assert_eq(err.code, IOM_ENOTSUP);
	cr_assert(strstr(err.msg, "pgtable: format unknown (9)"), "%s", err.msg);
	cr_assert(strstr(err.msg, "not implemented"), "%s", err.msg);
	c.fmt = IOM_PT_VMSA64_S1;
	c.granule_shift = 13; /* not a VMSA granule at all */
	cr_assert_null(iom_pt_create(mem, &c, &alloc, &err));
	cr_assert_eq(err.code, IOM_EINVAL);
	cr_assert(strstr(err.msg, "granule_shift 13 is not a VMSA granule"), "%s", err.msg);
	c.granule_shift = 12;
	c.ia_bits = 52; /* 52-bit IA with 4 KB needs FEAT_LPA2 */
	struct iom_pt_geom g;
	cr_assert_eq(iom_pt_geometry(&c, &g, &err), -IOM_ENOTSUP);
	struct iom_pt_walk w = {.iova = 0, .table_pa = T0, .level = 0, .mem_req = req};
	c = (struct iom_pt_cfg){.fmt = 200, .granule_shift = 12, .ia_bits = 48, .oa_bits = 48};
	cr_assert_eq(iom_pt_walk(mem, &c, &w, &err), -IOM_ENOTSUP);
	cr_assert(strstr(err.msg, "(200)"), "%s", err.msg);
	/* No table page leaked by the failed creates: only the fixture's root. */
	cr_assert_eq(iom_palloc_used(pa_alloc), SZ_4K);
}

Test(pgtable_vmsa, bad_walk_start_is_an_api_error)
{
	struct iom_pt_walk w = {.iova = IOVA4, .table_pa = T0, .level = 4, .mem_req = req};
	cr_assert_eq(iom_pt_walk(mem, iom_pt_config(pt), &w, &err), -IOM_EINVAL);
	cr_assert(strstr(err.msg, "start level 4"), "%s", err.msg);
	w.level = 0;
	w.table_pa = T0 + 4;
	cr_assert_eq(iom_pt_walk(mem, iom_pt_config(pt), &w, &err), -IOM_EINVAL);
}

Test(pgtable_vmsa, destroy_frees_every_table)
{
	cr_assert_eq(iom_pt_map(pt, IOVA4, PA4, SZ_4K, SZ_4K, IOM_PTE_R, &err), 0);
	cr_assert_eq(iom_pt_map(pt, 0x40200000, 0x140600000, SZ_2M, SZ_2M, IOM_PTE_R, &err), 0);
	/* 4 tables for IOVA4 plus L1 and L2 tables for L0 index 0. */
	cr_assert_eq(iom_palloc_used(pa_alloc), 6 * SZ_4K);
	iom_pt_destroy(pt);
	pt = NULL;
	cr_assert_eq(iom_palloc_used(pa_alloc), 0);
}

Test(pgtable_vmsa, many_tables_map_and_unmap_cleanly)
{
	/* 600 pages, one per 2 MB: 600 L3 tables; L2 index spans 512 entries, so
	 * two L2 tables under L1 entries 0 and 1 -> 1 root + 1 L1 + 2 L2 + 600 L3. */
	for (uint64_t i = 0; i < 600; i++)
		cr_assert_eq(iom_pt_map(pt, i * SZ_2M, i * SZ_4K, SZ_4K, SZ_4K, IOM_PTE_R, &err), 0,
		             "%s", err.msg);
	cr_assert_eq(iom_pt_stats(pt)->tables_alloc, 604);
	struct iom_pt_walk w;
	do_walk(&w, 599 * SZ_2M + 0x10, T0, 0);
	cr_assert_eq(w.status, IOM_PT_OK);
	cr_assert_eq(w.oa, 599 * SZ_4K + 0x10);
	uint64_t un;
	cr_assert_eq(iom_pt_unmap(pt, 0, 600 * SZ_2M, &un, &err), 0, "%s", err.msg);
	cr_assert_eq(un, 600 * SZ_4K);
	cr_assert_eq(iom_pt_stats(pt)->tables_freed, 603);
	cr_assert_eq(iom_palloc_used(pa_alloc), SZ_4K);
}

/* Fixture with a smaller physical memory / OA width for abort and size faults. */
static void init40(void)
{
	memset(&err, 0, sizeof(err));
	setup_mem(40);
	pt = make_pt(48, 40);
}

TestSuite(pgtable_vmsa_oa40, .init = init40, .fini = fini);

Test(pgtable_vmsa_oa40, table_beyond_memory_is_external_abort)
{
	/* Memory holds 2^40 bytes; with a 48-bit OA a table at 2^44 passes the
	 * address-size check, and its fetch lands outside memory. */
	struct iom_pt_walk w;
	struct iom_pt_cfg c = *iom_pt_config(pt);
	c.oa_bits = 48;
	memset(&w, 0, sizeof(w));
	w.iova = IOVA4;
	w.table_pa = 1ull << 44;
	w.level = 0;
	w.now_ps = NOW_PS;
	w.mem_req = req;
	cr_assert_eq(iom_pt_walk(mem, &c, &w, &err), 0, "%s", err.msg);
	cr_assert_eq(w.status, IOM_PT_EXT_ABORT);
	cr_assert_eq(w.nsteps, 0);
	cr_assert_eq(w.leaf_level, 0);
	cr_assert_eq(w.leaf_desc_pa, (1ull << 44) + 8 * 0x24);
}

Test(pgtable_vmsa_oa40, address_beyond_oa_bits_is_address_size_fault)
{
	struct iom_pt_walk w;
	/* L0 table descriptor pointing at 2^44, beyond oa_bits 40. */
	iom_mem_wr64(mem, D_L0, (1ull << 44) | 3);
	do_walk(&w, IOVA4, T0, 0);
	cr_assert_eq(w.status, IOM_PT_FAULT_ADDR_SIZE);
	cr_assert_eq(w.leaf_level, 0);
	cr_assert_eq(w.nsteps, 1);
	iom_mem_wr64(mem, D_L0, 0);
	/* A page whose OA is beyond 2^40. */
	cr_assert_eq(iom_pt_map(pt, IOVA4, PA4, SZ_4K, SZ_4K, IOM_PTE_R, &err), 0);
	iom_mem_wr64(mem, D_L3, iom_mem_rd64(mem, D_L3) | (1ull << 42));
	do_walk(&w, IOVA4, T0, 0);
	cr_assert_eq(w.status, IOM_PT_FAULT_ADDR_SIZE);
	cr_assert_eq(w.leaf_level, 3);
	cr_assert_eq(w.nsteps, 4);
	/* The builder refuses such a PA up front. */
	cr_assert_eq(iom_pt_map(pt, 0, 1ull << 40, SZ_4K, SZ_4K, IOM_PTE_R, &err), -IOM_ERANGE);
}

/* An allocator that hands out `budget` tables from palloc, then fails. */
struct budget_alloc {
	struct iom_palloc *p;
	int budget;
};

static uint64_t budget_alloc_fn(void *ctx, size_t size)
{
	struct budget_alloc *b = ctx;
	return b->budget-- > 0 ? iom_palloc_alloc(b->p, size) : 0;
}

static void budget_free_fn(void *ctx, uint64_t pa, size_t size)
{
	iom_palloc_free(((struct budget_alloc *)ctx)->p, pa, size);
}

Test(pgtable_vmsa, allocation_failure_undoes_partial_map)
{
	/* Budget 6 tables: root, then L1/L2/L3 for page 0 (4 used).  The second
	 * call maps A = 2^39 - 4K (L0 index 0, L1 index 511: new L2 and L3 -> 6
	 * used) and B = 2^39 (L0 index 1: needs a new L1, which fails).  The call
	 * must leave no trace: B's tables pruned, A unmapped with its L2/L3. */
	struct budget_alloc b = {.p = pa_alloc, .budget = 6};
	struct iom_pt_alloc ba = {.alloc = budget_alloc_fn, .free = budget_free_fn, .ctx = &b};
	struct iom_pt_cfg c = {
	    .fmt = IOM_PT_VMSA64_S1, .granule_shift = 12, .ia_bits = 48, .oa_bits = 48};
	struct iom_pt *p2 = iom_pt_create(mem, &c, &ba, &err);
	cr_assert_not_null(p2, "%s", err.msg);
	cr_assert_eq(iom_pt_map(p2, 0, 0, SZ_4K, SZ_4K, IOM_PTE_R, &err), 0, "%s", err.msg);
	uint64_t used0 = iom_palloc_used(pa_alloc);
	int rc = iom_pt_map(p2, (1ull << 39) - SZ_4K, 0x10000, 2 * SZ_4K, SZ_4K, IOM_PTE_R, &err);
	cr_assert_eq(rc, -IOM_ENOMEM);
	cr_assert(strstr(err.msg, "pgtable: map iova 0x8000000000"), "%s", err.msg);
	const struct iom_pt_stats *s = iom_pt_stats(p2);
	cr_assert_eq(s->mapped_bytes, SZ_4K);
	cr_assert_eq(s->tables_alloc, 6);
	cr_assert_eq(s->tables_freed, 2); /* A's L2 and L3 */
	cr_assert_eq(iom_palloc_used(pa_alloc), used0);
	struct iom_pt_walk w = {.iova = (1ull << 39) - SZ_4K,
	                        .table_pa = iom_pt_root(p2),
	                        .level = 0,
	                        .now_ps = NOW_PS,
	                        .mem_req = req};
	cr_assert_eq(iom_pt_walk(mem, &c, &w, &err), 0);
	cr_assert_eq(w.status, IOM_PT_FAULT_TRANSLATION);
	cr_assert_eq(w.leaf_level, 1); /* L1 index 511 cleared again */
	iom_pt_destroy(p2);
	cr_assert_eq(iom_palloc_used(pa_alloc), SZ_4K); /* the fixture's root */
}
