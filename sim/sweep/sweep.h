/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sweep.h - parameter sweeps: one system configuration varied over axes of
 * config keys, crossed with traces and seeds, each point replayed in its own
 * worker process, results cached by content so a sweep resumes.
 *
 * A sweep file (YAML, docs/sweeps.md) names a base configuration, fixed
 * overrides, traces, axes over any "<section>.<key>" of the property tables
 * (value lists, linear ranges, log ranges; combined as a grid or zipped),
 * seeds, the statistics to collect and optional plots.  Points are numbered
 * in expansion order: trace outermost, then seed, then the axes in file order
 * with the last axis fastest.
 *
 * Each point's result is the `iommusim replay --json` document, stored as
 * DIR/points/<KEY>.json, where KEY hashes the point's resolved configuration
 * and its trace's bytes: a finished point is never re-run, a changed one is.
 * A failed point leaves DIR/points/<KEY>.err (one line: exit code, class,
 * message) and is retried next time.  From the per-point files alone,
 * DIR/results.csv and DIR/results.columns.json are written (the contract is
 * in docs/sweeps.md), so results merged from many machines give the same CSV
 * as one run.
 *
 * Errors: functions return 0 or -IOM_E* with err set for problems of the
 * sweep as a whole (bad sweep file, unreadable trace, unwritable DIR).  A
 * failing point is not such an error: it is counted in struct
 * iom_sweep_counts (worst_exit says how badly) and the others go on.
 *
 * Not thread-safe; iom_sweep_run() forks worker processes and reaps them with
 * waitpid(-1), so call it from a process with no other threads running and no
 * other children of its own to wait for.
 */
#ifndef IOM_SIM_SWEEP_H
#define IOM_SIM_SWEEP_H

#include "iom.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

struct iom_sweep;

/* Parse and validate a sweep file: keys, axes, traces readable, stat names
 * known (checked against a system built from the base configuration), plot
 * columns known.  Errors are "FILE:LINE:COL: ...".  Lists too long for the
 * one-line message (every valid config key for an unknown axis key, every
 * stat name for an unknown stat) go to `diag` when not NULL. */
struct iom_sweep *iom_sweep_load(const char *path, FILE *diag, struct iom_err *err);
void iom_sweep_destroy(struct iom_sweep *sw);

const char *iom_sweep_name(const struct iom_sweep *sw);
size_t iom_sweep_npoints(const struct iom_sweep *sw);
/* Default result directory: "sweep-<name>" (relative to the current directory). */
const char *iom_sweep_default_out(const struct iom_sweep *sw);

/* Where a point's result stands. */
enum iom_sweep_status {
	IOM_SWEEP_TODO = 0, /* not run yet (no .json, no .err) */
	IOM_SWEEP_OK,       /* DIR/points/<KEY>.json exists */
	IOM_SWEEP_FAILED,   /* failed: DIR/points/<KEY>.err (this run or an earlier one) */
};

struct iom_sweep_opts {
	const char *out_dir; /* NULL: iom_sweep_default_out() */
	unsigned jobs;       /* worker processes; 0: the sweep file's `jobs`, else online CPUs */
	bool progress;       /* progress line on `log` ("\r" redrawn) */
	FILE *log;           /* failures, resume count, plot notes; NULL: silent */
	bool no_plots;       /* skip the plots section */
};

/* What a run, a merge or an emit found and did. */
struct iom_sweep_counts {
	size_t points;      /* points in the sweep */
	size_t done_before; /* already finished when the command started (skipped) */
	size_t ran;         /* run by this command (ok + failed) */
	size_t copied;      /* merge: results copied in from the --from folders */
	size_t ok;          /* results present at the end */
	size_t failed;      /* points whose result is an error at the end */
	size_t missing;     /* merge: neither a result nor an error found */
	size_t same_key;    /* points with the same KEY as an earlier point (one run serves both) */
	size_t to_run;      /* emit: points written to the job list */
	size_t plots, plots_failed; /* plots rendered / not rendered */
	bool gnuplot_missing;
	/* Worst outcome as an exit code (docs/cli.md): 0 all ok; else the
	 * largest of the failed points' codes (2 bad input, 3 I/O, 4 not
	 * implemented, 5 internal), 3 when a point is missing. */
	int worst_exit;
};

/* Run every point not finished yet (up to `jobs` at once), then write the
 * CSV, the column metadata and the plots. 0 even when points failed (see
 * counts->worst_exit); -IOM_E* for a failure of the sweep itself. */
int iom_sweep_run(struct iom_sweep *sw, const struct iom_sweep_opts *o, struct iom_sweep_counts *c,
		  struct iom_err *err);

/* Run point `index` in this process (what a job-list line does); writes its
 * .json or .err, and no CSV. Skipped when finished before. counts as above. */
int iom_sweep_run_point(struct iom_sweep *sw, size_t index, const struct iom_sweep_opts *o,
			struct iom_sweep_counts *c, struct iom_err *err);

enum iom_sweep_emit { IOM_SWEEP_EMIT_PARALLEL = 0, IOM_SWEEP_EMIT_SLURM };

/* Write DIR/jobs.txt (GNU parallel: one shell command per point still to
 * run) or DIR/sweep.sbatch (a Slurm array over those points).  `exe` is the
 * absolute path of the iommusim binary the jobs run.  Instructions on how to
 * run them are printed on `how` (NULL: none). */
int iom_sweep_emit(struct iom_sweep *sw, enum iom_sweep_emit kind, const char *exe,
		   const struct iom_sweep_opts *o, FILE *how, struct iom_sweep_counts *c,
		   struct iom_err *err);

/* Copy the point results (.json, else .err) found in each of `from`
 * (a result directory or its points/ folder) into DIR/points, then write
 * the CSV, the columns and the plots as a run does. Points found nowhere
 * are "missing" in the CSV and listed on o->log. */
int iom_sweep_merge(struct iom_sweep *sw, const struct iom_sweep_opts *o, const char *const *from,
		    size_t nfrom, struct iom_sweep_counts *c, struct iom_err *err);

/* List the points (index, status in DIR, key, trace, seed, axis settings)
 * without running anything. */
int iom_sweep_list(struct iom_sweep *sw, const struct iom_sweep_opts *o, FILE *f,
		   struct iom_err *err);

/* Key of point `index` (32 hex digits + NUL) and its status in o->out_dir. */
int iom_sweep_point_key(struct iom_sweep *sw, size_t index, char key[33], struct iom_err *err);
enum iom_sweep_status iom_sweep_point_status(struct iom_sweep *sw, const struct iom_sweep_opts *o,
					     size_t index);

/* Exit code (docs/cli.md) for an IOM_E* code, as the command uses. */
int iom_sweep_exit_code(int code);

#ifdef __cplusplus
}
#endif
#endif
