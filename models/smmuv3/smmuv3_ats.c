/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smmuv3_ats.c - PCIe ATS in the SMMUv3 model (IHI0070 G.b 3.9.1, 13.6, 13.7):
 * Translation Requests, Translated transactions, and CMD_ATC_INV reaching a
 * root complex's ATS port.
 *
 * A Translation Request runs through the ordinary pipeline of smmuv3.c (STE,
 * CD, TLB, walks, HTTU) as a transaction with AT = 01b; hooks there ask this
 * file what the STE allows (smmu_ats_ste_check), what a fault becomes
 * (smmu_ats_outcome) and what a translation grants (smmu_ats_grant):
 *  - UR with F_BAD_ATS_TREQ recorded: SMMUEN = 0, STE.Config = 0b100, the
 *    effective EATS = 0b00 (0b11 too: no DPT, IDR3.DPT = 0); UR without an
 *    event: Config = 0b000 (and the reserved 0b0xx that behave as abort);
 *  - CA, unrecorded (SMMU_CR2.REC_CFG_ATS = 0, RECINVSID = 0): every
 *    configuration error (C_BAD_STREAMID, F_STE_FETCH, C_BAD_STE,
 *    C_BAD_SUBSTREAMID, F_STREAM_DISABLED, F_CD_FETCH, C_BAD_CD) and
 *    F_WALK_EABT;
 *  - Success, R = W = 0, size = STU (4 KB, the smallest granule in
 *    IDR5), no event: F_TRANSLATION, F_ADDR_SIZE, F_ACCESS at either stage,
 *    and a stage-2 F_PERMISSION on a CD or table fetch, or stage 1 of a nested
 *    translation granting nothing (stage 2 is then not looked up);
 *  - Success with permissions (13.7.1 with SMMU_IDR1.ATTR_PERMS_OVR = 0, so
 *    no INSTCFG / PRIVCFG overrides): the effective privilege is the
 *    request's Priv (only with a PASID; without one, unprivileged data);
 *    R = readable at that privilege at every stage, W = writable (a
 *    writable-clean page becomes writable-dirty first when NW = 0 and HTTU
 *    dirty is enabled: the request walks as a write; with NW = 1 it stays
 *    read-only), Exe = requested and R and executable; Priv echoes the
 *    request; Global = 0; U = N = 0.  The range is the TLB entry's: the leaf
 *    or contiguous run, for a nested entry the smaller of the two stages.
 *    Execute-only and write-only pages grant nothing.
 *  - STE.Config = 0b101 with S1DSS = bypass and no PASID: an identity range
 *    of 2^OAS bytes at 0, R = W = 1 (13.6.4).
 * Translated transactions (AT = 10b) are handled in smmuv3.c
 * (smmu_translated) with smmu_ats_ste_check(.., false) for CR0.ATSCHK = 1.
 * Split-stage ATS (EATS = 0b10, IDR0.NS1ATS = 0 in this model) is rejected as
 * not implemented.
 *
 * Timing: a Translation Request costs what an ordinary transaction to the
 * same address costs (configuration, TLB, walk); done_ps is when the
 * completion leaves the SMMU.  The micro-TLBs are not used by ATS.
 */
#include "smmuv3-internal.h"
#include "smmuv3-regs.h"

#include "pgtable.h"

#include <string.h>

#define SMMU_ATS_STU_LOG2 12u /* smallest granule of IDR5 (GRAN4K) */

uint32_t smmu_ats_ste_check(const uint64_t *ste, bool treq)
{
	uint64_t cfg = smmu_ste_config(ste), eats = smmu_ste_eats(ste);
	uint32_t forbid = treq ? SMMU_EVT_F_BAD_ATS_TREQ : SMMU_EVT_F_TRANSL_FORBIDDEN;

	if (cfg < SMMU_STE_CFG_BYPASS)
		return SMMU_ATS_SILENT; /* abort: UR / terminated, no event */
	if (cfg == SMMU_STE_CFG_BYPASS)
		return forbid; /* the effective EATS of a bypass STE is 0b00 */
	if (eats == SMMU_EATS_SPLIT)
		return SMMU_ATS_UNIMP;
	if (eats != SMMU_EATS_FULL) /* 0b00, and 0b11 without DPT (IDR3.DPT = 0) */
		return forbid;
	return 0;
}

static bool smmu_ats_nothing(uint32_t id)
{
	return id == SMMU_EVT_F_TRANSLATION || id == SMMU_EVT_F_ADDR_SIZE ||
	       id == SMMU_EVT_F_ACCESS || id == SMMU_EVT_F_PERMISSION;
}

static void smmu_ats_noaccess(struct iom_smmu *s, struct iom_ats_req *r)
{
	r->status = IOM_ATS_SUCCESS;
	r->perm = (r->flags & IOM_TXN_PASID_VALID) ? (r->flags & IOM_TXN_PRIV ? IOM_ATS_CPL_PRIV : 0)
						  : 0;
	r->size_log2 = SMMU_ATS_STU_LOG2;
	r->base = r->iova & ~((1ull << SMMU_ATS_STU_LOG2) - 1);
	r->pa = 0;
	s->st.ats_tr_noaccess++;
}

bool smmu_ats_outcome(struct iom_smmu *s, struct iom_ats_req *r, uint32_t id)
{
	r->fault = (uint16_t)id;
	if (smmu_ats_nothing(id)) {
		smmu_ats_noaccess(s, r);
		return false;
	}
	r->perm = 0;
	r->pa = 0;
	if (id == 0 || id == SMMU_EVT_F_BAD_ATS_TREQ) {
		r->status = IOM_ATS_UR;
		s->st.ats_tr_ur++;
		return id != 0;
	}
	r->status = IOM_ATS_CA;
	s->st.ats_tr_ca++;
	return false; /* SMMU_CR2.REC_CFG_ATS = 0 */
}

