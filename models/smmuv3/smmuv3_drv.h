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
 * and CMDQ_CONS polling), 2-level stream / CD tables when IDR0.ST_LEVEL /
 * CD2L allow (or forced), 16-bit ASIDs / VMIDs when IDR0.ASID16 / VMID16.
 * STE and CD updates are Linux's hitless / breaking sequences (below).
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

/* Stream-table and CD-table formats the driver may use. AUTO is Linux's
 * choice: a 2-level stream table (SPLIT 8, Span 9: 256-STE leaves allocated
 * lazily) when SMMU_IDR0.ST_LEVEL says 2-level and SIDSIZE > 8 (else the
 * linear table fits in one leaf); a 2-level CD table (S1Fmt = 64 KB leaves
 * of 1024 CDs, allocated lazily) when IDR0.CD2L and S1CDMax > 10. LINEAR and
 * 2LVL force a format (the model reads both whatever IDR0 says: for studies). */
enum iom_smmu_drv_tab { IOM_SMMU_DRV_TAB_AUTO = 0, IOM_SMMU_DRV_TAB_LINEAR, IOM_SMMU_DRV_TAB_2LVL };

struct iom_smmu_drv_opts {
	uint32_t strtab; /* enum iom_smmu_drv_tab */
	uint32_t cdtab;  /* enum iom_smmu_drv_tab */
};

/* Allocate the stream table (linear: 2^sid_bits STEs, all V=1 Config=abort,
 * as Linux initialises unused STEs; 2-level: the L1 table only, every L1STD
 * Span 0), a command queue of 2^cmdq_log2 and an event queue of 2^evtq_log2
 * entries; program the registers; enable (CR0 = SMMUEN | EVTQEN | CMDQEN).
 * opts NULL = AUTO for both. */
struct iom_smmu_drv *iom_smmu_drv_create_opts(struct iom_smmu *smmu, struct iom_mem *mem,
					      struct iom_palloc *pa, uint32_t sid_bits,
					      uint32_t cmdq_log2, uint32_t evtq_log2,
					      const struct iom_smmu_drv_opts *opts,
					      struct iom_err *err);
/* The same with opts NULL. */
struct iom_smmu_drv *iom_smmu_drv_create(struct iom_smmu *smmu, struct iom_mem *mem,
					 struct iom_palloc *pa, uint32_t sid_bits,
					 uint32_t cmdq_log2, uint32_t evtq_log2,
					 struct iom_err *err);
/* Change the formats at boot: the stream table is rebuilt (SMMUEN off, new
 * table, registers, SMMUEN on; functional, untimed). -IOM_EBUSY once an STE
 * or CD has been written. */
int iom_smmu_drv_set_opts(struct iom_smmu_drv *drv, const struct iom_smmu_drv_opts *opts,
			  struct iom_err *err);
void iom_smmu_drv_destroy(struct iom_smmu_drv *drv);
struct iom_smmu *iom_smmu_drv_smmu(struct iom_smmu_drv *drv);
/* The memory its tables live in. */
struct iom_mem *iom_smmu_drv_mem(const struct iom_smmu_drv *drv);
/* PA of the stream table (linear) or of its level-1 table (2-level). */
uint64_t iom_smmu_drv_strtab(const struct iom_smmu_drv *drv);
/* SMMU_STRTAB_BASE_CFG.FMT in use (SMMU_STRTAB_FMT_LINEAR / _2LVL). */
uint32_t iom_smmu_drv_strtab_fmt(const struct iom_smmu_drv *drv);
/* PA of the STE of sid (0 if its level-2 table is not allocated yet). */
uint64_t iom_smmu_drv_ste_pa(const struct iom_smmu_drv *drv, uint32_t sid);
/* PA of the CD table of a stream (STE.S1ContextPtr: linear table or L1 CD
 * table) if its STE is stage 1 or nested, else 0. */
