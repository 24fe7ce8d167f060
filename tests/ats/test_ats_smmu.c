/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ats_smmu.c - PCIe ATS with the SMMUv3: a function's ATC, Translation
 * Requests / Completions (IHI0070 3.9.1, 13.7), the S-bit size encoding
 * (algorithms reference 3.2, A.3), CMD_ATC_INV as Invalidate Requests with
 * ITags, CMD_SYNC waiting for their completions, the completion timeout
 * (CERROR_ATC_INV_SYNC), and Linux's ATS enablement at attach.
 * Expected values come from the fixture's timing facts (ats-test.h) and the
 * specification; the message log is compared field by field.
 */
#include "ats-test.h"

#include <stdlib.h>

TestSuite(ats_smmu, .init = fx_init, .fini = fx_fini);

/* The message log in wire order (the model logs each exchange as it decides it). */
static int msg_cmp(const void *a, const void *b)
{
	const struct iom_ats_msg *x = a, *y = b;
	return x->sent_ps < y->sent_ps ? -1 : x->sent_ps > y->sent_ps;
}

static void sort_msgs(void)
{
	/* insertion sort: stable, so same-time messages keep their order */
	for (size_t i = 1; i < F.nmsg; i++)
		for (size_t j = i; j > 0 && msg_cmp(&F.msg[j - 1], &F.msg[j]) > 0; j--) {
			struct iom_ats_msg m = F.msg[j];
			F.msg[j] = F.msg[j - 1];
			F.msg[j - 1] = m;
		}
}

/* ---- encodings ---- */

Test(ats_smmu, size_encoding_matches_reference_vectors)
{
	/* A.3: 2 MB at 0x4000_0000 -> 0x400F_F000 with S = 1; 8 KB at 0x2000 ->
	 * 0x2000 with S = 1; one 4 KB page -> S = 0; Linux's "all": [62:12] ones. */
	cr_assert_eq(iom_ats_size_encode(0x40000000, 21), 0x400FF000ull | IOM_ATS_CPL_S);
	cr_assert_eq(iom_ats_size_encode(0x2000, 13), 0x2000ull | IOM_ATS_CPL_S);
	cr_assert_eq(iom_ats_size_encode(0x5000, 12), 0x5000ull);
	cr_assert_eq(iom_ats_size_encode(0, 64), 0x7FFFFFFFFFFFF000ull | IOM_ATS_CPL_S);
	uint64_t a;
	cr_assert_eq(iom_ats_size_decode(0x400FF000ull | IOM_ATS_CPL_S, &a), 21);
	cr_assert_eq(a, 0x40000000ull);
	cr_assert_eq(iom_ats_size_decode(0x2000ull | IOM_ATS_CPL_S, &a), 13);
	cr_assert_eq(a, 0x2000ull);
	cr_assert_eq(iom_ats_size_decode(0x5000ull, &a), 12);
	cr_assert_eq(a, 0x5000ull);
	cr_assert_eq(iom_ats_size_decode(0x7FFFFFFFFFFFF000ull | IOM_ATS_CPL_S, &a), 64);
	cr_assert_eq(a, 0);
}

Test(ats_smmu, atc_inv_command_matches_linux_vectors)
{
	uint64_t c[2];
	/* A.3: [0x10000, 0x12FFF]: pages 0x10..0x12, XOR 0x2, fls 2 -> Size 2 at 0x10000. */
	iom_smmu_drv_build_atc_inv(c, 7, 0, 0x10000, 0x3000);
	cr_assert_eq(smmu_cmd_op(c), SMMU_CMD_ATC_INV);
	cr_assert_eq(smmu_cmd_sid(c), 7);
	cr_assert_eq(smmu_cmd_ssv(c), 0);
	cr_assert_eq(smmu_cmd_atc_size(c), 2);
	cr_assert_eq(smmu_cmd_addr(c), 0x10000ull);
	/* [0x1F000, 0x20FFF]: pages 0x1F, 0x20, XOR 0x3F, fls 6 -> Size 6 at 0. */
	iom_smmu_drv_build_atc_inv(c, 7, 3, 0x1F000, 0x2000);
	cr_assert_eq(smmu_cmd_atc_size(c), 6);
	cr_assert_eq(smmu_cmd_addr(c), 0);
	cr_assert_eq(smmu_cmd_ssv(c), 1);
	cr_assert_eq(smmu_cmd_ssid(c), 3);
	iom_smmu_drv_build_atc_inv(c, 7, 0, 0, 0);
	cr_assert_eq(smmu_cmd_atc_size(c), SMMU_ATC_SIZE_ALL);
}

