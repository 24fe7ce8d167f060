/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_trace.c - `iommusim trace convert|stat` and `iommusim gen`. */
#include "cli.h"

#include "gen.h"
#include "trace.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char trace_help[] =
	"usage: iommusim trace convert [--to text|binary] [--level N] IN OUT\n"
	"       iommusim trace stat IN\n"
	"\n"
	"convert  re-encode a trace; OUT's encoding is binary when it ends in .gz\n"
	"         (or --to binary), text otherwise. Lossless in both directions.\n"
	"stat     records per kind, time span, DMA bytes, devices and domains seen.\n"
	"IN or OUT may be '-' for stdin/stdout.\n";

static const char gen_help[] =
	"usage: iommusim gen nvme [options] -o OUT\n"
	"       iommusim gen nic [options] -o OUT      (iommusim gen nic --help)\n"
	"       iommusim gen migrate [options] -o OUT  (iommusim gen migrate --help)\n"
	"\n"
	"An NVMe-like device: SQ/CQ rings mapped once; the device fetches each\n"
	"command, moves the data, posts the completion. Deterministic for a seed.\n"
	"Dynamic mapping (default): each I/O maps its data buffer and the host\n"
	"unmaps it after the completion (strict unmap). Static pool (--pool-pages P):\n"
	"P 4 KB pages mapped once at the start, each I/O uses a buffer of the pool,\n"
	"no map/unmap per I/O (as SPDK/DPDK on VFIO).\n"
	"\n"
	"options (defaults in brackets):\n"
	"  --seed N [1]  --ios N [2000]  --qd N [8]  --sq-entries N [64]\n"
	"  --io-size BYTES [4096]  --read-pct P [70]  --iops N [200000]\n"
	"  --warmup-pct P [10]  --mem BYTES [1G]  --dev N [0x100 = 01:00.0]\n"
	"  --iova-defer N [0]            dynamic: an unmapped IOVA is reused only after\n"
	"                                N more unmaps (lazy mode's deferred IOVA free)\n"
	"  --pool-pages P [0 = dynamic]  static pool of P 4 KB pages (io-size buffers)\n"
	"  --pgsize BYTES [4K]           pool mapping page size: 4K, 2M or 1G\n"
	"  --pick uniform|zipf [uniform] buffer choice; zipf: rank k ~ 1/k^S\n"
	"  --zipf-s S [0.99]             the Zipf exponent S (> 0)\n"
	"  --dma-api                     dynamic mapping as DMA API calls (dmamap/dmaunmap,\n"
	"                                dma buf=): the replay's dma_api picks addresses\n"
	"  -o OUT        output trace (.gz = binary)\n"
	"\n"
	"Other generators: iommusim gen nic --help (a NIC through the DMA API).\n";

static bool ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && !strcmp(s + n - m, suf);
}

static int trace_convert(int argc, char **argv)
{
	const char *in = NULL, *out = NULL, *to = NULL;
	uint64_t level = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--to") && i + 1 < argc)
			to = argv[++i];
		else if (!strcmp(argv[i], "--level") && i + 1 < argc) {
			if (!cli_parse_u64(argv[++i], &level) || level > 9)
				return cli_usage_error("trace", "bad --level '%s' (1..9)", argv[i]);
		} else if (argv[i][0] == '-' && argv[i][1])
			return cli_usage_error("trace", "unknown option '%s'", argv[i]);
		else if (!in)
			in = argv[i];
		else if (!out)
			out = argv[i];
		else
			return cli_usage_error("trace", "unexpected argument '%s'", argv[i]);
	}
	if (!in || !out)
		return cli_usage_error("trace", "%s", "convert needs IN and OUT");
	enum iom_trace_enc enc = ends_with(out, ".gz") ? IOM_TRACE_BINARY : IOM_TRACE_TEXT;
	if (to && !strcmp(to, "binary"))
		enc = IOM_TRACE_BINARY;
	else if (to && !strcmp(to, "text"))
		enc = IOM_TRACE_TEXT;
	else if (to)
		return cli_usage_error("trace", "--to must be text or binary, not '%s'", to);
	struct iom_err err = {0};
	struct iom_trace_reader *rd = iom_trace_open(in, NULL, &err);
	if (!rd)
		return cli_fail(&err);
	struct iom_trace_writer *w = iom_trace_create(out, enc, (int)level, &err);
	if (!w) {
		iom_trace_close(rd);
		return cli_fail(&err);
	}
	struct iom_rec rec;
	int r;
	while ((r = iom_trace_next(rd, &rec, &err)) == 1)
		if ((r = iom_trace_write(w, &rec, &err)) < 0)
			break;
	iom_trace_close(rd);
	struct iom_err e2 = {0};
	int f = iom_trace_finish(w, &e2);
	if (r < 0)
		return cli_fail(&err);
	return f ? cli_fail(&e2) : 0;
}

