/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_sc_cli.c - `iommusim replay --engine systemc` through the real binary:
 * its JSON result equals the native one byte for byte on both bundled traces
 * and both IOMMUs, and the option is checked.  Does not link SystemC itself.
 */
#include "../tools/tools-test.h"

#include <stdarg.h>
#include <sys/wait.h>
#include <unistd.h>

#define BIG IOM_SOURCE_DIR "/traces/examples/nvme.trace.gz"
#define VTD IOM_SOURCE_DIR "/traces/examples/vtd-default.yaml"

TestSuite(sc_cli, .init = tt_setup, .fini = tt_teardown, .timeout = 120);

/* Runs iommusim with the NULL-terminated arguments, stdout to out (or
 * /dev/null), stderr discarded; returns the exit code. */
static int runv(const char *out, const char *first, ...)
{
	const char *argv[64] = {IOMMUSIM};
	size_t n = 1;
	va_list ap;
	va_start(ap, first);
	for (const char *a = first; a && n < 63; a = va_arg(ap, const char *))
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		if (!freopen(out ? out : "/dev/null", "w", stdout) ||
		    !freopen("/dev/null", "w", stderr))
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
#define run(out, ...) runv(out, __VA_ARGS__, (const char *)NULL)

static void same_json(const char *trace, const char *config)
{
	const char *a = tpath("native.json"), *b = tpath("systemc.json");
	if (config) {
		cr_assert_eq(run(NULL, "replay", "--config", config, trace, "--json", a, "--quiet"),
			     0);
		cr_assert_eq(run(NULL, "replay", "--engine", "systemc", "--config", config, trace,
				 "--json", b, "--quiet"), 0);
	} else {
		cr_assert_eq(run(NULL, "replay", trace, "--json", a, "--quiet"), 0);
		cr_assert_eq(run(NULL, "replay", "--engine", "systemc", trace, "--json", b,
				 "--quiet"), 0);
	}
	size_t na, nb;
	char *ja = slurp(a, &na), *jb = slurp(b, &nb);
	cr_assert_gt(na, 1000);
	cr_assert_eq(nb, na, "%s: JSON sizes differ", trace);
	cr_assert(!memcmp(ja, jb, na), "%s (%s): JSON differs", trace, config ? config : "smmuv3");
	free(ja);
	free(jb);
}

Test(sc_cli, json_identical_small_smmuv3) { same_json(SMALL, NULL); }
Test(sc_cli, json_identical_small_vtd) { same_json(SMALL, VTD); }
Test(sc_cli, json_identical_nvme_smmuv3) { same_json(BIG, NULL); }
Test(sc_cli, json_identical_nvme_vtd) { same_json(BIG, VTD); }

Test(sc_cli, summary_names_the_engine)
{
	const char *out = tpath("out.txt");
	cr_assert_eq(run(out, "replay", "--engine", "systemc", SMALL), 0);
	size_t n;
	char *s = slurp(out, &n);
	cr_assert(strstr(s, "\nengine       systemc: SystemC time "), "%s", s);
	free(s);
	cr_assert_eq(run(out, "replay", "--engine", "native", SMALL), 0);
	s = slurp(out, &n);
	cr_assert_null(strstr(s, "engine       systemc"), "%s", s);
	free(s);
}

Test(sc_cli, bad_engine_is_a_usage_error)
{
	cr_assert_eq(run(NULL, "replay", "--engine", "gem5", SMALL), 1);
	cr_assert_eq(run(NULL, "replay", SMALL, "--engine"), 1);
}
