/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stats.c - statistics registry (sim/stats.h).
 *
 * What it does: models own plain uint64_t counters and struct iom_hist
 * histograms; this registry only keeps pointers to them plus a name, unit
 * and description (after DRAMsim3's registered stats and ChampSim's plain
 * counter structs).  Derived ratios are evaluated when read or dumped, never
 * on the hot path.  Snapshots copy every counter and histogram so a region
 * of interest is the difference of two snapshots (warm-up excluded).
 *
 * Output order is registration order, so text and JSON dumps are
 * deterministic.  Names are looked up through an open-addressing hash table
 * so registering thousands of stats stays linear.
 *
 * Conventions chosen here:
 *  - histogram bin i (1..64) covers [2^(i-1), 2^i - 1] inclusive; bin 0 is
 *    the value 0.  A percentile is the inclusive upper bound of the bin
 *    holding the ceil(p% * count)-th smallest value, clamped to [min, max].
 *  - an empty histogram reports min 0 (not UINT64_MAX) and mean 0.
 *  - JSON integers above INT64_MAX (jansson's json_int_t) are written as
 *    reals rather than wrapping negative.
 *  - snapshot subtraction of histograms subtracts count, sum and bins and
 *    keeps min/max of the later snapshot (they cannot be subtracted).
 * Not done: per-epoch dumping (callers snapshot and dump per epoch), CSV.
 */
#include "stats.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum stats_kind { STATS_COUNTER, STATS_HIST, STATS_RATIO };

struct stats_entry {
	enum stats_kind kind;
	char *name, *unit, *desc;
	const uint64_t *value;       /* STATS_COUNTER */
	const struct iom_hist *hist; /* STATS_HIST */
	size_t slot;                 /* index into the snapshot's counter/hist array */
	size_t num, den;             /* STATS_RATIO: entry indices */
	double scale;
};

struct iom_stats {
	struct stats_entry *e;
	size_t n, cap;
	size_t n_counters, n_hists;
	size_t *hash; /* entry index + 1, 0 = empty; hash_cap is a power of 2 */
	size_t hash_cap;
};

struct iom_stats_snap {
	size_t n_counters, n_hists;
	uint64_t *counters;
	struct iom_hist *hists;
};

/* ---- histograms ---------------------------------------------------------- */

void iom_hist_init(struct iom_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

static uint64_t stats_bin_lo(unsigned i)
{
	return i ? 1ull << (i - 1) : 0;
}

static uint64_t stats_bin_hi(unsigned i)
{
	return i == 0 ? 0 : i == 64 ? UINT64_MAX : (1ull << i) - 1;
}

uint64_t iom_hist_percentile(const struct iom_hist *h, double p)
{
	if (!h->count)
		return 0;
	if (!(p > 0))
		p = 0;
	if (p > 100)
		p = 100;
	double r = ceil(p / 100.0 * (double)h->count);
	uint64_t rank = r < 1 ? 1 : r >= (double)h->count ? h->count : (uint64_t)r;
	uint64_t cum = 0;
	unsigned i;
	for (i = 0; i < IOM_HIST_BINS - 1; i++) {
		cum += h->bins[i];
		if (cum >= rank)
			break;
	}
	uint64_t v = stats_bin_hi(i);
	return IOM_MAX(IOM_MIN(v, h->max), h->min);
}

static double stats_hist_mean(const struct iom_hist *h)
{
	return h->count ? (double)h->sum / (double)h->count : 0.0;
}

static uint64_t stats_hist_min(const struct iom_hist *h)
{
	return h->count ? h->min : 0;
}

/* ---- registry ------------------------------------------------------------ */

struct iom_stats *iom_stats_create(void)
{
	return calloc(1, sizeof(struct iom_stats));
}

void iom_stats_destroy(struct iom_stats *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->e[i].name);
		free(s->e[i].unit);
		free(s->e[i].desc);
	}
	free(s->e);
	free(s->hash);
	free(s);
}

size_t iom_stats_count(const struct iom_stats *s)
{
	return s->n;
}

static size_t stats_hash_str(const char *str)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (; *str; str++)
		h = (h ^ (unsigned char)*str) * 1099511628211ull;
	return (size_t)h;
}

/* Entry index of name, or (size_t)-1. */
static size_t stats_find(const struct iom_stats *s, const char *name)
{
	if (!s->hash_cap)
		return (size_t)-1;
	size_t mask = s->hash_cap - 1;
	for (size_t i = stats_hash_str(name) & mask;; i = (i + 1) & mask) {
		size_t v = s->hash[i];
		if (!v)
			return (size_t)-1;
		if (!strcmp(s->e[v - 1].name, name))
			return v - 1;
	}
}

