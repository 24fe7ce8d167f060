/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_sweep.c - the sweep library (sim/sweep/sweep.h) through its API:
 * expansion order and the CSV contract (docs/sweeps.md), resume and re-run
 * by key, split runs merged, and every kind of bad input.
 *
 * Expected values come from the sweep files written here: the axis values
 * and their order follow from the expansion rule (trace, seed, then the axes
 * with the last fastest); the one stat checked by value, replay.records over
 * the whole run (region: all), is the number of record lines of the trace,
 * counted by the test.  The counts (run, done before) come from the resume
 * rule: a point re-runs exactly when its resolved configuration or its
 * trace's bytes change.
 */
#include "sweep-test.h"

#include "config.h"
#include "replay.h"
#include "sweep.h"

#include <jansson.h>
#include <unistd.h>

TestSuite(sweep, .init = tt_setup, .fini = tt_teardown, .timeout = 120);

/* A 2x3 grid: smmu.tlb.entries {64, 128} x smmu.walk_cache.entries 0..64 step 32. */
static const char grid_fmt[] =
    "name: grid\n"
    "traces: [%s]\n"
    "%s"
    "axes:\n"
    "  - {key: smmu.tlb.entries, values: [64, 128]}\n"
    "  - {key: smmu.walk_cache.entries, %s}\n"
    "region: all\n"
    "stats: [replay.records, smmu0.tlb.hit_rate, smmu0.hit_latency_ps.mean]\n";

static const char *grid_file(const char *set, const char *wc_axis)
{
	return st_write("grid.yaml", grid_fmt, SMALL, set, wc_axis);
}

static struct iom_sweep *load_ok(const char *path)
{
	struct iom_err err = {0};
	struct iom_sweep *sw = iom_sweep_load(path, NULL, &err);
	cr_assert_not_null(sw, "load %s: %s", path, err.msg);
	return sw;
}

/* Runs the sweep file into tmpdir/out with `jobs` workers; returns the counts. */
static struct iom_sweep_counts run_into(const char *path, const char *out, unsigned jobs)
{
	struct iom_sweep *sw = load_ok(path);
	struct iom_sweep_opts o = {.out_dir = out, .jobs = jobs};
	struct iom_sweep_counts c;
	struct iom_err err = {0};
	cr_assert_eq(iom_sweep_run(sw, &o, &c, &err), 0, "run: %s", err.msg);
	iom_sweep_destroy(sw);
	return c;
}

static const char *csv_of(const char *out)
{
	static char buf[4][512];
	static int k;
	char *p = buf[k++ & 3];
	snprintf(p, 512, "%s/results.csv", out);
	return p;
}

Test(sweep, grid_2x3_yields_six_rows_with_axis_values_in_expansion_order)
{
	const char *out = tpath("out");
	struct iom_sweep_counts c =
	    run_into(grid_file("", "range: {from: 0, to: 64, step: 32}"), out, 2);
	cr_expect_eq(c.points, 6);
	cr_expect_eq(c.ran, 6);
	cr_expect_eq(c.done_before, 0);
	cr_expect_eq(c.ok, 6);
	cr_expect_eq(c.failed, 0);
	cr_expect_eq(c.worst_exit, 0);

	size_t n;
	char **l = st_lines(csv_of(out), &n);
	cr_assert_eq(n, 7, "header + 6 rows, got %zu lines", n);
	cr_expect_str_eq(l[0],
			 "point,status,key,trace,seed,smmu.tlb.entries,smmu.walk_cache.entries,"
			 "replay.records,smmu0.tlb.hit_rate,smmu0.hit_latency_ps.mean");
	/* last axis fastest */
	static const char *const tlb[] = {"64", "64", "64", "128", "128", "128"};
	static const char *const wc[] = {"0", "32", "64", "0", "32", "64"};
	char recs[16], idx[8];
	snprintf(recs, sizeof(recs), "%u", st_trace_records(SMALL));
	for (size_t i = 0; i < 6; i++) {
		snprintf(idx, sizeof(idx), "%zu", i);
		st_expect_cell(l, n, i + 1, 0, idx);
		st_expect_cell(l, n, i + 1, 1, "ok");
		st_expect_cell(l, n, i + 1, 3, SMALL);
		st_expect_cell(l, n, i + 1, 4, "1"); /* the default system.seed */
		st_expect_cell(l, n, i + 1, 5, tlb[i]);
		st_expect_cell(l, n, i + 1, 6, wc[i]);
		st_expect_cell(l, n, i + 1, 7, recs);
		char *key = st_cell(l, n, i + 1, 2);
		cr_expect_eq(strlen(key), 32, "key '%s' is not 32 hex digits", key);
		cr_expect_eq(strspn(key, "0123456789abcdef"), 32, "key '%s'", key);
		char path[512];
		snprintf(path, sizeof(path), "%s/points/%s.json", out, key);
		cr_expect(access(path, F_OK) == 0, "no %s", path);
		free(key);
	}
	st_free_lines(l, n);
}

