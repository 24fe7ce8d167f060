/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_plot.c - the plotting library (sim/plot/plot.h): the RFC 4180 reader
 * and column metadata, spec checks, the generated gnuplot script, and the
 * figures gnuplot renders from it.
 *
 * Fixture: a hand-written results CSV following docs/sweeps.md (meta
 * columns point, status, key, trace, seed; axes smmu.tlb.entries x
 * smmu.tlb.ways, 3 x 2 points; two stats) and its results.columns.json.
 * Point 3 failed (empty stats).  The trace path holds a comma, so it is
 * quoted.  Expected script text comes from the rules in docs/plots.md:
 * columns named by header in column('...') / strcol('...'), labels
 * "description [unit]", log base 2 when every x is a power of two, one
 * plot clause per series value in first-appearance order.
 *
 * Rendering needs gnuplot (installed by tools/setup.sh); the tests for a
 * missing or failing gnuplot point IOMMUSIM_GNUPLOT elsewhere (Criterion
 * runs each test in its own process, so setenv stays local).
 */
#include "../tools/tools-test.h"

#include "plot.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

TestSuite(plot, .init = tt_setup, .fini = tt_teardown, .timeout = 60);

static const char grid_csv[] =
    "point,status,key,trace,seed,smmu.tlb.entries,smmu.tlb.ways,smmu0.tlb.hit_rate,"
    "smmu0.walk.lat.mean\n"
    "0,ok,k0,\"a,b.trace\",1,64,1,0.5,900\n"
    "1,ok,k1,\"a,b.trace\",1,64,2,0.6,800\n"
    "2,ok,k2,\"a,b.trace\",1,128,1,0.7,700\n"
    "3,failed,k3,\"a,b.trace\",1,128,2,,\n"
    "4,ok,k4,\"a,b.trace\",1,256,1,0.8,600\n"
    "5,ok,k5,\"a,b.trace\",1,256,2,0.9,500\n";

static const char grid_meta[] =
    "{\"schema\": \"iommusim-sweep-columns\", \"schema_version\": 1, \"sweep\": \"grid\",\n"
    " \"columns\": [\n"
    "  {\"name\": \"point\", \"kind\": \"meta\", \"unit\": \"\", \"desc\": \"point index\"},\n"
    "  {\"name\": \"status\", \"kind\": \"meta\", \"unit\": \"\", \"desc\": \"status\"},\n"
    "  {\"name\": \"key\", \"kind\": \"meta\", \"unit\": \"\", \"desc\": \"result key\"},\n"
    "  {\"name\": \"trace\", \"kind\": \"meta\", \"unit\": \"\", \"desc\": \"trace file\"},\n"
    "  {\"name\": \"seed\", \"kind\": \"meta\", \"unit\": \"\", \"desc\": \"seed\"},\n"
    "  {\"name\": \"smmu.tlb.entries\", \"kind\": \"axis\", \"unit\": \"entries\",\n"
    "   \"desc\": \"TLB entries\"},\n"
    "  {\"name\": \"smmu.tlb.ways\", \"kind\": \"axis\", \"unit\": \"\", \"desc\": \"TLB ways\"},\n"
    "  {\"name\": \"smmu0.tlb.hit_rate\", \"kind\": \"stat\", \"unit\": \"\",\n"
    "   \"desc\": \"TLB hit rate\"},\n"
    "  {\"name\": \"smmu0.walk.lat.mean\", \"kind\": \"stat\", \"unit\": \"ps\",\n"
    "   \"desc\": \"mean walk latency\"}\n"
    " ]}\n";

static const char *grid(void)
{
	spits(tpath("results.csv"), grid_csv);
	spits(tpath("results.columns.json"), grid_meta);
	return tpath("results.csv");
}

