/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_pgtable_s2.c - VMSAv8-64 stage 2 (models/pgtable): the start level
 * from S2SL0 and the granule, concatenated start tables, the ILLEGAL
 * S2T0SZ/S2SL0 combinations (-IOM_ERANGE, which an SMMU reports as
 * C_BAD_STE), blocks, and the S2AP/XN decode.  Expected values are worked by
 * hand from Arm DDI0487 D8.2 (AArch64.S2InvalidSL / S2InconsistentSL), D8.3
 * and SMMUv3 IHI0070 5.2 (STE.S2T0SZ, S2SL0); reference section 1.5.
 *
 * Fixture as in test_pgtable_granules.c: 2^48 bytes of memory, 50 ns DRAM,
 * buddy allocator over [0x8000_0000, +16 MB), lowest block first.
 *
 * Stage-2 leaf bits: valid 0x1, page 0x2, MemAttr 0b1111 << 2 = 0x3c, S2AP[0]
 * (read) 0x40, S2AP[1] (write) 0x80, SH 0x300, AF 0x400; XN[1:0] at [54:53],
 * XN = 0b10 (no execution) = 0x0040_0000_0000_0000.  So an R|W page is 0x7ff,
 * an R page 0x77f, a W page 0x7bf, an R|W block 0x7fd.
 */
#include "pgtable-test.h"

#define XN2    0x0040000000000000ull /* XN = 0b10 */
#define XN1    0x0020000000000000ull /* XN = 0b01 */
#define RW     (IOM_PTE_R | IOM_PTE_W)

static struct iom_pt_cfg s2cfg(unsigned g, unsigned sl0, unsigned ia, unsigned oa)
{
	return (struct iom_pt_cfg){.fmt = IOM_PT_VMSA64_S2,
	                           .granule_shift = (uint8_t)g,
	                           .ia_bits = (uint8_t)ia,
	                           .oa_bits = (uint8_t)oa,
	                           .sl0 = (uint8_t)sl0};
}

TestSuite(pgtable_s2, .init = pt_fixture_init, .fini = pt_fixture_fini);

/* Start level: 4 KB 2 - SL0; 16/64 KB 3 - SL0.  top = IA - shift(start) with
 * shift(L) = g + s(3 - L); concat = 2^(top - s) when top > s.  Legal IA range
 * for n = 3 - start levels below: [n*s + g + 1, n*s + g + s + 4]. */
Test(pgtable_s2, start_level_from_sl0_and_concatenation)
{
	static const struct {
		uint8_t g, sl0, ia, pamax, start, levels, top, concat;
	} cases[] = {
	    /* 4 KB, s = 9 */
	    {12, 0, 30, 48, 2, 2, 9, 1},   /* L2: IA 22..34; 30 - 21 */
	    {12, 0, 34, 48, 2, 2, 13, 16}, /* 16 concatenated tables */
	    {12, 0, 25, 48, 2, 2, 4, 1},
	    {12, 1, 40, 48, 1, 3, 10, 2}, /* L1: IA 31..43; S2T0SZ 24 -> 2 tables */
	    {12, 1, 43, 48, 1, 3, 13, 16},
	    {12, 1, 31, 48, 1, 3, 1, 1},
	    {12, 2, 48, 48, 0, 4, 9, 1}, /* L0: IA 40..52, PAMax >= 44 */
	    {12, 2, 40, 44, 0, 4, 1, 1},
	    /* 16 KB, s = 11 */
	    {14, 0, 25, 48, 3, 1, 11, 1}, /* L3: IA 15..29 */
	    {14, 0, 29, 48, 3, 1, 15, 16},
	    {14, 1, 36, 48, 2, 2, 11, 1}, /* L2: IA 26..40 */
	    {14, 1, 40, 48, 2, 2, 15, 16},
	    {14, 1, 26, 48, 2, 2, 1, 1},
	    {14, 2, 48, 48, 1, 3, 12, 2}, /* L1: IA 37..51, PAMax >= 42 */
	    {14, 2, 42, 42, 1, 3, 6, 1},
	    /* 64 KB, s = 13 */
	    {16, 0, 25, 48, 3, 1, 9, 1}, /* L3: IA 17..33 */
	    {16, 0, 33, 48, 3, 1, 17, 16},
	    {16, 1, 42, 48, 2, 2, 13, 1}, /* L2: IA 30..46 */
	    {16, 1, 46, 48, 2, 2, 17, 16},
	    {16, 1, 30, 48, 2, 2, 1, 1},
	    {16, 2, 48, 48, 1, 3, 6, 1}, /* L1: IA 43..59, PAMax >= 44 */
	    {16, 2, 52, 52, 1, 3, 10, 1},
	};
	for (size_t i = 0; i < IOM_ARRAY_SIZE(cases); i++) {
		struct iom_pt_cfg c = s2cfg(cases[i].g, cases[i].sl0, cases[i].ia, cases[i].pamax);
		struct iom_pt_geom g;
		cr_assert_eq(iom_pt_geometry(&c, &g, &err), 0, "case %zu: %s", i, err.msg);
		cr_assert_eq(g.start_level, cases[i].start, "case %zu start %u", i, g.start_level);
		cr_assert_eq(g.levels, cases[i].levels, "case %zu levels", i);
		cr_assert_eq(g.top_bits, cases[i].top, "case %zu top %u", i, g.top_bits);
		cr_assert_eq(g.concat, cases[i].concat, "case %zu concat %u", i, g.concat);
	}
}

