/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_sva_smmu.c - processes bound to devices behind an SMMUv3: the SVA CD
 * over the process's AArch64 page table, PASIDs, ASIDs (own and the CPU's),
 * the mmu-notifier invalidation, references, exclusion with DMA domains,
 * process exit, lazy population.
 *
 * Derivations (sva-test.h fixture: linear stream table, 256-CD linear CD
 * tables, 48-bit VAs, 4 KB pages, RIL):
 *  - CD fields (SMMU spec 5.4; Linux arm_smmu_make_sva_cd): T0SZ = 64 - 48 =
 *    16, TG0 0 = 4 KB, EPD1 = 1, IPS 5 = 48 bits, AA64, R, A, ASET (word 0
 *    bit 47) = 1 for an ASID of the SMMU's own, 0 for the CPU's, TTB0 = the
 *    process's pgd.
 *  - a bind on a fresh device (STE abort): CD p V=0 -> V=1 hitless (2
 *    CFGI_CD + 2 SYNC), then the STE abort -> stage 1 hitless (2 CFGI_STE + 2
 *    SYNC), as a DMA-domain attach (test_host_smmu.c).
 *  - a 48-bit, 4 KB-granule walk reads 4 descriptors (levels 0-3).
 *  - punmap of one 4 KB page with RIL: one CMD_TLBI_NH_VA (range, TG 4 KB,
 *    Leaf = 0) + CMD_SYNC; without RIL, 512 pages or more
 *    (CMDQ_MAX_TLBI_OPS) become one CMD_TLBI_NH_ASID + CMD_SYNC, 511 pages
 *    511 CMD_TLBI_NH_VA + CMD_SYNC.
 *  - the last unbind: CD V=1 -> 0 (critical word 0, then the words only the
 *    old entry used: 2 CFGI_CD + 2 SYNC), then the SVA domain's ASID is
 *    flushed before it is freed (CMD_TLBI_NH_ASID + SYNC).
 *  - asid = cpu: the first process's CPU ASID is 1, which the first DMA
 *    domain holds too; that domain moves to ASID 2 (lowest free), its CD 0 is
 *    rewritten and ASID 1 is flushed (one CMD_TLBI_NH_ASID).
 */
#include "sva-test.h"

TestSuite(sva_smmu, .init = fx_init, .fini = fx_fini);

#define VA 0x400000ull
#define PA 0x90000000ull

Test(sva_smmu, bind_installs_a_cd_over_the_process_table)
{
	smmu_up();
	pmap(7, VA, PA, 16 * KB, RW);
	bind(DEV, 1, 7);
	struct iom_host_mm_info i = mm_info(7);
	cr_assert(i.exists);
	cr_assert_eq(i.pasid, 1);
	cr_assert_eq(i.tag, 1, "lowest free ASID");
	cr_assert_eq(i.cpu_asid, 1);
	cr_assert_eq(i.bonds, 1);
	uint64_t cd[8];
	read_cd(DEV, 1, cd);
	cr_assert_eq(smmu_cd_v(cd), 1);
	cr_assert_eq(smmu_cd_t0sz(cd), 16);
	cr_assert_eq(smmu_cd_tg0(cd), 0);
	cr_assert_eq(smmu_cd_epd0(cd), 0);
	cr_assert_eq(smmu_cd_epd1(cd), 1);
	cr_assert_eq(smmu_cd_ips(cd), 5);
	cr_assert_eq(smmu_cd_aa64(cd), 1);
	cr_assert_eq(smmu_cd_r(cd), 1);
	cr_assert_eq(smmu_cd_a(cd), 1);
	cr_assert_eq(smmu_cd_asid(cd), 1);
	cr_assert_eq((cd[0] >> 47) & 1, 1, "ASET: not shared with the CPU");
	cr_assert_eq(smmu_cd_ttb0(cd), i.pgd);
	cr_assert_eq(i.pgd, iom_pt_root(iom_host_mm_pt(F.host, 7)));
	read_cd(DEV, 0, cd);
	cr_assert_eq(smmu_cd_v(cd), 0, "no DMA domain: CD 0 stays invalid");
	uint64_t ste[8];
	iom_mem_read(F.mem, iom_smmu_drv_ste_pa(F.drv, DEV), ste, 64, NULL);
	cr_assert_eq(smmu_ste_config(ste), SMMU_STE_CFG_S1);
	cr_assert_eq(smmu_cmds(SMMU_CMD_CFGI_CD), 2);
	cr_assert_eq(smmu_cmds(SMMU_CMD_CFGI_STE), 2);
	cr_assert_eq(smmu_cmds(SMMU_CMD_SYNC), 4);
}

