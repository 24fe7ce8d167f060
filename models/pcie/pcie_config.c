/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pcie_config.c - binding the `pcie:` section of a system YAML to a
 * topology (pcie_config.h).
 *
 * Format: flat lists with parent references, so that a generated machine
 * stays one entry per function and a hand-written one reads top-down.  A
 * function's `parent` names a root complex (or is empty: the first one) or
 * a bridge/port; bus numbers are enumerated depth-first as Linux does unless
 * every bridge of the tree gives `secondary` and `subordinate`; BARs with no
 * `base` are placed by the topology (topology.c).  Every key is a property
 * with a type, a range and a doc, so bad values are reported with
 * FILE:LINE:COL by the config loader and unknown keys are errors.
 */
#include "pcie_config.h"

#include "config.h"

#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* ---- tables ----------------------------------------------------------------- */

static const struct iom_pcie_cfg pcie_defaults = {
    .kernel = IOM_PCIE_KERNEL_DEFAULT,
};

static const struct iom_prop pcie_props[] = {
    IOM_PROP_STRING_(
        struct iom_pcie_cfg, kernel,
        "Linux version whose grouping, quirk and PASID rules apply (\"6.12\", \"3.19\")"),
    IOM_PROP_BOOL_(struct iom_pcie_cfg, enable_acs,
                   "apply pci_enable_acs() as a kernel with an IOMMU does at boot: SV, RR, CR, "
                   "UF where the capability has them, Intel PCH quirk registers"),
    IOM_PROP_BOOL_(struct iom_pcie_cfg, ats_disabled,
                   "pci=noats: with enable_acs, Translation Blocking is enabled too"),
};

static const struct iom_prop_table pcie_table = {
    .section = "pcie",
    .doc = "PCIe topology (docs/pcie.md); without this section every device has its own root port",
    .props = pcie_props,
    .nprops = IOM_ARRAY_SIZE(pcie_props),
    .defaults = &pcie_defaults,
    .struct_size = sizeof(struct iom_pcie_cfg),
};

struct rc_cfg {
	char name[IOM_PROP_STR_MAX];
	uint32_t segment, bus;
	uint64_t mmio_base;
};

static const struct rc_cfg rc_defaults = {.mmio_base = 0x80000000ull};

static const struct iom_prop rc_props[] = {
    IOM_PROP_STRING_(struct rc_cfg, name, "name that functions give as their parent"),
    IOM_PROP_U32_(struct rc_cfg, segment, 0, 0xffff, "", "PCI segment (domain)"),
    IOM_PROP_U32_(struct rc_cfg, bus, 0, 255, "", "root bus number"),
    IOM_PROP_U64_(struct rc_cfg, mmio_base, 0, UINT64_MAX, "bytes",
                  "where BARs without a base below this root complex are placed"),
};

static const struct iom_prop_table rc_table = {
    .section = "pcie.root_complexes[0]",
    .doc = "A root complex (host bridge): one root bus of a segment",
    .props = rc_props,
    .nprops = IOM_ARRAY_SIZE(rc_props),
    .defaults = &rc_defaults,
    .struct_size = sizeof(struct rc_cfg),
};

static const char *const mf_names[] = {"auto", "no", "yes", NULL};

struct fn_cfg {
	char name[IOM_PROP_STR_MAX];
	uint32_t type;
	char parent[IOM_PROP_STR_MAX];
	uint32_t dev, fn, multifunction, secondary, subordinate, vendor, device;
	bool acs;
	uint32_t acs_cap, acs_ctrl;
	uint64_t acs_egress;
	uint32_t port_number;
	bool external_facing;
	bool ats, ats_enabled;
	uint32_t ats_stu, ats_inv_qdepth;
	bool pasid, pasid_exec, pasid_priv, pasid_enabled;
	uint32_t pasid_width;
	bool pri, pri_enabled;
	uint32_t pri_capacity;
	char dma_aliases[IOM_PROP_STR_MAX];
	uint32_t dma_bits, bus_dma_bits;
};

#define PORT_AUTO 256
static const struct fn_cfg fn_defaults = {.port_number = PORT_AUTO, .pasid_width = 20};

