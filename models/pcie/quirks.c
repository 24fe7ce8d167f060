/* SPDX-License-Identifier: Apache-2.0 */
/*
 * quirks.c - Linux's ACS and DMA-alias quirks (quirks.h).
 *
 * Source: torvalds/linux drivers/pci/quirks.c (pci_dev_acs_enabled[],
 * pci_quirk_intel_pch_acs_ids[], pci_quirk_intel_spt_pch_acs_match(),
 * quirk_dma_func0_alias / quirk_dma_func1_alias /
 * quirk_use_pcie_bridge_dma_alias), summarised in algorithms-reference.md
 * 4.3-4.4.  The tables here are a subset of mainline's, in mainline's order
 * (the first quirk that answers wins): multifunction endpoints verified to
 * have no internal peer-to-peer, Intel PCH root ports (ACS through a
 * chipset register), Sunrise/Union Point root ports (dword ACS registers),
 * Qualcomm and Cavium root ports, Intel RCiEPs.  Kernel versions: a quirk
 * is applied only at or after its `since` version; `since` = 0 means
 * "present in every version the model covers" (the reference gives no
 * version); Sunrise Point's (v4.7) and the Intel RCiEP quirk's (v5.8) are
 * from their commits.
 *
 * Not modelled: quirks that depend on firmware tables (AMD southbridge with
 * an IVRS table), on registers we do not hold (Intel PCH: the RCBA/BSPR
 * state -- enabling always succeeds here), the `pcie_acs_override` patch.
 */
#include "quirks.h"

#include <string.h>

#define ANY 0xffffu

enum q_kind {
	Q_MF_ENDPOINT, /* pci_quirk_mf_endpoint_acs: no P2P between functions */
	Q_INTEL_PCH,   /* pci_quirk_intel_pch_acs: root port, ACS via chipset */
	Q_INTEL_SPT,   /* pci_quirk_intel_spt_pch_acs: control register at +8 */
	Q_RP_ISOLATED, /* qcom/xgene style: provides SV|RR|CR|UF */
	Q_CAVIUM,      /* pci_quirk_cavium_acs: device 0xa000-0xa0ff */
	Q_RCIEP,       /* pci_quirk_rciep_acs: Intel RCiEPs */
};

struct acs_quirk {
	uint16_t vendor, device;
	uint8_t kind;
	uint32_t since; /* Linux version code, 0 = always */
};

/* clang-format off */
#define MF(v, d) { v, d, Q_MF_ENDPOINT, 0 }
static const struct acs_quirk acs_quirks[] = {
	MF(0x1924, 0x0903), MF(0x1924, 0x0923), MF(0x1924, 0x0a03), /* Solarflare */
	MF(0x8086, 0x10c6), MF(0x8086, 0x10db), MF(0x8086, 0x10dd), MF(0x8086, 0x10e1),
	MF(0x8086, 0x10f1), MF(0x8086, 0x10f7), MF(0x8086, 0x10f8), MF(0x8086, 0x10f9),
	MF(0x8086, 0x10fa), MF(0x8086, 0x10fb), MF(0x8086, 0x10fc), MF(0x8086, 0x1507),
	MF(0x8086, 0x1514), MF(0x8086, 0x151c), MF(0x8086, 0x1529), MF(0x8086, 0x152a),
	MF(0x8086, 0x154d), MF(0x8086, 0x154f), MF(0x8086, 0x1551), MF(0x8086, 0x1558),
	MF(0x8086, 0x1509), MF(0x8086, 0x150e), MF(0x8086, 0x150f), MF(0x8086, 0x1510), /* 82580 */
	MF(0x8086, 0x1511), MF(0x8086, 0x1516), MF(0x8086, 0x1527),
	MF(0x8086, 0x10c9), MF(0x8086, 0x10e6), MF(0x8086, 0x10e7), MF(0x8086, 0x10e8), /* 82576 */
	MF(0x8086, 0x150a), MF(0x8086, 0x150d), MF(0x8086, 0x1518), MF(0x8086, 0x1526),
	MF(0x8086, 0x10a7), MF(0x8086, 0x10a9), MF(0x8086, 0x10d6), /* 82575 */
	MF(0x8086, 0x1521), MF(0x8086, 0x1522), MF(0x8086, 0x1523), MF(0x8086, 0x1524), /* I350 */
	MF(0x8086, 0x105e), MF(0x8086, 0x105f), MF(0x8086, 0x1060), MF(0x8086, 0x10d9), /* 82571 */
	MF(0x8086, 0x15b7), MF(0x8086, 0x15b8), /* I219 */
	/* QCOM QDF2xxx root ports */
	{ 0x17cb, 0x0400, Q_RP_ISOLATED, 0 }, { 0x17cb, 0x0401, Q_RP_ISOLATED, 0 },
	{ 0x8086, ANY, Q_INTEL_PCH, 0 },
	{ 0x8086, ANY, Q_INTEL_SPT, 4007 },
	MF(0x19a2, 0x0710), MF(0x10df, 0x0720), /* Emulex BE3-R, Skyhawk-R */
	{ 0x177d, ANY, Q_CAVIUM, 0 },           /* Cavium ThunderX */
	{ 0x8086, ANY, Q_RCIEP, 5008 },
};
#undef MF
/* clang-format on */

