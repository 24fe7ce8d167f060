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
 *  - invalidation on unmap (host.invalidation), as the DMA API does it:
 *    strict: unmap, then the unmapped range is invalidated per run of equal
 *      leaf size (io-pgtable-arm gathers pages and iommu_iotlb_gather_add_page()
 *      syncs when the page size changes or the range is disjoint), granule =
 *      that leaf size, each run ending with a CMD_SYNC waited for before
 *      unmap returns; range: the same with range commands when the IOMMU has
 *      them (the SMMUv3 driver uses them whenever IDR3.RIL is set);
 *    lazy: the flush queue of dma-iommu.c, one queue per domain, one CPU:
 *      an unmap only queues its IOVA range; when flush_batch - 1 entries
 *      are queued (the ring of flush_batch slots is full: queue_iova()) the
 *      next unmap first flushes the domain (flush_iotlb_all: TLBI by ASID +
 *      CMD_SYNC, waited for in that unmap), and the timer armed by the first
 *      entry after the previous timer flush fires flush_timeout_ns later and
 *      flushes the domain whether or not entries remain (fq_flush_timeout()).
 *      Until its flush, a TLB entry can still translate an unmapped IOVA:
 *      every such translation that returns a PA the tables no longer map is
 *      counted (host.stale_translations; the IOMMU driver reports each
 *      translation, the host checks the few IOVAs pending in the queue).
 * ASIDs are allocated lowest-free from 1 (0 is left unused, as Linux's
 *  arm_smmu_asid_xa allocation starts at 1).
 * Unlike io-pgtable-arm, the builder frees a table as soon as an unmap
 *  empties it; the unmap's invalidation is then non-leaf (Leaf=0), so no walk
 *  cache keeps a pointer into a freed (and soon reused) table -- in lazy mode
 *  too: such an unmap is invalidated at once (as io-pgtable-arm's
 *  synchronous tlb_flush_walk when it frees a table), not queued.
 * Dirty tracking (IOM_HOST_DOM_F_DIRTY, dirty.c drives it): the driver
 *  checks and may change a dirty domain's format (dirty_domain op), its
 *  writable leaves are built to record dirty state (host_dirty_pte), and
 *  enabling tracking calls the driver's set_dirty_tracking per attachment.
 * Not modelled: IOVA allocation (the trace supplies IOVAs), per-CPU flush
 *  queues, software cost of the CPU work (only its memory-visible effects and
 *  the waits on the IOMMU are timed). Ranges over 2^20 pages are invalidated
 *  as one run at the start's leaf size (the per-leaf scan would be slow).
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

static const char *const host_inval_names[] = {"strict", "range", "lazy", NULL};
static const char *const host_granule_names[] = {"4k", "16k", "64k", NULL};
static const char *const host_tab_names[] = {"auto", "linear", "2lvl", NULL};
static const char *const host_stage_names[] = {"s1", "nested", NULL};
static const char *const host_s2_page_names[] = {"4k", "2m", "1g", NULL};

static const struct iom_host_cfg host_defaults = {
	.invalidation = IOM_HOST_INVAL_STRICT,
	.flush_batch = 256,             /* IOVA_DEFAULT_FQ_SIZE */
	.flush_timeout_ns = 10000000,   /* IOVA_DEFAULT_FQ_TIMEOUT: 10 ms */
	.ia_bits = 48,
	.oa_bits = 48,
	.cd_table_bits = 8,
	.granule = IOM_HOST_GRANULE_4K,
	.strtab = 0,   /* auto */
	.cd_table = 0, /* auto */
	.stage = IOM_HOST_STAGE_S1,
	.s2_page = IOM_HOST_S2_1G,
	.table_pool_base = 0x4000000000ull, /* 256 GB: above typical DMA buffers */
	.table_pool_size = 1ull << 30,
	.sva = IOM_HOST_SVA_CFG_DEFAULTS,
};

