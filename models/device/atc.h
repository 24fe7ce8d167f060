/* SPDX-License-Identifier: Apache-2.0 */
/*
 * atc.h - PCIe Address Translation Services at the endpoint and the root
 * complex: each function's Address Translation Cache (ATC), its Translation
 * Requests and Completions, and the Invalidate Request / Completion
 * handshake with ITags (PCIe Base spec, ATS chapter; algorithms reference 3).
 *
 * One struct iom_ats_rc models the root complex's ATS side for every
 * function below it: it implements struct iom_ats_port (iommu.h) for the
 * IOMMU driver (is the function ATS-capable, ATS Enable + STU, send an
 * Invalidate Request) and owns one struct iom_atc per function, created on
 * first use (the host enables ATS at attach, before the device's first DMA).
 *
 * A function's ATC is a generic set-associative cache (models/cache) of
 * completed translations: key = untranslated address >> range size, tag =
 * PASID (or none), Priv and the range size, so a lookup probes only the sizes
 * present.  A device TLP with AT = "use ATS"
 * (iom_atc_tlp()) looks the ATC up; a miss, or an entry without the needed
 * permission, sends a Translation Request (NW = 0 for writes, Exe / Priv
 * from the PASID prefix) to the IOMMU (struct iom_iommu ats_translate op) and
 * caches the completion's range; the TLP then goes out as a Translated
 * request (AT = 10b) at the translated address.  Without ATS enabled in the
 * function (ATS Control.Enable, set by the host), the TLP stays untranslated.
 *
 * Invalidation: the IOMMU's CMD_ATC_INV / device-TLB descriptor reaches the
 * port; the root complex takes the lowest ITag free for that function (at
 * most Invalidate Queue Depth outstanding; otherwise it waits for the first
 * to complete), the request crosses the link, the function handles requests
 * one after another (inval_latency_ns each), drops every matching entry and
 * answers with an Invalidate Completion (ITag Vector = that ITag, Completion
 * Count 1).  A function configured not to answer makes the root complex give
 * up after inval_timeout_ns: the port reports a timeout and the IOMMU shows
 * its own behaviour (SMMUv3 CERROR_ATC_INV_SYNC, VT-d ITE).
 *
 * Timing (ps): ATC lookup = one cache access (latency_cycles of
 * device.ats.clock_mhz, ports as configured); each ATS message crosses the
 * link in link_latency_ns -- or, for Translation Requests and Completions of
 * a device with a fabric hook (device.h), through the fabric as an 8-byte
 * MRd and its completion.  An entry being filled is usable from the moment
 * its completion arrived (a later TLP of the same page waits for it: the
 * requests merge).  State changes are applied when the model computes them:
 * an invalidation drops entries at the call, although its request reaches
 * the function later in simulated time (the IOMMU TLB invalidations of this
 * simulator behave the same).
 *
 * PRI (iom_atc_set_pri): a completion with R = W = 0 becomes a page request
 * and the Translation Request is retried after a Success response; without
 * PRI it ends the TLP at the device.
 * Not modelled: the ATS Page Aligned Request / Relaxed Ordering bits, completion
 * coalescing (each Invalidate Completion carries one ITag), more than one
 * translation per request, the U, N and Global completion bits (the IOMMU
 * models never set them).
 */
#ifndef IOM_MODELS_ATC_H
#define IOM_MODELS_ATC_H

#include "cache.h"
#include "iom.h"
#include "iommu.h"
#include "stats.h"

