/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_smmuv3.c - SMMUv3 stage-1 model + driver: configuration decode,
 * faults and their event records, TLB / walk cache, invalidation commands,
 * command-queue timing, event-queue overflow.
 *
 * Fixture timing (all expected times derive from these):
 *   memory: fixed DRAM latency D = 80 ns = 80000 ps, no LLC;
 *   SMMU: 1000 MHz -> P = 1000 ps; config cache 2P, TLB 1P, walk cache 1P;
 *   commands cost a 16-byte fetch (D) + cmd_cycles 4P, CMD_SYNC D + 10P.
 * Every operation starts at a fresh time 1 ms after the previous one so no
 * port or command-engine contention carries over.
 * Event words are computed from IHI0070 7.3: word 0 EventID[7:0], SSV 11,
 * SSID[31:12], SID[63:32]; word 1 PnU 33, InD 34, RnW 35, CLASS[41:40]
 * (2 = input address); word 2 the input address.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "mem.h"
#include "pgtable.h"
#include "smmuv3-regs.h"
#include "smmuv3.h"
#include "smmuv3_drv.h"

#define D 80000ull
#define P 1000ull
#define MS 1000000000ull

static struct {
	struct iom_mem *mem;
	struct iom_palloc *pa;
	struct iom_smmu *smmu;
	struct iom_smmu_drv *drv;
	struct iom_pt *pt;
	struct iom_err err;
	uint64_t now;
} F;

static uint64_t tick(void)
{
	F.now += MS;
	return F.now;
}

static void fx_init(void)
{
	struct iom_mem_cfg mc = { .addr_bits = 40, .dram_latency_ps = D, .llc_latency_ps = 0 };
	struct iom_smmu_cfg sc;
	struct iom_pt_cfg pc = { .fmt = IOM_PT_VMSA64_S1, .granule_shift = 12, .ia_bits = 48,
				 .oa_bits = 48 };
	struct iom_pt_alloc alloc;

	memset(&F, 0, sizeof(F));
	iom_log_enable(IOM_LOG_GUEST_ERROR, 0);
	iom_log_enable(IOM_LOG_UNIMP, 0);
	F.mem = iom_mem_create(&mc, &F.err);
	cr_assert_not_null(F.mem, "%s", F.err.msg);
	F.pa = iom_palloc_create(F.mem, 0x10000000, 0x4000000, &F.err);
	cr_assert_not_null(F.pa, "%s", F.err.msg);
	iom_smmu_cfg_default(&sc);
	F.smmu = iom_smmu_create(&sc, F.mem, "smmu0", &F.err);
	cr_assert_not_null(F.smmu, "%s", F.err.msg);
	F.drv = iom_smmu_drv_create(F.smmu, F.mem, F.pa, 8, 6, 3, &F.err);
	cr_assert_not_null(F.drv, "%s", F.err.msg);
	iom_palloc_as_pt_alloc(F.pa, &alloc);
	F.pt = iom_pt_create(F.mem, &pc, &alloc, &F.err);
	cr_assert_not_null(F.pt, "%s", F.err.msg);
	F.now = MS;
}

static void fx_fini(void)
{
	iom_pt_destroy(F.pt);
	iom_smmu_drv_destroy(F.drv);
	iom_smmu_destroy(F.smmu);
	iom_palloc_destroy(F.pa);
	iom_mem_destroy(F.mem);
}

TestSuite(smmuv3, .init = fx_init, .fini = fx_fini);

#define OK(x) cr_assert_eq((x), 0, "%s", F.err.msg)
#define URW (IOM_PTE_R | IOM_PTE_W | IOM_PTE_USER | IOM_PTE_NG)

/* Stage-1 STE (one CD) + CD 0 with `asid` over F.pt, 48-bit VA (T0SZ 16). */
static void s1_dev(uint32_t sid, uint16_t asid)
{
	uint64_t done;
	OK(iom_smmu_drv_ste_s1(F.drv, sid, 0, 0, tick(), &done, &F.err));
	OK(iom_smmu_drv_cd(F.drv, sid, 0, asid, iom_pt_root(F.pt), 16, tick(), &done, &F.err));
}

static void map(uint64_t iova, uint64_t pa, uint64_t size, uint64_t pgsize, uint32_t flags)
{
	OK(iom_pt_map(F.pt, iova, pa, size, pgsize, flags, &F.err));
}

static struct iom_txn txn(uint32_t sid, uint64_t iova, int write)
{
	struct iom_txn t = { .rid = sid, .iova = iova, .write = (uint8_t)write, .size = 64,
			     .issue_ps = tick() };
	OK(iom_smmu_translate(F.smmu, &t, &F.err));
	return t;
}

