/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_pgtable_nested.c - nested (stage 1 over stage 2) walks in
 * models/pgtable: the s2_xlat hook of struct iom_pt_walk and the uncached
 * helper iom_pt_walk_nested().  Architectural cost (reference 1.5): n stage-1
 * levels over m stage-2 levels read n * (m + 1) + m descriptors, 24 for 4 over
 * 4, because every stage-1 table address is an IPA needing its own stage-2
 * walk, and so is the final output.
 *
 * Fixture: 2^48 bytes of memory, 50 ns DRAM, no LLC; stage-2 tables from a
 * buddy allocator over [0x8000_0000, +16 MB) (lowest block first).  The
 * stage-1 tables are written by hand at PAs 0x9000_0000.. and point to each
 * other by IPA 0x1000_0000.., which stage 2 maps onto those PAs, so every
 * IPA / PA pair below differs.
 *
 * Stage 1 (4 KB, IA 48), iova 0x1234_5678_9000: L0 = 0x24, L1 = 0xd1, L2 =
 * 0xb3, L3 = 0x189 (worked in test_pgtable_vmsa.c).  Its leaf maps to IPA
 * 0x2000_5000, which stage 2 maps to PA 0xa000_7000.
 */

#include "pgtable-test.h"

#define XN_BITS 0x0060000000000000ull
#define RW      (IOM_PTE_R | IOM_PTE_W)

#define IOVA    0x123456789000ull
#define S1_IPA  0x10000000ull /* stage-1 tables, IPA */
#define S1_PA   0x90000000ull /* ... and where they are */
#define OUT_IPA 0x20005000ull
#define OUT_PA  0xa0007000ull
#define S1_D0   0x120ull  /* 8 * 0x24 */
#define S1_D1   0x1688ull /* 0x1000 + 8 * 0xd1 */
#define S1_D2   0x2598ull /* 0x2000 + 8 * 0xb3 */
#define S1_D3   0x3c48ull /* 0x3000 + 8 * 0x189 */

static struct iom_pt_cfg s1c; /* the stage-1 format of the nested walks */

static void init(void)
{
	pt_fixture_init(); /* `pt` is the stage-2 table */
	s1c = (struct iom_pt_cfg){
	    .fmt = IOM_PT_VMSA64_S1, .granule_shift = 12, .ia_bits = 48, .oa_bits = 48};
}

static void s2_make(unsigned sl0, unsigned ia)
{
	struct iom_pt_cfg c = {.fmt = IOM_PT_VMSA64_S2,
	                       .granule_shift = 12,
	                       .ia_bits = (uint8_t)ia,
	                       .oa_bits = 48,
	                       .sl0 = (uint8_t)sl0};
	pt = iom_pt_create(mem, &c, &alloc, &err);
	cr_assert_not_null(pt, "%s", err.msg);
}

static void s2_map(uint64_t ipa, uint64_t pa, uint64_t size, uint64_t pgsize, uint32_t f)
{
	cr_assert_eq(iom_pt_map(pt, ipa, pa, size, pgsize, f, &err), 0, "%s", err.msg);
}

/* The four stage-1 tables of IOVA, by hand: table descriptors hold IPAs. */
static void s1_write(uint64_t leaf_low)
{
	iom_mem_wr64(mem, S1_PA + S1_D0, (S1_IPA + 0x1000) | 3);
	iom_mem_wr64(mem, S1_PA + S1_D1, (S1_IPA + 0x2000) | 3);
	iom_mem_wr64(mem, S1_PA + S1_D2, (S1_IPA + 0x3000) | 3);
	iom_mem_wr64(mem, S1_PA + S1_D3, XN_BITS | OUT_IPA | leaf_low);
}

/* Stage 2: 4 KB, IA 48, SL0 = 2 -> 4 levels from L0.  Tables: root
 * 0x8000_0000, L1 0x8000_1000, L2 0x8000_2000, L3 for IPA 0x1000_0000 (L2
 * index 0x1000_0000 >> 21 = 0x80) 0x8000_3000, L3 for IPA 0x2000_5000 (L2 index
 * 0x100) 0x8000_4000. */
static void setup_4x4(void)
{
	s2_make(2, 48);
	s2_map(S1_IPA, S1_PA, 0x4000, 0x1000, RW);
	s2_map(OUT_IPA, OUT_PA, 0x1000, 0x1000, RW);
	s1_write(0x703);
}

