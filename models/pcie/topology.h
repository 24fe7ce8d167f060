/* SPDX-License-Identifier: Apache-2.0 */
/*
 * topology.h - the PCI Express fabric of a machine: root complexes
 * (segments and root buses), root ports, switches (upstream and downstream
 * ports), endpoints with their functions, RCiEPs, PCIe-to-PCI and
 * conventional bridges; per function its BARs, vendor/device IDs, ACS
 * capability and control, ATS/PASID/PRI capabilities, DMA aliases and the
 * parameters of the link above it.
 *
 * A topology is built in two phases: functions are added (from the `pcie:`
 * section of a system YAML, from `lspci -vvv` output, or by code), then
 * iom_pcie_topo_finalize() resolves parents, enumerates bus numbers
 * depth-first as Linux does (unless given), assigns BARs that have no
 * address, checks the result and indexes it.  After that the topology is
 * read-only except for the kernel-side state (ACS enablement, groups).
 *
 * Ownership: the topology owns every function and string in it.  Function
 * handles are indices (uint32_t) into t->fns; IOM_PCIE_NONE is "no function"
 * (e.g. the parent of a function on a root bus).
 *
 * The Linux side -- pci_acs_enabled() with its quirks, IOMMU groups, PASID
 * rules -- depends on a kernel version (t->kernel, see iom_pcie_kver_parse)
 * because that behaviour changed between versions (docs/pcie.md).
 */
#ifndef IOM_MODELS_PCIE_TOPOLOGY_H
#define IOM_MODELS_PCIE_TOPOLOGY_H

#include "iom.h"
#include "pcie-regs.h"
#include "u64map.h"

#include <stdbool.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define IOM_PCIE_NONE     UINT32_MAX
#define IOM_PCIE_NAME_MAX 64
#define IOM_PCIE_MAX_BARS 7 /* BAR0-5 and the expansion ROM (index 6) */

/* PCIe Capabilities "Device/Port Type", plus the two conventional kinds. */
enum iom_pcie_type {
	IOM_PCIE_ENDPOINT = 0,
	IOM_PCIE_LEGACY_ENDPOINT,
	IOM_PCIE_RCIEP, /* Root Complex Integrated Endpoint */
	IOM_PCIE_RC_EC, /* Root Complex Event Collector */
	IOM_PCIE_ROOT_PORT,
	IOM_PCIE_UPSTREAM,    /* switch upstream port */
	IOM_PCIE_DOWNSTREAM,  /* switch downstream port */
	IOM_PCIE_PCIE_TO_PCI, /* PCIe-to-PCI/PCI-X bridge (PCI_EXP_TYPE_PCI_BRIDGE) */
	IOM_PCIE_PCI_TO_PCIE, /* PCI/PCI-X-to-PCIe bridge (PCI_EXP_TYPE_PCIE_BRIDGE) */
	IOM_PCIE_PCI_BRIDGE,  /* conventional PCI-to-PCI bridge, no PCIe capability */
	IOM_PCIE_PCI_DEVICE,  /* conventional PCI function, no PCIe capability */
	IOM_PCIE_TYPE_COUNT
};
/* Config names: "endpoint", "legacy_endpoint", "rciep", ... (NULL-terminated). */
extern const char *const iom_pcie_type_names[];

static inline bool iom_pcie_type_is_pcie(unsigned type)
{
	return type != IOM_PCIE_PCI_BRIDGE && type != IOM_PCIE_PCI_DEVICE;
}

/* Does this type have a secondary bus (type-1 header) in a well-formed system? */
static inline bool iom_pcie_type_is_bridge(unsigned type)
{
	return type == IOM_PCIE_ROOT_PORT || type == IOM_PCIE_UPSTREAM ||
	       type == IOM_PCIE_DOWNSTREAM || type == IOM_PCIE_PCIE_TO_PCI ||
	       type == IOM_PCIE_PCI_TO_PCIE || type == IOM_PCIE_PCI_BRIDGE;
}

struct iom_pcie_bar {
	uint64_t base; /* bus address; 0 in a description = assign at finalize */
	uint64_t size; /* bytes, a power of two */
	uint8_t index; /* 0-5, 6 = expansion ROM */
	bool prefetch;
};

/* The link on a function's upstream side (shared by a device's functions):
 * what the link-timing model (link.c) consumes. 0 = unknown / not given. */
