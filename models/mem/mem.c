/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mem.c - sparse simulated physical memory with a fixed-latency access model.
 *
 * What it models: byte-addressable physical memory of up to 2^addr_bits
 * bytes (addr_bits <= 52, the largest PA of SMMUv3 / VT-d), little-endian
 * as both the Arm VMSA and the VT-d table formats are.
 *
 * Storage: 4 KB pages, allocated on the first write, found through an
 * open-addressing (linear probing) hash table keyed by page frame number,
 * grown at 70% load.  Page frames come from slabs of MEM_SLAB_PAGES pages so
 * that a million pages are not a million malloc()s.  A small direct-mapped
 * "page TLB" in front of the hash table makes the repeated accesses of a
 * table walk (same few pages) cost one compare.  Reading an untouched page
 * returns zeros and allocates nothing.
 *
 * Timing assumptions: a timed access costs dram_latency_ps, or
 * llc_latency_ps for a share llc_hit_ratio of accesses drawn from a seeded
 * splitmix64 stream (deterministic per seed).  The completion time is
 * now + latency whatever the length and however many pages it spans.
 * NOT modelled: bandwidth, bank/row conflicts, queueing between requesters,
 * write buffering, cache coherence.  These would sit behind the same
 * iom_mem_timed_* calls.
 *
 * Routing (iom_mem_set_port, for sim/systemc's TLM module): with a port set,
 * accesses go to the port's callbacks instead of the pages; the native path
 * pays one predictable branch per access for it.
 *
 * Errors: functional accesses outside the address space return
 * -IOM_ERANGE with the address in the message; the fixed-width helpers and
 * timed accesses count such accesses in bad_accesses instead (see mem.h).
 */
#include "mem.h"

#include "config.h"
#include "stats.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MEM_PAGE_MASK ((uint64_t)IOM_MEM_PAGE_SIZE - 1)
#define MEM_EMPTY UINT64_MAX      /* empty hash slot: no PFN reaches 2^64-1 */
#define MEM_PTLB_SIZE 16          /* direct-mapped page TLB entries (power of 2) */
#define MEM_SLAB_PAGES 64         /* page frames per slab allocation */
#define MEM_INIT_SLOTS 1024       /* initial hash slots (power of 2) */
#define MEM_NAME_MAX 96

struct mem_slot {
	uint64_t pfn;
	uint8_t *data;
};

struct mem_slab {
	struct mem_slab *next;
	uint8_t *frames; /* MEM_SLAB_PAGES * 4 KB */
};

struct iom_mem {
	struct iom_mem_cfg cfg;
	uint64_t limit;          /* 2^addr_bits */
	/* hash table of pages */
	struct mem_slot *slots;
	uint64_t nslots;         /* power of 2 */
	uint64_t npages;
	/* page TLB: last pages found (only present pages are cached) */
	uint64_t ptlb_pfn[MEM_PTLB_SIZE];
	uint8_t *ptlb_data[MEM_PTLB_SIZE];
	/* frame slabs */
	struct mem_slab *slabs;
	uint32_t slab_used;      /* frames handed out of slabs->frames */
	/* timing */
	uint64_t rng;            /* splitmix64 state */
	uint64_t bad_accesses;
	/* requesters */
	int nreq;
	char req_name[IOM_MEM_MAX_REQUESTERS][MEM_NAME_MAX];
	struct iom_mem_req_stats req[IOM_MEM_MAX_REQUESTERS];
	/* routing to an external memory (NULL callbacks = local pages) */
	struct iom_mem_port port;
};

#define mem_routed(m, fn) __builtin_expect((m)->port.fn != NULL, 0)

/* ---- property table (section "memory") ---- */

static const struct iom_prop mem_props[] = {
	IOM_PROP_U32_(struct iom_mem_cfg, addr_bits, 32, 52, "bits",
		      "Physical address width; accesses at or beyond 2^addr_bits are errors."),
	IOM_PROP_U64_(struct iom_mem_cfg, dram_latency_ps, 0, 1000000000, "ps",
		      "Latency of an access that misses the LLC (DRAM)."),
	IOM_PROP_U64_(struct iom_mem_cfg, llc_latency_ps, 0, 1000000000, "ps",
		      "Latency of an access that hits the last-level cache."),
	IOM_PROP_DOUBLE_(struct iom_mem_cfg, llc_hit_ratio, 0.0, 1.0, "",
			 "Share of timed accesses that hit the LLC (seeded random draw); 0 disables the LLC."),
	IOM_PROP_U64_(struct iom_mem_cfg, seed, 0, UINT64_MAX, "",
		      "Seed of the LLC hit/miss draws."),
};

static const struct iom_mem_cfg mem_defaults = {
	.addr_bits = 48,
	.dram_latency_ps = 80000,
	.llc_latency_ps = 20000,
	.llc_hit_ratio = 0.0,
	.seed = 1,
};

const struct iom_prop_table iom_mem_prop_table = {
	.section = "memory",
	.doc = "Simulated physical memory: address width and access latency.",
	.props = mem_props,
	.nprops = IOM_ARRAY_SIZE(mem_props),
	.defaults = &mem_defaults,
	.struct_size = sizeof(struct iom_mem_cfg),
};

/* ---- PRNG ---- */

static uint64_t mem_splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* ---- page table ---- */

static uint64_t mem_hash(uint64_t pfn, uint64_t nslots)
{
	return (pfn * 0x9e3779b97f4a7c15ull) >> 17 & (nslots - 1);
}

static struct mem_slot *mem_find_slot(struct mem_slot *slots, uint64_t nslots, uint64_t pfn)
{
	uint64_t i = mem_hash(pfn, nslots);
	while (slots[i].pfn != pfn && slots[i].pfn != MEM_EMPTY)
		i = (i + 1) & (nslots - 1);
	return &slots[i];
}

static struct mem_slot *mem_alloc_slots(uint64_t n)
{
	struct mem_slot *s = malloc(n * sizeof(*s));
	if (!s)
		return NULL;
	for (uint64_t i = 0; i < n; i++) {
		s[i].pfn = MEM_EMPTY;
		s[i].data = NULL;
	}
	return s;
}

static int mem_grow(struct iom_mem *m)
{
	uint64_t n = m->nslots * 2;
	struct mem_slot *s = mem_alloc_slots(n);
	if (!s)
		return -IOM_ENOMEM;
	for (uint64_t i = 0; i < m->nslots; i++)
		if (m->slots[i].pfn != MEM_EMPTY)
			*mem_find_slot(s, n, m->slots[i].pfn) = m->slots[i];
	free(m->slots);
	m->slots = s;
	m->nslots = n;
	return 0;
}

/* A zeroed 4 KB frame from the current slab (a new slab when it is used up). */
static uint8_t *mem_new_frame(struct iom_mem *m)
{
	if (!m->slabs || m->slab_used == MEM_SLAB_PAGES) {
		struct mem_slab *sl = malloc(sizeof(*sl));
		uint8_t *f = sl ? aligned_alloc(IOM_MEM_PAGE_SIZE,
						 (size_t)MEM_SLAB_PAGES * IOM_MEM_PAGE_SIZE) : NULL;
		if (!f) {
			free(sl);
			return NULL;
		}
		sl->frames = f;
		sl->next = m->slabs;
		m->slabs = sl;
		m->slab_used = 0;
	}
	uint8_t *p = m->slabs->frames + (size_t)m->slab_used++ * IOM_MEM_PAGE_SIZE;
	memset(p, 0, IOM_MEM_PAGE_SIZE);
	return p;
}

/* Present page of pfn, or NULL (nothing allocated). */
static inline uint8_t *mem_page(struct iom_mem *m, uint64_t pfn)
{
	unsigned t = pfn & (MEM_PTLB_SIZE - 1);
	if (m->ptlb_pfn[t] == pfn)
		return m->ptlb_data[t];
	struct mem_slot *s = mem_find_slot(m->slots, m->nslots, pfn);
	if (!s->data)
		return NULL;
	m->ptlb_pfn[t] = pfn;
	m->ptlb_data[t] = s->data;
	return s->data;
}

/* Page of pfn, allocated (zeroed) if absent; NULL only when out of host memory. */
static uint8_t *mem_page_w(struct iom_mem *m, uint64_t pfn)
{
	uint8_t *p = mem_page(m, pfn);
	if (p)
		return p;
	if ((m->npages + 1) * 10 > m->nslots * 7 && mem_grow(m))
		return NULL;
	struct mem_slot *s = mem_find_slot(m->slots, m->nslots, pfn);
	s->data = mem_new_frame(m);
	if (!s->data)
		return NULL;
	s->pfn = pfn;
	m->npages++;
	unsigned t = pfn & (MEM_PTLB_SIZE - 1);
	m->ptlb_pfn[t] = pfn;
	m->ptlb_data[t] = s->data;
	return s->data;
}

/* ---- create / destroy ---- */

struct iom_mem *iom_mem_create(const struct iom_mem_cfg *cfg, struct iom_err *err)
{
	if (!cfg)
		cfg = &mem_defaults;
	if (cfg->addr_bits < 32 || cfg->addr_bits > 52) {
		iom_err_set(err, IOM_ERANGE, "memory: addr_bits %" PRIu32 " outside [32, 52]",
			    cfg->addr_bits);
		return NULL;
	}
	if (!(cfg->llc_hit_ratio >= 0.0 && cfg->llc_hit_ratio <= 1.0)) {
		iom_err_set(err, IOM_ERANGE, "memory: llc_hit_ratio %g outside [0, 1]",
			    cfg->llc_hit_ratio);
		return NULL;
	}
	struct iom_mem *m = calloc(1, sizeof(*m));
	if (m)
		m->slots = mem_alloc_slots(MEM_INIT_SLOTS);
	if (!m || !m->slots) {
		free(m);
		iom_err_set(err, IOM_ENOMEM, "memory: out of host memory");
		return NULL;
	}
	m->cfg = *cfg;
	m->limit = 1ull << cfg->addr_bits;
	m->nslots = MEM_INIT_SLOTS;
	m->rng = cfg->seed;
	for (int i = 0; i < MEM_PTLB_SIZE; i++)
		m->ptlb_pfn[i] = MEM_EMPTY;
	return m;
}

void iom_mem_destroy(struct iom_mem *m)
{
	if (!m)
		return;
	while (m->slabs) {
		struct mem_slab *sl = m->slabs;
		m->slabs = sl->next;
		free(sl->frames);
		free(sl);
	}
	free(m->slots);
	free(m);
}

/* ---- functional access ---- */

/* [pa, pa+len) inside [0, 2^addr_bits) without wrapping. */
static inline bool mem_in_range(const struct iom_mem *m, uint64_t pa, size_t len)
{
	return pa < m->limit && (uint64_t)len <= m->limit - pa;
}

static int mem_range_err(const struct iom_mem *m, uint64_t pa, size_t len, struct iom_err *err)
{
	return iom_err_set(err, IOM_ERANGE,
			   "memory: access at 0x%" PRIx64 " length %zu is outside the %" PRIu32
			   "-bit physical address space",
			   pa, len, m->cfg.addr_bits);
}

static void mem_copy_out(struct iom_mem *m, uint64_t pa, uint8_t *dst, size_t len)
{
	while (len) {
		size_t off = pa & MEM_PAGE_MASK;
		size_t n = IOM_MIN(len, IOM_MEM_PAGE_SIZE - off);
		const uint8_t *p = mem_page(m, pa >> IOM_MEM_PAGE_SHIFT);
		if (p)
			memcpy(dst, p + off, n);
		else
			memset(dst, 0, n);
		dst += n;
		pa += n;
		len -= n;
	}
}

static int mem_copy_in(struct iom_mem *m, uint64_t pa, const uint8_t *src, size_t len)
{
	while (len) {
		size_t off = pa & MEM_PAGE_MASK;
		size_t n = IOM_MIN(len, IOM_MEM_PAGE_SIZE - off);
		uint8_t *p = mem_page_w(m, pa >> IOM_MEM_PAGE_SHIFT);
		if (!p)
			return -IOM_ENOMEM;
		memcpy(p + off, src, n);
		src += n;
		pa += n;
		len -= n;
	}
	return 0;
}

/* A functional access through the port; an error response is a bad access
 * (and a read of zeros). */
static bool mem_port_functional(struct iom_mem *m, bool write, uint64_t pa, void *buf, size_t len)
{
	if (m->port.functional(m->port.ctx, write, pa, buf, len))
		return true;
	m->bad_accesses++;
	if (!write)
		memset(buf, 0, len);
	return false;
}

static int mem_port_err(uint64_t pa, size_t len, bool write, struct iom_err *err)
{
	return iom_err_set(err, IOM_EIO,
			   "memory: the platform memory answered an error to a %zu-byte %s "
			   "at 0x%" PRIx64,
			   len, write ? "write" : "read", pa);
}

int iom_mem_read(struct iom_mem *m, uint64_t pa, void *buf, size_t len, struct iom_err *err)
{
	if (!mem_in_range(m, pa, len))
		return mem_range_err(m, pa, len, err);
	if (mem_routed(m, functional))
		return mem_port_functional(m, false, pa, buf, len)
			       ? 0 : mem_port_err(pa, len, false, err);
	mem_copy_out(m, pa, buf, len);
	return 0;
}

int iom_mem_write(struct iom_mem *m, uint64_t pa, const void *buf, size_t len, struct iom_err *err)
{
	if (!mem_in_range(m, pa, len))
		return mem_range_err(m, pa, len, err);
	if (mem_routed(m, functional)) /* the port does not write through buf */
		return mem_port_functional(m, true, pa, (void *)buf, len)
			       ? 0 : mem_port_err(pa, len, true, err);
	if (mem_copy_in(m, pa, buf, len))
		return iom_err_set(err, IOM_ENOMEM, "memory: out of host memory writing 0x%" PRIx64,
				   pa);
	return 0;
}

int iom_mem_zero(struct iom_mem *m, uint64_t pa, uint64_t len, struct iom_err *err)
{
	static uint8_t zeros[IOM_MEM_PAGE_SIZE];
	if (!mem_in_range(m, pa, len))
		return mem_range_err(m, pa, len, err);
	while (len) {
		uint64_t off = pa & MEM_PAGE_MASK;
		uint64_t n = IOM_MIN(len, IOM_MEM_PAGE_SIZE - off);
		if (mem_routed(m, functional)) {
			if (!mem_port_functional(m, true, pa, zeros, n))
				return mem_port_err(pa, n, true, err);
			pa += n;
			len -= n;
			continue;
		}
		uint8_t *p = mem_page(m, pa >> IOM_MEM_PAGE_SHIFT);
		if (p) /* an absent page reads as zero already */
			memset(p + off, 0, n);
		pa += n;
		len -= n;
	}
	return 0;
}

/* Little-endian load/store of n <= 8 bytes (host order independent). */
static uint64_t mem_le_load(const uint8_t *b, unsigned n)
{
	uint64_t v = 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(&v, b, n);
#else
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)b[i] << (8 * i);
#endif
	return v;
}

