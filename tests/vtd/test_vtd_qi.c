/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_vtd_qi.c - the VT-d invalidation queue (models/vtd/vtd_qi.c):
 * the effect of each descriptor on each cache, the invalidation wait
 * (status write, IF, fence) completing after every earlier descriptor,
 * device-TLB descriptors handed to the ATS interface, descriptor costs and
 * the invalidation-queue errors.  Descriptors are written by hand with the
 * spec's encodings (6.5.2): type [3:0], granularity [5:4], DID [31:16],
 * SID [47:32] / PASID [51:32]; qw1 AM [5:0], IH [6], ADDR [63:12].
 *
 * Cache population (scalable fixture): RID 0x0108 with PASID 1 = second
 * level (DID 7), PASID 2 = first level (DID 8); pages A = 0x12345000 and
 * B = A + 2 MB in both, so each domain has IOTLB entries for A and B and
 * paging-structure entries PML4E 0, PDPTE 0, PDE A>>21 = 0x91 and 0x92.
 */
#include "vtd-test.h"

TestSuite(vtd_qi, .init = vt_init, .fini = vt_fini);

#define A   0x12345000ull
#define B   (A + 0x200000ull)
#define SLD 7u
#define FLD 8u

static uint64_t tail;
static bool wide;
static struct iom_pt *slp, *flp;

static void qi_enable(bool dw)
{
	wide = dw;
	tail = 0;
	cr_assert_eq(iom_vtd_write_iqa(vtd, IQ | (dw ? 1ull << 11 | 1 : 0), &err), 0, "%s",
	             err.msg);
	cr_assert_eq(iom_vtd_write_gcmd(vtd, VTD_GCMD_QIE | VTD_GCMD_TE, &err), 0, "%s", err.msg);
}

static void put(uint64_t qw0, uint64_t qw1)
{
	uint64_t d[4] = {qw0, qw1, 0, 0};
	unsigned sz = wide ? 32 : 16;
	iom_mem_write(mem, IQ + tail, d, sz, NULL);
	tail = (tail + sz) % (wide ? 8192 : 4096);
}

static uint64_t ring(uint64_t now)
{
	uint64_t done = 0;
	cr_assert_eq(iom_vtd_write_iqt(vtd, tail, now, &done, &err), 0, "%s", err.msg);
	return done;
}

static uint64_t dsc(unsigned type, unsigned g, uint32_t did)
{
	return type | (uint64_t)g << 4 | (uint64_t)did << 16;
}

static uint32_t valid(struct iom_cache *c)
{
	return iom_cache_valid(c);
}

static void sm_fixture(void)
{
	vt_scalable_caps();
	vt_create();
	slp = vt_pt(IOM_PT_VTD_SL, 48);
	flp = vt_pt(IOM_PT_X86_FL, 48);
	vt_map(slp, A, 0x1000000, 0x1000, 0x1000, IOM_PTE_R | IOM_PTE_W);
	vt_map(slp, B, 0x1001000, 0x1000, 0x1000, IOM_PTE_R | IOM_PTE_W);
	vt_map(flp, A, 0x2000000, 0x1000, 0x1000, IOM_PTE_R | IOM_PTE_W | IOM_PTE_USER);
	vt_map(flp, B, 0x2001000, 0x1000, 0x1000, IOM_PTE_R | IOM_PTE_W | IOM_PTE_USER);
	vt_sm_ctx(8, 0, 0);
	vt_pasid_entry(1, iom_pt_root(slp) | VTD_PGTT_SL << 6 | 2 << 2 | 1, SLD, 0);
	vt_pasid_entry(2, 1 | VTD_PGTT_FL << 6, FLD, iom_pt_root(flp));
	vt_enable(VTD_TTM_SCALABLE);
	qi_enable(true);
	for (uint32_t p = 1; p <= 2; p++) {
		cr_assert_eq(vt_tx(RID, A, 0, 0, TX_PASID | p, 0).status, IOM_TXN_OK);
		cr_assert_eq(vt_tx(RID, B, 0, 0, TX_PASID | p, 0).status, IOM_TXN_OK);
	}
	cr_assert_eq(valid(iom_vtd_context_cache(vtd)), 1);
	cr_assert_eq(valid(iom_vtd_pasid_cache(vtd)), 2);
	cr_assert_eq(valid(iom_vtd_iotlb(vtd)), 4);
	cr_assert_eq(valid(iom_vtd_psc(vtd, 1)), 2); /* PML4E of each domain */
	cr_assert_eq(valid(iom_vtd_psc(vtd, 3)), 4); /* PDE 0x91, 0x92 of each */
}

