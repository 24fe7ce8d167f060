/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smmuv3_cmdq.c - SMMUv3 command-queue consumption (IHI0070 G.b 3.5, 4.1-4.7),
 * split by command family: configuration invalidation (CFGI_*), TLB
 * invalidation (TLBI_*), ATS/PRI (ATC_INV, PRI_RESP) and CMD_SYNC.
 *
 * Every Non-secure opcode has its architected effect for the ID registers
 * the model advertises (smmu_idr(): S1P, S2P, Hyp, ATS, PRI, SEV, RIL per
 * smmu.range_inval, MSI per smmu.msi, no stall model, no MPAM, no DPT):
 *  - CFGI_STE drops the STE and every CD cached through that StreamID
 *    (4.3.1); Leaf only matters for L1STDs, which the model never caches.
 *    CFGI_STE_RANGE covers 2^(Range+1) aligned SIDs; Range = 31 is CFGI_ALL.
 *    CFGI_CD drops one CD, CFGI_CD_ALL every CD of the StreamID.
 *  - TLB invalidations drop exactly the minimum scope the spec requires
 *    (4.4): no over-invalidation.  Entries carry (ASID, VMID, regime,
 *    stage); stage-1 entries of a stage-1-only STE have VMID 0.
 *      NH_ALL(VMID)          NS-EL1 stage-1 entries of VMID, global included
 *      NH_ASID(VMID, ASID)   non-global NS-EL1 entries of (VMID, ASID)
 *      NH_VA(VMID, ASID, VA) entries of (VMID, ASID) and global entries of
 *                            VMID that translate VA
 *      NH_VAA(VMID, VA)      entries of VMID, any ASID, that translate VA
 *      EL2_ALL / EL2_ASID / EL2_VA / EL2_VAA: the same on entries of the
 *                            EL2 regime (ASID-tagged as with SMMU_CR2.E2H =
 *                            1); no STE inserts such entries yet, so these
 *                            drop nothing -- but never NS-EL1 entries.
 *      S12_VMALL(VMID)       every non-EL2 entry of VMID at all stages
 *      S2_IPA(VMID, IPA)     stage-2-only entries of VMID for the IPA: the
 *                            TLB entries of stage-2-only STEs and the IPA
 *                            cache (combined nested entries stay: 4.4.3)
 *      NSNH_ALL              every non-EL2 entry, any VMID, all stages
 *    Leaf = 1 drops last-level (TLB) entries only; Leaf = 0 also the
 *    walk-cache entries on the path of the addresses.  ASID/VMID/ALL scopes
 *    drop the matching walk-cache entries too. Stage-1 scopes touch the
 *    TLB and the stage-1 walk cache; stage-2 scopes the TLB, the IPA cache
 *    and the stage-2 walk cache. Every TLBI and every CFGI also empties the
 *    micro-TLBs (they copy TLB entries and configuration).
 *  - Range invalidation (4.4.1.1, IDR3.RIL): with TG != 0 the operation
 *    covers (NUM+1) * 2^SCALE granules of TG from Address (no wrap).  TG
 *    selects entries inserted with that granule (the granule of the table
 *    the entry came from; stage 1's for a nested entry); TTL != 0 limits TLB
 *    entries to leaves of that level and, with Leaf = 0, walk-cache
 *    entries to table descriptors of the levels above TTL.  CERROR_ILL for
 *    NUM = SCALE = TTL = 0 with TG != 0, for TG = 16K with TTL = 1
 *    (IDR5.DS = 0), and -- the model's choice among the two 4.1.5 allows for
 *    a non-zero RES0 field -- for TG != 0 when RIL = 0, so that a driver
 *    sending range commands to an SMMU without RIL is caught, not silently
 *    under-invalidated.  Other RES0 fields are ignored.
 *  - CMD_SYNC (4.7.3) completes after every earlier command and after every
 *    earlier CMD_ATC_INV's completion; CS = IRQ writes MSIData (32 bits) to
 *    MSIAddress when IDR0.MSI and MSIAddress != 0 (a timed write through
 *    "<name>.queue", posted: the engine does not wait for it), otherwise it
 *    is a wired interrupt; CS = SEV is an event. Each is counted. CS = 3:
 *    CERROR_ILL. An ATC invalidation that timed out stops the queue at the
 *    SYNC with CERROR_ATC_INV_SYNC, at the time the timed-out completion was due (the
 *    engine is busy until then); once the error is acknowledged the SYNC executes again
 *    and completes (the timed-out invalidation is no longer outstanding).
 *  - CMD_ATC_INV / CMD_PRI_RESP (4.5) go to the installed
 *    struct iom_smmu_ats_ops (the ATS/PRI model); without one they complete
 *    at once. IGNORED while SMMUEN = 0 (counted). CERROR_ILL for ATC_INV
 *    Size > 52 (the spec permits it) and PRI_RESP Resp = 3.
 *  - CERROR_ILL (4.1.3) for reserved opcodes and for the commands this
 *    configuration does not have: TLBI_EL3_* and every secure command on the
 *    Non-secure queue, CFGI_VMS_PIDM (no MPAM), RESUME / STALL_TERM (no stall
 *    model), DPTI_* (no DPT). Consumption stops at the command.
 *  - PREFETCH_* are hints, executed as no-ops.
 *
 * Timing: the engine is serial. Each command costs a timed 16-byte fetch
 * through "<name>.queue" (starting when the previous command finished),
 * then cmd_cycles (sync_cycles for CMD_SYNC) of the SMMU clock, plus for an
 * invalidation (steps - 1) * inval_scan_cycles: steps = 1 for a command that
 * finds its entries by key (address, SID, SSID: all sizes and levels probed
 * in parallel); min(granules, sets) for a range; the set count of the largest
 * cache it must walk for a scope that cannot be indexed (ASID, VMID, all,
 * StreamID ranges). A doorbell starts at max(now, end of the previous batch).
 */
#include "smmuv3-internal.h"
#include "smmuv3-regs.h"

#include "log.h"
#include "mem.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

enum { SMMU_CMD_OK = 0, SMMU_CMD_ILLEGAL = 1, SMMU_CMD_ATC_SYNC_ERR = 2 };

/* ---- accessors and hooks ---- */

uint64_t iom_smmu_last_msi_ps(const struct iom_smmu *s) { return s->last_msi_ps; }

uint64_t iom_smmu_cmdq_consumed_ps(const struct iom_smmu *s, uint32_t idx)
{
	return idx < s->cmdq_done_slots ? s->cmdq_done_ps[idx] : 0;
}

void iom_smmu_set_ats_ops(struct iom_smmu *s, const struct iom_smmu_ats_ops *ops, void *ctx)
{
	s->ats = ops;
	s->ats_ctx = ops ? ctx : NULL;
}

/* ---- cost ---- */

static uint64_t smmu_min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* Extra time of an invalidation that visits `steps` sets / probes. */
static void smmu_inval_cost(struct iom_smmu *s, uint64_t steps, uint64_t *t)
{
	if (steps <= 1)
		return;
	s->st.inval_steps += steps - 1;
	*t += (steps - 1) * s->cfg.inval_scan_cycles * s->period_ps;
}

/* ---- CFGI family (4.3) ---- */

/* Config-cache keys: addr = SID for the STE and the CDs, so a StreamID's
 * entries share one set: by-SID commands visit one set. */
static int smmu_cmd_cfgi(struct iom_smmu *s, const uint64_t *cmd, uint64_t *t)
{
	uint32_t sid = smmu_cmd_sid(cmd);
	uint64_t steps = 1;

	switch (smmu_cmd_op(cmd)) {
	case SMMU_CMD_CFGI_STE:
		s->st.cfg_dropped += iom_cache_invalidate_range(s->cfgc, 0, 0, sid, sid);
		break;
	case SMMU_CMD_CFGI_STE_RANGE: {
		uint32_t range = smmu_cmd_range(cmd);
		uint64_t sets = iom_cache_sets(s->cfgc);
		if (range == SMMU_CFGI_RANGE_ALL) {
			s->st.cfg_dropped += iom_cache_flush(s->cfgc);
			steps = sets;
			break;
		}
		uint64_t n = 2ull << range, base = sid & ~(n - 1);
		s->st.cfg_dropped += iom_cache_invalidate_range(s->cfgc, 0, 0, base, base + n - 1);
		steps = smmu_min_u64(n, sets);
		break;
	}
	case SMMU_CMD_CFGI_CD: {
		struct iom_cache_key k = { sid, SMMU_CFG_TAG_CD | smmu_cmd_ssid(cmd) };
		s->st.cfg_dropped += iom_cache_invalidate(s->cfgc, &k);
		break;
	}
	default: /* CFGI_CD_ALL */
		s->st.cfg_dropped += iom_cache_invalidate_range(s->cfgc, SMMU_CFG_TAG_CD,
								SMMU_CFG_TAG_CD, sid, sid);
		break;
	}
	smmu_utlb_flush_all(s);
	smmu_inval_cost(s, steps, t);
	return SMMU_CMD_OK;
}

/* ---- TLB invalidation engine ---- */

enum { SMMU_INV_S1 = 0, SMMU_INV_S2, SMMU_INV_ALL_STAGES };

/* What one TLBI drops. Regime: EL2 entries only (el2) or non-EL2 only. */
struct smmu_inv {
	struct iom_smmu *s;
	struct smmu_tlbc *tc; /* the leaf cache being scanned (TLB or IPA cache) */
	uint8_t stage;    /* SMMU_INV_*: stage-1 (VA) entries, stage-2-only (IPA) entries, both */
	bool el2;
	bool by_vmid, by_asid, by_addr;
	bool global_too;  /* by_asid: global entries of the VMID match as well (by-VA ops) */
	bool leaf;        /* by_addr: last-level entries only (walk caches untouched) */
	uint32_t vmid, asid;
	uint64_t lo, hi;  /* by_addr: inclusive input-address range */
	uint32_t tg, ttl; /* by_addr: SMMU_TLBI_TG_* (0: any granule, no hint), level hint */
	uint64_t granules;/* by_addr: granules covered (1 without TG) */
};

static bool smmu_inv_scope(const struct smmu_inv *v, uint64_t tag)
{
	if (!!(tag & SMMU_TAG_EL2) != v->el2)
		return false;
	if (v->stage == SMMU_INV_S1 && (tag & SMMU_TAG_S2))
		return false;
	if (v->stage == SMMU_INV_S2 && !(tag & SMMU_TAG_S2))
		return false;
	return !v->by_vmid || smmu_tag_vmid(tag) == v->vmid;
}

/* Does an entry of 2^shift bytes at index `idx` (= address >> shift) meet the range? */
static bool smmu_inv_overlaps(const struct smmu_inv *v, uint64_t idx, unsigned shift)
{
	return idx >= (v->lo >> shift) && idx <= (v->hi >> shift);
}

/* Leaf entries: TG selects entries of that granule, TTL leaves of that level (the entry
 * keeps both: for a nested entry those of stage 1). */
static bool smmu_inv_tlb_match(const struct smmu_inv *v, const struct iom_cache_key *k,
			       const struct smmu_tlb_entry *e)
{
	if (!smmu_inv_scope(v, k->tag))
		return false;
	if (v->by_asid) {
		bool global = k->tag & SMMU_TAG_GLOBAL;
		if (global ? !v->global_too : smmu_tag_asid(k->tag) != v->asid)
			return false;
	}
	if (!v->by_addr)
		return true;
	if (v->tg && e->tg != v->tg)
		return false;
	if (v->ttl && e->level != v->ttl)
		return false;
	return smmu_inv_overlaps(v, k->addr, smmu_tlb_size_shift(smmu_tag_size(k->tag)));
}

/* Walk-cache entries: table descriptors, tag level = the descriptor's level. */
static bool smmu_inv_wc_match(const struct smmu_inv *v, const struct iom_cache_key *k)
{
	if (!smmu_inv_scope(v, k->tag))
		return false;
	if (v->by_asid && smmu_tag_asid(k->tag) != v->asid)
		return false;
	if (!v->by_addr)
		return true;
	unsigned level = smmu_tag_level(k->tag), tg = smmu_tag_tg(k->tag);
	if (v->tg && tg != v->tg)
		return false;
	if (v->ttl && level >= v->ttl) /* TTL: table levels before the leaf level */
		return false;
	return smmu_inv_overlaps(v, k->addr >> 2, smmu_level_shift(tg, level));
}

static bool smmu_inv_tlb_pred(const struct iom_cache_key *k, const void *value, void *ctx)
{
	const struct smmu_inv *v = ctx;
	if (!smmu_inv_tlb_match(v, k, value))
		return false;
	smmu_tlbc_drop(v->tc, k);
	return true;
}

static bool smmu_inv_wc_pred(const struct iom_cache_key *k, const void *value, void *ctx)
{
	(void)value;
	return smmu_inv_wc_match(ctx, k);
}

/* Regime/stage bits of the keys a by-key invalidation probes. */
static uint64_t smmu_inv_key_bits(const struct smmu_inv *v)
{
	return (v->el2 ? SMMU_TAG_EL2 : 0) | (v->stage == SMMU_INV_S2 ? SMMU_TAG_S2 : 0);
}

/* Can a by-key invalidation enumerate the keys: by address within one ASID (stage 1) or
 * one VMID (stage 2 only)? */
static bool smmu_inv_keyed(const struct smmu_inv *v)
{
	return v->by_addr && ((v->stage == SMMU_INV_S1 && v->by_asid) ||
			      (v->stage == SMMU_INV_S2 && v->by_vmid));
}

/* Keys a by-key leaf invalidation would probe, or UINT64_MAX if it cannot enumerate them. */
static uint64_t smmu_inv_tlb_keys(const struct smmu_tlbc *tc, const struct smmu_inv *v)
{
	uint64_t n = 0;
	if (!smmu_inv_keyed(v))
		return UINT64_MAX;
	for (uint32_t i = 0; i < SMMU_TLB_NSIZES; i++) {
		unsigned sh = smmu_tlb_size_shift(i);
		if (tc->size_count[i])
			n += ((v->hi >> sh) - (v->lo >> sh) + 1) * (v->global_too ? 2 : 1);
	}
	return n;
}

/* Exact same result as the scan, by probing the keys that can hold the range (each page
 * size, ASID-tagged and global): the per-page TLBI of a strict unmap takes this path on
 * the replay's hot path. */
static uint64_t smmu_inv_tlb_by_key(struct smmu_tlbc *tc, const struct smmu_inv *v)
{
	uint64_t dropped = 0;
	for (uint32_t i = 0; i < SMMU_TLB_NSIZES; i++) {
		unsigned sh = smmu_tlb_size_shift(i);
		if (!tc->size_count[i])
			continue;
		for (int global = 0; global < 2; global++) {
			if (global && (!v->global_too || !tc->global_count))
				break;
			struct iom_cache_key k = { 0, smmu_tlb_tag(v->stage == SMMU_INV_S1 ? v->asid : 0,
								   v->vmid, i, global) |
							      smmu_inv_key_bits(v) };
			for (uint64_t a = v->lo >> sh; a <= (v->hi >> sh); a++) {
				k.addr = a;
				const struct smmu_tlb_entry *e = iom_cache_peek(tc->c, &k);
				if (e && smmu_inv_tlb_match(v, &k, e) &&
				    iom_cache_invalidate(tc->c, &k)) {
					smmu_tlbc_drop(tc, &k);
					dropped++;
				}
				if (a == UINT64_MAX)
					break;
			}
		}
	}
	return dropped;
}

static uint64_t smmu_inv_tlb(struct smmu_tlbc *tc, struct smmu_inv *v)
{
	if (!iom_cache_valid(tc->c))
		return 0;
	v->tc = tc;
	uint64_t keys = smmu_inv_tlb_keys(tc, v);
	if (keys <= iom_cache_sets(tc->c))
		return smmu_inv_tlb_by_key(tc, v);
	return iom_cache_invalidate_if(tc->c, smmu_inv_tlb_pred, (void *)v);
}

/* A walk cache (stage 1: s->wc, stage 2: s->s2wc); tg_mask = granules it may hold. */
static uint64_t smmu_inv_wc(struct iom_cache *c, uint32_t tg_mask, const struct smmu_inv *v)
{
	if ((v->by_addr && v->leaf) || !iom_cache_valid(c))
		return 0;
	if (smmu_inv_keyed(v) && (v->hi - v->lo) >> 21 < iom_cache_sets(c)) {
		uint64_t dropped = 0;
		for (unsigned tg = SMMU_TLBI_TG_4K; tg <= SMMU_TLBI_TG_64K; tg++) {
			if (!(tg_mask & (1u << tg)))
				continue;
			for (unsigned level = 0; level < 3; level++) {
				unsigned sh = smmu_level_shift(tg, level);
				for (uint64_t a = v->lo >> sh; a <= (v->hi >> sh); a++) {
					struct iom_cache_key k = smmu_wc_key(
						v->stage == SMMU_INV_S1 ? v->asid : 0, v->vmid,
						a << sh, level, tg);
					k.tag |= smmu_inv_key_bits(v);
					if (smmu_inv_wc_match(v, &k))
						dropped += iom_cache_invalidate(c, &k);
				}
			}
		}
		return dropped;
	}
	return iom_cache_invalidate_if(c, smmu_inv_wc_pred, (void *)v);
}

/* Sets / probes the invalidation visits in the largest cache it touches. */
static uint64_t smmu_inv_steps(const struct iom_smmu *s, const struct smmu_inv *v)
{
	bool walk = !(v->by_addr && v->leaf);
	uint64_t sets = iom_cache_sets(s->tlb.c);
	if (walk && v->stage != SMMU_INV_S2)
		sets = IOM_MAX(sets, (uint64_t)iom_cache_sets(s->wc));
	if (v->stage != SMMU_INV_S1) {
		sets = IOM_MAX(sets, (uint64_t)iom_cache_sets(s->ipac.c));
		if (walk)
			sets = IOM_MAX(sets, (uint64_t)iom_cache_sets(s->s2wc));
	}
	if (!v->by_addr)
		return sets;
	return smmu_min_u64(v->granules, sets);
}

/* Apply one TLB invalidation to every translation cache: the TLB, the IPA cache and the
 * stage-2 walk cache (stage-2-only entries), the stage-1 walk cache, the micro-TLBs. */
static void smmu_inv_apply(struct iom_smmu *s, struct smmu_inv *v, uint64_t *t)
{
	v->s = s;
	s->st.tlbi_dropped += smmu_inv_tlb(&s->tlb, v);
	if (v->stage != SMMU_INV_S2)
		s->st.walk_cache_dropped += smmu_inv_wc(s->wc, s->wc_tg_mask, v);
	if (v->stage != SMMU_INV_S1) {
		s->st.tlbi_dropped += smmu_inv_tlb(&s->ipac, v);
		s->st.walk_cache_dropped += smmu_inv_wc(s->s2wc, s->s2wc_tg_mask, v);
	}
	smmu_utlb_flush_all(s);
	smmu_inval_cost(s, smmu_inv_steps(s, v), t);
}

/* Address operand of a by-address TLBI, with its range fields (4.4.1.1). */
static int smmu_tlbi_addr(struct iom_smmu *s, const uint64_t *cmd, uint64_t addr,
			  struct smmu_inv *v)
{
	static const unsigned gshift[4] = { 12, 12, 14, 16 };
	uint32_t tg = smmu_cmd_tg(cmd);

	v->by_addr = true;
	v->leaf = smmu_cmd_leaf(cmd);
	v->lo = v->hi = addr;
	v->granules = 1;
	if (tg == SMMU_TLBI_TG_NONE)
		return SMMU_CMD_OK;
	uint32_t num = smmu_cmd_num(cmd), scale = smmu_cmd_scale(cmd), ttl = smmu_cmd_ttl(cmd);
	if (!s->cfg.range_inval) {
		iom_guest_error("smmu %s: TLBI with TG=%u but IDR3.RIL = 0 (TG is RES0)", s->name,
				tg);
		return SMMU_CMD_ILLEGAL;
	}
	if (!num && !scale && !ttl) {
		iom_guest_error("smmu %s: TLBI TG=%u with NUM = SCALE = TTL = 0 (reserved)",
				s->name, tg);
		return SMMU_CMD_ILLEGAL;
	}
	if (tg == SMMU_TLBI_TG_16K && ttl == 1) {
		iom_guest_error("smmu %s: TLBI TG=16K with TTL=1 needs IDR5.DS", s->name);
		return SMMU_CMD_ILLEGAL;
	}
	uint64_t granules = (uint64_t)(num + 1) << scale; /* at most 2^36 */
	uint64_t bytes = granules << gshift[tg];
	v->tg = tg;
	v->ttl = ttl;
	v->granules = granules;
	v->hi = bytes - 1 > UINT64_MAX - addr ? UINT64_MAX : addr + bytes - 1; /* no wrap */
	s->st.range_tlbis++;
	return SMMU_CMD_OK;
}

static int smmu_cmd_tlbi(struct iom_smmu *s, const uint64_t *cmd, uint64_t *t)
{
	uint32_t op = smmu_cmd_op(cmd);
	struct smmu_inv v = { .vmid = smmu_cmd_vmid(cmd), .asid = smmu_cmd_asid(cmd) };
	int rc = SMMU_CMD_OK;

	switch (op) {
	case SMMU_CMD_TLBI_NH_ALL:
		v.by_vmid = true;
		break;
	case SMMU_CMD_TLBI_NH_ASID:
		v.by_vmid = v.by_asid = true;
		break;
	case SMMU_CMD_TLBI_NH_VA:
		v.by_vmid = v.by_asid = v.global_too = true;
		rc = smmu_tlbi_addr(s, cmd, smmu_cmd_addr(cmd), &v);
		break;
	case SMMU_CMD_TLBI_NH_VAA:
		v.by_vmid = true;
		rc = smmu_tlbi_addr(s, cmd, smmu_cmd_addr(cmd), &v);
		break;
	case SMMU_CMD_TLBI_EL2_ALL:
		v.el2 = true;
		break;
	case SMMU_CMD_TLBI_EL2_ASID:
		v.el2 = v.by_asid = true;
		break;
	case SMMU_CMD_TLBI_EL2_VA:
		v.el2 = v.by_asid = v.global_too = true;
		rc = smmu_tlbi_addr(s, cmd, smmu_cmd_addr(cmd), &v);
		break;
	case SMMU_CMD_TLBI_EL2_VAA:
		v.el2 = true;
		rc = smmu_tlbi_addr(s, cmd, smmu_cmd_addr(cmd), &v);
		break;
	case SMMU_CMD_TLBI_S12_VMALL:
		v.stage = SMMU_INV_ALL_STAGES;
		v.by_vmid = true;
		break;
	case SMMU_CMD_TLBI_S2_IPA:
		v.stage = SMMU_INV_S2;
		v.by_vmid = true;
		rc = smmu_tlbi_addr(s, cmd, smmu_cmd_ipa(cmd), &v);
		break;
	default: /* TLBI_NSNH_ALL */
		v.stage = SMMU_INV_ALL_STAGES;
		break;
	}
	if (rc == SMMU_CMD_OK)
		smmu_inv_apply(s, &v, t);
	return rc;
}

/* ---- ATS and PRI (4.5) ---- */

static int smmu_cmd_atc_inv(struct iom_smmu *s, const uint64_t *cmd, uint64_t t,
			    struct iom_err *err)
{
	uint32_t size = smmu_cmd_atc_size(cmd), ssv = smmu_cmd_ssv(cmd);

	if (size > SMMU_ATC_SIZE_ALL) {
		iom_guest_error("smmu %s: CMD_ATC_INV Size %u > 52", s->name, size);
		return SMMU_CMD_ILLEGAL;
	}
	if (!(s->cr0 & SMMU_CR0_SMMUEN)) {
		s->st.cmd_ignored++;
		return SMMU_CMD_OK;
	}
	if (!s->ats || !s->ats->atc_inv)
		return SMMU_CMD_OK;
	/* The span is aligned to its size by the SMMU; Global only with SSV. */
	uint64_t addr = size >= SMMU_ATC_SIZE_ALL ? 0
						 : smmu_cmd_addr(cmd) & ~((4096ull << size) - 1);
	uint64_t done = t;
	int rc = s->ats->atc_inv(s->ats_ctx, smmu_cmd_sid(cmd), smmu_cmd_ssid(cmd), ssv,
				 ssv && smmu_cmd_atc_global(cmd), addr, size, t, &done);
	if (rc < 0)
		return iom_err_set(err, -rc, "smmu %s: CMD_ATC_INV to SID %u: ATS model failed",
				   s->name, smmu_cmd_sid(cmd));
	if (rc == 1)
		s->atc_timed_out = true;
	s->atc_pending_ps = IOM_MAX(s->atc_pending_ps, done);
	return SMMU_CMD_OK;
}

static int smmu_cmd_pri(struct iom_smmu *s, const uint64_t *cmd, uint64_t t, struct iom_err *err)
{
	uint32_t resp = smmu_cmd_pri_resp(cmd);

	if (resp > SMMU_PRI_RESP_SUCCESS) {
		iom_guest_error("smmu %s: CMD_PRI_RESP with reserved Resp 3", s->name);
		return SMMU_CMD_ILLEGAL;
	}
	if (!(s->cr0 & SMMU_CR0_SMMUEN)) {
		s->st.cmd_ignored++;
		return SMMU_CMD_OK;
	}
	if (!s->ats || !s->ats->pri_resp)
		return SMMU_CMD_OK;
	int rc = s->ats->pri_resp(s->ats_ctx, smmu_cmd_sid(cmd), smmu_cmd_ssid(cmd),
				  smmu_cmd_ssv(cmd), smmu_cmd_pri_prgi(cmd), resp, t);
	if (rc < 0)
		return iom_err_set(err, -rc, "smmu %s: CMD_PRI_RESP to SID %u: PRI model failed",
				   s->name, smmu_cmd_sid(cmd));
	return SMMU_CMD_OK;
}

/* ---- CMD_SYNC (4.7.3) ---- */

static void smmu_sync_signal(struct iom_smmu *s, const uint64_t *cmd, uint64_t t)
{
	uint32_t cs = smmu_cmd_sync_cs(cmd);
	uint64_t msiaddr = smmu_cmd_sync_msiaddr(cmd);

	if (cs == SMMU_SYNC_CS_SEV) {
		s->st.sync_sevs++;
		return;
	}
	if (cs != SMMU_SYNC_CS_IRQ)
		return;
	if (!s->cfg.msi || !msiaddr) {
		s->st.sync_irqs++; /* wired interrupt */
		return;
	}
	uint32_t data = smmu_cmd_sync_msidata(cmd);
	bool ok = true;
	/* Posted: the engine goes on; the write lands when it completes. */
	uint64_t done = iom_mem_timed_write(s->mem, s->req_queue, msiaddr, &data, sizeof(data), t,
					    &ok);
	if (!ok) {
		iom_guest_error("smmu %s: CMD_SYNC MSI write to 0x%" PRIx64 " aborted "
				"(GERROR.MSI_CMDQ_ABT_ERR)", s->name, msiaddr);
		return;
	}
	s->last_msi_ps = done;
	s->st.sync_msi_writes++;
}

static int smmu_cmd_sync(struct iom_smmu *s, const uint64_t *cmd, uint64_t *t)
{
	if (smmu_cmd_sync_cs(cmd) == 3) {
		iom_guest_error("smmu %s: CMD_SYNC with reserved CS 3", s->name);
		return SMMU_CMD_ILLEGAL;
	}
	*t += (uint64_t)s->cfg.sync_cycles * s->period_ps;
	*t = IOM_MAX(*t, s->atc_pending_ps); /* earlier ATC invalidations must complete */
	s->atc_pending_ps = 0;
	if (s->atc_timed_out) {
		s->atc_timed_out = false;
		s->st.atc_sync_errors++;
		return SMMU_CMD_ATC_SYNC_ERR; /* detected at *t: when the last completion was due */
	}
	s->last_sync_ps = *t;
	s->st.syncs++;
	iom_hist_add(&s->st.sync_latency_ps, *t - s->cmdq_doorbell_ps);
	smmu_sync_signal(s, cmd, *t);
	return SMMU_CMD_OK;
}

/* ---- dispatch ---- */

/* Execute one fetched command at *t (its fetch already paid). Opcodes not
 * listed raise CERROR_ILL: reserved ones, and on this configuration's
 * Non-secure queue CFGI_VMS_PIDM (IDR3.MPAM = 0), TLBI_EL3_* and the secure
 * commands 0x50-0x5A / TLBI_SNH_ALL (Secure queue only), RESUME /
 * STALL_TERM (IDR0.STALL_MODEL = 0b01) and DPTI_* (IDR3.DPT = 0). */
static int smmu_cmd_exec(struct iom_smmu *s, const uint64_t *cmd, uint64_t *t, struct iom_err *err)
{
	uint32_t op = smmu_cmd_op(cmd);
	uint64_t start = *t;
	int rc;

	if (op != SMMU_CMD_SYNC)
		*t += (uint64_t)s->cfg.cmd_cycles * s->period_ps;
	switch (op) {
	case SMMU_CMD_PREFETCH_CONFIG: case SMMU_CMD_PREFETCH_ADDR:
		rc = SMMU_CMD_OK;
		break;
	case SMMU_CMD_CFGI_STE: case SMMU_CMD_CFGI_STE_RANGE: case SMMU_CMD_CFGI_CD:
	case SMMU_CMD_CFGI_CD_ALL:
		rc = smmu_cmd_cfgi(s, cmd, t);
		break;
	case SMMU_CMD_TLBI_NH_ALL: case SMMU_CMD_TLBI_NH_ASID: case SMMU_CMD_TLBI_NH_VA:
	case SMMU_CMD_TLBI_NH_VAA: case SMMU_CMD_TLBI_EL2_ALL: case SMMU_CMD_TLBI_EL2_ASID:
	case SMMU_CMD_TLBI_EL2_VA: case SMMU_CMD_TLBI_EL2_VAA: case SMMU_CMD_TLBI_S12_VMALL:
	case SMMU_CMD_TLBI_S2_IPA: case SMMU_CMD_TLBI_NSNH_ALL:
		rc = smmu_cmd_tlbi(s, cmd, t);
		break;
	case SMMU_CMD_ATC_INV:
		rc = smmu_cmd_atc_inv(s, cmd, *t, err);
		break;
	case SMMU_CMD_PRI_RESP:
		rc = smmu_cmd_pri(s, cmd, *t, err);
		break;
	case SMMU_CMD_SYNC:
		rc = smmu_cmd_sync(s, cmd, t);
		break;
	default:
		rc = SMMU_CMD_ILLEGAL;
		break;
	}
	if (rc == SMMU_CMD_OK) {
		s->st.commands++;
		s->st.cmd_by_op[op]++;
	} else if (rc != SMMU_CMD_ATC_SYNC_ERR) {
		*t = start; /* not executed */
	}
	return rc;
}

/* Per-slot consumption times, sized to the queue. */
static int smmu_cmdq_slots(struct iom_smmu *s, struct iom_err *err)
{
	uint32_t n = 1u << s->cmdq_log2;
	if (s->cmdq_done_slots == n)
		return 0;
	uint64_t *p = calloc(n, sizeof(*p));
	if (!p)
		return iom_err_set(err, IOM_ENOMEM, "smmu %s: out of memory", s->name);
	free(s->cmdq_done_ps);
	s->cmdq_done_ps = p;
	s->cmdq_done_slots = n;
	return 0;
}

static void smmu_cmdq_stop(struct iom_smmu *s, uint32_t cerror, const uint64_t *cmd)
{
	iom_guest_error("smmu %s: command 0x%016" PRIx64 " at CMDQ index %u: CERROR %u", s->name,
			cmd[0], smmu_q_idx(s->cmdq_cons, s->cmdq_log2), cerror);
	if (cerror == SMMU_CERROR_ILL)
		s->st.cmd_illegal++;
	s->cmdq_cons = smmu_cmdq_cons_set_err(s->cmdq_cons, cerror);
}

/* Consume from CONS to PROD starting at *t. */
static int smmu_cmdq_consume(struct iom_smmu *s, uint64_t *t, struct iom_err *err)
{
	uint32_t log2 = s->cmdq_log2;
	int rc = smmu_cmdq_slots(s, err);

	while (!rc && !smmu_q_empty(s->cmdq_prod, s->cmdq_cons, log2)) {
		uint64_t cmd[2];
		bool ok = true;
		uint32_t idx = smmu_q_idx(s->cmdq_cons, log2);
		uint64_t pa = s->cmdq_base + (uint64_t)idx * SMMU_CMD_BYTES;
		*t = iom_mem_timed_read(s->mem, s->req_queue, pa, cmd, sizeof(cmd), *t, &ok);
		if (!ok) {
			s->cmdq_cons = smmu_cmdq_cons_set_err(s->cmdq_cons, SMMU_CERROR_ABT);
			return 0;
		}
		rc = smmu_cmd_exec(s, cmd, t, err);
		if (rc < 0)
			return rc;
		if (rc == SMMU_CMD_ILLEGAL) {
			smmu_cmdq_stop(s, SMMU_CERROR_ILL, cmd);
			return 0;
		}
		if (rc == SMMU_CMD_ATC_SYNC_ERR) {
			smmu_cmdq_stop(s, SMMU_CERROR_ATC_INV_SYNC, cmd);
			return 0;
		}
		s->cmdq_done_ps[idx] = *t;
		s->cmdq_cons = smmu_q_inc(s->cmdq_cons, log2);
	}
	return rc;
}

int iom_smmu_write_cmdq_prod(struct iom_smmu *s, uint32_t prod, uint64_t now_ps,
			     uint64_t *done_ps, struct iom_err *err)
{
	uint64_t t = IOM_MAX(now_ps, s->cmdq_busy_until_ps);
	int rc = 0;

	s->cmdq_prod = smmu_q_ptr(prod, s->cmdq_log2);
	s->cmdq_doorbell_ps = now_ps;
	/* Stopped on an error until SMMU_GERRORN acknowledges it, or disabled. */
	if ((s->cr0 & SMMU_CR0_CMDQEN) && !smmu_cmdq_cons_err(s->cmdq_cons)) {
		rc = smmu_cmdq_consume(s, &t, err);
		s->cmdq_busy_until_ps = t;
	}
	if (done_ps)
		*done_ps = IOM_MAX(t, now_ps);
	return rc;
}