static void mem_le_store(uint8_t *b, uint64_t v, unsigned n)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(b, &v, n);
#else
	for (unsigned i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
#endif
}

static uint64_t mem_rdn(struct iom_mem *m, uint64_t pa, unsigned n)
{
	if (!mem_in_range(m, pa, n)) {
		m->bad_accesses++;
		return 0;
	}
	uint8_t b[8];
	if (mem_routed(m, functional)) {
		mem_port_functional(m, false, pa, b, n);
		return mem_le_load(b, n);
	}
	uint64_t off = pa & MEM_PAGE_MASK;
	if (off <= IOM_MEM_PAGE_SIZE - n) { /* common case: inside one page */
		const uint8_t *p = mem_page(m, pa >> IOM_MEM_PAGE_SHIFT);
		return p ? mem_le_load(p + off, n) : 0;
	}
	mem_copy_out(m, pa, b, n);
	return mem_le_load(b, n);
}

static void mem_wrn(struct iom_mem *m, uint64_t pa, uint64_t v, unsigned n)
{
	uint8_t b[8];
	if (!mem_in_range(m, pa, n)) {
		m->bad_accesses++;
		return;
	}
	mem_le_store(b, v, n);
	if (mem_routed(m, functional)) {
		mem_port_functional(m, true, pa, b, n);
		return;
	}
	if (mem_copy_in(m, pa, b, n))
		m->bad_accesses++; /* host OOM: nothing better to do in a void helper */
}

