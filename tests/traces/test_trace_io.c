/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_trace_io.c - trace readers and writers: text <-> binary round trips,
 * the binary byte layout, header / gzip / END errors with their locations,
 * decode-ahead equivalence and skip_bad counting.  Fixtures live in
 * tests/traces/data; binary inputs are written at test time into a
 * per-test temporary directory.  Expected values are derived by hand in
 * the comments (docs/trace-format.md is the spec).
 */
#include "trace.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#define DATA IOM_SOURCE_DIR "/tests/traces/data/"

static char tmpdir[64];

static void tmp_init(void)
{
	strcpy(tmpdir, "/tmp/iom-trace-test-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void tmp_fini(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd)) {
		/* best effort */
	}
}

static const char *tmp_path(const char *name)
{
	static char buf[4][160];
	static int i;
	char *p = buf[i++ & 3];
	snprintf(p, 160, "%s/%s", tmpdir, name);
	return p;
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "open %s", path);
	fseek(f, 0, SEEK_END);
	long sz = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = malloc((size_t)sz + 1);
	cr_assert_eq(fread(b, 1, (size_t)sz, f), (size_t)sz);
	fclose(f);
	b[sz] = 0;
	*n = (size_t)sz;
	return b;
}

static void spit(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(p, 1, n, f), n);
	fclose(f);
}

/* Write raw (uncompressed) bytes as a gzip file. */
static void spit_gz(const char *path, const void *p, size_t n)
{
	gzFile g = gzopen(path, "wb");
	cr_assert_not_null(g);
	cr_assert_eq(gzwrite(g, p, (unsigned)n), (int)n);
	cr_assert_eq(gzclose(g), Z_OK);
}

/* Copy every record of src into a new trace dst; returns the count. */
static uint64_t convert(const char *src, const char *dst, enum iom_trace_enc enc)
{
	struct iom_err e = { 0 };
	struct iom_trace_reader *r = iom_trace_open(src, NULL, &e);
	cr_assert_not_null(r, "%s", e.msg);
	struct iom_trace_writer *w = iom_trace_create(dst, enc, 0, &e);
	cr_assert_not_null(w, "%s", e.msg);
	struct iom_rec rec;
	int rc;
	while ((rc = iom_trace_next(r, &rec, &e)) == 1)
		cr_assert_eq(iom_trace_write(w, &rec, &e), 0, "%s", e.msg);
	cr_assert_eq(rc, 0, "%s", e.msg);
	uint64_t n = iom_trace_records(r);
	iom_trace_close(r);
	cr_assert_eq(iom_trace_finish(w, &e), 0, "%s", e.msg);
	return n;
}

/* Read a whole trace; returns the final status, records in *n. */
static int read_all(const char *path, const struct iom_trace_reader_opts *o, uint64_t *n,
		    struct iom_err *e)
{
	struct iom_trace_reader *r = iom_trace_open(path, o, e);
	if (!r)
		return -e->code;
	struct iom_rec rec;
	int rc;
	while ((rc = iom_trace_next(r, &rec, e)) == 1)
		;
	*n = iom_trace_records(r);
	iom_trace_close(r);
	return rc;
}

static void open_fails(const char *path, int code, const char *needle)
{
	struct iom_err e = { 0 };
	struct iom_trace_reader *r = iom_trace_open(path, NULL, &e);
	cr_assert_null(r, "%s opened", path);
	cr_assert_eq(e.code, code, "%s: code %d (%s)", path, e.code, e.msg);
	cr_assert(strstr(e.msg, needle), "message '%s' lacks '%s'", e.msg, needle);
}

TestSuite(trace_io, .init = tmp_init, .fini = tmp_fini);

/* ------------------------------------------------------------------ */
/* round trips                                                         */

Test(trace_io, text_binary_text_round_trip_is_byte_identical)
{
	/* canonical.trace has every kind and every optional field, written in
	 * canonical form, so it must come back unchanged */
	uint64_t n1 = convert(DATA "canonical.trace", tmp_path("c.bin"), IOM_TRACE_BINARY);
	uint64_t n2 = convert(tmp_path("c.bin"), tmp_path("c.txt"), IOM_TRACE_TEXT);
	/* 46 record lines below the header */
	cr_assert_eq(n1, 46u);
	cr_assert_eq(n2, 46u);
	size_t a, b;
	char *want = slurp(DATA "canonical.trace", &a);
	char *got = slurp(tmp_path("c.txt"), &b);
	cr_assert_eq(a, b);
	cr_assert(memcmp(want, got, a) == 0, "round trip differs:\n%s", got);
	free(want);
	free(got);
}

