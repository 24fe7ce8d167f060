/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smmuv3.h - Arm SMMUv3 hardware model, stage-1 slice (IHI0070 G.b).
 *
 * Implemented: linear stream table, STE Config abort/bypass/S1, linear CD
 * tables (S1Fmt=0), SSID handling (S1CDMax/S1DSS), VMSAv8-64 4 KB-granule
 * stage-1 walks through TTB0, TLB + walk cache + configuration cache, the
 * event queue, and every Non-secure command with its architected effect
 * for the ID registers the model advertises (see smmuv3_cmdq.c): CFGI_*,
 * TLBI_NH_*, TLBI_EL2_*, TLBI_S12_VMALL, TLBI_S2_IPA, TLBI_NSNH_ALL with
 * range invalidation (IDR3.RIL per smmu.range_inval), CMD_SYNC with MSI /
 * SEV completion signals, CMD_ATC_INV and CMD_PRI_RESP handed to an
 * installed struct iom_smmu_ats_ops; the rest (EL3, secure, VMS, DPT,
 * stall-model commands) raise CERROR_ILL as the spec requires for this
 * configuration.  Not implemented (rejected with -IOM_ENOTSUP and an
 * iom_unimp diagnostic): stage 2 and nested configs, TTB1 walks, 16K/64K
 * granules, HTTU (CD.HA/HD), stall model.
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
	uint32_t inval_scan_cycles; /* per extra cache set (or range probe) an invalidation visits */
	bool range_inval;     /* IDR3.RIL: range TLBI (TG/NUM/SCALE) and the TTL hint */
	bool msi;             /* IDR0.MSI: CMD_SYNC CS=IRQ writes MSIData to MSIAddress */
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
/* Completion time of the most recent CMD_SYNC MSI write (0 if none yet). */
uint64_t iom_smmu_last_msi_ps(const struct iom_smmu *s);
/* Simulation-side view of SMMU_CMDQ_CONS over time: when the command in
 * queue slot idx was last consumed (the time a driver polling CONS sees it
 * pass that slot). 0 if the slot was never consumed. */
uint64_t iom_smmu_cmdq_consumed_ps(const struct iom_smmu *s, uint32_t idx);
/* SMMU_IDR0..5 (n = 0..5) as this configuration advertises them; 0 otherwise. */
uint32_t iom_smmu_read_idr(const struct iom_smmu *s, unsigned n);

/* ---- ATS / PRI hand-off ----
 * CMD_ATC_INV and CMD_PRI_RESP leave the SMMU on its ATS port; whoever
 * models the root complex and endpoints installs these ops. Without them
 * both commands complete at once (counted in cmd_by_op).
 *  atc_inv   send an ATS Invalidation Request for [addr, addr + 4 KB << size_log2)
 *            (size_log2 52 = everything; addr aligned to the span) to sid, with
 *            PASID ssid if ssv (global: the Global Invalidate flag). *done_ps =
 *            when the completion came back; a later CMD_SYNC waits for it.
 *            Returns 0, 1 if the invalidation timed out (the next CMD_SYNC then
 *            stops with CERROR_ATC_INV_SYNC), or -IOM_E* (simulator failure).
 *  pri_resp  send a PRG Response (resp: SMMU_PRI_RESP_*) for group prgi.
 *            Returns 0 or -IOM_E*. */
struct iom_smmu_ats_ops {
	int (*atc_inv)(void *ctx, uint32_t sid, uint32_t ssid, bool ssv, bool global, uint64_t addr,
		       uint32_t size_log2, uint64_t now_ps, uint64_t *done_ps);
	int (*pri_resp)(void *ctx, uint32_t sid, uint32_t ssid, bool ssv, uint32_t prgi,
			uint32_t resp, uint64_t now_ps);
};
/* Install (or with ops NULL remove) the ATS/PRI hooks; ops must outlive the model. */
void iom_smmu_set_ats_ops(struct iom_smmu *s, const struct iom_smmu_ats_ops *ops, void *ctx);

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
	uint64_t cmd_ignored;        /* ATC_INV / PRI_RESP IGNORED (SMMUEN = 0) */
	uint64_t sync_msi_writes;    /* CMD_SYNC CS=IRQ MSI writes */
	uint64_t sync_irqs;          /* CMD_SYNC CS=IRQ without an MSI (wired interrupt) */
	uint64_t sync_sevs;          /* CMD_SYNC CS=SEV events */
	uint64_t range_tlbis;        /* TLBI commands with TG != 0 */
	uint64_t inval_steps;        /* cache sets / range probes visited beyond the first */
	uint64_t tlbi_dropped;       /* TLB entries invalidated by commands */
	uint64_t walk_cache_dropped; /* walk-cache entries invalidated */
	uint64_t cfg_dropped;        /* config-cache entries invalidated */
	uint64_t events_written, evtq_overflow, events_disabled;
	struct iom_hist hit_latency_ps, miss_latency_ps, walk_latency_ps;
	struct iom_hist sync_latency_ps; /* doorbell to CMD_SYNC completion */
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
