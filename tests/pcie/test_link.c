/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_link.c - PCIe link timing (models/pcie/link.h).
 *
 * Every expected value is worked out by hand from the formulas of the
 * pcie-bench model (github.com/pcie-bench/pcie-model, model/pcie.py and
 * model/mem_bw.py; Neugebauer et al., SIGCOMM 2018), restated here:
 *
 *   raw      = GT/s x encoding x lanes     (8/10 Gen1-2, 128/130 Gen3-5, 242/256 Gen6)
 *   tlp_bw   = raw x (1 - 8/AckLimit - 8/FCGuide - 4/1538)
 *   MWr, MRd = 8 framing + 16 header (4DW, 64-bit addresses) [+ 4 ECRC]  = 24 bytes
 *   CplD     = 8 framing + 12 header                         [+ 4 ECRC]  = 20 bytes
 *   write    = tlp_bw x size / (ceil(size/MPS) x 24 + size)
 *   read     = tlp_bw x size / max(requests x 24, completions x 20 + size)
 *
 * with AckLimit = FCGuide from PCIe Base 5.0 tables 3-7..3-9 (pcie-bench's
 * copy), written out below as literal numbers per case.  Numeric values in
 * comments were evaluated with bc from these expressions.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "config.h"
#include "link.h"
#include "stats.h"

/* tlp_bw from the raw rate and the table entries, as pcie-bench computes it */
#define TLPBW(raw, ack, fc) ((raw) * (1.0 - 8.0 / (ack) - 8.0 / (fc) - 4.0 / 1538.0))
#define G3RAW(lanes) (8.0 * 128.0 / 130.0 * (lanes))

static struct iom_pcie_link_params mk(uint32_t gen, uint32_t width, uint32_t mps)
{
	struct iom_pcie_link_cfg c;
	iom_pcie_link_cfg_default(&c);
	c.gen = gen;
	c.width = width;
	c.mps = mps;
	c.mrrs = 512;
	c.rcb = 64;
	struct iom_pcie_link_params p;
	struct iom_err e = { 0 };
	cr_assert_eq(iom_pcie_link_params_init(&p, &c, &e), 0, "%s", e.msg);
	return p;
}

static void expect_rel(double got, double want, double rel, const char *what)
{
	double d = got > want ? got - want : want - got;
	cr_expect(d <= rel * want, "%s: got %.9f, expected %.9f", what, got, want);
}

/* ---- the TLP-layer rate ---------------------------------------------------- */

struct rate_case {
	uint32_t gen, width, mps;
	double raw, ack, fc;
};

Test(pcie_link, tlp_rate_per_generation_width_and_mps)
{
	const struct rate_case cases[] = {
		/* Gen1 x1: 2.5 x 0.8 x 1 = 2 Gb/s; table 3-7 x1: 237 / 416 / 559 */
		{ 1, 1, 128, 2.0, 237, 237 }, /* 1.859777 Gb/s */
		{ 1, 1, 256, 2.0, 416, 416 },
		{ 1, 1, 512, 2.0, 559, 559 },
		/* Gen2 x4: 5 x 0.8 x 4 = 16 Gb/s; table 3-8 x4: 124 / 169 / 205 */
		{ 2, 4, 128, 16.0, 124, 124 },
		{ 2, 4, 256, 16.0, 169, 169 },
		{ 2, 4, 512, 16.0, 205, 205 },
		/* Gen3 x8: 8 x 128/130 x 8 = 63.015385 Gb/s; table 3-9 x8: 163 / 203 / 182 */
		{ 3, 8, 128, G3RAW(8), 163, 163 },
		{ 3, 8, 256, G3RAW(8), 203, 203 }, /* 57.884766 Gb/s */
		{ 3, 8, 512, G3RAW(8), 182, 182 },
		/* Gen4 x16: 16 x 128/130 x 16; x16 row: 144 / 168 / 182 */
		{ 4, 16, 128, 2.0 * G3RAW(16), 144, 144 },
		{ 4, 16, 256, 2.0 * G3RAW(16), 168, 168 },
		{ 4, 16, 512, 2.0 * G3RAW(16), 182, 182 },
		/* Gen5 x16: 32 x 128/130 x 16 */
		{ 5, 16, 128, 4.0 * G3RAW(16), 144, 144 },
		{ 5, 16, 256, 4.0 * G3RAW(16), 168, 168 },
		{ 5, 16, 512, 4.0 * G3RAW(16), 182, 182 }, /* 458.493451 Gb/s */
		/* Gen6 x16: 64 x 242/256 x 16 = 968 Gb/s, Gen5 rows */
		{ 6, 16, 256, 968.0, 168, 168 },
		/* the two entries where pcie-bench's FC table differs from its ACK table */
		{ 1, 32, 2048, 64.0, 148, 248 },
		{ 2, 32, 4096, 128.0, 237, 327 },
	};
	for (size_t i = 0; i < IOM_ARRAY_SIZE(cases); i++) {
		const struct rate_case *k = &cases[i];
		struct iom_pcie_link_params p = mk(k->gen, k->width, k->mps);
		char what[64];
		snprintf(what, sizeof(what), "gen%u x%u mps %u", k->gen, k->width, k->mps);
		expect_rel(p.raw_gbps, k->raw, 1e-12, what);
		expect_rel(p.tlp_gbps, TLPBW(k->raw, k->ack, k->fc), 1e-12, what);
		cr_expect_eq(p.ack_limit, (uint32_t)k->ack, "%s: ack limit %u", what, p.ack_limit);
		cr_expect_eq(p.fc_guide, (uint32_t)k->fc, "%s: fc guide %u", what, p.fc_guide);
	}
	/* two absolute values (bc): the calibration machine's link and Gen1 x1 */
	expect_rel(mk(3, 8, 256).tlp_gbps, 57.884765627, 1e-9, "gen3 x8 absolute");
	expect_rel(mk(1, 1, 128).tlp_gbps, 1.859777342, 1e-9, "gen1 x1 absolute");
}