uint8_t iom_mem_rd8(struct iom_mem *m, uint64_t pa) { return (uint8_t)mem_rdn(m, pa, 1); }
uint16_t iom_mem_rd16(struct iom_mem *m, uint64_t pa) { return (uint16_t)mem_rdn(m, pa, 2); }
uint32_t iom_mem_rd32(struct iom_mem *m, uint64_t pa) { return (uint32_t)mem_rdn(m, pa, 4); }
uint64_t iom_mem_rd64(struct iom_mem *m, uint64_t pa) { return mem_rdn(m, pa, 8); }
void iom_mem_wr8(struct iom_mem *m, uint64_t pa, uint8_t v) { mem_wrn(m, pa, v, 1); }
void iom_mem_wr16(struct iom_mem *m, uint64_t pa, uint16_t v) { mem_wrn(m, pa, v, 2); }
void iom_mem_wr32(struct iom_mem *m, uint64_t pa, uint32_t v) { mem_wrn(m, pa, v, 4); }
void iom_mem_wr64(struct iom_mem *m, uint64_t pa, uint64_t v) { mem_wrn(m, pa, v, 8); }

uint64_t iom_mem_bad_accesses(const struct iom_mem *m)
{
	return m->bad_accesses;
}

uint64_t iom_mem_pages(const struct iom_mem *m)
{
	return m->npages;
}

