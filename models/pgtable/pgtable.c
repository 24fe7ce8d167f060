/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pgtable.c - format-neutral translation-table builder and walker over
 * simulated memory (pgtable.h).  Everything format-specific goes through a
 * struct pt_fmt_ops (pt-fmt.h); implemented: VMSAv8-64 stage 1 and stage 2
 * with the 4/16/64 KB granules (vmsa.c, Arm DDI0487 D8.2-D8.6).
 *
 * Builder (the host's io-pgtable code): functional iom_mem_rd64/wr64, each
 * descriptor access counted in struct iom_pt_stats.  Tables come from the
 * caller's allocator, one granule each (also the top table when the
 * architecture would allow a smaller one); the concatenated stage-2 start
 * tables are one region of concat granules, aligned to its size.  The
 * allocator zeroes them.  Since a hardware table holds no entry count, the
 * builder keeps one per table in a host-side hash map (table PA -> valid
 * entries); an unmap that empties a table clears its parent descriptor and
 * frees it, never the root.  map and unmap check the whole range first
 * (counted reads) and write only when it can succeed, so an EEXIST/ENOTSUP
 * leaves the tables untouched; an allocation failure half-way is undone.
 * Contiguous hint (IOM_PTE_CONT): set on each leaf whose naturally aligned
 * run (16/32/128 entries, vmsa.c) lies wholly inside the map call with the
 * OA equally aligned; an unmap that leaves part of a run clears the hint on
 * the entries that stay (the architecture requires a run to be consistent).
 * A TTB1 table (cfg.ttb1) takes full upper-range VAs; internally every
 * address is reduced to its ia_bits offset.
 * Not done: splitting a block on partial unmap (-IOM_ENOTSUP), merging
 * pages into blocks, break-before-make sequencing, TLB maintenance (the
 * caller's job, as in Linux).
 *
 * Walker (the IOMMU's table-walk unit): starts at w->table_pa / w->level,
 * one timed 8-byte read through models/mem per level, each issued when the
 * previous one completes (a walk is a dependent pointer chase), so a walk of
 * n levels with an uncontended fixed DRAM latency L ends at now + n * L.
 * Hierarchical table controls (APTable/XNTable/PXNTable) are applied to the
 * leaf permissions; checking them against the access type and AF is the
 * IOMMU's job.  On a fault, leaf_level / leaf_desc_pa / leaf_desc name the
 * descriptor at fault; an external abort (fetch outside memory) names the
 * fetch address and records no step, since no data came back.  An IA
 * outside the region (beyond ia_bits, or not all-ones above it for TTB1), or
 * a start table beyond oa_bits, faults before any read.
 * Nested walks: with w->s2_xlat set, each descriptor address is an IPA that
 * the callback translates (timed by the IOMMU model, its reads reported)
 * before the read; a stage-2 fault ends the walk with IOM_PT_FAULT_S2.
 * iom_pt_walk_nested() is a complete uncached nested walk built on it.
 *
 * Scan (iom_pt_scan, the host's read_and_clear_dirty walk): a depth-first
 * visit of the entries overlapping a range, one read per entry (plus the
 * path from the root per entry with `rewalk`), leaves handed to the caller
 * with the format's dirty state (leaf_dirty op), an atomic clear as one read
 * and one write of the current descriptor; timed through models/mem or
 * functional.
 * HTTU: after a valid leaf (no fault), the format says whether HA/HD update
 * it; the update is one timed read (the atomic's read) followed by one timed
 * write of the same descriptor, after the walk's reads.  A second walk finds
 * the bits already set and makes no update.
 */
#include "pgtable.h"

#include "mem.h"
#include "pt-fmt.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* Host-side entry counts per table: open addressing, linear probing.      */

struct pt_cnt_slot {
	uint64_t pa; /* 0 = empty (an allocator never returns PA 0) */
	uint32_t count;
};

struct pt_cnt_map {
	struct pt_cnt_slot *slots;
	size_t cap; /* power of two */
	size_t used;
};

struct iom_pt {
	struct iom_mem *mem;
	struct iom_pt_cfg cfg;
	struct iom_pt_geom geom;
	const struct pt_fmt_ops *ops;
	struct iom_pt_alloc alloc;
	uint64_t root;
	uint64_t root_size; /* granule * concat: the concatenated start tables are one region */
	uint64_t va_hi;     /* TTB1: the VA bits above ia_bits (all ones); else 0 */
	struct iom_pt_stats stats;
	struct pt_cnt_map tables;
};

static size_t cnt_hash(const struct pt_cnt_map *m, uint64_t pa)
{
	return (size_t)(((pa >> 12) * 0x9E3779B97F4A7C15ull) >> 20) & (m->cap - 1);
}

static struct pt_cnt_slot *cnt_find(struct pt_cnt_map *m, uint64_t pa)
{
	for (size_t i = cnt_hash(m, pa);; i = (i + 1) & (m->cap - 1)) {
		if (m->slots[i].pa == pa)
			return &m->slots[i];
		if (m->slots[i].pa == 0)
			return NULL;
	}
}

static void cnt_place(struct pt_cnt_map *m, struct pt_cnt_slot s)
{
	size_t i = cnt_hash(m, s.pa);
	while (m->slots[i].pa)
		i = (i + 1) & (m->cap - 1);
	m->slots[i] = s;
}

static int cnt_grow(struct pt_cnt_map *m)
{
	struct pt_cnt_map n = {.cap = m->cap ? m->cap * 2 : 64, .used = m->used};
	n.slots = calloc(n.cap, sizeof(*n.slots));
	if (!n.slots)
		return -IOM_ENOMEM;
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].pa)
			cnt_place(&n, m->slots[i]);
	free(m->slots);
	*m = n;
	return 0;
}

static int cnt_insert(struct pt_cnt_map *m, uint64_t pa)
{
	if ((m->used + 1) * 2 > m->cap && cnt_grow(m))
		return -IOM_ENOMEM;
	cnt_place(m, (struct pt_cnt_slot){.pa = pa});
	m->used++;
	return 0;
}

/* Backward-shift deletion keeps every probe chain unbroken without tombstones. */
static void cnt_remove(struct pt_cnt_map *m, uint64_t pa)
{
	struct pt_cnt_slot *s = cnt_find(m, pa);
	if (!s)
		return;
	size_t hole = (size_t)(s - m->slots), mask = m->cap - 1;
	for (size_t j = (hole + 1) & mask; m->slots[j].pa; j = (j + 1) & mask) {
		size_t home = cnt_hash(m, m->slots[j].pa);
		/* Move j into the hole unless its home lies cyclically in (hole, j]. */
		if (((j - home) & mask) >= ((j - hole) & mask)) {
			m->slots[hole] = m->slots[j];
			hole = j;
		}
	}
	m->slots[hole] = (struct pt_cnt_slot){0};
	m->used--;
}

static void cnt_add(struct iom_pt *pt, uint64_t table, int delta)
{
	struct pt_cnt_slot *s = cnt_find(&pt->tables, table);
	if (s)
		s->count = (uint32_t)((int64_t)s->count + delta);
}

/* ---------------------------------------------------------------------- */
/* Formats, geometry and address regions.                                  */

static const char *pt_fmt_name(unsigned fmt)
{
	static const char *const names[] = {"VMSA64_S1", "VMSA64_S2", "X86_FL", "VTD_SL"};
	return fmt < IOM_ARRAY_SIZE(names) ? names[fmt] : "unknown";
}

const struct pt_fmt_ops *iom_pt_fmt_lookup(const struct iom_pt_cfg *cfg, struct iom_err *err)
{
	switch (cfg->fmt) {
	case IOM_PT_VMSA64_S1:
		return &iom_pt_fmt_vmsa64_s1;
	case IOM_PT_VMSA64_S2:
		return &iom_pt_fmt_vmsa64_s2;
	case IOM_PT_X86_FL:
		return &iom_pt_fmt_x86_fl;
	case IOM_PT_VTD_SL:
		return &iom_pt_fmt_vtd_sl;
	}
	iom_err_set(err, IOM_ENOTSUP, "pgtable: format %s (%u) not implemented",
	            pt_fmt_name(cfg->fmt), cfg->fmt);
	return NULL;
}

int iom_pt_geometry(const struct iom_pt_cfg *cfg, struct iom_pt_geom *g, struct iom_err *err)
{
	if (!cfg || !g)
		return iom_err_set(err, IOM_EINVAL, "pgtable: geometry: NULL argument");
	const struct pt_fmt_ops *ops = iom_pt_fmt_lookup(cfg, err);
	if (!ops)
		return -IOM_ENOTSUP;
	return ops->geometry(cfg, g, err);
}

static unsigned pt_last_level(const struct iom_pt_geom *g)
{
	return g->start_level + g->levels - 1u;
}

static bool pt_fits(uint64_t addr, unsigned bits)
{
	return bits >= 64 || (addr >> bits) == 0;
}

/* [base, base+size) lies within 2^bits (no overflow). */
static bool pt_range_fits(uint64_t base, uint64_t size, unsigned bits)
{
	uint64_t lim = bits >= 64 ? UINT64_MAX : (1ull << bits);
	return base <= lim && size <= lim - base;
}

static uint64_t pt_ia_mask(unsigned bits)
{
	return bits >= 64 ? UINT64_MAX : (1ull << bits) - 1;
}

/* The VA bits above the region: all ones for TTB1, zeros for TTB0. */
static uint64_t pt_va_hi(const struct iom_pt_cfg *cfg)
{
	return cfg->ttb1 ? ~pt_ia_mask(cfg->ia_bits) : 0;
}

/* Reduce [va, va+size) to an offset in the table's region; false if outside. */
static bool pt_region(const struct iom_pt *pt, uint64_t va, uint64_t size, uint64_t *off)
{
	uint64_t mask = pt_ia_mask(pt->cfg.ia_bits);
	if ((va & ~mask) != pt->va_hi)
		return false;
	*off = va & mask;
	return pt_range_fits(*off, size, pt->cfg.ia_bits);
}

/* The full VA of a region offset (for messages and the caller's view). */
static uint64_t pt_va(const struct iom_pt *pt, uint64_t off)
{
	return pt->va_hi | off;
}

/* Sizes for messages: 4K, 2M, 1G, 4T. */
static uint64_t pt_size_val(uint64_t sz)
{
	return sz >= (1ull << 40)   ? sz >> 40
	       : sz >= (1ull << 30) ? sz >> 30
	       : sz >= (1ull << 20) ? sz >> 20
	                            : sz >> 10;
}

static char pt_size_unit(uint64_t sz)
{
	return sz >= (1ull << 40) ? 'T' : sz >= (1ull << 30) ? 'G' : sz >= (1ull << 20) ? 'M' : 'K';
}

/* ---------------------------------------------------------------------- */
/* Builder: descriptor access, tables.                                     */

static uint64_t pt_rd(struct iom_pt *pt, uint64_t table, unsigned idx)
{
	pt->stats.desc_reads++;
	return iom_mem_rd64(pt->mem, table + 8ull * idx);
}

static void pt_wr(struct iom_pt *pt, uint64_t table, unsigned idx, uint64_t v)
{
	pt->stats.desc_writes++;
	iom_mem_wr64(pt->mem, table + 8ull * idx, v);
}

static unsigned pt_idx(const struct iom_pt *pt, uint64_t iova, unsigned level)
{
	return pt->ops->index(&pt->geom, iova, level);
}

static uint64_t pt_span(const struct iom_pt *pt, unsigned level)
{
	return 1ull << pt->ops->level_shift(&pt->geom, level);
}

static uint64_t pt_table_size(const struct iom_pt *pt, uint64_t pa)
{
	return pa == pt->root ? pt->root_size : 1ull << pt->geom.granule_shift;
}

/* A zeroed table of `size` bytes (one granule; the root: root_size). */
static int pt_table_new(struct iom_pt *pt, uint64_t size, uint64_t *pa, struct iom_err *err)
{
	uint64_t p = pt->alloc.alloc(pt->alloc.ctx, (size_t)size);

	if (!p)
		return iom_err_set(err, IOM_ENOMEM, "pgtable: table allocator exhausted");
	if ((p & (size - 1)) || !pt_fits(p, pt->cfg.oa_bits)) {
		pt->alloc.free(pt->alloc.ctx, p, (size_t)size);
		return iom_err_set(err, IOM_ERANGE,
		                   "pgtable: allocator returned table PA 0x%" PRIx64
		                   " (unaligned to 0x%" PRIx64 " or beyond oa_bits %u)",
		                   p, size, pt->cfg.oa_bits);
	}
	if (cnt_insert(&pt->tables, p)) {
		pt->alloc.free(pt->alloc.ctx, p, (size_t)size);
		return iom_err_set(err, IOM_ENOMEM, "pgtable: out of host memory for table counts");
	}
	pt->stats.tables_alloc++;
	*pa = p;
	return 0;
}

static void pt_table_free(struct iom_pt *pt, uint64_t pa)
{
	cnt_remove(&pt->tables, pa);
	pt->alloc.free(pt->alloc.ctx, pa, (size_t)1 << pt->geom.granule_shift);
	pt->stats.tables_freed++;
}

/* Tables on the path of one iova, indexed by level. */
struct pt_path {
	uint64_t table[IOM_PT_MAX_LEVELS];
};

/* Follow iova from the root through table descriptors down to `to_level`,
 * stopping early at an invalid descriptor or a leaf.  Returns the level of
 * the last descriptor read; *d holds it decoded. */
static unsigned pt_descend(struct iom_pt *pt, uint64_t iova, unsigned to_level, struct pt_path *p,
                           struct pt_desc *d)
{
	uint64_t table = pt->root;
	unsigned l = pt->geom.start_level;

	for (;; l++) {
		p->table[l] = table;
		pt->ops->decode(&pt->geom, l, pt_rd(pt, table, pt_idx(pt, iova, l)), d);
		if (l == to_level || d->kind != PT_DESC_TABLE)
			return l;
		table = d->addr;
	}
}

/* Free the now-empty tables on iova's path from `level` upwards (never the
 * root), clearing the parent descriptor of each. */
static void pt_prune(struct iom_pt *pt, uint64_t iova, const struct pt_path *p, unsigned level)
{
	for (unsigned l = level; l > pt->geom.start_level; l--) {
		struct pt_cnt_slot *s = cnt_find(&pt->tables, p->table[l]);
		if (!s || s->count)
			return;
		uint64_t parent = p->table[l - 1];
		pt_wr(pt, parent, pt_idx(pt, iova, l - 1), 0);
		cnt_add(pt, parent, -1);
		pt_table_free(pt, p->table[l]);
	}
}

/* ---------------------------------------------------------------------- */
/* Builder: create / destroy / accessors.                                  */

struct iom_pt *iom_pt_create(struct iom_mem *mem, const struct iom_pt_cfg *cfg,
                             const struct iom_pt_alloc *alloc, struct iom_err *err)
{
	if (!mem || !cfg || !alloc || !alloc->alloc || !alloc->free) {
		iom_err_set(err, IOM_EINVAL, "pgtable: create: NULL memory, config or allocator");
		return NULL;
	}
	const struct pt_fmt_ops *ops = iom_pt_fmt_lookup(cfg, err);
	struct iom_pt_geom g;
	if (!ops || ops->geometry(cfg, &g, err))
		return NULL;
	struct iom_pt *pt = calloc(1, sizeof(*pt));
	if (!pt) {
		iom_err_set(err, IOM_ENOMEM, "pgtable: create: out of host memory");
		return NULL;
	}
	*pt = (struct iom_pt){.mem = mem,
	                      .cfg = *cfg,
	                      .geom = g,
	                      .ops = ops,
	                      .alloc = *alloc,
	                      .root_size = (uint64_t)g.concat << g.granule_shift,
	                      .va_hi = pt_va_hi(cfg)};
	if (pt_table_new(pt, pt->root_size, &pt->root, err)) {
		iom_err_prefix(err, "pgtable: create root"); /* err may be NULL: no code needed */
		iom_pt_destroy(pt);
		return NULL;
	}
	return pt;
}

void iom_pt_destroy(struct iom_pt *pt)
{
	if (!pt)
		return;
	for (size_t i = 0; i < pt->tables.cap; i++)
		if (pt->tables.slots[i].pa)
			pt->alloc.free(pt->alloc.ctx, pt->tables.slots[i].pa,
			               (size_t)pt_table_size(pt, pt->tables.slots[i].pa));
	free(pt->tables.slots);
	free(pt);
}

uint64_t iom_pt_root(const struct iom_pt *pt)
{
	return pt->root;
}

const struct iom_pt_cfg *iom_pt_config(const struct iom_pt *pt)
{
	return &pt->cfg;
}

const struct iom_pt_geom *iom_pt_geom(const struct iom_pt *pt)
{
	return &pt->geom;
}

const struct iom_pt_stats *iom_pt_stats(const struct iom_pt *pt)
{
	return &pt->stats;
}

/* ---------------------------------------------------------------------- */
/* Builder: map.                                                           */

#define PT_PTE_ALL                                                                                 \
	(IOM_PTE_R | IOM_PTE_W | IOM_PTE_X | IOM_PTE_USER | IOM_PTE_NG | IOM_PTE_NOAF |            \
	 IOM_PTE_DBM | IOM_PTE_CONT | IOM_PTE_CLEAN)

/* The level whose entries span pgsize and may hold a leaf, or -1. */
static int pt_leaf_level(const struct iom_pt *pt, uint64_t pgsize)
{
	for (unsigned l = pt->geom.start_level; l <= pt_last_level(&pt->geom); l++)
		if (pt_span(pt, l) == pgsize && pt->ops->leaf_ok(&pt->geom, l))
			return (int)l;
	return -1;
}

static int pt_map_args(const struct iom_pt *pt, uint64_t iova, uint64_t pa, uint64_t size,
                       uint64_t pgsize, uint32_t flags, uint64_t *off, struct iom_err *err)
{
	const char *w = "pgtable: map";
	if (pt_leaf_level(pt, pgsize) < 0)
		return iom_err_set(err, IOM_EINVAL,
		                   "%s iova 0x%" PRIx64 ": pgsize 0x%" PRIx64
		                   " is not a leaf size of format %s with granule_shift %u",
		                   w, iova, pgsize, pt->ops->name, pt->geom.granule_shift);
	if (!size || ((iova | pa | size) & (pgsize - 1)))
		return iom_err_set(err, IOM_EINVAL,
		                   "%s iova 0x%" PRIx64 " pa 0x%" PRIx64 " size 0x%" PRIx64
		                   ": not a non-zero multiple of pgsize 0x%" PRIx64,
		                   w, iova, pa, size, pgsize);
	if (flags & ~PT_PTE_ALL)
		return iom_err_set(err, IOM_EINVAL, "%s iova 0x%" PRIx64 ": unknown pte flags 0x%x",
		                   w, iova, flags & ~PT_PTE_ALL);
	if (!pt_region(pt, iova, size, off))
		return iom_err_set(err, IOM_ERANGE,
		                   "%s iova 0x%" PRIx64 " size 0x%" PRIx64 ": beyond ia_bits %u%s",
		                   w, iova, size, pt->cfg.ia_bits,
		                   pt->cfg.ttb1 ? " of the TTB1 region" : "");
	if (!pt_range_fits(pa, size, pt->cfg.oa_bits))
		return iom_err_set(err, IOM_ERANGE,
		                   "%s pa 0x%" PRIx64 " size 0x%" PRIx64 ": beyond oa_bits %u", w,
		                   pa, size, pt->cfg.oa_bits);
	return 0;
}

/* Every pgsize slot of the range must be free down to the leaf level. */
static int pt_map_check(struct iom_pt *pt, uint64_t iova, uint64_t size, unsigned leaf_level,
                        struct iom_err *err)
{
	uint64_t addr = iova, end = iova + size;
	struct pt_path p;
	struct pt_desc d;

	while (addr < end) {
		unsigned l = pt_descend(pt, addr, leaf_level, &p, &d);
		if (d.kind != PT_DESC_INVALID)
			return iom_err_set(
			    err, IOM_EEXIST,
			    "pgtable: map iova 0x%" PRIx64 ": overlaps an existing %s at level %u",
			    pt_va(pt, addr), d.kind == PT_DESC_LEAF ? "leaf" : "table", l);
		addr = (addr | (pt_span(pt, l) - 1)) + 1; /* the whole entry is free */
	}
	return 0;
}

/* Install one leaf, creating the missing tables on its path. */
static int pt_map_one(struct iom_pt *pt, uint64_t iova, uint64_t pa, unsigned leaf_level,
                      uint32_t flags, struct iom_err *err)
{
	struct pt_path p;
	struct pt_desc d;
	uint64_t table = pt->root, gsz = 1ull << pt->geom.granule_shift;
	unsigned l = pt->geom.start_level;

	for (; l < leaf_level; l++) {
		p.table[l] = table;
		unsigned idx = pt_idx(pt, iova, l);
		pt->ops->decode(&pt->geom, l, pt_rd(pt, table, idx), &d);
		if (d.kind == PT_DESC_TABLE) {
			table = d.addr;
			continue;
		}
		uint64_t next;
		int rc = pt_table_new(pt, gsz, &next, err);
		if (rc) {
			pt_prune(pt, iova, &p, l);
			return rc;
		}
		pt_wr(pt, table, idx, pt->ops->enc_table(&pt->geom, next));
		cnt_add(pt, table, +1);
		table = next;
	}
	pt_wr(pt, table, pt_idx(pt, iova, l), pt->ops->enc_leaf(&pt->geom, l, pa, flags));
	cnt_add(pt, table, +1);
	pt->stats.mapped_bytes += pt_span(pt, l);
	return 0;
}

/* Bytes of one Contiguous-hint run of leaves at `level`, or 0. */
static uint64_t pt_cont_run(const struct iom_pt *pt, unsigned level)
{
	return (uint64_t)pt->ops->cont_entries(&pt->geom, level) * pt_span(pt, level);
}

/* The hint goes on a leaf when its aligned run lies in [iova, iova+size) and
 * the OA is aligned like the IA. */
static bool pt_cont_ok(uint64_t run, uint64_t addr, uint64_t iova, uint64_t pa, uint64_t size)
{
	if (!run || ((iova ^ pa) & (run - 1)))
		return false;
	uint64_t rb = addr & ~(run - 1);
	return rb >= iova && run <= iova + size - rb;
}

static int pt_unmap_range(struct iom_pt *pt, uint64_t iova, uint64_t size, bool dry,
                          uint64_t *unmapped, struct iom_err *err);

int iom_pt_map(struct iom_pt *pt, uint64_t iova, uint64_t pa, uint64_t size, uint64_t pgsize,
               uint32_t pte_flags, struct iom_err *err)
{
	if (!pt)
		return iom_err_set(err, IOM_EINVAL, "pgtable: map: NULL table");
	uint64_t off = 0;
	int rc = pt_map_args(pt, iova, pa, size, pgsize, pte_flags, &off, err);
	if (rc)
		return rc;
	unsigned leaf_level = (unsigned)pt_leaf_level(pt, pgsize);
	rc = pt_map_check(pt, off, size, leaf_level, err);
	if (rc)
		return rc;
	uint64_t run = (pte_flags & IOM_PTE_CONT) ? pt_cont_run(pt, leaf_level) : 0;
	for (uint64_t o = 0; o < size; o += pgsize) {
		uint32_t f = pte_flags & ~IOM_PTE_CONT;
		if (pt_cont_ok(run, off + o, off, pa, size))
			f |= IOM_PTE_CONT;
		rc = pt_map_one(pt, off + o, pa + o, leaf_level, f, err);
		if (rc) {
			uint64_t undone;
			struct iom_err e2;
			/* Only our own leaves lie in [off, off+o): undo cannot fail. */
			pt_unmap_range(pt, off, o, false, &undone, &e2);
			iom_err_prefix(err, "pgtable: map iova 0x%" PRIx64, iova + o);
			return rc;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Builder: unmap.                                                         */

/* A contiguous run of leaves at `l` around addr that [iova, end) covers only
 * in part: clear the hint on the entries outside, once per run (on its first
 * leaf inside the range). */
static void pt_cont_break(struct iom_pt *pt, uint64_t addr, const struct pt_path *p, unsigned l,
                          uint64_t iova, uint64_t end)
{
	uint64_t run = pt_cont_run(pt, l), span = pt_span(pt, l);
	if (!run)
		return;
	uint64_t rb = addr & ~(run - 1);
	if (addr != IOM_MAX(rb, iova) || (rb >= iova && run <= end - rb))
		return;
	for (uint64_t a = rb; a - rb < run; a += span) {
		if ((a >= iova && a < end) || !pt_range_fits(a, span, pt->cfg.ia_bits))
			continue;
		unsigned idx = pt_idx(pt, a, l);
		uint64_t v = pt_rd(pt, p->table[l], idx);
		struct pt_desc d;
		pt->ops->decode(&pt->geom, l, v, &d);
		if (d.kind == PT_DESC_LEAF && d.cont)
			pt_wr(pt, p->table[l], idx, v & ~pt->ops->cont_bit);
	}
}

static void pt_unmap_leaf(struct iom_pt *pt, uint64_t addr, const struct pt_path *p, unsigned l)
{
	pt_wr(pt, p->table[l], pt_idx(pt, addr, l), 0);
	cnt_add(pt, p->table[l], -1);
	pt->stats.mapped_bytes -= pt_span(pt, l);
	pt_prune(pt, addr, p, l);
}

/* Visit every leaf and hole of [iova, iova+size); with dry, only check that
 * each leaf lies wholly inside. */
static int pt_unmap_range(struct iom_pt *pt, uint64_t iova, uint64_t size, bool dry,
                          uint64_t *unmapped, struct iom_err *err)
{
	uint64_t addr = iova, end = iova + size;
	struct pt_path p;
	struct pt_desc d;

	*unmapped = 0;
	while (addr < end) {
		unsigned l = pt_descend(pt, addr, pt_last_level(&pt->geom), &p, &d);
		uint64_t span = pt_span(pt, l), base = addr & ~(span - 1);
		if (d.kind == PT_DESC_LEAF) {
			if (base < iova || span > end - base)
				return iom_err_set(
				    err, IOM_ENOTSUP,
				    "pgtable: unmap iova 0x%" PRIx64 " size 0x%" PRIx64
				    ": leaf at 0x%" PRIx64
				    " (level %u) only partly covered; splitting a %" PRIu64
				    "%c block is not implemented",
				    pt_va(pt, iova), size, pt_va(pt, base), l, pt_size_val(span),
				    pt_size_unit(span));
			if (!dry) {
				if (d.cont)
					pt_cont_break(pt, base, &p, l, iova, end);
				pt_unmap_leaf(pt, addr, &p, l);
			}
			*unmapped += span;
		}
		addr = base + span;
	}
	return 0;
}

int iom_pt_unmap(struct iom_pt *pt, uint64_t iova, uint64_t size, uint64_t *unmapped,
                 struct iom_err *err)
{
	uint64_t dummy, off = 0;
	if (!unmapped)
		unmapped = &dummy;
	*unmapped = 0;
	if (!pt)
		return iom_err_set(err, IOM_EINVAL, "pgtable: unmap: NULL table");
	uint64_t gmask = (1ull << pt->geom.granule_shift) - 1;
	if (!size || ((iova | size) & gmask))
		return iom_err_set(err, IOM_EINVAL,
		                   "pgtable: unmap iova 0x%" PRIx64 " size 0x%" PRIx64
		                   ": not a non-zero multiple of the granule",
		                   iova, size);
	if (!pt_region(pt, iova, size, &off))
		return iom_err_set(
		    err, IOM_ERANGE,
		    "pgtable: unmap iova 0x%" PRIx64 " size 0x%" PRIx64 ": beyond ia_bits %u%s",
		    iova, size, pt->cfg.ia_bits, pt->cfg.ttb1 ? " of the TTB1 region" : "");
	int rc = pt_unmap_range(pt, off, size, true, unmapped, err);
	if (rc) {
		*unmapped = 0;
		return rc;
	}
	return pt_unmap_range(pt, off, size, false, unmapped, err);
}

/* Software lookup (the host's iova_to_phys): untimed, counted as builder
 * reads.  Returns 0 with *pa and *pgsize, or -IOM_ENOENT when unmapped. */
int iom_pt_lookup(struct iom_pt *pt, uint64_t iova, uint64_t *pa, uint64_t *pgsize)
{
	struct pt_path p;
	struct pt_desc d;
	uint64_t off = 0;
	if (!pt_region(pt, iova, 1, &off))
		return -IOM_ENOENT;
	unsigned l = pt_descend(pt, off, pt_last_level(&pt->geom), &p, &d);
	if (d.kind != PT_DESC_LEAF)
		return -IOM_ENOENT;
	uint64_t span = pt_span(pt, l);
	*pgsize = span;
	*pa = (d.addr & ~(span - 1)) + (iova & (span - 1));
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Scan: the CPU visiting a range's entries (iom_pt_scan).                 */

static uint64_t pt_le64(const uint8_t b[8]);
static void pt_put_le64(uint8_t b[8], uint64_t v);

struct pt_scanner {
	struct iom_pt *pt;
	struct iom_pt_scan *s;
	struct iom_err *err;
	uint64_t path[IOM_PT_MAX_LEVELS]; /* descriptor address read at each level */
	bool fresh;                       /* rewalk: the path was just read on the way down */
};

/* One 8-byte access of the scan (timed or functional); false outside memory. */
static bool pt_scan_access(struct pt_scanner *k, uint64_t pa, uint64_t *v, bool write)
{
	struct iom_pt_scan *s = k->s;
	uint8_t b[8];
	bool ok = true;

	if (s->mem_req < 0) {
		if (write)
			iom_mem_wr64(k->pt->mem, pa, *v);
		else
			*v = iom_mem_rd64(k->pt->mem, pa);
		return true;
	}
	if (s->before)
		s->before(s->ctx, s->now_ps);
	if (write) {
		pt_put_le64(b, *v);
		s->now_ps = iom_mem_timed_write(k->pt->mem, s->mem_req, pa, b, 8, s->now_ps, &ok);
	} else {
		s->now_ps = iom_mem_timed_read(k->pt->mem, s->mem_req, pa, b, 8, s->now_ps, &ok);
		*v = pt_le64(b);
	}
	return ok;
}

static int pt_scan_abort(struct pt_scanner *k, uint64_t pa)
{
	return iom_err_set(k->err, IOM_EIO, "pgtable: scan: descriptor at 0x%" PRIx64
			   " is outside memory", pa);
}

/* The atomic clear of a dirty leaf (set_bit / test_and_clear_bit): the
 * current descriptor, read again, written back with its dirty state cleared. */
static int pt_scan_clear(struct pt_scanner *k, uint64_t pa)
{
	uint64_t v, clean;
	if (!pt_scan_access(k, pa, &v, false))
		return pt_scan_abort(k, pa);
	k->pt->ops->leaf_dirty(v, &clean);
	if (!pt_scan_access(k, pa, &clean, true))
		return pt_scan_abort(k, pa);
	k->s->clears++;
	return 0;
}

static int pt_scan_table(struct pt_scanner *k, uint64_t table, unsigned l, uint64_t lo,
			 uint64_t hi);

/* One entry at level l covering addr (a region offset) inside [lo, hi). */
static int pt_scan_entry(struct pt_scanner *k, uint64_t table, unsigned l, uint64_t addr,
			 uint64_t hi)
{
	struct iom_pt *pt = k->pt;
	struct iom_pt_scan *s = k->s;
	uint64_t span = pt_span(pt, l), base = addr & ~(span - 1), pa, v;
	pa = table + 8ull * pt_idx(pt, addr, l);
	/* rewalk: each step walks from the root (the first step below a table
	 * entry uses the reads that found it) */
	for (unsigned a = pt->geom.start_level; s->rewalk && !k->fresh && a < l; a++) {
		if (!pt_scan_access(k, k->path[a], &v, false))
			return pt_scan_abort(k, k->path[a]);
		s->reads++;
	}
	k->fresh = false;
	k->path[l] = pa;
	if (!pt_scan_access(k, pa, &v, false))
		return pt_scan_abort(k, pa);
	s->reads++;
	struct pt_desc d;
	pt->ops->decode(&pt->geom, l, v, &d);
	if (d.kind == PT_DESC_TABLE) {
		k->fresh = true;
		return pt_scan_table(k, d.addr, l + 1, addr, IOM_MIN(hi, base + span));
	}
	struct iom_pt_leaf leaf = {.iova = pt_va(pt, addr), .base = pt_va(pt, base), .size = span,
				   .desc_pa = pa, .desc = v, .level = (uint8_t)l,
				   .valid = d.kind == PT_DESC_LEAF};
	if (leaf.valid) {
		uint64_t clean;
		leaf.oa = d.addr;
		leaf.perms = d.perms;
		leaf.dirty = pt->ops->leaf_dirty && pt->ops->leaf_dirty(v, &clean);
		s->leaves++;
	} else {
		s->holes++;
	}
	int rc = s->visit ? s->visit(s->ctx, s, &leaf, k->err) : IOM_PT_SCAN_NEXT;
	if (rc == IOM_PT_SCAN_CLEAR && leaf.valid && pt->ops->leaf_dirty)
		return pt_scan_clear(k, pa);
	return rc == IOM_PT_SCAN_CLEAR ? 0 : rc;
}

static int pt_scan_table(struct pt_scanner *k, uint64_t table, unsigned l, uint64_t lo,
			 uint64_t hi)
{
	uint64_t span = pt_span(k->pt, l);
	for (uint64_t a = lo; a < hi;) {
		int rc = pt_scan_entry(k, table, l, a, hi);
		if (rc)
			return rc;
		uint64_t next = (a & ~(span - 1)) + span;
		if (next <= a) /* the top of a 64-bit region */
			break;
		a = next;
	}
	return 0;
}

int iom_pt_scan(struct iom_pt *pt, struct iom_pt_scan *s, struct iom_err *err)
{
	uint64_t off = 0;
	if (!pt || !s)
		return iom_err_set(err, IOM_EINVAL, "pgtable: scan: NULL argument");
	if (!s->size)
		return 0;
	if (!pt_region(pt, s->iova, s->size, &off))
		return iom_err_set(err, IOM_ERANGE,
				   "pgtable: scan iova 0x%" PRIx64 " size 0x%" PRIx64
				   ": beyond ia_bits %u",
				   s->iova, s->size, pt->cfg.ia_bits);
	struct pt_scanner k = {.pt = pt, .s = s, .err = err};
	int rc = pt_scan_table(&k, pt->root, pt->geom.start_level, off, off + s->size);
	return rc == IOM_PT_SCAN_STOP ? 1 : rc;
}

/* ---------------------------------------------------------------------- */
/* Walker.                                                                 */

/* One walk's fixed context. */
struct pt_walker {
	struct iom_mem *mem;
	const struct iom_pt_cfg *cfg;
	const struct pt_fmt_ops *ops;
	struct iom_pt_geom g;
	struct iom_pt_walk *w;
	uint64_t ia; /* w->iova reduced to the region's ia_bits */
};

static void pt_walk_reset(struct iom_pt_walk *w)
{
	w->status = IOM_PT_OK;
	w->nsteps = 0;
	w->leaf_level = w->level;
	w->perms = 0;
	w->af = 0;
	w->pxn = 0;
	w->s2_status = IOM_PT_OK;
	w->af_updates = 0;
	w->dirty_updates = 0;
	w->rmws = 0;
	w->s2_reads = 0;
	w->leaf_desc = 0;
	w->leaf_desc_pa = 0;
	w->oa = 0;
	w->page_size = 0;
	w->cont_size = 0;
	w->done_ps = w->now_ps;
}

static uint64_t pt_le64(const uint8_t b[8])
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--) /* tables are little-endian (mem.h) */
		v = (v << 8) | b[i];
	return v;
}

static void pt_put_le64(uint8_t b[8], uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		b[i] = (uint8_t)v;
}

/* One timed descriptor fetch; false on an external abort. */
static bool pt_walk_fetch(struct iom_mem *mem, struct iom_pt_walk *w, uint64_t pa, uint64_t *desc)
{
	uint8_t b[8];
	bool ok = true;

	w->done_ps = iom_mem_timed_read(mem, w->mem_req, pa, b, sizeof(b), w->done_ps, &ok);
	if (!ok)
		return false;
	*desc = pt_le64(b);
	return true;
}

static void pt_walk_leaf(const struct pt_walker *k, const struct pt_desc *d, unsigned l,
                         uint32_t deny)
{
	struct iom_pt_walk *w = k->w;
	uint64_t span = 1ull << k->ops->level_shift(&k->g, l);

	w->perms = d->perms & ~deny;
	w->af = d->af;
	w->pxn = d->pxn || (deny & PT_DENY_PXN);
	w->page_size = span;
	w->oa = d->addr + (w->iova & (span - 1));
	w->cont_size = d->cont ? span * k->ops->cont_entries(&k->g, l) : 0;
}

/* HTTU: one timed read-modify-write of the leaf at pa (D8.5: the update is
 * atomic; its read and write are both charged). */
static bool pt_walk_httu(const struct pt_walker *k, uint64_t pa, uint64_t *desc, uint32_t deny)
{
	struct iom_pt_walk *w = k->w;
	struct pt_httu u;
	uint8_t b[8];
	bool ok = true;

	if (!(w->ha || w->hd) || !k->ops->httu(w, *desc, deny, &u))
		return true;
	w->done_ps = iom_mem_timed_read(k->mem, w->mem_req, pa, b, sizeof(b), w->done_ps, &ok);
	if (!ok)
		return false;
	uint64_t v = (pt_le64(b) | u.set) & ~u.clear;
	pt_put_le64(b, v);
	w->done_ps = iom_mem_timed_write(k->mem, w->mem_req, pa, b, sizeof(b), w->done_ps, &ok);
	if (!ok)
		return false;
	w->rmws++;
	w->af_updates += u.af;
	w->dirty_updates += u.dirty;
	*desc = v;
	return true;
}

static int pt_walk_args(const struct iom_pt_geom *g, const struct iom_pt_walk *w,
                        struct iom_err *err)
{
	if (w->level < g->start_level || w->level > pt_last_level(g))
		return iom_err_set(err, IOM_EINVAL,
		                   "pgtable: walk iova 0x%" PRIx64
		                   ": start level %u outside %u..%u",
		                   w->iova, w->level, g->start_level, pt_last_level(g));
	if (w->table_pa & 7)
		return iom_err_set(err, IOM_EINVAL,
		                   "pgtable: walk iova 0x%" PRIx64 ": table_pa 0x%" PRIx64
		                   " not 8-byte aligned",
		                   w->iova, w->table_pa);
	return 0;
}

enum { PT_LEVEL_NEXT = 0, PT_LEVEL_END = 1 };

/* Nested: stage 2 translates the descriptor IPA.  PT_LEVEL_END on a
 * stage-2 fault (w->status set). */
static int pt_walk_s2(const struct pt_walker *k, uint64_t ipa, uint64_t *pa, uint8_t *reads,
                      struct iom_err *err)
{
	struct iom_pt_walk *w = k->w;
	struct iom_pt_s2_req r = {.ipa = ipa, .now_ps = w->done_ps, .mem_req = w->mem_req};

	int rc = w->s2_xlat(w->s2_ctx, &r, err);
	if (rc)
		return rc;
	w->done_ps = IOM_MAX(w->done_ps, r.done_ps);
	w->s2_reads = (uint16_t)(w->s2_reads + r.reads);
	*reads = r.reads;
	if (r.status != IOM_PT_OK) {
		w->status = IOM_PT_FAULT_S2;
		w->s2_status = r.status;
		return PT_LEVEL_END;
	}
	*pa = r.pa;
	return PT_LEVEL_NEXT;
}

/* One level of the walk: (translate,) fetch, record the step, decide.
 * Returns PT_LEVEL_END when the walk ends here (leaf or fault, w->status
 * set), PT_LEVEL_NEXT with *d holding the table descriptor to follow, or
 * -IOM_E* from s2_xlat. */
static int pt_walk_level(const struct pt_walker *k, uint64_t table, unsigned l, struct pt_desc *d,
                         struct iom_err *err)
{
	struct iom_pt_walk *w = k->w;
	uint64_t ipa = table + 8ull * k->ops->index(&k->g, k->ia, l), pa = ipa, desc;
	uint8_t s2_reads = 0;

	/* On a fault these name the descriptor at fault (the fetch address on an abort). */
	w->leaf_level = (uint8_t)l;
	w->leaf_desc_pa = ipa;
	if (w->s2_xlat) {
		int rc = pt_walk_s2(k, ipa, &pa, &s2_reads, err);
		if (rc)
			return rc;
		w->leaf_desc_pa = pa;
	}
	if (!pt_walk_fetch(k->mem, w, pa, &desc)) {
		w->status = IOM_PT_EXT_ABORT; /* no data: not recorded as a step */
		return PT_LEVEL_END;
	}
	k->ops->decode(&k->g, l, desc, d);
	w->leaf_desc = desc;
	w->steps[w->nsteps++] = (struct iom_pt_step){.desc_pa = pa,
	                                             .desc = desc,
	                                             .level = (uint8_t)l,
	                                             .is_table = d->kind == PT_DESC_TABLE,
	                                             .s2_reads = s2_reads,
	                                             .desc_ipa = ipa,
	                                             .done_ps = w->done_ps};
	if (d->kind == PT_DESC_INVALID)
		w->status = IOM_PT_FAULT_TRANSLATION;
	else if (!pt_fits(d->addr, k->cfg->oa_bits))
		w->status = IOM_PT_FAULT_ADDR_SIZE;
	else if (d->kind == PT_DESC_TABLE)
		return PT_LEVEL_NEXT;
	return PT_LEVEL_END;
}

/* The leaf is valid and in range: HTTU, then the result. */
static void pt_walk_done(const struct pt_walker *k, struct pt_desc *d, unsigned l, uint32_t deny)
{
	struct iom_pt_walk *w = k->w;
	uint64_t desc = w->leaf_desc;

	if (!pt_walk_httu(k, w->leaf_desc_pa, &desc, deny)) {
		w->status = IOM_PT_EXT_ABORT;
		return;
	}
	if (desc != w->leaf_desc) {
		w->leaf_desc = desc;
		k->ops->decode(&k->g, l, desc, d);
	}
	pt_walk_leaf(k, d, l, deny);
}

int iom_pt_walk(struct iom_mem *mem, const struct iom_pt_cfg *cfg, struct iom_pt_walk *w,
                struct iom_err *err)
{
	if (!mem || !cfg || !w)
		return iom_err_set(err, IOM_EINVAL, "pgtable: walk: NULL argument");
	struct pt_walker k = {.mem = mem, .cfg = cfg, .w = w};
	k.ops = iom_pt_fmt_lookup(cfg, err);
	if (!k.ops)
		return -IOM_ENOTSUP;
	int rc = k.ops->geometry(cfg, &k.g, err);
	if (!rc)
		rc = pt_walk_args(&k.g, w, err);
	if (rc)
		return rc;
	pt_walk_reset(w);
	uint64_t mask = pt_ia_mask(cfg->ia_bits);
	if ((w->iova & ~mask) != pt_va_hi(cfg)) {
		w->status = IOM_PT_FAULT_TRANSLATION; /* IA outside the region: no read */
		return 0;
	}
	k.ia = w->iova & mask;
	if (!pt_fits(w->table_pa, cfg->oa_bits)) {
		w->status = IOM_PT_FAULT_ADDR_SIZE; /* start table beyond the OA size: no read */
		return 0;
	}
	uint64_t table = w->table_pa;
	uint32_t deny = 0;
	for (unsigned l = w->level; l <= pt_last_level(&k.g); l++) {
		struct pt_desc d;
		rc = pt_walk_level(&k, table, l, &d, err);
		if (rc < 0)
			return iom_err_prefix(err, "pgtable: walk iova 0x%" PRIx64 " level %u",
			                      w->iova, l);
		if (rc == PT_LEVEL_END) {
			if (w->status == IOM_PT_OK)
				pt_walk_done(&k, &d, l, deny);
			return 0;
		}
		deny |= d.table_deny;
		table = d.addr;
	}
	w->status = IOM_PT_FAULT_TRANSLATION; /* unreachable: the last level holds no tables */
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Nested walk without caches (iom_pt_walk_nested).                        */

struct pt_nested {
	struct iom_mem *mem;
	const struct iom_pt_cfg *s2;
	struct iom_pt_nested_walk *nw;
};

/* Stage-2 outcome of a translation: the walk's status, then AF (without
 * S2HA: access fault) and, for a stage-1 table read, S2AP read permission. */
static uint8_t pt_nested_status(const struct iom_pt_walk *w, bool table_read)
{
	if (w->status != IOM_PT_OK)
		return w->status;
	if (!w->af)
		return IOM_PT_FAULT_ACCESS;
	if (table_read && !(w->perms & IOM_PTE_R))
		return IOM_PT_FAULT_PERMISSION;
	return IOM_PT_OK;
}

static int pt_nested_s2_walk(struct pt_nested *c, uint64_t ipa, uint64_t now, bool write,
                             struct iom_err *err)
{
	struct iom_pt_nested_walk *nw = c->nw;
	struct iom_pt_walk *w = &nw->s2;

	*w = (struct iom_pt_walk){.iova = ipa,
	                          .table_pa = nw->s2_table,
	                          .level = nw->s2_level,
	                          .now_ps = now,
	                          .mem_req = nw->mem_req,
	                          .write = write,
	                          .priv = nw->priv,
	                          .ha = nw->s2_ha,
	                          .hd = nw->s2_hd};
	int rc = iom_pt_walk(c->mem, c->s2, w, err);
	if (!rc)
		nw->reads += w->nsteps;
	return rc;
}

/* s2_xlat for the stage-1 walk: a full stage-2 walk per table address. */
static int pt_nested_xlat(void *ctx, struct iom_pt_s2_req *r, struct iom_err *err)
{
	struct pt_nested *c = ctx;
	int rc = pt_nested_s2_walk(c, r->ipa, r->now_ps, false, err);
	if (rc)
		return rc;
	const struct iom_pt_walk *w = &c->nw->s2;
	r->status = pt_nested_status(w, true);
	r->reads = w->nsteps;
	r->pa = w->oa;
	r->done_ps = w->done_ps;
	return 0;
}

static void pt_nested_fault(struct iom_pt_nested_walk *nw, uint8_t status, uint8_t stage,
                            uint64_t done)
{
	nw->status = status;
	nw->fault_stage = stage;
	nw->done_ps = done;
}

int iom_pt_walk_nested(struct iom_mem *mem, const struct iom_pt_cfg *s1,
                       const struct iom_pt_cfg *s2, struct iom_pt_nested_walk *nw,
                       struct iom_err *err)
{
	if (!mem || !s1 || !s2 || !nw)
		return iom_err_set(err, IOM_EINVAL, "pgtable: nested walk: NULL argument");
	struct pt_nested c = {.mem = mem, .s2 = s2, .nw = nw};
	nw->status = IOM_PT_OK;
	nw->fault_stage = 0;
	nw->reads = 0;
	nw->ipa = nw->pa = 0;
	memset(&nw->s2, 0, sizeof(nw->s2));
	nw->s1 = (struct iom_pt_walk){.iova = nw->iova,
	                              .table_pa = nw->s1_table,
	                              .level = nw->s1_level,
	                              .now_ps = nw->now_ps,
	                              .mem_req = nw->mem_req,
	                              .write = nw->write,
	                              .priv = nw->priv,
	                              .ha = nw->s1_ha,
	                              .hd = nw->s1_hd,
	                              .s2_xlat = pt_nested_xlat,
	                              .s2_ctx = &c};
	int rc = iom_pt_walk(mem, s1, &nw->s1, err);
	if (rc)
		return iom_err_prefix(err, "pgtable: nested walk stage 1");
	nw->reads += nw->s1.nsteps;
	if (nw->s1.status == IOM_PT_FAULT_S2) {
		pt_nested_fault(nw, nw->s1.s2_status, 2, nw->s1.done_ps);
		return 0;
	}
	uint8_t st = pt_nested_status(&nw->s1, false);
	if (st != IOM_PT_OK) {
		pt_nested_fault(nw, st, 1, nw->s1.done_ps);
		return 0;
	}
	nw->ipa = nw->s1.oa;
	rc = pt_nested_s2_walk(&c, nw->ipa, nw->s1.done_ps, nw->write, err);
	if (rc)
		return iom_err_prefix(err, "pgtable: nested walk stage 2 of IPA 0x%" PRIx64,
		                      nw->ipa);
	st = pt_nested_status(&nw->s2, false);
	if (st != IOM_PT_OK) {
		pt_nested_fault(nw, st, 2, nw->s2.done_ps);
		return 0;
	}
	nw->pa = nw->s2.oa;
	nw->done_ps = nw->s2.done_ps;
	return 0;
}
