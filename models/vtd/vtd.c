/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vtd.c - Intel VT-d DMA-remapping model (VT-d Architecture Specification
 * rev. 3.x / 4.x): configuration and capability registers, lifetime and the
 * register interface (chapter 11).  The translation pipeline lives in
 * vtd_xlat.c, fault recording in vtd_fault.c, the invalidation queue in
 * vtd_qi.c, statistics in vtd_stats.c.
 *
 * Capabilities: CAP and ECAP are composed from the configuration; every
 * modelled field is enforced (SAGAW / MGAW on context and PASID entries and
 * input addresses, SLLPS / FL1GP on superpage leaves, FL5LP, SMTS, SLTS,
 * FLTS, NEST, PT, DT, PASID / PSS, SLADS, ERS, SRS, PSI and MAMV on
 * invalidations, NFR on fault recording, QI: this model only implements the
 * queued-invalidation interface).  Fields the model reports but does not
 * model keep the Broadwell values: PLMR, PHMR, ZLR, DWD, DRD, PI, FRO = 0x100
 * (CAP); C, IR, EIM, IRO = 0x200, MHMV = 15 (ECAP).  With the defaults the
 * registers read cap 0x8d2078c106f0466 / ecap 0xf020df, the values Linux
 * printed for the Xeon E5-2630 v4 in ../shared/calibration.
 *
 * Registers: RTADDR is latched by GCMD.SRTP (GSTS.RTPS), GCMD.TE enables
 * translation (GSTS.TES = 0: requests pass untranslated, as with DMA
 * remapping disabled), GCMD.QIE enables the queue (IQA must be written while
 * QIE = 0; IQH/IQT reset).  The write-buffer flush, register-based
 * invalidation (CCMD, IOTLB registers), PMR, interrupt remapping and the
 * advanced fault log are not modelled.
 *
 * Host byte order must be little-endian: structures are read from memory
 * as 64-bit words.
 */
#include "vtd-internal.h"
#include "vtd-regs.h"

#include "config.h"
#include "log.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* Configuration.                                                          */

#define P_U32(f, lo, hi, u, d) IOM_PROP_U32_(struct iom_vtd_cfg, f, lo, hi, u, d)
#define P_BOOL(f, d)           IOM_PROP_BOOL_(struct iom_vtd_cfg, f, d)

static const struct iom_prop vtd_props[] = {
    P_U32(clock_mhz, 1, 100000, "MHz",
          "remapping-unit clock (descriptor and cache costs are in it)"),
    P_U32(nd, 0, 6, "", "CAP.ND: 2^(4 + 2*nd) domain IDs"),
    P_U32(sagaw, 2, 14, "mask",
          "CAP.SAGAW: 2 = 39-bit 3-level, 4 = 48-bit 4-level, 8 = 57-bit 5-level second level"),
    P_U32(mgaw, 39, 57, "bits", "CAP.MGAW + 1: maximum input (guest) address width"),
    P_U32(sllps, 0, 3, "mask", "CAP.SLLPS: bit 0 = 2 MB, bit 1 = 1 GB second-level pages"),
    P_U32(nfr, 1, 256, "registers", "CAP.NFR + 1: fault-recording registers"),
    P_U32(mamv, 0, 63, "", "CAP.MAMV: largest address mask of a page-selective invalidation"),
    P_BOOL(psi, "CAP.PSI: page-selective IOTLB invalidation"),
    P_BOOL(
        cm,
        "CAP.CM: caching mode (not-present entries may be cached; software must invalidate them)"),
    P_BOOL(fl1gp, "CAP.FL1GP: first-level 1 GB pages"),
    P_BOOL(fl5lp, "CAP.FL5LP: first-level 5-level paging"),
    P_BOOL(qi, "ECAP.QI: queued invalidation (required: the only invalidation interface modelled)"),
    P_BOOL(dt, "ECAP.DT: device-TLB (ATS) support"),
    P_BOOL(pt, "ECAP.PT: pass-through translation type"),
    P_BOOL(sc, "ECAP.SC: snoop control (reported only)"),
    P_BOOL(nest, "ECAP.NEST: nested (first level over second level) translation"),
    P_BOOL(prs, "ECAP.PRS: page requests (reported; requests are not modelled)"),
    P_BOOL(ers, "ECAP.ERS: execute requests"),
    P_BOOL(srs, "ECAP.SRS: supervisor requests"),
    P_BOOL(pasid, "ECAP.PASID: requests with PASID"),
    P_BOOL(smts, "ECAP.SMTS: scalable-mode translation"),
    P_BOOL(slads, "ECAP.SLADS: second-level accessed/dirty bits (SLADE)"),
    P_BOOL(slts, "ECAP.SLTS: second-level translation in scalable mode"),
    P_BOOL(flts, "ECAP.FLTS: first-level translation in scalable mode"),
    P_U32(pss, 1, 20, "bits", "ECAP.PSS + 1: PASID width when pasid is true"),
    P_U32(haw, 32, 52, "bits",
          "host address width (ACPI DMAR): table and output addresses above it are reserved"),
    P_U32(walk_slots, 1, 1024, "walks", "concurrent page walks"),
    P_U32(dsc_cycles, 0, 1000000, "cycles",
          "execution of one invalidation descriptor after its fetch"),
    P_U32(wait_cycles, 0, 1000000, "cycles",
          "execution of one invalidation-wait descriptor after its fetch"),
    P_U32(devtlb_cycles, 0, 100000000, "cycles",
          "device-TLB invalidation round trip when no ATS model answers it"),
};

