/* SPDX-License-Identifier: Apache-2.0 */
/*
 * quirks.h - the device-specific exceptions Linux applies to ACS and DMA
 * aliases (drivers/pci/quirks.c), as tables keyed by vendor:device, with
 * the kernel version a quirk appeared in where that is known.
 *
 * ACS quirks answer pci_dev_specific_acs_enabled() ("not applicable", "no",
 * "yes") and tell the router which ACS controls the device effectively
 * provides; DMA alias quirks add aliases (function 0 / function 1 /
 * PCIe-bridge style) at finalize.  iom_pcie_quirk_ids_from_name() lets an
 * `lspci -vvv` import without numeric IDs still match the Intel PCH root
 * port quirk by the names pci.ids gives those ports.
 */
#ifndef IOM_MODELS_PCIE_QUIRKS_H
#define IOM_MODELS_PCIE_QUIRKS_H

#include "topology.h"

#ifdef __cplusplus
extern "C" {
#endif

/* pci_dev_specific_acs_enabled(): -1 no quirk applies, 0 not enabled, 1 enabled. */
int iom_pcie_quirk_acs_enabled(const struct iom_pcie_topo *t, uint32_t f, uint16_t flags);
/* The ACS controls a matching quirk provides for routing; false if none applies. */
bool iom_pcie_quirk_acs_provided(const struct iom_pcie_topo *t, uint32_t f, uint16_t *bits);
/* pci_dev_specific_enable_acs(): true if a quirk enabled ACS its own way. */
bool iom_pcie_quirk_enable_acs(struct iom_pcie_topo *t, uint32_t f);
/* One-line description of the ACS quirk that applies to f ("Intel PCH root
 * port (ACS via chipset register)"), NULL if none. */
const char *iom_pcie_quirk_acs_name(const struct iom_pcie_topo *t, uint32_t f);

/* DMA alias quirks of every function with known IDs (finalize calls it). */
void iom_pcie_quirk_dma_aliases(struct iom_pcie_topo *t);

/* Vendor and device IDs from an lspci name ("Intel Corporation C610/X99
 * series chipset PCI Express Root Port #1"): *vendor if the vendor name is
 * known (true), *device if a quirk-relevant device family matches (else 0). */
bool iom_pcie_quirk_ids_from_name(const char *text, uint16_t *vendor, uint16_t *device);

#ifdef __cplusplus
}
#endif
#endif
