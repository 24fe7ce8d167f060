/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_trace.c - decode speed and memory of the trace readers
 * (traces/trace.h).
 *
 *   bench_trace [N]        write N synthetic DMA-heavy records (default
 *                          10 M) as text and as gzip binary into a temp
 *                          directory, then print records/s of decoding
 *                          each, threaded and inline, plus file sizes
 *                          (`bench_trace N --keep` leaves the files)
 *   bench_trace --rss N    stream N records (default 100 M) generated on
 *                          the fly by a child process through a pipe into
 *                          a threaded binary reader, and print VmRSS at
 *                          10%, 50% and 100% (it should stay flat)
 *
 * The workload: per 64 records one map, one unmap and one range inval,
 * the rest DMAs from 8 devices to a sliding window of IOVAs.  Figures are
 * wall-clock on whatever machine runs it; not a test.
 */
#include "bench-util.h"
#include "trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Synthetic record i (deterministic, xorshift state in *x). */
static void bench_gen(uint64_t i, uint64_t *x, struct iom_rec *r)
{
	*x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
	memset(r, 0, sizeof(*r));
	r->time_ps = i * 1250; /* 800 M records/s of simulated time */
	r->present = IOM_F_TIME;
	uint64_t base = 0x100000000ull + ((i / 64) % 4096) * 0x10000;
	switch (i % 64) {
	case 0:
		r->kind = IOM_REC_MAP;
		r->present |= IOM_F_DOMAIN | IOM_F_IOVA | IOM_F_SIZE | IOM_F_PA | IOM_F_PROT;
		r->domain = 1, r->iova = base, r->size = 0x10000, r->pa = base << 4, r->prot = 3;
		return;
	case 62:
		r->kind = IOM_REC_UNMAP;
		r->present |= IOM_F_DOMAIN | IOM_F_IOVA | IOM_F_SIZE;
		r->domain = 1, r->iova = base, r->size = 0x10000;
		return;
	case 63:
		r->kind = IOM_REC_INVAL;
		r->present |= IOM_F_OP | IOM_F_DOMAIN | IOM_F_IOVA | IOM_F_SIZE;
		r->op = IOM_OP_RANGE, r->domain = 1, r->iova = base, r->size = 0x10000;
		return;
	}
	r->kind = IOM_REC_DMA;
	r->present |= IOM_F_DEV | IOM_F_IOVA | IOM_F_SIZE | IOM_F_DIR;
	r->dev = 0x10 + (uint32_t)(*x & 7);
	r->iova = base + ((*x >> 8) & 0xffc0);
	r->size = 64u << ((*x >> 24) & 3);
	r->dir = (*x >> 30) & 1;
}

static void bench_write(const char *path, enum iom_trace_enc enc, uint64_t n)
{
	struct iom_err e = { 0 };
	struct iom_trace_writer *w = iom_trace_create(path, enc, 0, &e);
	if (!w) {
		fprintf(stderr, "%s\n", e.msg);
		exit(1);
	}
	uint64_t x = 88172645463325252ull;
	struct iom_rec r;
	for (uint64_t i = 0; i < n; i++) {
		bench_gen(i, &x, &r);
		if (iom_trace_write(w, &r, &e)) {
			fprintf(stderr, "%s\n", e.msg);
			exit(1);
		}
	}
	if (iom_trace_finish(w, &e)) {
		fprintf(stderr, "%s\n", e.msg);
		exit(1);
	}
}

/* Decode a whole trace; prints the rate. */
static void bench_read(const char *label, const char *path, bool threaded, uint64_t n)
{
	struct iom_trace_reader_opts o = { .threaded = threaded };
	struct iom_err e = { 0 };
	double t0 = bench_now_s();
	struct iom_trace_reader *r = iom_trace_open(path, &o, &e);
	if (!r) {
		fprintf(stderr, "%s\n", e.msg);
		exit(1);
	}
	struct iom_rec rec;
	uint64_t sum = 0;
	int rc;
	while ((rc = iom_trace_next(r, &rec, &e)) == 1)
		sum += rec.iova ^ rec.size; /* touch the record */
	double dt = bench_now_s() - t0;
	if (rc < 0 || iom_trace_records(r) != n) {
		fprintf(stderr, "%s: %s\n", label, rc < 0 ? e.msg : "record count mismatch");
		exit(1);
	}
	iom_trace_close(r);
	printf("decode %-6s %-8s: %10.2f M records/s (%llu records in %.3f s, checksum %llx)\n",
	       label, threaded ? "threaded" : "inline", n / dt / 1e6, (unsigned long long)n, dt,
	       (unsigned long long)sum & 0xffff);
}

