/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gen_nvme.c - an NVMe-like workload in two buffer-management shapes.
 *
 * Dynamic mapping (pool_pages = 0, the default), shaped after what the Linux
 * NVMe driver does with the DMA API on an IOMMU in strict mode:
 *
 *  setup   one paging domain, the device attached; the submission queue
 *          (64-byte entries) and completion queue (16-byte entries) are
 *          mapped once (dma_alloc_coherent), each ring in its own pages.
 *  per I/O the host maps the data buffer (dma_map_sg: read I/O -> device
 *          writes memory -> prot w; write I/O -> prot r), the device fetches
 *          the 64-byte command from the SQ, moves the data, posts a 16-byte
 *          completion to the CQ, and the host unmaps the buffer (strict:
 *          unmap waits for the IOTLB invalidation).
 *
 * IOVAs come from a top-down allocator with LIFO reuse of freed ranges, the
 * way Linux's IOVA rcache hands back the most recently freed IOVA of a size;
 * data pages are drawn at random (seeded) from `mem_bytes` of memory.  In
 * lazy mode Linux frees an IOVA only once the flush queue holding it has been
 * flushed; iova_defer = N stands for that: an unmapped IOVA is reused only
 * after N more unmaps.  With N comfortably above the host's flush_batch (the
 * host flushes after flush_batch - 1 queued unmaps, or on its timer), a trace
 * replayed with host.invalidation=lazy does not reuse an IOVA that a stale
 * TLB entry may still translate (host.stale_translations tells).
 *
 * Static pool (pool_pages = P > 0), shaped after a user-space driver (SPDK,
 * DPDK) on VFIO: the same setup, plus one map record at t = 0 of a pool of P
 * 4 KB pages (prot rw, pgsize = `pgsize`, the size rounded up to a whole page
 * of that size) at IOVA 1 GB, physically contiguous from PA 4 GB.  The pool
 * is cut into P * 4096 / io_bytes buffers; each I/O picks one -- uniformly at
 * random, or by a Zipf law (buffer of popularity rank k, 1-based, with
 * probability proportional to 1 / k^zipf_s; ranks are assigned to buffers by
 * a seeded shuffle, so hot buffers are spread over the pool) -- and there is
 * no map or unmap per I/O.  The working set of mapped pages is the pool, so
 * here the TLB size and the page size matter.  Buffers are picked
 * independently: two I/Os in flight may share one (the translation model
 * does not care).  For the same seed and timing options both shapes draw the
 * same arrival times and read/write choices.
 *
 * DMA API shape (iom_gen_nvme_dma_api, `gen nvme --dma-api`): the dynamic
 * shape as the driver's DMA API calls.  No domain, attach or map records:
 * the rings are two long-lived bidirectional buffers mapped at t = 0
 * (`dmamap buf=0` the SQ, `buf=1` the CQ, standing for dma_alloc_coherent)
 * and unmapped after the last I/O (after a `phase op=end` marker, so the
 * region of interest leaves the teardown out); I/O number i maps its data buffer as
 * buf = 2 + i (mod 2^31; dir w for a read I/O: DMA_FROM_DEVICE, r for a
 * write) at submission and unmaps it where the dynamic shape unmaps; every
 * DMA names its buffer (`buf=`, iova = the offset in it).  The replay's DMA
 * API chooses the addresses (dma_api.mode).  Same draws and timing as the
 * dynamic shape for the same seed.
 *
 * All: commands arrive at `iops` with exponential inter-arrival times; at
 * most queue_depth are in flight (an arrival waits for a free slot).  Device
 * service: command fetch 1 us after submission, data 2 us + 1 ns per 4 bytes
 * later, completion right after; the slot is free 500 ns after the completion
 * (when the dynamic shape unmaps).  Events are emitted in time order through
 * a small heap bounded by queue_depth.
 */
