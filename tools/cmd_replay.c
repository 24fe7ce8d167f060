/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_replay.c - `iommusim replay` and the config options it shares. */
#include "cli.h"

#include "config.h"
#include "replay.h"
#include "rtl.h"
#ifdef IOM_HAVE_SYSTEMC
#include "iom_sc.h"
#endif

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char replay_help[] =
	"usage: iommusim replay [options] TRACE\n"
	"\n"
	"Replay TRACE (text or binary .gz, '-' for stdin) on the system described by\n"
	"the configuration (the built-in default system when no --config is given)\n"
	"and print a summary of what the run cost.\n"
	"\n"
	"options:\n"
	"  --config FILE      system configuration (YAML); see 'iommusim config --defaults'\n"
	"  --set KEY=VALUE    override one configuration key (repeatable), e.g. smmu.tlb.entries=512\n"
	"  --json FILE        write the full result (resolved config, every statistic) as JSON\n"
	"  --skip-bad         count and skip malformed trace records instead of stopping\n"
	"  --max-records N    stop after N records\n"
	"  --engine E         native (default) or systemc: the same replay inside the SystemC\n"
	"                     kernel (identical results; docs/systemc.md)\n"
	"  --tlb-impl I       native (default), rtl: the SMMU TLB is the Verilated RTL IOTLB\n"
	"                     (identical results), or lockstep: the C TLB checked against the\n"
	"                     RTL on every operation, exit 5 on a mismatch (docs/rtl.md)\n"
	"  --progress / --no-progress\n"
	"                     progress line on stderr (default: on when stderr is a terminal)\n"
	"  --quiet            no summary on stdout\n"
	"  --help             this text\n"
	"\n"
	"exit codes: 0 ok, 1 usage, 2 bad input, 3 I/O error, 4 not implemented, 5 internal\n";

bool cli_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	if (!s || !*s || *s == '-')
		return false;
	unsigned long long v = strtoull(s, &end, 0);
	unsigned shift = 0;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (shift)
		end++;
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return false;
	*out = (uint64_t)v << shift;
	return true;
}

int cli_cfg_option(struct cli_cfg_opts *o, int argc, char **argv, int *i, const char *cmd)
{
	const char *a = argv[*i];
	if (strcmp(a, "--config") && strcmp(a, "--set"))
		return 0;
	if (*i + 1 >= argc)
		return -cli_usage_error(cmd, "option %s needs a value", a);
	const char *v = argv[++*i];
	if (!strcmp(a, "--config")) {
		o->path = v;
	} else {
		if (o->nsets == (int)IOM_ARRAY_SIZE(o->sets))
			return -cli_usage_error(cmd, "too many --set options (%s)", v);
		o->sets[o->nsets++] = v;
	}
	return 1;
}

struct iom_config *cli_cfg_load(const struct cli_cfg_opts *o, struct iom_err *err)
{
	struct iom_config *c = o->path ? iom_config_load_file(o->path, err)
				       : iom_config_create_default();
	if (!c) {
		if (!o->path)
			iom_err_set(err, IOM_ENOMEM, "out of memory");
		return NULL;
	}
	for (int i = 0; i < o->nsets; i++) {
		if (iom_config_set(c, o->sets[i], err)) {
			iom_config_destroy(c);
			return NULL;
		}
	}
	return c;
}