static long long bench_size(const char *path)
{
	struct stat st;
	return stat(path, &st) ? -1 : (long long)st.st_size;
}

static int bench_speed(uint64_t n, bool keep)
{
	char dir[] = "/tmp/iom-bench-trace-XXXXXX";
	if (!mkdtemp(dir))
		return perror("mkdtemp"), 1;
	char txt[64], bin[64];
	snprintf(txt, sizeof(txt), "%s/t.trace", dir);
	snprintf(bin, sizeof(bin), "%s/t.trace.gz", dir);
	double t0 = bench_now_s();
	bench_write(txt, IOM_TRACE_TEXT, n);
	double t1 = bench_now_s();
	bench_write(bin, IOM_TRACE_BINARY, n);
	double t2 = bench_now_s();
	long long st = bench_size(txt), sb = bench_size(bin);
	printf("records          : %llu (DMA-heavy: 61 of 64 are dma)\n", (unsigned long long)n);
	printf("text   file      : %lld bytes, %.2f bytes/record, written at %.2f M records/s\n", st,
	       (double)st / n, n / (t1 - t0) / 1e6);
	printf("binary file (gz) : %lld bytes, %.2f bytes/record, written at %.2f M records/s\n", sb,
	       (double)sb / n, n / (t2 - t1) / 1e6);
	bench_read("binary", bin, false, n);
	bench_read("binary", bin, true, n);
	bench_read("text", txt, false, n);
	bench_read("text", txt, true, n);
	if (keep) {
		printf("kept: %s %s\n", txt, bin);
		return 0;
	}
	unlink(txt);
	unlink(bin);
	rmdir(dir);
	return 0;
}

static int bench_rss(uint64_t n)
{
	int fds[2];
	if (pipe(fds))
		return perror("pipe"), 1;
	pid_t pid = fork();
	if (pid == 0) { /* producer: binary trace to the pipe via stdout */
		close(fds[0]);
		dup2(fds[1], 1);
		close(fds[1]);
		bench_write("-", IOM_TRACE_BINARY, n);
		_exit(0);
	}
	close(fds[1]);
	dup2(fds[0], 0);
	close(fds[0]);
	struct iom_err e = { 0 };
	long rss0 = bench_rss_kb();
	double t0 = bench_now_s();
	struct iom_trace_reader *r = iom_trace_open("-", NULL, &e);
	if (!r)
		return fprintf(stderr, "%s\n", e.msg), 1;
	struct iom_rec rec;
	uint64_t i = 0, marks[3] = { n / 10, n / 2, n };
	int m = 0, rc;
	printf("streaming %llu records through a pipe (threaded binary reader)\n",
	       (unsigned long long)n);
	printf("VmRSS before open: %ld kB\n", rss0);
	while ((rc = iom_trace_next(r, &rec, &e)) == 1) {
		if (++i == marks[m]) {
			printf("VmRSS at %3d%% (%llu records): %ld kB\n", m == 0 ? 10 : m == 1 ? 50 : 100,
			       (unsigned long long)i, bench_rss_kb());
			fflush(stdout);
			if (m < 2)
				m++;
		}
	}
	double dt = bench_now_s() - t0;
	if (rc < 0)
		fprintf(stderr, "%s\n", e.msg);
	iom_trace_close(r);
	waitpid(pid, NULL, 0);
	printf("%llu records in %.2f s (%.2f M records/s, bounded by the generating writer)\n",
	       (unsigned long long)i, dt, i / dt / 1e6);
	return rc < 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--rss"))
		return bench_rss(argc > 2 ? strtoull(argv[2], NULL, 0) : 100000000ull);
	bool keep = argc > 2 && !strcmp(argv[2], "--keep");
	return bench_speed(argc > 1 ? strtoull(argv[1], NULL, 0) : 10000000ull, keep);
}
