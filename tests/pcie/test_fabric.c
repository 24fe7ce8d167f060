/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_fabric.c - TLP timing through a PCIe topology (models/pcie/fabric.c)
 * with the device model's fabric hook: exact DMA completion times worked
 * out from the link formulas (docs/pcie-link.md) and the per-hop latencies.
 *
 * Topology: root port RP (00:01.0, ACS SV RR CR UF: a request redirected up
 * to it for a target below it goes on up, UF), a switch USP (01:00.0) with downstream
 * ports DSP0 (02:00.0) and DSP1 (02:01.0), endpoint A (03:00.0) below DSP0,
 * endpoint B (04:00.0, BAR at 0xb0000000) below DSP1.  Two links on A's way
 * to the root complex: DSP0-A and RP-USP; B's link is DSP1-B.  Every link
 * is the pcie.link default: Gen3 x8, MPS 256, MRRS 512, RCB 64, 64-bit
 * headers, no ECRC, link latency L = 50 ns, switch latency W = 150 ns.
 *
 * Gen3 x8: raw 8 GT/s x 128/130 x 8 = 63.0154 Gb/s; ACK and UpdateFC every
 * 203 bytes (PCIe 5.0 tables 3-9, 2-48 at x8 / MPS 256) and SKP 4/1538:
 * TLP rate 63.0154 x (1 - 8/203 - 8/203 - 4/1538) = 57.8848 Gb/s, so a byte
 * takes 8000 / 57.8848 = 138.2056 ps.  TLPs (8 bytes framing + header):
 *   MWr 256 B: 8 + 16 + 256 = 280 bytes -> S = 38697.57 -> 38698 ps
 *   MRd:       8 + 16       =  24 bytes -> R =  3316.93 ->  3317 ps
 *   CplD 256:  8 + 12 + 256 = 276 bytes -> C = 38144.75 -> 38145 ps
 *   CplD 64:   8 + 12 + 64  =  84 bytes -> K = 11609.27 -> 11609 ps
 *
 * Cut-through on links of equal speed: TLP i of a burst enters the first
 * link at i x ser, every next link L + W later (L alone at the root
 * complex), and arrives L after its last byte left the last link.
 *
 * The IOMMU is a stub: identity, XL = 10 ns per translation.  Memory is the
 * default model: D = 80 ns per access, no LLC.
 */
#include "pcie-test.h"

#include "device.h"
#include "fabric.h"
#include "iommu.h"
#include "link.h"
#include "mem.h"

#include <stdio.h>

#define L 50000ull
#define W 150000ull
#define XL 10000ull
#define D 80000ull
#define S 38698ull
#define R 3317ull
#define C 38145ull
#define K 11609ull
#define A_RID 0x0300u

static int stub_translate(void *self, struct iom_txn *t, struct iom_err *err)
{
	(void)self;
	(void)err;
	t->status = IOM_TXN_OK;
	t->tlb_hit = 1;
	t->pa = t->iova;
	t->done_ps = t->issue_ps + XL;
	return 0;
}

static const struct iom_iommu_ops stub_ops = {.kind = "stub", .translate = stub_translate};

static uint64_t hook_request(void *ctx, uint64_t ready, uint64_t addr, uint32_t len, bool write,
                             bool *to_iommu)
{
	return iom_pcie_fabric_request(ctx, ready, addr, len, write, to_iommu);
}
static bool hook_peer(void *ctx, uint64_t ready, uint64_t pa, uint32_t len, bool write,
                      uint64_t *done)
{
	return iom_pcie_fabric_peer(ctx, ready, pa, len, write, done);
}
static uint64_t hook_cpl(void *ctx, uint64_t ready, uint64_t pa, uint32_t len)
{
	return iom_pcie_fabric_completions(ctx, ready, pa, len);
}
static const struct iom_dev_fabric_ops hook = {hook_request, hook_peer, hook_cpl};

