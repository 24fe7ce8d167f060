/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_host_inval.c - the host's IOTLB invalidation policies on unmap
 * (host.invalidation: strict, range, lazy) over the SMMUv3 driver and model:
 * exact command counts per unmap, the flush queue (full and timer flushes),
 * stale-window translations, and a replay where the flush timer fires
 * between DMA records.
 *
 * Fixture: as test_host.c -- default memory (fixed DRAM latency D = 80 ns,
 * no LLC), an SMMU with the default config (1000 MHz: P = 1 ns; RIL on,
 * no MSI: CMD_SYNC with CS=SEV, CONS polled), a driver with a 256-entry
 * stream table and a 256-entry command queue, and a host whose config each
 * test chooses. 48-bit IOVAs: 4-level tables; a 4 KB page at 0x100000 sits
 * in the L3 table of [0, 2 MB). Every operation starts 1 ms after the
 * previous one.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "host.h"
#include "log.h"
#include "mem.h"
#include "pgtable.h"
#include "replay.h"
#include "smmuv3-regs.h"
#include "smmuv3.h"
#include "smmuv3_drv.h"
#include "trace.h"

#define D 80000ull
#define P 1000ull
#define MS 1000000000ull
#define KB 1024ull
#define MB (1024ull * KB)
#define RID 0x10u
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

#define OK(x) cr_assert_eq((x), 0, "%s", F.err.msg)

static uint64_t tick(void)
{
	F.now += MS;
	return F.now;
}

static void up(uint32_t policy, bool ril)
{
	const struct iom_mem_cfg *mc = iom_mem_prop_table.defaults;
	struct iom_smmu_cfg sc;

	iom_log_enable(IOM_LOG_GUEST_ERROR, 0);
	iom_log_enable(IOM_LOG_UNIMP, 0);
	cr_assert_eq(mc->dram_latency_ps, D, "derivations assume an 80 ns DRAM");
	F.hc = *(const struct iom_host_cfg *)iom_host_prop_table.defaults;
	F.hc.invalidation = policy;
	F.mem = iom_mem_create(mc, &F.err);
	cr_assert_not_null(F.mem, "%s", F.err.msg);
	F.pa = iom_palloc_create(F.mem, F.hc.table_pool_base, F.hc.table_pool_size, &F.err);
	cr_assert_not_null(F.pa, "%s", F.err.msg);
	iom_smmu_cfg_default(&sc);
	sc.range_inval = ril;
	F.smmu = iom_smmu_create(&sc, F.mem, "smmu0", &F.err);
	cr_assert_not_null(F.smmu, "%s", F.err.msg);
	F.drv = iom_smmu_drv_create(F.smmu, F.mem, F.pa, 8, 8, 4, &F.err);
	cr_assert_not_null(F.drv, "%s", F.err.msg);
	iom_smmu_drv_as_iommu(F.drv, &F.iommu);
	F.hs = (struct iom_host_smmuv3){ .drv = F.drv, .cd_bits = F.hc.cd_table_bits };
	F.now = MS;
}

static void host_up(void)
{
	F.host = iom_host_create(&F.hc, F.mem, F.pa, &F.iommu, &iom_host_smmuv3_ops, &F.hs, &F.err);
	cr_assert_not_null(F.host, "%s", F.err.msg);
	OK(iom_host_domain_create(F.host, 1, IOM_HOST_DOM_PAGING, &F.err));
}

static void fx_init(void) { memset(&F, 0, sizeof(F)); }

static void fx_fini(void)
{
	if (!F.mem)
		return;
	iom_host_destroy(F.host);
	iom_smmu_drv_destroy(F.drv);
	iom_smmu_destroy(F.smmu);
	iom_palloc_destroy(F.pa);
	iom_mem_destroy(F.mem);
}

TestSuite(host_inval, .init = fx_init, .fini = fx_fini);

static void setup(uint32_t policy, bool ril)
{
	up(policy, ril);
	host_up();
}

static void map(uint64_t iova, uint64_t pa, uint64_t size)
{
	uint64_t done;
	OK(iom_host_map(F.host, 1, iova, pa, size, RW, 0, tick(), &done, &F.err));
}

