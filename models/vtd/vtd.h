/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vtd.h - Intel VT-d DMA-remapping hardware model (Intel Virtualization
 * Technology for Directed I/O, Architecture Specification rev. 3.x / 4.x).
 *
 * Implemented: legacy mode (root / context tables, TT second-level or
 * pass-through) and scalable mode (scalable root / context entries, PASID
 * directory and PASID tables, RID_PASID, PGTT first-level, second-level,
 * nested and pass-through); x86-64 first-level 4/5-level and second-level
 * 3/4/5-level walks (models/pgtable x86.c) with superpages limited by
 * CAP.SLLPS / CAP.FL1GP and A/D updates (first level always, second level
 * with SLADE); context cache, PASID cache, IOTLB (DID + PASID tagged, 4K/2M/
 * 1G), one paging-structure cache per level; the invalidation queue with
 * 128- and 256-bit descriptors; primary fault logging in the fault-recording
 * registers.  Capabilities come from the configuration (CAP / ECAP are
 * composed from it) and are enforced.  Not implemented: register-based
 * invalidation (CCMD/IOTLB registers; QI is required), interrupt remapping
 * (IEC descriptors are accepted as no-ops), advanced fault logging, page
 * requests (PRS).  ATS (chapter 4; vtd_ats.c): Translation Requests and
 * Translated requests with TT = 01b / DTE; device-TLB invalidations reach
 * an ATS model through struct iom_vtd_devtlb_ops (or a root complex's port:
 * iom_vtd_set_ats_port()), a timed-out one sets FSTS.ITE.
 *
 * Ownership: the model owns its caches and register shadows; memory belongs
 * to the caller and must outlive the model.  Register functions stand in for
 * MMIO writes.  Faults are outcomes (status + fault reason + a fault record),
 * never simulator errors.
 */
#ifndef IOM_MODELS_VTD_H
#define IOM_MODELS_VTD_H

#include "cache.h"
#include "iom.h"
#include "iommu.h"
#include "stats.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

struct iom_mem;
struct iom_config;
struct iom_prop_table;

/* Hardware configuration.  The capability fields default to the Broadwell
 * Xeon E5-2630 v4 DMAR unit (cap 0x8d2078c106f0466, ecap 0xf020df, host
 * address width 46): legacy mode only, 4-level second level, 2 MB and 1 GB
 * superpages, PSI with MAMV 18, 8 fault-recording registers. */
struct iom_vtd_cfg {
	uint32_t clock_mhz;
	/* CAP */
	uint32_t nd;       /* 0..6: 2^(4+2*ND) domain IDs */
	uint32_t sagaw;    /* bit mask: 2 = 39-bit (3-level), 4 = 48 (4), 8 = 57 (5) */
	uint32_t mgaw;     /* maximum guest address width, bits */
	uint32_t sllps;    /* bit 0: 2 MB, bit 1: 1 GB second-level pages */
	uint32_t nfr;      /* fault-recording registers, 1..256 */
	uint32_t mamv;     /* maximum address-mask value of PSI */
	bool psi;          /* page-selective IOTLB invalidation */
	bool cm;           /* caching mode */
	bool fl1gp, fl5lp; /* first level: 1 GB pages, 5-level paging */
	/* ECAP */
	bool qi, dt, pt, sc, nest, prs, ers, srs, pasid, smts, slads, slts, flts;
	uint32_t pss; /* PASID width in bits (ECAP.PSS + 1) when pasid */
	uint32_t haw; /* host address width (ACPI DMAR), bits */
	/* micro-architecture */
	uint32_t walk_slots;    /* concurrent page walks */
	uint32_t dsc_cycles;    /* execution of one invalidation descriptor after its fetch */
	uint32_t wait_cycles;   /* execution of one wait descriptor */
	uint32_t devtlb_cycles; /* device-TLB descriptor completion when no ATS model answers */
	struct iom_cache_cfg context_cache, pasid_cache, iotlb;
	struct iom_cache_cfg psc[4]; /* PML5E, PML4E, PDPTE, PDE caches */
};

extern const struct iom_prop_table iom_vtd_prop_table; /* "vtd" */

/* All VT-d property tables ("vtd", "vtd.context_cache", "vtd.pasid_cache",
 * "vtd.iotlb", "vtd.pml5e_cache", ..., "vtd.driver"); *n receives the count. */
