/* SPDX-License-Identifier: Apache-2.0 */
/*
 * host_pri.c - the host's page-request handler: the thread that reads the
 * IOMMU's page request queue (Linux arm_smmu_priq_thread / intel
 * prq_event_thread with the IOPF work behind it), services each page
 * request group by the configured policy, and answers it (CMD_PRI_RESP /
 * a page group response descriptor), plus the stop-marker and drain steps
 * of an unbind.  It also serves the root complex's PRI port (pri.h): a
 * function's message reaches the queue hardware, and a Last request learns
 * when and how it is answered.
 *
 * The thread (one, in queue order): idle, it wakes host.sva.irq_ns after an
 * entry is written; busy, it takes the next entry when it is done with the
 * previous one.  Each entry costs a timed read of the queue slot; the entry's
 * slot is given back (CONS / PQH moved) when it was read.  A group's Last
 * entry costs host.sva.fault_ns more (handle_mm_fault and the IOPF work,
 * whatever the policy), then the response command, which the thread waits
 * for (the response leaves when the IOMMU consumed it).
 *  policy handle: each page of the group is made present in the process
 *      bound at (RID, PASID) (host_sva.c iom_host_mm_fault): Success if
 *      every page is, Invalid Request if one is outside the process's VMAs,
 *      forbidden by them, or the request has no PASID, no bound process or
 *      asks for privileged access (Linux rejects those as bad requests);
 *  policy invalid / failure: that code for every group.
 * Queue-slot timing without an event kernel: messages are handled when they
 * arrive (they must arrive in time order); the thread's schedule is computed
 * then, and the slots it reads are given back lazily -- before the next
 * message is received, every slot read by that time is retired -- so the
 * queue hardware sees the occupancy it would have at each arrival, and
 * overflows exactly when the real thread would have fallen behind.
 * Stop markers are consumed without an answer.  Unbind (host_sva.c): each
 * device that issued page requests sends a stop marker for the PASID, the
 * thread is waited for until it has read it (iopf_queue_flush_dev), and
 * after the PASID entry is torn down the driver drains (VT-d: a wait
 * descriptor, intel_iommu_drain_pasid_prq).
 * Not modelled: page-request groups whose Last was lost in an overflow are
 * kept until a later Last with the same index (Linux drops them at the
 * overflow: iopf_queue_discard_partial), several handler threads, the
 * interrupt moderation of the queues.
 */
#include "host.h"

#include "u64map.h"

#include <stdlib.h>
#include <string.h>

struct pri_group {
	uint64_t *pages; /* page address | 1 = write | 2 = exec | 4 = priv */
	size_t n, cap;
};

struct iom_host_pri {
	struct iom_host *h;
	struct iom_host_sva_cfg cfg;
	struct iom_prq q; /* the queue hardware (ops NULL: none) */
	int (*setup)(void *ctx, uint32_t log2, struct iom_err *err); /* NULL once done */
	void *setup_ctx;
	uint64_t busy_ps; /* the thread is busy until then */
	uint32_t peeked;  /* entries read and not given back yet */
	uint64_t *retire; /* their read times, a FIFO ring */
	size_t rhead, rn, rcap;
	struct iom_u64map groups; /* group key -> struct pri_group * */
	struct iom_u64map seen;   /* rid -> 1: the function issued page requests */
	/* stats */
	uint64_t messages, page_requests, stop_markers, groups_answered, auto_answered;
	uint64_t resp_success, resp_invalid, resp_failure, pages_present, drains;
	struct iom_hist resp_ps;  /* Last request arrived -> response left */
	struct iom_hist wait_ps;  /* entry written -> read by the thread */
};

struct iom_host_pri *iom_host_pri_create(struct iom_host *h, const struct iom_host_sva_cfg *cfg,
					 struct iom_err *err)
{
	struct iom_host_pri *p = calloc(1, sizeof(*p));
	if (!p) {
		iom_err_set(err, IOM_ENOMEM, "out of memory");
		return NULL;
	}
	p->h = h;
	p->cfg = *cfg;
	iom_u64map_init(&p->groups);
	iom_u64map_init(&p->seen);
	iom_hist_init(&p->resp_ps);
	iom_hist_init(&p->wait_ps);
	return p;
}