static struct iom_txn txn_ssid(uint32_t sid, uint32_t ssid, uint64_t iova)
{
	struct iom_txn t = { .rid = sid, .pasid = ssid, .flags = IOM_TXN_PASID_VALID, .iova = iova,
			     .size = 64, .issue_ps = tick() };
	OK(iom_smmu_translate(F.smmu, &t, &F.err));
	return t;
}

static void expect_event(uint64_t w0, uint64_t w1, uint64_t w2, uint64_t w3)
{
	uint64_t ev[4];
	cr_assert_eq(iom_smmu_drv_read_event(F.drv, ev), 1, "no event record");
	cr_expect_eq(ev[0], w0, "word0 0x%016llx != 0x%016llx", (unsigned long long)ev[0],
		     (unsigned long long)w0);
	cr_expect_eq(ev[1], w1, "word1 0x%016llx != 0x%016llx", (unsigned long long)ev[1],
		     (unsigned long long)w1);
	cr_expect_eq(ev[2], w2, "word2 0x%016llx", (unsigned long long)ev[2]);
	cr_expect_eq(ev[3], w3, "word3 0x%016llx", (unsigned long long)ev[3]);
}

static void expect_no_event(void)
{
	uint64_t ev[4];
	cr_assert_eq(iom_smmu_drv_read_event(F.drv, ev), 0, "unexpected event 0x%016llx",
		     (unsigned long long)ev[0]);
}

/* ---- configuration decode ---- */

Test(smmuv3, ste_bypass_passes_iova_and_fetches_ste_once)
{
	uint64_t done;
	OK(iom_smmu_drv_ste_bypass(F.drv, 1, tick(), &done, &F.err));
	struct iom_txn t = txn(1, 0x12345678, 0);
	cr_assert_eq(t.status, IOM_TXN_OK);
	cr_assert_eq(t.pa, 0x12345678);
	cr_assert_eq(t.cfg_reads, 1);
	/* config-cache miss (2P) then one 64-byte STE read (D) */
	cr_assert_eq(t.done_ps - t.issue_ps, 2 * P + D);
	t = txn(1, 0x9000, 1);
	cr_assert_eq(t.pa, 0x9000);
	cr_assert_eq(t.cfg_reads, 0);
	cr_assert_eq(t.done_ps - t.issue_ps, 2 * P); /* config-cache hit only */
}

Test(smmuv3, ste_abort_aborts_without_event)
{
	/* drv_create initialised every STE to V=1 Config=abort */
	struct iom_txn t = txn(2, 0x1000, 0);
	cr_assert_eq(t.status, IOM_TXN_ABORT);
	cr_assert_eq(t.fault, 0);
	expect_no_event();
	cr_assert_eq(iom_smmu_stats(F.smmu)->events_written, 0);
}

Test(smmuv3, sid_beyond_log2size_records_c_bad_streamid)
{
	/* LOG2SIZE = 8: SID 0x100 is out of range -> C_BAD_STREAMID (0x02) */
	struct iom_txn t = txn(0x100, 0x1000, 0);
	cr_assert_eq(t.status, IOM_TXN_ABORT);
	cr_assert_eq(t.fault, 0x02);
	cr_assert_eq(t.cfg_reads, 0);
	expect_event(0x02ull | (0x100ull << 32), 0, 0, 0);
}

Test(smmuv3, invalid_ste_records_c_bad_ste)
{
	/* STE 3 word 0 = 0: V = 0 */
	iom_mem_wr64(F.mem, iom_smmu_drv_strtab(F.drv) + 3 * 64, 0);
	struct iom_txn t = txn(3, 0x1000, 0);
	cr_assert_eq(t.status, IOM_TXN_ABORT);
	cr_assert_eq(t.fault, 0x04);
	expect_event(0x04ull | (3ull << 32), 0, 0, 0);
	/* invalid STEs are not cached: the next access fetches again */
	t = txn(3, 0x1000, 0);
	cr_assert_eq(t.cfg_reads, 1);
}

Test(smmuv3, ssv_with_s1cdmax_zero_records_c_bad_substreamid)
{
	s1_dev(4, 1);
	struct iom_txn t = txn_ssid(4, 5, 0x1000);
	cr_assert_eq(t.status, IOM_TXN_ABORT);
	cr_assert_eq(t.fault, 0x08);
	/* 0x08 | SSV (bit 11) | SSID 5 << 12 | SID 4 << 32 */
	expect_event(0x08ull | (1ull << 11) | (5ull << 12) | (4ull << 32), 0, 0, 0);
}

