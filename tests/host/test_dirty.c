/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_dirty.c - dirty tracking and harvest (models/host/dirty.c) and the
 * device-side tracker (models/device/dirty_dev.c), at the host API.
 *
 * Fixture: default memory and table pool; an SMMUv3 (default: HTTU =
 * af_dirty, range invalidation) or a scalable-mode VT-d (SLTS, FLTS, SLADS,
 * 48-bit 4-level second level), its driver, a host on top; requester RID
 * 01:00.0 (0x100); a struct iom_dirty with the defaults (v6_11,
 * clear_then_inval).  A "write" is one 64-byte write transaction through
 * the IOMMU, which sets the dirty state as the hardware does (SMMUv3 HTTU,
 * VT-d A/D).  The user bitmap lives at a user VA whose page offset each test
 * chooses.
 *
 * Expected values come from the rules in algorithms-reference.md, worked
 * out in each test's comment: bit i = [iova + i * page_size, + page_size),
 * bit i is bit i % 8 of byte i / 8; a dirty leaf is reported whole.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dirty.h"
#include "dirty_dev.h"
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

#define MS    1000000000ull
#define KB    1024ull
#define MB    (1024ull * KB)
#define GB    (1024ull * MB)
#define RID   0x100u
#define OK(x) cr_assert_eq((x), 0, "%s", F.err.msg)
#define RW    (IOM_PROT_R | IOM_PROT_W)
#define UVA   0x7f0000000000ull /* the user bitmap's page */

static struct {
	struct iom_mem *mem;
	struct iom_palloc *pa;
	struct iom_smmu *smmu;
	struct iom_smmu_drv *sdrv;
	struct iom_host_smmuv3 hs;
	struct iom_vtd *vtd;
	struct iom_vtd_drv *vdrv;
	struct iom_iommu iommu;
	struct iom_host_cfg hc;
	struct iom_host *host;
	struct iom_dirty *dt;
	struct iom_dirty_cfg dc;
	struct iom_err err;
	uint64_t now;
	uint8_t *store; /* the user bitmap's pages */
	size_t store_len;
	struct iom_ubitmap ub;
	struct iom_dirty_result res;
} F;

static uint64_t tick(void)
{
	F.now += MS;
	return F.now;
}

static void fx_init(void)
{
	memset(&F, 0, sizeof(F));
	iom_log_enable(IOM_LOG_GUEST_ERROR, 0);
	iom_log_enable(IOM_LOG_UNIMP, 0);
	F.hc = *(const struct iom_host_cfg *)iom_host_prop_table.defaults;
	F.dc = *(const struct iom_dirty_cfg *)iom_dirty_prop_table.defaults;
	F.mem = iom_mem_create(iom_mem_prop_table.defaults, &F.err);
	cr_assert_not_null(F.mem, "%s", F.err.msg);
	F.pa = iom_palloc_create(F.mem, F.hc.table_pool_base, F.hc.table_pool_size, &F.err);
	cr_assert_not_null(F.pa, "%s", F.err.msg);
	F.now = MS;
}

static void fx_fini(void)
{
	iom_dirty_destroy(F.dt);
	iom_host_destroy(F.host);
	if (F.iommu.ops)
		F.iommu.ops->destroy(F.iommu.self); /* driver and model */
	iom_palloc_destroy(F.pa);
	iom_mem_destroy(F.mem);
	free(F.store);
}

TestSuite(dirty, .init = fx_init, .fini = fx_fini);

static void dirty_up(void)
{
	F.dt = iom_dirty_create(F.host, &F.dc, &F.err);
	cr_assert_not_null(F.dt, "%s", F.err.msg);
}

static void smmu_up(uint32_t httu)
{
	struct iom_smmu_cfg sc;
	iom_smmu_cfg_default(&sc);
	sc.httu = httu;
	F.smmu = iom_smmu_create(&sc, F.mem, "smmu0", &F.err);
	cr_assert_not_null(F.smmu, "%s", F.err.msg);
	F.sdrv = iom_smmu_drv_create(F.smmu, F.mem, F.pa, 16, 8, 4, &F.err);
	cr_assert_not_null(F.sdrv, "%s", F.err.msg);
	iom_smmu_drv_as_iommu(F.sdrv, &F.iommu);
	F.hs = (struct iom_host_smmuv3){.drv = F.sdrv, .cd_bits = F.hc.cd_table_bits};
	F.host = iom_host_create(&F.hc, F.mem, F.pa, &F.iommu, &iom_host_smmuv3_ops, &F.hs, &F.err);
	cr_assert_not_null(F.host, "%s", F.err.msg);
	dirty_up();
}

static void vtd_up(bool scalable)
{
	struct iom_vtd_cfg vc;
	struct iom_vtd_drv_cfg dc;
	iom_vtd_cfg_default(&vc);
	if (scalable) {
		vc.smts = vc.slts = vc.flts = vc.pasid = vc.slads = true;
		vc.pss = 20;
	}
	iom_vtd_drv_cfg_default(&dc);
	F.vtd = iom_vtd_create(&vc, F.mem, "dmar0", &F.err);
	cr_assert_not_null(F.vtd, "%s", F.err.msg);
	F.vdrv = iom_vtd_drv_create(F.vtd, F.mem, F.pa, &dc, &F.err);
	cr_assert_not_null(F.vdrv, "%s", F.err.msg);
	iom_vtd_drv_as_iommu(F.vdrv, &F.iommu);
	F.host = iom_host_create(&F.hc, F.mem, F.pa, &F.iommu, &iom_host_vtd_ops, F.vdrv, &F.err);
	cr_assert_not_null(F.host, "%s", F.err.msg);
	dirty_up();
}

