/* SPDX-License-Identifier: Apache-2.0 */
/*
 * iommu.h - what every IOMMU model (SMMUv3, VT-d) offers the rest of the
 * simulator, and the transaction that travels from a device to memory.
 *
 * A model is an ops table plus an opaque self pointer (the SQLite
 * pluggable-backend shape).  The replay driver and the device models only
 * ever call these ops; the host model programs the IOMMU through the same
 * in-memory tables and queues a driver would use (see models/host/).
 *
 *  translate   one transaction; returns with its outcome and completion time.
 *              Faults are outcomes (status + model fault code), not errors;
 *              a negative return means the simulator itself failed.
 *  invalidate  a generic invalidation request that the model turns into its
 *              own command sequence (SMMUv3: CMD_TLBI_* + CMD_SYNC through
 *              the command queue in memory; VT-d: invalidation descriptors
 *              + wait descriptor), so every invalidation is costed the way
 *              the hardware pays for it.
 *  doorbell    software moved the command-queue producer index: consume
 *              commands (as the hardware would after an MMIO write).
 */
#ifndef IOM_MODELS_IOMMU_H
#define IOM_MODELS_IOMMU_H

#include "iom.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

struct iom_stats;

enum iom_txn_status {
	IOM_TXN_OK = 0,      /* translated (or bypassed), pa valid */
	IOM_TXN_FAULT,       /* translation/permission/access fault: terminated */
	IOM_TXN_ABORT,       /* configuration abort (bad STE, bad stream, abort config) */
};

#define IOM_TXN_PRIV 0x1u
#define IOM_TXN_EXEC 0x2u
#define IOM_TXN_PASID_VALID 0x4u

struct iom_txn {
	/* request */
	uint32_t rid;        /* requester ID = StreamID / source-id */
	uint32_t pasid;      /* SubstreamID / PASID, valid if IOM_TXN_PASID_VALID */
	uint32_t flags;      /* IOM_TXN_* */
	uint8_t write;       /* 1 = write */
	uint8_t at;          /* PCIe AT (enum iom_at in traces/trace.h) */
	uint32_t size;       /* bytes */
	uint64_t iova;
	uint64_t issue_ps;   /* arrival at the IOMMU */
	/* outcome */
	uint8_t status;      /* enum iom_txn_status */
	uint8_t tlb_hit;     /* served by the TLB without a walk */
	uint8_t walk_reads;  /* translation-table descriptor reads */
	uint8_t cfg_reads;   /* configuration structure reads (STE/CD/context...) */
	uint16_t fault;      /* model-specific code (SMMUv3 event ID, VT-d fault reason) */
	uint64_t pa;
	uint64_t done_ps;    /* translation complete */
};

/* Scope of a generic invalidation. */
enum iom_inval_scope {
	IOM_INVAL_ALL = 0,    /* everything the IOMMU caches */
	IOM_INVAL_DOMAIN,     /* all translations tagged with `tag` (ASID / DID) */
	IOM_INVAL_RANGE,      /* [iova, iova+size) within tag */
	IOM_INVAL_DEV_CFG,    /* configuration of one requester (STE/context) */
	IOM_INVAL_PASID_CFG,  /* configuration of one (requester, PASID) (CD/PASID entry) */
};

struct iom_inval {
	uint8_t scope;        /* enum iom_inval_scope */
	uint8_t leaf;         /* range: only leaf entries changed */
	uint8_t use_range;    /* range: the driver may use range commands (SMMUv3 IDR3.RIL) */
	uint32_t tag;         /* ASID (SMMUv3) / domain ID (VT-d) */
	uint32_t rid, pasid;
	uint64_t iova, size;
	uint64_t granule;     /* page size of the unmapped range (for range ops) */
};

struct iom_iommu_ops {
	const char *kind; /* "smmuv3", "vtd" */
	int (*translate)(void *self, struct iom_txn *t, struct iom_err *err);
	/* Issue one generic invalidation (and its completion barrier) at now_ps;
	 * *done_ps receives when the barrier completed. */
	int (*invalidate)(void *self, const struct iom_inval *inv, uint64_t now_ps, uint64_t *done_ps,
			  struct iom_err *err);
	/* Consume pending commands at now_ps; *done_ps = when the last completes. */
	int (*doorbell)(void *self, uint64_t now_ps, uint64_t *done_ps, struct iom_err *err);
	int (*register_stats)(void *self, struct iom_stats *s, const char *prefix, struct iom_err *err);
	void (*destroy)(void *self);
};

struct iom_iommu {
	const struct iom_iommu_ops *ops;
	void *self;
	char name[32]; /* instance name, stats prefix: "smmu0" */
};

const char *iom_txn_status_name(unsigned status);

static inline int iom_iommu_translate(struct iom_iommu *m, struct iom_txn *t, struct iom_err *err)
{
	return m->ops->translate(m->self, t, err);
}

#ifdef __cplusplus
}
#endif
#endif
