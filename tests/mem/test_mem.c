/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_mem.c - sparse physical memory: byte order, page crossing, sparseness,
 * address-space limit, timed latency, requester counters, stats.
 * Expected values are derived in the comments from mem.h's contract.
 */
#include "config.h"
#include "mem.h"
#include "stats.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static struct iom_mem_cfg mem_cfg(uint32_t bits, double ratio)
{
	struct iom_mem_cfg c = { .addr_bits = bits, .dram_latency_ps = 80000,
				 .llc_latency_ps = 20000, .llc_hit_ratio = ratio, .seed = 1 };
	return c;
}

static struct iom_mem *mk(uint32_t bits, double ratio)
{
	struct iom_mem_cfg c = mem_cfg(bits, ratio);
	struct iom_err e = { 0 };
	struct iom_mem *m = iom_mem_create(&c, &e);
	cr_assert_not_null(m, "create: %s", e.msg);
	return m;
}

Test(mem, fixed_width_values_round_trip)
{
	struct iom_mem *m = mk(48, 0);
	iom_mem_wr8(m, 0x1000, 0xa5);
	iom_mem_wr16(m, 0x2002, 0xbeef);
	iom_mem_wr32(m, 0x3004, 0xdeadbeefu);
	iom_mem_wr64(m, 0x4008, 0x0123456789abcdefull);
	cr_assert_eq(iom_mem_rd8(m, 0x1000), 0xa5);
	cr_assert_eq(iom_mem_rd16(m, 0x2002), 0xbeef);
	cr_assert_eq(iom_mem_rd32(m, 0x3004), 0xdeadbeefu);
	cr_assert_eq(iom_mem_rd64(m, 0x4008), 0x0123456789abcdefull);
	/* The byte after each value was never written: zero. */
	cr_assert_eq(iom_mem_rd8(m, 0x1001), 0);
	cr_assert_eq(iom_mem_rd8(m, 0x4010), 0);
	iom_mem_destroy(m);
}

Test(mem, multi_byte_values_are_little_endian)
{
	struct iom_mem *m = mk(48, 0);
	/* Little-endian: least significant byte at the lowest address. */
	iom_mem_wr32(m, 0x1000, 0x11223344u);
	cr_assert_eq(iom_mem_rd8(m, 0x1000), 0x44);
	cr_assert_eq(iom_mem_rd8(m, 0x1001), 0x33);
	cr_assert_eq(iom_mem_rd8(m, 0x1003), 0x11);
	/* bytes 0x1001..0x1002 are 0x33, 0x22 -> 16-bit value 0x2233 */
	cr_assert_eq(iom_mem_rd16(m, 0x1001), 0x2233);
	uint8_t b[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	cr_assert_eq(iom_mem_write(m, 0x2000, b, 8, NULL), 0);
	cr_assert_eq(iom_mem_rd64(m, 0x2000), 0x0807060504030201ull);
	iom_mem_destroy(m);
}

Test(mem, block_access_crosses_page_boundaries)
{
	struct iom_mem *m = mk(48, 0);
	uint8_t in[6000], out[6000];
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + 3);
	/* [0x1ff0, 0x1ff0 + 6000 = 0x3760) spans pages 1, 2 and 3. */
	cr_assert_eq(iom_mem_write(m, 0x1ff0, in, sizeof(in), NULL), 0);
	cr_assert_eq(iom_mem_pages(m), 3);
	memset(out, 0xff, sizeof(out));
	cr_assert_eq(iom_mem_read(m, 0x1ff0, out, sizeof(out), NULL), 0);
	cr_assert_arr_eq(out, in, sizeof(in));
	/* A 64-bit value straddling 0x2000: bytes in[12..19] start at 0x1ffc. */
	uint64_t want = 0;
	for (int i = 7; i >= 0; i--)
		want = want << 8 | in[12 + i];
	cr_assert_eq(iom_mem_rd64(m, 0x1ffc), want);
	iom_mem_wr64(m, 0x5ffc, 0x8877665544332211ull); /* pages 5 and 6: 2 more */
	cr_assert_eq(iom_mem_pages(m), 5);
	cr_assert_eq(iom_mem_rd32(m, 0x6000), 0x88776655u);
	iom_mem_destroy(m);
}

