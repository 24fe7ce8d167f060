/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_gen_migrate.c - the live-migration generator (traces/gen/gen_migrate.c,
 * `iommusim gen migrate`): record counts and round structure for small
 * parameters worked out by hand from the round model in gen_migrate.c's top
 * comment, the generator's own accounting checked against the trace it
 * wrote, determinism, and argument errors.
 */
#include "tools-test.h"

#include "gen.h"
#include "trace.h"

TestSuite(gen_migrate, .init = tt_setup, .fini = tt_teardown);

/* Everything a trace holds that the tests look at. */
struct mig_trace {
	unsigned per_kind[IOM_REC_KIND_MAX];
	uint64_t harvest_ps[16];
	unsigned nharvest;
	uint64_t dma_iova[256], dma_ps[256];
	unsigned ndma;
	/* DMAs before harvest k (index k), after the last one (index nharvest) */
	unsigned dma_before[17];
	uint64_t map_size, map_pgsize, harvest_size;
	uint64_t end_ps;
};

static void gen_file(const struct iom_gen_migrate *p, const char *path,
                     struct iom_gen_migrate_out *out)
{
	struct iom_err err = {0};
	struct iom_trace_writer *w = iom_trace_create(path, IOM_TRACE_TEXT, 0, &err);
	cr_assert_not_null(w, "%s", err.msg);
	cr_assert_eq(iom_gen_migrate(p, w, out, &err), 0, "%s", err.msg);
	cr_assert_eq(iom_trace_finish(w, &err), 0, "%s", err.msg);
}

static void read_trace(const char *path, struct mig_trace *t)
{
	memset(t, 0, sizeof(*t));
	struct iom_err err = {0};
	struct iom_trace_reader *rd = iom_trace_open(path, NULL, &err);
	cr_assert_not_null(rd, "%s", err.msg);
	struct iom_rec r;
	int k;
	while ((k = iom_trace_next(rd, &r, &err)) == 1) {
		t->per_kind[r.kind]++;
		if (r.kind == IOM_REC_HARVEST && t->nharvest < 16) {
			t->harvest_ps[t->nharvest++] = r.time_ps;
			t->harvest_size = r.size;
		} else if (r.kind == IOM_REC_DMA && t->ndma < 256) {
			cr_assert_eq(r.dir, IOM_DIR_WRITE);
			t->dma_iova[t->ndma] = r.iova;
			t->dma_ps[t->ndma++] = r.time_ps;
			t->dma_before[t->nharvest]++;
		} else if (r.kind == IOM_REC_MAP) {
			t->map_size = r.size;
			t->map_pgsize = r.pgsize;
		} else if (r.kind == IOM_REC_PHASE && r.op == IOM_OP_END) {
			t->end_ps = r.time_ps;
		}
	}
	cr_assert_eq(k, 0, "%s", err.msg);
	iom_trace_close(rd);
}

#define US 1000000ull

/* Fraction mode, 64 KiB guest (16 pages), 25 %: pages i with
 * floor((i+1)/4) > floor(i/4), i.e. 3, 7, 11, 15.  Bandwidth 4.096e9 B/s:
 * one 4 KB page per us.  Round 0 copies 16 pages: t0 = 1 us .. 17 us; each
 * harvest finds 4 pages > stop 2, so rounds 1 and 2 take 4 us each
 * (harvests at 21 and 25 us); the third harvest is the last live one
 * (max 3 rounds, not converged); the device runs 2 us more, the
 * stop-and-copy harvest is at 27 us.  Records: domain, attach, map,
 * dirty on, phase roi, 4 x (4 DMAs + harvest), phase end, dirty off = 27. */