static uint64_t unmap_at(uint64_t now, uint64_t iova, uint64_t size)
{
	uint64_t done;
	OK(iom_host_unmap(F.host, 1, iova, size, now, &done, &F.err));
	return done - now;
}

static uint64_t unmap(uint64_t iova, uint64_t size)
{
	return unmap_at(tick(), iova, size);
}

static void attach(void)
{
	uint64_t done;
	OK(iom_host_attach(F.host, RID, -1, 1, tick(), &done, &F.err));
}

static struct iom_txn dma(uint64_t iova)
{
	struct iom_txn t = { .rid = RID, .iova = iova, .size = 64, .issue_ps = tick() };
	OK(iom_iommu_translate(&F.iommu, &t, &F.err));
	return t;
}

/* Commands the SMMU executed since *snap (then *snap is updated). */
struct counts {
	uint64_t va, asid, sync, range;
};

static struct counts counts(void)
{
	const struct iom_smmu_stats *st = iom_smmu_stats(F.smmu);
	struct counts c = { st->cmd_by_op[SMMU_CMD_TLBI_NH_VA],
			    st->cmd_by_op[SMMU_CMD_TLBI_NH_ASID], st->syncs, st->range_tlbis };
	return c;
}

static void expect_delta(struct counts a, uint64_t va, uint64_t asid, uint64_t sync,
			 uint64_t range)
{
	struct counts b = counts();
	cr_expect_eq(b.va - a.va, va, "TLBI_NH_VA %llu, want %llu",
		     (unsigned long long)(b.va - a.va), (unsigned long long)va);
	cr_expect_eq(b.asid - a.asid, asid, "TLBI_NH_ASID %llu, want %llu",
		     (unsigned long long)(b.asid - a.asid), (unsigned long long)asid);
	cr_expect_eq(b.sync - a.sync, sync, "CMD_SYNC %llu, want %llu",
		     (unsigned long long)(b.sync - a.sync), (unsigned long long)sync);
	cr_expect_eq(b.range - a.range, range, "range TLBIs %llu, want %llu",
		     (unsigned long long)(b.range - a.range), (unsigned long long)range);
}

static uint64_t stat(const char *name)
{
	struct iom_stats *st = iom_stats_create();
	double v = -1;
	OK(iom_host_register_stats(F.host, st, &F.err));
	OK(iom_stats_get(st, NULL, name, &v));
	iom_stats_destroy(st);
	return (uint64_t)v;
}

/* ---- strict and range: commands per unmap ---- */

/* 40 pages at 0x100000 (1 MB-aligned, not 2 MB: all 4 KB leaves, one L3
 * table); the unmap of the first 35 leaves 5 mapped: no table is freed, so
 * every invalidation is leaf-only. */
Test(host_inval, strict_unmap_of_35_pages_is_35_tlbi_and_one_sync)
{
	setup(IOM_HOST_INVAL_STRICT, true);
	map(0x100000, 0x800000, 40 * 4 * KB);
	struct counts c = counts();
	unmap(0x100000, 35 * 4 * KB);
	expect_delta(c, 35, 0, 1, 0);
	cr_assert_eq(stat("host.invalidations"), 1);
}

Test(host_inval, range_unmap_of_35_pages_is_two_range_tlbi_and_one_sync)
{
	setup(IOM_HOST_INVAL_RANGE, true);
	map(0x100000, 0x800000, 40 * 4 * KB);
	struct counts c = counts();
	unmap(0x100000, 35 * 4 * KB);
	/* 35 = 3 (NUM 2, SCALE 0) + 32 (NUM 0, SCALE 5) */
	expect_delta(c, 2, 0, 1, 2);
	cr_assert_eq(iom_smmu_drv_stats(F.drv)->range_cmds, 2);
	/* and they dropped nothing they should not have: pages 35..39 still map */
	cr_assert_eq(iom_smmu_stats(F.smmu)->cmd_illegal, 0);
}

Test(host_inval, range_unmap_of_4_pages_is_one_tlbi)
{
	setup(IOM_HOST_INVAL_RANGE, true);
	map(0x100000, 0x800000, 8 * 4 * KB);
	struct counts c = counts();
	unmap(0x100000, 4 * 4 * KB); /* ctz 2: NUM 0 SCALE 2 */
	expect_delta(c, 1, 0, 1, 1);
}

