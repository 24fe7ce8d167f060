/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_vtd.c - the VT-d translation pipeline (models/vtd/vtd_xlat.c) with
 * hand-written root / context / PASID structures: capability registers,
 * legacy and scalable decode, read counts and latencies of each walk type,
 * every fault reason the model reports, fault recording, A/D updates.
 * Fixture and addresses: vtd-test.h.  Latencies: cycles are 1 ns; context
 * cache 2 cycles, PASID cache 2, IOTLB 1, each paging-structure cache 1,
 * DRAM 100 ns.
 */
#include "vtd-test.h"

TestSuite(vtd, .init = vt_init, .fini = vt_fini);

#define RW   (IOM_PTE_R | IOM_PTE_W)
#define URW  (IOM_PTE_R | IOM_PTE_W | IOM_PTE_USER)
#define IOVA 0x12345000ull
#define PA   0x777000ull

static uint64_t requester_reads(const char *name)
{
	return iom_mem_req_stats(mem, iom_mem_requester(mem, name))->reads;
}

/* Legacy: RID -> 4-level second-level table of DID 7 (AW = 2). */
static struct iom_pt *legacy_setup(void)
{
	vt_create();
	struct iom_pt *p = vt_pt(IOM_PT_VTD_SL, 48);
	vt_map(p, IOVA, PA, 0x2000, 0x1000, RW);
	vt_legacy_ctx(iom_pt_root(p) | 1, (DID << 8) | 2);
	vt_enable(VTD_TTM_LEGACY);
	return p;
}

/* What software does after changing structures: invalidate everything. */
static void flush_all(void)
{
	iom_cache_flush(iom_vtd_context_cache(vtd));
	iom_cache_flush(iom_vtd_pasid_cache(vtd));
	iom_cache_flush(iom_vtd_iotlb(vtd));
	for (unsigned l = 0; l < 4; l++)
		iom_cache_flush(iom_vtd_psc(vtd, l));
}

static void expect_fault(const struct iom_txn *t, uint32_t reason, uint8_t status)
{
	cr_expect_eq(t->status, status, "status %u, expected %u", t->status, status);
	cr_expect_eq(t->fault, reason, "fault reason 0x%x, expected 0x%x", t->fault, reason);
	cr_expect_eq(iom_vtd_stats(vtd)->fault_by_reason[reason], 1);
}

/* ---- capabilities ---- */

Test(vtd, default_cap_and_ecap_are_the_broadwell_registers)
{
	vt_create();
	/* ../shared/calibration/pcie-bench-bdw/.../sys-dmesg.txt */
	cr_expect_eq(iom_vtd_read_cap(vtd), 0x8d2078c106f0466ull);
	cr_expect_eq(iom_vtd_read_ecap(vtd), 0xf020dfull);
}

Test(vtd, scalable_capabilities_appear_in_ecap)
{
	vt_scalable_caps();
	vcfg.slads = true;
	vt_create();
	uint64_t e = iom_vtd_read_ecap(vtd);
	/* NEST 26, ERS 30, SRS 31, PSS [39:35] = 19, PASID 40, SMTS 43, SLADS 45, SLTS 46, FLTS 47
	 */
	uint64_t want = 0xf020dfull | 1ull << 26 | 1ull << 30 | 1ull << 31 | 19ull << 35 |
	                1ull << 40 | 1ull << 43 | 1ull << 45 | 1ull << 46 | 1ull << 47;
	cr_expect_eq(e, want, "ecap 0x%llx", (unsigned long long)e);
}

Test(vtd, configurations_the_model_cannot_honour_are_rejected)
{
	vcfg.qi = false;
	cr_expect_null(iom_vtd_create(&vcfg, mem, "dmar0", &err));
	cr_expect_eq(err.code, IOM_ENOTSUP);
	iom_vtd_cfg_default(&vcfg);
	vcfg.flts = true; /* a scalable-mode capability without SMTS */
	cr_expect_null(iom_vtd_create(&vcfg, mem, "dmar0", &err));
	iom_vtd_cfg_default(&vcfg);
	vcfg.sagaw = 1; /* 30-bit 2-level: reserved */
	cr_expect_null(iom_vtd_create(&vcfg, mem, "dmar0", &err));
}

/* ---- legacy mode ---- */

Test(vtd, translation_disabled_passes_requests_untranslated)
{
	vt_create();
	struct iom_txn t = vt_tx(RID, 0xabc000, 1, 0, 0, 0);
	cr_expect_eq(t.status, IOM_TXN_OK);
	cr_expect_eq(t.pa, 0xabc000);
	cr_expect_eq(iom_vtd_stats(vtd)->bypassed, 1);
}