static void pri_group_free(struct pri_group *g)
{
	if (g) {
		free(g->pages);
		free(g);
	}
}

void iom_host_pri_destroy(struct iom_host_pri *p)
{
	if (!p)
		return;
	uint64_t k, v;
	for (size_t it = 0; iom_u64map_next(&p->groups, &it, &k, &v);)
		pri_group_free((struct pri_group *)(uintptr_t)v);
	iom_u64map_fini(&p->groups);
	iom_u64map_fini(&p->seen);
	free(p->retire);
	free(p);
}

void iom_host_pri_set_queue(struct iom_host *h, const struct iom_prq *q,
			    int (*setup)(void *ctx, uint32_t log2, struct iom_err *err),
			    void *setup_ctx)
{
	struct iom_host_pri *p = iom_host_pri_of(h);
	p->q = q ? *q : (struct iom_prq){0};
	p->setup = q ? setup : NULL;
	p->setup_ctx = setup_ctx;
}

bool iom_host_pri_has_queue(struct iom_host *h)
{
	return iom_host_pri_of(h)->q.ops != NULL;
}

/* Give back the slots the thread had read by now_ps. */
static void pri_retire(struct iom_host_pri *p, uint64_t now_ps)
{
	void *drv;
	const struct iom_host_drv_ops *ops = iom_host_ops(p->h, &drv);
	uint32_t n = 0;
	while (p->rn && p->retire[p->rhead] <= now_ps) {
		p->rhead = (p->rhead + 1) % p->rcap;
		p->rn--;
		n++;
	}
	if (n) {
		p->peeked -= n;
		ops->prq_consume(drv, n);
	}
}

static int pri_retire_push(struct iom_host_pri *p, uint64_t t)
{
	if (p->rn == p->rcap) {
		size_t cap = p->rcap ? 2 * p->rcap : 64;
		uint64_t *nr = malloc(cap * sizeof(*nr));
		if (!nr)
			return -IOM_ENOMEM;
		for (size_t i = 0; i < p->rn; i++)
			nr[i] = p->retire[(p->rhead + i) % p->rcap];
		free(p->retire);
		p->retire = nr;
		p->rcap = cap;
		p->rhead = 0;
	}
	p->retire[(p->rhead + p->rn++) % p->rcap] = t;
	return 0;
}

static uint64_t pri_group_key(const struct iom_page_req *r)
{
	return ((uint64_t)r->rid << 30) | ((uint64_t)r->pasid_valid << 29) |
	       ((uint64_t)(r->pasid & 0xfffff) << 9) | (r->prgi & 0x1ff);
}

static int pri_group_add(struct iom_host_pri *p, const struct iom_page_req *r)
{
	uint64_t key = pri_group_key(r), v;
	struct pri_group *g = iom_u64map_get(&p->groups, key, &v) ? (void *)(uintptr_t)v : NULL;
	if (!g) {
		g = calloc(1, sizeof(*g));
		if (!g || iom_u64map_put(&p->groups, key, (uint64_t)(uintptr_t)g)) {
			free(g);
			return -IOM_ENOMEM;
		}
	}
	if (g->n == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 4;
		uint64_t *np = realloc(g->pages, cap * sizeof(*np));
		if (!np)
			return -IOM_ENOMEM;
		g->pages = np;
		g->cap = cap;
	}
	g->pages[g->n++] = (r->addr & ~0xfffull) | (r->write ? 1 : 0) | (r->exec ? 2 : 0) |
			   (r->priv ? 4 : 0);
	return 0;
}

/* The answer to the group that `last` completes (iommu_sva_handle_iopf for
 * each page under policy handle). */
