/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_groups.c - IOMMU groups as Linux's pci_device_group forms them.
 *
 * The eight worked examples G1-G8 of algorithms-reference.md Appendix A.1
 * are one test each, with the expected groups copied from that table; the
 * other tests follow the rules of sections 4.3-4.5 (quirks, DMA aliases,
 * device order), 3.1 and 7.1 (PASID/SVA per kernel version), worked out by
 * hand in the comment above each.
 *
 * ACS values: 0x1f = SV|TB|RR|CR|UF advertised, 0x1d = SV|RR|CR|UF enabled.
 */
#include "pcie-test.h"

#include <stdio.h>
#include <string.h>

#define RP_ACS "acs: true, acs_cap: 0x1f, acs_ctrl: 0x1d"

/* G1: root port RP (single function, ACS SV|RR|CR|UF enabled) -> endpoint E:
 * {RP}, {E}. */
Test(pcie_groups, g1_root_port_with_acs_isolates_its_endpoint)
{
	struct iom_pcie_topo *t = topo_yaml("pcie:\n  functions:\n"
	                                    "    - {name: RP, type: root_port, " RP_ACS "}\n"
	                                    "    - {name: E, parent: RP}\n");
	assert_group(t, "RP", "RP");
	assert_group(t, "E", "E");
	cr_assert_eq(t->ngroups, 2);
	iom_pcie_topo_destroy(t);
}

/* G2: RP without an ACS capability -> MFD 01:00.0 / 01:00.1:
 * {RP, 01:00.0, 01:00.1}. */
Test(pcie_groups, g2_root_port_without_acs_takes_the_functions_below)
{
	struct iom_pcie_topo *t = topo_yaml("pcie:\n  functions:\n"
	                                    "    - {name: RP, type: root_port}\n"
	                                    "    - {name: f0, parent: RP}\n"
	                                    "    - {name: f1, parent: RP, fn: 1}\n");
	cr_assert_eq(t->fns[fn_of(t, "f0")].bus, 1);
	assert_group(t, "RP", "RP f0 f1");
	cr_assert_eq(t->ngroups, 1);
	cr_assert_eq(t->fns[fn_of(t, "f0")].group_why, IOM_GROUP_ACS_PATH);
	iom_pcie_topo_destroy(t);
}

static const char G3[] = "pcie:\n  functions:\n"
                         "    - {name: RP, type: root_port, " RP_ACS "}\n"
                         "    - {name: USP, type: upstream_port, parent: RP}\n"
                         "    - {name: DSP1, type: downstream_port, parent: USP, dev: 1%s}\n"
                         "    - {name: DSP2, type: downstream_port, parent: USP, dev: 2%s}\n"
                         "    - {name: A, parent: DSP1}\n"
                         "    - {name: B, parent: DSP2}\n";

/* G3: RP (ACS ok) -> switch USP -> DSP1, DSP2 without ACS -> A, B:
 * {RP}, {USP}, {DSP1, A}, {DSP2, B} (A and B separated: the known gap). */
Test(pcie_groups, g3_switch_ports_without_acs_join_their_endpoints)
{
	char y[1024];
	snprintf(y, sizeof(y), G3, "", "");
	struct iom_pcie_topo *t = topo_yaml(y);
	assert_group(t, "RP", "RP");
	assert_group(t, "USP", "USP");
	assert_group(t, "A", "A DSP1");
	assert_group(t, "B", "B DSP2");
	cr_assert_eq(t->ngroups, 4);
	iom_pcie_topo_destroy(t);
}

/* G4: as G3 with SV|RR|CR|UF on DSP1 and DSP2: six singleton groups. */
Test(pcie_groups, g4_switch_ports_with_acs_isolate_everything)
{
	char y[1024];
	snprintf(y, sizeof(y), G3, ", " RP_ACS, ", " RP_ACS);
	struct iom_pcie_topo *t = topo_yaml(y);
	const char *names[] = {"RP", "USP", "DSP1", "DSP2", "A", "B"};
	for (size_t i = 0; i < 6; i++)
		assert_group(t, names[i], names[i]);
	cr_assert_eq(t->ngroups, 6);
	iom_pcie_topo_destroy(t);
}

static const char G5[] = "pcie:\n  functions:\n"
                         "    - {name: RP, type: root_port, " RP_ACS "}\n"
                         "    - {name: USP, type: upstream_port, parent: RP}\n"
                         "    - {name: DSP, type: downstream_port, parent: USP, " RP_ACS "}\n"
                         "    - {name: f0, parent: DSP%s}\n"
                         "    - {name: f1, parent: DSP, fn: 1%s}\n";