/* ---- effective bandwidth of writes and reads by size -------------------------- */

struct bw_case {
	uint32_t gen, width;
	double raw;
	double ack[3]; /* at MPS 128, 256, 512 */
};

Test(pcie_link, write_and_read_bandwidth_by_size_match_hand_formulas)
{
	const struct bw_case links[] = {
		{ 1, 1, 2.0, { 237, 416, 559 } },
		{ 2, 4, 16.0, { 124, 169, 205 } },
		{ 3, 8, G3RAW(8), { 163, 203, 182 } },
		{ 4, 16, 2.0 * G3RAW(16), { 144, 168, 182 } },
		{ 5, 16, 4.0 * G3RAW(16), { 144, 168, 182 } },
	};
	const uint32_t mpss[3] = { 128, 256, 512 };
	const uint64_t sizes[4] = { 64, 256, 1500, 4096 };
	/* Wire bytes by hand, [mps][size], MRRS 512, RCB 64, aligned at 0:
	 * writes: ceil(size/MPS) x 24 + size
	 *   64:   1 TLP                      -> 88 at every MPS
	 *   256:  2 / 1 / 1 TLPs             -> 304 / 280 / 280
	 *   1500: 12 / 6 / 3 TLPs            -> 1788 / 1644 / 1572
	 *   4096: 32 / 16 / 8 TLPs           -> 4864 / 4480 / 4288
	 * reads, completions (the DOWN direction, always the larger):
	 * requests of 512 bytes (1500 = 512 + 512 + 476), each cut at MPS:
	 *   64:   1 CplD                     -> 84
	 *   256:  2 / 1 / 1                  -> 296 / 276 / 276
	 *   1500: 4+4+4 / 2+2+2 / 1+1+1      -> 1740 / 1620 / 1560
	 *   4096: 32 / 16 / 8                -> 4736 / 4416 / 4256
	 * and requests UP: 1, 1, 3, 8 x 24 bytes. */
	const double wr_wire[3][4] = {
		{ 88, 304, 1788, 4864 }, { 88, 280, 1644, 4480 }, { 88, 280, 1572, 4288 } };
	const double rd_wire[3][4] = {
		{ 84, 296, 1740, 4736 }, { 84, 276, 1620, 4416 }, { 84, 276, 1560, 4256 } };
	for (size_t l = 0; l < IOM_ARRAY_SIZE(links); l++) {
		for (int m = 0; m < 3; m++) {
			struct iom_pcie_link_params p = mk(links[l].gen, links[l].width, mpss[m]);
			double bw = TLPBW(links[l].raw, links[l].ack[m], links[l].ack[m]);
			for (int s = 0; s < 4; s++) {
				char what[80];
				snprintf(what, sizeof(what), "gen%u x%u mps %u size %llu",
					 links[l].gen, links[l].width, mpss[m],
					 (unsigned long long)sizes[s]);
				double sz = (double)sizes[s];
				expect_rel(iom_pcie_write_gbps(&p, sizes[s]),
					   bw * sz / wr_wire[m][s], 1e-12, what);
				expect_rel(iom_pcie_read_gbps(&p, sizes[s]),
					   bw * sz / rd_wire[m][s], 1e-12, what);
			}
		}
	}
	/* bc: Gen3 x8 MPS 256: 64-byte writes 42.098011 Gb/s, 4 KB reads 53.690217 */
	struct iom_pcie_link_params p = mk(3, 8, 256);
	expect_rel(iom_pcie_write_gbps(&p, 64), 42.098011365, 1e-9, "gen3 wr 64");
	expect_rel(iom_pcie_read_gbps(&p, 4096), 53.690217393, 1e-9, "gen3 rd 4096");
}

