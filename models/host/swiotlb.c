/* SPDX-License-Identifier: Apache-2.0 */
/*
 * swiotlb.c - the software IO TLB's slots (swiotlb.h): which slots a bounce
 * mapping gets and how much searching that took.
 *
 * Follows Linux kernel/dma/swiotlb.c (v6.9+, non-dynamic default pool):
 *  - swiotlb_init_io_tlb_pool(): slot i starts with list = the slots left in
 *    its segment; area_nslabs = nslabs / nareas;
 *  - swiotlb_search_pool_area(): with no alignment request and no
 *    min_align_mask, a request of a page or more is page aligned (the
 *    historic rule); alloc_align_mask |= IO_TLB_SIZE - 1; min_align_mask
 *    bits above the slot size must match orig_addr's; stride =
 *    (max(alloc_align_mask, iotlb_align_mask) >> IO_TLB_SHIFT) + 1; the
 *    search starts at the area's index, steps by 1 past a misaligned slot and
 *    by stride past an aligned slot whose free run is too short, wraps to the
 *    area's first slot (not modulo), and gives up after area_nslabs slots;
 *    a hit zeroes the taken slots' lists, renumbers the free run before them
 *    in the segment, and moves the area's index past the allocation;
 *  - swiotlb_release_slots(): the freed slots and the free run before them
 *    are renumbered, merging with the free run after them in the segment.
 * Cost: none here; the counts (iterations, slots touched) are what
 * dma_api.c charges CPU time for.  Not modelled: see swiotlb.h.
 */
#include "swiotlb.h"

#include <stdlib.h>

struct sw_area {
	uint32_t used;  /* slots taken */
	uint32_t index; /* area-relative slot where the next search starts */
};

struct iom_swiotlb {
	uint64_t base;
	uint32_t nslabs, nareas, area_nslabs;
	uint64_t used;
	uint16_t *list; /* per slot: free run length from it (0 = in use) */
	struct sw_area *areas;
};

struct iom_swiotlb *iom_swiotlb_create(uint64_t base, uint64_t size, uint32_t nareas,
				       struct iom_err *err)
{
	if (!nareas || (nareas & (nareas - 1))) {
		iom_err_set(err, IOM_EINVAL, "swiotlb: %u areas is not a power of two", nareas);
		return NULL;
	}
	if (!size || size % ((uint64_t)nareas * IOM_IO_TLB_MAX_BYTES) ||
	    (size >> IOM_IO_TLB_SHIFT) > UINT32_MAX) {
		iom_err_set(err, IOM_EINVAL,
			    "swiotlb: pool of %llu bytes is not a whole number of %u areas of "
			    "256 KiB segments (128 slots of 2 KiB)",
			    (unsigned long long)size, nareas);
		return NULL;
	}
	if (base % IOM_SWIOTLB_PAGE_SIZE || base + size < base) {
		iom_err_set(err, IOM_EINVAL, "swiotlb: pool base 0x%llx is not page aligned",
			    (unsigned long long)base);
		return NULL;
	}
	struct iom_swiotlb *s = calloc(1, sizeof(*s));
	if (!s) {
		iom_err_set(err, IOM_ENOMEM, "out of memory");
		return NULL;
	}
	s->base = base;
	s->nslabs = (uint32_t)(size >> IOM_IO_TLB_SHIFT);
	s->nareas = nareas;
	s->area_nslabs = s->nslabs / nareas;
	s->list = malloc((size_t)s->nslabs * sizeof(*s->list));
	s->areas = calloc(nareas, sizeof(*s->areas));
	if (!s->list || !s->areas) {
		iom_swiotlb_destroy(s);
		iom_err_set(err, IOM_ENOMEM, "out of memory");
		return NULL;
	}
	for (uint32_t i = 0; i < s->nslabs; i++)
		s->list[i] = (uint16_t)(IOM_IO_TLB_SEGSIZE - (i & (IOM_IO_TLB_SEGSIZE - 1)));
	return s;
}

void iom_swiotlb_destroy(struct iom_swiotlb *s)
{
	if (!s)
		return;
	free(s->list);
	free(s->areas);
	free(s);
}

/* wrap_area_index(): past the area's end goes back to its first slot. */
static uint32_t sw_wrap(const struct iom_swiotlb *s, uint64_t index)
{
	return index >= s->area_nslabs ? 0 : (uint32_t)index;
}

