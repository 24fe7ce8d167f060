/* SPDX-License-Identifier: Apache-2.0 */
/*
 * route.h - where a memory request TLP goes in the fabric: up to the root
 * complex and its IOMMU, straight to a peer function (peer-to-peer that
 * bypasses the IOMMU), or nowhere (an ACS violation or an unsupported
 * request) -- decided hop by hop by the ACS controls of the ports it
 * crosses; and the isolation check on the outcome.
 *
 * The request is decoded against every BAR of the topology (its address is
 * the untranslated IOVA, or a translated address with AT = translated): an
 * address no BAR claims is memory and goes upstream.  The path and the
 * deciding port and ACS bit are recorded (docs/pcie.md, "Routing").
 */
#ifndef IOM_MODELS_PCIE_ROUTE_H
#define IOM_MODELS_PCIE_ROUTE_H

#include "topology.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IOM_PCIE_ROUTE_MAX_HOPS 24

enum iom_pcie_outcome {
	IOM_ROUTE_IOMMU = 0, /* reached the root complex: translated/checked by the IOMMU */
	IOM_ROUTE_P2P,       /* delivered to a peer function without the IOMMU */
	IOM_ROUTE_BLOCKED,   /* ACS violation or unsupported request at a port */
};

/* What decided the outcome (the last decision on the path). */
enum iom_pcie_reason {
	IOM_RR_MEMORY = 0,  /* no BAR claims the address: upstream to the root */
	IOM_RR_ROOT,        /* peer below the root complex: the RC sends it to the IOMMU */
	IOM_RR_REDIRECT,    /* P2P Request Redirect (RR) at `port` sent it up */
	IOM_RR_EC_REDIRECT, /* Egress Control vector bit + RR at `port` */
	IOM_RR_DIRECT,      /* RR clear (or no ACS) at `port`: routed to the peer */
	IOM_RR_DT,          /* Direct Translated P2P (DT) at `port`, translated request */
	IOM_RR_INTERNAL,    /* inside a multifunction device without RR: function to function */
	IOM_RR_PCI_BUS,     /* on a conventional PCI bus: every device sees it, no ACS */
	IOM_RR_SV,          /* blocked: Source Validation at `port`, requester bus outside */
	IOM_RR_TB,          /* blocked: Translation Blocking at `port`, AT != untranslated */
	IOM_RR_EC_BLOCK,    /* blocked: Egress Control vector bit set, RR clear at `port` */
	IOM_RR_UF,          /* blocked: target below the ingress port itself, UF clear */
	IOM_RR_REASONS
};

struct iom_pcie_route_req {
	uint64_t addr;  /* first byte */
	uint8_t at;     /* IOM_PCIE_AT_* */
	bool read;      /* a read: its completions return from the target */
	bool relaxed;   /* Relaxed Ordering attribute (completions then ignore CR) */
	bool rid_given; /* rid below is the requester ID (spoofing tests); else f's */
	uint16_t rid;
};

struct iom_pcie_hop {
	uint32_t fn;    /* function crossed (IOM_PCIE_NONE = the root complex) */
	uint8_t action; /* enum iom_pcie_hop_action */
};
enum iom_pcie_hop_action {
	IOM_HOP_SOURCE = 0,
	IOM_HOP_UP,
	IOM_HOP_ACROSS,
	IOM_HOP_DOWN,
	IOM_HOP_TARGET,
	IOM_HOP_RC,
	IOM_HOP_STOP,
};

struct iom_pcie_route {
	uint8_t outcome; /* enum iom_pcie_outcome */
	uint8_t reason;  /* enum iom_pcie_reason */
	uint32_t target; /* function whose BAR holds the address, NONE for memory */
	uint8_t target_bar;
	uint32_t port;       /* the port (or function) whose setting decided, NONE */
	uint16_t bit;        /* the ACS bit that decided (0 if none, e.g. no capability) */
	bool bit_set;        /* its value there */
	bool cpl_redirected; /* read completions redirected upstream by CR */
	uint16_t iommu_rid;  /* requester ID seen at the root (DMA alias), outcome IOMMU */
	uint8_t nhops;
	bool hops_truncated;
	struct iom_pcie_hop hops[IOM_PCIE_ROUTE_MAX_HOPS];
};

/* Route one request from function src. The topology must be finalized. */
void iom_pcie_route(const struct iom_pcie_topo *t, uint32_t src, const struct iom_pcie_route_req *q,
                    struct iom_pcie_route *out);

/* Isolation: a request that reached another function without the IOMMU
 * must stay inside its group (groups computed).  true = violation. */
static inline bool iom_pcie_isolation_violated(const struct iom_pcie_topo *t, uint32_t src,
                                               const struct iom_pcie_route *r)
{
	return r->outcome == IOM_ROUTE_P2P && r->target != IOM_PCIE_NONE && r->target != src &&
	       t->fns[src].group != t->fns[r->target].group;
}

const char *iom_pcie_outcome_name(unsigned o);
const char *iom_pcie_reason_name(unsigned r);
/* "03:00.0 -> 02:01.0 (downstream_port) -> ... -> 04:00.0" */
const char *iom_pcie_route_path_str(const struct iom_pcie_topo *t, const struct iom_pcie_route *r,
                                    char *buf, size_t sz);
/* "RR clear at downstream port 02:01.0" -- the decision in words. */
const char *iom_pcie_route_why_str(const struct iom_pcie_topo *t, const struct iom_pcie_route *r,
                                   char *buf, size_t sz);

#ifdef __cplusplus
}
#endif
#endif
