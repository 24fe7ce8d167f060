/* SPDX-License-Identifier: Apache-2.0 */
/*
 * replay_dmaapi.c - the replay's side of the DMA API (models/host/dma_api.h,
 * docs/dma-api.md): binds the dma_api sections, builds the DMA API over the
 * host, turns dmamap / dmaunmap records into its calls, and gives a dma
 * record with buf= the DMA address of that buffer.
 *
 * Time: a dmamap acts at its record's time (its CPU may still be busy); a
 * DMA on a buffer starts no earlier than the map returned (the driver hands
 * the address to the device only then); a dmaunmap starts no earlier than
 * the buffer's last DMA completed (the driver unmaps after the completion).
 * A refused map (DMA_MAPPING_ERROR) is a rejected record; the trace's DMAs
 * on that buffer are dropped, as the driver drops the I/O.
 * Reserved regions: when the system has the reserved-region database
 * (replay_resv.c), a DMA domain's allocator keeps the device's regions out
 * (except the software MSI window, as iova_reserve_iommu_regions), and the
 * device's addressing limit there caps the DMA mask.
 * dma_api.driver = vfio_user (needs resv.uapi = vfio): the allocator is a
 * user-space driver's over VFIO type1 (QEMU util/vfio-helpers.c) and gets
 * only what VFIO reports: its reserved ranges are the holes of the VFIO
 * usable IOVA list of the device's container -- the groups attached to the
 * domain when its allocator is made (QEMU reads the list once, at open) --
 * under resv.device_limit (so the software MSI window is a hole, and under
 * `reserved` so is [limit + 1, ...]), plus [0, QEMU_VFIO_IOVA_MIN - 1]; its
 * limit is the aperture end, except under `separate`, where the container's
 * device limit is reported and honoured.  The maps are not re-checked as
 * MAP_DMA: the allocator hands out nothing outside the usable list.
 */
#include "replay-int.h"

#include "config.h"
#include "dma_api.h"
#include "trace.h"

#include <stdlib.h>
#include <string.h>

struct iom_sys_dmaapi {
	struct iom_dma_api *api;
	struct iom_dma_api_cfg cfg;
	struct iom_dma_api_dev_ops ops;
	struct iom_system *s;
};

/* QEMU_VFIO_IOVA_MIN: QEMU's vfio-helpers never hands out IOVAs below it. */
#define SDA_VFIO_IOVA_MIN 0x10000ull
/* Groups of one container the vfio_user facts look at (more: not implemented). */
#define SDA_MAX_GROUPS 64

static bool sda_vfio(const struct iom_sys_dmaapi *x)
{
	return x->cfg.driver == IOM_DMA_API_DRIVER_VFIO_USER;
}

/* The groups of rid's VFIO container: rid's own, and that of every device
 * the database knows that is attached (no PASID) to rid's domain.  Returns
 * how many (at least 1), SDA_MAX_GROUPS + 1 when there are more than g holds
 * (g[] then has the first SDA_MAX_GROUPS). */
static size_t sda_container_groups(struct iom_sys_dmaapi *x, uint32_t rid, uint64_t *g)
{
	size_t n = 0;
	uint64_t dom;
	g[n++] = iom_resv_group_of(x->s->resv_db, rid);
	if (!iom_host_slot(x->s->host, rid, -1, &dom) || dom >= IOM_HOST_SVA_SLOT)
		return n;
	size_t nd = iom_resv_db_devices(x->s->resv_db, NULL, 0);
	uint32_t *devs = nd ? malloc(nd * sizeof(*devs)) : NULL;
	if (!devs)
		return n;
	nd = IOM_MIN(nd, iom_resv_db_devices(x->s->resv_db, devs, nd));
	for (size_t i = 0; i < nd && n <= SDA_MAX_GROUPS; i++) {
		uint64_t v, gi = iom_resv_group_of(x->s->resv_db, devs[i]);
		bool seen = false;
		if (!iom_host_slot(x->s->host, devs[i], -1, &v) || v != dom)
			continue;
		for (size_t k = 0; k < n && !seen; k++)
			seen = g[k] == gi;
		if (!seen && n == SDA_MAX_GROUPS)
			n++; /* one too many: the caller refuses */
		else if (!seen)
			g[n++] = gi;
	}
	free(devs);
	return n;
}

