/* SPDX-License-Identifier: Apache-2.0 */
/*
 * host.c - domains, attachments, map/unmap and the invalidation policy.
 *
 * Follows the Linux IOMMU core (drivers/iommu/iommu.c) and io-pgtable-arm:
 *  - page sizes for a map are chosen as iommu_pgsize() does: the largest
 *    supported size that the alignment of iova|pa and the remaining length
 *    allow (4 KB granule: 4K, 2M, 1G);
 *  - stage-1 leaves are built non-global (nG, ASID-tagged), unprivileged
 *    accessible (AP[1]=1), with AF set, as io-pgtable-arm does for IOMMU_*
 *    protections without IOMMU_PRIV;
 *  - strict invalidation: unmap, then one invalidation of the unmapped range
 *    with the leaf size as granule, waited for (CMD_SYNC) before unmap returns.
 * ASIDs are allocated lowest-free from 1 (0 is left unused, as Linux's
 *  arm_smmu_asid_xa allocation starts at 1).
 * Unlike io-pgtable-arm, the builder frees a table as soon as an unmap
 *  empties it; the unmap's invalidation is then non-leaf (Leaf=0), so no walk
 *  cache keeps a pointer into a freed (and soon reused) table.
 * Not modelled: lazy (flush-queue) invalidation, IOVA allocation (the trace
 * supplies IOVAs), software cost of the CPU work (only its memory-visible
 * effects and the waits on the IOMMU are timed).
 */
#include "host.h"

#include "config.h"
#include "mem.h"
#include "pgtable.h"
#include "trace.h"
#include "u64map.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const char *const host_inval_names[] = {"strict", NULL};

static const struct iom_host_cfg host_defaults = {
	.invalidation = IOM_HOST_INVAL_STRICT,
	.ia_bits = 48,
	.oa_bits = 48,
	.cd_table_bits = 8,
	.table_pool_base = 0x4000000000ull, /* 256 GB: above typical DMA buffers */
	.table_pool_size = 1ull << 30,
};

static const struct iom_prop host_props[] = {
	IOM_PROP_ENUM_(struct iom_host_cfg, invalidation, host_inval_names,
		       "IOTLB invalidation policy on unmap (strict: invalidate and wait before unmap returns)"),
	IOM_PROP_U32_(struct iom_host_cfg, ia_bits, 25, 48, "bits",
		      "IOVA width of paging domains (stage-1 T0SZ = 64 - ia_bits)"),
	IOM_PROP_U32_(struct iom_host_cfg, oa_bits, 32, 48, "bits",
		      "output address width of the page tables (CD.IPS)"),
	IOM_PROP_U32_(struct iom_host_cfg, cd_table_bits, 0, 10, "bits",
		      "log2 of context descriptors per stream (STE.S1CDMax); PASIDs must be below 2^this"),
	IOM_PROP_U64_(struct iom_host_cfg, table_pool_base, 0, (1ull << 52) - 1, "bytes",
		      "physical base of the memory the host takes page tables and queues from"),
	IOM_PROP_U64_(struct iom_host_cfg, table_pool_size, 1ull << 20, 1ull << 40, "bytes",
		      "size of that memory (a power of two)"),
};

const struct iom_prop_table iom_host_prop_table = {
	.section = "host",
	.doc = "Host software: domains, page-table builder, invalidation policy",
	.props = host_props,
	.nprops = IOM_ARRAY_SIZE(host_props),
	.defaults = &host_defaults,
	.struct_size = sizeof(struct iom_host_cfg),
};

struct iom_host {
	struct iom_host_cfg cfg;
	struct iom_mem *mem;
	struct iom_palloc *tables;
	struct iom_iommu *iommu;
	const struct iom_host_drv_ops *ops;
	void *drv;
	struct iom_u64map domains;   /* id -> struct iom_host_domain * */
	struct iom_u64map attach;    /* (rid << 21 | pasid+1) -> domain id */
	struct iom_u64map tags;      /* tag -> domain id (tags in use) */
	struct iom_u64map pasid_count; /* rid -> PASID attachments */
	/* stats */
	uint64_t domains_created, domains_freed, attaches, detaches;
	uint64_t maps, map_bytes, unmaps, unmap_bytes, invalidations;
	struct iom_hist unmap_ps;     /* unmap call to invalidation complete */
	struct iom_hist attach_ps;
};

static uint64_t host_attach_key(uint32_t rid, int64_t pasid)
{
	return ((uint64_t)rid << 21) | (uint64_t)(pasid + 1);
}

