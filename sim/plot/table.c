/* SPDX-License-Identifier: Apache-2.0 */
/*
 * table.c - the input of `iommusim plot`: a results CSV read whole, and its
 * column metadata `<stem>.columns.json` (plot.h, docs/plots.md).
 *
 * The CSV reader follows RFC 4180: fields separated by ',', records ended by
 * '\n' (or "\r\n"), a field containing ',', '"' or a line break is quoted
 * whole and its quotes doubled.  Cells are unescaped in place in the file
 * buffer (an unescaped field is never longer than its text), so the table is
 * one buffer plus an array of cell pointers.  Every record must have as many
 * fields as the header; blank lines are skipped.  Errors name FILE:LINE with
 * the line the record starts on (a quoted field may span lines).
 *
 * The metadata file is optional (a hand-made CSV has none); when present it
 * must be the sweep's "iommusim-sweep-columns" document, version 1.  Columns
 * it lists that the CSV lacks are ignored (the CSV may have been cut down);
 * CSV columns it does not list have no unit or description.
 */
#include "plot.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct iom_plot_table {
	char *path;      /* the CSV path as given */
	char *meta_path; /* NULL when no metadata file was read */
	char *buf;       /* the file's bytes; cells are unescaped in place */
	size_t ncols, nrows;
	char **cell;  /* (nrows + 1) * ncols, row 0 is the header */
	size_t *line; /* file line each record starts on, nrows + 1 */
	struct iom_plot_column *col;
	json_t *meta; /* owns the kind/unit/desc strings */
};