uint64_t iom_smmu_drv_cd_table(struct iom_smmu_drv *drv, uint32_t sid);
/* PA of CD ssid of sid's CD table (0 if no table or its leaf is not allocated). */
uint64_t iom_smmu_drv_cd_pa(const struct iom_smmu_drv *drv, uint32_t sid, uint32_t ssid);
/* PA of the command queue (tests read the commands back). */
uint64_t iom_smmu_drv_cmdq_pa(const struct iom_smmu_drv *drv);
/* ASID / VMID width the driver allocates in (IDR0.ASID16 / VMID16: 16, else 8). */
uint32_t iom_smmu_drv_asid_bits(const struct iom_smmu_drv *drv);
uint32_t iom_smmu_drv_vmid_bits(const struct iom_smmu_drv *drv);

/* STE and CD updates follow Linux's arm_smmu_write_entry() (v6.9+): the
 * driver computes, from the current entry in memory and the target, which
 * 64-bit words hold bits the SMMU uses (STE: by Config; CD: every bit when
 * V=1, only V otherwise) and must change:
 *  none     write the target's words (no used bit changes);
 *  one      hitless: first every word whose changing bits the current entry
 *           does not use, then the one "critical" word, then the words whose
 *           bits only the old entry used;
 *  several  breaking: word 0 = 0 (V=0), the other words, then word 0.
 * Each step that changes memory is followed by CMD_CFGI_STE (Leaf=1) or
 * CMD_CFGI_CD (Leaf=1) + CMD_SYNC, waited for. So the SMMU sees only the
 * old entry, the new one, or (breaking) an invalid one (C_BAD_STE/C_BAD_CD).
 * A 2-level table's leaf is allocated when an entry in its span is first
 * written (STEs initialised to abort), its L1 descriptor written (L1STD Span
 * 9 / L1CD V=1) and invalidated with the non-leaf CFGI (Leaf=0) + CMD_SYNC.
 * *done_ps = when the last CMD_SYNC completed. */
int iom_smmu_drv_ste_bypass(struct iom_smmu_drv *drv, uint32_t sid, uint64_t now_ps,
			    uint64_t *done_ps, struct iom_err *err);
/* Abort; the stream's CD table (if any) is freed once the STE no longer points at it. */
int iom_smmu_drv_ste_abort(struct iom_smmu_drv *drv, uint32_t sid, uint64_t now_ps,
			   uint64_t *done_ps, struct iom_err *err);
/* Make sure sid has a CD table of 2^s1cdmax CDs (1 if 0), all V=0; a table of
 * another size is replaced (freed once no STE points at it). Functional. */
int iom_smmu_drv_cd_alloc(struct iom_smmu_drv *drv, uint32_t sid, uint32_t s1cdmax,
			  struct iom_err *err);
/* Stage-1 STE (S1DSS s1dss, S1CIR/S1COR WBRA, S1CSH ISH, STRW NS-EL1) over
 * the stream's CD table, allocated first (iom_smmu_drv_cd_alloc) if needed. */
int iom_smmu_drv_ste_s1(struct iom_smmu_drv *drv, uint32_t sid, uint32_t s1cdmax, uint32_t s1dss,
			uint64_t now_ps, uint64_t *done_ps, struct iom_err *err);
/* The stage-2 half of a nested STE (arm_smmu_make_s2_domain_ste): S2VMID,
 * S2T0SZ, S2SL0, S2TG of granule_shift, S2PS (ps_bits), S2AA64, S2R, S2TTB. */
struct iom_smmu_drv_s2_cfg {
	uint16_t vmid;
	uint64_t ttb;           /* PA of the stage-2 start table(s) */
	uint32_t t0sz, sl0;
	uint32_t granule_shift; /* 0 = 12 */
	uint32_t ps_bits;       /* 0 = 48 */
	bool hd;                /* S2HA + S2HD: hardware dirty state of stage 2 (VM dirty tracking) */
};
/* Nested STE (Config 0b111) over the stream's CD table: the CD table, the
 * CDs' TTB0 and the stage-1 tables are IPAs that stage 2 translates; TLB
 * entries are tagged with the VMID (invalidate with inv->tag VMID set). */
