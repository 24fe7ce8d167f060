/* SPDX-License-Identifier: Apache-2.0 */
/*
 * load.c - the sweep file: YAML (libyaml document API) to struct iom_sweep.
 *
 * Everything that can be checked before a point runs is checked here, with
 * the sweep file's FILE:LINE:COL: config keys of `set` and `axes` against
 * the system's property tables, axis values generated and non-empty, zipped
 * axes of one length, traces readable, stat names against the stats
 * registry of a system built from the base configuration (device stats
 * "dev.BB:DD.F.x" are matched against a prototype device, as devices are
 * only created when a trace first uses them), plot columns against the CSV
 * columns the sweep will write.  Values themselves are checked by the
 * property tables when each point is bound (point.c): a rejected value
 * fails that point only.
 */
#include "sweep-int.h"

#include "config.h"
#include "replay.h"
#include "stats.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

struct sw_loader {
	struct iom_sweep *sw;
	yaml_document_t *doc;
	FILE *diag;
	struct iom_err *err;
};

static const char *const sw_field_names[] = {
    [SW_F_VALUE] = "value", [SW_F_COUNT] = "count", [SW_F_SUM] = "sum", [SW_F_MIN] = "min",
    [SW_F_MAX] = "max",     [SW_F_MEAN] = "mean",   [SW_F_P50] = "p50", [SW_F_P99] = "p99",
};

const char *sw_field_name(enum sw_field f)
{
	return sw_field_names[f];
}

/* ---- errors and YAML helpers --------------------------------------------- */

static struct sw_pos sw_mark(const yaml_node_t *n)
{
	return (struct sw_pos){(unsigned)n->start_mark.line + 1,
			       (unsigned)n->start_mark.column + 1};
}

static int sw_err(struct sw_loader *L, const yaml_node_t *n, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int sw_err(struct sw_loader *L, const yaml_node_t *n, int code, const char *fmt, ...)
{
	char msg[IOM_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!n)
		return iom_err_set(L->err, code, "%s: %s", L->sw->path, msg);
	struct sw_pos p = sw_mark(n);
	return iom_err_set(L->err, code, "%s:%u:%u: %s", L->sw->path, p.line, p.col, msg);
}

static int sw_nomem(struct sw_loader *L)
{
	return iom_err_set(L->err, IOM_ENOMEM, "%s: out of memory", L->sw->path);
}

static yaml_node_t *sw_node(struct sw_loader *L, int id)
{
	return yaml_document_get_node(L->doc, id);
}

/* Scalar text, or NULL when the node is not a scalar. */
static const char *sw_scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static const char *sw_kind_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE: return "a mapping";
	case YAML_SEQUENCE_NODE: return "a list";
	default: return "a scalar";
	}
}

static int sw_want_scalar(struct sw_loader *L, const yaml_node_t *n, const char *what,
			  const char **out)
{
	if (!(*out = sw_scalar(n)))
		return sw_err(L, n, IOM_EFORMAT, "%s: expected a scalar, got %s", what,
			      sw_kind_name(n));
	return 0;
}

/* Checks a mapping's keys against `allowed` (NULL-terminated): unknown and
 * duplicate keys are errors. */
static int sw_check_keys(struct sw_loader *L, yaml_node_t *m, const char *what,
			 const char *const *allowed)
{
	if (m->type != YAML_MAPPING_NODE)
		return sw_err(L, m, IOM_EFORMAT, "%s: expected a mapping, got %s", what,
			      sw_kind_name(m));
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = sw_node(L, p->key);
		const char *ks = sw_scalar(k);
		if (!ks)
			return sw_err(L, k, IOM_EFORMAT, "%s: keys must be scalars", what);
		bool ok = false;
		for (size_t i = 0; allowed[i] && !ok; i++)
			ok = !strcmp(ks, allowed[i]);
		if (!ok) {
			char list[256] = "";
			for (size_t i = 0, used = 0; allowed[i]; i++) {
				int w = snprintf(list + used, sizeof(list) - used, "%s%s",
						 i ? ", " : "", allowed[i]);
				if (w > 0)
					used = IOM_MIN(used + (size_t)w, sizeof(list) - 1);
			}
			return sw_err(L, k, IOM_EFORMAT,
				      "%s: unknown key '%s' (expected one of: %s)", what, ks, list);
		}
		for (yaml_node_pair_t *q = m->data.mapping.pairs.start; q < p; q++)
			if (!strcmp(sw_scalar(sw_node(L, q->key)), ks))
				return sw_err(L, k, IOM_EFORMAT, "%s: duplicate key '%s'", what,
					      ks);
	}
	return 0;
}

static yaml_node_t *sw_get(struct sw_loader *L, yaml_node_t *m, const char *key)
{
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++)
		if (!strcmp(sw_scalar(sw_node(L, p->key)), key))
			return sw_node(L, p->value);
	return NULL;
}

/* A list of scalars; a single scalar counts as a list of one. Calls fn on each. */
static int sw_each_scalar(struct sw_loader *L, yaml_node_t *n, const char *what,
			  int (*fn)(struct sw_loader *L, yaml_node_t *item, const char *text,
				    void *arg),
			  void *arg)
{
	if (n->type == YAML_SCALAR_NODE)
		return fn(L, n, sw_scalar(n), arg);
	if (n->type != YAML_SEQUENCE_NODE)
		return sw_err(L, n, IOM_EFORMAT, "%s: expected a list, got %s", what,
			      sw_kind_name(n));
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *item = sw_node(L, *it);
		const char *s;
		int r = sw_want_scalar(L, item, what, &s);
		if (!r)
			r = fn(L, item, s, arg);
		if (r)
			return r;
	}
	return 0;
}

static size_t sw_list_len(const yaml_node_t *n)
{
	if (n->type == YAML_SCALAR_NODE)
		return 1;
	if (n->type == YAML_SEQUENCE_NODE)
		return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	return 0;
}

static bool sw_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on"}, *const no[] = {"false", "no",
									       "off"};
	for (size_t i = 0; i < IOM_ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(s, yes[i]) || !strcasecmp(s, no[i])) {
			*out = !strcasecmp(s, yes[i]);
			return true;
		}
	}
	return false;
}

