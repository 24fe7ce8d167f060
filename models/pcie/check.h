/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check.h - the fabric seen by a replay: each DMA record is routed through
 * the topology (route.h); the parts that reach the IOMMU go on to the
 * device model, the parts that reach a peer function directly or are
 * blocked by ACS stop in the fabric.  Every peer-to-peer transfer must stay
 * inside the requester's IOMMU group, else it is an isolation violation.
 * All outcomes are results (counted, the first few described), never
 * errors.
 */
#ifndef IOM_MODELS_PCIE_CHECK_H
#define IOM_MODELS_PCIE_CHECK_H

#include "route.h"
#include "topology.h"

#ifdef __cplusplus
extern "C" {
#endif

struct iom_stats;

struct iom_pcie_checker {
	struct iom_pcie_topo *t; /* owned */
	/* counters (registered as pcie.*) */
	uint64_t dmas, iommu, p2p, p2p_in_group, blocked, violations;
	uint64_t p2p_bytes, blocked_bytes, aliased;
	uint64_t by_reason[IOM_RR_REASONS];
	uint64_t functions, groups;
};

/* What happened to one DMA record, for the caller's messages. */
struct iom_pcie_dma_verdict {
	bool violation; /* some part crossed a group boundary without the IOMMU */
	bool blocked;   /* some part was blocked by ACS / unsupported */
	char msg[640];  /* the first such event, described */
};

/* Take ownership of a finalized topology; computes its groups. */
struct iom_pcie_checker *iom_pcie_checker_create(struct iom_pcie_topo *t, struct iom_err *err);
void iom_pcie_checker_destroy(struct iom_pcie_checker *c);
int iom_pcie_checker_register_stats(struct iom_pcie_checker *c, struct iom_stats *s,
                                    struct iom_err *err);

/* Called for each piece of the DMA that reaches the IOMMU. */
typedef int (*iom_pcie_iommu_fn)(void *ctx, uint64_t iova, uint64_t size, struct iom_err *err);

/*
 * Route the DMA [iova, iova+size) of requester `dev` (trace format: segment
 * 31:16, RID 15:0), split where the address range enters or leaves a BAR;
 * call `to_iommu` for the pieces that reach the root complex.  An unknown
 * requester is an input error (-IOM_EINVAL); errors of to_iommu are passed
 * back.  *v says whether the DMA violated isolation or was blocked.
 */
int iom_pcie_checker_dma(struct iom_pcie_checker *c, uint32_t dev, uint64_t iova, uint64_t size,
                         bool write, iom_pcie_iommu_fn to_iommu, void *ctx,
                         struct iom_pcie_dma_verdict *v, struct iom_err *err);

/* Called for each piece that reaches the IOMMU or a peer (not the blocked
 * ones), with its source function and route: the replay times it through
 * the fabric (fabric.h). */
typedef int (*iom_pcie_piece_fn)(void *ctx, uint32_t src, const struct iom_pcie_route *r,
                                 uint64_t addr, uint64_t size, struct iom_err *err);

/* iom_pcie_checker_dma() calling `piece` for the IOMMU and peer-to-peer pieces. */
int iom_pcie_checker_dma_routed(struct iom_pcie_checker *c, uint32_t dev, uint64_t iova,
                                uint64_t size, bool write, iom_pcie_piece_fn piece, void *ctx,
                                struct iom_pcie_dma_verdict *v, struct iom_err *err);

/* One summary line for the replay report. */
void iom_pcie_checker_print_summary(const struct iom_pcie_checker *c, FILE *f);

#ifdef __cplusplus
}
#endif
#endif