static void nested(struct iom_pt_nested_walk *nw, uint64_t iova)
{
	memset(nw, 0, sizeof(*nw));
	nw->iova = iova;
	nw->s1_table = S1_IPA;
	nw->s1_level = 0;
	nw->s2_table = iom_pt_root(pt);
	nw->s2_level = iom_pt_geom(pt)->start_level;
	nw->now_ps = NOW_PS;
	nw->mem_req = req;
	cr_assert_eq(iom_pt_walk_nested(mem, &s1c, iom_pt_config(pt), nw, &err), 0, "%s", err.msg);
}

TestSuite(pgtable_nested, .init = init, .fini = pt_fixture_fini);

Test(pgtable_nested, uncached_4_over_4_walk_costs_24_reads)
{
	setup_4x4();
	struct iom_pt_nested_walk nw;
	nested(&nw, IOVA + 0x9ab);
	cr_assert_eq(nw.status, IOM_PT_OK);
	/* 4 stage-1 reads, each after a 4-read stage-2 walk, then 4 for the output. */
	cr_assert_eq(nw.reads, 4 * (4 + 1) + 4);
	cr_assert_eq(iom_mem_req_stats(mem, req)->reads, 24);
	cr_assert_eq(nw.s1.nsteps, 4);
	cr_assert_eq(nw.s1.s2_reads, 16);
	static const uint64_t d[4] = {S1_D0, S1_D1, S1_D2, S1_D3};
	for (unsigned i = 0; i < 4; i++) {
		const struct iom_pt_step *st = &nw.s1.steps[i];
		cr_assert_eq(st->desc_ipa, S1_IPA + d[i], "step %u ipa", i);
		cr_assert_eq(st->desc_pa, S1_PA + d[i], "step %u pa", i);
		cr_assert_eq(st->s2_reads, 4, "step %u", i);
		cr_assert_eq(st->level, i);
		cr_assert_eq(st->done_ps, NOW_PS + (i + 1) * 5 * LAT_PS, "step %u done", i);
	}
	cr_assert_eq(nw.ipa, OUT_IPA + 0x9ab);
	cr_assert_eq(nw.pa, OUT_PA + 0x9ab);
	cr_assert_eq(nw.done_ps, NOW_PS + 24 * LAT_PS);
	/* The last stage-2 walk (of IPA 0x2000_59ab): L0 0, L1 0, L2 0x100, L3 5. */
	cr_assert_eq(nw.s2.nsteps, 4);
	cr_assert_eq(nw.s2.steps[0].desc_pa, PBASE);
	cr_assert_eq(nw.s2.steps[1].desc_pa, PBASE + 0x1000);
	cr_assert_eq(nw.s2.steps[2].desc_pa, PBASE + 0x2000 + 8 * 0x100);
	cr_assert_eq(nw.s2.steps[3].desc_pa, PBASE + 0x4000 + 8 * 5);
	cr_assert_eq(nw.s1.perms, RW);
	cr_assert_eq(nw.s2.perms, RW);
}

/* Stage 1 with 3 levels (IA 39, iova 0x12_3456_7000: L1 0x48, L2 0x1a2, L3
 * 0x167) over stage 2 with 2 MB blocks (4 KB, IA 40, SL0 1: L1 + L2 = 2 reads):
 * 3 * (2 + 1) + 2 = 11 = (3 + 1)(2 + 1) - 1. */
Test(pgtable_nested, three_over_two_with_stage2_blocks_costs_11_reads)
{
	s2_make(1, 40);
	s2_map(S1_IPA, S1_PA, 1ull << 21, 1ull << 21, RW);
	s2_map(0x20000000, 0xa0000000, 1ull << 21, 1ull << 21, RW);
	iom_mem_wr64(mem, S1_PA + 8 * 0x48, (S1_IPA + 0x1000) | 3);
	iom_mem_wr64(mem, S1_PA + 0x1000 + 8 * 0x1a2, (S1_IPA + 0x2000) | 3);
	iom_mem_wr64(mem, S1_PA + 0x2000 + 8 * 0x167, XN_BITS | OUT_IPA | 0x703);
	s1c.ia_bits = 39;
	struct iom_pt_nested_walk nw;
	memset(&nw, 0, sizeof(nw));
	nw.iova = 0x1234567000ull + 0x42;
	nw.s1_table = S1_IPA;
	nw.s1_level = 1;
	nw.s2_table = iom_pt_root(pt);
	nw.s2_level = 1;
	nw.now_ps = NOW_PS;
	nw.mem_req = req;
	cr_assert_eq(iom_pt_walk_nested(mem, &s1c, iom_pt_config(pt), &nw, &err), 0, "%s", err.msg);
	cr_assert_eq(nw.status, IOM_PT_OK);
	cr_assert_eq(nw.reads, 11);
	cr_assert_eq(nw.s1.steps[2].desc_pa, S1_PA + 0x2000 + 8 * 0x167);
	cr_assert_eq(nw.pa, 0xa0005042ull);
	cr_assert_eq(nw.done_ps, NOW_PS + 11 * LAT_PS);
}

