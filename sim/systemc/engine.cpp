// SPDX-License-Identifier: Apache-2.0
/*
 * engine.cpp - the SystemC engine behind the C API of iom_sc.h.
 *
 * One module, iom_sc_engine, with one SC_THREAD (the runner) that waits for
 * jobs.  iom_sc_run() hands it a C function, notifies it and calls
 * sc_start() with no limit: the job runs inside the kernel, and sc_start()
 * returns when the job is done and no event is left (starvation), so control
 * goes back to C with SystemC time where the job left it.
 *
 * The replay job calls iom_replay_run() with the advance hook set to
 * iom_sc_wait_until(): before each record, the runner wait()s until SystemC
 * time equals the record's time (relative to the start of the job), then the
 * record goes through the same C models as natively.  SystemC therefore
 * sequences the records in sc_time; the models compute their own completion
 * times, as they do natively, so the results are identical.  After the last
 * record the runner waits until the replay's end time (last completion), so
 * sc_time_stamp() then equals the simulated end.
 *
 * What this costs: one wait() (a coroutine switch and a timed event) per
 * distinct record time.  Time resolution is SystemC's default 1 ps, so
 * record times map onto sc_time exactly.
 */
#include <systemc>

#include "iom_sc.h"
#include "replay.h"

#include <cstring>
#include <exception>

// libsystemc.so refers to sc_main (it also exports a main() that calls it);
// programs using this engine have their own main(), so this one never runs.
// It is linked only with the engine: a SystemC platform that uses just the
// TLM module (iom_tlm.h) keeps its own sc_main.
int sc_main(int, char **)
{
	return 0;
}

namespace {

using sc_core::sc_time;

// The replay's stack (trace reader, models) runs on the runner's coroutine:
// give it room, sanitizer builds use much more stack.
constexpr std::size_t runner_stack_bytes = 16u << 20;

struct sc_job {
	iom_sc_job_fn fn;
	void *ctx;
	struct iom_err *err;
	int rc;
	bool done;
};

SC_MODULE(iom_sc_engine)
{
	sc_core::sc_event go;
	sc_job *job = nullptr;
	uint64_t waits = 0, jobs = 0, job_start_ps = 0;

	SC_CTOR(iom_sc_engine)
	{
		SC_THREAD(runner);
		set_stack_size(runner_stack_bytes);
	}

	void runner()
	{
		for (;;) {
			wait(go);
			job_start_ps = now_ps();
			job->rc = job->fn(job->ctx, job->err);
			job->done = true;
			jobs++;
		}
	}

	static uint64_t now_ps()
	{
		return sc_core::sc_time_stamp().value(); // resolution 1 ps
	}

	void wait_until(uint64_t rel_ps)
	{
		uint64_t t = job_start_ps + rel_ps, now = now_ps();
		if (t <= now)
			return;
		waits++;
		wait(sc_time::from_value(t - now));
	}
};

iom_sc_engine *engine;
bool finished;

int kernel_error(struct iom_err *err, const char *what, const std::exception &e)
{
	return iom_err_set(err, IOM_ENOMEM, "SystemC kernel: %s: %s", what, e.what());
}

} // namespace

extern "C" int iom_sc_init(struct iom_err *err)
{
	if (engine)
		return 0;
	if (finished)
		return iom_err_set(err, IOM_EINVAL, "SystemC engine: already finished");
	try {
		// The time resolution must be 1 ps (the default) for exact times.
		if (sc_core::sc_get_time_resolution() != sc_time(1, sc_core::SC_PS))
			return iom_err_set(err, IOM_EINVAL,
					   "SystemC engine: time resolution must be 1 ps");
		engine = new iom_sc_engine("iom_sc_engine");
		sc_core::sc_start(sc_core::SC_ZERO_TIME); // end elaboration; runner waits for go
	} catch (const std::exception &e) {
		engine = nullptr;
		return kernel_error(err, "elaboration", e);
	}
	return 0;
}

extern "C" int iom_sc_run(iom_sc_job_fn fn, void *ctx, struct iom_err *err)
{
	int r = iom_sc_init(err);
	if (r)
		return r;
	if (finished)
		return iom_err_set(err, IOM_EINVAL, "SystemC engine: already finished");
	sc_job job = {fn, ctx, err, 0, false};
	try {
		engine->job = &job;
		engine->go.notify(sc_core::SC_ZERO_TIME);
		sc_core::sc_start(); // until the job is done and no event is left
		engine->job = nullptr;
	} catch (const std::exception &e) {
		engine->job = nullptr;
		return kernel_error(err, "run", e);
	}
	if (!job.done)
		return iom_err_set(err, IOM_ENOMEM, "SystemC engine: the job did not complete");
	return job.rc;
}

extern "C" void iom_sc_wait_until(uint64_t rel_ps)
{
	engine->wait_until(rel_ps);
}

extern "C" void iom_sc_query(struct iom_sc_info *info)
{
	std::memset(info, 0, sizeof(*info));
	info->finished = finished;
	if (!engine)
		return;
	info->initialised = true;
	info->time_ps = iom_sc_engine::now_ps();
	info->delta_cycles = sc_core::sc_delta_count();
	info->waits = engine->waits;
	info->jobs = engine->jobs;
	info->job_start_ps = engine->job_start_ps;
}

extern "C" void iom_sc_finish(void)
{
	if (finished || !engine)
		return;
	finished = true;
	try {
		// No "Simulation stopped by user." on stdout: results go there.
		sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO,
							sc_core::SC_DO_NOTHING);
		sc_core::sc_stop(); // paused: runs the end_of_simulation callbacks now
	} catch (const std::exception &) {
		// finishing cannot fail in a way the caller could act on
	}
}

/* ---- the replay as a job ---- */

namespace {

struct replay_job {
	struct iom_system *sys;
	struct iom_replay_opts opts;
	struct iom_replay_result *res;
};

void replay_advance(void *, uint64_t now_ps)
{
	iom_sc_wait_until(now_ps);
}

int replay_job_fn(void *ctx, struct iom_err *err)
{
	replay_job *j = static_cast<replay_job *>(ctx);
	int r = iom_replay_run(j->sys, &j->opts, j->res, err);
	if (!r)
		iom_sc_wait_until(j->res->end_ps); // sc_time_stamp() = simulated end
	return r;
}

} // namespace

extern "C" int iom_sc_replay_run(struct iom_system *sys, const struct iom_replay_opts *o,
				 struct iom_replay_result *res, struct iom_err *err)
{
	if (o->advance)
		return iom_err_set(err, IOM_EINVAL,
				   "SystemC engine: replay options already have an advance hook");
	replay_job j = {sys, *o, res};
	j.opts.advance = replay_advance;
	j.opts.advance_ctx = nullptr;
	return iom_sc_run(replay_job_fn, &j, err);
}