Test(host_inval, range_policy_falls_back_to_per_page_without_ril)
{
	setup(IOM_HOST_INVAL_RANGE, false);
	map(0x100000, 0x800000, 40 * 4 * KB);
	struct counts c = counts();
	unmap(0x100000, 35 * 4 * KB);
	expect_delta(c, 35, 0, 1, 0);
	cr_assert_eq(iom_smmu_stats(F.smmu)->cmd_illegal, 0);
}

/* 2 MB + 4 KB at 0x40000000 -> pa 0x80000000: a 2 MB block then a 4 KB
 * page. Unmapping both changes the page size inside one unmap, so Linux's
 * gather syncs in between: one run per page size, each with its own SYNC. */
Test(host_inval, unmap_with_two_page_sizes_is_one_sync_per_size)
{
	setup(IOM_HOST_INVAL_STRICT, true);
	map(0x40000000, 0x80000000, 2 * MB + 4 * KB);
	struct counts c = counts();
	unmap(0x40000000, 2 * MB + 4 * KB);
	expect_delta(c, 2, 0, 2, 0); /* granule 2 MB: 1 command; granule 4 KB: 1 */
	cr_assert_eq(stat("host.invalidations"), 2);
}

Test(host_inval, range_unmap_with_two_page_sizes_is_one_range_tlbi_per_size)
{
	setup(IOM_HOST_INVAL_RANGE, true);
	map(0x40000000, 0x80000000, 2 * MB + 4 * KB);
	struct counts c = counts();
	unmap(0x40000000, 2 * MB + 4 * KB);
	/* tables are freed (Leaf 0, TTL 0): 512 pages -> SCALE 9; 1 page -> 2
	 * (NUM 0 SCALE 1) */
	expect_delta(c, 2, 0, 2, 2);
}

/* ---- lazy: the flush queue ---- */

static void lazy(uint32_t batch, uint64_t timeout_ns)
{
	up(IOM_HOST_INVAL_LAZY, true);
	F.hc.flush_batch = batch;
	F.hc.flush_timeout_ns = timeout_ns;
	host_up();
}

Test(host_inval, lazy_unmaps_issue_nothing_until_the_queue_fills)
{
	lazy(4, 100000000); /* 4 slots (3 entries), 100 ms timer */
	map(0x100000, 0x800000, 6 * 4 * KB);
	struct counts c = counts();
	uint64_t t1 = tick();
	cr_assert_eq(unmap_at(t1, 0x100000, 4 * KB), 0, "a queued unmap returns at once");
	cr_assert_eq(unmap(0x101000, 4 * KB), 0);
	cr_assert_eq(unmap(0x102000, 4 * KB), 0);
	expect_delta(c, 0, 0, 0, 0);
	cr_assert_eq(stat("host.unmaps_deferred"), 3);
	/* the 4th finds the ring full: flush (TLBI_NH_ASID + SYNC) then queue */
	uint64_t t4 = tick();
	uint64_t lat = unmap_at(t4, 0x103000, 4 * KB);
	expect_delta(c, 0, 1, 1, 0);
	cr_assert_eq(stat("host.fq_flushes_full"), 1);
	cr_assert_eq(stat("host.unmaps_deferred"), 4);
	/* 2 writes (2D), NH_ASID D + 4P + 255P (TLB 256 sets), SYNC D + 10P */
	cr_assert_eq(lat, 4 * D + 269 * P);
	/* the timer armed at t1 fires at t1 + 100 ms, not before */
	OK(iom_host_advance(F.host, t1 + 100 * MS - 1, &F.err));
	expect_delta(c, 0, 1, 1, 0);
	OK(iom_host_advance(F.host, t1 + 150 * MS, &F.err));
	expect_delta(c, 0, 2, 2, 0);
	cr_assert_eq(stat("host.fq_flushes_timer"), 1);
	/* the flush ran from its deadline */
	cr_assert_eq(iom_smmu_last_sync_ps(F.smmu), t1 + 100 * MS + 4 * D + 269 * P);
	/* disarmed: nothing more */
	OK(iom_host_advance(F.host, t1 + 1000 * MS, &F.err));
	expect_delta(c, 0, 2, 2, 0);
}

