/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_route.c - TLP routing under ACS: a truth table of each ACS control
 * bit alone and in combination at a switch downstream port, completion
 * redirect, peer-to-peer inside a multifunction device, on a conventional
 * PCI bus and through the root complex, the recorded path, and the
 * isolation check against the groups.
 *
 * Expected outcomes follow algorithms-reference.md 4.1/4.2 (the decision
 * order SV, TB, DT, EC, RR; UF needed for redirected traffic to climb past
 * a port whose own range holds the target) and, for EC, PCIe 6.12.3: an
 * egress bit set blocks the request unless RR redirects it.
 *
 * Topology (bus numbers by depth-first enumeration):
 *   RP 00:01.0 (bus 1) -> USP 01:00.0 (bus 2) -> DSP1 02:01.0 (bus 3) -> A 03:00.0
 *                                              -> DSP2 02:02.0 (bus 4) -> B 04:00.0
 * A's BAR at 0xa0000000, B's at 0xb0000000 (64K), the USP's at 0xc0000000.
 */
#include "pcie-test.h"

#include <stdio.h>
#include <string.h>

#define T_A   0xa0000000ull
#define T_B   0xb0000000ull
#define T_USP 0xc0000000ull
#define MEM   0x12345000ull

static struct iom_pcie_topo *sw(bool acs, unsigned cap, unsigned ctrl, uint64_t egress,
                                unsigned dsp2_ctrl, unsigned rp_ctrl)
{
	char y[2048], d1[128] = "";
	if (acs)
		snprintf(d1, sizeof(d1),
		         ", acs: true, acs_cap: %#x, acs_ctrl: %#x, acs_egress: %#llx", cap, ctrl,
		         (unsigned long long)egress);
	snprintf(
	    y, sizeof(y),
	    "pcie:\n  functions:\n"
	    "    - {name: RP, type: root_port, dev: 1, acs: true, acs_cap: 0x7f, acs_ctrl: %#x}\n"
	    "    - {name: USP, type: upstream_port, parent: RP, bars: [{base: 0xc0000000, size: "
	    "64K}]}\n"
	    "    - {name: DSP1, type: downstream_port, parent: USP, dev: 1%s}\n"
	    "    - {name: DSP2, type: downstream_port, parent: USP, dev: 2, acs: true, acs_cap: "
	    "0x7f, "
	    "acs_ctrl: %#x}\n"
	    "    - {name: A, parent: DSP1, bars: [{base: 0xa0000000, size: 64K}]}\n"
	    "    - {name: B, parent: DSP2, bars: [{base: 0xb0000000, size: 64K}]}\n",
	    rp_ctrl, d1, dsp2_ctrl);
	return topo_yaml(y);
}

static struct iom_pcie_route go(const struct iom_pcie_topo *t, const char *src, uint64_t addr,
                                uint8_t at, bool read, uint16_t rid)
{
	struct iom_pcie_route_req q = {
	    .addr = addr, .at = at, .read = read, .rid_given = rid != 0, .rid = rid};
	struct iom_pcie_route r;
	iom_pcie_route(t, fn_of(t, src), &q, &r);
	return r;
}

#define UT IOM_PCIE_AT_UNTRANSLATED
#define TR IOM_PCIE_AT_TRANSLATED

struct row {
	const char *what;
	bool acs;
	unsigned cap, ctrl;
	uint64_t egress;
	unsigned rp_ctrl;
	uint8_t at;
	uint16_t rid; /* 0: A's own */
	uint8_t outcome, reason;
	const char *port; /* deciding port */
	uint16_t bit;
	bool set;
};

#define ALL  0x7f
#define BOOT 0x1d        /* SV RR CR UF */
#define EGB2 (1ull << 2) /* DSP2 is port number 2 */
#define P2P  IOM_ROUTE_P2P
#define MMU  IOM_ROUTE_IOMMU
#define BLK  IOM_ROUTE_BLOCKED