Test(pgtable_s2, illegal_s2t0sz_sl0_combinations_are_erange)
{
	static const struct {
		uint8_t g, sl0, ia, oa, pamax;
		int rc;
		const char *msg;
	} cases[] = {
	    {12, 0, 40, 48, 0, -IOM_ERANGE, "S2T0SZ 24 (IA 40 bits) inconsistent with S2SL0 0"},
	    {12, 1, 30, 48, 0, -IOM_ERANGE, "takes IA 31..43 bits"},      /* too small for L1 */
	    {14, 2, 36, 48, 0, -IOM_ERANGE, "inconsistent with S2SL0 2"}, /* L1 needs >= 37 */
	    {16, 1, 47, 48, 0, -IOM_ERANGE, "takes IA 30..46 bits"},      /* 17 bits at L2 */
	    {12, 3, 25, 48, 0, -IOM_ERANGE, "FEAT_TTST"},
	    {14, 3, 48, 48, 0, -IOM_ERANGE, "S2DS"},
	    {16, 3, 48, 48, 0, -IOM_ERANGE, "reserved"},
	    {12, 2, 40, 40, 0, -IOM_ERANGE, "40-bit PAMax (needs >= 44)"},
	    {14, 2, 40, 40, 0, -IOM_ERANGE, "needs >= 42"},
	    {16, 2, 43, 43, 0, -IOM_ERANGE, "needs >= 44"},
	    {12, 1, 42, 40, 0, -IOM_ERANGE, "64 - IAS = 24"}, /* IPA wider than PAMax */
	    {12, 4, 40, 48, 0, -IOM_EINVAL, "not a 2-bit S2SL0"},
	    /* PAMax from the implementation, not S2PS: legal with a 40-bit S2PS. */
	    {14, 2, 40, 40, 42, 0, NULL},
	    {12, 2, 44, 40, 48, 0, NULL},
	};
	for (size_t i = 0; i < IOM_ARRAY_SIZE(cases); i++) {
		struct iom_pt_cfg c = s2cfg(cases[i].g, cases[i].sl0, cases[i].ia, cases[i].oa);
		c.pamax_bits = cases[i].pamax;
		struct iom_pt_geom g;
		memset(&err, 0, sizeof(err));
		cr_assert_eq(iom_pt_geometry(&c, &g, &err), cases[i].rc, "case %zu: %s", i,
		             err.msg);
		if (cases[i].msg)
			cr_assert(strstr(err.msg, cases[i].msg), "case %zu: %s", i, err.msg);
	}
	struct iom_pt_cfg c = s2cfg(12, 1, 40, 48);
	c.ttb1 = 1;
	cr_assert_null(iom_pt_create(mem, &c, &alloc, &err));
	cr_assert_eq(err.code, IOM_EINVAL);
	cr_assert_eq(iom_palloc_used(pa_alloc), 0);
}

