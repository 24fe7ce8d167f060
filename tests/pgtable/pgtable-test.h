/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pgtable-test.h - the fixture the page-table tests share: 2^48 bytes of
 * memory with a fixed 50 ns DRAM latency (no LLC), one walker requester,
 * a buddy allocator over [0x8000_0000, +16 MB) that hands out the lowest
 * free block first (so the first tables are PBASE, PBASE + granule, ...),
 * and helpers to build a table, map, and walk from its root.
 *
 * Include it once per test file (it defines static state and functions).
 */
#ifndef IOM_TESTS_PGTABLE_TEST_H
#define IOM_TESTS_PGTABLE_TEST_H

#include <criterion/criterion.h>
#include <stdbool.h>
#include <string.h>

#include "mem.h"
#include "pgtable.h"

#define LAT_PS 50000ull      /* dram_latency_ps of the fixture */
#define NOW_PS 1000ull       /* when walks start */
#define PBASE  0x80000000ull /* first table page */

#define SZ_4K   0x1000ull
#define SZ_16K  0x4000ull
#define SZ_64K  0x10000ull
#define SZ_2M   0x200000ull
#define SZ_32M  0x2000000ull
#define SZ_512M 0x20000000ull
#define SZ_1G   0x40000000ull
#define SZ_4T   0x40000000000ull

static struct iom_mem *mem;
static struct iom_palloc *pa_alloc;
static struct iom_pt_alloc alloc;
static struct iom_pt *pt; /* the table under test (NULL until made) */
static struct iom_err err;
static int req;           /* the walker's memory requester */

static void pt_fixture_init(void)
{
	memset(&err, 0, sizeof(err));
	struct iom_mem_cfg mc = {.addr_bits = 48,
	                         .dram_latency_ps = LAT_PS,
	                         .llc_latency_ps = 1000,
	                         .llc_hit_ratio = 0.0,
	                         .seed = 1};
	mem = iom_mem_create(&mc, &err);
	cr_assert_not_null(mem, "%s", err.msg);
	req = iom_mem_requester(mem, "smmu0.walk");
	pa_alloc = iom_palloc_create(mem, PBASE, 16ull << 20, &err);
	cr_assert_not_null(pa_alloc, "%s", err.msg);
	iom_palloc_as_pt_alloc(pa_alloc, &alloc);
	pt = NULL;
}

static void pt_fixture_fini(void)
{
	iom_pt_destroy(pt);
	iom_palloc_destroy(pa_alloc);
	iom_mem_destroy(mem);
}

/* (Re)build `pt` with configuration c. */
static inline void make(struct iom_pt_cfg c)
{
	iom_pt_destroy(pt);
	pt = iom_pt_create(mem, &c, &alloc, &err);
	cr_assert_not_null(pt, "%s", err.msg);
}

static inline void map_ok(uint64_t iova, uint64_t pa, uint64_t size, uint64_t pgsize, uint32_t f)
{
	cr_assert_eq(iom_pt_map(pt, iova, pa, size, pgsize, f, &err), 0, "%s", err.msg);
}

/* A walk of `pt` from its root at NOW_PS (inputs beyond these left zero). */
static inline void do_walk(struct iom_pt_walk *w, uint64_t iova)
{
	memset(w, 0, sizeof(*w));
	w->iova = iova;
	w->table_pa = iom_pt_root(pt);
	w->level = iom_pt_geom(pt)->start_level;
	w->now_ps = NOW_PS;
	w->mem_req = req;
	cr_assert_eq(iom_pt_walk(mem, iom_pt_config(pt), w, &err), 0, "%s", err.msg);
}

/* Step i read `pa` at `level`, and completed one DRAM latency after the previous. */
static inline void check_step(const struct iom_pt_walk *w, unsigned i, uint64_t pa,
			      unsigned level, bool is_table)
{
	cr_assert_eq(w->steps[i].desc_pa, pa, "step %u read 0x%llx, want 0x%llx", i,
	             (unsigned long long)w->steps[i].desc_pa, (unsigned long long)pa);
	cr_assert_eq(w->steps[i].level, level, "step %u level", i);
	cr_assert_eq(w->steps[i].is_table, is_table, "step %u is_table", i);
	cr_assert_eq(w->steps[i].done_ps, NOW_PS + (i + 1) * LAT_PS, "step %u done_ps", i);
}

#endif
