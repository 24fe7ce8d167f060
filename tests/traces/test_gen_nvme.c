/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_gen_nvme.c - the NVMe workload generator (traces/gen/gen_nvme.c):
 * the static-pool shape (setup records, buffers inside the pool, the
 * page-size rounding, uniform and Zipf picks), the dynamic shape's IOVA reuse
 * with and without --iova-defer, the bundled example trace still reproduced
 * by the defaults, parameter errors, and the `gen nvme` options.  Each
 * generated trace is written as text into a temporary directory and read
 * back through the normal reader.  Expected values are worked out from the
 * generator's documented shape in the comments.
 */
#include "gen.h"
#include "trace.h"

#include "../tools/tools-test.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define POOL_IOVA 0x40000000ull /* 1 GB */
#define DATA_PA 0x100000000ull  /* 4 GB */
#define SQ_IOVA 0x100000ull
#define CQ_IOVA 0x200000ull
#define IOVA_TOP 0x100000000ull /* dynamic IOVAs grow down from 4 GB */

TestSuite(gen_nvme, .init = tt_setup, .fini = tt_teardown);

struct recs {
	struct iom_rec *v;
	size_t n;
};

/* Generate p as a text trace into g.trace. */
static void gen(const struct iom_gen_nvme *p)
{
	const char *path = tpath("g.trace");
	struct iom_err err = {0};
	struct iom_trace_writer *w = iom_trace_create(path, IOM_TRACE_TEXT, 0, &err);
	cr_assert_not_null(w, "%s", err.msg);
	cr_assert_eq(iom_gen_nvme(p, w, &err), 0, "%s", err.msg);
	cr_assert_eq(iom_trace_finish(w, &err), 0, "%s", err.msg);
}

static struct recs readback(const char *path)
{
	struct iom_err err = {0};
	struct iom_trace_reader *r = iom_trace_open(path, NULL, &err);
	cr_assert_not_null(r, "%s", err.msg);
	struct recs out = {0};
	size_t cap = 0;
	struct iom_rec rec;
	int rc;
	while ((rc = iom_trace_next(r, &rec, &err)) == 1) {
		if (out.n == cap) {
			cap = cap ? cap * 2 : 256;
			out.v = realloc(out.v, cap * sizeof(*out.v));
			cr_assert_not_null(out.v);
		}
		out.v[out.n++] = rec;
	}
	cr_assert_eq(rc, 0, "%s", err.msg);
	iom_trace_close(r);
	return out;
}

/* Generate p and read every record back. */
static struct recs run(const struct iom_gen_nvme *p)
{
	gen(p);
	return readback(tpath("g.trace"));
}

static size_t count_kind(const struct recs *r, unsigned kind)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n; i++)
		n += r->v[i].kind == kind;
	return n;
}

static struct iom_gen_nvme pool_params(uint64_t ios, uint64_t pool_pages)
{
	struct iom_gen_nvme p;
	iom_gen_nvme_defaults(&p);
	p.ios = ios;
	p.pool_pages = pool_pages;
	return p;
}

/* 10 I/Os, a pool of 16 pages: domain, attach, SQ map (64 x 64 B = one page),
 * CQ map (64 x 16 B rounded up to one page), the pool map (16 pages at IOVA
 * 1 GB, PA 4 GB, pgsize 4K, rw), 3 DMAs per I/O, and the roi marker before
 * I/O 10 * 10 % = 1: 5 + 30 + 1 = 36 records, no unmap at all. */
