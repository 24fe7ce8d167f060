/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_dirty_replay.c - dirty tracking through the replay (sim/replay/
 * replay_dirty.c): `dirty` / `harvest` records, ground truth (missed,
 * over-reported, sneak writes), DMA racing a harvest, the per-round JSON.
 * Each test writes a small trace, builds a system from a YAML string and
 * replays it through the library (iom_system_build / iom_replay_run).
 *
 * Expected values are derived from the trace by hand (docs/dirty.md,
 * "Ground truth"): a page written before a harvest started must be in it;
 * a set bit with no write behind it is over-reported; DMA records timed
 * inside a harvest are replayed between its leaf visits.
 */
#include "tools-test.h"

#include "config.h"
#include "replay.h"
#include "stats.h"

#include <jansson.h>

TestSuite(dirty_replay, .init = tt_setup, .fini = tt_teardown, .timeout = 120);

struct run {
	json_t *doc;   /* the result document */
	json_t *dirty; /* its "dirty" section */
	int rc;
	struct iom_err err;
	struct iom_replay_result res;
};

static void run_trace(struct run *out, const char *yaml, const char *trace)
{
	const char *path = tpath("t.trace");
	spits(path, trace);
	memset(out, 0, sizeof(*out));
	struct iom_config *cfg = iom_config_load_string(yaml, "test.yaml", &out->err);
	cr_assert_not_null(cfg, "%s", out->err.msg);
	struct iom_system *sys = iom_system_build(cfg, &out->err);
	cr_assert_not_null(sys, "%s", out->err.msg);
	struct iom_replay_opts o = {.trace_path = path};
	out->rc = iom_replay_run(sys, &o, &out->res, &out->err);
	if (!out->rc) {
		out->doc = iom_replay_result_json(sys, cfg, &out->res, path);
		out->dirty = json_object_get(out->doc, "dirty");
	}
	iom_system_destroy(sys);
	iom_config_destroy(cfg);
}

static void run_free(struct run *r)
{
	json_decref(r->doc);
}

static long long num(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	cr_assert(json_is_integer(v), "no integer '%s'", k);
	return (long long)json_integer_value(v);
}

static json_t *round_(struct run *r, size_t i)
{
	json_t *a = json_object_get(r->dirty, "rounds");
	cr_assert(json_is_array(a) && json_array_size(a) > i, "no round %zu", i);
	return json_array_get(a, i);
}

#define SMMU "dirty:\n  enable: true\n"
#define SETUP                                                                                      \
	HDR "domain t=0 op=create domain=1\n"                                                      \
	    "attach t=1us dev=01:00.0 domain=1\n"                                                  \
	    "map t=2us domain=1 iova=0 size=64K pa=0x80000000 prot=rw pgsize=4K\n"                 \
	    "dirty t=3us op=on domain=1\n"

/* Writes to pages 1, 2 (a 4 KB write at 0x1800 covers pages 1 and 2) and 9;
 * a harvest reports bits 1, 2, 9 (3 bits), no misses, nothing over-reported;
 * the next harvest reports nothing.  Round figures: 3 dirty leaves, 3 clears,
 * one invalidation. */
