/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dirty.c - dirty tracking and harvest of IOMMU domains as iommufd does them
 * (dirty.h; algorithms-reference.md 6.2-6.4, 1.6, 2.4; docs/dirty.md).
 *
 * What it models:
 *  - set tracking (iopt_set_dirty_tracking): on enable, a read-and-clear of
 *    every mapped leaf with no bitmap, one IOTLB sync if anything was dirty,
 *    then the driver's set_dirty_tracking (iom_host_set_dirty_tracking);
 *  - read-and-clear (iommufd_hwpt_get_dirty_bitmap ->
 *    iopt_read_and_clear_dirty_data): flag, domain and range checks with
 *    iommufd's errno, iova_bitmap_alloc / _for_each with the configured
 *    algorithm, a producer per window that walks the domain's table in
 *    simulated memory (iom_pt_scan: SMMUv3 io-pgtable-arm's depth-first walk,
 *    VT-d's per-step walk from the root), records each dirty leaf whole from
 *    where the walk is ([max(window start, leaf base), leaf end), clipped to
 *    the request) and clears it atomically unless NO_CLEAR, widening the
 *    gather; then the IOTLB sync of the gather (iommu_iotlb_sync) through
 *    the host's invalidation path, before or after the clears or not at all
 *    (cfg.order).  A hole in a window ends that window's walk with -EINVAL,
 *    which iommufd ignores: the call returns 0 with a partial bitmap
 *    (res->partial).  VT-d refuses to record while tracking is off (-EINVAL,
 *    dropped likewise); SMMUv3 reports whatever DBM recorded.
 *  - VFIO type1 (algorithm type1): the checks of VFIO_IOMMU_DIRTY_PAGES
 *    GET_BITMAP, every mapped page dirty (no device is in pinned-page scope),
 *    per-mapping bitmaps copied with the shift rule (first word ORed when the
 *    mapping's bit offset is not a multiple of 64, the other words
 *    overwritten); a mapping is taken to be a maximal run of mapped leaves
 *    (VFIO keeps one vfio_dma per MAP_DMA call: that moves where words are
 *    overwritten, not which bits are set).  No table walk, no invalidation.
 *  - a device tracker (struct iom_dirty_producer): VFIO DMA logging report
 *    checks (page size >= 4 KB, a power of two; no NO_CLEAR), the producer
 *    inside the iova_bitmap windows; its errors are returned (VFIO does).
 * Timing: a harvest starts at now with call_ps of CPU; table reads, atomic
 *  clears and the invalidation are timed (models/mem, the IOMMU's queues)
 *  one after the other; each entry visited adds pte_ps; the iova_bitmap
 *  layer's modelled time (pins, kmaps, bytes) is added as it accrues; type1
 *  charges copy_byte_ps per bitmap byte copied out and per byte cleared.
 * Not modelled: IOAS areas (the walk's "areas" are runs of mapped leaves),
 *  iova_alignment of the IOAS (4 KB), the VT-d per-step walk's quirk of
 *  advancing by the leaf size from an unaligned position (we walk to the
 *  leaf end), cache effects of the CPU's walk beyond models/mem's LLC draw,
 *  several CPUs.
 */
#include "dirty.h"

#include "config.h"
#include "host.h"
#include "mem.h"
#include "pgtable.h"
#include "stats.h"
#include "u64map.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const dirty_algo_names[] = {"v6_1", "v6_10", "v6_11", "iter", "type1", NULL};
static const char *const dirty_order_names[] = {"clear_then_inval", "inval_then_clear", "no_inval",
                                                NULL};
static const char *const dirty_tracker_names[] = {"iommu", "device", NULL};

const char *iom_dirty_algo_name(unsigned algo)
{
	return algo < IOM_DIRTY_ALGO_MAX ? dirty_algo_names[algo] : NULL;
}

const char *iom_dirty_order_name(unsigned order)
{
	return order < IOM_DIRTY_ORDER_MAX ? dirty_order_names[order] : NULL;
}

static const struct iom_dirty_cfg dirty_defaults = {
    .enable = false,
    .tracker = IOM_DIRTY_TRACKER_IOMMU,
    .algorithm = IOM_DIRTY_V6_11,
    .order = IOM_DIRTY_CLEAR_THEN_INVAL,
    .vtd_first_level = false,
    .bitmap_offset = 0,
    .call_ps = 1000000, /* 1 us: syscall, fdget, checks, copy_from_user of the command */
    .pte_ps = 2000,     /* 2 ns: the walker's loop body per entry */
    .copy_byte_ps = 250,
    .stop_pages = 256, /* iommusim gen migrate --stop-pages */
};

static const struct iom_prop dirty_props[] = {
    IOM_PROP_BOOL_(struct iom_dirty_cfg, enable,
                   "allocate paging domains with dirty tracking "
                   "(IOMMU_HWPT_ALLOC_DIRTY_TRACKING) and replay dirty / harvest records"),
    IOM_PROP_ENUM_(struct iom_dirty_cfg, tracker, dirty_tracker_names,
                   "who records dirty pages: iommu (the domain's page table: SMMUv3 DBM, "
                   "VT-d A/D) or device (a VFIO DMA-logging tracker per attached device, "
                   "dirty.device)"),
    IOM_PROP_ENUM_(struct iom_dirty_cfg, algorithm, dirty_algo_names,
                   "how the user bitmap is filled: the iova_bitmap of Linux v6.1 (known bad: "
                   "bits past a window are lost), v6.10, v6.11, the iterator design, or VFIO "
                   "type1 (every mapped page dirty, no table walk)"),
    IOM_PROP_ENUM_(struct iom_dirty_cfg, order, dirty_order_names,
                   "harvest order of clearing and the IOTLB invalidation: clear_then_inval "
                   "(Linux), inval_then_clear or no_inval (both lose writes)"),
    IOM_PROP_BOOL_(struct iom_dirty_cfg, vtd_first_level,
                   "VT-d: a first-level domain tracks its D bits (the host builds writable "
                   "leaves with D = 0; Linux presets D and uses second level instead)"),
    IOM_PROP_U64_(struct iom_dirty_cfg, bitmap_offset, 0, 4095, "bytes",
                  "replay: offset of the user bitmap in its page (windows depend on it)"),
    IOM_PROP_U64_(struct iom_dirty_cfg, call_ps, 0, 1ull << 40, "ps",
                  "host CPU time of one harvest / enable call outside the walk"),
    IOM_PROP_U64_(struct iom_dirty_cfg, pte_ps, 0, 1ull << 30, "ps",
                  "host CPU time per table entry visited, beyond its memory read"),
    IOM_PROP_U64_(struct iom_dirty_cfg, copy_byte_ps, 0, 1ull << 30, "ps",
                  "type1: host CPU time per bitmap byte copied out or cleared"),
    IOM_PROP_U64_(struct iom_dirty_cfg, stop_pages, 0, 1ull << 40, "pages",
                  "replay, migration view: a pre-copy round converges when its harvest "
                  "reports at most this many 4 KB pages (docs/dirty.md, Migration scenario)"),
};

const struct iom_prop_table iom_dirty_prop_table = {
    .section = "dirty",
    .doc = "Dirty-page tracking and harvest (iommufd / VFIO; docs/dirty.md)",
    .props = dirty_props,
    .nprops = IOM_ARRAY_SIZE(dirty_props),
    .defaults = &dirty_defaults,
    .struct_size = sizeof(struct iom_dirty_cfg),
};

struct iom_dirty {
	struct iom_host *h;
	struct iom_dirty_cfg cfg;
	int mem_req; /* "host.dirty" */
	const struct iom_dirty_producer *prod;
	void *prod_ctx;
	void (*race)(void *ctx, uint64_t t_ps);
	void *race_ctx;
	struct iom_u64map sw_on; /* domain -> 1: tracking on (type1, producer) */
	struct iom_dirty_stats st;
};

static int dirty_check_cfg(const struct iom_dirty_cfg *c, struct iom_err *err)
{
	if (c->algorithm >= IOM_DIRTY_ALGO_MAX || c->order >= IOM_DIRTY_ORDER_MAX ||
	    c->tracker > IOM_DIRTY_TRACKER_DEVICE)
		return iom_err_set(err, IOM_EINVAL,
		                   "dirty: algorithm %u, order %u or tracker %u "
		                   "unknown",
		                   c->algorithm, c->order, c->tracker);
	return 0;
}

struct iom_dirty *iom_dirty_create(struct iom_host *h, const struct iom_dirty_cfg *cfg,
                                   struct iom_err *err)
{
	if (!h || !cfg || dirty_check_cfg(cfg, err)) {
		if (!h || !cfg)
			iom_err_set(err, IOM_EINVAL, "dirty: NULL host or configuration");
		return NULL;
	}
	int req = iom_mem_requester(iom_host_mem(h), "host.dirty");
	if (req < 0) {
		iom_err_set(err, IOM_EBUSY, "dirty: no memory requester left for host.dirty");
		return NULL;
	}
	struct iom_dirty *dt = calloc(1, sizeof(*dt));
	if (!dt) {
		iom_err_set(err, IOM_ENOMEM, "dirty: out of memory");
		return NULL;
	}
	dt->h = h;
	dt->cfg = *cfg;
	dt->mem_req = req;
	iom_u64map_init(&dt->sw_on);
	return dt;
}

void iom_dirty_destroy(struct iom_dirty *dt)
{
	if (!dt)
		return;
	iom_u64map_fini(&dt->sw_on);
	free(dt);
}

int iom_dirty_configure(struct iom_dirty *dt, const struct iom_dirty_cfg *cfg, struct iom_err *err)
{
	int r = dirty_check_cfg(cfg, err);
	if (!r)
		dt->cfg = *cfg;
	return r;
}

const struct iom_dirty_cfg *iom_dirty_config(const struct iom_dirty *dt)
{
	return &dt->cfg;
}

void iom_dirty_set_producer(struct iom_dirty *dt, const struct iom_dirty_producer *p, void *ctx)
{
	dt->prod = p;
	dt->prod_ctx = p ? ctx : NULL;
}

void iom_dirty_set_race_hook(struct iom_dirty *dt, void (*fn)(void *ctx, uint64_t t_ps), void *ctx)
{
	dt->race = fn;
	dt->race_ctx = fn ? ctx : NULL;
}

const struct iom_dirty_stats *iom_dirty_stats(const struct iom_dirty *dt)
{
	return &dt->st;
}

/* Tracked in software (type1) or by a producer: no IOMMU state involved. */
static bool dirty_sw(const struct iom_dirty *dt)
{
	return dt->prod || dt->cfg.algorithm == IOM_DIRTY_TYPE1;
}

bool iom_dirty_tracking(const struct iom_dirty *dt, uint32_t domain)
{
	if (dirty_sw(dt))
		return iom_u64map_get(&dt->sw_on, domain, NULL);
	const struct iom_host_domain *d = iom_host_domain(dt->h, domain);
	return d && d->dirty_tracking;
}

/* A modelled errno: the message starts with its name. */
static int dirty_errno(struct iom_dirty_result *res, int e, struct iom_err *err, const char *fmt,
                       ...) __attribute__((format(printf, 4, 5)));
static int dirty_errno(struct iom_dirty_result *res, int e, struct iom_err *err, const char *fmt,
                       ...)
{
	char msg[IOM_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (res)
		res->uapi_errno = e;
	int code = e == EOVERFLOW ? IOM_ERANGE : e == ENOENT ? IOM_ENOENT : IOM_EINVAL;
	const char *name = e == EOVERFLOW    ? "EOVERFLOW"
	                   : e == ENOENT     ? "ENOENT"
	                   : e == EOPNOTSUPP ? "EOPNOTSUPP"
	                   : e == E2BIG      ? "E2BIG"
	                                     : "EINVAL";
	return iom_err_set(err, code, "%s: %s", name, msg);
}

/* ---------------------------------------------------------------------- */
/* The IOMMU producer: one harvest's walk.                                 */

struct dh {
	struct iom_dirty *dt;
	const struct iom_host_domain *d;
	struct iom_pt *pt;         /* the table walked: the domain's, or the VM's stage 2 */
	bool s2;                   /* nested: the VM's stage 2 */
	struct iom_iova_bitmap *b; /* NULL: the pre-clear of an enable */
	uint64_t req_end;          /* recording stops here (the request's end) */
	bool clear;
	bool stop_on_hole;           /* iommufd: a hole ends the window with -EINVAL */
	bool no_race;                /* the race hook is not called (enabling) */
	uint64_t t;                  /* running clock */
	uint64_t ibm_seen;           /* iova_bitmap time already on the clock */
	uint64_t g_lo, g_hi, g_gran; /* the IOTLB gather */
	struct iom_dirty_result *res;
	struct iom_err *err;
};

/* The iova_bitmap layer's time accrued since the last look moves the clock. */
static void dh_ibm_time(struct dh *h, uint64_t *clock)
{
	uint64_t d = h->res->cost.ibm.time_ps - h->ibm_seen;
	*clock += d;
	h->ibm_seen += d;
}

static void dh_before(void *ctx, uint64_t t_ps)
{
	struct dh *h = ctx;
	h->dt->race(h->dt->race_ctx, t_ps);
}

static int dh_visit(void *ctx, struct iom_pt_scan *s, const struct iom_pt_leaf *l,
                    struct iom_err *err)
{
	struct dh *h = ctx;
	(void)err;
	s->now_ps += h->dt->cfg.pte_ps;
	if (!l->valid) {
		if (!h->stop_on_hole)
			return IOM_PT_SCAN_NEXT;
		h->res->hole_iova = l->iova;
		return IOM_PT_SCAN_STOP;
	}
	if (!l->dirty)
		return IOM_PT_SCAN_NEXT;
	h->res->cost.dirty_leaves++;
	uint64_t end = l->base + l->size;
	if (end > h->req_end || end < l->base)
		end = h->req_end;
	if (h->b && end > l->iova) {
		iom_ibm_set(h->b, l->iova, end - l->iova);
		dh_ibm_time(h, &s->now_ps);
	}
	h->g_lo = IOM_MIN(h->g_lo, l->iova);
	h->g_hi = IOM_MAX(h->g_hi, end);
	h->g_gran = IOM_MIN(h->g_gran, l->size);
	return h->clear ? IOM_PT_SCAN_CLEAR : IOM_PT_SCAN_NEXT;
}

/* Walk [iova, iova + length) of the table: 0, 1 (stopped at a hole), -IOM_E*. */
static int dh_walk(struct dh *h, uint64_t iova, uint64_t length)
{
	const struct iom_pt_cfg *pc = iom_pt_config(h->pt);
	struct iom_pt_scan s = {.iova = iova,
	                        .size = length,
	                        .mem_req = h->dt->mem_req,
	                        .rewalk = pc->fmt == IOM_PT_X86_FL || pc->fmt == IOM_PT_VTD_SL,
	                        .before = h->dt->race && !h->no_race ? dh_before : NULL,
	                        .visit = dh_visit,
	                        .ctx = h,
	                        .now_ps = h->t};
	int rc = iom_pt_scan(h->pt, &s, h->err);
	struct iom_dirty_cost *c = &h->res->cost;
	c->pte_reads += s.reads;
	c->pte_clears += s.clears;
	c->leaves += s.leaves;
	c->holes += s.holes;
	c->walk_ps += s.now_ps - h->t;
	h->t = s.now_ps;
	return rc;
}

/* The iova_bitmap callback: one window. */
static int dh_window(struct iom_iova_bitmap *b, uint64_t iova, uint64_t length, void *opaque)
{
	struct dh *h = opaque;
	(void)b;
	h->res->cost.windows++;
	dh_ibm_time(h, &h->t);
	/* intel_iommu_read_and_clear_dirty(): no recording while tracking is off */
	unsigned fmt = iom_pt_config(h->pt)->fmt;
	if ((fmt == IOM_PT_VTD_SL || fmt == IOM_PT_X86_FL) && !h->d->dirty_tracking) {
		iom_err_set(h->err, IOM_EINVAL, "EINVAL: VT-d domain %u: dirty tracking is off",
		            h->d->id);
		return -IOM_EINVAL;
	}
	int rc = dh_walk(h, iova, length);
	if (rc == 1) {
		iom_err_set(h->err, IOM_EINVAL,
		            "EINVAL: a hole at iova 0x%" PRIx64 " in the window [0x%" PRIx64
		            ", +0x%" PRIx64 ")",
		            h->res->hole_iova, iova, length);
		return -IOM_EINVAL;
	}
	return rc;
}

/* The IOTLB sync the clears need (iommu_iotlb_sync of the gather) through
 * the host's invalidation path; nested: the VM's stage 2. */
static int dh_sync(struct dh *h, uint64_t lo, uint64_t hi, uint64_t gran)
{
	struct iom_dirty *dt = h->dt;
	void *drv;
	const struct iom_host_drv_ops *ops = iom_host_ops(dt->h, &drv);
	uint64_t c0 = ops->cmds_issued ? ops->cmds_issued(drv) : 0, t0 = h->t;
	int r;
	if (dt->race && !h->no_race)
		dt->race(dt->race_ctx, h->t);
	if (h->s2) {
		r = ops->s2_invalidate
		        ? ops->s2_invalidate(drv, h->d->vmid, h->t, &h->t, h->err)
		        : iom_err_set(
		              h->err, IOM_ENOTSUP,
		              "dirty: stage-2 invalidation is not implemented for this IOMMU");
	} else {
		uint64_t g = gran ? gran : 4096, a = lo & ~(g - 1);
		uint64_t e = (hi + g - 1) & ~(g - 1);
		struct iom_inval inv = {.scope = IOM_INVAL_RANGE,
		                        .leaf = 1,
		                        .tag = h->d->tag,
		                        .iova = a,
		                        .size = e - a,
		                        .granule = g};
		r = iom_host_invalidate(dt->h, &inv, h->t, &h->t, h->err);
	}
	h->res->cost.invalidations++;
	h->res->cost.commands += ops->cmds_issued ? ops->cmds_issued(drv) - c0 : 0;
	h->res->cost.inval_ps += h->t - t0;
	return r;
}

static void dh_init(struct dh *h, struct iom_dirty *dt, const struct iom_host_domain *d,
                    struct iom_dirty_result *res, uint64_t t, struct iom_err *err)
{
	*h = (struct dh){.dt = dt,
	                 .d = d,
	                 .pt = d->s2 ? d->s2 : d->pt,
	                 .s2 = d->s2 != NULL,
	                 .req_end = UINT64_MAX,
	                 .t = t,
	                 .g_lo = UINT64_MAX,
	                 .g_gran = UINT64_MAX,
	                 .res = res,
	                 .err = err};
}

/* The mapped areas: maximal runs of leaves, found in software (iommufd
 * keeps its areas in an interval tree: no table reads). */
struct dh_runs {
	uint64_t (*r)[2];
	size_t n, cap;
	bool oom;
};

static int dh_run_leaf(void *ctx, struct iom_pt_scan *s, const struct iom_pt_leaf *l,
                       struct iom_err *err)
{
	struct dh_runs *c = ctx;
	(void)s;
	(void)err;
	if (!l->valid)
		return IOM_PT_SCAN_NEXT;
	if (c->n && c->r[c->n - 1][1] == l->base) {
		c->r[c->n - 1][1] = l->base + l->size;
		return IOM_PT_SCAN_NEXT;
	}
	if (c->n == c->cap) {
		uint64_t(*nr)[2] = realloc(c->r, (c->cap = c->cap ? 2 * c->cap : 16) * sizeof(*nr));
		if (!nr) {
			c->oom = true;
			return IOM_PT_SCAN_STOP;
		}
		c->r = nr;
	}
	c->r[c->n][0] = l->base;
	c->r[c->n++][1] = l->base + l->size;
	return IOM_PT_SCAN_NEXT;
}

/* iopt_clear_dirty_data(): every mapped area read and cleared, no bitmap,
 * then one sync if anything was dirty.  Not raced: tracking starts when the
 * enable returns (writes meanwhile are the VMM's first full copy's). */
static int dirty_preclear(struct iom_dirty *dt, const struct iom_host_domain *d, uint64_t *t,
                          struct iom_dirty_result *res, struct iom_err *err)
{
	struct dh h;
	struct dh_runs runs = {0};
	dh_init(&h, dt, d, res, *t, err);
	h.clear = true;
	h.no_race = true;
	struct iom_pt_scan s = {.size = 1ull << iom_pt_config(h.pt)->ia_bits,
	                        .mem_req = -1,
	                        .visit = dh_run_leaf,
	                        .ctx = &runs};
	int r = iom_pt_scan(h.pt, &s, err);
	if (runs.oom)
		r = iom_err_set(err, IOM_ENOMEM, "dirty: out of memory");
	for (size_t i = 0; i < runs.n && r >= 0; i++)
		r = dh_walk(&h, runs.r[i][0], runs.r[i][1] - runs.r[i][0]);
	free(runs.r);
	if (r > 0)
		r = 0;
	if (!r && h.g_hi > h.g_lo) /* cfg.order is the harvests' */
		r = dh_sync(&h, h.g_lo, h.g_hi, h.g_gran);
	*t = h.t;
	return r;
}

/* ---------------------------------------------------------------------- */
/* Tracking on / off.                                                      */

static const struct iom_host_domain *dirty_domain(struct iom_dirty *dt, uint32_t id,
                                                  struct iom_dirty_result *res, struct iom_err *err)
{
	const struct iom_host_domain *d = iom_host_domain(dt->h, id);
	if (!d)
		dirty_errno(res, ENOENT, err, "domain %u does not exist", id);
	else if (d->type != IOM_HOST_DOM_PAGING)
		dirty_errno(res, EINVAL, err, "domain %u is not a paging domain", id);
	else
		return d;
	return NULL;
}

int iom_dirty_set_tracking(struct iom_dirty *dt, uint32_t domain, bool on, uint64_t now_ps,
                           uint64_t *done_ps, struct iom_dirty_result *res, struct iom_err *err)
{
	struct iom_dirty_result local;
	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	res->start_ps = res->done_ps = now_ps;
	*done_ps = now_ps;
	const struct iom_host_domain *d = dirty_domain(dt, domain, res, err);
	if (!d)
		return -err->code;
	uint64_t t = now_ps + dt->cfg.call_ps;
	int r = 0;
	if (dirty_sw(dt)) {
		if (dt->prod)
			r = on ? dt->prod->start(dt->prod_ctx, domain, t, &t, err)
			       : dt->prod->stop(dt->prod_ctx, domain, t, &t, err);
		if (!r)
			r = on ? iom_u64map_put(&dt->sw_on, domain, 1) : 0;
		if (!r && !on)
			iom_u64map_del(&dt->sw_on, domain);
	} else if (!(d->flags & IOM_HOST_DOM_F_DIRTY)) {
		return dirty_errno(res, EOPNOTSUPP, err,
		                   "domain %u was not allocated with dirty tracking", domain);
	} else {
		if (on)
			r = dirty_preclear(dt, d, &t, res, err);
		if (!r)
			r = iom_host_set_dirty_tracking(dt->h, domain, on, t, &t, err);
	}
	if (r)
		return r;
	dt->st.enables += on;
	dt->st.disables += !on;
	dt->st.pte_reads += res->cost.pte_reads;
	dt->st.pte_clears += res->cost.pte_clears;
	dt->st.invalidations += res->cost.invalidations;
	dt->st.commands += res->cost.commands;
	res->done_ps = *done_ps = t;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Read and clear.                                                         */

/* iommufd_check_iova_range() and the flag checks; VFIO's for the others. */
static int dirty_check_req(struct iom_dirty *dt, const struct iom_dirty_req *q,
                           struct iom_dirty_result *res, struct iom_err *err)
{
	uint64_t last;
	if (__builtin_add_overflow(q->iova, q->length - 1, &last))
		return dirty_errno(res, EOVERFLOW, err,
		                   "iova 0x%" PRIx64 " + length 0x%" PRIx64 " overflows", q->iova,
		                   q->length);
	if (!q->length) /* iova 0, length 0: last = ULONG_MAX passes iommufd's checks */
		return dirty_errno(res, EINVAL, err, "length 0");
	if (!q->page_size || (q->page_size & (q->page_size - 1)))
		return dirty_errno(res, EINVAL, err,
		                   "page_size 0x%" PRIx64 " is not a power of two", q->page_size);
	if ((q->iova | (last + 1)) & 4095) /* the IOAS's iova_alignment: PAGE_SIZE */
		return dirty_errno(res, EINVAL, err,
		                   "iova 0x%" PRIx64 " or its end is not 4 KB aligned", q->iova);
	if ((q->iova | (last + 1)) & (q->page_size - 1))
		return dirty_errno(res, EINVAL, err,
		                   "iova 0x%" PRIx64 " or its end is not aligned to page_size "
		                   "0x%" PRIx64,
		                   q->iova, q->page_size);
	if (dt->prod && q->page_size < 4096)
		return dirty_errno(res, EINVAL, err, "DMA-logging report page size below 4 KB");
	if (dt->prod && (q->flags & IOM_DIRTY_NO_CLEAR))
		return dirty_errno(res, EOPNOTSUPP, err,
		                   "a VFIO DMA-logging report has no no-clear mode");
	if (!q->bitmap || !q->bitmap->buf)
		return iom_err_set(err, IOM_EINVAL, "dirty: no user bitmap");
	return 0;
}

/* The device tracker inside one window. */
struct dp {
	struct iom_dirty *dt;
	uint32_t domain;
	struct iom_iova_bitmap *b;
	struct iom_dirty_result *res;
	uint64_t t, ibm_seen;
	struct iom_err *err;
};

static void dp_record(void *ctx, uint64_t iova, uint64_t length)
{
	struct dp *p = ctx;
	iom_ibm_set(p->b, iova, length);
}

static int dp_window(struct iom_iova_bitmap *b, uint64_t iova, uint64_t length, void *opaque)
{
	struct dp *p = opaque;
	(void)b;
	p->res->cost.windows++;
	int r = p->dt->prod->read_and_clear(p->dt->prod_ctx, p->domain, iova, length, dp_record, p,
	                                    p->t, &p->t, &p->res->cost, p->err);
	uint64_t d = p->res->cost.ibm.time_ps - p->ibm_seen;
	p->t += d;
	p->ibm_seen += d;
	return r;
}

/* Bits [lo, lo + n) of the user bitmap as VFIO type1 writes them: u64 words
 * from word lo / 64; the first ORed when lo % 64 != 0, the rest overwritten
 * (zeros past n included).  Returns the bytes written. */
static uint64_t t1_copy(const struct iom_ubitmap *u, uint64_t lo, uint64_t n)
{
	uint64_t sh = lo & 63, w0 = lo >> 6, nw = (sh + n + 63) >> 6;
	for (uint64_t w = 0; w < nw; w++) {
		uint64_t a = IOM_MAX(sh, w * 64), z = IOM_MIN(sh + n, w * 64 + 64), word = 0;
		if (z > a) {
			unsigned k0 = (unsigned)(a - w * 64), k1 = (unsigned)(z - w * 64);
			word = (k1 == 64 ? ~0ull : (1ull << k1) - 1) & ~((1ull << k0) - 1);
		}
		uint8_t *p = u->buf + (w0 + w) * 8;
		for (unsigned k = 0; k < 8; k++) {
			uint8_t v = (uint8_t)(word >> (8 * k));
			p[k] = (w == 0 && sh) ? (uint8_t)(p[k] | v) : v;
		}
	}
	return nw * 8;
}

struct t1 {
	uint64_t iova, end;      /* the request */
	uint64_t run_lo, run_hi; /* the mapping being collected */
	bool in_run;
	const struct iom_ubitmap *u;
	uint64_t pgshift, bytes, runs;
};

static void t1_flush(struct t1 *c)
{
	if (!c->in_run)
		return;
	c->in_run = false;
	c->runs++;
	uint64_t lo = IOM_MAX(c->run_lo, c->iova), hi = IOM_MIN(c->run_hi, c->end);
	uint64_t n = (hi - lo) >> c->pgshift, nbytes = ((n + 63) >> 6) * 8;
	c->bytes += t1_copy(c->u, (lo - c->iova) >> c->pgshift, n);
	c->bytes += nbytes; /* the per-dma bitmap cleared and re-populated */
}

static int t1_visit(void *ctx, struct iom_pt_scan *s, const struct iom_pt_leaf *l,
                    struct iom_err *err)
{
	struct t1 *c = ctx;
	(void)s;
	(void)err;
	if (!l->valid) {
		t1_flush(c);
		return IOM_PT_SCAN_NEXT;
	}
	if (!c->in_run) {
		c->in_run = true;
		c->run_lo = l->base;
	}
	c->run_hi = l->base + l->size;
	return IOM_PT_SCAN_NEXT;
}

/* VFIO_IOMMU_DIRTY_PAGES GET_BITMAP (vfio_iova_dirty_bitmap). */
static int dirty_type1(struct iom_dirty *dt, const struct iom_host_domain *d,
                       const struct iom_dirty_req *q, uint64_t t, struct iom_dirty_result *res,
                       struct iom_err *err)
{
	uint64_t min_pg = d->pgsizes & -d->pgsizes, npages = q->length / q->page_size;
	if (q->flags & IOM_DIRTY_NO_CLEAR)
		return dirty_errno(res, EINVAL, err, "type1 GET_BITMAP has no no-clear flag");
	if (q->page_size != min_pg)
		return dirty_errno(res, EINVAL, err,
		                   "type1: page size 0x%" PRIx64
		                   " is not the IOMMU's smallest, 0x%" PRIx64,
		                   q->page_size, min_pg);
	if (!iom_u64map_get(&dt->sw_on, q->domain, NULL))
		return dirty_errno(res, EINVAL, err, "type1: dirty tracking is not started");
	if (npages > INT32_MAX)
		return dirty_errno(res, EINVAL, err, "type1: more than INT_MAX pages");
	if (q->bitmap->len < ((npages + 63) / 64) * 8)
		return dirty_errno(res, EINVAL, err,
		                   "type1: bitmap of %" PRIu64 " bytes is too "
		                   "small for %" PRIu64 " pages",
		                   q->bitmap->len, npages);
	/* the range may not start or end inside a mapping (a run of leaves) */
	uint64_t end = q->iova + q->length, pa, ps, ps2;
	bool in_lo = iom_pt_lookup(d->pt, q->iova, &pa, &ps) == 0;
	bool in_hi = iom_pt_lookup(d->pt, end - 1, &pa, &ps2) == 0;
	if ((in_lo && ((q->iova & (ps - 1)) ||
	               (q->iova && iom_pt_lookup(d->pt, q->iova - 1, &pa, &ps) == 0))) ||
	    (in_hi && ((end & (ps2 - 1)) || iom_pt_lookup(d->pt, end, &pa, &ps) == 0)))
		return dirty_errno(res, EINVAL, err,
		                   "type1: [0x%" PRIx64 ", +0x%" PRIx64 ") starts or ends inside a "
		                   "mapping",
		                   q->iova, q->length);
	struct t1 c = {.iova = q->iova,
	               .end = end,
	               .u = q->bitmap,
	               .pgshift = (uint64_t)__builtin_ctzll(q->page_size)};
	struct iom_pt_scan s = {
	    .iova = q->iova, .size = q->length, .mem_req = -1, .visit = t1_visit, .ctx = &c};
	int r = iom_pt_scan(d->pt, &s, err);
	t1_flush(&c);
	if (r < 0)
		return r;
	res->cost.copy_bytes = c.bytes;
	res->done_ps = t + c.bytes * dt->cfg.copy_byte_ps;
	return 0;
}

static void dirty_account(struct iom_dirty *dt, const struct iom_dirty_result *res)
{
	const struct iom_dirty_cost *c = &res->cost;
	dt->st.harvests++;
	dt->st.partial_harvests += res->partial;
	dt->st.pte_reads += c->pte_reads;
	dt->st.pte_clears += c->pte_clears;
	dt->st.leaves += c->leaves;
	dt->st.dirty_leaves += c->dirty_leaves;
	dt->st.invalidations += c->invalidations;
	dt->st.commands += c->commands;
	dt->st.bits_set += c->ibm.bits_set;
	dt->st.bits_lost += c->ibm.bits_lost;
	dt->st.pages_pinned += c->ibm.pages_pinned;
	dt->st.windows += c->windows;
	dt->st.copy_bytes += c->copy_bytes;
	dt->st.dev_msgs += c->dev_msgs;
	dt->st.dev_entries += c->dev_entries;
	dt->st.harvest_ps += res->done_ps - res->start_ps;
}

/* A window's error iommufd drops (a hole, a range beyond the table, the
 * driver refusing), as opposed to the simulator failing. */
static bool dirty_dropped(int pr)
{
	return pr == -IOM_EINVAL || pr == -IOM_ERANGE;
}

/* The iova_bitmap path: an IOMMU walk or a device producer per window. */
static int dirty_bitmap_walk(struct iom_dirty *dt, const struct iom_host_domain *d,
                             const struct iom_dirty_req *q, uint64_t t,
                             struct iom_dirty_result *res, struct iom_err *err)
{
	struct iom_iova_bitmap *b =
	    iom_ibm_alloc((enum iom_ibm_algo)dt->cfg.algorithm, q->iova, q->length, q->page_size,
	                  q->bitmap, NULL, &res->cost.ibm, err);
	if (!b)
		return -(err && err->code ? err->code : IOM_EINVAL);
	struct iom_err werr = {0};
	int r = 0, pr = 0;
	uint64_t seen;
	if (dt->prod) {
		struct dp p = {
		    .dt = dt, .domain = q->domain, .b = b, .res = res, .t = t, .err = &werr};
		pr = iom_ibm_for_each(b, &p, dp_window);
		r = pr; /* VFIO returns the producer's error */
		t = p.t;
		seen = p.ibm_seen;
	} else {
		struct dh h;
		dh_init(&h, dt, d, res, t, &werr);
		h.b = b;
		h.req_end = q->iova + q->length;
		h.clear = !(q->flags & IOM_DIRTY_NO_CLEAR);
		h.stop_on_hole = true;
		dh_ibm_time(&h, &h.t);
		uint64_t g = d->pgsizes & -d->pgsizes;
		if (h.clear && dt->cfg.order == IOM_DIRTY_INVAL_THEN_CLEAR)
			r = dh_sync(&h, q->iova, q->iova + q->length, g);
		if (!r)
			pr = iom_ibm_for_each(b, &h, dh_window);
		if (pr && !dirty_dropped(pr))
			r = pr;
		else if (pr) { /* iommufd ignores iova_bitmap_for_each()'s result */
			res->producer_err = pr;
			res->partial = true;
		}
		if (!r && h.clear && dt->cfg.order == IOM_DIRTY_CLEAR_THEN_INVAL && h.g_hi > h.g_lo)
			r = dh_sync(&h, h.g_lo, h.g_hi, h.g_gran);
		t = h.t;
		seen = h.ibm_seen;
	}
	iom_ibm_free(b);
	res->done_ps = t + (res->cost.ibm.time_ps - seen);
	if (r && dt->prod)
		res->uapi_errno = r == -IOM_ERANGE ? EOVERFLOW : r == -IOM_EINVAL ? EINVAL : EIO;
	if (r)
		return iom_err_set(err, werr.code ? werr.code : -r, "%s",
		                   werr.msg[0] ? werr.msg : "dirty: harvest failed");
	return 0;
}

int iom_dirty_read_and_clear(struct iom_dirty *dt, const struct iom_dirty_req *q, uint64_t now_ps,
                             struct iom_dirty_result *res, struct iom_err *err)
{
	memset(res, 0, sizeof(*res));
	res->start_ps = res->done_ps = now_ps;
	/* iommufd_hwpt_get_dirty_bitmap: flags, the hwpt, its dirty ops, the range */
	int r = 0;
	const struct iom_host_domain *d = NULL;
	if (q->flags & ~IOM_DIRTY_NO_CLEAR)
		r = dirty_errno(res, EOPNOTSUPP, err, "unknown flags 0x%x",
		                q->flags & ~IOM_DIRTY_NO_CLEAR);
	if (!r && !(d = dirty_domain(dt, q->domain, res, err)))
		r = -err->code;
	if (!r && !dirty_sw(dt) && !(d->flags & IOM_HOST_DOM_F_DIRTY))
		r = dirty_errno(res, EOPNOTSUPP, err,
		                "domain %u was not allocated with dirty tracking", q->domain);
	if (!r)
		r = dirty_check_req(dt, q, res, err);
	if (!r && dt->prod && !iom_u64map_get(&dt->sw_on, q->domain, NULL))
		r = dirty_errno(res, EINVAL, err, "DMA logging of domain %u is not started",
		                q->domain);
	uint64_t t = now_ps + dt->cfg.call_ps;
	if (!r && dt->cfg.algorithm == IOM_DIRTY_TYPE1 && !dt->prod)
		r = dirty_type1(dt, d, q, t, res, err);
	else if (!r)
		r = dirty_bitmap_walk(dt, d, q, t, res, err);
	if (r) {
		dt->st.harvest_errors++;
		return r;
	}
	dirty_account(dt, res);
	return 0;
}

int iom_dirty_register_stats(struct iom_dirty *dt, struct iom_stats *s, struct iom_err *err)
{
#define DS(f, u, d) IOM_STATS_FIELD(struct iom_dirty_stats, f, u, d)
	static const struct iom_stats_field f[] = {
	    DS(enables, "ops", "dirty tracking enabled (pre-clear + driver op)"),
	    DS(disables, "ops", "dirty tracking disabled"),
	    DS(harvests, "ops", "read-and-clear calls that returned 0"),
	    DS(harvest_errors, "ops", "read-and-clear calls refused with an errno"),
	    DS(partial_harvests, "ops",
	       "harvests that returned 0 with a partial bitmap (a hole, a driver error)"),
	    DS(pte_reads, "reads", "page-table descriptors the host read (enables + harvests)"),
	    DS(pte_clears, "ops", "atomic clears of dirty leaves"),
	    DS(leaves, "leaves", "leaves visited by harvests"),
	    DS(dirty_leaves, "leaves", "dirty leaves harvests found"),
	    DS(invalidations, "ops", "IOTLB syncs issued for cleared dirty state"),
	    DS(commands, "cmds", "IOMMU commands / descriptors those syncs wrote"),
	    DS(bits_set, "bits", "user-bitmap bits set"),
	    DS(bits_lost, "bits", "bits the iova_bitmap layer could not record"),
	    DS(pages_pinned, "pages", "user-bitmap pages pinned"),
	    DS(windows, "calls", "producer calls (iova_bitmap windows)"),
	    DS(copy_bytes, "bytes", "type1: bitmap bytes copied out and cleared"),
	    DS(dev_msgs, "msgs", "device tracker: report messages"),
	    DS(dev_entries, "entries", "device tracker: dirty entries reported"),
	    DS(harvest_ps, "ps", "simulated time spent in harvests"),
	};
#undef DS
	return iom_stats_counters(s, "dirty", &dt->st, f, IOM_ARRAY_SIZE(f), err);
}
