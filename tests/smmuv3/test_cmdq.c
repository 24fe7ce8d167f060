/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_cmdq.c - SMMUv3 commands (IHI0070 G.b chapter 4): the exact effect of
 * every invalidation command on every cache (what is dropped, what survives),
 * range TLBI decoding (4.4.1.1), CMD_SYNC completion signals (4.7.3), the
 * ATS/PRI hand-off (4.5), CERROR_ILL cases, command costs and command-queue
 * back-pressure. White-box: cache keys are built with the model's own key
 * helpers (smmuv3-internal.h) so specific entries can be looked for.
 *
 * Fixture timing: DRAM D = 80 ns, SMMU 1000 MHz (P = 1 ns), cmd_cycles 4,
 * sync_cycles 10, inval_scan_cycles 1; TLB 2048 entries / 8 ways = 256 sets,
 * walk cache 128 / 4 = 32 sets, config cache 64 / 64 = 1 set.
 *
 * The populated state P (populate()): one set of 48-bit VMSA tables, shared
 * by SID 5 (CD 0: ASID 1) and SID 6 (ASID 2), both stage-1 only (VMID 0):
 *   0x1000, 0x2000   4 KB pages, nG        (L0[0] -> L1[0] -> L2[0] -> L3)
 *   0xa000           4 KB page, global (nG = 0), same L3 table
 *   0x200000         2 MB block             (L2[1] of the same L2 table)
 *   0x40000000       1 GB block             (L1[1])
 * SID 5 touches 0x1000 (full walk: fills the walk-cache entries of ASID 1 at
 * L0/L1/L2 for VA 0), 0x2000, 0x200000, 0x40000000, 0xa000 (each one read
 * below a cached table descriptor: no new walk-cache entry); SID 6 touches
 * 0x1000 (full walk, ASID 2's three walk-cache entries). So:
 *   TLB (6): A1 4K@0x1000, A1 4K@0x2000, A1 2M@0x200000, A1 1G@0x40000000,
 *            global 4K@0xa000, A2 4K@0x1000;
 *   walk cache (6): A1 L0/L1/L2 and A2 L0/L1/L2, all for VA 0;
 *   config cache (4): STE 5, CD 5/0, STE 6, CD 6/0.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "log.h"
#include "mem.h"
#include "pgtable.h"
#include "smmuv3-internal.h"
#include "smmuv3-regs.h"
#include "smmuv3.h"
#include "smmuv3_drv.h"

#define D 80000ull
#define P 1000ull
#define MS 1000000000ull
#define URW (IOM_PTE_R | IOM_PTE_W | IOM_PTE_USER | IOM_PTE_NG)
#define URW_GLOBAL (IOM_PTE_R | IOM_PTE_W | IOM_PTE_USER)

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

/* Build memory, SMMU (defaults changed by `tweak`), driver (cmdq 2^log2). */
static void up(void (*tweak)(struct iom_smmu_cfg *), uint32_t cmdq_log2)
{
	struct iom_mem_cfg mc = { .addr_bits = 40, .dram_latency_ps = D, .llc_latency_ps = 0 };
	struct iom_smmu_cfg sc;
	struct iom_pt_cfg pc = { .fmt = IOM_PT_VMSA64_S1, .granule_shift = 12, .ia_bits = 48,
				 .oa_bits = 48 };
	struct iom_pt_alloc alloc;

	iom_log_enable(IOM_LOG_GUEST_ERROR, 0);
	iom_log_enable(IOM_LOG_UNIMP, 0);
	F.mem = iom_mem_create(&mc, &F.err);
	cr_assert_not_null(F.mem, "%s", F.err.msg);
	F.pa = iom_palloc_create(F.mem, 0x10000000, 0x4000000, &F.err);
	cr_assert_not_null(F.pa, "%s", F.err.msg);
	iom_smmu_cfg_default(&sc);
	if (tweak)
		tweak(&sc);
	F.smmu = iom_smmu_create(&sc, F.mem, "smmu0", &F.err);
	cr_assert_not_null(F.smmu, "%s", F.err.msg);
	F.drv = iom_smmu_drv_create(F.smmu, F.mem, F.pa, 8, cmdq_log2, 3, &F.err);
	cr_assert_not_null(F.drv, "%s", F.err.msg);
	iom_palloc_as_pt_alloc(F.pa, &alloc);
	F.pt = iom_pt_create(F.mem, &pc, &alloc, &F.err);
	cr_assert_not_null(F.pt, "%s", F.err.msg);
	F.now = MS;
}

static void fx_init(void)
{
	memset(&F, 0, sizeof(F));
	up(NULL, 6);
}

static void fx_fini(void)
{
	iom_pt_destroy(F.pt);
	iom_smmu_drv_destroy(F.drv);
	iom_smmu_destroy(F.smmu);
	iom_palloc_destroy(F.pa);
	iom_mem_destroy(F.mem);
}

/* Tests that need another configuration build it themselves (suite cmdq_cfg). */
static void fx_none(void) { memset(&F, 0, sizeof(F)); }

TestSuite(cmdq, .init = fx_init, .fini = fx_fini);
TestSuite(cmdq_cfg, .init = fx_none, .fini = fx_fini);

#define OK(x) cr_assert_eq((x), 0, "%s", F.err.msg)

static void s1_dev(uint32_t sid, uint16_t asid)
{
	uint64_t done;
	OK(iom_smmu_drv_ste_s1(F.drv, sid, 0, 0, tick(), &done, &F.err));
	OK(iom_smmu_drv_cd(F.drv, sid, 0, asid, iom_pt_root(F.pt), 16, tick(), &done, &F.err));
}

static struct iom_txn txn(uint32_t sid, uint64_t iova)
{
	struct iom_txn t = { .rid = sid, .iova = iova, .size = 64, .issue_ps = tick() };
	OK(iom_smmu_translate(F.smmu, &t, &F.err));
	cr_assert_eq(t.status, IOM_TXN_OK, "sid %u iova 0x%llx: status %u fault 0x%x", sid,
		     (unsigned long long)iova, t.status, t.fault);
	return t;
}

/* Refill the config cache (TLB hits: no walk). */
static void touch_cfg(void)
{
	txn(5, 0x2000);
	txn(6, 0x1000);
}

static void populate(void)
{
	OK(iom_pt_map(F.pt, 0x1000, 0x80001000, 0x2000, 0x1000, URW, &F.err));
	OK(iom_pt_map(F.pt, 0xa000, 0x8000a000, 0x1000, 0x1000, URW_GLOBAL, &F.err));
	OK(iom_pt_map(F.pt, 0x200000, 0x80200000, 0x200000, 0x200000, URW, &F.err));
	OK(iom_pt_map(F.pt, 0x40000000, 0xc0000000, 0x40000000, 0x40000000, URW, &F.err));
	s1_dev(5, 1);
	s1_dev(6, 2);
	cr_assert_eq(txn(5, 0x1000).walk_reads, 4);
	cr_assert_eq(txn(5, 0x2000).walk_reads, 1);
	cr_assert_eq(txn(5, 0x200000).walk_reads, 1);
	cr_assert_eq(txn(5, 0x40000000).walk_reads, 1);
	cr_assert_eq(txn(5, 0xa000).walk_reads, 1);
	cr_assert_eq(txn(6, 0x1000).walk_reads, 4);
	cr_assert_eq(iom_cache_valid(iom_smmu_tlb(F.smmu)), 6);
	cr_assert_eq(iom_cache_valid(iom_smmu_walk_cache(F.smmu)), 6);
	cr_assert_eq(iom_cache_valid(iom_smmu_config_cache(F.smmu)), 4);
}

/* ---- looking for specific entries ---- */

/* size_idx: 0 = 4 KB, 1 = 2 MB, 2 = 1 GB (the model's own size indices differ). */
static bool tlb_has(uint32_t asid, uint32_t size_idx, int global, uint64_t va)
{
	static const unsigned shift[3] = { 12, 21, 30 };
	uint32_t idx = 0;
	while (smmu_tlb_size_shift(idx) != shift[size_idx])
		idx++;
	struct iom_cache_key k = { va >> shift[size_idx], smmu_tlb_tag(asid, 0, idx, global) };
	return iom_cache_peek(iom_smmu_tlb(F.smmu), &k) != NULL;
}

static bool wc_has(uint32_t asid, unsigned level)
{
	struct iom_cache_key k = smmu_wc_key(asid, 0, 0, level, SMMU_TLBI_TG_4K);
	return iom_cache_peek(iom_smmu_walk_cache(F.smmu), &k) != NULL;
}

static bool cfg_has(uint32_t sid, bool cd)
{
	struct iom_cache_key k = { sid, cd ? SMMU_CFG_TAG_CD : 0 };
	return iom_cache_peek(iom_smmu_config_cache(F.smmu), &k) != NULL;
}

/* Which of the six TLB entries of P remain (1 = present), in the order of
 * the header: A1 4K@0x1000, A1 4K@0x2000, A1 2M, A1 1G, global, A2 4K@0x1000. */
static void expect_tlb(int a, int b, int c, int d, int g, int e)
{
	cr_expect_eq(tlb_has(1, 0, 0, 0x1000), a, "A1 4K@0x1000");
	cr_expect_eq(tlb_has(1, 0, 0, 0x2000), b, "A1 4K@0x2000");
	cr_expect_eq(tlb_has(1, 1, 0, 0x200000), c, "A1 2M@0x200000");
	cr_expect_eq(tlb_has(1, 2, 0, 0x40000000), d, "A1 1G@0x40000000");
	cr_expect_eq(tlb_has(0, 0, 1, 0xa000), g, "global 4K@0xa000");
	cr_expect_eq(tlb_has(2, 0, 0, 0x1000), e, "A2 4K@0x1000");
	cr_assert_eq(iom_cache_valid(iom_smmu_tlb(F.smmu)), (uint32_t)(a + b + c + d + g + e));
}

/* Walk-cache entries of ASID 1 and ASID 2 at levels 0, 1, 2 (VA 0). */
static void expect_wc(int a0, int a1, int a2, int b0, int b1, int b2)
{
	cr_expect_eq(wc_has(1, 0), a0, "A1 L0");
	cr_expect_eq(wc_has(1, 1), a1, "A1 L1");
	cr_expect_eq(wc_has(1, 2), a2, "A1 L2");
	cr_expect_eq(wc_has(2, 0), b0, "A2 L0");
	cr_expect_eq(wc_has(2, 1), b1, "A2 L1");
	cr_expect_eq(wc_has(2, 2), b2, "A2 L2");
	cr_assert_eq(iom_cache_valid(iom_smmu_walk_cache(F.smmu)),
		     (uint32_t)(a0 + a1 + a2 + b0 + b1 + b2));
}

static void expect_cfg(int ste5, int cd5, int ste6, int cd6)
{
	cr_expect_eq(cfg_has(5, false), ste5, "STE 5");
	cr_expect_eq(cfg_has(5, true), cd5, "CD 5/0");
	cr_expect_eq(cfg_has(6, false), ste6, "STE 6");
	cr_expect_eq(cfg_has(6, true), cd6, "CD 6/0");
	cr_assert_eq(iom_cache_valid(iom_smmu_config_cache(F.smmu)),
		     (uint32_t)(ste5 + cd5 + ste6 + cd6));
}

/* ---- building and issuing commands ---- */

struct cmd {
	uint64_t w[2];
};

static struct cmd mk(uint32_t op)
{
	struct cmd c = { { 0, 0 } };
	smmu_cmd_set_op(c.w, op);
	return c;
}

static struct cmd tlbi(uint32_t op, uint32_t vmid, uint32_t asid, uint64_t addr, uint32_t leaf)
{
	struct cmd c = mk(op);
	smmu_cmd_set_vmid(c.w, vmid);
	smmu_cmd_set_asid(c.w, asid);
	smmu_cmd_set_addr(c.w, addr);
	smmu_cmd_set_leaf(c.w, leaf);
	return c;
}

static struct cmd ranged(struct cmd c, uint32_t tg, uint32_t num, uint32_t scale, uint32_t ttl)
{
	smmu_cmd_set_tg(c.w, tg);
	smmu_cmd_set_num(c.w, num);
	smmu_cmd_set_scale(c.w, scale);
	smmu_cmd_set_ttl(c.w, ttl);
	return c;
}

/* Issue c then a CMD_SYNC (CS = 0) at now; returns the submit result. */
static int issue_at(struct cmd c, uint64_t now, uint64_t *done)
{
	uint64_t cmds[2][2] = { { c.w[0], c.w[1] }, { 0, 0 } };
	smmu_cmd_set_op(cmds[1], SMMU_CMD_SYNC);
	return iom_smmu_drv_submit(F.drv, (const uint64_t(*)[2])cmds, 2, now, done, &F.err);
}

static void issue(struct cmd c)
{
	uint64_t done;
	OK(issue_at(c, tick(), &done));
}

/* ---- TLBI: stage 1, NS-EL1 ---- */

Test(cmdq, nh_va_leaf_drops_that_asids_page_only_and_keeps_the_walk_cache)
{
	populate();
	issue(tlbi(SMMU_CMD_TLBI_NH_VA, 0, 1, 0x1000, 1));
	expect_tlb(0, 1, 1, 1, 1, 1);
	expect_wc(1, 1, 1, 1, 1, 1);
	expect_cfg(1, 1, 1, 1);
	cr_assert_eq(iom_smmu_stats(F.smmu)->tlbi_dropped, 1);
	/* the next access walks from the cached L2 descriptor: one read */
	cr_assert_eq(txn(5, 0x1000).walk_reads, 1);
}

Test(cmdq, nh_va_nonleaf_also_drops_the_asids_walk_cache_path)
{
	populate();
	issue(tlbi(SMMU_CMD_TLBI_NH_VA, 0, 1, 0x1000, 0));
	expect_tlb(0, 1, 1, 1, 1, 1);
	expect_wc(0, 0, 0, 1, 1, 1);
	cr_assert_eq(iom_smmu_stats(F.smmu)->walk_cache_dropped, 3);
	cr_assert_eq(txn(5, 0x1000).walk_reads, 4);
}

Test(cmdq, nh_va_drops_global_entry_whatever_the_asid)
{
	populate();
	issue(tlbi(SMMU_CMD_TLBI_NH_VA, 0, 2, 0xa000, 1)); /* ASID 2 never used 0xa000 */
	expect_tlb(1, 1, 1, 1, 0, 1);
}

Test(cmdq, nh_va_inside_a_block_drops_the_block_entry)
{
	populate();
	issue(tlbi(SMMU_CMD_TLBI_NH_VA, 0, 1, 0x3ff000, 1)); /* last page of the 2 MB block */
	expect_tlb(1, 1, 0, 1, 1, 1);
	issue(tlbi(SMMU_CMD_TLBI_NH_VA, 0, 1, 0x7ffff000, 1)); /* last page of the 1 GB block */
	expect_tlb(1, 1, 0, 0, 1, 1);
}

Test(cmdq, nh_va_with_other_vmid_drops_nothing)
{
	populate();
	issue(tlbi(SMMU_CMD_TLBI_NH_VA, 1, 1, 0x1000, 0));
	issue(tlbi(SMMU_CMD_TLBI_NH_VA, 1, 1, 0xa000, 0));
	expect_tlb(1, 1, 1, 1, 1, 1);
	expect_wc(1, 1, 1, 1, 1, 1);
}

Test(cmdq, nh_vaa_drops_the_va_in_every_asid)
{
	populate();
	issue(tlbi(SMMU_CMD_TLBI_NH_VAA, 0, 0, 0x1000, 1));
	expect_tlb(0, 1, 1, 1, 1, 0);
	expect_wc(1, 1, 1, 1, 1, 1);
	issue(tlbi(SMMU_CMD_TLBI_NH_VAA, 0, 0, 0x0, 0)); /* Leaf = 0: every ASID's path */
	expect_wc(0, 0, 0, 0, 0, 0);
	expect_tlb(0, 1, 1, 1, 1, 0); /* no TLB entry at page 0 */
}

Test(cmdq, nh_asid_drops_non_global_entries_and_walk_cache_of_the_asid)
{
	populate();
	issue(tlbi(SMMU_CMD_TLBI_NH_ASID, 0, 1, 0, 0));
	expect_tlb(0, 0, 0, 0, 1, 1);
	expect_wc(0, 0, 0, 1, 1, 1);
	expect_cfg(1, 1, 1, 1);
}

Test(cmdq, nh_asid_and_nh_all_are_vmid_scoped)
{
	populate();
	issue(tlbi(SMMU_CMD_TLBI_NH_ASID, 7, 1, 0, 0));
	issue(tlbi(SMMU_CMD_TLBI_NH_ALL, 7, 0, 0, 0));
	expect_tlb(1, 1, 1, 1, 1, 1);
	expect_wc(1, 1, 1, 1, 1, 1);
	issue(tlbi(SMMU_CMD_TLBI_NH_ALL, 0, 0, 0, 0));
	expect_tlb(0, 0, 0, 0, 0, 0); /* global entries included */
	expect_wc(0, 0, 0, 0, 0, 0);
	expect_cfg(1, 1, 1, 1);
}

/* ---- TLBI: EL2, stage 2, all ---- */

Test(cmdq, el2_invalidations_never_touch_ns_el1_entries)
{
	const struct iom_smmu_stats *st = iom_smmu_stats(F.smmu);
	populate();
	issue(tlbi(SMMU_CMD_TLBI_EL2_ALL, 0, 0, 0, 0));
	issue(tlbi(SMMU_CMD_TLBI_EL2_ASID, 0, 1, 0, 0));
	issue(tlbi(SMMU_CMD_TLBI_EL2_VA, 0, 1, 0x1000, 0));
	issue(tlbi(SMMU_CMD_TLBI_EL2_VAA, 0, 0, 0xa000, 0));
	expect_tlb(1, 1, 1, 1, 1, 1);
	expect_wc(1, 1, 1, 1, 1, 1);
	cr_assert_eq(st->cmd_by_op[SMMU_CMD_TLBI_EL2_ALL], 1);
	cr_assert_eq(st->cmd_by_op[SMMU_CMD_TLBI_EL2_ASID], 1);
	cr_assert_eq(st->cmd_by_op[SMMU_CMD_TLBI_EL2_VA], 1);
	cr_assert_eq(st->cmd_by_op[SMMU_CMD_TLBI_EL2_VAA], 1);
	cr_assert_eq(st->cmd_illegal, 0);
}

Test(cmdq, s12_vmall_drops_everything_of_its_vmid_only)
{
	populate();
	issue(tlbi(SMMU_CMD_TLBI_S12_VMALL, 3, 0, 0, 0));
	expect_tlb(1, 1, 1, 1, 1, 1);
	expect_wc(1, 1, 1, 1, 1, 1);
	issue(tlbi(SMMU_CMD_TLBI_S12_VMALL, 0, 0, 0, 0));
	expect_tlb(0, 0, 0, 0, 0, 0);
	expect_wc(0, 0, 0, 0, 0, 0);
	expect_cfg(1, 1, 1, 1);
}

Test(cmdq, s2_ipa_does_not_drop_stage1_entries)
{
	populate();
	struct cmd c = mk(SMMU_CMD_TLBI_S2_IPA);
	smmu_cmd_set_vmid(c.w, 0);
	smmu_cmd_set_ipa(c.w, 0x1000);
	issue(c);
	expect_tlb(1, 1, 1, 1, 1, 1);
	expect_wc(1, 1, 1, 1, 1, 1);
	cr_assert_eq(iom_smmu_stats(F.smmu)->cmd_by_op[SMMU_CMD_TLBI_S2_IPA], 1);
}

Test(cmdq, nsnh_all_drops_every_tlb_and_walk_entry_but_no_config)
{
	populate();
	issue(mk(SMMU_CMD_TLBI_NSNH_ALL));
	expect_tlb(0, 0, 0, 0, 0, 0);
	expect_wc(0, 0, 0, 0, 0, 0);
	expect_cfg(1, 1, 1, 1);
}

/* ---- CFGI ---- */

static struct cmd cfgi(uint32_t op, uint32_t sid, uint32_t ssid_or_range)
{
	struct cmd c = mk(op);
	smmu_cmd_set_sid(c.w, sid);
	if (op == SMMU_CMD_CFGI_STE_RANGE) {
		smmu_cmd_set_range(c.w, ssid_or_range); /* word 1 [4:0]: no Leaf bit */
	} else {
		smmu_cmd_set_ssid(c.w, ssid_or_range);
		smmu_cmd_set_leaf(c.w, 1);
	}
	return c;
}

Test(cmdq, cfgi_ste_drops_the_ste_and_its_cds_only)
{
	populate();
	issue(cfgi(SMMU_CMD_CFGI_STE, 5, 0));
	expect_cfg(0, 0, 1, 1);
	expect_tlb(1, 1, 1, 1, 1, 1);
	expect_wc(1, 1, 1, 1, 1, 1);
}

Test(cmdq, cfgi_cd_and_cd_all_keep_the_ste)
{
	populate();
	issue(cfgi(SMMU_CMD_CFGI_CD, 5, 1)); /* SSID 1: nothing cached there */
	expect_cfg(1, 1, 1, 1);
	issue(cfgi(SMMU_CMD_CFGI_CD, 5, 0));
	expect_cfg(1, 0, 1, 1);
	issue(cfgi(SMMU_CMD_CFGI_CD_ALL, 6, 0));
	expect_cfg(1, 0, 1, 0);
	expect_tlb(1, 1, 1, 1, 1, 1);
}

Test(cmdq, cfgi_ste_range_covers_an_aligned_power_of_two_of_sids)
{
	populate();
	issue(cfgi(SMMU_CMD_CFGI_STE_RANGE, 5, 0)); /* 2 SIDs: 4..5 */
	expect_cfg(0, 0, 1, 1);
	touch_cfg();
	issue(cfgi(SMMU_CMD_CFGI_STE_RANGE, 7, 0)); /* 6..7 */
	expect_cfg(1, 1, 0, 0);
	touch_cfg();
	issue(cfgi(SMMU_CMD_CFGI_STE_RANGE, 0, 1)); /* 0..3 */
	expect_cfg(1, 1, 1, 1);
	issue(cfgi(SMMU_CMD_CFGI_STE_RANGE, 3, 2)); /* 0..7 */
	expect_cfg(0, 0, 0, 0);
}

Test(cmdq, cfgi_all_drops_every_config_entry_and_no_tlb_entry)
{
	populate();
	issue(cfgi(SMMU_CMD_CFGI_STE_RANGE, 0x1234, SMMU_CFGI_RANGE_ALL));
	expect_cfg(0, 0, 0, 0);
	expect_tlb(1, 1, 1, 1, 1, 1);
	expect_wc(1, 1, 1, 1, 1, 1);
}

/* ---- range invalidation (IDR3.RIL = 1 by default) ---- */

Test(cmdq, range_of_two_pages_drops_both)
{
	populate();
	/* TG 4K, NUM 1, SCALE 0: (1+1) * 2^0 = 2 granules from 0x1000 */
	issue(ranged(tlbi(SMMU_CMD_TLBI_NH_VA, 0, 1, 0x1000, 1), 1, 1, 0, 0));
	expect_tlb(0, 0, 1, 1, 1, 1);
	cr_assert_eq(iom_smmu_stats(F.smmu)->range_tlbis, 1);
}

Test(cmdq, range_ttl_limits_the_leaf_level)
{
	/* NUM 0, SCALE 10: 1024 granules = [0, 4 MB): the two A1 pages, the global
	 * page (NH_VA includes global) and the 2 MB block lie inside. */
	populate();
	issue(ranged(tlbi(SMMU_CMD_TLBI_NH_VA, 0, 1, 0, 1), 1, 0, 10, 2)); /* L2 leaves */
	expect_tlb(1, 1, 0, 1, 1, 1);
	issue(ranged(tlbi(SMMU_CMD_TLBI_NH_VA, 0, 1, 0, 1), 1, 0, 10, 1)); /* L1: none there */
	expect_tlb(1, 1, 0, 1, 1, 1);
	issue(ranged(tlbi(SMMU_CMD_TLBI_NH_VA, 0, 1, 0, 1), 1, 0, 10, 3)); /* L3 leaves */
	expect_tlb(0, 0, 0, 1, 0, 1);
	expect_wc(1, 1, 1, 1, 1, 1); /* Leaf = 1 */
}

Test(cmdq, range_ttl_zero_drops_every_level)
{
	populate();
	issue(ranged(tlbi(SMMU_CMD_TLBI_NH_VA, 0, 1, 0, 1), 1, 0, 10, 0));
	expect_tlb(0, 0, 0, 1, 0, 1);
}

Test(cmdq, range_nonleaf_drops_table_levels_above_ttl)
{
	populate();
	/* TTL 2, Leaf 0: table descriptors of levels 0 and 1 (before the level-2
	 * leaf level); A1's level-2 table descriptor survives. */
	issue(ranged(tlbi(SMMU_CMD_TLBI_NH_VA, 0, 1, 0, 0), 1, 0, 10, 2));
	expect_wc(0, 0, 1, 1, 1, 1);
	expect_tlb(1, 1, 0, 1, 1, 1);
	issue(ranged(tlbi(SMMU_CMD_TLBI_NH_VA, 0, 1, 0, 0), 1, 0, 10, 3));
	expect_wc(0, 0, 0, 1, 1, 1);
}

Test(cmdq, range_vaa_over_a_gigabyte_block)
{
	populate();
	/* one granule at 0x40000000 with TTL 1: the level-1 (1 GB) leaf, any ASID */
	issue(ranged(tlbi(SMMU_CMD_TLBI_NH_VAA, 0, 0, 0x40000000, 1), 1, 0, 0, 1));
	expect_tlb(1, 1, 1, 0, 1, 1);
}

Test(cmdq, range_with_a_16k_or_64k_granule_drops_no_4k_entry)
{
	populate();
	issue(ranged(tlbi(SMMU_CMD_TLBI_NH_VA, 0, 1, 0, 0), 2, 31, 20, 0));
	issue(ranged(tlbi(SMMU_CMD_TLBI_NH_VAA, 0, 0, 0, 0), 3, 31, 20, 0));
	expect_tlb(1, 1, 1, 1, 1, 1);
	expect_wc(1, 1, 1, 1, 1, 1);
}

Test(cmdq, range_of_the_whole_space_does_not_wrap)
{
	populate();
	/* NUM 31, SCALE 31 from 0x40000000: 2^36 pages, far past 2^48; every A1
	 * entry at or above 0x40000000 goes, the lower ones stay. */
	issue(ranged(tlbi(SMMU_CMD_TLBI_NH_VA, 0, 1, 0x40000000, 1), 1, 31, 31, 0));
	expect_tlb(1, 1, 1, 0, 1, 1);
}

Test(cmdq, range_reserved_encoding_is_cerror_ill)
{
	uint64_t done;
	populate();
	/* TG != 0 with NUM = SCALE = TTL = 0 is reserved (4.4.1.1) */
	struct cmd c = ranged(tlbi(SMMU_CMD_TLBI_NH_VA, 0, 1, 0x1000, 1), 1, 0, 0, 0);
	cr_assert_eq(issue_at(c, tick(), &done), -IOM_EIO);
	cr_assert_eq(smmu_cmdq_cons_err(iom_smmu_read_cmdq_cons(F.smmu)), SMMU_CERROR_ILL);
	expect_tlb(1, 1, 1, 1, 1, 1);
}

Test(cmdq, range_16k_with_ttl_1_is_cerror_ill)
{
	uint64_t done;
	cr_assert_eq(issue_at(ranged(tlbi(SMMU_CMD_TLBI_NH_VA, 0, 1, 0, 1), 2, 1, 0, 1), tick(),
			      &done), -IOM_EIO);
	cr_assert_eq(smmu_cmdq_cons_err(iom_smmu_read_cmdq_cons(F.smmu)), SMMU_CERROR_ILL);
}

static void no_ril(struct iom_smmu_cfg *c) { c->range_inval = false; }

Test(cmdq_cfg, range_command_without_ril_is_cerror_ill)
{
	uint64_t done;
	up(no_ril, 6);
	cr_assert_eq(smmu_idr3_ril(iom_smmu_read_idr(F.smmu, 3)), 0);
	cr_assert(!iom_smmu_drv_has_range(F.drv));
	struct cmd c = ranged(tlbi(SMMU_CMD_TLBI_NH_VA, 0, 1, 0x1000, 1), 1, 1, 0, 0);
	cr_assert_eq(issue_at(c, tick(), &done), -IOM_EIO);
	cr_assert_eq(smmu_cmdq_cons_err(iom_smmu_read_cmdq_cons(F.smmu)), SMMU_CERROR_ILL);
	cr_assert_eq(iom_smmu_stats(F.smmu)->cmd_illegal, 1);
}

Test(cmdq, ril_is_advertised_by_default)
{
	cr_assert_eq(smmu_idr3_ril(iom_smmu_read_idr(F.smmu, 3)), 1);
	cr_assert(iom_smmu_drv_has_range(F.drv));
}

/* ---- the driver's range encoding (Linux __arm_smmu_tlb_inv_range) ---- */

struct enc {
	uint32_t num, scale, ttl;
	uint64_t addr;
};

static void expect_enc(uint64_t iova, uint64_t pages, uint64_t granule, bool leaf,
		       const struct enc *want, size_t n)
{
	uint64_t cmds[8][2];
	size_t got = iom_smmu_drv_build_tlbi_va(NULL, 3, iova, pages << 12, granule, leaf, true);
	cr_assert_eq(got, n, "%llu pages: %zu commands, want %zu", (unsigned long long)pages, got,
		     n);
	got = iom_smmu_drv_build_tlbi_va(cmds, 3, iova, pages << 12, granule, leaf, true);
	cr_assert_eq(got, n);
	for (size_t i = 0; i < n; i++) {
		cr_expect_eq(smmu_cmd_op(cmds[i]), SMMU_CMD_TLBI_NH_VA);
		cr_expect_eq(smmu_cmd_asid(cmds[i]), 3);
		cr_expect_eq(smmu_cmd_tg(cmds[i]), SMMU_TLBI_TG_4K);
		cr_expect_eq(smmu_cmd_leaf(cmds[i]), leaf);
		cr_expect_eq(smmu_cmd_num(cmds[i]), want[i].num, "cmd %zu NUM %u", i,
			     smmu_cmd_num(cmds[i]));
		cr_expect_eq(smmu_cmd_scale(cmds[i]), want[i].scale, "cmd %zu SCALE %u", i,
			     smmu_cmd_scale(cmds[i]));
		cr_expect_eq(smmu_cmd_ttl(cmds[i]), want[i].ttl, "cmd %zu TTL", i);
		cr_expect_eq(smmu_cmd_addr(cmds[i]), want[i].addr, "cmd %zu addr 0x%llx", i,
			     (unsigned long long)smmu_cmd_addr(cmds[i]));
	}
}

Test(cmdq, encode_35_pages_is_3_then_32)
{
	/* appendix A.3: NUM 2 SCALE 0 (3 pages), then NUM 0 SCALE 5 at V + 3 pages */
	const struct enc w[] = { { 2, 0, 3, 0x100000 }, { 0, 5, 3, 0x103000 } };
	expect_enc(0x100000, 35, 4096, true, w, 2);
}

Test(cmdq, encode_1_page_leaf_and_nonleaf)
{
	const struct enc leaf[] = { { 0, 0, 3, 0x5000 } };
	expect_enc(0x5000, 1, 4096, true, leaf, 1);
	/* Leaf = 0: TTL 0, and 1 page would be NUM = SCALE = TTL = 0 (reserved):
	 * Linux makes it 2 pages -> NUM 0 SCALE 1. */
	const struct enc nonleaf[] = { { 0, 1, 0, 0x5000 } };
	expect_enc(0x5000, 1, 4096, false, nonleaf, 1);
}

Test(cmdq, encode_32_31_and_33_pages)
{
	const struct enc p32[] = { { 0, 5, 3, 0 } };
	expect_enc(0, 32, 4096, true, p32, 1);
	const struct enc p31[] = { { 30, 0, 3, 0 } }; /* ctz 0, (31 & 31) = 31 */
	expect_enc(0, 31, 4096, true, p31, 1);
	/* 33 = 1 + 32: ctz 0, (33 & 31) = 1 -> 1 page; then 32 -> SCALE 5 */
	const struct enc p33[] = { { 0, 0, 3, 0 }, { 0, 5, 3, 0x1000 } };
	expect_enc(0, 33, 4096, true, p33, 2);
	/* Leaf = 0: 33 & 31 == 1 -> 34 pages: ctz 1, (17 & 31) = 17 -> NUM 16 SCALE 1 */
	const struct enc p33n[] = { { 16, 1, 0, 0 } };
	expect_enc(0, 33, 4096, false, p33n, 1);
}

Test(cmdq, encode_blocks_carry_their_level_in_ttl)
{
	/* 2 MB leaf: 512 pages, ctz 9 -> NUM 0 SCALE 9, TTL = 4 - (21 - 3) / 9 = 2 */
	const struct enc b2m[] = { { 0, 9, 2, 0x200000 } };
	expect_enc(0x200000, 512, 2ull << 20, true, b2m, 1);
	/* 1 GB leaf: 2^18 pages, TTL = 4 - (30 - 3) / 9 = 1 */
	const struct enc b1g[] = { { 0, 18, 1, 0x40000000 } };
	expect_enc(0x40000000, 1ull << 18, 1ull << 30, true, b1g, 1);
}

Test(cmdq, encode_maximum_range)
{
	/* 0x1f * 2^31 pages: ctz 31, (0x1f & 31) = 31 -> NUM 30 SCALE 31, one command */
	const struct enc m[] = { { 30, 31, 3, 0 } };
	expect_enc(0, 0x1full << 31, 4096, true, m, 1);
	/* 2^36 pages (the whole 48-bit space): ctz 36 exceeds the 5-bit SCALE;
	 * capped: SCALE 31, NUM 31 (32 * 2^31 pages), one command */
	const struct enc all[] = { { 31, 31, 3, 0 } };
	expect_enc(0, 1ull << 36, 4096, true, all, 1);
}

Test(cmdq, encode_without_range_is_one_command_per_granule)
{
	uint64_t cmds[4][2];
	cr_assert_eq(iom_smmu_drv_build_tlbi_va(cmds, 1, 0x10000, 0x4000, 4096, true, false), 4);
	for (int i = 0; i < 4; i++) {
		cr_expect_eq(smmu_cmd_tg(cmds[i]), 0);
		cr_expect_eq(smmu_cmd_num(cmds[i]), 0);
		cr_expect_eq(smmu_cmd_scale(cmds[i]), 0);
		cr_expect_eq(smmu_cmd_ttl(cmds[i]), 0);
		cr_expect_eq(smmu_cmd_addr(cmds[i]), 0x10000 + (uint64_t)i * 0x1000);
	}
	/* 2 MB granule over 4 MB: 2 commands */
	cr_assert_eq(iom_smmu_drv_build_tlbi_va(NULL, 1, 0, 4 << 20, 2 << 20, true, false), 2);
}

Test(cmdq, range_tlbi_of_35_pages_drops_exactly_35_entries)
{
	uint64_t done;
	OK(iom_pt_map(F.pt, 0x100000, 0x90100000, 40 * 0x1000, 0x1000, URW, &F.err));
	s1_dev(5, 1);
	for (uint64_t i = 0; i < 40; i++)
		txn(5, 0x100000 + i * 0x1000);
	cr_assert_eq(iom_cache_valid(iom_smmu_tlb(F.smmu)), 40);
	OK(iom_smmu_drv_tlbi(F.drv, 1, 0x100000, 35 * 0x1000, 4096, true, true, tick(), &done,
			     &F.err));
	cr_assert_eq(iom_smmu_stats(F.smmu)->cmd_by_op[SMMU_CMD_TLBI_NH_VA], 2);
	cr_assert_eq(iom_smmu_stats(F.smmu)->range_tlbis, 2);
	cr_assert_eq(iom_smmu_stats(F.smmu)->tlbi_dropped, 35);
	cr_assert_eq(iom_cache_valid(iom_smmu_tlb(F.smmu)), 5);
	for (uint64_t i = 0; i < 40; i++)
		cr_expect_eq(tlb_has(1, 0, 0, 0x100000 + i * 0x1000), i >= 35, "page %llu",
			     (unsigned long long)i);
}

/* ---- cost ---- */

Test(cmdq, by_key_invalidation_costs_only_cmd_cycles)
{
	uint64_t done, t0 = tick();
	OK(issue_at(tlbi(SMMU_CMD_TLBI_NH_VA, 0, 1, 0x1000, 0), t0, &done));
	/* 2 writes (2D), TLBI fetch D + 4P, SYNC fetch D + 10P */
	cr_assert_eq(done, t0 + 4 * D + 14 * P);
	cr_assert_eq(iom_smmu_stats(F.smmu)->inval_steps, 0);
}

Test(cmdq, scope_invalidation_costs_a_walk_of_the_largest_cache)
{
	uint64_t done, t0 = tick();
	OK(issue_at(tlbi(SMMU_CMD_TLBI_NH_ASID, 0, 1, 0, 0), t0, &done));
	/* TLB 256 sets: (256 - 1) * 1 cycle extra */
	cr_assert_eq(done, t0 + 4 * D + 14 * P + 255 * P);
	cr_assert_eq(iom_smmu_stats(F.smmu)->inval_steps, 255);
}

Test(cmdq, range_invalidation_costs_one_probe_per_granule_up_to_the_sets)
{
	uint64_t done, t0 = tick();
	/* 3 granules, Leaf = 1: min(3, 256) = 3 probes -> 2 extra cycles */
	OK(issue_at(ranged(tlbi(SMMU_CMD_TLBI_NH_VA, 0, 1, 0, 1), 1, 2, 0, 3), t0, &done));
	cr_assert_eq(done, t0 + 4 * D + 14 * P + 2 * P);
	/* 1024 granules: min(1024, 256) = 256 -> 255 extra */
	t0 = tick();
	OK(issue_at(ranged(tlbi(SMMU_CMD_TLBI_NH_VA, 0, 1, 0, 1), 1, 0, 10, 3), t0, &done));
	cr_assert_eq(done, t0 + 4 * D + 14 * P + 255 * P);
}

Test(cmdq, sync_latency_is_recorded_from_the_doorbell)
{
	uint64_t done, t0 = tick();
	OK(issue_at(mk(SMMU_CMD_PREFETCH_CONFIG), t0, &done));
	const struct iom_hist *h = &iom_smmu_stats(F.smmu)->sync_latency_ps;
	/* doorbell at t0 + 2D; PREFETCH D + 4P, SYNC D + 10P */
	cr_assert_eq(h->max, 2 * D + 14 * P);
	cr_assert_eq(done, t0 + 4 * D + 14 * P);
}

/* ---- CMD_SYNC completion signals ---- */

static void with_msi(struct iom_smmu_cfg *c) { c->msi = true; }

static struct cmd sync_cmd(uint32_t cs, uint64_t msiaddr, uint32_t data)
{
	struct cmd c = mk(SMMU_CMD_SYNC);
	smmu_cmd_set_sync_cs(c.w, cs);
	smmu_cmd_set_sync_msiaddr(c.w, msiaddr);
	smmu_cmd_set_sync_msidata(c.w, data);
	return c;
}

static int submit1(struct cmd c, uint64_t now, uint64_t *done)
{
	uint64_t cmds[1][2] = { { c.w[0], c.w[1] } };
	return iom_smmu_drv_submit(F.drv, (const uint64_t(*)[2])cmds, 1, now, done, &F.err);
}

Test(cmdq_cfg, sync_cs_irq_writes_msidata_at_msiaddress)
{
	uint64_t done, t0;
	up(with_msi, 6);
	cr_assert_eq(smmu_idr0_msi(iom_smmu_read_idr(F.smmu, 0)), 1);
	iom_mem_wr64(F.mem, 0x20000000, 0);
	t0 = tick();
	OK(submit1(sync_cmd(SMMU_SYNC_CS_IRQ, 0x20000000, 0xdeadbeef), t0, &done));
	uint32_t w = 0;
	iom_mem_read(F.mem, 0x20000000, &w, sizeof(w), NULL);
	cr_assert_eq(w, 0xdeadbeef);
	const struct iom_smmu_stats *st = iom_smmu_stats(F.smmu);
	cr_assert_eq(st->sync_msi_writes, 1);
	cr_assert_eq(st->sync_irqs, 0);
	/* write D, ring; SYNC fetch D + 10P completes; the MSI write lands D later */
	cr_assert_eq(iom_smmu_last_sync_ps(F.smmu), t0 + 2 * D + 10 * P);
	cr_assert_eq(iom_smmu_last_msi_ps(F.smmu), t0 + 3 * D + 10 * P);
}

Test(cmdq, sync_cs_irq_without_msi_or_address_is_a_wired_irq)
{
	uint64_t done;
	iom_mem_wr64(F.mem, 0x20000000, 0);
	OK(submit1(sync_cmd(SMMU_SYNC_CS_IRQ, 0x20000000, 0xdeadbeef), tick(), &done));
	uint32_t w = 1;
	iom_mem_read(F.mem, 0x20000000, &w, sizeof(w), NULL);
	cr_assert_eq(w, 0, "no MSI without IDR0.MSI");
	cr_assert_eq(iom_smmu_stats(F.smmu)->sync_irqs, 1);
	cr_assert_eq(iom_smmu_stats(F.smmu)->sync_msi_writes, 0);
}

Test(cmdq, sync_cs_sev_counts_an_event_and_cs_3_is_illegal)
{
	uint64_t done;
	OK(submit1(sync_cmd(SMMU_SYNC_CS_SEV, 0, 0), tick(), &done));
	cr_assert_eq(iom_smmu_stats(F.smmu)->sync_sevs, 1);
	cr_assert_eq(submit1(sync_cmd(3, 0, 0), tick(), &done), -IOM_EIO);
	cr_assert_eq(smmu_cmdq_cons_err(iom_smmu_read_cmdq_cons(F.smmu)), SMMU_CERROR_ILL);
	cr_assert_eq(iom_smmu_stats(F.smmu)->syncs, 1);
}

Test(cmdq_cfg, driver_polls_the_msi_of_its_own_sync)
{
	uint64_t done, t0;
	up(with_msi, 6);
	t0 = tick();
	OK(iom_smmu_drv_tlbi_range(F.drv, 1, 0x1000, 0x1000, 0x1000, true, t0, &done, &F.err));
	/* TLBI + SYNC written (2D), TLBI D + 4P, SYNC D + 10P, MSI write D */
	cr_assert_eq(done, t0 + 5 * D + 14 * P);
	cr_assert_eq(iom_smmu_drv_stats(F.drv)->sync_msi_polls, 1);
	cr_assert_eq(iom_smmu_stats(F.smmu)->sync_msi_writes, 1);
}

Test(cmdq, driver_without_msi_uses_sev_and_polls_cons)
{
	uint64_t done, t0 = tick();
	OK(iom_smmu_drv_tlbi_range(F.drv, 1, 0x1000, 0x1000, 0x1000, true, t0, &done, &F.err));
	cr_assert_eq(done, t0 + 4 * D + 14 * P);
	cr_assert_eq(iom_smmu_stats(F.smmu)->sync_sevs, 1);
	cr_assert_eq(iom_smmu_drv_stats(F.drv)->sync_msi_polls, 0);
}

/* ---- ATS / PRI hand-off ---- */

static struct {
	int calls, pri_calls, ret;
	uint32_t sid, ssid, size, prgi, resp;
	bool ssv, global;
	uint64_t addr, now, delay;
} H;

static int hook_atc(void *ctx, uint32_t sid, uint32_t ssid, bool ssv, bool global, uint64_t addr,
		    uint32_t size_log2, uint64_t now_ps, uint64_t *done_ps)
{
	cr_assert_eq(ctx, &H);
	H.calls++;
	H.sid = sid;
	H.ssid = ssid;
	H.ssv = ssv;
	H.global = global;
	H.addr = addr;
	H.size = size_log2;
	H.now = now_ps;
	*done_ps = now_ps + H.delay;
	return H.ret;
}

static int hook_pri(void *ctx, uint32_t sid, uint32_t ssid, bool ssv, uint32_t prgi, uint32_t resp,
		    uint64_t now_ps)
{
	(void)ctx;
	H.pri_calls++;
	H.sid = sid;
	H.ssid = ssid;
	H.ssv = ssv;
	H.prgi = prgi;
	H.resp = resp;
	H.now = now_ps;
	return 0;
}

static const struct iom_smmu_ats_ops hooks = { .atc_inv = hook_atc, .pri_resp = hook_pri };

static struct cmd atc(uint32_t sid, uint32_t ssid, uint32_t ssv, uint32_t global, uint64_t addr,
		      uint32_t size)
{
	struct cmd c = mk(SMMU_CMD_ATC_INV);
	smmu_cmd_set_sid(c.w, sid);
	smmu_cmd_set_ssid(c.w, ssid);
	smmu_cmd_set_ssv(c.w, ssv);
	smmu_cmd_set_atc_global(c.w, global);
	smmu_cmd_set_addr(c.w, addr);
	smmu_cmd_set_atc_size(c.w, size);
	return c;
}

Test(cmdq, atc_inv_reaches_the_hook_decoded_and_sync_waits_for_it)
{
	uint64_t done, t0 = tick();
	memset(&H, 0, sizeof(H));
	H.delay = 5000000; /* the device answers 5 us later */
	iom_smmu_set_ats_ops(F.smmu, &hooks, &H);
	OK(issue_at(atc(7, 3, 1, 1, 0x12345000, 2), t0, &done));
	cr_assert_eq(H.calls, 1);
	cr_assert_eq(H.sid, 7);
	cr_assert_eq(H.ssid, 3);
	cr_assert(H.ssv);
	cr_assert(H.global);
	cr_assert_eq(H.addr, 0x12344000); /* span 16 KB: aligned down */
	cr_assert_eq(H.size, 2);
	/* doorbell at t0 + 2D; ATC_INV fetched (D) and executed (4P) */
	cr_assert_eq(H.now, t0 + 3 * D + 4 * P);
	/* the SYNC (ready at t0 + 4D + 14P) waits for the completion */
	cr_assert_eq(done, t0 + 3 * D + 4 * P + 5000000);
	cr_assert_eq(iom_smmu_last_sync_ps(F.smmu), done);
}

Test(cmdq, atc_inv_global_needs_ssv_and_size_52_is_everything)
{
	uint64_t done;
	memset(&H, 0, sizeof(H));
	iom_smmu_set_ats_ops(F.smmu, &hooks, &H);
	OK(issue_at(atc(7, 3, 0, 1, 0x12345000, 52), tick(), &done));
	cr_assert(!H.ssv);
	cr_assert(!H.global, "Global is IGNORED when SSV == 0");
	cr_assert_eq(H.addr, 0);
	cr_assert_eq(H.size, 52);
}

Test(cmdq, atc_inv_timeout_stops_the_queue_at_the_sync)
{
	uint64_t done;
	memset(&H, 0, sizeof(H));
	H.ret = 1;
	iom_smmu_set_ats_ops(F.smmu, &hooks, &H);
	/* The SYNC stops with CERROR_ATC_INV_SYNC (counted); the driver acknowledges
	 * it as arm_smmu_cmdq_skip_err() does, the SYNC runs again and completes. */
	OK(issue_at(atc(7, 0, 0, 0, 0, 0), tick(), &done));
	cr_assert_eq(iom_smmu_stats(F.smmu)->atc_sync_errors, 1, "stopped once on the SYNC");
	cr_assert_eq(iom_smmu_drv_stats(F.drv)->atc_sync_retries, 1);
	cr_assert_eq(smmu_cmdq_cons_err(iom_smmu_read_cmdq_cons(F.smmu)), SMMU_CERROR_NONE);
	cr_assert_eq(iom_smmu_stats(F.smmu)->syncs, 1);
}

Test(cmdq, atc_inv_size_above_52_is_illegal)
{
	uint64_t done;
	cr_assert_eq(issue_at(atc(7, 0, 0, 0, 0, 53), tick(), &done), -IOM_EIO);
	cr_assert_eq(smmu_cmdq_cons_err(iom_smmu_read_cmdq_cons(F.smmu)), SMMU_CERROR_ILL);
}

Test(cmdq, pri_resp_reaches_the_hook_decoded)
{
	uint64_t done, t0 = tick();
	memset(&H, 0, sizeof(H));
	iom_smmu_set_ats_ops(F.smmu, &hooks, &H);
	struct cmd c = mk(SMMU_CMD_PRI_RESP);
	smmu_cmd_set_sid(c.w, 9);
	smmu_cmd_set_ssid(c.w, 4);
	smmu_cmd_set_ssv(c.w, 1);
	smmu_cmd_set_pri_prgi(c.w, 0x1ab);
	smmu_cmd_set_pri_resp(c.w, SMMU_PRI_RESP_SUCCESS);
	OK(issue_at(c, t0, &done));
	cr_assert_eq(H.pri_calls, 1);
	cr_assert_eq(H.sid, 9);
	cr_assert_eq(H.ssid, 4);
	cr_assert(H.ssv);
	cr_assert_eq(H.prgi, 0x1ab);
	cr_assert_eq(H.resp, 2);
	cr_assert_eq(H.now, t0 + 3 * D + 4 * P);
	smmu_cmd_set_pri_resp(c.w, 3);
	cr_assert_eq(issue_at(c, tick(), &done), -IOM_EIO);
	cr_assert_eq(H.pri_calls, 1);
}

Test(cmdq, atc_inv_and_pri_resp_are_ignored_while_smmu_disabled)
{
	uint64_t done;
	memset(&H, 0, sizeof(H));
	iom_smmu_set_ats_ops(F.smmu, &hooks, &H);
	iom_smmu_write_cr0(F.smmu, SMMU_CR0_CMDQEN | SMMU_CR0_EVTQEN);
	OK(issue_at(atc(7, 0, 0, 0, 0, 0), tick(), &done));
	struct cmd c = mk(SMMU_CMD_PRI_RESP);
	OK(issue_at(c, tick(), &done));
	cr_assert_eq(H.calls + H.pri_calls, 0);
	cr_assert_eq(iom_smmu_stats(F.smmu)->cmd_ignored, 2);
}

/* ---- commands this configuration does not have ---- */

ParameterizedTestParameters(cmdq, absent_commands_raise_cerror_ill)
{
	static uint32_t ops[] = {
		0x00, SMMU_CMD_CFGI_VMS_PIDM, 0x08, SMMU_CMD_TLBI_EL3_ALL, SMMU_CMD_TLBI_EL3_VA,
		SMMU_CMD_RESUME, SMMU_CMD_STALL_TERM, 0x50, 0x51, 0x52, 0x53, 0x58, 0x5A,
		SMMU_CMD_TLBI_SNH_ALL, SMMU_CMD_DPTI_ALL, SMMU_CMD_DPTI_PA, 0x80, 0xff,
	};
	return cr_make_param_array(uint32_t, ops, sizeof(ops) / sizeof(ops[0]));
}

ParameterizedTest(uint32_t *op, cmdq, absent_commands_raise_cerror_ill)
{
	uint64_t done;
	cr_assert_eq(issue_at(mk(*op), tick(), &done), -IOM_EIO, "opcode 0x%02x", *op);
	uint32_t cons = iom_smmu_read_cmdq_cons(F.smmu);
	cr_assert_eq(smmu_cmdq_cons_err(cons), SMMU_CERROR_ILL, "opcode 0x%02x", *op);
	cr_assert_eq(smmu_q_idx(cons, 6), 0, "CONS stays on the command");
	cr_assert_eq(iom_smmu_stats(F.smmu)->cmd_illegal, 1);
	cr_assert_eq(iom_smmu_stats(F.smmu)->commands, 0);
}

/* ---- back-pressure ---- */

Test(cmdq_cfg, full_queue_stalls_the_driver_in_time_without_error)
{
	uint64_t done, t0;
	up(NULL, 2); /* 4-entry command queue */
	t0 = tick();
	/* 10 TLBI_NH_VA + SYNC = 11 commands through 4 slots. Each TLBI is
	 * consumed D + 4P after the previous one; the driver writes take D.
	 *  cmds 0-3 written by t0 + 4D; queue full: doorbell at t0 + 4D; the SMMU
	 *    consumes them at t0 + 5D+4P, 6D+8P, 7D+12P, 8D+16P;
	 *  cmd 4 waits for slot 0 (5D+4P: wait D+4P), written by 6D+4P;
	 *  cmds 5, 6, 7 each wait 4P for their slot (written by 7D+8P, 8D+12P,
	 *    9D+16P);
	 *  cmd 8: full again: doorbell at 9D+16P, the engine (busy to 8D+16P)
	 *    consumes cmds 4-7 at 10D+20P, 11D+24P, 12D+28P, 13D+32P; cmd 8 waits
	 *    for slot 0 (D+4P), written by 11D+20P;
	 *  cmd 9 and the SYNC wait 4P each, written by 12D+24P and 13D+28P;
	 *  doorbell at 13D+28P: cmds 8, 9 at 14D+36P, 15D+40P; SYNC D + 10P.
	 * Stalls: 7; waited: 2 (D + 4P) + 5 * 4P = 2D + 28P. */
	OK(iom_smmu_drv_tlbi_range(F.drv, 1, 0, 10 * 0x1000, 0x1000, true, t0, &done, &F.err));
	const struct iom_smmu_drv_stats *ds = iom_smmu_drv_stats(F.drv);
	cr_assert_eq(ds->cmdq_full_stalls, 7);
	cr_assert_eq(ds->cmdq_full_wait_ps, 2 * D + 28 * P);
	cr_assert_eq(ds->doorbells, 3);
	cr_assert_eq(done, t0 + 16 * D + 50 * P);
	cr_assert_eq(iom_smmu_stats(F.smmu)->cmd_by_op[SMMU_CMD_TLBI_NH_VA], 10);
	cr_assert_eq(smmu_cmdq_cons_err(iom_smmu_read_cmdq_cons(F.smmu)), SMMU_CERROR_NONE);
}

/* ---- stats names ---- */

Test(cmdq, per_command_counters_and_sync_histogram_are_registered)
{
	struct iom_stats *st = iom_stats_create();
	double v;
	issue(tlbi(SMMU_CMD_TLBI_S12_VMALL, 0, 0, 0, 0));
	OK(iom_smmu_register_stats(F.smmu, st, "smmu0", &F.err));
	OK(iom_stats_get(st, NULL, "smmu0.cmd.TLBI_S12_VMALL", &v));
	cr_assert_eq(v, 1.0);
	OK(iom_stats_get(st, NULL, "smmu0.cmd.SYNC", &v));
	cr_assert_eq(v, 1.0);
	OK(iom_stats_get(st, NULL, "smmu0.cmd.ATC_INV", &v));
	cr_assert_eq(v, 0.0);
	OK(iom_stats_get(st, NULL, "smmu0.inval_steps", &v));
	cr_assert_eq(v, 255.0); /* TLB 256 sets */
	iom_stats_destroy(st);
}