static uint32_t pri_service(struct iom_host_pri *p, const struct iom_page_req *last)
{
	if (p->cfg.pri_policy == IOM_PRI_INVALID)
		return IOM_PRG_INVALID;
	if (p->cfg.pri_policy == IOM_PRI_FAILURE)
		return IOM_PRG_FAILURE;
	uint64_t key = pri_group_key(last), v;
	const struct pri_group *g = iom_u64map_get(&p->groups, key, &v) ? (void *)(uintptr_t)v : NULL;
	int64_t mm = last->pasid_valid ? iom_host_bound_mm(p->h, last->rid, last->pasid) : -1;
	if (!g || mm < 0)
		return IOM_PRG_INVALID;
	for (size_t i = 0; i < g->n; i++) {
		bool made;
		struct iom_err e;
		if (g->pages[i] & 4)
			return IOM_PRG_INVALID;
		if (iom_host_mm_fault(p->h, (uint32_t)mm, g->pages[i] & ~0xfffull, g->pages[i] & 1,
				      g->pages[i] & 2, &made, &e))
			return IOM_PRG_INVALID;
		p->pages_present += made;
	}
	return IOM_PRG_SUCCESS;
}

int iom_host_pri_request(struct iom_host *h, const struct iom_page_req *r, uint64_t arrive_ps,
			 struct iom_pri_result *res, struct iom_err *err)
{
	struct iom_host_pri *p = iom_host_pri_of(h);
	void *drv;
	const struct iom_host_drv_ops *ops = iom_host_ops(h, &drv);
	struct iom_prq_rx rx;
	*res = (struct iom_pri_result){.resp_ps = arrive_ps};
	if (!p->q.ops || !ops->prq_peek)
		return iom_err_set(err, IOM_ENOTSUP, "page requests: the IOMMU has no page request "
				   "queue (VT-d: needs vtd.prs = true)");
	int rc = p->setup ? p->setup(p->setup_ctx, p->cfg.prq_log2, err) : 0;
	if (rc)
		return iom_err_prefix(err, "page request queue");
	p->setup = NULL;
	pri_retire(p, arrive_ps);
	rc = p->q.ops->receive(p->q.hw, r, arrive_ps, &rx, err);
	if (rc)
		return rc;
	p->messages++;
	bool stop = iom_page_req_is_stop(r);
	p->stop_markers += stop;
	p->page_requests += !stop;
	if (iom_u64map_put(&p->seen, r->rid, 1))
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	res->outcome = rx.outcome;
	if (rx.outcome != IOM_PRQ_QUEUED) {
		if (rx.outcome == IOM_PRQ_AUTO_RESPONSE || rx.outcome == IOM_PRQ_OFF) {
			res->answered = true;
			res->code = rx.code;
			res->resp_ps = rx.done_ps;
			p->auto_answered++;
		}
		return 0;
	}
	/* The thread: woken by the interrupt, or still running. */
	uint64_t start = p->busy_ps > rx.done_ps ? p->busy_ps : rx.done_ps + p->cfg.irq_ns * 1000;
	struct iom_page_req e;
	uint64_t t;
	if (ops->prq_peek(drv, p->peeked, &e, start, &t) != 1)
		return iom_err_set(err, IOM_EIO, "page requests: the queue lost entry %u", rx.index);
	p->peeked++;
	iom_hist_add(&p->wait_ps, start - rx.done_ps);
	if (pri_retire_push(p, t))
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	p->busy_ps = t;
	if (iom_page_req_is_stop(&e))
		return 0;
	if (pri_group_add(p, &e))
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	if (!e.last)
		return 0;
	uint32_t code = pri_service(p, &e);
	uint64_t key = pri_group_key(&e), v;
	if (iom_u64map_get(&p->groups, key, &v)) {
		pri_group_free((struct pri_group *)(uintptr_t)v);
		iom_u64map_del(&p->groups, key);
	}
	rc = ops->pri_respond(drv, &e, code, t + p->cfg.fault_ns * 1000, &p->busy_ps, err);
	if (rc)
		return rc;
	p->groups_answered++;
	p->resp_success += code == IOM_PRG_SUCCESS;
	p->resp_invalid += code == IOM_PRG_INVALID;
	p->resp_failure += code == IOM_PRG_FAILURE;
	iom_hist_add(&p->resp_ps, p->busy_ps - arrive_ps);
	*res = (struct iom_pri_result){.answered = true, .code = code, .resp_ps = p->busy_ps,
				       .outcome = IOM_PRQ_QUEUED};
	return 0;
}