static const struct iom_prop host_props[] = {
	IOM_PROP_ENUM_(struct iom_host_cfg, invalidation, host_inval_names,
		       "IOTLB invalidation on unmap: strict (per leaf, waited for), range (range "
		       "commands if the IOMMU has them), lazy (flush queue)"),
	IOM_PROP_U32_(struct iom_host_cfg, flush_batch, 2, 1u << 20, "entries",
		      "lazy: flush-queue slots per domain; the queue is flushed when it holds this - 1"),
	IOM_PROP_U64_(struct iom_host_cfg, flush_timeout_ns, 1, 1ull << 40, "ns",
		      "lazy: flush timer, armed by the first queued unmap"),
	IOM_PROP_U32_(struct iom_host_cfg, ia_bits, 25, 48, "bits",
		      "IOVA width of paging domains (stage-1 T0SZ = 64 - ia_bits)"),
	IOM_PROP_U32_(struct iom_host_cfg, oa_bits, 32, 48, "bits",
		      "output address width of the page tables (CD.IPS)"),
	IOM_PROP_U32_(struct iom_host_cfg, cd_table_bits, 0, 20, "bits",
		      "log2 of context descriptors per stream (STE.S1CDMax, at most "
		      "smmu.ssid_bits); PASIDs must be below 2^this"),
	IOM_PROP_ENUM_(struct iom_host_cfg, granule, host_granule_names,
		       "translation granule of paging domains (SMMUv3; page sizes 4K/2M/1G, "
		       "16K/32M or 64K/512M); maps are widened to whole granules (dma-iommu)"),
	IOM_PROP_ENUM_(struct iom_host_cfg, strtab, host_tab_names,
		       "SMMUv3 stream table: auto (Linux: 2-level, SPLIT 8, when IDR0.ST_LEVEL "
		       "allows and SIDSIZE > 8), linear, or 2lvl (256-STE leaves allocated on "
		       "first use)"),
	IOM_PROP_ENUM_(struct iom_host_cfg, cd_table, host_tab_names,
		       "SMMUv3 CD tables: auto (Linux: 2-level with 1024-CD leaves when IDR0.CD2L "
		       "and cd_table_bits > 10), linear, or 2lvl (leaves allocated on first use)"),
	IOM_PROP_ENUM_(struct iom_host_cfg, stage, host_stage_names,
		       "paging domains: s1 (stage 1 only), or nested (SMMUv3: stage 1 in a VM's "
		       "IPA space over one stage-2 table mapping IPA = PA, VMID 1)"),
	IOM_PROP_ENUM_(struct iom_host_cfg, s2_page, host_s2_page_names,
		       "nested: the VM's stage-2 page size (how the VMM backs guest memory)"),
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
	uint32_t max_tag;            /* largest ASID/DID (ops->max_tag_of or ops->max_tag) */
	struct iom_pt *s2;           /* nested: the VM's stage-2 table (IPA = PA) */
	uint32_t vmid;               /* nested: its VMID */
	struct iom_u64map domains;   /* id -> struct iom_host_domain * */
	struct iom_u64map attach;    /* (rid << 21 | pasid+1) -> domain id */
	struct iom_u64map tags;      /* tag -> domain id (tags in use) */
	struct iom_u64map pasid_count; /* rid -> PASID attachments */
	uint32_t dom_flags;          /* IOM_HOST_DOM_F_* of iom_host_domain_create() */
	struct iom_host_sva *sva;    /* processes, SVA bindings (host_sva.c) */
	/* lazy policy */
	struct iom_u64map stale;     /* pending leaf key (host_stale_key) -> queued count */
	uint32_t *dirty;             /* domain ids with an armed flush timer, arming order */
	size_t ndirty, dirty_cap;
	/* stats */
	uint64_t domains_created, domains_freed, attaches, detaches;
	uint64_t maps, map_bytes, unmaps, unmap_bytes, invalidations;
	uint64_t unmaps_deferred, fq_flushes_full, fq_flushes_timer, stale_translations;
	uint64_t maps_widened, pgsize_hints_ignored;
	uint64_t s2_maps;             /* nested: stage-2 map calls (VM memory made reachable) */
	struct iom_hist unmap_ps;     /* unmap call to its return (strict: invalidation complete) */
	struct iom_hist attach_ps;
	/* lazy: told after each flush-queue flush (iom_host_set_fq_hook) */
	void (*fq_hook)(void *ctx, uint32_t dom_id, uint64_t done_ps);
	void *fq_hook_ctx;
};

/* Per-domain flush queue (lazy policy): one ring, as on a one-CPU system. */
struct host_fq {
	uint32_t entries;     /* unmaps queued since the last flush */
	bool timer_on;        /* fq_timer_on */
	uint64_t deadline_ps; /* when the armed timer fires */
	uint64_t *keys;       /* leaf keys this domain added to h->stale */
	size_t nkeys, cap;
};

/* The host's view of a domain: the public part first. */
struct host_domain {
	struct iom_host_domain pub;
	struct host_fq fq;
};

static void host_observe(void *ctx, const struct iom_txn *t);
static void host_fq_forget(struct iom_host *h, struct host_domain *hd);

/* Invalidation tag (struct iom_inval.tag): the ASID/DID, and for a nested
 * SMMUv3 domain its VMID in bits [31:16]. */
static uint32_t host_inval_tag(const struct iom_host_domain *d)
{
	return d->tag | (d->vmid << 16);
}

static const uint64_t host_s2_sizes[] = {1ull << 12, 1ull << 21, 1ull << 30};

/* nested: make [pa, pa + size) reachable through the VM's stage 2 (IPA = PA),
 * mapping the s2_page-aligned pages not mapped yet, in runs. */
static int host_s2_cover(struct iom_host *h, uint64_t pa, uint64_t size, uint32_t extra,
			 struct iom_err *err)
{
	uint64_t ps = host_s2_sizes[h->cfg.s2_page], p, sz;
	uint64_t a = pa & ~(ps - 1), end = (pa + size + ps - 1) & ~(ps - 1);
	while (a < end) {
		if (iom_pt_lookup(h->s2, a, &p, &sz) == 0) {
			a = (a & ~(sz - 1)) + sz;
			continue;
		}
		uint64_t r = a + ps;
		while (r < end && iom_pt_lookup(h->s2, r, &p, &sz) != 0)
			r += ps;
		int rc = iom_pt_map(h->s2, a, a, r - a, ps, IOM_PTE_R | IOM_PTE_W | extra, err);
		if (rc)
			return iom_err_prefix(err, "stage 2 of the VM");
		h->s2_maps++;
		a = r;
	}
	return 0;
}

/* nested: the VM -- a 4 KB-granule stage-2 table over 48-bit IPAs (S2T0SZ
 * 16, start level 0: S2SL0 2), VMID 1 (lowest free: the only VM), with the
 * table pool reachable (stage-1 tables and CD tables are IPAs). */
static int host_vm_create(struct iom_host *h, struct iom_err *err)
{
	if (h->cfg.stage != IOM_HOST_STAGE_NESTED)
		return 0;
	if (!h->ops->max_vmid)
		return iom_err_set(err, IOM_ENOTSUP,
				   "host.stage = nested is not implemented for this IOMMU");
	struct iom_pt_cfg pc = {.fmt = IOM_PT_VMSA64_S2, .granule_shift = 12, .ia_bits = 48,
				.oa_bits = (uint8_t)h->cfg.oa_bits, .sl0 = 2};
	struct iom_pt_alloc pa;
	iom_palloc_as_pt_alloc(h->tables, &pa);
	h->s2 = iom_pt_create(h->mem, &pc, &pa, err);
	if (!h->s2)
		return -(err && err->code ? err->code : IOM_ENOMEM);
	h->vmid = 1;
	return host_s2_cover(h, h->cfg.table_pool_base, h->cfg.table_pool_size, 0, err);
}

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
	iom_u64map_init(&h->stale);
	iom_hist_init(&h->unmap_ps);
	iom_hist_init(&h->attach_ps);
	h->max_tag = ops->max_tag_of ? ops->max_tag_of(drv) : ops->max_tag;
	if ((ops->setup && ops->setup(drv, cfg, err)) || host_vm_create(h, err) ||
	    !(h->sva = iom_host_sva_create(h, &cfg->sva, err))) {
		iom_err_prefix(err, "host");
		iom_host_destroy(h);
		return NULL;
	}
	if (cfg->invalidation == IOM_HOST_INVAL_LAZY && ops->observe)
		ops->observe(drv, host_observe, h);
	return h;
}

