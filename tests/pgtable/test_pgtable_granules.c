/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_pgtable_granules.c - VMSAv8-64 stage 1 with the 4 KB, 16 KB and 64 KB
 * granules (models/pgtable): start levels from T0SZ, exact descriptor
 * addresses of walks, blocks at every level the granule allows, 52-bit IA/OA
 * with 64 KB (FEAT_LVA/LPA), the TTB1 region and the Contiguous hint.
 * Expected values are worked by hand from Arm DDI0487 D8.2/D8.3 (reference
 * section 1.5); index arithmetic is written out next to each constant.
 *
 * Fixture: memory of 2^48 bytes, fixed DRAM latency 50 ns, no LLC; a fresh
 * buddy allocator over [0x8000_0000, +16 MB) that hands out the lowest free
 * block first, so the tables of the first mapping are, in creation order,
 * PBASE + 0, + 1 granule, + 2 granules, ...
 *
 * Stage-1 leaf bits: valid 0x1, page 0x2, AP[2] 0x80, SH 0x300, AF 0x400,
 * DBM bit 51, Contiguous bit 52 = 0x0010_0000_0000_0000, PXN|UXN bits 53/54
 * = 0x0060_0000_0000_0000.  So R|W page = 0x703, R|W block = 0x701 (+XN).
 */

#include "pgtable-test.h"

#define XN_BITS 0x0060000000000000ull
#define CONT    0x0010000000000000ull
#define RW      (IOM_PTE_R | IOM_PTE_W)

static struct iom_pt_cfg s1cfg(unsigned g, unsigned ia, unsigned oa)
{
	return (struct iom_pt_cfg){.fmt = IOM_PT_VMSA64_S1,
	                           .granule_shift = (uint8_t)g,
	                           .ia_bits = (uint8_t)ia,
	                           .oa_bits = (uint8_t)oa};
}

TestSuite(pgtable_granule, .init = pt_fixture_init, .fini = pt_fixture_fini);

/* levels = ceil((IA - g) / s), start = 4 - levels, top index bits = IA - shift(start),
 * with shift(L) = g + s * (3 - L). */
Test(pgtable_granule, s1_start_level_follows_t0sz_for_every_granule)
{
	static const struct {
		uint8_t g, ia, levels, start, top;
	} cases[] = {
	    /* 4 KB, s = 9: shifts L0 39, L1 30, L2 21, L3 12 */
	    {12, 48, 4, 0, 9}, /* ceil(36/9) = 4; 48 - 39 */
	    {12, 40, 4, 0, 1}, /* ceil(28/9) = 4; 40 - 39: 2 entries */
	    {12, 39, 3, 1, 9}, /* ceil(27/9) = 3 */
	    {12, 31, 3, 1, 1}, /* ceil(19/9) = 3 */
	    {12, 30, 2, 2, 9}, /* ceil(18/9) = 2 */
	    {12, 25, 2, 2, 4}, /* ceil(13/9) = 2; 25 - 21 */
	    /* 16 KB, s = 11: shifts L0 47, L1 36, L2 25, L3 14 */
	    {14, 48, 4, 0, 1},  /* ceil(34/11) = 4; L0 = IA[47], 2 entries */
	    {14, 47, 3, 1, 11}, /* ceil(33/11) = 3 */
	    {14, 37, 3, 1, 1},  /* ceil(23/11) = 3 */
	    {14, 36, 2, 2, 11}, /* ceil(22/11) = 2 */
	    {14, 25, 1, 3, 11}, /* ceil(11/11) = 1: a single level-3 table */
	    /* 64 KB, s = 13: shifts L1 42, L2 29, L3 16 */
	    {16, 52, 3, 1, 10}, /* ceil(36/13) = 3; 1024 entries at L1 (FEAT_LVA) */
	    {16, 48, 3, 1, 6},  /* ceil(32/13) = 3; 64 entries */
	    {16, 43, 3, 1, 1},  /* ceil(27/13) = 3 */
	    {16, 42, 2, 2, 13}, /* ceil(26/13) = 2 */
	    {16, 29, 1, 3, 13}, /* ceil(13/13) = 1 */
	    {16, 25, 1, 3, 9},  /* ceil(9/13) = 1; 25 - 16 */
	};
	for (size_t i = 0; i < IOM_ARRAY_SIZE(cases); i++) {
		struct iom_pt_cfg c = s1cfg(cases[i].g, cases[i].ia, 48);
		struct iom_pt_geom g;
		cr_assert_eq(iom_pt_geometry(&c, &g, &err), 0, "%s", err.msg);
		cr_assert_eq(g.levels, cases[i].levels, "g %u ia %u levels %u", cases[i].g,
		             cases[i].ia, g.levels);
		cr_assert_eq(g.start_level, cases[i].start, "g %u ia %u start", cases[i].g,
		             cases[i].ia);
		cr_assert_eq(g.top_bits, cases[i].top, "g %u ia %u top_bits %u", cases[i].g,
		             cases[i].ia, g.top_bits);
		cr_assert_eq(g.stride, cases[i].g - 3);
		cr_assert_eq(g.concat, 1);
	}
}