static void stats_hash_put(size_t *hash, size_t cap, const char *name, size_t idx)
{
	size_t i = stats_hash_str(name) & (cap - 1);
	while (hash[i])
		i = (i + 1) & (cap - 1);
	hash[i] = idx + 1;
}

/* Make room for one more entry (array and hash at most half full). */
static int stats_reserve(struct iom_stats *s)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 32;
		struct stats_entry *e = realloc(s->e, cap * sizeof(*e));
		if (!e)
			return -1;
		s->e = e;
		s->cap = cap;
	}
	if (2 * (s->n + 1) > s->hash_cap) {
		size_t cap = s->hash_cap ? 2 * s->hash_cap : 64;
		size_t *h = calloc(cap, sizeof(*h));
		if (!h)
			return -1;
		for (size_t i = 0; i < s->n; i++)
			stats_hash_put(h, cap, s->e[i].name, i);
		free(s->hash);
		s->hash = h;
		s->hash_cap = cap;
	}
	return 0;
}

/* Validate the name and append a blank entry of this kind in *out. */
static int stats_add(struct iom_stats *s, enum stats_kind kind, const char *name, const char *unit,
                     const char *desc, const void *ptr, struct stats_entry **out,
                     struct iom_err *err)
{
	if (!name || !*name)
		return iom_err_set(err, IOM_EINVAL, "stats: empty stat name");
	if (!ptr)
		return iom_err_set(err, IOM_EINVAL, "stats: '%s': NULL value pointer", name);
	if (stats_find(s, name) != (size_t)-1)
		return iom_err_set(err, IOM_EEXIST, "stats: '%s' is already registered", name);
	struct stats_entry ne = {.kind = kind};
	ne.name = strdup(name);
	ne.unit = strdup(unit ? unit : "");
	ne.desc = strdup(desc ? desc : "");
	if (!ne.name || !ne.unit || !ne.desc || stats_reserve(s)) {
		free(ne.name);
		free(ne.unit);
		free(ne.desc);
		return iom_err_set(err, IOM_ENOMEM, "stats: '%s': out of memory", name);
	}
	stats_hash_put(s->hash, s->hash_cap, name, s->n);
	s->e[s->n] = ne;
	*out = &s->e[s->n++];
	return 0;
}

int iom_stats_counter(struct iom_stats *s, const char *name, const char *unit, const char *desc,
                      const uint64_t *value, struct iom_err *err)
{
	struct stats_entry *e;
	int rc = stats_add(s, STATS_COUNTER, name, unit, desc, value, &e, err);
	if (rc)
		return rc;
	e->value = value;
	e->slot = s->n_counters++;
	return 0;
}

int iom_stats_histogram(struct iom_stats *s, const char *name, const char *unit, const char *desc,
                        const struct iom_hist *h, struct iom_err *err)
{
	struct stats_entry *e;
	int rc = stats_add(s, STATS_HIST, name, unit, desc, h, &e, err);
	if (rc)
		return rc;
	e->hist = h;
	e->slot = s->n_hists++;
	return 0;
}

/* Operands may be any registered stat (a histogram counts as its count);
 * they must exist already, so ratios can never form a cycle. */
int iom_stats_ratio(struct iom_stats *s, const char *name, const char *unit, const char *desc,
                    const char *num_name, const char *den_name, double scale, struct iom_err *err)
{
	const char *nm = name ? name : "";
	size_t num = num_name ? stats_find(s, num_name) : (size_t)-1;
	if (num == (size_t)-1)
		return iom_err_set(err, IOM_ENOENT,
		                   "stats: ratio '%s': numerator '%s' not registered", nm,
		                   num_name ? num_name : "(null)");
	size_t den = den_name ? stats_find(s, den_name) : (size_t)-1;
	if (den == (size_t)-1)
		return iom_err_set(err, IOM_ENOENT,
		                   "stats: ratio '%s': denominator '%s' not registered", nm,
		                   den_name ? den_name : "(null)");
	struct stats_entry *e;
	int rc = stats_add(s, STATS_RATIO, name, unit, desc, s, &e, err);
	if (rc)
		return rc;
	e->num = num;
	e->den = den;
	e->scale = scale;
	return 0;
}

/* ---- values (live or from a snapshot) ------------------------------------ */

