/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smmuv3_drv.h - the software side of the SMMUv3 model: what Linux's
 * arm-smmu-v3 driver does to program the hardware (stream table, CD
 * tables, command queue, event queue), used by the host model and tests.
 *
 * Every structure lives in simulated memory allocated from a struct
 * iom_palloc; STE/CD/command writes are timed writes by the requester
 * "<smmu name>.drv"; every configuration change is followed by the
 * CMD_CFGI_* + CMD_SYNC a driver issues, so software costs show up in time.
 * Features come from the ID registers as Linux probes them: range TLBI when
 * IDR3.RIL, CMD_SYNC completion by MSI polling when IDR0.MSI (else CS=SEV
 * and CMDQ_CONS polling).
 * Ownership: the driver owns its tables and queues (freed on destroy) but
 * not the model, memory or allocator, except through iom_smmu_drv_as_iommu()
 * whose destroy op destroys driver and model.
 */
#ifndef IOM_MODELS_SMMUV3_DRV_H
#define IOM_MODELS_SMMUV3_DRV_H

#include "smmuv3.h"

#ifdef __cplusplus
extern "C" {
#endif

struct iom_palloc;
struct iom_smmu_drv;

/* Allocate a linear stream table of 2^sid_bits STEs (all V=1 Config=abort,
 * as Linux initialises unused STEs), a command queue of 2^cmdq_log2 and an
 * event queue of 2^evtq_log2 entries; program the registers; enable
 * (CR0 = SMMUEN | EVTQEN | CMDQEN). */
struct iom_smmu_drv *iom_smmu_drv_create(struct iom_smmu *smmu, struct iom_mem *mem,
					 struct iom_palloc *pa, uint32_t sid_bits, uint32_t cmdq_log2,
					 uint32_t evtq_log2, struct iom_err *err);
void iom_smmu_drv_destroy(struct iom_smmu_drv *drv);
struct iom_smmu *iom_smmu_drv_smmu(struct iom_smmu_drv *drv);
uint64_t iom_smmu_drv_strtab(const struct iom_smmu_drv *drv); /* PA of the stream table */
/* PA of the CD table of a stream (0 if the STE is not stage 1). */
uint64_t iom_smmu_drv_cd_table(struct iom_smmu_drv *drv, uint32_t sid);

/* STE updates; each writes the STE then CMD_CFGI_STE + CMD_SYNC;
 * *done_ps = when the SYNC completed. */
int iom_smmu_drv_ste_bypass(struct iom_smmu_drv *drv, uint32_t sid, uint64_t now_ps,
			    uint64_t *done_ps, struct iom_err *err);
int iom_smmu_drv_ste_abort(struct iom_smmu_drv *drv, uint32_t sid, uint64_t now_ps,
			   uint64_t *done_ps, struct iom_err *err);
/* Stage-1 STE with a linear CD table of 2^s1cdmax CDs (1 if 0). */
int iom_smmu_drv_ste_s1(struct iom_smmu_drv *drv, uint32_t sid, uint32_t s1cdmax, uint32_t s1dss,
			uint64_t now_ps, uint64_t *done_ps, struct iom_err *err);
/* CD for (sid, ssid): V, T0SZ, TG0=4K, IPS=48 bits, AA64, EPD1, R=1, A=1,
 * ASID, TTB0; then CMD_CFGI_CD + CMD_SYNC. */
int iom_smmu_drv_cd(struct iom_smmu_drv *drv, uint32_t sid, uint32_t ssid, uint16_t asid,
		    uint64_t ttb0, uint32_t t0sz, uint64_t now_ps, uint64_t *done_ps,
		    struct iom_err *err);
int iom_smmu_drv_cd_clear(struct iom_smmu_drv *drv, uint32_t sid, uint32_t ssid, uint64_t now_ps,
			  uint64_t *done_ps, struct iom_err *err);

/* The CMD_TLBI_NH_VA commands of Linux's __arm_smmu_tlb_inv_range() for
 * [iova, iova+size) of ASID asid (VMID 0), granule = the leaf size:
 *  range = false: one command per granule, TG = 0;
 *  range = true (the SMMU has RIL): TG = 4 KB; TTL = 4 - (log2(granule) - 3) / 9
 *      for Leaf = 1, else 0 with the page count made even when its low 5 bits
 *      are 1 (NUM = SCALE = TTL = 0 is reserved); then, with n pages left,
 *      SCALE = ctz(n), NUM = ((n >> SCALE) & 31) - 1, one command per step.
 *      SCALE is capped at its 5-bit field (only a 2^36-page range needs it).
 * Writes the commands to cmds (if not NULL); returns how many. */
size_t iom_smmu_drv_build_tlbi_va(uint64_t (*cmds)[2], uint16_t asid, uint64_t iova,
				  uint64_t size, uint64_t granule, bool leaf, bool range);
/* Those commands then one CMD_SYNC; range is used only if the SMMU has RIL. */
int iom_smmu_drv_tlbi(struct iom_smmu_drv *drv, uint16_t asid, uint64_t iova, uint64_t size,
		      uint64_t granule, bool leaf, bool range, uint64_t now_ps, uint64_t *done_ps,
		      struct iom_err *err);
/* Per granule (range = false), as Linux without range invalidation. */
int iom_smmu_drv_tlbi_range(struct iom_smmu_drv *drv, uint16_t asid, uint64_t iova, uint64_t size,
			    uint64_t granule, bool leaf, uint64_t now_ps, uint64_t *done_ps,
			    struct iom_err *err);
/* SMMU_IDR3.RIL as the driver probed it. */
bool iom_smmu_drv_has_range(const struct iom_smmu_drv *drv);
/* CMD_TLBI_NH_ASID + CMD_SYNC. */
int iom_smmu_drv_tlbi_asid(struct iom_smmu_drv *drv, uint16_t asid, uint64_t now_ps,
			   uint64_t *done_ps, struct iom_err *err);

/* Write n raw 16-byte commands into the queue (timed writes), ring the
 * doorbell; *done_ps = when the last one was consumed. When the queue is
 * full, ring the doorbell for what is queued and wait (simulated time) until
 * the SMMU has consumed the slot: counted in cmdq_full_stalls/_wait_ps.
 * -IOM_EIO if the SMMU stopped on a command error (CMDQ_CONS.ERR, message
 * names the index), -IOM_ENOTSUP passes through from the model. */
int iom_smmu_drv_submit(struct iom_smmu_drv *drv, const uint64_t cmd[][2], size_t n,
			uint64_t now_ps, uint64_t *done_ps, struct iom_err *err);
/* Pop one event record; returns 1 (ev filled) or 0 (queue empty). */
int iom_smmu_drv_read_event(struct iom_smmu_drv *drv, uint64_t ev[4]);

struct iom_smmu_drv_stats {
	uint64_t commands; /* commands written into the queue */
	uint64_t syncs;    /* CMD_SYNC among them */
	uint64_t doorbells;
	uint64_t ste_writes, cd_writes;
	uint64_t events_read;
	uint64_t range_cmds;        /* TLBI commands with a range (TG != 0) */
	uint64_t sync_msi_polls;    /* CMD_SYNC completions seen through the MSI write */
	uint64_t cmdq_full_stalls;  /* waits for command-queue space */
	uint64_t cmdq_full_wait_ps; /* time spent in them */
};
const struct iom_smmu_drv_stats *iom_smmu_drv_stats(const struct iom_smmu_drv *drv);

/* Called after every translation through the common interface (the host's
 * lazy-invalidation bookkeeping watches for stale-window hits); NULL removes. */
void iom_smmu_drv_set_txn_observer(struct iom_smmu_drv *drv,
				   void (*fn)(void *ctx, const struct iom_txn *t), void *ctx);

/* The common IOMMU interface over driver + model (see iommu.h). name is the
 * model's name. */
void iom_smmu_drv_as_iommu(struct iom_smmu_drv *drv, struct iom_iommu *out);

#ifdef __cplusplus
}
#endif
#endif
