/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_palloc.c - buddy allocator of simulated pages: rounding, natural
 * alignment, buddy merging, exhaustion, zeroing, bad frees, pt_alloc glue.
 * Expected addresses are worked out by hand from the buddy rules: split the
 * lowest free block of the smallest sufficient order, keep the low half.
 */
#include "mem.h"
#include "../../models/pgtable/pgtable.h"

#include <criterion/criterion.h>
#include <string.h>


static struct iom_mem *mem;

static void setup(void)
{
	struct iom_mem_cfg c = { .addr_bits = 48, .dram_latency_ps = 1, .seed = 1 };
	mem = iom_mem_create(&c, NULL);
	cr_assert_not_null(mem);
}

static void teardown(void)
{
	iom_mem_destroy(mem);
}

static struct iom_palloc *mk(uint64_t base, uint64_t size)
{
	struct iom_err e = { 0 };
	struct iom_palloc *p = iom_palloc_create(mem, base, size, &e);
	cr_assert_not_null(p, "%s", e.msg);
	return p;
}

TestSuite(palloc, .init = setup, .fini = teardown);

Test(palloc, requests_round_up_and_are_size_aligned)
{
	struct iom_palloc *p = mk(0x100000, 0x100000); /* 1 MB at 1 MB */
	/* 4 KB first: 0x100000 (1 MB block split down to 4K, low half kept). */
	cr_assert_eq(iom_palloc_alloc(p, 4096), 0x100000);
	/* 12 KB -> 16 KB; free blocks now 4K@0x101000, 8K@0x102000,
	 * 16K@0x104000, ... -> the 16K one. */
	cr_assert_eq(iom_palloc_alloc(p, 12 * 1024), 0x104000);
	/* 1 byte -> 4 KB at the lowest free 4K block, 0x101000. */
	cr_assert_eq(iom_palloc_alloc(p, 1), 0x101000);
	/* 64 KB must be 64 KB aligned: 0x110000 (0x100000..0x10ffff is split). */
	uint64_t b = iom_palloc_alloc(p, 0x10000);
	cr_assert_eq(b, 0x110000);
	cr_assert_eq(b & 0xffff, 0);
	cr_assert_eq(iom_palloc_used(p), 4096 + 16384 + 4096 + 0x10000);
	iom_palloc_destroy(p);
}

Test(palloc, freed_buddies_merge_back_to_the_base_block)
{
	struct iom_palloc *p = mk(0x10000, 0x4000); /* 16 KB at 64 KB */
	uint64_t a = iom_palloc_alloc(p, 4096), b = iom_palloc_alloc(p, 4096);
	uint64_t c = iom_palloc_alloc(p, 8192);
	/* 16K splits to 8K+8K, the low 8K to 4K+4K: a, b low; c the high 8K. */
	cr_assert_eq(a, 0x10000);
	cr_assert_eq(b, 0x11000);
	cr_assert_eq(c, 0x12000);
	cr_assert_eq(iom_palloc_alloc(p, 4096), 0, "region full");
	cr_assert_eq(iom_palloc_alloc(p, 16384), 0);
	iom_palloc_free(p, b, 4096);
	iom_palloc_free(p, c, 8192);
	cr_assert_eq(iom_palloc_alloc(p, 16384), 0, "a still holds the low 4K");
	iom_palloc_free(p, a, 4096); /* a+b -> 8K, + c -> 16K */
	cr_assert_eq(iom_palloc_used(p), 0);
	cr_assert_eq(iom_palloc_alloc(p, 16384), 0x10000);
	cr_assert_eq(iom_palloc_bad_frees(p), 0);
	iom_palloc_destroy(p);
}

Test(palloc, unaligned_region_keeps_natural_alignment)
{
	/* [0x1000, 0x5000): maximal aligned blocks 4K@0x1000, 8K@0x2000,
	 * 4K@0x4000. Only one 8 KB block is 8 KB aligned. */
	struct iom_palloc *p = mk(0x1000, 0x4000);
	cr_assert_eq(iom_palloc_alloc(p, 8192), 0x2000);
	cr_assert_eq(iom_palloc_alloc(p, 8192), 0);
	cr_assert_eq(iom_palloc_alloc(p, 4096), 0x1000);
	cr_assert_eq(iom_palloc_alloc(p, 4096), 0x4000);
	cr_assert_eq(iom_palloc_alloc(p, 4096), 0);
	/* Freeing 0x1000 and 0x4000 must not merge them (not buddies). */
	iom_palloc_free(p, 0x1000, 4096);
	iom_palloc_free(p, 0x4000, 4096);
	cr_assert_eq(iom_palloc_alloc(p, 8192), 0);
	iom_palloc_destroy(p);
}