/* Histogram of entry e, or NULL if the snapshot predates its registration. */
static const struct iom_hist *stats_hist_of(const struct iom_stats_snap *snap,
                                            const struct stats_entry *e)
{
	if (!snap)
		return e->hist;
	return e->slot < snap->n_hists ? &snap->hists[e->slot] : NULL;
}

/* Value of entry idx as iom_stats_get() defines it; 0 if it is missing
 * from the snapshot (*ok cleared). */
static double stats_value(const struct iom_stats *s, const struct iom_stats_snap *snap, size_t idx,
                          int *ok)
{
	const struct stats_entry *e = &s->e[idx];
	const struct iom_hist *h;
	switch (e->kind) {
	case STATS_COUNTER:
		if (!snap)
			return (double)*e->value;
		if (e->slot < snap->n_counters)
			return (double)snap->counters[e->slot];
		break;
	case STATS_HIST:
		if ((h = stats_hist_of(snap, e)))
			return (double)h->count;
		break;
	case STATS_RATIO: {
		double num = stats_value(s, snap, e->num, ok);
		double den = stats_value(s, snap, e->den, ok);
		return den != 0 ? num / den * e->scale : 0.0;
	}
	}
	*ok = 0;
	return 0;
}

/* Exact integer value of a counter entry (no double rounding). */
static int stats_counter_u64(const struct iom_stats_snap *snap, const struct stats_entry *e,
                             uint64_t *out)
{
	if (!snap) {
		*out = *e->value;
		return 1;
	}
	if (e->slot >= snap->n_counters)
		return 0;
	*out = snap->counters[e->slot];
	return 1;
}

int iom_stats_get(const struct iom_stats *s, const struct iom_stats_snap *snap, const char *name,
                  double *out)
{
	size_t idx = name ? stats_find(s, name) : (size_t)-1;
	if (idx == (size_t)-1)
		return -IOM_ENOENT;
	int ok = 1;
	double v = stats_value(s, snap, idx, &ok);
	if (!ok)
		return -IOM_ENOENT;
	*out = v;
	return 0;
}

/* A name that is not a histogram answers -IOM_ENOENT: there is no histogram
 * of that name. */
int iom_stats_get_hist(const struct iom_stats *s, const struct iom_stats_snap *snap,
                       const char *name, struct iom_hist *out)
{
	size_t idx = name ? stats_find(s, name) : (size_t)-1;
	if (idx == (size_t)-1 || s->e[idx].kind != STATS_HIST)
		return -IOM_ENOENT;
	const struct iom_hist *h = stats_hist_of(snap, &s->e[idx]);
	if (!h)
		return -IOM_ENOENT;
	*out = *h;
	return 0;
}

const char *iom_stats_name(const struct iom_stats *s, size_t i)
{
	return i < s->n ? s->e[i].name : NULL;
}

/* ---- snapshots ----------------------------------------------------------- */

static struct iom_stats_snap *stats_snap_alloc(size_t n_counters, size_t n_hists)
{
	struct iom_stats_snap *snap = calloc(1, sizeof(*snap));
	if (!snap)
		return NULL;
	snap->counters = calloc(n_counters ? n_counters : 1, sizeof(*snap->counters));
	snap->hists = calloc(n_hists ? n_hists : 1, sizeof(*snap->hists));
	if (!snap->counters || !snap->hists) {
		iom_stats_snap_free(snap);
		return NULL;
	}
	snap->n_counters = n_counters;
	snap->n_hists = n_hists;
	return snap;
}

struct iom_stats_snap *iom_stats_snapshot(const struct iom_stats *s)
{
	struct iom_stats_snap *snap = stats_snap_alloc(s->n_counters, s->n_hists);
	if (!snap)
		return NULL;
	for (size_t i = 0; i < s->n; i++) {
		const struct stats_entry *e = &s->e[i];
		if (e->kind == STATS_COUNTER)
			snap->counters[e->slot] = *e->value;
		else if (e->kind == STATS_HIST)
			snap->hists[e->slot] = *e->hist;
	}
	return snap;
}

static void stats_hist_sub(struct iom_hist *r, const struct iom_hist *a, const struct iom_hist *b)
{
	r->count = a->count - b->count;
	r->sum = a->sum - b->sum;
	r->min = a->min;
	r->max = a->max;
	for (unsigned i = 0; i < IOM_HIST_BINS; i++)
		r->bins[i] = a->bins[i] - b->bins[i];
}

