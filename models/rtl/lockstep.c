/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lockstep.c - lockstep co-simulation of the C cache and the RTL IOTLB.
 *
 * The checker is an observer of a C cache (cache.h): after the C model
 * has done an operation it sees what the operation was and what the C
 * model did, applies the same operation to its own RTL instance and
 * compares, operation by operation:
 *   lookup / probe / peek  hit or miss, the way, the value found
 *   insert                 key present or not, the way filled, whether a
 *                          valid entry was evicted and which key
 *   invalidate, drop       the way dropped (or none)
 *   invalidate_range, flush  the number dropped
 *   every operation        the number of valid entries
 * and with check_sets, the whole set the operation touched: the valid ways
 * and their keys, and the replacement state -- the same PLRU bits, or for
 * LRU the same recency order of the valid ways (C stamps vs RTL ages).
 * The first mismatch is kept as a report naming the operation index, the
 * operation, both outcomes and both set states; by default comparing stops
 * there, as the two models have diverged.
 */
#include "rtl.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct iom_rtl_lockstep {
	struct iom_rtl_lockstep_opts o;
	struct iom_rtl_tlb *t;
	uint32_t policy;
	bool stopped;
	struct iom_rtl_lockstep_result res;
};

/* Appends to the report (silently truncated at IOM_RTL_REPORT_MAX). */
static void __attribute__((format(printf, 2, 3))) ls_say(struct iom_rtl_lockstep *l,
							 const char *fmt, ...)
{
	size_t n = strlen(l->res.report);
	if (n + 1 >= sizeof(l->res.report))
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(l->res.report + n, sizeof(l->res.report) - n, fmt, ap);
	va_end(ap);
}

static bool ls_op_has_set(uint32_t op)
{
	return op != IOM_CACHE_OP_INV_RANGE && op != IOM_CACHE_OP_FLUSH;
}

/* Both states of one set, one line per way. */
static void ls_dump_set(struct iom_rtl_lockstep *l, const struct iom_cache *c, uint32_t set)
{
	struct iom_rtl_set r;
	iom_rtl_tlb_read_set(l->t, set, &r);
	bool plru = l->policy == IOM_CACHE_PLRU;
	ls_say(l, "  set %" PRIu32 ", C model | RTL (%s):\n", set,
	       plru ? "PLRU node bits after the ways" : "LRU: C stamp, RTL age 0 = newest");
	for (uint32_t w = 0; w < iom_cache_ways(c); w++) {
		struct iom_cache_key k;
		bool cv = iom_cache_way(c, set, w, &k, NULL), rv = r.valid >> w & 1;
		ls_say(l, "    way %2" PRIu32 ": ", w);
		if (cv)
			ls_say(l, "addr %#" PRIx64 " tag %#" PRIx64, k.addr, k.tag);
		else
			ls_say(l, "invalid");
		if (!plru)
			ls_say(l, " stamp %" PRIu64, iom_cache_stamp(c, set, w));
		ls_say(l, " | ");
		if (rv)
			ls_say(l, "addr %#" PRIx64 " tag %#" PRIx64, r.key[w].addr, r.key[w].tag);
		else
			ls_say(l, "invalid");
		if (!plru)
			ls_say(l, " age %u", r.age[w]);
		ls_say(l, "%s\n", cv != rv || (cv && (k.addr != r.key[w].addr ||
						       k.tag != r.key[w].tag))
					  ? "   <-- differs"
					  : "");
	}
	if (plru)
		ls_say(l, "    PLRU bits: C %#" PRIx64 " | RTL %#" PRIx64 "\n",
		       iom_cache_plru_bits(c, set), (uint64_t)(r.plru & ~1ull));
}

/* Keys and replacement state of one set agree? */
static bool ls_set_agrees(struct iom_rtl_lockstep *l, const struct iom_cache *c, uint32_t set)
{
	struct iom_rtl_set r;
	uint32_t ways = iom_cache_ways(c);
	uint64_t stamp[IOM_RTL_TLB_MAX_WAYS];
	iom_rtl_tlb_read_set(l->t, set, &r);
	for (uint32_t w = 0; w < ways; w++) {
		struct iom_cache_key k;
		bool cv = iom_cache_way(c, set, w, &k, NULL);
		if (cv != (bool)(r.valid >> w & 1))
			return false;
		if (cv && (k.addr != r.key[w].addr || k.tag != r.key[w].tag))
			return false;
		stamp[w] = iom_cache_stamp(c, set, w);
	}
	if (l->policy == IOM_CACHE_PLRU) {
		uint64_t nodes = ways >= 64 ? ~1ull : ((1ull << ways) - 1) & ~1ull;
		return (iom_cache_plru_bits(c, set) & nodes) == (r.plru & nodes);
	}
	/* LRU: a newer stamp is a younger age, for every pair of valid ways. */
	for (uint32_t a = 0; a < ways; a++)
		for (uint32_t b = 0; b < ways; b++)
			if ((r.valid >> a & 1) && (r.valid >> b & 1) &&
			    (stamp[a] > stamp[b]) != (r.age[a] < r.age[b]))
				return false;
	return true;
}