Test(dirty_replay, exact_bits_and_round_figures)
{
	struct run r;
	run_trace(&r, SMMU,
	          SETUP "dma t=5us dev=01:00.0 iova=0x1800 size=4096 dir=w\n"
	                "dma t=6us dev=01:00.0 iova=0x9000 size=64 dir=w\n"
	                "dma t=7us dev=01:00.0 iova=0xa000 size=64 dir=r\n"
	                "harvest t=10us domain=1 iova=0 size=64K pgsize=4K\n"
	                "harvest t=50us domain=1 iova=0 size=64K pgsize=4K\n");
	cr_assert_eq(r.rc, 0, "%s", r.err.msg);
	json_t *h = round_(&r, 0);
	cr_assert_eq(num(h, "bits_set"), 3);
	cr_assert_eq(num(h, "dirty_bytes"), 3 * 4096);
	cr_assert_eq(num(h, "missed_pages"), 0);
	cr_assert_eq(num(h, "over_reported_bits"), 0);
	cr_assert_eq(num(h, "dirty_leaves"), 3);
	cr_assert_eq(num(h, "pte_clears"), 3);
	cr_assert_eq(num(h, "invalidations"), 1);
	cr_assert_eq(num(h, "errno"), 0);
	cr_assert_eq(num(round_(&r, 1), "bits_set"), 0);
	cr_assert_eq(rstat(r.doc, "dirty.harvests"), 2);
	cr_assert_eq(rstat(r.doc, "dirty.missed_pages"), 0);
	cr_assert_eq(rstat(r.doc, "dirty.marked_pages"), 3);
	cr_assert_eq(rstat(r.doc, "replay.records"), 9);
	run_free(&r);
}

/* Page 2 is written before the harvest (the TLB keeps a writable-dirty entry),
 * then every 100 ns from 10 us to 40 us -- across the whole harvest -- and
 * once at 100 us; a second harvest at 200 us.  clear_then_inval: every write
 * made before the first harvest returned is covered by its report, the
 * later ones dirty the leaf again after the invalidation: 0 missed.
 * no_inval: the write at 100 us goes through the stale dirty entry and
 * leaves the leaf clean: the second harvest misses page 2.
 * inval_then_clear: a write between the invalidation and the clear re-caches
 * the still-dirty leaf; the same loss. */
static char *race_trace(void)
{
	size_t cap = 1 << 16, n = 0;
	char *t = malloc(cap);
	n += (size_t)snprintf(t + n, cap - n, "%s",
	                      SETUP "dma t=5us dev=01:00.0 iova=0x2000 size=64 dir=w\n"
	                            "harvest t=10us domain=1 iova=0 size=64K pgsize=4K\n");
	for (unsigned i = 0; i <= 300; i++)
		n += (size_t)snprintf(t + n, cap - n,
		                      "dma t=%uns dev=01:00.0 iova=0x2000 size=64 dir=w\n",
		                      10000 + 100 * i);
	n += (size_t)snprintf(t + n, cap - n,
	                      "dma t=100us dev=01:00.0 iova=0x2000 size=64 dir=w\n"
	                      "harvest t=200us domain=1 iova=0 size=64K pgsize=4K\n");
	return t;
}

Test(dirty_replay, racing_writes_lose_data_only_with_the_bad_orders)
{
	static const char *const orders[] = {"clear_then_inval", "no_inval", "inval_then_clear"};
	char *trace = race_trace();
	for (int i = 0; i < 3; i++) {
		char yaml[128];
		snprintf(yaml, sizeof(yaml), SMMU "  order: %s\n", orders[i]);
		struct run r;
		run_trace(&r, yaml, trace);
		cr_assert_eq(r.rc, 0, "%s", r.err.msg);
		long long missed = rstat(r.doc, "dirty.missed_pages");
		if (i == 0)
			cr_assert_eq(missed, 0, "%s", orders[i]);
		else
			cr_assert_gt(missed, 0, "%s", orders[i]);
		cr_assert_eq(num(round_(&r, 1), "missed_pages"), missed,
		             "the loss shows in round 1");
		cr_assert_gt(rstat(r.doc, "dirty.interleaved_dmas"), 0, "DMA ran inside a harvest");
		cr_assert_gt(rstat(r.doc, "dirty.sneak_writes"), 0);
		cr_assert_eq(rstat(r.doc, "replay.records"), 6 + 301 + 2,
		             "every record counted once");
		cr_assert_eq(rstat(r.doc, "replay.dma_records"), 1 + 301 + 1);
		run_free(&r);
	}
	free(trace);
}

/* A 1 GB leaf at 64 GB written at 64 GB + 500 MB; the harvest of [512 MB,
 * +65 GB) with the bitmap 2048 bytes into its page has its first window end
 * at 64 GB + 448 MB (test_dirty.c derives it): v6_1 loses the leaf's bits
 * past the edge, among them the written page: 1 missed; v6_10 / v6_11
 * report all 2^18 bits of the leaf: 0 missed, 2^18 - 1 over-reported. */
