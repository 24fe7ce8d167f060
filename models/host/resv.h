/* SPDX-License-Identifier: Apache-2.0 */
/*
 * resv.h - reserved IOVA regions and the usable IOVA space of a device, a
 * group and a user-space container, as Linux computes them
 * (algorithms-reference.md section 5 and Appendix A.2; docs/resv.md).
 *
 *  regions   per device, from its sources: the IOMMU driver (the software
 *            MSI window Linux uses on Arm, the x86 interrupt range, AMD's
 *            HyperTransport hole), firmware (RMRR / IORT RMR / IVMD of the
 *            function in the PCIe topology), the configuration
 *            (resv.regions: hardware MSI doorbells, anything else), `resv`
 *            trace records, optionally the host bridge's windows, and --
 *            under the "reserved" device-limit policy -- what lies above the
 *            device's addressing limit or outside the aperture;
 *  merging   iommu_insert_resv_region(): sorted by (start, type), regions of
 *            one type merged when they overlap or touch, types never merged;
 *            a group's regions are that insertion applied to every member's;
 *  usable    the VFIO type1 IOVA list (aperture minus every region that is
 *            not direct-relaxable) and iommufd's allowed ranges (the
 *            complement of the IOAS's reserved ranges), with the checks
 *            MAP_DMA / IOMMU_IOAS_MAP and unmap apply, each refusal carrying
 *            the errno the kernel returns.
 *
 * The device-limit question (a device with a 42-bit DMA mask behind a
 * 48-bit IOMMU, reference 5.5) has three policies: ignore it (mainline), a
 * reserved region above the limit (the 2020 RFC, not merged), or a limit
 * reported beside the IOVA list (iom_resv_uapi_limit()).
 *
 * For other subsystems (the DMA API's IOVA allocator reserves these ranges
 * as Linux's iova_reserve_iommu_regions() does): iom_resv_dev_regions()
 * gives a device's regions (with IOM_RESV_F_DMA_API also the host-bridge
 * windows the DMA API keeps out of its allocator), iom_resv_dev_limit() its
 * addressing limit, iom_resv_group_regions() a group's -- a domain's
 * regions are the union over the groups attached to it.
 *
 * Two kinds of failure, never mixed: functions return 0 or -IOM_E* for
 * simulator errors (bad input, out of memory); what the kernel refuses is a
 * modelled outcome in struct iom_resv_outcome (a negative Linux errno and a
 * sentence).  Cost: none is modelled; these are the kernel's bookkeeping,
 * not a timed path.
 */
#ifndef IOM_MODELS_HOST_RESV_H
#define IOM_MODELS_HOST_RESV_H

#include "iom.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

struct iom_config;
struct iom_prop_table;
struct iom_pcie_topo;

/* Linux's enum iommu_resv_type, in its order (the tie-break of the sort). */
enum iom_resv_type {
	IOM_RESV_DIRECT = 0,       /* must stay 1:1; the device cannot be assigned */
	IOM_RESV_DIRECT_RELAXABLE, /* 1:1 by default, dropped when assigned */
	IOM_RESV_RESERVED,         /* never mapped */
	IOM_RESV_MSI,              /* hardware MSI window */
	IOM_RESV_SW_MSI,           /* window software maps MSI doorbells into */
	IOM_RESV_TYPES
};
/* Config/trace names: "direct", "direct_relaxable", "reserved", "msi", "sw_msi". */
const char *iom_resv_type_name(unsigned type);
/* sysfs names (iommu_group_resv_type_string): a software MSI window shows as
 * "msi" like a hardware one. */
const char *iom_resv_type_sysfs(unsigned type);

/* Where a region comes from (explanations only; merging ignores it). */
enum iom_resv_src {
	IOM_RESV_SRC_IOMMU = 0,  /* the IOMMU driver's own windows */
	IOM_RESV_SRC_FIRMWARE,   /* the function's RMRR / RMR / IVMD (pcie topology) */
	IOM_RESV_SRC_CONFIG,     /* resv.regions */
	IOM_RESV_SRC_TRACE,      /* a resv trace record */
	IOM_RESV_SRC_PCI_WINDOW, /* a host-bridge window (resv.pci_windows) */
	IOM_RESV_SRC_DEV_LIMIT,  /* above the device's addressing limit (policy reserved) */
	IOM_RESV_SRC_APERTURE,   /* outside the IOMMU's input range (policy reserved) */
	IOM_RESV_SRCS
};
const char *iom_resv_src_name(unsigned src);