static bool sw_safe_name(const char *s)
{
	if (!*s || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return false;
	return true;
}

/* Path relative to the sweep file's folder (absolute paths kept). */
static char *sw_resolve_path(const struct iom_sweep *sw, const char *p)
{
	char *out = NULL;
	if (p[0] == '/' || !strcmp(sw->dir, "."))
		return strdup(p);
	if (asprintf(&out, "%s/%s", sw->dir, p) < 0)
		return NULL;
	return out;
}

/* ---- near matches ------------------------------------------------------- */

static size_t sw_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 200 || lb > 200)
		return SIZE_MAX;
	size_t row[201];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t sub = diag + (tolower((unsigned char)a[i - 1]) !=
					     tolower((unsigned char)b[j - 1]));
			row[j] = IOM_MIN(IOM_MIN(row[j] + 1, row[j - 1] + 1), sub);
			diag = up;
		}
	}
	return row[lb];
}

static bool sw_near(const char *want, const char *have)
{
	size_t d = sw_edit_distance(want, have);
	size_t lim = IOM_MAX((size_t)2, strlen(want) / 4);
	if (d <= lim)
		return true;
	/* same last component ("entries" in another section) */
	const char *a = strrchr(want, '.'), *b = strrchr(have, '.');
	return a && b && !strcmp(a, b) && strlen(a) > 3;
}

/* Appends "'name'" to a ", "-separated list in buf, at most `max` names. */
static void sw_list_add(char *buf, size_t sz, size_t *count, size_t max, const char *name)
{
	if (*count >= max)
		return;
	size_t used = strlen(buf);
	snprintf(buf + used, sz - used, "%s'%s'", *count ? ", " : "", name);
	(*count)++;
}

/* ---- config keys ----------------------------------------------------------- */

static bool sw_find_key(const char *key, const struct iom_prop_table **tp,
			const struct iom_prop **pp)
{
	size_t n;
	const struct iom_prop_table *const *t = iom_system_prop_tables(&n);
	for (size_t i = 0; i < n; i++) {
		size_t sl = strlen(t[i]->section);
		if (strncmp(key, t[i]->section, sl) || key[sl] != '.')
			continue;
		for (size_t j = 0; j < t[i]->nprops; j++) {
			if (!strcmp(key + sl + 1, t[i]->props[j].name)) {
				*tp = t[i];
				*pp = &t[i]->props[j];
				return true;
			}
		}
	}
	return false;
}

static void sw_diag_keys(FILE *f)
{
	size_t n;
	const struct iom_prop_table *const *t = iom_system_prop_tables(&n);
	fprintf(f, "valid config keys (iommusim config --reference describes them):\n");
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < t[i]->nprops; j++) {
			char k[128];
			snprintf(k, sizeof(k), "%s.%s", t[i]->section, t[i]->props[j].name);
			fprintf(f, "  %-36s %s\n", k, t[i]->props[j].doc);
		}
	}
}

static int sw_check_key(struct sw_loader *L, yaml_node_t *n, const char *what, const char *key,
			const struct iom_prop_table **tp, const struct iom_prop **pp)
{
	if (sw_find_key(key, tp, pp))
		return 0;
	char near[256] = "";
	size_t count = 0, nt;
	const struct iom_prop_table *const *t = iom_system_prop_tables(&nt);
	for (size_t i = 0; i < nt; i++) {
		for (size_t j = 0; j < t[i]->nprops; j++) {
			char k[128];
			snprintf(k, sizeof(k), "%s.%s", t[i]->section, t[i]->props[j].name);
			if (sw_near(key, k))
				sw_list_add(near, sizeof(near), &count, 4, k);
		}
	}
	if (L->diag)
		sw_diag_keys(L->diag);
	return sw_err(L, n, IOM_EINVAL, "%s: unknown config key '%s'%s%s%s; %s", what, key,
		      count ? " (did you mean " : "", near, count ? "?)" : "",
		      L->diag ? "the valid keys are listed below"
			      : "'iommusim config --reference' lists the valid keys");
}

/* ---- name, base, set ----------------------------------------------------- */

static int sw_load_name(struct sw_loader *L, yaml_node_t *n)
{
	struct iom_sweep *sw = L->sw;
	const char *s = NULL;
	if (n) {
		int r = sw_want_scalar(L, n, "name", &s);
		if (r)
			return r;
		if (!sw_safe_name(s))
			return sw_err(L, n, IOM_EINVAL,
				      "name: '%s' must be letters, digits, '.', '_' or '-'"
				      " (it names the result folder)",
				      s);
		sw->name = strdup(s);
	} else {
		/* the file's stem */
		const char *b = strrchr(sw->path, '/');
		b = b ? b + 1 : sw->path;
		size_t len = strcspn(b, ".");
		sw->name = strndup(b, len);
		if (sw->name && !sw_safe_name(sw->name))
			return sw_err(L, NULL, IOM_EINVAL,
				      "no 'name' given and the file name '%s' does not make one",
				      b);
	}
	if (!sw->name || asprintf(&sw->default_out, "sweep-%s", sw->name) < 0) {
		sw->default_out = NULL;
		return sw_nomem(L);
	}
	return 0;
}

static int sw_load_base(struct sw_loader *L, yaml_node_t *n)
{
	struct iom_sweep *sw = L->sw;
	const char *s;
	int r = sw_want_scalar(L, n, "base", &s);
	if (r)
		return r;
	if (!(sw->base = sw_resolve_path(sw, s)))
		return sw_nomem(L);
	FILE *f = fopen(sw->base, "rb");
	if (!f)
		return sw_err(L, n, IOM_EIO, "base: cannot open '%s': %s", sw->base,
			      strerror(errno));
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap + 1);
	while (buf) {
		len += fread(buf + len, 1, cap - len, f);
		if (len < cap)
			break;
		char *nb = realloc(buf, (cap *= 2) + 1);
		if (!nb)
			free(buf);
		buf = nb;
	}
	int rerr = ferror(f) ? errno : 0;
	fclose(f);
	if (!buf)
		return sw_nomem(L);
	buf[len] = 0;
	sw->base_text = buf;
	sw->base_len = len;
	if (rerr)
		return sw_err(L, n, IOM_EIO, "base: cannot read '%s': %s", sw->base,
			      strerror(rerr));
	/* syntax errors now, with the base file's own FILE:LINE:COL */
	struct iom_config *c = iom_config_load_string(buf, sw->base, L->err);
	if (!c)
		return iom_err_prefix(L->err, "%s: base", sw->path);
	iom_config_destroy(c);
	return 0;
}

