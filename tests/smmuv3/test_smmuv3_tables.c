/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_smmuv3_tables.c - 2-level stream tables (L1STD, IHI0070 5.1, 7.3.3)
 * and 2-level CD tables (L1CD, 5.3; STE.S1Fmt 5.2), built by hand in memory.
 *
 * Expected values follow from the spec's index rules:
 *   stream table: L1 index = SID >> SPLIT, L2 index = SID[SPLIT-1:0],
 *     L1STD Span s => an L2 table of 2^(s-1) STEs; C_BAD_STREAMID when
 *     Span == 0, Span > SPLIT + 1, or L2 index >= 2^(Span-1);
 *   CD table, S1Fmt 1: L1 index = SSID[S1CDMax-1:6], L2 index = SSID[5:0];
 *     S1Fmt 2: split at 10; S1CDMax <= split uses L1CD #0 only;
 *     L1CD.V == 0 => C_BAD_SUBSTREAMID.
 * The driver sets up the queues and enables the SMMU; the tables under test
 * are written directly, as a guest driver's stores would.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "log.h"
#include "mem.h"
#include "pgtable.h"
#include "smmuv3-regs.h"
#include "smmuv3.h"
#include "smmuv3_drv.h"

#define MS 1000000000ull
#define L1_BASE 0x1000000ull   /* level-1 stream table */
#define L2_BASE 0x2000000ull   /* level-2 stream tables */
#define CD_L1 0x3000000ull     /* level-1 CD table */
#define CD_L2 0x3100000ull     /* level-2 CD tables */

static struct {
	struct iom_mem *mem;
	struct iom_palloc *pa;
	struct iom_smmu *smmu;
	struct iom_smmu_drv *drv;
	struct iom_pt *pt;
	struct iom_err err;
	uint64_t now;
} F;