/* One region, inclusive bounds (a region may end at 2^64 - 1). */
struct iom_resv_region {
	uint64_t start, last;
	uint8_t type; /* enum iom_resv_type */
	uint8_t src;  /* enum iom_resv_src of the region that started it */
};

/* A sorted region list; zero-initialised = empty. */
struct iom_resv_list {
	struct iom_resv_region *v;
	uint32_t n, cap;
};
void iom_resv_list_fini(struct iom_resv_list *l);
void iom_resv_list_clear(struct iom_resv_list *l);
/* iommu_insert_resv_region(): insert sorted by (start, type), then merge the
 * regions of that type that overlap or touch (start <= previous last + 1;
 * the top of the address space does not wrap). -IOM_EINVAL if last < start. */
int iom_resv_insert(struct iom_resv_list *l, uint64_t start, uint64_t last, unsigned type,
                    unsigned src, struct iom_err *err);
/* Insert every region of `from` (the group union). */
int iom_resv_insert_all(struct iom_resv_list *l, const struct iom_resv_list *from,
                        struct iom_err *err);
/* The first region that is not direct-relaxable and overlaps [start, last], or NULL. */
const struct iom_resv_region *iom_resv_overlap(const struct iom_resv_list *l, uint64_t start,
                                               uint64_t last);
/* The first non-relaxable direct region (require_direct), or NULL. */
const struct iom_resv_region *iom_resv_direct(const struct iom_resv_list *l);
/* /sys/kernel/iommu_groups/N/reserved_regions: "0x%016llx 0x%016llx type". */
void iom_resv_print_sysfs(const struct iom_resv_list *l, FILE *f);

/* Usable IOVA ranges, inclusive, sorted, disjoint. */
struct iom_resv_range {
	uint64_t start, last;
};
struct iom_resv_ranges {
	struct iom_resv_range *v;
	uint32_t n, cap;
};
void iom_resv_ranges_fini(struct iom_resv_ranges *r);
/* VFIO type1's list: the aperture [ap_start, ap_last], then each region that
 * is not direct-relaxable cut out of every node it overlaps (reference 5.3
 * steps 3-4). The result may be empty. */
int iom_resv_usable(const struct iom_resv_list *regions, uint64_t ap_start, uint64_t ap_last,
                    struct iom_resv_ranges *out, struct iom_err *err);
/* Keep only what lies at or below limit. */
void iom_resv_ranges_clip(struct iom_resv_ranges *r, uint64_t limit);
/* Is [start, last] inside one range (vfio_iommu_iova_dma_valid)? */
bool iom_resv_ranges_contain(const struct iom_resv_ranges *r, uint64_t start, uint64_t last);

/* ---- configuration and the per-system database -------------------------- */

enum iom_resv_policy {
	IOM_RESV_LIMIT_IGNORE = 0,
	IOM_RESV_LIMIT_RESERVED,
	IOM_RESV_LIMIT_SEPARATE
};
enum iom_resv_uapi_kind { IOM_RESV_UAPI_OFF = 0, IOM_RESV_UAPI_VFIO, IOM_RESV_UAPI_IOMMUFD };
enum iom_resv_msi_kind {
	IOM_RESV_MSI_AUTO = 0,
	IOM_RESV_MSI_SW,
	IOM_RESV_MSI_X86,
	IOM_RESV_MSI_NONE
};
/* The IOMMU whose driver adds its windows (resv.msi = auto). */
enum iom_resv_iommu { IOM_RESV_IOMMU_SMMUV3 = 0, IOM_RESV_IOMMU_VTD };
const char *iom_resv_policy_name(unsigned p);
const char *iom_resv_uapi_name(unsigned u);

/* Section `resv` (docs/resv.md). */
struct iom_resv_cfg {
	uint32_t device_limit;    /* enum iom_resv_policy */
	uint32_t uapi;            /* enum iom_resv_uapi_kind: validation of map records */
	uint32_t dma_entry_limit; /* VFIO type1 module parameter */
	uint32_t msi;             /* enum iom_resv_msi_kind */
	uint64_t sw_msi_base, sw_msi_size;
	bool ht_hole;          /* AMD: HyperTransport hole as reserved */
	bool pci_windows;      /* host-bridge windows as reserved regions */
	uint32_t dma_bits;     /* DMA mask of devices that give none */
	uint32_t bus_dma_bits; /* firmware limit of devices that give none (0: none) */
};
extern const struct iom_prop_table iom_resv_prop_table;
/* resv, resv.devices[0], resv.regions[0] (docs; the system lists the first). */
const struct iom_prop_table *const *iom_resv_prop_tables(size_t *n);

