/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_smmuv3_drv.c - the SMMUv3 driver side: stream-table and CD-table
 * formats (linear / 2-level with lazily allocated leaves), the hitless and
 * breaking STE/CD update sequences of Linux's arm_smmu_write_entry(), and
 * the invariant that the SMMU never sees a half-written entry.
 *
 * Expected values come from the rules, not from runs:
 *  - 2-level stream table (Linux STRTAB_SPLIT = 8): L1 index = SID >> 8,
 *    L2 index = SID & 255; a leaf holds 256 STEs (16 KB, aligned to its
 *    size since L1STD.L2Ptr[5 + Span - 1:0] read as zero, Span 9);
 *  - 2-level CD table (CTXDESC_SPLIT = 10, S1Fmt = 2): L1 index = SSID >> 10,
 *    a leaf holds 1024 CDs (64 KB); L1CD = L2Ptr | V;
 *  - used bits (arm_smmu_get_ste_used): abort uses STE word 0 V + Config;
 *    bypass also SHCFG (word 1); stage 1 uses word 0 (S1Fmt, S1ContextPtr,
 *    S1CDMax), word 1 (S1DSS, S1CIR/COR/CSH, S1STALLD, STRW, EATS, MEV) and
 *    word 2 (S2VMID); a CD with V=0 uses only V, with V=1 every bit;
 *  - one word whose used bits change -> hitless: the words the current entry
 *    does not use, then the critical word, then the words only the old
 *    entry used, one CFGI + CMD_SYNC per step that stored something; two or
 *    more -> breaking: word 0 := 0, words 1..7, word 0.
 * The driver's own STE words (hand-encoded from IHI0070 5.2 / 5.4):
 *   stage-1 STE word 1 = S1CIR WBRA (1 << 2) | S1COR WBRA (1 << 4) |
 *     S1CSH ISH (3 << 6) | S1DSS = 0xd4 | S1DSS;
 *   stage-1 STE word 0 = V | Config 0b101 << 1 | S1Fmt << 4 | ptr | S1CDMax << 59;
 *   bypass word 0 = V | 0b100 << 1 = 0x9; abort word 0 = 0x1;
 *   CD word 0 = T0SZ 16 (0x10) | IRGN0 1 << 8 | ORGN0 1 << 10 | SH0 3 << 12 |
 *     EPD1 1 << 30 | V 1 << 31 | IPS 48 bits (5) << 32 | AA64 1 << 41 | R 1 << 45 |
 *     A 1 << 46 | ASET 1 << 47 | ASID << 48 = 0x0000e205c0003510 | ASID << 48;
 *   CD word 1 = TTB0 (in place), word 3 = MAIR 0xf404ff44.
 * Timing: DRAM latency D = 80 ns for every access, SMMU 1000 MHz (P = 1 ns);
 * a driver store costs D; a command costs its fetch D plus cmd_cycles 4P
 * (CMD_SYNC 10P).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "log.h"
#include "mem.h"
#include "pgtable.h"
#include "smmuv3-regs.h"
#include "smmuv3.h"
#include "smmuv3_drv.h"

#define D 80000ull
#define P 1000ull
#define MS 1000000000ull
#define IOVA0 0x100000ull   /* probe k translates IOVA0 + k * 4K */
#define PA_OLD 0x80000000ull
#define PA_NEW 0x90000000ull
#define NPAGES 64
#define CMDQ_LOG2 8
#define CD_W0 0x0000e205c0003510ull
#define URW (IOM_PTE_R | IOM_PTE_W | IOM_PTE_USER | IOM_PTE_NG)
#define OK(x) cr_assert_eq((x), 0, "%s", F.err.msg)

enum { LIN = IOM_SMMU_DRV_TAB_LINEAR, TWO = IOM_SMMU_DRV_TAB_2LVL, AUTO = IOM_SMMU_DRV_TAB_AUTO };

/* What one probe translation saw. */
enum outcome { O_ABORT, O_BYPASS, O_OLD, O_NEW, O_BAD_STE, O_BAD_CD, O_BAD_SID, O_OTHER };

#define MAX_STORES 64

static struct {
	struct iom_mem *mem;
	struct iom_palloc *pa;
	struct iom_smmu *smmu;
	struct iom_smmu_drv *drv;
	struct iom_pt *pt_old, *pt_new;
	struct iom_err err;
	uint64_t now;
	/* store hook log */
	struct iom_smmu_drv_store st[MAX_STORES];
	unsigned nst;
	/* probing */
	bool probe;
	uint32_t probe_sid;
	uint32_t probe_ssid;
	bool probe_ssv;
	enum outcome out[MAX_STORES];
	uint64_t out_iova[MAX_STORES];
	unsigned nout, next_page;
	bool illegal_seen;
} F;

static uint64_t tick(void)
{
	F.now += MS;
	return F.now;
}

static struct iom_pt *mk_pt(uint64_t pa)
{
	struct iom_pt_cfg pc = { .fmt = IOM_PT_VMSA64_S1, .granule_shift = 12, .ia_bits = 48,
				 .oa_bits = 48 };
	struct iom_pt_alloc alloc;
	iom_palloc_as_pt_alloc(F.pa, &alloc);
	struct iom_pt *pt = iom_pt_create(F.mem, &pc, &alloc, &F.err);
	cr_assert_not_null(pt, "%s", F.err.msg);
	OK(iom_pt_map(pt, IOVA0, pa, NPAGES * 4096ull, 4096, URW, &F.err));
	return pt;
}

static void fx_init(void)
{
	struct iom_mem_cfg mc = { .addr_bits = 40, .dram_latency_ps = D, .llc_latency_ps = 0 };
	struct iom_smmu_cfg sc;

	memset(&F, 0, sizeof(F));
	iom_log_enable(IOM_LOG_GUEST_ERROR, 0);
	F.mem = iom_mem_create(&mc, &F.err);
	cr_assert_not_null(F.mem, "%s", F.err.msg);
	F.pa = iom_palloc_create(F.mem, 0x10000000, 0x4000000, &F.err);
	cr_assert_not_null(F.pa, "%s", F.err.msg);
	iom_smmu_cfg_default(&sc); /* SIDSIZE 16, SSIDSIZE 20, 1000 MHz */
	F.smmu = iom_smmu_create(&sc, F.mem, "smmu0", &F.err);
	cr_assert_not_null(F.smmu, "%s", F.err.msg);
	F.pt_old = mk_pt(PA_OLD);
	F.pt_new = mk_pt(PA_NEW);
	F.now = MS;
}

