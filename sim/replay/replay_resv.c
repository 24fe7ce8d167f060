/* SPDX-License-Identifier: Apache-2.0 */
/*
 * replay_resv.c - the replay side of reserved regions (models/host/resv.h,
 * docs/resv.md): the per-system database of region sources, `resv` trace
 * records, the device addressing-limit check on every DMA, and -- with
 * resv.uapi = vfio | iommufd -- the map, unmap and attach records checked as
 * that interface would, one container / IOAS per trace domain.
 *
 * What it does: a DMA whose last byte lies above its device's addressing
 * limit is flagged (counted, the first ten described on stderr) and still
 * replayed: the IOMMU sees the address the trace gives.  A record the
 * interface refuses is rejected before the host sees it, with the kernel's
 * errno in the message and the reason "reserved" when a reserved region or
 * the usable list decided it.  Attach takes the device's whole IOMMU group
 * (the topology's, or the device alone) with the regions of every member,
 * read at that moment; a region added later by a `resv` record counts from
 * the group's next attach, as the kernel reads regions at attach time.
 * What it does not: PASID attachments are not checked; an unattached
 * domain's usable list is its aperture.
 * Cost: none (the checks are host bookkeeping; no simulated time passes).
 * Without a `resv` section and without limits or regions in the topology
 * nothing here runs (s->resv is NULL) unless a `resv` record arrives.
 */
#include "replay-int.h"

#include "config.h"
#include "pgtable.h"
#include "resv.h"
#include "trace.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* One trace domain as a user-space container / IOAS. */
struct rs_dom {
	uint32_t id;
	struct iom_resv_uapi *u;
};

enum {
	RS_E_EINVAL,
	RS_E_EEXIST,
	RS_E_ENOSPC,
	RS_E_EOVERFLOW,
	RS_E_EADDRINUSE,
	RS_E_ENOENT,
	RS_E_COUNT
};
static const char *const rs_errno_stat[RS_E_COUNT] = {"einval",    "eexist",     "enospc",
                                                      "eoverflow", "eaddrinuse", "enoent"};
static const int rs_errno[RS_E_COUNT] = {-IOM_RESV_EINVAL,     -IOM_RESV_EEXIST,
                                         -IOM_RESV_ENOSPC,     -IOM_RESV_EOVERFLOW,
                                         -IOM_RESV_EADDRINUSE, -IOM_RESV_ENOENT};

struct iom_sys_resv {
	struct iom_u64map doms;     /* domain id -> struct rs_dom * */
	struct iom_u64map attached; /* dev -> domain id (no-PASID attachments checked) */
	unsigned warned;            /* DMAs above a limit described so far */
	unsigned why;               /* reject reason of the refusal being reported */
	/* a check that changed state before the host acted: undone if it refuses */
	struct {
		uint32_t kind, dom;
		uint64_t group, iova, size;
	} pending;
	uint32_t lim_dev; /* one-entry cache of the device limit */
	uint64_t lim;
	bool lim_valid;
	/* counters (resv.*) */
	uint64_t records, maps_checked, maps_refused, unmaps_refused, attach_refused;
	uint64_t refused_by[RS_E_COUNT];
	uint64_t maps_above_limit, dma_above_limit, dma_above_limit_bytes;
};

static unsigned rs_errno_idx(int e)
{
	switch (-e) {
	case IOM_RESV_EEXIST:
		return RS_E_EEXIST;
	case IOM_RESV_ENOSPC:
		return RS_E_ENOSPC;
	case IOM_RESV_EOVERFLOW:
		return RS_E_EOVERFLOW;
	case IOM_RESV_EADDRINUSE:
		return RS_E_EADDRINUSE;
	case IOM_RESV_ENOENT:
		return RS_E_ENOENT;
	default:
		return RS_E_EINVAL;
	}
}