Test(smmuv3, s1cdmax_and_s1dss_select_or_reject_substreams)
{
	uint64_t done;
	map(0x1000, 0x80001000, 0x1000, 0x1000, URW);
	/* S1CDMax = 2 (4 CDs), S1DSS = 10: no-SSID traffic uses CD 0 */
	OK(iom_smmu_drv_ste_s1(F.drv, 9, 2, SMMU_S1DSS_SSID0, tick(), &done, &F.err));
	OK(iom_smmu_drv_cd(F.drv, 9, 0, 7, iom_pt_root(F.pt), 16, tick(), &done, &F.err));
	OK(iom_smmu_drv_cd(F.drv, 9, 3, 8, iom_pt_root(F.pt), 16, tick(), &done, &F.err));
	cr_assert_eq(txn(9, 0x1000, 0).pa, 0x80001000);           /* CD 0 */
	cr_assert_eq(txn_ssid(9, 3, 0x1000).pa, 0x80001000);       /* CD 3 */
	cr_assert_eq(txn_ssid(9, 0, 0x1000).fault, 0x06);          /* SSID 0 + S1DSS=10 */
	cr_assert_eq(txn_ssid(9, 4, 0x1000).fault, 0x08);          /* 4 >= 2^2 */
	/* S1DSS = 00: no-SSID traffic terminated with F_STREAM_DISABLED */
	OK(iom_smmu_drv_ste_s1(F.drv, 10, 2, SMMU_S1DSS_TERMINATE, tick(), &done, &F.err));
	struct iom_txn t = txn(10, 0x1000, 0);
	cr_assert_eq(t.status, IOM_TXN_ABORT);
	cr_assert_eq(t.fault, 0x06);
	/* S1DSS = 01: no-SSID traffic bypasses stage 1 */
	OK(iom_smmu_drv_ste_s1(F.drv, 11, 2, SMMU_S1DSS_BYPASS, tick(), &done, &F.err));
	t = txn(11, 0x5000, 0);
	cr_assert_eq(t.status, IOM_TXN_OK);
	cr_assert_eq(t.pa, 0x5000);
}

Test(smmuv3, cd_with_v0_records_c_bad_cd)
{
	uint64_t done;
	OK(iom_smmu_drv_ste_s1(F.drv, 12, 0, 0, tick(), &done, &F.err)); /* CD table zeroed */
	struct iom_txn t = txn(12, 0x1000, 0);
	cr_assert_eq(t.status, IOM_TXN_ABORT);
	cr_assert_eq(t.fault, 0x0A);
	expect_event(0x0Aull | (12ull << 32), 0, 0, 0);
}

/* ---- translation faults ---- */

Test(smmuv3, unmapped_iova_records_f_translation_bit_exact)
{
	map(0x1000, 0x80001000, 0x1000, 0x1000, URW);
	s1_dev(5, 1);
	struct iom_txn t = txn(5, 0x40000000, 0);
	cr_assert_eq(t.status, IOM_TXN_FAULT);
	cr_assert_eq(t.fault, 0x10);
	/* 0x40000000: L0 index 0 (a table, shared with 0x1000), L1 index 1
	 * invalid -> 2 descriptor reads */
	cr_assert_eq(t.walk_reads, 2);
	/* read: RnW (bit 35) = 1, CLASS = 2 (bits 41:40), PnU = InD = 0 */
	expect_event(0x10ull | (5ull << 32), (1ull << 35) | (2ull << 40), 0x40000000, 0);
}

Test(smmuv3, write_to_read_only_page_is_f_permission)
{
	map(0x2000, 0x80002000, 0x1000, 0x1000, IOM_PTE_R | IOM_PTE_USER | IOM_PTE_NG);
	s1_dev(5, 1);
	cr_assert_eq(txn(5, 0x2000, 0).status, IOM_TXN_OK);
	struct iom_txn t = txn(5, 0x2010, 1);
	cr_assert_eq(t.status, IOM_TXN_FAULT);
	cr_assert_eq(t.fault, 0x13);
	/* write: RnW = 0; CLASS = 2 */
	expect_event(0x13ull | (5ull << 32), 2ull << 40, 0x2010, 0);
}

Test(smmuv3, unprivileged_access_to_privileged_page_is_f_permission)
{
	map(0x3000, 0x80003000, 0x1000, 0x1000, IOM_PTE_R | IOM_PTE_W | IOM_PTE_NG); /* AP[1]=0 */
	s1_dev(5, 1);
	cr_assert_eq(txn(5, 0x3000, 0).fault, 0x13);
	struct iom_txn t = { .rid = 5, .iova = 0x3000, .flags = IOM_TXN_PRIV, .issue_ps = tick() };
	OK(iom_smmu_translate(F.smmu, &t, &F.err));
	cr_assert_eq(t.status, IOM_TXN_OK);
	cr_assert_eq(t.pa, 0x80003000);
}

Test(smmuv3, noaf_page_is_f_access_and_not_cached)
{
	map(0x4000, 0x80004000, 0x1000, 0x1000, URW | IOM_PTE_NOAF);
	s1_dev(5, 1);
	struct iom_txn t = txn(5, 0x4000, 0);
	cr_assert_eq(t.fault, 0x12);
	cr_assert_eq(t.walk_reads, 4);
	t = txn(5, 0x4000, 0);
	cr_assert_eq(t.tlb_hit, 0);
	cr_assert_eq(t.walk_reads, 1); /* TLB miss; the walk cache holds the L2 table pointer */
	cr_assert_eq(t.fault, 0x12);
}