#include "gen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NVME_SQ_IOVA 0x100000ull
#define NVME_CQ_IOVA 0x200000ull
#define NVME_SQ_PA 0x1000000ull
#define NVME_CQ_PA 0x1100000ull
#define NVME_IOVA_TOP (1ull << 32) /* 32-bit DMA mask, top-down like Linux */
#define NVME_DATA_PA (1ull << 32)  /* data buffers live from 4 GB up */
#define NVME_POOL_IOVA (1ull << 30) /* 1 GB: aligned for every page size */
#define NVME_POOL_MAX_PAGES (1ull << 22)

void iom_gen_nvme_defaults(struct iom_gen_nvme *p)
{
	memset(p, 0, sizeof(*p));
	p->seed = 1;
	p->ios = 2000;
	p->queue_depth = 8;
	p->sq_entries = 64;
	p->io_bytes = 4096;
	p->read_pct = 70;
	p->iops = 200000;
	p->dev = 0x0100; /* 01:00.0 */
	p->warmup_pct = 10;
	p->mem_bytes = 1ull << 30;
	p->pool_pages = 0;
	p->pgsize = 4096;
	p->pick = IOM_GEN_PICK_UNIFORM;
	p->zipf_s = 0.99;
}

static uint64_t gen_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A pending event of an in-flight I/O. */
struct gen_ev {
	uint64_t t, seq;
	struct iom_rec rec;
};

struct gen_heap {
	struct gen_ev *v;
	size_t n, cap;
	uint64_t seq;
};

static int heap_push(struct gen_heap *h, const struct iom_rec *r)
{
	if (h->n == h->cap) {
		size_t nc = h->cap ? h->cap * 2 : 64;
		struct gen_ev *nv = realloc(h->v, nc * sizeof(*nv));
		if (!nv)
			return -IOM_ENOMEM;
		h->v = nv;
		h->cap = nc;
	}
	size_t i = h->n++;
	struct gen_ev e = {.t = r->time_ps, .seq = h->seq++, .rec = *r};
	while (i) {
		size_t p = (i - 1) / 2;
		if (h->v[p].t < e.t || (h->v[p].t == e.t && h->v[p].seq < e.seq))
			break;
		h->v[i] = h->v[p];
		i = p;
	}
	h->v[i] = e;
	return 0;
}

static struct gen_ev heap_pop(struct gen_heap *h)
{
	struct gen_ev top = h->v[0], last = h->v[--h->n];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && (h->v[c + 1].t < h->v[c].t ||
				     (h->v[c + 1].t == h->v[c].t && h->v[c + 1].seq < h->v[c].seq)))
			c++;
		if (last.t < h->v[c].t || (last.t == h->v[c].t && last.seq < h->v[c].seq))
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	h->v[i] = last;
	return top;
}

/* Top-down IOVA allocator with LIFO reuse (all I/Os have the same size).
 * With `defer` = N > 0, a freed IOVA is held back in a FIFO (`held`, a ring)
 * and handed back only when N later unmaps have pushed it out. */
struct gen_iova {
	uint64_t next;  /* next fresh IOVA (grows down) */
	uint64_t *free;
	size_t nfree, cap;
	uint64_t *held;
	size_t nheld, head, defer;
};

static uint64_t iova_alloc(struct gen_iova *a, uint64_t size)
{
	if (a->nfree)
		return a->free[--a->nfree];
	a->next -= size;
	return a->next;
}

static int iova_push(uint64_t **v, size_t *n, size_t *cap, uint64_t iova)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		uint64_t *nv = realloc(*v, nc * sizeof(*nv));
		if (!nv)
			return -IOM_ENOMEM;
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = iova;
	return 0;
}

