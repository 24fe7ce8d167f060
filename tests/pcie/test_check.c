/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_check.c - the isolation checker a replay runs on every DMA record:
 * cutting a DMA at BAR boundaries, what goes on to the IOMMU, what goes
 * peer-to-peer inside or outside the group, what ACS blocks, and the
 * message for a violation (both functions, the path, the ACS setting).
 *
 * Topology: the reference's G3 (DSPs without ACS, A and B in different
 * groups) with BARs A 0xa0000000, B 0xb0000000 (64K each); expectations
 * follow route.c's rules (test_route.c).
 */
#include "pcie-test.h"

#include "check.h"

#include <string.h>

static const char G3[] =
    "pcie:\n  functions:\n"
    "    - {name: RP, type: root_port, acs: true, acs_cap: 0x1f, acs_ctrl: 0x1d}\n"
    "    - {name: USP, type: upstream_port, parent: RP}\n"
    "    - {name: DSP1, type: downstream_port, parent: USP, dev: 1%s}\n"
    "    - {name: DSP2, type: downstream_port, parent: USP, dev: 2}\n"
    "    - {name: A, parent: DSP1, bars: [{base: 0xa0000000, size: 64K}]}\n"
    "    - {name: B, parent: DSP2, bars: [{base: 0xb0000000, size: 64K}]}\n";

struct pieces {
	uint64_t iova[8], size[8];
	unsigned n;
};

static int to_iommu(void *ctx, uint64_t iova, uint64_t size, struct iom_err *err)
{
	struct pieces *p = ctx;
	(void)err;
	if (p->n < 8) {
		p->iova[p->n] = iova;
		p->size[p->n++] = size;
	}
	return 0;
}

static struct iom_pcie_checker *checker(const char *dsp1_extra)
{
	char y[1024];
	snprintf(y, sizeof(y), G3, dsp1_extra);
	struct iom_pcie_topo *t = topo_yaml(y);
	struct iom_err e = {0};
	struct iom_pcie_checker *c = iom_pcie_checker_create(t, &e);
	cr_assert_not_null(c, "%s", e.msg);
	return c;
}

#define A_RID 0x0300u /* bus 3 */

Test(pcie_check, memory_dma_goes_to_the_iommu_whole)
{
	struct iom_pcie_checker *c = checker("");
	struct pieces p = {0};
	struct iom_pcie_dma_verdict v;
	struct iom_err e = {0};
	cr_assert_eq(iom_pcie_checker_dma(c, A_RID, 0x10000000, 8192, true, to_iommu, &p, &v, &e),
	             0);
	cr_assert_eq(p.n, 1);
	cr_assert_eq(p.iova[0], 0x10000000);
	cr_assert_eq(p.size[0], 8192);
	cr_assert_not(v.violation || v.blocked);
	cr_assert_eq(c->dmas, 1);
	cr_assert_eq(c->iommu, 1);
	cr_assert_eq(c->by_reason[IOM_RR_MEMORY], 1);
	iom_pcie_checker_destroy(c);
}

Test(pcie_check, peer_dma_across_groups_is_a_violation)
{
	struct iom_pcie_checker *c = checker("");
	struct pieces p = {0};
	struct iom_pcie_dma_verdict v;
	struct iom_err e = {0};
	cr_assert_eq(iom_pcie_checker_dma(c, A_RID, 0xb0000100, 256, true, to_iommu, &p, &v, &e),
	             0);
	cr_assert_eq(p.n, 0, "nothing reaches the IOMMU");
	cr_assert(v.violation);
	cr_assert_eq(c->violations, 1);
	cr_assert_eq(c->p2p, 1);
	cr_assert_eq(c->p2p_bytes, 256);
	/* A is group 2 (after RP 0 and USP 1, DSP1's), B group 3 */
	cr_assert_str_eq(v.msg,
	                 "isolation violation: 03:00.0 (group 2) reached 04:00.0 (group 3, BAR0) "
	                 "at 0xb0000100 without the IOMMU; path 03:00.0 -> 02:01.0 -> 02:02.0 -> "
	                 "04:00.0; no ACS at downstream_port 02:01.0: routed to the peer");
	iom_pcie_checker_destroy(c);
}

