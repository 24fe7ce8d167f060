/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plot.c - gnuplot figures from a results CSV (plot.h, docs/plots.md).
 *
 * What it does: checks a plot spec against the CSV's columns, looks at the
 * plotted rows (those with status "ok") to decide what the figure needs
 * (numeric or categorical x, log base, the distinct series values, the
 * heatmap's grid), writes OUT_DIR/NAME.gp and runs gnuplot on it.
 *
 * The script, not this file, reads the data: it names the CSV by a path
 * relative to itself and addresses columns by header name (column('...')),
 * so a user can edit it, or re-run it after the CSV gained rows.  What is
 * fixed when the script is written: the series values (one plot clause
 * each) and, for categorical or heatmap axes, the value -> position maps.
 *
 * gnuplot 5.4 facts the script works around (checked by hand):
 *  - a filtered-out row yields NaN; `set datafile missing NaN` makes gnuplot
 *    skip it without breaking the line of its series;
 *  - strcol() of a quoted CSV field stops at its first ',', and a field
 *    holding '"' or a line break derails the row: values are compared by
 *    their text up to the first ',', and '"' / line breaks are refused;
 *  - `smooth unique` sorts a series by x and averages rows sharing an x
 *    (several seeds of one point).
 * Heatmap cells are drawn in index space (boxxyerror, one box per cell) with
 * tics naming the swept values, since sweep axes are rarely uniform; the
 * script text itself is spelled by script.c.
 */
#include "plot-int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define PLOT_MAX_CELLS   4000000u /* series x heatmap cells checked for duplicates */
#define PLOT_STDERR_KEEP 2048

/* ---- the spec ------------------------------------------------------------ */

static const char *spec_name(const struct iom_plot_spec *s)
{
	return s && s->name ? s->name : "?";
}

static int spec_check_shape(const struct iom_plot_spec *s, struct iom_err *err)
{
	if (!s)
		return iom_err_set(err, IOM_EINVAL, "plot: no spec");
	const char *n = s->name;
	if (!n || !*n)
		return iom_err_set(err, IOM_EINVAL, "plot: name missing");
	for (const char *p = n; *p; p++) {
		bool good = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		            (*p >= '0' && *p <= '9') || strchr("._+-", *p);
		if (!good || (p == n && (*p == '.' || *p == '-')))
			return iom_err_set(err, IOM_EINVAL,
			                   "plot '%s': name: only letters, digits and . _ + - "
			                   "(a file stem, not starting with '.' or '-')",
			                   n);
	}
	if (!s->x || !*s->x)
		return iom_err_set(err, IOM_EINVAL, "plot '%s': x column missing", n);
	if (s->formats & ~(unsigned)(IOM_PLOT_PNG | IOM_PLOT_SVG))
		return iom_err_set(err, IOM_EINVAL, "plot '%s': formats: 0x%x (png and svg only)",
		                   n, s->formats);
	if (s->ny > IOM_PLOT_MAX_Y)
		return iom_err_set(err, IOM_EINVAL, "plot '%s': %zu y columns (at most %d)", n,
		                   s->ny, IOM_PLOT_MAX_Y);
	for (size_t i = 0; i < s->ny; i++)
		if (!s->y[i] || !*s->y[i])
			return iom_err_set(err, IOM_EINVAL, "plot '%s': y[%zu] missing", n, i);
	switch (s->kind) {
	case IOM_PLOT_LINES:
		if (!s->ny)
			return iom_err_set(err, IOM_EINVAL, "plot '%s': no y column", n);
		if (s->z)
			return iom_err_set(err, IOM_EINVAL,
			                   "plot '%s': z ('%s') is for heatmaps only", n, s->z);
		if (s->logz)
			return iom_err_set(err, IOM_EINVAL, "plot '%s': logz is for heatmaps only",
			                   n);
		return 0;
	case IOM_PLOT_HEATMAP:
		if (s->ny != 1)
			return iom_err_set(
			    err, IOM_EINVAL,
			    "plot '%s': a heatmap takes exactly one y column (%zu given)", n,
			    s->ny);
		if (!s->z || !*s->z)
			return iom_err_set(err, IOM_EINVAL,
			                   "plot '%s': a heatmap needs a z column (the colour)", n);
		if (s->logx || s->logy)
			return iom_err_set(
			    err, IOM_EINVAL,
			    "plot '%s': logx/logy are for lines (a heatmap's axes are "
			    "its distinct values; logz colours on a log scale)",
			    n);
		return 0;
	}
	return iom_err_set(err, IOM_EINVAL, "plot '%s': unknown kind %d", n, (int)s->kind);
}

static int spec_col(const struct iom_plot_spec *s, const struct iom_plot_table *t, const char *col,
                    int *idx, struct iom_err *err)
{
	*idx = -1;
	if (!col)
		return 0;
	*idx = iom_plot_table_find(t, col);
	if (*idx < 0)
		return iom_err_set(err, IOM_ENOENT, "plot '%s': no column '%s' in %s", spec_name(s),
		                   col, iom_plot_table_path(t));
	return 0;
}

/* Resolves every named column of the spec into c's indices. */
static int spec_resolve(struct plot_ctx *c, struct iom_err *err)
{
	const struct iom_plot_spec *s = c->s;
	int r = spec_check_shape(s, err);
	r = r ? r : spec_col(s, c->t, s->x, &c->x, err);
	for (size_t i = 0; !r && i < s->ny; i++)
		r = spec_col(s, c->t, s->y[i], &c->y[i], err);
	r = r ? r : spec_col(s, c->t, s->z, &c->z, err);
	r = r ? r : spec_col(s, c->t, s->series, &c->series, err);
	c->status = iom_plot_table_find(c->t, "status");
	return r;
}

int iom_plot_check_table(const struct iom_plot_spec *s, const struct iom_plot_table *t,
                         struct iom_err *err)
{
	struct plot_ctx c = {.s = s, .t = t};
	return spec_resolve(&c, err);
}

int iom_plot_check(const struct iom_plot_spec *s, const char *csv_path, struct iom_err *err)
{
	if (!csv_path)
		return spec_check_shape(s, err);
	struct iom_plot_table *t = iom_plot_table_load(csv_path, err);
	if (!t)
		return -err->code;
	int r = iom_plot_check_table(s, t, err);
	iom_plot_table_free(t);
	return r;
}

static void name_append(char *buf, size_t n, size_t *len, const char *s)
{
	for (; s && *s && *len + 1 < n; s++) {
		char ch = *s;
		bool good = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		            (ch >= '0' && ch <= '9') || strchr("._+-", ch);
		buf[(*len)++] = good ? ch : '_';
	}
	buf[*len] = 0;
}

char *iom_plot_default_name(const struct iom_plot_spec *s, char *buf, size_t n)
{
	size_t len = 0;
	if (!n)
		return buf;
	buf[0] = 0;
	if (s->kind == IOM_PLOT_HEATMAP) {
		name_append(buf, n, &len, s->z);
		name_append(buf, n, &len, "-over-");
		name_append(buf, n, &len, s->x);
		name_append(buf, n, &len, "-");
		name_append(buf, n, &len, s->ny ? s->y[0] : NULL);
	} else {
		name_append(buf, n, &len, s->ny ? s->y[0] : NULL);
		name_append(buf, n, &len, "-vs-");
		name_append(buf, n, &len, s->x);
	}
	if (s->series) {
		name_append(buf, n, &len, "-by-");
		name_append(buf, n, &len, s->series);
	}
	if (buf[0] == '.' || buf[0] == '-')
		buf[0] = '_';
	return buf;
}

/* ---- looking at the data --------------------------------------------------- */

static bool num_parse(const char *s, double *v)
{
	char *end;
	if (!*s)
		return false;
	*v = strtod(s, &end);
	return !*end && isfinite(*v);
}

static int vals_add(struct plot_vals *a, const char *s)
{
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->v[i], s))
			return 0;
	if (a->n == a->cap) {
		size_t nc = a->cap ? 2 * a->cap : 16;
		const char **p = realloc(a->v, nc * sizeof(*p));
		if (!p)
			return -1;
		a->v = p, a->cap = nc;
	}
	a->v[a->n++] = s;
	return 0;
}

