/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_replay.c - end-to-end replays through the real `iommusim` binary:
 * determinism of the JSON result, seed behaviour, a golden replay of
 * traces/examples/nvme-small.trace whose every key counter is derived by
 * hand below, and small hand-written traces for faults and rejections.
 * One test drives the library directly (iom_system_build/iom_replay_run)
 * to look at a translated address, which the JSON result does not hold.
 *
 * The result document is read with jansson ("stats" object: name ->
 * {"value": n} for counters, {"count", "sum", ...} for histograms).
 */
#include "tools-test.h"

#include "config.h"
#include "replay-int.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define BIG IOM_SOURCE_DIR "/traces/examples/nvme.trace.gz"

TestSuite(replay, .init = tt_setup, .fini = tt_teardown, .timeout = 120);

#define run(...) tt_runqv(__VA_ARGS__, (const char *)NULL)

/* Field `field` (count, sum, ...) of histogram `name`. */
static long long hist(json_t *doc, const char *name, const char *field)
{
	json_t *h = json_object_get(json_object_get(doc, "stats"), name);
	cr_assert_not_null(h, "no histogram '%s' in the result", name);
	json_t *v = json_object_get(h, field);
	cr_assert(json_is_integer(v), "histogram '%s' has no integer '%s'", name, field);
	return (long long)json_integer_value(v);
}

#define EXPECT_STAT(doc, name, want)                                                               \
	cr_expect_eq(rstat(doc, name), (long long)(want), "%s = %lld, derived %lld", name,          \
		     rstat(doc, name), (long long)(want))

/* ---- determinism ------------------------------------------------------------ */

Test(replay, same_trace_twice_gives_byte_identical_json)
{
	cr_assert_eq(run("replay", "--quiet", "--json", tpath("a.json"), BIG), 0);
	cr_assert_eq(run("replay", "--quiet", "--json", tpath("b.json"), BIG), 0);
	size_t na, nb;
	char *a = slurp(tpath("a.json"), &na), *b = slurp(tpath("b.json"), &nb);
	cr_assert_gt(na, 1000);
	cr_expect(na == nb && !memcmp(a, b, na), "two replays of nvme.trace.gz differ");
	free(a);
	free(b);
}

/* With half the memory accesses hitting the LLC (20 ns) and half going to
 * DRAM (80 ns) by a seeded draw, the total walk latency depends on the seed:
 * the default nvme trace has ~2000 walks of at least one 8-byte read each,
 * so two seeds giving the same sum is (practically) impossible, while the
 * same seed must reproduce every figure. */
Test(replay, seed_decides_llc_draws_and_same_seed_reproduces_them)
{
	const char *llc = "memory.llc_hit_ratio=0.5";
	cr_assert_eq(run("replay", "--quiet", "--set", llc, "--set", "system.seed=7", "--json",
			 tpath("s7a.json"), BIG), 0);
	cr_assert_eq(run("replay", "--quiet", "--set", llc, "--set", "system.seed=7", "--json",
			 tpath("s7b.json"), BIG), 0);
	cr_assert_eq(run("replay", "--quiet", "--set", llc, "--set", "system.seed=8", "--json",
			 tpath("s8.json"), BIG), 0);
	size_t na, nb;
	char *a = slurp(tpath("s7a.json"), &na), *b = slurp(tpath("s7b.json"), &nb);
	cr_expect(na == nb && !memcmp(a, b, na), "same seed, different results");
	free(a);
	free(b);
	json_t *d7 = load_json(tpath("s7a.json")), *d8 = load_json(tpath("s8.json"));
	/* same work... */
	cr_expect_eq(rstat(d7, "smmu0.walk_reads"), rstat(d8, "smmu0.walk_reads"));
	cr_expect_eq(rstat(d7, "dev.01:00.0.tlps"), rstat(d8, "dev.01:00.0.tlps"));
	/* ...different memory latency */
	long long w7 = hist(d7, "smmu0.walk_latency_ps", "sum");
	long long w8 = hist(d8, "smmu0.walk_latency_ps", "sum");
	cr_expect_neq(w7, w8, "walk latency total %lld identical for seeds 7 and 8", w7);
	cr_expect_neq(hist(d7, "dev.01:00.0.dma_latency_ps", "sum"),
		      hist(d8, "dev.01:00.0.dma_latency_ps", "sum"));
	/* and the LLC is really in play: every walk read costs 20 or 80 ns,
	 * so the mean per read lies strictly between the two */
	long long reads = rstat(d7, "smmu0.walk_reads");
	cr_expect(w7 > reads * 20000 && w7 < reads * 80000, "sum %lld for %lld reads", w7, reads);
	json_decref(d7);
	json_decref(d8);
}