/* ---- translation request / completion ---- */

Test(ats_smmu, attach_enables_ats_after_flushing_the_atc)
{
	ats_up(NULL);
	attach(1, -1, 0);
	cr_assert(iom_atc_enabled(atc()));
	cr_assert_eq(iom_atc_stu_log2(atc()), 12, "STU = the smallest granule, 4 KB");
	cr_assert(iom_smmu_drv_ste_eats(F.drv, RID), "STE.EATS = 0b01");
	/* arm_smmu_enable_ats(): CMD_ATC_INV of everything without a PASID first. */
	sort_msgs();
	cr_assert_eq(F.nmsg, 2);
	cr_assert_eq(F.msg[0].kind, IOM_ATS_MSG_INV_REQ);
	cr_assert_eq(F.msg[0].rid, RID);
	cr_assert_eq(F.msg[0].itag, 0);
	cr_assert_not(F.msg[0].pasid_valid);
	cr_assert_eq(F.msg[0].field, 0x7FFFFFFFFFFFF000ull | IOM_ATS_CPL_S, "Size 52 = everything");
	cr_assert_eq(F.msg[0].arrive_ps, F.msg[0].sent_ps + L);
	cr_assert_eq(F.msg[1].kind, IOM_ATS_MSG_INV_CPL);
	cr_assert_eq(F.msg[1].itag_vector, 1u);
	cr_assert_eq(F.msg[1].cc, 1);
	cr_assert_eq(F.msg[1].sent_ps, F.msg[0].arrive_ps + I);
	cr_assert_eq(F.msg[1].arrive_ps, F.msg[1].sent_ps + L);
}

Test(ats_smmu, translation_request_and_completion_exact_sequence)
{
	ats_up(NULL);
	attach(1, -1, 0);
	map(1, 0x100000, 0x80000000, 0x1000, IOM_PROT_R | IOM_PROT_W, 0);
	F.nmsg = 0;
	uint64_t T = MS;
	struct iom_dma_result r = ats_dma(T, -1, 0x100000, 256, 1);
	cr_assert_eq(r.faulted, 0);
	cr_assert_eq(F.nmsg, 2);
	/* TREQ: after the ATC lookup (2P), across the link (L); NW = 0 for a write. */
	const struct iom_ats_msg *q = &F.msg[0], *c = &F.msg[1];
	cr_assert_eq(q->kind, IOM_ATS_MSG_TREQ);
	cr_assert_eq(q->rid, RID);
	cr_assert_not(q->pasid_valid);
	cr_assert_eq(q->no_write, 0);
	cr_assert_eq(q->field, 0x100000ull);
	cr_assert_eq(q->sent_ps, T + 2 * P);
	cr_assert_eq(q->arrive_ps, T + 2 * P + L);
	/* TCPL: a cold translation (6P + 6D); one 4 KB page: S = 0, R = W = 1. */
	cr_assert_eq(c->kind, IOM_ATS_MSG_TCPL);
	cr_assert_eq(c->status, IOM_ATS_SUCCESS);
	cr_assert_eq(c->field, 0x80000000ull | IOM_ATS_CPL_R | IOM_ATS_CPL_W);
	cr_assert_eq(c->sent_ps, q->arrive_ps + 6 * P + 6 * D);
	cr_assert_eq(c->arrive_ps, c->sent_ps + L);
	/* The Translated write passes the SMMU unchecked (ATSCHK = 0) and costs D. */
	cr_assert_eq(r.done_ps, c->arrive_ps + D);
	const struct iom_atc_stats *as = iom_atc_stats(atc());
	cr_assert_eq(as->tr, 1);
	cr_assert_eq(as->translated_tlps, 1);
	cr_assert_eq(iom_smmu_stats(F.smmu)->ats_tr, 1);
	cr_assert_eq(iom_smmu_stats(F.smmu)->ats_translated, 1);
}

