/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_topology.c - the `pcie:` configuration and the topology built from
 * it: depth-first bus numbering as Linux assigns it, given bus numbers,
 * BAR placement and bridge windows, multifunction detection, lookups, and a
 * clear error (naming the function and what was expected) for every kind of
 * bad description.
 *
 * Expected numbers are worked out by hand from the rules in topology.c's
 * header: buses are numbered depth-first in devfn order from the root bus;
 * BARs are placed naturally aligned depth-first from mmio_base; bridge
 * windows are 1 MiB aligned.
 */
#include "pcie-test.h"

#include <string.h>

/* rp0 (00:01.0) -> usp -> dsp1 (dev 0) -> a, dsp2 (dev 1) -> b;
 * rp1 (00:02.0) -> c. */
static const char SWITCH_YAML[] =
    "pcie:\n"
    "  functions:\n"
    "    - {name: rp1, type: root_port, dev: 2}\n" /* listed first: order must not matter */
    "    - {name: rp0, type: root_port, dev: 1}\n"
    "    - {name: usp, type: upstream_port, parent: rp0}\n"
    "    - {name: dsp2, type: downstream_port, parent: usp, dev: 1}\n"
    "    - {name: dsp1, type: downstream_port, parent: usp, dev: 0}\n"
    "    - {name: a, parent: dsp1, bars: [{size: 16K}]}\n"
    "    - {name: b, parent: dsp2, bars: [{size: 16K}, {index: 2, size: 1M}]}\n"
    "    - {name: c, parent: rp1, bars: [{size: 4K}]}\n";

Test(pcie_topology, buses_are_numbered_depth_first_in_devfn_order)
{
	struct iom_pcie_topo *t = topo_yaml(SWITCH_YAML);
	const struct iom_pcie_fn *rp0 = &t->fns[fn_of(t, "rp0")], *rp1 = &t->fns[fn_of(t, "rp1")];
	const struct iom_pcie_fn *usp = &t->fns[fn_of(t, "usp")];
	const struct iom_pcie_fn *d1 = &t->fns[fn_of(t, "dsp1")], *d2 = &t->fns[fn_of(t, "dsp2")];
	cr_assert_eq(rp0->secondary, 1);
	cr_assert_eq(usp->bus, 1);
	cr_assert_eq(usp->secondary, 2);
	cr_assert_eq(d1->bus, 2);
	cr_assert_eq(d1->secondary, 3);
	cr_assert_eq(d1->subordinate, 3);
	cr_assert_eq(d2->secondary, 4);
	cr_assert_eq(d2->subordinate, 4);
	cr_assert_eq(usp->subordinate, 4);
	cr_assert_eq(rp0->subordinate, 4);
	cr_assert_eq(rp1->secondary, 5);
	cr_assert_eq(rp1->subordinate, 5);
	cr_assert_eq(t->fns[fn_of(t, "a")].bus, 3);
	cr_assert_eq(t->fns[fn_of(t, "b")].bus, 4);
	cr_assert_eq(t->fns[fn_of(t, "c")].bus, 5);
	cr_assert_eq(iom_pcie_find_rid(t, 0, 0x0400), fn_of(t, "b"));
	cr_assert_eq(iom_pcie_find_rid(t, 0, 0x0010), fn_of(t, "rp1"));
	cr_assert_eq(iom_pcie_find_rid(t, 0, 0x0600), IOM_PCIE_NONE);
	cr_assert_eq(t->fns[fn_of(t, "a")].depth, 3);
	iom_pcie_topo_destroy(t);
}