Test(sva_smmu, dma_with_the_pasid_walks_the_process_table)
{
	smmu_up();
	pmap(7, VA, PA, 16 * KB, RW);
	bind(DEV, 1, 7);
	struct iom_txn t = xlate(DEV, 1, VA + 0x1234, 1);
	cr_assert_eq(t.status, IOM_TXN_OK);
	cr_assert_eq(t.pa, PA + 0x1234);
	cr_assert_eq(t.walk_reads, 4);
	t = xlate(DEV, 1, VA + 16 * KB, 0);
	cr_assert_eq(t.status, IOM_TXN_FAULT);
	cr_assert_eq(t.fault, SMMU_EVT_F_TRANSLATION);
	/* the same VA under another PASID reaches no process */
	t = xlate(DEV, 2, VA, 0);
	cr_assert_neq(t.status, IOM_TXN_OK);
}

Test(sva_smmu, punmap_invalidates_the_page_with_one_leaf_0_range_tlbi)
{
	smmu_up();
	pmap(7, VA, PA, 16 * KB, RW);
	bind(DEV, 1, 7);
	cr_assert_eq(xlate(DEV, 1, VA + 0x1000, 0).status, IOM_TXN_OK);
	cr_assert(xlate(DEV, 1, VA + 0x1000, 0).tlb_hit);
	uint64_t va0 = smmu_cmds(SMMU_CMD_TLBI_NH_VA), sy0 = smmu_cmds(SMMU_CMD_SYNC);
	uint64_t rc0 = iom_smmu_drv_stats(F.drv)->range_cmds;
	cr_assert_gt(punmap(7, VA + 0x1000, 4 * KB), 0);
	cr_assert_eq(smmu_cmds(SMMU_CMD_TLBI_NH_VA) - va0, 1);
	cr_assert_eq(smmu_cmds(SMMU_CMD_SYNC) - sy0, 1);
	cr_assert_eq(iom_smmu_drv_stats(F.drv)->range_cmds - rc0, 1);
	struct iom_txn t = xlate(DEV, 1, VA + 0x1000, 0);
	cr_assert_eq(t.status, IOM_TXN_FAULT, "the TLB entry went with the PTE");
	cr_assert_eq(xlate(DEV, 1, VA, 0).status, IOM_TXN_OK);
	cr_assert_eq(mm_info(7).vmas, 2, "the VMA was split around the hole");
}

Test(sva_smmu, without_ril_512_pages_are_one_tlbi_by_asid)
{
	F.sc.range_inval = false;
	smmu_up();
	pmap(7, VA, PA, 4 * MB, RW);
	bind(DEV, 1, 7);
	uint64_t as0 = smmu_cmds(SMMU_CMD_TLBI_NH_ASID), va0 = smmu_cmds(SMMU_CMD_TLBI_NH_VA);
	uint64_t sy0 = smmu_cmds(SMMU_CMD_SYNC);
	punmap(7, VA, 2 * MB); /* 512 pages */
	cr_assert_eq(smmu_cmds(SMMU_CMD_TLBI_NH_ASID) - as0, 1);
	cr_assert_eq(smmu_cmds(SMMU_CMD_TLBI_NH_VA) - va0, 0);
	cr_assert_eq(smmu_cmds(SMMU_CMD_SYNC) - sy0, 1);
	punmap(7, VA + 2 * MB, 2 * MB - 4 * KB); /* 511 pages */
	cr_assert_eq(smmu_cmds(SMMU_CMD_TLBI_NH_ASID) - as0, 1);
	cr_assert_eq(smmu_cmds(SMMU_CMD_TLBI_NH_VA) - va0, 511);
	cr_assert_eq(smmu_cmds(SMMU_CMD_SYNC) - sy0, 2);
}

