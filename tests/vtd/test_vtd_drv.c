/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_vtd_drv.c - the driver side (models/vtd/vtd_drv.c): what Linux's
 * intel-iommu writes and which invalidations it issues, checked in the
 * simulated memory and the model's counters.
 *
 * Boot: the driver allocates, from the fixture's allocator at 0x8000_0000,
 * the root table (0x8000_0000), the invalidation queue (legacy: one page at
 * 0x8000_1000) and the status page, and issues context-cache global +
 * IOTLB global (+ PASID-cache global in scalable mode) + wait: 3 (4)
 * descriptors before any test step.
 */
#include "vtd-test.h"
#include "vtd_drv.h"

TestSuite(vtd_drv, .init = vt_init, .fini = vt_fini);

static struct iom_vtd_drv *drv;
static struct iom_vtd_drv_cfg dcfg;

static void make_drv(void)
{
	vt_create();
	drv = iom_vtd_drv_create(vtd, mem, pal, &dcfg, &err);
	cr_assert_not_null(drv, "%s", err.msg);
}

static void drv_done(void)
{
	iom_vtd_drv_destroy(drv);
}

static const struct iom_vtd_stats *st(void)
{
	return iom_vtd_stats(vtd);
}

Test(vtd_drv, psi_range_is_the_smallest_aligned_block_covering_the_pages)
{
	unsigned am;
	/* reference A.3: 16 pages at 0x10_0000 -> AM 4 at 0x10_0000 */
	cr_expect_eq(iom_vtd_psi_range(0x100000, 16 * 4096, &am), 0x100000);
	cr_expect_eq(am, 4);
	/* 3 pages at 0x10_1000 -> AM 2 at 0x10_0000 (pages 0x100..0x103) */
	cr_expect_eq(iom_vtd_psi_range(0x101000, 3 * 4096, &am), 0x100000);
	cr_expect_eq(am, 2);
	/* pages 0x1ff and 0x200: the lowest bit where they agree upwards is 10 */
	cr_expect_eq(iom_vtd_psi_range(0x1ff000, 2 * 4096, &am), 0);
	cr_expect_eq(am, 10);
	cr_expect_eq(iom_vtd_psi_range(0x5000, 4096, &am), 0x5000);
	cr_expect_eq(am, 0);
}

Test(vtd_drv, domain_format_follows_the_capabilities)
{
	iom_vtd_drv_cfg_default(&dcfg);
	make_drv();
	struct iom_pt_cfg pc;
	uint64_t sizes;
	iom_vtd_drv_domain_format(drv, &pc, &sizes);
	cr_expect_eq(pc.fmt, IOM_PT_VTD_SL); /* legacy: second level */
	cr_expect_eq(pc.ia_bits, 48);        /* SAGAW 4-level */
	cr_expect_eq(sizes, 0x1000 | 0x200000 | 0x40000000ull);
	cr_expect_not(iom_vtd_drv_scalable(drv));
	drv_done();
	iom_vtd_destroy(vtd);
	dcfg.superpages = false; /* intel_iommu=sp_off */
	make_drv();
	iom_vtd_drv_domain_format(drv, &pc, &sizes);
	cr_expect_eq(sizes, 0x1000);
	drv_done();
	iom_vtd_destroy(vtd);
	dcfg.superpages = true;
	vt_scalable_caps();
	make_drv();
	iom_vtd_drv_domain_format(drv, &pc, &sizes);
	cr_expect(iom_vtd_drv_scalable(drv));
	cr_expect_eq(pc.fmt, IOM_PT_X86_FL); /* first_level_by_default */
	cr_expect_eq(pc.ia_bits, 48);
	cr_expect_eq(sizes, 0x1000 | 0x200000); /* no FL1GP */
	drv_done();
}

Test(vtd_drv, boot_programs_the_unit_and_flushes_globally)
{
	iom_vtd_drv_cfg_default(&dcfg);
	make_drv();
	cr_expect_eq(iom_vtd_read_gsts(vtd), VTD_GSTS_TES | VTD_GSTS_RTPS | VTD_GSTS_QIES);
	cr_expect_eq(st()->dsc_by_type[VTD_DSC_CC], 1);
	cr_expect_eq(st()->dsc_by_type[VTD_DSC_IOTLB], 1);
	cr_expect_eq(st()->waits, 1);
	cr_expect_eq(iom_vtd_drv_root_table(drv), PB);
	drv_done();
}