static int table_read_file(struct iom_plot_table *t, size_t *len, struct iom_err *err)
{
	FILE *f = fopen(t->path, "rb");
	if (!f)
		return iom_err_set(err, IOM_EIO, "cannot open '%s': %s", t->path, strerror(errno));
	size_t cap = 1 << 16, n = 0, r;
	char *b = malloc(cap + 1);
	while (b && (r = fread(b + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			char *nb = realloc(b, (cap *= 2) + 1);
			if (!nb)
				free(b);
			b = nb;
		}
	}
	int bad = ferror(f);
	fclose(f);
	if (!b)
		return iom_err_set(err, IOM_ENOMEM, "%s: out of memory", t->path);
	t->buf = b;
	b[n] = 0;
	*len = n;
	if (bad)
		return iom_err_set(err, IOM_EIO, "cannot read '%s'", t->path);
	if (memchr(b, 0, n))
		return iom_err_set(err, IOM_EFORMAT,
		                   "%s: contains a NUL byte (not a CSV text file)", t->path);
	return 0;
}

/* Growable arrays of cell pointers and record lines. */
struct csv_acc {
	char **cell;
	size_t ncell, capcell;
	size_t *line;
	size_t nrec, caprec;
};

static int acc_cell(struct csv_acc *a, char *c)
{
	if (a->ncell == a->capcell) {
		size_t nc = a->capcell ? 2 * a->capcell : 256;
		char **p = realloc(a->cell, nc * sizeof(*p));
		if (!p)
			return -1;
		a->cell = p, a->capcell = nc;
	}
	a->cell[a->ncell++] = c;
	return 0;
}

static int acc_line(struct csv_acc *a, size_t line)
{
	if (a->nrec == a->caprec) {
		size_t nc = a->caprec ? 2 * a->caprec : 64;
		size_t *p = realloc(a->line, nc * sizeof(*p));
		if (!p)
			return -1;
		a->line = p, a->caprec = nc;
	}
	a->line[a->nrec++] = line;
	return 0;
}

/* One field starting at *rp; its unescaped text goes to *wp, NUL-ended.
 * Returns the separator that ended it (',' or '\n'; '\n' at end of file). */
static int csv_field(struct iom_plot_table *t, char **rp, char **wp, char *end, size_t *line,
                     struct iom_err *err)
{
	char *r = *rp, *w = *wp;
	if (r < end && *r == '"') {
		size_t qline = *line;
		for (r++;; r++) {
			if (r == end)
				return iom_err_set(err, IOM_EFORMAT,
				                   "%s:%zu: quoted field not closed by '\"'",
				                   t->path, qline);
			if (*r == '"' && (r + 1 == end || r[1] != '"'))
				break;
			if (*r == '"')
				r++; /* "" stands for one quote */
			else if (*r == '\n')
				(*line)++;
			*w++ = *r;
		}
		r++;
		if (r + 1 < end && r[0] == '\r' && r[1] == '\n')
			r++;
		if (r < end && *r != ',' && *r != '\n')
			return iom_err_set(
			    err, IOM_EFORMAT,
			    "%s:%zu: '%c' after a closing quote (a quoted field must "
			    "end at ',' or the line end)",
			    t->path, *line, *r);
	} else {
		char *start = w;
		for (; r < end && *r != ',' && *r != '\n'; r++) {
			if (*r == '"')
				return iom_err_set(
				    err, IOM_EFORMAT,
				    "%s:%zu: '\"' inside an unquoted field (quote the "
				    "whole field and double its quotes)",
				    t->path, *line);
			*w++ = *r;
		}
		if (w > start && w[-1] == '\r')
			w--;
	}
	int sep = '\n';
	if (r < end) {
		sep = *r++;
		if (sep == '\n')
			(*line)++;
	}
	*w++ = 0; /* w <= the separator's position: already consumed */
	*rp = r, *wp = w;
	return sep;
}

static int csv_parse(struct iom_plot_table *t, size_t len, struct iom_err *err)
{
	struct csv_acc a = {0};
	char *r = t->buf, *w = t->buf, *end = t->buf + len;
	size_t line = 1;
	int ret = 0;
	while (r < end && !ret) {
		if (*r == '\n' || (*r == '\r' && r + 1 < end && r[1] == '\n')) {
			r += *r == '\r' ? 2 : 1; /* blank line */
			line++;
			continue;
		}
		size_t rec_line = line, nf = 0;
		int sep = ',';
		while (sep == ',') {
			char *cell = w;
			sep = csv_field(t, &r, &w, end, &line, err);
			if (sep < 0) {
				ret = sep;
				break;
			}
			if (acc_cell(&a, cell)) {
				ret = iom_err_set(err, IOM_ENOMEM, "%s: out of memory", t->path);
				break;
			}
			nf++;
		}
		if (ret)
			break;
		if (acc_line(&a, rec_line))
			ret = iom_err_set(err, IOM_ENOMEM, "%s: out of memory", t->path);
		else if (a.nrec == 1)
			t->ncols = nf;
		else if (nf != t->ncols)
			ret =
			    iom_err_set(err, IOM_EFORMAT, "%s:%zu: %zu field%s, the header has %zu",
			                t->path, rec_line, nf, nf == 1 ? "" : "s", t->ncols);
	}
	t->cell = a.cell;
	t->line = a.line;
	if (ret)
		return ret;
	if (!a.nrec)
		return iom_err_set(err, IOM_EFORMAT, "%s: empty file (no header row)", t->path);
	t->nrows = a.nrec - 1;
	for (size_t i = 0; i < t->ncols; i++) {
		if (!t->cell[i][0])
			return iom_err_set(err, IOM_EFORMAT, "%s:%zu: column %zu has an empty name",
			                   t->path, t->line[0], i + 1);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(t->cell[i], t->cell[j]))
				return iom_err_set(err, IOM_EFORMAT,
				                   "%s:%zu: column '%s' appears twice", t->path,
				                   t->line[0], t->cell[i]);
	}
	return 0;
}

/* `X.csv` -> `X.columns.json`; a path not ending in .csv gets the suffix appended. */
static char *meta_path_of(const char *csv)
{
	size_t n = strlen(csv);
	if (n > 4 && !strcmp(csv + n - 4, ".csv"))
		n -= 4;
	char *p = malloc(n + sizeof(".columns.json"));
	if (p) {
		memcpy(p, csv, n);
		strcpy(p + n, ".columns.json");
	}
	return p;
}

static int meta_str(json_t *o, const char *key, const char **out, const char *mp, size_t i,
                    struct iom_err *err)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return iom_err_set(err, IOM_EFORMAT, "%s: columns[%zu].%s: expected a string", mp,
		                   i, key);
	*out = json_string_value(v);
	return 0;
}