Test(gen_nvme, pool_trace_has_setup_one_pool_map_three_dmas_per_io_and_no_unmap)
{
	struct iom_gen_nvme p = pool_params(10, 16);
	struct recs r = run(&p);
	cr_assert_eq(r.n, 36);
	cr_expect_eq(count_kind(&r, IOM_REC_DMA), 30);
	cr_expect_eq(count_kind(&r, IOM_REC_MAP), 3);
	cr_expect_eq(count_kind(&r, IOM_REC_UNMAP), 0);
	cr_expect_eq(count_kind(&r, IOM_REC_PHASE), 1);
	cr_expect_eq(r.v[0].kind, IOM_REC_DOMAIN);
	cr_expect_eq(r.v[1].kind, IOM_REC_ATTACH);
	cr_expect_eq(r.v[2].iova, SQ_IOVA);
	cr_expect_eq(r.v[2].size, 0x1000);
	cr_expect_eq(r.v[3].iova, CQ_IOVA);
	cr_expect_eq(r.v[3].size, 0x1000);
	const struct iom_rec *m = &r.v[4];
	cr_expect_eq(m->kind, IOM_REC_MAP);
	cr_expect_eq(m->time_ps, 0);
	cr_expect_eq(m->iova, POOL_IOVA);
	cr_expect_eq(m->pa, DATA_PA);
	cr_expect_eq(m->size, 16 * 4096);
	cr_expect(m->present & IOM_F_PGSIZE);
	cr_expect_eq(m->pgsize, 4096);
	cr_expect_eq(m->prot, IOM_PROT_R | IOM_PROT_W);
	/* the SQ/CQ maps of the dynamic shape carry no pgsize (host's choice) */
	cr_expect_not(r.v[2].present & IOM_F_PGSIZE);
	free(r.v);
}

/* 200 I/Os of 8 KB over 64 pages: 32 buffers at 1 GB + k * 8 KB. */
Test(gen_nvme, pool_data_dmas_hit_whole_buffers_inside_the_pool)
{
	struct iom_gen_nvme p = pool_params(200, 64);
	p.io_bytes = 8192;
	struct recs r = run(&p);
	size_t data = 0, sq = 0, cq = 0;
	bool used[32] = {0};
	for (size_t i = 0; i < r.n; i++) {
		const struct iom_rec *d = &r.v[i];
		if (d->kind != IOM_REC_DMA)
			continue;
		if (d->iova >= POOL_IOVA) {
			data++;
			cr_assert_lt(d->iova, POOL_IOVA + 64 * 4096);
			cr_assert_eq((d->iova - POOL_IOVA) % 8192, 0);
			cr_assert_eq(d->size, 8192);
			used[(d->iova - POOL_IOVA) / 8192] = true;
		} else if (d->iova < CQ_IOVA) {
			/* command fetch of I/O k from SQ slot k % 64, in order */
			cr_assert_eq(d->iova, SQ_IOVA + (sq % 64) * 64);
			sq++;
		} else {
			cr_assert_eq(d->iova, CQ_IOVA + (cq % 64) * 16);
			cq++;
		}
	}
	cr_expect_eq(data, 200);
	cr_expect_eq(sq, 200);
	cr_expect_eq(cq, 200);
	/* 200 uniform draws over 32 buffers miss a given one with (31/32)^200 =
	 * 0.2 %: all 32 used is what a working uniform pick gives. */
	for (int b = 0; b < 32; b++)
		cr_expect(used[b], "buffer %d never used", b);
	free(r.v);
}

/* 256 pages = 1 MB mapped with 2 MB pages: the mapping is one 2 MB page,
 * the buffers stay in the first 1 MB. */
Test(gen_nvme, pool_with_2m_pages_maps_whole_pages_and_uses_the_pool_part)
{
	struct iom_gen_nvme p = pool_params(300, 256);
	p.pgsize = 2u << 20;
	struct recs r = run(&p);
	cr_expect_eq(r.v[4].size, 2u << 20);
	cr_expect_eq(r.v[4].pgsize, 2u << 20);
	cr_expect_eq(r.v[4].iova % (2u << 20), 0);
	cr_expect_eq(r.v[4].pa % (2u << 20), 0);
	for (size_t i = 5; i < r.n; i++)
		if (r.v[i].kind == IOM_REC_DMA && r.v[i].iova >= POOL_IOVA)
			cr_assert_lt(r.v[i].iova, POOL_IOVA + (1u << 20));
	free(r.v);
}