Test(smmuv3, ttb1_address_with_epd1_is_f_translation)
{
	s1_dev(5, 1); /* the driver sets EPD1 like Linux */
	struct iom_txn t = txn(5, 1ull << 55, 0);
	cr_assert_eq(t.fault, 0x10);
	cr_assert_eq(t.walk_reads, 0);
}

/* ---- TLB, walk cache, latency ---- */

Test(smmuv3, tlb_hit_after_walk)
{
	map(0x5000, 0x80005000, 0x1000, 0x1000, URW);
	s1_dev(5, 1);
	struct iom_txn t = txn(5, 0x5008, 0);
	cr_assert_eq(t.pa, 0x80005008);
	cr_assert_eq(t.walk_reads, 4);
	cr_assert_eq(t.tlb_hit, 0);
	t = txn(5, 0x5ff0, 1);
	cr_assert_eq(t.pa, 0x80005ff0);
	cr_assert_eq(t.walk_reads, 0);
	cr_assert_eq(t.tlb_hit, 1);
	cr_assert_eq(iom_cache_stats(iom_smmu_tlb(F.smmu))->hits, 1);
	/* hit path: STE (2P) + CD (2P) config-cache hits + TLB (1P) */
	cr_assert_eq(t.done_ps - t.issue_ps, 5 * P);
}

Test(smmuv3, miss_latency_is_cache_latencies_plus_four_dram_reads)
{
	uint64_t done;
	map(0x6000, 0x80006000, 0x1000, 0x1000, URW);
	s1_dev(5, 1);
	struct iom_txn t = txn(5, 0x6000, 0);
	/* cold: STE 2P + D, CD 2P + D, TLB 1P, walk cache 1P, 4 reads = 6P + 6D */
	cr_assert_eq(t.cfg_reads, 2);
	cr_assert_eq(t.done_ps - t.issue_ps, 6 * P + 6 * D);
	OK(iom_smmu_drv_tlbi_asid(F.drv, 1, tick(), &done, &F.err)); /* TLB + walk cache */
	t = txn(5, 0x6000, 0);
	/* warm config: 2P + 2P + TLB 1P + walk cache 1P + 4D */
	cr_assert_eq(t.cfg_reads, 0);
	cr_assert_eq(t.walk_reads, 4);
	cr_assert_eq(t.done_ps - t.issue_ps, 6 * P + 4 * D);
	cr_assert_eq(iom_smmu_stats(F.smmu)->walk_latency_ps.max, 4 * D);
}

Test(smmuv3, walk_cache_hit_cuts_descriptor_reads)
{
	uint64_t done;
	/* 0x40000000: L0 0, L1 1, L2 0; 0x40001000 same 2 MB; 0x40200000 same
	 * 1 GB, next 2 MB region (L2 index 1) */
	map(0x40000000, 0x90000000, 0x2000, 0x1000, URW);
	map(0x40200000, 0x90200000, 0x1000, 0x1000, URW);
	s1_dev(5, 1);
	cr_assert_eq(txn(5, 0x40000000, 0).walk_reads, 4);
	/* Leaf-only TLBI keeps the walk cache */
	OK(iom_smmu_drv_tlbi_range(F.drv, 1, 0x40000000, 0x1000, 0x1000, true, tick(), &done,
				   &F.err));
	struct iom_txn t = txn(5, 0x40000000, 0);
	cr_assert_eq(t.tlb_hit, 0);
	cr_assert_eq(t.walk_reads, 1); /* L3 descriptor only */
	cr_assert_eq(txn(5, 0x40001000, 0).walk_reads, 1);
	t = txn(5, 0x40200000, 0);
	cr_assert_eq(t.walk_reads, 2); /* L2 + L3 from the cached L1 descriptor */
	cr_assert_eq(t.pa, 0x90200000);
	const struct iom_smmu_stats *st = iom_smmu_stats(F.smmu);
	/* levels read: 4-walk L0..L3, then L3, L3, then L2 + L3 */
	cr_assert_eq(st->walk_reads_level[0], 1);
	cr_assert_eq(st->walk_reads_level[1], 1);
	cr_assert_eq(st->walk_reads_level[2], 2);
	cr_assert_eq(st->walk_reads_level[3], 4);
}

