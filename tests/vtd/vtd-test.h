/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vtd-test.h - what the VT-d model tests share: memory with a fixed latency,
 * a model built from a configuration, hand-written root / context / PASID
 * structures at fixed addresses (raw spec bit values, not the driver's
 * encoders), page tables from the pgtable builder (tested on its own in
 * test_vtd_pgtable.c), and a transaction helper.
 *
 * Memory: 2^40 bytes, DRAM 100 ns, no LLC.  Clock 1000 MHz (1 ns cycles).
 * Fixed structures: ROOT 0x1000_0000 (root table), CTX 0x1000_1000 (the
 * context table of bus 1), PDIR 0x1000_2000 (a PASID directory), PTAB
 * 0x1000_3000 (a PASID table), IQ 0x1000_4000 (invalidation queue, 2 pages),
 * STATUS 0x1000_6000.  Page tables: a buddy allocator over
 * [0x8000_0000, +16 MB): T(0) = 0x8000_0000 is the first table built.
 * Device RID = 0x0108 (bus 1, device 1, function 0: devfn 8): legacy context
 * entry at CTX + 8*16, scalable at CTX + 8*32 (lower half).
 */
#ifndef IOM_TESTS_VTD_TEST_H
#define IOM_TESTS_VTD_TEST_H

#include <criterion/criterion.h>
#include <string.h>

#include "mem.h"
#include "pgtable.h"
#include "vtd-regs.h"
#include "vtd.h"

#define LAT    100000ull
#define ROOT   0x10000000ull
#define CTX    0x10001000ull
#define PDIR   0x10002000ull
#define PTAB   0x10003000ull
#define IQ     0x10004000ull
#define STATUS 0x10006000ull
#define PB     0x80000000ull
#define T(n)   (PB + 0x1000ull * (n))
#define RID    0x0108u
#define DID    7u

static struct iom_mem *mem;
static struct iom_palloc *pal;
static struct iom_pt_alloc alloc;
static struct iom_vtd *vtd;
static struct iom_vtd_cfg vcfg;
static struct iom_err err;

static inline void vt_init(void)
{
	struct iom_mem_cfg mc = {
	    .addr_bits = 40, .dram_latency_ps = LAT, .llc_latency_ps = 0, .seed = 1};
	memset(&err, 0, sizeof(err));
	mem = iom_mem_create(&mc, &err);
	cr_assert_not_null(mem, "%s", err.msg);
	pal = iom_palloc_create(mem, PB, 16ull << 20, &err);
	cr_assert_not_null(pal, "%s", err.msg);
	iom_palloc_as_pt_alloc(pal, &alloc);
	iom_vtd_cfg_default(&vcfg);
	vtd = NULL;
}

static inline void vt_fini(void)
{
	iom_vtd_destroy(vtd);
	iom_palloc_destroy(pal);
	iom_mem_destroy(mem);
}

/* The scalable-mode capabilities on top of the defaults. */
static inline void vt_scalable_caps(void)
{
	vcfg.smts = vcfg.slts = vcfg.flts = vcfg.nest = vcfg.pasid = true;
	vcfg.pss = 20;
	vcfg.srs = vcfg.ers = true;
}

static inline void vt_create(void)
{
	vtd = iom_vtd_create(&vcfg, mem, "dmar0", &err);
	cr_assert_not_null(vtd, "%s", err.msg);
}

/* RTADDR (root | TTM), SRTP, TE. */
static inline void vt_enable(uint32_t ttm)
{
	cr_assert_eq(iom_vtd_write_rtaddr(vtd, ROOT | ((uint64_t)ttm << 10), &err), 0, "%s",
	             err.msg);
	cr_assert_eq(iom_vtd_write_gcmd(vtd, VTD_GCMD_SRTP, &err), 0, "%s", err.msg);
	cr_assert_eq(iom_vtd_write_gcmd(vtd, VTD_GCMD_TE, &err), 0, "%s", err.msg);
}

/* Legacy root entry of bus 1 -> CTX; context entry of RID. */
static inline void vt_legacy_ctx(uint64_t lo, uint64_t hi)
{
	iom_mem_wr64(mem, ROOT + 1 * 16, CTX | 1);
	iom_mem_wr64(mem, CTX + 8 * 16, lo);
	iom_mem_wr64(mem, CTX + 8 * 16 + 8, hi);
}

/* Scalable root (lower half of bus 1 -> CTX), context entry of RID with the
 * PASID directory PDIR of 2^(pdts+7) entries, directory entry 0 -> PTAB. */
static inline void vt_sm_ctx(uint64_t qw0_flags, uint32_t pdts, uint32_t rid_pasid)
{
	iom_mem_wr64(mem, ROOT + 1 * 16, CTX | 1);
	iom_mem_wr64(mem, CTX + 8 * 32, PDIR | ((uint64_t)pdts << 9) | qw0_flags | 1);
	iom_mem_wr64(mem, CTX + 8 * 32 + 8, rid_pasid);
	iom_mem_wr64(mem, PDIR, PTAB | 1);
}

/* PASID-table entry p (< 64) of PTAB. */
static inline void vt_pasid_entry(uint32_t p, uint64_t qw0, uint64_t qw1, uint64_t qw2)
{
	iom_mem_wr64(mem, PTAB + p * 64ull, qw0);
	iom_mem_wr64(mem, PTAB + p * 64ull + 8, qw1);
	iom_mem_wr64(mem, PTAB + p * 64ull + 16, qw2);
}

static inline struct iom_pt *vt_pt(unsigned fmt, unsigned ia)
{
	struct iom_pt_cfg c = {
	    .fmt = (uint8_t)fmt, .granule_shift = 12, .ia_bits = (uint8_t)ia, .oa_bits = 46};
	struct iom_pt *p = iom_pt_create(mem, &c, &alloc, &err);
	cr_assert_not_null(p, "%s", err.msg);
	return p;
}

static inline void vt_map(struct iom_pt *p, uint64_t iova, uint64_t pa, uint64_t size,
                          uint64_t pgsize, uint32_t flags)
{
	cr_assert_eq(iom_pt_map(p, iova, pa, size, pgsize, flags, &err), 0, "%s", err.msg);
}

#define TX_PASID 0x100000000ull /* in vt_tx's pasid argument: request carries a PASID */

static inline struct iom_txn vt_tx(uint32_t rid, uint64_t iova, int write, uint32_t flags,
                                   uint64_t pasid, uint64_t now)
{
	struct iom_txn t = {.rid = rid,
	                    .iova = iova,
	                    .write = (uint8_t)write,
	                    .size = 64,
	                    .issue_ps = now,
	                    .flags = flags};
	if (pasid & TX_PASID) {
		t.flags |= IOM_TXN_PASID_VALID;
		t.pasid = (uint32_t)pasid;
	}
	cr_assert_eq(iom_vtd_translate(vtd, &t, &err), 0, "%s", err.msg);
	return t;
}

#endif
