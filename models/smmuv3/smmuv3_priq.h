/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smmuv3_priq.h - the SMMUv3 PRI queue (IHI0070 chapter 8, registers 6.3):
 * incoming PCIe Page Requests written as 16-byte entries into a ring in
 * memory, with the architected overflow behaviour.
 *
 * A separate object beside struct iom_smmu (it needs only the SMMU's name
 * for its memory requester "<name>.priq"): the register stand-ins below are
 * SMMU_PRIQ_BASE, SMMU_PRIQ_PROD (WR, OVFLG bit 31), SMMU_PRIQ_CONS (RD,
 * OVACKFLG bit 31) and SMMU_CR0.PRIQEN.  Entries are 2^LOG2SIZE slots; PROD
 * and CONS carry a wrap bit at LOG2SIZE (full: same index, wraps differ).
 *
 * Entry (Linux arm-smmu-v3.h PRIQ_0_* / PRIQ_1_*, chapter 8): word 0
 * StreamID [31:0], SubstreamID [51:32], Priv 58, Exec 59, Read 60, Write 61,
 * Last 62, SSV 63; word 1 PRGIndex [8:0], page address [63:12].
 *
 * Receive (8, 8.1, 8.2):
 *  PRIQEN = 0: nothing written; every page request (not a Stop Marker) is
 *      answered Response Failure without a PASID.
 *  overflow condition active (OVFLG != OVACKFLG): the message is discarded; a
 *      Last page request gets an automatic Success response (with its PASID:
 *      the model advertises IDR3.PPS = 1), a Stop Marker or Last = 0 nothing.
 *  full: the overflow condition starts (OVFLG toggles), the message is
 *      discarded and answered as above.
 *  else: one timed 16-byte write at BASE + (WR mod size) * 16, WR + 1.
 * Software acknowledges an overflow by writing CONS with OVACKFLG = OVFLG.
 * Not modelled: the PRIQ interrupt (the host's handler is told directly),
 * external aborts on queue writes (PRIQ_ABT_ERR), Secure streams, STE.PPAR.
 */
#ifndef IOM_MODELS_SMMUV3_PRIQ_H
#define IOM_MODELS_SMMUV3_PRIQ_H

#include "pri.h"
#include "smmuv3.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SMMU_PRIQ_ENT_BYTES 16u
#define SMMU_PRIQ_MAX_LOG2 19u
#define SMMU_PRIQ_OVFLG (1u << 31)

/* Entry fields (chapter 8). */
static inline uint64_t smmu_priq_w0(const struct iom_page_req *r)
{
	return (uint64_t)r->rid | ((uint64_t)(r->pasid & 0xfffff) << 32) |
	       ((uint64_t)r->priv << 58) | ((uint64_t)r->exec << 59) | ((uint64_t)r->read << 60) |
	       ((uint64_t)r->write << 61) | ((uint64_t)r->last << 62) |
	       ((uint64_t)r->pasid_valid << 63);
}
static inline uint64_t smmu_priq_w1(const struct iom_page_req *r)
{
	return (uint64_t)(r->prgi & 0x1ff) | (r->addr & ~0xfffull);
}
static inline void smmu_priq_decode(const uint64_t e[2], struct iom_page_req *r)
{
	*r = (struct iom_page_req){.rid = (uint32_t)e[0],
				   .pasid = (uint32_t)(e[0] >> 32) & 0xfffff,
				   .priv = (e[0] >> 58) & 1,
				   .exec = (e[0] >> 59) & 1,
				   .read = (e[0] >> 60) & 1,
				   .write = (e[0] >> 61) & 1,
				   .last = (e[0] >> 62) & 1,
				   .pasid_valid = (e[0] >> 63) & 1,
				   .prgi = (uint16_t)(e[1] & 0x1ff),
				   .addr = e[1] & ~0xfffull};
}

struct iom_smmu_priq;

struct iom_smmu_priq *iom_smmu_priq_create(struct iom_smmu *smmu, struct iom_mem *mem,
					   struct iom_err *err);
void iom_smmu_priq_destroy(struct iom_smmu_priq *q);
/* SMMU_PRIQ_BASE: ADDR [51:5] | LOG2SIZE [4:0] (capped at 19); resets PROD/CONS. */
void iom_smmu_priq_write_base(struct iom_smmu_priq *q, uint64_t v);
/* SMMU_CR0.PRIQEN. */
void iom_smmu_priq_enable(struct iom_smmu_priq *q, bool on);
uint32_t iom_smmu_priq_read_prod(const struct iom_smmu_priq *q); /* with OVFLG */
uint32_t iom_smmu_priq_read_cons(const struct iom_smmu_priq *q);
void iom_smmu_priq_write_cons(struct iom_smmu_priq *q, uint32_t v); /* with OVACKFLG */
uint64_t iom_smmu_priq_base(const struct iom_smmu_priq *q);  /* ADDR */
uint32_t iom_smmu_priq_log2(const struct iom_smmu_priq *q);

/* One incoming message at now_ps (outcome in *rx). */
int iom_smmu_priq_receive(struct iom_smmu_priq *q, const struct iom_page_req *r, uint64_t now_ps,
			  struct iom_prq_rx *rx, struct iom_err *err);
/* The generic view (pri.h) for the root complex. */
void iom_smmu_priq_as_prq(struct iom_smmu_priq *q, struct iom_prq *out);

struct iom_smmu_priq_stats {
	uint64_t received, written, discarded, auto_responses, overflows, refused;
	uint64_t stop_markers; /* among the received */
	uint64_t max_used;     /* most entries held at once */
};
const struct iom_smmu_priq_stats *iom_smmu_priq_stats(const struct iom_smmu_priq *q);
/* <prefix>.priq.* */
int iom_smmu_priq_register_stats(struct iom_smmu_priq *q, struct iom_stats *s, const char *prefix,
				 struct iom_err *err);

#ifdef __cplusplus
}
#endif
#endif
