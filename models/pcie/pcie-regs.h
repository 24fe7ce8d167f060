/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pcie-regs.h - PCI Express register fields the fabric model uses, with the
 * spec's names and values (PCIe Base Specification, ACS Extended Capability
 * 7.7.11 / ATS 10.5.1 / PASID 7.8.8 / PRI 10.5.2; Linux names from
 * include/uapi/linux/pci_regs.h where they differ).  Model code uses these
 * names only, never bare numbers.
 */
#ifndef IOM_MODELS_PCIE_REGS_H
#define IOM_MODELS_PCIE_REGS_H

/* Extended capability IDs. */
#define IOM_PCI_EXT_CAP_ID_ACS   0x000d
#define IOM_PCI_EXT_CAP_ID_ATS   0x000f
#define IOM_PCI_EXT_CAP_ID_PRI   0x0013
#define IOM_PCI_EXT_CAP_ID_PASID 0x001b

/*
 * ACS Capability (+4) and Control (+6) registers share bit positions 0-6
 * (algorithms-reference.md 4.1).  Bit 7 of the capability register is
 * "ACS Enhanced Capability"; [15:8] is the Egress Control Vector Size.
 */
#define IOM_ACS_SV         0x0001 /* Source Validation */
#define IOM_ACS_TB         0x0002 /* Translation Blocking */
#define IOM_ACS_RR         0x0004 /* P2P Request Redirect */
#define IOM_ACS_CR         0x0008 /* P2P Completion Redirect */
#define IOM_ACS_UF         0x0010 /* Upstream Forwarding */
#define IOM_ACS_EC         0x0020 /* P2P Egress Control */
#define IOM_ACS_DT         0x0040 /* Direct Translated P2P */
#define IOM_ACS_ENHANCED   0x0080 /* capability register only */
#define IOM_ACS_ALL_BITS   0x007f
#define IOM_ACS_ECVS_SHIFT 8 /* Egress Control Vector Size, capability [15:8] */

/* Linux's REQ_ACS_FLAGS (PCI_ACS_ISOLATED in the 2025 series). */
#define IOM_ACS_REQ_FLAGS (IOM_ACS_SV | IOM_ACS_RR | IOM_ACS_CR | IOM_ACS_UF)
/* What pci_std_enable_acs() turns on when the capability offers it. */
#define IOM_ACS_BOOT_FLAGS (IOM_ACS_SV | IOM_ACS_RR | IOM_ACS_CR | IOM_ACS_UF)
/* pci_enable_pasid() since Linux 6.2: every PASID TLP must reach the IOMMU. */
#define IOM_ACS_PASID_FLAGS (IOM_ACS_RR | IOM_ACS_UF)

/* TLP Address Type (AT) field. */
#define IOM_PCIE_AT_UNTRANSLATED 0
#define IOM_PCIE_AT_TREQ         1 /* translation request */
#define IOM_PCIE_AT_TRANSLATED   2

/* ATS: STU is 2^(STU+12) bytes; Invalidate Queue Depth 0 means 32. */
#define IOM_ATS_STU_SHIFT 12

/* PCIe link speeds by generation, in MT/s (LnkCap / LnkSta "Speed"). */
#define IOM_PCIE_GEN_MAX 6

#endif