static size_t vals_index(const struct plot_vals *a, const char *s)
{
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->v[i], s))
			return i;
	return a->n;
}

static int num_cmp(const void *pa, const void *pb)
{
	const char *a = *(const char *const *)pa, *b = *(const char *const *)pb;
	double x = strtod(a, NULL), y = strtod(b, NULL);
	return x < y ? -1 : x > y ? 1 : strcmp(a, b);
}

/* Collects the distinct values of column col over the plotted rows. */
static int vals_collect(struct plot_ctx *c, int col, struct plot_vals *a, struct iom_err *err)
{
	a->numeric = true;
	for (size_t r = 0; r < iom_plot_table_nrows(c->t); r++) {
		if (!c->ok[r])
			continue;
		const char *v = iom_plot_table_cell(c->t, r, (size_t)col);
		double d;
		if (*v && !num_parse(v, &d))
			a->numeric = false;
		if (vals_add(a, v))
			return iom_err_set(err, IOM_ENOMEM, "out of memory");
	}
	return 0;
}

/* Values compared as strings in the script must stay distinct as gnuplot sees them. */
static int vals_check_view(struct plot_ctx *c, const struct plot_vals *a, int col,
                           struct iom_err *err)
{
	for (size_t i = 0; i < a->n; i++) {
		size_t li = plot_gp_view_len(a->v[i]);
		if (a->v[i][li])
			c->comma = true;
		for (size_t j = 0; j < i; j++)
			if (plot_gp_view_len(a->v[j]) == li && !strncmp(a->v[i], a->v[j], li))
				return iom_err_set(
				    err, IOM_EINVAL,
				    "plot '%s': values '%s' and '%s' of column '%s' "
				    "differ only after a ',', and gnuplot reads a quoted "
				    "CSV field only up to its first ','",
				    spec_name(c->s), a->v[j], a->v[i],
				    iom_plot_table_column(c->t, (size_t)col)->name);
	}
	return 0;
}

