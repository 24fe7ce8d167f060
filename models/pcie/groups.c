/* SPDX-License-Identifier: Apache-2.0 */
/*
 * groups.c - Linux's IOMMU grouping of PCI devices (groups.h).
 *
 * Source: algorithms-reference.md 4.4 (pci_for_each_dma_alias,
 * drivers/pci/search.c) and 4.5 (pci_device_group, get_pci_alias_or_group,
 * get_pci_alias_group, get_pci_function_alias_group in
 * drivers/iommu/iommu.c), 3.1 and 7.1 (pci_enable_pasid's ACS check since
 * v6.2; the single-device-group SVA rule up to v6.1).
 *
 * The result depends on the order devices are added (a bridge must have its
 * group before the devices below look for it), so groups are computed in
 * t->order, the order Linux's bus walk registers them.  The per-bus device
 * lists replace the kernel's walk over every PCI device, which makes one
 * grouping O(functions x (depth + functions per bus)).
 *
 * Not modelled: the 2025 "pci_bus_isolated" rework (under review, see the
 * reference: it would merge the endpoints below a switch whose downstream
 * ports lack ACS); VFs on virtual buses; non-PCI devices in groups.
 */
#include "groups.h"

#include "quirks.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

bool iom_pcie_for_each_dma_alias(const struct iom_pcie_topo *t, uint32_t f, iom_pcie_alias_cb cb,
                                 void *ctx)
{
	const struct iom_pcie_fn *x = &t->fns[f];
	if (cb(t, f, iom_pcie_rid(x), ctx))
		return true;
	for (unsigned w = 0; w < 4; w++) {
		for (uint64_t m = x->dma_alias[w]; m; m &= m - 1) {
			unsigned devfn = w * 64 + (unsigned)__builtin_ctzll(m);
			if (cb(t, f, (uint16_t)(x->bus << 8 | devfn), ctx))
				return true;
		}
	}
	for (uint32_t p = x->parent, n = 0; p != IOM_PCIE_NONE && n < 512;
	     p = t->fns[p].parent, n++) {
		const struct iom_pcie_fn *b = &t->fns[p];
		uint16_t rid;
		switch (b->type) {
		case IOM_PCIE_ROOT_PORT:
		case IOM_PCIE_UPSTREAM:
		case IOM_PCIE_DOWNSTREAM:
			continue; /* PCIe keeps requester IDs */
		case IOM_PCIE_PCIE_TO_PCI:
			rid = (uint16_t)(b->secondary << 8); /* (secondary bus, 00.0) */
			break;
		case IOM_PCIE_PCI_TO_PCIE:
			rid = iom_pcie_rid(b);
			break;
		case IOM_PCIE_PCI_BRIDGE:
			rid =
			    b->pcie_bridge_alias ? (uint16_t)(b->secondary << 8) : iom_pcie_rid(b);
			break;
		default:
			continue;
		}
		if (cb(t, p, rid, ctx))
			return true;
	}
	return false;
}

uint16_t iom_pcie_dma_rid(const struct iom_pcie_topo *t, uint32_t f)
{
	const struct iom_pcie_fn *x = &t->fns[f];
	uint16_t rid = iom_pcie_rid(x);
	/* a quirked device DMAs with another function's RID (the first alias) */
	for (unsigned w = 0; w < 4; w++)
		if (x->dma_alias[w]) {
			rid = (uint16_t)(x->bus << 8 |
			                 (w * 64 + (unsigned)__builtin_ctzll(x->dma_alias[w])));
			break;
		}
	/* each bridge that takes ownership of the transaction replaces it */
	for (uint32_t p = x->parent, n = 0; p != IOM_PCIE_NONE && n < 512;
	     p = t->fns[p].parent, n++) {
		const struct iom_pcie_fn *b = &t->fns[p];
		if (b->type == IOM_PCIE_PCIE_TO_PCI ||
		    (b->type == IOM_PCIE_PCI_BRIDGE && b->pcie_bridge_alias))
			rid = (uint16_t)(b->secondary << 8);
		else if (b->type == IOM_PCIE_PCI_TO_PCIE || b->type == IOM_PCIE_PCI_BRIDGE)
			rid = iom_pcie_rid(b);
	}
	return rid;
}

/* ---- pci_device_group ----------------------------------------------------- */

