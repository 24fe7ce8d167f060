/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_device.c - the PCIe endpoint DMA engine (models/device): TLP
 * segmentation (4 KB boundary, MPS, MRRS), exact DMA latency, the
 * outstanding-DMA limit, timed vs closed-loop issue, fault accounting.
 *
 * Fixture: default memory (fixed DRAM latency D = 80 ns, no LLC), default
 * SMMU (1000 MHz -> P = 1000 ps; config cache 2P per access, 1 port; TLB
 * 1P; walk cache 1P), the SMMUv3 driver, a host with default config
 * (48-bit IOVA -> 4-level walks), and device 00:02.0 with the default
 * device config (MPS 256, MRRS 512) unless a test says otherwise.
 *
 * What one translation costs (smmuv3.c, "Timing"): a config-cache access
 * (2P) for the STE, +D for its 64-byte fetch on a miss; the same for the
 * CD (stage 1 only); a TLB access (1P); on a TLB miss a walk-cache access
 * (1P) and a walk of one dependent 8-byte read per level (4 x D).  The
 * TLP's memory access then costs D.  Bypass (identity) STEs stop after the
 * STE.  Attach/map are done at t = 0 (command processing does not occupy
 * the translation caches' ports) or, where said, 1 ms apart.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "config.h"
#include "device.h"
#include "host.h"
#include "log.h"
#include "mem.h"
#include "smmuv3-regs.h"
#include "smmuv3.h"
#include "smmuv3_drv.h"
#include "trace.h"

#define P 1000ull
#define D 80000ull
#define MS 1000000000ull
#define RID 0x10u /* 00:02.0 */

static struct {
	struct iom_mem *mem;
	struct iom_palloc *pa;
	struct iom_smmu *smmu;
	struct iom_smmu_drv *drv;
	struct iom_iommu iommu;
	struct iom_host_smmuv3 hs;
	struct iom_host *host;
	struct iom_device dev;
	bool dev_up;
	struct iom_err err;
} F;

static void fx_init(void)
{
	const struct iom_mem_cfg *mc = iom_mem_prop_table.defaults;
	const struct iom_host_cfg *hc = iom_host_prop_table.defaults;
	struct iom_smmu_cfg sc;

	memset(&F, 0, sizeof(F));
	iom_log_enable(IOM_LOG_GUEST_ERROR, 0);
	iom_log_enable(IOM_LOG_UNIMP, 0);
	cr_assert_eq(mc->dram_latency_ps, D, "derivations assume an 80 ns DRAM");
	cr_assert_eq(mc->llc_hit_ratio, 0.0, "derivations assume no LLC");
	F.mem = iom_mem_create(mc, &F.err);
	cr_assert_not_null(F.mem, "%s", F.err.msg);
	F.pa = iom_palloc_create(F.mem, hc->table_pool_base, hc->table_pool_size, &F.err);
	cr_assert_not_null(F.pa, "%s", F.err.msg);
	iom_smmu_cfg_default(&sc);
	sc.oas_bits = 52; /* pa_outside_memory_* bypasses 2^48 to memory: within the OAS (3.4) */
	cr_assert_eq(sc.config_cache.latency_cycles, 2);
	cr_assert_eq(sc.tlb.latency_cycles, 1);
	cr_assert_eq(sc.walk_cache.latency_cycles, 1);
	F.smmu = iom_smmu_create(&sc, F.mem, "smmu0", &F.err);
	cr_assert_not_null(F.smmu, "%s", F.err.msg);
	cr_assert_eq(iom_smmu_period_ps(F.smmu), P);
	F.drv = iom_smmu_drv_create(F.smmu, F.mem, F.pa, 8, 8, 4, &F.err);
	cr_assert_not_null(F.drv, "%s", F.err.msg);
	iom_smmu_drv_as_iommu(F.drv, &F.iommu);
	F.hs = (struct iom_host_smmuv3){ .drv = F.drv, .cd_bits = hc->cd_table_bits };
	F.host = iom_host_create(hc, F.mem, F.pa, &F.iommu, &iom_host_smmuv3_ops, &F.hs, &F.err);
	cr_assert_not_null(F.host, "%s", F.err.msg);
}

static void fx_fini(void)
{
	if (F.dev_up)
		iom_device_fini(&F.dev);
	iom_host_destroy(F.host);
	iom_smmu_drv_destroy(F.drv);
	iom_smmu_destroy(F.smmu);
	iom_palloc_destroy(F.pa);
	iom_mem_destroy(F.mem);
}

TestSuite(device, .init = fx_init, .fini = fx_fini);

#define OK(x) cr_assert_eq((x), 0, "%s", F.err.msg)

static void dev_up(uint32_t mode, uint32_t max_outstanding)
{
	struct iom_device_cfg dc = *(const struct iom_device_cfg *)iom_device_prop_table.defaults;
	cr_assert_eq(dc.max_payload, 256);
	cr_assert_eq(dc.max_read_req, 512);
	dc.mode = mode;
	if (max_outstanding)
		dc.max_outstanding = max_outstanding;
	OK(iom_device_init(&F.dev, &dc, RID, &F.iommu, F.mem, &F.err));
	F.dev_up = true;
}

/* Domain 1 of `type` attached to the device (no PASID), at t = 0. */
static void dom_attached(uint32_t type)
{
	uint64_t done;
	OK(iom_host_domain_create(F.host, 1, type, &F.err));
	OK(iom_host_attach(F.host, RID, -1, 1, 0, &done, &F.err));
}

static void map(uint64_t iova, uint64_t pa, uint64_t size)
{
	uint64_t done;
	OK(iom_host_map(F.host, 1, iova, pa, size, IOM_PROT_R | IOM_PROT_W, 0, 0, &done, &F.err));
}

static struct iom_dma_result dma(uint64_t ready, int64_t pasid, uint64_t iova, uint64_t size,
				 int write)
{
	struct iom_dma_result r;
	OK(iom_device_dma(&F.dev, ready, pasid, iova, size, write, 0, &r, &F.err));
	return r;
}

/* ---- TLP segmentation ---- */

struct tlp_case {
	const char *name;
	uint64_t iova, size;
	int write;
	uint32_t tlps;
};

/* Derivations: a TLP ends at the next 4 KB boundary or after MPS (256,
 * writes) / MRRS (512, reads) bytes, whichever is first. */
static const struct tlp_case tlp_cases[] = {
	{ "write 4096 @0x1000: 4096/256", 0x1000, 4096, 1, 16 },
	{ "read 4096 @0x1000: 4096/512", 0x1000, 4096, 0, 8 },
	{ "write 100 @0xff0: 16 to the boundary + 84", 0xff0, 100, 1, 2 },
	{ "read 4096 @0x100: 7x512 + 256 to the boundary + 256", 0x100, 4096, 0, 9 },
	{ "write 64 @0x2000: one TLP", 0x2000, 64, 1, 1 },
	/* 0x3f80: 128 B to 0x4000 (1), the page 0x4000 (16), then
	 * 8192 - 128 - 4096 = 3968 = 15 x 256 + 128 from 0x5000 (16). */
	{ "write 8192 @0x3f80: 1 + 16 + 16", 0x3f80, 8192, 1, 33 },
};

Test(device, tlp_counts_follow_4k_boundary_mps_and_mrrs)
{
	dom_attached(IOM_HOST_DOM_IDENTITY);
	dev_up(IOM_DEV_TIMED, 0);
	uint64_t t = 0;
	for (size_t i = 0; i < IOM_ARRAY_SIZE(tlp_cases); i++) {
		const struct tlp_case *c = &tlp_cases[i];
		uint32_t want = c->tlps;
		uint64_t tl0 = F.dev.tlps, x0 = iom_smmu_stats(F.smmu)->translations;
		t += MS;
		struct iom_dma_result r = dma(t, -1, c->iova, c->size, c->write);
		cr_expect_eq(r.tlps, want, "%s: %u TLPs", c->name, r.tlps);
		cr_expect_eq(F.dev.tlps - tl0, want, "%s: device counter", c->name);
		cr_expect_eq(iom_smmu_stats(F.smmu)->translations - x0, want,
			     "%s: one translation per TLP", c->name);
		cr_expect_eq(r.faulted, 0, "%s", c->name);
	}
	cr_assert_eq(F.dev.dmas, IOM_ARRAY_SIZE(tlp_cases));
}

Test(device, mps_128_doubles_write_tlps)
{
	struct iom_device_cfg dc = *(const struct iom_device_cfg *)iom_device_prop_table.defaults;
	dc.max_payload = 128;
	dc.max_read_req = 4096;
	dom_attached(IOM_HOST_DOM_IDENTITY);
	OK(iom_device_init(&F.dev, &dc, RID, &F.iommu, F.mem, &F.err));
	F.dev_up = true;
	/* 4096 / 128 = 32 write TLPs; a 4096-byte read at an aligned address is
	 * one request with MRRS 4096; at 0x800 the 4 KB boundary cuts it in 2. */
	cr_assert_eq(dma(MS, -1, 0x1000, 4096, 1).tlps, 32);
	cr_assert_eq(dma(2 * MS, -1, 0x1000, 4096, 0).tlps, 1);
	cr_assert_eq(dma(3 * MS, -1, 0x1800, 4096, 0).tlps, 2);
}

Test(device, init_rejects_non_power_of_two_sizes)
{
	struct iom_device_cfg dc = *(const struct iom_device_cfg *)iom_device_prop_table.defaults;
	dc.max_payload = 300;
	cr_assert_eq(iom_device_init(&F.dev, &dc, RID, &F.iommu, F.mem, &F.err), -IOM_EINVAL);
	cr_assert_eq(F.err.code, IOM_EINVAL);
	cr_assert(strstr(F.err.msg, "max_payload") != NULL, "%s", F.err.msg);
	dc.max_payload = 256;
	dc.max_read_req = 0;
	cr_assert_eq(iom_device_init(&F.dev, &dc, RID, &F.iommu, F.mem, &F.err), -IOM_EINVAL);
	cr_assert(strstr(F.err.msg, "max_read_req") != NULL, "%s", F.err.msg);
}

/* ---- exact latency ---- */

Test(device, cold_64b_read_latency_is_exact)
{
	dom_attached(IOM_HOST_DOM_PAGING);
	map(0x100000, 0x500000, 4096);
	dev_up(IOM_DEV_TIMED, 0);
	/* Attach invalidated STE and CD: STE 2P + D, CD 2P + D, TLB miss 1P,
	 * walk-cache miss 1P, 4-level walk 4D, memory D = 6P + 7D. */
	struct iom_dma_result r = dma(MS, -1, 0x100000, 64, 0);
	cr_assert_eq(r.tlps, 1);
	cr_assert_eq(r.faulted, 0);
	cr_assert_eq(r.issue_ps, MS);
	cr_assert_eq(r.done_ps - r.issue_ps, 6 * P + 7 * D, "latency %llu",
		     (unsigned long long)(r.done_ps - r.issue_ps));
	cr_assert_eq(F.dev.tlb_hit_tlps, 0);
}

Test(device, warm_64b_read_latency_is_translation_hit_plus_dram)
{
	dom_attached(IOM_HOST_DOM_PAGING);
	map(0x100000, 0x500000, 4096);
	dev_up(IOM_DEV_TIMED, 0);
	(void)dma(MS, -1, 0x100000, 64, 0); /* warms STE, CD and TLB */
	/* 1 ms later, idle: STE hit 2P + CD hit 2P + TLB hit 1P = 5 ns of
	 * translation, then the 80 ns memory access: 85000 ps. */
	struct iom_dma_result r = dma(2 * MS, -1, 0x100040, 64, 0);
	cr_assert_eq(r.issue_ps, 2 * MS);
	cr_assert_eq(r.done_ps - r.issue_ps, 5 * P + D, "latency %llu",
		     (unsigned long long)(r.done_ps - r.issue_ps));
	cr_assert_eq(F.dev.tlb_hit_tlps, 1);
	cr_assert_eq(F.dev.xlate_hit_ps.count, 1);
	cr_assert_eq(F.dev.xlate_hit_ps.sum, 5 * P);
}

/* ---- outstanding limit and issue modes ---- */

Test(device, one_outstanding_serialises_two_dmas_due_at_zero)
{
	dom_attached(IOM_HOST_DOM_IDENTITY);
	dev_up(IOM_DEV_TIMED, 1);
	/* Bypass: first DMA misses the STE (2P + D) then reads memory (D):
	 * done at 2P + 2D = 162 ns.  The second waits for the slot, starts at
	 * 162 ns, hits the STE (2P) and reads (D): done at 162 + 82 ns. */
	struct iom_dma_result a = dma(0, -1, 0x1000, 64, 0);
	struct iom_dma_result b = dma(0, -1, 0x2000, 64, 0);
	cr_assert_eq(a.issue_ps, 0);
	cr_assert_eq(a.done_ps, 2 * P + 2 * D);
	cr_assert_eq(b.issue_ps, a.done_ps, "second issued at %llu, first done at %llu",
		     (unsigned long long)b.issue_ps, (unsigned long long)a.done_ps);
	cr_assert_eq(b.done_ps, a.done_ps + 2 * P + D);
	cr_assert_eq(F.dev.slot_wait_ps.count, 1);
	cr_assert_eq(F.dev.slot_wait_ps.sum, 2 * P + 2 * D);
}

Test(device, two_outstanding_issue_both_at_zero)
{
	dom_attached(IOM_HOST_DOM_IDENTITY);
	dev_up(IOM_DEV_TIMED, 2);
	struct iom_dma_result a = dma(0, -1, 0x1000, 64, 0);
	struct iom_dma_result b = dma(0, -1, 0x2000, 64, 0);
	cr_assert_eq(a.issue_ps, 0);
	cr_assert_eq(b.issue_ps, 0);
	/* The third waits for the earlier of the two to finish. */
	struct iom_dma_result c = dma(0, -1, 0x3000, 64, 0);
	cr_assert_eq(c.issue_ps, IOM_MIN(a.done_ps, b.done_ps));
}

Test(device, timed_mode_issues_at_the_ready_time)
{
	dom_attached(IOM_HOST_DOM_IDENTITY);
	dev_up(IOM_DEV_TIMED, 1);
	struct iom_dma_result a = dma(5 * MS, -1, 0x1000, 64, 0);
	cr_assert_eq(a.issue_ps, 5 * MS);
	cr_assert_eq(F.dev.slot_wait_ps.count, 0);
}

Test(device, closed_loop_ignores_the_ready_time)
{
	dom_attached(IOM_HOST_DOM_IDENTITY);
	dev_up(IOM_DEV_CLOSED_LOOP, 1);
	/* Due at 5 ms, but the slot is free at 0: issues at 0 (bypass, done at
	 * 2P + 2D as above); the next, due at 7 ms, issues when the slot
	 * frees. */
	struct iom_dma_result a = dma(5 * MS, -1, 0x1000, 64, 0);
	cr_assert_eq(a.issue_ps, 0);
	cr_assert_eq(a.done_ps, 2 * P + 2 * D);
	struct iom_dma_result b = dma(7 * MS, -1, 0x2000, 64, 0);
	cr_assert_eq(b.issue_ps, a.done_ps);
}

/* ---- faults ---- */

Test(device, translation_fault_counts_faulted_tlps_and_dmas)
{
	dom_attached(IOM_HOST_DOM_PAGING);
	map(0x100000, 0x500000, 4096);
	dev_up(IOM_DEV_TIMED, 0);
	/* Nothing at 0x200000: all 16 write TLPs fault. */
	struct iom_dma_result r = dma(MS, -1, 0x200000, 4096, 1);
	cr_assert_eq(r.tlps, 16);
	cr_assert_eq(r.faulted, 16);
	cr_assert_eq(r.first_status, IOM_TXN_FAULT);
	cr_assert_eq(r.first_fault, SMMU_EVT_F_TRANSLATION);
	cr_assert_eq(F.dev.faulted_tlps, 16);
	cr_assert_eq(F.dev.faulted_dmas, 1);
	/* 8 KB from the mapped page into the unmapped next one: 32 TLPs, the
	 * 16 of the second page fault; one more faulted DMA. */
	r = dma(2 * MS, -1, 0x100000, 8192, 1);
	cr_assert_eq(r.tlps, 32);
	cr_assert_eq(r.faulted, 16);
	cr_assert_eq(r.first_fault, SMMU_EVT_F_TRANSLATION);
	cr_assert_eq(F.dev.faulted_tlps, 32);
	cr_assert_eq(F.dev.faulted_dmas, 2);
	/* A clean DMA adds nothing. */
	r = dma(3 * MS, -1, 0x100000, 4096, 0);
	cr_assert_eq(r.faulted, 0);
	cr_assert_eq(F.dev.faulted_dmas, 2);
	cr_assert_eq(F.dev.dmas, 3);
}

Test(device, blocked_domain_aborts_every_tlp)
{
	dom_attached(IOM_HOST_DOM_BLOCKED);
	dev_up(IOM_DEV_TIMED, 0);
	struct iom_dma_result r = dma(MS, -1, 0x1000, 1024, 0);
	cr_assert_eq(r.tlps, 2);
	cr_assert_eq(r.faulted, 2);
	cr_assert_eq(r.first_status, IOM_TXN_ABORT);
	cr_assert_eq(F.dev.faulted_dmas, 1);
}

Test(device, pa_outside_memory_is_a_faulted_tlp)
{
	dom_attached(IOM_HOST_DOM_IDENTITY);
	dev_up(IOM_DEV_TIMED, 0);
	/* Bypass gives pa = iova = 2^48, beyond the 48-bit memory: the root
	 * complex answers UR, counted as a fault with model code 0. */
	struct iom_dma_result r = dma(MS, -1, 1ull << 48, 64, 0);
	cr_assert_eq(r.tlps, 1);
	cr_assert_eq(r.faulted, 1);
	cr_assert_eq(r.first_status, IOM_TXN_FAULT);
	cr_assert_eq(r.first_fault, 0);
	cr_assert_eq(F.dev.faulted_tlps, 1);
}

Test(device, pasid_dma_translates_through_the_pasid_domain)
{
	uint64_t done;
	dom_attached(IOM_HOST_DOM_PAGING);
	map(0x100000, 0x500000, 4096);
	OK(iom_host_domain_create(F.host, 2, IOM_HOST_DOM_PAGING, &F.err));
	OK(iom_host_attach(F.host, RID, 3, 2, 0, &done, &F.err));
	dev_up(IOM_DEV_TIMED, 0);
	/* Domain 2 maps nothing: the PASID-3 DMA faults, the plain one works. */
	cr_assert_eq(dma(MS, 3, 0x100000, 64, 0).faulted, 1);
	cr_assert_eq(dma(2 * MS, -1, 0x100000, 64, 0).faulted, 0);
}

/* ---- the fabric hook (device.h) ---- */

/* A fabric stub: requests take 100 ns to the root complex (or, for peer
 * TLPs, 300 ns to be done), completions 200 ns back, nothing goes to a
 * peer after translation unless `peer` is set (then 50 ns). */
static struct {
	unsigned requests, peers, cpls;
	bool direct, peer;
} FB;

static uint64_t fb_request(void *ctx, uint64_t ready, uint64_t addr, uint32_t len, bool write,
			   bool *to_iommu)
{
	(void)ctx, (void)addr, (void)len, (void)write;
	FB.requests++;
	*to_iommu = !FB.direct;
	return ready + (FB.direct ? 300000 : 100000);
}

static bool fb_peer(void *ctx, uint64_t ready, uint64_t pa, uint32_t len, bool write,
		    uint64_t *done)
{
	(void)ctx, (void)pa, (void)len, (void)write;
	FB.peers++;
	*done = ready + 50000;
	return FB.peer;
}

static uint64_t fb_cpl(void *ctx, uint64_t ready, uint64_t pa, uint32_t len)
{
	(void)ctx, (void)pa, (void)len;
	FB.cpls++;
	return ready + 200000;
}

static const struct iom_dev_fabric_ops fb_ops = {fb_request, fb_peer, fb_cpl};

/* The cold read of cold_64b_read_latency_is_exact (6P + 7D), with 100 ns
 * up before the IOMMU and 200 ns of completions after memory. */
Test(device, fabric_hook_times_request_and_completions_around_the_iommu)
{
	memset(&FB, 0, sizeof(FB));
	dom_attached(IOM_HOST_DOM_PAGING);
	map(0x100000, 0x500000, 4096);
	dev_up(IOM_DEV_TIMED, 0);
	iom_device_set_fabric(&F.dev, &fb_ops, NULL);
	struct iom_dma_result r = dma(MS, -1, 0x100000, 64, 0);
	cr_assert_eq(r.done_ps - r.issue_ps, 100000 + 6 * P + 7 * D + 200000);
	cr_assert(FB.requests == 1 && FB.peers == 1 && FB.cpls == 1);
	/* a write is posted: no completions; 2 TLPs of 256 */
	r = dma(2 * MS, -1, 0x100000, 512, 1);
	cr_assert_eq(r.tlps, 2);
	cr_assert(FB.requests == 3 && FB.cpls == 1);
	cr_assert_eq(F.dev.xlate_hit_ps.count + F.dev.xlate_miss_ps.count, 3);
}

Test(device, fabric_peer_tlps_skip_the_iommu_or_memory)
{
	memset(&FB, 0, sizeof(FB));
	dom_attached(IOM_HOST_DOM_PAGING);
	map(0x100000, 0x500000, 4096);
	dev_up(IOM_DEV_TIMED, 0);
	iom_device_set_fabric(&F.dev, &fb_ops, NULL);
	uint64_t x0 = iom_smmu_stats(F.smmu)->translations;
	const struct iom_mem_req_stats *ms = iom_mem_req_stats(F.mem, F.dev.mem_req);
	FB.direct = true; /* delivered through a switch: done when the fabric says */
	struct iom_dma_result r = dma(MS, -1, 0x100000, 1024, 1);
	cr_assert_eq(r.tlps, 4);
	cr_assert_eq(r.done_ps - r.issue_ps, 300000);
	cr_assert_eq(iom_smmu_stats(F.smmu)->translations, x0);
	cr_assert_eq(FB.peers, 0);
	FB.direct = false;
	FB.peer = true; /* translated, then on to a peer's BAR: no memory access */
	r = dma(2 * MS, -1, 0x100000, 64, 0);
	cr_assert_eq(r.done_ps - r.issue_ps, 100000 + 6 * P + 6 * D + 50000);
	cr_assert_eq(ms->reads + ms->writes, 0);
	cr_assert_eq(FB.cpls, 0);
	cr_assert_eq(F.dev.dmas, 2);
}
