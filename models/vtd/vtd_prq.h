/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vtd_prq.h - the VT-d page request queue (VT-d spec 7.5, registers 10.4.3x):
 * incoming PCIe Page Requests written as 32-byte page request descriptors
 * into a ring in memory, with its overflow behaviour.
 *
 * A separate object beside struct iom_vtd (it needs only the unit's name for
 * its memory requester "<name>.prq"); register stand-ins: PQA_REG (base
 * [63:12], PQS [2:0]: 2^PQS 4 KB pages = 2^(PQS+7) descriptors), PQH_REG /
 * PQT_REG (byte offsets, [18:5]), PRS_REG (PPR bit 0, PRO bit 1, both
 * write-1-to-clear).  As for the invalidation queue, the ring is full when
 * PQT + 32 = PQH: it holds 2^(PQS+7) - 1 descriptors.
 *
 * Descriptor (Linux struct page_req_dsc): qw0 type [7:0] = 1, PASID present
 * 8, RID [31:16], PASID [51:32], Exe 52, Priv 53; qw1 R 0, W 1, LPIG 2 (last
 * page in group), PRG index [11:3], address [63:12]; qw2-qw3 private data
 * (not used: 0).
 *
 * Receive: a queue not set up (PQA = 0) refuses every page request with a
 * Response Failure; when full, PRO is set; while PRO is set the message is
 * discarded and a page request with LPIG = 1 is answered Success by the
 * hardware (the model takes the SMMUv3 rule of IHI0070 8.1 for VT-d too:
 * Linux's prq_event_thread clears PRO only once the ring is empty); else
 * one timed 32-byte write at PQA + PQT, PQT advances, PPR is set.
 * Not modelled: the page request event interrupt (the host's handler is
 * told directly), private data, the context/PASID entry PRE check.
 */
#ifndef IOM_MODELS_VTD_PRQ_H
#define IOM_MODELS_VTD_PRQ_H

#include "pri.h"
#include "vtd.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VTD_PRQ_DSC_BYTES 32u
#define VTD_PRS_PPR 0x1u
#define VTD_PRS_PRO 0x2u
#define VTD_DSC_PAGE_REQ 1u /* page request descriptor type */

static inline void vtd_prq_encode(const struct iom_page_req *r, uint64_t d[4])
{
	d[0] = VTD_DSC_PAGE_REQ | ((uint64_t)r->pasid_valid << 8) | ((uint64_t)(r->rid & 0xffff) << 16) |
	       ((uint64_t)(r->pasid & 0xfffff) << 32) | ((uint64_t)r->exec << 52) |
	       ((uint64_t)r->priv << 53);
	d[1] = (uint64_t)r->read | ((uint64_t)r->write << 1) | ((uint64_t)r->last << 2) |
	       ((uint64_t)(r->prgi & 0x1ff) << 3) | (r->addr & ~0xfffull);
	d[2] = d[3] = 0;
}

static inline void vtd_prq_decode(const uint64_t d[4], struct iom_page_req *r)
{
	*r = (struct iom_page_req){.pasid_valid = (d[0] >> 8) & 1,
				   .rid = (uint32_t)(d[0] >> 16) & 0xffff,
				   .pasid = (uint32_t)(d[0] >> 32) & 0xfffff,
				   .exec = (d[0] >> 52) & 1,
				   .priv = (d[0] >> 53) & 1,
				   .read = d[1] & 1,
				   .write = (d[1] >> 1) & 1,
				   .last = (d[1] >> 2) & 1,
				   .prgi = (uint16_t)((d[1] >> 3) & 0x1ff),
				   .addr = d[1] & ~0xfffull};
}

struct iom_vtd_prq;

struct iom_vtd_prq *iom_vtd_prq_create(struct iom_vtd *v, struct iom_mem *mem,
				       struct iom_err *err);
void iom_vtd_prq_destroy(struct iom_vtd_prq *q);
void iom_vtd_prq_write_pqa(struct iom_vtd_prq *q, uint64_t v); /* resets PQH / PQT */
uint64_t iom_vtd_prq_read_pqa(const struct iom_vtd_prq *q);
uint64_t iom_vtd_prq_read_pqh(const struct iom_vtd_prq *q);
uint64_t iom_vtd_prq_read_pqt(const struct iom_vtd_prq *q);
void iom_vtd_prq_write_pqh(struct iom_vtd_prq *q, uint64_t v);
uint32_t iom_vtd_prq_read_prs(const struct iom_vtd_prq *q);
void iom_vtd_prq_write_prs(struct iom_vtd_prq *q, uint32_t v); /* write 1 to clear */
uint64_t iom_vtd_prq_bytes(const struct iom_vtd_prq *q);

int iom_vtd_prq_receive(struct iom_vtd_prq *q, const struct iom_page_req *r, uint64_t now_ps,
			struct iom_prq_rx *rx, struct iom_err *err);
void iom_vtd_prq_as_prq(struct iom_vtd_prq *q, struct iom_prq *out);

struct iom_vtd_prq_stats {
	uint64_t received, written, discarded, auto_responses, overflows, refused;
	uint64_t stop_markers, max_used;
};
const struct iom_vtd_prq_stats *iom_vtd_prq_stats(const struct iom_vtd_prq *q);
/* <prefix>.prq.* */
int iom_vtd_prq_register_stats(struct iom_vtd_prq *q, struct iom_stats *s, const char *prefix,
			       struct iom_err *err);

#ifdef __cplusplus
}
#endif
#endif
