/* SPDX-License-Identifier: Apache-2.0 */
/*
 * system.c - one simulated machine built from the configuration.
 *
 * Build order follows the data path: memory, the table/queue pool, the
 * IOMMU model and its driver, the host software on top of the driver, and
 * devices on demand.  All parameters come from property tables bound to the
 * configuration; unknown keys are rejected after every table has bound.
 */
#include "replay-int.h"

#include "config.h"
#include "dma_api.h"
#include "log.h"
#include "pcie_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const sys_iommu_names[] = {"smmuv3", "vtd", NULL};

static const struct iom_system_cfg sys_defaults = {
	.iommu = IOM_SYS_SMMUV3,
	.seed = 1,
};

static const struct iom_prop sys_props[] = {
	IOM_PROP_ENUM_(struct iom_system_cfg, iommu, sys_iommu_names,
		       "IOMMU model of the root complex (smmuv3: Arm SMMUv3; vtd: Intel VT-d, a "
		       "Broadwell DMAR unit by default)"),
	IOM_PROP_U64_(struct iom_system_cfg, seed, 0, UINT64_MAX, "",
		      "seed of every random choice in the run (LLC hits, random replacement)"),
};

static const struct iom_prop_table sys_table = {
	.section = "system",
	.doc = "The simulated machine",
	.props = sys_props,
	.nprops = IOM_ARRAY_SIZE(sys_props),
	.defaults = &sys_defaults,
	.struct_size = sizeof(struct iom_system_cfg),
};

const struct iom_prop_table *const *iom_system_prop_tables(size_t *n)
{
	static const struct iom_prop_table *tables[64];
	static size_t count;
	if (!count) {
		tables[count++] = &sys_table;
		tables[count++] = &iom_mem_prop_table;
		tables[count++] = &iom_host_prop_table;
		tables[count++] = &iom_host_sva_prop_table;
		tables[count++] = &iom_device_prop_table;
		tables[count++] = &iom_ats_prop_table;
		tables[count++] = &iom_atc_prop_table;
		tables[count++] = &iom_pri_dev_prop_table;
		size_t np;
		tables[count++] = iom_pcie_prop_tables(&np)[0]; /* pcie: kernel, enable_acs */
		tables[count++] = &iom_pcie_link_prop_table;
		tables[count++] = &iom_resv_prop_table; /* resv.devices/regions: docs/resv.md */
		tables[count++] = &iom_dma_api_prop_table; /* dma_api: docs/dma-api.md */
		tables[count++] = &iom_swiotlb_prop_table;
		tables[count++] = &iom_dirty_prop_table;
		tables[count++] = &iom_dirty_dev_prop_table;
		size_t ns;
		const struct iom_prop_table *const *st = iom_smmu_prop_tables(&ns);
		for (size_t i = 0; i < ns && count < IOM_ARRAY_SIZE(tables); i++)
			tables[count++] = st[i];
		st = iom_vtd_prop_tables(&ns);
		for (size_t i = 0; i < ns && count < IOM_ARRAY_SIZE(tables); i++)
			tables[count++] = st[i];
	}
	*n = count;
	return tables;
}

static int sys_build_smmu(struct iom_system *s, struct iom_config *cfg, struct iom_err *err)
{
	struct iom_smmu_cfg sc;
	int r = iom_smmu_cfg_bind(cfg, &sc, err);
	if (r)
		return r;
	/* system.seed reaches every seeded model (random replacement). */
	sc.tlb.seed ^= s->cfg.seed;
	sc.walk_cache.seed ^= s->cfg.seed;
	sc.config_cache.seed ^= s->cfg.seed;
	s->smmu = iom_smmu_create(&sc, s->mem, "smmu0", err);
	if (!s->smmu)
		return -err->code;
	s->smmu_drv = iom_smmu_drv_create(s->smmu, s->mem, s->tables, sc.sid_bits, 8, 8, err);
	if (!s->smmu_drv)
		return -err->code;
	iom_smmu_drv_as_iommu(s->smmu_drv, &s->iommu);
	s->host_smmu.drv = s->smmu_drv;
	s->host_smmu.cd_bits = s->host_cfg.cd_table_bits;
	s->host = iom_host_create(&s->host_cfg, s->mem, s->tables, &s->iommu, &iom_host_smmuv3_ops,
				  &s->host_smmu, err);
	return s->host ? 0 : -err->code;
}

