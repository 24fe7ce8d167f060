/* SPDX-License-Identifier: Apache-2.0 */
/*
 * iom.h - types and conventions shared by every iommusim component.
 *
 * Time: one timeline in picoseconds (uint64_t), names end in _ps.
 *
 * Errors (STYLE.md "three channels"):
 *  1. API / simulator errors: functions return 0 or -IOM_E*, and write a
 *     one-line detail (with file:line, key or record index) into a
 *     caller-supplied struct iom_err.  Library code never calls exit().
 *  2. Modelled hardware outcomes (translation fault, bad STE, ...) are
 *     results: a status plus a fault record, never an error code here.
 *  3. Diagnostics (sim/log.h): "programmed illegally" vs "not implemented".
 */
#ifndef IOM_H
#define IOM_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define IOM_VERSION_STRING "0.1.0"

enum iom_errcode {
	IOM_OK = 0,
	IOM_EINVAL = 1,  /* bad argument or bad value in input */
	IOM_ENOMEM = 2,  /* out of memory */
	IOM_EIO = 3,     /* file missing, unreadable, write failed */
	IOM_EFORMAT = 4, /* malformed input: syntax, magic, version, corrupt */
	IOM_ERANGE = 5,  /* value out of range / overflow */
	IOM_ENOTSUP = 6, /* valid request the model does not implement */
	IOM_ENOENT = 7,  /* named object does not exist */
	IOM_EEXIST = 8,  /* named object exists already */
	IOM_EBUSY = 9,   /* resource full / back-pressure */
};

#define IOM_ERR_MSG_MAX 512

/* Detail of the last error; code is the positive IOM_E* value. */
struct iom_err {
	int code;
	char msg[IOM_ERR_MSG_MAX];
};

/* Record an error: formats msg, sets code, returns -code (for `return`). */
int iom_err_set(struct iom_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int iom_err_vset(struct iom_err *e, int code, const char *fmt, va_list ap);
/* Prefix an existing message ("ctx: old message"), keep the code, return -code. */
int iom_err_prefix(struct iom_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
const char *iom_strerror(int code); /* accepts +code or -code */

/* Time helpers. */
#define IOM_PS_PER_NS 1000ull
#define IOM_PS_PER_US 1000000ull
#define IOM_PS_PER_S 1000000000000ull
#define IOM_TIME_NEVER UINT64_MAX

/* Period of a clock in ps from its frequency in MHz (rounded to nearest). */
static inline uint64_t iom_mhz_to_period_ps(uint32_t mhz)
{
	return mhz ? (1000000ull + mhz / 2) / mhz : 0;
}

#define IOM_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define IOM_MIN(a, b) ((a) < (b) ? (a) : (b))
#define IOM_MAX(a, b) ((a) > (b) ? (a) : (b))

#ifdef __cplusplus
}
#endif
#endif
