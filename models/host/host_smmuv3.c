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
 * SVA (bind_mm, arm_smmu_sva_set_dev_pasid + arm_smmu_make_sva_cd): CD p
 *      over the process's table: TTB0 = its pgd, T0SZ = 64 - VA bits, 4 KB TG0,
 *      WBWA, inner shareable, EPD1, IPS of the CPU's PA range, the SVA
 *      domain's ASID (ASET = 0 when it is the CPU's ASID); the STE is made
 *      stage 1 first if it is not (S1DSS = SSID0, as for a PASID attach), with
 *      the ATS steps of an attach (the PASID becomes an ATS master).
 *      mm_invalidate (arm_smmu_mm_arch_invalidate_secondary_tlbs): range TLBI
 *      of 4 KB pages, Leaf = 0, or without IDR3.RIL at 512 pages and more
 *      (CMDQ_MAX_TLBI_OPS) one TLBI by ASID; then CMD_SYNC, then the ATCs.
 * PRI: the PRI queue is read and CONS moved as arm_smmu_priq_thread does;
 *      a group is answered with one CMD_PRI_RESP (smmuv3_drv.c).
 * ATS (arm_smmu_attach_prepare / _commit, v6.10+), for functions whose root
 *      complex reports an ATS capability (iom_smmu_drv_ats_supported): a paging
 *      domain gets STE.EATS = 0b01 (the STE is rewritten if only EATS changes);
 *      a function losing ATS (identity / blocked domain, detach) has ATS
 *      disabled in config space before its STE changes; after the STE/CD: ATS
 *      newly enabled -> CMD_ATC_INV of the whole ATC + CMD_SYNC, then ATS
 *      Enable with STU = 4 KB; still enabled -> CMD_ATC_INV of the attached
 *      SSID + SYNC; switched off -> CMD_ATC_INV of everything + SYNC.  Each
 *      (RID, PASID) attached with ATS is an ATS master of its domain: unmaps
 *      send it CMD_ATC_INV after the TLBI + CMD_SYNC (smmuv3_drv.c).  A PASID
 *      detach clears the CD, then CMD_ATC_INV of that PASID + SYNC.
 * Dirty tracking (IOM_HOST_DOM_F_DIRTY, IDR0.HTTU = 2): the domain's CD gets
 *      HA + HD (stage 1: DBM leaves), a nested domain's STE S2HA + S2HD (the
 *      VM's stage 2); set_dirty_tracking has nothing to do (Linux: a no-op,
 *      DBM is always armed); after the VM's stage-2 dirty state was cleared,
 *      CMD_TLBI_S12_VMALL + SYNC.
 * Not modelled: stall configuration, stage-2-only domains, more than one VM.
 */
#include "host.h"

#include "mem.h"
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
					  .ips_bits = pc->oa_bits,
					  .hd = (dom->flags & IOM_HOST_DOM_F_DIRTY) && !dom->s2 };
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
					 .ps_bits = pc->oa_bits,
					 .hd = (dom->flags & IOM_HOST_DOM_F_DIRTY) != 0};
	return iom_smmu_drv_ste_nested(drv, rid, cd_bits, SMMU_S1DSS_SSID0, &s2, now, done, err);
}

/* arm_smmu_attach_prepare(): whether the new attachment uses ATS (paging
 * domains only: a bypass / abort STE cannot, 5.2), and ATS disabled in the
 * function before its STE stops allowing it. *was: ATS enabled before. */
static int hsm_ats_prepare(struct iom_smmu_drv *drv, uint32_t rid, bool paging, bool *ats,
			   bool *was, uint64_t *t, struct iom_err *err)
{
	*ats = paging && iom_smmu_drv_ats_supported(drv, rid);
	*was = iom_smmu_drv_ats_enabled(drv, rid);
	int r = iom_smmu_drv_set_eats(drv, rid, *ats, err);
	if (!r && !*ats && *was)
		r = iom_smmu_drv_ats_enable(drv, rid, false, *t, t, err);
	return r;
}