static struct {
	struct iom_pcie_topo *t;
	struct iom_pcie_fabric *f;
	struct iom_mem *mem;
	struct iom_iommu iommu;
	struct iom_device dev;
	bool dev_up;
	struct iom_err err;
} F;

static void fx_fini(void)
{
	if (F.dev_up)
		iom_device_fini(&F.dev);
	iom_pcie_fabric_destroy(F.f);
	iom_pcie_topo_destroy(F.t);
	iom_mem_destroy(F.mem);
	memset(&F, 0, sizeof(F));
}

TestSuite(pcie_fabric, .fini = fx_fini);

/* The topology with extra keys for DSP0, DSP1 and A, the fabric on the
 * pcie.link defaults (cpl_split as given), memory and device A. */
static void setup(const char *dsp0, const char *dsp1, const char *a, unsigned cpl_split)
{
	char y[2048];
	snprintf(y, sizeof(y),
	         "pcie:\n  functions:\n"
	         "    - {name: RP, type: root_port, dev: 1, acs: true, acs_cap: 0x1f,\n"
	         "       acs_ctrl: 0x1d}\n"
	         "    - {name: USP, type: upstream_port, parent: RP}\n"
	         "    - {name: DSP0, type: downstream_port, parent: USP, dev: 0%s}\n"
	         "    - {name: DSP1, type: downstream_port, parent: USP, dev: 1%s}\n"
	         "    - {name: A, parent: DSP0%s}\n"
	         "    - {name: B, parent: DSP1, bars: [{base: 0xb0000000, size: 1M}]}\n",
	         dsp0, dsp1, a);
	F.t = topo_yaml(y);
	cr_assert_eq(iom_pcie_rid(&F.t->fns[fn_of(F.t, "A")]), A_RID);
	struct iom_pcie_link_cfg lc;
	iom_pcie_link_cfg_default(&lc);
	cr_assert(lc.gen == 3 && lc.width == 8 && lc.mps == 256 && lc.mrrs == 512 && lc.rcb == 64);
	cr_assert(lc.link_latency_ns == 50 && lc.switch_latency_ns == 150 && !lc.ecrc);
	cr_assert(lc.addr == IOM_PCIE_ADDR_64 && lc.peer_latency_ns == 0);
	lc.cpl_split = cpl_split;
	F.f = iom_pcie_fabric_create(F.t, &lc, &F.err);
	cr_assert_not_null(F.f, "%s", F.err.msg);
	const struct iom_mem_cfg *mc = iom_mem_prop_table.defaults;
	cr_assert_eq(mc->dram_latency_ps, D);
	cr_assert_eq(mc->llc_hit_ratio, 0.0);
	F.mem = iom_mem_create(mc, &F.err);
	cr_assert_not_null(F.mem, "%s", F.err.msg);
	F.iommu = (struct iom_iommu){.ops = &stub_ops, .name = "stub"};
	struct iom_device_cfg dc = *(const struct iom_device_cfg *)iom_device_prop_table.defaults;
	iom_pcie_fabric_dev_limits(F.f, fn_of(F.t, "A"), &dc.max_payload, &dc.max_read_req);
	cr_assert_eq(iom_device_init(&F.dev, &dc, A_RID, &F.iommu, F.mem, &F.err), 0, "%s",
	             F.err.msg);
	F.dev_up = true;
	iom_device_set_fabric(&F.dev, &hook, F.f);
}

/* One DMA by A at t = 0, routed as the checker would; its completion time. */
static uint64_t dma(uint64_t addr, uint64_t size, bool write, uint8_t want_outcome)
{
	struct iom_pcie_route_req q = {.addr = addr, .read = !write};
	struct iom_pcie_route r;
	uint32_t a = fn_of(F.t, "A");
	iom_pcie_route(F.t, a, &q, &r);
	cr_assert_eq(r.outcome, want_outcome, "route outcome %s",
	             iom_pcie_outcome_name(r.outcome));
	cr_assert_eq(iom_pcie_fabric_begin(F.f, a, &r, &F.err), 0, "%s", F.err.msg);
	struct iom_dma_result res;
	cr_assert_eq(iom_device_dma(&F.dev, 0, -1, addr, size, write, 0, &res, &F.err), 0, "%s",
	             F.err.msg);
	cr_assert_eq(res.faulted, 0);
	return res.done_ps;
}

