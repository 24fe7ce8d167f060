/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smmuv3-internal.h - state shared by smmuv3.c (translation, events) and
 * smmuv3_cmdq.c (command consumption). Not a public interface.
 */
#ifndef IOM_MODELS_SMMUV3_INTERNAL_H
#define IOM_MODELS_SMMUV3_INTERNAL_H

#include "resource.h"
#include "smmuv3.h"

/* TLB tag layout: ASID [15:0], VMID [31:16], size index [33:32], global 34. */
#define SMMU_TLB_NSIZES 3 /* 4 KB, 2 MB, 1 GB leaves of the 4 KB granule */
#define SMMU_TAG_GLOBAL (1ull << 34)
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
	uint64_t last_sync_ps;
	struct iom_smmu_stats st;
};

/* smmuv3.c helpers used by the command side. */
void smmu_tlb_count_drop(struct iom_smmu *s, const struct iom_cache_key *k);
uint64_t smmu_tlb_tag(uint32_t asid, uint32_t size_idx, int global);
unsigned smmu_tlb_size_shift(uint32_t size_idx);
unsigned smmu_level_shift(unsigned level);
struct iom_cache_key smmu_wc_key(uint32_t asid, uint64_t va, unsigned level);

#endif
