/* SPDX-License-Identifier: Apache-2.0 */
/*
 * host_smmuv3.c - what the Linux arm-smmu-v3 driver does at probe and on
 * attach/detach (arm_smmu_attach_dev(), v6.9+), expressed through the driver
 * side of the model (models/smmuv3/smmuv3_drv.h).
 *
 *  setup: the stream-table and CD-table formats (host.strtab,
 *      host.cd_table: auto = Linux's choice from IDR0.ST_LEVEL / CD2L);
 *  attach, no PASID, paging domain: the stream gets a CD table of
 *      2^cd_table_bits CDs (master->cd_table), CD 0 is written with the
 *      domain's ASID, table, granule and IPS (arm_smmu_make_s1_cd), then the
 *      STE is made stage 1 over that table with S1DSS = SSID0 (non-PASID
 *      traffic uses CD 0, STRTAB_STE_1_S1DSS_SSID0) -- CD first, STE second,
 *      as Linux, so the STE never points at an invalid CD 0;
 *  attach with PASID p: CD p, then the same STE if it is not stage 1 yet;
 *  identity domain: STE bypass; blocked domain: STE abort;
 *  detach: the CD is cleared (PASID, or CD 0 while PASIDs remain attached:
 *      Linux keeps the CD table then) or the STE set to abort (blocking).
 * Every STE/CD store goes through the driver's hitless / breaking update
 * sequence (arm_smmu_write_entry) with its CFGI + CMD_SYNC steps.
 * ASIDs: 16 or 8 bits as SMMU_IDR0.ASID16 says (the host allocates them).
 * host.stage = nested: the STE is nested (Config 0b111) with the VM's stage 2
 *      (its VMID, S2T0SZ 16, S2SL0 2, 4 KB S2TG, S2TTB); CD table, CD and
 *      stage-1 tables are IPAs (= PAs: the VM maps IPA = PA).
 * Not modelled: ATS enablement (EATS), stall configuration, stage-2-only
 * domains, more than one VM.
 */
#include "host.h"

#include "pgtable.h"
#include "smmuv3-regs.h"
#include "smmuv3_drv.h"

static int hsm_setup(void *drvp, const struct iom_host_cfg *cfg, struct iom_err *err)
{
	const struct iom_host_smmuv3 *hs = drvp;
	struct iom_smmu_drv_opts o = { .strtab = cfg->strtab, .cdtab = cfg->cd_table };
	return iom_smmu_drv_set_opts(hs->drv, &o, err);
}

static uint32_t hsm_max_tag(void *drvp)
{
	const struct iom_host_smmuv3 *hs = drvp;
	return (1u << iom_smmu_drv_asid_bits(hs->drv)) - 1;
}

/* arm_smmu_make_s1_cd() + arm_smmu_write_cd_entry() for dom at (rid, ssid). */
static int hsm_write_cd(struct iom_smmu_drv *drv, uint32_t rid, uint32_t ssid,
			const struct iom_host_domain *dom, uint64_t now, uint64_t *done,
			struct iom_err *err)
{
	const struct iom_pt_cfg *pc = iom_pt_config(dom->pt);
	struct iom_smmu_drv_cd_cfg cd = { .asid = (uint16_t)dom->tag, .ttb0 = iom_pt_root(dom->pt),
					  .t0sz = 64u - pc->ia_bits,
					  .granule_shift = pc->granule_shift,
					  .ips_bits = pc->oa_bits };
	return iom_smmu_drv_cd_write(drv, rid, ssid, &cd, now, done, err);
}

/* arm_smmu_make_nested_cd_table_ste(): the CD-table STE with the VM's
 * stage 2 (S2VMID, VTCR fields and S2TTB of its table). */
static int hsm_ste_nested(struct iom_smmu_drv *drv, uint32_t rid, uint32_t cd_bits,
			  const struct iom_host_domain *dom, uint64_t now, uint64_t *done,
			  struct iom_err *err)
{
	const struct iom_pt_cfg *pc = iom_pt_config(dom->s2);
	struct iom_smmu_drv_s2_cfg s2 = {.vmid = (uint16_t)dom->vmid,
					 .ttb = iom_pt_root(dom->s2),
					 .t0sz = 64u - pc->ia_bits,
					 .sl0 = pc->sl0,
					 .granule_shift = pc->granule_shift,
					 .ps_bits = pc->oa_bits};
	return iom_smmu_drv_ste_nested(drv, rid, cd_bits, SMMU_S1DSS_SSID0, &s2, now, done, err);
}

static int hsm_attach(void *drvp, uint32_t rid, int64_t pasid, const struct iom_host_domain *dom,
		      uint32_t pasids_in_use, uint64_t now, uint64_t *done, struct iom_err *err)
{
	const struct iom_host_smmuv3 *hs = drvp;
	struct iom_smmu_drv *drv = hs->drv;
	*done = now;
	if (dom->type != IOM_HOST_DOM_PAGING) {
		if (pasid >= 0 || pasids_in_use)
			return iom_err_set(
			    err, IOM_ENOTSUP,
			    "identity/blocked domain on a PASID, or on a device with "
			    "PASIDs attached (STE S1DSS bypass/abort), is not implemented");
		return dom->type == IOM_HOST_DOM_IDENTITY
			       ? iom_smmu_drv_ste_bypass(drv, rid, now, done, err)
			       : iom_smmu_drv_ste_abort(drv, rid, now, done, err);
	}
	/* A stage-1 STE already in place keeps its CD table (of cd_bits CDs). */
	bool s1 = iom_smmu_drv_cd_table(drv, rid) != 0;
	uint64_t t = now;
	int r = s1 ? 0 : iom_smmu_drv_cd_alloc(drv, rid, hs->cd_bits, err);
	if (!r)
		r = hsm_write_cd(drv, rid, pasid >= 0 ? (uint32_t)pasid : 0, dom, t, &t, err);
	if (!r && !s1 && dom->s2)
		r = hsm_ste_nested(drv, rid, hs->cd_bits, dom, t, &t, err);
	else if (!r && !s1)
		r = iom_smmu_drv_ste_s1(drv, rid, hs->cd_bits, SMMU_S1DSS_SSID0, t, &t, err);
	*done = t;
	return r;
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
	.setup = hsm_setup,
	.max_tag_of = hsm_max_tag,
	.max_tag = 65535,  /* 16-bit ASIDs */
	.max_vmid = 65535, /* 16-bit VMIDs (IDR0.VMID16) */
};