Test(pgtable_granule, s1_illegal_and_unimplemented_widths_are_distinct)
{
	struct iom_pt_geom g;
	struct iom_pt_cfg c = s1cfg(12, 24, 48); /* T0SZ 40 needs FEAT_TTST: ILLEGAL */
	cr_assert_eq(iom_pt_geometry(&c, &g, &err), -IOM_ERANGE);
	cr_assert(strstr(err.msg, "T0SZ 40"), "%s", err.msg);
	cr_assert(strstr(err.msg, "FEAT_TTST"), "%s", err.msg);
	c = s1cfg(16, 53, 48); /* T0SZ 11: below every granule's minimum */
	cr_assert_eq(iom_pt_geometry(&c, &g, &err), -IOM_ERANGE);
	c = s1cfg(14, 50, 48); /* legal with FEAT_LPA2, which is not modelled */
	cr_assert_eq(iom_pt_geometry(&c, &g, &err), -IOM_ENOTSUP);
	cr_assert(strstr(err.msg, "FEAT_LPA2"), "%s", err.msg);
	c = s1cfg(12, 48, 52);
	cr_assert_eq(iom_pt_geometry(&c, &g, &err), -IOM_ENOTSUP);
	c = s1cfg(16, 52, 52); /* 64 KB: 52-bit IA and OA are implemented */
	cr_assert_eq(iom_pt_geometry(&c, &g, &err), 0, "%s", err.msg);
	cr_assert_eq(g.lpa, 1);
	c = s1cfg(12, 48, 48);
	c.sl0 = 1; /* a stage-2 field */
	cr_assert_eq(iom_pt_geometry(&c, &g, &err), -IOM_EINVAL);
}

/* 16 KB, IA 48: 4 levels from L0.  iova 0x8765_4321_8000:
 * L0 = IA[47] = 1 (top hex digit 8 = 0b1000);
 * L1 = IA[46:36] = (iova >> 36) & 0x7ff = 0x876 & 0x7ff = 0x076;
 * L2 = IA[35:25] = (0x87_6543 >> 1) & 0x7ff = 0x43_b2a1 & 0x7ff = 0x2a1;
 * L3 = IA[24:14] = (iova & 0x1ff_ffff) >> 14 = 0x121_8000 >> 14 = 0x486.
 * Tables (16 KB each): 0x8000_0000, 0x8000_4000, 0x8000_8000, 0x8000_c000. */