static const struct iom_prop fn_props[] = {
    IOM_PROP_STRING_(struct fn_cfg, name, "unique name (required); parents and messages use it"),
    IOM_PROP_ENUM_(struct fn_cfg, type, iom_pcie_type_names,
                   "PCIe device/port type; pci_bridge and pci_device are conventional PCI"),
    IOM_PROP_STRING_(struct fn_cfg, parent,
                     "a root complex or a bridge/port above it (empty: the first root "
                     "complex)"),
    IOM_PROP_U32_(struct fn_cfg, dev, 0, 31, "", "device number on the parent's bus"),
    IOM_PROP_U32_(struct fn_cfg, fn, 0, 7, "", "function number"),
    IOM_PROP_ENUM_(struct fn_cfg, multifunction, mf_names,
                   "header multifunction bit; auto: set when the slot has other functions"),
    IOM_PROP_U32_(struct fn_cfg, secondary, 0, 255, "", "bridges: secondary bus (0: enumerate)"),
    IOM_PROP_U32_(struct fn_cfg, subordinate, 0, 255, "",
                  "bridges: subordinate bus (with secondary)"),
    IOM_PROP_U32_(struct fn_cfg, vendor, 0, 0xffff, "", "vendor ID (0: unknown; quirks need it)"),
    IOM_PROP_U32_(struct fn_cfg, device, 0, 0xffff, "", "device ID"),
    IOM_PROP_BOOL_(struct fn_cfg, acs, "has an ACS extended capability"),
    IOM_PROP_U32_(
        struct fn_cfg, acs_cap, 0, 0xffff, "",
        "ACS capability register: SV 0x1, TB 0x2, RR 0x4, CR 0x8, UF 0x10, EC 0x20, DT 0x40"),
    IOM_PROP_U32_(struct fn_cfg, acs_ctrl, 0, 0x7f, "", "ACS control register (same bits)"),
    IOM_PROP_U64_(struct fn_cfg, acs_egress, 0, UINT64_MAX, "",
                  "egress control vector: bit n blocks/redirects P2P toward port number n"),
    IOM_PROP_U32_(struct fn_cfg, port_number, 0, PORT_AUTO, "",
                  "Link Capabilities port number (egress vector index); 256: the device number"),
    IOM_PROP_BOOL_(struct fn_cfg, external_facing,
                   "external-facing port: Linux enables Translation Blocking"),
    IOM_PROP_BOOL_(struct fn_cfg, ats, "has an ATS capability"),
    IOM_PROP_BOOL_(struct fn_cfg, ats_enabled, "ATS enabled (translated requests allowed)"),
    IOM_PROP_U32_(struct fn_cfg, ats_stu, 0, 31, "", "smallest translation unit: 2^(stu+12) bytes"),
    IOM_PROP_U32_(struct fn_cfg, ats_inv_qdepth, 0, 31, "", "invalidate queue depth (0 = 32)"),
    IOM_PROP_BOOL_(struct fn_cfg, pasid, "has a PASID capability"),
    IOM_PROP_BOOL_(struct fn_cfg, pasid_exec, "PASID: execute permission supported"),
    IOM_PROP_BOOL_(struct fn_cfg, pasid_priv, "PASID: privileged mode supported"),
    IOM_PROP_BOOL_(struct fn_cfg, pasid_enabled, "PASID enabled"),
    IOM_PROP_U32_(struct fn_cfg, pasid_width, 1, 20, "bits", "max PASID width"),
    IOM_PROP_BOOL_(struct fn_cfg, pri, "has a Page Request Interface capability"),
    IOM_PROP_BOOL_(struct fn_cfg, pri_enabled, "PRI enabled"),
    IOM_PROP_U32_(struct fn_cfg, pri_capacity, 0, UINT32_MAX, "requests",
                  "outstanding page request capacity"),
    IOM_PROP_STRING_(struct fn_cfg, dma_aliases,
                     "other devfns it DMAs with, \"DD.F DD.F\" on its bus (quirks add known ones)"),
    IOM_PROP_U32_(struct fn_cfg, dma_bits, 0, 64, "bits",
                  "width of the DMA mask its driver sets (0: resv.dma_bits; docs/resv.md)"),
    IOM_PROP_U32_(struct fn_cfg, bus_dma_bits, 0, 64, "bits",
                  "firmware addressing limit: IORT memory address size limit, DT dma-ranges "
                  "(0: none)"),
};

