/* SPDX-License-Identifier: Apache-2.0 */
/*
 * resv.c - reserved IOVA regions, their merging, the group view, and the
 * usable IOVA lists of VFIO type1 and iommufd (resv.h, docs/resv.md).
 *
 * Follows algorithms-reference.md section 5 (facts from drivers/iommu/
 * iommu.c iommu_insert_resv_region / iommu_get_group_resv_regions,
 * drivers/vfio/vfio_iommu_type1.c, drivers/iommu/iommufd/io_pagetable.c);
 * no kernel code is copied.
 *
 * Modelled: the region sources of resv.h; the sort and per-type merge of
 * iommu_insert_resv_region with regions reaching 2^64 - 1 merged correctly
 * (mainline computes last + 1 and wraps there; the 2020 RFC fixed it); the
 * VFIO list (aperture resized, non-relaxable regions cut out) and the MAP_DMA
 * / UNMAP_DMA checks in the kernel's order with its errnos; iommufd's
 * reserved ranges, iova_alignment and IOMMU_IOAS_MAP / UNMAP checks; the
 * require_direct refusal.
 * Not modelled: vaddr checks of MAP_DMA (traces carry no user address), the
 * VADDR-update and unmap-all flags, iommufd's IOMMU_IOAS_ALLOW_IOVAS, more
 * than one domain per container, locked-memory limits, dirty tracking
 * (replay_dirty.c), PASID attachments.  The ISA-bridge floppy workaround and
 * the RMRR relaxable-by-class rule are left to the description (give the
 * region type).
 * Cost: none -- this is kernel bookkeeping, not a timed path.
 */
#include "resv.h"

#include "config.h"
#include "topology.h"
#include "trace.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---- names ---------------------------------------------------------------- */

static const char *const type_names[] = {"direct", "direct_relaxable", "reserved",
                                         "msi",    "sw_msi",           NULL};
/* iommu_group_resv_type_string: SW_MSI shows as "msi" (since "iommu:
 * Disambiguate MSI region types", 2017; a 2024 patch to print "sw-msi" was
 * not merged). */
static const char *const type_sysfs[] = {"direct", "direct-relaxable", "reserved", "msi", "msi"};
static const char *const src_names[] = {"iommu",      "firmware",  "config",  "trace",
                                        "pci_window", "dev_limit", "aperture"};
static const char *const policy_names[] = {"ignore", "reserved", "separate", NULL};
static const char *const uapi_names[] = {"off", "vfio", "iommufd", NULL};
static const char *const msi_names[] = {"auto", "sw_msi", "x86", "none", NULL};

_Static_assert(IOM_ARRAY_SIZE(type_names) == IOM_RESV_TYPES + 1, "a name per type");
_Static_assert(IOM_ARRAY_SIZE(type_sysfs) == IOM_RESV_TYPES, "a sysfs name per type");
_Static_assert(IOM_ARRAY_SIZE(src_names) == IOM_RESV_SRCS, "a name per source");
_Static_assert(IOM_PCIE_RESV_KINDS == IOM_RESV_TYPES, "topology kinds are Linux's types");

const char *iom_resv_type_name(unsigned type)
{
	return type < IOM_RESV_TYPES ? type_names[type] : "?";
}

const char *iom_resv_type_sysfs(unsigned type)
{
	return type < IOM_RESV_TYPES ? type_sysfs[type] : "?";
}

const char *iom_resv_src_name(unsigned src)
{
	return src < IOM_RESV_SRCS ? src_names[src] : "?";
}

const char *iom_resv_policy_name(unsigned p)
{
	return p < 3 ? policy_names[p] : "?";
}

const char *iom_resv_uapi_name(unsigned u)
{
	return u < 3 ? uapi_names[u] : "?";
}

const char *iom_resv_errno_name(int e)
{
	switch (-e) {
	case 0:
		return "0";
	case IOM_RESV_ENOENT:
		return "-ENOENT";
	case IOM_RESV_EEXIST:
		return "-EEXIST";
	case IOM_RESV_EINVAL:
		return "-EINVAL";
	case IOM_RESV_ENOSPC:
		return "-ENOSPC";
	case IOM_RESV_EOVERFLOW:
		return "-EOVERFLOW";
	case IOM_RESV_EADDRINUSE:
		return "-EADDRINUSE";
	default:
		return "-E?";
	}
}

static bool grow(void **v, uint32_t *cap, uint32_t need, size_t elem)
{
	if (need <= *cap)
		return true;
	uint32_t n = *cap ? *cap * 2 : 8;
	while (n < need)
		n *= 2;
	void *p = realloc(*v, (size_t)n * elem);
	if (!p)
		return false;
	*v = p;
	*cap = n;
	return true;
}

static int oom(struct iom_err *err)
{
	return iom_err_set(err, IOM_ENOMEM, "out of memory");
}

/* ---- region lists --------------------------------------------------------- */

void iom_resv_list_fini(struct iom_resv_list *l)
{
	free(l->v);
	*l = (struct iom_resv_list){0};
}

void iom_resv_list_clear(struct iom_resv_list *l)
{
	l->n = 0;
}

/* The merge of iommu_insert_resv_region for one type: walking in order,
 * a region of that type that starts at or before the previous one's
 * last + 1 extends it (a previous region ending at 2^64 - 1 takes all). */
static void resv_merge(struct iom_resv_list *l, unsigned type)
{
	uint32_t w = 0;
	int64_t top = -1;
	for (uint32_t i = 0; i < l->n; i++) {
		struct iom_resv_region r = l->v[i];
		if (r.type != type) {
			l->v[w++] = r;
			continue;
		}
		if (top >= 0 && (l->v[top].last == UINT64_MAX || r.start <= l->v[top].last + 1)) {
			if (r.last > l->v[top].last)
				l->v[top].last = r.last;
			continue;
		}
		top = w;
		l->v[w++] = r;
	}
	l->n = w;
}

int iom_resv_insert(struct iom_resv_list *l, uint64_t start, uint64_t last, unsigned type,
                    unsigned src, struct iom_err *err)
{
	if (last < start || type >= IOM_RESV_TYPES)
		return iom_err_set(err, IOM_EINVAL,
		                   "reserved region [%#" PRIx64 ", %#" PRIx64
		                   "] type %u: expected start <= last and a known type",
		                   start, last, type);
	if (!grow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v)))
		return oom(err);
	/* before the first region with a larger start, or the same start and a
	 * type not below this one */
	uint32_t i = 0;
	while (i < l->n &&
	       !(start < l->v[i].start || (start == l->v[i].start && type <= l->v[i].type)))
		i++;
	memmove(&l->v[i + 1], &l->v[i], (l->n - i) * sizeof(*l->v));
	l->v[i] = (struct iom_resv_region){
	    .start = start, .last = last, .type = (uint8_t)type, .src = (uint8_t)src};
	l->n++;
	resv_merge(l, type);
	return 0;
}

