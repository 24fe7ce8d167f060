/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vtd_drv.c - the driver side of the VT-d model: what Linux's intel-iommu
 * driver does, reduced to the structures this model has.
 *
 *  Boot (intel_iommu_init / dmar_enable_qi): root table, invalidation queue
 *   (QS = 0: 256 x 128-bit descriptors; scalable mode QS = 1, DW = 1: 256 x
 *   256-bit), SRTP, QIE, global context-cache / IOTLB (/ PASID-cache)
 *   invalidation, TE.  Functional (boot time is not simulated).
 *  Legacy attach (domain_context_mapping_one): context entry P, TT = 00
 *   (second level) or 10 (identity with ECAP.PT), AW, DID, SLPTPTR.  An entry
 *   that was present is first cleared with a device-selective context-cache
 *   and a domain-selective IOTLB invalidation + wait (device_block_translation
 *   -> domain_context_clear_one); a not-present entry needs none (CM = 0;
 *   with CM = 1 the new entry is followed by those invalidations).
 *   Blocking = the cleared entry.
 *  Scalable attach (intel_pasid_setup_*): the device's context entry (P,
 *   PASIDE with ECAP.PASID, PDTS, PASID directory, RID_PASID = 0) is written
 *   once; each (rid, PASID) gets a PASID-table entry: PGTT 001 (first level:
 *   FLPTPTR, FLPM), 010 (second level: SLPTPTR, AW, SLADE), 011 (nested) or
 *   100 (pass-through), DID.  A present entry is torn down first
 *   (intel_pasid_tear_down_entry): cleared, PASID-cache PASID-selective,
 *   PASID-IOTLB (first level / nested) or IOTLB domain-selective (second
 *   level), wait.  Directory and PASID tables are allocated on first use.
 *  Unmap (cache_tag_flush_range): per (DID, PASID) attachment, PSI with
 *   AM from calculate_psi_aligned_address and IH = "no page table freed",
 *   or DSI / PASID-wide when AM > min(MAMV, psi_max_am) or PSI is absent;
 *   then, for attachments of ATS-enabled functions, device-TLB invalidations
 *   (type 3 without a PASID, type 8 with one) of the same aligned range (the
 *   whole device TLB, address [62:12] set and S = 1, for a domain flush);
 *   one wait for all (qi_batch; IOTLB tags before device-TLB tags).
 *  ATS (a root complex port, ECAP.DT and a capable function): enabled with
 *   STU 4 KB at the function's first attach (Linux: probe time); legacy
 *   context entries of paging domains get TT = 01b, scalable context entries
 *   DTE = 1; tearing an entry down adds a device-TLB invalidation of
 *   everything (devtlb_invalidation_with_pasid).  A device-TLB invalidation
 *   time-out (FSTS.ITE, the wait aborted) is cleared and the batch resubmitted
 *   (qi_check_fault -> -EAGAIN -> restart), at most ite_retries times -- Linux
 *   retries while the device is present -- then given up (-ETIMEDOUT, which
 *   Linux's callers ignore).
 *  Faults (dmar_fault): on a fault event, read every record from FSTS.FRI
 *   on while F = 1, clear it, then clear PFO.
 * Dirty tracking: a dirty-capable domain is second level (scalable mode,
 *   ECAP.SLADS; or, where the host allows, first level with D cleared at map);
 *   enabling it sets SSADE in the PASID entry in place, then PASID cache,
 *   IOTLB (DSI), device TLB and a wait (intel_pasid_setup_dirty_tracking).
 * Not done: the RMRR identity maps, the si_domain identity page table
 *   (identity needs ECAP.PT), copied tables (kdump), interrupt remapping,
 *   page requests.
 *  SVA (iom_vtd_drv_dom.sva, intel_svm_set_dev_pasid): a first-level PASID
 *   entry over the process's table (FLPM from its levels), SRE clear (user
 *   requests), never nested over the driver's second level.
 * Timing: entry and descriptor writes are timed writes by "<name>.drv" one
 *   after another from now_ps; the doorbell is rung after the last one; the
 *   caller's completion time is the wait descriptor's status write (Linux
 *   polls that word).  Table allocation and zeroing are functional.
 */
#include "vtd_drv.h"
#include "vtd_prq.h"

#include "config.h"
#include "mem.h"
#include "pgtable.h"
#include "u64map.h"
#include "vtd-regs.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* Configuration.                                                          */

static const char *const drv_mode_names[] = {"auto", "legacy", "scalable", NULL};
static const char *const drv_stage_names[] = {"auto", "first", "second", "nested", NULL};

static const struct iom_vtd_drv_cfg drv_defaults = {
    .mode = IOM_VTD_MODE_AUTO,
    .stage = IOM_VTD_STAGE_AUTO,
    .levels = 0,
    .superpages = true,
    .psi_max_am = 63,
    .pasid_bits = 8,
    .fault_irq = true,
    .ite_retries = 3,
};

static const struct iom_prop drv_props[] = {
    IOM_PROP_ENUM_(struct iom_vtd_drv_cfg, mode, drv_mode_names,
                   "translation-table mode: auto = scalable when ECAP.SMTS, else legacy"),
    IOM_PROP_ENUM_(struct iom_vtd_drv_cfg, stage, drv_stage_names,
                   "paging-domain tables: auto = first level in scalable mode when ECAP.FLTS "
                   "(Linux first_level_by_default), else second level; nested = first level "
                   "over a 1:1 second level of 1 GB pages (needs vtd.nest, sllps 1 GB)"),
    IOM_PROP_U32_(struct iom_vtd_drv_cfg, levels, 0, 5, "levels",
                  "page-table levels of paging domains: 0 = as Linux chooses (from MGAW/SAGAW, "
                  "FL5LP), 3/4/5 = force"),
    IOM_PROP_BOOL_(struct iom_vtd_drv_cfg, superpages,
                   "map with the large pages the unit supports (false = intel_iommu=sp_off)"),
    IOM_PROP_U32_(struct iom_vtd_drv_cfg, psi_max_am, 0, 63, "",
                  "largest address mask of a page-selective invalidation (capped by CAP.MAMV); "
                  "larger ranges get a domain-selective one"),
    IOM_PROP_U32_(struct iom_vtd_drv_cfg, pasid_bits, 6, 20, "bits",
                  "scalable mode: PASID directory sized for PASIDs below 2^pasid_bits"),
    IOM_PROP_BOOL_(struct iom_vtd_drv_cfg, fault_irq,
                   "service fault events: read and clear the fault-recording registers"),
    IOM_PROP_U32_(struct iom_vtd_drv_cfg, ite_retries, 0, 1000, "retries",
                  "device-TLB invalidation time-outs (ITE): resubmissions before the driver "
                  "gives up (Linux retries while the device is present)"),
};

const struct iom_prop_table iom_vtd_drv_prop_table = {
    .section = "vtd.driver",
    .doc = "The Linux intel-iommu driver programming the VT-d model",
    .props = drv_props,
    .nprops = IOM_ARRAY_SIZE(drv_props),
    .defaults = &drv_defaults,
    .struct_size = sizeof(struct iom_vtd_drv_cfg),
};

void iom_vtd_drv_cfg_default(struct iom_vtd_drv_cfg *out)
{
	*out = drv_defaults;
}

int iom_vtd_drv_cfg_bind(struct iom_config *c, struct iom_vtd_drv_cfg *out, struct iom_err *err)
{
	return iom_config_bind(c, &iom_vtd_drv_prop_table, NULL, out, err);
}

/* ---------------------------------------------------------------------- */
/* State.                                                                  */

/* One (rid, PASID) attachment of a domain: its cache tag. */
struct drv_tag {
	uint32_t rid, pasid;
	bool ats; /* the function had ATS enabled: device-TLB invalidations too */
};

struct drv_dom {
	uint32_t did;
	bool first_level; /* PASID-based IOTLB invalidations */
	uint32_t ntags, cap;
	struct drv_tag *tags;
};

