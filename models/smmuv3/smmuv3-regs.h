/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smmuv3-regs.h - SMMUv3 architectural field layouts (Arm IHI0070 G.b):
 * registers (6.3), STE (5.2), CD (5.4), commands (4.x), event records (7.3),
 * plus the VMSAv8-64 leaf attribute bits the SMMU checks (DDI0487 D8.3).
 *
 * One accessor per field; each comment names the spec bits.  Model code
 * uses only these accessors -- no shifts or masks elsewhere.  Structures are
 * arrays of little-endian 64-bit words (w[0] = bits [63:0], w[1] =
 * [127:64], ...), so "STE bits [65:64]" is w[1] bits [1:0].
 */
#ifndef IOM_MODELS_SMMUV3_REGS_H
#define IOM_MODELS_SMMUV3_REGS_H

#include <stdint.h>

static inline uint64_t smmu_fget(uint64_t w, unsigned hi, unsigned lo)
{
	return (w >> lo) & (~0ull >> (63 - (hi - lo)));
}

static inline uint64_t smmu_fset(uint64_t w, unsigned hi, unsigned lo, uint64_t v)
{
	uint64_t m = (~0ull >> (63 - (hi - lo))) << lo;
	return (w & ~m) | ((v << lo) & m);
}

/* ---- sizes ---- */
#define SMMU_STE_BYTES 64u
#define SMMU_STE_WORDS 8u
#define SMMU_CD_BYTES 64u
#define SMMU_CD_WORDS 8u
#define SMMU_CMD_BYTES 16u
#define SMMU_EVT_BYTES 32u

/* ---- registers (6.3) ---- */
/* SMMU_CR0: SMMUEN bit 0, EVTQEN bit 2, CMDQEN bit 3, ATSCHK bit 4 */
#define SMMU_CR0_SMMUEN (1u << 0)
#define SMMU_CR0_EVTQEN (1u << 2)
#define SMMU_CR0_CMDQEN (1u << 3)
#define SMMU_CR0_ATSCHK (1u << 4) /* ATS Translated transactions checked against the STE */
/* SMMU_GBPA.ABORT bit 20: with SMMUEN=0, abort instead of bypass */
static inline uint32_t smmu_gbpa_abort(uint32_t r) { return (uint32_t)smmu_fget(r, 20, 20); }
/* SMMU_STRTAB_BASE: ADDR [51:6], RA bit 62 */
static inline uint64_t smmu_strtab_base_addr(uint64_t r) { return r & (smmu_fget(~0ull, 51, 6) << 6); }
/* SMMU_STRTAB_BASE_CFG: FMT [17:16] (0 linear, 1 2-level), SPLIT [10:6], LOG2SIZE [5:0] */
static inline uint32_t smmu_strtab_cfg_fmt(uint32_t r) { return (uint32_t)smmu_fget(r, 17, 16); }
static inline uint32_t smmu_strtab_cfg_log2size(uint32_t r) { return (uint32_t)smmu_fget(r, 5, 0); }
static inline uint32_t smmu_strtab_cfg_make(uint32_t fmt, uint32_t log2size)
{
	return (uint32_t)smmu_fset(smmu_fset(0, 17, 16, fmt), 5, 0, log2size);
}
#define SMMU_STRTAB_FMT_LINEAR 0u
#define SMMU_STRTAB_FMT_2LVL 1u
static inline uint32_t smmu_strtab_cfg_split(uint32_t r) { return (uint32_t)smmu_fget(r, 10, 6); }
static inline uint32_t smmu_strtab_cfg_make_2lvl(uint32_t log2size, uint32_t split)
{
	return (uint32_t)smmu_fset(smmu_strtab_cfg_make(SMMU_STRTAB_FMT_2LVL, log2size), 10, 6, split);
}
/* L1STD (5.1): Span [4:0], L2Ptr [55:6]; the L2 table of 2^(Span-1) STEs
 * is aligned to its size, so address bits [4+Span:0] read as zero. */
static inline uint32_t smmu_l1std_span(uint64_t d) { return (uint32_t)smmu_fget(d, 4, 0); }
static inline uint64_t smmu_l1std_l2ptr(uint64_t d, uint32_t span)
{
	return d & smmu_fget(~0ull, 55, 0) & ~((1ull << (5 + span)) - 1);
}
static inline uint64_t smmu_l1std_make(uint64_t l2ptr, uint32_t span)
{
	return (l2ptr & (smmu_fget(~0ull, 55, 6) << 6)) | span;
}
/* L1CD (5.3): V bit 0, L2Ptr [55:12] */
static inline uint64_t smmu_l1cd_v(uint64_t d) { return d & 1; }
static inline uint64_t smmu_l1cd_l2ptr(uint64_t d) { return d & (smmu_fget(~0ull, 55, 12) << 12); }
static inline uint64_t smmu_l1cd_make(uint64_t l2ptr) { return smmu_l1cd_l2ptr(l2ptr) | 1; }
/* STE.S1Fmt: 0 linear, 1 2-level with 4 KB leaves (64 CDs), 2 with 64 KB leaves (1024 CDs) */
#define SMMU_S1FMT_LINEAR 0u
#define SMMU_S1FMT_64CD 1u
#define SMMU_S1FMT_1024CD 2u
/* SMMU_CMDQ_BASE / SMMU_EVTQ_BASE: ADDR [51:5], LOG2SIZE [4:0], RA/WA bit 62 */
static inline uint64_t smmu_q_base_addr(uint64_t r) { return r & (smmu_fget(~0ull, 51, 5) << 5); }
static inline uint32_t smmu_q_base_log2size(uint64_t r) { return (uint32_t)smmu_fget(r, 4, 0); }
static inline uint64_t smmu_q_base_make(uint64_t addr, uint32_t log2size)
{
	return smmu_q_base_addr(addr) | smmu_fset(0, 4, 0, log2size);
}
/* Queue PROD/CONS: index [log2size-1:0] and wrap bit [log2size] (3.5.2) */
static inline uint32_t smmu_q_idx(uint32_t r, uint32_t log2) { return r & ((1u << log2) - 1); }
static inline uint32_t smmu_q_wrap(uint32_t r, uint32_t log2) { return (r >> log2) & 1u; }
static inline uint32_t smmu_q_ptr(uint32_t r, uint32_t log2) { return r & ((2u << log2) - 1); }
static inline uint32_t smmu_q_inc(uint32_t r, uint32_t log2) { return (smmu_q_ptr(r, log2) + 1) & ((2u << log2) - 1); }
static inline int smmu_q_empty(uint32_t p, uint32_t c, uint32_t log2) { return smmu_q_ptr(p, log2) == smmu_q_ptr(c, log2); }
static inline int smmu_q_full(uint32_t p, uint32_t c, uint32_t log2)
{
	return smmu_q_idx(p, log2) == smmu_q_idx(c, log2) && smmu_q_wrap(p, log2) != smmu_q_wrap(c, log2);
}
/* SMMU_IDR0 (6.3.1): S2P 0, S1P 1, TTF [3:2], COHACC 4, Hyp 9, ATS 10, ASID16 12,
 * MSI 13, SEV 14, PRI 16, VMID16 18, STALL_MODEL [25:24] */