static const struct iom_pcie_link *link_of(const char *port)
{
	char n[96];
	snprintf(n, sizeof(n), "pcie.link.%s", port);
	for (uint32_t i = 0; i < F.f->nlinks; i++)
		if (!strcmp(F.f->links[i].name, n))
			return &F.f->links[i];
	cr_assert_fail("no link %s", n);
	return NULL;
}

Test(pcie_fabric, serialisation_times_follow_the_link_formulas)
{
	setup("", "", "", IOM_PCIE_CPL_MPS);
	const struct iom_pcie_link_params *p = &link_of("DSP0")->p;
	cr_assert_eq(iom_pcie_ser_ps(p, 280), S);
	cr_assert_eq(iom_pcie_ser_ps(p, 24), R);
	cr_assert_eq(iom_pcie_ser_ps(p, 276), C);
	cr_assert_eq(iom_pcie_ser_ps(p, 84), K);
	cr_assert_eq(F.f->nlinks, 3, "RP-USP, DSP0-A, DSP1-B");
}

Test(pcie_fabric, paths_cross_the_links_and_switches_between_two_points)
{
	setup("", "", "", IOM_PCIE_CPL_MPS);
	uint32_t a = fn_of(F.t, "A"), b = fn_of(F.t, "B");
	const struct iom_pcie_link *base = F.f->links;
	struct iom_pcie_path p;
	iom_pcie_fabric_path(F.f, a, IOM_PCIE_NONE, &p); /* A up to the root complex */
	cr_assert_eq(p.n, 2);
	cr_assert_eq(&base[p.s[0].link], link_of("DSP0"));
	cr_assert_eq(p.s[0].dir, IOM_PCIE_UP);
	cr_assert_eq(p.s[0].pre_ps, 0);
	cr_assert_eq(&base[p.s[1].link], link_of("RP"));
	cr_assert_eq(p.s[1].dir, IOM_PCIE_UP);
	cr_assert_eq(p.s[1].pre_ps, W, "through the switch");
	cr_assert_eq(p.post_ps, 0);
	iom_pcie_fabric_path(F.f, a, b, &p); /* across the switch: one switch latency */
	cr_assert_eq(p.n, 2);
	cr_assert_eq(&base[p.s[1].link], link_of("DSP1"));
	cr_assert_eq(p.s[1].dir, IOM_PCIE_DOWN);
	cr_assert_eq(p.s[1].pre_ps, W);
	iom_pcie_fabric_path_via_rc(F.f, b, a, &p); /* up to the RC and down again */
	cr_assert_eq(p.n, 4);
	cr_assert_eq(&base[p.s[1].link], link_of("RP"));
	cr_assert_eq(p.s[1].dir, IOM_PCIE_UP);
	cr_assert_eq(&base[p.s[2].link], link_of("RP"));
	cr_assert_eq(p.s[2].dir, IOM_PCIE_DOWN);
	cr_assert_eq(p.s[2].pre_ps, 0);
	cr_assert_eq(p.s[3].pre_ps, W);
	iom_pcie_fabric_path(F.f, a, fn_of(F.t, "USP"), &p); /* the switch's own BAR */
	cr_assert_eq(p.n, 1);
	cr_assert_eq(p.post_ps, W);
}

/* 16 MWr of 256 B: TLP i enters DSP0-A at i S, RP-USP at i S + L + W and
 * reaches the root complex at (i + 1) S + 2L + W; the last one is
 * translated (XL) and written to memory (D). */