Test(vtd, legacy_4_level_walk_reads_root_context_and_four_entries)
{
	struct iom_pt *p = legacy_setup();
	struct iom_txn t = vt_tx(RID, IOVA + 0x678, 1, 0, 0, 0);
	cr_assert_eq(t.status, IOM_TXN_OK);
	cr_expect_eq(t.pa, PA + 0x678);
	cr_expect_eq(t.cfg_reads, 2);
	cr_expect_eq(t.walk_reads, 4);
	/* context cache 2 ns, root + context 200 ns, IOTLB 1, PSCs 1, four reads 400 */
	cr_expect_eq(t.done_ps, 604000, "done %llu", (unsigned long long)t.done_ps);
	cr_expect_eq(requester_reads("dmar0.cfg"), 2);
	cr_expect_eq(requester_reads("dmar0.walk"), 4);
	/* same page: context cache and IOTLB hits, 3 ns */
	t = vt_tx(RID, IOVA, 0, 0, 0, 1000000);
	cr_expect(t.tlb_hit);
	cr_expect_eq(t.done_ps, 1003000);
	/* next page: the PDE cache gives the PT: one read */
	t = vt_tx(RID, IOVA + 0x1000, 0, 0, 0, 2000000);
	cr_expect_eq(t.pa, PA + 0x1000);
	cr_expect_eq(t.walk_reads, 1);
	cr_expect_eq(t.done_ps, 2104000, "done %llu", (unsigned long long)t.done_ps);
	const struct iom_vtd_stats *s = iom_vtd_stats(vtd);
	cr_expect_eq(s->walk_reads_level[1], 1); /* PML4 */
	cr_expect_eq(s->walk_reads_level[4], 2); /* PT */
	cr_expect_eq(iom_cache_stats(iom_vtd_psc(vtd, 3))->hits, 1);
	iom_pt_destroy(p);
}

Test(vtd, legacy_3_and_5_level_tables_read_3_and_5_entries)
{
	vcfg.sagaw = 2 | 4 | 8;
	vcfg.mgaw = 57;
	vt_create();
	struct iom_pt *p3 = vt_pt(IOM_PT_VTD_SL, 39), *p5 = vt_pt(IOM_PT_VTD_SL, 57);
	vt_map(p3, IOVA, PA, 0x1000, 0x1000, RW);
	vt_map(p5, 0x100000000000000ull | IOVA, PA, 0x1000, 0x1000, RW);
	vt_legacy_ctx(iom_pt_root(p3) | 1, (DID << 8) | 1);
	vt_enable(VTD_TTM_LEGACY);
	struct iom_txn t = vt_tx(RID, IOVA, 0, 0, 0, 0);
	cr_expect_eq(t.pa, PA);
	cr_expect_eq(t.walk_reads, 3);
	/* AW 3 = 57-bit, 5 levels; a new context entry means a context-cache miss:
	 * drop the cached one by hand-made invalidation-free trick: new RID */
	iom_mem_wr64(mem, CTX + 9 * 16, iom_pt_root(p5) | 1);
	iom_mem_wr64(mem, CTX + 9 * 16 + 8, (8u << 8) | 3);
	t = vt_tx(0x0109, 0x100000000000000ull | IOVA, 0, 0, 0, 1000000);
	cr_expect_eq(t.status, IOM_TXN_OK);
	cr_expect_eq(t.pa, PA);
	cr_expect_eq(t.walk_reads, 5);
	iom_pt_destroy(p3);
	iom_pt_destroy(p5);
}

Test(vtd, legacy_pass_through_context_translates_1_to_1)
{
	vt_create();
	vt_legacy_ctx(1 | (VTD_TT_PT << 2), (DID << 8) | 2);
	vt_enable(VTD_TTM_LEGACY);
	struct iom_txn t = vt_tx(RID, 0x3456789000ull, 1, 0, 0, 0);
	cr_expect_eq(t.status, IOM_TXN_OK);
	cr_expect_eq(t.pa, 0x3456789000ull);
	cr_expect_eq(t.walk_reads, 0);
	cr_expect_eq(iom_vtd_stats(vtd)->passthrough, 1);
}

Test(vtd, second_level_superpages_follow_sllps)
{
	vcfg.sllps = 1; /* 2 MB only */
	vt_create();
	struct iom_pt *p = vt_pt(IOM_PT_VTD_SL, 48);
	vt_map(p, 0x40000000, 0x80000000, 0x200000, 0x200000, RW);
	vt_map(p, 0xc0000000, 0x40000000, 0x40000000, 0x40000000, RW);
	vt_legacy_ctx(iom_pt_root(p) | 1, (DID << 8) | 2);
	vt_enable(VTD_TTM_LEGACY);
	struct iom_txn t = vt_tx(RID, 0x401ffff0, 0, 0, 0, 0);
	cr_expect_eq(t.status, IOM_TXN_OK);
	cr_expect_eq(t.pa, 0x801ffff0);
	cr_expect_eq(t.walk_reads, 3);
	t = vt_tx(RID, 0xc0001000, 0, 0, 0, 1000000);
	expect_fault(&t, VTD_FR_PTE_RSVD,
	             IOM_TXN_FAULT); /* 1 GB leaf: PS reserved without SLLPS[1] */
	iom_pt_destroy(p);
}

/* ---- legacy faults ---- */

