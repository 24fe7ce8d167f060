/* SPDX-License-Identifier: Apache-2.0 */
/*
 * script.c - the gnuplot script of a figure (plot-int.h, docs/plots.md).
 *
 * The script is written for a reader: a comment header saying what made it
 * and how to re-run it, then plain `set` lines, then one loop over the
 * output formats around the single plot command.  Everything data-dependent
 * was decided by plot.c's scan (struct plot_ctx); here it is only spelled.
 *
 * Strings are gnuplot single-quoted strings (no escapes; '' is a quote), and
 * the terminals are `noenhanced`, so names with '_' or '^' print as they are.
 * The data is read through two helpers the script defines:
 *   ok(c)   column c when the row's status is ok, else NaN (not plotted);
 *   xi(s), yi(s)  position of a categorical / heatmap value on its axis.
 * Heatmap cells are boxes of half-width 0.5 around their (xi, yi) position,
 * filled from the palette (boxxyerror), over a grey background that shows
 * where a point has no value.
 */
#include "plot-int.h"

#include <stdio.h>
#include <string.h>

#define PLOT_SIZE        "900,560"
#define PLOT_FONT        "Sans,10"
#define PLOT_LABEL_CELLS 100u /* heatmap cells are labelled with z up to this many */

/* A gnuplot single-quoted string: no escapes inside, '' stands for '. */
static void gp_str(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		fputc(*s, f);
	}
	fputc('\'', f);
}

/* A value as gnuplot's strcol() returns it (see gp_view_len). */
static void gp_view(FILE *f, const char *v)
{
	size_t n = plot_gp_view_len(v);
	char buf[256];
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, v, n);
	buf[n] = 0;
	gp_str(f, buf);
}

static const struct iom_plot_column *ctx_col(const struct plot_ctx *c, int col)
{
	return iom_plot_table_column(c->t, (size_t)col);
}

static const char *col_desc(const struct plot_ctx *c, int col)
{
	const struct iom_plot_column *m = ctx_col(c, col);
	return m->desc && *m->desc ? m->desc : m->name;
}

static const char *col_unit(const struct plot_ctx *c, int col)
{
	const struct iom_plot_column *m = ctx_col(c, col);
	return m->unit ? m->unit : "";
}

/* "description [unit]", or the column name without metadata. */
static char *col_label(const struct plot_ctx *c, int col, char *buf, size_t n)
{
	const char *u = col_unit(c, col);
	snprintf(buf, n, *u ? "%s [%s]" : "%s", col_desc(c, col), u);
	return buf;
}

static void script_ylabel(const struct plot_ctx *c, char *buf, size_t n)
{
	const struct iom_plot_spec *s = c->s;
	size_t len = 0;
	char one[512];
	if (s->ny == 1) {
		col_label(c, c->y[0], buf, n);
		return;
	}
	bool same = *col_unit(c, c->y[0]);
	for (size_t i = 1; i < s->ny; i++)
		same = same && !strcmp(col_unit(c, c->y[i]), col_unit(c, c->y[0]));
	buf[0] = 0;
	for (size_t i = 0; i < s->ny && len < n; i++)
		len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? ", " : "",
		                        same ? col_desc(c, c->y[i])
		                             : col_label(c, c->y[i], one, sizeof(one)));
	if (same && len < n)
		snprintf(buf + len, n - len, " [%s]", col_unit(c, c->y[0]));
}

static void script_title(const struct plot_ctx *c, char *buf, size_t n)
{
	const struct iom_plot_spec *s = c->s;
	size_t len = 0;
	if (s->title) {
		snprintf(buf, n, "%s", s->title);
		return;
	}
	buf[0] = 0;
	if (s->kind == IOM_PLOT_HEATMAP) {
		snprintf(buf, n, "%s over %s and %s", col_desc(c, c->z), col_desc(c, c->x),
		         col_desc(c, c->y[0]));
		return;
	}
	for (size_t i = 0; i < s->ny && len < n; i++)
		len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? ", " : "",
		                        col_desc(c, c->y[i]));
	if (len < n)
		len += (size_t)snprintf(buf + len, n - len, " vs %s", col_desc(c, c->x));
	if (c->series >= 0 && len < n)
		snprintf(buf + len, n - len, " by %s", col_desc(c, c->series));
}

