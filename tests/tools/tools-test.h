/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tools-test.h - what the end-to-end tests of the iommusim command share:
 * a fresh temporary directory per test, small file helpers, and running the
 * real binary (tt_runq: output discarded, exit code; tt_run: stdout and
 * stderr captured).  Each test file declares its suite with tt_setup /
 * tt_teardown as .init / .fini.
 */
#ifndef IOM_TESTS_TOOLS_TEST_H
#define IOM_TESTS_TOOLS_TEST_H

#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#define IOMMUSIM IOM_BINARY_DIR "/tools/iommusim"
#define SMALL IOM_SOURCE_DIR "/traces/examples/nvme-small.trace"
#define HDR "# iommusim trace v1\n"

static char tmpdir[64];

static inline void tt_setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/iom_tools_XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir), "mkdtemp: %s", strerror(errno));
	chmod(tmpdir, 0755); /* an unprivileged child must reach files here */
}

static inline void tt_teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

/* Path of a file in this test's directory (8 results may be live at once). */
static inline const char *tpath(const char *name)
{
	static char buf[8][256];
	static int k;
	char *p = buf[k++ & 7];
	snprintf(p, 256, "%s/%s", tmpdir, name);
	return p;
}

static inline void spit(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	cr_assert_eq(fwrite(data, 1, n, f), n);
	cr_assert_eq(fclose(f), 0);
}

static inline void spits(const char *path, const char *text)
{
	spit(path, text, strlen(text));
}

/* Whole file, NUL-terminated; caller frees. */
static inline char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	size_t cap = 1 << 16, n = 0, r;
	char *b = malloc(cap + 1);
	while ((r = fread(b + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap)
			b = realloc(b, (cap *= 2) + 1);
	}
	fclose(f);
	b[n] = 0;
	*len = n;
	return b;
}

/* The JSON document at path (fails the test if it does not parse). */
static inline json_t *load_json(const char *path)
{
	json_error_t je;
	json_t *doc = json_load_file(path, 0, &je);
	cr_assert_not_null(doc, "%s:%d: %s", path, je.line, je.text);
	return doc;
}

/* Counter `name` of the whole-run "stats" object. */
static inline long long rstat(json_t *doc, const char *name)
{
	json_t *s = json_object_get(json_object_get(doc, "stats"), name);
	cr_assert_not_null(s, "no stat '%s' in the result", name);
	json_t *v = json_object_get(s, "value");
	cr_assert(json_is_integer(v), "stat '%s' has no integer value", name);
	return (long long)json_integer_value(v);
}

/* Starts iommusim with args (NULL-terminated, argv[0] left out): stdout to
 * the descriptor out, stderr to the file errf (/dev/null for out < 0 or errf
 * NULL).  The child exits 98 when it cannot exec the binary. */
static inline pid_t tt_spawn(const char *const *args, int out, const char *errf)
{
	const char *argv[64] = {IOMMUSIM};
	for (size_t n = 1; args[n - 1] && n < 63; n++)
		argv[n] = args[n - 1];
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		int o = out >= 0 ? out : open("/dev/null", O_WRONLY);
		int e = open(errf ? errf : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(97);
		execv(IOMMUSIM, (char *const *)argv);
		_exit(98);
	}
	return pid;
}

/* The exit code of the child pid; fails the test when it did not exit
 * normally or could not exec. */
static inline int tt_wait(pid_t pid)
{
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st), "iommusim did not exit normally");
	cr_assert_neq(WEXITSTATUS(st), 98, "could not exec %s", IOMMUSIM);
	return WEXITSTATUS(st);
}

/* iommusim with args (NULL-terminated), output discarded; its exit code. */
static inline int tt_runq(const char *const *args)
{
	return tt_wait(tt_spawn(args, -1, NULL));
}

/* The same with the arguments listed: tt_runqv("replay", x, (char *)NULL). */
static inline int tt_runqv(const char *first, ...)
{
	const char *args[64] = {first};
	va_list ap;
	va_start(ap, first);
	for (size_t n = 1; args[n - 1] && n < 63; n++)
		args[n] = va_arg(ap, const char *);
	va_end(ap);
	return tt_runq(args);
}

/* What tt_run captured: exit code, stdout and stderr (NUL-terminated). */
struct tt_run {
	int status;
	char *out, *err;
};

static inline char *tt_drain(int fd)
{
	size_t cap = 4096, n = 0;
	char *b = malloc(cap + 1);
	ssize_t r;
	while ((r = read(fd, b + n, cap - n)) > 0) {
		n += (size_t)r;
		if (n == cap)
			b = realloc(b, (cap *= 2) + 1);
	}
	b[n] = 0;
	close(fd);
	return b;
}

/* iommusim with args (NULL-terminated): stdout through a pipe, stderr to a
 * file of the test directory (two pipes could deadlock), read back. */
static inline struct tt_run tt_run(const char *const *args)
{
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	const char *errf = tpath("stderr.txt");
	pid_t pid = tt_spawn(args, fds[1], errf);
	close(fds[1]);
	struct tt_run r = {.out = tt_drain(fds[0])};
	r.status = tt_wait(pid);
	size_t len;
	r.err = slurp(errf, &len);
	return r;
}

static inline void tt_run_free(struct tt_run *r)
{
	free(r->out);
	free(r->err);
}

#endif
