/* SPDX-License-Identifier: Apache-2.0 */
/*
 * iova_alloc.h - IOVA allocators a DMA API (or a user-space driver) uses to
 * place buffers in a domain's IOVA space (docs/dma-api.md).
 *
 *   linux      drivers/iommu/iova.c as dma-iommu.c drives it: top-down from
 *              the limit, size-aligned (sizes below the range-cache limit
 *              rounded up to a power of two), the 32-bit-first rule for PCI
 *              devices, per-CPU range caches (magazines) in front of the tree
 *   bottom_top QEMU's util/vfio-helpers.c (its NVMe backend): long-lived
 *              mappings from the bottom of the usable range upwards, temporary
 *              ones from the top downwards
 *   first_fit  the lowest free hole that fits (a baseline)
 *
 * Every allocator honours reserved ranges (iom_iova_reserve, as reserve_iova)
 * and the caller's limit (the device's addressing limit): it never returns an
 * IOVA inside a reserved range, above the limit or outside [start, end].
 * Costs are modelled host CPU time (tree nodes visited, cache operations) and
 * are counted, with fragmentation, in the allocator's stats.
 */
#ifndef IOM_MODELS_HOST_IOVA_ALLOC_H
#define IOM_MODELS_HOST_IOVA_ALLOC_H

#include "iom.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct iom_stats;

enum iom_iova_algo { IOM_IOVA_LINUX = 0, IOM_IOVA_BOTTOM_TOP, IOM_IOVA_FIRST_FIT };

/* What an allocation is for (bottom_top: long-lived from the bottom,
 * temporary from the top; ignored by the other allocators). */
enum iom_iova_kind { IOM_IOVA_TEMPORARY = 0, IOM_IOVA_LONG_LIVED };

struct iom_iova_alloc_cfg {
	uint32_t algo;          /* enum iom_iova_algo */
	uint64_t granule;       /* allocation unit: the domain's smallest page (power of two) */
	uint64_t start;         /* lowest IOVA handed out (Linux: base_pfn << shift) */
	uint64_t end;           /* highest IOVA handed out (inclusive; the aperture end) */
	bool rcache;            /* linux: per-CPU range caches */
	uint32_t ncpus;         /* linux: CPUs with their own cache (>= 1) */
	bool pci_32bit_first;   /* linux: try below 4 GiB first (PCI device, no iommu.forcedac) */
	/* cost model (host CPU time, ps) */
	uint64_t op_ps;         /* fixed cost of an alloc or a free */
	uint64_t node_ps;       /* per tree node / hole visited */
	uint64_t cache_ps;      /* per range-cache (magazine) operation */
	/* linux >= v6.4 ("iommu/dma: Make SAC trick conditional"): after the
	 * first failed attempt below 4 GiB stop trying (the allocator stands
	 * for one device: dev->iommu->pci_32bit_workaround). false: try below
	 * 4 GiB on every allocation (v5.13 - v6.3). */
	bool pci_32bit_sticky;
};

/* Defaults of the Linux IOMMU DMA layer (v6.7+): 4 KB granule, IOVA 0 never
 * handed out (start = one granule), 48-bit aperture, range caches on one
 * CPU, 32-bit-first with the v6.4 sticky rule, and the cost defaults
 * below (documented estimates, docs/dma-api.md "IOVA allocators"). */
#define IOM_IOVA_DEFAULT_OP_PS 20000ull   /* lock + node alloc/free: 20 ns */
#define IOM_IOVA_DEFAULT_NODE_PS 5000ull  /* one rbtree node (pointer chase): 5 ns */
#define IOM_IOVA_DEFAULT_CACHE_PS 2000ull /* one magazine slot or swap: 2 ns */
void iom_iova_alloc_cfg_defaults(struct iom_iova_alloc_cfg *cfg);
const char *iom_iova_algo_name(uint32_t algo);

/* Linux range-cache geometry (drivers/iommu/iova.c). */
#define IOM_IOVA_RANGE_CACHE_MAX_SIZE 6 /* bins: sizes 1 .. 32 granules */
#define IOM_IOVA_MAG_SIZE 127           /* pfns per magazine */
#define IOM_IOVA_DEPOT_DELAY_PS (100ull * 1000000000ull) /* IOVA_DEPOT_DELAY: 100 ms */

