/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vtd_prq.c - the VT-d page request queue: ring in memory, PQH/PQT/PQA/PRS,
 * overflow and automatic responses (vtd_prq.h; VT-d spec 7.5, 10.4).
 *
 * Timing: a queued descriptor costs one timed 32-byte write by "<name>.prq"
 * starting when the message arrives; a discarded one costs nothing.
 */
#include "vtd_prq.h"

#include "mem.h"

#include <stdio.h>
#include <stdlib.h>

struct iom_vtd_prq {
	struct iom_mem *mem;
	char name[40];
	int req;
	uint64_t pqa, pqh, pqt; /* PQH / PQT: byte offsets in the ring */
	uint32_t prs;
	struct iom_vtd_prq_stats st;
};

struct iom_vtd_prq *iom_vtd_prq_create(struct iom_vtd *v, struct iom_mem *mem,
				       struct iom_err *err)
{
	struct iom_vtd_prq *q = calloc(1, sizeof(*q));
	if (!q) {
		iom_err_set(err, IOM_ENOMEM, "vtd prq: out of memory");
		return NULL;
	}
	q->mem = mem;
	snprintf(q->name, sizeof(q->name), "%s.prq", iom_vtd_name(v));
	q->req = iom_mem_requester(mem, q->name);
	if (q->req < 0) {
		iom_err_set(err, IOM_EBUSY, "vtd prq: no memory requester left");
		free(q);
		return NULL;
	}
	return q;
}

void iom_vtd_prq_destroy(struct iom_vtd_prq *q)
{
	free(q);
}

uint64_t iom_vtd_prq_bytes(const struct iom_vtd_prq *q)
{
	return 4096ull << (q->pqa & 7);
}

void iom_vtd_prq_write_pqa(struct iom_vtd_prq *q, uint64_t v)
{
	q->pqa = v & (0x000ffffffffff000ull | 7);
	q->pqh = q->pqt = 0;
}

uint64_t iom_vtd_prq_read_pqa(const struct iom_vtd_prq *q)
{
	return q->pqa;
}

uint64_t iom_vtd_prq_read_pqh(const struct iom_vtd_prq *q)
{
	return q->pqh;
}

uint64_t iom_vtd_prq_read_pqt(const struct iom_vtd_prq *q)
{
	return q->pqt;
}

void iom_vtd_prq_write_pqh(struct iom_vtd_prq *q, uint64_t v)
{
	q->pqh = (v & ~31ull) % iom_vtd_prq_bytes(q);
}

uint32_t iom_vtd_prq_read_prs(const struct iom_vtd_prq *q)
{
	return q->prs;
}

void iom_vtd_prq_write_prs(struct iom_vtd_prq *q, uint32_t v)
{
	q->prs &= ~(v & (VTD_PRS_PPR | VTD_PRS_PRO));
}

static uint64_t prq_used(const struct iom_vtd_prq *q)
{
	uint64_t n = iom_vtd_prq_bytes(q);
	return ((q->pqt + n - q->pqh) % n) / VTD_PRQ_DSC_BYTES;
}

static void prq_discard(struct iom_vtd_prq *q, const struct iom_page_req *r, uint64_t now,
			uint32_t code, bool every, struct iom_prq_rx *rx)
{
	q->st.discarded++;
	rx->outcome = IOM_PRQ_DISCARDED;
	rx->done_ps = now;
	if (!iom_page_req_is_stop(r) && (r->last || every)) {
		rx->outcome = code == IOM_PRG_SUCCESS ? IOM_PRQ_AUTO_RESPONSE : IOM_PRQ_OFF;
		rx->code = code;
		rx->resp_pasid = r->pasid_valid && code == IOM_PRG_SUCCESS;
		q->st.auto_responses++;
	}
}

int iom_vtd_prq_receive(struct iom_vtd_prq *q, const struct iom_page_req *r, uint64_t now_ps,
			struct iom_prq_rx *rx, struct iom_err *err)
{
	(void)err;
	*rx = (struct iom_prq_rx){0};
	q->st.received++;
	q->st.stop_markers += iom_page_req_is_stop(r);
	if (!(q->pqa & ~0xfffull)) {
		q->st.refused++;
		prq_discard(q, r, now_ps, IOM_PRG_FAILURE, true, rx);
		return 0;
	}
	uint64_t n = iom_vtd_prq_bytes(q);
	if (!(q->prs & VTD_PRS_PRO) && (q->pqt + VTD_PRQ_DSC_BYTES) % n == q->pqh) {
		q->prs |= VTD_PRS_PRO;
		q->st.overflows++;
	}
	if (q->prs & VTD_PRS_PRO) {
		prq_discard(q, r, now_ps, IOM_PRG_SUCCESS, false, rx);
		return 0;
	}
	uint64_t d[4];
	vtd_prq_encode(r, d);
	rx->done_ps = iom_mem_timed_write(q->mem, q->req, (q->pqa & ~0xfffull) + q->pqt, d, sizeof(d),
					  now_ps, NULL);
	rx->outcome = IOM_PRQ_QUEUED;
	rx->index = (uint32_t)(q->pqt / VTD_PRQ_DSC_BYTES);
	q->pqt = (q->pqt + VTD_PRQ_DSC_BYTES) % n;
	q->prs |= VTD_PRS_PPR;
	q->st.written++;
	if (prq_used(q) > q->st.max_used)
		q->st.max_used = prq_used(q);
	return 0;
}

static int prq_op_receive(void *hw, const struct iom_page_req *r, uint64_t now_ps,
			  struct iom_prq_rx *rx, struct iom_err *err)
{
	return iom_vtd_prq_receive(hw, r, now_ps, rx, err);
}

static const struct iom_prq_ops prq_ops = {.receive = prq_op_receive};

void iom_vtd_prq_as_prq(struct iom_vtd_prq *q, struct iom_prq *out)
{
	out->ops = &prq_ops;
	out->hw = q;
}

const struct iom_vtd_prq_stats *iom_vtd_prq_stats(const struct iom_vtd_prq *q)
{
	return &q->st;
}

int iom_vtd_prq_register_stats(struct iom_vtd_prq *q, struct iom_stats *s, const char *prefix,
			       struct iom_err *err)
{
	static const struct iom_stats_field c[] = {
#define PQ(f, u, d) IOM_STATS_FIELD(struct iom_vtd_prq_stats, f, u, d)
		PQ(received, "msgs", "page requests and stop markers that reached the queue"),
		PQ(written, "dscs", "page request descriptors written to the queue"),
		PQ(discarded, "msgs", "messages discarded (PRO set, or no queue)"),
		PQ(auto_responses, "msgs", "page group responses the unit generated itself (PRO: "
					    "Success; no queue: Response Failure)"),
		PQ(overflows, "events", "times PRO was set"),
		PQ(refused, "msgs", "messages received without a queue (PQA = 0)"),
		PQ(stop_markers, "msgs", "stop markers received"),
		PQ(max_used, "dscs", "most descriptors held at once"),
#undef PQ
	};
	char n[96];
	snprintf(n, sizeof(n), "%s.prq", prefix);
	return iom_stats_counters(s, n, &q->st, c, IOM_ARRAY_SIZE(c), err);
}