Test(palloc, exhaustion_and_oversize_return_zero)
{
	struct iom_palloc *p = mk(0x200000, 0x8000); /* 32 KB */
	cr_assert_eq(iom_palloc_alloc(p, 0x8001), 0, "rounds to 64 KB > region");
	cr_assert_eq(iom_palloc_alloc(p, 0), 0);
	for (int i = 0; i < 8; i++)
		cr_assert_eq(iom_palloc_alloc(p, 4096), 0x200000 + 0x1000 * (uint64_t)i);
	cr_assert_eq(iom_palloc_alloc(p, 4096), 0);
	cr_assert_eq(iom_palloc_used(p), 0x8000);
	iom_palloc_destroy(p);
}

Test(palloc, returned_memory_is_zeroed)
{
	struct iom_palloc *p = mk(0x10000, 0x10000);
	uint64_t a = iom_palloc_alloc(p, 8192);
	iom_mem_wr64(mem, a + 8, 0x1111);
	iom_mem_wr64(mem, a + 0x1ff8, 0x2222);
	iom_palloc_free(p, a, 8192);
	uint64_t b = iom_palloc_alloc(p, 8192);
	cr_assert_eq(b, a, "lowest 8K block again");
	cr_assert_eq(iom_mem_rd64(mem, b + 8), 0);
	cr_assert_eq(iom_mem_rd64(mem, b + 0x1ff8), 0);
	/* A fresh allocation does not allocate host pages (zero by absence). */
	uint64_t before = iom_mem_pages(mem);
	iom_palloc_alloc(p, 0x8000);
	cr_assert_eq(iom_mem_pages(mem), before);
	iom_palloc_destroy(p);
}

Test(palloc, double_and_mismatched_frees_are_ignored_and_counted)
{
	struct iom_palloc *p = mk(0x10000, 0x10000);
	uint64_t a = iom_palloc_alloc(p, 8192);
	iom_palloc_free(p, a, 4096);      /* wrong size: not an 4K allocation */
	iom_palloc_free(p, a + 0x1000, 8192); /* misaligned for 8K */
	iom_palloc_free(p, 0x900000, 4096);   /* outside the region */
	cr_assert_eq(iom_palloc_used(p), 8192);
	iom_palloc_free(p, a, 8192);
	iom_palloc_free(p, a, 8192);      /* double free */
	cr_assert_eq(iom_palloc_bad_frees(p), 4);
	cr_assert_eq(iom_palloc_used(p), 0);
	/* The double free did not corrupt the free lists: 64 KB whole again. */
	cr_assert_eq(iom_palloc_alloc(p, 0x10000), 0x10000);
	cr_assert_eq(iom_palloc_alloc(p, 4096), 0);
	iom_palloc_destroy(p);
}

Test(palloc, create_rejects_bad_regions)
{
	struct iom_err e = { 0 };
	cr_assert_null(iom_palloc_create(mem, 0, 0x1000, &e), "base 0 means exhausted");
	cr_assert_eq(e.code, IOM_EINVAL);
	cr_assert_null(iom_palloc_create(mem, 0x1234, 0x1000, &e));
	cr_assert_eq(e.code, IOM_EINVAL);
	cr_assert_not_null(strstr(e.msg, "0x1234"), "%s", e.msg);
	cr_assert_null(iom_palloc_create(mem, 0x1000, 0x800, &e));
	cr_assert_null(iom_palloc_create(mem, 0x1000, 0, &e));
}

Test(palloc, pt_alloc_callbacks_use_the_allocator)
{
	struct iom_palloc *p = mk(0x40000, 0x10000);
	struct iom_pt_alloc pa = { 0 };
	iom_palloc_as_pt_alloc(p, &pa);
	cr_assert_eq(pa.ctx, p);
	uint64_t t = pa.alloc(pa.ctx, 4096);
	cr_assert_eq(t, 0x40000);
	cr_assert_eq(iom_palloc_used(p), 4096);
	pa.free(pa.ctx, t, 4096);
	cr_assert_eq(iom_palloc_used(p), 0);
	iom_palloc_destroy(p);
}