Test(dirty_replay, v6_1_straddle_is_caught)
{
	static const char *const algos[] = {"v6_1", "v6_10", "v6_11"};
	static const long long missed[] = {1, 0, 0};
	for (int i = 0; i < 3; i++) {
		char yaml[160];
		snprintf(yaml, sizeof(yaml), SMMU "  algorithm: %s\n  bitmap_offset: 2048\n",
		         algos[i]);
		struct run r;
		run_trace(&r, yaml,
		          HDR "domain t=0 op=create domain=1\n"
		              "attach t=1us dev=01:00.0 domain=1\n"
		              "map t=2us domain=1 iova=512M size=512M pa=512M prot=rw pgsize=2M\n"
		              "map t=2us domain=1 iova=1G size=65G pa=1G prot=rw pgsize=1G\n"
		              "dirty t=3us op=on domain=1\n"
		              "dma t=5us dev=01:00.0 iova=0x101f400000 size=64 dir=w\n"
		              "harvest t=10us domain=1 iova=512M size=65G pgsize=4K\n");
		cr_assert_eq(r.rc, 0, "%s", r.err.msg);
		json_t *h = round_(&r, 0);
		cr_assert_eq(num(h, "missed_pages"), missed[i], "%s", algos[i]);
		if (i)
			cr_assert_eq(num(h, "over_reported_bits"), (1 << 18) - 1, "%s", algos[i]);
		else
			cr_assert_eq(num(h, "bits_lost"), (1 << 18) - 114688);
		run_free(&r);
	}
}

/* A hole in the range: iommufd returns 0 with a partial bitmap.  [0, 64K)
 * and [128K, 192K) mapped; pages 0 and 32 written; the harvest of [0, 192K)
 * stops at 64K: round 0 is partial, page 32 is missed. */
Test(dirty_replay, a_hole_gives_a_partial_round_and_a_miss)
{
	struct run r;
	run_trace(&r, SMMU,
	          SETUP "map t=4us domain=1 iova=128K size=64K pa=0x80100000 prot=rw pgsize=4K\n"
	                "dma t=5us dev=01:00.0 iova=0 size=64 dir=w\n"
	                "dma t=6us dev=01:00.0 iova=128K size=64 dir=w\n"
	                "harvest t=10us domain=1 iova=0 size=192K pgsize=4K\n");
	cr_assert_eq(r.rc, 0, "%s", r.err.msg);
	json_t *h = round_(&r, 0);
	cr_assert(json_is_true(json_object_get(h, "partial")));
	cr_assert_eq(num(h, "errno"), 0);
	cr_assert_eq(num(h, "bits_set"), 1);
	cr_assert_eq(num(h, "missed_pages"), 1);
	cr_assert_eq(rstat(r.doc, "dirty.partial_harvests"), 1);
	run_free(&r);
}

/* Refusals reject the record (and are rounds with their errno): an
 * unaligned range (EINVAL), an unknown domain (ENOENT -> no_domain). */
Test(dirty_replay, refused_harvests_are_rejected_records)
{
	struct run r;
	run_trace(&r, SMMU,
	          SETUP "harvest t=10us domain=1 iova=0x1000 size=64K pgsize=8K\n"
	                "harvest t=11us domain=7 iova=0 size=64K pgsize=4K\n"
	                "dirty t=12us op=on domain=7\n");
	cr_assert_eq(r.rc, 0, "%s", r.err.msg);
	cr_assert_eq(r.res.rejected, 3);
	cr_assert_eq(r.res.rejected_by[IOM_REJ_INVALID], 1);
	cr_assert_eq(r.res.rejected_by[IOM_REJ_NO_DOMAIN], 2);
	cr_assert_eq(num(round_(&r, 0), "errno"), 22 /* EINVAL */);
	cr_assert_eq(num(round_(&r, 1), "errno"), 2 /* ENOENT */);
	cr_assert_eq(rstat(r.doc, "dirty.harvest_errors"), 2);
	run_free(&r);
}

