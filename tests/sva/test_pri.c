/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_pri.c - page requests injected at the IOMMU (no ATS device): the
 * SMMUv3 PRI queue and the VT-d page request queue, the host's handler with
 * its policies, the response, the retry of the translation, overflow, stop
 * markers and drains, and a function's PRI (credits, Response Failure).
 *
 * Fixture (sva-test.h) plus: memory without LLC hits (every access the DRAM
 * latency), populate = fault (pmap only declares VMAs), host.sva.irq_ns and
 * fault_ns as each test sets them.
 *
 * Derivations:
 *  - a translation of a page whose PTE the handler has not made yet is a
 *    translation fault (SMMU F_TRANSLATION); after a Success response the
 *    PTE exists and the same translation succeeds (the SMMU caches no
 *    faults, so no invalidation is needed).
 *  - the handler is one thread: an isolated group costs entry write + irq +
 *    entry read + fault service + response command: the same amount of
 *    simulated time each time (fixed DRAM latency); a group arriving while
 *    the thread is busy is read when the thread is done (no irq delay).
 *  - SMMU PRI queue of 4 entries (prq_log2 2) and a handler asleep for 1 ms:
 *    requests 1-4 are written; the 5th finds the queue full: the overflow
 *    condition starts (OVFLG toggles), it is discarded and, Last = 1, gets
 *    the automatic Success (8.1); the 6th (overflow still active) the same.
 *    After the thread read one entry the queue has room but the condition is
 *    still active: a 7th is discarded too.  When the thread has read all 4,
 *    CONS = PROD and the driver acknowledges (OVACKFLG = OVFLG): an 8th is
 *    written again.
 *  - VT-d queue of 128 descriptors (prq_log2 7, PQS 0) holds 127 (PQT + 32 =
 *    PQH is full): the 128th sets PRO and is answered Success by the unit.
 */
#include "sva-test.h"

#include "pri.h"
#include "pri_dev.h"
#include "smmuv3_priq.h"
#include "stats.h"
#include "vtd-regs.h"
#include "vtd_prq.h"

TestSuite(pri, .init = fx_init, .fini = fx_fini);

#define VA 0x400000ull
#define PA 0x90000000ull
#define US 1000000ull

static struct iom_smmu_priq *PQ;
static struct iom_vtd_prq *VQ;
static struct iom_stats *ST;

static int setup_smmu(void *ctx, uint32_t log2, struct iom_err *err)
{
	return iom_smmu_drv_priq_setup(F.drv, ctx, log2, err);
}

static int setup_vtd(void *ctx, uint32_t log2, struct iom_err *err)
{
	return iom_vtd_drv_prq_setup(F.vdrv, ctx, log2, err);
}

static void quiet_mem(void)
{
	struct iom_mem_cfg mc = *(const struct iom_mem_cfg *)iom_mem_prop_table.defaults;
	mc.llc_hit_ratio = 0;
	iom_palloc_destroy(F.pa);
	iom_mem_destroy(F.mem);
	F.mem = iom_mem_create(&mc, &F.err);
	cr_assert_not_null(F.mem);
	F.pa = iom_palloc_create(F.mem, F.hc.table_pool_base, F.hc.table_pool_size, &F.err);
	cr_assert_not_null(F.pa);
}

static void stats_up(void)
{
	ST = iom_stats_create();
	OK(iom_host_register_stats(F.host, ST, &F.err));
}

static double stat(const char *name)
{
	double v = -1;
	cr_assert_eq(iom_stats_get(ST, NULL, name, &v), 0, "no stat %s", name);
	return v;
}

static void pri_smmu_up(void)
{
	quiet_mem();
	F.hc.sva.populate = IOM_SVA_POP_FAULT;
	smmu_up();
	PQ = iom_smmu_priq_create(F.smmu, F.mem, &F.err);
	cr_assert_not_null(PQ);
	struct iom_prq q;
	iom_smmu_priq_as_prq(PQ, &q);
	iom_host_pri_set_queue(F.host, &q, setup_smmu, PQ);
	stats_up();
}

