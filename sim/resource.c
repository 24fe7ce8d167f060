/* SPDX-License-Identifier: Apache-2.0 */
/*
 * resource.c - contention as N servers with busy-until times (sim/resource.h).
 *
 * What it models: a pool of identical servers (walker slots, cache ports,
 * link lanes, queue entries).  A request takes the server that becomes free
 * earliest -- lowest index on ties, so results are deterministic -- starts at
 * max(arrival, free_at) and holds the server for its service time.  Waiting
 * time is accumulated for queueing-delay reports.
 *
 * Not modelled: priorities, pre-emption, back-pressure (a request never
 * fails: it just starts later), out-of-order arrival fairness -- requests are
 * served in call order, so callers must present them in time order if they
 * want FIFO semantics.
 * Timing assumptions: servers are free at time 0 after init/reset; service
 * time is fixed at acquisition.  The servers are kept sorted by free time
 * (resource.h): taking the earliest is O(1) and putting it back is O(1) in
 * the usual case (its new free time is the latest); otherwise a binary
 * search and one memmove.
 */
#include "resource.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int iom_resource_init(struct iom_resource *r, const char *name, uint32_t servers,
                      struct iom_err *err)
{
	memset(r, 0, sizeof(*r));
	const char *nm = name ? name : "resource";
	if (servers < 1)
		return iom_err_set(err, IOM_EINVAL, "resource '%s': servers must be >= 1, got 0",
		                   nm);
	r->slots = malloc(2 * (size_t)servers * sizeof(*r->slots));
	char *copy = strdup(nm);
	if (!r->slots || !copy) {
		free(r->slots);
		free(copy);
		r->slots = NULL;
		return iom_err_set(err, IOM_ENOMEM, "resource '%s': out of memory for %u servers",
		                   nm, servers);
	}
	r->name = copy;
	r->servers = servers;
	iom_resource_reset(r);
	return 0;
}

void iom_resource_fini(struct iom_resource *r)
{
	if (!r)
		return;
	free(r->slots);
	free((char *)r->name); /* our strdup() copy; const only for users */
	memset(r, 0, sizeof(*r));
}

void iom_resource_reset(struct iom_resource *r)
{
	r->lo = 0;
	for (uint32_t i = 0; i < r->servers; i++) /* all free at 0: in index order */
		r->slots[i] = (struct iom_res_slot){ .busy_until_ps = 0, .server = i };
}

/* Order: earliest free first, lowest index on ties (deterministic). */
static inline bool res_before(const struct iom_res_slot *a, const struct iom_res_slot *b)
{
	return a->busy_until_ps < b->busy_until_ps ||
	       (a->busy_until_ps == b->busy_until_ps && a->server < b->server);
}

void iom_resource_reinsert_(struct iom_resource *r, struct iom_res_slot x)
{
	uint32_t n = r->servers;
	r->lo++; /* drop the first; n - 1 sorted slots remain at [lo, lo + n - 1) */
	if (r->lo + n > 2 * n) { /* no room at the end: slide the window back */
		memmove(r->slots, r->slots + r->lo, (size_t)(n - 1) * sizeof(*r->slots));
		r->lo = 0;
	}
	struct iom_res_slot *s = r->slots + r->lo;
	uint32_t end = n - 1;
	if (!end || !res_before(&x, &s[end - 1])) {
		s[end] = x; /* the usual case: latest free time */
		return;
	}
	uint32_t a = 0, b = end - 1; /* first position whose slot is after x */
	while (a < b) {
		uint32_t m = a + (b - a) / 2;
		if (res_before(&x, &s[m]))
			b = m;
		else
			a = m + 1;
	}
	memmove(s + a + 1, s + a, (size_t)(end - a) * sizeof(*s));
	s[a] = x;
}

uint64_t iom_resource_busy_until(const struct iom_resource *r, uint32_t server)
{
	for (uint32_t i = 0; i < r->servers; i++)
		if (r->slots[r->lo + i].server == server)
			return r->slots[r->lo + i].busy_until_ps;
	return 0;
}