Test(pcie_fabric, write_4k_through_one_switch_exact_completion)
{
	setup("", "", ", link: {gen: 3, width: 8, mps: 256}", IOM_PCIE_CPL_MPS);
	cr_assert_eq(dma(0x100000, 4096, true, IOM_ROUTE_IOMMU), 16 * S + 2 * L + W + XL + D);
	const struct iom_pcie_link *a = link_of("DSP0"), *rp = link_of("RP");
	cr_assert_eq(a->tlps[IOM_PCIE_UP], 16);
	cr_assert_eq(a->wire_bytes[IOM_PCIE_UP], 16 * 280);
	cr_assert_eq(a->data_bytes[IOM_PCIE_UP], 4096);
	cr_assert_eq(a->dir[IOM_PCIE_UP].busy_ps, 16 * S);
	cr_assert_eq(rp->tlps[IOM_PCIE_UP], 16);
	cr_assert_eq(rp->dir[IOM_PCIE_UP].wait_ps, 0, "equal links: no queueing after the first");
	cr_assert_eq(rp->tlps[IOM_PCIE_DOWN], 0, "writes are posted");
	cr_assert_eq(F.f->req_tlps, 16);
	/* all 16 are ready at 0: the first is in the fabric S + 2L + W, the last 16 S + 2L + W */
	cr_assert_eq(F.f->req_latency_ps.min, S + 2 * L + W);
	cr_assert_eq(F.f->req_latency_ps.max, 16 * S + 2 * L + W);
}

/* 8 MRd (one per 512 B): request i reaches the root complex at
 * (i + 1) R + 2L + W, memory answers XL + D later; the first completion is
 * ready at c0 = R + 2L + W + XL + D.  Each request's 512 bytes come back
 * as 2 CplD of 256 (MPS, on RCB boundaries); the 16 CplD queue on RP-USP
 * down (C each >> R), CplD k starts there at c0 + k C, on DSP0-A at
 * c0 + k C + L + W, and the last arrives at c0 + 16 C + 2L + W. */
Test(pcie_fabric, read_4k_mrd_up_cpld_down_split_by_mps)
{
	setup("", "", "", IOM_PCIE_CPL_MPS);
	uint64_t c0 = R + 2 * L + W + XL + D;
	cr_assert_eq(dma(0x100000, 4096, false, IOM_ROUTE_IOMMU), c0 + 16 * C + 2 * L + W);
	const struct iom_pcie_link *a = link_of("DSP0");
	cr_assert_eq(a->tlps[IOM_PCIE_UP], 8);
	cr_assert_eq(a->wire_bytes[IOM_PCIE_UP], 8 * 24);
	cr_assert_eq(a->tlps[IOM_PCIE_DOWN], 16);
	cr_assert_eq(a->wire_bytes[IOM_PCIE_DOWN], 16 * 276);
	cr_assert_eq(a->data_bytes[IOM_PCIE_DOWN], 4096);
	cr_assert_eq(F.f->cpl_tlps, 16);
}

/* cpl_split: rcb -- one CplD per 64-byte RCB block: 8 per request, 64 in
 * all, K each; the last arrives at c0 + 64 K + 2L + W. */
Test(pcie_fabric, read_4k_completions_split_by_rcb)
{
	setup("", "", "", IOM_PCIE_CPL_RCB);
	uint64_t c0 = R + 2 * L + W + XL + D;
	cr_assert_eq(dma(0x100000, 4096, false, IOM_ROUTE_IOMMU), c0 + 64 * K + 2 * L + W);
	cr_assert_eq(link_of("DSP0")->tlps[IOM_PCIE_DOWN], 64);
	cr_assert_eq(link_of("DSP0")->wire_bytes[IOM_PCIE_DOWN], 64 * 84);
}

/* A read at 0x100020 with MPS splitting: the first request [0x100020,
 * 0x100220) comes back as 224 (to the RCB boundary 0x100100), 256, 32. */
Test(pcie_fabric, unaligned_read_completions_end_on_rcb_boundaries)
{
	setup("", "", "", IOM_PCIE_CPL_MPS);
	dma(0x100020, 512, false, IOM_ROUTE_IOMMU);
	const struct iom_pcie_link *a = link_of("DSP0");
	cr_assert_eq(a->tlps[IOM_PCIE_UP], 1);
	cr_assert_eq(a->tlps[IOM_PCIE_DOWN], 3);
	cr_assert_eq(a->wire_bytes[IOM_PCIE_DOWN], 3 * 20 + 512);
}

