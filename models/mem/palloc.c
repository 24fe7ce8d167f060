/* SPDX-License-Identifier: Apache-2.0 */
/*
 * palloc.c - buddy allocator of simulated physical pages (the host kernel's
 * page allocator, as far as IOMMU tables and queues need one).
 *
 * What it does: manages [base, base+size) of simulated memory in blocks of
 * 4 KB << order.  The region is first cut into maximal naturally aligned
 * power-of-two blocks, so every block is aligned to its size in absolute
 * physical address (stream tables, CD tables and queues need natural
 * alignment) even when base is not.  A request is rounded up to a power of
 * two >= 4 KB; the smallest order with a free block is split down, lowest
 * address first, so allocation order is deterministic.  Freeing merges a
 * block with its buddy (address ^ block size) while the buddy is free.
 * Returned memory is zeroed with functional writes that touch only pages
 * that exist (an untouched page already reads as zero), so allocating a big
 * table costs no host memory until it is written.
 *
 * Book-keeping: per order, a bitmap of free blocks (with a lowest-free-word
 * hint) and a bitmap of allocated blocks.  A free whose (pa, size) is not an
 * allocated block -- double free, wrong size, address outside the region --
 * is ignored and counted (iom_palloc_bad_frees), never fatal: the caller is
 * simulated host software and the simulator reports, it does not crash.
 * The bitmaps cost about 4 bits of host memory per 4 KB of region (2 MB for
 * a 16 GB region); a multi-TB region would want a sparse structure.
 *
 * Not modelled: time (allocation is software work outside the timed path),
 * NUMA, fragmentation-avoidance heuristics.  Base 0 is rejected because
 * iom_palloc_alloc returns 0 for "exhausted".
 */
#include "mem.h"

#include "../pgtable/pgtable.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>


#define PALLOC_MAX_ORDER 40 /* 4 KB << 40 = 4 PB, beyond any 52-bit region */

struct palloc_order {
	uint64_t first;     /* index (pa >> shift) of the first block slot */
	uint64_t nblocks;   /* block slots covering the region at this order */
	uint64_t *free_map; /* bit set: block is free at this order */
	uint64_t *used_map; /* bit set: block was allocated at this order */
	uint64_t hint;      /* no free bit in words below this one */
};

struct iom_palloc {
	struct iom_mem *mem;
	uint64_t base, end;
	unsigned max_order;
	uint64_t used;
	uint64_t bad_frees;
	struct palloc_order ord[PALLOC_MAX_ORDER + 1];
};

static unsigned palloc_shift(unsigned order)
{
	return IOM_MEM_PAGE_SHIFT + order;
}

/* Slot index of the block at pa in order o, or UINT64_MAX if outside. */
static uint64_t palloc_idx(const struct iom_palloc *p, unsigned o, uint64_t pa)
{
	if (pa < p->base || pa >= p->end)
		return UINT64_MAX;
	uint64_t i = (pa >> palloc_shift(o)) - p->ord[o].first;
	return i < p->ord[o].nblocks ? i : UINT64_MAX;
}

static bool palloc_test(const uint64_t *map, uint64_t i)
{
	return map[i / 64] >> (i % 64) & 1;
}

static void palloc_set(uint64_t *map, uint64_t i, bool v)
{
	if (v)
		map[i / 64] |= 1ull << (i % 64);
	else
		map[i / 64] &= ~(1ull << (i % 64));
}

static void palloc_mark_free(struct iom_palloc *p, unsigned o, uint64_t pa, bool v)
{
	struct palloc_order *po = &p->ord[o];
	uint64_t i = palloc_idx(p, o, pa);
	palloc_set(po->free_map, i, v);
	if (v && i / 64 < po->hint)
		po->hint = i / 64;
}

/* Lowest free block of order o, removed from the free map; 0 if none. */
static uint64_t palloc_take(struct iom_palloc *p, unsigned o)
{
	struct palloc_order *po = &p->ord[o];
	uint64_t words = (po->nblocks + 63) / 64;
	for (uint64_t w = po->hint; w < words; w++) {
		if (!po->free_map[w])
			continue;
		po->hint = w;
		uint64_t i = w * 64 + (uint64_t)__builtin_ctzll(po->free_map[w]);
		palloc_set(po->free_map, i, false);
		return (po->first + i) << palloc_shift(o);
	}
	po->hint = words;
	return 0;
}

static int palloc_init_orders(struct iom_palloc *p)
{
	for (unsigned o = 0; o <= p->max_order; o++) {
		struct palloc_order *po = &p->ord[o];
		unsigned sh = palloc_shift(o);
		po->first = p->base >> sh;
		po->nblocks = ((p->end - 1) >> sh) - po->first + 1;
		size_t words = (size_t)((po->nblocks + 63) / 64);
		po->free_map = calloc(words, sizeof(uint64_t));
		po->used_map = calloc(words, sizeof(uint64_t));
		if (!po->free_map || !po->used_map)
			return -IOM_ENOMEM;
	}
	return 0;
}