int iom_smmu_drv_ste_nested(struct iom_smmu_drv *drv, uint32_t sid, uint32_t s1cdmax,
			    uint32_t s1dss, const struct iom_smmu_drv_s2_cfg *s2, uint64_t now_ps,
			    uint64_t *done_ps, struct iom_err *err);
/* A stage-1 CD as arm_smmu_make_s1_cd(): V, T0SZ, TG0 of granule_shift
 * (12, 14 or 16), IRGN0/ORGN0 WBWA, SH0 inner, EPD1, IPS (ips_bits), AA64,
 * R, A, ASET, ASID, TTB0, MAIR0/1 of io-pgtable-arm. */
struct iom_smmu_drv_cd_cfg {
	uint16_t asid;
	uint64_t ttb0;
	uint32_t t0sz;
	uint32_t granule_shift; /* 0 = 12 */
	uint32_t ips_bits;      /* 0 = 48 */
	bool shared_asid;       /* SVA with the CPU's ASID (arm_smmu_alloc_shared_cd, v5.11+):
	                         * ASET = 0, the ASID takes part in broadcast TLB maintenance */
	bool hd;                /* HA + HD: a domain allocated with dirty tracking
	                         * (arm_smmu_make_s1_cd with IO_PGTABLE_QUIRK_ARM_HD) */
};
int iom_smmu_drv_cd_write(struct iom_smmu_drv *drv, uint32_t sid, uint32_t ssid,
			  const struct iom_smmu_drv_cd_cfg *cd, uint64_t now_ps, uint64_t *done_ps,
			  struct iom_err *err);
/* 4 KB granule, 48-bit IPS: iom_smmu_drv_cd_write() with those. The stream
 * must have a CD table (iom_smmu_drv_cd_alloc or iom_smmu_drv_ste_s1). */
int iom_smmu_drv_cd(struct iom_smmu_drv *drv, uint32_t sid, uint32_t ssid, uint16_t asid,
		    uint64_t ttb0, uint32_t t0sz, uint64_t now_ps, uint64_t *done_ps,
		    struct iom_err *err);
/* CD := all zero (V=0). */
int iom_smmu_drv_cd_clear(struct iom_smmu_drv *drv, uint32_t sid, uint32_t ssid, uint64_t now_ps,
			  uint64_t *done_ps, struct iom_err *err);

/* Every 8-byte store the driver makes to an STE, a CD or an L1 descriptor is
 * reported here, after it reached memory and before the CFGI that follows
 * it: a test can translate between any two stores (flushing the config
 * cache first so the SMMU re-reads memory) and check what it sees. A new
 * leaf table's initialisation is reported as one store of kind L2STRTAB. */
enum iom_smmu_drv_store_kind {
	IOM_SMMU_DRV_STORE_STE = 0,
	IOM_SMMU_DRV_STORE_CD,
	IOM_SMMU_DRV_STORE_L1STD,
	IOM_SMMU_DRV_STORE_L1CD,
	IOM_SMMU_DRV_STORE_L2STRTAB,
};
struct iom_smmu_drv_store {
	uint32_t kind; /* enum iom_smmu_drv_store_kind */
	uint32_t sid, ssid;
	uint32_t word; /* STE/CD: 0..7; else 0 */
	uint64_t pa;   /* address written */
	uint64_t value;
	uint64_t done_ps; /* when the store completed */
};
void iom_smmu_drv_set_store_hook(struct iom_smmu_drv *drv,
				 void (*fn)(void *ctx, const struct iom_smmu_drv_store *s),
				 void *ctx);

