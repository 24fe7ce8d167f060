/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cache.h - the one generic set-associative cache behind every TLB, walk
 * cache, config cache and ATC.
 *
 * Geometry: `entries` total, `ways` per set (ways == entries: fully
 * associative); sets = entries / ways (entries must be a multiple of ways).
 * A key is (addr, tag): `addr` is the caller's already-shifted lookup
 * address (e.g. VA >> page shift), `tag` the context (ASID/VMID/SID/level,
 * packed by the caller).  The set index is addr mod sets, so consecutive
 * pages spread over sets as in hardware TLBs; a hit needs addr and tag equal.
 * Each entry carries a fixed-size value (value_size bytes, copied in).
 *
 * Replacement: LRU, tree-PLRU (ways a power of two), FIFO, seeded random, and
 * flush-all-when-full: when the chosen set has no free way the whole cache
 * is emptied before the insert -- the policy of QEMU's software IOTLBs, so a
 * run can be compared with QEMU.  Invalid ways are always filled first,
 * lowest way first.
 *
 * Timing: lookup latency in cycles of the owner's clock and a number of
 * ports, modelled as a resource; iom_cache_access_ps() charges one access.
 * The functional calls below take no time, so a model decides what an access
 * costs.  Stats: hits, misses, fills, evictions, invalidated entries, flushes.
 */
#ifndef IOM_MODELS_CACHE_H
#define IOM_MODELS_CACHE_H

#include "config.h"
#include "iom.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

struct iom_prop_table;
struct iom_stats;

enum iom_cache_policy {
	IOM_CACHE_LRU = 0,
	IOM_CACHE_PLRU,
	IOM_CACHE_FIFO,
	IOM_CACHE_RANDOM,
	IOM_CACHE_FLUSH_ALL,
};

struct iom_cache_cfg {
	uint32_t entries;        /* 0 = cache disabled: every lookup misses, inserts are dropped */
	uint32_t ways;           /* 0 = fully associative */
	uint32_t policy;         /* enum iom_cache_policy (config: lru|plru|fifo|random|flush_all) */
	uint32_t latency_cycles; /* lookup latency */
	uint32_t ports;          /* concurrent lookups */
	uint64_t seed;           /* RANDOM policy */
};
/* Property list of one cache (entries, ways, policy, latency_cycles, ports,
 * seed). A model instantiates it per cache in its own table:
 *   { .section = "smmu.tlb", .props = iom_cache_props,
 *     .nprops = IOM_CACHE_NPROPS, .defaults = &my_tlb_defaults,
 *     .struct_size = sizeof(struct iom_cache_cfg) } */
#define IOM_CACHE_NPROPS 6
extern const struct iom_prop iom_cache_props[IOM_CACHE_NPROPS];

#define IOM_CACHE_VALUE_MAX 64

struct iom_cache_key {
	uint64_t addr;
	uint64_t tag;
};

struct iom_cache;

/* name: used for stats and messages. value_size <= IOM_CACHE_VALUE_MAX.
 * clock_period_ps converts latency_cycles. */
struct iom_cache *iom_cache_create(const char *name, const struct iom_cache_cfg *cfg,
				   size_t value_size, uint64_t clock_period_ps, struct iom_err *err);
void iom_cache_destroy(struct iom_cache *c);
const struct iom_cache_cfg *iom_cache_config(const struct iom_cache *c);

/* Hit: returns the stored value (writable) and updates replacement state
 * and stats. Miss: NULL, counts a miss. */
void *iom_cache_lookup(struct iom_cache *c, const struct iom_cache_key *k);
/* One probe of a lookup that tries several keys (page sizes, global tag):
 * a hit counts and touches exactly as iom_cache_lookup() does; a miss
 * counts nothing, and the caller records the lookup's one miss with
 * iom_cache_count_miss() after its last probe. */
