/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_gen_migrate.c - `iommusim gen migrate`: a live-migration trace, pre-copy
 * rounds of dirty-page harvests while the device writes guest memory
 * (traces/gen/gen_migrate.c, docs/dirty.md "Migration scenario").  Options
 * only set the generator's parameters; the text output starts with a comment
 * giving the command, and --summary prints the generator's own accounting
 * (units it dirtied before each harvest) on stderr.
 */
#include "cli.h"

#include "gen.h"
#include "trace.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

static const char migrate_help[] =
    "usage: iommusim gen migrate [options] -o OUT\n"
    "\n"
    "A VM's guest RAM mapped in one domain, a device attached, dirty tracking\n"
    "on, the device writing guest memory, and pre-copy rounds: round 0 copies\n"
    "the whole guest; harvest k reads and clears the dirty state of the whole\n"
    "guest and round k copies what the generator dirtied since harvest k-1 at\n"
    "the link bandwidth; once a harvest finds at most --stop-pages units (or\n"
    "after --rounds harvests) the VM stops, the device runs --stop-us more, and\n"
    "a stop-and-copy harvest follows. Deterministic for a seed.\n"
    "\n"
    "options (defaults in brackets; sizes take K/M/G):\n"
    "  --seed N [1]  --guest BYTES [1G]  --pgsize 4K|2M|1G [4K]\n"
    "  --iova ADDR [4G]  --pa ADDR [4G]  --dev N [0x100 = 01:00.0]  --domain N [1]\n"
    "  --rate BYTES [64M]      bytes per second the device writes (0: none)\n"
    "  --page-rate N           the same in 4 KB pages per second (rate = N * 4096)\n"
    "  --write-size BYTES [4096]  bytes per DMA write (from a page start)\n"
    "  --hot-pct P [10]        hot set: P % of the guest's pages, one run\n"
    "  --hot-share P [90]      P % of the writes land in the hot set\n"
    "  --dirty-pct P           fraction mode: between two harvests the device\n"
    "                          writes a fixed P % of the 4 KB pages once (no rate)\n"
    "  --bandwidth BYTES [1G]  migration link, bytes per second\n"
    "  --rounds N [10]         live harvests at most (1..256)\n"
    "  --stop-pages N [256]    converged when a harvest finds <= N copy units\n"
    "  --stop-us N [50]        from the stop decision to the device quiesced\n"
    "  --harvest-us N [0]      time a harvest takes (the replay's mean harvest\n"
    "                          time): added to every round and to the stop\n"
    "  --copy-unit BYTES [4K]  granule the generator counts dirty memory in\n"
    "  --harvest-pgsize BYTES [4K]  bitmap page size of the harvest records\n"
    "  --summary               print the generator's per-harvest counts on stderr\n"
    "  -o OUT                  output trace (.gz = binary)\n";

static bool mig_ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && !strcmp(s + n - m, suf);
}

static void mig_summary(const struct iom_gen_migrate *p, const struct iom_gen_migrate_out *o)
{
	fprintf(stderr, "gen migrate: %u harvests, %llu DMA writes, device quiesced at %.3f us\n",
	        o->harvests, (unsigned long long)o->dmas, o->stop_ps / 1e6);
	uint64_t prev = o->start_ps;
	for (uint32_t k = 0; k < o->harvests; k++) {
		uint64_t dt = o->harvest_ps[k] - prev;
		fprintf(stderr,
		        "  harvest %u%s at %.3f us: %llu units of %llu bytes dirtied in "
		        "%.3f us\n",
		        k + 1, k + 1 == o->harvests ? " (stop-and-copy)" : "",
		        o->harvest_ps[k] / 1e6, (unsigned long long)o->units[k],
		        (unsigned long long)p->copy_unit, dt / 1e6);
		prev = o->harvest_ps[k];
	}
	if (o->converged_round)
		fprintf(stderr, "  converged at round %u (<= %llu units)\n", o->converged_round,
		        (unsigned long long)p->stop_pages);
	else
		fprintf(stderr, "  did not converge in %u rounds\n", p->max_rounds);
}