Test(vtd, legacy_root_and_context_faults)
{
	vt_create();
	vt_enable(VTD_TTM_LEGACY);
	struct iom_txn t = vt_tx(RID, IOVA, 0, 0, 0, 0); /* root entry of bus 1 absent */
	expect_fault(&t, VTD_FR_ROOT_NP, IOM_TXN_ABORT);
	cr_expect_eq(t.cfg_reads, 1);
	iom_mem_wr64(mem, ROOT + 16, CTX | 1 | 2); /* reserved bit 1 */
	t = vt_tx(RID, IOVA, 0, 0, 0, 0);
	expect_fault(&t, VTD_FR_ROOT_RSVD, IOM_TXN_ABORT);
	iom_mem_wr64(mem, ROOT + 16, CTX | 1); /* context entry not present */
	t = vt_tx(RID, IOVA, 0, 0, 0, 0);
	expect_fault(&t, VTD_FR_CTX_NP, IOM_TXN_ABORT);
	cr_expect_eq(t.cfg_reads, 2);
	vt_legacy_ctx(T(0) | 1 | 0x10, (DID << 8) | 2); /* reserved bit 4 */
	t = vt_tx(RID, IOVA, 0, 0, 0, 0);
	expect_fault(&t, VTD_FR_CTX_RSVD, IOM_TXN_ABORT);
	vt_legacy_ctx(T(0) | 1, (DID << 8) | 3); /* AW 57-bit, SAGAW has 48 only */
	t = vt_tx(RID, IOVA, 0, 0, 0, 0);
	expect_fault(&t, VTD_FR_CTX_INVALID, IOM_TXN_ABORT);
	iom_mem_wr64(mem, ROOT + 16, 0x20000000000ull | 1); /* context table beyond memory */
	t = vt_tx(RID, IOVA, 0, 0, 0, 0);
	expect_fault(&t, VTD_FR_CTX_PTR, IOM_TXN_ABORT);
}

Test(vtd, legacy_root_table_beyond_memory_faults_0x8)
{
	vt_create();
	cr_assert_eq(iom_vtd_write_rtaddr(vtd, 0x20000000000ull, &err), 0);
	cr_assert_eq(iom_vtd_write_gcmd(vtd, VTD_GCMD_SRTP, &err), 0);
	cr_assert_eq(iom_vtd_write_gcmd(vtd, VTD_GCMD_TE, &err), 0);
	struct iom_txn t = vt_tx(RID, IOVA, 0, 0, 0, 0);
	expect_fault(&t, VTD_FR_ROOT_ADDR, IOM_TXN_ABORT);
}

Test(vtd, legacy_walk_faults)
{
	struct iom_pt *p = vt_pt(IOM_PT_VTD_SL, 48);
	vt_create();
	vt_map(p, IOVA, PA, 0x1000, 0x1000, IOM_PTE_R); /* read-only */
	vt_legacy_ctx(iom_pt_root(p) | 1, (DID << 8) | 2);
	vt_enable(VTD_TTM_LEGACY);
	struct iom_txn t = vt_tx(RID, IOVA, 1, 0, 0, 0);
	expect_fault(&t, VTD_FR_WRITE, IOM_TXN_FAULT); /* write to a read-only page */
	t = vt_tx(RID, IOVA + 0x1000, 0, 0, 0, 0);
	expect_fault(&t, VTD_FR_READ, IOM_TXN_FAULT); /* not present: R = W = 0 */
	t = vt_tx(RID, 1ull << 48, 0, 0, 0, 0);
	expect_fault(&t, VTD_FR_ADDR_MGAW, IOM_TXN_FAULT);
	cr_expect_eq(t.walk_reads, 0);
	/* PML4 entry 0 -> a table beyond memory (but inside the 46-bit HAW) */
	iom_mem_wr64(mem, iom_pt_root(p), 0x30000000000ull | 3);
	flush_all();
	t = vt_tx(RID, 0x80000000ull, 0, 0, 0, 0); /* PDPT 2: not cached anywhere */
	expect_fault(&t, VTD_FR_PT_PTR, IOM_TXN_FAULT);
	/* an address above the HAW in an entry is a reserved bit */
	iom_mem_wr64(mem, iom_pt_root(p), (1ull << 47) | 3);
	flush_all();
	t = vt_tx(RID, 0xc0000000ull, 0, 0, 0, 0);
	expect_fault(&t, VTD_FR_PTE_RSVD, IOM_TXN_FAULT);
	iom_pt_destroy(p);
}

Test(vtd, legacy_blocks_translation_requests_and_pasid_requests)
{
	struct iom_pt *p = legacy_setup();
	struct iom_txn t = {.rid = RID, .iova = IOVA, .at = 1}; /* ATS translation request */
	cr_assert_eq(iom_vtd_translate(vtd, &t, &err), 0);
	expect_fault(&t, VTD_FR_TT_BLOCKED, IOM_TXN_ABORT);
	t = vt_tx(RID, IOVA, 0, 0, TX_PASID | 3, 0);
	expect_fault(&t, VTD_FR_SM_TTM0_PASID, IOM_TXN_ABORT);
	iom_pt_destroy(p);
}

