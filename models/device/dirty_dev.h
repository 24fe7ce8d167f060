/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dirty_dev.h - a device-side dirty-page tracker, as VFIO migration drivers
 * expose one (VFIO_DEVICE_FEATURE_DMA_LOGGING_START / _REPORT / _STOP,
 * drivers/vfio/vfio_main.c; the mlx5 page tracker, drivers/vfio/pci/mlx5/
 * cmd.c; algorithms-reference.md 6.5, docs/dirty.md).
 *
 * The device logs the IOVAs its own DMA writes touch, at its tracking page
 * size, inside a limited number of ranges fixed at start: VFIO checks the
 * request (at most 256 ranges, each aligned to the page size, no overflow,
 * no overlap), the driver merges adjacent ranges with the smallest gaps
 * until its maximum is met (vfio_combine_iova_ranges), refuses a span
 * outside its address-space limits (EOPNOTSUPP) and clamps the page size
 * into its limits (written back).  Writes outside the ranges are not
 * logged (counted).  A report snapshots and clears the logged pages of
 * [iova, iova + length) when the tracker enters REPORTING, then delivers
 * them in address order, entries_per_msg per message, each entry turned
 * into a record(addr, page_size) by the host (iova_bitmap_set).
 *
 * Timing (ps): start, stop and each report's state change cost cmd_ps (a
 * firmware command); each report message msg_ps (completion handling, at
 * least one message per report: the final status); each entry entry_ps of
 * host CPU.  Not modelled: the receive-queue size, tracker errors (status
 * ERROR -> EIO), the device writing the log into host memory.
 */
#ifndef IOM_MODELS_DEVICE_DIRTY_DEV_H
#define IOM_MODELS_DEVICE_DIRTY_DEV_H

#include "iom.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

struct iom_prop_table;

#define IOM_DIRTY_DEV_LOG_MAX_RANGES 256u /* VFIO's LOG_MAX_RANGES */

/* Section "dirty.device": the tracker's capabilities and costs. */
struct iom_dirty_dev_cfg {
	uint32_t max_ranges;          /* pg_track_max_num_range */
	uint64_t min_page_size;       /* pg_track_log_min_page_size (as bytes) */
	uint64_t max_page_size;       /* pg_track_log_max_page_size */
	uint32_t min_addr_space_bits; /* pg_track_log_min_addr_space */
	uint32_t max_addr_space_bits; /* pg_track_log_max_addr_space */
	uint32_t entries_per_msg;     /* report entries per message */
	uint64_t cmd_ps, msg_ps, entry_ps;
};
extern const struct iom_prop_table iom_dirty_dev_prop_table; /* section "dirty.device" */

struct iom_dirty_dev_range {
	uint64_t iova, length;
};

/* What reports cost (accumulated; zero it yourself). */
struct iom_dirty_dev_cost {
	uint64_t cmds, msgs, entries;
};

/* Merge ranges (sorted by iova, not overlapping) in place until at most max
 * remain: repeatedly the adjacent pair with the smallest gap (the first
 * such pair in address order); max 1: one span.  Returns the new count. */
size_t iom_dirty_dev_combine(struct iom_dirty_dev_range *r, size_t n, size_t max);

struct iom_dirty_dev;
struct iom_dirty_dev *iom_dirty_dev_create(const struct iom_dirty_dev_cfg *cfg, uint32_t rid,
                                           struct iom_err *err);
void iom_dirty_dev_destroy(struct iom_dirty_dev *t);
uint32_t iom_dirty_dev_rid(const struct iom_dirty_dev *t);

/* DMA_LOGGING_START with *page_size (written back: the clamped tracking page
 * size) over n ranges (any order).  Errors set *uapi_errno (EINVAL, E2BIG,
 * EOPNOTSUPP; EBUSY if already started) and return -IOM_EINVAL / -IOM_EBUSY
 * with the errno's name first in the message. */
int iom_dirty_dev_start(struct iom_dirty_dev *t, uint64_t *page_size,
                        const struct iom_dirty_dev_range *ranges, size_t n, uint64_t now_ps,
                        uint64_t *done_ps, int *uapi_errno, struct iom_err *err);
/* DMA_LOGGING_STOP: the log is dropped. */
void iom_dirty_dev_stop(struct iom_dirty_dev *t, uint64_t now_ps, uint64_t *done_ps);
bool iom_dirty_dev_active(const struct iom_dirty_dev *t);
uint64_t iom_dirty_dev_page_size(const struct iom_dirty_dev *t);
/* The tracked ranges (after combining), sorted. */
size_t iom_dirty_dev_ranges(const struct iom_dirty_dev *t, const struct iom_dirty_dev_range **r);

/* The device wrote [iova, iova + size): log the tracked pages it touched. */
void iom_dirty_dev_write(struct iom_dirty_dev *t, uint64_t iova, uint64_t size);
/* Bytes written outside the tracked ranges while started (never reported). */
uint64_t iom_dirty_dev_untracked_bytes(const struct iom_dirty_dev *t);

/* DMA_LOGGING_REPORT of [iova, iova + length): record(rctx, addr, page_size)
 * per logged page, in address order; before(bctx, t), if set, ahead of each
 * message at its time.  -IOM_EINVAL ("EINVAL: ...") when not started. */
int iom_dirty_dev_report(struct iom_dirty_dev *t, uint64_t iova, uint64_t length,
                         void (*record)(void *rctx, uint64_t iova, uint64_t length), void *rctx,
                         void (*before)(void *bctx, uint64_t t_ps), void *bctx, uint64_t now_ps,
                         uint64_t *done_ps, struct iom_dirty_dev_cost *cost, struct iom_err *err);

#ifdef __cplusplus
}
#endif
#endif
