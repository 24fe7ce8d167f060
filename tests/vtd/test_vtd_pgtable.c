/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_vtd_pgtable.c - the x86-64 first-level and VT-d second-level table
 * formats (models/pgtable/x86.c) through the generic builder and walker,
 * against values worked out from the VT-d spec 9.7 / 9.8.
 *
 * Fixture: memory of 2^48 bytes, 50 ns DRAM, no LLC; a buddy allocator over
 * [0x8000_0000, +16 MB) handing out the lowest free 4 KB block first, so the
 * tables of the first mapping are T0 (root) = 0x8000_0000, then T1 =
 * 0x8000_1000, T2, T3, T4 for the levels below, in walk order.
 *
 * Index of an address at each level (9 bits each): PML5 = VA[56:48],
 * PML4 = VA[47:39], PDPT = VA[38:30], PD = VA[29:21], PT = VA[20:12].
 * V4 = 5<<39 | 6<<30 | 7<<21 | 8<<12 = 0x0000_0281_80e0_8000 has indices
 * PML4 5, PDPT 6, PD 7, PT 8; V5 = 3<<48 | V4 adds PML5 3; V3 = 6<<30 |
 * 7<<21 | 8<<12 = 0x1_80e0_8000 (39-bit) has PDPT 6, PD 7, PT 8.
 * Entry bits: first level P 0x1, R/W 0x2, U/S 0x4, A 0x20, D 0x40, PS 0x80,
 * XD bit 63; second level R 0x1, W 0x2, X 0x4, PS 0x80, A 0x100, D 0x200.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "mem.h"
#include "pgtable.h"

#define LAT  50000ull
#define NOW  1000ull
#define PB   0x80000000ull
#define T(n) (PB + 0x1000ull * (n))
#define V4   0x0000028180e08000ull
#define V5   (V4 | (3ull << 48))
#define V3   0x180e08000ull
#define PA   0x12345000ull
#define XD   (1ull << 63)

static struct iom_mem *mem;
static struct iom_palloc *pal;
static struct iom_pt_alloc alloc;
static struct iom_pt *pt;
static struct iom_err err;
static int req;

static void init(void)
{
	struct iom_mem_cfg mc = {
	    .addr_bits = 48, .dram_latency_ps = LAT, .llc_latency_ps = 1000, .seed = 1};
	memset(&err, 0, sizeof(err));
	mem = iom_mem_create(&mc, &err);
	cr_assert_not_null(mem, "%s", err.msg);
	req = iom_mem_requester(mem, "dmar0.walk");
	pal = iom_palloc_create(mem, PB, 16ull << 20, &err);
	cr_assert_not_null(pal, "%s", err.msg);
	iom_palloc_as_pt_alloc(pal, &alloc);
}

static void fini(void)
{
	iom_pt_destroy(pt);
	pt = NULL;
	iom_palloc_destroy(pal);
	iom_mem_destroy(mem);
}

TestSuite(pgtable_x86, .init = init, .fini = fini);

static struct iom_pt *make(unsigned fmt, unsigned ia)
{
	struct iom_pt_cfg c = {
	    .fmt = (uint8_t)fmt, .granule_shift = 12, .ia_bits = (uint8_t)ia, .oa_bits = 46};
	struct iom_pt *p = iom_pt_create(mem, &c, &alloc, &err);
	cr_assert_not_null(p, "%s", err.msg);
	return p;
}

static struct iom_pt_walk walk(uint64_t iova, bool write, bool ad)
{
	struct iom_pt_walk w = {.iova = iova,
	                        .table_pa = iom_pt_root(pt),
	                        .level = iom_pt_geom(pt)->start_level,
	                        .now_ps = NOW,
	                        .mem_req = req,
	                        .write = write,
	                        .ha = ad,
	                        .hd = ad};
	cr_assert_eq(iom_pt_walk(mem, iom_pt_config(pt), &w, &err), 0, "%s", err.msg);
	return w;
}

