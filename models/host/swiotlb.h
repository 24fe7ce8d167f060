/* SPDX-License-Identifier: Apache-2.0 */
/*
 * swiotlb.h - the software IO TLB's slot allocator (Linux kernel/dma/swiotlb.c,
 * the default pool without CONFIG_SWIOTLB_DYNAMIC), as the DMA API's bounce
 * mode uses it (dma_api.h, docs/dma-api.md "Bounce buffering").
 *
 * The pool is nslabs slots of IO_TLB_SIZE = 2 KiB (IO_TLB_SHIFT 11) at a
 * page-aligned physical base, cut into segments of IO_TLB_SEGSIZE = 128 slots
 * (no mapping crosses a segment: at most 256 KiB) and into nareas areas of
 * equal size, each with its own lock, search index and use count.  Every slot
 * keeps `list`: the number of free slots from it to the end of its free run
 * within the segment (0 = in use); a search looks for a slot whose list
 * covers the request.
 *
 * This file is the bookkeeping only: which slots a request gets, exactly as
 * swiotlb_search_pool_area() / swiotlb_release_slots() choose and free them
 * (area search order, wrap to the area start, the alignment stride), plus
 * how much work that took (loop iterations, slots updated).  Time -- the
 * area lock as a contended resource, the copies -- is dma_api.c's.
 *
 * Not modelled: the segment boundary mask (taken as unlimited: a PCI
 * device's 4 GiB boundary is never crossed by a pool below 4 GiB), an
 * explicit alloc_align_mask (streaming maps pass 0), dynamic and transient
 * pools (CONFIG_SWIOTLB_DYNAMIC), restricted per-device pools.
 */
#ifndef IOM_MODELS_HOST_SWIOTLB_H
#define IOM_MODELS_HOST_SWIOTLB_H

#include "iom.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define IOM_IO_TLB_SHIFT 11
#define IOM_IO_TLB_SIZE (1u << IOM_IO_TLB_SHIFT)
#define IOM_IO_TLB_SEGSIZE 128u
/* Largest mapping (swiotlb_max_mapping_size() without min_align_mask). */
#define IOM_IO_TLB_MAX_BYTES ((uint64_t)IOM_IO_TLB_SIZE * IOM_IO_TLB_SEGSIZE)
/* The CPU page size the "historic page alignment" rule uses. */
#define IOM_SWIOTLB_PAGE_SIZE 4096u

struct iom_swiotlb;

/* size: bytes, a multiple of nareas x 256 KiB; base: page aligned; nareas: a
 * power of two >= 1.  -IOM_EINVAL with a message naming the rule. */
struct iom_swiotlb *iom_swiotlb_create(uint64_t base, uint64_t size, uint32_t nareas,
				       struct iom_err *err);
void iom_swiotlb_destroy(struct iom_swiotlb *s);

/* swiotlb_align_offset(dev, 0, orig): the bits of orig below the slot size
 * that min_align_mask says the bounce address must keep. */
static inline uint32_t iom_swiotlb_offset(uint32_t min_align_mask, uint64_t orig)
{
	return (uint32_t)(orig & min_align_mask & (IOM_IO_TLB_SIZE - 1));
}

/* One area's search for alloc_size bytes (the mapping size plus the
 * offset), as swiotlb_search_pool_area() with alloc_align_mask 0: found ->
 * the slots are taken and *index is the first (pool-wide); *iters = loop
 * iterations (0 when the area's free count already rules it out). */
bool iom_swiotlb_area_search(struct iom_swiotlb *s, uint32_t area, uint64_t orig_addr,
			     uint64_t alloc_size, uint32_t min_align_mask, uint32_t *index,
			     uint64_t *iters);
/* swiotlb_release_slots(): free nslots from index; *touched = slots whose
 * list was rewritten (the freed ones and the free run merged before them). */
void iom_swiotlb_release(struct iom_swiotlb *s, uint32_t index, uint32_t nslots,
			 uint64_t *touched);

uint64_t iom_swiotlb_base(const struct iom_swiotlb *s);
uint32_t iom_swiotlb_nslabs(const struct iom_swiotlb *s);
uint32_t iom_swiotlb_nareas(const struct iom_swiotlb *s);
uint32_t iom_swiotlb_area_nslabs(const struct iom_swiotlb *s);
uint32_t iom_swiotlb_area_of(const struct iom_swiotlb *s, uint32_t index);
uint64_t iom_swiotlb_used(const struct iom_swiotlb *s);            /* slots in use */
uint32_t iom_swiotlb_area_used(const struct iom_swiotlb *s, uint32_t area);
uint32_t iom_swiotlb_area_index(const struct iom_swiotlb *s, uint32_t area); /* next search start */
uint32_t iom_swiotlb_list(const struct iom_swiotlb *s, uint32_t slot);      /* free run from slot */

/* nr_slots(): slots covering bytes. */
static inline uint32_t iom_swiotlb_nr_slots(uint64_t bytes)
{
	return (uint32_t)((bytes + IOM_IO_TLB_SIZE - 1) >> IOM_IO_TLB_SHIFT);
}

#ifdef __cplusplus
}
#endif
#endif
