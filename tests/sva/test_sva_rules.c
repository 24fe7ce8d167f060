/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_sva_rules.c - whether a bind is allowed, per kernel version, on a
 * PCIe topology (algorithms-reference.md 7.1; models/pcie groups.c
 * iom_pcie_pasid_check), and the group-wide PASID attach of v6.2+.
 *
 * Topology: root port RP (ACS controls given per test) with f0 (a Marvell
 * 0x9123, whose quirk makes function 1 a DMA alias: f0 and f1 share a group
 * although each has an empty ACS capability) and f1, both PASID-capable;
 * root port RP2 (RR|CR|UF|SV) with e0 (PASID, Max PASID Width 4) alone in its
 * group, and e1 on RP3 without a PASID capability.
 *  - <= 6.1: iommu_sva_bind_device() refuses a group with more than one
 *    device: f0 refused, e0 allowed.
 *  - >= 6.2: pci_enable_pasid() needs ACS RR and UF from the function up:
 *    RP with 0x1d (SV RR CR UF) passes and the attach is group-wide (f0 and
 *    f1 get CD p); RP with 0x0d (no UF) refuses at RP.
 *  - always: no PASID capability -> refused; a PASID at or above 2^width ->
 *    refused (e0: 16).
 */
#include "sva-test.h"

#include "../pcie/pcie-test.h"

TestSuite(sva_rules, .init = fx_init, .fini = fx_fini);

static const char TOPO[] =
    "pcie:\n  kernel: \"%s\"\n  functions:\n"
    "    - {name: RP, type: root_port, acs: true, acs_cap: 0x1f, acs_ctrl: %s}\n"
    "    - {name: f0, parent: RP, pasid: true, vendor: 0x1b4b, device: 0x9123, acs: true}\n"
    "    - {name: f1, parent: RP, fn: 1, pasid: true, acs: true}\n"
    "    - {name: RP2, type: root_port, dev: 2, acs: true, acs_cap: 0x1f, acs_ctrl: 0x1d}\n"
    "    - {name: e0, parent: RP2, pasid: true, pasid_width: 4}\n"
    "    - {name: RP3, type: root_port, dev: 3, acs: true, acs_cap: 0x1f, acs_ctrl: 0x1d}\n"
    "    - {name: e1, parent: RP3}\n";

static struct iom_pcie_topo *T;

static struct iom_pcie_topo *topo(const char *kernel, const char *acs)
{
	char y[1024];
	snprintf(y, sizeof(y), TOPO, kernel, acs);
	T = topo_yaml(y);
	return T;
}

static uint32_t rid(const char *name)
{
	const struct iom_pcie_fn *f = &T->fns[fn_of(T, name)];
	return ((uint32_t)f->segment << 16) | iom_pcie_rid(f);
}

static int tbind(const char *name, uint32_t pasid, uint32_t mm)
{
	uint64_t done;
	return iom_host_bind(F.host, rid(name), pasid, mm, T, tick(), &done, &F.err);
}

static int tunbind(const char *name, uint32_t pasid)
{
	uint64_t done;
	return iom_host_unbind(F.host, rid(name), pasid, T, tick(), &done, &F.err);
}

static void fini(void)
{
	iom_pcie_topo_destroy(T);
	T = NULL;
}

Test(sva_rules, kernel_6_1_refuses_a_group_with_other_devices, .fini = fini)
{
	smmu_up();
	topo("6.1", "0x1d");
	pmap(7, 0x400000, 0x90000000, 16 * KB, RW);
	cr_assert_eq(tbind("f0", 1, 7), -IOM_EINVAL);
	cr_assert(strstr(F.err.msg, "the group has other devices"), "%s", F.err.msg);
	cr_assert(strstr(F.err.msg, "kernel 6.1"), "%s", F.err.msg);
	cr_assert_eq(mm_info(7).pasid, -1);
	OK(tbind("e0", 1, 7));
	cr_assert_eq(iom_host_bound_mm(F.host, rid("e0"), 1), 7);
}

Test(sva_rules, kernel_6_2_attaches_the_pasid_group_wide, .fini = fini)
{
	smmu_up();
	topo("6.2", "0x1d");
	pmap(7, 0x400000, 0x90000000, 16 * KB, RW);
	OK(tbind("f0", 3, 7));
	cr_assert_eq(iom_host_bound_mm(F.host, rid("f0"), 3), 7);
	cr_assert_eq(iom_host_bound_mm(F.host, rid("f1"), 3), 7, "the alias got it too");
	uint64_t cd[8];
	read_cd(rid("f1"), 3, cd);
	cr_assert_eq(smmu_cd_v(cd), 1);
	cr_assert_eq(smmu_cd_ttb0(cd), mm_info(7).pgd);
	/* f1 binding the same process: a reference on the group's attachment */
	uint64_t cfgi = smmu_cmds(SMMU_CMD_CFGI_CD);
	OK(tbind("f1", 3, 7));
	cr_assert_eq(smmu_cmds(SMMU_CMD_CFGI_CD), cfgi);
	pmap(8, 0x400000, 0x98000000, 16 * KB, RW);
	cr_assert_eq(tbind("f1", 3, 8), -IOM_EBUSY);
	OK(tunbind("f0", 3));
	read_cd(rid("f1"), 3, cd);
	cr_assert_eq(smmu_cd_v(cd), 1, "one reference left");
	OK(tunbind("f1", 3));
	read_cd(rid("f0"), 3, cd);
	cr_assert_eq(smmu_cd_v(cd), 0);
	read_cd(rid("f1"), 3, cd);
	cr_assert_eq(smmu_cd_v(cd), 0);
	cr_assert_eq(tunbind("f0", 3), -IOM_ENOENT);
}

Test(sva_rules, kernel_6_2_refuses_a_path_without_acs_uf, .fini = fini)
{
	smmu_up();
	topo("6.12", "0x0d");
	pmap(7, 0x400000, 0x90000000, 16 * KB, RW);
	cr_assert_eq(tbind("f0", 1, 7), -IOM_EINVAL);
	cr_assert(strstr(F.err.msg, "ACS RR|UF"), "%s", F.err.msg);
	cr_assert(strstr(F.err.msg, " at 00:"), "names the blocking port: %s", F.err.msg);
	OK(tbind("e0", 1, 7));
}

Test(sva_rules, capability_and_pasid_width_limit_every_kernel, .fini = fini)
{
	smmu_up();
	topo("6.12", "0x1d");
	pmap(7, 0x400000, 0x90000000, 16 * KB, RW);
	cr_assert_eq(tbind("e1", 1, 7), -IOM_EINVAL);
	cr_assert(strstr(F.err.msg, "no PASID capability"), "%s", F.err.msg);
	cr_assert_eq(tbind("e0", 16, 7), -IOM_ERANGE);
	OK(tbind("e0", 15, 7));
	uint64_t done;
	cr_assert_eq(iom_host_bind(F.host, 0x4200, 15, 7, T, tick(), &done, &F.err), -IOM_EINVAL);
	cr_assert(strstr(F.err.msg, "not in the PCIe topology"), "%s", F.err.msg);
}
