/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pgtable.h - translation-table formats stored in simulated memory with their
 * architectural bit layouts: a builder (what the host's io-pgtable code does)
 * and a walker (what the IOMMU's table-walk unit does).
 *
 * Implemented: VMSAv8-64 (Arm DDI0487 D8.2-D8.4) stage 1 and stage 2 with the
 * 4 KB, 16 KB and 64 KB granules: every start level the input size (T0SZ /
 * T1SZ, S2T0SZ + S2SL0) gives, concatenated stage-2 start tables, blocks at
 * each level the granule allows, 52-bit IA/OA with the 64 KB granule
 * (FEAT_LVA / FEAT_LPA), the TTB1 (upper) region, the contiguous hint, a
 * nested-walk hook (stage-2 translation of each stage-1 table address) and
 * hardware Access-flag / dirty-state updates (HTTU: HA/HD, S2HA/S2HD).
 * 52-bit addresses with the 4 KB / 16 KB granules (FEAT_LPA2, TCR.DS = 1) are
 * rejected with -IOM_ENOTSUP.  The format is a field of struct iom_pt_cfg and
 * everything format-specific sits behind an internal ops table (pt-fmt.h), so
 * x86 first-level and VT-d second-level formats slot in beside it.
 *
 * Config errors: -IOM_EINVAL for values that are not an encoding at all
 * (granule_shift 13, sl0 4), -IOM_ERANGE for an encoding the architecture
 * makes ILLEGAL (T0SZ out of range for the granule, S2SL0 inconsistent with
 * S2T0SZ: an SMMU turns these into C_BAD_CD / C_BAD_STE), -IOM_ENOTSUP for a
 * legal configuration the model does not implement (LPA2).
 *
 * Builder writes are functional memory writes (software work, counted in
 * struct iom_pt_stats); walker reads are timed reads through models/mem, one
 * per level, each reported in the walk result; HTTU updates are timed
 * read-modify-writes (one read + one write).
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
	IOM_PT_VMSA64_S2,     /* VMSAv8-64 stage 2 */
	IOM_PT_X86_FL,        /* x86-64 / VT-d first level (later) */
	IOM_PT_VTD_SL,        /* VT-d second level (later) */
};

struct iom_pt_cfg {
	uint8_t fmt;           /* enum iom_pt_fmt */
	uint8_t granule_shift; /* 12 (4 KB), 14 (16 KB) or 16 (64 KB) */
	uint8_t ia_bits;       /* input address bits: 64 - T0SZ/T1SZ (S1), 64 - S2T0SZ (S2) */
	uint8_t oa_bits;       /* output address bits (TCR.IPS / S2PS, capped to pamax_bits) */
	uint8_t sl0;           /* stage 2: S2SL0 (VTCR_EL2.SL0), 0..3; must be 0 for stage 1 */
	uint8_t ttb1;          /* stage 1: the table translates the upper (TTB1) region, IA =
	                        * [2^64 - 2^ia_bits, 2^64); builder and walker take full VAs */
	uint8_t pamax_bits;    /* largest PA of the implementation (SMMU_IDR5.OAS); 0 = oa_bits.
	                        * Used where DDI0487 says PAMax: S2SL0 limits, 64 KB L1 blocks */
};

#define IOM_PT_MAX_LEVELS 5

/* Geometry derived from a cfg. VMSA stage 1: levels = ceil((ia - g) / (g - 3)),
 * start = 4 - levels; stage 2: start from SL0 and the granule. */
struct iom_pt_geom {
	uint8_t levels;
	uint8_t start_level;  /* 4 - levels for VMSA */
	uint8_t stride;       /* index bits per level (g - 3) */
	uint8_t granule_shift;
	uint8_t top_bits;     /* index bits at the start level (> stride with concatenation) */
	uint8_t concat;       /* stage 2: number of concatenated start tables (1..16); else 1 */
	uint8_t ia_bits, oa_bits;
	uint8_t lpa;          /* 64 KB granule with a 52-bit PA: OA[51:48] in descriptor [15:12],
	                       * L1 blocks */
};
int iom_pt_geometry(const struct iom_pt_cfg *cfg, struct iom_pt_geom *g, struct iom_err *err);

/* Permission/attribute request for a leaf (format-neutral). */
#define IOM_PTE_R 0x01u
#define IOM_PTE_W 0x02u
#define IOM_PTE_X 0x04u
#define IOM_PTE_USER 0x08u   /* VMSA S1 AP[1]: unprivileged access allowed (ignored for S2) */
#define IOM_PTE_NG 0x10u     /* VMSA S1 nG: ASID-tagged (ignored for S2) */
#define IOM_PTE_NOAF 0x20u   /* build with AF = 0 (to provoke access faults / HA updates) */
#define IOM_PTE_DBM 0x40u    /* VMSA DBM */
#define IOM_PTE_CONT 0x100u  /* set the Contiguous hint on every leaf that lies in a
                              * naturally aligned run wholly inside the map call */
#define IOM_PTE_CLEAN 0x200u /* with W|DBM: map writable-clean (S1 AP[2] = 1, S2 S2AP[1] = 0),
                              * so the first write under HD/S2HD dirties it */

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
	uint64_t tables_alloc;    /* the concatenated stage-2 start tables count as one */
	uint64_t tables_freed;
	uint64_t mapped_bytes;    /* currently mapped */
};

