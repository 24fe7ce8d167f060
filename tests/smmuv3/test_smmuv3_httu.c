/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_smmuv3_httu.c - hardware updates of the access flag and dirty state (IHI0070
 * 3.13; CD.HA/HD, STE.S2HA/S2HD) through the SMMU: each update is one timed read-modify-
 * write of the leaf (a read and a write of D each), counted in httu_af_updates /
 * httu_dirty_updates / httu_rmws; a TLB or IPA-cache entry made from a writable-clean
 * leaf records that state, so the first write walks again and dirties the descriptor
 * exactly once however many writes follow.
 *
 * Stage 1 writable-clean = DBM (bit 51) = 1 and AP[2] (bit 7) = 1; the update clears
 * AP[2]. Stage 2 writable-clean = DBM = 1 and S2AP[1] (bit 7) = 0; the update sets it.
 */
#include "smmu-hand.h"

TestSuite(smmu_httu, .init = hand_init, .fini = hand_fini);

#define CD_PA 0x50000ull
#define VA ((1ull << 39) | (2ull << 30) | (3ull << 21) | (4ull << 12) | 0x56)
#define LEAF_PA (0x103000ull + 4 * 8)

static void dev(uint64_t leaf, int ha, int hd)
{
	uint64_t cd[8];
	cd_words(cd, SMMU_TG0_4K, 16, 0x100000);
	smmu_cd_set_ha(cd, (uint64_t)ha);
	smmu_cd_set_hd(cd, (uint64_t)hd);
	wr_words(CD_PA, cd);
	ste_s1(1, CD_PA);
	wr64(0x100000 + 1 * 8, d_table(0x101000));
	wr64(0x101000 + 2 * 8, d_table(0x102000));
	wr64(0x102000 + 3 * 8, d_table(0x103000));
	wr64(LEAF_PA, leaf);
}

Test(smmu_httu, s1_ha_sets_af_once_with_one_timed_rmw)
{
	uint64_t leaf = s1_page(0x4567000) & ~PTE_AF;
	dev(leaf, 1, 0);
	struct iom_txn t = go(1, VA, 0, 0);
	cr_assert_eq(t.status, IOM_TXN_OK);
	cr_assert_eq(t.pa, 0x4567056);
	cr_assert_eq(rd64(LEAF_PA), leaf | PTE_AF);
	/* STE 2P + D, CD 2P + D, TLB P, walk cache P, 4 reads, RMW read + write */
	cr_assert_eq(t.done_ps - t.issue_ps, 6 * P + 8 * D);
	const struct iom_smmu_stats *st = iom_smmu_stats(F.smmu);
	cr_assert_eq(st->httu_af_updates, 1);
	cr_assert_eq(st->httu_rmws, 1);
	for (int i = 0; i < 4; i++)
		go(1, VA, 0, 0); /* TLB hits */
	uint64_t done;
	OK(iom_smmu_drv_tlbi_asid(F.drv, 1, tick(), &done, &F.err));
	cr_assert_eq(go(1, VA, 0, 0).walk_reads, 4); /* walks again: AF is 1 now */
	cr_assert_eq(st->httu_af_updates, 1);
	cr_assert_eq(st->httu_rmws, 1);
}

Test(smmu_httu, s1_hd_dirties_once_under_repeated_writes)
{
	uint64_t leaf = s1_page(0x4567000) | PTE_DBM | PTE_AP2; /* writable-clean */
	dev(leaf, 1, 1);
	const struct iom_smmu_stats *st = iom_smmu_stats(F.smmu);
	struct iom_txn t = go(1, VA, 0, 0); /* a read leaves it clean */
	cr_assert_eq(t.status, IOM_TXN_OK);
	cr_assert_eq(rd64(LEAF_PA), leaf);
	cr_assert_eq(st->httu_dirty_updates, 0);
	/* first write: the clean TLB entry must not grant it: walk again (walk cache: the
	 * L3 read only), clear AP[2] in one RMW */
	t = go(1, VA, 1, 0);
	cr_assert_eq(t.status, IOM_TXN_OK);
	cr_assert_eq(t.walk_reads, 1);
	cr_assert_eq(rd64(LEAF_PA), leaf & ~PTE_AP2);
	for (int i = 0; i < 5; i++) {
		t = go(1, VA + 8 * (uint64_t)i, 1, 0);
		cr_assert_eq(t.status, IOM_TXN_OK);
		cr_assert(t.tlb_hit);
	}
	cr_assert_eq(st->httu_dirty_updates, 1);
	cr_assert_eq(st->httu_rewalks, 1);
	cr_assert_eq(st->httu_rmws, 1);
	cr_assert_eq(st->httu_af_updates, 0);
}