/* Stage-1 permissions at a privilege (VMSAv8-64 AP[2:1], UXN / PXN). */
static void smmu_ats_s1(const struct smmu_tlb_entry *e, bool priv, bool *r, bool *w, bool *x)
{
	bool user = e->perms & IOM_PTE_USER;
	*r = priv || user;
	*w = *r && (e->perms & IOM_PTE_W);
	*x = priv ? !e->pxn : (e->perms & IOM_PTE_X);
}

/* Stage-2 permissions (S2AP, XN / FEAT_XNX). */
static void smmu_ats_s2(const struct smmu_tlb_entry *e, bool priv, bool *r, bool *w, bool *x)
{
	*r = e->s2_perms & IOM_PTE_R;
	*w = e->s2_perms & IOM_PTE_W;
	*x = priv ? !e->s2_pxn : (e->s2_perms & IOM_PTE_X);
}

bool smmu_ats_s1_grants(const struct iom_txn *t, const struct smmu_tlb_entry *e)
{
	bool r, w, x;
	smmu_ats_s1(e, t->flags & IOM_TXN_PRIV, &r, &w, &x);
	return r; /* R is the base of every grant (W implies R; Exe needs R) */
}

void smmu_ats_grant(struct iom_smmu *s, struct iom_ats_req *r, const struct iom_txn *t,
		    const struct smmu_tlb_entry *e, uint64_t pa_base)
{
	bool priv = t->flags & IOM_TXN_PRIV, exe = t->flags & IOM_TXN_EXEC;
	bool r1, w1, x1, r2, w2, x2;
	smmu_ats_s1(e, priv, &r1, &w1, &x1);
	smmu_ats_s2(e, priv, &r2, &w2, &x2);
	bool rd = r1 && r2, wr = rd && w1 && w2, ex = exe && rd && x1 && x2;
	if (!rd) {
		smmu_ats_noaccess(s, r);
		return;
	}
	unsigned k = (unsigned)__builtin_ctzll(e->page_size);
	r->status = IOM_ATS_SUCCESS;
	r->perm = IOM_ATS_CPL_R | (wr ? IOM_ATS_CPL_W : 0) | (ex ? IOM_ATS_CPL_EXE : 0) |
		  (priv ? IOM_ATS_CPL_PRIV : 0);
	r->size_log2 = (uint8_t)k;
	r->base = r->iova & ~(e->page_size - 1);
	r->pa = pa_base;
}

void smmu_ats_identity(struct iom_smmu *s, struct iom_ats_req *r)
{
	r->status = IOM_ATS_SUCCESS;
	r->perm = IOM_ATS_CPL_R | IOM_ATS_CPL_W; /* no PASID: no Exe, no Priv */
	r->size_log2 = (uint8_t)s->cfg.oas_bits;
	r->base = 0;
	r->pa = 0;
}

int iom_smmu_ats_translate(struct iom_smmu *s, struct iom_ats_req *r, struct iom_err *err)
{
	bool pv = r->flags & IOM_TXN_PASID_VALID;
	/* Without a PASID prefix the request is unprivileged data (13.7). */
	uint32_t fl = pv ? r->flags & (IOM_TXN_PASID_VALID | IOM_TXN_PRIV | IOM_TXN_EXEC) : 0;
	struct iom_txn t = { .rid = r->rid, .pasid = pv ? r->pasid : 0, .flags = fl,
			     .write = !r->no_write, .at = IOM_TXN_AT_TREQ, .size = 8,
			     .iova = r->iova, .issue_ps = r->issue_ps };
	r->flags = fl;
	r->status = IOM_ATS_SUCCESS;
	r->perm = 0;
	r->fault = 0;
	r->size_log2 = SMMU_ATS_STU_LOG2;
	r->base = r->iova & ~((1ull << SMMU_ATS_STU_LOG2) - 1);
	r->pa = 0;
	s->st.ats_tr++;
	int rc = smmu_translate_req(s, &t, r, err);
	if (rc)
		return rc;
	r->tlb_hit = t.tlb_hit;
	r->walk_reads = t.walk_reads;
	r->cfg_reads = t.cfg_reads;
	r->done_ps = t.done_ps;
	return 0;
}

/* ---- CMD_ATC_INV to a root complex's ATS port ---- */

static int smmu_port_atc_inv(void *ctx, uint32_t sid, uint32_t ssid, bool ssv, bool global,
			     uint64_t addr, uint32_t size_log2, uint64_t now_ps, uint64_t *done_ps)
{
	const struct iom_ats_port *port = ctx;
	struct iom_ats_inval inv = { .rid = sid, .pasid = ssid, .pasid_valid = ssv,
				     .global = global, .addr = addr,
				     .size_log2 = (uint8_t)(size_log2 >= SMMU_ATC_SIZE_ALL
								    ? 64 : 12 + size_log2) };
	struct iom_err e = { 0 };
	int rc = port->ops->invalidate(port->ctx, &inv, now_ps, done_ps, &e);
	return rc < 0 ? -IOM_EIO : rc;
}

static const struct iom_smmu_ats_ops smmu_port_ops = { .atc_inv = smmu_port_atc_inv };

void iom_smmu_set_ats_port(struct iom_smmu *s, const struct iom_ats_port *port)
{
	iom_smmu_set_ats_ops(s, port ? &smmu_port_ops : NULL, (void *)port);
}