Test(ats_smmu, atc_hit_avoids_any_iommu_access)
{
	ats_up(NULL);
	attach(1, -1, 0);
	map(1, 0x100000, 0x80000000, 0x1000, IOM_PROT_R | IOM_PROT_W, 0);
	ats_dma(MS, -1, 0x100000, 256, 1);
	struct iom_smmu_stats s0 = *iom_smmu_stats(F.smmu);
	struct iom_cache_stats tlb0 = *iom_cache_stats(iom_smmu_tlb(F.smmu));
	struct iom_cache_stats cc0 = *iom_cache_stats(iom_smmu_config_cache(F.smmu));
	struct iom_cache_stats wc0 = *iom_cache_stats(iom_smmu_walk_cache(F.smmu));
	F.nmsg = 0;
	/* 4 KB = 16 write TLPs, all in the cached page. */
	struct iom_dma_result r = ats_dma(2 * MS, -1, 0x100000, 4096, 1);
	cr_assert_eq(r.tlps, 16);
	cr_assert_eq(r.faulted, 0);
	cr_assert_eq(F.nmsg, 0, "no Translation Request");
	const struct iom_smmu_stats *s1 = iom_smmu_stats(F.smmu);
	cr_assert_eq(s1->ats_tr, s0.ats_tr);
	cr_assert_eq(s1->ats_translated - s0.ats_translated, 16);
	cr_assert_eq(s1->cfg_reads, s0.cfg_reads);
	cr_assert_eq(s1->walk_reads, s0.walk_reads);
	cr_assert_eq(iom_cache_stats(iom_smmu_tlb(F.smmu))->lookups, tlb0.lookups);
	cr_assert_eq(iom_cache_stats(iom_smmu_config_cache(F.smmu))->lookups, cc0.lookups);
	cr_assert_eq(iom_cache_stats(iom_smmu_walk_cache(F.smmu))->lookups, wc0.lookups);
	cr_assert_eq(iom_atc_stats(atc())->hits, 16);
}

Test(ats_smmu, two_mb_page_completes_with_the_s_bit_size)
{
	ats_up(NULL);
	attach(1, -1, 0);
	map(1, 0x40000000, 0x80000000, 2ull << 20, IOM_PROT_R | IOM_PROT_W, 2ull << 20);
	F.nmsg = 0;
	ats_dma(MS, -1, 0x40123000, 64, 0);
	cr_assert_eq(F.nmsg, 2);
	cr_assert_eq(F.msg[0].no_write, 1, "a read asks NW = 1");
	cr_assert_eq(F.msg[0].field, 0x40123000ull);
	/* 2 MB at PA 0x8000_0000: bits [19:12] set, bit 20 clear, S = 1; R = W = 1 */
	cr_assert_eq(F.msg[1].field, 0x800FF000ull | IOM_ATS_CPL_S | IOM_ATS_CPL_R | IOM_ATS_CPL_W);
	/* Another page of the same 2 MB range: an ATC hit, no new request. */
	ats_dma(2 * MS, -1, 0x401FF000, 64, 1);
	cr_assert_eq(F.nmsg, 2);
	cr_assert_eq(iom_atc_stats(atc())->hits, 1);
	cr_assert_eq(iom_cache_valid(iom_atc_cache(atc())), 1);
}