struct iom_pt;

struct iom_pt *iom_pt_create(struct iom_mem *mem, const struct iom_pt_cfg *cfg,
			     const struct iom_pt_alloc *alloc, struct iom_err *err);
void iom_pt_destroy(struct iom_pt *pt); /* frees all table pages */
/* PA of the start table (for stage 2 the first of the concatenated tables,
 * which are allocated as one region aligned to its size). */
uint64_t iom_pt_root(const struct iom_pt *pt);
const struct iom_pt_cfg *iom_pt_config(const struct iom_pt *pt);
const struct iom_pt_geom *iom_pt_geom(const struct iom_pt *pt);
const struct iom_pt_stats *iom_pt_stats(const struct iom_pt *pt);

/* Map [iova, iova+size) -> [pa, ...) with leaves of pgsize (any page or block
 * size of the granule: 4K/2M/1G; 16K/32M; 64K/512M, and 4T with a 52-bit PA).
 * iova, pa and size must be pgsize-aligned; the range must not overlap an
 * existing mapping (-IOM_EEXIST). With cfg.ttb1, iova is a full upper-range VA. */
int iom_pt_map(struct iom_pt *pt, uint64_t iova, uint64_t pa, uint64_t size, uint64_t pgsize,
	       uint32_t pte_flags, struct iom_err *err);
/* Unmap [iova, iova+size); leaves must lie wholly inside the range
 * (splitting a block is -IOM_ENOTSUP). Empty tables are freed; a contiguous
 * run that is only partly unmapped loses its hint on the entries left.
 * *unmapped receives the bytes unmapped (may be less than size if holes). */
int iom_pt_unmap(struct iom_pt *pt, uint64_t iova, uint64_t size, uint64_t *unmapped,
		 struct iom_err *err);

/* Software lookup (the host's iova_to_phys): untimed. 0 with *pa and
 * *pgsize (size of the leaf holding iova), or -IOM_ENOENT if unmapped. */
int iom_pt_lookup(struct iom_pt *pt, uint64_t iova, uint64_t *pa, uint64_t *pgsize);

/* ---- scan: the CPU visiting the entries of a range (read_and_clear_dirty) ----
 * Visits [iova, iova + size) in address order as Linux's io-pgtable walkers
 * do: each entry overlapping the range is read once, a table entry is
 * descended into, an invalid one is a hole of its whole span, a leaf is
 * handed to visit() with its dirty state as the format defines it (VMSA S1:
 * DBM && !AP[2]; S2: DBM && S2AP[1]; x86 first level: D; VT-d second level:
 * D).  With `rewalk`, each step walks from the root (VT-d:
 * intel_iommu_read_and_clear_dirty() calls pfn_to_dma_pte() per step): an
 * entry visit re-reads the path above it, except the first one below a table
 * entry just read (16 4 KB leaves of one 4-level table: 16 x 4 reads).
 * Timed (mem_req >= 0): one 8-byte iom_mem_timed_read per read, issued when
 * the previous access completed; s->now_ps is the running clock and visit()
 * may advance it (CPU work).  before(), if set, is called with the issue time
 * of every timed access first (the caller lets concurrent agents run up to
 * it).  A visit returning IOM_PT_SCAN_CLEAR clears the leaf's dirty state
 * with an atomic read-modify-write (one timed read, one timed write of the
 * current descriptor), IOM_PT_SCAN_STOP ends the scan (iom_pt_scan returns
 * 1), a negative value ends it and is returned.  Functional (mem_req < 0):
 * the same visits with untimed accesses.  Counts accumulate in *s. */