void *iom_cache_probe(struct iom_cache *c, const struct iom_cache_key *k);
void iom_cache_count_miss(struct iom_cache *c);
/* Same as lookup without touching replacement state or stats. */
void *iom_cache_peek(const struct iom_cache *c, const struct iom_cache_key *k);
/* Insert (or overwrite the value if the key is present). If a valid entry
 * had to be evicted, *victim (if not NULL) receives its key and the return
 * flag *evicted is set. Returns the stored value, or NULL if the cache is
 * disabled. */
void *iom_cache_insert(struct iom_cache *c, const struct iom_cache_key *k, const void *value,
		       struct iom_cache_key *victim, bool *evicted);

/* Invalidation; each returns the number of entries dropped. */
uint64_t iom_cache_invalidate(struct iom_cache *c, const struct iom_cache_key *k);
/* Drop entries with (tag & tag_mask) == (want_tag & tag_mask) and
 * addr_lo <= addr <= addr_hi. */
uint64_t iom_cache_invalidate_range(struct iom_cache *c, uint64_t want_tag, uint64_t tag_mask,
				    uint64_t addr_lo, uint64_t addr_hi);
typedef bool (*iom_cache_pred)(const struct iom_cache_key *k, const void *value, void *ctx);
uint64_t iom_cache_invalidate_if(struct iom_cache *c, iom_cache_pred pred, void *ctx);
uint64_t iom_cache_flush(struct iom_cache *c);

/* Introspection (co-simulation and tests): set of a key, and the content of
 * (set, way). Returns false if the way is invalid. */
uint32_t iom_cache_set_of(const struct iom_cache *c, const struct iom_cache_key *k);
bool iom_cache_way(const struct iom_cache *c, uint32_t set, uint32_t way, struct iom_cache_key *k,
		   const void **value);
uint32_t iom_cache_sets(const struct iom_cache *c);
uint32_t iom_cache_ways(const struct iom_cache *c);
uint32_t iom_cache_valid(const struct iom_cache *c); /* valid entries */

/* Timing: one lookup arriving at now_ps; returns when its result is ready
 * (waits for a free port, then latency_cycles). */
uint64_t iom_cache_access_ps(struct iom_cache *c, uint64_t now_ps);
uint64_t iom_cache_latency_ps(const struct iom_cache *c);

/* ---- co-simulation: observers, backends, fault injection ----
 *
 * Off by default and off the hot path: a cache with neither an observer
 * nor a backend runs the code above with one predictable branch per call.
 *
 * Observer: called after every functional operation with what it did (the
 * way hit, filled or dropped, the victim, the count dropped), so another
 * model can be driven with the same stream and compared (lockstep), or the
 * stream recorded.  iom_cache_invalidate_if() reports one DROP per entry it
 * drops (the predicate is the caller's code and cannot be replayed);
 * iom_cache_count_miss() and timing calls are not reported. */
enum iom_cache_op {
	IOM_CACHE_OP_LOOKUP = 0, /* iom_cache_lookup() */
	IOM_CACHE_OP_PROBE,      /* iom_cache_probe() */
	IOM_CACHE_OP_PEEK,       /* iom_cache_peek() */
	IOM_CACHE_OP_INSERT,     /* iom_cache_insert() */
	IOM_CACHE_OP_INVALIDATE, /* iom_cache_invalidate() */
	IOM_CACHE_OP_INV_RANGE,  /* iom_cache_invalidate_range() */
	IOM_CACHE_OP_DROP,       /* one entry dropped by iom_cache_invalidate_if() */
	IOM_CACHE_OP_FLUSH,      /* iom_cache_flush() */
	IOM_CACHE_NOPS
};