Test(pgtable_granule, walk_16k_four_levels_reads_exact_descriptors)
{
	make(s1cfg(14, 48, 48));
	uint64_t iova = 0x876543218000ull, pa = 0x12345c000ull;
	map_ok(iova, pa, SZ_16K, SZ_16K, RW);
	struct iom_pt_walk w;
	do_walk(&w, iova + 0x3abc);
	cr_assert_eq(w.status, IOM_PT_OK);
	cr_assert_eq(w.nsteps, 4);
	check_step(&w, 0, PBASE + 8 * 0x1, 0, true);             /* 0x8000_0008 */
	check_step(&w, 1, PBASE + 0x4000 + 8 * 0x076, 1, true);  /* 0x8000_43b0 */
	check_step(&w, 2, PBASE + 0x8000 + 8 * 0x2a1, 2, true);  /* 0x8000_9508 */
	check_step(&w, 3, PBASE + 0xc000 + 8 * 0x486, 3, false); /* 0x8000_e430 */
	cr_assert_eq(w.steps[0].desc, (PBASE + 0x4000) | 3);
	cr_assert_eq(w.leaf_desc, XN_BITS | pa | 0x703);
	cr_assert_eq(w.oa, pa + 0x3abc);
	cr_assert_eq(w.page_size, SZ_16K);
	cr_assert_eq(w.perms, RW);
	cr_assert_eq(w.done_ps, NOW_PS + 4 * LAT_PS);
}

/* 16 KB, IA 25: one level-3 table of 2048 entries.  iova 0x1ab_c000:
 * L3 = IA[24:14] = 0x1ab_c000 >> 14 = 0x6af. */
Test(pgtable_granule, walk_16k_ia25_is_a_single_read)
{
	make(s1cfg(14, 25, 48));
	cr_assert_eq(iom_pt_geom(pt)->start_level, 3);
	map_ok(0x1abc000, 0x40000000, SZ_16K, SZ_16K, IOM_PTE_R);
	struct iom_pt_walk w;
	do_walk(&w, 0x1abc000 + 0x10);
	cr_assert_eq(w.status, IOM_PT_OK);
	cr_assert_eq(w.nsteps, 1);
	check_step(&w, 0, PBASE + 8 * 0x6af, 3, false); /* 0x8000_3578 */
	cr_assert_eq(w.oa, 0x40000010);
}

/* 64 KB, IA 48: 3 levels from L1 (64 entries).  iova 0x8765_4321_0000:
 * L1 = IA[47:42] = 0x87 >> 2 = 0x21;
 * L2 = IA[41:29] = (0x8_7654 >> 1) & 0x1fff = 0x4_3b2a & 0x1fff = 0x1b2a;
 * L3 = IA[28:16] = (iova & 0x1fff_ffff) >> 16 = 0x321_0000 >> 16 = 0x321.
 * Tables (64 KB each): 0x8000_0000, 0x8001_0000, 0x8002_0000. */
Test(pgtable_granule, walk_64k_three_levels_reads_exact_descriptors)
{
	make(s1cfg(16, 48, 48));
	uint64_t iova = 0x876543210000ull, pa = 0x123450000ull;
	map_ok(iova, pa, SZ_64K, SZ_64K, RW);
	struct iom_pt_walk w;
	do_walk(&w, iova + 0xfedc);
	cr_assert_eq(w.status, IOM_PT_OK);
	cr_assert_eq(w.nsteps, 3);
	check_step(&w, 0, PBASE + 8 * 0x21, 1, true);             /* 0x8000_0108 */
	check_step(&w, 1, PBASE + 0x10000 + 8 * 0x1b2a, 2, true); /* 0x8001_d950 */
	check_step(&w, 2, PBASE + 0x20000 + 8 * 0x321, 3, false); /* 0x8002_1908 */
	cr_assert_eq(w.leaf_desc, XN_BITS | pa | 0x703);
	cr_assert_eq(w.oa, pa + 0xfedc);
	cr_assert_eq(w.page_size, SZ_64K);
	cr_assert_eq(iom_pt_stats(pt)->tables_alloc, 3);
	cr_assert_eq(iom_palloc_used(pa_alloc), 3 * SZ_64K);
}