static void expect_step(const struct iom_pt_walk *w, unsigned i, uint64_t pa, uint64_t desc,
                        unsigned level)
{
	cr_expect_eq(w->steps[i].desc_pa, pa, "step %u read at 0x%llx, expected 0x%llx", i,
	             (unsigned long long)w->steps[i].desc_pa, (unsigned long long)pa);
	cr_expect_eq(w->steps[i].desc, desc, "step %u desc 0x%llx, expected 0x%llx", i,
	             (unsigned long long)w->steps[i].desc, (unsigned long long)desc);
	cr_expect_eq(w->steps[i].level, level);
}

Test(pgtable_x86, first_level_4_level_walk_reads_pml4_pdpt_pd_pt)
{
	pt = make(IOM_PT_X86_FL, 48);
	cr_assert_eq(iom_pt_geom(pt)->levels, 4);
	cr_assert_eq(iom_pt_geom(pt)->start_level, 1);
	cr_assert_eq(
	    iom_pt_map(pt, V4, PA, 0x1000, 0x1000, IOM_PTE_R | IOM_PTE_W | IOM_PTE_USER, &err), 0,
	    "%s", err.msg);
	struct iom_pt_walk w = walk(V4 | 0x123, false, false);
	cr_assert_eq(w.status, IOM_PT_OK);
	cr_assert_eq(w.nsteps, 4);
	/* tables: P | R/W | U/S | A = 0x27; leaf: P | R/W | U/S | A | D | XD */
	expect_step(&w, 0, T(0) + 5 * 8, T(1) | 0x27, 1);
	expect_step(&w, 1, T(1) + 6 * 8, T(2) | 0x27, 2);
	expect_step(&w, 2, T(2) + 7 * 8, T(3) | 0x27, 3);
	expect_step(&w, 3, T(3) + 8 * 8, XD | PA | 0x67, 4);
	cr_expect_eq(w.oa, PA + 0x123);
	cr_expect_eq(w.page_size, 0x1000);
	cr_expect_eq(w.perms, IOM_PTE_R | IOM_PTE_W | IOM_PTE_USER);
	cr_expect_eq(w.done_ps, NOW + 4 * LAT);
}

Test(pgtable_x86, first_level_5_level_walk_reads_five_entries)
{
	pt = make(IOM_PT_X86_FL, 57);
	cr_assert_eq(iom_pt_geom(pt)->levels, 5);
	cr_assert_eq(iom_pt_geom(pt)->start_level, 0);
	cr_assert_eq(
	    iom_pt_map(pt, V5, PA, 0x1000, 0x1000, IOM_PTE_R | IOM_PTE_USER | IOM_PTE_X, &err), 0,
	    "%s", err.msg);
	struct iom_pt_walk w = walk(V5, false, false);
	cr_assert_eq(w.status, IOM_PT_OK);
	cr_assert_eq(w.nsteps, 5);
	expect_step(&w, 0, T(0) + 3 * 8, T(1) | 0x27, 0);
	expect_step(&w, 1, T(1) + 5 * 8, T(2) | 0x27, 1);
	expect_step(&w, 2, T(2) + 6 * 8, T(3) | 0x27, 2);
	expect_step(&w, 3, T(3) + 7 * 8, T(4) | 0x27, 3);
	/* read-only, executable: P | U/S | A, no R/W, no D, no XD */
	expect_step(&w, 4, T(4) + 8 * 8, PA | 0x25, 4);
	cr_expect_eq(w.perms, IOM_PTE_R | IOM_PTE_USER | IOM_PTE_X);
	cr_expect_eq(w.done_ps, NOW + 5 * LAT);
}