#define SMMU_IDR0_S2P (1u << 0)
#define SMMU_IDR0_S1P (1u << 1)
#define SMMU_IDR0_TTF_AA64 (2u << 2)
#define SMMU_IDR0_COHACC (1u << 4)
#define SMMU_IDR0_HYP (1u << 9)
#define SMMU_IDR0_ATS (1u << 10)
#define SMMU_IDR0_ASID16 (1u << 12)
#define SMMU_IDR0_MSI (1u << 13)
#define SMMU_IDR0_SEV (1u << 14)
#define SMMU_IDR0_PRI (1u << 16)
#define SMMU_IDR0_VMID16 (1u << 18)
#define SMMU_IDR0_STALL_TERM_ONLY (1u << 24) /* STALL_MODEL = 0b01: no stall model */
static inline uint32_t smmu_idr0_msi(uint32_t r) { return (uint32_t)smmu_fget(r, 13, 13); }
static inline uint32_t smmu_idr0_sev(uint32_t r) { return (uint32_t)smmu_fget(r, 14, 14); }
/* SMMU_IDR0.ST_LEVEL [28:27] (0 linear only, 1 2-level stream tables too), CD2L bit 19
 * (2-level CD tables), ASID16 bit 12, VMID16 bit 18 */
#define SMMU_IDR0_ST_LEVEL_2LVL (1u << 27)
#define SMMU_IDR0_CD2L (1u << 19)
static inline uint32_t smmu_idr0_st_level(uint32_t r) { return (uint32_t)smmu_fget(r, 28, 27); }
static inline uint32_t smmu_idr0_cd2l(uint32_t r) { return (uint32_t)smmu_fget(r, 19, 19); }
static inline uint32_t smmu_idr0_asid16(uint32_t r) { return (uint32_t)smmu_fget(r, 12, 12); }
static inline uint32_t smmu_idr0_vmid16(uint32_t r) { return (uint32_t)smmu_fget(r, 18, 18); }
/* SMMU_IDR1: SIDSIZE [5:0], SSIDSIZE [10:6], EVENTQS [20:16], CMDQS [25:21] */
static inline uint32_t smmu_idr1_ssidsize(uint32_t r) { return (uint32_t)smmu_fget(r, 10, 6); }
static inline uint32_t smmu_idr1_make(uint32_t sidsize, uint32_t ssidsize, uint32_t evtqs,
				      uint32_t cmdqs)
{
	return (uint32_t)smmu_fset(smmu_fset(smmu_fset(smmu_fset(0, 5, 0, sidsize), 10, 6, ssidsize),
					     20, 16, evtqs), 25, 21, cmdqs);
}
/* SMMU_IDR3.RIL bit 10: range invalidation and the TTL level hint (4.4.1.1) */
#define SMMU_IDR3_RIL (1u << 10)
static inline uint32_t smmu_idr3_ril(uint32_t r) { return (uint32_t)smmu_fget(r, 10, 10); }
/* SMMU_IDR5: OAS [2:0] (5 = 48 bits), GRAN4K bit 4 */
#define SMMU_IDR5_GRAN4K (1u << 4)
#define SMMU_IDR5_OAS_48 5u
/* SMMU_IDR5: GRAN16K bit 5, GRAN64K bit 6, VAX [11:10] (1 = 52-bit VA with 64 KB) */
#define SMMU_IDR5_GRAN16K (1u << 5)
#define SMMU_IDR5_GRAN64K (1u << 6)
static inline uint32_t smmu_idr5_make_oas(uint32_t oas) { return (uint32_t)smmu_fset(0, 2, 0, oas); }
static inline uint32_t smmu_idr5_make_vax(uint32_t v) { return (uint32_t)smmu_fset(0, 11, 10, v); }
static inline uint32_t smmu_idr5_oas(uint32_t r) { return (uint32_t)smmu_fget(r, 2, 0); }
/* SMMU_IDR0.HTTU [7:6] (0 none, 1 AF, 2 AF + dirty), TTENDIAN [22:21] (2 = little-endian only) */
static inline uint32_t smmu_idr0_make_httu(uint32_t v) { return (uint32_t)smmu_fset(0, 7, 6, v); }
static inline uint32_t smmu_idr0_httu(uint32_t r) { return (uint32_t)smmu_fget(r, 7, 6); }
#define SMMU_IDR0_TTENDIAN_LE (2u << 21)
#define SMMU_HTTU_NONE 0u
#define SMMU_HTTU_AF 1u
#define SMMU_HTTU_AF_DIRTY 2u