Test(sva_smmu, cpu_asid_moves_the_dma_domain_holding_it)
{
	uint64_t done;
	F.hc.sva.asid = IOM_SVA_ASID_CPU;
	smmu_up();
	OK(iom_host_domain_create(F.host, 1, IOM_HOST_DOM_PAGING, &F.err));
	OK(iom_host_attach(F.host, DEV2, -1, 1, tick(), &done, &F.err));
	OK(iom_host_map(F.host, 1, 0x100000, 0x80000000, 4 * KB, RW, 0, tick(), &done, &F.err));
	cr_assert_eq(iom_host_domain(F.host, 1)->tag, 1);
	pmap(7, VA, PA, 16 * KB, RW);
	cr_assert_eq(mm_info(7).cpu_asid, 1);
	uint64_t as0 = smmu_cmds(SMMU_CMD_TLBI_NH_ASID);
	bind(DEV, 1, 7);
	cr_assert_eq(mm_info(7).tag, 1, "the SVA domain takes the CPU's ASID");
	cr_assert_eq(iom_host_domain(F.host, 1)->tag, 2, "the DMA domain moved");
	cr_assert_eq(smmu_cmds(SMMU_CMD_TLBI_NH_ASID) - as0, 1, "old ASID flushed");
	uint64_t cd[8];
	read_cd(DEV2, 0, cd);
	cr_assert_eq(smmu_cd_asid(cd), 2);
	read_cd(DEV, 1, cd);
	cr_assert_eq(smmu_cd_asid(cd), 1);
	cr_assert_eq((cd[0] >> 47) & 1, 0, "ASET = 0: the ASID is the CPU's");
	struct iom_txn t = xlate(DEV2, -1, 0x100040, 0);
	cr_assert_eq(t.status, IOM_TXN_OK);
	cr_assert_eq(t.pa, 0x80000040);
	cr_assert_eq(xlate(DEV, 1, VA + 0x40, 0).pa, PA + 0x40);
	/* a second process: CPU ASID 2 is now the DMA domain's: it moves again */
	pmap(8, VA, PA + 64 * KB, 16 * KB, RW);
	cr_assert_eq(mm_info(8).cpu_asid, 2);
	bind(DEV, 2, 8);
	cr_assert_eq(iom_host_domain(F.host, 1)->tag, 3);
}

Test(sva_smmu, one_pasid_per_process_and_one_process_per_pasid)
{
	smmu_up();
	pmap(7, VA, PA, 16 * KB, RW);
	pmap(8, VA, PA + 64 * KB, 16 * KB, RW);
	bind(DEV, 1, 7);
	cr_assert_eq(bind_r(DEV2, 2, 7), -IOM_EINVAL, "mm 7 has PASID 1");
	cr_assert_eq(bind_r(DEV2, 1, 8), -IOM_EBUSY, "PASID 1 is mm 7's");
	bind(DEV2, 1, 7);
	cr_assert_eq(mm_info(7).bonds, 2);
	cr_assert_eq(mm_info(7).tag, 1, "one SVA domain for both devices");
	uint64_t cd[8];
	read_cd(DEV2, 1, cd);
	cr_assert_eq(smmu_cd_ttb0(cd), mm_info(7).pgd);
	cr_assert_eq(bind_r(DEV, 0, 8), -IOM_EINVAL, "PASID 0 is IOMMU_NO_PASID");
	cr_assert_eq(bind_r(DEV, 256, 8), -IOM_ERANGE, "beyond the 8-bit CD table");
	cr_assert_eq(mm_info(8).pasid, -1);
}

