/* SPDX-License-Identifier: Apache-2.0 */
/*
 * host_smmuv3.c - what the Linux arm-smmu-v3 driver does on attach/detach,
 * expressed through the driver side of the model (models/smmuv3/smmuv3_drv.h).
 *
 *  attach, no PASID, paging domain: the stream's STE is made stage-1 with a
 *      CD table of 2^cd_table_bits CDs and S1DSS = SSID0 (non-PASID traffic
 *      uses CD 0, as Linux sets STRTAB_STE_1_S1DSS_SSID0), then CD 0 is
 *      written with the domain's ASID and table (CFGI_STE/CFGI_CD + CMD_SYNC);
 *  attach with PASID p: the same STE, CD p;
 *  identity domain: STE bypass; blocked domain: STE abort;
 *  detach: the CD is cleared (PASID, or CD 0 while PASIDs remain attached:
 *      Linux keeps the CD table then) or the STE set to abort (blocking).
 * Not modelled: Linux's hitless multi-step STE update (the entry is written
 * whole, then invalidated), ATS enablement (EATS), stall configuration.
 */
#include "host.h"

#include "pgtable.h"
#include "smmuv3_drv.h"

/* Is the stream's STE stage-1 already? Linux keeps master->cd_table; here
 * the driver reports the CD table it allocated for the stream (0: none). */
static int hsm_ensure_s1(struct iom_smmu_drv *drv, uint32_t rid, uint32_t cd_bits, uint64_t now,
			 uint64_t *done, struct iom_err *err)
{
	if (iom_smmu_drv_cd_table(drv, rid))
		return 0;
	return iom_smmu_drv_ste_s1(drv, rid, cd_bits, 2 /* S1DSS = SSID0 */, now, done, err);
}

static int hsm_attach(void *drvp, uint32_t rid, int64_t pasid, const struct iom_host_domain *dom,
		      uint32_t pasids_in_use, uint64_t now, uint64_t *done, struct iom_err *err)
{
	const struct iom_host_smmuv3 *hs = drvp;
	struct iom_smmu_drv *drv = hs->drv;
	*done = now;
	if (dom->type != IOM_HOST_DOM_PAGING) {
		if (pasid >= 0 || pasids_in_use)
			return iom_err_set(err, IOM_ENOTSUP,
					   "identity/blocked domain on a PASID, or on a device with "
					   "PASIDs attached (STE S1DSS bypass/abort), is not implemented");
		return dom->type == IOM_HOST_DOM_IDENTITY
			       ? iom_smmu_drv_ste_bypass(drv, rid, now, done, err)
			       : iom_smmu_drv_ste_abort(drv, rid, now, done, err);
	}
	uint32_t cd_bits = hs->cd_bits;
	uint64_t t = now;
	int r = hsm_ensure_s1(drv, rid, cd_bits, now, &t, err);
	if (r)
		return r;
	const struct iom_pt_cfg *pc = iom_pt_config(dom->pt);
	return iom_smmu_drv_cd(drv, rid, pasid >= 0 ? (uint32_t)pasid : 0, (uint16_t)dom->tag,
			       iom_pt_root(dom->pt), 64u - pc->ia_bits, t, done, err);
}

static int hsm_detach(void *drvp, uint32_t rid, int64_t pasid, uint32_t pasids_in_use,
		      uint64_t now, uint64_t *done, struct iom_err *err)
{
	struct iom_smmu_drv *drv = ((const struct iom_host_smmuv3 *)drvp)->drv;
	/* With PASIDs still attached the CD table must stay: clear CD 0 only, so
	 * non-PASID DMA is terminated while PASID DMA keeps translating. */
	if (pasid >= 0 || pasids_in_use)
		return iom_smmu_drv_cd_clear(drv, rid, pasid >= 0 ? (uint32_t)pasid : 0, now, done,
					     err);
	return iom_smmu_drv_ste_abort(drv, rid, now, done, err);
}

static void hsm_observe(void *drvp, void (*fn)(void *ctx, const struct iom_txn *t), void *ctx)
{
	iom_smmu_drv_set_txn_observer(((const struct iom_host_smmuv3 *)drvp)->drv, fn, ctx);
}

const struct iom_host_drv_ops iom_host_smmuv3_ops = {
	.attach = hsm_attach,
	.detach = hsm_detach,
	.observe = hsm_observe,
	.max_tag = 65535, /* 16-bit ASIDs */
};
