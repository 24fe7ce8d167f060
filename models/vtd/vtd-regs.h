/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vtd-regs.h - Intel VT-d (Architecture Specification rev. 3.x/4.x) constants
 * and one accessor per hardware field: registers (chapter 11), root /
 * context / PASID structures (chapter 9), invalidation descriptors (6.5.2)
 * and fault reasons (chapter 7, appendix A).  Field positions are given
 * within the 64-bit word the accessor takes (qw0, qw1, ... of a structure),
 * with the spec's absolute bit numbers in the comment where they differ.
 * Model code uses only these accessors: no magic shifts elsewhere.
 */
#ifndef IOM_MODELS_VTD_REGS_H
#define IOM_MODELS_VTD_REGS_H

#include <stdint.h>

static inline uint64_t vtd_bits(uint64_t v, unsigned hi, unsigned lo)
{
	return (v >> lo) & (hi - lo == 63 ? ~0ull : ((1ull << (hi - lo + 1)) - 1));
}

static inline uint64_t vtd_put(uint64_t v, unsigned hi, unsigned lo, uint64_t x)
{
	uint64_t m = (hi - lo == 63 ? ~0ull : ((1ull << (hi - lo + 1)) - 1)) << lo;
	return (v & ~m) | ((x << lo) & m);
}

/* A getter vtd_<name>(word) and a setter vtd_set_<name>(word, value). */
#define VTD_FIELD(name, hi, lo)                                                                    \
	static inline uint64_t vtd_##name(uint64_t v)                                              \
	{                                                                                          \
		return vtd_bits(v, hi, lo);                                                        \
	}                                                                                          \
	static inline uint64_t vtd_set_##name(uint64_t v, uint64_t x)                              \
	{                                                                                          \
		return vtd_put(v, hi, lo, x);                                                      \
	}

/* Address fields keep their position: [63:12] masked, not shifted. */
#define VTD_ADDR_4K 0xfffffffffffff000ull
static inline uint64_t vtd_addr(uint64_t v)
{
	return v & VTD_ADDR_4K;
}

/* ---------------------------------------------------------------------- */
/* Capability register (11.4.2).                                           */
VTD_FIELD(cap_nd, 2, 0) /* number of domains: 2^(4 + 2*ND) */
VTD_FIELD(cap_plmr, 5, 5)
VTD_FIELD(cap_phmr, 6, 6)
VTD_FIELD(cap_cm, 7, 7)     /* caching mode */
VTD_FIELD(cap_sagaw, 12, 8) /* bit 1: 39-bit/3-level, bit 2: 48/4, bit 3: 57/5 */
VTD_FIELD(cap_mgaw, 21, 16) /* MGAW - 1 */
VTD_FIELD(cap_zlr, 22, 22)
VTD_FIELD(cap_fro, 33, 24)   /* fault-recording register offset / 16 */
VTD_FIELD(cap_sllps, 37, 34) /* bit 0: 2 MB, bit 1: 1 GB second-level pages */
VTD_FIELD(cap_psi, 39, 39)   /* page-selective invalidation */
VTD_FIELD(cap_nfr, 47, 40)   /* number of fault-recording registers - 1 */
VTD_FIELD(cap_mamv, 53, 48)  /* maximum address mask value */
VTD_FIELD(cap_dwd, 54, 54)
VTD_FIELD(cap_drd, 55, 55)
VTD_FIELD(cap_fl1gp, 56, 56) /* first-level 1 GB pages */
VTD_FIELD(cap_pi, 59, 59)
VTD_FIELD(cap_fl5lp, 60, 60) /* first-level 5-level paging */

/* Extended capability register (11.4.3). */
VTD_FIELD(ecap_c, 0, 0)  /* page-walk coherency */
VTD_FIELD(ecap_qi, 1, 1) /* queued invalidation */
VTD_FIELD(ecap_dt, 2, 2) /* device-TLB */
VTD_FIELD(ecap_ir, 3, 3)
VTD_FIELD(ecap_eim, 4, 4)
VTD_FIELD(ecap_pt, 6, 6)   /* pass-through */
VTD_FIELD(ecap_sc, 7, 7)   /* snoop control */
VTD_FIELD(ecap_iro, 17, 8) /* IOTLB register offset / 16 */
VTD_FIELD(ecap_mhmv, 23, 20)
VTD_FIELD(ecap_nest, 26, 26) /* nested translation */
VTD_FIELD(ecap_prs, 29, 29)  /* page requests */
VTD_FIELD(ecap_ers, 30, 30)  /* execute requests */
VTD_FIELD(ecap_srs, 31, 31)  /* supervisor requests */
VTD_FIELD(ecap_pss, 39, 35)  /* PASID size supported - 1 */
VTD_FIELD(ecap_pasid, 40, 40)
VTD_FIELD(ecap_smts, 43, 43)  /* scalable-mode translation */
VTD_FIELD(ecap_slads, 45, 45) /* second-level A/D */
VTD_FIELD(ecap_slts, 46, 46)  /* second-level translation (scalable mode) */
VTD_FIELD(ecap_flts, 47, 47)  /* first-level translation (scalable mode) */