#define VTD_CACHE(e, w, lat)                                                                       \
	{                                                                                          \
		.entries = (e), .ways = (w), .policy = IOM_CACHE_LRU, .latency_cycles = (lat),     \
		.ports = 1                                                                         \
	}

static const struct iom_vtd_cfg vtd_defaults = {
    .clock_mhz = 1000,
    .nd = 6,
    .sagaw = 4,
    .mgaw = 48,
    .sllps = 3,
    .nfr = 8,
    .mamv = 18,
    .psi = true,
    .qi = true,
    .dt = true,
    .pt = true,
    .sc = true,
    .pss = 20,
    .haw = 46,
    .walk_slots = 4,
    .dsc_cycles = 4,
    .wait_cycles = 10,
    .devtlb_cycles = 1000,
    .context_cache = VTD_CACHE(64, 64, 2),
    .pasid_cache = VTD_CACHE(64, 64, 2),
    .iotlb = {.entries = 512, .ways = 8, .policy = IOM_CACHE_LRU, .latency_cycles = 1, .ports = 2},
    .psc = {VTD_CACHE(4, 4, 1), VTD_CACHE(16, 16, 1), VTD_CACHE(32, 4, 1), VTD_CACHE(64, 4, 1)},
};

const struct iom_prop_table iom_vtd_prop_table = {
    .section = "vtd",
    .doc = "Intel VT-d remapping unit: capabilities (defaults: a Broadwell Xeon E5-2630 v4, legacy "
           "mode, cap 0x8d2078c106f0466 ecap 0xf020df), walker and invalidation costs",
    .props = vtd_props,
    .nprops = IOM_ARRAY_SIZE(vtd_props),
    .defaults = &vtd_defaults,
    .struct_size = sizeof(struct iom_vtd_cfg),
};

#define VTD_CACHE_TABLE(var, sec, d, field)                                                        \
	static const struct iom_prop_table var = {.section = sec,                                  \
	                                          .doc = d,                                        \
	                                          .props = iom_cache_props,                        \
	                                          .nprops = IOM_CACHE_NPROPS,                      \
	                                          .defaults = &vtd_defaults.field,                 \
	                                          .struct_size = sizeof(struct iom_cache_cfg)}
VTD_CACHE_TABLE(vtd_cc_table, "vtd.context_cache",
                "VT-d context cache (context entries by source-id)", context_cache);
VTD_CACHE_TABLE(vtd_pc_table, "vtd.pasid_cache",
                "VT-d PASID cache (PASID-table entries by source-id and PASID)", pasid_cache);
VTD_CACHE_TABLE(vtd_iotlb_table, "vtd.iotlb",
                "VT-d IOTLB (4K/2M/1G leaves tagged by domain ID and PASID)", iotlb);
VTD_CACHE_TABLE(vtd_psc0_table, "vtd.pml5e_cache", "VT-d paging-structure cache of PML5 entries",
                psc[0]);
VTD_CACHE_TABLE(vtd_psc1_table, "vtd.pml4e_cache", "VT-d paging-structure cache of PML4 entries",
                psc[1]);
