/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_smmuv3_granules.c - stage-1 translation through the SMMU with the 4 KB, 16 KB and
 * 64 KB granules (CD.TG0 / TG1), every start level T0SZ gives, TTB1, 52-bit VA/PA with
 * 64 KB, blocks, the contiguous hint, C_BAD_CD for ILLEGAL CDs, the micro-TLB and the
 * walk-cache level mask. Tables are written by hand (smmu-hand.h).
 *
 * Index rules (DDI0487 D8.2, algorithms-reference 1.5): granule 2^g, stride s = g - 3,
 * an entry at level l spans 2^(g + s(3 - l)) bytes; levels = ceil((IA - g) / s), start
 * level = 4 - levels; the start table takes IA - shift(start) bits. Every intermediate
 * table holds exactly one descriptor at the index the spec computes, so a walk that read
 * any other address would find zero and fault: a correct PA proves every read address.
 * Timing (fixture): config cache 2P, TLB 1P, walk cache 1P, D per read.
 */
#include "smmu-hand.h"

TestSuite(smmu_granules, .init = hand_init, .fini = hand_fini);

#define CD_PA 0x50000ull

static void dev(uint32_t tg0, uint32_t t0sz, uint64_t ttb0)
{
	uint64_t cd[8];
	cd_words(cd, tg0, t0sz, ttb0);
	wr_words(CD_PA, cd);
	ste_s1(1, CD_PA);
}

static void expect_ok(struct iom_txn t, uint64_t pa, unsigned reads)
{
	cr_assert_eq(t.status, IOM_TXN_OK, "status %u fault 0x%x", t.status, t.fault);
	cr_assert_eq(t.pa, pa, "pa 0x%llx != 0x%llx", (unsigned long long)t.pa,
		     (unsigned long long)pa);
	cr_assert_eq(t.walk_reads, reads, "walk_reads %u != %u", t.walk_reads, reads);
}

/* ---- start levels per granule ---- */

Test(smmu_granules, g4k_t0sz16_walks_l0_to_l3)
{
	/* IA 48: levels ceil(36/9) = 4. VA indices L0 1, L1 2, L2 3, L3 4. */
	uint64_t va = (1ull << 39) | (2ull << 30) | (3ull << 21) | (4ull << 12) | 0x56;
	dev(SMMU_TG0_4K, 16, 0x100000);
	wr64(0x100000 + 1 * 8, d_table(0x101000));
	wr64(0x101000 + 2 * 8, d_table(0x102000));
	wr64(0x102000 + 3 * 8, d_table(0x103000));
	wr64(0x103000 + 4 * 8, s1_page(0x4567000));
	struct iom_txn t = go(1, va, 0, 0);
	expect_ok(t, 0x4567056, 4);
	cr_assert_eq(t.cfg_reads, 2);
	/* STE 2P + D, CD 2P + D, TLB 1P, walk cache 1P, 4 reads */
	cr_assert_eq(t.done_ps - t.issue_ps, 6 * P + 6 * D);
	t = go(1, va + 8, 1, 0); /* TLB hit: config 2P + 2P, TLB 1P */
	expect_ok(t, 0x456705e, 0);
	cr_assert_eq(t.done_ps - t.issue_ps, 5 * P);
}

Test(smmu_granules, g4k_t0sz25_starts_at_l1)
{
	/* IA 39: levels ceil(27/9) = 3, L1 takes VA[38:30]. */
	uint64_t va = (5ull << 30) | (6ull << 21) | (7ull << 12) | 0x10;
	dev(SMMU_TG0_4K, 25, 0x110000);
	wr64(0x110000 + 5 * 8, d_table(0x111000));
	wr64(0x111000 + 6 * 8, d_table(0x112000));
	wr64(0x112000 + 7 * 8, s1_page(0x7000000));
	expect_ok(go(1, va, 0, 0), 0x7000010, 3);
	/* beyond 2^39: F_TRANSLATION without a walk */
	struct iom_txn t = go(1, 1ull << 39, 0, 0);
	cr_assert_eq(t.fault, 0x10);
	cr_assert_eq(t.walk_reads, 0);
}

