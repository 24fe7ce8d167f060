/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_sweep.c - `iommusim sweep` and `iommusim merge` (sim/sweep, docs/sweeps.md). */
#include "cli.h"

#include "sweep.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char sweep_help[] =
    "usage: iommusim sweep [options] SWEEP.yaml\n"
    "\n"
    "Run every point of the parameter sweep SWEEP.yaml (traces x seeds x axes over\n"
    "config keys; docs/sweeps.md) in parallel worker processes, then write\n"
    "DIR/results.csv (one row per point), DIR/results.columns.json and the plots.\n"
    "Each point's result is DIR/points/KEY.json, keyed by its resolved configuration\n"
    "and trace: a finished point is never re-run, a changed one is, so an\n"
    "interrupted sweep resumes where it stopped.\n"
    "\n"
    "options:\n"
    "  --out DIR          result folder (default: sweep-NAME in the current folder)\n"
    "  --jobs N           worker processes (default: the file's 'jobs', else one per CPU)\n"
    "  --dry-run          list the points (index, status, key, trace, seed, settings)\n"
    "  --point N          run only point N, in this process, and write no CSV (job lists)\n"
    "  --emit parallel    write DIR/jobs.txt, one command per point still to run, for\n"
    "                     GNU parallel (locally or --sshloginfile); then 'iommusim merge'\n"
    "  --emit slurm       write DIR/sweep.sbatch, a Slurm array over those points\n"
    "  --no-plots         skip the file's plots\n"
    "  --progress / --no-progress\n"
    "                     progress line on stderr (default: on when stderr is a terminal)\n"
    "  --quiet            no summary on stdout\n"
    "  --help             this text\n"
    "\n"
    "exit codes: 0 every point ok; 1 usage; 2 bad input, 3 I/O error, 4 not implemented,\n"
    "5 internal -- for a bad sweep file, or else the worst of the failed points\n";

static const char merge_help[] =
    "usage: iommusim merge [options] SWEEP.yaml\n"
    "\n"
    "Collect the point results of SWEEP.yaml into DIR/points (copying them from\n"
    "each --from folder: result folders of other runs or hosts, or their points/),\n"
    "then write DIR/results.csv, DIR/results.columns.json and the plots, exactly\n"
    "as 'iommusim sweep' does. Points found nowhere are 'missing' in the CSV.\n"
    "\n"
    "options:\n"
    "  --out DIR          result folder (default: sweep-NAME in the current folder)\n"
    "  --from DIR         also take results from DIR (repeatable)\n"
    "  --no-plots         skip the file's plots\n"
    "  --quiet            no summary on stdout\n"
    "  --help             this text\n"
    "\n"
    "exit codes: 0 every point ok; 1 usage; 2 bad input, 3 I/O error (also: a point\n"
    "missing), 4 not implemented, 5 internal -- the worst over the points\n";

struct sweep_args {
	const char *file;
	struct iom_sweep_opts o;
	bool dry_run, quiet, have_point;
	const char *emit;
	uint64_t point;
	const char *from[64];
	size_t nfrom;
};

/* Common option parsing; `merge` accepts --from, `sweep` the rest. */
static int sweep_parse(const char *cmd, int argc, char **argv, struct sweep_args *a)
{
	bool merge = !strcmp(cmd, "merge");
	a->o.progress = isatty(2);
	a->o.log = stderr;
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		bool val = i + 1 < argc;
		if (!strcmp(s, "--help") || !strcmp(s, "-h")) {
			fputs(merge ? merge_help : sweep_help, stdout);
			return -1;
		} else if (!strcmp(s, "--out") && val) {
			a->o.out_dir = argv[++i];
		} else if (!strcmp(s, "--no-plots")) {
			a->o.no_plots = true;
		} else if (!strcmp(s, "--quiet")) {
			a->quiet = true;
		} else if (merge && !strcmp(s, "--from") && val) {
			if (a->nfrom == IOM_ARRAY_SIZE(a->from))
				return cli_usage_error(cmd, "too many --from folders (%s)",
						       argv[i + 1]);
			a->from[a->nfrom++] = argv[++i];
		} else if (!merge && !strcmp(s, "--jobs") && val) {
			uint64_t j;
			if (!cli_parse_u64(argv[++i], &j) || !j || j > 4096)
				return cli_usage_error(cmd, "bad --jobs '%s' (expected 1 to 4096)",
						       argv[i]);
			a->o.jobs = (unsigned)j;
		} else if (!merge && !strcmp(s, "--point") && val) {
			if (!cli_parse_u64(argv[++i], &a->point))
				return cli_usage_error(cmd, "bad --point '%s'", argv[i]);
			a->have_point = true;
		} else if (!merge && !strcmp(s, "--emit") && val) {
			a->emit = argv[++i];
			if (strcmp(a->emit, "parallel") && strcmp(a->emit, "slurm"))
				return cli_usage_error(
				    cmd, "--emit '%s': expected parallel or slurm", a->emit);
		} else if (!merge && !strcmp(s, "--dry-run")) {
			a->dry_run = true;
		} else if (!merge && !strcmp(s, "--progress")) {
			a->o.progress = true;
		} else if (!merge && !strcmp(s, "--no-progress")) {
			a->o.progress = false;
		} else if (s[0] == '-' && s[1]) {
			return cli_usage_error(cmd, "unknown option or missing value: %s", s);
		} else if (!a->file) {
			a->file = s;
		} else {
			return cli_usage_error(cmd, "more than one sweep file given (%s)", s);
		}
	}
	if (!a->file)
		return cli_usage_error(cmd, "%s", "no sweep file given");
	if (!!a->dry_run + !!a->have_point + !!a->emit > 1)
		return cli_usage_error(cmd, "%s",
				       "--dry-run, --point and --emit exclude each other");
	return 0;
}