static void pri_vtd_up(void)
{
	quiet_mem();
	F.hc.sva.populate = IOM_SVA_POP_FAULT;
	sva_vtd_scalable();
	F.vc.prs = true;
	vtd_up();
	VQ = iom_vtd_prq_create(iom_vtd_drv_vtd(F.vdrv), F.mem, &F.err);
	cr_assert_not_null(VQ);
	struct iom_prq q;
	iom_vtd_prq_as_prq(VQ, &q);
	iom_host_pri_set_queue(F.host, &q, setup_vtd, VQ);
	stats_up();
}

static void pri_fini(void)
{
	iom_stats_destroy(ST);
	ST = NULL;
	iom_smmu_priq_destroy(PQ);
	PQ = NULL;
	iom_vtd_prq_destroy(VQ);
	VQ = NULL;
}

static struct iom_page_req preq(uint32_t rid, int64_t pasid, uint64_t addr, bool write,
				uint16_t prgi, bool last)
{
	return (struct iom_page_req){.rid = rid, .pasid = pasid < 0 ? 0 : (uint32_t)pasid,
				     .pasid_valid = pasid >= 0, .prgi = prgi, .last = last,
				     .read = true, .write = write, .addr = addr};
}

static struct iom_pri_result send(const struct iom_page_req *r, uint64_t at)
{
	struct iom_pri_result res;
	OK(iom_host_pri_request(F.host, r, at, &res, &F.err));
	return res;
}

Test(pri, fault_response_retry_succeeds_on_smmuv3, .fini = pri_fini)
{
	F.hc.sva.fault_ns = 5000;
	F.hc.sva.irq_ns = 2000;
	pri_smmu_up();
	pmap(7, VA, PA, 16 * KB, RW);
	bind(DEV, 1, 7);
	struct iom_txn t = xlate(DEV, 1, VA + 0x1040, 1);
	cr_assert_eq(t.status, IOM_TXN_FAULT);
	cr_assert_eq(t.fault, SMMU_EVT_F_TRANSLATION);
	uint64_t at = tick();
	struct iom_page_req r = preq(DEV, 1, VA + 0x1000, true, 5, true);
	struct iom_pri_result res = send(&r, at);
	cr_assert(res.answered);
	cr_assert_eq(res.code, IOM_PRG_SUCCESS);
	cr_assert_eq(res.outcome, IOM_PRQ_QUEUED);
	cr_assert_geq(res.resp_ps, at + 7000 * 1000ull, "irq 2 us + service 5 us at least");
	t = xlate(DEV, 1, VA + 0x1040, 1);
	cr_assert_eq(t.status, IOM_TXN_OK, "the retry succeeds");
	cr_assert_eq(t.pa, PA + 0x1040);
	cr_assert_eq(smmu_cmds(SMMU_CMD_PRI_RESP), 1);
	cr_assert_eq(iom_smmu_priq_stats(PQ)->written, 1);
	cr_assert_eq(stat("host.pri.resp_success"), 1);
	cr_assert_eq(stat("host.pri.pages_present"), 1);
	cr_assert_eq(stat("host.sva.fault_ptes"), 1);
	/* the entry in memory is what the chapter-8 layout says */
	uint64_t e[2];
	iom_mem_read(F.mem, iom_smmu_priq_base(PQ), e, 16, NULL);
	cr_assert_eq((uint32_t)e[0], DEV);
	cr_assert_eq((e[0] >> 32) & 0xfffff, 1);
	cr_assert_eq((e[0] >> 60) & 0xf, 0xf, "Read, Write, Last, SSV");
	cr_assert_eq(e[1], (VA + 0x1000) | 5);
	/* an isolated group costs the same again; one arriving while the thread
	 * is busy waits for it */
	uint64_t lat = res.resp_ps - at;
	at = tick();
	struct iom_page_req r2 = preq(DEV, 1, VA, false, 6, true);
	res = send(&r2, at);
	cr_assert_eq(res.resp_ps - at, lat);
	struct iom_page_req r3 = preq(DEV, 1, VA + 0x2000, false, 7, true);
	struct iom_pri_result res3 = send(&r3, at + 1000);
	cr_assert_gt(res3.resp_ps, res.resp_ps);
	cr_assert_lt(res3.resp_ps - res.resp_ps, lat - 2000 * 1000ull, "no irq delay when busy");
}