struct iom_pcie_fn_link {
	uint8_t gen;   /* 1..6 = 2.5, 5, 8, 16, 32, 64 GT/s */
	uint8_t width; /* lanes: 1, 2, 4, 8, 12, 16, 32 */
	uint16_t mps;  /* Max_Payload_Size in effect, bytes */
	uint16_t mrrs; /* Max_Read_Request_Size, bytes */
	uint16_t rcb;  /* Read Completion Boundary, bytes (64 or 128) */
};

struct iom_pcie_fn {
	char name[IOM_PCIE_NAME_MAX]; /* config name; "SSSS:BB:DD.F" when imported */
	uint16_t segment;
	uint8_t bus, devfn;
	uint8_t type;       /* enum iom_pcie_type */
	bool bridge;        /* has a secondary bus */
	bool multifunction; /* header type bit 7 (set at finalize unless given) */
	uint8_t secondary, subordinate;
	uint32_t parent; /* bridge whose secondary bus this is on, or NONE */
	uint16_t vendor, device;
	bool ids_known;     /* vendor/device are real (quirks may match) */
	bool ids_from_name; /* lspci without -nn: IDs inferred from the name */

	/* ACS extended capability (registers as read) */
	bool acs;
	uint16_t acs_cap, acs_ctrl;
	uint64_t acs_egress;  /* Egress Control Vector, bit = egress port number (0-63) */
	uint8_t port_number;  /* Link Capabilities Port Number (egress vector index) */
	bool external_facing; /* firmware marks it untrusted: Linux also sets TB */

	/* ATS / PASID / PRI */
	bool ats, ats_enabled;
	uint8_t ats_stu; /* smallest translation unit: 2^(stu+12) bytes */
	uint8_t ats_inv_qdepth;
	bool pasid, pasid_exec, pasid_priv, pasid_enabled;
	uint8_t pasid_width; /* Max PASID Width, bits */
	bool pri, pri_enabled;
	uint32_t pri_capacity; /* outstanding page requests */

	/* DMA aliases (pci_for_each_dma_alias): devfns on the same bus */
	uint64_t dma_alias[4];
	bool pcie_bridge_alias; /* PCI_DEV_FLAG_PCIE_BRIDGE_ALIAS */

	struct iom_pcie_bar bars[IOM_PCIE_MAX_BARS];
	uint8_t nbars;
	uint64_t win_base,
	    win_limit; /* bridge memory window [base, limit]; none unless base < limit */
	struct iom_pcie_fn_link link;
	/* addressing limit (models/host/resv.c); 0 = not given */
	uint8_t dma_bits;     /* width of the DMA mask its driver sets */
	uint8_t bus_dma_bits; /* firmware limit: IORT memory address size limit, DT dma-ranges */

	/* kernel-side state */
	bool acs_quirk_enabled; /* PCI_DEV_FLAGS_ACS_ENABLED_QUIRK (Intel PCH) */
	uint32_t group;         /* IOMMU group, NONE before iom_pcie_groups_compute() */
	uint8_t group_why;      /* enum iom_pcie_group_why: how it got that group */
	uint32_t group_via;     /* the function that decided it (bridge, alias, sibling) */

	/* derived at finalize */
	uint32_t busidx;   /* index of the bus it sits on */
	uint32_t secidx;   /* index of its secondary bus, NONE */
	uint16_t depth;    /* 0 on a root bus */
	uint32_t src_line; /* where it was described (lspci line, config element + 1) */

	/* builder only */
	char parent_name[IOM_PCIE_NAME_MAX];
	bool bus_given;     /* segment/bus are given (else from parent) */
	uint8_t mf_given;   /* 0 auto, 1 no, 2 yes */
	bool numbers_given; /* bridge: secondary/subordinate given */
};

struct iom_pcie_bus {
	uint16_t segment;
	uint8_t number;
	bool conventional; /* a PCI bus (below a PCIe-to-PCI or PCI bridge), not a PCIe link */
	uint32_t self;     /* the bridge above, NONE for a root bus */
	uint32_t *fns;     /* functions on it, ascending devfn */
	uint32_t nfns, capfns;
};

/* A root complex / host bridge: one root bus of a PCI segment. */
struct iom_pcie_rc {
	char name[IOM_PCIE_NAME_MAX];
	uint16_t segment;
	uint8_t bus;        /* root bus number */
	uint64_t mmio_base; /* where unaddressed BARs below are placed */
};