static char *script(const char *name)
{
	char file[128];
	size_t n;
	snprintf(file, sizeof(file), "%s.gp", name);
	return slurp(tpath(file), &n);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void expect_png_svg(const char *name)
{
	char file[128];
	size_t n;
	snprintf(file, sizeof(file), "%s.png", name);
	char *png = slurp(tpath(file), &n);
	cr_assert_gt(n, 8, "%s is empty", file);
	cr_expect_eq(memcmp(png, "\x89PNG\r\n\x1a\n", 8), 0, "%s: no PNG signature", file);
	free(png);
	snprintf(file, sizeof(file), "%s.svg", name);
	char *svg = slurp(tpath(file), &n);
	cr_assert_gt(n, 0, "%s is empty", file);
	cr_expect_not_null(strstr(svg, "<svg"), "%s: no <svg element", file);
	free(svg);
}

static bool exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0;
}

/* ---- the CSV reader and the metadata ---------------------------------------- */

Test(plot, table_reads_quoted_comma_field_and_metadata)
{
	struct iom_err err = {0};
	struct iom_plot_table *t = iom_plot_table_load(grid(), &err);
	cr_assert_not_null(t, "%s", err.msg);
	cr_expect_eq(iom_plot_table_ncols(t), 9);
	cr_expect_eq(iom_plot_table_nrows(t), 6);
	cr_expect_str_eq(iom_plot_table_cell(t, 0, 3), "a,b.trace");
	cr_expect_str_eq(iom_plot_table_cell(t, 0, 4), "1");
	cr_expect_str_eq(iom_plot_table_cell(t, 5, 8), "500");
	cr_expect_str_eq(iom_plot_table_cell(t, 3, 7), "");
	cr_expect_eq(iom_plot_table_line(t, 0), 2);
	cr_expect_eq(iom_plot_table_find(t, "smmu.tlb.ways"), 6);
	cr_expect_eq(iom_plot_table_find(t, "nope"), -1);
	const struct iom_plot_column *c = iom_plot_table_column(t, 5);
	cr_expect_str_eq(c->name, "smmu.tlb.entries");
	cr_expect_str_eq(c->kind, "axis");
	cr_expect_str_eq(c->unit, "entries");
	cr_expect_str_eq(c->desc, "TLB entries");
	cr_expect_not_null(iom_plot_table_meta_path(t));
	iom_plot_table_free(t);
}

Test(plot, table_unescapes_quotes_and_keeps_line_breaks)
{
	spits(tpath("q.csv"), "a,b\r\n\"x\"\"y\",\"p\nq\"\r\n3,\"\"\n\n4,5");
	struct iom_err err = {0};
	struct iom_plot_table *t = iom_plot_table_load(tpath("q.csv"), &err);
	cr_assert_not_null(t, "%s", err.msg);
	cr_expect_eq(iom_plot_table_nrows(t), 3);
	cr_expect_str_eq(iom_plot_table_column(t, 1)->name, "b");
	cr_expect_str_eq(iom_plot_table_cell(t, 0, 0), "x\"y");
	cr_expect_str_eq(iom_plot_table_cell(t, 0, 1), "p\nq");
	cr_expect_str_eq(iom_plot_table_cell(t, 1, 0), "3");
	cr_expect_str_eq(iom_plot_table_cell(t, 1, 1), "");
	cr_expect_str_eq(iom_plot_table_cell(t, 2, 1), "5");
	/* record 2 starts on line 2, spans line 3; record 3 on line 4; line 5 blank */
	cr_expect_eq(iom_plot_table_line(t, 0), 2);
	cr_expect_eq(iom_plot_table_line(t, 1), 4);
	cr_expect_eq(iom_plot_table_line(t, 2), 6);
	cr_expect_null(iom_plot_table_column(t, 0)->kind, "no metadata file: no kind");
	cr_expect_null(iom_plot_table_meta_path(t));
	iom_plot_table_free(t);
}

struct bad_csv {
	const char *text, *msg; /* msg: expected after "<path>" */
};

