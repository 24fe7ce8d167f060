/* SPDX-License-Identifier: Apache-2.0 */
/*
 * replay.c - the replay driver: trace records in, model calls out.
 *
 * One record at a time, in trace order (times are non-decreasing, the
 * reader enforces it).  A DMA goes to its device's DMA engine, which cuts it
 * into TLPs, has each translated by the IOMMU and then accesses memory (see
 * models/device/device.c).  Control records go to the host model, which
 * writes tables into memory and issues commands to the IOMMU.  Host errors a
 * kernel would return (-EEXIST for a map over a mapping, ...) make the
 * record "rejected" with a reason; they are counted and the first few are
 * printed.  What a model does not implement stops the run with a "not
 * implemented" error (exit 4) -- never a silent skip.  The reserved-region,
 * DMA API and dirty-tracking subsystems hook in at the marked points
 * (replay_resv.c, replay_dmaapi.c, replay_dirty.c).
 *
 * Time: timed devices issue at the record's time; the host acts at the
 * record's time.  In closed-loop mode record times are ignored and the
 * replay clock follows the devices.
 */
#include "replay-int.h"

#include "config.h"
#include "trace.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const reject_names[IOM_REJ_MAX] = {
	"no_domain", "exists", "not_mapped", "not_attached", "busy", "invalid", "range",
	"reserved",
};

const char *iom_reject_reason_name(unsigned r)
{
	return r < IOM_REJ_MAX ? reject_names[r] : "?";
}

static unsigned replay_reason(int code)
{
	switch (-code) {
	case IOM_ENOENT: return IOM_REJ_NO_DOMAIN;
	case IOM_EEXIST: return IOM_REJ_EXISTS;
	case IOM_EBUSY: return IOM_REJ_BUSY;
	case IOM_ERANGE: return IOM_REJ_RANGE;
	default: return IOM_REJ_INVALID;
	}
}