Test(host_inval, lazy_unmap_that_frees_tables_is_invalidated_at_once)
{
	lazy(256, 10000000);
	map(0x40000000, 0x80000000, 4 * KB); /* alone in its tables */
	struct counts c = counts();
	unmap(0x40000000, 4 * KB);
	expect_delta(c, 1, 0, 1, 0);
	cr_assert_eq(stat("host.unmaps_deferred"), 0);
}

Test(host_inval, lazy_stale_tlb_entry_translates_an_unmapped_iova_until_the_flush)
{
	lazy(256, 100000000);
	attach();
	map(0x100000, 0x800000, 2 * 4 * KB);
	cr_assert_eq(dma(0x100040).status, IOM_TXN_OK); /* fills the TLB */
	uint64_t t1 = tick();
	unmap_at(t1, 0x100000, 4 * KB);
	struct iom_txn t = dma(0x100080);
	cr_assert_eq(t.status, IOM_TXN_OK, "stale TLB entry still translates");
	cr_assert_eq(t.tlb_hit, 1);
	cr_assert_eq(t.pa, 0x800080);
	cr_assert_eq(stat("host.stale_translations"), 1);
	cr_assert_eq(dma(0x101000).status, IOM_TXN_OK); /* still mapped: not stale */
	cr_assert_eq(stat("host.stale_translations"), 1);
	OK(iom_host_advance(F.host, t1 + 100 * MS, &F.err));
	F.now = t1 + 100 * MS;
	t = dma(0x100080);
	cr_assert_eq(t.status, IOM_TXN_FAULT);
	cr_assert_eq(t.fault, SMMU_EVT_F_TRANSLATION);
	cr_assert_eq(stat("host.stale_translations"), 1);
}

Test(host_inval, lazy_remap_before_the_flush_is_stale_only_to_another_pa)
{
	lazy(256, 100000000);
	attach();
	map(0x100000, 0x800000, 2 * 4 * KB);
	dma(0x100000);
	unmap(0x100000, 4 * KB);
	map(0x100000, 0x800000, 4 * KB); /* same PA: the old entry is right */
	cr_assert_eq(dma(0x100000).pa, 0x800000);
	cr_assert_eq(stat("host.stale_translations"), 0);
	unmap(0x100000, 4 * KB);
	map(0x100000, 0x900000, 4 * KB); /* another PA: the TLB still says 0x800000 */
	struct iom_txn t = dma(0x100000);
	cr_assert_eq(t.pa, 0x800000);
	cr_assert_eq(stat("host.stale_translations"), 1);
}

Test(host_inval, strict_unmap_leaves_no_stale_window)
{
	setup(IOM_HOST_INVAL_STRICT, true);
	attach();
	map(0x100000, 0x800000, 2 * 4 * KB);
	dma(0x100000);
	unmap(0x100000, 4 * KB);
	cr_assert_eq(dma(0x100000).status, IOM_TXN_FAULT);
	cr_assert_eq(stat("host.stale_translations"), 0);
}

Test(host_inval, unmap_latency_strict_versus_lazy)
{
	setup(IOM_HOST_INVAL_STRICT, true);
	map(0x100000, 0x800000, 2 * 4 * KB);
	/* 2 writes, TLBI D + 4P, SYNC D + 10P */
	cr_assert_eq(unmap(0x100000, 4 * KB), 4 * D + 14 * P);
	fx_fini();
	memset(&F, 0, sizeof(F));
	lazy(256, 10000000);
	map(0x100000, 0x800000, 2 * 4 * KB);
	cr_assert_eq(unmap(0x100000, 4 * KB), 0);
}

/* ---- configuration ---- */

