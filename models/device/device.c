/* SPDX-License-Identifier: Apache-2.0 */
/*
 * device.c - endpoint DMA engine: DMA -> TLPs -> IOMMU translation -> memory.
 *
 * Models: TLP segmentation (4 KB boundary, MPS for writes, MRRS for reads),
 * the outstanding-DMA limit, timed and closed-loop issue; with a fabric hook
 * (device.h), the way each TLP crosses the PCIe fabric.
 * ATS (atc.h): TLPs of a DMA with AT = translation request look the
 * function's ATC up (a miss sends a Translation Request) and go out as
 * Translated requests, which the IOMMU only checks.  Does not model (yet): PRI.
 * Timing: the TLPs of one DMA are issued back to back at the DMA's start
 * time; each is translated (the IOMMU's resources serialise them where they
 * contend) and then accesses memory at its translated address.  The DMA is
 * done when its last TLP's memory access completes; it holds an outstanding
 * slot from start to done.  With a fabric, a TLP reaches the IOMMU when the
 * fabric says; a write is done when memory has it (posted), a read when its
 * last completion is back at the device; a TLP the fabric delivers to a peer
 * (or that the IOMMU sends on to a peer's BAR) is done when the fabric says.
 * A TLP the IOMMU terminates ends at the IOMMU (its UR completion is not
 * timed).
 */
#include "device.h"

#include "atc.h"
#include "config.h"
#include "mem.h"

#include <stdio.h>
#include <string.h>

static const char *const dev_mode_names[] = {"timed", "closed_loop", NULL};

static const struct iom_device_cfg dev_defaults = {
	.mode = IOM_DEV_TIMED,
	.max_outstanding = 64,
	.max_payload = 256,
	.max_read_req = 512,
};

static const struct iom_prop dev_props[] = {
	IOM_PROP_ENUM_(struct iom_device_cfg, mode, dev_mode_names,
		       "timed: issue each DMA at its record time; closed_loop: as fast as the outstanding limit allows"),
	IOM_PROP_U32_(struct iom_device_cfg, max_outstanding, 1, 65536, "DMAs",
		      "DMAs a device keeps in flight"),
	IOM_PROP_U32_(struct iom_device_cfg, max_payload, 128, 4096, "bytes",
		      "PCIe Max_Payload_Size: bytes per write TLP (power of two)"),
	IOM_PROP_U32_(struct iom_device_cfg, max_read_req, 128, 4096, "bytes",
		      "PCIe Max_Read_Request_Size: bytes per read request (power of two)"),
};

const struct iom_prop_table iom_device_prop_table = {
	.section = "device",
	.doc = "Endpoint DMA engine, applied to every device of the default system",
	.props = dev_props,
	.nprops = IOM_ARRAY_SIZE(dev_props),
	.defaults = &dev_defaults,
	.struct_size = sizeof(struct iom_device_cfg),
};

static int is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

int iom_device_init(struct iom_device *d, const struct iom_device_cfg *cfg, uint32_t rid,
		    struct iom_iommu *iommu, struct iom_mem *mem, struct iom_err *err)
{
	memset(d, 0, sizeof(*d));
	if (!is_pow2(cfg->max_payload) || !is_pow2(cfg->max_read_req))
		return iom_err_set(err, IOM_EINVAL,
				   "device: max_payload (%u) and max_read_req (%u) must be powers of two",
				   cfg->max_payload, cfg->max_read_req);
	d->cfg = *cfg;
	d->rid = rid;
	snprintf(d->name, sizeof(d->name), "dev.%02x:%02x.%x", (rid >> 8) & 0xff, (rid >> 3) & 0x1f,
		 rid & 7);
	d->iommu = iommu;
	d->mem = mem;
	d->mem_req = iom_mem_requester(mem, d->name);
	if (d->mem_req < 0)
		return iom_err_set(err, IOM_EBUSY, "device %s: no memory requester left", d->name);
	int r = iom_resource_init(&d->slots, d->name, cfg->max_outstanding, err);
	if (r)
		return r;
	iom_hist_init(&d->dma_latency_ps);
	iom_hist_init(&d->xlate_hit_ps);
	iom_hist_init(&d->xlate_miss_ps);
	iom_hist_init(&d->slot_wait_ps);
	return 0;
}

