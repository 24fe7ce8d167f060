/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dma_api.h - the kernel DMA API a driver calls: dma_map_single(dev, buffer,
 * size, dir) returns a DMA address the DMA API chooses, dma_unmap_single()
 * gives it back (docs/dma-api.md).  The trace's dmamap / dmaunmap records
 * are these calls; a dma record with buf= uses the address the map chose.
 *
 * Which path a map takes depends on the device's domain, as in Linux
 * (iommu_setup_dma_ops: a DMA domain gets dma-iommu, anything else
 * dma-direct):
 *   iommu     a paging domain: drivers/iommu/dma-iommu.c __iommu_dma_map /
 *             __iommu_dma_unmap: an IOVA from the domain's allocator
 *             (iova_alloc.h, limit = the device's DMA mask and the aperture),
 *             the pages mapped through the host (iom_host_map), and on unmap
 *             the host's invalidation policy (host.invalidation: strict and
 *             range free the IOVA at once, lazy queues it and frees it when
 *             the flush queue flushes: iom_host_set_fq_hook);
 *   identity  an identity domain: dma-direct, the DMA address is the physical
 *             address; a buffer beyond the device's addressing limit bounces
 *             through the swiotlb (as dma_direct_map_page does);
 *   bounce    an identity domain with every map forced through the swiotlb
 *             (swiotlb=force, as confidential guests do): a bounce slot
 *             (swiotlb.h), copies in and out as CPU time.
 * dma_api.mode picks the default domain a device gets at its first map if
 * it has none (Linux creates it at probe): paging for iommu, identity for
 * identity and bounce.  A device the trace attached itself keeps its domain.
 *
 * Timing: a map or unmap runs on CPU (buf mod ncpus), which does one call at
 * a time; its CPU time is the fixed costs below, the IOVA allocator's
 * modelled cost, a cost per page-table entry, the area-lock hold times of the
 * swiotlb (each area lock a sim/resource: a busy lock delays the next
 * holder), the bounce copies (bytes / copy bandwidth), and for a strict unmap
 * the wait for the invalidation.  Deferred IOVA frees (lazy) and range-cache
 * trims are CPU time of no call (counted in cpu_ps only).
 * Not modelled: scatter-gather lists (one contiguous buffer per map),
 * dma_alloc_coherent, dma_sync_*, the swiotlb path of untrusted devices
 * behind an IOMMU (bounce mode with a paging domain is "not implemented"),
 * the copy's data (costed, not performed: the model carries no payload).
 */
#ifndef IOM_MODELS_HOST_DMA_API_H
#define IOM_MODELS_HOST_DMA_API_H

#include "iom.h"
#include "stats.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct iom_host;
struct iom_prop_table;

enum iom_dma_api_mode { IOM_DMA_API_IOMMU = 0, IOM_DMA_API_IDENTITY, IOM_DMA_API_BOUNCE };
/* Who calls the allocator (dma_api.driver): the kernel DMA API (it knows
 * the device's bus_dma_limit and manages the software MSI window itself), or
 * a user-space driver over VFIO type1 (QEMU's util/vfio-helpers.c: it knows
 * only the IOVA ranges VFIO_IOMMU_GET_INFO reports, and a device limit only
 * when one is reported separately).  The difference is in the device facts
 * the replay hands the allocator (replay_dmaapi.c); the map path is the same. */
enum iom_dma_api_driver { IOM_DMA_API_DRIVER_KERNEL = 0, IOM_DMA_API_DRIVER_VFIO_USER };
/* Values of the trace's dir field on dmamap (r, w, rw). */
enum iom_dma_dir { IOM_DMA_TO_DEVICE = 0, IOM_DMA_FROM_DEVICE = 1, IOM_DMA_BIDIRECTIONAL = 2 };
/* The path a mapping took. */
enum iom_dma_path { IOM_DMA_PATH_IOMMU = 0, IOM_DMA_PATH_DIRECT, IOM_DMA_PATH_BOUNCE };

/* Default domains the DMA API creates: the identity domain all identity and
 * bounce devices share, then one paging domain per device (in first-map
 * order). Trace domain numbers should stay below. */
#define IOM_DMA_API_DOMAIN_BASE 0xfffff000u

/* Section dma_api.swiotlb. */
struct iom_swiotlb_cfg {
	uint64_t base;           /* physical base of the pool (page aligned) */
	uint64_t size;           /* bytes (IO_TLB_DEFAULT_SIZE: 64 MiB) */
	uint32_t areas;          /* 0: ncpus rounded up to a power of two (Linux) */
	uint32_t min_align_mask; /* dma_get_min_align_mask() of the devices (NVMe: 0xfff) */
	uint64_t copy_mbps;      /* memcpy bandwidth of a bounce copy, MB/s */
	uint64_t copy_op_ps;     /* fixed cost of one swiotlb_bounce() */
	uint64_t lock_ps;        /* an area-lock critical section, fixed part */
	uint64_t slot_ps;        /* per slot the search examines or the release renumbers */
	bool copy_all_on_map;    /* Linux >= 5.19: map copies for every direction */
};
extern const struct iom_prop_table iom_swiotlb_prop_table;

