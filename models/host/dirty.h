/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dirty.h - dirty-page tracking of IOMMU domains, shaped like iommufd's
 * interface (IOMMU_HWPT_SET_DIRTY_TRACKING, IOMMU_HWPT_GET_DIRTY_BITMAP;
 * algorithms-reference.md 6.1-6.5, docs/dirty.md).  Stable API for the
 * replay and for studies built on top (migration rounds): the caller owns
 * the user bitmap and every buffer it passes; struct iom_dirty owns nothing
 * of the host's.
 *
 * Trackers:
 *  iommu   the IOMMU's own dirty state in the domain's page table, which
 *          the host walks in simulated memory: SMMUv3 stage 1 DBM
 *          (writable-clean / writable-dirty leaves, CD.HA/HD), nested:
 *          the VM's stage 2 (S2AP[1] with DBM, STE.S2HA/S2HD); VT-d second
 *          level D (SSADE), or first level D where the host allows it.
 *  device  a device-side tracker (VFIO DMA logging, models/device/
 *          dirty_dev.h) behind struct iom_dirty_producer.
 *  type1   (an algorithm) VFIO type1's software tracking: every mapped
 *          page is dirty on every query, per-mapping bitmaps copied with
 *          the word-shift rule (6.2); no page-table walk.
 *
 * A harvest (iom_dirty_read_and_clear) checks the request as iommufd does
 * (errno in the result), has the iova_bitmap layer (iova_bitmap.h, one of
 * its algorithms) hand windows to the producer, which walks the table leaf
 * by leaf (timed reads by the requester "host.dirty", an atomic clear as a
 * timed read + write per dirty leaf, leaves reported whole: a dirty 2 MB
 * leaf sets 512 bits at 4 KB), then issues the IOTLB invalidation the
 * clears need through the host's invalidation path -- unless NO_CLEAR, and
 * in the order cfg.order says (clear_then_inval is Linux's).  Everything a
 * harvest cost is in struct iom_dirty_cost; time is simulated time.
 *
 * Races: a harvest takes simulated time.  With a race hook set, the hook is
 * called with the issue time of every timed access of the harvest (each
 * leaf read, each clear, the invalidation) before it happens, so a caller
 * can run the DMA of that moment first (sim/replay/replay_dirty.c does).
 *
 * Errors: modelled kernel errors return -IOM_E* with the message starting
 * with the errno name ("EOPNOTSUPP: ...") and res->uapi_errno set (EINVAL
 * -> -IOM_EINVAL, EOPNOTSUPP -> -IOM_EINVAL, EOVERFLOW -> -IOM_ERANGE,
 * ENOENT -> -IOM_ENOENT).  What iommufd drops silently (a hole in the range,
 * a driver error inside the bitmap walk) leaves uapi_errno 0 and is kept in
 * res->producer_err / res->partial.  Simulator errors (a bitmap buffer
 * smaller than the range needs) return -IOM_E* with uapi_errno 0.
 */
#ifndef IOM_MODELS_HOST_DIRTY_H
#define IOM_MODELS_HOST_DIRTY_H

#include "iom.h"
#include "iova_bitmap.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

struct iom_host;
struct iom_stats;
struct iom_prop_table;

/* How the user bitmap is filled: the iova_bitmap algorithms, or type1. */
enum iom_dirty_algo {
	IOM_DIRTY_V6_1 = IOM_IBM_V6_1, /* known bad: a set() past the window is lost */
	IOM_DIRTY_V6_10 = IOM_IBM_V6_10,
	IOM_DIRTY_V6_11 = IOM_IBM_V6_11, /* current Linux */
	IOM_DIRTY_ITER = IOM_IBM_ITER,
	IOM_DIRTY_TYPE1, /* VFIO type1 software tracking */
	IOM_DIRTY_ALGO_MAX
};
/* Clearing vs the IOTLB invalidation the clears need. */
enum iom_dirty_order {
	IOM_DIRTY_CLEAR_THEN_INVAL = 0, /* Linux: clear while walking, one sync after */
	IOM_DIRTY_INVAL_THEN_CLEAR,     /* bad: a write between them re-caches a dirty entry */
	IOM_DIRTY_NO_INVAL,             /* bad: stale dirty entries stay cached */
	IOM_DIRTY_ORDER_MAX
};
enum iom_dirty_tracker { IOM_DIRTY_TRACKER_IOMMU = 0, IOM_DIRTY_TRACKER_DEVICE };

#define IOM_DIRTY_NO_CLEAR 0x1u /* IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR */

/* Section "dirty" of the configuration. */
struct iom_dirty_cfg {
	bool enable;            /* replay: paging domains allocated with dirty tracking */
	uint32_t tracker;       /* enum iom_dirty_tracker (replay) */
	uint32_t algorithm;     /* enum iom_dirty_algo */
	uint32_t order;         /* enum iom_dirty_order */
	bool vtd_first_level;   /* VT-d first-level domains track D (host builds D = 0) */
	uint64_t bitmap_offset; /* replay: user bitmap's byte offset in its page */
	uint64_t call_ps;       /* ioctl entry, checks and return */
	uint64_t pte_ps;        /* CPU work per table entry visited, beyond its read */
	uint64_t copy_byte_ps;  /* type1: per bitmap byte copied out or cleared */
	uint64_t stop_pages;    /* replay, migration view: a round converges at <= this many pages */
};
extern const struct iom_prop_table iom_dirty_prop_table; /* section "dirty" */
const char *iom_dirty_algo_name(unsigned algo);          /* "v6_1", ..., "type1" or NULL */
const char *iom_dirty_order_name(unsigned order);        /* "clear_then_inval", ... or NULL */

/* What one harvest (or enable) cost. */
struct iom_dirty_cost {
	uint64_t pte_reads;  /* descriptor reads of the walk (timed) */
	uint64_t pte_clears; /* atomic clears of dirty leaves (a read + a write each) */
	uint64_t leaves, dirty_leaves, holes;
	uint64_t windows;                         /* calls of the producer (iova_bitmap windows) */
	uint64_t invalidations;                   /* IOTLB syncs issued for the clears */
	uint64_t commands;                        /* IOMMU commands / descriptors those wrote */
	uint64_t copy_bytes;                      /* type1: bitmap bytes copied out and cleared */
	uint64_t dev_cmds, dev_msgs, dev_entries; /* device tracker: report commands,
	                                           * messages, dirty entries */
	uint64_t walk_ps;        /* simulated time in table walks (incl. per-entry CPU) */
	uint64_t inval_ps;       /* in the invalidations */
	struct iom_ibm_cost ibm; /* the iova_bitmap layer */
};

struct iom_dirty_req {
	uint32_t domain;
	uint64_t iova, length;
	uint64_t page_size;               /* bitmap granularity, chosen by the caller */
	uint32_t flags;                   /* IOM_DIRTY_NO_CLEAR; others: EOPNOTSUPP */
	const struct iom_ubitmap *bitmap; /* zeroed by the caller (only bits are set) */
};

struct iom_dirty_result {
	int uapi_errno;     /* what the ioctl returns (0, EINVAL, EOPNOTSUPP, ...) */
	int producer_err;   /* -IOM_E* the bitmap walk stopped with, which iommufd
	                     * drops (0: none); VFIO paths return it instead */
	bool partial;       /* producer_err != 0: the bitmap may be incomplete */
	uint64_t hole_iova; /* with a hole: where the walk stopped */
	uint64_t start_ps, done_ps;
	struct iom_dirty_cost cost;
};

/* A device-side tracker standing in for the IOMMU's dirty state (set with
 * iom_dirty_set_producer; models/device/dirty_dev.h, wired by the replay).
 * start/stop: DMA logging of the domain's devices; read_and_clear: report
 * and clear [iova, iova + length) through record(), from now_ps. */
struct iom_dirty_producer {
	int (*start)(void *ctx, uint32_t domain, uint64_t now_ps, uint64_t *done_ps,
	             struct iom_err *err);
	int (*stop)(void *ctx, uint32_t domain, uint64_t now_ps, uint64_t *done_ps,
	            struct iom_err *err);
	int (*read_and_clear)(void *ctx, uint32_t domain, uint64_t iova, uint64_t length,
	                      void (*record)(void *rctx, uint64_t iova, uint64_t length),
	                      void *rctx, uint64_t now_ps, uint64_t *done_ps,
	                      struct iom_dirty_cost *cost, struct iom_err *err);
};

struct iom_dirty;

/* Over host h (not owned), cfg copied (algorithm, order, costs are used). */
struct iom_dirty *iom_dirty_create(struct iom_host *h, const struct iom_dirty_cfg *cfg,
                                   struct iom_err *err);
void iom_dirty_destroy(struct iom_dirty *dt);
/* Replace the configuration (e.g. another algorithm or order). */
int iom_dirty_configure(struct iom_dirty *dt, const struct iom_dirty_cfg *cfg, struct iom_err *err);
const struct iom_dirty_cfg *iom_dirty_config(const struct iom_dirty *dt);
/* NULL producer: the IOMMU tracks (default). */
void iom_dirty_set_producer(struct iom_dirty *dt, const struct iom_dirty_producer *p, void *ctx);
/* fn(ctx, t_ps) before every timed access of a harvest; NULL: none. */
void iom_dirty_set_race_hook(struct iom_dirty *dt, void (*fn)(void *ctx, uint64_t t_ps), void *ctx);

/* IOMMU_HWPT_SET_DIRTY_TRACKING.  Enabling first clears all dirty state of
 * the domain (a read-and-clear of every mapped leaf with no bitmap, then
 * one IOTLB sync if anything was dirty), then the driver's op (SMMUv3:
 * nothing; VT-d: SSADE per attachment).  The domain must have been
 * allocated with IOM_HOST_DOM_F_DIRTY (else EOPNOTSUPP) unless a producer
 * or type1 tracks.  res (may be NULL) gets the pre-clear's costs. */
int iom_dirty_set_tracking(struct iom_dirty *dt, uint32_t domain, bool on, uint64_t now_ps,
                           uint64_t *done_ps, struct iom_dirty_result *res, struct iom_err *err);
/* Whether tracking is on for domain (as last set). */
bool iom_dirty_tracking(const struct iom_dirty *dt, uint32_t domain);

/* IOMMU_HWPT_GET_DIRTY_BITMAP (or, with type1 / a producer, the VFIO
 * equivalents) at now_ps; *res is filled in every case. */
int iom_dirty_read_and_clear(struct iom_dirty *dt, const struct iom_dirty_req *req, uint64_t now_ps,
                             struct iom_dirty_result *res, struct iom_err *err);

/* Cumulative counters, registered as "dirty.<name>". */
struct iom_dirty_stats {
	uint64_t enables, disables, harvests, harvest_errors, partial_harvests;
	uint64_t pte_reads, pte_clears, leaves, dirty_leaves, invalidations, commands;
	uint64_t bits_set, bits_lost, pages_pinned, windows, copy_bytes;
	uint64_t dev_msgs, dev_entries;
	uint64_t harvest_ps; /* simulated time spent in harvests */
};
const struct iom_dirty_stats *iom_dirty_stats(const struct iom_dirty *dt);
int iom_dirty_register_stats(struct iom_dirty *dt, struct iom_stats *s, struct iom_err *err);

#ifdef __cplusplus
}
#endif
#endif
