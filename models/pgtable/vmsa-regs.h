/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vmsa-regs.h - VMSAv8-64 translation-table descriptor fields (private to
 * models/pgtable).  Arm DDI0487 D8.3 "Translation table descriptor formats"
 * (K.a numbering): stage 1 and stage 2, 4/16/64 KB granules.  The address
 * field is [47:g] (g = granule shift; the bits below g are RES0 for 16 KB and
 * 64 KB); with the 64 KB granule and FEAT_LPA, descriptor bits [15:12] hold
 * OA[51:48].  FEAT_LPA2 (OA[51:50] in [9:8]) is not modelled.
 *
 * One accessor per field; model code uses only these, never a raw shift.
 * Bit positions are given as [hi:lo] inclusive, as in the spec.
 */
#ifndef IOM_MODELS_PGTABLE_VMSA_REGS_H
#define IOM_MODELS_PGTABLE_VMSA_REGS_H

#include <stdbool.h>
#include <stdint.h>

/* Mask of bits [hi:lo]. */
#define VMSA_GENMASK(hi, lo) ((~0ull >> (63 - (hi))) & ~((1ull << (lo)) - 1))

/* ---- fields common to all descriptors (D8.3.1) ---- */
#define VMSA_D_VALID       VMSA_GENMASK(0, 0)   /* [0]   1 = valid */
#define VMSA_D_TYPE        VMSA_GENMASK(1, 1)   /* [1]   1 = table (L0-L2) / page (L3); 0 = block */
#define VMSA_D_ADDR        VMSA_GENMASK(47, 12) /* [47:12] next-table address / output address */
#define VMSA_D_ADDR_HI64K  VMSA_GENMASK(15, 12) /* [15:12] OA[51:48], 64 KB granule + FEAT_LPA */
#define VMSA_ADDR_HI_SHIFT 48u                  /* OA bit that VMSA_D_ADDR_HI64K[0] holds */

/* ---- block and page descriptors, stage 1: lower attributes [11:2] ---- */
#define VMSA_D_ATTRINDX VMSA_GENMASK(4, 2)   /* [4:2] AttrIndx: index into MAIR_ELx */
#define VMSA_D_NS       VMSA_GENMASK(5, 5)   /* [5]   NS (Secure state only) */
#define VMSA_D_AP1      VMSA_GENMASK(6, 6)   /* [6]   AP[1]: 1 = unprivileged (EL0) access */
#define VMSA_D_AP2      VMSA_GENMASK(7, 7)   /* [7]   AP[2]: 1 = read-only */
#define VMSA_D_SH       VMSA_GENMASK(9, 8)   /* [9:8] SH: shareability */
#define VMSA_D_AF       VMSA_GENMASK(10, 10) /* [10]  AF: access flag */
#define VMSA_D_NG       VMSA_GENMASK(11, 11) /* [11]  nG: not global (ASID-tagged) */
/* ---- upper attributes [63:50] ---- */
#define VMSA_D_DBM  VMSA_GENMASK(51, 51) /* [51]  DBM: dirty bit modifier */
#define VMSA_D_CONT VMSA_GENMASK(52, 52) /* [52]  Contiguous hint */
#define VMSA_D_PXN  VMSA_GENMASK(53, 53) /* [53]  PXN: privileged execute-never */
#define VMSA_D_UXN  VMSA_GENMASK(54, 54) /* [54]  UXN/XN: unprivileged execute-never */

/* ---- block and page descriptors, stage 2 (D8.3.2): lower attributes [11:2] ---- */
#define VMSA_S2_MEMATTR VMSA_GENMASK(5, 2) /* [5:2] MemAttr[3:0] (FWB = 0) */
#define VMSA_S2_S2AP_R  VMSA_GENMASK(6, 6) /* [6]   S2AP[0]: read allowed */
#define VMSA_S2_S2AP_W  VMSA_GENMASK(7, 7) /* [7]   S2AP[1]: write allowed */
/* SH [9:8], AF [10], DBM [51], Contiguous [52] as for stage 1; bit 11 is RES0. */
#define VMSA_S2_XN VMSA_GENMASK(54, 53) /* [54:53] XN[1:0] (FEAT_XNX) */