void iom_device_fini(struct iom_device *d)
{
	iom_resource_fini(&d->slots);
}

/* Bytes of the next TLP starting at iova: bounded by the 4 KB boundary and
 * by MPS / MRRS (requests are also naturally bounded by those sizes). */
static uint64_t dev_tlp_len(const struct iom_device *d, uint64_t iova, uint64_t left, int write)
{
	uint64_t max = write ? d->cfg.max_payload : d->cfg.max_read_req;
	uint64_t to_4k = 4096 - (iova & 4095);
	uint64_t len = IOM_MIN(left, to_4k);
	return IOM_MIN(len, max);
}

/* Fault accounting of one terminated TLP. */
static void dev_tlp_faulted(struct iom_device *d, struct iom_dma_result *res,
			    const struct iom_txn *t)
{
	if (!res->faulted) {
		res->first_status = t->status;
		res->first_fault = t->fault;
	}
	res->faulted++;
	d->faulted_tlps++;
}

/* A TLP of a DMA that asked for ATS, before it leaves the device: through the
 * ATC when the function has one (atc.h). 0: send t (maybe now Translated);
 * 1: it ended at the device (status, fault, done_ps set); -IOM_E*. */
static int dev_ats_pre(struct iom_device *d, struct iom_txn *t, struct iom_err *err)
{
	t->at = d->at;
	if (d->at != IOM_TXN_AT_TREQ)
		return 0;
	t->at = IOM_TXN_AT_UNTRANSLATED;
	return d->atc ? iom_atc_tlp(d->atc, t, d->fabric, d->fabric_ctx, err) : 0;
}

/* dev_ats_pre() then the IOMMU (without a fabric). */
static int dev_ats_translate(struct iom_device *d, struct iom_txn *t, struct iom_err *err)
{
	int r = dev_ats_pre(d, t, err);
	return r ? (r < 0 ? r : 0) : iom_iommu_translate(d->iommu, t, err);
}

/* One TLP through the fabric hook (d->fabric): returns when it is done. */
static int dev_tlp_fabric(struct iom_device *d, struct iom_txn *t, int write,
			  struct iom_dma_result *res, uint64_t *end, struct iom_err *err)
{
	const struct iom_dev_fabric_ops *fab = d->fabric;
	bool to_iommu;
	int ra = d->at ? dev_ats_pre(d, t, err) : 0;
	if (ra < 0)
		return ra;
	if (ra) { /* ended at the device (ATS denied it) */
		res->tlps++;
		d->tlps++;
		*end = t->done_ps;
		dev_tlp_faulted(d, res, t);
		return 0;
	}
	uint64_t at = fab->request(d->fabric_ctx, t->issue_ps, t->iova, t->size, write, &to_iommu);
	res->tlps++;
	d->tlps++;
	if (!to_iommu) { /* peer-to-peer: the IOMMU never sees it */
		*end = at;
		return 0;
	}
	t->issue_ps = at;
	int r = iom_iommu_translate(d->iommu, t, err);
	if (r)
		return r;
	if (t->status != IOM_TXN_OK) {
		*end = t->done_ps;
		dev_tlp_faulted(d, res, t);
		return 0;
	}
	if (t->at != IOM_TXN_AT_TRANSLATED)
		iom_hist_add(t->tlb_hit ? &d->xlate_hit_ps : &d->xlate_miss_ps,
			     t->done_ps - t->issue_ps);
	d->tlb_hit_tlps += t->tlb_hit;
	if (fab->peer(d->fabric_ctx, t->done_ps, t->pa, t->size, write, end))
		return 0; /* on to a peer's BAR through the root complex */
	bool ok = true;
	uint64_t ready = t->done_ps;
	if (write)
		*end = iom_mem_timed_write(d->mem, d->mem_req, t->pa, NULL, t->size, ready, &ok);
	else
		*end = iom_mem_timed_read(d->mem, d->mem_req, t->pa, NULL, t->size, ready, &ok);
	if (!ok) { /* an unsupported request at the root complex, as without a fabric */
		t->status = IOM_TXN_FAULT;
		t->fault = 0;
		dev_tlp_faulted(d, res, t);
	} else if (!write) {
		*end = fab->completions(d->fabric_ctx, *end, t->pa, t->size);
	}
	return 0;
}