/* SAGAW bits and the AW encoding of context / PASID entries (AW = levels - 2). */
#define VTD_AW_39 1u
#define VTD_AW_48 2u
#define VTD_AW_57 3u

/* ---------------------------------------------------------------------- */
/* Global command / status (11.4.4, 11.4.5), root-table address (11.4.6). */
#define VTD_GCMD_TE   (1u << 31)
#define VTD_GCMD_SRTP (1u << 30)
#define VTD_GCMD_QIE  (1u << 26)
#define VTD_GSTS_TES  (1u << 31)
#define VTD_GSTS_RTPS (1u << 30)
#define VTD_GSTS_QIES (1u << 26)

VTD_FIELD(rtaddr_ttm, 11, 10) /* 00 legacy, 01 scalable, 11 abort-DMA */
#define VTD_TTM_LEGACY   0u
#define VTD_TTM_SCALABLE 1u
#define VTD_TTM_ABORT    3u

/* Fault status (11.4.7.1). */
#define VTD_FSTS_PFO (1u << 0) /* primary fault overflow */
#define VTD_FSTS_PPF (1u << 1) /* primary pending fault */
#define VTD_FSTS_IQE (1u << 4) /* invalidation queue error */
#define VTD_FSTS_ICE (1u << 5)
#define VTD_FSTS_ITE (1u << 6)  /* invalidation time-out error */
VTD_FIELD(fsts_fri, 15, 8)      /* fault record index */
#define VTD_FECTL_IM (1u << 31) /* fault event interrupt mask */

/* Fault-recording register (11.4.14), 128 bits: lo = FI [63:12],
 * hi = SID [79:64], T2 [92], PRIV [93], EXE [94], PP [95], FR [103:96],
 * PV [123:104], AT [125:124], T1 [126], F [127]. */
VTD_FIELD(frcd_sid, 15, 0)
VTD_FIELD(frcd_t2, 28, 28)
VTD_FIELD(frcd_priv, 29, 29)
VTD_FIELD(frcd_exe, 30, 30)
VTD_FIELD(frcd_pp, 31, 31)
VTD_FIELD(frcd_fr, 39, 32)
VTD_FIELD(frcd_pv, 59, 40)
VTD_FIELD(frcd_at, 61, 60)
VTD_FIELD(frcd_t1, 62, 62) /* with T2 = 0: 0 write, 1 read */
VTD_FIELD(frcd_f, 63, 63)

/* Invalidation queue (11.4.9): IQA = base [63:12] | DW [11] | QS [2:0];
 * IQH / IQT hold the byte offset of a descriptor in [18:4]. */
VTD_FIELD(iqa_qs, 2, 0)
VTD_FIELD(iqa_dw, 11, 11)
VTD_FIELD(iq_off, 18, 4)
#define VTD_ICS_IWC 1u
/* IQERCD.IQEI (11.4.9.8). */
#define VTD_IQEI_NONE  0u
#define VTD_IQEI_TAIL  1u /* tail pointer beyond the queue */
#define VTD_IQEI_FETCH 2u /* descriptor fetch error */
#define VTD_IQEI_TYPE  3u /* invalid descriptor type */
#define VTD_IQEI_RSVD  4u /* reserved field set */
#define VTD_IQEI_WIDTH 5u /* descriptor width / type mismatch */
#define VTD_IQEI_ALIGN 6u /* tail misaligned (256-bit descriptors) */
#define VTD_IQEI_TTM   7u /* descriptor invalid in this TTM */