/* 64 KB, IA 42: 2 levels from L2 with 8192 entries.  iova 0x2bc_def3_0000:
 * L2 = IA[41:29] = 0x2bc_def3_0000 >> 29 = 0x15e6;
 * L3 = IA[28:16] = (iova & 0x1fff_ffff) >> 16 = 0x1ef3_0000 >> 16 = 0x1ef3. */
Test(pgtable_granule, walk_64k_ia42_starts_at_level_two)
{
	make(s1cfg(16, 42, 48));
	uint64_t iova = 0x2bcdef30000ull;
	map_ok(iova, 0x70000, SZ_64K, SZ_64K, IOM_PTE_R);
	struct iom_pt_walk w;
	do_walk(&w, iova);
	cr_assert_eq(w.status, IOM_PT_OK);
	cr_assert_eq(w.nsteps, 2);
	check_step(&w, 0, PBASE + 8 * 0x15e6, 2, true);            /* 0x8000_af30 */
	check_step(&w, 1, PBASE + 0x10000 + 8 * 0x1ef3, 3, false); /* 0x8001_f798 */
	cr_assert_eq(w.oa, 0x70000);
}

/* 16 KB, IA 47 (start L1): a 32 MB block at iova 0x7_4400_0000 (= 0x3a2 * 32 MB):
 * L1 = IA[46:36] = 0, L2 = IA[35:25] = 0x3a2. */
Test(pgtable_granule, block_16k_l2_ends_walk_after_two_reads)
{
	make(s1cfg(14, 47, 48));
	uint64_t iova = 0x744000000ull, pa = 0x30e000000ull; /* 0x187 * 32 MB */
	map_ok(iova, pa, SZ_32M, SZ_32M, RW);
	struct iom_pt_walk w;
	do_walk(&w, iova + 0x1234567);
	cr_assert_eq(w.status, IOM_PT_OK);
	cr_assert_eq(w.nsteps, 2);
	check_step(&w, 0, PBASE, 1, true);
	check_step(&w, 1, PBASE + 0x4000 + 8 * 0x3a2, 2, false); /* 0x8000_5d10 */
	cr_assert_eq(w.leaf_desc, XN_BITS | pa | 0x701);         /* block: bit[1] = 0 */
	cr_assert_eq(w.page_size, SZ_32M);
	cr_assert_eq(w.leaf_level, 2);
	cr_assert_eq(w.oa, pa + 0x1234567);
	/* A 64 GB level-1 block needs FEAT_LPA2: not a leaf size, and a handwritten
	 * one is a reserved encoding (translation fault at level 1). */
	cr_assert_eq(iom_pt_map(pt, 0x1000000000ull, 0, 1ull << 36, 1ull << 36, RW, &err),
	             -IOM_EINVAL);
	iom_mem_wr64(mem, PBASE + 8, 0x1000000000ull | 0x701); /* L1 index 1 */
	do_walk(&w, 0x1000000000ull);
	cr_assert_eq(w.status, IOM_PT_FAULT_TRANSLATION);
	cr_assert_eq(w.leaf_level, 1);
	cr_assert_eq(w.nsteps, 1);
}

