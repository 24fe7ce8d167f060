/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_plot.c - `iommusim plot`: gnuplot figures from a sweep's results CSV
 * (sim/plot/plot.h, docs/plots.md).  Also lists the CSV's columns with
 * their kind, unit and description (--list).
 */
#include "cli.h"

#include "plot.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char plot_help[] =
    "usage: iommusim plot RESULTS.csv --x COL --y COL [--y COL ...] [options]\n"
    "       iommusim plot RESULTS.csv --heatmap --x COL --y COL --z COL [options]\n"
    "       iommusim plot RESULTS.csv --list\n"
    "\n"
    "Draw a sweep's results with gnuplot: NAME.png (pngcairo), NAME.svg, and the\n"
    "script NAME.gp that made them, which reads the CSV by its column names; edit it\n"
    "and re-run it with 'gnuplot NAME.gp'.  Titles, axis labels and units come from\n"
    "RESULTS.columns.json beside the CSV when it exists.  Only rows whose status is\n"
    "ok are plotted.  See docs/plots.md.\n"
    "\n"
    "options:\n"
    "  --x COL            column on the x axis\n"
    "  --y COL            column plotted against x (repeatable, up to 8); with\n"
    "                     --heatmap, the y axis\n"
    "  --series COL       one line per distinct value of COL (e.g. trace, a second axis);\n"
    "                     with --heatmap, one panel per value\n"
    "  --heatmap          colour --z over the grid of --x and --y values\n"
    "  --z COL            the coloured column of a heatmap\n"
    "  --logx, --logy     logarithmic axes (base 2 when every x is a power of two)\n"
    "  --logz             logarithmic colour scale (heatmap)\n"
    "  --title TEXT       figure title (default: made from the column descriptions)\n"
    "  --name NAME        file stem (default: made from the columns, e.g. Y-vs-X)\n"
    "  --format F         png, svg or png,svg (default png,svg)\n"
    "  --out DIR          output directory (default: the CSV's directory)\n"
    "  --list             print the columns (name, kind, unit, description) and exit\n"
    "  --help             this text\n"
    "\n"
    "environment: IOMMUSIM_GNUPLOT  the gnuplot to run (default: gnuplot on PATH)\n"
    "exit codes: 0 ok, 1 usage, 2 bad input (unknown column, malformed CSV), 3 I/O error\n"
    "(gnuplot failed), 4 gnuplot not installed (the .gp script is still written)\n";

static bool plot_parse_formats(const char *s, unsigned *out)
{
	char buf[64];
	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	*out = 0;
	for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "png"))
			*out |= IOM_PLOT_PNG;
		else if (!strcmp(tok, "svg"))
			*out |= IOM_PLOT_SVG;
		else
			return false;
	}
	return *out != 0;
}

static void plot_list(const struct iom_plot_table *t, FILE *f)
{
	size_t w = 4, n = iom_plot_table_ncols(t);
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(iom_plot_table_column(t, i)->name);
		w = l > w ? l : w;
	}
	fprintf(f, "%-*s  %-4s  %-8s  %s\n", (int)w, "name", "kind", "unit", "description");
	for (size_t i = 0; i < n; i++) {
		const struct iom_plot_column *c = iom_plot_table_column(t, i);
		fprintf(f, "%-*s  %-4s  %-8s  %s\n", (int)w, c->name, c->kind ? c->kind : "-",
		        c->unit && *c->unit ? c->unit : "-", c->desc ? c->desc : "");
	}
}

static void plot_available(const struct iom_plot_table *t, const char *csv)
{
	fprintf(stderr, "available columns ('iommusim plot %s --list' gives units):\n ", csv);
	size_t col = 1;
	for (size_t i = 0; i < iom_plot_table_ncols(t); i++) {
		const char *name = iom_plot_table_column(t, i)->name;
		if (col + strlen(name) + 2 > 80 && col > 1) {
			fputs("\n ", stderr);
			col = 1;
		}
		col += (size_t)fprintf(stderr, " %s%s", name,
		                       i + 1 < iom_plot_table_ncols(t) ? "," : "");
	}
	fputc('\n', stderr);
}

/* Prints the error; a message about a spec whose name the user did not give
 * loses its "plot 'NAME': " prefix (the made-up name says nothing). */
static int plot_fail(struct iom_err *err, const char *made_name)
{
	char pre[300];
	if (made_name) {
		snprintf(pre, sizeof(pre), "plot '%s': ", made_name);
		size_t n = strlen(pre);
		if (!strncmp(err->msg, pre, n))
			memmove(err->msg, err->msg + n, strlen(err->msg + n) + 1);
	}
	return cli_fail(err);
}

