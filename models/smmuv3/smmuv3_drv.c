/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smmuv3_drv.c - the driver side of the SMMUv3 model: what Linux's
 * arm-smmu-v3 driver (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c, v6.9+)
 * does, reduced to this model's slice:
 *  - stream table: linear, or 2-level as arm_smmu_init_strtab_2lvl() when
 *    IDR0.ST_LEVEL allows it and SIDSIZE > STRTAB_SPLIT (8): SPLIT 8,
 *    min(2^(SIDSIZE-8), 2^17) L1STDs, 256-STE leaf tables (Span 9)
 *    allocated when a SID of their span is first configured, initialised to
 *    abort (arm_smmu_init_l2_strtab), hooked in with an L1STD store then
 *    the non-leaf CMD_CFGI_STE + CMD_SYNC (5.1.1: a Span 0 -> non-zero
 *    change needs the L1STD invalidated; Linux does this at device probe,
 *    before any traffic, and skips it);
 *  - CD tables per stream: linear, or with S1CDMax > 10 and IDR0.CD2L
 *    2-level with 64 KB leaves of 1024 CDs (S1Fmt 2, arm_smmu_alloc_cd_tables),
 *    a leaf allocated when a CD of its span is first written, hooked in with
 *    an L1CD store + CMD_CFGI_CD (Leaf=0) + CMD_SYNC (arm_smmu_alloc_cd_ptr);
 *  - STE and CD updates as arm_smmu_write_entry(): the words whose bits the
 *    SMMU uses (arm_smmu_get_ste_used / _cd_used) decide between no-op,
 *    hitless (one critical word) and breaking (V=0 first) sequences, each
 *    step followed by CMD_CFGI_STE/CD (Leaf=1) + CMD_SYNC (see the header);
 *  - one command queue and one event queue; TLB invalidation per granule,
 *    or with range commands when the SMMU has IDR3.RIL and the caller asks
 *    for them (__arm_smmu_tlb_inv_range()), + CMD_SYNC. CMD_SYNC as
 *    arm_smmu_cmdq_build_sync_cmd(): with IDR0.MSI (coherent SMMU), CS=IRQ
 *    with MSIData 0 written into the SYNC's own queue slot, which the driver
 *    polls; otherwise CS=SEV and CONS is polled. A full queue is
 *    back-pressure: the driver rings the doorbell and waits in simulated
 *    time for the SMMU to consume the slot it needs (as
 *    arm_smmu_cmdq_poll_until_not_full()), counting the stall and the wait.
 *  - ATS ("ATS" below): STE.EATS per stream, the ATS masters of each domain
 *    and their CMD_ATC_INV + CMD_SYNC after every TLB invalidation
 *    (arm_smmu_atc_inv_domain), ATS enable / disable through the root
 *    complex's port, CERROR_ATC_INV_SYNC acknowledged and the SYNC re-run
 *    (arm_smmu_cmdq_skip_err); host_smmuv3.c sequences them at attach.
 *
 * Not done: the "update safe" bits of arm_smmu_get_ste_update_safe() (MEV,
 * EATS: the EATS change is part of the ordinary hitless update), CMD_PREFETCH_CONFIG
 * after an STE write (ARM_SMMU_OPT_SKIP_PREFETCH behaviour), batching across calls,
 * the CMDQ_MAX_TLBI_OPS fallback to an ASID TLBI (SVA only), the CPU cost of
 * polling (MMIO reads of CONS or cache-line polls are free: completion is
 * observed when CONS passes the SYNC, or when the MSI write lands), freeing
 * of empty leaf tables (Linux keeps them too).
 *
 * Timing: every store the driver makes (an 8-byte STE/CD word, an L1
 * descriptor, a leaf table's initialisation as one write, a command) is a
 * timed write by "<smmu>.drv" issued one after another; the doorbell is
 * rung when the last command is written; each step waits for its CMD_SYNC;
 * the caller's completion time is when it observes the last CMD_SYNC
 * complete. The initial stream table (create time) is functional (boot).
 * The driver reads its own tables functionally (free), as the CPU reads
 * cached memory.
 */
#include "smmuv3_drv.h"
#include "smmuv3_priq.h"

#include "mem.h"
#include "smmuv3-regs.h"
#include "stats.h"
#include "u64map.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DRV_STRTAB_SPLIT 8u                  /* STRTAB_SPLIT: 256 STEs per leaf */
#define DRV_STRTAB_L2_STES (1u << DRV_STRTAB_SPLIT)
#define DRV_STRTAB_MAX_L1 (1u << 17)         /* STRTAB_MAX_L1_ENTRIES */
#define DRV_CD_SPLIT 10u                     /* CTXDESC_SPLIT: 1024 CDs per leaf */
#define DRV_CD_L2_CDS (1u << DRV_CD_SPLIT)
/* io-pgtable-arm's MAIR: attr 0 NC (0x44), 1 WBRWA (0xff), 2 device (0x04),
 * 3 inner NC outer WB (0xf4) */
#define DRV_MAIR 0xf404ff44ull

/* A stream's CD table (Linux struct arm_smmu_ctx_desc_cfg). */
struct drv_cdtab {
	uint64_t base;  /* STE.S1ContextPtr: linear table or L1 CD table */
	uint32_t cdmax; /* STE.S1CDMax */
	uint32_t fmt;   /* SMMU_S1FMT_LINEAR or SMMU_S1FMT_1024CD */
	uint32_t nl1;   /* 2-level: L1CDs */
	uint64_t *l2;   /* 2-level: leaf table per L1CD (0: not allocated) */
};

struct iom_smmu_drv {
	struct iom_smmu *smmu;
	struct iom_mem *mem;
	struct iom_palloc *pa;
	int req;
	uint32_t sid_bits;
	struct iom_smmu_drv_opts opts;
	uint32_t strtab_fmt;     /* SMMU_STRTAB_FMT_* */
	uint64_t strtab_pa;      /* linear table, or L1 table */
	size_t strtab_bytes;
	uint32_t nl1;            /* 2-level: L1STDs */
	uint64_t *l2;            /* 2-level: leaf table per L1STD (0: not allocated) */
	struct iom_u64map cdtabs;  /* SID -> struct drv_cdtab * (the one the STE uses) */
	struct iom_u64map
	    retired;             /* SID -> struct drv_cdtab * replaced, freed after the STE moves */
	bool configured;         /* an STE/CD has been written: formats are fixed */
	uint64_t cmdq_pa, evtq_pa;
	uint32_t cmdq_log2, evtq_log2;
	uint32_t cmdq_prod; /* shadow of SMMU_CMDQ_PROD */
	uint32_t evtq_cons; /* shadow of SMMU_EVTQ_CONS */
	bool ril;           /* SMMU_IDR3.RIL: range invalidation available */
	bool msi_poll;      /* SMMU_IDR0.MSI: CMD_SYNC completion polled via its MSI write */
	bool st_2lvl_hw;    /* SMMU_IDR0.ST_LEVEL = 2-level */
	bool cd_2lvl_hw;    /* SMMU_IDR0.CD2L */
	uint32_t asid_bits, vmid_bits;
	void (*observe)(void *ctx, const struct iom_txn *t);
	void *observe_ctx;
	void (*store_hook)(void *ctx, const struct iom_smmu_drv_store *s);
	void *store_ctx;
	struct iom_smmu_drv_update last;
	/* ATS (arm_smmu_master.ats_enabled, smmu_domain->devices; see "ATS" below) */
	const struct iom_ats_port *ats_port;
	struct iom_u64map ats_eats; /* SID -> 1: its STEs are written with EATS = 0b01 */
	struct iom_u64map ats_on;   /* SID -> 1: ATS enabled in the function */
	struct drv_ats_master *masters;
	size_t nmasters, capmasters;
	struct iom_smmu_drv_stats st;
	/* PRI queue (see "PRI" at the end) */
	struct iom_smmu_priq *priq;
	uint64_t priq_pa;
	uint32_t priq_log2;
};

/* ---- allocation and registers ---- */

static int drv_alloc(struct iom_smmu_drv *drv, uint64_t *pa, size_t size, const char *what,
		     struct iom_err *err)
{
	*pa = iom_palloc_alloc(drv->pa, size);
	if (!*pa)
		return iom_err_set(err, IOM_ENOMEM,
				   "smmu drv %s: cannot allocate %zu bytes for the %s",
				   iom_smmu_name(drv->smmu), size, what);
	return 0;
}

static void drv_abort_ste(uint64_t ste[SMMU_STE_WORDS])
{
	memset(ste, 0, SMMU_STE_BYTES);
	smmu_ste_set_v(ste, 1);
	smmu_ste_set_config(ste, SMMU_STE_CFG_ABORT);
}

/* arm_smmu_init_initial_stes(): n STEs at pa := V=1 Config=abort (functional). */
static void drv_init_stes(struct iom_smmu_drv *drv, uint64_t pa, uint64_t n)
{
	uint64_t ste[SMMU_STE_WORDS];
	drv_abort_ste(ste);
	for (uint64_t i = 0; i < n; i++)
		iom_mem_wr64(drv->mem, pa + i * SMMU_STE_BYTES, ste[0]);
}

static bool drv_want_2lvl_strtab(const struct iom_smmu_drv *drv)
{
	if (drv->opts.strtab == IOM_SMMU_DRV_TAB_AUTO)
		return drv->st_2lvl_hw && drv->sid_bits > DRV_STRTAB_SPLIT;
	return drv->opts.strtab == IOM_SMMU_DRV_TAB_2LVL;
}

/* L1STDs of a 2-level table: enough for every SID, capped as Linux does
 * (never reached: SIDSIZE <= 24 needs 2^16). */
static uint32_t drv_strtab_nl1(uint32_t sid_bits)
{
	uint64_t last = ((1ull << sid_bits) - 1) >> DRV_STRTAB_SPLIT;
	return (uint32_t)IOM_MIN(last + 1, (uint64_t)DRV_STRTAB_MAX_L1);
}

static void drv_free_strtab(struct iom_smmu_drv *drv)
{
	if (drv->l2) {
		for (uint32_t i = 0; i < drv->nl1; i++)
			if (drv->l2[i])
				iom_palloc_free(drv->pa, drv->l2[i],
						DRV_STRTAB_L2_STES * SMMU_STE_BYTES);
		free(drv->l2);
		drv->l2 = NULL;
	}
	if (drv->strtab_pa)
		iom_palloc_free(drv->pa, drv->strtab_pa, drv->strtab_bytes);
	drv->strtab_pa = 0;
	drv->nl1 = 0;
}

/* arm_smmu_init_strtab(): allocate and initialise; program STRTAB_BASE(_CFG).
 * LOG2SIZE = SIDSIZE either way (2-level: log2(L1STDs) + SPLIT, the same
 * unless the L1 cap bites; SIDSIZE <= SPLIT: only L1STD 0 is used). */
static int drv_build_strtab(struct iom_smmu_drv *drv, struct iom_err *err)
{
	uint32_t cfg;
	int rc;
	if (drv_want_2lvl_strtab(drv)) {
		drv->strtab_fmt = SMMU_STRTAB_FMT_2LVL;
		drv->nl1 = drv_strtab_nl1(drv->sid_bits);
		drv->l2 = calloc(drv->nl1, sizeof(*drv->l2));
		if (!drv->l2)
			return iom_err_set(err, IOM_ENOMEM, "smmu drv: out of memory");
		drv->strtab_bytes = (size_t)drv->nl1 * 8;
		rc =
		    drv_alloc(drv, &drv->strtab_pa, drv->strtab_bytes, "level-1 stream table", err);
		uint32_t log2 = IOM_MIN(drv->sid_bits, (uint32_t)(63 - __builtin_clzll(drv->nl1)) +
							       DRV_STRTAB_SPLIT);
		cfg = smmu_strtab_cfg_make_2lvl(log2, DRV_STRTAB_SPLIT);
	} else {
		drv->strtab_fmt = SMMU_STRTAB_FMT_LINEAR;
		drv->strtab_bytes = (size_t)SMMU_STE_BYTES << drv->sid_bits;
		rc = drv_alloc(drv, &drv->strtab_pa, drv->strtab_bytes, "stream table", err);
		if (!rc)
			drv_init_stes(drv, drv->strtab_pa, 1ull << drv->sid_bits);
		cfg = smmu_strtab_cfg_make(SMMU_STRTAB_FMT_LINEAR, drv->sid_bits);
	}
	/* The palloc block is zeroed: every L1STD reads Span 0. */
	return rc ? rc : iom_smmu_write_strtab(drv->smmu, drv->strtab_pa, cfg, err);
}

static int drv_program_queues(struct iom_smmu_drv *drv, struct iom_err *err)
{
	int rc = iom_smmu_write_cmdq_base(drv->smmu, smmu_q_base_make(drv->cmdq_pa, drv->cmdq_log2),
					  err);
	if (!rc)
		rc = iom_smmu_write_evtq_base(drv->smmu,
					      smmu_q_base_make(drv->evtq_pa, drv->evtq_log2), err);
	return rc;
}

static void drv_enable(struct iom_smmu_drv *drv)
{
	uint32_t atschk = iom_smmu_config(drv->smmu)->atschk ? SMMU_CR0_ATSCHK : 0;
	iom_smmu_write_cr0(drv->smmu, SMMU_CR0_SMMUEN | SMMU_CR0_EVTQEN | SMMU_CR0_CMDQEN | atschk);
}

static int drv_check_args(struct iom_smmu *smmu, struct iom_mem *mem, struct iom_palloc *pa,
			  uint32_t sid_bits, uint32_t cmdq_log2, uint32_t evtq_log2,
			  const struct iom_smmu_drv_opts *opts, struct iom_err *err)
{
	if (!smmu || !mem || !pa)
		return iom_err_set(err, IOM_EINVAL, "smmu drv: create: NULL argument");
	if (sid_bits < 1 || sid_bits > 24)
		return iom_err_set(err, IOM_ERANGE, "smmu drv: sid_bits %u outside 1..24",
				   sid_bits);
	if (cmdq_log2 < 1 || cmdq_log2 > 19 || evtq_log2 < 1 || evtq_log2 > 19)
		return iom_err_set(err, IOM_ERANGE,
				   "smmu drv: queue log2 sizes %u/%u outside 1..19", cmdq_log2,
				   evtq_log2);
	if (opts && (opts->strtab > IOM_SMMU_DRV_TAB_2LVL || opts->cdtab > IOM_SMMU_DRV_TAB_2LVL))
		return iom_err_set(err, IOM_EINVAL, "smmu drv: table format %u/%u unknown",
				   opts->strtab, opts->cdtab);
	return 0;
}

/* arm_smmu_device_hw_probe(): features from the ID registers; MSI polling
 * needs a coherent SMMU too (IDR0.COHACC, always set here). */
static void drv_probe(struct iom_smmu_drv *drv)
{
	uint32_t idr0 = iom_smmu_read_idr(drv->smmu, 0);
	drv->ril = smmu_idr3_ril(iom_smmu_read_idr(drv->smmu, 3));
	drv->msi_poll = smmu_idr0_msi(idr0);
	drv->st_2lvl_hw = smmu_idr0_st_level(idr0) == 1;
	drv->cd_2lvl_hw = smmu_idr0_cd2l(idr0);
	drv->asid_bits = smmu_idr0_asid16(idr0) ? 16 : 8;
	drv->vmid_bits = smmu_idr0_vmid16(idr0) ? 16 : 8;
}

struct iom_smmu_drv *iom_smmu_drv_create_opts(struct iom_smmu *smmu, struct iom_mem *mem,
					      struct iom_palloc *pa, uint32_t sid_bits,
					      uint32_t cmdq_log2, uint32_t evtq_log2,
					      const struct iom_smmu_drv_opts *opts,
					      struct iom_err *err)
{
	if (drv_check_args(smmu, mem, pa, sid_bits, cmdq_log2, evtq_log2, opts, err))
		return NULL;
	struct iom_smmu_drv *drv = calloc(1, sizeof(*drv));
	if (!drv) {
		iom_err_set(err, IOM_ENOMEM, "smmu drv: out of memory");
		return NULL;
	}
	char n[64];
	snprintf(n, sizeof(n), "%s.drv", iom_smmu_name(smmu));
	*drv = (struct iom_smmu_drv){ .smmu = smmu, .mem = mem, .pa = pa, .sid_bits = sid_bits,
				      .cmdq_log2 = cmdq_log2, .evtq_log2 = evtq_log2,
				      .req = iom_mem_requester(mem, n) };
	if (opts)
		drv->opts = *opts;
	iom_u64map_init(&drv->cdtabs);
	iom_u64map_init(&drv->retired);
	drv_probe(drv);
	int rc = drv->req < 0 ? iom_err_set(err, IOM_EBUSY, "smmu drv: no memory requester") : 0;
	if (!rc)
		rc = drv_alloc(drv, &drv->cmdq_pa, (size_t)SMMU_CMD_BYTES << cmdq_log2,
			       "command queue", err);
	if (!rc)
		rc = drv_alloc(drv, &drv->evtq_pa, (size_t)SMMU_EVT_BYTES << evtq_log2,
			       "event queue", err);
	if (!rc)
		rc = drv_build_strtab(drv, err);
	if (!rc)
		rc = drv_program_queues(drv, err);
	if (rc) {
		iom_smmu_drv_destroy(drv);
		return NULL;
	}
	drv_enable(drv);
	return drv;
}

struct iom_smmu_drv *iom_smmu_drv_create(struct iom_smmu *smmu, struct iom_mem *mem,
					 struct iom_palloc *pa, uint32_t sid_bits,
					 uint32_t cmdq_log2, uint32_t evtq_log2,
					 struct iom_err *err)
{
	return iom_smmu_drv_create_opts(smmu, mem, pa, sid_bits, cmdq_log2, evtq_log2, NULL, err);
}

int iom_smmu_drv_set_opts(struct iom_smmu_drv *drv, const struct iom_smmu_drv_opts *opts,
			  struct iom_err *err)
{
	if (opts->strtab > IOM_SMMU_DRV_TAB_2LVL || opts->cdtab > IOM_SMMU_DRV_TAB_2LVL)
		return iom_err_set(err, IOM_EINVAL, "smmu drv: table format %u/%u unknown",
				   opts->strtab, opts->cdtab);
	if (drv->configured)
		return iom_err_set(
		    err, IOM_EBUSY,
		    "smmu %s drv: table formats can change only before the first STE/CD",
		    iom_smmu_name(drv->smmu));
	uint32_t fmt = drv->strtab_fmt;
	drv->opts = *opts;
	if ((drv_want_2lvl_strtab(drv) ? SMMU_STRTAB_FMT_2LVL : SMMU_STRTAB_FMT_LINEAR) == fmt)
		return 0; /* the stream table stays */
	/* STRTAB_BASE may change only with SMMUEN = 0 (6.3.23). */
	iom_smmu_write_cr0(drv->smmu, 0);
	drv_free_strtab(drv);
	int rc = drv_build_strtab(drv, err);
	if (!rc)
		drv_enable(drv);
	return rc;
}

static size_t drv_cd_linear_bytes(uint32_t cdmax)
{
	return (size_t)SMMU_CD_BYTES << cdmax; /* 2^S1CDMax CDs, one if 0 */
}

static void drv_cdtab_free(struct iom_smmu_drv *drv, struct drv_cdtab *c)
{
	if (!c)
		return;
	if (c->fmt == SMMU_S1FMT_LINEAR) {
		iom_palloc_free(drv->pa, c->base, drv_cd_linear_bytes(c->cdmax));
	} else {
		for (uint32_t i = 0; i < c->nl1; i++)
			if (c->l2[i])
				iom_palloc_free(drv->pa, c->l2[i], DRV_CD_L2_CDS * SMMU_CD_BYTES);
		iom_palloc_free(drv->pa, c->base, (size_t)c->nl1 * 8);
		free(c->l2);
	}
	free(c);
}

static struct drv_cdtab *drv_cdtab(const struct iom_smmu_drv *drv, uint32_t sid)
{
	uint64_t v;
	return iom_u64map_get(&drv->cdtabs, sid, &v) ? (struct drv_cdtab *)(uintptr_t)v : NULL;
}

static void drv_free_map(struct iom_smmu_drv *drv, struct iom_u64map *m)
{
	uint64_t k, v;
	for (size_t it = 0; iom_u64map_next(m, &it, &k, &v);)
		drv_cdtab_free(drv, (struct drv_cdtab *)(uintptr_t)v);
	iom_u64map_fini(m);
}

void iom_smmu_drv_destroy(struct iom_smmu_drv *drv)
{
	if (!drv)
		return;
	drv_free_map(drv, &drv->cdtabs);
	drv_free_map(drv, &drv->retired);
	iom_u64map_fini(&drv->ats_eats);
	iom_u64map_fini(&drv->ats_on);
	free(drv->masters);
	drv_free_strtab(drv);
	if (drv->cmdq_pa)
		iom_palloc_free(drv->pa, drv->cmdq_pa, (size_t)SMMU_CMD_BYTES << drv->cmdq_log2);
	if (drv->evtq_pa)
		iom_palloc_free(drv->pa, drv->evtq_pa, (size_t)SMMU_EVT_BYTES << drv->evtq_log2);
	if (drv->priq_pa)
		iom_palloc_free(drv->pa, drv->priq_pa, (size_t)SMMU_PRIQ_ENT_BYTES << drv->priq_log2);
	free(drv);
}

struct iom_smmu *iom_smmu_drv_smmu(struct iom_smmu_drv *drv) { return drv->smmu; }

struct iom_mem *iom_smmu_drv_mem(const struct iom_smmu_drv *drv)
{
	return drv->mem;
}
uint64_t iom_smmu_drv_strtab(const struct iom_smmu_drv *drv) { return drv->strtab_pa; }
uint32_t iom_smmu_drv_strtab_fmt(const struct iom_smmu_drv *drv) { return drv->strtab_fmt; }
uint64_t iom_smmu_drv_cmdq_pa(const struct iom_smmu_drv *drv) { return drv->cmdq_pa; }
uint32_t iom_smmu_drv_asid_bits(const struct iom_smmu_drv *drv) { return drv->asid_bits; }
uint32_t iom_smmu_drv_vmid_bits(const struct iom_smmu_drv *drv) { return drv->vmid_bits; }
const struct iom_smmu_drv_stats *iom_smmu_drv_stats(const struct iom_smmu_drv *drv)
{
	return &drv->st;
}
const struct iom_smmu_drv_update *iom_smmu_drv_last_update(const struct iom_smmu_drv *drv)
{
	return &drv->last;
}

void iom_smmu_drv_set_store_hook(struct iom_smmu_drv *drv,
				 void (*fn)(void *ctx, const struct iom_smmu_drv_store *s),
				 void *ctx)
{
	drv->store_hook = fn;
	drv->store_ctx = fn ? ctx : NULL;
}

uint64_t iom_smmu_drv_ste_pa(const struct iom_smmu_drv *drv, uint32_t sid)
{
	if ((uint64_t)sid >> drv->sid_bits)
		return 0;
	if (drv->strtab_fmt == SMMU_STRTAB_FMT_LINEAR)
		return drv->strtab_pa + (uint64_t)sid * SMMU_STE_BYTES;
	uint64_t l2 = drv->l2[sid >> DRV_STRTAB_SPLIT];
	return l2 ? l2 + (uint64_t)(sid & (DRV_STRTAB_L2_STES - 1)) * SMMU_STE_BYTES : 0;
}

uint64_t iom_smmu_drv_cd_pa(const struct iom_smmu_drv *drv, uint32_t sid, uint32_t ssid)
{
	const struct drv_cdtab *c = drv_cdtab(drv, sid);
	if (!c || (c->cdmax ? (uint64_t)ssid >> c->cdmax : ssid != 0))
		return 0;
	if (c->fmt == SMMU_S1FMT_LINEAR)
		return c->base + (uint64_t)ssid * SMMU_CD_BYTES;
	uint64_t l2 = c->l2[ssid >> DRV_CD_SPLIT];
	return l2 ? l2 + (uint64_t)(ssid & (DRV_CD_L2_CDS - 1)) * SMMU_CD_BYTES : 0;
}

static void drv_read_ste(struct iom_smmu_drv *drv, uint32_t sid, uint64_t ste[SMMU_STE_WORDS])
{
	uint64_t pa = iom_smmu_drv_ste_pa(drv, sid);
	if (pa)
		iom_mem_read(drv->mem, pa, ste, SMMU_STE_BYTES, NULL);
	else
		drv_abort_ste(ste); /* what an unallocated leaf will be initialised to */
}

uint64_t iom_smmu_drv_cd_table(struct iom_smmu_drv *drv, uint32_t sid)
{
	uint64_t ste[SMMU_STE_WORDS];
	if ((uint64_t)sid >> drv->sid_bits)
		return 0;
	drv_read_ste(drv, sid, ste);
	uint64_t cfg = smmu_ste_config(ste);
	if (!smmu_ste_v(ste) || (cfg != SMMU_STE_CFG_S1 && cfg != SMMU_STE_CFG_NESTED))
		return 0;
	return smmu_ste_s1ctxptr(ste);
}

/* ---- command queue ---- */

static int drv_check_cons(struct iom_smmu_drv *drv, struct iom_err *err)
{
	uint32_t cons = iom_smmu_read_cmdq_cons(drv->smmu);
	uint32_t e = smmu_cmdq_cons_err(cons);
	if (!e)
		return 0;
	return iom_err_set(err, IOM_EIO,
			   "smmu %s: command queue stopped: CMDQ_CONS.ERR=%u at index %u",
			   iom_smmu_name(drv->smmu), e, smmu_q_idx(cons, drv->cmdq_log2));
}

static int drv_doorbell(struct iom_smmu_drv *drv, uint64_t now_ps, uint64_t *done_ps,
			struct iom_err *err)
{
	uint64_t done = now_ps;
	drv->st.doorbells++;
	int rc = iom_smmu_write_cmdq_prod(drv->smmu, drv->cmdq_prod, now_ps, &done, err);
	/* CERROR_ATC_INV_SYNC: arm_smmu_cmdq_skip_err() leaves CONS on the CMD_SYNC and the
	 * GERRORN write restarts the queue, so the SYNC runs again (the timed-out ATC
	 * invalidation no longer holds it). */
	while (!rc &&
	       smmu_cmdq_cons_err(iom_smmu_read_cmdq_cons(drv->smmu)) == SMMU_CERROR_ATC_INV_SYNC) {
		drv->st.atc_sync_retries++;
		iom_smmu_ack_cmdq_err(drv->smmu);
		rc = iom_smmu_write_cmdq_prod(drv->smmu, drv->cmdq_prod, done, &done, err);
	}
	if (done_ps)
		*done_ps = done;
	return rc ? rc : drv_check_cons(drv, err);
}

/* Back-pressure (Linux arm_smmu_cmdq_poll_until_not_full): the slot at PROD
 * is free once the SMMU consumed the command a lap ago. If CMDQ_CONS says the
 * queue is full, ring the doorbell for what is queued so the SMMU consumes;
 * then wait, in simulated time, until that slot's command was consumed.
 * Counted as a stall with the time waited; never an error unless the queue
 * stopped (command error) or is disabled. */
static int drv_wait_space(struct iom_smmu_drv *drv, uint64_t *t, struct iom_err *err)
{
	uint32_t log2 = drv->cmdq_log2;
	if (smmu_q_full(drv->cmdq_prod, iom_smmu_read_cmdq_cons(drv->smmu), log2)) {
		uint64_t ignored;
		int rc = drv_doorbell(drv, *t, &ignored, err);
		if (rc)
			return rc;
		if (smmu_q_full(drv->cmdq_prod, iom_smmu_read_cmdq_cons(drv->smmu), log2))
			return iom_err_set(err, IOM_EBUSY,
					   "smmu %s: command queue full and not draining "
					   "(CMDQEN = 0?)",
					   iom_smmu_name(drv->smmu));
	}
	uint64_t freed = iom_smmu_cmdq_consumed_ps(drv->smmu, smmu_q_idx(drv->cmdq_prod, log2));
	if (freed > *t) {
		drv->st.cmdq_full_stalls++;
		drv->st.cmdq_full_wait_ps += freed - *t;
		*t = freed;
	}
	return 0;
}

/* Write n commands (timed, with back-pressure); *t advances; *last_pa
 * receives where the last one went. */
static int drv_write_cmds(struct iom_smmu_drv *drv, const uint64_t cmd[][2], size_t n, uint64_t *t,
			  uint64_t *last_pa, struct iom_err *err)
{
	for (size_t i = 0; i < n; i++) {
		int rc = drv_wait_space(drv, t, err);
		if (rc)
			return rc;
		uint64_t pa = drv->cmdq_pa +
			      (uint64_t)smmu_q_idx(drv->cmdq_prod, drv->cmdq_log2) * SMMU_CMD_BYTES;
		*t = iom_mem_timed_write(drv->mem, drv->req, pa, cmd[i], SMMU_CMD_BYTES, *t, NULL);
		drv->cmdq_prod = smmu_q_inc(drv->cmdq_prod, drv->cmdq_log2);
		drv->st.commands++;
		drv->st.syncs += smmu_cmd_op(cmd[i]) == SMMU_CMD_SYNC;
		if (last_pa)
			*last_pa = pa;
	}
	return 0;
}

int iom_smmu_drv_submit(struct iom_smmu_drv *drv, const uint64_t cmd[][2], size_t n,
			uint64_t now_ps, uint64_t *done_ps, struct iom_err *err)
{
	uint64_t t = now_ps;
	int rc = drv_write_cmds(drv, cmd, n, &t, NULL, err);
	if (rc)
		return rc;
	uint64_t done = t;
	rc = drv_doorbell(drv, t, &done, err);
	if (done_ps)
		*done_ps = done;
	return rc;
}

static void drv_cmd(uint64_t c[2], uint32_t op)
{
	c[0] = c[1] = 0;
	smmu_cmd_set_op(c, op);
}

/* The driver's completion barrier, as arm_smmu_cmdq_build_sync_cmd(): with
 * MSI polling, CS=IRQ, MSIData 0 and MSIAddress = the SYNC's own queue slot
 * (filled in when written); otherwise CS=SEV and CONS is polled. */
static void drv_cmd_sync(const struct iom_smmu_drv *drv, uint64_t c[2])
{
	drv_cmd(c, SMMU_CMD_SYNC);
	smmu_cmd_set_sync_cs(c, drv->msi_poll ? SMMU_SYNC_CS_IRQ : SMMU_SYNC_CS_SEV);
	if (drv->msi_poll)
		smmu_cmd_set_sync_msh(c, 3); /* Inner Shareable */
}

/* Write cmds then the driver's CMD_SYNC, ring the doorbell, wait for the
 * SYNC: *done_ps = when the driver observes its completion -- the MSI write
 * landing in the SYNC's slot (MSI polling), or CONS passing the SYNC. */
static int drv_issue_sync(struct iom_smmu_drv *drv, const uint64_t cmd[][2], size_t n,
			  uint64_t now_ps, uint64_t *done_ps, struct iom_err *err)
{
	uint64_t t = now_ps, sync[1][2], pa = 0, done;
	int rc = drv_write_cmds(drv, cmd, n, &t, NULL, err);
	if (rc)
		return rc;
	drv_cmd_sync(drv, sync[0]);
	if (drv->msi_poll) {
		/* The slot the SYNC will occupy (after any back-pressure wait). */
		rc = drv_wait_space(drv, &t, err);
		if (rc)
			return rc;
		smmu_cmd_set_sync_msiaddr(
		    sync[0], drv->cmdq_pa + (uint64_t)smmu_q_idx(drv->cmdq_prod, drv->cmdq_log2) *
						SMMU_CMD_BYTES);
	}
	uint32_t slot = smmu_q_idx(drv->cmdq_prod, drv->cmdq_log2);
	rc = drv_write_cmds(drv, (const uint64_t(*)[2])sync, 1, &t, &pa, err);
	if (!rc)
		rc = drv_doorbell(drv, t, &done, err);
	if (rc)
		return rc;
	if (drv->msi_poll) {
		/* Linux polls the first word of the SYNC until the MSI zeroes it. */
		uint32_t w = 1;
		iom_mem_read(drv->mem, pa, &w, sizeof(w), NULL);
		if (w != 0)
			return iom_err_set(err, IOM_EIO,
					   "smmu %s: CMD_SYNC MSI never arrived at 0x%llx",
					   iom_smmu_name(drv->smmu), (unsigned long long)pa);
		drv->st.sync_msi_polls++;
		done = iom_smmu_last_msi_ps(drv->smmu);
	} else {
		done = iom_smmu_cmdq_consumed_ps(drv->smmu, slot);
	}
	if (done_ps)
		*done_ps = IOM_MAX(done, t);
	return 0;
}

static int drv_submit2(struct iom_smmu_drv *drv, const uint64_t first[2], uint64_t now_ps,
		       uint64_t *done_ps, struct iom_err *err)
{
	uint64_t cmds[1][2] = { { first[0], first[1] } };
	return drv_issue_sync(drv, (const uint64_t(*)[2])cmds, 1, now_ps, done_ps, err);
}

/* ---- STE / CD updates ---- */

static int drv_check_sid(struct iom_smmu_drv *drv, uint32_t sid, struct iom_err *err)
{
	if ((uint64_t)sid >> drv->sid_bits)
		return iom_err_set(err, IOM_ERANGE, "smmu %s drv: SID %u beyond %u SID bits",
				   iom_smmu_name(drv->smmu), sid, drv->sid_bits);
	return 0;
}

/* arm_smmu_get_ste_used(): the bits of ste the SMMU reads, by Config (5.2),
 * for the fields this driver and the model know. */
static void drv_ste_used(const uint64_t *ste, uint64_t *used)
{
	uint64_t cfg = smmu_ste_config(ste);

	memset(used, 0, SMMU_STE_BYTES);
	smmu_ste_set_v(used, 1);
	if (!smmu_ste_v(ste))
		return;
	smmu_ste_set_config(used, ~0ull);
	if (cfg & 1) { /* stage 1 translates (S1, nested) */
		smmu_ste_set_s1fmt(used, ~0ull);
		smmu_ste_set_s1ctxptr(used, ~0ull);
		smmu_ste_set_s1cdmax(used, ~0ull);
		smmu_ste_set_s1dss(used, ~0ull);
		smmu_ste_set_s1cir(used, ~0ull);
		smmu_ste_set_s1cor(used, ~0ull);
		smmu_ste_set_s1csh(used, ~0ull);
		smmu_ste_set_s1stalld(used, ~0ull);
		smmu_ste_set_strw(used, ~0ull);
		smmu_ste_set_eats(used, ~0ull);
		smmu_ste_set_mev(used, ~0ull);
		smmu_ste_set_s2vmid(used, ~0ull);
		if (smmu_ste_s1dss(ste) == SMMU_S1DSS_BYPASS)
			smmu_ste_set_shcfg(used, ~0ull);
	}
	if (cfg & 2) { /* stage 2 translates (S2, nested) */
		smmu_ste_set_s2fwb(used, ~0ull);
		smmu_ste_set_eats(used, ~0ull);
		smmu_ste_set_shcfg(used, ~0ull);
		smmu_ste_set_mev(used, ~0ull);
		smmu_ste_set_s2vmid(used, ~0ull);
		smmu_ste_set_s2t0sz(used, ~0ull);
		smmu_ste_set_s2sl0(used, ~0ull);
		smmu_ste_set_s2tg(used, ~0ull);
		smmu_ste_set_s2ps(used, ~0ull);
		smmu_ste_set_s2aa64(used, ~0ull);
		smmu_ste_set_s2endi(used, ~0ull);
		smmu_ste_set_s2affd(used, ~0ull);
		smmu_ste_set_s2hd(used, ~0ull);
		smmu_ste_set_s2ha(used, ~0ull);
		smmu_ste_set_s2s(used, ~0ull);
		smmu_ste_set_s2r(used, ~0ull);
		smmu_ste_set_s2ttb(used, ~0ull);
	}
	if (cfg == SMMU_STE_CFG_BYPASS)
		smmu_ste_set_shcfg(used, ~0ull);
}

/* arm_smmu_get_cd_used(): only V while V = 0; every bit while V = 1, except
 * the TTB0 walk fields when EPD0 makes them IGNORED. */
static void drv_cd_used(const uint64_t *cd, uint64_t *used)
{
	uint64_t ign[SMMU_CD_WORDS] = { 0 };

	memset(used, 0, SMMU_CD_BYTES);
	smmu_cd_set_v(used, 1);
	if (!smmu_cd_v(cd))
		return;
	memset(used, 0xff, SMMU_CD_BYTES);
	if (!smmu_cd_epd0(cd))
		return;
	smmu_cd_set_t0sz(ign, ~0ull);
	smmu_cd_set_tg0(ign, ~0ull);
	smmu_cd_set_irgn0(ign, ~0ull);
	smmu_cd_set_orgn0(ign, ~0ull);
	smmu_cd_set_sh0(ign, ~0ull);
	smmu_cd_set_ttb0(ign, ~0ull);
	for (unsigned i = 0; i < SMMU_CD_WORDS; i++)
		used[i] &= ~ign[i];
}

/* One entry being rewritten. */
struct drv_entry {
	uint32_t kind; /* IOM_SMMU_DRV_STORE_STE or _CD */
	uint32_t sid, ssid;
	uint64_t pa;
	uint64_t cur[8]; /* what memory holds */
};

static int drv_cfgi_sync(struct iom_smmu_drv *drv, uint32_t op, uint32_t sid, uint32_t ssid,
			 bool leaf, uint64_t *t, struct iom_err *err)
{
	uint64_t c[1][2];
	drv_cmd(c[0], op);
	smmu_cmd_set_sid(c[0], sid);
	if (op == SMMU_CMD_CFGI_CD)
		smmu_cmd_set_ssid(c[0], ssid);
	smmu_cmd_set_leaf(c[0], leaf);
	drv->st.cfgi_cmds++;
	drv->st.cfg_syncs++;
	drv->last.cfgis++;
	drv->last.syncs++;
	return drv_issue_sync(drv, (const uint64_t(*)[2])c, 1, *t, t, err);
}

/* One timed 8-byte store (or a leaf table's initialisation), reported. */
static void drv_store(struct iom_smmu_drv *drv, const struct iom_smmu_drv_store *s0,
		      const void *buf, size_t len, uint64_t *t)
{
	struct iom_smmu_drv_store s = *s0;
	*t = iom_mem_timed_write(drv->mem, drv->req, s.pa, buf, len, *t, NULL);
	s.done_ps = *t;
	if (drv->store_hook)
		drv->store_hook(drv->store_ctx, &s);
}

/* entry_set(): store words [start, start + len) of target that differ from
 * memory, then (if any did) invalidate the entry and wait for the sync. */
static int drv_entry_set(struct iom_smmu_drv *drv, struct drv_entry *e, const uint64_t *target,
			 unsigned start, unsigned len, uint64_t *t, struct iom_err *err)
{
	bool changed = false;
	for (unsigned i = start; i < start + len; i++) {
		if (e->cur[i] == target[i])
			continue;
		struct iom_smmu_drv_store s = {.kind = e->kind,
					       .sid = e->sid,
					       .ssid = e->ssid,
					       .word = i,
					       .pa = e->pa + 8ull * i,
					       .value = target[i]};
		e->cur[i] = target[i];
		drv_store(drv, &s, &target[i], 8, t);
		drv->last.qwords++;
		if (e->kind == IOM_SMMU_DRV_STORE_STE)
			drv->st.ste_qwords++;
		else
			drv->st.cd_qwords++;
		changed = true;
	}
	if (!changed)
		return 0;
	if (e->kind == IOM_SMMU_DRV_STORE_STE)
		return drv_cfgi_sync(drv, SMMU_CMD_CFGI_STE, e->sid, 0, true, t, err);
	return drv_cfgi_sync(drv, SMMU_CMD_CFGI_CD, e->sid, e->ssid, true, t, err);
}

/* arm_smmu_entry_qword_diff(): unused[] = the current entry with every bit
 * it does not use already set to the target's value; returns the words
 * whose used-by-target bits still differ from the target after that. */
static unsigned drv_qword_diff(const struct drv_entry *e, const uint64_t *target, uint64_t *unused)
{
	uint64_t cur_used[8], tgt_used[8];
	unsigned diff = 0;
	void (*used)(const uint64_t *, uint64_t *) =
		e->kind == IOM_SMMU_DRV_STORE_STE ? drv_ste_used : drv_cd_used;

	used(e->cur, cur_used);
	used(target, tgt_used);
	for (unsigned i = 0; i < 8; i++) {
		unused[i] = (e->cur[i] & cur_used[i]) | (target[i] & ~cur_used[i]);
		if ((unused[i] & tgt_used[i]) != target[i])
			diff |= 1u << i;
	}
	return diff;
}

/* arm_smmu_write_entry(): no-op, hitless or breaking (see smmuv3_drv.h). */
static int drv_write_entry(struct iom_smmu_drv *drv, struct drv_entry *e, const uint64_t *target,
			   uint64_t *t, struct iom_err *err)
{
	uint64_t unused[8];
	unsigned diff = drv_qword_diff(e, target, unused);
	int rc;

	drv->last.used_diff = diff;
	if (diff && !(diff & (diff - 1))) {
		unsigned crit = (unsigned)__builtin_ctz(diff);
		unused[crit] = e->cur[crit]; /* written in the next step anyway */
		rc = drv_entry_set(drv, e, unused, 0, 8, t, err);
		if (!rc)
			rc = drv_entry_set(drv, e, target, crit, 1, t, err);
		if (!rc)
			rc = drv_entry_set(drv, e, target, 0, 8, t, err);
	} else if (diff) {
		unused[0] = 0; /* V = 0 */
		drv->last.breaking = true;
		rc = drv_entry_set(drv, e, unused, 0, 1, t, err);
		if (!rc)
			rc = drv_entry_set(drv, e, target, 1, 7, t, err);
		if (!rc)
			rc = drv_entry_set(drv, e, target, 0, 1, t, err);
	} else {
		rc = drv_entry_set(drv, e, target, 0, 8, t, err);
	}
	drv->last.hitless = !drv->last.breaking && drv->last.qwords;
	drv->st.breaking_updates += drv->last.breaking;
	drv->st.hitless_updates += drv->last.hitless;
	return rc;
}

static void drv_update_begin(struct iom_smmu_drv *drv, uint32_t kind)
{
	drv->last = (struct iom_smmu_drv_update){ .kind = kind };
	drv->configured = true;
}

/* arm_smmu_init_l2_strtab(): a 256-STE leaf for sid's span, every STE abort
 * (one timed write), its L1STD (Span 9), then CFGI_STE Leaf=0 + SYNC. */
static int drv_strtab_leaf(struct iom_smmu_drv *drv, uint32_t sid, uint64_t *t,
			   struct iom_err *err)
{
	const size_t bytes = DRV_STRTAB_L2_STES * SMMU_STE_BYTES;
	uint32_t idx = sid >> DRV_STRTAB_SPLIT;
	uint64_t l2, (*stes)[SMMU_STE_WORDS] = calloc(DRV_STRTAB_L2_STES, SMMU_STE_BYTES);
	if (!stes)
		return iom_err_set(err, IOM_ENOMEM, "smmu drv: out of memory");
	int rc = drv_alloc(drv, &l2, bytes, "level-2 stream table", err);
	if (rc) {
		free(stes);
		return rc;
	}
	for (uint32_t i = 0; i < DRV_STRTAB_L2_STES; i++)
		drv_abort_ste(stes[i]);
	struct iom_smmu_drv_store s = { .kind = IOM_SMMU_DRV_STORE_L2STRTAB, .sid = sid, .pa = l2,
					.value = stes[0][0] };
	drv_store(drv, &s, stes, bytes, t);
	free(stes);
	drv->l2[idx] = l2;
	drv->st.l2_strtabs++;
	uint64_t d = smmu_l1std_make(l2, DRV_STRTAB_SPLIT + 1);
	s = (struct iom_smmu_drv_store){ .kind = IOM_SMMU_DRV_STORE_L1STD, .sid = sid,
					 .pa = drv->strtab_pa + 8ull * idx, .value = d };
	drv_store(drv, &s, &d, 8, t);
	drv->st.l1_desc_writes++;
	drv->last.l1_written = true;
	return drv_cfgi_sync(drv, SMMU_CMD_CFGI_STE, sid, 0, false, t, err);
}

static int drv_ste_update(struct iom_smmu_drv *drv, uint32_t sid, const uint64_t *target,
			  uint64_t now_ps, uint64_t *done_ps, struct iom_err *err)
{
	uint64_t t = now_ps;
	int rc = drv_check_sid(drv, sid, err);
	if (rc)
		return rc;
	drv_update_begin(drv, IOM_SMMU_DRV_STORE_STE);
	if (!iom_smmu_drv_ste_pa(drv, sid))
		rc = drv_strtab_leaf(drv, sid, &t, err);
	if (rc)
		return rc;
	struct drv_entry e = { .kind = IOM_SMMU_DRV_STORE_STE, .sid = sid,
			       .pa = iom_smmu_drv_ste_pa(drv, sid) };
	iom_mem_read(drv->mem, e.pa, e.cur, SMMU_STE_BYTES, NULL);
	rc = drv_write_entry(drv, &e, target, &t, err);
	drv->st.ste_writes++;
	if (done_ps)
		*done_ps = t;
	return rc;
}

/* A CD table's fate once the STE stopped pointing at it. */
static void drv_retire_cdtabs(struct iom_smmu_drv *drv, uint32_t sid, bool current_too)
{
	uint64_t v;
	if (iom_u64map_get(&drv->retired, sid, &v)) {
		drv_cdtab_free(drv, (struct drv_cdtab *)(uintptr_t)v);
		iom_u64map_del(&drv->retired, sid);
	}
	if (current_too && iom_u64map_get(&drv->cdtabs, sid, &v)) {
		drv_cdtab_free(drv, (struct drv_cdtab *)(uintptr_t)v);
		iom_u64map_del(&drv->cdtabs, sid);
	}
}

static int drv_ste_simple(struct iom_smmu_drv *drv, uint32_t sid, uint32_t config, uint64_t now_ps,
			  uint64_t *done_ps, struct iom_err *err)
{
	uint64_t ste[SMMU_STE_WORDS] = { 0 };
	smmu_ste_set_v(ste, 1);
	smmu_ste_set_config(ste, config);
	int rc = drv_ste_update(drv, sid, ste, now_ps, done_ps, err);
	if (!rc)
		drv_retire_cdtabs(drv, sid, true);
	return rc;
}

int iom_smmu_drv_ste_bypass(struct iom_smmu_drv *drv, uint32_t sid, uint64_t now_ps,
			    uint64_t *done_ps, struct iom_err *err)
{
	return drv_ste_simple(drv, sid, SMMU_STE_CFG_BYPASS, now_ps, done_ps, err);
}

int iom_smmu_drv_ste_abort(struct iom_smmu_drv *drv, uint32_t sid, uint64_t now_ps,
			   uint64_t *done_ps, struct iom_err *err)
{
	return drv_ste_simple(drv, sid, SMMU_STE_CFG_ABORT, now_ps, done_ps, err);
}

static bool drv_want_2lvl_cdtab(const struct iom_smmu_drv *drv, uint32_t cdmax)
{
	if (drv->opts.cdtab == IOM_SMMU_DRV_TAB_AUTO)
		return drv->cd_2lvl_hw && cdmax > DRV_CD_SPLIT;
	return drv->opts.cdtab == IOM_SMMU_DRV_TAB_2LVL && cdmax > 0;
}

/* arm_smmu_alloc_cd_tables(): a linear table of 2^cdmax CDs, or an L1 table
 * of 2^(cdmax - 10) L1CDs (at least one) whose leaves come later. */
static int drv_cdtab_new(struct iom_smmu_drv *drv, uint32_t cdmax, struct drv_cdtab **out,
			 struct iom_err *err)
{
	struct drv_cdtab *c = calloc(1, sizeof(*c));
	int rc;
	if (!c)
		return iom_err_set(err, IOM_ENOMEM, "smmu drv: out of memory");
	c->cdmax = cdmax;
	if (drv_want_2lvl_cdtab(drv, cdmax)) {
		c->fmt = SMMU_S1FMT_1024CD;
		c->nl1 = 1u << (cdmax > DRV_CD_SPLIT ? cdmax - DRV_CD_SPLIT : 0);
		c->l2 = calloc(c->nl1, sizeof(*c->l2));
		rc = c->l2 ? drv_alloc(drv, &c->base, (size_t)c->nl1 * 8, "level-1 CD table", err)
			   : iom_err_set(err, IOM_ENOMEM, "smmu drv: out of memory");
	} else {
		c->fmt = SMMU_S1FMT_LINEAR;
		rc = drv_alloc(drv, &c->base, drv_cd_linear_bytes(cdmax), "CD table", err);
	}
	if (rc) {
		free(c->l2);
		free(c);
		return rc;
	}
	*out = c;
	return 0;
}

int iom_smmu_drv_cd_alloc(struct iom_smmu_drv *drv, uint32_t sid, uint32_t s1cdmax,
			  struct iom_err *err)
{
	int rc = drv_check_sid(drv, sid, err);
	if (rc)
		return rc;
	/* Linux: master->ssid_bits <= smmu->ssid_bits (IDR1.SSIDSIZE). */
	uint32_t ssid_bits = smmu_idr1_ssidsize(iom_smmu_read_idr(drv->smmu, 1));
	if (s1cdmax > ssid_bits)
		return iom_err_set(err, IOM_ERANGE,
				   "smmu %s drv: SID %u: S1CDMax %u beyond IDR1.SSIDSIZE %u",
				   iom_smmu_name(drv->smmu), sid, s1cdmax, ssid_bits);
	struct drv_cdtab *c = drv_cdtab(drv, sid), *n = NULL;
	if (c && c->cdmax == s1cdmax)
		return 0;
	rc = drv_cdtab_new(drv, s1cdmax, &n, err);
	if (rc)
		return rc;
	if (c) {
		/* The STE may still point at it: freed once the STE moved on. */
		if (iom_smmu_drv_cd_table(drv, sid) == c->base) {
			drv_retire_cdtabs(drv, sid, false);
			iom_u64map_put(&drv->retired, sid, (uint64_t)(uintptr_t)c);
		} else {
			drv_cdtab_free(drv, c);
		}
	}
	if (iom_u64map_put(&drv->cdtabs, sid, (uint64_t)(uintptr_t)n)) {
		drv_cdtab_free(drv, n);
		iom_u64map_del(&drv->cdtabs, sid);
		return iom_err_set(err, IOM_ENOMEM, "smmu drv: out of memory");
	}
	return 0;
}

static unsigned drv_tg0(uint32_t granule_shift)
{
	if (granule_shift == 16)
		return SMMU_TG0_64K;
	return granule_shift == 14 ? SMMU_TG0_16K : SMMU_TG0_4K;
}

/* IPS encoding of an address width (TCR.PS): 32 36 40 42 44 48 52 bits. */
static int drv_ips(uint32_t bits)
{
	for (unsigned i = 0; i < 7; i++)
		if (smmu_ips_bits(i) == bits)
			return (int)i;
	return -1;
}

/* The stage-2 half of an STE, as arm_smmu_make_s2_domain_ste(): S2VMID,
 * VTCR fields, S2AA64, S2R (record stage-2 faults), S2TTB. */
static int drv_s2_fields(struct iom_smmu_drv *drv, uint32_t sid,
			 const struct iom_smmu_drv_s2_cfg *s2, uint64_t *ste, struct iom_err *err)
{
	uint32_t gs = s2->granule_shift ? s2->granule_shift : 12;
	int ps = drv_ips(s2->ps_bits ? s2->ps_bits : 48);
	if ((gs != 12 && gs != 14 && gs != 16) || ps < 0 || s2->sl0 > 3 || s2->t0sz > 63 ||
	    (s2->ttb & 0xf) || ((uint64_t)s2->vmid >> drv->vmid_bits))
		return iom_err_set(err, IOM_EINVAL,
				   "smmu %s drv: SID %u: stage 2 VMID %u, S2T0SZ %u, "
				   "S2SL0 %u, granule 2^%u, S2PS %u bits or S2TTB 0x%" PRIx64
				   " invalid",
				   iom_smmu_name(drv->smmu), sid, s2->vmid, s2->t0sz, s2->sl0, gs,
				   s2->ps_bits, s2->ttb);
	smmu_ste_set_s2vmid(ste, s2->vmid);
	smmu_ste_set_s2t0sz(ste, s2->t0sz);
	smmu_ste_set_s2sl0(ste, s2->sl0);
	smmu_ste_set_s2tg(ste, drv_tg0(gs));
	smmu_ste_set_s2ps(ste, (uint64_t)ps);
	smmu_ste_set_s2aa64(ste, 1);
	smmu_ste_set_s2r(ste, 1);
	smmu_ste_set_s2ttb(ste, s2->ttb);
	smmu_ste_set_s2ha(ste, s2->hd);
	smmu_ste_set_s2hd(ste, s2->hd);
	return 0;
}

/* arm_smmu_make_cdtable_ste() for an NS-EL1 stream without ATS or stalls;
 * with s2, the nested form (Config 0b111: the CD table and stage-1 tables
 * are IPAs that stage 2 translates). */
static int drv_ste_cdtable(struct iom_smmu_drv *drv, uint32_t sid, uint32_t s1cdmax,
			   uint32_t s1dss, const struct iom_smmu_drv_s2_cfg *s2, uint64_t now_ps,
			   uint64_t *done_ps, struct iom_err *err)
{
	uint64_t ste[SMMU_STE_WORDS] = { 0 };
	if (s1dss > 3)
		return iom_err_set(err, IOM_ERANGE, "smmu %s drv: SID %u: S1DSS %u out of range",
				   iom_smmu_name(drv->smmu), sid, s1dss);
	int rc = s2 ? drv_s2_fields(drv, sid, s2, ste, err) : 0;
	if (!rc)
		rc = iom_smmu_drv_cd_alloc(drv, sid, s1cdmax, err);
	if (rc)
		return rc;
	const struct drv_cdtab *c = drv_cdtab(drv, sid);
	smmu_ste_set_v(ste, 1);
	smmu_ste_set_config(ste, s2 ? SMMU_STE_CFG_NESTED : SMMU_STE_CFG_S1);
	smmu_ste_set_s1fmt(ste, c->fmt);
	smmu_ste_set_s1ctxptr(ste, c->base);
	smmu_ste_set_s1cdmax(ste, s1cdmax);
	smmu_ste_set_s1dss(ste, s1dss);
	smmu_ste_set_s1cir(ste, SMMU_STE_S1C_WBRA);
	smmu_ste_set_s1cor(ste, SMMU_STE_S1C_WBRA);
	smmu_ste_set_s1csh(ste, SMMU_SH_ISH);
	smmu_ste_set_strw(ste, SMMU_STRW_NSEL1);
	uint64_t eats = 0;
	if (iom_u64map_get(&drv->ats_eats, sid, &eats)) /* arm_smmu_make_cdtable_ste(ats_enabled) */
		smmu_ste_set_eats(ste, SMMU_EATS_FULL);
	rc = drv_ste_update(drv, sid, ste, now_ps, done_ps, err);
	if (!rc)
		drv_retire_cdtabs(drv, sid, false);
	return rc;
}

int iom_smmu_drv_ste_s1(struct iom_smmu_drv *drv, uint32_t sid, uint32_t s1cdmax, uint32_t s1dss,
			uint64_t now_ps, uint64_t *done_ps, struct iom_err *err)
{
	return drv_ste_cdtable(drv, sid, s1cdmax, s1dss, NULL, now_ps, done_ps, err);
}

int iom_smmu_drv_ste_nested(struct iom_smmu_drv *drv, uint32_t sid, uint32_t s1cdmax,
			    uint32_t s1dss, const struct iom_smmu_drv_s2_cfg *s2, uint64_t now_ps,
			    uint64_t *done_ps, struct iom_err *err)
{
	return drv_ste_cdtable(drv, sid, s1cdmax, s1dss, s2, now_ps, done_ps, err);
}

/* arm_smmu_alloc_cd_ptr(): the leaf of ssid's span (allocated zeroed: every
 * CD V=0), its L1CD, then CFGI_CD Leaf=0 + SYNC ("an invalid L1CD can be
 * cached"). */
static int drv_cd_leaf(struct iom_smmu_drv *drv, struct drv_cdtab *c, uint32_t sid, uint32_t ssid,
		       uint64_t *t, struct iom_err *err)
{
	uint32_t idx = ssid >> DRV_CD_SPLIT;
	uint64_t l2;
	int rc = drv_alloc(drv, &l2, DRV_CD_L2_CDS * SMMU_CD_BYTES, "level-2 CD table", err);
	if (rc)
		return rc;
	c->l2[idx] = l2;
	drv->st.l2_cdtabs++;
	uint64_t d = smmu_l1cd_make(l2);
	struct iom_smmu_drv_store s = { .kind = IOM_SMMU_DRV_STORE_L1CD, .sid = sid, .ssid = ssid,
					.pa = c->base + 8ull * idx, .value = d };
	drv_store(drv, &s, &d, 8, t);
	drv->st.l1_desc_writes++;
	drv->last.l1_written = true;
	return drv_cfgi_sync(drv, SMMU_CMD_CFGI_CD, sid, ssid, false, t, err);
}

static int drv_cd_update(struct iom_smmu_drv *drv, uint32_t sid, uint32_t ssid,
			 const uint64_t *target, bool clear, uint64_t now_ps, uint64_t *done_ps,
			 struct iom_err *err)
{
	uint64_t t = now_ps;
	int rc = drv_check_sid(drv, sid, err);
	if (rc)
		return rc;
	struct drv_cdtab *c = drv_cdtab(drv, sid);
	if (!c)
		return iom_err_set(err, IOM_EINVAL, "smmu %s drv: SID %u has no CD table",
				   iom_smmu_name(drv->smmu), sid);
	if (c->cdmax ? (uint64_t)ssid >> c->cdmax : ssid != 0)
		return iom_err_set(err, IOM_ERANGE,
				   "smmu %s drv: SID %u: SSID %u beyond S1CDMax %u",
				   iom_smmu_name(drv->smmu), sid, ssid, c->cdmax);
	drv_update_begin(drv, IOM_SMMU_DRV_STORE_CD);
	if (done_ps)
		*done_ps = now_ps;
	if (!iom_smmu_drv_cd_pa(drv, sid, ssid)) {
		if (clear)
			return 0; /* no leaf: the CD reads as V=0 already */
		rc = drv_cd_leaf(drv, c, sid, ssid, &t, err);
		if (rc)
			return rc;
	}
	struct drv_entry e = { .kind = IOM_SMMU_DRV_STORE_CD, .sid = sid, .ssid = ssid,
			       .pa = iom_smmu_drv_cd_pa(drv, sid, ssid) };
	iom_mem_read(drv->mem, e.pa, e.cur, SMMU_CD_BYTES, NULL);
	rc = drv_write_entry(drv, &e, target, &t, err);
	drv->st.cd_writes++;
	if (done_ps)
		*done_ps = t;
	return rc;
}

int iom_smmu_drv_cd_write(struct iom_smmu_drv *drv, uint32_t sid, uint32_t ssid,
			  const struct iom_smmu_drv_cd_cfg *cfg, uint64_t now_ps, uint64_t *done_ps,
			  struct iom_err *err)
{
	uint64_t cd[SMMU_CD_WORDS] = { 0 };
	uint32_t gs = cfg->granule_shift ? cfg->granule_shift : 12;
	int ips = drv_ips(cfg->ips_bits ? cfg->ips_bits : 48);
	if ((gs != 12 && gs != 14 && gs != 16) || ips < 0 || cfg->t0sz < SMMU_CD_T0SZ_MIN ||
	    cfg->t0sz > SMMU_CD_T0SZ_MAX || (cfg->ttb0 & 0xf))
		return iom_err_set(err, IOM_EINVAL,
				   "smmu %s drv: SID %u SSID %u: T0SZ %u, granule 2^%u, "
				   "IPS %u bits or TTB0 0x%" PRIx64 " invalid",
				   iom_smmu_name(drv->smmu), sid, ssid, cfg->t0sz, gs,
				   cfg->ips_bits, cfg->ttb0);
	/* arm_smmu_make_s1_cd(): WBWA inner/outer, inner shareable, EPD1. */
	smmu_cd_set_t0sz(cd, cfg->t0sz);
	smmu_cd_set_tg0(cd, drv_tg0(gs));
	smmu_cd_set_irgn0(cd, 1);
	smmu_cd_set_orgn0(cd, 1);
	smmu_cd_set_sh0(cd, SMMU_SH_ISH);
	smmu_cd_set_epd1(cd, 1);
	smmu_cd_set_v(cd, 1);
	smmu_cd_set_ips(cd, (uint64_t)ips);
	smmu_cd_set_aa64(cd, 1);
	smmu_cd_set_r(cd, 1);
	smmu_cd_set_a(cd, 1);
	smmu_cd_set_aset(cd, !cfg->shared_asid);
	smmu_cd_set_asid(cd, cfg->asid);
	smmu_cd_set_ttb0(cd, cfg->ttb0);
	smmu_cd_set_mair(cd, DRV_MAIR);
	smmu_cd_set_ha(cd, cfg->hd);
	smmu_cd_set_hd(cd, cfg->hd);
	return drv_cd_update(drv, sid, ssid, cd, false, now_ps, done_ps, err);
}

int iom_smmu_drv_cd(struct iom_smmu_drv *drv, uint32_t sid, uint32_t ssid, uint16_t asid,
		    uint64_t ttb0, uint32_t t0sz, uint64_t now_ps, uint64_t *done_ps,
		    struct iom_err *err)
{
	struct iom_smmu_drv_cd_cfg c = { .asid = asid, .ttb0 = ttb0, .t0sz = t0sz };
	if (ttb0 & 0xfff)
		return iom_err_set(err, IOM_EINVAL, "smmu %s drv: SID %u SSID %u: TTB0 0x%" PRIx64
				   " not 4 KB aligned", iom_smmu_name(drv->smmu), sid, ssid, ttb0);
	return iom_smmu_drv_cd_write(drv, sid, ssid, &c, now_ps, done_ps, err);
}

int iom_smmu_drv_cd_clear(struct iom_smmu_drv *drv, uint32_t sid, uint32_t ssid, uint64_t now_ps,
			  uint64_t *done_ps, struct iom_err *err)
{
	uint64_t cd[SMMU_CD_WORDS] = { 0 };
	return drv_cd_update(drv, sid, ssid, cd, true, now_ps, done_ps, err);
}

/* ---- TLB invalidation ---- */

static unsigned drv_log2(uint64_t v)
{
	return (unsigned)(63 - __builtin_clzll(v));
}

/* The translation granule (log2) whose page or block size `granule` is: the
 * leaf sizes of the three granules are disjoint (4K: 2^(12 + 9k), 16K:
 * 2^(14 + 11k), 64K: 2^(16 + 13k)), so the leaf size names it. Linux takes
 * it from the domain's pgsize_bitmap instead. */
static unsigned drv_tg_of_leaf(uint64_t granule)
{
	unsigned g = drv_log2(granule);
	if (g >= 12 && (g - 12) % 9 == 0)
		return 12;
	if (g >= 14 && (g - 14) % 11 == 0)
		return 14;
	if (g >= 16 && (g - 16) % 13 == 0)
		return 16;
	return 12;
}

size_t iom_smmu_drv_build_tlbi_va(uint64_t (*cmds)[2], uint16_t asid, uint64_t iova,
				  uint64_t size, uint64_t granule, bool leaf, bool range)
{
	uint64_t end = iova + size, pages = 0;
	unsigned ttl = 0;
	size_t n = 0;

	if (!size)
		return 0;
	unsigned tg = drv_tg_of_leaf(granule);
	if (range) {
		/* tg = log2 of the domain's smallest page size (the granule); TG = (tg - 10) / 2 */
		pages = (size + (1ull << tg) - 1) >> tg;
		if (leaf)
			ttl = 4 - (drv_log2(granule) - 3) / (tg - 3);
		else if ((pages & SMMU_TLBI_NUM_MAX) == 1)
			pages++; /* never NUM = SCALE = TTL = 0 (reserved) */
	}
	while (iova < end) {
		uint64_t step = granule;
		uint64_t c[2];
		drv_cmd(c, SMMU_CMD_TLBI_NH_VA);
		smmu_cmd_set_asid(c, asid);
		smmu_cmd_set_leaf(c, leaf);
		smmu_cmd_set_addr(c, iova);
		if (range) {
			unsigned scale = (unsigned)__builtin_ctzll(pages);
			uint64_t num = (pages >> scale) & SMMU_TLBI_NUM_MAX;
			if (scale > SMMU_TLBI_SCALE_MAX) { /* beyond the 5-bit field: 2^36 pages */
				scale = SMMU_TLBI_SCALE_MAX;
				num = IOM_MIN(pages >> scale, (uint64_t)SMMU_TLBI_NUM_MAX + 1);
			}
			smmu_cmd_set_tg(c, (tg - 10) / 2);
			smmu_cmd_set_ttl(c, ttl);
			smmu_cmd_set_scale(c, scale);
			smmu_cmd_set_num(c, (uint32_t)(num - 1));
			step = num << (scale + tg);
			pages -= num << scale;
		}
		if (cmds) {
			cmds[n][0] = c[0];
			cmds[n][1] = c[1];
		}
		n++;
		if (step > UINT64_MAX - iova)
			break;
		iova += step;
	}
	return n;
}

bool iom_smmu_drv_has_range(const struct iom_smmu_drv *drv)
{
	return drv->ril;
}

static int drv_tlbi(struct iom_smmu_drv *drv, uint16_t vmid, uint16_t asid, uint64_t iova,
		    uint64_t size, uint64_t granule, bool leaf, bool range, uint64_t now_ps,
		    uint64_t *done_ps, struct iom_err *err)
{
	if (!granule || (granule & (granule - 1)) || granule < 4096 || (iova & (granule - 1)))
		return iom_err_set(err, IOM_EINVAL, "smmu %s drv: tlbi range: granule 0x%" PRIx64
				   " / iova 0x%" PRIx64 " misaligned", iom_smmu_name(drv->smmu),
				   granule, iova);
	range = range && drv->ril;
	size_t n = iom_smmu_drv_build_tlbi_va(NULL, asid, iova, size, granule, leaf, range);
	uint64_t(*cmds)[2] = calloc(n ? n : 1, sizeof(*cmds));
	if (!cmds)
		return iom_err_set(err, IOM_ENOMEM, "smmu drv: tlbi range: out of memory");
	iom_smmu_drv_build_tlbi_va(cmds, asid, iova, size, granule, leaf, range);
	for (size_t i = 0; i < n; i++)
		smmu_cmd_set_vmid(cmds[i], vmid);
	drv->st.range_cmds += range ? n : 0;
	int rc = drv_issue_sync(drv, (const uint64_t(*)[2])cmds, n, now_ps, done_ps, err);
	free(cmds);
	return rc;
}

int iom_smmu_drv_tlbi(struct iom_smmu_drv *drv, uint16_t asid, uint64_t iova, uint64_t size,
		      uint64_t granule, bool leaf, bool range, uint64_t now_ps, uint64_t *done_ps,
		      struct iom_err *err)
{
	return drv_tlbi(drv, 0, asid, iova, size, granule, leaf, range, now_ps, done_ps, err);
}

int iom_smmu_drv_tlbi_range(struct iom_smmu_drv *drv, uint16_t asid, uint64_t iova, uint64_t size,
			    uint64_t granule, bool leaf, uint64_t now_ps, uint64_t *done_ps,
			    struct iom_err *err)
{
	return iom_smmu_drv_tlbi(drv, asid, iova, size, granule, leaf, false, now_ps, done_ps, err);
}

static int drv_tlbi_asid(struct iom_smmu_drv *drv, uint16_t vmid, uint16_t asid, uint64_t now_ps,
			 uint64_t *done_ps, struct iom_err *err)
{
	uint64_t c[2];
	drv_cmd(c, SMMU_CMD_TLBI_NH_ASID);
	smmu_cmd_set_vmid(c, vmid);
	smmu_cmd_set_asid(c, asid);
	return drv_submit2(drv, c, now_ps, done_ps, err);
}

int iom_smmu_drv_tlbi_asid(struct iom_smmu_drv *drv, uint16_t asid, uint64_t now_ps,
			   uint64_t *done_ps, struct iom_err *err)
{
	return drv_tlbi_asid(drv, 0, asid, now_ps, done_ps, err);
}

int iom_smmu_drv_tlbi_s12_vmall(struct iom_smmu_drv *drv, uint16_t vmid, uint64_t now_ps,
				uint64_t *done_ps, struct iom_err *err)
{
	uint64_t c[2];
	drv_cmd(c, SMMU_CMD_TLBI_S12_VMALL);
	smmu_cmd_set_vmid(c, vmid);
	return drv_submit2(drv, c, now_ps, done_ps, err);
}

/* ---- event queue ---- */

int iom_smmu_drv_read_event(struct iom_smmu_drv *drv, uint64_t ev[4])
{
	uint32_t prod = iom_smmu_read_evtq_prod(drv->smmu), log2 = drv->evtq_log2;

	if (smmu_q_empty(prod, drv->evtq_cons, log2))
		return 0;
	iom_mem_read(drv->mem,
		     drv->evtq_pa + (uint64_t)smmu_q_idx(drv->evtq_cons, log2) * SMMU_EVT_BYTES, ev,
		     SMMU_EVT_BYTES, NULL);
	/* Advance CONS and acknowledge any overflow (OVACKFLG = OVFLG), as
	 * Linux's queue_sync_cons_ovf() does. */
	drv->evtq_cons =
	    smmu_evtq_set_ovflg(smmu_q_inc(drv->evtq_cons, log2), smmu_evtq_ovflg(prod));
	iom_smmu_write_evtq_cons(drv->smmu, drv->evtq_cons);
	drv->st.events_read++;
	return 1;
}

/* ---- ATS (arm_smmu_attach_prepare/commit, arm_smmu_atc_inv_*) ---- */

/* A (stream, SSID) attached to a paging domain with ATS enabled: an entry of
 * smmu_domain->devices that arm_smmu_atc_inv_domain() sends CMD_ATC_INV to. */
struct drv_ats_master {
	uint32_t sid, ssid, tag; /* tag: ASID [15:0] | VMID [31:16], as iom_inval.tag */
};

void iom_smmu_drv_set_ats_port(struct iom_smmu_drv *drv, const struct iom_ats_port *port)
{
	drv->ats_port = port;
	iom_smmu_set_ats_port(drv->smmu, port);
}

bool iom_smmu_drv_ats_supported(const struct iom_smmu_drv *drv, uint32_t sid)
{
	return drv->ats_port && (iom_smmu_read_idr(drv->smmu, 0) & SMMU_IDR0_ATS) &&
	       drv->ats_port->ops->capable(drv->ats_port->ctx, sid);
}

bool iom_smmu_drv_ats_enabled(const struct iom_smmu_drv *drv, uint32_t sid)
{
	uint64_t v;
	return iom_u64map_get(&drv->ats_on, sid, &v);
}

int iom_smmu_drv_set_eats(struct iom_smmu_drv *drv, uint32_t sid, bool eats, struct iom_err *err)
{
	if (!eats) {
		iom_u64map_del(&drv->ats_eats, sid);
		return 0;
	}
	return iom_u64map_put(&drv->ats_eats, sid, 1)
		       ? iom_err_set(err, IOM_ENOMEM, "smmu drv: out of memory") : 0;
}

bool iom_smmu_drv_ste_eats(const struct iom_smmu_drv *drv, uint32_t sid)
{
	uint64_t ste[SMMU_STE_WORDS];
	if ((uint64_t)sid >> drv->sid_bits)
		return false;
	drv_read_ste((struct iom_smmu_drv *)drv, sid, ste);
	return smmu_ste_v(ste) && smmu_ste_eats(ste) == SMMU_EATS_FULL;
}

void iom_smmu_drv_build_atc_inv(uint64_t c[2], uint32_t sid, uint32_t ssid, uint64_t iova,
				uint64_t size)
{
	drv_cmd(c, SMMU_CMD_ATC_INV);
	smmu_cmd_set_sid(c, sid);
	smmu_cmd_set_ssid(c, ssid);
	smmu_cmd_set_ssv(c, ssid != 0); /* IOMMU_NO_PASID: no PASID prefix, every entry */
	if (!size) {
		smmu_cmd_set_atc_size(c, SMMU_ATC_SIZE_ALL);
		return;
	}
	uint64_t first = iova >> 12, last = (iova + size - 1) >> 12, x = first ^ last;
	unsigned log2_span = x ? 64u - (unsigned)__builtin_clzll(x) : 0; /* fls_long() */
	first &= ~((1ull << log2_span) - 1);
	smmu_cmd_set_addr(c, first << 12);
	smmu_cmd_set_atc_size(c, log2_span);
}

int iom_smmu_drv_atc_inv_master(struct iom_smmu_drv *drv, uint32_t sid, uint32_t ssid,
				uint64_t now_ps, uint64_t *done_ps, struct iom_err *err)
{
	uint64_t c[2];
	iom_smmu_drv_build_atc_inv(c, sid, ssid, 0, 0);
	drv->st.atc_inv_cmds++;
	return drv_submit2(drv, c, now_ps, done_ps, err);
}

int iom_smmu_drv_ats_enable(struct iom_smmu_drv *drv, uint32_t sid, bool on, uint64_t now_ps,
			    uint64_t *done_ps, struct iom_err *err)
{
	const struct iom_ats_port *p = drv->ats_port;
	uint64_t t = now_ps;
	int rc = 0;
	if (done_ps)
		*done_ps = now_ps;
	if (!p)
		return iom_err_set(err, IOM_EINVAL, "smmu %s drv: no ATS port",
				   iom_smmu_name(drv->smmu));
	if (on) { /* arm_smmu_enable_ats(): flush the whole ATC, then Enable with the STU */
		rc = iom_smmu_drv_atc_inv_master(drv, sid, 0, t, &t, err);
		if (!rc) /* STU: the smallest granule of IDR5 (GRAN4K) */
			rc = p->ops->enable(p->ctx, sid, true, 12, err);
		if (!rc && iom_u64map_put(&drv->ats_on, sid, 1))
			rc = iom_err_set(err, IOM_ENOMEM, "smmu drv: out of memory");
	} else { /* pci_disable_ats() */
		rc = p->ops->enable(p->ctx, sid, false, 12, err);
		iom_u64map_del(&drv->ats_on, sid);
	}
	if (done_ps)
		*done_ps = t;
	return rc;
}

int iom_smmu_drv_ats_master_add(struct iom_smmu_drv *drv, uint32_t sid, uint32_t ssid,
				uint32_t tag, struct iom_err *err)
{
	for (size_t i = 0; i < drv->nmasters; i++) {
		struct drv_ats_master *m = &drv->masters[i];
		if (m->sid == sid && m->ssid == ssid) {
			m->tag = tag;
			return 0;
		}
	}
	if (drv->nmasters == drv->capmasters) {
		size_t cap = drv->capmasters ? 2 * drv->capmasters : 8;
		struct drv_ats_master *n = realloc(drv->masters, cap * sizeof(*n));
		if (!n)
			return iom_err_set(err, IOM_ENOMEM, "smmu drv: out of memory");
		drv->masters = n;
		drv->capmasters = cap;
	}
	drv->masters[drv->nmasters++] = (struct drv_ats_master){ sid, ssid, tag };
	return 0;
}

void iom_smmu_drv_ats_master_del(struct iom_smmu_drv *drv, uint32_t sid, uint32_t ssid)
{
	for (size_t i = 0; i < drv->nmasters; i++) {
		if (drv->masters[i].sid == sid && drv->masters[i].ssid == ssid) {
			memmove(&drv->masters[i], &drv->masters[i + 1],
				(drv->nmasters - i - 1) * sizeof(*drv->masters));
			drv->nmasters--;
			return;
		}
	}
}

/* arm_smmu_atc_inv_domain(): after the TLB invalidation of `tag` (all: every
 * domain) completed, one CMD_ATC_INV per ATS master of it, then CMD_SYNC;
 * size 0 = the whole ATC. Nothing when no master uses ATS. */
static int drv_atc_inv_domain(struct iom_smmu_drv *drv, bool all, uint32_t tag, uint64_t iova,
			      uint64_t size, uint64_t now_ps, uint64_t *done_ps,
			      struct iom_err *err)
{
	size_t n = 0;
	*done_ps = now_ps;
	for (size_t i = 0; i < drv->nmasters; i++)
		n += all || drv->masters[i].tag == tag;
	if (!n)
		return 0;
	uint64_t(*cmds)[2] = calloc(n, sizeof(*cmds));
	if (!cmds)
		return iom_err_set(err, IOM_ENOMEM, "smmu drv: out of memory");
	n = 0;
	for (size_t i = 0; i < drv->nmasters; i++) {
		const struct drv_ats_master *m = &drv->masters[i];
		if (all || m->tag == tag)
			iom_smmu_drv_build_atc_inv(cmds[n++], m->sid, m->ssid, iova, all ? 0 : size);
	}
	drv->st.atc_inv_cmds += n;
	int rc = drv_issue_sync(drv, (const uint64_t(*)[2])cmds, n, now_ps, done_ps, err);
	free(cmds);
	return rc;
}

/* ---- the common IOMMU interface ---- */

static int drv_op_translate(void *self, struct iom_txn *t, struct iom_err *err)
{
	struct iom_smmu_drv *drv = self;
	int rc = iom_smmu_translate(drv->smmu, t, err);
	if (!rc && drv->observe)
		drv->observe(drv->observe_ctx, t);
	return rc;
}

void iom_smmu_drv_set_txn_observer(struct iom_smmu_drv *drv,
				   void (*fn)(void *ctx, const struct iom_txn *t), void *ctx)
{
	drv->observe = fn;
	drv->observe_ctx = fn ? ctx : NULL;
}

static int drv_op_cfgi_all(struct iom_smmu_drv *drv, uint64_t now_ps, uint64_t *done_ps,
			   struct iom_err *err)
{
	uint64_t cmds[2][2];
	drv_cmd(cmds[0], SMMU_CMD_CFGI_STE_RANGE);
	smmu_cmd_set_range(cmds[0], SMMU_CFGI_RANGE_ALL);
	drv_cmd(cmds[1], SMMU_CMD_TLBI_NSNH_ALL);
	return drv_issue_sync(drv, (const uint64_t(*)[2])cmds, 2, now_ps, done_ps, err);
}

/* inv->tag: ASID [15:0], VMID [31:16] (0 unless the stream is nested). */
static int drv_op_invalidate(void *self, const struct iom_inval *inv, uint64_t now_ps,
			     uint64_t *done_ps, struct iom_err *err)
{
	struct iom_smmu_drv *drv = self;
	uint64_t c[2];

	uint64_t t = now_ps, ignored;
	int rc;

	if (!done_ps)
		done_ps = &ignored;
	/* The TLB first, its CMD_SYNC waited for, then the ATCs of the domain's ATS
	 * masters (3.9.1: an ATS invalidation must follow the completed TLBI). */
	switch (inv->scope) {
	case IOM_INVAL_ALL:
		rc = drv_op_cfgi_all(drv, now_ps, &t, err);
		return rc ? rc : drv_atc_inv_domain(drv, true, 0, 0, 0, t, done_ps, err);
	case IOM_INVAL_DOMAIN:
		rc = drv_tlbi_asid(drv, (uint16_t)(inv->tag >> 16), (uint16_t)inv->tag, now_ps,
				   &t, err);
		return rc ? rc : drv_atc_inv_domain(drv, false, inv->tag, 0, 0, t, done_ps, err);
	case IOM_INVAL_RANGE:
		rc = drv_tlbi(drv, (uint16_t)(inv->tag >> 16), (uint16_t)inv->tag, inv->iova,
			      inv->size, inv->granule ? inv->granule : 4096, inv->leaf,
			      inv->use_range, now_ps, &t, err);
		return rc ? rc : drv_atc_inv_domain(drv, false, inv->tag, inv->iova, inv->size, t,
						    done_ps, err);
	case IOM_INVAL_DEV_CFG:
		drv_cmd(c, SMMU_CMD_CFGI_STE);
		smmu_cmd_set_sid(c, inv->rid);
		smmu_cmd_set_leaf(c, 1);
		return drv_submit2(drv, c, now_ps, done_ps, err);
	case IOM_INVAL_PASID_CFG:
		drv_cmd(c, SMMU_CMD_CFGI_CD);
		smmu_cmd_set_sid(c, inv->rid);
		smmu_cmd_set_ssid(c, inv->pasid);
		smmu_cmd_set_leaf(c, 1);
		return drv_submit2(drv, c, now_ps, done_ps, err);
	default:
		return iom_err_set(err, IOM_EINVAL, "smmu %s: invalidation scope %u unknown",
				   iom_smmu_name(drv->smmu), inv->scope);
	}
}

static int drv_op_doorbell(void *self, uint64_t now_ps, uint64_t *done_ps, struct iom_err *err)
{
	return drv_doorbell(self, now_ps, done_ps, err);
}

static int drv_op_register_stats(void *self, struct iom_stats *s, const char *prefix,
				 struct iom_err *err)
{
	struct iom_smmu_drv *drv = self;
#define DRV_CTR(f, d) IOM_STATS_FIELD(struct iom_smmu_drv_stats, f, "", d)
	static const struct iom_stats_field ctr[] = {
		DRV_CTR(commands, "commands written by the driver"),
		DRV_CTR(syncs, "CMD_SYNC written by the driver"),
		DRV_CTR(doorbells, "CMDQ_PROD writes"),
		DRV_CTR(ste_writes, "STE updates"),
		DRV_CTR(cd_writes, "CD updates"),
		DRV_CTR(ste_qwords, "8-byte stores to STEs"),
		DRV_CTR(cd_qwords, "8-byte stores to CDs"),
		DRV_CTR(cfgi_cmds, "CMD_CFGI_* written for STE/CD/L1 updates"),
		DRV_CTR(cfg_syncs, "CMD_SYNCs of STE/CD/L1 updates"),
		DRV_CTR(hitless_updates, "STE/CD updates without a V=0 step"),
		DRV_CTR(breaking_updates, "STE/CD updates through V=0"),
		DRV_CTR(l1_desc_writes, "L1STD / L1CD stores (a new leaf table)"),
		DRV_CTR(l2_strtabs, "level-2 stream tables allocated"),
		DRV_CTR(l2_cdtabs, "level-2 CD tables allocated"),
		DRV_CTR(events_read, "event records consumed"),
		DRV_CTR(range_cmds, "range TLBI commands written (TG != 0)"),
		DRV_CTR(sync_msi_polls, "CMD_SYNC completions observed through the MSI write"),
		DRV_CTR(cmdq_full_stalls, "waits for a full command queue to drain"),
		DRV_CTR(cmdq_full_wait_ps, "time waited for command-queue space (ps)"),
		DRV_CTR(atc_inv_cmds, "CMD_ATC_INV written (ATS masters' invalidations)"),
		DRV_CTR(atc_sync_retries, "CMD_SYNCs run again after CERROR_ATC_INV_SYNC"),
	};
#undef DRV_CTR

	int rc = iom_smmu_register_stats(drv->smmu, s, prefix, err);
	char p[128];
	snprintf(p, sizeof(p), "%s.drv", prefix);
	return rc ? rc : iom_stats_counters(s, p, &drv->st, ctr, IOM_ARRAY_SIZE(ctr), err);
}

static void drv_op_destroy(void *self)
{
	struct iom_smmu_drv *drv = self;
	struct iom_smmu *smmu = drv->smmu;
	iom_smmu_drv_destroy(drv);
	iom_smmu_destroy(smmu);
}

static int drv_op_ats_translate(void *self, struct iom_ats_req *r, struct iom_err *err)
{
	return iom_smmu_ats_translate(((struct iom_smmu_drv *)self)->smmu, r, err);
}

static void drv_op_set_ats_port(void *self, const struct iom_ats_port *port)
{
	iom_smmu_drv_set_ats_port(self, port);
}

static const struct iom_iommu_ops drv_ops = {
	.kind = "smmuv3",
	.translate = drv_op_translate,
	.invalidate = drv_op_invalidate,
	.doorbell = drv_op_doorbell,
	.register_stats = drv_op_register_stats,
	.destroy = drv_op_destroy,
	.ats_translate = drv_op_ats_translate,
	.set_ats_port = drv_op_set_ats_port,
};

void iom_smmu_drv_as_iommu(struct iom_smmu_drv *drv, struct iom_iommu *out)
{
	out->ops = &drv_ops;
	out->self = drv;
	snprintf(out->name, sizeof(out->name), "%s", iom_smmu_name(drv->smmu));
}

/* ---- PRI (arm_smmu_priq_thread, arm_smmu_page_response) ----
 * The queue is allocated and enabled as Linux's arm_smmu_init_queues /
 * arm_smmu_device_reset do (PRIQ_BASE, then CR0.PRIQEN); the thread reads
 * entries from CONS on (timed 16-byte reads by "<smmu>.drv") and moves CONS
 * past them (queue_remove_raw); when that empties the queue it acknowledges
 * an overflow (queue_sync_cons_ovf: CONS written with OVACKFLG = OVFLG).  A
 * response is one CMD_PRI_RESP (no CMD_SYNC: the driver does not wait). */

int iom_smmu_drv_priq_setup(struct iom_smmu_drv *drv, struct iom_smmu_priq *q, uint32_t log2,
			    struct iom_err *err)
{
	if (log2 > SMMU_PRIQ_MAX_LOG2)
		log2 = SMMU_PRIQ_MAX_LOG2;
	if (drv->priq_pa)
		iom_palloc_free(drv->pa, drv->priq_pa, (size_t)SMMU_PRIQ_ENT_BYTES << drv->priq_log2);
	drv->priq_pa = 0;
	int rc = drv_alloc(drv, &drv->priq_pa, (size_t)SMMU_PRIQ_ENT_BYTES << log2, "PRI queue", err);
	if (rc)
		return rc;
	drv->priq = q;
	drv->priq_log2 = log2;
	iom_smmu_priq_write_base(q, drv->priq_pa | log2);
	iom_smmu_priq_enable(q, true);
	return 0;
}

int iom_smmu_drv_priq_peek(struct iom_smmu_drv *drv, uint32_t ahead, struct iom_page_req *r,
			   uint64_t now_ps, uint64_t *done_ps)
{
	struct iom_smmu_priq *q = drv->priq;
	*done_ps = now_ps;
	if (!q)
		return 0;
	uint32_t wrap = (2u << drv->priq_log2) - 1;
	uint32_t prod = iom_smmu_priq_read_prod(q) & wrap, cons = iom_smmu_priq_read_cons(q) & wrap;
	if (ahead >= ((prod - cons) & wrap))
		return 0;
	uint64_t e[2];
	uint32_t idx = (cons + ahead) & ((1u << drv->priq_log2) - 1);
	*done_ps = iom_mem_timed_read(drv->mem, drv->req,
				      drv->priq_pa + (uint64_t)idx * SMMU_PRIQ_ENT_BYTES, e, sizeof(e),
				      now_ps, NULL);
	smmu_priq_decode(e, r);
	return 1;
}

void iom_smmu_drv_priq_consume(struct iom_smmu_drv *drv, uint32_t n)
{
	struct iom_smmu_priq *q = drv->priq;
	if (!q)
		return;
	uint32_t wrap = (2u << drv->priq_log2) - 1;
	uint32_t prod = iom_smmu_priq_read_prod(q), cons = iom_smmu_priq_read_cons(q);
	uint32_t ovack = cons & SMMU_PRIQ_OVFLG, ncons = (cons + n) & wrap;
	if (ncons == (prod & wrap)) /* empty: acknowledge an overflow (queue_sync_cons_ovf) */
		ovack = prod & SMMU_PRIQ_OVFLG;
	iom_smmu_priq_write_cons(q, ncons | ovack);
}

int iom_smmu_drv_pri_resp(struct iom_smmu_drv *drv, uint32_t sid, uint32_t ssid, bool ssv,
			  uint32_t prgi, uint32_t code, uint64_t now_ps, uint64_t *done_ps,
			  struct iom_err *err)
{
	uint64_t cmd[1][2] = {{0, 0}};
	uint32_t resp = code == IOM_PRG_SUCCESS   ? SMMU_PRI_RESP_SUCCESS
			: code == IOM_PRG_INVALID ? SMMU_PRI_RESP_INVALID
						  : SMMU_PRI_RESP_FAILURE;
	smmu_cmd_set_op(cmd[0], SMMU_CMD_PRI_RESP);
	smmu_cmd_set_sid(cmd[0], sid);
	smmu_cmd_set_ssv(cmd[0], ssv);
	smmu_cmd_set_ssid(cmd[0], ssv ? ssid : 0);
	smmu_cmd_set_pri_prgi(cmd[0], prgi);
	smmu_cmd_set_pri_resp(cmd[0], resp);
	return iom_smmu_drv_submit(drv, (const uint64_t(*)[2])cmd, 1, now_ps, done_ps, err);
}
