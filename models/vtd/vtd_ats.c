/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vtd_ats.c - PCIe ATS in the VT-d model (VT-d spec chapter 4, "Support for
 * Device-TLBs"; fault reasons 7.1.3): Translation Requests and the device-TLB
 * invalidations' route to a root complex's ATS port.
 *
 * A Translation Request runs the pipeline of vtd_xlat.c as a transaction
 * with AT = 01b (context / PASID entry through the caches, IOTLB, paging-
 * structure caches, walk with A/D updates: NW = 0 walks as a write, so the
 * dirty bit is set when write permission is granted); its hooks call here:
 *  - translation disabled (GSTS.TES = 0) or TTM = abort: UR, nothing
 *    recorded (*);
 *  - a root / context / PASID-directory / PASID-entry fault, including TT =
 *    00b (0x0D), TT = 10b pass-through (0x0D, *), DTE = 0 (0x44), SRE / ERE
 *    clear: UR, the fault recorded (unless FPD);
 *  - a reserved bit or a fetch error in the paging structures (0x07, 0x0C,
 *    0x70, 0x72, 0x78, 0x7A, 0x7B, 0x84): CA, the fault recorded (*);
 *  - a page not present, an input beyond the address width, a non-canonical
 *    address, no permission (0x04-0x06, 0x71, 0x75, 0x76, 0x79, 0x80-0x83,
 *    0x85, 0x86): Success with R = W = 0 for the 4 KB page, not recorded --
 *    the function may use PRI;
 *  - a translation: Success with R (second level: the R bit; first level:
 *    present, and U/S = 1 for a user request), W (the W bit; a supervisor
 *    request with WPE = 0 also on read-only pages), Exe when requested and
 *    executable (second level: SLEE too), Priv echoed (PASID requests only),
 *    Global = 0, U = N = 0; the range of the page (nested: the smaller of the
 *    two levels);
 *  - scalable PGTT = 100b (pass-through, DTE = 1): an identity 4 KB page, R = W
 *    = 1 (*).
 * Model decisions are marked (*): the specification's table of responses is
 * not reproduced in the reference material; these follow its fault classes
 * (non-recoverable -> UR / CA recorded, recoverable -> no access).
 */
#include "vtd-internal.h"
#include "vtd-regs.h"

#include "pgtable.h"

/* Recoverable translation faults: the completion says "no access". */
static bool vtd_ats_no_access(uint32_t reason)
{
	switch (reason) {
	case VTD_FR_ADDR_MGAW: case VTD_FR_WRITE: case VTD_FR_READ:
	case VTD_FR_SM_FL_NP: case 0x75: case 0x76: case VTD_FR_SM_SL_NP:
	case VTD_FR_SM_NONCANON: case VTD_FR_SM_US: case VTD_FR_SM_EXEC: case VTD_FR_SM_ADDR_MAX:
	case VTD_FR_SM_WRITE: case VTD_FR_SM_READ:
		return true;
	default:
		return false;
	}
}

static void vtd_ats_none(struct iom_vtd *v, struct iom_ats_req *r)
{
	bool pv = r->flags & IOM_TXN_PASID_VALID;
	r->status = IOM_ATS_SUCCESS;
	r->perm = pv && (r->flags & IOM_TXN_PRIV) ? IOM_ATS_CPL_PRIV : 0;
	r->size_log2 = 12;
	r->base = r->iova & ~0xfffull;
	r->pa = 0;
	v->st.ats_tr_noaccess++;
}

bool vtd_ats_outcome(struct iom_vtd *v, struct iom_ats_req *r, uint32_t reason, uint8_t status)
{
	r->fault = (uint16_t)reason;
	if (status == IOM_TXN_FAULT && vtd_ats_no_access(reason)) {
		vtd_ats_none(v, r);
		return false;
	}
	r->perm = 0;
	r->pa = 0;
	if (status == IOM_TXN_ABORT) {
		r->status = IOM_ATS_UR;
		v->st.ats_tr_ur++;
	} else {
		r->status = IOM_ATS_CA;
		v->st.ats_tr_ca++;
	}
	return reason != 0;
}

void vtd_ats_grant(struct iom_vtd *v, struct iom_ats_req *r, const struct iom_txn *t,
                   uint32_t kind, bool slee, bool wpe, uint32_t perms, uint64_t page_size,
                   uint64_t pa_base)
{
	bool priv = t->flags & IOM_TXN_PRIV, exe = t->flags & IOM_TXN_EXEC, rd, wr, ex;
	if (kind == VTD_KIND_SL) {
		rd = perms & IOM_PTE_R;
		wr = perms & IOM_PTE_W;
		ex = exe && slee && (perms & IOM_PTE_X);
	} else {
		bool ok = priv || (perms & IOM_PTE_USER);
		rd = ok && (perms & IOM_PTE_R);
		wr = ok && ((perms & IOM_PTE_W) || (priv && !wpe));
		ex = ok && exe && (perms & IOM_PTE_X);
	}
	if (!rd && !wr) {
		vtd_ats_none(v, r);
		return;
	}
	r->status = IOM_ATS_SUCCESS;
	r->perm = (rd ? IOM_ATS_CPL_R : 0) | (wr ? IOM_ATS_CPL_W : 0) |
	          (ex && rd ? IOM_ATS_CPL_EXE : 0) | (priv ? IOM_ATS_CPL_PRIV : 0);
	r->size_log2 = (uint8_t)__builtin_ctzll(page_size);
	r->base = r->iova & ~(page_size - 1);
	r->pa = pa_base;
}

void vtd_ats_identity(struct iom_vtd *v, struct iom_ats_req *r)
{
	(void)v;
	r->status = IOM_ATS_SUCCESS;
	r->perm = IOM_ATS_CPL_R | IOM_ATS_CPL_W;
	r->size_log2 = 12;
	r->base = r->iova & ~0xfffull;
	r->pa = r->base;
}

int iom_vtd_ats_translate(struct iom_vtd *v, struct iom_ats_req *r, struct iom_err *err)
{
	bool pv = r->flags & IOM_TXN_PASID_VALID;
	uint32_t fl = pv ? r->flags & (IOM_TXN_PASID_VALID | IOM_TXN_PRIV | IOM_TXN_EXEC) : 0;
	struct iom_txn t = {.rid = r->rid, .pasid = pv ? r->pasid : 0, .flags = fl,
	                    .write = !r->no_write, .at = IOM_TXN_AT_TREQ, .size = 8,
	                    .iova = r->iova, .issue_ps = r->issue_ps};
	r->flags = fl;
	r->status = IOM_ATS_SUCCESS;
	r->perm = 0;
	r->fault = 0;
	r->size_log2 = 12;
	r->base = r->iova & ~0xfffull;
	r->pa = 0;
	v->st.ats_tr++;
	int rc = vtd_translate_req(v, &t, r, err);
	if (rc)
		return rc;
	r->tlb_hit = t.tlb_hit;
	r->walk_reads = t.walk_reads;
	r->cfg_reads = t.cfg_reads;
	r->done_ps = t.done_ps;
	return 0;
}

/* ---- device-TLB descriptors to a root complex's ATS port ---- */

static int vtd_port_devtlb(void *ctx, uint32_t sid, bool pasid_valid, uint32_t pasid, bool global,
                           uint64_t addr, bool size_bit, uint64_t now_ps, uint64_t *done_ps,
                           struct iom_err *err)
{
	const struct iom_ats_port *port = ctx;
	uint64_t base;
	unsigned k = iom_ats_size_decode((addr & VTD_ADDR_4K) | (size_bit ? IOM_ATS_CPL_S : 0),
	                                 &base);
	struct iom_ats_inval inv = {.rid = sid, .pasid = pasid, .pasid_valid = pasid_valid,
	                            .global = global, .addr = base, .size_log2 = (uint8_t)k};
	return port->ops->invalidate(port->ctx, &inv, now_ps, done_ps, err);
}

void iom_vtd_set_ats_port(struct iom_vtd *v, const struct iom_ats_port *port)
{
	struct iom_vtd_devtlb_ops ops = {.invalidate = vtd_port_devtlb, .ctx = (void *)port};
	iom_vtd_set_devtlb_ops(v, port ? &ops : NULL);
}