/* G5: DSP (ACS ok) -> MFD 02:00.0 / 02:00.1 without ACS capability and
 * without quirk: {02:00.0, 02:00.1} (function group). */
Test(pcie_groups, g5_multifunction_device_without_acs_is_one_group)
{
	char y[1024];
	snprintf(y, sizeof(y), G5, "", "");
	struct iom_pcie_topo *t = topo_yaml(y);
	cr_assert_eq(t->fns[fn_of(t, "f0")].bus, 3);
	assert_group(t, "f0", "f0 f1");
	assert_group(t, "DSP", "DSP");
	cr_assert_eq(t->fns[fn_of(t, "f1")].group_why, IOM_GROUP_FUNCTION);
	iom_pcie_topo_destroy(t);
}

/* G6: as G5 with an ACS capability on each function advertising nothing
 * (every bit "hard-wired"): {02:00.0}, {02:00.1}. */
Test(pcie_groups, g6_empty_acs_capability_separates_the_functions)
{
	char y[1024];
	snprintf(y, sizeof(y), G5, ", acs: true, acs_cap: 0", ", acs: true, acs_cap: 0");
	struct iom_pcie_topo *t = topo_yaml(y);
	assert_group(t, "f0", "f0");
	assert_group(t, "f1", "f1");
	iom_pcie_topo_destroy(t);
}

static const char G7[] = "pcie:\n  functions:\n"
                         "    - {name: RP, type: root_port, " RP_ACS "}\n"
                         "    - {name: X, type: pcie_to_pci_bridge, parent: RP}\n"
                         "    - {name: P1, type: pci_device, parent: X, dev: 4}\n"
                         "    - {name: P2, type: pci_device, parent: X, dev: 5}\n";

/* G7: RP (ACS ok) -> PCIe-to-PCI bridge X -> conventional P1, P2: {X, P1, P2}. */
Test(pcie_groups, g7_conventional_devices_join_their_pcie_to_pci_bridge)
{
	struct iom_pcie_topo *t = topo_yaml(G7);
	assert_group(t, "RP", "RP");
	assert_group(t, "X", "P1 P2 X");
	cr_assert_eq(t->ngroups, 2);
	cr_assert_eq(t->fns[fn_of(t, "P1")].group_why, IOM_GROUP_BRIDGE_ALIAS);
	cr_assert_eq(t->fns[fn_of(t, "P1")].group_via, fn_of(t, "X"));
	iom_pcie_topo_destroy(t);
}

/* G8: multifunction root ports 00:1c.0-1c.3 without ACS and without quirk,
 * one endpoint each: one group of all eight. */
Test(pcie_groups, g8_multifunction_root_ports_without_acs_are_one_group)
{
	struct iom_pcie_topo *t = topo_yaml("pcie:\n  functions:\n"
	                                    "    - {name: r0, type: root_port, dev: 0x1c, fn: 0}\n"
	                                    "    - {name: r1, type: root_port, dev: 0x1c, fn: 1}\n"
	                                    "    - {name: r2, type: root_port, dev: 0x1c, fn: 2}\n"
	                                    "    - {name: r3, type: root_port, dev: 0x1c, fn: 3}\n"
	                                    "    - {name: e0, parent: r0}\n"
	                                    "    - {name: e1, parent: r1}\n"
	                                    "    - {name: e2, parent: r2}\n"
	                                    "    - {name: e3, parent: r3}\n");
	assert_group(t, "r0", "e0 e1 e2 e3 r0 r1 r2 r3");
	cr_assert_eq(t->ngroups, 1);
	iom_pcie_topo_destroy(t);
}

/* ---- DMA aliases ------------------------------------------------------------ */

/* G7's P1 (bus 2, dev 4) DMAs through X (secondary bus 2): the requester ID
 * at the root is (2, 00.0); the walk reports P1's own RID, then X's alias. */
struct seen {
	uint32_t fn[8];
	uint16_t rid[8];
	unsigned n;
};

static bool record_alias(const struct iom_pcie_topo *t, uint32_t fn, uint16_t rid, void *ctx)
{
	struct seen *s = ctx;
	(void)t;
	if (s->n < 8) {
		s->fn[s->n] = fn;
		s->rid[s->n++] = rid;
	}
	return false;
}