static const struct iom_prop_table fn_table = {
    .section = "pcie.functions[0]",
    .doc = "A PCI function: endpoint, port, bridge or conventional device",
    .props = fn_props,
    .nprops = IOM_ARRAY_SIZE(fn_props),
    .defaults = &fn_defaults,
    .struct_size = sizeof(struct fn_cfg),
};

struct bar_cfg {
	uint32_t index;
	uint64_t base, size;
	bool prefetch;
};

#define BAR_AUTO 255
static const struct bar_cfg bar_defaults = {.index = BAR_AUTO};

static const struct iom_prop bar_props[] = {
    IOM_PROP_U32_(struct bar_cfg, index, 0, BAR_AUTO, "",
                  "BAR number 0-5, 6 = expansion ROM (255: its position in the list)"),
    IOM_PROP_U64_(struct bar_cfg, base, 0, UINT64_MAX, "bytes",
                  "bus address (0: placed at enumeration, naturally aligned)"),
    IOM_PROP_U64_(struct bar_cfg, size, 0, 1ull << 62, "bytes", "size, a power of two (required)"),
    IOM_PROP_BOOL_(struct bar_cfg, prefetch, "prefetchable"),
};

static const struct iom_prop_table bar_table = {
    .section = "pcie.functions[0].bars[0]",
    .doc = "A memory BAR of a function",
    .props = bar_props,
    .nprops = IOM_ARRAY_SIZE(bar_props),
    .defaults = &bar_defaults,
    .struct_size = sizeof(struct bar_cfg),
};

struct link_cfg {
	uint32_t gen, width, mps, mrrs, rcb;
};

static const struct link_cfg link_defaults = {0};

static const struct iom_prop link_props[] = {
    IOM_PROP_U32_(struct link_cfg, gen, 0, IOM_PCIE_GEN_MAX, "",
                  "generation: 1..6 = 2.5, 5, 8, 16, 32, 64 GT/s (0: not given)"),
    IOM_PROP_U32_(struct link_cfg, width, 0, 32, "lanes", "link width (0: not given)"),
    IOM_PROP_U32_(struct link_cfg, mps, 0, 4096, "bytes", "Max_Payload_Size (0: not given)"),
    IOM_PROP_U32_(struct link_cfg, mrrs, 0, 4096, "bytes", "Max_Read_Request_Size (0: not given)"),
    IOM_PROP_U32_(struct link_cfg, rcb, 0, 128, "bytes", "Read Completion Boundary, 64 or 128"),
};

static const struct iom_prop_table link_table = {
    .section = "pcie.functions[0].link",
    .doc = "The link above a function (its upstream port's link)",
    .props = link_props,
    .nprops = IOM_ARRAY_SIZE(link_props),
    .defaults = &link_defaults,
    .struct_size = sizeof(struct link_cfg),
};

/* Firmware reserved regions of a function (VT-d RMRR, IORT RMR, AMD IVMD). */
struct resv_cfg {
	uint64_t base, size;
	uint32_t type;
};

static const char *const resv_type_names[] = {"direct", "direct_relaxable", "reserved",
                                              "msi",    "sw_msi",           NULL};
_Static_assert(IOM_ARRAY_SIZE(resv_type_names) == IOM_PCIE_RESV_KINDS + 1,
               "one name per Linux reserved-region type");
static const struct resv_cfg resv_defaults = {0};

static const struct iom_prop resv_props[] = {
    IOM_PROP_U64_(struct resv_cfg, base, 0, UINT64_MAX, "bytes", "first address"),
    IOM_PROP_U64_(struct resv_cfg, size, 0, UINT64_MAX, "bytes", "size (required)"),
    IOM_PROP_ENUM_(struct resv_cfg, type, resv_type_names,
                   "direct: must stay 1:1 (RMRR, RMR without remapping permitted; the device "
                   "cannot be assigned); direct_relaxable: 1:1 that assignment may drop (USB and "
                   "GPU RMRRs, RMR with remapping permitted); reserved, msi, sw_msi"),
};

