/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pt-fmt.h - the internal method table behind pgtable.h (private to
 * models/pgtable).  The builder and the walker in pgtable.c know only this
 * interface; each table format (VMSAv8-64 stage 1 today; stage 2, other
 * granules, x86 first level, VT-d second level later) fills one.
 *
 * Levels use the VMSA numbering: the walk starts at geom.start_level and the
 * last level is start_level + levels - 1.  A format whose spec counts levels
 * the other way (x86: PML4 = 4 .. PT = 1) maps its levels into this range.
 */
#ifndef IOM_MODELS_PGTABLE_PT_FMT_H
#define IOM_MODELS_PGTABLE_PT_FMT_H

#include "pgtable.h"

enum pt_desc_kind {
	PT_DESC_INVALID = 0, /* invalid or reserved encoding: translation fault */
	PT_DESC_TABLE,       /* points to the next-level table */
	PT_DESC_LEAF,        /* block or page */
};

/* A descriptor decoded into format-neutral terms. */
struct pt_desc {
	uint8_t kind;        /* enum pt_desc_kind */
	uint8_t af;          /* leaf: access flag */
	uint32_t perms;      /* leaf: IOM_PTE_* granted by the leaf itself */
	uint32_t table_deny; /* table: IOM_PTE_W/X/USER removed for everything below */
	uint64_t addr;       /* table: next-table PA; leaf: output base (full 64-bit field) */
};

struct pt_fmt_ops {
	const char *name;
	/* Validate cfg (granule, ia/oa widths) and derive the geometry. */
	int (*geometry)(const struct iom_pt_cfg *cfg, struct iom_pt_geom *g, struct iom_err *err);
	/* log2 of the span of one entry at `level` (= leaf size there). */
	unsigned (*level_shift)(const struct iom_pt_geom *g, unsigned level);
	/* Index of iova in the table at `level`. */
	unsigned (*index)(const struct iom_pt_geom *g, uint64_t iova, unsigned level);
	/* Decode a descriptor read at `level`. */
	void (*decode)(const struct iom_pt_geom *g, unsigned level, uint64_t desc,
	               struct pt_desc *out);
	uint64_t (*enc_table)(uint64_t next_pa);
	uint64_t (*enc_leaf)(const struct iom_pt_geom *g, unsigned level, uint64_t oa,
	                     uint32_t pte_flags);
	/* Whether a leaf (block or page) may sit at `level`. */
	bool (*leaf_ok)(const struct iom_pt_geom *g, unsigned level);
};

extern const struct pt_fmt_ops iom_pt_fmt_vmsa64_s1;

/* The ops of cfg->fmt, or NULL with -IOM_ENOTSUP in err. */
const struct pt_fmt_ops *iom_pt_fmt_lookup(const struct iom_pt_cfg *cfg, struct iom_err *err);

#endif
