/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tools-test.h - what the end-to-end tests of the iommusim command share:
 * a fresh temporary directory per test, and small file helpers.  Each test
 * file declares its suite with tt_setup / tt_teardown as .init / .fini.
 */
#ifndef IOM_TESTS_TOOLS_TEST_H
#define IOM_TESTS_TOOLS_TEST_H

#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

#endif