struct iom_vtd_drv {
	struct iom_vtd *v;
	struct iom_mem *mem;
	struct iom_palloc *pa;
	struct iom_vtd_drv_cfg cfg;
	int req;
	bool sm, fl;            /* scalable mode; paging domains first-level */
	bool nested;            /* ... nested over nest_sl */
	struct iom_pt *nest_sl; /* the 1:1 second level (GPA = HPA, 1 GB pages) */
	unsigned levels;        /* paging-domain levels */
	uint64_t pgsizes;
	uint64_t root_pa, iq_pa, status_pa;
	uint64_t iq_bytes, tail;
	uint32_t dsc_bytes;
	uint64_t ctx[256][2];         /* context tables per bus (scalable: lower, upper) */
	struct iom_u64map pasid_dirs; /* rid -> PASID directory PA */
	struct iom_u64map pasid_tabs; /* rid << 20 | directory index -> PASID table PA */
	struct iom_u64map doms;       /* did -> struct drv_dom * */
	uint32_t pdir_entries;        /* PASID-directory entries (a power of two >= 512) */
	const struct iom_ats_port *ats_port; /* the root complex's ATS side, or NULL */
	struct iom_u64map ats_on;     /* rid -> 1: ATS enabled in the function */
	struct iom_vtd_drv_stats st;
	struct iom_vtd_prq *prq;      /* page request queue (see "Page requests" at the end) */
	uint64_t prq_pa, prq_bytes;
};

struct iom_vtd *iom_vtd_drv_vtd(struct iom_vtd_drv *drv)
{
	return drv->v;
}
bool iom_vtd_drv_scalable(const struct iom_vtd_drv *drv)
{
	return drv->sm;
}
uint64_t iom_vtd_drv_root_table(const struct iom_vtd_drv *drv)
{
	return drv->root_pa;
}
const struct iom_vtd_drv_stats *iom_vtd_drv_stats(const struct iom_vtd_drv *drv)
{
	return &drv->st;
}

static int drv_alloc(struct iom_vtd_drv *drv, uint64_t *pa, size_t size, const char *what,
                     struct iom_err *err)
{
	*pa = iom_palloc_alloc(drv->pa, size);
	if (!*pa)
		return iom_err_set(err, IOM_ENOMEM,
		                   "vtd drv %s: cannot allocate %zu bytes for the %s",
		                   iom_vtd_name(drv->v), size, what);
	return 0;
}

static uint64_t drv_write(struct iom_vtd_drv *drv, uint64_t pa, const void *buf, size_t len,
                          uint64_t t)
{
	return iom_mem_timed_write(drv->mem, drv->req, pa, buf, len, t, NULL);
}

/* ---------------------------------------------------------------------- */
/* Domain format (Linux: agaw from MGAW/SAGAW, first_level_by_default,      */
/* domain_super_pgsize_bitmap).                                             */

static bool drv_sl_levels_ok(const struct iom_vtd_cfg *c, unsigned levels)
{
	return levels >= 3 && levels <= 5 && (c->sagaw & (1u << (levels - 2)));
}

static unsigned drv_auto_sl_levels(const struct iom_vtd_cfg *c)
{
	unsigned w = IOM_MIN(57u, c->mgaw), need = (w - 12 + 8) / 9;
	for (unsigned l = need; l <= 5; l++)
		if (drv_sl_levels_ok(c, l))
			return l;
	for (unsigned l = 5; l >= 3; l--)
		if (drv_sl_levels_ok(c, l))
			return l;
	return 4;
}

static int drv_choose_format(struct iom_vtd_drv *drv, struct iom_err *err)
{
	const struct iom_vtd_cfg *c = iom_vtd_config(drv->v);

	if (drv->cfg.mode == IOM_VTD_MODE_SCALABLE && !c->smts)
		return iom_err_set(err, IOM_EINVAL, "vtd.driver.mode: scalable needs vtd.smts");
	drv->sm = drv->cfg.mode == IOM_VTD_MODE_SCALABLE ||
	          (drv->cfg.mode == IOM_VTD_MODE_AUTO && c->smts);
	if (drv->cfg.stage == IOM_VTD_STAGE_FIRST && !(drv->sm && c->flts))
		return iom_err_set(
		    err, IOM_EINVAL,
		    "vtd.driver.stage: first-level tables need scalable mode and vtd.flts");
	if (drv->cfg.stage == IOM_VTD_STAGE_SECOND && drv->sm && !c->slts)
		return iom_err_set(
		    err, IOM_EINVAL,
		    "vtd.driver.stage: second level in scalable mode needs vtd.slts");
	if (drv->cfg.stage == IOM_VTD_STAGE_NESTED && !(drv->sm && c->nest && (c->sllps & 2)))
		return iom_err_set(
		    err, IOM_EINVAL,
		    "vtd.driver.stage: nested needs scalable mode, vtd.nest and 1 GB "
		    "second-level pages (vtd.sllps bit 1)");
	drv->nested = drv->cfg.stage == IOM_VTD_STAGE_NESTED;
	drv->fl = drv->nested || drv->cfg.stage == IOM_VTD_STAGE_FIRST ||
	          (drv->cfg.stage == IOM_VTD_STAGE_AUTO && drv->sm && c->flts);
	unsigned lv = drv->cfg.levels;
	if (drv->fl) {
		if (lv && lv != 4 && !(lv == 5 && c->fl5lp))
			return iom_err_set(
			    err, IOM_EINVAL,
			    "vtd.driver.levels %u: a first-level table has 4 levels, or 5 with "
			    "vtd.fl5lp",
			    lv);
		drv->levels = lv ? lv : c->fl5lp ? 5 : 4;
	} else {
		if (lv && !drv_sl_levels_ok(c, lv))
			return iom_err_set(
			    err, IOM_EINVAL,
			    "vtd.driver.levels %u is not in vtd.sagaw 0x%x (2 = 3-level, "
			    "4 = 4-level, 8 = 5-level)",
			    lv, c->sagaw);
		drv->levels = lv ? lv : drv_auto_sl_levels(c);
	}
	drv->pgsizes = 4096;
	if (drv->cfg.superpages) {
		bool p2m = drv->fl || (c->sllps & 1), p1g = drv->fl ? c->fl1gp : (c->sllps & 2);
		drv->pgsizes |= (p2m ? 1ull << 21 : 0) | (p2m && p1g ? 1ull << 30 : 0);
	}
	return 0;
}

void iom_vtd_drv_domain_format(const struct iom_vtd_drv *drv, struct iom_pt_cfg *pc,
                               uint64_t *pgsizes)
{
	*pc = (struct iom_pt_cfg){.fmt = drv->fl ? IOM_PT_X86_FL : IOM_PT_VTD_SL,
	                          .granule_shift = 12,
	                          .ia_bits = (uint8_t)(12 + 9 * drv->levels),
	                          .oa_bits = (uint8_t)iom_vtd_config(drv->v)->haw};
	if (pgsizes)
		*pgsizes = drv->pgsizes;
}

/* ---------------------------------------------------------------------- */
/* Invalidation queue (qi_submit_sync).                                    */

static int drv_check_iqe(struct iom_vtd_drv *drv, struct iom_err *err)
{
	if (!(iom_vtd_read_fsts(drv->v) & VTD_FSTS_IQE))
		return 0;
	return iom_err_set(
	    err, IOM_EIO,
	    "vtd %s: invalidation queue stopped: FSTS.IQE, IQEI %" PRIu64 " at IQH 0x%" PRIx64,
	    iom_vtd_name(drv->v), iom_vtd_read_iqercd(drv->v) & 0xf, iom_vtd_read_iqh(drv->v));
}

static int drv_doorbell(struct iom_vtd_drv *drv, uint64_t now, uint64_t *done, struct iom_err *err)
{
	drv->st.doorbells++;
	int rc = iom_vtd_write_iqt(drv->v, drv->tail, now, done, err);
	return rc ? rc : drv_check_iqe(drv, err);
}

static bool drv_queue_full(struct iom_vtd_drv *drv)
{
	return (drv->tail + drv->dsc_bytes) % drv->iq_bytes == iom_vtd_read_iqh(drv->v);
}

static int drv_put(struct iom_vtd_drv *drv, const uint64_t d[4], uint64_t *t, struct iom_err *err)
{
	if (drv_queue_full(drv)) {
		drv->st.queue_full_waits++;
		int rc = drv_doorbell(drv, *t, t, err);
		if (rc)
			return rc;
		if (drv_queue_full(drv))
			return iom_err_set(err, IOM_EBUSY,
			                   "vtd %s: invalidation queue full, not draining",
			                   iom_vtd_name(drv->v));
	}
	*t = drv_write(drv, drv->iq_pa + drv->tail, d, drv->dsc_bytes, *t);
	drv->tail = (drv->tail + drv->dsc_bytes) % drv->iq_bytes;
	drv->st.descriptors++;
	return 0;
}

