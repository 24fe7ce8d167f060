/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plot-int.h - what plot.c (checks, data scan, render) and script.c (the
 * gnuplot text) share: the facts found in the data that the script needs.
 */
#ifndef IOM_SIM_PLOT_INT_H
#define IOM_SIM_PLOT_INT_H

#include "plot.h"

#include <stdio.h>
#include <string.h>

/* Distinct values of one column over the plotted rows. */
struct plot_vals {
	const char **v; /* CSV text; first-appearance order, or ascending if sorted */
	size_t n, cap;
	bool numeric; /* every (non-empty) value is a finite number */
};

struct plot_ctx {
	const struct iom_plot_spec *s;
	const struct iom_plot_table *t;
	const char *csv;                             /* the CSV path, for messages */
	int status, x, y[IOM_PLOT_MAX_Y], z, series; /* column indices, -1 none */
	bool *ok;                                    /* row is plotted */
	size_t nok;
	struct plot_vals xv, yv, sv; /* x values, heatmap y values, series values */
	bool x_pow2;                 /* numeric x, all powers of two */
	double x_min;                /* numeric x: the smallest value */
	bool comma;                  /* some compared value holds a ',' */
};

/* The text gnuplot's strcol() gives for a value: up to its first ','. */
static inline size_t plot_gp_view_len(const char *v)
{
	return strcspn(v, ",");
}

/* Writes the whole script for c (scanned) to f; csv_rel and meta_rel (NULL:
 * none) are the paths of the CSV and its metadata relative to the script. */
void plot_script_write(FILE *f, const struct plot_ctx *c, const char *csv_rel,
                       const char *meta_rel);

#endif