Test(smmuv3, block_mapping_is_cached_by_its_size)
{
	map(0x200000, 0xa0200000, 0x200000, 0x200000, URW); /* one 2 MB block */
	s1_dev(5, 1);
	struct iom_txn t = txn(5, 0x200000 + 0x12345, 0);
	cr_assert_eq(t.walk_reads, 3); /* L0, L1, L2 block */
	cr_assert_eq(t.pa, 0xa0200000 + 0x12345);
	t = txn(5, 0x3ff000, 0); /* other 4 KB page of the same block: TLB hit */
	cr_assert_eq(t.tlb_hit, 1);
	cr_assert_eq(t.pa, 0xa03ff000);
}

/* ---- invalidation ---- */

Test(smmuv3, tlbi_nh_va_drops_only_the_matching_asid)
{
	uint64_t done;
	map(0x7000, 0x80007000, 0x1000, 0x1000, URW);
	s1_dev(5, 1);
	s1_dev(6, 2); /* same tables, ASID 2 */
	cr_assert_eq(txn(5, 0x7000, 0).walk_reads, 4);
	cr_assert_eq(txn(6, 0x7000, 0).walk_reads, 4); /* walk cache is ASID-tagged */
	const struct iom_smmu_stats *st = iom_smmu_stats(F.smmu);
	uint64_t tlb0 = st->tlbi_dropped, wc0 = st->walk_cache_dropped;
	OK(iom_smmu_drv_tlbi_range(F.drv, 1, 0x7000, 0x1000, 0x1000, false, tick(), &done, &F.err));
	cr_assert_eq(st->tlbi_dropped - tlb0, 1);
	/* non-leaf: the ASID-1 table descriptors of L0, L1, L2 on the path */
	cr_assert_eq(st->walk_cache_dropped - wc0, 3);
	cr_assert_eq(txn(6, 0x7000, 0).tlb_hit, 1);
	struct iom_txn t = txn(5, 0x7000, 0);
	cr_assert_eq(t.tlb_hit, 0);
	cr_assert_eq(t.walk_reads, 4);
}

Test(smmuv3, tlbi_nh_asid_drops_that_asid_only)
{
	uint64_t done;
	map(0x8000, 0x80008000, 0x2000, 0x1000, URW);
	s1_dev(5, 1);
	s1_dev(6, 2);
	txn(5, 0x8000, 0);
	txn(5, 0x9000, 0);
	txn(6, 0x8000, 0);
	const struct iom_smmu_stats *st = iom_smmu_stats(F.smmu);
	uint64_t d0 = st->tlbi_dropped;
	OK(iom_smmu_drv_tlbi_asid(F.drv, 1, tick(), &done, &F.err));
	cr_assert_eq(st->tlbi_dropped - d0, 2);
	cr_assert_eq(txn(6, 0x8000, 0).tlb_hit, 1);
	cr_assert_eq(txn(5, 0x9000, 0).tlb_hit, 0);
}

Test(smmuv3, global_entries_match_any_asid_and_survive_tlbi_asid)
{
	uint64_t done;
	map(0xa000, 0x8000a000, 0x1000, 0x1000, IOM_PTE_R | IOM_PTE_W | IOM_PTE_USER); /* nG = 0 */
	s1_dev(5, 1);
	s1_dev(6, 2);
	cr_assert_eq(txn(5, 0xa000, 0).walk_reads, 4);
	cr_assert_eq(txn(6, 0xa000, 0).tlb_hit, 1); /* global entry, other ASID */
	OK(iom_smmu_drv_tlbi_asid(F.drv, 2, tick(), &done, &F.err));
	cr_assert_eq(txn(6, 0xa000, 0).tlb_hit, 1); /* NH_ASID spares global entries */
	/* NH_VA with ASID 2 drops the global entry for that VA (spec: global
	 * entries match regardless of ASID) */
	OK(iom_smmu_drv_tlbi_range(F.drv, 2, 0xa000, 0x1000, 0x1000, true, tick(), &done, &F.err));
	cr_assert_eq(txn(5, 0xa000, 0).tlb_hit, 0);
}

Test(smmuv3, cd_change_is_seen_after_cfgi_cd)
{
	uint64_t done;
	map(0xb000, 0x8000b000, 0x1000, 0x1000, URW);
	s1_dev(5, 1);
	cr_assert_eq(txn(5, 0xb000, 0).cfg_reads, 2);
	cr_assert_eq(txn(5, 0xb000, 0).cfg_reads, 0);
	OK(iom_smmu_drv_cd(F.drv, 5, 0, 3, iom_pt_root(F.pt), 16, tick(), &done, &F.err));
	struct iom_txn t = txn(5, 0xb000, 0);
	cr_assert_eq(t.cfg_reads, 1); /* CD refetched, STE still cached */
	cr_assert_eq(t.tlb_hit, 0);   /* new ASID 3 */
	OK(iom_smmu_drv_cd_clear(F.drv, 5, 0, tick(), &done, &F.err));
	cr_assert_eq(txn(5, 0xb000, 0).fault, 0x0A);
}