/* clang-format off */
static const struct row table[] = {
	/* each bit alone */
	{ "no ACS capability", false, 0, 0, 0, BOOT, UT, 0,
	  P2P, IOM_RR_DIRECT, "DSP1", 0, false },
	{ "nothing enabled", true, ALL, 0, 0, BOOT, UT, 0,
	  P2P, IOM_RR_DIRECT, "DSP1", IOM_ACS_RR, false },
	{ "SV, own bus", true, ALL, IOM_ACS_SV, 0, BOOT, UT, 0,
	  P2P, IOM_RR_DIRECT, "DSP1", IOM_ACS_RR, false },
	{ "SV, spoofed bus", true, ALL, IOM_ACS_SV, 0, BOOT, UT, 0x0500,
	  BLK, IOM_RR_SV, "DSP1", IOM_ACS_SV, true },
	{ "TB, untranslated", true, ALL, IOM_ACS_TB, 0, BOOT, UT, 0,
	  P2P, IOM_RR_DIRECT, "DSP1", IOM_ACS_RR, false },
	{ "TB, translated", true, ALL, IOM_ACS_TB, 0, BOOT, TR, 0,
	  BLK, IOM_RR_TB, "DSP1", IOM_ACS_TB, true },
	{ "RR", true, ALL, IOM_ACS_RR, 0, BOOT, UT, 0,
	  MMU, IOM_RR_REDIRECT, "DSP1", IOM_ACS_RR, true },
	{ "RR, root port without UF", true, ALL, IOM_ACS_RR, 0, 0x0d, UT, 0,
	  BLK, IOM_RR_UF, "RP", IOM_ACS_UF, false },
	{ "CR", true, ALL, IOM_ACS_CR, 0, BOOT, UT, 0,
	  P2P, IOM_RR_DIRECT, "DSP1", IOM_ACS_RR, false },
	{ "UF", true, ALL, IOM_ACS_UF, 0, BOOT, UT, 0,
	  P2P, IOM_RR_DIRECT, "DSP1", IOM_ACS_RR, false },
	{ "EC, egress bit set", true, ALL, IOM_ACS_EC, EGB2, BOOT, UT, 0,
	  BLK, IOM_RR_EC_BLOCK, "DSP1", IOM_ACS_EC, true },
	{ "EC, other port's bit", true, ALL, IOM_ACS_EC, 1ull << 1, BOOT, UT, 0,
	  P2P, IOM_RR_DIRECT, "DSP1", IOM_ACS_RR, false },
	{ "DT, translated", true, ALL, IOM_ACS_DT, 0, BOOT, TR, 0,
	  P2P, IOM_RR_DT, "DSP1", IOM_ACS_DT, true },
	{ "DT, untranslated", true, ALL, IOM_ACS_DT, 0, BOOT, UT, 0,
	  P2P, IOM_RR_DIRECT, "DSP1", IOM_ACS_RR, false },
	/* combinations */
	{ "RR+EC, egress bit set", true, ALL, IOM_ACS_RR | IOM_ACS_EC, EGB2, BOOT, UT, 0,
	  MMU, IOM_RR_EC_REDIRECT, "DSP1", IOM_ACS_EC, true },
	{ "RR+DT, translated", true, ALL, IOM_ACS_RR | IOM_ACS_DT, 0, BOOT, TR, 0,
	  P2P, IOM_RR_DT, "DSP1", IOM_ACS_DT, true },
	{ "RR+DT, untranslated", true, ALL, IOM_ACS_RR | IOM_ACS_DT, 0, BOOT, UT, 0,
	  MMU, IOM_RR_REDIRECT, "DSP1", IOM_ACS_RR, true },
	{ "TB+DT, translated", true, ALL, IOM_ACS_TB | IOM_ACS_DT, 0, BOOT, TR, 0,
	  BLK, IOM_RR_TB, "DSP1", IOM_ACS_TB, true },
	{ "SV+RR, spoofed bus", true, ALL, IOM_ACS_SV | IOM_ACS_RR, 0, BOOT, UT, 0x0500,
	  BLK, IOM_RR_SV, "DSP1", IOM_ACS_SV, true },
	{ "EC+DT, egress bit, translated", true, ALL, IOM_ACS_EC | IOM_ACS_DT, EGB2, BOOT, TR, 0,
	  P2P, IOM_RR_DT, "DSP1", IOM_ACS_DT, true },
	{ "SV RR CR UF (Linux at boot)", true, ALL, BOOT, 0, BOOT, UT, 0,
	  MMU, IOM_RR_REDIRECT, "DSP1", IOM_ACS_RR, true },
	{ "RR, translated, TB at the root port", true, ALL, IOM_ACS_RR, 0, 0x1f, TR, 0,
	  BLK, IOM_RR_TB, "RP", IOM_ACS_TB, true },
	/* control bits the capability lacks are hard-wired 0 for routing */
	{ "RR enabled but not advertised", true, ALL & ~IOM_ACS_RR, IOM_ACS_RR, 0, BOOT, UT, 0,
	  P2P, IOM_RR_DIRECT, "DSP1", IOM_ACS_RR, false },
};
/* clang-format on */