Test(ats_smmu, read_only_page_grants_read_but_not_write)
{
	ats_up(NULL);
	attach(1, -1, 0);
	map(1, 0x100000, 0x80000000, 0x1000, IOM_PROT_R, 0);
	F.nmsg = 0;
	struct iom_dma_result r = ats_dma(MS, -1, 0x100000, 64, 1);
	/* 13.7: NW = 0 to a read-only page: R = 1, W = 0 (partial grant, Success). */
	cr_assert_eq(F.msg[1].status, IOM_ATS_SUCCESS);
	cr_assert_eq(F.msg[1].field, 0x80000000ull | IOM_ATS_CPL_R);
	cr_assert_eq(r.faulted, 1, "the write ends at the device");
	cr_assert_eq(iom_atc_stats(atc())->tr_denied, 1);
	cr_assert_eq(iom_smmu_stats(F.smmu)->faults, 0, "no SMMU fault for a Translation Request");
	/* A read then hits the read-only entry; a write misses on permission. */
	r = ats_dma(2 * MS, -1, 0x100000, 64, 0);
	cr_assert_eq(r.faulted, 0);
	cr_assert_eq(iom_atc_stats(atc())->hits, 1);
	ats_dma(3 * MS, -1, 0x100000, 64, 1);
	cr_assert_eq(iom_atc_stats(atc())->perm_misses, 1);
	cr_assert_eq(iom_atc_stats(atc())->tr, 2);
}

Test(ats_smmu, unmapped_address_completes_with_no_access_and_no_event)
{
	ats_up(NULL);
	attach(1, -1, 0);
	struct iom_ats_req q = { .rid = RID, .iova = 0x300000, .issue_ps = MS };
	OK(iom_iommu_ats_translate(&F.iommu, &q, &F.err));
	/* 3.9.1.2: F_TRANSLATION -> Success, R = W = 0, the STU, no event. */
	cr_assert_eq(q.status, IOM_ATS_SUCCESS);
	cr_assert_eq(q.perm, 0);
	cr_assert_eq(q.size_log2, 12);
	cr_assert_eq(q.base, 0x300000ull);
	cr_assert_eq(q.fault, SMMU_EVT_F_TRANSLATION);
	uint64_t ev[4];
	cr_assert_eq(iom_smmu_drv_read_event(F.drv, ev), 0, "no event recorded");
	cr_assert_eq(iom_smmu_stats(F.smmu)->ats_tr_noaccess, 1);
	/* Through the device: the TLP ends there; nothing is cached. */
	struct iom_dma_result r = ats_dma(2 * MS, -1, 0x300000, 64, 0);
	cr_assert_eq(r.faulted, 1);
	cr_assert_eq(iom_cache_valid(iom_atc_cache(atc())), 0);
}

static void no_ats_cap(void)
{
	F.ac.enable = false;
}

Test(ats_smmu, eats_0_translation_request_is_ur_with_f_bad_ats_treq)
{
	ats_up(no_ats_cap);
	attach(1, -1, 0);
	cr_assert_not(iom_smmu_drv_ste_eats(F.drv, RID), "no ATS capability: EATS = 0b00");
	cr_assert_not(iom_atc_enabled(atc()));
	struct iom_ats_req q = { .rid = RID, .iova = 0x100000, .issue_ps = MS, .no_write = 1 };
	OK(iom_iommu_ats_translate(&F.iommu, &q, &F.err));
	cr_assert_eq(q.status, IOM_ATS_UR);
	uint64_t ev[4];
	cr_assert_eq(iom_smmu_drv_read_event(F.drv, ev), 1);
	cr_assert_eq(ev[0] & 0xff, SMMU_EVT_F_BAD_ATS_TREQ);
	cr_assert_eq(ev[0] >> 32, RID);
	cr_assert_eq((ev[1] >> 35) & 1, 1, "RnW = NW = 1");
	cr_assert_eq(ev[2], 0x100000ull);
	cr_assert_eq(iom_smmu_stats(F.smmu)->ats_tr_ur, 1);
}

Test(ats_smmu, ats_disabled_in_the_function_falls_back_to_untranslated)
{
	ats_up(no_ats_cap);
	attach(1, -1, 0);
	map(1, 0x100000, 0x80000000, 0x1000, IOM_PROT_R | IOM_PROT_W, 0);
	uint64_t x0 = iom_cache_stats(iom_smmu_tlb(F.smmu))->lookups;
	struct iom_dma_result r = ats_dma(MS, -1, 0x100000, 256, 1);
	cr_assert_eq(r.faulted, 0);
	cr_assert_eq(F.nmsg, 0);
	cr_assert_eq(iom_atc_stats(atc())->untranslated_tlps, 1);
	cr_assert_eq(iom_cache_stats(iom_smmu_tlb(F.smmu))->lookups - x0, 1,
		     "translated by the SMMU as an ordinary request");
}