static void dom(uint32_t id, uint32_t flags)
{
	uint64_t done;
	OK(iom_host_domain_create_flags(F.host, id, IOM_HOST_DOM_PAGING, flags, &F.err));
	OK(iom_host_attach(F.host, RID, -1, id, tick(), &done, &F.err));
}

static void map(uint32_t id, uint64_t iova, uint64_t pa, uint64_t size, uint64_t pgsize)
{
	uint64_t done;
	OK(iom_host_map(F.host, id, iova, pa, size, RW, pgsize, tick(), &done, &F.err));
}

static void wr(uint64_t iova)
{
	struct iom_txn t = {.rid = RID, .iova = iova, .size = 64, .write = 1, .issue_ps = tick()};
	OK(iom_iommu_translate(&F.iommu, &t, &F.err));
	cr_assert_eq(t.status, IOM_TXN_OK, "write to 0x%llx: status %u fault 0x%x",
	             (unsigned long long)iova, t.status, t.fault);
}

static void track(uint32_t id, bool on)
{
	uint64_t done;
	OK(iom_dirty_set_tracking(F.dt, id, on, tick(), &done, NULL, &F.err));
}

/* A zeroed user bitmap of len bytes at page offset off. */
static void bitmap(uint64_t len, uint64_t off)
{
	free(F.store);
	F.store_len = off + len + 4096;
	F.store = calloc(1, F.store_len);
	cr_assert_not_null(F.store);
	F.ub = (struct iom_ubitmap){.buf = F.store + off, .va = UVA + off, .len = len};
}

static int harvest_rc(uint32_t id, uint64_t iova, uint64_t len, uint64_t pgsz, uint32_t flags)
{
	struct iom_dirty_req q = {.domain = id,
	                          .iova = iova,
	                          .length = len,
	                          .page_size = pgsz,
	                          .flags = flags,
	                          .bitmap = &F.ub};
	return iom_dirty_read_and_clear(F.dt, &q, tick(), &F.res, &F.err);
}

/* Harvest into a fresh zeroed bitmap at page offset off. */
static void harvest(uint32_t id, uint64_t iova, uint64_t len, uint64_t pgsz, uint32_t flags,
                    uint64_t off)
{
	bitmap((len / pgsz + 7) / 8, off);
	OK(harvest_rc(id, iova, len, pgsz, flags));
}

static bool bit(uint64_t i)
{
	return F.ub.buf[i / 8] >> (i % 8) & 1;
}

static uint64_t popcount(void)
{
	uint64_t n = 0;
	for (uint64_t i = 0; i < F.ub.len; i++)
		n += (uint64_t)__builtin_popcount(F.ub.buf[i]);
	return n;
}

/* ---- SMMUv3 stage 1: DBM ---- */

/* 16 4 KB pages at 1 MB; writes to pages 0, 3, 15 -> bits 0, 3, 15: byte 0 =
 * 0x09, byte 1 = 0x80.  The walk reads the L0, L1, L2 entries once and the 16
 * L3 entries (19 reads), clears the 3 dirty leaves, one range invalidation. */
Test(dirty, smmu_s1_reports_exactly_the_written_pages_and_clears_them)
{
	smmu_up(SMMU_HTTU_AF_DIRTY);
	dom(1, IOM_HOST_DOM_F_DIRTY);
	map(1, 1 * MB, 0x80000000, 64 * KB, 4 * KB);
	track(1, true);
	wr(1 * MB);
	wr(1 * MB + 3 * 4 * KB + 8);
	wr(1 * MB + 15 * 4 * KB);
	harvest(1, 1 * MB, 64 * KB, 4 * KB, 0, 0);
	cr_assert_eq(F.ub.buf[0], 0x09);
	cr_assert_eq(F.ub.buf[1], 0x80);
	cr_assert_eq(F.res.cost.pte_reads, 19);
	cr_assert_eq(F.res.cost.dirty_leaves, 3);
	cr_assert_eq(F.res.cost.pte_clears, 3);
	cr_assert_eq(F.res.cost.invalidations, 1);
	cr_assert_gt(F.res.cost.commands, 0);
	cr_assert_gt(F.res.done_ps, F.res.start_ps);
	harvest(1, 1 * MB, 64 * KB, 4 * KB, 0, 0);
	cr_assert_eq(popcount(), 0, "the first harvest cleared the dirty state");
	cr_assert_eq(F.res.cost.invalidations, 0, "nothing cleared, nothing to invalidate");
}

static int grab_leaf(void *ctx, struct iom_pt_scan *s, const struct iom_pt_leaf *l,
                     struct iom_err *err)
{
	(void)s;
	(void)err;
	*(struct iom_pt_leaf *)ctx = *l;
	return IOM_PT_SCAN_NEXT;
}

/* The CD of a dirty domain has HA and HD (arm_smmu_make_s1_cd with the HD
 * quirk); the leaves are writable-clean (DBM = 1, AP[2] = 1). */