/* name: "xi" / "yi": position of each value on a categorical axis. */
static void script_index_fn(FILE *f, const char *fn, const struct plot_vals *a)
{
	fprintf(f, "%s(s) = \\\n", fn);
	for (size_t i = 0; i < a->n; i++) {
		fputs("\ts eq ", f);
		gp_view(f, a->v[i]);
		fprintf(f, " ? %zu : \\\n", i);
	}
	fputs("\tNaN\n", f);
}

static void script_tics(FILE *f, const char *axis, const struct plot_vals *a)
{
	fprintf(f, "set %srange [-0.5:%zu.5]\n", axis, a->n - 1);
	fprintf(f, "set %stics (", axis);
	for (size_t i = 0; i < a->n; i++) {
		fputs(i ? ", " : "", f);
		gp_str(f, a->v[i]);
		fprintf(f, " %zu", i);
	}
	fputs(")\n", f);
}

/* The value expression of one plot clause: column col when the row is ok
 * and (with a series) its series value is sv. */
static void script_value(FILE *f, const struct plot_ctx *c, int col, const char *sv)
{
	if (sv) {
		fputs("strcol(", f);
		gp_str(f, ctx_col(c, c->series)->name);
		fputs(") eq ", f);
		gp_view(f, sv);
		fputs(" ? ", f);
	}
	fputs("ok(", f);
	gp_str(f, ctx_col(c, col)->name);
	fputs(sv ? ") : NaN" : ")", f);
}

/* An x or y coordinate: the column's number, or (index) its position on a categorical axis. */
static void script_coord(FILE *f, const struct plot_ctx *c, const char *fn, int col, bool index)
{
	fprintf(f, index ? "(%s(strcol(" : "(column(", fn);
	gp_str(f, ctx_col(c, col)->name);
	fputs(index ? ")))" : "))", f);
}

static void script_head(FILE *f, const struct plot_ctx *c, const char *csv_rel,
                        const char *meta_rel, const char *fmts)
{
	const struct iom_plot_spec *s = c->s;
	fprintf(f, "# %s.gp - written by `iommusim plot` (iommusim %s)\n", s->name,
	        IOM_VERSION_STRING);
	if (s->kind == IOM_PLOT_HEATMAP) {
		fprintf(f, "# Heatmap of %s over %s x %s", s->z, s->x, s->y[0]);
	} else {
		fputs("# Lines of ", f);
		for (size_t i = 0; i < s->ny; i++)
			fprintf(f, "%s%s", i ? ", " : "", s->y[i]);
		fprintf(f, " against %s", s->x);
	}
	if (s->series)
		fprintf(f, ", one %s per %s", s->kind == IOM_PLOT_HEATMAP ? "panel" : "line",
		        s->series);
	fprintf(f, ".\n# Data: %s (columns named by their header), read each time this runs",
	        csv_rel);
	if (meta_rel)
		fprintf(f, ";\n# titles and labels from %s", meta_rel);
	fprintf(f,
	        ".\n# Edit at will and re-run:  gnuplot %s.gp\n"
	        "# It writes %s beside itself.\n",
	        s->name, fmts);
	if (s->series || s->kind == IOM_PLOT_HEATMAP || !c->xv.numeric)
		fputs("# Fixed when written: the series and the axis positions of the values\n"
		      "# seen then; run `iommusim plot` again if new values appear.\n",
		      f);
	fputs("\n# paths below are relative to this script's directory\n", f);
	fputs("if (exists(\"ARG0\") && strlen(ARG0) > 0) {\n"
	      "\tn = strlen(ARG0)\n"
	      "\twhile (n > 0 && ARG0[n:n] ne '/') { n = n - 1 }\n"
	      "\tif (n > 0) { cd ARG0[1:n] }\n"
	      "}\n\ndata = ",
	      f);
	gp_str(f, csv_rel);
	fputs("\nset datafile separator comma\n"
	      "set datafile columnheaders\n"
	      "set datafile missing NaN   # rows filtered out below: skipped, lines kept whole\n",
	      f);
	if (c->comma)
		fputs("# gnuplot reads a quoted CSV field only up to its first ',': values are\n"
		      "# compared by that part.\n",
		      f);
	if (c->status >= 0)
		fputs("\n# ok(c): column c of a row whose status is ok, else NaN (failed and\n"
		      "# missing points have no statistics)\n"
		      "ok(c) = strcol('status') eq 'ok' ? column(c) : NaN\n",
		      f);
	else
		fputs("\n# ok(c): column c (this CSV has no status column: every row is plotted)\n"
		      "ok(c) = column(c)\n",
		      f);
}

