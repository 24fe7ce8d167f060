/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smmuv3_cmdq.c - SMMUv3 command-queue consumption (IHI0070 G.b 3.5, 4.x),
 * split by command family: configuration invalidation (CFGI_*), TLB
 * invalidation (TLBI_NH_*, TLBI_NSNH_ALL), and CMD_SYNC / prefetch.
 *
 * Semantics chosen from the spec (with the DDI0487 TLBI VAE1/ASIDE1 rules
 * the SMMU commands mirror):
 *  - CFGI_STE drops the STE and every CD cached for that StreamID (CDs are
 *    reached through the STE); Leaf only matters for 2-level L1STDs, which
 *    this slice does not have. CFGI_STE_RANGE covers 2^(Range+1) aligned
 *    SIDs, Range = 31 is CFGI_ALL.
 *  - TLBI_NH_ASID drops the non-global TLB entries and the walk-cache entries
 *    of the ASID; global (nG = 0) entries survive, as with TLBI ASIDE1.
 *  - TLBI_NH_VA drops TLB entries of the ASID *and global entries* that
 *    translate the address, of every page size, and unless Leaf = 1 the
 *    walk-cache entries on the address's path for that ASID.
 *  - TLBI_NH_VAA: as NH_VA for all ASIDs. TLBI_NH_ALL / NSNH_ALL: all
 *    stage-1 TLB and walk-cache entries (VMID is always 0 here).
 *  - Range invalidation (IDR3.RIL) is not advertised: TG/NUM/SCALE are
 *    ignored, as for an SMMU with RIL = 0. TTL hints are ignored.
 *  - PREFETCH_* are hints and are executed as no-ops.
 *  - Unknown opcodes: CMDQ_CONS.ERR = CERROR_ILL, consumption stops at the
 *    command (4.1.3). Real commands outside this slice (ATC_INV, PRI_RESP,
 *    RESUME, STALL_TERM, EL2/EL3/secure/stage-2 TLBIs, VMS, DPTI) are
 *    rejected: iom_unimp + -IOM_ENOTSUP, CONS left on the command.
 *  - CMD_SYNC: the command engine executes in order, so a SYNC completes
 *    after every earlier command; its completion time is recorded. MSI/SEV
 *    completion signalling is not modelled.
 *
 * Timing: the engine is serial. Each command costs a timed 16-byte fetch
 * through "<name>.queue" (starting when the previous command finished) and
 * then cmd_cycles (sync_cycles for CMD_SYNC) of the SMMU clock. A doorbell
 * starts at max(now, end of the previous batch).
 */
#include "smmuv3-internal.h"
#include "smmuv3-regs.h"

#include "log.h"
#include "mem.h"

#include <inttypes.h>
#include <string.h>

enum { SMMU_CMD_OK = 0, SMMU_CMD_ILLEGAL = 1 };

/* ---- CFGI family ---- */

static void smmu_cfgi_sids(struct iom_smmu *s, uint64_t lo, uint64_t hi)
{
	s->st.cfg_dropped += iom_cache_invalidate_range(s->cfgc, 0, 0, lo, hi);
}

static int smmu_cmd_cfgi(struct iom_smmu *s, const uint64_t *cmd)
{
	uint32_t sid = smmu_cmd_sid(cmd);

	switch (smmu_cmd_op(cmd)) {
	case SMMU_CMD_CFGI_STE:
		smmu_cfgi_sids(s, sid, sid);
		return SMMU_CMD_OK;
	case SMMU_CMD_CFGI_STE_RANGE: {
		uint32_t range = smmu_cmd_range(cmd);
		if (range == SMMU_CFGI_RANGE_ALL) {
			s->st.cfg_dropped += iom_cache_flush(s->cfgc);
			return SMMU_CMD_OK;
		}
		uint64_t n = 2ull << range, base = sid & ~(n - 1);
		smmu_cfgi_sids(s, base, base + n - 1);
		return SMMU_CMD_OK;
	}
	case SMMU_CMD_CFGI_CD: {
		struct iom_cache_key k = { sid, SMMU_CFG_TAG_CD | smmu_cmd_ssid(cmd) };
		s->st.cfg_dropped += iom_cache_invalidate(s->cfgc, &k);
		return SMMU_CMD_OK;
	}
	default: /* CFGI_CD_ALL */
		s->st.cfg_dropped += iom_cache_invalidate_range(s->cfgc, SMMU_CFG_TAG_CD,
								SMMU_CFG_TAG_CD, sid, sid);
		return SMMU_CMD_OK;
	}
}

/* ---- TLBI family ---- */

struct smmu_tlbi_match {
	struct iom_smmu *s;
	uint32_t asid;
	uint64_t va;
	bool any_asid; /* NH_VAA / NH_ALL */
	bool by_va;    /* NH_VAA */
};

