/* SPDX-License-Identifier: Apache-2.0 */
/*
 * run.c - running a sweep: resume, worker processes, progress; the job
 * lists for GNU parallel and Slurm; merging results from other folders.
 *
 * Resume: a point whose DIR/points/<KEY>.json exists is done and never run
 * again; a failed point (only a .err) is retried.  Points with the same KEY
 * (the same resolved configuration and trace bytes) run once.
 *
 * Workers: fork() up to `jobs` children; each replays one point in its own
 * address space (a crash loses that point only), writes its .json or .err
 * and exits with the command's exit code for its outcome.  The parent only
 * keys points, waits and draws the progress line, then writes the CSV from
 * the files (results.c).
 */
#include "sweep-int.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double sw_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- progress line ---------------------------------------------------------- */

struct sw_progress {
	FILE *f; /* NULL: no line */
	size_t total, done, failed;
	double t0;
	bool drawn;
};

static void sw_progress_draw(struct sw_progress *p)
{
	if (!p->f)
		return;
	double el = sw_now() - p->t0;
	double rate = el > 0 ? (double)p->done / el : 0;
	char eta[32] = "-";
	if (rate > 0 && p->done < p->total) {
		unsigned long s = (unsigned long)((double)(p->total - p->done) / rate + 0.5);
		if (s >= 3600)
			snprintf(eta, sizeof(eta), "%lu:%02lu:%02lu", s / 3600, s / 60 % 60,
				 s % 60);
		else
			snprintf(eta, sizeof(eta), "%lu:%02lu", s / 60, s % 60);
	} else if (p->done == p->total) {
		snprintf(eta, sizeof(eta), "0:00");
	}
	fprintf(p->f, "\rsweep: %zu/%zu points, %zu failed, %.1f points/s, ETA %s   ", p->done,
		p->total, p->failed, rate, eta);
	fflush(p->f);
	p->drawn = true;
}

static void sw_progress_clear(struct sw_progress *p)
{
	if (p->f && p->drawn) {
		fprintf(p->f, "\r%78s\r", "");
		fflush(p->f);
		p->drawn = false;
	}
}