/* The simulator code carrying a refusal, and the replay's reject reason. */
static int rs_refuse(struct iom_system *s, const struct iom_resv_outcome *o, const char *what,
                     struct iom_err *err)
{
	static const int codes[RS_E_COUNT] = {IOM_EINVAL, IOM_EEXIST, IOM_EBUSY,
	                                      IOM_ERANGE, IOM_EBUSY,  IOM_ENOENT};
	static const unsigned whys[RS_E_COUNT] = {IOM_REJ_INVALID,  IOM_REJ_EXISTS,
	                                          IOM_REJ_BUSY,     IOM_REJ_INVALID,
	                                          IOM_REJ_RESERVED, IOM_REJ_NOT_MAPPED};
	unsigned k = rs_errno_idx(o->err);
	s->resv->refused_by[k]++;
	s->resv->why = o->reserved ? IOM_REJ_RESERVED : whys[k];
	return iom_err_set(err, codes[k], "%s (%s): %s", what,
	                   iom_resv_uapi_name(iom_resv_db_cfg(s->resv_db)->uapi), o->msg);
}

int iom_replay_resv_build(struct iom_system *s, struct iom_config *cfg, struct iom_err *err)
{
	unsigned kind = s->cfg.iommu == IOM_SYS_VTD ? IOM_RESV_IOMMU_VTD : IOM_RESV_IOMMU_SMMUV3;
	int r = iom_resv_db_from_config(cfg, kind, s->pcie ? s->pcie->t : NULL, &s->resv_db, err);
	if (r || !iom_resv_db_described(s->resv_db))
		return r;
	return iom_replay_resv_enable(s, err);
}

int iom_replay_resv_enable(struct iom_system *s, struct iom_err *err)
{
	if (s->resv)
		return 0;
	if (!(s->resv = calloc(1, sizeof(*s->resv))))
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	iom_u64map_init(&s->resv->doms);
	iom_u64map_init(&s->resv->attached);
	s->resv->why = IOM_REJ_MAX;
	return s->stats ? iom_replay_resv_register_stats(s, err) : 0;
}