Test(plot, table_errors_name_file_and_line)
{
	static const struct bad_csv cases[] = {
	    {"a,b,c\n1,2,3\n4,5\n", ":3: 2 fields, the header has 3"},
	    {"a,b\n1,\"open\n2,3\n", ":2: quoted field not closed by '\"'"},
	    {"a,b\n1,\"x\"y\n", ":2: 'y' after a closing quote"},
	    {"a,b\n1,x\"y\n", ":2: '\"' inside an unquoted field"},
	    {"a,a\n1,2\n", ":1: column 'a' appears twice"},
	    {"a,,c\n1,2,3\n", ":1: column 2 has an empty name"},
	    {"", ": empty file (no header row)"},
	};
	for (size_t i = 0; i < IOM_ARRAY_SIZE(cases); i++) {
		char want[256];
		struct iom_err err = {0};
		spits(tpath("bad.csv"), cases[i].text);
		cr_expect_null(iom_plot_table_load(tpath("bad.csv"), &err), "case %zu", i);
		cr_expect_eq(err.code, IOM_EFORMAT, "case %zu", i);
		snprintf(want, sizeof(want), "%s%s", tpath("bad.csv"), cases[i].msg);
		cr_expect_eq(strncmp(err.msg, want, strlen(want)), 0, "case %zu: '%s', want '%s'",
		             i, err.msg, want);
	}
}

Test(plot, table_missing_file_and_bad_metadata)
{
	struct iom_err err = {0};
	cr_expect_null(iom_plot_table_load(tpath("none.csv"), &err));
	cr_expect_eq(err.code, IOM_EIO);
	cr_expect_not_null(strstr(err.msg, "none.csv"), "%s", err.msg);

	spits(tpath("m.csv"), "a,b\n1,2\n");
	spits(tpath("m.columns.json"), "{\"schema\": \"iommusim-sweep-columns\",\n  oops}\n");
	cr_expect_null(iom_plot_table_load(tpath("m.csv"), &err));
	cr_expect_eq(err.code, IOM_EFORMAT);
	char want[256];
	snprintf(want, sizeof(want), "%s:2:", tpath("m.columns.json"));
	cr_expect_eq(strncmp(err.msg, want, strlen(want)), 0, "%s", err.msg);

	spits(tpath("m.columns.json"), "{\"schema\": \"iommusim-sweep-columns\", "
	                               "\"schema_version\": 1, \"columns\": [{\"name\": \"a\", "
	                               "\"kind\": \"knob\"}]}");
	cr_expect_null(iom_plot_table_load(tpath("m.csv"), &err));
	cr_expect_not_null(strstr(err.msg, "columns[0].kind: 'knob'"), "%s", err.msg);

	spits(tpath("m.columns.json"), "{\"schema\": \"other\"}");
	cr_expect_null(iom_plot_table_load(tpath("m.csv"), &err));
	cr_expect_not_null(strstr(err.msg, "not a column metadata file"), "%s", err.msg);
}

/* ---- spec checks -------------------------------------------------------------- */

Test(plot, check_unknown_column_is_enoent)
{
	struct iom_plot_spec s = {
	    .name = "f", .x = "smmu.tlb.entries", .y = {"smmu0.tlb.hitrate"}, .ny = 1};
	struct iom_err err = {0};
	cr_expect_eq(iom_plot_check(&s, grid(), &err), -IOM_ENOENT);
	char want[256];
	snprintf(want, sizeof(want), "plot 'f': no column 'smmu0.tlb.hitrate' in %s",
	         tpath("results.csv"));
	cr_expect_str_eq(err.msg, want);
	s.y[0] = "smmu0.tlb.hit_rate";
	cr_expect_eq(iom_plot_check(&s, grid(), &err), 0, "%s", err.msg);
	s.series = "tracee";
	cr_expect_eq(iom_plot_check(&s, grid(), &err), -IOM_ENOENT);
	/* rendering checks too, and writes nothing */
	cr_expect_eq(iom_plot_render(&s, grid(), tmpdir, &err), -IOM_ENOENT);
	cr_expect_not(exists(tpath("f.gp")));
}

