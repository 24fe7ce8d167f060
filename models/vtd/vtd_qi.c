/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vtd_qi.c - the VT-d invalidation queue (spec 6.5.2), consumed on a write
 * of IQT, split by descriptor family: context cache (type 1), IOTLB (2),
 * PASID-based IOTLB (6), PASID cache (7), device-TLB (3, 8), interrupt-
 * entry cache (4) and invalidation wait (5).
 *
 * Effects (what each descriptor drops; model decisions marked *):
 *  - context-cache: global; domain-selective (legacy: entries whose DID
 *    matches; scalable context entries carry no DID, so all (*)); device-
 *    selective by SID with the function mask FM (00 none, 01 SID[2], 10
 *    SID[2:1], 11 SID[2:0] ignored).  The PASID cache is left to the
 *    PASID-cache descriptor software issues after it (as Linux does).
 *  - IOTLB: global (every IOTLB and paging-structure-cache entry); domain-
 *    selective (entries of the DID that came from second-level-only and
 *    nested translations, and their paging-structure entries); page-
 *    selective: those entries overlapping [ADDR, ADDR + 2^AM pages) with
 *    ADDR aligned down to the mask, of every page size; IH = 1 keeps the
 *    paging-structure caches.  AM > CAP.MAMV is a reserved-field error; a
 *    PSI without CAP.PSI is performed domain-selective (*).
 *  - PASID-based IOTLB: granularity 10b all first-level and nested entries
 *    of (DID, PASID), 11b page-selective within them (AM, IH as above).
 *  - PASID cache: 00b all PASIDs of a DID (the DID inside the cached PASID
 *    entry), 01b one (DID, PASID), 11b global.
 *  - device-TLB (type 3) and PASID-based device-TLB (type 8): handed to the
 *    ATS model (struct iom_vtd_devtlb_ops) at the descriptor's execution
 *    time; its completion arrives later and only waits depend on it.
 *    Without an ATS model the completion comes devtlb_cycles later.  They
 *    need ECAP.DT.  A completion that times out (the ATS model says so) is an
 *    Invalidation Time-out Error: the next wait descriptor is aborted (no
 *    status write, no interrupt), FSTS.ITE is set with IQERCD.ITESID = the
 *    source-id, and the queue stops fetching after that wait (IQH past it)
 *    until software clears ITE (6.5.2.10; Linux qi_check_fault()).
 *  - interrupt-entry cache: accepted and counted, not modelled (no
 *    interrupt remapping).
 *  - invalidation wait: completes when its own execution and every earlier
 *    descriptor (device-TLB completions included) completed; SW = 1 writes
 *    the 32-bit status data to the status address (a timed write), IF = 1
 *    sets ICS.IWC; FN = 1 makes later descriptors wait for the completion;
 *    PD (page-request drain) has nothing to drain.
 * Errors (FSTS.IQE, IQERCD.IQEI; IQH stays on the descriptor, processing
 * stops until software clears IQE): unknown type, a PASID-based type in a
 * 128-bit queue, 256-bit descriptors in legacy mode, reserved granularity,
 * reserved bits (qw2/qw3 of 256-bit descriptors, IOTLB qw1 [11:7]), AM >
 * MAMV, device-TLB descriptors without ECAP.DT, a fetch error, a tail beyond
 * the queue or misaligned for 256-bit descriptors.
 *
 * Timing: one engine, in order.  Each descriptor costs a timed fetch (16 or
 * 32 bytes, requester "<name>.queue") starting when the previous one
 * finished, then dsc_cycles (wait_cycles for a wait).  A doorbell starts at
 * max(now, end of the previous batch).  The cost of an invalidation is
 * independent of how many entries it drops (hardware walks its arrays in
 * fixed time).
 */
#include "vtd-internal.h"
#include "vtd-regs.h"

#include "log.h"
#include "mem.h"

#include <inttypes.h>
#include <string.h>

