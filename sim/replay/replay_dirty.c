/* SPDX-License-Identifier: Apache-2.0 */
/*
 * replay_dirty.c - the replay side of dirty tracking (models/host/dirty.h,
 * models/device/dirty_dev.h, docs/dirty.md): the `dirty` and `harvest`
 * records, ground truth of what DMA wrote, the check of every harvest
 * against it, racing DMA inside a harvest, and the per-round report.
 *
 * Records: `dirty op=on|off domain` is IOMMU_HWPT_SET_DIRTY_TRACKING (or
 * DMA logging start / stop with dirty.tracker = device); `harvest domain
 * iova size pgsize [flags=noclear]` is IOMMU_HWPT_GET_DIRTY_BITMAP into a
 * zeroed user bitmap the replay allocates, dirty.bitmap_offset bytes into a
 * page.  A refusal (the kernel's errno) rejects the record (reason invalid,
 * no_domain or range); with dirty.enable = false both records are rejected
 * (reason invalid, as iommufd's EOPNOTSUPP for a domain allocated without
 * dirty tracking), the warning naming dirty.enable.
 *
 * Ground truth: every DMA write (untranslated or through ATS) of a device
 * attached to a domain whose tracking is on marks the 4 KB pages it wrote
 * in the tracked space -- the domain's IOVAs, or for a nested SMMUv3 domain
 * the VM's IPAs (its stage 1 looked up) -- with the record's time, if the
 * leaf there is writable (else the write faulted and wrote nothing).  A mark
 * stays until a clearing harvest reports its page: the VMM copies reported
 * pages after the harvest returns, so a report covers every write made
 * before it returned.  For each harvest H of [a, a + len) at page size P,
 * started at s:
 *   missed         marked pages with a first uncovered write before s whose
 *                  bit is clear (must be 0 for a correct harvest);
 *   over-reported  set bits none of whose pages holds a mark (huge leaves,
 *                  coarse page sizes, type1), in bits;
 *   sneak writes   page writes of DMA replayed while H ran (each counts).
 * Writes made while H runs need not be in H; they must be in the next one.
 *
 * Races: a harvest takes simulated time.  Its race hook (dirty.h) pulls the
 * following trace records whose time is at most the harvest's current time
 * and replays the DMAs among them at once, so they interleave with the leaf
 * visits, clears and the invalidation; the first record that is not a DMA,
 * or lies later, is kept and handed to the replay loop next
 * (iom_sys_dirty_next).  Closed-loop replays do not interleave.
 *
 * Cost: the harvest's own (dirty.h); the bookkeeping here takes no
 * simulated time.
 */
#include "replay-int.h"

#include "config.h"
#include "dirty.h"
#include "dirty_dev.h"
#include "pgtable.h"
#include "trace.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RD_VM_SPACE   (1ull << 32) /* the VM's stage 2 (nested SMMUv3) */
#define RD_BITMAP_MAX (1ull << 30)
#define RD_UVA        0x7f0000000000ull /* where the replay's user bitmaps live */

/* One tracked address space: a domain's IOVAs or the VM's IPAs. */
struct rd_space {
	uint64_t key;
	uint32_t on;             /* domains with tracking on */
	struct iom_u64map pages; /* 4 KB page number -> first uncovered write time */
	uint64_t on_ps;          /* migration view: tracking last turned on */
};

/* One harvest, for the per-round report. */
struct rd_round {
	uint32_t domain, flags;
	int uapi_errno;
	bool partial;
	uint64_t t_ps, done_ps, iova, length, page_size;
	uint64_t bits, missed, over, sneak;
	struct iom_dirty_cost cost;
	uint64_t since_ps; /* migration view: the domain's previous harvest, or tracking on */
};

struct iom_sys_dirty {
	struct iom_system *s;
	struct iom_dirty_cfg cfg;
	struct iom_dirty_dev_cfg dev_cfg;
	struct iom_dirty *dt;
	struct iom_u64map spaces;   /* key -> struct rd_space * */
	struct iom_u64map trackers; /* rid -> struct iom_dirty_dev * */
	/* the replay loop, for racing records */
	struct iom_trace_reader *rd;
	const struct iom_replay_opts *o;
	iom_sys_dirty_dma_fn dma;
	struct iom_rec held[2];
	unsigned hi;
	bool held_valid, eof, closed;
	int read_err, fatal;
	struct iom_err read_e, fatal_e;
	uint64_t pulled; /* DMAs replayed inside harvests, not yet in res->records */
	/* the harvest in progress */
	struct rd_space *h_space;
	uint64_t h_lo, h_hi, h_sneak;
	/* rounds */
	struct rd_round *rounds;
	size_t nrounds, cap;
	/* stats (dirty.*) */
	uint64_t missed_pages, over_reported_bits, sneak_writes, marked_pages;
	uint64_t interleaved_dmas, untracked_bytes;
};

/* ---------------------------------------------------------------------- */
/* Spaces and ground truth.                                                */

static struct rd_space *rd_space(struct iom_sys_dirty *sd, uint64_t key, bool create)
{
	uint64_t v;
	if (iom_u64map_get(&sd->spaces, key, &v))
		return (struct rd_space *)(uintptr_t)v;
	if (!create)
		return NULL;
	struct rd_space *sp = calloc(1, sizeof(*sp));
	if (!sp)
		return NULL;
	sp->key = key;
	iom_u64map_init(&sp->pages);
	if (iom_u64map_put(&sd->spaces, key, (uint64_t)(uintptr_t)sp)) {
		free(sp);
		return NULL;
	}
	return sp;
}