/* ---- golden replay of nvme-small ----------------------------------------------
 *
 * The trace (iommusim gen nvme --ios 40, defaults otherwise): 207 lines, 2
 * of them comments -> 205 records:
 *   domain 1 (create), attach 1 (01:00.0 -> domain 1), phase 1 (roi),
 *   map 42 = SQ ring (0x100000) + CQ ring (0x200000) + 40 data buffers,
 *   unmap 40 (every data buffer), dma 120 = 40 I/Os x (SQ fetch, data, CQ post).
 *   control = domain + attach + map + unmap = 1 + 1 + 42 + 40 = 84.
 * Data DMAs: 27 with dir=w (read I/Os: the device writes memory) and 13
 * with dir=r (write I/Os), all 4 KB, at page-aligned IOVAs 0xffffc000 ..
 * 0xfffff000 (top-down allocator with LIFO reuse; never more than 4 live).
 * SQ fetches: 64 B at 0x100000 + slot*64, slot < 40 -> all in page 0x100000;
 * CQ posts: 16 B at 0x200000 + slot*16 -> all in page 0x200000.
 *
 * Bytes: 40*64 + 40*16 + 40*4096 = 2560 + 640 + 163840 = 167040.
 * TLPs (device.c: cut at 4 KB boundaries, max_payload 256 for writes,
 * max_read_req 512 for reads): SQ fetch 64 B -> 1; CQ post 16 B -> 1;
 * data write 4096/256 = 16; data read 4096/512 = 8.
 *   40 + 40 + 27*16 + 13*8 = 80 + 432 + 104 = 616 TLPs = 616 translations.
 *
 * Commands (host_smmuv3.c, smmuv3_drv.c):
 *   attach (CD first, then the STE; each a hitless update of one critical
 *   word, arm_smmu_write_entry): CD 0 goes V=0 -> V=1: words 1 (TTB0) and
 *   3 (MAIR) first (CFGI_CD + SYNC), then word 0 with V (CFGI_CD + SYNC);
 *   the STE goes abort -> stage 1: word 1 (S1DSS, S1CIR/COR/CSH) first
 *   (CFGI_STE + SYNC), then word 0 (CFGI_STE + SYNC); the stream table is
 *   2-level (host.strtab auto: IDR0.ST_LEVEL allows it and SIDSIZE 16 > 8,
 *   SPLIT 8), so before the STE the driver allocates the 256-STE leaf of
 *   SID 0x100 and installs its L1STD: CFGI_STE (Leaf=0) + SYNC; the CD
 *   table stays linear (cd_table_bits 8 <= 10)
 *     -> CFGI_STE 3, CFGI_CD 2, SYNC 5;
 *   each strict unmap of one 4 KB page: 1 TLBI_NH_VA (granule 4 KB) + SYNC
 *     -> TLBI_NH_VA 40, SYNC 40;
 *   total 3 + 2 + 40 + 45 = 90 commands, 45 syncs, 45 doorbells.
 * Config cache: all CFGIs run before any DMA, so nothing is dropped; the
 * first translation misses the STE (reading the L1STD, then the STE) and
 * the CD: 3 config reads; every other translation hits both: lookups
 * 2*616 = 1232, misses 2.
 *
 * TLB (2048 entries, 8 ways: far more than the 6 pages ever live, so no
 * evictions): one 4 KB entry per page and ASID 1. Misses = first touch of
 * each page after it was (re)mapped: SQ page 1, CQ page 1, and each of the
 * 40 data buffers once (its unmap TLBI dropped the previous entry of that
 * IOVA; every data DMA precedes the unmap of its buffer) -> 42 misses,
 * 616 - 42 = 574 hits; 42 fills; 40 entries invalidated (each TLBI finds
 * the data entry its DMA loaded).
 *
 * Walks: one per miss = 42. 48-bit IA, 4 KB granule: levels 0..3. Walk
 * cache keys are VA >> (12 + 9*(3-l)) per level l (L0: >>39, L1: >>30,
 * L2: >>21); the walk starts below the deepest cached table descriptor.
 * Tables: root L0 (never freed); L1 table T1 (0..512 GB) holds L1[0] (rings)
 * and L1[3]; T1 is never freed since the ring pages stay mapped. All data
 * pages lie in one L3 table T3 (0xffe00000..0xffffffff) under one L2 table
 * T2 (0xc0000000..0xffffffff). The builder frees an emptied table at once
 * (and then its emptied parent), so an unmap that leaves NO data page
 * mapped frees T3 and T2, and the host then sends TLBI_NH_VA with Leaf=0,
 * which drops the walk-cache entries of that VA at L0 (key 0 -- shared with
 * the rings), L1 (key 3) and L2 (key 0x7ff); any other unmap keeps Leaf=1.
 * Tracking the live data pages record by record: 15 of the 40 unmaps
 * empty the data region, at t = 18.27, 29.13, 41.67, 61.35, 70.00, 80.14,
 * 84.80, 100.45, 116.87, 132.46, 141.91, 154.49, 163.28, 172.80 and
 * 185.75 us (the last record). (The first unmap, 0xfffff000 at 8.46 us,
 * does not: 0xffffe000 was mapped at 7.90 us.)
 *   1st walk, SQ 0x100000 (t=4.84 us): cache empty (1 walk-cache miss) ->
 *     reads L0 L1 L2 L3 = 4; fills L0[0], L1[0], L2[0].
 *   2nd walk, data 0xfffff000 (t=7.86 us): L2 key 0x7ff absent, L1 key 3
 *     absent, L0 key 0 present (hit) -> reads L1 L2 L3 = 3; fills L1[3],
 *     L2[0x7ff].
 *   3rd walk, CQ 0x200000 (7.96 us): L2 key 1 absent, L1 key 0 present
 *     (hit) -> reads L2 L3 = 2; fills L2[1]. The ring pages are never
 *     walked again (their TLB entries are never invalidated).
 *   39 more data walks: the first data walk after each of the first 14
 *     freeing unmaps finds L2[0x7ff], L1[3] and L0[0] all dropped -> a
 *     walk-cache miss, reads L0 L1 L2 L3 = 4, fills L0[0], L1[3],
 *     L2[0x7ff] again (14 walks; the 15th freeing unmap is the last
 *     record). The other 39 - 14 = 25 find L2[0x7ff] (hit) -> 1 read (L3).
 *   reads: L0 1 + 14 = 15; L1 1 + 1 + 14 = 16; L2 1 + 1 + 1 + 14 = 17;
 *     L3 42; total 90 (= 4*15 + 3*1 + 2*1 + 1*25).
 *   walk cache: 42 lookups, misses 1 + 14 = 15, hits 42 - 15 = 27;
 *     fills 3 + 2 + 1 + 14*3 = 48; dropped: every freeing unmap follows
 *     at least one data walk since the previous one, so each finds all 3
 *     entries -> 15*3 = 45 (walk_cache_dropped = walk_cache.invalidated).
 *   TLB and commands are unchanged by the Leaf bit: still one TLBI_NH_VA
 *     per unmapped page (40), each dropping the one TLB entry of its page.
 * Faults: none (every DMA is to a mapped page with the right permission:
 * dir=w data DMAs go to prot=w buffers, dir=r to prot=r, rings are rw).
 * Host: 1 domain, 1 attach, 42 maps (172032 bytes = 42 pages), 40 unmaps
 * (163840 bytes), 40 invalidations.
 */