/* gnuplot cannot read a field holding '"' or a line break: refuse the CSV. */
static int scan_cells(struct plot_ctx *c, struct iom_err *err)
{
	const struct iom_plot_table *t = c->t;
	for (size_t r = 0; r < iom_plot_table_nrows(t); r++)
		for (size_t k = 0; k < iom_plot_table_ncols(t); k++)
			if (strpbrk(iom_plot_table_cell(t, r, k), "\"\r\n"))
				return iom_err_set(
				    err, IOM_EINVAL,
				    "%s:%zu: column '%s' holds a '\"' or a line break, "
				    "which gnuplot cannot read from a CSV",
				    c->csv, iom_plot_table_line(t, r),
				    iom_plot_table_column(t, k)->name);
	return 0;
}

/* A plotted (y or z) column: numbers or empty cells, at least one number. */
static int scan_numeric(struct plot_ctx *c, int col, struct iom_err *err)
{
	const struct iom_plot_table *t = c->t;
	const char *name = iom_plot_table_column(t, (size_t)col)->name;
	size_t nnum = 0;
	for (size_t r = 0; r < iom_plot_table_nrows(t); r++) {
		const char *v = iom_plot_table_cell(t, r, (size_t)col);
		double d;
		if (!c->ok[r] || !*v)
			continue;
		if (!num_parse(v, &d))
			return iom_err_set(err, IOM_EINVAL,
			                   "%s:%zu: column '%s' is '%s', not a number", c->csv,
			                   iom_plot_table_line(t, r), name, v);
		nnum++;
	}
	if (!nnum)
		return iom_err_set(err, IOM_EINVAL,
		                   "plot '%s': column '%s' has no value in the rows with status ok",
		                   spec_name(c->s), name);
	return 0;
}

static int scan_x(struct plot_ctx *c, struct iom_err *err)
{
	const struct iom_plot_spec *s = c->s;
	int r = vals_collect(c, c->x, &c->xv, err);
	if (r)
		return r;
	if (!c->xv.numeric)
		return s->logx ? iom_err_set(err, IOM_EINVAL,
		                             "plot '%s': logx: column '%s' is not numeric", s->name,
		                             s->x)
		               : vals_check_view(c, &c->xv, c->x, err);
	c->x_pow2 = true;
	c->x_min = INFINITY;
	for (size_t i = 0; i < c->xv.n; i++) {
		double d;
		int e;
		if (!num_parse(c->xv.v[i], &d))
			continue; /* empty: a missing point */
		c->x_min = d < c->x_min ? d : c->x_min;
		if (s->logx && d <= 0) {
			size_t row = 0;
			while (strcmp(iom_plot_table_cell(c->t, row, (size_t)c->x), c->xv.v[i]))
				row++;
			return iom_err_set(err, IOM_EINVAL,
			                   "%s:%zu: column '%s' is %s: a log axis needs values > 0",
			                   c->csv, iom_plot_table_line(c->t, row), s->x,
			                   c->xv.v[i]);
		}
		if (d <= 0 || frexp(d, &e) != 0.5)
			c->x_pow2 = false;
	}
	return 0;
}