Test(ats_smmu, identity_domain_disables_ats_and_flushes_the_atc)
{
	ats_up(NULL);
	attach(1, -1, 0);
	map(1, 0x100000, 0x80000000, 0x1000, IOM_PROT_R | IOM_PROT_W, 0);
	ats_dma(MS, -1, 0x100000, 64, 0);
	cr_assert_eq(iom_cache_valid(iom_atc_cache(atc())), 1);
	OK(iom_host_domain_create(F.host, 2, IOM_HOST_DOM_IDENTITY, &F.err));
	F.nmsg = 0;
	uint64_t done;
	OK(iom_host_attach(F.host, RID, -1, 2, 2 * MS, &done, &F.err));
	cr_assert_not(iom_atc_enabled(atc()), "pci_disable_ats() before the bypass STE");
	cr_assert_not(iom_smmu_drv_ste_eats(F.drv, RID));
	cr_assert_eq(iom_cache_valid(iom_atc_cache(atc())), 0);
	cr_assert_eq(count_msgs(0, IOM_ATS_MSG_INV_REQ), 1, "the whole ATC after the STE");
	cr_assert_eq(F.msg[0].field, 0x7FFFFFFFFFFFF000ull | IOM_ATS_CPL_S);
}

static void atschk_no_cap(void)
{
	F.ac.enable = false;
	F.sc.atschk = true;
}

static void atschk(void)
{
	F.sc.atschk = true;
}

Test(ats_smmu, translated_request_without_eats_is_forbidden_with_atschk)
{
	ats_up(atschk_no_cap);
	attach(1, -1, 0);
	struct iom_dma_result r;
	OK(iom_device_dma_at(&F.dev, IOM_TXN_AT_TRANSLATED, MS, -1, 0x80000000, 64, 1, 0, &r,
			     &F.err));
	cr_assert_eq(r.faulted, 1);
	cr_assert_eq(r.first_status, IOM_TXN_ABORT);
	cr_assert_eq(r.first_fault, SMMU_EVT_F_TRANSL_FORBIDDEN);
	uint64_t ev[4];
	cr_assert_eq(iom_smmu_drv_read_event(F.drv, ev), 1);
	cr_assert_eq(ev[0] & 0xff, SMMU_EVT_F_TRANSL_FORBIDDEN);
	cr_assert_eq((ev[1] >> 35) & 1, 0, "RnW = 0: a write");
	cr_assert_eq(ev[2], 0x80000000ull);
	cr_assert_eq(iom_smmu_stats(F.smmu)->ats_translated_aborted, 1);
}

Test(ats_smmu, translated_request_with_eats_passes_atschk)
{
	ats_up(atschk);
	attach(1, -1, 0);
	struct iom_dma_result r;
	OK(iom_device_dma_at(&F.dev, IOM_TXN_AT_TRANSLATED, MS, -1, 0x80000000, 64, 1, 0, &r,
			     &F.err));
	cr_assert_eq(r.faulted, 0);
	cr_assert_eq(iom_smmu_stats(F.smmu)->ats_translated, 1);
}

/* ---- invalidation ---- */

