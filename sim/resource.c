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
 * time is fixed at acquisition.  The search is linear in the number of
 * servers, which is small (<= a few dozen) for every user in the tree.
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
	r->busy_until_ps = calloc(servers, sizeof(*r->busy_until_ps));
	r->heap = malloc(servers * sizeof(*r->heap));
	char *copy = strdup(nm);
	if (!r->busy_until_ps || !r->heap || !copy) {
		free(r->busy_until_ps);
		free(r->heap);
		free(copy);
		r->busy_until_ps = NULL;
		r->heap = NULL;
		return iom_err_set(err, IOM_ENOMEM, "resource '%s': out of memory for %u servers",
		                   nm, servers);
	}
	r->name = copy;
	r->servers = servers;
	for (uint32_t i = 0; i < servers; i++)
		r->heap[i] = i; /* all free at 0: index order is heap order */
	return 0;
}

void iom_resource_fini(struct iom_resource *r)
{
	if (!r)
		return;
	free(r->busy_until_ps);
	free(r->heap);
	free((char *)r->name); /* our strdup() copy; const only for users */
	memset(r, 0, sizeof(*r));
}

void iom_resource_reset(struct iom_resource *r)
{
	memset(r->busy_until_ps, 0, (size_t)r->servers * sizeof(*r->busy_until_ps));
	for (uint32_t i = 0; i < r->servers; i++)
		r->heap[i] = i;
}

/* The heap keeps the earliest-free server (lowest index on ties) on top, so
 * a device with hundreds of outstanding slots costs O(log n) per request. */
static bool res_before(const struct iom_resource *r, uint32_t a, uint32_t b)
{
	uint64_t ta = r->busy_until_ps[a], tb = r->busy_until_ps[b];
	return ta < tb || (ta == tb && a < b);
}

static void res_sift_down(struct iom_resource *r)
{
	uint32_t n = r->servers, i = 0, x = r->heap[0];
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && res_before(r, r->heap[c + 1], r->heap[c]))
			c++;
		if (!res_before(r, r->heap[c], x))
			break;
		r->heap[i] = r->heap[c];
		i = c;
	}
	r->heap[i] = x;
}

uint64_t iom_resource_acquire(struct iom_resource *r, uint64_t arrival_ps, uint64_t service_ps,
                              uint32_t *server_out)
{
	uint32_t s = r->heap[0];
	uint64_t start = IOM_MAX(arrival_ps, r->busy_until_ps[s]);
	r->busy_until_ps[s] = start + service_ps;
	res_sift_down(r); /* only the top's key grew */
	r->acquisitions++;
	if (start > arrival_ps) {
		r->waited++;
		r->wait_ps += start - arrival_ps;
	}
	r->busy_ps += service_ps;
	if (server_out)
		*server_out = s;
	return start;
}

uint64_t iom_resource_next_free(const struct iom_resource *r)
{
	return r->busy_until_ps[r->heap[0]];
}