/* SMMU_CMDQ_CONS.ERR [30:24] */
static inline uint32_t smmu_cmdq_cons_err(uint32_t r) { return (uint32_t)smmu_fget(r, 30, 24); }
static inline uint32_t smmu_cmdq_cons_set_err(uint32_t r, uint32_t e) { return (uint32_t)smmu_fset(r, 30, 24, e); }
#define SMMU_CERROR_NONE 0u
#define SMMU_CERROR_ILL 1u
#define SMMU_CERROR_ABT 2u
#define SMMU_CERROR_ATC_INV_SYNC 3u
/* SMMU_EVTQ_PROD.OVFLG bit 31; SMMU_EVTQ_CONS.OVACKFLG bit 31 */
static inline uint32_t smmu_evtq_ovflg(uint32_t r) { return (uint32_t)smmu_fget(r, 31, 31); }
static inline uint32_t smmu_evtq_set_ovflg(uint32_t r, uint32_t v) { return (uint32_t)smmu_fset(r, 31, 31, v); }

/* ---- STE (5.2) ---- */
/* V: bit 0 */
static inline uint64_t smmu_ste_v(const uint64_t *s) { return smmu_fget(s[0], 0, 0); }
/* Config: [3:1] */
static inline uint64_t smmu_ste_config(const uint64_t *s) { return smmu_fget(s[0], 3, 1); }
/* S1Fmt: [5:4] */
static inline uint64_t smmu_ste_s1fmt(const uint64_t *s) { return smmu_fget(s[0], 5, 4); }
/* S1ContextPtr: [55:6] (an address, kept in place) */
static inline uint64_t smmu_ste_s1ctxptr(const uint64_t *s) { return smmu_fget(s[0], 55, 6) << 6; }
/* S1CDMax: [63:59] */
static inline uint64_t smmu_ste_s1cdmax(const uint64_t *s) { return smmu_fget(s[0], 63, 59); }
/* S1DSS: [65:64] = word 1 [1:0] */
static inline uint64_t smmu_ste_s1dss(const uint64_t *s) { return smmu_fget(s[1], 1, 0); }
static inline void smmu_ste_set_v(uint64_t *s, uint64_t v) { s[0] = smmu_fset(s[0], 0, 0, v); }
static inline void smmu_ste_set_config(uint64_t *s, uint64_t v) { s[0] = smmu_fset(s[0], 3, 1, v); }
static inline void smmu_ste_set_s1fmt(uint64_t *s, uint64_t v) { s[0] = smmu_fset(s[0], 5, 4, v); }
static inline void smmu_ste_set_s1ctxptr(uint64_t *s, uint64_t pa) { s[0] = smmu_fset(s[0], 55, 6, pa >> 6); }
static inline void smmu_ste_set_s1cdmax(uint64_t *s, uint64_t v) { s[0] = smmu_fset(s[0], 63, 59, v); }
static inline void smmu_ste_set_s1dss(uint64_t *s, uint64_t v) { s[1] = smmu_fset(s[1], 1, 0, v); }
#define SMMU_STE_CFG_ABORT 0u   /* 0b000 */
#define SMMU_STE_CFG_BYPASS 4u  /* 0b100 */
#define SMMU_STE_CFG_S1 5u      /* 0b101: S1 translate, S2 bypass */
#define SMMU_STE_CFG_S2 6u      /* 0b110 */
#define SMMU_STE_CFG_NESTED 7u  /* 0b111 */
#define SMMU_S1DSS_TERMINATE 0u
#define SMMU_S1DSS_BYPASS 1u
#define SMMU_S1DSS_SSID0 2u
/* S1STALLD bit 91 = word 1 bit 27; EATS [93:92] = word 1 [29:28]; STRW [95:94] = word 1 [31:30] */
static inline uint64_t smmu_ste_s1stalld(const uint64_t *s) { return smmu_fget(s[1], 27, 27); }
static inline uint64_t smmu_ste_eats(const uint64_t *s) { return smmu_fget(s[1], 29, 28); }
static inline uint64_t smmu_ste_strw(const uint64_t *s) { return smmu_fget(s[1], 31, 30); }
static inline void smmu_ste_set_s1stalld(uint64_t *s, uint64_t v) { s[1] = smmu_fset(s[1], 27, 27, v); }
static inline void smmu_ste_set_eats(uint64_t *s, uint64_t v) { s[1] = smmu_fset(s[1], 29, 28, v); }
static inline void smmu_ste_set_strw(uint64_t *s, uint64_t v) { s[1] = smmu_fset(s[1], 31, 30, v); }
#define SMMU_STRW_NSEL1 0u
#define SMMU_STRW_EL2 2u
#define SMMU_EATS_NONE 0u
#define SMMU_EATS_FULL 1u
#define SMMU_EATS_SPLIT 2u
#define SMMU_EATS_DPT 3u
/* S1CIR [67:66], S1COR [69:68], S1CSH [71:70] = word 1 [3:2], [5:4], [7:6] (CD fetch
 * attributes); MEV bit 83 = word 1 bit 19; S2FWB bit 89 = word 1 bit 25; SHCFG [109:108]
 * = word 1 [45:44]. Used by the driver's "which bits does the SMMU read" masks. */
static inline void smmu_ste_set_s1cir(uint64_t *s, uint64_t v) { s[1] = smmu_fset(s[1], 3, 2, v); }
static inline void smmu_ste_set_s1cor(uint64_t *s, uint64_t v) { s[1] = smmu_fset(s[1], 5, 4, v); }
static inline void smmu_ste_set_s1csh(uint64_t *s, uint64_t v) { s[1] = smmu_fset(s[1], 7, 6, v); }
static inline void smmu_ste_set_mev(uint64_t *s, uint64_t v) { s[1] = smmu_fset(s[1], 19, 19, v); }
static inline void smmu_ste_set_s2fwb(uint64_t *s, uint64_t v) { s[1] = smmu_fset(s[1], 25, 25, v); }
static inline void smmu_ste_set_shcfg(uint64_t *s, uint64_t v) { s[1] = smmu_fset(s[1], 45, 44, v); }
#define SMMU_STE_S1C_WBRA 1u /* S1CIR/S1COR: write-back, read-allocate */
#define SMMU_SH_ISH 3u       /* inner shareable */
/* Stage 2, word 2: S2VMID [143:128] = [15:0], S2T0SZ [165:160] = [37:32], S2SL0 [167:166] =
 * [39:38], S2TG [175:174] = [47:46] (0 4 KB, 1 64 KB, 2 16 KB), S2PS [178:176] = [50:48],
 * S2AA64 179 = 51, S2ENDI 180 = 52, S2AFFD 181 = 53, S2PTW 182 = 54, S2HD 183 = 55,
 * S2HA 184 = 56, S2S 185 = 57, S2R 186 = 58; word 3: S2TTB [243:196] = [51:4] (in place). */