Test(ats_smmu, unmap_sends_atc_inv_with_two_outstanding_itags)
{
	ats_up(NULL);
	attach(1, -1, 0);
	attach(1, 5, 10 * US); /* PASID 5 on the same domain: a second ATS master */
	map(1, 0x200000, 0x90000000, 0x1000, IOM_PROT_R | IOM_PROT_W, 0);
	ats_dma(MS, -1, 0x200000, 64, 0);
	ats_dma(2 * MS, 5, 0x200000, 64, 0);
	cr_assert_eq(iom_cache_valid(iom_atc_cache(atc())), 2, "one entry per PASID context");
	F.nmsg = 0;
	uint64_t done = unmap(1, 0x200000, 0x1000, 3 * MS);
	sort_msgs();
	cr_assert_eq(F.nmsg, 4);
	const struct iom_ats_msg *q0 = &F.msg[0], *q1 = &F.msg[1], *c0 = &F.msg[2], *c1 = &F.msg[3];
	/* After the TLBI + CMD_SYNC: CMD_ATC_INV for (RID, no PASID) then (RID, 5). */
	cr_assert_eq(q0->kind, IOM_ATS_MSG_INV_REQ);
	cr_assert_eq(q0->itag, 0);
	cr_assert_not(q0->pasid_valid);
	cr_assert_eq(q0->field, 0x200000ull, "one page: S = 0");
	cr_assert_eq(q1->kind, IOM_ATS_MSG_INV_REQ);
	cr_assert_eq(q1->itag, 1, "ITag 0 is still outstanding");
	cr_assert(q1->pasid_valid);
	cr_assert_eq(q1->pasid, 5);
	cr_assert_eq(q1->field, 0x200000ull);
	/* Consecutive commands: 16-byte fetch (D) + cmd_cycles (4P). */
	cr_assert_eq(q1->sent_ps, q0->sent_ps + D + 4 * P);
	cr_assert_eq(c0->kind, IOM_ATS_MSG_INV_CPL);
	cr_assert_eq(c0->itag_vector, 0x1u);
	cr_assert_eq(c0->cc, 1);
	cr_assert_eq(c0->sent_ps, q0->sent_ps + L + I);
	cr_assert_eq(c1->kind, IOM_ATS_MSG_INV_CPL);
	cr_assert_eq(c1->itag_vector, 0x2u);
	cr_assert_eq(c1->sent_ps, c0->sent_ps + I, "the function handles one request at a time");
	cr_assert_eq(c1->arrive_ps, c1->sent_ps + L);
	/* CMD_SYNC completes when the last completion is back. */
	cr_assert_eq(done, c1->arrive_ps);
	cr_assert_eq(iom_cache_valid(iom_atc_cache(atc())), 0);
	cr_assert_eq(iom_atc_stats(atc())->inv_dropped, 2, "no PASID prefix: every entry");
}

static void no_response(void)
{
	F.ac.no_inval_response = true;
	F.ac.inval_timeout_ns = 100000; /* 100 us */
}

Test(ats_smmu, timeout_stops_cmd_sync_with_cerror_atc_inv_sync)
{
	ats_up(no_response);
	attach(1, -1, 0); /* the enable-time ATC_INV times out already */
	cr_assert_eq(iom_smmu_stats(F.smmu)->atc_sync_errors, 1);
	map(1, 0x100000, 0x80000000, 0x1000, IOM_PROT_R | IOM_PROT_W, 0);
	ats_dma(MS, -1, 0x100000, 64, 0);
	F.nmsg = 0;
	uint64_t done = unmap(1, 0x100000, 0x1000, 2 * MS);
	sort_msgs();
	cr_assert_eq(F.nmsg, 2);
	cr_assert_eq(F.msg[0].kind, IOM_ATS_MSG_INV_REQ);
	cr_assert_eq(F.msg[0].itag, 0, "the timed-out ITag was freed");
	cr_assert_eq(F.msg[1].kind, IOM_ATS_MSG_INV_TIMEOUT);
	cr_assert_eq(F.msg[1].itag, 0);
	cr_assert_eq(F.msg[1].sent_ps, F.msg[0].sent_ps + 100 * US);
	/* The SYNC stops at the timeout with CERROR_ATC_INV_SYNC; the driver
	 * acknowledges it and the SYNC runs again: fetch D + sync_cycles 10P. */
	cr_assert_eq(iom_smmu_stats(F.smmu)->atc_sync_errors, 2);
	cr_assert_eq(iom_smmu_drv_stats(F.drv)->atc_sync_retries, 2);
	cr_assert_eq(done, F.msg[1].sent_ps + D + 10 * P);
	cr_assert_eq(smmu_cmdq_cons_err(iom_smmu_read_cmdq_cons(F.smmu)), SMMU_CERROR_NONE);
	/* The function never handled the request: its stale entry is still there. */
	cr_assert_eq(iom_cache_valid(iom_atc_cache(atc())), 1);
	cr_assert_eq(iom_atc_stats(atc())->inv_timeouts, 2);
}