struct iom_resv_db;

/* Bind `resv`, `resv.devices[i]` and `resv.regions[i]` and build the
 * database over the topology t (may be NULL: every device is its own group;
 * with t its groups must be computed). Errors name the key. */
int iom_resv_db_from_config(struct iom_config *c, unsigned iommu, const struct iom_pcie_topo *t,
                            struct iom_resv_db **out, struct iom_err *err);
struct iom_resv_db *iom_resv_db_create(const struct iom_resv_cfg *cfg, unsigned iommu,
                                       const struct iom_pcie_topo *t, struct iom_err *err);
void iom_resv_db_destroy(struct iom_resv_db *db);
const struct iom_resv_cfg *iom_resv_db_cfg(const struct iom_resv_db *db);
/* Does the description go beyond the defaults (a `resv` section, device
 * limits, firmware regions in the topology)? The replay checks only then. */
bool iom_resv_db_described(const struct iom_resv_db *db);

/* Devices are trace requester IDs: segment << 16 | bus << 8 | devfn. */
#define IOM_RESV_ANY_DEV UINT32_MAX
/* A device's DMA mask width and firmware limit (0 = not given: the
 * topology's, else resv.dma_bits / resv.bus_dma_bits). */
int iom_resv_db_set_limit(struct iom_resv_db *db, uint32_t dev, unsigned dma_bits,
                          unsigned bus_dma_bits, struct iom_err *err);
/* A region of one device (or IOM_RESV_ANY_DEV: every device). */
int iom_resv_db_add(struct iom_resv_db *db, uint32_t dev, uint64_t start, uint64_t last,
                    unsigned type, unsigned src, struct iom_err *err);

/* The highest address dev can emit: min(2^dma_bits, 2^bus_dma_bits) - 1. */
uint64_t iom_resv_dev_limit(const struct iom_resv_db *db, uint32_t dev);
/* ... and its width in bits, and whether the firmware limit decides it. */
unsigned iom_resv_dev_limit_bits(const struct iom_resv_db *db, uint32_t dev, bool *firmware);

#define IOM_RESV_F_DMA_API 0x1u /* also the host-bridge windows (iova_reserve_pci_windows) */
/* Insert dev's regions into out, as its IOMMU driver reports them for a
 * domain with aperture [ap_start, ap_last] (only the "reserved" policy uses
 * the aperture). */
int iom_resv_dev_regions(const struct iom_resv_db *db, uint32_t dev, uint64_t ap_start,
                         uint64_t ap_last, unsigned flags, struct iom_resv_list *out,
                         struct iom_err *err);

/* Groups: the topology's IOMMU group, or IOM_RESV_GROUP_DEV | dev without one. */
#define IOM_RESV_GROUP_DEV (1ull << 32)
uint64_t iom_resv_group_of(const struct iom_resv_db *db, uint32_t dev);
/* The member devices (ascending), up to max; returns how many there are. */
size_t iom_resv_group_members(const struct iom_resv_db *db, uint64_t group, uint32_t *devs,
                              size_t max);
/* iommu_get_group_resv_regions(): every member's regions inserted into out. */
int iom_resv_group_regions(const struct iom_resv_db *db, uint64_t group, uint64_t ap_start,
                           uint64_t ap_last, unsigned flags, struct iom_resv_list *out,
                           struct iom_err *err);
/* The lowest addressing limit among the members. */
uint64_t iom_resv_group_limit(const struct iom_resv_db *db, uint64_t group);
/* Devices the database knows (topology functions, resv.devices, regions of
 * one device), ascending, up to max; returns how many there are. */
size_t iom_resv_db_devices(const struct iom_resv_db *db, uint32_t *devs, size_t max);

/* ---- user-space containers: VFIO type1, iommufd ------------------------- */

/* Linux errno values the outcomes carry (negative). */
enum {
	IOM_RESV_ENOENT = 2,
	IOM_RESV_EEXIST = 17,
	IOM_RESV_EINVAL = 22,
	IOM_RESV_ENOSPC = 28,
	IOM_RESV_EOVERFLOW = 75,
	IOM_RESV_EADDRINUSE = 98,
};
/* "-EINVAL", ... ("0" for 0). */
const char *iom_resv_errno_name(int e);

