/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_smmuv3_s2.c - stage-2-only and nested translation (STE.Config 0b110 / 0b111):
 * S2TG / S2T0SZ / S2SL0 start levels with concatenated tables, the VMID-tagged
 * stage-2-only TLB entries and their invalidation, C_BAD_STE for each ILLEGAL stage-2
 * configuration class, the nested read count with every cache off and the exact saving
 * of each cache, the combined entry's page size, and stage-2 faults with CLASS = CD /
 * TT / IN. Tables are written by hand (smmu-hand.h).
 *
 * Nested layout (4 KB / 4 KB): stage 2 has S2T0SZ 16, S2SL0 2 (start L0), tables at PA
 * 0x100000 (L0), 0x101000 (L1), 0x102000 (L2), 0x103000 (L3); IPA page 0x40000000 +
 * n * 4 KB (L0 0, L1 1, L2 0, L3 n) maps to PA 0x80000000 + n * 4 KB for n = 0..5. The CD
 * is at IPA 0x40000000; the stage-1 tables at IPAs 0x40001000 (L0) .. 0x40004000 (L3),
 * the data page at IPA 0x40005000. VA = 1 << 39 | 2 << 30 | 3 << 21 | 4 << 12 | 0x10.
 */
#include "smmu-hand.h"

TestSuite(smmu_s2, .init = hand_init, .fini = hand_fini);

static void expect_ok(struct iom_txn t, uint64_t pa, unsigned reads)
{
	cr_assert_eq(t.status, IOM_TXN_OK, "status %u fault 0x%x", t.status, t.fault);
	cr_assert_eq(t.pa, pa, "pa 0x%llx != 0x%llx", (unsigned long long)t.pa,
		     (unsigned long long)pa);
	cr_assert_eq(t.walk_reads, reads, "walk_reads %u != %u", t.walk_reads, reads);
}

static void submit(uint64_t c0, uint64_t c1)
{
	uint64_t cmds[2][2] = { { c0, c1 }, { 0, 0 } }, done;
	smmu_cmd_set_op(cmds[1], SMMU_CMD_SYNC);
	OK(iom_smmu_drv_submit(F.drv, (const uint64_t(*)[2])cmds, 2, tick(), &done, &F.err));
}

static void cmd_tlbi(uint32_t op, uint32_t vmid, uint64_t addr, uint32_t leaf)
{
	uint64_t c[2] = { 0, 0 };
	smmu_cmd_set_op(c, op);
	smmu_cmd_set_vmid(c, vmid);
	if (op == SMMU_CMD_TLBI_S2_IPA)
		smmu_cmd_set_ipa(c, addr);
	smmu_cmd_set_leaf(c, leaf);
	submit(c[0], c[1]);
}

/* ---- stage 2 only ---- */

static const struct s2_args S2_4K = { .config = SMMU_STE_CFG_S2, .vmid = 7, .t0sz = 24,
				      .sl0 = 1, .tg = SMMU_TG0_4K, .ps = 5, .ttb = 0x200000 };

Test(smmu_s2, s2_4k_sl0_1_concatenates_two_l1_tables)
{
	/* IA 40 from L1 (SL0 = 1): 10 index bits = 2 concatenated 4 KB tables, aligned
	 * to 8 KB. L1 index IPA[39:30] = 0x201 lands in the second table. */
	uint64_t ipa = (0x201ull << 30) | (3ull << 21) | (4ull << 12) | 0x40;
	ste_s2(1, &S2_4K);
	wr64(0x200000 + 0x201 * 8, d_table(0x203000));
	wr64(0x203000 + 3 * 8, d_table(0x204000));
	wr64(0x204000 + 4 * 8, s2_page(0x7000000));
	struct iom_txn t = go(1, ipa, 1, 0);
	expect_ok(t, 0x7000040, 3);
	/* STE 2P + D, TLB P, stage-2 walk cache P, 3 reads: no CD */
	cr_assert_eq(t.done_ps - t.issue_ps, 4 * P + 4 * D);
	t = go(1, ipa + 8, 0, 0);
	expect_ok(t, 0x7000048, 0);
	cr_assert(t.tlb_hit);
	const struct iom_smmu_stats *st = iom_smmu_stats(F.smmu);
	cr_assert_eq(st->s2_walks, 1);
	cr_assert_eq(st->walks, 0);
	cr_assert_eq(iom_cache_valid(iom_smmu_s2_walk_cache(F.smmu)), 2); /* L1, L2 */
}