Test(trace_io, binary_text_binary_round_trip_keeps_records_equal)
{
	convert(DATA "canonical.trace", tmp_path("a.bin"), IOM_TRACE_BINARY);
	convert(tmp_path("a.bin"), tmp_path("a.txt"), IOM_TRACE_TEXT);
	convert(tmp_path("a.txt"), tmp_path("b.bin"), IOM_TRACE_BINARY);
	struct iom_err e = { 0 };
	struct iom_trace_reader *ra = iom_trace_open(tmp_path("a.bin"), NULL, &e);
	struct iom_trace_reader *rb = iom_trace_open(tmp_path("b.bin"), NULL, &e);
	cr_assert(ra && rb);
	cr_assert_eq(iom_trace_encoding(ra), IOM_TRACE_BINARY);
	struct iom_rec x, y;
	int n = 0, rx, ry;
	while ((rx = iom_trace_next(ra, &x, &e)) == 1) {
		ry = iom_trace_next(rb, &y, &e);
		cr_assert_eq(ry, 1);
		cr_assert(memcmp(&x, &y, sizeof(x)) == 0, "record %d differs", n);
		n++;
	}
	cr_assert_eq(rx, 0);
	cr_assert_eq(iom_trace_next(rb, &y, &e), 0);
	cr_assert_eq(n, 46);
	iom_trace_close(ra);
	iom_trace_close(rb);
}

Test(trace_io, binary_layout_matches_hand_encoding)
{
	/* dma t=1ns dev=00:02.0 iova=0x1000 size=64 dir=w, then detach t=1ns dev=00:02.0:
	 * header "IOMTRACE" 01 00 00 00 00 00 00 00;
	 * dma: kind 01; mask t|dev|iova|size|dir = 0x1+0x2+0x10+0x20+0x80 = 0xb3
	 * -> LEB b3 01; time delta 1000 ps = 0x3e8 -> LEB e8 07; dev 0x10 -> 10;
	 * iova 0x1000 -> LEB 80 20; size 64 -> 40; dir 1 -> 01;
	 * detach: kind 04; mask t|dev = 03; delta 0 -> 00; dev 10;
	 * END ff, count 2 -> 02 */
	static const uint8_t want[] = {
		'I', 'O', 'M', 'T', 'R', 'A', 'C', 'E', 1, 0, 0, 0, 0, 0, 0, 0,
		0x01, 0xb3, 0x01, 0xe8, 0x07, 0x10, 0x80, 0x20, 0x40, 0x01,
		0x04, 0x03, 0x00, 0x10,
		0xff, 0x02,
	};
	struct iom_err e = { 0 };
	struct iom_trace_writer *w = iom_trace_create(tmp_path("h.bin"), IOM_TRACE_BINARY, 9, &e);
	cr_assert_not_null(w, "%s", e.msg);
	struct iom_rec r = { .kind = IOM_REC_DMA, .present = IOM_F_TIME | IOM_F_DEV | IOM_F_IOVA |
				     IOM_F_SIZE | IOM_F_DIR,
			     .time_ps = 1000, .dev = 0x10, .iova = 0x1000, .size = 64, .dir = 1 };
	cr_assert_eq(iom_trace_write(w, &r, &e), 0, "%s", e.msg);
	struct iom_rec d = { .kind = IOM_REC_DETACH, .present = IOM_F_DEV, .dev = 0x10 };
	cr_assert_eq(iom_trace_write(w, &d, &e), 0, "%s", e.msg);
	cr_assert_eq(iom_trace_finish(w, &e), 0, "%s", e.msg);
	gzFile g = gzopen(tmp_path("h.bin"), "rb");
	uint8_t got[256];
	int n = gzread(g, got, sizeof(got));
	gzclose(g);
	cr_assert_eq(n, (int)sizeof(want));
	cr_assert(memcmp(got, want, sizeof(want)) == 0);
	/* and the hand-made bytes read back: detach inherits t=1ns */
	spit_gz(tmp_path("m.bin"), want, sizeof(want));
	struct iom_trace_reader *rd = iom_trace_open(tmp_path("m.bin"), NULL, &e);
	cr_assert_not_null(rd, "%s", e.msg);
	struct iom_rec x;
	cr_assert_eq(iom_trace_next(rd, &x, &e), 1);
	cr_assert(memcmp(&x, &r, sizeof(x)) == 0);
	cr_assert_eq(iom_trace_next(rd, &x, &e), 1);
	cr_assert_eq(x.time_ps, 1000u);
	cr_assert_eq(x.present, IOM_F_TIME | IOM_F_DEV);
	char where[200];
	snprintf(where, sizeof(where), "%s: record 2", tmp_path("m.bin"));
	cr_assert_str_eq(iom_trace_where(rd), where);
	cr_assert_eq(iom_trace_next(rd, &x, &e), 0);
	iom_trace_close(rd);
}

