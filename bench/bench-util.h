/* SPDX-License-Identifier: Apache-2.0 */
/* bench-util.h - clocks and resident-memory readings shared by the benchmarks. */
#ifndef IOM_BENCH_UTIL_H
#define IOM_BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Seconds on clock c (CLOCK_MONOTONIC for wall, CLOCK_PROCESS_CPUTIME_ID for CPU). */
static inline double bench_clock_s(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline double bench_now_s(void)
{
	return bench_clock_s(CLOCK_MONOTONIC);
}

/* VmRSS of this process in kB (-1 if /proc is unavailable). */
static inline long bench_rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kb = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kb;
}

#endif