/* Without dirty.enable, domains are allocated without dirty tracking: the
 * dirty and harvest records are rejected (reason invalid, iommufd's
 * EOPNOTSUPP), the rest of the trace replays. */
Test(dirty_replay, records_need_dirty_enable)
{
	struct run r;
	run_trace(&r, "", SETUP "dma t=5us dev=01:00.0 iova=0x3000 size=64 dir=w\n"
				"harvest t=10us domain=1 iova=0 size=64K pgsize=4K\n");
	cr_assert_eq(r.rc, 0, "%s", r.err.msg);
	cr_assert_eq(r.res.rejected, 2); /* dirty op=on, harvest */
	cr_assert_eq(r.res.rejected_by[IOM_REJ_INVALID], 2);
	cr_assert_eq(r.res.dma_records, 1);
	cr_assert_null(r.dirty); /* no dirty section without tracking */
	run_free(&r);
}

/* NO_CLEAR reports without covering: the page stays marked and a clearing
 * harvest must (and does) report it again. */
Test(dirty_replay, noclear_rounds_do_not_cover_writes)
{
	struct run r;
	run_trace(&r, SMMU,
	          SETUP "dma t=5us dev=01:00.0 iova=0x3000 size=64 dir=w\n"
	                "harvest t=10us domain=1 iova=0 size=64K pgsize=4K flags=noclear\n"
	                "harvest t=20us domain=1 iova=0 size=64K pgsize=4K\n"
	                "harvest t=30us domain=1 iova=0 size=64K pgsize=4K\n");
	cr_assert_eq(r.rc, 0, "%s", r.err.msg);
	cr_assert_eq(num(round_(&r, 0), "bits_set"), 1);
	cr_assert(json_is_true(json_object_get(round_(&r, 0), "noclear")));
	cr_assert_eq(num(round_(&r, 1), "bits_set"), 1);
	cr_assert_eq(num(round_(&r, 1), "over_reported_bits"), 0);
	cr_assert_eq(num(round_(&r, 2), "bits_set"), 0);
	cr_assert_eq(rstat(r.doc, "dirty.missed_pages"), 0);
	run_free(&r);
}

/* A 2 MB leaf with one 4 KB page written: 512 bits, 511 over-reported. */
Test(dirty_replay, huge_leaves_over_report)
{
	struct run r;
	run_trace(&r, SMMU,
	          HDR "domain t=0 op=create domain=1\n"
	              "attach t=1us dev=01:00.0 domain=1\n"
	              "map t=2us domain=1 iova=2M size=2M pa=0x80000000 prot=rw pgsize=2M\n"
	              "dirty t=3us op=on domain=1\n"
	              "dma t=5us dev=01:00.0 iova=0x201000 size=64 dir=w\n"
	              "harvest t=10us domain=1 iova=2M size=2M pgsize=4K\n");
	cr_assert_eq(r.rc, 0, "%s", r.err.msg);
	cr_assert_eq(num(round_(&r, 0), "bits_set"), 512);
	cr_assert_eq(num(round_(&r, 0), "over_reported_bits"), 511);
	cr_assert_eq(num(round_(&r, 0), "missed_pages"), 0);
	run_free(&r);
}

/* VFIO type1: every mapped page on every query: 16 bits, 15 over-reported
 * (one page written), never a miss. */
