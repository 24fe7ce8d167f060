/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pri_dev.c - a function's Page Request Interface (pri_dev.h).
 */
#include "pri_dev.h"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct iom_pri_dev_cfg pri_defaults = {
	.enable = false,
	.capacity = 32,
	.link_latency_ns = 250,
	.max_retries = 3,
};

static const struct iom_prop pri_props[] = {
	IOM_PROP_BOOL_(struct iom_pri_dev_cfg, enable,
		       "functions have PRI enabled: a Translation Request answered with no access "
		       "(R = W = 0) becomes a page request, and the translation is retried after a "
		       "Success response"),
	IOM_PROP_U32_(struct iom_pri_dev_cfg, capacity, 1, 1u << 20, "requests",
		      "Outstanding Page Request Allocation: page requests a function may have "
		      "outstanding"),
	IOM_PROP_U64_(struct iom_pri_dev_cfg, link_latency_ns, 0, 1ull << 30, "ns",
		      "one-way function <-> root complex latency of a page request or response"),
	IOM_PROP_U32_(struct iom_pri_dev_cfg, max_retries, 1, 64, "",
		      "Translation Requests an access retries after Success responses before it "
		      "fails"),
};

const struct iom_prop_table iom_pri_dev_prop_table = {
	.section = "device.pri",
	.doc = "PCIe Page Request Interface of the functions (with device.ats)",
	.props = pri_props,
	.nprops = IOM_ARRAY_SIZE(pri_props),
	.defaults = &pri_defaults,
	.struct_size = sizeof(struct iom_pri_dev_cfg),
};

int iom_pri_fn_init(struct iom_pri_fn *f, const struct iom_pri_dev_cfg *cfg, uint32_t rid,
		    const struct iom_pri_port *port, struct iom_err *err)
{
	memset(f, 0, sizeof(*f));
	f->cfg = *cfg;
	f->rid = rid;
	f->port = *port;
	f->credits = calloc(cfg->capacity ? cfg->capacity : 1, sizeof(*f->credits));
	if (!f->credits)
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	iom_hist_init(&f->fault_ps);
	return 0;
}

void iom_pri_fn_fini(struct iom_pri_fn *f)
{
	free(f->credits);
	f->credits = NULL;
}

/* A credit at t: the earliest time >= t at which fewer than capacity
 * requests are outstanding (credits that came back by then are dropped). */
static uint64_t pri_credit(struct iom_pri_fn *f, uint64_t t)
{
	uint32_t keep = 0;
	for (uint32_t i = 0; i < f->ncredits; i++)
		if (f->credits[i] > t)
			f->credits[keep++] = f->credits[i];
	f->ncredits = keep;
	if (f->ncredits < f->cfg.capacity)
		return t;
	f->credit_waits++;
	t = f->credits[0]; /* sorted: the first to come back */
	memmove(f->credits, f->credits + 1, (f->ncredits - 1) * sizeof(*f->credits));
	f->ncredits--;
	return t;
}

static void pri_credit_hold(struct iom_pri_fn *f, uint64_t until)
{
	uint32_t i = f->ncredits;
	while (i && f->credits[i - 1] > until) {
		f->credits[i] = f->credits[i - 1];
		i--;
	}
	f->credits[i] = until;
	f->ncredits++;
}

int iom_pri_fn_fault(struct iom_pri_fn *f, const struct iom_txn *t, uint64_t now_ps,
		     uint64_t *retry_ps, uint32_t *code, struct iom_err *err)
{
	*retry_ps = now_ps;
	*code = IOM_PRG_FAILURE;
	if (!f->cfg.enable || f->failed || !f->port.ops)
		return 0;
	bool pv = t->flags & IOM_TXN_PASID_VALID;
	struct iom_page_req r = {.rid = f->rid,
				 .pasid = pv ? t->pasid : 0,
				 .pasid_valid = pv,
				 .prgi = (uint16_t)(f->next_prgi++ & 0x1ff),
				 .last = true,
				 .read = true,
				 .write = t->write != 0,
				 .exec = pv && (t->flags & IOM_TXN_EXEC),
				 .priv = pv && (t->flags & IOM_TXN_PRIV),
				 .addr = t->iova & ~0xfffull};
	uint64_t send = pri_credit(f, now_ps), link = f->cfg.link_latency_ns * 1000;
	struct iom_pri_result res;
	int rc = f->port.ops->page_request(f->port.ctx, &r, send + link, &res, err);
	if (rc)
		return rc;
	f->requests++;
	f->groups++;
	if (!res.answered) /* cannot happen for a Last page request; be safe */
		return iom_err_set(err, IOM_EIO, "PRI: page request group %u of %02x:%02x.%x got "
				   "no response", r.prgi, (f->rid >> 8) & 0xff, (f->rid >> 3) & 0x1f,
				   f->rid & 7);
	uint64_t back = res.resp_ps + link;
	pri_credit_hold(f, back);
	iom_hist_add(&f->fault_ps, back - send);
	*code = res.code;
	*retry_ps = back;
	f->success += res.code == IOM_PRG_SUCCESS;
	f->invalid += res.code == IOM_PRG_INVALID;
	f->failure += res.code == IOM_PRG_FAILURE;
	if (res.code == IOM_PRG_FAILURE)
		f->failed = true;
	return res.code == IOM_PRG_SUCCESS;
}

int iom_pri_fn_register_stats(struct iom_pri_fn *f, struct iom_stats *s, const char *name,
			      struct iom_err *err)
{
	static const struct {
		const char *n, *unit, *desc;
		size_t off;
	} c[] = {
#define PC(x, u, d) {#x, u, d, offsetof(struct iom_pri_fn, x)}
		PC(requests, "msgs", "page requests sent"),
		PC(groups, "groups", "page request groups sent"),
		PC(success, "groups", "answered Success"),
		PC(invalid, "groups", "answered Invalid Request"),
		PC(failure, "groups", "answered Response Failure (PRI stopped)"),
		PC(retries, "treqs", "Translation Requests retried after a Success"),
		PC(gave_up, "accesses", "accesses that failed after max_retries Successes"),
		PC(credit_waits, "msgs", "page requests that waited for a credit"),
#undef PC
	};
	char n[96];
	int r = 0;
	for (size_t i = 0; i < IOM_ARRAY_SIZE(c) && !r; i++) {
		snprintf(n, sizeof(n), "%s.pri.%s", name, c[i].n);
		r = iom_stats_counter(s, n, c[i].unit, c[i].desc, (uint64_t *)((char *)f + c[i].off),
				      err);
	}
	snprintf(n, sizeof(n), "%s.pri.fault_latency", name);
	if (!r)
		r = iom_stats_histogram(s, n, "ps", "page request sent -> response back", &f->fault_ps,
					err);
	return r;
}