VTD_CACHE_TABLE(vtd_psc2_table, "vtd.pdpte_cache", "VT-d paging-structure cache of PDPT entries",
                psc[2]);
VTD_CACHE_TABLE(vtd_psc3_table, "vtd.pde_cache",
                "VT-d paging-structure cache of page-directory entries", psc[3]);

extern const struct iom_prop_table iom_vtd_drv_prop_table; /* vtd_drv.c: "vtd.driver" */

static const struct iom_prop_table *const vtd_tables[] = {
    &iom_vtd_prop_table, &vtd_cc_table,   &vtd_pc_table,   &vtd_iotlb_table,        &vtd_psc0_table,
    &vtd_psc1_table,     &vtd_psc2_table, &vtd_psc3_table, &iom_vtd_drv_prop_table,
};

const struct iom_prop_table *const *iom_vtd_prop_tables(size_t *n)
{
	if (n)
		*n = IOM_ARRAY_SIZE(vtd_tables);
	return vtd_tables;
}

void iom_vtd_cfg_default(struct iom_vtd_cfg *out)
{
	*out = vtd_defaults;
}

int iom_vtd_cfg_bind(struct iom_config *c, struct iom_vtd_cfg *out, struct iom_err *err)
{
	struct iom_cache_cfg *caches[] = {&out->context_cache, &out->pasid_cache, &out->iotlb,
	                                  &out->psc[0],        &out->psc[1],      &out->psc[2],
	                                  &out->psc[3]};
	int rc = iom_config_bind(c, &iom_vtd_prop_table, NULL, out, err);
	for (size_t i = 0; !rc && i < IOM_ARRAY_SIZE(caches); i++)
		rc = iom_config_bind(c, vtd_tables[1 + i], NULL, caches[i], err);
	return rc;
}

/* Reported-only CAP/ECAP fields: the Broadwell unit's values. */
#define VTD_CAP_FIXED_FRO   16u /* fault-recording registers at 0x100 */
#define VTD_ECAP_FIXED_IRO  32u /* IOTLB registers at 0x200 */
#define VTD_ECAP_FIXED_MHMV 15u

uint64_t iom_vtd_cfg_cap(const struct iom_vtd_cfg *c)
{
	uint64_t v = 0;
	v = vtd_set_cap_nd(v, c->nd);
	v = vtd_set_cap_plmr(v, 1);
	v = vtd_set_cap_phmr(v, 1);
	v = vtd_set_cap_cm(v, c->cm);
	v = vtd_set_cap_sagaw(v, c->sagaw >> 1 << 1); /* bit 0 (2-level) is reserved */
	v = vtd_set_cap_mgaw(v, c->mgaw - 1);
	v = vtd_set_cap_zlr(v, 1);
	v = vtd_set_cap_fro(v, VTD_CAP_FIXED_FRO);
	v = vtd_set_cap_sllps(v, c->sllps);
	v = vtd_set_cap_psi(v, c->psi);
	v = vtd_set_cap_nfr(v, c->nfr - 1);
	v = vtd_set_cap_mamv(v, c->mamv);
	v = vtd_set_cap_dwd(v, 1);
	v = vtd_set_cap_drd(v, 1);
	v = vtd_set_cap_fl1gp(v, c->fl1gp);
	v = vtd_set_cap_pi(v, 1);
	v = vtd_set_cap_fl5lp(v, c->fl5lp);
	return v;
}

uint64_t iom_vtd_cfg_ecap(const struct iom_vtd_cfg *c)
{
	uint64_t v = 0;
	v = vtd_set_ecap_c(v, 1);
	v = vtd_set_ecap_qi(v, c->qi);
	v = vtd_set_ecap_dt(v, c->dt);
	v = vtd_set_ecap_ir(v, 1);
	v = vtd_set_ecap_eim(v, 1);
	v = vtd_set_ecap_pt(v, c->pt);
	v = vtd_set_ecap_sc(v, c->sc);
	v = vtd_set_ecap_iro(v, VTD_ECAP_FIXED_IRO);
	v = vtd_set_ecap_mhmv(v, VTD_ECAP_FIXED_MHMV);
	v = vtd_set_ecap_nest(v, c->nest);
	v = vtd_set_ecap_prs(v, c->prs);
	v = vtd_set_ecap_ers(v, c->ers);
	v = vtd_set_ecap_srs(v, c->srs);
	if (c->pasid) {
		v = vtd_set_ecap_pasid(v, 1);
		v = vtd_set_ecap_pss(v, c->pss - 1);
	}
	v = vtd_set_ecap_smts(v, c->smts);
	v = vtd_set_ecap_slads(v, c->slads);
	v = vtd_set_ecap_slts(v, c->slts);
	v = vtd_set_ecap_flts(v, c->flts);
	return v;
}

