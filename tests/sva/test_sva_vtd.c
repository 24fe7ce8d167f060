/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_sva_vtd.c - processes bound to devices behind a VT-d unit in
 * scalable mode: the first-level PASID-table entry over the process's x86-64
 * page table, 5-level processes, the mmu-notifier's PASID-based IOTLB
 * invalidation, and the refusal in legacy mode.
 *
 * Derivations (VT-d spec 9.4 scalable root/context entries, 9.5 PASID
 * directory, 9.6 PASID-table entry; Linux intel_pasid_setup_first_level):
 *  - RID 01:00.0: root entry 1 (lower context-table pointer qw0 [63:12]),
 *    context entry devfn 0 (32 bytes): PASID directory pointer qw0 [63:12];
 *    PASID p: directory entry p >> 6 (8 bytes, PASID-table pointer [63:12]),
 *    PASID-table entry (p & 63) * 64 bytes in.
 *  - the entry: P qw0 bit 0, PGTT qw0 [8:6] = 001 (first level), DID qw1
 *    [15:0] = the SVA domain's DID (lowest free: 1), SRE qw2 bit 0 = 0 (user
 *    requests), FLPM qw2 [3:2] = 0 (4-level) / 1 (5-level), FLPTPTR qw2
 *    [63:12] = the process's pgd.
 *  - a 48-bit process: PML4 .. PT, 4 reads per walk; 57-bit: PML5 too, 5.
 *  - punmap of one page: one page-selective PASID-IOTLB descriptor (AM 0)
 *    and a wait.
 */
#include "sva-test.h"

TestSuite(sva_vtd, .init = fx_init, .fini = fx_fini);

#define VA 0x400000ull
#define PA 0x90000000ull

/* The PASID-table entry of (rid, pasid), read through the tables. */
static void read_pasid_entry(uint32_t rid, uint32_t pasid, uint64_t pe[3])
{
	uint64_t root = iom_vtd_drv_root_table(F.vdrv);
	uint64_t ctp = iom_mem_rd64(F.mem, root + ((rid >> 8) & 0xff) * 16) & ~0xfffull;
	uint64_t dir = iom_mem_rd64(F.mem, ctp + (rid & 0x7f) * 32) & ~0xfffull;
	uint64_t pt = iom_mem_rd64(F.mem, dir + (pasid >> 6) * 8) & ~0xfffull;
	cr_assert_neq(pt, 0, "no PASID table for PASID %u", pasid);
	for (int i = 0; i < 3; i++)
		pe[i] = iom_mem_rd64(F.mem, pt + (pasid & 63) * 64 + i * 8);
}

Test(sva_vtd, bind_writes_a_first_level_pasid_entry_over_the_process_table)
{
	sva_vtd_scalable();
	vtd_up();
	pmap(7, VA, PA, 16 * KB, RW);
	bind(DEV, 5, 7);
	struct iom_host_mm_info i = mm_info(7);
	cr_assert_eq(i.tag, 1);
	cr_assert_eq(iom_pt_geom(iom_host_mm_pt(F.host, 7))->levels, 4);
	uint64_t pe[3];
	read_pasid_entry(DEV, 5, pe);
	cr_assert_eq(pe[0] & 1, 1, "P");
	cr_assert_eq((pe[0] >> 6) & 7, 1, "PGTT first level");
	cr_assert_eq(pe[1] & 0xffff, 1, "DID");
	cr_assert_eq(pe[2] & 1, 0, "SRE clear: user requests");
	cr_assert_eq((pe[2] >> 2) & 3, 0, "FLPM 4-level");
	cr_assert_eq(pe[2] & ~0xfffull, i.pgd);
	struct iom_txn t = xlate(DEV, 5, VA + 0x2468, 1);
	cr_assert_eq(t.status, IOM_TXN_OK);
	cr_assert_eq(t.pa, PA + 0x2468);
	cr_assert_eq(t.walk_reads, 4);
}

Test(sva_vtd, punmap_sends_one_page_selective_pasid_iotlb_invalidation)
{
	sva_vtd_scalable();
	vtd_up();
	pmap(7, VA, PA, 16 * KB, RW);
	bind(DEV, 5, 7);
	cr_assert(xlate(DEV, 5, VA, 0).status == IOM_TXN_OK);
	const struct iom_vtd_drv_stats *st = iom_vtd_drv_stats(F.vdrv);
	uint64_t pg0 = st->piotlb_page, w0 = st->waits, pw0 = st->piotlb_pasid;
	punmap(7, VA, 4 * KB);
	cr_assert_eq(st->piotlb_page - pg0, 1);
	cr_assert_eq(st->piotlb_pasid - pw0, 0);
	cr_assert_eq(st->waits - w0, 1);
	cr_assert_eq(xlate(DEV, 5, VA, 0).status, IOM_TXN_FAULT);
	cr_assert_eq(xlate(DEV, 5, VA + 4 * KB, 0).status, IOM_TXN_OK);
}

Test(sva_vtd, fifty_seven_bit_processes_need_five_level_first_level_paging)
{
	sva_vtd_scalable();
	F.hc.sva.va_bits = 57;
	vtd_up();
	pmap(7, VA, PA, 16 * KB, RW);
	cr_assert_eq(iom_pt_geom(iom_host_mm_pt(F.host, 7))->levels, 5);
	cr_assert_eq(bind_r(DEV, 5, 7), -IOM_EINVAL, "no CAP.FL5LP");
	cr_assert(strstr(F.err.msg, "fl5lp"), "%s", F.err.msg);
}

Test(sva_vtd, five_level_process_gets_flpm_1)
{
	sva_vtd_scalable();
	F.vc.fl5lp = true;
	F.hc.sva.va_bits = 57;
	vtd_up();
	pmap(7, VA, PA, 16 * KB, RW);
	bind(DEV, 5, 7);
	uint64_t pe[3];
	read_pasid_entry(DEV, 5, pe);
	cr_assert_eq((pe[2] >> 2) & 3, 1, "FLPM 5-level");
	struct iom_txn t = xlate(DEV, 5, VA, 0);
	cr_assert_eq(t.status, IOM_TXN_OK);
	cr_assert_eq(t.walk_reads, 5);
}

Test(sva_vtd, legacy_mode_refuses_sva)
{
	vtd_up(); /* the Broadwell unit: no scalable mode */
	pmap(7, VA, PA, 16 * KB, RW);
	cr_assert_eq(bind_r(DEV, 5, 7), -IOM_EINVAL);
	cr_assert(strstr(F.err.msg, "scalable mode"), "%s", F.err.msg);
	cr_assert_eq(mm_info(7).bonds, 0);
	cr_assert_eq(mm_info(7).tag, 0, "the DID was given back");
}

Test(sva_vtd, va_bits_the_format_cannot_walk_are_a_config_error)
{
	F.hc.sva.va_bits = 39; /* x86-64 has 48 or 57 */
	struct iom_vtd *v = iom_vtd_create(&F.vc, F.mem, "dmar0", &F.err);
	cr_assert_not_null(v);
	F.vdrv = iom_vtd_drv_create(v, F.mem, F.pa, &F.vdc, &F.err);
	cr_assert_not_null(F.vdrv);
	iom_vtd_drv_as_iommu(F.vdrv, &F.iommu);
	F.host = iom_host_create(&F.hc, F.mem, F.pa, &F.iommu, &iom_host_vtd_ops, F.vdrv, &F.err);
	cr_assert_null(F.host);
	cr_assert(strstr(F.err.msg, "host.sva.va_bits"), "%s", F.err.msg);
}
