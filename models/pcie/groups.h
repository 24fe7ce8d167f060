/* SPDX-License-Identifier: Apache-2.0 */
/*
 * groups.h - IOMMU groups as Linux computes them (pci_device_group), the
 * DMA alias walk (pci_for_each_dma_alias), the PASID/SVA enablement rules
 * per kernel version, and the /sys/kernel/iommu_groups listing.
 */
#ifndef IOM_MODELS_PCIE_GROUPS_H
#define IOM_MODELS_PCIE_GROUPS_H

#include "topology.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How a function got its group (for explanations). */
enum iom_pcie_group_why {
	IOM_GROUP_NEW = 0,      /* a new group: nothing shares its DMA path */
	IOM_GROUP_BRIDGE_ALIAS, /* its DMA carries a bridge's requester ID (group_via) */
	IOM_GROUP_ACS_PATH,     /* the path is not isolated at group_via: joins that bridge */
	IOM_GROUP_DMA_ALIAS,    /* DMA alias (quirk) of group_via on the same bus */
	IOM_GROUP_FUNCTION,     /* multifunction slot without ACS isolation, with group_via */
};

/*
 * Compute every function's group in the order Linux adds devices (all of
 * a bus, then each child bus in turn), algorithms-reference.md 4.5:
 * alias walk, upstream ACS walk with REQ_ACS_FLAGS, alias group, function
 * group, else a new group.  Group numbers are allocated in that order from
 * 0, as the kernel's IDA does with one IOMMU.  Recomputes from scratch.
 */
int iom_pcie_groups_compute(struct iom_pcie_topo *t, struct iom_err *err);

/* pci_for_each_dma_alias: cb(fn, rid) for f's own RID, its quirk aliases,
 * then each aliasing bridge up to the root; stops when cb returns true
 * (and returns true). fn is the device the alias belongs to. */
typedef bool (*iom_pcie_alias_cb)(const struct iom_pcie_topo *t, uint32_t fn, uint16_t rid,
                                  void *ctx);
bool iom_pcie_for_each_dma_alias(const struct iom_pcie_topo *t, uint32_t f, iom_pcie_alias_cb cb,
                                 void *ctx);
/* The requester ID f's DMA carries when it reaches the root complex: the
 * last alias of the walk (a PCIe-to-PCI bridge's (secondary, 00.0), ...). */
uint16_t iom_pcie_dma_rid(const struct iom_pcie_topo *t, uint32_t f);

/* PASID / SVA rules (algorithms-reference.md 3.1 and 7.1). */
enum iom_pcie_pasid_verdict {
	IOM_PASID_OK = 0,
	IOM_PASID_NO_CAP,       /* no PASID capability: pci_enable_pasid() -EINVAL */
	IOM_PASID_ACS_PATH,     /* >= 6.2: RR|UF missing on the path (pci_enable_pasid) */
	IOM_PASID_GROUP_SHARED, /* <= 6.1: iommu_sva_bind_device() refuses multi-device groups */
};
/* Can the kernel enable PASID on f and bind an SVA process to it?  On a
 * refusal *blocker (if not NULL) is the port failing the ACS path or a
 * second member of the group. */
int iom_pcie_pasid_check(const struct iom_pcie_topo *t, uint32_t f, uint32_t *blocker);
const char *iom_pcie_pasid_verdict_str(int v);

/* One line per device, "/sys/kernel/iommu_groups/N/devices/SSSS:BB:DD.F",
 * ascending group then address (what `find /sys/kernel/iommu_groups -type l
 * | sort -V` shows). */
void iom_pcie_groups_print_sysfs(const struct iom_pcie_topo *t, FILE *f);
/* Groups with their members' types and why each joined. */
void iom_pcie_groups_print_long(const struct iom_pcie_topo *t, FILE *f);
/* Why f is in its group, one phrase ("joins 00:1c.0: ..."), into buf. */
const char *iom_pcie_group_reason(const struct iom_pcie_topo *t, uint32_t f, char *buf, size_t sz);

#ifdef __cplusplus
}
#endif
#endif