static int meta_load(struct iom_plot_table *t, struct iom_err *err)
{
	char *mp = meta_path_of(t->path);
	if (!mp)
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	FILE *f = fopen(mp, "r");
	if (!f) {
		int e = errno;
		int r = e == ENOENT
		            ? 0
		            : iom_err_set(err, IOM_EIO, "cannot open '%s': %s", mp, strerror(e));
		free(mp);
		return r;
	}
	t->meta_path = mp;
	json_error_t je;
	t->meta = json_loadf(f, 0, &je);
	fclose(f);
	if (!t->meta)
		return iom_err_set(err, IOM_EFORMAT, "%s:%d:%d: %s", mp, je.line, je.column,
		                   je.text);
	json_t *schema = json_object_get(t->meta, "schema");
	json_t *ver = json_object_get(t->meta, "schema_version");
	json_t *cols = json_object_get(t->meta, "columns");
	if (!json_is_string(schema) || strcmp(json_string_value(schema), "iommusim-sweep-columns"))
		return iom_err_set(err, IOM_EFORMAT,
		                   "%s: not a column metadata file (expected \"schema\": "
		                   "\"iommusim-sweep-columns\")",
		                   mp);
	if (!json_is_integer(ver) || json_integer_value(ver) != 1)
		return iom_err_set(err, IOM_EFORMAT, "%s: schema_version: expected 1", mp);
	if (!json_is_array(cols))
		return iom_err_set(err, IOM_EFORMAT, "%s: columns: expected an array", mp);
	size_t i;
	json_t *o;
	json_array_foreach(cols, i, o)
	{
		json_t *name = json_object_get(o, "name");
		if (!json_is_object(o) || !json_is_string(name))
			return iom_err_set(err, IOM_EFORMAT,
			                   "%s: columns[%zu]: expected an object with a \"name\" "
			                   "string",
			                   mp, i);
		struct iom_plot_column c = {.name = json_string_value(name)};
		int r = meta_str(o, "kind", &c.kind, mp, i, err);
		r = r ? r : meta_str(o, "unit", &c.unit, mp, i, err);
		r = r ? r : meta_str(o, "desc", &c.desc, mp, i, err);
		if (r)
			return r;
		if (c.kind && strcmp(c.kind, "meta") && strcmp(c.kind, "axis") &&
		    strcmp(c.kind, "stat"))
			return iom_err_set(err, IOM_EFORMAT,
			                   "%s: columns[%zu].kind: '%s' (expected meta, axis or "
			                   "stat)",
			                   mp, i, c.kind);
		int k = iom_plot_table_find(t, c.name);
		if (k >= 0) {
			t->col[k].kind = c.kind;
			t->col[k].unit = c.unit;
			t->col[k].desc = c.desc;
		}
	}
	return 0;
}

struct iom_plot_table *iom_plot_table_load(const char *csv_path, struct iom_err *err)
{
	struct iom_plot_table *t = calloc(1, sizeof(*t));
	if (!t || !(t->path = strdup(csv_path))) {
		free(t);
		iom_err_set(err, IOM_ENOMEM, "out of memory");
		return NULL;
	}
	size_t len = 0;
	int r = table_read_file(t, &len, err);
	r = r ? r : csv_parse(t, len, err);
	if (!r && !(t->col = calloc(t->ncols, sizeof(*t->col))))
		r = iom_err_set(err, IOM_ENOMEM, "out of memory");
	if (!r) {
		for (size_t i = 0; i < t->ncols; i++)
			t->col[i].name = t->cell[i];
		r = meta_load(t, err);
	}
	if (r) {
		iom_plot_table_free(t);
		return NULL;
	}
	return t;
}

void iom_plot_table_free(struct iom_plot_table *t)
{
	if (!t)
		return;
	json_decref(t->meta);
	free(t->col);
	free(t->cell);
	free(t->line);
	free(t->buf);
	free(t->meta_path);
	free(t->path);
	free(t);
}

size_t iom_plot_table_ncols(const struct iom_plot_table *t)
{
	return t->ncols;
}

size_t iom_plot_table_nrows(const struct iom_plot_table *t)
{
	return t->nrows;
}

const struct iom_plot_column *iom_plot_table_column(const struct iom_plot_table *t, size_t col)
{
	return col < t->ncols ? &t->col[col] : NULL;
}

int iom_plot_table_find(const struct iom_plot_table *t, const char *name)
{
	for (size_t i = 0; i < t->ncols; i++)
		if (!strcmp(t->cell[i], name))
			return (int)i;
	return -1;
}

const char *iom_plot_table_cell(const struct iom_plot_table *t, size_t row, size_t col)
{
	return row < t->nrows && col < t->ncols ? t->cell[(row + 1) * t->ncols + col] : NULL;
}

size_t iom_plot_table_line(const struct iom_plot_table *t, size_t row)
{
	return row < t->nrows ? t->line[row + 1] : 0;
}

const char *iom_plot_table_meta_path(const struct iom_plot_table *t)
{
	return t->meta_path;
}

const char *iom_plot_table_path(const struct iom_plot_table *t)
{
	return t->path;
}