static int sw_load_set(struct sw_loader *L, yaml_node_t *n)
{
	struct iom_sweep *sw = L->sw;
	if (n->type != YAML_MAPPING_NODE)
		return sw_err(L, n, IOM_EFORMAT,
			      "set: expected a mapping of config keys to values, got %s",
			      sw_kind_name(n));
	size_t cnt = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	sw->sets = calloc(cnt ? cnt : 1, sizeof(*sw->sets));
	if (!sw->sets)
		return sw_nomem(L);
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = sw_node(L, p->key), *v = sw_node(L, p->value);
		const char *ks, *vs;
		const struct iom_prop_table *t;
		const struct iom_prop *pr;
		int r = sw_want_scalar(L, k, "set", &ks);
		if (!r)
			r = sw_check_key(L, k, "set", ks, &t, &pr);
		if (!r)
			r = sw_want_scalar(L, v, ks, &vs);
		if (r)
			return r;
		for (size_t i = 0; i < sw->nsets; i++)
			if (!strcmp(sw->sets[i].key, ks))
				return sw_err(L, k, IOM_EINVAL, "set: duplicate key '%s'", ks);
		struct sw_set *s = &sw->sets[sw->nsets++];
		s->key = strdup(ks);
		s->val = strdup(*vs ? vs : "\"\"");
		s->pos = sw_mark(v);
		if (!s->key || !s->val)
			return sw_nomem(L);
	}
	return 0;
}

/* ---- traces and seeds ---------------------------------------------------- */

static int sw_add_trace(struct sw_loader *L, yaml_node_t *item, const char *text, void *arg)
{
	struct iom_sweep *sw = L->sw;
	(void)arg;
	if (!*text)
		return sw_err(L, item, IOM_EINVAL, "traces: empty path");
	struct sw_trace *t = &sw->traces[sw->ntraces++];
	t->name = strdup(text);
	t->path = sw_resolve_path(sw, text);
	t->pos = sw_mark(item);
	if (!t->name || !t->path)
		return sw_nomem(L);
	FILE *f = fopen(t->path, "rb");
	if (!f)
		return sw_err(L, item, IOM_EIO, "trace '%s': cannot open '%s': %s", text, t->path,
			      strerror(errno));
	fclose(f);
	return 0;
}

static int sw_load_traces(struct sw_loader *L, yaml_node_t *n)
{
	size_t cnt = sw_list_len(n);
	if (n->type == YAML_SEQUENCE_NODE && !cnt)
		return sw_err(L, n, IOM_EINVAL, "traces: empty list (name at least one trace)");
	if (!(L->sw->traces = calloc(cnt ? cnt : 1, sizeof(*L->sw->traces))))
		return sw_nomem(L);
	return sw_each_scalar(L, n, "traces", sw_add_trace, NULL);
}

/* Numbers of ranges: integers (decimal, 0x hex, K/M/G/T suffix x1024) or reals. */
struct sw_num {
	bool is_int;
	long long i;
	double d;
};

static bool sw_parse_num(const char *s, struct sw_num *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 0);
	if (end != s && !errno) {
		int shift = 0;
		switch (*end) {
		case 'K':
		case 'k': shift = 10; break;
		case 'M':
		case 'm': shift = 20; break;
		case 'G':
		case 'g': shift = 30; break;
		case 'T':
		case 't': shift = 40; break;
		}
		if (shift)
			end++;
		if (!*end && (!shift || (v >= 0 && v <= (LLONG_MAX >> shift)))) {
			out->is_int = true;
			out->i = v << shift;
			out->d = (double)out->i;
			return true;
		}
	}
	double d = strtod(s, &end);
	if (end == s || *end || !isfinite(d))
		return false;
	out->is_int = false;
	out->d = d;
	return true;
}

static int sw_num_field(struct sw_loader *L, yaml_node_t *m, const char *what, const char *key,
			const char *dflt, struct sw_num *out)
{
	yaml_node_t *n = sw_get(L, m, key);
	const char *s = dflt;
	if (!n && !dflt)
		return sw_err(L, m, IOM_EINVAL, "%s: '%s' is missing", what, key);
	if (n) {
		int r = sw_want_scalar(L, n, what, &s);
		if (r)
			return r;
	}
	if (!sw_parse_num(s, out))
		return sw_err(L, n ? n : m, IOM_EINVAL, "%s: '%s' must be a number, got '%s'", what,
			      key, s);
	return 0;
}

/* Value texts into a growing array. */
struct sw_vals {
	char **v;
	size_t n, cap;
};

static int sw_vals_push(struct sw_vals *vs, char *s)
{
	if (!s)
		return -1;
	if (vs->n == vs->cap) {
		size_t nc = vs->cap ? vs->cap * 2 : 16;
		char **nv = realloc(vs->v, nc * sizeof(*nv));
		if (!nv) {
			free(s);
			return -1;
		}
		vs->v = nv;
		vs->cap = nc;
	}
	vs->v[vs->n++] = s;
	return 0;
}

static char *sw_fmt_int(long long v)
{
	char *s;
	return asprintf(&s, "%lld", v) < 0 ? NULL : s;
}

static char *sw_fmt_real(double v)
{
	char *s;
	return asprintf(&s, "%.10g", v) < 0 ? NULL : s;
}

