/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_smmuv3_events.c - every event the model raises for stage 1 and configuration,
 * bit-exact in all four words (IHI0070 7.3), CD.R recording, and the event queue's
 * overflow behaviour (7.2: OVFLG toggles once per unacknowledged overflow; records are
 * lost, the simulation goes on). Stage-2 records (S2 = 1, CLASS CD / TT / IN, IPA) are
 * in test_smmuv3_s2.c.
 *
 * Word 0: EventID [7:0], SSV 11, SubstreamID [31:12], StreamID [63:32]. Word 1: PnU 33,
 * InD 34 (0 for writes), RnW 35, S2 39, CLASS [41:40] (0 CD, 1 TT, 2 IN), TTRnW 44.
 * Word 2: InputAddr. Word 3: FetchAddr [51:3] (F_STE_FETCH, F_CD_FETCH, F_WALK_EABT) or
 * IPA [51:12] (stage-2 faults). Everything else RES0.
 */
#include "smmu-hand.h"

TestSuite(smmu_events, .init = hand_init, .fini = hand_fini);

#define CD_PA 0x50000ull
#define VA ((1ull << 39) | (2ull << 30) | (3ull << 21) | (4ull << 12) | 0x56)

/* 4 KB, T0SZ 16 tables at 0x100000..0x103000 mapping VA's page to 0x4567000. */
static void dev_with(uint64_t leaf)
{
	uint64_t cd[8];
	cd_words(cd, SMMU_TG0_4K, 16, 0x100000);
	wr_words(CD_PA, cd);
	ste_s1(1, CD_PA);
	wr64(0x100000 + 1 * 8, d_table(0x101000));
	wr64(0x101000 + 2 * 8, d_table(0x102000));
	wr64(0x102000 + 3 * 8, d_table(0x103000));
	wr64(0x103000 + 4 * 8, leaf);
}

/* ---- configuration events ---- */

Test(smmu_events, c_bad_streamid_with_substream)
{
	struct iom_txn t = go(0x100, 0x1000, 0, IOM_TXN_PASID_VALID);
	(void)t;
	/* pasid 0: SSV = 1, SSID 0 */
	expect_event(EV_W0(0x02, 0x100) | (1ull << 11), 0, 0, 0);
	struct iom_txn u = { .rid = 0x1ff, .pasid = 0xabcde, .flags = IOM_TXN_PASID_VALID,
			     .iova = 0x1000, .issue_ps = tick() };
	OK(iom_smmu_translate(F.smmu, &u, &F.err));
	expect_event(EV_W0(0x02, 0x1ff) | (1ull << 11) | (0xabcdeull << 12), 0, 0, 0);
}

Test(smmu_events, f_ste_fetch_carries_the_ste_address)
{
	/* stream table moved beyond the 40-bit memory: STE 5 at 2^44 + 5 * 64 */
	OK(iom_smmu_write_strtab(F.smmu, 1ull << 44, smmu_strtab_cfg_make(0, 8), &F.err));
	struct iom_txn t = go(5, 0x1000, 0, 0);
	cr_assert_eq(t.fault, 0x03);
	cr_assert_eq(t.status, IOM_TXN_ABORT);
	expect_event(EV_W0(0x03, 5), 0, 0, (1ull << 44) + 5 * 64);
}

Test(smmu_events, c_bad_ste_for_v0)
{
	wr64(ste_pa(3), 0);
	cr_assert_eq(go(3, 0x1000, 0, 0).fault, 0x04);
	expect_event(EV_W0(0x04, 3), 0, 0, 0);
}