Test(sweep, resume_runs_no_finished_point_and_counts_them)
{
	const char *out = tpath("out");
	const char *f = grid_file("", "range: {from: 0, to: 64, step: 32}");
	struct iom_sweep_counts c1 = run_into(f, out, 2);
	cr_expect_eq(c1.ran, 6);
	size_t len;
	char *csv1 = slurp(csv_of(out), &len);
	struct iom_sweep_counts c2 = run_into(f, out, 2);
	cr_expect_eq(c2.ran, 0);
	cr_expect_eq(c2.done_before, 6);
	cr_expect_eq(c2.ok, 6);
	char *csv2 = slurp(csv_of(out), &len);
	cr_expect_str_eq(csv2, csv1, "the resumed CSV differs");
	free(csv1);
	free(csv2);
}

Test(sweep, changed_axis_value_reruns_only_the_points_that_use_it)
{
	const char *out = tpath("out");
	run_into(grid_file("", "values: [0, 32, 64]"), out, 2);
	/* 64 -> 96: the two points with walk_cache.entries 96 are new */
	struct iom_sweep_counts c = run_into(grid_file("", "values: [0, 32, 96]"), out, 2);
	cr_expect_eq(c.ran, 2);
	cr_expect_eq(c.done_before, 4);
	cr_expect_eq(c.ok, 6);
	size_t n;
	char **l = st_lines(csv_of(out), &n);
	st_expect_cell(l, n, 3, 6, "96");
	st_expect_cell(l, n, 6, 6, "96");
	st_free_lines(l, n);
}

Test(sweep, changed_set_value_reruns_every_point_and_a_default_set_reruns_none)
{
	const char *out = tpath("out");
	const char *axis = "values: [0, 32, 64]";
	run_into(grid_file("", axis), out, 2);
	/* a set that only writes the default: the resolved configs are unchanged */
	size_t nt;
	const struct iom_prop_table *const *t = iom_system_prop_tables(&nt);
	const struct iom_prop *lat = NULL;
	const struct iom_prop_table *tlb = NULL;
	for (size_t i = 0; i < nt; i++)
		if (!strcmp(t[i]->section, "smmu.tlb"))
			tlb = t[i];
	cr_assert_not_null(tlb);
	for (size_t i = 0; i < tlb->nprops; i++)
		if (!strcmp(tlb->props[i].name, "latency_cycles"))
			lat = &tlb->props[i];
	cr_assert_not_null(lat);
	cr_assert_eq(lat->type, IOM_PROP_U32);
	uint32_t dflt;
	memcpy(&dflt, (const char *)tlb->defaults + lat->offset, sizeof(dflt));
	char set[128];
	snprintf(set, sizeof(set), "set: {smmu.tlb.latency_cycles: %u}\n", dflt);
	struct iom_sweep_counts c = run_into(grid_file(set, axis), out, 2);
	cr_expect_eq(c.ran, 0, "writing the default re-ran %zu points", c.ran);
	cr_expect_eq(c.done_before, 6);
	/* a real change: every point's configuration differs */
	snprintf(set, sizeof(set), "set: {smmu.tlb.latency_cycles: %u}\n", dflt + 1);
	c = run_into(grid_file(set, axis), out, 2);
	cr_expect_eq(c.ran, 6);
	cr_expect_eq(c.done_before, 0);
}