static const char *const vtd_dsc_names[VTD_DSC_MAX_TYPE] = {
    [VTD_DSC_CC] = "CC",   [VTD_DSC_IOTLB] = "IOTLB",     [VTD_DSC_DEVTLB] = "DEVTLB",
    [VTD_DSC_IEC] = "IEC", [VTD_DSC_WAIT] = "WAIT",       [VTD_DSC_PIOTLB] = "PIOTLB",
    [VTD_DSC_PC] = "PC",   [VTD_DSC_PDEVTLB] = "PDEVTLB", [VTD_DSC_PGRP_RESP] = "PGRP_RESP",
};

const char *iom_vtd_dsc_name(uint32_t type)
{
	return type < VTD_DSC_MAX_TYPE ? vtd_dsc_names[type] : NULL;
}

/* ---------------------------------------------------------------------- */
/* Dropping cached translations.                                           */

struct vtd_inv_match {
	uint32_t kinds; /* bit per enum vtd_kind */
	bool any_did;
	uint32_t did;
	bool by_pasid;
	uint32_t pasid;
	bool ranged;
	uint64_t lo, hi; /* [lo, hi) */
	int level;       /* -1: IOTLB keys (size index in the tag); else PSC level */
};

static bool vtd_inv_pred(const struct iom_cache_key *k, const void *value, void *ctx)
{
	const struct vtd_inv_match *m = ctx;
	uint64_t tag = k->tag;
	(void)value;
	if (!(m->kinds & (1u << vtd_tag_kind(tag))))
		return false;
	if (!m->any_did && vtd_tag_did(tag) != m->did)
		return false;
	if (m->by_pasid && vtd_tag_pasid(tag) != m->pasid)
		return false;
	if (!m->ranged)
		return true;
	unsigned sh =
	    m->level < 0 ? vtd_size_shift(vtd_tag_size(tag)) : vtd_level_shift((unsigned)m->level);
	uint64_t base = k->addr << sh, end = base + (1ull << sh);
	return base < m->hi && end > m->lo;
}

/* Second-level-only entries of one DID in a small range: drop by key. */
static uint64_t vtd_drop_keys(struct iom_cache *c, const struct vtd_inv_match *m, unsigned sh,
                              uint32_t size_idx)
{
	uint64_t n = 0;
	for (uint64_t a = m->lo >> sh; a <= (m->hi - 1) >> sh; a++) {
		struct iom_cache_key k = {a, vtd_tag(m->did, 0, size_idx, VTD_KIND_SL)};
		n += iom_cache_invalidate(c, &k);
	}
	return n;
}

/* Keys a range spans at shift sh, if few enough to drop one by one. */
static bool vtd_few_keys(const struct iom_cache *c, const struct vtd_inv_match *m, unsigned sh)
{
	uint64_t n = ((m->hi - 1) >> sh) - (m->lo >> sh) + 1;
	return n <= 64 && n <= (uint64_t)iom_cache_config(c)->entries;
}

static uint64_t vtd_drop(struct iom_vtd *v, struct iom_cache *c, struct vtd_inv_match *m)
{
	/* fast path: second-level-only entries of one DID in a small range */
	bool fast = m->ranged && !m->any_did && m->kinds == (1u << VTD_KIND_SL);
	if (fast && m->level >= 0 && vtd_few_keys(c, m, vtd_level_shift((unsigned)m->level)))
		return vtd_drop_keys(c, m, vtd_level_shift((unsigned)m->level), 0);
	if (fast && m->level < 0) {
		bool few = true;
		for (uint32_t i = 0; i < VTD_TLB_NSIZES; i++)
			few = few && vtd_few_keys(c, m, vtd_size_shift(i));
		if (few) {
			uint64_t n = 0;
			for (uint32_t i = 0; i < VTD_TLB_NSIZES; i++)
				n += vtd_drop_keys(c, m, vtd_size_shift(i), i);
			return n;
		}
	}
	(void)v;
	return iom_cache_invalidate_if(c, vtd_inv_pred, m);
}