static void sm_fini(void)
{
	iom_pt_destroy(slp);
	iom_pt_destroy(flp);
}

/* Does a translation of (pasid, va) still hit the IOTLB? */
static bool hits(uint32_t pasid, uint64_t va)
{
	return vt_tx(RID, va, 0, 0, TX_PASID | pasid, 0).tlb_hit;
}

Test(vtd_qi, context_cache_global_and_device_with_function_mask)
{
	sm_fixture();
	put(dsc(VTD_DSC_CC, VTD_CC_G_DEVICE, 0) | 0x0109ull << 32, 0); /* FM 0: another function */
	ring(0);
	cr_expect_eq(valid(iom_vtd_context_cache(vtd)), 1);
	put(dsc(VTD_DSC_CC, VTD_CC_G_DEVICE, 0) | 0x010full << 32 | 3ull << 48,
	    0); /* FM 11: SID[2:0] */
	ring(0);
	cr_expect_eq(valid(iom_vtd_context_cache(vtd)), 0);
	cr_expect_eq(valid(iom_vtd_pasid_cache(vtd)), 2); /* untouched */
	cr_expect_eq(valid(iom_vtd_iotlb(vtd)), 4);
	vt_tx(RID, A, 0, 0, TX_PASID | 1, 0);
	put(dsc(VTD_DSC_CC, VTD_CC_G_GLOBAL, 0), 0);
	ring(0);
	cr_expect_eq(valid(iom_vtd_context_cache(vtd)), 0);
	cr_expect_eq(iom_vtd_stats(vtd)->cc_dropped, 2);
	sm_fini();
}

Test(vtd_qi, legacy_domain_selective_context_invalidation_matches_the_did)
{
	vt_create();
	vt_legacy_ctx(1 | VTD_TT_PT << 2, (5u << 8) | 2);
	vt_enable(VTD_TTM_LEGACY);
	qi_enable(false);
	vt_tx(RID, 0x1000, 0, 0, 0, 0);
	put(dsc(VTD_DSC_CC, VTD_CC_G_DOMAIN, 6), 0);
	ring(0);
	cr_expect_eq(valid(iom_vtd_context_cache(vtd)), 1);
	put(dsc(VTD_DSC_CC, VTD_CC_G_DOMAIN, 5), 0);
	ring(0);
	cr_expect_eq(valid(iom_vtd_context_cache(vtd)), 0);
}

Test(vtd_qi, iotlb_global_empties_the_iotlb_and_every_paging_structure_cache)
{
	sm_fixture();
	put(dsc(VTD_DSC_IOTLB, VTD_IOTLB_G_GLOBAL, 0), 0);
	ring(0);
	cr_expect_eq(valid(iom_vtd_iotlb(vtd)), 0);
	for (unsigned l = 0; l < 4; l++)
		cr_expect_eq(valid(iom_vtd_psc(vtd, l)), 0);
	cr_expect_eq(valid(iom_vtd_context_cache(vtd)), 1);
	cr_expect_eq(valid(iom_vtd_pasid_cache(vtd)), 2);
	sm_fini();
}

Test(vtd_qi, domain_selective_iotlb_drops_only_the_second_level_entries_of_the_did)
{
	sm_fixture();
	put(dsc(VTD_DSC_IOTLB, VTD_IOTLB_G_DOMAIN, SLD), 0);
	ring(0);
	cr_expect_eq(valid(iom_vtd_iotlb(vtd)), 2); /* the first-level A and B of DID 8 */
	cr_expect_eq(valid(iom_vtd_psc(vtd, 3)), 2);
	cr_expect_eq(iom_vtd_stats(vtd)->iotlb_dropped, 2);
	cr_expect_eq(iom_vtd_stats(vtd)->psc_dropped, 4); /* PML4E, PDPTE, PDE 0x91, 0x92 */
	cr_expect(hits(2, A));
	cr_expect_not(hits(1, A));
	sm_fini();
}

