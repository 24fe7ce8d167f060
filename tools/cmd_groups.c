/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_groups.c - `iommusim groups`: the IOMMU groups Linux would form for a
 * PCIe topology, from a system configuration's `pcie:` section or from the
 * `lspci -vvv` output of a real machine, listed the way
 * /sys/kernel/iommu_groups shows them (docs/pcie.md).
 */
#include "cli.h"

#include "config.h"
#include "groups.h"
#include "lspci.h"
#include "pcie_config.h"
#include "replay.h"

#include <stdio.h>
#include <string.h>

static const char groups_help[] =
    "usage: iommusim groups --config SYS.yaml [--set KEY=VALUE]... [options]\n"
    "       iommusim groups --lspci FILE [options]\n"
    "\n"
    "Computes the IOMMU groups Linux forms (pci_device_group) and prints them as\n"
    "/sys/kernel/iommu_groups/N/devices/DDDD:BB:DD.F, one line per function.\n"
    "\n"
    "--config FILE  a system YAML with a pcie: section\n"
    "--lspci FILE   the output of `lspci -vvv` (or -vvvnn, -D) of a machine; '-' = stdin.\n"
    "               Lines it cannot read are reported with their number and skipped;\n"
    "               unknown capabilities are skipped and counted\n"
    "--kernel V     the Linux version whose rules apply (default: the config's pcie.kernel,\n"
    "               else " IOM_PCIE_KERNEL_DEFAULT ")\n"
    "--enable-acs   apply the kernel's boot-time ACS enablement (IOMMU on) to the registers\n"
    "               as read; for a dump taken with the IOMMU off\n"
    "--long         each group with its members' types, why each joined, PASID/SVA verdicts\n"
    "--tree         also print the bus tree as imported (stderr)\n"
    "--quiet        no notes on stderr\n";

struct groups_opts {
	struct cli_cfg_opts co;
	const char *lspci;
	const char *kernel;
	bool enable_acs, longform, tree, quiet;
};

static int groups_args(struct groups_opts *o, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int c = cli_cfg_option(&o->co, argc, argv, &i, "groups");
		if (c < 0)
			return -c;
		if (c)
			continue;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(groups_help, stdout);
			return -1;
		} else if (!strcmp(a, "--lspci") || !strcmp(a, "--kernel")) {
			if (i + 1 >= argc)
				return cli_usage_error("groups", "option %s needs a value", a);
			*(!strcmp(a, "--lspci") ? &o->lspci : &o->kernel) = argv[++i];
		} else if (!strcmp(a, "--enable-acs")) {
			o->enable_acs = true;
		} else if (!strcmp(a, "--long")) {
			o->longform = true;
		} else if (!strcmp(a, "--tree")) {
			o->tree = true;
		} else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
			o->quiet = true;
		} else {
			return cli_usage_error("groups", "unknown option '%s'", a);
		}
	}
	if (!o->lspci == !o->co.path)
		return cli_usage_error("groups", "%s", "give one of --config FILE or --lspci FILE");
	if (o->lspci && o->co.nsets)
		return cli_usage_error("groups", "%s", "--set applies to --config only");
	return 0;
}

static void lspci_report(const struct groups_opts *o, const struct iom_lspci_result *res)
{
	for (uint32_t i = 0; i < res->ndiags; i++)
		fprintf(stderr, "%s:%u: warning: %s\n", o->lspci, res->diags[i].line,
		        res->diags[i].msg);
	if (res->bad_lines > res->ndiags)
		fprintf(stderr, "%s: ... and %u more lines not understood\n", o->lspci,
		        res->bad_lines - res->ndiags);
	if (o->quiet)
		return;
	fprintf(stderr,
	        "%s: %u functions from %u lines; %u lines not understood; capabilities: %u read, "
	        "%u not needed, %u unknown (skipped)%s\n",
	        o->lspci, res->functions, res->lines, res->bad_lines, res->caps_parsed,
	        res->caps_ignored, res->caps_unknown,
	        res->caps_denied ? ", some access denied" : "");
	if (res->caps_denied)
		fprintf(stderr,
		        "note: lspci could not read some capabilities (run it as root): ACS "
		        "and link data are missing there\n");
	if (res->ids_from_name)
		fprintf(stderr,
		        "note: no numeric IDs (lspci -nn): %u functions matched by name for "
		        "the quirk tables\n",
		        res->ids_from_name);
}

static int groups_load(struct groups_opts *o, struct iom_pcie_topo **t, struct iom_err *err)
{
	if (o->lspci) {
		struct iom_lspci_result res;
		int r = iom_lspci_load(o->lspci, t, &res, err);
		lspci_report(o, &res);
		if (r)
			return r;
		bool any_acs = false;
		for (uint32_t i = 0; i < (*t)->nfns; i++)
			any_acs |= (*t)->fns[i].acs;
		if (!o->quiet && any_acs && !res.acs_enabled_seen && !o->enable_acs)
			fprintf(stderr,
			        "note: no ACS control bit is enabled in %s (taken with the IOMMU "
			        "off?); --enable-acs applies the kernel's boot-time enablement\n",
			        o->lspci);
		return 0;
	}
	struct iom_config *cfg = cli_cfg_load(&o->co, err);
	if (!cfg)
		return -err->code;
	int r = iom_pcie_topo_from_config(cfg, o->co.path, t, err);
	if (!r && !*t)
		r = iom_err_set(err, IOM_EINVAL, "%s: no pcie: section (nothing to group)",
		                o->co.path);
	if (!r) { /* the rest of the system must be a valid configuration too */
		struct iom_system *sys = iom_system_build(cfg, err);
		if (!sys)
			r = -err->code;
		iom_system_destroy(sys);
	}
	iom_config_destroy(cfg);
	if (r) {
		iom_pcie_topo_destroy(*t);
		*t = NULL;
	}
	return r;
}

int cli_groups(int argc, char **argv)
{
	struct groups_opts o = {0};
	int r = groups_args(&o, argc, argv);
	if (r)
		return r < 0 ? 0 : r;
	uint32_t kver = 0;
	if (o.kernel && !iom_pcie_kver_parse(o.kernel, &kver))
		return cli_usage_error("groups", "--kernel '%s': expected a version such as 6.12",
		                       o.kernel);
	struct iom_err err = {0};
	struct iom_pcie_topo *t = NULL;
	if ((r = groups_load(&o, &t, &err)))
		return cli_fail(&err);
	if (kver)
		t->kernel = kver;
	if (o.enable_acs)
		iom_pcie_enable_acs(t);
	if (o.tree)
		iom_pcie_topo_print(t, stderr);
	if ((r = iom_pcie_groups_compute(t, &err))) {
		iom_pcie_topo_destroy(t);
		return cli_fail(&err);
	}
	if (o.longform)
		iom_pcie_groups_print_long(t, stdout);
	else
		iom_pcie_groups_print_sysfs(t, stdout);
	if (!o.quiet)
		fprintf(stderr, "%u functions, %u IOMMU groups (Linux %u.%u rules)\n", t->nfns,
		        t->ngroups, t->kernel / 1000, t->kernel % 1000);
	iom_pcie_topo_destroy(t);
	return fflush(stdout) ? CLI_EXIT_IO : CLI_EXIT_OK;
}