Test(smmu_httu, s1_first_access_a_write_sets_af_and_dirty_in_one_rmw)
{
	uint64_t leaf = (s1_page(0x4567000) | PTE_DBM | PTE_AP2) & ~PTE_AF;
	dev(leaf, 1, 1);
	struct iom_txn t = go(1, VA, 1, 0);
	cr_assert_eq(t.status, IOM_TXN_OK);
	cr_assert_eq(rd64(LEAF_PA), (leaf | PTE_AF) & ~PTE_AP2);
	const struct iom_smmu_stats *st = iom_smmu_stats(F.smmu);
	cr_assert_eq(st->httu_af_updates, 1);
	cr_assert_eq(st->httu_dirty_updates, 1);
	cr_assert_eq(st->httu_rmws, 1);
	cr_assert_eq(st->httu_rewalks, 0);
}

Test(smmu_httu, without_hd_a_writable_clean_page_is_read_only)
{
	uint64_t leaf = s1_page(0x4567000) | PTE_DBM | PTE_AP2;
	dev(leaf, 1, 0);
	struct iom_txn t = go(1, VA, 1, 0);
	cr_assert_eq(t.fault, 0x13);
	cr_assert_eq(rd64(LEAF_PA), leaf);
	expect_event(EV_W0(0x13, 1), EV_CLASS_IN, VA, 0);
	cr_assert_eq(iom_smmu_stats(F.smmu)->httu_rewalks, 0);
}

Test(smmu_httu, af_zero_without_ha_faults_unless_affd)
{
	uint64_t leaf = s1_page(0x4567000) & ~PTE_AF;
	dev(leaf, 0, 0);
	cr_assert_eq(go(1, VA, 0, 0).fault, 0x12);
	uint64_t cd[8];
	cd_words(cd, SMMU_TG0_4K, 16, 0x100000);
	smmu_cd_set_affd(cd, 1);
	wr_words(CD_PA + 64, cd);
	ste_s1(2, CD_PA + 64);
	cr_assert_eq(go(2, VA, 0, 0).status, IOM_TXN_OK);
	cr_assert_eq(rd64(LEAF_PA), leaf); /* AFFD: AF considered 1, never written */
}

/* ---- stage 2 ---- */

static const struct s2_args S2 = { .config = SMMU_STE_CFG_S2, .vmid = 3, .t0sz = 24, .sl0 = 1,
				   .tg = SMMU_TG0_4K, .ps = 5, .ttb = 0x200000, .ha = 1,
				   .hd = 1 };
#define IPA ((0x201ull << 30) | (3ull << 21) | (4ull << 12))
#define S2_LEAF_PA (0x204000ull + 4 * 8)

static void s2_dev(uint64_t leaf)
{
	ste_s2(1, &S2);
	wr64(0x200000 + 0x201 * 8, d_table(0x203000));
	wr64(0x203000 + 3 * 8, d_table(0x204000));
	wr64(S2_LEAF_PA, leaf);
}