Test(dirty, smmu_dirty_domain_has_cd_ha_hd_and_writable_clean_leaves)
{
	smmu_up(SMMU_HTTU_AF_DIRTY);
	dom(1, IOM_HOST_DOM_F_DIRTY);
	dom(2, 0);
	map(1, 1 * MB, 0x80000000, 4 * KB, 4 * KB);
	uint64_t cd[8];
	iom_mem_read(F.mem, iom_smmu_drv_cd_pa(F.sdrv, RID, 0), cd, sizeof(cd), NULL);
	cr_assert_eq(smmu_cd_ha(cd), 0, "CD 0 now points at domain 2 (no dirty tracking)");
	uint64_t done;
	OK(iom_host_attach(F.host, RID, -1, 1, tick(), &done, &F.err));
	iom_mem_read(F.mem, iom_smmu_drv_cd_pa(F.sdrv, RID, 0), cd, sizeof(cd), NULL);
	cr_assert_eq(smmu_cd_ha(cd), 1);
	cr_assert_eq(smmu_cd_hd(cd), 1);
	/* the leaf descriptor: DBM [51] = 1, AP[2] [7] = 1 (writable-clean) */
	struct iom_pt_leaf l = {0};
	struct iom_pt_scan s = {
	    .iova = 1 * MB, .size = 4 * KB, .mem_req = -1, .visit = grab_leaf, .ctx = &l};
	OK(iom_pt_scan(iom_host_domain(F.host, 1)->pt, &s, &F.err));
	cr_assert(l.valid);
	cr_assert_eq(l.desc >> 51 & 1, 1);
	cr_assert_eq(l.desc >> 7 & 1, 1);
	cr_assert_not(l.dirty);
	wr(1 * MB);
	OK(iom_pt_scan(iom_host_domain(F.host, 1)->pt, &s, &F.err));
	cr_assert_eq(l.desc >> 7 & 1, 0, "HTTU cleared AP[2]: writable-dirty");
	cr_assert(l.dirty);
}

/* A dirty 2 MB leaf reports 512 bits at 4 KB, a 1 GB leaf 2^18: one write in
 * each.  Map [1 GB, 2 GB) as one 1 GB leaf and [2 GB, 2 GB + 2 MB) as one
 * 2 MB leaf; harvest [1 GB, 2 GB + 2 MB) at 4 KB: bits [0, 2^18) and
 * [2^18, 2^18 + 512). */
Test(dirty, huge_leaves_are_reported_whole)
{
	smmu_up(SMMU_HTTU_AF_DIRTY);
	dom(1, IOM_HOST_DOM_F_DIRTY);
	map(1, 1 * GB, 1 * GB, 1 * GB, 1 * GB);
	map(1, 2 * GB, 4 * GB, 2 * MB, 2 * MB);
	track(1, true);
	wr(1 * GB + 123 * 4 * KB);
	wr(2 * GB + 7 * 4 * KB);
	harvest(1, 1 * GB, 1 * GB + 2 * MB, 4 * KB, 0, 0);
	cr_assert_eq(popcount(), (1u << 18) + 512);
	cr_assert(bit(0) && bit((1u << 18) - 1) && bit(1u << 18) && bit((1u << 18) + 511));
	cr_assert_eq(F.res.cost.dirty_leaves, 2);
	/* the same at 2 MB granularity: 512 + 1 bits */
	wr(1 * GB);
	wr(2 * GB);
	harvest(1, 1 * GB, 1 * GB + 2 * MB, 2 * MB, 0, 0);
	cr_assert_eq(popcount(), 513);
}

/* iommufd's selftests read the bitmap at offsets 2048 and 0xff1 of a page
 * (6.6): the same bits land at the same positions relative to the pointer. */
Test(dirty, unaligned_user_bitmaps_get_the_same_bits)
{
	static const uint64_t offs[] = {0, 2048, 0xff1, 4095};
	smmu_up(SMMU_HTTU_AF_DIRTY);
	dom(1, IOM_HOST_DOM_F_DIRTY);
	map(1, 1 * MB, 0x80000000, 64 * KB, 4 * KB);
	track(1, true);
	for (size_t i = 0; i < IOM_ARRAY_SIZE(offs); i++) {
		wr(1 * MB + 1 * 4 * KB);
		wr(1 * MB + 9 * 4 * KB);
		harvest(1, 1 * MB, 64 * KB, 4 * KB, 0, offs[i]);
		cr_assert_eq(F.ub.buf[0], 0x02, "offset %llu", (unsigned long long)offs[i]);
		cr_assert_eq(F.ub.buf[1], 0x02, "offset %llu", (unsigned long long)offs[i]);
	}
}

/* NO_CLEAR reports without clearing and without invalidating; a clearing
 * harvest then reports the same, and the next one nothing. */
Test(dirty, no_clear_then_a_clearing_harvest)
{
	smmu_up(SMMU_HTTU_AF_DIRTY);
	dom(1, IOM_HOST_DOM_F_DIRTY);
	map(1, 0, 0x80000000, 32 * KB, 4 * KB);
	track(1, true);
	wr(2 * 4 * KB);
	wr(5 * 4 * KB);
	for (int k = 0; k < 2; k++) {
		harvest(1, 0, 32 * KB, 4 * KB, IOM_DIRTY_NO_CLEAR, 0);
		cr_assert_eq(F.ub.buf[0], 0x24);
		cr_assert_eq(F.res.cost.pte_clears, 0);
		cr_assert_eq(F.res.cost.invalidations, 0);
	}
	harvest(1, 0, 32 * KB, 4 * KB, 0, 0);
	cr_assert_eq(F.ub.buf[0], 0x24);
	cr_assert_eq(F.res.cost.pte_clears, 2);
	harvest(1, 0, 32 * KB, 4 * KB, 0, 0);
	cr_assert_eq(F.ub.buf[0], 0);
}