int iom_resv_insert_all(struct iom_resv_list *l, const struct iom_resv_list *from,
                        struct iom_err *err)
{
	for (uint32_t i = 0; i < from->n; i++) {
		const struct iom_resv_region *r = &from->v[i];
		int rc = iom_resv_insert(l, r->start, r->last, r->type, r->src, err);
		if (rc)
			return rc;
	}
	return 0;
}

const struct iom_resv_region *iom_resv_overlap(const struct iom_resv_list *l, uint64_t start,
                                               uint64_t last)
{
	for (uint32_t i = 0; i < l->n; i++) {
		const struct iom_resv_region *r = &l->v[i];
		if (r->type != IOM_RESV_DIRECT_RELAXABLE && r->start <= last && start <= r->last)
			return r;
	}
	return NULL;
}

const struct iom_resv_region *iom_resv_direct(const struct iom_resv_list *l)
{
	for (uint32_t i = 0; i < l->n; i++)
		if (l->v[i].type == IOM_RESV_DIRECT)
			return &l->v[i];
	return NULL;
}

void iom_resv_print_sysfs(const struct iom_resv_list *l, FILE *f)
{
	for (uint32_t i = 0; i < l->n; i++)
		fprintf(f, "0x%016" PRIx64 " 0x%016" PRIx64 " %s\n", l->v[i].start, l->v[i].last,
		        type_sysfs[l->v[i].type]);
}

/* ---- usable ranges ------------------------------------------------------- */

void iom_resv_ranges_fini(struct iom_resv_ranges *r)
{
	free(r->v);
	*r = (struct iom_resv_ranges){0};
}

/* Cut [s, e] out of every node it overlaps (vfio_iommu_resv_exclude). */
static int ranges_exclude(struct iom_resv_ranges *r, uint64_t s, uint64_t e, struct iom_err *err)
{
	for (uint32_t i = 0; i < r->n; i++) {
		struct iom_resv_range n = r->v[i];
		if (n.last < s || e < n.start)
			continue;
		bool before = s > n.start, after = e < n.last;
		if (before && after) { /* split in two */
			if (!grow((void **)&r->v, &r->cap, r->n + 1, sizeof(*r->v)))
				return oom(err);
			memmove(&r->v[i + 2], &r->v[i + 1], (r->n - i - 1) * sizeof(*r->v));
			r->v[i] = (struct iom_resv_range){n.start, s - 1};
			r->v[i + 1] = (struct iom_resv_range){e + 1, n.last};
			r->n++;
			i++;
		} else if (before) {
			r->v[i].last = s - 1;
		} else if (after) {
			r->v[i].start = e + 1;
		} else { /* the node goes */
			memmove(&r->v[i], &r->v[i + 1], (r->n - i - 1) * sizeof(*r->v));
			r->n--;
			i--;
		}
	}
	return 0;
}

int iom_resv_usable(const struct iom_resv_list *regions, uint64_t ap_start, uint64_t ap_last,
                    struct iom_resv_ranges *out, struct iom_err *err)
{
	out->n = 0;
	if (ap_start > ap_last)
		return 0;
	if (!grow((void **)&out->v, &out->cap, 1, sizeof(*out->v)))
		return oom(err);
	out->v[out->n++] = (struct iom_resv_range){ap_start, ap_last};
	for (uint32_t i = 0; i < regions->n; i++) {
		const struct iom_resv_region *g = &regions->v[i];
		if (g->type == IOM_RESV_DIRECT_RELAXABLE)
			continue; /* VFIO and iommufd leave these usable */
		int rc = ranges_exclude(out, g->start, g->last, err);
		if (rc)
			return rc;
	}
	return 0;
}

void iom_resv_ranges_clip(struct iom_resv_ranges *r, uint64_t limit)
{
	uint32_t w = 0;
	for (uint32_t i = 0; i < r->n; i++) {
		if (r->v[i].start > limit)
			continue;
		r->v[w] = r->v[i];
		if (r->v[w].last > limit)
			r->v[w].last = limit;
		w++;
	}
	r->n = w;
}

bool iom_resv_ranges_contain(const struct iom_resv_ranges *r, uint64_t start, uint64_t last)
{
	for (uint32_t i = 0; i < r->n; i++)
		if (r->v[i].start <= start && last <= r->v[i].last)
			return true;
	return false;
}

/* ---- configuration --------------------------------------------------------- */

static const struct iom_resv_cfg resv_defaults = {
    .device_limit = IOM_RESV_LIMIT_IGNORE,
    .uapi = IOM_RESV_UAPI_OFF,
    .dma_entry_limit = 65535, /* vfio_iommu_type1 dma_entry_limit */
    .msi = IOM_RESV_MSI_AUTO,
    .sw_msi_base = 0x8000000, /* arm-smmu-v3.h MSI_IOVA_BASE */
    .sw_msi_size = 0x100000,  /* MSI_IOVA_LENGTH */
    .dma_bits = 64,
};

static const struct iom_prop resv_props[] = {
    IOM_PROP_ENUM_(struct iom_resv_cfg, device_limit, policy_names,
                   "devices whose addressing limit is below the aperture: ignore (mainline: the "
                   "IOVA list still reaches the aperture), reserved (the 2020 RFC: a reserved "
                   "region above the limit and outside the aperture), separate (the limit "
                   "reported beside the list); DMA above the limit is flagged under every policy"),
    IOM_PROP_ENUM_(struct iom_resv_cfg, uapi, uapi_names,
                   "check map/unmap/attach records as this user-space interface would and "
                   "reject what it refuses: off, vfio (type1 MAP_DMA), iommufd (IOMMU_IOAS_MAP)"),
    IOM_PROP_U32_(struct iom_resv_cfg, dma_entry_limit, 0, UINT32_MAX, "mappings",
                  "VFIO type1 dma_entry_limit: MAP_DMA fails with -ENOSPC beyond it"),
    IOM_PROP_ENUM_(struct iom_resv_cfg, msi, msi_names,
                   "the IOMMU driver's MSI region: auto (sw_msi on smmuv3, x86 on vtd), sw_msi "
                   "(the software window at sw_msi_base), x86 (msi 0xfee00000-0xfeefffff), none"),
    IOM_PROP_U64_(struct iom_resv_cfg, sw_msi_base, 0, UINT64_MAX, "bytes",
                  "base of the software MSI window (Linux on Arm: MSI_IOVA_BASE 0x8000000)"),
    IOM_PROP_U64_(struct iom_resv_cfg, sw_msi_size, 0, UINT64_MAX, "bytes",
                  "size of the software MSI window (MSI_IOVA_LENGTH 1M)"),
    IOM_PROP_BOOL_(struct iom_resv_cfg, ht_hole,
                   "AMD: the HyperTransport hole 0xfd00000000-0xffffffffff is a reserved region"),
    IOM_PROP_BOOL_(struct iom_resv_cfg, pci_windows,
                   "report the host bridge's windows (BARs and bridge windows on its root bus) "
                   "as reserved regions, as older arm64 kernels did"),
    IOM_PROP_U32_(struct iom_resv_cfg, dma_bits, 1, 64, "bits",
                  "DMA mask width of devices that give none (pcie dma_bits, resv.devices)"),
    IOM_PROP_U32_(struct iom_resv_cfg, bus_dma_bits, 0, 64, "bits",
                  "firmware addressing limit (IORT memory address size limit) of devices that "
                  "give none; 0: none"),
};

