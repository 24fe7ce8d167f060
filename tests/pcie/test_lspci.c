/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_lspci.c - `lspci -vvv` import: the real dump of a Dell T430
 * (tests/pcie/data, from ../shared/calibration/pcie-bench-bdw) and damaged
 * input.
 *
 * The expected groups of the real machine are worked out by hand from the
 * dump's function list and the grouping rules (algorithms-reference.md 4.3,
 * 4.5):
 *
 *   bus 00, per slot: 00.0, 02.0, 03.0 single (3); 05.0/1/2/4 Intel RCiEPs
 *   (4 with the v5.8 RCiEP quirk, 1 before it); 11.0 RCiEP + 11.4
 *   conventional (2 / 1); 14.0, 1a.0, 1d.0 single (3); 16.0/16.1 and
 *   1f.0/1f.2 conventional pairs (2); 1c.0/1/2/4 Wellsburg PCH root ports
 *   (4 with the PCH quirk enabled, 1 without).
 *   below bus 00: 02:00.0, 03:00.0, 06:00.0 alone; {07:00.0, 08:00.0,
 *   09:00.0} (a DSP without ACS, the PCIe-to-PCI bridge and the VGA behind
 *   it, by bridge alias); {01:00.0, 01:00.1} (a multifunction NIC): 5 --
 *   or 0 when the root ports above fail ACS (they join their root port).
 *   buses 7f and ff, 15 slots each: every RCiEP alone and the conventional
 *   functions of a slot together with v5.8 -> 30 each; one group per slot
 *   before -> 15 each.
 *   bus 80: root ports 02.0/02.2 (2 with ACS enabled, 1 without), RCiEPs
 *   05.0/1/2/4 (4 / 1).
 *
 *   ACS on (as dumped), 6.12: 18 + 5 + 30 + 6 + 30 = 89
 *   ACS on, 3.19:             14 + 5 + 15 + 3 + 15 = 52
 *   ACS off, 6.12:            15 + 0 + 30 + 5 + 30 = 80
 */
#include "pcie-test.h"

#include "lspci.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DUMP IOM_SOURCE_DIR "/tests/pcie/data/bdw-t430-lspci.txt"

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = malloc((size_t)n + 1);
	cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	b[n] = 0;
	*len = (size_t)n;
	return b;
}

/* The dump with every ACSCtl bit cleared: the run without the IOMMU. */
static char *acs_off(char *text)
{
	for (char *p = strstr(text, "ACSCtl:\t"); p; p = strstr(p + 1, "ACSCtl:\t")) {
		char *e = strchr(p, '\n');
		for (char *q = p; q < e; q++)
			if (*q == '+')
				*q = '-';
	}
	return text;
}

static struct iom_pcie_topo *parse(const char *text, size_t len, struct iom_lspci_result *res)
{
	struct iom_err e = {0};
	struct iom_pcie_topo *t = NULL;
	cr_assert_eq(iom_lspci_parse(text, len, "dump.txt", &t, res, &e), 0, "%s", e.msg);
	return t;
}

static uint32_t at(const struct iom_pcie_topo *t, uint16_t rid)
{
	uint32_t f = iom_pcie_find_rid(t, 0, rid);
	cr_assert_neq(f, IOM_PCIE_NONE, "no %04x", rid);
	return f;
}

static uint32_t gsize(const struct iom_pcie_topo *t, uint16_t rid)
{
	return t->group_size[t->fns[at(t, rid)].group];
}

static bool same(const struct iom_pcie_topo *t, uint16_t a, uint16_t b)
{
	return t->fns[at(t, a)].group == t->fns[at(t, b)].group;
}

static void groups(struct iom_pcie_topo *t, const char *kernel)
{
	struct iom_err e = {0};
	cr_assert(iom_pcie_kver_parse(kernel, &t->kernel));
	cr_assert_eq(iom_pcie_groups_compute(t, &e), 0, "%s", e.msg);
}