/* vfio_user: the holes of the VFIO type1 usable list of rid's container
 * (aperture minus every group's regions that are not direct-relaxable,
 * resv.device_limit applied by the database), and below QEMU_VFIO_IOVA_MIN. */
static int sda_vfio_resv(struct iom_sys_dmaapi *x, uint32_t rid, uint64_t ap_start,
			 uint64_t ap_last,
			 int (*add)(void *, uint64_t, uint64_t, struct iom_err *), void *add_ctx,
			 struct iom_err *err)
{
	uint64_t g[SDA_MAX_GROUPS];
	size_t ng = sda_container_groups(x, rid, g);
	if (ng > SDA_MAX_GROUPS)
		return iom_err_set(err, IOM_ENOTSUP,
				   "dma_api.driver = vfio_user: a container of more than %d groups "
				   "is not implemented",
				   SDA_MAX_GROUPS);
	struct iom_resv_list l = {0};
	struct iom_resv_ranges u = {0};
	int r = 0;
	for (size_t i = 0; !r && i < ng; i++)
		r = iom_resv_group_regions(x->s->resv_db, g[i], ap_start, ap_last, 0, &l, err);
	if (!r)
		r = iom_resv_usable(&l, ap_start, ap_last, &u, err);
	uint64_t pos = ap_start; /* the first address not yet known usable or a hole */
	bool top = false;        /* the last range reached 2^64 - 1 */
	for (uint32_t i = 0; !r && i < u.n; i++) {
		if (u.v[i].start > pos)
			r = add(add_ctx, pos, u.v[i].start - 1, err);
		top = u.v[i].last == UINT64_MAX;
		pos = u.v[i].last + 1;
	}
	if (!r && !top && pos <= ap_last) /* nothing usable up to the aperture end */
		r = add(add_ctx, pos, ap_last, err);
	if (!r && ap_start < SDA_VFIO_IOVA_MIN)
		r = add(add_ctx, ap_start, SDA_VFIO_IOVA_MIN - 1, err);
	iom_resv_ranges_fini(&u);
	iom_resv_list_fini(&l);
	return r;
}

static int sda_resv(void *ctx, uint32_t rid, uint64_t ap_start, uint64_t ap_last,
		    int (*add)(void *, uint64_t, uint64_t, struct iom_err *), void *add_ctx,
		    struct iom_err *err)
{
	struct iom_sys_dmaapi *x = ctx;
	if (sda_vfio(x))
		return sda_vfio_resv(x, rid, ap_start, ap_last, add, add_ctx, err);
	struct iom_resv_list l = {0};
	int r = iom_resv_dev_regions(x->s->resv_db, rid, ap_start, ap_last, IOM_RESV_F_DMA_API,
				     &l, err);
	for (uint32_t i = 0; !r && i < l.n; i++)
		if (l.v[i].type != IOM_RESV_SW_MSI) /* "We ARE the software that manages these!" */
			r = add(add_ctx, l.v[i].start, l.v[i].last, err);
	iom_resv_list_fini(&l);
	return r;
}

/* The kernel knows the device's bus_dma_limit.  A user-space driver knows a
 * limit only when VFIO reports one beside the list (policy separate: the
 * container's, the lowest of its groups'); under reserved the list itself
 * ends there, under ignore nothing tells it. */
static uint64_t sda_bus_limit(void *ctx, uint32_t rid)
{
	struct iom_sys_dmaapi *x = ctx;
	if (!sda_vfio(x))
		return iom_resv_dev_limit(x->s->resv_db, rid);
	if (iom_resv_db_cfg(x->s->resv_db)->device_limit != IOM_RESV_LIMIT_SEPARATE)
		return UINT64_MAX;
	uint64_t g[SDA_MAX_GROUPS], lim = UINT64_MAX;
	size_t ng = IOM_MIN(sda_container_groups(x, rid, g), (size_t)SDA_MAX_GROUPS);
	for (size_t i = 0; i < ng; i++)
		lim = IOM_MIN(lim, iom_resv_group_limit(x->s->resv_db, g[i]));
	return lim;
}