/* A hole: iommufd's callback stops at the first unmapped address with
 * -EINVAL, which iommu_read_and_clear_dirty ignores: 0 with a partial bitmap.
 * Maps [0, 16 KB) and [32 KB, 48 KB); pages 0 and 8 written; harvest
 * [0, 48 KB): page 0 reported, the walk stops at 16 KB, page 8 is neither
 * reported nor cleared (a harvest of [32 KB, 48 KB) reports it). */
Test(dirty, a_hole_returns_zero_with_a_partial_bitmap)
{
	smmu_up(SMMU_HTTU_AF_DIRTY);
	dom(1, IOM_HOST_DOM_F_DIRTY);
	map(1, 0, 0x80000000, 16 * KB, 4 * KB);
	map(1, 32 * KB, 0x80008000, 16 * KB, 4 * KB);
	track(1, true);
	wr(0);
	wr(32 * KB);
	harvest(1, 0, 48 * KB, 4 * KB, 0, 0);
	cr_assert_eq(F.res.uapi_errno, 0);
	cr_assert(F.res.partial);
	cr_assert_eq(F.res.producer_err, -IOM_EINVAL);
	cr_assert_eq(F.res.hole_iova, 16 * KB);
	cr_assert_eq(F.ub.buf[0], 0x01);
	cr_assert_eq(F.ub.buf[1], 0x00);
	harvest(1, 32 * KB, 16 * KB, 4 * KB, 0, 0);
	cr_assert_not(F.res.partial);
	cr_assert_eq(F.ub.buf[0], 0x01);
}

/* iommufd's errors (6.4): flags, the hwpt, its dirty ops, the range. */
Test(dirty, iommufd_errors)
{
	smmu_up(SMMU_HTTU_AF_DIRTY);
	dom(1, IOM_HOST_DOM_F_DIRTY);
	dom(2, 0);
	map(1, 0, 0x80000000, 32 * KB, 4 * KB);
	bitmap(64, 0);
	struct {
		uint32_t dom;
		uint64_t iova, len, pgsz;
		uint32_t flags;
		int code, uapi;
	} c[] = {
	    {1, 0, 32 * KB, 4 * KB, 0x2, IOM_EINVAL, EOPNOTSUPP}, /* unknown flag */
	    {9, 0, 32 * KB, 4 * KB, 0, IOM_ENOENT, ENOENT},       /* no such domain */
	    {2, 0, 32 * KB, 4 * KB, 0, IOM_EINVAL, EOPNOTSUPP},   /* no dirty ops */
	    {1, UINT64_MAX - 4095, 8 * KB, 4 * KB, 0, IOM_ERANGE, EOVERFLOW},
	    {1, 0, 32 * KB, 0, 0, IOM_EINVAL, EINVAL},           /* page_size 0 */
	    {1, 0, 48 * KB, 12 * KB, 0, IOM_EINVAL, EINVAL},     /* not a power of 2 */
	    {1, 4 * KB, 16 * KB, 8 * KB, 0, IOM_EINVAL, EINVAL}, /* iova unaligned */
	    {1, 0, 12 * KB, 8 * KB, 0, IOM_EINVAL, EINVAL},      /* end unaligned */
	    {1, 0x800, 4 * KB, 2 * KB, 0, IOM_EINVAL, EINVAL},   /* not 4 KB aligned */
	};
	for (size_t i = 0; i < IOM_ARRAY_SIZE(c); i++) {
		struct iom_dirty_req q = {.domain = c[i].dom,
		                          .iova = c[i].iova,
		                          .length = c[i].len,
		                          .page_size = c[i].pgsz,
		                          .flags = c[i].flags,
		                          .bitmap = &F.ub};
		int rc = iom_dirty_read_and_clear(F.dt, &q, tick(), &F.res, &F.err);
		cr_assert_eq(rc, -c[i].code, "case %zu: %d (%s)", i, rc, F.err.msg);
		cr_assert_eq(F.res.uapi_errno, c[i].uapi, "case %zu: errno %d", i,
		             F.res.uapi_errno);
	}
	uint64_t done;
	cr_assert_eq(iom_dirty_set_tracking(F.dt, 2, true, tick(), &done, &F.res, &F.err),
	             -IOM_EINVAL);
	cr_assert_eq(F.res.uapi_errno, EOPNOTSUPP);
	cr_assert(strstr(F.err.msg, "EOPNOTSUPP"), "%s", F.err.msg);
}

/* Enabling clears what was dirty before (the NULL-bitmap read-and-clear
 * and one IOTLB sync), so the first harvest reports nothing. */
Test(dirty, enabling_clears_earlier_dirty_state)
{
	smmu_up(SMMU_HTTU_AF_DIRTY);
	dom(1, IOM_HOST_DOM_F_DIRTY);
	map(1, 0, 0x80000000, 32 * KB, 4 * KB);
	wr(0);
	wr(4 * KB);
	uint64_t done;
	OK(iom_dirty_set_tracking(F.dt, 1, true, tick(), &done, &F.res, &F.err));
	cr_assert_eq(F.res.cost.pte_clears, 2);
	cr_assert_eq(F.res.cost.invalidations, 1);
	cr_assert(iom_dirty_tracking(F.dt, 1));
	harvest(1, 0, 32 * KB, 4 * KB, 0, 0);
	cr_assert_eq(popcount(), 0);
}