void vtd_inval_translations(struct iom_vtd *v, uint32_t kinds, uint32_t did, bool by_pasid,
                            uint32_t pasid, uint64_t addr, int am, bool ih)
{
	struct vtd_inv_match m = {
	    .kinds = kinds, .did = did, .by_pasid = by_pasid, .pasid = pasid, .level = -1};
	/* No first-level or nested entry was ever cached: nothing of those kinds to scan for. */
	if (!v->fl_fills)
		m.kinds &= 1u << VTD_KIND_SL;
	if (!m.kinds)
		return;
	if (am >= 0) {
		uint64_t size = 1ull << (12 + am);
		m.ranged = true;
		m.lo = addr & ~(size - 1);
		m.hi = m.lo + size;
	}
	v->st.iotlb_dropped += vtd_drop(v, v->iotlb, &m);
	if (ih)
		return;
	for (int l = 0; l < VTD_PSC_LEVELS; l++) {
		m.level = l;
		v->st.psc_dropped += vtd_drop(v, v->psc[l], &m);
	}
}

static void vtd_inval_global(struct iom_vtd *v)
{
	v->st.iotlb_dropped += iom_cache_flush(v->iotlb);
	for (int l = 0; l < VTD_PSC_LEVELS; l++)
		v->st.psc_dropped += iom_cache_flush(v->psc[l]);
}

/* ---------------------------------------------------------------------- */
/* Descriptor families.  Each returns 0 or an IQEI code.                    */

struct vtd_cc_match {
	uint64_t sid, mask;
	bool by_did;
	uint32_t did;
};

static bool vtd_cc_pred(const struct iom_cache_key *k, const void *value, void *ctx)
{
	const struct vtd_cc_match *m = ctx;
	const struct vtd_ctx_entry *e = value;
	if (m->by_did)
		return vtd_ce_did(e->w[1]) == m->did;
	return (k->addr & ~m->mask) == (m->sid & ~m->mask);
}

static uint32_t vtd_dsc_cc(struct iom_vtd *v, const uint64_t *d)
{
	struct vtd_cc_match m = {.sid = vtd_cc_sid(d[0]), .did = (uint32_t)vtd_dsc_did(d[0])};
	static const uint64_t fm_mask[4] = {0, 4, 6, 7};
	switch (vtd_dsc_g(d[0])) {
	case VTD_CC_G_GLOBAL:
		v->st.cc_dropped += iom_cache_flush(v->cc);
		return 0;
	case VTD_CC_G_DOMAIN:
		if (v->ttm_active == VTD_TTM_SCALABLE) {
			v->st.cc_dropped += iom_cache_flush(v->cc);
			return 0;
		}
		m.by_did = true;
		break;
	case VTD_CC_G_DEVICE:
		m.mask = fm_mask[vtd_cc_fm(d[0])];
		break;
	default:
		return VTD_IQEI_RSVD;
	}
	v->st.cc_dropped += iom_cache_invalidate_if(v->cc, vtd_cc_pred, &m);
	return 0;
}

static uint32_t vtd_dsc_iotlb(struct iom_vtd *v, const uint64_t *d)
{
	uint32_t did = (uint32_t)vtd_dsc_did(d[0]),
	         kinds = 1u << VTD_KIND_SL | 1u << VTD_KIND_NESTED;
	if (vtd_inv_rsvd1(d[1]))
		return VTD_IQEI_RSVD;
	switch (vtd_dsc_g(d[0])) {
	case VTD_IOTLB_G_GLOBAL:
		vtd_inval_global(v);
		return 0;
	case VTD_IOTLB_G_DOMAIN:
		vtd_inval_translations(v, kinds, did, false, 0, 0, -1, false);
		return 0;
	case VTD_IOTLB_G_PAGE:
		if (vtd_inv_am(d[1]) > v->cfg.mamv)
			return VTD_IQEI_RSVD;
		if (!v->cfg.psi) {
			vtd_inval_translations(v, kinds, did, false, 0, 0, -1, false);
			return 0;
		}
		vtd_inval_translations(v, kinds, did, false, 0, vtd_addr(d[1]),
		                       (int)vtd_inv_am(d[1]), vtd_inv_ih(d[1]));
		return 0;
	default:
		return VTD_IQEI_RSVD;
	}
}