/* Intel PCH root ports without an ACS capability (Red Hat bz 1037684). */
/* clang-format off */
static const uint16_t intel_pch_ids[] = {
	/* Ibexpeak */
	0x3b42, 0x3b43, 0x3b44, 0x3b45, 0x3b46, 0x3b47, 0x3b48, 0x3b49, 0x3b4a, 0x3b4b, 0x3b4c,
	0x3b4d, 0x3b4e, 0x3b4f, 0x3b50, 0x3b51,
	/* Cougarpoint */
	0x1c10, 0x1c11, 0x1c12, 0x1c13, 0x1c14, 0x1c15, 0x1c16, 0x1c17, 0x1c18, 0x1c19, 0x1c1a,
	0x1c1b, 0x1c1c, 0x1c1d, 0x1c1e, 0x1c1f,
	/* Pantherpoint */
	0x1e10, 0x1e11, 0x1e12, 0x1e13, 0x1e14, 0x1e15, 0x1e16, 0x1e17, 0x1e18, 0x1e19, 0x1e1a,
	0x1e1b, 0x1e1c, 0x1e1d, 0x1e1e, 0x1e1f,
	/* Lynxpoint-H */
	0x8c10, 0x8c11, 0x8c12, 0x8c13, 0x8c14, 0x8c15, 0x8c16, 0x8c17, 0x8c18, 0x8c19, 0x8c1a,
	0x8c1b, 0x8c1c, 0x8c1d, 0x8c1e, 0x8c1f,
	/* Lynxpoint-LP */
	0x9c10, 0x9c11, 0x9c12, 0x9c13, 0x9c14, 0x9c15, 0x9c16, 0x9c17, 0x9c18, 0x9c19, 0x9c1a,
	0x9c1b,
	/* Wildcat */
	0x9c90, 0x9c91, 0x9c92, 0x9c93, 0x9c94, 0x9c95, 0x9c96, 0x9c97, 0x9c98, 0x9c99, 0x9c9a,
	0x9c9b,
	/* Patsburg (X79) */
	0x1d10, 0x1d12, 0x1d14, 0x1d16, 0x1d18, 0x1d1a, 0x1d1c, 0x1d1e,
	/* Wellsburg (X99) */
	0x8d10, 0x8d11, 0x8d12, 0x8d13, 0x8d14, 0x8d15, 0x8d16, 0x8d17, 0x8d18, 0x8d19, 0x8d1a,
	0x8d1b, 0x8d1c, 0x8d1d, 0x8d1e,
	/* Lynx Point (9 series) */
	0x8c90, 0x8c92, 0x8c94, 0x8c96, 0x8c98, 0x8c9a, 0x8c9c, 0x8c9e,
};
/* clang-format on */

static bool pch_match(const struct iom_pcie_fn *f)
{
	if (f->type != IOM_PCIE_ROOT_PORT)
		return false;
	for (size_t i = 0; i < IOM_ARRAY_SIZE(intel_pch_ids); i++)
		if (intel_pch_ids[i] == f->device)
			return true;
	return false;
}

/* Sunrise Point-H 0xa110-0xa11f, 0xa167-0xa16a; Union Point 0xa290-0xa29f, 0xa2e7-0xa2ee. */
static bool spt_match(const struct iom_pcie_fn *f)
{
	uint16_t d = f->device;
	return f->type == IOM_PCIE_ROOT_PORT &&
	       ((d >= 0xa110 && d <= 0xa11f) || (d >= 0xa167 && d <= 0xa16a) ||
	        (d >= 0xa290 && d <= 0xa29f) || (d >= 0xa2e7 && d <= 0xa2ee));
}

#define ISOLATION (IOM_ACS_SV | IOM_ACS_RR | IOM_ACS_CR | IOM_ACS_UF)

