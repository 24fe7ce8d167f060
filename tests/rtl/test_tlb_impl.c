/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_tlb_impl.c - `iommusim replay --tlb-impl` through the real binary:
 * with the Verilated RTL IOTLB in place of the C TLB a whole replay gives a
 * byte-identical JSON result (every statistic, the resolved configuration),
 * on the bundled NVMe trace with strict and range invalidation, LRU and
 * PLRU, and on a generated static-pool trace; `--tlb-impl lockstep` passes;
 * what the RTL cannot stand in for is refused with exit code 4 and a
 * message saying why, an unknown implementation with exit code 1.
 */
#include "../tools/tools-test.h"

#include <criterion/parameterized.h>

#include "iom.h"

#include <stdarg.h>
#include <sys/wait.h>
#include <unistd.h>

#define NVME IOM_SOURCE_DIR "/traces/examples/nvme.trace.gz"
#define VTD IOM_SOURCE_DIR "/traces/examples/vtd-default.yaml"

TestSuite(tlb_impl, .init = tt_setup, .fini = tt_teardown, .timeout = 300);

/* Runs iommusim with the NULL-terminated arguments, stdout to /dev/null and stderr to
 * err.txt in the test directory; returns the exit code. */
static int runv(const char *first, ...)
{
	const char *argv[64] = { IOMMUSIM };
	size_t n = 1;
	va_list ap;
	va_start(ap, first);
	for (const char *a = first; a && n < 63; a = va_arg(ap, const char *))
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	const char *errf = tpath("err.txt");
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout) || !freopen(errf, "w", stderr))
			_exit(97);
		execv(IOMMUSIM, (char *const *)argv);
		_exit(98);
	}
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st), "iommusim did not exit normally");
	cr_assert_neq(WEXITSTATUS(st), 98, "could not exec %s", IOMMUSIM);
	return WEXITSTATUS(st);
}
#define run(...) runv(__VA_ARGS__, (const char *)NULL)

static char *stderr_text(void)
{
	size_t n;
	return slurp(tpath("err.txt"), &n);
}

static void assert_same_file(const char *a, const char *b)
{
	size_t na, nb;
	char *x = slurp(a, &na), *y = slurp(b, &nb);
	cr_assert(strstr(x, "\"smmu0.tlb.hits\""), "%s has no TLB statistics", a);
	cr_assert_eq(na, nb, "%s: %zu bytes, %s: %zu bytes", a, na, b, nb);
	cr_assert(!memcmp(x, y, na), "%s and %s differ", a, b);
	free(x);
	free(y);
}

struct impl_case { /* by value: Criterion passes parameters to another process */
	bool pool;        /* the generated pool trace, else traces/examples/nvme.trace.gz */
	char set1[40], set2[40];
};

ParameterizedTestParameters(tlb_impl, rtl_replay_json_is_byte_identical_to_native)
{
	static struct impl_case c[] = {
		{ false, "smmu.tlb.policy=lru", "host.invalidation=strict" },
		{ false, "smmu.tlb.policy=plru", "host.invalidation=range" },
		{ false, "smmu.tlb.entries=64", "host.invalidation=lazy" },
		{ true, "smmu.tlb.entries=1536", "smmu.tlb.ways=8" },
		{ true, "smmu.tlb.entries=0", "smmu.tlb.ways=0" }, /* no TLB: nothing replaced */
	};
	return cr_make_param_array(struct impl_case, c, IOM_ARRAY_SIZE(c));
}

ParameterizedTest(struct impl_case *c, tlb_impl, rtl_replay_json_is_byte_identical_to_native)
{
	const char *trace = NVME;
	if (c->pool) {
		trace = tpath("pool.trace.gz");
		int rc = run("gen", "nvme", "--pool-pages", "8192", "--ios", "20000", "-o", trace);
		cr_assert_eq(rc, 0);
	}
	const char *nat = tpath("native.json"), *rtl = tpath("rtl.json");
	cr_assert_eq(run("replay", trace, "--set", c->set1, "--set", c->set2, "--json", nat), 0);
	cr_assert_eq(run("replay", trace, "--set", c->set1, "--set", c->set2, "--tlb-impl", "rtl",
			 "--json", rtl),
		     0);
	char *note = stderr_text();
	cr_assert(strstr(note, "rtl: TLB 0 "), "no account of the RTL run on stderr: %s", note);
	free(note);
	assert_same_file(nat, rtl);
}

Test(tlb_impl, lockstep_passes_on_the_nvme_trace)
{
	cr_assert_eq(run("replay", NVME, "--tlb-impl", "lockstep", "--quiet"), 0);
	char *note = stderr_text();
	cr_assert(strstr(note, "operations compared with the RTL IOTLB, 0 mismatches"), "%s", note);
	free(note);
}

Test(tlb_impl, what_the_rtl_cannot_replace_exits_4_and_says_why)
{
	cr_assert_eq(run("replay", NVME, "--set", "smmu.tlb.policy=fifo", "--tlb-impl", "rtl"), 4);
	char *m = stderr_text();
	cr_assert(strstr(m, "lru and plru") && strstr(m, "'fifo'"), "%s", m);
	free(m);
	/* 65536 entries of 8 ways = 8192 sets: beyond the verilated 4096. */
	cr_assert_eq(run("replay", NVME, "--set", "smmu.tlb.entries=65536", "--tlb-impl", "rtl"),
		     4);
	m = stderr_text();
	cr_assert(strstr(m, "capacity"), "%s", m);
	free(m);
	cr_assert_eq(run("replay", NVME, "--config", VTD, "--tlb-impl", "rtl"), 4);
	m = stderr_text();
	cr_assert(strstr(m, "no SMMUv3 TLB"), "%s", m);
	free(m);
	cr_assert_eq(run("replay", NVME, "--set", "smmu.tlb.policy=random", "--tlb-impl",
			 "lockstep"),
		     4);
}

Test(tlb_impl, unknown_implementation_is_a_usage_error)
{
	cr_assert_eq(run("replay", NVME, "--tlb-impl", "verilog"), 1);
	char *m = stderr_text();
	cr_assert(strstr(m, "bad --tlb-impl 'verilog'"), "%s", m);
	free(m);
	cr_assert_eq(run("replay", NVME, "--tlb-impl"), 1);
}
