/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_kernel.c - the discrete-event kernel (sim/kernel.h): ordering by
 * (time, scheduling order), cancel semantics, run-until semantics, stop,
 * determinism and the API error paths.  Every expected firing order below is
 * derived by hand from the rule "earlier time first; at equal times, the
 * event scheduled first fires first".
 */
#include <criterion/criterion.h>
#include <string.h>

#include "kernel.h"

#define LOG_MAX 20000

/* Firing log: one (time, arg) pair per event, in firing order. */
struct fire_log {
	size_t n;
	uint64_t time_ps[LOG_MAX];
	uint64_t arg[LOG_MAX];
};

static struct iom_kernel *k;
static struct fire_log *lg;

static void setup(void)
{
	k = iom_kernel_create();
	lg = calloc(1, sizeof(*lg));
	cr_assert(k && lg);
}

static void teardown(void)
{
	iom_kernel_destroy(k);
	free(lg);
}

static void log_fn(struct iom_kernel *kk, void *ctx, uint64_t arg)
{
	struct fire_log *l = ctx;
	cr_assert_lt(l->n, LOG_MAX);
	l->time_ps[l->n] = iom_kernel_now(kk);
	l->arg[l->n] = arg;
	l->n++;
}

static iom_event_id sched(uint64_t t, uint64_t arg)
{
	struct iom_err err = {0};
	iom_event_id id = iom_kernel_schedule(k, t, log_fn, lg, arg, &err);
	cr_assert_neq(id, 0, "schedule at %llu failed: %s", (unsigned long long)t, err.msg);
	return id;
}

static void expect_log(size_t n, const uint64_t *t, const uint64_t *a)
{
	cr_assert_eq(lg->n, n, "fired %zu events, expected %zu", lg->n, n);
	for (size_t i = 0; i < n; i++) {
		cr_expect_eq(lg->time_ps[i], t[i], "event %zu: time %llu, expected %llu", i,
		             (unsigned long long)lg->time_ps[i], (unsigned long long)t[i]);
		cr_expect_eq(lg->arg[i], a[i], "event %zu: arg %llu, expected %llu", i,
		             (unsigned long long)lg->arg[i], (unsigned long long)a[i]);
	}
}

TestSuite(kernel, .init = setup, .fini = teardown);

Test(kernel, fires_by_time_then_scheduling_order)
{
	/* Scheduled as (300,1) (100,2) (200,3) (100,4) (0,5): time order first,
	 * and of the two at 100 ps arg 2 was scheduled before arg 4. */
	sched(300, 1);
	sched(100, 2);
	sched(200, 3);
	sched(100, 4);
	sched(0, 5);
	cr_assert_eq(iom_kernel_pending(k), 5);
	cr_assert_eq(iom_kernel_run(k, IOM_TIME_NEVER), 5);
	const uint64_t t[] = {0, 100, 100, 200, 300};
	const uint64_t a[] = {5, 2, 4, 3, 1};
	expect_log(5, t, a);
	cr_expect_eq(iom_kernel_now(k), 300);
	cr_expect_eq(iom_kernel_pending(k), 0);
	cr_expect_eq(iom_kernel_fired(k), 5);
}

/* Handler of arg 1 schedules arg 10 at now (100) and arg 11 at 150. */
static void spawn_fn(struct iom_kernel *kk, void *ctx, uint64_t arg)
{
	log_fn(kk, ctx, arg);
	struct iom_err err;
	cr_assert_neq(iom_kernel_schedule(kk, iom_kernel_now(kk), log_fn, ctx, 10, &err), 0);
	cr_assert_neq(iom_kernel_schedule_in(kk, 50, log_fn, ctx, 11, &err), 0);
}

Test(kernel, same_time_event_from_handler_fires_after_queued_ones)
{
	/* Queue: (100,1 spawner) (100,2) (150,3). When 1 fires it adds (100,10)
	 * and (150,11), which were scheduled after 2 and 3, so at 100 the order
	 * is 1,2,10 and at 150 it is 3,11 -- all in the same run. */
	struct iom_err err;
	cr_assert_neq(iom_kernel_schedule(k, 100, spawn_fn, lg, 1, &err), 0);
	sched(100, 2);
	sched(150, 3);
	cr_assert_eq(iom_kernel_run(k, 150), 5);
	const uint64_t t[] = {100, 100, 100, 150, 150};
	const uint64_t a[] = {1, 2, 10, 3, 11};
	expect_log(5, t, a);
}

