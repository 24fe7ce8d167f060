/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rtl_stub.c - rtl.h when the build has no Verilator (IOM_WITH_VERILATOR=OFF):
 * every constructor fails with IOM_ENOTSUP and says how to get the models.
 */
#include "rtl.h"

#define RTL_ABSENT "this build has no RTL models (configure with -DIOM_WITH_VERILATOR=ON)"

bool iom_rtl_available(void)
{
	return false;
}

struct iom_rtl_tlb *iom_rtl_tlb_create(uint32_t sets, uint32_t ways, uint32_t policy,
				       struct iom_err *err)
{
	iom_err_set(err, IOM_ENOTSUP, "RTL IOTLB: %s", RTL_ABSENT);
	return NULL;
}

int iom_rtl_cache_attach(struct iom_cache *c, struct iom_err *err)
{
	return iom_err_set(err, IOM_ENOTSUP, "RTL TLB: %s", RTL_ABSENT);
}

struct iom_rtl_lockstep *iom_rtl_lockstep_attach(struct iom_cache *c,
						 const struct iom_rtl_lockstep_opts *o,
						 struct iom_err *err)
{
	iom_err_set(err, IOM_ENOTSUP, "lockstep: %s", RTL_ABSENT);
	return NULL;
}

struct iom_rtl_session *iom_rtl_session_begin(const char *impl,
					      const struct iom_rtl_lockstep_opts *o,
					      struct iom_err *err)
{
	iom_err_set(err, IOM_ENOTSUP, "--tlb-impl %s: %s", impl ? impl : "?", RTL_ABSENT);
	return NULL;
}

unsigned iom_rtl_session_tlbs(const struct iom_rtl_session *s)
{
	return 0;
}

int iom_rtl_session_check(struct iom_rtl_session *s, FILE *note, struct iom_err *err)
{
	return 0;
}

void iom_rtl_session_end(struct iom_rtl_session *s)
{
}
