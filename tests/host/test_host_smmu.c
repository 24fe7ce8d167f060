/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_host_smmu.c - the host's SMMUv3 choices (host.strtab, host.cd_table,
 * host.cd_table_bits up to 20, host.granule) through attach, map, unmap and
 * translation, with exact command counts.
 *
 * Fixture: default memory, the host's default table pool, a default SMMU
 * (SIDSIZE 16, SSIDSIZE 20, 1000 MHz, range invalidation), a driver over
 * 16 SID bits with a 256-entry command queue, and a host whose config each
 * test adjusts before creating it (its setup op fixes the table formats).
 *
 * Derivations:
 *  - attach of a paging domain, no PASID, on a fresh stream (host_smmuv3.c):
 *    CD 0 goes V=0 -> V=1 (hitless: words 1 + 3, then word 0: 2 CFGI_CD + 2
 *    SYNC), then the STE abort -> stage 1 (hitless: word 1, then word 0: 2
 *    CFGI_STE + 2 SYNC); a 2-level stream table adds, before the STE, the
 *    leaf + L1STD + CFGI_STE Leaf=0 + SYNC; a 2-level CD table adds, before
 *    the CD, the leaf + L1CD + CFGI_CD Leaf=0 + SYNC.
 *  - RID 01:00.0 = 0x100: L1STD index 1, STE index 0 of its leaf.
 *  - granules (io-pgtable-arm page sizes, 48-bit IA): 16 KB: 16K and 32M
 *    leaves; 64 KB: 64K and 512M; CD.TG0 encodes 16 KB as 2, 64 KB as 1.
 */
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

#define MS 1000000000ull
#define KB 1024ull
#define MB (1024ull * KB)
#define RID 0x100u
#define OK(x) cr_assert_eq((x), 0, "%s", F.err.msg)
#define RW (IOM_PROT_R | IOM_PROT_W)

static struct {
	struct iom_mem *mem;
	struct iom_palloc *pa;
	struct iom_smmu *smmu;
	struct iom_smmu_drv *drv;
	struct iom_iommu iommu;
	struct iom_host_smmuv3 hs;
	struct iom_host_cfg hc;
	struct iom_host *host;
	struct iom_err err;
	uint64_t now;
} F;

static uint64_t tick(void)
{
	F.now += MS;
	return F.now;
}

static void fx_init(void)
{
	const struct iom_mem_cfg *mc = iom_mem_prop_table.defaults;
	struct iom_smmu_cfg sc;

	memset(&F, 0, sizeof(F));
	iom_log_enable(IOM_LOG_GUEST_ERROR, 0);
	iom_log_enable(IOM_LOG_UNIMP, 0);
	F.hc = *(const struct iom_host_cfg *)iom_host_prop_table.defaults;
	F.mem = iom_mem_create(mc, &F.err);
	cr_assert_not_null(F.mem, "%s", F.err.msg);
	F.pa = iom_palloc_create(F.mem, F.hc.table_pool_base, F.hc.table_pool_size, &F.err);
	cr_assert_not_null(F.pa, "%s", F.err.msg);
	iom_smmu_cfg_default(&sc);
	F.smmu = iom_smmu_create(&sc, F.mem, "smmu0", &F.err);
	cr_assert_not_null(F.smmu, "%s", F.err.msg);
	F.drv = iom_smmu_drv_create(F.smmu, F.mem, F.pa, 16, 8, 4, &F.err);
	cr_assert_not_null(F.drv, "%s", F.err.msg);
	iom_smmu_drv_as_iommu(F.drv, &F.iommu);
	F.now = MS;
}

static void fx_fini(void)
{
	iom_host_destroy(F.host);
	iom_smmu_drv_destroy(F.drv);
	iom_smmu_destroy(F.smmu);
	iom_palloc_destroy(F.pa);
	iom_mem_destroy(F.mem);
}

TestSuite(host_smmu, .init = fx_init, .fini = fx_fini);