Test(pri, policies_answer_invalid_or_failure, .fini = pri_fini)
{
	pri_smmu_up();
	pmap(7, VA, PA, 16 * KB, RW);
	pmap(7, 0x600000, PA + MB, 4 * KB, 0);
	bind(DEV, 1, 7);
	struct iom_page_req r = preq(DEV, 1, 0x500000, false, 1, true); /* no VMA */
	cr_assert_eq(send(&r, tick()).code, IOM_PRG_INVALID);
	r = preq(DEV, 1, 0x600000, false, 2, true); /* PROT_NONE */
	cr_assert_eq(send(&r, tick()).code, IOM_PRG_INVALID);
	r = preq(DEV, -1, VA, false, 3, true); /* no PASID */
	cr_assert_eq(send(&r, tick()).code, IOM_PRG_INVALID);
	r = preq(DEV, 9, VA, false, 4, true); /* nothing bound there */
	cr_assert_eq(send(&r, tick()).code, IOM_PRG_INVALID);
	r = preq(DEV, 1, VA, false, 5, true);
	r.priv = true;
	cr_assert_eq(send(&r, tick()).code, IOM_PRG_INVALID, "privileged request");
	cr_assert_eq(stat("host.pri.resp_invalid"), 5);
	cr_assert_eq(stat("host.pri.pages_present"), 0);
	cr_assert_eq(xlate(DEV, 1, VA, 0).status, IOM_TXN_FAULT);
}

Test(pri, linux_smmuv3_policy_answers_failure, .fini = pri_fini)
{
	uint64_t pa, ps;
	F.hc.sva.pri_policy = IOM_PRI_FAILURE;
	pri_smmu_up();
	pmap(7, VA, PA, 16 * KB, RW);
	bind(DEV, 1, 7);
	struct iom_page_req r = preq(DEV, 1, VA, true, 1, true);
	cr_assert_eq(send(&r, tick()).code, IOM_PRG_FAILURE);
	cr_assert_eq(iom_pt_lookup(iom_host_mm_pt(F.host, 7), VA, &pa, &ps), -IOM_ENOENT);
	cr_assert_eq(stat("host.pri.resp_failure"), 1);
}

Test(pri, a_group_is_answered_once_at_its_last_request, .fini = pri_fini)
{
	uint64_t pa, ps;
	pri_smmu_up();
	pmap(7, VA, PA, 16 * KB, RW);
	bind(DEV, 1, 7);
	uint64_t at = tick();
	struct iom_page_req r = preq(DEV, 1, VA, false, 9, false);
	cr_assert(!send(&r, at).answered);
	r = preq(DEV, 1, VA + 0x1000, true, 9, false);
	cr_assert(!send(&r, at + 10).answered);
	r = preq(DEV, 1, VA + 0x2000, false, 9, true);
	struct iom_pri_result res = send(&r, at + 20);
	cr_assert(res.answered);
	cr_assert_eq(res.code, IOM_PRG_SUCCESS);
	for (uint64_t a = VA; a < VA + 0x3000; a += 0x1000)
		cr_assert_eq(iom_pt_lookup(iom_host_mm_pt(F.host, 7), a, &pa, &ps), 0);
	cr_assert_eq(iom_pt_lookup(iom_host_mm_pt(F.host, 7), VA + 0x3000, &pa, &ps), -IOM_ENOENT);
	cr_assert_eq(smmu_cmds(SMMU_CMD_PRI_RESP), 1);
	cr_assert_eq(stat("host.pri.groups_answered"), 1);
	cr_assert_eq(stat("host.pri.pages_present"), 3);
}

