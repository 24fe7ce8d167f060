/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vtd_xlat.c - the VT-d translation pipeline (spec chapter 3, 6.2, 9):
 * decode the configuration (root / context entries through the context
 * cache; scalable mode: PASID directory and PASID-table entries through the
 * PASID cache) -> IOTLB -> paging-structure caches -> page walk
 * (models/pgtable, formats X86_FL / VTD_SL) -> one exit that records the
 * fault (vtd_fault.c), the stats and the outcome.
 *
 * Legacy mode (TTM = 00): root[bus] (16 B) -> context[devfn] (16 B); TT 00 /
 * 01: second-level walk with AW and DID from the context entry; TT 10:
 * pass-through.  Requests with a PASID fault (0x31).  ATS translation
 * requests (AT = 01) with TT = 00 and translated requests (AT = 10) with
 * TT = 00 are blocked (0x0D); translated requests with TT = 01 pass
 * untranslated.  Scalable mode: both need the context entry's DTE (0x44);
 * translated requests with DTE = 1 pass untranslated.  A Translation Request
 * (vtd_ats.c) runs this pipeline with hooks in the one exit (vtd_fail: its
 * completion status), vtd_finish (the permissions granted instead of a
 * permission check) and vtd_passthrough (an identity completion).
 * Scalable mode (TTM = 01): root[bus] lower / upper half -> context
 * [devfn & 0x7f] (32 B) -> PASID directory[PASID >> 6] (8 B) -> PASID
 * table[PASID & 63] (64 B); requests without a PASID use RID_PASID.
 * PGTT 001 first level, 010 second level, 011 nested, 100 pass-through.
 *
 * Fault reasons (model decisions where the spec leaves room are marked *):
 *  legacy second level: not present (R = W = 0) or no permission for the
 *    access -> 0x5 write / 0x6 read; reserved bit (including a PS the
 *    capabilities lack and address bits above the HAW) -> 0x0C; descriptor
 *    fetch error -> 0x07; input above min(MGAW, AGAW) -> 0x04;
 *  scalable second level: R = W = 0 -> 0x79; reserved -> 0x7A; fetch error
 *    -> 0x78; present but no permission -> 0x85 write / 0x86 read (*);
 *    input above min(MGAW, AGAW) -> 0x83;
 *  first level: P = 0 -> 0x71; reserved -> 0x72; fetch error -> 0x70;
 *    non-canonical input -> 0x80; user request to a supervisor page
 *    (U/S = 0 on the path) -> 0x81; write to a read-only page -> 0x85 (a
 *    supervisor write with WPE = 0 is allowed); execute with XD -> 0x82;
 *  nested: the second-level translation of a first-level table pointer
 *    faults with the second-level codes above, or 0x75 / 0x76 when the
 *    second level denies the read of the first-level PML4 / other table (*).
 * Context / PASID entries with FPD = 1 suppress recording, not the fault;
 * FPD of a PASID-directory entry applies only when it is read (the PASID
 * cache holds the PASID-table entry alone).  Root / context / PASID
 * entries are cached only when present and valid (caching mode off).
 *
 * Caches: context cache keyed by source-id; PASID cache by (source-id,
 * PASID); IOTLB by (page address, DID, PASID, size, kind) with 4 KB, 2 MB
 * and 1 GB leaves probed in one access; one paging-structure cache per
 * level (PML5E, PML4E, PDPTE, PDE), looked up in parallel, each entry
 * holding the next table's address and the permissions the entries above
 * removed.  Second-level-only entries are tagged with PASID 0 (the second
 * level is shared by the domain's PASIDs); first-level and nested entries
 * with the PASID.  A write that hits an IOTLB entry whose leaf was cached
 * with D = 0 (A/D tracking on) walks again to set D, as x86 TLBs do.
 *
 * A/D: first-level and nested walks always update A and D (x86 paging has no
 * enable bit); second-level walks only with SLADE (ECAP.SLADS).  The updates
 * are the walker's timed read-modify-writes (pgtable HTTU hook).
 *
 * Timing (ps, costs in cycles of clock_mhz): context-cache access (+ timed
 * reads of the root and context entries on a miss), PASID-cache access
 * (+ directory and PASID-entry reads), one IOTLB access, on a miss one
 * parallel access of the paging-structure caches and a walk of dependent
 * 8-byte reads holding a walk slot.  done_ps is when the outcome is known;
 * fault recording takes no time.
 */
#include "vtd-internal.h"
#include "vtd-regs.h"

#include "log.h"
#include "mem.h"
#include "pgtable.h"

#include <inttypes.h>
#include <string.h>

enum { VTD_CONT = 0, VTD_DONE = 1 };

struct vtd_req {
	struct iom_vtd *v;
	struct iom_txn *t;
	struct iom_ats_req *ats; /* the ATS Translation Request t serves, or NULL */
	uint64_t now;
	uint32_t rid;
	bool pv;        /* the request carries a PASID */
	uint32_t pasid; /* PASID of the lookup: the request's, RID_PASID, or 0 (legacy) */
	bool sm, fpd;
	const uint64_t *ce, *pe;
	uint64_t ce_buf[4], pe_buf[8];
	uint32_t did;
	uint8_t kind;
	uint8_t sl_levels, fl_levels;
	uint64_t sl_root, fl_root;
	bool slade, wpe, slee;
	uint32_t s2_reason; /* nested: what the second level reported for a table pointer */
};

/* ---------------------------------------------------------------------- */
/* Helpers.                                                                */

unsigned vtd_level_shift(unsigned level)
{
	return 12 + 9 * (VTD_LAST_LEVEL - level);
}

unsigned vtd_size_shift(uint32_t size_idx)
{
	static const unsigned sh[VTD_TLB_NSIZES] = {12, 21, 30};
	return sh[size_idx];
}

static uint32_t vtd_size_idx(uint64_t page_size)
{
	return page_size >= (1ull << 30) ? 2 : page_size >= (1ull << 21) ? 1 : 0;
}

static bool vtd_aw_ok(const struct iom_vtd *v, uint64_t aw)
{
	return aw >= VTD_AW_39 && aw <= VTD_AW_57 && (v->cfg.sagaw & (1u << aw));
}

static bool vtd_fits(uint64_t a, unsigned bits)
{
	return bits >= 64 || !(a >> bits);
}

static bool vtd_did_ok(const struct iom_vtd *v, uint64_t did)
{
	return did < (1ull << (4 + 2 * v->cfg.nd));
}

static bool vtd_timed_read(struct iom_vtd *v, struct vtd_req *rq, uint64_t pa, void *buf,
                           size_t len)
{
	bool ok = true;
	rq->now = iom_mem_timed_read(v->mem, v->req_cfg, pa, buf, len, rq->now, &ok);
	rq->t->cfg_reads++;
	v->st.cfg_reads++;
	return ok;
}

/* The one exit for a failed request: outcome, stats, fault record. */
static int vtd_fail(struct iom_vtd *v, struct vtd_req *rq, uint32_t reason, uint8_t status)
{
	struct iom_txn *t = rq->t;

	t->status = status;
	t->fault = (uint16_t)reason;
	t->done_ps = rq->now;
	if (rq->ats) { /* a Translation Request: its completion (vtd_ats.c) */
		if (vtd_ats_outcome(v, rq->ats, reason, status) && !rq->fpd)
			vtd_fault_record(v, t, reason, rq->pv, rq->pasid);
		return VTD_DONE;
	}
	v->st.faults++;
	v->st.fault_by_reason[reason & 0xff]++;
	if (rq->fpd)
		v->st.faults_fpd++;
	else
		vtd_fault_record(v, t, reason, rq->pv, rq->pasid);
	return VTD_DONE;
}

static int vtd_cfg_fault(struct iom_vtd *v, struct vtd_req *rq, uint32_t reason)
{
	return vtd_fail(v, rq, reason, IOM_TXN_ABORT);
}

static int vtd_xlat_fault(struct iom_vtd *v, struct vtd_req *rq, uint32_t reason)
{
	return vtd_fail(v, rq, reason, IOM_TXN_FAULT);
}

static int vtd_passthrough(struct iom_vtd *v, struct vtd_req *rq)
{
	struct iom_txn *t = rq->t;
	if (!vtd_fits(t->iova, v->cfg.haw))
		return vtd_xlat_fault(v, rq, rq->sm ? VTD_FR_SM_ADDR_MAX : VTD_FR_ADDR_MGAW);
	if (rq->ats)
		vtd_ats_identity(v, rq->ats);
	else if (t->at == IOM_TXN_AT_TRANSLATED)
		v->st.ats_translated++;
	t->status = IOM_TXN_OK;
	t->pa = t->iova;
	t->done_ps = rq->now;
	v->st.passthrough++;
	return VTD_DONE;
}

/* ---------------------------------------------------------------------- */
/* Legacy mode: root and context entries (9.1, 9.3).                       */

static bool vtd_legacy_ce_valid(const struct iom_vtd *v, const uint64_t *ce)
{
	uint64_t tt = vtd_ce_tt(ce[0]);
	if (tt == 3 || (tt == VTD_TT_PT && !v->cfg.pt) || (tt == VTD_TT_SL_DT && !v->cfg.dt))
		return false;
	return tt == VTD_TT_PT || vtd_aw_ok(v, vtd_ce_aw(ce[1]));
}

static bool vtd_legacy_ce_rsvd(const struct iom_vtd *v, const uint64_t *ce)
{
	return vtd_ce_lo_rsvd(ce[0]) || vtd_ce_hi_rsvd7(ce[1]) || vtd_ce_hi_rsvd(ce[1]) ||
	       !vtd_did_ok(v, vtd_ce_did(ce[1]));
}

static int vtd_legacy_fetch_ctx(struct iom_vtd *v, struct vtd_req *rq)
{
	uint64_t re[2], bus = rq->rid >> 8 & 0xff, devfn = rq->rid & 0xff;
	uint64_t rpa = v->rta_active + bus * VTD_ROOT_BYTES;

	v->st.root_reads++;
	if (!vtd_timed_read(v, rq, rpa, re, sizeof(re)))
		return vtd_cfg_fault(v, rq, VTD_FR_ROOT_ADDR);
	if (!vtd_re_p(re[0]))
		return vtd_cfg_fault(v, rq, VTD_FR_ROOT_NP);
	if (vtd_re_rsvd(re[0]) || re[1] || !vtd_fits(vtd_addr(re[0]), v->cfg.haw))
		return vtd_cfg_fault(v, rq, VTD_FR_ROOT_RSVD);
	v->st.ctx_reads++;
	if (!vtd_timed_read(v, rq, vtd_addr(re[0]) + devfn * VTD_CE_BYTES, rq->ce_buf,
	                    VTD_CE_BYTES))
		return vtd_cfg_fault(v, rq, VTD_FR_CTX_PTR);
	rq->ce = rq->ce_buf;
	if (!vtd_ce_p(rq->ce[0]))
		return vtd_cfg_fault(v, rq, VTD_FR_CTX_NP);
	rq->fpd = vtd_ce_fpd(rq->ce[0]);
	if (vtd_legacy_ce_rsvd(v, rq->ce))
		return vtd_cfg_fault(v, rq, VTD_FR_CTX_RSVD);
	if (!vtd_legacy_ce_valid(v, rq->ce))
		return vtd_cfg_fault(v, rq, VTD_FR_CTX_INVALID);
	struct vtd_ctx_entry e = {{rq->ce[0], rq->ce[1], 0, 0}};
	struct iom_cache_key k = {rq->rid, 0};
	iom_cache_insert(v->cc, &k, &e, NULL, NULL);
	return VTD_CONT;
}

static int vtd_find_ctx(struct iom_vtd *v, struct vtd_req *rq,
                        int (*fetch)(struct iom_vtd *, struct vtd_req *))
{
	struct iom_cache_key k = {rq->rid, 0};
	rq->now = iom_cache_access_ps(v->cc, rq->now);
	const struct vtd_ctx_entry *e = iom_cache_lookup(v->cc, &k);
	if (!e)
		return fetch(v, rq);
	memcpy(rq->ce_buf, e->w, sizeof(rq->ce_buf)); /* later inserts may evict the entry */
	rq->ce = rq->ce_buf;
	return VTD_CONT;
}

static int vtd_sl_setup(struct iom_vtd *v, struct vtd_req *rq, uint64_t aw, uint64_t root)
{
	rq->kind = VTD_KIND_SL;
	rq->sl_levels = (uint8_t)(aw + 2);
	rq->sl_root = root;
	return VTD_CONT;
}

static int vtd_legacy(struct iom_vtd *v, struct vtd_req *rq)
{
	struct iom_txn *t = rq->t;
	if (rq->pv)
		return vtd_cfg_fault(v, rq, VTD_FR_SM_TTM0_PASID);
	int rc = vtd_find_ctx(v, rq, vtd_legacy_fetch_ctx);
	if (rc)
		return rc;
	rq->fpd = vtd_ce_fpd(rq->ce[0]);
	uint64_t tt = vtd_ce_tt(rq->ce[0]);
	if (tt == VTD_TT_PT && t->at == IOM_TXN_AT_TREQ) /* ATS with pass-through: blocked (*) */
		return vtd_cfg_fault(v, rq, VTD_FR_TT_BLOCKED);
	if (tt == VTD_TT_PT)
		return vtd_passthrough(v, rq);
	if (t->at == 2 && tt == VTD_TT_SL_DT)
		return vtd_passthrough(v, rq); /* translated request, device-TLB allowed */
	if (t->at != 0 && tt == VTD_TT_SL)
		return vtd_cfg_fault(v, rq, VTD_FR_TT_BLOCKED);
	rq->did = (uint32_t)vtd_ce_did(rq->ce[1]);
	rq->pasid = 0;
	return vtd_sl_setup(v, rq, vtd_ce_aw(rq->ce[1]), vtd_addr(rq->ce[0]));
}

/* ---------------------------------------------------------------------- */
/* Scalable mode: root, context, PASID directory and PASID table (9.2-9.6). */

static bool vtd_smce_rsvd(const uint64_t *ce)
{
	return vtd_smce_rsvd0(ce[0]) || vtd_smce_rsvd1(ce[1]) || ce[2] || ce[3];
}

static int vtd_sm_fetch_ctx(struct iom_vtd *v, struct vtd_req *rq)
{
	uint64_t re[2], bus = rq->rid >> 8 & 0xff, devfn = rq->rid & 0xff;

	v->st.root_reads++;
	if (!vtd_timed_read(v, rq, v->rta_active + bus * VTD_ROOT_BYTES, re, sizeof(re)))
		return vtd_cfg_fault(v, rq, VTD_FR_SM_ROOT_ACCESS);
	uint64_t half = re[devfn >= 128]; /* LP/LCTP for devfn 0-127, UP/UCTP above */
	if (!vtd_re_p(half))
		return vtd_cfg_fault(v, rq, VTD_FR_SM_ROOT_NP);
	if (vtd_re_rsvd(half) || !vtd_fits(vtd_addr(half), v->cfg.haw))
		return vtd_cfg_fault(v, rq, VTD_FR_SM_ROOT_RSVD);
	v->st.ctx_reads++;
	if (!vtd_timed_read(v, rq, vtd_addr(half) + (devfn & 0x7f) * VTD_SMCE_BYTES, rq->ce_buf,
	                    VTD_SMCE_BYTES))
		return vtd_cfg_fault(v, rq, VTD_FR_SM_CTX_ACCESS);
	rq->ce = rq->ce_buf;
	if (!vtd_smce_p(rq->ce[0]))
		return vtd_cfg_fault(v, rq, VTD_FR_SM_CTX_NP);
	rq->fpd = vtd_smce_fpd(rq->ce[0]);
	if (vtd_smce_rsvd(rq->ce) || !vtd_fits(vtd_addr(rq->ce[0]), v->cfg.haw))
		return vtd_cfg_fault(v, rq, VTD_FR_SM_CTX_RSVD);
	if ((vtd_smce_dte(rq->ce[0]) && !v->cfg.dt) || (vtd_smce_pre(rq->ce[0]) && !v->cfg.prs) ||
	    (vtd_smce_paside(rq->ce[0]) && !v->cfg.pasid))
		return vtd_cfg_fault(v, rq, VTD_FR_SM_CTX_INVALID);
	struct vtd_ctx_entry e = {{rq->ce[0], rq->ce[1], rq->ce[2], rq->ce[3]}};
	struct iom_cache_key k = {rq->rid, 0};
	iom_cache_insert(v->cc, &k, &e, NULL, NULL);
	return VTD_CONT;
}

/* Which PASID serves the request, and the context checks on it. */
static int vtd_sm_select_pasid(struct iom_vtd *v, struct vtd_req *rq)
{
	const uint64_t *ce = rq->ce;
	if (rq->pv && !vtd_smce_paside(ce[0]))
		return vtd_cfg_fault(v, rq, VTD_FR_SM_PASIDE);
	if (rq->t->at != IOM_TXN_AT_UNTRANSLATED && !vtd_smce_dte(ce[0]))
		return vtd_cfg_fault(v, rq, VTD_FR_SM_DTE);
	if (rq->t->at == IOM_TXN_AT_TRANSLATED) /* device-TLB allowed: a host physical address */
		return vtd_passthrough(v, rq);
	if (!rq->pv)
		rq->pasid = (uint32_t)vtd_smce_rid_pasid(ce[1]);
	unsigned bits = (unsigned)vtd_smce_pdts(ce[0]) + 7 + 6; /* 2^(PDTS+7) directory entries */
	if (!vtd_fits(rq->pasid, bits))
		return vtd_cfg_fault(v, rq, rq->pv ? VTD_FR_SM_PASID_MAX : VTD_FR_SM_RID_PASID);
	return VTD_CONT;
}

/* PASID-table entry legality against the capabilities (0x5A / 0x5B). */
static uint32_t vtd_pe_check(const struct iom_vtd *v, const uint64_t *pe)
{
	uint64_t pgtt = vtd_pte_pgtt(pe[0]);
	if (vtd_pte_rsvd0(pe[0]) || vtd_pte_rsvd2(pe[2]) || !vtd_did_ok(v, vtd_pte_did(pe[1])))
		return VTD_FR_SM_PTE_RSVD;
	bool ok = (pgtt == VTD_PGTT_FL && v->cfg.flts) || (pgtt == VTD_PGTT_SL && v->cfg.slts) ||
	          (pgtt == VTD_PGTT_NESTED && v->cfg.nest) || (pgtt == VTD_PGTT_PT && v->cfg.pt);
	if ((pgtt == VTD_PGTT_SL || pgtt == VTD_PGTT_NESTED) &&
	    (!vtd_aw_ok(v, vtd_pte_aw(pe[0])) || (vtd_pte_slade(pe[0]) && !v->cfg.slads)))
		ok = false;
	if (pgtt == VTD_PGTT_FL || pgtt == VTD_PGTT_NESTED) {
		uint64_t flpm = vtd_pte_flpm(pe[2]);
		if (flpm > 1 || (flpm == 1 && !v->cfg.fl5lp))
			ok = false;
	}
	if ((vtd_pte_sre(pe[2]) && !v->cfg.srs) || (vtd_pte_ere(pe[2]) && !v->cfg.ers))
		ok = false;
	return ok ? 0 : VTD_FR_SM_PTE_INVALID;
}

static int vtd_sm_fetch_pe(struct iom_vtd *v, struct vtd_req *rq)
{
	uint64_t pde, dpa = vtd_addr(rq->ce[0]) + (uint64_t)(rq->pasid >> 6) * VTD_PDE_BYTES;

	v->st.pasid_dir_reads++;
	if (!vtd_timed_read(v, rq, dpa, &pde, sizeof(pde)))
		return vtd_cfg_fault(v, rq, VTD_FR_SM_PDE_ACCESS);
	if (!vtd_pde_p(pde))
		return vtd_cfg_fault(v, rq, VTD_FR_SM_PDE_NP);
	rq->fpd = rq->fpd || vtd_pde_fpd(pde);
	if (vtd_pde_rsvd(pde) || !vtd_fits(vtd_addr(pde), v->cfg.haw))
		return vtd_cfg_fault(v, rq, VTD_FR_SM_PDE_RSVD);
	v->st.pasid_entry_reads++;
	if (!vtd_timed_read(v, rq, vtd_addr(pde) + (uint64_t)(rq->pasid & 63) * VTD_PTE_BYTES,
	                    rq->pe_buf, VTD_PTE_BYTES))
		return vtd_cfg_fault(v, rq, VTD_FR_SM_PTE_ACCESS);
	rq->pe = rq->pe_buf;
	if (!vtd_pte_p(rq->pe[0]))
		return vtd_cfg_fault(v, rq, VTD_FR_SM_PTE_NP);
	rq->fpd = rq->fpd || vtd_pte_fpd(rq->pe[0]);
	uint32_t bad = vtd_pe_check(v, rq->pe);
	if (bad)
		return vtd_cfg_fault(v, rq, bad);
	struct iom_cache_key k = {((uint64_t)rq->rid << 20) | rq->pasid, 0};
	iom_cache_insert(v->pc, &k, rq->pe, NULL, NULL);
	return VTD_CONT;
}

static int vtd_sm_find_pe(struct iom_vtd *v, struct vtd_req *rq)
{
	struct iom_cache_key k = {((uint64_t)rq->rid << 20) | rq->pasid, 0};
	rq->now = iom_cache_access_ps(v->pc, rq->now);
	const uint64_t *e = iom_cache_lookup(v->pc, &k);
	if (!e)
		return vtd_sm_fetch_pe(v, rq);
	memcpy(rq->pe_buf, e, sizeof(rq->pe_buf));
	rq->pe = rq->pe_buf;
	rq->fpd = rq->fpd || vtd_pte_fpd(rq->pe[0]);
	return VTD_CONT;
}

static int vtd_sm_dispatch(struct iom_vtd *v, struct vtd_req *rq)
{
	const uint64_t *pe = rq->pe;
	const struct iom_txn *t = rq->t;
	if ((t->flags & IOM_TXN_PRIV) && !vtd_pte_sre(pe[2]))
		return vtd_cfg_fault(v, rq, VTD_FR_SM_SRE);
	if ((t->flags & IOM_TXN_EXEC) && !vtd_pte_ere(pe[2]))
		return vtd_cfg_fault(v, rq, VTD_FR_SM_ERE);
	rq->did = (uint32_t)vtd_pte_did(pe[1]);
	rq->wpe = vtd_pte_wpe(pe[2]);
	rq->slee = vtd_pte_slee(pe[0]);
	rq->slade = vtd_pte_slade(pe[0]);
	uint64_t pgtt = vtd_pte_pgtt(pe[0]);
	if (pgtt == VTD_PGTT_PT)
		return vtd_passthrough(v, rq);
	if (pgtt == VTD_PGTT_SL || pgtt == VTD_PGTT_NESTED) {
		rq->sl_levels = (uint8_t)(vtd_pte_aw(pe[0]) + 2);
		rq->sl_root = vtd_addr(pe[0]);
	}
	if (pgtt == VTD_PGTT_SL) {
		rq->kind = VTD_KIND_SL;
		return VTD_CONT;
	}
	rq->kind = pgtt == VTD_PGTT_FL ? VTD_KIND_FL : VTD_KIND_NESTED;
	rq->fl_levels = vtd_pte_flpm(pe[2]) ? 5 : 4;
	rq->fl_root = vtd_addr(pe[2]);
	return VTD_CONT;
}

static int vtd_scalable(struct iom_vtd *v, struct vtd_req *rq)
{
	int rc = vtd_find_ctx(v, rq, vtd_sm_fetch_ctx);
	if (rc)
		return rc;
	rq->fpd = vtd_smce_fpd(rq->ce[0]);
	rc = vtd_sm_select_pasid(v, rq);
	if (!rc)
		rc = vtd_sm_find_pe(v, rq);
	if (!rc)
		rc = vtd_sm_dispatch(v, rq);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* IOTLB.                                                                  */

static uint32_t vtd_tag_pasid_of(const struct vtd_req *rq)
{
	return rq->kind == VTD_KIND_SL ? 0 : rq->pasid;
}

static struct vtd_tlb_entry *vtd_iotlb_find(struct iom_vtd *v, const struct vtd_req *rq,
                                            uint32_t kind, uint32_t pasid, uint64_t va)
{
	for (uint32_t i = 0; i < VTD_TLB_NSIZES; i++) {
		struct iom_cache_key k = {va >> vtd_size_shift(i),
		                          vtd_tag(rq->did, pasid, i, kind)};
		struct vtd_tlb_entry *e = iom_cache_probe(v->iotlb, &k);
		if (e)
			return e;
	}
	iom_cache_count_miss(v->iotlb);
	return NULL;
}

static void vtd_iotlb_fill(struct iom_vtd *v, const struct vtd_req *rq, uint32_t kind,
                           uint32_t pasid, uint64_t va, const struct vtd_tlb_entry *e)
{
	uint32_t i = vtd_size_idx(e->page_size);
	struct iom_cache_key k = {va >> vtd_size_shift(i), vtd_tag(rq->did, pasid, i, kind)};
	iom_cache_insert(v->iotlb, &k, e, NULL, NULL);
	if (kind != VTD_KIND_SL)
		v->fl_fills++;
}

/* ---------------------------------------------------------------------- */
/* Walks.                                                                  */

/* Permissions a table entry removes below it (raw bits, spec 9.7 / 9.8). */
static uint32_t vtd_table_deny(bool fl, uint64_t d)
{
	uint32_t deny = 0;
	if (fl) {
		if (!(d & 2))
			deny |= IOM_PTE_W;
		if (!(d & 4))
			deny |= IOM_PTE_USER;
		if (d >> 63)
			deny |= IOM_PTE_X;
	} else {
		if (!(d & 1))
			deny |= IOM_PTE_R;
		if (!(d & 2))
			deny |= IOM_PTE_W;
		if (!(d & 4))
			deny |= IOM_PTE_X;
	}
	return deny;
}

struct vtd_walk {
	bool fl;              /* first-level format */
	uint32_t kind, pasid; /* cache tags */
	uint8_t levels;
	uint64_t root, va;
	uint32_t deny; /* from a paging-structure-cache hit */
	struct iom_pt_walk w;
};

/* Parallel lookup of the paging-structure caches of the levels above the
 * leaf; the deepest hit gives the table to start from.  An inner lookup
 * (second level under a nested walk, which runs at the walk's future
 * times) pays the latency without reserving a port: a reservation in the
 * future would block requests that arrive earlier. */
static void vtd_psc_find(struct iom_vtd *v, struct vtd_req *rq, struct vtd_walk *vw, bool inner)
{
	unsigned start = VTD_LAST_LEVEL + 1 - vw->levels;
	uint64_t t0 = rq->now, t = t0;

	vw->w.table_pa = vw->root;
	vw->w.level = (uint8_t)start;
	vw->deny = 0;
	for (unsigned l = start; l < VTD_PSC_LEVELS; l++) {
		uint64_t ready = inner ? t0 + iom_cache_latency_ps(v->psc[l])
		                       : iom_cache_access_ps(v->psc[l], t0);
		t = IOM_MAX(t, ready);
	}
	rq->now = t;
	bool found = false;
	for (int l = VTD_PSC_LEVELS - 1; l >= (int)start; l--) {
		struct iom_cache_key k = {vw->va >> vtd_level_shift((unsigned)l),
		                          vtd_tag(rq->did, vw->pasid, 0, vw->kind)};
		const struct vtd_psc_entry *e = iom_cache_lookup(v->psc[l], &k);
		if (e && !found) {
			vw->w.table_pa = e->table_pa;
			vw->w.level = (uint8_t)(l + 1);
			vw->deny = e->deny;
			found = true;
		}
	}
}

/* Remember the table entries of a successful walk. */
static void vtd_psc_fill(struct iom_vtd *v, struct vtd_req *rq, struct vtd_walk *vw)
{
	uint32_t deny = vw->deny;
	for (unsigned i = 0; i + 1 < vw->w.nsteps; i++) {
		const struct iom_pt_step *st = &vw->w.steps[i];
		if (!st->is_table || st->level >= VTD_PSC_LEVELS)
			continue;
		deny |= vtd_table_deny(vw->fl, st->desc);
		struct vtd_psc_entry e = {.table_pa = vw->w.steps[i + 1].desc_pa & VTD_ADDR_4K,
		                          .deny = deny};
		struct iom_cache_key k = {vw->va >> vtd_level_shift(st->level),
		                          vtd_tag(rq->did, vw->pasid, 0, vw->kind)};
		iom_cache_insert(v->psc[st->level], &k, &e, NULL, NULL);
		if (vw->kind != VTD_KIND_SL)
			v->fl_fills++;
	}
}

static void vtd_walk_account(struct iom_vtd *v, struct vtd_req *rq, const struct iom_pt_walk *w,
                             uint64_t start, bool inner)
{
	if (inner)
		v->st.nested_sl_reads += w->nsteps;
	else
		v->st.walks++;
	v->st.walk_reads += w->nsteps;
	rq->t->walk_reads = (uint8_t)(rq->t->walk_reads + w->nsteps);
	for (unsigned i = 0; i < w->nsteps; i++)
		v->st.walk_reads_level[w->steps[i].level % 5]++;
	v->st.a_updates += w->af_updates;
	v->st.d_updates += w->dirty_updates;
	v->st.ad_rmws += w->rmws;
	if (!inner)
		iom_hist_add(&v->st.walk_latency_ps, w->done_ps - start);
}

static int vtd_s2_xlat(void *ctx, struct iom_pt_s2_req *r, struct iom_err *err);

/* One walk of vw: paging-structure caches, a walk slot, timed reads.  An
 * inner walk (the second level under a nested walk) runs inside the outer
 * walk's slot and is not counted as a walk of its own; its reads are. */
static int vtd_walk(struct iom_vtd *v, struct vtd_req *rq, struct vtd_walk *vw, bool ad, bool inner,
                    bool write, struct iom_err *err)
{
	struct iom_pt_cfg pc = {.fmt = vw->fl ? IOM_PT_X86_FL : IOM_PT_VTD_SL,
	                        .granule_shift = 12,
	                        .ia_bits = (uint8_t)(12 + 9 * vw->levels),
	                        .oa_bits = (uint8_t)v->cfg.haw};
	struct iom_pt_walk *w = &vw->w;

	memset(w, 0, sizeof(*w));
	vtd_psc_find(v, rq, vw, inner);
	uint64_t arrive = rq->now;
	uint64_t start = inner ? arrive : IOM_MAX(arrive, iom_resource_next_free(&v->walk_slots));
	w->iova = vw->va;
	w->now_ps = start;
	w->mem_req = v->req_walk;
	w->write = write;
	w->priv = !!(rq->t->flags & IOM_TXN_PRIV);
	w->ha = w->hd = ad;
	if (vw->fl && rq->kind == VTD_KIND_NESTED) {
		w->s2_xlat = vtd_s2_xlat;
		w->s2_ctx = rq;
	}
	int rc = iom_pt_walk(v->mem, &pc, w, err);
	if (rc)
		return iom_err_prefix(err, "vtd %s: source-id 0x%04x", v->name, rq->rid);
	if (!inner)
		iom_resource_acquire(&v->walk_slots, arrive, w->done_ps - start, NULL);
	vtd_walk_account(v, rq, w, start, inner);
	rq->now = w->done_ps;
	if (w->status == IOM_PT_OK)
		vtd_psc_fill(v, rq, vw);
	return 0;
}

/* Fault reason of a failed walk (see the file comment). */
static uint32_t vtd_walk_reason(const struct iom_vtd *v, const struct vtd_req *rq,
                                const struct vtd_walk *vw)
{
	const struct iom_pt_walk *w = &vw->w;
	bool sm = rq->sm, fl = vw->fl;
	switch (w->status) {
	case IOM_PT_EXT_ABORT:
		return fl ? VTD_FR_SM_FL_ACCESS : sm ? VTD_FR_SM_SL_ACCESS : VTD_FR_PT_PTR;
	case IOM_PT_FAULT_ADDR_SIZE:
		return fl ? VTD_FR_SM_FL_RSVD : sm ? VTD_FR_SM_SL_RSVD : VTD_FR_PTE_RSVD;
	case IOM_PT_FAULT_S2:
		return rq->s2_reason;
	default:
		break;
	}
	bool present = fl ? (w->leaf_desc & 1) : (w->leaf_desc & 3);
	if (fl)
		return present ? VTD_FR_SM_FL_RSVD : VTD_FR_SM_FL_NP;
	if (present)
		return sm ? VTD_FR_SM_SL_RSVD : VTD_FR_PTE_RSVD;
	if (sm)
		return VTD_FR_SM_SL_NP;
	return rq->t->write ? VTD_FR_WRITE : VTD_FR_READ;
}

/* A leaf of a size the capabilities lack: its PS bit is a reserved bit. */
static bool vtd_size_ok(const struct iom_vtd *v, bool fl, uint64_t page_size)
{
	if (page_size == (1ull << 21))
		return fl || (v->cfg.sllps & 1);
	if (page_size == (1ull << 30))
		return fl ? v->cfg.fl1gp : !!(v->cfg.sllps & 2);
	return page_size == 4096;
}

/* Leaf D state after the walk: may a write use the entry without a walk? */
static uint8_t vtd_leaf_dirty(bool fl, bool ad, uint64_t leaf)
{
	if (!ad)
		return 1;
	return fl ? !!(leaf & (1ull << 6)) : !!(leaf & (1ull << 9));
}

/* ---------------------------------------------------------------------- */
/* Nested: second-level translation of first-level table pointers.         */

/* Second-level translation of a GPA for a nested walk: IOTLB (second-level
 * entries of the domain), else a second-level walk. */
static int vtd_sl_gpa(struct iom_vtd *v, struct vtd_req *rq, uint64_t gpa, bool write,
                      struct vtd_tlb_entry *out, uint32_t *reason, struct iom_err *err)
{
	unsigned lim = IOM_MIN(v->cfg.mgaw, 12 + 9 * (unsigned)rq->sl_levels);
	*reason = 0;
	if (!vtd_fits(gpa, lim)) {
		*reason = VTD_FR_SM_ADDR_MAX;
		return 0;
	}
	rq->now += iom_cache_latency_ps(v->iotlb); /* inner lookup: no port reservation */
	struct vtd_tlb_entry *e = vtd_iotlb_find(v, rq, VTD_KIND_SL, 0, gpa);
	if (e && (!write || e->dirty)) {
		*out = *e;
		return 0;
	}
	struct vtd_walk vw = {.fl = false,
	                      .kind = VTD_KIND_SL,
	                      .pasid = 0,
	                      .levels = rq->sl_levels,
	                      .root = rq->sl_root,
	                      .va = gpa};
	int rc = vtd_walk(v, rq, &vw, rq->slade, true, write, err);
	if (rc)
		return rc;
	if (vw.w.status != IOM_PT_OK || !vtd_size_ok(v, false, vw.w.page_size)) {
		*reason =
		    vw.w.status != IOM_PT_OK ? vtd_walk_reason(v, rq, &vw) : VTD_FR_SM_SL_RSVD;
		return 0;
	}
	*out = (struct vtd_tlb_entry){.pa_base = vw.w.oa & ~(vw.w.page_size - 1),
	                              .page_size = vw.w.page_size,
	                              .perms = vw.w.perms & ~vw.deny,
	                              .dirty = vtd_leaf_dirty(false, rq->slade, vw.w.leaf_desc)};
	vtd_iotlb_fill(v, rq, VTD_KIND_SL, 0, gpa, out);
	return 0;
}

/* The pgtable nested-walk hook: second-level translation of one first-level
 * table pointer (a GPA); the second level must grant read. */
static int vtd_s2_xlat(void *ctx, struct iom_pt_s2_req *r, struct iom_err *err)
{
	struct vtd_req *rq = ctx;
	struct iom_vtd *v = rq->v;
	struct vtd_tlb_entry e;
	uint32_t reason = 0;
	uint64_t reads = v->st.nested_sl_reads;

	rq->now = r->now_ps;
	int rc = vtd_sl_gpa(v, rq, r->ipa, false, &e, &reason, err);
	if (rc)
		return rc;
	r->reads = (uint8_t)(v->st.nested_sl_reads - reads);
	r->done_ps = rq->now;
	r->status = IOM_PT_OK;
	if (!reason && !(e.perms & IOM_PTE_R))
		reason = (r->ipa & VTD_ADDR_4K) == rq->fl_root ? 0x75 : 0x76;
	if (reason) {
		rq->s2_reason = reason;
		r->status = reason == 0x75 || reason == 0x76 ? IOM_PT_FAULT_PERMISSION
		                                             : IOM_PT_FAULT_TRANSLATION;
		return 0;
	}
	r->pa = e.pa_base + (r->ipa & (e.page_size - 1));
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Permission check and completion.                                        */

static uint32_t vtd_perm_reason(const struct vtd_req *rq, uint32_t perms)
{
	const struct iom_txn *t = rq->t;
	bool priv = t->flags & IOM_TXN_PRIV, exec = t->flags & IOM_TXN_EXEC;
	if (rq->kind == VTD_KIND_SL) {
		if (t->write && !(perms & IOM_PTE_W))
			return rq->sm ? VTD_FR_SM_WRITE : VTD_FR_WRITE;
		if (!t->write && !(perms & IOM_PTE_R))
			return rq->sm ? VTD_FR_SM_READ : VTD_FR_READ;
		if (exec && !(rq->slee && (perms & IOM_PTE_X)))
			return VTD_FR_SM_EXEC;
		return 0;
	}
	if (!priv && !(perms & IOM_PTE_USER))
		return VTD_FR_SM_US;
	if (!t->write && !(perms & IOM_PTE_R))
		return VTD_FR_SM_READ;
	if (t->write && !(perms & IOM_PTE_W) && !(priv && !rq->wpe))
		return VTD_FR_SM_WRITE;
	if (exec && !(perms & IOM_PTE_X))
		return VTD_FR_SM_EXEC;
	return 0;
}

static int vtd_finish(struct iom_vtd *v, struct vtd_req *rq, const struct vtd_tlb_entry *e,
                      bool hit)
{
	struct iom_txn *t = rq->t;
	if (rq->ats) { /* a Translation Request: the permissions granted, the range */
		vtd_ats_grant(v, rq->ats, t, rq->kind, rq->slee, rq->wpe, e->perms, e->page_size,
		              e->pa_base);
		t->status = IOM_TXN_OK;
		t->pa = e->pa_base + (t->iova & (e->page_size - 1));
		t->done_ps = rq->now;
		return VTD_DONE;
	}
	uint32_t reason = vtd_perm_reason(rq, e->perms);
	if (reason)
		return vtd_xlat_fault(v, rq, reason);
	t->status = IOM_TXN_OK;
	t->pa = e->pa_base + (t->iova & (e->page_size - 1));
	t->done_ps = rq->now;
	iom_hist_add(hit ? &v->st.hit_latency_ps : &v->st.miss_latency_ps,
	             t->done_ps - t->issue_ps);
	return VTD_DONE;
}

/* ---------------------------------------------------------------------- */
/* The translation proper.                                                 */

/* Input-address check; *va receives the address the tables index. */
static uint32_t vtd_input_check(const struct iom_vtd *v, const struct vtd_req *rq, uint64_t *va)
{
	uint64_t iova = rq->t->iova;
	if (rq->kind == VTD_KIND_SL) {
		unsigned lim = IOM_MIN(v->cfg.mgaw, 12 + 9 * (unsigned)rq->sl_levels);
		*va = iova;
		if (!vtd_fits(iova, lim))
			return rq->sm ? VTD_FR_SM_ADDR_MAX : VTD_FR_ADDR_MGAW;
		return 0;
	}
	unsigned w = 12 + 9 * (unsigned)rq->fl_levels; /* 48 or 57 */
	uint64_t upper = iova >> (w - 1);
	if (upper != 0 && upper != (~0ull >> (w - 1)))
		return VTD_FR_SM_NONCANON;
	*va = iova & ((1ull << w) - 1);
	return 0;
}

static int vtd_translate_walk(struct iom_vtd *v, struct vtd_req *rq, uint64_t va,
                              struct iom_err *err)
{
	bool fl = rq->kind != VTD_KIND_SL, ad = fl || rq->slade;
	struct vtd_walk vw = {.fl = fl,
	                      .kind = rq->kind,
	                      .pasid = vtd_tag_pasid_of(rq),
	                      .levels = fl ? rq->fl_levels : rq->sl_levels,
	                      .root = fl ? rq->fl_root : rq->sl_root,
	                      .va = va};
	int rc = vtd_walk(v, rq, &vw, ad, false, rq->t->write, err);
	if (rc)
		return rc;
	const struct iom_pt_walk *w = &vw.w;
	if (w->status != IOM_PT_OK)
		return vtd_xlat_fault(v, rq, vtd_walk_reason(v, rq, &vw));
	if (!vtd_size_ok(v, fl, w->page_size))
		return vtd_xlat_fault(v, rq,
		                      fl       ? VTD_FR_SM_FL_RSVD
		                      : rq->sm ? VTD_FR_SM_SL_RSVD
		                               : VTD_FR_PTE_RSVD);
	struct vtd_tlb_entry e = {.pa_base = w->oa & ~(w->page_size - 1),
	                          .page_size = w->page_size,
	                          .perms = w->perms & ~vw.deny,
	                          .dirty = vtd_leaf_dirty(fl, ad, w->leaf_desc)};
	if (rq->kind == VTD_KIND_NESTED) {
		/* the output is a GPA: second-level translate it too */
		struct vtd_tlb_entry s2;
		uint32_t reason;
		rc = vtd_sl_gpa(v, rq, w->oa, rq->t->write, &s2, &reason, err);
		if (rc)
			return rc;
		if (reason)
			return vtd_xlat_fault(v, rq, reason);
		uint64_t size = IOM_MIN(e.page_size, s2.page_size);
		e.pa_base = (s2.pa_base + (w->oa & (s2.page_size - 1))) & ~(size - 1);
		e.page_size = size;
		e.perms &= s2.perms | IOM_PTE_USER;
		e.dirty = e.dirty && s2.dirty;
	}
	vtd_iotlb_fill(v, rq, rq->kind, vtd_tag_pasid_of(rq), va, &e);
	return vtd_finish(v, rq, &e, false);
}

static int vtd_translate_addr(struct iom_vtd *v, struct vtd_req *rq, struct iom_err *err)
{
	uint64_t va = 0;
	uint32_t bad = vtd_input_check(v, rq, &va);
	if (bad)
		return vtd_xlat_fault(v, rq, bad);
	rq->now = iom_cache_access_ps(v->iotlb, rq->now);
	struct vtd_tlb_entry *e = vtd_iotlb_find(v, rq, rq->kind, vtd_tag_pasid_of(rq), va);
	if (e && (!rq->t->write || e->dirty)) {
		rq->t->tlb_hit = 1;
		v->st.iotlb_hits++;
		struct vtd_tlb_entry copy = *e;
		return vtd_finish(v, rq, &copy, true);
	}
	return vtd_translate_walk(v, rq, va, err);
}

static void vtd_txn_reset(struct iom_txn *t)
{
	t->status = IOM_TXN_OK;
	t->tlb_hit = 0;
	t->walk_reads = 0;
	t->cfg_reads = 0;
	t->fault = 0;
	t->pa = 0;
	t->done_ps = t->issue_ps;
}

int vtd_translate_req(struct iom_vtd *v, struct iom_txn *t, struct iom_ats_req *ats,
                      struct iom_err *err)
{
	struct vtd_req rq = {.v = v, .t = t, .ats = ats, .now = t->issue_ps, .rid = t->rid & 0xffff};

	vtd_txn_reset(t);
	v->st.translations++;
	rq.pv = !!(t->flags & IOM_TXN_PASID_VALID);
	rq.pasid = rq.pv ? t->pasid & 0xfffff : 0;
	if (!(v->gsts & VTD_GSTS_TES)) {
		if (ats) { /* remapping disabled: no ATS (*) */
			vtd_ats_outcome(v, ats, 0, IOM_TXN_ABORT);
			return 0;
		}
		t->pa = t->iova;
		v->st.bypassed++;
		return 0;
	}
	if (v->ttm_active == VTD_TTM_ABORT) {
		t->status = IOM_TXN_ABORT;
		v->st.blocked++;
		if (ats)
			vtd_ats_outcome(v, ats, 0, IOM_TXN_ABORT);
		return 0;
	}
	rq.sm = v->ttm_active == VTD_TTM_SCALABLE;
	int rc = rq.sm ? vtd_scalable(v, &rq) : vtd_legacy(v, &rq);
	if (rc == VTD_CONT)
		rc = vtd_translate_addr(v, &rq, err);
	return rc < 0 ? rc : 0;
}

int iom_vtd_translate(struct iom_vtd *v, struct iom_txn *t, struct iom_err *err)
{
	return vtd_translate_req(v, t, NULL, err);
}
