/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smmuv3.c - Arm SMMUv3 hardware model (IHI0070 G.b), Non-secure NS-EL1 streams:
 * configuration, registers, the translation pipeline and the event queue.
 * Command consumption lives in smmuv3_cmdq.c.
 *
 * Pipeline (QEMU hw/arm/smmuv3.c shape): [micro-TLB] -> decode config (STE 5.2,
 * CD 5.4, through the configuration cache) -> TLB -> walk cache -> table walk
 * (models/pgtable) -> one exit (smmu_terminate) that sets the outcome, counts the
 * fault and writes the event record (7.3).
 *
 * STE.Config: abort, bypass, stage 1, stage 2, nested (stage 1 then stage 2). Stage 1
 * walks TTB0 (VA[55] = 0) or TTB1 (VA[55] = 1) with CD.TG0 / CD.TG1 (different
 * encodings), T0SZ / T1SZ, EPD0 / EPD1, TBI0 / TBI1, IPS capped to SMMU_IDR5.OAS
 * (smmu.oas_bits); stage 2 uses S2TG, S2T0SZ, S2SL0 (concatenated start tables),
 * S2PS, S2TTB. Nested: S1ContextPtr and the L1CD pointers are IPAs (their stage-2
 * faults have CLASS = CD), every stage-1 table address goes through stage 2 from
 * inside the walk (iom_pt_walk.s2_xlat; CLASS = TT) and so does the output IPA
 * (CLASS = IN); an uncached 4-level / 4-level walk costs 4 x (4 + 1) + 4 = 24 reads.
 * A nested TLB entry has the smaller of the two leaf sizes and both stages'
 * permissions (a fault on a hit names the stage that denies).
 *
 * Caches, each a generic cache (models/cache) with its own geometry and latency:
 * configuration cache (STEs, CDs), TLB (stage-1 and nested entries keyed by VA,
 * stage-2-only entries keyed by IPA), IPA cache (stage-2 leaf entries made inside
 * nested translations, for table addresses, CD addresses and output IPAs), walk cache
 * (stage 1) and stage-2 walk cache with the level (and granule) in the key, levels
 * restricted by smmu.walk_cache_levels, and optional per-StreamID micro-TLBs
 * (smmu.utlb) looked up before everything else.
 *
 * HTTU (3.13): with CD.HA / STE.S2HA the walker sets AF (one timed read-modify-write),
 * with HD / S2HD a write to a writable-clean leaf makes it writable-dirty. A TLB or
 * IPA-cache entry records the clean state (no write permission, httu_w set): a write
 * that hits it walks again and that walk performs the dirty update, so the descriptor
 * is updated exactly once however many writes follow.
 *
 * Legality (5.2, 5.4, 5.5): ILLEGAL STEs / CDs raise C_BAD_STE / C_BAD_CD (the rule is
 * logged as a guest error) and are never cached (a model choice). This configuration
 * has STALL_MODEL = 0b01 (so CD.S, STE.S2S and, with stage 1 enabled, STE.S1STALLD = 1
 * are ILLEGAL), TTF = AArch64 only (AA64 / S2AA64 = 0 are ILLEGAL), TTENDIAN = little
 * endian only (ENDI / S2ENDI = 1 are ILLEGAL), HTTU per smmu.httu, no FEAT_LPA2, no
 * FEAT_TTST, no DPT (EATS = 0b11 behaves as 0b00), 16-bit ASIDs and VMIDs.
 *
 * Not modelled (rejected with -IOM_ENOTSUP + iom_unimp): StreamWorld EL2 / EL2-E2H
 * (STE.STRW = 0b10). CD.A = 0 (RAZ/WI termination) is reported as a fault outcome like
 * A = 1. Hierarchical APTable / XNTable bits are applied by the walker for the levels it
 * reads, not for levels skipped through a walk-cache hit. A stage-1 HTTU write to a
 * descriptor in a nested walk is not re-checked against stage-2 write permission.
 * Memory types (S2PTW, S2FWB, MemAttr) are not modelled. Host byte order must be
 * little-endian (structures are copied from memory as 64-bit words).
 *
 * Timing: one timeline in ps; latencies in cycles of clock_mhz. A translation pays, in
 * order: [micro-TLB access,] config-cache access for the STE (+ a 64-byte timed read on a
 * miss), the same for the CD (nested: + its stage-2 translation on a miss), one TLB
 * access (all page sizes are probed in parallel: one access), and on a TLB miss one
 * walk-cache access (all levels in parallel) plus a walk of dependent 8-byte reads while
 * holding a walk slot; in a nested walk each table address first pays an IPA-cache
 * access and, on a miss, a stage-2 walk-cache access and the stage-2 reads. HTTU
 * updates are timed read-modify-writes inside the walk. done_ps is when the result is
 * known; an event-record write runs in parallel and is not added to it.
 * SMMU_CR0.SMMUEN = 0: every transaction bypasses (pa = iova) at issue time, or aborts
 * if GBPA.ABORT = 1 (the reset GBPA is 0 = bypass) or the address exceeds the OAS.
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

static const char *const smmu_httu_names[] = { "none", "af", "af_dirty", NULL };

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
	IOM_PROP_U32_(struct iom_smmu_cfg, oas_bits, 32, 52, "bits",
		      "IDR5.OAS, the physical (= intermediate) address size: 32, 36, 40, 42, 44, 48 "
		      "or 52 (52 also sets IDR5.VAX: 52-bit VAs and PAs with the 64 KB granule)"),
	IOM_PROP_ENUM_(struct iom_smmu_cfg, httu, smmu_httu_names,
		       "IDR0.HTTU: hardware update of the access flag (af) and of the dirty state "
		       "(af_dirty) that CD.HA/HD and STE.S2HA/S2HD may enable; none makes them "
		       "ILLEGAL"),
	IOM_PROP_U32_(struct iom_smmu_cfg, walk_cache_levels, 0, 7, "mask",
		      "table levels whose descriptors the walk caches (both stages) keep: bit l = "
		      "level l; 7 = levels 0, 1 and 2"),
	IOM_PROP_BOOL_(struct iom_smmu_cfg, atschk,
		       "SMMU_CR0.ATSCHK as the driver programs it: ATS Translated transactions are "
		       "checked against STE.EATS (mainline Linux leaves it 0: they pass unchecked)"),
};

static const struct iom_smmu_cfg smmu_defaults = {
	.clock_mhz = 1000, .sid_bits = 16, .ssid_bits = 20, .walk_slots = 4,
	.cmd_cycles = 4, .sync_cycles = 10, .inval_scan_cycles = 1,
	.range_inval = true, .msi = false,
	.oas_bits = 48, .httu = SMMU_HTTU_AF_DIRTY, .walk_cache_levels = 7,
	.tlb = { .entries = 2048, .ways = 8, .policy = IOM_CACHE_LRU, .latency_cycles = 1, .ports = 2 },
	.walk_cache = { .entries = 128, .ways = 4, .policy = IOM_CACHE_LRU, .latency_cycles = 1,
			.ports = 1 },
	.s2_walk_cache = { .entries = 128, .ways = 4, .policy = IOM_CACHE_LRU, .latency_cycles = 1,
			   .ports = 1 },
	.ipa_cache = { .entries = 256, .ways = 4, .policy = IOM_CACHE_LRU, .latency_cycles = 1,
		       .ports = 1 },
	.utlb = { .entries = 0, .ways = 0, .policy = IOM_CACHE_LRU, .latency_cycles = 0,
		  .ports = 1 },
	.config_cache = { .entries = 64, .ways = 64, .policy = IOM_CACHE_LRU, .latency_cycles = 2,
			  .ports = 1 },
};

const struct iom_prop_table iom_smmu_prop_table = {
	.section = "smmu", .doc = "Arm SMMUv3 model: clock, ID registers, walker and command costs",
	.props = smmu_props, .nprops = IOM_ARRAY_SIZE(smmu_props), .defaults = &smmu_defaults,
	.struct_size = sizeof(struct iom_smmu_cfg),
};

#define SMMU_CACHE_TABLE(name_, sec_, doc_, field_)                                            \
	const struct iom_prop_table name_ = {                                                 \
		.section = sec_, .doc = doc_, .props = iom_cache_props,                       \
		.nprops = IOM_CACHE_NPROPS, .defaults = &smmu_defaults.field_,                \
		.struct_size = sizeof(struct iom_cache_cfg),                                  \
	}
SMMU_CACHE_TABLE(iom_smmu_tlb_prop_table, "smmu.tlb",
		 "SMMUv3 TLB: stage-1 and nested leaf entries (VMID/ASID-tagged, keyed by VA) and "
		 "stage-2-only leaf entries (VMID-tagged, keyed by IPA)", tlb);
SMMU_CACHE_TABLE(iom_smmu_walk_cache_prop_table, "smmu.walk_cache",
		 "SMMUv3 stage-1 walk cache (table descriptors, the level in the key)", walk_cache);
SMMU_CACHE_TABLE(iom_smmu_s2_walk_cache_prop_table, "smmu.s2_walk_cache",
		 "SMMUv3 stage-2 walk cache (table descriptors, the level in the key)",
		 s2_walk_cache);
SMMU_CACHE_TABLE(iom_smmu_ipa_cache_prop_table, "smmu.ipa_cache",
		 "SMMUv3 IPA cache: stage-2 leaf entries used inside nested translations (table, "
		 "CD and output IPAs)", ipa_cache);
SMMU_CACHE_TABLE(iom_smmu_utlb_prop_table, "smmu.utlb",
		 "SMMUv3 micro-TLB, one per StreamID, looked up before the configuration (4 KB "
		 "slices of translations; entries 0 = none); emptied by every TLBI and CFGI", utlb);
SMMU_CACHE_TABLE(iom_smmu_config_cache_prop_table, "smmu.config_cache",
		 "SMMUv3 configuration cache (STEs and CDs)", config_cache);