/* One buffer: every pick, uniform or Zipf, is buffer 0. */
Test(gen_nvme, pool_of_one_buffer_always_picks_it)
{
	for (uint32_t pick = IOM_GEN_PICK_UNIFORM; pick <= IOM_GEN_PICK_ZIPF; pick++) {
		struct iom_gen_nvme p = pool_params(50, 1);
		p.pick = pick;
		struct recs r = run(&p);
		size_t data = 0;
		for (size_t i = 0; i < r.n; i++)
			if (r.v[i].kind == IOM_REC_DMA && r.v[i].iova >= POOL_IOVA) {
				cr_expect_eq(r.v[i].iova, POOL_IOVA);
				data++;
			}
		cr_expect_eq(data, 50);
		free(r.v);
	}
}

/* Most used buffer's count among the data DMAs of a pool of 4 KB buffers. */
static size_t top_count(const struct recs *r, size_t nbuf)
{
	size_t *c = calloc(nbuf, sizeof(*c)), top = 0;
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].kind == IOM_REC_DMA && r->v[i].iova >= POOL_IOVA) {
			size_t b = (r->v[i].iova - POOL_IOVA) / 4096;
			cr_assert_lt(b, nbuf);
			if (++c[b] > top)
				top = c[b];
		}
	free(c);
	return top;
}

/* Zipf with s = 2 over 1024 buffers: rank 1 has probability
 * 1 / sum_{k<=1024} k^-2 = 1 / (pi^2/6 - ~1/1024) = 0.6083, i.e. 2433 of 4000
 * picks, standard deviation sqrt(4000 * 0.608 * 0.392) = 31; [2250, 2620] is
 * +-6 sigma.  Uniform: 3.9 picks per buffer on average, Poisson; a buffer
 * with 20 or more has probability ~1e-8 (x 1024 buffers). */
Test(gen_nvme, zipf_pick_concentrates_on_the_top_rank_uniform_does_not)
{
	struct iom_gen_nvme p = pool_params(4000, 1024);
	p.pick = IOM_GEN_PICK_ZIPF;
	p.zipf_s = 2.0;
	struct recs z = run(&p);
	size_t top = top_count(&z, 1024);
	cr_expect(top >= 2250 && top <= 2620, "zipf top buffer has %zu of 4000 picks", top);
	free(z.v);
	p.pick = IOM_GEN_PICK_UNIFORM;
	struct recs u = run(&p);
	top = top_count(&u, 1024);
	cr_expect(top < 20, "uniform top buffer has %zu of 4000 picks", top);
	free(u.v);
}

/* Both shapes draw arrival, direction and buffer per I/O in the same order and
 * free a slot at the same time: the command fetches (SQ DMAs) come at the
 * same times, and the data DMAs have the same directions. */
Test(gen_nvme, pool_and_dynamic_shapes_share_arrivals_and_directions)
{
	struct iom_gen_nvme p = pool_params(300, 512);
	struct recs a = run(&p);
	p.pool_pages = 0;
	struct recs b = run(&p);
	size_t ia = 0, ib = 0, n = 0;
	for (;;) {
		while (ia < a.n && !(a.v[ia].kind == IOM_REC_DMA && a.v[ia].size != 16))
			ia++;
		while (ib < b.n && !(b.v[ib].kind == IOM_REC_DMA && b.v[ib].size != 16))
			ib++;
		if (ia == a.n || ib == b.n)
			break;
		/* alternately a 64-byte command fetch and a 4 KB data DMA */
		cr_assert_eq(a.v[ia].size, b.v[ib].size);
		cr_assert_eq(a.v[ia].dir, b.v[ib].dir);
		if (a.v[ia].size == 64)
			cr_assert_eq(a.v[ia].time_ps, b.v[ib].time_ps, "fetch %zu", n);
		n++;
		ia++;
		ib++;
	}
	cr_expect_eq(n, 600);
	cr_expect_eq(ia, a.n);
	cr_expect_eq(ib, b.n);
	free(a.v);
	free(b.v);
}