Test(pgtable_x86, second_level_3_4_5_level_walks_read_3_4_5_entries)
{
	static const struct {
		unsigned ia, levels, start;
		uint64_t va;
	} c[] = {
	    {39, 3, 2, V3},
	    {48, 4, 1, V4},
	    {57, 5, 0, V5},
	};
	for (size_t i = 0; i < 3; i++) {
		iom_pt_destroy(pt);
		iom_palloc_destroy(pal);
		pal = iom_palloc_create(mem, PB, 16ull << 20, &err);
		iom_palloc_as_pt_alloc(pal, &alloc);
		pt = make(IOM_PT_VTD_SL, c[i].ia);
		cr_assert_eq(iom_pt_geom(pt)->levels, c[i].levels);
		cr_assert_eq(
		    iom_pt_map(pt, c[i].va, PA, 0x1000, 0x1000, IOM_PTE_R | IOM_PTE_W, &err), 0,
		    "%s", err.msg);
		struct iom_pt_walk w = walk(c[i].va, true, false);
		cr_assert_eq(w.status, IOM_PT_OK);
		cr_assert_eq(w.nsteps, c[i].levels);
		/* indices top-down: (3), 5, 6, 7, 8 minus the levels absent */
		static const unsigned idx[5] = {3, 5, 6, 7, 8};
		for (unsigned s = 0; s < c[i].levels; s++) {
			unsigned l = c[i].start + s;
			uint64_t desc = s + 1 < c[i].levels ? (T(s + 1) | 0x3) : (PA | 0x3);
			expect_step(&w, s, T(s) + idx[l] * 8, desc, l);
		}
		cr_expect_eq(w.oa, PA);
		cr_expect_eq(w.perms, IOM_PTE_R | IOM_PTE_W | IOM_PTE_USER);
	}
}

Test(pgtable_x86, second_level_2m_superpage_covers_exactly_its_span)
{
	pt = make(IOM_PT_VTD_SL, 48);
	/* iova 1 GB (PML4 0, PDPT 1, PD 0) -> 4 GB, one 2 MB leaf: R|W|PS = 0x83 */
	cr_assert_eq(iom_pt_map(pt, 0x40000000, 0x100000000ull, 0x200000, 0x200000,
	                        IOM_PTE_R | IOM_PTE_W, &err),
	             0, "%s", err.msg);
	struct iom_pt_walk w = walk(0x401fffff, false, false);
	cr_assert_eq(w.status, IOM_PT_OK);
	cr_expect_eq(w.nsteps, 3);
	expect_step(&w, 2, T(2) + 0 * 8, 0x100000000ull | 0x83, 3);
	cr_expect_eq(w.page_size, 0x200000);
	cr_expect_eq(w.oa, 0x1001fffffull);
	w = walk(0x40000000, false, false);
	cr_expect_eq(w.oa, 0x100000000ull);
	/* one byte past the end: PD entry 1 is empty (R = W = 0) */
	w = walk(0x40200000, false, false);
	cr_expect_eq(w.status, IOM_PT_FAULT_TRANSLATION);
	cr_expect_eq(w.nsteps, 3);
	cr_expect_eq(w.leaf_level, 3);
	cr_expect_eq(w.leaf_desc_pa, T(2) + 1 * 8);
	/* one byte before the start: PDPT entry 0 is empty */
	w = walk(0x3fffffff, false, false);
	cr_expect_eq(w.status, IOM_PT_FAULT_TRANSLATION);
	cr_expect_eq(w.nsteps, 2);
}

Test(pgtable_x86, one_gigabyte_leaves_end_the_walk_at_the_pdpt)
{
	pt = make(IOM_PT_X86_FL, 48);
	cr_assert_eq(iom_pt_map(pt, 0xc0000000, 0x200000000ull, 0x40000000, 0x40000000,
	                        IOM_PTE_R | IOM_PTE_W | IOM_PTE_USER, &err),
	             0, "%s", err.msg);
	struct iom_pt_walk w = walk(0xffffffff, false, false);
	cr_assert_eq(w.status, IOM_PT_OK);
	cr_expect_eq(w.nsteps, 2);
	/* PDPT index 3: P | R/W | U/S | A | D | PS | XD */
	expect_step(&w, 1, T(1) + 3 * 8, XD | 0x200000000ull | 0xe7, 2);
	cr_expect_eq(w.page_size, 0x40000000);
	cr_expect_eq(w.oa, 0x23fffffffull);
}