Test(pcie_groups, dma_through_a_pcie_to_pci_bridge_takes_its_secondary_bus_alias)
{
	struct iom_pcie_topo *t = topo_yaml(G7);
	uint32_t p1 = fn_of(t, "P1"), x = fn_of(t, "X");
	cr_assert_eq(t->fns[x].secondary, 2);
	cr_assert_eq(iom_pcie_rid(&t->fns[p1]), 0x0220);
	struct seen s = {0};
	cr_assert_not(iom_pcie_for_each_dma_alias(t, p1, record_alias, &s));
	cr_assert_eq(s.n, 2);
	cr_assert_eq(s.fn[0], p1);
	cr_assert_eq(s.rid[0], 0x0220);
	cr_assert_eq(s.fn[1], x);
	cr_assert_eq(s.rid[1], 0x0200);
	cr_assert_eq(iom_pcie_dma_rid(t, p1), 0x0200);
	cr_assert_eq(iom_pcie_dma_rid(t, fn_of(t, "RP")), 0x0000);
	iom_pcie_topo_destroy(t);
}

/* A conventional PCI bridge (no PCIe capability) below a root port: its
 * devices alias to the bridge's own RID; with the ASMedia 1b21:1080 quirk
 * (PCI_DEV_FLAG_PCIE_BRIDGE_ALIAS) to (secondary, 00.0) instead. */
Test(pcie_groups, conventional_bridge_alias_and_its_quirk)
{
	const char *fmt = "pcie:\n  functions:\n"
	                  "    - {name: RP, type: root_port, " RP_ACS "}\n"
	                  "    - {name: BR, type: pci_bridge, parent: RP%s}\n"
	                  "    - {name: P, type: pci_device, parent: BR, dev: 2}\n";
	char y[512];
	snprintf(y, sizeof(y), fmt, "");
	struct iom_pcie_topo *t = topo_yaml(y);
	cr_assert_eq(iom_pcie_dma_rid(t, fn_of(t, "P")), 0x0100); /* BR is 01:00.0 */
	assert_group(t, "P", "BR P");
	iom_pcie_topo_destroy(t);
	snprintf(y, sizeof(y), fmt, ", vendor: 0x1b21, device: 0x1080");
	t = topo_yaml(y);
	cr_assert(t->fns[fn_of(t, "BR")].pcie_bridge_alias);
	cr_assert_eq(iom_pcie_dma_rid(t, fn_of(t, "P")), 0x0200); /* secondary bus 2, 00.0 */
	iom_pcie_topo_destroy(t);
}

/* Marvell 1b4b:9123 DMAs with function 1's RID (quirk_dma_func1_alias):
 * function 0 aliases 00.1, so a function 1 of that slot -- even one with
 * ACS that would be alone -- shares its group (get_pci_alias_group). */
Test(pcie_groups, dma_alias_quirk_merges_the_aliased_function)
{
	struct iom_pcie_topo *t =
	    topo_yaml("pcie:\n  functions:\n"
	              "    - {name: RP, type: root_port, " RP_ACS "}\n"
	              "    - {name: sata, parent: RP, vendor: 0x1b4b, device: 0x9123, acs: true, "
	              "acs_cap: 0}\n"
	              "    - {name: ide, parent: RP, fn: 1, acs: true, acs_cap: 0}\n");
	uint32_t sata = fn_of(t, "sata");
	cr_assert(iom_pcie_fn_has_alias(&t->fns[sata], 0x01));
	cr_assert_eq(iom_pcie_dma_rid(t, sata), 0x0101);
	assert_group(t, "sata", "ide sata");
	cr_assert_eq(t->fns[fn_of(t, "ide")].group_why, IOM_GROUP_DMA_ALIAS);
	iom_pcie_topo_destroy(t);
}

/* ---- quirks and kernel versions --------------------------------------------- */

static const char PCH[] =
    "pcie:\n  enable_acs: %s\n  kernel: \"%s\"\n  functions:\n"
    "    - {name: r0, type: root_port, dev: 0x1c, vendor: 0x8086, device: 0x8d10}\n"
    "    - {name: r1, type: root_port, dev: 0x1c, fn: 1, vendor: 0x8086, device: 0x8d12}\n"
    "    - {name: e0, parent: r0}\n"
    "    - {name: e1, parent: r1}\n";