/* Stats registered after b was taken are missing from b: they are taken
 * as-is from a (they were 0 when b was taken, as far as b knows). */
struct iom_stats_snap *iom_stats_snap_sub(const struct iom_stats_snap *a,
                                          const struct iom_stats_snap *b)
{
	struct iom_stats_snap *r = stats_snap_alloc(a->n_counters, a->n_hists);
	if (!r)
		return NULL;
	for (size_t i = 0; i < a->n_counters; i++)
		r->counters[i] = a->counters[i] - (i < b->n_counters ? b->counters[i] : 0);
	for (size_t i = 0; i < a->n_hists; i++) {
		if (i < b->n_hists)
			stats_hist_sub(&r->hists[i], &a->hists[i], &b->hists[i]);
		else
			r->hists[i] = a->hists[i];
	}
	return r;
}

void iom_stats_snap_free(struct iom_stats_snap *snap)
{
	if (!snap)
		return;
	free(snap->counters);
	free(snap->hists);
	free(snap);
}

/* ---- text dump ----------------------------------------------------------- */

#define STATS_VAL_MAX 160

/* Format entry e's value column; returns 0 if missing from the snapshot. */
static int stats_fmt_value(const struct iom_stats *s, const struct iom_stats_snap *snap, size_t idx,
                           char *buf, size_t len)
{
	const struct stats_entry *e = &s->e[idx];
	int ok = 1;
	uint64_t u;
	const struct iom_hist *h;
	switch (e->kind) {
	case STATS_COUNTER:
		if (!stats_counter_u64(snap, e, &u))
			return 0;
		snprintf(buf, len, "%llu", (unsigned long long)u);
		return 1;
	case STATS_RATIO: {
		double v = stats_value(s, snap, idx, &ok);
		snprintf(buf, len, "%.6g", v);
		return ok;
	}
	case STATS_HIST:
		if (!(h = stats_hist_of(snap, e)))
			return 0;
		snprintf(buf, len, "count=%llu mean=%.6g min=%llu max=%llu p50=%llu p99=%llu",
		         (unsigned long long)h->count, stats_hist_mean(h),
		         (unsigned long long)stats_hist_min(h), (unsigned long long)h->max,
		         (unsigned long long)iom_hist_percentile(h, 50),
		         (unsigned long long)iom_hist_percentile(h, 99));
		return 1;
	}
	return 0;
}

static void stats_dump_bins(const struct iom_hist *h, FILE *f)
{
	char label[IOM_HIST_BINS][48];
	int w = 0;
	for (unsigned i = 0; i < IOM_HIST_BINS; i++) {
		if (!h->bins[i])
			continue;
		int n = snprintf(label[i], sizeof(label[i]), "[%llu, %llu]",
		                 (unsigned long long)stats_bin_lo(i),
		                 (unsigned long long)stats_bin_hi(i));
		w = IOM_MAX(w, n);
	}
	for (unsigned i = 0; i < IOM_HIST_BINS; i++)
		if (h->bins[i])
			fprintf(f, "    %-*s  %llu\n", w, label[i], (unsigned long long)h->bins[i]);
}

/* Column widths: name, value (counters and ratios only: a histogram's
 * summary is long and would push every other value right), unit. */
static void stats_widths(const struct iom_stats *s, const struct iom_stats_snap *snap, int w[3])
{
	char buf[STATS_VAL_MAX];
	w[0] = w[1] = w[2] = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (!stats_fmt_value(s, snap, i, buf, sizeof(buf)))
			continue;
		w[0] = IOM_MAX(w[0], (int)strlen(s->e[i].name));
		if (s->e[i].kind != STATS_HIST)
			w[1] = IOM_MAX(w[1], (int)strlen(buf));
		w[2] = IOM_MAX(w[2], (int)strlen(s->e[i].unit));
	}
}

void iom_stats_dump_text(const struct iom_stats *s, const struct iom_stats_snap *snap, FILE *f)
{
	int w[3];
	char buf[STATS_VAL_MAX];
	stats_widths(s, snap, w);
	for (size_t i = 0; i < s->n; i++) {
		const struct stats_entry *e = &s->e[i];
		if (!stats_fmt_value(s, snap, i, buf, sizeof(buf)))
			continue;
		if (e->kind == STATS_HIST)
			fprintf(f, "%-*s  %-*s", w[0], e->name, w[1], buf);
		else
			fprintf(f, "%-*s  %*s", w[0], e->name, w[1], buf);
		if (*e->desc)
			fprintf(f, "  %-*s  # %s\n", w[2], e->unit, e->desc);
		else if (*e->unit)
			fprintf(f, "  %s\n", e->unit);
		else
			fputc('\n', f);
		if (e->kind == STATS_HIST)
			stats_dump_bins(stats_hist_of(snap, e), f);
	}
}