Test(pcie_lspci, real_dump_reads_every_function_and_capability)
{
	size_t len;
	char *text = read_all(DUMP, &len);
	struct iom_lspci_result res;
	struct iom_pcie_topo *t = parse(text, len, &res);
	cr_assert_eq(res.functions, 170);
	cr_assert_eq(res.lines, 2047);
	cr_assert_eq(res.bad_lines, 0, "line %u: %s", res.ndiags ? res.diags[0].line : 0,
	             res.ndiags ? res.diags[0].msg : "");
	/* 6 "#19" and 4 "#00 [0000]" capabilities are unknown to lspci itself */
	cr_assert_eq(res.caps_unknown, 10);
	/* 57 Express + 4 ACS */
	cr_assert_eq(res.caps_parsed, 61);
	cr_assert(res.acs_enabled_seen);
	cr_assert_eq(res.ids_numeric, 0);
	cr_assert_eq(t->nfns, 170);

	/* bus tree from the bridges' bus ranges */
	const struct iom_pcie_fn *rp = &t->fns[at(t, 0x00e1)]; /* 00:1c.1 */
	cr_assert_eq(rp->type, IOM_PCIE_ROOT_PORT);
	cr_assert_eq(rp->secondary, 0x06);
	cr_assert_eq(rp->subordinate, 0x0a);
	cr_assert(rp->ids_known && rp->ids_from_name && rp->vendor == 0x8086 &&
	          rp->device == 0x8d10);
	cr_assert_eq(t->fns[at(t, 0x0600)].type, IOM_PCIE_UPSTREAM);
	cr_assert_eq(t->fns[at(t, 0x0600)].parent, at(t, 0x00e1));
	cr_assert_eq(t->fns[at(t, 0x0700)].type, IOM_PCIE_DOWNSTREAM);
	cr_assert_eq(t->fns[at(t, 0x0800)].type, IOM_PCIE_PCIE_TO_PCI);
	cr_assert_eq(t->fns[at(t, 0x0900)].type, IOM_PCIE_PCI_DEVICE);
	cr_assert_eq(t->fns[at(t, 0x0900)].parent, at(t, 0x0800));
	cr_assert_eq(t->fns[at(t, 0x7f43)].parent, IOM_PCIE_NONE); /* 7f:08.3: a root bus */
	cr_assert_eq(t->fns[at(t, 0x7f43)].type, IOM_PCIE_RCIEP);
	cr_assert_eq(t->fns[at(t, 0x00a0)].type, IOM_PCIE_PCI_DEVICE); /* 00:14.0: no Express cap */

	/* ACS of root port 00:02.0: cap SV TB RR CR UF, control SV RR CR UF */
	const struct iom_pcie_fn *r2 = &t->fns[at(t, 0x0010)];
	cr_assert(r2->acs);
	cr_assert_eq(r2->acs_cap, 0x1f);
	cr_assert_eq(r2->acs_ctrl, 0x1d);
	cr_assert_eq(r2->port_number, 3);

	/* the NFP-6000: BARs 128M/64M/16M at 0x3bff0000000.., Gen3 x8, MPS 256,
	 * MRRS 4096, RCB 64 (pcie-bench's setup) */
	const struct iom_pcie_fn *nfp = &t->fns[at(t, 0x0300)];
	cr_assert_eq(nfp->nbars, 3);
	cr_assert_eq(nfp->bars[0].base, 0x3bff0000000ull);
	cr_assert_eq(nfp->bars[0].size, 128ull << 20);
	cr_assert_eq(nfp->bars[2].index, 4);
	cr_assert_eq(nfp->bars[2].size, 16ull << 20);
	cr_assert(nfp->bars[0].prefetch);
	cr_assert_eq(nfp->link.gen, 3);
	cr_assert_eq(nfp->link.width, 8);
	cr_assert_eq(nfp->link.mps, 256);
	cr_assert_eq(nfp->link.mrrs, 4096);
	cr_assert_eq(nfp->link.rcb, 64);
	uint8_t bar;
	cr_assert_eq(iom_pcie_decode(t, 0x3bffc000100ull, &bar), at(t, 0x0300));
	cr_assert_eq(bar, 2);
	/* the Broadcom ports are multifunction; I/O BARs and disabled ROMs are not read */
	cr_assert(t->fns[at(t, 0x0100)].multifunction);
	cr_assert_eq(t->fns[at(t, 0x0100)].nbars, 3);
	cr_assert_eq(t->fns[at(t, 0x0200)].nbars, 2); /* LSI: I/O BAR 0 skipped */
	iom_pcie_topo_destroy(t);
	free(text);
}

