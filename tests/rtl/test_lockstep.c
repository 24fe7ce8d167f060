/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_lockstep.c - lockstep co-simulation of the C cache and the RTL
 * IOTLB (models/rtl/lockstep.c).
 *
 *  - Seeded random operation streams on several geometries and both
 *    policies: every operation compared, none differs.
 *  - Real replays (traces/examples/nvme.trace.gz with strict, range and
 *    lazy invalidation, and generated static-pool traces, uniform and Zipf)
 *    with the checker on the SMMU TLB: together well over 100,000
 *    operations (about 970,000), with evictions, invalidations by key and
 *    by TLBI scan among them, none differs.
 *  - The self-check: the same replay with a deliberately broken C model
 *    (IOM_CACHE_FAULT_VICTIM: a full set evicts the way after the right
 *    victim) is caught, at exactly the operation of the first eviction
 *    (found by a plain recording of the unbroken run), and the report names
 *    the operation and shows both set states.
 */
#include "../tools/tools-test.h"

#include <criterion/parameterized.h>

#include "cache.h"
#include "config.h"
#include "gen.h"
#include "replay.h"
#include "rtl.h"
#include "smmuv3.h"
#include "stats.h"
#include "trace.h"

#include <inttypes.h>

#define NVME IOM_SOURCE_DIR "/traces/examples/nvme.trace.gz"

TestSuite(lockstep, .init = tt_setup, .fini = tt_teardown, .timeout = 300);

/* ---- random streams ---- */

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static bool every_third(const struct iom_cache_key *k, const void *value, void *ctx)
{
	(void)value;
	(void)ctx;
	return k->addr % 3 == 0;
}

struct geom {
	uint32_t entries, ways, policy;
};

ParameterizedTestParameters(lockstep, random_streams_agree_operation_by_operation)
{
	static struct geom g[] = {
		{ 512, 8, IOM_CACHE_LRU },  /* 64 sets */
		{ 64, 4, IOM_CACHE_PLRU },  /* 16 sets */
		{ 96, 4, IOM_CACHE_LRU },   /* 24 sets: addr mod 24 */
		{ 16, 16, IOM_CACHE_PLRU }, /* fully associative */
		{ 3, 1, IOM_CACHE_LRU },    /* direct mapped, 3 sets */
	};
	return cr_make_param_array(struct geom, g, IOM_ARRAY_SIZE(g));
}

ParameterizedTest(struct geom *g, lockstep, random_streams_agree_operation_by_operation)
{
	struct iom_cache_cfg cfg = { .entries = g->entries, .ways = g->ways, .policy = g->policy,
				     .ports = 1 };
	struct iom_err e = { 0 };
	struct iom_cache *c = iom_cache_create("r", &cfg, 16, 1000, &e);
	cr_assert_not_null(c, "%s", e.msg);
	struct iom_rtl_lockstep_opts o = { .check_sets = true };
	struct iom_rtl_lockstep *l = iom_rtl_lockstep_attach(c, &o, &e);
	cr_assert_not_null(l, "%s", e.msg);
	uint64_t s = 0x9e3779b97f4a7c15ull ^ g->entries, events = 0;
	const uint64_t span = 2ull * g->entries + 3; /* addresses: sets conflict, keys recur */
	for (int i = 0; i < 20000; i++) {
		uint64_t r = rnd(&s), pick = r % 1000;
		struct iom_cache_key k = { (r >> 10) % span, (r >> 40) & 3 };
		uint64_t val[2] = { r, ~r };
		events++; /* one event per call, except invalidate_if: one per entry it drops */
		if (pick < 380)
			iom_cache_lookup(c, &k);
		else if (pick < 480)
			iom_cache_probe(c, &k);
		else if (pick < 530)
			iom_cache_peek(c, &k);
		else if (pick < 850)
			iom_cache_insert(c, &k, val, NULL, NULL);
		else if (pick < 950)
			iom_cache_invalidate(c, &k);
		else if (pick < 980)
			iom_cache_invalidate_range(c, k.tag, r >> 63 ? 3 : 1, k.addr,
						   k.addr + (r >> 20) % 16);
		else if (pick < 995)
			events += iom_cache_invalidate_if(c, every_third, NULL) - 1;
		else
			iom_cache_flush(c);
	}
	const struct iom_rtl_lockstep_result *res = iom_rtl_lockstep_verdict(l);
	cr_assert_eq(res->mismatches, 0, "%s", res->report);
	cr_assert_eq(res->ops, events);
	cr_assert_gt(iom_cache_stats(c)->evictions, 0);
	cr_assert_gt(res->by_op[IOM_CACHE_OP_DROP], 0);
	iom_cache_destroy(c);
	iom_rtl_lockstep_destroy(l);
}

/* ---- real replays ---- */