static void fx_fini(void)
{
	iom_pt_destroy(F.pt_old);
	iom_pt_destroy(F.pt_new);
	iom_smmu_drv_destroy(F.drv);
	iom_smmu_destroy(F.smmu);
	iom_palloc_destroy(F.pa);
	iom_mem_destroy(F.mem);
}

TestSuite(smmu_drv, .init = fx_init, .fini = fx_fini);

static void hook(void *ctx, const struct iom_smmu_drv_store *s);

static void up(uint32_t sid_bits, uint32_t strtab, uint32_t cdtab)
{
	struct iom_smmu_drv_opts o = { .strtab = strtab, .cdtab = cdtab };
	F.drv = iom_smmu_drv_create_opts(F.smmu, F.mem, F.pa, sid_bits, CMDQ_LOG2, 4, &o, &F.err);
	cr_assert_not_null(F.drv, "%s", F.err.msg);
	iom_smmu_drv_set_store_hook(F.drv, hook, NULL);
}

static uint64_t rd64(uint64_t pa)
{
	uint64_t v = 0;
	cr_assert_eq(iom_mem_read(F.mem, pa, &v, 8, &F.err), 0, "%s", F.err.msg);
	return v;
}

/* The k-th most recent command (k = 0: the last one written). */
static void cmd_back(unsigned k, uint64_t c[2])
{
	uint32_t prod = iom_smmu_read_cmdq_prod(F.smmu);
	uint32_t idx = (smmu_q_idx(prod, CMDQ_LOG2) + (1u << CMDQ_LOG2) - 1 - k) &
		       ((1u << CMDQ_LOG2) - 1);
	uint64_t pa = iom_smmu_drv_cmdq_pa(F.drv) + idx * 16ull;
	c[0] = rd64(pa);
	c[1] = rd64(pa + 8);
}

static void expect_cfgi(unsigned k, uint32_t op, uint32_t sid, uint32_t ssid, uint32_t leaf)
{
	uint64_t c[2];
	cmd_back(k, c);
	cr_expect_eq(smmu_cmd_op(c), op, "command -%u: op 0x%x, want 0x%x", k, smmu_cmd_op(c), op);
	cr_expect_eq(smmu_cmd_sid(c), sid, "command -%u: SID 0x%x, want 0x%x", k, smmu_cmd_sid(c),
		     sid);
	if (op == SMMU_CMD_CFGI_CD)
		cr_expect_eq(smmu_cmd_ssid(c), ssid, "command -%u: SSID 0x%x", k, smmu_cmd_ssid(c));
	cr_expect_eq(smmu_cmd_leaf(c), leaf, "command -%u: Leaf %u, want %u", k, smmu_cmd_leaf(c),
		     leaf);
}

static void expect_sync(unsigned k)
{
	uint64_t c[2];
	cmd_back(k, c);
	cr_expect_eq(smmu_cmd_op(c), SMMU_CMD_SYNC, "command -%u: op 0x%x, want CMD_SYNC", k,
		     smmu_cmd_op(c));
}

/* The stores logged by the hook, from index `from`: kind and word each. */
static void expect_stores(unsigned from, unsigned n, const uint32_t *kind, const uint32_t *word)
{
	cr_assert_eq(F.nst - from, n, "%u stores, want %u", F.nst - from, n);
	for (unsigned i = 0; i < n; i++) {
		cr_expect_eq(F.st[from + i].kind, kind[i], "store %u: kind %u, want %u", i,
			     F.st[from + i].kind, kind[i]);
		cr_expect_eq(F.st[from + i].word, word[i], "store %u: word %u, want %u", i,
			     F.st[from + i].word, word[i]);
	}
}

static void expect_update(uint32_t qwords, uint32_t syncs, bool breaking)
{
	const struct iom_smmu_drv_update *u = iom_smmu_drv_last_update(F.drv);
	cr_expect_eq(u->qwords, qwords, "qwords %u, want %u", u->qwords, qwords);
	cr_expect_eq(u->syncs, syncs, "syncs %u, want %u", u->syncs, syncs);
	cr_expect_eq(u->cfgis, syncs, "cfgis %u, want %u", u->cfgis, syncs);
	cr_expect_eq(u->breaking, breaking);
	cr_expect_eq(u->hitless, !breaking && qwords > 0);
}

/* ---- probing between stores ---- */

static enum outcome classify(const struct iom_txn *t, uint64_t off)
{
	if (t->status == IOM_TXN_OK)
		return t->pa == IOVA0 + off ? O_BYPASS : t->pa == PA_OLD + off ? O_OLD :
						 t->pa == PA_NEW + off ? O_NEW : O_OTHER;
	if (t->status == IOM_TXN_ABORT && t->fault == 0)
		return O_ABORT;
	if (t->fault == SMMU_EVT_C_BAD_STE)
		return O_BAD_STE;
	if (t->fault == SMMU_EVT_C_BAD_CD)
		return O_BAD_CD;
	if (t->fault == SMMU_EVT_C_BAD_STREAMID)
		return O_BAD_SID;
	return O_OTHER;
}

/* One translation of a page never translated before (no TLB entry can
 * answer it), with the configuration cache emptied so the SMMU fetches the
 * STE and CD as they are in memory now. */
static enum outcome probe_once(uint64_t now, uint64_t *iova_out)
{
	uint64_t off = (uint64_t)F.next_page++ * 4096;
	cr_assert_lt(F.next_page, NPAGES, "out of probe pages");
	iom_cache_flush(iom_smmu_config_cache(F.smmu));
	struct iom_txn t = { .rid = F.probe_sid, .iova = IOVA0 + off, .size = 64, .issue_ps = now };
	if (F.probe_ssv) {
		t.flags = IOM_TXN_PASID_VALID;
		t.pasid = F.probe_ssid;
	}
	OK(iom_smmu_translate(F.smmu, &t, &F.err));
	if (iova_out)
		*iova_out = t.iova;
	return classify(&t, off);
}