Test(pri, smmuv3_priq_overflow_discards_and_answers_success_until_drained, .fini = pri_fini)
{
	F.hc.sva.prq_log2 = 2;
	F.hc.sva.irq_ns = 1000000; /* the thread wakes 1 ms after an entry */
	F.hc.sva.fault_ns = 0;
	pri_smmu_up();
	pmap(7, VA, PA, 64 * KB, RW);
	bind(DEV, 1, 7);
	uint64_t at = tick();
	struct iom_pri_result res[8];
	for (uint16_t i = 0; i < 6; i++) {
		struct iom_page_req r = preq(DEV, 1, VA + i * 0x1000ull, false, i, true);
		res[i] = send(&r, at + i);
	}
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(res[i].outcome, IOM_PRQ_QUEUED, "request %d", i);
		cr_assert_gt(res[i].resp_ps, at + 1000 * US, "answered by the thread");
	}
	for (int i = 4; i < 6; i++) {
		cr_assert_eq(res[i].outcome, IOM_PRQ_AUTO_RESPONSE, "request %d", i);
		cr_assert_eq(res[i].code, IOM_PRG_SUCCESS);
		cr_assert_eq(res[i].resp_ps, at + i, "at once");
	}
	const struct iom_smmu_priq_stats *qs = iom_smmu_priq_stats(PQ);
	cr_assert_eq(qs->written, 4);
	cr_assert_eq(qs->overflows, 1);
	cr_assert_eq(qs->discarded, 2);
	cr_assert_eq(qs->auto_responses, 2);
	cr_assert_eq(qs->max_used, 4);
	cr_assert(iom_smmu_priq_read_prod(PQ) & SMMU_PRIQ_OVFLG);
	/* the thread has read the first entry (but not all): still overflowed */
	struct iom_page_req r = preq(DEV, 1, VA + 0x6000, false, 6, true);
	res[6] = send(&r, res[0].resp_ps + 1);
	cr_assert_eq(res[6].outcome, IOM_PRQ_AUTO_RESPONSE);
	/* all read: acknowledged, written again */
	r = preq(DEV, 1, VA + 0x7000, false, 7, true);
	res[7] = send(&r, res[3].resp_ps + 1);
	cr_assert_eq(res[7].outcome, IOM_PRQ_QUEUED);
	cr_assert_eq(res[7].code, IOM_PRG_SUCCESS);
	cr_assert_eq(qs->written, 5);
	cr_assert_eq((iom_smmu_priq_read_cons(PQ) ^ iom_smmu_priq_read_prod(PQ)) & SMMU_PRIQ_OVFLG,
		     0, "OVACKFLG = OVFLG");
	cr_assert_eq(stat("host.pri.auto_answered"), 3);
	cr_assert_eq(stat("host.pri.resp_success"), 5);
}

Test(pri, a_disabled_priq_answers_every_request_with_failure, .fini = pri_fini)
{
	pri_smmu_up();
	OK(setup_smmu(PQ, 4, &F.err));
	iom_host_pri_set_queue(F.host, &(struct iom_prq){0}, NULL, NULL); /* drop the lazy setup */
	struct iom_prq q;
	iom_smmu_priq_as_prq(PQ, &q);
	iom_host_pri_set_queue(F.host, &q, NULL, NULL);
	iom_smmu_priq_enable(PQ, false);
	struct iom_page_req r = preq(DEV, 1, VA, false, 1, false); /* even Last = 0 */
	struct iom_pri_result res = send(&r, tick());
	cr_assert(res.answered);
	cr_assert_eq(res.outcome, IOM_PRQ_OFF);
	cr_assert_eq(res.code, IOM_PRG_FAILURE);
	cr_assert_eq(iom_smmu_priq_stats(PQ)->written, 0);
}

Test(pri, unbind_sends_a_stop_marker_and_waits_for_the_handler, .fini = pri_fini)
{
	F.hc.sva.irq_ns = 3000;
	pri_smmu_up();
	pmap(7, VA, PA, 16 * KB, RW);
	bind(DEV, 1, 7);
	bind(DEV2, 1, 7);
	struct iom_page_req r = preq(DEV, 1, VA, false, 1, true);
	send(&r, tick());
	uint64_t done, now = tick();
	OK(iom_host_unbind(F.host, DEV, 1, NULL, now, &done, &F.err));
	OK(iom_host_unbind(F.host, DEV2, 1, NULL, tick(), &done, &F.err));
	const struct iom_smmu_priq_stats *qs = iom_smmu_priq_stats(PQ);
	cr_assert_eq(qs->stop_markers, 1, "only the function that used PRI");
	cr_assert_eq(qs->written, 2);
	cr_assert_eq(stat("host.pri.drains"), 1);
	cr_assert_eq(stat("host.pri.groups_answered"), 1, "a stop marker is not answered");
	cr_assert_eq(smmu_cmds(SMMU_CMD_PRI_RESP), 1);
	uint64_t e[2];
	iom_mem_read(F.mem, iom_smmu_priq_base(PQ) + 16, e, 16, NULL);
	cr_assert_eq((e[0] >> 60) & 0xf, 0xc, "Last + SSV, R = W = 0");
}

