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

static int sda_resv(void *ctx, uint32_t rid, uint64_t ap_start, uint64_t ap_last,
		    int (*add)(void *, uint64_t, uint64_t, struct iom_err *), void *add_ctx,
		    struct iom_err *err)
{
	struct iom_sys_dmaapi *x = ctx;
	struct iom_resv_list l = {0};
	int r = iom_resv_dev_regions(x->s->resv_db, rid, ap_start, ap_last, IOM_RESV_F_DMA_API,
				     &l, err);
	for (uint32_t i = 0; !r && i < l.n; i++)
		if (l.v[i].type != IOM_RESV_SW_MSI) /* "We ARE the software that manages these!" */
			r = add(add_ctx, l.v[i].start, l.v[i].last, err);
	iom_resv_list_fini(&l);
	return r;
}

static uint64_t sda_bus_limit(void *ctx, uint32_t rid)
{
	struct iom_sys_dmaapi *x = ctx;
	return iom_resv_dev_limit(x->s->resv_db, rid);
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
