/* SPDX-License-Identifier: Apache-2.0 */
/* sc_system.c - the TLM module's view of a replay system (sc_system.h). */
#include "sc_system.h"

#include "config.h"
#include "replay-int.h"

struct iom_system *iom_sc_system_create(const char *config_path, const char *const *sets,
					size_t nsets, struct iom_config **cfg, struct iom_err *err)
{
	struct iom_config *c = config_path ? iom_config_load_file(config_path, err)
					   : iom_config_create_default();
	if (!c) {
		if (!config_path)
			iom_err_set(err, IOM_ENOMEM, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < nsets; i++) {
		if (iom_config_set(c, sets[i], err)) {
			iom_config_destroy(c);
			return NULL;
		}
	}
	struct iom_system *s = iom_system_build(c, err);
	if (!s) {
		iom_config_destroy(c);
		return NULL;
	}
	*cfg = c;
	return s;
}

struct iom_mem *iom_sc_system_mem(struct iom_system *s)
{
	return s->mem;
}

struct iom_iommu *iom_sc_system_iommu(struct iom_system *s)
{
	return &s->iommu;
}

struct iom_host *iom_sc_system_host(struct iom_system *s)
{
	return s->host;
}