Test(kernel, cancel_removes_pending_event_once)
{
	sched(100, 1);
	iom_event_id mid = sched(200, 2);
	sched(300, 3);
	cr_assert_eq(iom_kernel_cancel(k, mid), 0);
	cr_expect_eq(iom_kernel_pending(k), 2);
	/* A second cancel of the same handle: already cancelled. */
	cr_expect_eq(iom_kernel_cancel(k, mid), -IOM_ENOENT);
	cr_assert_eq(iom_kernel_run(k, IOM_TIME_NEVER), 2);
	const uint64_t t[] = {100, 300};
	const uint64_t a[] = {1, 3};
	expect_log(2, t, a);
	cr_expect_eq(iom_kernel_fired(k), 2);
}

Test(kernel, cancel_of_fired_unknown_or_zero_handle_is_enoent)
{
	iom_event_id id = sched(10, 1);
	cr_assert_eq(iom_kernel_step(k), 1);
	cr_expect_eq(iom_kernel_cancel(k, id), -IOM_ENOENT); /* fired */
	cr_expect_eq(iom_kernel_cancel(k, 0), -IOM_ENOENT);  /* never valid */
	cr_expect_eq(iom_kernel_cancel(k, 12345), -IOM_ENOENT);
	cr_expect_eq(iom_kernel_cancel(k, UINT64_MAX), -IOM_ENOENT);
}

Test(kernel, stale_handle_does_not_cancel_a_reused_slot)
{
	/* The first event fires; the second takes over its storage. The old
	 * handle must not reach the new event. */
	iom_event_id old = sched(10, 1);
	cr_assert_eq(iom_kernel_run(k, IOM_TIME_NEVER), 1);
	iom_event_id fresh = sched(20, 2);
	cr_expect_neq(old, fresh);
	cr_expect_eq(iom_kernel_cancel(k, old), -IOM_ENOENT);
	cr_expect_eq(iom_kernel_pending(k), 1);
	cr_expect_eq(iom_kernel_cancel(k, fresh), 0);
	cr_expect_eq(iom_kernel_pending(k), 0);
}

static iom_event_id victim;

static void cancel_victim_fn(struct iom_kernel *kk, void *ctx, uint64_t arg)
{
	log_fn(kk, ctx, arg);
	cr_expect_eq(iom_kernel_cancel(kk, victim), 0);
}

Test(kernel, handler_can_cancel_a_same_time_event)
{
	/* (50,1) cancels (50,2), which is queued behind it: only 1 and 3 fire. */
	struct iom_err err;
	cr_assert_neq(iom_kernel_schedule(k, 50, cancel_victim_fn, lg, 1, &err), 0);
	victim = sched(50, 2);
	sched(60, 3);
	cr_assert_eq(iom_kernel_run(k, IOM_TIME_NEVER), 2);
	const uint64_t t[] = {50, 60};
	const uint64_t a[] = {1, 3};
	expect_log(2, t, a);
}

Test(kernel, mass_cancel_keeps_order_of_survivors)
{
	/* 5000 events at t = (i * 7919) mod 5000 (a permutation of 0..4999,
	 * 7919 being prime), arg i. Cancel every event with i % 5 != 0: 4000
	 * dead > 1000 live, which forces the heap compaction path. The 1000
	 * survivors (i = 0, 5, 10, ...) must fire in increasing time. */
	static iom_event_id ids[5000];
	for (uint64_t i = 0; i < 5000; i++)
		ids[i] = sched((i * 7919) % 5000, i);
	for (uint64_t i = 0; i < 5000; i++)
		if (i % 5)
			cr_assert_eq(iom_kernel_cancel(k, ids[i]), 0);
	cr_assert_eq(iom_kernel_pending(k), 1000);
	for (uint64_t i = 0; i < 5000; i++)
		if (i % 5)
			cr_assert_eq(iom_kernel_cancel(k, ids[i]), -IOM_ENOENT);
	cr_assert_eq(iom_kernel_run(k, IOM_TIME_NEVER), 1000);
	for (size_t j = 0; j < lg->n; j++) {
		cr_assert_eq(lg->arg[j] % 5, 0);
		cr_assert_eq(lg->time_ps[j], (lg->arg[j] * 7919) % 5000);
		if (j)
			cr_assert_lt(lg->time_ps[j - 1], lg->time_ps[j]);
	}
}

