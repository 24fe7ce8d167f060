/* SPDX-License-Identifier: Apache-2.0 */
/* replay-int.h - the system struct shared by system.c and replay.c. */
#ifndef IOM_SIM_REPLAY_INT_H
#define IOM_SIM_REPLAY_INT_H

#include "replay.h"

#include "atc.h"
#include "pri_dev.h"
#include "smmuv3_priq.h"
#include "vtd_prq.h"
#include "check.h"
#include "fabric.h"
#include "device.h"
#include "host.h"
#include "iommu.h"
#include "mem.h"
#include "smmuv3.h"
#include "smmuv3_drv.h"
#include "stats.h"
#include "u64map.h"
#include "vtd.h"
#include "vtd_drv.h"

enum iom_sys_iommu { IOM_SYS_SMMUV3 = 0, IOM_SYS_VTD };

struct iom_system_cfg {
	uint32_t iommu; /* enum iom_sys_iommu */
	uint64_t seed;
};

struct iom_system {
	struct iom_system_cfg cfg;
	struct iom_mem_cfg mem_cfg;
	struct iom_host_cfg host_cfg;
	struct iom_device_cfg dev_cfg;
	struct iom_ats_cfg ats_cfg;   /* device.ats */
	struct iom_cache_cfg atc_cfg; /* device.atc */
	struct iom_ats_rc *ats;       /* the root complex's ATS side (device.ats.enable), or NULL */
	struct iom_pri_dev_cfg pri_cfg;  /* device.pri */
	struct iom_smmu_priq *priq;      /* SMMUv3 PRI queue (set up on first use) */
	struct iom_vtd_prq *prq;         /* VT-d page request queue (with vtd.prs) */
	struct iom_pri_port pri_port;    /* the root complex's PRI side: the host's handler */
	struct iom_u64map pri_fns;       /* rid -> struct iom_pri_fn * (device.pri.enable) */
	struct iom_mem *mem;
	struct iom_palloc *tables;
	struct iom_smmu *smmu;
	struct iom_smmu_drv *smmu_drv;
	struct iom_host_smmuv3 host_smmu;
	struct iom_vtd_cfg vtd_cfg;         /* bound for every system, used when iommu = vtd */
	struct iom_vtd_drv_cfg vtd_drv_cfg;
	struct iom_vtd_drv *vtd_drv;
	struct iom_iommu iommu;
	struct iom_host *host;
	struct iom_pcie_checker *pcie; /* the pcie: topology; NULL = a root port per device */
	struct iom_pcie_link_cfg link_cfg; /* pcie.link: every link's defaults */
	struct iom_pcie_fabric *fabric;    /* link timing of the topology (with pcie) */
	unsigned pcie_warned;          /* fabric events printed so far */
	struct iom_u64map devices; /* rid -> struct iom_device * */
	struct iom_device *last_dev; /* one-entry cache of the lookup by rid */
	uint32_t last_rid;
	/* The host-algorithm subsystems, each in its own file (NULL when the
	 * run does not use it):
	 *   replay_resv.c    reserved regions, usable IOVA lists, map validation
	 *   replay_dmaapi.c  dmamap/dmaunmap records: allocators, DMA API modes
	 *   replay_dirty.c   dirty tracking, harvest, ground truth */
	struct iom_sys_resv *resv;
	struct iom_sys_dmaapi *dmaapi;
	struct iom_sys_dirty *dirty;
	struct iom_resv_db *resv_db; /* region sources of every device (always built) */
	struct iom_stats *stats;
	struct iom_stats_snap *roi_start; /* snapshot at the roi marker */
	struct iom_stats_snap *roi_end;   /* snapshot at the end marker / end */
	/* replay counters (registered as replay.*) */
	uint64_t records, dma_records, control_records, rejected, rejected_by[IOM_REJ_MAX];
	uint64_t dma_bytes, sim_end_ps;
};

/* replay_resv.c: reserved regions, usable IOVA lists, map validation, device
 * addressing limits (models/host/resv.h, docs/resv.md). s->resv is NULL
 * unless the configuration describes something or a resv record arrives. */
#include "resv.h"
struct iom_rec;
struct iom_trace_reader;
int iom_replay_resv_build(struct iom_system *s, struct iom_config *cfg, struct iom_err *err);
int iom_replay_resv_enable(struct iom_system *s, struct iom_err *err); /* s->resv, its stats */
int iom_replay_resv_register_stats(struct iom_system *s, struct iom_err *err);
void iom_replay_resv_destroy(struct iom_system *s);
/* DMA above its device's addressing limit: counted, the first ten on warn. */
void iom_replay_resv_dma(struct iom_system *s, const struct iom_rec *rec,
			 struct iom_trace_reader *rd, FILE *warn);
int iom_replay_resv_record(struct iom_system *s, const struct iom_rec *rec, struct iom_err *err);
/* Checks before the host acts: map (resv.uapi), attach and unmap. Nonzero =
 * refused (err says why, with the kernel's errno). */
int iom_replay_resv_map(struct iom_system *s, const struct iom_rec *rec, struct iom_err *err);
int iom_replay_resv_before(struct iom_system *s, const struct iom_rec *rec, struct iom_err *err);
/* After the host's verdict r: bookkeeping; the reject reason of a refusal
 * this file made (IOM_REJ_MAX: none). */
