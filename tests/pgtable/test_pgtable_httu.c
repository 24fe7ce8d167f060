/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_pgtable_httu.c - hardware Access-flag and dirty-state updates (HTTU)
 * in the walker of models/pgtable: HA/HD for stage 1, S2HA/S2HD for stage 2
 * (Arm DDI0487 D8.5, SMMUv3 IHI0070 3.13; reference section 1.6).  Each
 * update is one timed read-modify-write (a read and a write of the leaf,
 * after the walk's reads) and happens once: a later walk finds the bits
 * already set.
 *
 * Fixture: 2^48 bytes, 50 ns DRAM, no LLC; tables from a buddy allocator at
 * 0x8000_0000 (lowest first).  Stage 1: 4 KB, IA 48, iova 0x1234_5678_9000
 * (L0 0x24, L1 0xd1, L2 0xb3, L3 0x189), so its leaf is at 0x8000_3000 + 8 *
 * 0x189 = 0x8000_3c48 and maps PA 0x1_2345_6000.
 *
 * Stage-1 leaf low bits: valid 0x1 | page 0x2 | AP[1] 0x40 | AP[2] 0x80 | SH
 * 0x300 | AF 0x400; high: DBM bit 51 + PXN|UXN = 0x0068_0000_0000_0000.
 *   writable-clean, AF = 1: 0x7c3;  writable-dirty: 0x743;  clean, AF = 0: 0x3c3.
 */

#include "pgtable-test.h"

#define IOVA   0x123456789000ull
#define PA     0x123456000ull
#define LEAF   (PBASE + 0x3000 + 8 * 0x189)
#define HI     0x0068000000000000ull /* DBM | PXN | UXN */
#define URW    (IOM_PTE_R | IOM_PTE_W | IOM_PTE_USER)
#define CLEAN  (IOM_PTE_DBM | IOM_PTE_CLEAN)

static void init(void)
{
	pt_fixture_init();
	make((struct iom_pt_cfg){
	    .fmt = IOM_PT_VMSA64_S1, .granule_shift = 12, .ia_bits = 48, .oa_bits = 48});
}

static void map_page(uint64_t iova, uint64_t pa, uint32_t f)
{
	cr_assert_eq(iom_pt_map(pt, iova, pa, 0x1000, 0x1000, f, &err), 0, "%s", err.msg);
}

/* A walk with the given HTTU enables and access type. */
static void walk(struct iom_pt_walk *w, uint64_t iova, bool ha, bool hd, bool write, bool priv)
{
	*w = (struct iom_pt_walk){.iova = iova,
	                          .table_pa = iom_pt_root(pt),
	                          .level = iom_pt_geom(pt)->start_level,
	                          .now_ps = NOW_PS,
	                          .mem_req = req,
	                          .write = write,
	                          .priv = priv,
	                          .ha = ha,
	                          .hd = hd};
	cr_assert_eq(iom_pt_walk(mem, iom_pt_config(pt), w, &err), 0, "%s", err.msg);
	cr_assert_eq(w->status, IOM_PT_OK);
}

static const struct iom_mem_req_stats *mst(void)
{
	return iom_mem_req_stats(mem, req);
}

TestSuite(pgtable_httu, .init = init, .fini = pt_fixture_fini);

Test(pgtable_httu, ha_sets_the_access_flag_once)
{
	map_page(IOVA, PA, URW | IOM_PTE_NOAF); /* 0x0060..._6343: AP[2] = 0, AF = 0 */
	cr_assert_eq(iom_mem_rd64(mem, LEAF), 0x0060000123456343ull);
	struct iom_pt_walk w;
	walk(&w, IOVA, true, false, false, false);
	cr_assert_eq(w.af_updates, 1);
	cr_assert_eq(w.dirty_updates, 0);
	cr_assert_eq(w.rmws, 1);
	cr_assert_eq(w.af, 1);
	cr_assert_eq(w.steps[3].desc, 0x0060000123456343ull); /* the value the walk read */
	cr_assert_eq(w.leaf_desc, 0x0060000123456743ull);     /* after the update */
	cr_assert_eq(iom_mem_rd64(mem, LEAF), 0x0060000123456743ull);
	cr_assert_eq(w.done_ps, NOW_PS + (4 + 2) * LAT_PS); /* 4 reads + read + write */
	cr_assert_eq(mst()->reads, 5);
	cr_assert_eq(mst()->writes, 1);
	for (int i = 0; i < 3; i++) {
		walk(&w, IOVA, true, false, false, false);
		cr_assert_eq(w.af_updates, 0);
		cr_assert_eq(w.rmws, 0);
		cr_assert_eq(w.af, 1);
		cr_assert_eq(w.done_ps, NOW_PS + 4 * LAT_PS);
	}
	cr_assert_eq(mst()->reads, 5 + 3 * 4);
	cr_assert_eq(mst()->writes, 1);
}

Test(pgtable_httu, without_ha_the_access_flag_stays_clear)
{
	map_page(IOVA, PA, URW | IOM_PTE_NOAF);
	struct iom_pt_walk w;
	walk(&w, IOVA, false, true, true, false);
	cr_assert_eq(w.af, 0);
	cr_assert_eq(w.rmws, 0);
	cr_assert_eq(mst()->writes, 0);
	cr_assert_eq(iom_mem_rd64(mem, LEAF), 0x0060000123456343ull);
}

Test(pgtable_httu, hd_dirties_a_writable_clean_page_once_under_repeated_writes)
{
	map_page(IOVA, PA, URW | CLEAN);
	cr_assert_eq(iom_mem_rd64(mem, LEAF), HI | PA | 0x7c3);
	struct iom_pt_walk w;
	/* A read does not dirty; the page reads as read-only with DBM. */
	walk(&w, IOVA, true, true, false, false);
	cr_assert_eq(w.rmws, 0);
	cr_assert_eq(w.perms, IOM_PTE_R | IOM_PTE_USER | IOM_PTE_DBM);
	/* The first write clears AP[2] (writable-dirty) in one RMW. */
	walk(&w, IOVA, true, true, true, false);
	cr_assert_eq(w.dirty_updates, 1);
	cr_assert_eq(w.af_updates, 0);
	cr_assert_eq(w.rmws, 1);
	cr_assert_eq(w.perms, URW | IOM_PTE_DBM);
	cr_assert_eq(w.leaf_desc, HI | PA | 0x743);
	cr_assert_eq(iom_mem_rd64(mem, LEAF), HI | PA | 0x743);
	cr_assert_eq(w.done_ps, NOW_PS + 6 * LAT_PS);
	/* Later writes find it dirty already. */
	for (int i = 0; i < 5; i++) {
		walk(&w, IOVA, true, true, true, false);
		cr_assert_eq(w.dirty_updates, 0);
		cr_assert_eq(w.rmws, 0);
		cr_assert_eq(w.perms, URW | IOM_PTE_DBM);
	}
	cr_assert_eq(mst()->writes, 1);
	cr_assert_eq(mst()->reads, 4 + 5 + 5 * 4);
}

Test(pgtable_httu, one_rmw_sets_af_and_dirty_together)
{
	map_page(IOVA, PA, URW | CLEAN | IOM_PTE_NOAF);
	cr_assert_eq(iom_mem_rd64(mem, LEAF), HI | PA | 0x3c3);
	struct iom_pt_walk w;
	walk(&w, IOVA, true, true, true, false);
	cr_assert_eq(w.af_updates, 1);
	cr_assert_eq(w.dirty_updates, 1);
	cr_assert_eq(w.rmws, 1);
	cr_assert_eq(iom_mem_rd64(mem, LEAF), HI | PA | 0x743);
	cr_assert_eq(mst()->writes, 1);
	/* Without HA the access-flag fault comes first: no dirty update either. */
	map_page(IOVA + 0x1000, PA + 0x1000, URW | CLEAN | IOM_PTE_NOAF);
	walk(&w, IOVA + 0x1000, false, true, true, false);
	cr_assert_eq(w.rmws, 0);
	cr_assert_eq(w.af, 0);
	cr_assert_eq(mst()->writes, 1);
}

Test(pgtable_httu, no_dirty_update_where_the_write_is_not_permitted)
{
	struct iom_pt_walk w;
	/* DBM = 0 and AP[2] = 1: truly read-only. */
	map_page(IOVA, PA, IOM_PTE_R | IOM_PTE_USER);
	walk(&w, IOVA, true, true, true, false);
	cr_assert_eq(w.rmws, 0);
	/* AP[1] = 0: no unprivileged access, so an unprivileged write is not
	 * dirtied; a privileged one is. */
	map_page(IOVA + 0x1000, PA + 0x1000, IOM_PTE_R | IOM_PTE_W | CLEAN);
	walk(&w, IOVA + 0x1000, true, true, true, false);
	cr_assert_eq(w.rmws, 0);
	walk(&w, IOVA + 0x1000, true, true, true, true);
	cr_assert_eq(w.dirty_updates, 1);
	/* APTable[1] (bit 62) on the L0 entry: no write below it. */
	map_page(IOVA + 0x2000, PA + 0x2000, URW | CLEAN);
	uint64_t l0 = PBASE + 8 * 0x24;
	iom_mem_wr64(mem, l0, iom_mem_rd64(mem, l0) | (1ull << 62));
	walk(&w, IOVA + 0x2000, true, true, true, true);
	cr_assert_eq(w.rmws, 0);
	cr_assert_eq(w.perms & IOM_PTE_W, 0);
	cr_assert_eq(mst()->writes, 1);
	/* HD off: nothing. */
	iom_mem_wr64(mem, l0, iom_mem_rd64(mem, l0) & ~(1ull << 62));
	walk(&w, IOVA + 0x2000, true, false, true, false);
	cr_assert_eq(w.rmws, 0);
}

/* Stage 2: 4 KB, IA 30, SL0 0 -> L2 root 0x8000_0000 and L3 table 0x8000_1000;
 * IPA 0x5000 is L3 entry 5 at 0x8000_1028.  Leaf low bits: 0x1 | 0x2 | MemAttr
 * 0x3c | S2AP[0] 0x40 | S2AP[1] 0x80 | SH 0x300 | AF 0x400; high: DBM bit 51
 * + XN = 0b10 (bit 54) = 0x0048_0000_0000_0000.
 *   writable-clean (S2AP = 01): 0x77f; dirty (S2AP = 11): 0x7ff; clean, AF = 0: 0x37f. */
Test(pgtable_httu, s2hd_sets_s2ap_write_once_and_s2ha_sets_af)
{
	struct iom_pt_cfg c = {
	    .fmt = IOM_PT_VMSA64_S2, .granule_shift = 12, .ia_bits = 30, .oa_bits = 40, .sl0 = 0};
	iom_pt_destroy(pt);
	pt = iom_pt_create(mem, &c, &alloc, &err);
	cr_assert_not_null(pt, "%s", err.msg);
	uint64_t leaf = PBASE + 0x1000 + 8 * 5, s2hi = 0x0048000000000000ull;
	cr_assert_eq(iom_pt_map(pt, 0x5000, 0x100000, 0x1000, 0x1000,
	                        IOM_PTE_R | IOM_PTE_W | CLEAN | IOM_PTE_NOAF, &err),
	             0, "%s", err.msg);
	cr_assert_eq(iom_mem_rd64(mem, leaf), s2hi | 0x100000 | 0x37f);
	struct iom_pt_walk w;
	walk(&w, 0x5000, true, true, false, false); /* S2HA on a read: AF only */
	cr_assert_eq(w.af_updates, 1);
	cr_assert_eq(w.dirty_updates, 0);
	cr_assert_eq(w.perms, IOM_PTE_R | IOM_PTE_DBM);
	cr_assert_eq(iom_mem_rd64(mem, leaf), s2hi | 0x100000 | 0x77f);
	cr_assert_eq(w.done_ps, NOW_PS + (2 + 2) * LAT_PS);
	for (int i = 0; i < 4; i++) {
		walk(&w, 0x5000, true, true, true, false);
		cr_assert_eq(w.dirty_updates, i == 0, "write %d", i);
		cr_assert_eq(w.rmws, i == 0, "write %d", i);
		cr_assert_eq(w.perms, IOM_PTE_R | IOM_PTE_W | IOM_PTE_DBM);
	}
	cr_assert_eq(iom_mem_rd64(mem, leaf), s2hi | 0x100000 | 0x7ff);
	cr_assert_eq(mst()->writes, 2);
	/* A read-only stage-2 page without DBM is never made writable. */
	cr_assert_eq(iom_pt_map(pt, 0x6000, 0x101000, 0x1000, 0x1000, IOM_PTE_R, &err), 0);
	walk(&w, 0x6000, true, true, true, false);
	cr_assert_eq(w.rmws, 0);
	cr_assert_eq(w.perms, IOM_PTE_R);
}
