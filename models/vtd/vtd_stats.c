/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vtd_stats.c - registration of the VT-d model's counters, histograms and
 * caches with the stats registry (names "<prefix>.<counter>").  The model
 * only increments plain fields of struct iom_vtd_stats; this file gives
 * them names, units and descriptions.  Names shared with the SMMUv3 model
 * (translations, bypassed, walks, walk_reads, cfg_reads, commands, syncs,
 * tlbi_dropped, hit/miss latency) mean the same thing, so the replay
 * summary reads both.
 */
#include "vtd-internal.h"
#include "vtd-regs.h"

#include <stdio.h>

struct vtd_ctr {
	const char *name, *unit, *desc;
	size_t off;
};

#define VTD_CTR(n, f, u, d)                                                                        \
	{                                                                                          \
		n, u, d, offsetof(struct iom_vtd_stats, f)                                         \
	}
static const struct vtd_ctr vtd_ctrs[] = {
    VTD_CTR("translations", translations, "txns", "requests presented"),
    VTD_CTR("bypassed", bypassed, "txns",
            "requests passed untranslated with translation disabled (GSTS.TES = 0)"),
    VTD_CTR("passthrough", passthrough, "txns", "requests translated 1:1 (TT = 10b / PGTT = 100b)"),
    VTD_CTR("blocked", blocked, "txns", "requests blocked in abort-DMA mode (TTM = 11b)"),
    VTD_CTR("tlb_hits", iotlb_hits, "txns", "translations served by the IOTLB"),
    VTD_CTR("walks", walks, "walks", "page walks (a nested walk counts once)"),
    VTD_CTR("walk_reads", walk_reads, "reads",
            "paging-entry reads of walks (nested second-level reads included)"),
    VTD_CTR("nested_sl_reads", nested_sl_reads, "reads",
            "second-level reads made for nested walks (part of walk_reads)"),
    VTD_CTR("cfg_reads", cfg_reads, "reads",
            "root, context, PASID-directory and PASID-table entry reads"),
    VTD_CTR("root_reads", root_reads, "reads", "root-entry reads"),
    VTD_CTR("ctx_reads", ctx_reads, "reads", "context-entry reads"),
    VTD_CTR("pasid_dir_reads", pasid_dir_reads, "reads", "PASID-directory entry reads"),
    VTD_CTR("pasid_entry_reads", pasid_entry_reads, "reads", "PASID-table entry reads"),
    VTD_CTR("a_updates", a_updates, "updates", "accessed bits set by hardware"),
    VTD_CTR("d_updates", d_updates, "updates", "dirty bits set by hardware"),
    VTD_CTR("ad_rmws", ad_rmws, "rmws", "atomic read-modify-writes of A/D updates"),
    VTD_CTR("faults", faults, "txns", "requests that faulted (any reason)"),
    VTD_CTR("faults_recorded", faults_recorded, "faults",
            "faults written to a fault-recording register"),
    VTD_CTR("faults_overflow", faults_overflow, "faults",
            "faults lost to a full register set or FSTS.PFO"),
    VTD_CTR("faults_fpd", faults_fpd, "faults", "faults not recorded because of FPD = 1"),
    VTD_CTR("commands", descriptors, "dscs", "invalidation descriptors executed"),
    VTD_CTR("syncs", waits, "dscs", "invalidation-wait descriptors executed"),
    VTD_CTR("qi_errors", qi_errors, "errors", "invalidation-queue errors (FSTS.IQE)"),
    VTD_CTR("qi_fetch_reads", qi_fetch_reads, "reads", "descriptor fetches"),
    VTD_CTR("status_writes", status_writes, "writes", "wait-descriptor status writes"),
    VTD_CTR("iec_ignored", iec_ignored, "dscs",
            "interrupt-entry-cache descriptors accepted (not modelled)"),
    VTD_CTR("devtlb_invalidations", devtlb_invalidations, "dscs",
            "device-TLB invalidations sent to endpoints"),
    VTD_CTR("devtlb_timeouts", devtlb_timeouts, "dscs",
            "device-TLB invalidations that timed out (FSTS.ITE)"),
    VTD_CTR("waits_aborted", waits_aborted, "dscs", "wait descriptors aborted by an ITE"),
    VTD_CTR("ats_tr", ats_tr, "requests", "ATS Translation Requests"),
    VTD_CTR("ats_tr_ur", ats_tr_ur, "requests", "Translation Requests answered Unsupported Request"),
    VTD_CTR("ats_tr_ca", ats_tr_ca, "requests", "Translation Requests answered Completer Abort"),
    VTD_CTR("ats_tr_noaccess", ats_tr_noaccess, "requests",
            "Translation Requests answered Success with R = W = 0"),
    VTD_CTR("ats_translated", ats_translated, "txns",
            "ATS Translated requests passed (TT = 01b / DTE = 1)"),
    VTD_CTR("tlbi_dropped", iotlb_dropped, "entries", "IOTLB entries dropped by invalidations"),
    VTD_CTR("psc_dropped", psc_dropped, "entries",
            "paging-structure-cache entries dropped by invalidations"),
    VTD_CTR("cc_dropped", cc_dropped, "entries", "context-cache entries dropped by invalidations"),
    VTD_CTR("pc_dropped", pc_dropped, "entries", "PASID-cache entries dropped by invalidations"),
};