int iom_replay_resv_register_stats(struct iom_system *s, struct iom_err *err)
{
	struct iom_sys_resv *x = s->resv;
	int r = 0;
	char n[64];
#define RS_CTR(f, unit, desc)                                                                      \
	if (!r)                                                                                    \
	r = iom_stats_counter(s->stats, "resv." #f, unit, desc, &x->f, err)
	RS_CTR(records, "records", "resv trace records (regions added to a device)");
	RS_CTR(maps_checked, "records", "map records checked against the usable IOVA list");
	RS_CTR(maps_refused, "records", "map records the user-space interface refused");
	RS_CTR(unmaps_refused, "records", "unmap records the user-space interface refused");
	RS_CTR(attach_refused, "records",
	       "attach records refused (reserved regions, require_direct)");
	RS_CTR(maps_above_limit, "records",
	       "accepted maps reaching above an attached device's addressing limit");
	RS_CTR(dma_above_limit, "records", "DMAs reaching above their device's addressing limit");
	RS_CTR(dma_above_limit_bytes, "bytes", "bytes of those DMAs above the limit");
#undef RS_CTR
	for (unsigned i = 0; i < RS_E_COUNT && !r; i++) {
		snprintf(n, sizeof(n), "resv.refused.%s", rs_errno_stat[i]);
		r = iom_stats_counter(s->stats, n, "records", "refusals with this errno",
		                      &x->refused_by[i], err);
	}
	return r;
}

void iom_replay_resv_destroy(struct iom_system *s)
{
	struct iom_sys_resv *x = s->resv;
	if (x) {
		uint64_t k, v;
		for (size_t it = 0; iom_u64map_next(&x->doms, &it, &k, &v);) {
			struct rs_dom *d = (struct rs_dom *)(uintptr_t)v;
			iom_resv_uapi_destroy(d->u);
			free(d);
		}
		iom_u64map_fini(&x->doms);
		iom_u64map_fini(&x->attached);
		free(x);
		s->resv = NULL;
	}
	iom_resv_db_destroy(s->resv_db);
	s->resv_db = NULL;
}

/* ---- the domain's aperture ------------------------------------------------ */

int iom_replay_resv_domain_geometry(struct iom_system *s, uint32_t dom, uint64_t *ap_start,
                                    uint64_t *ap_last, uint64_t *pgmin, struct iom_err *err)
{
	const struct iom_host_domain *d = iom_host_domain(s->host, dom);
	if (!d)
		return iom_err_set(err, IOM_ENOENT, "domain %u does not exist", dom);
	*ap_start = 0;
	*ap_last = UINT64_MAX;
	*pgmin = 4096;
	if (!d->pt) /* identity / blocked: no table, no aperture */
		return 0;
	const struct iom_pt_cfg *pc = iom_pt_config(d->pt);
	uint64_t span = pc->ia_bits >= 64 ? UINT64_MAX : (1ull << pc->ia_bits) - 1;
	if (pc->ttb1)
		*ap_start = ~span; /* [2^64 - 2^ia, 2^64) */
	else
		*ap_last = span;
	if (d->pgsizes)
		*pgmin = d->pgsizes & (~d->pgsizes + 1);
	return 0;
}

int iom_replay_resv_probe_geometry(struct iom_system *s, uint64_t *ap_start, uint64_t *ap_last,
                                   uint64_t *pgmin, struct iom_err *err)
{
	const uint32_t probe = UINT32_MAX; /* a domain id traces do not use */
	uint64_t done = 0;
	int r = iom_host_domain_create(s->host, probe, IOM_HOST_DOM_PAGING, err);
	if (r)
		return r;
	r = iom_replay_resv_domain_geometry(s, probe, ap_start, ap_last, pgmin, err);
	int r2 = iom_host_domain_free(s->host, probe, 0, &done, err);
	return r ? r : r2;
}

int iom_replay_resv_dev_regions(struct iom_system *s, uint32_t dev, uint32_t dom,
                                struct iom_resv_list *out, uint64_t *limit, struct iom_err *err)
{
	uint64_t as = 0, al = 0, pg = 0;
	int r = iom_replay_resv_domain_geometry(s, dom, &as, &al, &pg, err);
	if (!r)
		r = iom_resv_dev_regions(s->resv_db, dev, as, al, IOM_RESV_F_DMA_API, out, err);
	if (!r && limit)
		*limit = iom_resv_dev_limit(s->resv_db, dev);
	return r;
}

/* The container of domain id (created on first use; NULL if the domain does
 * not exist -- the host then rejects the record itself). */
static struct rs_dom *rs_dom(struct iom_system *s, uint32_t id, struct iom_err *err, int *rc)
{
	uint64_t v;
	*rc = 0;
	if (iom_u64map_get(&s->resv->doms, id, &v))
		return (struct rs_dom *)(uintptr_t)v;
	uint64_t as = 0, al = 0, pg = 0;
	struct iom_err tmp;
	if (iom_replay_resv_domain_geometry(s, id, &as, &al, &pg, &tmp))
		return NULL;
	const struct iom_resv_cfg *c = iom_resv_db_cfg(s->resv_db);
	struct rs_dom *d = calloc(1, sizeof(*d));
	if (!d) {
		*rc = iom_err_set(err, IOM_ENOMEM, "out of memory");
		return NULL;
	}
	d->id = id;
	d->u = iom_resv_uapi_create(c->uapi, c->dma_entry_limit, as, al, pg, err);
	if (!d->u || iom_u64map_put(&s->resv->doms, id, (uint64_t)(uintptr_t)d)) {
		*rc = d->u ? iom_err_set(err, IOM_ENOMEM, "out of memory") : -err->code;
		iom_resv_uapi_destroy(d->u);
		free(d);
		return NULL;
	}
	return d;
}

static bool rs_checking(const struct iom_system *s)
{
	return s->resv && iom_resv_db_cfg(s->resv_db)->uapi != IOM_RESV_UAPI_OFF;
}

/* ---- DMA -------------------------------------------------------------------- */

void iom_replay_resv_dma(struct iom_system *s, const struct iom_rec *rec,
                         struct iom_trace_reader *rd, FILE *warn)
{
	struct iom_sys_resv *x = s->resv;
	if (!x->lim_valid || x->lim_dev != rec->dev) {
		x->lim = iom_resv_dev_limit(s->resv_db, rec->dev);
		x->lim_dev = rec->dev;
		x->lim_valid = true;
	}
	uint64_t last = rec->iova + rec->size - 1;
	if (last <= x->lim)
		return;
	uint64_t from = IOM_MAX(rec->iova, x->lim + 1);
	x->dma_above_limit++;
	x->dma_above_limit_bytes += last - from + 1;
	if (!warn || x->warned++ >= 10)
		return;
	bool fw;
	unsigned bits = iom_resv_dev_limit_bits(s->resv_db, rec->dev, &fw);
	fprintf(warn,
	        "iommusim: %s: DMA above the device's addressing limit: %02x:%02x.%x reaches "
	        "%#" PRIx64 " but emits at most %#" PRIx64
	        " (%u bits, %s); resv.device_limit = %s\n",
	        iom_trace_where(rd), (rec->dev >> 8) & 0xff, (rec->dev >> 3) & 0x1f, rec->dev & 7,
	        last, x->lim, bits, fw ? "firmware limit" : "DMA mask",
	        iom_resv_policy_name(iom_resv_db_cfg(s->resv_db)->device_limit));
}

/* ---- records ---------------------------------------------------------------- */

static const uint8_t rs_op_type[IOM_OP_MAX] = {
    [IOM_OP_MSI] = IOM_RESV_MSI,           [IOM_OP_SW_MSI] = IOM_RESV_SW_MSI,
    [IOM_OP_DIRECT] = IOM_RESV_DIRECT,     [IOM_OP_DIRECT_RELAXABLE] = IOM_RESV_DIRECT_RELAXABLE,
    [IOM_OP_RESERVED] = IOM_RESV_RESERVED,
};

int iom_replay_resv_record(struct iom_system *s, const struct iom_rec *rec, struct iom_err *err)
{
	int r = iom_replay_resv_enable(s, err);
	if (r)
		return r;
	if (rec->op < IOM_OP_MSI || rec->op > IOM_OP_RESERVED)
		return iom_err_set(err, IOM_EINVAL, "resv: op %s is not a region type",
		                   iom_rec_op_name(rec->op));
	r = iom_resv_db_add(s->resv_db, rec->dev, rec->iova, rec->iova + rec->size - 1,
	                    rs_op_type[rec->op], IOM_RESV_SRC_TRACE, err);
	if (!r)
		s->resv->records++;
	return r;
}

int iom_replay_resv_map(struct iom_system *s, const struct iom_rec *rec, struct iom_err *err)
{
	if (!rs_checking(s))
		return 0;
	int rc;
	struct rs_dom *d = rs_dom(s, rec->domain, err, &rc);
	if (!d)
		return rc;
	struct iom_resv_outcome o;
	s->resv->maps_checked++;
	if ((rc = iom_resv_uapi_map(d->u, rec->iova, rec->size, rec->prot, &o, err)))
		return rc;
	if (o.err) {
		s->resv->maps_refused++;
		return rs_refuse(s, &o, "map refused", err);
	}
	s->resv->pending.kind = IOM_REC_MAP; /* undone if the host refuses it */
	s->resv->pending.dom = rec->domain;
	s->resv->pending.iova = rec->iova;
	s->resv->pending.size = rec->size;
	if (iom_resv_uapi_groups(d->u) && rec->iova + rec->size - 1 > iom_resv_uapi_limit(d->u))
		s->resv->maps_above_limit++;
	return 0;
}

/* Attach (no PASID): the device's group joins the domain's container. */
static int rs_attach(struct iom_system *s, const struct iom_rec *rec, struct iom_err *err)
{
	int rc;
	struct rs_dom *d = rs_dom(s, rec->domain, err, &rc);
	if (!d)
		return rc;
	uint64_t g = iom_resv_group_of(s->resv_db, rec->dev);
	if (iom_resv_uapi_has_group(d->u, g))
		return 0;
	uint64_t as = 0, al = 0, pg = 0;
	struct iom_resv_list regs = {0};
	struct iom_resv_outcome o;
	rc = iom_replay_resv_domain_geometry(s, rec->domain, &as, &al, &pg, err);
	if (!rc)
		rc = iom_resv_group_regions(s->resv_db, g, as, al, 0, &regs, err);
	if (!rc)
		rc = iom_resv_uapi_attach(d->u, g, &regs, iom_resv_group_limit(s->resv_db, g), &o,
		                          err);
	iom_resv_list_fini(&regs);
	if (rc)
		return rc;
	if (o.err) {
		s->resv->attach_refused++;
		return rs_refuse(s, &o, "attach refused", err);
	}
	s->resv->pending.kind = IOM_REC_ATTACH;
	s->resv->pending.dom = rec->domain;
	s->resv->pending.group = g;
	return 0;
}

int iom_replay_resv_before(struct iom_system *s, const struct iom_rec *rec, struct iom_err *err)
{
	s->resv->why = IOM_REJ_MAX;
	s->resv->pending.kind = 0;
	if (!rs_checking(s))
		return 0;
	bool nopasid = !(rec->present & IOM_F_PASID);
	if (rec->kind == IOM_REC_ATTACH && nopasid)
		return rs_attach(s, rec, err);
	if (rec->kind != IOM_REC_UNMAP)
		return 0;
	int rc;
	struct rs_dom *d = rs_dom(s, rec->domain, err, &rc);
	if (!d)
		return rc;
	struct iom_resv_outcome o;
	iom_resv_uapi_unmap_check(d->u, rec->iova, rec->size, &o);
	if (!o.err)
		return 0;
	s->resv->unmaps_refused++;
	return rs_refuse(s, &o, "unmap refused", err);
}

/* Is some member of group g still attached (no PASID) to domain dom? */
static bool rs_group_in(struct iom_system *s, uint64_t g, uint32_t dom)
{
	uint32_t devs[256];
	size_t n = iom_resv_group_members(s->resv_db, g, devs, IOM_ARRAY_SIZE(devs));
	for (size_t i = 0; i < IOM_MIN(n, IOM_ARRAY_SIZE(devs)); i++) {
		uint64_t v;
		if (iom_u64map_get(&s->resv->attached, devs[i], &v) && v == dom)
			return true;
	}
	return false;
}

/* dev left domain dom: its group leaves the container when no member remains. */
static void rs_left(struct iom_system *s, uint32_t dev, uint32_t dom)
{
	uint64_t v;
	struct iom_err tmp;
	uint64_t g = iom_resv_group_of(s->resv_db, dev);
	iom_u64map_del(&s->resv->attached, dev);
	if (!rs_group_in(s, g, dom) && iom_u64map_get(&s->resv->doms, dom, &v))
		iom_resv_uapi_detach(((struct rs_dom *)(uintptr_t)v)->u, g, &tmp);
}

unsigned iom_replay_resv_after(struct iom_system *s, const struct iom_rec *rec, int r)
{
	struct iom_sys_resv *x = s->resv;
	unsigned why = x->why;
	x->why = IOM_REJ_MAX;
	if (!rs_checking(s))
		return why;
	uint64_t v, unmapped;
	struct iom_resv_outcome o;
	struct iom_err tmp;
	struct rs_dom *d =
	    iom_u64map_get(&x->doms, rec->domain, &v) ? (struct rs_dom *)(uintptr_t)v : NULL;
	bool nopasid = !(rec->present & IOM_F_PASID);
	if (r) { /* the host refused after a check changed state: undo it */
		if (x->pending.kind == IOM_REC_MAP && d)
			iom_resv_uapi_unmap(d->u, x->pending.iova, x->pending.size, &unmapped, &o,
			                    &tmp);
		else if (x->pending.kind == IOM_REC_ATTACH && d &&
		         !rs_group_in(s, x->pending.group, rec->domain))
			iom_resv_uapi_detach(d->u, x->pending.group, &tmp);
		x->pending.kind = 0;
		return why;
	}
	x->pending.kind = 0;
	switch (rec->kind) {
	case IOM_REC_UNMAP:
		if (d)
			iom_resv_uapi_unmap(d->u, rec->iova, rec->size, &unmapped, &o, &tmp);
		break;
	case IOM_REC_ATTACH:
		if (!nopasid)
			break;
		if (iom_u64map_get(&x->attached, rec->dev, &v) && v != rec->domain)
			rs_left(s, rec->dev, (uint32_t)v); /* moved from another domain */
		iom_u64map_put(&x->attached, rec->dev, rec->domain);
		break;
	case IOM_REC_DETACH:
		if (nopasid && iom_u64map_get(&x->attached, rec->dev, &v))
			rs_left(s, rec->dev, (uint32_t)v);
		break;
	case IOM_REC_DOMAIN:
		if (rec->op == IOM_OP_FREE && d) { /* a new domain with this id starts afresh */
			iom_resv_uapi_destroy(d->u);
			free(d);
			iom_u64map_del(&x->doms, rec->domain);
		}
		break;
	default:
		break;
	}
	return why;
}

/* ---- report ----------------------------------------------------------------- */

static double rs_get(struct iom_system *s, const struct iom_stats_snap *snap, const char *name)
{
	double v = 0;
	iom_stats_get(s->stats, snap, name, &v);
	return v;
}

void iom_replay_resv_print_summary(struct iom_system *s, const struct iom_stats_snap *snap, FILE *f)
{
	const struct iom_resv_cfg *c = iom_resv_db_cfg(s->resv_db);
	fprintf(f, "resv         device limit %s, uapi %s", iom_resv_policy_name(c->device_limit),
	        iom_resv_uapi_name(c->uapi));
	if (c->uapi != IOM_RESV_UAPI_OFF) {
		fprintf(f,
		        ": %.0f maps checked, %.0f refused, %.0f unmaps refused, %.0f attach "
		        "refused",
		        rs_get(s, snap, "resv.maps_checked"), rs_get(s, snap, "resv.maps_refused"),
		        rs_get(s, snap, "resv.unmaps_refused"),
		        rs_get(s, snap, "resv.attach_refused"));
		int any = 0;
		for (unsigned i = 0; i < RS_E_COUNT; i++) {
			char n[64];
			snprintf(n, sizeof(n), "resv.refused.%s", rs_errno_stat[i]);
			double v = rs_get(s, snap, n);
			if (v)
				fprintf(f, "%s%s %.0f", any++ ? ", " : " (",
				        iom_resv_errno_name(rs_errno[i]), v);
		}
		fprintf(f, "%s; %.0f maps above a device limit", any ? ")" : "",
		        rs_get(s, snap, "resv.maps_above_limit"));
	}
	fprintf(f, "; %.0f DMAs above their device's limit (%.0f bytes)\n",
	        rs_get(s, snap, "resv.dma_above_limit"),
	        rs_get(s, snap, "resv.dma_above_limit_bytes"));
}

static json_t *rs_hex(uint64_t v)
{
	char b[24];
	snprintf(b, sizeof(b), "%#" PRIx64, v);
	return json_string(b);
}

static int rs_cmp_id(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

void *iom_replay_resv_json(struct iom_system *s)
{
	const struct iom_resv_cfg *c = iom_resv_db_cfg(s->resv_db);
	json_t *o = json_object();
	json_object_set_new(o, "device_limit", json_string(iom_resv_policy_name(c->device_limit)));
	json_object_set_new(o, "uapi", json_string(iom_resv_uapi_name(c->uapi)));
	json_t *doms = json_array();
	size_t n = 0, cap = 16;
	uint64_t *ids = malloc(cap * sizeof(*ids)), k, v;
	for (size_t it = 0; ids && iom_u64map_next(&s->resv->doms, &it, &k, &v);) {
		if (n == cap) {
			uint64_t *p = realloc(ids, (cap *= 2) * sizeof(*ids));
			if (!p)
				break;
			ids = p;
		}
		ids[n++] = k;
	}
	if (ids)
		qsort(ids, n, sizeof(*ids), rs_cmp_id); /* map order is not deterministic */
	for (size_t i = 0; ids && i < n; i++) {
		iom_u64map_get(&s->resv->doms, ids[i], &v);
		const struct iom_resv_uapi *u = ((struct rs_dom *)(uintptr_t)v)->u;
		const struct iom_resv_ranges *rg = iom_resv_uapi_ranges(u);
		json_t *d = json_object(), *ra = json_array();
		json_object_set_new(d, "domain", json_integer((json_int_t)ids[i]));
		json_object_set_new(d, "groups", json_integer(iom_resv_uapi_groups(u)));
		json_object_set_new(d, "mappings", json_integer(iom_resv_uapi_mappings(u)));
		json_object_set_new(d, "iova_alignment", rs_hex(iom_resv_uapi_alignment(u)));
		json_object_set_new(d, "device_limit", rs_hex(iom_resv_uapi_limit(u)));
		for (uint32_t j = 0; j < rg->n; j++) {
			json_t *e = json_object();
			json_object_set_new(e, "start", rs_hex(rg->v[j].start));
			json_object_set_new(e, "last", rs_hex(rg->v[j].last));
			json_array_append_new(ra, e);
		}
		json_object_set_new(d, "iova_ranges", ra);
		json_array_append_new(doms, d);
	}
	free(ids);
	json_object_set_new(o, "domains", doms);
	return o;
}
