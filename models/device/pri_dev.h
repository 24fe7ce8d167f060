/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pri_dev.h - a PCIe function's Page Request Interface (PCIe Base spec, PRI
 * chapter; algorithms-reference.md 3.4): when an ATS Translation Request
 * comes back with no access (R = W = 0), the function asks the host to make
 * the page present with a page request group, waits for the PRG Response,
 * and retries the translation.
 *
 *  group: one Page Request for the faulting page (Last = 1), R (and W for a
 *      write, Exe / Priv from the PASID prefix), a PRG index from a counter
 *      (9 bits, wrapping);
 *  credits: at most `capacity` requests outstanding (the Outstanding Page
 *      Request Allocation the host programmed); a request waits for a
 *      credit, which comes back with its group's response;
 *  response: Success -> retry the Translation Request (at most max_retries
 *      times per access); Invalid Request -> the access fails; Response
 *      Failure -> the access fails and the function stops issuing page
 *      requests (PRI Status.Response Failure; cleared only by a reset);
 *  timing: each message crosses the link in link_latency_ns each way.
 * Stop markers are sent on the host's unbind path (host_pri.c), not here.
 */
#ifndef IOM_MODELS_DEVICE_PRI_DEV_H
#define IOM_MODELS_DEVICE_PRI_DEV_H

#include "iom.h"
#include "iommu.h"
#include "pri.h"
#include "stats.h"

#ifdef __cplusplus
extern "C" {
#endif

struct iom_prop_table;

struct iom_pri_dev_cfg {
	bool enable;              /* functions have PRI enabled */
	uint32_t capacity;        /* Outstanding Page Request Allocation */
	uint64_t link_latency_ns; /* one-way function <-> root complex latency of a message */
	uint32_t max_retries;     /* Translation Requests retried after a Success, per access */
};
extern const struct iom_prop_table iom_pri_dev_prop_table; /* "device.pri" */

struct iom_pri_fn {
	struct iom_pri_dev_cfg cfg;
	uint32_t rid;
	struct iom_pri_port port;
	uint32_t next_prgi;
	bool failed;        /* PRI Status.Response Failure: no more page requests */
	uint64_t *credits;  /* when each outstanding request's credit comes back, sorted */
	uint32_t ncredits;
	/* stats */
	uint64_t requests, groups, success, invalid, failure, retries, gave_up, credit_waits;
	struct iom_hist fault_ps; /* request sent -> response back at the function */
};

int iom_pri_fn_init(struct iom_pri_fn *f, const struct iom_pri_dev_cfg *cfg, uint32_t rid,
		    const struct iom_pri_port *port, struct iom_err *err);
void iom_pri_fn_fini(struct iom_pri_fn *f);

/*
 * The translation of (t->rid, PASID of t, t->iova) was denied at now_ps
 * (the completion reached the function). Send the page request group and
 * wait for its response. Returns 1 with *retry_ps = when to send the
 * Translation Request again (Success), 0 if the access must fail (*code =
 * the response, or IOM_PRG_FAILURE when the function no longer sends page
 * requests), or -IOM_E*.
 */
int iom_pri_fn_fault(struct iom_pri_fn *f, const struct iom_txn *t, uint64_t now_ps,
		     uint64_t *retry_ps, uint32_t *code, struct iom_err *err);

/* <name>.pri.* */
int iom_pri_fn_register_stats(struct iom_pri_fn *f, struct iom_stats *s, const char *name,
			      struct iom_err *err);

#ifdef __cplusplus
}
#endif
#endif
