/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mem.h - sparse simulated physical memory with an access-latency model.
 *
 * Storage: 4 KB pages allocated on first write, found through a hash table
 * keyed by page frame number; reading an untouched page returns zeros and
 * allocates nothing, so memory use is proportional to pages written.
 * Addresses are physical, up to `addr_bits` (<= 52) bits; an access beyond
 * that, or one whose address + length overflows, is an API error.
 *
 * Two access flavours:
 *  - functional (iom_mem_read/write, rd64/wr64, ...): no time, no counters
 *    -- for test setup and for loading images;
 *  - timed (iom_mem_timed_read/write): what every walker, queue and table
 *    access in a model uses.  It moves the data, charges a latency (fixed
 *    DRAM latency, or the LLC hit latency for a seeded-random `llc_hit_ratio`
 *    share of accesses) and counts the access against a named requester.
 * Multi-byte values are little-endian, as both SMMUv3 and VT-d tables are.
 */
#ifndef IOM_MODELS_MEM_H
#define IOM_MODELS_MEM_H

#include "iom.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

struct iom_prop_table;
struct iom_stats;

struct iom_mem_cfg {
	uint32_t addr_bits;        /* physical address width, 32..52 */
	uint64_t dram_latency_ps;  /* bound in config as dram_latency_ps */
	uint64_t llc_latency_ps;   /* latency of an LLC hit */
	double llc_hit_ratio;      /* 0 = LLC disabled */
	uint64_t seed;             /* LLC hit/miss draws */
};
extern const struct iom_prop_table iom_mem_prop_table; /* section "memory" */

#define IOM_MEM_PAGE_SHIFT 12
#define IOM_MEM_PAGE_SIZE 4096u
#define IOM_MEM_MAX_REQUESTERS 64

struct iom_mem;

struct iom_mem *iom_mem_create(const struct iom_mem_cfg *cfg, struct iom_err *err);
void iom_mem_destroy(struct iom_mem *m);

/* Functional access. 0 or -IOM_ERANGE (address out of range/overflow). */
int iom_mem_read(struct iom_mem *m, uint64_t pa, void *buf, size_t len, struct iom_err *err);
int iom_mem_write(struct iom_mem *m, uint64_t pa, const void *buf, size_t len, struct iom_err *err);
/* Fixed-width helpers; out-of-range reads return 0, writes are dropped and
 * counted in iom_mem_bad_accesses() -- use them only with addresses the
 * caller has validated (e.g. table pointers masked to addr_bits). */
uint8_t iom_mem_rd8(struct iom_mem *m, uint64_t pa);
uint16_t iom_mem_rd16(struct iom_mem *m, uint64_t pa);
uint32_t iom_mem_rd32(struct iom_mem *m, uint64_t pa);
uint64_t iom_mem_rd64(struct iom_mem *m, uint64_t pa);
void iom_mem_wr8(struct iom_mem *m, uint64_t pa, uint8_t v);
void iom_mem_wr16(struct iom_mem *m, uint64_t pa, uint16_t v);
void iom_mem_wr32(struct iom_mem *m, uint64_t pa, uint32_t v);
void iom_mem_wr64(struct iom_mem *m, uint64_t pa, uint64_t v);
uint64_t iom_mem_bad_accesses(const struct iom_mem *m);
/* Zero [pa, pa+len) without allocating pages that were never written. */
int iom_mem_zero(struct iom_mem *m, uint64_t pa, uint64_t len, struct iom_err *err);

/* Requesters: named sources of timed accesses ("smmu0.walk", "host.cpu").
 * Returns an id >= 0, or -IOM_EBUSY when IOM_MEM_MAX_REQUESTERS are taken.
 * Registering an existing name returns its id. */
int iom_mem_requester(struct iom_mem *m, const char *name);

/* Timed access starting at now_ps; returns the completion time. buf may be
 * NULL: the access is timed and counted but no data moves (device DMA).
 * Out-of-range addresses: returns now_ps, moves nothing, *ok=false (if ok
 * not NULL) and counts a bad access -- the model turns that into its own
 * external-abort outcome. */
uint64_t iom_mem_timed_read(struct iom_mem *m, int req, uint64_t pa, void *buf, size_t len,
			    uint64_t now_ps, bool *ok);
uint64_t iom_mem_timed_write(struct iom_mem *m, int req, uint64_t pa, const void *buf, size_t len,
			     uint64_t now_ps, bool *ok);
/* Timed 64-bit read, the walker's common case. */
uint64_t iom_mem_timed_rd64(struct iom_mem *m, int req, uint64_t pa, uint64_t now_ps,
			    uint64_t *done_ps);

/* ---- routing to an external memory (a SystemC/TLM platform, sim/systemc) ----
 * With a port set, accesses leave this model and go to the port instead of
 * the local pages: timed ones to port.timed (which moves the data and says
 * when the access completed: a TLM initiator socket's b_transport), and,
 * when port.functional is set, functional ones too (zero time: the socket's
 * transport_dbg), so that tables the host builds live in the platform's
 * memory.  The range check against addr_bits and the per-requester counts
 * (reads, writes, bytes) stay here; latency (and the LLC draw) is the
 * port's.  A false return is an error response: a timed access then reports
 * *ok = false and counts a bad access, a functional read returns zeros.
 * Without a port (the native engine) nothing of this runs. */
struct iom_mem_port {
	bool (*timed)(void *ctx, int req, bool write, uint64_t pa, void *buf, size_t len,
		      uint64_t now_ps, uint64_t *done_ps);
	bool (*functional)(void *ctx, bool write, uint64_t pa, void *buf, size_t len);
	void *ctx;
};
/* Route accesses to port (copied), or back to local pages with NULL. */
void iom_mem_set_port(struct iom_mem *m, const struct iom_mem_port *port);
const char *iom_mem_requester_name(const struct iom_mem *m, int req); /* NULL if unknown */

struct iom_mem_req_stats {
	uint64_t reads, writes, read_bytes, write_bytes, llc_hits;
};
const struct iom_mem_req_stats *iom_mem_req_stats(const struct iom_mem *m, int req);
uint64_t iom_mem_pages(const struct iom_mem *m); /* pages allocated */
/* Registers memory.pages, memory.<requester>.reads/... for every requester
 * known at call time. */
int iom_mem_register_stats(struct iom_mem *m, struct iom_stats *s, struct iom_err *err);

/* ---- physical page allocator for tables and queues (host kernel memory) ----
 * A buddy allocator over [base, base+size) of simulated memory: requests are
 * rounded up to a power of two >= 4 KB and aligned to that size (stream
 * tables, CD tables and queues need natural alignment); freed blocks merge
 * with their buddies.  Returned memory is zeroed (functional writes). */
struct iom_palloc;
struct iom_pt_alloc;
struct iom_palloc *iom_palloc_create(struct iom_mem *m, uint64_t base, uint64_t size,
				     struct iom_err *err);
void iom_palloc_destroy(struct iom_palloc *p);
uint64_t iom_palloc_alloc(struct iom_palloc *p, size_t size); /* 0 when exhausted */
void iom_palloc_free(struct iom_palloc *p, uint64_t pa, size_t size);
uint64_t iom_palloc_used(const struct iom_palloc *p); /* bytes allocated */
/* Frees ignored because they were doubled, mis-sized or outside the region. */
uint64_t iom_palloc_bad_frees(const struct iom_palloc *p);
/* Fill a struct iom_pt_alloc (models/pgtable/pgtable.h) backed by p. */
void iom_palloc_as_pt_alloc(struct iom_palloc *p, struct iom_pt_alloc *out);

#ifdef __cplusplus
}
#endif
#endif