Test(sweep, changed_trace_bytes_rerun_every_point_of_that_trace)
{
	size_t len;
	char *data = slurp(SMALL, &len);
	spit(tpath("t.trace"), data, len);
	const char *f = st_write("t.yaml", "traces: [t.trace]\n"
					   "axes: [{key: smmu.tlb.entries, values: [64, 128]}]\n"
					   "stats: [smmu0.walks]\n");
	const char *out = tpath("out");
	cr_expect_eq(run_into(f, out, 2).ran, 2);
	cr_expect_eq(run_into(f, out, 2).ran, 0);
	/* same path, one more comment line: other bytes, so other keys */
	char *more = malloc(len + 16);
	memcpy(more, data, len);
	memcpy(more + len, "# changed\n", 10);
	spit(tpath("t.trace"), more, len + 10);
	struct iom_sweep_counts c = run_into(f, out, 2);
	cr_expect_eq(c.ran, 2);
	cr_expect_eq(c.done_before, 0);
	free(more);
	free(data);
}

Test(sweep, same_result_whatever_the_number_of_workers)
{
	const char *f = grid_file("", "values: [0, 32, 64]");
	run_into(f, tpath("a"), 1);
	run_into(f, tpath("b"), 4);
	cr_expect(st_same_file(csv_of(tpath("a")), csv_of(tpath("b"))), "CSV depends on --jobs");
	cr_expect(st_same_file(tpath("a/results.columns.json"), tpath("b/results.columns.json")));
}

Test(sweep, traces_outermost_then_seeds_and_identical_traces_share_keys)
{
	/* a byte-identical copy of the trace: same KEYs, so its points are not run again */
	size_t len;
	char *data = slurp(SMALL, &len);
	spit(tpath("copy.trace"), data, len);
	free(data);
	const char *f = st_write("ts.yaml",
				 "traces: [%s, copy.trace]\n"
				 "seeds: [7, 9]\n"
				 "axes: [{key: smmu.tlb.entries, values: [64, 128]}]\n"
				 "stats: [smmu0.walks]\n",
				 SMALL);
	const char *out = tpath("out");
	struct iom_sweep_counts c = run_into(f, out, 2);
	cr_expect_eq(c.points, 8);
	cr_expect_eq(c.ran, 4);
	cr_expect_eq(c.same_key, 4);
	cr_expect_eq(c.ok, 8);
	size_t n;
	char **l = st_lines(csv_of(out), &n);
	cr_assert_eq(n, 9);
	static const char *const seed[] = {"7", "7", "9", "9", "7", "7", "9", "9"};
	static const char *const tlb[] = {"64", "128", "64", "128", "64", "128", "64", "128"};
	for (size_t i = 0; i < 8; i++) {
		st_expect_cell(l, n, i + 1, 3, i < 4 ? SMALL : "copy.trace");
		st_expect_cell(l, n, i + 1, 4, seed[i]);
		st_expect_cell(l, n, i + 1, 5, tlb[i]);
		st_expect_cell(l, n, i + 1, 1, "ok");
	}
	/* the copy's rows repeat the first trace's keys */
	for (size_t i = 1; i <= 4; i++) {
		char *a = st_cell(l, n, i, 2), *b = st_cell(l, n, i + 4, 2);
		cr_expect_str_eq(a, b);
		free(a);
		free(b);
	}
	st_free_lines(l, n);
}

Test(sweep, zip_pairs_values_and_ranges_expand_as_written)
{
	const char *f =
	    st_write("zip.yaml",
		     "traces: %s\n"
		     "combine: zip\n"
		     "axes:\n"
		     "  - {key: smmu.tlb.entries, log: {from: 16, to: 4096, factor: 4}}\n"
		     "  - {key: memory.llc_hit_ratio, range: {from: 0.1, to: 0.9, step: 0.2}}\n"
		     "stats: [smmu0.walks]\n",
		     SMALL);
	const char *out = tpath("out");
	struct iom_sweep_counts c = run_into(f, out, 2);
	cr_expect_eq(c.points, 5);
	size_t n;
	char **l = st_lines(csv_of(out), &n);
	cr_assert_eq(n, 6);
	/* 16 * 4^k up to 4096; 0.1 + 0.2k up to 0.9, printed with %.10g */
	static const char *const e[] = {"16", "64", "256", "1024", "4096"};
	static const char *const r[] = {"0.1", "0.3", "0.5", "0.7", "0.9"};
	for (size_t i = 0; i < 5; i++) {
		st_expect_cell(l, n, i + 1, 5, e[i]);
		st_expect_cell(l, n, i + 1, 6, r[i]);
	}
	st_free_lines(l, n);
}