static void drv_wait_dsc(uint64_t d[4], uint64_t status_pa)
{
	d[0] = d[1] = d[2] = d[3] = 0;
	d[0] = vtd_set_dsc_type(d[0], VTD_DSC_WAIT);
	d[0] = vtd_set_wait_sw(d[0], 1);
	d[0] = vtd_set_wait_fn(d[0], 1);
	d[0] = vtd_set_wait_stdata(d[0], 1); /* QI_DONE */
	d[1] = status_pa;
}

static int drv_submit_once(struct iom_vtd_drv *drv, const uint64_t (*dsc)[4], size_t n, bool wait,
                           uint64_t now_ps, uint64_t *done_ps, struct iom_err *err)
{
	uint64_t t = now_ps, done = now_ps;
	for (size_t i = 0; i < n; i++) {
		int rc = drv_put(drv, dsc[i], &t, err);
		if (rc)
			return rc;
	}
	if (wait) {
		uint64_t w[4];
		drv_wait_dsc(w, drv->status_pa);
		int rc = drv_put(drv, w, &t, err);
		if (rc)
			return rc;
		drv->st.waits++;
	}
	int rc = drv_doorbell(drv, t, &done, err);
	if (!rc && wait && !(iom_vtd_read_fsts(drv->v) & VTD_FSTS_ITE))
		done = IOM_MAX(done, iom_vtd_last_wait_ps(drv->v));
	if (done_ps)
		*done_ps = done;
	return rc;
}

int iom_vtd_drv_submit(struct iom_vtd_drv *drv, const uint64_t (*dsc)[4], size_t n, bool wait,
                       uint64_t now_ps, uint64_t *done_ps, struct iom_err *err)
{
	uint64_t t = now_ps;
	int rc = drv_submit_once(drv, dsc, n, wait, t, &t, err);
	/* qi_check_fault(): ITE aborted the wait; clear it and submit again. */
	for (uint32_t i = 0; !rc && (iom_vtd_read_fsts(drv->v) & VTD_FSTS_ITE); i++) {
		iom_vtd_write_fsts(drv->v, VTD_FSTS_ITE);
		drv->st.ite_errors++;
		if (i == drv->cfg.ite_retries) {
			drv->st.ite_giveups++; /* -ETIMEDOUT: callers go on */
			break;
		}
		rc = drv_submit_once(drv, dsc, n, wait, t, &t, err);
	}
	if (done_ps)
		*done_ps = t;
	return rc;
}

/* Descriptor builders (qi_flush_*). */
static void dsc_zero(uint64_t d[4], uint64_t type)
{
	d[0] = vtd_set_dsc_type(0, type);
	d[1] = d[2] = d[3] = 0;
}

static void dsc_cc_device(uint64_t d[4], uint32_t did, uint32_t sid)
{
	dsc_zero(d, VTD_DSC_CC);
	d[0] = vtd_set_dsc_g(d[0], VTD_CC_G_DEVICE);
	d[0] = vtd_set_dsc_did(d[0], did);
	d[0] = vtd_set_cc_sid(d[0], sid);
}

static void dsc_iotlb(uint64_t d[4], uint32_t g, uint32_t did, uint64_t addr, unsigned am, bool ih)
{
	dsc_zero(d, VTD_DSC_IOTLB);
	d[0] = vtd_set_dsc_g(d[0], g);
	d[0] = vtd_set_dsc_did(d[0], did);
	d[0] = vtd_set_iotlb_dw(d[0], 1); /* Linux sets drain bits when CAP.DWD / DRD */
	d[0] = vtd_set_iotlb_dr(d[0], 1);
	if (g == VTD_IOTLB_G_PAGE)
		d[1] = vtd_set_inv_ih(vtd_set_inv_am(addr & VTD_ADDR_4K, am), ih);
}

static void dsc_piotlb(uint64_t d[4], uint32_t g, uint32_t did, uint32_t pasid, uint64_t addr,
                       unsigned am, bool ih)
{
	dsc_zero(d, VTD_DSC_PIOTLB);
	d[0] = vtd_set_dsc_g(d[0], g);
	d[0] = vtd_set_dsc_did(d[0], did);
	d[0] = vtd_set_dsc_pasid(d[0], pasid);
	if (g == VTD_PIOTLB_G_PAGE)
		d[1] = vtd_set_inv_ih(vtd_set_inv_am(addr & VTD_ADDR_4K, am), ih);
}

static void dsc_pc(uint64_t d[4], uint32_t g, uint32_t did, uint32_t pasid)
{
	dsc_zero(d, VTD_DSC_PC);
	d[0] = vtd_set_dsc_g(d[0], g);
	d[0] = vtd_set_dsc_did(d[0], did);
	d[0] = vtd_set_dsc_pasid(d[0], pasid);
}

/* ---------------------------------------------------------------------- */
/* Domain bookkeeping (Linux: cache tags).                                  */

static struct drv_dom *drv_dom(struct iom_vtd_drv *drv, uint32_t did)
{
	uint64_t v;
	return iom_u64map_get(&drv->doms, did, &v) ? (struct drv_dom *)(uintptr_t)v : NULL;
}

static int drv_tag_add(struct iom_vtd_drv *drv, uint32_t did, bool fl, uint32_t rid, uint32_t pasid,
                       struct iom_err *err)
{
	struct drv_dom *d = drv_dom(drv, did);
	if (!d) {
		d = calloc(1, sizeof(*d));
		if (!d || iom_u64map_put(&drv->doms, did, (uint64_t)(uintptr_t)d)) {
			free(d);
			return iom_err_set(err, IOM_ENOMEM, "vtd drv: out of memory");
		}
		d->did = did;
	}
	d->first_level = fl;
	if (d->ntags == d->cap) {
		uint32_t cap = d->cap ? 2 * d->cap : 4;
		struct drv_tag *n = realloc(d->tags, cap * sizeof(*n));
		if (!n)
			return iom_err_set(err, IOM_ENOMEM, "vtd drv: out of memory");
		d->tags = n;
		d->cap = cap;
	}
	uint64_t on;
	d->tags[d->ntags++] = (struct drv_tag){rid, pasid, iom_u64map_get(&drv->ats_on, rid, &on)};
	return 0;
}

static void drv_tag_del(struct iom_vtd_drv *drv, uint32_t did, uint32_t rid, uint32_t pasid)
{
	struct drv_dom *d = drv_dom(drv, did);
	if (!d)
		return;
	for (uint32_t i = 0; i < d->ntags; i++) {
		if (d->tags[i].rid == rid && d->tags[i].pasid == pasid) {
			d->tags[i] = d->tags[--d->ntags];
			break;
		}
	}
	if (!d->ntags) {
		iom_u64map_del(&drv->doms, did);
		free(d->tags);
		free(d);
	}
}

/* ---------------------------------------------------------------------- */
/* Lifetime.                                                               */

static int drv_boot_flush(struct iom_vtd_drv *drv, struct iom_err *err)
{
	uint64_t d[3][4];
	size_t n = 0;
	dsc_zero(d[n], VTD_DSC_CC);
	d[n][0] = vtd_set_dsc_g(d[n][0], VTD_CC_G_GLOBAL);
	n++;
	dsc_iotlb(d[n++], VTD_IOTLB_G_GLOBAL, 0, 0, 0, false);
	if (drv->sm)
		dsc_pc(d[n++], VTD_PC_G_GLOBAL, 0, 0);
	return iom_vtd_drv_submit(drv, (const uint64_t(*)[4])d, n, true, 0, NULL, err);
}

static int drv_program(struct iom_vtd_drv *drv, struct iom_err *err)
{
	uint64_t rta =
	    vtd_set_rtaddr_ttm(drv->root_pa, drv->sm ? VTD_TTM_SCALABLE : VTD_TTM_LEGACY);
	uint64_t iqa = drv->iq_pa | (drv->sm ? 1ull << 11 : 0) | (drv->sm ? 1 : 0);
	int rc = iom_vtd_write_rtaddr(drv->v, rta, err);
	if (!rc)
		rc = iom_vtd_write_gcmd(drv->v, VTD_GCMD_SRTP, err);
	if (!rc)
		rc = iom_vtd_write_iqa(drv->v, iqa, err);
	if (!rc)
		rc = iom_vtd_write_gcmd(drv->v, VTD_GCMD_QIE, err);
	if (!rc)
		rc = drv_boot_flush(drv, err);
	if (!rc)
		rc = iom_vtd_write_gcmd(drv->v, VTD_GCMD_QIE | VTD_GCMD_TE, err);
	return rc;
}