static inline uint64_t smmu_ste_s2vmid(const uint64_t *s) { return smmu_fget(s[2], 15, 0); }
static inline uint64_t smmu_ste_s2t0sz(const uint64_t *s) { return smmu_fget(s[2], 37, 32); }
static inline uint64_t smmu_ste_s2sl0(const uint64_t *s) { return smmu_fget(s[2], 39, 38); }
static inline uint64_t smmu_ste_s2tg(const uint64_t *s) { return smmu_fget(s[2], 47, 46); }
static inline uint64_t smmu_ste_s2ps(const uint64_t *s) { return smmu_fget(s[2], 50, 48); }
static inline uint64_t smmu_ste_s2aa64(const uint64_t *s) { return smmu_fget(s[2], 51, 51); }
static inline uint64_t smmu_ste_s2endi(const uint64_t *s) { return smmu_fget(s[2], 52, 52); }
static inline uint64_t smmu_ste_s2affd(const uint64_t *s) { return smmu_fget(s[2], 53, 53); }
static inline uint64_t smmu_ste_s2hd(const uint64_t *s) { return smmu_fget(s[2], 55, 55); }
static inline uint64_t smmu_ste_s2ha(const uint64_t *s) { return smmu_fget(s[2], 56, 56); }
static inline uint64_t smmu_ste_s2s(const uint64_t *s) { return smmu_fget(s[2], 57, 57); }
static inline uint64_t smmu_ste_s2r(const uint64_t *s) { return smmu_fget(s[2], 58, 58); }
static inline uint64_t smmu_ste_s2ttb(const uint64_t *s) { return smmu_fget(s[3], 51, 4) << 4; }
static inline void smmu_ste_set_s2vmid(uint64_t *s, uint64_t v) { s[2] = smmu_fset(s[2], 15, 0, v); }
static inline void smmu_ste_set_s2t0sz(uint64_t *s, uint64_t v) { s[2] = smmu_fset(s[2], 37, 32, v); }
static inline void smmu_ste_set_s2sl0(uint64_t *s, uint64_t v) { s[2] = smmu_fset(s[2], 39, 38, v); }
static inline void smmu_ste_set_s2tg(uint64_t *s, uint64_t v) { s[2] = smmu_fset(s[2], 47, 46, v); }
static inline void smmu_ste_set_s2ps(uint64_t *s, uint64_t v) { s[2] = smmu_fset(s[2], 50, 48, v); }
static inline void smmu_ste_set_s2aa64(uint64_t *s, uint64_t v) { s[2] = smmu_fset(s[2], 51, 51, v); }
static inline void smmu_ste_set_s2endi(uint64_t *s, uint64_t v) { s[2] = smmu_fset(s[2], 52, 52, v); }
static inline void smmu_ste_set_s2affd(uint64_t *s, uint64_t v) { s[2] = smmu_fset(s[2], 53, 53, v); }
static inline void smmu_ste_set_s2hd(uint64_t *s, uint64_t v) { s[2] = smmu_fset(s[2], 55, 55, v); }
static inline void smmu_ste_set_s2ha(uint64_t *s, uint64_t v) { s[2] = smmu_fset(s[2], 56, 56, v); }
static inline void smmu_ste_set_s2s(uint64_t *s, uint64_t v) { s[2] = smmu_fset(s[2], 57, 57, v); }
static inline void smmu_ste_set_s2r(uint64_t *s, uint64_t v) { s[2] = smmu_fset(s[2], 58, 58, v); }
static inline void smmu_ste_set_s2ttb(uint64_t *s, uint64_t pa) { s[3] = smmu_fset(s[3], 51, 4, pa >> 4); }
/* Granule encodings: CD.TG0 and STE.S2TG 0 4 KB, 1 64 KB, 2 16 KB, 3 reserved;
 * CD.TG1 0 reserved, 1 16 KB, 2 4 KB, 3 64 KB (5.4). */
#define SMMU_TG0_4K 0u
#define SMMU_TG0_64K 1u
#define SMMU_TG0_16K 2u
#define SMMU_TG1_16K 1u
#define SMMU_TG1_4K 2u
#define SMMU_TG1_64K 3u