struct iom_iova_alloc_stats {
	uint64_t allocs, frees, failed;  /* failed: no space below the limit */
	uint64_t nodes_visited;          /* tree nodes / holes examined */
	uint64_t cache_hits, cache_misses; /* linux range caches */
	uint64_t retries_32bit;          /* linux: 32-bit attempt failed, retried at the full limit */
	uint64_t time_ps;                /* modelled CPU time of all operations */
	uint64_t allocated_bytes;        /* now, in allocations (rounded sizes) */
	uint64_t cache_ops;              /* linux: magazine slot reads/writes, swaps, depot moves */
	uint64_t rcache_flushes;         /* linux: full-limit failure flushed every range cache */
	uint64_t depot_trims;            /* linux: depot magazines returned to the tree */
	uint64_t temp_resets;            /* bottom_top: temporary area recycled */
};

/* Fragmentation of the free space in [start, end] (reserved ranges and
 * cached-but-free ranges count as not free). */
struct iom_iova_frag {
	uint64_t free_bytes;
	uint64_t largest_free;  /* largest free hole */
	uint64_t holes;         /* number of free holes */
	uint64_t held_bytes;    /* freed but not reusable yet: linux range caches;
				 * bottom_top space behind the water marks */
};

struct iom_iova_alloc;

struct iom_iova_alloc *iom_iova_alloc_create(const struct iom_iova_alloc_cfg *cfg,
					     struct iom_err *err);
void iom_iova_alloc_destroy(struct iom_iova_alloc *a);
/* Never hand out [first, last] (reserve_iova). Overlapping an allocation:
 * -IOM_EBUSY. */
int iom_iova_reserve(struct iom_iova_alloc *a, uint64_t first, uint64_t last, struct iom_err *err);
/* Allocate size bytes (rounded up to the granule, and as the algorithm does)
 * at or below limit (inclusive, e.g. 2^dma_bits - 1). *iova = the start;
 * *cost_ps += modelled CPU time. -IOM_EBUSY when nothing fits (counted). */
int iom_iova_alloc(struct iom_iova_alloc *a, uint64_t size, uint64_t limit, uint32_t cpu,
		   enum iom_iova_kind kind, uint64_t *iova, uint64_t *cost_ps, struct iom_err *err);
/* Free an allocation by its start and size as allocated. Unknown: -IOM_ENOENT. */
int iom_iova_free(struct iom_iova_alloc *a, uint64_t iova, uint64_t size, uint32_t cpu,
		  uint64_t *cost_ps, struct iom_err *err);
const struct iom_iova_alloc_stats *iom_iova_alloc_stats(const struct iom_iova_alloc *a);
void iom_iova_alloc_frag(const struct iom_iova_alloc *a, struct iom_iova_frag *f);
/* Linux depot trimming (iova_depot_work_func): for each size bin whose depot
 * holds more magazines than CPUs, return one magazine's ranges to the tree.
 * The kernel runs it IOM_IOVA_DEPOT_DELAY_PS after a magazine enters the
 * depot and again while it trims; the model has no clock, so the caller
 * calls it at those times. Returns magazines trimmed (0 for other algos). */
uint32_t iom_iova_rcache_trim(struct iom_iova_alloc *a, uint64_t *cost_ps);
/* Registers "<prefix>.allocs", ... and the fragmentation figures. */
int iom_iova_alloc_register_stats(struct iom_iova_alloc *a, struct iom_stats *s,
				  const char *prefix, struct iom_err *err);
/* The same counters for totals the caller keeps over several allocators
 * (dma_api.iova: every DMA domain), read at st and fr at each dump. */
int iom_iova_alloc_register_sum(struct iom_stats *s, const char *prefix,
				const struct iom_iova_alloc_stats *st,
				const struct iom_iova_frag *fr, struct iom_err *err);

#ifdef __cplusplus
}
#endif
#endif
