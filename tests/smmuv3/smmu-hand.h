/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smmu-hand.h - fixture and hand-written structures for the SMMUv3 translation tests
 * (test_smmuv3_granules.c, _s2.c, _events.c, _httu.c): STEs, CDs and VMSAv8-64
 * descriptors are written word by word into simulated memory at fixed addresses, as a
 * guest's stores would, so every expected value follows from the spec's field layouts
 * and index rules, not from the model's own builders.
 *
 * Memory: 40-bit PAs, fixed DRAM latency D = 80 ns, no LLC. The driver (smmuv3_drv)
 * only allocates the stream table (256 STEs, all abort) and the queues, from
 * [0x10000000, 0x14000000); tables under test live below 0x10000000.
 * Include once per test program (it defines the fixture and static helpers).
 */
#ifndef IOM_TESTS_SMMU_HAND_H
#define IOM_TESTS_SMMU_HAND_H

#include <criterion/criterion.h>
#include <string.h>

#include "log.h"
#include "mem.h"
#include "smmuv3-regs.h"
#include "smmuv3.h"
#include "smmuv3_drv.h"

#define D 80000ull
#define P 1000ull
#define MS 1000000000ull

static struct {
	struct iom_mem *mem;
	struct iom_palloc *pa;
	struct iom_smmu *smmu;
	struct iom_smmu_drv *drv;
	struct iom_smmu_cfg cfg;
	struct iom_err err;
	uint64_t now;
} F;

#define OK(x) cr_assert_eq((x), 0, "%s", F.err.msg)

static inline void hand_fini(void)
{
	iom_smmu_drv_destroy(F.drv);
	iom_smmu_destroy(F.smmu);
	iom_palloc_destroy(F.pa);
	iom_mem_destroy(F.mem);
	F.drv = NULL;
	F.smmu = NULL;
	F.pa = NULL;
	F.mem = NULL;
}

/* (Re)build everything with the default SMMU configuration changed by tweak. */
static inline void hand_setup(void (*tweak)(struct iom_smmu_cfg *))
{
	struct iom_mem_cfg mc = { .addr_bits = 40, .dram_latency_ps = D, .llc_latency_ps = 0 };

	if (F.mem)
		hand_fini();
	iom_log_enable(IOM_LOG_GUEST_ERROR, 0);
	iom_log_enable(IOM_LOG_UNIMP, 0);
	F.mem = iom_mem_create(&mc, &F.err);
	cr_assert_not_null(F.mem, "%s", F.err.msg);
	F.pa = iom_palloc_create(F.mem, 0x10000000, 0x4000000, &F.err);
	cr_assert_not_null(F.pa, "%s", F.err.msg);
	iom_smmu_cfg_default(&F.cfg);
	if (tweak)
		tweak(&F.cfg);
	F.smmu = iom_smmu_create(&F.cfg, F.mem, "smmu0", &F.err);
	cr_assert_not_null(F.smmu, "%s", F.err.msg);
	F.drv = iom_smmu_drv_create(F.smmu, F.mem, F.pa, 8, 6, 3, &F.err);
	cr_assert_not_null(F.drv, "%s", F.err.msg);
	F.now = MS;
}

static inline void hand_init(void)
{
	memset(&F, 0, sizeof(F));
	hand_setup(NULL);
}

static inline uint64_t tick(void)
{
	F.now += MS;
	return F.now;
}

static inline void wr64(uint64_t pa, uint64_t v)
{
	cr_assert_eq(iom_mem_write(F.mem, pa, &v, 8, &F.err), 0, "%s", F.err.msg);
}

static inline uint64_t rd64(uint64_t pa)
{
	return iom_mem_rd64(F.mem, pa);
}

static inline void wr_words(uint64_t pa, const uint64_t *w)
{
	cr_assert_eq(iom_mem_write(F.mem, pa, w, 64, &F.err), 0, "%s", F.err.msg);
}

/* ---- VMSAv8-64 descriptors (DDI0487 D8.3) ---- */
#define PTE_AF (1ull << 10)
#define PTE_NG (1ull << 11)
#define PTE_AP1 (1ull << 6)   /* stage 1: unprivileged access */
#define PTE_AP2 (1ull << 7)   /* stage 1: read-only */
#define PTE_S2R (1ull << 6)   /* S2AP[0]: read */
#define PTE_S2W (1ull << 7)   /* S2AP[1]: write */
#define PTE_DBM (1ull << 51)
#define PTE_CONT (1ull << 52)
#define PTE_S2ATTR (0xfull << 2) /* MemAttr Normal WB */

static inline uint64_t d_table(uint64_t pa) { return pa | 3; }
/* Stage 1, user read/write, non-global, AF = 1. */
static inline uint64_t s1_page(uint64_t pa) { return pa | 3 | PTE_AF | PTE_AP1 | PTE_NG; }
static inline uint64_t s1_block(uint64_t pa) { return pa | 1 | PTE_AF | PTE_AP1 | PTE_NG; }
/* Stage 2, read/write, AF = 1. */
static inline uint64_t s2_page(uint64_t pa) { return pa | 3 | PTE_AF | PTE_S2R | PTE_S2W | PTE_S2ATTR; }
static inline uint64_t s2_block(uint64_t pa) { return pa | 1 | PTE_AF | PTE_S2R | PTE_S2W | PTE_S2ATTR; }