/* 4 KB, S2T0SZ = 24 (IA 40), SL0 = 1: start at L1 with 2^(40 - 30) = 1024
 * entries = 2 concatenated tables, one 8 KB region at 0x8000_0000.
 * IPA 0xa5_4321_0000: L1 = IPA[39:30] = (0xa5 << 2) | (0x4321_0000 >> 30) = 0x295
 * (>= 512: the second table, 0x8000_1000, entry 0x95);
 * L2 = IPA[29:21] = 0x4321_0000 >> 21 = 0x219, & 0x1ff = 0x19;
 * L3 = IPA[20:12] = 0x4_3210 & 0x1ff = 0x10.
 * Next tables: 0x8000_2000 (L2), 0x8000_3000 (L3). */
Test(pgtable_s2, concatenated_start_tables_4k)
{
	make(s2cfg(12, 1, 40, 40));
	cr_assert_eq(iom_pt_root(pt), PBASE);
	cr_assert_eq(iom_palloc_used(pa_alloc), 0x2000); /* both start tables */
	uint64_t ipa = 0xa543210000ull, pa = 0x1234567000ull;
	map_ok(ipa, pa, 0x1000, 0x1000, RW);
	struct iom_pt_walk w;
	do_walk(&w, ipa + 0x123);
	cr_assert_eq(w.status, IOM_PT_OK);
	cr_assert_eq(w.nsteps, 3);
	check_step(&w, 0, PBASE + 8 * 0x295, 1, true); /* 0x8000_14a8 */
	check_step(&w, 1, PBASE + 0x2000 + 8 * 0x19, 2, true);
	check_step(&w, 2, PBASE + 0x3000 + 8 * 0x10, 3, false);
	cr_assert_eq(w.steps[0].desc_pa, PBASE + 0x1000 + 8 * 0x95);
	cr_assert_eq(w.leaf_desc, XN2 | pa | 0x7ff);
	cr_assert_eq(w.oa, pa + 0x123);
	cr_assert_eq(w.perms, RW);
	cr_assert_eq(w.pxn, 1);
	/* An IPA in the first table: L1 index 0x10_0000_0000 >> 30 = 0x40, empty. */
	do_walk(&w, 0x1000000000ull);
	cr_assert_eq(w.status, IOM_PT_FAULT_TRANSLATION);
	cr_assert_eq(w.leaf_desc_pa, PBASE + 8 * 0x40);
	/* 2^40 is beyond S2T0SZ: no read. */
	do_walk(&w, 1ull << 40);
	cr_assert_eq(w.status, IOM_PT_FAULT_TRANSLATION);
	cr_assert_eq(w.nsteps, 0);
	cr_assert_eq(iom_pt_stats(pt)->tables_alloc, 3);
	cr_assert_eq(iom_palloc_used(pa_alloc), 0x4000);
	uint64_t un;
	cr_assert_eq(iom_pt_unmap(pt, ipa, 0x1000, &un, &err), 0, "%s", err.msg);
	cr_assert_eq(iom_palloc_used(pa_alloc), 0x2000); /* the concatenated root stays */
	iom_pt_destroy(pt);
	pt = NULL;
	cr_assert_eq(iom_palloc_used(pa_alloc), 0);
	cr_assert_eq(iom_palloc_bad_frees(pa_alloc), 0); /* the root freed with its size */
}

/* 16 KB, S2T0SZ = 24 (IA 40), SL0 = 1: start at L2, top = 40 - 25 = 15 bits =
 * 16 tables of 2048 entries, one 256 KB region.  IPA 0xf0_1234_4000:
 * L2 = IPA[39:25] = 0x7809 -> table 15 (0x8003_c000), entry 9 -> 0x8003_c048;
 * L3 = IPA[24:14] = 0xd1, L3 table = first 16 KB after the root = 0x8004_0000. */
