/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fabric.c - TLP timing through a PCIe topology (fabric.h).
 *
 * Models: one link (link.c: serialisation at the TLP rate of its generation
 * and width, a resource per direction, framing/header/ECRC bytes) between
 * every root port, switch downstream port or PCI-to-PCIe bridge and the
 * device below it; switches as cut-through hops of `switch_latency_ns`; the
 * paths of docs/pcie.md ("Link timing in the replay"): to memory and back,
 * peer-to-peer through a switch, through the root complex, and completions
 * redirected by CR; completion splitting by the completer's RCB and the
 * path's smallest MPS; a peer's BAR answering reads after `peer_latency_ns`.
 * Does not model: flow-control credits (a switch buffers whatever arrives),
 * the root complex's internal fabric (0 ps between a root port and the
 * IOMMU or another root port), conventional PCI buses (0 ps), the UR
 * completion of a terminated request, re-splitting a TLP for a link with a
 * smaller MPS (the requester uses the smallest MPS of its path, as Linux's
 * default `pcie_bus_safe` setting makes every function below a root port
 * agree).
 * Each direction of a link is a calendar (link.h): the device model sends a
 * DMA's requests, then each one's completions, then the next DMA's TLPs, so
 * TLPs do not reach a link in time order; each takes the first idle gap
 * after its ready time.  The replay advances the horizon to each DMA's
 * earliest start (timed: the record's time; closed loop: the device's next
 * free slot), which is exact for time-ordered issue (timed mode, or one
 * closed-loop device); several closed-loop devices, whose DMAs are not
 * issued in time order, may share a gap that was busy.
 * Timing (cut-through): a TLP enters link k at s_k, its last byte leaves at
 * e_k = s_k + ser_k and arrives oneway_k later.  At a switch it may start on
 * the next link once its header is through, s_k + oneway_k + switch, but not
 * so early that a faster next link would run dry: the next link is
 * requested at max(s_k + oneway_k + sw, e_k + oneway_k + sw - ser_{k+1})
 * and starts when that direction is free.  The TLP arrives at
 * e_last + oneway_last (+ a switch's latency when the path ends inside a
 * switch).  With equal links that is n x ser + the latencies for n TLPs
 * back to back on one path.
 */
#include "fabric.h"

#include "topology.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Ports with a PCIe link on their secondary side. */
static bool fab_link_port(unsigned type)
{
	return type == IOM_PCIE_ROOT_PORT || type == IOM_PCIE_DOWNSTREAM ||
	       type == IOM_PCIE_PCI_TO_PCIE;
}

/* Going through a switch: between a downstream port and its upstream port. */
static bool fab_switch_hop(const struct iom_pcie_topo *t, uint32_t dsp, uint32_t usp)
{
	return dsp != IOM_PCIE_NONE && usp != IOM_PCIE_NONE &&
	       t->fns[dsp].type == IOM_PCIE_DOWNSTREAM && t->fns[usp].type == IOM_PCIE_UPSTREAM;
}

/* The link of port P (the link below it) from the `link:` of the functions
 * on its secondary bus, field by field, else the defaults. */
static int fab_link_init(struct iom_pcie_fabric *f, uint32_t P, struct iom_pcie_link *l,
			 struct iom_err *err)
{
	const struct iom_pcie_topo *t = f->t;
	const struct iom_pcie_fn *pf = &t->fns[P];
	struct iom_pcie_link_cfg c = f->defaults;
	c.switch_hops = 0; /* switches are hops of the path here */
	bool g = false, w = false, m = false, q = false, b = false;
	uint32_t given = IOM_PCIE_NONE;
	const struct iom_pcie_bus *bus = &t->buses[pf->secidx];
	for (uint32_t i = 0; i < bus->nfns; i++) {
		const struct iom_pcie_fn_link *fl = &t->fns[bus->fns[i]].link;
		if (fl->gen && !g)
			c.gen = fl->gen, g = true;
		if (fl->width && !w)
			c.width = fl->width, w = true;
		if (fl->mps && !m)
			c.mps = fl->mps, m = true;
		if (fl->mrrs && !q)
			c.mrrs = fl->mrrs, q = true;
		if (fl->rcb && !b)
			c.rcb = fl->rcb, b = true;
		bool any = fl->gen || fl->width || fl->mps || fl->mrrs || fl->rcb;
		if (any && given == IOM_PCIE_NONE)
			given = bus->fns[i];
	}
	char where[160], what[200], name[96];
	iom_pcie_fn_where(t, &t->fns[given == IOM_PCIE_NONE ? P : given], where, sizeof(where));
	snprintf(what, sizeof(what), "%s: link", where);
	int r = iom_pcie_link_cfg_check(&c, what, err);
	if (r)
		return r;
	snprintf(name, sizeof(name), "pcie.link.%s", pf->name);
	return iom_pcie_link_init(l, &c, name, err);
}