static bool smmu_tlbi_pred(const struct iom_cache_key *k, const void *value, void *ctx)
{
	struct smmu_tlbi_match *m = ctx;
	bool global = k->tag & SMMU_TAG_GLOBAL;
	uint32_t size_idx = (uint32_t)((k->tag >> 32) & 3);

	/* by ASID: global entries are not the ASID's (NH_ASID leaves them) */
	if (!m->any_asid && (global || (k->tag & 0xffff) != m->asid))
		return false;
	/* key addr = VA >> page shift of the entry's size: covers m->va? */
	if (m->by_va && (m->va >> smmu_tlb_size_shift(size_idx)) != k->addr)
		return false;
	smmu_tlb_count_drop(m->s, k);
	return true;
}

/* Walk-cache keys: see smmu_wc_key() (tag ASID [15:0], level [17:16]). */
static bool smmu_wc_pred(const struct iom_cache_key *k, const void *value, void *ctx)
{
	const struct smmu_tlbi_match *m = ctx;
	unsigned level = (unsigned)((k->tag >> 16) & 3);

	if (!m->any_asid && (k->tag & 0xffff) != m->asid)
		return false;
	return !m->by_va || smmu_wc_key(m->asid, m->va, level).addr == k->addr;
}

static void smmu_tlbi(struct iom_smmu *s, struct smmu_tlbi_match *m, bool walk_too)
{
	m->s = s;
	s->st.tlbi_dropped += iom_cache_invalidate_if(s->tlb, smmu_tlbi_pred, m);
	if (walk_too)
		s->st.walk_cache_dropped += iom_cache_invalidate_if(s->wc, smmu_wc_pred, m);
}

/* CMD_TLBI_NH_VA for one ASID: every entry that can hold va sits under a key
 * we can compute (one per leaf size, ASID-tagged or global; one per walk
 * level), so invalidate by key instead of scanning the caches -- a strict
 * unmap issues one of these per page, on the replay's hot path. */
static void smmu_tlbi_va_asid(struct iom_smmu *s, uint32_t asid, uint64_t va, bool walk_too)
{
	for (uint32_t i = 0; i < SMMU_TLB_NSIZES; i++) {
		if (!s->tlb_size_count[i])
			continue;
		for (int global = 0; global < 2; global++) {
			if (global && !s->tlb_global_count)
				break;
			struct iom_cache_key k = {va >> smmu_tlb_size_shift(i),
						  smmu_tlb_tag(asid, i, global)};
			if (iom_cache_invalidate(s->tlb, &k)) {
				smmu_tlb_count_drop(s, &k);
				s->st.tlbi_dropped++;
			}
		}
	}
	if (!walk_too)
		return;
	for (unsigned level = 0; level < 3; level++) {
		struct iom_cache_key k = smmu_wc_key(asid, va, level);
		s->st.walk_cache_dropped += iom_cache_invalidate(s->wc, &k);
	}
}

static int smmu_cmd_tlbi(struct iom_smmu *s, const uint64_t *cmd)
{
	struct smmu_tlbi_match m = { .asid = smmu_cmd_asid(cmd), .va = smmu_cmd_addr(cmd) };

	switch (smmu_cmd_op(cmd)) {
	case SMMU_CMD_TLBI_NH_ASID:
		smmu_tlbi(s, &m, true);
		break;
	case SMMU_CMD_TLBI_NH_VA:
		smmu_tlbi_va_asid(s, m.asid, m.va, !smmu_cmd_leaf(cmd));
		break;
	case SMMU_CMD_TLBI_NH_VAA:
		m.by_va = m.any_asid = true;
		smmu_tlbi(s, &m, !smmu_cmd_leaf(cmd));
		break;
	default: /* TLBI_NH_ALL (VMID 0 = everything here), TLBI_NSNH_ALL */
		m.any_asid = true;
		smmu_tlbi(s, &m, true);
		break;
	}
	return SMMU_CMD_OK;
}

/* ---- dispatch ---- */

static bool smmu_cmd_known_unimp(uint32_t op)
{
	switch (op) {
	case SMMU_CMD_CFGI_VMS_PIDM: case SMMU_CMD_TLBI_EL3_ALL: case SMMU_CMD_TLBI_EL3_VA:
	case SMMU_CMD_TLBI_EL2_ALL: case SMMU_CMD_TLBI_EL2_ASID: case SMMU_CMD_TLBI_EL2_VA:
	case SMMU_CMD_TLBI_EL2_VAA: case SMMU_CMD_TLBI_S12_VMALL: case SMMU_CMD_TLBI_S2_IPA:
	case SMMU_CMD_ATC_INV: case SMMU_CMD_PRI_RESP: case SMMU_CMD_RESUME:
	case SMMU_CMD_STALL_TERM: case SMMU_CMD_TLBI_SNH_ALL: case SMMU_CMD_DPTI_ALL:
	case SMMU_CMD_DPTI_PA:
		return true;
	default:
		return op >= 0x50 && op <= 0x5A; /* secure EL2 / S12 / S2 variants */
	}
}

