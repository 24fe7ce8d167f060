/* SPDX-License-Identifier: Apache-2.0 */
/*
 * replay.h - builds a system from a configuration and replays a trace
 * through it.
 *
 * struct iom_system is one simulated machine: memory, the IOMMU and its
 * driver, the host software, and the devices (created on first use, each
 * with the `device` section's parameters, until the PCIe topology issue
 * makes them explicit).  iom_replay_run() streams trace records:
 *   DMA records      -> the device's DMA engine -> IOMMU translate -> memory
 *   control records  -> the host model (domains, attach, map/unmap, inval)
 *   phase records    -> stats snapshots (warm-up vs region of interest)
 * Every record is either simulated or counted as rejected with a reason;
 * what a model does not implement stops the replay with a clear "not
 * implemented" error.
 */
#ifndef IOM_SIM_REPLAY_H
#define IOM_SIM_REPLAY_H

#include "iom.h"

#include <stdbool.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

struct iom_config;
struct iom_stats;
struct iom_prop_table;

struct iom_system;

/* Every property table a system binds, in order (docs and --defaults). */
const struct iom_prop_table *const *iom_system_prop_tables(size_t *n);

/* Bind the whole configuration (and reject unknown keys), build the system. */
struct iom_system *iom_system_build(struct iom_config *cfg, struct iom_err *err);
void iom_system_destroy(struct iom_system *sys);
struct iom_stats *iom_system_stats(struct iom_system *sys);
/* The device with requester ID rid, created (with the `device` section's
 * parameters, its stats registered) on first use. NULL with err set. */
struct iom_device;
struct iom_device *iom_system_device(struct iom_system *sys, uint32_t rid, struct iom_err *err);

enum iom_reject_reason {
	IOM_REJ_NO_DOMAIN = 0, /* record names a domain that does not exist */
	IOM_REJ_EXISTS,        /* domain exists / range already mapped */
	IOM_REJ_NOT_MAPPED,    /* unmap of an unmapped range */
	IOM_REJ_NOT_ATTACHED,  /* detach of something not attached */
	IOM_REJ_BUSY,          /* free of an attached domain, ASIDs exhausted */
	IOM_REJ_INVALID,       /* misaligned or otherwise invalid for the host */
	IOM_REJ_RANGE,         /* beyond the domain's address width / PASID space */
	IOM_REJ_RESERVED,      /* reserved IOVA / outside the usable list (resv.uapi, resv.md) */
	IOM_REJ_MAX
};

struct iom_replay_opts {
	const char *trace_path;
	bool skip_bad;        /* skip-and-count malformed records */
	bool progress;        /* progress line on stderr */
	uint64_t max_records; /* 0 = all */
	FILE *warn;           /* rejected-record warnings (first few); NULL = none */
	/* Engine hook (sim/systemc): called with each record's time before the
	 * record is simulated (non-decreasing); it may only advance an outer
	 * kernel's clock, never touch the models.  NULL = native engine. */
	void (*advance)(void *ctx, uint64_t now_ps);
	void *advance_ctx;
};

struct iom_replay_result {
	uint64_t records, dma_records, control_records, phase_records;
	uint64_t rejected, rejected_by[IOM_REJ_MAX];
	uint64_t malformed_skipped;
	uint64_t first_ps, end_ps;   /* simulated time span */
	uint64_t roi_start_ps;       /* 0 if no roi marker */
	bool has_roi;
	double wall_s;               /* host wall-clock time (text summary only) */
	int trace_encoding;
};

const char *iom_reject_reason_name(unsigned r);

/* Replays the whole trace. 0, or -IOM_E* with err set ("FILE:LINE: ..."). */
int iom_replay_run(struct iom_system *sys, const struct iom_replay_opts *o,
		   struct iom_replay_result *res, struct iom_err *err);

/* Human summary (ROI figures when the trace marked a region of interest). */
void iom_replay_print_summary(struct iom_system *sys, const struct iom_replay_result *res,
			      const char *trace_path, FILE *f);
/* Result document: schema, version, trace, resolved config, all stats (and
 * ROI stats). Deterministic: holds no wall-clock figures. json_t * as void *. */
void *iom_replay_result_json(struct iom_system *sys, struct iom_config *cfg,
			     const struct iom_replay_result *res, const char *trace_path);

#ifdef __cplusplus
}
#endif
#endif