/* ---------------------------------------------------------------------- */
/* Lifetime.                                                               */

static int vtd_check_cfg(const struct iom_vtd_cfg *c, struct iom_err *err)
{
	if (c->clock_mhz == 0)
		return iom_err_set(err, IOM_EINVAL, "vtd: clock_mhz must be > 0");
	if (!c->sagaw || (c->sagaw & ~14u))
		return iom_err_set(
		    err, IOM_EINVAL,
		    "vtd: sagaw 0x%x: only bits 1 (39-bit), 2 (48-bit) and 3 (57-bit) exist",
		    c->sagaw);
	if (c->nfr < 1 || c->nfr > 256 || c->nd > 6 || c->mamv > 63)
		return iom_err_set(err, IOM_ERANGE, "vtd: nfr %u / nd %u / mamv %u out of range",
		                   c->nfr, c->nd, c->mamv);
	if (!c->qi)
		return iom_err_set(
		    err, IOM_ENOTSUP,
		    "vtd.qi = false: register-based invalidation is not implemented");
	if (c->smts && !c->slts && !c->flts && !c->pt)
		return iom_err_set(err, IOM_EINVAL,
		                   "vtd: smts needs at least one of slts, flts or pt");
	if (c->nest && !(c->smts && c->slts && c->flts))
		return iom_err_set(err, IOM_EINVAL, "vtd: nest needs smts, slts and flts");
	if ((c->slads || c->flts || c->slts || c->pasid) && !c->smts)
		return iom_err_set(
		    err, IOM_EINVAL,
		    "vtd: slads / flts / slts / pasid are scalable-mode capabilities: "
		    "set smts too");
	if (c->walk_slots < 1)
		return iom_err_set(err, IOM_EINVAL, "vtd: walk_slots must be >= 1");
	return 0;
}

static int vtd_requesters(struct iom_vtd *v, struct iom_err *err)
{
	static const char *const what[] = {"cfg", "walk", "queue"};
	int *ids[] = {&v->req_cfg, &v->req_walk, &v->req_queue};
	for (size_t i = 0; i < IOM_ARRAY_SIZE(what); i++) {
		char n[64];
		snprintf(n, sizeof(n), "%s.%s", v->name, what[i]);
		*ids[i] = iom_mem_requester(v->mem, n);
		if (*ids[i] < 0)
			return iom_err_set(err, IOM_EBUSY, "vtd %s: no free memory requester",
			                   v->name);
	}
	return 0;
}

static int vtd_make_caches(struct iom_vtd *v, struct iom_err *err)
{
	static const char *const psc_names[VTD_PSC_LEVELS] = {"pml5e_cache", "pml4e_cache",
	                                                      "pdpte_cache", "pde_cache"};
	char n[64];
	snprintf(n, sizeof(n), "%s.context_cache", v->name);
	v->cc = iom_cache_create(n, &v->cfg.context_cache, sizeof(struct vtd_ctx_entry),
	                         v->period_ps, err);
	snprintf(n, sizeof(n), "%s.pasid_cache", v->name);
	if (v->cc)
		v->pc = iom_cache_create(n, &v->cfg.pasid_cache, 8 * sizeof(uint64_t), v->period_ps,
		                         err);
	snprintf(n, sizeof(n), "%s.iotlb", v->name);
	if (v->pc)
		v->iotlb = iom_cache_create(n, &v->cfg.iotlb, sizeof(struct vtd_tlb_entry),
		                            v->period_ps, err);
	if (!v->iotlb)
		return -IOM_EINVAL;
	for (unsigned l = 0; l < VTD_PSC_LEVELS; l++) {
		snprintf(n, sizeof(n), "%s.%s", v->name, psc_names[l]);
		v->psc[l] = iom_cache_create(n, &v->cfg.psc[l], sizeof(struct vtd_psc_entry),
		                             v->period_ps, err);
		if (!v->psc[l])
			return -IOM_EINVAL;
	}
	return 0;
}