Test(smmu_s2, s2_16k_sl0_1_concatenates_sixteen_l2_tables)
{
	/* 16 KB, IA 40 from L2 (SL0 = 1): 40 - 25 = 15 index bits = 16 tables of 2^11. */
	struct s2_args a = S2_4K;
	a.tg = SMMU_TG0_16K;
	a.ttb = 0x240000; /* aligned to 16 x 16 KB */
	ste_s2(1, &a);
	uint64_t ipa = (0x4001ull << 25) | (5ull << 14) | 0x7;
	wr64(0x240000 + 0x4001 * 8, d_table(0x280000));
	wr64(0x280000 + 5 * 8, s2_page(0x7104000));
	expect_ok(go(1, ipa, 0, 0), 0x7104007, 2);
}

Test(smmu_s2, s2_64k_sl0_1_starts_at_l2)
{
	struct s2_args a = S2_4K;
	a.tg = SMMU_TG0_64K;
	a.ttb = 0x300000;
	ste_s2(1, &a);
	uint64_t ipa = (0x401ull << 29) | (6ull << 16) | 0x9;
	wr64(0x300000 + 0x401 * 8, d_table(0x310000));
	wr64(0x310000 + 6 * 8, s2_page(0x7200000));
	expect_ok(go(1, ipa, 0, 0), 0x7200009, 2);
}

static void s2_one_page(void)
{
	ste_s2(1, &S2_4K);
	wr64(0x200000 + 0x201 * 8, d_table(0x203000));
	wr64(0x203000 + 3 * 8, d_table(0x204000));
	wr64(0x204000 + 4 * 8, s2_page(0x7000000));
}

#define S2_IPA ((0x201ull << 30) | (3ull << 21) | (4ull << 12))

Test(smmu_s2, stage2_only_entries_are_dropped_by_s2_ipa_and_s12_vmall_not_nh_all)
{
	s2_one_page();
	expect_ok(go(1, S2_IPA, 0, 0), 0x7000000, 3);
	cmd_tlbi(SMMU_CMD_TLBI_NH_ALL, 7, 0, 0); /* stage-1 scope: keeps stage-2 entries */
	expect_ok(go(1, S2_IPA, 0, 0), 0x7000000, 0);
	cmd_tlbi(SMMU_CMD_TLBI_S2_IPA, 8, S2_IPA, 1); /* other VMID */
	expect_ok(go(1, S2_IPA, 0, 0), 0x7000000, 0);
	cmd_tlbi(SMMU_CMD_TLBI_S2_IPA, 7, S2_IPA, 1); /* Leaf: the walk cache stays */
	expect_ok(go(1, S2_IPA, 0, 0), 0x7000000, 1);
	cmd_tlbi(SMMU_CMD_TLBI_S2_IPA, 7, S2_IPA, 0); /* Leaf = 0: the path's tables too */
	expect_ok(go(1, S2_IPA, 0, 0), 0x7000000, 3);
	cmd_tlbi(SMMU_CMD_TLBI_S12_VMALL, 7, 0, 0);
	expect_ok(go(1, S2_IPA, 0, 0), 0x7000000, 3);
}