const struct iom_prop_table iom_resv_prop_table = {
    .section = "resv",
    .doc = "Reserved IOVA regions, usable IOVA lists, map validation, device addressing "
           "limits (docs/resv.md; per device: resv.devices[i], resv.regions[i])",
    .props = resv_props,
    .nprops = IOM_ARRAY_SIZE(resv_props),
    .defaults = &resv_defaults,
    .struct_size = sizeof(struct iom_resv_cfg),
};

struct dev_cfg {
	char dev[IOM_PROP_STR_MAX];
	uint32_t dma_bits, bus_dma_bits;
};

static const struct dev_cfg dev_defaults = {.dma_bits = 0};

static const struct iom_prop dev_props[] = {
    IOM_PROP_STRING_(struct dev_cfg, dev, "the device: BB:DD.F or SSSS:BB:DD.F (required)"),
    IOM_PROP_U32_(struct dev_cfg, dma_bits, 0, 64, "bits", "DMA mask width (0: resv.dma_bits)"),
    IOM_PROP_U32_(struct dev_cfg, bus_dma_bits, 0, 64, "bits",
                  "firmware addressing limit (0: resv.bus_dma_bits)"),
};

static const struct iom_prop_table dev_table = {
    .section = "resv.devices[0]",
    .doc = "A device's addressing limit",
    .props = dev_props,
    .nprops = IOM_ARRAY_SIZE(dev_props),
    .defaults = &dev_defaults,
    .struct_size = sizeof(struct dev_cfg),
};

struct reg_cfg {
	char dev[IOM_PROP_STR_MAX];
	uint64_t base, size;
	uint32_t type;
};

static const struct reg_cfg reg_defaults = {.type = IOM_RESV_RESERVED};

static const struct iom_prop reg_props[] = {
    IOM_PROP_STRING_(struct reg_cfg, dev, "the device (BB:DD.F); empty: every device"),
    IOM_PROP_U64_(struct reg_cfg, base, 0, UINT64_MAX, "bytes", "first address"),
    IOM_PROP_U64_(struct reg_cfg, size, 0, UINT64_MAX, "bytes", "size (required)"),
    IOM_PROP_ENUM_(struct reg_cfg, type, type_names,
                   "direct, direct_relaxable, reserved, msi (a hardware doorbell), sw_msi"),
};

static const struct iom_prop_table reg_table = {
    .section = "resv.regions[0]",
    .doc = "A reserved region of one device or of every device",
    .props = reg_props,
    .nprops = IOM_ARRAY_SIZE(reg_props),
    .defaults = &reg_defaults,
    .struct_size = sizeof(struct reg_cfg),
};

const struct iom_prop_table *const *iom_resv_prop_tables(size_t *n)
{
	static const struct iom_prop_table *const tables[] = {&iom_resv_prop_table, &dev_table,
	                                                      &reg_table};
	*n = IOM_ARRAY_SIZE(tables);
	return tables;
}

/* ---- the database ----------------------------------------------------------- */

struct rdev {
	uint32_t dev;
	uint8_t dma_bits, bus_dma_bits; /* 0: not given */
};

struct rreg {
	uint32_t dev; /* IOM_RESV_ANY_DEV: every device */
	uint64_t start, last;
	uint8_t type, src;
};

struct iom_resv_db {
	struct iom_resv_cfg cfg;
	unsigned iommu;
	const struct iom_pcie_topo *t;
	struct rdev *devs; /* ascending dev */
	uint32_t ndevs, capdevs;
	struct rreg *regs;
	uint32_t nregs, capregs;
	bool described;
};

struct iom_resv_db *iom_resv_db_create(const struct iom_resv_cfg *cfg, unsigned iommu,
                                       const struct iom_pcie_topo *t, struct iom_err *err)
{
	struct iom_resv_db *db = calloc(1, sizeof(*db));
	if (!db) {
		oom(err);
		return NULL;
	}
	db->cfg = cfg ? *cfg : resv_defaults;
	db->iommu = iommu;
	db->t = t;
	for (uint32_t i = 0; t && i < t->nfns; i++)
		db->described |= t->fns[i].dma_bits || t->fns[i].bus_dma_bits;
	db->described |= t && t->nresv;
	return db;
}

void iom_resv_db_destroy(struct iom_resv_db *db)
{
	if (!db)
		return;
	free(db->devs);
	free(db->regs);
	free(db);
}

const struct iom_resv_cfg *iom_resv_db_cfg(const struct iom_resv_db *db)
{
	return &db->cfg;
}

bool iom_resv_db_described(const struct iom_resv_db *db)
{
	return db->described;
}

static struct rdev *db_dev(const struct iom_resv_db *db, uint32_t dev)
{
	uint32_t lo = 0, hi = db->ndevs;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (db->devs[mid].dev < dev)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < db->ndevs && db->devs[lo].dev == dev ? &db->devs[lo] : NULL;
}