static const char *const vtd_level_names[5] = {"pml5", "pml4", "pdpt", "pd", "pt"};

static int vtd_reg(struct iom_stats *st, const char *prefix, const char *name, const char *unit,
                   const char *desc, const uint64_t *val, struct iom_err *err)
{
	char n[160];
	snprintf(n, sizeof(n), "%s.%s", prefix, name);
	return iom_stats_counter(st, n, unit, desc, val, err);
}

static int vtd_reg_counters(struct iom_vtd *v, struct iom_stats *st, const char *prefix,
                            struct iom_err *err)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < IOM_ARRAY_SIZE(vtd_ctrs); i++)
		rc = vtd_reg(st, prefix, vtd_ctrs[i].name, vtd_ctrs[i].unit, vtd_ctrs[i].desc,
		             (const uint64_t *)((const char *)&v->st + vtd_ctrs[i].off), err);
	for (unsigned l = 0; !rc && l < 5; l++) {
		char n[32];
		snprintf(n, sizeof(n), "walk_reads_%s", vtd_level_names[l]);
		rc = vtd_reg(st, prefix, n, "reads", "paging-entry reads at this level",
		             &v->st.walk_reads_level[l], err);
	}
	for (uint32_t r = 0; !rc && r < 256; r++) {
		char n[48];
		if (!iom_vtd_fault_name(r))
			continue;
		snprintf(n, sizeof(n), "fault.%s", iom_vtd_fault_name(r));
		rc = vtd_reg(st, prefix, n, "txns", "requests that faulted with this reason",
		             &v->st.fault_by_reason[r], err);
	}
	for (uint32_t ty = 0; !rc && ty < VTD_DSC_MAX_TYPE; ty++) {
		char n[48];
		if (!iom_vtd_dsc_name(ty))
			continue;
		snprintf(n, sizeof(n), "cmd.%s", iom_vtd_dsc_name(ty));
		rc = vtd_reg(st, prefix, n, "dscs", "descriptors of this type executed",
		             &v->st.dsc_by_type[ty], err);
	}
	if (!rc)
		rc = vtd_reg(st, prefix, "walk_slot_wait_ps", "ps", "time walks waited for a slot",
		             &v->walk_slots.wait_ps, err);
	return rc;
}

static int vtd_reg_hists(struct iom_vtd *v, struct iom_stats *st, const char *prefix,
                         struct iom_err *err)
{
	static const struct {
		const char *name, *desc;
		size_t off;
	} h[] = {
	    {"hit_latency_ps", "translation latency, IOTLB hit",
	     offsetof(struct iom_vtd_stats, hit_latency_ps)},
	    {"miss_latency_ps", "translation latency, IOTLB miss (walk)",
	     offsetof(struct iom_vtd_stats, miss_latency_ps)},
	    {"walk_latency_ps", "page-walk latency (slot held)",
	     offsetof(struct iom_vtd_stats, walk_latency_ps)},
	    {"sync_latency_ps", "invalidation latency: doorbell to wait-descriptor completion",
	     offsetof(struct iom_vtd_stats, wait_latency_ps)},
	};
	int rc = 0;
	for (size_t i = 0; !rc && i < IOM_ARRAY_SIZE(h); i++) {
		char n[160];
		snprintf(n, sizeof(n), "%s.%s", prefix, h[i].name);
		rc = iom_stats_histogram(st, n, "ps", h[i].desc,
		                         (struct iom_hist *)((char *)&v->st + h[i].off), err);
	}
	return rc;
}

int iom_vtd_register_stats(struct iom_vtd *v, struct iom_stats *st, const char *prefix,
                           struct iom_err *err)
{
	int rc = vtd_reg_counters(v, st, prefix, err);
	if (!rc)
		rc = vtd_reg_hists(v, st, prefix, err);
	struct {
		const char *name;
		struct iom_cache *c;
	} caches[] = {
	    {"iotlb", v->iotlb},        {"context_cache", v->cc},   {"pasid_cache", v->pc},
	    {"pml5e_cache", v->psc[0]}, {"pml4e_cache", v->psc[1]}, {"pdpte_cache", v->psc[2]},
	    {"pde_cache", v->psc[3]},
	};
	for (size_t i = 0; !rc && i < IOM_ARRAY_SIZE(caches); i++) {
		char n[160];
		snprintf(n, sizeof(n), "%s.%s", prefix, caches[i].name);
		rc = iom_cache_register_stats(caches[i].c, st, n, err);
	}
	return rc;
}
