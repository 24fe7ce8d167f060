/* SPDX-License-Identifier: Apache-2.0 */
/* cli.h - shared pieces of the iommusim subcommands. */
#ifndef IOM_TOOLS_CLI_H
#define IOM_TOOLS_CLI_H

#include "iom.h"

#include <stdbool.h>

enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_USAGE = 1,
	CLI_EXIT_INPUT = 2,
	CLI_EXIT_IO = 3,
	CLI_EXIT_UNIMP = 4,
	CLI_EXIT_INTERNAL = 5,
};

int cli_replay(int argc, char **argv);
int cli_trace(int argc, char **argv);
int cli_gen(int argc, char **argv);
int cli_config(int argc, char **argv);
int cli_sweep(int argc, char **argv);  /* cmd_sweep.c */
int cli_merge(int argc, char **argv);  /* cmd_sweep.c */
int cli_plot(int argc, char **argv);   /* cmd_plot.c */
int cli_groups(int argc, char **argv); /* cmd_groups.c */
int cli_resv(int argc, char **argv);   /* cmd_resv.c */
int cli_gen_nic(int argc, char **argv); /* cmd_gen_nic.c: gen nic (DMA API traces) */
int cli_gen_migrate(int argc, char **argv); /* cmd_gen_migrate.c: gen migrate */

int cli_exit_code(int err);                 /* IOM_E* -> exit code */
int cli_fail(const struct iom_err *e);      /* print "iommusim: error: msg", return exit code */
int cli_usage_error(const char *cmd, const char *fmt, const char *arg);
/* Parse an unsigned integer (decimal/0x, K/M/G suffix); false if malformed. */
bool cli_parse_u64(const char *s, uint64_t *out);
/* A numeric option of an `iommusim gen` generator: the uint32_t (is32) or
 * uint64_t field at off in the generator's parameter struct. */
struct cli_gen_opt {
	const char *name;
	size_t off;
	int is32;
};
/* argv[*i] looked up in opts[0..n), its value (cli_parse_u64) stored in
 * params: 1 taken (*i then on the value), 0 not in opts or no value follows,
 * -1 a bad number (reported). cmd_trace.c. */
int cli_gen_parse_opts(const struct cli_gen_opt *opts, size_t n, void *params, int argc,
		       char **argv, int *i);

struct iom_config;
/* --config FILE and --set k=v handling shared by replay and config. */
struct cli_cfg_opts {
	const char *path;
	const char *sets[64];
	int nsets;
};
/* Returns 1 if argv[*i] was a config option (consumed), 0 if not, <0 on usage error. */
int cli_cfg_option(struct cli_cfg_opts *o, int argc, char **argv, int *i, const char *cmd);
struct iom_config *cli_cfg_load(const struct cli_cfg_opts *o, struct iom_err *err);

#endif