static void host_domain_destroy(struct iom_host_domain *d)
{
	if (d->pt)
		iom_pt_destroy(d->pt);
	free(((struct host_domain *)d)->fq.keys);
	free(d);
}

void iom_host_destroy(struct iom_host *h)
{
	if (!h)
		return;
	uint64_t k, v;
	iom_host_sva_destroy(h->sva);
	for (size_t it = 0; iom_u64map_next(&h->domains, &it, &k, &v);)
		host_domain_destroy((struct iom_host_domain *)(uintptr_t)v);
	iom_u64map_fini(&h->domains);
	iom_u64map_fini(&h->attach);
	iom_u64map_fini(&h->tags);
	iom_u64map_fini(&h->pasid_count);
	iom_u64map_fini(&h->stale);
	if (h->cfg.invalidation == IOM_HOST_INVAL_LAZY && h->ops->observe)
		h->ops->observe(h->drv, NULL, NULL);
	if (h->s2)
		iom_pt_destroy(h->s2);
	free(h->dirty);
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

static uint8_t host_granule_shift(uint32_t granule)
{
	return granule == IOM_HOST_GRANULE_64K ? 16 : granule == IOM_HOST_GRANULE_16K ? 14 : 12;
}

/* io-pgtable-arm's pgsize_bitmap for a granule (48-bit addresses): the
 * granule and the block sizes of its levels 2 and 1. */
static uint64_t host_granule_pgsizes(unsigned shift)
{
	if (shift == 16)
		return (1ull << 16) | (1ull << 29);
	if (shift == 14)
		return (1ull << 14) | (1ull << 25);
	return (1ull << 12) | (1ull << 21) | (1ull << 30);
}

/* The smallest page size of a domain: its granule. */
static uint64_t host_dom_granule(const struct iom_host_domain *d)
{
	return d->pgsizes & -d->pgsizes;
}

static int host_alloc_tag(struct iom_host *h, uint32_t *tag, struct iom_err *err)
{
	/* Lowest free, as Linux's xa_alloc() on arm_smmu_asid_xa with limit
	 * [1, 2^asid_bits - 1]. Linear in live domains: creation is rare. */
	for (uint32_t t = 1; t <= h->max_tag; t++) {
		if (!iom_u64map_get(&h->tags, t, NULL)) {
			*tag = t;
			return 0;
		}
	}
	return iom_err_set(err, IOM_EBUSY, "all %u ASIDs are in use", h->max_tag);
}

int iom_host_domain_create(struct iom_host *h, uint32_t id, uint32_t type, struct iom_err *err)
{
	return iom_host_domain_create_flags(h, id, type,
					    type == IOM_HOST_DOM_PAGING ? h->dom_flags : 0, err);
}

/* A DIRTY paging domain: the driver checks and may change the format. */
static int host_dirty_format(struct iom_host *h, struct iom_pt_cfg *pc, uint64_t *pgsizes,
			     uint32_t flags, struct iom_err *err)
{
	if (!(flags & IOM_HOST_DOM_F_DIRTY))
		return 0;
	if (!h->ops->dirty_domain)
		return iom_err_set(err, IOM_EINVAL,
				   "EOPNOTSUPP: this IOMMU driver has no dirty tracking");
	return h->ops->dirty_domain(h->drv, pc, pgsizes, flags, h->s2 != NULL, err);
}

int iom_host_domain_create_flags(struct iom_host *h, uint32_t id, uint32_t type, uint32_t flags,
				 struct iom_err *err)
{
	if (host_dom(h, id))
		return iom_err_set(err, IOM_EEXIST, "domain %u exists already", id);
	struct iom_host_domain *d = calloc(1, sizeof(struct host_domain));
	if (!d)
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	d->id = id;
	d->type = type;
	int r = 0;
	if (type == IOM_HOST_DOM_PAGING) {
		struct iom_pt_cfg pc = {.fmt = IOM_PT_VMSA64_S1,
					.granule_shift = host_granule_shift(h->cfg.granule),
					.ia_bits = (uint8_t)h->cfg.ia_bits,
					.oa_bits = (uint8_t)h->cfg.oa_bits};
		d->pgsizes = host_granule_pgsizes(pc.granule_shift);
		d->s2 = h->s2;
		d->vmid = h->vmid;
		if (h->ops->domain_format)
			h->ops->domain_format(h->drv, &pc, &d->pgsizes);
		d->flags = flags;
		struct iom_pt_alloc pa;
		iom_palloc_as_pt_alloc(h->tables, &pa);
		r = host_dirty_format(h, &pc, &d->pgsizes, flags, err);
		if (!r)
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

int iom_host_domain_free(struct iom_host *h, uint32_t id, uint64_t now_ps, uint64_t *done_ps,
			 struct iom_err *err)
{
	struct iom_host_domain *d = host_dom(h, id);
	if (done_ps)
		*done_ps = now_ps;
	if (!d)
		return iom_err_set(err, IOM_ENOENT, "domain %u does not exist", id);
	if (d->attached)
		return iom_err_set(err, IOM_EBUSY, "domain %u still has %u attachments", id,
				   d->attached);
	/* free_io_pgtable_ops() flushes the domain's whole TLB context (TLBI by
	 * ASID/VMID or a domain-selective IOTLB flush, + sync) before its tag
	 * can be reused; a domain that never mapped anything still gets it. */
	if (d->type == IOM_HOST_DOM_PAGING && d->tag) {
		struct iom_inval inv = {.scope = IOM_INVAL_DOMAIN, .tag = host_inval_tag(d)};
		uint64_t done = now_ps;
		int rc = h->iommu->ops->invalidate(h->iommu->self, &inv, now_ps, &done, err);
		if (rc)
			return rc;
		h->invalidations++;
		if (done_ps)
			*done_ps = done;
	}
	if (d->tag)
		iom_u64map_del(&h->tags, d->tag);
	host_fq_forget(h, (struct host_domain *)d);
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
	if (iom_u64map_get(&h->attach, key, &old) && old >= IOM_HOST_SVA_SLOT)
		return iom_err_set(err, IOM_EBUSY, "pasid %lld is bound to process mm %u (SVA)",
				   (long long)pasid, (uint32_t)old);
	int r = iom_host_advance(h, now_ps, err);
	if (r)
		return r;
	r = h->ops->attach(h->drv, rid, pasid, d, host_pasids_in_use(h, rid), now_ps, done_ps, err);
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
		return iom_err_set(err, IOM_ENOENT,
				   "device %02x:%02x.%x pasid %lld is not attached",
				   (rid >> 8) & 0xff, (rid >> 3) & 0x1f, rid & 7, (long long)pasid);
	if (dom_id >= IOM_HOST_SVA_SLOT)
		return iom_err_set(err, IOM_EBUSY, "pasid %lld is bound to process mm %u: unbind it",
				   (long long)pasid, (uint32_t)dom_id);
	int r = iom_host_advance(h, now_ps, err);
	if (r)
		return r;
	r = h->ops->detach(h->drv, rid, pasid, host_pasids_in_use(h, rid), now_ps, done_ps, err);
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

/* A DIRTY domain's writable leaves record dirty state: VMSA stage 1
 * writable-clean with DBM (io-pgtable-arm with IO_PGTABLE_QUIRK_ARM_HD), x86
 * first level with D = 0 (DIRTY_FL); VT-d second-level leaves are built with
 * A = D = 0 anyway; nested domains track the VM's stage 2 (host_s2_cover). */
static uint32_t host_dirty_pte(const struct iom_host_domain *d, uint32_t prot)
{
	if (!(d->flags & IOM_HOST_DOM_F_DIRTY) || !(prot & IOM_PROT_W) || d->s2)
		return 0;
	switch (iom_pt_config(d->pt)->fmt) {
	case IOM_PT_VMSA64_S1:
		return IOM_PTE_DBM | IOM_PTE_CLEAN;
	case IOM_PT_X86_FL:
		return IOM_PTE_CLEAN;
	default:
		return 0;
	}
}

/* iommu_pgsize(): the largest of the domain's pgsizes aligned with iova|pa
 * and <= size. */
static uint64_t host_pgsize(uint64_t pgsizes, uint64_t iova, uint64_t pa, uint64_t size)
{
	for (uint64_t m = pgsizes; m; m &= ~(1ull << (63 - __builtin_clzll(m)))) {
		uint64_t ps = 1ull << (63 - __builtin_clzll(m));
		if (!((iova | pa) & (ps - 1)) && size >= ps)
			return ps;
	}
	return 0;
}

/* dma-iommu maps whole IOMMU pages (iova_align(), iova_offset()): a range
 * is widened to the domain's granule, which needs iova and pa at the same
 * offset in it. 4 KB alignment is required whatever the granule. */
static int host_widen(const struct iom_host_domain *d, uint64_t *iova, uint64_t *pa,
		      uint64_t *size, struct iom_err *err)
{
	uint64_t g = host_dom_granule(d), off = *iova & (g - 1);
	if ((*iova | (pa ? *pa : 0) | *size) & 4095)
		return iom_err_set(err, IOM_EINVAL,
				   "iova 0x%llx, pa 0x%llx and size 0x%llx must be 4 KB aligned",
				   (unsigned long long)*iova, (unsigned long long)(pa ? *pa : 0),
				   (unsigned long long)*size);
	if (pa && off != (*pa & (g - 1)))
		return iom_err_set(
		    err, IOM_EINVAL,
		    "iova 0x%llx and pa 0x%llx differ in their offset in the %llu KB "
		    "granule",
		    (unsigned long long)*iova, (unsigned long long)*pa,
		    (unsigned long long)(g >> 10));
	uint64_t end = (*iova + *size + g - 1) & ~(g - 1);
	*iova -= off;
	if (pa)
		*pa -= off;
	*size = end - *iova;
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
	int ar = iom_host_advance(h, now_ps, err);
	if (ar)
		return ar;
	uint64_t size0 = size;
	int wr = host_widen(d, &iova, &pa, &size, err);
	if (wr)
		return iom_err_prefix(err, "map");
	h->maps_widened += size != size0;
	if (pgsize && !(pgsize & (pgsize - 1)) && !(d->pgsizes & pgsize)) {
		h->pgsize_hints_ignored++; /* not a page size of this granule: choose */
		pgsize = 0;
	}
	uint32_t flags = host_pte_flags(prot) | host_dirty_pte(d, prot);
	uint32_t s2_extra = (d->flags & IOM_HOST_DOM_F_DIRTY) ? IOM_PTE_DBM | IOM_PTE_CLEAN : 0;
	uint64_t done = 0;
	if (pgsize) {
		int r = d->s2 ? host_s2_cover(h, pa, size, s2_extra, err) : 0;
		if (!r)
			r = iom_pt_map(d->pt, iova, pa, size, pgsize, flags, err);
		if (r)
			return r;
		done = size;
	}
	while (done < size) {
		uint64_t ps = host_pgsize(d->pgsizes, iova + done, pa + done, size - done);
		/* Map runs of equal page size in one builder call. */
		uint64_t run = ps;
		while (done + run + ps <= size &&
		       host_pgsize(d->pgsizes, iova + done + run, pa + done + run,
				   size - done - run) == ps)
			run += ps;
		int r = d->s2 ? host_s2_cover(h, pa + done, run, s2_extra, err) : 0;
		if (!r)
			r = iom_pt_map(d->pt, iova + done, pa + done, run, ps, flags, err);
		if (r) {
			uint64_t un;
			struct iom_err e2;
			if (done)
				iom_pt_unmap(d->pt, iova, done, &un,
					     &e2); /* roll back, as iommu_map does */
			return r;
		}
		done += run;
	}
	h->maps++;
	h->map_bytes += size;
	return 0;
}

/* ---- invalidation policies ---- */

/* A leaf of the lazy bookkeeping: (ASID, log2 leaf size, leaf index); a
 * 48-bit IOVA leaves at most 36 bits of index. */
static uint64_t host_stale_key(uint32_t tag, uint64_t pgsize, uint64_t iova)
{
	unsigned sh = (unsigned)__builtin_ctzll(pgsize);
	return ((uint64_t)(tag & 0xffff) << 48) | ((uint64_t)(sh - 12) << 42) | (iova >> sh);
}

/* One run of the unmapped range: contiguous leaves of one size. */
struct host_run {
	uint64_t iova, size, pgsize;
};

/* Leaves of [iova, iova + size) before the unmap, as runs of equal leaf size
 * (holes end a run). *runs is malloc'ed; returns the count or -IOM_ENOMEM. */
static long host_runs(struct iom_pt *pt, uint64_t granule, uint64_t iova, uint64_t size,
		      struct host_run **runs)
{
	size_t n = 0, cap = 4;
	struct host_run *r = malloc(cap * sizeof(*r));
	if (!r)
		return -IOM_ENOMEM;
	uint64_t end = iova + size, pa, ps = 0;
	if ((size >> 12) > (1u << 20)) { /* one run at the start's leaf size */
		iom_pt_lookup(pt, iova, &pa, &ps);
		r[0] = (struct host_run){iova, size, ps ? ps : granule};
		*runs = r;
		return 1;
	}
	for (uint64_t a = iova; a < end;) {
		if (iom_pt_lookup(pt, a, &pa, &ps) != 0) {
			a += granule;
			continue;
		}
		uint64_t base = a & ~(ps - 1), len = IOM_MIN(base + ps, end) - a;
		if (n && r[n - 1].pgsize == ps && r[n - 1].iova + r[n - 1].size == a) {
			r[n - 1].size += len;
		} else {
			if (n == cap) {
				struct host_run *nr = realloc(r, 2 * cap * sizeof(*r));
				if (!nr) {
					free(r);
					return -IOM_ENOMEM;
				}
				r = nr;
				cap *= 2;
			}
			r[n++] = (struct host_run){a, len, ps};
		}
		a += len;
	}
	*runs = r;
	return (long)n;
}

/* strict / range: each run is invalidated and waited for in turn. */
static int host_inval_runs(struct iom_host *h, const struct iom_host_domain *d,
			   const struct host_run *r, long n, bool leaf, uint64_t now_ps,
			   uint64_t *done_ps, struct iom_err *err)
{
	uint64_t t = now_ps;
	for (long i = 0; i < n; i++) {
		struct iom_inval inv = {.scope = IOM_INVAL_RANGE,
					.leaf = leaf,
					.tag = host_inval_tag(d),
					.iova = r[i].iova,
					.size = r[i].size,
					.granule = r[i].pgsize,
					.use_range = h->cfg.invalidation == IOM_HOST_INVAL_RANGE};
		int rc = h->iommu->ops->invalidate(h->iommu->self, &inv, t, &t, err);
		if (rc)
			return rc;
		h->invalidations++;
	}
	*done_ps = t;
	return 0;
}

static int host_dirty_add(struct iom_host *h, uint32_t id)
{
	if (h->ndirty == h->dirty_cap) {
		size_t cap = h->dirty_cap ? 2 * h->dirty_cap : 8;
		uint32_t *p = realloc(h->dirty, cap * sizeof(*p));
		if (!p)
			return -IOM_ENOMEM;
		h->dirty = p;
		h->dirty_cap = cap;
	}
	h->dirty[h->ndirty++] = id;
	return 0;
}

static void host_dirty_del(struct iom_host *h, uint32_t id)
{
	for (size_t i = 0; i < h->ndirty; i++) {
		if (h->dirty[i] == id) {
			memmove(&h->dirty[i], &h->dirty[i + 1],
				(h->ndirty - i - 1) * sizeof(*h->dirty));
			h->ndirty--;
			return;
		}
	}
}

/* The queued entries are gone (flushed, or the domain freed). */
static void host_fq_clear(struct iom_host *h, struct host_domain *hd)
{
	for (size_t i = 0; i < hd->fq.nkeys; i++) {
		uint64_t c;
		if (!iom_u64map_get(&h->stale, hd->fq.keys[i], &c))
			continue;
		if (c > 1)
			iom_u64map_put(&h->stale, hd->fq.keys[i], c - 1);
		else
			iom_u64map_del(&h->stale, hd->fq.keys[i]);
	}
	hd->fq.nkeys = 0;
	hd->fq.entries = 0;
}

static void host_fq_forget(struct iom_host *h, struct host_domain *hd)
{
	host_fq_clear(h, hd);
	if (hd->fq.timer_on)
		host_dirty_del(h, hd->pub.id);
	hd->fq.timer_on = false;
}

/* fq_flush_iotlb(): flush_iotlb_all of the domain (one whole-ASID
 * invalidation + completion barrier), then the queued entries are free. */
static int host_fq_flush(struct iom_host *h, struct host_domain *hd, uint64_t now_ps,
			 uint64_t *done_ps, struct iom_err *err)
{
	struct iom_inval inv = {.scope = IOM_INVAL_DOMAIN, .tag = host_inval_tag(&hd->pub)};
	int rc = h->iommu->ops->invalidate(h->iommu->self, &inv, now_ps, done_ps, err);
	if (rc)
		return rc;
	h->invalidations++;
	host_fq_clear(h, hd);
	if (h->fq_hook) /* the DMA API frees the flushed IOVAs (fq_ring_free) */
		h->fq_hook(h->fq_hook_ctx, hd->pub.id, *done_ps);
	return 0;
}

void iom_host_set_fq_hook(struct iom_host *h, void (*fn)(void *ctx, uint32_t dom_id,
							  uint64_t done_ps), void *ctx)
{
	h->fq_hook = fn;
	h->fq_hook_ctx = ctx;
}

uint64_t iom_host_fq_queued(const struct iom_host *h)
{
	return h->unmaps_deferred;
}

int iom_host_advance(struct iom_host *h, uint64_t now_ps, struct iom_err *err)
{
	while (h->ndirty) {
		/* The earliest expired timer (ties: arming order). */
		size_t best = h->ndirty;
		uint64_t when = UINT64_MAX;
		for (size_t i = 0; i < h->ndirty; i++) {
			const struct host_domain *hd = (const void *)host_dom(h, h->dirty[i]);
			if (hd->fq.deadline_ps <= now_ps && hd->fq.deadline_ps < when) {
				best = i;
				when = hd->fq.deadline_ps;
			}
		}
		if (best == h->ndirty)
			return 0;
		struct host_domain *hd = (void *)host_dom(h, h->dirty[best]);
		uint64_t done;
		hd->fq.timer_on = false; /* fq_flush_timeout(): cleared before the flush */
		host_dirty_del(h, hd->pub.id);
		h->fq_flushes_timer++;
		int rc = host_fq_flush(h, hd, when, &done, err);
		if (rc)
			return rc;
	}
	return 0;
}

static int host_fq_key(struct host_fq *fq, uint64_t key)
{
	if (fq->nkeys == fq->cap) {
		size_t cap = fq->cap ? 2 * fq->cap : 16;
		uint64_t *p = realloc(fq->keys, cap * sizeof(*p));
		if (!p)
			return -IOM_ENOMEM;
		fq->keys = p;
		fq->cap = cap;
	}
	fq->keys[fq->nkeys++] = key;
	return 0;
}

/* queue_iova(): flush first if the ring is full, queue the entry (its leaves
 * become pending for the stale-translation check), arm the timer. */
static int host_fq_queue(struct iom_host *h, struct host_domain *hd, const struct host_run *r,
			 long n, uint64_t now_ps, uint64_t *done_ps, struct iom_err *err)
{
	*done_ps = now_ps;
	if (hd->fq.entries >= h->cfg.flush_batch - 1) {
		h->fq_flushes_full++;
		int rc = host_fq_flush(h, hd, now_ps, done_ps, err);
		if (rc)
			return rc;
	}
	for (long i = 0; i < n; i++) {
		for (uint64_t a = r[i].iova; a < r[i].iova + r[i].size; a += r[i].pgsize) {
			uint64_t key = host_stale_key(hd->pub.tag, r[i].pgsize, a), c = 0;
			iom_u64map_get(&h->stale, key, &c);
			if (iom_u64map_put(&h->stale, key, c + 1) || host_fq_key(&hd->fq, key))
				return iom_err_set(err, IOM_ENOMEM, "out of memory");
		}
	}
	hd->fq.entries++;
	h->unmaps_deferred++;
	if (!hd->fq.timer_on) {
		hd->fq.timer_on = true;
		hd->fq.deadline_ps = now_ps + h->cfg.flush_timeout_ns * 1000;
		if (host_dirty_add(h, hd->pub.id))
			return iom_err_set(err, IOM_ENOMEM, "out of memory");
	}
	return 0;
}

/* After each translation (lazy policy): did a TLB entry translate an IOVA
 * whose unmap is still queued, to a PA the tables no longer map there? */
static void host_observe(void *ctx, const struct iom_txn *t)
{
	struct iom_host *h = ctx;
	uint64_t dom_id, pa, ps;

	if (!h->stale.len || t->status != IOM_TXN_OK)
		return;
	int64_t pasid = (t->flags & IOM_TXN_PASID_VALID) ? (int64_t)t->pasid : -1;
	if (!iom_u64map_get(&h->attach, host_attach_key(t->rid, pasid), &dom_id) ||
	    dom_id >= IOM_HOST_SVA_SLOT)
		return;
	const struct iom_host_domain *d = host_dom(h, (uint32_t)dom_id);
	if (!d || d->type != IOM_HOST_DOM_PAGING)
		return;
	for (uint64_t m = d->pgsizes; m; m &= m - 1) {
		if (!iom_u64map_get(&h->stale, host_stale_key(d->tag, m & -m, t->iova), NULL))
			continue;
		if (iom_pt_lookup(d->pt, t->iova, &pa, &ps) != 0 || pa != t->pa)
			h->stale_translations++;
		return;
	}
}

int iom_host_unmap(struct iom_host *h, uint32_t dom_id, uint64_t iova, uint64_t size,
		   uint64_t now_ps, uint64_t *done_ps, struct iom_err *err)
{
	struct iom_host_domain *d = host_paging_dom(h, dom_id, err);
	if (!d)
		return -err->code;
	*done_ps = now_ps;
	int r = iom_host_advance(h, now_ps, err);
	if (r)
		return r;
	if (host_widen(d, &iova, NULL, &size, err))
		return iom_err_prefix(err, "unmap");
	uint64_t leaf = 0, pa;
	if (iom_pt_lookup(d->pt, iova, &pa, &leaf) != 0)
		return iom_err_set(err, IOM_ENOENT, "unmap: iova 0x%llx is not mapped in domain %u",
				   (unsigned long long)iova, dom_id);
	struct host_run *runs = NULL;
	long n = host_runs(d->pt, host_dom_granule(d), iova, size, &runs);
	if (n < 0)
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	uint64_t unmapped = 0, freed_before = iom_pt_stats(d->pt)->tables_freed;
	r = iom_pt_unmap(d->pt, iova, size, &unmapped, err);
	if (!r) {
		h->unmaps++;
		h->unmap_bytes += unmapped;
	}
	if (r || !unmapped) {
		free(runs);
		return r;
	}
	/* Tables freed by the unmap may still sit in the walk caches: then the
	 * invalidation must be non-leaf now (Linux: io_pgtable_tlb_flush_walk). */
	bool freed = iom_pt_stats(d->pt)->tables_freed != freed_before;
	if (h->cfg.invalidation == IOM_HOST_INVAL_LAZY && !freed)
		r = host_fq_queue(h, (struct host_domain *)d, runs, n, now_ps, done_ps, err);
	else
		r = host_inval_runs(h, d, runs, n, !freed, now_ps, done_ps, err);
	free(runs);
	if (!r)
		iom_hist_add(&h->unmap_ps, *done_ps - now_ps);
	return r;
}

int iom_host_invalidate(struct iom_host *h, const struct iom_inval *inv, uint64_t now_ps,
			uint64_t *done_ps, struct iom_err *err)
{
	struct iom_inval v = *inv;
	if (v.scope == IOM_INVAL_RANGE && h->cfg.invalidation == IOM_HOST_INVAL_RANGE)
		v.use_range = 1;
	uint64_t id;
	if ((v.scope == IOM_INVAL_RANGE || v.scope == IOM_INVAL_DOMAIN) &&
	    iom_u64map_get(&h->tags, v.tag, &id) && id < IOM_HOST_SVA_SLOT) {
		const struct iom_host_domain *d = host_dom(h, (uint32_t)id);
		v.tag = host_inval_tag(d);
		uint64_t g = host_dom_granule(d);
		if (v.scope == IOM_INVAL_RANGE && v.granule < g) { /* whole granule pages */
			uint64_t end = (v.iova + v.size + g - 1) & ~(g - 1);
			v.iova &= ~(g - 1);
			v.size = end - v.iova;
			v.granule = g;
		}
	}
	int r = iom_host_advance(h, now_ps, err);
	if (!r)
		r = h->iommu->ops->invalidate(h->iommu->self, &v, now_ps, done_ps, err);
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
	HOST_CTR(invalidations, "ops",
		 "invalidation requests issued to the IOMMU (each ends with a sync)");
	HOST_CTR(unmaps_deferred, "ops", "lazy: unmaps queued in a flush queue");
	HOST_CTR(fq_flushes_full, "ops", "lazy: flushes forced by a full flush queue");
	HOST_CTR(fq_flushes_timer, "ops", "lazy: flushes by the flush-queue timer");
	HOST_CTR(maps_widened, "ops", "maps widened to whole granules (host.granule above 4 KB)");
	HOST_CTR(s2_maps, "ops", "nested: stage-2 maps that made VM memory reachable");
	HOST_CTR(pgsize_hints_ignored, "ops",
		 "maps whose page-size hint is not a page size of the domain's granule");
	HOST_CTR(stale_translations, "txns",
		 "lazy: translations of a queued (unmapped, not yet invalidated) IOVA to a PA "
		 "the tables no longer map there");
#undef HOST_CTR
	if (!r)
		r = iom_host_sva_register_stats(h->sva, s, err);
	if (!r)
		r = iom_stats_histogram(s, "host.unmap_latency", "ps",
					"unmap: from the call to its return (strict/range: the "
					"invalidation completed; lazy: queued, or a forced flush)",
					&h->unmap_ps, err);
	if (!r)
		r = iom_stats_histogram(s, "host.attach_latency", "ps",
					"attach: configuration writes, CFGI and sync",
					&h->attach_ps, err);
	return r;
}

/* ---- for host_sva.c: shared state, PASID slots, tags ---- */

struct iom_host_sva *iom_host_sva_of(struct iom_host *h)
{
	return h->sva;
}

const struct iom_host_cfg *iom_host_config(const struct iom_host *h)
{
	return &h->cfg;
}

struct iom_mem *iom_host_mem(struct iom_host *h)
{
	return h->mem;
}

struct iom_palloc *iom_host_tables(struct iom_host *h)
{
	return h->tables;
}

struct iom_iommu *iom_host_iommu(struct iom_host *h)
{
	return h->iommu;
}

const struct iom_host_drv_ops *iom_host_ops(const struct iom_host *h, void **drv)
{
	if (drv)
		*drv = h->drv;
	return h->ops;
}

uint32_t iom_host_pasids_in_use(const struct iom_host *h, uint32_t rid)
{
	return host_pasids_in_use(h, rid);
}

bool iom_host_slot(const struct iom_host *h, uint32_t rid, int64_t pasid, uint64_t *val)
{
	return iom_u64map_get(&h->attach, host_attach_key(rid, pasid), val);
}

int iom_host_sva_slot(struct iom_host *h, uint32_t rid, uint32_t pasid, uint64_t val,
		      struct iom_err *err)
{
	uint64_t key = host_attach_key(rid, pasid), old;
	bool taken = iom_u64map_get(&h->attach, key, &old);
	if (!val) {
		if (taken && old >= IOM_HOST_SVA_SLOT) {
			iom_u64map_del(&h->attach, key);
			host_pasid_count(h, rid, -1);
		}
		return 0;
	}
	if (taken)
		return old >= IOM_HOST_SVA_SLOT
			       ? iom_err_set(err, IOM_EBUSY, "pasid %u is bound to process mm %u",
					     pasid, (uint32_t)old)
			       : iom_err_set(err, IOM_EBUSY, "pasid %u is attached to domain %u",
					     pasid, (uint32_t)old);
	if (iom_u64map_put(&h->attach, key, val))
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	host_pasid_count(h, rid, +1);
	return 0;
}

int iom_host_tag_alloc(struct iom_host *h, uint64_t owner, uint32_t *tag, struct iom_err *err)
{
	int r = host_alloc_tag(h, tag, err);
	if (!r && iom_u64map_put(&h->tags, *tag, owner))
		r = iom_err_set(err, IOM_ENOMEM, "out of memory");
	return r;
}

void iom_host_tag_free(struct iom_host *h, uint32_t tag)
{
	iom_u64map_del(&h->tags, tag);
}

static int host_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* arm_smmu_share_asid() / arm_smmu_realloc_s1_domain_asid(): domain d gets
 * the lowest free tag, every attachment of it is rewritten (in attachment-key
 * order), then its old tag is invalidated. */
static int host_retag(struct iom_host *h, struct iom_host_domain *d, uint64_t now_ps,
		      uint64_t *done_ps, struct iom_err *err)
{
	uint32_t nt = 0, old = d->tag;
	int r = host_alloc_tag(h, &nt, err);
	if (r)
		return r;
	if (iom_u64map_put(&h->tags, nt, d->id))
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	iom_u64map_del(&h->tags, old);
	d->tag = nt;
	size_t n = 0, cap = 8;
	uint64_t *keys = malloc(cap * sizeof(*keys)), k, v;
	for (size_t it = 0; keys && iom_u64map_next(&h->attach, &it, &k, &v);) {
		if (v != d->id)
			continue;
		if (n == cap) {
			uint64_t *nk = realloc(keys, 2 * cap * sizeof(*keys));
			if (!nk) {
				free(keys);
				keys = NULL;
				break;
			}
			keys = nk;
			cap *= 2;
		}
		keys[n++] = k;
	}
	if (!keys)
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	qsort(keys, n, sizeof(*keys), host_cmp_u64);
	uint64_t t = now_ps;
	for (size_t i = 0; i < n && !r; i++) {
		uint32_t rid = (uint32_t)(keys[i] >> 21);
		int64_t pasid = (int64_t)(keys[i] & ((1u << 21) - 1)) - 1;
		r = h->ops->attach(h->drv, rid, pasid, d, host_pasids_in_use(h, rid), t, &t, err);
	}
	free(keys);
	if (!r) {
		struct iom_inval inv = {.scope = IOM_INVAL_DOMAIN,
					.tag = old | (d->vmid << 16)};
		r = h->iommu->ops->invalidate(h->iommu->self, &inv, t, &t, err);
		h->invalidations += !r;
	}
	*done_ps = t;
	return r;
}

int iom_host_tag_claim(struct iom_host *h, uint32_t tag, uint64_t owner, uint64_t now_ps,
		       uint64_t *done_ps, struct iom_err *err)
{
	uint64_t cur;
	*done_ps = now_ps;
	if (!tag || tag > h->max_tag)
		return iom_err_set(err, IOM_ERANGE, "ASID %u is beyond the IOMMU's %u", tag,
				   h->max_tag);
	if (iom_u64map_get(&h->tags, tag, &cur)) {
		if (cur == owner)
			return 0;
		if (cur >= IOM_HOST_SVA_SLOT)
			return iom_err_set(err, IOM_EBUSY, "ASID %u is held by process mm %u", tag,
					   (uint32_t)cur);
		int r = host_retag(h, host_dom(h, (uint32_t)cur), now_ps, done_ps, err);
		if (r)
			return r;
	}
	if (iom_u64map_put(&h->tags, tag, owner))
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	return 0;
}

/* ---- dirty tracking (models/host/dirty.c drives it) ---- */

int iom_host_set_domain_flags(struct iom_host *h, uint32_t flags, struct iom_err *err)
{
	if (flags & IOM_HOST_DOM_F_DIRTY) { /* what a domain allocation would say */
		struct iom_pt_cfg pc = {.fmt = IOM_PT_VMSA64_S1,
					.granule_shift = host_granule_shift(h->cfg.granule),
					.ia_bits = (uint8_t)h->cfg.ia_bits,
					.oa_bits = (uint8_t)h->cfg.oa_bits};
		uint64_t pgsizes = host_granule_pgsizes(pc.granule_shift);
		if (h->ops->domain_format)
			h->ops->domain_format(h->drv, &pc, &pgsizes);
		int r = host_dirty_format(h, &pc, &pgsizes, flags, err);
		if (r)
			return r;
	}
	h->dom_flags = flags;
	return 0;
}

/* Attachment keys of domain id, ascending (malloc'ed; NULL when none). */
static size_t host_dom_keys(const struct iom_host *h, uint32_t id, uint64_t **out)
{
	size_t n = 0, cap = 0;
	uint64_t k, v, *keys = NULL;
	for (size_t it = 0; iom_u64map_next(&h->attach, &it, &k, &v);) {
		if (v != id)
			continue;
		if (n == cap) {
			uint64_t *nk = realloc(keys, (cap = cap ? 2 * cap : 8) * sizeof(*keys));
			if (!nk) {
				free(keys);
				*out = NULL;
				return SIZE_MAX;
			}
			keys = nk;
		}
		keys[n++] = k;
	}
	if (n)
		qsort(keys, n, sizeof(*keys), host_cmp_u64);
	*out = keys;
	return n;
}

int iom_host_set_dirty_tracking(struct iom_host *h, uint32_t id, bool on, uint64_t now_ps,
				uint64_t *done_ps, struct iom_err *err)
{
	struct iom_host_domain *d = host_paging_dom(h, id, err);
	*done_ps = now_ps;
	if (!d)
		return -err->code;
	if (!(d->flags & IOM_HOST_DOM_F_DIRTY))
		return iom_err_set(err, IOM_EINVAL,
				   "EOPNOTSUPP: domain %u was not allocated with dirty tracking", id);
	uint64_t *keys, t = now_ps;
	size_t n = host_dom_keys(h, id, &keys);
	if (n == SIZE_MAX)
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	int r = 0;
	for (size_t i = 0; i < n && !r && h->ops->set_dirty_tracking; i++)
		r = h->ops->set_dirty_tracking(h->drv, (uint32_t)(keys[i] >> 21),
					       (int64_t)(keys[i] & ((1u << 21) - 1)) - 1, d, on, t,
					       &t, err);
	free(keys);
	if (!r)
		d->dirty_tracking = on;
	*done_ps = t;
	return r;
}

size_t iom_host_domain_rids(const struct iom_host *h, uint32_t id, uint32_t *rids, size_t max)
{
	uint64_t *keys;
	size_t n = host_dom_keys(h, id, &keys), m = 0;
	uint32_t last = 0;
	if (n == SIZE_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) { /* keys ascend, so each rid's come together */
		uint32_t rid = (uint32_t)(keys[i] >> 21);
		if (m && rid == last)
			continue;
		if (m < max)
			rids[m] = rid;
		last = rid;
		m++;
	}
	free(keys);
	return m;
}
