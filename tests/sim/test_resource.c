/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_resource.c - N-server contention (sim/resource.h).  Start times and
 * waits are worked out by hand from the rule in the header: take the server
 * that is free earliest (lowest index on ties), start = max(arrival,
 * free_at), hold it until start + service.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "resource.h"

Test(resource, two_servers_five_requests_exact_starts_and_wait)
{
	struct iom_resource r;
	struct iom_err err = {0};
	cr_assert_eq(iom_resource_init(&r, "walkers", 2, &err), 0, "%s", err.msg);
	/*
	 * (arrival, service)  free_at [s0, s1] before  server  start  wait
	 * r0 (0, 100)         [0, 0]      tie -> s0       0      0    s0 -> 100
	 * r1 (10, 50)         [100, 0]    s1              10     0    s1 -> 60
	 * r2 (20, 30)         [100, 60]   s1              60     40   s1 -> 90
	 * r3 (30, 40)         [100, 90]   s1              90     60   s1 -> 130
	 * r4 (200, 10)        [100, 130]  s0              200    0    s0 -> 210
	 * total wait 100 ps over 2 waiting requests; service 230 ps.
	 */
	const uint64_t arr[] = {0, 10, 20, 30, 200};
	const uint64_t svc[] = {100, 50, 30, 40, 10};
	const uint64_t start[] = {0, 10, 60, 90, 200};
	const uint32_t server[] = {0, 1, 1, 1, 0};
	for (int i = 0; i < 5; i++) {
		uint32_t s = 99;
		uint64_t st = iom_resource_acquire(&r, arr[i], svc[i], &s);
		cr_expect_eq(st, start[i], "r%d: start %llu, expected %llu", i,
		             (unsigned long long)st, (unsigned long long)start[i]);
		cr_expect_eq(s, server[i], "r%d: server %u, expected %u", i, s, server[i]);
	}
	cr_expect_eq(r.acquisitions, 5);
	cr_expect_eq(r.waited, 2);
	cr_expect_eq(r.wait_ps, 100);
	cr_expect_eq(r.busy_ps, 230);
	cr_expect_eq(iom_resource_busy_until(&r, 0), 210);
	cr_expect_eq(iom_resource_busy_until(&r, 1), 130);
	cr_expect_eq(iom_resource_next_free(&r), 130); /* min(210, 130) */
	cr_expect_str_eq(r.name, "walkers");
	iom_resource_fini(&r);
}

Test(resource, earliest_free_server_wins_over_lower_index)
{
	/* s0 busy until 100, s1 until 40, s2 until 40: a request at 10 takes
	 * s1 (earliest 40, lowest index among the tied 40s) and starts at 40. */
	struct iom_resource r;
	cr_assert_eq(iom_resource_init(&r, "ports", 3, NULL), 0);
	iom_resource_acquire(&r, 0, 100, NULL); /* s0 -> 100 */
	iom_resource_acquire(&r, 0, 40, NULL);  /* s1 -> 40 */
	iom_resource_acquire(&r, 0, 40, NULL);  /* s2 -> 40 */
	uint32_t s;
	cr_expect_eq(iom_resource_acquire(&r, 10, 5, &s), 40);
	cr_expect_eq(s, 1);
	cr_expect_eq(r.wait_ps, 30);
	iom_resource_fini(&r);
}

Test(resource, single_server_serialises_back_to_back)
{
	/* Three requests at 0 with service 7: starts 0, 7, 14; waits 0+7+14. */
	struct iom_resource r;
	cr_assert_eq(iom_resource_init(&r, "link", 1, NULL), 0);
	cr_expect_eq(iom_resource_acquire(&r, 0, 7, NULL), 0);
	cr_expect_eq(iom_resource_acquire(&r, 0, 7, NULL), 7);
	cr_expect_eq(iom_resource_acquire(&r, 0, 7, NULL), 14);
	cr_expect_eq(r.wait_ps, 21);
	cr_expect_eq(r.waited, 2);
	cr_expect_eq(iom_resource_next_free(&r), 21);
	iom_resource_fini(&r);
}

Test(resource, reset_frees_servers_and_keeps_stats)
{
	struct iom_resource r;
	cr_assert_eq(iom_resource_init(&r, "q", 2, NULL), 0);
	iom_resource_acquire(&r, 0, 50, NULL);
	iom_resource_acquire(&r, 0, 50, NULL);
	iom_resource_acquire(&r, 0, 50, NULL); /* waits 50 */
	iom_resource_reset(&r);
	cr_expect_eq(iom_resource_next_free(&r), 0);
	cr_expect_eq(iom_resource_acquire(&r, 5, 1, NULL), 5); /* no wait now */
	cr_expect_eq(r.acquisitions, 4);
	cr_expect_eq(r.wait_ps, 50);
	iom_resource_fini(&r);
}

Test(resource, zero_servers_is_einval_naming_the_resource)
{
	struct iom_resource r;
	struct iom_err err = {0};
	cr_assert_eq(iom_resource_init(&r, "smmu0.walkers", 0, &err), -IOM_EINVAL);
	cr_expect_eq(err.code, IOM_EINVAL);
	cr_expect(strstr(err.msg, "smmu0.walkers"), "message: %s", err.msg);
	iom_resource_fini(&r); /* safe after a failed init */
}

/* The sorted-window bookkeeping (slides, binary-search inserts, ties) must
 * pick exactly the server the definition names: the earliest free, lowest
 * index on ties.  Oracle: a plain array scanned linearly. */
Test(resource, matches_the_definition_over_a_long_random_run)
{
	enum { N = 7, STEPS = 20000 };
	struct iom_resource r;
	cr_assert_eq(iom_resource_init(&r, "oracle", N, NULL), 0);
	uint64_t busy[N] = {0}, x = 12345, t = 0;
	for (int i = 0; i < STEPS; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		t += (x >> 60);                  /* arrivals 0..15 ps apart, often equal */
		uint64_t svc = (x >> 33) % 4 ? 40 : (x >> 40) % 200; /* mostly equal, some shorter/longer */
		uint32_t want = 0;
		for (uint32_t s = 1; s < N; s++)
			if (busy[s] < busy[want])
				want = s;
		uint64_t want_start = t > busy[want] ? t : busy[want];
		busy[want] = want_start + svc;
		uint32_t got = 99;
		uint64_t start = iom_resource_acquire(&r, t, svc, &got);
		cr_assert_eq(got, want, "step %d: server %u, expected %u", i, got, want);
		cr_assert_eq(start, want_start, "step %d", i);
	}
	for (uint32_t s = 0; s < N; s++)
		cr_expect_eq(iom_resource_busy_until(&r, s), busy[s]);
	iom_resource_fini(&r);
}