/* ---- JSON ---------------------------------------------------------------- */

/* jansson integers (json_int_t, long long) are signed 64-bit: larger values
 * become reals rather than wrapping negative. */
static json_t *stats_json_u64(uint64_t v)
{
	return v <= (uint64_t)INT64_MAX ? json_integer((json_int_t)v) : json_real((double)v);
}

/* json_object_set_new() steals the value even on failure; count failures. */
static void stats_jset(json_t *o, const char *key, json_t *v, int *bad)
{
	if (!v || json_object_set_new(o, key, v))
		*bad = 1;
}

static json_t *stats_json_bins(const struct iom_hist *h, int *bad)
{
	json_t *bins = json_array();
	if (!bins) {
		*bad = 1;
		return NULL;
	}
	for (unsigned i = 0; i < IOM_HIST_BINS; i++) {
		if (!h->bins[i])
			continue;
		json_t *b = json_pack("[ooo]", stats_json_u64(stats_bin_lo(i)),
		                      stats_json_u64(stats_bin_hi(i)), stats_json_u64(h->bins[i]));
		if (!b || json_array_append_new(bins, b))
			*bad = 1;
	}
	return bins;
}

static json_t *stats_json_hist(const struct iom_hist *h, int *bad)
{
	json_t *o = json_object();
	if (!o) {
		*bad = 1;
		return NULL;
	}
	stats_jset(o, "count", stats_json_u64(h->count), bad);
	stats_jset(o, "sum", stats_json_u64(h->sum), bad);
	stats_jset(o, "min", stats_json_u64(stats_hist_min(h)), bad);
	stats_jset(o, "max", stats_json_u64(h->max), bad);
	stats_jset(o, "mean", json_real(stats_hist_mean(h)), bad);
	stats_jset(o, "p50", stats_json_u64(iom_hist_percentile(h, 50)), bad);
	stats_jset(o, "p99", stats_json_u64(iom_hist_percentile(h, 99)), bad);
	stats_jset(o, "bins", stats_json_bins(h, bad), bad);
	return o;
}

/* JSON object of one entry, or NULL if missing from the snapshot. */
static json_t *stats_json_entry(const struct iom_stats *s, const struct iom_stats_snap *snap,
                                size_t idx, int *bad)
{
	const struct stats_entry *e = &s->e[idx];
	json_t *o = NULL;
	uint64_t u;
	int ok = 1;
	if (e->kind == STATS_HIST) {
		const struct iom_hist *h = stats_hist_of(snap, e);
		if (!h)
			return NULL;
		o = stats_json_hist(h, bad);
	} else if (e->kind == STATS_COUNTER) {
		if (!stats_counter_u64(snap, e, &u))
			return NULL;
		if ((o = json_object()))
			stats_jset(o, "value", stats_json_u64(u), bad);
	} else {
		double v = stats_value(s, snap, idx, &ok);
		if (!ok)
			return NULL;
		if ((o = json_object()))
			stats_jset(o, "value", json_real(v), bad);
	}
	if (!o) {
		*bad = 1;
		return NULL;
	}
	stats_jset(o, "unit", json_string(e->unit), bad);
	stats_jset(o, "desc", json_string(e->desc), bad);
	return o;
}

void *iom_stats_to_json(const struct iom_stats *s, const struct iom_stats_snap *snap)
{
	json_t *root = json_object();
	if (!root)
		return NULL;
	int bad = 0;
	for (size_t i = 0; i < s->n && !bad; i++) {
		json_t *o = stats_json_entry(s, snap, i, &bad);
		if (o)
			stats_jset(root, s->e[i].name, o, &bad);
	}
	if (bad) {
		json_decref(root);
		return NULL;
	}
	return root;
}

int iom_stats_counters(struct iom_stats *s, const char *prefix, const void *base,
		       const struct iom_stats_field *f, size_t n, struct iom_err *err)
{
	int r = 0;
	for (size_t i = 0; i < n && !r; i++) {
		char name[192];
		snprintf(name, sizeof(name), "%s.%s", prefix, f[i].name);
		r = iom_stats_counter(s, name, f[i].unit, f[i].desc,
				      (const uint64_t *)((const char *)base + f[i].off), err);
	}
	return r;
}