/* arm_smmu_attach_commit(), after the STE / CD were written: the ATC. */
static int hsm_ats_commit(struct iom_smmu_drv *drv, uint32_t rid, uint32_t ssid, bool ats,
			  bool was, uint32_t tag, uint64_t *t, struct iom_err *err)
{
	int r = 0;
	if (ats && !was)
		r = iom_smmu_drv_ats_enable(drv, rid, true, *t, t, err);
	else if (ats)
		r = iom_smmu_drv_atc_inv_master(drv, rid, ssid, *t, t, err);
	else if (was)
		r = iom_smmu_drv_atc_inv_master(drv, rid, 0, *t, t, err);
	if (!r && ats)
		r = iom_smmu_drv_ats_master_add(drv, rid, ssid, tag, err);
	else if (!r)
		iom_smmu_drv_ats_master_del(drv, rid, ssid);
	return r;
}

static int hsm_attach(void *drvp, uint32_t rid, int64_t pasid, const struct iom_host_domain *dom,
		      uint32_t pasids_in_use, uint64_t now, uint64_t *done, struct iom_err *err)
{
	const struct iom_host_smmuv3 *hs = drvp;
	struct iom_smmu_drv *drv = hs->drv;
	uint32_t ssid = pasid >= 0 ? (uint32_t)pasid : 0;
	uint64_t t = now;
	bool ats, was;
	*done = now;
	if (dom->type != IOM_HOST_DOM_PAGING) {
		if (pasid >= 0 || pasids_in_use)
			return iom_err_set(
			    err, IOM_ENOTSUP,
			    "identity/blocked domain on a PASID, or on a device with "
			    "PASIDs attached (STE S1DSS bypass/abort), is not implemented");
		int r = hsm_ats_prepare(drv, rid, false, &ats, &was, &t, err);
		if (!r)
			r = dom->type == IOM_HOST_DOM_IDENTITY
				    ? iom_smmu_drv_ste_bypass(drv, rid, t, &t, err)
				    : iom_smmu_drv_ste_abort(drv, rid, t, &t, err);
		if (!r)
			r = hsm_ats_commit(drv, rid, 0, false, was, 0, &t, err);
		*done = t;
		return r;
	}
	int r = hsm_ats_prepare(drv, rid, true, &ats, &was, &t, err);
	if (r)
		return r;
	/* A stage-1 STE already in place keeps its CD table (of cd_bits CDs); it is
	 * rewritten only if its EATS must change (arm_smmu_update_ste). */
	bool s1 = iom_smmu_drv_cd_table(drv, rid) != 0;
	bool ste = !s1 || iom_smmu_drv_ste_eats(drv, rid) != ats;
	r = s1 ? 0 : iom_smmu_drv_cd_alloc(drv, rid, hs->cd_bits, err);
	if (!r)
		r = hsm_write_cd(drv, rid, ssid, dom, t, &t, err);
	if (!r && ste && dom->s2)
		r = hsm_ste_nested(drv, rid, hs->cd_bits, dom, t, &t, err);
	else if (!r && ste)
		r = iom_smmu_drv_ste_s1(drv, rid, hs->cd_bits, SMMU_S1DSS_SSID0, t, &t, err);
	if (!r)
		r = hsm_ats_commit(drv, rid, ssid, ats, was, dom->tag | dom->vmid << 16, &t, err);
	*done = t;
	return r;
}

