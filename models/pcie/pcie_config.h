/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pcie_config.h - the `pcie:` section of a system YAML: root complexes and
 * functions with parent references, bound through property tables
 * (docs/pcie.md, "Topology configuration").
 *
 *   pcie:
 *     kernel: "6.12"          # Linux version whose rules apply
 *     enable_acs: true        # what the kernel does at boot with an IOMMU on
 *     root_complexes:         # default: one, "pci0", segment 0, root bus 0
 *       - {name: pci0, segment: 0, bus: 0}
 *     functions:
 *       - {name: rp0, type: root_port, dev: 0x1c, acs: true, acs_cap: 0x1f}
 *       - name: nic
 *         parent: rp0
 *         vendor: 0x8086
 *         device: 0x1521
 *         bars: [{size: 128K}]
 *         link: {gen: 3, width: 8, mps: 256, mrrs: 512}
 */
#ifndef IOM_MODELS_PCIE_CONFIG_H
#define IOM_MODELS_PCIE_CONFIG_H

#include "topology.h"

#ifdef __cplusplus
extern "C" {
#endif

struct iom_config;
struct iom_prop_table;

/* Top-level keys of the section. */
struct iom_pcie_cfg {
	char kernel[64]; /* IOM_PROP_STR_MAX */
	bool enable_acs;
	bool ats_disabled;
};

/*
 * Build the topology of `c`'s `pcie:` section (finalized, strict rules,
 * ACS enabled if asked).  No section, or one without `functions` and
 * `root_complexes` (e.g. only `pcie.link`): *out = NULL and 0 -- the caller
 * keeps its implicit one-root-port-per-device system.  `name` (the file, may be
 * NULL) prefixes messages that have no line of their own.
 */
int iom_pcie_topo_from_config(struct iom_config *c, const char *name, struct iom_pcie_topo **out,
                              struct iom_err *err);

/* The property tables of the section, in the order above (docs, tests). */
const struct iom_prop_table *const *iom_pcie_prop_tables(size_t *n);

#ifdef __cplusplus
}
#endif
#endif