Test(mem, untouched_reads_are_zero_and_allocate_nothing)
{
	struct iom_mem *m = mk(48, 0);
	size_t chunk = 1u << 20;
	uint8_t *buf = malloc(chunk);
	cr_assert_not_null(buf);
	/* 1 GB in 1 MB reads; every byte must come back 0, no page allocated. */
	for (uint64_t pa = 0x40000000; pa < 0x80000000; pa += chunk) {
		memset(buf, 0xee, chunk);
		cr_assert_eq(iom_mem_read(m, pa, buf, chunk, NULL), 0);
		cr_assert_eq(buf[0] | buf[chunk / 2] | buf[chunk - 1], 0);
	}
	cr_assert_eq(iom_mem_pages(m), 0);
	free(buf);
	/* 3 one-byte writes in 3 distinct pages -> exactly 3 pages;
	 * a 4th in one of those pages adds none. */
	iom_mem_wr8(m, 0x0, 1);
	iom_mem_wr8(m, 0x123456789000ull, 2);
	iom_mem_wr8(m, 0x7fff, 3);
	cr_assert_eq(iom_mem_pages(m), 3);
	iom_mem_wr8(m, 0x7000, 4);
	cr_assert_eq(iom_mem_pages(m), 3);
	cr_assert_eq(iom_mem_rd8(m, 0x123456789000ull), 2);
	iom_mem_destroy(m);
}

Test(mem, many_pages_survive_table_growth)
{
	struct iom_mem *m = mk(48, 0);
	/* 5000 pages forces several doublings of the 1024-slot hash table
	 * (grown at 70% load: 717, 1434, 2867, 5734 pages). */
	for (uint64_t i = 0; i < 5000; i++)
		iom_mem_wr64(m, i * 0x10000 + 8, i ^ 0x5555);
	cr_assert_eq(iom_mem_pages(m), 5000);
	for (uint64_t i = 0; i < 5000; i++)
		cr_assert_eq(iom_mem_rd64(m, i * 0x10000 + 8), i ^ 0x5555, "page %lu", (unsigned long)i);
	iom_mem_destroy(m);
}

Test(mem, access_beyond_52_bits_is_erange_with_address)
{
	struct iom_mem *m = mk(52, 0);
	struct iom_err e = { 0 };
	uint8_t b[8] = { 0 };
	uint64_t top = 1ull << 52;
	/* Last 8 bytes of the space: [2^52-8, 2^52) -> fine. */
	cr_assert_eq(iom_mem_write(m, top - 8, b, 8, &e), 0);
	/* 2^52-4 + 8 - 1 = 2^52+3 >= 2^52 -> out of range. */
	cr_assert_eq(iom_mem_write(m, top - 4, b, 8, &e), -IOM_ERANGE);
	cr_assert_eq(e.code, IOM_ERANGE);
	cr_assert_not_null(strstr(e.msg, "0xffffffffffffc"), "%s", e.msg);
	cr_assert_eq(iom_mem_read(m, top, b, 1, &e), -IOM_ERANGE);
	cr_assert_not_null(strstr(e.msg, "0x10000000000000"), "%s", e.msg);
	/* pa + len wraps around 2^64: must not be taken as a small address. */
	cr_assert_eq(iom_mem_read(m, 0x1000, b, SIZE_MAX, &e), -IOM_ERANGE);
	cr_assert_eq(iom_mem_read(m, UINT64_MAX - 2, b, 8, &e), -IOM_ERANGE);
	cr_assert_eq(iom_mem_pages(m), 1);
	iom_mem_destroy(m);
}

Test(mem, fixed_width_out_of_range_counts_bad_access)
{
	struct iom_mem *m = mk(32, 0);
	/* 32-bit space: 0xfffffffc + 8 > 2^32 -> dropped, read as 0. */
	iom_mem_wr64(m, 0xfffffffcull, ~0ull);
	cr_assert_eq(iom_mem_rd64(m, 0xfffffffcull), 0);
	cr_assert_eq(iom_mem_rd32(m, 0xfffffffcull), 0); /* in range, never written */
	cr_assert_eq(iom_mem_bad_accesses(m), 2);
	cr_assert_eq(iom_mem_pages(m), 0);
	iom_mem_destroy(m);
}