struct grp {
	struct iom_pcie_topo *t;
	uint64_t devfns[4]; /* get_pci_alias_group's visited set */
};

static bool devs_are_dma_aliases(const struct iom_pcie_fn *a, const struct iom_pcie_fn *b)
{
	return iom_pcie_fn_has_alias(a, b->devfn) || iom_pcie_fn_has_alias(b, a->devfn);
}

static uint32_t function_alias_group(struct grp *G, uint32_t pdev, uint32_t *via);

/* get_pci_alias_group: the group of pdev or of a DMA alias on its bus. */
static uint32_t alias_group(struct grp *G, uint32_t pdev, uint32_t *via)
{
	struct iom_pcie_topo *t = G->t;
	const struct iom_pcie_fn *x = &t->fns[pdev];
	uint64_t bit = 1ull << (x->devfn & 63);
	if (G->devfns[x->devfn >> 6] & bit)
		return IOM_PCIE_NONE;
	G->devfns[x->devfn >> 6] |= bit;
	if (x->group != IOM_PCIE_NONE) {
		*via = pdev;
		return x->group;
	}
	const struct iom_pcie_bus *b = &t->buses[x->busidx];
	for (uint32_t j = 0; j < b->nfns; j++) {
		uint32_t tmp = b->fns[j];
		if (tmp == pdev || !devs_are_dma_aliases(x, &t->fns[tmp]))
			continue;
		uint32_t g = alias_group(G, tmp, via);
		if (g == IOM_PCIE_NONE)
			g = function_alias_group(G, tmp, via);
		if (g != IOM_PCIE_NONE)
			return g;
	}
	return IOM_PCIE_NONE;
}

/* get_pci_function_alias_group: a multifunction device without ACS shares
 * the group of another function of its slot that also lacks it. */
static uint32_t function_alias_group(struct grp *G, uint32_t pdev, uint32_t *via)
{
	struct iom_pcie_topo *t = G->t;
	const struct iom_pcie_fn *x = &t->fns[pdev];
	if (!x->multifunction || iom_pcie_acs_enabled(t, pdev, IOM_ACS_REQ_FLAGS))
		return IOM_PCIE_NONE;
	const struct iom_pcie_bus *b = &t->buses[x->busidx];
	for (uint32_t j = 0; j < b->nfns; j++) {
		uint32_t tmp = b->fns[j];
		if (tmp == pdev || iom_pcie_slot(&t->fns[tmp]) != iom_pcie_slot(x) ||
		    iom_pcie_acs_enabled(t, tmp, IOM_ACS_REQ_FLAGS))
			continue;
		uint32_t g = alias_group(G, tmp, via);
		if (g != IOM_PCIE_NONE)
			return g;
	}
	return IOM_PCIE_NONE;
}

struct alias_or_group {
	uint32_t last;
	uint32_t group;
};

static bool cb_alias_or_group(const struct iom_pcie_topo *t, uint32_t fn, uint16_t rid, void *ctx)
{
	struct alias_or_group *d = ctx;
	d->last = fn;
	d->group = t->fns[fn].group;
	(void)rid;
	return d->group != IOM_PCIE_NONE;
}

static uint32_t device_group(struct grp *G, uint32_t f, uint8_t *why, uint32_t *via)
{
	struct iom_pcie_topo *t = G->t;
	/* 1. alias walk: a bridge the DMA aliases to already has a group */
	struct alias_or_group d = {.last = f, .group = IOM_PCIE_NONE};
	if (iom_pcie_for_each_dma_alias(t, f, cb_alias_or_group, &d)) {
		*why = d.last == f ? IOM_GROUP_NEW : IOM_GROUP_BRIDGE_ALIAS;
		*via = d.last;
		return d.group;
	}
	uint32_t pdev = d.last;
	/* 2. upstream ACS walk from the bus above the (topmost aliasing) device */
	for (uint32_t b = t->fns[pdev].parent; b != IOM_PCIE_NONE; b = t->fns[b].parent) {
		if (iom_pcie_acs_path_enabled(t, b, IOM_ACS_REQ_FLAGS, NULL))
			break;
		pdev = b;
		if (t->fns[pdev].group != IOM_PCIE_NONE) {
			*why = IOM_GROUP_ACS_PATH;
			*via = pdev;
			return t->fns[pdev].group;
		}
	}
	/* 3. alias group, 4. function group */
	memset(G->devfns, 0, sizeof(G->devfns));
	uint32_t g = alias_group(G, pdev, via);
	if (g != IOM_PCIE_NONE) {
		*why = IOM_GROUP_DMA_ALIAS;
		return g;
	}
	g = function_alias_group(G, pdev, via);
	if (g != IOM_PCIE_NONE) {
		*why = IOM_GROUP_FUNCTION;
		return g;
	}
	/* 5. a new group */
	*why = pdev == f ? IOM_GROUP_NEW : IOM_GROUP_BRIDGE_ALIAS;
	*via = pdev;
	return t->ngroups++;
}