Test(pcie_route, acs_truth_table_at_a_switch_downstream_port)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const struct row *w = &table[i];
		struct iom_pcie_topo *t = sw(w->acs, w->cap, w->ctrl, w->egress, 0, w->rp_ctrl);
		struct iom_pcie_route r = go(t, "A", T_B + 0x40, w->at, false, w->rid);
		char why[160];
		iom_pcie_route_why_str(t, &r, why, sizeof(why));
		cr_expect_eq(r.outcome, w->outcome, "%s: outcome %s (%s)", w->what,
		             iom_pcie_outcome_name(r.outcome), why);
		cr_expect_eq(r.reason, w->reason, "%s: reason %s (%s)", w->what,
		             iom_pcie_reason_name(r.reason), why);
		cr_expect_eq(r.port, fn_of(t, w->port), "%s: decided at %u", w->what, r.port);
		cr_expect_eq(r.bit, w->bit, "%s: bit %#x", w->what, r.bit);
		cr_expect_eq(r.bit_set, w->set, "%s: bit set %d", w->what, r.bit_set);
		cr_expect_eq(r.target, fn_of(t, "B"), "%s: target", w->what);
		iom_pcie_topo_destroy(t);
	}
}

Test(pcie_route, direct_and_redirected_paths_are_recorded)
{
	struct iom_pcie_topo *t = sw(true, ALL, 0, 0, 0, BOOT);
	struct iom_pcie_route r = go(t, "A", T_B, UT, false, 0);
	char p[256];
	cr_assert_str_eq(iom_pcie_route_path_str(t, &r, p, sizeof(p)),
	                 "03:00.0 -> 02:01.0 -> 02:02.0 -> 04:00.0");
	cr_assert_eq(r.hops[1].action, IOM_HOP_ACROSS);
	cr_assert_eq(r.hops[3].action, IOM_HOP_TARGET);
	char why[160];
	cr_assert_str_eq(iom_pcie_route_why_str(t, &r, why, sizeof(why)),
	                 "RR clear at downstream_port 02:01.0: routed to the peer");
	iom_pcie_topo_destroy(t);
	t = sw(true, ALL, BOOT, 0, 0, BOOT);
	r = go(t, "A", T_B, UT, false, 0);
	cr_assert_str_eq(iom_pcie_route_path_str(t, &r, p, sizeof(p)),
	                 "03:00.0 -> 02:01.0 -> 01:00.0 -> 00:01.0 -> root complex (IOMMU)");
	cr_assert_eq(r.iommu_rid, 0x0300);
	iom_pcie_topo_destroy(t);
}