/* A message on the log; clears the progress line, which the caller redraws. */
static void sw_note(struct sw_progress *p, FILE *log, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void sw_note(struct sw_progress *p, FILE *log, const char *fmt, ...)
{
	if (!log)
		return;
	if (p)
		sw_progress_clear(p);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(log, fmt, ap);
	va_end(ap);
	fflush(log);
}

/* ---- shared steps -------------------------------------------------------- */

static int sw_prepare(struct iom_sweep *sw, const struct iom_sweep_opts *o, bool mkdirs,
		      struct iom_sweep_counts *c, struct iom_err *err)
{
	memset(c, 0, sizeof(*c));
	c->points = sw->npoints;
	if (mkdirs) {
		char dir[4096];
		snprintf(dir, sizeof(dir), "%s/points", sw_out_dir(sw, o));
		int r = sw_mkdirs(dir, err);
		if (r)
			return r;
	}
	for (size_t i = 0; i < sw->npoints; i++) {
		int r = sw_point_resolve(sw, i, err);
		if (r)
			return r;
	}
	return 0;
}

static int sw_key_cmp(const void *a, const void *b, void *arg)
{
	const struct iom_sweep *sw = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int k = strcmp(sw->pts[i].key, sw->pts[j].key);
	return k ? k : (i > j) - (i < j);
}

/* first[i] = the lowest point index with point i's key. */
static size_t *sw_first_same_key(const struct iom_sweep *sw, struct iom_sweep_counts *c)
{
	size_t n = sw->npoints;
	size_t *order = malloc(n * sizeof(*order)), *first = malloc(n * sizeof(*first));
	if (!order || !first) {
		free(order);
		free(first);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof(*order), sw_key_cmp, (void *)sw);
	for (size_t k = 0; k < n; k++) {
		bool same = k && !strcmp(sw->pts[order[k]].key, sw->pts[order[k - 1]].key);
		first[order[k]] = same ? first[order[k - 1]] : order[k];
		if (same)
			c->same_key++;
	}
	free(order);
	return first;
}

static bool sw_done(const struct iom_sweep *sw, const char *out, size_t i)
{
	char path[4096];
	sw_point_file(out, sw->pts[i].key, "json", path, sizeof(path));
	return sw_exists(path);
}

enum iom_sweep_status iom_sweep_point_status(struct iom_sweep *sw, const struct iom_sweep_opts *o,
					     size_t index)
{
	struct iom_err e;
	char path[4096];
	if (index >= sw->npoints || sw_point_resolve(sw, index, &e))
		return IOM_SWEEP_TODO;
	if (sw_done(sw, sw_out_dir(sw, o), index))
		return IOM_SWEEP_OK;
	sw_point_file(sw_out_dir(sw, o), sw->pts[index].key, "err", path, sizeof(path));
	return sw_exists(path) ? IOM_SWEEP_FAILED : IOM_SWEEP_TODO;
}

/* Points still to run: not done, and the first of their key. */
static size_t *sw_todo(struct iom_sweep *sw, const char *out, struct iom_sweep_counts *c,
		       size_t *ntodo, struct iom_err *err)
{
	size_t *first = sw_first_same_key(sw, c);
	size_t *todo = malloc((sw->npoints ? sw->npoints : 1) * sizeof(*todo));
	*ntodo = 0;
	if (!first || !todo) {
		free(first);
		free(todo);
		iom_err_set(err, IOM_ENOMEM, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < sw->npoints; i++) {
		if (sw_done(sw, out, i))
			c->done_before++;
		else if (first[i] == i)
			todo[(*ntodo)++] = i;
	}
	free(first);
	return todo;
}

static unsigned sw_jobs(const struct iom_sweep *sw, const struct iom_sweep_opts *o)
{
	if (o && o->jobs)
		return o->jobs;
	if (sw->jobs)
		return sw->jobs;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

/* The message of a failed point, from its .err (written by the worker). */
static void sw_failure(struct iom_sweep *sw, const char *out, size_t i, int status,
		       struct sw_progress *p, FILE *log)
{
	char path[4096], msg[IOM_ERR_MSG_MAX];
	int ex;
	sw_point_file(out, sw->pts[i].key, "err", path, sizeof(path));
	bool have = !sw_read_err(path, &ex, msg, sizeof(msg));
	if (!have || WIFSIGNALED(status)) {
		struct iom_err e;
		if (WIFSIGNALED(status))
			snprintf(msg, sizeof(msg), "%s: point %zu: worker killed by signal %d (%s)",
				 sw->path, i, WTERMSIG(status), strsignal(WTERMSIG(status)));
		else
			snprintf(msg, sizeof(msg),
				 "%s: point %zu: worker exited with status %d and no message",
				 sw->path, i, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		if (sw_point_write_err(sw, i, out, IOM_ENOMEM, msg, &e))
			sw_note(p, log, "sweep: %s\n", e.msg);
	}
	sw_note(p, log, "sweep: failed: %s\n", msg);
}

struct sw_worker {
	pid_t pid;
	size_t idx;
};

/* Runs the points of todo[] in up to `jobs` children. -IOM_EIO if fork fails
 * (the running children are waited for first). */
static int sw_run_workers(struct iom_sweep *sw, const char *out, const size_t *todo, size_t ntodo,
			  unsigned jobs, struct sw_progress *p, FILE *log,
			  struct iom_sweep_counts *c, struct iom_err *err)
{
	struct sw_worker *w = calloc(jobs, sizeof(*w));
	if (!w)
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	size_t next = 0, running = 0;
	int r = 0;
	while ((next < ntodo && !r) || running) {
		while (!r && running < jobs && next < ntodo) {
			size_t i = todo[next++];
			if (sw->pts[i].code) { /* rejected configuration: nothing to fork for */
				struct iom_err e;
				sw_point_exec(sw, i, out, &e);
				c->ran++;
				p->done++;
				p->failed++;
				sw_note(p, log, "sweep: failed: %s\n", e.msg);
				sw_progress_draw(p);
				continue;
			}
			fflush(NULL);
			pid_t pid = fork();
			if (pid < 0) {
				r = iom_err_set(err, IOM_EIO, "cannot start a worker: %s",
						strerror(errno));
				break;
			}
			if (pid == 0) {
				struct iom_err e;
				int pr = sw_point_exec(sw, i, out, &e);
				_exit(iom_sweep_exit_code(pr));
			}
			for (unsigned k = 0; k < jobs; k++) {
				if (!w[k].pid) {
					w[k] = (struct sw_worker){pid, i};
					break;
				}
			}
			running++;
		}
		if (!running)
			continue;
		int st;
		pid_t pid = waitpid(-1, &st, 0);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			r = iom_err_set(err, IOM_EIO, "waiting for workers: %s", strerror(errno));
			break;
		}
		for (unsigned k = 0; k < jobs; k++) {
			if (w[k].pid != pid)
				continue;
			w[k].pid = 0;
			running--;
			c->ran++;
			p->done++;
			if (!WIFEXITED(st) || WEXITSTATUS(st)) {
				p->failed++;
				sw_failure(sw, out, w[k].idx, st, p, log);
			}
			sw_progress_draw(p);
		}
	}
	free(w);
	return r;
}

int iom_sweep_run(struct iom_sweep *sw, const struct iom_sweep_opts *o, struct iom_sweep_counts *c,
		  struct iom_err *err)
{
	const char *out = sw_out_dir(sw, o);
	FILE *log = o ? o->log : NULL;
	int r = sw_prepare(sw, o, true, c, err);
	if (r)
		return r;
	size_t ntodo;
	size_t *todo = sw_todo(sw, out, c, &ntodo, err);
	if (!todo)
		return -IOM_ENOMEM;
	struct sw_progress p = {.f = o && o->progress ? log : NULL, .total = ntodo, .t0 = sw_now()};
	if (c->done_before)
		sw_note(NULL, log, "sweep: resumed: %zu of %zu points done before\n",
			c->done_before, sw->npoints);
	if (ntodo) {
		sw_progress_draw(&p);
		r = sw_run_workers(sw, out, todo, ntodo, sw_jobs(sw, o), &p, log, c, err);
		sw_progress_clear(&p);
	}
	free(todo);
	if (!r)
		r = sw_write_results(sw, o, c, err);
	if (!r)
		sw_render_plots(sw, o, c);
	return r;
}

int iom_sweep_run_point(struct iom_sweep *sw, size_t index, const struct iom_sweep_opts *o,
			struct iom_sweep_counts *c, struct iom_err *err)
{
	memset(c, 0, sizeof(*c));
	c->points = sw->npoints;
	if (index >= sw->npoints)
		return iom_err_set(err, IOM_ERANGE,
				   "%s: point %zu does not exist (the sweep has %zu, 0 to %zu)",
				   sw->path, index, sw->npoints, sw->npoints ? sw->npoints - 1 : 0);
	const char *out = sw_out_dir(sw, o);
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/points", out);
	int r = sw_mkdirs(dir, err);
	if (!r)
		r = sw_point_resolve(sw, index, err);
	if (r)
		return r;
	if (sw_done(sw, out, index)) {
		c->done_before = c->ok = 1;
		return 0;
	}
	struct iom_err e;
	c->ran = 1;
	r = sw_point_exec(sw, index, out, &e);
	if (!r) {
		c->ok = 1;
		return 0;
	}
	c->failed = 1;
	c->worst_exit = iom_sweep_exit_code(r);
	sw_note(NULL, o ? o->log : NULL, "sweep: failed: %s\n", e.msg);
	return 0;
}

/* ---- job lists ------------------------------------------------------------- */

/* Shell single-quoting. */
static void sw_shq(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

/* "0-2,5,7-9" */
static void sw_ranges(FILE *f, const size_t *v, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && v[j + 1] == v[j] + 1)
			j++;
		fprintf(f, "%s%zu", i ? "," : "", v[i]);
		if (j > i)
			fprintf(f, "-%zu", v[j]);
		i = j + 1;
	}
}

static int sw_abs(const char *path, char *out, struct iom_err *err)
{
	if (!realpath(path, out))
		return iom_err_set(err, IOM_EIO, "cannot resolve '%s': %s", path, strerror(errno));
	return 0;
}

int iom_sweep_emit(struct iom_sweep *sw, enum iom_sweep_emit kind, const char *exe,
		   const struct iom_sweep_opts *o, FILE *how, struct iom_sweep_counts *c,
		   struct iom_err *err)
{
	const char *out = sw_out_dir(sw, o);
	char aout[PATH_MAX], asweep[PATH_MAX], path[PATH_MAX + 64];
	int r = sw_prepare(sw, o, true, c, err);
	if (!r)
		r = sw_abs(out, aout, err);
	if (!r)
		r = sw_abs(sw->path, asweep, err);
	if (r)
		return r;
	size_t ntodo;
	size_t *todo = sw_todo(sw, out, c, &ntodo, err);
	if (!todo)
		return -IOM_ENOMEM;
	c->to_run = ntodo;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f) {
		free(todo);
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	}
	if (kind == IOM_SWEEP_EMIT_PARALLEL) {
		for (size_t k = 0; k < ntodo; k++) {
			sw_shq(f, exe);
			fputs(" sweep ", f);
			sw_shq(f, asweep);
			fputs(" --out ", f);
			sw_shq(f, aout);
			fprintf(f, " --point %zu\n", todo[k]);
		}
		snprintf(path, sizeof(path), "%s/jobs.txt", aout);
	} else {
		snprintf(path, sizeof(path), "%s/sweep.sbatch", aout);
		fprintf(f,
			"#!/bin/bash\n"
			"# iommusim sweep '%s': %zu of %zu points to run, one array task each.\n"
			"# Written by 'iommusim sweep --emit slurm'; submit with: sbatch %s\n"
			"# then collect the results: iommusim merge %s --out %s\n"
			"#SBATCH --job-name=iommusim-%s\n"
			"#SBATCH --array=",
			sw->name, ntodo, sw->npoints, path, asweep, aout, sw->name);
		sw_ranges(f, todo, ntodo);
		fprintf(f, "\n#SBATCH --ntasks=1\n#SBATCH --output=%s/slurm/%%A_%%a.log\n", aout);
		fputs("exec ", f);
		sw_shq(f, exe);
		fputs(" sweep ", f);
		sw_shq(f, asweep);
		fputs(" --out ", f);
		sw_shq(f, aout);
		fputs(" --point \"$SLURM_ARRAY_TASK_ID\"\n", f);
	}
	if (fclose(f))
		r = iom_err_set(err, IOM_ENOMEM, "out of memory");
	if (!r && kind == IOM_SWEEP_EMIT_SLURM && !ntodo) {
		if (how)
			fprintf(how,
				"sweep %s: all %zu points are done; nothing to submit.\n"
				"collect them: iommusim merge %s --out %s\n",
				sw->name, sw->npoints, sw->path, out);
		free(text);
		free(todo);
		return 0;
	}
	if (!r && kind == IOM_SWEEP_EMIT_SLURM) {
		char sdir[PATH_MAX + 16];
		snprintf(sdir, sizeof(sdir), "%s/slurm", aout);
		r = sw_mkdirs(sdir, err);
	}
	if (!r)
		r = sw_write_atomic(path, text, strlen(text), err);
	free(text);
	free(todo);
	if (r || !how)
		return r;
	fprintf(how, "sweep %s: %zu of %zu points to run (%zu done before); wrote %s\n", sw->name,
		ntodo, sw->npoints, c->done_before, path);
	if (kind == IOM_SWEEP_EMIT_PARALLEL)
		fprintf(
		    how,
		    "run here:          parallel --jobs %u < %s\n"
		    "or across hosts:   parallel --sshloginfile HOSTS --workdir . < %s\n"
		    "                   (every host needs %s, the sweep file, its traces and %s\n"
		    "                   at the same paths; else merge each host's folder"
		    " with --from)\n",
		    sw_jobs(sw, o), path, path, exe, aout);
	else
		fprintf(how, "submit:            sbatch %s\n", path);
	fprintf(how, "then collect:      iommusim merge %s --out %s\n", sw->path, out);
	return 0;
}

/* ---- merge ----------------------------------------------------------------- */

/* DIR/points/KEY.ext or DIR/KEY.ext in a --from folder. */
static bool sw_find_in(const char *from, const char *key, const char *ext, char *path, size_t sz)
{
	snprintf(path, sz, "%s/points/%s.%s", from, key, ext);
	if (sw_exists(path))
		return true;
	snprintf(path, sz, "%s/%s.%s", from, key, ext);
	return sw_exists(path);
}

static int sw_merge_point(struct iom_sweep *sw, const char *out, const char *const *from,
			  size_t nfrom, size_t i, struct iom_sweep_counts *c, struct iom_err *err)
{
	char src[4096], dst[4096], derr[4096];
	const char *key = sw->pts[i].key;
	sw_point_file(out, key, "json", dst, sizeof(dst));
	sw_point_file(out, key, "err", derr, sizeof(derr));
	if (sw_exists(dst)) {
		c->done_before++;
		return 0;
	}
	for (size_t k = 0; k < nfrom; k++) {
		if (!sw_find_in(from[k], key, "json", src, sizeof(src)))
			continue;
		int r = sw_copy_file(src, dst, err);
		if (!r && unlink(derr) && errno != ENOENT)
			r = iom_err_set(err, IOM_EIO, "cannot remove '%s': %s", derr,
					strerror(errno));
		if (!r)
			c->copied++;
		return r;
	}
	if (sw_exists(derr))
		return 0;
	for (size_t k = 0; k < nfrom; k++)
		if (sw_find_in(from[k], key, "err", src, sizeof(src)))
			return sw_copy_file(src, derr, err);
	return 0;
}

int iom_sweep_merge(struct iom_sweep *sw, const struct iom_sweep_opts *o, const char *const *from,
		    size_t nfrom, struct iom_sweep_counts *c, struct iom_err *err)
{
	const char *out = sw_out_dir(sw, o);
	FILE *log = o ? o->log : NULL;
	for (size_t k = 0; k < nfrom; k++) {
		struct stat st;
		if (stat(from[k], &st))
			return iom_err_set(err, IOM_EIO, "merge --from '%s': %s", from[k],
					   strerror(errno));
		if (!S_ISDIR(st.st_mode))
			return iom_err_set(err, IOM_EIO, "merge --from '%s': not a folder",
					   from[k]);
	}
	int r = sw_prepare(sw, o, true, c, err);
	size_t *first = r ? NULL : sw_first_same_key(sw, c);
	if (!r && !first)
		r = iom_err_set(err, IOM_ENOMEM, "out of memory");
	for (size_t i = 0; !r && i < sw->npoints; i++)
		if (first[i] == i)
			r = sw_merge_point(sw, out, from, nfrom, i, c, err);
	free(first);
	if (!r)
		r = sw_write_results(sw, o, c, err);
	if (r)
		return r;
	for (size_t i = 0; log && i < sw->npoints; i++) {
		if (iom_sweep_point_status(sw, o, i) != IOM_SWEEP_TODO)
			continue;
		char set[512];
		sw_point_settings(sw, i, set, sizeof(set));
		fprintf(log, "merge: point %zu (%s) missing: no %s.json or .err in %s/points%s\n",
			i, set, sw->pts[i].key, out, nfrom ? " or the --from folders" : "");
	}
	sw_render_plots(sw, o, c);
	return 0;
}

/* ---- listing --------------------------------------------------------------- */

int iom_sweep_list(struct iom_sweep *sw, const struct iom_sweep_opts *o, FILE *f,
		   struct iom_err *err)
{
	struct iom_sweep_counts c;
	int r = sw_prepare(sw, o, false, &c, err);
	if (r)
		return r;
	static const char *const st[] = {"todo", "ok", "failed"};
	fprintf(f,
		"# sweep %s: %zu points = %zu trace(s) x %zu seed(s) x %zu %s combination(s);"
		" results in %s\n# point\tstatus\tkey\ttrace\tseed\tsettings\n",
		sw->name, sw->npoints, sw->ntraces, sw->nseeds ? sw->nseeds : 1, sw->ncombos,
		sw->combine == SW_ZIP ? "zipped" : "grid", sw_out_dir(sw, o));
	for (size_t i = 0; i < sw->npoints; i++) {
		char set[1024];
		size_t t, s;
		sw_point_coords(sw, i, &t, &s, NULL);
		sw_point_settings(sw, i, set, sizeof(set));
		fprintf(f, "%zu\t%s\t%s\t%s\t%s\t%s\n", i,
			sw->pts[i].code ? "rejected" : st[iom_sweep_point_status(sw, o, i)],
			sw->pts[i].key, sw->traces[t].name, sw->pts[i].seed, set);
		if (sw->pts[i].code)
			fprintf(f, "#   %s\n", sw->pts[i].msg);
	}
	return 0;
}