struct iom_cache_event {
	uint32_t op;                 /* enum iom_cache_op */
	int32_t way;                 /* way hit, filled (or rewritten) or dropped; -1: none */
	uint32_t set;                /* set of key (every op with a key) */
	bool present;                /* INSERT: the key was there (touched, value rewritten) */
	bool evicted;                /* INSERT: a valid entry was replaced: victim */
	struct iom_cache_key key;    /* LOOKUP, PROBE, PEEK, INSERT, INVALIDATE, DROP */
	struct iom_cache_key victim;
	uint64_t value;              /* first 8 bytes (little-endian, zero-padded) of the value
				      * stored (INSERT) or found (a hit) */
	uint64_t tag, mask, lo, hi;  /* INV_RANGE arguments */
	uint64_t count;              /* INVALIDATE, INV_RANGE, DROP, FLUSH: entries dropped */
};
typedef void (*iom_cache_observer)(void *ctx, const struct iom_cache *c,
				   const struct iom_cache_event *ev);
/* One observer per cache; fn NULL removes it. */
void iom_cache_set_observer(struct iom_cache *c, iom_cache_observer fn, void *ctx);
const char *iom_cache_op_name(uint32_t op);

/* Backend: another implementation of the replacement and lookup logic (the
 * Verilated RTL IOTLB) that takes the place of this one.  The cache keeps
 * the values (indexed by set and the way the backend reports), the stats
 * and the valid count; the backend keeps keys and replacement state and
 * must choose ways exactly as this file does.  Ways are at most 64. */
struct iom_cache_backend {
	const char *name;
	/* Way holding k, or -1. touch: update replacement state on a hit. */
	int (*lookup)(void *ctx, const struct iom_cache_key *k, bool touch);
	/* Insert k as iom_cache_insert() does (present: touch); returns the way. */
	int (*fill)(void *ctx, const struct iom_cache_key *k, uint64_t value, bool *present,
		    bool *evicted, struct iom_cache_key *victim);
	/* Drop k; returns the way it was in, or -1. */
	int (*invalidate)(void *ctx, const struct iom_cache_key *k);
	uint64_t (*invalidate_range)(void *ctx, uint64_t tag, uint64_t mask, uint64_t lo,
				     uint64_t hi);
	/* Keys of a set; returns the mask of valid ways. */
	uint64_t (*read_set)(void *ctx, uint32_t set, struct iom_cache_key *keys);
	/* Drop the valid ways of `ways` in set; returns how many. */
	uint64_t (*invalidate_ways)(void *ctx, uint32_t set, uint64_t ways);
	uint64_t (*flush)(void *ctx);
	void (*destroy)(void *ctx); /* with the cache */
};
/* Attach a backend to an enabled, empty cache (it owns ctx from then on,
 * also on failure). */
int iom_cache_set_backend(struct iom_cache *c, const struct iom_cache_backend *be, void *ctx,
			  struct iom_err *err);
/* c's backend (NULL: native) and, if ctx is not NULL, its context. */
const struct iom_cache_backend *iom_cache_backend_of(const struct iom_cache *c, void **ctx);

/* Replacement state of a native cache (0 with a backend), for comparing
 * models: the LRU/FIFO stamp of a way (larger = more recent, 0 = never),
 * and a set's PLRU bits (bit n = tree node n, nodes 1..ways-1; ways <= 64). */
uint64_t iom_cache_stamp(const struct iom_cache *c, uint32_t set, uint32_t way);
uint64_t iom_cache_plru_bits(const struct iom_cache *c, uint32_t set);

/* Test-only fault injection (proves a co-simulation catches a broken
 * model): IOM_CACHE_FAULT_VICTIM makes a full set evict the way after the
 * policy's victim.  0 restores the correct model. */
#define IOM_CACHE_FAULT_VICTIM 1u
void iom_cache_set_fault(struct iom_cache *c, unsigned fault);

struct iom_cache_stats {
	uint64_t lookups, hits, misses, fills, evictions, invalidated, flushes;
};
const struct iom_cache_stats *iom_cache_stats(const struct iom_cache *c);
/* Registers <prefix>.lookups/hits/misses/fills/evictions/invalidated/flushes
 * and <prefix>.hit_rate. */
int iom_cache_register_stats(struct iom_cache *c, struct iom_stats *s, const char *prefix,
			     struct iom_err *err);

#ifdef __cplusplus
}
#endif
#endif