const struct iom_prop_table *const *iom_vtd_prop_tables(size_t *n);
void iom_vtd_cfg_default(struct iom_vtd_cfg *out);
/* Bind the hardware sections (not "vtd.driver": see vtd_drv.h). */
int iom_vtd_cfg_bind(struct iom_config *c, struct iom_vtd_cfg *out, struct iom_err *err);
/* CAP / ECAP register values a configuration gives. */
uint64_t iom_vtd_cfg_cap(const struct iom_vtd_cfg *c);
uint64_t iom_vtd_cfg_ecap(const struct iom_vtd_cfg *c);

struct iom_vtd;

/* The device-TLB side of type-3 / type-8 descriptors, filled by the ATS
 * model: send one invalidation request to the endpoint `sid` at now_ps;
 * *done_ps receives when its completion message arrived.  Returns 0, 1 if it
 * timed out (*done_ps = when the hardware gave up: FSTS.ITE, the waits after
 * it are aborted), or -IOM_E*. */
struct iom_vtd_devtlb_ops {
	int (*invalidate)(void *ctx, uint32_t sid, bool pasid_valid, uint32_t pasid, bool global,
	                  uint64_t addr, bool size_bit, uint64_t now_ps, uint64_t *done_ps,
	                  struct iom_err *err);
	void *ctx;
};

/* Create a model (translation disabled: GSTS.TES = 0 -> requests pass
 * untranslated). name ("dmar0") prefixes its memory requesters. */
struct iom_vtd *iom_vtd_create(const struct iom_vtd_cfg *cfg, struct iom_mem *mem, const char *name,
                               struct iom_err *err);
void iom_vtd_destroy(struct iom_vtd *v);
const char *iom_vtd_name(const struct iom_vtd *v);
uint64_t iom_vtd_period_ps(const struct iom_vtd *v);
const struct iom_vtd_cfg *iom_vtd_config(const struct iom_vtd *v);
void iom_vtd_set_devtlb_ops(struct iom_vtd *v, const struct iom_vtd_devtlb_ops *ops);
/* Device-TLB descriptors to a root complex's ATS port (iommu.h; NULL removes). */
void iom_vtd_set_ats_port(struct iom_vtd *v, const struct iom_ats_port *port);
/* Called after a fault was recorded while FECTL.IM = 0 (the fault event
 * interrupt): the driver's handler reads and clears the records. */
void iom_vtd_set_fault_handler(struct iom_vtd *v, void (*fn)(void *ctx), void *ctx);

/* ---- registers (chapter 11) ---- */
uint64_t iom_vtd_read_cap(const struct iom_vtd *v);
uint64_t iom_vtd_read_ecap(const struct iom_vtd *v);
/* RTADDR_REG: RTA [63:12] | TTM [11:10]; latched by GCMD.SRTP. -IOM_EINVAL
 * for TTM = 10 (reserved) or scalable mode without ECAP.SMTS. */
int iom_vtd_write_rtaddr(struct iom_vtd *v, uint64_t val, struct iom_err *err);
/* GCMD_REG: SRTP latches RTADDR, TE enables translation, QIE enables the
 * invalidation queue (needs IQA). One-shot bits act on every write. */
int iom_vtd_write_gcmd(struct iom_vtd *v, uint32_t val, struct iom_err *err);
uint32_t iom_vtd_read_gsts(const struct iom_vtd *v);
/* IQA_REG (only while QIE = 0): base | DW | QS; resets IQH/IQT to 0.
 * -IOM_EINVAL for DW = 1 without scalable-mode support. */
int iom_vtd_write_iqa(struct iom_vtd *v, uint64_t val, struct iom_err *err);
/* IQT_REG write = doorbell: consume descriptors from IQH to the new tail
 * starting at now_ps; *done_ps = when the last consumed descriptor finished
 * (a wait descriptor: its status write).  An invalid descriptor is a
 * hardware outcome (FSTS.IQE, IQERCD, IQH stays on it) and returns 0. */
int iom_vtd_write_iqt(struct iom_vtd *v, uint64_t tail, uint64_t now_ps, uint64_t *done_ps,
                      struct iom_err *err);