Test(pcie_route, memory_goes_to_the_iommu_unless_blocked)
{
	struct iom_pcie_topo *t = sw(true, ALL, IOM_ACS_TB, 0, 0, BOOT);
	struct iom_pcie_route r = go(t, "A", MEM, UT, true, 0);
	cr_assert_eq(r.outcome, IOM_ROUTE_IOMMU);
	cr_assert_eq(r.reason, IOM_RR_MEMORY);
	cr_assert_eq(r.target, IOM_PCIE_NONE);
	cr_assert_eq(r.nhops, 5);
	/* TB blocks translated requests on the way up, whatever the target */
	r = go(t, "A", MEM, TR, false, 0);
	cr_assert_eq(r.outcome, IOM_ROUTE_BLOCKED);
	cr_assert_eq(r.reason, IOM_RR_TB);
	cr_assert_eq(r.port, fn_of(t, "DSP1"));
	/* a translation request (AT=01) too */
	r = go(t, "A", MEM, IOM_PCIE_AT_TREQ, true, 0);
	cr_assert_eq(r.outcome, IOM_ROUTE_BLOCKED);
	iom_pcie_topo_destroy(t);
}

Test(pcie_route, completion_redirect_at_the_target_port)
{
	/* a P2P read from A to B: B's completions enter at DSP2 */
	struct iom_pcie_topo *t = sw(true, ALL, 0, 0, IOM_ACS_CR, BOOT);
	struct iom_pcie_route r = go(t, "A", T_B, UT, true, 0);
	cr_assert_eq(r.outcome, IOM_ROUTE_P2P);
	cr_assert(r.cpl_redirected);
	struct iom_pcie_route_req q = {.addr = T_B, .read = true, .relaxed = true};
	iom_pcie_route(t, fn_of(t, "A"), &q, &r);
	cr_assert_not(r.cpl_redirected, "relaxed-ordering completions are not redirected");
	r = go(t, "A", T_B, UT, false, 0);
	cr_assert_not(r.cpl_redirected, "a write has no completion");
	iom_pcie_topo_destroy(t);
	t = sw(true, ALL, 0, 0, 0, BOOT);
	r = go(t, "A", T_B, UT, true, 0);
	cr_assert_not(r.cpl_redirected);
	iom_pcie_topo_destroy(t);
}

Test(pcie_route, own_bar_and_switch_bar_targets)
{
	/* A's own BAR: back into DSP1's own range -> UF decides */
	struct iom_pcie_topo *t = sw(true, ALL, IOM_ACS_UF, 0, 0, BOOT);
	struct iom_pcie_route r = go(t, "A", T_A, UT, false, 0);
	cr_assert_eq(r.outcome, IOM_ROUTE_IOMMU);
	iom_pcie_topo_destroy(t);
	t = sw(true, ALL, 0, 0, 0, BOOT);
	r = go(t, "A", T_A, UT, false, 0);
	cr_assert_eq(r.outcome, IOM_ROUTE_BLOCKED);
	cr_assert_eq(r.reason, IOM_RR_UF);
	/* the switch's own (USP) BAR: peer-to-peer like a sibling port */
	r = go(t, "A", T_USP, UT, false, 0);
	cr_assert_eq(r.outcome, IOM_ROUTE_P2P);
	cr_assert_eq(r.target, fn_of(t, "USP"));
	iom_pcie_topo_destroy(t);
	t = sw(true, ALL, IOM_ACS_RR, 0, 0, BOOT);
	r = go(t, "A", T_USP, UT, false, 0);
	cr_assert_eq(r.outcome, IOM_ROUTE_IOMMU);
	cr_assert_eq(r.reason, IOM_RR_REDIRECT);
	iom_pcie_topo_destroy(t);
}

/* RP -> multifunction device f0/f1 (01:00.0/.1): f0 -> f1's BAR. */
static const char MFD[] =
    "pcie:\n  functions:\n"
    "    - {name: RP, type: root_port, acs: true, acs_cap: 0x7f, acs_ctrl: %s}\n"
    "    - {name: f0, parent: RP%s, bars: [{base: 0xd0000000, size: 4K}]}\n"
    "    - {name: f1, parent: RP, fn: 1%s, bars: [{base: 0xd0001000, size: 4K}]}\n";

