/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fabric.h - the timing of TLPs through a PCIe topology: every link between
 * a port and the device below it is a time-stepped link (link.h, one serial
 * resource per direction), every switch a cut-through hop of fixed latency.
 *
 * A replayed DMA is cut into pieces and routed by the isolation checker
 * (check.h); for each piece the replay calls iom_pcie_fabric_begin() with the
 * route, then the device model sends the piece's TLPs through the fabric
 * (the hook of models/device/device.h):
 *
 *   to memory     requests climb the links from the requester to the root
 *                 complex (MWr posted; MRd), the IOMMU translates, memory
 *                 answers, read completions (CplD, split by the completer's
 *                 RCB and the path's MPS) go back down;
 *   peer, direct  (ACS lets it through a switch) port to port: up to the
 *                 switch, across, down to the peer; read completions come
 *                 back the same way, or through the root complex when CR at
 *                 the port above the peer redirects them;
 *   peer via RC   (redirected by RR / EC, or between root ports) up to the
 *                 root complex and its IOMMU, then -- because the translated
 *                 address is in a BAR -- down to the peer; completions as
 *                 above.
 *
 * Per-link parameters (generation, width, MPS, MRRS, RCB) come from the
 * `link:` of the functions below each port, else from `pcie.link`; the
 * latencies (link, switch, peer) from `pcie.link`.  docs/pcie.md, "Link
 * timing in the replay", gives the formulas.
 */
#ifndef IOM_MODELS_PCIE_FABRIC_H
#define IOM_MODELS_PCIE_FABRIC_H

#include "link.h"
#include "route.h"
#include "stats.h"
#include "topology.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Links one path may cross (up and down); deeper topologies are refused. */
#define IOM_PCIE_PATH_MAX 32

struct iom_pcie_step {
	uint32_t link;  /* index into fabric->links */
	uint32_t dir;   /* enum iom_pcie_dir on that link */
	uint64_t pre_ps; /* switch latency before the TLP enters this link */
};

/* The links a TLP crosses between two points, in order. */
struct iom_pcie_path {
	uint32_t n;
	uint32_t mps;       /* smallest Max_Payload_Size on the path (completion size) */
	uint32_t rcb;       /* completer's Read Completion Boundary (first link) */
	uint32_t cpl_split; /* completer's split rule (first link) */
	uint64_t post_ps;   /* switch latency after the last link (a switch's own BAR) */
	struct iom_pcie_step s[IOM_PCIE_PATH_MAX];
};

struct iom_pcie_fabric {
	const struct iom_pcie_topo *t; /* not owned */
	struct iom_pcie_link_cfg defaults;
	struct iom_pcie_link *links;
	uint32_t nlinks;
	uint32_t *above;     /* per function: the link to its parent port, IOM_PCIE_NONE */
	uint64_t switch_ps, peer_ps;
	uint64_t horizon_ps; /* no TLP will be ready before it (iom_pcie_fabric_advance) */

	/* the piece in flight (iom_pcie_fabric_begin) */
	uint32_t src, target;
	uint8_t outcome;
	bool cpl_redirected, have_piece;
	struct iom_pcie_path req, cpl; /* to the RC or the peer, and back */
	uint32_t peer_fn, peer_src;    /* the cached paths below: peer reached via the RC */
	struct iom_pcie_path peer_req, peer_cpl;

	/* stats (pcie.fabric.*) */
	uint64_t req_tlps, direct_tlps, redirected_tlps, cpl_tlps;
	struct iom_hist req_latency_ps;  /* request TLP: device -> root complex (or direct peer) */
	struct iom_hist down_latency_ps; /* request TLP: root complex -> peer's BAR (redirected) */
	struct iom_hist cpl_latency_ps;  /* a read request's completions: first ready -> last in */
};

/*
 * The fabric of finalized topology t (kept, not owned) with `defaults` as
 * every link's parameters unless the functions below a port give their own.
 * Errors: a link parameter the link model rejects ("pcie.functions[4]
 * 'nvme0': link: pcie.link.width: expected ..."), a path deeper than the
 * model handles.
 */
struct iom_pcie_fabric *iom_pcie_fabric_create(const struct iom_pcie_topo *t,
					       const struct iom_pcie_link_cfg *defaults,
					       struct iom_err *err);
void iom_pcie_fabric_destroy(struct iom_pcie_fabric *f);

/* pcie.fabric.* and every link's pcie.link.<port>.{up,down}.* (link.h). */
int iom_pcie_fabric_register_stats(struct iom_pcie_fabric *f, struct iom_stats *s,
				   struct iom_err *err);

/* The Max_Payload_Size (smallest on its path to the root complex) and
 * Max_Read_Request_Size (its own link) function fn's DMA engine uses. */
void iom_pcie_fabric_dev_limits(const struct iom_pcie_fabric *f, uint32_t fn, uint32_t *mps,
				uint32_t *mrrs);

/* The path from function a to function b (IOM_PCIE_NONE = the root
 * complex), through their lowest common switch or bridge, or through the
 * root complex when they have none. */
void iom_pcie_fabric_path(struct iom_pcie_fabric *f, uint32_t a, uint32_t b,
			  struct iom_pcie_path *p);
/* The same, forced through the root complex (up from a, down to b). */
void iom_pcie_fabric_path_via_rc(struct iom_pcie_fabric *f, uint32_t a, uint32_t b,
				 struct iom_pcie_path *p);

/* Send one TLP along p, ready at ready_ps: returns when its last byte has
 * arrived at the end (cut-through at every hop; see fabric.c). */
uint64_t iom_pcie_fabric_send(struct iom_pcie_fabric *f, const struct iom_pcie_path *p,
			      uint64_t ready_ps, enum iom_pcie_tlp kind, uint32_t len,
			      uint64_t addr);

/* No TLP will be ready before t from now on (the links forget what ended
 * before it).  Never moves back. */
static inline void iom_pcie_fabric_advance(struct iom_pcie_fabric *f, uint64_t t)
{
	if (t > f->horizon_ps)
		f->horizon_ps = t;
}

/* The next piece: requester src, routed as r (outcome IOMMU or P2P).
 * Always 0 today (err for paths that may fail later). */
int iom_pcie_fabric_begin(struct iom_pcie_fabric *f, uint32_t src, const struct iom_pcie_route *r,
			  struct iom_err *err);

/* The device hook (device.h), for the piece begun last. */
uint64_t iom_pcie_fabric_request(struct iom_pcie_fabric *f, uint64_t ready_ps, uint64_t addr,
				 uint32_t len, bool write, bool *to_iommu);
bool iom_pcie_fabric_peer(struct iom_pcie_fabric *f, uint64_t ready_ps, uint64_t pa, uint32_t len,
			  bool write, uint64_t *done_ps);
uint64_t iom_pcie_fabric_completions(struct iom_pcie_fabric *f, uint64_t ready_ps, uint64_t pa,
				     uint32_t len);

#ifdef __cplusplus
}
#endif
#endif