/* ---- command queue ---- */

Test(smmuv3, sync_completion_is_sum_of_fetch_and_execution_costs)
{
	uint64_t done, t0 = tick();
	uint32_t cons0 = iom_smmu_read_cmdq_cons(F.smmu);
	uint64_t syncs0 = iom_smmu_stats(F.smmu)->syncs;
	OK(iom_smmu_drv_tlbi_asid(F.drv, 1, t0, &done, &F.err));
	/* driver writes 2 commands (D each), rings at t0 + 2D; the SMMU fetches
	 * TLBI (D) + executes (4P) and, as a by-ASID scope cannot be indexed,
	 * walks every set of the largest cache it drops from (TLB: 2048 / 8 =
	 * 256 sets; walk cache 32): (256 - 1) * inval_scan_cycles (1) = 255P;
	 * then fetches SYNC (D) + executes (10P). (Changed with the scan cost of
	 * smmuv3_cmdq.c: was 4D + 14P.) */
	cr_assert_eq(done, t0 + 4 * D + 269 * P);
	cr_assert_eq(iom_smmu_last_sync_ps(F.smmu), done);
	cr_assert_eq(smmu_q_ptr(iom_smmu_read_cmdq_cons(F.smmu), 6), smmu_q_ptr(cons0 + 2, 6));
	cr_assert_eq(iom_smmu_stats(F.smmu)->syncs - syncs0, 1);
}

Test(smmuv3, illegal_opcode_sets_cerror_ill_and_stops)
{
	uint64_t cmds[3][2] = { { 0x7f, 0 }, { 0, 0 }, { 0, 0 } }, done;
	smmu_cmd_set_op(cmds[1], SMMU_CMD_TLBI_NSNH_ALL);
	smmu_cmd_set_op(cmds[2], SMMU_CMD_SYNC);
	uint32_t cons0 = iom_smmu_read_cmdq_cons(F.smmu);
	uint64_t ex0 = iom_smmu_stats(F.smmu)->commands;
	int rc = iom_smmu_drv_submit(F.drv, (const uint64_t(*)[2])cmds, 3, tick(), &done, &F.err);
	cr_assert_eq(rc, -IOM_EIO);
	cr_assert(strstr(F.err.msg, "index") != NULL, "%s", F.err.msg);
	uint32_t cons = iom_smmu_read_cmdq_cons(F.smmu);
	cr_assert_eq(smmu_cmdq_cons_err(cons), SMMU_CERROR_ILL);
	cr_assert_eq(smmu_q_ptr(cons, 6), smmu_q_ptr(cons0, 6)); /* stopped on the command */
	cr_assert_eq(iom_smmu_stats(F.smmu)->commands, ex0);
	cr_assert_eq(iom_smmu_stats(F.smmu)->cmd_illegal, 1);
	/* SMMU_GERRORN acknowledgement clears ERR; CONS stays on the command */
	iom_smmu_ack_cmdq_err(F.smmu);
	cr_assert_eq(iom_smmu_read_cmdq_cons(F.smmu), smmu_q_ptr(cons0, 6));
}

Test(smmuv3, atc_inv_without_ats_model_completes_and_is_counted)
{
	/* ATC_INV used to be rejected as not implemented; it is now handed to
	 * struct iom_smmu_ats_ops, and with none installed completes at once. */
	uint64_t cmds[2][2] = { { SMMU_CMD_ATC_INV, 0 }, { SMMU_CMD_SYNC, 0 } }, done;
	OK(iom_smmu_drv_submit(F.drv, (const uint64_t(*)[2])cmds, 2, tick(), &done, &F.err));
	cr_assert_eq(iom_smmu_stats(F.smmu)->cmd_by_op[SMMU_CMD_ATC_INV], 1);
	cr_assert_eq(smmu_cmdq_cons_err(iom_smmu_read_cmdq_cons(F.smmu)), SMMU_CERROR_NONE);
}

Test(smmuv3, tlbi_range_larger_than_queue_drains_while_submitting)
{
	uint64_t done;
	uint64_t c0 = iom_smmu_stats(F.smmu)->commands;
	/* 100 pages + SYNC = 101 commands through a 64-entry queue */
	OK(iom_smmu_drv_tlbi_range(F.drv, 1, 0, 100 * 0x1000, 0x1000, true, tick(), &done, &F.err));
	cr_assert_eq(iom_smmu_stats(F.smmu)->commands - c0, 101);
	cr_assert_eq(iom_smmu_stats(F.smmu)->cmd_by_op[SMMU_CMD_TLBI_NH_VA], 100);
}

/* ---- event queue ---- */