static int iova_free(struct gen_iova *a, uint64_t iova)
{
	if (!a->defer)
		return iova_push(&a->free, &a->nfree, &a->cap, iova);
	if (!a->held) {
		a->held = malloc(a->defer * sizeof(*a->held));
		if (!a->held)
			return -IOM_ENOMEM;
	}
	if (a->nheld == a->defer) {
		if (iova_push(&a->free, &a->nfree, &a->cap, a->held[a->head]))
			return -IOM_ENOMEM;
		a->held[a->head] = iova;
		a->head = (a->head + 1) % a->defer;
		return 0;
	}
	a->held[(a->head + a->nheld++) % a->defer] = iova;
	return 0;
}

static struct iom_rec rec_base(unsigned kind, uint64_t t)
{
	struct iom_rec r;
	memset(&r, 0, sizeof(r));
	r.kind = (uint8_t)kind;
	r.time_ps = t;
	r.present = IOM_F_TIME;
	return r;
}

static struct iom_rec rec_dma(const struct iom_gen_nvme *p, uint64_t t, uint64_t iova,
			      uint64_t size, int write)
{
	struct iom_rec r = rec_base(IOM_REC_DMA, t);
	r.present |= IOM_F_DEV | IOM_F_IOVA | IOM_F_SIZE | IOM_F_DIR;
	r.dev = p->dev;
	r.iova = iova;
	r.size = size;
	r.dir = write ? IOM_DIR_WRITE : IOM_DIR_READ;
	return r;
}

static struct iom_rec rec_map(uint64_t t, uint64_t iova, uint64_t pa, uint64_t size, uint32_t prot)
{
	struct iom_rec r = rec_base(IOM_REC_MAP, t);
	r.present |= IOM_F_DOMAIN | IOM_F_IOVA | IOM_F_SIZE | IOM_F_PA | IOM_F_PROT;
	r.domain = 1;
	r.iova = iova;
	r.pa = pa;
	r.size = size;
	r.prot = (uint8_t)prot;
	return r;
}

/* DMA API records: the buffer handle, and the DMA on it at offset off. */
static struct iom_rec rec_dmamap(const struct iom_gen_nvme *p, uint64_t t, uint32_t buf,
				 uint64_t pa, uint64_t size, unsigned dir)
{
	struct iom_rec r = rec_base(IOM_REC_DMAMAP, t);
	r.present |= IOM_F_DEV | IOM_F_BUF | IOM_F_SIZE | IOM_F_PA | IOM_F_DIR;
	r.dev = p->dev;
	r.buf = buf;
	r.pa = pa;
	r.size = size;
	r.dir = (uint8_t)dir;
	return r;
}

static struct iom_rec rec_dmaunmap(const struct iom_gen_nvme *p, uint64_t t, uint32_t buf)
{
	struct iom_rec r = rec_base(IOM_REC_DMAUNMAP, t);
	r.present |= IOM_F_DEV | IOM_F_BUF;
	r.dev = p->dev;
	r.buf = buf;
	return r;
}

static struct iom_rec rec_bufdma(const struct iom_gen_nvme *p, uint64_t t, uint32_t buf,
				 uint64_t off, uint64_t size, int write)
{
	struct iom_rec r = rec_dma(p, t, off, size, write);
	r.present |= IOM_F_BUF;
	r.buf = buf;
	return r;
}

#define NVME_BUF_SQ 0u
#define NVME_BUF_CQ 1u

static struct iom_rec rec_unmap(uint64_t t, uint64_t iova, uint64_t size)
{
	struct iom_rec r = rec_base(IOM_REC_UNMAP, t);
	r.present |= IOM_F_DOMAIN | IOM_F_IOVA | IOM_F_SIZE;
	r.domain = 1;
	r.iova = iova;
	r.size = size;
	return r;
}

