/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plot.h - gnuplot figures from a sweep's results CSV.
 *
 * Input: a results CSV (header row of column names, one row per point;
 * docs/sweeps.md) and, beside it, its column metadata `<stem>.columns.json`
 * giving each column's kind (meta/axis/stat), unit and description, from
 * which titles and axis labels are made.  The metadata file is optional:
 * without it labels are the bare column names.
 *
 * Output, for a spec named NAME in OUT_DIR: NAME.gp (a gnuplot script that
 * reads the CSV by path and names its columns by header, kept so a user can
 * edit and re-run it with `gnuplot NAME.gp`), then NAME.png (pngcairo) and
 * NAME.svg rendered by running gnuplot.  When gnuplot is missing the script
 * is still written and -IOM_ENOTSUP says so.  docs/plots.md describes the
 * figures and the script.
 *
 * Only rows whose `status` column is "ok" are plotted (every row when the
 * CSV has no status column).  Nothing here keeps global state; the same
 * inputs give byte-identical scripts.
 */
#ifndef IOM_SIM_PLOT_H
#define IOM_SIM_PLOT_H

#include "iom.h"

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum iom_plot_kind {
	IOM_PLOT_LINES = 0, /* y (one or more columns) against x; one line per y and series value */
	IOM_PLOT_HEATMAP,   /* z coloured over the (x, y[0]) grid of a two-axis sweep */
};

enum { IOM_PLOT_PNG = 1u << 0, IOM_PLOT_SVG = 1u << 1 };

#define IOM_PLOT_MAX_Y 8

struct iom_plot_spec {
	const char *name;  /* output file stem (no directory, no extension) */
	const char *title; /* NULL: made from the column descriptions */
	enum iom_plot_kind kind;
	const char *x;                 /* column on the x axis */
	const char *y[IOM_PLOT_MAX_Y]; /* LINES: columns plotted; HEATMAP: y[0] is the y axis */
	size_t ny;
	const char *z;      /* HEATMAP: the coloured column */
	const char *series; /* LINES: one line per distinct value of this column (NULL: none);
	                     * HEATMAP: one panel per distinct value */
	bool logx, logy;    /* LINES only (a heatmap's axes are its distinct values) */
	bool logz;          /* HEATMAP only: logarithmic colour scale */
	unsigned formats;   /* IOM_PLOT_PNG | IOM_PLOT_SVG; 0 means both */
};

/* Check the spec against the CSV's columns (every named column exists; a
 * heatmap has x, y[0] and z; ...). Error names the spec and the column:
 * -IOM_ENOENT for a column the CSV does not have, -IOM_EINVAL for a bad
 * spec, -IOM_EIO / -IOM_EFORMAT for an unreadable / malformed CSV.
 * csv_path NULL checks the spec's shape only (before the CSV exists). */
int iom_plot_check(const struct iom_plot_spec *s, const char *csv_path, struct iom_err *err);

/* Write OUT_DIR/NAME.gp and render the requested formats with gnuplot
 * (the executable is $IOMMUSIM_GNUPLOT if set, else `gnuplot` on PATH).
 * OUT_DIR is created if missing (one level).
 * 0; -IOM_ENOTSUP when gnuplot is missing (script written); -IOM_EIO for
 * unreadable/unwritable files or a gnuplot failure (its stderr in the
 * message); -IOM_EFORMAT for a bad spec or CSV; -IOM_EINVAL when the data
 * cannot be drawn as asked (no ok row, non-numeric y, x <= 0 on a log axis,
 * two rows for one heatmap cell). */
int iom_plot_render(const struct iom_plot_spec *s, const char *csv_path, const char *out_dir,
                    struct iom_err *err);

/* ---- the results table, for callers that look at it first (plot --list) ---- */

struct iom_plot_table; /* a results CSV and its column metadata, read whole */

struct iom_plot_column {
	const char *name;
	const char *kind; /* "meta", "axis", "stat"; NULL without metadata */
	const char *unit; /* NULL or "" when none */
	const char *desc; /* NULL when no metadata */
};

/* Read CSV_PATH (RFC 4180; errors name file:line) and, if it exists,
 * its `<stem>.columns.json`.  NULL on error. */
struct iom_plot_table *iom_plot_table_load(const char *csv_path, struct iom_err *err);
void iom_plot_table_free(struct iom_plot_table *t);
size_t iom_plot_table_ncols(const struct iom_plot_table *t);
size_t iom_plot_table_nrows(const struct iom_plot_table *t); /* data rows, header excluded */
const struct iom_plot_column *iom_plot_table_column(const struct iom_plot_table *t, size_t col);
int iom_plot_table_find(const struct iom_plot_table *t, const char *name); /* index or -1 */
const char *iom_plot_table_cell(const struct iom_plot_table *t, size_t row, size_t col);
size_t iom_plot_table_line(const struct iom_plot_table *t, size_t row); /* 1-based file line */
const char *iom_plot_table_meta_path(const struct iom_plot_table *t);   /* NULL: none read */
const char *iom_plot_table_path(const struct iom_plot_table *t);        /* the CSV path */

/* iom_plot_check / iom_plot_render on a table already loaded. */
int iom_plot_check_table(const struct iom_plot_spec *s, const struct iom_plot_table *t,
                         struct iom_err *err);
int iom_plot_render_table(const struct iom_plot_spec *s, const struct iom_plot_table *t,
                          const char *out_dir, struct iom_err *err);

/* A file stem made from the spec's columns ("Y-vs-X", "Y-vs-X-by-S",
 * "Z-over-X-Y"), characters outside [A-Za-z0-9._+-] replaced by '_'.
 * Written into buf (truncated to n - 1); returns buf. */
char *iom_plot_default_name(const struct iom_plot_spec *s, char *buf, size_t n);

#ifdef __cplusplus
}
#endif
#endif