/* What the kernel answered: 0, or a negative errno and why. */
struct iom_resv_outcome {
	int err;
	bool reserved; /* refused because of a reserved region / the usable list */
	char msg[256];
};

/*
 * One VFIO type1 container, or one iommufd IOAS, holding one domain with
 * aperture [ap_start, ap_last] and smallest page size pgsize_min.  Before any
 * group is attached the usable list is the aperture (VFIO proper needs a
 * group before MAP_DMA; an iommufd HWPT reserves outside its aperture as
 * soon as it is allocated).
 */
struct iom_resv_uapi;
struct iom_resv_uapi *iom_resv_uapi_create(unsigned kind, uint32_t dma_entry_limit,
                                           uint64_t ap_start, uint64_t ap_last, uint64_t pgsize_min,
                                           struct iom_err *err);
void iom_resv_uapi_destroy(struct iom_resv_uapi *u);
/*
 * Attach a group with its (group-union) regions and addressing limit.
 * Refusals: a non-relaxable direct region (-EINVAL: require_direct, the
 * group cannot be claimed); VFIO: an existing mapping overlapping a new
 * region or the list becoming empty (-EINVAL); iommufd: an existing area
 * overlapping a new reserved range (-EADDRINUSE).  Attaching a group again
 * is a no-op.
 */
int iom_resv_uapi_attach(struct iom_resv_uapi *u, uint64_t group,
                         const struct iom_resv_list *regions, uint64_t limit,
                         struct iom_resv_outcome *o, struct iom_err *err);
/* Detach a group: the list is rebuilt from the groups that remain. */
int iom_resv_uapi_detach(struct iom_resv_uapi *u, uint64_t group, struct iom_err *err);
bool iom_resv_uapi_has_group(const struct iom_resv_uapi *u, uint64_t group);
uint32_t iom_resv_uapi_groups(const struct iom_resv_uapi *u);
/*
 * MAP_DMA / IOMMU_IOAS_MAP of [iova, iova + size) with prot (IOM_PROT_* bits).
 * VFIO, in its order: no R/W, size or iova not aligned to the smallest page
 * (-EINVAL); wrap (-EINVAL); overlaps a mapping (-EEXIST); dma_entry_limit
 * reached (-ENOSPC); not inside one usable range (-EINVAL).  iommufd: no R/W,
 * length or iova not aligned to iova_alignment (-EINVAL); wrap (-EOVERFLOW);
 * a reserved range (-EINVAL); an existing area (-EEXIST).  Accepted maps are
 * recorded.
 */
int iom_resv_uapi_map(struct iom_resv_uapi *u, uint64_t iova, uint64_t size, uint32_t prot,
                      struct iom_resv_outcome *o, struct iom_err *err);
/* Unmap: VFIO (v2) refuses to split a mapping at either end (-EINVAL) and
 * unmaps nothing successfully; iommufd refuses both with -ENOENT.  Accepted:
 * every mapping inside the range is removed, *unmapped = their bytes. */
int iom_resv_uapi_unmap(struct iom_resv_uapi *u, uint64_t iova, uint64_t size, uint64_t *unmapped,
                        struct iom_resv_outcome *o, struct iom_err *err);
/* The same checks; nothing is removed. */
void iom_resv_uapi_unmap_check(const struct iom_resv_uapi *u, uint64_t iova, uint64_t size,
                               struct iom_resv_outcome *o);
/* VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE / IOMMU_IOAS_IOVA_RANGES. */
const struct iom_resv_ranges *iom_resv_uapi_ranges(const struct iom_resv_uapi *u);
/* iommufd's iova_alignment; VFIO: the smallest page size. */
uint64_t iom_resv_uapi_alignment(const struct iom_resv_uapi *u);
/* The lowest addressing limit of the attached groups (UINT64_MAX: none). */
uint64_t iom_resv_uapi_limit(const struct iom_resv_uapi *u);
/* The union of the attached groups' regions. */
const struct iom_resv_list *iom_resv_uapi_regions(const struct iom_resv_uapi *u);
/* Mappings recorded; VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL. */
uint32_t iom_resv_uapi_mappings(const struct iom_resv_uapi *u);
uint32_t iom_resv_uapi_dma_avail(const struct iom_resv_uapi *u);
/* VFIO step 5 / iommufd: where MSI doorbells get mapped (the SW_MSI base when
 * there is a software and no hardware MSI window). false: none. */
bool iom_resv_uapi_msi_cookie(const struct iom_resv_uapi *u, uint64_t *base);

#ifdef __cplusplus
}
#endif
#endif