static int gen_setup(const struct iom_gen_nvme *p, bool dma_api, struct iom_trace_writer *w,
		     struct iom_err *err)
{
	uint64_t sq_bytes = ((uint64_t)p->sq_entries * 64 + 4095) & ~4095ull;
	uint64_t cq_bytes = ((uint64_t)p->sq_entries * 16 + 4095) & ~4095ull;
	if (dma_api) { /* the rings: dma_alloc_coherent, as long-lived buffers */
		struct iom_rec m = rec_dmamap(p, 0, NVME_BUF_SQ, NVME_SQ_PA, sq_bytes, IOM_DIR_BIDI);
		int e = iom_trace_write(w, &m, err);
		m = rec_dmamap(p, 0, NVME_BUF_CQ, NVME_CQ_PA, cq_bytes, IOM_DIR_BIDI);
		return e ? e : iom_trace_write(w, &m, err);
	}
	struct iom_rec r = rec_base(IOM_REC_DOMAIN, 0);
	r.present |= IOM_F_OP | IOM_F_DOMAIN;
	r.op = IOM_OP_CREATE;
	r.domain = 1;
	int e = iom_trace_write(w, &r, err);
	r = rec_base(IOM_REC_ATTACH, 0);
	r.present |= IOM_F_DEV | IOM_F_DOMAIN;
	r.dev = p->dev;
	r.domain = 1;
	if (!e)
		e = iom_trace_write(w, &r, err);
	r = rec_map(0, NVME_SQ_IOVA, NVME_SQ_PA, sq_bytes, IOM_PROT_R | IOM_PROT_W);
	if (!e)
		e = iom_trace_write(w, &r, err);
	r = rec_map(0, NVME_CQ_IOVA, NVME_CQ_PA, cq_bytes, IOM_PROT_R | IOM_PROT_W);
	if (!e)
		e = iom_trace_write(w, &r, err);
	return e;
}

/* Bytes the pool mapping covers: the pool rounded up to a whole page. */
static uint64_t pool_map_bytes(const struct iom_gen_nvme *p)
{
	return (p->pool_pages * 4096 + p->pgsize - 1) & ~(p->pgsize - 1);
}

static int gen_check_pool(const struct iom_gen_nvme *p, struct iom_err *err)
{
	if (!p->pool_pages) {
		if (p->pgsize != 4096 || p->pick != IOM_GEN_PICK_UNIFORM)
			return iom_err_set(err, IOM_EINVAL,
					   "gen nvme: a page size or a buffer pick applies to a "
					   "static pool only (give --pool-pages)");
		return 0;
	}
	if (p->pool_pages > NVME_POOL_MAX_PAGES)
		return iom_err_set(err, IOM_EINVAL,
				   "gen nvme: pool of %llu pages is over %llu pages",
				   (unsigned long long)p->pool_pages, NVME_POOL_MAX_PAGES);
	if (p->pool_pages * 4096 % p->io_bytes)
		return iom_err_set(err, IOM_EINVAL,
				   "gen nvme: pool of %llu pages is not a whole number of %u-byte "
				   "buffers", (unsigned long long)p->pool_pages, p->io_bytes);
	if (p->pgsize != 4096 && p->pgsize != (1ull << 21) && p->pgsize != (1ull << 30))
		return iom_err_set(err, IOM_EINVAL,
				   "gen nvme: page size %llu must be 4K, 2M or 1G",
				   (unsigned long long)p->pgsize);
	if (pool_map_bytes(p) > p->mem_bytes)
		return iom_err_set(err, IOM_EINVAL,
				   "gen nvme: pool mapping of %llu bytes does not fit in memory of "
				   "%llu bytes", (unsigned long long)pool_map_bytes(p),
				   (unsigned long long)p->mem_bytes);
	if (p->pick > IOM_GEN_PICK_ZIPF)
		return iom_err_set(err, IOM_EINVAL, "gen nvme: unknown buffer pick %u", p->pick);
	if (p->pick == IOM_GEN_PICK_ZIPF && !(p->zipf_s > 0 && p->zipf_s <= 100))
		return iom_err_set(err, IOM_EINVAL,
				   "gen nvme: zipf exponent %g must be in (0, 100]", p->zipf_s);
	return 0;
}