Test(pcie_topology, bars_are_placed_aligned_and_windows_cover_them)
{
	struct iom_pcie_topo *t = topo_yaml(SWITCH_YAML);
	const struct iom_pcie_fn *a = &t->fns[fn_of(t, "a")], *b = &t->fns[fn_of(t, "b")];
	const struct iom_pcie_fn *c = &t->fns[fn_of(t, "c")], *d1 = &t->fns[fn_of(t, "dsp1")];
	const struct iom_pcie_fn *d2 = &t->fns[fn_of(t, "dsp2")], *rp0 = &t->fns[fn_of(t, "rp0")];
	/* a first (dsp1's window opens at mmio_base); the cursor then rounds to 1 MiB */
	cr_assert_eq(a->bars[0].base, 0x80000000ull);
	cr_assert_eq(d1->win_base, 0x80000000ull);
	cr_assert_eq(d1->win_limit, 0x800fffffull);
	/* b: 16K at 0x80100000, then the 1M BAR aligned at 0x80200000 */
	cr_assert_eq(b->bars[0].base, 0x80100000ull);
	cr_assert_eq(b->bars[1].index, 2);
	cr_assert_eq(b->bars[1].base, 0x80200000ull);
	cr_assert_eq(d2->win_base, 0x80100000ull);
	cr_assert_eq(d2->win_limit, 0x802fffffull);
	cr_assert_eq(rp0->win_base, 0x80000000ull);
	cr_assert_eq(rp0->win_limit, 0x802fffffull);
	cr_assert_eq(c->bars[0].base, 0x80300000ull);
	uint8_t bar = 9;
	cr_assert_eq(iom_pcie_decode(t, 0x80203000ull, &bar), fn_of(t, "b"));
	cr_assert_eq(bar, 1);
	cr_assert_eq(iom_pcie_decode(t, 0x80003fffull, &bar), fn_of(t, "a"));
	cr_assert_eq(iom_pcie_decode(t, 0x80004000ull, &bar), IOM_PCIE_NONE);
	cr_assert_eq(iom_pcie_decode(t, 0x7fffffffull, &bar), IOM_PCIE_NONE);
	iom_pcie_topo_destroy(t);
}

Test(pcie_topology, given_bus_numbers_and_bars_are_kept)
{
	struct iom_pcie_topo *t = topo_yaml(
	    "pcie:\n"
	    "  root_complexes: [{name: rc, bus: 0x40, mmio_base: 0x100000000}]\n"
	    "  functions:\n"
	    "    - {name: rp, type: root_port, parent: rc, secondary: 0x50, subordinate: 0x5f}\n"
	    "    - {name: e, parent: rp, bars: [{base: 0xc0000000, size: 64K}, {size: 8K}]}\n");
	const struct iom_pcie_fn *rp = &t->fns[fn_of(t, "rp")], *e = &t->fns[fn_of(t, "e")];
	cr_assert_eq(rp->bus, 0x40);
	cr_assert_eq(rp->secondary, 0x50);
	cr_assert_eq(rp->subordinate, 0x5f);
	cr_assert_eq(e->bus, 0x50);
	cr_assert_eq(e->bars[0].base, 0xc0000000ull);
	cr_assert_eq(e->bars[1].base, 0x100000000ull); /* placed from the rc's mmio_base */
	cr_assert_eq(iom_pcie_find_rid(t, 0, 0x5000), fn_of(t, "e"));
	iom_pcie_topo_destroy(t);
}

Test(pcie_topology, multifunction_is_detected_per_slot_unless_given)
{
	struct iom_pcie_topo *t =
	    topo_yaml("pcie:\n"
	              "  functions:\n"
	              "    - {name: rp, type: root_port}\n"
	              "    - {name: f0, parent: rp}\n"
	              "    - {name: f1, parent: rp, fn: 1}\n"
	              "    - {name: rcx, type: rciep, dev: 5, multifunction: yes}\n"
	              "    - {name: rcy, type: rciep, dev: 6}\n");
	cr_assert(t->fns[fn_of(t, "f0")].multifunction);
	cr_assert(t->fns[fn_of(t, "f1")].multifunction);
	cr_assert_not(t->fns[fn_of(t, "rp")].multifunction);
	cr_assert(t->fns[fn_of(t, "rcx")].multifunction);
	cr_assert_not(t->fns[fn_of(t, "rcy")].multifunction);
	iom_pcie_topo_destroy(t);
}