static int replay_write_json(const char *path, json_t *doc, struct iom_err *err)
{
	FILE *f = !strcmp(path, "-") ? stdout : fopen(path, "w");
	if (!f)
		return iom_err_set(err, IOM_EIO, "cannot write '%s': %m", path);
	int r = json_dumpf(doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	fputc('\n', f);
	if (f != stdout ? fclose(f) : fflush(f))
		r = -1;
	return r ? iom_err_set(err, IOM_EIO, "cannot write '%s'", path) : 0;
}

#define REPLAY_BAD_TLB_IMPL "bad --tlb-impl '%s' (native, rtl or lockstep)"

int cli_replay(int argc, char **argv)
{
	struct cli_cfg_opts co = {0};
	struct iom_replay_opts ro = {.warn = stderr, .progress = isatty(2)};
	const char *json_path = NULL;
	const char *tlb_impl = "native";
	bool quiet = false, systemc = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int c = cli_cfg_option(&co, argc, argv, &i, "replay");
		if (c < 0)
			return -c;
		if (c)
			continue;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(replay_help, stdout);
			return 0;
		} else if (!strcmp(a, "--json") && i + 1 < argc) {
			json_path = argv[++i];
		} else if (!strcmp(a, "--max-records") && i + 1 < argc) {
			if (!cli_parse_u64(argv[++i], &ro.max_records))
				return cli_usage_error("replay", "bad --max-records '%s'", argv[i]);
		} else if (!strcmp(a, "--engine") && i + 1 < argc) {
			const char *e = argv[++i];
			if (strcmp(e, "native") && strcmp(e, "systemc"))
				return cli_usage_error("replay", "bad --engine '%s' (native or systemc)",
						       e);
			systemc = !strcmp(e, "systemc");
		} else if (!strcmp(a, "--tlb-impl") && i + 1 < argc) {
			tlb_impl = argv[++i];
			bool ok = !strcmp(tlb_impl, "native") || !strcmp(tlb_impl, "rtl") ||
				  !strcmp(tlb_impl, "lockstep");
			if (!ok)
				return cli_usage_error("replay", REPLAY_BAD_TLB_IMPL, tlb_impl);
		} else if (!strcmp(a, "--skip-bad")) {
			ro.skip_bad = true;
		} else if (!strcmp(a, "--progress")) {
			ro.progress = true;
		} else if (!strcmp(a, "--no-progress")) {
			ro.progress = false;
		} else if (!strcmp(a, "--quiet")) {
			quiet = true;
		} else if (a[0] == '-' && a[1]) {
			return cli_usage_error("replay", "unknown option or missing value: %s", a);
		} else if (!ro.trace_path) {
			ro.trace_path = a;
		} else {
			return cli_usage_error("replay", "more than one trace given (%s)", a);
		}
	}
	if (!ro.trace_path)
		return cli_usage_error("replay", "%s", "no trace given");

	struct iom_err err = {0};
#ifndef IOM_HAVE_SYSTEMC
	if (systemc) {
		iom_err_set(&err, IOM_ENOTSUP,
			    "replay --engine systemc: this build has no SystemC engine "
			    "(configure with -DIOM_WITH_SYSTEMC=ON)");
		return cli_fail(&err);
	}
#endif
	/* --tlb-impl: installed before the system is built, so its SMMU gets it. */
	struct iom_rtl_session *rtl = NULL;
	if (strcmp(tlb_impl, "native") && !(rtl = iom_rtl_session_begin(tlb_impl, NULL, &err)))
		return cli_fail(&err);
	struct iom_config *cfg = cli_cfg_load(&co, &err);
	if (!cfg) {
		iom_rtl_session_end(rtl);
		return cli_fail(&err);
	}
	struct iom_system *sys = iom_system_build(cfg, &err);
	if (sys && rtl && !iom_rtl_session_tlbs(rtl)) {
		iom_err_set(&err, IOM_ENOTSUP,
			    "--tlb-impl %s: this system has no SMMUv3 TLB to replace "
			    "(the RTL IOTLB stands in for smmu.tlb only)",
			    tlb_impl);
		iom_system_destroy(sys);
		sys = NULL;
	}
	if (!sys) {
		iom_rtl_session_end(rtl);
		iom_config_destroy(cfg);
		return cli_fail(&err);
	}
	struct iom_replay_result res;
	int r;
#ifdef IOM_HAVE_SYSTEMC
	if (systemc) {
		r = iom_sc_replay_run(sys, &ro, &res, &err);
		struct iom_sc_info sc;
		iom_sc_query(&sc);
		iom_sc_finish();
		if (!r && !quiet) {
			iom_replay_print_summary(sys, &res, ro.trace_path, stdout);
			printf("engine       systemc: SystemC time %llu ps, %llu waits, "
			       "%llu delta cycles\n",
			       (unsigned long long)sc.time_ps, (unsigned long long)sc.waits,
			       (unsigned long long)sc.delta_cycles);
		}
	} else
#endif
	{
		r = iom_replay_run(sys, &ro, &res, &err);
		if (!r && !quiet)
			iom_replay_print_summary(sys, &res, ro.trace_path, stdout);
	}
	bool diverged = false; /* --tlb-impl lockstep found a mismatch */
	if (!r && rtl && iom_rtl_session_check(rtl, stderr, &err)) {
		r = -err.code;
		diverged = true;
	}
	if (!r && json_path) {
		json_t *doc = iom_replay_result_json(sys, cfg, &res, ro.trace_path);
		r = doc ? replay_write_json(json_path, doc, &err)
			: iom_err_set(&err, IOM_ENOMEM, "out of memory");
		json_decref(doc);
	}
	iom_system_destroy(sys);
	iom_rtl_session_end(rtl);
	iom_config_destroy(cfg);
	if (diverged) {
		fprintf(stderr, "iommusim: error: %s\n", err.msg);
		return CLI_EXIT_INTERNAL;
	}
	return r ? cli_fail(&err) : 0;
}