static void ls_key(struct iom_rtl_lockstep *l, const char *what, const struct iom_cache_key *k)
{
	ls_say(l, "%saddr %#" PRIx64 " tag %#" PRIx64, what, k->addr, k->tag);
}

static void ls_mismatch(struct iom_rtl_lockstep *l, const struct iom_cache *c,
			const struct iom_cache_event *ev, uint64_t idx, const char *what,
			const char *c_out, const char *r_out)
{
	l->res.mismatches++;
	if (!l->o.keep_going)
		l->stopped = true;
	if (l->res.mismatches > 1)
		return;
	l->res.first_op = idx;
	ls_say(l, "lockstep mismatch at operation %" PRIu64 " (%s", idx, iom_cache_op_name(ev->op));
	if (ls_op_has_set(ev->op))
		ls_key(l, " ", &ev->key);
	else if (ev->op == IOM_CACHE_OP_INV_RANGE)
		ls_say(l, " tag %#" PRIx64 " mask %#" PRIx64 " addr %#" PRIx64 "..%#" PRIx64,
		       ev->tag, ev->mask, ev->lo, ev->hi);
	ls_say(l, "): %s differs\n  C model: %s\n  RTL:     %s\n", what, c_out, r_out);
	if (ls_op_has_set(ev->op))
		ls_dump_set(l, c, ev->set);
}

static void ls_fmt_find(char *buf, size_t n, int way, uint64_t value)
{
	if (way < 0)
		snprintf(buf, n, "miss");
	else
		snprintf(buf, n, "hit in way %d, value %#" PRIx64, way, value);
}

static void ls_fmt_fill(char *buf, size_t n, int way, bool present, bool evicted,
			const struct iom_cache_key *v)
{
	if (present)
		snprintf(buf, n, "key present in way %d (touched)", way);
	else if (evicted)
		snprintf(buf, n, "filled way %d, evicted addr %#" PRIx64 " tag %#" PRIx64, way,
			 v->addr, v->tag);
	else
		snprintf(buf, n, "filled free way %d", way);
}

static void ls_observe(void *ctx, const struct iom_cache *c, const struct iom_cache_event *ev)
{
	struct iom_rtl_lockstep *l = ctx;
	if (l->stopped)
		return;
	uint64_t idx = l->res.ops++;
	if (ev->op < IOM_CACHE_NOPS)
		l->res.by_op[ev->op]++;
	char co[160], ro[160];
	switch (ev->op) {
	case IOM_CACHE_OP_LOOKUP:
	case IOM_CACHE_OP_PROBE:
	case IOM_CACHE_OP_PEEK: {
		uint64_t v = 0;
		int w = iom_rtl_tlb_lookup(l->t, &ev->key, ev->op != IOM_CACHE_OP_PEEK, &v);
		if (w != ev->way || (w >= 0 && v != ev->value)) {
			ls_fmt_find(co, sizeof(co), ev->way, ev->value);
			ls_fmt_find(ro, sizeof(ro), w, v);
			ls_mismatch(l, c, ev, idx, "the lookup", co, ro);
			return;
		}
		break;
	}
	case IOM_CACHE_OP_INSERT: {
		bool present, evicted;
		struct iom_cache_key v = { 0, 0 };
		int w = iom_rtl_tlb_fill(l->t, &ev->key, ev->value, &present, &evicted, &v);
		if (w != ev->way || present != ev->present || evicted != ev->evicted ||
		    (evicted && (v.addr != ev->victim.addr || v.tag != ev->victim.tag))) {
			ls_fmt_fill(co, sizeof(co), ev->way, ev->present, ev->evicted, &ev->victim);
			ls_fmt_fill(ro, sizeof(ro), w, present, evicted, &v);
			ls_mismatch(l, c, ev, idx, "the fill (way / victim)", co, ro);
			return;
		}
		break;
	}
	case IOM_CACHE_OP_INVALIDATE:
	case IOM_CACHE_OP_DROP: {
		int w = iom_rtl_tlb_invalidate(l->t, &ev->key);
		if (w != ev->way) {
			snprintf(co, sizeof(co), ev->way < 0 ? "not present" : "dropped way %d",
				 ev->way);
			snprintf(ro, sizeof(ro), w < 0 ? "not present" : "dropped way %d", w);
			ls_mismatch(l, c, ev, idx, "the invalidation", co, ro);
			return;
		}
		break;
	}
	case IOM_CACHE_OP_INV_RANGE:
	case IOM_CACHE_OP_FLUSH: {
		uint64_t n = ev->op == IOM_CACHE_OP_FLUSH
				     ? iom_rtl_tlb_flush(l->t)
				     : iom_rtl_tlb_invalidate_range(l->t, ev->tag, ev->mask, ev->lo,
								    ev->hi);
		if (n != ev->count) {
			snprintf(co, sizeof(co), "%" PRIu64 " entries dropped", ev->count);
			snprintf(ro, sizeof(ro), "%" PRIu64 " entries dropped", n);
			ls_mismatch(l, c, ev, idx, "the number dropped", co, ro);
			return;
		}
		break;
	}
	default:
		return;
	}
	if (iom_rtl_tlb_valid(l->t) != iom_cache_valid(c)) {
		snprintf(co, sizeof(co), "%" PRIu32 " valid entries", iom_cache_valid(c));
		snprintf(ro, sizeof(ro), "%" PRIu32 " valid entries", iom_rtl_tlb_valid(l->t));
		ls_mismatch(l, c, ev, idx, "the number of valid entries", co, ro);
		return;
	}
	if (l->o.check_sets && ls_op_has_set(ev->op) && !ls_set_agrees(l, c, ev->set))
		ls_mismatch(l, c, ev, idx, "the set after the operation", "see the set below",
			    "see the set below");
}