/* Heatmap: each (series, x, y) cell must come from one row at most. */
static int scan_cells_unique(struct plot_ctx *c, struct iom_err *err)
{
	size_t ns = c->sv.n ? c->sv.n : 1, nx = c->xv.n, ny = c->yv.n;
	if (ns * nx * ny > PLOT_MAX_CELLS)
		return iom_err_set(err, IOM_EINVAL,
		                   "plot '%s': %zu x %zu cells x %zu panels is "
		                   "too many for a heatmap",
		                   c->s->name, nx, ny, ns);
	size_t *first = calloc(ns * nx * ny, sizeof(*first)); /* row + 1 */
	if (!first)
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	int ret = 0;
	for (size_t r = 0; r < iom_plot_table_nrows(c->t) && !ret; r++) {
		if (!c->ok[r])
			continue;
		size_t si =
		    c->series < 0
		        ? 0
		        : vals_index(&c->sv, iom_plot_table_cell(c->t, r, (size_t)c->series));
		size_t xi = vals_index(&c->xv, iom_plot_table_cell(c->t, r, (size_t)c->x));
		size_t yi = vals_index(&c->yv, iom_plot_table_cell(c->t, r, (size_t)c->y[0]));
		size_t k = (si * nx + xi) * ny + yi;
		if (first[k])
			ret = iom_err_set(
			    err, IOM_EINVAL,
			    "%s:%zu: the heatmap cell %s=%s, %s=%s already has the row "
			    "of line %zu (another axis or several seeds vary: plot them "
			    "as series, or cut the CSV)",
			    c->csv, iom_plot_table_line(c->t, r), c->s->x, c->xv.v[xi], c->s->y[0],
			    c->yv.v[yi], iom_plot_table_line(c->t, first[k] - 1));
		first[k] = r + 1;
	}
	free(first);
	return ret;
}

static int ctx_scan(struct plot_ctx *c, struct iom_err *err)
{
	const struct iom_plot_spec *s = c->s;
	size_t nrows = iom_plot_table_nrows(c->t);
	int r = scan_cells(c, err);
	if (r)
		return r;
	c->ok = calloc(nrows ? nrows : 1, sizeof(*c->ok));
	if (!c->ok)
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	for (size_t i = 0; i < nrows; i++) {
		c->ok[i] =
		    c->status < 0 || !strcmp(iom_plot_table_cell(c->t, i, (size_t)c->status), "ok");
		c->nok += c->ok[i];
	}
	if (!c->nok)
		return iom_err_set(err, IOM_EINVAL, "plot '%s': %s has no row with status ok",
		                   s->name, c->csv);
	if (s->kind == IOM_PLOT_LINES)
		for (size_t i = 0; !r && i < s->ny; i++)
			r = scan_numeric(c, c->y[i], err);
	else
		r = scan_numeric(c, c->z, err);
	r = r ? r : scan_x(c, err);
	if (!r && c->series >= 0) {
		r = vals_collect(c, c->series, &c->sv, err);
		r = r ? r : vals_check_view(c, &c->sv, c->series, err);
	}
	if (r || s->kind != IOM_PLOT_HEATMAP)
		return r;
	r = vals_collect(c, c->y[0], &c->yv, err);
	if (!r && !c->yv.numeric)
		r = vals_check_view(c, &c->yv, c->y[0], err);
	if (r)
		return r;
	if (c->xv.numeric)
		qsort(c->xv.v, c->xv.n, sizeof(*c->xv.v), num_cmp);
	if (c->yv.numeric)
		qsort(c->yv.v, c->yv.n, sizeof(*c->yv.v), num_cmp);
	return scan_cells_unique(c, err);
}

static void ctx_free(struct plot_ctx *c)
{
	free(c->ok);
	free(c->xv.v);
	free(c->yv.v);
	free(c->sv.v);
}

/* ---- paths ------------------------------------------------------------------- */