/* What the most recent STE/CD update did (tests, studies). */
struct iom_smmu_drv_update {
	uint32_t kind;      /* IOM_SMMU_DRV_STORE_STE or _CD */
	uint32_t qwords;    /* 8-byte stores to the entry */
	uint32_t syncs;     /* CMD_SYNCs it issued (incl. an L1 descriptor's) */
	uint32_t cfgis;     /* CMD_CFGI_* it issued */
	uint32_t used_diff; /* bit i: word i's used bits had to change */
	bool hitless;       /* no V=0 step */
	bool breaking;      /* went through V=0 */
	bool l1_written;    /* a new leaf table was hooked in first */
};
const struct iom_smmu_drv_update *iom_smmu_drv_last_update(const struct iom_smmu_drv *drv);

/* The CMD_TLBI_NH_VA commands of Linux's __arm_smmu_tlb_inv_range() for
 * [iova, iova+size) of ASID asid (VMID 0), granule = the leaf size:
 *  range = false: one command per granule, TG = 0;
 *  range = true (the SMMU has RIL): TG = the translation granule tg the leaf
 *      size belongs to (4 KB for 4K/2M/1G, 16 KB for 16K/32M, 64 KB for
 *      64K/512M leaves), pages of 2^tg; TTL = 4 - (log2(granule) - 3) / (tg - 3)
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
/* CMD_TLBI_S12_VMALL of vmid + CMD_SYNC (every entry of the VM, both stages). */
int iom_smmu_drv_tlbi_s12_vmall(struct iom_smmu_drv *drv, uint16_t vmid, uint64_t now_ps,
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
	uint64_t ste_writes, cd_writes; /* STE / CD updates (entries rewritten) */
	uint64_t ste_qwords, cd_qwords; /* their 8-byte stores */
	uint64_t cfgi_cmds;             /* CMD_CFGI_* written */
	uint64_t cfg_syncs;             /* CMD_SYNCs of STE/CD/L1 updates */
	uint64_t hitless_updates;       /* updates with no V=0 step (some word changed) */
	uint64_t breaking_updates;      /* updates through V=0 */
	uint64_t l1_desc_writes;        /* L1STD / L1CD stores (a new leaf table) */
	uint64_t l2_strtabs, l2_cdtabs; /* leaf tables allocated */
	uint64_t events_read;
	uint64_t range_cmds;        /* TLBI commands with a range (TG != 0) */
	uint64_t sync_msi_polls;    /* CMD_SYNC completions seen through the MSI write */
	uint64_t cmdq_full_stalls;  /* waits for command-queue space */
	uint64_t cmdq_full_wait_ps; /* time spent in them */
	uint64_t atc_inv_cmds;      /* CMD_ATC_INV written */
	uint64_t atc_sync_retries;  /* CMD_SYNCs run again after CERROR_ATC_INV_SYNC */
};
const struct iom_smmu_drv_stats *iom_smmu_drv_stats(const struct iom_smmu_drv *drv);

/* ---- ATS, as Linux's arm_smmu_attach_prepare/commit and arm_smmu_atc_inv_*() ----
 * The root complex's ATS port (also installed on the model for CMD_ATC_INV; the
 * common interface's set_ats_port op calls this). */
void iom_smmu_drv_set_ats_port(struct iom_smmu_drv *drv, const struct iom_ats_port *port);
/* arm_smmu_ats_supported(): IDR0.ATS, a port, and the function has ATS. */
bool iom_smmu_drv_ats_supported(const struct iom_smmu_drv *drv, uint32_t sid);
/* ATS is enabled in the function (master->ats_enabled). */
bool iom_smmu_drv_ats_enabled(const struct iom_smmu_drv *drv, uint32_t sid);
/* STEs of sid written from now on (stage 1 / nested) carry EATS = 0b01 (eats) or 0b00. */
int iom_smmu_drv_set_eats(struct iom_smmu_drv *drv, uint32_t sid, bool eats,
			  struct iom_err *err);
/* The STE of sid in memory has EATS = 0b01. */
bool iom_smmu_drv_ste_eats(const struct iom_smmu_drv *drv, uint32_t sid);
/* on: arm_smmu_enable_ats(): CMD_ATC_INV of the whole ATC (no PASID) + CMD_SYNC, then
 * ATS Enable with STU = 4 KB through the port; off: pci_disable_ats(). */