int iom_resv_db_set_limit(struct iom_resv_db *db, uint32_t dev, unsigned dma_bits,
                          unsigned bus_dma_bits, struct iom_err *err)
{
	if (dma_bits > 64 || bus_dma_bits > 64)
		return iom_err_set(err, IOM_ERANGE, "addressing limit of %u / %u bits: at most 64",
		                   dma_bits, bus_dma_bits);
	struct rdev *d = db_dev(db, dev);
	if (!d) {
		if (!grow((void **)&db->devs, &db->capdevs, db->ndevs + 1, sizeof(*db->devs)))
			return oom(err);
		uint32_t i = db->ndevs;
		while (i > 0 && db->devs[i - 1].dev > dev)
			i--;
		memmove(&db->devs[i + 1], &db->devs[i], (db->ndevs - i) * sizeof(*db->devs));
		db->ndevs++;
		d = &db->devs[i];
		*d = (struct rdev){.dev = dev};
	}
	d->dma_bits = (uint8_t)dma_bits;
	d->bus_dma_bits = (uint8_t)bus_dma_bits;
	return 0;
}

int iom_resv_db_add(struct iom_resv_db *db, uint32_t dev, uint64_t start, uint64_t last,
                    unsigned type, unsigned src, struct iom_err *err)
{
	if (last < start || type >= IOM_RESV_TYPES || src >= IOM_RESV_SRCS)
		return iom_err_set(err, IOM_EINVAL,
		                   "reserved region [%#" PRIx64 ", %#" PRIx64
		                   "]: expected start <= last and a known type",
		                   start, last);
	if (!grow((void **)&db->regs, &db->capregs, db->nregs + 1, sizeof(*db->regs)))
		return oom(err);
	db->regs[db->nregs++] = (struct rreg){
	    .dev = dev, .start = start, .last = last, .type = (uint8_t)type, .src = (uint8_t)src};
	return 0;
}

static uint32_t db_fn(const struct iom_resv_db *db, uint32_t dev)
{
	if (!db->t)
		return IOM_PCIE_NONE;
	return iom_pcie_find_rid(db->t, (uint16_t)(dev >> 16), (uint16_t)dev);
}

static uint32_t fn_dev(const struct iom_pcie_fn *f)
{
	return (uint32_t)f->segment << 16 | iom_pcie_rid(f);
}

static uint64_t mask_of(unsigned bits)
{
	return bits >= 64 ? UINT64_MAX : (1ull << bits) - 1;
}

/* The DMA mask and the firmware limit in effect: resv.devices, else the
 * topology's function, else the section defaults. */
static void db_bits(const struct iom_resv_db *db, uint32_t dev, unsigned *mask, unsigned *bus)
{
	const struct rdev *d = db_dev(db, dev);
	uint32_t fi = db_fn(db, dev);
	const struct iom_pcie_fn *f = fi == IOM_PCIE_NONE ? NULL : &db->t->fns[fi];
	*mask = d && d->dma_bits ? d->dma_bits : f && f->dma_bits ? f->dma_bits : db->cfg.dma_bits;
	*bus = d && d->bus_dma_bits   ? d->bus_dma_bits
	       : f && f->bus_dma_bits ? f->bus_dma_bits
	                              : db->cfg.bus_dma_bits;
}

uint64_t iom_resv_dev_limit(const struct iom_resv_db *db, uint32_t dev)
{
	unsigned m, b;
	db_bits(db, dev, &m, &b);
	return IOM_MIN(mask_of(m), b ? mask_of(b) : UINT64_MAX);
}

unsigned iom_resv_dev_limit_bits(const struct iom_resv_db *db, uint32_t dev, bool *firmware)
{
	unsigned m, b;
	db_bits(db, dev, &m, &b);
	if (firmware)
		*firmware = b && b < m;
	return b && b < m ? b : m;
}

/* The host bridge's windows above f: BARs and bridge windows of every
 * function on its root bus (what dma-iommu's iova_reserve_pci_windows keeps
 * out of the DMA API's allocator; reported as regions by older arm64 kernels). */
static int db_windows(const struct iom_resv_db *db, uint32_t fi, struct iom_resv_list *out,
                      struct iom_err *err)
{
	const struct iom_pcie_topo *t = db->t;
	const struct iom_pcie_fn *f = &t->fns[fi];
	for (unsigned d = 0; f->parent != IOM_PCIE_NONE && d < 256; d++)
		f = &t->fns[f->parent];
	int r = 0;
	for (uint32_t i = 0; i < t->nfns && !r; i++) {
		const struct iom_pcie_fn *x = &t->fns[i];
		if (x->parent != IOM_PCIE_NONE || x->segment != f->segment || x->bus != f->bus)
			continue;
		for (unsigned k = 0; k < x->nbars && !r; k++)
			if (x->bars[k].size)
				r = iom_resv_insert(
				    out, x->bars[k].base, x->bars[k].base + x->bars[k].size - 1,
				    IOM_RESV_RESERVED, IOM_RESV_SRC_PCI_WINDOW, err);
		if (!r && x->win_base < x->win_limit)
			r = iom_resv_insert(out, x->win_base, x->win_limit, IOM_RESV_RESERVED,
			                    IOM_RESV_SRC_PCI_WINDOW, err);
	}
	return r;
}

/* The IOMMU driver's own windows (get_resv_regions). */
static int db_iommu_regions(const struct iom_resv_db *db, struct iom_resv_list *out,
                            struct iom_err *err)
{
	unsigned msi = db->cfg.msi;
	if (msi == IOM_RESV_MSI_AUTO)
		msi = db->iommu == IOM_RESV_IOMMU_VTD ? IOM_RESV_MSI_X86 : IOM_RESV_MSI_SW;
	int r = 0;
	if (msi == IOM_RESV_MSI_SW && db->cfg.sw_msi_size) {
		uint64_t last = db->cfg.sw_msi_base + (db->cfg.sw_msi_size - 1);
		if (last < db->cfg.sw_msi_base)
			return iom_err_set(err, IOM_ERANGE,
			                   "resv.sw_msi_base + sw_msi_size passes 2^64");
		r = iom_resv_insert(out, db->cfg.sw_msi_base, last, IOM_RESV_SW_MSI,
		                    IOM_RESV_SRC_IOMMU, err);
	} else if (msi == IOM_RESV_MSI_X86) { /* VT-d IOAPIC_RANGE, AMD MSI_RANGE */
		r = iom_resv_insert(out, 0xfee00000ull, 0xfeefffffull, IOM_RESV_MSI,
		                    IOM_RESV_SRC_IOMMU, err);
	}
	if (!r && db->cfg.ht_hole) /* AMD HT_RANGE_START .. HT_RANGE_END */
		r = iom_resv_insert(out, 0xfd00000000ull, 0xffffffffffull, IOM_RESV_RESERVED,
		                    IOM_RESV_SRC_IOMMU, err);
	return r;
}