static void fx_init(void)
{
	struct iom_mem_cfg mc = { .addr_bits = 40, .dram_latency_ps = 80000 };
	struct iom_smmu_cfg sc;
	struct iom_pt_cfg pc = { .fmt = IOM_PT_VMSA64_S1, .granule_shift = 12, .ia_bits = 48,
				 .oa_bits = 48 };
	struct iom_pt_alloc alloc;

	memset(&F, 0, sizeof(F));
	iom_log_enable(IOM_LOG_GUEST_ERROR, 0);
	F.mem = iom_mem_create(&mc, &F.err);
	cr_assert_not_null(F.mem);
	F.pa = iom_palloc_create(F.mem, 0x10000000, 0x4000000, &F.err);
	cr_assert_not_null(F.pa);
	iom_smmu_cfg_default(&sc); /* SIDSIZE 16, SSIDSIZE 20 */
	F.smmu = iom_smmu_create(&sc, F.mem, "smmu0", &F.err);
	cr_assert_not_null(F.smmu);
	F.drv = iom_smmu_drv_create(F.smmu, F.mem, F.pa, 8, 6, 3, &F.err);
	cr_assert_not_null(F.drv, "%s", F.err.msg);
	iom_palloc_as_pt_alloc(F.pa, &alloc);
	F.pt = iom_pt_create(F.mem, &pc, &alloc, &F.err);
	cr_assert_not_null(F.pt);
	cr_assert_eq(iom_pt_map(F.pt, 0x40000000, 0x80000000, 0x1000, 0x1000,
				IOM_PTE_R | IOM_PTE_W | IOM_PTE_USER | IOM_PTE_NG, &F.err), 0);
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

TestSuite(smmu_tables, .init = fx_init, .fini = fx_fini);

static void wr64(uint64_t pa, uint64_t v)
{
	cr_assert_eq(iom_mem_write(F.mem, pa, &v, 8, &F.err), 0, "%s", F.err.msg);
}

static void wr_words(uint64_t pa, const uint64_t *w)
{
	cr_assert_eq(iom_mem_write(F.mem, pa, w, 64, &F.err), 0, "%s", F.err.msg);
}

static void strtab_2lvl(uint64_t base, uint32_t log2size, uint32_t split)
{
	cr_assert_eq(iom_smmu_write_strtab(F.smmu, base, smmu_strtab_cfg_make_2lvl(log2size, split),
					   &F.err), 0, "%s", F.err.msg);
}

static void ste_bypass(uint64_t pa)
{
	uint64_t ste[8] = { 0 };
	smmu_ste_set_v(ste, 1);
	smmu_ste_set_config(ste, SMMU_STE_CFG_BYPASS);
	wr_words(pa, ste);
}

static void ste_s1(uint64_t pa, uint64_t ctxptr, uint32_t s1fmt, uint32_t s1cdmax)
{
	uint64_t ste[8] = { 0 };
	smmu_ste_set_v(ste, 1);
	smmu_ste_set_config(ste, SMMU_STE_CFG_S1);
	smmu_ste_set_s1fmt(ste, s1fmt);
	smmu_ste_set_s1ctxptr(ste, ctxptr);
	smmu_ste_set_s1cdmax(ste, s1cdmax);
	wr_words(pa, ste);
}

static void cd_at(uint64_t pa, uint16_t asid)
{
	uint64_t cd[8] = { 0 };
	smmu_cd_set_t0sz(cd, 16);
	smmu_cd_set_epd1(cd, 1);
	smmu_cd_set_v(cd, 1);
	smmu_cd_set_ips(cd, 5);
	smmu_cd_set_aa64(cd, 1);
	smmu_cd_set_r(cd, 1);
	smmu_cd_set_a(cd, 1);
	smmu_cd_set_asid(cd, asid);
	smmu_cd_set_ttb0(cd, iom_pt_root(F.pt));
	wr_words(pa, cd);
}

static struct iom_txn go(uint32_t sid, int64_t ssid, uint64_t iova)
{
	F.now += MS;
	struct iom_txn t = { .rid = sid, .iova = iova, .size = 64, .issue_ps = F.now };
	if (ssid >= 0) {
		t.pasid = (uint32_t)ssid;
		t.flags = IOM_TXN_PASID_VALID;
	}
	cr_assert_eq(iom_smmu_translate(F.smmu, &t, &F.err), 0, "%s", F.err.msg);
	return t;
}

static void expect_event(uint64_t w0, uint64_t w3)
{
	uint64_t ev[4];
	cr_assert_eq(iom_smmu_drv_read_event(F.drv, ev), 1, "no event");
	cr_expect_eq(ev[0], w0, "word0 0x%016llx != 0x%016llx", (unsigned long long)ev[0],
		     (unsigned long long)w0);
	cr_expect_eq(ev[1], 0);
	cr_expect_eq(ev[2], 0);
	cr_expect_eq(ev[3], w3, "word3 0x%016llx != 0x%016llx", (unsigned long long)ev[3],
		     (unsigned long long)w3);
}

/* ---- 2-level stream table ---- */

Test(smmu_tables, two_level_ste_is_found_through_its_l1std)
{
	strtab_2lvl(L1_BASE, 16, 8);
	/* SID 0x0305: L1 index 3 (at L1_BASE + 24), L2 index 5 */
	wr64(L1_BASE + 3 * 8, smmu_l1std_make(L2_BASE, 9)); /* Span 9: 256 STEs */
	ste_bypass(L2_BASE + 5 * 64);
	struct iom_txn t = go(0x0305, -1, 0x12345);
	cr_assert_eq(t.status, IOM_TXN_OK);
	cr_expect_eq(t.pa, 0x12345); /* bypass */
	cr_expect_eq(t.cfg_reads, 2); /* L1STD + STE */
	/* the STE is now cached: no read, not even the L1STD */
	t = go(0x0305, -1, 0x777);
	cr_expect_eq(t.cfg_reads, 0);
	cr_expect_eq(iom_smmu_stats(F.smmu)->l1_desc_reads, 1);
}

Test(smmu_tables, l2ptr_low_bits_below_the_table_size_read_as_zero)
{
	strtab_2lvl(L1_BASE, 16, 8);
	/* Span 3: a 4-STE (256-byte) table, so L2Ptr bits [7:0] are ignored:
	 * an L1STD pointing at L2_BASE + 0xc0 still means L2_BASE. */
	wr64(L1_BASE + 1 * 8, smmu_l1std_make(L2_BASE + 0xc0, 3));
	ste_bypass(L2_BASE + 2 * 64); /* SID 0x102: L1 1, L2 2 */
	cr_assert_eq(go(0x102, -1, 0x1000).status, IOM_TXN_OK);
}

Test(smmu_tables, span_zero_is_c_bad_streamid_after_one_read)
{
	strtab_2lvl(L1_BASE, 16, 8);
	struct iom_txn t = go(0x0410, -1, 0x1000); /* L1STD #4 is zero */
	cr_assert_eq(t.status, IOM_TXN_ABORT);
	cr_expect_eq(t.fault, SMMU_EVT_C_BAD_STREAMID);
	cr_expect_eq(t.cfg_reads, 1);
	expect_event(0x02ull | (0x0410ull << 32), 0);
}

Test(smmu_tables, sid_beyond_the_span_is_c_bad_streamid)
{
	strtab_2lvl(L1_BASE, 16, 8);
	wr64(L1_BASE + 2 * 8, smmu_l1std_make(L2_BASE, 2)); /* Span 2: STEs 0 and 1 only */
	ste_bypass(L2_BASE + 1 * 64);
	cr_expect_eq(go(0x201, -1, 0x1000).status, IOM_TXN_OK);
	struct iom_txn t = go(0x202, -1, 0x1000); /* L2 index 2 >= 2^(2-1) */
	cr_assert_eq(t.status, IOM_TXN_ABORT);
	cr_expect_eq(t.fault, SMMU_EVT_C_BAD_STREAMID);
}

Test(smmu_tables, span_above_split_plus_one_is_c_bad_streamid)
{
	strtab_2lvl(L1_BASE, 16, 8);
	wr64(L1_BASE + 0, smmu_l1std_make(L2_BASE, 10)); /* SPLIT 8 allows Span <= 9 */
	ste_bypass(L2_BASE);
	cr_expect_eq(go(0x0, -1, 0x1000).fault, SMMU_EVT_C_BAD_STREAMID);
}

Test(smmu_tables, l1std_fetch_abort_is_f_ste_fetch_with_the_l1std_address)
{
	/* memory is 40 bits: SID 0x8000 -> L1 index 0x80 -> 0xfffffffc00 + 0x400 = 2^40 */
	strtab_2lvl(0xfffffffc00ull, 16, 8);
	struct iom_txn t = go(0x8000, -1, 0x1000);
	cr_assert_eq(t.status, IOM_TXN_ABORT);
	cr_expect_eq(t.fault, SMMU_EVT_F_STE_FETCH);
	expect_event(0x03ull | (0x8000ull << 32), 1ull << 40);
}

Test(smmu_tables, reserved_split_is_rejected)
{
	cr_assert_eq(iom_smmu_write_strtab(F.smmu, L1_BASE, smmu_strtab_cfg_make_2lvl(16, 7),
					   &F.err), -IOM_EINVAL);
	cr_expect(strstr(F.err.msg, "SPLIT=7") != NULL, "%s", F.err.msg);
}

/* ---- 2-level CD tables ---- */

static uint64_t linear_ste(uint32_t sid)
{
	return iom_smmu_drv_strtab(F.drv) + (uint64_t)sid * 64;
}

Test(smmu_tables, s1fmt_64cd_leaf_indexes_ssid_5_0)
{
	/* S1CDMax 8: SSID 0x47 -> L1CD #1 (0x47 >> 6), CD 7 of that leaf */
	ste_s1(linear_ste(9), CD_L1, SMMU_S1FMT_64CD, 8);
	wr64(CD_L1 + 1 * 8, smmu_l1cd_make(CD_L2));
	cd_at(CD_L2 + 7 * 64, 42);
	struct iom_txn t = go(9, 0x47, 0x40000010);
	cr_assert_eq(t.status, IOM_TXN_OK, "fault 0x%x", t.fault);
	cr_expect_eq(t.pa, 0x80000010);
	cr_expect_eq(t.cfg_reads, 3); /* STE, L1CD, CD */
	cr_expect_eq(t.walk_reads, 4);
}

Test(smmu_tables, s1fmt_1024cd_with_small_s1cdmax_uses_l1cd_zero)
{
	/* S1CDMax 4 <= split 10: only L1CD #0, CD index = SSID = 9 */
	ste_s1(linear_ste(10), CD_L1, SMMU_S1FMT_1024CD, 4);
	wr64(CD_L1, smmu_l1cd_make(CD_L2 + 0x10000));
	cd_at(CD_L2 + 0x10000 + 9 * 64, 43);
	struct iom_txn t = go(10, 9, 0x40000020);
	cr_assert_eq(t.status, IOM_TXN_OK, "fault 0x%x", t.fault);
	cr_expect_eq(t.pa, 0x80000020);
}

Test(smmu_tables, invalid_l1cd_is_c_bad_substreamid)
{
	ste_s1(linear_ste(11), CD_L1, SMMU_S1FMT_64CD, 8);
	/* L1CD #2 left invalid (V = 0) with a non-zero pointer: still invalid */
	wr64(CD_L1 + 2 * 8, smmu_l1cd_l2ptr(CD_L2));
	struct iom_txn t = go(11, 0x80, 0x40000000);
	cr_assert_eq(t.status, IOM_TXN_ABORT);
	cr_expect_eq(t.fault, SMMU_EVT_C_BAD_SUBSTREAMID);
	cr_expect_eq(t.cfg_reads, 2); /* STE, L1CD */
	/* word 0: ID 0x08, SSV bit 11, SSID 0x80 at [31:12], SID 11 at [63:32] */
	expect_event(0x08ull | (1ull << 11) | (0x80ull << 12) | (11ull << 32), 0);
}

Test(smmu_tables, cd_fetch_abort_is_f_cd_fetch_with_the_cd_address)
{
	ste_s1(linear_ste(12), 0xffffffff00ull, SMMU_S1FMT_LINEAR, 4);
	/* CD 5 at 0xffffffff00 + 5 * 64 = 0x10000000040: beyond 2^40 */
	struct iom_txn t = go(12, 5, 0x40000000);
	cr_assert_eq(t.status, IOM_TXN_ABORT);
	cr_expect_eq(t.fault, SMMU_EVT_F_CD_FETCH);
	expect_event(0x09ull | (1ull << 11) | (5ull << 12) | (12ull << 32), 0x10000000040ull);
}