Test(smmu_events, f_stream_disabled_and_c_bad_substreamid)
{
	uint64_t ste[8] = { 0 };
	smmu_ste_set_v(ste, 1);
	smmu_ste_set_config(ste, SMMU_STE_CFG_S1);
	smmu_ste_set_s1ctxptr(ste, CD_PA);
	smmu_ste_set_s1cdmax(ste, 1); /* two CDs; S1DSS = 0b00: no SSID terminates */
	wr_words(ste_pa(4), ste);
	cr_assert_eq(go(4, 0x1000, 0, 0).fault, 0x06);
	expect_event(EV_W0(0x06, 4), 0, 0, 0);
	struct iom_txn u = { .rid = 4, .pasid = 2, .flags = IOM_TXN_PASID_VALID, .iova = 0x1000,
			     .issue_ps = tick() };
	OK(iom_smmu_translate(F.smmu, &u, &F.err)); /* SSID 2 >= 2^S1CDMax */
	cr_assert_eq(u.fault, 0x08);
	expect_event(EV_W0(0x08, 4) | (1ull << 11) | (2ull << 12), 0, 0, 0);
}

Test(smmu_events, f_cd_fetch_and_c_bad_cd)
{
	ste_s1(6, 1ull << 44);
	cr_assert_eq(go(6, 0x1000, 0, 0).fault, 0x09);
	expect_event(EV_W0(0x09, 6), 0, 0, 1ull << 44);
	ste_s1(7, CD_PA); /* CD all zero: V = 0 */
	cr_assert_eq(go(7, 0x1000, 0, 0).fault, 0x0a);
	expect_event(EV_W0(0x0a, 7), 0, 0, 0);
}

/* ---- stage-1 translation events ---- */

Test(smmu_events, f_walk_eabt_stage1_class_tt_fetch_address_always_recorded)
{
	/* TTB0 2^44 (inside IPS 48, outside memory): the L0 read at 2^44 + 1 * 8 aborts.
	 * CD.R = 0 does not suppress it (not a translation-related fault, 5.5). */
	uint64_t cd[8];
	cd_words(cd, SMMU_TG0_4K, 16, 1ull << 44);
	smmu_cd_set_r(cd, 0);
	wr_words(CD_PA, cd);
	ste_s1(1, CD_PA);
	struct iom_txn t = go(1, VA, 1, 0);
	cr_assert_eq(t.fault, 0x0b);
	cr_assert_eq(t.status, IOM_TXN_ABORT);
	expect_event(EV_W0(0x0b, 1), EV_CLASS_TT, VA, (1ull << 44) + 8);
}

Test(smmu_events, f_translation_privileged_instruction_read)
{
	dev_with(0);
	struct iom_txn t = go(1, VA, 0, IOM_TXN_PRIV | IOM_TXN_EXEC);
	cr_assert_eq(t.fault, 0x10);
	cr_assert_eq(t.status, IOM_TXN_FAULT);
	expect_event(EV_W0(0x10, 1), EV_PNU | EV_IND | EV_RNW | EV_CLASS_IN, VA, 0);
	/* InD is 0 for a write whatever the incoming attribute (7.3) */
	go(1, VA, 1, IOM_TXN_EXEC);
	expect_event(EV_W0(0x10, 1), EV_CLASS_IN, VA, 0);
}

Test(smmu_events, f_addr_size_for_an_output_beyond_ips)
{
	uint64_t cd[8];
	cd_words(cd, SMMU_TG0_4K, 16, 0x100000);
	smmu_cd_set_ips(cd, 2); /* 40 bits */
	wr_words(CD_PA, cd);
	ste_s1(1, CD_PA);
	wr64(0x100000 + 1 * 8, d_table(0x101000));
	wr64(0x101000 + 2 * 8, d_table(0x102000));
	wr64(0x102000 + 3 * 8, d_table(0x103000));
	wr64(0x103000 + 4 * 8, s1_page(1ull << 41));
	struct iom_txn t = go(1, VA, 0, 0);
	cr_assert_eq(t.fault, 0x11);
	cr_assert_eq(t.walk_reads, 4);
	expect_event(EV_W0(0x11, 1), EV_RNW | EV_CLASS_IN, VA, 0);
}

