/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_link.c - cost of the PCIe link model (models/pcie/link.h) per TLP,
 * and its figures for bench/pcie-model-compare.sh.
 *
 *   bench_link [N]     time N TLPs (default 20 million) through the
 *                      time-stepped link three ways: single TLPs
 *                      (iom_pcie_link_tx), 4 KB DMA writes cut into TLPs
 *                      (iom_pcie_link_write), 4 KB DMA reads (requests and
 *                      completions, iom_pcie_link_read).  Prints TLPs/s
 *                      (wall clock, single thread).
 *   bench_link --model reads lines "gen width mps mrrs rcb size" on stdin and
 *                      prints, per line, the model's TLP-layer rate and its
 *                      write, read and read/write bandwidth (Gb/s) and
 *                      unloaded write and read latency (ns) for transfers of
 *                      that size (64-bit addresses, no ECRC, completions
 *                      split at MPS, default latencies).  No timing: the
 *                      output is deterministic.
 */
#include "bench-util.h"
#include "link.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bench_model(void)
{
	char line[256];
	int lineno = 0;
	printf("# gen width mps mrrs rcb size raw_gbps tlp_gbps wr_gbps rd_gbps rdwr_gbps "
	       "wr_lat_ns rd_lat_ns\n");
	while (fgets(line, sizeof(line), stdin)) {
		unsigned gen, width, mps, mrrs, rcb;
		unsigned long long size;
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%u %u %u %u %u %llu", &gen, &width, &mps, &mrrs, &rcb, &size) !=
		    6) {
			fprintf(stderr,
				"bench_link: stdin:%d: expected 'gen width mps mrrs rcb size'\n",
				lineno);
			return 2;
		}
		struct iom_pcie_link_cfg c;
		struct iom_pcie_link_params p;
		struct iom_err e = { 0 };
		iom_pcie_link_cfg_default(&c);
		c.gen = gen;
		c.width = width;
		c.mps = mps;
		c.mrrs = mrrs;
		c.rcb = rcb;
		if (iom_pcie_link_params_init(&p, &c, &e)) {
			fprintf(stderr, "bench_link: stdin:%d: %s\n", lineno, e.msg);
			return 2;
		}
		printf("%u %u %u %u %u %llu %.6f %.6f %.6f %.6f %.6f %.3f %.3f\n", gen, width, mps,
		       mrrs, rcb, size, p.raw_gbps, p.tlp_gbps, iom_pcie_write_gbps(&p, size),
		       iom_pcie_read_gbps(&p, size), iom_pcie_rdwr_gbps(&p, size),
		       (double)iom_pcie_write_latency_ps(&p, 0, size) / 1000.0,
		       (double)iom_pcie_read_latency_ps(&p, 0, size) / 1000.0);
	}
	return 0;
}

static double bench_single(struct iom_pcie_link *l, uint64_t n, uint64_t *sink)
{
	uint64_t t = 0;
	double t0 = bench_now_s();
	for (uint64_t i = 0; i < n; i++) {
		/* alternate a write UP and a completion DOWN, ready 20 ns apart */
		enum iom_pcie_dir d = (enum iom_pcie_dir)(i & 1);
		t += 20000;
		*sink += iom_pcie_link_tx(l, t, d, d ? IOM_PCIE_TLP_CPLD : IOM_PCIE_TLP_MWR, 256,
					  i << 8);
	}
	return (double)n / (bench_now_s() - t0);
}

static double bench_dma(struct iom_pcie_link *l, uint64_t n, int write, uint64_t *sink)
{
	uint64_t t = 0, tlps0 = l->tlps[0] + l->tlps[1];
	double t0 = bench_now_s();
	for (uint64_t i = 0; tlps0 + n > l->tlps[0] + l->tlps[1]; i++) {
		t += 600000;
		uint64_t a = (i & 1023) << 12;
		*sink += write ? iom_pcie_link_write(l, t, a, 4096)
			       : iom_pcie_link_read(l, t, a, 4096);
	}
	uint64_t done = l->tlps[0] + l->tlps[1] - tlps0;
	return (double)done / (bench_now_s() - t0);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--model"))
		return bench_model();
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 20000000;
	if (!n) {
		fprintf(stderr, "usage: bench_link [N] | bench_link --model < queries\n");
		return 1;
	}
	struct iom_pcie_link_cfg c;
	struct iom_pcie_link l;
	struct iom_err e = { 0 };
	iom_pcie_link_cfg_default(&c);
	if (iom_pcie_link_init(&l, &c, "bench.link", &e)) {
		fprintf(stderr, "bench_link: %s\n", e.msg);
		return 5;
	}
	uint64_t sink = 0;
	double single = bench_single(&l, n, &sink);
	double wr = bench_dma(&l, n, 1, &sink);
	double rd = bench_dma(&l, n, 0, &sink);
	printf("pcie link gen3 x8 mps 256, %llu TLPs each:\n", (unsigned long long)n);
	printf("  iom_pcie_link_tx (one TLP per call)     : %6.1f M TLPs/s\n", single / 1e6);
	printf("  iom_pcie_link_write (4 KB, 16 MWr)      : %6.1f M TLPs/s\n", wr / 1e6);
	printf("  iom_pcie_link_read (4 KB, 8 MRd+16 CplD): %6.1f M TLPs/s\n", rd / 1e6);
	printf("  (checksum %llu)\n", (unsigned long long)(sink & 0xffff));
	iom_pcie_link_fini(&l);
	return 0;
}
