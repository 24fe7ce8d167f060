/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rtl.h - the Verilated RTL models of models/rtl seen from C.
 *
 * iotlb.sv is a set-associative IOTLB that reproduces the C cache's
 * (models/cache) lookup, victim choice and invalidation for the LRU and
 * tree-PLRU policies.  This header gives three ways to use it:
 *  - iom_rtl_tlb_*: drive one RTL instance operation by operation (each
 *    call runs the clock until the RTL answers);
 *  - iom_rtl_cache_attach(): make the RTL the backend of a C cache, which
 *    then keeps only values and stats (`iommusim replay --tlb-impl rtl`);
 *  - iom_rtl_lockstep_*: run a fresh RTL instance beside a C cache, apply
 *    every operation of the C cache to it and compare the outcomes (hit and
 *    way, fill way, victim, dropped counts, valid count, and the whole set
 *    with its replacement state), reporting the first mismatch with the
 *    operation index and both set states (`--tlb-impl lockstep`).
 * Without Verilator (-DIOM_WITH_VERILATOR=OFF) iom_rtl_available() is false
 * and every constructor fails with IOM_ENOTSUP.
 *
 * Capacity: the model is verilated once with IOM_RTL_TLB_MAX_SETS sets of
 * IOM_RTL_TLB_MAX_WAYS ways; any geometry within it is programmed at reset.
 */
#ifndef IOM_MODELS_RTL_H
#define IOM_MODELS_RTL_H

#include "cache.h"
#include "iom.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define IOM_RTL_TLB_MAX_SETS 4096u
#define IOM_RTL_TLB_MAX_WAYS 16u

/* True when the RTL models were built (Verilator found at configure time). */
bool iom_rtl_available(void);

/* ---- one RTL IOTLB instance ---- */

struct iom_rtl_tlb;

/* sets 1..MAX_SETS, ways 1..MAX_WAYS, policy IOM_CACHE_LRU or IOM_CACHE_PLRU (ways a power
 * of 2); anything else fails with IOM_ENOTSUP and says why. */
struct iom_rtl_tlb *iom_rtl_tlb_create(uint32_t sets, uint32_t ways, uint32_t policy,
				       struct iom_err *err);
void iom_rtl_tlb_destroy(struct iom_rtl_tlb *t);
uint32_t iom_rtl_tlb_sets(const struct iom_rtl_tlb *t);
uint32_t iom_rtl_tlb_ways(const struct iom_rtl_tlb *t);

/* Way holding k or -1; *value (if not NULL) gets its value on a hit. touch: a lookup
 * (replacement state updated on a hit), else a peek. */
int iom_rtl_tlb_lookup(struct iom_rtl_tlb *t, const struct iom_cache_key *k, bool touch,
		       uint64_t *value);
/* Insert k with value (present: touched, value rewritten); returns the way. */
int iom_rtl_tlb_fill(struct iom_rtl_tlb *t, const struct iom_cache_key *k, uint64_t value,
		     bool *present, bool *evicted, struct iom_cache_key *victim);
/* Drop k; the way it was in, or -1. */
int iom_rtl_tlb_invalidate(struct iom_rtl_tlb *t, const struct iom_cache_key *k);
/* Drop (tag & mask) == (want & mask) with lo <= addr <= hi; returns the count. */
uint64_t iom_rtl_tlb_invalidate_range(struct iom_rtl_tlb *t, uint64_t want, uint64_t mask,
				      uint64_t lo, uint64_t hi);
/* Drop the valid ways of `ways` (bit per way) in set; returns the count. */
uint64_t iom_rtl_tlb_invalidate_ways(struct iom_rtl_tlb *t, uint32_t set, uint64_t ways);
uint64_t iom_rtl_tlb_flush(struct iom_rtl_tlb *t);