static int hsm_detach(void *drvp, uint32_t rid, int64_t pasid, uint32_t pasids_in_use,
		      uint64_t now, uint64_t *done, struct iom_err *err)
{
	struct iom_smmu_drv *drv = ((const struct iom_host_smmuv3 *)drvp)->drv;
	uint32_t ssid = pasid >= 0 ? (uint32_t)pasid : 0;
	uint64_t t = now;
	int r;
	*done = now;
	/* With PASIDs still attached the CD table must stay: clear CD 0 only, so
	 * non-PASID DMA is terminated while PASID DMA keeps translating; then the
	 * ATC of that SSID (arm_smmu_remove_dev_pasid). */
	if (pasid >= 0 || pasids_in_use) {
		r = iom_smmu_drv_cd_clear(drv, rid, ssid, t, &t, err);
		if (!r && iom_smmu_drv_ats_enabled(drv, rid))
			r = iom_smmu_drv_atc_inv_master(drv, rid, ssid, t, &t, err);
		iom_smmu_drv_ats_master_del(drv, rid, ssid);
		*done = t;
		return r;
	}
	bool ats, was; /* the blocking domain: ATS off */
	r = hsm_ats_prepare(drv, rid, false, &ats, &was, &t, err);
	if (!r)
		r = iom_smmu_drv_ste_abort(drv, rid, t, &t, err);
	if (!r)
		r = hsm_ats_commit(drv, rid, 0, false, was, 0, &t, err);
	*done = t;
	return r;
}

static int hsm_bind_mm(void *drvp, uint32_t rid, uint32_t pasid, const struct iom_host_mm_ctx *mm,
		       uint32_t pasids_in_use, uint64_t now, uint64_t *done, struct iom_err *err)
{
	const struct iom_host_smmuv3 *hs = drvp;
	struct iom_smmu_drv *drv = hs->drv;
	const struct iom_pt_cfg *pc = iom_pt_config(mm->pt);
	uint64_t ste[SMMU_STE_WORDS] = {0}, ste_pa = iom_smmu_drv_ste_pa(drv, rid);
	(void)pasids_in_use;
	*done = now;
	if (ste_pa)
		iom_mem_read(iom_smmu_drv_mem(drv), ste_pa, ste, sizeof(ste), NULL);
	if (smmu_ste_v(ste) && smmu_ste_config(ste) == SMMU_STE_CFG_BYPASS)
		return iom_err_set(err, IOM_ENOTSUP,
				   "SVA on a device in an identity domain (STE S1DSS bypass) is "
				   "not implemented");
	struct iom_smmu_drv_cd_cfg cd = {.asid = (uint16_t)mm->tag, .ttb0 = iom_pt_root(mm->pt),
					 .t0sz = 64u - pc->ia_bits, .granule_shift = 12,
					 .ips_bits = pc->oa_bits, .shared_asid = mm->cpu_asid};
	uint64_t t = now;
	bool ats, was; /* arm_smmu_set_pasid(): the same attach_prepare / _commit */
	int r = hsm_ats_prepare(drv, rid, true, &ats, &was, &t, err);
	bool s1 = iom_smmu_drv_cd_table(drv, rid) != 0;
	bool ste_w = !s1 || iom_smmu_drv_ste_eats(drv, rid) != ats;
	if (!r && !s1)
		r = iom_smmu_drv_cd_alloc(drv, rid, hs->cd_bits, err);
	if (!r)
		r = iom_smmu_drv_cd_write(drv, rid, pasid, &cd, t, &t, err);
	if (!r && ste_w)
		r = iom_smmu_drv_ste_s1(drv, rid, hs->cd_bits, SMMU_S1DSS_SSID0, t, &t, err);
	if (!r)
		r = hsm_ats_commit(drv, rid, pasid, ats, was, mm->tag, &t, err);
	*done = t;
	return r;
}

/* CMDQ_MAX_TLBI_OPS: 1 << (PAGE_SHIFT - 3) pages */
#define HSM_MAX_TLBI_PAGES 512u

/* Through the driver's invalidate op, so the TLBI is followed by the ATC
 * invalidation of the domain's ATS masters (arm_smmu_atc_inv_domain). */
static int hsm_mm_invalidate(void *drvp, uint32_t tag, uint64_t va, uint64_t size, uint64_t now,
			     uint64_t *done, struct iom_err *err)
{
	struct iom_smmu_drv *drv = ((const struct iom_host_smmuv3 *)drvp)->drv;
	struct iom_iommu io;
	struct iom_inval inv = {.scope = IOM_INVAL_RANGE, .tag = tag, .iova = va, .size = size,
				.granule = 4096, .leaf = 0, .use_range = 1};
	iom_smmu_drv_as_iommu(drv, &io);
	if (!iom_smmu_drv_has_range(drv) && size >= (uint64_t)HSM_MAX_TLBI_PAGES * 4096)
		inv.scope = IOM_INVAL_DOMAIN;
	return io.ops->invalidate(io.self, &inv, now, done, err);
}