/* The second level of nested domains: GPA = HPA over the host address
 * width with 1 GB leaves (functional writes at boot). */
static int drv_nest_sl(struct iom_vtd_drv *drv, struct iom_err *err)
{
	const struct iom_vtd_cfg *c = iom_vtd_config(drv->v);
	unsigned levels = drv_auto_sl_levels(c), ia = 12 + 9 * levels;
	struct iom_pt_cfg pc = {.fmt = IOM_PT_VTD_SL,
	                        .granule_shift = 12,
	                        .ia_bits = (uint8_t)ia,
	                        .oa_bits = (uint8_t)c->haw};
	struct iom_pt_alloc a;
	iom_palloc_as_pt_alloc(drv->pa, &a);
	drv->nest_sl = iom_pt_create(drv->mem, &pc, &a, err);
	if (!drv->nest_sl)
		return -IOM_ENOMEM;
	return iom_pt_map(drv->nest_sl, 0, 0, 1ull << IOM_MIN(c->haw, ia), 1ull << 30,
	                  IOM_PTE_R | IOM_PTE_W, err);
}

static void drv_fault_event(void *ctx)
{
	iom_vtd_drv_service_faults(ctx);
}

struct iom_vtd_drv *iom_vtd_drv_create(struct iom_vtd *v, struct iom_mem *mem,
                                       struct iom_palloc *pa, const struct iom_vtd_drv_cfg *cfg,
                                       struct iom_err *err)
{
	if (!v || !mem || !pa || !cfg) {
		iom_err_set(err, IOM_EINVAL, "vtd drv: create: NULL argument");
		return NULL;
	}
	struct iom_vtd_drv *drv = calloc(1, sizeof(*drv));
	if (!drv) {
		iom_err_set(err, IOM_ENOMEM, "vtd drv: out of memory");
		return NULL;
	}
	char n[64];
	snprintf(n, sizeof(n), "%s.drv", iom_vtd_name(v));
	drv->v = v;
	drv->mem = mem;
	drv->pa = pa;
	drv->cfg = *cfg;
	drv->req = iom_mem_requester(mem, n);
	iom_u64map_init(&drv->pasid_dirs);
	iom_u64map_init(&drv->pasid_tabs);
	iom_u64map_init(&drv->doms);
	int rc = drv->req < 0 ? iom_err_set(err, IOM_EBUSY, "vtd drv: no memory requester") : 0;
	if (!rc)
		rc = drv_choose_format(drv, err);
	drv->dsc_bytes = drv->sm ? 32 : 16;
	drv->iq_bytes = drv->sm ? 8192 : 4096; /* 256 descriptors (Linux QI_LENGTH) */
	drv->pdir_entries = 1u << IOM_MAX(9, (int)cfg->pasid_bits - 6);
	if (!rc)
		rc = drv_alloc(drv, &drv->root_pa, 4096, "root table", err);
	if (!rc)
		rc = drv_alloc(drv, &drv->iq_pa, drv->iq_bytes, "invalidation queue", err);
	if (!rc)
		rc = drv_alloc(drv, &drv->status_pa, 4096, "wait status page", err);
	if (!rc && drv->nested)
		rc = drv_nest_sl(drv, err);
	if (!rc && cfg->fault_irq)
		iom_vtd_set_fault_handler(v, drv_fault_event, drv);
	if (!rc)
		rc = drv_program(drv, err);
	if (rc) {
		iom_vtd_set_fault_handler(v, NULL, NULL);
		iom_vtd_drv_destroy(drv);
		return NULL;
	}
	return drv;
}

void iom_vtd_drv_destroy(struct iom_vtd_drv *drv)
{
	if (!drv)
		return;
	uint64_t k, val;
	for (size_t it = 0; iom_u64map_next(&drv->pasid_tabs, &it, &k, &val);)
		iom_palloc_free(drv->pa, val, 4096);
	for (size_t it = 0; iom_u64map_next(&drv->pasid_dirs, &it, &k, &val);)
		iom_palloc_free(drv->pa, val, (size_t)drv->pdir_entries * VTD_PDE_BYTES);
	for (size_t it = 0; iom_u64map_next(&drv->doms, &it, &k, &val);) {
		struct drv_dom *d = (struct drv_dom *)(uintptr_t)val;
		free(d->tags);
		free(d);
	}
	for (unsigned b = 0; b < 256; b++)
		for (unsigned h = 0; h < 2; h++)
			if (drv->ctx[b][h])
				iom_palloc_free(drv->pa, drv->ctx[b][h], 4096);
	if (drv->root_pa)
		iom_palloc_free(drv->pa, drv->root_pa, 4096);
	if (drv->iq_pa)
		iom_palloc_free(drv->pa, drv->iq_pa, drv->iq_bytes);
	if (drv->status_pa)
		iom_palloc_free(drv->pa, drv->status_pa, 4096);
	if (drv->prq_pa)
		iom_palloc_free(drv->pa, drv->prq_pa, drv->prq_bytes);
	iom_pt_destroy(drv->nest_sl);
	iom_u64map_fini(&drv->pasid_dirs);
	iom_u64map_fini(&drv->pasid_tabs);
	iom_u64map_fini(&drv->doms);
	iom_u64map_fini(&drv->ats_on);
	free(drv);
}

/* ---------------------------------------------------------------------- */
/* Context entries.                                                        */

/* PA of the context entry of rid, allocating its table (and writing the
 * root entry) on first use. */
static int drv_ctx_pa(struct iom_vtd_drv *drv, uint32_t rid, uint64_t *pa, uint64_t *t,
                      struct iom_err *err)
{
	uint32_t bus = rid >> 8 & 0xff, devfn = rid & 0xff, half = drv->sm && devfn >= 128;
	if (!drv->ctx[bus][half]) {
		int rc = drv_alloc(drv, &drv->ctx[bus][half], 4096, "context table", err);
		if (rc)
			return rc;
		uint64_t re[2];
		iom_mem_read(drv->mem, drv->root_pa + bus * VTD_ROOT_BYTES, re, sizeof(re), NULL);
		re[half] = vtd_set_re_p(drv->ctx[bus][half], 1);
		*t = drv_write(drv, drv->root_pa + bus * VTD_ROOT_BYTES, re, sizeof(re), *t);
		drv->st.root_writes++;
	}
	*pa = drv->ctx[bus][half] +
	      (drv->sm ? (devfn & 0x7f) * VTD_SMCE_BYTES : devfn * VTD_CE_BYTES);
	return 0;
}

/* qi_flush_dev_iotlb() / qi_flush_dev_iotlb_pasid(): the device TLB of (rid,
 * pasid) for the aligned block of 2^am pages at addr (am >= 52: everything:
 * address bits [62:12] set, S = 1); SID = PFSID (no VFs), QDEP 0 (32). */
static void dsc_devtlb(uint64_t d[4], bool sm, uint32_t rid, uint32_t pasid, uint64_t addr,
                       unsigned am)
{
	uint64_t field = iom_ats_size_encode(addr, am >= 52 ? 64 : 12 + am);
	bool s = field & IOM_ATS_CPL_S;
	if (!sm || !pasid) { /* type 3: SID [47:32], S qw1 bit 0 */
		dsc_zero(d, VTD_DSC_DEVTLB);
		d[0] = vtd_set_devtlb_sid(d[0], rid);
		d[1] = vtd_set_devtlb_s(vtd_addr(field), s);
		return;
	}
	dsc_zero(d, VTD_DSC_PDEVTLB); /* type 8: SID [31:16], PASID [51:32], S qw1 bit 11 */
	d[0] = vtd_set_pdevtlb_sid(d[0], rid);
	d[0] = vtd_set_dsc_pasid(d[0], pasid);
	d[1] = vtd_set_pdevtlb_s(vtd_addr(field), s);
}

static bool drv_ats_on(const struct iom_vtd_drv *drv, uint32_t rid)
{
	uint64_t v;
	return iom_u64map_get(&drv->ats_on, rid, &v);
}