Test(gen_migrate, fraction_rounds_worked_by_hand)
{
	struct iom_gen_migrate p;
	iom_gen_migrate_defaults(&p);
	p.guest_bytes = 64 << 10;
	p.mode = IOM_GEN_MIG_FRACTION;
	p.dirty_pct = 25;
	p.bandwidth = 4096000000ull;
	p.max_rounds = 3;
	p.stop_pages = 2;
	p.stop_ps = 2 * US;
	struct iom_gen_migrate_out o;
	gen_file(&p, tpath("f.trace"), &o);
	struct mig_trace t;
	read_trace(tpath("f.trace"), &t);
	cr_assert_eq(t.per_kind[IOM_REC_DOMAIN], 1);
	cr_assert_eq(t.per_kind[IOM_REC_ATTACH], 1);
	cr_assert_eq(t.per_kind[IOM_REC_MAP], 1);
	cr_assert_eq(t.per_kind[IOM_REC_DIRTY], 2);
	cr_assert_eq(t.per_kind[IOM_REC_PHASE], 2);
	cr_assert_eq(t.per_kind[IOM_REC_DMA], 16);
	cr_assert_eq(t.per_kind[IOM_REC_HARVEST], 4);
	cr_assert_eq(t.map_size, 64 << 10);
	cr_assert_eq(t.harvest_size, 64 << 10);
	static const uint64_t hv[4] = {17 * US, 21 * US, 25 * US, 27 * US};
	for (unsigned k = 0; k < 4; k++) {
		cr_expect_eq(t.harvest_ps[k], hv[k], "harvest %u at %llu", k + 1,
		             (unsigned long long)t.harvest_ps[k]);
		cr_expect_eq(t.dma_before[k], 4, "interval %u: %u DMAs", k, t.dma_before[k]);
		cr_expect_eq(o.units[k], 4);
		cr_expect_eq(o.harvest_ps[k], hv[k]);
	}
	cr_assert_eq(t.dma_before[4], 0, "no DMA after the stop-and-copy harvest");
	cr_assert_eq(t.end_ps, 27 * US);
	/* the set, in every interval; round 0 (1 .. 17 us) spreads it over its
	 * second half, 9 .. 17 us: 9, 11, 13, 15 us */
	for (unsigned i = 0; i < 16; i++)
		cr_expect_eq(t.dma_iova[i], (1ull << 32) + (4 * (i % 4) + 3) * 4096ull, "DMA %u",
		             i);
	static const uint64_t r0[4] = {9 * US, 11 * US, 13 * US, 15 * US};
	for (unsigned i = 0; i < 4; i++)
		cr_expect_eq(t.dma_ps[i], r0[i]);
	/* the stop interval 25 .. 27 us: over 26 .. 27 us, 26, 26.25, 26.5, 26.75 us */
	cr_expect_eq(t.dma_ps[12], 26 * US);
	cr_expect_eq(t.dma_ps[13], 26 * US + US / 4);
	cr_assert_eq(o.harvests, 4);
	cr_assert_eq(o.converged_round, 0);
	cr_assert_eq(o.dmas, 16);
	cr_assert_eq(o.stop_ps, 27 * US);
}

/* The same with a harvest taking 1 us in the generator's time base: every
 * round after a harvest is 1 us longer (17, 17 + 1 + 4 = 22, 27 us), and
 * the stop-and-copy harvest comes 1 + 2 us after the last live one (30 us). */
Test(gen_migrate, harvest_time_lengthens_each_round)
{
	struct iom_gen_migrate p;
	iom_gen_migrate_defaults(&p);
	p.guest_bytes = 64 << 10;
	p.mode = IOM_GEN_MIG_FRACTION;
	p.dirty_pct = 25;
	p.bandwidth = 4096000000ull;
	p.max_rounds = 3;
	p.stop_pages = 2;
	p.stop_ps = 2 * US;
	p.harvest_ps = 1 * US;
	struct iom_gen_migrate_out o;
	gen_file(&p, tpath("h.trace"), &o);
	static const uint64_t hv[4] = {17 * US, 22 * US, 27 * US, 30 * US};
	for (unsigned k = 0; k < 4; k++)
		cr_expect_eq(o.harvest_ps[k], hv[k], "harvest %u at %llu", k + 1,
		             (unsigned long long)o.harvest_ps[k]);
	cr_assert_eq(o.stop_ps, 30 * US);
}