static const struct iom_prop_table *const smmu_tables[] = {
	&iom_smmu_prop_table, &iom_smmu_tlb_prop_table, &iom_smmu_walk_cache_prop_table,
	&iom_smmu_s2_walk_cache_prop_table, &iom_smmu_ipa_cache_prop_table,
	&iom_smmu_utlb_prop_table, &iom_smmu_config_cache_prop_table,
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
	struct { const struct iom_prop_table *t; void *p; } b[] = {
		{ &iom_smmu_prop_table, out },
		{ &iom_smmu_tlb_prop_table, &out->tlb },
		{ &iom_smmu_walk_cache_prop_table, &out->walk_cache },
		{ &iom_smmu_s2_walk_cache_prop_table, &out->s2_walk_cache },
		{ &iom_smmu_ipa_cache_prop_table, &out->ipa_cache },
		{ &iom_smmu_utlb_prop_table, &out->utlb },
		{ &iom_smmu_config_cache_prop_table, &out->config_cache },
	};
	int rc = 0;
	for (size_t i = 0; !rc && i < IOM_ARRAY_SIZE(b); i++)
		rc = iom_config_bind(c, b[i].t, NULL, b[i].p, err);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Lifetime.                                                               */

/* IDR5.OAS / CD.IPS / STE.S2PS encoding of an address size, or -1. */
static int smmu_oas_enc(uint32_t bits)
{
	for (unsigned e = 0; e < 7; e++)
		if (smmu_ips_bits(e) == bits)
			return (int)e;
	return -1;
}

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
	if (smmu_oas_enc(c->oas_bits) < 0)
		return iom_err_set(err, IOM_EINVAL,
				   "smmu: oas_bits %u is not an IDR5.OAS size (32, 36, 40, 42, 44, "
				   "48 or 52)", c->oas_bits);
	if (c->httu > SMMU_HTTU_AF_DIRTY)
		return iom_err_set(err, IOM_EINVAL, "smmu: httu %u outside none|af|af_dirty",
				   c->httu);
	if (c->walk_cache_levels > 7)
		return iom_err_set(err, IOM_ERANGE, "smmu: walk_cache_levels 0x%x: only levels 0..2 "
				   "hold table descriptors (mask 0..7)", c->walk_cache_levels);
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

struct smmu_utlb_entry {
	uint64_t pa_page; /* PA of the 4 KB slice */
	uint8_t allow;    /* SMMU_UTLB_* accesses the full pipeline would grant */
};

static struct iom_cache *smmu_cache(struct iom_smmu *s, const char *what,
				    const struct iom_cache_cfg *cfg, size_t value_size,
				    struct iom_err *err)
{
	char n[64];
	snprintf(n, sizeof(n), "%s.%s", s->name, what);
	return iom_cache_create(n, cfg, value_size, s->period_ps, err);
}

static iom_smmu_tlb_hook smmu_tlb_hook_fn;
static void *smmu_tlb_hook_ctx;

void iom_smmu_set_tlb_hook(iom_smmu_tlb_hook fn, void *ctx)
{
	smmu_tlb_hook_fn = fn;
	smmu_tlb_hook_ctx = ctx;
}

static int smmu_make_caches(struct iom_smmu *s, struct iom_err *err)
{
	s->tlb.c = smmu_cache(s, "tlb", &s->cfg.tlb, sizeof(struct smmu_tlb_entry), err);
	if (s->tlb.c)
		s->ipac.c = smmu_cache(s, "ipa_cache", &s->cfg.ipa_cache,
				       sizeof(struct smmu_tlb_entry), err);
	if (s->ipac.c)
		s->wc = smmu_cache(s, "walk_cache", &s->cfg.walk_cache,
				   sizeof(struct smmu_wc_entry), err);
	if (s->wc)
		s->s2wc = smmu_cache(s, "s2_walk_cache", &s->cfg.s2_walk_cache,
				     sizeof(struct smmu_wc_entry), err);
	if (s->s2wc)
		s->cfgc = smmu_cache(s, "config_cache", &s->cfg.config_cache, SMMU_STE_BYTES, err);
	if (!s->cfgc)
		return -err->code;
	if (smmu_tlb_hook_fn) {
		int r = smmu_tlb_hook_fn(s->tlb.c, smmu_tlb_hook_ctx, err);
		if (r)
			return r;
	}
	/* Micro-TLBs are made per StreamID on first use: check the geometry now. */
	s->utlb_on = s->cfg.utlb.entries > 0;
	if (s->utlb_on) {
		struct iom_cache *u = smmu_cache(s, "utlb", &s->cfg.utlb,
						 sizeof(struct smmu_utlb_entry), err);
		if (!u)
			return -err->code;
		iom_cache_destroy(u);
	}
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
	iom_u64map_init(&s->utlbs);
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
	uint64_t sid, v;
	for (size_t i = 0; iom_u64map_next(&s->utlbs, &i, &sid, &v);)
		iom_cache_destroy((struct iom_cache *)(uintptr_t)v);
	iom_u64map_fini(&s->utlbs);
	iom_cache_destroy(s->tlb.c);
	iom_cache_destroy(s->ipac.c);
	iom_cache_destroy(s->wc);
	iom_cache_destroy(s->s2wc);
	iom_cache_destroy(s->cfgc);
	iom_resource_fini(&s->walk_slots);
	free(s->cmdq_done_ps);
	free(s);
}

const char *iom_smmu_name(const struct iom_smmu *s) { return s->name; }
uint64_t iom_smmu_period_ps(const struct iom_smmu *s) { return s->period_ps; }
const struct iom_smmu_stats *iom_smmu_stats(const struct iom_smmu *s) { return &s->st; }
const struct iom_smmu_cfg *iom_smmu_config(const struct iom_smmu *s) { return &s->cfg; }
struct iom_cache *iom_smmu_tlb(struct iom_smmu *s) { return s->tlb.c; }
struct iom_cache *iom_smmu_walk_cache(struct iom_smmu *s) { return s->wc; }
struct iom_cache *iom_smmu_s2_walk_cache(struct iom_smmu *s) { return s->s2wc; }
struct iom_cache *iom_smmu_ipa_cache(struct iom_smmu *s) { return s->ipac.c; }
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
	smmu_utlb_flush_all(s);
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

void iom_smmu_write_cr0(struct iom_smmu *s, uint32_t v)
{
	s->cr0 = v;
	smmu_utlb_flush_all(s);
}
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
/* Translation pipeline: state of one transaction, events, exits.          */

enum { SMMU_CONT = 0, SMMU_DONE = 1 };

/* One stage of translation as the walker sees it, decoded from the CD (the selected
 * TTB region) or the STE (stage 2). */
struct smmu_stage {
	struct iom_pt_cfg ptc;
	uint64_t ttb;        /* start table (aligned once the geometry is known) */
	uint8_t tg;          /* SMMU_TLBI_TG_* code of the granule */
	uint8_t start_level; /* valid when geom = 1 */
	uint8_t lpa;         /* 64 KB granule with a 52-bit PAMax: OA[51:48] in [15:12] */
	uint8_t geom;
	uint8_t ha, hd;      /* effective HTTU enables ({HD, HA} = 0b10 behaves as 0b00) */
	uint8_t affd;        /* effective AF fault disable (IGNORED with HA = 1) */
	uint8_t record;      /* CD.R / STE.S2R */
	uint8_t epd;         /* stage 1: EPDx of the region */
};

struct smmu_req {
	struct iom_smmu *s;
	struct iom_txn *t;
	struct iom_ats_req *ats; /* the ATS Translation Request t serves (smmuv3_ats.c), or NULL */
	uint64_t now;
	uint32_t sid, ssid;
	uint32_t ssv;
	uint32_t cd_idx;
	/* The STE and CD in use: in the config cache on a hit (read in place, no copy), else
	 * in the buffers the fetch filled. */
	const uint64_t *ste, *cd;
	uint64_t *ste_buf, *cd_buf; /* SMMU_STE_WORDS / SMMU_CD_WORDS, caller's storage */
	uint32_t asid;
	uint32_t vmid;       /* STE.S2VMID: TLB/walk-cache tag of every NS-EL1 translation */
	bool s2;             /* STE.Config[1]: stage 2 translates */
	uint64_t va;         /* lookup address: the input address with TBI applied */
	struct smmu_stage s1, s2st;
	/* event fields of the fault being raised (7.3) */
	uint64_t fetch_pa;   /* F_STE_FETCH, F_CD_FETCH, F_WALK_EABT: the address that aborted */
	uint64_t ev_ipa;     /* stage-2 faults: the IPA (CD, descriptor or input IPA) */
	uint8_t ev_s2, ev_class, ev_ttrnw;
	/* nested: the stage-2 fault the stage-1 walk's table-address hook met */
	uint8_t hook_fault;
	uint64_t hook_ipa, hook_fetch;
};

/* Outcome of one stage-2 translation. */
struct smmu_s2_out {
	struct smmu_tlb_entry e; /* the leaf entry (hit or filled) */
	uint64_t pa;
	uint64_t fetch_pa;       /* F_WALK_EABT: the stage-2 descriptor that aborted */
	uint8_t fault;           /* event ID, 0 = none */
	uint8_t hit;             /* served by the cache */
};

static bool smmu_event_has_addr(uint32_t id)
{
	return id == SMMU_EVT_F_TRANSLATION || id == SMMU_EVT_F_ADDR_SIZE || id == SMMU_EVT_F_ACCESS ||
	       id == SMMU_EVT_F_PERMISSION || id == SMMU_EVT_F_WALK_EABT ||
	       id == SMMU_EVT_F_BAD_ATS_TREQ;
}

/* Event record per 7.3: word 0 for every event; for the translation-related faults and
 * F_WALK_EABT the access (word 1: PnU, InD, RnW, S2, CLASS, TTRnW), InputAddr (word 2)
 * and word 3: FetchAddr for F_WALK_EABT, the IPA for stage-2 faults. */
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
	if (id == SMMU_EVT_F_TRANSL_FORBIDDEN) { /* 7.3.8: RnW and the address only */
		smmu_evt_set_rnw(ev, !t->write);
		smmu_evt_set_input_addr(ev, t->iova);
		return;
	}
	if (!smmu_event_has_addr(id))
		return;
	smmu_evt_set_pnu(ev, !!(t->flags & IOM_TXN_PRIV));
	smmu_evt_set_ind(ev, (t->flags & IOM_TXN_EXEC) && !t->write); /* InD = 0 for writes */
	smmu_evt_set_rnw(ev, !t->write);
	smmu_evt_set_s2(ev, rq->ev_s2);
	smmu_evt_set_class(ev, rq->ev_class);
	if (id == SMMU_EVT_F_PERMISSION && rq->ev_class == SMMU_EVT_CLASS_TT)
		smmu_evt_set_ttrnw(ev, rq->ev_ttrnw);
	smmu_evt_set_input_addr(ev, t->iova);
	if (id == SMMU_EVT_F_WALK_EABT)
		smmu_evt_set_fetch_addr(ev, rq->fetch_pa);
	else if (rq->ev_s2)
		smmu_evt_set_ipa(ev, rq->ev_ipa);
}

