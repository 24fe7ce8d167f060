/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smmuv3.c - Arm SMMUv3 hardware model, stage-1 slice (IHI0070 G.b):
 * configuration, registers, the translation pipeline and the event queue.
 * Command consumption lives in smmuv3_cmdq.c.
 *
 * Pipeline (QEMU hw/arm/smmuv3.c shape): decode config (STE 5.2, CD 5.4,
 * through the configuration cache) -> TLB -> walk cache -> table walk
 * (models/pgtable) -> one exit (smmu_terminate) that sets the outcome,
 * counts the fault and writes the event record (7.3).
 *
 * Not modelled (rejected with -IOM_ENOTSUP + iom_unimp): 2-level stream
 * tables and CD tables, STE Config stage 2 / nested, TTB1 walks, 16K/64K
 * granules, HTTU (CD.HA/HD), the stall model (CD.S), ATS. CD.A=0 (RAZ/WI
 * termination) is reported as a fault outcome like A=1. Hierarchical
 * APTable/XNTable bits are applied by the walker for the levels it reads,
 * not for levels skipped through a walk-cache hit (Linux never sets them).
 * Invalid or ILLEGAL STEs/CDs are never cached (a model choice; the spec
 * lets an implementation not cache them). Host byte order must be
 * little-endian (structures are copied from memory as 64-bit words).
 *
 * Timing: one timeline in ps; latencies in cycles of clock_mhz. A
 * translation pays, in order: config-cache access for the STE (+ a 64-byte
 * timed read on a miss), the same for the CD, one TLB access (all page
 * sizes are probed in parallel: one access), and on a TLB miss one
 * walk-cache access (all levels in parallel) plus a walk of dependent
 * 8-byte reads while holding a walk slot. done_ps is when the result is
 * known; an event-record write runs in parallel and is not added to it.
 * SMMU_CR0.SMMUEN = 0: every transaction bypasses (pa = iova) at issue time,
 * or aborts if GBPA.ABORT = 1 (the reset GBPA is 0 = bypass).
 */
#include "smmuv3-internal.h"
#include "smmuv3-regs.h"

#include "config.h"
#include "log.h"
#include "mem.h"
#include "pgtable.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* Configuration.                                                          */

static const struct iom_prop smmu_props[] = {
	IOM_PROP_U32_(struct iom_smmu_cfg, clock_mhz, 1, 100000, "MHz", "SMMU clock frequency"),
	IOM_PROP_U32_(struct iom_smmu_cfg, sid_bits, 1, 24, "bits", "StreamID width (IDR1.SIDSIZE)"),
	IOM_PROP_U32_(struct iom_smmu_cfg, ssid_bits, 0, 20, "bits",
		      "SubstreamID width (IDR1.SSIDSIZE)"),
	IOM_PROP_U32_(struct iom_smmu_cfg, walk_slots, 1, 1024, "walks",
		      "concurrent translation-table walks"),
	IOM_PROP_U32_(struct iom_smmu_cfg, cmd_cycles, 0, 1000000, "cycles",
		      "execution time of one command after its fetch"),
	IOM_PROP_U32_(struct iom_smmu_cfg, sync_cycles, 0, 1000000, "cycles",
		      "execution time of one CMD_SYNC after its fetch"),
	IOM_PROP_U32_(struct iom_smmu_cfg, inval_scan_cycles, 0, 1000000, "cycles",
		      "invalidation cost per cache set (or range probe) visited beyond the first"),
	IOM_PROP_BOOL_(struct iom_smmu_cfg, range_inval,
		       "IDR3.RIL: range TLB invalidation (TG/NUM/SCALE) and the TTL level hint"),
	IOM_PROP_BOOL_(struct iom_smmu_cfg, msi,
		       "IDR0.MSI: CMD_SYNC completion by MSI write (the driver then polls memory)"),
};

static const struct iom_smmu_cfg smmu_defaults = {
	.clock_mhz = 1000, .sid_bits = 16, .ssid_bits = 20, .walk_slots = 4,
	.cmd_cycles = 4, .sync_cycles = 10, .inval_scan_cycles = 1,
	.range_inval = true, .msi = false,
	.tlb = { .entries = 2048, .ways = 8, .policy = IOM_CACHE_LRU, .latency_cycles = 1, .ports = 2 },
	.walk_cache = { .entries = 128, .ways = 4, .policy = IOM_CACHE_LRU, .latency_cycles = 1,
			.ports = 1 },
	.config_cache = { .entries = 64, .ways = 64, .policy = IOM_CACHE_LRU, .latency_cycles = 2,
			  .ports = 1 },
};

const struct iom_prop_table iom_smmu_prop_table = {
	.section = "smmu", .doc = "Arm SMMUv3 model: clock, ID widths, walker and command costs",
	.props = smmu_props, .nprops = IOM_ARRAY_SIZE(smmu_props), .defaults = &smmu_defaults,
	.struct_size = sizeof(struct iom_smmu_cfg),
};
const struct iom_prop_table iom_smmu_tlb_prop_table = {
	.section = "smmu.tlb", .doc = "SMMUv3 TLB (stage-1 leaf entries, ASID-tagged)",
	.props = iom_cache_props, .nprops = IOM_CACHE_NPROPS, .defaults = &smmu_defaults.tlb,
	.struct_size = sizeof(struct iom_cache_cfg),
};
const struct iom_prop_table iom_smmu_walk_cache_prop_table = {
	.section = "smmu.walk_cache", .doc = "SMMUv3 walk cache (table descriptors per level)",
	.props = iom_cache_props, .nprops = IOM_CACHE_NPROPS, .defaults = &smmu_defaults.walk_cache,
	.struct_size = sizeof(struct iom_cache_cfg),
};
const struct iom_prop_table iom_smmu_config_cache_prop_table = {
	.section = "smmu.config_cache", .doc = "SMMUv3 configuration cache (STEs and CDs)",
	.props = iom_cache_props, .nprops = IOM_CACHE_NPROPS,
	.defaults = &smmu_defaults.config_cache, .struct_size = sizeof(struct iom_cache_cfg),
};

static const struct iom_prop_table *const smmu_tables[] = {
	&iom_smmu_prop_table, &iom_smmu_tlb_prop_table, &iom_smmu_walk_cache_prop_table,
	&iom_smmu_config_cache_prop_table,
};

