/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smmuv3-internal.h - state shared by smmuv3.c (translation, events) and
 * smmuv3_cmdq.c (command consumption). Not a public interface.
 */
#ifndef IOM_MODELS_SMMUV3_INTERNAL_H
#define IOM_MODELS_SMMUV3_INTERNAL_H

#include "resource.h"
#include "smmuv3.h"

/* TLB tag layout: ASID [15:0], VMID [31:16], size index [33:32], global 34,
 * EL2 regime 35 (StreamWorld NS-EL2/EL2-E2H: no STE inserts one yet), stage-2
 * only 36 (entry keyed by IPA: reserved for the stage-2 model). Stage-1 entries
 * of a stage-1-only STE carry VMID 0.
 * Walk-cache tag: ASID [15:0], VMID [31:16], level [33:32], EL2 35, stage 2 36. */
#define SMMU_TLB_NSIZES 3 /* 4 KB, 2 MB, 1 GB leaves of the 4 KB granule */
#define SMMU_TAG_GLOBAL (1ull << 34)
#define SMMU_TAG_EL2 (1ull << 35)
#define SMMU_TAG_S2 (1ull << 36)
static inline uint32_t smmu_tag_asid(uint64_t tag) { return (uint32_t)(tag & 0xffff); }
static inline uint32_t smmu_tag_vmid(uint64_t tag) { return (uint32_t)((tag >> 16) & 0xffff); }
static inline uint32_t smmu_tag_size(uint64_t tag) { return (uint32_t)((tag >> 32) & 3); }
static inline uint32_t smmu_tag_level(uint64_t tag) { return (uint32_t)((tag >> 32) & 3); }
/* Config-cache tag: bit 40 set for a CD entry (addr = SID, tag[19:0] = SSID). */
#define SMMU_CFG_TAG_CD (1ull << 40)

struct smmu_tlb_entry {
	uint64_t pa_base;
	uint64_t page_size;
	uint32_t perms; /* IOM_PTE_* from the walker (W = !AP[2], USER = AP[1], X = !UXN) */
	uint8_t pxn;    /* leaf PXN (bit 53) for privileged execute */
	uint8_t global; /* nG = 0 */
};

struct smmu_wc_entry {
	uint64_t table_pa; /* next-level table */
	uint8_t level;     /* level of table_pa */
};

struct iom_smmu {
	struct iom_smmu_cfg cfg;
	char name[32];
	struct iom_mem *mem;
	uint64_t period_ps;
	int req_cfg, req_walk, req_queue;
	struct iom_cache *tlb, *wc, *cfgc;
	struct iom_resource walk_slots;
	uint64_t tlb_size_count[SMMU_TLB_NSIZES]; /* valid TLB entries per leaf size */
	uint64_t tlb_global_count;                /* valid global (nG=0) entries */
	/* registers */
	uint32_t cr0, gbpa;
	uint64_t strtab_base;
	uint32_t strtab_log2size;
	uint32_t strtab_fmt;   /* SMMU_STRTAB_FMT_* */
	uint32_t strtab_split; /* 2-level: SID bits resolved by the L2 tables */
	uint64_t cmdq_base, evtq_base;
	uint32_t cmdq_log2, evtq_log2;
	uint32_t cmdq_prod, cmdq_cons; /* cons includes ERR [30:24] */
	uint32_t evtq_prod, evtq_cons; /* prod includes OVFLG, cons OVACKFLG */
	uint64_t cmdq_busy_until_ps;   /* command engine is serial */
	uint64_t *cmdq_done_ps;        /* per slot: when its command was consumed */
	uint32_t cmdq_done_slots;      /* entries allocated in cmdq_done_ps */
	uint64_t cmdq_doorbell_ps;     /* time of the doorbell being served */
	uint64_t last_sync_ps, last_msi_ps;
	uint64_t atc_pending_ps;       /* latest ATC_INV completion since the last SYNC */
	bool atc_timed_out;            /* an ATC_INV since the last SYNC timed out */
	const struct iom_smmu_ats_ops *ats;
	void *ats_ctx;
	struct iom_smmu_stats st;
};

/* smmuv3.c helpers used by the command side (TLB / walk-cache keys). */
void smmu_tlb_count_drop(struct iom_smmu *s, const struct iom_cache_key *k);
uint64_t smmu_tlb_tag(uint32_t asid, uint32_t vmid, uint32_t size_idx, int global);
unsigned smmu_tlb_size_shift(uint32_t size_idx);
unsigned smmu_level_shift(unsigned level);
struct iom_cache_key smmu_wc_key(uint32_t asid, uint32_t vmid, uint64_t va, unsigned level);
uint32_t smmu_idr(const struct iom_smmu *s, unsigned n);

#endif