static void host_up(void)
{
	F.hs = (struct iom_host_smmuv3){ .drv = F.drv, .cd_bits = F.hc.cd_table_bits };
	F.host = iom_host_create(&F.hc, F.mem, F.pa, &F.iommu, &iom_host_smmuv3_ops, &F.hs, &F.err);
	cr_assert_not_null(F.host, "%s", F.err.msg);
}

static void dom_attached(uint32_t id, uint32_t rid, int64_t pasid)
{
	uint64_t done;
	if (!iom_host_domain(F.host, id))
		OK(iom_host_domain_create(F.host, id, IOM_HOST_DOM_PAGING, &F.err));
	OK(iom_host_attach(F.host, rid, pasid, id, tick(), &done, &F.err));
}

static void map(uint32_t id, uint64_t iova, uint64_t pa, uint64_t size, uint64_t pgsize)
{
	uint64_t done;
	OK(iom_host_map(F.host, id, iova, pa, size, RW, pgsize, tick(), &done, &F.err));
}

static uint64_t leaf_of(uint32_t id, uint64_t iova, uint64_t *pa)
{
	uint64_t sz = 0, p = 0;
	if (iom_pt_lookup(iom_host_domain(F.host, id)->pt, iova, &p, &sz) != 0)
		return 0;
	if (pa)
		*pa = p;
	return sz;
}

static struct iom_txn xlate(uint32_t rid, int64_t pasid, uint64_t iova)
{
	struct iom_txn t = { .rid = rid, .iova = iova, .size = 64, .issue_ps = tick() };
	if (pasid >= 0) {
		t.flags = IOM_TXN_PASID_VALID;
		t.pasid = (uint32_t)pasid;
	}
	OK(iom_smmu_translate(F.smmu, &t, &F.err));
	return t;
}

static uint64_t cmds(uint32_t op)
{
	return iom_smmu_stats(F.smmu)->cmd_by_op[op];
}

/* ---- table formats ---- */

Test(host_smmu, two_level_stream_table_attach_adds_a_leaf_before_the_ste)
{
	F.hc.strtab = IOM_SMMU_DRV_TAB_2LVL;
	host_up();
	cr_assert_eq(iom_smmu_drv_strtab_fmt(F.drv), SMMU_STRTAB_FMT_2LVL);
	dom_attached(1, RID, -1);
	/* CD 0: 2 CFGI_CD; leaf: 1 CFGI_STE (Leaf=0); STE: 2 CFGI_STE; a SYNC each */
	cr_assert_eq(cmds(SMMU_CMD_CFGI_CD), 2);
	cr_assert_eq(cmds(SMMU_CMD_CFGI_STE), 3);
	cr_assert_eq(cmds(SMMU_CMD_SYNC), 5);
	cr_assert_eq(iom_smmu_drv_stats(F.drv)->commands, 10);
	cr_assert_eq(iom_smmu_drv_stats(F.drv)->l2_strtabs, 1);
	/* L1STD 1 points at the leaf holding SID 0x100 as its STE 0 */
	uint64_t d;
	iom_mem_read(F.mem, iom_smmu_drv_strtab(F.drv) + 8, &d, 8, NULL);
	cr_assert_eq(smmu_l1std_l2ptr(d, 9), iom_smmu_drv_ste_pa(F.drv, RID));
	map(1, 0x100000, 0x80000000, 4 * KB, 0);
	struct iom_txn t = xlate(RID, -1, 0x100040);
	cr_assert_eq(t.status, IOM_TXN_OK);
	cr_assert_eq(t.pa, 0x80000040);
	cr_assert_eq(t.cfg_reads, 3, "L1STD, STE, CD");
}