/* ---------------------------------------------------------------------- */
/* Root entries (9.1, 9.2): 128 bits.                                      */
VTD_FIELD(re_p, 0, 0)     /* legacy lo: present; scalable lo: LP */
VTD_FIELD(re_rsvd, 11, 1) /* reserved in lo (and in a scalable hi) */
/* Legacy hi is reserved; scalable hi: UP [64], UCTP [127:76]. */

/* Legacy context entry (9.3): lo P [0], FPD [1], TT [3:2], SLPTPTR [63:12];
 * hi AW [66:64], AVAIL [70:67], DID [87:72]. */
VTD_FIELD(ce_p, 0, 0)
VTD_FIELD(ce_fpd, 1, 1)
VTD_FIELD(ce_tt, 3, 2)
VTD_FIELD(ce_lo_rsvd, 11, 4)
VTD_FIELD(ce_aw, 2, 0)        /* hi */
VTD_FIELD(ce_hi_rsvd7, 7, 7)  /* hi */
VTD_FIELD(ce_did, 23, 8)      /* hi */
VTD_FIELD(ce_hi_rsvd, 63, 24) /* hi */
#define VTD_TT_SL    0u       /* untranslated requests through the second level */
#define VTD_TT_SL_DT 1u       /* same, device-TLB allowed */
#define VTD_TT_PT    2u       /* pass-through */

/* Scalable-mode context entry (9.4), 256 bits: qw0 P [0], FPD [1], DTE [2],
 * PASIDE [3], PRE [4], PDTS [11:9], PASIDDIRPTR [63:12]; qw1 RID_PASID
 * [83:64], RID_PRIV [84]; qw2, qw3 reserved. */
VTD_FIELD(smce_p, 0, 0)
VTD_FIELD(smce_fpd, 1, 1)
VTD_FIELD(smce_dte, 2, 2)
VTD_FIELD(smce_paside, 3, 3)
VTD_FIELD(smce_pre, 4, 4)
VTD_FIELD(smce_rsvd0, 8, 5)
VTD_FIELD(smce_pdts, 11, 9)      /* PASID directory of 2^(PDTS + 7) entries */
VTD_FIELD(smce_rid_pasid, 19, 0) /* qw1 */
VTD_FIELD(smce_rid_priv, 20, 20) /* qw1 */
VTD_FIELD(smce_rsvd1, 63, 21)    /* qw1 */

/* PASID directory entry (9.5): P [0], FPD [1], PTP [63:12]. */
VTD_FIELD(pde_p, 0, 0)
VTD_FIELD(pde_fpd, 1, 1)
VTD_FIELD(pde_rsvd, 11, 2)

/* Scalable-mode PASID table entry (9.6), 512 bits:
 * qw0 P [0], FPD [1], AW [4:2], SLEE [5], PGTT [8:6], SLADE [9],
 *     SLPTPTR [63:12];
 * qw1 DID [79:64], PWSNP [87], PGSNP [88];
 * qw2 SRE [128], ERE [129], FLPM [131:130], WPE [132], FLPTPTR [191:140];
 * qw3..qw7 reserved here. */
VTD_FIELD(pte_p, 0, 0)
VTD_FIELD(pte_fpd, 1, 1)
VTD_FIELD(pte_aw, 4, 2)
VTD_FIELD(pte_slee, 5, 5)
VTD_FIELD(pte_pgtt, 8, 6)
VTD_FIELD(pte_slade, 9, 9)
VTD_FIELD(pte_rsvd0, 11, 10)
VTD_FIELD(pte_did, 15, 0)    /* qw1 */
VTD_FIELD(pte_pwsnp, 23, 23) /* qw1 */
VTD_FIELD(pte_pgsnp, 24, 24) /* qw1 */
VTD_FIELD(pte_sre, 0, 0)     /* qw2 */
VTD_FIELD(pte_ere, 1, 1)     /* qw2 */
VTD_FIELD(pte_flpm, 3, 2)    /* qw2: 0 4-level, 1 5-level */
VTD_FIELD(pte_wpe, 4, 4)     /* qw2 */
VTD_FIELD(pte_rsvd2, 11, 8)  /* qw2 */
#define VTD_PGTT_FL     1u   /* first level only */
#define VTD_PGTT_SL     2u   /* second level only */
#define VTD_PGTT_NESTED 3u   /* first level nested over second level */
#define VTD_PGTT_PT     4u   /* pass-through */

#define VTD_ROOT_BYTES     16u
#define VTD_CE_BYTES       16u
#define VTD_SMCE_BYTES     32u
#define VTD_PDE_BYTES      8u
#define VTD_PTE_BYTES      64u
#define VTD_PASID_MAX_BITS 20u