unsigned iom_replay_resv_after(struct iom_system *s, const struct iom_rec *rec, int r);
void iom_replay_resv_print_summary(struct iom_system *s, const struct iom_stats_snap *snap,
				   FILE *f);
void *iom_replay_resv_json(struct iom_system *s); /* json_t * */
/* A domain's aperture [*ap_start, *ap_last] and smallest page size; the
 * probe variant creates and frees a paging domain to learn a new one's. */
int iom_replay_resv_domain_geometry(struct iom_system *s, uint32_t dom, uint64_t *ap_start,
				    uint64_t *ap_last, uint64_t *pgmin, struct iom_err *err);
int iom_replay_resv_probe_geometry(struct iom_system *s, uint64_t *ap_start, uint64_t *ap_last,
				   uint64_t *pgmin, struct iom_err *err);
/* For the DMA API (its IOVA allocator reserves these, as Linux's
 * iova_reserve_iommu_regions does): dev's regions for domain dom, host-bridge
 * windows included, inserted into out; *limit = the device's addressing limit. */
int iom_replay_resv_dev_regions(struct iom_system *s, uint32_t dev, uint32_t dom,
				struct iom_resv_list *out, uint64_t *limit, struct iom_err *err);
/* replay_dmaapi.c: dmamap / dmaunmap records and dma records with buf=
 * (models/host/dma_api.h, docs/dma-api.md); s->dmaapi is always built. */
struct iom_rec;
struct iom_dma_api;
int iom_sys_dmaapi_build(struct iom_system *s, struct iom_config *cfg, struct iom_err *err);
int iom_sys_dmaapi_register_stats(struct iom_system *s, struct iom_err *err);
void iom_sys_dmaapi_destroy(struct iom_system *s);
/* A dmamap or dmaunmap record: 0 or the DMA API's refusal. */
int iom_sys_dmaapi_control(struct iom_system *s, const struct iom_rec *rec, uint64_t now,
			   struct iom_err *err);
/* A dma record with buf=: *out = rec with the buffer's DMA address + offset
 * as iova, *now moved to when the map returned. 1 = the buffer's map was
 * refused (drop the DMA); <0 = the trace is inconsistent (ends the replay). */
int iom_sys_dmaapi_dma(struct iom_system *s, const struct iom_rec *rec, struct iom_rec *out,
		       uint64_t *now, struct iom_err *err);
void iom_sys_dmaapi_dma_done(struct iom_system *s, const struct iom_rec *rec, uint64_t done_ps);
int iom_sys_dmaapi_advance(struct iom_system *s, uint64_t now, struct iom_err *err);
void iom_sys_dmaapi_end(struct iom_system *s);
/* The DMA API itself (tests look at its buffers and pool). */
struct iom_dma_api *iom_sys_dmaapi_api(struct iom_system *s);
/* replay_dirty.c: dirty / harvest records, ground truth, racing DMA inside a
 * harvest, per-round report (models/host/dirty.h, docs/dirty.md). s->dirty is
 * NULL unless dirty.enable. */
#include "dirty.h"     /* iom_dirty_prop_table */
#include "dirty_dev.h" /* iom_dirty_dev_prop_table */
struct iom_rec;
struct iom_trace_reader;
typedef int (*iom_sys_dirty_dma_fn)(struct iom_system *s, const struct iom_rec *rec,
				    uint64_t now, struct iom_trace_reader *rd,
				    const struct iom_replay_opts *o, struct iom_err *err);
int iom_sys_dirty_build(struct iom_system *s, struct iom_config *cfg, struct iom_err *err);
int iom_sys_dirty_register_stats(struct iom_system *s, struct iom_err *err);
void iom_sys_dirty_destroy(struct iom_system *s);
/* A dirty or harvest record: 0, or the kernel's refusal (err says why). */
int iom_sys_dirty_control(struct iom_system *s, const struct iom_rec *rec, uint64_t now,
			  struct iom_err *err);
/* A DMA record was replayed (trackers and ground truth see its writes). */
void iom_sys_dirty_dma(struct iom_system *s, const struct iom_rec *rec, uint64_t now);
/* The replay loop: the next record (one a harvest pulled and kept comes
 * first); each record binds the reader and dma for racing DMAs, adds the
 * DMAs replayed inside harvests to *records and returns an error one of them
 * ended with; end does the last of that. */
int iom_sys_dirty_next(struct iom_system *s, struct iom_trace_reader *rd,
		       const struct iom_rec **rec, struct iom_err *err);
int iom_sys_dirty_advance(struct iom_system *s, struct iom_trace_reader *rd,
			  const struct iom_replay_opts *o, iom_sys_dirty_dma_fn dma,
			  uint64_t *records, struct iom_err *err);
int iom_sys_dirty_end(struct iom_system *s, uint64_t *records, struct iom_err *err);
void iom_sys_dirty_print_summary(struct iom_system *s, const struct iom_stats_snap *snap,
				 FILE *f);
void *iom_sys_dirty_json(struct iom_system *s); /* json_t * */

int iom_replay_register_stats(struct iom_system *s, struct iom_err *err);
/* The device hook onto s->fabric (replay.c). */
extern const struct iom_dev_fabric_ops iom_replay_fabric_ops;

#endif