/* Is what memory holds now an entry the SMMU may be shown: invalid (V=0) or
 * legal (5.2 / 5.4 ILLEGAL conditions this driver could produce)? */
static bool entry_legal(const struct iom_smmu_drv_store *s)
{
	uint64_t e[8], base = s->pa - 8ull * s->word;
	for (unsigned i = 0; i < 8; i++)
		e[i] = rd64(base + 8ull * i);
	if (s->kind == IOM_SMMU_DRV_STORE_STE) {
		uint64_t cfg = smmu_ste_config(e);
		if (!smmu_ste_v(e))
			return true;
		if (cfg != SMMU_STE_CFG_ABORT && cfg != SMMU_STE_CFG_BYPASS &&
		    cfg != SMMU_STE_CFG_S1)
			return false;
		return cfg != SMMU_STE_CFG_S1 ||
		       (smmu_ste_s1fmt(e) != 3 && smmu_ste_s1ctxptr(e) != 0);
	}
	if (!smmu_cd_v(e))
		return true;
	return smmu_cd_aa64(e) && smmu_cd_tg0(e) != 3 && smmu_cd_t0sz(e) >= 16 &&
	       smmu_cd_t0sz(e) <= 39 && smmu_cd_ttb0(e) != 0;
}

static void hook(void *ctx, const struct iom_smmu_drv_store *s)
{
	(void)ctx;
	if (F.nst < MAX_STORES)
		F.st[F.nst++] = *s;
	if (!F.probe)
		return;
	if ((s->kind == IOM_SMMU_DRV_STORE_STE || s->kind == IOM_SMMU_DRV_STORE_CD) &&
	    !entry_legal(s))
		F.illegal_seen = true;
	cr_assert_lt(F.nout, MAX_STORES);
	F.out[F.nout] = probe_once(s->done_ps, &F.out_iova[F.nout]);
	F.nout++;
}

static void probe_start(uint32_t sid, enum outcome before)
{
	F.probe_sid = sid;
	F.nout = 0;
	F.illegal_seen = false;
	cr_assert_eq(probe_once(tick(), NULL), before, "before the update");
	F.probe = true;
}

static const char *oname(enum outcome o)
{
	static const char *const n[] = { "abort", "bypass", "old", "new", "C_BAD_STE",
					 "C_BAD_CD", "C_BAD_STREAMID", "other" };
	return n[o];
}

/* Every probe saw the old configuration, the new one, or the invalid entry
 * the spec lets a breaking update show (`invalid`), in that order: old*
 * (old | invalid)* new*, never old after new; and the final state is new. */
static void probe_check(enum outcome old, enum outcome old2, enum outcome invalid,
			enum outcome new_)
{
	F.probe = false;
	cr_assert(!F.illegal_seen, "an ILLEGAL entry was in memory between two stores");
	bool seen_new = false;
	for (unsigned i = 0; i < F.nout; i++) {
		enum outcome o = F.out[i];
		cr_assert(o == old || o == old2 || o == invalid || o == new_,
			  "probe %u after store %u saw %s (allowed: %s, %s, %s, %s)", i, i,
			  oname(o), oname(old), oname(old2), oname(invalid), oname(new_));
		if (o == new_)
			seen_new = true;
		else
			cr_assert(!seen_new, "probe %u saw %s after the new configuration", i,
				  oname(o));
	}
	cr_assert_eq(probe_once(tick(), NULL), new_, "after the update");
}

/* ---- formats ---- */

Test(smmu_drv, auto_strtab_is_linear_when_sidsize_fits_one_leaf)
{
	up(8, AUTO, AUTO);
	cr_assert_eq(iom_smmu_drv_strtab_fmt(F.drv), SMMU_STRTAB_FMT_LINEAR);
	/* linear: STE of SID s at base + 64 s, every one V=1 Config=abort */
	cr_assert_eq(iom_smmu_drv_ste_pa(F.drv, 0x42), iom_smmu_drv_strtab(F.drv) + 0x42 * 64);
	cr_assert_eq(rd64(iom_smmu_drv_ste_pa(F.drv, 0xff)), 0x1);
}

Test(smmu_drv, auto_strtab_follows_idr0_st_level_above_8_sid_bits)
{
	up(16, AUTO, AUTO);
	uint32_t idr0 = iom_smmu_read_idr(F.smmu, 0);
	cr_assert_eq(iom_smmu_drv_strtab_fmt(F.drv),
		     smmu_idr0_st_level(idr0) == 1 ? SMMU_STRTAB_FMT_2LVL : SMMU_STRTAB_FMT_LINEAR);
}

Test(smmu_drv, two_level_strtab_starts_with_every_l1std_invalid)
{
	up(16, TWO, LIN);
	cr_assert_eq(iom_smmu_drv_strtab_fmt(F.drv), SMMU_STRTAB_FMT_2LVL);
	/* 2^16 SIDs / 256 per leaf = 256 L1STDs, all Span 0 */
	for (unsigned i = 0; i < 256; i++)
		cr_assert_eq(rd64(iom_smmu_drv_strtab(F.drv) + 8 * i), 0, "L1STD %u", i);
	cr_assert_eq(iom_smmu_drv_ste_pa(F.drv, 0x1234), 0);
	F.probe_sid = 0x1234;
	uint64_t l1_0 = iom_smmu_stats(F.smmu)->l1_desc_reads;
	cr_assert_eq(probe_once(tick(), NULL), O_BAD_SID);
	cr_assert_eq(iom_smmu_stats(F.smmu)->l1_desc_reads - l1_0, 1);
}