Test(plot, check_spec_shape_without_csv)
{
	struct iom_err err = {0};
	struct iom_plot_spec s = {
	    .name = "h", .kind = IOM_PLOT_HEATMAP, .x = "a", .y = {"b"}, .ny = 1};
	cr_expect_eq(iom_plot_check(&s, NULL, &err), -IOM_EINVAL);
	cr_expect_str_eq(err.msg, "plot 'h': a heatmap needs a z column (the colour)");
	s.z = "c";
	cr_expect_eq(iom_plot_check(&s, NULL, &err), 0, "%s", err.msg);
	s.logx = true;
	cr_expect_eq(iom_plot_check(&s, NULL, &err), -IOM_EINVAL);
	s.logx = false;
	s.name = "../up";
	cr_expect_eq(iom_plot_check(&s, NULL, &err), -IOM_EINVAL);
	s.name = "l";
	s.kind = IOM_PLOT_LINES;
	cr_expect_eq(iom_plot_check(&s, NULL, &err), -IOM_EINVAL, "z on a lines plot");
	s.z = NULL;
	s.ny = 0;
	cr_expect_eq(iom_plot_check(&s, NULL, &err), -IOM_EINVAL);
	cr_expect_str_eq(err.msg, "plot 'l': no y column");
	s.ny = 1;
	s.formats = 4;
	cr_expect_eq(iom_plot_check(&s, NULL, &err), -IOM_EINVAL);
}

Test(plot, default_names_come_from_the_columns)
{
	char buf[128];
	struct iom_plot_spec l = {
	    .x = "smmu.tlb.entries", .y = {"smmu0.tlb.hit_rate"}, .ny = 1, .series = "trace"};
	cr_expect_str_eq(iom_plot_default_name(&l, buf, sizeof(buf)),
	                 "smmu0.tlb.hit_rate-vs-smmu.tlb.entries-by-trace");
	struct iom_plot_spec h = {
	    .kind = IOM_PLOT_HEATMAP, .x = "a", .y = {"b c"}, .ny = 1, .z = "z/1"};
	cr_expect_str_eq(iom_plot_default_name(&h, buf, sizeof(buf)), "z_1-over-a-b_c");
}

/* ---- lines ---------------------------------------------------------------------- */

Test(plot, lines_script_names_columns_labels_and_series)
{
	struct iom_plot_spec s = {.name = "hr",
	                          .x = "smmu.tlb.entries",
	                          .y = {"smmu0.tlb.hit_rate"},
	                          .ny = 1,
	                          .series = "smmu.tlb.ways",
	                          .logx = true};
	struct iom_err err = {0};
	cr_assert_eq(iom_plot_render(&s, grid(), tmpdir, &err), 0, "%s", err.msg);
	char *gp = script("hr");
	cr_expect_not_null(strstr(gp, "data = 'results.csv'\n"), "%s", gp);
	cr_expect_not_null(strstr(gp, "set datafile separator comma\n"));
	cr_expect_not_null(strstr(gp, "ok(c) = strcol('status') eq 'ok' ? column(c) : NaN\n"));
	cr_expect_not_null(strstr(gp, "set xlabel 'TLB entries [entries]'\n"));
	cr_expect_not_null(strstr(gp, "set ylabel 'TLB hit rate'\n"));
	cr_expect_not_null(strstr(gp, "set title 'TLB hit rate vs TLB entries by TLB ways'\n"));
	cr_expect_not_null(strstr(gp, "set logscale x 2\n"), "64, 128, 256: powers of two");
	cr_expect_not_null(strstr(gp, "gnuplot hr.gp"), "the header says how to re-run");
	/* ways 1 and 2: one clause each, in first-appearance order */
	cr_expect_eq(count(gp, "data using "), 2, "%s", gp);
	const char *c1 =
	    strstr(gp, "data using (column('smmu.tlb.entries')):(strcol('smmu.tlb.ways') "
	               "eq '1' ? ok('smmu0.tlb.hit_rate') : NaN)");
	const char *c2 =
	    strstr(gp, "data using (column('smmu.tlb.entries')):(strcol('smmu.tlb.ways') "
	               "eq '2' ? ok('smmu0.tlb.hit_rate') : NaN)");
	cr_expect_not_null(c1, "%s", gp);
	cr_expect_not_null(c2);
	cr_expect_lt(c1, c2);
	cr_expect_not_null(strstr(gp, "title 'smmu.tlb.ways=1'"));
	cr_expect_not_null(strstr(gp, "title 'smmu.tlb.ways=2'"));
	cr_expect_not_null(strstr(gp, "do for [fmt in 'png svg']"));
	free(gp);
	expect_png_svg("hr");
}