int iom_resv_dev_regions(const struct iom_resv_db *db, uint32_t dev, uint64_t ap_start,
                         uint64_t ap_last, unsigned flags, struct iom_resv_list *out,
                         struct iom_err *err)
{
	int r = db_iommu_regions(db, out, err);
	uint32_t fi = db_fn(db, dev);
	for (uint32_t i = 0; fi != IOM_PCIE_NONE && i < db->t->nresv && !r; i++) {
		const struct iom_pcie_resv *x = &db->t->resv[i];
		if (x->fn == fi)
			r = iom_resv_insert(out, x->base, x->base + (x->size - 1), x->kind,
			                    IOM_RESV_SRC_FIRMWARE, err);
	}
	for (uint32_t i = 0; i < db->nregs && !r; i++) {
		const struct rreg *x = &db->regs[i];
		if (x->dev == dev || x->dev == IOM_RESV_ANY_DEV)
			r = iom_resv_insert(out, x->start, x->last, x->type, x->src, err);
	}
	if (!r && fi != IOM_PCIE_NONE && (db->cfg.pci_windows || (flags & IOM_RESV_F_DMA_API)))
		r = db_windows(db, fi, out, err);
	if (r || db->cfg.device_limit != IOM_RESV_LIMIT_RESERVED)
		return r;
	/* the 2020 RFC: nothing above the device's limit, nothing outside the aperture */
	uint64_t lim = iom_resv_dev_limit(db, dev);
	if (lim != UINT64_MAX)
		r = iom_resv_insert(out, lim + 1, UINT64_MAX, IOM_RESV_RESERVED,
		                    IOM_RESV_SRC_DEV_LIMIT, err);
	if (!r && ap_start > 0)
		r = iom_resv_insert(out, 0, ap_start - 1, IOM_RESV_RESERVED, IOM_RESV_SRC_APERTURE,
		                    err);
	if (!r && ap_last != UINT64_MAX)
		r = iom_resv_insert(out, ap_last + 1, UINT64_MAX, IOM_RESV_RESERVED,
		                    IOM_RESV_SRC_APERTURE, err);
	return r;
}

