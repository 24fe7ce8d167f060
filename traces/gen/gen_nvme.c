/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gen_nvme.c - an NVMe-like workload, shaped after what the Linux NVMe
 * driver does with the DMA API on an IOMMU in strict mode:
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
 * data pages are drawn at random (seeded) from `mem_bytes` of memory.
 * Commands arrive at `iops` with exponential inter-arrival times; at most
 * queue_depth are in flight (an arrival waits for a free slot).  Device
 * service: command fetch 1 us after submission, data 2 us + 1 ns per 4 bytes
 * later, completion right after.  Events are emitted in time order through a
 * small heap bounded by queue_depth.
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

/* Top-down IOVA allocator with LIFO reuse (all I/Os have the same size). */
struct gen_iova {
	uint64_t next;  /* next fresh IOVA (grows down) */
	uint64_t *free;
	size_t nfree, cap;
};

static uint64_t iova_alloc(struct gen_iova *a, uint64_t size)
{
	if (a->nfree)
		return a->free[--a->nfree];
	a->next -= size;
	return a->next;
}

static int iova_free(struct gen_iova *a, uint64_t iova)
{
	if (a->nfree == a->cap) {
		size_t nc = a->cap ? a->cap * 2 : 64;
		uint64_t *nf = realloc(a->free, nc * sizeof(*nf));
		if (!nf)
			return -IOM_ENOMEM;
		a->free = nf;
		a->cap = nc;
	}
	a->free[a->nfree++] = iova;
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

static struct iom_rec rec_unmap(uint64_t t, uint64_t iova, uint64_t size)
{
	struct iom_rec r = rec_base(IOM_REC_UNMAP, t);
	r.present |= IOM_F_DOMAIN | IOM_F_IOVA | IOM_F_SIZE;
	r.domain = 1;
	r.iova = iova;
	r.size = size;
	return r;
}

static int gen_setup(const struct iom_gen_nvme *p, struct iom_trace_writer *w, struct iom_err *err)
{
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
	uint64_t sq_bytes = ((uint64_t)p->sq_entries * 64 + 4095) & ~4095ull;
	uint64_t cq_bytes = ((uint64_t)p->sq_entries * 16 + 4095) & ~4095ull;
	r = rec_map(0, NVME_SQ_IOVA, NVME_SQ_PA, sq_bytes, IOM_PROT_R | IOM_PROT_W);
	if (!e)
		e = iom_trace_write(w, &r, err);
	r = rec_map(0, NVME_CQ_IOVA, NVME_CQ_PA, cq_bytes, IOM_PROT_R | IOM_PROT_W);
	if (!e)
		e = iom_trace_write(w, &r, err);
	return e;
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
	if (p->mem_bytes < (uint64_t)p->io_bytes * 4 || (p->mem_bytes & 4095))
		return iom_err_set(err, IOM_EINVAL, "gen nvme: memory of %llu bytes is too small",
				   (unsigned long long)p->mem_bytes);
	return 0;
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

int iom_gen_nvme(const struct iom_gen_nvme *p, struct iom_trace_writer *w, struct iom_err *err)
{
	int r = gen_check(p, err);
	if (r)
		return r;
	r = gen_setup(p, w, err);
	if (r)
		return r;
	uint64_t rng = p->seed, t = 1000000; /* first command at 1 us */
	struct gen_heap h = {0};
	struct gen_iova iova = {.next = NVME_IOVA_TOP};
	uint64_t *slot_free = calloc(p->queue_depth, sizeof(*slot_free));
	if (!slot_free)
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	uint64_t warm = p->ios * p->warmup_pct / 100, pages = p->mem_bytes / 4096;
	double mean_gap_ps = 1e12 / (double)p->iops;
	for (uint64_t i = 0; i < p->ios && !r; i++) {
		double u = ((gen_rand(&rng) >> 11) + 1) * (1.0 / 9007199254740993.0);
		t += (uint64_t)(-log(u) * mean_gap_ps);
		uint32_t q = (uint32_t)(i % p->queue_depth);
		uint64_t start = IOM_MAX(t, slot_free[q]);
		r = gen_drain(&h, start, w, &iova, err);
		if (r)
			break;
		if (i == warm && warm) {
			struct iom_rec ph = rec_base(IOM_REC_PHASE, start);
			ph.present |= IOM_F_OP;
			ph.op = IOM_OP_ROI;
			r = iom_trace_write(w, &ph, err);
		}
		int read_io = (int)(gen_rand(&rng) % 100) < (int)p->read_pct;
		uint64_t pa = (gen_rand(&rng) % (pages - p->io_bytes / 4096)) * 4096 + (1ull << 32);
		uint64_t va = iova_alloc(&iova, p->io_bytes);
		uint32_t slot = (uint32_t)(i % p->sq_entries);
		struct iom_rec m = rec_map(start, va, pa, p->io_bytes, read_io ? IOM_PROT_W : IOM_PROT_R);
		if (!r)
			r = iom_trace_write(w, &m, err);
		uint64_t t_cmd = start + 1000000;
		uint64_t t_data = t_cmd + 2000000 + (uint64_t)p->io_bytes * 250;
		uint64_t t_cpl = t_data + 100000;
		struct iom_rec ev[4] = {
			rec_dma(p, t_cmd, NVME_SQ_IOVA + (uint64_t)slot * 64, 64, 0),
			rec_dma(p, t_data, va, p->io_bytes, read_io),
			rec_dma(p, t_cpl, NVME_CQ_IOVA + (uint64_t)slot * 16, 16, 1),
			rec_unmap(t_cpl + 500000, va, p->io_bytes),
		};
		for (size_t k = 0; k < 4 && !r; k++)
			r = heap_push(&h, &ev[k]) ? iom_err_set(err, IOM_ENOMEM, "out of memory") : 0;
		slot_free[q] = t_cpl + 500000;
	}
	if (!r)
		r = gen_drain(&h, UINT64_MAX, w, &iova, err);
	free(h.v);
	free(iova.free);
	free(slot_free);
	return r;
}