struct hook {
	struct iom_rtl_lockstep *ls; /* the checker, or NULL: record only */
	unsigned fault;
	/* recording (ls == NULL): events seen, index of the first eviction */
	uint64_t events, first_evict;
	bool evicted;
};

static void record_obs(void *ctx, const struct iom_cache *c, const struct iom_cache_event *ev)
{
	struct hook *h = ctx;
	if (ev->op == IOM_CACHE_OP_INSERT && ev->evicted && !h->evicted) {
		h->evicted = true;
		h->first_evict = h->events;
	}
	h->events++;
}

static int hook_fn(struct iom_cache *tlb, void *ctx, struct iom_err *err)
{
	struct hook *h = ctx;
	if (h->ls)
		return 0; /* one SMMU per system */
	if (h->fault == ~0u) {
		iom_cache_set_observer(tlb, record_obs, h);
		return 0;
	}
	struct iom_rtl_lockstep_opts o = { .check_sets = true };
	h->ls = iom_rtl_lockstep_attach(tlb, &o, err);
	iom_cache_set_fault(tlb, h->fault);
	return h->ls ? 0 : -err->code;
}

struct run_out {
	double evictions, invalidated, lookups;
};

static void replay(const char *trace, const char *const *sets, struct hook *h,
		   struct run_out *out)
{
	struct iom_err e = { 0 };
	struct iom_config *cfg = iom_config_create_default();
	cr_assert_not_null(cfg);
	for (size_t i = 0; sets && sets[i]; i++)
		cr_assert_eq(iom_config_set(cfg, sets[i], &e), 0, "%s: %s", sets[i], e.msg);
	iom_smmu_set_tlb_hook(hook_fn, h);
	struct iom_system *sys = iom_system_build(cfg, &e);
	iom_smmu_set_tlb_hook(NULL, NULL);
	cr_assert_not_null(sys, "%s", e.msg);
	struct iom_replay_opts o = { .trace_path = trace };
	struct iom_replay_result res;
	cr_assert_eq(iom_replay_run(sys, &o, &res, &e), 0, "%s", e.msg);
	struct iom_stats *st = iom_system_stats(sys);
	cr_assert_eq(iom_stats_get(st, NULL, "smmu0.tlb.evictions", &out->evictions), 0);
	cr_assert_eq(iom_stats_get(st, NULL, "smmu0.tlb.invalidated", &out->invalidated), 0);
	cr_assert_eq(iom_stats_get(st, NULL, "smmu0.tlb.lookups", &out->lookups), 0);
	iom_system_destroy(sys);
	iom_config_destroy(cfg);
}

static void gen_pool(const char *path, uint64_t pages, uint64_t ios, uint32_t pick)
{
	struct iom_err e = { 0 };
	struct iom_gen_nvme p;
	iom_gen_nvme_defaults(&p);
	p.pool_pages = pages;
	p.ios = ios;
	p.pick = pick;
	struct iom_trace_writer *w = iom_trace_create(path, IOM_TRACE_BINARY, 1, &e);
	cr_assert_not_null(w, "%s", e.msg);
	cr_assert_eq(iom_gen_nvme(&p, w, &e), 0, "%s", e.msg);
	cr_assert_eq(iom_trace_finish(w, &e), 0, "%s", e.msg);
}