Test(host_smmu, linear_stream_table_attach_is_cd_then_ste)
{
	F.hc.strtab = IOM_SMMU_DRV_TAB_LINEAR;
	host_up();
	cr_assert_eq(iom_smmu_drv_strtab_fmt(F.drv), SMMU_STRTAB_FMT_LINEAR);
	dom_attached(1, RID, -1);
	cr_assert_eq(cmds(SMMU_CMD_CFGI_CD), 2);
	cr_assert_eq(cmds(SMMU_CMD_CFGI_STE), 2);
	cr_assert_eq(cmds(SMMU_CMD_SYNC), 4);
	cr_assert_eq(iom_smmu_drv_stats(F.drv)->l2_strtabs, 0);
	map(1, 0x100000, 0x80000000, 4 * KB, 0);
	cr_assert_eq(xlate(RID, -1, 0x100000).cfg_reads, 2, "STE, CD");
}

Test(host_smmu, twenty_bit_pasids_use_a_two_level_cd_table)
{
	uint64_t done;
	F.hc.cd_table_bits = 20;
	F.hc.cd_table = IOM_SMMU_DRV_TAB_2LVL;
	F.hc.strtab = IOM_SMMU_DRV_TAB_LINEAR;
	host_up();
	dom_attached(1, RID, -1);
	/* CD 0's leaf: L1CD 0 + CFGI_CD Leaf=0 + SYNC, then the CD (2 + 2) */
	cr_assert_eq(cmds(SMMU_CMD_CFGI_CD), 3);
	cr_assert_eq(iom_smmu_drv_stats(F.drv)->l2_cdtabs, 1);
	uint64_t ste[8];
	iom_mem_read(F.mem, iom_smmu_drv_ste_pa(F.drv, RID), ste, 64, NULL);
	cr_assert_eq(smmu_ste_s1fmt(ste), SMMU_S1FMT_1024CD);
	cr_assert_eq(smmu_ste_s1cdmax(ste), 20);
	/* PASID 0x12345: L1CD 0x48, CD 0x345 of a second leaf; the STE stays */
	uint64_t ste_cfgi = cmds(SMMU_CMD_CFGI_STE);
	OK(iom_host_domain_create(F.host, 2, IOM_HOST_DOM_PAGING, &F.err));
	OK(iom_host_attach(F.host, RID, 0x12345, 2, tick(), &done, &F.err));
	cr_assert_eq(cmds(SMMU_CMD_CFGI_CD), 3 + 3);
	cr_assert_eq(cmds(SMMU_CMD_CFGI_STE), ste_cfgi);
	cr_assert_eq(iom_smmu_drv_stats(F.drv)->l2_cdtabs, 2);
	uint64_t l1cd;
	iom_mem_read(F.mem, smmu_ste_s1ctxptr(ste) + 0x48 * 8, &l1cd, 8, NULL);
	cr_assert_eq(smmu_l1cd_l2ptr(l1cd) + 0x345 * 64, iom_smmu_drv_cd_pa(F.drv, RID, 0x12345));
	map(2, 0x200000, 0x90000000, 4 * KB, 0);
	struct iom_txn t = xlate(RID, 0x12345, 0x200010);
	cr_assert_eq(t.pa, 0x90000010);
	cr_assert_eq(t.cfg_reads, 3, "STE, L1CD, CD");
	cr_assert_eq(iom_host_attach(F.host, RID, 1 << 20, 2, tick(), &done, &F.err), -IOM_ERANGE);
}

Test(host_smmu, asid_and_vmid_widths_come_from_idr0)
{
	host_up();
	uint32_t idr0 = iom_smmu_read_idr(F.smmu, 0);
	cr_assert_eq(iom_smmu_drv_asid_bits(F.drv), smmu_idr0_asid16(idr0) ? 16 : 8);
	cr_assert_eq(iom_smmu_drv_vmid_bits(F.drv), smmu_idr0_vmid16(idr0) ? 16 : 8);
	cr_assert_eq(iom_host_smmuv3_ops.max_tag_of(&F.hs),
		     (1u << iom_smmu_drv_asid_bits(F.drv)) - 1);
}