int iom_smmu_drv_ats_enable(struct iom_smmu_drv *drv, uint32_t sid, bool on, uint64_t now_ps,
			    uint64_t *done_ps, struct iom_err *err);
/* arm_smmu_atc_inv_master(): CMD_ATC_INV of (sid, ssid)'s whole ATC (ssid 0: no PASID
 * prefix, i.e. every entry) + CMD_SYNC. */
int iom_smmu_drv_atc_inv_master(struct iom_smmu_drv *drv, uint32_t sid, uint32_t ssid,
				uint64_t now_ps, uint64_t *done_ps, struct iom_err *err);
/* (sid, ssid) is attached with ATS to the domain whose invalidations carry tag (ASID |
 * VMID << 16): range / domain / all invalidations send it CMD_ATC_INV after their TLBI
 * and CMD_SYNC, then another CMD_SYNC (arm_smmu_atc_inv_domain). */
int iom_smmu_drv_ats_master_add(struct iom_smmu_drv *drv, uint32_t sid, uint32_t ssid,
				uint32_t tag, struct iom_err *err);
void iom_smmu_drv_ats_master_del(struct iom_smmu_drv *drv, uint32_t sid, uint32_t ssid);
/* The CMD_ATC_INV of arm_smmu_atc_inv_to_cmd() for [iova, iova + size) (size 0: all):
 * SSV = (ssid != 0); the smallest naturally aligned power-of-two span of 4 KB pages
 * covering the range, Size = log2(pages) = fls(first_page ^ last_page). */
void iom_smmu_drv_build_atc_inv(uint64_t c[2], uint32_t sid, uint32_t ssid, uint64_t iova,
				uint64_t size);

/* Called after every translation through the common interface (the host's
 * lazy-invalidation bookkeeping watches for stale-window hits); NULL removes. */
void iom_smmu_drv_set_txn_observer(struct iom_smmu_drv *drv,
				   void (*fn)(void *ctx, const struct iom_txn *t), void *ctx);

/* PRI (page requests, IHI0070 chapter 8): allocate a queue of 2^log2
 * entries (at most 2^19) for the PRI queue model q, program PRIQ_BASE, set
 * PRIQEN. */
struct iom_smmu_priq;
struct iom_page_req;
int iom_smmu_drv_priq_setup(struct iom_smmu_drv *drv, struct iom_smmu_priq *q, uint32_t log2,
			    struct iom_err *err);
/* Read the entry `ahead` places after CONS (timed): 1 with *r, 0 if the
 * queue holds no such entry. */
int iom_smmu_drv_priq_peek(struct iom_smmu_drv *drv, uint32_t ahead, struct iom_page_req *r,
			   uint64_t now_ps, uint64_t *done_ps);
/* Move CONS past n entries (the thread is done with them); when that empties
 * the queue, acknowledge an overflow condition (OVACKFLG = OVFLG). */
void iom_smmu_drv_priq_consume(struct iom_smmu_drv *drv, uint32_t n);
/* CMD_PRI_RESP for group prgi of (sid, ssid if ssv), code = enum iom_prg_code
 * (Success -> Resp 2, Invalid Request -> 1, Response Failure -> 0); *done_ps
 * = when the SMMU consumed it (the response left). */
int iom_smmu_drv_pri_resp(struct iom_smmu_drv *drv, uint32_t sid, uint32_t ssid, bool ssv,
			  uint32_t prgi, uint32_t code, uint64_t now_ps, uint64_t *done_ps,
			  struct iom_err *err);

/* The common IOMMU interface over driver + model (see iommu.h). name is the
 * model's name. Its invalidate op takes iom_inval.tag = ASID [15:0] | VMID
 * [31:16] (VMID 0 for stage-1 streams). */
void iom_smmu_drv_as_iommu(struct iom_smmu_drv *drv, struct iom_iommu *out);

#ifdef __cplusplus
}
#endif
#endif