uint64_t iom_vtd_read_iqh(const struct iom_vtd *v);
uint64_t iom_vtd_read_iqt(const struct iom_vtd *v);
uint64_t iom_vtd_read_iqercd(const struct iom_vtd *v);
uint32_t iom_vtd_read_ics(const struct iom_vtd *v);
void iom_vtd_write_ics(struct iom_vtd *v, uint32_t val); /* RW1C */
uint32_t iom_vtd_read_fsts(const struct iom_vtd *v);
void iom_vtd_write_fsts(struct iom_vtd *v, uint32_t val); /* RW1C: PFO, IQE, ICE, ITE */
void iom_vtd_write_fectl(struct iom_vtd *v, uint32_t val);
/* Fault-recording register i (0 .. NFR-1): lo = FI, hi = the upper 64 bits. */
void iom_vtd_read_frcd(const struct iom_vtd *v, uint32_t i, uint64_t *lo, uint64_t *hi);
/* Write 1 to F of register i (clears the record; PPF follows). */
void iom_vtd_clear_frcd(struct iom_vtd *v, uint32_t i);
/* Completion time of the most recent wait descriptor (0 if none). */
uint64_t iom_vtd_last_wait_ps(const struct iom_vtd *v);

/* ---- transactions ---- */
/* t->at: untranslated, or Translated (ATS): legacy TT = 01b / scalable DTE = 1 let it pass
 * as a host physical address; TT = 00b -> 0x0D, DTE = 0 -> 0x44 (recorded, blocked). */
int iom_vtd_translate(struct iom_vtd *v, struct iom_txn *t, struct iom_err *err);
/* An ATS Translation Request (vtd_ats.c): UR for translation disabled (TES = 0) and,
 * with the fault recorded, for every root / context / PASID-entry fault (TT = 00b: 0x0D,
 * DTE = 0: 0x44 ...); CA, recorded, for reserved bits or a fetch error in the paging
 * structures; Success with R = W = 0 (4 KB, not recorded) for a page not present, beyond
 * the address width, non-canonical or without the privilege; else Success with the
 * permissions of the translation (R, W, Exe when requested and allowed, Priv echoed) and
 * its page (nested: the smaller of both levels). */
int iom_vtd_ats_translate(struct iom_vtd *v, struct iom_ats_req *r, struct iom_err *err);

struct iom_vtd_stats {
	uint64_t translations, bypassed, passthrough, blocked;
	uint64_t iotlb_hits, walks, walk_reads, cfg_reads;
	uint64_t root_reads, ctx_reads, pasid_dir_reads, pasid_entry_reads;
	uint64_t walk_reads_level[5]; /* PML5, PML4, PDPT, PD, PT (first and second level) */
	uint64_t nested_sl_reads; /* second-level reads translating first-level table pointers */
	uint64_t a_updates, d_updates, ad_rmws;
	uint64_t faults, faults_recorded, faults_overflow, faults_fpd;
	uint64_t fault_by_reason[256];
	uint64_t descriptors, dsc_by_type[16], waits, qi_errors, qi_fetch_reads;
	uint64_t status_writes, iec_ignored, devtlb_invalidations;
	uint64_t ats_tr, ats_tr_ur, ats_tr_ca, ats_tr_noaccess; /* Translation Requests */
	uint64_t ats_translated, devtlb_timeouts, waits_aborted;
	uint64_t iotlb_dropped, psc_dropped, cc_dropped, pc_dropped;
	struct iom_hist hit_latency_ps, miss_latency_ps, walk_latency_ps, wait_latency_ps;
};
const struct iom_vtd_stats *iom_vtd_stats(const struct iom_vtd *v);
struct iom_cache *iom_vtd_iotlb(struct iom_vtd *v);
struct iom_cache *iom_vtd_context_cache(struct iom_vtd *v);
struct iom_cache *iom_vtd_pasid_cache(struct iom_vtd *v);
/* Paging-structure cache of level 0 (PML5E) .. 3 (PDE). */
struct iom_cache *iom_vtd_psc(struct iom_vtd *v, unsigned level);
int iom_vtd_register_stats(struct iom_vtd *v, struct iom_stats *st, const char *prefix,
                           struct iom_err *err);

/* Short name of a fault reason ("SL_NP"), NULL if the model never reports it. */
const char *iom_vtd_fault_name(uint32_t reason);
/* Name of a descriptor type ("IOTLB"), NULL if unknown. */
const char *iom_vtd_dsc_name(uint32_t type);

#ifdef __cplusplus
}
#endif
#endif
