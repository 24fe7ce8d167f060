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
 *  ats_translate  (optional) one PCIe ATS Translation Request (AT = 01b):
 *              the completion's status, translated range and permissions
 *              (struct iom_ats_req).  NULL: the IOMMU has no ATS.
 *  set_ats_port   (optional) the root complex's ATS side (struct
 *              iom_ats_port): where the driver sends invalidation requests
 *              for device TLBs and enables ATS in functions.
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

/* iom_txn.at: the PCIe Address Type (same values as enum iom_at, traces/trace.h) */
#define IOM_TXN_AT_UNTRANSLATED 0u
#define IOM_TXN_AT_TREQ 1u       /* Translation Request: use iom_iommu_ats_translate() */
#define IOM_TXN_AT_TRANSLATED 2u /* the address was translated by the device's ATC */

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

/* ---- PCIe Address Translation Services (ATS) ----
 * A Translation Request asks for the translation of one untranslated address
 * (aligned down to the function's Smallest Translation Unit); the completion
 * carries the translated address of a naturally aligned power-of-two range
 * of at least the STU, its size in the S-bit encoding and the permissions
 * granted (PCIe Base spec, ATS chapter; IHI0070 3.9.1, 13.7; VT-d ch. 4). */
enum iom_ats_status {
	IOM_ATS_SUCCESS = 0, /* Successful Completion: perm may still be R = W = 0 */
	IOM_ATS_UR,          /* Unsupported Request: ATS not allowed for the function */
	IOM_ATS_CA,          /* Completer Abort: configuration error */
};

/* Completion data entry bits (8 bytes: translated address [63:12] | S | ...). */
#define IOM_ATS_CPL_R 0x1ull      /* read permitted */
#define IOM_ATS_CPL_W 0x2ull      /* write permitted */
#define IOM_ATS_CPL_U 0x4ull      /* untranslated access only */
#define IOM_ATS_CPL_EXE 0x8ull    /* execute permitted */
#define IOM_ATS_CPL_PRIV 0x10ull  /* privileged-mode access */
#define IOM_ATS_CPL_GLOBAL 0x20ull/* valid for every PASID */
#define IOM_ATS_CPL_N 0x400ull    /* no-snoop */
#define IOM_ATS_CPL_S 0x800ull    /* size: see iom_ats_size_encode() */
#define IOM_ATS_CPL_PERMS 0x3full /* R | W | U | Exe | Priv | Global */

struct iom_ats_req {
	/* request */
	uint32_t rid;        /* requester ID = StreamID / source-id */
	uint32_t pasid;      /* valid if IOM_TXN_PASID_VALID */
	uint32_t flags;      /* IOM_TXN_PASID_VALID | IOM_TXN_PRIV (Privileged Mode
	                      * Requested) | IOM_TXN_EXEC (Execute Requested) */
	uint8_t no_write;    /* NW: the function does not intend to write */
	uint64_t iova;       /* untranslated address */
	uint64_t issue_ps;   /* arrival at the IOMMU */
	/* completion */
	uint8_t status;      /* enum iom_ats_status */
	uint8_t size_log2;   /* the range: 2^size_log2 bytes (>= 12), base aligned to it */
	uint8_t tlb_hit, walk_reads, cfg_reads;
	uint16_t fault;      /* what ended it (SMMUv3 event ID, VT-d fault reason), 0 = none */
	uint32_t perm;       /* IOM_ATS_CPL_R | W | EXE | PRIV | GLOBAL granted */
	uint64_t base;       /* untranslated base of the range */
	uint64_t pa;         /* its translated address */
	uint64_t done_ps;    /* the completion leaves the IOMMU */
};

/* The address field of a completion entry or an Invalidate Request for the
 * naturally aligned range of 2^size_log2 bytes at addr (size_log2 12..64):
 * 4 KB -> S = 0; 2^(13+k) bytes -> S = 1 with address bits [12+k-1:12] set
 * and bit 12+k clear (so 2^64 = bits [62:12] set, Linux's "everything"). */
static inline uint64_t iom_ats_size_encode(uint64_t addr, unsigned size_log2)
{
	addr &= ~0xfffull;
	if (size_log2 <= 12)
		return addr;
	uint64_t ones = size_log2 >= 64 ? ~0ull >> 1 : (1ull << (size_log2 - 1)) - 1;
	return (addr & ~(ones | (1ull << (size_log2 - 1)))) | (ones & ~0xfffull) | IOM_ATS_CPL_S;
}

/* The inverse: *addr = the range's base, returns size_log2 (12..64). */
static inline unsigned iom_ats_size_decode(uint64_t field, uint64_t *addr)
{
	uint64_t a = field & ~0xfffull;
	unsigned k = 12;
	if (field & IOM_ATS_CPL_S) {
		uint64_t zeros = ~a >> 12; /* the lowest clear bit at or above 12 */
		k = zeros ? 13 + (unsigned)__builtin_ctzll(zeros) : 64;
		if (k > 64)
			k = 64;
	}
	*addr = k >= 64 ? 0 : a & ~((1ull << k) - 1);
	return k;
}

/* An ATS Invalidate Request as the IOMMU side hands it to the root complex. */
struct iom_ats_inval {
	uint32_t rid;
	uint32_t pasid;
	bool pasid_valid;    /* with a PASID prefix: that PASID's entries only */
	bool global;         /* Global Invalidate: also the Global entries */
	uint64_t addr;       /* untranslated base, aligned to the span */
	uint8_t size_log2;   /* span 2^size_log2 bytes, 12..64 (64 = everything) */
};

/* The root complex's ATS side, as an IOMMU driver sees it. */
struct iom_ats_port_ops {
	/* The function has an ATS capability (pci_ats_supported()). */
	bool (*capable)(void *ctx, uint32_t rid);
	/* ATS Control register: Enable and STU (log2 bytes), pci_enable_ats() /
	 * pci_disable_ats(). Clearing Enable empties the function's ATC. */
	int (*enable)(void *ctx, uint32_t rid, bool on, unsigned stu_log2, struct iom_err *err);
	/* Send one Invalidate Request at now_ps. Returns 0 with *done_ps = when
	 * its completion reached the root complex, 1 if it timed out (*done_ps =
	 * when the root complex gave up), or -IOM_E*. */
	int (*invalidate)(void *ctx, const struct iom_ats_inval *inv, uint64_t now_ps,
			  uint64_t *done_ps, struct iom_err *err);
};

struct iom_ats_port {
	const struct iom_ats_port_ops *ops;
	void *ctx;
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
	/* Optional (NULL: the IOMMU has no ATS; translation requests get UR). */
	int (*ats_translate)(void *self, struct iom_ats_req *r, struct iom_err *err);
	/* Optional: install the root complex's ATS port (NULL removes it); the
	 * port must outlive the IOMMU or be removed first. */
	void (*set_ats_port)(void *self, const struct iom_ats_port *port);
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

/* One ATS Translation Request; an IOMMU without ATS answers UR at once. */
static inline int iom_iommu_ats_translate(struct iom_iommu *m, struct iom_ats_req *r,
					  struct iom_err *err)
{
	if (!m->ops->ats_translate) {
		r->status = IOM_ATS_UR;
		r->perm = 0;
		r->size_log2 = 12;
		r->base = r->iova & ~0xfffull;
		r->pa = 0;
		r->done_ps = r->issue_ps;
		return 0;
	}
	return m->ops->ats_translate(m->self, r, err);
}

#ifdef __cplusplus
}
#endif
#endif