/* ---------------------------------------------------------------------- */
/* Invalidation descriptors (6.5.2): type = qw0 [3:0] | qw0 [11:9] << 4.   */
static inline uint64_t vtd_dsc_type(uint64_t qw0)
{
	return vtd_bits(qw0, 3, 0) | vtd_bits(qw0, 11, 9) << 4;
}
static inline uint64_t vtd_set_dsc_type(uint64_t qw0, uint64_t t)
{
	return vtd_put(vtd_put(qw0, 3, 0, t & 0xf), 11, 9, t >> 4);
}
#define VTD_DSC_CC       1u /* context-cache invalidate */
#define VTD_DSC_IOTLB    2u /* IOTLB invalidate */
#define VTD_DSC_DEVTLB   3u /* device-TLB invalidate */
#define VTD_DSC_IEC      4u /* interrupt-entry-cache invalidate */
#define VTD_DSC_WAIT     5u /* invalidation wait */
#define VTD_DSC_PIOTLB   6u /* PASID-based IOTLB invalidate */
#define VTD_DSC_PC       7u /* PASID-cache invalidate */
#define VTD_DSC_PDEVTLB  8u /* PASID-based device-TLB invalidate */
#define VTD_DSC_PGRP_RESP 9u /* page group response (7.5.2): sent to the endpoint */
#define VTD_DSC_MAX_TYPE 16u

VTD_FIELD(dsc_g, 5, 4)     /* granularity (CC, IOTLB, PIOTLB, PC) */
VTD_FIELD(dsc_did, 31, 16) /* CC, IOTLB, PIOTLB, PC */
/* Context-cache: SID [47:32], FM [49:48]. G: 1 global, 2 domain, 3 device. */
VTD_FIELD(cc_sid, 47, 32)
VTD_FIELD(cc_fm, 49, 48)
#define VTD_CC_G_GLOBAL 1u
#define VTD_CC_G_DOMAIN 2u
#define VTD_CC_G_DEVICE 3u
/* IOTLB: DW [6], DR [7]; qw1 AM [5:0], IH [6], ADDR [63:12].
 * G: 1 global, 2 domain-selective, 3 page-selective within domain. */
VTD_FIELD(iotlb_dw, 6, 6)
VTD_FIELD(iotlb_dr, 7, 7)
VTD_FIELD(inv_am, 5, 0)     /* qw1 of IOTLB / PIOTLB */
VTD_FIELD(inv_ih, 6, 6)     /* qw1 */
VTD_FIELD(inv_rsvd1, 11, 7) /* qw1 */
#define VTD_IOTLB_G_GLOBAL 1u
#define VTD_IOTLB_G_DOMAIN 2u
#define VTD_IOTLB_G_PAGE   3u
/* PASID-based IOTLB: PASID [51:32]; G: 2 all non-global of PASID, 3 page. */
VTD_FIELD(dsc_pasid, 51, 32) /* PIOTLB, PC, PDEVTLB */
#define VTD_PIOTLB_G_PASID 2u
#define VTD_PIOTLB_G_PAGE  3u
/* PASID-cache: G: 0 domain (all PASIDs of DID), 1 PASID-selective, 3 global. */
#define VTD_PC_G_DOMAIN 0u
#define VTD_PC_G_PASID  1u
#define VTD_PC_G_GLOBAL 3u
/* Device-TLB: PFSID [15:12] + [63:52], MIP [20:16], SID [47:32];
 * qw1 S [0], ADDR [63:12]. */
VTD_FIELD(devtlb_sid, 47, 32)
VTD_FIELD(devtlb_mip, 20, 16)
VTD_FIELD(devtlb_s, 0, 0) /* qw1 */
/* PASID-based device-TLB: MIP [8:4], SID [31:16], PASID [51:32];
 * qw1 G [0], S [11], ADDR [63:12]. */
VTD_FIELD(pdevtlb_sid, 31, 16)
VTD_FIELD(pdevtlb_g, 0, 0)   /* qw1 */
VTD_FIELD(pdevtlb_s, 11, 11) /* qw1 */
/* Wait: IF [4], SW [5], FN [6], PD [7], STDATA [63:32]; qw1 STADDR [63:2]. */
VTD_FIELD(wait_if, 4, 4)
VTD_FIELD(wait_sw, 5, 5)
VTD_FIELD(wait_fn, 6, 6)
VTD_FIELD(wait_pd, 7, 7)
VTD_FIELD(wait_stdata, 63, 32)
static inline uint64_t vtd_wait_staddr(uint64_t qw1)
{
	return qw1 & ~3ull;
}