Test(pgtable_x86, first_level_a_and_d_are_set_exactly_once)
{
	pt = make(IOM_PT_X86_FL, 48);
	cr_assert_eq(iom_pt_map(pt, V4, PA, 0x1000, 0x1000,
	                        IOM_PTE_R | IOM_PTE_W | IOM_PTE_USER | IOM_PTE_NOAF | IOM_PTE_CLEAN,
	                        &err),
	             0, "%s", err.msg);
	uint64_t leaf = T(3) + 8 * 8;
	cr_assert_eq(iom_mem_rd64(mem, leaf), XD | PA | 0x07); /* no A, no D */
	struct iom_pt_walk w = walk(V4, false, true);
	cr_expect_eq(w.af_updates, 1);
	cr_expect_eq(w.dirty_updates, 0);
	cr_expect_eq(w.rmws, 1);
	cr_expect_eq(w.done_ps, NOW + 6 * LAT); /* 4 reads + the RMW's read and write */
	cr_expect_eq(iom_mem_rd64(mem, leaf), XD | PA | 0x27);
	w = walk(V4, false, true);
	cr_expect_eq(w.rmws, 0);
	w = walk(V4, true, true);
	cr_expect_eq(w.af_updates, 0);
	cr_expect_eq(w.dirty_updates, 1);
	cr_expect_eq(w.rmws, 1);
	cr_expect_eq(iom_mem_rd64(mem, leaf), XD | PA | 0x67);
	w = walk(V4, true, true);
	cr_expect_eq(w.rmws, 0);
	cr_expect_eq(w.dirty_updates, 0);
}

Test(pgtable_x86, second_level_a_and_d_only_when_asked_and_once)
{
	pt = make(IOM_PT_VTD_SL, 48);
	cr_assert_eq(iom_pt_map(pt, V4, PA, 0x1000, 0x1000, IOM_PTE_R | IOM_PTE_W, &err), 0, "%s",
	             err.msg);
	uint64_t leaf = T(3) + 8 * 8;
	struct iom_pt_walk w = walk(V4, true, false); /* SLADE = 0: nothing */
	cr_expect_eq(w.rmws, 0);
	cr_expect_eq(iom_mem_rd64(mem, leaf), PA | 0x3);
	w = walk(V4, false, true);
	cr_expect_eq(w.af_updates, 1);
	cr_expect_eq(iom_mem_rd64(mem, leaf), PA | 0x103);
	w = walk(V4, true, true);
	cr_expect_eq(w.dirty_updates, 1);
	cr_expect_eq(w.af_updates, 0);
	cr_expect_eq(iom_mem_rd64(mem, leaf), PA | 0x303);
	w = walk(V4, true, true);
	cr_expect_eq(w.rmws, 0);
}

Test(pgtable_x86, a_write_to_a_read_only_leaf_sets_no_dirty_bit)
{
	pt = make(IOM_PT_VTD_SL, 48);
	cr_assert_eq(iom_pt_map(pt, V4, PA, 0x1000, 0x1000, IOM_PTE_R, &err), 0, "%s", err.msg);
	struct iom_pt_walk w = walk(V4, true, true);
	cr_expect_eq(w.af_updates, 1);
	cr_expect_eq(w.dirty_updates, 0);
	cr_expect_eq(w.perms & IOM_PTE_W, 0);
}