static uint32_t vtd_dsc_piotlb(struct iom_vtd *v, const uint64_t *d)
{
	uint32_t did = (uint32_t)vtd_dsc_did(d[0]), pasid = (uint32_t)vtd_dsc_pasid(d[0]);
	uint32_t kinds = 1u << VTD_KIND_FL | 1u << VTD_KIND_NESTED;
	if (vtd_inv_rsvd1(d[1]))
		return VTD_IQEI_RSVD;
	switch (vtd_dsc_g(d[0])) {
	case VTD_PIOTLB_G_PASID:
		vtd_inval_translations(v, kinds, did, true, pasid, 0, -1, false);
		return 0;
	case VTD_PIOTLB_G_PAGE:
		if (vtd_inv_am(d[1]) > v->cfg.mamv)
			return VTD_IQEI_RSVD;
		vtd_inval_translations(v, kinds, did, true, pasid, vtd_addr(d[1]),
		                       (int)vtd_inv_am(d[1]), vtd_inv_ih(d[1]));
		return 0;
	default:
		return VTD_IQEI_RSVD;
	}
}

struct vtd_pc_match {
	uint32_t did, pasid;
	bool by_pasid;
};

static bool vtd_pc_pred(const struct iom_cache_key *k, const void *value, void *ctx)
{
	const struct vtd_pc_match *m = ctx;
	const uint64_t *pe = value;
	if (vtd_pte_did(pe[1]) != m->did)
		return false;
	return !m->by_pasid || (k->addr & 0xfffff) == m->pasid;
}

static uint32_t vtd_dsc_pc(struct iom_vtd *v, const uint64_t *d)
{
	struct vtd_pc_match m = {.did = (uint32_t)vtd_dsc_did(d[0]),
	                         .pasid = (uint32_t)vtd_dsc_pasid(d[0])};
	switch (vtd_dsc_g(d[0])) {
	case VTD_PC_G_GLOBAL:
		v->st.pc_dropped += iom_cache_flush(v->pc);
		return 0;
	case VTD_PC_G_PASID:
		m.by_pasid = true;
		/* fall through */
	case VTD_PC_G_DOMAIN:
		v->st.pc_dropped += iom_cache_invalidate_if(v->pc, vtd_pc_pred, &m);
		return 0;
	default:
		return VTD_IQEI_RSVD;
	}
}

/* Device-TLB invalidations: ask the ATS model; the completion is async. */
static int vtd_dsc_devtlb(struct iom_vtd *v, const uint64_t *d, uint64_t type, uint64_t t,
                          struct iom_err *err)
{
	bool pv = type == VTD_DSC_PDEVTLB;
	uint32_t sid = (uint32_t)(pv ? vtd_pdevtlb_sid(d[0]) : vtd_devtlb_sid(d[0]));
	uint32_t pasid = pv ? (uint32_t)vtd_dsc_pasid(d[0]) : 0;
	bool global = pv && vtd_pdevtlb_g(d[1]);
	bool s = pv ? vtd_pdevtlb_s(d[1]) : vtd_devtlb_s(d[1]);
	uint64_t done = t + (uint64_t)v->cfg.devtlb_cycles * v->period_ps;
	if (v->devtlb.invalidate) {
		int rc = v->devtlb.invalidate(v->devtlb.ctx, sid, pv, pasid, global, vtd_addr(d[1]),
		                              s, t, &done, err);
		if (rc < 0)
			return rc;
		if (rc == 1) { /* no completion in time: ITE at the next wait */
			v->ite_pending = true;
			v->ite_sid = sid;
			v->st.devtlb_timeouts++;
		}
	}
	v->st.devtlb_invalidations++;
	v->qi_pending_ps = IOM_MAX(v->qi_pending_ps, done);
	return 0;
}