struct iom_vtd *iom_vtd_create(const struct iom_vtd_cfg *cfg, struct iom_mem *mem, const char *name,
                               struct iom_err *err)
{
	if (!cfg || !mem || !name) {
		iom_err_set(err, IOM_EINVAL, "vtd: create: NULL argument");
		return NULL;
	}
	if (vtd_check_cfg(cfg, err))
		return NULL;
	struct iom_vtd *v = calloc(1, sizeof(*v));
	uint64_t *frcd = calloc(2 * (size_t)cfg->nfr, sizeof(uint64_t));
	if (!v || !frcd) {
		free(v);
		free(frcd);
		iom_err_set(err, IOM_ENOMEM, "vtd %s: out of memory", name);
		return NULL;
	}
	v->cfg = *cfg;
	v->frcd = frcd;
	snprintf(v->name, sizeof(v->name), "%s", name);
	v->mem = mem;
	v->period_ps = iom_mhz_to_period_ps(cfg->clock_mhz);
	v->cap = iom_vtd_cfg_cap(cfg);
	v->ecap = iom_vtd_cfg_ecap(cfg);
	iom_hist_init(&v->st.hit_latency_ps);
	iom_hist_init(&v->st.miss_latency_ps);
	iom_hist_init(&v->st.walk_latency_ps);
	iom_hist_init(&v->st.wait_latency_ps);
	if (vtd_requesters(v, err) || vtd_make_caches(v, err) ||
	    iom_resource_init(&v->walk_slots, "vtd.walk_slots", cfg->walk_slots, err)) {
		iom_err_prefix(err, "vtd %s", name);
		iom_vtd_destroy(v);
		return NULL;
	}
	return v;
}

void iom_vtd_destroy(struct iom_vtd *v)
{
	if (!v)
		return;
	iom_cache_destroy(v->cc);
	iom_cache_destroy(v->pc);
	iom_cache_destroy(v->iotlb);
	for (unsigned l = 0; l < VTD_PSC_LEVELS; l++)
		iom_cache_destroy(v->psc[l]);
	if (v->walk_slots.slots)
		iom_resource_fini(&v->walk_slots);
	free(v->frcd);
	free(v);
}

const char *iom_vtd_name(const struct iom_vtd *v)
{
	return v->name;
}
uint64_t iom_vtd_period_ps(const struct iom_vtd *v)
{
	return v->period_ps;
}
const struct iom_vtd_cfg *iom_vtd_config(const struct iom_vtd *v)
{
	return &v->cfg;
}
const struct iom_vtd_stats *iom_vtd_stats(const struct iom_vtd *v)
{
	return &v->st;
}
struct iom_cache *iom_vtd_iotlb(struct iom_vtd *v)
{
	return v->iotlb;
}
struct iom_cache *iom_vtd_context_cache(struct iom_vtd *v)
{
	return v->cc;
}
struct iom_cache *iom_vtd_pasid_cache(struct iom_vtd *v)
{
	return v->pc;
}
struct iom_cache *iom_vtd_psc(struct iom_vtd *v, unsigned level)
{
	return level < VTD_PSC_LEVELS ? v->psc[level] : NULL;
}
uint64_t iom_vtd_last_wait_ps(const struct iom_vtd *v)
{
	return v->last_wait_ps;
}

void iom_vtd_set_devtlb_ops(struct iom_vtd *v, const struct iom_vtd_devtlb_ops *ops)
{
	if (ops)
		v->devtlb = *ops;
	else
		memset(&v->devtlb, 0, sizeof(v->devtlb));
}

void iom_vtd_set_fault_handler(struct iom_vtd *v, void (*fn)(void *ctx), void *ctx)
{
	v->fault_fn = fn;
	v->fault_ctx = ctx;
}

/* ---------------------------------------------------------------------- */
/* Registers.                                                              */