Test(vtd_qi, page_selective_iotlb_drops_the_masked_range_and_ih_keeps_the_walk_caches)
{
	sm_fixture();
	/* AM 0 at A, IH = 1: the 4 KB entry of A only */
	put(dsc(VTD_DSC_IOTLB, VTD_IOTLB_G_PAGE, SLD), A | 1ull << 6);
	ring(0);
	cr_expect_eq(valid(iom_vtd_iotlb(vtd)), 3);
	cr_expect_eq(iom_vtd_stats(vtd)->psc_dropped, 0);
	cr_expect(hits(1, B));
	/* AM 11 at 0x1234_5000: 8 MB, aligned down to [0x1200_0000, 0x1280_0000),
	 * which holds A and B: B's entry goes too, and with IH = 0 the second-level
	 * PDEs 0x91 and 0x92 and the PML4E 0 and PDPTE 0 above them */
	put(dsc(VTD_DSC_IOTLB, VTD_IOTLB_G_PAGE, SLD), A | 11);
	ring(0);
	cr_expect_not(hits(1, B));
	cr_expect(hits(2, B)); /* first level untouched */
	cr_expect_eq(iom_vtd_stats(vtd)->iotlb_dropped, 2);
	cr_expect_eq(iom_vtd_stats(vtd)->psc_dropped, 4);
	sm_fini();
}

Test(vtd_qi, pasid_based_iotlb_drops_first_level_entries_of_that_pasid)
{
	sm_fixture();
	put(dsc(VTD_DSC_PIOTLB, VTD_PIOTLB_G_PAGE, FLD) | 2ull << 32, A); /* AM 0, IH 0 */
	ring(0);
	cr_expect_eq(iom_vtd_stats(vtd)->iotlb_dropped, 1);
	cr_expect_not(hits(2, A));
	cr_expect(hits(2, B));
	cr_expect(hits(1, A));
	put(dsc(VTD_DSC_PIOTLB, VTD_PIOTLB_G_PASID, FLD) | 3ull << 32, 0); /* another PASID */
	ring(0);
	cr_expect(hits(2, B));
	put(dsc(VTD_DSC_PIOTLB, VTD_PIOTLB_G_PASID, FLD) | 2ull << 32, 0);
	ring(0);
	cr_expect_not(hits(2, B));
	cr_expect(hits(1, B));
	sm_fini();
}

Test(vtd_qi, pasid_cache_domain_pasid_and_global_granularities)
{
	sm_fixture();
	put(dsc(VTD_DSC_PC, VTD_PC_G_PASID, SLD) | 2ull << 32, 0); /* (DID 7, PASID 2): none */
	ring(0);
	cr_expect_eq(valid(iom_vtd_pasid_cache(vtd)), 2);
	put(dsc(VTD_DSC_PC, VTD_PC_G_PASID, FLD) | 2ull << 32, 0);
	ring(0);
	cr_expect_eq(valid(iom_vtd_pasid_cache(vtd)), 1);
	put(dsc(VTD_DSC_PC, VTD_PC_G_DOMAIN, SLD), 0);
	ring(0);
	cr_expect_eq(valid(iom_vtd_pasid_cache(vtd)), 0);
	vt_tx(RID, A, 0, 0, TX_PASID | 1, 0);
	put(dsc(VTD_DSC_PC, VTD_PC_G_GLOBAL, 0), 0);
	ring(0);
	cr_expect_eq(valid(iom_vtd_pasid_cache(vtd)), 0);
	cr_expect_eq(valid(iom_vtd_iotlb(vtd)), 4); /* translations are not PASID-cache entries */
	cr_expect_eq(iom_vtd_stats(vtd)->pc_dropped, 3);
	sm_fini();
}

Test(vtd_qi, interrupt_entry_cache_descriptors_are_accepted_and_change_nothing)
{
	sm_fixture();
	put(VTD_DSC_IEC, 0);
	ring(0);
	cr_expect_eq(iom_vtd_stats(vtd)->iec_ignored, 1);
	cr_expect_eq(valid(iom_vtd_iotlb(vtd)), 4);
	cr_expect_eq(iom_vtd_read_fsts(vtd) & VTD_FSTS_IQE, 0);
	sm_fini();
}

/* ---- wait, costs, device-TLB ---- */

static void legacy_qi(void)
{
	vt_create();
	vt_legacy_ctx(1 | VTD_TT_PT << 2, (5u << 8) | 2);
	vt_enable(VTD_TTM_LEGACY);
	qi_enable(false);
}