Test(gen_nvme, same_seed_same_records_other_seed_other_records)
{
	struct iom_gen_nvme p = pool_params(100, 256);
	p.pick = IOM_GEN_PICK_ZIPF;
	size_t n1, n2, n3;
	gen(&p);
	char *t1 = slurp(tpath("g.trace"), &n1);
	gen(&p);
	char *t2 = slurp(tpath("g.trace"), &n2);
	p.seed = 2;
	gen(&p);
	char *t3 = slurp(tpath("g.trace"), &n3);
	cr_expect(n1 == n2 && !memcmp(t1, t2, n1));
	cr_expect(n1 != n3 || memcmp(t1, t3, n1));
	free(t1);
	free(t2);
	free(t3);
}

/* The data-buffer maps of a dynamic trace, with arrivals 10 ms apart on
 * average (100 IOPS) against 5.6 us of service: each I/O is mapped after the
 * previous one was unmapped (checked), so with no defer the LIFO allocator
 * hands back the same IOVA, 4 GB - 4 KB, every time; with --iova-defer N an
 * IOVA comes back N + 1 I/Os later: I/O k gets 4 GB - 4 KB * (1 + k % (N+1)). */
static void check_defer(uint32_t defer)
{
	struct iom_gen_nvme p;
	iom_gen_nvme_defaults(&p);
	p.ios = 30;
	p.iops = 100;
	p.iova_defer = defer;
	struct recs r = run(&p);
	uint64_t k = 0, last_unmap = 0;
	for (size_t i = 0; i < r.n; i++) {
		const struct iom_rec *m = &r.v[i];
		if (m->kind == IOM_REC_UNMAP)
			last_unmap = m->time_ps;
		if (m->kind != IOM_REC_MAP || m->iova == SQ_IOVA || m->iova == CQ_IOVA)
			continue;
		cr_assert(k == 0 || m->time_ps > last_unmap, "I/O %llu overlaps",
			  (unsigned long long)k);
		cr_expect_eq(m->iova, IOVA_TOP - 4096 * (1 + k % (defer + 1ull)),
			     "defer %u, I/O %llu", defer, (unsigned long long)k);
		k++;
	}
	cr_expect_eq(k, 30);
	cr_expect_eq(count_kind(&r, IOM_REC_UNMAP), 30);
	free(r.v);
}

Test(gen_nvme, dynamic_iova_reuse_is_immediate_or_deferred_by_n_unmaps)
{
	check_defer(0);
	check_defer(1);
	check_defer(4);
}

/* The defaults (with --ios 40) still write traces/examples/nvme-small.trace,
 * record for record, so the bundled traces and the golden replay stay valid. */
Test(gen_nvme, defaults_reproduce_the_bundled_small_trace)
{
	struct iom_gen_nvme p;
	iom_gen_nvme_defaults(&p);
	p.ios = 40;
	struct recs a = run(&p);
	struct recs b = readback(IOM_SOURCE_DIR "/traces/examples/nvme-small.trace");
	cr_assert_eq(a.n, b.n);
	for (size_t i = 0; i < a.n; i++) {
		char x[256], y[256];
		iom_rec_format(&a.v[i], x, sizeof(x));
		iom_rec_format(&b.v[i], y, sizeof(y));
		cr_assert_str_eq(x, y, "record %zu", i);
	}
	free(a.v);
	free(b.v);
}

struct bad_case {
	const char *what;
	uint64_t pool_pages, pgsize, mem;
	uint32_t io_bytes, pick, defer;
	double zipf_s;
	const char *msg;
};

