/* SPDX-License-Identifier: Apache-2.0 */
/* err.c - the error-detail channel of sim/iom.h. */
#include "iom.h"

#include <stdio.h>
#include <string.h>

int iom_err_vset(struct iom_err *e, int code, const char *fmt, va_list ap)
{
	if (e) {
		e->code = code;
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	}
	return -code;
}

int iom_err_set(struct iom_err *e, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = iom_err_vset(e, code, fmt, ap);
	va_end(ap);
	return r;
}

int iom_err_prefix(struct iom_err *e, const char *fmt, ...)
{
	if (!e)
		return -IOM_EINVAL;
	char pre[IOM_ERR_MSG_MAX], old[IOM_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	snprintf(e->msg, sizeof(e->msg), "%.200s: %.300s", pre, old);
	return -(e->code ? e->code : IOM_EINVAL);
}

const char *iom_strerror(int code)
{
	if (code < 0)
		code = -code;
	switch (code) {
	case IOM_OK: return "success";
	case IOM_EINVAL: return "invalid value";
	case IOM_ENOMEM: return "out of memory";
	case IOM_EIO: return "I/O error";
	case IOM_EFORMAT: return "malformed input";
	case IOM_ERANGE: return "value out of range";
	case IOM_ENOTSUP: return "not implemented by the model";
	case IOM_ENOENT: return "no such object";
	case IOM_EEXIST: return "already exists";
	case IOM_EBUSY: return "busy";
	default: return "unknown error";
	}
}