struct iom_pcie_bar_ent {   /* one decodable BAR, in the sorted decode table */
	uint64_t base, end; /* [base, end) */
	uint32_t fn;
	uint8_t bar; /* index in fn->bars */
};

struct iom_pcie_topo {
	struct iom_pcie_fn *fns;
	uint32_t nfns, capfns;
	struct iom_pcie_rc *rcs;
	uint32_t nrcs, caprcs;
	struct iom_pcie_bus *buses;
	uint32_t nbuses, capbuses;
	struct iom_u64map bus_index;  /* segment << 8 | bus -> bus index */
	struct iom_u64map rid_index;  /* segment << 16 | rid -> fn index */
	struct iom_u64map name_index; /* hash of name -> fn index (config) */
	struct iom_pcie_bar_ent *bars;
	uint32_t nbars;
	uint32_t *order;     /* the order Linux adds devices (groups) */
	uint32_t kernel;     /* Linux version code, see iom_pcie_kver() */
	bool os_acs_enabled; /* pci_enable_acs() ran (IOMMU on) */
	bool ats_disabled;   /* pci=noats: Linux also enables TB */
	bool finalized;
	uint32_t ngroups;
	uint32_t *group_size; /* members per group */
	uint16_t *acs_eff;    /* per function: iom_pcie_acs_effective(), see refresh */
	/* firmware reserved regions of functions (models/host/resv.c) */
	struct iom_pcie_resv *resv;
	uint32_t nresv, capresv;
	/* where the description came from, for messages */
	uint8_t src_kind;   /* IOM_PCIE_SRC_* */
	char src_name[256]; /* file name (config or lspci) */
};

enum { IOM_PCIE_SRC_API = 0, IOM_PCIE_SRC_CONFIG, IOM_PCIE_SRC_LSPCI };

/* A region firmware describes for a function (VT-d RMRR, IORT RMR, AMD IVMD):
 * models/host/resv.c reports it. kind follows Linux's enum iommu_resv_type:
 * 0 direct, 1 direct_relaxable, 2 reserved, 3 msi, 4 sw_msi. */
struct iom_pcie_resv {
	uint64_t base, size;
	uint32_t fn;
	uint8_t kind;
};
#define IOM_PCIE_RESV_KINDS 5
int iom_pcie_add_resv(struct iom_pcie_topo *t, uint32_t fn, uint64_t base, uint64_t size,
                      unsigned kind, struct iom_err *err);

/* "pcie.functions[3] 'nic0'" / "FILE:LINE: 0000:00:1c.0" / "function 'x'". */
const char *iom_pcie_fn_where(const struct iom_pcie_topo *t, const struct iom_pcie_fn *f, char *buf,
                              size_t sz);

/* Linux version code: major * 1000 + minor ("6.12" -> 6012). */
static inline uint32_t iom_pcie_kver(unsigned major, unsigned minor)
{
	return major * 1000u + minor;
}
/* Parse "6.12", "3.19.0-69-generic", "v6.2"; false if not a version. */
bool iom_pcie_kver_parse(const char *s, uint32_t *out);
#define IOM_PCIE_KERNEL_DEFAULT "6.12"

struct iom_pcie_topo *iom_pcie_topo_create(void);
void iom_pcie_topo_destroy(struct iom_pcie_topo *t);

/* Add a root complex (root bus). Names must be unique among rcs and fns. */
int iom_pcie_add_rc(struct iom_pcie_topo *t, const struct iom_pcie_rc *rc, struct iom_err *err);

/*
 * Add a function described by `d` (copied).  Either d->parent_name names a
 * root complex or a bridge (config style; bus numbers come from the parent),
 * or d->bus_given with segment/bus/devfn (import style; the parent is the
 * bridge whose secondary bus it is, found at finalize).  Returns the index
 * or IOM_PCIE_NONE with err set.
 */
uint32_t iom_pcie_add_fn(struct iom_pcie_topo *t, const struct iom_pcie_fn *d, struct iom_err *err);

/* Finalize flags. */
#define IOM_PCIE_STRICT 0x1 /* enforce the PCIe rules on who may sit below whom */

/*
 * Resolve, enumerate, assign, check and index (see the top comment).  Errors
 * name the function ("pcie.functions[3] 'nic0': ...") and what was expected.
 */