/* 64 KB, IA 48: a 512 MB block at iova 0x8765_4000_0000 (L1 0x21, L2 0x1b2a as above). */
Test(pgtable_granule, block_64k_l2_ends_walk_after_two_reads)
{
	make(s1cfg(16, 48, 48));
	uint64_t iova = 0x876540000000ull, pa = 0x140000000ull; /* 10 * 512 MB */
	map_ok(iova, pa, SZ_512M, SZ_512M, IOM_PTE_R);
	struct iom_pt_walk w;
	do_walk(&w, iova + 0x1fedcba9);
	cr_assert_eq(w.status, IOM_PT_OK);
	cr_assert_eq(w.nsteps, 2);
	check_step(&w, 0, PBASE + 8 * 0x21, 1, true);
	check_step(&w, 1, PBASE + 0x10000 + 8 * 0x1b2a, 2, false);
	cr_assert_eq(w.page_size, SZ_512M);
	cr_assert_eq(w.oa, pa + 0x1fedcba9);
	/* Without a 52-bit PAMax there is no 4 TB level-1 block. */
	cr_assert_eq(iom_pt_map(pt, 0, 0, SZ_4T, SZ_4T, IOM_PTE_R, &err), -IOM_EINVAL);
	iom_mem_wr64(mem, PBASE + 8 * 2, 0x701); /* L1 index 2 as a block: reserved */
	do_walk(&w, 2 * SZ_4T);
	cr_assert_eq(w.status, IOM_PT_FAULT_TRANSLATION);
	cr_assert_eq(w.leaf_level, 1);
}

/* 64 KB, IA 52, OA 52 (FEAT_LVA + FEAT_LPA): a 4 TB block at L1 and a 64 KB
 * page with OA[51:48] in descriptor bits [15:12].
 * Block: iova 0xf_0400_0000_0000 -> L1 = IA[51:42] = 0x3c1; pa 0xa_8000_0000_0000
 *   -> [47:16] = 0x8000_0000_0000, [15:12] = 0xa -> 0x0060_8000_0000_a701.
 * Page: iova 0xf_0000_abcd_0000 -> L1 = 0xf << 6 = 0x3c0, L2 = 0xabcd_0000 >> 29 = 5,
 *   L3 = 0xbcd_0000 >> 16 = 0xbcd; pa 0xf_edcb_a987_0000 -> 0x0060_edcb_a987_f703. */
Test(pgtable_granule, lpa_64k_52bit_output_and_l1_block)
{
	make(s1cfg(16, 52, 52));
	uint64_t biova = 0xf040000000000ull, bpa = 0xa800000000000ull;
	map_ok(biova, bpa, SZ_4T, SZ_4T, RW);
	struct iom_pt_walk w;
	do_walk(&w, biova + 0x123456789abull);
	cr_assert_eq(w.status, IOM_PT_OK);
	cr_assert_eq(w.nsteps, 1);
	check_step(&w, 0, PBASE + 8 * 0x3c1, 1, false); /* 0x8000_1e08 */
	cr_assert_eq(w.leaf_desc, 0x006080000000a701ull);
	cr_assert_eq(w.page_size, SZ_4T);
	cr_assert_eq(w.oa, 0xa8123456789abull);

	uint64_t iova = 0xf0000abcd0000ull, pa = 0xfedcba9870000ull;
	map_ok(iova, pa, SZ_64K, SZ_64K, RW);
	do_walk(&w, iova + 0x4321);
	cr_assert_eq(w.status, IOM_PT_OK);
	cr_assert_eq(w.nsteps, 3);
	check_step(&w, 0, PBASE + 8 * 0x3c0, 1, true);
	check_step(&w, 1, PBASE + 0x10000 + 8 * 5, 2, true);
	check_step(&w, 2, PBASE + 0x20000 + 8 * 0xbcd, 3, false);
	cr_assert_eq(w.leaf_desc, 0x0060edcba987f703ull);
	cr_assert_eq(w.oa, pa + 0x4321);
	cr_assert_eq(iom_pt_lookup(pt, iova + 8, &pa, &(uint64_t){0}), 0);
	cr_assert_eq(pa, 0xfedcba9870008ull);

	/* A table address with [15:12] = 1 is 2^48: beyond the 48-bit memory, so
	 * the fetch of its L2 entry 5 aborts. */
	iom_mem_wr64(mem, PBASE + 8 * 0x3c0, 0x1003);
	do_walk(&w, iova);
	cr_assert_eq(w.status, IOM_PT_EXT_ABORT);
	cr_assert_eq(w.nsteps, 1);
	cr_assert_eq(w.leaf_desc_pa, (1ull << 48) + 8 * 5);
}