Test(pcie_check, a_dma_straddling_a_bar_is_cut)
{
	/* [0xaffff000, 0xb0001000): 4K of memory, then 4K of B's BAR */
	struct iom_pcie_checker *c = checker("");
	struct pieces p = {0};
	struct iom_pcie_dma_verdict v;
	struct iom_err e = {0};
	cr_assert_eq(iom_pcie_checker_dma(c, A_RID, 0xaffff000, 8192, false, to_iommu, &p, &v, &e),
	             0);
	cr_assert_eq(p.n, 1);
	cr_assert_eq(p.iova[0], 0xaffff000);
	cr_assert_eq(p.size[0], 4096);
	cr_assert_eq(c->dmas, 2);
	cr_assert_eq(c->p2p_bytes, 4096);
	cr_assert(v.violation);
	/* and a DMA over all of B's BAR and beyond: BAR, then memory */
	p.n = 0;
	cr_assert_eq(
	    iom_pcie_checker_dma(c, A_RID, 0xb0000000, 0x20000, true, to_iommu, &p, &v, &e), 0);
	cr_assert_eq(p.n, 1);
	cr_assert_eq(p.iova[0], 0xb0010000);
	cr_assert_eq(p.size[0], 0x10000);
	iom_pcie_checker_destroy(c);
}

Test(pcie_check, redirect_keeps_the_dma_on_the_iommu_path)
{
	struct iom_pcie_checker *c = checker(", acs: true, acs_cap: 0x1f, acs_ctrl: 0x1d");
	struct pieces p = {0};
	struct iom_pcie_dma_verdict v;
	struct iom_err e = {0};
	cr_assert_eq(iom_pcie_checker_dma(c, A_RID, 0xb0000000, 64, true, to_iommu, &p, &v, &e), 0);
	cr_assert_eq(p.n, 1);
	cr_assert_not(v.violation);
	cr_assert_eq(c->by_reason[IOM_RR_REDIRECT], 1);
	iom_pcie_checker_destroy(c);
}

Test(pcie_check, acs_blocked_dma_is_a_result)
{
	/* EC with DSP2's egress bit (port 2) and no RR: blocked */
	struct iom_pcie_checker *c =
	    checker(", acs: true, acs_cap: 0x7f, acs_ctrl: 0x20, acs_egress: 4");
	struct pieces p = {0};
	struct iom_pcie_dma_verdict v;
	struct iom_err e = {0};
	cr_assert_eq(iom_pcie_checker_dma(c, A_RID, 0xb0000000, 64, true, to_iommu, &p, &v, &e), 0);
	cr_assert(v.blocked && !v.violation);
	cr_assert_eq(c->blocked, 1);
	cr_assert_eq(c->blocked_bytes, 64);
	cr_assert(strstr(v.msg, "blocked in the fabric: 03:00.0 -> 0xb0000000 (04:00.0)") != NULL,
	          "%s", v.msg);
	cr_assert(strstr(v.msg,
	                 "EC egress bit set, RR clear at downstream_port 02:01.0: blocked") != NULL,
	          "%s", v.msg);
	iom_pcie_checker_destroy(c);
}

Test(pcie_check, unknown_requester_is_an_input_error)
{
	struct iom_pcie_checker *c = checker("");
	struct pieces p = {0};
	struct iom_pcie_dma_verdict v;
	struct iom_err e = {0};
	cr_assert_eq(iom_pcie_checker_dma(c, 0x0900, 0, 64, true, to_iommu, &p, &v, &e),
	             -IOM_EINVAL);
	cr_assert_str_eq(e.msg,
	                 "dma from 0000:09:00.0: no function with this requester ID in the pcie "
	                 "topology");
	iom_pcie_checker_destroy(c);
}
