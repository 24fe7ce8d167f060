/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vmsa.c - VMSAv8-64 stage-1 and stage-2 translation-table formats, 4 KB,
 * 16 KB and 64 KB granules, as ops tables (pt-fmt.h) for the generic builder
 * and walker in pgtable.c.
 *
 * Spec: Arm DDI0487 (K.a) D8.2 (geometry, start levels, concatenation), D8.3
 * (descriptor formats), D8.4 (hierarchical permissions), D8.5 (AF, dirty
 * state, HTTU), D8.6.1 (Contiguous bit); the stage-2 start-level rules are
 * those of the pseudocode AArch64.S2InvalidSL / AArch64.S2InconsistentSL and
 * the SMMUv3 STE.S2T0SZ / S2SL0 text (IHI0070 5.2); bit layouts in
 * vmsa-regs.h; summary in the reference sections 1.5 and 1.6.
 *
 * Geometry (stride s = g - 3, g = granule shift 12/14/16):
 *  - stage 1: levels = ceil((IA - g) / s), start level = 4 - levels; IA is
 *    25..48 bits (25..52 with 64 KB, FEAT_LVA); T0SZ > 39 (FEAT_TTST) and the
 *    52-bit 4 KB/16 KB forms (FEAT_LPA2) are not accepted;
 *  - stage 2: start level from SL0: 4 KB: 2 - SL0 (SL0 = 3, level 3, needs
 *    FEAT_TTST: ILLEGAL here), 16 KB / 64 KB: 3 - SL0 (16 KB SL0 = 3 needs
 *    DS = 1, 64 KB SL0 = 3 is reserved); SL0 = 2 needs PAMax >= 44 (4 KB,
 *    64 KB) or >= 42 (16 KB).  With n = 3 - start levels below the start
 *    level, IA must lie in [n*s + g + 1, n*s + g + s + 4]: the start level
 *    resolves 1..s bits, plus up to 4 bits of concatenation (2..16 tables
 *    laid out back to back, indexed as one table).  IA <= PAMax.
 * What it encodes (builder):
 *  - table descriptors: valid | table | next-table address; the stage-1
 *    hierarchical controls (APTable, XNTable, PXNTable, NSTable) as 0;
 *  - stage-1 leaves: AttrIndx = 0 (MAIR index 0, Normal write-back, as Linux
 *    io-pgtable-arm does for cacheable mappings), SH = Inner Shareable, AF = 1
 *    unless IOM_PTE_NOAF, AP[2] = 1 without IOM_PTE_W (or with W|DBM|CLEAN:
 *    writable-clean), AP[1] with IOM_PTE_USER, nG with IOM_PTE_NG, DBM with
 *    IOM_PTE_DBM, Contiguous with IOM_PTE_CONT, PXN = UXN = 1 without
 *    IOM_PTE_X (both 0 with it).  A stage-1 leaf is always readable;
 *  - stage-2 leaves: MemAttr = 0b1111 (Normal WB), SH = Inner Shareable, AF
 *    as above, S2AP[0] with IOM_PTE_R, S2AP[1] with IOM_PTE_W (0 when
 *    writable-clean), DBM, Contiguous, XN = 0b10 (no execution) without
 *    IOM_PTE_X; IOM_PTE_USER / IOM_PTE_NG have no stage-2 meaning and are
 *    ignored;
 *  - 64 KB granule with a 52-bit PAMax (FEAT_LPA): OA[51:48] in [15:12].
 * What it decodes (walker):
 *  - stage-1 leaf: R; W iff AP[2] == 0; X iff UXN == 0 and USER iff AP[1] ==
 *    1 (devices are unprivileged, so execute follows UXN; PXN is reported
 *    apart); NG, DBM, CONT as read;
 *  - stage-2 leaf: R iff S2AP[0], W iff S2AP[1], X iff XN[1] == 0 (EL0 view),
 *    pxn iff XN is 01 or 10; DBM, CONT as read;
 *  - stage-1 tables: APTable[1] removes W, APTable[0] removes USER and
 *    UXNTable removes X, PXNTable sets pxn for everything below (D8.4.2); stage-2 table
 *    descriptors carry no hierarchical controls;
 *  - blocks where AArch64.BlockDescSupported allows them: 4 KB L1 and L2,
 *    16 KB L2, 64 KB L2 and, with PAMax = 52, L1; bit[1] = 0 anywhere else
 *    and at L3 is reserved and decodes invalid (translation fault).
 * HTTU (D8.5): with HA, a leaf with AF = 0 gets AF = 1; with HD, a write to a
 *  writable-clean leaf (DBM = 1 and S1 AP[2] = 1 / S2 S2AP[1] = 0) clears
 *  AP[2] / sets S2AP[1], provided the write is otherwise permitted (stage 1:
 *  no APTable write denial and, for an unprivileged access, AP[1] = 1 without
 *  APTable[0]) and the AF is, or becomes, 1.  pgtable.c does the timed RMW.
 * Dirty state for software (leaf_dirty, io-pgtable-arm's view): writable-dirty
 *  = DBM && !AP[2] (S2: DBM && S2AP[1]); harvesting sets AP[2] (clears S2AP[1]).
 * Not modelled: FEAT_LPA2 (52-bit 4 KB/16 KB, level -1), FEAT_TTST, NS, GP,
 * memory attributes beyond writing AttrIndx/MemAttr and SH, S2FWB,
 * hardware-managed table AF (FEAT_HAFT), Permission Indirection.
 * Timing: none here; the walker charges one memory read per level.
 */
#include "pt-fmt.h"
#include "vmsa-regs.h"

#define VMSA_G4K        12u
#define VMSA_G16K       14u
#define VMSA_G64K       16u
#define VMSA_LAST_LEVEL 3u
#define VMSA_IA_MIN     25u /* TxSZ = 39, the largest without FEAT_TTST */
#define VMSA_IA_MAX     48u /* 4 KB / 16 KB: 52 needs FEAT_LPA2 */
#define VMSA_ADDR_MAX   52u /* 64 KB: FEAT_LVA (IA) and FEAT_LPA (OA) */
#define VMSA_OA_MIN     32u /* smallest PARange */
#define VMSA_OA_MAX     48u /* 4 KB / 16 KB: 52 needs FEAT_LPA2 */

static const char *vmsa_gname(unsigned g)
{
	return g == VMSA_G4K ? "4 KB" : g == VMSA_G16K ? "16 KB" : "64 KB";
}

/* Checks shared by both stages: granule, IA and OA widths, PAMax. */
static int vmsa_widths(const char *fmt, const char *txsz, const struct iom_pt_cfg *cfg,
                       struct iom_pt_geom *g, struct iom_err *err)
{
	unsigned gs = cfg->granule_shift, ia = cfg->ia_bits, oa = cfg->oa_bits;
	unsigned pamax = cfg->pamax_bits ? cfg->pamax_bits : oa;
	bool g64 = gs == VMSA_G64K;

	if (gs != VMSA_G4K && gs != VMSA_G16K && !g64)
		return iom_err_set(err, IOM_EINVAL,
		                   "pgtable: format %s granule_shift %u is not a VMSA granule "
		                   "(12 = 4 KB, 14 = 16 KB, 16 = 64 KB)",
		                   fmt, gs);
	if (ia < VMSA_IA_MIN || ia > VMSA_ADDR_MAX)
		return iom_err_set(
		    err, IOM_ERANGE,
		    "pgtable: format %s ia_bits %u (%s %d) illegal: the range is "
		    "%u..%u bits (%s %u..%u; %s > 39 needs FEAT_TTST)",
		    fmt, ia, txsz, 64 - (int)ia, VMSA_IA_MIN, g64 ? VMSA_ADDR_MAX : VMSA_IA_MAX,
		    txsz, 64 - (g64 ? VMSA_ADDR_MAX : VMSA_IA_MAX), 64 - VMSA_IA_MIN, txsz);
	if (!g64 && ia > VMSA_IA_MAX)
		return iom_err_set(err, IOM_ENOTSUP,
		                   "pgtable: format %s ia_bits %u not implemented (%u..%u with the "
		                   "%s granule: 52-bit IA needs FEAT_LPA2)",
		                   fmt, ia, VMSA_IA_MIN, VMSA_IA_MAX, vmsa_gname(gs));
	if (oa < VMSA_OA_MIN)
		return iom_err_set(err, IOM_EINVAL,
		                   "pgtable: oa_bits %u below the smallest PARange (%u)", oa,
		                   VMSA_OA_MIN);
	if (oa > VMSA_ADDR_MAX || pamax > VMSA_ADDR_MAX || pamax < oa)
		return iom_err_set(err, IOM_EINVAL,
		                   "pgtable: format %s oa_bits %u / pamax_bits %u: need oa_bits <= "
		                   "pamax_bits <= %u",
		                   fmt, oa, pamax, VMSA_ADDR_MAX);
	if (!g64 && oa > VMSA_OA_MAX)
		return iom_err_set(err, IOM_ENOTSUP,
		                   "pgtable: format %s oa_bits %u not implemented (max %u with the "
		                   "%s granule without LPA2)",
		                   fmt, oa, VMSA_OA_MAX, vmsa_gname(gs));
	*g = (struct iom_pt_geom){.stride = (uint8_t)(gs - 3),
	                          .granule_shift = (uint8_t)gs,
	                          .concat = 1,
	                          .ia_bits = (uint8_t)ia,
	                          .oa_bits = (uint8_t)oa,
	                          .lpa = g64 && pamax == VMSA_ADDR_MAX};
	return 0;
}

/* 4 KB granule: L3 entry = 2^12, L2 = 2^21, L1 = 2^30, L0 = 2^39; 16 KB:
 * 2^14, 2^25, 2^36, 2^47; 64 KB: 2^16, 2^29, 2^42. */
static unsigned vmsa_level_shift(const struct iom_pt_geom *g, unsigned level)
{
	return g->granule_shift + g->stride * (VMSA_LAST_LEVEL - level);
}

static void vmsa_set_start(struct iom_pt_geom *g, unsigned start)
{
	g->start_level = (uint8_t)start;
	g->levels = (uint8_t)(VMSA_LAST_LEVEL + 1 - start);
	g->top_bits = (uint8_t)(g->ia_bits - vmsa_level_shift(g, start));
}

static int vmsa_s1_geometry(const struct iom_pt_cfg *cfg, struct iom_pt_geom *g,
                            struct iom_err *err)
{
	int rc = vmsa_widths("VMSA64_S1", "T0SZ", cfg, g, err);
	if (rc)
		return rc;
	if (cfg->sl0)
		return iom_err_set(err, IOM_EINVAL,
		                   "pgtable: format VMSA64_S1 sl0 %u: SL0 is a stage-2 field",
		                   cfg->sl0);
	/* D8.2: levels = ceil((IA - g) / s); start = 4 - levels. */
	unsigned s = g->stride, levels = (cfg->ia_bits - g->granule_shift + s - 1) / s;
	vmsa_set_start(g, VMSA_LAST_LEVEL + 1 - levels);
	return 0;
}

/* AArch64.S2InvalidSL: the SL0 encodings the granule (and PAMax) allow. */
static int vmsa_s2_start(const struct iom_pt_cfg *cfg, unsigned *start, struct iom_err *err)
{
	unsigned gs = cfg->granule_shift, sl0 = cfg->sl0;
	unsigned pamax = cfg->pamax_bits ? cfg->pamax_bits : cfg->oa_bits;
	unsigned need = gs == VMSA_G16K ? 42u : 44u;

	if (sl0 > 3)
		return iom_err_set(err, IOM_EINVAL,
		                   "pgtable: format VMSA64_S2 sl0 %u is not a 2-bit S2SL0 value",
		                   sl0);
	if (sl0 == 3) {
		const char *why = gs == VMSA_G4K    ? "level 3 start needs FEAT_TTST"
		                  : gs == VMSA_G16K ? "level 0 start needs S2DS = 1 (FEAT_LPA2)"
		                                    : "reserved";
		return iom_err_set(err, IOM_ERANGE,
		                   "pgtable: format VMSA64_S2 S2SL0 3 with the %s granule is "
		                   "ILLEGAL (%s)",
		                   vmsa_gname(gs), why);
	}
	if (sl0 == 2 && pamax < need)
		return iom_err_set(
		    err, IOM_ERANGE,
		    "pgtable: format VMSA64_S2 S2SL0 2 with the %s granule is ILLEGAL "
		    "with a %u-bit PAMax (needs >= %u)",
		    vmsa_gname(gs), pamax, need);
	*start = (gs == VMSA_G4K ? 2u : 3u) - sl0;
	return 0;
}

static int vmsa_s2_geometry(const struct iom_pt_cfg *cfg, struct iom_pt_geom *g,
                            struct iom_err *err)
{
	int rc = vmsa_widths("VMSA64_S2", "S2T0SZ", cfg, g, err);
	if (rc)
		return rc;
	unsigned ia = cfg->ia_bits, pamax = cfg->pamax_bits ? cfg->pamax_bits : cfg->oa_bits;
	if (cfg->ttb1)
		return iom_err_set(err, IOM_EINVAL,
		                   "pgtable: format VMSA64_S2 has no TTB1 region (ttb1 must be 0)");
	if (ia > pamax)
		return iom_err_set(
		    err, IOM_ERANGE,
		    "pgtable: format VMSA64_S2 S2T0SZ %u (IA %u bits) is ILLEGAL: the "
		    "minimum is 64 - IAS = %u (IAS = PAMax = %u bits)",
		    64 - ia, ia, 64 - pamax, pamax);
	unsigned start = 0;
	rc = vmsa_s2_start(cfg, &start, err);
	if (rc)
		return rc;
	/* AArch64.S2InconsistentSL: the start level resolves 1..s bits, plus
	 * up to 4 bits of concatenation. */
	unsigned s = g->stride, below = VMSA_LAST_LEVEL - start;
	unsigned lo = below * s + g->granule_shift + 1, hi = lo + (s - 1) + 4;
	if (ia < lo || ia > hi)
		return iom_err_set(
		    err, IOM_ERANGE,
		    "pgtable: format VMSA64_S2 S2T0SZ %u (IA %u bits) inconsistent with "
		    "S2SL0 %u: a %s-granule walk starting at level %u takes IA "
		    "%u..%u bits (S2T0SZ %u..%u)",
		    64 - ia, ia, cfg->sl0, vmsa_gname(cfg->granule_shift), start, lo, hi, 64 - hi,
		    64 - lo);
	vmsa_set_start(g, start);
	if (g->top_bits > s)
		g->concat = (uint8_t)(1u << (g->top_bits - s));
	return 0;
}

/* The start level takes top_bits of the IA (all concatenated tables as one);
 * every other level takes `stride` bits. */
static unsigned vmsa_index(const struct iom_pt_geom *g, uint64_t iova, unsigned level)
{
	unsigned bits = level == g->start_level ? g->top_bits : g->stride;
	return (unsigned)((iova >> vmsa_level_shift(g, level)) & ((1ull << bits) - 1));
}

/* AArch64.BlockDescSupported without FEAT_LPA2 (DS = 0). */
static bool vmsa_block_ok(const struct iom_pt_geom *g, unsigned level)
{
	switch (g->granule_shift) {
	case VMSA_G4K:
		return level == 1 || level == 2;
	case VMSA_G16K:
		return level == 2;
	default:
		return level == 2 || (level == 1 && g->lpa);
	}
}

static bool vmsa_leaf_ok(const struct iom_pt_geom *g, unsigned level)
{
	return level >= g->start_level && level <= VMSA_LAST_LEVEL &&
	       (level == VMSA_LAST_LEVEL || vmsa_block_ok(g, level));
}

/* D8.6.1: 4 KB granule 16 entries; 16 KB 128 at L3, 32 at L2; 64 KB 32 at L3
 * and L2.  (No hint is written for the 64 KB L1 block.) */
static unsigned vmsa_cont_entries(const struct iom_pt_geom *g, unsigned level)
{
	if (!vmsa_leaf_ok(g, level))
		return 0;
	switch (g->granule_shift) {
	case VMSA_G4K:
		return 16;
	case VMSA_G16K:
		return level == VMSA_LAST_LEVEL ? 128 : 32;
	default:
		return level == 1 ? 0 : 32;
	}
}

/* Address field: [47:g], and with FEAT_LPA on 64 KB OA[51:48] from [15:12]. */
static uint64_t vmsa_addr(const struct iom_pt_geom *g, uint64_t d)
{
	uint64_t a = d & VMSA_D_ADDR & ~((1ull << g->granule_shift) - 1);
	if (g->lpa)
		a |= (uint64_t)vmsa_d_addr_hi64k(d) << VMSA_ADDR_HI_SHIFT;
	return a;
}

static uint64_t vmsa_enc_addr(const struct iom_pt_geom *g, uint64_t pa)
{
	uint64_t d = pa & VMSA_D_ADDR & ~((1ull << g->granule_shift) - 1);
	if (g->lpa)
		d |= vmsa_put(VMSA_D_ADDR_HI64K, pa >> VMSA_ADDR_HI_SHIFT);
	return d;
}

static void vmsa_leaf_common(const struct iom_pt_geom *g, unsigned level, uint64_t d,
                             struct pt_desc *out)
{
	uint64_t span = 1ull << vmsa_level_shift(g, level);

	out->kind = PT_DESC_LEAF;
	/* The OA of a block is the field above its span; lower bits are RES0. */
	out->addr = vmsa_addr(g, d) & ~(span - 1);
	out->af = vmsa_d_af(d);
	out->cont = vmsa_d_cont(d);
	if (vmsa_d_dbm(d))
		out->perms |= IOM_PTE_DBM;
	if (out->cont)
		out->perms |= IOM_PTE_CONT;
}

static void vmsa_s1_decode_leaf(const struct iom_pt_geom *g, unsigned level, uint64_t d,
                                struct pt_desc *out)
{
	vmsa_leaf_common(g, level, d, out);
	out->perms |= IOM_PTE_R;
	if (!vmsa_d_ap2_rdonly(d))
		out->perms |= IOM_PTE_W;
	if (!vmsa_d_uxn(d))
		out->perms |= IOM_PTE_X;
	if (vmsa_d_ap1_unpriv(d))
		out->perms |= IOM_PTE_USER;
	if (vmsa_d_ng(d))
		out->perms |= IOM_PTE_NG;
	out->pxn = vmsa_d_pxn(d);
}

static void vmsa_s2_decode_leaf(const struct iom_pt_geom *g, unsigned level, uint64_t d,
                                struct pt_desc *out)
{
	unsigned xn = vmsa_s2_xn(d);

	vmsa_leaf_common(g, level, d, out);
	if (vmsa_s2_read(d))
		out->perms |= IOM_PTE_R;
	if (vmsa_s2_write(d))
		out->perms |= IOM_PTE_W;
	if (!(xn & 2)) /* XN[1] == 0: executable at EL0 */
		out->perms |= IOM_PTE_X;
	out->pxn = xn == 1 || xn == 2;
}

static void vmsa_s1_decode_table(const struct iom_pt_geom *g, uint64_t d, struct pt_desc *out)
{
	out->kind = PT_DESC_TABLE;
	out->addr = vmsa_addr(g, d);
	if (vmsa_t_aptable1_no_write(d))
		out->table_deny |= IOM_PTE_W;
	if (vmsa_t_aptable0_no_el0(d))
		out->table_deny |= IOM_PTE_USER;
	if (vmsa_t_uxntable(d))
		out->table_deny |= IOM_PTE_X;
	if (vmsa_t_pxntable(d))
		out->table_deny |= PT_DENY_PXN;
}

/* D8.3.1: bit[0] valid; bit[1] = 1 table at L0-L2 / page at L3; bit[1] = 0
 * block where vmsa_block_ok(), reserved (translation fault) elsewhere. */
static int vmsa_kind(const struct iom_pt_geom *g, unsigned level, uint64_t d)
{
	if (!vmsa_d_valid(d))
		return PT_DESC_INVALID;
	bool bit1 = vmsa_d_type_table_page(d);
	if (level < VMSA_LAST_LEVEL)
		return bit1                      ? PT_DESC_TABLE
		       : vmsa_block_ok(g, level) ? PT_DESC_LEAF
		                                 : PT_DESC_INVALID;
	return bit1 ? PT_DESC_LEAF : PT_DESC_INVALID;
}

static void vmsa_s1_decode(const struct iom_pt_geom *g, unsigned level, uint64_t d,
                           struct pt_desc *out)
{
	*out = (struct pt_desc){.kind = PT_DESC_INVALID};
	switch (vmsa_kind(g, level, d)) {
	case PT_DESC_TABLE:
		vmsa_s1_decode_table(g, d, out);
		break;
	case PT_DESC_LEAF:
		vmsa_s1_decode_leaf(g, level, d, out);
		break;
	}
}

static void vmsa_s2_decode(const struct iom_pt_geom *g, unsigned level, uint64_t d,
                           struct pt_desc *out)
{
	*out = (struct pt_desc){.kind = PT_DESC_INVALID};
	switch (vmsa_kind(g, level, d)) {
	case PT_DESC_TABLE: /* stage 2: no hierarchical controls */
		out->kind = PT_DESC_TABLE;
		out->addr = vmsa_addr(g, d);
		break;
	case PT_DESC_LEAF:
		vmsa_s2_decode_leaf(g, level, d, out);
		break;
	}
}

static uint64_t vmsa_enc_table(const struct iom_pt_geom *g, uint64_t next_pa)
{
	return VMSA_D_VALID | VMSA_D_TYPE | vmsa_enc_addr(g, next_pa);
}

/* Bits common to both stages' leaves. */
static uint64_t vmsa_enc_leaf_common(const struct iom_pt_geom *g, unsigned level, uint64_t oa,
                                     uint32_t f)
{
	uint64_t d = VMSA_D_VALID | vmsa_enc_addr(g, oa);

	if (level == VMSA_LAST_LEVEL)
		d |= VMSA_D_TYPE; /* page; 0 = block */
	d |= vmsa_put(VMSA_D_SH, VMSA_SH_INNER);
	if (!(f & IOM_PTE_NOAF))
		d |= VMSA_D_AF;
	if (f & IOM_PTE_DBM)
		d |= VMSA_D_DBM;
	if (f & IOM_PTE_CONT)
		d |= VMSA_D_CONT;
	return d;
}

/* Writable-clean: a writable DBM leaf built for hardware dirty tracking. */
static bool vmsa_clean(uint32_t f)
{
	uint32_t m = IOM_PTE_W | IOM_PTE_DBM | IOM_PTE_CLEAN;
	return (f & m) == m;
}

static uint64_t vmsa_s1_enc_leaf(const struct iom_pt_geom *g, unsigned level, uint64_t oa,
                                 uint32_t f)
{
	uint64_t d = vmsa_enc_leaf_common(g, level, oa, f);

	d |= vmsa_put(VMSA_D_ATTRINDX, VMSA_ATTRINDX_NORMAL);
	if (!(f & IOM_PTE_W) || vmsa_clean(f))
		d |= VMSA_D_AP2;
	if (f & IOM_PTE_USER)
		d |= VMSA_D_AP1;
	if (f & IOM_PTE_NG)
		d |= VMSA_D_NG;
	if (!(f & IOM_PTE_X))
		d |= VMSA_D_PXN | VMSA_D_UXN;
	return d;
}

static uint64_t vmsa_s2_enc_leaf(const struct iom_pt_geom *g, unsigned level, uint64_t oa,
                                 uint32_t f)
{
	uint64_t d = vmsa_enc_leaf_common(g, level, oa, f);

	d |= vmsa_put(VMSA_S2_MEMATTR, VMSA_S2_MEMATTR_NORMAL_WB);
	if (f & IOM_PTE_R)
		d |= VMSA_S2_S2AP_R;
	if ((f & IOM_PTE_W) && !vmsa_clean(f))
		d |= VMSA_S2_S2AP_W;
	d |= vmsa_put(VMSA_S2_XN, (f & IOM_PTE_X) ? VMSA_S2_XN_NONE : VMSA_S2_XN_ALL);
	return d;
}

/* HA: set AF.  Both stages use AF [10]. */
static void vmsa_httu_af(const struct iom_pt_walk *w, uint64_t d, struct pt_httu *u)
{
	if (w->ha && !vmsa_d_af(d)) {
		u->set |= VMSA_D_AF;
		u->af = 1;
	}
}

/* The dirty update needs the AF to be 1 after this walk (else: access fault). */
static bool vmsa_httu_af_ok(const struct iom_pt_walk *w, uint64_t d)
{
	return vmsa_d_af(d) || w->ha;
}

static bool vmsa_s1_httu(const struct iom_pt_walk *w, uint64_t d, uint32_t deny, struct pt_httu *u)
{
	*u = (struct pt_httu){0};
	vmsa_httu_af(w, d, u);
	bool user_ok = w->priv || (vmsa_d_ap1_unpriv(d) && !(deny & IOM_PTE_USER));
	if (w->hd && w->write && vmsa_d_dbm(d) && vmsa_d_ap2_rdonly(d) && !(deny & IOM_PTE_W) &&
	    user_ok && vmsa_httu_af_ok(w, d)) {
		u->clear |= VMSA_D_AP2; /* writable-clean -> writable-dirty */
		u->dirty = 1;
	}
	return u->af || u->dirty;
}

static bool vmsa_s2_httu(const struct iom_pt_walk *w, uint64_t d, uint32_t deny, struct pt_httu *u)
{
	(void)deny;
	*u = (struct pt_httu){0};
	vmsa_httu_af(w, d, u);
	if (w->hd && w->write && vmsa_d_dbm(d) && !vmsa_s2_write(d) && vmsa_httu_af_ok(w, d)) {
		u->set |= VMSA_S2_S2AP_W;
		u->dirty = 1;
	}
	return u->af || u->dirty;
}

/* Linux io-pgtable-arm: writable-dirty = DBM set and AP[2] clear; cleared by
 * setting AP[2] again (writable-clean).  Stage 2: DBM and S2AP[1]; cleared by
 * clearing S2AP[1].  A leaf without DBM never holds dirty state. */
static bool vmsa_s1_leaf_dirty(uint64_t d, uint64_t *clean)
{
	*clean = d | VMSA_D_AP2;
	return vmsa_d_dbm(d) && !vmsa_d_ap2_rdonly(d);
}

static bool vmsa_s2_leaf_dirty(uint64_t d, uint64_t *clean)
{
	*clean = d & ~VMSA_S2_S2AP_W;
	return vmsa_d_dbm(d) && vmsa_s2_write(d);
}

const struct pt_fmt_ops iom_pt_fmt_vmsa64_s1 = {
    .name = "VMSA64_S1",
    .geometry = vmsa_s1_geometry,
    .level_shift = vmsa_level_shift,
    .index = vmsa_index,
    .decode = vmsa_s1_decode,
    .enc_table = vmsa_enc_table,
    .enc_leaf = vmsa_s1_enc_leaf,
    .leaf_ok = vmsa_leaf_ok,
    .cont_entries = vmsa_cont_entries,
    .cont_bit = VMSA_D_CONT,
    .httu = vmsa_s1_httu,
    .leaf_dirty = vmsa_s1_leaf_dirty,
};

const struct pt_fmt_ops iom_pt_fmt_vmsa64_s2 = {
    .name = "VMSA64_S2",
    .geometry = vmsa_s2_geometry,
    .level_shift = vmsa_level_shift,
    .index = vmsa_index,
    .decode = vmsa_s2_decode,
    .enc_table = vmsa_enc_table,
    .enc_leaf = vmsa_s2_enc_leaf,
    .leaf_ok = vmsa_leaf_ok,
    .cont_entries = vmsa_cont_entries,
    .cont_bit = VMSA_D_CONT,
    .httu = vmsa_s2_httu,
    .leaf_dirty = vmsa_s2_leaf_dirty,
};