static uint64_t wait_dsc(bool fn, bool iflag)
{
	/* SW [5], FN [6], IF [4], status data 0x5a5a in [63:32] */
	return VTD_DSC_WAIT | 1u << 5 | (fn ? 1u << 6 : 0) | (iflag ? 1u << 4 : 0) |
	       0x5a5aull << 32;
}

Test(vtd_qi, each_descriptor_costs_a_fetch_and_its_cycles)
{
	legacy_qi();
	put(dsc(VTD_DSC_IOTLB, VTD_IOTLB_G_DOMAIN, 5), 0);
	put(wait_dsc(true, true), STATUS);
	/* from 1 us: fetch 100 ns + 4 cycles; fetch 100 ns + 10 cycles; status write 100 ns */
	uint64_t done = ring(1000000);
	cr_expect_eq(iom_vtd_last_wait_ps(vtd), 1314000);
	cr_expect_eq(done, 1314000);
	cr_expect_eq(iom_mem_rd32(mem, STATUS), 0x5a5a);
	cr_expect_eq(iom_vtd_read_ics(vtd), VTD_ICS_IWC);
	cr_expect_eq(iom_vtd_read_iqh(vtd), 32);
	/* the engine is serial: a doorbell before the previous batch ended waits */
	put(dsc(VTD_DSC_IOTLB, VTD_IOTLB_G_DOMAIN, 5), 0);
	done = ring(1000000);
	cr_expect_eq(done, 1314000 + 104000);
}

static uint32_t dev_sid;
static uint64_t dev_addr;
static bool dev_s;
static int dev_ops(void *ctx, uint32_t sid, bool pv, uint32_t pasid, bool global, uint64_t addr,
                   bool s, uint64_t now, uint64_t *done, struct iom_err *e)
{
	(void)ctx, (void)pv, (void)pasid, (void)global, (void)e;
	dev_sid = sid;
	dev_addr = addr;
	dev_s = s;
	*done = now + 5000000; /* 5 us round trip */
	return 0;
}

Test(vtd_qi, wait_completes_after_earlier_device_tlb_invalidations)
{
	legacy_qi();
	struct iom_vtd_devtlb_ops ops = {.invalidate = dev_ops};
	iom_vtd_set_devtlb_ops(vtd, &ops);
	/* device-TLB: SID 0x0108, S = 1, address 0x400ff000 (2 MB at 0x4000_0000) */
	put(VTD_DSC_DEVTLB | (uint64_t)RID << 32, 0x400ff000ull | 1);
	put(wait_dsc(true, false), STATUS);
	ring(1000000);
	cr_expect_eq(dev_sid, RID);
	cr_expect_eq(dev_addr, 0x400ff000ull);
	cr_expect(dev_s);
	/* the invalidation left at 1.104 us, its completion came 5 us later;
	 * the wait's status write follows: 6.104 + 0.1 us */
	cr_expect_eq(iom_vtd_last_wait_ps(vtd), 6204000);
	cr_expect_eq(iom_vtd_stats(vtd)->devtlb_invalidations, 1);
}

Test(vtd_qi, without_fence_later_descriptors_do_not_wait_for_the_wait)
{
	legacy_qi();
	struct iom_vtd_devtlb_ops ops = {.invalidate = dev_ops};
	iom_vtd_set_devtlb_ops(vtd, &ops);
	put(VTD_DSC_DEVTLB | (uint64_t)RID << 32, 0);
	put(wait_dsc(false, false), STATUS);
	put(dsc(VTD_DSC_IOTLB, VTD_IOTLB_G_DOMAIN, 5), 0);
	uint64_t done = ring(1000000);
	cr_expect_eq(iom_vtd_last_wait_ps(vtd), 6204000);
	cr_expect_eq(done, 1318000); /* 1.104, 1.214, then 0.104 more */
	/* with FN = 1 the IOTLB descriptor starts after the wait completed */
	put(VTD_DSC_DEVTLB | (uint64_t)RID << 32, 0);
	put(wait_dsc(true, false), STATUS);
	put(dsc(VTD_DSC_IOTLB, VTD_IOTLB_G_DOMAIN, 5), 0);
	done = ring(10000000);
	cr_expect_eq(iom_vtd_last_wait_ps(vtd), 15204000);
	cr_expect_eq(done, 15308000);
}