Test(smmu_s2, s2_faults_carry_s2_class_in_and_the_ipa)
{
	s2_one_page();
	/* IPA beyond S2T0SZ (2^40) but inside the OAS: stage-2 F_TRANSLATION, no walk */
	struct iom_txn t = go(1, (1ull << 41) | 0x123, 0, 0);
	cr_assert_eq(t.fault, 0x10);
	cr_assert_eq(t.walk_reads, 0);
	expect_event(EV_W0(0x10, 1), EV_RNW | EV_S2 | EV_CLASS_IN, (1ull << 41) | 0x123,
		     1ull << 41);
	/* beyond the OAS (48): stage-1 F_ADDR_SIZE of the bypassed stage 1 (3.4) */
	t = go(1, 1ull << 50, 1, 0);
	cr_assert_eq(t.fault, 0x11);
	expect_event(EV_W0(0x11, 1), EV_CLASS_IN, 1ull << 50, 0);
	/* read-only page, write: stage-2 F_PERMISSION, RnW = 0 */
	wr64(0x204000 + 5 * 8, (s2_page(0x7001000) & ~PTE_S2W));
	t = go(1, S2_IPA + 0x1004, 1, 0);
	cr_assert_eq(t.fault, 0x13);
	cr_assert_eq(t.status, IOM_TXN_FAULT);
	expect_event(EV_W0(0x13, 1), EV_S2 | EV_CLASS_IN, S2_IPA + 0x1004, S2_IPA + 0x1000);
	/* AF = 0 without S2HA / S2AFFD: stage-2 F_ACCESS, not cached */
	wr64(0x204000 + 6 * 8, (s2_page(0x7002000) & ~PTE_AF));
	t = go(1, S2_IPA + 0x2000, 0, IOM_TXN_PRIV);
	cr_assert_eq(t.fault, 0x12);
	expect_event(EV_W0(0x12, 1), EV_PNU | EV_RNW | EV_S2 | EV_CLASS_IN, S2_IPA + 0x2000,
		     S2_IPA + 0x2000);
	cr_assert_eq(go(1, S2_IPA + 0x2000, 0, 0).walk_reads, 1);
	expect_event(EV_W0(0x12, 1), EV_RNW | EV_S2 | EV_CLASS_IN, S2_IPA + 0x2000,
		     S2_IPA + 0x2000);
	cr_assert_eq(iom_smmu_stats(F.smmu)->faults_s2, 4);
}

Test(smmu_s2, s2affd_accepts_af_zero_and_s2r_zero_suppresses_records)
{
	struct s2_args a = S2_4K;
	a.affd = 1;
	ste_s2(1, &a);
	wr64(0x200000 + 0x201 * 8, d_table(0x203000));
	wr64(0x203000 + 3 * 8, d_table(0x204000));
	wr64(0x204000 + 4 * 8, (s2_page(0x7000000) & ~PTE_AF));
	expect_ok(go(1, S2_IPA, 0, 0), 0x7000000, 3);
	uint64_t ste[8];
	ste_s2_words(ste, &S2_4K);
	smmu_ste_set_s2r(ste, 0);
	wr_words(ste_pa(2), ste);
	struct iom_txn t = go(2, 1ull << 41, 0, 0);
	cr_assert_eq(t.fault, 0x10);
	expect_no_event();
}

Test(smmu_s2, substream_on_stage2_only_or_bypass_ste_is_c_bad_substreamid)
{
	uint64_t done;
	s2_one_page();
	struct iom_txn t = go(1, S2_IPA, 0, IOM_TXN_PASID_VALID);
	cr_assert_eq(t.fault, 0x08);
	expect_event(EV_W0(0x08, 1) | (1ull << 11), 0, 0, 0);
	OK(iom_smmu_drv_ste_bypass(F.drv, 2, tick(), &done, &F.err));
	cr_assert_eq(go(2, 0x1000, 0, IOM_TXN_PASID_VALID).fault, 0x08);
	expect_event(EV_W0(0x08, 2) | (1ull << 11), 0, 0, 0);
	/* bypass STE, input address beyond the OAS: F_ADDR_SIZE (3.4) */
	t = go(2, 1ull << 48, 0, 0);
	cr_assert_eq(t.fault, 0x11);
	expect_event(EV_W0(0x11, 2), EV_RNW | EV_CLASS_IN, 1ull << 48, 0);
}

/* ---- ILLEGAL stage-2 STEs (5.2, 5.5) ---- */

enum s2_bad { B_AA64, B_TG, B_T0SZ_BIG, B_T0SZ_SMALL, B_SL0_INCONSISTENT, B_SL0_3, B_TTB_PS,
	      B_S2S, B_ENDI, B_EATS_SPLIT, B_S1STALLD, B_STRW, B_N };

