/* SPDX-License-Identifier: Apache-2.0 */
/*
 * host_sva.h - shared virtual addressing (SVA) on the host: processes with
 * their CPU page tables, built from the trace's pmap/punmap records, bound to
 * devices by PASID (bind/unbind records), as Linux's iommu-sva.c and the
 * SMMUv3 / VT-d SVA code do it (algorithms-reference.md section 7).
 *
 *  process (mm): created by its first pmap or bind; a CPU page table in the
 *      format the IOMMU walks (SMMUv3: AArch64 = VMSAv8-64 stage 1, 4 KB pages;
 *      VT-d: x86-64 4-level, 5-level with va_bits 57), user pages (AArch64
 *      AP[1] = 1, nG; x86 U/S = 1), AF/A set.  pmap declares a VMA backed by
 *      [pa, pa + size); with populate = eager its PTEs are written at once
 *      (memory the process has touched), with populate = fault only on the
 *      first page fault (the PRI handler, host_pri.c).  punmap removes VMAs
 *      and PTEs, then the mmu-notifier invalidation of every SVA domain of
 *      the mm.  The mm exits (its PASID and CPU ASID are freed, its tables
 *      too) when it has neither VMAs nor bindings left.
 *  PASID: one per mm, global, held from the first bind until the mm exits
 *      (iommu_sva_bind_device(), mm_pasid_drop()).  The trace says which
 *      PASID the kernel gave: a bind must use the mm's PASID if it has one,
 *      and a PASID no other mm holds (binds whose PASID is not the lowest free
 *      one -- what Linux's IDA would give -- are counted).
 *  SVA domain: one per mm, with its own ASID / DID from the host's allocator
 *      (Linux 6.10+), or on SMMUv3 with asid = cpu the process's CPU ASID
 *      (arm_smmu_share_asid(), v5.11-v6.9): a DMA domain holding that ASID
 *      is moved to a new one (its CDs rewritten, the old ASID invalidated).
 *  bind(dev, pasid, mm): PASID attach is a group operation: every device of
 *      dev's IOMMU group gets the CD / PASID-table entry (iommu_attach_
 *      device_pasid(), v6.2+); a second bind of the same group and mm takes a
 *      reference.  With a PCIe topology the kernel's rules apply
 *      (pcie.kernel): <= 6.1 refuses a group with other devices, >= 6.2
 *      refuses a path without ACS RR|UF (pci_enable_pasid); a function
 *      without a PASID capability, or a PASID beyond its Max PASID Width, is
 *      refused.  Without a topology each device is its own group.
 *  unbind: the last reference removes the PASID from the group's devices
 *      (CD cleared / PASID entry torn down) and invalidates the domain's tag.
 *
 * Errors a kernel returns (-EINVAL, -EBUSY, ...) are -IOM_E* with a message;
 * the replay counts the record as rejected.
 */
#ifndef IOM_MODELS_HOST_SVA_H
#define IOM_MODELS_HOST_SVA_H

#include "iom.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

struct iom_host;
struct iom_pcie_topo;
struct iom_prop_table;
struct iom_stats;

enum iom_sva_asid { IOM_SVA_ASID_OWN = 0, IOM_SVA_ASID_CPU };
enum iom_sva_populate { IOM_SVA_POP_EAGER = 0, IOM_SVA_POP_FAULT };
/* How the host answers a page request (host_pri.c): handle = make the page
 * present (handle_mm_fault) and answer Success, or Invalid Request when the
 * address is outside every VMA or the VMA forbids the access; invalid /
 * failure = always that answer (Linux's arm-smmu-v3 answers every page
 * request with "deny", i.e. Response Failure). */
enum iom_pri_policy { IOM_PRI_HANDLE = 0, IOM_PRI_INVALID, IOM_PRI_FAILURE };

struct iom_host_sva_cfg {
	uint32_t asid;      /* enum iom_sva_asid (SMMUv3) */
	uint32_t va_bits;   /* CPU virtual-address width (AArch64 T0SZ = 64 - va_bits) */
	uint32_t populate;  /* enum iom_sva_populate */
	bool thp;           /* pmap uses 2 MB / 1 GB leaves where aligned (THP, hugetlb) */
	/* page requests (PRI) */
	uint32_t pri_policy;     /* enum iom_pri_policy */
	uint64_t fault_ns;       /* service time of one page request group (handler) */
	uint64_t irq_ns;         /* queue write to the handler reading it, when idle */
	uint32_t prq_log2;       /* page request queue entries (log2) */
};
extern const struct iom_prop_table iom_host_sva_prop_table; /* section "host.sva" */
/* The defaults, for struct initialisers (host.c's host defaults). */
#define IOM_HOST_SVA_CFG_DEFAULTS                                                                  \
	{ .asid = IOM_SVA_ASID_OWN, .va_bits = 48, .populate = IOM_SVA_POP_EAGER, .thp = false,    \
	  .pri_policy = IOM_PRI_HANDLE, .fault_ns = 4000, .irq_ns = 1000, .prq_log2 = 11 }

/* CPU page-table mapping of process mm (a VMA [va, va + size) backed by
 * [pa, pa + size)); 4 KB aligned; -IOM_EEXIST over an existing VMA. */