/* ---- requesters and timed access ---- */

int iom_mem_requester(struct iom_mem *m, const char *name)
{
	for (int i = 0; i < m->nreq; i++)
		if (!strcmp(m->req_name[i], name))
			return i;
	if (m->nreq == IOM_MEM_MAX_REQUESTERS)
		return -IOM_EBUSY;
	snprintf(m->req_name[m->nreq], MEM_NAME_MAX, "%s", name);
	return m->nreq++;
}

const struct iom_mem_req_stats *iom_mem_req_stats(const struct iom_mem *m, int req)
{
	return req >= 0 && req < m->nreq ? &m->req[req] : NULL;
}

const char *iom_mem_requester_name(const struct iom_mem *m, int req)
{
	return req >= 0 && req < m->nreq ? m->req_name[req] : NULL;
}

void iom_mem_set_port(struct iom_mem *m, const struct iom_mem_port *port)
{
	if (port)
		m->port = *port;
	else
		memset(&m->port, 0, sizeof(m->port));
}

/* Latency of one timed access; draws only when the ratio is strictly
 * between 0 and 1 so ratios 0 and 1 are exact and consume no draws. */
static uint64_t mem_latency(struct iom_mem *m, struct iom_mem_req_stats *st)
{
	double r = m->cfg.llc_hit_ratio;
	bool hit;
	if (r <= 0.0)
		hit = false;
	else if (r >= 1.0)
		hit = true;
	else
		hit = (double)(mem_splitmix64(&m->rng) >> 11) * 0x1.0p-53 < r;
	if (!hit)
		return m->cfg.dram_latency_ps;
	st->llc_hits++;
	return m->cfg.llc_latency_ps;
}

