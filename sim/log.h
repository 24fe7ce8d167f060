/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.h - diagnostics (the third error channel).
 *
 * Two kinds of model diagnostics are kept apart, as QEMU's guest-error vs
 * unimp log masks do:
 *   IOM_LOG_GUEST_ERROR  software programmed the model illegally (the model
 *                        then behaves as the spec says, e.g. C_BAD_STE);
 *   IOM_LOG_UNIMP        the request is legal but the model does not
 *                        implement it; the operation is rejected.
 * Plus ordinary INFO / WARN / DEBUG messages from the tools.  Messages go to
 * stderr (or a chosen FILE); each category counts its messages so tests and
 * summaries can report "n guest errors, m unimplemented".
 */
#ifndef IOM_SIM_LOG_H
#define IOM_SIM_LOG_H

#include "iom.h"

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

enum iom_log_cat {
	IOM_LOG_ERROR = 0,
	IOM_LOG_WARN,
	IOM_LOG_INFO,
	IOM_LOG_DEBUG,
	IOM_LOG_GUEST_ERROR,
	IOM_LOG_UNIMP,
	IOM_LOG_NCAT
};

void iom_log_set_file(FILE *f);          /* default stderr */
void iom_log_set_level(enum iom_log_cat max_plain); /* ERROR..DEBUG shown up to this; default INFO */
void iom_log_enable(enum iom_log_cat cat, int on); /* GUEST_ERROR and UNIMP: default on */
void iom_log(enum iom_log_cat cat, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
uint64_t iom_log_count(enum iom_log_cat cat); /* messages in this category, shown or not */
void iom_log_reset_counts(void);

#define iom_guest_error(...) iom_log(IOM_LOG_GUEST_ERROR, __VA_ARGS__)
#define iom_unimp(...) iom_log(IOM_LOG_UNIMP, __VA_ARGS__)

#ifdef __cplusplus
}
#endif
#endif