/* iom_device_dma() with a fabric: the same segmentation, timed per TLP by it.
 * Not inlined, so that the path without a fabric compiles as before. */
__attribute__((noinline))
static int dev_dma_fabric(struct iom_device *d, uint64_t start, int64_t pasid, uint64_t iova,
			  uint64_t size, int write, uint32_t txn_flags, struct iom_dma_result *res,
			  struct iom_err *err)
{
	uint64_t done = start;
	for (uint64_t left = size, a = iova; left;) {
		uint64_t len = dev_tlp_len(d, a, left, write), end;
		struct iom_txn t = {
			.rid = d->rid,
			.pasid = pasid >= 0 ? (uint32_t)pasid : 0,
			.flags = txn_flags | (pasid >= 0 ? IOM_TXN_PASID_VALID : 0),
			.write = (uint8_t)!!write,
			.size = (uint32_t)len,
			.iova = a,
			.issue_ps = start,
		};
		int r = dev_tlp_fabric(d, &t, write, res, &end, err);
		if (r)
			return r;
		done = IOM_MAX(done, end);
		a += len;
		left -= len;
	}
	res->done_ps = done;
	return 0;
}

/* What every DMA ends with: the slot it held, the counters. */
static void dev_dma_done(struct iom_device *d, uint64_t start, uint64_t size,
			 const struct iom_dma_result *res)
{
	iom_resource_acquire(&d->slots, start, res->done_ps - start, NULL);
	d->dmas++;
	d->bytes += size;
	d->faulted_dmas += res->faulted != 0;
	iom_hist_add(&d->dma_latency_ps, res->done_ps - start);
}

int iom_device_dma_at(struct iom_device *d, unsigned at, uint64_t ready_ps, int64_t pasid,
		      uint64_t iova, uint64_t size, int write, uint32_t txn_flags,
		      struct iom_dma_result *res, struct iom_err *err)
{
	d->at = (uint8_t)at; /* read by the TLPs of this DMA only */
	uint64_t free_at = iom_resource_next_free(&d->slots);
	uint64_t start = d->cfg.mode == IOM_DEV_CLOSED_LOOP ? free_at : IOM_MAX(ready_ps, free_at);
	if (start > ready_ps && d->cfg.mode == IOM_DEV_TIMED)
		iom_hist_add(&d->slot_wait_ps, start - ready_ps);