struct iom_host *iom_host_create(const struct iom_host_cfg *cfg, struct iom_mem *mem,
				 struct iom_palloc *tables, struct iom_iommu *iommu,
				 const struct iom_host_drv_ops *ops, void *drv, struct iom_err *err)
{
	struct iom_host *h = calloc(1, sizeof(*h));
	if (!h) {
		iom_err_set(err, IOM_ENOMEM, "host: out of memory");
		return NULL;
	}
	h->cfg = *cfg;
	h->mem = mem;
	h->tables = tables;
	h->iommu = iommu;
	h->ops = ops;
	h->drv = drv;
	iom_u64map_init(&h->domains);
	iom_u64map_init(&h->attach);
	iom_u64map_init(&h->tags);
	iom_u64map_init(&h->pasid_count);
	iom_hist_init(&h->unmap_ps);
	iom_hist_init(&h->attach_ps);
	return h;
}

static void host_domain_destroy(struct iom_host_domain *d)
{
	if (d->pt)
		iom_pt_destroy(d->pt);
	free(d);
}

void iom_host_destroy(struct iom_host *h)
{
	if (!h)
		return;
	uint64_t k, v;
	for (size_t it = 0; iom_u64map_next(&h->domains, &it, &k, &v);)
		host_domain_destroy((struct iom_host_domain *)(uintptr_t)v);
	iom_u64map_fini(&h->domains);
	iom_u64map_fini(&h->attach);
	iom_u64map_fini(&h->tags);
	iom_u64map_fini(&h->pasid_count);
	free(h);
}

static struct iom_host_domain *host_dom(const struct iom_host *h, uint32_t id)
{
	uint64_t v;
	return iom_u64map_get(&h->domains, id, &v) ? (struct iom_host_domain *)(uintptr_t)v : NULL;
}

const struct iom_host_domain *iom_host_domain(const struct iom_host *h, uint32_t id)
{
	return host_dom(h, id);
}

static int host_alloc_tag(struct iom_host *h, uint32_t *tag, struct iom_err *err)
{
	/* Lowest free, as Linux's xa_alloc() on arm_smmu_asid_xa with limit
	 * [1, 2^asid_bits - 1]. Linear in live domains: creation is rare. */
	for (uint32_t t = 1; t <= h->ops->max_tag; t++) {
		if (!iom_u64map_get(&h->tags, t, NULL)) {
			*tag = t;
			return 0;
		}
	}
	return iom_err_set(err, IOM_EBUSY, "all %u ASIDs are in use", h->ops->max_tag);
}

int iom_host_domain_create(struct iom_host *h, uint32_t id, uint32_t type, struct iom_err *err)
{
	if (host_dom(h, id))
		return iom_err_set(err, IOM_EEXIST, "domain %u exists already", id);
	struct iom_host_domain *d = calloc(1, sizeof(*d));
	if (!d)
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	d->id = id;
	d->type = type;
	int r = 0;
	if (type == IOM_HOST_DOM_PAGING) {
		struct iom_pt_cfg pc = {.fmt = IOM_PT_VMSA64_S1, .granule_shift = 12,
					.ia_bits = (uint8_t)h->cfg.ia_bits,
					.oa_bits = (uint8_t)h->cfg.oa_bits};
		struct iom_pt_alloc pa;
		iom_palloc_as_pt_alloc(h->tables, &pa);
		r = host_alloc_tag(h, &d->tag, err);
		if (!r) {
			d->pt = iom_pt_create(h->mem, &pc, &pa, err);
			if (!d->pt)
				r = -(err && err->code ? err->code : IOM_ENOMEM);
		}
	}
	if (!r && d->tag)
		r = iom_u64map_put(&h->tags, d->tag, id);
	if (!r)
		r = iom_u64map_put(&h->domains, id, (uint64_t)(uintptr_t)d);
	if (r) {
		host_domain_destroy(d);
		return r;
	}
	h->domains_created++;
	return 0;
}

int iom_host_domain_free(struct iom_host *h, uint32_t id, struct iom_err *err)
{
	struct iom_host_domain *d = host_dom(h, id);
	if (!d)
		return iom_err_set(err, IOM_ENOENT, "domain %u does not exist", id);
	if (d->attached)
		return iom_err_set(err, IOM_EBUSY, "domain %u still has %u attachments", id,
				   d->attached);
	if (d->tag)
		iom_u64map_del(&h->tags, d->tag);
	iom_u64map_del(&h->domains, id);
	host_domain_destroy(d);
	h->domains_freed++;
	return 0;
}

/* PASID attachments of a requester (the stream's CD table must survive
 * changes of its no-PASID attachment while there are any). */
static uint32_t host_pasids_in_use(const struct iom_host *h, uint32_t rid)
{
	uint64_t v;
	return iom_u64map_get(&h->pasid_count, rid, &v) ? (uint32_t)v : 0;
}