uint64_t iom_resv_group_of(const struct iom_resv_db *db, uint32_t dev)
{
	uint32_t fi = db_fn(db, dev);
	if (fi != IOM_PCIE_NONE && db->t->fns[fi].group != IOM_PCIE_NONE)
		return db->t->fns[fi].group;
	return IOM_RESV_GROUP_DEV | dev;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

size_t iom_resv_group_members(const struct iom_resv_db *db, uint64_t group, uint32_t *devs,
                              size_t max)
{
	if (group & IOM_RESV_GROUP_DEV) {
		if (max)
			devs[0] = (uint32_t)group;
		return 1;
	}
	size_t n = 0;
	for (uint32_t i = 0; db->t && i < db->t->nfns; i++)
		if (db->t->fns[i].group == group) {
			if (n < max)
				devs[n] = fn_dev(&db->t->fns[i]);
			n++;
		}
	if (n && max)
		qsort(devs, IOM_MIN(n, max), sizeof(*devs), cmp_u32);
	return n;
}

/* Calls fn for each member of group (without a size limit). */
static int group_each(const struct iom_resv_db *db, uint64_t group,
                      int (*fn)(const struct iom_resv_db *db, uint32_t dev, void *ctx), void *ctx)
{
	if (group & IOM_RESV_GROUP_DEV)
		return fn(db, (uint32_t)group, ctx);
	for (uint32_t i = 0; db->t && i < db->t->nfns; i++)
		if (db->t->fns[i].group == group) {
			int r = fn(db, fn_dev(&db->t->fns[i]), ctx);
			if (r)
				return r;
		}
	return 0;
}

struct group_ctx {
	uint64_t ap_start, ap_last, limit;
	unsigned flags;
	struct iom_resv_list *out;
	struct iom_err *err;
};

static int group_regions_of(const struct iom_resv_db *db, uint32_t dev, void *ctx)
{
	struct group_ctx *g = ctx;
	return iom_resv_dev_regions(db, dev, g->ap_start, g->ap_last, g->flags, g->out, g->err);
}

int iom_resv_group_regions(const struct iom_resv_db *db, uint64_t group, uint64_t ap_start,
                           uint64_t ap_last, unsigned flags, struct iom_resv_list *out,
                           struct iom_err *err)
{
	struct group_ctx g = {
	    .ap_start = ap_start, .ap_last = ap_last, .flags = flags, .out = out, .err = err};
	return group_each(db, group, group_regions_of, &g);
}

static int group_limit_of(const struct iom_resv_db *db, uint32_t dev, void *ctx)
{
	struct group_ctx *g = ctx;
	g->limit = IOM_MIN(g->limit, iom_resv_dev_limit(db, dev));
	return 0;
}

uint64_t iom_resv_group_limit(const struct iom_resv_db *db, uint64_t group)
{
	struct group_ctx g = {.limit = UINT64_MAX};
	group_each(db, group, group_limit_of, &g);
	return g.limit;
}

size_t iom_resv_db_devices(const struct iom_resv_db *db, uint32_t *devs, size_t max)
{
	size_t cap = (db->t ? db->t->nfns : 0) + db->ndevs + db->nregs, n = 0;
	uint32_t *all = malloc((cap + 1) * sizeof(*all));
	if (!all)
		return 0;
	for (uint32_t i = 0; db->t && i < db->t->nfns; i++)
		all[n++] = fn_dev(&db->t->fns[i]);
	for (uint32_t i = 0; i < db->ndevs; i++)
		all[n++] = db->devs[i].dev;
	for (uint32_t i = 0; i < db->nregs; i++)
		if (db->regs[i].dev != IOM_RESV_ANY_DEV)
			all[n++] = db->regs[i].dev;
	qsort(all, n, sizeof(*all), cmp_u32);
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (!u || all[u - 1] != all[i])
			all[u++] = all[i];
	if (u && max)
		memcpy(devs, all, IOM_MIN(u, max) * sizeof(*devs));
	free(all);
	return u;
}

/* "BB:DD.F" / "SSSS:BB:DD.F" of a config key. */
static int cfg_dev(const char *s, const char *key, uint32_t *dev, struct iom_err *err)
{
	uint16_t seg;
	uint8_t bus, devfn;
	const char *end;
	if (!iom_pcie_parse_bdf(s, &seg, &bus, &devfn, &end) || *end)
		return iom_err_set(err, IOM_EINVAL,
		                   "%s: '%s' is not a PCI address (BB:DD.F or SSSS:BB:DD.F)", key,
		                   s);
	*dev = (uint32_t)seg << 16 | (uint32_t)bus << 8 | devfn;
	return 0;
}

static int cfg_devices(struct iom_config *c, struct iom_resv_db *db, struct iom_err *err)
{
	size_t n;
	int r = iom_config_seq_len(c, "resv.devices", &n, err);
	for (size_t i = 0; i < n && !r; i++) {
		char path[64], key[80];
		struct dev_cfg dc;
		uint32_t dev = 0;
		snprintf(path, sizeof(path), "resv.devices[%zu]", i);
		snprintf(key, sizeof(key), "%s.dev", path);
		if (!(r = iom_config_bind(c, &dev_table, path, &dc, err)) &&
		    !(r = cfg_dev(dc.dev, key, &dev, err)))
			r = iom_resv_db_set_limit(db, dev, dc.dma_bits, dc.bus_dma_bits, err);
	}
	return r;
}

static int cfg_regions(struct iom_config *c, struct iom_resv_db *db, struct iom_err *err)
{
	size_t n;
	int r = iom_config_seq_len(c, "resv.regions", &n, err);
	for (size_t i = 0; i < n && !r; i++) {
		char path[64], key[80];
		struct reg_cfg rc;
		uint32_t dev = IOM_RESV_ANY_DEV;
		snprintf(path, sizeof(path), "resv.regions[%zu]", i);
		snprintf(key, sizeof(key), "%s.dev", path);
		if ((r = iom_config_bind(c, &reg_table, path, &rc, err)))
			break;
		if (rc.dev[0] && (r = cfg_dev(rc.dev, key, &dev, err)))
			break;
		if (!rc.size || rc.base + (rc.size - 1) < rc.base)
			r = iom_err_set(err, IOM_EINVAL,
			                "%s: size %#" PRIx64 " at %#" PRIx64
			                ": expected a size >= 1 that ends below 2^64",
			                path, rc.size, rc.base);
		else
			r = iom_resv_db_add(db, dev, rc.base, rc.base + (rc.size - 1), rc.type,
			                    IOM_RESV_SRC_CONFIG, err);
	}
	return r;
}

int iom_resv_db_from_config(struct iom_config *c, unsigned iommu, const struct iom_pcie_topo *t,
                            struct iom_resv_db **out, struct iom_err *err)
{
	struct iom_resv_cfg cfg;
	*out = NULL;
	int r = iom_config_bind(c, &iom_resv_prop_table, NULL, &cfg, err);
	if (r)
		return r;
	if (cfg.sw_msi_size && cfg.sw_msi_base + (cfg.sw_msi_size - 1) < cfg.sw_msi_base)
		return iom_err_set(err, IOM_ERANGE,
		                   "resv.sw_msi_base + sw_msi_size: the window passes 2^64");
	struct iom_resv_db *db = iom_resv_db_create(&cfg, iommu, t, err);
	if (!db)
		return -err->code;
	db->described |= iom_config_has(c, "resv");
	if ((r = cfg_devices(c, db, err)) || (r = cfg_regions(c, db, err))) {
		iom_resv_db_destroy(db);
		return r;
	}
	*out = db;
	return 0;
}

/* ---- user-space containers ---------------------------------------------- */

struct ugroup {
	uint64_t group;
	uint64_t limit;
	struct iom_resv_list regions;
};

struct umap {
	uint64_t start, last;
};

struct iom_resv_uapi {
	unsigned kind;
	uint32_t entry_limit;
	uint64_t ap_start, ap_last, pgmin;
	struct ugroup *groups;
	uint32_t ngroups, capgroups;
	struct iom_resv_list regions;  /* union of the groups' */
	struct iom_resv_ranges ranges; /* usable / allowed */
	uint64_t limit;
	struct umap *maps; /* ascending, disjoint */
	uint32_t nmaps, capmaps;
};

/* Record a refusal (errno e > 0; resv: because of reserved IOVA). Returns 0. */
static int outcome(struct iom_resv_outcome *o, int e, bool resv, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int outcome(struct iom_resv_outcome *o, int e, bool resv, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = snprintf(o->msg, sizeof(o->msg), "%s: ", iom_resv_errno_name(-e));
	vsnprintf(o->msg + n, sizeof(o->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	o->err = -e;
	o->reserved = resv;
	return 0;
}

static void outcome_clear(struct iom_resv_outcome *o)
{
	o->err = 0;
	o->reserved = false;
	o->msg[0] = 0;
}

static int uapi_rebuild(struct iom_resv_uapi *u, struct iom_err *err)
{
	iom_resv_list_clear(&u->regions);
	u->limit = UINT64_MAX;
	for (uint32_t i = 0; i < u->ngroups; i++) {
		int r = iom_resv_insert_all(&u->regions, &u->groups[i].regions, err);
		if (r)
			return r;
		u->limit = IOM_MIN(u->limit, u->groups[i].limit);
	}
	return iom_resv_usable(&u->regions, u->ap_start, u->ap_last, &u->ranges, err);
}

struct iom_resv_uapi *iom_resv_uapi_create(unsigned kind, uint32_t dma_entry_limit,
                                           uint64_t ap_start, uint64_t ap_last, uint64_t pgsize_min,
                                           struct iom_err *err)
{
	if (kind != IOM_RESV_UAPI_VFIO && kind != IOM_RESV_UAPI_IOMMUFD) {
		iom_err_set(err, IOM_EINVAL, "resv: user-space interface %u is not vfio or iommufd",
		            kind);
		return NULL;
	}
	if (!pgsize_min || (pgsize_min & (pgsize_min - 1)) || ap_start > ap_last) {
		iom_err_set(err, IOM_EINVAL,
		            "resv: page size %#" PRIx64 " / aperture [%#" PRIx64 ", %#" PRIx64
		            "]: expected a power of two and start <= last",
		            pgsize_min, ap_start, ap_last);
		return NULL;
	}
	struct iom_resv_uapi *u = calloc(1, sizeof(*u));
	if (!u) {
		oom(err);
		return NULL;
	}
	*u = (struct iom_resv_uapi){.kind = kind,
	                            .entry_limit = dma_entry_limit,
	                            .ap_start = ap_start,
	                            .ap_last = ap_last,
	                            .pgmin = pgsize_min};
	if (uapi_rebuild(u, err)) {
		iom_resv_uapi_destroy(u);
		return NULL;
	}
	return u;
}

void iom_resv_uapi_destroy(struct iom_resv_uapi *u)
{
	if (!u)
		return;
	for (uint32_t i = 0; i < u->ngroups; i++)
		iom_resv_list_fini(&u->groups[i].regions);
	free(u->groups);
	iom_resv_list_fini(&u->regions);
	iom_resv_ranges_fini(&u->ranges);
	free(u->maps);
	free(u);
}

static int uapi_group(const struct iom_resv_uapi *u, uint64_t group)
{
	for (uint32_t i = 0; i < u->ngroups; i++)
		if (u->groups[i].group == group)
			return (int)i;
	return -1;
}

bool iom_resv_uapi_has_group(const struct iom_resv_uapi *u, uint64_t group)
{
	return uapi_group(u, group) >= 0;
}

uint32_t iom_resv_uapi_groups(const struct iom_resv_uapi *u)
{
	return u->ngroups;
}

/* Index of the first mapping whose last >= addr (mappings are disjoint and
 * ascending, so their ends are too). */
static uint32_t map_find(const struct iom_resv_uapi *u, uint64_t addr)
{
	uint32_t lo = 0, hi = u->nmaps;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (u->maps[mid].last < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const struct umap *map_overlap(const struct iom_resv_uapi *u, uint64_t s, uint64_t e)
{
	uint32_t i = map_find(u, s);
	return i < u->nmaps && u->maps[i].start <= e ? &u->maps[i] : NULL;
}

int iom_resv_uapi_attach(struct iom_resv_uapi *u, uint64_t group,
                         const struct iom_resv_list *regions, uint64_t limit,
                         struct iom_resv_outcome *o, struct iom_err *err)
{
	outcome_clear(o);
	if (uapi_group(u, group) >= 0)
		return 0;
	const struct iom_resv_region *d = iom_resv_direct(regions);
	if (d) /* __iommu_attach_device(): require_direct, no blocking domain */
		return outcome(o, IOM_RESV_EINVAL, true,
		               "the group has a direct region [%#" PRIx64 ", %#" PRIx64
		               "] that must stay 1:1 (require_direct): it cannot be claimed for "
		               "user space",
		               d->start, d->last);
	for (uint32_t i = 0; i < regions->n; i++) {
		const struct iom_resv_region *g = &regions->v[i];
		const struct umap *m;
		if (g->type == IOM_RESV_DIRECT_RELAXABLE ||
		    !(m = map_overlap(u, g->start, g->last)))
			continue;
		return outcome(
		    o, u->kind == IOM_RESV_UAPI_VFIO ? IOM_RESV_EINVAL : IOM_RESV_EADDRINUSE, true,
		    "the mapping [%#" PRIx64 ", %#" PRIx64 "] overlaps the group's %s "
		    "region [%#" PRIx64 ", %#" PRIx64 "]",
		    m->start, m->last, type_names[g->type], g->start, g->last);
	}
	if (!grow((void **)&u->groups, &u->capgroups, u->ngroups + 1, sizeof(*u->groups)))
		return oom(err);
	struct ugroup *ng = &u->groups[u->ngroups];
	*ng = (struct ugroup){.group = group, .limit = limit};
	int r = iom_resv_insert_all(&ng->regions, regions, err);
	if (r) {
		iom_resv_list_fini(&ng->regions);
		return r;
	}
	u->ngroups++;
	if ((r = uapi_rebuild(u, err)))
		return r;
	if (u->ranges.n || u->kind != IOM_RESV_UAPI_VFIO)
		return 0;
	/* VFIO: an empty list refuses the attach; undo it */
	iom_resv_list_fini(&u->groups[--u->ngroups].regions);
	if ((r = uapi_rebuild(u, err)))
		return r;
	return outcome(o, IOM_RESV_EINVAL, true, "no usable IOVA would be left in the aperture");
}

int iom_resv_uapi_detach(struct iom_resv_uapi *u, uint64_t group, struct iom_err *err)
{
	int i = uapi_group(u, group);
	if (i < 0)
		return 0;
	iom_resv_list_fini(&u->groups[i].regions);
	memmove(&u->groups[i], &u->groups[i + 1],
	        (u->ngroups - (uint32_t)i - 1) * sizeof(*u->groups));
	u->ngroups--;
	return uapi_rebuild(u, err);
}

/* Why [s, e] is not in one usable range: the region it hits, else the edge. */
static void why_unusable(const struct iom_resv_uapi *u, uint64_t s, uint64_t e, char *buf,
                         size_t sz)
{
	const struct iom_resv_region *g = iom_resv_overlap(&u->regions, s, e);
	if (g)
		snprintf(buf, sz, "it overlaps the %s region [%#" PRIx64 ", %#" PRIx64 "]",
		         type_names[g->type], g->start, g->last);
	else if (s < u->ap_start || e > u->ap_last)
		snprintf(buf, sz, "it is outside the aperture [%#" PRIx64 ", %#" PRIx64 "]",
		         u->ap_start, u->ap_last);
	else
		snprintf(buf, sz, "it straddles usable ranges");
}

static int uapi_map_vfio(struct iom_resv_uapi *u, uint64_t iova, uint64_t size,
                         struct iom_resv_outcome *o)
{
	char why[160];
	uint64_t last = iova + size - 1;
	if ((iova | size) & (u->pgmin - 1))
		return outcome(o, IOM_RESV_EINVAL, false,
		               "iova %#" PRIx64 " / size %#" PRIx64
		               " not aligned to the smallest page size %#" PRIx64,
		               iova, size, u->pgmin);
	if (last < iova)
		return outcome(o, IOM_RESV_EINVAL, false,
		               "[%#" PRIx64 ", +%#" PRIx64 ") wraps past 2^64", iova, size);
	const struct umap *m = map_overlap(u, iova, last);
	if (m)
		return outcome(o, IOM_RESV_EEXIST, false,
		               "[%#" PRIx64 ", %#" PRIx64 "] overlaps the mapping [%#" PRIx64
		               ", %#" PRIx64 "]",
		               iova, last, m->start, m->last);
	if (u->nmaps >= u->entry_limit)
		return outcome(o, IOM_RESV_ENOSPC, false, "%u mappings exist (dma_entry_limit %u)",
		               u->nmaps, u->entry_limit);
	if (!iom_resv_ranges_contain(&u->ranges, iova, last)) {
		why_unusable(u, iova, last, why, sizeof(why));
		return outcome(o, IOM_RESV_EINVAL, true,
		               "[%#" PRIx64 ", %#" PRIx64
		               "] is not inside one usable IOVA range: %s",
		               iova, last, why);
	}
	return 0;
}

static int uapi_map_iommufd(struct iom_resv_uapi *u, uint64_t iova, uint64_t size,
                            struct iom_resv_outcome *o)
{
	char why[160];
	uint64_t last = iova + size - 1;
	if (size & (u->pgmin - 1))
		return outcome(o, IOM_RESV_EINVAL, false,
		               "length %#" PRIx64 " not aligned to iova_alignment %#" PRIx64, size,
		               u->pgmin);
	if (iova & (u->pgmin - 1))
		return outcome(o, IOM_RESV_EINVAL, false,
		               "iova %#" PRIx64 " not aligned to iova_alignment %#" PRIx64, iova,
		               u->pgmin);
	if (last < iova)
		return outcome(o, IOM_RESV_EOVERFLOW, false,
		               "[%#" PRIx64 ", +%#" PRIx64 ") wraps past 2^64", iova, size);
	if (!iom_resv_ranges_contain(&u->ranges, iova, last)) {
		why_unusable(u, iova, last, why, sizeof(why));
		return outcome(o, IOM_RESV_EINVAL, true,
		               "[%#" PRIx64 ", %#" PRIx64 "] meets a reserved IOVA range: %s", iova,
		               last, why);
	}
	const struct umap *m = map_overlap(u, iova, last);
	if (m)
		return outcome(o, IOM_RESV_EEXIST, false,
		               "[%#" PRIx64 ", %#" PRIx64 "] overlaps the area [%#" PRIx64
		               ", %#" PRIx64 "]",
		               iova, last, m->start, m->last);
	return 0;
}

int iom_resv_uapi_map(struct iom_resv_uapi *u, uint64_t iova, uint64_t size, uint32_t prot,
                      struct iom_resv_outcome *o, struct iom_err *err)
{
	outcome_clear(o);
	if (!size || !(prot & (IOM_PROT_R | IOM_PROT_W)))
		return outcome(o, IOM_RESV_EINVAL, false, "%s",
		               size ? "neither read nor write permission" : "size 0");
	int r = u->kind == IOM_RESV_UAPI_VFIO ? uapi_map_vfio(u, iova, size, o)
	                                      : uapi_map_iommufd(u, iova, size, o);
	if (r || o->err)
		return r;
	if (!grow((void **)&u->maps, &u->capmaps, u->nmaps + 1, sizeof(*u->maps)))
		return oom(err);
	uint32_t i = map_find(u, iova);
	memmove(&u->maps[i + 1], &u->maps[i], (u->nmaps - i) * sizeof(*u->maps));
	u->maps[i] = (struct umap){iova, iova + size - 1};
	u->nmaps++;
	return 0;
}

/* The unmap checks; on success [*first, *end) are the mappings it removes. */
static void uapi_unmap_checks(const struct iom_resv_uapi *u, uint64_t iova, uint64_t size,
                              struct iom_resv_outcome *o, uint32_t *first, uint32_t *end)
{
	outcome_clear(o);
	bool vfio = u->kind == IOM_RESV_UAPI_VFIO;
	uint64_t last = iova + size - 1;
	*first = *end = 0;
	if (!size || (vfio && ((iova | size) & (u->pgmin - 1)))) {
		outcome(o, IOM_RESV_EINVAL, false,
		        "iova %#" PRIx64 " / size %#" PRIx64 ": zero or not aligned to %#" PRIx64,
		        iova, size, u->pgmin);
		return;
	}
	if (last < iova) {
		outcome(o, vfio ? IOM_RESV_EINVAL : IOM_RESV_EOVERFLOW, false,
		        "[%#" PRIx64 ", +%#" PRIx64 ") wraps past 2^64", iova, size);
		return;
	}
	uint32_t i = map_find(u, iova), j = i;
	while (j < u->nmaps && u->maps[j].last <= last)
		j++;
	const struct umap *split = NULL;
	if (i < u->nmaps && u->maps[i].start < iova)
		split = &u->maps[i]; /* holds iova, starts before it */
	else if (j < u->nmaps && u->maps[j].start <= last)
		split = &u->maps[j]; /* holds last, ends after it */
	if (split)
		outcome(o, vfio ? IOM_RESV_EINVAL : IOM_RESV_ENOENT, false,
		        "[%#" PRIx64 ", %#" PRIx64 "] would split the mapping [%#" PRIx64
		        ", %#" PRIx64 "]",
		        iova, last, split->start, split->last);
	else if (j == i && !vfio) /* VFIO unmaps nothing successfully */
		outcome(o, IOM_RESV_ENOENT, false,
		        "nothing is mapped in [%#" PRIx64 ", %#" PRIx64 "]", iova, last);
	*first = i;
	*end = j;
}

void iom_resv_uapi_unmap_check(const struct iom_resv_uapi *u, uint64_t iova, uint64_t size,
                               struct iom_resv_outcome *o)
{
	uint32_t i, j;
	uapi_unmap_checks(u, iova, size, o, &i, &j);
}

int iom_resv_uapi_unmap(struct iom_resv_uapi *u, uint64_t iova, uint64_t size, uint64_t *unmapped,
                        struct iom_resv_outcome *o, struct iom_err *err)
{
	(void)err;
	uint32_t i, j;
	*unmapped = 0;
	uapi_unmap_checks(u, iova, size, o, &i, &j);
	if (o->err)
		return 0;
	for (uint32_t k = i; k < j; k++)
		*unmapped += u->maps[k].last - u->maps[k].start + 1;
	memmove(&u->maps[i], &u->maps[j], (u->nmaps - j) * sizeof(*u->maps));
	u->nmaps -= j - i;
	return 0;
}

const struct iom_resv_ranges *iom_resv_uapi_ranges(const struct iom_resv_uapi *u)
{
	return &u->ranges;
}

uint64_t iom_resv_uapi_alignment(const struct iom_resv_uapi *u)
{
	return u->pgmin;
}

uint64_t iom_resv_uapi_limit(const struct iom_resv_uapi *u)
{
	return u->limit;
}

const struct iom_resv_list *iom_resv_uapi_regions(const struct iom_resv_uapi *u)
{
	return &u->regions;
}

uint32_t iom_resv_uapi_mappings(const struct iom_resv_uapi *u)
{
	return u->nmaps;
}

uint32_t iom_resv_uapi_dma_avail(const struct iom_resv_uapi *u)
{
	return u->nmaps >= u->entry_limit ? 0 : u->entry_limit - u->nmaps;
}

bool iom_resv_uapi_msi_cookie(const struct iom_resv_uapi *u, uint64_t *base)
{
	const struct iom_resv_region *sw = NULL;
	for (uint32_t i = 0; i < u->regions.n; i++) {
		if (u->regions.v[i].type == IOM_RESV_MSI)
			return false; /* the hardware translates MSIs itself */
		if (u->regions.v[i].type == IOM_RESV_SW_MSI && !sw)
			sw = &u->regions.v[i];
	}
	if (sw && base)
		*base = sw->start;
	return sw != NULL;
}