struct iom_pt_leaf {
	uint64_t iova;      /* first address of the range in this entry: max(range start, base) */
	uint64_t base;      /* the entry's span: [base, base + size) (full VAs) */
	uint64_t size;
	uint64_t desc_pa;   /* descriptor address and value as read */
	uint64_t desc;
	uint64_t oa;        /* leaves: output address of base */
	uint32_t perms;     /* leaves: IOM_PTE_* the leaf grants (DBM as written; S1 writable-
	                     * clean has DBM without W) */
	uint8_t level;
	uint8_t valid;      /* 0: a hole (invalid entry) */
	uint8_t dirty;      /* leaves: dirty state */
};

enum { IOM_PT_SCAN_NEXT = 0, IOM_PT_SCAN_CLEAR = 1, IOM_PT_SCAN_STOP = 2 };

struct iom_pt_scan {
	/* in */
	uint64_t iova, size;
	int mem_req;          /* < 0: functional */
	uint8_t rewalk;
	void (*before)(void *ctx, uint64_t t_ps);
	int (*visit)(void *ctx, struct iom_pt_scan *s, const struct iom_pt_leaf *l,
		     struct iom_err *err);
	void *ctx;
	/* in/out: the running clock */
	uint64_t now_ps;
	/* out, accumulated */
	uint64_t reads, clears, leaves, holes;
};
/* 0 when the range was visited, 1 when visit() stopped it, or -IOM_E*
 * (-IOM_ERANGE: the range leaves the table's region; -IOM_EIO: an access
 * outside memory). */
int iom_pt_scan(struct iom_pt *pt, struct iom_pt_scan *s, struct iom_err *err);

/* ---- walker ---- */
enum iom_pt_walk_status {
	IOM_PT_OK = 0,
	IOM_PT_FAULT_TRANSLATION, /* invalid descriptor, reserved encoding, IA out of range */
	IOM_PT_FAULT_ADDR_SIZE,   /* output/table address beyond oa_bits */
	IOM_PT_EXT_ABORT,         /* descriptor fetch failed (address outside memory) */
	IOM_PT_FAULT_ACCESS,      /* AF = 0 without HA (only from s2_xlat / the nested helper;
	                           * the walker leaves AF checks of its own leaf to the IOMMU) */
	IOM_PT_FAULT_PERMISSION,  /* likewise: stage 2 denies the stage-1 table read */
	IOM_PT_FAULT_S2,          /* nested: stage 2 faulted on a table address (s2_status) */
};

struct iom_pt_step {
	uint64_t desc_pa;   /* address read (a PA; after stage 2 in a nested walk) */
	uint64_t desc;      /* value read */
	uint8_t level;
	uint8_t is_table;   /* table descriptor (a walk-cache candidate) */
	uint8_t s2_reads;   /* nested: reads s2_xlat made to translate desc_ipa */
	uint64_t desc_ipa;  /* nested: the descriptor's IPA (= desc_pa when not nested) */
	uint64_t done_ps;   /* when this read completed */
};

/* Stage-2 translation of one stage-1 descriptor address, asked of the IOMMU
 * model (its S2 TLB, walk cache and walker) during a nested walk. */
struct iom_pt_s2_req {
	uint64_t ipa;       /* in: the descriptor's IPA */
	uint64_t now_ps;    /* in: when the translation may start */
	int mem_req;        /* in: the walk's requester */
	uint8_t status;     /* out: enum iom_pt_walk_status of the stage-2 translation */
	uint8_t reads;      /* out: descriptor reads it made (0 on a hit in its caches) */
	uint64_t pa;        /* out */
	uint64_t done_ps;   /* out: when pa is known */
};

