/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_trace_dmaapi.c - the DMA API records of trace format v1 (dmamap,
 * dmaunmap, dma with buf=; docs/trace-format.md): canonical text, the
 * binary bytes worked out by hand, text <-> binary round trips, and
 * malformed input reported with its position (FILE:LINE / FILE: record N).
 */
#include "trace.h"

#include "../tools/tools-test.h"

#include <criterion/criterion.h>
#include <zlib.h>

TestSuite(trace_dmaapi, .init = tt_setup, .fini = tt_teardown);

static struct iom_err E;

static void parse_ok(const char *line, struct iom_rec *r)
{
	cr_assert_eq(iom_rec_parse(line, r, &E), 1, "%s: %s", line, E.msg);
}

static void parse_fails(const char *line, int code, const char *msg)
{
	struct iom_rec r;
	cr_assert_eq(iom_rec_parse(line, &r, &E), -code, "%s: %s", line, E.msg);
	cr_assert(strstr(E.msg, msg), "'%s': message '%s' lacks '%s'", line, E.msg, msg);
}

Test(trace_dmaapi, records_parse_and_format_canonically)
{
	struct iom_rec r;
	char buf[512];
	/* input order is free; canonical: t dev buf size pa dir */
	parse_ok("dmamap dir=rw pa=0x80000800 size=8K buf=7 dev=00:02.0 t=5", &r);
	cr_expect_eq(r.kind, IOM_REC_DMAMAP);
	cr_expect_eq(r.buf, 7u);
	cr_expect_eq(r.dir, IOM_DIR_BIDI);
	cr_expect_eq(r.size, 8192u);
	iom_rec_format(&r, buf, sizeof(buf));
	cr_expect_str_eq(buf, "dmamap t=5ns dev=00:02.0 buf=7 size=0x2000 pa=0x80000800 dir=rw");
	parse_ok("dmaunmap buf=4294967295 dev=0001:3a:1f.7", &r);
	iom_rec_format(&r, buf, sizeof(buf));
	cr_expect_str_eq(buf, "dmaunmap dev=0001:3a:1f.7 buf=4294967295");
	/* dma with buf: the offset is iova; buf sits before iova */
	parse_ok("dma t=1us iova=0x40 buf=3 size=64 dir=w dev=01:00.0 at=treq", &r);
	iom_rec_format(&r, buf, sizeof(buf));
	cr_expect_str_eq(buf, "dma t=1000ns dev=01:00.0 buf=3 iova=0x40 size=0x40 dir=w at=treq");
}

Test(trace_dmaapi, malformed_records_name_the_problem)
{
	parse_fails("dmamap dev=00:02.0 size=64 pa=0 dir=r", IOM_EFORMAT,
		    "dmamap: missing field 'buf'");
	parse_fails("dmaunmap dev=00:02.0 buf=1 size=64", IOM_EFORMAT,
		    "dmaunmap: unknown field 'size' (allowed: t dev buf)");
	parse_fails("dma dev=00:02.0 buf=1 iova=0 size=64 dir=rw", IOM_EFORMAT,
		    "dma: bad value for 'dir': 'rw' (expected r|w)");
	parse_fails("dmamap dev=00:02.0 buf=1 size=64 pa=0 dir=x", IOM_EFORMAT,
		    "expected r|w|rw");
	parse_fails("dmamap dev=00:02.0 buf=4294967296 size=64 pa=0 dir=r", IOM_ERANGE,
		    "dmamap: value for 'buf' out of range");
	parse_fails("dma dev=00:02.0 buf=1 pasid=3 iova=0 size=64 dir=r", IOM_EFORMAT,
		    "'buf' and 'pasid' exclude each other");
	parse_fails("map domain=1 buf=1 iova=0 size=4K pa=0 prot=r", IOM_EFORMAT,
		    "map: unknown field 'buf'");
	parse_fails("dmamap dev=00:02.0 buf=1 size=0x10 pa=0xfffffffffffffff8 dir=r", IOM_ERANGE,
		    "pa+size-1 overflows");
}