Test(sweep, columns_json_describes_every_column_in_csv_order)
{
	const char *out = tpath("out");
	run_into(grid_file("", "values: [0]"), out, 1);
	json_error_t je;
	json_t *doc = json_load_file(tpath("out/results.columns.json"), 0, &je);
	cr_assert_not_null(doc, "%s", je.text);
	cr_expect_str_eq(json_string_value(json_object_get(doc, "schema")),
			 "iommusim-sweep-columns");
	cr_expect_eq(json_integer_value(json_object_get(doc, "schema_version")), 1);
	cr_expect_str_eq(json_string_value(json_object_get(doc, "sweep")), "grid");
	json_t *cols = json_object_get(doc, "columns");
	static const char *const names[] = {"point",
					    "status",
					    "key",
					    "trace",
					    "seed",
					    "smmu.tlb.entries",
					    "smmu.walk_cache.entries",
					    "replay.records",
					    "smmu0.tlb.hit_rate",
					    "smmu0.hit_latency_ps.mean"};
	static const char *const kinds[] = {"meta", "meta", "meta", "meta", "meta",
					    "axis", "axis", "stat", "stat", "stat"};
	cr_assert_eq(json_array_size(cols), 10);
	for (size_t i = 0; i < 10; i++) {
		json_t *col = json_array_get(cols, i);
		cr_expect_str_eq(json_string_value(json_object_get(col, "name")), names[i]);
		cr_expect_str_eq(json_string_value(json_object_get(col, "kind")), kinds[i]);
	}
	/* units: the axis from its property, the histogram field from its registry entry */
	size_t nt;
	const struct iom_prop_table *const *t = iom_system_prop_tables(&nt);
	const char *unit = NULL;
	for (size_t i = 0; i < nt; i++)
		if (!strcmp(t[i]->section, "smmu.tlb"))
			for (size_t j = 0; j < t[i]->nprops; j++)
				if (!strcmp(t[i]->props[j].name, "entries"))
					unit = t[i]->props[j].unit;
	cr_assert_not_null(unit);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(cols, 5), "unit")), unit);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(cols, 9), "unit")), "ps");
	json_decref(doc);
}

/* ---- split runs and merge ------------------------------------------------ */

static void run_points(const char *path, const char *out, size_t from, size_t to)
{
	struct iom_sweep *sw = load_ok(path);
	struct iom_sweep_opts o = {.out_dir = out};
	for (size_t i = from; i <= to; i++) {
		struct iom_sweep_counts c;
		struct iom_err err = {0};
		cr_assert_eq(iom_sweep_run_point(sw, i, &o, &c, &err), 0, "point %zu: %s", i,
			     err.msg);
		cr_expect_eq(c.ran, 1);
		cr_expect_eq(c.ok, 1);
	}
	iom_sweep_destroy(sw);
}

static struct iom_sweep_counts merge_into(const char *path, const char *out,
					  const char *const *from, size_t nfrom)
{
	struct iom_sweep *sw = load_ok(path);
	struct iom_sweep_opts o = {.out_dir = out};
	struct iom_sweep_counts c;
	struct iom_err err = {0};
	cr_assert_eq(iom_sweep_merge(sw, &o, from, nfrom, &c, &err), 0, "merge: %s", err.msg);
	iom_sweep_destroy(sw);
	return c;
}

Test(sweep, merge_of_split_point_runs_equals_the_single_run_csv)
{
	const char *f = grid_file("", "values: [0, 32, 64]");
	char single[256], a[256], b[256], m[256];
	snprintf(single, sizeof(single), "%s", tpath("single"));
	snprintf(a, sizeof(a), "%s", tpath("A"));
	snprintf(b, sizeof(b), "%s", tpath("B"));
	snprintf(m, sizeof(m), "%s", tpath("C"));
	run_into(f, single, 2);
	run_points(f, a, 0, 2);
	run_points(f, b, 3, 5);
	const char *from[] = {a, b};
	struct iom_sweep_counts c = merge_into(f, m, from, 2);
	cr_expect_eq(c.copied, 6);
	cr_expect_eq(c.ok, 6);
	cr_expect_eq(c.missing, 0);
	cr_expect_eq(c.worst_exit, 0);
	cr_expect(st_same_file(csv_of(single), csv_of(m)),
		  "merged CSV differs from the single run");
	char cs[300], cm[300];
	snprintf(cs, sizeof(cs), "%s/results.columns.json", single);
	snprintf(cm, sizeof(cm), "%s/results.columns.json", m);
	cr_expect(st_same_file(cs, cm));
}