int iom_host_pri_stop(struct iom_host *h, uint32_t rid, uint32_t pasid, uint64_t now_ps,
		      uint64_t *done_ps, struct iom_err *err)
{
	struct iom_host_pri *p = iom_host_pri_of(h);
	*done_ps = now_ps;
	if (!p->q.ops || !iom_u64map_get(&p->seen, rid, NULL))
		return 0;
	struct iom_page_req stop = {.rid = rid, .pasid = pasid, .pasid_valid = true, .last = true};
	struct iom_pri_result res;
	int rc = iom_host_pri_request(h, &stop, now_ps, &res, err);
	if (rc)
		return rc;
	/* iopf_queue_flush_dev(): wait for the thread to have read it */
	if (res.outcome == IOM_PRQ_QUEUED && p->busy_ps > now_ps)
		*done_ps = p->busy_ps;
	p->drains++;
	return 0;
}

int iom_host_pri_drain(struct iom_host *h, uint32_t rid, uint32_t pasid, uint64_t now_ps,
		       uint64_t *done_ps, struct iom_err *err)
{
	struct iom_host_pri *p = iom_host_pri_of(h);
	void *drv;
	const struct iom_host_drv_ops *ops = iom_host_ops(h, &drv);
	*done_ps = now_ps;
	if (!p->q.ops || !ops->prq_drain || !iom_u64map_get(&p->seen, rid, NULL))
		return 0;
	return ops->prq_drain(drv, rid, pasid, now_ps, done_ps, err);
}

static int pri_port_request(void *ctx, const struct iom_page_req *r, uint64_t arrive_ps,
			    struct iom_pri_result *res, struct iom_err *err)
{
	return iom_host_pri_request(ctx, r, arrive_ps, res, err);
}

static const struct iom_pri_port_ops pri_port_ops = {.page_request = pri_port_request};

void iom_host_pri_port(struct iom_host *h, struct iom_pri_port *out)
{
	out->ops = &pri_port_ops;
	out->ctx = h;
}

int iom_host_pri_register_stats(struct iom_host_pri *p, struct iom_stats *s, struct iom_err *err)
{
	int r = 0;
#define PRI_CTR(f, unit, desc)                                                                     \
	if (!r)                                                                                    \
	r = iom_stats_counter(s, "host.pri." #f, unit, desc, &p->f, err)
	PRI_CTR(messages, "msgs", "page requests and stop markers that reached the IOMMU");
	PRI_CTR(page_requests, "msgs", "page requests among them");
	PRI_CTR(stop_markers, "msgs", "stop markers among them");
	PRI_CTR(groups_answered, "groups", "page request groups the handler answered");
	PRI_CTR(resp_success, "groups", "answered Success");
	PRI_CTR(resp_invalid, "groups", "answered Invalid Request");
	PRI_CTR(resp_failure, "groups", "answered Response Failure");
	PRI_CTR(auto_answered, "msgs",
		"requests the IOMMU answered itself (queue overflow: Success; no queue: failure)");
	PRI_CTR(pages_present, "pages", "pages the handler made present (policy handle)");
	PRI_CTR(drains, "ops", "unbinds that sent a stop marker and waited for the handler");
#undef PRI_CTR
	if (!r)
		r = iom_stats_histogram(s, "host.pri.response_latency", "ps",
					"a group's Last request reached the IOMMU -> its response "
					"left (queue wait, service, command)",
					&p->resp_ps, err);
	if (!r)
		r = iom_stats_histogram(s, "host.pri.queue_wait", "ps",
					"an entry written -> the handler thread read it", &p->wait_ps,
					err);
	return r;
}