/* The VT-d unit "dmar0" (Linux's name), its driver and the host on top. */
static int sys_build_vtd(struct iom_system *s, struct iom_err *err)
{
	struct iom_vtd_cfg *vc = &s->vtd_cfg;
	struct iom_cache_cfg *caches[] = { &vc->context_cache, &vc->pasid_cache, &vc->iotlb,
					   &vc->psc[0], &vc->psc[1], &vc->psc[2], &vc->psc[3] };
	for (size_t i = 0; i < IOM_ARRAY_SIZE(caches); i++)
		caches[i]->seed ^= s->cfg.seed;
	struct iom_vtd *v = iom_vtd_create(vc, s->mem, "dmar0", err);
	if (!v)
		return -err->code;
	s->vtd_drv = iom_vtd_drv_create(v, s->mem, s->tables, &s->vtd_drv_cfg, err);
	if (!s->vtd_drv) {
		iom_vtd_destroy(v);
		return -err->code;
	}
	iom_vtd_drv_as_iommu(s->vtd_drv, &s->iommu);
	s->host = iom_host_create(&s->host_cfg, s->mem, s->tables, &s->iommu, &iom_host_vtd_ops,
				  s->vtd_drv, err);
	return s->host ? 0 : -err->code;
}

/* PRI: the IOMMU's page request queue (its memory is taken when first used,
 * host_pri.c) and the root complex's port onto the host's handler. */
static int sys_pri_setup_smmu(void *ctx, uint32_t log2, struct iom_err *err)
{
	struct iom_system *s = ctx;
	return iom_smmu_drv_priq_setup(s->smmu_drv, s->priq, log2, err);
}

static int sys_pri_setup_vtd(void *ctx, uint32_t log2, struct iom_err *err)
{
	struct iom_system *s = ctx;
	return iom_vtd_drv_prq_setup(s->vtd_drv, s->prq, log2, err);
}

static int sys_build_pri(struct iom_system *s, struct iom_err *err)
{
	struct iom_prq q;
	if (s->smmu) {
		if (!(s->priq = iom_smmu_priq_create(s->smmu, s->mem, err)))
			return -err->code;
		iom_smmu_priq_as_prq(s->priq, &q);
		iom_host_pri_set_queue(s->host, &q, sys_pri_setup_smmu, s);
	} else if (s->vtd_cfg.prs) {
		if (!(s->prq = iom_vtd_prq_create(iom_vtd_drv_vtd(s->vtd_drv), s->mem, err)))
			return -err->code;
		iom_vtd_prq_as_prq(s->prq, &q);
		iom_host_pri_set_queue(s->host, &q, sys_pri_setup_vtd, s);
	}
	iom_host_pri_port(s->host, &s->pri_port);
	return 0;
}

/* The function's PRI (device.pri.enable), behind its ATC. */
static int sys_pri_fn(struct iom_system *s, struct iom_atc *a, uint32_t rid, struct iom_err *err)
{
	char name[32];
	struct iom_pri_fn *f = calloc(1, sizeof(*f));
	if (!f)
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	int r = iom_pri_fn_init(f, &s->pri_cfg, rid, &s->pri_port, err);
	if (!r && iom_u64map_put(&s->pri_fns, rid, (uint64_t)(uintptr_t)f))
		r = iom_err_set(err, IOM_ENOMEM, "out of memory");
	if (r) {
		iom_pri_fn_fini(f);
		free(f);
		return r;
	}
	snprintf(name, sizeof(name), "dev.%02x:%02x.%x", (rid >> 8) & 0xff, (rid >> 3) & 0x1f, rid & 7);
	iom_atc_set_pri(a, f);
	return iom_pri_fn_register_stats(f, s->stats, name, err);
}