/* Rate mode, 16 pages, hot set of 1 % -> max(1, 16 / 100) = 1 page taking
 * all writes: 4 KB writes at 4.096e9 B/s, one per us, from t0 + 1 us.
 * Round 0 ends at 17 us: writes at 2 .. 16 us = 15, all on one page, so
 * harvest 1 finds 1 unit <= stop 1: converged at round 1.  The device runs
 * 3 us more: writes at 17, 18, 19 us; the stop-and-copy harvest at 20 us. */
Test(gen_migrate, rate_hot_page_converges_at_round_one)
{
	struct iom_gen_migrate p;
	iom_gen_migrate_defaults(&p);
	p.guest_bytes = 64 << 10;
	p.rate = 4096000000ull;
	p.hot_pct = 1;
	p.hot_share_pct = 100;
	p.bandwidth = 4096000000ull;
	p.stop_pages = 1;
	p.stop_ps = 3 * US;
	struct iom_gen_migrate_out o;
	gen_file(&p, tpath("r.trace"), &o);
	struct mig_trace t;
	read_trace(tpath("r.trace"), &t);
	cr_assert_eq(t.per_kind[IOM_REC_HARVEST], 2);
	cr_assert_eq(t.per_kind[IOM_REC_DMA], 18);
	cr_assert_eq(t.dma_before[0], 15);
	cr_assert_eq(t.dma_before[1], 3);
	cr_assert_eq(t.harvest_ps[0], 17 * US);
	cr_assert_eq(t.harvest_ps[1], 20 * US);
	cr_assert_eq(t.dma_ps[0], 2 * US);
	cr_assert_eq(t.dma_ps[15], 17 * US, "a write at a harvest's time comes after it");
	for (unsigned i = 1; i < t.ndma; i++)
		cr_assert_eq(t.dma_iova[i], t.dma_iova[0], "all writes on the one hot page");
	cr_assert_eq(o.converged_round, 1);
	cr_assert_eq(o.units[0], 1);
	cr_assert_eq(o.units[1], 1);
}

/* The copy unit: 4 MiB guest of 2 MB pages, 1 % of 1024 pages = 10 pages
 * (99, 199, ..., 999): five in each 2 MB half, so 2 units of 2 MB.  Round 0
 * copies 4 MiB at 4 MiB/ms: 1 ms; round 1 copies 2 x 2 MiB: another 1 ms. */
Test(gen_migrate, copy_unit_counts_leaves)
{
	struct iom_gen_migrate p;
	iom_gen_migrate_defaults(&p);
	p.guest_bytes = 4 << 20;
	p.pgsize = 2 << 20;
	p.mode = IOM_GEN_MIG_FRACTION;
	p.dirty_pct = 1;
	p.copy_unit = 2 << 20;
	p.bandwidth = 4194304000ull; /* 4 MiB per ms */
	p.max_rounds = 2;
	p.stop_pages = 0;
	p.stop_ps = 0;
	struct iom_gen_migrate_out o;
	gen_file(&p, tpath("u.trace"), &o);
	struct mig_trace t;
	read_trace(tpath("u.trace"), &t);
	cr_assert_eq(t.map_pgsize, 2 << 20);
	cr_assert_eq(o.units[0], 2);
	cr_assert_eq(t.harvest_ps[0], 1 * US + 1000 * US);
	cr_assert_eq(t.harvest_ps[1], 1 * US + 2000 * US);
	cr_assert_eq(t.harvest_ps[2], 1 * US + 2000 * US, "stop_ps = 0: final harvest right away");
	cr_assert_eq(t.dma_before[0], 10);
	cr_assert_eq(t.dma_before[2], 10, "the set is written even in an empty stop interval");
	cr_assert_eq(t.dma_iova[0], (1ull << 32) + 99 * 4096ull);
	cr_assert_eq(t.dma_iova[9], (1ull << 32) + 999 * 4096ull);
}

