/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stats.h - statistics registry.
 *
 * Models keep plain uint64_t counters and struct iom_hist histograms in their
 * own structs (the hot path increments a field, nothing more).  At build time
 * each model registers them once with a hierarchical name
 * ("smmu0.tlb.hits"), a unit and a description.  Derived values (ratios such
 * as hit rates, means) are computed at dump time from registered counters.
 *
 * Snapshots copy every registered value; subtracting two snapshots gives the
 * region of interest (warm-up excluded).  Dumps: aligned human text, JSON
 * (jansson) with name/unit/description, CSV-friendly flat lookup by name.
 * Registration order is output order, so output is deterministic.
 */
#ifndef IOM_SIM_STATS_H
#define IOM_SIM_STATS_H

#include "iom.h"

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* log2 histogram: bin 0 holds value 0, bin i (1..64) holds [2^(i-1), 2^i). */
#define IOM_HIST_BINS 65
struct iom_hist {
	uint64_t count;
	uint64_t sum;
	uint64_t min; /* UINT64_MAX while empty */
	uint64_t max;
	uint64_t bins[IOM_HIST_BINS];
};

void iom_hist_init(struct iom_hist *h);
static inline void iom_hist_add(struct iom_hist *h, uint64_t v)
{
	h->count++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->bins[v ? 64 - __builtin_clzll(v) : 0]++;
}
/* Approximate percentile (0..100) from the bins: upper bound of the bin
 * holding the p-th percentile, clamped to [min, max]. 0 if empty. */
uint64_t iom_hist_percentile(const struct iom_hist *h, double p);

struct iom_stats;

struct iom_stats *iom_stats_create(void);
void iom_stats_destroy(struct iom_stats *s);

/* Registration. Names must be unique (-IOM_EEXIST otherwise); the strings
 * are copied. The pointed-to storage must outlive the registry. */
int iom_stats_counter(struct iom_stats *s, const char *name, const char *unit, const char *desc,
		      const uint64_t *value, struct iom_err *err);
int iom_stats_histogram(struct iom_stats *s, const char *name, const char *unit, const char *desc,
			const struct iom_hist *h, struct iom_err *err);
/* Derived: num/den of two registered counters (by name), printed as a
 * ratio (0 when den is 0); scale multiplies it (100 for percent). */
int iom_stats_ratio(struct iom_stats *s, const char *name, const char *unit, const char *desc,
		    const char *num_name, const char *den_name, double scale, struct iom_err *err);

/* A table of uint64_t counters inside one struct: each registered as
 * "<prefix>.<name>" pointing at base + off (IOM_STATS_FIELD fills off). */
struct iom_stats_field {
	const char *name, *unit, *desc;
	size_t off;
};
#define IOM_STATS_FIELD(T, field, unit_, desc_) { #field, (unit_), (desc_), offsetof(T, field) }
int iom_stats_counters(struct iom_stats *s, const char *prefix, const void *base,
		       const struct iom_stats_field *f, size_t n, struct iom_err *err);

size_t iom_stats_count(const struct iom_stats *s);

/* Snapshots: a copy of every registered counter and histogram. */
struct iom_stats_snap;
struct iom_stats_snap *iom_stats_snapshot(const struct iom_stats *s);
/* a - b, element-wise (histogram min/max are taken from a). New snapshot. */
struct iom_stats_snap *iom_stats_snap_sub(const struct iom_stats_snap *a,
					  const struct iom_stats_snap *b);
void iom_stats_snap_free(struct iom_stats_snap *snap);
/* Value of a counter or derived stat by name in a snapshot (NULL snap = live).
 * Returns 0 and sets *out, or -IOM_ENOENT. Histograms answer their count. */
int iom_stats_get(const struct iom_stats *s, const struct iom_stats_snap *snap, const char *name,
		  double *out);

/* A histogram by name from a snapshot (NULL snap = live). 0 or -IOM_ENOENT. */
int iom_stats_get_hist(const struct iom_stats *s, const struct iom_stats_snap *snap,
		       const char *name, struct iom_hist *out);
/* Iterate names in registration order: index 0..count-1. NULL past the end. */
const char *iom_stats_name(const struct iom_stats *s, size_t i);

/* Output. snap NULL = live values. Text: "name  value  unit  # desc" lines,
 * histograms as count/mean/min/max/p50/p99 and non-empty bins. */
void iom_stats_dump_text(const struct iom_stats *s, const struct iom_stats_snap *snap, FILE *f);
/* JSON object { "name": {"value":..,"unit":..,"desc":..}, ... };
 * histograms {"count","sum","min","max","mean","p50","p99","bins":[[lo,hi,n],...]}.
 * Returns a new reference (json_t *), or NULL on OOM. Declared as void * so
 * this header does not pull in jansson. */
void *iom_stats_to_json(const struct iom_stats *s, const struct iom_stats_snap *snap);

#ifdef __cplusplus
}
#endif
#endif
