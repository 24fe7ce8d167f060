/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_vtd_replay.c - end-to-end replays on the default VT-d system through
 * the real `iommusim` binary: the bundled nvme-small trace with every key
 * counter derived by hand below, and the bundled nvme.trace.gz through
 * `--config traces/examples/vtd-default.yaml`.
 */
#include "../tools/tools-test.h"

#include <jansson.h>

#define BIG     IOM_SOURCE_DIR "/traces/examples/nvme.trace.gz"
#define VTD_CFG IOM_SOURCE_DIR "/traces/examples/vtd-default.yaml"

TestSuite(vtd_replay, .init = tt_setup, .fini = tt_teardown, .timeout = 120);

#define run(...) tt_runqv(__VA_ARGS__, (const char *)NULL)

#define EXPECT_STAT(d, name, v)                                                                    \
	cr_expect_eq(rstat(d, name), (long long)(v), "%s = %lld, expected %lld", name,             \
	             rstat(d, name), (long long)(v))

/* ---- nvme-small on the default VT-d system ------------------------------
 *
 * The trace is the one tests/tools/test_replay.c derives for SMMUv3: 205
 * records, 120 DMAs cut into 616 TLPs, 42 maps, 40 strict unmaps of one
 * 4 KB data page each; at most 6 pages live (SQ 0x100000, CQ 0x200000, data
 * 0xffffc000..0xfffff000).  What differs is the unit:
 *
 * Configuration: legacy mode (no SMTS), so the attach writes the root entry
 * of bus 1 and the context entry of 01:00.0 (P, TT = 00, AW = 4-level, DID
 * 1 = the host's first tag, SLPTPTR) and, the entry having been not present
 * with CM = 0, issues no invalidation.  The first translation misses the
 * context cache: root + context reads = 2 config reads; the other 615 hit.
 *
 * IOTLB (512 entries, 8 ways, 64 sets; set = page number mod 64: SQ/CQ in
 * set 0, data pages in sets 60..63): no evictions.  As on SMMUv3 each page
 * misses once after each (re)map: 42 misses, 574 hits, 42 fills; every
 * unmap's page-selective invalidation drops the one 4 KB entry its page's
 * DMA loaded: 40 invalidated (tlbi_dropped).
 *
 * Walks: 4-level second level, levels PML4 / PDPT / PD / PT = the SMMUv3
 * walk's L0..L3, and the paging-structure caches play the walk cache's
 * part, one cache per level: keys PML4E = VA >> 39, PDPTE = VA >> 30, PDE =
 * VA >> 21 (rings PDPTE 0, PDE 0 and 1; data PDPTE 3, PDE 0x7ff).  An
 * unmap that frees the data tables (15 of them, see test_replay.c) sends
 * IH = 0 and drops PML4E 0, PDPTE 3 and PDE 0x7ff (the 4 KB range lies in
 * all three spans, not in the rings' PDPTE 0 / PDE 0, 1); other unmaps IH = 1.
 *   walk 1 (SQ): all three miss, reads PML4 PDPT PD PT = 4;
 *   walk 2 (first data page): PML4E hit, PDPTE 3 and PDE 0x7ff miss: 3 reads;
 *   walk 3 (CQ): PML4E, PDPTE 0 hit, PDE 1 miss: 2 reads;
 *   14 data walks after a freeing unmap: all miss, 4 reads;
 *   25 other data walks: all hit, 1 read.
 *   reads: PML4 1 + 14 = 15, PDPT 1 + 1 + 14 = 16, PD 17, PT 42; total 90.
 *   PML4E cache: 42 lookups, misses 1 + 14 = 15, hits 27;
 *   PDPTE cache: misses 1 + 1 + 14 = 16, hits 26;
 *   PDE cache: misses 1 + 1 + 1 + 14 = 17, hits 25;
 *   dropped: 15 freeing unmaps x 3 = 45.
 *
 * Invalidation queue (128-bit descriptors): boot = context-cache global +
 * IOTLB global + wait (3); each unmap = IOTLB page-selective (AM 0: one
 * 4 KB page, far below MAMV 18) + wait.  Descriptors 3 + 2 * 40 = 83, waits
 * 41, IOTLB descriptors 41, one doorbell per submission: 41.  The unit
 * fetches the 83 descriptors and writes 41 wait status words.
 */