static void bad_ste(uint64_t ste[8], enum s2_bad b)
{
	ste_s2_words(ste, &S2_4K);
	switch (b) {
	case B_AA64: smmu_ste_set_s2aa64(ste, 0); break;
	case B_TG: smmu_ste_set_s2tg(ste, 3); break;
	case B_T0SZ_BIG: smmu_ste_set_s2t0sz(ste, 40); break;
	case B_T0SZ_SMALL: smmu_ste_set_s2t0sz(ste, 15); break;
	case B_SL0_INCONSISTENT: smmu_ste_set_s2sl0(ste, 0); break; /* L2 start: IA 22..34 */
	case B_SL0_3: smmu_ste_set_s2sl0(ste, 3); break;
	case B_TTB_PS: /* S2PS 32 bits, S2TTB at 2^33 */
		smmu_ste_set_s2ps(ste, 0);
		smmu_ste_set_s2ttb(ste, 1ull << 33);
		break;
	case B_S2S: smmu_ste_set_s2s(ste, 1); break;
	case B_ENDI: smmu_ste_set_s2endi(ste, 1); break;
	case B_EATS_SPLIT: smmu_ste_set_eats(ste, SMMU_EATS_SPLIT); break; /* needs 0b111 */
	case B_S1STALLD: /* nested, STALL_MODEL = 0b01 */
		smmu_ste_set_config(ste, SMMU_STE_CFG_NESTED);
		smmu_ste_set_s1stalld(ste, 1);
		break;
	case B_STRW: /* stage 1 only, STRW = 0b01 reserved */
		smmu_ste_set_config(ste, SMMU_STE_CFG_S1);
		smmu_ste_set_strw(ste, 1);
		break;
	default: break;
	}
}

Test(smmu_s2, every_illegal_stage2_ste_class_is_c_bad_ste)
{
	for (int b = 0; b < B_N; b++) {
		uint64_t ste[8];
		uint32_t sid = 10 + (uint32_t)b;
		bad_ste(ste, (enum s2_bad)b);
		wr_words(ste_pa(sid), ste);
		struct iom_txn t = go(sid, 0x1000, 0, 0);
		cr_expect_eq(t.status, IOM_TXN_ABORT, "case %d", b);
		cr_expect_eq(t.fault, 0x04, "case %d: fault 0x%x", b, t.fault);
		expect_event(EV_W0(0x04, sid), 0, 0, 0);
	}
	/* the legal base STE translates */
	s2_one_page();
	expect_ok(go(1, S2_IPA, 0, 0), 0x7000000, 3);
}

static void oas40(struct iom_smmu_cfg *c) { c->oas_bits = 40; }
static void no_httu(struct iom_smmu_cfg *c) { c->httu = 0; }
static void af_only(struct iom_smmu_cfg *c) { c->httu = 1; }

Test(smmu_s2, sl0_2_needs_pamax_44_and_s2ha_hd_need_idr0_httu)
{
	struct s2_args a = S2_4K;
	a.sl0 = 2; /* start L0, IA 40 */
	hand_setup(oas40);
	ste_s2(1, &a);
	cr_assert_eq(go(1, 0x1000, 0, 0).fault, 0x04);
	hand_setup(no_httu);
	a = S2_4K;
	a.ha = 1;
	ste_s2(1, &a);
	cr_assert_eq(go(1, 0x1000, 0, 0).fault, 0x04);
	hand_setup(af_only);
	ste_s2(1, &a);
	wr64(0x200000, d_table(0x201000));
	cr_assert_eq(go(1, 0x1000, 0, 0).fault, 0x10); /* S2HA alone is legal with HTTU = AF */
	a.hd = 1;
	ste_s2(2, &a);
	cr_assert_eq(go(2, 0x1000, 0, 0).fault, 0x04);
}

/* ---- nested ---- */

#define NVA ((1ull << 39) | (2ull << 30) | (3ull << 21) | (4ull << 12) | 0x10)

static const struct s2_args NEST = { .config = SMMU_STE_CFG_NESTED, .vmid = 5, .t0sz = 16,
				     .sl0 = 2, .tg = SMMU_TG0_4K, .ps = 5, .ttb = 0x100000,
				     .ctxptr = 0x40000000 };

