/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_groups.c - IOMMU group computation for a generated topology of
 * 10,000 PCI functions (target: under 100 ms), and the routing cost of one
 * TLP as the replay pays it.
 *
 * The machine: 18 PCI segments, each a root bus with Intel multifunction
 * RCiEPs and seven root ports (ACS on); below each root port a switch with
 * 16 downstream ports, every other one without ACS; below each downstream
 * port a 4-function endpoint (every third without ACS, so its functions
 * group together) or a PCIe-to-PCI bridge with 4 conventional devices; every
 * endpoint function has a 64 KiB BAR.  Functions are added until there are
 * exactly 10,000.  Deterministic; times are wall-clock, best of 5.
 *
 * Routing: 1,000,000 single-TLP requests from random endpoint functions,
 * 90 % to memory, 10 % to a random peer BAR (the replay's case: a DMA whose
 * address decodes to a BAR).
 */
#include "bench-util.h"
#include "groups.h"
#include "route.h"
#include "topology.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define NFUNCS 10000u
#define ROUTES 1000000u

struct gen {
	struct iom_pcie_topo *t;
	uint32_t n;
};

static bool add(struct gen *g, const char *name, const char *parent, unsigned type, unsigned dev,
                unsigned fn, bool acs, bool bar)
{
	if (g->n >= NFUNCS)
		return false;
	struct iom_pcie_fn d = {0};
	struct iom_err e = {0};
	snprintf(d.name, sizeof(d.name), "%s", name);
	snprintf(d.parent_name, sizeof(d.parent_name), "%s", parent);
	d.type = (uint8_t)type;
	d.bridge = iom_pcie_type_is_bridge(type);
	d.devfn = (uint8_t)(dev << 3 | fn);
	d.vendor = 0x8086;
	d.device = 0x0001;
	d.ids_known = true;
	if (acs) {
		d.acs = true;
		d.acs_cap = 0x1f;
		d.acs_ctrl = 0x1d;
	}
	if (bar) {
		d.nbars = 1;
		d.bars[0].size = 64 << 10;
	}
	if (iom_pcie_add_fn(g->t, &d, &e) == IOM_PCIE_NONE) {
		fprintf(stderr, "bench_groups: %s\n", e.msg);
		exit(1);
	}
	g->n++;
	return true;
}

static struct iom_pcie_topo *generate(void)
{
	struct gen g = {.t = iom_pcie_topo_create()};
	struct iom_err e = {0};
	char nm[64], par[64], rc[64];
	for (unsigned s = 0; g.n < NFUNCS && s < 64; s++) {
		struct iom_pcie_rc r = {.segment = (uint16_t)s,
		                        .mmio_base = 0x100000000ull * (s + 1)};
		snprintf(r.name, sizeof(r.name), "seg%u", s);
		snprintf(rc, sizeof(rc), "seg%u", s);
		iom_pcie_add_rc(g.t, &r, &e);
		for (unsigned f = 0; f < 8; f++) { /* an Intel multifunction RCiEP */
			snprintf(nm, sizeof(nm), "s%u.c%u", s, f);
			add(&g, nm, rc, IOM_PCIE_RCIEP, 0x1f, f, false, true);
		}
		for (unsigned p = 1; p <= 7; p++) {
			char rp[64], usp[64];
			snprintf(rp, sizeof(rp), "s%u.r%u", s, p);
			if (!add(&g, rp, rc, IOM_PCIE_ROOT_PORT, p, 0, true, false))
				break;
			snprintf(usp, sizeof(usp), "s%u.r%u.u", s, p);
			add(&g, usp, rp, IOM_PCIE_UPSTREAM, 0, 0, false, false);
			for (unsigned d = 0; d < 16; d++) {
				char dsp[64];
				snprintf(dsp, sizeof(dsp), "s%u.r%u.d%u", s, p, d);
				if (!add(&g, dsp, usp, IOM_PCIE_DOWNSTREAM, d, 0, d % 2 == 0,
				         false))
					break;
				if (d % 5 ==
				    4) { /* a PCIe-to-PCI bridge and conventional devices */
					snprintf(par, sizeof(par), "s%u.r%u.d%u.x", s, p, d);
					add(&g, par, dsp, IOM_PCIE_PCIE_TO_PCI, 0, 0, false, false);
					for (unsigned k = 0; k < 4; k++) {
						snprintf(nm, sizeof(nm), "s%u.r%u.d%u.p%u", s, p, d,
						         k);
						add(&g, nm, par, IOM_PCIE_PCI_DEVICE, k + 1, 0,
						    false, true);
					}
					continue;
				}
				for (unsigned k = 0; k < 4; k++) {
					snprintf(nm, sizeof(nm), "s%u.r%u.d%u.e%u", s, p, d, k);
					add(&g, nm, dsp, IOM_PCIE_ENDPOINT, 0, k, d % 3 != 0, true);
				}
			}
		}
	}
	if (iom_pcie_topo_finalize(g.t, IOM_PCIE_STRICT, &e)) {
		fprintf(stderr, "bench_groups: %s\n", e.msg);
		exit(1);
	}
	return g.t;
}

