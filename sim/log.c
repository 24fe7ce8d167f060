/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.c - diagnostics, the third error channel (sim/log.h).
 *
 * What it does: prints model and tool diagnostics to one FILE (stderr by
 * default) and counts every message per category, shown or not, so a run
 * summary can say "n guest errors, m unimplemented".  Guest errors (software
 * programmed the model illegally) and unimplemented requests are kept apart,
 * after QEMU's LOG_GUEST_ERROR / LOG_UNIMP masks, and prefixed so a reader
 * can tell them apart: "guest error: " / "unimplemented: ".
 *
 * Plain categories ERROR..DEBUG are shown up to a level (default INFO); the
 * two model categories are switched on and off individually (default on).
 * Each message is formatted into one buffer and written with one call so
 * lines are not interleaved; a missing trailing newline is added.
 *
 * Not done: no timestamps (the caller adds simulated time if it matters), no
 * thread safety for the counters (the simulator is single-threaded).
 */
#include "log.h"

#include <string.h>

static struct {
	FILE *file; /* NULL = stderr (stderr is not a constant initializer) */
	enum iom_log_cat level;
	int enabled[IOM_LOG_NCAT];
	uint64_t count[IOM_LOG_NCAT];
} log_state = {
    .file = NULL,
    .level = IOM_LOG_INFO,
    .enabled = {1, 1, 1, 1, 1, 1},
};

static const char *const log_prefix[IOM_LOG_NCAT] = {
    [IOM_LOG_ERROR] = "error: ",
    [IOM_LOG_WARN] = "warning: ",
    [IOM_LOG_INFO] = "",
    [IOM_LOG_DEBUG] = "debug: ",
    [IOM_LOG_GUEST_ERROR] = "guest error: ",
    [IOM_LOG_UNIMP] = "unimplemented: ",
};

static int log_valid(enum iom_log_cat cat)
{
	return (unsigned)cat < IOM_LOG_NCAT;
}

void iom_log_set_file(FILE *f)
{
	log_state.file = f;
}

void iom_log_set_level(enum iom_log_cat max_plain)
{
	if (max_plain <= IOM_LOG_DEBUG)
		log_state.level = max_plain;
}

void iom_log_enable(enum iom_log_cat cat, int on)
{
	if (log_valid(cat))
		log_state.enabled[cat] = !!on;
}

static int log_shown(enum iom_log_cat cat)
{
	if (!log_state.enabled[cat])
		return 0;
	return cat > IOM_LOG_DEBUG || cat <= log_state.level;
}

void iom_log(enum iom_log_cat cat, const char *fmt, ...)
{
	if (!log_valid(cat))
		return;
	log_state.count[cat]++;
	if (!log_shown(cat))
		return;
	char buf[1024];
	size_t n = strlen(log_prefix[cat]);
	memcpy(buf, log_prefix[cat], n);
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	va_end(ap);
	if (m > 0)
		n += IOM_MIN((size_t)m, sizeof(buf) - n - 2);
	if (n == 0 || buf[n - 1] != '\n')
		buf[n++] = '\n';
	fwrite(buf, 1, n, log_state.file ? log_state.file : stderr);
}

uint64_t iom_log_count(enum iom_log_cat cat)
{
	return log_valid(cat) ? log_state.count[cat] : 0;
}

void iom_log_reset_counts(void)
{
	memset(log_state.count, 0, sizeof(log_state.count));
}
