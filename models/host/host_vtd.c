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
		                              .levels = iom_pt_geom(dom->pt)->levels};
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

static void hvt_domain_format(void *drvp, struct iom_pt_cfg *pc, uint64_t *pgsizes)
{
	iom_vtd_drv_domain_format(drvp, pc, pgsizes);
}

const struct iom_host_drv_ops iom_host_vtd_ops = {
    .attach = hvt_attach,
    .detach = hvt_detach,
    .domain_format = hvt_domain_format,
    .max_tag = 65535, /* 16-bit domain IDs; the driver checks CAP.ND */
};
