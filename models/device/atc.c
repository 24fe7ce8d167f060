/* SPDX-License-Identifier: Apache-2.0 */
/*
 * atc.c - PCIe ATS: the functions' Address Translation Caches, Translation
 * Requests / Completions, and the root complex's Invalidate Request /
 * Completion handshake with ITags and a completion timeout.  What is
 * modelled and how it is timed: atc.h.
 */
#include "atc.h"

#include "pri_dev.h"

#include "config.h"
#include "device.h"
#include "u64map.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* Configuration.                                                          */

static const struct iom_ats_cfg ats_defaults = {
	.enable = false,
	.clock_mhz = 1000,
	.stu_log2 = 0,
	.inval_queue_depth = 32,
	.inval_latency_ns = 1000,
	.link_latency_ns = 250,
	.inval_timeout_ns = 60000000000ull, /* PCIe: 1 minute (+50% / -0%) */
	.no_inval_response = false,
};

static const struct iom_prop ats_props[] = {
	IOM_PROP_BOOL_(struct iom_ats_cfg, enable,
		       "functions have an ATS capability: the host enables ATS at attach as Linux "
		       "does, and DMA records with at=treq use the ATC"),
	IOM_PROP_U32_(struct iom_ats_cfg, clock_mhz, 1, 100000, "MHz",
		      "clock of the ATC lookup (device.atc.latency_cycles)"),
	IOM_PROP_U32_(struct iom_ats_cfg, stu_log2, 0, 30, "log2 bytes",
		      "Smallest Translation Unit: 0 = what the host programs (the IOMMU's smallest "
		      "page, 12 for 4 KB), else forced"),
	IOM_PROP_U32_(struct iom_ats_cfg, inval_queue_depth, 1, 32, "requests",
		      "ATS capability Invalidate Queue Depth: Invalidate Requests a function may "
		      "have outstanding (the root complex waits for an ITag beyond)"),
	IOM_PROP_U64_(struct iom_ats_cfg, inval_latency_ns, 0, 1000000000000ull, "ns",
		      "time a function takes to handle one Invalidate Request (drop entries, "
		      "flush translated requests) before it sends the completion"),
	IOM_PROP_U64_(struct iom_ats_cfg, link_latency_ns, 0, 1000000000ull, "ns",
		      "one-way device <-> root complex latency of an ATS message (translation "
		      "requests and completions use the PCIe fabric instead when there is one)"),
	IOM_PROP_U64_(struct iom_ats_cfg, inval_timeout_ns, 1, 1000000000000000ull, "ns",
		      "root complex's Invalidate Completion timeout (PCIe: 1 minute)"),
	IOM_PROP_BOOL_(struct iom_ats_cfg, no_inval_response,
		       "misbehave: functions never answer Invalidate Requests (timeout tests)"),
};

const struct iom_prop_table iom_ats_prop_table = {
	.section = "device.ats",
	.doc = "PCIe ATS of every function of the default system: capability, invalidation "
	       "handshake, link latency of ATS messages",
	.props = ats_props,
	.nprops = IOM_ARRAY_SIZE(ats_props),
	.defaults = &ats_defaults,
	.struct_size = sizeof(struct iom_ats_cfg),
};

static const struct iom_cache_cfg atc_defaults = {
	.entries = 64, .ways = 0, .policy = IOM_CACHE_LRU, .latency_cycles = 2, .ports = 1,
};

const struct iom_prop_table iom_atc_prop_table = {
	.section = "device.atc",
	.doc = "Address Translation Cache of each ATS function (translated ranges keyed by "
	       "untranslated address, PASID, Priv and range size; ways 0 = fully associative)",
	.props = iom_cache_props,
	.nprops = IOM_CACHE_NPROPS,
	.defaults = &atc_defaults,
	.struct_size = sizeof(struct iom_cache_cfg),
};

int iom_ats_cfg_bind(struct iom_config *c, struct iom_ats_cfg *ats, struct iom_cache_cfg *atc,
		     struct iom_err *err)
{
	int r = iom_config_bind(c, &iom_ats_prop_table, NULL, ats, err);
	return r ? r : iom_config_bind(c, &iom_atc_prop_table, NULL, atc, err);
}

/* ---------------------------------------------------------------------- */
/* State.                                                                  */