Test(pcie_link, tiny_reads_are_limited_by_the_request_direction)
{
	/* 1-byte read: 24 bytes of request UP vs 20 + 1 = 21 of completion DOWN,
	 * so the UP direction limits: bw x 1 / 24 (pcie-bench's TX-bound branch). */
	struct iom_pcie_link_params p = mk(3, 8, 256);
	expect_rel(iom_pcie_read_gbps(&p, 1), TLPBW(G3RAW(8), 203, 203) / 24.0, 1e-12, "rd 1");
	/* 4 bytes: 24 vs 24, either */
	expect_rel(iom_pcie_read_gbps(&p, 4), TLPBW(G3RAW(8), 203, 203) * 4 / 24.0, 1e-12, "rd 4");
}

Test(pcie_link, read_write_mix_uses_the_busier_direction)
{
	/* One 2048-byte read and one 2048-byte write per step, Gen3 x8 MPS 256:
	 * UP = 8 MWr (8 x 24 + 2048 = 2240) + 4 MRd (96) = 2336,
	 * DOWN = 8 CplD = 8 x 20 + 2048 = 2208 -> bw x 2048 / 2336. */
	struct iom_pcie_link_params p = mk(3, 8, 256);
	expect_rel(iom_pcie_rdwr_gbps(&p, 2048), TLPBW(G3RAW(8), 203, 203) * 2048 / 2336, 1e-12,
		   "rdwr 2048");
}

Test(pcie_link, matches_the_pcie_bench_model_within_one_percent)
{
	/* Reference numbers: pcie-bench/pcie-model, pcie_bw.py defaults (gen3 x8,
	 * MPS 256, MRRS 512, RCB 64, 64-bit addresses, no ECRC), columns "PCIe
	 * Write BW" and "PCIe Read BW" (mem_bw.write / mem_bw.read .tx_eff /
	 * .rx_eff), evaluated by hand with bc from model/pcie.py and
	 * model/mem_bw.py at commit 5bb1a71; see docs/pcie-link.md. */
	struct iom_pcie_link_params p = mk(3, 8, 256);
	const struct { uint64_t size; double wr, rd; } ref[] = {
		{ 64, 42.10, 44.10 },
		{ 128, 48.75, 50.06 },
		{ 256, 52.92, 53.69 },
		{ 512, 52.92, 53.69 },
		{ 1500, 52.81, 53.60 },
	};
	for (size_t i = 0; i < IOM_ARRAY_SIZE(ref); i++) {
		expect_rel(iom_pcie_write_gbps(&p, ref[i].size), ref[i].wr, 0.01, "write");
		expect_rel(iom_pcie_read_gbps(&p, ref[i].size), ref[i].rd, 0.01, "read");
	}
}

/* ---- TLP sizes and splitting ------------------------------------------------------ */

