/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smmuv3_stats.c - registration of the SMMUv3 model's counters, histograms
 * and caches with the stats registry (names "<prefix>.<counter>").
 * The model only increments plain fields of struct iom_smmu_stats; this
 * file gives them names, units and descriptions. No timing here.
 */
#include "smmuv3-internal.h"
#include "smmuv3-regs.h"

#include <stdio.h>

struct smmu_ctr {
	const char *name, *unit, *desc;
	size_t off;
};

#define SMMU_CTR(f, u, d) { #f, u, d, offsetof(struct iom_smmu_stats, f) }
static const struct smmu_ctr smmu_ctrs[] = {
	SMMU_CTR(translations, "txns", "transactions presented"),
	SMMU_CTR(bypassed, "txns", "transactions bypassed (STE, S1DSS or SMMUEN=0)"),
	SMMU_CTR(aborted, "txns", "transactions aborted without an event (STE abort, GBPA)"),
	SMMU_CTR(tlb_hits, "txns", "translations served by the TLB"),
	SMMU_CTR(walks, "walks", "stage-1 table walks (nested ones included)"),
	SMMU_CTR(walk_reads, "reads", "descriptor reads by walks of both stages"),
	SMMU_CTR(s2_walks, "walks",
		 "stage-2 table walks (stage-2-only, and nested CD / table / output IPAs)"),
	SMMU_CTR(s2_walk_reads, "reads", "descriptor reads by stage-2 walks (part of walk_reads)"),
	SMMU_CTR(cfg_reads, "reads", "STE/CD fetches from memory"),
	SMMU_CTR(l1_desc_reads, "reads", "L1STD/L1CD fetches of 2-level tables (part of cfg_reads)"),
	SMMU_CTR(faults, "txns", "transactions terminated with an event ID"),
	SMMU_CTR(faults_s2, "txns", "faults at stage 2 (event S2 = 1)"),
	SMMU_CTR(httu_af_updates, "descs", "descriptors whose access flag the SMMU set (HA, S2HA)"),
	SMMU_CTR(httu_dirty_updates, "descs",
		 "descriptors the SMMU made writable-dirty (HD, S2HD)"),
	SMMU_CTR(httu_rmws, "rmws", "timed read-modify-writes of the HTTU updates"),
	SMMU_CTR(httu_rewalks, "txns",
		 "writes that hit a writable-clean TLB / IPA-cache entry and walked again"),
	SMMU_CTR(utlb_hits, "txns", "translations served by a micro-TLB"),
	SMMU_CTR(utlb_misses, "txns", "micro-TLB lookups that missed"),
	SMMU_CTR(utlb_flushes, "flushes", "times every micro-TLB was emptied (TLBI, CFGI)"),
	SMMU_CTR(commands, "cmds", "commands executed"),
	SMMU_CTR(cmd_illegal, "cmds", "illegal commands (CERROR_ILL)"),
	SMMU_CTR(syncs, "cmds", "CMD_SYNC executed"),
	SMMU_CTR(cmd_ignored, "cmds", "ATC_INV / PRI_RESP IGNORED because SMMUEN = 0"),
	SMMU_CTR(sync_msi_writes, "writes", "CMD_SYNC completion MSI writes (CS=IRQ, IDR0.MSI)"),
	SMMU_CTR(sync_irqs, "irqs", "CMD_SYNC completion wired interrupts (CS=IRQ, no MSI)"),
	SMMU_CTR(sync_sevs, "events", "CMD_SYNC completion WFE wake-up events (CS=SEV)"),
	SMMU_CTR(range_tlbis, "cmds", "TLB invalidations with a range (TG != 0)"),
	SMMU_CTR(inval_steps, "steps", "cache sets / range probes visited by invalidations beyond the first"),
	SMMU_CTR(tlbi_dropped, "entries", "TLB entries dropped by invalidation commands"),
	SMMU_CTR(walk_cache_dropped, "entries", "walk-cache entries dropped by commands"),
	SMMU_CTR(cfg_dropped, "entries", "config-cache entries dropped by commands"),
	SMMU_CTR(events_written, "records", "event records written to the event queue"),
	SMMU_CTR(evtq_overflow, "records", "event records lost to a full event queue"),
	SMMU_CTR(events_disabled, "records", "event records dropped with EVTQEN=0"),
	SMMU_CTR(ats_tr, "requests", "ATS Translation Requests"),
	SMMU_CTR(ats_tr_ur, "requests", "Translation Requests answered Unsupported Request"),
	SMMU_CTR(ats_tr_ca, "requests", "Translation Requests answered Completer Abort"),
	SMMU_CTR(ats_tr_noaccess, "requests",
		 "Translation Requests answered Success with R = W = 0 (faults, no permission)"),
	SMMU_CTR(ats_translated, "txns", "ATS Translated transactions passed through"),
	SMMU_CTR(ats_translated_aborted, "txns", "ATS Translated transactions aborted"),
	SMMU_CTR(atc_sync_errors, "cmds", "CMD_SYNCs stopped by an ATC invalidation timeout "
		 "(CERROR_ATC_INV_SYNC)"),
};

