/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pri.h - PCIe Page Request Interface (PRI) messages as they travel between
 * a function, the root complex and the IOMMU's page request queue
 * (PCIe Base spec, PRI chapter; algorithms-reference.md 3.4; IHI0070 3.9.1
 * and chapter 8; VT-d spec 7.5).
 *
 *  Page Request: page address [63:12], PRG index [8:0], Last (L), W, R, and
 *      an optional PASID prefix with Exe / Priv.  Requests with the same
 *      requester (and PASID) and PRG index form a group; only the Last one
 *      is answered.
 *  Stop Marker: L = 1, R = W = 0, with a PASID: the function stopped using
 *      that PASID; never answered.
 *  PRG Response: Success, Invalid Request (the page could not be made
 *      present: the access is an error), Response Failure (catastrophic: the
 *      function stops issuing page requests).
 *
 * Two views use these types: the IOMMU hardware's queue (struct iom_prq:
 * models/smmuv3/smmuv3_priq.c, models/vtd/vtd_prq.c), which receives messages
 * and writes them into its in-memory ring or, when the ring overflows,
 * discards them and answers a Last request by itself; and the root complex's
 * port (struct iom_pri_port, served by the host's fault handler), through
 * which a function sends a message and learns when and how it is answered.
 */
#ifndef IOM_MODELS_IOMMU_PRI_H
#define IOM_MODELS_IOMMU_PRI_H

#include "iom.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

struct iom_page_req {
	uint32_t rid;        /* requester ID (segment in [31:16]) = StreamID / source-id */
	uint32_t pasid;      /* valid if pasid_valid */
	uint16_t prgi;       /* PRG index, 9 bits */
	bool pasid_valid;
	bool last, read, write, exec, priv;
	uint64_t addr;       /* page address, 4 KB aligned */
};

static inline bool iom_page_req_is_stop(const struct iom_page_req *r)
{
	return r->pasid_valid && r->last && !r->read && !r->write;
}

/* PRG Response codes (the PCIe Response Code field; VT-d type-9 descriptor
 * values). SMMUv3 CMD_PRI_RESP encodes them differently (smmuv3-regs.h). */
enum iom_prg_code { IOM_PRG_SUCCESS = 0x0, IOM_PRG_INVALID = 0x1, IOM_PRG_FAILURE = 0xf };
static inline const char *iom_prg_code_name(unsigned code)
{
	return code == IOM_PRG_SUCCESS ? "success" : code == IOM_PRG_INVALID ? "invalid"
		     : code == IOM_PRG_FAILURE ? "failure" : "?";
}

/* What the queue did with one received message. */
enum iom_prq_outcome {
	IOM_PRQ_QUEUED = 0,    /* written to the ring */
	IOM_PRQ_DISCARDED,     /* overflow condition: dropped (Last = 0, or a Stop Marker) */
	IOM_PRQ_AUTO_RESPONSE, /* overflow condition: dropped, the hardware answered it */
	IOM_PRQ_OFF,           /* the queue is disabled: dropped, answered Response Failure */
};

struct iom_prq_rx {
	uint32_t outcome;   /* enum iom_prq_outcome */
	uint32_t index;     /* QUEUED: the ring slot */
	uint32_t code;      /* AUTO_RESPONSE / OFF: enum iom_prg_code of the answer */
	bool resp_pasid;    /* the answer carries the request's PASID */
	uint64_t done_ps;   /* entry written / answer sent */
};

/* An IOMMU's page request queue, as the root complex delivers to it. */
struct iom_prq_ops {
	int (*receive)(void *hw, const struct iom_page_req *r, uint64_t now_ps,
		       struct iom_prq_rx *rx, struct iom_err *err);
};
struct iom_prq {
	const struct iom_prq_ops *ops;
	void *hw;
};

/* The answer a function gets for one message. */
struct iom_pri_result {
	bool answered;      /* a PRG Response comes back (Last requests) */
	uint32_t code;      /* enum iom_prg_code */
	uint64_t resp_ps;   /* when the response leaves the root complex for the function */
	uint32_t outcome;   /* enum iom_prq_outcome at the IOMMU */
};

/* The root complex's PRI side, as a function sees it: send one message that
 * reaches the IOMMU at arrive_ps; *res says whether and when it is
 * answered. Messages must be sent in non-decreasing arrive_ps order. */
struct iom_pri_port_ops {
	int (*page_request)(void *ctx, const struct iom_page_req *r, uint64_t arrive_ps,
			    struct iom_pri_result *res, struct iom_err *err);
};
struct iom_pri_port {
	const struct iom_pri_port_ops *ops;
	void *ctx;
};

#ifdef __cplusplus
}
#endif
#endif