/* ---- fault recording ---- */

Test(vtd, fault_record_holds_the_spec_fields)
{
	struct iom_pt *p = legacy_setup();
	struct iom_txn t = vt_tx(RID, 0x5555678ull, 1, 0, 0, 0); /* write, unmapped */
	expect_fault(&t, VTD_FR_WRITE, IOM_TXN_FAULT);
	uint64_t lo, hi;
	iom_vtd_read_frcd(vtd, 0, &lo, &hi);
	cr_expect_eq(lo, 0x5555000ull);
	/* F [127] | FR [103:96] = 5 | T1 [126] = 0 (write) | SID [79:64] */
	cr_expect_eq(hi, 1ull << 63 | 5ull << 32 | RID);
	cr_expect_eq(iom_vtd_read_fsts(vtd), VTD_FSTS_PPF); /* FRI 0 */
	t = vt_tx(RID, 0x6666000ull, 0, 0, 0, 0);           /* read: T1 = 1, FR 6 */
	iom_vtd_read_frcd(vtd, 1, &lo, &hi);
	cr_expect_eq(hi, 1ull << 63 | 1ull << 62 | 6ull << 32 | RID);
	cr_expect_eq(iom_vtd_stats(vtd)->faults_recorded, 2);
	iom_pt_destroy(p);
}

Test(vtd, full_fault_registers_overflow_until_software_clears)
{
	vcfg.nfr = 2;
	struct iom_pt *p = legacy_setup();
	for (int i = 0; i < 3; i++)
		vt_tx(RID, 0x100000000ull + 0x1000ull * i, 0, 0, 0, 0);
	const struct iom_vtd_stats *s = iom_vtd_stats(vtd);
	cr_expect_eq(s->faults, 3);
	cr_expect_eq(s->faults_recorded, 2);
	cr_expect_eq(s->faults_overflow, 1);
	cr_expect_eq(iom_vtd_read_fsts(vtd), VTD_FSTS_PPF | VTD_FSTS_PFO);
	iom_vtd_clear_frcd(vtd, 0);
	vt_tx(RID, 0x200000000ull, 0, 0, 0, 0); /* PFO still set: lost */
	cr_expect_eq(s->faults_overflow, 2);
	iom_vtd_write_fsts(vtd, VTD_FSTS_PFO);
	vt_tx(RID, 0x300000000ull, 0, 0, 0, 0); /* recorded in register 0 (the next one, free) */
	uint64_t lo, hi;
	iom_vtd_read_frcd(vtd, 0, &lo, &hi);
	cr_expect_eq(lo, 0x300000000ull);
	cr_expect_eq(s->faults_recorded, 3);
	iom_vtd_clear_frcd(vtd, 0);
	iom_vtd_clear_frcd(vtd, 1);
	cr_expect_eq(iom_vtd_read_fsts(vtd) & VTD_FSTS_PPF, 0);
	iom_pt_destroy(p);
}

Test(vtd, fault_processing_disable_suppresses_the_record_not_the_fault)
{
	vt_create();
	vt_legacy_ctx(T(0) | 1 | 2, (DID << 8) | 3); /* FPD = 1, and an invalid AW */
	vt_enable(VTD_TTM_LEGACY);
	struct iom_txn t = vt_tx(RID, IOVA, 0, 0, 0, 0);
	cr_expect_eq(t.status, IOM_TXN_ABORT);
	cr_expect_eq(iom_vtd_stats(vtd)->faults_fpd, 1);
	cr_expect_eq(iom_vtd_stats(vtd)->faults_recorded, 0);
	cr_expect_eq(iom_vtd_read_fsts(vtd), 0);
}

static int handler_calls;
static void handler(void *ctx)
{
	(void)ctx;
	handler_calls++;
}

Test(vtd, fault_events_reach_the_handler_unless_masked)
{
	struct iom_pt *p = legacy_setup();
	handler_calls = 0;
	iom_vtd_set_fault_handler(vtd, handler, NULL);
	vt_tx(RID, 0x100000000ull, 0, 0, 0, 0);
	cr_expect_eq(handler_calls, 1);
	iom_vtd_write_fectl(vtd, VTD_FECTL_IM);
	vt_tx(RID, 0x200000000ull, 0, 0, 0, 0);
	cr_expect_eq(handler_calls, 1);
	iom_pt_destroy(p);
}

/* ---- scalable mode ---- */

static struct iom_pt *sm_fl_setup(uint32_t pasid_flags)
{
	vt_scalable_caps();
	vt_create();
	struct iom_pt *p = vt_pt(IOM_PT_X86_FL, 48);
	vt_map(p, IOVA, PA, 0x1000, 0x1000, URW);
	vt_sm_ctx(8, 0, 0); /* PASIDE, PDTS 0 */
	vt_pasid_entry(0, 1 | VTD_PGTT_FL << 6, DID, iom_pt_root(p) | pasid_flags);
	vt_pasid_entry(3, 1 | VTD_PGTT_FL << 6, DID, iom_pt_root(p) | pasid_flags);
	vt_enable(VTD_TTM_SCALABLE);
	return p;
}