int iom_pcie_groups_compute(struct iom_pcie_topo *t, struct iom_err *err)
{
	if (!t->finalized)
		return iom_err_set(err, IOM_EINVAL, "pcie: groups of a topology not finalized");
	struct grp G = {.t = t};
	int rr = iom_pcie_topo_refresh(t, err);
	if (rr)
		return rr;
	for (uint32_t i = 0; i < t->nfns; i++)
		t->fns[i].group = IOM_PCIE_NONE;
	t->ngroups = 0;
	for (uint32_t k = 0; k < t->nfns; k++) {
		uint32_t f = t->order[k];
		uint8_t why = IOM_GROUP_NEW;
		uint32_t via = f;
		t->fns[f].group = device_group(&G, f, &why, &via);
		t->fns[f].group_why = why;
		t->fns[f].group_via = via;
	}
	free(t->group_size);
	t->group_size = calloc(t->ngroups ? t->ngroups : 1, sizeof(uint32_t));
	if (!t->group_size)
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	for (uint32_t i = 0; i < t->nfns; i++)
		t->group_size[t->fns[i].group]++;
	return 0;
}

/* ---- PASID / SVA ------------------------------------------------------------ */

int iom_pcie_pasid_check(const struct iom_pcie_topo *t, uint32_t f, uint32_t *blocker)
{
	const struct iom_pcie_fn *x = &t->fns[f];
	if (!x->pasid)
		return IOM_PASID_NO_CAP;
	if (t->kernel >= iom_pcie_kver(6, 2)) {
		/* pci_enable_pasid(): every PASID TLP must be forced up to the IOMMU */
		if (!iom_pcie_acs_path_enabled(t, f, IOM_ACS_PASID_FLAGS, blocker))
			return IOM_PASID_ACS_PATH;
		return IOM_PASID_OK;
	}
	/* <= 6.1: iommu_sva_bind_device() refuses a group with more than one device */
	if (x->group != IOM_PCIE_NONE && t->group_size && t->group_size[x->group] > 1) {
		for (uint32_t i = 0; blocker && i < t->nfns; i++)
			if (i != f && t->fns[i].group == x->group) {
				*blocker = i;
				break;
			}
		return IOM_PASID_GROUP_SHARED;
	}
	return IOM_PASID_OK;
}

const char *iom_pcie_pasid_verdict_str(int v)
{
	switch (v) {
	case IOM_PASID_OK:
		return "ok";
	case IOM_PASID_NO_CAP:
		return "no PASID capability";
	case IOM_PASID_ACS_PATH:
		return "pci_enable_pasid refuses: ACS RR|UF not enabled on the path";
	case IOM_PASID_GROUP_SHARED:
		return "iommu_sva_bind_device refuses: the group has other devices";
	}
	return "?";
}

/* ---- listings ------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Functions sorted by (group, segment, bus, devfn); caller frees. */
static uint64_t *groups_sorted(const struct iom_pcie_topo *t)
{
	uint64_t *k = malloc(((size_t)t->nfns + 1) * sizeof(*k));
	if (!k)
		return NULL;
	/* group < 2^20 functions, address 32 bits: pack into the high bits, index low */
	for (uint32_t i = 0; i < t->nfns; i++) {
		const struct iom_pcie_fn *f = &t->fns[i];
		uint64_t addr = (uint64_t)f->segment << 16 | iom_pcie_rid(f);
		k[i] = (uint64_t)f->group << 44 | addr << 20 | i;
	}
	if (t->nfns < (1u << 20))
		qsort(k, t->nfns, sizeof(*k), cmp_u64);
	return k;
}