Test(pcie_topology, capabilities_links_and_aliases_are_read)
{
	struct iom_pcie_topo *t = topo_yaml(
	    "pcie:\n"
	    "  kernel: \"5.15\"\n"
	    "  functions:\n"
	    "    - {name: rp, type: root_port, acs: true, acs_cap: 0x5f, acs_ctrl: 0x1d}\n"
	    "    - name: gpu\n"
	    "      parent: rp\n"
	    "      vendor: 0x10de\n"
	    "      device: 0x2330\n"
	    "      ats: true\n"
	    "      ats_enabled: true\n"
	    "      ats_stu: 0\n"
	    "      pasid: true\n"
	    "      pasid_width: 20\n"
	    "      pri: true\n"
	    "      pri_capacity: 512\n"
	    "      dma_aliases: \"00.1 1f.7\"\n"
	    "      link: {gen: 5, width: 16, mps: 256, mrrs: 512, rcb: 64}\n");
	const struct iom_pcie_fn *g = &t->fns[fn_of(t, "gpu")];
	cr_assert_eq(t->kernel, 5015);
	cr_assert(g->ids_known);
	cr_assert_eq(g->vendor, 0x10de);
	cr_assert(g->ats && g->ats_enabled && g->pasid && g->pri);
	cr_assert_eq(g->pasid_width, 20);
	cr_assert_eq(g->pri_capacity, 512);
	cr_assert(iom_pcie_fn_has_alias(g, 0x01));
	cr_assert(iom_pcie_fn_has_alias(g, 0xff));
	cr_assert_not(iom_pcie_fn_has_alias(g, 0x00));
	cr_assert_eq(g->link.gen, 5);
	cr_assert_eq(g->link.width, 16);
	cr_assert_eq(g->link.mps, 256);
	cr_assert_eq(g->link.mrrs, 512);
	cr_assert_eq(g->link.rcb, 64);
	const struct iom_pcie_fn *rp = &t->fns[fn_of(t, "rp")];
	cr_assert_eq(rp->acs_cap, 0x5f);
	cr_assert_eq(rp->acs_ctrl, 0x1d);
	iom_pcie_topo_destroy(t);
}

Test(pcie_topology, enable_acs_sets_what_the_capability_offers)
{
	struct iom_pcie_topo *t =
	    topo_yaml("pcie:\n"
	              "  enable_acs: true\n"
	              "  functions:\n"
	              "    - {name: rp, type: root_port, acs: true, acs_cap: 0x7f}\n"
	              "    - {name: ext, type: root_port, dev: 1, acs: true, acs_cap: 0x13, "
	              "external_facing: true}\n");
	/* SV|RR|CR|UF = 0x1d where offered; TB (0x2) only on the external-facing port */
	cr_assert_eq(t->fns[fn_of(t, "rp")].acs_ctrl, 0x1d);
	cr_assert_eq(t->fns[fn_of(t, "ext")].acs_ctrl, 0x13);
	cr_assert(t->os_acs_enabled);
	iom_pcie_topo_destroy(t);
}

Test(pcie_topology, no_pcie_section_means_no_topology)
{
	struct iom_err e = {0};
	struct iom_config *c = iom_config_load_string("system: {seed: 3}\n", "t.yaml", &e);
	cr_assert_not_null(c);
	struct iom_pcie_topo *t = (void *)1;
	cr_assert_eq(iom_pcie_topo_from_config(c, "t.yaml", &t, &e), 0);
	cr_assert_null(t);
	iom_config_destroy(c);
}

Test(pcie_topology, kernel_versions_parse)
{
	uint32_t v;
	cr_assert(iom_pcie_kver_parse("6.12", &v) && v == 6012);
	cr_assert(iom_pcie_kver_parse("3.19.0-69-generic", &v) && v == 3019);
	cr_assert(iom_pcie_kver_parse("v6.2", &v) && v == 6002);
	cr_assert(iom_pcie_kver_parse("6.8-rc1", &v) && v == 6008);
	cr_assert_not(iom_pcie_kver_parse("six", &v));
	cr_assert_not(iom_pcie_kver_parse("6", &v));
	cr_assert_not(iom_pcie_kver_parse("6.x", &v));
	cr_assert_not(iom_pcie_kver_parse("6.12abc", &v));
}

/* ---- bad descriptions ------------------------------------------------------- */

struct bad_case {
	const char *what;
	const char *yaml;
	const char *msg; /* a substring the message must contain */
};

