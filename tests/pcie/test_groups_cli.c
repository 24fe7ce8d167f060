/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_groups_cli.c - `iommusim groups` as a user runs it: the real binary,
 * stdout and stderr captured apart, exit codes from docs/cli.md (0 ok,
 * 1 usage, 2 bad input, 3 I/O).  Expected listings are the sysfs paths of
 * groups worked out by hand (test_groups.c, test_lspci.c explain them).
 */
#include "../tools/tools-test.h"

#define DUMP IOM_SOURCE_DIR "/tests/pcie/data/bdw-t430-lspci.txt"

TestSuite(groups_cli, .init = tt_setup, .fini = tt_teardown, .timeout = 60);

static const char G7_YAML[] =
    "pcie:\n  functions:\n"
    "    - {name: RP, type: root_port, acs: true, acs_cap: 0x1f, acs_ctrl: 0x1d}\n"
    "    - {name: X, type: pcie_to_pci_bridge, parent: RP}\n"
    "    - {name: P1, type: pci_device, parent: X, dev: 4}\n"
    "    - {name: P2, type: pci_device, parent: X, dev: 5}\n";

Test(groups_cli, config_groups_print_like_sysfs)
{
	spits(tpath("g7.yaml"), G7_YAML);
	struct tt_run r = tt_run((const char *[]){"groups", "--config", tpath("g7.yaml"), NULL});
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* RP 00:00.0 alone (group 0); X 01:00.0 with P1 02:04.0, P2 02:05.0 */
	cr_assert_str_eq(r.out, "/sys/kernel/iommu_groups/0/devices/0000:00:00.0\n"
	                        "/sys/kernel/iommu_groups/1/devices/0000:01:00.0\n"
	                        "/sys/kernel/iommu_groups/1/devices/0000:02:04.0\n"
	                        "/sys/kernel/iommu_groups/1/devices/0000:02:05.0\n");
	cr_assert(strstr(r.err, "4 functions, 2 IOMMU groups (Linux 6.12 rules)"), "%s", r.err);
	tt_run_free(&r);
	/* --set reaches the section: RP's ACS off -> one group */
	r = tt_run((const char *[]){"groups", "--config", tpath("g7.yaml"), "--set",
	                         "pcie.functions[0].acs_ctrl=0", "--quiet", NULL});
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(strstr(r.out, "iommu_groups/1/"), NULL, "%s", r.out);
	cr_assert_str_eq(r.err, "");
	tt_run_free(&r);
}

Test(groups_cli, long_listing_explains_membership)
{
	spits(tpath("g7.yaml"), G7_YAML);
	struct tt_run r =
	    tt_run((const char *[]){"groups", "--config", tpath("g7.yaml"), "--long", NULL});
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "IOMMU group 1 (3 devices)\n"), "%s", r.out);
	cr_assert(strstr(r.out, "0000:02:04.0  pci_device         'P1'  DMA carries the requester "
	                        "ID of bridge 01:00.0\n"),
	          "%s", r.out);
	tt_run_free(&r);
}

Test(groups_cli, lspci_dump_of_a_real_machine)
{
	struct tt_run r = tt_run((const char *[]){"groups", "--lspci", DUMP, NULL});
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* 89 groups (test_lspci.c); the switch, bridge and VGA share one */
	cr_assert(strstr(r.err, "170 functions, 89 IOMMU groups (Linux 6.12 rules)"), "%s", r.err);
	cr_assert(strstr(r.err, "0 lines not understood"), "%s", r.err);
	cr_assert(strstr(r.err, "10 unknown (skipped)"), "%s", r.err);
	const char *v = strstr(r.out, "/devices/0000:09:00.0\n");
	cr_assert_not_null(v);
	const char *s = strstr(r.out, "/devices/0000:07:00.0\n");
	cr_assert_not_null(s);
	/* same group number on both lines */
	const char *gv = v, *gs = s;
	while (gv > r.out && gv[-1] != '\n')
		gv--;
	while (gs > r.out && gs[-1] != '\n')
		gs--;
	cr_assert_eq(strncmp(gv, gs, (size_t)(v - gv)), 0);
	tt_run_free(&r);
	r = tt_run((const char *[]){"groups", "--lspci", DUMP, "--kernel", "3.19", "--quiet", NULL});
	cr_assert_eq(r.status, 0);
	cr_assert(strstr(r.out, "/sys/kernel/iommu_groups/51/"), "52 groups on 3.19");
	cr_assert_eq(strstr(r.out, "/sys/kernel/iommu_groups/52/"), NULL);
	tt_run_free(&r);
}