#define ATC_ITAGS 32
#define ATC_NSIZES 64 /* range sizes 2^0 .. 2^63 (only >= 12 occur) */

/* ATC tag (atc.h): PASID [19:0], PASID valid 20, Priv 21, size log2 [29:24]. */
#define ATC_TAG_PV IOM_ATC_TAG_PV
static inline uint64_t atc_tag(bool pv, uint32_t pasid, bool priv, unsigned size_log2)
{
	return (pv ? ATC_TAG_PV | (pasid & 0xfffff) : 0) | (priv ? IOM_ATC_TAG_PRIV : 0) |
	       ((uint64_t)size_log2 << 24);
}
#define atc_tag_size iom_atc_tag_size


struct iom_atc {
	struct iom_ats_rc *rc;
	uint32_t rid;
	char name[32];     /* "dev.00:02.0" */
	bool enabled;      /* ATS Control.Enable */
	unsigned stu_log2; /* ATS Control.STU + 12 */
	struct iom_cache *c;
	uint64_t size_count[ATC_NSIZES];
	uint64_t size_mask;       /* bit k: entries of 2^k bytes present */
	uint64_t inv_busy_ps;     /* the function handles Invalidate Requests one by one */
	uint64_t itag_free_ps[ATC_ITAGS]; /* root complex: when each ITag is free again */
	struct iom_pri_fn *pri;   /* the function's PRI (pri_dev.h), or NULL */
	struct iom_atc_stats st;
};

struct iom_ats_rc {
	struct iom_ats_cfg cfg;
	struct iom_cache_cfg atc_cfg;
	struct iom_iommu *iommu;
	uint64_t period_ps, link_ps;
	struct iom_ats_port port;
	struct iom_u64map fns;   /* rid -> struct iom_atc * */
	struct iom_atc **order;  /* creation order (destroy, stats) */
	size_t nfns, capfns;
	struct iom_stats *stats; /* registry for functions created later */
	void (*log)(void *ctx, const struct iom_ats_msg *m);
	void *log_ctx;
	struct iom_ats_rc_stats st;
};

static const char *const ats_msg_names[] = { "TREQ", "TCPL", "INV_REQ", "INV_CPL", "INV_TIMEOUT" };

const char *iom_ats_msg_name(unsigned kind)
{
	return kind < IOM_ARRAY_SIZE(ats_msg_names) ? ats_msg_names[kind] : "?";
}

uint64_t iom_ats_cpl_entry(const struct iom_ats_req *r)
{
	if (r->status != IOM_ATS_SUCCESS)
		return 0;
	uint64_t f = iom_ats_size_encode(r->pa, r->size_log2);
	return f | (r->perm & IOM_ATS_CPL_PERMS);
}

static void ats_log(struct iom_ats_rc *rc, const struct iom_ats_msg *m)
{
	if (rc->log)
		rc->log(rc->log_ctx, m);
}

bool iom_atc_enabled(const struct iom_atc *a) { return a->enabled; }
unsigned iom_atc_stu_log2(const struct iom_atc *a) { return a->stu_log2; }
struct iom_cache *iom_atc_cache(struct iom_atc *a) { return a->c; }
void iom_atc_set_pri(struct iom_atc *a, struct iom_pri_fn *pri) { a->pri = pri; }
const struct iom_atc_stats *iom_atc_stats(const struct iom_atc *a) { return &a->st; }
const struct iom_ats_rc_stats *iom_ats_rc_stats(const struct iom_ats_rc *rc) { return &rc->st; }

/* ---------------------------------------------------------------------- */
/* Function lifetime and stats.                                            */