static void script_lines_setup(FILE *f, const struct plot_ctx *c)
{
	const struct iom_plot_spec *s = c->s;
	char buf[1024];
	fputc('\n', f);
	if (!c->xv.numeric) {
		fputs("# position of each x value on the axis\n", f);
		script_index_fn(f, "xi", &c->xv);
		script_tics(f, "x", &c->xv);
	}
	fputs("set title ", f);
	script_title(c, buf, sizeof(buf));
	gp_str(f, buf);
	fputs("\nset xlabel ", f);
	gp_str(f, col_label(c, c->x, buf, sizeof(buf)));
	fputs("\nset ylabel ", f);
	script_ylabel(c, buf, sizeof(buf));
	gp_str(f, buf);
	fputc('\n', f);
	if (s->logx)
		fprintf(f, "set logscale x %d\n", c->x_pow2 ? 2 : 10);
	if (s->logx && c->x_pow2 && c->x_min >= 1)
		fputs("set format x '%.0f'   # 1024, not 1.024e+03\n", f);
	if (s->logy)
		fputs("set logscale y 10\n", f);
	fputs("set grid\nset key below\n", f);
}

static void script_lines_plot(FILE *f, const struct plot_ctx *c)
{
	const struct iom_plot_spec *s = c->s;
	size_t ns = c->series >= 0 ? c->sv.n : 1;
	fputs("\t# smooth unique: each line sorted by x; rows sharing an x are averaged\n"
	      "\tplot \\\n",
	      f);
	for (size_t i = 0; i < s->ny; i++) {
		for (size_t k = 0; k < ns; k++) {
			const char *sv = c->series >= 0 ? c->sv.v[k] : NULL;
			fputs("\t\tdata using ", f);
			script_coord(f, c, "xi", c->x, !c->xv.numeric);
			fputs(":(", f);
			script_value(f, c, c->y[i], sv);
			fputs(") smooth unique with linespoints ", f);
			char t[512];
			if (sv && s->ny > 1)
				snprintf(t, sizeof(t), "%s, %s=%s", col_desc(c, c->y[i]), s->series,
				         sv);
			else if (sv)
				snprintf(t, sizeof(t), "%s=%s", s->series, sv);
			else
				snprintf(t, sizeof(t), "%s", col_desc(c, c->y[i]));
			if (s->ny == 1 && !sv) {
				fputs("notitle", f);
			} else {
				fputs("title ", f);
				gp_str(f, t);
			}
			fputs(i + 1 < s->ny || k + 1 < ns ? ", \\\n" : "\n", f);
		}
	}
}

static void script_heat_setup(FILE *f, const struct plot_ctx *c)
{
	const struct iom_plot_spec *s = c->s;
	char buf[1024];
	if (c->series >= 0) { /* before the index ranges are set: stats honours them */
		fputs("\n# one colour scale for every panel\n"
		      "stats data using (ok(",
		      f);
		gp_str(f, s->z);
		fputs(")) nooutput\n"
		      "if (STATS_max > STATS_min) { set cbrange [STATS_min:STATS_max] }\n",
		      f);
	}
	fputs("\n# cells are drawn at the position of their x and y value\n", f);
	script_index_fn(f, "xi", &c->xv);
	script_index_fn(f, "yi", &c->yv);
	script_tics(f, "x", &c->xv);
	script_tics(f, "y", &c->yv);
	if (c->series < 0) {
		fputs("set title ", f);
		script_title(c, buf, sizeof(buf));
		gp_str(f, buf);
		fputc('\n', f);
	}
	fputs("set xlabel ", f);
	gp_str(f, col_label(c, c->x, buf, sizeof(buf)));
	fputs("\nset ylabel ", f);
	gp_str(f, col_label(c, c->y[0], buf, sizeof(buf)));
	fputs("\nset cblabel ", f);
	gp_str(f, col_label(c, c->z, buf, sizeof(buf)));
	fputc('\n', f);
	if (s->logz)
		fputs("set logscale cb 10\n", f);
	fputs("set palette defined (0 '#440154', 1 '#3b528b', 2 '#21918c', 3 '#5ec962', "
	      "4 '#fde725')\n"
	      "set style fill solid 1.0 noborder\n"
	      "set style textbox opaque noborder\n"
	      "set tics out nomirror\n"
	      "set key off\n"
	      "# grey shows through where a point failed or is missing\n"
	      "set object 1 rectangle from graph 0,0 to graph 1,1 behind "
	      "fillcolor rgb '#d9d9d9' fillstyle solid 1.0 noborder\n",
	      f);
}

