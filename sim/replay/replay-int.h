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
	/* The subsystems of the reserved-region, DMA API and dirty-tracking
	 * issues, each in its own file (NULL when the run does not use it):
	 *   replay_resv.c    reserved regions, usable IOVA lists, map validation
	 *   replay_dmaapi.c  dmamap/dmaunmap records: allocators, DMA API modes
	 *   replay_dirty.c   dirty tracking, harvest, ground truth */
	struct iom_sys_resv *resv;
	struct iom_sys_dmaapi *dmaapi;
	struct iom_sys_dirty *dirty;
	/* @@fields-resv@@ */
	/* @@fields-dmaapi@@ */
	/* @@fields-dirty@@ */
	struct iom_stats *stats;
	struct iom_stats_snap *roi_start; /* snapshot at the roi marker */
	struct iom_stats_snap *roi_end;   /* snapshot at the end marker / end */
	/* replay counters (registered as replay.*) */
	uint64_t records, dma_records, control_records, rejected, rejected_by[IOM_REJ_MAX];
	uint64_t dma_bytes, sim_end_ps;
};

/* @@decl-resv@@ */
/* @@decl-dmaapi@@ */
/* @@decl-dirty@@ */

int iom_replay_register_stats(struct iom_system *s, struct iom_err *err);
/* The device hook onto s->fabric (replay.c). */
extern const struct iom_dev_fabric_ops iom_replay_fabric_ops;

#endif