static const struct iom_prop_table resv_table = {
    .section = "pcie.functions[0].resv[0]",
    .doc = "A reserved region firmware describes for a function (docs/resv.md)",
    .props = resv_props,
    .nprops = IOM_ARRAY_SIZE(resv_props),
    .defaults = &resv_defaults,
    .struct_size = sizeof(struct resv_cfg),
};

const struct iom_prop_table *const *iom_pcie_prop_tables(size_t *n)
{
	/* pcie.functions[i].resv[j] (resv_table) is documented in docs/resv.md */
	static const struct iom_prop_table *const tables[] = {&pcie_table, &rc_table, &fn_table,
	                                                      &bar_table, &link_table};
	*n = IOM_ARRAY_SIZE(tables);
	return tables;
}

/* ---- binding ---------------------------------------------------------------- */

static bool pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* "DD.F DD.F" -> alias bits. */
static int cfg_aliases(const char *s, struct iom_pcie_fn *f, const char *path, struct iom_err *err)
{
	while (*s) {
		while (*s == ' ' || *s == ',')
			s++;
		if (!*s)
			break;
		char *e;
		unsigned long d = strtoul(s, &e, 16);
		unsigned long fn = 8;
		if (e != s && *e == '.' && isxdigit((unsigned char)e[1]))
			fn = strtoul(e + 1, &e, 16);
		if (e == s || d > 31 || fn > 7 || (*e && *e != ' ' && *e != ','))
			return iom_err_set(
			    err, IOM_EFORMAT,
			    "%s.dma_aliases: expected \"DD.F DD.F ...\" (hex device, "
			    "function 0-7), got '%s'",
			    path, s);
		unsigned devfn = (unsigned)(d << 3 | fn);
		f->dma_alias[devfn >> 6] |= 1ull << (devfn & 63);
		s = e;
	}
	return 0;
}

static int cfg_bars(struct iom_config *c, const char *path, struct iom_pcie_fn *f,
                    struct iom_err *err)
{
	char sub[256];
	size_t n;
	snprintf(sub, sizeof(sub), "%s.bars", path);
	int r = iom_config_seq_len(c, sub, &n, err);
	if (r)
		return r;
	if (n > IOM_PCIE_MAX_BARS)
		return iom_err_set(err, IOM_ERANGE, "%s: %zu BARs, at most %d", sub, n,
		                   IOM_PCIE_MAX_BARS);
	for (size_t i = 0; i < n; i++) {
		struct bar_cfg b;
		snprintf(sub, sizeof(sub), "%s.bars[%zu]", path, i);
		if ((r = iom_config_bind(c, &bar_table, sub, &b, err)))
			return r;
		unsigned idx = b.index == BAR_AUTO ? (unsigned)i : b.index;
		if (idx >= IOM_PCIE_MAX_BARS)
			return iom_err_set(err, IOM_ERANGE, "%s.index: %u, expected 0-6", sub, idx);
		if (!pow2(b.size))
			return iom_err_set(err, IOM_EINVAL,
			                   "%s.size: %#llx, expected a power of two", sub,
			                   (unsigned long long)b.size);
		if (b.base & (b.size - 1))
			return iom_err_set(err, IOM_EINVAL,
			                   "%s.base: %#llx is not aligned to the size %#llx", sub,
			                   (unsigned long long)b.base, (unsigned long long)b.size);
		for (unsigned k = 0; k < f->nbars; k++)
			if (f->bars[k].index == idx)
				return iom_err_set(err, IOM_EEXIST, "%s: BAR%u is given twice", sub,
				                   idx);
		f->bars[f->nbars++] = (struct iom_pcie_bar){
		    .base = b.base, .size = b.size, .index = (uint8_t)idx, .prefetch = b.prefetch};
	}
	return 0;
}

