/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_plot_cli.c - `iommusim plot` as a user runs it: the real binary is
 * executed (fork/exec, stdout and stderr captured together) on a small
 * hand-written results CSV and its column metadata.
 *
 * Expected exit codes from docs/cli.md: 0 ok, 1 usage, 2 bad input
 * (unknown column, with the list of the CSV's columns), 3 I/O error,
 * 4 gnuplot not installed (the .gp script is written all the same).
 */
#include "../tools/tools-test.h"

#include "iom.h"

#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

TestSuite(plot_cli, .init = tt_setup, .fini = tt_teardown, .timeout = 60);

struct run {
	int status;
	char *out; /* stdout + stderr */
};

/* Runs iommusim plot with the NULL-terminated arguments, in directory cwd. */
static struct run plot_run(const char *cwd, const char *first, ...)
{
	const char *argv[64] = {IOMMUSIM, "plot"};
	size_t n = 2;
	va_list ap;
	va_start(ap, first);
	for (const char *a = first; a && n < 63; a = va_arg(ap, const char *))
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		if (cwd && chdir(cwd))
			_exit(97);
		execv(IOMMUSIM, (char *const *)argv);
		_exit(98);
	}
	close(fds[1]);
	struct run r = {.status = -1};
	size_t cap = 4096, len = 0;
	r.out = malloc(cap + 1);
	ssize_t k;
	while ((k = read(fds[0], r.out + len, cap - len)) > 0) {
		len += (size_t)k;
		if (len == cap)
			r.out = realloc(r.out, (cap *= 2) + 1);
	}
	r.out[len] = 0;
	close(fds[0]);
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	if (WIFEXITED(st))
		r.status = WEXITSTATUS(st);
	return r;
}

static const char *results(void)
{
	spits(tpath("results.csv"),
	      "point,status,key,trace,seed,smmu.tlb.entries,smmu0.tlb.hit_rate\n"
	      "0,ok,k0,n.trace,1,64,0.5\n"
	      "1,ok,k1,n.trace,1,128,0.7\n"
	      "2,failed,k2,n.trace,1,256,\n");
	spits(tpath("results.columns.json"),
	      "{\"schema\": \"iommusim-sweep-columns\", \"schema_version\": 1, \"sweep\": \"s\",\n"
	      " \"columns\": [{\"name\": \"point\", \"kind\": \"meta\", \"unit\": \"\", \"desc\": "
	      "\"point\"},\n"
	      "  {\"name\": \"smmu.tlb.entries\", \"kind\": \"axis\", \"unit\": \"entries\",\n"
	      "   \"desc\": \"TLB entries\"},\n"
	      "  {\"name\": \"smmu0.tlb.hit_rate\", \"kind\": \"stat\", \"unit\": \"\",\n"
	      "   \"desc\": \"TLB hit rate\"}]}\n");
	return tpath("results.csv");
}

static bool exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0;
}

Test(plot_cli, writes_script_png_svg_beside_the_csv)
{
	/* run from / : the default output directory is the CSV's */
	struct run r = plot_run("/", results(), "--x", "smmu.tlb.entries", "--y",
	                        "smmu0.tlb.hit_rate", "--logx", NULL);
	cr_assert_eq(r.status, 0, "%s", r.out);
	const char *stem = "smmu0.tlb.hit_rate-vs-smmu.tlb.entries";
	char f[128];
	snprintf(f, sizeof(f), "%s.gp", stem);
	size_t n;
	char *gp = slurp(tpath(f), &n);
	cr_expect_not_null(strstr(gp, "column('smmu.tlb.entries')"), "%s", gp);
	cr_expect_not_null(strstr(gp, "ok('smmu0.tlb.hit_rate')"));
	cr_expect_not_null(strstr(gp, "set xlabel 'TLB entries [entries]'\n"));
	cr_expect_not_null(strstr(gp, "set logscale x 2\n"));
	free(gp);
	snprintf(f, sizeof(f), "%s.png", stem);
	char *png = slurp(tpath(f), &n);
	cr_expect_gt(n, 8);
	cr_expect_eq(memcmp(png, "\x89PNG\r\n\x1a\n", 8), 0);
	free(png);
	snprintf(f, sizeof(f), "%s.svg", stem);
	char *svg = slurp(tpath(f), &n);
	cr_expect_not_null(strstr(svg, "<svg"));
	free(svg);
	cr_expect_not_null(strstr(r.out, "wrote "), "%s", r.out);
	free(r.out);
}