Test(gen_nvme, bad_pool_parameters_are_rejected_with_a_reason)
{
	static const struct bad_case cases[] = {
		{"pgsize without pool", 0, 2u << 20, 1u << 30, 4096, 0, 0, 1, "static pool only"},
		{"zipf without pool", 0, 4096, 1u << 30, 4096, 1, 0, 1, "static pool only"},
		{"partial buffer", 3, 4096, 1u << 30, 8192, 0, 0, 1, "whole number"},
		{"8K pages", 16, 8192, 1u << 30, 4096, 0, 0, 1, "4K, 2M or 1G"},
		{"pool over memory", 65536, 4096, 64u << 20, 4096, 0, 0, 1, "does not fit"},
		{"2M rounding over memory", 16, 2u << 20, 1u << 20, 4096, 0, 0, 1, "does not fit"},
		{"zipf s = 0", 16, 4096, 1u << 30, 4096, 1, 0, 0, "zipf exponent"},
		{"defer with pool", 16, 4096, 1u << 30, 4096, 0, 8, 1, "iova defer"},
		{"pool too big", (1u << 22) + 1, 4096, 1ull << 40, 4096, 0, 0, 1, "pages is over"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bad_case *c = &cases[i];
		struct iom_gen_nvme p;
		iom_gen_nvme_defaults(&p);
		p.ios = 10;
		p.pool_pages = c->pool_pages;
		p.pgsize = c->pgsize;
		p.mem_bytes = c->mem;
		p.io_bytes = c->io_bytes;
		p.pick = c->pick;
		p.iova_defer = c->defer;
		p.zipf_s = c->zipf_s;
		struct iom_err err = {0};
		struct iom_trace_writer *w =
			iom_trace_create(tpath("bad.trace"), IOM_TRACE_TEXT, 0, &err);
		cr_assert_not_null(w);
		cr_expect_eq(iom_gen_nvme(&p, w, &err), -IOM_EINVAL, "%s", c->what);
		cr_expect_not_null(strstr(err.msg, c->msg), "%s: message '%s'", c->what, err.msg);
		iom_trace_finish(w, &err);
	}
}

/* ---- the command line ---- */

static int sh(const char *cmd)
{
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(gen_nvme, cli_pool_options_reach_the_trace_and_its_comment)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "%s gen nvme --ios 20 --pool-pages 512 --pgsize 2M --pick zipf --zipf-s 1.5 -o %s",
		 IOMMUSIM, tpath("c.trace"));
	cr_assert_eq(sh(cmd), 0);
	size_t n;
	char *t = slurp(tpath("c.trace"), &n);
	const char *opts = " --pool-pages 512 --pgsize 2097152 --pick zipf --zipf-s 1.5\n";
	cr_expect_not_null(strstr(t, opts), "%s", t);
	cr_expect_not_null(
		strstr(t, "iova=0x40000000 size=0x200000 pa=0x100000000 pgsize=0x200000"), "%s", t);
	free(t);
	snprintf(cmd, sizeof(cmd), "%s gen nvme --ios 20 --iova-defer 8 -o %s", IOMMUSIM,
		 tpath("d.trace"));
	cr_assert_eq(sh(cmd), 0);
	t = slurp(tpath("d.trace"), &n);
	cr_expect_not_null(strstr(t, " --warmup-pct 10 --iova-defer 8\n"), "%s", t);
	free(t);
}

Test(gen_nvme, cli_bad_pick_or_exponent_is_a_usage_error)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "%s gen nvme --pick hot -o %s 2>/dev/null", IOMMUSIM,
		 tpath("x.trace"));
	cr_expect_eq(sh(cmd), 1);
	snprintf(cmd, sizeof(cmd), "%s gen nvme --pool-pages 8 --zipf-s x -o %s 2>/dev/null",
		 IOMMUSIM, tpath("x.trace"));
	cr_expect_eq(sh(cmd), 1);
	snprintf(cmd, sizeof(cmd), "%s gen nvme --pool-pages 3 --io-size 8K -o %s 2>/dev/null",
		 IOMMUSIM, tpath("x.trace"));
	cr_expect_eq(sh(cmd), 2);
}