/* The space a domain's dirty state lives in. */
static uint64_t rd_space_key(const struct iom_sys_dirty *sd, const struct iom_host_domain *d)
{
	return d->s2 && sd->cfg.tracker == IOM_DIRTY_TRACKER_IOMMU ? RD_VM_SPACE : d->id;
}

static void rd_mark(struct iom_sys_dirty *sd, struct rd_space *sp, uint64_t addr, uint64_t t)
{
	uint64_t page = addr >> 12, v;
	if (!iom_u64map_get(&sp->pages, page, &v)) {
		iom_u64map_put(&sp->pages, page, t);
		sd->marked_pages++;
	}
	if (sp == sd->h_space && addr >= sd->h_lo && addr < sd->h_hi)
		sd->h_sneak++;
}

struct rd_mark_ctx {
	struct iom_sys_dirty *sd;
	struct rd_space *sp;
	uint64_t lo, hi, t;
	bool ipa;
};

static int rd_mark_leaf(void *ctx, struct iom_pt_scan *s, const struct iom_pt_leaf *l,
                        struct iom_err *err)
{
	struct rd_mark_ctx *c = ctx;
	(void)s;
	(void)err;
	if (!l->valid || !(l->perms & (IOM_PTE_W | IOM_PTE_DBM)))
		return IOM_PT_SCAN_NEXT; /* unmapped or read-only: the write faulted */
	uint64_t lo = IOM_MAX(c->lo, l->base), hi = IOM_MIN(c->hi, l->base + l->size);
	for (uint64_t a = lo; a < hi; a += 4096)
		rd_mark(c->sd, c->sp, c->ipa ? l->oa + (a - l->base) : a, c->t);
	return IOM_PT_SCAN_NEXT;
}

/* After a DMA: the device's tracker and the ground truth see a write. */
void iom_sys_dirty_dma(struct iom_system *s, const struct iom_rec *rec, uint64_t now)
{
	struct iom_sys_dirty *sd = s->dirty;
	uint64_t v;
	if (rec->dir != IOM_DIR_WRITE || rec->at == IOM_AT_TRANSLATED || !rec->size)
		return;
	if (iom_u64map_get(&sd->trackers, rec->dev, &v)) {
		struct iom_dirty_dev *t = (struct iom_dirty_dev *)(uintptr_t)v;
		uint64_t u0 = iom_dirty_dev_untracked_bytes(t);
		iom_dirty_dev_write(t, rec->iova, rec->size);
		sd->untracked_bytes += iom_dirty_dev_untracked_bytes(t) - u0;
	}
	int64_t pasid = (rec->present & IOM_F_PASID) ? (int64_t)rec->pasid : -1;
	if (!iom_host_slot(s->host, rec->dev, pasid, &v) || v >= IOM_HOST_SVA_SLOT)
		return;
	const struct iom_host_domain *d = iom_host_domain(s->host, (uint32_t)v);
	if (!d || d->type != IOM_HOST_DOM_PAGING)
		return;
	struct rd_space *sp = rd_space(sd, rd_space_key(sd, d), false);
	if (!sp || !sp->on)
		return;
	uint64_t lo = rec->iova & ~4095ull, hi = rec->iova + rec->size;
	hi = hi < rec->iova ? UINT64_MAX & ~4095ull : (hi + 4095) & ~4095ull;
	struct rd_mark_ctx c = {
	    .sd = sd, .sp = sp, .lo = lo, .hi = hi, .t = now, .ipa = sp->key == RD_VM_SPACE};
	struct iom_pt_scan sc = {
	    .iova = lo, .size = hi - lo, .mem_req = -1, .visit = rd_mark_leaf, .ctx = &c};
	struct iom_err e;
	iom_pt_scan(d->pt, &sc, &e); /* a range beyond the table: nothing written */
}

/* After harvest H (bitmap u over [a, a + len) at page size P, started at
 * s_ps): count missed and over-reported, drop the marks it covered. */
static void rd_check(struct iom_sys_dirty *sd, struct rd_space *sp, const struct iom_dirty_req *q,
                     uint64_t s_ps, struct rd_round *rd)
{
	const uint8_t *b = q->bitmap->buf;
	unsigned psh = (unsigned)__builtin_ctzll(q->page_size);
	uint64_t a = q->iova, end = q->iova + q->length, k, v;
	struct iom_u64map hit; /* bits with a mark behind them */
	iom_u64map_init(&hit);
	for (size_t it = 0; sp && iom_u64map_next(&sp->pages, &it, &k, &v);) {
		uint64_t addr = k << 12;
		if (addr < a || addr >= end)
			continue;
		uint64_t i = (addr - a) >> psh;
		bool set = b[i >> 3] >> (i & 7) & 1;
		if (v < s_ps && !set)
			rd->missed++;
		iom_u64map_put(&hit, i, 1);
	}
	uint64_t nbits = q->length >> psh;
	for (uint64_t byte = 0; byte < (nbits + 7) / 8; byte++) {
		for (unsigned bit = 0; b[byte] && bit < 8; bit++) {
			uint64_t i = byte * 8 + bit;
			if (i >= nbits || !(b[byte] >> bit & 1))
				continue;
			rd->bits++;
			if (!iom_u64map_get(&hit, i, NULL))
				rd->over++;
		}
	}
	iom_u64map_fini(&hit);
	if (!sp || (q->flags & IOM_DIRTY_NO_CLEAR))
		return;
	/* the VMM copies what was reported: those writes are covered */
	uint64_t *drop = NULL;
	size_t n = 0, cap = 0;
	for (size_t it = 0; iom_u64map_next(&sp->pages, &it, &k, &v);) {
		uint64_t addr = k << 12;
		if (addr < a || addr >= end)
			continue;
		uint64_t i = (addr - a) >> psh;
		if (!(b[i >> 3] >> (i & 7) & 1))
			continue;
		if (n == cap) {
			uint64_t *nd = realloc(drop, (cap = cap ? 2 * cap : 64) * sizeof(*drop));
			if (!nd)
				break;
			drop = nd;
		}
		drop[n++] = k;
	}
	for (size_t i = 0; i < n; i++)
		iom_u64map_del(&sp->pages, drop[i]);
	free(drop);
}