Test(sweep, merge_lists_points_found_nowhere_as_missing)
{
	const char *f = grid_file("", "values: [0, 32, 64]");
	char a[256];
	snprintf(a, sizeof(a), "%s", tpath("A"));
	run_points(f, a, 0, 2);
	const char *from[] = {a};
	struct iom_sweep_counts c = merge_into(f, tpath("C"), from, 1);
	cr_expect_eq(c.ok, 3);
	cr_expect_eq(c.missing, 3);
	cr_expect_eq(c.worst_exit, 3);
	size_t n;
	char **l = st_lines(tpath("C/results.csv"), &n);
	cr_assert_eq(n, 7);
	for (size_t i = 1; i <= 6; i++) {
		st_expect_cell(l, n, i, 1, i <= 3 ? "ok" : "missing");
		if (i > 3)
			st_expect_cell(l, n, i, 7, "");
	}
	st_free_lines(l, n);
}

Test(sweep, run_point_skips_a_finished_point)
{
	const char *f = grid_file("", "values: [0]");
	const char *out = tpath("out");
	run_points(f, out, 1, 1);
	struct iom_sweep *sw = load_ok(f);
	struct iom_sweep_opts o = {.out_dir = out};
	struct iom_sweep_counts c;
	struct iom_err err = {0};
	cr_assert_eq(iom_sweep_run_point(sw, 1, &o, &c, &err), 0);
	cr_expect_eq(c.ran, 0);
	cr_expect_eq(c.done_before, 1);
	cr_expect_eq(iom_sweep_point_status(sw, &o, 1), IOM_SWEEP_OK);
	cr_expect_eq(iom_sweep_point_status(sw, &o, 0), IOM_SWEEP_TODO);
	cr_expect_eq(iom_sweep_run_point(sw, 2, &o, &c, &err), -IOM_ERANGE);
	cr_expect(strstr(err.msg, "point 2 does not exist") != NULL, "%s", err.msg);
	iom_sweep_destroy(sw);
}

/* ---- bad input ----------------------------------------------------------- */

/* Loads a bad sweep file: the code, "FILE:LINE:COL" and a phrase; the diag text. */
static char *load_fail(const char *body, int code, const char *where, const char *what)
{
	const char *path = st_write("bad.yaml", "%s", body);
	struct iom_err err = {0};
	char *diag = NULL;
	size_t len = 0;
	FILE *d = open_memstream(&diag, &len);
	struct iom_sweep *sw = iom_sweep_load(path, d, &err);
	fclose(d);
	cr_expect_null(sw, "loaded a bad sweep file");
	iom_sweep_destroy(sw);
	cr_expect_eq(err.code, code, "code %d, want %d: %s", err.code, code, err.msg);
	char loc[300];
	snprintf(loc, sizeof(loc), "%s%s", path, where);
	cr_expect(strncmp(err.msg, loc, strlen(loc)) == 0, "'%s' does not start with '%s'", err.msg,
		  loc);
	cr_expect(strstr(err.msg, what) != NULL, "'%s' not in '%s'", what, err.msg);
	return diag;
}

#define TR "traces: [" SMALL "]\n"

Test(sweep, unknown_axis_key_names_a_near_key_and_lists_the_valid_keys)
{
	char *diag =
	    load_fail(TR "axes:\n  - {key: smmu.tlb.entriez, values: [1]}\nstats: [smmu0.walks]\n",
		      IOM_EINVAL, ":3:11:", "unknown config key 'smmu.tlb.entriez'");
	size_t nt;
	const struct iom_prop_table *const *t = iom_system_prop_tables(&nt);
	for (size_t i = 0; i < nt; i++) {
		for (size_t j = 0; j < t[i]->nprops; j++) {
			char k[128];
			snprintf(k, sizeof(k), "  %s.%s ", t[i]->section, t[i]->props[j].name);
			cr_expect(strstr(diag, k) != NULL, "valid key '%s' not listed", k);
		}
	}
	free(diag);
	struct iom_err err;
	const char *path = tpath("bad.yaml");
	cr_assert_null(iom_sweep_load(path, NULL, &err));
	cr_expect(strstr(err.msg, "did you mean 'smmu.tlb.entries'") != NULL, "%s", err.msg);
}

