/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smmuv3.h - Arm SMMUv3 hardware model, stage-1 slice (IHI0070 G.b).
 *
 * Implemented: linear stream table, STE Config abort/bypass/S1, linear CD
 * tables (S1Fmt=0), SSID handling (S1CDMax/S1DSS), VMSAv8-64 4 KB-granule
 * stage-1 walks through TTB0, TLB + walk cache + configuration cache, the
 * command queue (CFGI_*, TLBI_NH_*, TLBI_NSNH_ALL, SYNC, PREFETCH_*) and the
 * event queue.  Not implemented (rejected with -IOM_ENOTSUP and an
 * iom_unimp diagnostic): 2-level stream/CD tables, stage 2 and nested
 * configs, TTB1 walks, 16K/64K granules, HTTU (CD.HA/HD), stall model,
 * ATS/PRI commands, EL2/EL3/secure commands.
 *
 * Ownership: the model owns its caches and queues' shadow registers; memory
 * (struct iom_mem) belongs to the caller and must outlive the model.
 * The register functions are MMIO stand-ins: they take the value software
 * writes and behave as the register write would.
 */
#ifndef IOM_MODELS_SMMUV3_H
#define IOM_MODELS_SMMUV3_H

#include "cache.h"
#include "iom.h"
#include "iommu.h"
#include "stats.h"