Test(smmu_granules, g4k_t0sz34_starts_at_l2)
{
	/* IA 30: levels ceil(18/9) = 2, L2 takes VA[29:21]. */
	uint64_t va = (3ull << 21) | (9ull << 12) | 0x20;
	dev(SMMU_TG0_4K, 34, 0x120000);
	wr64(0x120000 + 3 * 8, d_table(0x121000));
	wr64(0x121000 + 9 * 8, s1_page(0x7100000));
	expect_ok(go(1, va, 0, 0), 0x7100020, 2);
}

Test(smmu_granules, g16k_t0sz16_starts_at_l0_with_two_entries)
{
	/* IA 48, g 14, s 11: levels ceil(34/11) = 4; L0 = VA[47], L1 [46:36], L2 [35:25],
	 * L3 [24:14]. */
	uint64_t va = (1ull << 47) | (3ull << 36) | (5ull << 25) | (7ull << 14) | 0x123;
	dev(SMMU_TG0_16K, 16, 0x200000);
	wr64(0x200000 + 1 * 8, d_table(0x204000));
	wr64(0x204000 + 3 * 8, d_table(0x208000));
	wr64(0x208000 + 5 * 8, d_table(0x20c000));
	wr64(0x20c000 + 7 * 8, s1_page(0x80004000));
	expect_ok(go(1, va, 0, 0), 0x80004123, 4);
}

Test(smmu_granules, g16k_t0sz17_starts_at_l1)
{
	/* IA 47: levels ceil(33/11) = 3, L1 takes VA[46:36] (2048 entries). */
	uint64_t va = (9ull << 36) | (10ull << 25) | (11ull << 14) | 0x3;
	dev(SMMU_TG0_16K, 17, 0x210000);
	wr64(0x210000 + 9 * 8, d_table(0x214000));
	wr64(0x214000 + 10 * 8, d_table(0x218000));
	wr64(0x218000 + 11 * 8, s1_page(0x80008000));
	expect_ok(go(1, va, 0, 0), 0x80008003, 3);
}

Test(smmu_granules, g64k_t0sz16_starts_at_l1)
{
	/* IA 48, g 16, s 13: levels ceil(32/13) = 3; L1 = VA[47:42] (64 entries), L2
	 * [41:29], L3 [28:16]. */
	uint64_t va = (2ull << 42) | (3ull << 29) | (4ull << 16) | 0x321;
	dev(SMMU_TG0_64K, 16, 0x300000);
	wr64(0x300000 + 2 * 8, d_table(0x310000));
	wr64(0x310000 + 3 * 8, d_table(0x320000));
	wr64(0x320000 + 4 * 8, s1_page(0x90000000));
	expect_ok(go(1, va, 0, 0), 0x90000321, 3);
}

Test(smmu_granules, g64k_t0sz22_starts_at_l2)
{
	/* IA 42: levels ceil(26/13) = 2, L2 takes VA[41:29]. */
	uint64_t va = (3ull << 29) | (4ull << 16) | 0x5;
	dev(SMMU_TG0_64K, 22, 0x330000);
	wr64(0x330000 + 3 * 8, d_table(0x340000));
	wr64(0x340000 + 4 * 8, s1_page(0x90010000));
	expect_ok(go(1, va, 0, 0), 0x90010005, 2);
}

static void oas52(struct iom_smmu_cfg *c) { c->oas_bits = 52; }

Test(smmu_granules, g64k_52bit_va_and_pa_with_oas52)
{
	/* IDR5.OAS = 52, VAX = 1: T0SZ 12 is legal with 64 KB. IA 52: levels ceil(36/13)
	 * = 3, L1 takes VA[51:42] (1024 entries). The leaf holds OA[51:48] in bits [15:12]
	 * (FEAT_LPA); IPS = 6 (52 bits). */
	hand_setup(oas52);
	cr_assert_eq(smmu_idr5_oas(iom_smmu_read_idr(F.smmu, 5)), 6);
	uint64_t va = (0x201ull << 42) | (1ull << 29) | (1ull << 16) | 0x77;
	uint64_t cd[8];
	cd_words(cd, SMMU_TG0_64K, 12, 0x400000);
	smmu_cd_set_ips(cd, 6);
	wr_words(CD_PA, cd);
	ste_s1(1, CD_PA);
	wr64(0x400000 + 0x201 * 8, d_table(0x410000));
	wr64(0x410000 + 1 * 8, d_table(0x420000));
	wr64(0x420000 + 1 * 8, s1_page(0x1230000 | (0x9ull << 12)));
	expect_ok(go(1, va, 0, 0), (0x9ull << 48) | 0x1230077, 3);
}

