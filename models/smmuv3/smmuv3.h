/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smmuv3.h - Arm SMMUv3 hardware model (IHI0070 G.b), Non-secure, NS-EL1 streams.
 *
 * Implemented: linear and 2-level stream tables, STE Config abort / bypass / stage 1 /
 * stage 2 / nested, linear and 2-level CD tables, SSID handling (S1CDMax/S1DSS),
 * VMSAv8-64 stage 1 (TTB0 and TTB1) and stage 2 walks with the 4 KB, 16 KB and 64 KB
 * granules (52-bit addresses with 64 KB when smmu.oas_bits = 52), nested translation
 * (CD, L1CD and every stage-1 table address translated by stage 2), HTTU (CD.HA/HD,
 * STE.S2HA/S2HD), a TLB, an IPA cache, per-stage walk caches, a configuration cache and
 * optional per-StreamID micro-TLBs, every translation and configuration event with its
 * record, and every Non-secure command with its architected effect for the ID registers
 * the model advertises (see smmuv3_cmdq.c), PCIe ATS Translation Requests and Translated
 * transactions (smmuv3_ats.c). Not implemented (rejected with -IOM_ENOTSUP and an
 * iom_unimp diagnostic): StreamWorld EL2 / EL2-E2H (STE.STRW = 0b10), split-stage ATS
 * (STE.EATS = 0b10), the stall model (IDR0.STALL_MODEL = 0b01, so CD.S / STE.S2S = 1
 * are ILLEGAL), VMSAv8-32 tables (IDR0.TTF = AArch64 only, so AA64 = 0 is ILLEGAL),
 * FEAT_LPA2 (CD.DS / STE.S2DS).
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
	uint32_t oas_bits;    /* IDR5.OAS: 32, 36, 40, 42, 44, 48 or 52 (52: IDR5.VAX = 1 too) */
	uint32_t httu;        /* IDR0.HTTU: 0 none, 1 access flag, 2 access flag + dirty state */
	uint32_t walk_cache_levels; /* bit l: table descriptors of level l go to the walk caches */
	bool atschk;          /* SMMU_CR0.ATSCHK as the driver programs it (Linux: 0) */
	struct iom_cache_cfg tlb;
	struct iom_cache_cfg walk_cache;    /* stage 1 (and nested stage-1) table descriptors */
	struct iom_cache_cfg s2_walk_cache; /* stage-2 table descriptors */
	struct iom_cache_cfg ipa_cache;     /* stage-2 leaf translations inside nested walks */
	struct iom_cache_cfg utlb;          /* per-StreamID micro-TLB (entries 0 = none) */
	struct iom_cache_cfg config_cache;
};

extern const struct iom_prop_table iom_smmu_prop_table;         /* "smmu" */
extern const struct iom_prop_table iom_smmu_tlb_prop_table;     /* "smmu.tlb" */
extern const struct iom_prop_table iom_smmu_walk_cache_prop_table; /* "smmu.walk_cache" */
extern const struct iom_prop_table iom_smmu_config_cache_prop_table; /* "smmu.config_cache" */
extern const struct iom_prop_table iom_smmu_s2_walk_cache_prop_table; /* "smmu.s2_walk_cache" */
extern const struct iom_prop_table iom_smmu_ipa_cache_prop_table;   /* "smmu.ipa_cache" */
extern const struct iom_prop_table iom_smmu_utlb_prop_table;        /* "smmu.utlb" */

/* All SMMU property tables (for docs / --defaults); *n receives the count. */
const struct iom_prop_table *const *iom_smmu_prop_tables(size_t *n);
/* Fill *out with the built-in defaults. */
void iom_smmu_cfg_default(struct iom_smmu_cfg *out);
/* Bind "smmu" and every "smmu.<cache>" section. */
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
/* Route CMD_ATC_INV to a root complex's ATS port (iommu.h; NULL removes the hooks); the
 * port must outlive the model. PRI responses are not forwarded. */
void iom_smmu_set_ats_port(struct iom_smmu *s, const struct iom_ats_port *port);

