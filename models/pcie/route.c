/* SPDX-License-Identifier: Apache-2.0 */
/*
 * route.c - TLP routing through the PCIe fabric under ACS (route.h).
 *
 * Source: algorithms-reference.md 4.1 (ACS bits) and 4.2 (the peer-to-peer
 * routing decision at a switch), PCIe Base Specification 6.12 (ACS) as the
 * reference summarises it.  A memory request climbs from its requester;
 * at each port it enters from below:
 *
 *   1. SV (root and downstream ports): the requester ID's bus must lie in
 *      [secondary, subordinate], else an ACS violation;
 *   2. TB: a request with AT != untranslated is an ACS violation;
 *   3. a target below the port itself (the port's own range) needs UF to go
 *      up again; without UF it is an unsupported request;
 *   4. a target across the switch (below a sibling downstream port, or the
 *      switch's own BARs) is peer-to-peer: DT with a translated request ->
 *      to the peer; EC with the target port's egress bit -> redirected if RR
 *      is set, blocked if not (PCIe 6.12.3, "P2P Egress Control"); RR ->
 *      redirected up; otherwise -> to the peer, the IOMMU never sees it;
 *   5. at a root port, a target below another root port goes to the root
 *      complex, which sends it to the translation agent -- Linux's
 *      assumption, which is why it keeps separate root ports in separate
 *      groups -- except between the functions of one multifunction root port
 *      (the Intel PCH case), where step 4 applies with the ingress port's
 *      controls;
 *   6. on a conventional PCI bus every device sees the request: a target on
 *      the same bus takes it, no ACS exists there.
 * Inside a multifunction device a request for another function of the same
 * device is decided by the requesting function's own ACS (DT, EC, RR); an
 * Intel-style quirk that declares "no peer-to-peer between functions" acts
 * as RR.  The "effective" controls of a port are its ACS control register
 * (bits the capability advertises) or what an ACS quirk provides.
 * Completions of a peer-to-peer read enter the fabric at the port above the
 * target; CR there redirects them upstream unless Relaxed Ordering is set.
 *
 * Not modelled: address decoding by bridge windows (an address inside a
 * window that no BAR claims is treated as memory), ACS Enhanced, I/O and
 * configuration requests, routing back down from the root complex after
 * translation (P2P through the host bridge), SR-IOV.
 * Timing: none (link.c times the hops).
 */
#include "route.h"

#include "quirks.h"

#include <string.h>

static const char *const outcome_names[] = {"iommu", "p2p", "blocked"};
static const char *const reason_names[IOM_RR_REASONS] = {
    "memory",
    "root_complex",
    "redirect",
    "egress_redirect",
    "direct",
    "direct_translated",
    "internal",
    "pci_bus",
    "source_validation",
    "translation_blocking",
    "egress_blocked",
    "no_upstream_forwarding",
};

const char *iom_pcie_outcome_name(unsigned o)
{
	return o < IOM_ARRAY_SIZE(outcome_names) ? outcome_names[o] : "?";
}

const char *iom_pcie_reason_name(unsigned r)
{
	return r < IOM_RR_REASONS ? reason_names[r] : "?";
}

static void hop(struct iom_pcie_route *r, uint32_t fn, uint8_t action)
{
	if (r->nhops == IOM_PCIE_ROUTE_MAX_HOPS) {
		r->hops_truncated = true;
		r->hops[r->nhops - 1] = (struct iom_pcie_hop){fn, action};
		return;
	}
	r->hops[r->nhops++] = (struct iom_pcie_hop){fn, action};
}

static void decide(struct iom_pcie_route *r, uint8_t outcome, uint8_t reason, uint32_t port,
                   uint16_t bit, bool set)
{
	r->outcome = outcome;
	r->reason = reason;
	r->port = port;
	r->bit = bit;
	r->bit_set = set;
}

/* Append the hops from just below `top` down to t (exclusive of top). */
static void hops_down(const struct iom_pcie_topo *t, struct iom_pcie_route *r, uint32_t top,
                      uint32_t target)
{
	uint32_t chain[64];
	unsigned n = 0;
	for (uint32_t p = t->fns[target].parent; p != top && p != IOM_PCIE_NONE && n < 64;
	     p = t->fns[p].parent)
		chain[n++] = p;
	while (n)
		hop(r, chain[--n], IOM_HOP_DOWN);
	hop(r, target, IOM_HOP_TARGET);
}

