/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lspci.h - a topology from the text of `lspci -vvv` (or `-vvvnn`, with or
 * without -D): functions and their addresses, the bus tree from bridges'
 * bus ranges, BARs, PCIe port type, link parameters, ACS, ATS, PASID and
 * PRI capabilities, vendor:device IDs (numeric with -nn; otherwise the
 * vendor and the quirk-relevant device families are recognised by name).
 *
 * Damaged input is not fatal: every line that cannot be understood is
 * reported with its line number and skipped; capabilities the importer does
 * not know are skipped and counted.  Only input with no function at all, or
 * whose bus ranges contradict each other, fails.
 */
#ifndef IOM_MODELS_PCIE_LSPCI_H
#define IOM_MODELS_PCIE_LSPCI_H

#include "topology.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IOM_LSPCI_MAX_DIAGS 64

struct iom_lspci_diag {
	uint32_t line;
	char msg[200];
};

struct iom_lspci_result {
	uint32_t functions;
	uint32_t lines;
	uint32_t bad_lines;     /* lines reported as not understood */
	uint32_t caps_parsed;   /* Express, ACS, ATS, PASID, PRI */
	uint32_t caps_ignored;  /* known capabilities the model does not need */
	uint32_t caps_unknown;  /* capabilities not known: skipped and counted */
	uint32_t caps_denied;   /* "Capabilities: <access denied>" (lspci without root) */
	uint32_t ids_numeric;   /* functions with [vendor:device] (-nn) */
	uint32_t ids_from_name; /* functions whose IDs were recognised by name */
	bool acs_enabled_seen;  /* some ACSCtl has SV/RR/CR/UF: the kernel enabled ACS */
	uint32_t ndiags;        /* first IOM_LSPCI_MAX_DIAGS bad lines */
	struct iom_lspci_diag diags[IOM_LSPCI_MAX_DIAGS];
};

/* Parse `len` bytes of lspci text named `name` (messages) into a finalized
 * topology.  res is filled even on failure. */
int iom_lspci_parse(const char *text, size_t len, const char *name, struct iom_pcie_topo **out,
                    struct iom_lspci_result *res, struct iom_err *err);
/* The same from a file ("-" = stdin). */
int iom_lspci_load(const char *path, struct iom_pcie_topo **out, struct iom_lspci_result *res,
                   struct iom_err *err);

#ifdef __cplusplus
}
#endif
#endif