/* A device-TLB invalidation timed out: FSTS.ITE, IQERCD.ITESID [47:32]. */
static void vtd_ite(struct iom_vtd *v)
{
	v->fsts |= VTD_FSTS_ITE;
	v->iqercd = (v->iqercd & ~(0xffffull << 32)) | ((uint64_t)(v->ite_sid & 0xffff) << 32);
	v->ite_pending = false;
	iom_guest_error("vtd %s: device-TLB invalidation time-out (ITE), source-id 0x%04x",
	                v->name, v->ite_sid);
}

#define VTD_QI_STOP 0x100 /* vtd_dsc_exec: the wait was aborted by an ITE; stop after it */

/* Invalidation wait: complete after everything before it; aborted by a
 * device-TLB invalidation time-out before it (false: the queue stops). */
static bool vtd_dsc_wait(struct iom_vtd *v, const uint64_t *d, uint64_t *t, uint64_t doorbell_ps)
{
	uint64_t exec = *t + (uint64_t)v->cfg.wait_cycles * v->period_ps;
	uint64_t done = IOM_MAX(exec, v->qi_pending_ps);
	if (v->ite_pending) { /* detected when the timed-out completion was due */
		vtd_ite(v);
		v->st.waits_aborted++;
		v->qi_pending_ps = done;
		*t = done;
		return false;
	}
	if (vtd_wait_sw(d[0])) {
		uint32_t data = (uint32_t)vtd_wait_stdata(d[0]);
		bool ok = true;
		done = iom_mem_timed_write(v->mem, v->req_queue, vtd_wait_staddr(d[1]), &data,
		                           sizeof(data), done, &ok);
		if (!ok)
			iom_guest_error("vtd %s: wait status write to 0x%" PRIx64 " aborted",
			                v->name, vtd_wait_staddr(d[1]));
		v->st.status_writes++;
	}
	if (vtd_wait_if(d[0]))
		v->ics |= VTD_ICS_IWC;
	v->qi_pending_ps = IOM_MAX(v->qi_pending_ps, done);
	v->last_wait_ps = done;
	v->st.waits++;
	iom_hist_add(&v->st.wait_latency_ps, done - doorbell_ps);
	*t = vtd_wait_fn(d[0]) ? done : exec;
	return true;
}

/* Validate, execute one fetched descriptor at *t; returns 0, an IQEI code
 * (> 0) or -IOM_E*. */
static int vtd_dsc_exec(struct iom_vtd *v, const uint64_t *d, bool dw, uint64_t *t,
                        uint64_t doorbell_ps, struct iom_err *err)
{
	uint64_t type = vtd_dsc_type(d[0]);
	bool pasid_type = type == VTD_DSC_PIOTLB || type == VTD_DSC_PC || type == VTD_DSC_PDEVTLB;

	if (type == VTD_DSC_PGRP_RESP && v->cfg.prs) { /* 7.5.2: the response leaves the unit */
		v->st.descriptors++;
		v->st.dsc_by_type[type]++;
		*t += (uint64_t)v->cfg.dsc_cycles * v->period_ps;
		return 0;
	}
	if (type == 0 || type > VTD_DSC_PDEVTLB || (pasid_type && !dw))
		return VTD_IQEI_TYPE;
	if ((type == VTD_DSC_DEVTLB || type == VTD_DSC_PDEVTLB) && !v->cfg.dt)
		return VTD_IQEI_TYPE;
	if (dw && (d[2] || d[3]))
		return VTD_IQEI_RSVD;
	v->st.descriptors++;
	v->st.dsc_by_type[type]++;
	if (type == VTD_DSC_WAIT)
		return vtd_dsc_wait(v, d, t, doorbell_ps) ? 0 : VTD_QI_STOP;
	*t += (uint64_t)v->cfg.dsc_cycles * v->period_ps;
	uint32_t iqe = 0;
	switch (type) {
	case VTD_DSC_CC:
		iqe = vtd_dsc_cc(v, d);
		break;
	case VTD_DSC_IOTLB:
		iqe = vtd_dsc_iotlb(v, d);
		break;
	case VTD_DSC_PIOTLB:
		iqe = vtd_dsc_piotlb(v, d);
		break;
	case VTD_DSC_PC:
		iqe = vtd_dsc_pc(v, d);
		break;
	case VTD_DSC_IEC:
		v->st.iec_ignored++;
		break;
	default:
		return vtd_dsc_devtlb(v, d, type, *t, err);
	}
	if (!iqe)
		v->qi_pending_ps = IOM_MAX(v->qi_pending_ps, *t);
	return (int)iqe;
}

