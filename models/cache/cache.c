/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cache.c - the generic set-associative cache behind every TLB, walk cache,
 * configuration cache and ATC.
 *
 * What it models: `entries` entries in sets of `ways`, keyed by (addr, tag),
 * set = addr mod sets, one fixed-size value per entry.  Replacement:
 *  - LRU: a per-entry stamp from a cache-wide counter, renewed on every hit
 *    (and on an insert that overwrites); the victim has the oldest stamp.
 *  - tree-PLRU: ways-1 direction bits per set in heap order (node 1 is the
 *    root, children 2n and 2n+1).  A bit 0 points left (lower ways), 1
 *    right.  A touch sets every bit on the way's path to point away from it;
 *    the victim is found by following the bits from the root.  This is the
 *    textbook scheme (e.g. Intel's 8-way L1 description, ARM Cortex TLBs).
 *  - FIFO: the stamp is set at fill only, so hits do not change the order.
 *  - RANDOM: victim way from a splitmix64 stream seeded by cfg->seed, so a
 *    run is reproducible.
 *  - FLUSH_ALL: if the target set is full, every entry of the cache is
 *    dropped (one flush counted, the dropped entries counted as evictions)
 *    and the new entry goes to way 0 -- QEMU's SMMUv3/VT-d IOTLB behaviour
 *    (g_hash_table_remove_all when the table reaches its size), so a run can
 *    be compared with QEMU.  The reported victim is the old way-0 entry.
 * Invalid ways are always filled first, lowest way first.  Explicit
 * iom_cache_flush() counts its entries as `invalidated`, not as a flush:
 * `flushes` counts only the capacity flushes of the FLUSH_ALL policy.
 *
 * Data layout (hot path): per set, a row of one-byte key fingerprints
 * (0 = invalid way), compared eight at a time, then the keys of its ways
 * contiguous (16 bytes each); stamps and PLRU bits in parallel arrays;
 * values in one contiguous array with an 8-byte-aligned stride.  A lookup
 * allocates nothing and usually touches one fingerprint word and one key.
 * The set index uses a mask when the number of sets is a power of two.
 *
 * Timing: iom_cache_access_ps() holds one of `ports` servers (sim/resource.h)
 * for latency_cycles * clock period, i.e. a port is not pipelined; the
 * result is ready at start + latency.  Functional calls take no time.
 *
 * Co-simulation (cache.h): an observer sees every functional operation and
 * its outcome; a backend (the Verilated RTL IOTLB) replaces the lookup and
 * replacement logic while this file keeps values, stats and the valid count.
 * Both are reached through one `hooked` flag tested at the top of the hot
 * calls, so a plain cache pays one predictable branch.
 *
 * Not modelled: a fully associative lookup (a CAM in hardware) scans the
 * fingerprints of all entries, 8 per step -- fine for the tens to low
 * thousands of entries of IOMMU caches, slow for very large ones.  No
 * per-entry size classes (block/page mixes are the caller's keying).
 */
#include "cache.h"

#include "config.h"
#include "resource.h"
#include "stats.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_NAME_MAX 96

struct iom_cache {
	char name[CACHE_NAME_MAX];
	struct iom_cache_cfg cfg; /* ways resolved (0 -> entries) */
	uint32_t sets, ways;
	uint64_t set_mask;        /* sets - 1 if sets is a power of 2, else 0 */
	bool sets_pow2;
	bool hooked;              /* observer or backend set: take the hooked paths */
	unsigned fault;           /* IOM_CACHE_FAULT_* (tests only) */
	size_t value_size, stride;
	struct iom_cache_key *keys; /* [sets * ways] */
	uint8_t *fp;                /* [sets * fp_stride] fingerprints, 0 = invalid way */
	uint32_t fp_stride;         /* ways rounded up to 8 (zero padding never matches) */
	uint64_t *stamp;            /* [sets * ways] LRU/FIFO */
	uint8_t *plru;              /* [sets * ways] bit per node, node 0 unused */
	uint8_t *values;            /* [sets * ways * stride] */
	uint64_t clock;             /* LRU/FIFO stamp source */
	uint64_t rng;               /* RANDOM */
	uint32_t nvalid;
	uint64_t latency_ps;
	struct iom_resource ports;
	struct iom_cache_stats st;
	iom_cache_observer obs;
	void *obs_ctx;
	const struct iom_cache_backend *be;
	void *be_ctx;
};

/* ---- property list ---- */

static const char *const cache_policy_names[] = { "lru", "plru", "fifo", "random", "flush_all",
						  NULL };

const struct iom_prop iom_cache_props[IOM_CACHE_NPROPS] = {
	IOM_PROP_U32_(struct iom_cache_cfg, entries, 0, 1u << 24, "entries",
		      "Total entries; 0 disables the cache (every lookup misses)."),
	IOM_PROP_U32_(struct iom_cache_cfg, ways, 0, 65536, "ways",
		      "Ways per set; 0 = fully associative; entries must be a multiple of ways."),
	IOM_PROP_ENUM_(struct iom_cache_cfg, policy, cache_policy_names,
		       "Replacement policy: lru, plru (tree pseudo-LRU, ways a power of 2), fifo, "
		       "random (seeded) or flush_all (empty the cache when a set is full, as QEMU)."),
	IOM_PROP_U32_(struct iom_cache_cfg, latency_cycles, 0, 1000, "cycles",
		      "Lookup latency in cycles of the owner's clock."),
	IOM_PROP_U32_(struct iom_cache_cfg, ports, 1, 64, "ports",
		      "Lookups served concurrently; each holds a port for the lookup latency."),
	IOM_PROP_U64_(struct iom_cache_cfg, seed, 0, UINT64_MAX, "",
		      "Seed of the random replacement policy."),
};

static uint64_t cache_splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* ---- create / destroy ---- */

static int cache_check_cfg(const char *name, const struct iom_cache_cfg *cfg, size_t value_size,
			   struct iom_err *err)
{
	uint32_t ways = cfg->ways ? cfg->ways : cfg->entries;
	if (value_size > IOM_CACHE_VALUE_MAX)
		return iom_err_set(err, IOM_ERANGE, "cache '%s': value_size %zu > %d", name,
				   value_size, IOM_CACHE_VALUE_MAX);
	if (cfg->entries > (1u << 24) || cfg->ways > 65536)
		return iom_err_set(err, IOM_ERANGE,
				   "cache '%s': entries %" PRIu32 " (max %u) or ways %" PRIu32
				   " (max 65536) out of range",
				   name, cfg->entries, 1u << 24, cfg->ways);
	if (cfg->latency_cycles > 1000 || cfg->ports < 1 || cfg->ports > 64)
		return iom_err_set(err, IOM_ERANGE,
				   "cache '%s': latency_cycles %" PRIu32 " (max 1000) or ports %" PRIu32
				   " (1..64) out of range",
				   name, cfg->latency_cycles, cfg->ports);
	if (cfg->policy > IOM_CACHE_FLUSH_ALL)
		return iom_err_set(err, IOM_EINVAL, "cache '%s': unknown policy %" PRIu32, name,
				   cfg->policy);
	if (!cfg->entries)
		return 0; /* disabled: geometry irrelevant */
	if (ways > cfg->entries || cfg->entries % ways)
		return iom_err_set(err, IOM_EINVAL,
				   "cache '%s': entries %" PRIu32 " is not a multiple of ways %" PRIu32,
				   name, cfg->entries, ways);
	if (cfg->policy == IOM_CACHE_PLRU && (ways & (ways - 1)))
		return iom_err_set(err, IOM_EINVAL,
				   "cache '%s': policy plru needs a power-of-2 number of ways, got %" PRIu32,
				   name, ways);
	return 0;
}

static int cache_alloc_arrays(struct iom_cache *c)
{
	size_t n = (size_t)c->sets * c->ways;
	if (!n)
		return 0;
	c->keys = calloc(n, sizeof(*c->keys));
	c->fp_stride = (c->ways + 7) & ~7u;
	c->fp = calloc((size_t)c->sets * c->fp_stride, 1);
	c->stamp = calloc(n, sizeof(*c->stamp));
	c->plru = calloc(n, 1);
	c->values = calloc(n, c->stride);
	return c->keys && c->fp && c->stamp && c->plru && c->values ? 0 : -IOM_ENOMEM;
}

struct iom_cache *iom_cache_create(const char *name, const struct iom_cache_cfg *cfg,
				   size_t value_size, uint64_t clock_period_ps, struct iom_err *err)
{
	if (!name)
		name = "cache";
	if (!cfg) {
		iom_err_set(err, IOM_EINVAL, "cache '%s': no configuration", name);
		return NULL;
	}
	if (cache_check_cfg(name, cfg, value_size, err))
		return NULL;
	struct iom_cache *c = calloc(1, sizeof(*c));
	if (!c) {
		iom_err_set(err, IOM_ENOMEM, "cache '%s': out of host memory", name);
		return NULL;
	}
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->cfg = *cfg;
	c->ways = cfg->entries ? (cfg->ways ? cfg->ways : cfg->entries) : 0;
	c->cfg.ways = c->ways;
	c->sets = c->ways ? cfg->entries / c->ways : 0;
	c->sets_pow2 = c->sets && !(c->sets & (c->sets - 1));
	c->set_mask = c->sets_pow2 ? c->sets - 1 : 0;
	c->value_size = value_size;
	c->stride = value_size ? (value_size + 7) & ~(size_t)7 : 8;
	c->rng = cfg->seed;
	c->latency_ps = (uint64_t)cfg->latency_cycles * clock_period_ps;
	if (cache_alloc_arrays(c) || iom_resource_init(&c->ports, c->name, cfg->ports, err)) {
		iom_cache_destroy(c);
		iom_err_set(err, IOM_ENOMEM, "cache '%s': out of host memory", name);
		return NULL;
	}
	return c;
}

void iom_cache_destroy(struct iom_cache *c)
{
	if (!c)
		return;
	if (c->ports.slots)
		iom_resource_fini(&c->ports);
	if (c->be && c->be->destroy)
		c->be->destroy(c->be_ctx);
	free(c->keys);
	free(c->fp);
	free(c->stamp);
	free(c->plru);
	free(c->values);
	free(c);
}

const struct iom_cache_cfg *iom_cache_config(const struct iom_cache *c)
{
	return &c->cfg;
}

/* ---- geometry helpers ---- */

static inline uint32_t cache_set(const struct iom_cache *c, uint64_t addr)
{
	return (uint32_t)(c->sets_pow2 ? addr & c->set_mask : addr % c->sets);
}

static inline void *cache_value(const struct iom_cache *c, size_t e)
{
	return c->values + e * c->stride;
}

/* Fingerprint of a key: 7 bits of a multiplicative hash of addr and tag
 * with the top bit set, so 0 can mean "invalid way".  The high hash bits
 * depend on every key bit, unlike the set index (low addr bits). */
static inline uint8_t cache_fingerprint(uint64_t addr, uint64_t tag)
{
	uint64_t h = (addr ^ (tag * 0xc2b2ae3d27d4eb4full)) * 0x9e3779b97f4a7c15ull;
	return (uint8_t)(0x80 | (h >> 57));
}

/* Fingerprint slot of entry e (not for the hot path: divides). */
static inline uint8_t *cache_fp_at(const struct iom_cache *c, size_t e)
{
	return c->fp + (e / c->ways) * c->fp_stride + e % c->ways;
}

/* Bit 7 of each byte of the result is set where the byte of x is zero
 * (exact, no false positives: the carry-free form of "haszero"). */
static inline uint64_t cache_zero_bytes(uint64_t x)
{
	const uint64_t lo7 = 0x7f7f7f7f7f7f7f7full;
	return ~(((x & lo7) + lo7) | x | lo7);
}

/* Entry index of a key, or SIZE_MAX.  The set's fingerprints are compared
 * eight at a time in one 64-bit word (SWAR, as SwissTable does with SIMD);
 * only ways whose fingerprint matches (the key, plus a 1/128 false-positive
 * chance per way) compare the full key.  No per-way branch: a hit costs the
 * same wherever its way is, which matters on the replay hot path. */
static inline size_t cache_find(const struct iom_cache *c, const struct iom_cache_key *k)
{
	if (!c->sets)
		return SIZE_MAX;
	const uint64_t a = k->addr, t = k->tag;
	const uint32_t set = cache_set(c, a);
	const size_t base = (size_t)set * c->ways;
	const uint8_t *fp = c->fp + (size_t)set * c->fp_stride;
	const uint64_t pat = cache_fingerprint(a, t) * 0x0101010101010101ull;
	for (uint32_t w0 = 0; w0 < c->ways; w0 += 8) {
		uint64_t word;
		memcpy(&word, fp + w0, 8);
		for (uint64_t m = cache_zero_bytes(word ^ pat); m; m &= m - 1) {
			uint32_t w = w0 + (uint32_t)__builtin_ctzll(m) / 8;
			const struct iom_cache_key *kk = &c->keys[base + w];
			if (kk->addr == a && kk->tag == t)
				return base + w;
		}
	}
	return SIZE_MAX;
}

/* ---- replacement state ---- */

/* Point every node on the path to `way` away from it. */
static void cache_plru_touch(struct iom_cache *c, size_t set_base, uint32_t way)
{
	uint8_t *bits = c->plru + set_base;
	uint32_t node = 1;
	for (uint32_t span = c->ways / 2; span; span /= 2) {
		bool right = way & span;
		bits[node] = !right;
		node = 2 * node + right;
	}
}

static uint32_t cache_plru_victim(const struct iom_cache *c, size_t set_base)
{
	const uint8_t *bits = c->plru + set_base;
	uint32_t node = 1, way = 0;
	for (uint32_t span = c->ways / 2; span; span /= 2) {
		bool right = bits[node];
		way |= right ? span : 0;
		node = 2 * node + right;
	}
	return way;
}

static inline void cache_touch(struct iom_cache *c, size_t e)
{
	if (c->cfg.policy == IOM_CACHE_LRU)
		c->stamp[e] = ++c->clock;
	else if (c->cfg.policy == IOM_CACHE_PLRU)
		cache_plru_touch(c, e - e % c->ways, (uint32_t)(e % c->ways));
}

static void cache_on_fill(struct iom_cache *c, size_t e)
{
	if (c->cfg.policy == IOM_CACHE_FIFO)
		c->stamp[e] = ++c->clock;
	else
		cache_touch(c, e);
}

static uint32_t cache_oldest(const struct iom_cache *c, size_t set_base)
{
	uint32_t v = 0;
	for (uint32_t w = 1; w < c->ways; w++)
		if (c->stamp[set_base + w] < c->stamp[set_base + v])
			v = w;
	return v;
}

/* Victim way of a full set (not FLUSH_ALL). */
static uint32_t cache_victim(struct iom_cache *c, size_t set_base)
{
	switch (c->cfg.policy) {
	case IOM_CACHE_PLRU:
		return cache_plru_victim(c, set_base);
	case IOM_CACHE_RANDOM:
		return (uint32_t)(((cache_splitmix64(&c->rng) >> 32) * c->ways) >> 32);
	default: /* LRU, FIFO */
		return cache_oldest(c, set_base);
	}
}

/* ---- lookup / insert ---- */

static void *cache_hooked_find(struct iom_cache *c, const struct iom_cache_key *k, uint32_t op);

void *iom_cache_lookup(struct iom_cache *c, const struct iom_cache_key *k)
{
	if (__builtin_expect(c->hooked, 0))
		return cache_hooked_find(c, k, IOM_CACHE_OP_LOOKUP);
	c->st.lookups++;
	size_t e = cache_find(c, k);
	if (e == SIZE_MAX) {
		c->st.misses++;
		return NULL;
	}
	c->st.hits++;
	cache_touch(c, e);
	return cache_value(c, e);
}

void *iom_cache_probe(struct iom_cache *c, const struct iom_cache_key *k)
{
	if (__builtin_expect(c->hooked, 0))
		return cache_hooked_find(c, k, IOM_CACHE_OP_PROBE);
	size_t e = cache_find(c, k);
	if (e == SIZE_MAX)
		return NULL;
	c->st.lookups++;
	c->st.hits++;
	cache_touch(c, e);
	return cache_value(c, e);
}

void iom_cache_count_miss(struct iom_cache *c)
{
	c->st.lookups++;
	c->st.misses++;
}

void *iom_cache_peek(const struct iom_cache *c, const struct iom_cache_key *k)
{
	/* An observer or a backend may change state (the cache is never const
	 * itself; peek only promises not to touch replacement state). */
	if (__builtin_expect(c->hooked, 0))
		return cache_hooked_find((struct iom_cache *)c, k, IOM_CACHE_OP_PEEK);
	size_t e = cache_find(c, k);
	return e == SIZE_MAX ? NULL : cache_value(c, e);
}

static void cache_drop(struct iom_cache *c, size_t e)
{
	*cache_fp_at(c, e) = 0;
	c->nvalid--;
}

static uint64_t cache_drop_all(struct iom_cache *c)
{
	uint64_t n = c->nvalid;
	size_t total = (size_t)c->sets * c->fp_stride;
	if (total)
		memset(c->fp, 0, total);
	c->nvalid = 0;
	return n;
}

/* Way to fill in a set with no invalid way; reports the victim. */
static uint32_t cache_make_room(struct iom_cache *c, size_t base, struct iom_cache_key *victim)
{
	uint32_t w = c->cfg.policy == IOM_CACHE_FLUSH_ALL ? 0 : cache_victim(c, base);
	if (__builtin_expect(c->fault & IOM_CACHE_FAULT_VICTIM, 0) &&
	    c->cfg.policy != IOM_CACHE_FLUSH_ALL)
		w = (w + 1) % c->ways; /* deliberately wrong (tests) */
	if (victim)
		*victim = c->keys[base + w];
	if (c->cfg.policy == IOM_CACHE_FLUSH_ALL) {
		c->st.flushes++;
		c->st.evictions += cache_drop_all(c);
	} else {
		c->st.evictions++;
		cache_drop(c, base + w);
	}
	return w;
}

/* Insert k in the native arrays: its entry; *present (touched), *evicted
 * and *victim as iom_cache_insert() reports them. */
static size_t cache_insert_native(struct iom_cache *c, const struct iom_cache_key *k,
				  bool *present, bool *evicted, struct iom_cache_key *victim)
{
	size_t e = cache_find(c, k);
	if (e != SIZE_MAX) {
		*present = true;
		cache_touch(c, e);
		return e;
	}
	size_t base = (size_t)cache_set(c, k->addr) * c->ways;
	uint32_t w = 0;
	const uint8_t *fp = cache_fp_at(c, base);
	while (w < c->ways && fp[w])
		w++;
	if (w == c->ways) {
		w = cache_make_room(c, base, victim);
		*evicted = true;
	}
	e = base + w;
	c->keys[e] = *k;
	*cache_fp_at(c, e) = cache_fingerprint(k->addr, k->tag);
	c->nvalid++;
	c->st.fills++;
	cache_on_fill(c, e);
	return e;
}

static size_t cache_insert_backend(struct iom_cache *c, const struct iom_cache_key *k,
				   const void *value, bool *present, bool *evicted,
				   struct iom_cache_key *victim)
{
	uint64_t v64 = 0;
	if (value)
		memcpy(&v64, value, IOM_MIN(c->value_size, sizeof(v64)));
	int w = c->be->fill(c->be_ctx, k, v64, present, evicted, victim);
	if (!*present) {
		c->st.fills++;
		if (*evicted)
			c->st.evictions++;
		else
			c->nvalid++;
	}
	return (size_t)cache_set(c, k->addr) * c->ways + (uint32_t)w;
}

static void cache_notify(struct iom_cache *c, struct iom_cache_event *ev, size_t e)
{
	if (c->sets && ev->op != IOM_CACHE_OP_INV_RANGE && ev->op != IOM_CACHE_OP_FLUSH)
		ev->set = cache_set(c, ev->key.addr);
	if (e != SIZE_MAX) {
		ev->way = (int32_t)(e % c->ways);
		memcpy(&ev->value, cache_value(c, e), IOM_MIN(c->value_size, sizeof(ev->value)));
	}
	c->obs(c->obs_ctx, c, ev);
}

void *iom_cache_insert(struct iom_cache *c, const struct iom_cache_key *k, const void *value,
		       struct iom_cache_key *victim, bool *evicted)
{
	bool present = false, ev = false;
	struct iom_cache_key vk = { 0, 0 };
	if (evicted)
		*evicted = false;
	if (!c->sets)
		return NULL;
	size_t e = __builtin_expect(c->be != NULL, 0)
			   ? cache_insert_backend(c, k, value, &present, &ev, &vk)
			   : cache_insert_native(c, k, &present, &ev, &vk);
	if (ev) {
		if (evicted)
			*evicted = true;
		if (victim)
			*victim = vk;
	}
	void *v = cache_value(c, e);
	if (value && c->value_size)
		memcpy(v, value, c->value_size);
	if (__builtin_expect(c->obs != NULL, 0)) {
		struct iom_cache_event ce = { .op = IOM_CACHE_OP_INSERT, .key = *k,
					      .present = present, .evicted = ev, .victim = vk };
		cache_notify(c, &ce, e);
	}
	return v;
}

/* lookup, probe and peek with an observer or a backend. */
static void *cache_hooked_find(struct iom_cache *c, const struct iom_cache_key *k, uint32_t op)
{
	size_t e = SIZE_MAX;
	bool touch = op != IOM_CACHE_OP_PEEK;
	if (c->be) {
		int w = c->be->lookup(c->be_ctx, k, touch);
		if (w >= 0)
			e = (size_t)cache_set(c, k->addr) * c->ways + (uint32_t)w;
	} else {
		e = cache_find(c, k);
		if (e != SIZE_MAX && touch)
			cache_touch(c, e);
	}
	if (op == IOM_CACHE_OP_LOOKUP || (op == IOM_CACHE_OP_PROBE && e != SIZE_MAX)) {
		c->st.lookups++;
		if (e == SIZE_MAX)
			c->st.misses++;
		else
			c->st.hits++;
	}
	if (c->obs) {
		struct iom_cache_event ce = { .op = op, .way = -1, .key = *k };
		cache_notify(c, &ce, e);
	}
	return e == SIZE_MAX ? NULL : cache_value(c, e);
}

/* ---- invalidation ---- */

static uint64_t cache_hooked_invalidate(struct iom_cache *c, const struct iom_cache_key *k)
{
	size_t e = SIZE_MAX;
	if (c->be) {
		int w = c->sets ? c->be->invalidate(c->be_ctx, k) : -1;
		if (w >= 0) {
			e = (size_t)cache_set(c, k->addr) * c->ways + (uint32_t)w;
			c->nvalid--;
		}
	} else {
		e = cache_find(c, k);
		if (e != SIZE_MAX)
			cache_drop(c, e);
	}
	uint64_t n = e != SIZE_MAX;
	c->st.invalidated += n;
	if (c->obs) {
		struct iom_cache_event ce = { .op = IOM_CACHE_OP_INVALIDATE, .way = -1, .key = *k,
					      .count = n };
		cache_notify(c, &ce, e);
	}
	return n;
}

uint64_t iom_cache_invalidate(struct iom_cache *c, const struct iom_cache_key *k)
{
	if (__builtin_expect(c->hooked, 0))
		return cache_hooked_invalidate(c, k);
	size_t e = cache_find(c, k);
	if (e == SIZE_MAX)
		return 0;
	cache_drop(c, e);
	c->st.invalidated++;
	return 1;
}

struct cache_range {
	uint64_t tag, mask, lo, hi;
};

static bool cache_in_range(const struct iom_cache_key *k, const void *value, void *ctx)
{
	const struct cache_range *r = ctx;
	return (k->tag & r->mask) == (r->tag & r->mask) && k->addr >= r->lo && k->addr <= r->hi;
}

static void cache_notify_drop(struct iom_cache *c, const struct iom_cache_key *k, size_t e)
{
	struct iom_cache_event ce = { .op = IOM_CACHE_OP_DROP, .key = *k, .count = 1 };
	cache_notify(c, &ce, e);
}

/* Drop the entries pred selects from the native arrays; DROP events if `report`. */
static uint64_t cache_scan(struct iom_cache *c, iom_cache_pred pred, void *ctx, bool report)
{
	uint64_t n = 0;
	size_t total = (size_t)c->sets * c->ways;
	for (size_t e = 0; e < total && c->nvalid; e++) {
		if (*cache_fp_at(c, e) && pred(&c->keys[e], cache_value(c, e), ctx)) {
			cache_drop(c, e);
			n++;
			if (report && c->obs)
				cache_notify_drop(c, &c->keys[e], e);
		}
	}
	return n;
}

/* The same through a backend: read each set, ask pred, drop the chosen ways. */
static uint64_t cache_scan_backend(struct iom_cache *c, iom_cache_pred pred, void *ctx)
{
	struct iom_cache_key keys[64];
	uint64_t n = 0;
	for (uint32_t set = 0; set < c->sets && c->nvalid; set++) {
		size_t base = (size_t)set * c->ways;
		uint64_t valid = c->be->read_set(c->be_ctx, set, keys), drop = 0;
		for (uint64_t m = valid; m; m &= m - 1) {
			uint32_t w = (uint32_t)__builtin_ctzll(m);
			if (pred(&keys[w], cache_value(c, base + w), ctx))
				drop |= 1ull << w;
		}
		if (!drop)
			continue;
		uint64_t d = c->be->invalidate_ways(c->be_ctx, set, drop);
		n += d;
		c->nvalid -= (uint32_t)d;
		for (uint64_t m = drop; m && c->obs; m &= m - 1) {
			uint32_t w = (uint32_t)__builtin_ctzll(m);
			cache_notify_drop(c, &keys[w], base + w);
		}
	}
	return n;
}

uint64_t iom_cache_invalidate_range(struct iom_cache *c, uint64_t want_tag, uint64_t tag_mask,
				    uint64_t addr_lo, uint64_t addr_hi)
{
	struct cache_range r = { want_tag, tag_mask, addr_lo, addr_hi };
	uint64_t n;
	if (c->be) {
		n = c->be->invalidate_range(c->be_ctx, want_tag, tag_mask, addr_lo, addr_hi);
		c->nvalid -= (uint32_t)n;
	} else {
		n = cache_scan(c, cache_in_range, &r, false);
	}
	c->st.invalidated += n;
	if (c->obs) {
		struct iom_cache_event ce = { .op = IOM_CACHE_OP_INV_RANGE, .way = -1,
					      .tag = want_tag, .mask = tag_mask, .lo = addr_lo,
					      .hi = addr_hi, .count = n };
		cache_notify(c, &ce, SIZE_MAX);
	}
	return n;
}

uint64_t iom_cache_invalidate_if(struct iom_cache *c, iom_cache_pred pred, void *ctx)
{
	uint64_t n = c->be ? cache_scan_backend(c, pred, ctx) : cache_scan(c, pred, ctx, true);
	c->st.invalidated += n;
	return n;
}

uint64_t iom_cache_flush(struct iom_cache *c)
{
	uint64_t n;
	if (c->be) {
		n = c->be->flush(c->be_ctx);
		c->nvalid = 0;
	} else {
		n = cache_drop_all(c);
	}
	c->st.invalidated += n;
	if (c->obs) {
		struct iom_cache_event ce = { .op = IOM_CACHE_OP_FLUSH, .way = -1, .count = n };
		cache_notify(c, &ce, SIZE_MAX);
	}
	return n;
}

/* ---- co-simulation hooks ---- */

static const char *const cache_op_names[IOM_CACHE_NOPS] = {
	"lookup", "probe", "peek", "insert", "invalidate", "invalidate_range", "drop", "flush",
};

const char *iom_cache_op_name(uint32_t op)
{
	return op < IOM_CACHE_NOPS ? cache_op_names[op] : "?";
}

void iom_cache_set_observer(struct iom_cache *c, iom_cache_observer fn, void *ctx)
{
	c->obs = fn;
	c->obs_ctx = ctx;
	c->hooked = c->obs || c->be;
}

int iom_cache_set_backend(struct iom_cache *c, const struct iom_cache_backend *be, void *ctx,
			  struct iom_err *err)
{
	const char *why = NULL;
	if (!be || !be->lookup || !be->fill || !be->invalidate || !be->invalidate_range ||
	    !be->read_set || !be->invalidate_ways || !be->flush)
		why = "incomplete backend";
	else if (c->be)
		why = "a backend is attached already";
	else if (!c->sets)
		why = "the cache is disabled (entries 0)";
	else if (c->ways > 64)
		why = "a backend supports at most 64 ways";
	else if (c->nvalid)
		why = "the cache is not empty";
	if (why) {
		if (be && be->destroy)
			be->destroy(ctx);
		return iom_err_set(err, IOM_EINVAL, "cache '%s': cannot attach backend %s: %s",
				   c->name, be && be->name ? be->name : "?", why);
	}
	c->be = be;
	c->be_ctx = ctx;
	c->hooked = true;
	return 0;
}

const struct iom_cache_backend *iom_cache_backend_of(const struct iom_cache *c, void **ctx)
{
	if (ctx)
		*ctx = c->be_ctx;
	return c->be;
}

uint64_t iom_cache_stamp(const struct iom_cache *c, uint32_t set, uint32_t way)
{
	if (set >= c->sets || way >= c->ways)
		return 0;
	return c->stamp[(size_t)set * c->ways + way];
}

uint64_t iom_cache_plru_bits(const struct iom_cache *c, uint32_t set)
{
	uint64_t bits = 0;
	if (set >= c->sets)
		return 0;
	for (uint32_t n = 1; n < c->ways && n < 64; n++)
		bits |= (uint64_t)(c->plru[(size_t)set * c->ways + n] & 1) << n;
	return bits;
}

void iom_cache_set_fault(struct iom_cache *c, unsigned fault)
{
	c->fault = fault;
}

/* ---- introspection ---- */

uint32_t iom_cache_set_of(const struct iom_cache *c, const struct iom_cache_key *k)
{
	return c->sets ? cache_set(c, k->addr) : 0;
}

bool iom_cache_way(const struct iom_cache *c, uint32_t set, uint32_t way, struct iom_cache_key *k,
		   const void **value)
{
	if (set >= c->sets || way >= c->ways)
		return false;
	size_t e = (size_t)set * c->ways + way;
	if (c->be) {
		struct iom_cache_key keys[64];
		if (!(c->be->read_set(c->be_ctx, set, keys) >> way & 1))
			return false;
		if (k)
			*k = keys[way];
		if (value)
			*value = cache_value(c, e);
		return true;
	}
	if (!*cache_fp_at(c, e))
		return false;
	if (k)
		*k = c->keys[e];
	if (value)
		*value = cache_value(c, e);
	return true;
}

uint32_t iom_cache_sets(const struct iom_cache *c)
{
	return c->sets;
}

uint32_t iom_cache_ways(const struct iom_cache *c)
{
	return c->ways;
}

uint32_t iom_cache_valid(const struct iom_cache *c)
{
	return c->nvalid;
}

/* ---- timing and stats ---- */

uint64_t iom_cache_access_ps(struct iom_cache *c, uint64_t now_ps)
{
	return iom_resource_acquire(&c->ports, now_ps, c->latency_ps, NULL) + c->latency_ps;
}

uint64_t iom_cache_latency_ps(const struct iom_cache *c)
{
	return c->latency_ps;
}

const struct iom_cache_stats *iom_cache_stats(const struct iom_cache *c)
{
	return &c->st;
}

int iom_cache_register_stats(struct iom_cache *c, struct iom_stats *s, const char *prefix,
			     struct iom_err *err)
{
	const struct {
		const char *field, *unit, *desc;
		const uint64_t *v;
	} f[] = {
		{ "lookups", "lookups", "lookups", &c->st.lookups },
		{ "hits", "lookups", "lookups that hit", &c->st.hits },
		{ "misses", "lookups", "lookups that missed", &c->st.misses },
		{ "fills", "entries", "entries inserted", &c->st.fills },
		{ "evictions", "entries", "valid entries replaced (incl. flush_all capacity flushes)",
		  &c->st.evictions },
		{ "invalidated", "entries", "entries dropped by invalidation or explicit flush",
		  &c->st.invalidated },
		{ "flushes", "flushes", "whole-cache capacity flushes (flush_all policy)",
		  &c->st.flushes },
	};
	char name[256], num[256], den[256];
	if (!prefix)
		prefix = c->name;
	for (size_t i = 0; i < IOM_ARRAY_SIZE(f); i++) {
		snprintf(name, sizeof(name), "%s.%s", prefix, f[i].field);
		int r = iom_stats_counter(s, name, f[i].unit, f[i].desc, f[i].v, err);
		if (r)
			return r;
	}
	snprintf(name, sizeof(name), "%s.hit_rate", prefix);
	snprintf(num, sizeof(num), "%s.hits", prefix);
	snprintf(den, sizeof(den), "%s.lookups", prefix);
	return iom_stats_ratio(s, name, "%", "hits per lookup", num, den, 100.0, err);
}