Test(mem, create_rejects_addr_bits_outside_32_to_52)
{
	struct iom_err e = { 0 };
	struct iom_mem_cfg c = mem_cfg(53, 0);
	cr_assert_null(iom_mem_create(&c, &e));
	cr_assert_eq(e.code, IOM_ERANGE);
	cr_assert_not_null(strstr(e.msg, "addr_bits 53"), "%s", e.msg);
	c.addr_bits = 31;
	cr_assert_null(iom_mem_create(&c, &e));
	cr_assert_eq(e.code, IOM_ERANGE);
	c.addr_bits = 48;
	c.llc_hit_ratio = 1.5;
	cr_assert_null(iom_mem_create(&c, &e));
	cr_assert_not_null(strstr(e.msg, "llc_hit_ratio"), "%s", e.msg);
}

Test(mem, timed_access_without_llc_costs_dram_latency)
{
	struct iom_mem *m = mk(48, 0.0);
	int r = iom_mem_requester(m, "walk");
	bool ok = false;
	uint64_t done = 0;
	iom_mem_wr64(m, 0x1000, 42);
	/* ratio 0: every access is a DRAM access of 80000 ps. */
	cr_assert_eq(iom_mem_timed_read(m, r, 0x1000, NULL, 8, 1000, &ok), 81000);
	cr_assert(ok);
	cr_assert_eq(iom_mem_timed_rd64(m, r, 0x1000, 5000, &done), 42);
	cr_assert_eq(done, 85000);
	cr_assert_eq(iom_mem_timed_write(m, r, 0x2000, NULL, 64, 0, &ok), 80000);
	cr_assert_eq(iom_mem_req_stats(m, r)->llc_hits, 0);
	iom_mem_destroy(m);
}

Test(mem, timed_access_with_llc_ratio_one_costs_llc_latency)
{
	struct iom_mem *m = mk(48, 1.0);
	int r = iom_mem_requester(m, "walk");
	uint64_t done = 0;
	/* ratio 1: every access hits the LLC, 20000 ps. */
	for (int i = 0; i < 10; i++) {
		iom_mem_timed_rd64(m, r, 0x1000 + 8 * i, 100, &done);
		cr_assert_eq(done, 20100);
	}
	cr_assert_eq(iom_mem_req_stats(m, r)->llc_hits, 10);
	iom_mem_destroy(m);
}

Test(mem, llc_draws_are_deterministic_per_seed)
{
	struct iom_mem *a = mk(48, 0.5), *b = mk(48, 0.5);
	int ra = iom_mem_requester(a, "x"), rb = iom_mem_requester(b, "x");
	uint64_t hits = 0;
	/* Same seed: identical latency sequence; each is 20000 or 80000. */
	for (int i = 0; i < 1000; i++) {
		uint64_t da = iom_mem_timed_read(a, ra, 0, NULL, 8, 0, NULL);
		uint64_t db = iom_mem_timed_read(b, rb, 0, NULL, 8, 0, NULL);
		cr_assert_eq(da, db);
		cr_assert(da == 20000 || da == 80000);
		hits += da == 20000;
	}
	cr_assert_eq(iom_mem_req_stats(a, ra)->llc_hits, hits);
	/* Binomial(1000, 0.5): sd ~16; [400, 600] is > 6 sd either side. */
	cr_assert(hits >= 400 && hits <= 600, "hits %lu", (unsigned long)hits);
	iom_mem_destroy(a);
	iom_mem_destroy(b);
}

Test(mem, requesters_count_their_own_accesses)
{
	struct iom_mem *m = mk(48, 0);
	int w = iom_mem_requester(m, "smmu0.walk");
	int q = iom_mem_requester(m, "smmu0.cmdq");
	cr_assert_eq(w, 0);
	cr_assert_eq(q, 1);
	cr_assert_eq(iom_mem_requester(m, "smmu0.walk"), 0, "existing name gives its id");
	uint8_t data[16] = { 9, 8, 7 }, back[16];
	/* walk: 2 reads of 8 and 16 bytes; cmdq: 1 write of 16 bytes. */
	iom_mem_timed_write(m, q, 0x3000, data, 16, 0, NULL);
	iom_mem_timed_read(m, w, 0x3000, back, 16, 0, NULL);
	iom_mem_timed_read(m, w, 0x3000, NULL, 8, 0, NULL);
	cr_assert_arr_eq(back, data, 16);
	const struct iom_mem_req_stats *sw = iom_mem_req_stats(m, w), *sq = iom_mem_req_stats(m, q);
	cr_assert_eq(sw->reads, 2);
	cr_assert_eq(sw->read_bytes, 24);
	cr_assert_eq(sw->writes, 0);
	cr_assert_eq(sq->writes, 1);
	cr_assert_eq(sq->write_bytes, 16);
	cr_assert_eq(sq->reads, 0);
	cr_assert_null(iom_mem_req_stats(m, 2));
	iom_mem_destroy(m);
}