Test(groups_cli, damaged_lspci_warns_with_line_numbers)
{
	spits(tpath("bad.txt"), "00:01.0 Ethernet controller: X\n"
	                        "\tRegion 0: Memory at zz [size=4K]\n"
	                        "\tCapabilities: [100 v1] #2a\n"
	                        "oops\n");
	struct tt_run r = tt_run((const char *[]){"groups", "--lspci", tpath("bad.txt"), NULL});
	cr_assert_eq(r.status, 0, "%s", r.err);
	char want[512];
	snprintf(want, sizeof(want), "%s:2: warning: expected 'Memory at ADDR (...) [size=N]'",
	         tpath("bad.txt"));
	cr_assert(strstr(r.err, want), "%s", r.err);
	snprintf(want, sizeof(want), "%s:4: warning: expected a function header", tpath("bad.txt"));
	cr_assert(strstr(r.err, want), "%s", r.err);
	cr_assert(strstr(r.err, "2 lines not understood"), "%s", r.err);
	cr_assert(strstr(r.err, "1 unknown (skipped)"), "%s", r.err);
	cr_assert_str_eq(r.out, "/sys/kernel/iommu_groups/0/devices/0000:00:01.0\n");
	tt_run_free(&r);
}

Test(groups_cli, errors_and_exit_codes)
{
	struct tt_run r = tt_run((const char *[]){"groups", NULL});
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "give one of --config FILE or --lspci FILE"), "%s", r.err);
	tt_run_free(&r);
	r = tt_run((const char *[]){"groups", "--lspci", "/nonexistent.txt", NULL});
	cr_assert_eq(r.status, 3, "%s", r.err);
	tt_run_free(&r);
	spits(tpath("empty.txt"), "not lspci\n");
	r = tt_run((const char *[]){"groups", "--lspci", tpath("empty.txt"), NULL});
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "no PCI function found"), "%s", r.err);
	tt_run_free(&r);
	spits(tpath("nopcie.yaml"), "system: {seed: 2}\n");
	r = tt_run((const char *[]){"groups", "--config", tpath("nopcie.yaml"), NULL});
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "no pcie: section"), "%s", r.err);
	tt_run_free(&r);
	spits(tpath("typo.yaml"),
	      "pcie:\n  functions:\n    - {name: r, type: rciep, acs_ctl: 1}\n");
	r = tt_run((const char *[]){"groups", "--config", tpath("typo.yaml"), NULL});
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "typo.yaml:3:30: unknown key 'pcie.functions[0].acs_ctl'"), "%s",
	          r.err);
	tt_run_free(&r);
	r = tt_run((const char *[]){"groups", "--lspci", DUMP, "--kernel", "new", NULL});
	cr_assert_eq(r.status, 1);
	tt_run_free(&r);
	r = tt_run((const char *[]){"groups", "--help", NULL});
	cr_assert_eq(r.status, 0);
	cr_assert(strstr(r.out, "usage: iommusim groups"));
	tt_run_free(&r);
}

Test(groups_cli, output_is_deterministic)
{
	struct tt_run a = tt_run((const char *[]){"groups", "--lspci", DUMP, "--long", NULL});
	struct tt_run b = tt_run((const char *[]){"groups", "--lspci", DUMP, "--long", NULL});
	cr_assert_eq(a.status, 0);
	cr_assert_str_eq(a.out, b.out);
	cr_assert_str_eq(a.err, b.err);
	tt_run_free(&a);
	tt_run_free(&b);
}