/* The generator's count is the number of distinct units the trace's writes
 * touch between two harvests (recounted here from the trace). */
Test(gen_migrate, accounting_matches_the_trace)
{
	struct iom_gen_migrate p;
	iom_gen_migrate_defaults(&p);
	p.guest_bytes = 256 << 10; /* 64 pages */
	p.rate = 1ull << 30;       /* a write every 5.59 us */
	p.write_bytes = 6000;      /* two pages per write */
	p.max_rounds = 3;
	p.hot_pct = 25;
	p.hot_share_pct = 50;
	p.bandwidth = 1ull << 30;
	p.stop_pages = 4;
	struct iom_gen_migrate_out o;
	gen_file(&p, tpath("a.trace"), &o);
	struct mig_trace t;
	read_trace(tpath("a.trace"), &t);
	cr_assert_lt(t.ndma, 256);
	cr_assert_eq(o.harvests, t.nharvest);
	unsigned d = 0;
	for (unsigned k = 0; k < t.nharvest; k++) {
		uint64_t seen = 0; /* 64 pages: one bit each */
		for (unsigned i = 0; i < t.dma_before[k]; i++, d++) {
			uint64_t pg = (t.dma_iova[d] - (1ull << 32)) / 4096;
			seen |= 3ull << pg; /* 6000 bytes: pages pg and pg + 1 */
		}
		cr_expect_eq((uint64_t)__builtin_popcountll(seen), o.units[k], "harvest %u", k + 1);
	}
	cr_assert_gt(o.units[0], 4);
}

Test(gen_migrate, deterministic_for_a_seed)
{
	struct iom_gen_migrate p;
	iom_gen_migrate_defaults(&p);
	p.guest_bytes = 1 << 20;
	p.rate = 256ull << 20;
	gen_file(&p, tpath("a.trace"), NULL);
	gen_file(&p, tpath("b.trace"), NULL);
	p.seed = 2;
	gen_file(&p, tpath("c.trace"), NULL);
	size_t na, nb, nc;
	char *a = slurp(tpath("a.trace"), &na), *b = slurp(tpath("b.trace"), &nb);
	char *c = slurp(tpath("c.trace"), &nc);
	cr_assert(na == nb && !memcmp(a, b, na));
	cr_assert(na != nc || memcmp(a, c, na), "another seed gives another trace");
	free(a);
	free(b);
	free(c);
}

Test(gen_migrate, bad_parameters_are_rejected)
{
	struct iom_err err = {0};
	struct iom_trace_writer *w = iom_trace_create(tpath("x.trace"), IOM_TRACE_TEXT, 0, &err);
	cr_assert_not_null(w);
	struct iom_gen_migrate p;
	iom_gen_migrate_defaults(&p);
	p.pgsize = 8192;
	cr_assert_eq(iom_gen_migrate(&p, w, NULL, &err), -IOM_EINVAL);
	cr_assert(strstr(err.msg, "4K, 2M or 1G"), "%s", err.msg);
	iom_gen_migrate_defaults(&p);
	p.pgsize = 2 << 20;
	p.guest_bytes = 3 << 20;
	cr_assert_eq(iom_gen_migrate(&p, w, NULL, &err), -IOM_EINVAL);
	iom_gen_migrate_defaults(&p);
	p.mode = IOM_GEN_MIG_FRACTION;
	p.write_bytes = 8192;
	cr_assert_eq(iom_gen_migrate(&p, w, NULL, &err), -IOM_EINVAL);
	iom_gen_migrate_defaults(&p);
	p.max_rounds = 0;
	cr_assert_eq(iom_gen_migrate(&p, w, NULL, &err), -IOM_EINVAL);
	iom_gen_migrate_defaults(&p);
	p.bandwidth = 0;
	cr_assert_eq(iom_gen_migrate(&p, w, NULL, &err), -IOM_EINVAL);
	iom_trace_finish(w, &err);
}

