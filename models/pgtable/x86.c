/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86.c - the two VT-d translation-table formats as ops tables (pt-fmt.h)
 * for the generic builder and walker in pgtable.c:
 *
 *  IOM_PT_X86_FL  x86-64 4-level / 5-level paging as the VT-d first level
 *                 (Intel VT-d spec 3.6 / 9.7, SDM vol. 3 4.5): P 0, R/W 1,
 *                 U/S 2, PWT 3, PCD 4, A 5, D 6 (leaf), PS 7 (1 GB at a
 *                 PDPTE, 2 MB at a PDE), address [51:12], XD 63;
 *  IOM_PT_VTD_SL  the VT-d second level (spec 3.7 / 9.8): R 0, W 1, X 2,
 *                 PS 7, A 8, D 9 (A/D only updated with SLADE), address
 *                 [51:12]; no present bit: present iff R or W.
 *
 * Geometry: 4 KB pages, 9 index bits per level, levels = ceil((IA - 12) / 9):
 * IA 39 -> 3 levels, 48 -> 4, 57 -> 5 (second level: 3..5 = SAGAW 39/48/57;
 * first level: 4 or 5 = PML4 or PML5, CAP.FL5LP).  Levels use the numbering
 * of pt-fmt.h with the last level fixed at 4: PML5 = 0, PML4 = 1, PDPT = 2,
 * PD = 3, PT = 4 (start level = 5 - levels), so level_shift(l) = 12 + 9(4-l).
 * Leaves may sit at PT (4 KB), PD (2 MB) and PDPT (1 GB).  Which superpage
 * sizes a unit supports (CAP.SLLPS, CAP.FL1GP) is a property of the IOMMU,
 * not of the format: the builder accepts 2 MB and 1 GB leaves, and the VT-d
 * model faults a walk that ends on a size its capabilities lack (the PS bit
 * is then a reserved bit, as the spec says).
 *
 * Decode: first level: not present (P = 0) and PS = 1 above the PDPT are
 * invalid; a table entry removes W (R/W = 0), USER (U/S = 0) and X (XD = 1)
 * for everything below it (x86 permission combining, SDM 4.6); a leaf grants
 * R always, W iff R/W, USER iff U/S, X iff XD = 0.  Second level: R = W = 0
 * and PS = 1 above the PDPT are invalid; a table entry removes R, W and X when
 * its own bit is clear; a leaf grants R, W, X as written and always USER (the
 * second level has no user/supervisor distinction).  Telling "not present"
 * from "reserved bit" (different VT-d fault reasons) is the model's job: it
 * re-reads the faulting descriptor (models/vtd).
 * Encode (what Linux's intel-iommu writes): first-level tables P | R/W | U/S
 * | A; first-level leaves P | A (unless IOM_PTE_NOAF) | R/W and D with
 * IOM_PTE_W (D not with IOM_PTE_CLEAN) | U/S with IOM_PTE_USER | XD without
 * IOM_PTE_X | PS above the PT; second-level tables R | W; second-level leaves
 * R, W, X as requested | PS above the PT, A = D = 0 (Linux never presets
 * them).  No Contiguous hint exists in either format.
 * A/D (httu op): first level (no enable bit in x86 paging): A on the leaf when
 * clear, D on a permitted write when clear; second level the same with
 * A = bit 8, D = bit 9 when the walk asks for it (SLADE).  Only the leaf is
 * updated by the generic walker: table-level A bits are preset by the builder
 * (as Linux does), so hardware would never need to set them.
 * Dirty state for software (leaf_dirty): D of the leaf; harvesting clears it.
 * Not modelled: PAT/PWT/PCD/EMT/IPAT/SNP memory types, G (global), the
 * first-level WP/SMEP/NXE controls (the model's job where implemented),
 * the first-level EA bit.
 */
#include "pt-fmt.h"

/* ---- bit layouts (VT-d spec 9.7, 9.8) ---- */

#define X86_LAST_LEVEL 4u
#define X86_STRIDE     9u
#define X86_PAGE_SHIFT 12u
#define X86_ADDR_MASK  0x000ffffffffff000ull /* [51:12] */

/* First level. */
#define FL_P  (1ull << 0)
#define FL_RW (1ull << 1)
#define FL_US (1ull << 2)
#define FL_A  (1ull << 5)
#define FL_D  (1ull << 6)
#define FL_PS (1ull << 7)
#define FL_XD (1ull << 63)

/* Second level. */
#define SL_R  (1ull << 0)
#define SL_W  (1ull << 1)
#define SL_X  (1ull << 2)
#define SL_PS (1ull << 7)
#define SL_A  (1ull << 8)
#define SL_D  (1ull << 9)

static unsigned x86_level_shift(const struct iom_pt_geom *g, unsigned level)
{
	(void)g;
	return X86_PAGE_SHIFT + X86_STRIDE * (X86_LAST_LEVEL - level);
}

static unsigned x86_index(const struct iom_pt_geom *g, uint64_t iova, unsigned level)
{
	return (unsigned)((iova >> x86_level_shift(g, level)) & ((1u << X86_STRIDE) - 1));
}

/* PDPT (1 GB), PD (2 MB), PT (4 KB). */
static bool x86_leaf_ok(const struct iom_pt_geom *g, unsigned level)
{
	return level >= g->start_level && level <= X86_LAST_LEVEL && level >= 2;
}

static unsigned x86_cont_entries(const struct iom_pt_geom *g, unsigned level)
{
	(void)g;
	(void)level;
	return 0;
}

static int x86_geometry_common(const char *fmt, const struct iom_pt_cfg *cfg, unsigned min_levels,
                               struct iom_pt_geom *g, struct iom_err *err)
{
	unsigned ia = cfg->ia_bits, oa = cfg->oa_bits;

	if (cfg->granule_shift != X86_PAGE_SHIFT)
		return iom_err_set(err, IOM_EINVAL,
		                   "pgtable: format %s granule_shift %u: only 12 (4 KB) exists",
		                   fmt, cfg->granule_shift);
	if (cfg->sl0 || cfg->ttb1)
		return iom_err_set(err, IOM_EINVAL,
		                   "pgtable: format %s: sl0 / ttb1 are VMSA fields and must be 0",
		                   fmt);
	unsigned lo = X86_PAGE_SHIFT + X86_STRIDE * (min_levels - 1) + 1, hi = 57;
	if (ia < lo || ia > hi)
		return iom_err_set(err, IOM_ERANGE,
		                   "pgtable: format %s ia_bits %u outside %u..%u (%u to 5 levels)",
		                   fmt, ia, lo, hi, min_levels);
	if (oa < 32 || oa > 52)
		return iom_err_set(err, IOM_EINVAL, "pgtable: format %s oa_bits %u outside 32..52",
		                   fmt, oa);
	unsigned levels = (ia - X86_PAGE_SHIFT + X86_STRIDE - 1) / X86_STRIDE;
	unsigned start = X86_LAST_LEVEL + 1 - levels;
	unsigned top = ia - (X86_PAGE_SHIFT + X86_STRIDE * (X86_LAST_LEVEL - start));
	*g = (struct iom_pt_geom){.levels = (uint8_t)levels,
	                          .start_level = (uint8_t)start,
	                          .stride = X86_STRIDE,
	                          .granule_shift = X86_PAGE_SHIFT,
	                          .top_bits = (uint8_t)top,
	                          .concat = 1,
	                          .ia_bits = (uint8_t)ia,
	                          .oa_bits = (uint8_t)oa};
	return 0;
}

/* ---- first level ---- */

static int fl_geometry(const struct iom_pt_cfg *cfg, struct iom_pt_geom *g, struct iom_err *err)
{
	return x86_geometry_common("X86_FL", cfg, 4, g, err);
}

static void fl_decode(const struct iom_pt_geom *g, unsigned level, uint64_t d, struct pt_desc *out)
{
	*out = (struct pt_desc){.kind = PT_DESC_INVALID};
	if (!(d & FL_P))
		return;
	bool ps = level < X86_LAST_LEVEL && (d & FL_PS);
	if (ps && !x86_leaf_ok(g, level))
		return; /* PS in a PML5E / PML4E is reserved */
	if (level < X86_LAST_LEVEL && !ps) {
		out->kind = PT_DESC_TABLE;
		out->addr = d & X86_ADDR_MASK;
		if (!(d & FL_RW))
			out->table_deny |= IOM_PTE_W;
		if (!(d & FL_US))
			out->table_deny |= IOM_PTE_USER;
		if (d & FL_XD)
			out->table_deny |= IOM_PTE_X;
		return;
	}
	uint64_t span = 1ull << x86_level_shift(g, level);
	out->kind = PT_DESC_LEAF;
	out->addr = d & X86_ADDR_MASK & ~(span - 1); /* drops PAT (bit 12) of a large page */
	out->af = !!(d & FL_A);
	out->perms = IOM_PTE_R;
	if (d & FL_RW)
		out->perms |= IOM_PTE_W;
	if (d & FL_US)
		out->perms |= IOM_PTE_USER;
	if (!(d & FL_XD))
		out->perms |= IOM_PTE_X;
}

static uint64_t fl_enc_table(const struct iom_pt_geom *g, uint64_t next_pa)
{
	(void)g;
	return FL_P | FL_RW | FL_US | FL_A | (next_pa & X86_ADDR_MASK);
}

static uint64_t fl_enc_leaf(const struct iom_pt_geom *g, unsigned level, uint64_t oa, uint32_t f)
{
	uint64_t d = FL_P | (oa & X86_ADDR_MASK);

	(void)g;
	if (level < X86_LAST_LEVEL)
		d |= FL_PS;
	if (!(f & IOM_PTE_NOAF))
		d |= FL_A;
	if (f & IOM_PTE_W) {
		d |= FL_RW;
		if (!(f & IOM_PTE_CLEAN))
			d |= FL_D;
	}
	if (f & IOM_PTE_USER)
		d |= FL_US;
	if (!(f & IOM_PTE_X))
		d |= FL_XD;
	return d;
}

/* x86 A/D: A set when clear; D set on a write the permissions allow. */
static bool x86_httu(const struct iom_pt_walk *w, uint64_t desc, uint32_t deny, uint64_t abit,
                     uint64_t dbit, bool writable, struct pt_httu *u)
{
	*u = (struct pt_httu){0};
	if (w->ha && !(desc & abit)) {
		u->set |= abit;
		u->af = 1;
	}
	if (w->write && w->hd && writable && !(deny & IOM_PTE_W) && !(desc & dbit)) {
		u->set |= dbit | abit;
		u->af = !(desc & abit);
		u->dirty = 1;
	}
	return u->set != 0;
}

static bool fl_httu(const struct iom_pt_walk *w, uint64_t desc, uint32_t deny, struct pt_httu *u)
{
	return x86_httu(w, desc, deny, FL_A, FL_D, !!(desc & FL_RW), u);
}

/* D (bit 6 first level, bit 9 second level) is the dirty state; Linux's
 * dma_sl_pte_test_and_clear_dirty() clears it. */
static bool fl_leaf_dirty(uint64_t desc, uint64_t *clean)
{
	*clean = desc & ~FL_D;
	return desc & FL_D;
}

const struct pt_fmt_ops iom_pt_fmt_x86_fl = {
    .name = "X86_FL",
    .geometry = fl_geometry,
    .level_shift = x86_level_shift,
    .index = x86_index,
    .decode = fl_decode,
    .enc_table = fl_enc_table,
    .enc_leaf = fl_enc_leaf,
    .leaf_ok = x86_leaf_ok,
    .cont_entries = x86_cont_entries,
    .cont_bit = 0,
    .httu = fl_httu,
    .leaf_dirty = fl_leaf_dirty,
};

/* ---- second level ---- */

static int sl_geometry(const struct iom_pt_cfg *cfg, struct iom_pt_geom *g, struct iom_err *err)
{
	return x86_geometry_common("VTD_SL", cfg, 3, g, err);
}

static void sl_decode(const struct iom_pt_geom *g, unsigned level, uint64_t d, struct pt_desc *out)
{
	*out = (struct pt_desc){.kind = PT_DESC_INVALID};
	if (!(d & (SL_R | SL_W)))
		return;
	bool ps = level < X86_LAST_LEVEL && (d & SL_PS);
	if (ps && !x86_leaf_ok(g, level))
		return; /* PS in an SL-PML5E / SL-PML4E is reserved */
	if (level < X86_LAST_LEVEL && !ps) {
		out->kind = PT_DESC_TABLE;
		out->addr = d & X86_ADDR_MASK;
		if (!(d & SL_R))
			out->table_deny |= IOM_PTE_R;
		if (!(d & SL_W))
			out->table_deny |= IOM_PTE_W;
		if (!(d & SL_X))
			out->table_deny |= IOM_PTE_X;
		return;
	}
	uint64_t span = 1ull << x86_level_shift(g, level);
	out->kind = PT_DESC_LEAF;
	out->addr = d & X86_ADDR_MASK & ~(span - 1);
	out->af = !!(d & SL_A);
	out->perms = IOM_PTE_USER;
	if (d & SL_R)
		out->perms |= IOM_PTE_R;
	if (d & SL_W)
		out->perms |= IOM_PTE_W;
	if (d & SL_X)
		out->perms |= IOM_PTE_X;
}

static uint64_t sl_enc_table(const struct iom_pt_geom *g, uint64_t next_pa)
{
	(void)g;
	return SL_R | SL_W | (next_pa & X86_ADDR_MASK);
}

static uint64_t sl_enc_leaf(const struct iom_pt_geom *g, unsigned level, uint64_t oa, uint32_t f)
{
	uint64_t d = oa & X86_ADDR_MASK;

	(void)g;
	if (level < X86_LAST_LEVEL)
		d |= SL_PS;
	if (f & IOM_PTE_R)
		d |= SL_R;
	if (f & IOM_PTE_W)
		d |= SL_W;
	if (f & IOM_PTE_X)
		d |= SL_X;
	return d;
}

static bool sl_httu(const struct iom_pt_walk *w, uint64_t desc, uint32_t deny, struct pt_httu *u)
{
	return x86_httu(w, desc, deny, SL_A, SL_D, !!(desc & SL_W), u);
}

static bool sl_leaf_dirty(uint64_t desc, uint64_t *clean)
{
	*clean = desc & ~SL_D;
	return desc & SL_D;
}

const struct pt_fmt_ops iom_pt_fmt_vtd_sl = {
    .name = "VTD_SL",
    .geometry = sl_geometry,
    .level_shift = x86_level_shift,
    .index = x86_index,
    .decode = sl_decode,
    .enc_table = sl_enc_table,
    .enc_leaf = sl_enc_leaf,
    .leaf_ok = x86_leaf_ok,
    .cont_entries = x86_cont_entries,
    .cont_bit = 0,
    .httu = sl_httu,
    .leaf_dirty = sl_leaf_dirty,
};
