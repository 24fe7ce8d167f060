/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_sweep_cli.c - `iommusim sweep` and `iommusim merge` as a user runs
 * them: the real binary, its exit codes (docs/cli.md, docs/sweeps.md), the
 * GNU parallel path run for real (--emit parallel, `parallel --jobs 2`,
 * merge), the Slurm script, the missing-gnuplot path, and a point's result
 * being exactly the `iommusim replay --json` document.
 */
#include "sweep-test.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

TestSuite(sweep_cli, .init = tt_setup, .fini = tt_teardown, .timeout = 120);

struct run {
	int status; /* exit code, -1 if killed */
	char *out;  /* stdout + stderr */
};

/* Runs a shell command line (cd'ed into tmpdir) and captures its output. */
static struct run sh(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static struct run sh(const char *fmt, ...)
{
	char *cmd, *full;
	va_list ap;
	va_start(ap, fmt);
	cr_assert_geq(vasprintf(&cmd, fmt, ap), 0);
	va_end(ap);
	cr_assert_geq(asprintf(&full, "cd '%s' && { %s ; } > out.txt 2>&1", tmpdir, cmd), 0);
	int st = system(full);
	free(cmd);
	free(full);
	struct run r = {.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1};
	size_t len;
	r.out = slurp(tpath("out.txt"), &len);
	return r;
}

#define B "'" IOMMUSIM "'"

static const char grid[] = "name: g\n"
			   "traces: [%s]\n"
			   "axes:\n"
			   "  - {key: smmu.tlb.entries, values: [64, 128]}\n"
			   "  - {key: smmu.walk_cache.entries, values: [0, 32, 64]}\n"
			   "stats: [smmu0.tlb.hit_rate, smmu0.walks, smmu0.miss_latency_ps.p99]\n";

static void expect_run(struct run r, int code, const char *what)
{
	cr_expect_eq(r.status, code, "exit %d, want %d: %s", r.status, code, r.out);
	if (what)
		cr_expect(strstr(r.out, what) != NULL, "'%s' not in: %s", what, r.out);
	free(r.out);
}

Test(sweep_cli, gnu_parallel_job_list_then_merge_equals_the_single_run)
{
	st_write("g.yaml", grid, SMALL);
	expect_run(sh(B " sweep g.yaml --out single --jobs 2"), 0, "6 ok, 0 failed");
	expect_run(sh(B " sweep g.yaml --out par --emit parallel"), 0, "6 of 6 points to run");
	size_t n;
	char **l = st_lines(tpath("par/jobs.txt"), &n);
	cr_expect_eq(n, 6, "jobs.txt has %zu lines", n);
	for (size_t i = 0; i < n; i++) {
		char want[32];
		snprintf(want, sizeof(want), " --point %zu", i);
		cr_expect(strstr(l[i], want) != NULL && strstr(l[i], "' sweep '") != NULL, "%s",
			  l[i]);
		cr_expect(l[i][0] == '\'' && strstr(l[i], "/g.yaml' --out '") != NULL, "%s", l[i]);
	}
	st_free_lines(l, n);
	/* GNU parallel for real, from another folder: the lines hold absolute paths */
	expect_run(sh("cd / && parallel --jobs 2 < '%s/par/jobs.txt'", tmpdir), 0, NULL);
	expect_run(sh(B " merge g.yaml --out par"), 0, "6 ok, 0 failed, 0 missing");
	cr_expect(st_same_file(tpath("single/results.csv"), tpath("par/results.csv")),
		  "CSV after parallel + merge differs from the single run");
	/* nothing left to run: an empty job list */
	expect_run(sh(B " sweep g.yaml --out par --emit parallel"), 0,
		   "0 of 6 points to run (6 done before)");
	size_t len;
	free(slurp(tpath("par/jobs.txt"), &len));
	cr_expect_eq(len, 0);
}

Test(sweep_cli, split_hosts_merge_with_from_equals_the_single_run)
{
	st_write("g.yaml", grid, SMALL);
	expect_run(sh(B " sweep g.yaml --out single --quiet"), 0, NULL);
	expect_run(
	    sh("for i in 0 1 2; do " B " sweep g.yaml --out hostA --point $i || exit 9; done"), 0,
	    NULL);
	expect_run(
	    sh("for i in 3 4 5; do " B " sweep g.yaml --out hostB --point $i || exit 9; done"), 0,
	    NULL);
	expect_run(sh(B " merge g.yaml --out all --from hostA --from hostB/points"), 0,
		   "6 ok, 0 failed, 0 missing (6 copied in)");
	cr_expect(st_same_file(tpath("single/results.csv"), tpath("all/results.csv")));
	/* one host's results only: the rest is missing, exit 3, and listed */
	expect_run(sh(B " merge g.yaml --out part --from hostA"), 3,
		   "merge: point 5 (smmu.tlb.entries=128");
}

Test(sweep_cli, slurm_script_is_an_array_over_the_points_left)
{
	st_write("g.yaml", grid, SMALL);
	expect_run(sh(B " sweep g.yaml --out o --emit slurm"), 0, "submit:");
	size_t len;
	char *s = slurp(tpath("o/sweep.sbatch"), &len);
	cr_expect(strncmp(s, "#!/bin/bash\n", 12) == 0, "%s", s);
	cr_expect(strstr(s, "\n#SBATCH --array=0-5\n") != NULL, "%s", s);
	cr_expect(strstr(s, "--point \"$SLURM_ARRAY_TASK_ID\"\n") != NULL, "%s", s);
	free(s);
	/* run points 1 and 4 as two array tasks would, then emit again */
	expect_run(sh("SLURM_ARRAY_TASK_ID=1 bash o/sweep.sbatch &&"
		      " SLURM_ARRAY_TASK_ID=4 bash o/sweep.sbatch"),
		   0, NULL);
	expect_run(sh(B " sweep g.yaml --out o --emit slurm"), 0,
		   "4 of 6 points to run (2 done before)");
	s = slurp(tpath("o/sweep.sbatch"), &len);
	cr_expect(strstr(s, "\n#SBATCH --array=0,2-3,5\n") != NULL, "%s", s);
	free(s);
}

Test(sweep_cli, point_result_is_exactly_the_replay_json)
{
	st_write("one.yaml",
		 "traces: [%s]\nseeds: [5]\naxes: [{key: smmu.tlb.entries, values: [256]}]\n"
		 "stats: [smmu0.walks]\n",
		 SMALL);
	expect_run(sh(B " sweep one.yaml --out o --quiet"), 0, NULL);
	expect_run(
	    sh(B
	       " replay '%s' --set smmu.tlb.entries=256 --set system.seed=5 --json r.json --quiet",
	       SMALL),
	    0, NULL);
	size_t n;
	char **l = st_lines(tpath("o/results.csv"), &n);
	char *key = st_cell(l, n, 1, 2);
	char path[64];
	snprintf(path, sizeof(path), "o/points/%.32s.json", key);
	cr_expect(st_same_file(tpath("r.json"), tpath(path)),
		  "points/KEY.json differs from replay --json");
	free(key);
	st_free_lines(l, n);
}

Test(sweep_cli, dry_run_lists_points_and_runs_nothing)
{
	st_write("g.yaml", grid, SMALL);
	struct run r = sh(B " sweep g.yaml --out o --dry-run");
	cr_expect_eq(r.status, 0, "%s", r.out);
	cr_expect(strstr(r.out, "6 points = 1 trace(s) x 1 seed(s) x 6 grid combination(s)") !=
		      NULL,
		  "%s", r.out);
	cr_expect(strstr(r.out, "\n5\ttodo\t") != NULL, "%s", r.out);
	cr_expect(strstr(r.out, "smmu.tlb.entries=128 smmu.walk_cache.entries=64\n") != NULL, "%s",
		  r.out);
	free(r.out);
	cr_expect(access(tpath("o"), F_OK) != 0, "--dry-run created the result folder");
}

Test(sweep_cli, bad_inputs_exit_with_their_class)
{
	st_write(
	    "key.yaml",
	    "traces: [%s]\naxes: [{key: smmu.tlb.entriez, values: [1]}]\nstats: [smmu0.walks]\n",
	    SMALL);
	struct run r = sh(B " sweep key.yaml");
	cr_expect_eq(r.status, 2, "%s", r.out);
	cr_expect(
	    strncmp(r.out, "iommusim: error: key.yaml:2:14: axes[0]: unknown config key", 59) == 0,
	    "the error comes first: %s", r.out);
	cr_expect(strstr(r.out, "\n  smmu.tlb.entries ") != NULL, "valid keys not listed: %s",
		  r.out);
	free(r.out);
	st_write(
	    "empty.yaml",
	    "traces: [%s]\naxes: [{key: smmu.tlb.entries, values: []}]\nstats: [smmu0.walks]\n",
	    SMALL);
	expect_run(sh(B " sweep empty.yaml"), 2,
		   "empty.yaml:2:40: axis 'smmu.tlb.entries': empty value list");
	st_write("tr.yaml", "traces: [nope.trace]\nstats: [smmu0.walks]\n");
	expect_run(sh(B " sweep tr.yaml"), 3, "tr.yaml:1:10: trace 'nope.trace': cannot open");
	expect_run(sh(B " sweep missing.yaml"), 3, "cannot open 'missing.yaml'");
	expect_run(sh(B " sweep"), 1, "no sweep file given");
	expect_run(sh(B " sweep g.yaml --emit pbs"), 1, "expected parallel or slurm");
	expect_run(sh(B " merge g.yaml --jobs 2"), 1, "unknown option");
	st_write("g.yaml", grid, SMALL);
	expect_run(sh(B " sweep g.yaml --point 6"), 2, "point 6 does not exist");
	expect_run(sh(B " merge g.yaml --from nowhere"), 3, "merge --from 'nowhere'");
}

Test(sweep_cli, failing_point_does_not_stop_the_others_and_sets_the_exit_code)
{
	st_write("oor.yaml",
		 "traces: [%s]\naxes: [{key: smmu.tlb.ways, values: [4, 99999999999, 8]}]\n"
		 "stats: [smmu0.walks]\n",
		 SMALL);
	struct run r = sh(B " sweep oor.yaml --out o --jobs 2");
	cr_expect_eq(r.status, 2, "%s", r.out);
	cr_expect(strstr(r.out, "sweep: failed: oor.yaml: point 1 (smmu.tlb.ways=99999999999") !=
		      NULL,
		  "%s", r.out);
	cr_expect(strstr(r.out, "2 ok, 1 failed") != NULL, "%s", r.out);
	free(r.out);
	size_t n;
	char **l = st_lines(tpath("o/results.csv"), &n);
	cr_expect_eq(n, 4);
	st_expect_cell(l, n, 2, 1, "failed");
	st_free_lines(l, n);
	/* the job of the failed point exits 2 as well */
	expect_run(sh(B " sweep oor.yaml --out o --point 1"), 2, "sweep: failed:");
	expect_run(sh(B " sweep oor.yaml --out o --point 2"), 0, NULL);
}

Test(sweep_cli, missing_gnuplot_keeps_the_csv_and_the_scripts)
{
	st_write("p.yaml",
		 "traces: [%s]\naxes: [{key: smmu.tlb.entries, values: [64, 128]}]\n"
		 "stats: [smmu0.walks]\n"
		 "plots: [{name: walks, x: smmu.tlb.entries, y: [smmu0.walks], formats: [svg]}]\n",
		 SMALL);
	expect_run(sh("IOMMUSIM_GNUPLOT=/nonexistent/gnuplot " B " sweep p.yaml --out o"), 0,
		   "gnuplot not found; CSV and .gp scripts written");
	cr_expect(access(tpath("o/results.csv"), F_OK) == 0);
	cr_expect(access(tpath("o/walks.gp"), F_OK) == 0);
	cr_expect(access(tpath("o/walks.svg"), F_OK) != 0);
}

Test(sweep_cli, plots_are_rendered_when_gnuplot_is_there)
{
	if (system("command -v gnuplot > /dev/null 2>&1") != 0)
		cr_skip_test("gnuplot is not installed");
	st_write("p.yaml",
		 "traces: [%s]\naxes: [{key: smmu.tlb.entries, values: [64, 128]}]\n"
		 "stats: [smmu0.walks]\n"
		 "plots: [{name: walks, x: smmu.tlb.entries, y: [smmu0.walks], formats: [svg]}]\n",
		 SMALL);
	expect_run(sh(B " sweep p.yaml --out o"), 0, NULL);
	cr_expect(access(tpath("o/walks.svg"), F_OK) == 0);
	expect_run(sh(B " sweep p.yaml --out o2 --no-plots"), 0, NULL);
	cr_expect(access(tpath("o2/walks.gp"), F_OK) != 0);
}