Test(pgtable_s2, sixteen_concatenated_16k_tables)
{
	make(s2cfg(14, 1, 40, 40));
	cr_assert_eq(iom_pt_geom(pt)->concat, 16);
	cr_assert_eq(iom_palloc_used(pa_alloc), 0x40000);
	uint64_t ipa = 0xf012344000ull, pa = 0x5555554000ull;
	map_ok(ipa, pa, 0x4000, 0x4000, IOM_PTE_R);
	struct iom_pt_walk w;
	do_walk(&w, ipa + 0x3ff);
	cr_assert_eq(w.status, IOM_PT_OK);
	cr_assert_eq(w.nsteps, 2);
	check_step(&w, 0, 0x8003c048ull, 2, true);
	check_step(&w, 1, 0x80040000ull + 8 * 0xd1, 3, false);
	cr_assert_eq(w.leaf_desc, XN2 | pa | 0x77f);
	cr_assert_eq(w.oa, pa + 0x3ff);
	cr_assert_eq(w.perms, IOM_PTE_R);
}

Test(pgtable_s2, blocks_end_walks_at_each_allowed_level)
{
	struct iom_pt_walk w;
	/* 4 KB, IA 40, SL0 1: a 1 GB block at IPA 0xc0_4000_0000, L1 index 0x301
	 * (second table); executable: XN = 00 -> 0x7fd. */
	make(s2cfg(12, 1, 40, 40));
	map_ok(0xc040000000ull, 0x4000000000ull, 1ull << 30, 1ull << 30, RW | IOM_PTE_X);
	do_walk(&w, 0xc040000000ull + 0x12345678);
	cr_assert_eq(w.status, IOM_PT_OK);
	cr_assert_eq(w.nsteps, 1);
	check_step(&w, 0, PBASE + 8 * 0x301, 1, false); /* 0x8000_1808 */
	cr_assert_eq(w.leaf_desc, 0x4000000000ull | 0x7fd);
	cr_assert_eq(w.perms, RW | IOM_PTE_X);
	cr_assert_eq(w.pxn, 0);
	cr_assert_eq(w.page_size, 1ull << 30);
	cr_assert_eq(w.oa, 0x4012345678ull);
	/* 4 KB, IA 30, SL0 0: a 2 MB block at IPA 0x3fe0_0000, L2 index 0x1ff. */
	make(s2cfg(12, 0, 30, 40));
	map_ok(0x3fe00000, 0x200000, 1ull << 21, 1ull << 21, RW);
	do_walk(&w, 0x3fe00000 + 0x1234);
	cr_assert_eq(w.nsteps, 1);
	check_step(&w, 0, PBASE + 8 * 0x1ff, 2, false);
	cr_assert_eq(w.oa, 0x201234);
	/* 16 KB, IA 36, SL0 1: a 32 MB block at IPA 0x2_0000_0000, L2 index 0x100. */
	make(s2cfg(14, 1, 36, 40));
	map_ok(0x200000000ull, 0x6000000, 1ull << 25, 1ull << 25, RW);
	do_walk(&w, 0x200000000ull);
	cr_assert_eq(w.nsteps, 1);
	check_step(&w, 0, PBASE + 8 * 0x100, 2, false);
	cr_assert_eq(w.page_size, 1ull << 25);
	/* 64 KB, IA 42, SL0 1: a 512 MB block at IPA 0x3_e000_0000, L2 index 0x1f. */
	make(s2cfg(16, 1, 42, 42)); /* IA <= PAMax */
	map_ok(0x3e0000000ull, 0x20000000, 1ull << 29, 1ull << 29, RW);
	do_walk(&w, 0x3e0000000ull + 0xabcdef);
	cr_assert_eq(w.nsteps, 1);
	check_step(&w, 0, PBASE + 8 * 0x1f, 2, false);
	cr_assert_eq(w.oa, 0x20abcdefull);
	/* 64 KB, IA 52, SL0 2, PA 52: a 4 TB block at IPA 2^51, L1 index 2^51 >> 42 =
	 * 0x200; PA 0xc_0000_0000_0000 -> [15:12] = 0xc. */
	make(s2cfg(16, 2, 52, 52));
	map_ok(1ull << 51, 0xc000000000000ull, 1ull << 42, 1ull << 42, RW);
	do_walk(&w, (1ull << 51) + 0x55);
	cr_assert_eq(w.status, IOM_PT_OK);
	cr_assert_eq(w.nsteps, 1);
	check_step(&w, 0, PBASE + 8 * 0x200, 1, false);
	cr_assert_eq(w.leaf_desc, XN2 | 0xc000 | 0x7fd);
	cr_assert_eq(w.oa, 0xc000000000055ull);
	/* 4 KB: no level-0 block; 16 KB: no level-1 block. */
	make(s2cfg(12, 2, 48, 48));
	cr_assert_eq(iom_pt_map(pt, 0, 0, 1ull << 39, 1ull << 39, RW, &err), -IOM_EINVAL);
	iom_mem_wr64(mem, PBASE, 0x701);
	do_walk(&w, 0);
	cr_assert_eq(w.status, IOM_PT_FAULT_TRANSLATION);
	cr_assert_eq(w.leaf_level, 0);
}