Test(plot, lines_one_clause_per_series_value_in_first_appearance_order)
{
	/* series = entries: 64, 128, 256 (the failed point 3 has 128, but 128 also has an ok row)
	 */
	struct iom_plot_spec s = {.name = "by",
	                          .x = "smmu.tlb.ways",
	                          .y = {"smmu0.walk.lat.mean"},
	                          .ny = 1,
	                          .series = "smmu.tlb.entries",
	                          .formats = IOM_PLOT_SVG};
	struct iom_err err = {0};
	cr_assert_eq(iom_plot_render(&s, grid(), tmpdir, &err), 0, "%s", err.msg);
	char *gp = script("by");
	cr_expect_eq(count(gp, "data using "), 3, "%s", gp);
	const char *a = strstr(gp, "eq '64' ?"), *b = strstr(gp, "eq '128' ?"),
	           *c = strstr(gp, "eq '256' ?");
	cr_assert(a && b && c, "%s", gp);
	cr_expect(a < b && b < c);
	cr_expect_not_null(strstr(gp, "set ylabel 'mean walk latency [ps]'\n"));
	cr_expect_null(strstr(gp, "logscale"));
	cr_expect_not_null(strstr(gp, "do for [fmt in 'svg']"));
	free(gp);
	cr_expect(exists(tpath("by.svg")));
	cr_expect_not(exists(tpath("by.png")), "png not asked for");
}

Test(plot, lines_several_y_columns)
{
	struct iom_plot_spec s = {.name = "two",
	                          .x = "smmu.tlb.entries",
	                          .y = {"smmu0.tlb.hit_rate", "smmu0.walk.lat.mean"},
	                          .ny = 2,
	                          .logy = true};
	struct iom_err err = {0};
	cr_assert_eq(iom_plot_render(&s, grid(), tmpdir, &err), 0, "%s", err.msg);
	char *gp = script("two");
	cr_expect_eq(count(gp, "data using "), 2);
	cr_expect_not_null(strstr(gp, "(ok('smmu0.tlb.hit_rate')) smooth unique with linespoints "
	                              "title 'TLB hit rate'"),
	                   "%s", gp);
	cr_expect_not_null(strstr(gp, "(ok('smmu0.walk.lat.mean')) smooth unique with linespoints "
	                              "title 'mean walk latency'"));
	/* units differ: each label keeps its own */
	cr_expect_not_null(strstr(gp, "set ylabel 'TLB hit rate, mean walk latency [ps]'\n"));
	cr_expect_not_null(strstr(gp, "set logscale y 10\n"));
	free(gp);
	expect_png_svg("two");
}

Test(plot, lines_categorical_x_and_no_metadata)
{
	spits(tpath("p.csv"), "point,status,smmu.tlb.policy,hits\n"
	                      "0,ok,lru,10\n1,ok,fifo,8\n2,missing,plru,\n");
	struct iom_plot_spec s = {.name = "pol", .x = "smmu.tlb.policy", .y = {"hits"}, .ny = 1};
	struct iom_err err = {0};
	cr_assert_eq(iom_plot_render(&s, tpath("p.csv"), tmpdir, &err), 0, "%s", err.msg);
	char *gp = script("pol");
	/* plru only in a missing row: not on the axis */
	cr_expect_not_null(strstr(gp, "set xtics ('lru' 0, 'fifo' 1)\n"), "%s", gp);
	cr_expect_not_null(strstr(gp, "\ts eq 'lru' ? 0 : \\\n\ts eq 'fifo' ? 1 : \\\n\tNaN\n"));
	cr_expect_not_null(strstr(gp, "data using (xi(strcol('smmu.tlb.policy'))):(ok('hits'))"));
	cr_expect_not_null(strstr(gp, "set xlabel 'smmu.tlb.policy'\n"), "no metadata: names");
	free(gp);
	expect_png_svg("pol");
	s.logx = true;
	cr_expect_eq(iom_plot_render(&s, tpath("p.csv"), tmpdir, &err), -IOM_EINVAL);
	cr_expect_str_eq(err.msg, "plot 'pol': logx: column 'smmu.tlb.policy' is not numeric");
}