/* One entry's answer: -1 not applicable, 0 no, 1 yes; *prov = bits provided. */
static int quirk_eval(const struct iom_pcie_topo *t, const struct iom_pcie_fn *f,
                      const struct acs_quirk *q, uint16_t flags, uint16_t *prov)
{
	switch (q->kind) {
	case Q_MF_ENDPOINT:
		/* SV, TB, UF are not relevant to multifunction endpoints; RR, CR, DT
		 * are only required if they do P2P between functions -- they don't */
		*prov = ISOLATION;
		flags &= (uint16_t) ~(IOM_ACS_SV | IOM_ACS_TB | IOM_ACS_RR | IOM_ACS_CR |
		                      IOM_ACS_UF | IOM_ACS_DT);
		return !flags;
	case Q_INTEL_PCH:
		if (!pch_match(f))
			return -1;
		*prov = f->acs_quirk_enabled ? ISOLATION : 0;
		return !(flags & ~*prov);
	case Q_INTEL_SPT:
		if (!spt_match(f) || !f->acs)
			return -1;
		flags &= f->acs_cap | IOM_ACS_EC;
		*prov = f->acs_ctrl;
		return !(flags & ~f->acs_ctrl);
	case Q_RP_ISOLATED:
		*prov = ISOLATION;
		return !(flags & ~ISOLATION);
	case Q_CAVIUM:
		if (f->device < 0xa000 || f->device > 0xa0ff)
			return -1;
		*prov = ISOLATION;
		flags &= (uint16_t) ~(IOM_ACS_SV | IOM_ACS_TB | IOM_ACS_RR | IOM_ACS_CR |
		                      IOM_ACS_UF | IOM_ACS_DT);
		return !flags;
	case Q_RCIEP:
		if (f->type != IOM_PCIE_RCIEP)
			return -1;
		*prov = ISOLATION;
		return !(flags & ~ISOLATION);
	}
	(void)t;
	return -1;
}

static const struct acs_quirk *quirk_find(const struct iom_pcie_topo *t,
                                          const struct iom_pcie_fn *f, uint16_t flags, int *ret,
                                          uint16_t *prov)
{
	if (!f->ids_known)
		return NULL;
	for (size_t i = 0; i < IOM_ARRAY_SIZE(acs_quirks); i++) {
		const struct acs_quirk *q = &acs_quirks[i];
		if ((q->vendor != f->vendor && q->vendor != ANY) ||
		    (q->device != f->device && q->device != ANY) ||
		    (q->since && t->kernel < q->since))
			continue;
		uint16_t p = 0;
		int r = quirk_eval(t, f, q, flags, &p);
		if (r >= 0) {
			*ret = r;
			*prov = p;
			return q;
		}
	}
	return NULL;
}

int iom_pcie_quirk_acs_enabled(const struct iom_pcie_topo *t, uint32_t f, uint16_t flags)
{
	int r;
	uint16_t p;
	return quirk_find(t, &t->fns[f], flags, &r, &p) ? r : -1;
}

bool iom_pcie_quirk_acs_provided(const struct iom_pcie_topo *t, uint32_t f, uint16_t *bits)
{
	int r;
	return quirk_find(t, &t->fns[f], IOM_ACS_REQ_FLAGS, &r, bits) != NULL;
}

const char *iom_pcie_quirk_acs_name(const struct iom_pcie_topo *t, uint32_t f)
{
	int r;
	uint16_t p;
	const struct acs_quirk *q = quirk_find(t, &t->fns[f], IOM_ACS_REQ_FLAGS, &r, &p);
	if (!q)
		return NULL;
	switch (q->kind) {
	case Q_MF_ENDPOINT:
		return "multifunction device without peer-to-peer between functions";
	case Q_INTEL_PCH:
		return t->fns[f].acs_quirk_enabled
		           ? "Intel PCH root port (ACS via chipset, enabled)"
		           : "Intel PCH root port (ACS via chipset, not enabled)";
	case Q_INTEL_SPT:
		return "Intel Sunrise/Union Point root port (dword ACS registers)";
	case Q_RP_ISOLATED:
		return "root port isolated by design";
	case Q_CAVIUM:
		return "Cavium ThunderX (no peer-to-peer)";
	case Q_RCIEP:
		return "Intel RCiEP (isolated)";
	}
	return NULL;
}

bool iom_pcie_quirk_enable_acs(struct iom_pcie_topo *t, uint32_t f)
{
	struct iom_pcie_fn *x = &t->fns[f];
	if (!x->ids_known || x->vendor != 0x8086)
		return false;
	if (pch_match(x)) {
		x->acs_quirk_enabled = true; /* chipset register written, MPC.IRBNCE set */
		return true;
	}
	if (spt_match(x) && x->acs && t->kernel >= iom_pcie_kver(4, 7)) {
		x->acs_ctrl |= x->acs_cap & ISOLATION;
		return true;
	}
	return false;
}

/* ---- DMA aliases ---------------------------------------------------------- */

struct alias_quirk {
	uint16_t vendor, device;
	uint8_t kind; /* 0: function 0 alias, 1: function 1 alias, 2: PCIe bridge alias */
};