Test(smmu_httu, s2ha_s2hd_set_af_then_dirty_once)
{
	uint64_t leaf = (s2_page(0x7000000) | PTE_DBM) & ~(PTE_AF | PTE_S2W);
	s2_dev(leaf);
	const struct iom_smmu_stats *st = iom_smmu_stats(F.smmu);
	struct iom_txn t = go(1, IPA, 0, 0); /* read: AF only */
	cr_assert_eq(t.status, IOM_TXN_OK);
	cr_assert_eq(rd64(S2_LEAF_PA), leaf | PTE_AF);
	t = go(1, IPA, 1, 0); /* write: walks again, sets S2AP[1] */
	cr_assert_eq(t.status, IOM_TXN_OK);
	cr_assert_eq(t.walk_reads, 1);
	cr_assert_eq(rd64(S2_LEAF_PA), leaf | PTE_AF | PTE_S2W);
	for (int i = 0; i < 5; i++)
		cr_assert(go(1, IPA + 64 * (uint64_t)i, 1, 0).tlb_hit);
	cr_assert_eq(st->httu_af_updates, 1);
	cr_assert_eq(st->httu_dirty_updates, 1);
	cr_assert_eq(st->httu_rmws, 2);
	cr_assert_eq(st->httu_rewalks, 1);
}

Test(smmu_httu, nested_s2ha_sets_af_of_every_stage2_page_once)
{
	/* Nested 4 KB / 4 KB (layout of test_smmuv3_s2.c) with every stage-2 leaf AF = 0 and
	 * S2HA = 1: the CD page, the 4 stage-1 table pages and the output page each get one
	 * AF update; the stage-1 leaf (AF = 0, CD.HA = 1) one more. */
	struct s2_args a = { .config = SMMU_STE_CFG_NESTED, .vmid = 5, .t0sz = 16, .sl0 = 2,
			     .tg = SMMU_TG0_4K, .ps = 5, .ttb = 0x100000, .ctxptr = 0x40000000,
			     .ha = 1 };
	uint64_t cd[8];
	wr64(0x100000, d_table(0x101000));
	wr64(0x101000 + 1 * 8, d_table(0x102000));
	wr64(0x102000, d_table(0x103000));
	for (unsigned n = 0; n < 6; n++)
		wr64(0x103000 + n * 8, s2_page(0x80000000 + n * 0x1000ull) & ~PTE_AF);
	cd_words(cd, SMMU_TG0_4K, 16, 0x40001000);
	smmu_cd_set_ha(cd, 1);
	wr_words(0x80000000, cd);
	uint64_t nva = VA & ~0xfffull;
	wr64(0x80001000 + 1 * 8, d_table(0x40002000));
	wr64(0x80002000 + 2 * 8, d_table(0x40003000));
	wr64(0x80003000 + 3 * 8, d_table(0x40004000));
	wr64(0x80004000 + 4 * 8, s1_page(0x40005000) & ~PTE_AF);
	ste_s2(1, &a);
	struct iom_txn t = go(1, nva, 0, 0);
	cr_assert_eq(t.status, IOM_TXN_OK, "fault 0x%x", t.fault);
	cr_assert_eq(t.pa, 0x80005000);
	const struct iom_smmu_stats *st = iom_smmu_stats(F.smmu);
	cr_assert_eq(st->httu_af_updates, 7);
	cr_assert_eq(st->httu_rmws, 7);
	for (unsigned n = 0; n < 6; n++)
		cr_assert(rd64(0x103000 + n * 8) & PTE_AF, "page %u", n);
	/* drop everything VMID 5 holds (S12_VMALL): the walk again finds AF = 1 everywhere */
	uint64_t cmds[2][2] = { { 0, 0 }, { 0, 0 } }, done;
	smmu_cmd_set_op(cmds[0], SMMU_CMD_TLBI_S12_VMALL);
	smmu_cmd_set_vmid(cmds[0], 5);
	smmu_cmd_set_op(cmds[1], SMMU_CMD_SYNC);
	OK(iom_smmu_drv_submit(F.drv, (const uint64_t(*)[2])cmds, 2, tick(), &done, &F.err));
	t = go(1, nva, 0, 0);
	cr_assert_eq(t.status, IOM_TXN_OK);
	/* the CD stays in the config cache; stage 1: the first table IPA walks stage 2 fully
	 * (4), the other three and the output hit the stage-2 walk cache (1 each), plus the
	 * 4 stage-1 reads: 4 + 3 + 4 + 1 = 12 */
	cr_assert_eq(t.walk_reads, 12);
	cr_assert_eq(st->httu_af_updates, 7);
}