Test(plot, lines_log_base_ten_and_nonpositive_x)
{
	spits(tpath("d.csv"), "x,y\n10,1\n20,2\n30,3\n");
	struct iom_plot_spec s = {.name = "d", .x = "x", .y = {"y"}, .ny = 1, .logx = true};
	struct iom_err err = {0};
	cr_assert_eq(iom_plot_render(&s, tpath("d.csv"), tmpdir, &err), 0, "%s", err.msg);
	char *gp = script("d");
	cr_expect_not_null(strstr(gp, "set logscale x 10\n"));
	cr_expect_not_null(strstr(gp, "ok(c) = column(c)\n"), "no status column: every row");
	free(gp);
	spits(tpath("d.csv"), "x,y\n4,1\n0,2\n");
	cr_expect_eq(iom_plot_render(&s, tpath("d.csv"), tmpdir, &err), -IOM_EINVAL);
	char want[256];
	snprintf(want, sizeof(want), "%s:3: column 'x' is 0: a log axis needs values > 0",
	         tpath("d.csv"));
	cr_expect_str_eq(err.msg, want);
}

Test(plot, data_that_cannot_be_drawn)
{
	struct iom_plot_spec s = {.name = "e", .x = "x", .y = {"y"}, .ny = 1};
	struct iom_err err = {0};
	char want[256];
	spits(tpath("e.csv"), "status,x,y\nfailed,1,\nmissing,2,\n");
	cr_expect_eq(iom_plot_render(&s, tpath("e.csv"), tmpdir, &err), -IOM_EINVAL);
	snprintf(want, sizeof(want), "plot 'e': %s has no row with status ok", tpath("e.csv"));
	cr_expect_str_eq(err.msg, want);

	spits(tpath("e.csv"), "status,x,y\nok,1,3\nok,2,lots\n");
	cr_expect_eq(iom_plot_render(&s, tpath("e.csv"), tmpdir, &err), -IOM_EINVAL);
	snprintf(want, sizeof(want), "%s:3: column 'y' is 'lots', not a number", tpath("e.csv"));
	cr_expect_str_eq(err.msg, want);

	/* gnuplot would cut "a,b" and "a,c" to "a": the two series would merge */
	spits(tpath("e.csv"), "x,y,t\n1,2,\"a,b\"\n1,3,\"a,c\"\n");
	s.series = "t";
	cr_expect_eq(iom_plot_render(&s, tpath("e.csv"), tmpdir, &err), -IOM_EINVAL);
	cr_expect_not_null(strstr(err.msg, "values 'a,b' and 'a,c' of column 't'"), "%s", err.msg);

	spits(tpath("e.csv"), "x,y,t\n1,2,\"say \"\"hi\"\"\"\n");
	cr_expect_eq(iom_plot_render(&s, tpath("e.csv"), tmpdir, &err), -IOM_EINVAL);
	snprintf(want, sizeof(want), "%s:2: column 't' holds a '\"'", tpath("e.csv"));
	cr_expect_eq(strncmp(err.msg, want, strlen(want)), 0, "%s", err.msg);
}

Test(plot, quoted_series_value_with_comma_is_plotted)
{
	/* a,b.trace is compared as gnuplot reads it: 'a' (docs/plots.md) */
	struct iom_plot_spec s = {.name = "tr",
	                          .x = "smmu.tlb.entries",
	                          .y = {"smmu0.tlb.hit_rate"},
	                          .ny = 1,
	                          .series = "trace"};
	struct iom_err err = {0};
	cr_assert_eq(iom_plot_render(&s, grid(), tmpdir, &err), 0, "%s", err.msg);
	char *gp = script("tr");
	cr_expect_not_null(strstr(gp, "strcol('trace') eq 'a' ? ok('smmu0.tlb.hit_rate')"), "%s",
	                   gp);
	cr_expect_not_null(strstr(gp, "title 'trace=a,b.trace'"));
	free(gp);
	expect_png_svg("tr");
}

/* ---- heatmaps -------------------------------------------------------------------- */