/* A dirty domain needs IDR0.HTTU = 2 (Linux: ARM_SMMU_FEAT_HD). */
Test(dirty, smmu_without_httu_dirty_refuses_dirty_domains)
{
	smmu_up(SMMU_HTTU_AF);
	cr_assert_eq(iom_host_domain_create_flags(F.host, 1, IOM_HOST_DOM_PAGING,
	                                          IOM_HOST_DOM_F_DIRTY, &F.err),
	             -IOM_EINVAL);
	cr_assert(strstr(F.err.msg, "EOPNOTSUPP"), "%s", F.err.msg);
	cr_assert_eq(iom_host_set_domain_flags(F.host, IOM_HOST_DOM_F_DIRTY, &F.err), -IOM_EINVAL);
}

/* ---- SMMUv3 nested: the VM's stage 2 (S2AP[1] with DBM, STE.S2HD) ---- */

/* The harvest walks the VM's stage 2 over IPAs (= PAs here); stage-2 pages
 * of 4 KB: writes at PA 2 GB + 4 KB and 2 GB + 12 KB -> bits 1 and 3. */
Test(dirty, nested_domains_track_the_vms_stage_2)
{
	F.hc.stage = IOM_HOST_STAGE_NESTED;
	F.hc.s2_page = IOM_HOST_S2_4K;
	smmu_up(SMMU_HTTU_AF_DIRTY);
	dom(1, IOM_HOST_DOM_F_DIRTY);
	map(1, 1 * MB, 2 * GB, 64 * KB, 4 * KB);
	uint64_t ste[8];
	iom_mem_read(F.mem, iom_smmu_drv_ste_pa(F.sdrv, RID), ste, sizeof(ste), NULL);
	cr_assert_eq(smmu_ste_s2hd(ste), 1);
	cr_assert_eq(smmu_ste_s2ha(ste), 1);
	track(1, true);
	wr(1 * MB + 4 * KB);
	wr(1 * MB + 12 * KB);
	harvest(1, 2 * GB, 64 * KB, 4 * KB, 0, 0);
	cr_assert_eq(F.ub.buf[0], 0x0a);
	cr_assert_eq(F.ub.buf[1], 0x00);
	cr_assert_eq(F.res.cost.invalidations, 1, "one TLBI_S12_VMALL + SYNC");
	cr_assert_eq(F.res.cost.commands, 2);
	wr(1 * MB + 4 * KB); /* the S12_VMALL dropped the dirty entry: the write re-dirties */
	harvest(1, 2 * GB, 64 * KB, 4 * KB, 0, 0);
	cr_assert_eq(F.ub.buf[0], 0x02);
}

/* ---- VT-d ---- */

/* A dirty domain is second level (even where first level is the default);
 * SSADE is off until tracking is enabled, so writes before leave D clear;
 * a harvest while tracking is off records nothing (intel's -EINVAL, dropped
 * by iommufd). */
Test(dirty, vtd_second_level_ad_after_ssade)
{
	vtd_up(true);
	dom(1, IOM_HOST_DOM_F_DIRTY);
	cr_assert_eq(iom_pt_config(iom_host_domain(F.host, 1)->pt)->fmt, IOM_PT_VTD_SL);
	map(1, 1 * MB, 0x80000000, 64 * KB, 4 * KB);
	wr(1 * MB);
	harvest(1, 1 * MB, 64 * KB, 4 * KB, 0, 0);
	cr_assert(F.res.partial, "tracking is off: the driver refuses");
	cr_assert_eq(popcount(), 0);
	uint64_t d0 = iom_vtd_drv_stats(F.vdrv)->descriptors;
	track(1, true);
	/* SSADE in place: PASID cache + IOTLB DSI + wait */
	cr_assert_eq(iom_vtd_drv_stats(F.vdrv)->descriptors - d0, 3);
	wr(1 * MB + 2 * 4 * KB);
	wr(1 * MB + 6 * 4 * KB);
	harvest(1, 1 * MB, 64 * KB, 4 * KB, 0, 0);
	cr_assert_not(F.res.partial);
	cr_assert_eq(F.ub.buf[0], 0x44);
	/* VT-d walks from the root per entry: 16 leaves x (3 upper + 1) reads */
	cr_assert_eq(F.res.cost.pte_reads, 64);
	harvest(1, 1 * MB, 64 * KB, 4 * KB, 0, 0);
	cr_assert_eq(popcount(), 0);
}

/* Where the host allows it, a first-level domain keeps its format and its
 * writable leaves are built with D = 0; the hardware sets D on writes. */
Test(dirty, vtd_first_level_with_host_built_clean_leaves)
{
	vtd_up(true);
	dom(1, IOM_HOST_DOM_F_DIRTY | IOM_HOST_DOM_F_DIRTY_FL);
	cr_assert_eq(iom_pt_config(iom_host_domain(F.host, 1)->pt)->fmt, IOM_PT_X86_FL);
	map(1, 1 * MB, 0x80000000, 64 * KB, 4 * KB);
	track(1, true);
	wr(1 * MB + 15 * 4 * KB);
	harvest(1, 1 * MB, 64 * KB, 4 * KB, 0, 0);
	cr_assert_eq(F.ub.buf[0], 0x00);
	cr_assert_eq(F.ub.buf[1], 0x80);
}

