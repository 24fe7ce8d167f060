/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gen_nic.c - a NIC-like workload written as DMA API calls (gen.h,
 * docs/dma-api.md "Workloads"), shaped after a Linux Ethernet driver that
 * maps every packet buffer with dma_map_single() (no page-pool recycling):
 *
 *  setup   for each of `queues` queue pairs: a TX and an RX descriptor ring
 *          of `ring` 16-byte descriptors, each one long-lived bidirectional
 *          buffer mapped at t = 0 (standing for dma_alloc_coherent), and
 *          `ring` RX buffers of `rx_buf` bytes mapped DMA_FROM_DEVICE (dir w)
 *          at t = 0;
 *  TX      the driver maps the packet (`pkt_bytes`, dir r = DMA_TO_DEVICE)
 *          at the packet's time, the device fetches the descriptor 1 us later
 *          (doorbell + fetch), reads the packet 200 ns after that, writes the
 *          descriptor back once the packet is on the wire (pkt_bytes * 8 /
 *          link_gbps ns) + 100 ns, and the driver's TX clean (NAPI) unmaps
 *          the packet 2 us after the write-back; a ring slot is busy until
 *          then (a packet waits for a free slot);
 *  RX      a packet arrives at its time into the next RX slot (waiting for
 *          the slot's buffer if the driver has not refilled it yet): the
 *          device writes the packet into the slot's buffer, then the RX
 *          descriptor after the wire time + 100 ns; NAPI, 2 us later, unmaps
 *          the buffer (a bounce copies all rx_buf bytes back) and maps a new
 *          one into the slot (refill) at the same time;
 *  end     after the last packet, a `phase op=end` marker (the region of
 *          interest ends), then the RX buffers and the rings are unmapped
 *          (not with no_teardown: the state at the end stays for studies).
 * With pkt_max > pkt_bytes a sent packet's size (TSO/GSO: one large send) is
 * drawn log-uniformly in [pkt_bytes, pkt_max]: size = pkt_bytes x
 * (pkt_max / pkt_bytes)^u, u uniform in [0, 1); received packets stay
 * pkt_bytes (the MTU).
 * Packets arrive at `pps` (exponential gaps, seeded), round-robin over the
 * queues (RSS), each received with probability rx_pct %.  Queue q's buffers
 * have handles = q mod queues (buf = n * queues + q), so with dma_api.ncpus =
 * queues each queue's calls run on its own CPU.  Buffers come from random
 * pages of `mem_bytes` of memory from 4 GiB; a TX packet sits at a random
 * 64-byte offset in its page (where it fits), RX buffers of up to 2 KiB in
 * a random half page.
 * Deterministic for a seed; events are emitted in time order through a heap.
 */
#include "gen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NIC_DATA_PA (1ull << 32)
#define NIC_RING_PA 0x2000000ull /* 32 MiB: rings, 64 KiB per queue pair */
#define NIC_RING_STRIDE 0x10000ull

void iom_gen_nic_defaults(struct iom_gen_nic *p)
{
	memset(p, 0, sizeof(*p));
	p->seed = 1;
	p->packets = 20000;
	p->pkt_bytes = 1500;
	p->rx_pct = 50;
	p->pps = 1000000;
	p->queues = 4;
	p->ring = 256;
	p->rx_buf = 2048;
	p->link_gbps = 25;
	p->dev = 0x0200; /* 02:00.0 */
	p->warmup_pct = 10;
	p->mem_bytes = 1ull << 30;
}

static uint64_t nic_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* ---- a time-ordered heap of pending records (ties: insertion order) ---- */

struct nic_ev {
	uint64_t t, seq;
	struct iom_rec rec;
};

struct nic_heap {
	struct nic_ev *v;
	size_t n, cap;
	uint64_t seq;
};

static bool nic_before(const struct nic_ev *a, const struct nic_ev *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static int nic_push(struct nic_heap *h, const struct iom_rec *r)
{
	if (h->n == h->cap) {
		size_t nc = h->cap ? h->cap * 2 : 256;
		struct nic_ev *nv = realloc(h->v, nc * sizeof(*nv));
		if (!nv)
			return -IOM_ENOMEM;
		h->v = nv;
		h->cap = nc;
	}
	struct nic_ev e = {.t = r->time_ps, .seq = h->seq++, .rec = *r};
	size_t i = h->n++;
	while (i && nic_before(&e, &h->v[(i - 1) / 2])) {
		h->v[i] = h->v[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->v[i] = e;
	return 0;
}

static struct nic_ev nic_pop(struct nic_heap *h)
{
	struct nic_ev top = h->v[0], last = h->v[--h->n];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && nic_before(&h->v[c + 1], &h->v[c]))
			c++;
		if (!nic_before(&h->v[c], &last))
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	h->v[i] = last;
	return top;
}

/* ---- records ---- */

static struct iom_rec nic_base(unsigned kind, uint64_t t, uint32_t dev)
{
	struct iom_rec r;
	memset(&r, 0, sizeof(r));
	r.kind = (uint8_t)kind;
	r.time_ps = t;
	r.present = IOM_F_TIME | IOM_F_DEV | IOM_F_BUF;
	r.dev = dev;
	return r;
}

static struct iom_rec nic_map(uint64_t t, uint32_t dev, uint32_t buf, uint64_t pa, uint64_t size,
			      unsigned dir)
{
	struct iom_rec r = nic_base(IOM_REC_DMAMAP, t, dev);
	r.present |= IOM_F_PA | IOM_F_SIZE | IOM_F_DIR;
	r.buf = buf;
	r.pa = pa;
	r.size = size;
	r.dir = (uint8_t)dir;
	return r;
}

static struct iom_rec nic_unmap(uint64_t t, uint32_t dev, uint32_t buf)
{
	struct iom_rec r = nic_base(IOM_REC_DMAUNMAP, t, dev);
	r.buf = buf;
	return r;
}

static struct iom_rec nic_dma(uint64_t t, uint32_t dev, uint32_t buf, uint64_t off, uint64_t size,
			      unsigned dir)
{
	struct iom_rec r = nic_base(IOM_REC_DMA, t, dev);
	r.present |= IOM_F_IOVA | IOM_F_SIZE | IOM_F_DIR;
	r.buf = buf;
	r.iova = off;
	r.size = size;
	r.dir = (uint8_t)dir;
	return r;
}

/* ---- the run ---- */

struct nic_q {
	uint32_t next;            /* handles: next n of n * queues + q */
	uint32_t txring, rxring;  /* their handles */
	uint64_t tx_head, rx_head;
	uint64_t *tx_free;        /* per TX slot: free from */
	uint64_t *rx_ready;       /* per RX slot: buffer mapped from */
	uint32_t *rx_buf;         /* per RX slot: its buffer's handle */
};

struct nic_run {
	const struct iom_gen_nic *p;
	struct iom_trace_writer *w;
	struct nic_heap h;
	struct nic_q *q;
	uint64_t rng, end;
};

static uint32_t nic_handle(struct nic_run *g, uint32_t q)
{
	uint32_t n = g->q[q].next++;
	if (g->q[q].next >= UINT32_MAX / g->p->queues) /* wrap; never 0 or 1 (rings) */
		g->q[q].next = 2;
	return n * g->p->queues + q;
}

static uint64_t nic_page(struct nic_run *g)
{
	uint64_t big = IOM_MAX(IOM_MAX(g->p->pkt_bytes, g->p->pkt_max), g->p->rx_buf);
	uint64_t pages = g->p->mem_bytes / 4096 - (big + 4095) / 4096;
	return NIC_DATA_PA + (nic_rand(&g->rng) % pages) * 4096;
}

static uint64_t nic_rx_pa(struct nic_run *g)
{
	uint64_t pa = nic_page(g);
	if (g->p->rx_buf <= 2048)
		pa += (nic_rand(&g->rng) & 1) * 2048;
	return pa;
}

static int nic_emit(struct nic_run *g, const struct iom_rec *r, struct iom_err *err)
{
	if (r->time_ps > g->end)
		g->end = r->time_ps;
	return nic_push(&g->h, r) ? iom_err_set(err, IOM_ENOMEM, "out of memory") : 0;
}

/* Write every pending record before t (all: UINT64_MAX). */
static int nic_drain(struct nic_run *g, uint64_t t, struct iom_err *err)
{
	while (g->h.n && g->h.v[0].t < t) {
		struct nic_ev e = nic_pop(&g->h);
		int r = iom_trace_write(g->w, &e.rec, err);
		if (r)
			return r;
	}
	return 0;
}

static uint64_t nic_wire_ps(const struct iom_gen_nic *p)
{
	return (uint64_t)p->pkt_bytes * 8000 / p->link_gbps;
}

static int nic_setup(struct nic_run *g, struct iom_err *err)
{
	const struct iom_gen_nic *p = g->p;
	uint64_t ring_bytes = ((uint64_t)p->ring * 16 + 4095) & ~4095ull;
	int r = 0;
	for (uint32_t q = 0; q < p->queues && !r; q++) {
		struct nic_q *nq = &g->q[q];
		nq->next = 2;
		nq->txring = 0 * p->queues + q;
		nq->rxring = 1 * p->queues + q;
		uint64_t base = NIC_RING_PA + q * NIC_RING_STRIDE;
		struct iom_rec m = nic_map(0, p->dev, nq->txring, base, ring_bytes, IOM_DIR_BIDI);
		r = nic_emit(g, &m, err);
		m = nic_map(0, p->dev, nq->rxring, base + NIC_RING_STRIDE / 2, ring_bytes,
			    IOM_DIR_BIDI);
		if (!r)
			r = nic_emit(g, &m, err);
		for (uint32_t s = 0; s < p->ring && !r && p->rx_pct; s++) {
			nq->rx_buf[s] = nic_handle(g, q);
			m = nic_map(0, p->dev, nq->rx_buf[s], nic_rx_pa(g), p->rx_buf, IOM_DIR_WRITE);
			r = nic_emit(g, &m, err);
		}
	}
	return r;
}

static int nic_tx(struct nic_run *g, uint32_t q, uint64_t t, struct iom_err *err)
{
	const struct iom_gen_nic *p = g->p;
	struct nic_q *nq = &g->q[q];
	uint64_t slot = nq->tx_head++ % p->ring;
	uint64_t start = IOM_MAX(t, nq->tx_free[slot]);
	uint64_t pa = nic_page(g), len = p->pkt_bytes;
	if (p->pkt_max > p->pkt_bytes) { /* a TSO send */
		double u = (nic_rand(&g->rng) >> 11) * (1.0 / 9007199254740992.0);
		len = (uint64_t)((double)p->pkt_bytes * pow((double)p->pkt_max / p->pkt_bytes, u));
		len = IOM_MIN(IOM_MAX(len, p->pkt_bytes), p->pkt_max);
	}
	if (len < 4096) /* skb->data at a 64-byte offset where the packet fits */
		pa += (nic_rand(&g->rng) % ((4096 - len) / 64 + 1)) * 64;
	uint32_t buf = nic_handle(g, q);
	uint64_t t_desc = start + 1000000, t_data = t_desc + 200000;
	uint64_t t_wb = t_data + len * 8000 / p->link_gbps + 100000, t_clean = t_wb + 2000000;
	struct iom_rec ev[5] = {
		nic_map(start, p->dev, buf, pa, len, IOM_DIR_READ),
		nic_dma(t_desc, p->dev, nq->txring, slot * 16, 16, IOM_DIR_READ),
		nic_dma(t_data, p->dev, buf, 0, len, IOM_DIR_READ),
		nic_dma(t_wb, p->dev, nq->txring, slot * 16, 16, IOM_DIR_WRITE),
		nic_unmap(t_clean, p->dev, buf),
	};
	int r = 0;
	for (size_t k = 0; k < 5 && !r; k++)
		r = nic_emit(g, &ev[k], err);
	nq->tx_free[slot] = t_clean;
	return r;
}

static int nic_rx(struct nic_run *g, uint32_t q, uint64_t t, struct iom_err *err)
{
	const struct iom_gen_nic *p = g->p;
	struct nic_q *nq = &g->q[q];
	uint64_t slot = nq->rx_head++ % p->ring;
	uint64_t start = IOM_MAX(t, nq->rx_ready[slot]);
	uint64_t t_desc = start + nic_wire_ps(p) + 100000, t_napi = t_desc + 2000000;
	uint32_t old = nq->rx_buf[slot], buf = nic_handle(g, q);
	struct iom_rec ev[4] = {
		nic_dma(start, p->dev, old, 0, p->pkt_bytes, IOM_DIR_WRITE),
		nic_dma(t_desc, p->dev, nq->rxring, slot * 16, 16, IOM_DIR_WRITE),
		nic_unmap(t_napi, p->dev, old),
		nic_map(t_napi, p->dev, buf, nic_rx_pa(g), p->rx_buf, IOM_DIR_WRITE),
	};
	int r = 0;
	for (size_t k = 0; k < 4 && !r; k++)
		r = nic_emit(g, &ev[k], err);
	nq->rx_buf[slot] = buf;
	nq->rx_ready[slot] = t_napi;
	return r;
}

static int nic_packets(struct nic_run *g, struct iom_err *err)
{
	const struct iom_gen_nic *p = g->p;
	uint64_t t = 1000000, warm = p->packets * p->warmup_pct / 100;
	double gap_ps = 1e12 / (double)p->pps;
	int r = 0;
	for (uint64_t i = 0; i < p->packets && !r; i++) {
		double u = ((nic_rand(&g->rng) >> 11) + 1) * (1.0 / 9007199254740993.0);
		t += (uint64_t)(-log(u) * gap_ps);
		uint32_t q = (uint32_t)(i % p->queues);
		bool rx = (nic_rand(&g->rng) % 100) < p->rx_pct;
		r = nic_drain(g, t, err);
		if (!r && i == warm && warm) {
			struct iom_rec ph;
			memset(&ph, 0, sizeof(ph));
			ph.kind = IOM_REC_PHASE;
			ph.time_ps = t;
			ph.present = IOM_F_TIME | IOM_F_OP;
			ph.op = IOM_OP_ROI;
			r = iom_trace_write(g->w, &ph, err);
		}
		if (!r)
			r = rx ? nic_rx(g, q, t, err) : nic_tx(g, q, t, err);
	}
	return r;
}

/* The driver unloads: RX buffers and rings are unmapped after the last record. */
static int nic_teardown(struct nic_run *g, struct iom_err *err)
{
	const struct iom_gen_nic *p = g->p;
	uint64_t end = g->end;
	int r = nic_drain(g, UINT64_MAX, err);
	if (p->no_teardown)
		return r;
	struct iom_rec ph; /* the region of interest ends before the teardown */
	memset(&ph, 0, sizeof(ph));
	ph.kind = IOM_REC_PHASE;
	ph.time_ps = end;
	ph.present = IOM_F_TIME | IOM_F_OP;
	ph.op = IOM_OP_END;
	if (!r)
		r = iom_trace_write(g->w, &ph, err);
	for (uint32_t q = 0; q < p->queues && !r; q++) {
		struct nic_q *nq = &g->q[q];
		for (uint32_t s = 0; s < p->ring && !r && p->rx_pct; s++) {
			struct iom_rec u = nic_unmap(end, p->dev, nq->rx_buf[s]);
			r = iom_trace_write(g->w, &u, err);
		}
		struct iom_rec u = nic_unmap(end, p->dev, nq->txring);
		if (!r)
			r = iom_trace_write(g->w, &u, err);
		u = nic_unmap(end, p->dev, nq->rxring);
		if (!r)
			r = iom_trace_write(g->w, &u, err);
	}
	return r;
}

static int nic_check(const struct iom_gen_nic *p, struct iom_err *err)
{
	if (p->pkt_bytes < 64 || p->pkt_bytes > 65536)
		return iom_err_set(err, IOM_EINVAL, "gen nic: packet size %u must be 64..65536",
				   p->pkt_bytes);
	if (p->rx_pct > 100 || p->warmup_pct > 100 || !p->pps || !p->link_gbps)
		return iom_err_set(err, IOM_EINVAL,
				   "gen nic: rx%% and warmup%% must be 0..100, pps and link > 0");
	if (!p->queues || p->queues > 256 || !p->ring || p->ring > 65536)
		return iom_err_set(err, IOM_EINVAL,
				   "gen nic: queues must be 1..256 and ring entries 1..65536");
	if (p->rx_pct && (p->rx_buf < p->pkt_bytes || p->rx_buf > 65536))
		return iom_err_set(err, IOM_EINVAL,
				   "gen nic: RX buffer of %u bytes must hold a packet (%u) and be "
				   "at most 65536", p->rx_buf, p->pkt_bytes);
	if (p->pkt_max && (p->pkt_max < p->pkt_bytes || p->pkt_max > 65536))
		return iom_err_set(err, IOM_EINVAL,
				   "gen nic: largest sent packet %u must be %u..65536", p->pkt_max,
				   p->pkt_bytes);
	if (p->mem_bytes < (uint64_t)16 * 65536 || (p->mem_bytes & 4095))
		return iom_err_set(err, IOM_EINVAL,
				   "gen nic: memory of %llu bytes is too small (1 MiB at least, "
				   "whole pages)", (unsigned long long)p->mem_bytes);
	return 0;
}

int iom_gen_nic(const struct iom_gen_nic *p, struct iom_trace_writer *w, struct iom_err *err)
{
	int r = nic_check(p, err);
	if (r)
		return r;
	struct nic_run g = {.p = p, .w = w, .rng = p->seed};
	g.q = calloc(p->queues, sizeof(*g.q));
	for (uint32_t q = 0; g.q && q < p->queues; q++) {
		g.q[q].tx_free = calloc(p->ring, sizeof(uint64_t));
		g.q[q].rx_ready = calloc(p->ring, sizeof(uint64_t));
		g.q[q].rx_buf = calloc(p->ring, sizeof(uint32_t));
		if (!g.q[q].tx_free || !g.q[q].rx_ready || !g.q[q].rx_buf)
			r = -IOM_ENOMEM;
	}
	if (!g.q || r)
		r = iom_err_set(err, IOM_ENOMEM, "out of memory");
	if (!r)
		r = nic_setup(&g, err);
	if (!r)
		r = nic_drain(&g, 1, err); /* the t = 0 maps first */
	if (!r)
		r = nic_packets(&g, err);
	if (!r)
		r = nic_teardown(&g, err);
	for (uint32_t q = 0; g.q && q < p->queues; q++) {
		free(g.q[q].tx_free);
		free(g.q[q].rx_ready);
		free(g.q[q].rx_buf);
	}
	free(g.q);
	free(g.h.v);
	return r;
}