struct iom_rtl_set {
	uint64_t valid;                                /* bit per way */
	struct iom_cache_key key[IOM_RTL_TLB_MAX_WAYS];
	uint64_t value[IOM_RTL_TLB_MAX_WAYS];
	uint8_t age[IOM_RTL_TLB_MAX_WAYS];             /* LRU: 0 = most recently used */
	uint64_t plru;                                 /* PLRU: bit n = tree node n */
};
void iom_rtl_tlb_read_set(struct iom_rtl_tlb *t, uint32_t set, struct iom_rtl_set *out);
uint32_t iom_rtl_tlb_valid(const struct iom_rtl_tlb *t); /* valid entries (RTL counter) */
uint64_t iom_rtl_tlb_cycles(const struct iom_rtl_tlb *t); /* clock cycles run so far */

/* ---- the RTL as a cache backend ---- */

/* Replace c's lookup/replacement logic by a new RTL instance of c's geometry and policy.
 * c must be enabled and empty. IOM_ENOTSUP (message names the cache) if the policy or the
 * geometry is not supported. */
int iom_rtl_cache_attach(struct iom_cache *c, struct iom_err *err);
/* The RTL instance behind c, or NULL. */
struct iom_rtl_tlb *iom_rtl_cache_tlb(const struct iom_cache *c);

/* ---- lockstep co-simulation ---- */

struct iom_rtl_lockstep_opts {
	bool check_sets;       /* after every operation compare the set it touched, keys and
				* replacement state (one more RTL read per operation) */
	bool keep_going;       /* compare after a mismatch too (the models have diverged) */
};

#define IOM_RTL_REPORT_MAX 4096
struct iom_rtl_lockstep_result {
	uint64_t ops;          /* operations applied to both and compared */
	uint64_t by_op[IOM_CACHE_NOPS];
	uint64_t mismatches;
	uint64_t first_op;     /* index (0-based) of the first mismatching operation */
	char report[IOM_RTL_REPORT_MAX]; /* the first mismatch: operation, both outcomes,
					  * both set states */
};

struct iom_rtl_lockstep;
/* Attach a checker to c (enabled, empty, LRU or PLRU): from now on every operation on c is
 * applied to a fresh RTL instance too and compared. The checker does not keep c: destroy
 * it after c, or after detaching it with iom_cache_set_observer(c, NULL, NULL). */
struct iom_rtl_lockstep *iom_rtl_lockstep_attach(struct iom_cache *c,
						 const struct iom_rtl_lockstep_opts *o,
						 struct iom_err *err);
const struct iom_rtl_lockstep_result *iom_rtl_lockstep_verdict(const struct iom_rtl_lockstep *l);
void iom_rtl_lockstep_destroy(struct iom_rtl_lockstep *l);

/* Apply a recorded operation (inputs only) to a cache through its public calls: a DROP
 * becomes iom_cache_invalidate(), an INSERT stores ev->value zero-extended. */
void iom_rtl_event_apply(struct iom_cache *c, const struct iom_cache_event *ev);

/* ---- `--tlb-impl` for a whole replay ---- */

/* Process-wide while it lives: every SMMU created meanwhile gets its TLB replaced by the RTL
 * ("rtl") or checked against it ("lockstep"). "native" is not a session. */
struct iom_rtl_session;
struct iom_rtl_session *iom_rtl_session_begin(const char *impl,
					      const struct iom_rtl_lockstep_opts *o,
					      struct iom_err *err);
/* TLBs it took over so far (0 after building a system: the IOMMU has no SMMU TLB). */
unsigned iom_rtl_session_tlbs(const struct iom_rtl_session *s);
/* Before destroying the system. Lockstep verdict: 0, or -IOM_EINVAL with err holding the
 * first line of the first mismatch's report. To note (if not NULL): one line per TLB
 * (operations compared, or RTL cycles run) and the full mismatch report. */
int iom_rtl_session_check(struct iom_rtl_session *s, FILE *note, struct iom_err *err);
/* After the system is destroyed. */
void iom_rtl_session_end(struct iom_rtl_session *s);

#ifdef __cplusplus
}
#endif
#endif