/* ---- CD (5.4) ---- */
/* T0SZ [5:0] */
static inline uint64_t smmu_cd_t0sz(const uint64_t *c) { return smmu_fget(c[0], 5, 0); }
/* TG0 [7:6]: 00 4 KB, 01 64 KB, 10 16 KB */
static inline uint64_t smmu_cd_tg0(const uint64_t *c) { return smmu_fget(c[0], 7, 6); }
/* EPD0 bit 14, EPD1 bit 30 */
static inline uint64_t smmu_cd_epd0(const uint64_t *c) { return smmu_fget(c[0], 14, 14); }
static inline uint64_t smmu_cd_epd1(const uint64_t *c) { return smmu_fget(c[0], 30, 30); }
/* V bit 31 */
static inline uint64_t smmu_cd_v(const uint64_t *c) { return smmu_fget(c[0], 31, 31); }
/* IPS [34:32] (0=32,1=36,2=40,3=42,4=44,5=48,6=52 bits) */
static inline uint64_t smmu_cd_ips(const uint64_t *c) { return smmu_fget(c[0], 34, 32); }
/* AFFD bit 35 */
static inline uint64_t smmu_cd_affd(const uint64_t *c) { return smmu_fget(c[0], 35, 35); }
/* AA64 bit 41, HD bit 42, HA bit 43 */
static inline uint64_t smmu_cd_aa64(const uint64_t *c) { return smmu_fget(c[0], 41, 41); }
static inline uint64_t smmu_cd_hd(const uint64_t *c) { return smmu_fget(c[0], 42, 42); }
static inline uint64_t smmu_cd_ha(const uint64_t *c) { return smmu_fget(c[0], 43, 43); }
/* R bit 45 (record faults), A bit 46 (abort) */
static inline uint64_t smmu_cd_r(const uint64_t *c) { return smmu_fget(c[0], 45, 45); }
static inline uint64_t smmu_cd_a(const uint64_t *c) { return smmu_fget(c[0], 46, 46); }
/* ASID [63:48] */
static inline uint64_t smmu_cd_asid(const uint64_t *c) { return smmu_fget(c[0], 63, 48); }
/* TTB0: bits [119:68] = word 1 [55:4], an address kept in place (we use [51:4]) */
static inline uint64_t smmu_cd_ttb0(const uint64_t *c) { return smmu_fget(c[1], 51, 4) << 4; }
static inline void smmu_cd_set_t0sz(uint64_t *c, uint64_t v) { c[0] = smmu_fset(c[0], 5, 0, v); }
static inline void smmu_cd_set_tg0(uint64_t *c, uint64_t v) { c[0] = smmu_fset(c[0], 7, 6, v); }
/* IRGN0 [9:8], ORGN0 [11:10], SH0 [13:12] */
static inline void smmu_cd_set_irgn0(uint64_t *c, uint64_t v) { c[0] = smmu_fset(c[0], 9, 8, v); }
static inline void smmu_cd_set_orgn0(uint64_t *c, uint64_t v) { c[0] = smmu_fset(c[0], 11, 10, v); }
static inline void smmu_cd_set_sh0(uint64_t *c, uint64_t v) { c[0] = smmu_fset(c[0], 13, 12, v); }
static inline void smmu_cd_set_epd0(uint64_t *c, uint64_t v) { c[0] = smmu_fset(c[0], 14, 14, v); }
static inline void smmu_cd_set_epd1(uint64_t *c, uint64_t v) { c[0] = smmu_fset(c[0], 30, 30, v); }
static inline void smmu_cd_set_v(uint64_t *c, uint64_t v) { c[0] = smmu_fset(c[0], 31, 31, v); }
static inline void smmu_cd_set_ips(uint64_t *c, uint64_t v) { c[0] = smmu_fset(c[0], 34, 32, v); }
static inline void smmu_cd_set_affd(uint64_t *c, uint64_t v) { c[0] = smmu_fset(c[0], 35, 35, v); }
static inline void smmu_cd_set_aa64(uint64_t *c, uint64_t v) { c[0] = smmu_fset(c[0], 41, 41, v); }
static inline void smmu_cd_set_ha(uint64_t *c, uint64_t v) { c[0] = smmu_fset(c[0], 43, 43, v); }
static inline void smmu_cd_set_r(uint64_t *c, uint64_t v) { c[0] = smmu_fset(c[0], 45, 45, v); }
static inline void smmu_cd_set_a(uint64_t *c, uint64_t v) { c[0] = smmu_fset(c[0], 46, 46, v); }
static inline void smmu_cd_set_asid(uint64_t *c, uint64_t v) { c[0] = smmu_fset(c[0], 63, 48, v); }
static inline void smmu_cd_set_ttb0(uint64_t *c, uint64_t pa) { c[1] = smmu_fset(c[1], 51, 4, pa >> 4); }
/* ENDI bit 15, T1SZ [21:16], TG1 [23:22], TBI0 bit 38, TBI1 bit 39, S bit 44;
 * TTB1: bits [183:132] = word 2 [55:4], an address kept in place (we use [51:4]) */
static inline uint64_t smmu_cd_endi(const uint64_t *c) { return smmu_fget(c[0], 15, 15); }
static inline uint64_t smmu_cd_t1sz(const uint64_t *c) { return smmu_fget(c[0], 21, 16); }
static inline uint64_t smmu_cd_tg1(const uint64_t *c) { return smmu_fget(c[0], 23, 22); }
static inline uint64_t smmu_cd_tbi0(const uint64_t *c) { return smmu_fget(c[0], 38, 38); }
static inline uint64_t smmu_cd_tbi1(const uint64_t *c) { return smmu_fget(c[0], 39, 39); }
static inline uint64_t smmu_cd_s(const uint64_t *c) { return smmu_fget(c[0], 44, 44); }
static inline uint64_t smmu_cd_ttb1(const uint64_t *c) { return smmu_fget(c[2], 51, 4) << 4; }
static inline void smmu_cd_set_endi(uint64_t *c, uint64_t v) { c[0] = smmu_fset(c[0], 15, 15, v); }
static inline void smmu_cd_set_t1sz(uint64_t *c, uint64_t v) { c[0] = smmu_fset(c[0], 21, 16, v); }
static inline void smmu_cd_set_tg1(uint64_t *c, uint64_t v) { c[0] = smmu_fset(c[0], 23, 22, v); }
static inline void smmu_cd_set_tbi0(uint64_t *c, uint64_t v) { c[0] = smmu_fset(c[0], 38, 38, v); }
static inline void smmu_cd_set_tbi1(uint64_t *c, uint64_t v) { c[0] = smmu_fset(c[0], 39, 39, v); }
static inline void smmu_cd_set_hd(uint64_t *c, uint64_t v) { c[0] = smmu_fset(c[0], 42, 42, v); }
static inline void smmu_cd_set_s(uint64_t *c, uint64_t v) { c[0] = smmu_fset(c[0], 44, 44, v); }
static inline void smmu_cd_set_ttb1(uint64_t *c, uint64_t pa) { c[2] = smmu_fset(c[2], 51, 4, pa >> 4); }
/* ASET bit 47; MAIR0 [223:192] and MAIR1 [255:224] = word 3 (one 64-bit MAIR value) */
static inline void smmu_cd_set_aset(uint64_t *c, uint64_t v) { c[0] = smmu_fset(c[0], 47, 47, v); }
static inline void smmu_cd_set_mair(uint64_t *c, uint64_t v) { c[3] = v; }
/* TxSZ limits for the 4 KB granule without LPA2/TTST (DDI0487 D8.2.1). */
#define SMMU_CD_T0SZ_MIN 16u
#define SMMU_CD_T0SZ_MAX 39u
/* IPS encoding -> bits (same as TCR.PS) */
static inline unsigned smmu_ips_bits(uint64_t ips)
{
	static const unsigned bits[8] = {32, 36, 40, 42, 44, 48, 52, 52};
	return bits[ips & 7];
}