int iom_host_pmap(struct iom_host *h, uint32_t mm, uint64_t va, uint64_t pa, uint64_t size,
		  uint32_t prot, uint64_t now_ps, uint64_t *done_ps, struct iom_err *err);
/* Remove [va, va + size) from mm (VMAs and PTEs), then invalidate what the
 * IOMMUs may cache (the mm's SVA domain, if bound). -IOM_ENOENT if nothing
 * of mm is there. */
int iom_host_punmap(struct iom_host *h, uint32_t mm, uint64_t va, uint64_t size, uint64_t now_ps,
		    uint64_t *done_ps, struct iom_err *err);
/* Bind mm to dev at pasid (topo: the PCIe fabric whose rules apply, NULL =
 * none). */
int iom_host_bind(struct iom_host *h, uint32_t dev, uint32_t pasid, uint32_t mm,
		  const struct iom_pcie_topo *topo, uint64_t now_ps, uint64_t *done_ps,
		  struct iom_err *err);
/* Drop dev's binding at pasid (-IOM_ENOENT if none). */
int iom_host_unbind(struct iom_host *h, uint32_t dev, uint32_t pasid,
		    const struct iom_pcie_topo *topo, uint64_t now_ps, uint64_t *done_ps,
		    struct iom_err *err);

/* Inspection (tests). */
struct iom_host_mm_info {
	bool exists;
	int64_t pasid;     /* -1: none yet */
	uint32_t tag;      /* ASID / DID of its SVA domain, 0 = none */
	uint32_t cpu_asid; /* the CPU's ASID of the process */
	uint32_t bonds;    /* group bindings */
	uint32_t vmas;
	uint64_t pgd;      /* PA of the CPU page table's root */
};
void iom_host_mm_info(struct iom_host *h, uint32_t mm, struct iom_host_mm_info *out);
struct iom_pt;
/* The CPU page table of mm (NULL if mm does not exist). */
struct iom_pt *iom_host_mm_pt(struct iom_host *h, uint32_t mm);

/* The outcome of handle_mm_fault() for one page of mm (PRI, host_pri.c):
 * 0 = present now (made present or already), -IOM_ENOENT = outside every
 * VMA, -IOM_EPERM-like refusal = -IOM_EINVAL (the VMA forbids the access).
 * *made = true if a PTE was written. */
int iom_host_mm_fault(struct iom_host *h, uint32_t mm, uint64_t va, bool write, bool exec,
		      bool *made, struct iom_err *err);
/* The mm bound at (dev, pasid), -1 if none. */
int64_t iom_host_bound_mm(struct iom_host *h, uint32_t dev, uint32_t pasid);

/* ---- page requests (host_pri.c) ---- */
struct iom_prq;
struct iom_page_req;
struct iom_pri_result;
struct iom_pri_port;
/* The IOMMU's page request queue the handler serves (NULL: none).  setup
 * (optional) is called once before the first message, to have the driver
 * allocate and enable the queue of 2^log2 entries (host.sva.prq_log2): the
 * queue memory comes from the table pool only when PRI is used, so systems
 * that never use it keep their table layout. */
void iom_host_pri_set_queue(struct iom_host *h, const struct iom_prq *q,
			    int (*setup)(void *ctx, uint32_t log2, struct iom_err *err),
			    void *setup_ctx);
bool iom_host_pri_has_queue(struct iom_host *h);
/* A function's message reaches the IOMMU at arrive_ps (in time order):
 * received by the queue, read and answered by the handler thread; *res says
 * if and when the answer leaves. -IOM_ENOTSUP without a queue. */
int iom_host_pri_request(struct iom_host *h, const struct iom_page_req *r, uint64_t arrive_ps,
			 struct iom_pri_result *res, struct iom_err *err);
/* The same as the root complex's PRI port (pri.h), for devices. */
void iom_host_pri_port(struct iom_host *h, struct iom_pri_port *out);
/* Unbind steps for a function that issued page requests: its stop marker for
 * pasid, waited for until the handler read it; after the PASID entry is torn
 * down, the driver's drain. Nothing for other functions or without a queue. */
int iom_host_pri_stop(struct iom_host *h, uint32_t rid, uint32_t pasid, uint64_t now_ps,
		      uint64_t *done_ps, struct iom_err *err);
int iom_host_pri_drain(struct iom_host *h, uint32_t rid, uint32_t pasid, uint64_t now_ps,
		       uint64_t *done_ps, struct iom_err *err);

/* ---- internal: created and owned by struct iom_host (host.c) ---- */
struct iom_host_pri;
struct iom_host_pri *iom_host_pri_of(struct iom_host *h);
struct iom_host_pri *iom_host_pri_create(struct iom_host *h, const struct iom_host_sva_cfg *cfg,
					 struct iom_err *err);
void iom_host_pri_destroy(struct iom_host_pri *p);
int iom_host_pri_register_stats(struct iom_host_pri *p, struct iom_stats *s, struct iom_err *err);
struct iom_host_sva;
struct iom_host_sva *iom_host_sva_create(struct iom_host *h, const struct iom_host_sva_cfg *cfg,
					 struct iom_err *err);
void iom_host_sva_destroy(struct iom_host_sva *sv);
int iom_host_sva_register_stats(struct iom_host_sva *sv, struct iom_stats *s,
				struct iom_err *err);

#ifdef __cplusplus
}
#endif
#endif