static int gen_check(const struct iom_gen_nvme *p, struct iom_err *err)
{
	if (!p->io_bytes || p->io_bytes % 4096)
		return iom_err_set(err, IOM_EINVAL, "gen nvme: io size %u must be a multiple of 4096",
				   p->io_bytes);
	if (!p->queue_depth || !p->sq_entries || p->queue_depth > p->sq_entries)
		return iom_err_set(err, IOM_EINVAL,
				   "gen nvme: queue depth %u must be in [1, sq entries %u]",
				   p->queue_depth, p->sq_entries);
	if (p->read_pct > 100 || p->warmup_pct > 100 || !p->iops)
		return iom_err_set(err, IOM_EINVAL,
				   "gen nvme: read%% and warmup%% must be 0..100, iops > 0");
	if (p->iova_defer > (1u << 20) || (p->iova_defer && p->pool_pages))
		return iom_err_set(err, IOM_EINVAL,
				   "gen nvme: iova defer %u must be 0..2^20, and 0 with a pool",
				   p->iova_defer);
	if (p->mem_bytes < (uint64_t)p->io_bytes * 4 || (p->mem_bytes & 4095))
		return iom_err_set(err, IOM_EINVAL, "gen nvme: memory of %llu bytes is too small",
				   (unsigned long long)p->mem_bytes);
	return gen_check_pool(p, err);
}

/* The static pool: its buffers and, for a Zipf pick, the rank -> buffer
 * shuffle and the cumulative probability of ranks 0..k. */
struct gen_pool {
	uint64_t nbuf;
	uint64_t *perm;
	double *cdf;
};

static int pool_init(struct gen_pool *pl, const struct iom_gen_nvme *p, struct iom_err *err)
{
	pl->nbuf = p->pool_pages * 4096 / p->io_bytes;
	if (p->pick != IOM_GEN_PICK_ZIPF)
		return 0;
	pl->perm = malloc(pl->nbuf * sizeof(*pl->perm));
	pl->cdf = malloc(pl->nbuf * sizeof(*pl->cdf));
	if (!pl->perm || !pl->cdf)
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	/* A stream of its own, so the I/O draws match the uniform pick's. */
	uint64_t rng = p->seed ^ 0x706f6f6c00000000ull;
	double sum = 0;
	for (uint64_t k = 0; k < pl->nbuf; k++) {
		pl->perm[k] = k;
		sum += pow((double)(k + 1), -p->zipf_s);
		pl->cdf[k] = sum;
	}
	for (uint64_t k = 0; k < pl->nbuf; k++)
		pl->cdf[k] /= sum;
	for (uint64_t k = pl->nbuf - 1; k > 0; k--) {
		uint64_t j = gen_rand(&rng) % (k + 1), t = pl->perm[k];
		pl->perm[k] = pl->perm[j];
		pl->perm[j] = t;
	}
	return 0;
}

/* IOVA of the buffer chosen by the random draw x. */
static uint64_t pool_pick(const struct gen_pool *pl, const struct iom_gen_nvme *p, uint64_t x)
{
	uint64_t b;
	if (p->pick == IOM_GEN_PICK_ZIPF) {
		double u = ((x >> 11) + 0.5) * (1.0 / 9007199254740992.0); /* (0, 1) */
		uint64_t lo = 0, hi = pl->nbuf - 1; /* first rank with cdf > u */
		while (lo < hi) {
			uint64_t mid = lo + (hi - lo) / 2;
			if (pl->cdf[mid] > u)
				hi = mid;
			else
				lo = mid + 1;
		}
		b = pl->perm[lo];
	} else {
		b = x % pl->nbuf;
	}
	return NVME_POOL_IOVA + b * p->io_bytes;
}

static int pool_map(const struct iom_gen_nvme *p, struct iom_trace_writer *w, struct iom_err *err)
{
	struct iom_rec r = rec_map(0, NVME_POOL_IOVA, NVME_DATA_PA, pool_map_bytes(p),
				   IOM_PROT_R | IOM_PROT_W);
	r.present |= IOM_F_PGSIZE;
	r.pgsize = p->pgsize;
	return iom_trace_write(w, &r, err);
}