Test(pgtable_granule, output_beyond_oa_bits_is_address_size_fault)
{
	/* 64 KB with OA 48 on an implementation with PAMax 52: [15:12] still decode
	 * as OA[51:48], so [15:12] = 1 puts bit 48 in the OA -> address-size fault. */
	struct iom_pt_cfg c = s1cfg(16, 48, 48);
	c.pamax_bits = 52;
	make(c);
	uint64_t iova = 0x876543210000ull, pa = 0x123450000ull, d3 = PBASE + 0x20000 + 8 * 0x321;
	map_ok(iova, pa, SZ_64K, SZ_64K, RW);
	iom_mem_wr64(mem, d3, iom_mem_rd64(mem, d3) | 0x1000);
	struct iom_pt_walk w;
	do_walk(&w, iova);
	cr_assert_eq(w.status, IOM_PT_FAULT_ADDR_SIZE);
	cr_assert_eq(w.leaf_level, 3);
	cr_assert_eq(w.nsteps, 3);
	/* Same descriptor without FEAT_LPA (PAMax 48): [15:12] are RES0, ignored. */
	c.pamax_bits = 0;
	cr_assert_eq(iom_pt_walk(mem, &c, &w, &err), 0, "%s", err.msg);
	cr_assert_eq(w.status, IOM_PT_OK);
	cr_assert_eq(w.oa, pa);

	/* 16 KB with OA 40: an output address with bit 44 set. */
	make(s1cfg(14, 48, 40));
	uint64_t iova16 = 0x876543218000ull, d16 = PBASE + 0xc000 + 8 * 0x486;
	map_ok(iova16, 0x12345c000ull, SZ_16K, SZ_16K, RW);
	iom_mem_wr64(mem, d16, iom_mem_rd64(mem, d16) | (1ull << 44));
	do_walk(&w, iova16);
	cr_assert_eq(w.status, IOM_PT_FAULT_ADDR_SIZE);
	cr_assert_eq(w.leaf_level, 3);
	cr_assert_eq(iom_pt_map(pt, 0, 1ull << 40, SZ_16K, SZ_16K, RW, &err), -IOM_ERANGE);
}

/* TTB1, 4 KB, IA 39 (T1SZ 25): the region is [0xffff_ff80_0000_0000, 2^64).
 * VA 0xffff_ffc0_0020_3000 -> offset 0x40_0020_3000: L1 = [38:30] = 0x100,
 * L2 = [29:21] = 1, L3 = [20:12] = 0x203 & 0x1ff = 3. */