Test(vtd, scalable_first_level_reads_four_structures_and_four_entries)
{
	struct iom_pt *p = sm_fl_setup(0);
	struct iom_txn t = vt_tx(RID, IOVA + 8, 0, 0, TX_PASID | 3, 0);
	cr_assert_eq(t.status, IOM_TXN_OK, "fault 0x%x", t.fault);
	cr_expect_eq(t.pa, PA + 8);
	cr_expect_eq(t.cfg_reads, 4); /* root, context, PASID directory, PASID entry */
	cr_expect_eq(t.walk_reads, 4);
	/* context cache 2, 2 reads, PASID cache 2, 2 reads, IOTLB 1, PSCs 1, 4 reads */
	cr_expect_eq(t.done_ps, 806000, "done %llu", (unsigned long long)t.done_ps);
	const struct iom_vtd_stats *s = iom_vtd_stats(vtd);
	cr_expect_eq(s->pasid_dir_reads, 1);
	cr_expect_eq(s->pasid_entry_reads, 1);
	/* without a PASID: RID_PASID (0), its own PASID-cache entry and IOTLB tag */
	t = vt_tx(RID, IOVA, 0, 0, 0, 1000000);
	cr_expect_eq(t.status, IOM_TXN_OK);
	cr_expect_eq(t.cfg_reads, 2);
	cr_expect_eq(t.tlb_hit, 0);
	iom_pt_destroy(p);
}

Test(vtd, rid_pasid_selects_the_entry_of_requests_without_pasid)
{
	vt_scalable_caps();
	vt_create();
	vt_sm_ctx(0, 0, 5);
	vt_pasid_entry(5, 1 | VTD_PGTT_PT << 6, DID, 0);
	vt_enable(VTD_TTM_SCALABLE);
	struct iom_txn t = vt_tx(RID, 0x9000, 1, 0, 0, 0);
	cr_expect_eq(t.status, IOM_TXN_OK);
	cr_expect_eq(t.pa, 0x9000);
	cr_expect_eq(iom_vtd_stats(vtd)->passthrough, 1);
}

Test(vtd, each_pgtt_decodes_to_its_translation)
{
	vt_scalable_caps();
	vcfg.fl5lp = true;
	vcfg.iotlb.entries = 0; /* every translation walks */
	for (int i = 0; i < 4; i++)
		vcfg.psc[i].entries = 0;
	vt_create();
	struct iom_pt *fl = vt_pt(IOM_PT_X86_FL, 48), *fl5 = vt_pt(IOM_PT_X86_FL, 57);
	struct iom_pt *sl = vt_pt(IOM_PT_VTD_SL, 48);
	vt_map(fl, IOVA, PA, 0x1000, 0x1000, URW);
	vt_map(fl5, IOVA, PA + 0x1000, 0x1000, 0x1000, URW);
	vt_map(sl, IOVA, PA + 0x2000, 0x1000, 0x1000, RW);
	vt_sm_ctx(8, 0, 0);
	vt_pasid_entry(1, 1 | VTD_PGTT_FL << 6, DID, iom_pt_root(fl));
	vt_pasid_entry(2, 1 | VTD_PGTT_FL << 6, DID, iom_pt_root(fl5) | 1 << 2);    /* FLPM 1 */
	vt_pasid_entry(3, iom_pt_root(sl) | VTD_PGTT_SL << 6 | 2 << 2 | 1, DID, 0); /* AW 2 */
	vt_pasid_entry(4, 1 | VTD_PGTT_PT << 6, DID, 0);
	vt_enable(VTD_TTM_SCALABLE);
	static const struct {
		uint32_t pasid;
		uint64_t pa;
		unsigned reads;
	} c[] = {
	    {1, PA, 4},
	    {2, PA + 0x1000, 5},
	    {3, PA + 0x2000, 4},
	    {4, IOVA, 0},
	};
	for (size_t i = 0; i < 4; i++) {
		struct iom_txn t = vt_tx(RID, IOVA, 0, 0, TX_PASID | c[i].pasid, 0);
		cr_expect_eq(t.status, IOM_TXN_OK, "PASID %u: fault 0x%x", c[i].pasid, t.fault);
		cr_expect_eq(t.pa, c[i].pa, "PASID %u", c[i].pasid);
		cr_expect_eq(t.walk_reads, c[i].reads, "PASID %u", c[i].pasid);
	}
	iom_pt_destroy(fl);
	iom_pt_destroy(fl5);
	iom_pt_destroy(sl);
}

/* Nested: first-level tables (GPAs) in pages the second level maps 1:1,
 * output GPA 0x4000_0000 -> HPA 0x5000_0000. */
