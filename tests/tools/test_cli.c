/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_cli.c - the `iommusim` command as a user runs it: the real binary is
 * executed (fork/exec, stdout and stderr captured together) and its exit
 * code and one-line message are checked for every kind of bad input.
 *
 * Expected exit codes come from docs/cli.md / tools/main.c: 1 usage, 2 bad
 * input (malformed trace or configuration), 3 I/O error, 4 not implemented.
 * Expected message locations come from docs/trace-format.md section 5
 * (FILE:LINE for text records, FILE for whole-file problems) and from the
 * config rules (FILE:LINE:COL for YAML problems).
 *
 * Bad fixtures are written into a fresh mkdtemp() directory per test, so
 * tests never share files and can run in parallel under ctest.
 */
#include "tools-test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>


/* ---- running the binary ---------------------------------------------- */

struct run {
	int status; /* exit code, or -1 if killed / not run */
	char *out;  /* stdout + stderr (or stdout only, see run_split) */
	size_t len;
};

TestSuite(cli, .init = tt_setup, .fini = tt_teardown, .timeout = 60);

/* Runs iommusim with argv (NULL-terminated, argv[0] excluded); captures
 * stdout (+ stderr when merge) in r->out. drop_root: setuid(nobody) first. */
static struct run run_argv(const char *const *args, int merge, int drop_root)
{
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		const char *argv[64] = {IOMMUSIM};
		size_t n = 1;
		while (args[n - 1] && n < 63) {
			argv[n] = args[n - 1];
			n++;
		}
		argv[n] = NULL;
		dup2(fds[1], 1);
		if (merge)
			dup2(fds[1], 2);
		else
			dup2(open("/dev/null", O_WRONLY), 2);
		close(fds[0]);
		close(fds[1]);
		if (drop_root && geteuid() == 0 && (setgid(65534) || setuid(65534)))
			_exit(99);
		execv(IOMMUSIM, (char *const *)argv);
		_exit(98);
	}
	close(fds[1]);
	struct run r = {.status = -1};
	size_t cap = 4096;
	r.out = malloc(cap + 1);
	ssize_t k;
	while ((k = read(fds[0], r.out + r.len, cap - r.len)) > 0) {
		r.len += (size_t)k;
		if (r.len == cap)
			r.out = realloc(r.out, (cap *= 2) + 1);
	}
	r.out[r.len] = 0;
	close(fds[0]);
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	if (WIFEXITED(st))
		r.status = WEXITSTATUS(st);
	cr_assert_neq(r.status, 98, "could not exec %s", IOMMUSIM);
	return r;
}

/* run("replay", "x.trace", NULL): stdout and stderr merged. */
static struct run runv(const char *first, ...)
{
	const char *args[64];
	size_t n = 0;
	va_list ap;
	va_start(ap, first);
	for (const char *a = first; a && n < 63; a = va_arg(ap, const char *))
		args[n++] = a;
	va_end(ap);
	args[n] = NULL;
	return run_argv(args, 1, 0);
}
#define run(...) runv(__VA_ARGS__, (const char *)NULL)

/* Exit code `code` and an "iommusim: error: <where>..." line. */
static void expect_fail(struct run r, int code, const char *where, const char *what)
{
	cr_expect_eq(r.status, code, "exit %d (want %d): %s", r.status, code, r.out);
	cr_expect(strstr(r.out, where) != NULL, "location '%s' not in: %s", where, r.out);
	if (what)
		cr_expect(strstr(r.out, what) != NULL, "'%s' not in: %s", what, r.out);
	/* one-line message: exactly one newline, at the end */
	char *nl = strchr(r.out, '\n');
	cr_expect(nl && nl[1] == 0, "not a single line: %s", r.out);
	free(r.out);
}

/* Replay a hand-written text trace; expect failure at `where`. */
static void bad_trace(const char *name, const char *text, int code, const char *where,
		      const char *what)
{
	spits(tpath(name), text);
	expect_fail(run("replay", "--quiet", "--no-progress", tpath(name)), code, where, what);
}

/* ---- malformed text traces: exit 2, FILE:LINE --------------------------- */

Test(cli, unknown_record_kind_exits_2_with_file_and_line)
{
	bad_trace("kind.trace", HDR "# comment\nfoo t=1 dev=01:00.0\n", 2, "kind.trace:3:",
		  "unknown record kind 'foo'");
}

Test(cli, missing_field_exits_2_with_file_and_line)
{
	bad_trace("miss.trace", HDR "dma t=1 dev=01:00.0 iova=0x1000 dir=r\n", 2, "miss.trace:2:",
		  "missing field 'size'");
}

