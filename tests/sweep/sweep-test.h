/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sweep-test.h - what the sweep tests share: the temp-dir fixture of the
 * tools tests, writing sweep files into it, reading cells of a results CSV,
 * and counting the records of the small example trace.
 */
#ifndef IOM_TESTS_SWEEP_TEST_H
#define IOM_TESTS_SWEEP_TEST_H

#include "../tools/tools-test.h"

#include <stdarg.h>

/* Writes tmpdir/name from a printf format; returns its path. */
static inline const char *st_write(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline const char *st_write(const char *name, const char *fmt, ...)
{
	char *text;
	va_list ap;
	va_start(ap, fmt);
	cr_assert_geq(vasprintf(&text, fmt, ap), 0);
	va_end(ap);
	const char *p = tpath(name);
	spits(p, text);
	free(text);
	return p;
}

/* Lines of a file (NUL-terminated copies); *n set. Fields hold no quotes in
 * these tests, so a cell is the text between commas. */
static inline char **st_lines(const char *path, size_t *n)
{
	size_t len;
	char *text = slurp(path, &len);
	char **v = calloc(len + 2, sizeof(*v));
	*n = 0;
	for (char *s = text, *nl; *s; s = nl + 1) {
		nl = strchr(s, '\n');
		cr_assert_not_null(nl, "%s: last line has no newline", path);
		v[(*n)++] = strndup(s, (size_t)(nl - s));
	}
	free(text);
	return v;
}

static inline void st_free_lines(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Cell `col` of CSV line `line` (0 = header), as a new string. */
static inline char *st_cell(char **lines, size_t n, size_t line, size_t col)
{
	cr_assert_lt(line, n, "CSV has %zu lines, wanted line %zu", n, line);
	const char *s = lines[line];
	for (size_t c = 0; c < col; c++) {
		s = strchr(s, ',');
		cr_assert_not_null(s, "line %zu has no column %zu: %s", line, col, lines[line]);
		s++;
	}
	return strndup(s, strcspn(s, ","));
}

static inline void st_expect_cell(char **lines, size_t n, size_t line, size_t col, const char *want)
{
	char *c = st_cell(lines, n, line, col);
	cr_expect_str_eq(c, want, "line %zu col %zu: '%s', want '%s' (%s)", line, col, c, want,
			 lines[line]);
	free(c);
}

/* Records of a text trace: lines that are not comments or blank. */
static inline unsigned st_trace_records(const char *path)
{
	size_t n;
	char **l = st_lines(path, &n);
	unsigned k = 0;
	for (size_t i = 0; i < n; i++)
		k += l[i][0] && l[i][0] != '#';
	st_free_lines(l, n);
	return k;
}

static inline bool st_same_file(const char *a, const char *b)
{
	size_t la, lb;
	char *x = slurp(a, &la), *y = slurp(b, &lb);
	bool same = la == lb && !memcmp(x, y, la);
	free(x);
	free(y);
	return same;
}

#endif