/* range: {from, to, step} -> from, from+step, ... <= to */
static int sw_gen_range(struct sw_loader *L, yaml_node_t *m, const char *what, struct sw_vals *vs)
{
	static const char *const keys[] = {"from", "to", "step", NULL};
	struct sw_num from, to, step;
	int r = sw_check_keys(L, m, what, keys);
	if (!r)
		r = sw_num_field(L, m, what, "from", NULL, &from);
	if (!r)
		r = sw_num_field(L, m, what, "to", NULL, &to);
	if (!r)
		r = sw_num_field(L, m, what, "step", "1", &step);
	if (r)
		return r;
	if (step.d <= 0)
		return sw_err(L, m, IOM_EINVAL, "%s: step must be positive", what);
	if (from.d > to.d)
		return sw_err(L, m, IOM_EINVAL, "%s: empty range (from %.10g is above to %.10g)",
			      what, from.d, to.d);
	double count = floor((to.d - from.d) / step.d + 1e-9) + 1;
	if (count > SW_MAX_AXIS_VALUES)
		return sw_err(L, m, IOM_ERANGE, "%s: %.0f values, at most %u allowed", what, count,
			      SW_MAX_AXIS_VALUES);
	bool ints = from.is_int && to.is_int && step.is_int;
	for (size_t i = 0; i < (size_t)count; i++) {
		char *s = ints ? sw_fmt_int(from.i + (long long)i * step.i)
			       : sw_fmt_real(from.d + (double)i * step.d);
		if (sw_vals_push(vs, s))
			return sw_nomem(L);
	}
	return 0;
}

/* log: {from, to, factor} -> from, from*factor, ... <= to */
static int sw_gen_log(struct sw_loader *L, yaml_node_t *m, const char *what, struct sw_vals *vs)
{
	static const char *const keys[] = {"from", "to", "factor", NULL};
	struct sw_num from, to, fac;
	int r = sw_check_keys(L, m, what, keys);
	if (!r)
		r = sw_num_field(L, m, what, "from", NULL, &from);
	if (!r)
		r = sw_num_field(L, m, what, "to", NULL, &to);
	if (!r)
		r = sw_num_field(L, m, what, "factor", "2", &fac);
	if (r)
		return r;
	if (fac.d <= 1)
		return sw_err(L, m, IOM_EINVAL, "%s: factor must be above 1", what);
	if (from.d <= 0)
		return sw_err(L, m, IOM_EINVAL, "%s: from must be positive", what);
	if (from.d > to.d)
		return sw_err(L, m, IOM_EINVAL, "%s: empty range (from %.10g is above to %.10g)",
			      what, from.d, to.d);
	double count = floor(log(to.d / from.d) / log(fac.d) + 1e-9) + 1;
	if (count > SW_MAX_AXIS_VALUES)
		return sw_err(L, m, IOM_ERANGE, "%s: %.0f values, at most %u allowed", what, count,
			      SW_MAX_AXIS_VALUES);
	if (from.is_int && to.is_int && fac.is_int) {
		for (long long v = from.i; v <= to.i;) {
			if (sw_vals_push(vs, sw_fmt_int(v)))
				return sw_nomem(L);
			if (v > to.i / fac.i)
				break;
			v *= fac.i;
		}
		return 0;
	}
	for (size_t i = 0; i < (size_t)count; i++)
		if (sw_vals_push(vs, sw_fmt_real(from.d * pow(fac.d, (double)i))))
			return sw_nomem(L);
	return 0;
}

static int sw_push_scalar(struct sw_loader *L, yaml_node_t *item, const char *text, void *arg)
{
	(void)item;
	return sw_vals_push(arg, strdup(*text ? text : "\"\"")) ? sw_nomem(L) : 0;
}

static int sw_load_seeds(struct sw_loader *L, yaml_node_t *n)
{
	struct iom_sweep *sw = L->sw;
	struct sw_vals vs = {0};
	int r;
	sw->seeds_pos = sw_mark(n);
	if (n->type == YAML_MAPPING_NODE)
		r = sw_gen_range(L, n, "seeds", &vs);
	else if (n->type == YAML_SEQUENCE_NODE && !sw_list_len(n))
		r = sw_err(L, n, IOM_EINVAL,
			   "seeds: empty list (leave 'seeds' out to use the base seed)");
	else
		r = sw_each_scalar(L, n, "seeds", sw_push_scalar, &vs);
	sw->seeds = vs.v;
	sw->nseeds = vs.n;
	for (size_t i = 0; !r && i < vs.n; i++) {
		char *end;
		errno = 0;
		(void)strtoull(vs.v[i], &end, 0);
		if (vs.v[i][0] == '-' || end == vs.v[i] || *end || errno)
			r = sw_err(L, n, IOM_EINVAL, "seeds: '%s' is not an unsigned integer",
				   vs.v[i]);
	}
	return r;
}

/* ---- axes ---------------------------------------------------------------- */

static int sw_load_axis(struct sw_loader *L, yaml_node_t *m, size_t idx)
{
	static const char *const keys[] = {"key", "values", "range", "log", NULL};
	struct iom_sweep *sw = L->sw;
	char what[160];
	snprintf(what, sizeof(what), "axes[%zu]", idx);
	int r = sw_check_keys(L, m, what, keys);
	if (r)
		return r;
	yaml_node_t *kn = sw_get(L, m, "key");
	const char *key;
	if (!kn)
		return sw_err(L, m, IOM_EINVAL,
			      "%s: 'key' is missing (the config key this axis varies)", what);
	if ((r = sw_want_scalar(L, kn, what, &key)))
		return r;
	struct sw_axis *a = &sw->axes[sw->naxes++];
	a->pos = sw_mark(m);
	if (!(a->key = strdup(key)))
		return sw_nomem(L);
	if ((r = sw_check_key(L, kn, what, key, &a->t, &a->p)))
		return r;
	snprintf(what, sizeof(what), "axis '%s'", key);
	for (size_t i = 0; i + 1 < sw->naxes; i++)
		if (!strcmp(sw->axes[i].key, key))
			return sw_err(L, kn, IOM_EINVAL, "%s: the key is already an axis", what);
	if (sw->seeds && !strcmp(key, "system.seed"))
		return sw_err(L, kn, IOM_EINVAL, "%s: 'seeds' already varies system.seed", what);
	yaml_node_t *vn = sw_get(L, m, "values"), *rn = sw_get(L, m, "range"),
		    *ln = sw_get(L, m, "log");
	if (!!vn + !!rn + !!ln != 1)
		return sw_err(L, m, IOM_EINVAL,
			      "%s: give exactly one of 'values', 'range' or 'log'", what);
	struct sw_vals vs = {0};
	if (vn) {
		if (vn->type == YAML_SEQUENCE_NODE && !sw_list_len(vn))
			r = sw_err(L, vn, IOM_EINVAL, "%s: empty value list", what);
		else
			r = sw_each_scalar(L, vn, what, sw_push_scalar, &vs);
	} else if (rn) {
		r = sw_gen_range(L, rn, what, &vs);
	} else {
		r = sw_gen_log(L, ln, what, &vs);
	}
	a->vals = vs.v;
	a->n = vs.n;
	if (!r && !a->n)
		r = sw_err(L, m, IOM_EINVAL, "%s: no values", what);
	return r;
}