/* Intel Wellsburg (X99) PCH root ports 8086:8d10/8d12 have no ACS
 * capability; once the kernel enabled isolation in the chipset (pci_enable_acs
 * with an IOMMU) the quirk reports SV|RR|CR|UF: G8 becomes four groups. */
Test(pcie_groups, intel_pch_quirk_isolates_root_ports_once_enabled)
{
	char y[1024];
	snprintf(y, sizeof(y), PCH, "true", "6.12");
	struct iom_pcie_topo *t = topo_yaml(y);
	cr_assert(t->fns[fn_of(t, "r0")].acs_quirk_enabled);
	assert_group(t, "r0", "r0");
	assert_group(t, "r1", "r1");
	assert_group(t, "e0", "e0");
	assert_group(t, "e1", "e1");
	iom_pcie_topo_destroy(t);
	snprintf(y, sizeof(y), PCH, "false", "6.12");
	t = topo_yaml(y);
	assert_group(t, "r0", "e0 e1 r0 r1");
	iom_pcie_topo_destroy(t);
}

static const char RCIEP[] =
    "pcie:\n  kernel: \"%s\"\n  functions:\n"
    "    - {name: a, type: rciep, dev: 5, vendor: 0x8086, device: 0x6f28}\n"
    "    - {name: b, type: rciep, dev: 5, fn: 1, vendor: 0x8086, device: 0x6f29}\n"
    "    - {name: c, type: rciep, dev: 6, fn: 0, vendor: 0x10ee, device: 0x9038}\n"
    "    - {name: d, type: rciep, dev: 6, fn: 1, vendor: 0x10ee, device: 0x9038}\n";

/* The Intel RCiEP quirk (v5.8) isolates Intel multifunction RCiEPs; before
 * it, and for other vendors, a multifunction RCiEP without ACS is one group. */
Test(pcie_groups, intel_rciep_quirk_depends_on_the_kernel_version)
{
	char y[1024];
	snprintf(y, sizeof(y), RCIEP, "5.8");
	struct iom_pcie_topo *t = topo_yaml(y);
	assert_group(t, "a", "a");
	assert_group(t, "b", "b");
	assert_group(t, "c", "c d");
	iom_pcie_topo_destroy(t);
	snprintf(y, sizeof(y), RCIEP, "5.7");
	t = topo_yaml(y);
	assert_group(t, "a", "a b");
	assert_group(t, "c", "c d");
	iom_pcie_topo_destroy(t);
}

/* An Intel I350 (8086:1521) multifunction NIC has no ACS capability but the
 * mf-endpoint quirk says its functions do no peer-to-peer: one group each. */
Test(pcie_groups, multifunction_endpoint_quirk_separates_functions)
{
	struct iom_pcie_topo *t =
	    topo_yaml("pcie:\n  functions:\n"
	              "    - {name: RP, type: root_port, " RP_ACS "}\n"
	              "    - {name: p0, parent: RP, vendor: 0x8086, device: 0x1521}\n"
	              "    - {name: p1, parent: RP, fn: 1, vendor: 0x8086, device: 0x1521}\n");
	assert_group(t, "p0", "p0");
	assert_group(t, "p1", "p1");
	iom_pcie_topo_destroy(t);
}

/* Sunrise Point root ports (8086:a110) keep ACS control at +8: before the
 * v4.7 quirk Linux read zeros and grouped the port with what is below. */
Test(pcie_groups, sunrise_point_root_port_before_and_after_its_quirk)
{
	const char *fmt =
	    "pcie:\n  kernel: \"%s\"\n  functions:\n"
	    "    - {name: rp, type: root_port, vendor: 0x8086, device: 0xa110, " RP_ACS "}\n"
	    "    - {name: e, parent: rp}\n";
	char y[512];
	snprintf(y, sizeof(y), fmt, "4.7");
	struct iom_pcie_topo *t = topo_yaml(y);
	assert_group(t, "e", "e");
	iom_pcie_topo_destroy(t);
	snprintf(y, sizeof(y), fmt, "4.6");
	t = topo_yaml(y);
	assert_group(t, "e", "e rp");
	iom_pcie_topo_destroy(t);
}

/* ACS bits the capability does not advertise are "hard-wired": a DSP whose
 * capability has only SV|RR (0x05) with both enabled passes REQ_ACS_FLAGS;
 * one advertising CR without enabling it does not. */