/* Legacy: clear a present context entry and flush (domain_context_clear_one). */
static int drv_legacy_clear(struct iom_vtd_drv *drv, uint32_t rid, uint64_t pa, uint64_t *t,
                            struct iom_err *err)
{
	uint64_t ce[2];
	iom_mem_read(drv->mem, pa, ce, sizeof(ce), NULL);
	if (!vtd_ce_p(ce[0]))
		return 0;
	uint32_t did = (uint32_t)vtd_ce_did(ce[1]);
	uint64_t zero[2] = {0, 0}, d[3][4];
	size_t n = 2;
	*t = drv_write(drv, pa, zero, sizeof(zero), *t);
	drv->st.ctx_writes++;
	dsc_cc_device(d[0], did, rid);
	dsc_iotlb(d[1], VTD_IOTLB_G_DOMAIN, did, 0, 0, false);
	drv->st.dsi++;
	if (drv_ats_on(drv, rid)) {
		dsc_devtlb(d[n++], false, rid, 0, 0, 64);
		drv->st.devtlb++;
	}
	drv_tag_del(drv, did, rid, 0);
	return iom_vtd_drv_submit(drv, (const uint64_t(*)[4])d, n, true, *t, t, err);
}

static int drv_legacy_attach(struct iom_vtd_drv *drv, uint32_t rid,
                             const struct iom_vtd_drv_dom *dom, uint64_t *t, struct iom_err *err)
{
	const struct iom_vtd_cfg *c = iom_vtd_config(drv->v);
	uint64_t pa = 0, ce[2] = {0, 0};
	int rc = drv_ctx_pa(drv, rid, &pa, t, err);
	if (!rc)
		rc = drv_legacy_clear(drv, rid, pa, t, err);
	if (rc || dom->type == IOM_VTD_DOM_BLOCKED)
		return rc;
	if (dom->type == IOM_VTD_DOM_IDENTITY && !c->pt)
		return iom_err_set(
		    err, IOM_ENOTSUP,
		    "vtd: identity domain without ECAP.PT (the si_domain identity table) "
		    "is not implemented");
	if (dom->type == IOM_VTD_DOM_PAGING && (dom->first_level || dom->nested))
		return iom_err_set(err, IOM_EINVAL, "vtd: first-level tables need scalable mode");
	unsigned levels = dom->type == IOM_VTD_DOM_PAGING ? dom->levels : drv_auto_sl_levels(c);
	ce[0] = vtd_set_ce_p(ce[0], 1);
	/* domain_context_mapping_one(): TT = 01b (device TLB) for ATS functions */
	ce[0] = vtd_set_ce_tt(ce[0], dom->type == IOM_VTD_DOM_IDENTITY ? VTD_TT_PT
	                             : drv_ats_on(drv, rid)           ? VTD_TT_SL_DT
	                                                              : VTD_TT_SL);
	if (dom->type == IOM_VTD_DOM_PAGING)
		ce[0] |= dom->root & VTD_ADDR_4K;
	ce[1] = vtd_set_ce_aw(ce[1], levels - 2);
	ce[1] = vtd_set_ce_did(ce[1], dom->did);
	*t = drv_write(drv, pa, ce, sizeof(ce), *t);
	drv->st.ctx_writes++;
	rc = drv_tag_add(drv, dom->did, false, rid, 0, err);
	if (rc || !c->cm)
		return rc;
	uint64_t d[2][4];
	dsc_cc_device(d[0], 0, rid);
	dsc_iotlb(d[1], VTD_IOTLB_G_DOMAIN, dom->did, 0, 0, false);
	return iom_vtd_drv_submit(drv, (const uint64_t(*)[4])d, 2, true, *t, t, err);
}

/* ---------------------------------------------------------------------- */
/* Scalable mode: context entry, PASID directory and tables.               */

static int drv_sm_context(struct iom_vtd_drv *drv, uint32_t rid, uint64_t *dir, uint64_t *t,
                          struct iom_err *err)
{
	uint64_t v;
	if (iom_u64map_get(&drv->pasid_dirs, rid, &v)) {
		*dir = v;
		return 0;
	}
	const struct iom_vtd_cfg *c = iom_vtd_config(drv->v);
	uint64_t pa = 0, ce[4] = {0, 0, 0, 0};
	size_t bytes = (size_t)drv->pdir_entries * VTD_PDE_BYTES;
	int rc = drv_ctx_pa(drv, rid, &pa, t, err);
	if (!rc)
		rc = drv_alloc(drv, dir, bytes, "PASID directory", err);
	if (!rc && iom_u64map_put(&drv->pasid_dirs, rid, *dir)) {
		iom_palloc_free(drv->pa, *dir, bytes);
		rc = iom_err_set(err, IOM_ENOMEM, "vtd drv: out of memory");
	}
	if (rc)
		return rc;
	unsigned pdts = 0;
	while ((1u << (pdts + 7)) < drv->pdir_entries)
		pdts++;
	ce[0] = vtd_set_smce_p(*dir, 1);
	ce[0] = vtd_set_smce_paside(ce[0], c->pasid);
	ce[0] = vtd_set_smce_pdts(ce[0], pdts);
	ce[0] = vtd_set_smce_dte(ce[0], drv_ats_on(drv, rid)); /* context_set_sm_dte() */
	ce[1] = vtd_set_smce_rid_pasid(0, 0); /* IOMMU_NO_PASID */
	*t = drv_write(drv, pa, ce, sizeof(ce), *t);
	drv->st.ctx_writes++;
	return 0;
}

/* PA of the PASID-table entry of (rid, pasid). */
static int drv_pe_pa(struct iom_vtd_drv *drv, uint32_t rid, uint32_t pasid, uint64_t *pa,
                     uint64_t *t, struct iom_err *err)
{
	if ((uint64_t)pasid >> 6 >= drv->pdir_entries)
		return iom_err_set(
		    err, IOM_ERANGE,
		    "vtd drv: PASID %u beyond the %u-bit PASID directory (vtd.driver.pasid_bits)",
		    pasid, drv->cfg.pasid_bits);
	uint64_t dir, tab, key = ((uint64_t)rid << 20) | (pasid >> 6);
	int rc = drv_sm_context(drv, rid, &dir, t, err);
	if (rc)
		return rc;
	if (!iom_u64map_get(&drv->pasid_tabs, key, &tab)) {
		rc = drv_alloc(drv, &tab, 4096, "PASID table", err);
		if (!rc && iom_u64map_put(&drv->pasid_tabs, key, tab)) {
			iom_palloc_free(drv->pa, tab, 4096);
			rc = iom_err_set(err, IOM_ENOMEM, "vtd drv: out of memory");
		}
		if (rc)
			return rc;
		uint64_t pde = vtd_set_pde_p(tab, 1);
		*t = drv_write(drv, dir + (pasid >> 6) * VTD_PDE_BYTES, &pde, sizeof(pde), *t);
		drv->st.pasid_dir_writes++;
	}
	*pa = tab + (pasid & 63) * VTD_PTE_BYTES;
	return 0;
}

/* intel_pasid_tear_down_entry: clear a present entry and flush. */
static int drv_pe_clear(struct iom_vtd_drv *drv, uint32_t rid, uint32_t pasid, uint64_t pa,
                        uint64_t *t, struct iom_err *err)
{
	uint64_t pe[8], zero[8] = {0}, d[3][4];
	size_t n = 2;
	iom_mem_read(drv->mem, pa, pe, sizeof(pe), NULL);
	if (!vtd_pte_p(pe[0]))
		return 0;
	uint32_t did = (uint32_t)vtd_pte_did(pe[1]);
	uint64_t pgtt = vtd_pte_pgtt(pe[0]);
	*t = drv_write(drv, pa, zero, sizeof(zero), *t);
	drv->st.pasid_writes++;
	dsc_pc(d[0], VTD_PC_G_PASID, did, pasid);
	if (pgtt == VTD_PGTT_FL || pgtt == VTD_PGTT_NESTED) {
		dsc_piotlb(d[1], VTD_PIOTLB_G_PASID, did, pasid, 0, 0, false);
		drv->st.piotlb_pasid++;
	} else {
		dsc_iotlb(d[1], VTD_IOTLB_G_DOMAIN, did, 0, 0, false);
		drv->st.dsi++;
	}
	if (drv_ats_on(drv, rid)) { /* devtlb_invalidation_with_pasid() */
		dsc_devtlb(d[n++], true, rid, pasid, 0, 64);
		drv->st.devtlb++;
	}
	drv_tag_del(drv, did, rid, pasid);
	return iom_vtd_drv_submit(drv, (const uint64_t(*)[4])d, n, true, *t, t, err);
}

