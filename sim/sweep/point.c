/* SPDX-License-Identifier: Apache-2.0 */
/*
 * point.c - one point of a sweep: where it sits in the expansion, its
 * configuration, its key, and running it.
 *
 * Expansion order: trace outermost, then seed, then the axes in file order,
 * the last axis fastest (grid) or all axes together (zip).
 *
 * The configuration of a point is the base file (or the built-in default),
 * then `set`, then the point's axis values, then its seed, each applied as
 * an iom_config_set() override.  To key a point the parent binds every
 * property table (microseconds, where building the system takes
 * milliseconds): a value a table rejects fails the point here, with the
 * table's message; problems only the models see (a cache whose ways do not
 * divide its entries) fail it in its worker.
 *
 * KEY = XXH3-128 of SW_KEY_FORMAT "\n", "iommusim VERSION\n" (a new
 * simulator version re-runs everything), the resolved configuration as
 * canonical JSON (sorted keys, compact) "\n", and the 16-byte canonical
 * XXH3-128 of the trace file's bytes.  A point whose configuration is
 * rejected has no resolved configuration; it is keyed by SW_KEY_FORMAT
 * " rejected", the base text, its overrides and the trace hash, so its .err
 * file has a stable name too.
 */
#include "sweep-int.h"

#define SW_KEY_VERSION "iommusim " IOM_VERSION_STRING "\n"

#include "config.h"
#include "pcie_config.h"
#include "replay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

void sw_point_coords(const struct iom_sweep *sw, size_t idx, size_t *trace, size_t *seed,
		     size_t *vals)
{
	size_t nseeds = sw->nseeds ? sw->nseeds : 1;
	size_t per_trace = nseeds * sw->ncombos;
	*trace = idx / per_trace;
	*seed = idx % per_trace / sw->ncombos;
	size_t combo = idx % sw->ncombos;
	if (!vals)
		return;
	if (sw->combine == SW_ZIP) {
		for (size_t a = 0; a < sw->naxes; a++)
			vals[a] = combo;
		return;
	}
	for (size_t a = sw->naxes; a-- > 0;) {
		vals[a] = combo % sw->axes[a].n;
		combo /= sw->axes[a].n;
	}
}

void sw_point_settings(const struct iom_sweep *sw, size_t idx, char *buf, size_t sz)
{
	size_t t, s, used = 0;
	size_t *v = calloc(sw->naxes + 1, sizeof(*v));
	buf[0] = 0;
	if (!v)
		return;
	sw_point_coords(sw, idx, &t, &s, v);
	for (size_t a = 0; a < sw->naxes && used < sz; a++) {
		int w = snprintf(buf + used, sz - used, "%s%s=%s", a ? " " : "", sw->axes[a].key,
				 sw->axes[a].vals[v[a]]);
		if (w > 0)
			used += (size_t)w;
	}
	free(v);
}

/* "point 3 (smmu.tlb.entries=64; trace x.trace; seed 2)" */
static void sw_point_label(const struct iom_sweep *sw, size_t idx, char *buf, size_t sz)
{
	char set[512];
	size_t t, s;
	sw_point_coords(sw, idx, &t, &s, NULL);
	sw_point_settings(sw, idx, set, sizeof(set));
	snprintf(buf, sz, "point %zu (%s%strace %s%s%s)", idx, set, *set ? "; " : "",
		 sw->traces[t].name, sw->seeds ? "; seed " : "", sw->seeds ? sw->seeds[s] : "");
}

static int sw_apply(struct iom_config *c, const char *key, const char *val, struct iom_err *err)
{
	char *as;
	if (asprintf(&as, "%s=%s", key, val) < 0)
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	int r = iom_config_set(c, as, err);
	free(as);
	return r;
}

struct iom_config *sw_point_config(const struct iom_sweep *sw, size_t idx, struct iom_err *err)
{
	size_t t, s;
	size_t *v = calloc(sw->naxes + 1, sizeof(*v));
	struct iom_config *c = NULL;
	if (!v)
		goto nomem;
	sw_point_coords(sw, idx, &t, &s, v);
	c = sw->base_text ? iom_config_load_string(sw->base_text, sw->base, err)
			  : iom_config_create_default();
	if (!c) {
		free(v);
		if (sw->base_text)
			return NULL;
		goto nomem;
	}
	int r = 0;
	for (size_t i = 0; i < sw->nsets && !r; i++)
		r = sw_apply(c, sw->sets[i].key, sw->sets[i].val, err);
	for (size_t a = 0; a < sw->naxes && !r; a++)
		r = sw_apply(c, sw->axes[a].key, sw->axes[a].vals[v[a]], err);
	if (!r && sw->seeds)
		r = sw_apply(c, "system.seed", sw->seeds[s], err);
	free(v);
	if (r) {
		iom_config_destroy(c);
		return NULL;
	}
	return c;
nomem:
	iom_err_set(err, IOM_ENOMEM, "out of memory");
	return NULL;
}