Test(pcie_link, header_sizes_follow_address_mode_and_ecrc)
{
	struct iom_pcie_link_cfg c;
	struct iom_pcie_link_params p;
	iom_pcie_link_cfg_default(&c);
	cr_assert_eq(iom_pcie_link_params_init(&p, &c, NULL), 0);
	/* 64-bit mode: 8 + 16 + 64 = 88; read request 8 + 16 = 24; CplD 8 + 12 + 64 */
	cr_expect_eq(iom_pcie_tlp_wire_bytes(&p, IOM_PCIE_TLP_MWR, 64, 0x1000), 88);
	cr_expect_eq(iom_pcie_tlp_wire_bytes(&p, IOM_PCIE_TLP_MRD, 64, 0x1000), 24);
	cr_expect_eq(iom_pcie_tlp_wire_bytes(&p, IOM_PCIE_TLP_CPLD, 64, 0x1000), 84);
	cr_expect_eq(iom_pcie_tlp_wire_bytes(&p, IOM_PCIE_TLP_CPL, 0, 0), 20);
	cr_expect_eq(iom_pcie_tlp_wire_bytes(&p, IOM_PCIE_TLP_MSG, 0, 0), 24);
	/* auto: 3DW below 4 GiB (84), 4DW when the request reaches above it */
	c.addr = IOM_PCIE_ADDR_AUTO;
	cr_assert_eq(iom_pcie_link_params_init(&p, &c, NULL), 0);
	cr_expect_eq(iom_pcie_tlp_wire_bytes(&p, IOM_PCIE_TLP_MWR, 64, 0xffffffc0ull), 84);
	cr_expect_eq(iom_pcie_tlp_wire_bytes(&p, IOM_PCIE_TLP_MWR, 64, 0xffffffc1ull), 88);
	cr_expect_eq(iom_pcie_tlp_wire_bytes(&p, IOM_PCIE_TLP_MRD, 64, 0x100000000ull), 24);
	cr_expect_eq(iom_pcie_tlp_wire_bytes(&p, IOM_PCIE_TLP_MRD, 64, 0x1000), 20);
	/* 32 with ECRC: 8 + 12 + 4 + 64 = 88; CplD 8 + 12 + 4 + 64 = 88 */
	c.addr = IOM_PCIE_ADDR_32;
	c.ecrc = true;
	cr_assert_eq(iom_pcie_link_params_init(&p, &c, NULL), 0);
	cr_expect_eq(iom_pcie_tlp_wire_bytes(&p, IOM_PCIE_TLP_MWR, 64, 0x1000), 88);
	cr_expect_eq(iom_pcie_tlp_wire_bytes(&p, IOM_PCIE_TLP_CPLD, 64, 0x1000), 88);
	cr_expect_eq(iom_pcie_tlp_wire_bytes(&p, IOM_PCIE_TLP_MRD, 64, 0x1000), 24);
}

Test(pcie_link, ecrc_adds_four_bytes_per_tlp_to_bandwidth)
{
	/* Gen3 x8 MPS 256 with ECRC: a 4 KB write is 16 TLPs of 28 bytes overhead:
	 * bw x 4096 / (16 x 28 + 4096) = bw x 4096 / 4544 */
	struct iom_pcie_link_cfg c;
	struct iom_pcie_link_params p;
	iom_pcie_link_cfg_default(&c);
	c.ecrc = true;
	cr_assert_eq(iom_pcie_link_params_init(&p, &c, NULL), 0);
	expect_rel(iom_pcie_write_gbps(&p, 4096), TLPBW(G3RAW(8), 203, 203) * 4096 / 4544, 1e-12,
		   "ecrc wr 4096");
}

Test(pcie_link, writes_split_at_4k_boundaries_and_mps)
{
	struct iom_pcie_link_params p = mk(3, 8, 256);
	struct iom_pcie_cost c;
	/* 256 bytes at 0xf80: 128 up to the 4 KB boundary, then 128 */
	iom_pcie_write_cost(&p, 0xf80, 256, &c);
	cr_expect_eq(c.tlps[IOM_PCIE_UP], 2);
	cr_expect_eq(c.wire_bytes[IOM_PCIE_UP], 2 * 24 + 256);
	cr_expect_eq(c.data_bytes[IOM_PCIE_UP], 256);
	cr_expect_eq(c.tlps[IOM_PCIE_DOWN], 0);
	/* 256 bytes at 0x40: no boundary crossed, one TLP (MPS counts bytes, not alignment) */
	iom_pcie_write_cost(&p, 0x40, 256, &c);
	cr_expect_eq(c.tlps[IOM_PCIE_UP], 1);
	/* 1000 bytes at 0xe00: 256 + 256 to 0x1000, then 256 + 232 */
	iom_pcie_write_cost(&p, 0xe00, 1000, &c);
	cr_expect_eq(c.tlps[IOM_PCIE_UP], 4);
	cr_expect_eq(c.wire_bytes[IOM_PCIE_UP], 4 * 24 + 1000);
}