Test(cli, duplicate_field_exits_2_with_file_and_line)
{
	bad_trace("dup.trace", HDR "\ndma t=1 dev=01:00.0 iova=0x1000 iova=0x2000 size=4 dir=r\n", 2,
		  "dup.trace:3:", "duplicate field 'iova'");
}

Test(cli, non_numeric_value_exits_2_with_file_and_line)
{
	bad_trace("nonnum.trace", HDR "dma t=1 dev=01:00.0 iova=0x10zz size=4 dir=r\n", 2,
		  "nonnum.trace:2:", "'0x10zz'");
}

Test(cli, out_of_range_value_exits_2_with_file_and_line)
{
	/* function 8 does not fit the 3-bit function number */
	bad_trace("dev.trace", HDR "domain t=0 op=create domain=1\ndma t=1 dev=01:00.8 iova=0 size=4 dir=r\n",
		  2, "dev.trace:3:", "01:00.8");
	/* pasid is 20 bits: 0x100000 is one too many */
	bad_trace("pasid.trace", HDR "dma t=1 dev=01:00.0 pasid=0x100000 iova=0 size=4 dir=r\n", 2,
		  "pasid.trace:2:", "pasid");
}

Test(cli, iova_plus_size_overflow_exits_2_with_file_and_line)
{
	/* 0xfffffffffffffff0 + 0x20 - 1 passes 2^64 - 1 */
	bad_trace("ovf.trace", HDR "dma t=1 dev=01:00.0 iova=0xfffffffffffffff0 size=0x20 dir=r\n", 2,
		  "ovf.trace:2:", "overflows");
}

Test(cli, wrong_magic_and_wrong_version_exit_2)
{
	bad_trace("magic.trace", "hello there\n", 2, "magic.trace:1:", "not an iommusim trace");
	bad_trace("ver.trace", "# iommusim trace v2\n", 2, "ver.trace:1:", "version 2");
}

Test(cli, empty_file_exits_2)
{
	bad_trace("empty.trace", "", 2, "empty.trace: ", "empty trace");
}

/* ---- binary traces ------------------------------------------------------ */

/* nvme-small converted by the CLI to binary in tmpdir. */
static char *small_binary(size_t *len)
{
	struct run r = run("trace", "convert", SMALL, tpath("small.gz"));
	cr_assert_eq(r.status, 0, "%s", r.out);
	free(r.out);
	return slurp(tpath("small.gz"), len);
}

Test(cli, truncated_gzip_exits_2_naming_the_file)
{
	size_t n;
	char *b = small_binary(&n);
	cr_assert_gt(n, 600);
	spit(tpath("trunc.gz"), b, n / 2); /* cut mid-stream: no gzip trailer */
	free(b);
	expect_fail(run("replay", "--quiet", tpath("trunc.gz")), 2, "trunc.gz: ", "truncated");
}

Test(cli, corrupt_gzip_exits_2_naming_the_file)
{
	size_t n;
	char *b = small_binary(&n);
	/* scramble the deflate data past the 10-byte gzip header */
	for (size_t i = 40; i + 20 < n; i += 7)
		b[i] ^= 0x5a;
	spit(tpath("corrupt.gz"), b, n);
	free(b);
	expect_fail(run("replay", "--quiet", tpath("corrupt.gz")), 2, "corrupt.gz: ", NULL);
}

Test(cli, binary_wrong_magic_and_version_exit_2)
{
	/* gzip-compressed bytes that are neither IOMTRACE nor text: "bad magic";
	 * then a v2 binary header.  Compressed with the system gzip, as any
	 * gzip stream (RFC 1952) is accepted. */
	spits(tpath("m.raw"), "NOTATRACE-------xxxxxxxx");
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "gzip -c '%s' > '%s'", tpath("m.raw"), tpath("magic.gz"));
	cr_assert_eq(system(cmd), 0);
	expect_fail(run("replay", "--quiet", tpath("magic.gz")), 2, "magic.gz: ", "bad magic");
	/* "IOMTRACE", u16 version 2 LE, u16 flags 0, u32 reserved 0 */
	static const char hdr[16] = {'I', 'O', 'M', 'T', 'R', 'A', 'C', 'E', 2, 0, 0, 0, 0, 0, 0, 0};
	spit(tpath("v.raw"), hdr, sizeof(hdr));
	snprintf(cmd, sizeof(cmd), "gzip -c '%s' > '%s'", tpath("v.raw"), tpath("ver.gz"));
	cr_assert_eq(system(cmd), 0);
	expect_fail(run("replay", "--quiet", tpath("ver.gz")), 2, "ver.gz: ", "version 2");
}

/* ---- configuration ------------------------------------------------------ */

static void bad_config(const char *name, const char *yaml, int code, const char *where,
		       const char *what)
{
	spits(tpath(name), yaml);
	expect_fail(run("replay", "--quiet", "--config", tpath(name), SMALL), code, where, what);
}