static int hsm_prq_peek(void *drvp, uint32_t ahead, struct iom_page_req *r, uint64_t now,
			uint64_t *done)
{
	return iom_smmu_drv_priq_peek(((const struct iom_host_smmuv3 *)drvp)->drv, ahead, r, now,
				      done);
}

static void hsm_prq_consume(void *drvp, uint32_t n)
{
	iom_smmu_drv_priq_consume(((const struct iom_host_smmuv3 *)drvp)->drv, n);
}

static int hsm_pri_respond(void *drvp, const struct iom_page_req *last, uint32_t code,
			   uint64_t now, uint64_t *done, struct iom_err *err)
{
	return iom_smmu_drv_pri_resp(((const struct iom_host_smmuv3 *)drvp)->drv, last->rid,
				     last->pasid, last->pasid_valid, last->prgi, code, now, done, err);
}

static void hsm_observe(void *drvp, void (*fn)(void *ctx, const struct iom_txn *t), void *ctx)
{
	iom_smmu_drv_set_txn_observer(((const struct iom_host_smmuv3 *)drvp)->drv, fn, ctx);
}

/* arm_smmu_domain_alloc_paging_flags() with IOMMU_HWPT_ALLOC_DIRTY_TRACKING:
 * needs HTTU dirty state (Linux: ARM_SMMU_FEAT_HD, IDR0.HTTU = 2); the format
 * stays (stage 1 with DBM leaves; nested: the VM's stage 2 with S2HD). */
static int hsm_dirty_domain(void *drvp, struct iom_pt_cfg *pc, uint64_t *pgsizes, uint32_t flags,
			    bool nested, struct iom_err *err)
{
	const struct iom_host_smmuv3 *hs = drvp;
	(void)pc;
	(void)pgsizes;
	(void)flags;
	if (iom_smmu_config(iom_smmu_drv_smmu(hs->drv))->httu < SMMU_HTTU_AF_DIRTY)
		return iom_err_set(err, IOM_EINVAL,
				   "EOPNOTSUPP: %s dirty tracking needs SMMU_IDR0.HTTU = 2 "
				   "(smmu.httu = af_dirty)",
				   nested ? "stage-2" : "stage-1");
	return 0;
}

static int hsm_s2_invalidate(void *drvp, uint32_t vmid, uint64_t now, uint64_t *done,
			     struct iom_err *err)
{
	return iom_smmu_drv_tlbi_s12_vmall(((const struct iom_host_smmuv3 *)drvp)->drv,
					   (uint16_t)vmid, now, done, err);
}

static uint64_t hsm_cmds_issued(void *drvp)
{
	return iom_smmu_drv_stats(((const struct iom_host_smmuv3 *)drvp)->drv)->commands;
}

const struct iom_host_drv_ops iom_host_smmuv3_ops = {
	.attach = hsm_attach,
	.detach = hsm_detach,
	.observe = hsm_observe,
	.setup = hsm_setup,
	.max_tag_of = hsm_max_tag,
	.bind_mm = hsm_bind_mm,
	.mm_invalidate = hsm_mm_invalidate,
	.prq_peek = hsm_prq_peek,
	.prq_consume = hsm_prq_consume,
	.pri_respond = hsm_pri_respond,
	.dirty_domain = hsm_dirty_domain,
	.s2_invalidate = hsm_s2_invalidate,
	.cmds_issued = hsm_cmds_issued,
	.max_tag = 65535,  /* 16-bit ASIDs */
	.max_vmid = 65535, /* 16-bit VMIDs (IDR0.VMID16) */
	.cpu_fmt = IOM_PT_VMSA64_S1,
	.cpu_asid_ok = true,
};