/* Section dma_api. */
struct iom_dma_api_cfg {
	uint32_t mode;           /* enum iom_dma_api_mode: the default domains */
	uint32_t driver;         /* enum iom_dma_api_driver: kernel or vfio_user */
	uint32_t allocator;      /* enum iom_iova_algo */
	uint32_t dma_bits;       /* the devices' DMA mask (dma_set_mask) */
	uint32_t ncpus;          /* CPUs: buf mod ncpus runs a call; range caches, areas */
	bool rcache;             /* linux allocator: per-CPU range caches */
	bool forcedac;           /* iommu.forcedac: no 32-bit-first attempt */
	bool sac_sticky;         /* Linux >= 6.4: stop the 32-bit attempts after one fails */
	uint64_t map_ps;         /* dma-iommu map call, fixed part */
	uint64_t unmap_ps;       /* dma-iommu unmap call, fixed part */
	uint64_t pte_ps;         /* per granule page mapped or unmapped */
	uint64_t direct_ps;      /* dma-direct map or unmap call */
	uint64_t iova_op_ps, iova_node_ps, iova_cache_ps; /* the allocator's cost model */
	struct iom_swiotlb_cfg swiotlb;
};
extern const struct iom_prop_table iom_dma_api_prop_table;

/* Where device facts come from (optional; replay_dmaapi.c wires the
 * reserved-region database when the system has one). */
struct iom_dma_api_dev_ops {
	/* Reserved ranges of rid for a domain with aperture [ap_start, ap_last]:
	 * call add(add_ctx, first, last, err) for each one to keep out of the
	 * allocator (iova_reserve_iommu_regions). */
	int (*resv)(void *ctx, uint32_t rid, uint64_t ap_start, uint64_t ap_last,
		    int (*add)(void *add_ctx, uint64_t first, uint64_t last, struct iom_err *err),
		    void *add_ctx, struct iom_err *err);
	/* The firmware addressing limit (bus_dma_limit), UINT64_MAX for none. */
	uint64_t (*bus_limit)(void *ctx, uint32_t rid);
};

struct iom_dma_api_stats {
	uint64_t maps, unmaps, map_bytes;
	uint64_t maps_iommu, maps_direct, maps_bounce, bounced_for_limit;
	uint64_t rejected, pool_full, too_big, iova_full, not_addressable;
	uint64_t unmaps_of_failed, dmas_dropped, unmaps_deferred, deferred_frees;
	uint64_t copies, bytes_to_dev, bytes_from_dev;
	uint64_t slots_used, slots_used_max, slots_searched, slots_released;
	uint64_t lock_waits, lock_wait_ps, cpu_waits, cpu_wait_ps;
	uint64_t cpu_ps, deferred_free_ps, rcache_trims;
	uint64_t default_domains, buffers, buffers_max, leaked;
};

struct iom_dma_api;

struct iom_dma_api *iom_dma_api_create(const struct iom_dma_api_cfg *cfg, struct iom_host *h,
				       struct iom_err *err);
/* Also removes the host's flush-queue hook. */
void iom_dma_api_destroy(struct iom_dma_api *a);
void iom_dma_api_set_dev_ops(struct iom_dma_api *a, const struct iom_dma_api_dev_ops *ops,
			     void *ctx);

/* dma_map_single(rid, pa, size, dir) naming the mapping buf at now_ps;
 * *done_ps = when the call returns.  Refusals a driver sees as
 * DMA_MAPPING_ERROR return -IOM_EBUSY (swiotlb full, no IOVA space),
 * -IOM_ERANGE (over the swiotlb's largest mapping, or not addressable) or
 * -IOM_EINVAL, with the kernel's message; buf is then remembered as failed
 * (its DMAs are dropped, its unmap only forgets it).  buf already mapped:
 * -IOM_EEXIST.  Bounce mode on a paging domain: -IOM_ENOTSUP. */
int iom_dma_api_map(struct iom_dma_api *a, uint32_t rid, uint32_t buf, uint64_t pa,
		    uint64_t size, uint32_t dir, uint64_t now_ps, uint64_t *done_ps,
		    struct iom_err *err);
/* dma_unmap_single of buf; starts when now_ps and the buffer's last DMA
 * are past. Unknown buf: -IOM_ENOENT; mapped for another device: -IOM_EINVAL. */
int iom_dma_api_unmap(struct iom_dma_api *a, uint32_t rid, uint32_t buf, uint64_t now_ps,
		      uint64_t *done_ps, struct iom_err *err);
/* The DMA address of bytes [off, off + size) of buf and when the map
 * returned. 0; 1 = buf's map failed (drop the DMA); -IOM_ENOENT not mapped;
 * -IOM_EINVAL another device's, or beyond the buffer. */
int iom_dma_api_resolve(struct iom_dma_api *a, uint32_t rid, uint32_t buf, uint64_t off,
			uint64_t size, uint64_t *dma_addr, uint64_t *ready_ps, struct iom_err *err);
/* A DMA on buf completed at done_ps (its unmap waits for it). */
void iom_dma_api_dma_done(struct iom_dma_api *a, uint32_t buf, uint64_t done_ps);
/* Time reached now_ps: the range-cache trim work (every 100 ms, IOVA_DEPOT_DELAY). */
int iom_dma_api_advance(struct iom_dma_api *a, uint64_t now_ps, struct iom_err *err);
/* End of the replay: buffers still mapped are counted as leaked. */
void iom_dma_api_finish(struct iom_dma_api *a);

/* "dma_api.*" and each domain allocator's "dma_api.iova.NAME.*" (NAME: the
 * device of a default domain, "domN" for a trace domain), registered as the
 * allocators appear. */
int iom_dma_api_register_stats(struct iom_dma_api *a, struct iom_stats *s, struct iom_err *err);
const struct iom_dma_api_stats *iom_dma_api_stats(const struct iom_dma_api *a);
/* The swiotlb pool (made with the DMA API) -- for tests. */
const struct iom_swiotlb *iom_dma_api_swiotlb(const struct iom_dma_api *a);
/* The DMA address of a live buffer (tests); false if none. */
bool iom_dma_api_buf_addr(const struct iom_dma_api *a, uint32_t buf, uint64_t *dma_addr,
			  uint32_t *path);

#ifdef __cplusplus
}
#endif
#endif
