/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_sc_engine.c - the SystemC engine's C API (sim/systemc/iom_sc.h) and
 * the replay run inside it.
 *
 * Every Criterion test runs in its own process, so each gets a fresh SystemC
 * kernel: one elaboration per process (toolchain.md S4) is what the API
 * allows and what each test uses.  The binary links libsystemc, which
 * exports a main() of its own: this file has an explicit Criterion main
 * (toolchain.md S1).
 *
 * Identity: the replay run by the engine must give the same result document
 * as the native replay, byte for byte, on both bundled traces and both IOMMUs.
 * The engine's own figures (SystemC time, waits) are worked out from the
 * trace, read independently with the trace reader.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "config.h"
#include "iom_sc.h"
#include "replay.h"
#include "trace.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SMALL IOM_SOURCE_DIR "/traces/examples/nvme-small.trace"
#define BIG IOM_SOURCE_DIR "/traces/examples/nvme.trace.gz"
#define VTD IOM_SOURCE_DIR "/traces/examples/vtd-default.yaml"

TestSuite(sc_engine, .timeout = 120);

enum engine { NATIVE, SYSTEMC };

/* Replays trace on the system of config (NULL = default) with one engine;
 * returns the result document as the CLI writes it, fills *res. */
static char *replay_json(const char *trace, const char *config, enum engine e,
			 struct iom_replay_result *res)
{
	struct iom_err err = {0};
	struct iom_config *cfg = config ? iom_config_load_file(config, &err)
					: iom_config_create_default();
	cr_assert_not_null(cfg, "%s", err.msg);
	struct iom_system *sys = iom_system_build(cfg, &err);
	cr_assert_not_null(sys, "%s", err.msg);
	struct iom_replay_opts o = {.trace_path = trace};
	int r = e == SYSTEMC ? iom_sc_replay_run(sys, &o, res, &err)
			     : iom_replay_run(sys, &o, res, &err);
	cr_assert_eq(r, 0, "%s", err.msg);
	json_t *doc = iom_replay_result_json(sys, cfg, res, trace);
	cr_assert_not_null(doc);
	char *s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	cr_assert_not_null(s);
	json_decref(doc);
	iom_system_destroy(sys);
	iom_config_destroy(cfg);
	return s;
}

/* Distinct nonzero record times of a trace, and its last record time. */
static uint64_t distinct_times(const char *trace, uint64_t *last)
{
	struct iom_err err = {0};
	struct iom_trace_reader_opts ro = {.threaded = false};
	struct iom_trace_reader *rd = iom_trace_open(trace, &ro, &err);
	cr_assert_not_null(rd, "%s", err.msg);
	const struct iom_rec *rec;
	uint64_t n = 0, prev = 0;
	int r;
	while ((r = iom_trace_next_ref(rd, &rec, &err)) == 1) {
		n += rec->time_ps != prev;
		prev = rec->time_ps;
	}
	cr_assert_eq(r, 0, "%s", err.msg);
	iom_trace_close(rd);
	*last = prev;
	return n;
}

struct combo {
	char trace[256];
	char config[256]; /* "" = the default (SMMUv3) system */
};

ParameterizedTestParameters(sc_engine, replay_json_identical_to_native)
{
	static struct combo c[] = {
		{SMALL, ""}, {SMALL, VTD}, {BIG, ""}, {BIG, VTD},
	};
	return cr_make_param_array(struct combo, c, sizeof(c) / sizeof(c[0]));
}

ParameterizedTest(struct combo *c, sc_engine, replay_json_identical_to_native)
{
	const char *cfg = c->config[0] ? c->config : NULL;
	struct iom_replay_result rn, rs;
	char *native = replay_json(c->trace, cfg, NATIVE, &rn);
	char *sc = replay_json(c->trace, cfg, SYSTEMC, &rs);
	cr_assert_gt(rn.dma_records, 0);
	cr_assert_str_eq(sc, native, "%s on %s: JSON differs", c->trace, cfg ? cfg : "smmuv3");
	cr_assert_eq(rs.end_ps, rn.end_ps);
	cr_assert_eq(rs.first_ps, rn.first_ps);
	free(native);
	free(sc);
}