Test(trace_io, missing_time_takes_previous_record_time)
{
	/* bad_time_backwards.trace line 3 has no t: it gets line 2's 10 ns */
	struct iom_err e = { 0 };
	struct iom_trace_reader *r = iom_trace_open(DATA "bad_time_backwards.trace", NULL, &e);
	cr_assert_not_null(r, "%s", e.msg);
	struct iom_rec x;
	cr_assert_eq(iom_trace_next(r, &x, &e), 1);
	cr_assert_eq(iom_trace_next(r, &x, &e), 1);
	cr_assert_eq(x.time_ps, 10000u);
	cr_assert(x.present & IOM_F_TIME);
	cr_assert(strstr(iom_trace_where(r), "bad_time_backwards.trace:3"), "%s", iom_trace_where(r));
	iom_trace_close(r);
}

Test(trace_io, gzipped_text_trace_reads_as_text)
{
	size_t n;
	char *t = slurp(DATA "canonical.trace", &n);
	spit_gz(tmp_path("t.gz"), t, n);
	free(t);
	convert(tmp_path("t.gz"), tmp_path("t.txt"), IOM_TRACE_TEXT);
	size_t a, b;
	char *want = slurp(DATA "canonical.trace", &a);
	char *got = slurp(tmp_path("t.txt"), &b);
	cr_assert(a == b && memcmp(want, got, a) == 0);
	free(want);
	free(got);
}

/* ------------------------------------------------------------------ */
/* text errors with locations                                          */

struct bad_case {
	const char *file;
	int code;
	const char *msg; /* expected "FILE:LINE: ..." tail */
};