Test(pri, vtd_page_request_gets_a_page_group_response, .fini = pri_fini)
{
	pri_vtd_up();
	pmap(7, VA, PA, 16 * KB, RW);
	bind(DEV, 5, 7);
	cr_assert_eq(xlate(DEV, 5, VA + 0x3000, 0).status, IOM_TXN_FAULT);
	struct iom_page_req r = preq(DEV, 5, VA + 0x3000, false, 0x1ff, true);
	struct iom_pri_result res = send(&r, tick());
	cr_assert_eq(res.code, IOM_PRG_SUCCESS);
	struct iom_txn t = xlate(DEV, 5, VA + 0x3000, 0);
	cr_assert_eq(t.status, IOM_TXN_OK);
	cr_assert_eq(t.pa, PA + 0x3000);
	const struct iom_vtd_stats *vs = iom_vtd_stats(iom_vtd_drv_vtd(F.vdrv));
	cr_assert_eq(vs->dsc_by_type[VTD_DSC_PGRP_RESP], 1);
	uint64_t d[4];
	iom_mem_read(F.mem, iom_vtd_prq_read_pqa(VQ) & ~0xfffull, d, 32, NULL);
	cr_assert_eq(d[0], 1 | 1u << 8 | (uint64_t)DEV << 16 | 5ull << 32);
	cr_assert_eq(d[1], 1 | 1u << 2 | 0x1ffu << 3 | (VA + 0x3000));
	cr_assert_eq(iom_vtd_prq_read_pqt(VQ), 32);
	/* unbind: stop marker, teardown, then one drain wait */
	uint64_t w0 = iom_vtd_drv_stats(F.vdrv)->waits, done;
	OK(iom_host_unbind(F.host, DEV, 5, NULL, tick(), &done, &F.err));
	cr_assert_eq(iom_vtd_prq_stats(VQ)->stop_markers, 1);
	cr_assert_eq(iom_vtd_prq_read_pqt(VQ), 64);
	cr_assert_eq(iom_vtd_prq_read_pqh(VQ), 32,
		     "slots are given back when the next message arrives: the request's is");
	cr_assert_eq(iom_vtd_drv_stats(F.vdrv)->waits - w0, 2,
		     "PASID teardown, drain (the freed DID has no attachment left to flush)");
}

Test(pri, vtd_queue_full_sets_pro_and_answers_success, .fini = pri_fini)
{
	F.hc.sva.prq_log2 = 7;
	F.hc.sva.irq_ns = 1000000;
	pri_vtd_up();
	pmap(7, VA, PA, 1 * MB, RW);
	bind(DEV, 5, 7);
	uint64_t at = tick();
	struct iom_pri_result res;
	for (uint16_t i = 0; i < 128; i++) {
		struct iom_page_req r = preq(DEV, 5, VA + i * 0x1000ull, false, i & 0x1ff, true);
		res = send(&r, at + i);
		cr_assert_eq(res.outcome, i < 127 ? IOM_PRQ_QUEUED : IOM_PRQ_AUTO_RESPONSE, "%u", i);
	}
	cr_assert_eq(res.code, IOM_PRG_SUCCESS);
	cr_assert(iom_vtd_prq_read_prs(VQ) & VTD_PRS_PRO);
	cr_assert_eq(iom_vtd_prq_stats(VQ)->written, 127);
	cr_assert_eq(iom_vtd_prq_stats(VQ)->overflows, 1);
	/* once the thread emptied the ring, PRO is cleared and requests queue again */
	struct iom_page_req r = preq(DEV, 5, VA + 0xff000, false, 200, true);
	res = send(&r, at + 10000 * US);
	cr_assert_eq(res.outcome, IOM_PRQ_QUEUED);
	cr_assert_eq(iom_vtd_prq_read_prs(VQ) & VTD_PRS_PRO, 0);
}