/* clang-format off */
static const struct alias_quirk alias_quirks[] = {
	{ 0x1180, 0xe832, 0 }, { 0x1180, 0xe476, 0 }, /* Ricoh */
	{ 0x1b4b, 0x9120, 1 }, { 0x1b4b, 0x9123, 1 }, { 0x1b4b, 0x9130, 1 }, { 0x1b4b, 0x9172, 1 },
	{ 0x1b4b, 0x917a, 1 }, { 0x1b4b, 0x9182, 1 }, { 0x1b4b, 0x91a0, 1 }, { 0x1b4b, 0x9230, 1 },
	{ 0x1103, 0x0642, 1 }, /* TTI */
	{ 0x1c28, 0x0122, 1 }, /* Lite-On / Plextor M6E (Marvell 88SS9183) */
	{ 0x1b21, 0x1080, 2 }, /* ASM1083/1085 */
	{ 0x10e3, 0x8113, 2 }, /* Tundra 8113 */
	{ 0x1283, 0x8892, 2 }, { 0x1283, 0x8893, 2 }, /* ITE 8892/8893 */
	{ 0x8086, 0x244e, 2 }, /* Intel 82801 */
};
/* clang-format on */

static void alias_add(struct iom_pcie_fn *f, unsigned devfn)
{
	f->dma_alias[devfn >> 6] |= 1ull << (devfn & 63);
}

void iom_pcie_quirk_dma_aliases(struct iom_pcie_topo *t)
{
	for (uint32_t i = 0; i < t->nfns; i++) {
		struct iom_pcie_fn *f = &t->fns[i];
		if (!f->ids_known)
			continue;
		for (size_t k = 0; k < IOM_ARRAY_SIZE(alias_quirks); k++) {
			const struct alias_quirk *q = &alias_quirks[k];
			if (q->vendor != f->vendor || q->device != f->device)
				continue;
			unsigned slot = iom_pcie_slot(f);
			if (q->kind == 0 && iom_pcie_func(f) != 0)
				alias_add(f, slot << 3);
			else if (q->kind == 1 && iom_pcie_func(f) != 1)
				alias_add(f, slot << 3 | 1);
			else if (q->kind == 2 && f->parent != IOM_PCIE_NONE && f->bridge &&
			         !iom_pcie_type_is_pcie(f->type) &&
			         iom_pcie_type_is_pcie(t->fns[f->parent].type) &&
			         t->fns[f->parent].type != IOM_PCIE_PCIE_TO_PCI)
				f->pcie_bridge_alias = true;
		}
	}
}

/* ---- IDs from lspci names ------------------------------------------------- */

static const struct {
	const char *name;
	uint16_t id;
} vendor_names[] = {
    {"Intel Corporation", 0x8086},
    {"Advanced Micro Devices, Inc. [AMD]", 0x1022},
    {"Advanced Micro Devices, Inc. [AMD/ATI]", 0x1002},
    {"Solarflare Communications", 0x1924},
    {"Cavium, Inc.", 0x177d},
    {"Marvell Technology Group Ltd.", 0x1b4b},
    {"Ricoh Co Ltd", 0x1180},
    {"ASMedia Technology Inc.", 0x1b21},
    {"Qualcomm", 0x17cb},
};

/* pci.ids names of the Intel PCH root port families in the quirk tables;
 * the device ID given is one member of the family (they all match alike). */
static const struct {
	const char *name;
	uint16_t device;
} device_names[] = {
    {"5 Series/3400 Series Chipset PCI Express Root Port", 0x3b42},
    {"6 Series/C200 Series Chipset Family PCI Express Root Port", 0x1c10},
    {"7 Series/C210 Series Chipset Family PCI Express Root Port", 0x1e10},
    {"8 Series/C220 Series Chipset Family PCI Express Root Port", 0x8c10},
    {"8 Series PCI Express Root Port", 0x9c10},
    {"Wildcat Point-LP PCI Express Root Port", 0x9c90},
    {"C600/X79 series chipset PCI Express Root Port", 0x1d10},
    {"C610/X99 series chipset PCI Express Root Port", 0x8d10},
    {"9 Series Chipset Family PCI Express Root Port", 0x8c90},
    {"100 Series/C230 Series Chipset Family PCI Express Root Port", 0xa110},
    {"200 Series PCH PCI Express Root Port", 0xa290},
};

bool iom_pcie_quirk_ids_from_name(const char *text, uint16_t *vendor, uint16_t *device)
{
	bool found = false;
	*device = 0;
	for (size_t i = 0; i < IOM_ARRAY_SIZE(vendor_names) && !found; i++) {
		size_t n = strlen(vendor_names[i].name);
		if (!strncmp(text, vendor_names[i].name, n) && (text[n] == ' ' || !text[n])) {
			*vendor = vendor_names[i].id;
			found = true;
		}
	}
	if (!found)
		return false;
	for (size_t i = 0; i < IOM_ARRAY_SIZE(device_names); i++)
		if (strstr(text, device_names[i].name)) {
			*device = device_names[i].device;
			break;
		}
	return true;
}