/* The command: options reach the generator, the summary tells the rounds. */
Test(gen_migrate, cli_writes_the_trace_and_summary)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
	         IOMMUSIM " gen migrate --guest 64K --dirty-pct 25 --bandwidth 4096000000"
	                  " --rounds 3 --stop-pages 2 --stop-us 2 --summary -o %s 2>%s",
	         tpath("c.trace"), tpath("c.err"));
	cr_assert_eq(system(cmd), 0);
	struct mig_trace t;
	read_trace(tpath("c.trace"), &t);
	cr_assert_eq(t.per_kind[IOM_REC_HARVEST], 4);
	cr_assert_eq(t.harvest_ps[3], 27 * US);
	size_t n;
	char *e = slurp(tpath("c.err"), &n);
	cr_assert(strstr(e, "did not converge in 3 rounds"), "%s", e);
	free(e);
	snprintf(cmd, sizeof(cmd), IOMMUSIM " gen migrate --pgsize 3K -o %s 2>/dev/null",
	         tpath("d.trace"));
	cr_assert_neq(system(cmd), 0);
}

/* ---- the replay's migration view (sim/replay/replay_dirty.c) ---- */

/* Replay TRACE with dirty tracking on and `sets` (" --set k=v ..."); the
 * JSON result's "dirty" object. */
static json_t *replay_dirty(const char *trace, const char *sets, json_t **doc)
{
	char cmd[768];
	snprintf(cmd, sizeof(cmd),
	         IOMMUSIM " replay --quiet --set dirty.enable=true%s --json %s %s >%s 2>&1", sets,
	         tpath("r.json"), trace, tpath("r.out"));
	int rc = system(cmd);
	if (rc) {
		size_t n;
		char *o = slurp(tpath("r.out"), &n);
		cr_assert_fail("replay failed (%d): %s", rc, o);
	}
	*doc = load_json(tpath("r.json"));
	json_t *d = json_object_get(*doc, "dirty");
	cr_assert_not_null(d, "no dirty object in the result");
	return d;
}

static long long jint(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	cr_assert(json_is_integer(v), "no integer '%s'", k);
	return (long long)json_integer_value(v);
}

/* The trace of fraction_rounds_worked_by_hand scaled so that no harvest
 * races a write: 1 MiB guest (256 pages), 10 % = floor(256 * 10 / 100) = 25
 * pages (9, 19, ..., 249), link 100 MiB/s: round 0 copies 1 MiB in 10 ms,
 * rounds 1 and 2 copy 25 x 4 KiB = 100 KiB in 976.5625 us; 3 rounds, stop
 * after 2 ms.  Harvests at 10001, 10977.5625, 11954.125 and 13954.125 us,
 * each of a 1 MiB table (about 67 us: less than half of any interval, so the
 * writes, in each interval's second half, never race one).  Every harvest
 * must report exactly the 25 pages, none missed or over-reported. */
static void gen_exact(const char *path, uint64_t pgsize, uint64_t guest, uint32_t pct)
{
	struct iom_gen_migrate p;
	iom_gen_migrate_defaults(&p);
	p.guest_bytes = guest;
	p.pgsize = pgsize;
	p.mode = IOM_GEN_MIG_FRACTION;
	p.dirty_pct = pct;
	p.bandwidth = 100ull << 20;
	p.max_rounds = 3;
	p.stop_pages = 0;
	p.stop_ps = 2000 * US;
	gen_file(&p, path, NULL);
}