static struct iom_pt *nfl, *nsl;
static void nested_setup(void)
{
	vt_scalable_caps();
	vt_create();
	struct iom_pt *fl = nfl = vt_pt(IOM_PT_X86_FL, 48); /* T(0)..T(3) */
	vt_map(fl, IOVA, 0x40000000, 0x1000, 0x1000, URW);
	struct iom_pt *sl = nsl = vt_pt(IOM_PT_VTD_SL, 48); /* root T(4) */
	for (int i = 0; i < 4; i++)
		vt_map(sl, T(i), T(i), 0x1000, 0x1000, RW);
	vt_map(sl, 0x40000000, 0x50000000, 0x1000, 0x1000, RW);
	vt_sm_ctx(8, 0, 0);
	vt_pasid_entry(1, iom_pt_root(sl) | VTD_PGTT_NESTED << 6 | 2 << 2 | 1, DID,
	               iom_pt_root(fl));
	vt_enable(VTD_TTM_SCALABLE);
}

static void nested_done(void)
{
	iom_pt_destroy(nfl);
	iom_pt_destroy(nsl);
}

Test(vtd, nested_cold_walk_reads_24_entries)
{
	vcfg.iotlb.entries = 0;
	for (int i = 0; i < 4; i++)
		vcfg.psc[i].entries = 0;
	nested_setup();
	struct iom_txn t = vt_tx(RID, IOVA + 0x10, 0, 0, TX_PASID | 1, 0);
	cr_assert_eq(t.status, IOM_TXN_OK, "fault 0x%x", t.fault);
	cr_expect_eq(t.pa, 0x50000010);
	/* 4 first-level reads, each table pointer through 4 second-level reads,
	 * and the output GPA through 4: 4 * (4 + 1) + 4 = 24 */
	cr_expect_eq(t.walk_reads, 24, "reads %u", t.walk_reads);
	cr_expect_eq(iom_vtd_stats(vtd)->nested_sl_reads, 20);
	cr_expect_eq(iom_vtd_stats(vtd)->walks, 1);
	nested_done();
}

Test(vtd, nested_walk_with_warm_second_level_caches_reads_14)
{
	nested_setup();
	/* SL walk of T(0): 4 reads (fills PML4E 0, PDPTE 2, PDE 0x400); T(1..3):
	 * PDE hit, 1 read each; GPA 0x4000_0000: PML4E hit, PDPTE 1 missing: 3;
	 * plus the 4 first-level reads: 4 + 3 + 3 + 4 = 14 */
	struct iom_txn t = vt_tx(RID, IOVA, 0, 0, TX_PASID | 1, 0);
	cr_assert_eq(t.status, IOM_TXN_OK, "fault 0x%x", t.fault);
	cr_expect_eq(t.walk_reads, 14, "reads %u", t.walk_reads);
	t = vt_tx(RID, IOVA, 1, 0, TX_PASID | 1, 1000000);
	cr_expect(t.tlb_hit); /* nested entries are cached whole */
	nested_done();
}

/* ---- scalable faults ---- */

Test(vtd, scalable_context_and_pasid_faults)
{
	vt_scalable_caps();
	vt_create();
	vt_enable(VTD_TTM_SCALABLE);
	struct iom_txn t = vt_tx(RID, IOVA, 0, 0, TX_PASID | 1, 0);
	expect_fault(&t, VTD_FR_SM_ROOT_NP, IOM_TXN_ABORT);
	iom_mem_wr64(mem, ROOT + 16, CTX | 1);
	t = vt_tx(RID, IOVA, 0, 0, TX_PASID | 1, 0);
	expect_fault(&t, VTD_FR_SM_CTX_NP, IOM_TXN_ABORT);
	vt_sm_ctx(8, 0, 0);
	iom_mem_wr64(mem, CTX + 8 * 32 + 16, 1); /* qw2 is reserved */
	t = vt_tx(RID, IOVA, 0, 0, TX_PASID | 1, 0);
	expect_fault(&t, VTD_FR_SM_CTX_RSVD, IOM_TXN_ABORT);
	iom_mem_wr64(mem, CTX + 8 * 32 + 16, 0);
	vt_sm_ctx(0, 0, 0); /* PASIDE = 0 */
	flush_all();
	t = vt_tx(RID, IOVA, 0, 0, TX_PASID | 1, 0);
	expect_fault(&t, VTD_FR_SM_PASIDE, IOM_TXN_ABORT);
	vt_sm_ctx(8, 0, 0x2000); /* PDTS 0: 2^7 * 64 = 8192 PASIDs; RID_PASID beyond */
	flush_all();
	t = vt_tx(RID, IOVA, 0, 0, TX_PASID | 0x2000, 0);
	expect_fault(&t, VTD_FR_SM_PASID_MAX, IOM_TXN_ABORT);
	t = vt_tx(RID, IOVA, 0, 0, 0, 0);
	expect_fault(&t, VTD_FR_SM_RID_PASID, IOM_TXN_ABORT);
	t = vt_tx(RID, IOVA, 0, 0, TX_PASID | 64, 0); /* directory entry 1 absent */
	expect_fault(&t, VTD_FR_SM_PDE_NP, IOM_TXN_ABORT);
	t = vt_tx(RID, IOVA, 0, 0, TX_PASID | 1, 0); /* PASID entry 1 absent */
	expect_fault(&t, VTD_FR_SM_PTE_NP, IOM_TXN_ABORT);
	vt_pasid_entry(2, 1 | 5 << 6, DID, 0); /* PGTT 101b is reserved */
	t = vt_tx(RID, IOVA, 0, 0, TX_PASID | 2, 0);
	expect_fault(&t, VTD_FR_SM_PTE_INVALID, IOM_TXN_ABORT);
	vt_pasid_entry(3, 1 | VTD_PGTT_PT << 6 | 1 << 10, DID, 0); /* reserved bit 10 */
	t = vt_tx(RID, IOVA, 0, 0, TX_PASID | 3, 0);
	expect_fault(&t, VTD_FR_SM_PTE_RSVD, IOM_TXN_ABORT);
	vt_pasid_entry(4, 1 | VTD_PGTT_PT << 6, DID, 0); /* SRE = ERE = 0 */
	t = vt_tx(RID, IOVA, 0, IOM_TXN_PRIV, TX_PASID | 4, 0);
	expect_fault(&t, VTD_FR_SM_SRE, IOM_TXN_ABORT);
	t = vt_tx(RID, IOVA, 0, IOM_TXN_EXEC, TX_PASID | 4, 0);
	expect_fault(&t, VTD_FR_SM_ERE, IOM_TXN_ABORT);
}

