/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vmsa.c - VMSAv8-64 stage-1 translation-table format, 4 KB granule, as an
 * ops table (pt-fmt.h) for the generic builder and walker in pgtable.c.
 *
 * Spec: Arm DDI0487 (K.a) D8.2 (geometry, index bits), D8.3 (descriptor
 * formats), D8.4 (hierarchical permissions); bit layouts in vmsa-regs.h;
 * summary in docs reference section 1.5.
 *
 * What it encodes (builder):
 *  - table descriptors: valid | table | next-table address; the hierarchical
 *    controls (APTable, XNTable, PXNTable, NSTable) are written as 0;
 *  - leaves: AttrIndx = 0 (MAIR index 0, which the host programs as Normal
 *    write-back memory, as Linux io-pgtable-arm does for cacheable mappings),
 *    SH = Inner Shareable, AF = 1 unless IOM_PTE_NOAF, AP[2] = 1 without
 *    IOM_PTE_W, AP[1] = 1 with IOM_PTE_USER, nG with IOM_PTE_NG, DBM with
 *    IOM_PTE_DBM, PXN = UXN = 1 without IOM_PTE_X (both 0 with it).
 *    A VMSA leaf is always readable: IOM_PTE_R is implied, as in Linux.
 * What it decodes (walker):
 *  - a valid leaf grants R; W iff AP[2] == 0; X iff UXN == 0 and USER iff
 *    AP[1] == 1.  Device accesses are treated as unprivileged (EL0-like), so
 *    execute permission follows UXN, not PXN.  DBM/dirty state is reported
 *    as IOM_PTE_DBM and left to the IOMMU model (HTTU);
 *  - table descriptors: APTable[1] removes W, APTable[0] removes USER and
 *    UXNTable removes X for everything below (DDI0487 D8.4.2);
 *  - reserved encodings (a block at L0, bit[1] = 0 at L3) decode as invalid,
 *    i.e. translation fault.
 * Not modelled: 16 KB / 64 KB granules, 52-bit IA/OA (LPA, LPA2), the
 * Contiguous hint (read but ignored, which is architecturally allowed), NS,
 * GP, memory attributes beyond writing AttrIndx/SH.
 * Timing: none here; the walker charges one memory read per level.
 */
#include "pt-fmt.h"
#include "vmsa-regs.h"

#define VMSA_G4K        12u
#define VMSA_LAST_LEVEL 3u
#define VMSA_IA_MIN     25u /* T0SZ = 39, the largest without FEAT_TTST */
#define VMSA_IA_MAX     48u /* 52 needs FEAT_LPA2 */
#define VMSA_OA_MIN     32u /* smallest PARange */
#define VMSA_OA_MAX     48u /* 52 needs FEAT_LPA2 */

static int vmsa_geometry(const struct iom_pt_cfg *cfg, struct iom_pt_geom *g, struct iom_err *err)
{
	if (cfg->granule_shift != VMSA_G4K)
		return iom_err_set(
		    err, IOM_ENOTSUP,
		    "pgtable: format VMSA64_S1 granule_shift %u not implemented (only 12 = 4 KB)",
		    cfg->granule_shift);
	if (cfg->ia_bits < VMSA_IA_MIN || cfg->ia_bits > VMSA_IA_MAX)
		return iom_err_set(err, IOM_ENOTSUP,
		                   "pgtable: format VMSA64_S1 ia_bits %u not implemented (%u..%u)",
		                   cfg->ia_bits, VMSA_IA_MIN, VMSA_IA_MAX);
	if (cfg->oa_bits > VMSA_OA_MAX)
		return iom_err_set(
		    err, IOM_ENOTSUP,
		    "pgtable: format VMSA64_S1 oa_bits %u not implemented (max %u without LPA)",
		    cfg->oa_bits, VMSA_OA_MAX);
	if (cfg->oa_bits < VMSA_OA_MIN)
		return iom_err_set(err, IOM_EINVAL,
		                   "pgtable: oa_bits %u below the smallest PARange (%u)",
		                   cfg->oa_bits, VMSA_OA_MIN);
	/* D8.2: stride s = g - 3; levels = ceil((IA - g) / s); start = 4 - levels. */
	unsigned s = VMSA_G4K - 3;
	unsigned levels = (cfg->ia_bits - VMSA_G4K + s - 1) / s;
	g->levels = (uint8_t)levels;
	g->start_level = (uint8_t)(VMSA_LAST_LEVEL + 1 - levels);
	g->stride = (uint8_t)s;
	g->granule_shift = VMSA_G4K;
	return 0;
}

/* 4 KB granule: L3 entry = 2^12, L2 = 2^21, L1 = 2^30, L0 = 2^39. */
static unsigned vmsa_level_shift(const struct iom_pt_geom *g, unsigned level)
{
	return g->granule_shift + g->stride * (VMSA_LAST_LEVEL - level);
}