static int sw_load_axes(struct sw_loader *L, yaml_node_t *n)
{
	struct iom_sweep *sw = L->sw;
	if (n->type != YAML_SEQUENCE_NODE)
		return sw_err(L, n, IOM_EFORMAT,
			      "axes: expected a list of {key, values|range|log}, got %s",
			      sw_kind_name(n));
	size_t cnt = sw_list_len(n);
	if (!(sw->axes = calloc(cnt ? cnt : 1, sizeof(*sw->axes))))
		return sw_nomem(L);
	for (size_t i = 0; i < cnt; i++) {
		int r = sw_load_axis(L, sw_node(L, n->data.sequence.items.start[i]), i);
		if (r)
			return r;
	}
	return 0;
}

/* Points: traces x seeds x (grid or zip of the axes). */
static int sw_count_points(struct sw_loader *L, yaml_node_t *combine)
{
	struct iom_sweep *sw = L->sw;
	double combos = 1;
	if (sw->combine == SW_ZIP && sw->naxes) {
		for (size_t i = 1; i < sw->naxes; i++)
			if (sw->axes[i].n != sw->axes[0].n)
				return sw_err(L, combine, IOM_EINVAL,
					      "combine: zip needs axes of one length,"
					      " but '%s' has %zu values and '%s' %zu",
					      sw->axes[0].key, sw->axes[0].n, sw->axes[i].key,
					      sw->axes[i].n);
		combos = (double)sw->axes[0].n;
	} else {
		for (size_t i = 0; i < sw->naxes; i++)
			combos *= (double)sw->axes[i].n;
	}
	double pts = combos * (double)sw->ntraces * (double)(sw->nseeds ? sw->nseeds : 1);
	if (pts > SW_MAX_POINTS)
		return sw_err(L, NULL, IOM_ERANGE, "%.0f points, at most %u allowed", pts,
			      SW_MAX_POINTS);
	sw->ncombos = (size_t)combos;
	sw->npoints = (size_t)pts;
	sw->pts = calloc(sw->npoints, sizeof(*sw->pts));
	return sw->pts ? 0 : sw_nomem(L);
}

/* ---- stats ----------------------------------------------------------------- */

/* Devices exist once a trace uses them: "dev.BB:DD.F.<x>" is checked as the
 * prototype device 00:00.0's "<x>". */
static void sw_stat_proto(const char *name, char *out, size_t sz)
{
	const char *s = name;
	if (!strncmp(s, "dev.", 4) && isxdigit((unsigned char)s[4]) &&
	    isxdigit((unsigned char)s[5]) && s[6] == ':' && isxdigit((unsigned char)s[7]) &&
	    isxdigit((unsigned char)s[8]) && s[9] == '.' && isdigit((unsigned char)s[10]) &&
	    s[11] == '.') {
		snprintf(out, sz, "dev.00:00.0.%s", s + 12);
		return;
	}
	snprintf(out, sz, "%s", name);
}

/* A system to check stat names against: the base configuration with `set`,
 * else the first of the first 64 points whose configuration builds. */
static struct iom_system *sw_probe_system(struct sw_loader *L, struct iom_config **cfgp)
{
	struct iom_sweep *sw = L->sw;
	struct iom_err e1 = {0}, e2;
	struct iom_config *c = sw->base_text ? iom_config_load_string(sw->base_text, sw->base, &e1)
					     : iom_config_create_default();
	for (size_t i = 0; c && i < sw->nsets; i++) {
		char as[1024];
		snprintf(as, sizeof(as), "%s=%s", sw->sets[i].key, sw->sets[i].val);
		if (iom_config_set(c, as, &e1)) {
			iom_config_destroy(c);
			c = NULL;
		}
	}
	struct iom_system *sys = c ? iom_system_build(c, &e1) : NULL;
	for (size_t i = 0; !sys && i < IOM_MIN(sw->npoints, (size_t)64); i++) {
		iom_config_destroy(c);
		c = sw_point_config(sw, i, &e2);
		sys = c ? iom_system_build(c, &e2) : NULL;
	}
	if (!sys) {
		iom_config_destroy(c);
		*L->err = e1;
		iom_err_prefix(
		    L->err, "%s: no point's configuration builds (needed to check the stat names)",
		    sw->path);
		return NULL;
	}
	*cfgp = c;
	return sys;
}

static void sw_diag_stats(FILE *f, json_t *reg)
{
	const char *k;
	json_t *v;
	fprintf(f,
		"available stats (histograms take a suffix: .count .sum .min .max .mean .p50 .p99;"
		" dev.00:00.0 stands for every device):\n");
	json_object_foreach(reg, k, v)
	{
		const char *unit = json_string_value(json_object_get(v, "unit"));
		fprintf(f, "  %-40s %s%s%s%s\n", k,
			json_object_get(v, "count") ? "histogram, " : "",
			unit && *unit ? "unit " : "", unit && *unit ? unit : "",
			unit && *unit ? "" : "no unit");
	}
}

static int sw_unknown_stat(struct sw_loader *L, yaml_node_t *n, const char *name, json_t *reg)
{
	char near[320] = "";
	size_t count = 0;
	const char *k;
	json_t *v;
	json_object_foreach(reg, k, v)
	{
		if (sw_near(name, k))
			sw_list_add(near, sizeof(near), &count, 5, k);
	}
	if (L->diag)
		sw_diag_stats(L->diag, reg);
	return sw_err(L, n, IOM_EINVAL, "stats: unknown stat '%s'%s%s%s; %s", name,
		      count ? " (near: " : "", near, count ? ")" : "",
		      L->diag ? "the available stats are listed below"
			      : "'iommusim replay --json' shows every stat");
}

struct sw_stats_ctx {
	json_t *reg;
};