Test(plot, heatmap_cells_in_index_space_with_value_tics)
{
	struct iom_plot_spec s = {.name = "heat",
	                          .kind = IOM_PLOT_HEATMAP,
	                          .x = "smmu.tlb.entries",
	                          .y = {"smmu.tlb.ways"},
	                          .ny = 1,
	                          .z = "smmu0.walk.lat.mean"};
	struct iom_err err = {0};
	cr_assert_eq(iom_plot_render(&s, grid(), tmpdir, &err), 0, "%s", err.msg);
	char *gp = script("heat");
	cr_expect_not_null(strstr(gp, "xi(s) = \\\n\ts eq '64' ? 0 : \\\n\ts eq '128' ? 1 : \\\n"
	                              "\ts eq '256' ? 2 : \\\n\tNaN\n"),
	                   "%s", gp);
	cr_expect_not_null(strstr(gp, "set xtics ('64' 0, '128' 1, '256' 2)\n"));
	cr_expect_not_null(strstr(gp, "set ytics ('1' 0, '2' 1)\n"));
	cr_expect_not_null(strstr(gp, "set xrange [-0.5:2.5]\n"));
	cr_expect_not_null(strstr(gp, "set yrange [-0.5:1.5]\n"));
	cr_expect_not_null(strstr(gp, "set cblabel 'mean walk latency [ps]'\n"));
	cr_expect_not_null(
	    strstr(gp, "set title 'mean walk latency over TLB entries and TLB ways'"));
	cr_expect_not_null(strstr(gp, "data using (xi(strcol('smmu.tlb.entries'))):"
	                              "(yi(strcol('smmu.tlb.ways'))):(0.5):(0.5):"
	                              "(ok('smmu0.walk.lat.mean')) with boxxyerror"));
	free(gp);
	expect_png_svg("heat");
}

Test(plot, heatmap_numeric_axes_sorted_by_value)
{
	spits(tpath("s.csv"), "a,b,z\n512,8,1\n64,8,2\n512,1,3\n64,1,4\n");
	struct iom_plot_spec s = {.name = "s",
	                          .kind = IOM_PLOT_HEATMAP,
	                          .x = "a",
	                          .y = {"b"},
	                          .ny = 1,
	                          .z = "z",
	                          .logz = true,
	                          .formats = IOM_PLOT_PNG};
	struct iom_err err = {0};
	cr_assert_eq(iom_plot_render(&s, tpath("s.csv"), tmpdir, &err), 0, "%s", err.msg);
	char *gp = script("s");
	cr_expect_not_null(strstr(gp, "set xtics ('64' 0, '512' 1)\n"), "%s", gp);
	cr_expect_not_null(strstr(gp, "set ytics ('1' 0, '8' 1)\n"));
	cr_expect_not_null(strstr(gp, "set logscale cb 10\n"));
	free(gp);
}

Test(plot, heatmap_two_rows_per_cell_needs_series)
{
	spits(tpath("t.csv"), "status,trace,a,b,z\n"
	                      "ok,n.trace,1,1,5\nok,n.trace,2,1,6\n"
	                      "ok,m.trace,1,1,7\nok,m.trace,2,1,8\n");
	struct iom_plot_spec s = {
	    .name = "t", .kind = IOM_PLOT_HEATMAP, .x = "a", .y = {"b"}, .ny = 1, .z = "z"};
	struct iom_err err = {0};
	cr_expect_eq(iom_plot_render(&s, tpath("t.csv"), tmpdir, &err), -IOM_EINVAL);
	char want[256];
	snprintf(want, sizeof(want),
	         "%s:4: the heatmap cell a=1, b=1 already has the row of line 2", tpath("t.csv"));
	cr_expect_eq(strncmp(err.msg, want, strlen(want)), 0, "%s", err.msg);
	s.series = "trace";
	cr_assert_eq(iom_plot_render(&s, tpath("t.csv"), tmpdir, &err), 0, "%s", err.msg);
	char *gp = script("t");
	cr_expect_not_null(strstr(gp, "set multiplot layout 1,2 "), "%s", gp);
	cr_expect_not_null(strstr(gp, "set title 'trace=n.trace'"));
	cr_expect_not_null(strstr(gp, "set title 'trace=m.trace'"));
	cr_expect_eq(count(gp, "with boxxyerror"), 2);
	cr_expect_not_null(strstr(gp, "stats data using (ok('z')) nooutput"));
	free(gp);
	expect_png_svg("t");
}

/* ---- gnuplot, paths, determinism ---------------------------------------------------- */