static void drv_pe_build(const struct iom_vtd_drv_dom *dom, uint64_t pe[8])
{
	memset(pe, 0, 8 * sizeof(uint64_t));
	pe[0] = vtd_set_pte_p(pe[0], 1);
	pe[1] = vtd_set_pte_did(pe[1], dom->did);
	if (dom->type == IOM_VTD_DOM_IDENTITY) {
		pe[0] = vtd_set_pte_pgtt(pe[0], VTD_PGTT_PT);
		return;
	}
	if (dom->first_level || dom->nested) {
		pe[2] = dom->root & VTD_ADDR_4K;
		pe[2] = vtd_set_pte_flpm(pe[2], dom->levels == 5);
		pe[0] = vtd_set_pte_pgtt(pe[0], dom->nested ? VTD_PGTT_NESTED : VTD_PGTT_FL);
	}
	if (!dom->first_level || dom->nested) {
		uint64_t root = dom->nested ? dom->sl_root : dom->root;
		unsigned lv = dom->nested ? dom->sl_levels : dom->levels;
		pe[0] |= root & VTD_ADDR_4K;
		pe[0] = vtd_set_pte_aw(pe[0], lv - 2);
		pe[0] = vtd_set_pte_slade(pe[0], dom->slade);
		if (!dom->nested)
			pe[0] = vtd_set_pte_pgtt(pe[0], VTD_PGTT_SL);
	}
}

static int drv_sm_attach(struct iom_vtd_drv *drv, uint32_t rid, int64_t pasid,
                         const struct iom_vtd_drv_dom *dom, uint64_t *t, struct iom_err *err)
{
	const struct iom_vtd_cfg *c = iom_vtd_config(drv->v);
	uint32_t p = pasid < 0 ? 0 : (uint32_t)pasid; /* RID_PASID = IOMMU_NO_PASID = 0 */
	uint64_t pa = 0, pe[8];
	int rc = drv_pe_pa(drv, rid, p, &pa, t, err);
	if (!rc)
		rc = drv_pe_clear(drv, rid, p, pa, t, err);
	if (rc || dom->type == IOM_VTD_DOM_BLOCKED)
		return rc;
	if (dom->type == IOM_VTD_DOM_IDENTITY && !c->pt)
		return iom_err_set(err, IOM_ENOTSUP,
		                   "vtd: identity domain without ECAP.PT is not implemented");
	struct iom_vtd_drv_dom nd;
	if (drv->nested && dom->type == IOM_VTD_DOM_PAGING && dom->first_level && !dom->sva) {
		nd = *dom;
		nd.nested = true;
		nd.sl_root = iom_pt_root(drv->nest_sl);
		nd.sl_levels = iom_pt_geom(drv->nest_sl)->levels;
		dom = &nd;
	}
	drv_pe_build(dom, pe);
	*t = drv_write(drv, pa, pe, sizeof(pe), *t);
	drv->st.pasid_writes++;
	rc = drv_tag_add(drv, dom->did, dom->first_level || dom->nested, rid, p, err);
	if (rc || !c->cm)
		return rc;
	uint64_t d[1][4];
	dsc_pc(d[0], VTD_PC_G_PASID, dom->did, p);
	return iom_vtd_drv_submit(drv, (const uint64_t(*)[4])d, 1, true, *t, t, err);
}

int iom_vtd_drv_attach(struct iom_vtd_drv *drv, uint32_t rid, int64_t pasid,
                       const struct iom_vtd_drv_dom *dom, uint64_t now_ps, uint64_t *done_ps,
                       struct iom_err *err)
{
	uint64_t t = now_ps;
	const struct iom_vtd_cfg *c = iom_vtd_config(drv->v);
	int rc;
	if (dom->type != IOM_VTD_DOM_BLOCKED && (uint64_t)dom->did >> (4 + 2 * c->nd))
		return iom_err_set(err, IOM_ERANGE, "vtd: domain ID %u beyond CAP.ND %u (%u IDs)",
		                   dom->did, c->nd, 1u << (4 + 2 * c->nd));
	/* ATS: pci_enable_ats(pdev, VTD_PAGE_SHIFT) at the first attach (Linux: probe) */
	if (dom->type != IOM_VTD_DOM_BLOCKED && iom_vtd_drv_ats_supported(drv, rid & 0xffff) &&
	    !drv_ats_on(drv, rid & 0xffff)) {
		rc = drv->ats_port->ops->enable(drv->ats_port->ctx, rid & 0xffff, true, 12, err);
		if (!rc && iom_u64map_put(&drv->ats_on, rid & 0xffff, 1))
			rc = iom_err_set(err, IOM_ENOMEM, "vtd drv: out of memory");
		if (rc)
			return rc;
	}
	if (drv->sm)
		rc = drv_sm_attach(drv, rid & 0xffff, pasid, dom, &t, err);
	else if (pasid >= 0)
		rc = iom_err_set(err, IOM_ENOTSUP,
		                 "vtd: PASID %lld in legacy mode (needs scalable mode: vtd.smts)",
		                 (long long)pasid);
	else
		rc = drv_legacy_attach(drv, rid & 0xffff, dom, &t, err);
	if (done_ps)
		*done_ps = t;
	return rc;
}

int iom_vtd_drv_detach(struct iom_vtd_drv *drv, uint32_t rid, int64_t pasid, uint64_t now_ps,
                       uint64_t *done_ps, struct iom_err *err)
{
	struct iom_vtd_drv_dom blocked = {.type = IOM_VTD_DOM_BLOCKED};
	return iom_vtd_drv_attach(drv, rid, pasid, &blocked, now_ps, done_ps, err);
}

/* ---------------------------------------------------------------------- */
/* Dirty tracking (intel_iommu_domain_alloc_paging_flags with              */
/* IOMMU_HWPT_ALLOC_DIRTY_TRACKING, intel_pasid_setup_dirty_tracking).     */

int iom_vtd_drv_dirty_format(const struct iom_vtd_drv *drv, struct iom_pt_cfg *pc,
                             uint64_t *pgsizes, bool first_level_ok, struct iom_err *err)
{
	const struct iom_vtd_cfg *c = iom_vtd_config(drv->v);
	if (!drv->sm)
		return iom_err_set(err, IOM_EINVAL,
		                   "EOPNOTSUPP: VT-d dirty tracking needs scalable mode (vtd.smts)");
	if (drv->nested)
		return iom_err_set(err, IOM_ENOTSUP,
		                   "vtd: dirty tracking of nested domains (vtd.driver.stage = "
		                   "nested) is not implemented");
	if (drv->fl && first_level_ok)
		return 0; /* first level: the host builds leaves with D = 0 */
	if (!c->slads || !c->slts)
		return iom_err_set(err, IOM_EINVAL,
		                   "EOPNOTSUPP: VT-d dirty tracking needs second-level tables with "
		                   "A/D bits (vtd.slts, vtd.slads)");
	unsigned lv = drv->cfg.levels && drv_sl_levels_ok(c, drv->cfg.levels)
	                  ? drv->cfg.levels
	                  : drv_auto_sl_levels(c);
	*pc = (struct iom_pt_cfg){.fmt = IOM_PT_VTD_SL,
	                          .granule_shift = 12,
	                          .ia_bits = (uint8_t)(12 + 9 * lv),
	                          .oa_bits = (uint8_t)c->haw};
	uint64_t ps = 4096;
	if (drv->cfg.superpages && (c->sllps & 1))
		ps |= (1ull << 21) | ((c->sllps & 2) ? 1ull << 30 : 0);
	if (pgsizes)
		*pgsizes = ps;
	return 0;
}