static void shallow_queue(void)
{
	F.ac.inval_queue_depth = 1;
}

Test(ats_smmu, queue_depth_one_waits_for_the_itag)
{
	ats_up(shallow_queue);
	attach(1, -1, 0);
	attach(1, 5, 10 * US);
	map(1, 0x200000, 0x90000000, 0x1000, IOM_PROT_R | IOM_PROT_W, 0);
	F.nmsg = 0;
	unmap(1, 0x200000, 0x1000, MS);
	sort_msgs();
	cr_assert_eq(F.nmsg, 4);
	cr_assert_eq(F.msg[0].kind, IOM_ATS_MSG_INV_REQ);
	cr_assert_eq(F.msg[1].kind, IOM_ATS_MSG_INV_CPL);
	cr_assert_eq(F.msg[2].kind, IOM_ATS_MSG_INV_REQ);
	cr_assert_eq(F.msg[2].itag, 0, "depth 1: ITag 0 again");
	cr_assert_eq(F.msg[2].sent_ps, F.msg[1].arrive_ps, "sent when ITag 0 came back");
	cr_assert_eq(iom_ats_rc_stats(F.rc)->itag_stalls, 1);
}

/* ---- invariant ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Every ATC entry translates its range as the domain's tables do now. */
static uint64_t check_atc(const struct iom_pt *pt)
{
	struct iom_cache *c = iom_atc_cache(atc());
	uint64_t n = 0;
	for (uint32_t s = 0; s < iom_cache_sets(c); s++) {
		for (uint32_t w = 0; w < iom_cache_ways(c); w++) {
			struct iom_cache_key k;
			const void *v;
			if (!iom_cache_way(c, s, w, &k, &v))
				continue;
			const struct iom_atc_entry *e = v;
			unsigned sh = iom_atc_tag_size(k.tag);
			for (uint64_t off = 0; off < (1ull << sh); off += 4096) {
				uint64_t iova = (k.addr << sh) + off, pa = 0, pgsz = 0;
				int rc = iom_pt_lookup((struct iom_pt *)pt, iova, &pa, &pgsz);
				cr_assert_eq(rc, 0, "stale ATC entry: 0x%llx is unmapped",
					     (unsigned long long)iova);
				cr_assert_eq(pa, e->pa + off, "stale ATC entry for 0x%llx",
					     (unsigned long long)iova);
			}
			n++;
		}
	}
	return n;
}

Test(ats_smmu, stale_atc_entries_never_survive_a_completed_sync)
{
	ats_up(NULL);
	attach(1, -1, 0);
	const uint64_t base = 0x10000000, pages = 128;
	bool mapped[128] = { false };
	uint64_t t = MS, checked = 0;
	for (int step = 0; step < 2000; step++) {
		uint64_t p = rnd() % pages, iova = base + p * 4096;
		switch (rnd() % 3) {
		case 0: /* (re)map to a PA that changes with the step */
			if (!mapped[p]) {
				map(1, iova, 0x80000000ull + ((uint64_t)step << 12), 4096,
				    IOM_PROT_R | IOM_PROT_W, 0);
				mapped[p] = true;
			}
			break;
		case 1: /* ATS DMA: fills the ATC (a fault for an unmapped page) */
			ats_dma(t, -1, iova, 64, (int)(rnd() & 1));
			break;
		default: { /* unmap a run of up to 4 pages; wait for it */
			uint64_t n = 1 + rnd() % 4;
			bool any = false;
			for (uint64_t i = p; i < p + n && i < pages; i++)
				any = any || mapped[i];
			if (!any)
				break;
			for (uint64_t i = p; i < p + n && i < pages; i++)
				if (mapped[i]) {
					t = unmap(1, base + i * 4096, 4096, t);
					mapped[i] = false;
				}
			checked += check_atc(iom_host_domain(F.host, 1)->pt);
			break;
		}
		}
		t += 10 * US;
	}
	cr_assert_gt(checked, 100, "the invariant saw cached entries");
	cr_assert_gt(iom_atc_stats(atc())->inv_dropped, 10, "invalidations hit cached entries");
}