/* ---- PCIe ATS (3.9.1, 13.6, 13.7; smmuv3_ats.c) ----
 * An ATS Translation Request: UR with F_BAD_ATS_TREQ when SMMUEN = 0, STE.Config = 0b100
 * or the effective EATS is 0b00 (UR without an event for Config = 0b000); CA for a
 * configuration error (no event: SMMU_CR2.REC_CFG_ATS = 0); Success with R = W = 0 and
 * the STU (4 KB) for a translation, address-size or access fault at either stage, or a
 * stage-2 permission fault on a CD / table fetch; otherwise Success with the permissions
 * the tables grant at the request's privilege (13.7.1, no INSTCFG/PRIVCFG overrides), the
 * range of the TLB entry (nested: the smaller leaf of both stages) and HTTU updates for NW.
 * A stage-1-only STE whose S1DSS bypasses answers a request without PASID with an
 * identity range of the OAS, R = W = 1 (13.6.4). Translated transactions (iom_txn.at =
 * IOM_TXN_AT_TRANSLATED): F_TRANSL_FORBIDDEN when SMMUEN = 0; with CR0.ATSCHK = 1 the STE
 * is checked (Config 0b000: abort; 0b100 or EATS 0b00: F_TRANSL_FORBIDDEN; configuration
 * errors abort unrecorded); then the address passes through as a PA, aborted without an
 * event beyond the OAS (3.9.1.1). */
int iom_smmu_ats_translate(struct iom_smmu *s, struct iom_ats_req *r, struct iom_err *err);

/* ---- transactions ---- */
/* Translate one transaction (outcome in t). -IOM_ENOTSUP for configurations
 * the model does not implement (StreamWorld EL2, LPA2). */
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
	uint64_t s2_walks;           /* stage-2 walks (stage-2-only, nested table / CD / output) */
	uint64_t s2_walk_reads;      /* their descriptor reads (part of walk_reads) */
	uint64_t faults_s2;          /* faults recorded as stage 2 (event S2 = 1) */
	uint64_t httu_af_updates;    /* descriptors whose AF the SMMU set (HA / S2HA) */
	uint64_t httu_dirty_updates; /* descriptors the SMMU made writable-dirty (HD / S2HD) */
	uint64_t httu_rmws;          /* timed read-modify-writes those updates cost */
	uint64_t httu_rewalks;       /* writes that hit a writable-clean TLB / IPA-cache entry */
	uint64_t utlb_hits, utlb_misses, utlb_flushes;
	uint64_t ats_tr;             /* ATS Translation Requests */
	uint64_t ats_tr_ur, ats_tr_ca;   /* answered Unsupported Request / Completer Abort */
	uint64_t ats_tr_noaccess;    /* answered Success with R = W = Exe = 0 */
	uint64_t ats_translated;     /* Translated transactions passed through */
	uint64_t ats_translated_aborted; /* Translated transactions aborted */
	uint64_t atc_sync_errors;    /* CMD_SYNCs stopped by an ATC invalidation timeout */
	struct iom_hist hit_latency_ps, miss_latency_ps, walk_latency_ps;
	struct iom_hist sync_latency_ps; /* doorbell to CMD_SYNC completion */
};
const struct iom_smmu_stats *iom_smmu_stats(const struct iom_smmu *s);
const struct iom_smmu_cfg *iom_smmu_config(const struct iom_smmu *s);
struct iom_cache *iom_smmu_tlb(struct iom_smmu *s);
struct iom_cache *iom_smmu_walk_cache(struct iom_smmu *s);
struct iom_cache *iom_smmu_config_cache(struct iom_smmu *s);
struct iom_cache *iom_smmu_s2_walk_cache(struct iom_smmu *s);
struct iom_cache *iom_smmu_ipa_cache(struct iom_smmu *s);
/* Co-simulation hook (process-wide, NULL = none): called with the TLB of every SMMU
 * created afterwards, empty, before its first use, e.g. to put the Verilated RTL IOTLB in
 * its place (models/rtl). A non-zero return fails iom_smmu_create() with err. */
typedef int (*iom_smmu_tlb_hook)(struct iom_cache *tlb, void *ctx, struct iom_err *err);
void iom_smmu_set_tlb_hook(iom_smmu_tlb_hook fn, void *ctx);
/* Registers <prefix>.translations, <prefix>.tlb.*, ... */
int iom_smmu_register_stats(struct iom_smmu *s, struct iom_stats *st, const char *prefix,
			    struct iom_err *err);

/* Name of an event ID ("F_TRANSLATION"), NULL if unknown. */
const char *iom_smmu_event_name(uint32_t id);

#ifdef __cplusplus
}
#endif
#endif