Test(sweep, unknown_set_key_is_an_error)
{
	free(load_fail(TR "set: {smmu.tlbb.entries: 4}\nstats: [smmu0.walks]\n", IOM_EINVAL,
		       ":2:7:", "set: unknown config key 'smmu.tlbb.entries'"));
}

Test(sweep, empty_axis_is_an_error_naming_the_axis)
{
	free(load_fail(TR "axes:\n  - {key: smmu.tlb.entries, values: []}\nstats: [smmu0.walks]\n",
		       IOM_EINVAL, ":3:37:", "axis 'smmu.tlb.entries': empty value list"));
	free(load_fail(TR "axes:\n  - {key: smmu.tlb.ways, range: {from: 8, to: 4, step: 1}}\n"
			  "stats: [smmu0.walks]\n",
		       IOM_EINVAL, ":3:33:", "axis 'smmu.tlb.ways': empty range"));
	free(load_fail(
	    TR "axes:\n  - {key: smmu.tlb.ways, log: {from: 8, to: 4}}\nstats: [smmu0.walks]\n",
	    IOM_EINVAL, ":3:31:", "axis 'smmu.tlb.ways': empty range"));
}

Test(sweep, zip_of_unequal_axes_is_an_error)
{
	free(load_fail(TR "combine: zip\naxes:\n  - {key: smmu.tlb.ways, values: [1, 2]}\n"
			  "  - {key: smmu.tlb.entries, values: [8]}\nstats: [smmu0.walks]\n",
		       IOM_EINVAL, ":2:10:", "zip needs axes of one length"));
}

Test(sweep, unreadable_trace_is_an_io_error_at_its_line)
{
	free(load_fail("traces:\n  - " SMALL "\n  - no/such.trace\nstats: [smmu0.walks]\n", IOM_EIO,
		       ":3:5:", "trace 'no/such.trace': cannot open"));
}

Test(sweep, unknown_stat_names_near_matches_and_a_histogram_needs_a_field)
{
	char *diag = load_fail(TR "stats: [smmu0.tlb.hitrate]\n", IOM_EINVAL,
			       ":2:9:", "unknown stat 'smmu0.tlb.hitrate'");
	cr_expect(strstr(diag, "smmu0.tlb.hit_rate") != NULL, "stats not listed: %s", diag);
	free(diag);
	free(load_fail(TR "stats: [smmu0.walks, smmu0.hit_latency_ps]\n", IOM_EINVAL,
		       ":2:22:", "'smmu0.hit_latency_ps' is a histogram"));
	free(load_fail(TR "stats: [smmu0.walks.mean]\n", IOM_EINVAL, ":2:9:", "unknown stat"));
}

Test(sweep, device_stats_of_any_device_are_accepted)
{
	const char *f =
	    st_write("dev.yaml", TR "region: all\nstats: [dev.01:00.0.dmas, dev.07:1f.3.tlps]\n");
	const char *out = tpath("out");
	struct iom_sweep_counts c = run_into(f, out, 1);
	cr_expect_eq(c.ok, 1);
	size_t n;
	char **l = st_lines(csv_of(out), &n);
	cr_assert_eq(n, 2);
	/* the trace's device did DMAs; 07:1f.3 does not exist in it: empty cell */
	char *dmas = st_cell(l, n, 1, 5);
	cr_expect(atoi(dmas) > 0, "dmas '%s'", dmas);
	free(dmas);
	st_expect_cell(l, n, 1, 6, "");
	st_free_lines(l, n);
}