static void script_heat_panel(FILE *f, const struct plot_ctx *c, const char *sv)
{
	size_t panels = c->series >= 0 ? c->sv.n : 1;
	fputs("\tplot data using ", f);
	script_coord(f, c, "xi", c->x, true);
	fputc(':', f);
	script_coord(f, c, "yi", c->y[0], true);
	fputs(":(0.5):(0.5):(", f);
	script_value(f, c, c->z, sv);
	fputs(") with boxxyerror fillcolor palette", f);
	if (c->xv.n * c->yv.n * panels <= PLOT_LABEL_CELLS) {
		fputs(", \\\n\t\tdata using ", f);
		script_coord(f, c, "xi", c->x, true);
		fputs(":(v = ", f);
		script_value(f, c, c->z, sv);
		fputs(", v == v ? ", f);
		script_coord(f, c, "yi", c->y[0], true);
		fputs(" : NaN):(sprintf('%.4g', v)) with labels boxed", f);
	}
	fputc('\n', f);
}

static void script_heat_plot(FILE *f, const struct plot_ctx *c)
{
	char buf[1024];
	if (c->series < 0) {
		script_heat_panel(f, c, NULL);
		return;
	}
	size_t n = c->sv.n, cols = n < 3 ? n : 3, rows = (n + cols - 1) / cols;
	script_title(c, buf, sizeof(buf));
	fprintf(f, "\tset multiplot layout %zu,%zu title ", rows, cols);
	gp_str(f, buf);
	fputc('\n', f);
	fputs("\tunset colorbox   # one colour box, on the last panel\n", f);
	for (size_t k = 0; k < n; k++) {
		snprintf(buf, sizeof(buf), "%s=%s", c->s->series, c->sv.v[k]);
		fputs("\tset title ", f);
		gp_str(f, buf);
		fputc('\n', f);
		if (k + 1 == n)
			fputs("\tset colorbox\n", f);
		script_heat_panel(f, c, c->sv.v[k]);
	}
	fputs("\tunset multiplot\n", f);
}

void plot_script_write(FILE *f, const struct plot_ctx *c, const char *csv_rel, const char *meta_rel)
{
	const struct iom_plot_spec *s = c->s;
	unsigned fm = s->formats ? s->formats : IOM_PLOT_PNG | IOM_PLOT_SVG;
	char fmts[256], list[16];
	snprintf(list, sizeof(list), "%s%s%s", fm & IOM_PLOT_PNG ? "png" : "",
	         fm == (IOM_PLOT_PNG | IOM_PLOT_SVG) ? " " : "", fm & IOM_PLOT_SVG ? "svg" : "");
	snprintf(fmts, sizeof(fmts), "%s%s%s%s%s", fm & IOM_PLOT_PNG ? s->name : "",
	         fm & IOM_PLOT_PNG ? ".png" : "",
	         fm == (IOM_PLOT_PNG | IOM_PLOT_SVG) ? " and " : "",
	         fm & IOM_PLOT_SVG ? s->name : "", fm & IOM_PLOT_SVG ? ".svg" : "");
	script_head(f, c, csv_rel, meta_rel, fmts);
	if (s->kind == IOM_PLOT_HEATMAP)
		script_heat_setup(f, c);
	else
		script_lines_setup(f, c);
	fprintf(f,
	        "\n# one run writes every format: the plot command is written once\n"
	        "do for [fmt in '%s'] {\n"
	        "\tif (fmt eq 'png') {\n"
	        "\t\tset terminal pngcairo size %s noenhanced font '%s'\n"
	        "\t} else {\n"
	        "\t\tset terminal svg size %s noenhanced font '%s' background '#ffffff'\n"
	        "\t}\n"
	        "\tset output ",
	        list, PLOT_SIZE, PLOT_FONT, PLOT_SIZE, PLOT_FONT);
	snprintf(fmts, sizeof(fmts), "%s.", s->name);
	gp_str(f, fmts);
	fputs(".fmt\n", f);
	if (s->kind == IOM_PLOT_HEATMAP)
		script_heat_plot(f, c);
	else
		script_lines_plot(f, c);
	fputs("\tset output\n}\n", f);
}
