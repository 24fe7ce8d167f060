/* SPDX-License-Identifier: Apache-2.0 */
/*
 * iova_bitmap.h - the user's dirty bitmap and the algorithms that fill it
 * (Linux's iova_bitmap and its alternatives; docs/dirty.md).
 *
 * A harvest reports dirty IOVA ranges into a bitmap owned by user space:
 * bit i covers [iova + i * page_size, iova + (i + 1) * page_size), bit i is
 * bit (i % 8) of byte i / 8; the bitmap may start at any byte address.  The
 * kernel cannot write user memory directly: it pins the user pages holding
 * the bitmap (at most a window of them at a time) and maps each page while
 * setting bits.  The algorithms differ in how they walk the range and pin:
 *
 *   v6_1       drivers/vfio/iova_bitmap.c as merged: fixed windows (512
 *              pinned pages = 2 MiB of bitmap); set() must stay inside the
 *              window -- bits past it are lost (the bug the 2024 fixes
 *              address: a 1 GB leaf straddling a window edge).  Known bad.
 *   v6_10      the same with the June 2024 fixes: u8 addressing and
 *              set_ahead (the tail past the window is set after advancing).
 *   v6_11      fn() called once for the whole range, set() moves (unpins /
 *              pins) the window on demand ("dynamic pinning").
 *   iter       the iterator/callback design proposed in the 2022 review.
 *
 * The producer (an IOMMU's read-and-clear or a device tracker) runs inside
 * fn and reports with iom_ibm_set().  Costs are counted, never estimated
 * from wall time.
 */
#ifndef IOM_MODELS_HOST_IOVA_BITMAP_H
#define IOM_MODELS_HOST_IOVA_BITMAP_H

#include "iom.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum iom_ibm_algo { IOM_IBM_V6_1 = 0, IOM_IBM_V6_10, IOM_IBM_V6_11, IOM_IBM_ITER, IOM_IBM_ALGO_MAX };
const char *iom_ibm_algo_name(unsigned algo); /* "v6_1", ... or NULL */
int iom_ibm_algo_from_name(const char *name); /* the algo, or -IOM_EINVAL */

/* The user's bitmap: host storage for the bytes user space sees, at a user
 * virtual address (its offset in its page decides the windows). */
struct iom_ubitmap {
	uint8_t *buf;
	uint64_t va;
	uint64_t len; /* bytes available at buf */
};

/* What a harvest's bitmap handling cost (accumulated; zero it yourself). */
struct iom_ibm_cost {
	uint64_t windows;       /* windows handed to fn / window moves */
	uint64_t pin_calls, pages_pinned, pages_unpinned;
	uint64_t kmaps;         /* page mappings made by set() */
	uint64_t set_calls, bits_set;
	uint64_t bytes_touched; /* bitmap bytes written (read-modify-write) */
	uint64_t bits_lost;     /* bits a set() could not record */
	uint64_t time_ps;       /* modelled host CPU time of the above */
	/* added with iova_bitmap.c (docs/dirty.md "iova_bitmap algorithms"): */
	uint64_t fn_calls;      /* times fn was called */
	uint64_t unpin_calls;   /* unpin_user_pages calls */
	uint64_t bits_stray;    /* bits written that no set() asked for (v6_10 set-ahead) */
};

/* Host CPU cost of each operation (ps); defaults in iom_ibm_cost_model_default. */
struct iom_ibm_cost_model {
	uint64_t pin_page_ps, unpin_page_ps, kmap_ps, byte_ps, call_ps;
};
extern const struct iom_ibm_cost_model iom_ibm_cost_model_default;

struct iom_iova_bitmap;
typedef int (*iom_ibm_fn)(struct iom_iova_bitmap *b, uint64_t iova, uint64_t length, void *opaque);

/* -IOM_EINVAL for a zero length or page size, a page size that is not a
 * power of two, or a user buffer too small for the range. cm NULL = default. */
struct iom_iova_bitmap *iom_ibm_alloc(enum iom_ibm_algo algo, uint64_t iova, uint64_t length,
				      uint64_t page_size, const struct iom_ubitmap *user,
				      const struct iom_ibm_cost_model *cm, struct iom_ibm_cost *cost,
				      struct iom_err *err);
/* Calls fn over the range as the algorithm does; fn's first nonzero return
 * stops it and is returned. */
int iom_ibm_for_each(struct iom_iova_bitmap *b, void *opaque, iom_ibm_fn fn);
/* Mark [iova, iova + length) dirty (called from inside fn). */
void iom_ibm_set(struct iom_iova_bitmap *b, uint64_t iova, uint64_t length);
void iom_ibm_free(struct iom_iova_bitmap *b);

#ifdef __cplusplus
}
#endif
#endif