Test(pgtable_granule, ttb1_region_walks_upper_addresses)
{
	struct iom_pt_cfg c = s1cfg(12, 39, 48);
	c.ttb1 = 1;
	make(c);
	uint64_t va = 0xffffffc000203000ull;
	map_ok(va, 0x5000, SZ_4K, SZ_4K, RW);
	struct iom_pt_walk w;
	do_walk(&w, va + 0x7f);
	cr_assert_eq(w.status, IOM_PT_OK);
	cr_assert_eq(w.nsteps, 3);
	check_step(&w, 0, PBASE + 8 * 0x100, 1, true);
	check_step(&w, 1, PBASE + 0x1000 + 8 * 1, 2, true);
	check_step(&w, 2, PBASE + 0x2000 + 8 * 3, 3, false);
	cr_assert_eq(w.oa, 0x507f);
	uint64_t pa, sz;
	cr_assert_eq(iom_pt_lookup(pt, va, &pa, &sz), 0);
	cr_assert_eq(pa, 0x5000);
	/* The top page of the address space: the range ends exactly at 2^64. */
	map_ok(0xfffffffffffff000ull, 0x6000, SZ_4K, SZ_4K, IOM_PTE_R);
	do_walk(&w, 0xffffffffffffffffull);
	cr_assert_eq(w.status, IOM_PT_OK);
	cr_assert_eq(w.oa, 0x6fff);
	/* Bit 39 clear, or a TTB0 address: outside the region, no read. */
	do_walk(&w, 0xffffff0000203000ull);
	cr_assert_eq(w.status, IOM_PT_FAULT_TRANSLATION);
	cr_assert_eq(w.nsteps, 0);
	do_walk(&w, 0x203000);
	cr_assert_eq(w.status, IOM_PT_FAULT_TRANSLATION);
	cr_assert_eq(w.nsteps, 0);
	cr_assert_eq(iom_pt_map(pt, 0x203000, 0x5000, SZ_4K, SZ_4K, RW, &err), -IOM_ERANGE);
	cr_assert(strstr(err.msg, "TTB1"), "%s", err.msg);
	uint64_t un;
	cr_assert_eq(iom_pt_unmap(pt, va, SZ_4K, &un, &err), 0, "%s", err.msg);
	cr_assert_eq(un, SZ_4K);
	/* Its L3 and L2 tables were freed; L1 entry 0x100 is empty again. */
	do_walk(&w, va);
	cr_assert_eq(w.status, IOM_PT_FAULT_TRANSLATION);
	cr_assert_eq(w.leaf_level, 1);
}

static uint64_t leaf4k(uint64_t iova)
{
	/* 4 KB, IA 48, every test mapping below 2 MB * 512: L0 = L1 = 0, so the L3
	 * table of the first 2 MB is the 4th table, 0x8000_3000. */
	return iom_mem_rd64(mem, PBASE + 0x3000 + 8 * ((iova >> 12) & 0x1ff));
}

/* Contiguous hint, 4 KB granule: 16 entries (64 KB at L3). */
Test(pgtable_granule, contiguous_hint_on_aligned_runs_only)
{
	make(s1cfg(12, 48, 48));
	/* 16 pages at 0x1_0000 -> 0x50_0000: one aligned run, every leaf gets bit 52. */
	map_ok(0x10000, 0x500000, SZ_64K, SZ_4K, RW | IOM_PTE_CONT);
	for (uint64_t i = 0; i < 16; i++)
		cr_assert_eq(leaf4k(0x10000 + i * SZ_4K),
		             CONT | XN_BITS | (0x500000 + i * SZ_4K) | 0x703, "page %llu",
		             (unsigned long long)i);
	struct iom_pt_walk w;
	do_walk(&w, 0x1a123);
	cr_assert_eq(w.status, IOM_PT_OK);
	cr_assert_eq(w.cont_size, SZ_64K);
	cr_assert_eq(w.page_size, SZ_4K);
	cr_assert_eq(w.perms, RW | IOM_PTE_CONT);
	cr_assert_eq(w.oa, 0x50a123);
	/* IA not 64 KB aligned: no hint. */
	map_ok(0x31000, 0x531000, SZ_64K, SZ_4K, RW | IOM_PTE_CONT);
	for (uint64_t i = 0; i < 16; i++)
		cr_assert_eq(leaf4k(0x31000 + i * SZ_4K) & CONT, 0);
	/* IA aligned but OA not congruent: no hint. */
	map_ok(0x50000, 0x601000, SZ_64K, SZ_4K, RW | IOM_PTE_CONT);
	cr_assert_eq(leaf4k(0x50000) & CONT, 0);
	do_walk(&w, 0x50000);
	cr_assert_eq(w.cont_size, 0);
	/* 20 pages from an aligned start: the first 16 form a run, the last 4 do not. */
	map_ok(0x80000, 0x680000, 20 * SZ_4K, SZ_4K, RW | IOM_PTE_CONT);
	cr_assert_eq(leaf4k(0x8f000) & CONT, CONT);
	cr_assert_eq(leaf4k(0x90000) & CONT, 0);
	cr_assert_eq(leaf4k(0x93000) & CONT, 0);
}