struct iom_system *iom_system_build(struct iom_config *cfg, struct iom_err *err)
{
	struct iom_system *s = calloc(1, sizeof(*s));
	if (!s) {
		iom_err_set(err, IOM_ENOMEM, "out of memory");
		return NULL;
	}
	iom_u64map_init(&s->devices);
	iom_u64map_init(&s->pri_fns);
	int r = iom_config_bind(cfg, &sys_table, NULL, &s->cfg, err);
	if (!r)
		r = iom_config_bind(cfg, &iom_mem_prop_table, NULL, &s->mem_cfg, err);
	if (!r)
		r = iom_config_bind(cfg, &iom_host_prop_table, NULL, &s->host_cfg, err);
	if (!r)
		r = iom_config_bind(cfg, &iom_host_sva_prop_table, NULL, &s->host_cfg.sva, err);
	if (!r)
		r = iom_config_bind(cfg, &iom_device_prop_table, NULL, &s->dev_cfg, err);
	if (!r)
		r = iom_ats_cfg_bind(cfg, &s->ats_cfg, &s->atc_cfg, err);
	if (!r)
		r = iom_config_bind(cfg, &iom_pri_dev_prop_table, NULL, &s->pri_cfg, err);
	if (r)
		goto fail;
	/* Both IOMMUs' sections are bound (validated, echoed) whichever is built. */
	if (!r)
		r = iom_vtd_cfg_bind(cfg, &s->vtd_cfg, err);
	if (!r)
		r = iom_vtd_drv_cfg_bind(cfg, &s->vtd_drv_cfg, err);
	if (!r) { /* bound (validated, echoed) with or without a topology */
		size_t np;
		struct iom_pcie_cfg pc;
		r = iom_config_bind(cfg, iom_pcie_prop_tables(&np)[0], NULL, &pc, err);
	}
	if (!r)
		r = iom_pcie_link_cfg_bind(cfg, NULL, &s->link_cfg, err);
	if (!r) { /* the PCIe topology, if the configuration has one (docs/pcie.md) */
		struct iom_pcie_topo *topo = NULL;
		r = iom_pcie_topo_from_config(cfg, NULL, &topo, err);
		if (!r && topo && !(s->pcie = iom_pcie_checker_create(topo, err))) {
			iom_pcie_topo_destroy(topo);
			r = -err->code;
		}
		if (!r && s->pcie && !(s->fabric = iom_pcie_fabric_create(s->pcie->t, &s->link_cfg,
									    err)))
			r = -err->code;
	}
	if (r)
		goto fail;
	s->mem_cfg.seed ^= s->cfg.seed;
	s->mem = iom_mem_create(&s->mem_cfg, err);
	if (!s->mem) {
		r = -err->code;
		goto fail;
	}
	s->tables = iom_palloc_create(s->mem, s->host_cfg.table_pool_base,
				      s->host_cfg.table_pool_size, err);
	if (!s->tables) {
		r = -err->code;
		goto fail;
	}
	if (s->cfg.iommu == IOM_SYS_VTD) {
		struct iom_smmu_cfg unused;
		r = iom_smmu_cfg_bind(cfg, &unused, err);
		if (!r)
			r = sys_build_vtd(s, err);
	} else {
		r = sys_build_smmu(s, cfg, err);
	}
	if (!r)
		r = sys_build_pri(s, err);
	if (!r && s->ats_cfg.enable) { /* ATS: the root complex's port into the IOMMU driver */
		s->atc_cfg.seed ^= s->cfg.seed;
		s->ats = iom_ats_rc_create(&s->ats_cfg, &s->atc_cfg, &s->iommu, err);
		if (!s->ats)
			r = -err->code;
		else if (s->iommu.ops->set_ats_port)
			s->iommu.ops->set_ats_port(s->iommu.self, iom_ats_rc_port(s->ats));
	}
	if (!r) /* region sources, device limits (replay_resv.c) */
		r = iom_replay_resv_build(s, cfg, err);
	if (!r) /* the DMA API of dmamap/dmaunmap records (replay_dmaapi.c) */
		r = iom_sys_dmaapi_build(s, cfg, err);
	if (!r)
		r = iom_sys_dirty_build(s, cfg, err);
	if (!r)
		r = iom_config_check_unused(cfg, err);
	if (r)
		goto fail;
	s->stats = iom_stats_create();
	if (!s->stats) {
		r = iom_err_set(err, IOM_ENOMEM, "out of memory");
		goto fail;
	}
	r = iom_replay_register_stats(s, err);
	if (!r)
		r = s->iommu.ops->register_stats(s->iommu.self, s->stats, s->iommu.name, err);
	if (!r)
		r = iom_host_register_stats(s->host, s->stats, err);
	if (!r && s->pcie)
		r = iom_pcie_checker_register_stats(s->pcie, s->stats, err);
	if (!r && s->fabric)
		r = iom_pcie_fabric_register_stats(s->fabric, s->stats, err);
	if (!r && s->ats)
		r = iom_ats_rc_register_stats(s->ats, s->stats, err);
	if (!r && s->priq)
		r = iom_smmu_priq_register_stats(s->priq, s->stats, s->iommu.name, err);
	if (!r && s->prq)
		r = iom_vtd_prq_register_stats(s->prq, s->stats, s->iommu.name, err);
	if (!r && s->resv)
		r = iom_replay_resv_register_stats(s, err);
	if (!r)
		r = iom_sys_dmaapi_register_stats(s, err);
	if (!r && s->dirty)
		r = iom_sys_dirty_register_stats(s, err);
	if (r)
		goto fail;
	return s;
fail:
	iom_system_destroy(s);
	return NULL;
}