/* dmamap t=1ns dev=00:02.0 buf=5 size=64 pa=0x1000 dir=rw as the first
 * record: kind 16 = 0x10; mask t|dev|size|pa|dir|buf = 0x1 + 0x2 + 0x20 +
 * 0x40 + 0x80 + 0x10000 = 0x100e3 -> LEB e3 81 04; delta 1000 ps -> e8 07;
 * dev 0x10; size 64 -> 40; pa 0x1000 -> 80 20; dir 2 -> 02; buf (bit 16,
 * after every other field) 5 -> 05.  Then dmaunmap dev=00:02.0 buf=5:
 * kind 17 = 0x11; mask t|dev|buf = 0x10003 -> 83 80 04; delta 0; dev 10;
 * buf 05.  END ff 02. */
Test(trace_dmaapi, binary_layout_matches_hand_encoding)
{
	static const uint8_t want[] = {
		'I', 'O', 'M', 'T', 'R', 'A', 'C', 'E', 1, 0, 0, 0, 0, 0, 0, 0,
		0x10, 0xe3, 0x81, 0x04, 0xe8, 0x07, 0x10, 0x40, 0x80, 0x20, 0x02, 0x05,
		0x11, 0x83, 0x80, 0x04, 0x00, 0x10, 0x05,
		0xff, 0x02,
	};
	struct iom_trace_writer *w = iom_trace_create(tpath("h.bin"), IOM_TRACE_BINARY, 9, &E);
	cr_assert_not_null(w, "%s", E.msg);
	struct iom_rec m, u;
	parse_ok("dmamap t=1ns dev=00:02.0 buf=5 size=64 pa=0x1000 dir=rw", &m);
	parse_ok("dmaunmap dev=00:02.0 buf=5", &u);
	cr_assert_eq(iom_trace_write(w, &m, &E), 0, "%s", E.msg);
	cr_assert_eq(iom_trace_write(w, &u, &E), 0, "%s", E.msg);
	cr_assert_eq(iom_trace_finish(w, &E), 0, "%s", E.msg);
	gzFile g = gzopen(tpath("h.bin"), "rb");
	uint8_t got[256];
	int n = gzread(g, got, sizeof(got));
	gzclose(g);
	cr_assert_eq(n, (int)sizeof(want));
	cr_expect(memcmp(got, want, sizeof(want)) == 0);
	/* and back: the records as written */
	struct iom_trace_reader *rd = iom_trace_open(tpath("h.bin"), NULL, &E);
	cr_assert_not_null(rd, "%s", E.msg);
	struct iom_rec x;
	cr_assert_eq(iom_trace_next(rd, &x, &E), 1);
	cr_expect(memcmp(&x, &m, sizeof(x)) == 0);
	cr_assert_eq(iom_trace_next(rd, &x, &E), 1);
	cr_expect_eq(x.kind, IOM_REC_DMAUNMAP);
	cr_expect_eq(x.buf, 5u);
	cr_expect_eq(x.time_ps, 1000u);
	cr_assert_eq(iom_trace_next(rd, &x, &E), 0);
	iom_trace_close(rd);
}

static void convert(const char *in, const char *out, enum iom_trace_enc enc)
{
	struct iom_trace_reader *rd = iom_trace_open(in, NULL, &E);
	cr_assert_not_null(rd, "%s", E.msg);
	struct iom_trace_writer *w = iom_trace_create(out, enc, 0, &E);
	cr_assert_not_null(w, "%s", E.msg);
	struct iom_rec r;
	int rc;
	while ((rc = iom_trace_next(rd, &r, &E)) == 1)
		cr_assert_eq(iom_trace_write(w, &r, &E), 0, "%s", E.msg);
	cr_assert_eq(rc, 0, "%s", E.msg);
	iom_trace_close(rd);
	cr_assert_eq(iom_trace_finish(w, &E), 0, "%s", E.msg);
}