static void vtd_iqe(struct iom_vtd *v, uint32_t iqei)
{
	v->fsts |= VTD_FSTS_IQE;
	v->iqercd = iqei;
	v->st.qi_errors++;
	iom_guest_error("vtd %s: invalidation queue error IQEI %u at IQH 0x%" PRIx64, v->name, iqei,
	                v->iqh);
}

static uint64_t vtd_iq_bytes(const struct iom_vtd *v)
{
	return 4096ull << vtd_iqa_qs(v->iqa);
}

static int vtd_qi_consume(struct iom_vtd *v, uint64_t *t, uint64_t doorbell_ps, struct iom_err *err)
{
	bool dw = vtd_iqa_dw(v->iqa);
	size_t dsz = dw ? 32 : 16;
	uint64_t qbytes = vtd_iq_bytes(v);

	while (v->iqh != v->iqt) {
		uint64_t d[4] = {0};
		bool ok = true;
		*t = iom_mem_timed_read(v->mem, v->req_queue, vtd_addr(v->iqa) + v->iqh, d, dsz, *t,
		                        &ok);
		v->st.qi_fetch_reads++;
		if (!ok) {
			vtd_iqe(v, VTD_IQEI_FETCH);
			return 0;
		}
		int rc = vtd_dsc_exec(v, d, dw, t, doorbell_ps, err);
		if (rc < 0)
			return rc;
		if (rc == VTD_QI_STOP) { /* ITE: the aborted wait was fetched; stop fetching */
			v->iqh = (v->iqh + dsz) % qbytes;
			return 0;
		}
		if (rc > 0) {
			vtd_iqe(v, (uint32_t)rc);
			return 0;
		}
		v->iqh = (v->iqh + dsz) % qbytes;
	}
	if (v->ite_pending) /* no wait after the timed-out descriptor */
		vtd_ite(v);
	return 0;
}

int iom_vtd_write_iqt(struct iom_vtd *v, uint64_t tail, uint64_t now_ps, uint64_t *done_ps,
                      struct iom_err *err)
{
	uint64_t t = IOM_MAX(now_ps, v->qi_busy_until_ps), off = vtd_iq_off(tail) << 4;
	bool dw = vtd_iqa_dw(v->iqa);
	int rc = 0;

	if (done_ps)
		*done_ps = now_ps;
	if (!(v->gsts & VTD_GSTS_QIES))
		return iom_err_set(err, IOM_EINVAL, "vtd %s: IQT written while QIE = 0", v->name);
	if (v->fsts & (VTD_FSTS_IQE | VTD_FSTS_ITE))
		return 0; /* stopped until software clears IQE / ITE */
	if (off >= vtd_iq_bytes(v) || (dw && (off & 31))) {
		vtd_iqe(v, off >= vtd_iq_bytes(v) ? VTD_IQEI_TAIL : VTD_IQEI_ALIGN);
		return 0;
	}
	if (dw && v->ttm_active != VTD_TTM_SCALABLE) {
		vtd_iqe(v, VTD_IQEI_TTM);
		return 0;
	}
	v->iqt = off;
	rc = vtd_qi_consume(v, &t, now_ps, err);
	v->qi_busy_until_ps = t;
	if (done_ps)
		*done_ps = IOM_MAX(t, now_ps);
	return rc;
}