/* ---------------------------------------------------------------------- */
/* Racing records.                                                         */

/* The harvest reached t: replay the trace's DMAs up to t first. */
static void rd_race(void *ctx, uint64_t t)
{
	struct iom_sys_dirty *sd = ctx;
	struct iom_system *s = sd->s;
	while (sd->rd && !sd->closed && !sd->fatal && !sd->read_err) {
		if (!sd->held_valid) {
			const struct iom_rec *r;
			if (sd->eof)
				return;
			int rc = iom_trace_next_ref(sd->rd, &r, &sd->read_e);
			if (rc == 0) {
				sd->eof = true;
				return;
			}
			if (rc < 0) {
				sd->read_err = rc;
				return;
			}
			sd->held[sd->hi] = *r;
			sd->held_valid = true;
		}
		const struct iom_rec *h = &sd->held[sd->hi];
		if (h->kind != IOM_REC_DMA || h->time_ps > t)
			return;
		sd->held_valid = false;
		sd->pulled++;
		sd->interleaved_dmas++;
		s->records++;
		if (sd->o->advance)
			sd->o->advance(sd->o->advance_ctx, h->time_ps);
		int rc = iom_host_advance(s->host, h->time_ps, &sd->fatal_e);
		if (!rc)
			rc = sd->dma(s, h, h->time_ps, sd->rd, sd->o, &sd->fatal_e);
		if (rc) {
			iom_err_prefix(&sd->fatal_e, "%s", iom_trace_where(sd->rd));
			sd->fatal = rc;
		}
	}
}

int iom_sys_dirty_next(struct iom_system *s, struct iom_trace_reader *rd,
                       const struct iom_rec **rec, struct iom_err *err)
{
	struct iom_sys_dirty *sd = s->dirty;
	if (!sd)
		return iom_trace_next_ref(rd, rec, err);
	if (sd->held_valid) {
		*rec = &sd->held[sd->hi];
		sd->held_valid = false;
		sd->hi ^= 1; /* later pulls must not overwrite what the loop holds */
		return 1;
	}
	if (sd->read_err) {
		*err = sd->read_e;
		return sd->read_err;
	}
	if (sd->eof)
		return 0;
	return iom_trace_next_ref(rd, rec, err);
}

int iom_sys_dirty_advance(struct iom_system *s, struct iom_trace_reader *rd,
                          const struct iom_replay_opts *o, iom_sys_dirty_dma_fn dma,
                          uint64_t *records, struct iom_err *err)
{
	struct iom_sys_dirty *sd = s->dirty;
	sd->rd = rd;
	sd->o = o;
	sd->dma = dma;
	sd->closed = s->dev_cfg.mode == IOM_DEV_CLOSED_LOOP;
	*records += sd->pulled;
	sd->pulled = 0;
	if (sd->fatal) {
		*err = sd->fatal_e;
		return sd->fatal;
	}
	return 0;
}