struct plot_opts {
	struct iom_plot_spec spec;
	const char *csv, *out;
	bool list;
};

/* 0 on success, else the exit code of a usage error. */
static int plot_parse(int argc, char **argv, struct plot_opts *o)
{
	struct iom_plot_spec *s = &o->spec;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool takes = !strcmp(a, "--x") || !strcmp(a, "--y") || !strcmp(a, "--z") ||
		             !strcmp(a, "--series") || !strcmp(a, "--title") ||
		             !strcmp(a, "--name") || !strcmp(a, "--format") || !strcmp(a, "--out");
		if (takes && !v)
			return cli_usage_error("plot", "option %s needs a value", a);
		if (takes)
			i++;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(plot_help, stdout);
			return -1;
		} else if (!strcmp(a, "--x")) {
			s->x = v;
		} else if (!strcmp(a, "--y")) {
			if (s->ny == IOM_PLOT_MAX_Y)
				return cli_usage_error("plot", "too many --y columns (%s)", v);
			s->y[s->ny++] = v;
		} else if (!strcmp(a, "--z")) {
			s->z = v;
		} else if (!strcmp(a, "--series")) {
			s->series = v;
		} else if (!strcmp(a, "--title")) {
			s->title = v;
		} else if (!strcmp(a, "--name")) {
			s->name = v;
		} else if (!strcmp(a, "--out")) {
			o->out = v;
		} else if (!strcmp(a, "--format")) {
			if (!plot_parse_formats(v, &s->formats))
				return cli_usage_error(
				    "plot", "bad --format '%s' (png, svg or png,svg)", v);
		} else if (!strcmp(a, "--heatmap")) {
			s->kind = IOM_PLOT_HEATMAP;
		} else if (!strcmp(a, "--logx")) {
			s->logx = true;
		} else if (!strcmp(a, "--logy")) {
			s->logy = true;
		} else if (!strcmp(a, "--logz")) {
			s->logz = true;
		} else if (!strcmp(a, "--list")) {
			o->list = true;
		} else if (a[0] == '-' && a[1]) {
			return cli_usage_error("plot", "unknown option: %s", a);
		} else if (!o->csv) {
			o->csv = a;
		} else {
			return cli_usage_error("plot", "more than one CSV given (%s)", a);
		}
	}
	if (!o->csv)
		return cli_usage_error("plot", "%s", "no results CSV given");
	return 0;
}

int cli_plot(int argc, char **argv)
{
	struct plot_opts o = {0};
	char name[256], *dir = NULL;
	int r = plot_parse(argc, argv, &o);
	if (r)
		return r < 0 ? CLI_EXIT_OK : r;
	struct iom_plot_spec *s = &o.spec;
	struct iom_err err = {0};
	const char *made = NULL;
	if (!o.list) {
		if (!s->name)
			made = s->name = iom_plot_default_name(s, name, sizeof(name));
		if (iom_plot_check(s, NULL, &err)) {
			plot_fail(&err, made);
			fputs("(try 'iommusim plot --help')\n", stderr);
			return CLI_EXIT_USAGE;
		}
	}
	struct iom_plot_table *t = iom_plot_table_load(o.csv, &err);
	if (!t)
		return cli_fail(&err);
	if (o.list) {
		plot_list(t, stdout);
		iom_plot_table_free(t);
		return CLI_EXIT_OK;
	}
	r = iom_plot_check_table(s, t, &err);
	if (r) {
		int code = plot_fail(&err, made);
		if (r == -IOM_ENOENT)
			plot_available(t, o.csv);
		iom_plot_table_free(t);
		return code;
	}
	if (!o.out) {
		dir = strdup(o.csv);
		if (!dir) {
			iom_plot_table_free(t);
			iom_err_set(&err, IOM_ENOMEM, "out of memory");
			return cli_fail(&err);
		}
		o.out = dirname(dir);
	}
	r = iom_plot_render_table(s, t, o.out, &err);
	iom_plot_table_free(t);
	if (!r) {
		unsigned fm = s->formats ? s->formats : IOM_PLOT_PNG | IOM_PLOT_SVG;
		printf("wrote %s/%s.gp", o.out, s->name);
		if (fm & IOM_PLOT_PNG)
			printf(" %s/%s.png", o.out, s->name);
		if (fm & IOM_PLOT_SVG)
			printf(" %s/%s.svg", o.out, s->name);
		putchar('\n');
	}
	free(dir);
	return r ? plot_fail(&err, made) : CLI_EXIT_OK;
}