Test(smmu_granules, t0sz12_with_oas48_is_c_bad_cd)
{
	dev(SMMU_TG0_64K, 12, 0x400000);
	struct iom_txn t = go(1, 0x1000, 0, 0);
	cr_assert_eq(t.status, IOM_TXN_ABORT);
	cr_assert_eq(t.fault, 0x0a);
	expect_event(EV_W0(0x0a, 1), 0, 0, 0);
}

/* ---- TTB1 ---- */

Test(smmu_granules, ttb1_region_walks_ttb1_with_tg1_encoding)
{
	/* CD: EPD0 = 1, T1SZ 16, TG1 = 0b10 (4 KB in TG1's encoding), TTB1. VA[63:48] all
	 * ones; L0 index = VA[47:39] = 0x101. */
	uint64_t cd[8];
	cd_words(cd, SMMU_TG0_4K, 16, 0);
	smmu_cd_set_epd0(cd, 1);
	smmu_cd_set_epd1(cd, 0);
	smmu_cd_set_t1sz(cd, 16);
	smmu_cd_set_tg1(cd, SMMU_TG1_4K);
	smmu_cd_set_ttb1(cd, 0x500000);
	wr_words(CD_PA, cd);
	ste_s1(1, CD_PA);
	uint64_t va = 0xffff000000000000ull | (0x101ull << 39) | (2ull << 30) | (3ull << 21) |
		      (4ull << 12) | 0x8;
	wr64(0x500000 + 0x101 * 8, d_table(0x501000));
	wr64(0x501000 + 2 * 8, d_table(0x502000));
	wr64(0x502000 + 3 * 8, d_table(0x503000));
	wr64(0x503000 + 4 * 8, s1_page(0x7654000));
	expect_ok(go(1, va, 0, 0), 0x7654008, 4);
	expect_ok(go(1, va + 0x10, 0, 0), 0x7654018, 0); /* TLB hit */
	/* VA[55] = 1 but VA[63:48] not all ones: outside the TTB1 range */
	struct iom_txn t = go(1, 0x00ff808080604008ull, 0, 0);
	cr_assert_eq(t.fault, 0x10);
	expect_event(EV_W0(0x10, 1), EV_RNW | EV_CLASS_IN, 0x00ff808080604008ull, 0);
	/* TTB0 region with EPD0 = 1: F_TRANSLATION, no walk */
	t = go(1, 0x1000, 0, 0);
	cr_assert_eq(t.fault, 0x10);
	cr_assert_eq(t.walk_reads, 0);
}

Test(smmu_granules, tbi1_ignores_the_top_byte)
{
	uint64_t cd[8];
	cd_words(cd, SMMU_TG0_4K, 16, 0);
	smmu_cd_set_epd0(cd, 1);
	smmu_cd_set_epd1(cd, 0);
	smmu_cd_set_t1sz(cd, 16);
	smmu_cd_set_tg1(cd, SMMU_TG1_4K);
	smmu_cd_set_tbi1(cd, 1);
	smmu_cd_set_ttb1(cd, 0x500000);
	wr_words(CD_PA, cd);
	ste_s1(1, CD_PA);
	wr64(0x500000 + 0x1ff * 8, d_table(0x501000));
	wr64(0x501000 + 0x1ff * 8, d_table(0x502000));
	wr64(0x502000 + 0x1ff * 8, d_table(0x503000));
	wr64(0x503000 + 0x1ff * 8, s1_page(0x7654000));
	/* VA[63:56] = 0x12 is ignored: the VA translates as 0xffff_ffff_ffff_f000 */
	expect_ok(go(1, 0x12fffffffffff004ull, 0, 0), 0x7654004, 4);
}

/* ---- blocks and the contiguous hint ---- */

Test(smmu_granules, g4k_l1_block_is_1g)
{
	uint64_t va = (1ull << 39) | (1ull << 30) | 0x12345678;
	dev(SMMU_TG0_4K, 16, 0x600000);
	wr64(0x600000 + 1 * 8, d_table(0x601000));
	wr64(0x601000 + 1 * 8, s1_block(0xc0000000));
	expect_ok(go(1, va, 0, 0), 0xd2345678, 2);
	expect_ok(go(1, va + 0x20000000, 0, 0), 0xf2345678, 0); /* same 1 GB entry */
}