struct iom_pcie_fabric *iom_pcie_fabric_create(const struct iom_pcie_topo *t,
					       const struct iom_pcie_link_cfg *defaults,
					       struct iom_err *err)
{
	struct iom_pcie_fabric *f = calloc(1, sizeof(*f));
	if (!f) {
		iom_err_set(err, IOM_ENOMEM, "out of memory");
		return NULL;
	}
	f->t = t;
	f->defaults = *defaults;
	f->switch_ps = (uint64_t)defaults->switch_latency_ns * IOM_PS_PER_NS;
	f->peer_ps = (uint64_t)defaults->peer_latency_ns * IOM_PS_PER_NS;
	f->peer_fn = IOM_PCIE_NONE;
	iom_hist_init(&f->req_latency_ps);
	iom_hist_init(&f->down_latency_ps);
	iom_hist_init(&f->cpl_latency_ps);
	int r = iom_pcie_link_cfg_check(defaults, "pcie.link", err);
	uint32_t *link_of = NULL; /* per port: its link */
	if (!r && t->nfns) {
		f->above = malloc(t->nfns * sizeof(*f->above));
		link_of = malloc(t->nfns * sizeof(*link_of));
		f->links = calloc(t->nfns, sizeof(*f->links));
		if (!f->above || !link_of || !f->links)
			r = iom_err_set(err, IOM_ENOMEM, "out of memory");
	}
	for (uint32_t i = 0; !r && i < t->nfns; i++)
		link_of[i] = f->above[i] = IOM_PCIE_NONE;
	/* links in function order: the ports' order in the description */
	for (uint32_t x = 0; !r && x < t->nfns; x++) {
		uint32_t P = t->fns[x].parent;
		if (P == IOM_PCIE_NONE || !fab_link_port(t->fns[P].type))
			continue;
		if (link_of[P] == IOM_PCIE_NONE) {
			r = fab_link_init(f, P, &f->links[f->nlinks], err);
			if (r)
				break;
			link_of[P] = f->nlinks++;
		}
		f->above[x] = link_of[P];
	}
	/* every path must fit: at most half of IOM_PCIE_PATH_MAX links up */
	for (uint32_t x = 0; !r && x < t->nfns; x++) {
		unsigned n = 0;
		for (uint32_t y = x; y != IOM_PCIE_NONE; y = t->fns[y].parent)
			n += f->above[y] != IOM_PCIE_NONE;
		if (n > IOM_PCIE_PATH_MAX / 2) {
			char where[160];
			r = iom_err_set(err, IOM_ENOTSUP,
					"%s: %u links between it and the root complex; the fabric "
					"model handles at most %d",
					iom_pcie_fn_where(t, &t->fns[x], where, sizeof(where)), n,
					IOM_PCIE_PATH_MAX / 2);
		}
	}
	free(link_of);
	if (r) {
		iom_pcie_fabric_destroy(f);
		return NULL;
	}
	return f;
}

void iom_pcie_fabric_destroy(struct iom_pcie_fabric *f)
{
	if (!f)
		return;
	for (uint32_t i = 0; i < f->nlinks; i++)
		iom_pcie_link_fini(&f->links[i]);
	free(f->links);
	free(f->above);
	free(f);
}