/* pcie.functions[i].resv: the function's firmware reserved regions. */
static int cfg_resv(struct iom_config *c, const char *path, struct iom_pcie_topo *t, uint32_t fi,
                    struct iom_err *err)
{
	char sub[256];
	size_t n;
	snprintf(sub, sizeof(sub), "%s.resv", path);
	int r = iom_config_seq_len(c, sub, &n, err);
	for (size_t k = 0; k < n && !r; k++) {
		struct resv_cfg rc;
		snprintf(sub, sizeof(sub), "%s.resv[%zu]", path, k);
		if ((r = iom_config_bind(c, &resv_table, sub, &rc, err)))
			break;
		if (!rc.size || rc.base + (rc.size - 1) < rc.base)
			r = iom_err_set(
			    err, IOM_EINVAL,
			    "%s: size %#llx at %#llx: expected a size >= 1 that ends below "
			    "2^64",
			    sub, (unsigned long long)rc.size, (unsigned long long)rc.base);
		else
			r = iom_pcie_add_resv(t, fi, rc.base, rc.size, rc.type, err);
	}
	return r;
}

static int cfg_function(struct iom_config *c, size_t i, struct iom_pcie_topo *t,
                        struct iom_err *err)
{
	char path[64];
	struct fn_cfg fc;
	snprintf(path, sizeof(path), "pcie.functions[%zu]", i);
	int r = iom_config_bind(c, &fn_table, path, &fc, err);
	if (r)
		return r;
	if (!fc.name[0])
		return iom_err_set(err, IOM_EINVAL, "%s.name: every function needs a name", path);
	struct iom_pcie_fn d = {0};
	snprintf(d.name, sizeof(d.name), "%s", fc.name);
	snprintf(d.parent_name, sizeof(d.parent_name), "%s", fc.parent);
	d.type = (uint8_t)fc.type;
	d.bridge = iom_pcie_type_is_bridge(fc.type);
	d.devfn = (uint8_t)(fc.dev << 3 | fc.fn);
	d.mf_given = (uint8_t)fc.multifunction;
	if (fc.secondary || fc.subordinate) {
		if (!d.bridge)
			return iom_err_set(err, IOM_EINVAL,
			                   "%s: secondary/subordinate given for type %s", path,
			                   iom_pcie_type_names[fc.type]);
		if (!fc.secondary || fc.subordinate < fc.secondary)
			return iom_err_set(err, IOM_EINVAL,
			                   "%s: expected 0 < secondary <= subordinate, got %u / %u",
			                   path, fc.secondary, fc.subordinate);
		d.numbers_given = true;
		d.secondary = (uint8_t)fc.secondary;
		d.subordinate = (uint8_t)fc.subordinate;
	}
	d.vendor = (uint16_t)fc.vendor;
	d.device = (uint16_t)fc.device;
	d.ids_known = fc.vendor != 0;
	if (fc.acs_ctrl && !fc.acs)
		return iom_err_set(err, IOM_EINVAL, "%s: acs_ctrl given without acs: true", path);
	d.acs = fc.acs;
	d.acs_cap = (uint16_t)fc.acs_cap;
	d.acs_ctrl = (uint16_t)fc.acs_ctrl;
	d.acs_egress = fc.acs_egress;
	d.port_number = (uint8_t)(fc.port_number == PORT_AUTO ? fc.dev : fc.port_number);
	d.external_facing = fc.external_facing;
	d.ats = fc.ats;
	d.ats_enabled = fc.ats_enabled;
	d.ats_stu = (uint8_t)fc.ats_stu;
	d.ats_inv_qdepth = (uint8_t)fc.ats_inv_qdepth;
	d.pasid = fc.pasid;
	d.pasid_exec = fc.pasid_exec;
	d.pasid_priv = fc.pasid_priv;
	d.pasid_enabled = fc.pasid_enabled;
	d.pasid_width = (uint8_t)fc.pasid_width;
	d.pri = fc.pri;
	d.pri_enabled = fc.pri_enabled;
	d.pri_capacity = fc.pri_capacity;
	if ((fc.ats_enabled && !fc.ats) || (fc.pasid_enabled && !fc.pasid) ||
	    (fc.pri_enabled && !fc.pri))
		return iom_err_set(err, IOM_EINVAL, "%s: a capability is enabled but not present",
		                   path);
	if ((r = cfg_aliases(fc.dma_aliases, &d, path, err)))
		return r;
	if ((r = cfg_bars(c, path, &d, err)))
		return r;
	struct link_cfg lc;
	char sub[80];
	snprintf(sub, sizeof(sub), "%s.link", path);
	if ((r = iom_config_bind(c, &link_table, sub, &lc, err)))
		return r;
	if (lc.rcb && lc.rcb != 64 && lc.rcb != 128)
		return iom_err_set(err, IOM_EINVAL, "%s.rcb: %u, expected 64 or 128", sub, lc.rcb);
	if ((lc.mps && (!pow2(lc.mps) || lc.mps < 128)) ||
	    (lc.mrrs && (!pow2(lc.mrrs) || lc.mrrs < 128)))
		return iom_err_set(err, IOM_EINVAL, "%s: mps/mrrs must be 128, 256, ... 4096 bytes",
		                   sub);
	d.link = (struct iom_pcie_fn_link){.gen = (uint8_t)lc.gen,
	                                   .width = (uint8_t)lc.width,
	                                   .mps = (uint16_t)lc.mps,
	                                   .mrrs = (uint16_t)lc.mrrs,
	                                   .rcb = (uint16_t)lc.rcb};
	d.dma_bits = (uint8_t)fc.dma_bits;
	d.bus_dma_bits = (uint8_t)fc.bus_dma_bits;
	d.src_line = (uint32_t)i + 1;
	uint32_t fi = iom_pcie_add_fn(t, &d, err);
	if (fi == IOM_PCIE_NONE)
		return iom_err_prefix(err, "%s%s%s", t->src_name, *t->src_name ? ": " : "", path);
	return cfg_resv(c, path, t, fi, err);
}

