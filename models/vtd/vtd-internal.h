/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vtd-internal.h - state shared by vtd.c (configuration, registers,
 * translation), vtd_fault.c (fault recording), vtd_qi.c (invalidation
 * queue) and vtd_stats.c.  Not a public interface.
 */
#ifndef IOM_MODELS_VTD_INTERNAL_H
#define IOM_MODELS_VTD_INTERNAL_H

#include "resource.h"
#include "vtd.h"

/* What produced a cached translation (IOTLB and paging-structure-cache
 * tags): second-level only (legacy, PGTT=010b), first-level only
 * (PGTT=001b) or nested (PGTT=011b).  Second-level-only entries carry
 * PASID 0: the second level is shared by every PASID of a domain. */
enum vtd_kind { VTD_KIND_SL = 0, VTD_KIND_FL = 1, VTD_KIND_NESTED = 2 };

/* IOTLB / PSC tag: DID [15:0], PASID [35:16], size index [37:36] (IOTLB),
 * kind [39:38]. */
#define VTD_TAG_PASID_SHIFT 16
#define VTD_TAG_SIZE_SHIFT  36
#define VTD_TAG_KIND_SHIFT  38
static inline uint64_t vtd_tag(uint32_t did, uint32_t pasid, uint32_t size_idx, uint32_t kind)
{
	return (uint64_t)(did & 0xffff) | ((uint64_t)(pasid & 0xfffff) << VTD_TAG_PASID_SHIFT) |
	       ((uint64_t)size_idx << VTD_TAG_SIZE_SHIFT) | ((uint64_t)kind << VTD_TAG_KIND_SHIFT);
}
static inline uint32_t vtd_tag_did(uint64_t tag)
{
	return (uint32_t)(tag & 0xffff);
}
static inline uint32_t vtd_tag_pasid(uint64_t tag)
{
	return (uint32_t)((tag >> VTD_TAG_PASID_SHIFT) & 0xfffff);
}
static inline uint32_t vtd_tag_size(uint64_t tag)
{
	return (uint32_t)((tag >> VTD_TAG_SIZE_SHIFT) & 3);
}
static inline uint32_t vtd_tag_kind(uint64_t tag)
{
	return (uint32_t)((tag >> VTD_TAG_KIND_SHIFT) & 3);
}

#define VTD_TLB_NSIZES 3 /* 4 KB, 2 MB, 1 GB */
#define VTD_PSC_LEVELS 4 /* PML5E, PML4E, PDPTE, PDE (walk levels 0..3) */
#define VTD_LAST_LEVEL 4 /* PT */

struct vtd_tlb_entry {
	uint64_t pa_base;
	uint64_t page_size;
	uint32_t perms; /* IOM_PTE_* after the table-level restrictions */
	uint8_t dirty;  /* a write may use it without a walk (D set, or no A/D tracking) */
};

struct vtd_psc_entry {
	uint64_t table_pa; /* next-level table (a host PA, also for nested walks) */
	uint32_t deny;     /* IOM_PTE_* removed by the entries above and including this one */
};

/* Cached context entry (legacy: w[0..1]; scalable: w[0..3]). */
struct vtd_ctx_entry {
	uint64_t w[4];
};

struct iom_vtd {
	struct iom_vtd_cfg cfg;
	char name[32];
	struct iom_mem *mem;
	uint64_t period_ps;
	uint64_t cap, ecap;
	int req_cfg, req_walk, req_queue;
	struct iom_cache *cc, *pc, *iotlb, *psc[VTD_PSC_LEVELS];
	struct iom_resource walk_slots;
	uint64_t fl_fills; /* first-level / nested IOTLB or PSC fills so far (0: no scan needed) */
	/* registers */
	uint32_t gsts, fsts, fectl, ics;
	uint64_t rtaddr;     /* as written */
	uint64_t rta_active; /* latched by SRTP: root table address */
	uint32_t ttm_active; /* latched TTM */
	uint64_t iqa, iqh, iqt, iqercd;
	uint64_t *frcd;     /* 2 * NFR words: lo, hi of each fault-recording register */
	uint32_t frcd_next; /* where hardware records the next fault */
	/* invalidation engine */
	uint64_t qi_busy_until_ps; /* the engine fetches and executes in order */
	uint64_t qi_pending_ps;    /* latest completion of a descriptor issued so far */
	uint64_t last_wait_ps;
	struct iom_vtd_devtlb_ops devtlb;
	bool ite_pending;          /* a device-TLB invalidation timed out since the last wait */
	uint32_t ite_sid;          /* its source-id (IQERCD.ITESID) */
	void (*fault_fn)(void *ctx);
	void *fault_ctx;
	struct iom_vtd_stats st;
};

/* vtd.c */
unsigned vtd_level_shift(unsigned level);
unsigned vtd_size_shift(uint32_t size_idx);
/* vtd_fault.c: record one fault in the fault-recording registers (7.2.1). */
void vtd_fault_record(struct iom_vtd *v, const struct iom_txn *t, uint32_t reason, bool pasid_valid,
                      uint32_t pasid);
/* vtd_xlat.c: the translation pipeline for t, with `ats` the ATS Translation Request it
 * serves (t->at = IOM_TXN_AT_TREQ) or NULL. */
int vtd_translate_req(struct iom_vtd *v, struct iom_txn *t, struct iom_ats_req *ats,
                      struct iom_err *err);
/* vtd_ats.c: a Translation Request ended with fault `reason` (status: IOM_TXN_ABORT for a
 * configuration fault): its completion in r; returns whether the fault is recorded. */
bool vtd_ats_outcome(struct iom_vtd *v, struct iom_ats_req *r, uint32_t reason, uint8_t status);
/* A Translation Request translated by an entry of perms (IOM_PTE_*) and page_size at pa:
 * the completion in r. kind: enum vtd_kind; slee / wpe of the PASID entry. */
void vtd_ats_grant(struct iom_vtd *v, struct iom_ats_req *r, const struct iom_txn *t,
                   uint32_t kind, bool slee, bool wpe, uint32_t perms, uint64_t page_size,
                   uint64_t pa_base);
/* Pass-through (TT = 10b / PGTT = 100b): the identity completion of r. */
void vtd_ats_identity(struct iom_vtd *v, struct iom_ats_req *r);

/* vtd_qi.c: drop the cached translations and paging-structure entries of
 * (kinds, did, pasid) within [addr, addr + 2^am pages); am < 0: all
 * addresses; ih: keep the paging-structure caches. */
void vtd_inval_translations(struct iom_vtd *v, uint32_t kinds, uint32_t did, bool by_pasid,
                            uint32_t pasid, uint64_t addr, int am, bool ih);

#endif
