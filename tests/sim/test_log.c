/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_log.c - diagnostics channel (sim/log.h): prefixes, default level
 * INFO, guest-error/unimp switches, and counting of every message whether
 * shown or not.  Expected output is the prefix named in log.h/the brief plus
 * the formatted message and a newline.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static char *buf;
static size_t len;
static FILE *mem;

static void setup(void)
{
	buf = NULL;
	len = 0;
	mem = open_memstream(&buf, &len);
	cr_assert(mem);
	iom_log_set_file(mem);
	iom_log_reset_counts();
}

static void teardown(void)
{
	iom_log_set_file(NULL);
	iom_log_set_level(IOM_LOG_INFO);
	iom_log_enable(IOM_LOG_GUEST_ERROR, 1);
	iom_log_enable(IOM_LOG_UNIMP, 1);
	fclose(mem);
	free(buf);
}

static const char *output(void)
{
	fflush(mem);
	return buf;
}

TestSuite(log, .init = setup, .fini = teardown);

Test(log, guest_error_and_unimp_are_prefixed_and_counted)
{
	iom_guest_error("STE %u: bad config %#x", 3u, 5u);
	iom_unimp("CMD_PRI_RESP\n"); /* already ends in a newline: not doubled */
	cr_expect_str_eq(output(), "guest error: STE 3: bad config 0x5\n"
	                           "unimplemented: CMD_PRI_RESP\n");
	cr_expect_eq(iom_log_count(IOM_LOG_GUEST_ERROR), 1);
	cr_expect_eq(iom_log_count(IOM_LOG_UNIMP), 1);
	cr_expect_eq(iom_log_count(IOM_LOG_INFO), 0);
}

Test(log, default_level_is_info)
{
	/* INFO has no prefix; DEBUG is above the default level: counted only. */
	iom_log(IOM_LOG_ERROR, "e%d", 1);
	iom_log(IOM_LOG_WARN, "w");
	iom_log(IOM_LOG_INFO, "i");
	iom_log(IOM_LOG_DEBUG, "d");
	cr_expect_str_eq(output(), "error: e1\nwarning: w\ni\n");
	cr_expect_eq(iom_log_count(IOM_LOG_DEBUG), 1);
	cr_expect_eq(iom_log_count(IOM_LOG_ERROR), 1);
}

Test(log, level_selects_plain_categories)
{
	iom_log_set_level(IOM_LOG_DEBUG);
	iom_log(IOM_LOG_DEBUG, "d");
	iom_log_set_level(IOM_LOG_ERROR);
	iom_log(IOM_LOG_WARN, "w");  /* hidden: WARN > ERROR */
	iom_log(IOM_LOG_ERROR, "e"); /* shown */
	iom_guest_error("g");        /* not a plain category: level does not apply */
	cr_expect_str_eq(output(), "debug: d\nerror: e\nguest error: g\n");
	cr_expect_eq(iom_log_count(IOM_LOG_WARN), 1);
}

Test(log, disabled_category_is_counted_but_silent)
{
	iom_log_enable(IOM_LOG_GUEST_ERROR, 0);
	iom_guest_error("one");
	iom_guest_error("two");
	iom_unimp("u");
	cr_expect_str_eq(output(), "unimplemented: u\n");
	cr_expect_eq(iom_log_count(IOM_LOG_GUEST_ERROR), 2);
	iom_log_enable(IOM_LOG_GUEST_ERROR, 1);
	iom_guest_error("three");
	cr_expect_str_eq(output(), "unimplemented: u\nguest error: three\n");
	cr_expect_eq(iom_log_count(IOM_LOG_GUEST_ERROR), 3);
}

Test(log, reset_counts_and_bad_category)
{
	iom_unimp("x");
	iom_log_reset_counts();
	cr_expect_eq(iom_log_count(IOM_LOG_UNIMP), 0);
	iom_log(IOM_LOG_NCAT, "ignored");
	cr_expect_eq(iom_log_count(IOM_LOG_NCAT), 0);
	cr_expect_str_eq(output(), "unimplemented: x\n");
}

Test(log, long_message_is_truncated_with_newline)
{
	char big[3000];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	iom_log(IOM_LOG_INFO, "%s", big);
	const char *o = output();
	size_t n = strlen(o);
	/* 1024-byte buffer: at most 1022 characters of text, then '\n'. */
	cr_expect_eq(n, 1023);
	cr_expect_eq(o[n - 1], '\n');
}