static struct iom_vtd_drv_dom sl_dom(uint32_t did, uint64_t root)
{
	return (struct iom_vtd_drv_dom){
	    .type = IOM_VTD_DOM_PAGING, .did = did, .root = root, .levels = 4};
}

Test(vtd_drv, legacy_attach_writes_the_context_entry_and_reattach_flushes)
{
	iom_vtd_drv_cfg_default(&dcfg);
	make_drv();
	uint64_t done = 0, base = st()->descriptors;
	struct iom_vtd_drv_dom d = sl_dom(5, 0x123456000ull);
	cr_assert_eq(iom_vtd_drv_attach(drv, RID, -1, &d, 0, &done, &err), 0, "%s", err.msg);
	/* root entry of bus 1 -> a new context table; entry devfn 8 */
	uint64_t re = iom_mem_rd64(mem, PB + 16);
	cr_assert_eq(re & 1, 1);
	uint64_t ctx = re & ~0xfffull;
	cr_expect_eq(iom_mem_rd64(mem, ctx + 8 * 16), 0x123456000ull | 1); /* TT 00, P */
	cr_expect_eq(iom_mem_rd64(mem, ctx + 8 * 16 + 8), 5u << 8 | 2);    /* DID 5, AW 48-bit */
	cr_expect_eq(st()->descriptors, base); /* not present before: nothing to flush */
	cr_assert_eq(vt_tx(RID, 0x1000, 0, 0, 0, 1000000).fault, VTD_FR_READ); /* empty table */
	d = sl_dom(6, 0x654321000ull);
	cr_assert_eq(iom_vtd_drv_attach(drv, RID, -1, &d, 2000000, &done, &err), 0, "%s", err.msg);
	/* clear + context-cache device-selective + IOTLB domain-selective (DID 5) + wait */
	cr_expect_eq(st()->descriptors, base + 3);
	cr_expect_eq(st()->cc_dropped, 1);
	cr_expect_eq(iom_mem_rd64(mem, ctx + 8 * 16 + 8), 6u << 8 | 2);
	cr_expect_gt(done, 2000000);
	cr_assert_eq(iom_vtd_drv_detach(drv, RID, -1, 3000000, &done, &err), 0, "%s", err.msg);
	cr_expect_eq(iom_mem_rd64(mem, ctx + 8 * 16), 0);
	cr_expect_eq(vt_tx(RID, 0x1000, 0, 0, 0, 4000000).fault, VTD_FR_CTX_NP);
	drv_done();
}

/* The IOTLB descriptor the driver wrote last (legacy: 16-byte slots, the
 * wait after it). */
static void last_iotlb(uint64_t *qw0, uint64_t *qw1)
{
	uint64_t iq = PB + 0x1000, off = (iom_vtd_read_iqh(vtd) + 4096 - 32) % 4096;
	*qw0 = iom_mem_rd64(mem, iq + off);
	*qw1 = iom_mem_rd64(mem, iq + off + 8);
}

Test(vtd_drv, unmap_invalidation_is_psi_up_to_mamv_and_dsi_above)
{
	iom_vtd_drv_cfg_default(&dcfg);
	make_drv();
	uint64_t done, q0, q1;
	struct iom_vtd_drv_dom d = sl_dom(5, 0x123456000ull);
	cr_assert_eq(iom_vtd_drv_attach(drv, RID, -1, &d, 0, &done, &err), 0, "%s", err.msg);
	cr_assert_eq(iom_vtd_drv_flush_range(drv, 5, 0x7000, 0x1000, true, 0, &done, &err), 0);
	last_iotlb(&q0, &q1);
	/* type 2, G = 11 (page), DW | DR, DID 5; AM 0, IH 1, address 0x7000 */
	cr_expect_eq(q0, 2 | 3u << 4 | 3u << 6 | 5u << 16);
	cr_expect_eq(q1, 0x7000 | 1u << 6);
	cr_assert_eq(iom_vtd_drv_flush_range(drv, 5, 0, 1ull << 30, false, 0, &done, &err), 0);
	last_iotlb(&q0, &q1);
	cr_expect_eq(q1, 18); /* 2^18 pages = MAMV: still page-selective */
	cr_assert_eq(iom_vtd_drv_flush_range(drv, 5, 0, 1ull << 31, false, 0, &done, &err), 0);
	last_iotlb(&q0, &q1);
	cr_expect_eq(q0, 2 | 2u << 4 | 3u << 6 | 5u << 16); /* AM 19 > MAMV: domain-selective */
	cr_expect_eq(q1, 0);
	const struct iom_vtd_drv_stats *ds = iom_vtd_drv_stats(drv);
	cr_expect_eq(ds->psi, 2);
	cr_expect_eq(ds->dsi, 1);
	uint64_t before = st()->descriptors;
	cr_assert_eq(iom_vtd_drv_flush_range(drv, 9, 0x7000, 0x1000, true, 0, &done, &err), 0);
	cr_expect_eq(st()->descriptors, before); /* DID 9 is attached nowhere: nothing cached */
	drv_done();
}