Test(pcie_link, read_requests_split_at_mrrs_and_completions_on_rcb_boundaries)
{
	struct iom_pcie_link_params p = mk(3, 8, 256);
	struct iom_pcie_cost c;
	/* 512 bytes at 0x20 (MRRS 512, MPS 256, RCB 64): one request; completions
	 * 0x20..0x100 (224, ends on an RCB boundary), 0x100..0x200 (256),
	 * 0x200..0x220 (32). */
	cr_expect_eq(iom_pcie_cpl_len(&p, 0x20, 512), 224);
	cr_expect_eq(iom_pcie_cpl_len(&p, 0x100, 288), 256);
	cr_expect_eq(iom_pcie_cpl_len(&p, 0x200, 32), 32);
	iom_pcie_read_cost(&p, 0x20, 512, &c);
	cr_expect_eq(c.tlps[IOM_PCIE_UP], 1);
	cr_expect_eq(c.wire_bytes[IOM_PCIE_UP], 24);
	cr_expect_eq(c.tlps[IOM_PCIE_DOWN], 3);
	cr_expect_eq(c.wire_bytes[IOM_PCIE_DOWN], 3 * 20 + 512);
	cr_expect_eq(c.data_bytes[IOM_PCIE_DOWN], 512);
	/* the whole rest fits in one completion: 256 at 0x20 is one CplD */
	cr_expect_eq(iom_pcie_cpl_len(&p, 0x20, 256), 256);
	/* 4 KB at 0xc00: requests 512, 512 (to 0x1000), 512 x 6 -> 8 requests */
	iom_pcie_read_cost(&p, 0xc00, 4096, &c);
	cr_expect_eq(c.tlps[IOM_PCIE_UP], 8);
	cr_expect_eq(c.tlps[IOM_PCIE_DOWN], 16);
}

Test(pcie_link, rcb_split_sends_one_completion_per_rcb_block)
{
	struct iom_pcie_link_cfg cfg;
	struct iom_pcie_link_params p;
	iom_pcie_link_cfg_default(&cfg);
	cfg.cpl_split = IOM_PCIE_CPL_RCB;
	cr_assert_eq(iom_pcie_link_params_init(&p, &cfg, NULL), 0);
	struct iom_pcie_cost c;
	/* 512 at 0x20, RCB 64: 32 to 0x40, seven 64-byte blocks to 0x200, 32 */
	iom_pcie_read_cost(&p, 0x20, 512, &c);
	cr_expect_eq(c.tlps[IOM_PCIE_DOWN], 9);
	cr_expect_eq(c.wire_bytes[IOM_PCIE_DOWN], 9 * 20 + 512);
	/* aligned 4 KB: 64 completions (pcie-bench rcb_chunks: ceil(4096 / 64)) */
	expect_rel(iom_pcie_read_gbps(&p, 4096),
		   TLPBW(G3RAW(8), 203, 203) * 4096 / (64 * 20 + 4096), 1e-12, "rcb rd 4096");
}

Test(pcie_link, small_mrrs_needs_a_completion_per_request)
{
	/* MRRS 128 < MPS 256: 4 KB read = 32 requests, each answered by its own
	 * completion (32 CplD), where pcie-bench counts ceil(4096/256) = 16. */
	struct iom_pcie_link_cfg cfg;
	struct iom_pcie_link_params p;
	iom_pcie_link_cfg_default(&cfg);
	cfg.mrrs = 128;
	cr_assert_eq(iom_pcie_link_params_init(&p, &cfg, NULL), 0);
	struct iom_pcie_cost c;
	iom_pcie_read_cost(&p, 0, 4096, &c);
	cr_expect_eq(c.tlps[IOM_PCIE_UP], 32);
	cr_expect_eq(c.tlps[IOM_PCIE_DOWN], 32);
}

/* ---- latency and the time-stepped link ------------------------------------------ */

/* Gen3 x8 MPS 256: 8000 / 57.884765627 = 138.205621 ps per wire byte.
 *   MRd 24 B  ->  3316.93 ->  3317 ps
 *   CplD 84 B -> 11609.27 -> 11609 ps
 *   MWr 88 B  -> 12162.09 -> 12162 ps
 *   CplD/MWr 276/280 B -> 38144.75 -> 38145 ps / 38697.57 -> 38698 ps */