Test(pri, a_function_retries_after_success_and_stops_after_failure, .fini = pri_fini)
{
	pri_smmu_up();
	pmap(7, VA, PA, 16 * KB, RW);
	bind(DEV, 1, 7);
	struct iom_pri_port port;
	iom_host_pri_port(F.host, &port);
	struct iom_pri_dev_cfg pc = {.enable = true, .capacity = 1, .link_latency_ns = 100,
				     .max_retries = 3};
	struct iom_pri_fn fn;
	OK(iom_pri_fn_init(&fn, &pc, DEV, &port, &F.err));
	struct iom_txn t = xlate(DEV, 1, VA + 0x2000, 1);
	cr_assert_eq(t.status, IOM_TXN_FAULT);
	uint64_t retry, now = tick();
	uint32_t code;
	cr_assert_eq(iom_pri_fn_fault(&fn, &t, now, &retry, &code, &F.err), 1);
	cr_assert_eq(code, IOM_PRG_SUCCESS);
	cr_assert_gt(retry, now + 200 * 1000ull, "two link crossings at least");
	t = xlate(DEV, 1, VA + 0x2000, 1);
	cr_assert_eq(t.status, IOM_TXN_OK);
	/* one credit: a second fault at the same time waits for the first's */
	struct iom_txn t2 = t, t3 = t;
	t2.iova = VA;
	t3.iova = VA + 0x1000;
	uint64_t r2, r3;
	now = tick();
	cr_assert_eq(iom_pri_fn_fault(&fn, &t2, now, &r2, &code, &F.err), 1);
	cr_assert_eq(iom_pri_fn_fault(&fn, &t3, now, &r3, &code, &F.err), 1);
	cr_assert_eq(fn.credit_waits, 1);
	cr_assert_geq(r3 - r2, r2 - now - 1, "sent only when the first response was back");
	/* outside the VMA: Invalid Request, the function keeps PRI */
	t2.iova = 0x500000;
	cr_assert_eq(iom_pri_fn_fault(&fn, &t2, tick(), &r2, &code, &F.err), 0);
	cr_assert_eq(code, IOM_PRG_INVALID);
	cr_assert(!fn.failed);
	iom_pri_fn_fini(&fn);
	/* a host answering Response Failure stops the function's page requests */
	struct iom_pri_fn fn2;
	OK(iom_pri_fn_init(&fn2, &pc, DEV, &port, &F.err));
	t2.iova = VA + 0x3000;
	t2.flags |= IOM_TXN_PRIV; /* privileged: rejected as a bad request (Invalid) */
	cr_assert_eq(iom_pri_fn_fault(&fn2, &t2, tick(), &r2, &code, &F.err), 0);
	cr_assert_eq(code, IOM_PRG_INVALID);
	iom_pri_fn_fini(&fn2);
}

Test(pri, response_failure_stops_the_function, .fini = pri_fini)
{
	F.hc.sva.pri_policy = IOM_PRI_FAILURE;
	pri_smmu_up();
	pmap(7, VA, PA, 16 * KB, RW);
	bind(DEV, 1, 7);
	struct iom_pri_port port;
	iom_host_pri_port(F.host, &port);
	struct iom_pri_dev_cfg pc = {.enable = true, .capacity = 4, .link_latency_ns = 0,
				     .max_retries = 3};
	struct iom_pri_fn fn;
	OK(iom_pri_fn_init(&fn, &pc, DEV, &port, &F.err));
	struct iom_txn t = xlate(DEV, 1, VA, 0);
	uint64_t retry;
	uint32_t code;
	cr_assert_eq(iom_pri_fn_fault(&fn, &t, tick(), &retry, &code, &F.err), 0);
	cr_assert_eq(code, IOM_PRG_FAILURE);
	cr_assert(fn.failed);
	cr_assert_eq(iom_pri_fn_fault(&fn, &t, tick(), &retry, &code, &F.err), 0);
	cr_assert_eq(fn.requests, 1, "no page request after Response Failure");
	iom_pri_fn_fini(&fn);
}
