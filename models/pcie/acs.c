/* SPDX-License-Identifier: Apache-2.0 */
/*
 * acs.c - Access Control Services as Linux evaluates and enables them.
 *
 * Source: algorithms-reference.md 4.3 and 4.6 (torvalds/linux
 * drivers/pci/pci.c pci_acs_enabled, pci_acs_flags_enabled,
 * pci_acs_path_enabled, pci_std_enable_acs, pci_enable_acs).
 *
 *  - pci_acs_flags_enabled: no ACS capability -> false; requested bits the
 *    capability does not advertise are dropped (except EC) -- "unimplemented
 *    means hard-wired" -- then every remaining bit must be set in control.
 *  - pci_acs_enabled: the quirk table answers first; conventional PCI ->
 *    false; PCIe-to-PCI, PCI-to-PCIe bridges and RC event collectors ->
 *    false; root and downstream ports -> the capability check; endpoints,
 *    upstream ports, legacy endpoints and RCiEPs -> the capability check if
 *    multifunction, else true.
 *  - pci_enable_acs: SV, RR, CR, UF where advertised; TB only for
 *    external-facing ports or with ATS disabled; device-specific enables.
 *
 * Kernel versions: Intel Sunrise/Union Point root ports keep their ACS
 * control register at +8 (dword registers); before the v4.7 quirk Linux read
 * +6, the upper half of the capability dword, which we take as zero.
 * Not modelled: ACS Enhanced (I/O request blocking, memory target access,
 * unclaimed request redirect), `pci=config_acs=` / `disable_acs_redir=`.
 */
#include "quirks.h"
#include "topology.h"

#include <string.h>

static bool acs_spt_broken(const struct iom_pcie_topo *t, const struct iom_pcie_fn *f)
{
	uint16_t d = f->device;
	return f->ids_known && f->vendor == 0x8086 && f->type == IOM_PCIE_ROOT_PORT &&
	       t->kernel < iom_pcie_kver(4, 7) &&
	       ((d >= 0xa110 && d <= 0xa11f) || (d >= 0xa167 && d <= 0xa16a) ||
	        (d >= 0xa290 && d <= 0xa29f) || (d >= 0xa2e7 && d <= 0xa2ee));
}

bool iom_pcie_acs_flags_enabled(const struct iom_pcie_topo *t, uint32_t fi, uint16_t flags)
{
	const struct iom_pcie_fn *f = &t->fns[fi];
	if (!f->acs)
		return false;
	flags &= (uint16_t)(f->acs_cap | IOM_ACS_EC);
	uint16_t ctrl = acs_spt_broken(t, f) ? 0 : f->acs_ctrl;
	return (ctrl & flags) == flags;
}

bool iom_pcie_acs_enabled(const struct iom_pcie_topo *t, uint32_t fi, uint16_t flags)
{
	int q = iom_pcie_quirk_acs_enabled(t, fi, flags);
	if (q >= 0)
		return q > 0;
	const struct iom_pcie_fn *f = &t->fns[fi];
	switch (f->type) {
	case IOM_PCIE_PCI_BRIDGE:
	case IOM_PCIE_PCI_DEVICE:
		return false; /* conventional PCI */
	case IOM_PCIE_PCI_TO_PCIE:
	case IOM_PCIE_PCIE_TO_PCI:
	case IOM_PCIE_RC_EC:
		return false; /* PCIe 6.12.1: ACS never applicable */
	case IOM_PCIE_DOWNSTREAM:
	case IOM_PCIE_ROOT_PORT:
		return iom_pcie_acs_flags_enabled(t, fi, flags);
	default: /* endpoint, upstream port, legacy endpoint, RCiEP */
		if (!f->multifunction)
			return true; /* 6.12.1.3: nothing applicable to single functions */
		return iom_pcie_acs_flags_enabled(t, fi, flags);
	}
}

bool iom_pcie_acs_path_enabled(const struct iom_pcie_topo *t, uint32_t fi, uint16_t flags,
                               uint32_t *blocker)
{
	for (uint32_t p = fi, n = 0; p != IOM_PCIE_NONE && n < 512; p = t->fns[p].parent, n++) {
		if (!iom_pcie_acs_enabled(t, p, flags)) {
			if (blocker)
				*blocker = p;
			return false;
		}
	}
	return true;
}

uint16_t iom_pcie_acs_effective(const struct iom_pcie_topo *t, uint32_t fi)
{
	const struct iom_pcie_fn *f = &t->fns[fi];
	uint16_t q;
	if (iom_pcie_quirk_acs_provided(t, fi, &q))
		return q;
	if (!f->acs || acs_spt_broken(t, f))
		return 0;
	return f->acs_ctrl & (f->acs_cap | IOM_ACS_EC) & IOM_ACS_ALL_BITS;
}

void iom_pcie_enable_acs(struct iom_pcie_topo *t)
{
	for (uint32_t i = 0; i < t->nfns; i++) {
		struct iom_pcie_fn *f = &t->fns[i];
		if (iom_pcie_quirk_enable_acs(t, i) || !f->acs)
			continue;
		f->acs_ctrl |= f->acs_cap & IOM_ACS_BOOT_FLAGS;
		if (t->ats_disabled || f->external_facing)
			f->acs_ctrl |= f->acs_cap & IOM_ACS_TB;
	}
	t->os_acs_enabled = true;
	if (t->acs_eff)
		for (uint32_t i = 0; i < t->nfns; i++)
			t->acs_eff[i] = iom_pcie_acs_effective(t, i);
}

static const char *const acs_names[] = {"SV", "TB", "RR", "CR", "UF", "EC", "DT"};

const char *iom_pcie_acs_bit_name(uint16_t bit)
{
	for (unsigned i = 0; i < IOM_ARRAY_SIZE(acs_names); i++)
		if (bit == 1u << i)
			return acs_names[i];
	return "?";
}

const char *iom_pcie_acs_str(uint16_t bits, char *buf, size_t sz)
{
	size_t used = 0;
	buf[0] = 0;
	for (unsigned i = 0; i < IOM_ARRAY_SIZE(acs_names); i++) {
		if (!(bits & (1u << i)))
			continue;
		int w = snprintf(buf + used, sz - used, "%s%s", used ? " " : "", acs_names[i]);
		if (w < 0 || (size_t)w >= sz - used)
			break;
		used += (size_t)w;
	}
	if (!used)
		snprintf(buf, sz, "-");
	return buf;
}