Test(host_smmu, unknown_table_format_in_the_config_is_rejected)
{
	struct iom_host_cfg hc;
	struct iom_config *c = iom_config_load_string("host:\n  strtab: 3lvl\n", "t.yaml", &F.err);
	cr_assert_not_null(c, "%s", F.err.msg);
	cr_assert_neq(iom_config_bind(c, &iom_host_prop_table, NULL, &hc, &F.err), 0);
	cr_assert(strstr(F.err.msg, "strtab") != NULL, "%s", F.err.msg);
	cr_assert(strstr(F.err.msg, "2lvl") != NULL, "%s", F.err.msg);
	iom_config_destroy(c);
}

/* ---- granules ---- */

Test(host_smmu, granule_16k_widens_maps_and_programs_tg0)
{
	F.hc.granule = IOM_HOST_GRANULE_16K;
	host_up();
	dom_attached(1, RID, -1);
	const struct iom_host_domain *d = iom_host_domain(F.host, 1);
	cr_assert_eq(iom_pt_config(d->pt)->granule_shift, 14);
	cr_assert_eq(d->pgsizes, (16 * KB) | (32 * MB));
	/* a 4 KB map becomes the whole 16 KB page around it */
	map(1, 0x101000, 0x1001000, 4 * KB, 0);
	uint64_t pa;
	cr_assert_eq(leaf_of(1, 0x103000, &pa), 16 * KB);
	cr_assert_eq(pa, 0x1003000);
	/* 64 MB at a 32 MB-aligned IOVA and PA: two 32 MB blocks */
	map(1, 0x40000000, 0x100000000, 64 * MB, 0);
	cr_assert_eq(leaf_of(1, 0x42000000, NULL), 32 * MB);
	uint64_t cd[8];
	iom_mem_read(F.mem, iom_smmu_drv_cd_pa(F.drv, RID, 0), cd, 64, NULL);
	cr_assert_eq(smmu_cd_tg0(cd), 2);
	struct iom_txn t = xlate(RID, -1, 0x102040);
	cr_assert_eq(t.status, IOM_TXN_OK);
	cr_assert_eq(t.pa, 0x1002040);
	t = xlate(RID, -1, 0x42345678);
	cr_assert_eq(t.pa, 0x102345678);
}

Test(host_smmu, granule_64k_uses_512m_blocks)
{
	F.hc.granule = IOM_HOST_GRANULE_64K;
	host_up();
	dom_attached(1, RID, -1);
	map(1, 0x40000000, 0x100000000, 1024 * MB, 0);
	cr_assert_eq(leaf_of(1, 0x60000000, NULL), 512 * MB);
	map(1, 0x10000, 0x2000000, 64 * KB, 0);
	cr_assert_eq(leaf_of(1, 0x10000, NULL), 64 * KB);
	uint64_t cd[8];
	iom_mem_read(F.mem, iom_smmu_drv_cd_pa(F.drv, RID, 0), cd, 64, NULL);
	cr_assert_eq(smmu_cd_tg0(cd), 1);
	cr_assert_eq(xlate(RID, -1, 0x6000abc0).pa, 0x12000abc0);
}

Test(host_smmu, iova_and_pa_at_different_offsets_in_the_granule_are_rejected)
{
	uint64_t done;
	F.hc.granule = IOM_HOST_GRANULE_16K;
	host_up();
	dom_attached(1, RID, -1);
	cr_assert_eq(iom_host_map(F.host, 1, 0x101000, 0x1000000, 4 * KB, RW, 0, tick(), &done,
				  &F.err), -IOM_EINVAL);
	cr_assert(strstr(F.err.msg, "offset") != NULL, "%s", F.err.msg);
}