/* Execute one fetched command at *t (its fetch already paid). */
static int smmu_cmd_exec(struct iom_smmu *s, const uint64_t *cmd, uint64_t *t, struct iom_err *err)
{
	uint32_t op = smmu_cmd_op(cmd);
	int rc = SMMU_CMD_OK;

	switch (op) {
	case SMMU_CMD_PREFETCH_CONFIG: case SMMU_CMD_PREFETCH_ADDR:
		break;
	case SMMU_CMD_CFGI_STE: case SMMU_CMD_CFGI_STE_RANGE: case SMMU_CMD_CFGI_CD:
	case SMMU_CMD_CFGI_CD_ALL:
		rc = smmu_cmd_cfgi(s, cmd);
		break;
	case SMMU_CMD_TLBI_NH_ALL: case SMMU_CMD_TLBI_NH_ASID: case SMMU_CMD_TLBI_NH_VA:
	case SMMU_CMD_TLBI_NH_VAA: case SMMU_CMD_TLBI_NSNH_ALL:
		rc = smmu_cmd_tlbi(s, cmd);
		break;
	case SMMU_CMD_SYNC:
		*t += (uint64_t)s->cfg.sync_cycles * s->period_ps;
		s->last_sync_ps = *t;
		s->st.syncs++;
		s->st.commands++;
		s->st.cmd_by_op[op]++;
		return SMMU_CMD_OK;
	default:
		if (!smmu_cmd_known_unimp(op))
			return SMMU_CMD_ILLEGAL;
		iom_unimp("smmu %s: command opcode 0x%02x", s->name, op);
		return iom_err_set(err, IOM_ENOTSUP,
				   "smmu %s: command opcode 0x%02x at CMDQ index %u not implemented",
				   s->name, op, smmu_q_idx(s->cmdq_cons, s->cmdq_log2));
	}
	*t += (uint64_t)s->cfg.cmd_cycles * s->period_ps;
	s->st.commands++;
	s->st.cmd_by_op[op]++;
	return rc;
}

/* Consume from CONS to PROD starting at *t. */
static int smmu_cmdq_consume(struct iom_smmu *s, uint64_t *t, struct iom_err *err)
{
	uint32_t log2 = s->cmdq_log2;

	while (!smmu_q_empty(s->cmdq_prod, s->cmdq_cons, log2)) {
		uint64_t cmd[2];
		bool ok = true;
		uint64_t pa = s->cmdq_base + (uint64_t)smmu_q_idx(s->cmdq_cons, log2) * SMMU_CMD_BYTES;
		*t = iom_mem_timed_read(s->mem, s->req_queue, pa, cmd, sizeof(cmd), *t, &ok);
		if (!ok) {
			s->cmdq_cons = smmu_cmdq_cons_set_err(s->cmdq_cons, SMMU_CERROR_ABT);
			return 0;
		}
		int rc = smmu_cmd_exec(s, cmd, t, err);
		if (rc < 0)
			return rc;
		if (rc == SMMU_CMD_ILLEGAL) {
			iom_guest_error("smmu %s: illegal command 0x%016" PRIx64 " at CMDQ index %u",
					s->name, cmd[0], smmu_q_idx(s->cmdq_cons, log2));
			s->st.cmd_illegal++;
			s->cmdq_cons = smmu_cmdq_cons_set_err(s->cmdq_cons, SMMU_CERROR_ILL);
			return 0;
		}
		s->cmdq_cons = smmu_q_inc(s->cmdq_cons, log2);
	}
	return 0;
}

int iom_smmu_write_cmdq_prod(struct iom_smmu *s, uint32_t prod, uint64_t now_ps,
			     uint64_t *done_ps, struct iom_err *err)
{
	uint64_t t = IOM_MAX(now_ps, s->cmdq_busy_until_ps);
	int rc = 0;

	s->cmdq_prod = smmu_q_ptr(prod, s->cmdq_log2);
	/* Stopped on an error until SMMU_GERRORN acknowledges it, or disabled. */
	if ((s->cr0 & SMMU_CR0_CMDQEN) && !smmu_cmdq_cons_err(s->cmdq_cons)) {
		rc = smmu_cmdq_consume(s, &t, err);
		s->cmdq_busy_until_ps = t;
	}
	if (done_ps)
		*done_ps = IOM_MAX(t, now_ps);
	return rc;
}