Test(plot, gnuplot_missing_is_enotsup_and_script_kept)
{
	setenv("IOMMUSIM_GNUPLOT", "/nonexistent/gnuplot", 1);
	struct iom_plot_spec s = {
	    .name = "m", .x = "smmu.tlb.entries", .y = {"smmu0.tlb.hit_rate"}, .ny = 1};
	struct iom_err err = {0};
	cr_expect_eq(iom_plot_render(&s, grid(), tmpdir, &err), -IOM_ENOTSUP);
	cr_expect_not_null(strstr(err.msg, "gnuplot not found"), "%s", err.msg);
	cr_expect_not_null(strstr(err.msg, "IOMMUSIM_GNUPLOT"), "%s", err.msg);
	cr_expect_not_null(strstr(err.msg, "m.gp"), "%s", err.msg);
	size_t n;
	char *gp = slurp(tpath("m.gp"), &n);
	cr_expect_gt(n, 0);
	free(gp);
	cr_expect_not(exists(tpath("m.png")));
}

Test(plot, gnuplot_failure_reports_its_stderr)
{
	spits(tpath("fake-gnuplot"), "#!/bin/sh\necho 'line 1: something broke' >&2\nexit 3\n");
	chmod(tpath("fake-gnuplot"), 0755);
	setenv("IOMMUSIM_GNUPLOT", tpath("fake-gnuplot"), 1);
	struct iom_plot_spec s = {
	    .name = "f", .x = "smmu.tlb.entries", .y = {"smmu0.tlb.hit_rate"}, .ny = 1};
	struct iom_err err = {0};
	cr_expect_eq(iom_plot_render(&s, grid(), tmpdir, &err), -IOM_EIO);
	cr_expect_not_null(strstr(err.msg, "(exit 3): line 1: something broke"), "%s", err.msg);
}

Test(plot, script_in_other_directory_reads_csv_by_relative_path)
{
	struct iom_plot_spec s = {.name = "o",
	                          .x = "smmu.tlb.entries",
	                          .y = {"smmu0.tlb.hit_rate"},
	                          .ny = 1,
	                          .formats = IOM_PLOT_PNG};
	struct iom_err err = {0};
	cr_assert_eq(iom_plot_render(&s, grid(), tpath("figs"), &err), 0, "%s", err.msg);
	char *gp = script("figs/o");
	cr_expect_not_null(strstr(gp, "data = '../results.csv'\n"), "%s", gp);
	cr_expect_not_null(strstr(gp, "labels from ../results.columns.json"), "%s", gp);
	free(gp);
	cr_assert(exists(tpath("figs/o.png")));
	/* re-run by hand from another directory: the script finds its data */
	unlink(tpath("figs/o.png"));
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "cd / && gnuplot '%s' 2>/dev/null", tpath("figs/o.gp"));
	cr_expect_eq(system(cmd), 0);
	cr_expect(exists(tpath("figs/o.png")));
}

Test(plot, same_inputs_give_identical_files)
{
	struct iom_plot_spec s = {.name = "same",
	                          .kind = IOM_PLOT_HEATMAP,
	                          .x = "smmu.tlb.entries",
	                          .y = {"smmu.tlb.ways"},
	                          .ny = 1,
	                          .z = "smmu0.tlb.hit_rate"};
	struct iom_err err = {0};
	static const char *const ext[] = {".gp", ".png", ".svg"};
	char *first[3];
	size_t len[3];
	cr_assert_eq(iom_plot_render(&s, grid(), tmpdir, &err), 0, "%s", err.msg);
	for (int i = 0; i < 3; i++) {
		char f[64];
		snprintf(f, sizeof(f), "same%s", ext[i]);
		first[i] = slurp(tpath(f), &len[i]);
	}
	cr_assert_eq(iom_plot_render(&s, grid(), tmpdir, &err), 0, "%s", err.msg);
	for (int i = 0; i < 3; i++) {
		char f[64];
		size_t n;
		snprintf(f, sizeof(f), "same%s", ext[i]);
		char *again = slurp(tpath(f), &n);
		cr_expect(n == len[i] && !memcmp(again, first[i], n), "%s differs", f);
		free(again);
		free(first[i]);
	}
}