Test(pcie_route, inside_a_multifunction_device)
{
	char y[1024];
	snprintf(y, sizeof(y), MFD, "0x1d", "", "");
	struct iom_pcie_topo *t = topo_yaml(y);
	struct iom_pcie_route r = go(t, "f0", 0xd0001000ull, UT, false, 0);
	cr_assert_eq(r.outcome, IOM_ROUTE_P2P);
	cr_assert_eq(r.reason, IOM_RR_INTERNAL);
	cr_assert_eq(r.port, fn_of(t, "f0"));
	cr_assert_eq(r.bit, 0); /* no ACS capability on the function */
	cr_assert_eq(r.nhops, 2);
	cr_assert_not(iom_pcie_isolation_violated(t, fn_of(t, "f0"), &r), "same group");
	iom_pcie_topo_destroy(t);
	/* RR on the function: out to the root port, whose UF sends it up */
	snprintf(y, sizeof(y), MFD, "0x1d", ", acs: true, acs_cap: 0x4d, acs_ctrl: 0x04", "");
	t = topo_yaml(y);
	r = go(t, "f0", 0xd0001000ull, UT, false, 0);
	cr_assert_eq(r.outcome, IOM_ROUTE_IOMMU);
	cr_assert_eq(r.reason, IOM_RR_REDIRECT);
	cr_assert_eq(r.port, fn_of(t, "f0"));
	iom_pcie_topo_destroy(t);
	/* ... and without UF at the root port it is an unsupported request */
	snprintf(y, sizeof(y), MFD, "0x0d", ", acs: true, acs_cap: 0x4d, acs_ctrl: 0x04", "");
	t = topo_yaml(y);
	r = go(t, "f0", 0xd0001000ull, UT, false, 0);
	cr_assert_eq(r.outcome, IOM_ROUTE_BLOCKED);
	cr_assert_eq(r.reason, IOM_RR_UF);
	cr_assert_eq(r.port, fn_of(t, "RP"));
	iom_pcie_topo_destroy(t);
	/* an Intel I350 (mf-endpoint quirk) does no P2P between its functions */
	snprintf(y, sizeof(y), MFD, "0x1d", ", vendor: 0x8086, device: 0x1521",
	         ", vendor: 0x8086, device: 0x1521");
	t = topo_yaml(y);
	r = go(t, "f0", 0xd0001000ull, UT, false, 0);
	cr_assert_eq(r.outcome, IOM_ROUTE_IOMMU);
	iom_pcie_topo_destroy(t);
}

Test(pcie_route, conventional_pci_bus_and_bridge_alias)
{
	struct iom_pcie_topo *t = topo_yaml(
	    "pcie:\n  functions:\n"
	    "    - {name: RP, type: root_port, acs: true, acs_cap: 0x1f, acs_ctrl: 0x1d}\n"
	    "    - {name: X, type: pcie_to_pci_bridge, parent: RP}\n"
	    "    - {name: P1, type: pci_device, parent: X, dev: 4, bars: [{base: 0xe0000000, size: "
	    "4K}]}\n"
	    "    - {name: P2, type: pci_device, parent: X, dev: 5, bars: [{base: 0xe0001000, size: "
	    "4K}]}\n");
	struct iom_pcie_route r = go(t, "P1", 0xe0001000ull, UT, false, 0);
	cr_assert_eq(r.outcome, IOM_ROUTE_P2P);
	cr_assert_eq(r.reason, IOM_RR_PCI_BUS);
	cr_assert_eq(r.port, fn_of(t, "X"));
	char p[128];
	cr_assert_str_eq(iom_pcie_route_path_str(t, &r, p, sizeof(p)), "02:04.0 -> 02:05.0");
	cr_assert_not(iom_pcie_isolation_violated(t, fn_of(t, "P1"), &r), "one group {X, P1, P2}");
	/* to memory: through X, which takes ownership: the IOMMU sees (02, 00.0) */
	r = go(t, "P1", MEM, UT, false, 0);
	cr_assert_eq(r.outcome, IOM_ROUTE_IOMMU);
	cr_assert_eq(r.iommu_rid, 0x0200);
	iom_pcie_topo_destroy(t);
}