Test(host_smmu, page_size_hint_outside_the_granule_is_ignored_and_counted)
{
	F.hc.granule = IOM_HOST_GRANULE_16K;
	host_up();
	dom_attached(1, RID, -1);
	struct iom_stats *st = iom_stats_create();
	OK(iom_host_register_stats(F.host, st, &F.err));
	map(1, 0x100000, 0x1000000, 32 * KB, 4 * KB);
	cr_assert_eq(leaf_of(1, 0x104000, NULL), 16 * KB);
	double v;
	OK(iom_stats_get(st, NULL, "host.pgsize_hints_ignored", &v));
	cr_assert_eq(v, 1);
	OK(iom_stats_get(st, NULL, "host.maps_widened", &v));
	cr_assert_eq(v, 0);
	iom_stats_destroy(st);
}

/* Unmapping 4 KB of a 16 KB page unmaps the page; strict policy with range
 * commands: one TLBI_NH_VA, TG = 16 KB (2), NUM 0 SCALE 0 (one page), TTL =
 * 4 - (14 - 3) / (14 - 3) = 3, then CMD_SYNC. */
Test(host_smmu, unmap_in_a_16k_domain_invalidates_with_tg_16k)
{
	uint64_t done;
	F.hc.granule = IOM_HOST_GRANULE_16K;
	F.hc.invalidation = IOM_HOST_INVAL_RANGE;
	host_up();
	dom_attached(1, RID, -1);
	map(1, 0x100000, 0x1000000, 16 * KB, 0);
	map(1, 0x104000, 0x1004000, 16 * KB, 0); /* keeps the level-3 table: Leaf = 1 */
	uint64_t c0 = iom_smmu_drv_stats(F.drv)->commands;
	OK(iom_host_unmap(F.host, 1, 0x101000, 4 * KB, tick(), &done, &F.err));
	cr_assert_eq(leaf_of(1, 0x100000, NULL), 0);
	cr_assert_eq(iom_smmu_drv_stats(F.drv)->commands - c0, 2);
	uint64_t c[2];
	uint32_t prod = iom_smmu_read_cmdq_prod(F.smmu);
	uint64_t slot = iom_smmu_drv_cmdq_pa(F.drv) + 16ull * ((smmu_q_idx(prod, 8) + 254) & 255);
	iom_mem_read(F.mem, slot, c, 16, NULL);
	cr_assert_eq(smmu_cmd_op(c), SMMU_CMD_TLBI_NH_VA);
	cr_assert_eq(smmu_cmd_addr(c), 0x100000);
	cr_assert_eq(smmu_cmd_tg(c), SMMU_TLBI_TG_16K);
	cr_assert_eq(smmu_cmd_ttl(c), 3);
	cr_assert_eq(smmu_cmd_num(c), 0);
	cr_assert_eq(smmu_cmd_scale(c), 0);
}

/* ---- nested ---- */

/* host.stage = nested: the STE goes abort -> nested in one hitless step
 * pair: words 1 (S1 attributes), 2 (S2VMID, VTCR) and 3 (S2TTB) first, then
 * word 0 (Config 0b111); the VM's stage 2 has VMID 1, S2T0SZ 16, S2SL0 2.
 * host.strtab is auto and the SMMU advertises 2-level tables with SIDSIZE
 * 16 > 8, so the first STE of the leaf also installs its L1STD (CFGI_STE
 * Leaf=0 + SYNC): 2 + 1 = 3 syncs. */