struct iom_rtl_lockstep *iom_rtl_lockstep_attach(struct iom_cache *c,
						 const struct iom_rtl_lockstep_opts *o,
						 struct iom_err *err)
{
	const struct iom_cache_cfg *cfg = iom_cache_config(c);
	if (iom_cache_valid(c)) {
		iom_err_set(err, IOM_EINVAL,
			    "lockstep: the cache must be empty when the check starts");
		return NULL;
	}
	if (!iom_cache_sets(c)) {
		iom_err_set(err, IOM_EINVAL, "lockstep: the cache is disabled (entries 0)");
		return NULL;
	}
	struct iom_rtl_lockstep *l = calloc(1, sizeof(*l));
	if (!l) {
		iom_err_set(err, IOM_ENOMEM, "lockstep: out of memory");
		return NULL;
	}
	l->t = iom_rtl_tlb_create(iom_cache_sets(c), iom_cache_ways(c), cfg->policy, err);
	if (!l->t) {
		iom_err_prefix(err, "lockstep");
		free(l);
		return NULL;
	}
	if (o)
		l->o = *o;
	l->policy = cfg->policy;
	iom_cache_set_observer(c, ls_observe, l);
	return l;
}

const struct iom_rtl_lockstep_result *iom_rtl_lockstep_verdict(const struct iom_rtl_lockstep *l)
{
	return &l->res;
}

void iom_rtl_lockstep_destroy(struct iom_rtl_lockstep *l)
{
	if (!l)
		return;
	iom_rtl_tlb_destroy(l->t);
	free(l);
}

void iom_rtl_event_apply(struct iom_cache *c, const struct iom_cache_event *ev)
{
	uint8_t value[IOM_CACHE_VALUE_MAX] = { 0 };
	memcpy(value, &ev->value, sizeof(ev->value));
	switch (ev->op) {
	case IOM_CACHE_OP_LOOKUP:
		iom_cache_lookup(c, &ev->key);
		break;
	case IOM_CACHE_OP_PROBE:
		iom_cache_probe(c, &ev->key);
		break;
	case IOM_CACHE_OP_PEEK:
		iom_cache_peek(c, &ev->key);
		break;
	case IOM_CACHE_OP_INSERT:
		iom_cache_insert(c, &ev->key, value, NULL, NULL);
		break;
	case IOM_CACHE_OP_INVALIDATE:
	case IOM_CACHE_OP_DROP:
		iom_cache_invalidate(c, &ev->key);
		break;
	case IOM_CACHE_OP_INV_RANGE:
		iom_cache_invalidate_range(c, ev->tag, ev->mask, ev->lo, ev->hi);
		break;
	case IOM_CACHE_OP_FLUSH:
		iom_cache_flush(c);
		break;
	default:
		break;
	}
}