Test(replay, golden_nvme_small_counters_match_hand_derivation)
{
	cr_assert_eq(run("replay", "--quiet", "--json", tpath("small.json"), SMALL), 0);
	json_t *d = load_json(tpath("small.json"));
	/* records */
	EXPECT_STAT(d, "replay.records", 205);
	EXPECT_STAT(d, "replay.dma_records", 120);
	EXPECT_STAT(d, "replay.control_records", 84);
	EXPECT_STAT(d, "replay.rejected", 0);
	EXPECT_STAT(d, "replay.dma_bytes", 167040);
	/* device */
	EXPECT_STAT(d, "dev.01:00.0.dmas", 120);
	EXPECT_STAT(d, "dev.01:00.0.bytes", 167040);
	EXPECT_STAT(d, "dev.01:00.0.tlps", 616);
	EXPECT_STAT(d, "dev.01:00.0.tlb_hit_tlps", 574);
	EXPECT_STAT(d, "dev.01:00.0.faulted_tlps", 0);
	EXPECT_STAT(d, "dev.01:00.0.faulted_dmas", 0);
	/* translation */
	EXPECT_STAT(d, "smmu0.translations", 616);
	EXPECT_STAT(d, "smmu0.bypassed", 0);
	EXPECT_STAT(d, "smmu0.tlb_hits", 574);
	EXPECT_STAT(d, "smmu0.tlb.lookups", 616);
	EXPECT_STAT(d, "smmu0.tlb.hits", 574);
	EXPECT_STAT(d, "smmu0.tlb.misses", 42);
	EXPECT_STAT(d, "smmu0.tlb.fills", 42);
	EXPECT_STAT(d, "smmu0.tlb.evictions", 0);
	EXPECT_STAT(d, "smmu0.tlb.invalidated", 40);
	EXPECT_STAT(d, "smmu0.tlbi_dropped", 40);
	/* walks */
	EXPECT_STAT(d, "smmu0.walks", 42);
	EXPECT_STAT(d, "smmu0.walk_reads", 90);
	EXPECT_STAT(d, "smmu0.walk_reads_l0", 15);
	EXPECT_STAT(d, "smmu0.walk_reads_l1", 16);
	EXPECT_STAT(d, "smmu0.walk_reads_l2", 17);
	EXPECT_STAT(d, "smmu0.walk_reads_l3", 42);
	EXPECT_STAT(d, "smmu0.walk_cache.lookups", 42);
	EXPECT_STAT(d, "smmu0.walk_cache.hits", 27);
	EXPECT_STAT(d, "smmu0.walk_cache.misses", 15);
	EXPECT_STAT(d, "smmu0.walk_cache.fills", 48);
	EXPECT_STAT(d, "smmu0.walk_cache.invalidated", 45);
	EXPECT_STAT(d, "smmu0.walk_cache_dropped", 45);
	/* configuration */
	EXPECT_STAT(d, "smmu0.cfg_reads", 3);
	EXPECT_STAT(d, "smmu0.config_cache.lookups", 1232);
	EXPECT_STAT(d, "smmu0.config_cache.misses", 2);
	EXPECT_STAT(d, "smmu0.cfg_dropped", 0);
	/* commands */
	EXPECT_STAT(d, "smmu0.cmd.CFGI_STE", 3);
	EXPECT_STAT(d, "smmu0.cmd.CFGI_CD", 2);
	EXPECT_STAT(d, "smmu0.cmd.TLBI_NH_VA", 40);
	EXPECT_STAT(d, "smmu0.cmd.TLBI_NH_ASID", 0);
	EXPECT_STAT(d, "smmu0.cmd.SYNC", 45);
	EXPECT_STAT(d, "smmu0.commands", 90);
	EXPECT_STAT(d, "smmu0.syncs", 45);
	EXPECT_STAT(d, "smmu0.cmd_illegal", 0);
	EXPECT_STAT(d, "smmu0.drv.commands", 90);
	EXPECT_STAT(d, "smmu0.drv.syncs", 45);
	EXPECT_STAT(d, "smmu0.drv.doorbells", 45);
	EXPECT_STAT(d, "smmu0.drv.ste_writes", 1);
	EXPECT_STAT(d, "smmu0.drv.cd_writes", 1);
	/* faults */
	EXPECT_STAT(d, "smmu0.faults", 0);
	EXPECT_STAT(d, "smmu0.events_written", 0);
	/* host */
	EXPECT_STAT(d, "host.domains_created", 1);
	EXPECT_STAT(d, "host.attaches", 1);
	EXPECT_STAT(d, "host.maps", 42);
	EXPECT_STAT(d, "host.map_bytes", 42 * 4096);
	EXPECT_STAT(d, "host.unmaps", 40);
	EXPECT_STAT(d, "host.unmap_bytes", 40 * 4096);
	EXPECT_STAT(d, "host.invalidations", 40);
	cr_expect_eq(hist(d, "host.unmap_latency", "count"), 40);
	json_decref(d);
}