Test(smmuv3, full_event_queue_counts_overflow_and_sets_ovflg)
{
	/* 8-entry event queue, 9 C_BAD_STREAMID events */
	for (int i = 0; i < 9; i++)
		txn(0x100 + (uint32_t)i, 0, 0);
	const struct iom_smmu_stats *st = iom_smmu_stats(F.smmu);
	cr_assert_eq(st->events_written, 8);
	cr_assert_eq(st->evtq_overflow, 1);
	cr_assert_eq(smmu_evtq_ovflg(iom_smmu_read_evtq_prod(F.smmu)), 1);
	expect_event(0x02ull | (0x100ull << 32), 0, 0, 0); /* oldest first */
	/* the driver acknowledged: OVACKFLG == OVFLG */
	cr_assert_eq(smmu_evtq_ovflg(iom_smmu_read_evtq_cons(F.smmu)), 1);
}

/* ---- registers, disabled SMMU, not implemented ---- */

Test(smmuv3, smmu_disabled_bypasses_or_aborts_per_gbpa)
{
	iom_smmu_write_cr0(F.smmu, 0);
	struct iom_txn t = txn(0x100, 0x4242, 0);
	cr_assert_eq(t.status, IOM_TXN_OK);
	cr_assert_eq(t.pa, 0x4242);
	iom_smmu_write_gbpa(F.smmu, 1u << 20);
	cr_assert_eq(txn(0x100, 0x4242, 0).status, IOM_TXN_ABORT);
	expect_no_event();
}

/* Stage 2 is implemented now (test_smmuv3_s2.c): an STE with Config = 0b110 and
 * every stage-2 field zero has S2AA64 = 0, ILLEGAL on an AArch64-only SMMU (5.2). */
Test(smmuv3, stage2_ste_with_zero_fields_is_c_bad_ste)
{
	uint64_t ste[8] = { 0 };
	smmu_ste_set_v(ste, 1);
	smmu_ste_set_config(ste, SMMU_STE_CFG_S2);
	iom_mem_write(F.mem, iom_smmu_drv_strtab(F.drv) + 13 * 64, ste, 64, NULL);
	struct iom_txn t = { .rid = 13, .iova = 0x1000, .issue_ps = tick() };
	OK(iom_smmu_translate(F.smmu, &t, &F.err));
	cr_assert_eq(t.status, IOM_TXN_ABORT);
	cr_assert_eq(t.fault, 0x04);
	expect_event(0x04ull | (13ull << 32), 0, 0, 0);
}

/* StreamWorld EL2 (STE.STRW = 0b10 with Config = 0b101) is not modelled. */
Test(smmuv3, stage1_ste_with_strw_el2_is_not_implemented)
{
	uint64_t ste[8] = { 0 };
	smmu_ste_set_v(ste, 1);
	smmu_ste_set_config(ste, SMMU_STE_CFG_S1);
	smmu_ste_set_strw(ste, SMMU_STRW_EL2);
	iom_mem_write(F.mem, iom_smmu_drv_strtab(F.drv) + 13 * 64, ste, 64, NULL);
	struct iom_txn t = { .rid = 13, .iova = 0x1000, .issue_ps = tick() };
	cr_assert_eq(iom_smmu_translate(F.smmu, &t, &F.err), -IOM_ENOTSUP);
	cr_assert(strstr(F.err.msg, "SID 13") != NULL, "%s", F.err.msg);
	cr_assert(strstr(F.err.msg, "STRW") != NULL, "%s", F.err.msg);
}

Test(smmuv3, driver_rejects_cd_for_non_stage1_stream)
{
	uint64_t done;
	int rc = iom_smmu_drv_cd(F.drv, 14, 0, 1, 0x100000, 16, tick(), &done, &F.err);
	cr_assert_eq(rc, -IOM_EINVAL);
	cr_assert(strstr(F.err.msg, "SID 14") != NULL, "%s", F.err.msg);
	rc = iom_smmu_drv_ste_bypass(F.drv, 0x100, tick(), &done, &F.err);
	cr_assert_eq(rc, -IOM_ERANGE);
}

Test(smmuv3, config_defaults_bind)
{
	struct iom_config *c = iom_config_create_default();
	struct iom_smmu_cfg cfg;
	size_t n;
	cr_assert_not_null(c);
	OK(iom_smmu_cfg_bind(c, &cfg, &F.err));
	cr_assert_eq(cfg.clock_mhz, 1000);
	cr_assert_eq(cfg.sid_bits, 16);
	cr_assert_eq(cfg.tlb.entries, 2048);
	cr_assert_eq(cfg.tlb.ways, 8);
	cr_assert_eq(cfg.walk_cache.entries, 128);
	cr_assert_eq(cfg.config_cache.latency_cycles, 2);
	cr_assert_eq(iom_smmu_prop_tables(&n)[1], &iom_smmu_tlb_prop_table);
	cr_assert_eq(n, 7); /* smmu, tlb, walk_cache, s2_walk_cache, ipa_cache, utlb, config_cache */
	cr_assert_eq(cfg.oas_bits, 48);
	cr_assert_eq(cfg.httu, 2);
	cr_assert_eq(cfg.utlb.entries, 0);
	iom_config_destroy(c);
}