int iom_vtd_drv_set_slade(struct iom_vtd_drv *drv, uint32_t rid, int64_t pasid, bool on,
                          uint64_t now_ps, uint64_t *done_ps, struct iom_err *err)
{
	uint32_t p = pasid < 0 ? 0 : (uint32_t)pasid;
	uint64_t t = now_ps, pa = 0, pe[8], d[3][4];
	size_t n = 2;
	if (done_ps)
		*done_ps = now_ps;
	if (!drv->sm)
		return iom_err_set(err, IOM_EINVAL, "vtd: SSADE needs scalable mode");
	int rc = drv_pe_pa(drv, rid & 0xffff, p, &pa, &t, err);
	if (rc)
		return rc;
	iom_mem_read(drv->mem, pa, pe, sizeof(pe), NULL);
	if (!vtd_pte_p(pe[0]) || vtd_pte_pgtt(pe[0]) != VTD_PGTT_SL)
		return iom_err_set(err, IOM_EINVAL,
		                   "vtd: %02x:%02x.%x PASID %u has no second-level entry for SSADE",
		                   (rid >> 8) & 0xff, (rid >> 3) & 0x1f, rid & 7, p);
	if (!!vtd_pte_slade(pe[0]) == on)
		return 0; /* already in that state: Linux returns without a flush */
	uint32_t did = (uint32_t)vtd_pte_did(pe[1]);
	pe[0] = vtd_set_pte_slade(pe[0], on);
	t = drv_write(drv, pa, pe, sizeof(pe[0]), t);
	drv->st.pasid_writes++;
	/* intel_pasid_flush_present(): PASID cache, IOTLB (DSI), device TLB, wait */
	dsc_pc(d[0], VTD_PC_G_PASID, did, p);
	dsc_iotlb(d[1], VTD_IOTLB_G_DOMAIN, did, 0, 0, false);
	drv->st.dsi++;
	if (drv_ats_on(drv, rid & 0xffff)) {
		dsc_devtlb(d[n++], true, rid & 0xffff, p, 0, 64);
		drv->st.devtlb++;
	}
	rc = iom_vtd_drv_submit(drv, (const uint64_t(*)[4])d, n, true, t, &t, err);
	if (done_ps)
		*done_ps = t;
	return rc;
}

/* ---------------------------------------------------------------------- */
/* IOTLB invalidation (cache_tag_flush_range).                              */

uint64_t iom_vtd_psi_range(uint64_t start, uint64_t size, unsigned *am)
{
	uint64_t pfn = start >> 12, last = (start + size - 1) >> 12, pages = last - pfn + 1;
	unsigned mask = 0;
	while ((1ull << mask) < pages)
		mask++;
	if (pfn & ((1ull << mask) - 1)) {
		/* not aligned: the lowest bit above the mask where pfn and the
		 * last pfn agree from there up */
		uint64_t shared = ~(pfn ^ last) & ~((1ull << mask) - 1);
		mask = shared ? (unsigned)__builtin_ctzll(shared) : 64;
	}
	*am = mask;
	return mask >= 52 ? 0 : (pfn & ~((1ull << mask) - 1)) << 12;
}

static unsigned drv_max_am(const struct iom_vtd_drv *drv)
{
	return IOM_MIN(drv->cfg.psi_max_am, iom_vtd_config(drv->v)->mamv);
}

int iom_vtd_drv_flush_range(struct iom_vtd_drv *drv, uint32_t did, uint64_t iova, uint64_t size,
                            bool leaf, uint64_t now_ps, uint64_t *done_ps, struct iom_err *err)
{
	struct drv_dom *d = drv_dom(drv, did);
	if (done_ps)
		*done_ps = now_ps;
	if (!d || !size)
		return 0;
	unsigned am;
	uint64_t addr = iom_vtd_psi_range(iova, size, &am);
	bool psi = iom_vtd_config(drv->v)->psi && am <= drv_max_am(drv);
	uint64_t(*dsc)[4] = calloc(2 * (size_t)d->ntags + 1, sizeof(*dsc));
	if (!dsc)
		return iom_err_set(err, IOM_ENOMEM, "vtd drv: out of memory");
	size_t n = 0;
	if (!d->first_level) { /* one IOTLB descriptor covers every attachment of the DID */
		dsc_iotlb(dsc[n++], psi ? VTD_IOTLB_G_PAGE : VTD_IOTLB_G_DOMAIN, did, addr, am,
		          leaf);
		if (psi)
			drv->st.psi++;
		else
			drv->st.dsi++;
	} else {
		for (uint32_t i = 0; i < d->ntags; i++) {
			bool dup = false;
			for (uint32_t j = 0; j < i; j++)
				dup = dup || d->tags[j].pasid == d->tags[i].pasid;
			if (dup)
				continue;
			dsc_piotlb(dsc[n++], psi ? VTD_PIOTLB_G_PAGE : VTD_PIOTLB_G_PASID, did,
			           d->tags[i].pasid, addr, am, leaf);
			if (psi)
				drv->st.piotlb_page++;
			else
				drv->st.piotlb_pasid++;
		}
	}
	for (uint32_t i = 0; i < d->ntags; i++) { /* CACHE_TAG_DEVTLB, after every IOTLB tag */
		if (!d->tags[i].ats)
			continue;
		dsc_devtlb(dsc[n++], drv->sm, d->tags[i].rid, d->tags[i].pasid, addr, am);
		drv->st.devtlb++;
	}
	int rc = iom_vtd_drv_submit(drv, (const uint64_t(*)[4])dsc, n, true, now_ps, done_ps, err);
	free(dsc);
	return rc;
}

int iom_vtd_drv_flush_domain(struct iom_vtd_drv *drv, uint32_t did, uint64_t now_ps,
                             uint64_t *done_ps, struct iom_err *err)
{
	/* a range so large that the mask exceeds any MAMV: domain / PASID-wide */
	return iom_vtd_drv_flush_range(drv, did, 0, 1ull << 63, false, now_ps, done_ps, err);
}