Test(pcie_lspci, real_dump_groups_with_acs_enabled)
{
	size_t len;
	char *text = read_all(DUMP, &len);
	struct iom_lspci_result res;
	struct iom_pcie_topo *t = parse(text, len, &res);
	groups(t, "6.12");
	cr_assert_eq(t->ngroups, 89);
	cr_assert_eq(t->fns[at(t, 0x0000)].group, 0);
	cr_assert_eq(t->fns[at(t, 0x0010)].group, 1);
	cr_assert_eq(gsize(t, 0x0010), 1); /* 00:02.0 */
	cr_assert_eq(gsize(t, 0x0200), 1); /* 02:00.0 */
	cr_assert_eq(gsize(t, 0x00e0), 1); /* PCH root port 1c.0 */
	cr_assert_eq(gsize(t, 0x0028), 1); /* RCiEP 05.0 */
	cr_assert_eq(gsize(t, 0x0700), 3);
	cr_assert(same(t, 0x0700, 0x0800) && same(t, 0x0800, 0x0900));
	cr_assert_eq(gsize(t, 0x0100), 2);
	cr_assert(same(t, 0x0100, 0x0101));
	cr_assert(same(t, 0x00b0, 0x00b1)); /* 16.0 / 16.1 */
	cr_assert_eq(gsize(t, 0x7f98), 1);  /* 7f:13.0 RCiEP alone */
	cr_assert(same(t, 0x7f9e, 0x7f9f)); /* 7f:13.6 / 13.7 */
	groups(t, "3.19");
	cr_assert_eq(t->ngroups, 52);
	cr_assert_eq(gsize(t, 0x0028), 4); /* 05.0/1/2/4 together */
	cr_assert_eq(gsize(t, 0x7f98), 8); /* all of 7f:13 */
	cr_assert_eq(gsize(t, 0x00e0), 1); /* the PCH quirk predates 3.19 here */
	iom_pcie_topo_destroy(t);
	free(text);
}

Test(pcie_lspci, real_dump_groups_with_acs_off_and_enabled_at_boot)
{
	size_t len;
	char *text = acs_off(read_all(DUMP, &len));
	struct iom_lspci_result res;
	struct iom_pcie_topo *t = parse(text, len, &res);
	cr_assert_not(res.acs_enabled_seen);
	cr_assert_not(t->fns[at(t, 0x00e0)].acs_quirk_enabled);
	groups(t, "6.12");
	cr_assert_eq(t->ngroups, 80);
	/* the PCH root ports and everything below them */
	cr_assert_eq(gsize(t, 0x00e0), 10);
	cr_assert(same(t, 0x00e0, 0x0900) && same(t, 0x00e4, 0x0101));
	cr_assert(same(t, 0x0010, 0x0200)); /* 02:00.0 joins 00:02.0 */
	cr_assert_eq(gsize(t, 0x0010), 2);
	cr_assert(same(t, 0x8010, 0x8012)); /* 80:02.0 / 80:02.2 fail together */
	iom_pcie_enable_acs(t);
	groups(t, "6.12");
	cr_assert_eq(t->ngroups, 89);
	cr_assert_eq(t->fns[at(t, 0x0010)].acs_ctrl, 0x1d);
	iom_pcie_topo_destroy(t);
	free(text);
}