Test(sweep, misc_bad_fields_are_errors_with_their_position)
{
	free(load_fail(TR "stats: [smmu0.walks]\nbogus: 1\n", IOM_EFORMAT,
		       ":3:1:", "unknown key 'bogus'"));
	free(load_fail("stats: [smmu0.walks]\n", IOM_EINVAL, ":1:1:", "'traces' is missing"));
	free(load_fail(TR "stats: [smmu0.walks]\ncombine: diagonal\n", IOM_EINVAL,
		       ":3:10:", "'diagonal' is not grid or zip"));
	free(load_fail(TR "stats: [smmu0.walks]\nseeds: [1, x]\n", IOM_EINVAL,
		       ":3:8:", "'x' is not an unsigned integer"));
	free(load_fail(
	    TR "stats: [smmu0.walks]\nseeds: [1]\naxes: [{key: system.seed, values: [1]}]\n",
	    IOM_EINVAL, ":4:14:", "'seeds' already varies system.seed"));
	free(load_fail(TR "stats: [smmu0.walks]\n"
			  "axes: [{key: smmu.tlb.ways, values: [1], range: {from: 1, to: 2}}]\n",
		       IOM_EINVAL, ":3:8:", "exactly one of 'values', 'range' or 'log'"));
	free(load_fail(
	    TR "stats: [smmu0.walks]\nplots: [{name: p, x: smmu.tlb.ways, y: [smmu0.walks]}]\n",
	    IOM_EINVAL, ":3:22:", "x 'smmu.tlb.ways' is not a column"));
	free(load_fail(TR "stats: [smmu0.walks]\nname: a/b\n", IOM_EINVAL, ":3:7:", "name: 'a/b'"));
	free(load_fail(TR "stats: [smmu0.walks\n", IOM_EFORMAT, ":3:1:", "did not find expected"));
}

Test(sweep, value_rejected_by_the_property_table_fails_only_its_point)
{
	const char *f =
	    st_write("oor.yaml", TR "axes: [{key: smmu.tlb.ways, values: [4, 99999999999, 8]}]\n"
				    "region: all\nstats: [replay.records]\n");
	const char *out = tpath("out");
	char *log = NULL;
	size_t len = 0;
	FILE *lf = open_memstream(&log, &len);
	struct iom_sweep *sw = load_ok(f);
	struct iom_sweep_opts o = {.out_dir = out, .jobs = 2, .log = lf};
	struct iom_sweep_counts c;
	struct iom_err err = {0};
	cr_assert_eq(iom_sweep_run(sw, &o, &c, &err), 0, "%s", err.msg);
	fclose(lf);
	cr_expect_eq(c.ran, 3);
	cr_expect_eq(c.ok, 2);
	cr_expect_eq(c.failed, 1);
	cr_expect_eq(c.worst_exit, 2, "a rejected value is bad input (2), got %d", c.worst_exit);
	cr_expect(strstr(log, "point 1 (smmu.tlb.ways=99999999999") != NULL, "log: %s", log);
	cr_expect(strstr(log, "key 'smmu.tlb.ways'") != NULL, "log: %s", log);
	size_t n;
	char **l = st_lines(csv_of(out), &n);
	cr_assert_eq(n, 4);
	st_expect_cell(l, n, 1, 1, "ok");
	st_expect_cell(l, n, 2, 1, "failed");
	st_expect_cell(l, n, 3, 1, "ok");
	st_expect_cell(l, n, 2, 5, "99999999999"); /* the value as written */
	st_expect_cell(l, n, 2, 6, "");            /* no stats */
	char *key = st_cell(l, n, 2, 2);
	char path[512];
	snprintf(path, sizeof(path), "%s/points/%s.err", out, key);
	size_t elen;
	char *e = slurp(path, &elen);
	cr_expect(strncmp(e, "2 bad-input: ", 13) == 0, ".err: %s", e);
	cr_expect(elen && e[elen - 1] == '\n' && !strchr(e, '\n')[1], "not one line: %s", e);
	free(e);
	free(key);
	st_free_lines(l, n);
	free(log);
	/* a failed point is retried; the others are not */
	struct iom_sweep_counts c2;
	o.log = NULL;
	cr_assert_eq(iom_sweep_run(sw, &o, &c2, &err), 0);
	cr_expect_eq(c2.ran, 1);
	cr_expect_eq(c2.done_before, 2);
	cr_expect_eq(c2.failed, 1);
	iom_sweep_destroy(sw);
}

Test(sweep, model_rejection_in_the_worker_fails_only_its_point)
{
	/* ways 3 passes the property table but the cache needs entries % ways == 0 */
	const char *f = st_write("ways.yaml", TR "axes: [{key: smmu.tlb.ways, values: [3, 4]}]\n"
						 "stats: [smmu0.walks]\n");
	struct iom_sweep_counts c = run_into(f, tpath("out"), 2);
	cr_expect_eq(c.ran, 2);
	cr_expect_eq(c.ok, 1);
	cr_expect_eq(c.failed, 1);
	cr_expect_eq(c.worst_exit, 2);
}