static int drv_u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int drv_flush_all(struct iom_vtd_drv *drv, uint64_t now_ps, uint64_t *done_ps,
                         struct iom_err *err)
{
	size_t n = 0, nr = 0, cap = 3 + drv->ats_on.len;
	uint64_t(*d)[4] = calloc(cap, sizeof(*d)), rid, v;
	uint64_t *rids = calloc(drv->ats_on.len + 1, sizeof(*rids));
	if (!d || !rids) {
		free(d);
		free(rids);
		return iom_err_set(err, IOM_ENOMEM, "vtd drv: out of memory");
	}
	dsc_zero(d[n], VTD_DSC_CC);
	d[n][0] = vtd_set_dsc_g(d[n][0], VTD_CC_G_GLOBAL);
	n++;
	dsc_iotlb(d[n++], VTD_IOTLB_G_GLOBAL, 0, 0, 0, false);
	if (drv->sm)
		dsc_pc(d[n++], VTD_PC_G_GLOBAL, 0, 0);
	for (size_t it = 0; iom_u64map_next(&drv->ats_on, &it, &rid, &v);)
		rids[nr++] = rid;
	qsort(rids, nr, sizeof(*rids), drv_u64_cmp); /* every device TLB, by source-id */
	for (size_t i = 0; i < nr; i++) {
		dsc_devtlb(d[n++], false, (uint32_t)rids[i], 0, 0, 64);
		drv->st.devtlb++;
	}
	int rc = iom_vtd_drv_submit(drv, (const uint64_t(*)[4])d, n, true, now_ps, done_ps, err);
	free(d);
	free(rids);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Faults (dmar_fault).                                                    */

unsigned iom_vtd_drv_service_faults(struct iom_vtd_drv *drv)
{
	struct iom_vtd *v = drv->v;
	uint32_t fsts = iom_vtd_read_fsts(v), nfr = iom_vtd_config(v)->nfr, n = 0;
	if (fsts & VTD_FSTS_PPF) {
		for (uint32_t i = (uint32_t)vtd_fsts_fri(fsts); n < nfr; i = (i + 1) % nfr) {
			uint64_t lo, hi;
			iom_vtd_read_frcd(v, i, &lo, &hi);
			if (!vtd_frcd_f(hi))
				break;
			iom_vtd_clear_frcd(v, i);
			n++;
		}
	}
	iom_vtd_write_fsts(v, VTD_FSTS_PFO);
	drv->st.faults_serviced += n;
	return n;
}

/* ---------------------------------------------------------------------- */
/* The common IOMMU interface.                                             */

static int drv_op_translate(void *self, struct iom_txn *t, struct iom_err *err)
{
	return iom_vtd_translate(((struct iom_vtd_drv *)self)->v, t, err);
}

static int drv_op_invalidate(void *self, const struct iom_inval *inv, uint64_t now_ps,
                             uint64_t *done_ps, struct iom_err *err)
{
	struct iom_vtd_drv *drv = self;
	uint64_t d[1][4];

	switch (inv->scope) {
	case IOM_INVAL_ALL:
		return drv_flush_all(drv, now_ps, done_ps, err);
	case IOM_INVAL_DOMAIN:
		return iom_vtd_drv_flush_domain(drv, inv->tag, now_ps, done_ps, err);
	case IOM_INVAL_RANGE:
		return iom_vtd_drv_flush_range(drv, inv->tag, inv->iova, inv->size, inv->leaf,
		                               now_ps, done_ps, err);
	case IOM_INVAL_DEV_CFG:
		dsc_cc_device(d[0], inv->tag, inv->rid);
		return iom_vtd_drv_submit(drv, (const uint64_t(*)[4])d, 1, true, now_ps, done_ps,
		                          err);
	case IOM_INVAL_PASID_CFG:
		if (!drv->sm)
			return iom_err_set(err, IOM_EINVAL,
			                   "vtd: PASID-cache invalidation in legacy mode");
		dsc_pc(d[0], VTD_PC_G_PASID, inv->tag, inv->pasid);
		return iom_vtd_drv_submit(drv, (const uint64_t(*)[4])d, 1, true, now_ps, done_ps,
		                          err);
	default:
		return iom_err_set(err, IOM_EINVAL, "vtd %s: invalidation scope %u unknown",
		                   iom_vtd_name(drv->v), inv->scope);
	}
}

static int drv_op_doorbell(void *self, uint64_t now_ps, uint64_t *done_ps, struct iom_err *err)
{
	return drv_doorbell(self, now_ps, done_ps, err);
}

static int drv_op_register_stats(void *self, struct iom_stats *s, const char *prefix,
                                 struct iom_err *err)
{
	struct iom_vtd_drv *drv = self;
	static const struct iom_stats_field ctr[] = {
#define DRV_CTR(f, d) IOM_STATS_FIELD(struct iom_vtd_drv_stats, f, "", d)
	    DRV_CTR(descriptors, "descriptors written by the driver"),
	    DRV_CTR(waits, "wait descriptors written by the driver"),
	    DRV_CTR(doorbells, "IQT writes"),
	    DRV_CTR(queue_full_waits, "times the driver found the queue full and waited"),
	    DRV_CTR(psi, "page-selective IOTLB invalidations"),
	    DRV_CTR(dsi, "domain-selective IOTLB invalidations"),
	    DRV_CTR(piotlb_page, "page-selective PASID-IOTLB invalidations"),
	    DRV_CTR(piotlb_pasid, "PASID-wide PASID-IOTLB invalidations"),
	    DRV_CTR(ctx_writes, "context-entry writes"),
	    DRV_CTR(pasid_writes, "PASID-table entry writes"),
	    DRV_CTR(root_writes, "root-entry writes"),
	    DRV_CTR(pasid_dir_writes, "PASID-directory entry writes"),
	    DRV_CTR(faults_serviced, "fault records read and cleared by the interrupt handler"),
	    DRV_CTR(devtlb, "device-TLB invalidation descriptors (ATS functions)"),
	    DRV_CTR(ite_errors, "invalidation time-out errors (FSTS.ITE) cleared"),
	    DRV_CTR(ite_giveups, "batches given up after vtd.driver.ite_retries resubmissions"),
#undef DRV_CTR
	};
	int rc = iom_vtd_register_stats(drv->v, s, prefix, err);
	char p[128];
	snprintf(p, sizeof(p), "%s.drv", prefix);
	return rc ? rc : iom_stats_counters(s, p, &drv->st, ctr, IOM_ARRAY_SIZE(ctr), err);
}

static void drv_op_destroy(void *self)
{
	struct iom_vtd_drv *drv = self;
	struct iom_vtd *v = drv->v;
	iom_vtd_drv_destroy(drv);
	iom_vtd_destroy(v);
}

/* ---------------------------------------------------------------------- */
/* ATS.                                                                    */

void iom_vtd_drv_set_ats_port(struct iom_vtd_drv *drv, const struct iom_ats_port *port)
{
	drv->ats_port = port;
	iom_vtd_set_ats_port(drv->v, port);
}

bool iom_vtd_drv_ats_supported(const struct iom_vtd_drv *drv, uint32_t rid)
{
	return drv->ats_port && iom_vtd_config(drv->v)->dt &&
	       drv->ats_port->ops->capable(drv->ats_port->ctx, rid);
}

bool iom_vtd_drv_ats_enabled(const struct iom_vtd_drv *drv, uint32_t rid)
{
	return drv_ats_on(drv, rid);
}

static int drv_op_ats_translate(void *self, struct iom_ats_req *r, struct iom_err *err)
{
	return iom_vtd_ats_translate(((struct iom_vtd_drv *)self)->v, r, err);
}

static void drv_op_set_ats_port(void *self, const struct iom_ats_port *port)
{
	iom_vtd_drv_set_ats_port(self, port);
}

static const struct iom_iommu_ops drv_ops = {
    .kind = "vtd",
    .translate = drv_op_translate,
    .invalidate = drv_op_invalidate,
    .doorbell = drv_op_doorbell,
    .register_stats = drv_op_register_stats,
    .destroy = drv_op_destroy,
    .ats_translate = drv_op_ats_translate,
    .set_ats_port = drv_op_set_ats_port,
};

void iom_vtd_drv_as_iommu(struct iom_vtd_drv *drv, struct iom_iommu *out)
{
	out->ops = &drv_ops;
	out->self = drv;
	snprintf(out->name, sizeof(out->name), "%s", iom_vtd_name(drv->v));
}

/* ---------------------------------------------------------------------- */
/* Page requests (intel_iommu_enable_prq, prq_event_thread,               */
/* intel_iommu_page_response).                                             */

int iom_vtd_drv_prq_setup(struct iom_vtd_drv *drv, struct iom_vtd_prq *q, uint32_t log2,
                          struct iom_err *err)
{
	uint32_t pqs = log2 > 7 ? log2 - 7 : 0; /* 2^PQS pages of 128 descriptors */
	if (pqs > 7)
		pqs = 7;
	if (drv->prq_pa)
		iom_palloc_free(drv->pa, drv->prq_pa, drv->prq_bytes);
	drv->prq_bytes = 4096ull << pqs;
	int rc = drv_alloc(drv, &drv->prq_pa, drv->prq_bytes, "page request queue", err);
	if (rc)
		return rc;
	drv->prq = q;
	iom_vtd_prq_write_prs(q, VTD_PRS_PPR | VTD_PRS_PRO);
	iom_vtd_prq_write_pqa(q, drv->prq_pa | pqs);
	return 0;
}

int iom_vtd_drv_prq_peek(struct iom_vtd_drv *drv, uint32_t ahead, struct iom_page_req *r,
                         uint64_t now_ps, uint64_t *done_ps)
{
	struct iom_vtd_prq *q = drv->prq;
	*done_ps = now_ps;
	if (!q)
		return 0;
	uint64_t head = iom_vtd_prq_read_pqh(q), tail = iom_vtd_prq_read_pqt(q);
	uint64_t used = ((tail + drv->prq_bytes - head) % drv->prq_bytes) / VTD_PRQ_DSC_BYTES;
	if (ahead >= used)
		return 0;
	uint64_t d[4], off = (head + (uint64_t)ahead * VTD_PRQ_DSC_BYTES) % drv->prq_bytes;
	*done_ps = iom_mem_timed_read(drv->mem, drv->req, drv->prq_pa + off, d, sizeof(d), now_ps,
	                              NULL);
	vtd_prq_decode(d, r);
	return 1;
}

void iom_vtd_drv_prq_consume(struct iom_vtd_drv *drv, uint32_t n)
{
	struct iom_vtd_prq *q = drv->prq;
	if (!q)
		return;
	uint64_t head = (iom_vtd_prq_read_pqh(q) + (uint64_t)n * VTD_PRQ_DSC_BYTES) % drv->prq_bytes;
	iom_vtd_prq_write_pqh(q, head);
	if (head == iom_vtd_prq_read_pqt(q)) /* empty: clear PRO (prq_event_thread) */
		iom_vtd_prq_write_prs(q, VTD_PRS_PPR | (iom_vtd_prq_read_prs(q) & VTD_PRS_PRO));
}

int iom_vtd_drv_page_response(struct iom_vtd_drv *drv, uint32_t rid, uint32_t pasid,
                              bool pasid_valid, uint32_t prgi, uint32_t code, uint64_t now_ps,
                              uint64_t *done_ps, struct iom_err *err)
{
	uint64_t d[1][4] = {{0}};
	d[0][0] = VTD_DSC_PGRP_RESP | ((uint64_t)pasid_valid << 4) | ((uint64_t)(code & 0xf) << 12) |
	          ((uint64_t)(rid & 0xffff) << 16) | ((uint64_t)(pasid & 0xfffff) << 32);
	d[0][1] = (uint64_t)(prgi & 0x1ff) << 3;
	return iom_vtd_drv_submit(drv, (const uint64_t(*)[4])d, 1, true, now_ps, done_ps, err);
}