/* clang-format off */
static const struct bad_case bad_cases[] = {
	{ "unknown parent",
	  "pcie:\n  functions:\n    - {name: e, parent: nowhere}\n",
	  "pcie.functions[0] 'e': parent 'nowhere' names no root complex and no function" },
	{ "parent is not a bridge",
	  "pcie:\n  functions:\n    - {name: rp, type: root_port}\n    - {name: e, parent: rp}\n"
	  "    - {name: x, parent: e}\n",
	  "pcie.functions[2] 'x': parent 'e' is of type endpoint, not a bridge or port" },
	{ "duplicate name",
	  "pcie:\n  functions:\n    - {name: rp, type: root_port}\n    - {name: rp, type: root_port, dev: 1}\n",
	  "t.yaml: pcie.functions[1]: the name 'rp' is used twice" },
	{ "missing name",
	  "pcie:\n  functions:\n    - {type: root_port}\n",
	  "pcie.functions[0].name: every function needs a name" },
	{ "same address twice",
	  "pcie:\n  functions:\n    - {name: a, type: rciep, dev: 3}\n    - {name: b, type: rciep, dev: 3}\n",
	  "'b': 0000:00:03.0 is taken by 'a'" },
	{ "endpoint on the root bus",
	  "pcie:\n  functions:\n    - {name: e}\n",
	  "'e': type endpoint must sit below a root_port, downstream_port or pci_to_pcie_bridge, not below "
	  "the root complex" },
	{ "downstream port below a root port",
	  "pcie:\n  functions:\n    - {name: rp, type: root_port}\n"
	  "    - {name: d, type: downstream_port, parent: rp}\n",
	  "'d': type downstream_port must sit below an upstream_port, not below root_port" },
	{ "device number below a port",
	  "pcie:\n  functions:\n    - {name: rp, type: root_port}\n    - {name: e, parent: rp, dev: 3}\n",
	  "device number 3 below the PCIe port 'rp'" },
	{ "BAR not a power of two",
	  "pcie:\n  functions:\n    - {name: r, type: rciep, bars: [{size: 12K}]}\n",
	  "pcie.functions[0].bars[0].size: 0x3000, expected a power of two" },
	{ "BAR misaligned",
	  "pcie:\n  functions:\n    - {name: r, type: rciep, bars: [{base: 0x1000, size: 8K}]}\n",
	  "pcie.functions[0].bars[0].base: 0x1000 is not aligned to the size 0x2000" },
	{ "BARs overlap",
	  "pcie:\n  functions:\n    - {name: r, type: rciep, bars: [{base: 0x10000, size: 64K}]}\n"
	  "    - {name: s, type: rciep, dev: 1, bars: [{base: 0x18000, size: 32K}]}\n",
	  "'s': BAR0 [0x18000, 0x20000) overlaps BAR0 of 'r'" },
	{ "bad alias list",
	  "pcie:\n  functions:\n    - {name: r, type: rciep, dma_aliases: \"00.9\"}\n",
	  "pcie.functions[0].dma_aliases: expected \"DD.F DD.F ...\"" },
	{ "bad kernel",
	  "pcie:\n  kernel: latest\n  functions: []\n",
	  "pcie.kernel: 'latest', expected a version such as \"6.12\"" },
	{ "control without capability",
	  "pcie:\n  functions:\n    - {name: rp, type: root_port, acs_ctrl: 0x1d}\n",
	  "pcie.functions[0]: acs_ctrl given without acs: true" },
	{ "secondary below subordinate",
	  "pcie:\n  functions:\n    - {name: rp, type: root_port, secondary: 5, subordinate: 4}\n",
	  "expected 0 < secondary <= subordinate, got 5 / 4" },
	{ "bus numbers for an endpoint",
	  "pcie:\n  functions:\n    - {name: rp, type: root_port}\n"
	  "    - {name: e, parent: rp, secondary: 3, subordinate: 3}\n",
	  "pcie.functions[1]: secondary/subordinate given for type endpoint" },
	{ "bad rcb",
	  "pcie:\n  functions:\n    - {name: r, type: rciep, link: {rcb: 96}}\n",
	  "pcie.functions[0].link.rcb: 96, expected 64 or 128" },
	{ "bus number space exhausted",
	  "pcie:\n  root_complexes: [{name: rc, bus: 255}]\n  functions:\n"
	  "    - {name: rp, type: root_port}\n",
	  "'rp': no bus number left in segment 0000 (256 buses)" },
	{ "two root complexes on one bus",
	  "pcie:\n  root_complexes: [{name: a}, {name: b}]\n  functions: []\n",
	  "root bus 0000:00 is given twice" },
	{ "enumerated bus collides with a root bus",
	  "pcie:\n  root_complexes: [{name: a}, {name: b, bus: 1}]\n  functions:\n"
	  "    - {name: rp, type: root_port, parent: a}\n",
	  "'rp': its secondary bus 0000:01 is already a root bus" },
};
/* clang-format on */