Test(smmu_granules, g4k_l2_block_is_2m)
{
	uint64_t va = (2ull << 21) | 0x12345;
	dev(SMMU_TG0_4K, 16, 0x610000);
	wr64(0x610000, d_table(0x611000));
	wr64(0x611000, d_table(0x612000));
	wr64(0x612000 + 2 * 8, s1_block(0x40000000));
	expect_ok(go(1, va, 0, 0), 0x40012345, 3);
	expect_ok(go(1, va + 0x100000, 0, 0), 0x40112345, 0);
}

Test(smmu_granules, g16k_l2_block_is_32m)
{
	/* T0SZ 17: start L1 (VA[46:36]); an L2 block spans 2^25 = 32 MB. */
	uint64_t va = (1ull << 36) | (2ull << 25) | 0x1234567;
	dev(SMMU_TG0_16K, 17, 0x620000);
	wr64(0x620000 + 1 * 8, d_table(0x624000));
	wr64(0x624000 + 2 * 8, s1_block(0x84000000));
	expect_ok(go(1, va, 0, 0), 0x85234567, 2);
	expect_ok(go(1, va + 0x100000, 0, 0), 0x85334567, 0);
}

Test(smmu_granules, g64k_l2_block_is_512m)
{
	/* T0SZ 22: start L2; an L2 block spans 2^29 = 512 MB. */
	uint64_t va = (1ull << 29) | 0x1234567;
	dev(SMMU_TG0_64K, 22, 0x630000);
	wr64(0x630000 + 1 * 8, s1_block(0x60000000));
	expect_ok(go(1, va, 0, 0), 0x61234567, 1);
	expect_ok(go(1, va + 0x10000000, 0, 0), 0x71234567, 0);
}

Test(smmu_granules, contiguous_hint_makes_one_64k_tlb_entry)
{
	/* 16 L3 entries (VA 0x10000..0x1ffff) with the Contiguous bit: one TLB entry of 64 KB */
	dev(SMMU_TG0_4K, 16, 0x640000);
	wr64(0x640000, d_table(0x641000));
	wr64(0x641000, d_table(0x642000));
	wr64(0x642000, d_table(0x643000));
	for (unsigned i = 0; i < 16; i++)
		wr64(0x643000 + (16 + i) * 8, s1_page(0xa0000000 + i * 0x1000ull) | PTE_CONT);
	expect_ok(go(1, 0x10000, 0, 0), 0xa0000000, 4);
	expect_ok(go(1, 0x15010, 0, 0), 0xa0005010, 0);
	expect_ok(go(1, 0x1fff8, 0, 0), 0xa000fff8, 0);
	cr_assert_eq(iom_cache_valid(iom_smmu_tlb(F.smmu)), 1);
}

/* ---- ILLEGAL CDs (5.4) ---- */

enum cd_bad { BAD_TG0, BAD_T0SZ_BIG, BAD_T0SZ_SMALL, BAD_TTB0_IPS, BAD_AA64, BAD_ENDI, BAD_S,
	      BAD_TG1, BAD_T1SZ, BAD_TTB1_IPS, BAD_N };