/* The free run before slot (in its segment) grows by what follows it. */
static uint64_t sw_renumber_before(struct iom_swiotlb *s, uint32_t slot, uint32_t count)
{
	uint64_t n = 0;
	for (int64_t i = (int64_t)slot - 1;
	     i >= 0 && (i & (IOM_IO_TLB_SEGSIZE - 1)) != IOM_IO_TLB_SEGSIZE - 1 && s->list[i]; i--) {
		s->list[i] = (uint16_t)++count;
		n++;
	}
	return n;
}

bool iom_swiotlb_area_search(struct iom_swiotlb *s, uint32_t area, uint64_t orig_addr,
			     uint64_t alloc_size, uint32_t min_align_mask, uint32_t *index,
			     uint64_t *iters)
{
	uint64_t nslots = iom_swiotlb_nr_slots(alloc_size);
	uint64_t iotlb_align = min_align_mask, align = 0;
	struct sw_area *a = &s->areas[area];
	*iters = 0;
	if (!nslots || nslots > IOM_IO_TLB_SEGSIZE || nslots > s->area_nslabs - a->used)
		return false;
	if (!iotlb_align && alloc_size >= IOM_SWIOTLB_PAGE_SIZE)
		align = IOM_SWIOTLB_PAGE_SIZE - 1; /* the historic page alignment */
	align |= IOM_IO_TLB_SIZE - 1;
	iotlb_align &= ~align;
	uint64_t stride = (IOM_MAX(align, iotlb_align) >> IOM_IO_TLB_SHIFT) + 1;
	uint32_t slot_base = area * s->area_nslabs, idx = a->index, slot = 0;
	bool found = false;
	for (uint64_t checked = 0; checked < s->area_nslabs;) {
		(*iters)++;
		slot = slot_base + idx;
		uint64_t tlb = s->base + ((uint64_t)slot << IOM_IO_TLB_SHIFT);
		if ((tlb & align) ||
		    (orig_addr && (tlb & iotlb_align) != (orig_addr & iotlb_align))) {
			idx = sw_wrap(s, (uint64_t)idx + 1);
			checked++;
			continue;
		}
		if (s->list[slot] >= nslots) {
			found = true;
			break;
		}
		idx = sw_wrap(s, idx + stride);
		checked += stride;
	}
	if (!found)
		return false;
	for (uint32_t i = slot; i < slot + nslots; i++)
		s->list[i] = 0;
	sw_renumber_before(s, slot, 0);
	a->index = sw_wrap(s, idx + nslots);
	a->used += (uint32_t)nslots;
	s->used += nslots;
	*index = slot;
	return true;
}

void iom_swiotlb_release(struct iom_swiotlb *s, uint32_t index, uint32_t nslots,
			 uint64_t *touched)
{
	uint32_t seg_end = (index + IOM_IO_TLB_SEGSIZE) & ~(IOM_IO_TLB_SEGSIZE - 1);
	uint32_t count = index + nslots < seg_end ? s->list[index + nslots] : 0;
	for (int64_t i = (int64_t)index + nslots - 1; i >= (int64_t)index; i--)
		s->list[i] = (uint16_t)++count;
	*touched = nslots + sw_renumber_before(s, index, count);
	s->areas[index / s->area_nslabs].used -= nslots;
	s->used -= nslots;
}

uint64_t iom_swiotlb_base(const struct iom_swiotlb *s)
{
	return s->base;
}

uint32_t iom_swiotlb_nslabs(const struct iom_swiotlb *s)
{
	return s->nslabs;
}

uint32_t iom_swiotlb_nareas(const struct iom_swiotlb *s)
{
	return s->nareas;
}

uint32_t iom_swiotlb_area_nslabs(const struct iom_swiotlb *s)
{
	return s->area_nslabs;
}

uint32_t iom_swiotlb_area_of(const struct iom_swiotlb *s, uint32_t index)
{
	return index / s->area_nslabs;
}

uint64_t iom_swiotlb_used(const struct iom_swiotlb *s)
{
	return s->used;
}

uint32_t iom_swiotlb_area_used(const struct iom_swiotlb *s, uint32_t area)
{
	return area < s->nareas ? s->areas[area].used : 0;
}

uint32_t iom_swiotlb_area_index(const struct iom_swiotlb *s, uint32_t area)
{
	return area < s->nareas ? s->areas[area].index : 0;
}

uint32_t iom_swiotlb_list(const struct iom_swiotlb *s, uint32_t slot)
{
	return slot < s->nslabs ? s->list[slot] : 0;
}