Test(gen_migrate, replay_reports_exact_pages_per_round)
{
	gen_exact(tpath("e.trace"), 4096, 1 << 20, 10);
	json_t *doc, *d = replay_dirty(tpath("e.trace"), " --set dirty.stop_pages=0", &doc);
	json_t *rounds = json_object_get(d, "rounds");
	cr_assert_eq(json_array_size(rounds), 4);
	static const uint64_t at_ps[4] = {10001 * US, 10977562500ull, 11954125000ull,
	                                  13954125000ull};
	static const uint64_t dt_ps[4] = {10001 * US, 976562500ull, 976562500ull, 2000 * US};
	for (size_t k = 0; k < 4; k++) {
		json_t *r = json_array_get(rounds, k);
		cr_expect_eq(jint(r, "t_ps"), (long long)at_ps[k], "harvest %zu", k + 1);
		cr_expect_eq(jint(r, "interval_ps"), (long long)dt_ps[k], "harvest %zu", k + 1);
		cr_expect_eq(jint(r, "dirty_pages"), 25, "harvest %zu", k + 1);
		cr_expect_eq(jint(r, "bits_set"), 25);
		cr_expect_eq(jint(r, "missed_pages"), 0);
		cr_expect_eq(jint(r, "over_reported_bits"), 0);
		cr_expect_eq(jint(r, "sneak_writes"), 0);
		cr_expect_eq(jint(r, "bitmap_bytes"), 32, "256 bits");
	}
	/* 25 pages in 976.5625 us = 25600 pages/s */
	json_t *r2 = json_array_get(rounds, 1);
	cr_expect_float_eq(json_real_value(json_object_get(r2, "dirty_rate_pps")), 25600.0, 1e-6);
	json_t *m = json_array_get(json_object_get(d, "migration"), 0);
	cr_assert_not_null(m);
	cr_expect_eq(jint(m, "harvests"), 4);
	cr_expect(json_is_false(json_object_get(m, "converged")), "25 pages > stop 0 every round");
	cr_expect(json_is_null(json_object_get(m, "converged_round")));
	cr_expect_eq(jint(m, "stop_copy_pages"), 25);
	cr_expect_eq(jint(m, "missed_pages"), 0);
	json_decref(doc);
}

/* Convergence is the first pre-copy harvest at or under dirty.stop_pages:
 * 25 pages meets 25 at harvest 1 (not the last), and misses 24 everywhere. */
Test(gen_migrate, replay_convergence_follows_stop_pages)
{
	gen_exact(tpath("e.trace"), 4096, 1 << 20, 10);
	json_t *doc, *d = replay_dirty(tpath("e.trace"), " --set dirty.stop_pages=25", &doc);
	json_t *m = json_array_get(json_object_get(d, "migration"), 0);
	cr_expect(json_is_true(json_object_get(m, "converged")));
	cr_expect_eq(jint(m, "converged_round"), 1);
	json_decref(doc);
	d = replay_dirty(tpath("e.trace"), " --set dirty.stop_pages=24", &doc);
	m = json_array_get(json_object_get(d, "migration"), 0);
	cr_expect(json_is_false(json_object_get(m, "converged")));
	json_decref(doc);
	size_t n;
	char *out = slurp(tpath("r.out"), &n);
	cr_expect_eq(n, 0, "--quiet prints nothing: %s", out);
	free(out);
}

/* 2 MB mappings: 4 MiB guest, 1 % of 1024 pages = 10 pages (99, ..., 999),
 * five in each 2 MB leaf, so both leaves are dirty and each harvest reports
 * 2 x 512 = 1024 pages, 1014 of them with no write behind them. */
Test(gen_migrate, replay_2m_leaves_report_whole)
{
	gen_exact(tpath("h.trace"), 2 << 20, 4 << 20, 1);
	json_t *doc, *d = replay_dirty(tpath("h.trace"), "", &doc);
	json_t *rounds = json_object_get(d, "rounds");
	cr_assert_eq(json_array_size(rounds), 4);
	for (size_t k = 0; k < 4; k++) {
		json_t *r = json_array_get(rounds, k);
		cr_expect_eq(jint(r, "dirty_pages"), 1024, "harvest %zu", k + 1);
		cr_expect_eq(jint(r, "over_reported_bits"), 1014);
		cr_expect_eq(jint(r, "missed_pages"), 0);
	}
	json_decref(doc);
}