Test(host_smmu, nested_attach_writes_a_nested_ste_over_the_vm)
{
	F.hc.stage = IOM_HOST_STAGE_NESTED;
	F.hc.s2_page = IOM_HOST_S2_2M;
	host_up();
	dom_attached(1, RID, -1);
	const struct iom_host_domain *d = iom_host_domain(F.host, 1);
	cr_assert_not_null(d->s2);
	cr_assert_eq(d->vmid, 1);
	uint64_t ste[8];
	iom_mem_read(F.mem, iom_smmu_drv_ste_pa(F.drv, RID), ste, 64, NULL);
	cr_assert_eq(smmu_ste_config(ste), SMMU_STE_CFG_NESTED);
	cr_assert_eq(smmu_ste_s2vmid(ste), 1);
	cr_assert_eq(smmu_ste_s2t0sz(ste), 16);
	cr_assert_eq(smmu_ste_s2sl0(ste), 2);
	cr_assert_eq(smmu_ste_s2ttb(ste), iom_pt_root(d->s2));
	const struct iom_smmu_drv_update *u = iom_smmu_drv_last_update(F.drv);
	cr_assert_eq(u->qwords, 4);
	cr_assert_eq(u->syncs, 3);
	cr_assert(u->hitless);
	map(1, 0x100000, 0x80000000, 8 * KB, 0);
	struct iom_txn t = xlate(RID, -1, 0x101008);
	cr_assert_eq(t.status, IOM_TXN_OK, "fault 0x%x", t.fault);
	cr_assert_eq(t.pa, 0x80001008);
	cr_assert(iom_smmu_stats(F.smmu)->s2_walks > 0, "stage 2 was not walked");
}

/* A strict unmap must reach the nested TLB entries, which carry VMID 1: the
 * next access to the unmapped page faults instead of hitting. */
Test(host_smmu, nested_unmap_invalidates_the_vmid_tagged_entry)
{
	uint64_t done;
	F.hc.stage = IOM_HOST_STAGE_NESTED;
	host_up();
	dom_attached(1, RID, -1);
	map(1, 0x100000, 0x80000000, 8 * KB, 0);
	cr_assert_eq(xlate(RID, -1, 0x100000).pa, 0x80000000);
	cr_assert_eq(xlate(RID, -1, 0x100000).tlb_hit, 1);
	OK(iom_host_unmap(F.host, 1, 0x100000, 4 * KB, tick(), &done, &F.err));
	uint64_t c[2];
	uint32_t prod = iom_smmu_read_cmdq_prod(F.smmu);
	uint64_t slot = iom_smmu_drv_cmdq_pa(F.drv) + 16ull * ((smmu_q_idx(prod, 8) + 254) & 255);
	iom_mem_read(F.mem, slot, c, 16, NULL);
	cr_assert_eq(smmu_cmd_op(c), SMMU_CMD_TLBI_NH_VA);
	cr_assert_eq(smmu_cmd_vmid(c), 1);
	cr_assert_eq(smmu_cmd_asid(c), 1);
	struct iom_txn t = xlate(RID, -1, 0x100000);
	cr_assert_eq(t.tlb_hit, 0);
	cr_assert_eq(t.fault, SMMU_EVT_F_TRANSLATION);
	cr_assert_eq(xlate(RID, -1, 0x101000).pa, 0x80001000);
}

Test(host_smmu, nested_s2_pages_cover_the_table_pool_and_each_mapped_buffer)
{
	F.hc.stage = IOM_HOST_STAGE_NESTED;
	F.hc.s2_page = IOM_HOST_S2_1G;
	host_up();
	/* the 1 GB pool at 256 GB: one 1 GB leaf, IPA = PA */
	uint64_t pa = 0, sz = 0;
	const struct iom_host_domain *d;
	dom_attached(1, RID, -1);
	d = iom_host_domain(F.host, 1);
	cr_assert_eq(iom_pt_lookup(d->s2, F.hc.table_pool_base + 0x1234000, &pa, &sz), 0);
	cr_assert_eq(pa, F.hc.table_pool_base + 0x1234000);
	cr_assert_eq(sz, 1024 * MB);
	/* a buffer at 2 GB + 8 KB: the 1 GB page [2 GB, 3 GB) becomes reachable */
	map(1, 0x100000, 0x80002000, 4 * KB, 0);
	cr_assert_eq(iom_pt_lookup(d->s2, 0xbfffffff, &pa, &sz), 0);
	cr_assert_eq(pa, 0xbfffffff);
	cr_assert_neq(iom_pt_lookup(d->s2, 0xc0000000, &pa, &sz), 0);
}