Test(smmuv3, config_rejects_out_of_range_value)
{
	struct iom_config *c = iom_config_load_string("smmu:\n  sid_bits: 25\n", "t.yaml", &F.err);
	struct iom_smmu_cfg cfg;
	cr_assert_not_null(c, "%s", F.err.msg);
	cr_assert_eq(iom_smmu_cfg_bind(c, &cfg, &F.err), -IOM_ERANGE, "%s", F.err.msg);
	cr_assert(strstr(F.err.msg, "sid_bits") != NULL, "%s", F.err.msg);
	iom_config_destroy(c);
}

Test(smmuv3, tlbi_nh_vaa_drops_the_va_in_every_asid)
{
	uint64_t cmds[2][2] = { { 0, 0 }, { 0, 0 } }, done;
	map(0xc000, 0x8000c000, 0x2000, 0x1000, URW);
	s1_dev(5, 1);
	s1_dev(6, 2);
	txn(5, 0xc000, 0);
	txn(6, 0xc000, 0);
	txn(6, 0xd000, 0);
	smmu_cmd_set_op(cmds[0], SMMU_CMD_TLBI_NH_VAA);
	smmu_cmd_set_addr(cmds[0], 0xc000);
	smmu_cmd_set_leaf(cmds[0], 1);
	smmu_cmd_set_op(cmds[1], SMMU_CMD_SYNC);
	uint64_t d0 = iom_smmu_stats(F.smmu)->tlbi_dropped;
	OK(iom_smmu_drv_submit(F.drv, (const uint64_t(*)[2])cmds, 2, tick(), &done, &F.err));
	cr_assert_eq(iom_smmu_stats(F.smmu)->tlbi_dropped - d0, 2); /* 0xc000 in ASIDs 1 and 2 */
	cr_assert_eq(txn(6, 0xd000, 0).tlb_hit, 1);
}

Test(smmuv3, iommu_interface_invalidates_and_registers_stats)
{
	struct iom_iommu m;
	struct iom_stats *st = iom_stats_create();
	uint64_t done;
	double v;

	iom_smmu_drv_as_iommu(F.drv, &m);
	cr_assert_str_eq(m.ops->kind, "smmuv3");
	cr_assert_str_eq(m.name, "smmu0");
	map(0xe000, 0x8000e000, 0x1000, 0x1000, URW);
	s1_dev(5, 1);
	struct iom_txn t = { .rid = 5, .iova = 0xe000, .issue_ps = tick() };
	OK(iom_iommu_translate(&m, &t, &F.err));
	cr_assert_eq(t.walk_reads, 4);
	struct iom_inval inv = { .scope = IOM_INVAL_RANGE, .tag = 1, .iova = 0xe000, .size = 0x1000,
				 .granule = 0x1000, .leaf = 1 };
	uint64_t d0 = iom_smmu_stats(F.smmu)->tlbi_dropped;
	OK(m.ops->invalidate(m.self, &inv, tick(), &done, &F.err));
	cr_assert_eq(iom_smmu_stats(F.smmu)->tlbi_dropped - d0, 1);
	txn(5, 0xe000, 0); /* refill */
	inv.scope = IOM_INVAL_ALL;
	OK(m.ops->invalidate(m.self, &inv, tick(), &done, &F.err));
	cr_assert_eq(iom_cache_valid(iom_smmu_tlb(F.smmu)), 0);
	cr_assert_eq(iom_cache_valid(iom_smmu_walk_cache(F.smmu)), 0);
	cr_assert_eq(iom_cache_valid(iom_smmu_config_cache(F.smmu)), 0);
	txn(5, 0x40000000, 0); /* unmapped: one F_TRANSLATION */
	OK(m.ops->register_stats(m.self, st, "smmu0", &F.err));
	OK(iom_stats_get(st, NULL, "smmu0.fault.F_TRANSLATION", &v));
	cr_assert_eq(v, 1.0);
	OK(iom_stats_get(st, NULL, "smmu0.cmd.CFGI_STE_RANGE", &v));
	cr_assert_eq(v, 1.0);
	OK(iom_stats_get(st, NULL, "smmu0.drv.syncs", &v));
	cr_assert_eq(v, (double)iom_smmu_drv_stats(F.drv)->syncs);
	OK(iom_stats_get(st, NULL, "smmu0.tlb.hits", &v));
	cr_assert_eq(iom_stats_get(st, NULL, "smmu0.no_such_counter", &v), -IOM_ENOENT);
	iom_stats_destroy(st);
	m.ops->destroy(m.self); /* destroys driver and model */
	F.drv = NULL;
	F.smmu = NULL;
}
