/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sc_system.h - what the TLM module (tlm_iommu.cpp) needs of a system built
 * by sim/replay: a system from a configuration file and overrides, and its
 * memory, IOMMU and host.  C, so that the C++ side never includes the
 * replay's internal header.
 */
#ifndef IOM_SIM_SYSTEMC_SC_SYSTEM_H
#define IOM_SIM_SYSTEMC_SC_SYSTEM_H

#include "iom.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct iom_config;
struct iom_system;
struct iom_mem;
struct iom_iommu;
struct iom_host;

/* The system of config_path (NULL: the built-in default system) with
 * `key=value` overrides applied in order; *cfg receives the configuration
 * (the caller destroys it after the system). NULL with err set. */
struct iom_system *iom_sc_system_create(const char *config_path, const char *const *sets,
					size_t nsets, struct iom_config **cfg, struct iom_err *err);
struct iom_mem *iom_sc_system_mem(struct iom_system *s);
struct iom_iommu *iom_sc_system_iommu(struct iom_system *s);
struct iom_host *iom_sc_system_host(struct iom_system *s);

#ifdef __cplusplus
}
#endif
#endif