Test(smmu_drv, first_ste_in_a_span_hooks_in_a_leaf_then_updates_the_ste)
{
	uint64_t done;
	up(16, TWO, LIN);
	uint64_t l1 = iom_smmu_drv_strtab(F.drv);
	OK(iom_smmu_drv_ste_bypass(F.drv, 0x1234, tick(), &done, &F.err));
	/* L1 index 0x12, L2 index 0x34 */
	uint64_t d = rd64(l1 + 0x12 * 8);
	uint64_t l2 = smmu_l1std_l2ptr(d, 9);
	cr_assert_eq(smmu_l1std_span(d), 9);
	cr_assert_eq(l2 & 0x3fff, 0, "leaf 0x%llx not 16 KB aligned", (unsigned long long)l2);
	cr_assert_eq(iom_smmu_drv_ste_pa(F.drv, 0x1234), l2 + 0x34 * 64);
	for (unsigned i = 0; i < 256; i++)
		cr_assert_eq(rd64(l2 + 64ull * i), i == 0x34 ? 0x9 : 0x1, "STE %u of the leaf", i);
	/* stores: the leaf's initialisation, the L1STD, then STE word 0 only
	 * (abort -> bypass changes only word 0's Config) */
	static const uint32_t k[] = { IOM_SMMU_DRV_STORE_L2STRTAB, IOM_SMMU_DRV_STORE_L1STD,
				      IOM_SMMU_DRV_STORE_STE };
	static const uint32_t w[] = { 0, 0, 0 };
	expect_stores(0, 3, k, w);
	cr_assert_eq(F.st[1].pa, l1 + 0x12 * 8);
	cr_assert_eq(F.st[2].pa, l2 + 0x34 * 64);
	/* commands: CFGI_STE Leaf=0 (the L1STD), SYNC, CFGI_STE Leaf=1, SYNC */
	expect_cfgi(3, SMMU_CMD_CFGI_STE, 0x1234, 0, 0);
	expect_sync(2);
	expect_cfgi(1, SMMU_CMD_CFGI_STE, 0x1234, 0, 1);
	expect_sync(0);
	expect_update(1, 2, false);
	cr_assert(iom_smmu_drv_last_update(F.drv)->l1_written);
	const struct iom_smmu_drv_stats *ds = iom_smmu_drv_stats(F.drv);
	cr_assert_eq(ds->l2_strtabs, 1);
	cr_assert_eq(ds->l1_desc_writes, 1);
	cr_assert_eq(ds->commands, 4);
	/* the SMMU reads L1STD then STE */
	F.probe_sid = 0x1234;
	uint64_t r0 = iom_smmu_stats(F.smmu)->cfg_reads;
	cr_assert_eq(probe_once(tick(), NULL), O_BYPASS);
	cr_assert_eq(iom_smmu_stats(F.smmu)->cfg_reads - r0, 2);
}

Test(smmu_drv, other_sids_of_a_span_share_its_leaf)
{
	uint64_t done;
	up(16, TWO, LIN);
	OK(iom_smmu_drv_ste_bypass(F.drv, 0x1234, tick(), &done, &F.err));
	uint64_t c0 = iom_smmu_drv_stats(F.drv)->commands;
	/* 0x12ff: same leaf, already abort -> nothing to store, no command */
	OK(iom_smmu_drv_ste_abort(F.drv, 0x12ff, tick(), &done, &F.err));
	expect_update(0, 0, false);
	cr_assert_eq(iom_smmu_drv_stats(F.drv)->commands, c0);
	cr_assert_eq(iom_smmu_drv_ste_pa(F.drv, 0x12ff),
		     iom_smmu_drv_ste_pa(F.drv, 0x1200) + 0xff * 64);
	/* 0x1300: L1 index 0x13, a second leaf */
	OK(iom_smmu_drv_ste_bypass(F.drv, 0x1300, tick(), &done, &F.err));
	cr_assert_eq(iom_smmu_drv_stats(F.drv)->l2_strtabs, 2);
	cr_assert_neq(iom_smmu_drv_ste_pa(F.drv, 0x1300) & ~0x3fffull,
		      iom_smmu_drv_ste_pa(F.drv, 0x1234) & ~0x3fffull);
	expect_update(1, 2, false);
}

Test(smmu_drv, two_level_cd_table_hooks_in_a_leaf_on_first_cd)
{
	uint64_t done;
	up(8, LIN, TWO);
	OK(iom_smmu_drv_ste_s1(F.drv, 3, 12, SMMU_S1DSS_SSID0, tick(), &done, &F.err));
	uint64_t ste[8];
	iom_mem_read(F.mem, iom_smmu_drv_ste_pa(F.drv, 3), ste, 64, NULL);
	cr_assert_eq(smmu_ste_s1fmt(ste), SMMU_S1FMT_1024CD);
	cr_assert_eq(smmu_ste_s1cdmax(ste), 12);
	uint64_t l1 = smmu_ste_s1ctxptr(ste);
	for (unsigned i = 0; i < 4; i++) /* 2^12 / 1024 = 4 L1CDs, V=0 */
		cr_assert_eq(rd64(l1 + 8 * i), 0);
	unsigned s0 = F.nst;
	OK(iom_smmu_drv_cd(F.drv, 3, 0x805, 9, iom_pt_root(F.pt_new), 16, tick(), &done, &F.err));
	/* SSID 0x805: L1 index 2, L2 index 5 */
	uint64_t d = rd64(l1 + 2 * 8);
	uint64_t l2 = smmu_l1cd_l2ptr(d);
	cr_assert_eq(smmu_l1cd_v(d), 1);
	cr_assert_eq(l2 & 0xffff, 0, "leaf 0x%llx not 64 KB aligned", (unsigned long long)l2);
	cr_assert_eq(iom_smmu_drv_cd_pa(F.drv, 3, 0x805), l2 + 5 * 64);
	static const uint32_t k[] = { IOM_SMMU_DRV_STORE_L1CD, IOM_SMMU_DRV_STORE_CD,
				      IOM_SMMU_DRV_STORE_CD, IOM_SMMU_DRV_STORE_CD };
	static const uint32_t w[] = { 0, 1, 3, 0 };
	expect_stores(s0, 4, k, w);
	cr_assert_eq(F.st[s0 + 3].value, CD_W0 | (9ull << 48));
	cr_assert_eq(F.st[s0 + 2].value, 0xf404ff44ull);
	/* CFGI_CD Leaf=0 + SYNC (L1CD), then two hitless steps */
	expect_cfgi(5, SMMU_CMD_CFGI_CD, 3, 0x805, 0);
	expect_sync(4);
	expect_cfgi(3, SMMU_CMD_CFGI_CD, 3, 0x805, 1);
	expect_sync(2);
	expect_cfgi(1, SMMU_CMD_CFGI_CD, 3, 0x805, 1);
	expect_sync(0);
	expect_update(3, 3, false);
	cr_assert_eq(iom_smmu_drv_stats(F.drv)->l2_cdtabs, 1);
	/* the SMMU: STE, L1CD, CD = 3 reads; a neighbour CD is V=0; L1CD 0 is invalid */
	F.probe_sid = 3;
	F.probe_ssv = true;
	F.probe_ssid = 0x805;
	uint64_t r0 = iom_smmu_stats(F.smmu)->cfg_reads;
	cr_assert_eq(probe_once(tick(), NULL), O_NEW);
	cr_assert_eq(iom_smmu_stats(F.smmu)->cfg_reads - r0, 3);
	F.probe_ssid = 0x806;
	cr_assert_eq(probe_once(tick(), NULL), O_BAD_CD);
	F.probe_ssid = 0x5;
	struct iom_txn t = { .rid = 3, .iova = IOVA0, .flags = IOM_TXN_PASID_VALID, .pasid = 5,
			     .size = 64, .issue_ps = tick() };
	OK(iom_smmu_translate(F.smmu, &t, &F.err));
	cr_assert_eq(t.fault, SMMU_EVT_C_BAD_SUBSTREAMID);
}