static void nested_tables(void)
{
	uint64_t cd[8];
	wr64(0x100000, d_table(0x101000));
	wr64(0x101000 + 1 * 8, d_table(0x102000));
	wr64(0x102000, d_table(0x103000));
	for (unsigned n = 0; n < 6; n++)
		wr64(0x103000 + n * 8, s2_page(0x80000000 + n * 0x1000ull));
	cd_words(cd, SMMU_TG0_4K, 16, 0x40001000); /* TTB0 is an IPA */
	wr_words(0x80000000, cd);
	wr64(0x80001000 + 1 * 8, d_table(0x40002000));
	wr64(0x80002000 + 2 * 8, d_table(0x40003000));
	wr64(0x80003000 + 3 * 8, d_table(0x40004000));
	wr64(0x80004000 + 4 * 8, s1_page(0x40005000));
	ste_s2(1, &NEST);
}

static void caches_off(struct iom_smmu_cfg *c)
{
	c->tlb.entries = 0;
	c->walk_cache.entries = 0;
	c->s2_walk_cache.entries = 0;
	c->ipa_cache.entries = 0;
	c->config_cache.entries = 0;
}

Test(smmu_s2, nested_uncached_4_over_4_costs_28_walk_reads)
{
	/* CD at IPA 0x40000000: a 4-read stage-2 walk, then the CD read (cfg). Stage 1: each
	 * of its 4 descriptor IPAs costs a 4-read stage-2 walk + the read = 20; the output
	 * IPA another 4-read walk: 4 x (4 + 1) + 4 = 24. Walk reads 4 + 24 = 28; config
	 * reads STE + CD = 2: 30 memory reads in all. */
	hand_setup(caches_off);
	nested_tables();
	for (int i = 0; i < 2; i++) { /* nothing is cached: the second costs the same */
		struct iom_txn t = go(1, NVA, 0, 0);
		expect_ok(t, 0x80005010, 28);
		cr_assert_eq(t.cfg_reads, 2);
	}
	const struct iom_smmu_stats *st = iom_smmu_stats(F.smmu);
	cr_assert_eq(st->walks, 2);
	cr_assert_eq(st->s2_walks, 12);     /* CD, 4 tables, output: 6 per translation */
	cr_assert_eq(st->s2_walk_reads, 48);
	cr_assert_eq(st->walk_reads, 56);
}

static void ipa_cache_only(struct iom_smmu_cfg *c)
{
	caches_off(c);
	c->ipa_cache.entries = 64;
}

Test(smmu_s2, ipa_cache_leaves_only_the_stage1_reads)
{
	/* Second translation: CD, the 4 table IPAs and the output IPA hit the IPA cache
	 * (6 pages, all distinct): only the 4 stage-1 descriptor reads remain. */
	hand_setup(ipa_cache_only);
	nested_tables();
	expect_ok(go(1, NVA, 0, 0), 0x80005010, 28);
	expect_ok(go(1, NVA, 0, 0), 0x80005010, 4);
	cr_assert_eq(iom_cache_valid(iom_smmu_ipa_cache(F.smmu)), 6);
}

static void s2wc_only(struct iom_smmu_cfg *c)
{
	caches_off(c);
	c->s2_walk_cache.entries = 128;
}

Test(smmu_s2, s2_walk_cache_leaves_one_stage2_read_per_ipa)
{
	/* All six IPA pages share stage-2 L0..L2: after the CD's full walk (4 reads) each
	 * later stage-2 walk hits the L2 entry and reads L3 only. First: 4 + 4 x (1 + 1) + 1
	 * = 13; second: 1 + 8 + 1 = 10. */
	hand_setup(s2wc_only);
	nested_tables();
	expect_ok(go(1, NVA, 0, 0), 0x80005010, 13);
	expect_ok(go(1, NVA, 0, 0), 0x80005010, 10);
}

static void s1wc_only(struct iom_smmu_cfg *c)
{
	caches_off(c);
	c->walk_cache.entries = 128;
}

Test(smmu_s2, s1_walk_cache_skips_to_the_l3_table_ipa)
{
	/* Second: CD 4, then from the cached L2 entry: the L3 table IPA (4 + 1), the
	 * output (4): 4 + 5 + 4 = 13. */
	hand_setup(s1wc_only);
	nested_tables();
	expect_ok(go(1, NVA, 0, 0), 0x80005010, 28);
	expect_ok(go(1, NVA, 0, 0), 0x80005010, 13);
}