Test(kernel, run_until_is_inclusive_and_advances_now_only_if_events_remain)
{
	sched(100, 1);
	sched(200, 2);
	sched(300, 3);
	/* <= 200 fires 100 and 200; 300 remains, so now = 200 (= until). */
	cr_assert_eq(iom_kernel_run(k, 200), 2);
	cr_expect_eq(iom_kernel_now(k), 200);
	/* Nothing <= 250, but 300 remains: time still advances to 250. */
	cr_assert_eq(iom_kernel_run(k, 250), 0);
	cr_expect_eq(iom_kernel_now(k), 250);
	cr_assert_eq(iom_kernel_run(k, IOM_TIME_NEVER), 1);
	cr_expect_eq(iom_kernel_now(k), 300);
	/* Queue empty: now stays at the last event, not 1000. */
	cr_assert_eq(iom_kernel_run(k, 1000), 0);
	cr_expect_eq(iom_kernel_now(k), 300);
	cr_expect_eq(iom_kernel_fired(k), 3);
}

Test(kernel, run_until_skips_cancelled_events_when_advancing)
{
	/* The only event beyond until is cancelled: the queue holds nothing
	 * live, so now stays at the last fired event (100). */
	sched(100, 1);
	iom_event_id late = sched(500, 2);
	cr_assert_eq(iom_kernel_cancel(k, late), 0);
	cr_assert_eq(iom_kernel_run(k, 400), 1);
	cr_expect_eq(iom_kernel_now(k), 100);
	cr_expect_eq(iom_kernel_step(k), 0);
}

Test(kernel, step_fires_one_event_at_a_time)
{
	sched(5, 1);
	sched(7, 2);
	cr_assert_eq(iom_kernel_step(k), 1);
	cr_expect_eq(iom_kernel_now(k), 5);
	cr_assert_eq(iom_kernel_step(k), 1);
	cr_expect_eq(iom_kernel_now(k), 7);
	cr_assert_eq(iom_kernel_step(k), 0);
	cr_expect_eq(iom_kernel_fired(k), 2);
}

static void stop_fn(struct iom_kernel *kk, void *ctx, uint64_t arg)
{
	log_fn(kk, ctx, arg);
	iom_kernel_stop(kk);
}

Test(kernel, stop_returns_after_current_event)
{
	/* Events at 10, 20 (stops), 30: run returns after 2 with now = 20 and
	 * one event pending; the next run continues with the event at 30. */
	struct iom_err err;
	sched(10, 1);
	cr_assert_neq(iom_kernel_schedule(k, 20, stop_fn, lg, 2, &err), 0);
	sched(30, 3);
	cr_assert_eq(iom_kernel_run(k, IOM_TIME_NEVER), 2);
	cr_expect_eq(iom_kernel_now(k), 20);
	cr_expect_eq(iom_kernel_pending(k), 1);
	cr_assert_eq(iom_kernel_run(k, IOM_TIME_NEVER), 1);
	cr_expect_eq(iom_kernel_now(k), 30);
}

Test(kernel, scheduling_in_the_past_is_einval_with_message)
{
	struct iom_err err = {0};
	sched(300, 1);
	iom_kernel_run(k, 250); /* now = 250 */
	cr_assert_eq(iom_kernel_schedule(k, 249, log_fn, lg, 0, &err), 0);
	cr_expect_eq(err.code, IOM_EINVAL);
	cr_expect(strstr(err.msg, "iom_kernel_schedule"), "message: %s", err.msg);
	cr_expect(strstr(err.msg, "249"), "message: %s", err.msg);
	cr_expect(strstr(err.msg, "250"), "message: %s", err.msg);
	cr_expect_eq(iom_kernel_pending(k), 1);
	/* Exactly now is allowed. */
	cr_expect_neq(iom_kernel_schedule(k, 250, log_fn, lg, 0, &err), 0);
}

Test(kernel, null_handler_is_einval)
{
	struct iom_err err = {0};
	cr_assert_eq(iom_kernel_schedule(k, 10, NULL, NULL, 0, &err), 0);
	cr_expect_eq(err.code, IOM_EINVAL);
	cr_expect(strstr(err.msg, "iom_kernel_schedule"), "message: %s", err.msg);
	cr_expect_eq(iom_kernel_pending(k), 0);
}