/* ---------------------------------------------------------------------- */
/* Fault reasons (chapter 7 tables; Linux dmar.c names them).              */
enum vtd_fault_reason {
	/* legacy mode */
	VTD_FR_ROOT_NP = 0x01,     /* root entry P = 0 */
	VTD_FR_CTX_NP = 0x02,      /* context entry P = 0 */
	VTD_FR_CTX_INVALID = 0x03, /* invalid context entry (AW, TT) */
	VTD_FR_ADDR_MGAW = 0x04,   /* input address beyond MGAW / AGAW */
	VTD_FR_WRITE = 0x05,       /* second-level walk: no write permission */
	VTD_FR_READ = 0x06,        /* no read permission (or not present) */
	VTD_FR_PT_PTR = 0x07,      /* next page-table pointer invalid (fetch error) */
	VTD_FR_ROOT_ADDR = 0x08,   /* root table fetch error */
	VTD_FR_CTX_PTR = 0x09,     /* context table pointer fetch error */
	VTD_FR_ROOT_RSVD = 0x0A,
	VTD_FR_CTX_RSVD = 0x0B,
	VTD_FR_PTE_RSVD = 0x0C,   /* reserved bit in a second-level entry */
	VTD_FR_TT_BLOCKED = 0x0D, /* translation request blocked by TT */
	/* scalable mode */
	VTD_FR_SM_RTA = 0x30,        /* invalid root-table address */
	VTD_FR_SM_TTM0_PASID = 0x31, /* request with PASID while TTM = legacy */
	VTD_FR_SM_ROOT_ACCESS = 0x38,
	VTD_FR_SM_ROOT_NP = 0x39,
	VTD_FR_SM_ROOT_RSVD = 0x3A,
	VTD_FR_SM_CTX_ACCESS = 0x40,
	VTD_FR_SM_CTX_NP = 0x41,
	VTD_FR_SM_CTX_RSVD = 0x42,
	VTD_FR_SM_CTX_INVALID = 0x43,
	VTD_FR_SM_DTE = 0x44,       /* translation request with DTE = 0 */
	VTD_FR_SM_PASIDE = 0x45,    /* request with PASID, PASIDE = 0 */
	VTD_FR_SM_PASID_MAX = 0x46, /* PASID beyond the directory (PDTS) */
	VTD_FR_SM_PRE = 0x47,
	VTD_FR_SM_RID_PASID = 0x48,
	VTD_FR_SM_PDE_ACCESS = 0x50,
	VTD_FR_SM_PDE_NP = 0x51,
	VTD_FR_SM_PDE_RSVD = 0x52,
	VTD_FR_SM_PTE_ACCESS = 0x58,
	VTD_FR_SM_PTE_NP = 0x59,
	VTD_FR_SM_PTE_RSVD = 0x5A,
	VTD_FR_SM_PTE_INVALID = 0x5B, /* PGTT / AW / FLPM not supported */
	VTD_FR_SM_ERE = 0x5C,
	VTD_FR_SM_SRE = 0x5D,
	VTD_FR_SM_FL_ACCESS = 0x70,
	VTD_FR_SM_FL_NP = 0x71,
	VTD_FR_SM_FL_RSVD = 0x72,
	VTD_FR_SM_SL_ACCESS = 0x78,
	VTD_FR_SM_SL_NP = 0x79, /* second-level entry with R = W = 0 */
	VTD_FR_SM_SL_RSVD = 0x7A,
	VTD_FR_SM_SL_PTR = 0x7B, /* second-level pointer beyond the HAW */
	VTD_FR_SM_NONCANON = 0x80,
	VTD_FR_SM_US = 0x81,       /* user request, U/S = 0 */
	VTD_FR_SM_EXEC = 0x82,     /* execute request, XD / X denies */
	VTD_FR_SM_ADDR_MAX = 0x83, /* input address beyond the AW / MGAW */
	VTD_FR_SM_SL_ADDR = 0x84,  /* second-level output beyond the HAW */
	VTD_FR_SM_WRITE = 0x85,
	VTD_FR_SM_READ = 0x86,
};

#endif
