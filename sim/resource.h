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

struct iom_resource {
	const char *name;
	uint32_t servers;
	uint64_t *busy_until_ps; /* one per server */
	uint32_t *heap;          /* server indices, min-heap on (busy_until, index) */
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

/* Acquire one server at arrival_ps for service_ps. Returns the start time
 * (>= arrival_ps); the end time is start + service_ps. *server_out (if not
 * NULL) receives the server index used. */
uint64_t iom_resource_acquire(struct iom_resource *r, uint64_t arrival_ps, uint64_t service_ps,
			      uint32_t *server_out);
/* Earliest time any server is free (no reservation made). */
uint64_t iom_resource_next_free(const struct iom_resource *r);

#ifdef __cplusplus
}
#endif
#endif