int iom_sys_dirty_end(struct iom_system *s, uint64_t *records, struct iom_err *err)
{
	struct iom_sys_dirty *sd = s->dirty;
	*records += sd->pulled;
	sd->pulled = 0;
	sd->rd = NULL; /* closed by now */
	if (sd->fatal) {
		*err = sd->fatal_e;
		return sd->fatal;
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* The device tracker behind struct iom_dirty_producer.                    */

struct rd_span {
	uint64_t lo32, hi32, lo64, hi64;
};

static int rd_span_leaf(void *ctx, struct iom_pt_scan *s, const struct iom_pt_leaf *l,
                        struct iom_err *err)
{
	struct rd_span *p = ctx;
	(void)s;
	(void)err;
	if (!l->valid)
		return IOM_PT_SCAN_NEXT;
	uint64_t e = l->base + l->size;
	if (l->base < (1ull << 32)) {
		p->lo32 = IOM_MIN(p->lo32, l->base);
		p->hi32 = IOM_MAX(p->hi32, IOM_MIN(e, 1ull << 32));
	}
	if (e > (1ull << 32)) {
		p->lo64 = IOM_MIN(p->lo64, IOM_MAX(l->base, 1ull << 32));
		p->hi64 = IOM_MAX(p->hi64, e);
	}
	return IOM_PT_SCAN_NEXT;
}

/* DMA logging start for every device attached to the domain, over the
 * ranges QEMU asks for: the span of mapped IOVAs below 4 GB and the span
 * above (vfio_dirty_tracking_init). */
static int rd_dev_start(void *ctx, uint32_t domain, uint64_t now, uint64_t *done,
                        struct iom_err *err)
{
	struct iom_sys_dirty *sd = ctx;
	const struct iom_host_domain *d = iom_host_domain(sd->s->host, domain);
	struct rd_span sp = {.lo32 = UINT64_MAX, .lo64 = UINT64_MAX};
	struct iom_pt_scan sc = {.iova = 0,
	                         .size = 1ull << iom_pt_config(d->pt)->ia_bits,
	                         .mem_req = -1,
	                         .visit = rd_span_leaf,
	                         .ctx = &sp};
	*done = now;
	int r = iom_pt_scan(d->pt, &sc, err);
	struct iom_dirty_dev_range rg[2];
	size_t n = 0;
	if (sp.hi32)
		rg[n++] = (struct iom_dirty_dev_range){sp.lo32, sp.hi32 - sp.lo32};
	if (sp.hi64)
		rg[n++] = (struct iom_dirty_dev_range){sp.lo64, sp.hi64 - sp.lo64};
	uint32_t rids[64];
	size_t nr = iom_host_domain_rids(sd->s->host, domain, rids, 64);
	if (!r && nr > 64)
		r = iom_err_set(err, IOM_ENOTSUP, "dirty: more than 64 devices in domain %u",
		                domain);
	uint64_t t = now;
	for (size_t i = 0; i < nr && !r; i++) {
		uint64_t v, ps = 4096;
		struct iom_dirty_dev *tr;
		if (iom_u64map_get(&sd->trackers, rids[i], &v)) {
			tr = (struct iom_dirty_dev *)(uintptr_t)v;
		} else {
			if (!(tr = iom_dirty_dev_create(&sd->dev_cfg, rids[i], err)))
				return -err->code;
			if (iom_u64map_put(&sd->trackers, rids[i], (uint64_t)(uintptr_t)tr)) {
				iom_dirty_dev_destroy(tr);
				return iom_err_set(err, IOM_ENOMEM, "out of memory");
			}
		}
		if (iom_dirty_dev_active(tr))
			iom_dirty_dev_stop(tr, t, &t); /* re-started with the current ranges */
		r = n ? iom_dirty_dev_start(tr, &ps, rg, n, t, &t, NULL, err)
		      : iom_err_set(err, IOM_EINVAL, "EINVAL: domain %u maps nothing to track",
		                    domain);
	}
	*done = t;
	return r;
}

static int rd_dev_stop(void *ctx, uint32_t domain, uint64_t now, uint64_t *done,
                       struct iom_err *err)
{
	struct iom_sys_dirty *sd = ctx;
	uint32_t rids[64];
	size_t nr = iom_host_domain_rids(sd->s->host, domain, rids, 64);
	uint64_t t = now, v;
	(void)err;
	for (size_t i = 0; i < nr && i < 64; i++)
		if (iom_u64map_get(&sd->trackers, rids[i], &v))
			iom_dirty_dev_stop((struct iom_dirty_dev *)(uintptr_t)v, t, &t);
	*done = t;
	return 0;
}

static int rd_dev_report(void *ctx, uint32_t domain, uint64_t iova, uint64_t length,
                         void (*record)(void *rctx, uint64_t iova, uint64_t length), void *rctx,
                         uint64_t now, uint64_t *done, struct iom_dirty_cost *cost,
                         struct iom_err *err)
{
	struct iom_sys_dirty *sd = ctx;
	uint32_t rids[64];
	size_t nr = iom_host_domain_rids(sd->s->host, domain, rids, 64);
	uint64_t t = now, v;
	int r = 0;
	for (size_t i = 0; i < nr && i < 64 && !r; i++) {
		if (!iom_u64map_get(&sd->trackers, rids[i], &v))
			continue;
		struct iom_dirty_dev *tr = (struct iom_dirty_dev *)(uintptr_t)v;
		if (!iom_dirty_dev_active(tr))
			continue;
		struct iom_dirty_dev_cost c = {0};
		r = iom_dirty_dev_report(tr, iova, length, record, rctx, rd_race, sd, t, &t, &c,
		                         err);
		cost->dev_cmds += c.cmds;
		cost->dev_msgs += c.msgs;
		cost->dev_entries += c.entries;
	}
	*done = t;
	return r;
}

static const struct iom_dirty_producer rd_dev_producer = {
    .start = rd_dev_start,
    .stop = rd_dev_stop,
    .read_and_clear = rd_dev_report,
};

/* ---------------------------------------------------------------------- */
/* Records.                                                                */

static int rd_round_add(struct iom_sys_dirty *sd, const struct rd_round *r)
{
	if (sd->nrounds == sd->cap) {
		size_t cap = sd->cap ? 2 * sd->cap : 16;
		struct rd_round *n = realloc(sd->rounds, cap * sizeof(*n));
		if (!n)
			return -IOM_ENOMEM;
		sd->rounds = n;
		sd->cap = cap;
	}
	sd->rounds[sd->nrounds++] = *r;
	return 0;
}

static int rd_tracking(struct iom_sys_dirty *sd, const struct iom_rec *rec, uint64_t now,
                       struct iom_err *err)
{
	uint64_t done;
	bool on = rec->op == IOM_OP_ON;
	bool was = iom_dirty_tracking(sd->dt, rec->domain);
	int r = iom_dirty_set_tracking(sd->dt, rec->domain, on, now, &done, NULL, err);
	if (r)
		return r;
	const struct iom_host_domain *d = iom_host_domain(sd->s->host, rec->domain);
	struct rd_space *sp = rd_space(sd, rd_space_key(sd, d), true);
	if (!sp)
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	if (on) { /* enabling cleared the dirty state: start from nothing */
		iom_u64map_fini(&sp->pages);
		iom_u64map_init(&sp->pages);
	}
	if (on && !was) {
		sp->on++;
		sp->on_ps = now; /* migration view: round 0 starts */
	} else if (!on && was && sp->on)
		sp->on--;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Migration view (docs/dirty.md, "Migration scenario"): each domain's     */
/* harvests as pre-copy rounds.  Harvest k of a domain ends round k - 1    */
/* (round 0: from tracking on); the domain's last harvest is the           */
/* stop-and-copy one; the pre-copy converged at the first earlier harvest  */
/* that reported at most dirty.stop_pages 4 KB pages.                      */

/* Where the round a harvest ends began: the domain's previous harvest that
 * the kernel accepted, else when its tracking was turned on. */
static uint64_t rd_mig_since(const struct iom_sys_dirty *sd, const struct rd_space *sp,
                             uint32_t domain, uint64_t now)
{
	for (size_t j = sd->nrounds; j-- > 0;)
		if (sd->rounds[j].domain == domain && !sd->rounds[j].uapi_errno)
			return sd->rounds[j].t_ps;
	return sp && sp->on_ps <= now ? sp->on_ps : now;
}

/* 4 KB pages a harvest reported (a bit covers page_size bytes). */
static uint64_t rd_mig_pages(const struct rd_round *r)
{
	return r->bits * (r->page_size / 4096);
}

static uint64_t rd_mig_bitmap_bytes(const struct rd_round *r)
{
	uint64_t nbits = r->length / r->page_size + (r->length % r->page_size != 0);
	return (nbits + 7) / 8;
}

/* One domain: its accepted harvests, the convergence harvest (1-based among
 * them, before the last; 0 = did not converge). */
struct rd_mig {
	uint32_t domain;
	size_t n, converged;
	const struct rd_round *last;
};

static struct rd_mig rd_mig_domain(const struct iom_sys_dirty *sd, uint32_t domain)
{
	struct rd_mig m = {.domain = domain};
	for (size_t i = 0; i < sd->nrounds; i++) {
		const struct rd_round *r = &sd->rounds[i];
		if (r->domain != domain || r->uapi_errno)
			continue;
		m.n++;
		m.last = r;
	}
	size_t k = 0;
	for (size_t i = 0; i < sd->nrounds && !m.converged; i++) {
		const struct rd_round *r = &sd->rounds[i];
		if (r->domain != domain || r->uapi_errno || ++k == m.n)
			continue;
		if (rd_mig_pages(r) <= sd->cfg.stop_pages)
			m.converged = k;
	}
	return m;
}

/* Whether rounds[i] is the first accepted harvest of its domain. */
static bool rd_mig_first(const struct iom_sys_dirty *sd, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (sd->rounds[j].domain == sd->rounds[i].domain && !sd->rounds[j].uapi_errno)
			return false;
	return !sd->rounds[i].uapi_errno;
}

#define RD_MIG_ROWS 40

static void rd_mig_print(const struct iom_sys_dirty *sd, FILE *f)
{
	for (size_t i = 0; i < sd->nrounds; i++) {
		if (!rd_mig_first(sd, i))
			continue;
		struct rd_mig m = rd_mig_domain(sd, sd->rounds[i].domain);
		fprintf(f, "migration    domain %u: %zu harvests (%zu pre-copy + stop-and-copy), ",
		        m.domain, m.n, m.n - 1);
		if (m.converged)
			fprintf(f, "converged at round %zu (<= %" PRIu64 " pages)", m.converged,
			        sd->cfg.stop_pages);
		else
			fprintf(f, "did not converge (no round <= %" PRIu64 " pages)",
			        sd->cfg.stop_pages);
		fprintf(f, ", stop-and-copy (round marked s) %" PRIu64 " pages\n",
		        rd_mig_pages(m.last));
		fprintf(f, "             %5s %14s %13s %11s %12s %13s %10s %9s %6s %6s %6s %6s\n",
		        "round", "at (us)", "round (us)", "dirty pages", "pages/s", "harvest (us)",
		        "PTE reads", "bitmap B", "pinned", "invals", "missed", "over");
		size_t k = 0;
		for (size_t j = i; j < sd->nrounds; j++) {
			const struct rd_round *r = &sd->rounds[j];
			if (r->domain != m.domain || r->uapi_errno)
				continue;
			if (++k > RD_MIG_ROWS) {
				fprintf(f, "             ... %zu more rounds in the JSON result\n",
				        m.n - RD_MIG_ROWS);
				break;
			}
			uint64_t dt = r->t_ps - r->since_ps, pages = rd_mig_pages(r);
			fprintf(f,
			        "             %5zu%s %13.3f %13.3f %11" PRIu64
			        " %12.0f %13.3f %10" PRIu64 " %9" PRIu64 " %6" PRIu64 " %6" PRIu64
			        " %6" PRIu64 " %6" PRIu64 "\n",
			        k, k == m.n ? "s" : " ", r->t_ps / 1e6, dt / 1e6, pages,
			        dt ? pages * 1e12 / dt : 0.0, (r->done_ps - r->t_ps) / 1e6,
			        r->cost.pte_reads, rd_mig_bitmap_bytes(r), r->cost.ibm.pages_pinned,
			        r->cost.invalidations, r->missed, r->over);
		}
	}
}

/* The per-round migration figures of one round's JSON entry. */
static void rd_mig_round_json(json_t *e, const struct rd_round *r)
{
	uint64_t dt = r->t_ps - r->since_ps, pages = rd_mig_pages(r);
	json_object_set_new(e, "dirty_pages", json_integer((json_int_t)pages));
	json_object_set_new(e, "interval_ps", json_integer((json_int_t)dt));
	json_object_set_new(e, "dirty_rate_pps", json_real(dt ? pages * 1e12 / dt : 0.0));
	json_object_set_new(e, "bitmap_bytes", json_integer((json_int_t)rd_mig_bitmap_bytes(r)));
	json_object_set_new(e, "bitmap_bytes_touched",
	                    json_integer((json_int_t)r->cost.ibm.bytes_touched));
}

/* "migration": one entry per domain, in the order of their first harvests. */
static json_t *rd_mig_json(const struct iom_sys_dirty *sd)
{
	json_t *a = json_array();
	for (size_t i = 0; i < sd->nrounds; i++) {
		if (!rd_mig_first(sd, i))
			continue;
		struct rd_mig m = rd_mig_domain(sd, sd->rounds[i].domain);
		uint64_t ps = 0, reads = 0, pinned = 0, invals = 0, missed = 0, over = 0;
		for (size_t j = i; j < sd->nrounds; j++) {
			const struct rd_round *r = &sd->rounds[j];
			if (r->domain != m.domain || r->uapi_errno)
				continue;
			ps += r->done_ps - r->t_ps;
			reads += r->cost.pte_reads;
			pinned += r->cost.ibm.pages_pinned;
			invals += r->cost.invalidations;
			missed += r->missed;
			over += r->over;
		}
		json_t *e = json_object();
		json_object_set_new(e, "domain", json_integer(m.domain));
		json_object_set_new(e, "harvests", json_integer((json_int_t)m.n));
		json_object_set_new(e, "stop_pages", json_integer((json_int_t)sd->cfg.stop_pages));
		json_object_set_new(e, "converged", json_boolean(m.converged != 0));
		json_object_set_new(e, "converged_round",
		                    m.converged ? json_integer((json_int_t)m.converged)
		                                : json_null());
		json_object_set_new(e, "stop_copy_pages",
		                    json_integer((json_int_t)rd_mig_pages(m.last)));
		json_object_set_new(e, "harvest_ps", json_integer((json_int_t)ps));
		json_object_set_new(e, "pte_reads", json_integer((json_int_t)reads));
		json_object_set_new(e, "pages_pinned", json_integer((json_int_t)pinned));
		json_object_set_new(e, "invalidations", json_integer((json_int_t)invals));
		json_object_set_new(e, "missed_pages", json_integer((json_int_t)missed));
		json_object_set_new(e, "over_reported_bits", json_integer((json_int_t)over));
		json_array_append_new(a, e);
	}
	return a;
}

static int rd_harvest(struct iom_sys_dirty *sd, const struct iom_rec *rec, uint64_t now,
                      struct iom_err *err)
{
	uint64_t pgsz = rec->pgsize ? rec->pgsize : 4096;
	uint64_t nbits = rec->size / pgsz + (rec->size % pgsz != 0);
	uint64_t len = (nbits + 63) / 64 * 8; /* whole u64 words, as QEMU allocates them */
	if (len > RD_BITMAP_MAX)
		return iom_err_set(err, IOM_ERANGE,
		                   "harvest: a bitmap of %" PRIu64 " bytes is beyond the replay's "
		                   "1 GiB",
		                   len);
	uint8_t *store = calloc(1, sd->cfg.bitmap_offset + len + 1);
	if (!store)
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	struct iom_ubitmap ub = {
	    .buf = store + sd->cfg.bitmap_offset, .va = RD_UVA + sd->cfg.bitmap_offset, .len = len};
	struct iom_dirty_req q = {.domain = rec->domain,
	                          .iova = rec->iova,
	                          .length = rec->size,
	                          .page_size = pgsz,
	                          .flags = (rec->flags & IOM_RF_NOCLEAR) ? IOM_DIRTY_NO_CLEAR : 0,
	                          .bitmap = &ub};
	const struct iom_host_domain *d = iom_host_domain(sd->s->host, rec->domain);
	struct rd_space *sp = d ? rd_space(sd, rd_space_key(sd, d), false) : NULL;
	sd->h_space = sp;
	sd->h_lo = rec->iova;
	sd->h_hi = rec->iova + rec->size;
	sd->h_sneak = 0;
	struct iom_dirty_result res;
	int r = iom_dirty_read_and_clear(sd->dt, &q, now, &res, err);
	sd->h_space = NULL;
	struct rd_round rd = {.domain = rec->domain,
	                      .flags = q.flags,
	                      .uapi_errno = res.uapi_errno,
	                      .partial = res.partial,
	                      .t_ps = now,
	                      .done_ps = res.done_ps,
	                      .iova = rec->iova,
	                      .length = rec->size,
	                      .page_size = pgsz,
	                      .sneak = sd->h_sneak,
	                      .cost = res.cost};
	if (!r)
		rd_check(sd, sp, &q, now, &rd);
	free(store);
	sd->missed_pages += rd.missed;
	sd->over_reported_bits += rd.over;
	sd->sneak_writes += rd.sneak;
	rd.since_ps = rd_mig_since(sd, sp, rec->domain, now);
	if (rd_round_add(sd, &rd))
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	return r;
}

int iom_sys_dirty_control(struct iom_system *s, const struct iom_rec *rec, uint64_t now,
                          struct iom_err *err)
{
	struct iom_sys_dirty *sd = s->dirty;
	if (!sd)
		return iom_err_set(err, IOM_EINVAL,
		                   "a '%s' record needs dirty-capable domains, and this system "
		                   "allocates them without dirty tracking: replay with "
		                   "--set dirty.enable=true (paging domains are then allocated "
		                   "with IOMMU_HWPT_ALLOC_DIRTY_TRACKING)",
		                   iom_rec_kind_name(rec->kind));
	if (rec->kind == IOM_REC_DIRTY)
		return rd_tracking(sd, rec, now, err);
	return rd_harvest(sd, rec, now, err);
}

/* ---------------------------------------------------------------------- */
/* Build, stats, report.                                                   */

int iom_sys_dirty_build(struct iom_system *s, struct iom_config *cfg, struct iom_err *err)
{
	struct iom_dirty_cfg c;
	struct iom_dirty_dev_cfg dc;
	int r = iom_config_bind(cfg, &iom_dirty_prop_table, NULL, &c, err);
	if (!r)
		r = iom_config_bind(cfg, &iom_dirty_dev_prop_table, NULL, &dc, err);
	if (r || !c.enable)
		return r;
	struct iom_sys_dirty *sd = calloc(1, sizeof(*sd));
	if (!sd)
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	s->dirty = sd;
	sd->s = s;
	sd->cfg = c;
	sd->dev_cfg = dc;
	iom_u64map_init(&sd->spaces);
	iom_u64map_init(&sd->trackers);
	bool iommu = c.tracker == IOM_DIRTY_TRACKER_IOMMU && c.algorithm != IOM_DIRTY_TYPE1;
	if (c.tracker == IOM_DIRTY_TRACKER_DEVICE && c.algorithm == IOM_DIRTY_TYPE1)
		return iom_err_set(err, IOM_EINVAL,
		                   "dirty.algorithm = type1 is VFIO's software tracking: it does "
		                   "not go with dirty.tracker = device");
	if (iommu) {
		uint32_t f =
		    IOM_HOST_DOM_F_DIRTY | (c.vtd_first_level ? IOM_HOST_DOM_F_DIRTY_FL : 0);
		r = iom_host_set_domain_flags(s->host, f, err);
		if (r)
			return iom_err_prefix(err, "dirty.enable = true");
	}
	if (!(sd->dt = iom_dirty_create(s->host, &c, err)))
		return -err->code;
	iom_dirty_set_race_hook(sd->dt, rd_race, sd);
	if (c.tracker == IOM_DIRTY_TRACKER_DEVICE)
		iom_dirty_set_producer(sd->dt, &rd_dev_producer, sd);
	return 0;
}

int iom_sys_dirty_register_stats(struct iom_system *s, struct iom_err *err)
{
	struct iom_sys_dirty *sd = s->dirty;
	int r = iom_dirty_register_stats(sd->dt, s->stats, err);
#define RD_CTR(f, unit, desc)                                                                      \
	if (!r)                                                                                    \
	r = iom_stats_counter(s->stats, "dirty." #f, unit, desc, &sd->f, err)
	RD_CTR(missed_pages, "pages",
	       "pages written before a harvest started that it did not report (0 if correct)");
	RD_CTR(over_reported_bits, "bits", "bits harvests set with no write behind them");
	RD_CTR(sneak_writes, "pages",
	       "page writes DMA made while a harvest of their range ran (each write counts)");
	RD_CTR(marked_pages, "pages", "pages the ground truth recorded as written");
	RD_CTR(interleaved_dmas, "records", "DMA records replayed inside a harvest");
	RD_CTR(untracked_bytes, "bytes", "device tracker: bytes written outside its ranges");
#undef RD_CTR
	return r;
}

void iom_sys_dirty_destroy(struct iom_system *s)
{
	struct iom_sys_dirty *sd = s->dirty;
	uint64_t k, v;
	if (!sd)
		return;
	for (size_t it = 0; iom_u64map_next(&sd->spaces, &it, &k, &v);) {
		struct rd_space *sp = (struct rd_space *)(uintptr_t)v;
		iom_u64map_fini(&sp->pages);
		free(sp);
	}
	iom_u64map_fini(&sd->spaces);
	for (size_t it = 0; iom_u64map_next(&sd->trackers, &it, &k, &v);)
		iom_dirty_dev_destroy((struct iom_dirty_dev *)(uintptr_t)v);
	iom_u64map_fini(&sd->trackers);
	iom_dirty_destroy(sd->dt);
	free(sd->rounds);
	free(sd);
	s->dirty = NULL;
}

static double rd_get(struct iom_system *s, const struct iom_stats_snap *snap, const char *name)
{
	double v = 0;
	iom_stats_get(s->stats, snap, name, &v);
	return v;
}

static void rd_time(FILE *f, uint64_t ps)
{
	if (ps >= 1000000000ull)
		fprintf(f, "%.3f ms", (double)ps / 1e9);
	else if (ps >= 1000000ull)
		fprintf(f, "%.3f us", (double)ps / 1e6);
	else
		fprintf(f, "%.1f ns", (double)ps / 1e3);
}

void iom_sys_dirty_print_summary(struct iom_system *s, const struct iom_stats_snap *snap, FILE *f)
{
	struct iom_sys_dirty *sd = s->dirty;
	double h = rd_get(s, snap, "dirty.harvests");
	fprintf(f,
	        "dirty        %s tracker, %s, %s: %.0f harvests (%.0f refused, %.0f partial), "
	        "%.0f bits set; missed %.0f pages, over-reported %.0f bits, %.0f sneak writes\n",
	        sd->cfg.tracker == IOM_DIRTY_TRACKER_DEVICE ? "device" : "iommu",
	        iom_dirty_algo_name(sd->cfg.algorithm), iom_dirty_order_name(sd->cfg.order), h,
	        rd_get(s, snap, "dirty.harvest_errors"), rd_get(s, snap, "dirty.partial_harvests"),
	        rd_get(s, snap, "dirty.bits_set"), rd_get(s, snap, "dirty.missed_pages"),
	        rd_get(s, snap, "dirty.over_reported_bits"), rd_get(s, snap, "dirty.sneak_writes"));
	fprintf(f,
	        "             harvest mean %.3f us, %.0f PTE reads, %.0f clears, %.0f "
	        "invalidations (%.0f commands), %.0f bitmap pages pinned, %.0f bits lost\n",
	        h > 0 ? rd_get(s, snap, "dirty.harvest_ps") / h / 1e6 : 0.0,
	        rd_get(s, snap, "dirty.pte_reads"), rd_get(s, snap, "dirty.pte_clears"),
	        rd_get(s, snap, "dirty.invalidations"), rd_get(s, snap, "dirty.commands"),
	        rd_get(s, snap, "dirty.pages_pinned"), rd_get(s, snap, "dirty.bits_lost"));
	for (size_t i = 0; i < sd->nrounds && i < 8; i++) { /* the first rounds (whole run) */
		const struct rd_round *r = &sd->rounds[i];
		fprintf(f, "             harvest %zu: domain %u at ", i + 1, r->domain);
		rd_time(f, r->t_ps);
		if (r->uapi_errno) {
			fprintf(f, ": refused, errno %d\n", r->uapi_errno);
			continue;
		}
		fprintf(f,
		        ", %" PRIu64 " bits of %" PRIu64 " B%s%s, missed %" PRIu64 ", over %" PRIu64
		        ", sneak %" PRIu64 ", took ",
		        r->bits, r->page_size, r->partial ? ", partial" : "",
		        (r->flags & IOM_DIRTY_NO_CLEAR) ? ", noclear" : "", r->missed, r->over,
		        r->sneak);
		rd_time(f, r->done_ps - r->t_ps);
		fputc('\n', f);
	}
	if (sd->nrounds > 8)
		fprintf(f, "             ... %zu more rounds in the JSON result\n",
		        sd->nrounds - 8);
	rd_mig_print(sd, f); /* the migration view, per domain */
}

static json_t *rd_hex(uint64_t v)
{
	char b[24];
	snprintf(b, sizeof(b), "0x%" PRIx64, v);
	return json_string(b);
}

void *iom_sys_dirty_json(struct iom_system *s)
{
	struct iom_sys_dirty *sd = s->dirty;
	json_t *o = json_object(), *rounds = json_array();
	json_object_set_new(
	    o, "tracker",
	    json_string(sd->cfg.tracker == IOM_DIRTY_TRACKER_DEVICE ? "device" : "iommu"));
	json_object_set_new(o, "algorithm", json_string(iom_dirty_algo_name(sd->cfg.algorithm)));
	json_object_set_new(o, "order", json_string(iom_dirty_order_name(sd->cfg.order)));
	json_object_set_new(o, "missed_pages", json_integer((json_int_t)sd->missed_pages));
	json_object_set_new(o, "over_reported_bits",
	                    json_integer((json_int_t)sd->over_reported_bits));
	json_object_set_new(o, "sneak_writes", json_integer((json_int_t)sd->sneak_writes));
	for (size_t i = 0; i < sd->nrounds; i++) {
		const struct rd_round *r = &sd->rounds[i];
		const struct iom_dirty_cost *c = &r->cost;
		/* the previous round of the same domain: the dirty rate's interval */
		uint64_t prev = 0;
		for (size_t j = i; j-- > 0;)
			if (sd->rounds[j].domain == r->domain && !sd->rounds[j].uapi_errno) {
				prev = sd->rounds[j].t_ps;
				break;
			}
		json_t *e = json_object();
		json_object_set_new(e, "round", json_integer((json_int_t)i));
		json_object_set_new(e, "domain", json_integer(r->domain));
		json_object_set_new(e, "t_ps", json_integer((json_int_t)r->t_ps));
		json_object_set_new(e, "duration_ps",
		                    json_integer((json_int_t)(r->done_ps - r->t_ps)));
		json_object_set_new(e, "iova", rd_hex(r->iova));
		json_object_set_new(e, "size", rd_hex(r->length));
		json_object_set_new(e, "page_size", json_integer((json_int_t)r->page_size));
		json_object_set_new(e, "noclear", json_boolean(r->flags & IOM_DIRTY_NO_CLEAR));
		json_object_set_new(e, "errno", json_integer(r->uapi_errno));
		json_object_set_new(e, "partial", json_boolean(r->partial));
		json_object_set_new(e, "bits_set", json_integer((json_int_t)r->bits));
		json_object_set_new(e, "dirty_bytes",
		                    json_integer((json_int_t)(r->bits * r->page_size)));
		json_object_set_new(e, "dirty_rate_Bps",
		                    json_real(prev && r->t_ps > prev
		                                  ? (double)(r->bits * r->page_size) * 1e12 /
		                                        (double)(r->t_ps - prev)
		                                  : 0.0));
		json_object_set_new(e, "missed_pages", json_integer((json_int_t)r->missed));
		json_object_set_new(e, "over_reported_bits", json_integer((json_int_t)r->over));
		json_object_set_new(e, "sneak_writes", json_integer((json_int_t)r->sneak));
		json_object_set_new(e, "pte_reads", json_integer((json_int_t)c->pte_reads));
		json_object_set_new(e, "pte_clears", json_integer((json_int_t)c->pte_clears));
		json_object_set_new(e, "dirty_leaves", json_integer((json_int_t)c->dirty_leaves));
		json_object_set_new(e, "invalidations", json_integer((json_int_t)c->invalidations));
		json_object_set_new(e, "commands", json_integer((json_int_t)c->commands));
		json_object_set_new(e, "windows", json_integer((json_int_t)c->windows));
		json_object_set_new(e, "pages_pinned",
		                    json_integer((json_int_t)c->ibm.pages_pinned));
		json_object_set_new(e, "bits_lost", json_integer((json_int_t)c->ibm.bits_lost));
		json_object_set_new(e, "copy_bytes", json_integer((json_int_t)c->copy_bytes));
		json_object_set_new(e, "dev_entries", json_integer((json_int_t)c->dev_entries));
		json_object_set_new(e, "dev_msgs", json_integer((json_int_t)c->dev_msgs));
		rd_mig_round_json(e, r); /* migration view */
		json_array_append_new(rounds, e);
	}
	json_object_set_new(o, "rounds", rounds);
	json_object_set_new(o, "migration", rd_mig_json(sd));
	return o;
}