Test(smmu_s2, nested_defaults_hit_every_cache_on_the_second_translation)
{
	/* First (default caches): the CD's stage-2 walk (4) fills the stage-2 walk cache, so
	 * each later stage-2 walk reads L3 only: 4 + 4 x (1 + 1) + 1 = 13. */
	nested_tables();
	struct iom_txn t = go(1, NVA, 0, 0);
	expect_ok(t, 0x80005010, 13);
	t = go(1, NVA + 4, 1, 0);
	expect_ok(t, 0x80005014, 0);
	cr_assert(t.tlb_hit);
	/* config 2P + 2P, TLB P */
	cr_assert_eq(t.done_ps - t.issue_ps, 5 * P);
}

Test(smmu_s2, combined_entry_takes_the_smaller_page)
{
	/* stage 1 maps a 2 MB block at IPA 0x40200000, stage 2 maps that IPA range with
	 * 4 KB pages (L3 table 0x104000): the TLB entry is 4 KB, so the next page walks. */
	nested_tables();
	wr64(0x102000 + 1 * 8, d_table(0x104000));
	wr64(0x104000 + 0 * 8, s2_page(0x90000000));
	wr64(0x104000 + 1 * 8, s2_page(0x90001000));
	uint64_t va = (1ull << 39) | (2ull << 30) | (5ull << 21);
	wr64(0x80003000 + 5 * 8, s1_block(0x40200000));
	/* CD 4 (stage-2 walk cache filled); stage-1 L0, L1, L2 each 1 stage-2 read (L2 hit)
	 * + 1; the output IPA 0x40200010 has another stage-2 L2 entry: the L1 entry hits,
	 * then L2 + L3: 4 + 3 x 2 + 2 = 12 */
	expect_ok(go(1, va + 0x10, 0, 0), 0x90000010, 12);
	/* +4 KB: TLB miss; the stage-1 walk cache gives the L2 table, the IPA cache its
	 * page (1 read); the new output IPA hits the stage-2 walk cache at L2 (1 read) */
	struct iom_txn t = go(1, va + 0x1010, 0, 0);
	expect_ok(t, 0x90001010, 2);
	cr_assert(!t.tlb_hit);
}

Test(smmu_s2, combined_entry_of_2m_over_1g_is_2m)
{
	/* stage 2: a 1 GB block at L1 for IPA 0x40000000 -> PA 0x80000000 (same mapping as
	 * the pages); stage 1: a 2 MB block: the entry is 2 MB */
	nested_tables();
	wr64(0x101000 + 1 * 8, s2_block(0x80000000));
	uint64_t va = (1ull << 39) | (2ull << 30) | (3ull << 21);
	wr64(0x80003000 + 3 * 8, s1_block(0x40200000));
	/* CD: 2 reads (L0, then the L1 block), which puts a 1 GB entry in the IPA cache:
	 * every later IPA hits it, leaving the 3 stage-1 reads: 2 + 3 = 5 */
	expect_ok(go(1, va + 0x1234, 0, 0), 0x80201234, 5);
	struct iom_txn t = go(1, va + 0x101234, 0, 0);
	expect_ok(t, 0x80301234, 0);
	cr_assert(t.tlb_hit);
}

/* ---- nested faults (7.3.12-16) ---- */

Test(smmu_s2, nested_cd_ipa_unmapped_is_s2_translation_class_cd)
{
	nested_tables();
	struct s2_args a = NEST;
	a.ctxptr = 0x50000000; /* stage-2 L2 index 0x80: invalid */
	ste_s2(2, &a);
	struct iom_txn t = go(2, NVA, 0, 0);
	cr_assert_eq(t.fault, 0x10);
	cr_assert_eq(t.status, IOM_TXN_FAULT);
	expect_event(EV_W0(0x10, 2), EV_RNW | EV_S2 | EV_CLASS_CD, NVA, 0x50000000);
}

Test(smmu_s2, nested_table_ipa_unmapped_is_s2_translation_class_tt)
{
	nested_tables();
	wr64(0x80002000 + 2 * 8, d_table(0x40006000)); /* L2 table IPA page 6: unmapped */
	struct iom_txn t = go(1, NVA, 1, 0);
	cr_assert_eq(t.fault, 0x10);
	/* the faulting IPA is the descriptor's: 0x40006000 + 3 * 8 */
	expect_event(EV_W0(0x10, 1), EV_S2 | EV_CLASS_TT, NVA, 0x40006000);
}

