/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dma_api.c - the kernel DMA API's streaming maps (dma_api.h,
 * docs/dma-api.md): dma-iommu over the host's domains, dma-direct, and the
 * swiotlb bounce buffers.
 *
 * Follows Linux (v6.9 - v6.17):
 *  iommu  __iommu_dma_map(): iova_off = pa & (granule - 1), size =
 *         iova_align(size + iova_off), iommu_dma_alloc_iova() with the limit
 *         min(dma mask, bus_dma_limit, aperture end) (the allocator does the
 *         32-bit-first attempt), iommu_map() of pa - iova_off with the
 *         direction's protection (dma_info_to_prot: to_device r, from_device
 *         w, bidirectional rw), address = iova + iova_off; a min_align_mask
 *         above the granule is refused ("Unsupported alignment
 *         constraint").  __iommu_dma_unmap(): iommu_unmap, then strict: the
 *         invalidation is waited for and free_iova_fast(); lazy: the IOVA goes
 *         into the flush queue (queue_iova) and is freed when the queue is
 *         flushed (fq_ring_free) -- the host owns the queue, this file keeps
 *         the IOVAs and frees them from the host's flush hook.
 *         iommu_dma_init_domain(): granule = the domain's smallest page,
 *         base_pfn 1 (IOVA 0 is never handed out), aperture end from the
 *         domain's table; reserved regions except the software MSI window are
 *         reserved in the allocator (iova_reserve_iommu_regions).
 *  direct dma_direct_map_page(): address = pa; not dma_capable (beyond
 *         min(dma mask, bus limit)) or swiotlb forced -> swiotlb_map().
 *  bounce swiotlb_tbl_map_single(): offset = pa & min_align_mask & 2047,
 *         swiotlb_find_slots() from area (cpu & (nareas - 1)) through every
 *         area, "swiotlb buffer is full" when none has room, a larger request
 *         than a segment fails the same way; the copy to the slots at map
 *         (every direction since Linux 5.19, "swiotlb: rework 'fix info leak
 *         with DMA_FROM_DEVICE'"; only to_device/bidirectional before);
 *         __swiotlb_tbl_unmap_single(): copy back for from_device and
 *         bidirectional, then swiotlb_release_slots().
 * The area locks are sim/resource servers: a search holds its area's lock
 * for lock_ps + slot_ps per slot examined, a release for lock_ps + slot_ps
 * per slot renumbered; a call that finds the lock busy waits (counted).
 * Not modelled: see dma_api.h.
 */
#include "dma_api.h"

#include "config.h"
#include "host.h"
#include "iova_alloc.h"
#include "pgtable.h"
#include "resource.h"
#include "swiotlb.h"
#include "trace.h"
#include "u64map.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- configuration ------------------------------------------------------ */

static const char *const dapi_mode_names[] = {"iommu", "identity", "bounce", NULL};
static const char *const dapi_alloc_names[] = {"linux", "bottom_top", "first_fit", NULL};
static const char *const dapi_driver_names[] = {"kernel", "vfio_user", NULL};

static const struct iom_swiotlb_cfg swiotlb_defaults = {
	.base = 0x40000000ull,     /* 1 GiB: below 4 GiB, as Linux allocates it low */
	.size = 64ull << 20,       /* IO_TLB_DEFAULT_SIZE */
	.areas = 0,
	.min_align_mask = 0,
	.copy_mbps = 10000,        /* 10 GB/s memcpy */
	.copy_op_ps = 20000,
	.lock_ps = 30000,
	.slot_ps = 2000,
	.copy_all_on_map = true,
};

static const struct iom_prop swiotlb_props[] = {
	IOM_PROP_U64_(struct iom_swiotlb_cfg, base, 0, (1ull << 52) - 1, "bytes",
		      "physical base of the bounce-buffer pool (page aligned)"),
	IOM_PROP_U64_(struct iom_swiotlb_cfg, size, 256ull << 10, 1ull << 36, "bytes",
		      "pool size: slots of 2 KiB in segments of 128 (Linux default 64 MiB); a "
		      "whole number of areas of 256 KiB segments"),
	IOM_PROP_U32_(struct iom_swiotlb_cfg, areas, 0, 1024, "areas",
		      "areas, each with its own lock (a power of two); 0 = dma_api.ncpus rounded "
		      "up to a power of two, as Linux does"),
	IOM_PROP_U32_(struct iom_swiotlb_cfg, min_align_mask, 0, UINT32_MAX, "",
		      "the devices' dma_get_min_align_mask(): address bits a bounce buffer keeps "
		      "(NVMe: 0xfff)"),
	IOM_PROP_U64_(struct iom_swiotlb_cfg, copy_mbps, 1, 10000000, "MB/s",
		      "bandwidth of a bounce copy (CPU memcpy)"),
	IOM_PROP_U64_(struct iom_swiotlb_cfg, copy_op_ps, 0, 1000000000, "ps",
		      "fixed CPU cost of one bounce copy"),
	IOM_PROP_U64_(struct iom_swiotlb_cfg, lock_ps, 0, 1000000000, "ps",
		      "area lock held by a search or a release, fixed part"),
	IOM_PROP_U64_(struct iom_swiotlb_cfg, slot_ps, 0, 1000000000, "ps",
		      "area lock held per slot the search examines or the release renumbers"),
	IOM_PROP_BOOL_(struct iom_swiotlb_cfg, copy_all_on_map,
		       "map copies the buffer into the slots for every direction (Linux >= "
		       "5.19); false: only to_device and bidirectional"),
};

const struct iom_prop_table iom_swiotlb_prop_table = {
	.section = "dma_api.swiotlb",
	.doc = "The DMA API's bounce buffers (swiotlb) for bounce mode and unaddressable buffers",
	.props = swiotlb_props,
	.nprops = IOM_ARRAY_SIZE(swiotlb_props),
	.defaults = &swiotlb_defaults,
	.struct_size = sizeof(struct iom_swiotlb_cfg),
};

static const struct iom_dma_api_cfg dapi_defaults = {
	.mode = IOM_DMA_API_IOMMU,
	.driver = IOM_DMA_API_DRIVER_KERNEL,
	.allocator = IOM_IOVA_LINUX,
	.dma_bits = 64,
	.ncpus = 1,
	.rcache = true,
	.forcedac = false,
	.sac_sticky = true,
	.map_ps = 100000,
	.unmap_ps = 100000,
	.pte_ps = 20000,
	.direct_ps = 20000,
	.iova_op_ps = IOM_IOVA_DEFAULT_OP_PS,
	.iova_node_ps = IOM_IOVA_DEFAULT_NODE_PS,
	.iova_cache_ps = IOM_IOVA_DEFAULT_CACHE_PS,
};

static const struct iom_prop dapi_props[] = {
	IOM_PROP_ENUM_(struct iom_dma_api_cfg, mode, dapi_mode_names,
		       "default domain of a device the DMA API maps for: iommu (paging, unmaps "
		       "invalidate per host.invalidation), identity (dma-direct), bounce (dma-direct "
		       "with every buffer bounced through the swiotlb)"),
	IOM_PROP_ENUM_(struct iom_dma_api_cfg, driver, dapi_driver_names,
		       "who places the buffers: kernel (the kernel DMA API: capped at the device's "
		       "bus limit, the software MSI window usable) or vfio_user (a user-space driver "
		       "over VFIO type1, QEMU's vfio-helpers: only the holes of the usable IOVA list "
		       "VFIO reports, from QEMU_VFIO_IOVA_MIN 0x10000 up to the aperture end, capped "
		       "at the device limit only under resv.device_limit = separate; needs "
		       "resv.uapi = vfio)"),
	IOM_PROP_ENUM_(struct iom_dma_api_cfg, allocator, dapi_alloc_names,
		       "IOVA allocator of each DMA domain: linux (iova.c with range caches), "
		       "bottom_top (QEMU vfio-helpers), first_fit"),
	IOM_PROP_U32_(struct iom_dma_api_cfg, dma_bits, 24, 64, "bits",
		      "the devices' DMA mask (dma_set_mask): the highest IOVA or physical address "
		      "they can emit is 2^dma_bits - 1"),
	IOM_PROP_U32_(struct iom_dma_api_cfg, ncpus, 1, 256, "CPUs",
		      "CPUs calling the DMA API: a call on buffer b runs on CPU b mod ncpus, one "
		      "call at a time per CPU"),
	IOM_PROP_BOOL_(struct iom_dma_api_cfg, rcache,
		       "linux allocator: per-CPU IOVA range caches (magazines)"),
	IOM_PROP_BOOL_(struct iom_dma_api_cfg, forcedac,
		       "iommu.forcedac: allocate at the full DMA mask at once (no attempt below "
		       "4 GiB first)"),
	IOM_PROP_BOOL_(struct iom_dma_api_cfg, sac_sticky,
		       "Linux >= 6.4: after one failed attempt below 4 GiB, a device stops trying "
		       "there"),
	IOM_PROP_U64_(struct iom_dma_api_cfg, map_ps, 0, 1000000000, "ps",
		      "CPU time of a dma-iommu map call besides the IOVA allocation and the PTEs"),
	IOM_PROP_U64_(struct iom_dma_api_cfg, unmap_ps, 0, 1000000000, "ps",
		      "CPU time of a dma-iommu unmap call besides the PTEs, the invalidation wait "
		      "and the IOVA free"),
	IOM_PROP_U64_(struct iom_dma_api_cfg, pte_ps, 0, 1000000000, "ps",
		      "CPU time per granule page a map writes or an unmap clears"),
	IOM_PROP_U64_(struct iom_dma_api_cfg, direct_ps, 0, 1000000000, "ps",
		      "CPU time of a dma-direct map or unmap call (bounce: besides the swiotlb)"),
	IOM_PROP_U64_(struct iom_dma_api_cfg, iova_op_ps, 0, 1000000000, "ps",
		      "IOVA allocator: fixed cost of an allocation or a free"),
	IOM_PROP_U64_(struct iom_dma_api_cfg, iova_node_ps, 0, 1000000000, "ps",
		      "IOVA allocator: cost per tree node or hole examined"),
	IOM_PROP_U64_(struct iom_dma_api_cfg, iova_cache_ps, 0, 1000000000, "ps",
		      "IOVA allocator: cost per range-cache (magazine) operation"),
};

const struct iom_prop_table iom_dma_api_prop_table = {
	.section = "dma_api",
	.doc = "The kernel DMA API of dmamap/dmaunmap records: modes, IOVA allocation, costs",
	.props = dapi_props,
	.nprops = IOM_ARRAY_SIZE(dapi_props),
	.defaults = &dapi_defaults,
	.struct_size = sizeof(struct iom_dma_api_cfg),
};

/* ---- state ---------------------------------------------------------------- */

/* An IOVA whose unmap sits in the domain's flush queue. */
struct dapi_pending {
	uint64_t iova, size;
	uint32_t cpu;
};

/* A paging domain the DMA API allocates IOVAs in (its iova cookie). */
struct dapi_dom {
	uint32_t id;
	uint64_t granule;
	uint64_t ap_end;
	struct iom_iova_alloc *alloc;
	char name[40];
	bool registered;
	struct dapi_pending *pend;
	size_t npend, cap;
};

/* One mapping, by the trace's buffer handle. */
struct dapi_buf {
	uint32_t buf, rid, dir, path, cpu;
	bool failed;          /* the map was refused: DMAs dropped, unmap forgets */
	uint64_t pa, size, dma_addr;
	struct dapi_dom *dom; /* iommu path */
	uint64_t iova, iova_size;
	uint32_t slot, nslots; /* bounce path */
	uint64_t map_ps, ready_ps, dma_done_ps;
};

struct iom_dma_api {
	struct iom_dma_api_cfg cfg;
	struct iom_host *host;
	const struct iom_dma_api_dev_ops *dev_ops;
	void *dev_ctx;
	struct iom_swiotlb *sw;
	struct iom_resource *locks; /* one per swiotlb area */
	uint64_t *cpu_free;         /* per CPU: busy until */
	struct iom_u64map bufs;     /* buf -> struct dapi_buf * */
	struct iom_u64map doms;     /* domain id -> struct dapi_dom * */
	struct dapi_dom **dom_list; /* in creation order (stats, trims) */
	size_t ndoms, dom_cap;
	bool identity_made;
	uint32_t next_paging;
	uint64_t next_trim_ps;
	struct iom_stats *stats;
	struct iom_dma_api_stats st;
	/* every domain allocator together (registered at build, so sweeps can
	 * name them before any domain exists); largest_free is the largest */
	struct iom_iova_alloc_stats iova_sum;
	struct iom_iova_frag frag_sum;
	struct iom_hist map_ps, unmap_ps, iova_alloc_ps, iova_free_ps, copy_ps, inval_ps, io_ps;
};

static uint32_t dapi_pow2_ceil(uint32_t x)
{
	uint32_t p = 1;
	while (p < x)
		p <<= 1;
	return p;
}

static void dapi_fq_hook(void *ctx, uint32_t dom_id, uint64_t done_ps);

struct iom_dma_api *iom_dma_api_create(const struct iom_dma_api_cfg *cfg, struct iom_host *h,
				       struct iom_err *err)
{
	const struct iom_swiotlb_cfg *sc = &cfg->swiotlb;
	uint32_t nareas = sc->areas;
	if (!nareas) { /* swiotlb_adjust_nareas(num_possible_cpus()) + limit_nareas() */
		uint64_t segs = sc->size / IOM_IO_TLB_MAX_BYTES;
		nareas = dapi_pow2_ceil(cfg->ncpus);
		while (nareas > 1 && segs < nareas)
			nareas >>= 1;
	}
	struct iom_dma_api *a = calloc(1, sizeof(*a));
	if (!a) {
		iom_err_set(err, IOM_ENOMEM, "out of memory");
		return NULL;
	}
	a->cfg = *cfg;
	a->host = h;
	iom_u64map_init(&a->bufs);
	iom_u64map_init(&a->doms);
	iom_hist_init(&a->map_ps);
	iom_hist_init(&a->unmap_ps);
	iom_hist_init(&a->iova_alloc_ps);
	iom_hist_init(&a->iova_free_ps);
	iom_hist_init(&a->copy_ps);
	iom_hist_init(&a->inval_ps);
	iom_hist_init(&a->io_ps);
	a->next_trim_ps = IOM_IOVA_DEPOT_DELAY_PS;
	a->sw = iom_swiotlb_create(sc->base, sc->size, nareas, err);
	a->cpu_free = calloc(cfg->ncpus, sizeof(*a->cpu_free));
	a->locks = a->sw ? calloc(nareas, sizeof(*a->locks)) : NULL;
	if (!a->sw) {
		iom_err_prefix(err, "dma_api.swiotlb");
		goto fail;
	}
	if (!a->cpu_free || !a->locks) {
		iom_err_set(err, IOM_ENOMEM, "out of memory");
		goto fail;
	}
	for (uint32_t i = 0; i < nareas; i++)
		if (iom_resource_init(&a->locks[i], "swiotlb.area", 1, err))
			goto fail;
	iom_host_set_fq_hook(h, dapi_fq_hook, a);
	return a;
fail:
	iom_dma_api_destroy(a);
	return NULL;
}

void iom_dma_api_destroy(struct iom_dma_api *a)
{
	if (!a)
		return;
	if (a->host)
		iom_host_set_fq_hook(a->host, NULL, NULL);
	uint64_t k, v;
	for (size_t it = 0; iom_u64map_next(&a->bufs, &it, &k, &v);)
		free((void *)(uintptr_t)v);
	iom_u64map_fini(&a->bufs);
	for (size_t i = 0; i < a->ndoms; i++) {
		iom_iova_alloc_destroy(a->dom_list[i]->alloc);
		free(a->dom_list[i]->pend);
		free(a->dom_list[i]);
	}
	free(a->dom_list);
	iom_u64map_fini(&a->doms);
	if (a->locks && a->sw)
		for (uint32_t i = 0; i < iom_swiotlb_nareas(a->sw); i++)
			iom_resource_fini(&a->locks[i]);
	free(a->locks);
	iom_swiotlb_destroy(a->sw);
	free(a->cpu_free);
	free(a);
}

void iom_dma_api_set_dev_ops(struct iom_dma_api *a, const struct iom_dma_api_dev_ops *ops,
			     void *ctx)
{
	a->dev_ops = ops;
	a->dev_ctx = ctx;
}

const struct iom_dma_api_stats *iom_dma_api_stats(const struct iom_dma_api *a)
{
	return &a->st;
}

const struct iom_swiotlb *iom_dma_api_swiotlb(const struct iom_dma_api *a)
{
	return a->sw;
}

static struct dapi_buf *dapi_buf(const struct iom_dma_api *a, uint32_t buf)
{
	uint64_t v;
	return iom_u64map_get(&a->bufs, buf, &v) ? (struct dapi_buf *)(uintptr_t)v : NULL;
}

bool iom_dma_api_buf_addr(const struct iom_dma_api *a, uint32_t buf, uint64_t *dma_addr,
			  uint32_t *path)
{
	const struct dapi_buf *b = dapi_buf(a, buf);
	if (!b || b->failed)
		return false;
	*dma_addr = b->dma_addr;
	*path = b->path;
	return true;
}

static void dapi_rid_name(uint32_t rid, char *out, size_t n)
{
	if (rid >> 16)
		snprintf(out, n, "%04x:%02x:%02x.%x", rid >> 16, (rid >> 8) & 0xff,
			 (rid >> 3) & 0x1f, rid & 7);
	else
		snprintf(out, n, "%02x:%02x.%x", (rid >> 8) & 0xff, (rid >> 3) & 0x1f, rid & 7);
}

/* The highest address rid can emit: min(DMA mask, bus_dma_limit). */
static uint64_t dapi_dev_limit(const struct iom_dma_api *a, uint32_t rid)
{
	uint64_t lim = a->cfg.dma_bits >= 64 ? UINT64_MAX : (1ull << a->cfg.dma_bits) - 1;
	if (a->dev_ops && a->dev_ops->bus_limit)
		lim = IOM_MIN(lim, a->dev_ops->bus_limit(a->dev_ctx, rid));
	return lim;
}

/* ---- domains -------------------------------------------------------------- */

static int dapi_register_dom(struct iom_dma_api *a, struct dapi_dom *d, struct iom_err *err)
{
	if (!a->stats || d->registered)
		return 0;
	char p[64];
	snprintf(p, sizeof(p), "dma_api.iova.%s", d->name);
	d->registered = true;
	return iom_iova_alloc_register_stats(d->alloc, a->stats, p, err);
}

_Static_assert(sizeof(struct iom_iova_alloc_stats) % sizeof(uint64_t) == 0,
	       "the allocator stats are summed as an array of u64 counters");

/* Refresh the allocators' totals (after every call that may change them). */
static void dapi_sum(struct iom_dma_api *a)
{
	memset(&a->iova_sum, 0, sizeof(a->iova_sum));
	memset(&a->frag_sum, 0, sizeof(a->frag_sum));
	for (size_t i = 0; i < a->ndoms; i++) {
		const struct iom_iova_alloc_stats *x = iom_iova_alloc_stats(a->dom_list[i]->alloc);
		const uint64_t *src = (const uint64_t *)x;
		uint64_t *dst = (uint64_t *)&a->iova_sum;
		for (size_t k = 0; k < sizeof(*x) / sizeof(uint64_t); k++)
			dst[k] += src[k];
		struct iom_iova_frag f;
		iom_iova_alloc_frag(a->dom_list[i]->alloc, &f);
		a->frag_sum.free_bytes += f.free_bytes;
		a->frag_sum.largest_free = IOM_MAX(a->frag_sum.largest_free, f.largest_free);
		a->frag_sum.holes += f.holes;
		a->frag_sum.held_bytes += f.held_bytes;
	}
}

static int dapi_resv_add(void *ctx, uint64_t first, uint64_t last, struct iom_err *err)
{
	struct dapi_dom *d = ctx;
	if (first > d->ap_end)
		return 0;
	return iom_iova_reserve(d->alloc, first, IOM_MIN(last, d->ap_end), err);
}

/* The iova cookie of paging domain id (iommu_dma_init_domain), made on its
 * first map; rid's reserved regions are reserved then. */
static struct dapi_dom *dapi_dom_get(struct iom_dma_api *a, uint32_t id, uint32_t rid,
				     struct iom_err *err)
{
	uint64_t v;
	if (iom_u64map_get(&a->doms, id, &v))
		return (struct dapi_dom *)(uintptr_t)v;
	const struct iom_host_domain *hd = iom_host_domain(a->host, id);
	struct dapi_dom *d = calloc(1, sizeof(*d));
	if (!d) {
		iom_err_set(err, IOM_ENOMEM, "out of memory");
		return NULL;
	}
	d->id = id;
	d->granule = hd->pgsizes & -hd->pgsizes;
	unsigned ia = iom_pt_config(hd->pt)->ia_bits;
	d->ap_end = ia >= 64 ? UINT64_MAX : (1ull << ia) - 1;
	if (id > IOM_DMA_API_DOMAIN_BASE)
		dapi_rid_name(rid, d->name, sizeof(d->name));
	else
		snprintf(d->name, sizeof(d->name), "dom%u", id);
	struct iom_iova_alloc_cfg ac;
	iom_iova_alloc_cfg_defaults(&ac);
	ac.algo = a->cfg.allocator;
	ac.granule = d->granule;
	ac.start = d->granule; /* base_pfn = 1 */
	ac.end = d->ap_end;
	ac.rcache = a->cfg.rcache;
	ac.ncpus = a->cfg.ncpus;
	ac.pci_32bit_first = !a->cfg.forcedac;
	ac.pci_32bit_sticky = a->cfg.sac_sticky;
	ac.op_ps = a->cfg.iova_op_ps;
	ac.node_ps = a->cfg.iova_node_ps;
	ac.cache_ps = a->cfg.iova_cache_ps;
	d->alloc = iom_iova_alloc_create(&ac, err);
	int r = d->alloc ? 0 : -err->code;
	if (!r && a->dev_ops && a->dev_ops->resv)
		r = a->dev_ops->resv(a->dev_ctx, rid, 0, d->ap_end, dapi_resv_add, d, err);
	if (!r && a->ndoms == a->dom_cap) {
		size_t cap = a->dom_cap ? 2 * a->dom_cap : 4;
		struct dapi_dom **p = realloc(a->dom_list, cap * sizeof(*p));
		if (p) {
			a->dom_list = p;
			a->dom_cap = cap;
		} else {
			r = iom_err_set(err, IOM_ENOMEM, "out of memory");
		}
	}
	if (!r && iom_u64map_put(&a->doms, id, (uint64_t)(uintptr_t)d))
		r = iom_err_set(err, IOM_ENOMEM, "out of memory");
	if (r) {
		iom_iova_alloc_destroy(d->alloc);
		free(d);
		return NULL;
	}
	a->dom_list[a->ndoms++] = d;
	if (dapi_register_dom(a, d, err))
		return NULL;
	return d;
}

/* The domain rid's DMA goes through; at its first map a device with none
 * gets the default domain of dma_api.mode, attached as Linux does at probe
 * (the attach is probe-time work: not charged to the map). */
static const struct iom_host_domain *dapi_dev_domain(struct iom_dma_api *a, uint32_t rid,
						     uint64_t now_ps, struct iom_err *err)
{
	uint64_t val, done;
	if (iom_host_slot(a->host, rid, -1, &val)) {
		if (val >= IOM_HOST_SVA_SLOT) {
			iom_err_set(err, IOM_EINVAL, "device is bound to a process, not a domain");
			return NULL;
		}
		const struct iom_host_domain *hd = iom_host_domain(a->host, (uint32_t)val);
		if (!hd)
			iom_err_set(err, IOM_ENOENT, "device's domain %u does not exist",
				    (uint32_t)val);
		return hd;
	}
	uint32_t id;
	int r = 0;
	if (a->cfg.mode == IOM_DMA_API_IOMMU) {
		id = IOM_DMA_API_DOMAIN_BASE + 1 + a->next_paging;
		r = iom_host_domain_create(a->host, id, IOM_HOST_DOM_PAGING, err);
		if (!r)
			a->next_paging++;
	} else {
		id = IOM_DMA_API_DOMAIN_BASE;
		if (!a->identity_made)
			r = iom_host_domain_create(a->host, id, IOM_HOST_DOM_IDENTITY, err);
		if (!r)
			a->identity_made = true;
	}
	if (!r)
		r = iom_host_attach(a->host, rid, -1, id, now_ps, &done, err);
	if (r) {
		iom_err_prefix(err, "default domain");
		return NULL;
	}
	a->st.default_domains++;
	return iom_host_domain(a->host, id);
}

/* ---- time ------------------------------------------------------------------ */

/* The call starts when its CPU is free. */
static uint64_t dapi_cpu_start(struct iom_dma_api *a, uint32_t cpu, uint64_t now_ps)
{
	uint64_t t = IOM_MAX(now_ps, a->cpu_free[cpu]);
	if (t > now_ps) {
		a->st.cpu_waits++;
		a->st.cpu_wait_ps += t - now_ps;
	}
	return t;
}

static void dapi_cpu_end(struct iom_dma_api *a, uint32_t cpu, uint64_t start_ps, uint64_t end_ps)
{
	a->cpu_free[cpu] = end_ps;
	a->st.cpu_ps += end_ps - start_ps;
}

/* Hold area's lock for hold_ps from t (or when it frees); returns the end. */
static uint64_t dapi_lock(struct iom_dma_api *a, uint32_t area, uint64_t t, uint64_t hold_ps)
{
	uint64_t s = iom_resource_acquire(&a->locks[area], t, hold_ps, NULL);
	if (s > t) {
		a->st.lock_waits++;
		a->st.lock_wait_ps += s - t;
	}
	return s + hold_ps;
}

static uint64_t dapi_copy(struct iom_dma_api *a, uint64_t bytes, bool to_dev)
{
	uint64_t ps = a->cfg.swiotlb.copy_op_ps + bytes * 1000000ull / a->cfg.swiotlb.copy_mbps;
	a->st.copies++;
	*(to_dev ? &a->st.bytes_to_dev : &a->st.bytes_from_dev) += bytes;
	iom_hist_add(&a->copy_ps, ps);
	return ps;
}

/* ---- map ------------------------------------------------------------------- */

static int dapi_reject(struct iom_dma_api *a, struct dapi_buf *b, uint64_t *counter, int code,
		       struct iom_err *err)
{
	a->st.rejected++;
	if (counter)
		(*counter)++;
	b->failed = true;
	return -code;
}

/* __iommu_dma_map(); t = the time so far, updated. */
static int dapi_map_iommu(struct iom_dma_api *a, struct dapi_buf *b,
			  const struct iom_host_domain *hd, uint64_t *t, struct iom_err *err)
{
	struct dapi_dom *d = dapi_dom_get(a, hd->id, b->rid, err);
	if (!d)
		return -err->code;
	if (a->cfg.swiotlb.min_align_mask > d->granule - 1) {
		iom_err_set(err, IOM_EINVAL,
			    "dma_map: min_align_mask 0x%x is above the IOVA granule mask 0x%llx "
			    "(Unsupported alignment constraint)",
			    a->cfg.swiotlb.min_align_mask, (unsigned long long)(d->granule - 1));
		return dapi_reject(a, b, NULL, IOM_EINVAL, err);
	}
	uint64_t off = b->pa & (d->granule - 1);
	uint64_t size = (b->size + off + d->granule - 1) & ~(d->granule - 1);
	uint64_t limit = IOM_MIN(dapi_dev_limit(a, b->rid), d->ap_end), cost = 0, iova, done;
	enum iom_iova_kind kind = b->dir == IOM_DMA_BIDIRECTIONAL ? IOM_IOVA_LONG_LIVED
								  : IOM_IOVA_TEMPORARY;
	*t += a->cfg.map_ps;
	int r = iom_iova_alloc(d->alloc, size, limit, b->cpu, kind, &iova, &cost, err);
	*t += cost;
	iom_hist_add(&a->iova_alloc_ps, cost);
	if (r == -IOM_EBUSY) {
		iom_err_prefix(err, "dma_map: no IOVA space in domain %u below 0x%llx", d->id,
			       (unsigned long long)limit);
		return dapi_reject(a, b, &a->st.iova_full, IOM_EBUSY, err);
	}
	if (r)
		return r;
	static const uint32_t prot[] = {IOM_PROT_R, IOM_PROT_W, IOM_PROT_R | IOM_PROT_W};
	r = iom_host_map(a->host, d->id, iova, b->pa - off, size, prot[b->dir], 0, *t, &done, err);
	if (r) { /* iommu_dma_free_iova(domain, iova, size, NULL) */
		struct iom_err e2;
		cost = 0;
		iom_iova_free(d->alloc, iova, size, b->cpu, &cost, &e2);
		*t += cost;
		iom_err_prefix(err, "dma_map");
		return dapi_reject(a, b, NULL, -r, err);
	}
	*t = IOM_MAX(*t, done) + a->cfg.pte_ps * (size / d->granule);
	b->path = IOM_DMA_PATH_IOMMU;
	b->dom = d;
	b->iova = iova;
	b->iova_size = size;
	b->dma_addr = iova + off;
	a->st.maps_iommu++;
	return 0;
}

/* swiotlb_tbl_map_single(); t updated. */
static int dapi_map_bounce(struct iom_dma_api *a, struct dapi_buf *b, uint64_t limit,
			   uint64_t *t, struct iom_err *err)
{
	const struct iom_swiotlb_cfg *sc = &a->cfg.swiotlb;
	uint32_t off = iom_swiotlb_offset(sc->min_align_mask, b->pa);
	uint64_t alloc = b->size + off, iters;
	uint32_t nareas = iom_swiotlb_nareas(a->sw), start = b->cpu & (nareas - 1), i = start;
	uint32_t slot = 0;
	bool found = false;
	if (alloc > IOM_IO_TLB_MAX_BYTES) { /* swiotlb_find_slots() gives up at once */
		iom_err_set(err, IOM_ERANGE,
			    "swiotlb buffer is full (sz: %llu bytes): larger than a segment of "
			    "%llu bytes (swiotlb_max_mapping_size)",
			    (unsigned long long)alloc, (unsigned long long)IOM_IO_TLB_MAX_BYTES);
		return dapi_reject(a, b, &a->st.too_big, IOM_ERANGE, err);
	}
	do {
		found = iom_swiotlb_area_search(a->sw, i, b->pa, alloc, sc->min_align_mask, &slot,
						&iters);
		a->st.slots_searched += iters;
		*t = dapi_lock(a, i, *t, sc->lock_ps + sc->slot_ps * iters);
		if (++i >= nareas)
			i = 0;
	} while (!found && i != start);
	if (!found) {
		iom_err_set(err, IOM_EBUSY,
			    "swiotlb buffer is full (sz: %llu bytes), total %u (slots), used %llu "
			    "(slots)",
			    (unsigned long long)alloc, iom_swiotlb_nslabs(a->sw),
			    (unsigned long long)iom_swiotlb_used(a->sw));
		return dapi_reject(a, b, &a->st.pool_full, IOM_EBUSY, err);
	}
	b->slot = slot;
	b->nslots = iom_swiotlb_nr_slots(alloc);
	b->dma_addr = iom_swiotlb_base(a->sw) + ((uint64_t)slot << IOM_IO_TLB_SHIFT) + off;
	b->path = IOM_DMA_PATH_BOUNCE;
	a->st.slots_used = iom_swiotlb_used(a->sw);
	a->st.slots_used_max = IOM_MAX(a->st.slots_used_max, a->st.slots_used);
	if (b->dma_addr + b->size - 1 > limit) { /* swiotlb_map(): !dma_capable */
		uint64_t touched;
		iom_swiotlb_release(a->sw, slot, b->nslots, &touched);
		a->st.slots_used = iom_swiotlb_used(a->sw);
		iom_err_set(err, IOM_ERANGE,
			    "swiotlb addr 0x%llx+%llu overflow (device limit 0x%llx)",
			    (unsigned long long)b->dma_addr, (unsigned long long)b->size,
			    (unsigned long long)limit);
		return dapi_reject(a, b, &a->st.not_addressable, IOM_ERANGE, err);
	}
	if (b->dir != IOM_DMA_FROM_DEVICE || sc->copy_all_on_map)
		*t += dapi_copy(a, b->size, true);
	a->st.maps_bounce++;
	return 0;
}

static int dapi_map_path(struct iom_dma_api *a, struct dapi_buf *b,
			 const struct iom_host_domain *hd, uint64_t *t, struct iom_err *err)
{
	if (hd->type == IOM_HOST_DOM_BLOCKED) {
		iom_err_set(err, IOM_EINVAL, "dma_map: the device's domain %u is blocked", hd->id);
		return dapi_reject(a, b, NULL, IOM_EINVAL, err);
	}
	if (hd->type == IOM_HOST_DOM_PAGING) {
		if (a->cfg.mode == IOM_DMA_API_BOUNCE)
			return iom_err_set(err, IOM_ENOTSUP,
					   "dma_map: bounce mode on a paging domain (%u): the "
					   "swiotlb path of dma-iommu is not implemented",
					   hd->id);
		return dapi_map_iommu(a, b, hd, t, err);
	}
	/* dma_direct_map_page() */
	uint64_t limit = dapi_dev_limit(a, b->rid);
	*t += a->cfg.direct_ps;
	bool capable = b->pa + b->size - 1 <= limit;
	if (a->cfg.mode != IOM_DMA_API_BOUNCE && capable) {
		b->path = IOM_DMA_PATH_DIRECT;
		b->dma_addr = b->pa;
		a->st.maps_direct++;
		return 0;
	}
	if (!capable && a->cfg.mode != IOM_DMA_API_BOUNCE)
		a->st.bounced_for_limit++;
	return dapi_map_bounce(a, b, limit, t, err);
}

int iom_dma_api_map(struct iom_dma_api *a, uint32_t rid, uint32_t buf, uint64_t pa,
		    uint64_t size, uint32_t dir, uint64_t now_ps, uint64_t *done_ps,
		    struct iom_err *err)
{
	*done_ps = now_ps;
	struct dapi_buf *b = dapi_buf(a, buf);
	if (b && !b->failed)
		return iom_err_set(err, IOM_EEXIST, "dma_map: buf %u is mapped already", buf);
	if (dir > IOM_DMA_BIDIRECTIONAL || !size || pa + (size - 1) < pa)
		return iom_err_set(err, IOM_EINVAL, "dma_map: bad direction %u or size", dir);
	const struct iom_host_domain *hd = dapi_dev_domain(a, rid, now_ps, err);
	if (!hd)
		return -err->code;
	if (!b) {
		b = calloc(1, sizeof(*b));
		if (!b || iom_u64map_put(&a->bufs, buf, (uint64_t)(uintptr_t)b)) {
			free(b);
			return iom_err_set(err, IOM_ENOMEM, "out of memory");
		}
	}
	*b = (struct dapi_buf){.buf = buf, .rid = rid, .dir = dir, .pa = pa, .size = size,
			       .cpu = buf % a->cfg.ncpus, .map_ps = now_ps};
	uint64_t t0 = dapi_cpu_start(a, b->cpu, now_ps), t = t0;
	int r = dapi_map_path(a, b, hd, &t, err);
	dapi_cpu_end(a, b->cpu, t0, t);
	*done_ps = t;
	dapi_sum(a);
	if (r && !b->failed) { /* not a refusal the driver sees: no tombstone */
		iom_u64map_del(&a->bufs, buf);
		free(b);
	}
	if (r)
		return r;
	b->ready_ps = b->dma_done_ps = t;
	a->st.maps++;
	a->st.map_bytes += size;
	a->st.buffers++;
	a->st.buffers_max = IOM_MAX(a->st.buffers_max, a->st.buffers);
	iom_hist_add(&a->map_ps, t - now_ps);
	return 0;
}

/* ---- unmap ----------------------------------------------------------------- */

static int dapi_pend_push(struct dapi_dom *d, const struct dapi_buf *b)
{
	if (d->npend == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 16;
		struct dapi_pending *p = realloc(d->pend, cap * sizeof(*p));
		if (!p)
			return -IOM_ENOMEM;
		d->pend = p;
		d->cap = cap;
	}
	d->pend[d->npend++] = (struct dapi_pending){b->iova, b->iova_size, b->cpu};
	return 0;
}

/* The host flushed dom_id's flush queue: its queued IOVAs are free now
 * (fq_ring_free), CPU time of the flushing context. */
static void dapi_fq_hook(void *ctx, uint32_t dom_id, uint64_t done_ps)
{
	struct iom_dma_api *a = ctx;
	uint64_t v;
	(void)done_ps;
	if (!iom_u64map_get(&a->doms, dom_id, &v))
		return;
	struct dapi_dom *d = (struct dapi_dom *)(uintptr_t)v;
	for (size_t i = 0; i < d->npend; i++) {
		struct iom_err e;
		uint64_t cost = 0;
		if (iom_iova_free(d->alloc, d->pend[i].iova, d->pend[i].size, d->pend[i].cpu, &cost,
				  &e) == 0)
			a->st.deferred_frees++;
		iom_hist_add(&a->iova_free_ps, cost);
		a->st.deferred_free_ps += cost;
		a->st.cpu_ps += cost;
	}
	d->npend = 0;
	dapi_sum(a);
}

/* __iommu_dma_unmap(); t updated. */
static int dapi_unmap_iommu(struct iom_dma_api *a, struct dapi_buf *b, uint64_t *t,
			    struct iom_err *err)
{
	struct dapi_dom *d = b->dom;
	uint64_t queued = iom_host_fq_queued(a->host), done, cost = 0;
	*t += a->cfg.unmap_ps + a->cfg.pte_ps * (b->iova_size / d->granule);
	int r = iom_host_unmap(a->host, d->id, b->iova, b->iova_size, *t, &done, err);
	if (r)
		return iom_err_prefix(err, "dma_unmap");
	iom_hist_add(&a->inval_ps, IOM_MAX(done, *t) - *t);
	*t = IOM_MAX(done, *t);
	if (iom_host_fq_queued(a->host) != queued) { /* queue_iova() */
		a->st.unmaps_deferred++;
		return dapi_pend_push(d, b) ? iom_err_set(err, IOM_ENOMEM, "out of memory") : 0;
	}
	r = iom_iova_free(d->alloc, b->iova, b->iova_size, b->cpu, &cost, err);
	*t += cost;
	iom_hist_add(&a->iova_free_ps, cost);
	return r;
}

/* __swiotlb_tbl_unmap_single(); t updated. */
static void dapi_unmap_bounce(struct iom_dma_api *a, struct dapi_buf *b, uint64_t *t)
{
	const struct iom_swiotlb_cfg *sc = &a->cfg.swiotlb;
	uint64_t touched;
	if (b->dir != IOM_DMA_TO_DEVICE)
		*t += dapi_copy(a, b->size, false);
	iom_swiotlb_release(a->sw, b->slot, b->nslots, &touched);
	a->st.slots_released += touched;
	*t = dapi_lock(a, iom_swiotlb_area_of(a->sw, b->slot), *t, sc->lock_ps + sc->slot_ps * touched);
	a->st.slots_used = iom_swiotlb_used(a->sw);
}

int iom_dma_api_unmap(struct iom_dma_api *a, uint32_t rid, uint32_t buf, uint64_t now_ps,
		      uint64_t *done_ps, struct iom_err *err)
{
	*done_ps = now_ps;
	struct dapi_buf *b = dapi_buf(a, buf);
	if (!b)
		return iom_err_set(err, IOM_ENOENT, "dma_unmap: buf %u is not mapped", buf);
	if (b->rid != rid) {
		char n[24];
		dapi_rid_name(b->rid, n, sizeof(n));
		return iom_err_set(err, IOM_EINVAL, "dma_unmap: buf %u was mapped for %s", buf, n);
	}
	if (b->failed) { /* the driver saw DMA_MAPPING_ERROR: nothing to undo */
		a->st.unmaps_of_failed++;
		iom_u64map_del(&a->bufs, buf);
		free(b);
		return 0;
	}
	uint64_t t0 = dapi_cpu_start(a, b->cpu, IOM_MAX(now_ps, b->dma_done_ps)), t = t0;
	int r = 0;
	if (b->path == IOM_DMA_PATH_IOMMU) {
		r = dapi_unmap_iommu(a, b, &t, err);
	} else {
		t += a->cfg.direct_ps;
		if (b->path == IOM_DMA_PATH_BOUNCE)
			dapi_unmap_bounce(a, b, &t);
	}
	dapi_cpu_end(a, b->cpu, t0, t);
	*done_ps = t;
	dapi_sum(a);
	if (r)
		return r;
	a->st.unmaps++;
	a->st.buffers--;
	iom_hist_add(&a->unmap_ps, t - now_ps);
	iom_hist_add(&a->io_ps, t - b->map_ps);
	iom_u64map_del(&a->bufs, buf);
	free(b);
	return 0;
}

/* ---- DMAs, time, stats ------------------------------------------------------ */

int iom_dma_api_resolve(struct iom_dma_api *a, uint32_t rid, uint32_t buf, uint64_t off,
			uint64_t size, uint64_t *dma_addr, uint64_t *ready_ps, struct iom_err *err)
{
	struct dapi_buf *b = dapi_buf(a, buf);
	if (!b)
		return iom_err_set(err, IOM_ENOENT, "dma: buf %u is not mapped", buf);
	if (b->rid != rid) {
		char n[24];
		dapi_rid_name(b->rid, n, sizeof(n));
		return iom_err_set(err, IOM_EINVAL, "dma: buf %u is mapped for %s", buf, n);
	}
	if (b->failed) {
		a->st.dmas_dropped++;
		return 1;
	}
	if (off >= b->size || size > b->size - off)
		return iom_err_set(err, IOM_EINVAL,
				   "dma: bytes 0x%llx..0x%llx are beyond buf %u's 0x%llx bytes",
				   (unsigned long long)off, (unsigned long long)(off + size - 1),
				   buf, (unsigned long long)b->size);
	*dma_addr = b->dma_addr + off;
	*ready_ps = b->ready_ps;
	return 0;
}

void iom_dma_api_dma_done(struct iom_dma_api *a, uint32_t buf, uint64_t done_ps)
{
	struct dapi_buf *b = dapi_buf(a, buf);
	if (b && done_ps > b->dma_done_ps)
		b->dma_done_ps = done_ps;
}

int iom_dma_api_advance(struct iom_dma_api *a, uint64_t now_ps, struct iom_err *err)
{
	(void)err;
	/* iova_depot_work_func(): a periodic tick of IOVA_DEPOT_DELAY; a long idle
	 * gap runs at most 64 ticks, then the tick restarts from now. */
	for (unsigned n = 0; a->next_trim_ps <= now_ps; n++) {
		if (n == 64) {
			a->next_trim_ps = now_ps + IOM_IOVA_DEPOT_DELAY_PS;
			break;
		}
		for (size_t i = 0; i < a->ndoms; i++) {
			uint64_t cost = 0;
			a->st.rcache_trims += iom_iova_rcache_trim(a->dom_list[i]->alloc, &cost);
			a->st.cpu_ps += cost;
		}
		a->next_trim_ps += IOM_IOVA_DEPOT_DELAY_PS;
		dapi_sum(a);
	}
	return 0;
}

void iom_dma_api_finish(struct iom_dma_api *a)
{
	a->st.leaked = a->st.buffers;
}

int iom_dma_api_register_stats(struct iom_dma_api *a, struct iom_stats *s, struct iom_err *err)
{
#define DF(f, u, d) IOM_STATS_FIELD(struct iom_dma_api_stats, f, u, d)
	static const struct iom_stats_field f[] = {
		DF(maps, "ops", "dmamap calls that returned an address"),
		DF(unmaps, "ops", "dmaunmap calls of mapped buffers"),
		DF(map_bytes, "bytes", "bytes mapped"),
		DF(maps_iommu, "ops", "maps through a paging domain (dma-iommu)"),
		DF(maps_direct, "ops", "maps of dma-direct: DMA address = physical address"),
		DF(maps_bounce, "ops", "maps bounced through the swiotlb"),
		DF(bounced_for_limit, "ops", "identity maps bounced: buffer beyond the device's limit"),
		DF(rejected, "ops", "maps refused (DMA_MAPPING_ERROR)"),
		DF(pool_full, "ops", "maps refused: swiotlb buffer is full"),
		DF(too_big, "ops", "maps refused: larger than a swiotlb segment (256 KiB)"),
		DF(iova_full, "ops", "maps refused: no IOVA space below the device's limit"),
		DF(not_addressable, "ops", "maps refused: bounce slot beyond the device's limit"),
		DF(unmaps_of_failed, "ops", "dmaunmap records of buffers whose map was refused"),
		DF(dmas_dropped, "DMAs", "DMA records on buffers whose map was refused (dropped)"),
		DF(unmaps_deferred, "ops", "lazy: unmaps whose IOVA waited for a flush-queue flush"),
		DF(deferred_frees, "ops", "lazy: IOVAs freed by a flush-queue flush"),
		DF(copies, "ops", "bounce copies (map and unmap)"),
		DF(bytes_to_dev, "bytes", "bytes copied into bounce buffers (at map)"),
		DF(bytes_from_dev, "bytes", "bytes copied out of bounce buffers (at unmap)"),
		DF(slots_used, "slots", "swiotlb slots in use now"),
		DF(slots_used_max, "slots", "swiotlb slots in use, high-water mark"),
		DF(slots_searched, "slots", "swiotlb search loop iterations"),
		DF(slots_released, "slots", "swiotlb slots renumbered by releases"),
		DF(lock_waits, "ops", "swiotlb area-lock acquisitions that found it held"),
		DF(lock_wait_ps, "ps", "time spent waiting for swiotlb area locks"),
		DF(cpu_waits, "ops", "calls that waited for their CPU's previous call"),
		DF(cpu_wait_ps, "ps", "time calls waited for their CPU"),
		DF(cpu_ps, "ps", "CPU time of the DMA API (calls, deferred frees, cache trims)"),
		DF(deferred_free_ps, "ps", "lazy: CPU time of the IOVA frees at flushes"),
		DF(rcache_trims, "ops", "range-cache depot magazines trimmed"),
		DF(default_domains, "ops", "default domains created and attached at a first map"),
		DF(buffers, "buffers", "buffers mapped now"),
		DF(buffers_max, "buffers", "buffers mapped at once, high-water mark"),
		DF(leaked, "buffers", "buffers still mapped at the end of the trace"),
	};
#undef DF
	a->stats = s;
	int r = iom_stats_counters(s, "dma_api", &a->st, f, IOM_ARRAY_SIZE(f), err);
	/* every domain allocator together, under dma_api.iova (largest_free:
	 * the largest of any domain's) */
	if (!r)
		r = iom_iova_alloc_register_sum(s, "dma_api.iova", &a->iova_sum, &a->frag_sum, err);
	static const struct {
		const char *name, *desc;
		size_t off;
	} h[] = {
		{"dma_api.map_latency", "dmamap call to its return (CPU wait, allocation, PTEs, "
		 "slots, copy)", offsetof(struct iom_dma_api, map_ps)},
		{"dma_api.unmap_latency", "dmaunmap record to its return (incl. waiting for the "
		 "buffer's DMAs)", offsetof(struct iom_dma_api, unmap_ps)},
		{"dma_api.iova_alloc_ps", "modelled CPU time of each IOVA allocation",
		 offsetof(struct iom_dma_api, iova_alloc_ps)},
		{"dma_api.iova_free_ps", "modelled CPU time of each IOVA free (at unmap or flush)",
		 offsetof(struct iom_dma_api, iova_free_ps)},
		{"dma_api.copy_ps", "CPU time of each bounce copy", offsetof(struct iom_dma_api, copy_ps)},
		{"dma_api.inval_wait_ps", "iommu unmaps: time in the host unmap (strict: the "
		 "invalidation wait)", offsetof(struct iom_dma_api, inval_ps)},
		{"dma_api.io_latency", "dmamap call to the return of its dmaunmap",
		 offsetof(struct iom_dma_api, io_ps)},
	};
	for (size_t i = 0; i < IOM_ARRAY_SIZE(h) && !r; i++)
		r = iom_stats_histogram(s, h[i].name, "ps", h[i].desc,
					(const struct iom_hist *)((const char *)a + h[i].off), err);
	for (size_t i = 0; i < a->ndoms && !r; i++)
		r = dapi_register_dom(a, a->dom_list[i], err);
	return r;
}
