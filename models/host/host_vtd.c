/* SPDX-License-Identifier: Apache-2.0 */
/*
 * host_vtd.c - what the Linux intel-iommu driver does on attach/detach and
 * at domain allocation, expressed through the driver side of the VT-d model
 * (models/vtd/vtd_drv.h).
 *
 *  domain allocation: the table format the driver chooses (legacy mode:
 *      second level; scalable mode: first level when ECAP.FLTS, as Linux's
 *      first_level_by_default()), its levels (from MGAW / SAGAW, FL5LP) and
 *      page sizes (4 KB, plus 2 MB / 1 GB as CAP.SLLPS / FL1GP allow unless
 *      vtd.driver.superpages is false); the domain ID is the host's tag
 *      (lowest free from 1, as Linux's ida allocation);
 *  attach, no PASID: legacy context entry, or the RID_PASID (0) PASID-table
 *      entry in scalable mode; attach with PASID p (scalable mode only):
 *      PASID-table entry p;
 *  identity domain: TT = pass-through / PGTT = pass-through with domain ID 0
 *      (needs ECAP.PT); blocked domain and detach: the entry is cleared.
 * Invalidations on unmap reach the driver through the IOMMU's invalidate op
 * (vtd_drv.c: PSI with mask or DSI above the threshold, then a wait).
 * ATS: the driver enables it in an ATS-capable function at its first attach
 *  (TT = 01b / DTE = 1) and adds device-TLB descriptors to its flushes
 *  (vtd_drv.c, "ATS"); nothing to sequence here.
 * SVA (bind_mm, intel_svm_set_dev_pasid): a first-level PASID-table entry
 *  (PGTT 001) whose FLPTPTR is the process's pgd, FLPM 5-level with 57-bit
 *  VAs, SRE clear, the SVA domain's DID; needs scalable mode with ECAP.FLTS
 *  (and CAP.FL5LP for 5-level), else refused as Linux does (-ENODEV).
 *  mm_invalidate (intel_arch_invalidate_secondary_tlbs -> cache_tag_flush_range):
 *  PASID-based IOTLB invalidation of the range (PSI or PASID-wide), then a wait.
 * Dirty tracking (IOM_HOST_DOM_F_DIRTY): the domain is second level
 *  (iom_vtd_drv_dirty_format; first level kept with DIRTY_FL); enabling
 *  tracking sets SSADE in each attachment's PASID entry, and an attach while
 *  it is on writes the entry with SSADE (intel_pasid_setup_second_level).
 * PRI: the page request queue is read and PQH moved as prq_event_thread does;
 *  a group is answered with a page group response descriptor and a wait
 *  (intel_iommu_page_response); a PASID's unbind drains with one more wait.
 */
#include "host.h"

#include "pgtable.h"
#include "vtd_drv.h"

static int hvt_attach(void *drvp, uint32_t rid, int64_t pasid, const struct iom_host_domain *dom,
                      uint32_t pasids_in_use, uint64_t now, uint64_t *done, struct iom_err *err)
{
	struct iom_vtd_drv_dom vd = {.type = IOM_VTD_DOM_BLOCKED};
	(void)pasids_in_use; /* the PASID table outlives any single attachment */
	if (dom->type == IOM_HOST_DOM_PAGING) {
		const struct iom_pt_cfg *pc = iom_pt_config(dom->pt);
		vd = (struct iom_vtd_drv_dom){.type = IOM_VTD_DOM_PAGING,
		                              .did = dom->tag,
		                              .first_level = pc->fmt == IOM_PT_X86_FL,
		                              .root = iom_pt_root(dom->pt),
		                              .levels = iom_pt_geom(dom->pt)->levels,
		                              .slade = dom->dirty_tracking &&
		                                       pc->fmt == IOM_PT_VTD_SL};
	} else if (dom->type == IOM_HOST_DOM_IDENTITY) {
		vd.type = IOM_VTD_DOM_IDENTITY;
	}
	return iom_vtd_drv_attach(drvp, rid, pasid, &vd, now, done, err);
}

static int hvt_detach(void *drvp, uint32_t rid, int64_t pasid, uint32_t pasids_in_use, uint64_t now,
                      uint64_t *done, struct iom_err *err)
{
	(void)pasids_in_use;
	return iom_vtd_drv_detach(drvp, rid, pasid, now, done, err);
}