/* ---- commands (4.1-4.7) ---- */
/* Common: OP [7:0], SSV bit 11, SSID [31:12], SID [63:32] of word 0 */
static inline uint32_t smmu_cmd_op(const uint64_t *c) { return (uint32_t)smmu_fget(c[0], 7, 0); }
static inline uint32_t smmu_cmd_ssv(const uint64_t *c) { return (uint32_t)smmu_fget(c[0], 11, 11); }
static inline uint32_t smmu_cmd_ssid(const uint64_t *c) { return (uint32_t)smmu_fget(c[0], 31, 12); }
static inline uint32_t smmu_cmd_sid(const uint64_t *c) { return (uint32_t)smmu_fget(c[0], 63, 32); }
/* CFGI: Leaf word 1 bit 0; CFGI_STE_RANGE Range word 1 [4:0] (31 = all) */
static inline uint32_t smmu_cmd_leaf(const uint64_t *c) { return (uint32_t)smmu_fget(c[1], 0, 0); }
static inline uint32_t smmu_cmd_range(const uint64_t *c) { return (uint32_t)smmu_fget(c[1], 4, 0); }
/* TLBI: VMID word 0 [47:32], ASID word 0 [63:48], Address word 1 [63:12] */
static inline uint32_t smmu_cmd_vmid(const uint64_t *c) { return (uint32_t)smmu_fget(c[0], 47, 32); }
static inline uint32_t smmu_cmd_asid(const uint64_t *c) { return (uint32_t)smmu_fget(c[0], 63, 48); }
static inline uint64_t smmu_cmd_addr(const uint64_t *c) { return smmu_fget(c[1], 63, 12) << 12; }
/* TLBI range and level hint (4.4.1.1): NUM word 0 [16:12], SCALE word 0 [24:20]
 * (IDR5.DS = 0: bit 25 RES0), TTL word 1 [9:8] (bits [73:72]), TG word 1 [11:10]
 * (bits [75:74]: 0 = not a range op, 1 = 4 KB, 2 = 16 KB, 3 = 64 KB). */
static inline uint32_t smmu_cmd_num(const uint64_t *c) { return (uint32_t)smmu_fget(c[0], 16, 12); }
static inline uint32_t smmu_cmd_scale(const uint64_t *c) { return (uint32_t)smmu_fget(c[0], 24, 20); }
static inline uint32_t smmu_cmd_ttl(const uint64_t *c) { return (uint32_t)smmu_fget(c[1], 9, 8); }
static inline uint32_t smmu_cmd_tg(const uint64_t *c) { return (uint32_t)smmu_fget(c[1], 11, 10); }
#define SMMU_TLBI_TG_NONE 0u
#define SMMU_TLBI_TG_4K 1u
#define SMMU_TLBI_TG_16K 2u
#define SMMU_TLBI_TG_64K 3u
#define SMMU_TLBI_NUM_MAX 31u   /* 5-bit NUM: up to 32 granules per 2^SCALE */
#define SMMU_TLBI_SCALE_MAX 31u /* 5-bit SCALE (IDR5.DS = 0) */
/* CMD_TLBI_S2_IPA: Address word 1 [51:12] (an IPA, 4.1.6) */
static inline uint64_t smmu_cmd_ipa(const uint64_t *c) { return smmu_fget(c[1], 51, 12) << 12; }
/* CMD_SYNC (4.7.3): CS [13:12], MSH [23:22], MSIAttr [27:24], MSIData [63:32];
 * word 1 MSIAddress [55:2] (bits [55:52] RES0 below SMMUv3.4: we use [51:2]) */
static inline uint32_t smmu_cmd_sync_cs(const uint64_t *c) { return (uint32_t)smmu_fget(c[0], 13, 12); }
static inline uint32_t smmu_cmd_sync_msh(const uint64_t *c) { return (uint32_t)smmu_fget(c[0], 23, 22); }
static inline uint32_t smmu_cmd_sync_msiattr(const uint64_t *c) { return (uint32_t)smmu_fget(c[0], 27, 24); }
static inline uint32_t smmu_cmd_sync_msidata(const uint64_t *c) { return (uint32_t)smmu_fget(c[0], 63, 32); }
static inline uint64_t smmu_cmd_sync_msiaddr(const uint64_t *c) { return smmu_fget(c[1], 51, 2) << 2; }
#define SMMU_SYNC_CS_NONE 0u
#define SMMU_SYNC_CS_IRQ 1u
#define SMMU_SYNC_CS_SEV 2u
/* CMD_ATC_INV (4.5.1): Global word 0 bit 9 (SSID/SSV/SID common); word 1 Size [5:0]
 * (span 4 KB << Size, 52 = everything), Address [63:12] */
