/* SPDX-License-Identifier: Apache-2.0 */
/*
 * iom_sc.h - the SystemC engine: a C API over libsystemc (sim/systemc/engine.cpp).
 *
 * C code drives one SystemC kernel per process through four calls:
 *   iom_sc_init    elaborate once (a module with one SC_THREAD, the runner);
 *                  later calls do nothing.  SystemC cannot elaborate twice in
 *                  a process (toolchain.md S4), hence "init once, run many".
 *   iom_sc_run     run a C job inside the runner thread until it returns and
 *                  the kernel has nothing left to do; simulated time carries
 *                  on from run to run.  Inside a job, iom_sc_wait_until()
 *                  advances SystemC time (wait()) to a time relative to the
 *                  start of the job.
 *   iom_sc_query   kernel figures: SystemC time, delta cycles, waits, jobs.
 *   iom_sc_finish  end of simulation (sc_stop); later runs fail.
 * iom_sc_replay_run() is the replay of sim/replay run as such a job: the same
 * C models in the same order, with SystemC time advanced to each record's
 * time before it is simulated.  It gives results identical to
 * iom_replay_run(), see docs/systemc.md for what the kernel adds and not.
 *
 * A C++ program that elaborates its own SystemC platform uses the TLM module
 * of iom_tlm.h instead; this API and such a platform cannot share a process.
 * SystemC errors (sc_report exceptions) never cross into C: they become
 * -IOM_ENOMEM ("internal", exit code 5) with the SystemC message.
 * Not thread-safe: call from one thread.
 */
#ifndef IOM_SIM_SYSTEMC_IOM_SC_H
#define IOM_SIM_SYSTEMC_IOM_SC_H

#include "iom.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

struct iom_system;
struct iom_replay_opts;
struct iom_replay_result;

/* Elaborate the engine (first call only). 0 or -IOM_E* with err set. */
int iom_sc_init(struct iom_err *err);

/* A job: runs inside the SystemC runner thread. Returns 0 or -IOM_E*. */
typedef int (*iom_sc_job_fn)(void *ctx, struct iom_err *err);
/* Run job to completion inside the kernel (initialising it if needed).
 * Returns the job's result, or -IOM_E* for a kernel error. */
int iom_sc_run(iom_sc_job_fn job, void *ctx, struct iom_err *err);
/* Inside a job only: wait() until SystemC time = job start + rel_ps (no
 * wait when that is not in the future). */
void iom_sc_wait_until(uint64_t rel_ps);

struct iom_sc_info {
	bool initialised, finished;
	uint64_t time_ps;      /* SystemC time (sc_time_stamp) */
	uint64_t delta_cycles; /* sc_delta_count() */
	uint64_t waits;        /* wait() calls made by iom_sc_wait_until */
	uint64_t jobs;         /* jobs completed */
	uint64_t job_start_ps; /* SystemC time when the last job started */
};
void iom_sc_query(struct iom_sc_info *info);

/* End the simulation (end_of_simulation callbacks run); runs fail after. */
void iom_sc_finish(void);

/* iom_replay_run() as a job of the engine (o->advance is set by this call;
 * the caller's must be NULL). The same results as the native engine. */
int iom_sc_replay_run(struct iom_system *sys, const struct iom_replay_opts *o,
		      struct iom_replay_result *res, struct iom_err *err);

#ifdef __cplusplus
}
#endif
#endif