Test(vtd_drv, psi_threshold_knob_moves_the_switch_to_dsi)
{
	iom_vtd_drv_cfg_default(&dcfg);
	dcfg.psi_max_am = 2;
	make_drv();
	uint64_t done;
	struct iom_vtd_drv_dom d = sl_dom(5, 0x123456000ull);
	cr_assert_eq(iom_vtd_drv_attach(drv, RID, -1, &d, 0, &done, &err), 0, "%s", err.msg);
	cr_assert_eq(iom_vtd_drv_flush_range(drv, 5, 0, 4 * 4096, true, 0, &done, &err), 0);
	cr_assert_eq(iom_vtd_drv_flush_range(drv, 5, 0, 8 * 4096, true, 0, &done, &err), 0);
	cr_expect_eq(iom_vtd_drv_stats(drv)->psi, 1);
	cr_expect_eq(iom_vtd_drv_stats(drv)->dsi, 1);
	drv_done();
}

Test(vtd_drv, scalable_attach_writes_context_directory_and_pasid_entries)
{
	iom_vtd_drv_cfg_default(&dcfg);
	vt_scalable_caps();
	make_drv();
	uint64_t done;
	struct iom_vtd_drv_dom d = {.type = IOM_VTD_DOM_PAGING,
	                            .did = 5,
	                            .first_level = true,
	                            .root = 0x123456000ull,
	                            .levels = 4};
	cr_assert_eq(iom_vtd_drv_attach(drv, RID, 3, &d, 0, &done, &err), 0, "%s", err.msg);
	uint64_t re = iom_mem_rd64(mem, PB + 16);
	uint64_t ce0 = iom_mem_rd64(mem, (re & ~0xfffull) + 8 * 32);
	uint64_t ce1 = iom_mem_rd64(mem, (re & ~0xfffull) + 8 * 32 + 8);
	/* P, PASIDE [3], PDTS [11:9] = 2 (512 directory entries = 2^(2+7)), RID_PASID 0 */
	cr_expect_eq(ce0 & 0xfff, 1 | 1u << 3 | 2u << 9);
	cr_expect_eq(ce1, 0);
	uint64_t pde = iom_mem_rd64(mem, ce0 & ~0xfffull);
	cr_expect_eq(pde & 1, 1);
	uint64_t pe = (pde & ~0xfffull) + 3 * 64;
	cr_expect_eq(iom_mem_rd64(mem, pe), 1 | VTD_PGTT_FL << 6);
	cr_expect_eq(iom_mem_rd64(mem, pe + 8), 5);
	cr_expect_eq(iom_mem_rd64(mem, pe + 16), 0x123456000ull); /* FLPM 0: 4-level */
	/* unmap of one page: a PASID-based IOTLB invalidation of PASID 3 */
	cr_assert_eq(iom_vtd_drv_flush_range(drv, 5, 0x7000, 0x1000, true, 0, &done, &err), 0);
	cr_expect_eq(iom_vtd_drv_stats(drv)->piotlb_page, 1);
	cr_expect_eq(st()->dsc_by_type[VTD_DSC_PIOTLB], 1);
	/* re-attach: tear-down = PASID-cache + PASID-wide PASID-IOTLB + wait */
	d.did = 6;
	uint64_t before = st()->descriptors;
	cr_assert_eq(iom_vtd_drv_attach(drv, RID, 3, &d, 0, &done, &err), 0, "%s", err.msg);
	cr_expect_eq(st()->descriptors, before + 3);
	cr_expect_eq(st()->dsc_by_type[VTD_DSC_PC], 2); /* boot global + this */
	drv_done();
}

