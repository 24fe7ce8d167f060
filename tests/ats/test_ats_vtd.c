/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ats_vtd.c - PCIe ATS with the VT-d model and Linux's intel-iommu
 * driver: TT = 01b / DTE enablement, Translation Requests (chapter 4),
 * device-TLB invalidation descriptors (type 3 / type 8, the S-bit size
 * encoding of qi_desc_dev_iotlb) as Invalidate Requests with ITags, the wait
 * descriptor completing only after their completions, and the invalidation
 * time-out (FSTS.ITE, the wait aborted, Linux's resubmission).
 *
 * Fixture: default memory (D = 80 ns), the default (Broadwell, legacy mode)
 * VT-d unit or the scalable-mode capabilities of
 * traces/examples/vtd-scalable.yaml, the driver, the host, the root complex's
 * ATS side with link latency L = 250 ns and I = 1 us per Invalidate Request,
 * device 00:02.0.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "atc.h"
#include "device.h"
#include "host.h"
#include "log.h"
#include "mem.h"
#include "pgtable.h"
#include "trace.h"
#include "vtd-regs.h"
#include "vtd.h"
#include "vtd_drv.h"

#define D 80000ull   /* DRAM latency */
#define L 250000ull  /* device.ats.link_latency_ns = 250 */
#define I 1000000ull /* device.ats.inval_latency_ns = 1000 */
#define US 1000000ull
#define MS 1000000000ull
#define RID 0x10u
#define MAXMSG 256

static struct {
	struct iom_mem *mem;
	struct iom_palloc *pa;
	struct iom_vtd *v;
	struct iom_vtd_drv *drv;
	struct iom_iommu iommu;
	struct iom_host *host;
	struct iom_ats_rc *rc;
	struct iom_ats_cfg ac;
	struct iom_vtd_cfg vc;
	struct iom_vtd_drv_cfg dc;
	struct iom_device dev;
	bool dev_up;
	struct iom_ats_msg msg[MAXMSG];
	size_t nmsg;
	struct iom_err err;
} F;

#define OK(x) cr_assert_eq((x), 0, "%s", F.err.msg)

static void fx_log(void *ctx, const struct iom_ats_msg *m)
{
	(void)ctx;
	if (F.nmsg < MAXMSG)
		F.msg[F.nmsg++] = *m;
}

static void up(bool scalable, void (*tweak)(void))
{
	const struct iom_mem_cfg *mc = iom_mem_prop_table.defaults;
	const struct iom_host_cfg *hc = iom_host_prop_table.defaults;
	iom_log_enable(IOM_LOG_GUEST_ERROR, 0);
	iom_log_enable(IOM_LOG_UNIMP, 0);
	F.ac = *(const struct iom_ats_cfg *)iom_ats_prop_table.defaults;
	F.ac.enable = true;
	struct iom_cache_cfg atcc = *(const struct iom_cache_cfg *)iom_atc_prop_table.defaults;
	iom_vtd_cfg_default(&F.vc);
	iom_vtd_drv_cfg_default(&F.dc);
	if (scalable) { /* traces/examples/vtd-scalable.yaml */
		F.vc.smts = F.vc.slts = F.vc.flts = F.vc.nest = F.vc.pasid = true;
		F.vc.pss = 20;
		F.vc.slads = F.vc.fl1gp = F.vc.fl5lp = true;
		F.vc.sagaw = 12;
		F.vc.mgaw = 57;
	}
	if (tweak)
		tweak();
	cr_assert(F.vc.dt, "the default unit has ECAP.DT");
	F.mem = iom_mem_create(mc, &F.err);
	cr_assert_not_null(F.mem, "%s", F.err.msg);
	F.pa = iom_palloc_create(F.mem, hc->table_pool_base, hc->table_pool_size, &F.err);
	cr_assert_not_null(F.pa, "%s", F.err.msg);
	F.v = iom_vtd_create(&F.vc, F.mem, "dmar0", &F.err);
	cr_assert_not_null(F.v, "%s", F.err.msg);
	F.drv = iom_vtd_drv_create(F.v, F.mem, F.pa, &F.dc, &F.err);
	cr_assert_not_null(F.drv, "%s", F.err.msg);
	iom_vtd_drv_as_iommu(F.drv, &F.iommu);
	F.rc = iom_ats_rc_create(&F.ac, &atcc, &F.iommu, &F.err);
	cr_assert_not_null(F.rc, "%s", F.err.msg);
	F.iommu.ops->set_ats_port(F.iommu.self, iom_ats_rc_port(F.rc));
	iom_ats_rc_set_log(F.rc, fx_log, NULL);
	F.host = iom_host_create(hc, F.mem, F.pa, &F.iommu, &iom_host_vtd_ops, F.drv, &F.err);
	cr_assert_not_null(F.host, "%s", F.err.msg);
	struct iom_device_cfg dcfg = *(const struct iom_device_cfg *)iom_device_prop_table.defaults;
	OK(iom_device_init(&F.dev, &dcfg, RID, &F.iommu, F.mem, &F.err));
	F.dev_up = true;
	struct iom_atc *a = iom_ats_rc_function(F.rc, RID, &F.err);
	cr_assert_not_null(a, "%s", F.err.msg);
	iom_device_set_atc(&F.dev, a);
}

static void fx_init(void)
{
	memset(&F, 0, sizeof(F));
}

static void fx_fini(void)
{
	if (F.dev_up)
		iom_device_fini(&F.dev);
	iom_host_destroy(F.host);
	if (F.drv)
		F.iommu.ops->set_ats_port(F.iommu.self, NULL);
	iom_vtd_drv_destroy(F.drv);
	iom_vtd_destroy(F.v);
	iom_ats_rc_destroy(F.rc);
	iom_palloc_destroy(F.pa);
	iom_mem_destroy(F.mem);
}

TestSuite(ats_vtd, .init = fx_init, .fini = fx_fini);

static void attach(uint32_t id, int64_t pasid, uint64_t now)
{
	uint64_t done;
	if (!iom_host_domain(F.host, id))
		OK(iom_host_domain_create(F.host, id, IOM_HOST_DOM_PAGING, &F.err));
	OK(iom_host_attach(F.host, RID, pasid, id, now, &done, &F.err));
}

static void map(uint64_t iova, uint64_t pa, uint64_t size, uint32_t prot)
{
	uint64_t done;
	OK(iom_host_map(F.host, 1, iova, pa, size, prot, 0, 0, &done, &F.err));
}

static uint64_t unmap(uint64_t iova, uint64_t size, uint64_t now)
{
	uint64_t done;
	OK(iom_host_unmap(F.host, 1, iova, size, now, &done, &F.err));
	return done;
}

static struct iom_dma_result ats_dma(uint64_t ready, int64_t pasid, uint64_t iova, uint64_t size,
				     int write)
{
	struct iom_dma_result r;
	OK(iom_device_dma_at(&F.dev, IOM_TXN_AT_TREQ, ready, pasid, iova, size, write, 0, &r,
			     &F.err));
	return r;
}

static size_t count_timeouts(void)
{
	size_t n = 0;
	for (size_t i = 0; i < F.nmsg; i++)
		n += F.msg[i].kind == IOM_ATS_MSG_INV_TIMEOUT;
	return n;
}

static void sort_msgs(void)
{
	for (size_t i = 1; i < F.nmsg; i++)
		for (size_t j = i; j > 0 && F.msg[j - 1].sent_ps > F.msg[j].sent_ps; j--) {
			struct iom_ats_msg m = F.msg[j];
			F.msg[j] = F.msg[j - 1];
			F.msg[j - 1] = m;
		}
}

/* The legacy context entry of RID (bus 0, devfn 0x10) as the unit reads it. */
static void ctx_entry(uint64_t ce[2])
{
	uint64_t re[2];
	iom_mem_read(F.mem, iom_vtd_drv_root_table(F.drv), re, sizeof(re), NULL);
	iom_mem_read(F.mem, vtd_addr(re[0]) + 0x10 * VTD_CE_BYTES, ce, 2 * sizeof(uint64_t), NULL);
}

Test(ats_vtd, legacy_attach_sets_tt_01_and_enables_ats)
{
	up(false, NULL);
	attach(1, -1, 0);
	uint64_t ce[2];
	ctx_entry(ce);
	cr_assert_eq(vtd_ce_tt(ce[0]), VTD_TT_SL_DT, "TT = 01b: device TLB allowed");
	cr_assert(iom_atc_enabled(F.dev.atc));
	cr_assert_eq(iom_atc_stu_log2(F.dev.atc), 12, "VTD_PAGE_SHIFT");
	cr_assert_eq(F.nmsg, 0, "no device-TLB flush for a new entry");
}

Test(ats_vtd, legacy_translation_request_and_completion)
{
	up(false, NULL);
	attach(1, -1, 0);
	map(0x100000, 0x80000000, 0x1000, IOM_PROT_R | IOM_PROT_W);
	F.nmsg = 0;
	struct iom_dma_result r = ats_dma(MS, -1, 0x100000, 256, 1);
	cr_assert_eq(r.faulted, 0);
	cr_assert_eq(F.nmsg, 2);
	cr_assert_eq(F.msg[0].kind, IOM_ATS_MSG_TREQ);
	cr_assert_eq(F.msg[0].field, 0x100000ull);
	cr_assert_eq(F.msg[0].no_write, 0);
	cr_assert_eq(F.msg[0].arrive_ps, F.msg[0].sent_ps + L);
	cr_assert_eq(F.msg[1].kind, IOM_ATS_MSG_TCPL);
	cr_assert_eq(F.msg[1].status, IOM_ATS_SUCCESS);
	cr_assert_eq(F.msg[1].field, 0x80000000ull | IOM_ATS_CPL_R | IOM_ATS_CPL_W);
	cr_assert_eq(F.msg[1].arrive_ps, F.msg[1].sent_ps + L);
	const struct iom_vtd_stats *s = iom_vtd_stats(F.v);
	cr_assert_eq(s->ats_tr, 1);
	cr_assert_eq(s->ats_translated, 1, "the Translated write passed TT = 01b");
	cr_assert_eq(s->faults, 0);
	/* An ATC hit: no request; the unit only checks the context entry. */
	uint64_t iotlb0 = iom_cache_stats(iom_vtd_iotlb(F.v))->lookups;
	ats_dma(2 * MS, -1, 0x100000, 4096, 1);
	cr_assert_eq(F.nmsg, 2);
	cr_assert_eq(iom_cache_stats(iom_vtd_iotlb(F.v))->lookups, iotlb0);
	cr_assert_eq(s->walk_reads, iom_vtd_stats(F.v)->walk_reads);
}

static void no_cap(void)
{
	F.ac.enable = false;
}

static void no_cap_keep_faults(void)
{
	F.ac.enable = false;
	F.dc.fault_irq = false; /* leave the fault record in its register */
}

Test(ats_vtd, tt_00_translation_request_is_ur_and_recorded)
{
	up(false, no_cap_keep_faults);
	attach(1, -1, 0);
	uint64_t ce[2];
	ctx_entry(ce);
	cr_assert_eq(vtd_ce_tt(ce[0]), VTD_TT_SL, "no ATS capability: TT = 00b");
	struct iom_ats_req q = { .rid = RID, .iova = 0x100000, .issue_ps = MS };
	OK(iom_iommu_ats_translate(&F.iommu, &q, &F.err));
	cr_assert_eq(q.status, IOM_ATS_UR);
	cr_assert_eq(q.fault, VTD_FR_TT_BLOCKED);
	cr_assert_eq(iom_vtd_stats(F.v)->faults_recorded, 1);
	uint64_t lo, hi;
	iom_vtd_read_frcd(F.v, 0, &lo, &hi);
	cr_assert(vtd_frcd_f(hi));
	cr_assert_eq((hi >> 32) & 0xff, VTD_FR_TT_BLOCKED, "FR = 0x0D");
	/* The device falls back to untranslated requests. */
	map(0x100000, 0x80000000, 0x1000, IOM_PROT_R | IOM_PROT_W);
	struct iom_dma_result r = ats_dma(2 * MS, -1, 0x100000, 64, 0);
	cr_assert_eq(r.faulted, 0);
	cr_assert_eq(iom_atc_stats(F.dev.atc)->untranslated_tlps, 1);
}

Test(ats_vtd, translated_request_with_tt_00_is_blocked)
{
	up(false, no_cap);
	attach(1, -1, 0);
	struct iom_dma_result r;
	OK(iom_device_dma_at(&F.dev, IOM_TXN_AT_TRANSLATED, MS, -1, 0x80000000, 64, 1, 0, &r,
			     &F.err));
	cr_assert_eq(r.faulted, 1);
	cr_assert_eq(r.first_fault, VTD_FR_TT_BLOCKED);
}

Test(ats_vtd, unmap_sends_a_device_tlb_descriptor_with_the_s_bit)
{
	up(false, NULL);
	attach(1, -1, 0);
	map(0x100000, 0x80000000, 0x10000, IOM_PROT_R | IOM_PROT_W);
	for (uint64_t p = 0; p < 16; p++)
		ats_dma(MS + p * US, -1, 0x100000 + p * 0x1000, 64, 0);
	cr_assert_eq(iom_cache_valid(iom_atc_cache(F.dev.atc)), 16);
	F.nmsg = 0;
	uint64_t done = unmap(0x100000, 0x10000, 2 * MS);
	sort_msgs();
	cr_assert_eq(F.nmsg, 2);
	/* 16 pages at 0x10_0000: AM = 4; qi_desc_dev_iotlb sets address bits
	 * [14:12] and S: a 64 KB span, field 0x10_7000 with S. */
	cr_assert_eq(F.msg[0].kind, IOM_ATS_MSG_INV_REQ);
	cr_assert_eq(F.msg[0].field, 0x107000ull | IOM_ATS_CPL_S);
	cr_assert_eq(F.msg[0].itag, 0);
	cr_assert_eq(F.msg[1].kind, IOM_ATS_MSG_INV_CPL);
	cr_assert_eq(F.msg[1].sent_ps, F.msg[0].arrive_ps + I);
	/* The wait completes after the completion: its status write (D) follows it. */
	cr_assert_eq(done, F.msg[1].arrive_ps + D);
	cr_assert_eq(iom_cache_valid(iom_atc_cache(F.dev.atc)), 0);
	cr_assert_eq(iom_vtd_drv_stats(F.drv)->devtlb, 1);
}

Test(ats_vtd, scalable_pasid_devtlb_invalidations_use_two_itags)
{
	up(true, NULL);
	attach(1, -1, 0);
	attach(1, 5, 10 * US);
	map(0x200000, 0x90000000, 0x1000, IOM_PROT_R | IOM_PROT_W);
	ats_dma(MS, -1, 0x200000, 64, 0);
	ats_dma(2 * MS, 5, 0x200000, 64, 0);
	cr_assert_eq(iom_cache_valid(iom_atc_cache(F.dev.atc)), 2);
	F.nmsg = 0;
	uint64_t done = unmap(0x200000, 0x1000, 3 * MS);
	sort_msgs();
	cr_assert_eq(F.nmsg, 4);
	/* type 3 for RID_PASID (no PASID prefix), then type 8 for PASID 5 */
	cr_assert_eq(F.msg[0].kind, IOM_ATS_MSG_INV_REQ);
	cr_assert_eq(F.msg[0].itag, 0);
	cr_assert_not(F.msg[0].pasid_valid);
	cr_assert_eq(F.msg[0].field, 0x200000ull);
	cr_assert_eq(F.msg[1].kind, IOM_ATS_MSG_INV_REQ);
	cr_assert_eq(F.msg[1].itag, 1);
	cr_assert(F.msg[1].pasid_valid);
	cr_assert_eq(F.msg[1].pasid, 5);
	cr_assert_eq(F.msg[2].kind, IOM_ATS_MSG_INV_CPL);
	cr_assert_eq(F.msg[2].itag_vector, 1u);
	cr_assert_eq(F.msg[3].kind, IOM_ATS_MSG_INV_CPL);
	cr_assert_eq(F.msg[3].itag_vector, 2u);
	cr_assert_eq(F.msg[3].sent_ps, F.msg[2].sent_ps + I);
	cr_assert_gt(done, F.msg[3].arrive_ps, "the wait completes after both completions");
	cr_assert_eq(iom_cache_valid(iom_atc_cache(F.dev.atc)), 0);
}

static void no_response(void)
{
	F.ac.no_inval_response = true;
	F.ac.inval_timeout_ns = 100000; /* 100 us */
}

Test(ats_vtd, timeout_sets_ite_aborts_the_wait_and_linux_resubmits)
{
	up(false, no_response);
	attach(1, -1, 0);
	map(0x100000, 0x80000000, 0x1000, IOM_PROT_R | IOM_PROT_W);
	ats_dma(MS, -1, 0x100000, 64, 0);
	F.nmsg = 0;
	uint64_t t0 = 2 * MS, done = unmap(0x100000, 0x1000, t0);
	/* ite_retries = 3: the first submission and three more, each timing out. */
	cr_assert_eq(F.dc.ite_retries, 3);
	cr_assert_eq(count_timeouts(), 4);
	const struct iom_vtd_stats *s = iom_vtd_stats(F.v);
	cr_assert_eq(s->devtlb_timeouts, 4);
	cr_assert_eq(s->waits_aborted, 4);
	cr_assert_eq(iom_vtd_drv_stats(F.drv)->ite_errors, 4);
	cr_assert_eq(iom_vtd_drv_stats(F.drv)->ite_giveups, 1);
	cr_assert_eq(iom_vtd_read_fsts(F.v) & VTD_FSTS_ITE, 0, "cleared by the driver");
	cr_assert_geq(done, t0 + 4 * 100 * US);
	/* Every timeout came 100 us after its request; the next request after it. */
	sort_msgs();
	for (size_t i = 0; i + 1 < F.nmsg; i += 2) {
		cr_assert_eq(F.msg[i].kind, IOM_ATS_MSG_INV_REQ);
		cr_assert_eq(F.msg[i + 1].kind, IOM_ATS_MSG_INV_TIMEOUT);
		cr_assert_eq(F.msg[i + 1].sent_ps, F.msg[i].sent_ps + 100 * US);
		if (i + 2 < F.nmsg)
			cr_assert_gt(F.msg[i + 2].sent_ps, F.msg[i + 1].sent_ps);
	}
	cr_assert_eq(iom_vtd_read_fsts(F.v) & VTD_FSTS_IQE, 0);
	/* The function never handled the requests: its stale entry is still there. */
	cr_assert_eq(iom_cache_valid(iom_atc_cache(F.dev.atc)), 1);
}

/* ---- invariant ---- */

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Every ATC entry translates its range as the domain's tables do now. */
static uint64_t check_atc(struct iom_pt *pt)
{
	struct iom_cache *c = iom_atc_cache(F.dev.atc);
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
				cr_assert_eq(iom_pt_lookup(pt, iova, &pa, &pgsz), 0,
					     "stale ATC entry: 0x%llx is unmapped",
					     (unsigned long long)iova);
				cr_assert_eq(pa, e->pa + off, "stale ATC entry for 0x%llx",
					     (unsigned long long)iova);
			}
			n++;
		}
	}
	return n;
}

Test(ats_vtd, stale_atc_entries_never_survive_a_completed_wait)
{
	up(false, NULL);
	attach(1, -1, 0);
	const uint64_t base = 0x10000000, pages = 128;
	bool mapped[128] = { false };
	uint64_t t = MS, checked = 0;
	for (int step = 0; step < 2000; step++) {
		uint64_t p = rnd() % pages, iova = base + p * 4096;
		switch (rnd() % 3) {
		case 0:
			if (!mapped[p]) {
				map(iova, 0x80000000ull + ((uint64_t)step << 12), 4096,
				    IOM_PROT_R | IOM_PROT_W);
				mapped[p] = true;
			}
			break;
		case 1:
			ats_dma(t, -1, iova, 64, (int)(rnd() & 1));
			break;
		default:
			if (!mapped[p])
				break;
			t = unmap(iova, 4096, t);
			mapped[p] = false;
			checked += check_atc(iom_host_domain(F.host, 1)->pt);
			break;
		}
		t += 10 * US;
	}
	cr_assert_gt(checked, 100, "the invariant saw cached entries");
	cr_assert_gt(iom_atc_stats(F.dev.atc)->inv_dropped, 10, "invalidations hit cached entries");
}