static int trace_stat(int argc, char **argv)
{
	if (argc != 2)
		return cli_usage_error("trace", "%s", "stat needs exactly one trace");
	struct iom_err err = {0};
	struct iom_trace_reader *rd = iom_trace_open(argv[1], NULL, &err);
	if (!rd)
		return cli_fail(&err);
	uint64_t per_kind[IOM_REC_KIND_MAX] = {0}, bytes_r = 0, bytes_w = 0, first = 0, last = 0, n = 0;
	uint64_t devs[64], ndev = 0;
	struct iom_rec rec;
	int r;
	while ((r = iom_trace_next(rd, &rec, &err)) == 1) {
		if (!n++)
			first = rec.time_ps;
		last = rec.time_ps;
		per_kind[rec.kind]++;
		if (rec.kind == IOM_REC_DMA) {
			*(rec.dir == IOM_DIR_WRITE ? &bytes_w : &bytes_r) += rec.size;
			bool seen = false;
			for (uint64_t i = 0; i < ndev; i++)
				seen |= devs[i] == rec.dev;
			if (!seen && ndev < IOM_ARRAY_SIZE(devs))
				devs[ndev++] = rec.dev;
		}
	}
	int enc = iom_trace_encoding(rd);
	iom_trace_close(rd);
	if (r < 0)
		return cli_fail(&err);
	printf("trace      : %s (%s)\n", argv[1], enc == IOM_TRACE_BINARY ? "binary" : "text");
	printf("records    : %llu\n", (unsigned long long)n);
	for (unsigned k = 1; k < IOM_REC_KIND_MAX; k++)
		if (per_kind[k])
			printf("  %-9s: %llu\n", iom_rec_kind_name(k), (unsigned long long)per_kind[k]);
	printf("time span  : %.3f us .. %.3f us\n", first / 1e6, last / 1e6);
	printf("DMA bytes  : %llu read by devices, %llu written by devices\n",
	       (unsigned long long)bytes_r, (unsigned long long)bytes_w);
	printf("devices    : %llu%s\n", (unsigned long long)ndev,
	       ndev == IOM_ARRAY_SIZE(devs) ? " or more" : "");
	return 0;
}

int cli_trace(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(trace_help, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : 0;
	}
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--help")) {
			fputs(trace_help, stdout);
			return 0;
		}
	if (!strcmp(argv[1], "convert"))
		return trace_convert(argc - 1, argv + 1);
	if (!strcmp(argv[1], "stat"))
		return trace_stat(argc - 1, argv + 1);
	return cli_usage_error("trace", "unknown trace command '%s'", argv[1]);
}

int cli_gen_parse_opts(const struct cli_gen_opt *opts, size_t n, void *params, int argc,
		       char **argv, int *i)
{
	size_t k = 0;
	while (k < n && strcmp(argv[*i], opts[k].name))
		k++;
	if (k == n || *i + 1 >= argc)
		return 0;
	uint64_t v;
	if (!cli_parse_u64(argv[++*i], &v) || (opts[k].is32 && v > UINT32_MAX))
		return -!!cli_usage_error("gen", "bad number '%s'", argv[*i]);
	char *base = (char *)params + opts[k].off;
	if (opts[k].is32)
		*(uint32_t *)base = (uint32_t)v;
	else
		*(uint64_t *)base = v;
	return 1;
}

/* --pick and --zipf-s, which take words and reals: 1 taken, 0 not ours,
 * -1 a usage error (reported). */
static int gen_opt_special(struct iom_gen_nvme *p, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	if (strcmp(a, "--pick") && strcmp(a, "--zipf-s"))
		return 0;
	if (*i + 1 >= argc)
		return -!!cli_usage_error("gen", "option %s needs a value", a);
	const char *v = argv[++*i];
	if (!strcmp(a, "--pick")) {
		if (!strcmp(v, "uniform"))
			p->pick = IOM_GEN_PICK_UNIFORM;
		else if (!strcmp(v, "zipf"))
			p->pick = IOM_GEN_PICK_ZIPF;
		else
			return -!!cli_usage_error("gen", "--pick must be uniform or zipf, not '%s'",
						  v);
		return 1;
	}
	char *end;
	double s = strtod(v, &end);
	if (end == v || *end || !isfinite(s) || s <= 0)
		return -!!cli_usage_error("gen", "--zipf-s must be a number > 0, not '%s'", v);
	p->zipf_s = s;
	return 1;
}

/* Generators other than nvme live in their own files (cli.h declares them). */
static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} gen_others[] = {
	{"nic", cli_gen_nic}, /* cmd_gen_nic.c */
	{"migrate", cli_gen_migrate}, /* cmd_gen_migrate.c */
	{NULL, NULL},
};

