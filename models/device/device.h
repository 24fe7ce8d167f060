/* SPDX-License-Identifier: Apache-2.0 */
/*
 * device.h - a PCIe endpoint's DMA engine.
 *
 * A DMA record becomes the TLPs a real endpoint would emit: the transfer is
 * cut at 4 KB boundaries (a TLP never crosses one) and at the maximum
 * payload (writes) or maximum read request (reads).  Every TLP is one
 * untranslated request through the IOMMU, followed by its memory access at
 * the translated address.  The engine holds at most `max_outstanding` DMAs
 * in flight (a resource with that many servers), so a DMA waits for a free
 * slot before it issues.
 *
 * Issue modes: `timed` issues each DMA at its record's time (or later, if
 * every slot is busy); `closed_loop` ignores record times and issues as soon
 * as a slot frees -- the way throughput benchmarks such as pcie-bench drive
 * a device.
 *
 * The PCIe fabric between the device and the IOMMU is a hook the device
 * calls per TLP (struct iom_dev_fabric_ops; models/pcie/fabric.c with a
 * `pcie:` topology).  Without one the device reaches the IOMMU and memory
 * with zero link latency, as before (docs/model-notes.md says so).
 * ATS: a DMA whose record asks for it (iom_device_dma_at(), AT = translation
 * request) sends its TLPs through the function's ATC (atc.h) when the host has
 * enabled ATS in it, as Translated requests; AT = translated sends them as
 * Translated requests at the given address.  Not modelled yet: PRI.
 */
#ifndef IOM_MODELS_DEVICE_H
#define IOM_MODELS_DEVICE_H

#include "iom.h"
#include "iommu.h"
#include "resource.h"
#include "stats.h"

#ifdef __cplusplus
extern "C" {
#endif

struct iom_mem;
struct iom_prop_table;

enum iom_dev_mode { IOM_DEV_TIMED = 0, IOM_DEV_CLOSED_LOOP = 1 };

struct iom_device_cfg {
	uint32_t mode;            /* enum iom_dev_mode */
	uint32_t max_outstanding; /* DMAs in flight */
	uint32_t max_payload;     /* bytes per write TLP (MPS) */
	uint32_t max_read_req;    /* bytes per read request (MRRS) */
};
extern const struct iom_prop_table iom_device_prop_table; /* section "device" */

/* The outcome of one DMA, summed over its TLPs. */
struct iom_dma_result {
	uint64_t issue_ps;   /* first TLP left the device */
	uint64_t done_ps;    /* last memory access completed */
	uint32_t tlps;
	uint32_t faulted;    /* TLPs terminated by the IOMMU */
	uint16_t first_fault;/* model fault code of the first faulting TLP */
	uint8_t first_status;
};

/*
 * The fabric, per TLP (all times in ps; ctx is the fabric's):
 *  request      a request TLP (write: MWr of len bytes; read: MRd for len
 *               bytes) at addr leaves the device at ready_ps.  Returns when
 *               it reaches the root complex and its IOMMU (*to_iommu =
 *               true), or -- when the fabric delivers it to a peer function
 *               itself (*to_iommu = false) -- when the transfer is done
 *               (write: received by the peer; read: last completion back).
 *  peer         after translation: if pa is in a function's BAR, the fabric
 *               takes the TLP down to it (and, for a read, the completions
 *               back) and returns true with *done_ps; false = memory.
 *  completions  the completions of a memory read of len bytes at pa, the
 *               first ready at the root complex at ready_ps: returns when
 *               the last has reached the device.
 */
struct iom_dev_fabric_ops {
	uint64_t (*request)(void *ctx, uint64_t ready_ps, uint64_t addr, uint32_t len, bool write,
			    bool *to_iommu);
	bool (*peer)(void *ctx, uint64_t ready_ps, uint64_t pa, uint32_t len, bool write,
		     uint64_t *done_ps);
	uint64_t (*completions)(void *ctx, uint64_t ready_ps, uint64_t pa, uint32_t len);
};

struct iom_atc;

struct iom_device {
	struct iom_device_cfg cfg;
	struct iom_atc *atc;     /* the function's ATS side (atc.h), NULL: no ATS capability */
	uint8_t at;              /* IOM_TXN_AT_* of the DMA being performed */
	const struct iom_dev_fabric_ops *fabric; /* NULL: zero-latency path to the IOMMU */
	void *fabric_ctx;
	uint32_t rid;
	char name[32];
	struct iom_iommu *iommu;
	struct iom_mem *mem;
	int mem_req;
	struct iom_resource slots;
	/* stats */
	uint64_t dmas, tlps, bytes, faulted_tlps, faulted_dmas;
	uint64_t tlb_hit_tlps;
	struct iom_hist dma_latency_ps;   /* issue -> done, per DMA */
	struct iom_hist xlate_hit_ps;     /* per TLP, TLB hit path */
	struct iom_hist xlate_miss_ps;    /* per TLP, walk path */
	struct iom_hist slot_wait_ps;     /* waiting for an outstanding slot */
};

int iom_device_init(struct iom_device *d, const struct iom_device_cfg *cfg, uint32_t rid,
		    struct iom_iommu *iommu, struct iom_mem *mem, struct iom_err *err);
void iom_device_fini(struct iom_device *d);

/* Perform one DMA. `ready_ps` is when the record is due (timed mode) or when
 * the replay reached it (closed-loop). pasid < 0: no PASID. */
int iom_device_dma(struct iom_device *d, uint64_t ready_ps, int64_t pasid, uint64_t iova,
		   uint64_t size, int write, uint32_t txn_flags, struct iom_dma_result *res,
		   struct iom_err *err);

/* iom_device_dma() with the PCIe Address Type of the record: IOM_TXN_AT_TREQ = use ATS
 * (through the ATC when ATS is enabled in the function, else untranslated),
 * IOM_TXN_AT_TRANSLATED = the addresses are translated already. */
int iom_device_dma_at(struct iom_device *d, unsigned at, uint64_t ready_ps, int64_t pasid,
		      uint64_t iova, uint64_t size, int write, uint32_t txn_flags,
		      struct iom_dma_result *res, struct iom_err *err);

/* The function's ATS side (NULL: none, the default). */
static inline void iom_device_set_atc(struct iom_device *d, struct iom_atc *atc)
{
	d->atc = atc;
}

/* Send this device's TLPs through a fabric (NULL: none, the default). */
static inline void iom_device_set_fabric(struct iom_device *d, const struct iom_dev_fabric_ops *ops,
					 void *ctx)
{
	d->fabric = ops;
	d->fabric_ctx = ctx;
}

int iom_device_register_stats(struct iom_device *d, struct iom_stats *s, struct iom_err *err);

#ifdef __cplusplus
}
#endif
#endif