/* The one exit for terminated transactions: outcome, stats, event. */
static int smmu_terminate(struct iom_smmu *s, struct smmu_req *rq, uint32_t id, bool record,
			  uint8_t status)
{
	struct iom_txn *t = rq->t;

	t->status = status;
	t->fault = (uint16_t)id;
	t->done_ps = rq->now;
	if (rq->ats) { /* a Translation Request: its completion, not a fault (3.9.1.2) */
		if (smmu_ats_outcome(s, rq->ats, id) && record) {
			uint64_t ev[4];
			smmu_event_build(rq, id, ev);
			smmu_evtq_push(s, ev, rq->now);
		}
		return SMMU_DONE;
	}
	if (id) {
		s->st.faults++;
		s->st.fault_by_id[id & 0xff]++;
		s->st.faults_s2 += rq->ev_s2;
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

/* Configuration errors abort the transaction and are recorded -- except for ATS
 * Translated transactions (3.9.1.3: only with SMMU_CR2.REC_CFG_ATS, which is 0). */
static int smmu_cfg_fault(struct iom_smmu *s, struct smmu_req *rq, uint32_t id)
{
	return smmu_terminate(s, rq, id, rq->t->at != IOM_TXN_AT_TRANSLATED, IOM_TXN_ABORT);
}

/* Stage-1 translation-related faults: CLASS = IN, recorded if CD.R = 1 (5.5). */
static int smmu_xlat_fault(struct iom_smmu *s, struct smmu_req *rq, uint32_t id)
{
	rq->ev_s2 = 0;
	rq->ev_class = SMMU_EVT_CLASS_IN;
	return smmu_terminate(s, rq, id, rq->cd && smmu_cd_r(rq->cd), IOM_TXN_FAULT);
}

/* F_ADDR_SIZE of a stage-1 bypass (3.4: input beyond the OAS / IAS): S2 = 0, CLASS =
 * IN, recorded (there is no CD.R). */
static int smmu_bypass_size_fault(struct iom_smmu *s, struct smmu_req *rq)
{
	rq->ev_s2 = 0;
	rq->ev_class = SMMU_EVT_CLASS_IN;
	return smmu_terminate(s, rq, SMMU_EVT_F_ADDR_SIZE, true, IOM_TXN_FAULT);
}

/* F_WALK_EABT is not one of the four translation-related faults: abort, always recorded
 * (5.5, 7.3.12). A stage-1 descriptor fetch is S2 = 0, CLASS = TT. */
static int smmu_s1_eabt(struct iom_smmu *s, struct smmu_req *rq, uint64_t fetch_pa)
{
	rq->ev_s2 = 0;
	rq->ev_class = SMMU_EVT_CLASS_TT;
	rq->fetch_pa = fetch_pa;
	return smmu_terminate(s, rq, SMMU_EVT_F_WALK_EABT, true, IOM_TXN_ABORT);
}

/* A stage-2 fault while translating `ipa` for `cls` (CD fetch, stage-1 table walk or the
 * input IPA): S2 = 1, the IPA in word 3; recorded if STE.S2R (F_WALK_EABT: always). */
static int smmu_s2_fault(struct iom_smmu *s, struct smmu_req *rq, uint8_t id, uint8_t cls,
			 uint64_t ipa, uint64_t fetch_pa)
{
	rq->ev_s2 = 1;
	rq->ev_class = cls;
	rq->ev_ipa = ipa;
	rq->ev_ttrnw = 1; /* the model's stage-2 faults on table accesses are reads */
	rq->fetch_pa = fetch_pa;
	if (id == SMMU_EVT_F_WALK_EABT)
		return smmu_terminate(s, rq, id, true, IOM_TXN_ABORT);
	return smmu_terminate(s, rq, id, rq->s2st.record, IOM_TXN_FAULT);
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
	if (rq->ats)
		smmu_ats_identity(s, rq->ats);
	rq->t->status = IOM_TXN_OK;
	rq->t->pa = rq->t->iova;
	rq->t->done_ps = rq->now;
	s->st.bypassed++;
	return SMMU_DONE;
}

/* ---------------------------------------------------------------------- */
/* Configuration structures: STE (5.2), CD (5.4), their legality.          */

/* Timed 64-byte structure fetch through the config requester. */
static bool smmu_fetch_cfg(struct iom_smmu *s, struct smmu_req *rq, uint64_t pa, uint64_t *w)
{
	bool ok = true;
	rq->now = iom_mem_timed_read(s->mem, s->req_cfg, pa, w, SMMU_STE_BYTES, rq->now, &ok);
	rq->t->cfg_reads++;
	s->st.cfg_reads++;
	return ok;
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

static unsigned smmu_tg_shift(unsigned tg)
{
	return tg == SMMU_TLBI_TG_16K ? 14 : tg == SMMU_TLBI_TG_64K ? 16 : 12;
}

static const char *smmu_tg_name(unsigned tg)
{
	return tg == SMMU_TLBI_TG_16K ? "16 KB" : tg == SMMU_TLBI_TG_64K ? "64 KB" : "4 KB";
}

/* CD.TG0 / STE.S2TG (0 4K, 1 64K, 2 16K) -> TLBI TG code; 0 for the reserved value. */
static unsigned smmu_tg0_code(uint64_t tg0)
{
	static const uint8_t c[4] = { SMMU_TLBI_TG_4K, SMMU_TLBI_TG_64K, SMMU_TLBI_TG_16K, 0 };
	return c[tg0 & 3];
}

/* CD.TG1 (0 reserved, 1 16K, 2 4K, 3 64K) -> TLBI TG code. */
static unsigned smmu_tg1_code(uint64_t tg1)
{
	static const uint8_t c[4] = { 0, SMMU_TLBI_TG_16K, SMMU_TLBI_TG_4K, SMMU_TLBI_TG_64K };
	return c[tg1 & 3];
}

/* Output-address size of a stage: the IPS / S2PS encoding capped to the OAS (5.4 IPS,
 * 5.2 S2PS), and to 48 bits with the 4 KB / 16 KB granules (no LPA2: a descriptor cannot
 * hold more, so there is no fault either). */
static uint8_t smmu_stage_oa(const struct iom_smmu *s, uint64_t ps, unsigned tg)
{
	unsigned oa = IOM_MIN(smmu_ips_bits(ps), s->cfg.oas_bits);
	return (uint8_t)(tg == SMMU_TLBI_TG_64K ? oa : IOM_MIN(oa, 48u));
}

/* Stage 1 of the TTB0 (upper = 0) or TTB1 (upper = 1) region of a CD. *tsz = T0SZ/T1SZ. */
static void smmu_cd_stage(const struct iom_smmu *s, const uint64_t *cd, bool upper,
			  struct smmu_stage *st, unsigned *tsz)
{
	unsigned tg = upper ? smmu_tg1_code(smmu_cd_tg1(cd)) : smmu_tg0_code(smmu_cd_tg0(cd));
	*tsz = (unsigned)(upper ? smmu_cd_t1sz(cd) : smmu_cd_t0sz(cd));
	st->tg = (uint8_t)tg;
	st->geom = 0;
	st->epd = (uint8_t)(upper ? smmu_cd_epd1(cd) : smmu_cd_epd0(cd));
	st->ttb = upper ? smmu_cd_ttb1(cd) : smmu_cd_ttb0(cd);
	st->ha = (uint8_t)smmu_cd_ha(cd);
	st->hd = (uint8_t)(smmu_cd_ha(cd) && smmu_cd_hd(cd));
	st->affd = (uint8_t)(!st->ha && smmu_cd_affd(cd));
	st->record = (uint8_t)smmu_cd_r(cd);
	st->ptc = (struct iom_pt_cfg){ .fmt = IOM_PT_VMSA64_S1, .granule_shift =
					       (uint8_t)smmu_tg_shift(tg),
				       .ia_bits = (uint8_t)(64 - IOM_MIN(*tsz, 64u)),
				       .oa_bits = smmu_stage_oa(s, smmu_cd_ips(cd), tg),
				       .ttb1 = upper, .pamax_bits = (uint8_t)s->cfg.oas_bits };
}

/* Stage 2 of an STE. */
static void smmu_ste_stage(const struct iom_smmu *s, const uint64_t *ste, struct smmu_stage *st)
{
	unsigned tg = smmu_tg0_code(smmu_ste_s2tg(ste));
	st->tg = (uint8_t)tg;
	st->geom = 0;
	st->epd = 0;
	st->ttb = smmu_ste_s2ttb(ste);
	st->ha = (uint8_t)smmu_ste_s2ha(ste);
	st->hd = (uint8_t)(smmu_ste_s2ha(ste) && smmu_ste_s2hd(ste));
	st->affd = (uint8_t)(!st->ha && smmu_ste_s2affd(ste));
	st->record = (uint8_t)smmu_ste_s2r(ste);
	st->ptc = (struct iom_pt_cfg){ .fmt = IOM_PT_VMSA64_S2, .granule_shift =
					       (uint8_t)smmu_tg_shift(tg),
				       .ia_bits = (uint8_t)(64 - smmu_ste_s2t0sz(ste)),
				       .oa_bits = smmu_stage_oa(s, smmu_ste_s2ps(ste), tg),
				       .sl0 = (uint8_t)smmu_ste_s2sl0(ste),
				       .pamax_bits = (uint8_t)s->cfg.oas_bits };
}

/* Start level and aligned start-table address of a stage (computed on its first walk;
 * legality was checked when the structure was fetched). The SMMU aligns TTB to the
 * start table (5.4 TTB0, 5.2 S2TTB), 64 bytes at least with a 52-bit OA. */
static int smmu_stage_geom(struct iom_smmu *s, struct smmu_req *rq, struct smmu_stage *st,
			   struct iom_err *err)
{
	if (st->geom)
		return 0;
	struct iom_pt_geom g;
	int rc = iom_pt_geometry(&st->ptc, &g, err);
	if (rc)
		return iom_err_prefix(err, "smmu %s: SID %u", s->name, rq->sid);
	uint64_t align = 8ull << g.top_bits;
	if (st->ptc.oa_bits == 52)
		align = IOM_MAX(align, 64ull);
	st->ttb &= ~(align - 1);
	st->start_level = g.start_level;
	st->lpa = g.lpa;
	st->geom = 1;
	return 0;
}

/* Whether a stage's geometry is legal; false with the rule logged. -IOM_ENOTSUP passes
 * through (a legal configuration the table model does not implement). */
static int smmu_stage_legal(struct iom_smmu *s, const struct smmu_stage *st, const char *what,
			    uint32_t sid, struct iom_err *err)
{
	struct iom_pt_geom g;
	struct iom_err e = { 0 };
	int rc = iom_pt_geometry(&st->ptc, &g, &e);
	if (rc == -IOM_ENOTSUP) {
		iom_unimp("smmu %s: SID %u: %s: %s", s->name, sid, what, e.msg);
		return iom_err_set(err, IOM_ENOTSUP, "smmu %s: SID %u: %s: %s", s->name, sid, what,
				   e.msg);
	}
	if (rc) {
		iom_guest_error("smmu %s: SID %u: %s ILLEGAL: %s", s->name, sid, what, e.msg);
		return 1;
	}
	return 0;
}

/* TxSZ range (5.4 T0SZ, 5.2 S2T0SZ): max 39 (IDR3.STT = 0); min 16, or 12 with the 64 KB
 * granule when 52-bit addresses exist (IDR5.VAX for stage 1; IAS = OAS = 52 for stage 2);
 * stage 2 also needs 64 - IAS. */
static bool smmu_tsz_ok(const struct iom_smmu *s, unsigned tsz, unsigned tg, bool stage2)
{
	bool big = tg == SMMU_TLBI_TG_64K && s->cfg.oas_bits == 52;
	unsigned min = big ? 12 : 16;
	if (stage2)
		min = IOM_MAX(min, 64 - s->cfg.oas_bits);
	return tsz >= min && tsz <= 39;
}

/* Start-table address range (5.4 TTB0, 5.2 S2TTB): within the stage's effective output
 * size, and within 48 bits with the 4 KB / 16 KB granules. */
static bool smmu_ttb_ok(const struct smmu_stage *st)
{
	unsigned bits = st->ptc.oa_bits;
	return !(st->ttb >> bits);
}

/* Legality of the stage-2 fields of an STE with Config = 0b11x. 0 legal, 1 ILLEGAL
 * (logged), -IOM_E* for a legal configuration the model does not implement. */
static int smmu_ste_s2_legal(struct iom_smmu *s, const uint64_t *ste, uint32_t sid,
			     struct iom_err *err)
{
	struct smmu_stage st;
	const char *why = NULL;

	smmu_ste_stage(s, ste, &st);
	if (!smmu_ste_s2aa64(ste))
		why = "S2AA64 = 0 (VMSAv8-32 tables: IDR0.TTF is AArch64 only)";
	else if (smmu_ste_s2endi(ste))
		why = "S2ENDI = 1 (IDR0.TTENDIAN: little-endian only)";
	else if (smmu_ste_s2s(ste))
		why = "S2S = 1 (IDR0.STALL_MODEL = 0b01: no stall model)";
	else if (smmu_ste_s2ha(ste) && s->cfg.httu < SMMU_HTTU_AF)
		why = "S2HA = 1 with IDR0.HTTU = 0";
	else if (smmu_ste_s2hd(ste) && s->cfg.httu < SMMU_HTTU_AF_DIRTY)
		why = "S2HD = 1 with IDR0.HTTU < 2";
	else if (!st.tg)
		why = "S2TG = 3 (reserved)";
	else if (!smmu_tsz_ok(s, (unsigned)smmu_ste_s2t0sz(ste), st.tg, true))
		why = "S2T0SZ outside its valid range";
	else if (!smmu_ttb_ok(&st))
		why = "S2TTB outside the effective S2PS range";
	if (why) {
		iom_guest_error("smmu %s: STE %u ILLEGAL: %s (S2T0SZ %" PRIu64 ", S2TG %" PRIu64
				", S2PS %" PRIu64 ", S2TTB 0x%" PRIx64 ")", s->name, sid, why,
				smmu_ste_s2t0sz(ste), smmu_ste_s2tg(ste), smmu_ste_s2ps(ste),
				smmu_ste_s2ttb(ste));
		return 1;
	}
	return smmu_stage_legal(s, &st, "STE stage 2 (S2T0SZ / S2SL0 / S2TG)", sid, err);
}

/* STE legality (5.2, 5.5): 0 legal, 1 ILLEGAL (C_BAD_STE), -IOM_E* not implemented. */
static int smmu_ste_legal(struct iom_smmu *s, const uint64_t *ste, uint32_t sid,
			  struct iom_err *err)
{
	uint64_t cfg = smmu_ste_config(ste), eats = smmu_ste_eats(ste);

	if (!smmu_ste_v(ste))
		return 1;
	if (cfg < SMMU_STE_CFG_BYPASS)
		return 0; /* abort, and the reserved 0b0xx that behave as abort */
	if (cfg & 1) { /* stage 1 translates */
		if (smmu_ste_s1cdmax(ste) > s->cfg.ssid_bits) {
			iom_guest_error("smmu %s: STE %u: S1CDMax %" PRIu64 " > SSIDSIZE %u", s->name,
					sid, smmu_ste_s1cdmax(ste), s->cfg.ssid_bits);
			return 1;
		}
		if (smmu_ste_s1cdmax(ste) && smmu_ste_s1fmt(ste) == 3) {
			iom_guest_error("smmu %s: STE %u: reserved S1Fmt 3", s->name, sid);
			return 1;
		}
		if (smmu_ste_s1stalld(ste)) {
			iom_guest_error("smmu %s: STE %u: S1STALLD = 1 with IDR0.STALL_MODEL != 0 "
					"(5.5)", s->name, sid);
			return 1;
		}
		if (cfg == SMMU_STE_CFG_S1 && (smmu_ste_strw(ste) & 1)) {
			iom_guest_error("smmu %s: STE %u: reserved STRW %" PRIu64, s->name, sid,
					smmu_ste_strw(ste));
			return 1;
		}
	}
	if ((cfg & 3) && eats == SMMU_EATS_SPLIT && cfg != SMMU_STE_CFG_NESTED) {
		iom_guest_error("smmu %s: STE %u: EATS = 0b10 (split-stage ATS) needs Config = "
				"0b111", s->name, sid);
		return 1;
	}
	if (cfg & 2)
		return smmu_ste_s2_legal(s, ste, sid, err);
	return 0;
}

/* Where the STE of rq->sid lives (5.1, 6.3.24): linear, or through the L1STD of a
 * 2-level table (read on every STE miss: L1 descriptors are not cached by this model).
 * SMMU_CONT with *pa, or the terminated outcome. */
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

/* Inlined into the translation pipeline (its hot path) although ATS Translated
 * transactions call it too. */
static inline __attribute__((always_inline)) int smmu_find_ste(struct iom_smmu *s,
							       struct smmu_req *rq,
							       struct iom_err *err)
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
	rc = smmu_ste_legal(s, rq->ste, rq->sid, err);
	if (rc < 0)
		return rc;
	if (rc)
		return smmu_cfg_fault(s, rq, SMMU_EVT_C_BAD_STE);
	iom_cache_insert(s->cfgc, &k, rq->ste, NULL, NULL);
	return SMMU_CONT;
}

static int smmu_s1_bypass(struct iom_smmu *s, struct smmu_req *rq, struct iom_err *err);

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
		return smmu_s1_bypass(s, rq, err);
	return smmu_cfg_fault(s, rq, SMMU_EVT_F_STREAM_DISABLED); /* 00, and reserved 11 */
}

/* Legality of one TTB region of a CD (5.4): 0, 1 ILLEGAL (logged), -IOM_E*. */
static int smmu_cd_region_legal(struct iom_smmu *s, struct smmu_req *rq, bool upper,
				struct iom_err *err)
{
	struct smmu_stage st;
	unsigned tsz;
	const char *why = NULL;

	smmu_cd_stage(s, rq->cd, upper, &st, &tsz);
	if (st.epd)
		return 0; /* TxSZ, TGx and TTBx are IGNORED */
	if (!st.tg)
		why = upper ? "TG1 = 0 (reserved)" : "TG0 = 3 (reserved)";
	else if (!smmu_tsz_ok(s, tsz, st.tg, false))
		why = upper ? "T1SZ outside its valid range" : "T0SZ outside its valid range";
	else if (!smmu_ttb_ok(&st))
		why = upper ? "TTB1 outside the effective IPS range"
			    : "TTB0 outside the effective IPS range";
	if (why) {
		iom_guest_error("smmu %s: SID %u CD %u ILLEGAL: %s (TxSZ %u, %s granule, IPS %" PRIu64
				")", s->name, rq->sid, rq->cd_idx, why, tsz, smmu_tg_name(st.tg),
				smmu_cd_ips(rq->cd));
		return 1;
	}
	return smmu_stage_legal(s, &st, upper ? "CD TTB1 region" : "CD TTB0 region", rq->sid, err);
}

/* CD legality (5.4, 5.5): returns SMMU_CONT, a terminated outcome (C_BAD_CD) or -IOM_E*
 * for legal-but-unimplemented settings. */
static int smmu_check_cd(struct iom_smmu *s, struct smmu_req *rq, struct iom_err *err)
{
	const uint64_t *cd = rq->cd;
	const char *why = NULL;

	if (!smmu_cd_v(cd))
		return smmu_cfg_fault(s, rq, SMMU_EVT_C_BAD_CD);
	if (!smmu_cd_aa64(cd))
		why = "AA64 = 0 (VMSAv8-32 tables: IDR0.TTF is AArch64 only)";
	else if (smmu_cd_endi(cd) && !(smmu_cd_epd0(cd) && smmu_cd_epd1(cd)))
		why = "ENDI = 1 (IDR0.TTENDIAN: little-endian only)";
	else if (smmu_cd_s(cd))
		why = "S = 1 (IDR0.STALL_MODEL = 0b01: no stall model)";
	else if (smmu_cd_ha(cd) && s->cfg.httu < SMMU_HTTU_AF)
		why = "HA = 1 with IDR0.HTTU = 0";
	else if (smmu_cd_hd(cd) && s->cfg.httu < SMMU_HTTU_AF_DIRTY)
		why = "HD = 1 with IDR0.HTTU < 2";
	if (why) {
		iom_guest_error("smmu %s: SID %u CD %u ILLEGAL: %s", s->name, rq->sid, rq->cd_idx,
				why);
		return smmu_cfg_fault(s, rq, SMMU_EVT_C_BAD_CD);
	}
	int rc = smmu_cd_region_legal(s, rq, false, err);
	if (!rc)
		rc = smmu_cd_region_legal(s, rq, true, err);
	if (rc < 0)
		return rc;
	return rc ? smmu_cfg_fault(s, rq, SMMU_EVT_C_BAD_CD) : SMMU_CONT;
}

static int smmu_s2_xlat(struct iom_smmu *s, struct smmu_req *rq, struct smmu_tlbc *tc,
			uint64_t ipa, bool txn, bool own_slot, uint64_t *now,
			struct smmu_s2_out *o, struct iom_err *err);

/* The PA of a configuration-structure address: itself, or (stage 2 enabled) its stage-2
 * translation through the IPA cache (5.2 S1ContextPtr: an IPA; faults have CLASS = CD). */
static int smmu_cfg_pa(struct iom_smmu *s, struct smmu_req *rq, uint64_t ipa, uint64_t *pa,
		       struct iom_err *err)
{
	if (!rq->s2) {
		*pa = ipa;
		return SMMU_CONT;
	}
	struct smmu_s2_out o;
	int rc = smmu_s2_xlat(s, rq, &s->ipac, ipa, false, true, &rq->now, &o, err);
	if (rc < 0)
		return rc;
	if (o.fault)
		return smmu_s2_fault(s, rq, o.fault, SMMU_EVT_CLASS_CD, ipa, o.fetch_pa);
	*pa = o.pa;
	return SMMU_CONT;
}

/* Where CD rq->cd_idx lives (5.2 S1Fmt, 5.3): a linear table, or the L2 table an L1CD
 * points at (L1CD read on every CD miss, not cached; with S1CDMax <= the split only
 * L1CD #0 is used). Addresses are IPAs when stage 2 translates. */
static int smmu_cd_addr(struct iom_smmu *s, struct smmu_req *rq, uint64_t *ipa,
			struct iom_err *err)
{
	uint64_t base = smmu_ste_s1ctxptr(rq->ste), fmt = smmu_ste_s1fmt(rq->ste);
	uint64_t cdmax = smmu_ste_s1cdmax(rq->ste);
	if (cdmax == 0 || fmt == SMMU_S1FMT_LINEAR) {
		*ipa = base + (uint64_t)rq->cd_idx * SMMU_CD_BYTES;
		return SMMU_CONT;
	}
	unsigned split = fmt == SMMU_S1FMT_64CD ? 6 : 10;
	uint64_t l1ipa = base + ((uint64_t)rq->cd_idx >> split) * 8, l1pa = 0, d;
	int rc = smmu_cfg_pa(s, rq, l1ipa, &l1pa, err);
	if (rc != SMMU_CONT)
		return rc;
	if (!smmu_fetch_l1(s, rq, l1pa, &d)) {
		rq->fetch_pa = l1pa;
		return smmu_cfg_fault(s, rq, SMMU_EVT_F_CD_FETCH);
	}
	if (!smmu_l1cd_v(d))
		return smmu_cfg_fault(s, rq, SMMU_EVT_C_BAD_SUBSTREAMID);
	*ipa = smmu_l1cd_l2ptr(d) + (uint64_t)(rq->cd_idx & ((1u << split) - 1)) * SMMU_CD_BYTES;
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
		uint64_t ipa = 0, pa = 0;
		int rc = smmu_cd_addr(s, rq, &ipa, err);
		if (rc == SMMU_CONT)
			rc = smmu_cfg_pa(s, rq, ipa, &pa, err);
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
	return SMMU_CONT;
}

/* The TTB region of the input address (VA[55], 3.4.1), TBI, and the stage-1 input range
 * check: SMMU_CONT with rq->va and rq->s1.epd set (the rest of rq->s1 is decoded by
 * smmu_s1_decode() when a walk needs it: the TLB-hit path reads only these fields), or
 * F_TRANSLATION. */
static int smmu_s1_region(struct iom_smmu *s, struct smmu_req *rq)
{
	const uint64_t *cd = rq->cd;
	uint64_t va = rq->t->iova;
	bool upper = (va >> 55) & 1;

	if (upper ? smmu_cd_tbi1(cd) : smmu_cd_tbi0(cd)) /* VA[63:56] ignored */
		va = upper ? va | (0xffull << 56) : va & ~(0xffull << 56);
	rq->va = va;
	rq->s1.epd = (uint8_t)(upper ? smmu_cd_epd1(cd) : smmu_cd_epd0(cd));
	if (rq->s1.epd)
		return SMMU_CONT; /* TxSZ IGNORED: a TLB miss faults */
	unsigned ia = 64 - (unsigned)(upper ? smmu_cd_t1sz(cd) : smmu_cd_t0sz(cd));
	if (upper ? (~va >> ia) != 0 : (va >> ia) != 0)
		return smmu_xlat_fault(s, rq, SMMU_EVT_F_TRANSLATION);
	return SMMU_CONT;
}

/* The full stage-1 decode of the selected region, before a walk. */
static void smmu_s1_decode(struct iom_smmu *s, struct smmu_req *rq)
{
	unsigned tsz;
	smmu_cd_stage(s, rq->cd, (rq->va >> 55) & 1, &rq->s1, &tsz);
}

/* ---------------------------------------------------------------------- */
/* TLB and IPA cache (leaf entries), walk caches.                          */

/* Entry sizes: every leaf and contiguous-run size of the three granules. */
static const uint8_t smmu_size_shifts[SMMU_TLB_NSIZES] = { 12, 14, 16, 21, 25, 29, 30, 34, 42 };

unsigned smmu_tlb_size_shift(uint32_t size_idx)
{
	return smmu_size_shifts[size_idx];
}

static uint32_t smmu_size_idx(uint64_t size)
{
	unsigned sh = (unsigned)__builtin_ctzll(size);
	for (uint32_t i = 0; i < SMMU_TLB_NSIZES; i++)
		if (smmu_size_shifts[i] >= sh)
			return smmu_size_shifts[i] == sh ? i : (i ? i - 1 : 0);
	return SMMU_TLB_NSIZES - 1;
}

unsigned smmu_level_shift(unsigned tg, unsigned level)
{
	unsigned g = smmu_tg_shift(tg);
	return g + (g - 3) * (3 - level);
}

/* Leaf tag (layout in smmuv3-internal.h). Global (nG = 0) entries match any ASID but stay
 * VMID-scoped, as in the Arm architecture (IHI0070 4.4.2.4: NH_VA drops "global entries
 * by VMID and VA"). */
uint64_t smmu_tlb_tag(uint32_t asid, uint32_t vmid, uint32_t size_idx, int global)
{
	uint64_t t = ((uint64_t)(vmid & 0xffff) << 16) | ((uint64_t)size_idx << 40);
	return global ? (t | SMMU_TAG_GLOBAL) : (t | (asid & 0xffff));
}

/* SMMU_IDR0..5 for this configuration (6.3.1-6.3.6). The model answers the commands of a
 * stage 1 + stage 2 SMMU with Hyp, ATS and PRI (IDR0.S2P/HYP/ATS/PRI = 1) so that those
 * commands have their architected effect; the stall model is absent (STALL_MODEL =
 * 0b01); tables are AArch64, little-endian; HTTU per smmu.httu; all three granules;
 * OAS per smmu.oas_bits (VAX = 1 with 52). */
uint32_t smmu_idr(const struct iom_smmu *s, unsigned n)
{
	switch (n) {
	case 0:
		return SMMU_IDR0_S2P | SMMU_IDR0_S1P | SMMU_IDR0_TTF_AA64 | SMMU_IDR0_COHACC |
		       smmu_idr0_make_httu(s->cfg.httu) | SMMU_IDR0_HYP | SMMU_IDR0_ATS |
		       SMMU_IDR0_ASID16 | SMMU_IDR0_SEV | SMMU_IDR0_PRI | SMMU_IDR0_VMID16 |
		       SMMU_IDR0_TTENDIAN_LE | SMMU_IDR0_STALL_TERM_ONLY |
		       SMMU_IDR0_ST_LEVEL_2LVL | SMMU_IDR0_CD2L | /* the model reads both formats */
		       (s->cfg.msi ? SMMU_IDR0_MSI : 0);
	case 1:
		return smmu_idr1_make(s->cfg.sid_bits, s->cfg.ssid_bits, 19, 19);
	case 3:
		return s->cfg.range_inval ? SMMU_IDR3_RIL : 0;
	case 5:
		return SMMU_IDR5_GRAN4K | SMMU_IDR5_GRAN16K | SMMU_IDR5_GRAN64K |
		       smmu_idr5_make_oas((uint32_t)smmu_oas_enc(s->cfg.oas_bits)) |
		       smmu_idr5_make_vax(s->cfg.oas_bits == 52);
	default:
		return 0;
	}
}

uint32_t iom_smmu_read_idr(const struct iom_smmu *s, unsigned n)
{
	return smmu_idr(s, n);
}

void smmu_tlbc_reset(struct smmu_tlbc *tc)
{
	memset(tc->size_count, 0, sizeof(tc->size_count));
	tc->global_count = 0;
	tc->size_mask = 0;
}

void smmu_tlbc_drop(struct smmu_tlbc *tc, const struct iom_cache_key *k)
{
	uint32_t idx = smmu_tag_size(k->tag);
	if (idx < SMMU_TLB_NSIZES && tc->size_count[idx] && !--tc->size_count[idx])
		tc->size_mask &= ~(1u << idx);
	if ((k->tag & SMMU_TAG_GLOBAL) && tc->global_count)
		tc->global_count--;
}

/* Probe only the page sizes (and the global tag) present; a hit counts as one hit, a
 * miss of every probe as one miss. `bits` is ORed into the tag (SMMU_TAG_S2); global
 * entries exist for stage-1 lookups only. */
static struct smmu_tlb_entry *smmu_tlbc_find(struct smmu_tlbc *tc, uint32_t asid, uint32_t vmid,
					     uint64_t bits, uint64_t addr)
{
	for (uint32_t m = tc->size_mask; m; m &= m - 1) {
		uint32_t i = (uint32_t)__builtin_ctz(m);
		struct iom_cache_key k = { addr >> smmu_size_shifts[i],
					   smmu_tlb_tag(asid, vmid, i, 0) | bits };
		struct smmu_tlb_entry *e = iom_cache_probe(tc->c, &k);
		if (e)
			return e;
		k.tag = smmu_tlb_tag(0, vmid, i, 1);
		if (tc->global_count && !bits && (e = iom_cache_probe(tc->c, &k)))
			return e;
	}
	iom_cache_count_miss(tc->c);
	return NULL;
}

static void smmu_tlbc_fill(struct smmu_tlbc *tc, uint32_t asid, uint32_t vmid, uint64_t bits,
			   uint64_t addr, const struct smmu_tlb_entry *e)
{
	uint32_t i = smmu_size_idx(e->page_size);
	struct iom_cache_key k = { addr >> smmu_size_shifts[i],
				   smmu_tlb_tag(asid, vmid, i, e->global) | bits };
	struct iom_cache_key victim;
	bool evicted = false;

	bool present = iom_cache_peek(tc->c, &k) != NULL;
	if (!iom_cache_insert(tc->c, &k, e, &victim, &evicted))
		return; /* disabled */
	if (evicted && iom_cache_config(tc->c)->policy == IOM_CACHE_FLUSH_ALL) {
		smmu_tlbc_reset(tc); /* the whole cache was emptied before this insert */
		present = false;
	} else if (evicted) {
		smmu_tlbc_drop(tc, &victim);
	}
	if (!present) {
		tc->size_count[i]++;
		tc->size_mask |= 1u << i;
		tc->global_count += e->global;
	}
}

/* Walk-cache key: addr = (IA >> level shift) << 2 | level, so the levels of one address
 * spread over sets; tag = ASID | VMID | level | granule (layout in smmuv3-internal.h). */
struct iom_cache_key smmu_wc_key(uint32_t asid, uint32_t vmid, uint64_t va, unsigned level,
				 unsigned tg)
{
	struct iom_cache_key k = { ((va >> smmu_level_shift(tg, level)) << 2) | level,
				   (asid & 0xffff) | ((uint64_t)(vmid & 0xffff) << 16) |
					   ((uint64_t)level << 32) | ((uint64_t)tg << 44) };
	return k;
}

/* The deepest cached table on the path of `ia` (levels probed in parallel: one access,
 * charged by the caller), else the start table. */
static void smmu_wc_find(struct iom_smmu *s, struct iom_cache *c, uint32_t asid, uint32_t vmid,
			 uint64_t bits, uint64_t ia, const struct smmu_stage *st,
			 struct iom_pt_walk *w)
{
	bool probed = false;
	w->table_pa = st->ttb;
	w->level = st->start_level;
	for (int l = 2; l >= st->start_level; l--) {
		if (!(s->cfg.walk_cache_levels & (1u << l)))
			continue;
		struct iom_cache_key k = smmu_wc_key(asid, vmid, ia, (unsigned)l, st->tg);
		k.tag |= bits;
		probed = true;
		const struct smmu_wc_entry *e = iom_cache_probe(c, &k);
		if (!e)
			continue;
		w->table_pa = e->table_pa;
		w->level = e->level;
		return;
	}
	if (probed)
		iom_cache_count_miss(c);
}

static void smmu_wc_fill(struct iom_smmu *s, struct iom_cache *c, uint32_t *tg_mask,
			 uint32_t asid, uint32_t vmid, uint64_t bits, uint64_t ia,
			 const struct smmu_stage *st, const struct iom_pt_walk *w)
{
	for (unsigned i = 0; i < w->nsteps; i++) {
		const struct iom_pt_step *sp = &w->steps[i];
		if (!sp->is_table || !(s->cfg.walk_cache_levels & (1u << sp->level)))
			continue;
		struct iom_cache_key k = smmu_wc_key(asid, vmid, ia, sp->level, st->tg);
		k.tag |= bits;
		struct smmu_wc_entry e = {
			.table_pa = smmu_pte_next_table(sp->desc, st->ptc.granule_shift, st->lpa),
			.level = (uint8_t)(sp->level + 1) };
		if (iom_cache_insert(c, &k, &e, NULL, NULL))
			*tg_mask |= 1u << st->tg;
	}
}

/* ---------------------------------------------------------------------- */
/* Walks.                                                                  */

static uint64_t smmu_slot_begin(struct iom_smmu *s, const struct smmu_req *rq)
{
	return IOM_MAX(rq->now, iom_resource_next_free(&s->walk_slots));
}

/* The slot is held from the start of the walk to its last read (or update). */
static void smmu_slot_end(struct iom_smmu *s, uint64_t req_ps, uint64_t start, uint64_t done)
{
	iom_resource_acquire(&s->walk_slots, req_ps, done - start, NULL);
	iom_hist_add(&s->st.walk_latency_ps, done - start);
}

static void smmu_walk_account(struct iom_smmu *s, struct smmu_req *rq, const struct iom_pt_walk *w,
			      bool stage2)
{
	if (stage2) {
		s->st.s2_walks++;
		s->st.s2_walk_reads += w->nsteps;
	} else {
		s->st.walks++;
	}
	s->st.walk_reads += w->nsteps;
	rq->t->walk_reads = (uint8_t)IOM_MIN(255u, rq->t->walk_reads + w->nsteps);
	for (unsigned i = 0; i < w->nsteps; i++)
		s->st.walk_reads_level[w->steps[i].level & 3]++;
	s->st.httu_af_updates += w->af_updates;
	s->st.httu_dirty_updates += w->dirty_updates;
	s->st.httu_rmws += w->rmws;
}

/* Entry of a stage-1 walk's leaf (the contiguous hint widens it to the run). */
static void smmu_s1_entry(const struct smmu_stage *st, const struct iom_pt_walk *w,
			  uint64_t ia, struct smmu_tlb_entry *e)
{
	uint64_t size = w->cont_size ? w->cont_size : w->page_size;
	*e = (struct smmu_tlb_entry){ .pa_base = w->oa - (ia & (size - 1)), .page_size = size,
				      .perms = w->perms,
				      .s2_perms = IOM_PTE_R | IOM_PTE_W | IOM_PTE_X,
				      .pxn = w->pxn, .global = !(w->perms & IOM_PTE_NG),
				      .tg = st->tg, .level = w->leaf_level };
	e->ipa_base = e->pa_base;
	e->httu_w = !(w->perms & IOM_PTE_W) && (w->perms & IOM_PTE_DBM) && st->hd;
}

/* Entry of a stage-2 walk's leaf: stage-2 permissions only. */
static void smmu_s2_entry(const struct smmu_stage *st, const struct iom_pt_walk *w,
			  uint64_t ipa, struct smmu_tlb_entry *e)
{
	uint64_t size = w->cont_size ? w->cont_size : w->page_size;
	*e = (struct smmu_tlb_entry){ .pa_base = w->oa - (ipa & (size - 1)), .page_size = size,
				      .perms = ~0u, .s2_perms = w->perms, .s2_pxn = w->pxn,
				      .tg = st->tg, .level = w->leaf_level };
	e->ipa_base = ipa - (ipa & (size - 1));
	e->httu_w = !(w->perms & IOM_PTE_W) && (w->perms & IOM_PTE_DBM) && st->hd;
}

/* Stage-1 permission check (DDI0487 D8.4 for an EL1&0 regime, no PAN/WXN): device
 * accesses are unprivileged unless IOM_TXN_PRIV. */
static bool smmu_s1_perm_ok(const struct iom_txn *t, const struct smmu_tlb_entry *e)
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

/* Stage-2 permission check: S2AP read / write, XN (FEAT_XNX: separate privileged XN).
 * An instruction fetch needs execute permission only (stage 2 can map execute-only). */
static bool smmu_s2_perm_ok(bool write, bool exec, bool priv, const struct smmu_tlb_entry *e)
{
	if (write)
		return e->s2_perms & IOM_PTE_W;
	if (exec)
		return priv ? !e->s2_pxn : (e->s2_perms & IOM_PTE_X);
	return e->s2_perms & IOM_PTE_R;
}

/* A stage-2 walk of `ipa` (stage-2 walk cache, walker with S2HA/S2HD); own_slot: hold a
 * walk slot from the first read to the last (not inside a walk that holds one). */
static int smmu_s2_walk(struct iom_smmu *s, struct smmu_req *rq, uint64_t ipa, bool write,
			bool own_slot, uint64_t *now, struct iom_pt_walk *w, struct iom_err *err)
{
	struct smmu_stage *st = &rq->s2st;
	int rc = smmu_stage_geom(s, rq, st, err);
	if (rc)
		return rc;
	memset(w, 0, sizeof(*w));
	*now = iom_cache_access_ps(s->s2wc, *now);
	uint64_t req = *now;
	if (own_slot)
		*now = IOM_MAX(*now, iom_resource_next_free(&s->walk_slots));
	smmu_wc_find(s, s->s2wc, 0, rq->vmid, SMMU_TAG_S2, ipa, st, w);
	w->iova = ipa;
	w->now_ps = *now;
	w->mem_req = s->req_walk;
	w->write = write;
	w->priv = !!(rq->t->flags & IOM_TXN_PRIV);
	w->ha = st->ha;
	w->hd = st->hd;
	rc = iom_pt_walk(s->mem, &st->ptc, w, err);
	if (rc)
		return iom_err_prefix(err, "smmu %s: SID %u stage 2", s->name, rq->sid);
	smmu_walk_account(s, rq, w, true);
	if (own_slot)
		smmu_slot_end(s, req, w->now_ps, w->done_ps);
	*now = w->done_ps;
	smmu_wc_fill(s, s->s2wc, &s->s2wc_tg_mask, 0, rq->vmid, SMMU_TAG_S2, ipa, st, w);
	return 0;
}

static uint8_t smmu_walk_fault_id(uint8_t status)
{
	switch (status) {
	case IOM_PT_FAULT_ADDR_SIZE:
		return SMMU_EVT_F_ADDR_SIZE;
	case IOM_PT_EXT_ABORT:
		return SMMU_EVT_F_WALK_EABT;
	default:
		return SMMU_EVT_F_TRANSLATION;
	}
}

/* Stage-2 translation of `ipa` through the leaf cache `tc` (the TLB for a stage-2-only
 * STE, the IPA cache inside a nested translation), then a walk. `txn`: the access is the
 * transaction's own (its R/W/X and privilege), else a descriptor or CD read. The outcome
 * (a fault is an event ID in o->fault) is in *o; *now advances. own_slot: take a walk
 * slot for the walk (not when called inside a walk that holds one). */
static int smmu_s2_xlat(struct iom_smmu *s, struct smmu_req *rq, struct smmu_tlbc *tc,
			uint64_t ipa, bool txn, bool own_slot, uint64_t *now,
			struct smmu_s2_out *o, struct iom_err *err)
{
	const struct iom_txn *t = rq->t;
	struct smmu_stage *st = &rq->s2st;
	bool write = txn && t->write, exec = txn && !t->write && (t->flags & IOM_TXN_EXEC);

	o->fault = 0;
	o->hit = 0;
	if (ipa >> st->ptc.ia_bits) { /* 3.4: outside S2T0SZ, no walk */
		o->fault = SMMU_EVT_F_TRANSLATION;
		return 0;
	}
	*now = iom_cache_access_ps(tc->c, *now);
	struct smmu_tlb_entry *e = smmu_tlbc_find(tc, 0, rq->vmid, SMMU_TAG_S2, ipa);
	if (e && write && e->httu_w) {
		s->st.httu_rewalks++; /* writable-clean: the walk performs the dirty update */
		e = NULL;
	}
	if (e) {
		o->e = *e;
		o->hit = 1;
	} else {
		struct iom_pt_walk w;
		int rc = smmu_s2_walk(s, rq, ipa, write, own_slot, now, &w, err);
		if (rc)
			return rc;
		if (w.status != IOM_PT_OK) {
			o->fault = smmu_walk_fault_id(w.status);
			o->fetch_pa = w.leaf_desc_pa;
			return 0;
		}
		if (!w.af && !st->affd) { /* AF = 0 without S2HA: nothing cached */
			o->fault = SMMU_EVT_F_ACCESS;
			return 0;
		}
		smmu_s2_entry(st, &w, ipa, &o->e);
		smmu_tlbc_fill(tc, 0, rq->vmid, SMMU_TAG_S2, ipa, &o->e);
	}
	o->pa = o->e.pa_base + (ipa & (o->e.page_size - 1));
	/* A Translation Request's own access is granted, not checked (smmu_ats_grant). */
	if (!(txn && rq->ats) && !smmu_s2_perm_ok(write, exec, txn && (t->flags & IOM_TXN_PRIV), &o->e))
		o->fault = SMMU_EVT_F_PERMISSION;
	return 0;
}

/* Nested walk hook (iom_pt_walk.s2_xlat): stage 2 of one stage-1 descriptor IPA. */
static int smmu_nested_hook(void *ctx, struct iom_pt_s2_req *r, struct iom_err *err)
{
	struct smmu_req *rq = ctx;
	struct smmu_s2_out o;
	uint64_t now = r->now_ps;
	uint8_t before = rq->t->walk_reads;
	int rc = smmu_s2_xlat(rq->s, rq, &rq->s->ipac, r->ipa, false, false, &now, &o, err);
	if (rc)
		return rc;
	r->reads = (uint8_t)(rq->t->walk_reads - before);
	r->done_ps = now;
	r->pa = o.pa;
	r->status = o.fault ? IOM_PT_FAULT_TRANSLATION : IOM_PT_OK;
	if (o.fault) {
		rq->hook_fault = o.fault;
		rq->hook_ipa = r->ipa;
		rq->hook_fetch = o.fetch_pa;
	}
	return 0;
}

/* A stage-1 walk of rq->va (nested: with every table address through stage 2). It waits
 * for a walk slot after the walk-cache access: *req / *start receive the request and
 * start times for smmu_slot_end(). */
static int smmu_s1_walk(struct iom_smmu *s, struct smmu_req *rq, struct iom_pt_walk *w,
			uint64_t *req, uint64_t *start, struct iom_err *err)
{
	struct smmu_stage *st = &rq->s1;
	smmu_s1_decode(s, rq);
	int rc = smmu_stage_geom(s, rq, st, err);
	if (rc)
		return rc;
	memset(w, 0, sizeof(*w));
	rq->now = iom_cache_access_ps(s->wc, rq->now);
	*req = rq->now;
	rq->now = *start = smmu_slot_begin(s, rq);
	smmu_wc_find(s, s->wc, rq->asid, rq->vmid, 0, rq->va, st, w);
	w->iova = rq->va;
	w->now_ps = rq->now;
	w->mem_req = s->req_walk;
	w->write = rq->t->write;
	w->priv = !!(rq->t->flags & IOM_TXN_PRIV);
	w->ha = st->ha;
	w->hd = st->hd;
	if (rq->s2) {
		w->s2_xlat = smmu_nested_hook;
		w->s2_ctx = rq;
	}
	rc = iom_pt_walk(s->mem, &st->ptc, w, err);
	if (rc)
		return iom_err_prefix(err, "smmu %s: SID %u", s->name, rq->sid);
	smmu_walk_account(s, rq, w, false);
	rq->now = w->done_ps;
	smmu_wc_fill(s, s->wc, &s->wc_tg_mask, rq->asid, rq->vmid, 0, rq->va, st, w);
	return 0;
}

/* A stage-1 walk that did not reach a valid leaf, or a leaf with AF = 0. */
static int smmu_s1_walk_fault(struct iom_smmu *s, struct smmu_req *rq, const struct iom_pt_walk *w)
{
	if (w->status == IOM_PT_FAULT_S2)
		return smmu_s2_fault(s, rq, rq->hook_fault, SMMU_EVT_CLASS_TT, rq->hook_ipa,
				     rq->hook_fetch);
	if (w->status == IOM_PT_EXT_ABORT)
		return smmu_s1_eabt(s, rq, w->leaf_desc_pa);
	if (w->status != IOM_PT_OK)
		return smmu_xlat_fault(s, rq, smmu_walk_fault_id(w->status));
	return smmu_xlat_fault(s, rq, SMMU_EVT_F_ACCESS); /* AF = 0 without HA: not cached */
}

/* ---------------------------------------------------------------------- */
/* Micro-TLBs: per StreamID, 4 KB slices of successful translations, looked up before  */
/* the configuration. Any TLBI or CFGI empties all of them (smmuv3_cmdq.c), as do      */
/* SMMU_CR0 and stream-table base writes: exact, since every entry copies a TLB entry   */
/* or a configuration that such a command or write may have changed.                   */

/* Access kinds in smmu_utlb_entry.allow: bit (priv * 3 + kind), kind 0 read, 1 write,
 * 2 instruction fetch. */
static unsigned smmu_utlb_bit(const struct iom_txn *t)
{
	unsigned kind = t->write ? 1 : (t->flags & IOM_TXN_EXEC) ? 2 : 0;
	return (t->flags & IOM_TXN_PRIV ? 3 : 0) + kind;
}

static struct iom_cache *smmu_utlb_of(struct iom_smmu *s, uint32_t sid, bool make)
{
	uint64_t v;
	if (iom_u64map_get(&s->utlbs, sid, &v))
		return (struct iom_cache *)(uintptr_t)v;
	if (!make)
		return NULL;
	struct iom_err e;
	struct iom_cache *c = smmu_cache(s, "utlb", &s->cfg.utlb, sizeof(struct smmu_utlb_entry),
					 &e);
	if (c && iom_u64map_put(&s->utlbs, sid, (uint64_t)(uintptr_t)c)) {
		iom_cache_destroy(c);
		c = NULL;
	}
	return c; /* NULL (out of memory): the translation simply is not cached */
}

static struct iom_cache_key smmu_utlb_key(const struct iom_txn *t)
{
	bool ssv = t->flags & IOM_TXN_PASID_VALID;
	struct iom_cache_key k = { t->iova >> 12, ssv ? (1ull << 20) | (t->pasid & 0xfffff) : 0 };
	return k;
}

static bool smmu_utlb_lookup(struct iom_smmu *s, struct smmu_req *rq)
{
	struct iom_txn *t = rq->t;
	struct iom_cache *c = smmu_utlb_of(s, rq->sid, false);
	if (!c) {
		s->st.utlb_misses++;
		return false;
	}
	struct iom_cache_key k = smmu_utlb_key(t);
	uint64_t now = iom_cache_access_ps(c, rq->now);
	const struct smmu_utlb_entry *e = iom_cache_lookup(c, &k);
	rq->now = now;
	if (!e || !(e->allow & (1u << smmu_utlb_bit(t)))) {
		s->st.utlb_misses++;
		return false;
	}
	s->st.utlb_hits++;
	t->status = IOM_TXN_OK;
	t->tlb_hit = 1;
	t->pa = e->pa_page | (t->iova & 0xfff);
	t->done_ps = now;
	iom_hist_add(&s->st.hit_latency_ps, t->done_ps - t->issue_ps);
	return true;
}

static void smmu_utlb_fill(struct iom_smmu *s, struct smmu_req *rq, const struct smmu_tlb_entry *e)
{
	struct iom_cache *c = smmu_utlb_of(s, rq->sid, true);
	if (!c)
		return;
	struct smmu_utlb_entry u = { .pa_page = rq->t->pa & ~0xfffull };
	for (unsigned b = 0; b < 6; b++) {
		struct iom_txn a = { .write = b % 3 == 1,
				     .flags = (b >= 3 ? IOM_TXN_PRIV : 0) |
					      (b % 3 == 2 ? IOM_TXN_EXEC : 0) };
		if (smmu_s1_perm_ok(&a, e) &&
		    smmu_s2_perm_ok(a.write, b % 3 == 2, b >= 3, e))
			u.allow |= (uint8_t)(1u << b);
	}
	struct iom_cache_key k = smmu_utlb_key(rq->t);
	iom_cache_insert(c, &k, &u, NULL, NULL);
}

void smmu_utlb_flush_all(struct iom_smmu *s)
{
	uint64_t sid, v;
	if (!s->utlb_on)
		return;
	s->st.utlb_flushes++;
	for (size_t i = 0; iom_u64map_next(&s->utlbs, &i, &sid, &v);)
		iom_cache_flush((struct iom_cache *)(uintptr_t)v);
}

/* ---------------------------------------------------------------------- */
/* Translation by configuration.                                           */

/* A translated transaction: permissions (stage 1 first, then stage 2), outcome. `ia` is
 * the lookup address of e (VA, or IPA for a stage-2-only entry). */
static int smmu_finish(struct iom_smmu *s, struct smmu_req *rq, const struct smmu_tlb_entry *e,
		       uint64_t ia, bool hit)
{
	struct iom_txn *t = rq->t;
	bool exec = !t->write && (t->flags & IOM_TXN_EXEC), priv = t->flags & IOM_TXN_PRIV;
	uint64_t off = ia & (e->page_size - 1);

	if (rq->ats) { /* a Translation Request: the permissions granted, the range */
		smmu_ats_grant(s, rq->ats, t, e, e->pa_base);
		t->status = IOM_TXN_OK;
		t->pa = e->pa_base + off;
		t->done_ps = rq->now;
		return SMMU_DONE;
	}
	if (!smmu_s1_perm_ok(t, e))
		return smmu_xlat_fault(s, rq, SMMU_EVT_F_PERMISSION);
	if (!smmu_s2_perm_ok(t->write, exec, priv, e))
		return smmu_s2_fault(s, rq, SMMU_EVT_F_PERMISSION, SMMU_EVT_CLASS_IN,
				     e->ipa_base + off, 0);
	t->status = IOM_TXN_OK;
	t->pa = e->pa_base + off;
	t->done_ps = rq->now;
	iom_hist_add(hit ? &s->st.hit_latency_ps : &s->st.miss_latency_ps, t->done_ps - t->issue_ps);
	if (s->utlb_on)
		smmu_utlb_fill(s, rq, e);
	return SMMU_DONE;
}

/* The TLB lookup of a stage-1 or nested translation; NULL on a miss, or on a write to a
 * writable-clean entry that HTTU may dirty (3.13.3: the walk updates the descriptor). */
static const struct smmu_tlb_entry *smmu_s1_tlb(struct iom_smmu *s, struct smmu_req *rq)
{
	rq->now = iom_cache_access_ps(s->tlb.c, rq->now);
	struct smmu_tlb_entry *e = smmu_tlbc_find(&s->tlb, rq->asid, rq->vmid, 0, rq->va);
	if (e && rq->t->write && e->httu_w) {
		s->st.httu_rewalks++;
		return NULL;
	}
	return e;
}

/* Stage 1 only (STE.Config = 0b101). */
static int smmu_s1_translate(struct iom_smmu *s, struct smmu_req *rq, struct iom_err *err)
{
	int rc = smmu_s1_region(s, rq);
	if (rc)
		return rc;
	const struct smmu_tlb_entry *e = smmu_s1_tlb(s, rq);
	if (e) {
		rq->t->tlb_hit = 1;
		s->st.tlb_hits++;
		return smmu_finish(s, rq, e, rq->va, true);
	}
	if (rq->s1.epd) /* EPDx: a TLB miss in the region faults, no walk */
		return smmu_xlat_fault(s, rq, SMMU_EVT_F_TRANSLATION);
	struct iom_pt_walk w;
	uint64_t req, start;
	rc = smmu_s1_walk(s, rq, &w, &req, &start, err);
	if (rc)
		return rc;
	smmu_slot_end(s, req, start, rq->now);
	if (w.status != IOM_PT_OK || (!w.af && !rq->s1.affd))
		return smmu_s1_walk_fault(s, rq, &w);
	struct smmu_tlb_entry ne;
	smmu_s1_entry(&rq->s1, &w, rq->va, &ne);
	smmu_tlbc_fill(&s->tlb, rq->asid, rq->vmid, 0, rq->va, &ne);
	return smmu_finish(s, rq, &ne, rq->va, false);
}

/* Stage 2 only (STE.Config = 0b110, or stage 1 bypassed by S1DSS in a nested STE): the
 * input address is the IPA; TLB entries are stage-2-only, keyed by IPA. */
static int smmu_s2_translate(struct iom_smmu *s, struct smmu_req *rq, struct iom_err *err)
{
	struct smmu_s2_out o;
	uint64_t ipa = rq->t->iova;
	int rc = smmu_s2_xlat(s, rq, &s->tlb, ipa, true, true, &rq->now, &o, err);
	if (rc)
		return rc;
	if (o.hit) {
		rq->t->tlb_hit = 1;
		s->st.tlb_hits++;
	}
	if (o.fault)
		return smmu_s2_fault(s, rq, o.fault, SMMU_EVT_CLASS_IN, ipa, o.fetch_pa);
	return smmu_finish(s, rq, &o.e, ipa, o.hit);
}

/* Nested (STE.Config = 0b111): the stage-1 walk translates its table addresses through
 * stage 2 (smmu_nested_hook), then the output IPA goes through stage 2; the TLB keeps one
 * combined entry of the smaller leaf size with both stages' permissions. */
static int smmu_nested_translate(struct iom_smmu *s, struct smmu_req *rq, struct iom_err *err)
{
	int rc = smmu_s1_region(s, rq);
	if (rc)
		return rc;
	const struct smmu_tlb_entry *e = smmu_s1_tlb(s, rq);
	if (e) {
		rq->t->tlb_hit = 1;
		s->st.tlb_hits++;
		return smmu_finish(s, rq, e, rq->va, true);
	}
	if (rq->s1.epd)
		return smmu_xlat_fault(s, rq, SMMU_EVT_F_TRANSLATION);
	struct iom_pt_walk w;
	uint64_t req, start;
	rc = smmu_s1_walk(s, rq, &w, &req, &start, err);
	if (rc)
		return rc;
	if (w.status != IOM_PT_OK || (!w.af && !rq->s1.affd)) {
		smmu_slot_end(s, req, start, rq->now);
		return smmu_s1_walk_fault(s, rq, &w);
	}
	struct smmu_tlb_entry s1e;
	smmu_s1_entry(&rq->s1, &w, rq->va, &s1e);
	if (rq->ats ? !smmu_ats_s1_grants(rq->t, &s1e) : !smmu_s1_perm_ok(rq->t, &s1e)) {
		/* stage 1 denies (a Translation Request: grants nothing): no stage-2 lookup */
		smmu_slot_end(s, req, start, rq->now);
		return smmu_xlat_fault(s, rq, SMMU_EVT_F_PERMISSION);
	}
	struct smmu_s2_out o;
	uint64_t ipa = w.oa;
	rc = smmu_s2_xlat(s, rq, &s->ipac, ipa, true, false, &rq->now, &o, err);
	if (rc)
		return rc;
	smmu_slot_end(s, req, start, rq->now);
	if (o.fault)
		return smmu_s2_fault(s, rq, o.fault, SMMU_EVT_CLASS_IN, ipa, o.fetch_pa);
	/* Combined entry: the smaller leaf, aligned in VA, IPA and PA alike. */
	uint64_t size = IOM_MIN(s1e.page_size, o.e.page_size), off = rq->va & (size - 1);
	struct smmu_tlb_entry ne = s1e;
	ne.page_size = size;
	ne.ipa_base = ipa - off;
	ne.pa_base = o.pa - off;
	ne.s2_perms = o.e.s2_perms;
	ne.s2_pxn = o.e.s2_pxn;
	bool w1 = s1e.perms & IOM_PTE_W, w2 = o.e.s2_perms & IOM_PTE_W;
	ne.httu_w = (w1 || s1e.httu_w) && (w2 || o.e.httu_w) && !(w1 && w2);
	smmu_tlbc_fill(&s->tlb, rq->asid, rq->vmid, 0, rq->va, &ne);
	return smmu_finish(s, rq, &ne, rq->va, false);
}

/* Stage 1 bypassed (Config = 0b1x0, or S1DSS = 0b01): the input address goes to stage 2
 * as the IPA, after the stage-1 address-size check against the IAS (= OAS here, 3.4). */
static int smmu_s1_bypass(struct iom_smmu *s, struct smmu_req *rq, struct iom_err *err)
{
	if (rq->t->iova >> s->cfg.oas_bits)
		return smmu_bypass_size_fault(s, rq);
	if (rq->s2)
		return smmu_s2_translate(s, rq, err);
	return smmu_bypass(s, rq);
}

/* STE.Config = 0b100: both stages bypass; a SubstreamID is C_BAD_SUBSTREAMID (5.2 S1Fmt),
 * an address beyond the OAS a stage-1 F_ADDR_SIZE (3.4). */
static int smmu_ste_bypass(struct iom_smmu *s, struct smmu_req *rq)
{
	if (rq->ssv)
		return smmu_cfg_fault(s, rq, SMMU_EVT_C_BAD_SUBSTREAMID);
	if (rq->t->iova >> s->cfg.oas_bits)
		return smmu_bypass_size_fault(s, rq);
	return smmu_bypass(s, rq);
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
	int rc = smmu_find_ste(s, rq, err);
	if (rc)
		return rc;
	if (rq->ats) { /* 3.9.1.2: may this stream make Translation Requests at all? */
		uint32_t v = smmu_ats_ste_check(rq->ste, true);
		if (v == SMMU_ATS_UNIMP)
			return smmu_unimp(s, rq, err, "split-stage ATS (STE.EATS = 0b10)");
		if (v)
			return smmu_terminate(s, rq, v == SMMU_ATS_SILENT ? 0 : v, true,
					      IOM_TXN_ABORT);
	}
	uint64_t cfg = smmu_ste_config(rq->ste);
	if (cfg < SMMU_STE_CFG_BYPASS) /* abort, no event; reserved 0b0xx behave so (5.2) */
		return smmu_terminate(s, rq, 0, false, IOM_TXN_ABORT);
	if (cfg == SMMU_STE_CFG_BYPASS)
		return smmu_ste_bypass(s, rq);
	if (cfg == SMMU_STE_CFG_S1 && smmu_ste_strw(rq->ste) == SMMU_STRW_EL2)
		return smmu_unimp(s, rq, err, "StreamWorld EL2 / EL2-E2H (STE.STRW = 0b10)");
	rq->vmid = (uint32_t)smmu_ste_s2vmid(rq->ste); /* NS-EL1: VMID-tagged (5.2 S2VMID) */
	rq->s2 = cfg & 2;
	if (rq->s2)
		smmu_ste_stage(s, rq->ste, &rq->s2st);
	if (!(cfg & 1)) { /* stage 2 only */
		if (rq->ssv)
			return smmu_cfg_fault(s, rq, SMMU_EVT_C_BAD_SUBSTREAMID);
		return smmu_s1_bypass(s, rq, err);
	}
	rc = smmu_select_cd(s, rq, err);
	if (!rc)
		rc = smmu_find_cd(s, rq, err);
	if (rc)
		return rc;
	return rq->s2 ? smmu_nested_translate(s, rq, err) : smmu_s1_translate(s, rq, err);
}

/* An ATS Translated transaction (3.9.1.3): a PA that bypasses translation, checked
 * against the STE only with SMMU_CR0.ATSCHK = 1 (configuration errors abort it without an
 * event: SMMU_CR2.REC_CFG_ATS = 0). */
static int smmu_translated(struct iom_smmu *s, struct smmu_req *rq, struct iom_err *err)
{
	struct iom_txn *t = rq->t;
	int rc = SMMU_CONT;
	if (s->cr0 & SMMU_CR0_ATSCHK) {
		rc = smmu_find_ste(s, rq, err);
		if (rc)
			goto out;
		uint32_t v = smmu_ats_ste_check(rq->ste, false);
		if (v == SMMU_ATS_UNIMP)
			return smmu_unimp(s, rq, err, "split-stage ATS (STE.EATS = 0b10)");
		if (v) {
			rc = smmu_terminate(s, rq, v == SMMU_ATS_SILENT ? 0 : v, true, IOM_TXN_ABORT);
			goto out;
		}
	}
	if (t->iova >> s->cfg.oas_bits) { /* 3.9.1.1: the model aborts, no event */
		rc = smmu_terminate(s, rq, 0, false, IOM_TXN_ABORT);
		goto out;
	}
	t->pa = t->iova;
	t->done_ps = rq->now;
	s->st.ats_translated++;
	return SMMU_DONE;
out:
	if (rc > 0)
		s->st.ats_translated_aborted++;
	return rc;
}

int smmu_translate_req(struct iom_smmu *s, struct iom_txn *t, struct iom_ats_req *ats,
		       struct iom_err *err)
{
	uint64_t ste_buf[SMMU_STE_WORDS], cd_buf[SMMU_CD_WORDS]; /* filled only on a fetch */
	struct smmu_req rq = { .s = s, .t = t, .ats = ats, .now = t->issue_ps, .sid = t->rid,
			       .ste_buf = ste_buf, .cd_buf = cd_buf };

	smmu_txn_reset(t);
	s->st.translations++;
	rq.ssv = !!(t->flags & IOM_TXN_PASID_VALID);
	rq.ssid = rq.ssv ? t->pasid : 0;
	if (!(s->cr0 & SMMU_CR0_SMMUEN)) {
		if (t->at != IOM_TXN_AT_UNTRANSLATED) { /* 3.9.1.2, 3.9.1.3 */
			smmu_terminate(s, &rq, ats ? SMMU_EVT_F_BAD_ATS_TREQ
						   : SMMU_EVT_F_TRANSL_FORBIDDEN, true, IOM_TXN_ABORT);
			s->st.ats_translated_aborted += !ats;
			return 0;
		}
		/* 3.4: beyond the OAS the transaction aborts, without an event */
		if (smmu_gbpa_abort(s->gbpa) || (t->iova >> s->cfg.oas_bits))
			smmu_terminate(s, &rq, 0, false, IOM_TXN_ABORT);
		else
			smmu_bypass(s, &rq);
		return 0;
	}
	if (t->at != IOM_TXN_AT_UNTRANSLATED) { /* ATS: micro-TLBs unused */
		if (t->at == IOM_TXN_AT_TRANSLATED) {
			int rc = smmu_translated(s, &rq, err);
			return rc < 0 ? rc : 0;
		}
		if (!ats)
			return iom_err_set(err, IOM_EINVAL, "smmu %s: SID %u: a Translation Request "
					   "(AT = 01b) goes through iom_smmu_ats_translate()",
					   s->name, rq.sid);
	} else if (s->utlb_on && smmu_utlb_lookup(s, &rq)) {
		return 0;
	}
	int rc = smmu_decode_and_translate(s, &rq, err); /* one call site: inlined */
	return rc < 0 ? rc : 0;
}

int iom_smmu_translate(struct iom_smmu *s, struct iom_txn *t, struct iom_err *err)
{
	return smmu_translate_req(s, t, NULL, err);
}