Test(plot_cli, name_out_title_and_format)
{
	struct run r = plot_run(NULL, results(), "--x", "smmu.tlb.entries", "--y",
	                        "smmu0.tlb.hit_rate", "--name", "hr", "--out", tpath("figs"),
	                        "--title", "It's the hit rate", "--format", "svg", NULL);
	cr_assert_eq(r.status, 0, "%s", r.out);
	size_t n;
	char *gp = slurp(tpath("figs/hr.gp"), &n);
	cr_expect_not_null(strstr(gp, "set title 'It''s the hit rate'\n"), "%s", gp);
	cr_expect_not_null(strstr(gp, "data = '../results.csv'\n"));
	free(gp);
	cr_expect(exists(tpath("figs/hr.svg")));
	cr_expect_not(exists(tpath("figs/hr.png")));
	free(r.out);
}

Test(plot_cli, heatmap)
{
	spits(tpath("h.csv"), "status,a,b,z\nok,1,1,5\nok,2,1,6\nok,1,2,7\nok,2,2,8\n");
	struct run r =
	    plot_run(NULL, tpath("h.csv"), "--heatmap", "--x", "a", "--y", "b", "--z", "z", NULL);
	cr_assert_eq(r.status, 0, "%s", r.out);
	cr_expect(exists(tpath("z-over-a-b.png")));
	cr_expect(exists(tpath("z-over-a-b.svg")));
	free(r.out);
}

Test(plot_cli, unknown_column_lists_the_columns)
{
	struct run r =
	    plot_run(NULL, results(), "--x", "smmu.tlb.entries", "--y", "hit_rate", NULL);
	cr_expect_eq(r.status, 2, "%s", r.out);
	cr_expect_not_null(strstr(r.out, "no column 'hit_rate'"), "%s", r.out);
	cr_expect_not_null(strstr(r.out, "available columns"), "%s", r.out);
	cr_expect_not_null(strstr(r.out, "smmu0.tlb.hit_rate"), "%s", r.out);
	cr_expect_not(exists(tpath("hit_rate-vs-smmu.tlb.entries.gp")));
	free(r.out);
}

Test(plot_cli, list_prints_kind_unit_description)
{
	struct run r = plot_run(NULL, results(), "--list", NULL);
	cr_expect_eq(r.status, 0, "%s", r.out);
	/* name column padded to the longest name (18), then kind, unit, description */
	cr_expect_not_null(strstr(r.out, "smmu.tlb.entries    axis  entries   TLB entries\n"), "%s",
	                   r.out);
	cr_expect_not_null(strstr(r.out, "status              -     -         \n"), "%s", r.out);
	free(r.out);
}

Test(plot_cli, gnuplot_missing_exits_4_and_keeps_the_script)
{
	setenv("IOMMUSIM_GNUPLOT", "/nonexistent", 1);
	struct run r = plot_run(NULL, results(), "--x", "smmu.tlb.entries", "--y",
	                        "smmu0.tlb.hit_rate", "--name", "m", NULL);
	cr_expect_eq(r.status, 4, "%s", r.out);
	cr_expect_not_null(strstr(r.out, "gnuplot not found"), "%s", r.out);
	cr_expect(exists(tpath("m.gp")));
	free(r.out);
}

Test(plot_cli, usage_errors)
{
	static const char *const bad[][8] = {
	    {"--x", "a", "--y", "b", NULL}, /* no CSV */
	    {"R", "--y", "b", NULL},        /* no --x */
	    {"R", "--x", "a", NULL},        /* no --y */
	    {"R", "--heatmap", "--x", "a", "--y", "b", NULL},
	    {"R", "--x", "a", "--y", "b", "--format", "pdf", NULL},
	    {"R", "--x", "a", "--y", "b", "--bogus", NULL},
	    {"R", "--x", NULL},
	};
	const char *csv = results();
	for (size_t i = 0; i < IOM_ARRAY_SIZE(bad); i++) {
		const char *a[8];
		for (size_t k = 0; k < 8; k++)
			a[k] = bad[i][k] && !strcmp(bad[i][k], "R") ? csv : bad[i][k];
		struct run r = plot_run(NULL, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], NULL);
		cr_expect_eq(r.status, 1, "case %zu: %s", i, r.out);
		free(r.out);
	}
}

Test(plot_cli, bad_input_exit_codes)
{
	struct run r = plot_run(NULL, tpath("none.csv"), "--x", "a", "--y", "b", NULL);
	cr_expect_eq(r.status, 3, "%s", r.out);
	free(r.out);
	spits(tpath("bad.csv"), "a,b\n1,2,3\n");
	r = plot_run(NULL, tpath("bad.csv"), "--x", "a", "--y", "b", NULL);
	cr_expect_eq(r.status, 2, "%s", r.out);
	cr_expect_not_null(strstr(r.out, "bad.csv:2: 3 fields, the header has 2"), "%s", r.out);
	free(r.out);
}