/* Index of `ia` at a level whose entries span 2^shift bytes, in a table of 2^bits entries. */
static inline uint64_t idx(uint64_t ia, unsigned shift, unsigned bits)
{
	return (ia >> shift) & ((1ull << bits) - 1);
}

/* ---- STE (5.2) and CD (5.4) ---- */
static inline uint64_t ste_pa(uint32_t sid)
{
	return iom_smmu_drv_strtab(F.drv) + (uint64_t)sid * 64;
}

/* Stage-1 STE with one CD at ctxptr (Config = 0b101, VMID 0). */
static inline void ste_s1(uint32_t sid, uint64_t ctxptr)
{
	uint64_t ste[8] = { 0 };
	smmu_ste_set_v(ste, 1);
	smmu_ste_set_config(ste, SMMU_STE_CFG_S1);
	smmu_ste_set_s1ctxptr(ste, ctxptr);
	wr_words(ste_pa(sid), ste);
}

/* Stage-2 fields of an STE: 4 KB-style arguments as the STE encodes them. */
struct s2_args {
	uint32_t config;  /* SMMU_STE_CFG_S2 or _NESTED */
	uint16_t vmid;
	uint32_t t0sz, sl0, tg, ps;
	uint64_t ttb, ctxptr;
	uint32_t ha, hd, affd;
};

static inline void ste_s2_words(uint64_t ste[8], const struct s2_args *a)
{
	memset(ste, 0, 64);
	smmu_ste_set_v(ste, 1);
	smmu_ste_set_config(ste, a->config);
	smmu_ste_set_s1ctxptr(ste, a->ctxptr);
	smmu_ste_set_s2vmid(ste, a->vmid);
	smmu_ste_set_s2t0sz(ste, a->t0sz);
	smmu_ste_set_s2sl0(ste, a->sl0);
	smmu_ste_set_s2tg(ste, a->tg);
	smmu_ste_set_s2ps(ste, a->ps);
	smmu_ste_set_s2aa64(ste, 1);
	smmu_ste_set_s2r(ste, 1);
	smmu_ste_set_s2ha(ste, a->ha);
	smmu_ste_set_s2hd(ste, a->hd);
	smmu_ste_set_s2affd(ste, a->affd);
	smmu_ste_set_s2ttb(ste, a->ttb);
}

static inline void ste_s2(uint32_t sid, const struct s2_args *a)
{
	uint64_t ste[8];
	ste_s2_words(ste, a);
	wr_words(ste_pa(sid), ste);
}

/* A CD translating TTB0 with granule tg0 (CD.TG0 encoding), T0SZ, IPS 48 bits, ASID 1,
 * EPD1 = 1, R = A = AA64 = V = 1. */
static inline void cd_words(uint64_t cd[8], uint32_t tg0, uint32_t t0sz, uint64_t ttb0)
{
	memset(cd, 0, 64);
	smmu_cd_set_t0sz(cd, t0sz);
	smmu_cd_set_tg0(cd, tg0);
	smmu_cd_set_epd1(cd, 1);
	smmu_cd_set_v(cd, 1);
	smmu_cd_set_ips(cd, 5);
	smmu_cd_set_aa64(cd, 1);
	smmu_cd_set_r(cd, 1);
	smmu_cd_set_a(cd, 1);
	smmu_cd_set_asid(cd, 1);
	smmu_cd_set_ttb0(cd, ttb0);
}

static inline struct iom_txn go(uint32_t sid, uint64_t iova, int write, uint32_t flags)
{
	struct iom_txn t = { .rid = sid, .iova = iova, .write = (uint8_t)write, .flags = flags,
			     .size = 64, .issue_ps = tick() };
	OK(iom_smmu_translate(F.smmu, &t, &F.err));
	return t;
}

static inline void expect_event(uint64_t w0, uint64_t w1, uint64_t w2, uint64_t w3)
{
	uint64_t ev[4];
	cr_assert_eq(iom_smmu_drv_read_event(F.drv, ev), 1, "no event record");
	cr_expect_eq(ev[0], w0, "word0 0x%016llx != 0x%016llx", (unsigned long long)ev[0],
		     (unsigned long long)w0);
	cr_expect_eq(ev[1], w1, "word1 0x%016llx != 0x%016llx", (unsigned long long)ev[1],
		     (unsigned long long)w1);
	cr_expect_eq(ev[2], w2, "word2 0x%016llx != 0x%016llx", (unsigned long long)ev[2],
		     (unsigned long long)w2);
	cr_expect_eq(ev[3], w3, "word3 0x%016llx != 0x%016llx", (unsigned long long)ev[3],
		     (unsigned long long)w3);
}

static inline void expect_no_event(void)
{
	uint64_t ev[4];
	cr_assert_eq(iom_smmu_drv_read_event(F.drv, ev), 0, "unexpected event 0x%016llx",
		     (unsigned long long)ev[0]);
}

/* Event word-1 fields (7.3): RnW 35, S2 39, CLASS [41:40], TTRnW 44, PnU 33, InD 34. */
#define EV_RNW (1ull << 35)
#define EV_S2 (1ull << 39)
#define EV_PNU (1ull << 33)
#define EV_IND (1ull << 34)
#define EV_TTRNW (1ull << 44)
#define EV_CLASS_CD (0ull << 40)
#define EV_CLASS_TT (1ull << 40)
#define EV_CLASS_IN (2ull << 40)
#define EV_W0(id, sid) ((uint64_t)(id) | ((uint64_t)(sid) << 32))

#endif
