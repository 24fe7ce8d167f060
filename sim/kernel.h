/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kernel.h - deterministic discrete-event kernel.
 *
 * A binary min-heap ordered by (time_ps, sequence): events at the same time
 * fire in the order they were scheduled, so a run is a pure function of its
 * inputs.  Events can be cancelled by handle (lazy deletion: the slot is
 * marked dead and skipped when it reaches the top).  Time never goes back:
 * scheduling before now() is an API error.
 *
 * Clocks: a component owns a struct iom_clock (frequency in MHz) and
 * converts its cycle counts with iom_clock_cycles_ps(); every clock shares
 * the kernel's picosecond timeline.
 */
#ifndef IOM_SIM_KERNEL_H
#define IOM_SIM_KERNEL_H

#include "iom.h"

#ifdef __cplusplus
extern "C" {
#endif

struct iom_kernel;

typedef void (*iom_event_fn)(struct iom_kernel *k, void *ctx, uint64_t arg);

/* Handle of a scheduled event; 0 is never a valid handle. */
typedef uint64_t iom_event_id;

struct iom_kernel *iom_kernel_create(void);
void iom_kernel_destroy(struct iom_kernel *k);

uint64_t iom_kernel_now(const struct iom_kernel *k);

/* Schedule fn(k, ctx, arg) at absolute time when_ps (>= now).
 * Returns the event handle, or 0 with err set (when_ps < now, no memory). */
iom_event_id iom_kernel_schedule(struct iom_kernel *k, uint64_t when_ps, iom_event_fn fn,
				 void *ctx, uint64_t arg, struct iom_err *err);
/* Schedule relative to now. */
iom_event_id iom_kernel_schedule_in(struct iom_kernel *k, uint64_t delay_ps, iom_event_fn fn,
				    void *ctx, uint64_t arg, struct iom_err *err);
/* Cancel a pending event. Returns 0, or -IOM_ENOENT if it already fired,
 * was cancelled, or never existed. */
int iom_kernel_cancel(struct iom_kernel *k, iom_event_id id);

/* Run one event. Returns 1 if an event fired, 0 if the queue is empty. */
int iom_kernel_step(struct iom_kernel *k);
/* Run until the queue is empty or the next event is later than until_ps
 * (IOM_TIME_NEVER: no limit). now() is advanced to until_ps only if the
 * queue still holds later events. Returns number of events fired. */
uint64_t iom_kernel_run(struct iom_kernel *k, uint64_t until_ps);
/* Ask a running iom_kernel_run() to return after the current event. */
void iom_kernel_stop(struct iom_kernel *k);

size_t iom_kernel_pending(const struct iom_kernel *k);  /* live events */
uint64_t iom_kernel_fired(const struct iom_kernel *k);  /* total fired */

struct iom_clock {
	uint32_t mhz;
	uint64_t period_ps;
};

static inline void iom_clock_init(struct iom_clock *c, uint32_t mhz)
{
	c->mhz = mhz;
	c->period_ps = iom_mhz_to_period_ps(mhz);
}
static inline uint64_t iom_clock_cycles_ps(const struct iom_clock *c, uint64_t cycles)
{
	return cycles * c->period_ps;
}
/* First clock edge at or after t. */
static inline uint64_t iom_clock_align_ps(const struct iom_clock *c, uint64_t t)
{
	if (!c->period_ps)
		return t;
	uint64_t r = t % c->period_ps;
	return r ? t + (c->period_ps - r) : t;
}

#ifdef __cplusplus
}
#endif
#endif