	memset(res, 0, sizeof(*res));
	res->issue_ps = start;
	if (__builtin_expect(d->fabric != NULL, 0)) { /* the hit path without one stays as it was */
		int r = dev_dma_fabric(d, start, pasid, iova, size, write, txn_flags, res, err);
		if (!r)
			dev_dma_done(d, start, size, res);
		return r;
	}
	uint64_t done = start;
	uint64_t left = size, a = iova;
	while (left) {
		uint64_t len = dev_tlp_len(d, a, left, write);
		struct iom_txn t = {
			.rid = d->rid,
			.pasid = pasid >= 0 ? (uint32_t)pasid : 0,
			.flags = txn_flags | (pasid >= 0 ? IOM_TXN_PASID_VALID : 0),
			.write = (uint8_t)!!write,
			.size = (uint32_t)len,
			.iova = a,
			.issue_ps = start,
		};
		int r = d->at ? dev_ats_translate(d, &t, err) : iom_iommu_translate(d->iommu, &t, err);
		if (r)
			return r;
		res->tlps++;
		d->tlps++;
		uint64_t end;
		if (t.status == IOM_TXN_OK) {
			if (t.at != IOM_TXN_AT_TRANSLATED) /* Translated: only checked */
				iom_hist_add(t.tlb_hit ? &d->xlate_hit_ps : &d->xlate_miss_ps,
					     t.done_ps - t.issue_ps);
			d->tlb_hit_tlps += t.tlb_hit;
			bool ok = true;
			end = write ? iom_mem_timed_write(d->mem, d->mem_req, t.pa, NULL, len, t.done_ps, &ok)
				    : iom_mem_timed_read(d->mem, d->mem_req, t.pa, NULL, len, t.done_ps, &ok);
			/* A PA outside memory is an unsupported request at the root
			 * complex; counted as a fault of the TLP. */
			if (!ok) {
				t.status = IOM_TXN_FAULT;
				t.fault = 0;
			}
		} else {
			end = t.done_ps;
		}
		if (t.status != IOM_TXN_OK) {
			if (!res->faulted) {
				res->first_status = t.status;
				res->first_fault = t.fault;
			}
			res->faulted++;
			d->faulted_tlps++;
		}
		done = IOM_MAX(done, end);
		a += len;
		left -= len;
	}
	iom_resource_acquire(&d->slots, start, done - start, NULL);
	res->done_ps = done;
	d->dmas++;
	d->bytes += size;
	d->faulted_dmas += res->faulted != 0;
	iom_hist_add(&d->dma_latency_ps, done - start);
	return 0;
}

int iom_device_dma(struct iom_device *d, uint64_t ready_ps, int64_t pasid, uint64_t iova,
		   uint64_t size, int write, uint32_t txn_flags, struct iom_dma_result *res,
		   struct iom_err *err)
{
	return iom_device_dma_at(d, IOM_TXN_AT_UNTRANSLATED, ready_ps, pasid, iova, size, write,
				 txn_flags, res, err);
}

int iom_device_register_stats(struct iom_device *d, struct iom_stats *s, struct iom_err *err)
{
	char n[96];
	int r = 0;
#define DEV_CTR(field, unit, desc)                                                                 \
	do {                                                                                       \
		snprintf(n, sizeof(n), "%s.%s", d->name, #field);                                  \
		if (!r)                                                                            \
			r = iom_stats_counter(s, n, unit, desc, &d->field, err);                   \
	} while (0)
#define DEV_HIST(field, unit, desc)                                                                \
	do {                                                                                       \
		snprintf(n, sizeof(n), "%s.%s", d->name, #field);                                  \
		if (!r)                                                                            \
			r = iom_stats_histogram(s, n, unit, desc, &d->field, err);                 \
	} while (0)
	DEV_CTR(dmas, "DMAs", "DMA records performed");
	DEV_CTR(bytes, "bytes", "bytes transferred by DMA");
	DEV_CTR(tlps, "TLPs", "request TLPs (one translation each)");
	DEV_CTR(tlb_hit_tlps, "TLPs", "TLPs translated by an IOMMU TLB hit");
	DEV_CTR(faulted_tlps, "TLPs", "TLPs terminated by the IOMMU");
	DEV_CTR(faulted_dmas, "DMAs", "DMAs with at least one terminated TLP");
	DEV_HIST(dma_latency_ps, "ps", "DMA latency, first TLP issued to last access done");
	DEV_HIST(xlate_hit_ps, "ps", "translation latency of TLPs that hit the TLB");
	DEV_HIST(xlate_miss_ps, "ps", "translation latency of TLPs that walked");
	DEV_HIST(slot_wait_ps, "ps", "wait for an outstanding-DMA slot (timed mode)");
#undef DEV_CTR
#undef DEV_HIST
	return r;
}