int main(void)
{
	double t0 = bench_now_s();
	struct iom_pcie_topo *t = generate();
	double t_build = bench_now_s() - t0;
	struct iom_err e = {0};
	double best = 1e9;
	for (int rep = 0; rep < 5; rep++) {
		double a = bench_now_s();
		if (iom_pcie_groups_compute(t, &e)) {
			fprintf(stderr, "bench_groups: %s\n", e.msg);
			return 1;
		}
		double d = bench_now_s() - a;
		if (d < best)
			best = d;
	}
	printf("bench_groups: %u functions, %u buses, %u BARs, %u IOMMU groups\n", t->nfns,
	       t->nbuses, t->nbars, t->ngroups);
	printf("  build + finalize     %8.2f ms\n", t_build * 1e3);
	printf("  group computation    %8.2f ms (best of 5; target < 100 ms)\n", best * 1e3);

	/* routing: requesters are endpoint/conventional functions with a BAR */
	uint32_t *req = malloc(t->nfns * sizeof(*req));
	uint32_t nreq = 0;
	for (uint32_t i = 0; i < t->nfns; i++)
		if (t->fns[i].nbars && !t->fns[i].bridge)
			req[nreq++] = i;
	uint64_t x = 0x9e3779b97f4a7c15ull, sink = 0, p2p = 0;
	double a = bench_now_s();
	for (uint32_t k = 0; k < ROUTES; k++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uint32_t src = req[(x >> 33) % nreq];
		struct iom_pcie_route_req q = {.addr =
		                                   0x10000000ull + ((x >> 20) & 0xffffff000ull)};
		if ((x >> 12) % 10 == 0) {
			const struct iom_pcie_bar_ent *b = &t->bars[(x >> 40) % t->nbars];
			q.addr = b->base + 64;
		}
		struct iom_pcie_route r;
		iom_pcie_route(t, src, &q, &r);
		sink += r.nhops;
		p2p += r.outcome == IOM_ROUTE_P2P;
	}
	double d = bench_now_s() - a;
	printf("  routing, random      %8.1f ns per TLP (%u TLPs from random requesters, %" PRIu64
	       " peer-to-peer, %" PRIu64 " hops)\n",
	       d * 1e9 / ROUTES, ROUTES, p2p, sink);
	/* the replay's case: one device's DMA stream, addresses walking memory */
	uint32_t one = req[nreq / 2];
	a = bench_now_s();
	for (uint32_t k = 0; k < ROUTES; k++) {
		struct iom_pcie_route_req q = {.addr = 0x10000000ull + (uint64_t)k * 4096};
		struct iom_pcie_route r;
		iom_pcie_route(t, one, &q, &r);
		sink += r.nhops;
	}
	d = bench_now_s() - a;
	printf("  routing, one device  %8.1f ns per TLP (%u TLPs to memory from %s)\n",
	       d * 1e9 / ROUTES, ROUTES, t->fns[one].name);
	free(req);
	iom_pcie_topo_destroy(t);
	return 0;
}