Test(vtd_replay, nvme_small_on_the_default_vtd_system_matches_hand_derivation)
{
	cr_assert_eq(
	    run("replay", "--quiet", "--config", VTD_CFG, "--json", tpath("s.json"), SMALL), 0);
	json_t *d = load_json(tpath("s.json"));
	EXPECT_STAT(d, "replay.records", 205);
	EXPECT_STAT(d, "replay.rejected", 0);
	EXPECT_STAT(d, "dev.01:00.0.tlps", 616);
	EXPECT_STAT(d, "dev.01:00.0.tlb_hit_tlps", 574);
	EXPECT_STAT(d, "dev.01:00.0.faulted_tlps", 0);
	EXPECT_STAT(d, "dmar0.translations", 616);
	EXPECT_STAT(d, "dmar0.tlb_hits", 574);
	EXPECT_STAT(d, "dmar0.faults", 0);
	/* configuration */
	EXPECT_STAT(d, "dmar0.cfg_reads", 2);
	EXPECT_STAT(d, "dmar0.root_reads", 1);
	EXPECT_STAT(d, "dmar0.ctx_reads", 1);
	EXPECT_STAT(d, "dmar0.context_cache.lookups", 616);
	EXPECT_STAT(d, "dmar0.context_cache.misses", 1);
	EXPECT_STAT(d, "dmar0.pasid_cache.lookups", 0);
	/* IOTLB */
	EXPECT_STAT(d, "dmar0.iotlb.lookups", 616);
	EXPECT_STAT(d, "dmar0.iotlb.hits", 574);
	EXPECT_STAT(d, "dmar0.iotlb.misses", 42);
	EXPECT_STAT(d, "dmar0.iotlb.fills", 42);
	EXPECT_STAT(d, "dmar0.iotlb.evictions", 0);
	EXPECT_STAT(d, "dmar0.iotlb.invalidated", 40);
	EXPECT_STAT(d, "dmar0.tlbi_dropped", 40);
	/* walks and paging-structure caches */
	EXPECT_STAT(d, "dmar0.walks", 42);
	EXPECT_STAT(d, "dmar0.walk_reads", 90);
	EXPECT_STAT(d, "dmar0.walk_reads_pml5", 0);
	EXPECT_STAT(d, "dmar0.walk_reads_pml4", 15);
	EXPECT_STAT(d, "dmar0.walk_reads_pdpt", 16);
	EXPECT_STAT(d, "dmar0.walk_reads_pd", 17);
	EXPECT_STAT(d, "dmar0.walk_reads_pt", 42);
	EXPECT_STAT(d, "dmar0.pml5e_cache.lookups", 0);
	EXPECT_STAT(d, "dmar0.pml4e_cache.lookups", 42);
	EXPECT_STAT(d, "dmar0.pml4e_cache.hits", 27);
	EXPECT_STAT(d, "dmar0.pml4e_cache.misses", 15);
	EXPECT_STAT(d, "dmar0.pdpte_cache.hits", 26);
	EXPECT_STAT(d, "dmar0.pdpte_cache.misses", 16);
	EXPECT_STAT(d, "dmar0.pde_cache.hits", 25);
	EXPECT_STAT(d, "dmar0.pde_cache.misses", 17);
	EXPECT_STAT(d, "dmar0.psc_dropped", 45);
	/* invalidation queue */
	EXPECT_STAT(d, "dmar0.commands", 83);
	EXPECT_STAT(d, "dmar0.syncs", 41);
	EXPECT_STAT(d, "dmar0.cmd.CC", 1);
	EXPECT_STAT(d, "dmar0.cmd.IOTLB", 41);
	EXPECT_STAT(d, "dmar0.cmd.WAIT", 41);
	EXPECT_STAT(d, "dmar0.qi_errors", 0);
	EXPECT_STAT(d, "dmar0.drv.psi", 40);
	EXPECT_STAT(d, "dmar0.drv.dsi", 0);
	EXPECT_STAT(d, "dmar0.drv.doorbells", 41);
	EXPECT_STAT(d, "dmar0.drv.ctx_writes", 1);
	EXPECT_STAT(d, "dmar0.drv.root_writes", 1);
	/* the queue's memory traffic */
	EXPECT_STAT(d, "dmar0.qi_fetch_reads", 83);
	EXPECT_STAT(d, "dmar0.status_writes", 41);
	EXPECT_STAT(d, "dmar0.drv.descriptors", 83);
	EXPECT_STAT(d, "dmar0.drv.waits", 41);
	/* host */
	EXPECT_STAT(d, "host.unmaps", 40);
	EXPECT_STAT(d, "host.invalidations", 40);
	json_decref(d);
}

Test(vtd_replay, bundled_nvme_trace_replays_on_the_vtd_config)
{
	cr_assert_eq(run("replay", "--quiet", "--config", VTD_CFG, "--json", tpath("b.json"), BIG),
	             0);
	json_t *d = load_json(tpath("b.json"));
	EXPECT_STAT(d, "replay.rejected", 0);
	EXPECT_STAT(d, "dmar0.faults", 0);
	EXPECT_STAT(d, "dmar0.qi_errors", 0);
	cr_expect_eq(rstat(d, "dmar0.translations"), rstat(d, "dev.01:00.0.tlps"));
	cr_expect_gt(rstat(d, "dmar0.walks"), 0);
	/* every unmap of the trace is one page: page-selective, never domain-wide */
	cr_expect_eq(rstat(d, "dmar0.drv.psi"), rstat(d, "host.invalidations"));
	json_decref(d);
}

Test(vtd_replay, system_iommu_vtd_selects_the_model_and_echoes_its_config)
{
	cr_assert_eq(run("replay", "--quiet", "--set", "system.iommu=vtd", "--set",
	                 "vtd.driver.superpages=false", "--json", tpath("c.json"), SMALL),
	             0);
	json_t *d = load_json(tpath("c.json"));
	json_t *cfg = json_object_get(d, "config");
	json_t *vtd = json_object_get(cfg, "vtd");
	cr_assert_not_null(vtd, "no vtd section in the resolved config");
	cr_expect_eq(json_integer_value(json_object_get(vtd, "mamv")), 18);
	cr_expect_eq(rstat(d, "dmar0.translations"), 616);
	json_decref(d);
}
