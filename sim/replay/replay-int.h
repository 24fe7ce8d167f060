/* SPDX-License-Identifier: Apache-2.0 */
/* replay-int.h - the system struct shared by system.c and replay.c. */
#ifndef IOM_SIM_REPLAY_INT_H
#define IOM_SIM_REPLAY_INT_H

#include "replay.h"

#include "check.h"
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
	unsigned pcie_warned;          /* fabric events printed so far */
	struct iom_u64map devices; /* rid -> struct iom_device * */
	struct iom_device *last_dev; /* one-entry cache of the lookup by rid */
	uint32_t last_rid;
	struct iom_stats *stats;
	struct iom_stats_snap *roi_start; /* snapshot at the roi marker */
	struct iom_stats_snap *roi_end;   /* snapshot at the end marker / end */
	/* replay counters (registered as replay.*) */
	uint64_t records, dma_records, control_records, rejected, rejected_by[IOM_REJ_MAX];
	uint64_t dma_bytes, sim_end_ps;
};

int iom_replay_register_stats(struct iom_system *s, struct iom_err *err);

#endif