/* The child of `anc` whose subtree holds f (f itself if its parent is anc). */
static uint32_t child_toward(const struct iom_pcie_topo *t, uint32_t f, uint32_t anc)
{
	for (uint32_t n = 0; f != IOM_PCIE_NONE && n < 512; n++) {
		if (t->fns[f].parent == anc)
			return f;
		f = t->fns[f].parent;
	}
	return IOM_PCIE_NONE;
}

enum p2p_verdict { V_DIRECT, V_DT, V_REDIRECT, V_EC_REDIRECT, V_EC_BLOCK };

/* Step 4: the peer-to-peer decision at ingress `port` toward egress port
 * number `egress` (-1: no egress port, e.g. the switch itself). */
static enum p2p_verdict p2p_decide(uint16_t acs, const struct iom_pcie_route_req *q, int egress,
                                   uint64_t vector, uint16_t *bit)
{
	if (q->at == IOM_PCIE_AT_TRANSLATED && (acs & IOM_ACS_DT)) {
		*bit = IOM_ACS_DT;
		return V_DT;
	}
	if ((acs & IOM_ACS_EC) && egress >= 0 && egress < 64 && ((vector >> egress) & 1)) {
		*bit = IOM_ACS_EC;
		return (acs & IOM_ACS_RR) ? V_EC_REDIRECT : V_EC_BLOCK;
	}
	*bit = IOM_ACS_RR;
	return (acs & IOM_ACS_RR) ? V_REDIRECT : V_DIRECT;
}

/* Record a P2P decision; returns true if the request keeps climbing. */
static bool p2p_apply(struct iom_pcie_route *r, enum p2p_verdict v, uint32_t port, uint16_t bit,
                      bool has_acs)
{
	switch (v) {
	case V_DT:
		decide(r, IOM_ROUTE_P2P, IOM_RR_DT, port, IOM_ACS_DT, true);
		return false;
	case V_EC_BLOCK:
		decide(r, IOM_ROUTE_BLOCKED, IOM_RR_EC_BLOCK, port, IOM_ACS_EC, true);
		return false;
	case V_EC_REDIRECT:
		decide(r, IOM_ROUTE_IOMMU, IOM_RR_EC_REDIRECT, port, IOM_ACS_EC, true);
		return true;
	case V_REDIRECT:
		decide(r, IOM_ROUTE_IOMMU, IOM_RR_REDIRECT, port, IOM_ACS_RR, true);
		return true;
	case V_DIRECT:
		decide(r, IOM_ROUTE_P2P, IOM_RR_DIRECT, port, has_acs ? bit : 0, false);
		return false;
	}
	return false;
}

/* The controls in effect at f (cached by iom_pcie_topo_refresh). */
static uint16_t acs_of(const struct iom_pcie_topo *t, uint32_t f)
{
	return t->acs_eff ? t->acs_eff[f] : iom_pcie_acs_effective(t, f);
}

static bool is_acs_port(unsigned type)
{
	return type == IOM_PCIE_ROOT_PORT || type == IOM_PCIE_DOWNSTREAM;
}

static bool fn_has_acs(const struct iom_pcie_topo *t, uint32_t f)
{
	uint16_t q;
	return t->fns[f].acs || iom_pcie_quirk_acs_provided(t, f, &q);
}

/* Completions of a P2P read enter at `entry` (the port above the target, or
 * the target for an internal transfer): CR there sends them up unless RO. */
static void cpl_check(const struct iom_pcie_topo *t, struct iom_pcie_route *r, uint32_t entry,
                      const struct iom_pcie_route_req *q)
{
	if (q->read && !q->relaxed && entry != IOM_PCIE_NONE && (acs_of(t, entry) & IOM_ACS_CR))
		r->cpl_redirected = true;
}

