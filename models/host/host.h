/* SPDX-License-Identifier: Apache-2.0 */
/*
 * host.h - the software under validation: the OS/VMM side of the IOMMU.
 *
 * Today: IOMMU domains (paging, identity, blocked) with their page tables
 * built through models/pgtable, attach/detach of a device (and of a PASID)
 * to a domain, map/unmap, and the IOTLB invalidation policies Linux uses
 * (host.invalidation), issued through the IOMMU's command queue in memory
 * (struct iom_iommu invalidate op):
 *  strict  every unmap invalidates what it unmapped, one command per leaf
 *          (granule = leaf size), and waits for the completion barrier;
 *  range   the same with range commands when the IOMMU has them (SMMUv3
 *          IDR3.RIL), per-leaf otherwise;
 *  lazy    the DMA-API flush queue (drivers/iommu/dma-iommu.c): unmaps are
 *          queued per domain and flushed with one whole-domain invalidation
 *          when the queue fills or its timer fires; a stale TLB entry may
 *          translate an unmapped IOVA meanwhile (counted).
 *
 * Paging domains use the granule host.granule (4/16/64 KB; maps are widened to
 * whole granule pages as dma-iommu does) and, with host.stage = nested, sit in
 * the IPA space of one VM whose stage-2 table maps IPA = PA (VMID 1). The
 * SMMUv3 table formats (host.strtab, host.cd_table) are fixed at creation
 * through the optional setup op.
 *
 * The host reaches an IOMMU only through what a driver would do: write
 * configuration structures into memory and issue commands.  The
 * model-specific part (which structures, which commands) sits behind
 * struct iom_host_drv_ops; host_smmuv3.c implements it for SMMUv3.
 *
 * Processes sharing their address space with devices (SVA: pmap / bind) and
 * the page-request handler (PRI) are in host_sva.h (host_sva.c, host_pri.c);
 * their PASIDs share this file's attachment table and ASID/DID allocator.
 *
 * Errors a kernel would return to the caller (mapping over a mapping,
 * unmapping a domain that does not exist, ...) are returned as -IOM_E*
 * with a message, and the replay counts the record as rejected with that
 * reason.
 */
#ifndef IOM_MODELS_HOST_H
#define IOM_MODELS_HOST_H

#include "host_sva.h"
#include "iom.h"
#include "iommu.h"
#include "pri.h"
#include "stats.h"