/* ---- hand-written traces ---------------------------------------------------- */

/* A DMA to an IOVA nothing maps: the walk finds an invalid descriptor ->
 * F_TRANSLATION (CD.R = 1 as Linux sets it, so recorded in the event queue).
 * 64 bytes at 0x5000 is one TLP -> exactly one fault, and the DMA is the one
 * faulted DMA. A map over the existing mapping is refused as the kernel
 * would (-EEXIST) -> rejected.exists = 1, and the replay still succeeds. */
Test(replay, unmapped_dma_faults_once_and_map_over_mapping_is_rejected)
{
	spits(tpath("fault.trace"),
	      HDR "domain t=0 op=create domain=1\n"
		  "attach t=0 dev=01:00.0 domain=1\n"
		  "map t=1 domain=1 iova=0x1000 size=4K pa=0x100000 prot=rw\n"
		  "dma t=2 dev=01:00.0 iova=0x1000 size=64 dir=r\n"
		  "dma t=3 dev=01:00.0 iova=0x5000 size=64 dir=w\n"
		  "map t=4 domain=1 iova=0x1000 size=4K pa=0x200000 prot=rw\n");
	cr_assert_eq(run("replay", "--quiet", "--json", tpath("fault.json"), tpath("fault.trace")),
		     0);
	json_t *d = load_json(tpath("fault.json"));
	EXPECT_STAT(d, "smmu0.fault.F_TRANSLATION", 1);
	EXPECT_STAT(d, "smmu0.faults", 1);
	EXPECT_STAT(d, "smmu0.events_written", 1);
	EXPECT_STAT(d, "dev.01:00.0.dmas", 2);
	EXPECT_STAT(d, "dev.01:00.0.faulted_tlps", 1);
	EXPECT_STAT(d, "dev.01:00.0.faulted_dmas", 1);
	EXPECT_STAT(d, "replay.rejected", 1);
	EXPECT_STAT(d, "replay.rejected.exists", 1);
	EXPECT_STAT(d, "host.maps", 1);
	json_decref(d);
}

