/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rtl.c - the RTL IOTLB as a backend of a C cache, and the `--tlb-impl`
 * session that installs it (or the lockstep checker) behind every SMMU TLB
 * through the SMMU's TLB hook.
 *
 * With the backend the C cache keeps its values (indexed by the set and
 * the way the RTL reports), its stats and its valid count; lookups, fills,
 * victim choice and invalidations are the RTL's.  The cache's
 * invalidate_if (the SMMU's TLBI scans) reads each set from the RTL, asks
 * the caller's predicate and drops the chosen ways with one RTL operation.
 */
#include "rtl.h"

#include "smmuv3.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---- backend ---- */

static int rtl_be_lookup(void *ctx, const struct iom_cache_key *k, bool touch)
{
	return iom_rtl_tlb_lookup(ctx, k, touch, NULL);
}

static int rtl_be_fill(void *ctx, const struct iom_cache_key *k, uint64_t value, bool *present,
		       bool *evicted, struct iom_cache_key *victim)
{
	return iom_rtl_tlb_fill(ctx, k, value, present, evicted, victim);
}

static int rtl_be_invalidate(void *ctx, const struct iom_cache_key *k)
{
	return iom_rtl_tlb_invalidate(ctx, k);
}

static uint64_t rtl_be_invalidate_range(void *ctx, uint64_t tag, uint64_t mask, uint64_t lo,
					uint64_t hi)
{
	return iom_rtl_tlb_invalidate_range(ctx, tag, mask, lo, hi);
}

static uint64_t rtl_be_read_set(void *ctx, uint32_t set, struct iom_cache_key *keys)
{
	struct iom_rtl_set s;
	iom_rtl_tlb_read_set(ctx, set, &s);
	memcpy(keys, s.key, iom_rtl_tlb_ways(ctx) * sizeof(*keys));
	return s.valid;
}

static uint64_t rtl_be_invalidate_ways(void *ctx, uint32_t set, uint64_t ways)
{
	return iom_rtl_tlb_invalidate_ways(ctx, set, ways);
}

static uint64_t rtl_be_flush(void *ctx)
{
	return iom_rtl_tlb_flush(ctx);
}

static void rtl_be_destroy(void *ctx)
{
	iom_rtl_tlb_destroy(ctx);
}

static const struct iom_cache_backend rtl_backend = {
	.name = "rtl",
	.lookup = rtl_be_lookup,
	.fill = rtl_be_fill,
	.invalidate = rtl_be_invalidate,
	.invalidate_range = rtl_be_invalidate_range,
	.read_set = rtl_be_read_set,
	.invalidate_ways = rtl_be_invalidate_ways,
	.flush = rtl_be_flush,
	.destroy = rtl_be_destroy,
};

/* A new RTL instance with c's geometry and policy; `what` names c in messages. */
static struct iom_rtl_tlb *rtl_for_cache(const struct iom_cache *c, const char *what,
					 struct iom_err *err)
{
	const struct iom_cache_cfg *cfg = iom_cache_config(c);
	if (!iom_cache_sets(c)) {
		iom_err_set(err, IOM_EINVAL, "%s: the cache is disabled (entries 0)", what);
		return NULL;
	}
	struct iom_rtl_tlb *t = iom_rtl_tlb_create(iom_cache_sets(c), iom_cache_ways(c),
						   cfg->policy, err);
	if (!t)
		iom_err_prefix(err, "%s (%" PRIu32 " entries, %" PRIu32 " ways)", what,
			       cfg->entries, iom_cache_ways(c));
	return t;
}

int iom_rtl_cache_attach(struct iom_cache *c, struct iom_err *err)
{
	struct iom_rtl_tlb *t = rtl_for_cache(c, "RTL TLB", err);
	if (!t)
		return -err->code;
	return iom_cache_set_backend(c, &rtl_backend, t, err);
}

struct iom_rtl_tlb *iom_rtl_cache_tlb(const struct iom_cache *c)
{
	void *ctx;
	return iom_cache_backend_of(c, &ctx) == &rtl_backend ? ctx : NULL;
}

/* ---- --tlb-impl session ---- */

#define RTL_SESSION_MAX 16

struct iom_rtl_session {
	bool lockstep;
	struct iom_rtl_lockstep_opts opts;
	unsigned ntlbs;
	struct iom_cache *tlbs[RTL_SESSION_MAX];
	struct iom_rtl_lockstep *ls[RTL_SESSION_MAX];
};

static int rtl_session_hook(struct iom_cache *tlb, void *ctx, struct iom_err *err)
{
	struct iom_rtl_session *s = ctx;
	if (s->ntlbs == RTL_SESSION_MAX)
		return iom_err_set(err, IOM_ENOTSUP, "--tlb-impl: more than %d SMMU TLBs",
				   RTL_SESSION_MAX);
	if (!iom_cache_sets(tlb)) {
		/* entries 0: no TLB logic to replace or check */
	} else if (s->lockstep) {
		struct iom_rtl_lockstep *l = iom_rtl_lockstep_attach(tlb, &s->opts, err);
		if (!l)
			return -err->code;
		s->ls[s->ntlbs] = l;
	} else {
		int r = iom_rtl_cache_attach(tlb, err);
		if (r)
			return r;
	}
	s->tlbs[s->ntlbs++] = tlb;
	return 0;
}

struct iom_rtl_session *iom_rtl_session_begin(const char *impl,
					      const struct iom_rtl_lockstep_opts *o,
					      struct iom_err *err)
{
	bool lockstep = impl && !strcmp(impl, "lockstep");
	if (!impl || (strcmp(impl, "rtl") && !lockstep)) {
		iom_err_set(err, IOM_EINVAL,
			    "unknown TLB implementation '%s' (native, rtl, lockstep)",
			    impl ? impl : "(null)");
		return NULL;
	}
	struct iom_rtl_session *s = calloc(1, sizeof(*s));
	if (!s) {
		iom_err_set(err, IOM_ENOMEM, "out of memory");
		return NULL;
	}
	s->lockstep = lockstep;
	if (o)
		s->opts = *o;
	else
		s->opts.check_sets = true;
	iom_smmu_set_tlb_hook(rtl_session_hook, s);
	return s;
}

unsigned iom_rtl_session_tlbs(const struct iom_rtl_session *s)
{
	return s->ntlbs;
}

int iom_rtl_session_check(struct iom_rtl_session *s, FILE *note, struct iom_err *err)
{
	for (unsigned i = 0; !s->lockstep && note && i < s->ntlbs; i++) {
		const struct iom_rtl_tlb *t = iom_rtl_cache_tlb(s->tlbs[i]);
		if (!t) {
			fprintf(note, "rtl: TLB %u is disabled (entries 0): nothing to replace\n",
				i);
			continue;
		}
		fprintf(note,
			"rtl: TLB %u ran on the RTL IOTLB (%" PRIu32 " sets x %" PRIu32
			" ways): %" PRIu64 " RTL cycles\n",
			i, iom_rtl_tlb_sets(t), iom_rtl_tlb_ways(t), iom_rtl_tlb_cycles(t));
	}
	for (unsigned i = 0; s->lockstep && i < s->ntlbs; i++) {
		if (!s->ls[i])
			continue; /* disabled TLB */
		const struct iom_rtl_lockstep_result *r = iom_rtl_lockstep_verdict(s->ls[i]);
		if (note)
			fprintf(note,
				"lockstep: TLB %u: %" PRIu64 " operations compared with the RTL "
				"IOTLB, %" PRIu64 " mismatches\n",
				i, r->ops, r->mismatches);
		if (!r->mismatches)
			continue;
		if (note)
			fputs(r->report, note);
		int len = (int)strcspn(r->report, "\n");
		return iom_err_set(err, IOM_EINVAL, "%.*s", len, r->report);
	}
	return 0;
}

void iom_rtl_session_end(struct iom_rtl_session *s)
{
	if (!s)
		return;
	iom_smmu_set_tlb_hook(NULL, NULL);
	for (unsigned i = 0; i < s->ntlbs; i++)
		iom_rtl_lockstep_destroy(s->ls[i]);
	free(s);
}