Test(sva_smmu, a_second_bind_is_a_reference_and_the_last_unbind_clears)
{
	smmu_up();
	pmap(7, VA, PA, 16 * KB, RW);
	bind(DEV, 1, 7);
	uint64_t cfgi = smmu_cmds(SMMU_CMD_CFGI_CD), sy0 = smmu_cmds(SMMU_CMD_SYNC);
	uint64_t as0 = smmu_cmds(SMMU_CMD_TLBI_NH_ASID);
	bind(DEV, 1, 7);
	cr_assert_eq(smmu_cmds(SMMU_CMD_CFGI_CD), cfgi, "no hardware change");
	unbind(DEV, 1);
	uint64_t cd[8];
	read_cd(DEV, 1, cd);
	cr_assert_eq(smmu_cd_v(cd), 1, "one reference left");
	unbind(DEV, 1);
	read_cd(DEV, 1, cd);
	cr_assert_eq(smmu_cd_v(cd), 0);
	cr_assert_eq(smmu_cmds(SMMU_CMD_CFGI_CD) - cfgi, 2);
	cr_assert_eq(smmu_cmds(SMMU_CMD_TLBI_NH_ASID) - as0, 1);
	cr_assert_eq(smmu_cmds(SMMU_CMD_SYNC) - sy0, 3);
	cr_assert_eq(mm_info(7).tag, 0, "the SVA domain is gone");
	cr_assert_eq(mm_info(7).pasid, 1, "the PASID stays with the process");
	uint64_t done;
	cr_assert_eq(iom_host_unbind(F.host, DEV, 1, NULL, tick(), &done, &F.err), -IOM_ENOENT);
	cr_assert_neq(xlate(DEV, 1, VA, 0).status, IOM_TXN_OK);
}

Test(sva_smmu, dma_domains_and_processes_exclude_each_other_at_a_pasid)
{
	uint64_t done;
	smmu_up();
	pmap(7, VA, PA, 16 * KB, RW);
	bind(DEV, 1, 7);
	OK(iom_host_domain_create(F.host, 1, IOM_HOST_DOM_PAGING, &F.err));
	cr_assert_eq(iom_host_attach(F.host, DEV, 1, 1, tick(), &done, &F.err), -IOM_EBUSY);
	cr_assert_eq(iom_host_detach(F.host, DEV, 1, tick(), &done, &F.err), -IOM_EBUSY);
	OK(iom_host_attach(F.host, DEV2, 3, 1, tick(), &done, &F.err));
	pmap(8, VA, PA, 16 * KB, RW);
	cr_assert_eq(bind_r(DEV2, 3, 8), -IOM_EBUSY);
	cr_assert(!mm_info(8).bonds);
	/* the device's DMA domain keeps its CD table while the PASID is bound */
	OK(iom_host_attach(F.host, DEV, -1, 1, tick(), &done, &F.err));
	OK(iom_host_detach(F.host, DEV, -1, tick(), &done, &F.err));
	cr_assert_eq(xlate(DEV, 1, VA, 0).status, IOM_TXN_OK);
}

Test(sva_smmu, a_process_without_vmas_or_bindings_exits_and_frees_its_pasid)
{
	smmu_up();
	pmap(7, VA, PA, 16 * KB, RW);
	bind(DEV, 1, 7);
	unbind(DEV, 1);
	cr_assert(mm_info(7).exists, "its VMA keeps it alive");
	punmap(7, VA, 16 * KB);
	cr_assert(!mm_info(7).exists);
	pmap(8, VA, PA, 16 * KB, RW);
	cr_assert_eq(mm_info(8).cpu_asid, 1, "the CPU ASID was freed too");
	bind(DEV, 1, 8);
	cr_assert_eq(mm_info(8).pasid, 1);
	uint64_t done;
	cr_assert_eq(iom_host_punmap(F.host, 8, VA + MB, 4 * KB, tick(), &done, &F.err),
		     -IOM_ENOENT);
	cr_assert_eq(iom_host_pmap(F.host, 8, VA + 4 * KB, PA, 4 * KB, RW, tick(), &done, &F.err),
		     -IOM_EEXIST);
	cr_assert_eq(iom_host_pmap(F.host, 8, VA + 1, PA, 4 * KB, RW, tick(), &done, &F.err),
		     -IOM_EINVAL);
}