Test(dirty, vtd_legacy_mode_refuses_dirty_domains)
{
	vtd_up(false);
	cr_assert_eq(iom_host_domain_create_flags(F.host, 1, IOM_HOST_DOM_PAGING,
	                                          IOM_HOST_DOM_F_DIRTY, &F.err),
	             -IOM_EINVAL);
	cr_assert(strstr(F.err.msg, "EOPNOTSUPP"), "%s", F.err.msg);
}

/* ---- v6_1's lost bits ---- */

/* A 1 GB dirty leaf at 64 GB straddles the edge of the first window when the
 * request starts at 512 MB.  The bitmap starts 2048 bytes into its page, so
 * the first window holds 512 pages - 2048 bytes = 2^24 - 2^14 bits (v6_1:
 * (2 MiB - 2048) / 8 whole u64 words, the same), i.e. IOVA [512 MB,
 * 64 GB + 448 MB).  The leaf's 2^18 bits start at bit (64 GB - 512 MB) /
 * 4 KB; the 448 MB = 114688 bits before the edge are recorded, v6_1 loses
 * the other 147456 (the second window finds the leaf already clean), v6_10
 * (set-ahead), v6_11 (re-pin in set) and iter record all 2^18.  (With a
 * page-aligned bitmap v6_10's set-ahead pass has length 0 and sets stray
 * bits instead: docs/dirty.md, "iova_bitmap algorithms".) */
Test(dirty, v6_1_loses_the_tail_of_a_leaf_straddling_a_window)
{
	static const uint32_t algos[] = {IOM_DIRTY_V6_1, IOM_DIRTY_V6_10, IOM_DIRTY_V6_11,
	                                 IOM_DIRTY_ITER};
	static const uint64_t want[] = {114688, 1u << 18, 1u << 18, 1u << 18};
	smmu_up(SMMU_HTTU_AF_DIRTY);
	dom(1, IOM_HOST_DOM_F_DIRTY);
	map(1, 512 * MB, 512 * MB, 512 * MB, 2 * MB);
	map(1, 1 * GB, 1 * GB, 65 * GB, 1 * GB);
	track(1, true);
	for (size_t i = 0; i < IOM_ARRAY_SIZE(algos); i++) {
		F.dc.algorithm = algos[i];
		OK(iom_dirty_configure(F.dt, &F.dc, &F.err));
		wr(64 * GB + 5 * 4 * KB);
		harvest(1, 512 * MB, 65 * GB, 4 * KB, 0, 2048);
		cr_assert_eq(popcount(), want[i], "%s: %llu bits", iom_dirty_algo_name(algos[i]),
		             (unsigned long long)popcount());
		uint64_t first = (64 * GB - 512 * MB) / (4 * KB);
		cr_assert(bit(first));
		cr_assert_eq(bit(first + (1u << 18) - 1), want[i] == (1u << 18));
		cr_assert_eq(F.res.cost.ibm.bits_lost, (1u << 18) - want[i]);
	}
}

/* ---- racing writes and the order of clear and invalidate ---- */

static struct {
	int calls, at;
	uint64_t iova;
} R;

static void race_hook(void *ctx, uint64_t t)
{
	(void)ctx;
	(void)t;
	if (++R.calls == R.at)
		wr(R.iova);
}

/* Page 2 is written before the harvest, so the TLB holds a writable-dirty
 * entry for it.  clear_then_inval: the harvest reports and clears it, then
 * invalidates; a later write misses the TLB, walks and dirties the leaf
 * again: the next harvest reports it.  no_inval: the stale dirty entry
 * stays; the later write sets nothing: lost.  inval_then_clear: the sync
 * comes first, a write racing in between (at the first leaf read) walks
 * and re-caches the still-dirty entry, the clear follows: the later write is
 * lost as well. */
Test(dirty, only_clear_then_inval_keeps_the_write_after_the_harvest)
{
	static const uint32_t orders[] = {IOM_DIRTY_CLEAR_THEN_INVAL, IOM_DIRTY_NO_INVAL,
	                                  IOM_DIRTY_INVAL_THEN_CLEAR};
	static const bool kept[] = {true, false, false};
	for (size_t i = 0; i < IOM_ARRAY_SIZE(orders); i++) {
		uint32_t id = (uint32_t)i + 1;
		if (!F.host)
			smmu_up(SMMU_HTTU_AF_DIRTY);
		F.dc.order = orders[i];
		OK(iom_dirty_configure(F.dt, &F.dc, &F.err));
		dom(id, IOM_HOST_DOM_F_DIRTY);
		map(id, 0, 0x80000000, 32 * KB, 4 * KB);
		track(id, true);
		wr(2 * 4 * KB);
		R.calls = 0;
		R.at = orders[i] == IOM_DIRTY_INVAL_THEN_CLEAR ? 2 : 0;
		R.iova = 2 * 4 * KB;
		iom_dirty_set_race_hook(F.dt, race_hook, NULL);
		harvest(id, 0, 32 * KB, 4 * KB, 0, 0);
		iom_dirty_set_race_hook(F.dt, NULL, NULL);
		cr_assert_eq(F.ub.buf[0], 0x04, "%s", iom_dirty_order_name(orders[i]));
		wr(2 * 4 * KB); /* after the harvest */
		harvest(id, 0, 32 * KB, 4 * KB, 0, 0);
		cr_assert_eq(bit(2), kept[i], "%s", iom_dirty_order_name(orders[i]));
		uint64_t done;
		OK(iom_host_detach(F.host, RID, -1, tick(), &done, &F.err));
	}
}

/* ---- VFIO type1 ---- */

