/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_kernel.c - speed of the simulation core: event schedule+fire with a
 * steady heap of ~1k and ~1M pending events (each fired event schedules one
 * successor at a pseudo-random delay, so the heap size stays constant and
 * every event costs one push and one pop), and resource acquisitions/s.
 * Prints one line per figure.  Not a test: figures depend on the machine.
 * Rates are per second of process CPU time (CLOCK_PROCESS_CPUTIME_ID): the
 * build machines are shared and wall-clock rates swing with their load; the
 * wall time is printed too.
 */
#include "bench-util.h"

#include <stdio.h>
#include <time.h>

#include "kernel.h"
#include "resource.h"

/* Start/stop of a measured region: CPU and wall seconds. */
struct bench_timer {
	double cpu, wall;
};

static struct bench_timer bench_start(void)
{
	return (struct bench_timer){bench_clock_s(CLOCK_PROCESS_CPUTIME_ID),
	                            bench_clock_s(CLOCK_MONOTONIC)};
}

static struct bench_timer bench_stop(struct bench_timer t0)
{
	return (struct bench_timer){bench_clock_s(CLOCK_PROCESS_CPUTIME_ID) - t0.cpu,
	                            bench_clock_s(CLOCK_MONOTONIC) - t0.wall};
}

struct bench_ctx {
	uint64_t rng;
	uint64_t left;
};

static uint64_t bench_rand(struct bench_ctx *c)
{
	c->rng = c->rng * 6364136223846793005ull + 1442695040888963407ull;
	return c->rng >> 33;
}

/* Re-schedule a successor 1..1024 ns later until the budget is spent. */
static void bench_event(struct iom_kernel *k, void *ctx, uint64_t arg)
{
	struct bench_ctx *c = ctx;
	if (!c->left)
		return;
	c->left--;
	iom_kernel_schedule_in(k, 1000 + (bench_rand(c) & 0xfffff), bench_event, c, arg, NULL);
}

static void bench_kernel(size_t pending, uint64_t events)
{
	struct iom_kernel *k = iom_kernel_create();
	struct bench_ctx c = {.rng = 1, .left = 0};
	for (size_t i = 0; i < pending; i++)
		iom_kernel_schedule(k, bench_rand(&c) & 0xfffff, bench_event, &c, i, NULL);
	c.left = events;
	uint64_t before = iom_kernel_fired(k);
	struct bench_timer t = bench_start();
	while (c.left)
		iom_kernel_step(k);
	t = bench_stop(t);
	uint64_t fired = iom_kernel_fired(k) - before;
	printf("kernel: %zu pending: %.1f M events/s (schedule+fire, %llu events, "
	       "%.3f s CPU, %.3f s wall)\n",
	       pending, fired / t.cpu / 1e6, (unsigned long long)fired, t.cpu, t.wall);
	iom_kernel_destroy(k);
}

static void bench_resource(uint32_t servers, uint64_t n)
{
	struct iom_resource r;
	if (iom_resource_init(&r, "bench", servers, NULL))
		return;
	struct bench_ctx c = {.rng = 7};
	uint64_t t = 0, sink = 0;
	struct bench_timer tm = bench_start();
	for (uint64_t i = 0; i < n; i++) {
		t += bench_rand(&c) & 0x3ff;
		sink += iom_resource_acquire(&r, t, 250ull * servers, NULL); /* ~50% load */
	}
	tm = bench_stop(tm);
	/* sink is printed so the loop cannot be optimised away. */
	printf("resource: %u servers: %.1f M acquisitions/s (%llu acquisitions, %.3f s CPU, "
	       "%.3f s wall, mean wait %.0f ps, sink %llu)\n",
	       servers, n / tm.cpu / 1e6, (unsigned long long)n, tm.cpu, tm.wall,
	       (double)r.wait_ps / (double)r.acquisitions, (unsigned long long)(sink & 1));
	iom_resource_fini(&r);
}

int main(void)
{
	bench_kernel(1000, 20000000);
	bench_kernel(1000000, 10000000);
	bench_resource(1, 50000000);
	bench_resource(8, 50000000);
	return 0;
}