int iom_sys_dmaapi_build(struct iom_system *s, struct iom_config *cfg, struct iom_err *err)
{
	struct iom_sys_dmaapi *x = calloc(1, sizeof(*x));
	if (!x)
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	s->dmaapi = x;
	x->s = s;
	int r = iom_config_bind(cfg, &iom_dma_api_prop_table, NULL, &x->cfg, err);
	if (!r)
		r = iom_config_bind(cfg, &iom_swiotlb_prop_table, NULL, &x->cfg.swiotlb, err);
	if (r)
		return r;
	if (sda_vfio(x) && (!s->resv_db || iom_resv_db_cfg(s->resv_db)->uapi != IOM_RESV_UAPI_VFIO))
		return iom_err_set(err, IOM_EINVAL,
				   "dma_api.driver = vfio_user needs resv.uapi = vfio (the user-space "
				   "driver allocates in the IOVA ranges VFIO type1 reports); resv.uapi "
				   "is %s",
				   s->resv_db ? iom_resv_uapi_name(iom_resv_db_cfg(s->resv_db)->uapi)
					      : "off");
	x->api = iom_dma_api_create(&x->cfg, s->host, err);
	if (!x->api)
		return -err->code;
	if (s->resv_db) {
		x->ops.resv = sda_resv;
		x->ops.bus_limit = sda_bus_limit;
		iom_dma_api_set_dev_ops(x->api, &x->ops, x);
	}
	return 0;
}

int iom_sys_dmaapi_register_stats(struct iom_system *s, struct iom_err *err)
{
	return s->dmaapi ? iom_dma_api_register_stats(s->dmaapi->api, s->stats, err) : 0;
}

void iom_sys_dmaapi_destroy(struct iom_system *s)
{
	if (!s->dmaapi)
		return;
	iom_dma_api_destroy(s->dmaapi->api);
	free(s->dmaapi);
	s->dmaapi = NULL;
}

int iom_sys_dmaapi_control(struct iom_system *s, const struct iom_rec *rec, uint64_t now,
			   struct iom_err *err)
{
	uint64_t done;
	if (rec->kind == IOM_REC_DMAMAP)
		return iom_dma_api_map(s->dmaapi->api, rec->dev, rec->buf, rec->pa, rec->size,
				       rec->dir, now, &done, err);
	return iom_dma_api_unmap(s->dmaapi->api, rec->dev, rec->buf, now, &done, err);
}

int iom_sys_dmaapi_dma(struct iom_system *s, const struct iom_rec *rec, struct iom_rec *out,
		       uint64_t *now, struct iom_err *err)
{
	uint64_t addr, ready;
	int r = iom_dma_api_resolve(s->dmaapi->api, rec->dev, rec->buf, rec->iova, rec->size,
				    &addr, &ready, err);
	if (r)
		return r;
	*out = *rec;
	out->iova = addr;
	if (ready > *now)
		*now = ready;
	return 0;
}

void iom_sys_dmaapi_dma_done(struct iom_system *s, const struct iom_rec *rec, uint64_t done_ps)
{
	if (s->dmaapi && (rec->present & IOM_F_BUF))
		iom_dma_api_dma_done(s->dmaapi->api, rec->buf, done_ps);
}

int iom_sys_dmaapi_advance(struct iom_system *s, uint64_t now, struct iom_err *err)
{
	return s->dmaapi ? iom_dma_api_advance(s->dmaapi->api, now, err) : 0;
}

void iom_sys_dmaapi_end(struct iom_system *s)
{
	if (s->dmaapi)
		iom_dma_api_finish(s->dmaapi->api);
}

struct iom_dma_api *iom_sys_dmaapi_api(struct iom_system *s)
{
	return s->dmaapi ? s->dmaapi->api : NULL;
}