/* No ACS at DSP0: A's write into B's BAR goes DSP0-A up, across the switch
 * (W), DSP1-B down: TLP i arrives at (i + 1) S + 2L + W.  No IOMMU, no
 * memory, nothing on RP-USP. */
Test(pcie_fabric, p2p_direct_write_goes_port_to_port)
{
	setup("", "", "", IOM_PCIE_CPL_MPS);
	cr_assert_eq(dma(0xb0000000, 4096, true, IOM_ROUTE_P2P), 16 * S + 2 * L + W);
	cr_assert_eq(link_of("RP")->tlps[IOM_PCIE_UP] + link_of("RP")->tlps[IOM_PCIE_DOWN], 0);
	cr_assert_eq(link_of("DSP1")->tlps[IOM_PCIE_DOWN], 16);
	cr_assert_eq(F.f->direct_tlps, 16);
	cr_assert_eq(F.f->redirected_tlps, 0);
}

/* RR at DSP0: up to the root complex as a memory write ((i + 1) S + 2L + W),
 * translated (XL) to B's BAR, then RP-USP down, the switch (W), DSP1-B down:
 * the last arrives at 16 S + 2L + W + XL + S + 2L + W. */
Test(pcie_fabric, p2p_redirected_write_goes_through_the_root_complex)
{
	setup(", acs: true, acs_cap: 0x1d, acs_ctrl: 0x1d", "", "", IOM_PCIE_CPL_MPS);
	cr_assert_eq(dma(0xb0000000, 4096, true, IOM_ROUTE_IOMMU),
	             17 * S + 4 * L + 2 * W + XL);
	cr_assert_eq(link_of("RP")->tlps[IOM_PCIE_UP], 16);
	cr_assert_eq(link_of("RP")->tlps[IOM_PCIE_DOWN], 16);
	cr_assert_eq(link_of("DSP1")->tlps[IOM_PCIE_DOWN], 16);
	cr_assert_eq(F.f->redirected_tlps, 16);
	cr_assert_eq(F.f->down_latency_ps.max, S + 2 * L + W);
}

/* Direct read of B's BAR: MRd i reaches B at (i + 1) R + 2L + W (B answers
 * at once: peer_latency 0); its 2 CplD go DSP1-B up, across, DSP0-A down;
 * the 16 queue on DSP1-B up from c0 = R + 2L + W: last at c0 + 16 C + 2L + W.
 * With CR at DSP1 they are redirected: DSP1-B up, RP-USP up, RP-USP down,
 * DSP0-A down: two more link latencies and one more switch. */
Test(pcie_fabric, p2p_read_completions_direct_or_redirected_by_cr)
{
	setup("", "", "", IOM_PCIE_CPL_MPS);
	uint64_t c0 = R + 2 * L + W;
	cr_assert_eq(dma(0xb0000000, 4096, false, IOM_ROUTE_P2P), c0 + 16 * C + 2 * L + W);
	cr_assert_eq(link_of("RP")->tlps[IOM_PCIE_DOWN], 0);
	fx_fini();
	setup("", ", acs: true, acs_cap: 0x08, acs_ctrl: 0x08", "", IOM_PCIE_CPL_MPS);
	cr_assert_eq(dma(0xb0000000, 4096, false, IOM_ROUTE_P2P), c0 + 16 * C + 4 * L + 2 * W);
	cr_assert_eq(link_of("RP")->tlps[IOM_PCIE_UP], 16);
	cr_assert_eq(link_of("RP")->tlps[IOM_PCIE_DOWN], 16);
}