/* Emit every pending event strictly before t (all when t is UINT64_MAX). */
static int gen_drain(struct gen_heap *h, uint64_t t, struct iom_trace_writer *w,
		     struct gen_iova *iova, struct iom_err *err)
{
	while (h->n && h->v[0].t < t) {
		struct gen_ev e = heap_pop(h);
		if (e.rec.kind == IOM_REC_UNMAP && iova_free(iova, e.rec.iova))
			return iom_err_set(err, IOM_ENOMEM, "out of memory");
		int r = iom_trace_write(w, &e.rec, err);
		if (r)
			return r;
	}
	return 0;
}

/* The per-run state of the generator. */
struct gen_run {
	const struct iom_gen_nvme *p;
	struct iom_trace_writer *w;
	struct gen_heap h;
	struct gen_iova iova;
	struct gen_pool pool;
	uint64_t rng;
	bool dma_api; /* iom_gen_nvme_dma_api: DMA API records */
	uint64_t nio; /* I/Os so far (DMA API buffer handles) */
};

/* One I/O submitted at `start` in slot `slot`; returns when its slot frees. */
static int gen_io(struct gen_run *g, uint64_t start, uint32_t slot, uint64_t *free_at,
		  struct iom_err *err)
{
	const struct iom_gen_nvme *p = g->p;
	int read_io = (int)(gen_rand(&g->rng) % 100) < (int)p->read_pct;
	uint64_t x = gen_rand(&g->rng), va;
	int r = 0;
	uint64_t pages = p->mem_bytes / 4096;
	uint64_t pa = (x % (pages - p->io_bytes / 4096)) * 4096 + NVME_DATA_PA;
	uint32_t buf = 2 + (uint32_t)(g->nio++ % 0x7ffffff0u);
	if (p->pool_pages) {
		va = pool_pick(&g->pool, p, x);
	} else if (g->dma_api) { /* dma_map_single: read I/O -> DMA_FROM_DEVICE */
		va = 0;
		struct iom_rec m = rec_dmamap(p, start, buf, pa, p->io_bytes,
					      read_io ? IOM_DIR_WRITE : IOM_DIR_READ);
		r = iom_trace_write(g->w, &m, err);
	} else {
		va = iova_alloc(&g->iova, p->io_bytes);
		struct iom_rec m =
			rec_map(start, va, pa, p->io_bytes, read_io ? IOM_PROT_W : IOM_PROT_R);
		r = iom_trace_write(g->w, &m, err);
	}
	uint64_t t_cmd = start + 1000000;
	uint64_t t_data = t_cmd + 2000000 + (uint64_t)p->io_bytes * 250;
	uint64_t t_cpl = t_data + 100000;
	struct iom_rec ev[4] = {
		rec_dma(p, t_cmd, NVME_SQ_IOVA + (uint64_t)slot * 64, 64, 0),
		rec_dma(p, t_data, va, p->io_bytes, read_io),
		rec_dma(p, t_cpl, NVME_CQ_IOVA + (uint64_t)slot * 16, 16, 1),
		rec_unmap(t_cpl + 500000, va, p->io_bytes),
	};
	if (g->dma_api) {
		ev[0] = rec_bufdma(p, t_cmd, NVME_BUF_SQ, (uint64_t)slot * 64, 64, 0);
		ev[1] = rec_bufdma(p, t_data, buf, 0, p->io_bytes, read_io);
		ev[2] = rec_bufdma(p, t_cpl, NVME_BUF_CQ, (uint64_t)slot * 16, 16, 1);
		ev[3] = rec_dmaunmap(p, t_cpl + 500000, buf);
	}
	size_t nev = p->pool_pages ? 3 : 4;
	for (size_t k = 0; k < nev && !r; k++)
		r = heap_push(&g->h, &ev[k]) ? iom_err_set(err, IOM_ENOMEM, "out of memory") : 0;
	*free_at = t_cpl + 500000;
	return r;
}