#ifdef __cplusplus
extern "C" {
#endif

struct iom_prop_table;
struct iom_config;
struct iom_dev_fabric_ops;

/* Section "device.ats": applied to every function of the default system. */
struct iom_ats_cfg {
	bool enable;                /* functions have an ATS capability */
	uint32_t clock_mhz;         /* clock of the ATC lookup (device.atc.latency_cycles) */
	uint32_t stu_log2;          /* 0: the STU the host programs; else forced (log2 bytes) */
	uint32_t inval_queue_depth; /* ATS capability Invalidate Queue Depth, 1..32 */
	uint64_t inval_latency_ns;  /* a function's time to handle one Invalidate Request */
	uint64_t link_latency_ns;   /* one-way device <-> root complex latency of an ATS message */
	uint64_t inval_timeout_ns;  /* the root complex's Invalidate Completion timeout */
	bool no_inval_response;     /* misbehave: never answer an Invalidate Request */
};
extern const struct iom_prop_table iom_ats_prop_table; /* "device.ats" */
extern const struct iom_prop_table iom_atc_prop_table; /* "device.atc" (cache geometry) */
/* Bind "device.ats" and "device.atc". */
int iom_ats_cfg_bind(struct iom_config *c, struct iom_ats_cfg *ats, struct iom_cache_cfg *atc,
		     struct iom_err *err);

/* ---- message log (tests, tracepoints) ---- */
enum iom_ats_msg_kind {
	IOM_ATS_MSG_TREQ = 0,   /* Translation Request, device -> IOMMU */
	IOM_ATS_MSG_TCPL,       /* Translation Completion, IOMMU -> device */
	IOM_ATS_MSG_INV_REQ,    /* Invalidate Request, root complex -> device */
	IOM_ATS_MSG_INV_CPL,    /* Invalidate Completion, device -> root complex */
	IOM_ATS_MSG_INV_TIMEOUT /* the root complex gave up waiting for a completion */
};
struct iom_ats_msg {
	uint8_t kind;       /* enum iom_ats_msg_kind */
	uint8_t status;     /* TCPL: enum iom_ats_status */
	uint8_t no_write;   /* TREQ: NW */
	uint8_t itag;       /* INV_REQ, INV_TIMEOUT */
	uint8_t cc;         /* INV_CPL: Completion Count */
	bool pasid_valid;   /* TREQ, INV_REQ: a PASID prefix */
	bool global;        /* INV_REQ: Global Invalidate */
	uint32_t rid, pasid;
	uint32_t itag_vector; /* INV_CPL */
	uint32_t flags;     /* TREQ: IOM_TXN_PRIV / IOM_TXN_EXEC of the PASID prefix */
	uint64_t field;     /* TREQ: untranslated address; TCPL: the completion data entry
	                     * (iom_ats_cpl_entry); INV_REQ: address with the S bit */
	uint64_t sent_ps;   /* left its sender (INV_TIMEOUT: when the root complex gave up) */
	uint64_t arrive_ps; /* reached its receiver */
};
/* The 8-byte completion data entry of a completion (0 for UR / CA). */
uint64_t iom_ats_cpl_entry(const struct iom_ats_req *r);
const char *iom_ats_msg_name(unsigned kind);

struct iom_ats_rc;
struct iom_atc;

/* The root complex's ATS side for functions whose IOMMU is `iommu` (used for
 * Translation Requests); cfg / atc are copied. */
struct iom_ats_rc *iom_ats_rc_create(const struct iom_ats_cfg *cfg,
				     const struct iom_cache_cfg *atc, struct iom_iommu *iommu,
				     struct iom_err *err);
void iom_ats_rc_destroy(struct iom_ats_rc *rc);
/* The port to hand to the IOMMU (iommu ops->set_ats_port). */
const struct iom_ats_port *iom_ats_rc_port(struct iom_ats_rc *rc);
/* Every message, as it is decided (NULL: none). */
void iom_ats_rc_set_log(struct iom_ats_rc *rc, void (*fn)(void *ctx, const struct iom_ats_msg *m),
			void *ctx);
/* Registers ats.* now and each function's <dev>.atc.* / <dev>.ats.* when it
 * is created (in creation order). */
int iom_ats_rc_register_stats(struct iom_ats_rc *rc, struct iom_stats *s, struct iom_err *err);
/* The function rid (created on first use). */
struct iom_atc *iom_ats_rc_function(struct iom_ats_rc *rc, uint32_t rid, struct iom_err *err);

/* ---- the function ---- */
/* An ATC entry (the value of iom_atc_cache()'s entries): key addr = untranslated
 * base >> size, tag = PASID [19:0], PASID valid 20, Priv 21, size log2 [29:24]. */
struct iom_atc_entry {
	uint64_t pa;       /* translated base of the range */
	uint64_t ready_ps; /* its completion reached the function */
	uint32_t perm;     /* IOM_ATS_CPL_R | W | EXE granted */
};
#define IOM_ATC_TAG_PV (1ull << 20)
#define IOM_ATC_TAG_PRIV (1ull << 21)
static inline unsigned iom_atc_tag_size(uint64_t tag) { return (unsigned)((tag >> 24) & 63); }

bool iom_atc_enabled(const struct iom_atc *a);   /* ATS Control.Enable */
unsigned iom_atc_stu_log2(const struct iom_atc *a);
struct iom_cache *iom_atc_cache(struct iom_atc *a);
/* The function's PRI (pri_dev.h; NULL: none): a Translation Request answered
 * with no access (R = W = 0) sends a page request group and is retried after
 * a Success response, at most pri->cfg.max_retries times. */
struct iom_pri_fn;
void iom_atc_set_pri(struct iom_atc *a, struct iom_pri_fn *pri);

/*
 * One request TLP t (untranslated: rid, pasid/flags, write, iova, size, ready
 * to leave the device at t->issue_ps) of a DMA whose records ask for ATS.
 * Returns 0 with t either unchanged (ATS not enabled in the function, or the
 * fabric sends the TLP to a peer) or made a Translated request (t->at =
 * IOM_AT_TRANSLATED, t->iova = the translated address, t->issue_ps = when it
 * may leave); 1 if the TLP ends at the device because the completion did not
 * grant the access (t->status = IOM_TXN_FAULT, or IOM_TXN_ABORT for UR / CA,
 * t->fault = the IOMMU's code, t->done_ps); -IOM_E* on simulator failure.
 * fab / fab_ctx: the device's fabric hook, or NULL.
 */
int iom_atc_tlp(struct iom_atc *a, struct iom_txn *t, const struct iom_dev_fabric_ops *fab,
		void *fab_ctx, struct iom_err *err);

struct iom_atc_stats {
	uint64_t lookups, hits, misses, perm_misses; /* perm_misses: present, but not that access */
	uint64_t tr, tr_denied, tr_ur, tr_ca;        /* Translation Requests and bad outcomes */
	uint64_t translated_tlps, untranslated_tlps; /* TLPs sent with AT = 10b / left untranslated */
	uint64_t inv_reqs, inv_dropped, inv_timeouts;
	struct iom_hist tr_latency_ps; /* request sent -> completion back */
};
const struct iom_atc_stats *iom_atc_stats(const struct iom_atc *a);

struct iom_ats_rc_stats {
	uint64_t inv_reqs, inv_timeouts, itag_stalls, itag_stall_ps;
	struct iom_hist inv_latency_ps; /* request sent -> completion back at the root complex */
};
const struct iom_ats_rc_stats *iom_ats_rc_stats(const struct iom_ats_rc *rc);

#ifdef __cplusplus
}
#endif
#endif