static int sw_add_stat(struct sw_loader *L, yaml_node_t *item, const char *name, void *arg)
{
	struct iom_sweep *sw = L->sw;
	json_t *reg = ((struct sw_stats_ctx *)arg)->reg;
	char proto[256], base[256];
	enum sw_field field = SW_F_VALUE;
	sw_stat_proto(name, proto, sizeof(proto));
	json_t *e = json_object_get(reg, proto);
	snprintf(base, sizeof(base), "%s", name);
	if (e && json_object_get(e, "count"))
		return sw_err(L, item, IOM_EINVAL,
			      "stats: '%s' is a histogram: name a field,"
			      " e.g. %s.mean, %s.p50, %s.p99 or %s.count",
			      name, name, name, name, name);
	if (!e) {
		char *dot = strrchr(proto, '.');
		for (unsigned f = SW_F_COUNT; dot && f <= SW_F_P99 && !e; f++) {
			if (strcmp(dot + 1, sw_field_names[f]))
				continue;
			*dot = 0;
			e = json_object_get(reg, proto);
			if (e && !json_object_get(e, "count"))
				e = NULL; /* a counter has no fields */
			if (!e)
				*dot = '.';
			else
				field = f;
		}
		if (!e)
			return sw_unknown_stat(L, item, name, reg);
		*strrchr(base, '.') = 0;
	}
	for (size_t i = 0; i < sw->nstats; i++)
		if (!strcmp(sw->stats[i].name, name))
			return sw_err(L, item, IOM_EINVAL, "stats: '%s' is listed twice", name);
	for (size_t i = 0; i < sw->naxes; i++)
		if (!strcmp(sw->axes[i].key, name))
			return sw_err(L, item, IOM_EINVAL, "stats: '%s' is also an axis", name);
	struct sw_stat *s = &sw->stats[sw->nstats++];
	const char *unit = json_string_value(json_object_get(e, "unit"));
	const char *desc = json_string_value(json_object_get(e, "desc"));
	s->name = strdup(name);
	s->base = strdup(base);
	s->field = field;
	s->pos = sw_mark(item);
	if (field == SW_F_COUNT)
		s->unit = strdup("samples");
	else
		s->unit = strdup(unit ? unit : "");
	if (field == SW_F_VALUE) {
		s->desc = strdup(desc ? desc : "");
	} else if (asprintf(&s->desc, "%s (%s)", desc ? desc : "", sw_field_names[field]) < 0) {
		s->desc = NULL;
	}
	return s->name && s->base && s->unit && s->desc ? 0 : sw_nomem(L);
}

static int sw_load_stats(struct sw_loader *L, yaml_node_t *n)
{
	struct iom_sweep *sw = L->sw;
	size_t cnt = sw_list_len(n);
	if (n->type == YAML_SEQUENCE_NODE && !cnt)
		return sw_err(L, n, IOM_EINVAL, "stats: empty list (name the stats to collect)");
	if (!(sw->stats = calloc(cnt ? cnt : 1, sizeof(*sw->stats))))
		return sw_nomem(L);
	struct iom_config *cfg = NULL;
	struct iom_system *sys = sw_probe_system(L, &cfg);
	if (!sys)
		return -L->err->code;
	int r = 0;
	if (!iom_system_device(sys, 0, L->err))
		r = iom_err_prefix(L->err, "%s: stats", sw->path);
	struct sw_stats_ctx ctx = {.reg =
				       r ? NULL : iom_stats_to_json(iom_system_stats(sys), NULL)};
	if (!r && !ctx.reg)
		r = sw_nomem(L);
	if (!r)
		r = sw_each_scalar(L, n, "stats", sw_add_stat, &ctx);
	json_decref(ctx.reg);
	iom_system_destroy(sys);
	iom_config_destroy(cfg);
	return r;
}

/* ---- plots ----------------------------------------------------------------- */

static bool sw_is_column(const struct iom_sweep *sw, const char *name)
{
	static const char *const meta[] = {"point", "status", "key", "trace", "seed"};
	for (size_t i = 0; i < IOM_ARRAY_SIZE(meta); i++)
		if (!strcmp(name, meta[i]))
			return true;
	for (size_t i = 0; i < sw->naxes; i++)
		if (!strcmp(name, sw->axes[i].key))
			return true;
	for (size_t i = 0; i < sw->nstats; i++)
		if (!strcmp(name, sw->stats[i].name))
			return true;
	return false;
}

static int sw_plot_col(struct sw_loader *L, yaml_node_t *m, const char *what, const char *key,
		       const char **out)
{
	yaml_node_t *n = sw_get(L, m, key);
	const char *s;
	*out = NULL;
	if (!n)
		return 0;
	int r = sw_want_scalar(L, n, what, &s);
	if (r)
		return r;
	if (!sw_is_column(L->sw, s))
		return sw_err(
		    L, n, IOM_EINVAL,
		    "%s: %s '%s' is not a column of the results (an axis key, a stat of 'stats',"
		    " or point/status/key/trace/seed)",
		    what, key, s);
	return (*out = strdup(s)) ? 0 : sw_nomem(L);
}

struct sw_plot_ys {
	struct iom_plot_spec *s;
	const char *what;
};

static int sw_plot_y(struct sw_loader *L, yaml_node_t *item, const char *text, void *arg)
{
	struct sw_plot_ys *ys = arg;
	if (ys->s->ny == IOM_PLOT_MAX_Y)
		return sw_err(L, item, IOM_EINVAL, "%s: at most %d y columns", ys->what,
			      IOM_PLOT_MAX_Y);
	if (!sw_is_column(L->sw, text))
		return sw_err(
		    L, item, IOM_EINVAL,
		    "%s: y '%s' is not a column of the results (an axis key, a stat of 'stats',"
		    " or point/status/key/trace/seed)",
		    ys->what, text);
	return (ys->s->y[ys->s->ny++] = strdup(text)) ? 0 : sw_nomem(L);
}

static int sw_plot_fmt(struct sw_loader *L, yaml_node_t *item, const char *text, void *arg)
{
	unsigned *f = arg;
	if (!strcmp(text, "png"))
		*f |= IOM_PLOT_PNG;
	else if (!strcmp(text, "svg"))
		*f |= IOM_PLOT_SVG;
	else
		return sw_err(L, item, IOM_EINVAL, "plots: format '%s' is not png or svg", text);
	return 0;
}