int iom_pcie_topo_finalize(struct iom_pcie_topo *t, unsigned flags, struct iom_err *err);

/*
 * Recompute what is derived from the ACS registers, the quirk state and the
 * kernel version (the effective ACS controls routing uses).  finalize,
 * iom_pcie_enable_acs() and iom_pcie_groups_compute() call it; call it after
 * changing fns[].acs*, t->kernel or t->os_acs_enabled directly.
 */
int iom_pcie_topo_refresh(struct iom_pcie_topo *t, struct iom_err *err);

/* Lookups (finalized topology). */
uint32_t iom_pcie_find_rid(const struct iom_pcie_topo *t, uint16_t segment, uint16_t rid);
uint32_t iom_pcie_find_name(const struct iom_pcie_topo *t, const char *name);
/* The function and BAR whose range holds addr, IOM_PCIE_NONE if none. */
uint32_t iom_pcie_decode(const struct iom_pcie_topo *t, uint64_t addr, uint8_t *bar);

static inline uint16_t iom_pcie_rid(const struct iom_pcie_fn *f)
{
	return (uint16_t)(f->bus << 8 | f->devfn);
}
static inline unsigned iom_pcie_slot(const struct iom_pcie_fn *f)
{
	return f->devfn >> 3;
}
static inline unsigned iom_pcie_func(const struct iom_pcie_fn *f)
{
	return f->devfn & 7;
}
static inline bool iom_pcie_on_root_bus(const struct iom_pcie_fn *f)
{
	return f->parent == IOM_PCIE_NONE;
}
static inline bool iom_pcie_fn_has_alias(const struct iom_pcie_fn *f, unsigned devfn)
{
	return (f->dma_alias[devfn >> 6] >> (devfn & 63)) & 1;
}

/* "0000:03:00.0" into buf (>= 13 bytes); returns buf. */
const char *iom_pcie_bdf(const struct iom_pcie_fn *f, char *buf, size_t sz);
/* Short form "03:00.0" for segment 0, else the long form. */
const char *iom_pcie_bdf_short(const struct iom_pcie_fn *f, char *buf, size_t sz);
/* Parse "[SSSS:]BB:DD.F"; false if malformed. */
bool iom_pcie_parse_bdf(const char *s, uint16_t *segment, uint8_t *bus, uint8_t *devfn,
                        const char **end);

/* Is `f` below bridge `b` (in its secondary subtree)? */
bool iom_pcie_is_below(const struct iom_pcie_topo *t, uint32_t f, uint32_t b);

/* ---- ACS as Linux evaluates it (acs.c) ---------------------------------- */

/* pci_acs_flags_enabled(): standard capability check only. */
bool iom_pcie_acs_flags_enabled(const struct iom_pcie_topo *t, uint32_t f, uint16_t flags);
/* pci_acs_enabled(): quirk table first, then the rules by type. */
bool iom_pcie_acs_enabled(const struct iom_pcie_topo *t, uint32_t f, uint16_t flags);
/* pci_acs_path_enabled(f, NULL, flags): f and every bridge above it. On false,
 * *blocker (if not NULL) is the first function that failed. */
bool iom_pcie_acs_path_enabled(const struct iom_pcie_topo *t, uint32_t f, uint16_t flags,
                               uint32_t *blocker);
/* The ACS control bits in effect at a port for routing: the control register,
 * or what a quirk provides (Intel PCH root ports with the quirk enabled). */
uint16_t iom_pcie_acs_effective(const struct iom_pcie_topo *t, uint32_t f);
/* pci_enable_acs() on every function (what the kernel does when an IOMMU is
 * on): SV|RR|CR|UF where advertised, TB for external-facing ports or with
 * ats_disabled, the device-specific enables (Intel PCH). */
void iom_pcie_enable_acs(struct iom_pcie_topo *t);

/* "SV RR CR UF" for a bit set (bits named in the ACS order); returns buf. */
const char *iom_pcie_acs_str(uint16_t bits, char *buf, size_t sz);
/* Name of one ACS bit ("RR"), "?" if not one bit. */
const char *iom_pcie_acs_bit_name(uint16_t bit);

/* Print the topology as an indented tree (debugging, `groups --long`). */
void iom_pcie_topo_print(const struct iom_pcie_topo *t, FILE *f);

#ifdef __cplusplus
}
#endif
#endif