/* Every mapped page is dirty on every query; per-mapping copies: mapping A
 * = [0, 16 KB) (bits 0-3, offset 0: word 0 overwritten = 0x0F), mapping B
 * = [280 KB, 288 KB) (bits 70-71, offset 70: 70 % 64 = 6, word 1 ORed with
 * bits 6-7 = 0xC0).  With the bitmap pre-filled with 0xFF: word 0 becomes
 * 0x0F (overwritten), word 1 stays all ones. */
Test(dirty, type1_reports_every_mapped_page_with_the_shift_rule)
{
	F.dc.algorithm = IOM_DIRTY_TYPE1;
	smmu_up(SMMU_HTTU_AF_DIRTY);
	dom(1, 0);
	map(1, 0, 0x80000000, 16 * KB, 4 * KB);
	map(1, 280 * KB, 0x80100000, 8 * KB, 4 * KB);
	track(1, true);
	harvest(1, 0, 512 * KB, 4 * KB, 0, 0);
	cr_assert_eq(F.ub.buf[0], 0x0f);
	for (int i = 1; i < 8; i++)
		cr_assert_eq(F.ub.buf[i], 0);
	cr_assert_eq(F.ub.buf[8], 0xc0);
	cr_assert_eq(popcount(), 6);
	cr_assert_eq(F.res.cost.pte_reads, 0, "type1 walks no table");
	bitmap(16, 0);
	memset(F.ub.buf, 0xff, 16);
	OK(harvest_rc(1, 0, 512 * KB, 4 * KB, 0));
	cr_assert_eq(F.ub.buf[0], 0x0f);
	for (int i = 1; i < 8; i++)
		cr_assert_eq(F.ub.buf[i], 0, "word 0 is overwritten");
	for (int i = 8; i < 16; i++)
		cr_assert_eq(F.ub.buf[i], 0xff, "word 1 is ORed");
	/* the checks of GET_BITMAP */
	cr_assert_eq(harvest_rc(1, 0, 512 * KB, 8 * KB, 0), -IOM_EINVAL);     /* not the min size */
	cr_assert_eq(harvest_rc(1, 4 * KB, 64 * KB, 4 * KB, 0), -IOM_EINVAL); /* inside A */
	cr_assert_eq(harvest_rc(1, 0, 8 * KB, 4 * KB, 0), -IOM_EINVAL);       /* ends inside A */
	track(1, false);
	cr_assert_eq(harvest_rc(1, 0, 512 * KB, 4 * KB, 0), -IOM_EINVAL); /* not started */
}

/* ---- device-side tracker ---- */

/* vfio_combine_iova_ranges: merge the adjacent pair with the smallest gap.
 * [0,4K) [8K,12K) [100K,104K) [112K,116K): gaps 4K, 88K, 8K -> [0,12K)
 * first; then gaps 88K, 8K -> [100K,116K); one range: [0,116K). */
Test(dirty, device_tracker_combines_ranges_across_the_smallest_gaps)
{
	struct iom_dirty_dev_range r[] = {
	    {0, 4 * KB}, {8 * KB, 4 * KB}, {100 * KB, 4 * KB}, {112 * KB, 4 * KB}};
	cr_assert_eq(iom_dirty_dev_combine(r, 4, 2), 2);
	cr_assert_eq(r[0].iova, 0);
	cr_assert_eq(r[0].length, 12 * KB);
	cr_assert_eq(r[1].iova, 100 * KB);
	cr_assert_eq(r[1].length, 16 * KB);
	cr_assert_eq(iom_dirty_dev_combine(r, 2, 1), 1);
	cr_assert_eq(r[0].length, 116 * KB);
}

static void dd_rec(void *ctx, uint64_t iova, uint64_t len)
{
	uint64_t *log = ctx;
	log[1 + log[0]++] = iova;
	cr_assert_eq(len, 8 * KB);
}

/* Start: page size 4 KB clamped to the tracker's 8 KB minimum; 3 ranges
 * merged into 2; writes outside are not logged; a report of 5 pages in
 * messages of 2 is 3 messages, in address order, and clears the log. */