Test(smmu_drv, cd_tables_up_to_1024_cds_are_linear_under_auto)
{
	uint64_t done, ste[8];
	up(8, LIN, AUTO);
	OK(iom_smmu_drv_ste_s1(F.drv, 1, 10, SMMU_S1DSS_SSID0, tick(), &done, &F.err));
	iom_mem_read(F.mem, iom_smmu_drv_ste_pa(F.drv, 1), ste, 64, NULL);
	cr_assert_eq(smmu_ste_s1fmt(ste), SMMU_S1FMT_LINEAR);
	OK(iom_smmu_drv_ste_s1(F.drv, 2, 11, SMMU_S1DSS_SSID0, tick(), &done, &F.err));
	iom_mem_read(F.mem, iom_smmu_drv_ste_pa(F.drv, 2), ste, 64, NULL);
	uint32_t idr0 = iom_smmu_read_idr(F.smmu, 0);
	cr_assert_eq(smmu_ste_s1fmt(ste),
		     smmu_idr0_cd2l(idr0) ? SMMU_S1FMT_1024CD : SMMU_S1FMT_LINEAR);
}

Test(smmu_drv, clearing_a_cd_whose_leaf_was_never_allocated_stores_nothing)
{
	uint64_t done;
	up(8, LIN, TWO);
	OK(iom_smmu_drv_ste_s1(F.drv, 3, 12, SMMU_S1DSS_SSID0, tick(), &done, &F.err));
	uint64_t c0 = iom_smmu_drv_stats(F.drv)->commands;
	unsigned s0 = F.nst;
	OK(iom_smmu_drv_cd_clear(F.drv, 3, 0x900, tick(), &done, &F.err));
	cr_assert_eq(F.nst, s0);
	cr_assert_eq(iom_smmu_drv_stats(F.drv)->commands, c0);
	cr_assert_eq(iom_smmu_drv_stats(F.drv)->l2_cdtabs, 0);
}

Test(smmu_drv, s1cdmax_beyond_ssidsize_is_refused)
{
	uint64_t done;
	up(8, LIN, LIN);
	/* the model's IDR1.SSIDSIZE is 20 */
	cr_assert_eq(iom_smmu_drv_ste_s1(F.drv, 3, 21, SMMU_S1DSS_SSID0, tick(), &done, &F.err),
		     -IOM_ERANGE);
	cr_assert(strstr(F.err.msg, "SSIDSIZE 20") != NULL, "%s", F.err.msg);
}

Test(smmu_drv, formats_are_fixed_once_an_entry_is_written)
{
	uint64_t done;
	struct iom_smmu_drv_opts o = { .strtab = TWO, .cdtab = LIN };
	up(16, LIN, LIN);
	OK(iom_smmu_drv_set_opts(F.drv, &o, &F.err));
	cr_assert_eq(iom_smmu_drv_strtab_fmt(F.drv), SMMU_STRTAB_FMT_2LVL);
	OK(iom_smmu_drv_ste_bypass(F.drv, 7, tick(), &done, &F.err));
	F.probe_sid = 7;
	cr_assert_eq(probe_once(tick(), NULL), O_BYPASS);
	o.strtab = LIN;
	cr_assert_eq(iom_smmu_drv_set_opts(F.drv, &o, &F.err), -IOM_EBUSY);
}

/* ---- update sequences ---- */

/* A linear setup with SID 5 stage 1 over pt (CD 0, asid), S1CDMax 0. */
static void s1_stream(uint32_t sid, struct iom_pt *pt, uint16_t asid)
{
	uint64_t done;
	OK(iom_smmu_drv_cd_alloc(F.drv, sid, 0, &F.err));
	OK(iom_smmu_drv_cd(F.drv, sid, 0, asid, iom_pt_root(pt), 16, tick(), &done, &F.err));
	OK(iom_smmu_drv_ste_s1(F.drv, sid, 0, SMMU_S1DSS_TERMINATE, tick(), &done, &F.err));
}