#ifdef __cplusplus
extern "C" {
#endif

struct iom_mem;
struct iom_config;
struct iom_prop_table;
struct iom_stats;

struct iom_smmu_cfg {
	uint32_t clock_mhz;   /* SMMU clock (cycle costs below are in this clock) */
	uint32_t sid_bits;    /* IDR1.SIDSIZE, 1..24 */
	uint32_t ssid_bits;   /* IDR1.SSIDSIZE, 0..20 */
	uint32_t walk_slots;  /* concurrent table walks */
	uint32_t cmd_cycles;  /* execution of one command after its fetch */
	uint32_t sync_cycles; /* execution of one CMD_SYNC after its fetch */
	struct iom_cache_cfg tlb;
	struct iom_cache_cfg walk_cache;
	struct iom_cache_cfg config_cache;
};

extern const struct iom_prop_table iom_smmu_prop_table;         /* "smmu" */
extern const struct iom_prop_table iom_smmu_tlb_prop_table;     /* "smmu.tlb" */
extern const struct iom_prop_table iom_smmu_walk_cache_prop_table; /* "smmu.walk_cache" */
extern const struct iom_prop_table iom_smmu_config_cache_prop_table; /* "smmu.config_cache" */

/* All SMMU property tables (for docs / --defaults); *n receives the count. */
const struct iom_prop_table *const *iom_smmu_prop_tables(size_t *n);
/* Fill *out with the built-in defaults. */
void iom_smmu_cfg_default(struct iom_smmu_cfg *out);
/* Bind "smmu", "smmu.tlb", "smmu.walk_cache", "smmu.config_cache". */
int iom_smmu_cfg_bind(struct iom_config *c, struct iom_smmu_cfg *out, struct iom_err *err);

struct iom_smmu;

/* Create a model (disabled: CR0 = 0, GBPA = 0 -> bypass). name is the
 * instance name ("smmu0"), also the prefix of its memory requesters. */
struct iom_smmu *iom_smmu_create(const struct iom_smmu_cfg *cfg, struct iom_mem *mem,
				 const char *name, struct iom_err *err);
void iom_smmu_destroy(struct iom_smmu *s);
const char *iom_smmu_name(const struct iom_smmu *s);
uint64_t iom_smmu_period_ps(const struct iom_smmu *s);

/* ---- register interface (6.3) ---- */
/* SMMU_STRTAB_BASE + SMMU_STRTAB_BASE_CFG. FMT=2-level: -IOM_ENOTSUP. */
int iom_smmu_write_strtab(struct iom_smmu *s, uint64_t base, uint32_t base_cfg,
			  struct iom_err *err);
/* SMMU_CMDQ_BASE / SMMU_EVTQ_BASE (ADDR | LOG2SIZE, see smmu_q_base_make);
 * resets the queue's PROD/CONS to 0. LOG2SIZE above 19 is capped (IDR1). */
int iom_smmu_write_cmdq_base(struct iom_smmu *s, uint64_t v, struct iom_err *err);
int iom_smmu_write_evtq_base(struct iom_smmu *s, uint64_t v, struct iom_err *err);
/* SMMU_CR0 (SMMUEN, EVTQEN, CMDQEN) and SMMU_GBPA (ABORT bit 20). */
void iom_smmu_write_cr0(struct iom_smmu *s, uint32_t v);
void iom_smmu_write_gbpa(struct iom_smmu *s, uint32_t v);
/* SMMU_CMDQ_PROD write = doorbell: consume commands up to PROD starting at
 * now_ps; *done_ps = when the last consumed command completed. Returns
 * -IOM_ENOTSUP (with CONS left on the command) for a real command this model
 * does not implement; illegal commands are a hardware outcome
 * (CMDQ_CONS.ERR = CERROR_ILL, consumption stops) and return 0. */
int iom_smmu_write_cmdq_prod(struct iom_smmu *s, uint32_t prod, uint64_t now_ps,
			     uint64_t *done_ps, struct iom_err *err);
uint32_t iom_smmu_read_cmdq_prod(const struct iom_smmu *s);
uint32_t iom_smmu_read_cmdq_cons(const struct iom_smmu *s); /* with ERR [30:24] */
/* SMMU_GERRORN ack of CMDQ_ERR: clears CONS.ERR; software has fixed the
 * command at CONS; consumption resumes at the next doorbell. */
void iom_smmu_ack_cmdq_err(struct iom_smmu *s);
uint32_t iom_smmu_read_evtq_prod(const struct iom_smmu *s); /* with OVFLG bit 31 */
uint32_t iom_smmu_read_evtq_cons(const struct iom_smmu *s);
void iom_smmu_write_evtq_cons(struct iom_smmu *s, uint32_t v); /* with OVACKFLG */
/* Completion time of the most recent CMD_SYNC (0 if none yet). */
uint64_t iom_smmu_last_sync_ps(const struct iom_smmu *s);

/* ---- transactions ---- */
/* Translate one transaction (outcome in t). -IOM_ENOTSUP for configurations
 * the model does not implement (stage 2, 2-level CD tables, TTB1, HTTU). */
int iom_smmu_translate(struct iom_smmu *s, struct iom_txn *t, struct iom_err *err);

/* Counters (plain struct, read by tests). */
struct iom_smmu_stats {
	uint64_t translations, bypassed, aborted, tlb_hits, walks, walk_reads, cfg_reads;
	uint64_t l1_desc_reads; /* L1STD / L1CD fetches (2-level tables), included in cfg_reads */
	uint64_t walk_reads_level[4];
	uint64_t faults;
	uint64_t fault_by_id[256];   /* indexed by event ID */
	uint64_t commands, cmd_by_op[256], cmd_illegal, syncs;
	uint64_t tlbi_dropped;       /* TLB entries invalidated by commands */
	uint64_t walk_cache_dropped; /* walk-cache entries invalidated */
	uint64_t cfg_dropped;        /* config-cache entries invalidated */
	uint64_t events_written, evtq_overflow, events_disabled;
	struct iom_hist hit_latency_ps, miss_latency_ps, walk_latency_ps;
};
const struct iom_smmu_stats *iom_smmu_stats(const struct iom_smmu *s);
struct iom_cache *iom_smmu_tlb(struct iom_smmu *s);
struct iom_cache *iom_smmu_walk_cache(struct iom_smmu *s);
struct iom_cache *iom_smmu_config_cache(struct iom_smmu *s);
/* Registers <prefix>.translations, <prefix>.tlb.*, ... */
int iom_smmu_register_stats(struct iom_smmu *s, struct iom_stats *st, const char *prefix,
			    struct iom_err *err);

/* Name of an event ID ("F_TRANSLATION"), NULL if unknown. */
const char *iom_smmu_event_name(uint32_t id);

#ifdef __cplusplus
}
#endif
#endif