Test(sva_smmu, populate_fault_leaves_the_ptes_to_the_fault_handler)
{
	bool made;
	uint64_t pa, ps;
	F.hc.sva.populate = IOM_SVA_POP_FAULT;
	smmu_up();
	pmap(7, VA, PA, 16 * KB, RW);
	pmap(7, 0x600000, PA + MB, 4 * KB, 0);
	pmap(7, 0x700000, PA + 2 * MB, 4 * KB, IOM_PROT_R);
	struct iom_pt *pt = iom_host_mm_pt(F.host, 7);
	cr_assert_eq(iom_pt_lookup(pt, VA, &pa, &ps), -IOM_ENOENT);
	bind(DEV, 1, 7);
	struct iom_txn t = xlate(DEV, 1, VA + 0x1abc, 1);
	cr_assert_eq(t.status, IOM_TXN_FAULT);
	cr_assert_eq(t.fault, SMMU_EVT_F_TRANSLATION);
	OK(iom_host_mm_fault(F.host, 7, VA + 0x1abc, true, false, &made, &F.err));
	cr_assert(made);
	cr_assert_eq(iom_pt_lookup(pt, VA + 0x1000, &pa, &ps), 0);
	cr_assert_eq(pa, PA + 0x1000);
	cr_assert_eq(ps, 4 * KB);
	cr_assert_eq(iom_pt_lookup(pt, VA, &pa, &ps), -IOM_ENOENT, "only the faulting page");
	OK(iom_host_mm_fault(F.host, 7, VA + 0x1000, false, false, &made, &F.err));
	cr_assert(!made, "present already");
	t = xlate(DEV, 1, VA + 0x1abc, 1);
	cr_assert_eq(t.status, IOM_TXN_OK);
	cr_assert_eq(t.pa, PA + 0x1abc);
	cr_assert_eq(iom_host_mm_fault(F.host, 7, 0x500000, false, false, &made, &F.err),
		     -IOM_ENOENT);
	cr_assert_eq(iom_host_mm_fault(F.host, 7, 0x600000, false, false, &made, &F.err),
		     -IOM_EINVAL, "PROT_NONE");
	cr_assert_eq(iom_host_mm_fault(F.host, 7, 0x700000, true, false, &made, &F.err),
		     -IOM_EINVAL, "read-only VMA");
	OK(iom_host_mm_fault(F.host, 7, 0x700000, false, false, &made, &F.err));
	cr_assert(made);
}

Test(sva_smmu, thp_maps_aligned_parts_of_a_vma_with_2mb_pages)
{
	uint64_t pa, ps;
	F.hc.sva.thp = true;
	smmu_up();
	pmap(7, 0x200000, 0xc0200000, 4 * MB + 4 * KB, RW);
	struct iom_pt *pt = iom_host_mm_pt(F.host, 7);
	OK(iom_pt_lookup(pt, 0x200000, &pa, &ps));
	cr_assert_eq(ps, 2 * MB);
	OK(iom_pt_lookup(pt, 0x400000, &pa, &ps));
	cr_assert_eq(ps, 2 * MB);
	OK(iom_pt_lookup(pt, 0x600000, &pa, &ps));
	cr_assert_eq(ps, 4 * KB);
	cr_assert_eq(pa, 0xc0600000);
	bind(DEV, 1, 7);
	struct iom_txn t = xlate(DEV, 1, 0x3fffc0, 0);
	cr_assert_eq(t.pa, 0xc03fffc0);
	cr_assert_eq(t.walk_reads, 3, "a 2 MB leaf at level 2");
	uint64_t done;
	cr_assert_eq(iom_host_punmap(F.host, 7, 0x200000, 4 * KB, tick(), &done, &F.err),
		     -IOM_EINVAL, "splitting a huge page");
}