Test(smmu_drv, abort_to_stage1_stores_word1_then_word0)
{
	uint64_t done;
	up(8, LIN, LIN);
	OK(iom_smmu_drv_cd_alloc(F.drv, 5, 0, &F.err));
	OK(iom_smmu_drv_cd(F.drv, 5, 0, 1, iom_pt_root(F.pt_old), 16, tick(), &done, &F.err));
	unsigned s0 = F.nst;
	OK(iom_smmu_drv_ste_s1(F.drv, 5, 0, SMMU_S1DSS_TERMINATE, tick(), &done, &F.err));
	static const uint32_t k[] = { IOM_SMMU_DRV_STORE_STE, IOM_SMMU_DRV_STORE_STE };
	static const uint32_t w[] = { 1, 0 };
	expect_stores(s0, 2, k, w);
	cr_assert_eq(F.st[s0].value, 0xd4);
	uint64_t cdt = iom_smmu_drv_cd_table(F.drv, 5);
	cr_assert_eq(F.st[s0 + 1].value, cdt | 0xb);
	expect_update(2, 2, false);
	cr_assert_eq(iom_smmu_drv_last_update(F.drv)->used_diff, 0x1);
}

Test(smmu_drv, stage1_to_bypass_stores_word0_then_clears_word1)
{
	uint64_t done;
	up(8, LIN, LIN);
	s1_stream(5, F.pt_old, 1);
	unsigned s0 = F.nst;
	uint64_t used0 = iom_palloc_used(F.pa);
	OK(iom_smmu_drv_ste_bypass(F.drv, 5, tick(), &done, &F.err));
	static const uint32_t k[] = { IOM_SMMU_DRV_STORE_STE, IOM_SMMU_DRV_STORE_STE };
	static const uint32_t w[] = { 0, 1 };
	expect_stores(s0, 2, k, w);
	cr_assert_eq(F.st[s0].value, 0x9);
	cr_assert_eq(F.st[s0 + 1].value, 0);
	expect_update(2, 2, false);
	/* the 64-byte CD table (one 4 KB block) is freed once the STE moved */
	cr_assert_eq(used0 - iom_palloc_used(F.pa), 4096);
}

Test(smmu_drv, stage1_s1cdmax_change_is_one_word)
{
	uint64_t done;
	up(8, LIN, LIN);
	OK(iom_smmu_drv_ste_s1(F.drv, 5, 2, SMMU_S1DSS_SSID0, tick(), &done, &F.err));
	uint64_t used0 = iom_palloc_used(F.pa);
	unsigned s0 = F.nst;
	OK(iom_smmu_drv_ste_s1(F.drv, 5, 3, SMMU_S1DSS_SSID0, tick(), &done, &F.err));
	static const uint32_t k[] = { IOM_SMMU_DRV_STORE_STE };
	static const uint32_t w[] = { 0 };
	expect_stores(s0, 1, k, w);
	expect_update(1, 1, false);
	/* a new table replaced the old one, which is gone after the store */
	cr_assert_eq(iom_palloc_used(F.pa), used0);
	cr_assert_eq(smmu_ste_s1cdmax(&F.st[s0].value), 3);
}

Test(smmu_drv, stage1_change_of_two_used_words_breaks_the_entry)
{
	uint64_t done;
	up(8, LIN, LIN);
	OK(iom_smmu_drv_ste_s1(F.drv, 5, 2, SMMU_S1DSS_SSID0, tick(), &done, &F.err));
	unsigned s0 = F.nst;
	/* S1CDMax (word 0) and S1DSS (word 1) both change */
	OK(iom_smmu_drv_ste_s1(F.drv, 5, 3, SMMU_S1DSS_BYPASS, tick(), &done, &F.err));
	static const uint32_t k[] = { IOM_SMMU_DRV_STORE_STE, IOM_SMMU_DRV_STORE_STE,
				      IOM_SMMU_DRV_STORE_STE };
	static const uint32_t w[] = { 0, 1, 0 };
	expect_stores(s0, 3, k, w);
	cr_assert_eq(F.st[s0].value, 0, "V=0 first");
	cr_assert_eq(F.st[s0 + 1].value, 0xd5);
	expect_update(3, 3, true);
	cr_assert_eq(iom_smmu_drv_last_update(F.drv)->used_diff, 0x3);
}

Test(smmu_drv, new_cd_stores_the_other_words_then_word0)
{
	uint64_t done;
	up(8, LIN, LIN);
	OK(iom_smmu_drv_cd_alloc(F.drv, 5, 0, &F.err));
	OK(iom_smmu_drv_cd(F.drv, 5, 0, 1, iom_pt_root(F.pt_old), 16, tick(), &done, &F.err));
	static const uint32_t k[] = { IOM_SMMU_DRV_STORE_CD, IOM_SMMU_DRV_STORE_CD,
				      IOM_SMMU_DRV_STORE_CD };
	static const uint32_t w[] = { 1, 3, 0 };
	expect_stores(0, 3, k, w);
	cr_assert_eq(F.st[0].value, iom_pt_root(F.pt_old));
	cr_assert_eq(F.st[2].value, CD_W0 | (1ull << 48));
	expect_update(3, 2, false);
	expect_cfgi(3, SMMU_CMD_CFGI_CD, 5, 0, 1);
	expect_cfgi(1, SMMU_CMD_CFGI_CD, 5, 0, 1);
}

Test(smmu_drv, cd_change_of_asid_and_ttb0_breaks_the_entry)
{
	uint64_t done;
	up(8, LIN, LIN);
	s1_stream(5, F.pt_old, 1);
	unsigned s0 = F.nst;
	OK(iom_smmu_drv_cd(F.drv, 5, 0, 2, iom_pt_root(F.pt_new), 16, tick(), &done, &F.err));
	static const uint32_t k[] = { IOM_SMMU_DRV_STORE_CD, IOM_SMMU_DRV_STORE_CD,
				      IOM_SMMU_DRV_STORE_CD };
	static const uint32_t w[] = { 0, 1, 0 };
	expect_stores(s0, 3, k, w);
	cr_assert_eq(F.st[s0].value, 0);
	cr_assert_eq(F.st[s0 + 2].value, CD_W0 | (2ull << 48));
	expect_update(3, 3, true);
}

