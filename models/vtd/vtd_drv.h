/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vtd_drv.h - the software side of the VT-d model: what Linux's intel-iommu
 * driver (drivers/iommu/intel/iommu.c, pasid.c, cache.c, dmar.c) does to
 * program the hardware: root and context tables (legacy or scalable mode),
 * PASID directories and tables, the invalidation queue with its wait
 * descriptors, the choice between page-selective and domain-selective
 * invalidation, and the fault interrupt handler.
 *
 * Every structure lives in simulated memory allocated from a struct
 * iom_palloc; entry and descriptor writes are timed writes by the requester
 * "<name>.drv"; every change that needs one is followed by the invalidation
 * descriptors and wait Linux issues, so software costs show up in time.
 * Ownership: the driver owns its tables and queue (freed on destroy) but not
 * the model, memory or allocator, except through iom_vtd_drv_as_iommu()
 * whose destroy op destroys driver and model.
 */
#ifndef IOM_MODELS_VTD_DRV_H
#define IOM_MODELS_VTD_DRV_H

#include "vtd.h"

#ifdef __cplusplus
extern "C" {
#endif

struct iom_palloc;
struct iom_pt_cfg;
struct iom_vtd_drv;

enum iom_vtd_drv_mode { IOM_VTD_MODE_AUTO = 0, IOM_VTD_MODE_LEGACY, IOM_VTD_MODE_SCALABLE };
enum iom_vtd_drv_stage {
	IOM_VTD_STAGE_AUTO = 0,
	IOM_VTD_STAGE_FIRST,
	IOM_VTD_STAGE_SECOND,
	IOM_VTD_STAGE_NESTED, /* first-level domains nested over a 1:1 second level (a VM) */
};

struct iom_vtd_drv_cfg {
	uint32_t mode;       /* enum iom_vtd_drv_mode; auto = scalable when ECAP.SMTS */
	uint32_t stage;      /* enum iom_vtd_drv_stage of paging domains; auto = first level in
	                      * scalable mode when ECAP.FLTS (Linux first_level_by_default);
	                      * nested = first level over a second level mapping GPA = HPA
	                      * with 1 GB pages (a guest whose memory a VMM backs 1:1) */
	uint32_t levels;     /* 0 = as Linux chooses; 3, 4, 5 = force */
	bool superpages;     /* use the large pages the unit offers (false = intel_iommu=sp_off) */
	uint32_t psi_max_am; /* largest PSI address mask used (capped by CAP.MAMV); above: DSI */
	uint32_t pasid_bits; /* scalable mode: PASID directory for PASIDs below 2^pasid_bits */
	bool fault_irq;      /* service fault events (read and clear the fault records) */
	uint32_t ite_retries; /* resubmissions of a batch after a device-TLB time-out (ITE) */
};
extern const struct iom_prop_table iom_vtd_drv_prop_table; /* "vtd.driver" */
void iom_vtd_drv_cfg_default(struct iom_vtd_drv_cfg *out);
int iom_vtd_drv_cfg_bind(struct iom_config *c, struct iom_vtd_drv_cfg *out, struct iom_err *err);

/* Allocate the root table, the invalidation queue (one page of 128-bit
 * descriptors in legacy mode, two pages of 256-bit ones in scalable mode)
 * and a status page; program RTADDR (SRTP), IQA (QIE), invalidate the
 * context cache, IOTLB (and PASID cache) globally, enable translation. */
struct iom_vtd_drv *iom_vtd_drv_create(struct iom_vtd *v, struct iom_mem *mem,
                                       struct iom_palloc *pa, const struct iom_vtd_drv_cfg *cfg,
                                       struct iom_err *err);
void iom_vtd_drv_destroy(struct iom_vtd_drv *drv);
struct iom_vtd *iom_vtd_drv_vtd(struct iom_vtd_drv *drv);
bool iom_vtd_drv_scalable(const struct iom_vtd_drv *drv);
uint64_t iom_vtd_drv_root_table(const struct iom_vtd_drv *drv);

/* The page-table format of a new paging domain (Linux's choice of stage and
 * address width) and the page sizes the domain may use (pgsize_bitmap). */
void iom_vtd_drv_domain_format(const struct iom_vtd_drv *drv, struct iom_pt_cfg *pc,
                               uint64_t *pgsizes);

enum iom_vtd_dom_type { IOM_VTD_DOM_PAGING = 0, IOM_VTD_DOM_IDENTITY, IOM_VTD_DOM_BLOCKED };

struct iom_vtd_drv_dom {
	uint32_t type;    /* enum iom_vtd_dom_type */
	uint32_t did;     /* domain ID (paging, identity) */
	bool first_level; /* paging: root is a first-level table (scalable mode) */
	bool nested;      /* paging: first level over the second level at sl_root */
	uint64_t root;    /* paging: table root (a GPA when nested) */
	uint32_t levels;  /* paging: levels of that table */
	uint64_t sl_root; /* nested: the second-level (parent) table and its levels */
	uint32_t sl_levels;
	bool slade; /* second level: hardware A/D (dirty tracking) */
	bool sva;   /* first level: a process's CPU table (SVA): never nested, SRE = 0 */
};

/* Point (rid, pasid) at dom (pasid < 0: requests without PASID; legacy mode
 * takes no PASID).  A present entry is torn down first with the
 * invalidations Linux issues; a new entry needs none (CM = 0). */
int iom_vtd_drv_attach(struct iom_vtd_drv *drv, uint32_t rid, int64_t pasid,
                       const struct iom_vtd_drv_dom *dom, uint64_t now_ps, uint64_t *done_ps,
                       struct iom_err *err);
int iom_vtd_drv_detach(struct iom_vtd_drv *drv, uint32_t rid, int64_t pasid, uint64_t now_ps,
                       uint64_t *done_ps, struct iom_err *err);

/* Dirty tracking.  The format of a paging domain allocated with dirty
 * tracking (Linux: second level; -IOM_EINVAL "EOPNOTSUPP" without scalable
 * mode or ECAP.SLADS/SLTS; with first_level_ok a first-level driver keeps its
 * format, the host then building leaves with D = 0). */
int iom_vtd_drv_dirty_format(const struct iom_vtd_drv *drv, struct iom_pt_cfg *pc,
                             uint64_t *pgsizes, bool first_level_ok, struct iom_err *err);
/* SSADE of (rid, pasid)'s second-level PASID entry := on, in place, then
 * PASID cache (PASID-selective), IOTLB (domain-selective), device TLB and a
 * wait; nothing when it already has that value. */
int iom_vtd_drv_set_slade(struct iom_vtd_drv *drv, uint32_t rid, int64_t pasid, bool on,
                          uint64_t now_ps, uint64_t *done_ps, struct iom_err *err);

/* Invalidate [iova, iova+size) of domain did as Linux's cache_tag_flush_range
 * does: per attachment, a page-selective IOTLB (second level) or PASID-IOTLB
 * (first level) invalidation with the smallest aligned mask covering the
 * range, or a domain-/PASID-wide one when that mask exceeds
 * min(CAP.MAMV, psi_max_am) or PSI is absent; leaf = IH; then a wait.  A
 * domain with no attachment has nothing cached: no descriptor is sent. */
int iom_vtd_drv_flush_range(struct iom_vtd_drv *drv, uint32_t did, uint64_t iova, uint64_t size,
                            bool leaf, uint64_t now_ps, uint64_t *done_ps, struct iom_err *err);
int iom_vtd_drv_flush_domain(struct iom_vtd_drv *drv, uint32_t did, uint64_t now_ps,
                             uint64_t *done_ps, struct iom_err *err);

/* Write n raw descriptors (4 qwords each; 128-bit queues use qw0-qw1) and,
 * with `wait`, an invalidation wait (SW + FN) after them; ring the doorbell;
 * *done_ps = the wait's status write (or the doorbell's completion).  A full
 * queue is back-pressure: the doorbell is rung and the driver waits for the
 * hardware to consume.  -IOM_EIO if the unit stopped on an invalidation-queue
 * error (the message names IQEI and the index). */
int iom_vtd_drv_submit(struct iom_vtd_drv *drv, const uint64_t (*dsc)[4], size_t n, bool wait,
                       uint64_t now_ps, uint64_t *done_ps, struct iom_err *err);

/* The PSI address and mask Linux computes for [start, start+size)
 * (calculate_psi_aligned_address): the smallest naturally aligned
 * power-of-two block of 4 KB pages that covers the range. */
uint64_t iom_vtd_psi_range(uint64_t start, uint64_t size, unsigned *am);

/* Read and clear every pending fault record (Linux dmar_fault()); returns
 * how many were serviced.  Called on fault events when cfg.fault_irq. */
unsigned iom_vtd_drv_service_faults(struct iom_vtd_drv *drv);

struct iom_vtd_drv_stats {
	uint64_t descriptors, waits, doorbells, queue_full_waits;
	uint64_t psi, dsi, piotlb_page, piotlb_pasid;
	uint64_t ctx_writes, pasid_writes, root_writes, pasid_dir_writes;
	uint64_t faults_serviced;
	uint64_t devtlb;          /* device-TLB invalidation descriptors */
	uint64_t ite_errors, ite_giveups;
};
const struct iom_vtd_drv_stats *iom_vtd_drv_stats(const struct iom_vtd_drv *drv);

/* ATS: the root complex's port (also installed on the model for device-TLB
 * descriptors; the common interface's set_ats_port op calls this). */
void iom_vtd_drv_set_ats_port(struct iom_vtd_drv *drv, const struct iom_ats_port *port);
/* A port, ECAP.DT and the function has ATS (info->ats_supported). */
bool iom_vtd_drv_ats_supported(const struct iom_vtd_drv *drv, uint32_t rid);
/* ATS enabled in the function (at its first attach). */
bool iom_vtd_drv_ats_enabled(const struct iom_vtd_drv *drv, uint32_t rid);

/* Page requests (VT-d 7.5): a page request queue of 2^log2 descriptors
 * (PQS = log2 - 7, 0..7) for the queue model q; PRS cleared, PQA written. */
struct iom_vtd_prq;
struct iom_page_req;
int iom_vtd_drv_prq_setup(struct iom_vtd_drv *drv, struct iom_vtd_prq *q, uint32_t log2,
                          struct iom_err *err);
/* Read the descriptor `ahead` places after PQH (timed): 1 with *r, 0 if the
 * queue holds no such descriptor. */
int iom_vtd_drv_prq_peek(struct iom_vtd_drv *drv, uint32_t ahead, struct iom_page_req *r,
                         uint64_t now_ps, uint64_t *done_ps);
/* Move PQH past n descriptors; when that empties the queue, clear PRO (as
 * prq_event_thread does once head == tail). */
void iom_vtd_drv_prq_consume(struct iom_vtd_drv *drv, uint32_t n);
/* A page group response (type-9 descriptor: PASID present, response code,
 * RID, PASID, PRG index) and a wait, as qi_submit_sync() sends it. */
int iom_vtd_drv_page_response(struct iom_vtd_drv *drv, uint32_t rid, uint32_t pasid,
                              bool pasid_valid, uint32_t prgi, uint32_t code, uint64_t now_ps,
                              uint64_t *done_ps, struct iom_err *err);

/* The common IOMMU interface over driver + model (see iommu.h). */
void iom_vtd_drv_as_iommu(struct iom_vtd_drv *drv, struct iom_iommu *out);

#ifdef __cplusplus
}
#endif
#endif