Test(pgtable_granule, partial_unmap_breaks_a_contiguous_run)
{
	make(s1cfg(12, 48, 48));
	map_ok(0x10000, 0x500000, SZ_64K, SZ_4K, RW | IOM_PTE_CONT);
	uint64_t writes = iom_pt_stats(pt)->desc_writes, un;
	cr_assert_eq(iom_pt_unmap(pt, 0x13000, SZ_4K, &un, &err), 0, "%s", err.msg);
	cr_assert_eq(un, SZ_4K);
	/* One write clears the leaf, 15 clear the hint on the rest of the run. */
	cr_assert_eq(iom_pt_stats(pt)->desc_writes, writes + 16);
	cr_assert_eq(leaf4k(0x13000), 0);
	for (uint64_t i = 0; i < 16; i++)
		if (i != 3)
			cr_assert_eq(leaf4k(0x10000 + i * SZ_4K),
			             XN_BITS | (0x500000 + i * SZ_4K) | 0x703, "page %llu",
			             (unsigned long long)i);
	/* Unmapping a whole run needs no hint clearing: 16 leaf writes only. */
	map_ok(0x20000, 0x520000, SZ_64K, SZ_4K, RW | IOM_PTE_CONT);
	writes = iom_pt_stats(pt)->desc_writes;
	cr_assert_eq(iom_pt_unmap(pt, 0x20000, SZ_64K, &un, &err), 0, "%s", err.msg);
	cr_assert_eq(iom_pt_stats(pt)->desc_writes, writes + 16);
}

Test(pgtable_granule, contiguous_spans_of_16k_and_64k)
{
	struct iom_pt_walk w;
	/* 64 KB granule, L3: 32 entries = 2 MB. */
	make(s1cfg(16, 48, 48));
	map_ok(0x200000, 0x40000000, SZ_2M, SZ_64K, RW | IOM_PTE_CONT);
	do_walk(&w, 0x3f0000);
	cr_assert_eq(w.cont_size, SZ_2M);
	cr_assert_eq(w.leaf_desc & CONT, CONT);
	/* 16 KB granule, L3: 128 entries = 2 MB; L2: 32 blocks of 32 MB = 1 GB. */
	make(s1cfg(14, 48, 48));
	map_ok(0x200000, 0x40000000, SZ_2M, SZ_16K, RW | IOM_PTE_CONT);
	do_walk(&w, 0x3fc000);
	cr_assert_eq(w.cont_size, SZ_2M);
	map_ok(SZ_1G, 2 * SZ_1G, SZ_1G, SZ_32M, RW | IOM_PTE_CONT);
	do_walk(&w, SZ_1G + 5 * SZ_32M);
	cr_assert_eq(w.page_size, SZ_32M);
	cr_assert_eq(w.cont_size, SZ_1G);
	cr_assert_eq(w.oa, 2 * SZ_1G + 5 * SZ_32M);
}

Test(pgtable_granule, unmap_frees_tables_of_every_granule)
{
	static const uint8_t gs[] = {12, 14, 16};
	for (size_t i = 0; i < IOM_ARRAY_SIZE(gs); i++) {
		make(s1cfg(gs[i], 48, 48));
		uint64_t g = 1ull << gs[i], un;
		map_ok(0x876540000000ull, 0x40000000, 4 * g, g, RW);
		cr_assert_eq(iom_pt_unmap(pt, 0x876540000000ull, 4 * g, &un, &err), 0, "%s",
		             err.msg);
		cr_assert_eq(un, 4 * g);
		const struct iom_pt_stats *s = iom_pt_stats(pt);
		cr_assert_eq(s->tables_freed, s->tables_alloc - 1, "granule %u", gs[i]);
		cr_assert_eq(iom_palloc_used(pa_alloc), g, "granule %u", gs[i]); /* the root */
	}
}