/* Common checks of a timed access: valid requester and range. NULL = bad. */
static struct iom_mem_req_stats *mem_timed_check(struct iom_mem *m, int req, uint64_t pa,
						 size_t len, bool *ok)
{
	if (req < 0 || req >= m->nreq || !mem_in_range(m, pa, len)) {
		m->bad_accesses++;
		if (ok)
			*ok = false;
		return NULL;
	}
	if (ok)
		*ok = true;
	return &m->req[req];
}

/* A timed access through the port: counted here, timed (and moved) there. */
static uint64_t mem_port_timed(struct iom_mem *m, struct iom_mem_req_stats *st, int req, bool write,
			       uint64_t pa, void *buf, size_t len, uint64_t now_ps, bool *ok)
{
	uint64_t done = now_ps;
	bool good = m->port.timed(m->port.ctx, req, write, pa, buf, len, now_ps, &done);
	if (done < now_ps)
		done = now_ps;
	if (!good) {
		m->bad_accesses++;
		if (!write && buf)
			memset(buf, 0, len);
		if (ok)
			*ok = false;
		return done;
	}
	if (write) {
		st->writes++;
		st->write_bytes += len;
	} else {
		st->reads++;
		st->read_bytes += len;
	}
	return done;
}

uint64_t iom_mem_timed_read(struct iom_mem *m, int req, uint64_t pa, void *buf, size_t len,
			    uint64_t now_ps, bool *ok)
{
	struct iom_mem_req_stats *st = mem_timed_check(m, req, pa, len, ok);
	if (!st)
		return now_ps;
	if (mem_routed(m, timed))
		return mem_port_timed(m, st, req, false, pa, buf, len, now_ps, ok);
	if (buf)
		mem_copy_out(m, pa, buf, len);
	st->reads++;
	st->read_bytes += len;
	return now_ps + mem_latency(m, st);
}