static inline uint32_t smmu_cmd_atc_global(const uint64_t *c) { return (uint32_t)smmu_fget(c[0], 9, 9); }
static inline uint32_t smmu_cmd_atc_size(const uint64_t *c) { return (uint32_t)smmu_fget(c[1], 5, 0); }
#define SMMU_ATC_SIZE_ALL 52u
/* CMD_PRI_RESP (4.5.2): word 1 PRGIndex [8:0], Resp [13:12] (0 failure, 1 invalid, 2 success) */
static inline uint32_t smmu_cmd_pri_prgi(const uint64_t *c) { return (uint32_t)smmu_fget(c[1], 8, 0); }
static inline uint32_t smmu_cmd_pri_resp(const uint64_t *c) { return (uint32_t)smmu_fget(c[1], 13, 12); }
#define SMMU_PRI_RESP_FAILURE 0u
#define SMMU_PRI_RESP_INVALID 1u
#define SMMU_PRI_RESP_SUCCESS 2u
static inline void smmu_cmd_set_op(uint64_t *c, uint32_t v) { c[0] = smmu_fset(c[0], 7, 0, v); }
static inline void smmu_cmd_set_ssv(uint64_t *c, uint32_t v) { c[0] = smmu_fset(c[0], 11, 11, v); }
static inline void smmu_cmd_set_ssid(uint64_t *c, uint32_t v) { c[0] = smmu_fset(c[0], 31, 12, v); }
static inline void smmu_cmd_set_sid(uint64_t *c, uint32_t v) { c[0] = smmu_fset(c[0], 63, 32, v); }
static inline void smmu_cmd_set_leaf(uint64_t *c, uint32_t v) { c[1] = smmu_fset(c[1], 0, 0, v); }
static inline void smmu_cmd_set_range(uint64_t *c, uint32_t v) { c[1] = smmu_fset(c[1], 4, 0, v); }
static inline void smmu_cmd_set_vmid(uint64_t *c, uint32_t v) { c[0] = smmu_fset(c[0], 47, 32, v); }
static inline void smmu_cmd_set_asid(uint64_t *c, uint32_t v) { c[0] = smmu_fset(c[0], 63, 48, v); }
static inline void smmu_cmd_set_addr(uint64_t *c, uint64_t va) { c[1] = smmu_fset(c[1], 63, 12, va >> 12); }
static inline void smmu_cmd_set_num(uint64_t *c, uint32_t v) { c[0] = smmu_fset(c[0], 16, 12, v); }
static inline void smmu_cmd_set_scale(uint64_t *c, uint32_t v) { c[0] = smmu_fset(c[0], 24, 20, v); }
static inline void smmu_cmd_set_ttl(uint64_t *c, uint32_t v) { c[1] = smmu_fset(c[1], 9, 8, v); }
static inline void smmu_cmd_set_tg(uint64_t *c, uint32_t v) { c[1] = smmu_fset(c[1], 11, 10, v); }
static inline void smmu_cmd_set_ipa(uint64_t *c, uint64_t ipa) { c[1] = smmu_fset(c[1], 51, 12, ipa >> 12); }
static inline void smmu_cmd_set_sync_cs(uint64_t *c, uint32_t v) { c[0] = smmu_fset(c[0], 13, 12, v); }
static inline void smmu_cmd_set_sync_msh(uint64_t *c, uint32_t v) { c[0] = smmu_fset(c[0], 23, 22, v); }
static inline void smmu_cmd_set_sync_msiattr(uint64_t *c, uint32_t v) { c[0] = smmu_fset(c[0], 27, 24, v); }
static inline void smmu_cmd_set_sync_msidata(uint64_t *c, uint32_t v) { c[0] = smmu_fset(c[0], 63, 32, v); }
static inline void smmu_cmd_set_sync_msiaddr(uint64_t *c, uint64_t pa) { c[1] = smmu_fset(c[1], 51, 2, pa >> 2); }
static inline void smmu_cmd_set_atc_global(uint64_t *c, uint32_t v) { c[0] = smmu_fset(c[0], 9, 9, v); }
static inline void smmu_cmd_set_atc_size(uint64_t *c, uint32_t v) { c[1] = smmu_fset(c[1], 5, 0, v); }
static inline void smmu_cmd_set_pri_prgi(uint64_t *c, uint32_t v) { c[1] = smmu_fset(c[1], 8, 0, v); }
static inline void smmu_cmd_set_pri_resp(uint64_t *c, uint32_t v) { c[1] = smmu_fset(c[1], 13, 12, v); }

enum smmu_cmd_opcode {
	SMMU_CMD_PREFETCH_CONFIG = 0x01,
	SMMU_CMD_PREFETCH_ADDR = 0x02,
	SMMU_CMD_CFGI_STE = 0x03,
	SMMU_CMD_CFGI_STE_RANGE = 0x04, /* Range = 31: CMD_CFGI_ALL */
	SMMU_CMD_CFGI_CD = 0x05,
	SMMU_CMD_CFGI_CD_ALL = 0x06,
	SMMU_CMD_CFGI_VMS_PIDM = 0x07,
	SMMU_CMD_TLBI_NH_ALL = 0x10,
	SMMU_CMD_TLBI_NH_ASID = 0x11,
	SMMU_CMD_TLBI_NH_VA = 0x12,
	SMMU_CMD_TLBI_NH_VAA = 0x13,
	SMMU_CMD_TLBI_EL3_ALL = 0x18,
	SMMU_CMD_TLBI_EL3_VA = 0x1A,
	SMMU_CMD_TLBI_EL2_ALL = 0x20,
	SMMU_CMD_TLBI_EL2_ASID = 0x21,
	SMMU_CMD_TLBI_EL2_VA = 0x22,
	SMMU_CMD_TLBI_EL2_VAA = 0x23,
	SMMU_CMD_TLBI_S12_VMALL = 0x28,
	SMMU_CMD_TLBI_S2_IPA = 0x2A,
	SMMU_CMD_TLBI_NSNH_ALL = 0x30,
	SMMU_CMD_ATC_INV = 0x40,
	SMMU_CMD_PRI_RESP = 0x41,
	SMMU_CMD_RESUME = 0x44,
	SMMU_CMD_STALL_TERM = 0x45,
	SMMU_CMD_SYNC = 0x46,
	SMMU_CMD_TLBI_SNH_ALL = 0x60,
	SMMU_CMD_DPTI_ALL = 0x70,
	SMMU_CMD_DPTI_PA = 0x73,
};
#define SMMU_CFGI_RANGE_ALL 31u