static int sw_plot_bool(struct sw_loader *L, yaml_node_t *m, const char *what, const char *key,
			bool *out)
{
	yaml_node_t *n = sw_get(L, m, key);
	const char *s;
	if (!n)
		return 0;
	int r = sw_want_scalar(L, n, what, &s);
	if (!r && !sw_parse_bool(s, out))
		r = sw_err(L, n, IOM_EINVAL, "%s: %s must be true or false, got '%s'", what, key,
			   s);
	return r;
}

static int sw_load_plot(struct sw_loader *L, yaml_node_t *m, size_t idx)
{
	static const char *const keys[] = {"name", "kind", "x",     "y",       "z", "series",
					   "logx", "logy", "title", "formats", NULL};
	struct iom_sweep *sw = L->sw;
	struct sw_plot *p = &sw->plots[sw->nplots++];
	struct iom_plot_spec *s = &p->spec;
	char what[96];
	const char *str;
	snprintf(what, sizeof(what), "plots[%zu]", idx);
	p->pos = sw_mark(m);
	int r = sw_check_keys(L, m, what, keys);
	if (r)
		return r;
	yaml_node_t *n = sw_get(L, m, "name");
	if (!n)
		return sw_err(L, m, IOM_EINVAL, "%s: 'name' is missing (it names the output files)",
			      what);
	if ((r = sw_want_scalar(L, n, what, &str)))
		return r;
	if (!sw_safe_name(str))
		return sw_err(L, n, IOM_EINVAL,
			      "%s: name '%s' must be letters, digits, '.', '_' or '-'", what, str);
	for (size_t i = 0; i + 1 < sw->nplots; i++)
		if (!strcmp(sw->plots[i].spec.name, str))
			return sw_err(L, n, IOM_EINVAL, "%s: name '%s' is used twice", what, str);
	if (!(s->name = strdup(str)))
		return sw_nomem(L);
	snprintf(what, sizeof(what), "plot '%s'", s->name);
	if ((n = sw_get(L, m, "kind"))) {
		if ((r = sw_want_scalar(L, n, what, &str)))
			return r;
		if (!strcmp(str, "lines"))
			s->kind = IOM_PLOT_LINES;
		else if (!strcmp(str, "heatmap"))
			s->kind = IOM_PLOT_HEATMAP;
		else
			return sw_err(L, n, IOM_EINVAL, "%s: kind '%s' is not lines or heatmap",
				      what, str);
	}
	if ((n = sw_get(L, m, "title"))) {
		if ((r = sw_want_scalar(L, n, what, &str)))
			return r;
		if (!(s->title = strdup(str)))
			return sw_nomem(L);
	}
	r = sw_plot_col(L, m, what, "x", &s->x);
	if (!r)
		r = sw_plot_col(L, m, what, "z", &s->z);
	if (!r)
		r = sw_plot_col(L, m, what, "series", &s->series);
	if (!r)
		r = sw_plot_bool(L, m, what, "logx", &s->logx);
	if (!r)
		r = sw_plot_bool(L, m, what, "logy", &s->logy);
	if (!r && (n = sw_get(L, m, "y"))) {
		struct sw_plot_ys ys = {s, what};
		r = sw_each_scalar(L, n, what, sw_plot_y, &ys);
	}
	if (!r && (n = sw_get(L, m, "formats")))
		r = sw_each_scalar(L, n, what, sw_plot_fmt, &s->formats);
	if (r)
		return r;
	if (!s->x)
		return sw_err(L, m, IOM_EINVAL, "%s: 'x' is missing", what);
	if (!s->ny)
		return sw_err(L, m, IOM_EINVAL, "%s: 'y' is missing", what);
	if (s->kind == IOM_PLOT_HEATMAP && (!s->z || s->ny != 1))
		return sw_err(L, m, IOM_EINVAL, "%s: a heatmap needs x, one y and z", what);
	if (s->kind == IOM_PLOT_LINES && s->z)
		return sw_err(L, m, IOM_EINVAL, "%s: 'z' is for heatmaps", what);
	return 0;
}

static int sw_load_plots(struct sw_loader *L, yaml_node_t *n)
{
	struct iom_sweep *sw = L->sw;
	if (n->type != YAML_SEQUENCE_NODE)
		return sw_err(L, n, IOM_EFORMAT, "plots: expected a list, got %s", sw_kind_name(n));
	size_t cnt = sw_list_len(n);
	if (!(sw->plots = calloc(cnt ? cnt : 1, sizeof(*sw->plots))))
		return sw_nomem(L);
	for (size_t i = 0; i < cnt; i++) {
		int r = sw_load_plot(L, sw_node(L, n->data.sequence.items.start[i]), i);
		if (r)
			return r;
	}
	return 0;
}

/* ---- the document ------------------------------------------------------ */