/* Cut the region into maximal naturally aligned blocks, all free. */
static void palloc_seed_free(struct iom_palloc *p)
{
	for (uint64_t pa = p->base; pa < p->end;) {
		unsigned o = p->max_order;
		while (o && ((pa & ((1ull << palloc_shift(o)) - 1)) ||
			     p->end - pa < (1ull << palloc_shift(o))))
			o--;
		palloc_mark_free(p, o, pa, true);
		pa += 1ull << palloc_shift(o);
	}
}

struct iom_palloc *iom_palloc_create(struct iom_mem *m, uint64_t base, uint64_t size,
				     struct iom_err *err)
{
	if (!m || !base || (base | size) & (IOM_MEM_PAGE_SIZE - 1) || !size ||
	    base + size < base) {
		iom_err_set(err, IOM_EINVAL,
			    "palloc: region base 0x%" PRIx64 " size 0x%" PRIx64
			    " must be non-zero, 4 KB aligned and not wrap",
			    base, size);
		return NULL;
	}
	struct iom_palloc *p = calloc(1, sizeof(*p));
	if (!p) {
		iom_err_set(err, IOM_ENOMEM, "palloc: out of host memory");
		return NULL;
	}
	p->mem = m;
	p->base = base;
	p->end = base + size;
	while (p->max_order < PALLOC_MAX_ORDER && (size >> palloc_shift(p->max_order + 1)))
		p->max_order++;
	if (palloc_init_orders(p)) {
		iom_palloc_destroy(p);
		iom_err_set(err, IOM_ENOMEM, "palloc: out of host memory for 0x%" PRIx64 " bytes",
			    size);
		return NULL;
	}
	palloc_seed_free(p);
	return p;
}

void iom_palloc_destroy(struct iom_palloc *p)
{
	if (!p)
		return;
	for (unsigned o = 0; o <= PALLOC_MAX_ORDER; o++) {
		free(p->ord[o].free_map);
		free(p->ord[o].used_map);
	}
	free(p);
}

/* Order of a request, or -1 if it cannot be served at any order. */
static int palloc_order_of(const struct iom_palloc *p, uint64_t size)
{
	unsigned o = 0;
	while (o <= p->max_order && (1ull << palloc_shift(o)) < size)
		o++;
	return o <= p->max_order ? (int)o : -1;
}

uint64_t iom_palloc_alloc(struct iom_palloc *p, size_t size)
{
	int want = size ? palloc_order_of(p, size) : -1;
	if (want < 0)
		return 0;
	unsigned o = (unsigned)want;
	uint64_t pa = 0;
	while (o <= p->max_order && !(pa = palloc_take(p, o)))
		o++;
	if (!pa)
		return 0;
	while (o > (unsigned)want) { /* split: keep the low half, free the high half */
		o--;
		palloc_mark_free(p, o, pa + (1ull << palloc_shift(o)), true);
	}
	palloc_set(p->ord[o].used_map, palloc_idx(p, o, pa), true);
	uint64_t bytes = 1ull << palloc_shift(o);
	p->used += bytes;
	iom_mem_zero(p->mem, pa, bytes, NULL); /* in range: the region was validated */
	return pa;
}

void iom_palloc_free(struct iom_palloc *p, uint64_t pa, size_t size)
{
	int so = size ? palloc_order_of(p, size) : -1;
	uint64_t i = so < 0 ? UINT64_MAX : palloc_idx(p, (unsigned)so, pa);
	if (i == UINT64_MAX || (pa & ((1ull << palloc_shift((unsigned)so)) - 1)) ||
	    !palloc_test(p->ord[so].used_map, i)) {
		p->bad_frees++;
		return;
	}
	unsigned o = (unsigned)so;
	palloc_set(p->ord[o].used_map, i, false);
	p->used -= 1ull << palloc_shift(o);
	while (o < p->max_order) {
		uint64_t buddy = pa ^ (1ull << palloc_shift(o));
		uint64_t bi = palloc_idx(p, o, buddy);
		if (bi == UINT64_MAX || !palloc_test(p->ord[o].free_map, bi))
			break;
		palloc_set(p->ord[o].free_map, bi, false);
		pa = IOM_MIN(pa, buddy);
		o++;
	}
	palloc_mark_free(p, o, pa, true);
}

uint64_t iom_palloc_used(const struct iom_palloc *p)
{
	return p->used;
}

uint64_t iom_palloc_bad_frees(const struct iom_palloc *p)
{
	return p->bad_frees;
}

static uint64_t palloc_pt_alloc(void *ctx, size_t size)
{
	return iom_palloc_alloc(ctx, size);
}

static void palloc_pt_free(void *ctx, uint64_t pa, size_t size)
{
	iom_palloc_free(ctx, pa, size);
}

void iom_palloc_as_pt_alloc(struct iom_palloc *p, struct iom_pt_alloc *out)
{
	out->alloc = palloc_pt_alloc;
	out->free = palloc_pt_free;
	out->ctx = p;
}
