/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_iova.c - host time per IOVA alloc/free pair for each allocator of
 * models/host/iova_alloc.c under a long random workload, with the modelled
 * cost (iova_alloc's cost model) and the fragmentation at the end.
 *
 * Workload (same for every allocator, seed fixed): a live set of `live`
 * buffers (default 1024) over a 48-bit aperture with the Arm SW_MSI window
 * and a 1 GiB PCI hole below 4 GiB reserved; each step frees a random live
 * buffer and allocates a new one on a random CPU of 4. Sizes: 50 % 4 KB,
 * 30 % 8-64 KB, 15 % 68-128 KB, 5 % 132 KB-1 MB; 90 % for a 48-bit device,
 * 10 % for a 32-bit one, except for bottom_top: QEMU's allocator has no
 * per-device limit (the model would lower its high water mark to 4 GiB for
 * good), so there every buffer is for the 48-bit device; 1 % long-lived.
 * With 1024 buffers always in flight its temporary area is never recycled
 * (nvme resets only when no temporary is in flight). The step sequence is
 * precomputed so the loop times the allocator only. Single thread, wall
 * clock.
 *
 * Usage: bench_iova [steps [live]]   (default 2000000 1024)
 */
#include "iova_alloc.h"

#include "bench-util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define KB 1024ull
#define NCPU 4

struct step {
	uint64_t size, limit;
	uint32_t victim, cpu;
	uint8_t kind;
};

struct buf {
	uint64_t iova, size;
	uint32_t cpu;
	bool ok;
};

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static uint64_t draw_size(uint64_t r)
{
	uint64_t p = r % 100, v = r >> 8;
	if (p < 50)
		return 4 * KB;
	if (p < 80)
		return (v % 15 + 2) * 4 * KB; /* 8-64 KB */
	if (p < 95)
		return (v % 16 + 17) * 4 * KB; /* 68-128 KB */
	return (v % 224 + 33) * 4 * KB;       /* 132 KB - 1 MB */
}

static void run(const char *name, uint32_t algo, bool rcache, const struct step *st,
		uint64_t steps, uint32_t live)
{
	struct iom_iova_alloc_cfg c;
	struct iom_err e = { 0 };
	iom_iova_alloc_cfg_defaults(&c);
	c.algo = algo;
	c.rcache = rcache;
	c.ncpus = NCPU;
	if (algo == IOM_IOVA_BOTTOM_TOP)
		c.start = 0x10000; /* QEMU_VFIO_IOVA_MIN */
	struct iom_iova_alloc *a = iom_iova_alloc_create(&c, &e);
	struct buf *b = calloc(live, sizeof(*b));
	if (!a || !b) {
		fprintf(stderr, "bench_iova: %s\n", e.msg);
		exit(1);
	}
	iom_iova_reserve(a, 0x8000000, 0x80fffff, &e);    /* SW_MSI */
	iom_iova_reserve(a, 0xc0000000, 0xffffffff, &e);  /* PCI MMIO window */
	for (uint32_t i = 0; i < live; i++) {
		b[i].size = st[i].size;
		b[i].cpu = st[i].cpu;
		b[i].ok = !iom_iova_alloc(a, st[i].size,
					  algo == IOM_IOVA_BOTTOM_TOP ? (1ull << 48) - 1 : st[i].limit, st[i].cpu,
					  (enum iom_iova_kind)st[i].kind, &b[i].iova, NULL, &e);
	}
	const struct iom_iova_alloc_stats *s = iom_iova_alloc_stats(a);
	struct iom_iova_alloc_stats s0 = *s;
	double t0 = bench_now_s();
	const uint64_t l48 = (1ull << 48) - 1;
	bool bt = algo == IOM_IOVA_BOTTOM_TOP;
	for (uint64_t i = live; i < steps; i++) {
		const struct step *x = &st[i];
		struct buf *v = &b[x->victim];
		if (v->ok)
			iom_iova_free(a, v->iova, v->size, x->cpu, NULL, &e);
		v->size = x->size;
		v->cpu = x->cpu;
		v->ok = !iom_iova_alloc(a, x->size, bt ? l48 : x->limit, x->cpu, (enum iom_iova_kind)x->kind,
					&v->iova, NULL, &e);
	}
	double dt = bench_now_s() - t0;
	uint64_t pairs = steps - live, ops = (s->allocs - s0.allocs) + (s->frees - s0.frees);
	uint64_t lookups = s->cache_hits + s->cache_misses - s0.cache_hits - s0.cache_misses;
	struct iom_iova_frag f;
	iom_iova_alloc_frag(a, &f);
	printf("%-16s %7.0f ns/pair  model %6.1f ns/op  %5.1f nodes/op  hits %5.1f%%  failed %6" PRIu64
	       "  | free %7.1f GiB in %6" PRIu64 " holes, largest %7.1f GiB, held %6.1f MiB\n",
	       name, dt * 1e9 / (double)pairs,
	       ops ? (double)(s->time_ps - s0.time_ps) / 1e3 / (double)ops : 0.0,
	       ops ? (double)(s->nodes_visited - s0.nodes_visited) / (double)ops : 0.0,
	       lookups ? 100.0 * (double)(s->cache_hits - s0.cache_hits) / (double)lookups : 0.0,
	       s->failed - s0.failed, (double)f.free_bytes / (double)(1ull << 30), f.holes,
	       (double)f.largest_free / (double)(1ull << 30), (double)f.held_bytes / (double)(1 << 20));
	free(b);
	iom_iova_alloc_destroy(a);
}

int main(int argc, char **argv)
{
	uint64_t steps = argc > 1 ? strtoull(argv[1], NULL, 0) : 2000000;
	uint32_t live = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 0) : 1024;
	if (live < 1 || steps <= live) {
		fprintf(stderr, "usage: bench_iova [steps > live] [live >= 1]\n");
		return 2;
	}
	struct step *st = malloc(steps * sizeof(*st));
	if (!st)
		return 1;
	uint64_t x = 0x1234567;
	for (uint64_t i = 0; i < steps; i++) {
		uint64_t r = rnd(&x), q = rnd(&x);
		st[i].size = draw_size(r);
		st[i].limit = q % 10 ? (1ull << 48) - 1 : 0xffffffffull;
		st[i].victim = (uint32_t)((q >> 8) % live);
		st[i].cpu = (uint32_t)((q >> 40) % NCPU);
		st[i].kind = (q >> 48) % 100 ? IOM_IOVA_TEMPORARY : IOM_IOVA_LONG_LIVED;
	}
	printf("bench_iova: %" PRIu64 " alloc/free pairs, %u live buffers, %d CPUs\n", steps - live,
	       live, NCPU);
	run("linux", IOM_IOVA_LINUX, true, st, steps, live);
	run("linux (no cache)", IOM_IOVA_LINUX, false, st, steps, live);
	run("bottom_top", IOM_IOVA_BOTTOM_TOP, false, st, steps, live);
	run("first_fit", IOM_IOVA_FIRST_FIT, false, st, steps, live);
	free(st);
	return 0;
}