int iom_replay_register_stats(struct iom_system *s, struct iom_err *err)
{
	int r = 0;
	char n[64];
#define REP_CTR(f, unit, desc)                                                                     \
	if (!r)                                                                                    \
	r = iom_stats_counter(s->stats, "replay." #f, unit, desc, &s->f, err)
	REP_CTR(records, "records", "trace records replayed");
	REP_CTR(dma_records, "records", "DMA records");
	REP_CTR(control_records, "records", "control records (domains, attach, map, unmap, inval, bind, pmap)");
	REP_CTR(dma_bytes, "bytes", "bytes moved by DMA");
	REP_CTR(rejected, "records", "records the host rejected (counted by reason below)");
	REP_CTR(sim_end_ps, "ps", "simulated time when the last DMA completed");
#undef REP_CTR
	for (unsigned i = 0; i < IOM_REJ_MAX && !r; i++) {
		snprintf(n, sizeof(n), "replay.rejected.%s", reject_names[i]);
		r = iom_stats_counter(s->stats, n, "records", "records rejected for this reason",
				      &s->rejected_by[i], err);
	}
	return r;
}

static int64_t rec_pasid(const struct iom_rec *r)
{
	return (r->present & IOM_F_PASID) ? (int64_t)r->pasid : -1;
}

/* A piece of a DMA that the fabric delivers to the IOMMU (check.h). */
struct replay_piece {
	struct iom_device *d;
	const struct iom_rec *rec;
	uint64_t now, done_ps;
	uint32_t fl;
};

_Static_assert(IOM_AT_TREQ == IOM_TXN_AT_TREQ && IOM_AT_TRANSLATED == IOM_TXN_AT_TRANSLATED,
	       "trace AT values are the transaction's");

static int replay_dma_piece(void *ctx, uint64_t iova, uint64_t size, struct iom_err *err)
{
	struct replay_piece *p = ctx;
	struct iom_dma_result dr;
	/* at=treq: the device's ATS path (ATC, Translation Request on a miss, then a
	 * Translated request); at=t: Translated requests the IOMMU only checks. */
	int r = iom_device_dma_at(p->d, p->rec->at, p->now, rec_pasid(p->rec), iova, size,
				  p->rec->dir == IOM_DIR_WRITE, p->fl, &dr, err);
	if (!r && dr.done_ps > p->done_ps)
		p->done_ps = dr.done_ps;
	return r;
}

/* The device's fabric hook (device.h) onto the PCIe fabric (fabric.h). */
static uint64_t replay_fab_request(void *ctx, uint64_t ready_ps, uint64_t addr, uint32_t len,
				   bool write, bool *to_iommu)
{
	return iom_pcie_fabric_request(ctx, ready_ps, addr, len, write, to_iommu);
}

static bool replay_fab_peer(void *ctx, uint64_t ready_ps, uint64_t pa, uint32_t len, bool write,
			    uint64_t *done_ps)
{
	return iom_pcie_fabric_peer(ctx, ready_ps, pa, len, write, done_ps);
}

static uint64_t replay_fab_cpl(void *ctx, uint64_t ready_ps, uint64_t pa, uint32_t len)
{
	return iom_pcie_fabric_completions(ctx, ready_ps, pa, len);
}

const struct iom_dev_fabric_ops iom_replay_fabric_ops = {
	.request = replay_fab_request,
	.peer = replay_fab_peer,
	.completions = replay_fab_cpl,
};

/* A piece routed to the IOMMU or a peer: through the fabric, by the device. */
static int replay_routed_piece(void *ctx, uint32_t src, const struct iom_pcie_route *r,
			       uint64_t iova, uint64_t size, struct iom_err *err)
{
	struct replay_piece *p = ctx;
	struct iom_pcie_fabric *fab = p->d->fabric_ctx;
	/* no TLP of this or a later DMA is ready before the DMA can start */
	iom_pcie_fabric_advance(fab, p->d->cfg.mode == IOM_DEV_CLOSED_LOOP
					     ? iom_resource_next_free(&p->d->slots)
					     : p->now);
	int rc = iom_pcie_fabric_begin(fab, src, r, err);
	return rc ? rc : replay_dma_piece(p, iova, size, err);
}

/* A DMA record: its device's DMA engine, through the fabric when there is
 * one. The common case (no buffer handle, no reserved-region database) stays
 * inline in the replay loop; replay_dma_hooked() handles the rest first. */
static inline __attribute__((always_inline)) int
replay_dma_core(struct iom_system *s, const struct iom_rec *rec, uint64_t now,
		struct iom_trace_reader *rd, const struct iom_replay_opts *o, struct iom_err *err)
{
	struct iom_device *d = iom_system_device(s, rec->dev, err);
	if (!d)
		return -err->code;
	uint32_t fl = ((rec->flags & IOM_RF_PRIV) ? IOM_TXN_PRIV : 0) |
		      ((rec->flags & IOM_RF_EXEC) ? IOM_TXN_EXEC : 0);
	struct replay_piece p = {.d = d, .rec = rec, .now = now, .fl = fl};
	int r;
	if (s->pcie) { /* through the fabric: blocked pieces stop there */
		struct iom_pcie_dma_verdict v;
		r = iom_pcie_checker_dma_routed(s->pcie, rec->dev, rec->iova, rec->size,
						rec->dir == IOM_DIR_WRITE, replay_routed_piece, &p,
						&v, err);
		if (!r && (v.violation || v.blocked) && o->warn && s->pcie_warned++ < 10)
			fprintf(o->warn, "iommusim: %s: %s\n", iom_trace_where(rd), v.msg);
	} else {
		r = replay_dma_piece(&p, rec->iova, rec->size, err);
	}
	if (r)
		return r;
	struct iom_dma_result dr = {.done_ps = p.done_ps};
	if (__builtin_expect(s->dirty != NULL, 0)) /* trackers and ground truth see the writes */
		iom_sys_dirty_dma(s, rec, now);
	if (s->dmaapi && (rec->present & IOM_F_BUF)) /* its dmaunmap waits for it */
		iom_sys_dmaapi_dma_done(s, rec, dr.done_ps);
	s->dma_records++;
	s->dma_bytes += rec->size;
	if (dr.done_ps > s->sim_end_ps)
		s->sim_end_ps = dr.done_ps;
	return 0;
}

static __attribute__((noinline)) int
replay_dma_hooked(struct iom_system *s, const struct iom_rec *rec, uint64_t now,
		  struct iom_trace_reader *rd, const struct iom_replay_opts *o, struct iom_err *err)
{
	struct iom_rec dmaapi_rec; /* buf=: iova is the offset in the mapped buffer */
	if (rec->present & IOM_F_BUF) {
		int dr_ = iom_sys_dmaapi_dma(s, rec, &dmaapi_rec, &now, err);
		if (dr_ > 0) { /* the map was refused: the DMA is dropped, counted as rejected */
			s->rejected++;
			s->rejected_by[IOM_REJ_NOT_MAPPED]++;
			return 0;
		}
		if (dr_)
			return dr_;
		rec = &dmaapi_rec;
	}
	/* after buf= resolution: the DMA address is checked */
	if (s->resv) /* above the device's addressing limit: flagged, still replayed */
		iom_replay_resv_dma(s, rec, rd, o->warn);
	return replay_dma_core(s, rec, now, rd, o, err);
}

static inline int replay_dma(struct iom_system *s, const struct iom_rec *rec, uint64_t now,
			     struct iom_trace_reader *rd, const struct iom_replay_opts *o,
			     struct iom_err *err)
{
	if (__builtin_expect((rec->present & IOM_F_BUF) || s->resv, 0))
		return replay_dma_hooked(s, rec, now, rd, o, err);
	return replay_dma_core(s, rec, now, rd, o, err);
}

static int replay_inval(struct iom_system *s, const struct iom_rec *rec, uint64_t now,
			uint64_t *done, struct iom_err *err)
{
	struct iom_inval inv = {.rid = rec->dev, .pasid = rec->pasid};
	const struct iom_host_domain *d = NULL;
	if (rec->op == IOM_OP_DOMAIN || rec->op == IOM_OP_RANGE) {
		d = iom_host_domain(s->host, rec->domain);
		if (!d)
			return iom_err_set(err, IOM_ENOENT, "domain %u does not exist", rec->domain);
		inv.tag = d->tag;
	}
	switch (rec->op) {
	case IOM_OP_ALL: inv.scope = IOM_INVAL_ALL; break;
	case IOM_OP_DOMAIN: inv.scope = IOM_INVAL_DOMAIN; break;
	case IOM_OP_RANGE:
		inv.scope = IOM_INVAL_RANGE;
		inv.iova = rec->iova & ~4095ull;
		inv.size = ((rec->iova + rec->size + 4095) & ~4095ull) - inv.iova;
		inv.granule = 4096;
		break;
	case IOM_OP_DEV: inv.scope = IOM_INVAL_DEV_CFG; break;
	default: inv.scope = IOM_INVAL_PASID_CFG; break;
	}
	return iom_host_invalidate(s->host, &inv, now, done, err);
}

/* Control records: 0 = applied, <0 = host rejected it (err says why). */
static int replay_control(struct iom_system *s, const struct iom_rec *rec, uint64_t now,
			  struct iom_err *err)
{
	uint64_t done = now;
	if (s->resv && iom_replay_resv_before(s, rec, err)) /* resv.uapi: attach, unmap */
		return -err->code;
	switch (rec->kind) {
	case IOM_REC_DOMAIN:
		if (rec->op == IOM_OP_CREATE)
			return iom_host_domain_create(s->host, rec->domain, rec->type, err);
		return iom_host_domain_free(s->host, rec->domain, now, &done, err);
	case IOM_REC_ATTACH:
		return iom_host_attach(s->host, rec->dev, rec_pasid(rec), rec->domain, now, &done, err);
	case IOM_REC_DETACH:
		return iom_host_detach(s->host, rec->dev, rec_pasid(rec), now, &done, err);
	case IOM_REC_MAP:
		if (s->resv && iom_replay_resv_map(s, rec, err)) /* resv.uapi: MAP_DMA checks */
			return -err->code;
		return iom_host_map(s->host, rec->domain, rec->iova, rec->pa, rec->size, rec->prot,
				    rec->pgsize, now, &done, err);
	case IOM_REC_UNMAP:
		return iom_host_unmap(s->host, rec->domain, rec->iova, rec->size, now, &done, err);
	case IOM_REC_INVAL:
		return replay_inval(s, rec, now, &done, err);
	case IOM_REC_BIND:
		return iom_host_bind(s->host, rec->dev, rec->pasid, rec->mm, s->pcie ? s->pcie->t : NULL,
				     now, &done, err);
	case IOM_REC_UNBIND:
		return iom_host_unbind(s->host, rec->dev, rec->pasid, s->pcie ? s->pcie->t : NULL, now,
				       &done, err);
	case IOM_REC_PMAP:
		return iom_host_pmap(s->host, rec->mm, rec->iova, rec->pa, rec->size, rec->prot, now,
				     &done, err);
	case IOM_REC_PUNMAP:
		return iom_host_punmap(s->host, rec->mm, rec->iova, rec->size, now, &done, err);
	case IOM_REC_RESV:
		return iom_replay_resv_record(s, rec, err);
	case IOM_REC_DMAMAP:
	case IOM_REC_DMAUNMAP: /* the DMA API (replay_dmaapi.c) */
		return iom_sys_dmaapi_control(s, rec, now, err);
	case IOM_REC_DIRTY:
	case IOM_REC_HARVEST: /* dirty tracking (replay_dirty.c) */
		return iom_sys_dirty_control(s, rec, now, err);
	default:
		return 0;
	}
}

static double replay_wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void replay_progress(const struct iom_replay_result *res, double t0, double frac, FILE *f)
{
	double el = replay_wall_now() - t0;
	double rate = el > 0 ? res->records / el : 0;
	if (frac > 0) {
		double eta = el / frac - el;
		fprintf(f, "\r%llu records  %.2f M rec/s  %3.0f%%  ETA %.0f s   ",
			(unsigned long long)res->records, rate / 1e6, frac * 100, eta);
	} else {
		fprintf(f, "\r%llu records  %.2f M rec/s  ", (unsigned long long)res->records,
			rate / 1e6);
	}
	fflush(f);
}

static void replay_phase(struct iom_system *s, const struct iom_rec *rec,
			 struct iom_replay_result *res)
{
	if (rec->op == IOM_OP_ROI) {
		iom_stats_snap_free(s->roi_start);
		s->roi_start = iom_stats_snapshot(s->stats);
		res->has_roi = true;
		res->roi_start_ps = rec->time_ps;
	} else if (rec->op == IOM_OP_END && s->roi_start && !s->roi_end) {
		s->roi_end = iom_stats_snapshot(s->stats);
	}
}

/* A control record: applied, or rejected and counted by reason (the first
 * ten rejections are printed). Nonzero only for errors that end the replay. */
static int replay_control_record(struct iom_system *s, const struct iom_rec *rec, uint64_t now,
				 struct iom_trace_reader *rd, const struct iom_replay_opts *o,
				 unsigned *warned, struct iom_err *err)
{
	s->control_records++;
	int r = replay_control(s, rec, now, err);
	unsigned resv_why = s->resv ? iom_replay_resv_after(s, rec, r) : IOM_REJ_MAX;
	if (r == -IOM_ENOTSUP || r == -IOM_ENOMEM || r == -IOM_EIO) {
		iom_err_prefix(err, "%s", iom_trace_where(rd));
		return r;
	}
	if (r) {
		unsigned why = replay_reason(r);
		if (rec->kind == IOM_REC_UNMAP && why == IOM_REJ_NO_DOMAIN &&
		    iom_host_domain(s->host, rec->domain))
			why = IOM_REJ_NOT_MAPPED;
		if ((rec->kind == IOM_REC_DETACH || rec->kind == IOM_REC_UNBIND) &&
		    why == IOM_REJ_NO_DOMAIN)
			why = IOM_REJ_NOT_ATTACHED;
		if ((rec->kind == IOM_REC_PUNMAP || rec->kind == IOM_REC_DMAUNMAP) &&
		    why == IOM_REJ_NO_DOMAIN)
			why = IOM_REJ_NOT_MAPPED;
		if (resv_why < IOM_REJ_MAX) /* refused by resv.uapi: its reason */
			why = resv_why;
		s->rejected++;
		s->rejected_by[why]++;
		if (o->warn && (*warned)++ < 10)
			fprintf(o->warn, "iommusim: %s: rejected %s: %s\n", iom_trace_where(rd),
				iom_rec_kind_name(rec->kind), err->msg);
	}
	return 0;
}

int iom_replay_run(struct iom_system *s, const struct iom_replay_opts *o,
		   struct iom_replay_result *res, struct iom_err *err)
{
	memset(res, 0, sizeof(*res));
	struct iom_trace_reader_opts ro = {.threaded = true, .skip_bad = o->skip_bad};
	struct iom_trace_reader *rd = iom_trace_open(o->trace_path, &ro, err);
	if (!rd)
		return -err->code;
	res->trace_encoding = iom_trace_encoding(rd);
	double t0 = replay_wall_now(), next_progress = t0 + 0.5;
	bool closed = s->dev_cfg.mode == IOM_DEV_CLOSED_LOOP;
	uint64_t now = 0;
	unsigned warned = 0;
	const struct iom_rec *rec;
	int r;
	/* With dirty tracking, a record held back during a harvest comes first. */
	while ((r = s->dirty ? iom_sys_dirty_next(s, rd, &rec, err)
			     : iom_trace_next_ref(rd, &rec, err)) == 1) {
		if (!res->records)
			res->first_ps = rec->time_ps;
		now = closed ? IOM_MAX(now, s->sim_end_ps) : rec->time_ps;
		if (o->advance) /* another engine sequences the records (sim/systemc) */
			o->advance(o->advance_ctx, now);
		res->records++;
		s->records++;
		if ((r = iom_host_advance(s->host, now, err))) { /* lazy flush timers */
			iom_err_prefix(err, "%s", iom_trace_where(rd));
			break;
		}
		if (s->dmaapi && (r = iom_sys_dmaapi_advance(s, now, err))) { /* range-cache trims */
			iom_err_prefix(err, "%s", iom_trace_where(rd));
			break;
		}
		if (s->dirty && (r = iom_sys_dirty_advance(s, rd, o, replay_dma, &res->records, err)))
			break; /* a DMA replayed inside a harvest failed */
		if (rec->kind == IOM_REC_DMA) {
			r = replay_dma(s, rec, now, rd, o, err);
			if (r) {
				iom_err_prefix(err, "%s", iom_trace_where(rd));
				break;
			}
		} else if (rec->kind == IOM_REC_PHASE) {
			res->phase_records++;
			replay_phase(s, rec, res);
		} else if ((r = replay_control_record(s, rec, now, rd, o, &warned, err))) {
			break;
		}
		if (o->max_records && res->records >= o->max_records)
			break;
		if (o->progress && (res->records & 0xffff) == 0 && replay_wall_now() > next_progress) {
			replay_progress(res, t0, iom_trace_progress(rd), stderr);
			next_progress = replay_wall_now() + 0.5;
		}
	}
	if (o->progress)
		fprintf(stderr, "\r%60s\r", "");
	res->malformed_skipped = iom_trace_skipped(rd);
	iom_trace_close(rd);
	if (r < 0)
		return r;
	iom_sys_dmaapi_end(s); /* buffers still mapped: leaked */
	if (s->dirty && (r = iom_sys_dirty_end(s, &res->records, err)))
		return r;
	if (s->roi_start && !s->roi_end)
		s->roi_end = iom_stats_snapshot(s->stats);
	res->dma_records = s->dma_records;
	res->control_records = s->control_records;
	res->rejected = s->rejected;
	memcpy(res->rejected_by, s->rejected_by, sizeof(res->rejected_by));
	res->end_ps = IOM_MAX(s->sim_end_ps, now);
	res->wall_s = replay_wall_now() - t0;
	return 0;
}