Test(trace_io, bad_text_records_report_file_line_and_reason)
{
	static const struct bad_case cases[] = {
		{ "bad_unknown_kind.trace", IOM_EFORMAT, ":3: unknown record kind 'foo' (kinds: dma" },
		{ "bad_missing_field.trace", IOM_EFORMAT, ":4: dma: missing field 'size'" },
		{ "bad_duplicate_field.trace", IOM_EFORMAT, ":2: dma: duplicate field 'iova'" },
		{ "bad_unknown_field.trace", IOM_EFORMAT,
		  ":3: map: unknown field 'colour' (allowed: t domain iova size pa pgsize prot)" },
		{ "bad_non_numeric.trace", IOM_EFORMAT, ":2: dma: bad value for 'iova': '0x10zz'" },
		{ "bad_pasid_range.trace", IOM_ERANGE, ":2: bind: pasid 0x100000 out of range" },
		{ "bad_dev_function.trace", IOM_ERANGE, ":2: dma: bad value for 'dev': '00:02.8'" },
		{ "bad_iova_overflow.trace", IOM_ERANGE, ":2: dma: iova+size-1 overflows 64 bits" },
		{ "bad_time_backwards.trace", IOM_EFORMAT, ":4: dma: time goes backwards" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[256], want[256];
		snprintf(path, sizeof(path), DATA "%s", cases[i].file);
		snprintf(want, sizeof(want), "%s%s", path, cases[i].msg);
		for (int threaded = 0; threaded < 2; threaded++) {
			struct iom_trace_reader_opts o = { .threaded = threaded };
			struct iom_err e = { 0 };
			uint64_t n;
			int rc = read_all(path, &o, &n, &e);
			cr_assert_eq(rc, -cases[i].code, "%s: rc %d: %s", cases[i].file, rc, e.msg);
			cr_assert(strncmp(e.msg, want, strlen(want)) == 0, "%s:\n got '%s'\nwant '%s'",
				  cases[i].file, e.msg, want);
		}
	}
}

Test(trace_io, header_problems_fail_at_open)
{
	open_fails(DATA "bad_version.trace", IOM_EFORMAT,
		   "bad_version.trace:3: unsupported trace version 2 (this build reads v1)");
	open_fails(DATA "bad_no_header.trace", IOM_EFORMAT,
		   "bad_no_header.trace:1: not an iommusim trace (expected '# iommusim trace v1' header)");
	open_fails(DATA "empty.trace", IOM_EFORMAT, "empty.trace: empty trace");
	open_fails(DATA "no_such_file.trace", IOM_EIO, "no_such_file.trace: No such file");
	spit(tmp_path("blank.trace"), "\n  \n\n", 5);
	open_fails(tmp_path("blank.trace"), IOM_EFORMAT, "blank.trace: empty trace");
}

Test(trace_io, unreadable_file_fails_with_eio)
{
	spit(tmp_path("secret.trace"), "# iommusim trace v1\n", 20);
	chmod(tmp_path("secret.trace"), 0);
	chmod(tmpdir, 0755);
	/* root reads anything, so open from a child that drops to "nobody"
	 * (the parent keeps root to clean up); skip if that is impossible */
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	pid_t pid = fork();
	if (pid == 0) {
		struct iom_err e = { 0 };
		if (geteuid() == 0 && (setgid(65534) || setuid(65534)))
			e.code = -1;
		else if (iom_trace_open(tmp_path("secret.trace"), NULL, &e))
			e.code = 0;
		if (write(fds[1], &e, sizeof(e)) != (ssize_t)sizeof(e))
			_exit(1);
		_exit(0);
	}
	struct iom_err e = { 0 };
	cr_assert_eq(read(fds[0], &e, sizeof(e)), (ssize_t)sizeof(e));
	waitpid(pid, NULL, 0);
	close(fds[0]);
	close(fds[1]);
	if (e.code == -1)
		cr_skip_test("running as root and cannot drop privileges");
	cr_assert_eq(e.code, IOM_EIO, "code %d: %s", e.code, e.msg);
	cr_assert(strstr(e.msg, "secret.trace: Permission denied"), "%s", e.msg);
}

Test(trace_io, errors_are_sticky)
{
	struct iom_err e = { 0 };
	struct iom_trace_reader *r = iom_trace_open(DATA "bad_unknown_kind.trace", NULL, &e);
	cr_assert_not_null(r);
	struct iom_rec x;
	cr_assert_eq(iom_trace_next(r, &x, &e), 1);
	cr_assert_eq(iom_trace_next(r, &x, &e), -IOM_EFORMAT);
	struct iom_err e2 = { 0 };
	cr_assert_eq(iom_trace_next(r, &x, &e2), -IOM_EFORMAT);
	cr_assert_str_eq(e2.msg, e.msg);
	cr_assert_eq(iom_trace_records(r), 1u);
	iom_trace_close(r);
}

/* ------------------------------------------------------------------ */
/* binary errors                                                       */

static const uint8_t hdr_v1[16] = { 'I', 'O', 'M', 'T', 'R', 'A', 'C', 'E', 1, 0 };
/* detach t=0 dev=00:02.0: kind 4, mask t|dev = 3, delta 0, dev 0x10 */
static const uint8_t rec_detach[] = { 0x04, 0x03, 0x00, 0x10 };

static void spit_bin(const char *path, const uint8_t *tail, size_t n)
{
	uint8_t b[256];
	memcpy(b, hdr_v1, 16);
	memcpy(b + 16, tail, n);
	spit_gz(path, b, 16 + n);
}

static void bin_fails(const uint8_t *tail, size_t n, uint64_t want_recs, int code,
		      const char *needle)
{
	spit_bin(tmp_path("x.bin"), tail, n);
	for (int threaded = 0; threaded < 2; threaded++) {
		struct iom_trace_reader_opts o = { .threaded = threaded };
		struct iom_err e = { 0 };
		uint64_t got = 0;
		int rc = read_all(tmp_path("x.bin"), &o, &got, &e);
		cr_assert_eq(rc, -code, "rc %d: %s", rc, e.msg);
		cr_assert_eq(got, want_recs);
		cr_assert(strstr(e.msg, needle), "message '%s' lacks '%s'", e.msg, needle);
		cr_assert(strncmp(e.msg, tmp_path("x.bin"), strlen(tmp_path("x.bin"))) == 0, "%s",
			  e.msg);
	}
}

Test(trace_io, binary_header_errors)
{
	spit_gz(tmp_path("magic.bin"), "IOMTRACX\1\0\0\0\0\0\0\0\xff\0", 18);
	open_fails(tmp_path("magic.bin"), IOM_EFORMAT, "not an iommusim binary trace (bad magic)");
	spit_gz(tmp_path("ver.bin"), "IOMTRACE\2\0\0\0\0\0\0\0\xff\0", 18);
	open_fails(tmp_path("ver.bin"), IOM_EFORMAT,
		   "unsupported binary trace version 2 (this build reads v1)");
	spit_gz(tmp_path("short.bin"), "IOMTRACE\1\0", 10);
	open_fails(tmp_path("short.bin"), IOM_EFORMAT, "truncated header");
	spit_gz(tmp_path("empty.gz"), "", 0);
	open_fails(tmp_path("empty.gz"), IOM_EFORMAT, "empty.gz: empty trace");
}

Test(trace_io, binary_end_record_errors)
{
	/* one record then nothing: no END */
	bin_fails(rec_detach, sizeof(rec_detach), 1, IOM_EFORMAT,
		  ": truncated: no END record after 1 records");
	/* END says 2 but 1 record was there */
	static const uint8_t mism[] = { 0x04, 0x03, 0x00, 0x10, 0xff, 0x02 };
	bin_fails(mism, sizeof(mism), 1, IOM_EFORMAT, ": END record says 2 records, found 1");
	static const uint8_t trail[] = { 0x04, 0x03, 0x00, 0x10, 0xff, 0x01, 0x00 };
	bin_fails(trail, sizeof(trail), 1, IOM_EFORMAT, ": trailing data after END record");
	/* cut inside the record: dev byte missing */
	bin_fails(rec_detach, 3, 0, IOM_EFORMAT, ": truncated: no END record after 0 records");
}

Test(trace_io, binary_bad_records_name_their_index)
{
	/* record 2 has kind 0x20 */
	static const uint8_t kind[] = { 0x04, 0x03, 0x00, 0x10, 0x20, 0x03, 0x00, 0x10, 0xff, 0x02 };
	bin_fails(kind, sizeof(kind), 1, IOM_EFORMAT, ": record 2: invalid kind 32");
	/* unbind dev=0x10 pasid=2^20: mask t|dev|pasid = 7; 0x100000 -> LEB 80 80 40 */
	static const uint8_t pasid[] = { 0x09, 0x07, 0x00, 0x10, 0x80, 0x80, 0x40, 0xff, 0x01 };
	bin_fails(pasid, sizeof(pasid), 0, IOM_ERANGE, ": record 1: unbind: pasid 0x100000 out of range");
	/* detach missing dev: mask t only */
	static const uint8_t miss[] = { 0x04, 0x01, 0x00, 0xff, 0x01 };
	bin_fails(miss, sizeof(miss), 0, IOM_EFORMAT, ": record 1: detach: missing field 'dev'");
	/* mask with bit 17: no such field, record length unknown */
	static const uint8_t mask[] = { 0x04, 0x81, 0x80, 0x08, 0x00, 0xff, 0x01 };
	bin_fails(mask, sizeof(mask), 0, IOM_EFORMAT, ": record 1: corrupt encoding");
}

/* A binary trace of n DMA records whose values do not compress to nothing. */
static void write_big(const char *path, unsigned n)
{
	struct iom_err e = { 0 };
	struct iom_trace_writer *w = iom_trace_create(path, IOM_TRACE_BINARY, 1, &e);
	cr_assert_not_null(w);
	uint64_t x = 88172645463325252ull;
	for (unsigned i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		struct iom_rec r = { .kind = IOM_REC_DMA, .present = IOM_F_TIME | IOM_F_DEV | IOM_F_IOVA |
					     IOM_F_SIZE | IOM_F_DIR,
				     .time_ps = i * 1000ull, .dev = (uint32_t)(x & 0xff),
				     .iova = (x >> 8) & 0xffffffffff, .size = 1 + (x >> 50), .dir = x & 1 };
		cr_assert_eq(iom_trace_write(w, &r, &e), 0, "%s", e.msg);
	}
	cr_assert_eq(iom_trace_finish(w, &e), 0, "%s", e.msg);
}

Test(trace_io, truncated_gzip_reports_zlib_error_after_good_records)
{
	write_big(tmp_path("big.bin"), 100000);
	size_t n;
	char *b = slurp(tmp_path("big.bin"), &n);
	spit(tmp_path("cut.bin"), b, n / 3);
	free(b);
	for (int threaded = 0; threaded < 2; threaded++) {
		struct iom_trace_reader_opts o = { .threaded = threaded };
		struct iom_err e = { 0 };
		uint64_t got = 0;
		int rc = read_all(tmp_path("cut.bin"), &o, &got, &e);
		cr_assert_eq(rc, -IOM_EFORMAT, "%s", e.msg);
		/* about a third of the records decode before the cut */
		cr_log_info("%llu records before the cut", (unsigned long long)got);
		cr_assert(got > 10000 && got < 100000, "got %llu", (unsigned long long)got);
		cr_assert(strstr(e.msg, "cut.bin: after record "), "%s", e.msg);
		cr_assert(strstr(e.msg, "truncated gzip stream (zlib: unexpected end of file)"), "%s",
			  e.msg);
	}
}

Test(trace_io, corrupt_gzip_is_an_error)
{
	write_big(tmp_path("big.bin"), 100000);
	size_t n;
	char *b = slurp(tmp_path("big.bin"), &n);
	for (size_t i = n / 2; i < n / 2 + 64; i++)
		b[i] ^= 0x5a;
	spit(tmp_path("bad.bin"), b, n);
	free(b);
	struct iom_err e = { 0 };
	uint64_t got = 0;
	int rc = read_all(tmp_path("bad.bin"), NULL, &got, &e);
	/* either zlib notices (bad code / CRC: EFORMAT) or the garbage it
	 * inflates first fails to decode (EFORMAT) or to validate (ERANGE) */
	cr_assert(rc == -IOM_EFORMAT || rc == -IOM_ERANGE, "rc %d: %s", rc, e.msg);
	cr_assert(got < 100000);
	cr_assert(strstr(e.msg, "bad.bin"), "%s", e.msg);
}

/* ------------------------------------------------------------------ */
/* decode-ahead, skip_bad                                              */

Test(trace_io, threaded_and_inline_readers_return_identical_sequences)
{
	/* 20000 records span 5 batches of 4096; a bad line at the end checks
	 * that the error comes after all records before it */
	FILE *f = fopen(tmp_path("seq.trace"), "w");
	fprintf(f, "# iommusim trace v1\n");
	for (unsigned i = 0; i < 20000; i++)
		fprintf(f, "dma t=%u dev=%u iova=0x%x size=%u dir=%c\n", i / 3, i % 7, i * 64, 1 + i % 100,
			i & 1 ? 'w' : 'r');
	fprintf(f, "dma dev=1\n");
	fclose(f);
	struct iom_err ea = { 0 }, eb = { 0 };
	struct iom_trace_reader_opts ot = { .threaded = true }, oi = { .threaded = false };
	struct iom_trace_reader *a = iom_trace_open(tmp_path("seq.trace"), &ot, &ea);
	struct iom_trace_reader *b = iom_trace_open(tmp_path("seq.trace"), &oi, &eb);
	cr_assert(a && b);
	struct iom_rec x, y;
	int rx, ry;
	unsigned n = 0;
	do {
		rx = iom_trace_next(a, &x, &ea);
		ry = iom_trace_next(b, &y, &eb);
		cr_assert_eq(rx, ry, "record %u: %d vs %d", n, rx, ry);
		if (rx == 1) {
			cr_assert(memcmp(&x, &y, sizeof(x)) == 0, "record %u differs", n);
			cr_assert_str_eq(iom_trace_where(a), iom_trace_where(b));
			n++;
		}
	} while (rx == 1);
	cr_assert_eq(n, 20000u);
	cr_assert_eq(rx, -IOM_EFORMAT);
	cr_assert_str_eq(ea.msg, eb.msg);
	/* header on line 1, records on lines 2..20001, bad line 20002 */
	cr_assert(strstr(ea.msg, "seq.trace:20002: dma: missing field"), "%s", ea.msg);
	iom_trace_close(a);
	iom_trace_close(b);
}

Test(trace_io, skip_bad_counts_and_skips_text_lines)
{
	/* skip_bad.trace: good lines 2, 5, 7; bad lines 3 (kind), 4 (dir=x),
	 * 6 (time 0 < 3 ns) -> 3 records, 3 skipped */
	for (int threaded = 0; threaded < 2; threaded++) {
		struct iom_trace_reader_opts o = { .threaded = threaded, .skip_bad = true };
		struct iom_err e = { 0 };
		struct iom_trace_reader *r = iom_trace_open(DATA "skip_bad.trace", &o, &e);
		cr_assert_not_null(r);
		struct iom_rec x;
		uint64_t times[3];
		int n = 0, rc;
		while ((rc = iom_trace_next(r, &x, &e)) == 1)
			times[n++] = x.time_ps;
		cr_assert_eq(rc, 0, "%s", e.msg);
		cr_assert_eq(n, 3);
		cr_assert_eq(times[0], 1000u);
		cr_assert_eq(times[1], 3000u);
		cr_assert_eq(times[2], 4000u);
		cr_assert_eq(iom_trace_skipped(r), 3u);
		cr_assert(strstr(iom_trace_where(r), "skip_bad.trace:7"), "%s", iom_trace_where(r));
		iom_trace_close(r);
	}
	/* without skip_bad the first bad line stops the reader */
	struct iom_err e = { 0 };
	uint64_t got;
	cr_assert_eq(read_all(DATA "skip_bad.trace", NULL, &got, &e), -IOM_EFORMAT);
	cr_assert_eq(got, 1u);
	cr_assert(strstr(e.msg, "skip_bad.trace:3:"), "%s", e.msg);
}

Test(trace_io, skip_bad_skips_binary_records_but_not_truncation)
{
	/* records: detach, kind 0x20 (bad), detach; END counts all 3 */
	static const uint8_t ok[] = { 0x04, 0x03, 0x00, 0x10, 0x20, 0x03, 0x00, 0x10,
				      0x04, 0x03, 0x00, 0x10, 0xff, 0x03 };
	spit_bin(tmp_path("s.bin"), ok, sizeof(ok));
	struct iom_trace_reader_opts o = { .threaded = true, .skip_bad = true };
	struct iom_err e = { 0 };
	struct iom_trace_reader *r = iom_trace_open(tmp_path("s.bin"), &o, &e);
	cr_assert_not_null(r, "%s", e.msg);
	struct iom_rec x;
	cr_assert_eq(iom_trace_next(r, &x, &e), 1);
	cr_assert_eq(iom_trace_next(r, &x, &e), 1);
	cr_assert(strstr(iom_trace_where(r), ": record 3"), "%s", iom_trace_where(r));
	cr_assert_eq(iom_trace_next(r, &x, &e), 0, "%s", e.msg);
	cr_assert_eq(iom_trace_skipped(r), 1u);
	iom_trace_close(r);
	/* the same without END still stops */
	spit_bin(tmp_path("t.bin"), ok, sizeof(ok) - 2);
	uint64_t got;
	cr_assert_eq(read_all(tmp_path("t.bin"), &o, &got, &e), -IOM_EFORMAT);
	cr_assert(strstr(e.msg, "no END record after 3 records"), "%s", e.msg);
	cr_assert_eq(got, 2u);
}

/* ------------------------------------------------------------------ */
/* writers                                                             */

Test(trace_io, writer_rejects_invalid_and_backwards_records)
{
	struct iom_err e = { 0 };
	struct iom_trace_writer *w = iom_trace_create(tmp_path("w.txt"), IOM_TRACE_TEXT, 0, &e);
	cr_assert_not_null(w);
	struct iom_rec r = { .kind = IOM_REC_DETACH, .present = IOM_F_TIME | IOM_F_DEV, .time_ps = 5000 };
	cr_assert_eq(iom_trace_write(w, &r, &e), 0);
	cr_assert_eq(iom_trace_comment(w, "hello", &e), 0);
	r.time_ps = 4000;
	cr_assert_eq(iom_trace_write(w, &r, &e), -IOM_EFORMAT);
	cr_assert(strstr(e.msg, "record 2: time goes backwards"), "%s", e.msg);
	r.time_ps = 6000;
	r.present |= IOM_F_PA;
	cr_assert_eq(iom_trace_write(w, &r, &e), -IOM_EFORMAT);
	cr_assert(strstr(e.msg, "detach: field 'pa' not allowed"), "%s", e.msg);
	/* no t: the previous record's 5 ns */
	r.present = IOM_F_DEV;
	cr_assert_eq(iom_trace_write(w, &r, &e), 0);
	cr_assert_eq(iom_trace_comment(w, "two\nlines", &e), -IOM_EINVAL);
	cr_assert_eq(iom_trace_finish(w, &e), 0, "%s", e.msg);
	size_t n;
	char *got = slurp(tmp_path("w.txt"), &n);
	cr_assert_str_eq(got, "# iommusim trace v1\ndetach t=5ns dev=00:00.0\n# hello\n"
			      "detach t=5ns dev=00:00.0\n");
	free(got);
	cr_assert_null(iom_trace_create(tmp_path("w.bin"), IOM_TRACE_BINARY, 10, &e));
	cr_assert_eq(e.code, IOM_EINVAL);
	cr_assert_null(iom_trace_create("/nonexistent-dir/x.trace", IOM_TRACE_TEXT, 0, &e));
	cr_assert_eq(e.code, IOM_EIO);
	cr_assert(strstr(e.msg, "/nonexistent-dir/x.trace: No such file"), "%s", e.msg);
}

Test(trace_io, finish_reports_disk_full)
{
	/* /dev/full accepts open but every write fails with ENOSPC */
	for (int enc = 0; enc < 2; enc++) {
		struct iom_err e = { 0 };
		struct iom_trace_writer *w = iom_trace_create("/dev/full", (enum iom_trace_enc)enc, 0, &e);
		cr_assert_not_null(w, "%s", e.msg);
		struct iom_rec r = { .kind = IOM_REC_DETACH, .present = IOM_F_DEV };
		int rc = 0;
		for (int i = 0; i < 10 && !rc; i++)
			rc = iom_trace_write(w, &r, &e);
		rc = iom_trace_finish(w, &e);
		cr_assert_eq(rc, -IOM_EIO, "enc %d: rc %d %s", enc, rc, e.msg);
		cr_assert(strstr(e.msg, "/dev/full: "), "%s", e.msg);
	}
}

Test(trace_io, dash_reads_stdin)
{
	/* this test runs in its own process, so fd 0 can be replaced */
	convert(DATA "canonical.trace", tmp_path("in.bin"), IOM_TRACE_BINARY);
	FILE *f = freopen(tmp_path("in.bin"), "rb", stdin);
	cr_assert_not_null(f);
	struct iom_err e = { 0 };
	uint64_t n = 0;
	cr_assert_eq(read_all("-", NULL, &n, &e), 0, "%s", e.msg);
	/* the 46 records of canonical.trace */
	cr_assert_eq(n, 46u);
	/* a bad record on stdin is reported as <stdin> */
	spit(tmp_path("bad.txt"), "# iommusim trace v1\nfoo\n", 24);
	cr_assert_not_null(freopen(tmp_path("bad.txt"), "rb", stdin));
	cr_assert_eq(read_all("-", NULL, &n, &e), -IOM_EFORMAT);
	cr_assert(strncmp(e.msg, "<stdin>:2: unknown record kind 'foo'", 36) == 0, "%s", e.msg);
}