int iom_pcie_fabric_register_stats(struct iom_pcie_fabric *f, struct iom_stats *s,
				   struct iom_err *err)
{
	int r = 0;
#define FAB_CTR(x, unit, desc)                                                                     \
	if (!r)                                                                                    \
	r = iom_stats_counter(s, "pcie.fabric." #x, unit, desc, &f->x, err)
#define FAB_HIST(x, desc)                                                                          \
	if (!r)                                                                                    \
	r = iom_stats_histogram(s, "pcie.fabric." #x, "ps", desc, &f->x, err)
	FAB_CTR(req_tlps, "TLPs", "request TLPs sent into the fabric by devices");
	FAB_CTR(direct_tlps, "TLPs",
		"request TLPs delivered to a peer through a switch (not the root complex)");
	FAB_CTR(redirected_tlps, "TLPs",
		"request TLPs the root complex sent on to a peer's BAR after the IOMMU");
	FAB_CTR(cpl_tlps, "TLPs", "completion TLPs (CplD) of reads");
	FAB_HIST(req_latency_ps,
		 "request TLP in the fabric: leaving the device to reaching the root complex "
		 "(or a peer, when delivered through a switch)");
	FAB_HIST(down_latency_ps,
		 "request TLP from the root complex down to a peer's BAR (after the IOMMU)");
	FAB_HIST(cpl_latency_ps,
		 "completions of one read request: first ready at the completer to last received");
#undef FAB_CTR
#undef FAB_HIST
	for (uint32_t i = 0; i < f->nlinks && !r; i++)
		r = iom_pcie_link_register_stats(&f->links[i], s, err);
	return r;
}

void iom_pcie_fabric_dev_limits(const struct iom_pcie_fabric *f, uint32_t fn, uint32_t *mps,
				uint32_t *mrrs)
{
	*mps = f->defaults.mps;
	*mrrs = f->defaults.mrrs;
	if (fn == IOM_PCIE_NONE || fn >= f->t->nfns)
		return;
	if (f->above[fn] != IOM_PCIE_NONE)
		*mrrs = f->links[f->above[fn]].p.cfg.mrrs;
	bool any = false;
	for (uint32_t y = fn; y != IOM_PCIE_NONE; y = f->t->fns[y].parent) {
		if (f->above[y] == IOM_PCIE_NONE)
			continue;
		uint32_t m = f->links[f->above[y]].p.cfg.mps;
		*mps = any ? IOM_MIN(*mps, m) : m;
		any = true;
	}
}

/* ---- paths ------------------------------------------------------------------ */

static void fab_push(struct iom_pcie_path *p, uint32_t link, unsigned dir, uint64_t *pending)
{
	if (p->n == IOM_PCIE_PATH_MAX) /* cannot happen: create() checked the depth */
		return;
	p->s[p->n++] = (struct iom_pcie_step){.link = link, .dir = dir, .pre_ps = *pending};
	*pending = 0;
}

/* The lowest function that is a or an ancestor of a and holds b in its
 * subtree (b itself counts), IOM_PCIE_NONE for the root complex. */
static uint32_t fab_lca(const struct iom_pcie_topo *t, uint32_t a, uint32_t b)
{
	if (b == IOM_PCIE_NONE)
		return IOM_PCIE_NONE;
	for (uint32_t x = a; x != IOM_PCIE_NONE; x = t->fns[x].parent)
		if (x == b || iom_pcie_is_below(t, b, x))
			return x;
	return IOM_PCIE_NONE;
}

static void fab_build(struct iom_pcie_fabric *f, uint32_t a, uint32_t b, bool via_rc,
		      struct iom_pcie_path *p)
{
	const struct iom_pcie_topo *t = f->t;
	p->n = 0;
	p->post_ps = 0;
	uint64_t pending = 0;
	bool same_device = a != IOM_PCIE_NONE && b != IOM_PCIE_NONE &&
			   t->fns[a].busidx == t->fns[b].busidx &&
			   iom_pcie_slot(&t->fns[a]) == iom_pcie_slot(&t->fns[b]);
	if (!same_device) {
		uint32_t lca = via_rc || a == IOM_PCIE_NONE ? IOM_PCIE_NONE : fab_lca(t, a, b);
		bool across = false; /* came up through lca's switch */
		for (uint32_t x = a; x != lca && x != IOM_PCIE_NONE; x = t->fns[x].parent) {
			if (f->above[x] != IOM_PCIE_NONE)
				fab_push(p, f->above[x], IOM_PCIE_UP, &pending);
			if (fab_switch_hop(t, x, t->fns[x].parent)) {
				pending += f->switch_ps;
				across = t->fns[x].parent == lca;
			}
		}
		uint32_t chain[IOM_PCIE_ROUTE_MAX_HOPS * 4];
		unsigned n = 0;
		for (uint32_t y = b; y != lca && y != IOM_PCIE_NONE && n < IOM_ARRAY_SIZE(chain);
		     y = t->fns[y].parent)
			chain[n++] = y;
		while (n) {
			uint32_t y = chain[--n];
			if (fab_switch_hop(t, y, t->fns[y].parent) &&
			    !(across && t->fns[y].parent == lca))
				pending += f->switch_ps;
			if (f->above[y] != IOM_PCIE_NONE)
				fab_push(p, f->above[y], IOM_PCIE_DOWN, &pending);
		}
	}
	p->post_ps = pending;
	/* completion sizes: the completer's RCB and split, the path's smallest MPS */
	const struct iom_pcie_link_cfg *c0 = p->n ? &f->links[p->s[0].link].p.cfg : &f->defaults;
	p->rcb = c0->rcb;
	p->cpl_split = c0->cpl_split;
	p->mps = c0->mps;
	for (uint32_t i = 1; i < p->n; i++)
		p->mps = IOM_MIN(p->mps, f->links[p->s[i].link].p.cfg.mps);
}

void iom_pcie_fabric_path(struct iom_pcie_fabric *f, uint32_t a, uint32_t b,
			  struct iom_pcie_path *p)
{
	fab_build(f, a, b, false, p);
}

void iom_pcie_fabric_path_via_rc(struct iom_pcie_fabric *f, uint32_t a, uint32_t b,
				 struct iom_pcie_path *p)
{
	fab_build(f, a, b, true, p);
}

/* ---- sending ---------------------------------------------------------------- */

uint64_t iom_pcie_fabric_send(struct iom_pcie_fabric *f, const struct iom_pcie_path *p,
			      uint64_t ready_ps, enum iom_pcie_tlp kind, uint32_t len,
			      uint64_t addr)
{
	if (!p->n)
		return ready_ps + p->post_ps;
	uint32_t data = kind == IOM_PCIE_TLP_MRD ? 0 : len;
	uint64_t start = 0, end = 0, lat = 0;
	for (uint32_t i = 0; i < p->n; i++) {
		const struct iom_pcie_step *st = &p->s[i];
		struct iom_pcie_link *l = &f->links[st->link];
		uint32_t wire = iom_pcie_tlp_wire_bytes(&l->p, kind, len, addr);
		uint64_t ser = iom_pcie_ser_ps(&l->p, wire);
		uint64_t r = ready_ps + st->pre_ps;
		if (i) {
			r = start + lat + st->pre_ps;                /* its header is through */
			uint64_t tail = end + lat + st->pre_ps;      /* its last byte is through */
			if (tail > r + ser)
				r = tail - ser; /* a faster link must not run dry */
		}
		start = iom_pcie_link_put_cal(l, f->horizon_ps, r, (enum iom_pcie_dir)st->dir, wire,
					      data, ser);
		end = start + ser;
		lat = l->p.oneway_ps;
	}
	return end + lat + p->post_ps;
}

/* The completions of one read request of len bytes at addr along p, the
 * first ready at ready_ps: when the last has arrived. */
static uint64_t fab_cpls(struct iom_pcie_fabric *f, const struct iom_pcie_path *p,
			 uint64_t ready_ps, uint64_t addr, uint32_t len)
{
	uint64_t done = ready_ps;
	for (uint64_t left = len; left;) {
		uint32_t k = iom_pcie_cpl_len_by(p->mps, p->rcb, p->cpl_split, addr, left);
		uint64_t d = iom_pcie_fabric_send(f, p, ready_ps, IOM_PCIE_TLP_CPLD, k, addr);
		done = IOM_MAX(done, d);
		f->cpl_tlps++;
		addr += k;
		left -= k;
	}
	iom_hist_add(&f->cpl_latency_ps, done - ready_ps);
	return done;
}

/* ---- the device hook -------------------------------------------------------- */

/* Completions from function T (a peer's BAR) back to src: CR at the port
 * through which they enter the switch src and T share redirects them up to
 * the root complex (route.h, step 8); no common switch: through the RC. */
static void fab_peer_cpl_path(struct iom_pcie_fabric *f, uint32_t T, uint32_t src,
			      struct iom_pcie_path *p)
{
	const struct iom_pcie_topo *t = f->t;
	uint32_t lca = fab_lca(t, T, src);
	bool cr = false;
	if (lca != IOM_PCIE_NONE && t->fns[lca].type == IOM_PCIE_UPSTREAM) {
		uint32_t q = T;
		while (q != IOM_PCIE_NONE && t->fns[q].parent != lca)
			q = t->fns[q].parent;
		if (q != IOM_PCIE_NONE && q != T) {
			uint16_t acs = t->acs_eff ? t->acs_eff[q] : iom_pcie_acs_effective(t, q);
			cr = acs & IOM_ACS_CR;
		}
	}
	fab_build(f, T, src, cr, p);
}

int iom_pcie_fabric_begin(struct iom_pcie_fabric *f, uint32_t src, const struct iom_pcie_route *r,
			  struct iom_err *err)
{
	bool p2p = r->outcome == IOM_ROUTE_P2P;
	uint32_t target = p2p ? r->target : IOM_PCIE_NONE;
	bool cpl_rc = p2p && r->cpl_redirected;
	if (!f->have_piece || f->src != src || f->outcome != r->outcome || f->target != target ||
	    f->cpl_redirected != cpl_rc) {
		f->src = src;
		f->outcome = r->outcome;
		f->target = target;
		f->cpl_redirected = cpl_rc;
		if (p2p) {
			fab_build(f, src, target, false, &f->req);
			fab_build(f, target, src, cpl_rc, &f->cpl);
		} else {
			fab_build(f, src, IOM_PCIE_NONE, false, &f->req);
			fab_build(f, IOM_PCIE_NONE, src, false, &f->cpl);
		}
		f->have_piece = true;
	}
	return 0;
}

uint64_t iom_pcie_fabric_request(struct iom_pcie_fabric *f, uint64_t ready_ps, uint64_t addr,
				 uint32_t len, bool write, bool *to_iommu)
{
	enum iom_pcie_tlp kind = write ? IOM_PCIE_TLP_MWR : IOM_PCIE_TLP_MRD;
	uint64_t at = iom_pcie_fabric_send(f, &f->req, ready_ps, kind, len, addr);
	f->req_tlps++;
	iom_hist_add(&f->req_latency_ps, at - ready_ps);
	*to_iommu = f->outcome != IOM_ROUTE_P2P;
	if (*to_iommu)
		return at;
	f->direct_tlps++;
	return write ? at : fab_cpls(f, &f->cpl, at + f->peer_ps, addr, len);
}

bool iom_pcie_fabric_peer(struct iom_pcie_fabric *f, uint64_t ready_ps, uint64_t pa, uint32_t len,
			  bool write, uint64_t *done_ps)
{
	uint8_t bar;
	uint32_t T = iom_pcie_decode(f->t, pa, &bar);
	if (T == IOM_PCIE_NONE)
		return false;
	if (T != f->peer_fn || f->src != f->peer_src) {
		fab_build(f, IOM_PCIE_NONE, T, false, &f->peer_req);
		fab_peer_cpl_path(f, T, f->src, &f->peer_cpl);
		f->peer_fn = T;
		f->peer_src = f->src;
	}
	enum iom_pcie_tlp kind = write ? IOM_PCIE_TLP_MWR : IOM_PCIE_TLP_MRD;
	uint64_t at = iom_pcie_fabric_send(f, &f->peer_req, ready_ps, kind, len, pa);
	f->redirected_tlps++;
	iom_hist_add(&f->down_latency_ps, at - ready_ps);
	*done_ps = write ? at : fab_cpls(f, &f->peer_cpl, at + f->peer_ps, pa, len);
	return true;
}

uint64_t iom_pcie_fabric_completions(struct iom_pcie_fabric *f, uint64_t ready_ps, uint64_t pa,
				     uint32_t len)
{
	return fab_cpls(f, &f->cpl, ready_ps, pa, len);
}