Test(kernel, schedule_in_is_relative_and_overflow_is_erange)
{
	struct iom_err err = {0};
	sched(1000, 1);
	iom_kernel_run(k, IOM_TIME_NEVER); /* now = 1000 */
	cr_assert_neq(iom_kernel_schedule_in(k, 234, log_fn, lg, 2, &err), 0);
	iom_kernel_run(k, IOM_TIME_NEVER);
	cr_expect_eq(lg->time_ps[1], 1234); /* 1000 + 234 */
	cr_assert_eq(iom_kernel_schedule_in(k, UINT64_MAX - 1000, log_fn, lg, 3, &err), 0);
	cr_expect_eq(err.code, IOM_ERANGE);
	cr_expect(strstr(err.msg, "iom_kernel_schedule_in"), "message: %s", err.msg);
}

/* Determinism: a workload whose handlers schedule and cancel further events
 * from a fixed-seed LCG; two runs must produce identical firing logs. */
struct chain_ctx {
	struct fire_log *log;
	uint64_t rng;
	iom_event_id last;
	int budget;
};

static uint64_t chain_rand(struct chain_ctx *c)
{
	c->rng = c->rng * 6364136223846793005ull + 1442695040888963407ull;
	return c->rng >> 33;
}

static void chain_fn(struct iom_kernel *kk, void *ctx, uint64_t arg)
{
	struct chain_ctx *c = ctx;
	log_fn(kk, c->log, arg);
	if (c->budget-- <= 0)
		return;
	/* Delays 0..3 ps: plenty of same-time ties. Every 4th event cancels
	 * the previously scheduled one (which may already have fired). */
	for (int i = 0; i < 2; i++) {
		struct iom_err err;
		iom_event_id id =
		    iom_kernel_schedule_in(kk, chain_rand(c) % 4, chain_fn, c, chain_rand(c), &err);
		cr_assert_neq(id, 0);
		if (chain_rand(c) % 4 == 0)
			iom_kernel_cancel(kk, c->last);
		c->last = id;
	}
}

static void chain_run(struct fire_log *out)
{
	struct iom_kernel *kk = iom_kernel_create();
	struct chain_ctx c = {.log = out, .rng = 42, .budget = 5000};
	struct iom_err err;
	for (int i = 0; i < 4; i++)
		cr_assert_neq(iom_kernel_schedule(kk, 0, chain_fn, &c, 1000 + i, &err), 0);
	iom_kernel_run(kk, IOM_TIME_NEVER);
	iom_kernel_destroy(kk);
}

Test(kernel, identical_runs_give_identical_firing_logs)
{
	struct fire_log *other = calloc(1, sizeof(*other));
	cr_assert(other);
	chain_run(lg);
	chain_run(other);
	/* Budget 5000 handlers spawn 2 each, so well over 5000 events fire. */
	cr_assert_gt(lg->n, 5000);
	cr_assert_eq(lg->n, other->n);
	cr_expect_eq(memcmp(lg->time_ps, other->time_ps, lg->n * sizeof(uint64_t)), 0);
	cr_expect_eq(memcmp(lg->arg, other->arg, lg->n * sizeof(uint64_t)), 0);
	for (size_t i = 1; i < lg->n; i++)
		cr_assert_leq(lg->time_ps[i - 1], lg->time_ps[i]);
	free(other);
}

Test(kernel, random_schedule_fires_in_time_then_insertion_order)
{
	/* Invariant: 10000 events with times in 0..99 (many ties) fire with
	 * non-decreasing time, and at equal time with increasing insertion
	 * index (the arg). */
	uint64_t x = 1;
	for (uint64_t i = 0; i < 10000; i++) {
		x = x * 6364136223846793005ull + 1;
		sched((x >> 33) % 100, i);
	}
	cr_assert_eq(iom_kernel_run(k, IOM_TIME_NEVER), 10000);
	for (size_t i = 1; i < lg->n; i++) {
		cr_assert_leq(lg->time_ps[i - 1], lg->time_ps[i]);
		if (lg->time_ps[i - 1] == lg->time_ps[i])
			cr_assert_lt(lg->arg[i - 1], lg->arg[i]);
	}
}

Test(kernel, clock_converts_cycles_and_aligns_to_edges)
{
	struct iom_clock c;
	iom_clock_init(&c, 800); /* 1e6 / 800 = 1250 ps */
	cr_expect_eq(c.period_ps, 1250);
	cr_expect_eq(iom_clock_cycles_ps(&c, 4), 5000);
	cr_expect_eq(iom_clock_align_ps(&c, 2500), 2500); /* on an edge */
	cr_expect_eq(iom_clock_align_ps(&c, 2501), 3750); /* next edge */
	iom_clock_init(&c, 3);                            /* (1e6 + 1) / 3 = 333333 ps, rounded */
	cr_expect_eq(c.period_ps, 333333);
}