static int atc_register_stats(struct iom_atc *a, struct iom_stats *s, struct iom_err *err)
{
	char n[96];
	int r;
	snprintf(n, sizeof(n), "%s.atc", a->name);
	r = iom_cache_register_stats(a->c, s, n, err);
#define ATC_CTR(f, unit, desc)                                                                     \
	do {                                                                                       \
		snprintf(n, sizeof(n), "%s.ats.%s", a->name, #f);                                  \
		if (!r)                                                                            \
			r = iom_stats_counter(s, n, unit, desc, &a->st.f, err);                    \
	} while (0)
	/* lookups / hits / misses: <dev>.atc.* (the cache's own counters) */
	ATC_CTR(perm_misses, "lookups", "misses because the entry lacked the access's permission");
	ATC_CTR(tr, "requests", "Translation Requests sent");
	ATC_CTR(tr_denied, "requests", "completions that did not grant the access (R = W = 0 ...)");
	ATC_CTR(tr_ur, "requests", "completions with Unsupported Request status");
	ATC_CTR(tr_ca, "requests", "completions with Completer Abort status");
	ATC_CTR(translated_tlps, "TLPs", "TLPs sent as Translated requests (AT = 10b)");
	ATC_CTR(untranslated_tlps, "TLPs", "TLPs that asked for ATS but went untranslated "
		"(ATS not enabled in the function)");
	ATC_CTR(inv_reqs, "requests", "Invalidate Requests received");
	ATC_CTR(inv_dropped, "entries", "ATC entries dropped by Invalidate Requests");
	ATC_CTR(inv_timeouts, "requests", "Invalidate Requests the root complex gave up on");
#undef ATC_CTR
	snprintf(n, sizeof(n), "%s.ats.tr_latency_ps", a->name);
	if (!r)
		r = iom_stats_histogram(s, n, "ps",
					"Translation Request sent -> completion back at the function",
					&a->st.tr_latency_ps, err);
	return r;
}

struct iom_atc *iom_ats_rc_function(struct iom_ats_rc *rc, uint32_t rid, struct iom_err *err)
{
	uint64_t v;
	if (iom_u64map_get(&rc->fns, rid, &v))
		return (struct iom_atc *)(uintptr_t)v;
	if (rc->nfns == rc->capfns) {
		size_t cap = rc->capfns ? 2 * rc->capfns : 8;
		struct iom_atc **o = realloc(rc->order, cap * sizeof(*o));
		if (!o) {
			iom_err_set(err, IOM_ENOMEM, "ats: out of memory");
			return NULL;
		}
		rc->order = o;
		rc->capfns = cap;
	}
	struct iom_atc *a = calloc(1, sizeof(*a));
	if (!a) {
		iom_err_set(err, IOM_ENOMEM, "ats: out of memory");
		return NULL;
	}
	a->rc = rc;
	a->rid = rid;
	a->stu_log2 = 12;
	snprintf(a->name, sizeof(a->name), "dev.%02x:%02x.%x", (rid >> 8) & 0xff,
		 (rid >> 3) & 0x1f, rid & 7);
	char n[64];
	snprintf(n, sizeof(n), "%s.atc", a->name);
	iom_hist_init(&a->st.tr_latency_ps);
	a->c = iom_cache_create(n, &rc->atc_cfg, sizeof(struct iom_atc_entry), rc->period_ps, err);
	if (!a->c || iom_u64map_put(&rc->fns, rid, (uint64_t)(uintptr_t)a)) {
		if (a->c)
			iom_err_set(err, IOM_ENOMEM, "ats: out of memory");
		iom_cache_destroy(a->c);
		free(a);
		return NULL;
	}
	rc->order[rc->nfns++] = a;
	if (rc->stats && atc_register_stats(a, rc->stats, err))
		return NULL;
	return a;
}

static void atc_flush(struct iom_atc *a)
{
	iom_cache_flush(a->c);
	memset(a->size_count, 0, sizeof(a->size_count));
	a->size_mask = 0;
}

/* ---------------------------------------------------------------------- */
/* The port (what the IOMMU driver calls).                                 */

static bool port_capable(void *ctx, uint32_t rid)
{
	(void)rid;
	return ((struct iom_ats_rc *)ctx)->cfg.enable;
}

static int port_enable(void *ctx, uint32_t rid, bool on, unsigned stu_log2, struct iom_err *err)
{
	struct iom_ats_rc *rc = ctx;
	struct iom_atc *a = iom_ats_rc_function(rc, rid, err);
	if (!a)
		return -err->code;
	if (on && !rc->cfg.enable)
		return iom_err_set(err, IOM_EINVAL, "ats: %s has no ATS capability", a->name);
	if (!on)
		atc_flush(a);
	a->enabled = on;
	a->stu_log2 = rc->cfg.stu_log2 ? rc->cfg.stu_log2 : IOM_MAX(stu_log2, 12u);
	return 0;
}

struct atc_inv_match {
	struct iom_atc *a;
	const struct iom_ats_inval *inv;
	uint64_t lo, hi; /* inclusive */
};

static bool atc_inv_pred(const struct iom_cache_key *k, const void *value, void *ctx)
{
	struct atc_inv_match *m = ctx;
	unsigned sh = atc_tag_size(k->tag);
	(void)value;
	/* With a PASID prefix only that PASID's entries; without one, every entry
	 * in the range (PCIe: there is no way to name the no-PASID entries alone). */
	if (m->inv->pasid_valid &&
	    (!(k->tag & ATC_TAG_PV) || (k->tag & 0xfffff) != (m->inv->pasid & 0xfffff)))
		return false;
	uint64_t base = sh >= 64 ? 0 : k->addr << sh;
	uint64_t last = sh >= 64 ? UINT64_MAX : base + ((1ull << sh) - 1);
	if (base > m->hi || last < m->lo)
		return false;
	if (m->a->size_count[sh] && !--m->a->size_count[sh])
		m->a->size_mask &= ~(1ull << sh);
	return true;
}

/* The function drops what one Invalidate Request names. */
static uint64_t atc_invalidate(struct iom_atc *a, const struct iom_ats_inval *inv)
{
	if (!iom_cache_valid(a->c))
		return 0;
	if (inv->size_log2 >= 64 && !inv->pasid_valid) {
		uint64_t n = iom_cache_valid(a->c);
		atc_flush(a);
		return n;
	}
	struct atc_inv_match m = { .a = a, .inv = inv, .lo = inv->addr };
	m.hi = inv->size_log2 >= 64 ? UINT64_MAX : inv->addr + ((1ull << inv->size_log2) - 1);
	return iom_cache_invalidate_if(a->c, atc_inv_pred, &m);
}

/* The lowest ITag of the function free at now, else the one that frees first:
 * *send_ps = when the request can leave. */
static unsigned rc_itag(struct iom_ats_rc *rc, struct iom_atc *a, uint64_t now, uint64_t *send_ps)
{
	unsigned depth = IOM_MIN(rc->cfg.inval_queue_depth, (unsigned)ATC_ITAGS), best = 0;
	for (unsigned i = 0; i < depth; i++) {
		if (a->itag_free_ps[i] <= now) {
			*send_ps = now;
			return i;
		}
		if (a->itag_free_ps[i] < a->itag_free_ps[best])
			best = i;
	}
	*send_ps = a->itag_free_ps[best];
	rc->st.itag_stalls++;
	rc->st.itag_stall_ps += *send_ps - now;
	return best;
}

static int port_invalidate(void *ctx, const struct iom_ats_inval *inv, uint64_t now_ps,
			   uint64_t *done_ps, struct iom_err *err)
{
	struct iom_ats_rc *rc = ctx;
	struct iom_atc *a = iom_ats_rc_function(rc, inv->rid, err);
	if (!a)
		return -err->code;
	uint64_t send;
	unsigned itag = rc_itag(rc, a, now_ps, &send);
	uint64_t arrive = send + rc->link_ps, timeout = send + rc->cfg.inval_timeout_ns * 1000;
	struct iom_ats_msg m = { .kind = IOM_ATS_MSG_INV_REQ, .itag = (uint8_t)itag,
				 .pasid_valid = inv->pasid_valid, .global = inv->global,
				 .rid = inv->rid, .pasid = inv->pasid_valid ? inv->pasid : 0,
				 .field = iom_ats_size_encode(inv->addr, inv->size_log2),
				 .sent_ps = send, .arrive_ps = arrive };
	ats_log(rc, &m);
	rc->st.inv_reqs++;
	a->st.inv_reqs++;
	uint64_t back = UINT64_MAX;
	if (!rc->cfg.no_inval_response) {
		uint64_t start = IOM_MAX(arrive, a->inv_busy_ps);
		uint64_t fin = start + rc->cfg.inval_latency_ns * 1000;
		a->inv_busy_ps = fin;
		a->st.inv_dropped += atc_invalidate(a, inv);
		back = fin + rc->link_ps;
		if (back <= timeout) {
			struct iom_ats_msg c = { .kind = IOM_ATS_MSG_INV_CPL, .cc = 1,
						 .rid = inv->rid, .itag_vector = 1u << itag,
						 .sent_ps = fin, .arrive_ps = back };
			ats_log(rc, &c);
			a->itag_free_ps[itag] = back;
			iom_hist_add(&rc->st.inv_latency_ps, back - send);
			*done_ps = back;
			return 0;
		}
	}
	/* No completion in time: the root complex gives up and frees the ITag. */
	struct iom_ats_msg t = { .kind = IOM_ATS_MSG_INV_TIMEOUT, .itag = (uint8_t)itag,
				 .rid = inv->rid, .sent_ps = timeout, .arrive_ps = timeout };
	ats_log(rc, &t);
	a->itag_free_ps[itag] = timeout;
	rc->st.inv_timeouts++;
	a->st.inv_timeouts++;
	*done_ps = timeout;
	return 1;
}

static const struct iom_ats_port_ops rc_port_ops = {
	.capable = port_capable,
	.enable = port_enable,
	.invalidate = port_invalidate,
};

/* ---------------------------------------------------------------------- */
/* Root complex lifetime.                                                  */

struct iom_ats_rc *iom_ats_rc_create(const struct iom_ats_cfg *cfg,
				     const struct iom_cache_cfg *atc, struct iom_iommu *iommu,
				     struct iom_err *err)
{
	if (!cfg || !atc || !iommu) {
		iom_err_set(err, IOM_EINVAL, "ats: create: NULL argument");
		return NULL;
	}
	if (!cfg->clock_mhz || cfg->inval_queue_depth < 1 || cfg->inval_queue_depth > 32 ||
	    (cfg->stu_log2 && cfg->stu_log2 < 12)) {
		iom_err_set(err, IOM_EINVAL,
			    "device.ats: clock_mhz must be > 0, inval_queue_depth 1..32 and "
			    "stu_log2 0 or 12..30 (got %u, %u, %u)", cfg->clock_mhz,
			    cfg->inval_queue_depth, cfg->stu_log2);
		return NULL;
	}
	/* The geometry is checked now, not at the first function. */
	struct iom_cache *probe = iom_cache_create("device.atc", atc, sizeof(struct iom_atc_entry),
						   1000, err);
	if (!probe)
		return NULL;
	iom_cache_destroy(probe);
	struct iom_ats_rc *rc = calloc(1, sizeof(*rc));
	if (!rc) {
		iom_err_set(err, IOM_ENOMEM, "ats: out of memory");
		return NULL;
	}
	rc->cfg = *cfg;
	rc->atc_cfg = *atc;
	rc->iommu = iommu;
	rc->period_ps = iom_mhz_to_period_ps(cfg->clock_mhz);
	rc->link_ps = cfg->link_latency_ns * 1000;
	rc->port = (struct iom_ats_port){ .ops = &rc_port_ops, .ctx = rc };
	iom_u64map_init(&rc->fns);
	iom_hist_init(&rc->st.inv_latency_ps);
	return rc;
}

void iom_ats_rc_destroy(struct iom_ats_rc *rc)
{
	if (!rc)
		return;
	for (size_t i = 0; i < rc->nfns; i++) {
		iom_cache_destroy(rc->order[i]->c);
		free(rc->order[i]);
	}
	free(rc->order);
	iom_u64map_fini(&rc->fns);
	free(rc);
}

const struct iom_ats_port *iom_ats_rc_port(struct iom_ats_rc *rc)
{
	return &rc->port;
}

void iom_ats_rc_set_log(struct iom_ats_rc *rc, void (*fn)(void *ctx, const struct iom_ats_msg *m),
			void *ctx)
{
	rc->log = fn;
	rc->log_ctx = fn ? ctx : NULL;
}

int iom_ats_rc_register_stats(struct iom_ats_rc *rc, struct iom_stats *s, struct iom_err *err)
{
	int r = 0;
#define RC_CTR(f, unit, desc)                                                                      \
	if (!r)                                                                                    \
	r = iom_stats_counter(s, "ats." #f, unit, desc, &rc->st.f, err)
	RC_CTR(inv_reqs, "requests", "Invalidate Requests the root complex sent");
	RC_CTR(inv_timeouts, "requests", "Invalidate Requests without a completion in time");
	RC_CTR(itag_stalls, "requests", "Invalidate Requests that waited for a free ITag");
	RC_CTR(itag_stall_ps, "ps", "time Invalidate Requests waited for a free ITag");
#undef RC_CTR
	if (!r)
		r = iom_stats_histogram(s, "ats.inv_latency_ps", "ps",
					"Invalidate Request sent -> its completion at the root complex",
					&rc->st.inv_latency_ps, err);
	for (size_t i = 0; !r && i < rc->nfns; i++)
		r = atc_register_stats(rc->order[i], s, err);
	if (!r)
		rc->stats = s;
	return r;
}

/* ---------------------------------------------------------------------- */
/* The function's side of a TLP.                                           */

/* Permission bit an access needs. */
static uint32_t atc_need(const struct iom_txn *t)
{
	if (t->write)
		return IOM_ATS_CPL_W;
	bool exe = (t->flags & IOM_TXN_EXEC) && (t->flags & IOM_TXN_PASID_VALID);
	return exe ? IOM_ATS_CPL_EXE : IOM_ATS_CPL_R;
}

/* Probe the sizes present; NULL on a miss (counted by the caller). */
static struct iom_atc_entry *atc_find(struct iom_atc *a, const struct iom_txn *t, bool pv, bool priv,
				  unsigned *size_log2)
{
	for (uint64_t m = a->size_mask; m; m &= m - 1) {
		unsigned k = (unsigned)__builtin_ctzll(m);
		struct iom_cache_key key = { t->iova >> k, atc_tag(pv, t->pasid, priv, k) };
		struct iom_atc_entry *e = iom_cache_probe(a->c, &key);
		if (e) {
			*size_log2 = k;
			return e;
		}
	}
	iom_cache_count_miss(a->c);
	return NULL;
}

static void atc_fill(struct iom_atc *a, bool pv, uint32_t pasid, bool priv,
		     const struct iom_ats_req *r, uint64_t ready_ps)
{
	unsigned k = r->size_log2;
	struct iom_cache_key key = { k >= 64 ? 0 : r->base >> k, atc_tag(pv, pasid, priv, k) };
	struct iom_atc_entry e = { .pa = r->pa, .ready_ps = ready_ps,
			       .perm = r->perm & (IOM_ATS_CPL_R | IOM_ATS_CPL_W | IOM_ATS_CPL_EXE) };
	struct iom_cache_key victim;
	bool evicted = false, present = iom_cache_peek(a->c, &key) != NULL;
	if (!iom_cache_insert(a->c, &key, &e, &victim, &evicted))
		return;
	if (evicted && iom_cache_config(a->c)->policy == IOM_CACHE_FLUSH_ALL) {
		memset(a->size_count, 0, sizeof(a->size_count));
		a->size_mask = 0;
		present = false;
	} else if (evicted) {
		unsigned vk = atc_tag_size(victim.tag);
		if (a->size_count[vk] && !--a->size_count[vk])
			a->size_mask &= ~(1ull << vk);
	}
	if (!present) {
		a->size_count[k]++;
		a->size_mask |= 1ull << k;
	}
}

/* Send the Translation Request for t at now; *back = when the completion is
 * at the function. false: the fabric routes the TLP to a peer (no ATS). */
static int atc_request(struct iom_atc *a, const struct iom_txn *t, bool pv, bool priv,
		       uint64_t now, const struct iom_dev_fabric_ops *fab, void *fab_ctx,
		       struct iom_ats_req *r, uint64_t *back, bool *to_iommu, struct iom_err *err)
{
	struct iom_ats_rc *rc = a->rc;
	uint64_t stu = 1ull << a->stu_log2;
	bool exe = pv && (t->flags & IOM_TXN_EXEC);
	uint64_t arrive = now + rc->link_ps;
	*to_iommu = true;
	if (fab) /* an MRd of 2 dwords (one completion entry) */
		arrive = fab->request(fab_ctx, now, t->iova & ~(stu - 1), 8, false, to_iommu);
	if (!*to_iommu)
		return 0;
	*r = (struct iom_ats_req){ .rid = t->rid, .pasid = pv ? t->pasid : 0,
				   .flags = (pv ? IOM_TXN_PASID_VALID : 0) |
					    (priv ? IOM_TXN_PRIV : 0) | (exe ? IOM_TXN_EXEC : 0),
				   .no_write = !t->write, .iova = t->iova & ~(stu - 1),
				   .issue_ps = arrive };
	struct iom_ats_msg m = { .kind = IOM_ATS_MSG_TREQ, .no_write = r->no_write,
				 .pasid_valid = pv, .rid = t->rid, .pasid = r->pasid,
				 .flags = r->flags & (IOM_TXN_PRIV | IOM_TXN_EXEC),
				 .field = r->iova, .sent_ps = now, .arrive_ps = arrive };
	ats_log(rc, &m);
	int rcode = iom_iommu_ats_translate(rc->iommu, r, err);
	if (rcode)
		return rcode;
	*back = fab ? fab->completions(fab_ctx, r->done_ps, r->iova, 8) : r->done_ps + rc->link_ps;
	struct iom_ats_msg c = { .kind = IOM_ATS_MSG_TCPL, .status = r->status, .rid = t->rid,
				 .pasid_valid = pv, .pasid = r->pasid,
				 .field = iom_ats_cpl_entry(r), .sent_ps = r->done_ps,
				 .arrive_ps = *back };
	ats_log(rc, &c);
	a->st.tr++;
	iom_hist_add(&a->st.tr_latency_ps, *back - now);
	return 0;
}

int iom_atc_tlp(struct iom_atc *a, struct iom_txn *t, const struct iom_dev_fabric_ops *fab,
		void *fab_ctx, struct iom_err *err)
{
	if (!a->enabled) {
		a->st.untranslated_tlps++;
		return 0;
	}
	bool pv = t->flags & IOM_TXN_PASID_VALID;
	bool priv = pv && (t->flags & IOM_TXN_PRIV); /* no PASID prefix: unprivileged */
	uint32_t need = atc_need(t);
	uint64_t now = iom_cache_access_ps(a->c, t->issue_ps);
	unsigned k = 0;
	a->st.lookups++;
	struct iom_atc_entry *e = atc_find(a, t, pv, priv, &k);
	uint64_t pa, ready;
	if (e && (e->perm & need)) {
		a->st.hits++;
		pa = e->pa + (t->iova & ((1ull << k) - 1));
		ready = IOM_MAX(now, e->ready_ps);
	} else {
		a->st.misses++;
		a->st.perm_misses += e != NULL;
		struct iom_ats_req r;
		uint64_t back = now;
		bool to_iommu;
		int rc = atc_request(a, t, pv, priv, now, fab, fab_ctx, &r, &back, &to_iommu, err);
		if (rc)
			return rc;
		if (!to_iommu) {
			a->st.untranslated_tlps++;
			return 0;
		}
		if (r.status == IOM_ATS_SUCCESS && (r.perm & (IOM_ATS_CPL_R | IOM_ATS_CPL_W |
							      IOM_ATS_CPL_EXE)))
			atc_fill(a, pv, t->pasid, priv, &r, back);
		/* No access: with PRI, a page request, then the request again. */
		for (uint32_t n = 0; a->pri && r.status == IOM_ATS_SUCCESS && !(r.perm & need); n++) {
			uint64_t retry;
			uint32_t code;
			if (n == a->pri->cfg.max_retries) {
				a->pri->gave_up++;
				break;
			}
			rc = iom_pri_fn_fault(a->pri, t, back, &retry, &code, err);
			if (rc <= 0) {
				if (rc < 0)
					return rc;
				break;
			}
			a->pri->retries++;
			rc = atc_request(a, t, pv, priv, retry, fab, fab_ctx, &r, &back, &to_iommu, err);
			if (rc)
				return rc;
			if (!to_iommu) {
				a->st.untranslated_tlps++;
				return 0;
			}
			if (r.status == IOM_ATS_SUCCESS &&
			    (r.perm & (IOM_ATS_CPL_R | IOM_ATS_CPL_W | IOM_ATS_CPL_EXE)))
				atc_fill(a, pv, t->pasid, priv, &r, back);
		}
		if (r.status != IOM_ATS_SUCCESS || !(r.perm & need)) {
			a->st.tr_ur += r.status == IOM_ATS_UR;
			a->st.tr_ca += r.status == IOM_ATS_CA;
			a->st.tr_denied += r.status == IOM_ATS_SUCCESS;
			t->status = r.status == IOM_ATS_SUCCESS ? IOM_TXN_FAULT : IOM_TXN_ABORT;
			t->fault = r.fault;
			t->done_ps = back;
			return 1;
		}
		pa = r.pa + (t->iova - r.base);
		ready = back;
	}
	a->st.translated_tlps++;
	t->at = IOM_TXN_AT_TRANSLATED;
	t->iova = pa;
	t->issue_ps = ready;
	return 0;
}