/* The runner waits once per distinct (nonzero) record time, then once more
 * if the last DMA completes after the last record; SystemC time ends at the
 * replay's end time.  nvme-small ends with an unmap after its last DMA has
 * completed: no final wait. */
Test(sc_engine, systemc_time_follows_the_records)
{
	uint64_t last;
	uint64_t times = distinct_times(SMALL, &last);
	struct iom_replay_result res;
	free(replay_json(SMALL, NULL, SYSTEMC, &res));
	struct iom_sc_info in;
	iom_sc_query(&in);
	cr_assert(in.initialised);
	cr_assert_not(in.finished);
	cr_assert_eq(in.jobs, 1);
	cr_assert_eq(in.job_start_ps, 0);
	cr_assert_eq(res.end_ps, last);
	cr_assert_eq(in.time_ps, last);
	cr_assert_eq(in.waits, times);
	cr_assert_geq(in.delta_cycles, in.waits);
}

/* A trace ending with a DMA: records at 0 (no wait) and 1 us (one wait),
 * then a wait to the DMA's completion, which is after 1 us. */
Test(sc_engine, systemc_time_ends_at_the_last_completion)
{
	char path[] = "/tmp/iom_sc_XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	const char text[] = "# iommusim trace v1\n"
			    "domain t=0ns op=create domain=1\n"
			    "attach t=0ns dev=01:00.0 domain=1\n"
			    "map t=0ns domain=1 iova=0x100000 size=0x1000 pa=0x1000000 prot=rw\n"
			    "dma t=1us dev=01:00.0 iova=0x100000 size=0x40 dir=r\n";
	cr_assert_eq(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	struct iom_replay_result res;
	free(replay_json(path, NULL, SYSTEMC, &res));
	unlink(path);
	struct iom_sc_info in;
	iom_sc_query(&in);
	cr_assert_gt(res.end_ps, 1000000);
	cr_assert_eq(in.time_ps, res.end_ps);
	cr_assert_eq(in.waits, 2);
}

/* Init once, run many: time carries on, and each run is still identical. */
Test(sc_engine, second_run_continues_time_and_matches_native)
{
	struct iom_replay_result r1, r2, rn;
	char *a = replay_json(SMALL, NULL, SYSTEMC, &r1);
	char *b = replay_json(SMALL, VTD, SYSTEMC, &r2);
	char *n = replay_json(SMALL, VTD, NATIVE, &rn);
	cr_assert_str_eq(b, n);
	struct iom_sc_info in;
	iom_sc_query(&in);
	cr_assert_eq(in.jobs, 2);
	cr_assert_eq(in.job_start_ps, r1.end_ps);
	cr_assert_eq(in.time_ps, r1.end_ps + r2.end_ps);
	free(a);
	free(b);
	free(n);
}

struct waits_ctx {
	uint64_t seen[3];
};

static int waits_job(void *ctx, struct iom_err *err)
{
	struct waits_ctx *w = ctx;
	struct iom_sc_info in;
	iom_sc_wait_until(1000);
	iom_sc_query(&in);
	w->seen[0] = in.time_ps;
	iom_sc_wait_until(500); /* in the past: no wait */
	iom_sc_query(&in);
	w->seen[1] = in.time_ps;
	iom_sc_wait_until(3000);
	iom_sc_query(&in);
	w->seen[2] = in.time_ps;
	return 0;
}

Test(sc_engine, wait_until_advances_systemc_time)
{
	struct iom_err err = {0};
	struct waits_ctx w = {{0}};
	cr_assert_eq(iom_sc_run(waits_job, &w, &err), 0, "%s", err.msg);
	cr_assert_eq(w.seen[0], 1000);
	cr_assert_eq(w.seen[1], 1000);
	cr_assert_eq(w.seen[2], 3000);
	struct iom_sc_info in;
	iom_sc_query(&in);
	cr_assert_eq(in.waits, 2);
	cr_assert_eq(in.time_ps, 3000);
	/* a second job's times are relative to its start */
	cr_assert_eq(iom_sc_run(waits_job, &w, &err), 0, "%s", err.msg);
	cr_assert_eq(w.seen[0], 4000);
	cr_assert_eq(w.seen[2], 6000);
}

static int failing_job(void *ctx, struct iom_err *err)
{
	return iom_err_set(err, IOM_EIO, "job %s failed", (const char *)ctx);
}

Test(sc_engine, job_error_reaches_the_caller)
{
	struct iom_err err = {0};
	cr_assert_eq(iom_sc_run(failing_job, "x", &err), -IOM_EIO);
	cr_assert_str_eq(err.msg, "job x failed");
}

Test(sc_engine, init_is_idempotent_and_finish_refuses_more_runs)
{
	struct iom_err err = {0};
	struct iom_sc_info in;
	iom_sc_query(&in);
	cr_assert_not(in.initialised);
	cr_assert_eq(iom_sc_init(&err), 0, "%s", err.msg);
	cr_assert_eq(iom_sc_init(&err), 0, "%s", err.msg);
	iom_sc_finish();
	iom_sc_query(&in);
	cr_assert(in.finished);
	struct waits_ctx w;
	cr_assert_eq(iom_sc_run(waits_job, &w, &err), -IOM_EINVAL);
	cr_assert(strstr(err.msg, "finished"), "%s", err.msg);
}

/* A bad trace fails the same way under both engines. */
Test(sc_engine, trace_error_same_as_native)
{
	char path[] = "/tmp/iom_sc_XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	const char text[] = "# iommusim trace v1\n"
			    "domain t=0ns op=create domain=1\n"
			    "dma t=1us dev=01:00.0 iova=0x1000 size=banana dir=r\n";
	cr_assert_eq(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	struct iom_err en = {0}, es = {0};
	struct iom_replay_result res;
	struct iom_replay_opts o = {.trace_path = path};
	struct iom_config *cfg = iom_config_create_default();
	struct iom_system *a = iom_system_build(cfg, &en), *b = iom_system_build(cfg, &es);
	cr_assert(a && b);
	int rn = iom_replay_run(a, &o, &res, &en);
	int rs = iom_sc_replay_run(b, &o, &res, &es);
	unlink(path);
	cr_assert_eq(rn, -IOM_EFORMAT, "%s", en.msg);
	cr_assert_eq(rs, rn);
	cr_assert_str_eq(es.msg, en.msg);
	iom_system_destroy(a);
	iom_system_destroy(b);
	iom_config_destroy(cfg);
}

/* The replay's engine hook (no SystemC here): called once per record, in
 * order, with the record's time. */
struct hook_ctx {
	uint64_t calls, last, decreasing;
};

static void count_hook(void *ctx, uint64_t now_ps)
{
	struct hook_ctx *h = ctx;
	h->decreasing += now_ps < h->last;
	h->last = now_ps;
	h->calls++;
}

Test(sc_engine, advance_hook_sees_every_record_time)
{
	uint64_t last;
	distinct_times(SMALL, &last);
	struct iom_err err = {0};
	struct iom_config *cfg = iom_config_create_default();
	struct iom_system *sys = iom_system_build(cfg, &err);
	cr_assert_not_null(sys, "%s", err.msg);
	struct hook_ctx h = {0};
	struct iom_replay_opts o = {.trace_path = SMALL, .advance = count_hook, .advance_ctx = &h};
	struct iom_replay_result res;
	cr_assert_eq(iom_replay_run(sys, &o, &res, &err), 0, "%s", err.msg);
	cr_assert_eq(h.calls, res.records);
	cr_assert_eq(h.decreasing, 0);
	cr_assert_eq(h.last, last);
	/* a caller's own hook is refused by the engine */
	cr_assert_eq(iom_sc_replay_run(sys, &o, &res, &err), -IOM_EINVAL);
	iom_system_destroy(sys);
	iom_config_destroy(cfg);
}

/* libsystemc.so exports main() too: make Criterion's the one that runs. */
int main(int argc, char *argv[])
{
	struct criterion_test_set *tests = criterion_initialize();
	int result = 0;
	if (criterion_handle_args(argc, argv, true))
		result = !criterion_run_all_tests(tests);
	criterion_finalize(tests);
	return result;
}