static int hvt_bind_mm(void *drvp, uint32_t rid, uint32_t pasid, const struct iom_host_mm_ctx *mm,
		       uint32_t pasids_in_use, uint64_t now, uint64_t *done, struct iom_err *err)
{
	const struct iom_vtd_cfg *c = iom_vtd_config(iom_vtd_drv_vtd(drvp));
	unsigned levels = iom_pt_geom(mm->pt)->levels;
	(void)pasids_in_use;
	*done = now;
	if (!iom_vtd_drv_scalable(drvp) || !c->flts || (levels == 5 && !c->fl5lp))
		return iom_err_set(err, IOM_EINVAL,
				   "SVA needs scalable mode with first-level translation "
				   "(vtd.smts, vtd.flts%s)",
				   levels == 5 ? ", vtd.fl5lp for 57-bit VAs" : "");
	struct iom_vtd_drv_dom vd = {.type = IOM_VTD_DOM_PAGING,
	                             .did = mm->tag,
	                             .first_level = true,
	                             .root = iom_pt_root(mm->pt),
	                             .levels = levels,
	                             .sva = true};
	return iom_vtd_drv_attach(drvp, rid, pasid, &vd, now, done, err);
}

static int hvt_mm_invalidate(void *drvp, uint32_t tag, uint64_t va, uint64_t size, uint64_t now,
                             uint64_t *done, struct iom_err *err)
{
	return iom_vtd_drv_flush_range(drvp, tag, va, size, false, now, done, err);
}

static int hvt_prq_peek(void *drvp, uint32_t ahead, struct iom_page_req *r, uint64_t now,
                        uint64_t *done)
{
	return iom_vtd_drv_prq_peek(drvp, ahead, r, now, done);
}

static void hvt_prq_consume(void *drvp, uint32_t n)
{
	iom_vtd_drv_prq_consume(drvp, n);
}

static int hvt_pri_respond(void *drvp, const struct iom_page_req *last, uint32_t code, uint64_t now,
                           uint64_t *done, struct iom_err *err)
{
	return iom_vtd_drv_page_response(drvp, last->rid, last->pasid, last->pasid_valid, last->prgi,
	                                 code, now, done, err);
}

/* intel_iommu_drain_pasid_prq(): after the PASID entry is torn down, a wait
 * descriptor (fence, page-request drain) flushes what the hardware holds. */
static int hvt_prq_drain(void *drvp, uint32_t rid, uint32_t pasid, uint64_t now, uint64_t *done,
                         struct iom_err *err)
{
	(void)rid;
	(void)pasid;
	return iom_vtd_drv_submit(drvp, NULL, 0, true, now, done, err);
}

static void hvt_domain_format(void *drvp, struct iom_pt_cfg *pc, uint64_t *pgsizes)
{
	iom_vtd_drv_domain_format(drvp, pc, pgsizes);
}

static int hvt_dirty_domain(void *drvp, struct iom_pt_cfg *pc, uint64_t *pgsizes, uint32_t flags,
                            bool nested, struct iom_err *err)
{
	(void)nested; /* the host has no VT-d VM of its own */
	return iom_vtd_drv_dirty_format(drvp, pc, pgsizes, (flags & IOM_HOST_DOM_F_DIRTY_FL) != 0,
	                                err);
}

/* intel_iommu_set_dirty_tracking(): SSADE of each attached device's PASID
 * entry (second level; a first-level domain's A/D needs no enable). */
static int hvt_set_dirty_tracking(void *drvp, uint32_t rid, int64_t pasid,
                                  const struct iom_host_domain *dom, bool on, uint64_t now,
                                  uint64_t *done, struct iom_err *err)
{
	*done = now;
	if (iom_pt_config(dom->pt)->fmt != IOM_PT_VTD_SL)
		return 0;
	return iom_vtd_drv_set_slade(drvp, rid, pasid, on, now, done, err);
}

static uint64_t hvt_cmds_issued(void *drvp)
{
	return iom_vtd_drv_stats(drvp)->descriptors;
}

const struct iom_host_drv_ops iom_host_vtd_ops = {
    .attach = hvt_attach,
    .detach = hvt_detach,
    .domain_format = hvt_domain_format,
    .bind_mm = hvt_bind_mm,
    .mm_invalidate = hvt_mm_invalidate,
    .prq_peek = hvt_prq_peek,
    .prq_consume = hvt_prq_consume,
    .pri_respond = hvt_pri_respond,
    .prq_drain = hvt_prq_drain,
    .dirty_domain = hvt_dirty_domain,
    .set_dirty_tracking = hvt_set_dirty_tracking,
    .cmds_issued = hvt_cmds_issued,
    .max_tag = 65535, /* 16-bit domain IDs; the driver checks CAP.ND */
    .cpu_fmt = IOM_PT_X86_FL,
};
