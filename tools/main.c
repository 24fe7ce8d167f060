/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - the `iommusim` command: dispatch to subcommands.
 *
 * Exit codes (docs/cli.md):
 *   0  success
 *   1  usage error (unknown command or option, missing argument)
 *   2  bad input: malformed trace or configuration, invalid value
 *   3  I/O error: a file is missing, unreadable or unwritable
 *   4  the input asks for something the models do not implement
 *   5  internal error (out of memory, ...)
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const struct cli_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} cmds[] = {
	{"replay", cli_replay, "replay a trace through a simulated system and report its cost"},
	{"trace", cli_trace, "trace tools: convert between text and binary, statistics"},
	{"gen", cli_gen, "generate a synthetic workload trace (nvme, nic, migrate)"},
	{"config", cli_config, "print the default configuration, the resolved one, or the reference"},
	{"sweep", cli_sweep, "run a parameter sweep in parallel (resumable), or emit GNU parallel/Slurm jobs"},
	{"merge", cli_merge, "collect a sweep's per-point results (from one or many machines) into its CSV"},
	{"plot", cli_plot, "gnuplot figures (PNG, SVG, editable .gp) from a sweep's results CSV"},
	{"groups", cli_groups, "IOMMU groups of a PCIe topology (config or lspci -vvv) as Linux forms them"},
	{"resv", cli_resv, "reserved regions per IOMMU group (sysfs format) and the usable IOVA ranges"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: iommusim [--version] [--help] <command> [<args>]\n\ncommands:\n");
	for (size_t i = 0; i < IOM_ARRAY_SIZE(cmds); i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\n'iommusim <command> --help' describes a command.\n"
		   "exit codes: 0 ok, 1 usage, 2 bad input, 3 I/O error, 4 not implemented, 5 internal\n");
}

int cli_exit_code(int err)
{
	switch (err < 0 ? -err : err) {
	case IOM_OK: return CLI_EXIT_OK;
	case IOM_EIO: return CLI_EXIT_IO;
	case IOM_ENOTSUP: return CLI_EXIT_UNIMP;
	case IOM_ENOMEM: return CLI_EXIT_INTERNAL;
	default: return CLI_EXIT_INPUT;
	}
}

int cli_fail(const struct iom_err *e)
{
	fprintf(stderr, "iommusim: error: %s\n", e->msg);
	return cli_exit_code(e->code);
}

int cli_usage_error(const char *cmd, const char *fmt, const char *arg)
{
	fprintf(stderr, "iommusim %s: ", cmd);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n(try 'iommusim %s --help')\n", cmd);
	return CLI_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("iommusim %s\n", IOM_VERSION_STRING);
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < IOM_ARRAY_SIZE(cmds); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "iommusim: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return CLI_EXIT_USAGE;
}