uint64_t iom_mem_timed_write(struct iom_mem *m, int req, uint64_t pa, const void *buf, size_t len,
			     uint64_t now_ps, bool *ok)
{
	struct iom_mem_req_stats *st = mem_timed_check(m, req, pa, len, ok);
	if (!st)
		return now_ps;
	if (mem_routed(m, timed)) /* the port does not write through buf */
		return mem_port_timed(m, st, req, true, pa, (void *)buf, len, now_ps, ok);
	if (buf && mem_copy_in(m, pa, buf, len)) {
		m->bad_accesses++; /* host OOM */
		if (ok)
			*ok = false;
		return now_ps;
	}
	st->writes++;
	st->write_bytes += len;
	return now_ps + mem_latency(m, st);
}

uint64_t iom_mem_timed_rd64(struct iom_mem *m, int req, uint64_t pa, uint64_t now_ps,
			    uint64_t *done_ps)
{
	struct iom_mem_req_stats *st = mem_timed_check(m, req, pa, 8, NULL);
	if (!st) {
		if (done_ps)
			*done_ps = now_ps;
		return 0;
	}
	if (mem_routed(m, timed)) {
		uint8_t b[8];
		bool ok = true;
		uint64_t done = mem_port_timed(m, st, req, false, pa, b, 8, now_ps, &ok);
		if (done_ps)
			*done_ps = done;
		return ok ? mem_le_load(b, 8) : 0;
	}
	uint64_t v = mem_rdn(m, pa, 8);
	st->reads++;
	st->read_bytes += 8;
	uint64_t lat = mem_latency(m, st);
	if (done_ps)
		*done_ps = now_ps + lat;
	return v;
}

/* ---- stats ---- */

static int mem_reg_req(struct iom_mem *m, struct iom_stats *s, int i, struct iom_err *err)
{
	static const struct {
		const char *field, *unit, *desc;
		size_t off;
	} f[] = {
		{ "reads", "accesses", "timed reads", offsetof(struct iom_mem_req_stats, reads) },
		{ "writes", "accesses", "timed writes", offsetof(struct iom_mem_req_stats, writes) },
		{ "read_bytes", "bytes", "bytes read (timed)",
		  offsetof(struct iom_mem_req_stats, read_bytes) },
		{ "write_bytes", "bytes", "bytes written (timed)",
		  offsetof(struct iom_mem_req_stats, write_bytes) },
		{ "llc_hits", "accesses", "timed accesses served by the LLC",
		  offsetof(struct iom_mem_req_stats, llc_hits) },
	};
	char name[MEM_NAME_MAX + 32];
	for (size_t k = 0; k < IOM_ARRAY_SIZE(f); k++) {
		snprintf(name, sizeof(name), "memory.%s.%s", m->req_name[i], f[k].field);
		const uint64_t *v = (const uint64_t *)((const char *)&m->req[i] + f[k].off);
		int r = iom_stats_counter(s, name, f[k].unit, f[k].desc, v, err);
		if (r)
			return r;
	}
	return 0;
}

int iom_mem_register_stats(struct iom_mem *m, struct iom_stats *s, struct iom_err *err)
{
	int r = iom_stats_counter(s, "memory.pages", "pages", "4 KB pages allocated (written)",
				  &m->npages, err);
	if (!r)
		r = iom_stats_counter(s, "memory.bad_accesses", "accesses",
				      "accesses outside the address space (dropped)",
				      &m->bad_accesses, err);
	for (int i = 0; !r && i < m->nreq; i++)
		r = mem_reg_req(m, s, i, err);
	return r;
}
