/* SPDX-License-Identifier: Apache-2.0 */
/*
 * resource.h - contention modelled as N servers with busy-until times.
 *
 * A request arriving at time t with service time s takes the server that
 * becomes free earliest (lowest index on ties, for determinism), starts at
 * max(t, free_at), and holds it until start + s.  The wait (start - t) is
 * accumulated so callers can report queueing delay.  This is how walker
 * slots, cache ports, link lanes and queue entries are modelled: transactions
 * are direct calls that return completion times, not events.
 */
#ifndef IOM_SIM_RESOURCE_H
#define IOM_SIM_RESOURCE_H

#include "iom.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A server and the time it becomes free. */
struct iom_res_slot {
	uint64_t busy_until_ps;
	uint32_t server;
};

struct iom_resource {
	const char *name;
	uint32_t servers;
	/* The servers sorted by (busy_until_ps, server): slots[lo .. lo+servers-1]
	 * of a buffer of 2 x servers, so taking the first and re-inserting it
	 * (usually at the end: a new busy-until is mostly the latest) is O(1)
	 * amortised; the window slides back to 0 when it reaches the end. */
	struct iom_res_slot *slots;
	uint32_t lo;
	/* statistics */
	uint64_t acquisitions;
	uint64_t waited;       /* acquisitions that had to wait */
	uint64_t wait_ps;      /* total waiting time */
	uint64_t busy_ps;      /* total service time granted */
};

/* servers >= 1. Returns 0 or -IOM_EINVAL / -IOM_ENOMEM. */
int iom_resource_init(struct iom_resource *r, const char *name, uint32_t servers,
		      struct iom_err *err);
void iom_resource_fini(struct iom_resource *r);
void iom_resource_reset(struct iom_resource *r); /* all servers free at 0, stats kept */

/* internal: put x back in order after the first slot was taken */
void iom_resource_reinsert_(struct iom_resource *r, struct iom_res_slot x);

/* Acquire one server at arrival_ps for service_ps. Returns the start time
 * (>= arrival_ps); the end time is start + service_ps. *server_out (if not
 * NULL) receives the server index used.  Inline: it is on every
 * translation's path (cache ports, device slots, walker slots). */
static inline uint64_t iom_resource_acquire(struct iom_resource *r, uint64_t arrival_ps,
					    uint64_t service_ps, uint32_t *server_out)
{
	struct iom_res_slot *first = &r->slots[r->lo];
	uint64_t start = IOM_MAX(arrival_ps, first->busy_until_ps);
	if (server_out)
		*server_out = first->server;
	if (r->servers == 1)
		first->busy_until_ps = start + service_ps;
	else
		iom_resource_reinsert_(r, (struct iom_res_slot){ start + service_ps, first->server });
	r->acquisitions++;
	if (start > arrival_ps) {
		r->waited++;
		r->wait_ps += start - arrival_ps;
	}
	r->busy_ps += service_ps;
	return start;
}

/* When server `server` becomes free (0 for an unknown index); O(n), for tests/reports. */
uint64_t iom_resource_busy_until(const struct iom_resource *r, uint32_t server);

/* Earliest time any server is free (no reservation made). */
static inline uint64_t iom_resource_next_free(const struct iom_resource *r)
{
	return r->slots[r->lo].busy_until_ps;
}

#ifdef __cplusplus
}
#endif
#endif
