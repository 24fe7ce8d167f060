/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sva-test.h - what the SVA / PRI tests share: a host over an SMMUv3 (or a
 * VT-d unit) built by hand, exactly as system.c does but with the
 * configurations each test adjusts first, and small wrappers that assert
 * success.
 *
 * Memory: the default memory model; the host's default table pool.  SMMUv3:
 * default model (SIDSIZE 16, SSIDSIZE 20, RIL), a linear stream table, a
 * 256-entry command queue.  VT-d: the Broadwell defaults plus scalable mode
 * with first-level translation (sva_vtd_scalable()).  Times advance 1 ms per
 * operation (tick()), so no operation overlaps another.
 */
#ifndef IOM_TESTS_SVA_TEST_H
#define IOM_TESTS_SVA_TEST_H

#include <criterion/criterion.h>
#include <string.h>

#include "config.h"
#include "host.h"
#include "log.h"
#include "mem.h"
#include "pgtable.h"
#include "smmuv3-regs.h"
#include "smmuv3.h"
#include "smmuv3_drv.h"
#include "trace.h"
#include "vtd.h"
#include "vtd_drv.h"

#define MS 1000000000ull
#define KB 1024ull
#define MB (1024ull * KB)
#define DEV 0x100u  /* 01:00.0 */
#define DEV2 0x200u /* 02:00.0 */
#define RW (IOM_PROT_R | IOM_PROT_W)
#define OK(x) cr_assert_eq((x), 0, "%s", F.err.msg)

static struct {
	struct iom_mem *mem;
	struct iom_palloc *pa;
	struct iom_smmu_cfg sc;
	struct iom_smmu *smmu;
	struct iom_smmu_drv *drv;
	struct iom_vtd_cfg vc;
	struct iom_vtd_drv_cfg vdc;
	struct iom_vtd_drv *vdrv;
	struct iom_iommu iommu;
	struct iom_host_smmuv3 hs;
	struct iom_host_cfg hc;
	struct iom_host *host;
	struct iom_err err;
	uint64_t now;
} F;

static inline uint64_t tick(void)
{
	F.now += MS;
	return F.now;
}

static inline void fx_init(void)
{
	const struct iom_mem_cfg *mc = iom_mem_prop_table.defaults;
	memset(&F, 0, sizeof(F));
	iom_log_enable(IOM_LOG_GUEST_ERROR, 0);
	iom_log_enable(IOM_LOG_UNIMP, 0);
	F.hc = *(const struct iom_host_cfg *)iom_host_prop_table.defaults;
	F.hc.strtab = IOM_SMMU_DRV_TAB_LINEAR;
	F.mem = iom_mem_create(mc, &F.err);
	cr_assert_not_null(F.mem, "%s", F.err.msg);
	F.pa = iom_palloc_create(F.mem, F.hc.table_pool_base, F.hc.table_pool_size, &F.err);
	cr_assert_not_null(F.pa, "%s", F.err.msg);
	iom_smmu_cfg_default(&F.sc);
	iom_vtd_cfg_default(&F.vc);
	iom_vtd_drv_cfg_default(&F.vdc);
	F.now = MS;
}

static inline void fx_fini(void)
{
	iom_host_destroy(F.host);
	if (F.iommu.ops)
		F.iommu.ops->destroy(F.iommu.self);
	iom_palloc_destroy(F.pa);
	iom_mem_destroy(F.mem);
}

/* SMMUv3 + driver + host, with F.sc and F.hc as the test left them. */
static inline void smmu_up(void)
{
	F.smmu = iom_smmu_create(&F.sc, F.mem, "smmu0", &F.err);
	cr_assert_not_null(F.smmu, "%s", F.err.msg);
	F.drv = iom_smmu_drv_create(F.smmu, F.mem, F.pa, 16, 8, 4, &F.err);
	cr_assert_not_null(F.drv, "%s", F.err.msg);
	iom_smmu_drv_as_iommu(F.drv, &F.iommu);
	F.hs = (struct iom_host_smmuv3){.drv = F.drv, .cd_bits = F.hc.cd_table_bits};
	F.host = iom_host_create(&F.hc, F.mem, F.pa, &F.iommu, &iom_host_smmuv3_ops, &F.hs,
				 &F.err);
	cr_assert_not_null(F.host, "%s", F.err.msg);
}

/* Scalable mode with first-level translation on top of the defaults. */
static inline void sva_vtd_scalable(void)
{
	F.vc.smts = F.vc.slts = F.vc.flts = F.vc.pasid = true;
	F.vc.pss = 20;
}

static inline void vtd_up(void)
{
	struct iom_vtd *v = iom_vtd_create(&F.vc, F.mem, "dmar0", &F.err);
	cr_assert_not_null(v, "%s", F.err.msg);
	F.vdrv = iom_vtd_drv_create(v, F.mem, F.pa, &F.vdc, &F.err);
	cr_assert_not_null(F.vdrv, "%s", F.err.msg);
	iom_vtd_drv_as_iommu(F.vdrv, &F.iommu);
	F.host = iom_host_create(&F.hc, F.mem, F.pa, &F.iommu, &iom_host_vtd_ops, F.vdrv, &F.err);
	cr_assert_not_null(F.host, "%s", F.err.msg);
}

static inline void pmap(uint32_t mm, uint64_t va, uint64_t pa, uint64_t size, uint32_t prot)
{
	uint64_t done;
	OK(iom_host_pmap(F.host, mm, va, pa, size, prot, tick(), &done, &F.err));
}

static inline uint64_t punmap(uint32_t mm, uint64_t va, uint64_t size)
{
	uint64_t done, now = tick();
	OK(iom_host_punmap(F.host, mm, va, size, now, &done, &F.err));
	return done - now;
}

static inline void bind(uint32_t dev, uint32_t pasid, uint32_t mm)
{
	uint64_t done;
	OK(iom_host_bind(F.host, dev, pasid, mm, NULL, tick(), &done, &F.err));
}

static inline int bind_r(uint32_t dev, uint32_t pasid, uint32_t mm)
{
	uint64_t done;
	return iom_host_bind(F.host, dev, pasid, mm, NULL, tick(), &done, &F.err);
}

static inline void unbind(uint32_t dev, uint32_t pasid)
{
	uint64_t done;
	OK(iom_host_unbind(F.host, dev, pasid, NULL, tick(), &done, &F.err));
}

static inline struct iom_txn xlate(uint32_t rid, int64_t pasid, uint64_t iova, int write)
{
	struct iom_txn t = {.rid = rid, .iova = iova, .size = 64, .write = (uint8_t)write,
			    .issue_ps = tick()};
	if (pasid >= 0) {
		t.flags = IOM_TXN_PASID_VALID;
		t.pasid = (uint32_t)pasid;
	}
	OK(iom_iommu_translate(&F.iommu, &t, &F.err));
	return t;
}

static inline struct iom_host_mm_info mm_info(uint32_t mm)
{
	struct iom_host_mm_info i;
	iom_host_mm_info(F.host, mm, &i);
	return i;
}

static inline uint64_t smmu_cmds(uint32_t op)
{
	return iom_smmu_stats(F.smmu)->cmd_by_op[op];
}

/* The 8 words of CD ssid of sid. */
static inline void read_cd(uint32_t sid, uint32_t ssid, uint64_t cd[8])
{
	uint64_t pa = iom_smmu_drv_cd_pa(F.drv, sid, ssid);
	cr_assert_neq(pa, 0, "no CD %u of SID 0x%x", ssid, sid);
	iom_mem_read(F.mem, pa, cd, 64, NULL);
}

#endif