Test(vtd, pgtt_without_its_capability_is_an_invalid_pasid_entry)
{
	vt_scalable_caps();
	vcfg.flts = vcfg.nest = false;
	vt_create();
	vt_sm_ctx(8, 0, 0);
	vt_pasid_entry(1, 1 | VTD_PGTT_FL << 6, DID, T(0));
	vt_enable(VTD_TTM_SCALABLE);
	struct iom_txn t = vt_tx(RID, IOVA, 0, 0, TX_PASID | 1, 0);
	expect_fault(&t, VTD_FR_SM_PTE_INVALID, IOM_TXN_ABORT);
}

Test(vtd, scalable_first_level_faults)
{
	struct iom_pt *p = sm_fl_setup(0);
	vt_map(p, IOVA + 0x1000, PA, 0x1000, 0x1000, IOM_PTE_R | IOM_PTE_USER); /* read-only */
	vt_map(p, IOVA + 0x2000, PA, 0x1000, 0x1000, RW);                       /* supervisor */
	vt_map(p, 0x40000000, 0x40000000, 0x40000000, 0x40000000, URW);         /* 1 GB */
	struct iom_txn t = vt_tx(RID, IOVA + 0x3000, 0, 0, TX_PASID | 3, 0);
	expect_fault(&t, VTD_FR_SM_FL_NP, IOM_TXN_FAULT);
	t = vt_tx(RID, IOVA + 0x1000, 1, 0, TX_PASID | 3, 0);
	expect_fault(&t, VTD_FR_SM_WRITE, IOM_TXN_FAULT);
	t = vt_tx(RID, IOVA + 0x2000, 0, 0, TX_PASID | 3, 0);
	expect_fault(&t, VTD_FR_SM_US, IOM_TXN_FAULT);
	t = vt_tx(RID, 1ull << 47, 0, 0, TX_PASID | 3, 0);
	expect_fault(&t, VTD_FR_SM_NONCANON, IOM_TXN_FAULT);
	t = vt_tx(RID, 0x40001000, 0, 0, TX_PASID | 3, 0); /* FL1GP = 0: PS at the PDPT reserved */
	expect_fault(&t, VTD_FR_SM_FL_RSVD, IOM_TXN_FAULT);
	/* upper-half canonical addresses are legal: they walk (and find nothing) */
	t = vt_tx(RID, 0xffff800000000000ull, 0, 0, TX_PASID | 3, 0);
	cr_expect_eq(t.fault, VTD_FR_SM_FL_NP);
	iom_pt_destroy(p);
}

Test(vtd, execute_requests_need_ere_and_an_executable_leaf)
{
	struct iom_pt *p = sm_fl_setup(2); /* ERE */
	struct iom_txn t = vt_tx(RID, IOVA, 0, IOM_TXN_EXEC, TX_PASID | 3, 0);
	expect_fault(&t, VTD_FR_SM_EXEC, IOM_TXN_FAULT); /* XD = 1: mapped without IOM_PTE_X */
	iom_pt_destroy(p);
}

