/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_swiotlb.c - the swiotlb slot bookkeeping (models/host/swiotlb.c)
 * against scripted sequences worked out by hand from Linux's
 * swiotlb_search_pool_area() / swiotlb_release_slots() rules:
 *   - slot i starts with list = 128 - (i mod 128) (free slots to its
 *     segment's end);
 *   - a request of a page (4096) or more with no min_align_mask is page
 *     aligned: odd slots (base + 2 KiB) are skipped one at a time, and an
 *     aligned slot whose free run is too short is skipped by stride 2;
 *   - with min_align_mask 0xfff the slot must keep bit 11 of the original
 *     address (iotlb_align_mask = 0xfff & ~0x7ff = 0x800), stride 2;
 *   - the search starts at the area's index, wraps to the area's first slot,
 *     and a hit moves the index past the allocation;
 *   - a release renumbers the freed slots from the free run after them, then
 *     the free run before them, within the segment.
 * The pool base is 1 GiB (page aligned) in every test.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "swiotlb.h"

#define BASE 0x40000000ull
#define SEG (256ull << 10)

static struct iom_err E;

static struct iom_swiotlb *mk(uint64_t size, uint32_t nareas)
{
	struct iom_swiotlb *s = iom_swiotlb_create(BASE, size, nareas, &E);
	cr_assert_not_null(s, "%s", E.msg);
	return s;
}

/* Search area for bytes at orig with mask: the slot, or -1; iterations. */
static long take(struct iom_swiotlb *s, uint32_t area, uint64_t orig, uint64_t bytes,
		 uint32_t mask, uint64_t *iters)
{
	uint32_t idx;
	uint64_t it;
	bool ok = iom_swiotlb_area_search(s, area, orig, bytes, mask, &idx, &it);
	if (iters)
		*iters = it;
	return ok ? (long)idx : -1;
}

Test(swiotlb, pool_starts_with_per_segment_free_runs)
{
	struct iom_swiotlb *s = mk(2 * SEG, 1);
	cr_expect_eq(iom_swiotlb_nslabs(s), 256u);
	cr_expect_eq(iom_swiotlb_list(s, 0), 128u);
	cr_expect_eq(iom_swiotlb_list(s, 127), 1u);
	cr_expect_eq(iom_swiotlb_list(s, 128), 128u);
	cr_expect_eq(iom_swiotlb_list(s, 200), 56u);
	iom_swiotlb_destroy(s);
}

Test(swiotlb, page_sized_requests_take_even_slots_and_small_ones_any)
{
	struct iom_swiotlb *s = mk(SEG, 1);
	uint64_t it;
	/* 4096 bytes: 2 slots at index 0 (aligned, run 128): one iteration */
	cr_expect_eq(take(s, 0, 0x100000000ull, 4096, 0, &it), 0);
	cr_expect_eq(it, 1u);
	cr_expect_eq(iom_swiotlb_area_index(s, 0), 2u);
	/* 2048 bytes: below a page, stride 1, any slot: slot 2 */
	cr_expect_eq(take(s, 0, 0x100000800ull, 2048, 0, &it), 2);
	cr_expect_eq(it, 1u);
	/* the run before slot 2 is in use: nothing renumbered; slot 3 keeps 125 */
	cr_expect_eq(iom_swiotlb_list(s, 3), 125u);
	/* 12288 bytes from index 3: slot 3 is base + 0x1800 (not page aligned),
	 * step 1 to slot 4 (aligned, run 124 >= 6): two iterations, slots 4..9;
	 * the free slot 3 before it now counts 1 */
	cr_expect_eq(take(s, 0, 0x200000000ull, 12288, 0, &it), 4);
	cr_expect_eq(it, 2u);
	cr_expect_eq(iom_swiotlb_list(s, 3), 1u);
	cr_expect_eq(iom_swiotlb_list(s, 10), 118u);
	cr_expect_eq(iom_swiotlb_used(s), 9u);
	cr_expect_eq(iom_swiotlb_area_index(s, 0), 10u);
	iom_swiotlb_destroy(s);
}

Test(swiotlb, release_renumbers_the_run_after_and_before)
{
	struct iom_swiotlb *s = mk(SEG, 1);
	uint64_t t;
	cr_assert_eq(take(s, 0, 0, 4096, 0, NULL), 0);   /* slots 0-1 */
	cr_assert_eq(take(s, 0, 0, 2048, 0, NULL), 2);   /* slot 2 */
	cr_assert_eq(take(s, 0, 0, 12288, 0, NULL), 4);  /* slots 4-9, slot 3 = 1 */
	/* free 0-1: after them slot 2 is in use (count 0): list 1 = 1, list 0 = 2 */
	iom_swiotlb_release(s, 0, 2, &t);
	cr_expect_eq(t, 2u);
	cr_expect_eq(iom_swiotlb_list(s, 0), 2u);
	cr_expect_eq(iom_swiotlb_list(s, 1), 1u);
	/* free 2: slot 3 has 1 after it -> slot 2 = 2, then the run before: 1 -> 3,
	 * 0 -> 4; touched 1 + 2 */
	iom_swiotlb_release(s, 2, 1, &t);
	cr_expect_eq(t, 3u);
	cr_expect_eq(iom_swiotlb_list(s, 2), 2u);
	cr_expect_eq(iom_swiotlb_list(s, 0), 4u);
	/* free 4-9: slot 10 has 118 -> 9 = 119 .. 4 = 124, then 3..0 = 125..128 */
	iom_swiotlb_release(s, 4, 6, &t);
	cr_expect_eq(t, 10u);
	for (uint32_t i = 0; i < 128; i++)
		cr_expect_eq(iom_swiotlb_list(s, i), 128u - i, "slot %u", i);
	cr_expect_eq(iom_swiotlb_used(s), 0u);
	iom_swiotlb_destroy(s);
}

Test(swiotlb, min_align_mask_keeps_bit_11_of_the_buffer)
{
	struct iom_swiotlb *s = mk(SEG, 1);
	uint64_t it;
	/* orig 0x1a40 with mask 0xfff: the slot's bit 11 must equal orig's (1):
	 * slot 0 (base, bit 11 = 0) is skipped, slot 1 taken; the offset kept is
	 * 0x1a40 & 0xfff & 0x7ff = 0x240, so 0x100 bytes need 1 slot */
	cr_expect_eq(iom_swiotlb_offset(0xfff, 0x1a40), 0x240u);
	cr_expect_eq(take(s, 0, 0x1a40, 0x100 + 0x240, 0xfff, &it), 1);
	cr_expect_eq(it, 2u);
	/* orig 0x3000 (bit 11 = 0) from index 2: slot 2 qualifies at once */
	cr_expect_eq(take(s, 0, 0x3000, 4096, 0xfff, &it), 2);
	cr_expect_eq(it, 1u);
	iom_swiotlb_destroy(s);
}

Test(swiotlb, full_area_gives_up_at_once_and_search_wraps_to_the_start)
{
	struct iom_swiotlb *s = mk(SEG, 1);
	uint64_t it;
	/* 96 KiB = 48 slots: 0-47, then 48-95 */
	cr_assert_eq(take(s, 0, 0, 96 << 10, 0, &it), 0);
	cr_assert_eq(take(s, 0, 0, 96 << 10, 0, &it), 48);
	/* a third needs 48 of the 32 left: refused before any iteration */
	cr_expect_eq(take(s, 0, 0, 96 << 10, 0, &it), -1);
	cr_expect_eq(it, 0u);
	uint64_t t;
	iom_swiotlb_release(s, 0, 48, &t);
	/* from index 96: slots 96, 98, .., 126 (16 iterations, runs 32..2 < 48),
	 * wrap to 0 (run 48): found on the 17th */
	cr_expect_eq(take(s, 0, 0, 96 << 10, 0, &it), 0);
	cr_expect_eq(it, 17u);
	iom_swiotlb_destroy(s);
}

Test(swiotlb, segment_bounds_mappings_and_areas_split_the_pool)
{
	struct iom_swiotlb *s = mk(4 * SEG, 2);
	uint64_t it;
	cr_expect_eq(iom_swiotlb_area_nslabs(s), 256u);
	/* 129 slots never fit a segment */
	cr_expect_eq(take(s, 0, 0, 129ull * 2048, 0, &it), -1);
	/* area 1 starts at slot 256 */
	cr_expect_eq(take(s, 1, 0, 4096, 0, &it), 256);
	cr_expect_eq(iom_swiotlb_area_of(s, 256), 1u);
	cr_expect_eq(iom_swiotlb_area_used(s, 1), 2u);
	cr_expect_eq(iom_swiotlb_area_used(s, 0), 0u);
	/* a whole segment (128 slots) fits exactly */
	cr_expect_eq(take(s, 0, 0, 128ull * 2048, 0, &it), 0);
	cr_expect_eq(iom_swiotlb_list(s, 128), 128u);
	iom_swiotlb_destroy(s);
}

Test(swiotlb, bad_geometry_is_refused_with_the_rule)
{
	cr_expect_null(iom_swiotlb_create(BASE, SEG, 3, &E));
	cr_expect(strstr(E.msg, "power of two"), "%s", E.msg);
	cr_expect_null(iom_swiotlb_create(BASE, SEG, 2, &E)); /* 2 areas need 2 segments */
	cr_expect(strstr(E.msg, "256 KiB segments"), "%s", E.msg);
	cr_expect_null(iom_swiotlb_create(BASE + 2048, SEG, 1, &E));
	cr_expect(strstr(E.msg, "page aligned"), "%s", E.msg);
}