Test(smmu_s2, nested_table_page_without_s2_read_is_s2_permission_tt_read)
{
	nested_tables();
	wr64(0x103000 + 4 * 8, s2_page(0x80004000) & ~(PTE_S2R | PTE_S2W));
	struct iom_txn t = go(1, NVA, 0, 0);
	cr_assert_eq(t.fault, 0x13);
	expect_event(EV_W0(0x13, 1), EV_RNW | EV_S2 | EV_CLASS_TT | EV_TTRNW, NVA, 0x40004000);
}

Test(smmu_s2, nested_output_faults_are_s2_class_in)
{
	nested_tables();
	/* output IPA page 7 (unmapped at stage 2) */
	uint64_t va2 = NVA + 0x1000;
	wr64(0x80004000 + 5 * 8, s1_page(0x40007000));
	struct iom_txn t = go(1, va2, 0, 0);
	cr_assert_eq(t.fault, 0x10);
	expect_event(EV_W0(0x10, 1), EV_RNW | EV_S2 | EV_CLASS_IN, va2, 0x40007000);
	/* output IPA read-only at stage 2, write */
	wr64(0x103000 + 5 * 8, s2_page(0x80005000) & ~PTE_S2W);
	t = go(1, NVA, 1, 0);
	cr_assert_eq(t.fault, 0x13);
	expect_event(EV_W0(0x13, 1), EV_S2 | EV_CLASS_IN, NVA, 0x40005000);
	/* the read succeeds (stage-1 walk cache to the L3 table, IPA cache for it and for
	 * the output: 1 read), and a write hitting that TLB entry faults at stage 2 again */
	expect_ok(go(1, NVA, 0, 0), 0x80005010, 1);
	t = go(1, NVA, 1, 0);
	cr_assert(t.tlb_hit);
	expect_event(EV_W0(0x13, 1), EV_S2 | EV_CLASS_IN, NVA, 0x40005000);
	/* a stage-1 fault in a nested STE: S2 = 0, CLASS = IN, no IPA */
	t = go(1, NVA + 0x2000, 0, 0);
	cr_assert_eq(t.fault, 0x10);
	expect_event(EV_W0(0x10, 1), EV_RNW | EV_CLASS_IN, NVA + 0x2000, 0);
}

Test(smmu_s2, nested_output_beyond_s2ps_is_s2_addr_size)
{
	nested_tables();
	struct s2_args a = NEST;
	a.ps = 2; /* 40 bits */
	ste_s2(2, &a);
	wr64(0x103000 + 5 * 8, s2_page(1ull << 41)); /* output IPA page: OA beyond S2PS */
	struct iom_txn t = go(2, NVA, 0, 0);
	cr_assert_eq(t.fault, 0x11);
	expect_event(EV_W0(0x11, 2), EV_RNW | EV_S2 | EV_CLASS_IN, NVA, 0x40005000);
}

Test(smmu_s2, walk_eabt_reports_the_stage_and_fetch_address)
{
	nested_tables();
	/* stage-1 L3 table IPA -> PA 2^44, beyond the 40-bit memory: the stage-1 read at
	 * 2^44 + 4 * 8 aborts: S2 = 0, CLASS = TT, FetchAddr = that PA; recorded, abort */
	wr64(0x103000 + 4 * 8, s2_page(1ull << 44));
	struct iom_txn t = go(1, NVA, 0, 0);
	cr_assert_eq(t.fault, 0x0b);
	cr_assert_eq(t.status, IOM_TXN_ABORT);
	expect_event(EV_W0(0x0b, 1), EV_RNW | EV_CLASS_TT, NVA, (1ull << 44) + 4 * 8);
	/* stage-2 L3 table at 2^44: the CD's stage-2 walk aborts: S2 = 1, CLASS = CD. A
	 * new VMID, so no cached stage-2 or stage-1 entry of VMID 5 serves it. */
	struct s2_args a = NEST;
	a.vmid = 6;
	wr64(0x102000, d_table(1ull << 44));
	ste_s2(2, &a);
	t = go(2, NVA, 0, 0);
	cr_assert_eq(t.fault, 0x0b);
	expect_event(EV_W0(0x0b, 2), EV_RNW | EV_S2 | EV_CLASS_CD, NVA, 1ull << 44);
}