Test(lockstep, real_replays_agree_over_more_than_100k_operations)
{
	const char *pool = tpath("pool.trace.gz"), *zipf = tpath("zipf.trace.gz");
	gen_pool(pool, 8192, 20000, IOM_GEN_PICK_UNIFORM); /* iommusim gen nvme --pool-pages
							      * 8192 --ios 20000 */
	gen_pool(zipf, 8192, 10000, IOM_GEN_PICK_ZIPF);
	static const char *const strict[] = { NULL };
	static const char *const range[] = { "host.invalidation=range", "smmu.tlb.policy=plru",
					     NULL };
	static const char *const lazy[] = { "host.invalidation=lazy", "smmu.tlb.entries=64",
					    "smmu.tlb.ways=4", NULL };
	static const char *const small_plru[] = { "smmu.tlb.entries=512", "smmu.tlb.policy=plru",
						  NULL };
	static const char *const odd_sets[] = { "smmu.tlb.entries=1536", "smmu.tlb.ways=8", NULL };
	const struct {
		const char *trace;
		const char *const *sets;
	} runs[] = {
		{ NVME, strict }, { NVME, range }, { NVME, lazy },
		{ pool, strict }, { pool, odd_sets }, { zipf, small_plru },
	};
	uint64_t ops = 0, inval_ops = 0, scan_drops = 0;
	double evictions = 0, invalidated = 0;
	for (size_t i = 0; i < IOM_ARRAY_SIZE(runs); i++) {
		struct hook h = { 0 };
		struct run_out out;
		replay(runs[i].trace, runs[i].sets, &h, &out);
		cr_assert_not_null(h.ls, "run %zu: the SMMU TLB hook was not called", i);
		const struct iom_rtl_lockstep_result *r = iom_rtl_lockstep_verdict(h.ls);
		cr_assert_eq(r->mismatches, 0, "run %zu:\n%s", i, r->report);
		cr_assert_gt(r->by_op[IOM_CACHE_OP_PROBE], 0, "run %zu", i);
		cr_assert_gt(r->by_op[IOM_CACHE_OP_INSERT], 0, "run %zu", i);
		cr_log_info("run %zu: %" PRIu64 " operations: %" PRIu64 " probes, %" PRIu64
			    " inserts, %" PRIu64 " invalidations by key, %" PRIu64
			    " by scan, %" PRIu64 " flushes",
			    i, r->ops, r->by_op[IOM_CACHE_OP_PROBE],
			    r->by_op[IOM_CACHE_OP_INSERT], r->by_op[IOM_CACHE_OP_INVALIDATE],
			    r->by_op[IOM_CACHE_OP_DROP], r->by_op[IOM_CACHE_OP_FLUSH]);
		ops += r->ops;
		inval_ops += r->by_op[IOM_CACHE_OP_INVALIDATE] + r->by_op[IOM_CACHE_OP_DROP] +
			     r->by_op[IOM_CACHE_OP_FLUSH];
		scan_drops += r->by_op[IOM_CACHE_OP_DROP];
		evictions += out.evictions;
		invalidated += out.invalidated;
		iom_rtl_lockstep_destroy(h.ls);
	}
	cr_log_info("lockstep: %" PRIu64 " operations compared (%" PRIu64 " invalidations), "
		    "%.0f evictions, %.0f entries invalidated", ops, inval_ops, evictions,
		    invalidated);
	cr_assert_geq(ops, 100000);
	cr_assert_gt(evictions, 0);
	cr_assert_gt(invalidated, 0);
	cr_assert_gt(inval_ops, 0);
	cr_assert_gt(scan_drops, 0, "the lazy run's TLBI scans (invalidate_if) must drop entries");
}

struct fault_case {
	char policy[32]; /* by value: Criterion passes parameters to another process */
};

ParameterizedTestParameters(lockstep, broken_c_model_is_caught_at_its_first_eviction)
{
	static struct fault_case f[] = { { "smmu.tlb.policy=lru" }, { "smmu.tlb.policy=plru" } };
	return cr_make_param_array(struct fault_case, f, IOM_ARRAY_SIZE(f));
}

ParameterizedTest(struct fault_case *f, lockstep, broken_c_model_is_caught_at_its_first_eviction)
{
	const char *const sets[] = { "smmu.tlb.entries=64", "smmu.tlb.ways=4", f->policy, NULL };
	const char *pool = tpath("pool.trace.gz"); /* 1024 pages through a 64-entry TLB */
	gen_pool(pool, 1024, 1000, IOM_GEN_PICK_UNIFORM);
	/* The unbroken run, recorded: where is the first eviction? */
	struct hook rec = { .fault = ~0u };
	struct run_out out;
	replay(pool, sets, &rec, &out);
	cr_assert(rec.evicted, "the run must evict");
	/* The broken model agrees with the RTL until then, and differs right there. */
	struct hook h = { .fault = IOM_CACHE_FAULT_VICTIM };
	replay(pool, sets, &h, &out);
	const struct iom_rtl_lockstep_result *r = iom_rtl_lockstep_verdict(h.ls);
	cr_assert_eq(r->mismatches, 1, "the checker stops at the first mismatch");
	cr_assert_eq(r->first_op, rec.first_evict);
	char want[96];
	snprintf(want, sizeof(want), "lockstep mismatch at operation %" PRIu64 " (insert addr ",
		 rec.first_evict);
	cr_assert(strstr(r->report, want), "report:\n%s", r->report);
	cr_assert(strstr(r->report, "the fill (way / victim) differs"), "%s", r->report);
	cr_assert(strstr(r->report, "C model: filled way") &&
			  strstr(r->report, "RTL:     filled way"),
		  "%s", r->report);
	cr_assert(strstr(r->report, "C model | RTL"), "both set states: %s", r->report);
	iom_rtl_lockstep_destroy(h.ls);
	/* And the unbroken model with the checker: no mismatch on the same run. */
	struct hook ok = { 0 };
	replay(pool, sets, &ok, &out);
	cr_assert_eq(iom_rtl_lockstep_verdict(ok.ls)->mismatches, 0, "%s",
		     iom_rtl_lockstep_verdict(ok.ls)->report);
	cr_assert_eq(iom_rtl_lockstep_verdict(ok.ls)->ops, rec.events);
	iom_rtl_lockstep_destroy(ok.ls);
}
