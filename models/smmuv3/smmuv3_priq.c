/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smmuv3_priq.c - the SMMUv3 PRI queue: ring in memory, registers, overflow
 * and automatic responses (smmuv3_priq.h; IHI0070 G.b chapter 8, 6.3.x).
 *
 * Timing: a queued message costs one timed 16-byte write by "<name>.priq"
 * starting when it arrives; a discarded one costs nothing (the automatic
 * response leaves at once).  Register accesses are untimed stand-ins.
 */
#include "smmuv3_priq.h"

#include "mem.h"

#include <stdio.h>
#include <stdlib.h>

struct iom_smmu_priq {
	struct iom_mem *mem;
	char name[40];
	int req;
	bool enabled;        /* CR0.PRIQEN */
	uint64_t base;       /* PRIQ_BASE.ADDR */
	uint32_t log2;       /* PRIQ_BASE.LOG2SIZE */
	uint32_t prod, cons; /* WR / RD with the wrap bit at log2 */
	bool ovflg, ovackflg;
	struct iom_smmu_priq_stats st;
};

struct iom_smmu_priq *iom_smmu_priq_create(struct iom_smmu *smmu, struct iom_mem *mem,
					   struct iom_err *err)
{
	struct iom_smmu_priq *q = calloc(1, sizeof(*q));
	if (!q) {
		iom_err_set(err, IOM_ENOMEM, "smmu priq: out of memory");
		return NULL;
	}
	q->mem = mem;
	snprintf(q->name, sizeof(q->name), "%s.priq", iom_smmu_name(smmu));
	q->req = iom_mem_requester(mem, q->name);
	if (q->req < 0) {
		iom_err_set(err, IOM_EBUSY, "smmu priq: no memory requester left");
		free(q);
		return NULL;
	}
	return q;
}

void iom_smmu_priq_destroy(struct iom_smmu_priq *q)
{
	free(q);
}

void iom_smmu_priq_write_base(struct iom_smmu_priq *q, uint64_t v)
{
	q->log2 = (uint32_t)(v & 0x1f);
	if (q->log2 > SMMU_PRIQ_MAX_LOG2)
		q->log2 = SMMU_PRIQ_MAX_LOG2;
	q->base = v & 0x000fffffffffffe0ull;
	q->prod = q->cons = 0;
	q->ovflg = q->ovackflg = false;
}

void iom_smmu_priq_enable(struct iom_smmu_priq *q, bool on)
{
	q->enabled = on;
}

uint32_t iom_smmu_priq_read_prod(const struct iom_smmu_priq *q)
{
	return q->prod | (q->ovflg ? SMMU_PRIQ_OVFLG : 0);
}

uint32_t iom_smmu_priq_read_cons(const struct iom_smmu_priq *q)
{
	return q->cons | (q->ovackflg ? SMMU_PRIQ_OVFLG : 0);
}

void iom_smmu_priq_write_cons(struct iom_smmu_priq *q, uint32_t v)
{
	q->cons = v & ((2u << q->log2) - 1);
	q->ovackflg = (v & SMMU_PRIQ_OVFLG) != 0;
}

uint64_t iom_smmu_priq_base(const struct iom_smmu_priq *q)
{
	return q->base;
}

uint32_t iom_smmu_priq_log2(const struct iom_smmu_priq *q)
{
	return q->log2;
}

static uint32_t priq_used(const struct iom_smmu_priq *q)
{
	return (q->prod - q->cons) & ((2u << q->log2) - 1);
}

/* Discarded: a page request with Last = 1 gets the automatic response. */
static void priq_discard(struct iom_smmu_priq *q, const struct iom_page_req *r, uint64_t now,
			 uint32_t code, bool every, struct iom_prq_rx *rx)
{
	bool stop = iom_page_req_is_stop(r);
	q->st.discarded++;
	rx->outcome = IOM_PRQ_DISCARDED;
	rx->done_ps = now;
	if (!stop && (r->last || every)) {
		rx->outcome = code == IOM_PRG_SUCCESS ? IOM_PRQ_AUTO_RESPONSE : IOM_PRQ_OFF;
		rx->code = code;
		rx->resp_pasid = code == IOM_PRG_SUCCESS && r->pasid_valid; /* IDR3.PPS = 1 */
		q->st.auto_responses++;
	}
}