static void host_pasid_count(struct iom_host *h, uint32_t rid, int delta)
{
	uint32_t n = host_pasids_in_use(h, rid) + (uint32_t)delta;
	if (n)
		iom_u64map_put(&h->pasid_count, rid, n);
	else
		iom_u64map_del(&h->pasid_count, rid);
}

int iom_host_attach(struct iom_host *h, uint32_t rid, int64_t pasid, uint32_t dom_id,
		    uint64_t now_ps, uint64_t *done_ps, struct iom_err *err)
{
	struct iom_host_domain *d = host_dom(h, dom_id);
	if (!d)
		return iom_err_set(err, IOM_ENOENT, "domain %u does not exist", dom_id);
	if (pasid >= 0 && (uint64_t)pasid >= (1ull << h->cfg.cd_table_bits))
		return iom_err_set(err, IOM_ERANGE,
				   "pasid %lld is beyond the %u-bit CD table (host.cd_table_bits)",
				   (long long)pasid, h->cfg.cd_table_bits);
	uint64_t key = host_attach_key(rid, pasid), old;
	int r = h->ops->attach(h->drv, rid, pasid, d, host_pasids_in_use(h, rid), now_ps, done_ps,
			       err);
	if (r)
		return r;
	if (iom_u64map_get(&h->attach, key, &old)) {
		struct iom_host_domain *od = host_dom(h, (uint32_t)old);
		if (od)
			od->attached--;
	} else if (pasid >= 0) {
		host_pasid_count(h, rid, +1);
	}
	r = iom_u64map_put(&h->attach, key, dom_id);
	if (r)
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	d->attached++;
	h->attaches++;
	iom_hist_add(&h->attach_ps, *done_ps - now_ps);
	return 0;
}

int iom_host_detach(struct iom_host *h, uint32_t rid, int64_t pasid, uint64_t now_ps,
		    uint64_t *done_ps, struct iom_err *err)
{
	uint64_t key = host_attach_key(rid, pasid), dom_id;
	if (!iom_u64map_get(&h->attach, key, &dom_id))
		return iom_err_set(err, IOM_ENOENT, "device %02x:%02x.%x pasid %lld is not attached",
				   (rid >> 8) & 0xff, (rid >> 3) & 0x1f, rid & 7, (long long)pasid);
	int r = h->ops->detach(h->drv, rid, pasid, host_pasids_in_use(h, rid), now_ps, done_ps, err);
	if (r)
		return r;
	iom_u64map_del(&h->attach, key);
	if (pasid >= 0)
		host_pasid_count(h, rid, -1);
	struct iom_host_domain *d = host_dom(h, (uint32_t)dom_id);
	if (d)
		d->attached--;
	h->detaches++;
	return 0;
}

static uint32_t host_pte_flags(uint32_t prot)
{
	/* io-pgtable-arm: stage-1 leaves are nG; IOMMU_PRIV absent -> AP[1]=1. */
	uint32_t f = IOM_PTE_NG | IOM_PTE_USER;
	if (prot & IOM_PROT_R)
		f |= IOM_PTE_R;
	if (prot & IOM_PROT_W)
		f |= IOM_PTE_W;
	if (prot & IOM_PROT_X)
		f |= IOM_PTE_X;
	return f;
}

/* iommu_pgsize(): largest of 1G/2M/4K aligned with iova|pa and <= size. */
static uint64_t host_pgsize(uint64_t iova, uint64_t pa, uint64_t size)
{
	static const uint64_t sizes[] = {1ull << 30, 1ull << 21, 1ull << 12};
	for (size_t i = 0; i < IOM_ARRAY_SIZE(sizes); i++)
		if (!((iova | pa) & (sizes[i] - 1)) && size >= sizes[i])
			return sizes[i];
	return 0;
}

static struct iom_host_domain *host_paging_dom(struct iom_host *h, uint32_t id,
					       struct iom_err *err)
{
	struct iom_host_domain *d = host_dom(h, id);
	if (!d)
		iom_err_set(err, IOM_ENOENT, "domain %u does not exist", id);
	else if (d->type != IOM_HOST_DOM_PAGING)
		iom_err_set(err, IOM_EINVAL, "domain %u is not a paging domain", id);
	else
		return d;
	return NULL;
}