Test(vtd_drv, a_full_queue_makes_the_driver_wait_for_the_hardware)
{
	iom_vtd_drv_cfg_default(&dcfg);
	make_drv();
	static uint64_t d[300][4];
	for (int i = 0; i < 300; i++)
		d[i][0] = VTD_DSC_IEC;
	uint64_t done = 0;
	cr_assert_eq(iom_vtd_drv_submit(drv, (const uint64_t(*)[4])d, 300, true, 0, &done, &err), 0,
	             "%s", err.msg);
	/* 256 slots, one always empty: 255 written, then the doorbell drains them */
	cr_expect_eq(iom_vtd_drv_stats(drv)->queue_full_waits, 1);
	cr_expect_eq(st()->iec_ignored, 300);
	cr_expect_eq(st()->descriptors, 3 + 301);
	cr_expect_eq(done, iom_vtd_last_wait_ps(vtd));
	drv_done();
}

Test(vtd_drv, the_fault_handler_keeps_the_registers_from_overflowing)
{
	iom_vtd_drv_cfg_default(&dcfg);
	make_drv();
	uint64_t done;
	struct iom_vtd_drv_dom d = sl_dom(5, 0x123456000ull);
	cr_assert_eq(iom_vtd_drv_attach(drv, RID, -1, &d, 0, &done, &err), 0, "%s", err.msg);
	for (int i = 0; i < 20; i++)
		vt_tx(RID, 0x1000ull * (uint64_t)i, 0, 0, 0, 0);
	cr_expect_eq(st()->faults, 20);
	cr_expect_eq(st()->faults_recorded, 20);
	cr_expect_eq(st()->faults_overflow, 0);
	cr_expect_eq(iom_vtd_drv_stats(drv)->faults_serviced, 20);
	cr_expect_eq(iom_vtd_read_fsts(vtd) & (VTD_FSTS_PPF | VTD_FSTS_PFO), 0);
	drv_done();
}

Test(vtd_drv, pasid_attach_in_legacy_mode_is_refused)
{
	iom_vtd_drv_cfg_default(&dcfg);
	make_drv();
	uint64_t done;
	struct iom_vtd_drv_dom d = sl_dom(5, 0x123456000ull);
	cr_expect_eq(iom_vtd_drv_attach(drv, RID, 1, &d, 0, &done, &err), -IOM_ENOTSUP);
	d.did = 1u << 16; /* beyond ND = 6 (16-bit DIDs) */
	cr_expect_eq(iom_vtd_drv_attach(drv, RID, -1, &d, 0, &done, &err), -IOM_ERANGE);
	drv_done();
}

Test(vtd_drv, nested_stage_puts_first_level_domains_over_a_1_to_1_second_level)
{
	iom_vtd_drv_cfg_default(&dcfg);
	dcfg.stage = IOM_VTD_STAGE_NESTED;
	vt_scalable_caps();
	make_drv();
	struct iom_pt_cfg pc;
	iom_vtd_drv_domain_format(drv, &pc, NULL);
	cr_assert_eq(pc.fmt, IOM_PT_X86_FL);
	struct iom_pt *fl = vt_pt(IOM_PT_X86_FL, 48);
	vt_map(fl, 0x5000, 0x100000000ull, 0x1000, 0x1000, IOM_PTE_R | IOM_PTE_W | IOM_PTE_USER);
	struct iom_vtd_drv_dom d = {.type = IOM_VTD_DOM_PAGING,
	                            .did = 5,
	                            .first_level = true,
	                            .root = iom_pt_root(fl),
	                            .levels = 4};
	uint64_t done;
	cr_assert_eq(iom_vtd_drv_attach(drv, RID, -1, &d, 0, &done, &err), 0, "%s", err.msg);
	struct iom_txn t = vt_tx(RID, 0x5008, 1, 0, 0, 1000000);
	cr_assert_eq(t.status, IOM_TXN_OK, "fault 0x%x", t.fault);
	cr_expect_eq(t.pa, 0x100000008ull); /* GPA = HPA */
	/* first-level root (GPA in the 1 GB page 2): PML4E + PDPTE (1 GB leaf) = 2;
	 * the other three table pointers hit that 1 GB IOTLB entry; the output GPA
	 * (1 GB page 4): PML4E cached, PDPTE read = 1; plus 4 first-level reads */
	cr_expect_eq(st()->nested_sl_reads, 3);
	cr_expect_eq(t.walk_reads, 7);
	iom_pt_destroy(fl);
	drv_done();
}