Test(pcie_topology, bad_descriptions_name_the_function_and_the_rule)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct iom_err e = topo_yaml_err(bad_cases[i].yaml);
		cr_expect(strstr(e.msg, bad_cases[i].msg) != NULL, "%s: got '%s', want '%s'",
		          bad_cases[i].what, e.msg, bad_cases[i].msg);
	}
}

Test(pcie_topology, bad_values_have_file_line_and_column)
{
	struct iom_err e = topo_yaml_err("pcie:\n  functions:\n    - {name: r, type: rcxep}\n");
	cr_assert(
	    strstr(e.msg, "t.yaml:3:23: key 'pcie.functions[0].type': 'rcxep' is not one of") !=
	        NULL,
	    "%s", e.msg);
	e = topo_yaml_err("pcie:\n  functions:\n    - {name: r, type: rciep, dev: 32}\n");
	cr_assert(strstr(e.msg, "t.yaml:3:35: key 'pcie.functions[0].dev'") != NULL, "%s", e.msg);
}

Test(pcie_topology, unknown_keys_are_errors)
{
	struct iom_err e = {0};
	struct iom_config *c = iom_config_load_string(
	    "pcie:\n  functions:\n    - {name: r, type: rciep, acs_ctl: 1}\n", "t.yaml", &e);
	struct iom_pcie_topo *t = NULL;
	cr_assert_eq(iom_pcie_topo_from_config(c, "t.yaml", &t, &e), 0, "%s", e.msg);
	cr_assert_neq(iom_config_check_unused(c, &e), 0);
	cr_assert(strstr(e.msg, "t.yaml:3:30: unknown key 'pcie.functions[0].acs_ctl'") != NULL,
	          "%s", e.msg);
	iom_pcie_topo_destroy(t);
	iom_config_destroy(c);
}

Test(pcie_topology, bdf_parsing)
{
	uint16_t s;
	uint8_t b, df;
	const char *e;
	cr_assert(iom_pcie_parse_bdf("03:1f.7 rest", &s, &b, &df, &e));
	cr_assert(s == 0 && b == 3 && df == (0x1f << 3 | 7) && *e == ' ');
	cr_assert(iom_pcie_parse_bdf("0001:ff:00.0", &s, &b, &df, &e));
	cr_assert(s == 1 && b == 0xff && df == 0);
	cr_assert_not(iom_pcie_parse_bdf("03:20.0", &s, &b, &df, &e)); /* device 32 */
	cr_assert_not(iom_pcie_parse_bdf("03:1f.8", &s, &b, &df, &e)); /* function 8 */
	cr_assert_not(iom_pcie_parse_bdf("3:1f.0", &s, &b, &df, &e));
	cr_assert_not(iom_pcie_parse_bdf("03:1f.00", &s, &b, &df, &e));
}

/* docs/pcie.md documents every key of the section. */
Test(pcie_topology, every_key_is_documented)
{
	FILE *f = fopen(IOM_SOURCE_DIR "/docs/pcie.md", "rb");
	cr_assert_not_null(f);
	static char doc[1 << 17];
	size_t n = fread(doc, 1, sizeof(doc) - 1, f);
	fclose(f);
	doc[n] = 0;
	size_t nt;
	const struct iom_prop_table *const *tabs = iom_pcie_prop_tables(&nt);
	cr_assert_eq(nt, 5);
	for (size_t i = 0; i < nt; i++)
		for (size_t k = 0; k < tabs[i]->nprops; k++) {
			char key[80];
			snprintf(key, sizeof(key), "`%s`", tabs[i]->props[k].name);
			cr_expect(strstr(doc, key) != NULL, "%s: key %s not in docs/pcie.md",
			          tabs[i]->section, key);
		}
}