Test(smmu_drv, cd_change_of_asid_alone_is_one_word)
{
	uint64_t done;
	up(8, LIN, LIN);
	s1_stream(5, F.pt_old, 1);
	unsigned s0 = F.nst;
	uint64_t t0 = tick();
	OK(iom_smmu_drv_cd(F.drv, 5, 0, 3, iom_pt_root(F.pt_old), 16, t0, &done, &F.err));
	static const uint32_t k[] = { IOM_SMMU_DRV_STORE_CD };
	static const uint32_t w[] = { 0 };
	expect_stores(s0, 1, k, w);
	expect_update(1, 1, false);
	/* store D; CFGI_CD and SYNC written (D each), doorbell at t0 + 3D; the
	 * SMMU fetches CFGI (D) + 4P, SYNC (D) + 10P */
	cr_assert_eq(done, t0 + 5 * D + 14 * P);
}

Test(smmu_drv, cd_clear_drops_v_first)
{
	uint64_t done;
	up(8, LIN, LIN);
	s1_stream(5, F.pt_old, 1);
	unsigned s0 = F.nst;
	OK(iom_smmu_drv_cd_clear(F.drv, 5, 0, tick(), &done, &F.err));
	static const uint32_t k[] = { IOM_SMMU_DRV_STORE_CD, IOM_SMMU_DRV_STORE_CD,
				      IOM_SMMU_DRV_STORE_CD };
	static const uint32_t w[] = { 0, 1, 3 };
	expect_stores(s0, 3, k, w);
	expect_update(3, 2, false);
}

Test(smmu_drv, rewriting_an_entry_unchanged_costs_nothing)
{
	uint64_t done;
	up(8, LIN, LIN);
	s1_stream(5, F.pt_old, 1);
	uint64_t c0 = iom_smmu_drv_stats(F.drv)->commands, t0 = tick();
	OK(iom_smmu_drv_ste_s1(F.drv, 5, 0, SMMU_S1DSS_TERMINATE, t0, &done, &F.err));
	expect_update(0, 0, false);
	cr_assert_eq(done, t0);
	OK(iom_smmu_drv_cd(F.drv, 5, 0, 1, iom_pt_root(F.pt_old), 16, tick(), &done, &F.err));
	expect_update(0, 0, false);
	cr_assert_eq(iom_smmu_drv_stats(F.drv)->commands, c0);
}

Test(smmu_drv, update_counters_add_up)
{
	uint64_t done;
	up(8, LIN, LIN);
	s1_stream(5, F.pt_old, 1); /* CD new: 3 qwords 2 syncs; STE: 2 qwords 2 syncs */
	OK(iom_smmu_drv_cd(F.drv, 5, 0, 2, iom_pt_root(F.pt_new), 16, tick(), &done, &F.err));
	/* breaking CD: 3 qwords, 3 syncs */
	const struct iom_smmu_drv_stats *ds = iom_smmu_drv_stats(F.drv);
	cr_assert_eq(ds->ste_writes, 1);
	cr_assert_eq(ds->cd_writes, 2);
	cr_assert_eq(ds->ste_qwords, 2);
	cr_assert_eq(ds->cd_qwords, 6);
	cr_assert_eq(ds->cfgi_cmds, 7);
	cr_assert_eq(ds->cfg_syncs, 7);
	cr_assert_eq(ds->syncs, 7);
	cr_assert_eq(ds->commands, 14);
	cr_assert_eq(ds->hitless_updates, 2);
	cr_assert_eq(ds->breaking_updates, 1);
}

/* ---- the SMMU never sees a half-written entry ---- */

/* The TLB entry each probe filled must carry the ASID of the CD whose TTB0
 * it walked. After the update, drop the old ASID's entries (TLBI_NH_ASID)
 * and translate each probed page again with the final CD: a page probed
 * with the old CD must miss now (its entry was the old ASID's) and walk to
 * the new PA; a page probed with the new CD must hit with the new PA. A
 * mixed CD (new ASID, old TTB0) leaves an entry that hits with the old PA. */
static void check_asid_tags(uint32_t sid, uint16_t old_asid)
{
	uint64_t done;
	OK(iom_smmu_drv_tlbi_asid(F.drv, old_asid, tick(), &done, &F.err));
	for (unsigned i = 0; i < F.nout; i++) {
		if (F.out[i] != O_OLD && F.out[i] != O_NEW)
			continue;
		struct iom_txn t = {
		    .rid = sid, .iova = F.out_iova[i], .size = 64, .issue_ps = tick()};
		OK(iom_smmu_translate(F.smmu, &t, &F.err));
		uint64_t off = F.out_iova[i] - IOVA0;
		cr_assert_eq(t.pa, PA_NEW + off,
			     "probe %u: TLB entry of the new ASID holds PA 0x%llx", i,
			     (unsigned long long)t.pa);
		cr_assert_eq(t.tlb_hit, F.out[i] == O_NEW,
			     "probe %u (%s): its TLB entry has the wrong ASID", i, oname(F.out[i]));
	}
}

Test(smmu_drv, stage1_to_bypass_never_shows_a_half_written_ste)
{
	uint64_t done;
	up(8, LIN, LIN);
	s1_stream(5, F.pt_old, 1);
	probe_start(5, O_OLD);
	OK(iom_smmu_drv_ste_bypass(F.drv, 5, tick(), &done, &F.err));
	probe_check(O_OLD, O_OLD, O_BAD_STE, O_BYPASS);
	cr_assert_eq(F.nout, 2);
}

Test(smmu_drv, bypass_to_stage1_never_shows_a_half_written_ste)
{
	uint64_t done;
	up(8, LIN, LIN);
	OK(iom_smmu_drv_ste_bypass(F.drv, 5, tick(), &done, &F.err));
	probe_start(5, O_BYPASS);
	/* as host_smmuv3.c does: CD table and CD first, then the STE */
	OK(iom_smmu_drv_cd_alloc(F.drv, 5, 0, &F.err));
	OK(iom_smmu_drv_cd(F.drv, 5, 0, 1, iom_pt_root(F.pt_new), 16, tick(), &done, &F.err));
	OK(iom_smmu_drv_ste_s1(F.drv, 5, 0, SMMU_S1DSS_TERMINATE, tick(), &done, &F.err));
	probe_check(O_BYPASS, O_BYPASS, O_BAD_STE, O_NEW);
	cr_assert_eq(F.nout, 5); /* CD words 1, 3, 0; STE words 1, 0 */
}