static const struct { uint32_t op; const char *name; } smmu_cmd_names[] = {
	{ SMMU_CMD_PREFETCH_CONFIG, "PREFETCH_CONFIG" }, { SMMU_CMD_PREFETCH_ADDR, "PREFETCH_ADDR" },
	{ SMMU_CMD_CFGI_STE, "CFGI_STE" }, { SMMU_CMD_CFGI_STE_RANGE, "CFGI_STE_RANGE" },
	{ SMMU_CMD_CFGI_CD, "CFGI_CD" }, { SMMU_CMD_CFGI_CD_ALL, "CFGI_CD_ALL" },
	{ SMMU_CMD_TLBI_NH_ALL, "TLBI_NH_ALL" }, { SMMU_CMD_TLBI_NH_ASID, "TLBI_NH_ASID" },
	{ SMMU_CMD_TLBI_NH_VA, "TLBI_NH_VA" }, { SMMU_CMD_TLBI_NH_VAA, "TLBI_NH_VAA" },
	{ SMMU_CMD_TLBI_EL2_ALL, "TLBI_EL2_ALL" }, { SMMU_CMD_TLBI_EL2_ASID, "TLBI_EL2_ASID" },
	{ SMMU_CMD_TLBI_EL2_VA, "TLBI_EL2_VA" }, { SMMU_CMD_TLBI_EL2_VAA, "TLBI_EL2_VAA" },
	{ SMMU_CMD_TLBI_S12_VMALL, "TLBI_S12_VMALL" }, { SMMU_CMD_TLBI_S2_IPA, "TLBI_S2_IPA" },
	{ SMMU_CMD_TLBI_NSNH_ALL, "TLBI_NSNH_ALL" }, { SMMU_CMD_ATC_INV, "ATC_INV" },
	{ SMMU_CMD_PRI_RESP, "PRI_RESP" }, { SMMU_CMD_SYNC, "SYNC" },
};

static int smmu_reg(struct iom_stats *st, const char *prefix, const char *name, const char *unit,
		    const char *desc, const uint64_t *v, struct iom_err *err)
{
	char n[160];
	snprintf(n, sizeof(n), "%s.%s", prefix, name);
	return iom_stats_counter(st, n, unit, desc, v, err);
}

static int smmu_reg_counters(struct iom_smmu *s, struct iom_stats *st, const char *prefix,
			     struct iom_err *err)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < IOM_ARRAY_SIZE(smmu_ctrs); i++)
		rc = smmu_reg(st, prefix, smmu_ctrs[i].name, smmu_ctrs[i].unit, smmu_ctrs[i].desc,
			      (const uint64_t *)((const char *)&s->st + smmu_ctrs[i].off), err);
	for (unsigned l = 0; !rc && l < 4; l++) {
		char n[32];
		snprintf(n, sizeof(n), "walk_reads_l%u", l);
		rc = smmu_reg(st, prefix, n, "reads", "descriptor reads at this level",
			      &s->st.walk_reads_level[l], err);
	}
	for (uint32_t id = 0; !rc && id < 256; id++) {
		char n[48];
		if (!iom_smmu_event_name(id))
			continue;
		snprintf(n, sizeof(n), "fault.%s", iom_smmu_event_name(id));
		rc = smmu_reg(st, prefix, n, "txns", "transactions terminated with this event",
			      &s->st.fault_by_id[id], err);
	}
	for (size_t i = 0; !rc && i < IOM_ARRAY_SIZE(smmu_cmd_names); i++) {
		char n[48];
		snprintf(n, sizeof(n), "cmd.%s", smmu_cmd_names[i].name);
		rc = smmu_reg(st, prefix, n, "cmds", "commands of this opcode executed",
			      &s->st.cmd_by_op[smmu_cmd_names[i].op], err);
	}
	if (!rc)
		rc = smmu_reg(st, prefix, "walk_slot_wait_ps", "ps", "time walks waited for a slot",
			      &s->walk_slots.wait_ps, err);
	return rc;
}

static int smmu_reg_hists(struct iom_smmu *s, struct iom_stats *st, const char *prefix,
			  struct iom_err *err)
{
	char n[160];
	int rc;
	snprintf(n, sizeof(n), "%s.hit_latency_ps", prefix);
	rc = iom_stats_histogram(st, n, "ps", "translation latency, TLB hit", &s->st.hit_latency_ps,
				 err);
	snprintf(n, sizeof(n), "%s.miss_latency_ps", prefix);
	if (!rc)
		rc = iom_stats_histogram(st, n, "ps", "translation latency, TLB miss (walk)",
					 &s->st.miss_latency_ps, err);
	snprintf(n, sizeof(n), "%s.walk_latency_ps", prefix);
	if (!rc)
		rc = iom_stats_histogram(st, n, "ps", "table-walk latency (slot held)",
					 &s->st.walk_latency_ps, err);
	snprintf(n, sizeof(n), "%s.sync_latency_ps", prefix);
	if (!rc)
		rc = iom_stats_histogram(st, n, "ps",
					 "invalidation latency: doorbell to CMD_SYNC completion",
					 &s->st.sync_latency_ps, err);
	return rc;
}

int iom_smmu_register_stats(struct iom_smmu *s, struct iom_stats *st, const char *prefix,
			    struct iom_err *err)
{
	char n[160];
	int rc = smmu_reg_counters(s, st, prefix, err);
	if (!rc)
		rc = smmu_reg_hists(s, st, prefix, err);
	const struct { const char *name; struct iom_cache *c; } caches[] = {
		{ "tlb", s->tlb.c }, { "walk_cache", s->wc }, { "s2_walk_cache", s->s2wc },
		{ "ipa_cache", s->ipac.c }, { "config_cache", s->cfgc },
	};
	for (size_t i = 0; !rc && i < IOM_ARRAY_SIZE(caches); i++) {
		snprintf(n, sizeof(n), "%s.%s", prefix, caches[i].name);
		rc = iom_cache_register_stats(caches[i].c, st, n, err);
	}
	return rc;
}
