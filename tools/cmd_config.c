/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_config.c - `iommusim config`: defaults, resolved config, reference. */
#include "cli.h"

#include "config.h"
#include "replay.h"

#include <stdio.h>
#include <string.h>

static const char config_help[] =
	"usage: iommusim config --defaults\n"
	"       iommusim config --reference\n"
	"       iommusim config [--config FILE] [--set KEY=VALUE]... --resolved\n"
	"\n"
	"--defaults   the built-in default system as commented YAML (a valid --config file)\n"
	"--reference  the configuration reference in markdown (docs/config-reference.md)\n"
	"--resolved   validate a configuration and print every key with its value\n";

int cli_config(int argc, char **argv)
{
	struct cli_cfg_opts co = {0};
	const char *what = NULL;
	for (int i = 1; i < argc; i++) {
		int c = cli_cfg_option(&co, argc, argv, &i, "config");
		if (c < 0)
			return -c;
		if (c)
			continue;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(config_help, stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--defaults") || !strcmp(argv[i], "--reference") ||
		    !strcmp(argv[i], "--resolved"))
			what = argv[i];
		else
			return cli_usage_error("config", "unknown option '%s'", argv[i]);
	}
	if (!what)
		return cli_usage_error("config", "%s", "say --defaults, --reference or --resolved");
	size_t n;
	const struct iom_prop_table *const *t = iom_system_prop_tables(&n);
	if (!strcmp(what, "--defaults")) {
		iom_config_write_defaults_yaml(t, n, stdout);
		return 0;
	}
	if (!strcmp(what, "--reference")) {
		iom_config_write_reference_md(t, n, stdout);
		return 0;
	}
	struct iom_err err = {0};
	struct iom_config *cfg = cli_cfg_load(&co, &err);
	if (!cfg)
		return cli_fail(&err);
	struct iom_system *sys = iom_system_build(cfg, &err);
	if (!sys) {
		iom_config_destroy(cfg);
		return cli_fail(&err);
	}
	iom_config_write_resolved_yaml(cfg, stdout);
	iom_system_destroy(sys);
	iom_config_destroy(cfg);
	return 0;
}