/* ---- event records (7.3) ---- */
/* word 0: EventID [7:0], SSV bit 11, SSID [31:12], SID [63:32] */
static inline uint32_t smmu_evt_id(const uint64_t *e) { return (uint32_t)smmu_fget(e[0], 7, 0); }
static inline uint32_t smmu_evt_ssv(const uint64_t *e) { return (uint32_t)smmu_fget(e[0], 11, 11); }
static inline uint32_t smmu_evt_ssid(const uint64_t *e) { return (uint32_t)smmu_fget(e[0], 31, 12); }
static inline uint32_t smmu_evt_sid(const uint64_t *e) { return (uint32_t)smmu_fget(e[0], 63, 32); }
static inline void smmu_evt_set_id(uint64_t *e, uint32_t v) { e[0] = smmu_fset(e[0], 7, 0, v); }
static inline void smmu_evt_set_ssv(uint64_t *e, uint32_t v) { e[0] = smmu_fset(e[0], 11, 11, v); }
static inline void smmu_evt_set_ssid(uint64_t *e, uint32_t v) { e[0] = smmu_fset(e[0], 31, 12, v); }
static inline void smmu_evt_set_sid(uint64_t *e, uint32_t v) { e[0] = smmu_fset(e[0], 63, 32, v); }
/* word 1: PnU bit 33, InD bit 34, RnW bit 35, S2 bit 39, CLASS [41:40] */
static inline void smmu_evt_set_pnu(uint64_t *e, uint32_t v) { e[1] = smmu_fset(e[1], 33, 33, v); }
static inline void smmu_evt_set_ind(uint64_t *e, uint32_t v) { e[1] = smmu_fset(e[1], 34, 34, v); }
static inline void smmu_evt_set_rnw(uint64_t *e, uint32_t v) { e[1] = smmu_fset(e[1], 35, 35, v); }
static inline void smmu_evt_set_s2(uint64_t *e, uint32_t v) { e[1] = smmu_fset(e[1], 39, 39, v); }
static inline void smmu_evt_set_class(uint64_t *e, uint32_t v) { e[1] = smmu_fset(e[1], 41, 40, v); }
static inline uint32_t smmu_evt_rnw(const uint64_t *e) { return (uint32_t)smmu_fget(e[1], 35, 35); }
static inline uint32_t smmu_evt_class(const uint64_t *e) { return (uint32_t)smmu_fget(e[1], 41, 40); }
/* word 2: InputAddr [63:0]; word 3: FetchAddr [51:3] (F_WALK_EABT) / IPA */
static inline void smmu_evt_set_input_addr(uint64_t *e, uint64_t a) { e[2] = a; }
static inline void smmu_evt_set_fetch_addr(uint64_t *e, uint64_t pa) { e[3] = smmu_fset(0, 51, 3, pa >> 3); }
/* word 1 TTRnW bit 44 (bit 108: F_PERMISSION with CLASS = TT, 1 = descriptor read);
 * word 3 IPA [51:12] in place (stage-2 F_TRANSLATION/F_ADDR_SIZE/F_ACCESS/F_PERMISSION) */
static inline void smmu_evt_set_ttrnw(uint64_t *e, uint32_t v) { e[1] = smmu_fset(e[1], 44, 44, v); }
static inline void smmu_evt_set_ipa(uint64_t *e, uint64_t ipa) { e[3] = smmu_fset(0, 51, 12, ipa >> 12); }
static inline uint32_t smmu_evt_s2(const uint64_t *e) { return (uint32_t)smmu_fget(e[1], 39, 39); }
#define SMMU_EVT_CLASS_CD 0u
#define SMMU_EVT_CLASS_TT 1u
#define SMMU_EVT_CLASS_IN 2u

enum smmu_event_id {
	SMMU_EVT_F_UUT = 0x01,
	SMMU_EVT_C_BAD_STREAMID = 0x02,
	SMMU_EVT_F_STE_FETCH = 0x03,
	SMMU_EVT_C_BAD_STE = 0x04,
	SMMU_EVT_F_BAD_ATS_TREQ = 0x05,
	SMMU_EVT_F_STREAM_DISABLED = 0x06,
	SMMU_EVT_F_TRANSL_FORBIDDEN = 0x07,
	SMMU_EVT_C_BAD_SUBSTREAMID = 0x08,
	SMMU_EVT_F_CD_FETCH = 0x09,
	SMMU_EVT_C_BAD_CD = 0x0A,
	SMMU_EVT_F_WALK_EABT = 0x0B,
	SMMU_EVT_F_TRANSLATION = 0x10,
	SMMU_EVT_F_ADDR_SIZE = 0x11,
	SMMU_EVT_F_ACCESS = 0x12,
	SMMU_EVT_F_PERMISSION = 0x13,
	SMMU_EVT_F_TLB_CONFLICT = 0x20,
	SMMU_EVT_F_CFG_CONFLICT = 0x21,
};

/* ---- VMSAv8-64 stage-1 leaf attributes the SMMU checks (DDI0487 D8.3) ---- */
/* AP[1] bit 6: unprivileged access; AP[2] bit 7: read-only */
static inline uint64_t smmu_pte_ap1(uint64_t d) { return smmu_fget(d, 6, 6); }
static inline uint64_t smmu_pte_ap2(uint64_t d) { return smmu_fget(d, 7, 7); }
/* AF bit 10, nG bit 11 */
static inline uint64_t smmu_pte_af(uint64_t d) { return smmu_fget(d, 10, 10); }
static inline uint64_t smmu_pte_ng(uint64_t d) { return smmu_fget(d, 11, 11); }
/* PXN bit 53, UXN bit 54 */
static inline uint64_t smmu_pte_pxn(uint64_t d) { return smmu_fget(d, 53, 53); }
static inline uint64_t smmu_pte_uxn(uint64_t d) { return smmu_fget(d, 54, 54); }
/* Table descriptor: next-level table address [47:12] */
static inline uint64_t smmu_pte_table_addr(uint64_t d) { return smmu_fget(d, 47, 12) << 12; }
/* Next-level table address for a granule of 2^gshift bytes: [47:gshift], and with the
 * 64 KB granule and a 52-bit PA (FEAT_LPA) OA[51:48] from descriptor bits [15:12]. */
static inline uint64_t smmu_pte_next_table(uint64_t d, unsigned gshift, int lpa)
{
	uint64_t a = smmu_fget(d, 47, gshift) << gshift;
	return lpa ? a | (smmu_fget(d, 15, 12) << 48) : a;
}

#endif