Test(dirty, device_tracker_start_report_and_errors)
{
	struct iom_dirty_dev_cfg c =
	    *(const struct iom_dirty_dev_cfg *)iom_dirty_dev_prop_table.defaults;
	c.max_ranges = 2;
	c.min_page_size = 8 * KB;
	c.entries_per_msg = 2;
	struct iom_dirty_dev *t = iom_dirty_dev_create(&c, RID, &F.err);
	cr_assert_not_null(t, "%s", F.err.msg);
	struct iom_dirty_dev_range r[] = {{1 * MB, 64 * KB}, {0, 64 * KB}, {200 * KB, 8 * KB}};
	uint64_t ps = 4 * KB, done;
	int e;
	OK(iom_dirty_dev_start(t, &ps, r, 3, 0, &done, &e, &F.err));
	cr_assert_eq(ps, 8 * KB);
	cr_assert_eq(done, c.cmd_ps);
	const struct iom_dirty_dev_range *got;
	cr_assert_eq(iom_dirty_dev_ranges(t, &got), 2);
	cr_assert_eq(got[0].iova, 0);
	cr_assert_eq(got[0].length, 208 * KB);
	iom_dirty_dev_write(t, 8 * KB, 1);
	iom_dirty_dev_write(t, 1 * MB + 20 * KB, 24 * KB); /* pages 1M+16K, +24K, +32K, +40K */
	iom_dirty_dev_write(t, 512 * KB, 4 * KB);          /* untracked */
	cr_assert_eq(iom_dirty_dev_untracked_bytes(t), 4 * KB);
	uint64_t log[16] = {0};
	struct iom_dirty_dev_cost cost = {0};
	OK(iom_dirty_dev_report(t, 0, 2 * MB, dd_rec, log, NULL, NULL, 0, &done, &cost, &F.err));
	cr_assert_eq(log[0], 5);
	cr_assert_eq(log[1], 8 * KB);
	cr_assert_eq(log[2], 1 * MB + 16 * KB);
	cr_assert_eq(log[5], 1 * MB + 40 * KB);
	cr_assert_eq(cost.msgs, 3);
	cr_assert_eq(done, c.cmd_ps + 3 * c.msg_ps + 5 * c.entry_ps);
	log[0] = 0;
	OK(iom_dirty_dev_report(t, 0, 2 * MB, dd_rec, log, NULL, NULL, 0, &done, &cost, &F.err));
	cr_assert_eq(log[0], 0, "the report cleared the log");
	/* errors */
	cr_assert_eq(iom_dirty_dev_start(t, &ps, r, 1, 0, &done, &e, &F.err), -IOM_EBUSY);
	iom_dirty_dev_stop(t, 0, &done);
	struct iom_dirty_dev_range ov[] = {{0, 16 * KB}, {8 * KB, 16 * KB}};
	ps = 4 * KB;
	cr_assert_eq(iom_dirty_dev_start(t, &ps, ov, 2, 0, &done, &e, &F.err), -IOM_EINVAL);
	cr_assert_eq(e, EINVAL);
	ps = 3 * KB;
	cr_assert_eq(iom_dirty_dev_start(t, &ps, r, 1, 0, &done, &e, &F.err), -IOM_EINVAL);
	cr_assert_eq(e, EINVAL);
	ps = 4 * KB;
	cr_assert_eq(iom_dirty_dev_start(t, &ps, r, 257, 0, &done, &e, &F.err), -IOM_EINVAL);
	cr_assert_eq(e, E2BIG);
	struct iom_dirty_dev_range big[] = {{0, 4 * KB}, {1ull << 50, 4 * KB}};
	cr_assert_eq(iom_dirty_dev_start(t, &ps, big, 2, 0, &done, &e, &F.err), -IOM_EINVAL);
	cr_assert_eq(e, EOPNOTSUPP);
	cr_assert_eq(
	    iom_dirty_dev_report(t, 0, 4 * KB, dd_rec, log, NULL, NULL, 0, &done, NULL, &F.err),
	    -IOM_EINVAL);
	iom_dirty_dev_destroy(t);
}

/* A producer stands in for the IOMMU: the harvest goes through it (the
 * domain needs no dirty capability), with VFIO's checks. */
struct prod {
	struct iom_dirty_dev *t;
};

static int prod_start(void *ctx, uint32_t domain, uint64_t now, uint64_t *done, struct iom_err *err)
{
	struct prod *p = ctx;
	struct iom_dirty_dev_range r = {0, 1 * MB};
	uint64_t ps = 4 * KB;
	(void)domain;
	return iom_dirty_dev_start(p->t, &ps, &r, 1, now, done, NULL, err);
}

static int prod_stop(void *ctx, uint32_t domain, uint64_t now, uint64_t *done, struct iom_err *err)
{
	(void)domain;
	(void)err;
	iom_dirty_dev_stop(((struct prod *)ctx)->t, now, done);
	return 0;
}

static int prod_rc(void *ctx, uint32_t domain, uint64_t iova, uint64_t len,
                   void (*record)(void *, uint64_t, uint64_t), void *rctx, uint64_t now,
                   uint64_t *done, struct iom_dirty_cost *cost, struct iom_err *err)
{
	struct iom_dirty_dev_cost c = {0};
	(void)domain;
	int r = iom_dirty_dev_report(((struct prod *)ctx)->t, iova, len, record, rctx, NULL, NULL,
	                             now, done, &c, err);
	cost->dev_cmds += c.cmds;
	cost->dev_msgs += c.msgs;
	cost->dev_entries += c.entries;
	return r;
}

Test(dirty, device_producer_fills_the_bitmap)
{
	static const struct iom_dirty_producer ops = {prod_start, prod_stop, prod_rc};
	struct prod p;
	smmu_up(SMMU_HTTU_AF_DIRTY);
	p.t = iom_dirty_dev_create(iom_dirty_dev_prop_table.defaults, RID, &F.err);
	cr_assert_not_null(p.t);
	iom_dirty_set_producer(F.dt, &ops, &p);
	dom(1, 0);
	map(1, 0, 0x80000000, 64 * KB, 4 * KB);
	bitmap(8, 0);
	cr_assert_eq(harvest_rc(1, 0, 64 * KB, 4 * KB, 0), -IOM_EINVAL, "not started");
	track(1, true);
	iom_dirty_dev_write(p.t, 12 * KB, 8 * KB); /* pages 3, 4 */
	harvest(1, 0, 64 * KB, 4 * KB, 0, 0);
	cr_assert_eq(F.ub.buf[0], 0x18);
	cr_assert_eq(F.res.cost.dev_entries, 2);
	cr_assert_eq(harvest_rc(1, 0, 64 * KB, 4 * KB, IOM_DIRTY_NO_CLEAR), -IOM_EINVAL);
	cr_assert_eq(F.res.uapi_errno, EOPNOTSUPP);
	track(1, false);
	iom_dirty_dev_destroy(p.t);
}