Test(pcie_groups, unadvertised_acs_bits_count_as_enabled)
{
	char y[1024];
	snprintf(y, sizeof(y), G3, ", acs: true, acs_cap: 0x05, acs_ctrl: 0x05",
	         ", acs: true, acs_cap: 0x0d, acs_ctrl: 0x05");
	struct iom_pcie_topo *t = topo_yaml(y);
	assert_group(t, "A", "A");
	assert_group(t, "B", "B DSP2");
	iom_pcie_topo_destroy(t);
}

/* Group numbers follow the order Linux adds devices: all of bus 0 (rp0, rp1
 * and the RCiEP), then the bus below rp0, then the one below rp1. */
Test(pcie_groups, group_numbers_follow_the_bus_walk)
{
	struct iom_pcie_topo *t =
	    topo_yaml("pcie:\n  functions:\n"
	              "    - {name: e1, parent: rp1}\n"
	              "    - {name: rp1, type: root_port, dev: 3, " RP_ACS "}\n"
	              "    - {name: rp0, type: root_port, dev: 1, " RP_ACS "}\n"
	              "    - {name: rc, type: rciep, dev: 7}\n"
	              "    - {name: e0, parent: rp0}\n");
	cr_assert_eq(grp(t, "rp0"), 0);
	cr_assert_eq(grp(t, "rp1"), 1);
	cr_assert_eq(grp(t, "rc"), 2);
	cr_assert_eq(grp(t, "e0"), 3);
	cr_assert_eq(grp(t, "e1"), 4);
	iom_pcie_topo_destroy(t);
}

/* ---- PASID / SVA ------------------------------------------------------------- */

static const char SVA[] =
    "pcie:\n  kernel: \"%s\"\n  functions:\n"
    "    - {name: RP, type: root_port, acs: true, acs_cap: 0x1f, acs_ctrl: %s}\n"
    "    - {name: f0, parent: RP, pasid: true, vendor: 0x1b4b, device: 0x9123, acs: true}\n"
    "    - {name: f1, parent: RP, fn: 1, acs: true}\n"
    "    - {name: g0, type: rciep, dev: 9, pasid: true}\n"
    "    - {name: g1, type: rciep, dev: 9, fn: 1}\n";

/* f0 aliases f1 (Marvell quirk) so they share a group although each has an
 * (empty, hence passing) ACS capability; g0/g1 are a multifunction RCiEP
 * without ACS.  <= 6.1: SVA bind refuses a multi-device group; >= 6.2:
 * pci_enable_pasid needs RR|UF on the path from the function itself up, and
 * the group may have several devices. */
Test(pcie_groups, pasid_and_sva_rules_follow_the_kernel_version)
{
	char y[1024];
	uint32_t blk;
	snprintf(y, sizeof(y), SVA, "6.1", "0x1d");
	struct iom_pcie_topo *t = topo_yaml(y);
	assert_group(t, "f0", "f0 f1");
	blk = IOM_PCIE_NONE;
	cr_assert_eq(iom_pcie_pasid_check(t, fn_of(t, "f0"), &blk), IOM_PASID_GROUP_SHARED);
	cr_assert_eq(blk, fn_of(t, "f1"));
	cr_assert_eq(iom_pcie_pasid_check(t, fn_of(t, "f1"), NULL), IOM_PASID_NO_CAP);
	cr_assert_eq(iom_pcie_pasid_check(t, fn_of(t, "g0"), NULL), IOM_PASID_GROUP_SHARED);
	iom_pcie_topo_destroy(t);
	snprintf(y, sizeof(y), SVA, "6.2", "0x1d");
	t = topo_yaml(y);
	cr_assert_eq(iom_pcie_pasid_check(t, fn_of(t, "f0"), NULL), IOM_PASID_OK);
	/* the multifunction RCiEP without ACS fails at itself */
	blk = IOM_PCIE_NONE;
	cr_assert_eq(iom_pcie_pasid_check(t, fn_of(t, "g0"), &blk), IOM_PASID_ACS_PATH);
	cr_assert_eq(blk, fn_of(t, "g0"));
	iom_pcie_topo_destroy(t);
	/* RP without UF: refused at the root port on 6.2 */
	snprintf(y, sizeof(y), SVA, "6.2", "0x0d");
	t = topo_yaml(y);
	blk = IOM_PCIE_NONE;
	cr_assert_eq(iom_pcie_pasid_check(t, fn_of(t, "f0"), &blk), IOM_PASID_ACS_PATH);
	cr_assert_eq(blk, fn_of(t, "RP"));
	iom_pcie_topo_destroy(t);
}
