/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pgtable.h - translation-table formats stored in simulated memory with their
 * architectural bit layouts: a builder (what the host's io-pgtable code does)
 * and a walker (what the IOMMU's table-walk unit does).
 *
 * Implemented today: VMSAv8-64 stage 1, 4 KB granule (Arm DDI0487 D8.2/D8.3).
 * The format is a field of struct iom_pt_cfg, and everything format-specific
 * sits behind an internal ops table, so the 16K/64K granules, stage 2, x86
 * first-level and VT-d second-level formats slot in beside it; asking for a
 * format that is not implemented is rejected with -IOM_ENOTSUP.
 *
 * Builder writes are functional memory writes (software work, counted in
 * struct iom_pt_stats); walker reads are timed reads through models/mem, one
 * per level, each reported in the walk result.
 */
#ifndef IOM_MODELS_PGTABLE_H
#define IOM_MODELS_PGTABLE_H

#include "iom.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

struct iom_mem;

enum iom_pt_fmt {
	IOM_PT_VMSA64_S1 = 0, /* VMSAv8-64 stage 1 */
	IOM_PT_VMSA64_S2,     /* VMSAv8-64 stage 2 (later) */
	IOM_PT_X86_FL,        /* x86-64 / VT-d first level (later) */
	IOM_PT_VTD_SL,        /* VT-d second level (later) */
};

struct iom_pt_cfg {
	uint8_t fmt;           /* enum iom_pt_fmt */
	uint8_t granule_shift; /* 12 (4 KB) */
	uint8_t ia_bits;       /* input address bits (64 - T0SZ), e.g. 48 */
	uint8_t oa_bits;       /* output address bits, e.g. 48 */
};

#define IOM_PT_MAX_LEVELS 5

/* Geometry derived from a cfg (VMSA: levels = ceil((ia - g)/(g - 3))). */
struct iom_pt_geom {
	uint8_t levels;
	uint8_t start_level;  /* 4 - levels for VMSA */
	uint8_t stride;       /* index bits per level */
	uint8_t granule_shift;
};
int iom_pt_geometry(const struct iom_pt_cfg *cfg, struct iom_pt_geom *g, struct iom_err *err);

/* Permission/attribute request for a leaf (format-neutral). */
#define IOM_PTE_R 0x01u
#define IOM_PTE_W 0x02u
#define IOM_PTE_X 0x04u
#define IOM_PTE_USER 0x08u   /* VMSA AP[1]: unprivileged access allowed */
#define IOM_PTE_NG 0x10u     /* VMSA nG: ASID-tagged */
#define IOM_PTE_NOAF 0x20u   /* build with AF = 0 (to provoke access faults) */
#define IOM_PTE_DBM 0x40u    /* VMSA DBM */

/* Physical-page source for table pages (the host's allocator). */
struct iom_pt_alloc {
	/* Return the PA of a zeroed, size-aligned region of `size` bytes, or 0. */
	uint64_t (*alloc)(void *ctx, size_t size);
	void (*free)(void *ctx, uint64_t pa, size_t size);
	void *ctx;
};

struct iom_pt_stats {
	uint64_t desc_writes;     /* descriptors written by map/unmap */
	uint64_t desc_reads;      /* descriptors read by the builder */
	uint64_t tables_alloc;
	uint64_t tables_freed;
	uint64_t mapped_bytes;    /* currently mapped */
};

struct iom_pt;

struct iom_pt *iom_pt_create(struct iom_mem *mem, const struct iom_pt_cfg *cfg,
			     const struct iom_pt_alloc *alloc, struct iom_err *err);
void iom_pt_destroy(struct iom_pt *pt); /* frees all table pages */
uint64_t iom_pt_root(const struct iom_pt *pt);
const struct iom_pt_cfg *iom_pt_config(const struct iom_pt *pt);
const struct iom_pt_stats *iom_pt_stats(const struct iom_pt *pt);

/* Map [iova, iova+size) -> [pa, ...) with leaves of pgsize (4K, 2M or 1G for
 * the 4 KB granule). iova, pa and size must be pgsize-aligned; the range
 * must not overlap an existing mapping (-IOM_EEXIST). */
int iom_pt_map(struct iom_pt *pt, uint64_t iova, uint64_t pa, uint64_t size, uint64_t pgsize,
	       uint32_t pte_flags, struct iom_err *err);
/* Unmap [iova, iova+size); leaves must lie wholly inside the range
 * (splitting a block is -IOM_ENOTSUP). Empty tables are freed. *unmapped
 * receives the bytes unmapped (may be less than size if holes). */
int iom_pt_unmap(struct iom_pt *pt, uint64_t iova, uint64_t size, uint64_t *unmapped,
		 struct iom_err *err);

/* Software lookup (the host's iova_to_phys): untimed. 0 with *pa and
 * *pgsize (size of the leaf holding iova), or -IOM_ENOENT if unmapped. */
int iom_pt_lookup(struct iom_pt *pt, uint64_t iova, uint64_t *pa, uint64_t *pgsize);

/* ---- walker ---- */
enum iom_pt_walk_status {
	IOM_PT_OK = 0,
	IOM_PT_FAULT_TRANSLATION, /* invalid descriptor, reserved encoding, IA out of range */
	IOM_PT_FAULT_ADDR_SIZE,   /* output/table address beyond oa_bits */
	IOM_PT_EXT_ABORT,         /* descriptor fetch failed (address outside memory) */
};

struct iom_pt_step {
	uint64_t desc_pa;   /* address read */
	uint64_t desc;      /* value read */
	uint8_t level;
	uint8_t is_table;   /* table descriptor (a walk-cache candidate) */
	uint64_t done_ps;   /* when this read completed */
};

struct iom_pt_walk {
	/* in */
	uint64_t iova;
	uint64_t table_pa;   /* table to start from: the root, or a walk-cache hit */
	uint8_t level;       /* level of table_pa (start_level for the root) */
	uint64_t now_ps;
	int mem_req;         /* models/mem requester id for the reads */
	/* out */
	uint8_t status;      /* enum iom_pt_walk_status */
	uint8_t nsteps;
	uint8_t leaf_level;  /* level of the leaf (or of the faulting descriptor) */
	uint32_t perms;      /* IOM_PTE_* decoded from the leaf (R always for VMSA valid) */
	uint8_t af;          /* access flag of the leaf */
	uint64_t leaf_desc;
	uint64_t leaf_desc_pa;
	uint64_t oa;         /* output address of iova */
	uint64_t page_size;  /* size of the leaf: 4K, 2M, 1G */
	uint64_t done_ps;
	struct iom_pt_step steps[IOM_PT_MAX_LEVELS];
};

/* Walk from w->table_pa at w->level. Returns 0 (outcome in w->status) or
 * -IOM_E* on simulator error. */
int iom_pt_walk(struct iom_mem *mem, const struct iom_pt_cfg *cfg, struct iom_pt_walk *w,
		struct iom_err *err);

#ifdef __cplusplus
}
#endif
#endif
