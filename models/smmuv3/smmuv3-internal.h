/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smmuv3-internal.h - state shared by smmuv3.c (translation, events) and
 * smmuv3_cmdq.c (command consumption). Not a public interface.
 */
#ifndef IOM_MODELS_SMMUV3_INTERNAL_H
#define IOM_MODELS_SMMUV3_INTERNAL_H

#include "resource.h"
#include "smmuv3.h"
#include "u64map.h"

/* Leaf-cache (TLB, IPA cache) tag: ASID [15:0], VMID [31:16], global 34, EL2 regime 35
 * (StreamWorld NS-EL2/EL2-E2H: no STE inserts one), stage-2 only 36 (entry keyed by IPA:
 * a stage-2-only STE's TLB entries and every IPA-cache entry), size index [43:40].
 * The granule and leaf level of an entry (for TLBI TG / TTL) are in its value.
 * Walk-cache tag: ASID [15:0], VMID [31:16], level [33:32], EL2 35, stage 2 36,
 * granule [45:44] (SMMU_TLBI_TG_* code: 1 4 KB, 2 16 KB, 3 64 KB). Walk-cache key
 * addr = (IA >> level shift) << 2 | level. */
#define SMMU_TLB_NSIZES 9 /* 4K 16K 64K 2M 32M 512M 1G 16G 4T: leaves and contiguous runs */
#define SMMU_TAG_GLOBAL (1ull << 34)
#define SMMU_TAG_EL2 (1ull << 35)
#define SMMU_TAG_S2 (1ull << 36)
static inline uint32_t smmu_tag_asid(uint64_t tag) { return (uint32_t)(tag & 0xffff); }
static inline uint32_t smmu_tag_vmid(uint64_t tag) { return (uint32_t)((tag >> 16) & 0xffff); }
static inline uint32_t smmu_tag_size(uint64_t tag) { return (uint32_t)((tag >> 40) & 0xf); }
static inline uint32_t smmu_tag_level(uint64_t tag) { return (uint32_t)((tag >> 32) & 3); }
static inline uint32_t smmu_tag_tg(uint64_t tag) { return (uint32_t)((tag >> 44) & 3); }
/* Config-cache tag: bit 40 set for a CD entry (addr = SID, tag[19:0] = SSID). */
#define SMMU_CFG_TAG_CD (1ull << 40)

/* A leaf entry of the TLB or the IPA cache. Stage-1 and nested entries: perms/pxn are
 * stage 1's, s2_perms/s2_pxn stage 2's (IOM_PTE_R | W | X, all for a stage-1-only STE),
 * so a permission fault on a hit names the stage that denies. A stage-2-only entry has
 * its permissions in s2_perms and perms = every IOM_PTE_* bit. */
struct smmu_tlb_entry {
	uint64_t pa_base;
	uint64_t page_size;
	uint64_t ipa_base;  /* nested: the IPA of pa_base (stage-2 fault records on a hit) */
	uint32_t perms;     /* IOM_PTE_* from the walker (W = !AP[2], USER = AP[1], X = !UXN) */
	uint32_t s2_perms;
	uint8_t pxn;        /* leaf PXN (bit 53) for privileged execute */
	uint8_t s2_pxn;
	uint8_t global;     /* nG = 0 */
	uint8_t tg;         /* SMMU_TLBI_TG_* of the table (stage 1's for a nested entry) */
	uint8_t level;      /* its leaf level: TLBI TTL */
	uint8_t httu_w;     /* not writable now, but HTTU dirty-state updates would allow a
	                     * write: a write that hits it walks again (3.13.3) */
};

struct smmu_wc_entry {
	uint64_t table_pa; /* next-level table */
	uint8_t level;     /* level of table_pa */
};

/* A TLB-like cache of leaf entries with per-size bookkeeping, so a lookup probes only
 * the page sizes present. */
struct smmu_tlbc {
	struct iom_cache *c;
	uint64_t size_count[SMMU_TLB_NSIZES]; /* valid entries per size index */
	uint64_t global_count;                /* valid global (nG=0) entries */
	uint32_t size_mask;                   /* bit i: size_count[i] != 0 */
};

struct iom_smmu {
	struct iom_smmu_cfg cfg;
	char name[32];
	struct iom_mem *mem;
	uint64_t period_ps;
	int req_cfg, req_walk, req_queue;
	struct smmu_tlbc tlb;  /* stage-1 / nested (VA) and stage-2-only (IPA) leaf entries */
	struct smmu_tlbc ipac; /* IPA cache: stage-2 translations inside nested translations */
	struct iom_cache *wc, *s2wc, *cfgc;
	uint32_t wc_tg_mask, s2wc_tg_mask; /* granules (1 << TG code) ever inserted */
	struct iom_u64map utlbs;           /* StreamID -> struct iom_cache * (micro-TLBs) */
	bool utlb_on;
	struct iom_resource walk_slots;
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
void smmu_tlbc_drop(struct smmu_tlbc *tc, const struct iom_cache_key *k);
void smmu_tlbc_reset(struct smmu_tlbc *tc);
uint64_t smmu_tlb_tag(uint32_t asid, uint32_t vmid, uint32_t size_idx, int global);
unsigned smmu_tlb_size_shift(uint32_t size_idx);
/* IA bits covered by one descriptor at `level` of a table with TLBI TG code `tg`. */
unsigned smmu_level_shift(unsigned tg, unsigned level);
struct iom_cache_key smmu_wc_key(uint32_t asid, uint32_t vmid, uint64_t va, unsigned level,
				 unsigned tg);
uint32_t smmu_idr(const struct iom_smmu *s, unsigned n);
/* Empty every micro-TLB (any TLBI or CFGI; see smmuv3.c). */
void smmu_utlb_flush_all(struct iom_smmu *s);

/* smmuv3.c: the translation pipeline for t, with `ats` the Translation Request it serves
 * (t->at = IOM_TXN_AT_TREQ) or NULL. */
int smmu_translate_req(struct iom_smmu *s, struct iom_txn *t, struct iom_ats_req *ats,
		       struct iom_err *err);

/* smmuv3_ats.c: the ATS decisions the pipeline's hooks ask for. */
#define SMMU_ATS_SILENT 0x100u /* UR / abort without an event */
#define SMMU_ATS_UNIMP 0x200u  /* split-stage ATS (EATS = 0b10): not implemented */
/* What the STE says about a Translation Request (treq) or a Translated transaction:
 * 0 = go on, SMMU_ATS_SILENT, SMMU_ATS_UNIMP, or the event ID to record. */
uint32_t smmu_ats_ste_check(const uint64_t *ste, bool treq);
/* A Translation Request ended with event `id` (0: abort without one): the completion in
 * r; returns whether the event is recorded. */
bool smmu_ats_outcome(struct iom_smmu *s, struct iom_ats_req *r, uint32_t id);
/* A Translation Request translated by entry e: the completion in r (13.7.1). */
void smmu_ats_grant(struct iom_smmu *s, struct iom_ats_req *r, const struct iom_txn *t,
		    const struct smmu_tlb_entry *e, uint64_t pa_base);
/* Stage 1 of a nested Translation Request grants some access at its privilege. */
bool smmu_ats_s1_grants(const struct iom_txn *t, const struct smmu_tlb_entry *e);
/* Stage 1 skipped by S1DSS with stage 2 off: the identity completion (13.6.4). */
void smmu_ats_identity(struct iom_smmu *s, struct iom_ats_req *r);

#endif