static int sw_load_root(struct sw_loader *L, yaml_node_t *root)
{
	static const char *const keys[] = {"name",  "base",   "set",   "traces", "combine", "axes",
					   "seeds", "region", "stats", "jobs",   "plots",   NULL};
	struct iom_sweep *sw = L->sw;
	int r = sw_check_keys(L, root, "sweep", keys);
	if (r)
		return r;
	yaml_node_t *n;
	const char *s;
	if ((r = sw_load_name(L, sw_get(L, root, "name"))))
		return r;
	if ((n = sw_get(L, root, "base")) && (r = sw_load_base(L, n)))
		return r;
	if ((n = sw_get(L, root, "set")) && (r = sw_load_set(L, n)))
		return r;
	if (!(n = sw_get(L, root, "traces")))
		return sw_err(L, root, IOM_EINVAL,
			      "'traces' is missing (the traces every point replays)");
	if ((r = sw_load_traces(L, n)))
		return r;
	if ((n = sw_get(L, root, "seeds")) && (r = sw_load_seeds(L, n)))
		return r;
	yaml_node_t *combine = sw_get(L, root, "combine");
	if (combine) {
		if ((r = sw_want_scalar(L, combine, "combine", &s)))
			return r;
		if (!strcmp(s, "zip"))
			sw->combine = SW_ZIP;
		else if (strcmp(s, "grid"))
			return sw_err(L, combine, IOM_EINVAL, "combine: '%s' is not grid or zip",
				      s);
	}
	if ((n = sw_get(L, root, "axes")) && (r = sw_load_axes(L, n)))
		return r;
	if ((r = sw_count_points(L, combine ? combine : root)))
		return r;
	if ((n = sw_get(L, root, "region"))) {
		if ((r = sw_want_scalar(L, n, "region", &s)))
			return r;
		if (!strcmp(s, "all"))
			sw->region = SW_ALL;
		else if (strcmp(s, "roi"))
			return sw_err(L, n, IOM_EINVAL, "region: '%s' is not roi or all", s);
	}
	if ((n = sw_get(L, root, "jobs"))) {
		char *end;
		if ((r = sw_want_scalar(L, n, "jobs", &s)))
			return r;
		unsigned long v = strtoul(s, &end, 10);
		if (end == s || *end || !v || v > 4096)
			return sw_err(L, n, IOM_EINVAL,
				      "jobs: expected an integer in [1, 4096], got '%s'", s);
		sw->jobs = (unsigned)v;
	}
	if (!(n = sw_get(L, root, "stats")))
		return sw_err(L, root, IOM_EINVAL,
			      "'stats' is missing (the stats to collect per point)");
	if ((r = sw_load_stats(L, n)))
		return r;
	if ((n = sw_get(L, root, "plots")) && (r = sw_load_plots(L, n)))
		return r;
	return 0;
}

static int sw_parse(struct sw_loader *L, const char *text, size_t len)
{
	yaml_parser_t p;
	yaml_document_t doc;
	struct iom_sweep *sw = L->sw;
	if (!yaml_parser_initialize(&p))
		return sw_nomem(L);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	int r;
	if (!yaml_parser_load(&p, &doc)) {
		if (p.error == YAML_MEMORY_ERROR)
			r = sw_nomem(L);
		else
			r = iom_err_set(L->err, IOM_EFORMAT, "%s:%zu:%zu: %s%s%s%s", sw->path,
					p.problem_mark.line + 1, p.problem_mark.column + 1,
					p.problem ? p.problem : "syntax error",
					p.context ? " (" : "", p.context ? p.context : "",
					p.context ? ")" : "");
		yaml_parser_delete(&p);
		return r;
	}
	L->doc = &doc;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root)
		r = sw_err(L, NULL, IOM_EFORMAT, "empty sweep file");
	else
		r = sw_load_root(L, root);
	yaml_document_delete(&doc);
	yaml_parser_delete(&p);
	return r;
}

struct iom_sweep *iom_sweep_load(const char *path, FILE *diag, struct iom_err *err)
{
	struct iom_sweep *sw = calloc(1, sizeof(*sw));
	struct sw_loader L = {.sw = sw, .diag = diag, .err = err};
	if (!sw || !(sw->path = strdup(path))) {
		free(sw);
		iom_err_set(err, IOM_ENOMEM, "%s: out of memory", path);
		return NULL;
	}
	const char *slash = strrchr(path, '/');
	sw->dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
	FILE *f = fopen(path, "rb");
	int r;
	if (!sw->dir) {
		r = sw_nomem(&L);
	} else if (!f) {
		r = iom_err_set(err, IOM_EIO, "cannot open '%s': %s", path, strerror(errno));
	} else {
		char *text = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&text, &len);
		char buf[8192];
		size_t got;
		while (m && (got = fread(buf, 1, sizeof(buf), f)) > 0)
			fwrite(buf, 1, got, m);
		int rerr = ferror(f) ? errno : 0;
		if (m)
			fclose(m);
		if (!m || !text)
			r = sw_nomem(&L);
		else if (rerr)
			r = iom_err_set(err, IOM_EIO, "cannot read '%s': %s", path, strerror(rerr));
		else
			r = sw_parse(&L, text, len);
		free(text);
	}
	if (f)
		fclose(f);
	if (r) {
		iom_sweep_destroy(sw);
		return NULL;
	}
	return sw;
}

static void sw_free_strv(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

void iom_sweep_destroy(struct iom_sweep *sw)
{
	if (!sw)
		return;
	for (size_t i = 0; i < sw->nsets; i++) {
		free(sw->sets[i].key);
		free(sw->sets[i].val);
	}
	free(sw->sets);
	for (size_t i = 0; i < sw->ntraces; i++) {
		free(sw->traces[i].name);
		free(sw->traces[i].path);
	}
	free(sw->traces);
	sw_free_strv(sw->seeds, sw->nseeds);
	for (size_t i = 0; i < sw->naxes; i++) {
		free(sw->axes[i].key);
		sw_free_strv(sw->axes[i].vals, sw->axes[i].n);
	}
	free(sw->axes);
	for (size_t i = 0; i < sw->nstats; i++) {
		free(sw->stats[i].name);
		free(sw->stats[i].base);
		free(sw->stats[i].unit);
		free(sw->stats[i].desc);
	}
	free(sw->stats);
	for (size_t i = 0; i < sw->nplots; i++) {
		struct iom_plot_spec *s = &sw->plots[i].spec;
		free((char *)s->name);
		free((char *)s->title);
		free((char *)s->x);
		free((char *)s->z);
		free((char *)s->series);
		for (size_t j = 0; j < s->ny; j++)
			free((char *)s->y[j]);
	}
	free(sw->plots);
	for (size_t i = 0; sw->pts && i < sw->npoints; i++) {
		free(sw->pts[i].msg);
		sw_free_strv(sw->pts[i].cells, sw->naxes);
		free(sw->pts[i].seed);
	}
	free(sw->pts);
	free(sw->path);
	free(sw->dir);
	free(sw->name);
	free(sw->default_out);
	free(sw->base);
	free(sw->base_text);
	free(sw->base_seed);
	free(sw);
}

const char *iom_sweep_name(const struct iom_sweep *sw)
{
	return sw->name;
}

size_t iom_sweep_npoints(const struct iom_sweep *sw)
{
	return sw->npoints;
}

const char *iom_sweep_default_out(const struct iom_sweep *sw)
{
	return sw->default_out;
}