Test(vtd, scalable_second_level_faults)
{
	vt_scalable_caps();
	vt_create();
	struct iom_pt *p = vt_pt(IOM_PT_VTD_SL, 48);
	vt_map(p, IOVA, PA, 0x1000, 0x1000, IOM_PTE_W); /* write-only */
	vt_sm_ctx(8, 0, 0);
	vt_pasid_entry(1, iom_pt_root(p) | VTD_PGTT_SL << 6 | 2 << 2 | 1, DID, 0);
	vt_enable(VTD_TTM_SCALABLE);
	struct iom_txn t = vt_tx(RID, IOVA, 0, 0, TX_PASID | 1, 0);
	expect_fault(&t, VTD_FR_SM_READ, IOM_TXN_FAULT);
	t = vt_tx(RID, IOVA + 0x1000, 1, 0, TX_PASID | 1, 0);
	expect_fault(&t, VTD_FR_SM_SL_NP, IOM_TXN_FAULT);
	t = vt_tx(RID, 1ull << 48, 0, 0, TX_PASID | 1, 0);
	expect_fault(&t, VTD_FR_SM_ADDR_MAX, IOM_TXN_FAULT);
	iom_mem_wr64(mem, iom_pt_root(p) + 8, T(9) | 0x83); /* PS in a PML4 entry */
	t = vt_tx(RID, 1ull << 39, 0, 0, TX_PASID | 1, 0);
	expect_fault(&t, VTD_FR_SM_SL_RSVD, IOM_TXN_FAULT);
	iom_mem_wr64(mem, iom_pt_root(p) + 16, 0x30000000000ull | 3); /* beyond memory */
	t = vt_tx(RID, 2ull << 39, 0, 0, TX_PASID | 1, 0);
	expect_fault(&t, VTD_FR_SM_SL_ACCESS, IOM_TXN_FAULT);
	iom_pt_destroy(p);
}

Test(vtd, scalable_fault_record_carries_the_pasid)
{
	struct iom_pt *p = sm_fl_setup(0);
	vt_tx(RID, IOVA + 0x5000, 0, 0, TX_PASID | 3, 0);
	uint64_t lo, hi;
	iom_vtd_read_frcd(vtd, 0, &lo, &hi);
	/* F | T1 (read) | PV [123:104] = 3 | FR 0x71 | PP [95] | SID */
	cr_expect_eq(hi, 1ull << 63 | 1ull << 62 | 3ull << 40 | 0x71ull << 32 | 1ull << 31 | RID);
	iom_pt_destroy(p);
}

/* ---- accessed / dirty ---- */

Test(vtd, first_level_a_and_d_are_set_once_and_a_clean_iotlb_entry_rewalks_on_write)
{
	vt_scalable_caps();
	vt_create();
	struct iom_pt *p = vt_pt(IOM_PT_X86_FL, 48);
	vt_map(p, IOVA, PA, 0x1000, 0x1000, URW | IOM_PTE_NOAF | IOM_PTE_CLEAN);
	vt_sm_ctx(8, 0, 0);
	vt_pasid_entry(1, 1 | VTD_PGTT_FL << 6, DID, iom_pt_root(p));
	vt_enable(VTD_TTM_SCALABLE);
	const struct iom_vtd_stats *s = iom_vtd_stats(vtd);
	struct iom_txn t = vt_tx(RID, IOVA, 0, 0, TX_PASID | 1, 0);
	cr_expect_eq(s->a_updates, 1);
	cr_expect_eq(s->ad_rmws, 1);
	t = vt_tx(RID, IOVA, 0, 0, TX_PASID | 1, 1000000);
	cr_expect(t.tlb_hit);
	t = vt_tx(RID, IOVA, 1, 0, TX_PASID | 1, 2000000); /* cached clean: walk to set D */
	cr_expect_eq(t.tlb_hit, 0);
	cr_expect_eq(s->d_updates, 1);
	cr_expect_eq(s->a_updates, 1);
	t = vt_tx(RID, IOVA, 1, 0, TX_PASID | 1, 3000000);
	cr_expect(t.tlb_hit);
	cr_expect_eq(s->ad_rmws, 2);
	iom_pt_destroy(p);
}

Test(vtd, second_level_a_and_d_only_with_slade)
{
	vt_scalable_caps();
	vcfg.slads = true;
	vt_create();
	struct iom_pt *p = vt_pt(IOM_PT_VTD_SL, 48);
	vt_map(p, IOVA, PA, 0x2000, 0x1000, RW);
	vt_sm_ctx(8, 0, 0);
	vt_pasid_entry(1, iom_pt_root(p) | VTD_PGTT_SL << 6 | 2 << 2 | 1, DID, 0);
	vt_pasid_entry(2, iom_pt_root(p) | 1 << 9 | VTD_PGTT_SL << 6 | 2 << 2 | 1, DID + 1, 0);
	vt_enable(VTD_TTM_SCALABLE);
	const struct iom_vtd_stats *s = iom_vtd_stats(vtd);
	vt_tx(RID, IOVA, 1, 0, TX_PASID | 1, 0); /* SLADE = 0 */
	cr_expect_eq(s->ad_rmws, 0);
	vt_tx(RID, IOVA + 0x1000, 1, 0, TX_PASID | 2, 1000000); /* SLADE = 1: A and D in one RMW */
	cr_expect_eq(s->a_updates, 1);
	cr_expect_eq(s->d_updates, 1);
	cr_expect_eq(s->ad_rmws, 1);
	iom_pt_destroy(p);
}