Test(cli, unknown_config_key_exits_2_with_file_line_col)
{
	/* 'wayz' is on line 3, indented 4 -> column 5 */
	bad_config("unk.yaml", "smmu:\n  tlb:\n    wayz: 4\n", 2, "unk.yaml:3:5:", "smmu.tlb.wayz");
}

Test(cli, wrong_config_type_exits_2_with_location)
{
	/* the value 'lots' starts at line 3 column 14 */
	bad_config("type.yaml", "smmu:\n  tlb:\n    entries: lots\n", 2, "type.yaml:3:14:",
		   "smmu.tlb.entries");
}

Test(cli, config_value_out_of_range_exits_2_with_location)
{
	/* smmu.clock_mhz is [1, 100000]: 0 is out */
	bad_config("range.yaml", "smmu:\n  clock_mhz: 0\n", 2, "range.yaml:2:14:", "smmu.clock_mhz");
}

Test(cli, set_override_with_bad_value_exits_2_naming_the_key)
{
	expect_fail(run("replay", "--quiet", "--set", "smmu.tlb.entries=abc", SMALL), 2,
		    "smmu.tlb.entries", "abc");
}

Test(cli, vtd_feature_the_model_lacks_exits_4_not_implemented)
{
	bad_config("vtd.yaml", "system:\n  iommu: vtd\nvtd:\n  qi: false\n", 4, "vtd.qi",
		   "not implemented");
	expect_fail(run("replay", "--quiet", "--set", "system.iommu=vtd", "--set", "vtd.qi=false",
			SMALL), 4, "vtd.qi", "not implemented");
}

/* ---- I/O errors: exit 3 -------------------------------------------------- */

Test(cli, missing_trace_exits_3)
{
	expect_fail(run("replay", "--quiet", tpath("nope.trace")), 3, "nope.trace",
		    "No such file");
}

Test(cli, missing_config_exits_3)
{
	expect_fail(run("replay", "--quiet", "--config", tpath("nope.yaml"), SMALL), 3, "nope.yaml",
		    "No such file");
	expect_fail(run("config", "--config", tpath("nope.yaml"), "--resolved"), 3, "nope.yaml",
		    "No such file");
}

Test(cli, unreadable_trace_exits_3)
{
	spits(tpath("secret.trace"), HDR);
	chmod(tpath("secret.trace"), 0);
	/* root reads anything: the child drops to nobody (65534) before exec */
	const char *args[] = {"replay", "--quiet", tpath("secret.trace"), NULL};
	struct run r = run_argv(args, 1, 1);
	if (r.status == 99) {
		free(r.out);
		cr_skip_test("running as root and cannot drop privileges");
	}
	if (geteuid() != 0 && access(tpath("secret.trace"), R_OK) == 0) {
		free(r.out);
		cr_skip_test("file is readable despite mode 000");
	}
	expect_fail(r, 3, "secret.trace", "Permission denied");
}

/* ---- usage: exit 1; not implemented: exit 4 --------------------------------- */

Test(cli, unknown_subcommand_exits_1)
{
	struct run r = run("frobnicate");
	cr_expect_eq(r.status, 1, "%s", r.out);
	cr_expect(strstr(r.out, "unknown command 'frobnicate'"), "%s", r.out);
	cr_expect(strstr(r.out, "usage: iommusim"), "%s", r.out);
	free(r.out);
	r = run("trace", "frob");
	cr_expect_eq(r.status, 1, "%s", r.out);
	cr_expect(strstr(r.out, "frob"), "%s", r.out);
	free(r.out);
}

Test(cli, unknown_option_exits_1)
{
	static const char *const cmds[][3] = {
		{"replay", "--frob", SMALL},
		{"config", "--frob", NULL},
		{"trace", "convert", "--frob"},
		{"gen", "nvme", "--frob"},
	};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		const char *args[5] = {cmds[i][0], cmds[i][1], cmds[i][2], NULL};
		struct run r = run_argv(args, 1, 0);
		cr_expect_eq(r.status, 1, "%s %s: exit %d: %s", cmds[i][0], cmds[i][1], r.status, r.out);
		cr_expect(strstr(r.out, "--frob"), "%s: %s", cmds[i][0], r.out);
		free(r.out);
	}
	struct run r = run("replay");
	cr_expect_eq(r.status, 1, "no trace: %s", r.out);
	free(r.out);
}

/* A dirty record on a system without dirty tracking: rejected (counted), the
 * warning names the record's place and the setting that enables it. */