/* The requester ID after the request crosses bridge b going up. */
static uint16_t rid_through(const struct iom_pcie_fn *b, uint16_t rid)
{
	if (b->type == IOM_PCIE_PCIE_TO_PCI ||
	    (b->type == IOM_PCIE_PCI_BRIDGE && b->pcie_bridge_alias))
		return (uint16_t)(b->secondary << 8);
	if (b->type == IOM_PCIE_PCI_TO_PCIE || b->type == IOM_PCIE_PCI_BRIDGE)
		return iom_pcie_rid(b);
	return rid;
}

void iom_pcie_route(const struct iom_pcie_topo *t, uint32_t src, const struct iom_pcie_route_req *q,
                    struct iom_pcie_route *r)
{
	/* not memset: the hop array is filled as far as nhops says */
	r->outcome = IOM_ROUTE_IOMMU;
	r->reason = IOM_RR_MEMORY;
	r->port = IOM_PCIE_NONE;
	r->bit = 0;
	r->bit_set = false;
	r->cpl_redirected = false;
	r->iommu_rid = 0;
	r->nhops = 0;
	r->hops_truncated = false;
	r->target_bar = 0;
	r->target = iom_pcie_decode(t, q->addr, &r->target_bar);
	const uint32_t T = r->target;
	const struct iom_pcie_fn *S = &t->fns[src];
	uint16_t rid = q->rid_given ? q->rid : iom_pcie_rid(S);
	if (!q->rid_given)
		for (unsigned w = 0; w < 4; w++)
			if (S->dma_alias[w]) {
				rid = (uint16_t)(S->bus << 8 | (w * 64 + (unsigned)__builtin_ctzll(
				                                             S->dma_alias[w])));
				break;
			}
	hop(r, src, IOM_HOP_SOURCE);

	/* the common case: untranslated, to memory -- SV passes for the
	 * requester's own ID, TB does not apply; only the path is recorded */
	if (T == IOM_PCIE_NONE && q->at == IOM_PCIE_AT_UNTRANSLATED && !q->rid_given) {
		for (uint32_t p = S->parent, n = 0; p != IOM_PCIE_NONE && n < 512;
		     p = t->fns[p].parent, n++) {
			hop(r, p, IOM_HOP_UP);
			rid = rid_through(&t->fns[p], rid);
		}
		r->reason = IOM_RR_MEMORY;
		r->iommu_rid = rid;
		hop(r, IOM_PCIE_NONE, IOM_HOP_RC);
		return;
	}

	/* inside the requester's own multifunction device */
	if (T != IOM_PCIE_NONE && T != src && t->fns[T].busidx == S->busidx &&
	    iom_pcie_slot(&t->fns[T]) == iom_pcie_slot(S)) {
		uint16_t acs = acs_of(t, src), bit;
		enum p2p_verdict v =
		    p2p_decide(acs, q, (int)iom_pcie_func(&t->fns[T]), S->acs_egress, &bit);
		if (!p2p_apply(r, v, src, bit, fn_has_acs(t, src))) {
			if (r->outcome == IOM_ROUTE_P2P) {
				if (r->reason == IOM_RR_DIRECT)
					r->reason = IOM_RR_INTERNAL;
				hop(r, T, IOM_HOP_TARGET);
				cpl_check(t, r, T, q);
			}
			return;
		}
		/* redirected out of the device: the port above sees its own range */
	}