Test(dirty_replay, type1_reports_everything)
{
	struct run r;
	run_trace(&r, SMMU "  algorithm: type1\n",
	          SETUP "dma t=5us dev=01:00.0 iova=0x3000 size=64 dir=w\n"
	                "harvest t=10us domain=1 iova=0 size=64K pgsize=4K\n"
	                "harvest t=20us domain=1 iova=0 size=64K pgsize=4K\n");
	cr_assert_eq(r.rc, 0, "%s", r.err.msg);
	cr_assert_eq(num(round_(&r, 0), "bits_set"), 16);
	cr_assert_eq(num(round_(&r, 0), "over_reported_bits"), 15);
	cr_assert_eq(num(round_(&r, 1), "bits_set"), 16);
	cr_assert_eq(num(round_(&r, 1), "over_reported_bits"), 16);
	cr_assert_eq(rstat(r.doc, "dirty.missed_pages"), 0);
	cr_assert_eq(rstat(r.doc, "dirty.pte_reads"), 0);
	run_free(&r);
}

/* Device tracker: ranges fixed at start (QEMU's two spans: below and above
 * 4 GB).  Writes inside are reported; a mapping added after the start and
 * written is not tracked: missed 1, its bytes counted untracked. */
Test(dirty_replay, device_tracker_misses_what_it_does_not_track)
{
	struct run r;
	run_trace(&r, SMMU "  tracker: device\n",
	          SETUP "map t=3us domain=1 iova=4G size=64K pa=0x90000000 prot=rw pgsize=4K\n"
	                "dirty t=4us op=on domain=1\n"
	                "map t=5us domain=1 iova=8G size=64K pa=0xa0000000 prot=rw pgsize=4K\n"
	                "dma t=6us dev=01:00.0 iova=0x5000 size=64 dir=w\n"
	                "dma t=7us dev=01:00.0 iova=0x100002000 size=64 dir=w\n"
	                "dma t=8us dev=01:00.0 iova=0x200001000 size=64 dir=w\n"
	                "harvest t=10us domain=1 iova=0 size=64K pgsize=4K\n"
	                "harvest t=11us domain=1 iova=4G size=64K pgsize=4K\n"
	                "harvest t=12us domain=1 iova=8G size=64K pgsize=4K\n");
	cr_assert_eq(r.rc, 0, "%s", r.err.msg);
	cr_assert_eq(num(round_(&r, 0), "bits_set"), 1);
	cr_assert_eq(num(round_(&r, 0), "dev_entries"), 1);
	cr_assert_eq(num(round_(&r, 1), "bits_set"), 1);
	cr_assert_eq(num(round_(&r, 2), "bits_set"), 0);
	cr_assert_eq(num(round_(&r, 2), "missed_pages"), 1);
	cr_assert_eq(rstat(r.doc, "dirty.untracked_bytes"), 64);
	cr_assert_eq(rstat(r.doc, "dirty.pte_reads"), 0, "the IOMMU's tables are not walked");
	run_free(&r);
}

/* VT-d second level (a scalable-mode unit with SLADS): the same exact bits. */
Test(dirty_replay, vtd_second_level)
{
	struct run r;
	run_trace(&r,
	          "system:\n  iommu: vtd\nvtd:\n  smts: true\n  slts: true\n  pasid: true\n"
	          "  pss: 20\n  slads: true\n" SMMU,
	          SETUP "dma t=5us dev=01:00.0 iova=0x4000 size=8K dir=w\n"
	                "harvest t=10us domain=1 iova=0 size=64K pgsize=4K\n");
	cr_assert_eq(r.rc, 0, "%s", r.err.msg);
	cr_assert_eq(num(round_(&r, 0), "bits_set"), 2);
	cr_assert_eq(num(round_(&r, 0), "missed_pages"), 0);
	cr_assert_eq(num(round_(&r, 0), "over_reported_bits"), 0);
	run_free(&r);
}

/* The same inputs give byte-identical results. */
Test(dirty_replay, deterministic)
{
	char *trace = race_trace();
	struct run a, b;
	run_trace(&a, SMMU, trace);
	run_trace(&b, SMMU, trace);
	char *ja = json_dumps(a.doc, JSON_SORT_KEYS), *jb = json_dumps(b.doc, JSON_SORT_KEYS);
	cr_assert_str_eq(ja, jb);
	free(ja);
	free(jb);
	run_free(&a);
	run_free(&b);
	free(trace);
}