Test(cli, dirty_record_without_dirty_enable_is_rejected_with_location)
{
	spits(tpath("dirty.trace"), HDR "domain op=create domain=1\ndirty op=on domain=1\n");
	struct run r = run("replay", "--no-progress", tpath("dirty.trace"));
	cr_expect_eq(r.status, 0, "%s", r.out);
	cr_expect(strstr(r.out, "dirty.trace:3: rejected dirty"), "%s", r.out);
	cr_expect(strstr(r.out, "dirty.enable=true"), "%s", r.out);
	cr_expect(strstr(r.out, "1 rejected invalid=1"), "%s", r.out);
	free(r.out);
}

/* ---- --version / --help --------------------------------------------------- */

Test(cli, version_exits_0)
{
	struct run r = run("--version");
	cr_expect_eq(r.status, 0);
	cr_expect(!strncmp(r.out, "iommusim ", 9) && strchr("0123456789", r.out[9]), "%s", r.out);
	free(r.out);
}

Test(cli, help_of_every_subcommand_exits_0_with_usage)
{
	static const char *const cmds[][3] = {
		{"--help", NULL, NULL},      {"replay", "--help", NULL}, {"trace", "--help", NULL},
		{"trace", "convert", "--help"}, {"gen", "--help", NULL},    {"gen", "nvme", "--help"},
		{"config", "--help", NULL},
	};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		const char *args[4] = {cmds[i][0], cmds[i][1], cmds[i][2], NULL};
		struct run r = run_argv(args, 0, 0); /* usage goes to stdout */
		cr_expect_eq(r.status, 0, "%s %s: exit %d", cmds[i][0], cmds[i][1] ? cmds[i][1] : "",
			     r.status);
		cr_expect(strstr(r.out, "usage: iommusim"), "%s: no usage on stdout: %s", cmds[i][0],
			  r.out);
		free(r.out);
	}
}

/* ---- round trips ----------------------------------------------------------- */

Test(cli, convert_text_binary_text_is_byte_identical_after_canonicalisation)
{
	/* text -> canonical text (drops comments; t on every record already) */
	struct run r = run("trace", "convert", SMALL, tpath("a.trace"));
	cr_assert_eq(r.status, 0, "%s", r.out);
	free(r.out);
	r = run("trace", "convert", tpath("a.trace"), tpath("b.gz"));
	cr_assert_eq(r.status, 0, "%s", r.out);
	free(r.out);
	r = run("trace", "convert", tpath("b.gz"), tpath("c.trace"));
	cr_assert_eq(r.status, 0, "%s", r.out);
	free(r.out);
	size_t na, nc;
	char *a = slurp(tpath("a.trace"), &na), *c = slurp(tpath("c.trace"), &nc);
	/* nvme-small has 205 records + the header line */
	size_t lines = 0;
	for (size_t i = 0; i < na; i++)
		lines += a[i] == '\n';
	cr_expect_eq(lines, 206);
	cr_expect_eq(na, nc);
	cr_expect(na == nc && !memcmp(a, c, na), "text -> binary -> text changed the trace");
	free(a);
	free(c);
	/* the binary form read back equals a second binary encoding */
	r = run("trace", "convert", "--to", "binary", tpath("c.trace"), tpath("d.bin"));
	cr_assert_eq(r.status, 0, "%s", r.out);
	free(r.out);
}

Test(cli, defaults_load_back_as_config_and_resolve)
{
	const char *args[] = {"config", "--defaults", NULL};
	struct run r = run_argv(args, 0, 0);
	cr_assert_eq(r.status, 0);
	cr_assert_gt(r.len, 100);
	spit(tpath("defaults.yaml"), r.out, r.len);
	free(r.out);
	const char *args2[] = {"config", "--config", tpath("defaults.yaml"), "--resolved", NULL};
	r = run_argv(args2, 0, 0);
	cr_expect_eq(r.status, 0, "%s", r.out);
	/* every section of the default system is echoed */
	cr_expect(strstr(r.out, "system:") && strstr(r.out, "memory:") && strstr(r.out, "smmu"),
		  "%s", r.out);
	free(r.out);
	r = run("replay", "--quiet", "--config", tpath("defaults.yaml"), SMALL);
	cr_expect_eq(r.status, 0, "%s", r.out);
	free(r.out);
}

Test(cli, committed_config_reference_matches_generated_one)
{
	const char *args[] = {"config", "--reference", NULL};
	struct run r = run_argv(args, 0, 0);
	cr_assert_eq(r.status, 0);
	size_t n;
	char *doc = slurp(IOM_SOURCE_DIR "/docs/config-reference.md", &n);
	cr_expect(n == r.len && !memcmp(doc, r.out, n),
		  "docs/config-reference.md is stale: regenerate it with "
		  "'iommusim config --reference > docs/config-reference.md'");
	free(doc);
	free(r.out);
}