/* The numeric options; 1 taken, 0 not ours, -1 a usage error (reported). */
static int mig_option(struct iom_gen_migrate *p, int argc, char **argv, int *i)
{
	static const struct {
		const char *name;
		size_t off;
		int is32;
	} opts[] = {
	    {"--seed", offsetof(struct iom_gen_migrate, seed), 0},
	    {"--guest", offsetof(struct iom_gen_migrate, guest_bytes), 0},
	    {"--pgsize", offsetof(struct iom_gen_migrate, pgsize), 0},
	    {"--iova", offsetof(struct iom_gen_migrate, iova), 0},
	    {"--pa", offsetof(struct iom_gen_migrate, pa), 0},
	    {"--dev", offsetof(struct iom_gen_migrate, dev), 1},
	    {"--domain", offsetof(struct iom_gen_migrate, domain), 1},
	    {"--rate", offsetof(struct iom_gen_migrate, rate), 0},
	    {"--write-size", offsetof(struct iom_gen_migrate, write_bytes), 1},
	    {"--hot-pct", offsetof(struct iom_gen_migrate, hot_pct), 1},
	    {"--hot-share", offsetof(struct iom_gen_migrate, hot_share_pct), 1},
	    {"--dirty-pct", offsetof(struct iom_gen_migrate, dirty_pct), 1},
	    {"--bandwidth", offsetof(struct iom_gen_migrate, bandwidth), 0},
	    {"--rounds", offsetof(struct iom_gen_migrate, max_rounds), 1},
	    {"--stop-pages", offsetof(struct iom_gen_migrate, stop_pages), 0},
	    {"--copy-unit", offsetof(struct iom_gen_migrate, copy_unit), 0},
	    {"--harvest-pgsize", offsetof(struct iom_gen_migrate, harvest_pgsize), 0},
	    {"--page-rate", 0, 2},
	    {"--stop-us", 0, 3},
	    {"--harvest-us", 0, 4},
	};
	size_t k = 0;
	while (k < IOM_ARRAY_SIZE(opts) && strcmp(argv[*i], opts[k].name))
		k++;
	if (k == IOM_ARRAY_SIZE(opts))
		return 0;
	uint64_t v;
	if (*i + 1 >= argc)
		return -!!cli_usage_error("gen", "option %s needs a value", argv[*i]);
	if (!cli_parse_u64(argv[++*i], &v) || (opts[k].is32 == 1 && v > UINT32_MAX))
		return -!!cli_usage_error("gen", "bad number '%s'", argv[*i]);
	if (opts[k].is32 >= 2) {
		if (v > (UINT64_MAX >> 20))
			return -!!cli_usage_error("gen", "number '%s' is too large", argv[*i]);
		if (opts[k].is32 == 2)
			p->rate = v * 4096;
		else if (opts[k].is32 == 3)
			p->stop_ps = v * 1000000;
		else
			p->harvest_ps = v * 1000000;
		return 1;
	}
	if (!strcmp(opts[k].name, "--dirty-pct"))
		p->mode = IOM_GEN_MIG_FRACTION;
	char *base = (char *)p + opts[k].off;
	if (opts[k].is32)
		*(uint32_t *)base = (uint32_t)v;
	else
		*(uint64_t *)base = v;
	return 1;
}

int cli_gen_migrate(int argc, char **argv)
{
	struct iom_gen_migrate p;
	iom_gen_migrate_defaults(&p);
	const char *out = NULL;
	bool summary = false;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(migrate_help, stdout);
			return 0;
		}
		if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			out = argv[++i];
			continue;
		}
		if (!strcmp(argv[i], "--summary")) {
			summary = true;
			continue;
		}
		int g = mig_option(&p, argc, argv, &i);
		if (g < 0)
			return CLI_EXIT_USAGE;
		if (!g)
			return cli_usage_error("gen", "unknown option: %s", argv[i]);
	}
	if (!out)
		return cli_usage_error("gen", "%s", "no output given (-o OUT)");
	bool bin = mig_ends_with(out, ".gz");
	p.comments = !bin; /* binary traces carry no comments */
	struct iom_err err = {0};
	struct iom_trace_writer *w =
	    iom_trace_create(out, bin ? IOM_TRACE_BINARY : IOM_TRACE_TEXT, 0, &err);
	if (!w)
		return cli_fail(&err);
	char line[512];
	int n =
	    snprintf(line, sizeof(line),
	             " generated by: iommusim gen migrate --seed %llu --guest %llu --pgsize %llu"
	             " --iova %llu --pa %llu --dev %u --domain %u --write-size %u",
	             (unsigned long long)p.seed, (unsigned long long)p.guest_bytes,
	             (unsigned long long)p.pgsize, (unsigned long long)p.iova,
	             (unsigned long long)p.pa, p.dev, p.domain, p.write_bytes);
	if (p.mode == IOM_GEN_MIG_FRACTION)
		n += snprintf(line + n, sizeof(line) - (size_t)n, " --dirty-pct %u", p.dirty_pct);
	else
		n += snprintf(line + n, sizeof(line) - (size_t)n,
		              " --rate %llu --hot-pct %u --hot-share %u",
		              (unsigned long long)p.rate, p.hot_pct, p.hot_share_pct);
	snprintf(line + n, sizeof(line) - (size_t)n,
	         " --bandwidth %llu --rounds %u --stop-pages %llu --stop-us %llu --harvest-us %llu"
	         " --copy-unit %llu --harvest-pgsize %llu",
	         (unsigned long long)p.bandwidth, p.max_rounds, (unsigned long long)p.stop_pages,
	         (unsigned long long)(p.stop_ps / 1000000),
	         (unsigned long long)(p.harvest_ps / 1000000), (unsigned long long)p.copy_unit,
	         (unsigned long long)p.harvest_pgsize);
	int r = bin ? 0 : iom_trace_comment(w, line, &err);
	static struct iom_gen_migrate_out o; /* 4 KB: not on the stack */
	if (!r)
		r = iom_gen_migrate(&p, w, &o, &err);
	struct iom_err e2 = {0};
	int f = iom_trace_finish(w, &e2);
	if (r)
		return cli_fail(&err);
	if (f)
		return cli_fail(&e2);
	if (summary)
		mig_summary(&p, &o);
	return 0;
}
