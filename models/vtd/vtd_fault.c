/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vtd_fault.c - primary fault logging of the VT-d model (spec 7.2.1,
 * 11.4.7, 11.4.14) and the names of the fault reasons it reports.
 *
 * Recording: hardware keeps an internal "next" index into the NFR
 * fault-recording registers.  A fault is lost (not recorded, FSTS.PFO set)
 * when PFO is already set or the register at "next" still holds an
 * unserviced fault (F = 1).  Otherwise the record is written (FI = the
 * faulting page address, SID, T = read/write, PRIV/EXE requested, PP/PV,
 * FR = reason, AT, F = 1), FSTS.PPF is set (FRI = this index if no fault was
 * pending) and "next" advances, wrapping at NFR.  With FECTL.IM = 0 the
 * fault event is delivered to the registered handler (the driver's
 * interrupt handler, which reads and clears the records).  Faults in a
 * context / PASID entry with FPD = 1 are not recorded (the translation
 * still fails).  Compression of repeated faults is not modelled (every
 * qualifying fault is recorded).  The simulation never aborts on a fault.
 */
#include "vtd-internal.h"
#include "vtd-regs.h"

static const char *const vtd_fault_names[256] = {
    [VTD_FR_ROOT_NP] = "ROOT_NP",
    [VTD_FR_CTX_NP] = "CTX_NP",
    [VTD_FR_CTX_INVALID] = "CTX_INVALID",
    [VTD_FR_ADDR_MGAW] = "ADDR_MGAW",
    [VTD_FR_WRITE] = "WRITE",
    [VTD_FR_READ] = "READ",
    [VTD_FR_PT_PTR] = "PT_PTR",
    [VTD_FR_ROOT_ADDR] = "ROOT_ADDR",
    [VTD_FR_CTX_PTR] = "CTX_PTR",
    [VTD_FR_ROOT_RSVD] = "ROOT_RSVD",
    [VTD_FR_CTX_RSVD] = "CTX_RSVD",
    [VTD_FR_PTE_RSVD] = "PTE_RSVD",
    [VTD_FR_TT_BLOCKED] = "TT_BLOCKED",
    [VTD_FR_SM_RTA] = "SM_RTA",
    [VTD_FR_SM_TTM0_PASID] = "SM_TTM0_PASID",
    [VTD_FR_SM_ROOT_ACCESS] = "SM_ROOT_ACCESS",
    [VTD_FR_SM_ROOT_NP] = "SM_ROOT_NP",
    [VTD_FR_SM_ROOT_RSVD] = "SM_ROOT_RSVD",
    [VTD_FR_SM_CTX_ACCESS] = "SM_CTX_ACCESS",
    [VTD_FR_SM_CTX_NP] = "SM_CTX_NP",
    [VTD_FR_SM_CTX_RSVD] = "SM_CTX_RSVD",
    [VTD_FR_SM_CTX_INVALID] = "SM_CTX_INVALID",
    [VTD_FR_SM_DTE] = "SM_DTE",
    [VTD_FR_SM_PASIDE] = "SM_PASIDE",
    [VTD_FR_SM_PASID_MAX] = "SM_PASID_MAX",
    [VTD_FR_SM_PRE] = "SM_PRE",
    [VTD_FR_SM_RID_PASID] = "SM_RID_PASID",
    [VTD_FR_SM_PDE_ACCESS] = "SM_PDE_ACCESS",
    [VTD_FR_SM_PDE_NP] = "SM_PDE_NP",
    [VTD_FR_SM_PDE_RSVD] = "SM_PDE_RSVD",
    [VTD_FR_SM_PTE_ACCESS] = "SM_PTE_ACCESS",
    [VTD_FR_SM_PTE_NP] = "SM_PTE_NP",
    [VTD_FR_SM_PTE_RSVD] = "SM_PTE_RSVD",
    [VTD_FR_SM_PTE_INVALID] = "SM_PTE_INVALID",
    [VTD_FR_SM_ERE] = "SM_ERE",
    [VTD_FR_SM_SRE] = "SM_SRE",
    [VTD_FR_SM_FL_ACCESS] = "SM_FL_ACCESS",
    [VTD_FR_SM_FL_NP] = "SM_FL_NP",
    [VTD_FR_SM_FL_RSVD] = "SM_FL_RSVD",
    [0x75] = "SM_NESTED_PML4_READ",
    [0x76] = "SM_NESTED_FL_READ",
    [VTD_FR_SM_SL_ACCESS] = "SM_SL_ACCESS",
    [VTD_FR_SM_SL_NP] = "SM_SL_NP",
    [VTD_FR_SM_SL_RSVD] = "SM_SL_RSVD",
    [VTD_FR_SM_SL_PTR] = "SM_SL_PTR",
    [VTD_FR_SM_NONCANON] = "SM_NONCANON",
    [VTD_FR_SM_US] = "SM_US",
    [VTD_FR_SM_EXEC] = "SM_EXEC",
    [VTD_FR_SM_ADDR_MAX] = "SM_ADDR_MAX",
    [VTD_FR_SM_SL_ADDR] = "SM_SL_ADDR",
    [VTD_FR_SM_WRITE] = "SM_WRITE",
    [VTD_FR_SM_READ] = "SM_READ",
};

const char *iom_vtd_fault_name(uint32_t reason)
{
	return reason < 256 ? vtd_fault_names[reason] : NULL;
}

static uint64_t vtd_frcd_hi(const struct iom_txn *t, uint32_t reason, bool pv, uint32_t pasid)
{
	uint64_t hi = 0;
	hi = vtd_set_frcd_sid(hi, t->rid & 0xffff);
	hi = vtd_set_frcd_priv(hi, !!(t->flags & IOM_TXN_PRIV));
	hi = vtd_set_frcd_exe(hi, !!(t->flags & IOM_TXN_EXEC));
	hi = vtd_set_frcd_pp(hi, pv);
	hi = vtd_set_frcd_pv(hi, pv ? pasid : 0);
	hi = vtd_set_frcd_fr(hi, reason);
	hi = vtd_set_frcd_at(hi, t->at);
	/* T2 = 0 (a memory request); T1: 1 = read, 0 = write */
	hi = vtd_set_frcd_t1(hi, !t->write);
	hi = vtd_set_frcd_f(hi, 1);
	return hi;
}

void vtd_fault_record(struct iom_vtd *v, const struct iom_txn *t, uint32_t reason, bool pv,
                      uint32_t pasid)
{
	uint32_t i = v->frcd_next;

	if ((v->fsts & VTD_FSTS_PFO) || vtd_frcd_f(v->frcd[2 * i + 1])) {
		v->fsts |= VTD_FSTS_PFO;
		v->st.faults_overflow++;
		return;
	}
	v->frcd[2 * i] = t->iova & VTD_ADDR_4K;
	v->frcd[2 * i + 1] = vtd_frcd_hi(t, reason, pv, pasid);
	if (!(v->fsts & VTD_FSTS_PPF))
		v->fsts = (uint32_t)vtd_set_fsts_fri(v->fsts, i);
	v->fsts |= VTD_FSTS_PPF;
	v->frcd_next = (i + 1) % v->cfg.nfr;
	v->st.faults_recorded++;
	if (!(v->fectl & VTD_FECTL_IM) && v->fault_fn)
		v->fault_fn(v->fault_ctx);
}
