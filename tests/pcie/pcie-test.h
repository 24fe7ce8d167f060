/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pcie-test.h - what the PCIe fabric tests share: a topology from a YAML
 * string (the `pcie:` section, bound exactly as a system file is), group
 * lookups by function name.
 */
#ifndef IOM_TESTS_PCIE_TEST_H
#define IOM_TESTS_PCIE_TEST_H

#include <criterion/criterion.h>

#include "config.h"
#include "groups.h"
#include "pcie_config.h"
#include "route.h"
#include "topology.h"

/* A finalized topology with its groups; every key must have been used. */
static inline struct iom_pcie_topo *topo_yaml(const char *yaml)
{
	struct iom_err e = {0};
	struct iom_config *c = iom_config_load_string(yaml, "t.yaml", &e);
	cr_assert_not_null(c, "%s", e.msg);
	struct iom_pcie_topo *t = NULL;
	cr_assert_eq(iom_pcie_topo_from_config(c, "t.yaml", &t, &e), 0, "%s", e.msg);
	cr_assert_not_null(t);
	cr_assert_eq(iom_config_check_unused(c, &e), 0, "%s", e.msg);
	iom_config_destroy(c);
	cr_assert_eq(iom_pcie_groups_compute(t, &e), 0, "%s", e.msg);
	return t;
}

/* The error of building the topology of `yaml` (which must fail). */
static inline struct iom_err topo_yaml_err(const char *yaml)
{
	struct iom_err e = {0};
	struct iom_config *c = iom_config_load_string(yaml, "t.yaml", &e);
	cr_assert_not_null(c, "%s", e.msg);
	struct iom_pcie_topo *t = NULL;
	int r = iom_pcie_topo_from_config(c, "t.yaml", &t, &e);
	cr_assert_neq(r, 0, "expected an error for:\n%s", yaml);
	cr_assert_null(t);
	iom_config_destroy(c);
	return e;
}

static inline uint32_t fn_of(const struct iom_pcie_topo *t, const char *name)
{
	uint32_t f = iom_pcie_find_name(t, name);
	cr_assert_neq(f, IOM_PCIE_NONE, "no function '%s'", name);
	return f;
}

static inline uint32_t grp(const struct iom_pcie_topo *t, const char *name)
{
	return t->fns[fn_of(t, name)].group;
}

/* Members of name's group, as a sorted space-separated list of names. */
static inline const char *members(const struct iom_pcie_topo *t, const char *name, char *buf,
                                  size_t sz)
{
	uint32_t g = grp(t, name);
	const char *names[256];
	size_t n = 0;
	for (uint32_t i = 0; i < t->nfns && n < 256; i++)
		if (t->fns[i].group == g)
			names[n++] = t->fns[i].name;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			const char *x = names[j];
			names[j] = names[j - 1];
			names[j - 1] = x;
		}
	size_t used = 0;
	buf[0] = 0;
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(buf + used, sz - used, "%s%s", i ? " " : "", names[i]);
	return buf;
}

#define assert_group(t, name, want)                                                                \
	do {                                                                                       \
		char _b[1024];                                                                     \
		cr_assert_str_eq(members((t), (name), _b, sizeof(_b)), (want), "group of %s",      \
		                 (name));                                                          \
	} while (0)

#endif