Test(vtd_qi, device_tlb_without_an_ats_model_completes_after_devtlb_cycles)
{
	legacy_qi();
	put(VTD_DSC_DEVTLB | (uint64_t)RID << 32, 0);
	put(wait_dsc(true, false), STATUS);
	ring(0);
	/* 0.104 us + 1000 cycles = 1.104 us, status write +0.1 */
	cr_expect_eq(iom_vtd_last_wait_ps(vtd), 1204000);
}

/* ---- errors ---- */

static void expect_iqe(uint32_t iqei, uint64_t iqh)
{
	cr_expect(iom_vtd_read_fsts(vtd) & VTD_FSTS_IQE);
	cr_expect_eq(iom_vtd_read_iqercd(vtd) & 0xf, iqei);
	cr_expect_eq(iom_vtd_read_iqh(vtd), iqh);
}

Test(vtd_qi, invalid_descriptors_stop_the_queue_until_iqe_is_cleared)
{
	legacy_qi();
	put(dsc(VTD_DSC_IOTLB, VTD_IOTLB_G_DOMAIN, 5), 0);
	put(9, 0); /* type 9 (page-group response) is not an invalidation here */
	put(dsc(VTD_DSC_IOTLB, VTD_IOTLB_G_DOMAIN, 5), 0);
	ring(0);
	expect_iqe(VTD_IQEI_TYPE, 16);
	cr_expect_eq(iom_vtd_stats(vtd)->descriptors, 1);
	put(dsc(VTD_DSC_IOTLB, VTD_IOTLB_G_DOMAIN, 5), 0);
	ring(0); /* stopped */
	cr_expect_eq(iom_vtd_stats(vtd)->descriptors, 1);
	/* software fixes the descriptor, clears IQE */
	uint64_t fixed[2] = {dsc(VTD_DSC_IEC, 0, 0), 0};
	iom_mem_write(mem, IQ + 16, fixed, sizeof(fixed), NULL);
	iom_vtd_write_fsts(vtd, VTD_FSTS_IQE);
	ring(0);
	cr_expect_eq(iom_vtd_stats(vtd)->descriptors, 4);
	cr_expect_eq(iom_vtd_read_iqh(vtd), tail);
}

Test(vtd_qi, pasid_descriptors_need_the_256_bit_queue)
{
	legacy_qi();
	put(dsc(VTD_DSC_PIOTLB, VTD_PIOTLB_G_PASID, 5), 0);
	ring(0);
	expect_iqe(VTD_IQEI_TYPE, 0);
}

Test(vtd_qi, reserved_granularity_and_mask_above_mamv_are_errors)
{
	legacy_qi();
	put(dsc(VTD_DSC_IOTLB, 0, 5), 0); /* G = 00 is reserved */
	ring(0);
	expect_iqe(VTD_IQEI_RSVD, 0);
	iom_vtd_write_fsts(vtd, VTD_FSTS_IQE);
	uint64_t d[2] = {dsc(VTD_DSC_IOTLB, VTD_IOTLB_G_PAGE, 5), 19}; /* AM 19 > MAMV 18 */
	iom_mem_write(mem, IQ, d, sizeof(d), NULL);
	ring(0);
	expect_iqe(VTD_IQEI_RSVD, 0);
}

Test(vtd_qi, reserved_upper_qwords_of_a_256_bit_descriptor_are_errors)
{
	sm_fixture();
	uint64_t d[4] = {dsc(VTD_DSC_IOTLB, VTD_IOTLB_G_DOMAIN, SLD), 0, 1, 0};
	iom_mem_write(mem, IQ, d, sizeof(d), NULL);
	tail = 32;
	ring(0);
	expect_iqe(VTD_IQEI_RSVD, 0);
	cr_expect_eq(valid(iom_vtd_iotlb(vtd)), 4);
	sm_fini();
}

Test(vtd_qi, tail_beyond_the_queue_or_misaligned_is_an_error)
{
	sm_fixture();
	uint64_t done;
	cr_expect_eq(iom_vtd_write_iqt(vtd, 16, 0, &done, &err), 0); /* 256-bit: 32-aligned */
	expect_iqe(VTD_IQEI_ALIGN, 0);
	sm_fini();
}