static void bad_cd(enum cd_bad which)
{
	uint64_t cd[8];
	cd_words(cd, SMMU_TG0_4K, 16, 0x100000);
	switch (which) {
	case BAD_TG0: smmu_cd_set_tg0(cd, 3); break;
	case BAD_T0SZ_BIG: smmu_cd_set_t0sz(cd, 40); break; /* > 39 without IDR3.STT */
	case BAD_T0SZ_SMALL: smmu_cd_set_t0sz(cd, 15); break; /* < 16 (4 KB, no LPA2) */
	case BAD_TTB0_IPS: /* IPS 40 bits, TTB0 at 2^41 */
		smmu_cd_set_ips(cd, 2);
		smmu_cd_set_ttb0(cd, 1ull << 41);
		break;
	case BAD_AA64: smmu_cd_set_aa64(cd, 0); break;
	case BAD_ENDI: smmu_cd_set_endi(cd, 1); break;
	case BAD_S: smmu_cd_set_s(cd, 1); break;
	case BAD_TG1: /* TTB1 enabled with TG1 = 0b00 (reserved) */
		smmu_cd_set_epd1(cd, 0);
		smmu_cd_set_t1sz(cd, 16);
		smmu_cd_set_ttb1(cd, 0x100000);
		break;
	case BAD_T1SZ:
		smmu_cd_set_epd1(cd, 0);
		smmu_cd_set_tg1(cd, SMMU_TG1_4K);
		smmu_cd_set_t1sz(cd, 40);
		smmu_cd_set_ttb1(cd, 0x100000);
		break;
	case BAD_TTB1_IPS:
		smmu_cd_set_epd1(cd, 0);
		smmu_cd_set_tg1(cd, SMMU_TG1_64K);
		smmu_cd_set_t1sz(cd, 16);
		smmu_cd_set_ttb1(cd, 1ull << 48);
		break;
	default: break;
	}
	wr_words(CD_PA, cd);
	ste_s1(1, CD_PA);
}

Test(smmu_granules, every_illegal_cd_class_is_c_bad_cd)
{
	for (int b = 0; b < BAD_N; b++) {
		bad_cd((enum cd_bad)b);
		struct iom_txn t = go(1, 0x1000, 0, 0);
		cr_expect_eq(t.status, IOM_TXN_ABORT, "case %d", b);
		cr_expect_eq(t.fault, 0x0a, "case %d: fault 0x%x", b, t.fault);
		expect_event(EV_W0(0x0a, 1), 0, 0, 0);
	}
	cr_assert_eq(iom_smmu_stats(F.smmu)->fault_by_id[0x0a], BAD_N);
}

Test(smmu_granules, ignored_fields_of_a_disabled_region_are_not_checked)
{
	/* EPD0 = 1 makes T0SZ / TG0 / TTB0 IGNORED (5.4): TG0 = 3 is then legal, and the
	 * TTB0 region faults with F_TRANSLATION on a TLB miss. */
	uint64_t cd[8];
	cd_words(cd, 3, 63, 1ull << 50);
	smmu_cd_set_epd0(cd, 1);
	wr_words(CD_PA, cd);
	ste_s1(1, CD_PA);
	struct iom_txn t = go(1, 0x1000, 0, 0);
	cr_assert_eq(t.fault, 0x10);
	expect_event(EV_W0(0x10, 1), EV_RNW | EV_CLASS_IN, 0x1000, 0);
}

static void httu_none(struct iom_smmu_cfg *c) { c->httu = 0; }
static void httu_af(struct iom_smmu_cfg *c) { c->httu = 1; }

Test(smmu_granules, ha_without_idr0_httu_is_c_bad_cd)
{
	hand_setup(httu_none);
	cr_assert_eq(smmu_idr0_httu(iom_smmu_read_idr(F.smmu, 0)), 0);
	uint64_t cd[8];
	cd_words(cd, SMMU_TG0_4K, 16, 0x100000);
	smmu_cd_set_ha(cd, 1);
	wr_words(CD_PA, cd);
	ste_s1(1, CD_PA);
	cr_assert_eq(go(1, 0x1000, 0, 0).fault, 0x0a);
}

Test(smmu_granules, hd_with_httu_af_only_is_c_bad_cd)
{
	hand_setup(httu_af);
	uint64_t cd[8];
	cd_words(cd, SMMU_TG0_4K, 16, 0x100000);
	smmu_cd_set_ha(cd, 1);
	wr_words(CD_PA, cd);
	ste_s1(1, CD_PA);
	cr_assert_eq(go(1, 0x1000, 0, 0).fault, 0x10); /* HA alone is legal: no table there */
	smmu_cd_set_hd(cd, 1);
	wr_words(CD_PA, cd);
	ste_s1(2, CD_PA); /* a new StreamID: the CD is not cached for it */
	cr_assert_eq(go(2, 0x1000, 0, 0).fault, 0x0a);
}