int iom_pcie_topo_from_config(struct iom_config *c, const char *name, struct iom_pcie_topo **out,
                              struct iom_err *err)
{
	*out = NULL;
	if (!iom_config_has(c, "pcie"))
		return 0;
	struct iom_pcie_cfg pc;
	int r = iom_config_bind(c, &pcie_table, NULL, &pc, err);
	if (r)
		return r;
	/* `pcie:` may hold only the link timing (pcie.link, link.c): no topology */
	if (!iom_config_has(c, "pcie.functions") && !iom_config_has(c, "pcie.root_complexes"))
		return 0;
	struct iom_pcie_topo *t = iom_pcie_topo_create();
	if (!t)
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	t->src_kind = IOM_PCIE_SRC_CONFIG;
	snprintf(t->src_name, sizeof(t->src_name), "%s", name ? name : "");
	if (!iom_pcie_kver_parse(pc.kernel, &t->kernel)) {
		r = iom_err_set(err, IOM_EINVAL,
		                "pcie.kernel: '%s', expected a version such as \"6.12\"",
		                pc.kernel);
		goto fail;
	}
	t->ats_disabled = pc.ats_disabled;
	size_t n;
	if ((r = iom_config_seq_len(c, "pcie.root_complexes", &n, err)))
		goto fail;
	for (size_t i = 0; i < n; i++) {
		char path[64];
		struct rc_cfg rc;
		snprintf(path, sizeof(path), "pcie.root_complexes[%zu]", i);
		if ((r = iom_config_bind(c, &rc_table, path, &rc, err)))
			goto fail;
		struct iom_pcie_rc d = {.segment = (uint16_t)rc.segment,
		                        .bus = (uint8_t)rc.bus,
		                        .mmio_base = rc.mmio_base};
		snprintf(d.name, sizeof(d.name), "%s", rc.name[0] ? rc.name : "");
		if (!d.name[0])
			snprintf(d.name, sizeof(d.name), "pci%zu", i);
		if ((r = iom_pcie_add_rc(t, &d, err))) {
			iom_err_prefix(err, "%s%s%s", t->src_name, *t->src_name ? ": " : "", path);
			goto fail;
		}
	}
	if ((r = iom_config_seq_len(c, "pcie.functions", &n, err)))
		goto fail;
	for (size_t i = 0; i < n; i++)
		if ((r = cfg_function(c, i, t, err)))
			goto fail;
	if ((r = iom_pcie_topo_finalize(t, IOM_PCIE_STRICT, err)))
		goto fail;
	if (pc.enable_acs)
		iom_pcie_enable_acs(t);
	*out = t;
	return 0;
fail:
	iom_pcie_topo_destroy(t);
	return r;
}