static int gen_ios(struct gen_run *g, uint64_t *slot_free, struct iom_err *err)
{
	const struct iom_gen_nvme *p = g->p;
	uint64_t t = 1000000; /* first command at 1 us */
	uint64_t warm = p->ios * p->warmup_pct / 100;
	double mean_gap_ps = 1e12 / (double)p->iops;
	int r = 0;
	for (uint64_t i = 0; i < p->ios && !r; i++) {
		double u = ((gen_rand(&g->rng) >> 11) + 1) * (1.0 / 9007199254740993.0);
		t += (uint64_t)(-log(u) * mean_gap_ps);
		uint32_t q = (uint32_t)(i % p->queue_depth);
		uint64_t start = IOM_MAX(t, slot_free[q]);
		r = gen_drain(&g->h, start, g->w, &g->iova, err);
		if (r)
			break;
		if (i == warm && warm) {
			struct iom_rec ph = rec_base(IOM_REC_PHASE, start);
			ph.present |= IOM_F_OP;
			ph.op = IOM_OP_ROI;
			r = iom_trace_write(g->w, &ph, err);
		}
		if (!r)
			r = gen_io(g, start, (uint32_t)(i % p->sq_entries), &slot_free[q], err);
	}
	if (!r)
		r = gen_drain(&g->h, UINT64_MAX, g->w, &g->iova, err);
	return r;
}

static int gen_nvme_run(const struct iom_gen_nvme *p, bool dma_api, struct iom_trace_writer *w,
			struct iom_err *err)
{
	int r = gen_check(p, err);
	if (r)
		return r;
	if (dma_api && (p->pool_pages || p->iova_defer))
		return iom_err_set(err, IOM_EINVAL,
				   "gen nvme: --dma-api takes neither a static pool nor an IOVA "
				   "defer (the DMA API chooses and frees IOVAs)");
	struct gen_run g = {.p = p, .w = w, .rng = p->seed, .dma_api = dma_api,
			    .iova = {.next = NVME_IOVA_TOP, .defer = p->iova_defer}};
	uint64_t *slot_free = calloc(p->queue_depth, sizeof(*slot_free));
	if (!slot_free)
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	r = gen_setup(p, dma_api, w, err);
	if (!r && p->pool_pages)
		r = pool_init(&g.pool, p, err);
	if (!r && p->pool_pages)
		r = pool_map(p, w, err);
	if (!r)
		r = gen_ios(&g, slot_free, err);
	if (!r && dma_api) { /* the driver unloads: the rings are unmapped */
		uint64_t end = 0;
		for (uint32_t q = 0; q < p->queue_depth; q++)
			end = IOM_MAX(end, slot_free[q]);
		struct iom_rec u = rec_base(IOM_REC_PHASE, end); /* the ROI ends first */
		u.present |= IOM_F_OP;
		u.op = IOM_OP_END;
		r = iom_trace_write(w, &u, err);
		u = rec_dmaunmap(p, end, NVME_BUF_SQ);
		if (!r)
			r = iom_trace_write(w, &u, err);
		u = rec_dmaunmap(p, end, NVME_BUF_CQ);
		if (!r)
			r = iom_trace_write(w, &u, err);
	}
	free(g.h.v);
	free(g.iova.free);
	free(g.iova.held);
	free(g.pool.perm);
	free(g.pool.cdf);
	free(slot_free);
	return r;
}

int iom_gen_nvme(const struct iom_gen_nvme *p, struct iom_trace_writer *w, struct iom_err *err)
{
	return gen_nvme_run(p, false, w, err);
}

int iom_gen_nvme_dma_api(const struct iom_gen_nvme *p, struct iom_trace_writer *w,
			 struct iom_err *err)
{
	return gen_nvme_run(p, true, w, err);
}
