/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pt-fmt.h - the internal method table behind pgtable.h (private to
 * models/pgtable).  The builder and the walker in pgtable.c know only this
 * interface; each table format (VMSAv8-64 stage 1 and stage 2 today; x86
 * first level, VT-d second level later) fills one.
 *
 * Levels use the VMSA numbering: the walk starts at geom.start_level and the
 * last level is start_level + levels - 1.  A format whose spec counts levels
 * the other way (x86: PML4 = 4 .. PT = 1) maps its levels into this range.
 * Addresses given to index() are already reduced to the ia_bits of the
 * region (the TTB1 upper bits are stripped by the caller).
 */
#ifndef IOM_MODELS_PGTABLE_PT_FMT_H
#define IOM_MODELS_PGTABLE_PT_FMT_H

#include "pgtable.h"

enum pt_desc_kind {
	PT_DESC_INVALID = 0, /* invalid or reserved encoding: translation fault */
	PT_DESC_TABLE,       /* points to the next-level table */
	PT_DESC_LEAF,        /* block or page */
};

/* table_deny bit beyond the IOM_PTE_* flags: PXNTable (privileged execute-never below). */
#define PT_DENY_PXN 0x80000000u

/* A descriptor decoded into format-neutral terms. */
struct pt_desc {
	uint8_t kind;        /* enum pt_desc_kind */
	uint8_t af;          /* leaf: access flag */
	uint8_t pxn;         /* leaf: privileged execute-never */
	uint8_t cont;        /* leaf: Contiguous hint */
	uint32_t perms;      /* leaf: IOM_PTE_* granted by the leaf itself */
	uint32_t table_deny; /* table: IOM_PTE_W/X/USER (and PT_DENY_PXN) removed below */
	uint64_t addr;       /* table: next-table PA; leaf: output base (span-aligned) */
};

/* HTTU request on a leaf: what to change for a hardware update. */
struct pt_httu {
	uint64_t set;   /* bits to set */
	uint64_t clear; /* bits to clear */
	uint8_t af;     /* the update sets AF */
	uint8_t dirty;  /* the update marks the leaf dirty */
};

struct pt_fmt_ops {
	const char *name;
	/* Validate cfg (granule, ia/oa widths, start level) and derive the geometry. */
	int (*geometry)(const struct iom_pt_cfg *cfg, struct iom_pt_geom *g, struct iom_err *err);
	/* log2 of the span of one entry at `level` (= leaf size there). */
	unsigned (*level_shift)(const struct iom_pt_geom *g, unsigned level);
	/* Index of iova in the table at `level` (the start level spans concatenated tables). */
	unsigned (*index)(const struct iom_pt_geom *g, uint64_t iova, unsigned level);
	/* Decode a descriptor read at `level`. */
	void (*decode)(const struct iom_pt_geom *g, unsigned level, uint64_t desc,
	               struct pt_desc *out);
	uint64_t (*enc_table)(const struct iom_pt_geom *g, uint64_t next_pa);
	uint64_t (*enc_leaf)(const struct iom_pt_geom *g, unsigned level, uint64_t oa,
	                     uint32_t pte_flags);
	/* Whether a leaf (block or page) may sit at `level`. */
	bool (*leaf_ok)(const struct iom_pt_geom *g, unsigned level);
	/* Entries in one Contiguous-hint run at `level` (0: no hint there). */
	unsigned (*cont_entries)(const struct iom_pt_geom *g, unsigned level);
	uint64_t cont_bit; /* the descriptor's Contiguous bit */
	/* HTTU: the update a walk makes to leaf `desc` (false: none). `deny` holds
	 * the hierarchical restrictions of the tables above. */
	bool (*httu)(const struct iom_pt_walk *w, uint64_t desc, uint32_t deny, struct pt_httu *u);
	/* Dirty state as software harvests it (read_and_clear_dirty): whether leaf `desc`
	 * is dirty; *clean = desc with its dirty state cleared (also when it is not dirty). */
	bool (*leaf_dirty)(uint64_t desc, uint64_t *clean);
};

extern const struct pt_fmt_ops iom_pt_fmt_vmsa64_s1;
extern const struct pt_fmt_ops iom_pt_fmt_vmsa64_s2;
extern const struct pt_fmt_ops iom_pt_fmt_x86_fl; /* x86.c */
extern const struct pt_fmt_ops iom_pt_fmt_vtd_sl; /* x86.c */

/* The ops of cfg->fmt, or NULL with -IOM_ENOTSUP in err. */
const struct pt_fmt_ops *iom_pt_fmt_lookup(const struct iom_pt_cfg *cfg, struct iom_err *err);

#endif