	uint32_t x = src;
	for (unsigned guard = 0; guard < 512; guard++) {
		uint32_t P = t->fns[x].parent;
		if (P == IOM_PCIE_NONE) {
			/* the root complex: everything goes to the translation agent */
			if (r->outcome == IOM_ROUTE_IOMMU && r->port == IOM_PCIE_NONE)
				r->reason = T == IOM_PCIE_NONE ? IOM_RR_MEMORY : IOM_RR_ROOT;
			r->outcome = IOM_ROUTE_IOMMU;
			r->iommu_rid = rid;
			hop(r, IOM_PCIE_NONE, IOM_HOP_RC);
			return;
		}
		const struct iom_pcie_fn *fp = &t->fns[P];
		hop(r, P, IOM_HOP_UP);
		if (is_acs_port(fp->type)) {
			uint16_t acs = acs_of(t, P);
			unsigned bus = rid >> 8;
			if ((acs & IOM_ACS_SV) && (bus < fp->secondary || bus > fp->subordinate)) {
				decide(r, IOM_ROUTE_BLOCKED, IOM_RR_SV, P, IOM_ACS_SV, true);
				r->hops[r->nhops - 1].action = IOM_HOP_STOP;
				return;
			}
			if (q->at != IOM_PCIE_AT_UNTRANSLATED && (acs & IOM_ACS_TB)) {
				decide(r, IOM_ROUTE_BLOCKED, IOM_RR_TB, P, IOM_ACS_TB, true);
				r->hops[r->nhops - 1].action = IOM_HOP_STOP;
				return;
			}
		}
		if (T != IOM_PCIE_NONE && iom_pcie_is_below(t, T, P)) {
			/* the target is in the port's own range */
			if (fp->type == IOM_PCIE_PCIE_TO_PCI || fp->type == IOM_PCIE_PCI_BRIDGE) {
				decide(r, IOM_ROUTE_P2P, IOM_RR_PCI_BUS, P, 0, false);
				r->nhops--; /* the bus, not the bridge, carries it */
				hops_down(t, r, P, T);
				return;
			}
			if (is_acs_port(fp->type)) {
				uint16_t acs = acs_of(t, P);
				if (!(acs & IOM_ACS_UF)) {
					decide(r, IOM_ROUTE_BLOCKED, IOM_RR_UF, P, IOM_ACS_UF,
					       false);
					r->hops[r->nhops - 1].action = IOM_HOP_STOP;
					return;
				}
			}
			/* UF set, or an upstream port passing a redirected request up */
		} else if (T == P && is_acs_port(fp->type)) {
			/* the port's own BAR */
			uint16_t acs = acs_of(t, P), bit;
			enum p2p_verdict v = p2p_decide(acs, q, -1, 0, &bit);
			if (!p2p_apply(r, v, P, bit, fn_has_acs(t, P))) {
				if (r->outcome == IOM_ROUTE_P2P)
					r->hops[r->nhops - 1].action = IOM_HOP_TARGET;
				return;
			}
		} else if (T != IOM_PCIE_NONE && fp->type == IOM_PCIE_DOWNSTREAM &&
		           fp->parent != IOM_PCIE_NONE &&
		           (T == fp->parent || iom_pcie_is_below(t, T, fp->parent))) {
			/* across the switch */
			uint32_t U = fp->parent;
			uint32_t Q = T == U ? IOM_PCIE_NONE : child_toward(t, T, U);
			int egress = Q == IOM_PCIE_NONE ? -1 : t->fns[Q].port_number;
			uint16_t acs = acs_of(t, P), bit;
			enum p2p_verdict v = p2p_decide(acs, q, egress, fp->acs_egress, &bit);
			if (!p2p_apply(r, v, P, bit, fn_has_acs(t, P))) {
				if (r->outcome == IOM_ROUTE_P2P) {
					r->hops[r->nhops - 1].action = IOM_HOP_ACROSS;
					if (T == U) {
						hop(r, U, IOM_HOP_TARGET);
					} else {
						hops_down(t, r, U, T);
						cpl_check(t, r, Q == T ? T : Q, q);
					}
				}
				return;
			}
		} else if (T != IOM_PCIE_NONE && fp->type == IOM_PCIE_ROOT_PORT) {
			/* through the root complex: only a sibling function of a
			 * multifunction root port is reached without the IOMMU */
			uint32_t A = child_toward(t, T, IOM_PCIE_NONE);
			if (A != IOM_PCIE_NONE && A != P && t->fns[A].busidx == fp->busidx &&
			    iom_pcie_slot(&t->fns[A]) == iom_pcie_slot(fp)) {
				uint16_t acs = acs_of(t, P), bit;
				enum p2p_verdict v =
				    p2p_decide(acs, q, t->fns[A].port_number, fp->acs_egress, &bit);
				if (!p2p_apply(r, v, P, bit, fn_has_acs(t, P))) {
					if (r->outcome == IOM_ROUTE_P2P) {
						r->hops[r->nhops - 1].action = IOM_HOP_ACROSS;
						if (A == T) {
							hop(r, T, IOM_HOP_TARGET);
						} else {
							hop(r, A, IOM_HOP_DOWN);
							hops_down(t, r, A, T);
							cpl_check(t, r, A, q);
						}
					}
					return;
				}
			}
		}
		rid = rid_through(fp, rid);
		x = P;
	}
	/* unreachable for a finalized topology (depth < 512) */
	decide(r, IOM_ROUTE_BLOCKED, IOM_RR_UF, x, 0, false);
}