uint64_t iom_vtd_read_cap(const struct iom_vtd *v)
{
	return v->cap;
}
uint64_t iom_vtd_read_ecap(const struct iom_vtd *v)
{
	return v->ecap;
}
uint32_t iom_vtd_read_gsts(const struct iom_vtd *v)
{
	return v->gsts;
}
uint64_t iom_vtd_read_iqh(const struct iom_vtd *v)
{
	return v->iqh;
}
uint64_t iom_vtd_read_iqt(const struct iom_vtd *v)
{
	return v->iqt;
}
uint64_t iom_vtd_read_iqercd(const struct iom_vtd *v)
{
	return v->iqercd;
}
uint32_t iom_vtd_read_ics(const struct iom_vtd *v)
{
	return v->ics;
}
void iom_vtd_write_ics(struct iom_vtd *v, uint32_t val)
{
	v->ics &= ~(val & VTD_ICS_IWC);
}
uint32_t iom_vtd_read_fsts(const struct iom_vtd *v)
{
	return v->fsts;
}
void iom_vtd_write_fectl(struct iom_vtd *v, uint32_t val)
{
	v->fectl = val & VTD_FECTL_IM;
}

void iom_vtd_write_fsts(struct iom_vtd *v, uint32_t val)
{
	v->fsts &= ~(val & (VTD_FSTS_PFO | VTD_FSTS_IQE | VTD_FSTS_ICE | VTD_FSTS_ITE));
}

int iom_vtd_write_rtaddr(struct iom_vtd *v, uint64_t val, struct iom_err *err)
{
	uint32_t ttm = (uint32_t)vtd_rtaddr_ttm(val);
	if (ttm == 2)
		return iom_err_set(err, IOM_EINVAL, "vtd %s: RTADDR.TTM = 10b is reserved",
		                   v->name);
	if (ttm == VTD_TTM_SCALABLE && !v->cfg.smts)
		return iom_err_set(err, IOM_EINVAL,
		                   "vtd %s: RTADDR.TTM = scalable mode but ECAP.SMTS = 0", v->name);
	v->rtaddr = val;
	return 0;
}

int iom_vtd_write_gcmd(struct iom_vtd *v, uint32_t val, struct iom_err *err)
{
	if (val & VTD_GCMD_SRTP) {
		v->rta_active = vtd_addr(v->rtaddr);
		v->ttm_active = (uint32_t)vtd_rtaddr_ttm(v->rtaddr);
		v->gsts |= VTD_GSTS_RTPS;
	}
	if ((val & VTD_GCMD_QIE) && !(v->gsts & VTD_GSTS_QIES)) {
		if (!vtd_addr(v->iqa))
			return iom_err_set(err, IOM_EINVAL, "vtd %s: GCMD.QIE with IQA = 0",
			                   v->name);
		v->iqh = v->iqt = 0;
		v->gsts |= VTD_GSTS_QIES;
	} else if (!(val & VTD_GCMD_QIE)) {
		v->gsts &= ~VTD_GSTS_QIES;
	}
	if (val & VTD_GCMD_TE) {
		if (!(v->gsts & VTD_GSTS_RTPS))
			return iom_err_set(err, IOM_EINVAL,
			                   "vtd %s: GCMD.TE before a root table was set (SRTP)",
			                   v->name);
		v->gsts |= VTD_GSTS_TES;
	} else {
		v->gsts &= ~VTD_GSTS_TES;
	}
	return 0;
}

int iom_vtd_write_iqa(struct iom_vtd *v, uint64_t val, struct iom_err *err)
{
	if (v->gsts & VTD_GSTS_QIES)
		return iom_err_set(err, IOM_EINVAL, "vtd %s: IQA written while QIE = 1", v->name);
	if (vtd_iqa_dw(val) && !v->cfg.smts)
		return iom_err_set(err, IOM_EINVAL,
		                   "vtd %s: IQA.DW = 1 (256-bit descriptors) needs ECAP.SMTS",
		                   v->name);
	v->iqa = val;
	v->iqh = v->iqt = 0;
	return 0;
}

void iom_vtd_read_frcd(const struct iom_vtd *v, uint32_t i, uint64_t *lo, uint64_t *hi)
{
	*lo = *hi = 0;
	if (i < v->cfg.nfr) {
		*lo = v->frcd[2 * i];
		*hi = v->frcd[2 * i + 1];
	}
}

void iom_vtd_clear_frcd(struct iom_vtd *v, uint32_t i)
{
	if (i >= v->cfg.nfr)
		return;
	v->frcd[2 * i + 1] = vtd_set_frcd_f(v->frcd[2 * i + 1], 0);
	bool pending = false;
	for (uint32_t k = 0; k < v->cfg.nfr; k++)
		pending |= vtd_frcd_f(v->frcd[2 * k + 1]) != 0;
	if (!pending)
		v->fsts &= ~VTD_FSTS_PPF;
}