struct iom_device *iom_system_device(struct iom_system *s, uint32_t rid, struct iom_err *err)
{
	uint64_t v;
	if (s->last_dev && s->last_rid == rid)
		return s->last_dev;
	if (iom_u64map_get(&s->devices, rid, &v)) {
		s->last_rid = rid;
		return s->last_dev = (struct iom_device *)(uintptr_t)v;
	}
	struct iom_device *d = calloc(1, sizeof(*d));
	if (!d) {
		iom_err_set(err, IOM_ENOMEM, "out of memory");
		return NULL;
	}
	struct iom_device_cfg dc = s->dev_cfg;
	uint32_t fn = IOM_PCIE_NONE;
	if (s->fabric) { /* its link decides MPS and MRRS (docs/pcie.md) */
		fn = iom_pcie_find_rid(s->pcie->t, (uint16_t)(rid >> 16), (uint16_t)rid);
		iom_pcie_fabric_dev_limits(s->fabric, fn, &dc.max_payload, &dc.max_read_req);
	}
	int r = iom_device_init(d, &dc, rid, &s->iommu, s->mem, err);
	if (!r && s->fabric)
		iom_device_set_fabric(d, &iom_replay_fabric_ops, s->fabric);
	if (!r && s->ats) { /* the function's ATC (created when the host enabled ATS) */
		struct iom_atc *a = iom_ats_rc_function(s->ats, rid, err);
		if (a)
			iom_device_set_atc(d, a);
		else
			r = -err->code;
		if (!r && s->pri_cfg.enable)
			r = sys_pri_fn(s, a, rid, err);
	}
	if (!r)
		r = iom_u64map_put(&s->devices, rid, (uint64_t)(uintptr_t)d);
	if (!r)
		r = iom_device_register_stats(d, s->stats, err);
	if (r) {
		iom_device_fini(d);
		free(d);
		return NULL;
	}
	return d;
}

void iom_system_destroy(struct iom_system *s)
{
	if (!s)
		return;
	uint64_t k, v;
	for (size_t it = 0; iom_u64map_next(&s->devices, &it, &k, &v);) {
		iom_device_fini((struct iom_device *)(uintptr_t)v);
		free((void *)(uintptr_t)v);
	}
	iom_u64map_fini(&s->devices);
	iom_replay_resv_destroy(s);
	iom_sys_dmaapi_destroy(s); /* before the host: it unhooks the flush queue */
	iom_sys_dirty_destroy(s);
	iom_pcie_fabric_destroy(s->fabric);
	iom_pcie_checker_destroy(s->pcie);
	iom_host_destroy(s->host);
	if (s->iommu.ops)
		s->iommu.ops->destroy(s->iommu.self);
	iom_ats_rc_destroy(s->ats); /* after the IOMMU, which holds its port */
	iom_smmu_priq_destroy(s->priq);
	iom_vtd_prq_destroy(s->prq);
	for (size_t it = 0; iom_u64map_next(&s->pri_fns, &it, &k, &v);) {
		iom_pri_fn_fini((struct iom_pri_fn *)(uintptr_t)v);
		free((void *)(uintptr_t)v);
	}
	iom_u64map_fini(&s->pri_fns);
	iom_palloc_destroy(s->tables);
	iom_mem_destroy(s->mem);
	iom_stats_snap_free(s->roi_start);
	iom_stats_snap_free(s->roi_end);
	iom_stats_destroy(s->stats);
	free(s);
}

struct iom_stats *iom_system_stats(struct iom_system *s)
{
	return s->stats;
}