struct iom_pt_walk {
	/* in */
	uint64_t iova;
	uint64_t table_pa;   /* table to start from: the root, or a walk-cache hit */
	uint8_t level;       /* level of table_pa (start_level for the root) */
	uint64_t now_ps;
	int mem_req;         /* models/mem requester id for the reads */
	uint8_t write;       /* the access is a write (HD dirty-state update) */
	uint8_t priv;        /* privileged access (S1: AP[1] = 0 leaves are writable by it) */
	uint8_t ha, hd;      /* HTTU: CD.HA/HD for stage 1, STE.S2HA/S2HD for stage 2 */
	/* Nested walk: when set, every descriptor address (table_pa and each next-table
	 * address is an IPA) goes through s2_xlat before the read; 0 or -IOM_E*. */
	int (*s2_xlat)(void *ctx, struct iom_pt_s2_req *r, struct iom_err *err);
	void *s2_ctx;
	/* out */
	uint8_t status;      /* enum iom_pt_walk_status */
	uint8_t nsteps;
	uint8_t leaf_level;  /* level of the leaf (or of the faulting descriptor) */
	uint32_t perms;      /* IOM_PTE_* decoded from the leaf (R always for S1; DBM, CONT,
	                      * NG, USER as read); after any HTTU update */
	uint8_t af;          /* access flag of the leaf (after any HTTU update) */
	uint8_t pxn;         /* privileged execution not allowed (S1 PXN; S2 XN 01 or 10) */
	uint8_t s2_status;   /* IOM_PT_FAULT_S2: what stage 2 reported */
	uint8_t af_updates;  /* HTTU: AF set by this walk (0/1) */
	uint8_t dirty_updates; /* HTTU: dirty state set (S1 AP[2] cleared / S2AP[1] set) (0/1) */
	uint8_t rmws;        /* timed read-modify-writes made (one does both updates) */
	uint16_t s2_reads;   /* nested: sum of the steps' s2_reads */
	uint64_t leaf_desc;  /* after any HTTU update */
	uint64_t leaf_desc_pa; /* at IOM_PT_FAULT_S2: the descriptor IPA that faulted */
	uint64_t oa;         /* output address of iova */
	uint64_t page_size;  /* size of the leaf: 4K, 2M, 1G, ... */
	uint64_t cont_size;  /* Contiguous hint set: size of its aligned run (TLB reach); else 0 */
	uint64_t done_ps;
	struct iom_pt_step steps[IOM_PT_MAX_LEVELS];
};

/* Walk from w->table_pa at w->level. Returns 0 (outcome in w->status) or
 * -IOM_E* on simulator error. */
int iom_pt_walk(struct iom_mem *mem, const struct iom_pt_cfg *cfg, struct iom_pt_walk *w,
		struct iom_err *err);

/* A complete uncached nested walk: stage 1 with every table address
 * translated by a full stage-2 walk, then a stage-2 walk of the output IPA.
 * 4 S1 levels over 4 S2 levels cost 4 * (4 + 1) + 4 = 24 reads. Permission
 * checks of the access itself stay with the caller (s1.perms, s2.perms);
 * stage 2 must grant read (and AF, or S2HA) for the stage-1 table reads, and
 * a leaf of either stage with AF = 0 and no HA ends it with
 * IOM_PT_FAULT_ACCESS (AFFD is not modelled here). */
struct iom_pt_nested_walk {
	/* in */
	uint64_t iova;
	uint64_t s1_table;   /* stage-1 start table (an IPA) and its level */
	uint8_t s1_level;
	uint64_t s2_table;   /* stage-2 start table (a PA) and its level */
	uint8_t s2_level;
	uint64_t now_ps;
	int mem_req;
	uint8_t write, priv;
	uint8_t s1_ha, s1_hd, s2_ha, s2_hd;
	/* out */
	uint8_t status;      /* IOM_PT_OK or the fault of stage `fault_stage` */
	uint8_t fault_stage; /* 1 or 2 (a stage-2 fault on a stage-1 table address is 2) */
	uint32_t reads;      /* descriptor reads of both stages (HTTU RMWs not included) */
	uint64_t ipa;        /* stage-1 output */
	uint64_t pa;         /* final output */
	uint64_t done_ps;
	struct iom_pt_walk s1; /* the stage-1 walk */
	struct iom_pt_walk s2; /* the last stage-2 walk (of the output IPA, or the one that faulted) */
};
int iom_pt_walk_nested(struct iom_mem *mem, const struct iom_pt_cfg *s1,
		       const struct iom_pt_cfg *s2, struct iom_pt_nested_walk *nw,
		       struct iom_err *err);

#ifdef __cplusplus
}
#endif
#endif