/* ---- table descriptors, stage 1: hierarchical controls [63:59] (D8.4.2) ---- */
#define VMSA_T_PXNTABLE VMSA_GENMASK(59, 59) /* [59] PXNTable */
#define VMSA_T_UXNTABLE VMSA_GENMASK(60, 60) /* [60] UXNTable/XNTable */
#define VMSA_T_APTABLE0 VMSA_GENMASK(61, 61) /* [61] APTable[0]: 1 = no EL0 access below */
#define VMSA_T_APTABLE1 VMSA_GENMASK(62, 62) /* [62] APTable[1]: 1 = no write access below */
#define VMSA_T_NSTABLE  VMSA_GENMASK(63, 63) /* [63] NSTable */

/* Field values. */
#define VMSA_SH_INNER             3u   /* SH = 0b11 Inner Shareable */
#define VMSA_ATTRINDX_NORMAL      0u   /* MAIR index 0: by convention Normal WB memory */
#define VMSA_S2_MEMATTR_NORMAL_WB 0xfu /* MemAttr 0b1111: Normal, Outer/Inner Write-back */
/* S2 XN[1:0] (FEAT_XNX): 00 executable at EL1 and EL0, 01 not at EL1, 10 at
 * neither, 11 not at EL0.  Devices are treated as EL0 (unprivileged). */
#define VMSA_S2_XN_NONE 0u
#define VMSA_S2_XN_ALL  2u

/* Extract / place a field given its mask (mask is a constant, never 0). */
static inline uint64_t vmsa_get(uint64_t d, uint64_t mask)
{
	return (d & mask) >> __builtin_ctzll(mask);
}

static inline uint64_t vmsa_put(uint64_t mask, uint64_t v)
{
	return (v << __builtin_ctzll(mask)) & mask;
}

/* Named accessors: one per field the model reads. */
static inline bool vmsa_d_valid(uint64_t d)
{
	return vmsa_get(d, VMSA_D_VALID);
}
static inline bool vmsa_d_type_table_page(uint64_t d)
{
	return vmsa_get(d, VMSA_D_TYPE);
}
static inline uint64_t vmsa_d_addr(uint64_t d)
{
	return d & VMSA_D_ADDR;
}
static inline unsigned vmsa_d_attrindx(uint64_t d)
{
	return (unsigned)vmsa_get(d, VMSA_D_ATTRINDX);
}
static inline bool vmsa_d_ap1_unpriv(uint64_t d)
{
	return vmsa_get(d, VMSA_D_AP1);
}
static inline bool vmsa_d_ap2_rdonly(uint64_t d)
{
	return vmsa_get(d, VMSA_D_AP2);
}
static inline unsigned vmsa_d_sh(uint64_t d)
{
	return (unsigned)vmsa_get(d, VMSA_D_SH);
}
static inline bool vmsa_d_af(uint64_t d)
{
	return vmsa_get(d, VMSA_D_AF);
}
static inline bool vmsa_d_ng(uint64_t d)
{
	return vmsa_get(d, VMSA_D_NG);
}
static inline bool vmsa_d_dbm(uint64_t d)
{
	return vmsa_get(d, VMSA_D_DBM);
}
static inline bool vmsa_d_pxn(uint64_t d)
{
	return vmsa_get(d, VMSA_D_PXN);
}
static inline bool vmsa_d_uxn(uint64_t d)
{
	return vmsa_get(d, VMSA_D_UXN);
}
static inline bool vmsa_d_cont(uint64_t d)
{
	return vmsa_get(d, VMSA_D_CONT);
}
static inline unsigned vmsa_d_addr_hi64k(uint64_t d)
{
	return (unsigned)vmsa_get(d, VMSA_D_ADDR_HI64K);
}
static inline bool vmsa_s2_read(uint64_t d)
{
	return vmsa_get(d, VMSA_S2_S2AP_R);
}
static inline bool vmsa_s2_write(uint64_t d)
{
	return vmsa_get(d, VMSA_S2_S2AP_W);
}
static inline unsigned vmsa_s2_xn(uint64_t d)
{
	return (unsigned)vmsa_get(d, VMSA_S2_XN);
}
static inline bool vmsa_t_pxntable(uint64_t d)
{
	return vmsa_get(d, VMSA_T_PXNTABLE);
}
static inline bool vmsa_t_uxntable(uint64_t d)
{
	return vmsa_get(d, VMSA_T_UXNTABLE);
}
static inline bool vmsa_t_aptable0_no_el0(uint64_t d)
{
	return vmsa_get(d, VMSA_T_APTABLE0);
}
static inline bool vmsa_t_aptable1_no_write(uint64_t d)
{
	return vmsa_get(d, VMSA_T_APTABLE1);
}

#endif