Test(pcie_lspci, numeric_ids_from_nn_output)
{
	const char txt[] =
	    "00:1c.0 PCI bridge [0604]: Intel Corporation C610/X99 series chipset PCI Express Root "
	    "Port #1 [8086:8d10] (rev d5) (prog-if 00 [Normal decode])\n"
	    "\tBus: primary=00, secondary=01, subordinate=01, sec-latency=0\n"
	    "\tCapabilities: [40] Express (v2) Root Port (Slot+), MSI 00\n"
	    "\n"
	    "00:1c.1 PCI bridge [0604]: Intel Corporation Device [8086:1234]\n"
	    "\tBus: primary=00, secondary=02, subordinate=02, sec-latency=0\n"
	    "\tCapabilities: [40] Express (v2) Root Port (Slot+), MSI 00\n"
	    "\n"
	    "01:00.0 Non-Volatile memory controller [0108]: Samsung Electronics Co Ltd NVMe SSD "
	    "Controller SM981/PM981/PM983 [144d:a808] (prog-if 02 [NVM Express])\n"
	    "\tRegion 0: Memory at df000000 (64-bit, non-prefetchable) [size=16K]\n"
	    "\tCapabilities: [70] Express (v2) Endpoint, MSI 00\n"
	    "\t\tLnkSta:\tSpeed 8GT/s (ok), Width x4 (ok)\n"
	    "\tCapabilities: [158 v1] Process Address Space ID (PASID)\n"
	    "\t\tPASIDCap: Exec- Priv-, Max PASID Width: 14\n"
	    "\t\tPASIDCtl: Enable- Exec- Priv-\n"
	    "\tCapabilities: [160 v1] Address Translation Service (ATS)\n"
	    "\t\tATSCap:\tInvalidate Queue Depth: 00\n"
	    "\t\tATSCtl:\tEnable+, Smallest Translation Unit: 00\n"
	    "\tCapabilities: [170 v1] Page Request Interface (PRI)\n"
	    "\t\tPRICtl: Enable- Reset-\n"
	    "\t\tPRISta: RF- UPRGI- Stopped+\n"
	    "\t\tPage Request Capacity: 00000200, Page Request Allocation: 00000000\n";
	struct iom_lspci_result res;
	struct iom_pcie_topo *t = parse(txt, sizeof(txt) - 1, &res);
	cr_assert_eq(res.bad_lines, 0, "%s", res.ndiags ? res.diags[0].msg : "");
	cr_assert_eq(res.ids_numeric, 3);
	const struct iom_pcie_fn *r = &t->fns[at(t, 0x00e0)], *n = &t->fns[at(t, 0x0100)];
	cr_assert(r->ids_known && !r->ids_from_name && r->device == 0x8d10);
	cr_assert_eq(n->vendor, 0x144d);
	cr_assert_eq(n->device, 0xa808);
	cr_assert(n->pasid && n->ats && n->pri && n->ats_enabled && !n->pasid_enabled);
	cr_assert_eq(n->pasid_width, 20); /* 0x14 */
	cr_assert_eq(n->pri_capacity, 0x200);
	cr_assert_eq(n->link.gen, 3);
	cr_assert_eq(n->link.width, 4);
	/* multifunction root ports: 1c.0 is a quirked PCH port (quirk not
	 * enabled in this dump), 1c.1 an unknown Intel device: one group */
	groups(t, "6.12");
	cr_assert(same(t, 0x00e0, 0x00e1) && same(t, 0x00e0, 0x0100));
	iom_pcie_enable_acs(t);
	groups(t, "6.12");
	/* now 1c.0 passes through its quirk; 1c.1 still fails alone */
	cr_assert(!same(t, 0x00e0, 0x00e1));
	cr_assert_eq(gsize(t, 0x00e1), 1);
	cr_assert_eq(gsize(t, 0x0100), 1);
	iom_pcie_topo_destroy(t);
}

/* ---- damaged input ----------------------------------------------------------- */