int iom_host_map(struct iom_host *h, uint32_t dom_id, uint64_t iova, uint64_t pa, uint64_t size,
		 uint32_t prot, uint64_t pgsize, uint64_t now_ps, uint64_t *done_ps,
		 struct iom_err *err)
{
	struct iom_host_domain *d = host_paging_dom(h, dom_id, err);
	if (!d)
		return -err->code;
	*done_ps = now_ps;
	if ((iova | pa | size) & 4095)
		return iom_err_set(err, IOM_EINVAL,
				   "map: iova 0x%llx, pa 0x%llx and size 0x%llx must be 4 KB aligned",
				   (unsigned long long)iova, (unsigned long long)pa,
				   (unsigned long long)size);
	uint32_t flags = host_pte_flags(prot);
	uint64_t done = 0;
	if (pgsize) {
		int r = iom_pt_map(d->pt, iova, pa, size, pgsize, flags, err);
		if (r)
			return r;
		done = size;
	}
	while (done < size) {
		uint64_t ps = host_pgsize(iova + done, pa + done, size - done);
		/* Map runs of equal page size in one builder call. */
		uint64_t run = ps;
		while (done + run + ps <= size && host_pgsize(iova + done + run, pa + done + run,
							      size - done - run) == ps)
			run += ps;
		int r = iom_pt_map(d->pt, iova + done, pa + done, run, ps, flags, err);
		if (r) {
			uint64_t un;
			struct iom_err e2;
			if (done)
				iom_pt_unmap(d->pt, iova, done, &un, &e2); /* roll back, as iommu_map does */
			return r;
		}
		done += run;
	}
	h->maps++;
	h->map_bytes += size;
	return 0;
}

int iom_host_unmap(struct iom_host *h, uint32_t dom_id, uint64_t iova, uint64_t size,
		   uint64_t now_ps, uint64_t *done_ps, struct iom_err *err)
{
	struct iom_host_domain *d = host_paging_dom(h, dom_id, err);
	if (!d)
		return -err->code;
	*done_ps = now_ps;
	/* Leaf size of the range start: the invalidation granule (the iotlb
	 * gather's pgsize in Linux). */
	uint64_t leaf = 0, pa;
	if (iom_pt_lookup(d->pt, iova, &pa, &leaf) != 0)
		return iom_err_set(err, IOM_ENOENT, "unmap: iova 0x%llx is not mapped in domain %u",
				   (unsigned long long)iova, dom_id);
	uint64_t unmapped = 0, freed_before = iom_pt_stats(d->pt)->tables_freed;
	int r = iom_pt_unmap(d->pt, iova, size, &unmapped, err);
	if (r)
		return r;
	h->unmaps++;
	h->unmap_bytes += unmapped;
	if (!unmapped)
		return 0;
	/* Tables freed by the unmap may still sit in the walk caches: then the
	 * invalidation must be non-leaf (Linux: io_pgtable_tlb_flush_walk). */
	bool freed = iom_pt_stats(d->pt)->tables_freed != freed_before;
	struct iom_inval inv = {.scope = IOM_INVAL_RANGE, .leaf = !freed, .tag = d->tag,
				.iova = iova, .size = unmapped, .granule = leaf};
	r = h->iommu->ops->invalidate(h->iommu->self, &inv, now_ps, done_ps, err);
	if (r)
		return r;
	h->invalidations++;
	iom_hist_add(&h->unmap_ps, *done_ps - now_ps);
	return 0;
}

int iom_host_invalidate(struct iom_host *h, const struct iom_inval *inv, uint64_t now_ps,
			uint64_t *done_ps, struct iom_err *err)
{
	int r = h->iommu->ops->invalidate(h->iommu->self, inv, now_ps, done_ps, err);
	if (!r)
		h->invalidations++;
	return r;
}

int iom_host_register_stats(struct iom_host *h, struct iom_stats *s, struct iom_err *err)
{
	int r = 0;
#define HOST_CTR(f, unit, desc)                                                                    \
	if (!r)                                                                                    \
	r = iom_stats_counter(s, "host." #f, unit, desc, &h->f, err)
	HOST_CTR(domains_created, "domains", "domains created");
	HOST_CTR(domains_freed, "domains", "domains freed");
	HOST_CTR(attaches, "ops", "attach operations");
	HOST_CTR(detaches, "ops", "detach operations");
	HOST_CTR(maps, "ops", "map operations");
	HOST_CTR(map_bytes, "bytes", "bytes mapped");
	HOST_CTR(unmaps, "ops", "unmap operations");
	HOST_CTR(unmap_bytes, "bytes", "bytes unmapped");
	HOST_CTR(invalidations, "ops", "invalidation requests issued to the IOMMU (each ends with a sync)");
#undef HOST_CTR
	if (!r)
		r = iom_stats_histogram(s, "host.unmap_latency", "ps",
					"unmap: from the call to the end of its strict invalidation",
					&h->unmap_ps, err);
	if (!r)
		r = iom_stats_histogram(s, "host.attach_latency", "ps",
					"attach: configuration writes, CFGI and sync", &h->attach_ps, err);
	return r;
}