int cli_gen(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(gen_help, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : 0;
	}
	for (size_t g = 0; gen_others[g].name; g++)
		if (!strcmp(argv[1], gen_others[g].name))
			return gen_others[g].fn(argc, argv);
	if (strcmp(argv[1], "nvme")) {
		char msg[160] = "unknown generator '%s' (known: nvme";
		for (size_t g = 0; gen_others[g].name; g++) {
			size_t n = strlen(msg);
			snprintf(msg + n, sizeof(msg) - n, ", %s", gen_others[g].name);
		}
		strncat(msg, ")", sizeof(msg) - strlen(msg) - 1);
		return cli_usage_error("gen", msg, argv[1]);
	}
	struct iom_gen_nvme p;
	iom_gen_nvme_defaults(&p);
	static const struct cli_gen_opt opts[] = {
		{"--seed", offsetof(struct iom_gen_nvme, seed), 0},
		{"--ios", offsetof(struct iom_gen_nvme, ios), 0},
		{"--qd", offsetof(struct iom_gen_nvme, queue_depth), 1},
		{"--sq-entries", offsetof(struct iom_gen_nvme, sq_entries), 1},
		{"--io-size", offsetof(struct iom_gen_nvme, io_bytes), 1},
		{"--read-pct", offsetof(struct iom_gen_nvme, read_pct), 1},
		{"--iops", offsetof(struct iom_gen_nvme, iops), 0},
		{"--warmup-pct", offsetof(struct iom_gen_nvme, warmup_pct), 1},
		{"--mem", offsetof(struct iom_gen_nvme, mem_bytes), 0},
		{"--dev", offsetof(struct iom_gen_nvme, dev), 1},
		{"--iova-defer", offsetof(struct iom_gen_nvme, iova_defer), 1},
		{"--pool-pages", offsetof(struct iom_gen_nvme, pool_pages), 0},
		{"--pgsize", offsetof(struct iom_gen_nvme, pgsize), 0},
	};
	const char *out = NULL;
	bool dma_api = false;
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--help")) {
			fputs(gen_help, stdout);
			return 0;
		}
		if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			out = argv[++i];
			continue;
		}
		if (!strcmp(argv[i], "--dma-api")) { /* traces/gen/gen_nvme.c, DMA API shape */
			dma_api = true;
			continue;
		}
		int g = gen_opt_special(&p, argc, argv, &i);
		if (!g)
			g = cli_gen_parse_opts(opts, IOM_ARRAY_SIZE(opts), &p, argc, argv, &i);
		if (g < 0)
			return CLI_EXIT_USAGE;
		if (!g)
			return cli_usage_error("gen", "unknown option or missing value: %s", argv[i]);
	}
	if (!out)
		return cli_usage_error("gen", "%s", "no output given (-o OUT)");
	struct iom_err err = {0};
	struct iom_trace_writer *w =
		iom_trace_create(out, ends_with(out, ".gz") ? IOM_TRACE_BINARY : IOM_TRACE_TEXT, 0, &err);
	if (!w)
		return cli_fail(&err);
	char line[384];
	snprintf(line, sizeof(line),
		 " generated by: iommusim gen nvme --seed %llu --ios %llu --qd %u --sq-entries %u"
		 " --io-size %u --read-pct %u --iops %llu --warmup-pct %u",
		 (unsigned long long)p.seed, (unsigned long long)p.ios, p.queue_depth, p.sq_entries,
		 p.io_bytes, p.read_pct, (unsigned long long)p.iops, p.warmup_pct);
	if (dma_api)
		strncat(line, " --dma-api", sizeof(line) - strlen(line) - 1);
	if (p.iova_defer) {
		size_t n = strlen(line);
		snprintf(line + n, sizeof(line) - n, " --iova-defer %u", p.iova_defer);
	}
	if (p.pool_pages) {
		size_t n = strlen(line);
		snprintf(line + n, sizeof(line) - n, " --pool-pages %llu --pgsize %llu --pick %s",
			 (unsigned long long)p.pool_pages, (unsigned long long)p.pgsize,
			 p.pick == IOM_GEN_PICK_ZIPF ? "zipf" : "uniform");
		n = strlen(line);
		if (p.pick == IOM_GEN_PICK_ZIPF)
			snprintf(line + n, sizeof(line) - n, " --zipf-s %.15g", p.zipf_s);
	}
	/* Binary traces carry no comments; the text form records the command. */
	int r = ends_with(out, ".gz") ? 0 : iom_trace_comment(w, line, &err);
	if (!r)
		r = dma_api ? iom_gen_nvme_dma_api(&p, w, &err) : iom_gen_nvme(&p, w, &err);
	struct iom_err e2 = {0};
	int f = iom_trace_finish(w, &e2);
	if (r)
		return cli_fail(&err);
	return f ? cli_fail(&e2) : 0;
}