void iom_pcie_groups_print_sysfs(const struct iom_pcie_topo *t, FILE *f)
{
	uint64_t *k = groups_sorted(t);
	if (!k)
		return;
	for (uint32_t j = 0; j < t->nfns; j++) {
		const struct iom_pcie_fn *x = &t->fns[k[j] & 0xfffff];
		char bdf[16];
		fprintf(f, "/sys/kernel/iommu_groups/%" PRIu32 "/devices/%s\n", x->group,
		        iom_pcie_bdf(x, bdf, sizeof(bdf)));
	}
	free(k);
}

const char *iom_pcie_group_reason(const struct iom_pcie_topo *t, uint32_t f, char *buf, size_t sz)
{
	const struct iom_pcie_fn *x = &t->fns[f];
	char via[16], acs[32];
	const struct iom_pcie_fn *v = x->group_via == IOM_PCIE_NONE ? x : &t->fns[x->group_via];
	iom_pcie_bdf_short(v, via, sizeof(via));
	switch (x->group_why) {
	case IOM_GROUP_BRIDGE_ALIAS:
		snprintf(buf, sz, "DMA carries the requester ID of bridge %s", via);
		break;
	case IOM_GROUP_ACS_PATH: {
		uint32_t blk = IOM_PCIE_NONE;
		iom_pcie_acs_path_enabled(t, x->group_via, IOM_ACS_REQ_FLAGS, &blk);
		const struct iom_pcie_fn *b = blk == IOM_PCIE_NONE ? v : &t->fns[blk];
		char bb[16];
		iom_pcie_bdf_short(b, bb, sizeof(bb));
		if (b->acs)
			snprintf(
			    buf, sz,
			    "joins %s: ACS isolation (SV RR CR UF) not enabled at %s (control: %s)",
			    via, bb, iom_pcie_acs_str(b->acs_ctrl, acs, sizeof(acs)));
		else
			snprintf(buf, sz, "joins %s: %s %s has no ACS capability", via,
			         iom_pcie_type_names[b->type], bb);
		break;
	}
	case IOM_GROUP_DMA_ALIAS:
		snprintf(buf, sz, "DMA alias of %s", via);
		break;
	case IOM_GROUP_FUNCTION:
		snprintf(buf, sz, "multifunction slot without ACS isolation, with %s", via);
		break;
	default: {
		const char *q = iom_pcie_quirk_acs_name(t, f);
		snprintf(buf, sz, "%s%s", q ? "quirk: " : "isolated", q ? q : "");
	}
	}
	return buf;
}

void iom_pcie_groups_print_long(const struct iom_pcie_topo *t, FILE *f)
{
	uint64_t *k = groups_sorted(t);
	if (!k)
		return;
	uint32_t cur = IOM_PCIE_NONE;
	for (uint32_t j = 0; j < t->nfns; j++) {
		uint32_t i = (uint32_t)(k[j] & 0xfffff);
		const struct iom_pcie_fn *x = &t->fns[i];
		if (x->group != cur) {
			cur = x->group;
			fprintf(f, "%sIOMMU group %" PRIu32 " (%" PRIu32 " device%s)\n",
			        j ? "\n" : "", cur, t->group_size[cur],
			        t->group_size[cur] == 1 ? "" : "s");
		}
		char bdf[16], why[256];
		fprintf(f, "  %s  %-18s", iom_pcie_bdf(x, bdf, sizeof(bdf)),
		        iom_pcie_type_names[x->type]);
		if (strcmp(x->name, bdf))
			fprintf(f, " '%s'", x->name);
		if (x->ids_known && !x->ids_from_name)
			fprintf(f, " [%04x:%04x]", x->vendor, x->device);
		fprintf(f, "  %s", iom_pcie_group_reason(t, i, why, sizeof(why)));
		if (x->pasid) {
			uint32_t blk = IOM_PCIE_NONE;
			int v = iom_pcie_pasid_check(t, i, &blk);
			char bb[16] = "";
			if (blk != IOM_PCIE_NONE)
				iom_pcie_bdf_short(&t->fns[blk], bb, sizeof(bb));
			fprintf(f, "; PASID/SVA: %s%s%s", iom_pcie_pasid_verdict_str(v),
			        *bb ? " at " : "", bb);
		}
		fputc('\n', f);
	}
	free(k);
}