int iom_smmu_priq_receive(struct iom_smmu_priq *q, const struct iom_page_req *r, uint64_t now_ps,
			  struct iom_prq_rx *rx, struct iom_err *err)
{
	(void)err;
	*rx = (struct iom_prq_rx){0};
	q->st.received++;
	q->st.stop_markers += iom_page_req_is_stop(r);
	if (!q->enabled) { /* 8.2: every page request answered Response Failure */
		q->st.refused++;
		priq_discard(q, r, now_ps, IOM_PRG_FAILURE, true, rx);
		return 0;
	}
	if (q->ovflg == q->ovackflg && priq_used(q) == (1u << q->log2)) {
		q->ovflg = !q->ovflg; /* 8.1: the overflow condition starts */
		q->st.overflows++;
	}
	if (q->ovflg != q->ovackflg) {
		priq_discard(q, r, now_ps, IOM_PRG_SUCCESS, false, rx);
		return 0;
	}
	uint64_t e[2] = {smmu_priq_w0(r), smmu_priq_w1(r)};
	uint32_t idx = q->prod & ((1u << q->log2) - 1);
	rx->done_ps = iom_mem_timed_write(q->mem, q->req, q->base + (uint64_t)idx * SMMU_PRIQ_ENT_BYTES,
					  e, sizeof(e), now_ps, NULL);
	rx->outcome = IOM_PRQ_QUEUED;
	rx->index = idx;
	q->prod = (q->prod + 1) & ((2u << q->log2) - 1);
	q->st.written++;
	if (priq_used(q) > q->st.max_used)
		q->st.max_used = priq_used(q);
	return 0;
}

static int priq_op_receive(void *hw, const struct iom_page_req *r, uint64_t now_ps,
			   struct iom_prq_rx *rx, struct iom_err *err)
{
	return iom_smmu_priq_receive(hw, r, now_ps, rx, err);
}

static const struct iom_prq_ops priq_ops = {.receive = priq_op_receive};

void iom_smmu_priq_as_prq(struct iom_smmu_priq *q, struct iom_prq *out)
{
	out->ops = &priq_ops;
	out->hw = q;
}

const struct iom_smmu_priq_stats *iom_smmu_priq_stats(const struct iom_smmu_priq *q)
{
	return &q->st;
}

int iom_smmu_priq_register_stats(struct iom_smmu_priq *q, struct iom_stats *s, const char *prefix,
				 struct iom_err *err)
{
	static const struct iom_stats_field c[] = {
#define PQ(f, u, d) IOM_STATS_FIELD(struct iom_smmu_priq_stats, f, u, d)
		PQ(received, "msgs", "page requests and stop markers that reached the PRI queue"),
		PQ(written, "entries", "entries written to the queue"),
		PQ(discarded, "msgs", "messages discarded (overflow condition or PRIQEN = 0)"),
		PQ(auto_responses, "msgs", "PRG responses the SMMU generated itself (overflow: "
					    "Success; PRIQEN = 0: Response Failure)"),
		PQ(overflows, "events", "overflow conditions entered (OVFLG toggled)"),
		PQ(refused, "msgs", "messages received while PRIQEN = 0"),
		PQ(stop_markers, "msgs", "stop markers received"),
		PQ(max_used, "entries", "most entries held at once"),
#undef PQ
	};
	char n[96];
	snprintf(n, sizeof(n), "%s.priq", prefix);
	return iom_stats_counters(s, n, &q->st, c, IOM_ARRAY_SIZE(c), err);
}