Test(pgtable_nested, stage2_fault_on_a_stage1_table_address)
{
	setup_4x4();
	uint64_t un;
	/* Stage 2 loses the page of the stage-1 L2 table (IPA 0x1000_2000): the
	 * third stage-2 walk reads 4 descriptors and faults at its L3. */
	cr_assert_eq(iom_pt_unmap(pt, S1_IPA + 0x2000, 0x1000, &un, &err), 0, "%s", err.msg);
	struct iom_pt_nested_walk nw;
	nested(&nw, IOVA);
	cr_assert_eq(nw.status, IOM_PT_FAULT_TRANSLATION);
	cr_assert_eq(nw.fault_stage, 2);
	cr_assert_eq(nw.s1.status, IOM_PT_FAULT_S2);
	cr_assert_eq(nw.s1.s2_status, IOM_PT_FAULT_TRANSLATION);
	cr_assert_eq(nw.s1.leaf_level, 2);
	cr_assert_eq(nw.s1.leaf_desc_pa, S1_IPA + S1_D2); /* the IPA that faulted */
	cr_assert_eq(nw.s1.nsteps, 2);
	cr_assert_eq(nw.s2.leaf_level, 3);
	cr_assert_eq(nw.reads, 5 + 5 + 4);
	cr_assert_eq(nw.done_ps, NOW_PS + 14 * LAT_PS);
	/* Mapped write-only: stage 2 denies the stage-1 table read. */
	s2_map(S1_IPA + 0x2000, S1_PA + 0x2000, 0x1000, 0x1000, IOM_PTE_W);
	nested(&nw, IOVA);
	cr_assert_eq(nw.status, IOM_PT_FAULT_PERMISSION);
	cr_assert_eq(nw.fault_stage, 2);
	cr_assert_eq(nw.reads, 14);
}

Test(pgtable_nested, stage2_access_flag_on_a_table_page)
{
	setup_4x4();
	uint64_t un;
	cr_assert_eq(iom_pt_unmap(pt, S1_IPA + 0x1000, 0x1000, &un, &err), 0, "%s", err.msg);
	s2_map(S1_IPA + 0x1000, S1_PA + 0x1000, 0x1000, 0x1000, RW | IOM_PTE_NOAF);
	struct iom_pt_nested_walk nw;
	nested(&nw, IOVA);
	cr_assert_eq(nw.status, IOM_PT_FAULT_ACCESS); /* S2HA = 0 */
	cr_assert_eq(nw.fault_stage, 2);
	cr_assert_eq(nw.s1.nsteps, 1);
	/* With S2HA the stage-2 walk sets AF (one RMW) and the walk completes. */
	memset(&nw, 0, sizeof(nw));
	nw.iova = IOVA;
	nw.s1_table = S1_IPA;
	nw.s2_table = iom_pt_root(pt);
	nw.now_ps = NOW_PS;
	nw.mem_req = req;
	nw.s2_ha = 1;
	uint64_t w0 = iom_mem_req_stats(mem, req)->writes;
	cr_assert_eq(iom_pt_walk_nested(mem, &s1c, iom_pt_config(pt), &nw, &err), 0, "%s", err.msg);
	cr_assert_eq(nw.status, IOM_PT_OK);
	cr_assert_eq(nw.reads, 24);
	cr_assert_eq(iom_mem_req_stats(mem, req)->writes, w0 + 1);
	/* the RMW (read + write) sits between the second S2 walk and the S1 read */
	cr_assert_eq(nw.done_ps, NOW_PS + 26 * LAT_PS);
	cr_assert_eq(nw.pa, OUT_PA);
}