Test(pcie_link, unloaded_read_latency_64_bytes)
{
	struct iom_pcie_link_cfg c;
	struct iom_pcie_link_params p;
	iom_pcie_link_cfg_default(&c); /* link 50 ns, no switch, rc 445 ns */
	cr_assert_eq(iom_pcie_link_params_init(&p, &c, NULL), 0);
	/* 3317 + 50000 + 445000 + 11609 + 50000 */
	cr_expect_eq(iom_pcie_read_latency_ps(&p, 0, 64), 559926);
	/* write: 12162 + 50000 */
	cr_expect_eq(iom_pcie_write_latency_ps(&p, 0, 64), 62162);
}

Test(pcie_link, unloaded_read_latency_2048_bytes_queues_completions)
{
	struct iom_pcie_link_cfg c;
	struct iom_pcie_link_params p;
	iom_pcie_link_cfg_default(&c);
	cr_assert_eq(iom_pcie_link_params_init(&p, &c, NULL), 0);
	/* 4 requests of 512 leave at 3317, 6634, 9951, 13268, arrive 50 ns later,
	 * completers answer 445 ns after: first completion ready at 498317; the
	 * eight 276-byte completions (38145 ps each) then go back to back (each
	 * later request is ready long before the link frees):
	 * 498317 + 8 x 38145 + 50000 = 853477 */
	cr_expect_eq(iom_pcie_read_latency_ps(&p, 0, 2048), 853477);
	/* the time-stepped link gives the same on a fresh link */
	struct iom_pcie_link l;
	cr_assert_eq(iom_pcie_link_init(&l, &c, "l0", NULL), 0);
	cr_expect_eq(iom_pcie_link_read(&l, 0, 0, 2048), 853477);
	cr_expect_eq(l.tlps[IOM_PCIE_UP], 4);
	cr_expect_eq(l.tlps[IOM_PCIE_DOWN], 8);
	cr_expect_eq(l.wire_bytes[IOM_PCIE_DOWN], 8 * 276);
	cr_expect_eq(l.data_bytes[IOM_PCIE_DOWN], 2048);
	iom_pcie_link_fini(&l);
}

Test(pcie_link, switch_hops_add_per_hop_latency)
{
	struct iom_pcie_link_cfg c;
	struct iom_pcie_link_params p;
	iom_pcie_link_cfg_default(&c);
	c.switch_hops = 2;
	c.switch_latency_ns = 150;
	cr_assert_eq(iom_pcie_link_params_init(&p, &c, NULL), 0);
	cr_expect_eq(p.oneway_ps, 350000);
	/* 3317 + 350000 + 445000 + 11609 + 350000 */
	cr_expect_eq(iom_pcie_read_latency_ps(&p, 0, 64), 1159926);
}

Test(pcie_link, a_direction_is_a_serial_resource)
{
	struct iom_pcie_link_cfg c;
	struct iom_pcie_link l;
	iom_pcie_link_cfg_default(&c);
	c.link_latency_ns = 0;
	cr_assert_eq(iom_pcie_link_init(&l, &c, "l0", NULL), 0);
	/* two 256-byte writes ready at 0: 280 wire bytes = 38698 ps each */
	cr_expect_eq(iom_pcie_link_tx(&l, 0, IOM_PCIE_UP, IOM_PCIE_TLP_MWR, 256, 0), 38698);
	cr_expect_eq(iom_pcie_link_tx(&l, 0, IOM_PCIE_UP, IOM_PCIE_TLP_MWR, 256, 256), 77396);
	/* the other direction is independent: a 64-byte completion at 0 -> 11609 */
	cr_expect_eq(iom_pcie_link_tx(&l, 0, IOM_PCIE_DOWN, IOM_PCIE_TLP_CPLD, 64, 0), 11609);
	/* a write ready after the link went idle does not wait */
	cr_expect_eq(iom_pcie_link_tx(&l, 100000, IOM_PCIE_UP, IOM_PCIE_TLP_MWR, 256, 0), 138698);
	cr_expect_eq(l.dir[IOM_PCIE_UP].waited, 1);
	cr_expect_eq(l.dir[IOM_PCIE_UP].wait_ps, 38698);
	cr_expect_eq(l.dir[IOM_PCIE_UP].busy_ps, 3 * 38698);
	/* a 1 KB write at 0x1000 ready at 200000: four 280-byte TLPs */
	cr_expect_eq(iom_pcie_link_write(&l, 200000, 0x1000, 1024), 200000 + 4 * 38698);
	cr_expect_eq(l.tlps[IOM_PCIE_UP], 7);
	cr_expect_eq(l.wire_bytes[IOM_PCIE_UP], 7 * 280);
	cr_expect_eq(l.data_bytes[IOM_PCIE_UP], 7 * 256);
	iom_pcie_link_fini(&l);
}