Test(trace_dmaapi, text_binary_text_round_trip_is_byte_identical)
{
	/* canonical text (times ordered, fields in canonical order) comes back
	 * byte for byte */
	static const char text[] =
		HDR
		"dmamap t=0ns dev=01:00.0 buf=0 size=0x1000 pa=0x1000000 dir=rw\n"
		"dmamap t=1000ns dev=01:00.0 buf=2 size=0x3000 pa=0x13523b800 dir=w\n"
		"dma t=2000ns dev=01:00.0 buf=0 iova=0x40 size=0x40 dir=r\n"
		"dma t=2000500ps dev=01:00.0 buf=2 iova=0x0 size=0x3000 dir=w at=treq flags=priv\n"
		"dmaunmap t=3000ns dev=01:00.0 buf=2\n"
		"dmamap t=3000ns dev=0001:3a:1f.7 buf=4294967295 size=0x1 pa=0x0 dir=r\n"
		"dmaunmap t=4000ns dev=0001:3a:1f.7 buf=4294967295\n";
	spits(tpath("a.trace"), text);
	convert(tpath("a.trace"), tpath("a.bin"), IOM_TRACE_BINARY);
	convert(tpath("a.bin"), tpath("b.trace"), IOM_TRACE_TEXT);
	size_t n;
	char *got = slurp(tpath("b.trace"), &n);
	cr_expect_str_eq(got, text);
	free(got);
}

Test(trace_dmaapi, malformed_input_reports_its_position)
{
	/* text: the record's line (header = line 1) */
	spits(tpath("bad.trace"), HDR "dmamap t=1ns dev=00:02.0 buf=1 size=64 pa=0 dir=r\n"
				       "\n"
				       "dmaunmap t=2ns dev=00:02.0\n");
	struct iom_trace_reader *rd = iom_trace_open(tpath("bad.trace"), NULL, &E);
	cr_assert_not_null(rd, "%s", E.msg);
	struct iom_rec x;
	cr_assert_eq(iom_trace_next(rd, &x, &E), 1);
	cr_assert_eq(iom_trace_next(rd, &x, &E), -IOM_EFORMAT);
	char want[256];
	snprintf(want, sizeof(want), "%s:4: dmaunmap: missing field 'buf'", tpath("bad.trace"));
	cr_expect_str_eq(E.msg, want);
	iom_trace_close(rd);
	/* binary: a dmamap whose buf does not fit in 32 bits, record 2 (kind 16,
	 * mask e3 81 04, delta 0, dev 10, size 40, pa 00, dir 00, buf 2^32 = LEB
	 * 80 80 80 80 10) after a good dmaunmap (kind 17, mask 83 80 04) */
	static const uint8_t bin[] = {
		'I', 'O', 'M', 'T', 'R', 'A', 'C', 'E', 1, 0, 0, 0, 0, 0, 0, 0,
		0x11, 0x83, 0x80, 0x04, 0x00, 0x10, 0x05,
		0x10, 0xe3, 0x81, 0x04, 0x00, 0x10, 0x40, 0x00, 0x00, 0x80, 0x80, 0x80, 0x80, 0x10,
		0xff, 0x02,
	};
	gzFile g = gzopen(tpath("bad.bin"), "wb");
	gzwrite(g, bin, sizeof(bin));
	gzclose(g);
	rd = iom_trace_open(tpath("bad.bin"), NULL, &E);
	cr_assert_not_null(rd, "%s", E.msg);
	cr_assert_eq(iom_trace_next(rd, &x, &E), 1);
	cr_assert_eq(iom_trace_next(rd, &x, &E), -IOM_ERANGE);
	snprintf(want, sizeof(want), "%s: record 2: dmamap: buf: value does not fit in 32 bits",
		 tpath("bad.bin"));
	cr_expect_str_eq(E.msg, want);
	iom_trace_close(rd);
	/* and an unknown kind 18 stays an invalid kind */
	static const uint8_t k18[] = {'I', 'O', 'M', 'T', 'R', 'A', 'C', 'E', 1, 0, 0, 0, 0, 0,
				      0, 0, 0x12, 0x01, 0x00, 0xff, 0x01};
	g = gzopen(tpath("k.bin"), "wb");
	gzwrite(g, k18, sizeof(k18));
	gzclose(g);
	rd = iom_trace_open(tpath("k.bin"), NULL, &E);
	cr_assert_not_null(rd, "%s", E.msg);
	cr_assert_eq(iom_trace_next(rd, &x, &E), -IOM_EFORMAT);
	cr_expect(strstr(E.msg, ": record 1: invalid kind 18"), "%s", E.msg);
	iom_trace_close(rd);
}