#ifdef __cplusplus
extern "C" {
#endif

struct iom_mem;
struct iom_palloc;
struct iom_pt;
struct iom_pt_cfg;
struct iom_prop_table;

enum iom_inval_policy { IOM_HOST_INVAL_STRICT = 0, IOM_HOST_INVAL_RANGE, IOM_HOST_INVAL_LAZY };
/* Translation granule of paging domains (io-pgtable-arm's choice of page
 * sizes follows: 4K: 4K/2M/1G; 16K: 16K/32M; 64K: 64K/512M). */
enum iom_host_granule { IOM_HOST_GRANULE_4K = 0, IOM_HOST_GRANULE_16K, IOM_HOST_GRANULE_64K };
/* nested: every paging domain is a stage-1 table in a VM's IPA space, over one
 * stage-2 table (the VM, one VMID) that maps IPA = PA with s2_page leaves, as
 * a VMM backs guest RAM; the SMMU walks both stages. */
enum iom_host_stage { IOM_HOST_STAGE_S1 = 0, IOM_HOST_STAGE_NESTED };
enum iom_host_s2_page { IOM_HOST_S2_4K = 0, IOM_HOST_S2_2M, IOM_HOST_S2_1G };

struct iom_host_cfg {
	uint32_t invalidation;   /* enum iom_inval_policy */
	uint32_t flush_batch;    /* lazy: flush-queue slots per domain (IOVA_DEFAULT_FQ_SIZE) */
	uint64_t flush_timeout_ns; /* lazy: flush timer (IOVA_DEFAULT_FQ_TIMEOUT) */
	uint32_t ia_bits;        /* IOVA width of paging domains (VMSA T0SZ = 64 - ia_bits) */
	uint32_t oa_bits;        /* output (physical) address width of the tables */
	uint32_t cd_table_bits;  /* log2 CDs per stream (S1CDMax); PASIDs must be below 2^this */
	uint32_t granule;        /* enum iom_host_granule: paging domains' translation granule */
	uint32_t strtab;         /* SMMUv3 stream table: enum iom_smmu_drv_tab (auto/linear/2lvl) */
	uint32_t cd_table;       /* SMMUv3 CD tables: enum iom_smmu_drv_tab */
	uint32_t stage;          /* enum iom_host_stage: paging domains stage 1 or nested */
	uint32_t s2_page;        /* enum iom_host_s2_page: the VM's stage-2 page size (nested) */
	uint64_t table_pool_base;/* physical memory reserved for tables and queues */
	uint64_t table_pool_size;
	struct iom_host_sva_cfg sva; /* section host.sva (its own property table) */
};
extern const struct iom_prop_table iom_host_prop_table; /* section "host" */

enum iom_host_dom_type { IOM_HOST_DOM_PAGING = 0, IOM_HOST_DOM_IDENTITY, IOM_HOST_DOM_BLOCKED };

struct iom_host_domain {
	uint32_t id;       /* the trace's domain number */
	uint32_t type;     /* enum iom_host_dom_type */
	uint32_t tag;      /* ASID (SMMUv3) / domain ID (VT-d) */
	uint32_t attached; /* (device, pasid) attachments */
	struct iom_pt *pt; /* paging domains */
	uint64_t pgsizes;  /* paging domains: page sizes map may use (pgsize_bitmap) */
	struct iom_pt *s2; /* nested paging domains: the VM's stage-2 table; else NULL */
	uint32_t vmid;     /* nested: the VM's VMID (invalidations carry it); else 0 */
	uint32_t flags;    /* IOM_HOST_DOM_F_* given at allocation */
	bool dirty_tracking; /* dirty tracking enabled (iom_host_set_dirty_tracking) */
};

/* Domain allocation flags (dirty.h, docs/dirty.md).
 * DIRTY: IOMMU_HWPT_ALLOC_DIRTY_TRACKING: the driver must be able to track
 *   dirty state in the domain (ops->dirty_domain), whose writable leaves are
 *   built to record it: SMMUv3 stage 1 writable-clean with DBM (Linux's
 *   IO_PGTABLE_QUIRK_ARM_HD; CD.HA/HD set); VT-d second level (A/D = 0);
 *   nested: the VM's stage-2 leaves the domain's maps add are writable-clean
 *   with DBM (STE.S2HA/S2HD), stage 1 unchanged.
 * DIRTY_FL: VT-d, with DIRTY: a first-level domain stays first level and its
 *   writable leaves are built with D = 0 (Linux presets D: it cannot). */
#define IOM_HOST_DOM_F_DIRTY 0x1u
#define IOM_HOST_DOM_F_DIRTY_FL 0x2u

/* SVA (host_sva.c): the process address space a bind installs. */
struct iom_host_mm_ctx {
	uint32_t mm;             /* the trace's mm id */
	uint32_t tag;            /* ASID (SMMUv3) / DID (VT-d) of the mm's SVA domain */
	bool cpu_asid;           /* SMMUv3: tag is the CPU's ASID (CD.ASET = 0) */
	const struct iom_pt *pt; /* the CPU page table (its root is the pgd) */
};

/* What differs between IOMMU drivers. */
struct iom_host_drv_ops {
	/* Point (rid, pasid) at dom (pasid < 0: the device's default, no PASID).
	 * pasids_in_use: PASID attachments the requester has (before this call),
	 * whose configuration (the CD table) must survive. */
	int (*attach)(void *drv, uint32_t rid, int64_t pasid, const struct iom_host_domain *dom,
		      uint32_t pasids_in_use, uint64_t now_ps, uint64_t *done_ps,
		      struct iom_err *err);
	/* Remove (rid, pasid)'s attachment: DMA is blocked afterwards. */
	int (*detach)(void *drv, uint32_t rid, int64_t pasid, uint32_t pasids_in_use,
		      uint64_t now_ps, uint64_t *done_ps, struct iom_err *err);
	/* Have fn called after every translation the IOMMU performs (NULL:
	 * stop). Optional; the lazy policy uses it to count stale-window hits. */
	void (*observe)(void *drv, void (*fn)(void *ctx, const struct iom_txn *t), void *ctx);
	/* Table format of a new paging domain and the page sizes it may use.
	 * Optional: NULL = VMSAv8-64 stage 1 with host.granule (4K/2M/1G,
	 * 16K/32M or 64K/512M), host.ia_bits / host.oa_bits; when set, it gets
	 * that proposal and may change it. */
	void (*domain_format)(void *drv, struct iom_pt_cfg *pc, uint64_t *pgsizes);
	/* Dirty tracking (optional; NULL: the IOMMU has none, a DIRTY domain is
	 * refused with "EOPNOTSUPP").  dirty_domain checks the hardware and may
	 * change the proposed format of a DIRTY paging domain (flags:
	 * IOM_HOST_DOM_F_*; nested: the domain sits over the VM's stage 2).
	 * set_dirty_tracking is the driver's op for one attachment of dom (VT-d:
	 * SSADE of its PASID entry; NULL: nothing to do, as SMMUv3's DBM is
	 * always armed).  s2_invalidate drops the VM's cached stage-2 state after
	 * its dirty state was cleared (SMMUv3: TLBI_S12_VMALL + SYNC).
	 * cmds_issued: commands / descriptors the driver has written so far. */
	int (*dirty_domain)(void *drv, struct iom_pt_cfg *pc, uint64_t *pgsizes, uint32_t flags,
			    bool nested, struct iom_err *err);
	int (*set_dirty_tracking)(void *drv, uint32_t rid, int64_t pasid,
				  const struct iom_host_domain *dom, bool on, uint64_t now_ps,
				  uint64_t *done_ps, struct iom_err *err);
	int (*s2_invalidate)(void *drv, uint32_t vmid, uint64_t now_ps, uint64_t *done_ps,
			     struct iom_err *err);
	uint64_t (*cmds_issued)(void *drv);
	/* Boot-time choices from the host configuration (table formats).
	 * Optional; called once by iom_host_create(). */
	int (*setup)(void *drv, const struct iom_host_cfg *cfg, struct iom_err *err);
	/* Largest ASID/DID the hardware has (e.g. SMMU_IDR0.ASID16). Optional:
	 * NULL = max_tag. */
	uint32_t (*max_tag_of)(void *drv);
	/* SVA: point (rid, pasid) at the process address space mm (SMMUv3: an
	 * SVA CD; VT-d: a first-level PASID entry). Optional: NULL = SVA is
	 * refused. Unbind uses detach. */
	int (*bind_mm)(void *drv, uint32_t rid, uint32_t pasid, const struct iom_host_mm_ctx *mm,
		       uint32_t pasids_in_use, uint64_t now_ps, uint64_t *done_ps,
		       struct iom_err *err);
	/* SVA: the mmu-notifier invalidation of [va, va + size) of an SVA
	 * domain's tag (arch_invalidate_secondary_tlbs). */
	int (*mm_invalidate)(void *drv, uint32_t tag, uint64_t va, uint64_t size, uint64_t now_ps,
			     uint64_t *done_ps, struct iom_err *err);
	/* PRI (host_pri.c): the driver's side of the page request queue.
	 * Optional (NULL: no PRI). peek reads the entry `ahead` places after the
	 * consumer index (timed; 1, or 0 if none), consume moves the index past n
	 * entries, respond sends the PRG Response for the group ending with
	 * `last` (code: enum iom_prg_code) and says when it left the IOMMU,
	 * drain does what the driver does after a PASID's entry is torn down
	 * (VT-d: a drain wait; NULL: nothing). */
	int (*prq_peek)(void *drv, uint32_t ahead, struct iom_page_req *r, uint64_t now_ps,
			uint64_t *done_ps);
	void (*prq_consume)(void *drv, uint32_t n);
	int (*pri_respond)(void *drv, const struct iom_page_req *last, uint32_t code,
			   uint64_t now_ps, uint64_t *done_ps, struct iom_err *err);
	int (*prq_drain)(void *drv, uint32_t rid, uint32_t pasid, uint64_t now_ps,
			 uint64_t *done_ps, struct iom_err *err);
	uint32_t max_tag; /* largest ASID/DID */
	uint32_t max_vmid; /* largest VMID; 0: no nested domains (host.stage = nested refused) */
	uint8_t cpu_fmt;   /* SVA: CPU page-table format the IOMMU walks (enum iom_pt_fmt) */
	bool cpu_asid_ok;  /* SVA: the IOMMU can tag with the CPU's ASID (SMMUv3) */
};

struct iom_host;

/* SMMUv3 implementation (host_smmuv3.c): the `drv` cookie is a
 * struct iom_host_smmuv3. */
struct iom_smmu_drv;
struct iom_host_smmuv3 {
	struct iom_smmu_drv *drv;
	uint32_t cd_bits; /* S1CDMax of stage-1 STEs (host.cd_table_bits) */
};
extern const struct iom_host_drv_ops iom_host_smmuv3_ops;

/* VT-d implementation (host_vtd.c): the `drv` cookie is the struct
 * iom_vtd_drv itself. */
extern const struct iom_host_drv_ops iom_host_vtd_ops;

struct iom_host *iom_host_create(const struct iom_host_cfg *cfg, struct iom_mem *mem,
				 struct iom_palloc *tables, struct iom_iommu *iommu,
				 const struct iom_host_drv_ops *ops, void *drv, struct iom_err *err);
void iom_host_destroy(struct iom_host *h);

int iom_host_domain_create(struct iom_host *h, uint32_t id, uint32_t type, struct iom_err *err);
/* The same with allocation flags (IOM_HOST_DOM_F_*, paging domains only). */
int iom_host_domain_create_flags(struct iom_host *h, uint32_t id, uint32_t type, uint32_t flags,
				 struct iom_err *err);
/* Flags every paging domain iom_host_domain_create() makes from now on
 * gets (the replay's dirty.enable). Checked against the driver at once. */
int iom_host_set_domain_flags(struct iom_host *h, uint32_t flags, struct iom_err *err);
/* set_dirty_tracking(enable) of a DIRTY paging domain: the driver op for each
 * attachment (in attachment order), then dom->dirty_tracking = on.  The
 * pre-clear iommufd does first is the caller's (models/host/dirty.c). */
int iom_host_set_dirty_tracking(struct iom_host *h, uint32_t id, bool on, uint64_t now_ps,
				uint64_t *done_ps, struct iom_err *err);
/* Requester IDs attached to domain id (any PASID), ascending, at most max
 * written to rids; returns how many there are. */
size_t iom_host_domain_rids(const struct iom_host *h, uint32_t id, uint32_t *rids, size_t max);
/* Free an unattached domain: its TLB context is invalidated (as Linux's
 * free_io_pgtable_ops does) before the ASID/DID is released. */
int iom_host_domain_free(struct iom_host *h, uint32_t id, uint64_t now_ps, uint64_t *done_ps,
			 struct iom_err *err);
const struct iom_host_domain *iom_host_domain(const struct iom_host *h, uint32_t id);

int iom_host_attach(struct iom_host *h, uint32_t rid, int64_t pasid, uint32_t dom_id,
		    uint64_t now_ps, uint64_t *done_ps, struct iom_err *err);
int iom_host_detach(struct iom_host *h, uint32_t rid, int64_t pasid, uint64_t now_ps,
		    uint64_t *done_ps, struct iom_err *err);

/* prot: IOM_PROT_R/W/X bits (traces/trace.h values). pgsize 0 = choose like
 * Linux's iommu_pgsize(): the largest supported size that fits the
 * alignment of iova and pa and the remaining length. */
int iom_host_map(struct iom_host *h, uint32_t dom_id, uint64_t iova, uint64_t pa, uint64_t size,
		 uint32_t prot, uint64_t pgsize, uint64_t now_ps, uint64_t *done_ps,
		 struct iom_err *err);
/* Unmap and invalidate per host.invalidation; *done_ps = when unmap returns
 * (strict/range: the invalidation completed; lazy: at once, or after the
 * flush a full queue forces). */
int iom_host_unmap(struct iom_host *h, uint32_t dom_id, uint64_t iova, uint64_t size,
		   uint64_t now_ps, uint64_t *done_ps, struct iom_err *err);
/* Time has reached now_ps: run the lazy flush timers that expired by then
 * (each flush starts at its own deadline). Every host call does this first;
 * the replay also calls it before each record. */
int iom_host_advance(struct iom_host *h, uint64_t now_ps, struct iom_err *err);
/* Lazy policy, for a DMA API (models/host/dma_api.c): fn(ctx, dom_id,
 * done_ps) runs after each flush of dom_id's flush queue; every unmap queued
 * in it before is invalidated by done_ps, so its IOVA may be freed then (as
 * dma-iommu.c's fq_ring_free does). NULL: no hook. */
void iom_host_set_fq_hook(struct iom_host *h, void (*fn)(void *ctx, uint32_t dom_id,
							  uint64_t done_ps), void *ctx);
/* Unmaps queued in flush queues so far (lazy; an unmap that had to be
 * invalidated at once, or under strict/range, is not counted). */
uint64_t iom_host_fq_queued(const struct iom_host *h);
/* An explicit invalidation request. */
int iom_host_invalidate(struct iom_host *h, const struct iom_inval *inv, uint64_t now_ps,
			uint64_t *done_ps, struct iom_err *err);

int iom_host_register_stats(struct iom_host *h, struct iom_stats *s, struct iom_err *err);

/* ---- for host_sva.c / host_pri.c (not for other callers) ----
 * Attachment slots hold a domain id, or IOM_HOST_SVA_SLOT | mm for a PASID
 * bound to a process; tags (ASIDs/DIDs) are owned by a domain id or by
 * IOM_HOST_SVA_SLOT | mm. */
#define IOM_HOST_SVA_SLOT (1ull << 32)
struct iom_host_sva *iom_host_sva_of(struct iom_host *h);
const struct iom_host_cfg *iom_host_config(const struct iom_host *h);
struct iom_mem *iom_host_mem(struct iom_host *h);
struct iom_palloc *iom_host_tables(struct iom_host *h);
struct iom_iommu *iom_host_iommu(struct iom_host *h);
const struct iom_host_drv_ops *iom_host_ops(const struct iom_host *h, void **drv);
/* PASID attachments (domains and SVA) of a requester. */
uint32_t iom_host_pasids_in_use(const struct iom_host *h, uint32_t rid);
/* The slot of (rid, pasid): false if free. */
bool iom_host_slot(const struct iom_host *h, uint32_t rid, int64_t pasid, uint64_t *val);
/* Take (val = IOM_HOST_SVA_SLOT | mm) or free (val = 0) a PASID slot for SVA;
 * -IOM_EBUSY if taken. */
int iom_host_sva_slot(struct iom_host *h, uint32_t rid, uint32_t pasid, uint64_t val,
		      struct iom_err *err);
/* Lowest free tag for owner; free it. */
int iom_host_tag_alloc(struct iom_host *h, uint64_t owner, uint32_t *tag, struct iom_err *err);
void iom_host_tag_free(struct iom_host *h, uint32_t tag);
/* Take tag for owner; a paging domain holding it moves to the lowest free
 * tag first (its attachments rewritten, the old tag invalidated), as
 * arm_smmu_share_asid() does. -IOM_EBUSY if another process holds it. */
int iom_host_tag_claim(struct iom_host *h, uint32_t tag, uint64_t owner, uint64_t now_ps,
		       uint64_t *done_ps, struct iom_err *err);

#ifdef __cplusplus
}
#endif
#endif
