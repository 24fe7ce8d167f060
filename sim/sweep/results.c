/* SPDX-License-Identifier: Apache-2.0 */
/*
 * results.c - DIR/results.csv and DIR/results.columns.json from the
 * per-point files alone, then the plots.
 *
 * The CSV (RFC 4180, '\n' line ends, fields quoted only when they hold
 * ',', '"' or '\n') has one row per point in expansion order: point,
 * status, key, trace, seed, one column per axis (the resolved value), one
 * per stat (from the point's JSON: "value" of a counter or ratio, the named
 * field of a histogram; empty unless the point is ok).  Nothing in it
 * depends on which process or machine ran a point, so a merge of results
 * from many machines writes the same bytes as one run.
 */
#include "sweep-int.h"

#include "config.h"

#include <stdlib.h>
#include <string.h>

static void sw_csv_field(FILE *f, const char *s, bool first)
{
	if (!first)
		fputc(',', f);
	if (!strpbrk(s, ",\"\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* The stat's cell from a point's result document ("" if absent). */
static char *sw_stat_cell(const struct iom_sweep *sw, const struct sw_stat *st, json_t *doc)
{
	json_t *reg = NULL;
	if (sw->region == SW_ROI)
		reg = json_object_get(doc, "roi_stats");
	if (!reg)
		reg = json_object_get(doc, "stats");
	json_t *e = json_object_get(reg, st->base);
	json_t *v = json_object_get(e, sw_field_name(st->field));
	return v && (json_is_number(v)) ? sw_json_cell(v) : strdup("");
}

static void sw_add_col(json_t *cols, const char *name, const char *kind, const char *unit,
		       const char *desc)
{
	json_array_append_new(cols, json_pack("{s:s, s:s, s:s, s:s}", "name", name, "kind", kind,
					      "unit", unit ? unit : "", "desc", desc ? desc : ""));
}

static int sw_write_columns(const struct iom_sweep *sw, const char *out, struct iom_err *err)
{
	json_t *doc = json_object(), *cols = json_array();
	json_object_set_new(doc, "schema", json_string("iommusim-sweep-columns"));
	json_object_set_new(doc, "schema_version", json_integer(1));
	json_object_set_new(doc, "sweep", json_string(sw->name));
	sw_add_col(cols, "point", "meta", "",
		   "index of the point in expansion order"
		   " (trace, then seed, then the axes, last axis fastest)");
	sw_add_col(cols, "status", "meta", "",
		   "ok, failed (points/KEY.err says why) or missing (no result found)");
	sw_add_col(cols, "key", "meta", "",
		   "result key: points/KEY.json is the point's full result");
	sw_add_col(cols, "trace", "meta", "", "trace replayed, as written in the sweep file");
	sw_add_col(cols, "seed", "meta", "", "system.seed of the point");
	for (size_t a = 0; a < sw->naxes; a++)
		sw_add_col(cols, sw->axes[a].key, "axis", sw->axes[a].p->unit, sw->axes[a].p->doc);
	for (size_t i = 0; i < sw->nstats; i++)
		sw_add_col(cols, sw->stats[i].name, "stat", sw->stats[i].unit, sw->stats[i].desc);
	json_object_set_new(doc, "columns", cols);
	char *body = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	char path[4096], *text;
	if (!body || asprintf(&text, "%s\n", body) < 0) {
		free(body);
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	}
	free(body);
	snprintf(path, sizeof(path), "%s/results.columns.json", out);
	int r = sw_write_atomic(path, text, strlen(text), err);
	free(text);
	return r;
}

/* One row; updates the counts from what the point's files say. */
static void sw_write_row(struct iom_sweep *sw, const char *out, size_t i, FILE *f,
			 struct iom_sweep_counts *c, FILE *log)
{
	struct sw_point *pt = &sw->pts[i];
	char path[4096], num[32], msg[IOM_ERR_MSG_MAX];
	size_t t, s;
	json_t *doc = NULL;
	const char *status = "missing";
	int ex = 3;
	sw_point_coords(sw, i, &t, &s, NULL);
	sw_point_file(out, pt->key, "json", path, sizeof(path));
	if (sw_exists(path)) {
		json_error_t je;
		doc = json_load_file(path, 0, &je);
		if (doc) {
			status = "ok";
			ex = 0;
		} else {
			status = "failed";
			if (log)
				fprintf(log,
					"sweep: point %zu: %s:%d: %s"
					" (delete the file to re-run the point)\n",
					i, path, je.line, je.text);
		}
	} else {
		sw_point_file(out, pt->key, "err", path, sizeof(path));
		if (!sw_read_err(path, &ex, msg, sizeof(msg)))
			status = "failed";
	}
	if (!strcmp(status, "ok"))
		c->ok++;
	else if (!strcmp(status, "failed"))
		c->failed++;
	else
		c->missing++;
	c->worst_exit = IOM_MAX(c->worst_exit, ex);
	snprintf(num, sizeof(num), "%zu", i);
	sw_csv_field(f, num, true);
	sw_csv_field(f, status, false);
	sw_csv_field(f, pt->key, false);
	sw_csv_field(f, sw->traces[t].name, false);
	sw_csv_field(f, pt->seed, false);
	for (size_t a = 0; a < sw->naxes; a++)
		sw_csv_field(f, pt->cells[a], false);
	for (size_t k = 0; k < sw->nstats; k++) {
		char *cell = doc ? sw_stat_cell(sw, &sw->stats[k], doc) : NULL;
		sw_csv_field(f, cell ? cell : "", false);
		free(cell);
	}
	fputc('\n', f);
	json_decref(doc);
}

int sw_write_results(struct iom_sweep *sw, const struct iom_sweep_opts *o,
		     struct iom_sweep_counts *c, struct iom_err *err)
{
	const char *out = sw_out_dir(sw, o);
	char *text = NULL, path[4096];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	c->ok = c->failed = c->missing = 0;
	c->worst_exit = 0;
	static const char *const meta[] = {"point", "status", "key", "trace", "seed"};
	for (size_t i = 0; i < IOM_ARRAY_SIZE(meta); i++)
		sw_csv_field(f, meta[i], i == 0);
	for (size_t a = 0; a < sw->naxes; a++)
		sw_csv_field(f, sw->axes[a].key, false);
	for (size_t k = 0; k < sw->nstats; k++)
		sw_csv_field(f, sw->stats[k].name, false);
	fputc('\n', f);
	for (size_t i = 0; i < sw->npoints; i++)
		sw_write_row(sw, out, i, f, c, o ? o->log : NULL);
	if (fclose(f)) {
		free(text);
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	}
	snprintf(path, sizeof(path), "%s/results.csv", out);
	int r = sw_write_atomic(path, text, len, err);
	free(text);
	return r ? r : sw_write_columns(sw, out, err);
}

void sw_render_plots(struct iom_sweep *sw, const struct iom_sweep_opts *o,
		     struct iom_sweep_counts *c)
{
	if (!sw->nplots || (o && o->no_plots))
		return;
	const char *out = sw_out_dir(sw, o);
	FILE *log = o ? o->log : NULL;
	char csv[4096];
	snprintf(csv, sizeof(csv), "%s/results.csv", out);
	for (size_t i = 0; i < sw->nplots; i++) {
		struct iom_err e = {0};
		const struct iom_plot_spec *s = &sw->plots[i].spec;
		int r = iom_plot_check(s, csv, &e);
		if (!r)
			r = iom_plot_render(s, csv, out, &e);
		if (!r) {
			c->plots++;
		} else if (r == -IOM_ENOTSUP) {
			c->gnuplot_missing = true;
		} else {
			c->plots_failed++;
			c->worst_exit = IOM_MAX(c->worst_exit, iom_sweep_exit_code(r));
			if (log)
				fprintf(log, "sweep: plot '%s' (%s:%u:%u): %s\n", s->name, sw->path,
					sw->plots[i].pos.line, sw->plots[i].pos.col, e.msg);
		}
	}
	if (c->gnuplot_missing && log)
		fprintf(log,
			"sweep: gnuplot not found; CSV and .gp scripts written in %s"
			" (install gnuplot, or set IOMMUSIM_GNUPLOT,"
			" then run 'gnuplot NAME.gp' there)\n",
			out);
}