const char *iom_pcie_route_path_str(const struct iom_pcie_topo *t, const struct iom_pcie_route *r,
                                    char *buf, size_t sz)
{
	size_t used = 0;
	buf[0] = 0;
	for (unsigned i = 0; i < r->nhops && used + 1 < sz; i++) {
		const struct iom_pcie_hop *h = &r->hops[i];
		char bdf[16];
		int w;
		if (h->fn == IOM_PCIE_NONE)
			w = snprintf(buf + used, sz - used, "%sroot complex (IOMMU)",
			             i ? " -> " : "");
		else
			w = snprintf(buf + used, sz - used, "%s%s%s%s%s", i ? " -> " : "",
			             iom_pcie_bdf_short(&t->fns[h->fn], bdf, sizeof(bdf)),
			             h->action == IOM_HOP_STOP ? " (stopped)" : "",
			             i + 1 == r->nhops && r->hops_truncated ? " ..." : "", "");
		if (w < 0)
			break;
		used += (size_t)w < sz - used ? (size_t)w : sz - used - 1;
	}
	return buf;
}

const char *iom_pcie_route_why_str(const struct iom_pcie_topo *t, const struct iom_pcie_route *r,
                                   char *buf, size_t sz)
{
	char bdf[16] = "?";
	const char *ty = "";
	if (r->port != IOM_PCIE_NONE) {
		iom_pcie_bdf_short(&t->fns[r->port], bdf, sizeof(bdf));
		ty = iom_pcie_type_names[t->fns[r->port].type];
	}
	switch (r->reason) {
	case IOM_RR_MEMORY:
		snprintf(buf, sz, "no BAR claims the address: memory, via the IOMMU");
		break;
	case IOM_RR_ROOT:
		snprintf(buf, sz, "the root complex sends peer requests to the IOMMU");
		break;
	case IOM_RR_REDIRECT:
		snprintf(buf, sz, "RR set at %s %s: redirected to the IOMMU", ty, bdf);
		break;
	case IOM_RR_EC_REDIRECT:
		snprintf(buf, sz, "EC egress bit and RR set at %s %s: redirected to the IOMMU", ty,
		         bdf);
		break;
	case IOM_RR_DIRECT:
		if (r->bit)
			snprintf(buf, sz, "RR clear at %s %s: routed to the peer", ty, bdf);
		else
			snprintf(buf, sz, "no ACS at %s %s: routed to the peer", ty, bdf);
		break;
	case IOM_RR_DT:
		snprintf(buf, sz, "DT set at %s %s: translated request to the peer", ty, bdf);
		break;
	case IOM_RR_INTERNAL:
		snprintf(buf, sz, "%s at function %s: peer-to-peer inside the device",
		         r->bit ? "RR clear" : "no ACS", bdf);
		break;
	case IOM_RR_PCI_BUS:
		snprintf(buf, sz, "conventional PCI bus below %s %s: no ACS", ty, bdf);
		break;
	case IOM_RR_SV:
		snprintf(buf, sz, "SV at %s %s: requester bus outside the port's range", ty, bdf);
		break;
	case IOM_RR_TB:
		snprintf(buf, sz, "TB at %s %s: translated request blocked", ty, bdf);
		break;
	case IOM_RR_EC_BLOCK:
		snprintf(buf, sz, "EC egress bit set, RR clear at %s %s: blocked", ty, bdf);
		break;
	case IOM_RR_UF:
		snprintf(buf, sz, "UF clear at %s %s: target in the port's own range", ty, bdf);
		break;
	default:
		snprintf(buf, sz, "?");
	}
	return buf;
}
