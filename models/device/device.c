/* SPDX-License-Identifier: Apache-2.0 */
/*
 * device.c - endpoint DMA engine: DMA -> TLPs -> IOMMU translation -> memory.
 *
 * Models: TLP segmentation (4 KB boundary, MPS for writes, MRRS for reads),
 * the outstanding-DMA limit, timed and closed-loop issue.
 * Does not model (yet): link/fabric latency and bandwidth, ATC/ATS, PRI,
 * completion splitting by RCB; these arrive with the PCIe and ATS issues.
 * Timing: the TLPs of one DMA are issued back to back at the DMA's start
 * time; each is translated (the IOMMU's resources serialise them where they
 * contend) and then accesses memory at its translated address.  The DMA is
 * done when its last TLP's memory access completes; it holds an outstanding
 * slot from start to done.
 */
#include "device.h"

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

int iom_device_dma(struct iom_device *d, uint64_t ready_ps, int64_t pasid, uint64_t iova,
		   uint64_t size, int write, uint32_t txn_flags, struct iom_dma_result *res,
		   struct iom_err *err)
{
	uint64_t free_at = iom_resource_next_free(&d->slots);
	uint64_t start = d->cfg.mode == IOM_DEV_CLOSED_LOOP ? free_at : IOM_MAX(ready_ps, free_at);
	if (start > ready_ps && d->cfg.mode == IOM_DEV_TIMED)
		iom_hist_add(&d->slot_wait_ps, start - ready_ps);

	memset(res, 0, sizeof(*res));
	res->issue_ps = start;
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
		int r = iom_iommu_translate(d->iommu, &t, err);
		if (r)
			return r;
		res->tlps++;
		d->tlps++;
		uint64_t end;
		if (t.status == IOM_TXN_OK) {
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