/* Replays `text` on the default system through the library, then translates
 * one 64-byte read from 01:00.0 at iova; returns the outcome in *t. */
static void replay_then_translate(const char *text, uint64_t iova, struct iom_txn *t)
{
	spits(tpath("lib.trace"), text);
	struct iom_err err = {0};
	struct iom_config *cfg = iom_config_create_default();
	cr_assert_not_null(cfg);
	struct iom_system *sys = iom_system_build(cfg, &err);
	cr_assert_not_null(sys, "%s", err.msg);
	struct iom_replay_opts o = {.trace_path = tpath("lib.trace")};
	struct iom_replay_result res;
	cr_assert_eq(iom_replay_run(sys, &o, &res, &err), 0, "%s", err.msg);
	*t = (struct iom_txn){.rid = 0x100, .iova = iova, .size = 64, .issue_ps = res.end_ps + 1000000};
	cr_assert_eq(iom_iommu_translate(&sys->iommu, t, &err), 0, "%s", err.msg);
	iom_system_destroy(sys);
	iom_config_destroy(cfg);
}

/* Regression test for a stale walk-cache pointer into a freed table.
 * The builder frees a table as soon as an unmap empties it (Linux
 * io-pgtable-arm frees tables only when one unmap covers a whole table),
 * so the host must then invalidate non-leaf (TLBI_NH_VA with Leaf=0, as
 * io_pgtable_tlb_flush_walk does), or the walk cache keeps pointing at the
 * freed table. Here:
 *   map 0x100000 (keeps the L1 table alive), map 0xfffff000 -> tables
 *   L2 (T2) and L3 (T3) for 0xfffff000; a DMA caches L1[3] -> T2 and
 *   L2[0x7ff] -> T3 in the walk cache; unmap 0xfffff000 empties and frees
 *   T3 and T2 (so the TLBI must be Leaf=0); map 0x401ff000 (its new tables
 *   reuse the freed pages, lowest address first) then 0xfffff000 again.
 * The translation of 0xfffff000 afterwards must give the PA of its newest
 * mapping, 0x2000000, and never the PA of 0x401ff000 (0x3000000), which
 * would mean the walk used a stale walk-cache pointer into a table that
 * was freed and reused. */
Test(replay, remapped_page_translates_to_its_new_pa_after_table_reuse)
{
	struct iom_txn t;
	replay_then_translate(HDR "domain t=0 op=create domain=1\n"
				  "attach t=0 dev=01:00.0 domain=1\n"
				  "map t=1 domain=1 iova=0x100000 size=4K pa=0x1000000 prot=rw\n"
				  "map t=2 domain=1 iova=0xfffff000 size=4K pa=0x2000000 prot=rw\n"
				  "dma t=3 dev=01:00.0 iova=0xfffff000 size=64 dir=r\n"
				  "unmap t=4 domain=1 iova=0xfffff000 size=4K\n"
				  "map t=5 domain=1 iova=0x401ff000 size=4K pa=0x3000000 prot=rw\n"
				  "map t=6 domain=1 iova=0xfffff000 size=4K pa=0x2000000 prot=rw\n",
			      0xfffff000, &t);
	cr_expect_eq(t.status, IOM_TXN_OK, "status %d fault %u", t.status, t.fault);
	cr_expect_eq(t.pa, 0x2000000, "0xfffff000 translated to 0x%llx (0x3000000 = the page of "
		     "0x401ff000 through a stale walk-cache entry)", (unsigned long long)t.pa);
}