static const char RC[] =
    "pcie:\n  enable_acs: %s\n  functions:\n"
    "    - {name: r0, type: root_port, dev: 0x1c, vendor: 0x8086, device: 0x8d10}\n"
    "    - {name: r1, type: root_port, dev: 0x1c, fn: 1, vendor: 0x8086, device: 0x8d12}\n"
    "    - {name: r2, type: root_port, dev: 0x02}\n"
    "    - {name: e0, parent: r0}\n"
    "    - {name: e1, parent: r1, bars: [{base: 0xf0000000, size: 4K}]}\n"
    "    - {name: e2, parent: r2, bars: [{base: 0xf0100000, size: 4K}]}\n";

Test(pcie_route, through_the_root_complex)
{
	char y[1024];
	/* PCH ports 1c.0 and 1c.1 (one multifunction device) without the quirk
	 * enabled: peer decode between them -- the reason Linux groups them */
	snprintf(y, sizeof(y), RC, "false");
	struct iom_pcie_topo *t = topo_yaml(y);
	struct iom_pcie_route r = go(t, "e0", 0xf0000000ull, UT, false, 0);
	cr_assert_eq(r.outcome, IOM_ROUTE_P2P);
	cr_assert_eq(r.reason, IOM_RR_DIRECT);
	cr_assert_eq(r.port, fn_of(t, "r0"));
	cr_assert_not(iom_pcie_isolation_violated(t, fn_of(t, "e0"), &r), "one PCH group");
	/* separate root ports: the root complex sends it to the IOMMU */
	r = go(t, "e0", 0xf0100000ull, UT, false, 0);
	cr_assert_eq(r.outcome, IOM_ROUTE_IOMMU);
	cr_assert_eq(r.reason, IOM_RR_ROOT);
	iom_pcie_topo_destroy(t);
	/* with the quirk enabled the PCH port redirects */
	snprintf(y, sizeof(y), RC, "true");
	t = topo_yaml(y);
	r = go(t, "e0", 0xf0000000ull, UT, false, 0);
	cr_assert_eq(r.outcome, IOM_ROUTE_IOMMU);
	cr_assert_eq(r.reason, IOM_RR_REDIRECT);
	cr_assert_eq(r.port, fn_of(t, "r0"));
	iom_pcie_topo_destroy(t);
}

/* The isolation check: reaching another function without the IOMMU is
 * allowed only inside the group.  G3 of the reference (DSPs without ACS):
 * A and B are in different groups although P2P between them works. */
Test(pcie_route, isolation_violation_in_the_g3_gap)
{
	struct iom_pcie_topo *t = sw(false, 0, 0, 0, 0, BOOT);
	struct iom_err e = {0};
	/* DSP2 has ACS in sw(); strip it to make the reference's G3 exactly */
	t->fns[fn_of(t, "DSP2")].acs = false;
	cr_assert_eq(iom_pcie_groups_compute(t, &e), 0);
	assert_group(t, "A", "A DSP1");
	assert_group(t, "B", "B DSP2");
	struct iom_pcie_route r = go(t, "A", T_B, UT, false, 0);
	cr_assert_eq(r.outcome, IOM_ROUTE_P2P);
	cr_assert(iom_pcie_isolation_violated(t, fn_of(t, "A"), &r));
	char why[160];
	cr_assert_str_eq(iom_pcie_route_why_str(t, &r, why, sizeof(why)),
	                 "no ACS at downstream_port 02:01.0: routed to the peer");
	iom_pcie_topo_destroy(t);
	/* G4: RR at the DSP -> the IOMMU sees it, no violation */
	t = sw(true, ALL, BOOT, 0, BOOT, BOOT);
	r = go(t, "A", T_B, UT, false, 0);
	cr_assert_eq(r.outcome, IOM_ROUTE_IOMMU);
	cr_assert_not(iom_pcie_isolation_violated(t, fn_of(t, "A"), &r));
	iom_pcie_topo_destroy(t);
}