int sw_trace_hash(struct sw_trace *t, struct iom_err *err)
{
	if (t->hashed)
		return 0;
	FILE *f = fopen(t->path, "rb");
	if (!f)
		return iom_err_set(err, IOM_EIO, "trace '%s': cannot open '%s': %s", t->name,
				   t->path, strerror(errno));
	XXH3_state_t *st = XXH3_createState();
	unsigned char *buf = malloc(1 << 16);
	int r = 0;
	if (!st || !buf || XXH3_128bits_reset(st) != XXH_OK) {
		r = iom_err_set(err, IOM_ENOMEM, "out of memory hashing '%s'", t->path);
	} else {
		size_t got;
		while ((got = fread(buf, 1, 1 << 16, f)) > 0)
			XXH3_128bits_update(st, buf, got);
		if (ferror(f))
			r = iom_err_set(err, IOM_EIO, "trace '%s': cannot read '%s': %s", t->name,
					t->path, strerror(errno));
	}
	if (!r) {
		XXH128_canonical_t c;
		XXH128_canonicalFromHash(&c, XXH3_128bits_digest(st));
		memcpy(t->hash, c.digest, sizeof(t->hash));
		t->hashed = true;
	}
	free(buf);
	XXH3_freeState(st);
	fclose(f);
	return r;
}

static void sw_hex_digest(XXH3_state_t *st, char key[33])
{
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(st));
	for (size_t i = 0; i < 16; i++)
		snprintf(key + 2 * i, 3, "%02x", c.digest[i]);
}

/* Bind every property table and reject unknown keys: the resolved
 * configuration without building the models. */
static int sw_bind_all(struct iom_config *c, struct iom_err *err)
{
	size_t n, max = 0;
	const struct iom_prop_table *const *t = iom_system_prop_tables(&n);
	for (size_t i = 0; i < n; i++)
		max = IOM_MAX(max, t[i]->struct_size);
	void *buf = malloc(max ? max : 1);
	if (!buf)
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	int r = 0;
	for (size_t i = 0; i < n && !r; i++)
		r = iom_config_bind(c, t[i], NULL, buf, err);
	free(buf);
	struct iom_pcie_topo *topo = NULL; /* pcie.functions...: lists, no fixed table */
	if (!r)
		r = iom_pcie_topo_from_config(c, NULL, &topo, err);
	iom_pcie_topo_destroy(topo);
	return r ? r : iom_config_check_unused(c, err);
}