Test(pcie_fabric, function_links_give_parameters_and_device_limits)
{
	setup("", "", ", link: {gen: 2, width: 4, mps: 128, mrrs: 1024}", IOM_PCIE_CPL_MPS);
	const struct iom_pcie_link *a = link_of("DSP0");
	cr_assert_eq(a->p.cfg.gen, 2);
	cr_assert_eq(a->p.cfg.width, 4);
	cr_assert_eq(link_of("RP")->p.cfg.gen, 3, "the pcie.link default");
	cr_assert_eq(F.dev.cfg.max_payload, 128, "the smallest MPS on the path");
	cr_assert_eq(F.dev.cfg.max_read_req, 1024, "its own link's MRRS");
	/* Gen2 x4 (8b/10b): 16 Gb/s raw, ACK and UpdateFC every 124 bytes (PCIe
	 * 5.0 tables 3-8 and 2-47, x4, MPS 128): a 128-byte MWr is 152 bytes */
	double rate = 16.0 * (1 - 16.0 / 124 - 4.0 / 1538);
	cr_assert_eq(iom_pcie_ser_ps(&a->p, 152), (uint64_t)(152 * 8000.0 / rate + 0.5));
}

Test(pcie_fabric, a_link_width_the_model_lacks_is_an_error_naming_the_function)
{
	struct iom_pcie_topo *t =
	    topo_yaml("pcie:\n  functions:\n"
	              "    - {name: RP, type: root_port}\n"
	              "    - {name: N, parent: RP, link: {width: 12}}\n");
	struct iom_pcie_link_cfg lc;
	iom_pcie_link_cfg_default(&lc);
	struct iom_err e = {0};
	cr_assert_null(iom_pcie_fabric_create(t, &lc, &e));
	cr_assert(strstr(e.msg, "t.yaml: pcie.functions[1] 'N': link.width: expected 1, 2, 4, 8, "
	                        "16 or 32 lanes, got 12"),
	          "%s", e.msg);
	iom_pcie_topo_destroy(t);
}

/* The calendar of one direction: TLPs take the first idle gap at or after
 * their ready time that holds them, whatever the order of the calls. */
Test(pcie_fabric, link_calendar_fills_gaps_in_time_order)
{
	struct iom_pcie_link_cfg lc;
	iom_pcie_link_cfg_default(&lc);
	struct iom_pcie_link l;
	struct iom_err e = {0};
	cr_assert_eq(iom_pcie_link_init(&l, &lc, "l", &e), 0, "%s", e.msg);
	enum iom_pcie_dir up = IOM_PCIE_UP;
	cr_assert_eq(iom_pcie_link_put_cal(&l, 0, 1000, up, 1, 1, 100), 1000); /* [1000, 1100) */
	cr_assert_eq(iom_pcie_link_put_cal(&l, 0, 0, up, 1, 1, 100), 0);       /* [0, 100) */
	cr_assert_eq(iom_pcie_link_put_cal(&l, 0, 50, up, 1, 1, 100), 100);    /* [100, 200) */
	/* the gap [200, 1000) is 800: 900 goes after 1100 */
	cr_assert_eq(iom_pcie_link_put_cal(&l, 0, 0, up, 1, 1, 900), 1100);
	cr_assert_eq(iom_pcie_link_put_cal(&l, 0, 150, up, 1, 1, 800), 200); /* exactly fills it */
	cr_assert_eq(l.cal[up].n, 1, "touching intervals merge: [0, 2000)");
	cr_assert_eq(l.dir[up].busy_ps, 2000);
	cr_assert_eq(l.dir[up].wait_ps, 50 + 1100 + 50);
	cr_assert_eq(l.tlps[up], 5);
	/* beyond the horizon 2000 everything before is forgotten */
	cr_assert_eq(iom_pcie_link_put_cal(&l, 2000, 2500, up, 1, 1, 10), 2500);
	cr_assert_eq(l.cal[up].n, 1);
	cr_assert_eq(iom_pcie_link_put_cal(&l, 2000, 2000, up, 1, 1, 10), 2000);
	cr_assert_eq(l.cal[up].n, 2);
	iom_pcie_link_fini(&l);
}