Test(pcie_lspci, damaged_lines_are_reported_with_numbers_and_skipped)
{
	const char txt[] =
	    "\tRegion 0: Memory at 1000 [size=4K]\n"              /* 1: outside a block */
	    "garbage at the top\n"                                /* 2 */
	    "00:02.0 PCI bridge: Intel Corporation Root Port\r\n" /* 3 (CRLF) */
	    "\tBus: primary=00, secondary=zz, subordinate=01\r\n" /* 4: bad */
	    "\tCapabilities: [90] Express (v2) Root Port (Slot+), MSI 00\r\n"       /* 5 */
	    "\tCapabilities: [110 v1] Access Control Services\n"                    /* 6 */
	    "\t\tACSCap:\tnonsense here\n"                                          /* 7: bad */
	    "\t\tACSCtl:\tSrcValid+ TransBlk- ReqRedir+ CmpltRedir+ UpstreamFwd+\n" /* 8 */
	    "\tCapabilities: [2a0 v1] #2a\n"                                        /* 9: unknown */
	    "\tCapabilities: [300 v1] Frobnication Engine\n"                    /* 10: unknown */
	    "\tthis line has no label\n"                                        /* 11: bad */
	    "\n"                                                                /* 12 */
	    "00:03.0 Ethernet controller: Acme NIC\n"                           /* 13 */
	    "\tRegion 0: Memory at xyz (64-bit) [size=4K]\n"                    /* 14: bad */
	    "\tRegion 2: Memory at f0000000 (64-bit) [size=12K]\n"              /* 15: bad size */
	    "\tRegion 4: Memory at f1000000 (64-bit, prefetchable) [size=1M]\n" /* 16 */
	    "0g:00.0 Bogus header\n"                                            /* 17: bad header */
	    "\tRegion 0: Memory at f2000000 [size=4K]\n"               /* 18: skipped with it */
	    "00:03.0 Ethernet controller: Acme NIC again\n"            /* 19: duplicate */
	    "\tCapabilities: [40] Express (v2) Quantum Port, MSI 00\n" /* 20: skipped block */
	    "00:04.0 RAID bus controller: Acme\n"                      /* 21 */
	    "\tCapabilities: [68] Express (v2) Quantum Port, MSI 00\n" /* 22: bad type */
	    "\tRegion 1: Memory at f3000000 (32-bit, non-prefetchable) [size=64K]"; /* 23, no EOL */
	struct iom_lspci_result res;
	struct iom_pcie_topo *t = parse(txt, sizeof(txt) - 1, &res);
	static const uint32_t want[] = {1, 2, 4, 7, 11, 14, 15, 17, 19, 22};
	cr_assert_eq(res.ndiags, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_expect_eq(res.diags[i].line, want[i], "diag %zu: line %u (%s), want %u", i,
		             res.diags[i].line, res.diags[i].msg, want[i]);
	cr_assert_eq(res.bad_lines, 10);
	cr_assert_eq(res.caps_unknown, 2);
	cr_assert_eq(res.functions, 3);
	cr_assert_eq(res.lines, 23);
	cr_assert(
	    strstr(res.diags[2].msg, "expected 'Bus: primary=hh, secondary=hh, subordinate=hh'"),
	    "%s", res.diags[2].msg);
	cr_assert(strstr(res.diags[8].msg, "function listed twice (first at line 13)"), "%s",
	          res.diags[8].msg);
	/* 00:02.0 kept its ACS control; without a Bus line it is no bridge */
	const struct iom_pcie_fn *rp = &t->fns[at(t, 0x0010)];
	cr_assert_eq(rp->acs_ctrl, 0x1d);
	cr_assert_not(rp->bridge);
	/* 00:03.0: only the good BAR 4; 00:04.0: conventional (bad type), its BAR read */
	const struct iom_pcie_fn *nic = &t->fns[at(t, 0x0018)];
	cr_assert_eq(nic->nbars, 1);
	cr_assert_eq(nic->bars[0].index, 4);
	cr_assert_eq(t->fns[at(t, 0x0020)].nbars, 1);
	cr_assert_eq(t->fns[at(t, 0x0020)].bars[0].base, 0xf3000000ull);
	iom_pcie_topo_destroy(t);
}

Test(pcie_lspci, input_without_functions_is_an_error)
{
	struct iom_lspci_result res;
	struct iom_pcie_topo *t = (void *)1;
	struct iom_err e = {0};
	const char junk[] = "Hello, this is not lspci\nat all\n";
	cr_assert_eq(iom_lspci_parse(junk, sizeof(junk) - 1, "junk.txt", &t, &res, &e),
	             -IOM_EFORMAT);
	cr_assert_null(t);
	cr_assert_str_eq(e.msg, "junk.txt: no PCI function found (expected lspci -vvv output)");
	cr_assert_eq(res.bad_lines, 2); /* both lines are at column 0: bad headers */
	cr_assert_eq(iom_lspci_parse("", 0, "empty.txt", &t, &res, &e), -IOM_EFORMAT);
	cr_assert_eq(iom_lspci_load("/nonexistent/lspci.txt", &t, &res, &e), -IOM_EIO);
	cr_assert(strstr(e.msg, "cannot open '/nonexistent/lspci.txt'") != NULL, "%s", e.msg);
}

Test(pcie_lspci, truncated_dump_keeps_what_it_read)
{
	size_t len;
	char *text = read_all(DUMP, &len);
	/* cut inside 09:00.0's block, before its BARs (line 973 of 2047) */
	char *cut = text;
	for (int l = 1; l < 973; l++)
		cut = strchr(cut, '\n') + 1;
	*cut = 0;
	struct iom_lspci_result res;
	struct iom_pcie_topo *t = parse(text, strlen(text), &res);
	/* 00:00.0 .. 09:00.0: 20 on bus 00, then 01:00.0/1, 02, 03, 06, 07, 08, 09 */
	cr_assert_eq(res.functions, 28);
	cr_assert_eq(res.bad_lines, 0);
	groups(t, "6.12");
	cr_assert(same(t, 0x0700, 0x0900));
	iom_pcie_topo_destroy(t);
	free(text);
}

Test(pcie_lspci, contradictory_bus_ranges_fail)
{
	const char txt[] = "00:01.0 PCI bridge: A\n"
	                   "\tBus: primary=00, secondary=01, subordinate=01, sec-latency=0\n"
	                   "00:02.0 PCI bridge: B\n"
	                   "\tBus: primary=00, secondary=01, subordinate=01, sec-latency=0\n";
	struct iom_lspci_result res;
	struct iom_pcie_topo *t = NULL;
	struct iom_err e = {0};
	cr_assert_eq(iom_lspci_parse(txt, sizeof(txt) - 1, "x.txt", &t, &res, &e), -IOM_EFORMAT);
	cr_assert_str_eq(e.msg,
	                 "x.txt:3: 0000:00:02.0: secondary bus 01 is also behind 0000:00:01.0");
}

/* lspci -D: a domain before each address; each segment has its own buses. */
Test(pcie_lspci, domains_are_separate_segments)
{
	const char txt[] = "0000:00:01.0 PCI bridge: A\n"
			   "\tBus: primary=00, secondary=01, subordinate=01, sec-latency=0\n"
			   "\tCapabilities: [40] Express (v2) Root Port (Slot-), MSI 00\n"
			   "0000:01:00.0 Ethernet controller: B\n"
			   "\tCapabilities: [40] Express (v2) Endpoint, MSI 00\n"
			   "10000:01:00.0 Ethernet controller: C\n"
			   "\tCapabilities: [40] Express (v2) Endpoint, MSI 00\n"
			   "0001:01:00.0 Ethernet controller: D\n"
			   "\tCapabilities: [40] Express (v2) Endpoint, MSI 00\n";
	struct iom_lspci_result res;
	struct iom_pcie_topo *t = parse(txt, sizeof(txt) - 1, &res);
	/* "10000:" is not a 16-bit domain: that header is reported and skipped */
	cr_assert_eq(res.bad_lines, 1);
	cr_assert_eq(res.diags[0].line, 6);
	cr_assert_eq(res.functions, 3);
	uint32_t b = iom_pcie_find_rid(t, 0, 0x0100), d = iom_pcie_find_rid(t, 1, 0x0100);
	cr_assert_neq(b, IOM_PCIE_NONE);
	cr_assert_neq(d, IOM_PCIE_NONE);
	cr_assert_eq(t->fns[b].parent, iom_pcie_find_rid(t, 0, 0x0008));
	cr_assert_eq(t->fns[d].parent, IOM_PCIE_NONE, "segment 1's bus 01 is a root bus");
	char bdf[16];
	cr_assert_str_eq(iom_pcie_bdf(&t->fns[d], bdf, sizeof(bdf)), "0001:01:00.0");
	iom_pcie_topo_destroy(t);
}