Test(pcie_link, stats_register_per_direction)
{
	struct iom_pcie_link_cfg c;
	struct iom_pcie_link l;
	struct iom_err e = { 0 };
	iom_pcie_link_cfg_default(&c);
	cr_assert_eq(iom_pcie_link_init(&l, &c, "dev0.link", &e), 0, "%s", e.msg);
	struct iom_stats *s = iom_stats_create();
	cr_assert_eq(iom_pcie_link_register_stats(&l, s, &e), 0, "%s", e.msg);
	iom_pcie_link_write(&l, 0, 0, 512);
	double v = 0;
	cr_expect_eq(iom_stats_get(s, NULL, "dev0.link.up.tlps", &v), 0);
	cr_expect_eq(v, 2.0);
	cr_expect_eq(iom_stats_get(s, NULL, "dev0.link.up.wire_bytes", &v), 0);
	cr_expect_eq(v, 560.0);
	cr_expect_eq(iom_stats_get(s, NULL, "dev0.link.down.tlps", &v), 0);
	cr_expect_eq(v, 0.0);
	iom_stats_destroy(s);
	iom_pcie_link_fini(&l);
}

/* ---- configuration ---------------------------------------------------------------- */

Test(pcie_link, config_binds_section_and_rejects_bad_values)
{
	struct iom_err e = { 0 };
	struct iom_pcie_link_cfg c;
	struct iom_config *cfg = iom_config_load_string(
		"pcie:\n  link:\n    gen: 4\n    width: 16\n    mps: 512\n    addr: auto\n"
		"    cpl_split: rcb\n    ecrc: true\n",
		"t.yaml", &e);
	cr_assert(cfg, "%s", e.msg);
	cr_assert_eq(iom_pcie_link_cfg_bind(cfg, NULL, &c, &e), 0, "%s", e.msg);
	cr_expect_eq(c.gen, 4);
	cr_expect_eq(c.width, 16);
	cr_expect_eq(c.mps, 512);
	cr_expect_eq(c.mrrs, 512); /* default */
	cr_expect_eq(c.addr, IOM_PCIE_ADDR_AUTO);
	cr_expect_eq(c.cpl_split, IOM_PCIE_CPL_RCB);
	cr_expect(c.ecrc);
	cr_expect_eq(iom_config_check_unused(cfg, &e), 0, "%s", e.msg);
	iom_config_destroy(cfg);

	cfg = iom_config_load_string("pcie:\n  link:\n    mps: 300\n", "t.yaml", &e);
	cr_assert(cfg);
	cr_expect_eq(iom_pcie_link_cfg_bind(cfg, NULL, &c, &e), -IOM_EINVAL);
	cr_expect(strstr(e.msg, "pcie.link.mps") && strstr(e.msg, "power of two"), "%s", e.msg);
	iom_config_destroy(cfg);

	cfg = iom_config_load_string("pcie:\n  link:\n    width: 12\n", "t.yaml", &e);
	cr_assert(cfg);
	cr_expect_eq(iom_pcie_link_cfg_bind(cfg, NULL, &c, &e), -IOM_EINVAL);
	cr_expect(strstr(e.msg, "pcie.link.width"), "%s", e.msg);
	iom_config_destroy(cfg);

	cfg = iom_config_load_string("pcie:\n  link:\n    gen: 7\n", "t.yaml", &e);
	cr_assert(cfg);
	cr_expect_neq(iom_pcie_link_cfg_bind(cfg, NULL, &c, &e), 0);
	cr_expect(strstr(e.msg, "gen"), "%s", e.msg);
	iom_config_destroy(cfg);

	cfg = iom_config_load_string("pcie:\n  link:\n    rcb: 96\n", "t.yaml", &e);
	cr_assert(cfg);
	cr_expect_eq(iom_pcie_link_cfg_bind(cfg, NULL, &c, &e), -IOM_EINVAL);
	cr_expect(strstr(e.msg, "pcie.link.rcb"), "%s", e.msg);
	iom_config_destroy(cfg);
}