Test(pgtable_x86, table_entries_restrict_everything_below)
{
	pt = make(IOM_PT_VTD_SL, 48);
	cr_assert_eq(iom_pt_map(pt, V4, PA, 0x1000, 0x1000, IOM_PTE_R | IOM_PTE_W, &err), 0, "%s",
	             err.msg);
	iom_mem_wr64(mem, T(1) + 6 * 8, T(2) | 0x1); /* PDPTE read-only */
	struct iom_pt_walk w = walk(V4, false, false);
	cr_expect_eq(w.status, IOM_PT_OK);
	cr_expect_eq(w.perms & (IOM_PTE_R | IOM_PTE_W), IOM_PTE_R);
	iom_mem_wr64(mem, T(1) + 6 * 8, T(2) | 0x2); /* PDPTE write-only */
	w = walk(V4, false, false);
	cr_expect_eq(w.perms & (IOM_PTE_R | IOM_PTE_W), IOM_PTE_W);

	iom_pt_destroy(pt);
	pt = make(IOM_PT_X86_FL, 48);
	cr_assert_eq(
	    iom_pt_map(pt, V4, PA, 0x1000, 0x1000, IOM_PTE_R | IOM_PTE_W | IOM_PTE_USER, &err), 0,
	    "%s", err.msg);
	uint64_t pml4e = iom_mem_rd64(mem, iom_pt_root(pt) + 5 * 8);
	iom_mem_wr64(mem, iom_pt_root(pt) + 5 * 8, pml4e & ~0x6ull); /* R/W = U/S = 0 */
	w = walk(V4, false, false);
	cr_expect_eq(w.perms, IOM_PTE_R);
}

Test(pgtable_x86, ps_in_a_pml4_entry_and_an_empty_entry_are_invalid)
{
	pt = make(IOM_PT_X86_FL, 48);
	iom_mem_wr64(mem, iom_pt_root(pt) + 5 * 8, 0x80000000ull | 0xa7); /* PS = 1 */
	struct iom_pt_walk w = walk(V4, false, false);
	cr_expect_eq(w.status, IOM_PT_FAULT_TRANSLATION);
	cr_expect_eq(w.nsteps, 1);
	cr_expect_eq(w.leaf_desc, 0x800000a7ull);
	iom_mem_wr64(mem, iom_pt_root(pt) + 5 * 8, 0x80000000ull | 0x26); /* P = 0 */
	w = walk(V4, false, false);
	cr_expect_eq(w.status, IOM_PT_FAULT_TRANSLATION);
}

Test(pgtable_x86, geometry_rejects_widths_without_a_level_count)
{
	struct iom_pt_geom g;
	struct iom_pt_cfg c = {
	    .fmt = IOM_PT_X86_FL, .granule_shift = 12, .ia_bits = 39, .oa_bits = 46};
	cr_expect_eq(iom_pt_geometry(&c, &g, &err), -IOM_ERANGE); /* first level: 4 or 5 levels */
	c.fmt = IOM_PT_VTD_SL;
	cr_expect_eq(iom_pt_geometry(&c, &g, &err), 0);
	cr_expect_eq(g.levels, 3);
	c.ia_bits = 30;
	cr_expect_eq(iom_pt_geometry(&c, &g, &err), -IOM_ERANGE);
	c.ia_bits = 48;
	c.granule_shift = 16;
	cr_expect_eq(iom_pt_geometry(&c, &g, &err), -IOM_EINVAL);
}

Test(pgtable_x86, unmap_frees_tables_and_lookup_follows)
{
	pt = make(IOM_PT_VTD_SL, 48);
	cr_assert_eq(iom_pt_map(pt, V4, PA, 0x2000, 0x1000, IOM_PTE_R, &err), 0, "%s", err.msg);
	uint64_t pa = 0, ps = 0;
	cr_expect_eq(iom_pt_lookup(pt, V4 + 0x1fff, &pa, &ps), 0);
	cr_expect_eq(pa, PA + 0x1fff);
	uint64_t un = 0;
	cr_assert_eq(iom_pt_unmap(pt, V4, 0x2000, &un, &err), 0, "%s", err.msg);
	cr_expect_eq(un, 0x2000);
	cr_expect_eq(iom_pt_stats(pt)->tables_freed, 3); /* PT, PD, PDPT; never the root */
	cr_expect_eq(iom_pt_lookup(pt, V4, &pa, &ps), -IOM_ENOENT);
}