Test(smmu_drv, abort_to_stage1_never_shows_a_half_written_ste)
{
	uint64_t done;
	up(8, LIN, LIN);
	probe_start(5, O_ABORT);
	OK(iom_smmu_drv_cd_alloc(F.drv, 5, 2, &F.err));
	OK(iom_smmu_drv_cd(F.drv, 5, 0, 1, iom_pt_root(F.pt_new), 16, tick(), &done, &F.err));
	OK(iom_smmu_drv_ste_s1(F.drv, 5, 2, SMMU_S1DSS_SSID0, tick(), &done, &F.err));
	probe_check(O_ABORT, O_ABORT, O_BAD_STE, O_NEW);
}

Test(smmu_drv, abort_to_stage1_in_a_new_leaf_never_shows_a_half_written_ste)
{
	uint64_t done;
	up(16, TWO, TWO);
	probe_start(0x4321, O_BAD_SID);
	OK(iom_smmu_drv_cd_alloc(F.drv, 0x4321, 12, &F.err));
	OK(iom_smmu_drv_cd(F.drv, 0x4321, 0, 1, iom_pt_root(F.pt_new), 16, tick(), &done, &F.err));
	OK(iom_smmu_drv_ste_s1(F.drv, 0x4321, 12, SMMU_S1DSS_SSID0, tick(), &done, &F.err));
	/* Span 0 (C_BAD_STREAMID), then the leaf's abort STE, then stage 1 */
	probe_check(O_BAD_SID, O_ABORT, O_BAD_STE, O_NEW);
	cr_assert_eq(F.out[0], O_BAD_SID); /* after the CD leaf's L1CD */
}

Test(smmu_drv, cd_change_of_asid_and_ttb0_never_mixes_old_and_new)
{
	uint64_t done;
	up(8, LIN, LIN);
	s1_stream(5, F.pt_old, 1);
	probe_start(5, O_OLD);
	OK(iom_smmu_drv_cd(F.drv, 5, 0, 2, iom_pt_root(F.pt_new), 16, tick(), &done, &F.err));
	probe_check(O_OLD, O_OLD, O_BAD_CD, O_NEW);
	cr_assert_eq(F.nout, 3);
	cr_assert_eq(F.out[0], O_BAD_CD);
	cr_assert_eq(F.out[1], O_BAD_CD);
	check_asid_tags(5, 1);
}

/* The checker itself: the same change made the naive way (TTB0 word first,
 * while V=1 and the old ASID are in place) must be caught. */
Test(smmu_drv, checker_catches_a_torn_cd_update)
{
	uint64_t done;
	up(8, LIN, LIN);
	s1_stream(5, F.pt_old, 1);
	uint64_t cd = iom_smmu_drv_cd_pa(F.drv, 5, 0), ttb_new = iom_pt_root(F.pt_new);
	F.probe_sid = 5;
	F.nout = 0;
	iom_mem_wr64(F.mem, cd + 8, ttb_new); /* TTB0 of the new domain, old ASID */
	F.out[F.nout] = probe_once(tick(), &F.out_iova[F.nout]);
	F.nout++;
	cr_assert_eq(F.out[0], O_NEW, "the torn CD translates with the new table");
	iom_mem_wr64(F.mem, cd, CD_W0 | (2ull << 48)); /* then the new ASID */
	/* check_asid_tags() would fail: the NEW-looking probe left an old-ASID
	 * entry, so it misses after the old ASID is dropped */
	OK(iom_smmu_drv_tlbi_asid(F.drv, 1, tick(), &done, &F.err));
	iom_cache_flush(iom_smmu_config_cache(F.smmu));
	struct iom_txn t = { .rid = 5, .iova = F.out_iova[0], .size = 64, .issue_ps = tick() };
	OK(iom_smmu_translate(F.smmu, &t, &F.err));
	cr_assert_eq(t.tlb_hit, 0, "a torn update must be visible to the ASID check");
}

/* Stage 1 -> nested: word 0 (Config) and word 2 (S2VMID, used by stage 1
 * too, and the VTCR fields) both change their used bits -> breaking; word 3
 * (S2TTB) is unused by stage 1 and goes in the middle step. */
Test(smmu_drv, stage1_to_nested_breaks_the_entry)
{
	uint64_t done;
	up(8, LIN, LIN);
	s1_stream(5, F.pt_old, 1);
	struct iom_smmu_drv_s2_cfg s2 = { .vmid = 3, .ttb = 0x200000, .t0sz = 16, .sl0 = 2 };
	unsigned s0 = F.nst;
	OK(iom_smmu_drv_ste_nested(F.drv, 5, 0, SMMU_S1DSS_TERMINATE, &s2, tick(), &done, &F.err));
	static const uint32_t k[] = { IOM_SMMU_DRV_STORE_STE, IOM_SMMU_DRV_STORE_STE,
				      IOM_SMMU_DRV_STORE_STE, IOM_SMMU_DRV_STORE_STE };
	static const uint32_t w[] = { 0, 2, 3, 0 };
	expect_stores(s0, 4, k, w);
	expect_update(4, 3, true);
	cr_assert_eq(iom_smmu_drv_last_update(F.drv)->used_diff, 0x5);
	uint64_t ste[8];
	iom_mem_read(F.mem, iom_smmu_drv_ste_pa(F.drv, 5), ste, 64, NULL);
	cr_assert_eq(smmu_ste_config(ste), SMMU_STE_CFG_NESTED);
	cr_assert_eq(smmu_ste_s2vmid(ste), 3);
	cr_assert_eq(smmu_ste_s2ttb(ste), 0x200000);
	cr_assert_eq(smmu_ste_s2tg(ste), SMMU_TG0_4K);
	cr_assert_eq(smmu_ste_s2ps(ste), 5);
	s2.vmid = 256; /* 16-bit VMIDs: fine; 2^16 is not */
	OK(iom_smmu_drv_ste_nested(F.drv, 5, 0, SMMU_S1DSS_TERMINATE, &s2, tick(), &done, &F.err));
}