char *sw_json_cell(const json_t *v)
{
	char *s = NULL;
	int w = 0;
	if (json_is_integer(v))
		w = asprintf(&s, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		w = asprintf(&s, "%.10g", json_real_value(v));
	else if (json_is_string(v))
		return strdup(json_string_value(v));
	else if (json_is_boolean(v))
		return strdup(json_is_true(v) ? "true" : "false");
	else
		return strdup("");
	return w < 0 ? NULL : s;
}

/* system.seed of the base configuration with `set`, for the seed column of
 * a point whose own configuration is rejected ("" when that fails too). */
static const char *sw_base_seed(struct iom_sweep *sw)
{
	if (sw->base_seed)
		return sw->base_seed;
	struct iom_err e;
	struct iom_config *c = sw->base_text ? iom_config_load_string(sw->base_text, sw->base, &e)
					     : iom_config_create_default();
	int r = c ? 0 : -1;
	for (size_t i = 0; i < sw->nsets && !r; i++)
		r = sw_apply(c, sw->sets[i].key, sw->sets[i].val, &e);
	size_t n;
	const struct iom_prop_table *const *t = iom_system_prop_tables(&n);
	for (size_t i = 0; i < n && !r; i++) {
		if (strcmp(t[i]->section, "system"))
			continue;
		void *buf = malloc(t[i]->struct_size);
		json_t *res = NULL;
		if (buf && !iom_config_bind(c, t[i], NULL, buf, &e))
			res = iom_config_resolved_json(c);
		json_t *seed = json_object_get(json_object_get(res, "system"), "seed");
		if (seed)
			sw->base_seed = sw_json_cell(seed);
		json_decref(res);
		free(buf);
	}
	iom_config_destroy(c);
	if (!sw->base_seed)
		sw->base_seed = strdup("");
	return sw->base_seed ? sw->base_seed : "";
}

static int sw_point_cells(struct iom_sweep *sw, struct sw_point *pt, const json_t *res,
			  const size_t *v, size_t s)
{
	if (!(pt->cells = calloc(sw->naxes + 1, sizeof(*pt->cells))))
		return -1;
	for (size_t a = 0; a < sw->naxes; a++) {
		const struct sw_axis *ax = &sw->axes[a];
		json_t *val = json_object_get(json_object_get(res, ax->t->section), ax->p->name);
		pt->cells[a] = val ? sw_json_cell(val) : strdup(ax->vals[v[a]]);
		if (!pt->cells[a])
			return -1;
	}
	json_t *seed = json_object_get(json_object_get(res, "system"), "seed");
	pt->seed = seed ? sw_json_cell(seed) : strdup(sw->seeds ? sw->seeds[s] : sw_base_seed(sw));
	return pt->seed ? 0 : -1;
}

int sw_point_resolve(struct iom_sweep *sw, size_t idx, struct iom_err *err)
{
	struct sw_point *pt = &sw->pts[idx];
	if (pt->resolved)
		return 0;
	size_t t, s;
	size_t *v = calloc(sw->naxes + 1, sizeof(*v));
	if (!v)
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	sw_point_coords(sw, idx, &t, &s, v);
	int r = sw_trace_hash(&sw->traces[t], err);
	if (r) {
		free(v);
		return iom_err_prefix(err, "%s:%u:%u", sw->path, sw->traces[t].pos.line,
				      sw->traces[t].pos.col);
	}
	struct iom_err e = {0};
	struct iom_config *c = sw_point_config(sw, idx, &e);
	int pr = c ? sw_bind_all(c, &e) : -(e.code ? e.code : IOM_ENOMEM);
	json_t *res = !pr ? iom_config_resolved_json(c) : NULL;
	char *canon = res ? json_dumps(res, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	XXH3_state_t *st = XXH3_createState();
	if (!st || XXH3_128bits_reset(st) != XXH_OK || (!pr && !canon)) {
		r = iom_err_set(err, IOM_ENOMEM, "out of memory");
		goto out;
	}
	if (!pr) {
		XXH3_128bits_update(st, SW_KEY_FORMAT "\n", strlen(SW_KEY_FORMAT "\n"));
		XXH3_128bits_update(st, SW_KEY_VERSION, strlen(SW_KEY_VERSION));
		XXH3_128bits_update(st, canon, strlen(canon));
		XXH3_128bits_update(st, "\n", 1);
	} else {
		char label[768];
		sw_point_label(sw, idx, label, sizeof(label));
		pt->code = e.code ? e.code : IOM_EINVAL;
		if (asprintf(&pt->msg, "%s: %s: %s", sw->path, label, e.msg) < 0) {
			pt->msg = NULL;
			r = iom_err_set(err, IOM_ENOMEM, "out of memory");
			goto out;
		}
		XXH3_128bits_update(st, SW_KEY_FORMAT " rejected\n",
				    strlen(SW_KEY_FORMAT " rejected\n"));
		if (sw->base_text)
			XXH3_128bits_update(st, sw->base_text, sw->base_len);
		XXH3_128bits_update(st, "\n", 1);
		for (size_t i = 0; i < sw->nsets; i++) {
			XXH3_128bits_update(st, sw->sets[i].key, strlen(sw->sets[i].key) + 1);
			XXH3_128bits_update(st, sw->sets[i].val, strlen(sw->sets[i].val) + 1);
		}
		for (size_t a = 0; a < sw->naxes; a++) {
			XXH3_128bits_update(st, sw->axes[a].key, strlen(sw->axes[a].key) + 1);
			XXH3_128bits_update(st, sw->axes[a].vals[v[a]],
					    strlen(sw->axes[a].vals[v[a]]) + 1);
		}
		if (sw->seeds)
			XXH3_128bits_update(st, sw->seeds[s], strlen(sw->seeds[s]) + 1);
	}
	XXH3_128bits_update(st, sw->traces[t].hash, sizeof(sw->traces[t].hash));
	sw_hex_digest(st, pt->key);
	if (sw_point_cells(sw, pt, res, v, s))
		r = iom_err_set(err, IOM_ENOMEM, "out of memory");
	else
		pt->resolved = true;
out:
	XXH3_freeState(st);
	free(canon);
	json_decref(res);
	iom_config_destroy(c);
	free(v);
	return r;
}

int iom_sweep_point_key(struct iom_sweep *sw, size_t index, char key[33], struct iom_err *err)
{
	if (index >= sw->npoints)
		return iom_err_set(err, IOM_ERANGE,
				   "%s: point %zu does not exist (the sweep has %zu)", sw->path,
				   index, sw->npoints);
	int r = sw_point_resolve(sw, index, err);
	if (!r)
		memcpy(key, sw->pts[index].key, 33);
	return r;
}

void sw_point_file(const char *out_dir, const char *key, const char *ext, char *buf, size_t sz)
{
	snprintf(buf, sz, "%s/points/%s.%s", out_dir, key, ext);
}

int iom_sweep_exit_code(int code)
{
	switch (code < 0 ? -code : code) {
	case IOM_OK: return 0;
	case IOM_EIO: return 3;
	case IOM_ENOTSUP: return 4;
	case IOM_ENOMEM: return 5;
	default: return 2;
	}
}

static const char *sw_exit_class(int exit_code)
{
	switch (exit_code) {
	case 3: return "io";
	case 4: return "not-implemented";
	case 5: return "internal";
	default: return "bad-input";
	}
}

int sw_point_write_err(const struct iom_sweep *sw, size_t idx, const char *out_dir, int code,
		       const char *msg, struct iom_err *err)
{
	char path[4096], *line;
	int ex = iom_sweep_exit_code(code);
	sw_point_file(out_dir, sw->pts[idx].key, "err", path, sizeof(path));
	if (asprintf(&line, "%d %s: %s\n", ex ? ex : 5, sw_exit_class(ex), msg) < 0)
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	for (char *p = line; p[1]; p++) /* one line */
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	int r = sw_write_atomic(path, line, strlen(line), err);
	free(line);
	return r;
}

/* Replay, then the result document exactly as `iommusim replay --json`
 * writes it (trace.path is the trace as written in the sweep file). */
static int sw_replay(struct iom_sweep *sw, size_t idx, char **text, struct iom_err *err)
{
	size_t t, s;
	sw_point_coords(sw, idx, &t, &s, NULL);
	struct iom_config *c = sw_point_config(sw, idx, err);
	struct iom_system *sys = c ? iom_system_build(c, err) : NULL;
	int r = sys ? 0 : -(err->code ? err->code : IOM_ENOMEM);
	struct iom_replay_opts ro = {.trace_path = sw->traces[t].path};
	struct iom_replay_result res;
	if (!r)
		r = iom_replay_run(sys, &ro, &res, err);
	if (!r) {
		json_t *doc = iom_replay_result_json(sys, c, &res, sw->traces[t].name);
		char *body = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
						       JSON_REAL_PRECISION(10))
				 : NULL;
		if (!body || asprintf(text, "%s\n", body) < 0)
			r = iom_err_set(err, IOM_ENOMEM, "out of memory");
		free(body);
		json_decref(doc);
	}
	iom_system_destroy(sys);
	iom_config_destroy(c);
	return r;
}

int sw_point_exec(struct iom_sweep *sw, size_t idx, const char *out_dir, struct iom_err *err)
{
	int r = sw_point_resolve(sw, idx, err);
	if (r)
		return r;
	struct sw_point *pt = &sw->pts[idx];
	char path[4096];
	struct iom_err werr;
	if (pt->code) {
		iom_err_set(err, pt->code, "%s", pt->msg);
		r = -pt->code;
	} else {
		char *text = NULL;
		r = sw_replay(sw, idx, &text, err);
		if (r) {
			char label[768];
			sw_point_label(sw, idx, label, sizeof(label));
			iom_err_prefix(err, "%s: %s", sw->path, label);
		} else {
			sw_point_file(out_dir, pt->key, "json", path, sizeof(path));
			r = sw_write_atomic(path, text, strlen(text), err);
			sw_point_file(out_dir, pt->key, "err", path, sizeof(path));
			if (!r && unlink(path) && errno != ENOENT)
				r = iom_err_set(err, IOM_EIO, "cannot remove '%s': %s", path,
						strerror(errno));
		}
		free(text);
		if (!r)
			return 0;
	}
	if (sw_point_write_err(sw, idx, out_dir, err->code, err->msg, &werr))
		fprintf(stderr, "iommusim: error: %s\n", werr.msg);
	return r;
}