Test(smmu_granules, ttb0_beyond_48_bits_is_c_bad_cd_with_4k_even_at_oas52)
{
	/* 5.4 TTB0: outside a 48-bit range with a granule smaller than 64 KB is ILLEGAL */
	hand_setup(oas52);
	uint64_t cd[8];
	cd_words(cd, SMMU_TG0_4K, 16, 1ull << 49);
	smmu_cd_set_ips(cd, 6);
	wr_words(CD_PA, cd);
	ste_s1(1, CD_PA);
	cr_assert_eq(go(1, 0x1000, 0, 0).fault, 0x0a);
}

/* ---- micro-TLB and the walk-cache level mask ---- */

static void utlb4(struct iom_smmu_cfg *c) { c->utlb.entries = 4; }

Test(smmu_granules, micro_tlb_hit_skips_config_and_tlb_and_is_flushed_by_tlbi)
{
	hand_setup(utlb4);
	uint64_t va = (1ull << 39) | (2ull << 30) | (3ull << 21) | (4ull << 12) | 0x56, done;
	dev(SMMU_TG0_4K, 16, 0x100000);
	wr64(0x100000 + 1 * 8, d_table(0x101000));
	wr64(0x101000 + 2 * 8, d_table(0x102000));
	wr64(0x102000 + 3 * 8, d_table(0x103000));
	wr64(0x103000 + 4 * 8, s1_page(0x4567000));
	/* miss: micro-TLB 0 cycles, then STE 2P + D, CD 2P + D, TLB P, walk cache P, 4D */
	struct iom_txn t = go(1, va, 0, 0);
	expect_ok(t, 0x4567056, 4);
	cr_assert_eq(t.done_ps - t.issue_ps, 6 * P + 6 * D);
	t = go(1, va + 0x100, 1, 0); /* same 4 KB slice: hit, nothing else looked up */
	expect_ok(t, 0x4567156, 0);
	cr_assert_eq(t.cfg_reads, 0);
	cr_assert_eq(t.done_ps - t.issue_ps, 0);
	const struct iom_smmu_stats *st = iom_smmu_stats(F.smmu);
	cr_assert_eq(st->utlb_hits, 1);
	cr_assert_eq(st->utlb_misses, 1);
	OK(iom_smmu_drv_tlbi_asid(F.drv, 1, tick(), &done, &F.err));
	cr_assert_geq(st->utlb_flushes, 1);
	t = go(1, va, 0, 0); /* micro-TLB and TLB emptied: config cached, 4 reads again */
	expect_ok(t, 0x4567056, 4);
	cr_assert_eq(t.done_ps - t.issue_ps, 2 * P + 2 * P + P + P + 4 * D);
}

static void wc_l2_only(struct iom_smmu_cfg *c) { c->walk_cache_levels = 4; }

static void three_pages(void)
{
	/* pages at VA 0x1000, 0x2000 (same L3 table) and 0x200000 (next L2 entry) */
	dev(SMMU_TG0_4K, 16, 0x100000);
	wr64(0x100000, d_table(0x101000));
	wr64(0x101000, d_table(0x102000));
	wr64(0x102000, d_table(0x103000));
	wr64(0x102000 + 8, d_table(0x104000));
	wr64(0x103000 + 1 * 8, s1_page(0x5001000));
	wr64(0x103000 + 2 * 8, s1_page(0x5002000));
	wr64(0x104000, s1_page(0x5200000));
}

Test(smmu_granules, walk_cache_caches_every_table_level_by_default)
{
	three_pages();
	expect_ok(go(1, 0x1000, 0, 0), 0x5001000, 4);
	expect_ok(go(1, 0x2000, 0, 0), 0x5002000, 1); /* L2 entry cached: the L3 read only */
	expect_ok(go(1, 0x200000, 0, 0), 0x5200000, 2); /* L1 entry cached: L2 + L3 */
	cr_assert_eq(iom_cache_valid(iom_smmu_walk_cache(F.smmu)), 4); /* L0, L1, 2 x L2 */
}

Test(smmu_granules, walk_cache_levels_mask_keeps_only_those_levels)
{
	hand_setup(wc_l2_only);
	three_pages();
	expect_ok(go(1, 0x1000, 0, 0), 0x5001000, 4);
	expect_ok(go(1, 0x2000, 0, 0), 0x5002000, 1);
	expect_ok(go(1, 0x200000, 0, 0), 0x5200000, 4); /* no L0/L1 entries kept */
	cr_assert_eq(iom_cache_valid(iom_smmu_walk_cache(F.smmu)), 2);
}