/* Path of absolute `to` relative to absolute directory `from` (both canonical). */
static char *rel_path(const char *from, const char *to)
{
	size_t common = 0, i = 0;
	/* longest common prefix ending on a component boundary */
	for (;; i++) {
		bool fe = !from[i] || from[i] == '/', te = !to[i] || to[i] == '/';
		if (fe && te)
			common = i;
		if (!from[i] || !to[i] || from[i] != to[i])
			break;
	}
	size_t ups = 0;
	for (const char *p = from + common; *p; p++)
		ups += *p == '/' && p[1];
	const char *rest = to + common + (to[common] == '/');
	char *out = malloc(ups * 3 + strlen(rest) + 1);
	if (!out)
		return NULL;
	char *w = out;
	for (size_t k = 0; k < ups; k++)
		w = stpcpy(w, "../");
	strcpy(w, rest);
	return out;
}

/* ---- running gnuplot --------------------------------------------------------- */

/* gnuplot's stderr on one line ("a | b"), blank runs squeezed; out holds n bytes. */
static void stderr_oneline(const char *in, char *out, size_t n)
{
	size_t w = 0;
	bool gap = false;
	for (; *in && w + 4 < n; in++) {
		if (*in == '\n' || *in == '\r') {
			gap = w > 0;
			continue;
		}
		if (*in == ' ' && (w == 0 || out[w - 1] == ' '))
			continue;
		if (gap) {
			memcpy(out + w, " | ", 3);
			w += 3;
			gap = false;
		}
		out[w++] = *in;
	}
	out[w] = 0;
}