/* IA[47:39] at L0, [38:30] at L1, [29:21] at L2, [20:12] at L3.  At the start
 * level the table may be smaller (2^(IA - shift) entries); callers have
 * checked iova < 2^IA, so the stride mask takes exactly those bits. */
static unsigned vmsa_index(const struct iom_pt_geom *g, uint64_t iova, unsigned level)
{
	return (unsigned)((iova >> vmsa_level_shift(g, level)) & ((1ull << g->stride) - 1));
}

static void vmsa_decode_leaf(const struct iom_pt_geom *g, unsigned level, uint64_t d,
                             struct pt_desc *out)
{
	uint64_t span = 1ull << vmsa_level_shift(g, level);

	out->kind = PT_DESC_LEAF;
	/* The OA of a block is [47:21] (L2) or [47:30] (L1); lower bits are RES0. */
	out->addr = vmsa_d_addr(d) & ~(span - 1);
	out->af = vmsa_d_af(d);
	out->perms = IOM_PTE_R;
	if (!vmsa_d_ap2_rdonly(d))
		out->perms |= IOM_PTE_W;
	if (!vmsa_d_uxn(d))
		out->perms |= IOM_PTE_X;
	if (vmsa_d_ap1_unpriv(d))
		out->perms |= IOM_PTE_USER;
	if (vmsa_d_ng(d))
		out->perms |= IOM_PTE_NG;
	if (vmsa_d_dbm(d))
		out->perms |= IOM_PTE_DBM;
}

static void vmsa_decode_table(uint64_t d, struct pt_desc *out)
{
	out->kind = PT_DESC_TABLE;
	out->addr = vmsa_d_addr(d);
	if (vmsa_t_aptable1_no_write(d))
		out->table_deny |= IOM_PTE_W;
	if (vmsa_t_aptable0_no_el0(d))
		out->table_deny |= IOM_PTE_USER;
	if (vmsa_t_uxntable(d))
		out->table_deny |= IOM_PTE_X;
}

/* D8.3.1: bit[0] valid; bit[1] = 1 table at L0-L2 / page at L3; bit[1] = 0
 * block at L1-L2, reserved (translation fault) at L0 (4 KB, no LPA2) and L3. */
static void vmsa_decode(const struct iom_pt_geom *g, unsigned level, uint64_t d,
                        struct pt_desc *out)
{
	*out = (struct pt_desc){.kind = PT_DESC_INVALID};
	if (!vmsa_d_valid(d))
		return;
	bool bit1 = vmsa_d_type_table_page(d);
	if (level < VMSA_LAST_LEVEL && bit1)
		vmsa_decode_table(d, out);
	else if (level == VMSA_LAST_LEVEL && bit1)
		vmsa_decode_leaf(g, level, d, out);
	else if (level >= 1 && level < VMSA_LAST_LEVEL)
		vmsa_decode_leaf(g, level, d, out); /* block */
	                                            /* else: reserved encoding, stays invalid */
}

static uint64_t vmsa_enc_table(uint64_t next_pa)
{
	return VMSA_D_VALID | VMSA_D_TYPE | (next_pa & VMSA_D_ADDR);
}

static uint64_t vmsa_enc_leaf(const struct iom_pt_geom *g, unsigned level, uint64_t oa, uint32_t f)
{
	uint64_t d = VMSA_D_VALID | (oa & VMSA_D_ADDR);

	if (level == VMSA_LAST_LEVEL)
		d |= VMSA_D_TYPE; /* page; 0 = block at L1/L2 */
	d |= vmsa_put(VMSA_D_ATTRINDX, VMSA_ATTRINDX_NORMAL);
	d |= vmsa_put(VMSA_D_SH, VMSA_SH_INNER);
	if (!(f & IOM_PTE_NOAF))
		d |= VMSA_D_AF;
	if (!(f & IOM_PTE_W))
		d |= VMSA_D_AP2;
	if (f & IOM_PTE_USER)
		d |= VMSA_D_AP1;
	if (f & IOM_PTE_NG)
		d |= VMSA_D_NG;
	if (f & IOM_PTE_DBM)
		d |= VMSA_D_DBM;
	if (!(f & IOM_PTE_X))
		d |= VMSA_D_PXN | VMSA_D_UXN;
	return d;
}

/* 4 KB granule without LPA2: blocks at L1 (1 GB) and L2 (2 MB), pages at L3. */
static bool vmsa_leaf_ok(const struct iom_pt_geom *g, unsigned level)
{
	return level >= 1 && level >= g->start_level && level <= VMSA_LAST_LEVEL;
}

const struct pt_fmt_ops iom_pt_fmt_vmsa64_s1 = {
    .name = "VMSA64_S1",
    .geometry = vmsa_geometry,
    .level_shift = vmsa_level_shift,
    .index = vmsa_index,
    .decode = vmsa_decode,
    .enc_table = vmsa_enc_table,
    .enc_leaf = vmsa_enc_leaf,
    .leaf_ok = vmsa_leaf_ok,
};
