/* SPDX-License-Identifier: Apache-2.0 */
/* iommu.c - names for the common IOMMU interface's enums (results, logs). */
#include "iommu.h"

const char *iom_txn_status_name(unsigned status)
{
	switch (status) {
	case IOM_TXN_OK: return "ok";
	case IOM_TXN_FAULT: return "fault";
	case IOM_TXN_ABORT: return "abort";
	default: return "?";
	}
}