/* 4 KB, IA 30, SL0 0: root 0x8000_0000 (L2), L3 table 0x8000_1000; page at
 * IPA (i + 1) * 4 KB is L3 entry i + 1. */
Test(pgtable_s2, s2ap_and_xn_decode)
{
	make(s2cfg(12, 0, 30, 40));
	static const struct {
		uint32_t flags;
		uint64_t low, xn;
		uint32_t perms;
		uint8_t pxn;
	} cases[] = {
	    {IOM_PTE_R, 0x77f, XN2, IOM_PTE_R, 1},
	    {IOM_PTE_W, 0x7bf, XN2, IOM_PTE_W, 1},
	    {RW | IOM_PTE_X, 0x7ff, 0, RW | IOM_PTE_X, 0},
	    {IOM_PTE_R | IOM_PTE_USER | IOM_PTE_NG, 0x77f, XN2, IOM_PTE_R, 1}, /* S1-only flags */
	    /* writable-clean: S2AP[1] = 0 with DBM (bit 51) */
	    {RW | IOM_PTE_DBM | IOM_PTE_CLEAN, 0x77f | (1ull << 51), XN2, IOM_PTE_R | IOM_PTE_DBM,
	     1},
	    {IOM_PTE_R | IOM_PTE_NOAF, 0x37f, XN2, IOM_PTE_R, 1},
	};
	struct iom_pt_walk w;
	for (size_t i = 0; i < IOM_ARRAY_SIZE(cases); i++) {
		uint64_t ipa = (i + 1) * 0x1000, pa = 0x100000 + i * 0x1000;
		map_ok(ipa, pa, 0x1000, 0x1000, cases[i].flags);
		cr_assert_eq(iom_mem_rd64(mem, PBASE + 0x1000 + 8 * (i + 1)),
		             cases[i].xn | pa | cases[i].low, "case %zu", i);
		do_walk(&w, ipa);
		cr_assert_eq(w.status, IOM_PT_OK);
		cr_assert_eq(w.perms, cases[i].perms, "case %zu perms 0x%x", i, w.perms);
		cr_assert_eq(w.pxn, cases[i].pxn, "case %zu pxn", i);
		cr_assert_eq(w.af, !(cases[i].flags & IOM_PTE_NOAF), "case %zu af", i);
	}
	/* XN = 01: executable at EL0 only; XN = 11: at EL1 only (FEAT_XNX). */
	uint64_t d = PBASE + 0x1000 + 8;
	iom_mem_wr64(mem, d, (iom_mem_rd64(mem, d) & ~XN2) | XN1);
	do_walk(&w, 0x1000);
	cr_assert_eq(w.perms, IOM_PTE_R | IOM_PTE_X);
	cr_assert_eq(w.pxn, 1);
	iom_mem_wr64(mem, d, iom_mem_rd64(mem, d) | XN1 | XN2);
	do_walk(&w, 0x1000);
	cr_assert_eq(w.perms, IOM_PTE_R);
	cr_assert_eq(w.pxn, 0);
	/* Stage-2 table descriptors have no APTable/XNTable: bits [62:59] change nothing. */
	iom_mem_wr64(mem, PBASE, iom_mem_rd64(mem, PBASE) | (0xfull << 59));
	do_walk(&w, 0x3000);
	cr_assert_eq(w.status, IOM_PT_OK);
	cr_assert_eq(w.perms, RW | IOM_PTE_X);
}