Test(pgtable_nested, stage1_httu_updates_the_descriptor_pa)
{
	setup_4x4();
	s1_write(0x303); /* AF = 0 */
	struct iom_pt_nested_walk nw;
	memset(&nw, 0, sizeof(nw));
	nw.iova = IOVA;
	nw.s1_table = S1_IPA;
	nw.s2_table = iom_pt_root(pt);
	nw.now_ps = NOW_PS;
	nw.mem_req = req;
	nw.s1_ha = 1;
	cr_assert_eq(iom_pt_walk_nested(mem, &s1c, iom_pt_config(pt), &nw, &err), 0, "%s", err.msg);
	cr_assert_eq(nw.status, IOM_PT_OK);
	cr_assert_eq(nw.s1.af_updates, 1);
	cr_assert_eq(nw.s1.rmws, 1);
	cr_assert_eq(iom_mem_rd64(mem, S1_PA + S1_D3), XN_BITS | OUT_IPA | 0x703);
	cr_assert_eq(nw.reads, 24);
	const struct iom_mem_req_stats *st = iom_mem_req_stats(mem, req);
	cr_assert_eq(st->reads, 25); /* 24 descriptors + the RMW's read */
	cr_assert_eq(st->writes, 1);
	cr_assert_eq(nw.done_ps, NOW_PS + 26 * LAT_PS);
	/* Without HA: AF = 0 is a stage-1 access fault (nothing written). */
	s1_write(0x303);
	nested(&nw, IOVA);
	cr_assert_eq(nw.status, IOM_PT_FAULT_ACCESS);
	cr_assert_eq(nw.fault_stage, 1);
	cr_assert_eq(iom_mem_req_stats(mem, req)->writes, 1);
}

/* ---- the s2_xlat hook alone ---- */

struct hook {
	uint64_t ipas[8];
	unsigned calls;
	unsigned fail_at; /* 1-based call that reports a translation fault; 0 = never */
	int rc;
};

/* Identity translation that takes 7 ns and claims 2 reads of its own. */
static int hook_fn(void *ctx, struct iom_pt_s2_req *r, struct iom_err *e)
{
	struct hook *h = ctx;
	if (h->rc)
		return iom_err_set(e, -h->rc, "test hook failed");
	h->ipas[h->calls++] = r->ipa;
	cr_assert_eq(r->mem_req, req);
	r->reads = 2;
	r->done_ps = r->now_ps + 7000;
	r->pa = r->ipa;
	r->status = h->calls == h->fail_at ? IOM_PT_FAULT_TRANSLATION : IOM_PT_OK;
	return 0;
}

Test(pgtable_nested, hook_translates_each_descriptor_before_its_read)
{
	/* Stage-1 tables built by the builder at PA = IPA (identity hook). */
	struct iom_pt *s1 = iom_pt_create(mem, &s1c, &alloc, &err);
	cr_assert_not_null(s1, "%s", err.msg);
	cr_assert_eq(iom_pt_map(s1, IOVA, 0x40000000, 0x1000, 0x1000, RW, &err), 0, "%s", err.msg);
	struct hook h = {0};
	struct iom_pt_walk w = {.iova = IOVA,
	                        .table_pa = iom_pt_root(s1),
	                        .level = 0,
	                        .now_ps = NOW_PS,
	                        .mem_req = req,
	                        .s2_xlat = hook_fn,
	                        .s2_ctx = &h};
	cr_assert_eq(iom_pt_walk(mem, &s1c, &w, &err), 0, "%s", err.msg);
	cr_assert_eq(w.status, IOM_PT_OK);
	cr_assert_eq(h.calls, 4);
	/* Tables 0x8000_0000, _1000, _2000, _3000 (builder order). */
	cr_assert_eq(h.ipas[0], PBASE + S1_D0);
	cr_assert_eq(h.ipas[3], PBASE + S1_D3);
	cr_assert_eq(w.s2_reads, 8);
	for (unsigned i = 0; i < 4; i++)
		cr_assert_eq(w.steps[i].done_ps, NOW_PS + (i + 1) * (7000 + LAT_PS), "step %u", i);
	cr_assert_eq(w.done_ps, NOW_PS + 4 * (7000 + LAT_PS));
	/* A stage-2 fault on the third call: two reads made, walk ends at L2. */
	h = (struct hook){.fail_at = 3};
	cr_assert_eq(iom_pt_walk(mem, &s1c, &w, &err), 0, "%s", err.msg);
	cr_assert_eq(w.status, IOM_PT_FAULT_S2);
	cr_assert_eq(w.s2_status, IOM_PT_FAULT_TRANSLATION);
	cr_assert_eq(w.nsteps, 2);
	cr_assert_eq(w.leaf_level, 2);
	cr_assert_eq(w.leaf_desc_pa, PBASE + S1_D2);
	cr_assert_eq(w.done_ps, NOW_PS + 2 * (7000 + LAT_PS) + 7000);
	/* A simulator error in the hook is returned, with the walk named. */
	h = (struct hook){.rc = -IOM_EINVAL};
	cr_assert_eq(iom_pt_walk(mem, &s1c, &w, &err), -IOM_EINVAL);
	cr_assert(strstr(err.msg, "pgtable: walk iova 0x123456789000 level 0"), "%s", err.msg);
	cr_assert(strstr(err.msg, "test hook failed"), "%s", err.msg);
	iom_pt_destroy(s1);
}