const struct iom_prop_table *const *iom_smmu_prop_tables(size_t *n)
{
	if (n)
		*n = IOM_ARRAY_SIZE(smmu_tables);
	return smmu_tables;
}

void iom_smmu_cfg_default(struct iom_smmu_cfg *out)
{
	*out = smmu_defaults;
}

int iom_smmu_cfg_bind(struct iom_config *c, struct iom_smmu_cfg *out, struct iom_err *err)
{
	int rc = iom_config_bind(c, &iom_smmu_prop_table, NULL, out, err);
	if (!rc)
		rc = iom_config_bind(c, &iom_smmu_tlb_prop_table, NULL, &out->tlb, err);
	if (!rc)
		rc = iom_config_bind(c, &iom_smmu_walk_cache_prop_table, NULL, &out->walk_cache, err);
	if (!rc)
		rc = iom_config_bind(c, &iom_smmu_config_cache_prop_table, NULL, &out->config_cache,
				     err);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Lifetime.                                                               */

static int smmu_check_cfg(const struct iom_smmu_cfg *c, struct iom_err *err)
{
	if (c->clock_mhz == 0)
		return iom_err_set(err, IOM_EINVAL, "smmu: clock_mhz must be > 0");
	if (c->sid_bits < 1 || c->sid_bits > 24)
		return iom_err_set(err, IOM_ERANGE, "smmu: sid_bits %u outside 1..24", c->sid_bits);
	if (c->ssid_bits > 20)
		return iom_err_set(err, IOM_ERANGE, "smmu: ssid_bits %u outside 0..20", c->ssid_bits);
	if (c->walk_slots < 1)
		return iom_err_set(err, IOM_EINVAL, "smmu: walk_slots must be >= 1");
	return 0;
}

static int smmu_requesters(struct iom_smmu *s, struct iom_err *err)
{
	char n[64];
	snprintf(n, sizeof(n), "%s.cfg", s->name);
	s->req_cfg = iom_mem_requester(s->mem, n);
	snprintf(n, sizeof(n), "%s.walk", s->name);
	s->req_walk = iom_mem_requester(s->mem, n);
	snprintf(n, sizeof(n), "%s.queue", s->name);
	s->req_queue = iom_mem_requester(s->mem, n);
	if (s->req_cfg < 0 || s->req_walk < 0 || s->req_queue < 0)
		return iom_err_set(err, IOM_EBUSY, "smmu %s: no free memory requester", s->name);
	return 0;
}

static int smmu_make_caches(struct iom_smmu *s, struct iom_err *err)
{
	char n[64];
	snprintf(n, sizeof(n), "%s.tlb", s->name);
	s->tlb = iom_cache_create(n, &s->cfg.tlb, sizeof(struct smmu_tlb_entry), s->period_ps, err);
	if (!s->tlb)
		return -err->code;
	snprintf(n, sizeof(n), "%s.walk_cache", s->name);
	s->wc = iom_cache_create(n, &s->cfg.walk_cache, sizeof(struct smmu_wc_entry), s->period_ps,
				 err);
	if (!s->wc)
		return -err->code;
	snprintf(n, sizeof(n), "%s.config_cache", s->name);
	s->cfgc = iom_cache_create(n, &s->cfg.config_cache, SMMU_STE_BYTES, s->period_ps, err);
	if (!s->cfgc)
		return -err->code;
	return 0;
}

struct iom_smmu *iom_smmu_create(const struct iom_smmu_cfg *cfg, struct iom_mem *mem,
				 const char *name, struct iom_err *err)
{
	if (!cfg || !mem || !name) {
		iom_err_set(err, IOM_EINVAL, "smmu: create: NULL argument");
		return NULL;
	}
	if (smmu_check_cfg(cfg, err))
		return NULL;
	struct iom_smmu *s = calloc(1, sizeof(*s));
	if (!s) {
		iom_err_set(err, IOM_ENOMEM, "smmu %s: out of memory", name);
		return NULL;
	}
	s->cfg = *cfg;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->mem = mem;
	s->period_ps = iom_mhz_to_period_ps(cfg->clock_mhz);
	iom_hist_init(&s->st.hit_latency_ps);
	iom_hist_init(&s->st.miss_latency_ps);
	iom_hist_init(&s->st.walk_latency_ps);
	iom_hist_init(&s->st.sync_latency_ps);
	if (smmu_requesters(s, err) || smmu_make_caches(s, err) ||
	    iom_resource_init(&s->walk_slots, "smmu.walk_slots", cfg->walk_slots, err)) {
		iom_err_prefix(err, "smmu %s", name);
		iom_smmu_destroy(s);
		return NULL;
	}
	return s;
}

void iom_smmu_destroy(struct iom_smmu *s)
{
	if (!s)
		return;
	iom_cache_destroy(s->tlb);
	iom_cache_destroy(s->wc);
	iom_cache_destroy(s->cfgc);
	iom_resource_fini(&s->walk_slots);
	free(s->cmdq_done_ps);
	free(s);
}

const char *iom_smmu_name(const struct iom_smmu *s) { return s->name; }
uint64_t iom_smmu_period_ps(const struct iom_smmu *s) { return s->period_ps; }
const struct iom_smmu_stats *iom_smmu_stats(const struct iom_smmu *s) { return &s->st; }
struct iom_cache *iom_smmu_tlb(struct iom_smmu *s) { return s->tlb; }
struct iom_cache *iom_smmu_walk_cache(struct iom_smmu *s) { return s->wc; }
struct iom_cache *iom_smmu_config_cache(struct iom_smmu *s) { return s->cfgc; }
uint64_t iom_smmu_last_sync_ps(const struct iom_smmu *s) { return s->last_sync_ps; }

/* ---------------------------------------------------------------------- */
/* Registers (6.3).                                                        */

int iom_smmu_write_strtab(struct iom_smmu *s, uint64_t base, uint32_t base_cfg,
			  struct iom_err *err)
{
	uint32_t fmt = smmu_strtab_cfg_fmt(base_cfg);
	uint32_t log2 = smmu_strtab_cfg_log2size(base_cfg);

	uint32_t split = 0;
	if (fmt == SMMU_STRTAB_FMT_2LVL) {
		/* 6.3.24: SPLIT 6, 8 or 10 (4 KB / 16 KB / 64 KB L2 tables) */
		split = smmu_strtab_cfg_split(base_cfg);
		if (split != 6 && split != 8 && split != 10)
			return iom_err_set(err, IOM_EINVAL,
					   "smmu %s: STRTAB_BASE_CFG.SPLIT=%u is reserved (6, 8 or 10)",
					   s->name, split);
	} else if (fmt != SMMU_STRTAB_FMT_LINEAR) {
		return iom_err_set(err, IOM_EINVAL,
				   "smmu %s: STRTAB_BASE_CFG.FMT=%u is reserved", s->name, fmt);
	}
	if (log2 > s->cfg.sid_bits) {
		/* 6.3.24: LOG2SIZE above IDR1.SIDSIZE behaves as SIDSIZE. */
		iom_guest_error("smmu %s: STRTAB LOG2SIZE %u > SIDSIZE %u, capped", s->name, log2,
				s->cfg.sid_bits);
		log2 = s->cfg.sid_bits;
	}
	s->strtab_base = smmu_strtab_base_addr(base);
	s->strtab_log2size = log2;
	s->strtab_fmt = fmt;
	s->strtab_split = split;
	return 0;
}

static uint32_t smmu_cap_q_log2(struct iom_smmu *s, uint32_t log2, const char *q)
{
	if (log2 > 19) { /* IDR1.CMDQS/EVENTQS max 19 */
		iom_guest_error("smmu %s: %s LOG2SIZE %u > 19, capped", s->name, q, log2);
		return 19;
	}
	return log2;
}

int iom_smmu_write_cmdq_base(struct iom_smmu *s, uint64_t v, struct iom_err *err)
{
	s->cmdq_base = smmu_q_base_addr(v);
	s->cmdq_log2 = smmu_cap_q_log2(s, smmu_q_base_log2size(v), "CMDQ");
	s->cmdq_prod = s->cmdq_cons = 0;
	return 0;
}

int iom_smmu_write_evtq_base(struct iom_smmu *s, uint64_t v, struct iom_err *err)
{
	s->evtq_base = smmu_q_base_addr(v);
	s->evtq_log2 = smmu_cap_q_log2(s, smmu_q_base_log2size(v), "EVTQ");
	s->evtq_prod = s->evtq_cons = 0;
	return 0;
}

void iom_smmu_write_cr0(struct iom_smmu *s, uint32_t v) { s->cr0 = v; }
void iom_smmu_write_gbpa(struct iom_smmu *s, uint32_t v) { s->gbpa = v; }
uint32_t iom_smmu_read_cmdq_prod(const struct iom_smmu *s) { return s->cmdq_prod; }
uint32_t iom_smmu_read_cmdq_cons(const struct iom_smmu *s) { return s->cmdq_cons; }
void iom_smmu_ack_cmdq_err(struct iom_smmu *s)
{
	s->cmdq_cons = smmu_cmdq_cons_set_err(s->cmdq_cons, SMMU_CERROR_NONE);
}
uint32_t iom_smmu_read_evtq_prod(const struct iom_smmu *s) { return s->evtq_prod; }
uint32_t iom_smmu_read_evtq_cons(const struct iom_smmu *s) { return s->evtq_cons; }
void iom_smmu_write_evtq_cons(struct iom_smmu *s, uint32_t v) { s->evtq_cons = v; }

/* ---------------------------------------------------------------------- */
/* Event queue (7.3, 3.5).                                                 */

static const char *const smmu_event_names[256] = {
	[SMMU_EVT_F_UUT] = "F_UUT", [SMMU_EVT_C_BAD_STREAMID] = "C_BAD_STREAMID",
	[SMMU_EVT_F_STE_FETCH] = "F_STE_FETCH", [SMMU_EVT_C_BAD_STE] = "C_BAD_STE",
	[SMMU_EVT_F_BAD_ATS_TREQ] = "F_BAD_ATS_TREQ",
	[SMMU_EVT_F_STREAM_DISABLED] = "F_STREAM_DISABLED",
	[SMMU_EVT_F_TRANSL_FORBIDDEN] = "F_TRANSL_FORBIDDEN",
	[SMMU_EVT_C_BAD_SUBSTREAMID] = "C_BAD_SUBSTREAMID", [SMMU_EVT_F_CD_FETCH] = "F_CD_FETCH",
	[SMMU_EVT_C_BAD_CD] = "C_BAD_CD", [SMMU_EVT_F_WALK_EABT] = "F_WALK_EABT",
	[SMMU_EVT_F_TRANSLATION] = "F_TRANSLATION", [SMMU_EVT_F_ADDR_SIZE] = "F_ADDR_SIZE",
	[SMMU_EVT_F_ACCESS] = "F_ACCESS", [SMMU_EVT_F_PERMISSION] = "F_PERMISSION",
	[SMMU_EVT_F_TLB_CONFLICT] = "F_TLB_CONFLICT", [SMMU_EVT_F_CFG_CONFLICT] = "F_CFG_CONFLICT",
};

const char *iom_smmu_event_name(uint32_t id)
{
	return id < 256 ? smmu_event_names[id] : NULL;
}

/* Queue full: the record is lost; OVFLG is toggled so that it differs from
 * EVTQ_CONS.OVACKFLG, unless an unacknowledged overflow is pending (7.2). */
static void smmu_evtq_overflow(struct iom_smmu *s)
{
	s->st.evtq_overflow++;
	if (smmu_evtq_ovflg(s->evtq_prod) == smmu_evtq_ovflg(s->evtq_cons))
		s->evtq_prod = smmu_evtq_set_ovflg(s->evtq_prod, !smmu_evtq_ovflg(s->evtq_prod));
}

static void smmu_evtq_push(struct iom_smmu *s, const uint64_t ev[4], uint64_t now_ps)
{
	uint32_t log2 = s->evtq_log2;
	bool ok = true;

	if (!(s->cr0 & SMMU_CR0_EVTQEN)) {
		s->st.events_disabled++;
		return;
	}
	if (smmu_q_full(s->evtq_prod, s->evtq_cons, log2)) {
		smmu_evtq_overflow(s);
		return;
	}
	uint64_t pa = s->evtq_base + (uint64_t)smmu_q_idx(s->evtq_prod, log2) * SMMU_EVT_BYTES;
	iom_mem_timed_write(s->mem, s->req_queue, pa, ev, SMMU_EVT_BYTES, now_ps, &ok);
	if (!ok) {
		iom_guest_error("smmu %s: event queue write to 0x%" PRIx64 " aborted", s->name, pa);
		return;
	}
	uint32_t ovf = smmu_evtq_ovflg(s->evtq_prod);
	s->evtq_prod = smmu_evtq_set_ovflg(smmu_q_inc(s->evtq_prod, log2), ovf);
	s->st.events_written++;
}

/* ---------------------------------------------------------------------- */
/* Translation pipeline.                                                   */

enum { SMMU_CONT = 0, SMMU_DONE = 1 };

struct smmu_req {
	struct iom_txn *t;
	uint64_t now;
	uint32_t sid, ssid;
	uint32_t ssv;
	uint32_t cd_idx;
	/* The STE and CD in use: in the config cache on a hit (read in place,
	 * no copy), else in the buffers the fetch filled. */
	const uint64_t *ste, *cd;
	uint64_t *ste_buf, *cd_buf; /* SMMU_STE_WORDS / SMMU_CD_WORDS, caller's storage */
	uint32_t asid;
	uint32_t vmid; /* TLB/walk-cache tag: 0 for a stage-1-only STE */
	struct iom_pt_cfg ptc;
	uint8_t start_level;
	uint64_t fetch_pa; /* F_STE_FETCH, F_CD_FETCH, F_WALK_EABT: the address that aborted */
};

static bool smmu_event_has_addr(uint32_t id)
{
	return id == SMMU_EVT_F_TRANSLATION || id == SMMU_EVT_F_ADDR_SIZE || id == SMMU_EVT_F_ACCESS ||
	       id == SMMU_EVT_F_PERMISSION || id == SMMU_EVT_F_WALK_EABT;
}

/* Event record per 7.3: word 0 for every event; the access description
 * (word 1), input address (word 2) and fetch address (word 3, F_WALK_EABT)
 * for the translation-related faults. */
static void smmu_event_build(const struct smmu_req *rq, uint32_t id, uint64_t ev[4])
{
	const struct iom_txn *t = rq->t;

	memset(ev, 0, 4 * sizeof(uint64_t));
	smmu_evt_set_id(ev, id);
	smmu_evt_set_sid(ev, rq->sid);
	if (rq->ssv) {
		smmu_evt_set_ssv(ev, 1);
		smmu_evt_set_ssid(ev, rq->ssid);
	}
	if (id == SMMU_EVT_F_STE_FETCH || id == SMMU_EVT_F_CD_FETCH) {
		smmu_evt_set_fetch_addr(ev, rq->fetch_pa); /* 7.3.4, 7.3.10: FetchAddr */
		return;
	}
	if (!smmu_event_has_addr(id))
		return;
	smmu_evt_set_pnu(ev, !!(t->flags & IOM_TXN_PRIV));
	smmu_evt_set_ind(ev, !!(t->flags & IOM_TXN_EXEC));
	smmu_evt_set_rnw(ev, !t->write);
	smmu_evt_set_s2(ev, 0);
	smmu_evt_set_class(ev, id == SMMU_EVT_F_WALK_EABT ? SMMU_EVT_CLASS_TT : SMMU_EVT_CLASS_IN);
	smmu_evt_set_input_addr(ev, t->iova);
	if (id == SMMU_EVT_F_WALK_EABT)
		smmu_evt_set_fetch_addr(ev, rq->fetch_pa);
}

/* The one exit for terminated transactions: outcome, stats, event. */
static int smmu_terminate(struct iom_smmu *s, struct smmu_req *rq, uint32_t id, bool record,
			  uint8_t status)
{
	struct iom_txn *t = rq->t;

	t->status = status;
	t->fault = (uint16_t)id;
	t->done_ps = rq->now;
	if (id) {
		s->st.faults++;
		s->st.fault_by_id[id & 0xff]++;
	} else {
		s->st.aborted++;
	}
	if (id && record) {
		uint64_t ev[4];
		smmu_event_build(rq, id, ev);
		smmu_evtq_push(s, ev, rq->now);
	}
	return SMMU_DONE;
}

/* Configuration errors abort the transaction and are always recorded. */
static int smmu_cfg_fault(struct iom_smmu *s, struct smmu_req *rq, uint32_t id)
{
	return smmu_terminate(s, rq, id, true, IOM_TXN_ABORT);
}

/* Translation-stage faults are recorded only if CD.R = 1 (5.4). */
static int smmu_xlat_fault(struct iom_smmu *s, struct smmu_req *rq, uint32_t id)
{
	return smmu_terminate(s, rq, id, smmu_cd_r(rq->cd), IOM_TXN_FAULT);
}

static int smmu_unimp(struct iom_smmu *s, struct smmu_req *rq, struct iom_err *err,
		      const char *what)
{
	iom_unimp("smmu %s: SID %u: %s", s->name, rq->sid, what);
	return iom_err_set(err, IOM_ENOTSUP, "smmu %s: SID %u iova 0x%" PRIx64 ": %s not implemented",
			   s->name, rq->sid, rq->t->iova, what);
}

static int smmu_bypass(struct iom_smmu *s, struct smmu_req *rq)
{
	rq->t->status = IOM_TXN_OK;
	rq->t->pa = rq->t->iova;
	rq->t->done_ps = rq->now;
	s->st.bypassed++;
	return SMMU_DONE;
}

/* Timed 64-byte structure fetch through the config requester. */
static bool smmu_fetch_cfg(struct iom_smmu *s, struct smmu_req *rq, uint64_t pa, uint64_t *w)
{
	bool ok = true;
	rq->now = iom_mem_timed_read(s->mem, s->req_cfg, pa, w, SMMU_STE_BYTES, rq->now, &ok);
	rq->t->cfg_reads++;
	s->st.cfg_reads++;
	return ok;
}

/* STE legality (5.2): V, reserved Config, S1CDMax within SSIDSIZE,
 * reserved S1Fmt. Returns false for C_BAD_STE. */
static bool smmu_ste_legal(struct iom_smmu *s, const uint64_t *ste, uint32_t sid)
{
	uint64_t cfg = smmu_ste_config(ste);

	if (!smmu_ste_v(ste))
		return false;
	if (cfg != SMMU_STE_CFG_ABORT && cfg < SMMU_STE_CFG_BYPASS) {
		iom_guest_error("smmu %s: STE %u: reserved Config %" PRIu64, s->name, sid, cfg);
		return false;
	}
	if (cfg == SMMU_STE_CFG_S1 || cfg == SMMU_STE_CFG_NESTED) {
		if (smmu_ste_s1cdmax(ste) > s->cfg.ssid_bits) {
			iom_guest_error("smmu %s: STE %u: S1CDMax %" PRIu64 " > SSIDSIZE %u", s->name,
					sid, smmu_ste_s1cdmax(ste), s->cfg.ssid_bits);
			return false;
		}
		if (smmu_ste_s1cdmax(ste) && smmu_ste_s1fmt(ste) == 3) {
			iom_guest_error("smmu %s: STE %u: reserved S1Fmt 3", s->name, sid);
			return false;
		}
	}
	return true;
}

/* Timed 8-byte level-1 descriptor fetch (L1STD, L1CD) through the config requester. */
static bool smmu_fetch_l1(struct iom_smmu *s, struct smmu_req *rq, uint64_t pa, uint64_t *d)
{
	bool ok = true;
	rq->now = iom_mem_timed_read(s->mem, s->req_cfg, pa, d, 8, rq->now, &ok);
	rq->t->cfg_reads++;
	s->st.cfg_reads++;
	s->st.l1_desc_reads++;
	return ok;
}

/* Where the STE of rq->sid lives (5.1, 6.3.24): linear, or through the
 * L1STD of a 2-level table (read on every STE miss: L1 descriptors are not
 * cached by this model). SMMU_CONT with *pa, or the terminated outcome. */
static int smmu_ste_addr(struct iom_smmu *s, struct smmu_req *rq, uint64_t *pa)
{
	if (s->strtab_fmt == SMMU_STRTAB_FMT_LINEAR) {
		*pa = s->strtab_base + (uint64_t)rq->sid * SMMU_STE_BYTES;
		return SMMU_CONT;
	}
	uint32_t split = s->strtab_split; /* LOG2SIZE <= SPLIT: only L1STD #0 is used */
	uint64_t l1pa = s->strtab_base + ((uint64_t)rq->sid >> split) * 8, d;
	if (!smmu_fetch_l1(s, rq, l1pa, &d)) {
		rq->fetch_pa = l1pa;
		return smmu_cfg_fault(s, rq, SMMU_EVT_F_STE_FETCH);
	}
	uint32_t span = smmu_l1std_span(d), l2idx = rq->sid & ((1u << split) - 1);
	/* 7.3.3: Span 0 (no L2 table), Span > SPLIT + 1 (covers the reserved
	 * values), or SID[SPLIT-1:0] beyond the 2^(Span-1) STEs of the table */
	if (span == 0 || span > split + 1 || (uint64_t)l2idx >> (span - 1))
		return smmu_cfg_fault(s, rq, SMMU_EVT_C_BAD_STREAMID);
	*pa = smmu_l1std_l2ptr(d, span) + (uint64_t)l2idx * SMMU_STE_BYTES;
	return SMMU_CONT;
}

static int smmu_find_ste(struct iom_smmu *s, struct smmu_req *rq)
{
	struct iom_cache_key k = { .addr = rq->sid, .tag = 0 };

	if ((uint64_t)rq->sid >> s->strtab_log2size)
		return smmu_cfg_fault(s, rq, SMMU_EVT_C_BAD_STREAMID);
	rq->now = iom_cache_access_ps(s->cfgc, rq->now);
	const void *v = iom_cache_lookup(s->cfgc, &k);
	if (v) {
		rq->ste = v;
		return SMMU_CONT;
	}
	uint64_t pa = 0;
	int rc = smmu_ste_addr(s, rq, &pa);
	if (rc != SMMU_CONT)
		return rc;
	rq->ste = rq->ste_buf;
	if (!smmu_fetch_cfg(s, rq, pa, rq->ste_buf)) {
		rq->fetch_pa = pa;
		return smmu_cfg_fault(s, rq, SMMU_EVT_F_STE_FETCH);
	}
	if (!smmu_ste_legal(s, rq->ste, rq->sid))
		return smmu_cfg_fault(s, rq, SMMU_EVT_C_BAD_STE);
	iom_cache_insert(s->cfgc, &k, rq->ste, NULL, NULL);
	return SMMU_CONT;
}

/* Which CD serves this transaction (5.2 S1CDMax, S1DSS). */
static int smmu_select_cd(struct iom_smmu *s, struct smmu_req *rq, struct iom_err *err)
{
	uint64_t cdmax = smmu_ste_s1cdmax(rq->ste), dss = smmu_ste_s1dss(rq->ste);

	if (rq->ssv) {
		if (cdmax == 0 || (uint64_t)rq->ssid >> cdmax)
			return smmu_cfg_fault(s, rq, SMMU_EVT_C_BAD_SUBSTREAMID);
		if (dss == SMMU_S1DSS_SSID0 && rq->ssid == 0)
			return smmu_cfg_fault(s, rq, SMMU_EVT_F_STREAM_DISABLED);
		rq->cd_idx = rq->ssid;
		return SMMU_CONT;
	}
	rq->cd_idx = 0;
	if (cdmax == 0 || dss == SMMU_S1DSS_SSID0)
		return SMMU_CONT;
	if (dss == SMMU_S1DSS_BYPASS)
		return smmu_bypass(s, rq);
	return smmu_cfg_fault(s, rq, SMMU_EVT_F_STREAM_DISABLED); /* 00, and reserved 11 */
}

/* CD legality for this model: returns SMMU_CONT, a terminated outcome
 * (C_BAD_CD) or -IOM_ENOTSUP for legal-but-unimplemented settings. */
static int smmu_check_cd(struct iom_smmu *s, struct smmu_req *rq, struct iom_err *err)
{
	const uint64_t *cd = rq->cd;
	uint64_t tg0 = smmu_cd_tg0(cd), t0sz = smmu_cd_t0sz(cd);

	if (!smmu_cd_v(cd))
		return smmu_cfg_fault(s, rq, SMMU_EVT_C_BAD_CD);
	if (!smmu_cd_aa64(cd) || tg0 == 3 || t0sz < SMMU_CD_T0SZ_MIN || t0sz > SMMU_CD_T0SZ_MAX) {
		iom_guest_error("smmu %s: SID %u CD %u illegal (AA64=%" PRIu64 " TG0=%" PRIu64
				" T0SZ=%" PRIu64 ")", s->name, rq->sid, rq->cd_idx, smmu_cd_aa64(cd),
				tg0, t0sz);
		return smmu_cfg_fault(s, rq, SMMU_EVT_C_BAD_CD);
	}
	if (tg0 != 0)
		return smmu_unimp(s, rq, err, "16K/64K granule (CD.TG0)");
	if (smmu_cd_ha(cd) || smmu_cd_hd(cd))
		return smmu_unimp(s, rq, err, "HTTU (CD.HA/HD)");
	return SMMU_CONT;
}

/* Where CD rq->cd_idx lives (5.2 S1Fmt, 5.3): a linear table, or the L2
 * table an L1CD points at (L1CD read on every CD miss, not cached; with
 * S1CDMax <= the split only L1CD #0 is used). */
static int smmu_cd_addr(struct iom_smmu *s, struct smmu_req *rq, uint64_t *pa)
{
	uint64_t base = smmu_ste_s1ctxptr(rq->ste), fmt = smmu_ste_s1fmt(rq->ste);
	uint64_t cdmax = smmu_ste_s1cdmax(rq->ste);
	if (cdmax == 0 || fmt == SMMU_S1FMT_LINEAR) {
		*pa = base + (uint64_t)rq->cd_idx * SMMU_CD_BYTES;
		return SMMU_CONT;
	}
	unsigned split = fmt == SMMU_S1FMT_64CD ? 6 : 10;
	uint64_t l1pa = base + ((uint64_t)rq->cd_idx >> split) * 8, d;
	if (!smmu_fetch_l1(s, rq, l1pa, &d)) {
		rq->fetch_pa = l1pa;
		return smmu_cfg_fault(s, rq, SMMU_EVT_F_CD_FETCH);
	}
	if (!smmu_l1cd_v(d))
		return smmu_cfg_fault(s, rq, SMMU_EVT_C_BAD_SUBSTREAMID);
	*pa = smmu_l1cd_l2ptr(d) + (uint64_t)(rq->cd_idx & ((1u << split) - 1)) * SMMU_CD_BYTES;
	return SMMU_CONT;
}

static int smmu_find_cd(struct iom_smmu *s, struct smmu_req *rq, struct iom_err *err)
{
	struct iom_cache_key k = { .addr = rq->sid, .tag = SMMU_CFG_TAG_CD | rq->cd_idx };

	rq->now = iom_cache_access_ps(s->cfgc, rq->now);
	const void *v = iom_cache_lookup(s->cfgc, &k);
	if (v) {
		rq->cd = v;
	} else {
		uint64_t pa = 0;
		int rc = smmu_cd_addr(s, rq, &pa);
		if (rc != SMMU_CONT)
			return rc;
		rq->cd = rq->cd_buf;
		if (!smmu_fetch_cfg(s, rq, pa, rq->cd_buf)) {
			rq->fetch_pa = pa;
			return smmu_cfg_fault(s, rq, SMMU_EVT_F_CD_FETCH);
		}
		rc = smmu_check_cd(s, rq, err);
		if (rc)
			return rc;
		/* The insert may evict the cached STE rq->ste points at: keep a copy. */
		if (rq->ste != rq->ste_buf) {
			memcpy(rq->ste_buf, rq->ste, SMMU_STE_BYTES);
			rq->ste = rq->ste_buf;
		}
		iom_cache_insert(s->cfgc, &k, rq->cd, NULL, NULL);
	}
	rq->asid = (uint32_t)smmu_cd_asid(rq->cd);
	rq->ptc = (struct iom_pt_cfg){ .fmt = IOM_PT_VMSA64_S1, .granule_shift = 12,
				       .ia_bits = (uint8_t)(64 - smmu_cd_t0sz(rq->cd)),
				       .oa_bits = (uint8_t)IOM_MIN(smmu_ips_bits(smmu_cd_ips(rq->cd)), 48) };
	struct iom_pt_geom g;
	int rc = iom_pt_geometry(&rq->ptc, &g, err);
	if (rc)
		return rc;
	rq->start_level = g.start_level;
	return SMMU_CONT;
}

/* ---- TLB ---- */

unsigned smmu_tlb_size_shift(uint32_t size_idx)
{
	static const unsigned sh[SMMU_TLB_NSIZES] = { 12, 21, 30 };
	return sh[size_idx];
}

/* VA bits covered by one descriptor at `level` (4 KB granule). */
unsigned smmu_level_shift(unsigned level)
{
	return 12 + 9 * (3 - level);
}

/* TLB tag (layout in smmuv3-internal.h). Global (nG = 0) entries match any
 * ASID but stay VMID-scoped, as in the Arm architecture (IHI0070 4.4.2.4:
 * NH_VA drops "global entries by VMID and VA"). */
uint64_t smmu_tlb_tag(uint32_t asid, uint32_t vmid, uint32_t size_idx, int global)
{
	uint64_t t = ((uint64_t)(vmid & 0xffff) << 16) | ((uint64_t)size_idx << 32);
	return global ? (t | SMMU_TAG_GLOBAL) : (t | (asid & 0xffff));
}

/* SMMU_IDR0..5 for this configuration (6.3.1-6.3.6). The model answers the
 * commands of a stage 1 + stage 2 SMMU with Hyp, ATS and PRI (IDR0.S2P/HYP/
 * ATS/PRI = 1) so that those commands have their architected effect; the
 * stall model is absent (STALL_MODEL = 0b01). */
uint32_t smmu_idr(const struct iom_smmu *s, unsigned n)
{
	switch (n) {
	case 0:
		return SMMU_IDR0_S2P | SMMU_IDR0_S1P | SMMU_IDR0_TTF_AA64 | SMMU_IDR0_COHACC |
		       SMMU_IDR0_HYP | SMMU_IDR0_ATS | SMMU_IDR0_ASID16 | SMMU_IDR0_SEV |
		       SMMU_IDR0_PRI | SMMU_IDR0_VMID16 | SMMU_IDR0_STALL_TERM_ONLY |
		       (s->cfg.msi ? SMMU_IDR0_MSI : 0);
	case 1:
		return smmu_idr1_make(s->cfg.sid_bits, s->cfg.ssid_bits, 19, 19);
	case 3:
		return s->cfg.range_inval ? SMMU_IDR3_RIL : 0;
	case 5:
		return SMMU_IDR5_GRAN4K | SMMU_IDR5_OAS_48;
	default:
		return 0;
	}
}

uint32_t iom_smmu_read_idr(const struct iom_smmu *s, unsigned n)
{
	return smmu_idr(s, n);
}

void smmu_tlb_count_drop(struct iom_smmu *s, const struct iom_cache_key *k)
{
	uint32_t idx = (uint32_t)((k->tag >> 32) & 3);
	if (idx < SMMU_TLB_NSIZES && s->tlb_size_count[idx])
		s->tlb_size_count[idx]--;
	if ((k->tag & SMMU_TAG_GLOBAL) && s->tlb_global_count)
		s->tlb_global_count--;
}

/* Probe only the page sizes (and the global tag) present; a hit counts as
 * one TLB hit, a miss of every probe as one TLB miss. */
static struct smmu_tlb_entry *smmu_tlb_find(struct iom_smmu *s, uint32_t asid, uint32_t vmid,
					    uint64_t iova)
{
	for (uint32_t i = 0; i < SMMU_TLB_NSIZES; i++) {
		if (!s->tlb_size_count[i])
			continue;
		struct iom_cache_key k = { iova >> smmu_tlb_size_shift(i),
					   smmu_tlb_tag(asid, vmid, i, 0) };
		struct smmu_tlb_entry *e = iom_cache_probe(s->tlb, &k);
		if (e)
			return e;
		k.tag = smmu_tlb_tag(0, vmid, i, 1);
		if (s->tlb_global_count && (e = iom_cache_probe(s->tlb, &k)))
			return e;
	}
	iom_cache_count_miss(s->tlb);
	return NULL;
}

static uint32_t smmu_size_idx(uint64_t page_size)
{
	return page_size >= (1ull << 30) ? 2 : page_size >= (1ull << 21) ? 1 : 0;
}

static void smmu_tlb_fill(struct iom_smmu *s, uint32_t asid, uint32_t vmid, uint64_t iova,
			  const struct smmu_tlb_entry *e)
{
	uint32_t i = smmu_size_idx(e->page_size);
	struct iom_cache_key k = { iova >> smmu_tlb_size_shift(i),
				   smmu_tlb_tag(asid, vmid, i, e->global) };
	struct iom_cache_key victim;
	bool evicted = false;

	bool present = iom_cache_peek(s->tlb, &k) != NULL;
	if (!iom_cache_insert(s->tlb, &k, e, &victim, &evicted))
		return; /* TLB disabled */
	if (evicted && iom_cache_config(s->tlb)->policy == IOM_CACHE_FLUSH_ALL) {
		/* the whole TLB was emptied before this insert */
		memset(s->tlb_size_count, 0, sizeof(s->tlb_size_count));
		s->tlb_global_count = 0;
		present = false;
	} else if (evicted) {
		smmu_tlb_count_drop(s, &victim);
	}
	if (!present) {
		s->tlb_size_count[i]++;
		s->tlb_global_count += e->global;
	}
}

/* ---- walk ---- */

/* Walk-cache key: addr = (VA >> level shift) << 2 | level, so the levels of
 * one VA spread over sets; tag = ASID [15:0] | VMID [31:16] | level [33:32]. */
struct iom_cache_key smmu_wc_key(uint32_t asid, uint32_t vmid, uint64_t va, unsigned level)
{
	struct iom_cache_key k = { ((va >> smmu_level_shift(level)) << 2) | level,
				   (asid & 0xffff) | ((uint64_t)(vmid & 0xffff) << 16) |
					   ((uint64_t)level << 32) };
	return k;
}

static void smmu_wc_find(struct iom_smmu *s, struct smmu_req *rq, uint64_t *table, uint8_t *level)
{
	*table = smmu_cd_ttb0(rq->cd);
	*level = rq->start_level;
	for (int l = 2; l >= rq->start_level; l--) {
		struct iom_cache_key k = smmu_wc_key(rq->asid, rq->vmid, rq->t->iova, (unsigned)l);
		if (!iom_cache_peek(s->wc, &k))
			continue;
		const struct smmu_wc_entry *e = iom_cache_lookup(s->wc, &k);
		*table = e->table_pa;
		*level = e->level;
		return;
	}
	struct iom_cache_key miss = smmu_wc_key(rq->asid, rq->vmid, rq->t->iova, 2);
	iom_cache_lookup(s->wc, &miss);
}

static void smmu_wc_fill(struct iom_smmu *s, struct smmu_req *rq, const struct iom_pt_walk *w)
{
	for (unsigned i = 0; i < w->nsteps; i++) {
		const struct iom_pt_step *st = &w->steps[i];
		if (!st->is_table)
			continue;
		struct iom_cache_key k = smmu_wc_key(rq->asid, rq->vmid, rq->t->iova, st->level);
		struct smmu_wc_entry e = { .table_pa = smmu_pte_table_addr(st->desc),
					   .level = (uint8_t)(st->level + 1) };
		iom_cache_insert(s->wc, &k, &e, NULL, NULL);
	}
}

static void smmu_walk_account(struct iom_smmu *s, struct smmu_req *rq, const struct iom_pt_walk *w,
			      uint64_t start)
{
	s->st.walks++;
	s->st.walk_reads += w->nsteps;
	rq->t->walk_reads = (uint8_t)(rq->t->walk_reads + w->nsteps);
	for (unsigned i = 0; i < w->nsteps; i++)
		s->st.walk_reads_level[w->steps[i].level & 3]++;
	iom_hist_add(&s->st.walk_latency_ps, w->done_ps - start);
}

static int smmu_walk(struct iom_smmu *s, struct smmu_req *rq, struct iom_pt_walk *w,
		     struct iom_err *err)
{
	memset(w, 0, sizeof(*w));
	rq->now = iom_cache_access_ps(s->wc, rq->now);
	smmu_wc_find(s, rq, &w->table_pa, &w->level);
	uint64_t start = IOM_MAX(rq->now, iom_resource_next_free(&s->walk_slots));
	w->iova = rq->t->iova;
	w->now_ps = start;
	w->mem_req = s->req_walk;
	int rc = iom_pt_walk(s->mem, &rq->ptc, w, err);
	if (rc)
		return iom_err_prefix(err, "smmu %s: SID %u", s->name, rq->sid);
	/* The slot is held from the start of the walk to its last read. */
	iom_resource_acquire(&s->walk_slots, rq->now, w->done_ps - start, NULL);
	smmu_walk_account(s, rq, w, start);
	rq->now = w->done_ps;
	smmu_wc_fill(s, rq, w);
	return 0;
}

/* Permission check (DDI0487 D8.4 for an EL1&0 regime, no PAN/WXN): device
 * accesses are unprivileged unless IOM_TXN_PRIV. */
static bool smmu_perm_ok(const struct iom_txn *t, const struct smmu_tlb_entry *e)
{
	bool priv = t->flags & IOM_TXN_PRIV;
	uint32_t perms = e->perms;

	if (t->write && !(perms & IOM_PTE_W))
		return false;
	if (!priv && !(perms & IOM_PTE_USER))
		return false;
	if (t->flags & IOM_TXN_EXEC) {
		if (priv ? e->pxn : !(perms & IOM_PTE_X))
			return false;
	}
	return true;
}

static int smmu_finish(struct iom_smmu *s, struct smmu_req *rq, const struct smmu_tlb_entry *e,
		       bool hit)
{
	struct iom_txn *t = rq->t;

	if (!smmu_perm_ok(t, e))
		return smmu_xlat_fault(s, rq, SMMU_EVT_F_PERMISSION);
	t->status = IOM_TXN_OK;
	t->pa = e->pa_base + (t->iova & (e->page_size - 1));
	t->done_ps = rq->now;
	iom_hist_add(hit ? &s->st.hit_latency_ps : &s->st.miss_latency_ps, t->done_ps - t->issue_ps);
	return SMMU_DONE;
}

static int smmu_walk_fault(struct iom_smmu *s, struct smmu_req *rq, const struct iom_pt_walk *w)
{
	switch (w->status) {
	case IOM_PT_FAULT_ADDR_SIZE:
		return smmu_xlat_fault(s, rq, SMMU_EVT_F_ADDR_SIZE);
	case IOM_PT_EXT_ABORT:
		rq->fetch_pa = w->leaf_desc_pa;
		return smmu_xlat_fault(s, rq, SMMU_EVT_F_WALK_EABT);
	default:
		return smmu_xlat_fault(s, rq, SMMU_EVT_F_TRANSLATION);
	}
}

static int smmu_s1_translate(struct iom_smmu *s, struct smmu_req *rq, struct iom_err *err)
{
	uint64_t iova = rq->t->iova;

	if (iova & (1ull << 55)) { /* TTB1 region */
		if (smmu_cd_epd1(rq->cd))
			return smmu_xlat_fault(s, rq, SMMU_EVT_F_TRANSLATION);
		return smmu_unimp(s, rq, err, "TTB1 walk (VA[55]=1)");
	}
	if (iova >> rq->ptc.ia_bits)
		return smmu_xlat_fault(s, rq, SMMU_EVT_F_TRANSLATION);
	rq->now = iom_cache_access_ps(s->tlb, rq->now);
	struct smmu_tlb_entry *e = smmu_tlb_find(s, rq->asid, rq->vmid, iova);
	if (e) {
		rq->t->tlb_hit = 1;
		s->st.tlb_hits++;
		return smmu_finish(s, rq, e, true);
	}
	if (smmu_cd_epd0(rq->cd)) /* EPD0: a TLB miss in the TTB0 region faults */
		return smmu_xlat_fault(s, rq, SMMU_EVT_F_TRANSLATION);
	struct iom_pt_walk w;
	int rc = smmu_walk(s, rq, &w, err);
	if (rc)
		return rc;
	if (w.status != IOM_PT_OK)
		return smmu_walk_fault(s, rq, &w);
	if (!w.af && !smmu_cd_affd(rq->cd)) /* HA=0: access fault, nothing cached */
		return smmu_xlat_fault(s, rq, SMMU_EVT_F_ACCESS);
	struct smmu_tlb_entry ne = { .pa_base = w.oa & ~(w.page_size - 1), .page_size = w.page_size,
				     .perms = w.perms, .pxn = (uint8_t)smmu_pte_pxn(w.leaf_desc),
				     .global = !(w.perms & IOM_PTE_NG) };
	smmu_tlb_fill(s, rq->asid, rq->vmid, iova, &ne);
	return smmu_finish(s, rq, &ne, false);
}

static void smmu_txn_reset(struct iom_txn *t)
{
	t->status = IOM_TXN_OK;
	t->tlb_hit = 0;
	t->walk_reads = 0;
	t->cfg_reads = 0;
	t->fault = 0;
	t->pa = 0;
	t->done_ps = t->issue_ps;
}

static int smmu_decode_and_translate(struct iom_smmu *s, struct smmu_req *rq, struct iom_err *err)
{
	int rc = smmu_find_ste(s, rq);
	if (rc)
		return rc;
	switch (smmu_ste_config(rq->ste)) {
	case SMMU_STE_CFG_ABORT: /* abort, no event (5.2) */
		return smmu_terminate(s, rq, 0, false, IOM_TXN_ABORT);
	case SMMU_STE_CFG_BYPASS:
		return smmu_bypass(s, rq);
	case SMMU_STE_CFG_S1:
		break;
	default:
		return smmu_unimp(s, rq, err, "stage-2 / nested STE.Config");
	}
	rc = smmu_select_cd(s, rq, err);
	if (!rc)
		rc = smmu_find_cd(s, rq, err);
	if (!rc)
		rc = smmu_s1_translate(s, rq, err);
	return rc;
}

int iom_smmu_translate(struct iom_smmu *s, struct iom_txn *t, struct iom_err *err)
{
	uint64_t ste_buf[SMMU_STE_WORDS], cd_buf[SMMU_CD_WORDS]; /* filled only on a fetch */
	struct smmu_req rq = { .t = t, .now = t->issue_ps, .sid = t->rid,
			       .ste_buf = ste_buf, .cd_buf = cd_buf };

	smmu_txn_reset(t);
	s->st.translations++;
	rq.ssv = !!(t->flags & IOM_TXN_PASID_VALID);
	rq.ssid = rq.ssv ? t->pasid : 0;
	if (!(s->cr0 & SMMU_CR0_SMMUEN)) {
		if (smmu_gbpa_abort(s->gbpa))
			smmu_terminate(s, &rq, 0, false, IOM_TXN_ABORT);
		else
			smmu_bypass(s, &rq);
		return 0;
	}
	int rc = smmu_decode_and_translate(s, &rq, err);
	return rc < 0 ? rc : 0;
}