Test(host_inval, policy_keys_bind_and_reject_unknown_values)
{
	struct iom_host_cfg hc;
	struct iom_config *c = iom_config_load_string(
		"host:\n  invalidation: lazy\n  flush_batch: 16\n  flush_timeout_ns: 1000000\n",
		"t.yaml", &F.err);
	cr_assert_not_null(c, "%s", F.err.msg);
	OK(iom_config_bind(c, &iom_host_prop_table, NULL, &hc, &F.err));
	cr_assert_eq(hc.invalidation, IOM_HOST_INVAL_LAZY);
	cr_assert_eq(hc.flush_batch, 16);
	cr_assert_eq(hc.flush_timeout_ns, 1000000);
	iom_config_destroy(c);
	c = iom_config_load_string("host:\n  invalidation: sloppy\n", "t.yaml", &F.err);
	cr_assert_not_null(c, "%s", F.err.msg);
	cr_assert_neq(iom_config_bind(c, &iom_host_prop_table, NULL, &hc, &F.err), 0);
	cr_assert(strstr(F.err.msg, "invalidation") != NULL, "%s", F.err.msg);
	iom_config_destroy(c);
	/* defaults: Linux's IOVA_DEFAULT_FQ_SIZE and IOVA_DEFAULT_FQ_TIMEOUT */
	const struct iom_host_cfg *d = iom_host_prop_table.defaults;
	cr_assert_eq(d->invalidation, IOM_HOST_INVAL_STRICT);
	cr_assert_eq(d->flush_batch, 256);
	cr_assert_eq(d->flush_timeout_ns, 10000000);
}

/* ---- replay: the flush timer fires between DMA records ---- */

/* Trace: map two pages, DMA (TLB fill), unmap page 0 at 1 us (queued; timer
 * armed for 1 us + 10 ms), DMA to page 0 at 5 ms (stale TLB hit), DMA at
 * 20 ms (the replay ran the timer before it: the flush dropped the entry ->
 * F_TRANSLATION). */
Test(host_inval, replay_runs_the_flush_timer_between_records)
{
	char dir[] = "/tmp/iom-hinv-XXXXXX", path[64];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/l.trace", dir);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("# iommusim trace v1\n"
	      "domain t=0 op=create domain=1\n"
	      "attach t=0 dev=01:00.0 domain=1\n"
	      "map t=0 domain=1 iova=0x100000 size=8K pa=0x800000 prot=rw\n"
	      "dma t=100ns dev=01:00.0 iova=0x100000 size=64 dir=r\n"
	      "unmap t=1us domain=1 iova=0x100000 size=4K\n"
	      "dma t=5ms dev=01:00.0 iova=0x100000 size=64 dir=r\n"
	      "dma t=20ms dev=01:00.0 iova=0x100000 size=64 dir=r\n",
	      f);
	fclose(f);
	struct iom_err err = { 0 };
	struct iom_config *cfg = iom_config_load_string("host:\n  invalidation: lazy\n", "t.yaml",
							&err);
	cr_assert_not_null(cfg, "%s", err.msg);
	struct iom_system *sys = iom_system_build(cfg, &err);
	cr_assert_not_null(sys, "%s", err.msg);
	struct iom_replay_opts o = { .trace_path = path };
	struct iom_replay_result res;
	cr_assert_eq(iom_replay_run(sys, &o, &res, &err), 0, "%s", err.msg);
	double v;
	struct iom_stats *st = iom_system_stats(sys);
	cr_assert_eq(iom_stats_get(st, NULL, "host.stale_translations", &v), 0);
	cr_assert_eq(v, 1.0);
	cr_assert_eq(iom_stats_get(st, NULL, "host.fq_flushes_timer", &v), 0);
	cr_assert_eq(v, 1.0);
	cr_assert_eq(iom_stats_get(st, NULL, "smmu0.fault.F_TRANSLATION", &v), 0);
	cr_assert_eq(v, 1.0);
	cr_assert_eq(iom_stats_get(st, NULL, "smmu0.cmd.TLBI_NH_VA", &v), 0);
	cr_assert_eq(v, 0.0);
	cr_assert_eq(iom_stats_get(st, NULL, "smmu0.cmd.TLBI_NH_ASID", &v), 0);
	cr_assert_eq(v, 1.0);
	iom_system_destroy(sys);
	iom_config_destroy(cfg);
	unlink(path);
	rmdir(dir);
}
