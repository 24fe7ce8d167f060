/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ats-test.h - fixture for the ATS tests on SMMUv3 (test_ats_smmu.c): memory,
 * the SMMU and its driver, the host, the root complex's ATS side (atc.h) with
 * its port installed, and device 00:02.0 with its ATC.  Every ATS message is
 * logged into F.msg[] so a test can check the exact sequence.
 *
 * Timing facts the derivations use: DRAM latency D = 80 ns, no LLC; SMMU clock
 * 1000 MHz (P = 1 ns), config cache 2P, TLB 1P, walk cache 1P; ATC lookup 2
 * cycles of the 1000 MHz device clock (2P), one port; link latency L = 250 ns
 * each way; a function handles an Invalidate Request in I = 1 us.  A cold
 * stage-1 translation of a 48-bit IOVA costs STE 2P + D, CD 2P + D, TLB 1P,
 * walk cache 1P, four descriptor reads 4D = 6P + 6D (as in test_device.c).
 * Include once per test program.
 */
#ifndef IOM_TESTS_ATS_TEST_H
#define IOM_TESTS_ATS_TEST_H

#include <criterion/criterion.h>
#include <string.h>

#include "atc.h"
#include "device.h"
#include "host.h"
#include "log.h"
#include "mem.h"
#include "pgtable.h"
#include "smmuv3-regs.h"
#include "smmuv3.h"
#include "smmuv3_drv.h"
#include "trace.h"

#define P 1000ull
#define D 80000ull
#define L 250000ull    /* device.ats.link_latency_ns = 250 */
#define I 1000000ull   /* device.ats.inval_latency_ns = 1000 */
#define US 1000000ull
#define MS 1000000000ull
#define RID 0x10u      /* 00:02.0 */
#define MAXMSG 256

static struct {
	struct iom_mem *mem;
	struct iom_palloc *pa;
	struct iom_smmu *smmu;
	struct iom_smmu_drv *drv;
	struct iom_iommu iommu;
	struct iom_host_smmuv3 hs;
	struct iom_host *host;
	struct iom_ats_rc *rc;
	struct iom_ats_cfg ac;
	struct iom_cache_cfg atcc;
	struct iom_smmu_cfg sc;
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

/* Build everything; tweak (may be NULL) edits the configurations first. */
static void ats_up(void (*tweak)(void))
{
	const struct iom_mem_cfg *mc = iom_mem_prop_table.defaults;
	const struct iom_host_cfg *hc = iom_host_prop_table.defaults;

	iom_log_enable(IOM_LOG_GUEST_ERROR, 0);
	iom_log_enable(IOM_LOG_UNIMP, 0);
	cr_assert_eq(mc->dram_latency_ps, D, "derivations assume an 80 ns DRAM");
	cr_assert_eq(mc->llc_hit_ratio, 0.0, "derivations assume no LLC");
	F.ac = *(const struct iom_ats_cfg *)iom_ats_prop_table.defaults;
	F.atcc = *(const struct iom_cache_cfg *)iom_atc_prop_table.defaults;
	F.ac.enable = true;
	iom_smmu_cfg_default(&F.sc);
	if (tweak)
		tweak();
	cr_assert_eq(F.ac.link_latency_ns * 1000, L);
	cr_assert_eq(F.atcc.latency_cycles, 2);
	cr_assert_eq(F.ac.clock_mhz, 1000);
	F.mem = iom_mem_create(mc, &F.err);
	cr_assert_not_null(F.mem, "%s", F.err.msg);
	F.pa = iom_palloc_create(F.mem, hc->table_pool_base, hc->table_pool_size, &F.err);
	cr_assert_not_null(F.pa, "%s", F.err.msg);
	F.smmu = iom_smmu_create(&F.sc, F.mem, "smmu0", &F.err);
	cr_assert_not_null(F.smmu, "%s", F.err.msg);
	F.drv = iom_smmu_drv_create(F.smmu, F.mem, F.pa, 8, 8, 4, &F.err);
	cr_assert_not_null(F.drv, "%s", F.err.msg);
	iom_smmu_drv_as_iommu(F.drv, &F.iommu);
	F.rc = iom_ats_rc_create(&F.ac, &F.atcc, &F.iommu, &F.err);
	cr_assert_not_null(F.rc, "%s", F.err.msg);
	F.iommu.ops->set_ats_port(F.iommu.self, iom_ats_rc_port(F.rc));
	iom_ats_rc_set_log(F.rc, fx_log, NULL);
	F.hs = (struct iom_host_smmuv3){ .drv = F.drv, .cd_bits = hc->cd_table_bits };
	F.host = iom_host_create(hc, F.mem, F.pa, &F.iommu, &iom_host_smmuv3_ops, &F.hs, &F.err);
	cr_assert_not_null(F.host, "%s", F.err.msg);
	struct iom_device_cfg dc = *(const struct iom_device_cfg *)iom_device_prop_table.defaults;
	OK(iom_device_init(&F.dev, &dc, RID, &F.iommu, F.mem, &F.err));
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
	iom_smmu_drv_destroy(F.drv);
	iom_smmu_destroy(F.smmu);
	iom_ats_rc_destroy(F.rc);
	iom_palloc_destroy(F.pa);
	iom_mem_destroy(F.mem);
}

static struct iom_atc *atc(void)
{
	return F.dev.atc;
}

/* Domain id (paging) attached to (RID, pasid) at `now`; returns when done. */
static uint64_t attach(uint32_t id, int64_t pasid, uint64_t now)
{
	uint64_t done;
	if (!iom_host_domain(F.host, id))
		OK(iom_host_domain_create(F.host, id, IOM_HOST_DOM_PAGING, &F.err));
	OK(iom_host_attach(F.host, RID, pasid, id, now, &done, &F.err));
	return done;
}

static void map(uint32_t dom, uint64_t iova, uint64_t pa, uint64_t size, uint32_t prot,
		uint64_t pgsize)
{
	uint64_t done;
	OK(iom_host_map(F.host, dom, iova, pa, size, prot, pgsize, 0, &done, &F.err));
}

static uint64_t unmap(uint32_t dom, uint64_t iova, uint64_t size, uint64_t now)
{
	uint64_t done;
	OK(iom_host_unmap(F.host, dom, iova, size, now, &done, &F.err));
	return done;
}

/* One DMA of the device asking for ATS. */
static struct iom_dma_result ats_dma(uint64_t ready, int64_t pasid, uint64_t iova, uint64_t size,
				     int write)
{
	struct iom_dma_result r;
	OK(iom_device_dma_at(&F.dev, IOM_TXN_AT_TREQ, ready, pasid, iova, size, write, 0, &r,
			     &F.err));
	return r;
}

/* Messages of one kind from index `from` on. */
static size_t count_msgs(size_t from, unsigned kind)
{
	size_t n = 0;
	for (size_t i = from; i < F.nmsg; i++)
		n += F.msg[i].kind == kind;
	return n;
}

#endif