static int run_gnuplot(const char *dir, const char *script, const char *gp_path,
                       struct iom_err *err)
{
	const char *exe = getenv("IOMMUSIM_GNUPLOT");
	char exe_abs[PATH_MAX];
	if (!exe || !*exe)
		exe = "gnuplot";
	if (strchr(exe, '/') && exe[0] != '/' && realpath(exe, exe_abs))
		exe = exe_abs; /* the child runs in dir */
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC))
		return iom_err_set(err, IOM_EIO, "pipe: %s", strerror(errno));
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addchdir_np(&fa, dir);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	char *argv[] = {(char *)exe, (char *)script, NULL};
	pid_t pid;
	int e = posix_spawnp(&pid, exe, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (e) {
		close(pfd[0]);
		return iom_err_set(err, IOM_ENOTSUP,
		                   "gnuplot not found ('%s': %s; set IOMMUSIM_GNUPLOT or install "
		                   "gnuplot-nox); script written to %s",
		                   exe, strerror(e), gp_path);
	}
	char msg[PLOT_STDERR_KEEP + 1];
	size_t n = 0;
	ssize_t k;
	char sink[512];
	for (;;) {
		k = n < PLOT_STDERR_KEEP ? read(pfd[0], msg + n, PLOT_STDERR_KEEP - n)
		                         : read(pfd[0], sink, sizeof(sink));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		if (n < PLOT_STDERR_KEEP)
			n += (size_t)k;
	}
	close(pfd[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return iom_err_set(err, IOM_EIO, "waitpid: %s", strerror(errno));
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	char line[PLOT_STDERR_KEEP + 1];
	msg[n] = 0;
	stderr_oneline(msg, line, sizeof(line));
	size_t ll = strlen(line);
	const char *tail = line + (ll > 300 ? ll - 300 : 0); /* the error is at the end */
	if (!*tail)
		tail = "(no message on stderr)";
	if (WIFEXITED(st))
		return iom_err_set(err, IOM_EIO, "gnuplot failed on %s (exit %d): %s%s", gp_path,
		                   WEXITSTATUS(st), tail > line ? "..." : "", tail);
	return iom_err_set(err, IOM_EIO, "gnuplot killed by signal %d on %s: %s%s", WTERMSIG(st),
	                   gp_path, tail > line ? "..." : "", tail);
}

/* ---- render ------------------------------------------------------------------ */

static char *path_join(const char *dir, const char *name, const char *ext)
{
	size_t n = strlen(dir) + strlen(name) + strlen(ext) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s%s", dir, name, ext);
	return p;
}

static int write_file(const char *path, const char *data, size_t len, struct iom_err *err)
{
	size_t n = strlen(path) + sizeof(".tmp");
	char *tmp = malloc(n);
	if (!tmp)
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	snprintf(tmp, n, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	int r = 0;
	if (!f)
		r = iom_err_set(err, IOM_EIO, "cannot write '%s': %s", tmp, strerror(errno));
	else if ((fwrite(data, 1, len, f) != len) | (fclose(f) != 0))
		r = iom_err_set(err, IOM_EIO, "cannot write '%s': %s", tmp, strerror(errno));
	else if (rename(tmp, path))
		r = iom_err_set(err, IOM_EIO, "cannot rename '%s' to '%s': %s", tmp, path,
		                strerror(errno));
	if (r && f)
		unlink(tmp);
	free(tmp);
	return r;
}

/* Paths the script uses: the CSV and metadata relative to the output directory. */
static int render_paths(const struct iom_plot_table *t, const char *out_dir, char **csv_rel,
                        char **meta_rel, struct iom_err *err)
{
	char dir_abs[PATH_MAX], csv_abs[PATH_MAX], meta_abs[PATH_MAX];
	const char *csv = iom_plot_table_path(t), *meta = iom_plot_table_meta_path(t);
	if (mkdir(out_dir, 0777) && errno != EEXIST)
		return iom_err_set(err, IOM_EIO, "cannot create '%s': %s", out_dir,
		                   strerror(errno));
	if (!realpath(out_dir, dir_abs))
		return iom_err_set(err, IOM_EIO, "'%s': %s", out_dir, strerror(errno));
	if (!realpath(csv, csv_abs))
		return iom_err_set(err, IOM_EIO, "'%s': %s", csv, strerror(errno));
	*csv_rel = rel_path(dir_abs, csv_abs);
	if (!*csv_rel)
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	if (meta && realpath(meta, meta_abs) && !(*meta_rel = rel_path(dir_abs, meta_abs)))
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	return 0;
}

/* The figures gnuplot was asked for exist and are not empty. */
static int render_outputs(const char *out_dir, const struct iom_plot_spec *s, bool remove,
                          struct iom_err *err)
{
	unsigned fm = s->formats ? s->formats : IOM_PLOT_PNG | IOM_PLOT_SVG;
	static const struct {
		unsigned bit;
		const char *ext;
	} outs[] = {{IOM_PLOT_PNG, ".png"}, {IOM_PLOT_SVG, ".svg"}};
	for (size_t i = 0; i < IOM_ARRAY_SIZE(outs); i++) {
		if (!(fm & outs[i].bit))
			continue;
		char *p = path_join(out_dir, s->name, outs[i].ext);
		struct stat sb;
		int r = 0;
		if (!p)
			return iom_err_set(err, IOM_ENOMEM, "out of memory");
		if (remove)
			unlink(p);
		else if (stat(p, &sb) || sb.st_size == 0)
			r = iom_err_set(err, IOM_EIO, "gnuplot wrote no %s", p);
		free(p);
		if (r)
			return r;
	}
	return 0;
}

int iom_plot_render_table(const struct iom_plot_spec *s, const struct iom_plot_table *t,
                          const char *out_dir, struct iom_err *err)
{
	struct plot_ctx c = {.s = s, .t = t, .csv = iom_plot_table_path(t)};
	char *csv_rel = NULL, *meta_rel = NULL, *gp_path = NULL, *text = NULL, *gp_name = NULL;
	size_t len = 0;
	int r = spec_resolve(&c, err);
	r = r ? r : ctx_scan(&c, err);
	r = r ? r : render_paths(t, out_dir, &csv_rel, &meta_rel, err);
	if (!r) {
		FILE *f = open_memstream(&text, &len);
		if (!f)
			r = iom_err_set(err, IOM_ENOMEM, "out of memory");
		else {
			plot_script_write(f, &c, csv_rel, meta_rel);
			if (fclose(f))
				r = iom_err_set(err, IOM_ENOMEM, "out of memory");
		}
	}
	if (!r) {
		gp_path = path_join(out_dir, s->name, ".gp");
		gp_name = path_join(".", s->name, ".gp");
		r = gp_path && gp_name ? 0 : iom_err_set(err, IOM_ENOMEM, "out of memory");
	}
	r = r ? r : write_file(gp_path, text, len, err);
	r = r ? r : render_outputs(out_dir, s, true, err);
	r = r ? r : run_gnuplot(out_dir, gp_name + 2, gp_path, err);
	r = r ? r : render_outputs(out_dir, s, false, err);
	free(gp_name);
	free(gp_path);
	free(text);
	free(csv_rel);
	free(meta_rel);
	ctx_free(&c);
	return r;
}

int iom_plot_render(const struct iom_plot_spec *s, const char *csv_path, const char *out_dir,
                    struct iom_err *err)
{
	struct iom_plot_table *t = iom_plot_table_load(csv_path, err);
	if (!t)
		return -err->code;
	int r = iom_plot_render_table(s, t, out_dir, err);
	iom_plot_table_free(t);
	return r;
}