static int sweep_emit(struct iom_sweep *sw, struct sweep_args *a)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	struct iom_err err = {0};
	struct iom_sweep_counts c;
	if (n <= 0) {
		iom_err_set(&err, IOM_EIO,
			    "cannot find the path of this iommusim (/proc/self/exe)");
		return cli_fail(&err);
	}
	exe[n] = 0;
	enum iom_sweep_emit kind =
	    strcmp(a->emit, "slurm") ? IOM_SWEEP_EMIT_PARALLEL : IOM_SWEEP_EMIT_SLURM;
	if (iom_sweep_emit(sw, kind, exe, &a->o, a->quiet ? NULL : stdout, &c, &err))
		return cli_fail(&err);
	return 0;
}

static void sweep_summary(const struct iom_sweep *sw, const struct sweep_args *a,
			  const struct iom_sweep_counts *c)
{
	const char *out = a->o.out_dir ? a->o.out_dir : iom_sweep_default_out(sw);
	printf("sweep %s: %zu points: %zu run, %zu done before, %zu ok, %zu failed",
	       iom_sweep_name(sw), c->points, c->ran, c->done_before, c->ok, c->failed);
	if (c->same_key)
		printf(", %zu sharing an earlier point's key", c->same_key);
	printf("; %s/results.csv\n", out);
	if (c->plots || c->plots_failed)
		printf("plots: %zu written, %zu failed\n", c->plots, c->plots_failed);
	if (c->failed)
		printf("failed points: see the messages above and %s/points/KEY.err\n", out);
}

/* Load the sweep file; on error print the message, then the lists that
 * explain it (valid keys, available stats). */
static struct iom_sweep *sweep_load(const char *path, int *rc)
{
	struct iom_err err = {0};
	char *diag = NULL;
	size_t len = 0;
	FILE *d = open_memstream(&diag, &len);
	struct iom_sweep *sw = iom_sweep_load(path, d, &err);
	if (d)
		fclose(d);
	if (!sw) {
		*rc = cli_fail(&err);
		if (diag)
			fputs(diag, stderr);
	}
	free(diag);
	return sw;
}

int cli_sweep(int argc, char **argv)
{
	struct sweep_args a = {0};
	int r = sweep_parse("sweep", argc, argv, &a);
	if (r)
		return r < 0 ? 0 : r;
	struct iom_err err = {0};
	struct iom_sweep *sw = sweep_load(a.file, &r);
	if (!sw)
		return r;
	struct iom_sweep_counts c = {0};
	if (a.emit) {
		r = sweep_emit(sw, &a);
	} else if (a.dry_run) {
		r = iom_sweep_list(sw, &a.o, stdout, &err) ? cli_fail(&err) : 0;
	} else if (a.have_point) {
		r = iom_sweep_run_point(sw, (size_t)a.point, &a.o, &c, &err) ? cli_fail(&err)
									     : c.worst_exit;
	} else if (iom_sweep_run(sw, &a.o, &c, &err)) {
		r = cli_fail(&err);
	} else {
		if (!a.quiet)
			sweep_summary(sw, &a, &c);
		r = c.worst_exit;
	}
	iom_sweep_destroy(sw);
	return r;
}

int cli_merge(int argc, char **argv)
{
	struct sweep_args a = {0};
	int r = sweep_parse("merge", argc, argv, &a);
	if (r)
		return r < 0 ? 0 : r;
	struct iom_err err = {0};
	struct iom_sweep *sw = sweep_load(a.file, &r);
	if (!sw)
		return r;
	struct iom_sweep_counts c = {0};
	if (iom_sweep_merge(sw, &a.o, a.from, a.nfrom, &c, &err)) {
		r = cli_fail(&err);
	} else {
		if (!a.quiet)
			printf(
			    "merge %s: %zu points: %zu ok, %zu failed, %zu missing (%zu copied in);"
			    " %s/results.csv\n",
			    iom_sweep_name(sw), c.points, c.ok, c.failed, c.missing, c.copied,
			    a.o.out_dir ? a.o.out_dir : iom_sweep_default_out(sw));
		r = c.worst_exit;
	}
	iom_sweep_destroy(sw);
	return r;
}