Test(smmu_events, f_access_and_f_permission)
{
	dev_with(s1_page(0x4567000) & ~PTE_AF);
	cr_assert_eq(go(1, VA, 0, 0).fault, 0x12);
	expect_event(EV_W0(0x12, 1), EV_RNW | EV_CLASS_IN, VA, 0);
	wr64(0x103000 + 4 * 8, s1_page(0x4567000) | PTE_AP2); /* read-only */
	struct iom_txn t = go(1, VA, 1, IOM_TXN_PRIV);
	cr_assert_eq(t.fault, 0x13);
	expect_event(EV_W0(0x13, 1), EV_PNU | EV_CLASS_IN, VA, 0);
}

Test(smmu_events, cd_r_zero_suppresses_stage1_translation_faults_only)
{
	uint64_t cd[8];
	cd_words(cd, SMMU_TG0_4K, 16, 0x100000);
	smmu_cd_set_r(cd, 0);
	wr_words(CD_PA, cd);
	ste_s1(1, CD_PA);
	cr_assert_eq(go(1, VA, 0, 0).fault, 0x10);
	expect_no_event();
	cr_assert_eq(iom_smmu_stats(F.smmu)->fault_by_id[0x10], 1);
}

/* ---- the queue ---- */

Test(smmu_events, overflow_toggles_ovflg_once_until_acknowledged)
{
	/* 8-entry queue: 8 records fit; the 9th..12th are lost; OVFLG toggles once */
	for (uint32_t i = 0; i < 12; i++)
		cr_assert_eq(go(0x100 + i, 0, 0, 0).fault, 0x02);
	const struct iom_smmu_stats *st = iom_smmu_stats(F.smmu);
	cr_assert_eq(st->events_written, 8);
	cr_assert_eq(st->evtq_overflow, 4);
	cr_assert_eq(smmu_evtq_ovflg(iom_smmu_read_evtq_prod(F.smmu)), 1);
	/* software reads one record and acknowledges (OVACKFLG = OVFLG = 1) */
	expect_event(EV_W0(0x02, 0x100), 0, 0, 0);
	cr_assert_eq(smmu_evtq_ovflg(iom_smmu_read_evtq_cons(F.smmu)), 1);
	go(0x200, 0, 0, 0); /* fits in the freed slot */
	cr_assert_eq(smmu_evtq_ovflg(iom_smmu_read_evtq_prod(F.smmu)), 1);
	go(0x201, 0, 0, 0); /* a new overflow after the acknowledgement: OVFLG toggles */
	cr_assert_eq(smmu_evtq_ovflg(iom_smmu_read_evtq_prod(F.smmu)), 0);
	cr_assert_eq(st->events_written, 9);
	cr_assert_eq(st->evtq_overflow, 5);
	/* records 0x101..0x107 then 0x200 follow, in order */
	for (uint32_t i = 1; i < 8; i++)
		expect_event(EV_W0(0x02, 0x100 + i), 0, 0, 0);
	expect_event(EV_W0(0x02, 0x200), 0, 0, 0);
	expect_no_event();
}

Test(smmu_events, evtqen_zero_drops_records_and_counts_them)
{
	iom_smmu_write_cr0(F.smmu, SMMU_CR0_SMMUEN | SMMU_CR0_CMDQEN);
	cr_assert_eq(go(0x100, 0, 0, 0).fault, 0x02);
	cr_assert_eq(iom_smmu_stats(F.smmu)->events_disabled, 1);
	cr_assert_eq(iom_smmu_stats(F.smmu)->events_written, 0);
}

Test(smmu_events, smmu_disabled_address_beyond_oas_aborts_silently)
{
	iom_smmu_write_cr0(F.smmu, 0);
	struct iom_txn t = go(1, 1ull << 48, 0, 0);
	cr_assert_eq(t.status, IOM_TXN_ABORT);
	cr_assert_eq(t.fault, 0);
	t = go(1, (1ull << 48) - 1, 0, 0);
	cr_assert_eq(t.status, IOM_TXN_OK);
	cr_assert_eq(t.pa, (1ull << 48) - 1);
	expect_no_event();
}