Test(mem, requester_table_full_is_ebusy)
{
	struct iom_mem *m = mk(48, 0);
	char name[32];
	for (int i = 0; i < IOM_MEM_MAX_REQUESTERS; i++) {
		snprintf(name, sizeof(name), "r%d", i);
		cr_assert_eq(iom_mem_requester(m, name), i);
	}
	cr_assert_eq(iom_mem_requester(m, "one.too.many"), -IOM_EBUSY);
	iom_mem_destroy(m);
}

Test(mem, timed_out_of_range_returns_now_and_not_ok)
{
	struct iom_mem *m = mk(40, 0);
	int r = iom_mem_requester(m, "dev");
	bool ok = true;
	uint64_t done = 1;
	/* 2^40 is the first address beyond a 40-bit space. */
	cr_assert_eq(iom_mem_timed_read(m, r, 1ull << 40, NULL, 4, 777, &ok), 777);
	cr_assert(!ok);
	cr_assert_eq(iom_mem_timed_rd64(m, r, (1ull << 40) - 4, 5, &done), 0);
	cr_assert_eq(done, 5);
	/* An unregistered requester id is treated the same way. */
	cr_assert_eq(iom_mem_timed_write(m, 7, 0x1000, NULL, 4, 9, &ok), 9);
	cr_assert(!ok);
	cr_assert_eq(iom_mem_bad_accesses(m), 3);
	cr_assert_eq(iom_mem_req_stats(m, r)->reads, 0);
	iom_mem_destroy(m);
}

Test(mem, prop_table_defaults_match_documentation)
{
	const struct iom_mem_cfg *d = iom_mem_prop_table.defaults;
	cr_assert_str_eq(iom_mem_prop_table.section, "memory");
	cr_assert_eq(iom_mem_prop_table.nprops, 5);
	cr_assert_eq(iom_mem_prop_table.struct_size, sizeof(struct iom_mem_cfg));
	cr_assert_eq(d->addr_bits, 48);
	cr_assert_eq(d->dram_latency_ps, 80000);
	cr_assert_eq(d->llc_latency_ps, 20000);
	cr_assert_eq(d->seed, 1);
	cr_assert_str_eq(iom_mem_prop_table.props[0].name, "addr_bits");
	cr_assert_eq(iom_mem_prop_table.props[0].min, 32);
	cr_assert_eq(iom_mem_prop_table.props[0].max, 52);
	cr_assert_eq(iom_mem_prop_table.props[3].type, IOM_PROP_DOUBLE);
}

Test(mem, register_stats_exposes_pages_and_requesters)
{
	struct iom_mem *m = mk(48, 0);
	struct iom_stats *s = iom_stats_create();
	struct iom_err e = { 0 };
	int r = iom_mem_requester(m, "walk");
	cr_assert_eq(iom_mem_register_stats(m, s, &e), 0, "%s", e.msg);
	iom_mem_wr8(m, 0x1000, 1);
	iom_mem_timed_read(m, r, 0, NULL, 8, 0, NULL);
	iom_mem_timed_read(m, r, 0, NULL, 8, 0, NULL);
	double v = -1;
	cr_assert_eq(iom_stats_get(s, NULL, "memory.pages", &v), 0);
	cr_assert_eq(v, 1.0);
	cr_assert_eq(iom_stats_get(s, NULL, "memory.walk.reads", &v), 0);
	cr_assert_eq(v, 2.0);
	cr_assert_eq(iom_stats_get(s, NULL, "memory.walk.read_bytes", &v), 0);
	cr_assert_eq(v, 16.0);
	/* Registering twice collides on the first name. */
	cr_assert_eq(iom_mem_register_stats(m, s, &e), -IOM_EEXIST);
	iom_stats_destroy(s);
	iom_mem_destroy(m);
}
