/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pgtable.c - format-neutral translation-table builder and walker over
 * simulated memory (pgtable.h).  Everything format-specific goes through a
 * struct pt_fmt_ops (pt-fmt.h); today only VMSAv8-64 stage 1 with the 4 KB
 * granule (vmsa.c, Arm DDI0487 D8.2/D8.3) is implemented.
 *
 * Builder (the host's io-pgtable code): functional iom_mem_rd64/wr64, each
 * descriptor access counted in struct iom_pt_stats.  Tables come from the
 * caller's allocator, one granule each (also the top table when the
 * architecture would allow a smaller one), and are zeroed by it.  Since a
 * hardware table holds no entry count, the builder keeps one per table in a
 * host-side hash map (table PA -> valid entries); an unmap that empties a
 * table clears its parent descriptor and frees it, never the root.  map and
 * unmap check the whole range first (counted reads) and write only when it
 * can succeed, so an EEXIST/ENOTSUP leaves the tables untouched; an
 * allocation failure half-way is undone.
 * Not done: splitting a block on partial unmap (-IOM_ENOTSUP), merging
 * pages into blocks, break-before-make sequencing, TLB maintenance (the
 * caller's job, as in Linux), the Contiguous hint.
 *
 * Walker (the IOMMU's table-walk unit): starts at w->table_pa / w->level,
 * one timed 8-byte read through models/mem per level, each issued when the
 * previous one completes (a walk is a dependent pointer chase), so a walk of
 * n levels with an uncontended fixed DRAM latency L ends at now + n * L.
 * Hierarchical table controls (APTable/XNTable) are applied to the leaf
 * permissions; checking them against the access type, AF and DBM is the
 * IOMMU's job.  On a fault, leaf_level / leaf_desc_pa / leaf_desc name the
 * descriptor at fault; an external abort (fetch outside memory) names the
 * fetch address and records no step, since no data came back.  An IA beyond
 * ia_bits, or a start table beyond oa_bits, faults before any read.
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
/* Formats and geometry.                                                   */

static const char *pt_fmt_name(unsigned fmt)
{
	static const char *const names[] = {"VMSA64_S1", "VMSA64_S2", "X86_FL", "VTD_SL"};
	return fmt < IOM_ARRAY_SIZE(names) ? names[fmt] : "unknown";
}

const struct pt_fmt_ops *iom_pt_fmt_lookup(const struct iom_pt_cfg *cfg, struct iom_err *err)
{
	if (cfg->fmt == IOM_PT_VMSA64_S1)
		return &iom_pt_fmt_vmsa64_s1;
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

static int pt_table_new(struct iom_pt *pt, uint64_t *pa, struct iom_err *err)
{
	uint64_t gsz = 1ull << pt->geom.granule_shift;
	uint64_t p = pt->alloc.alloc(pt->alloc.ctx, (size_t)gsz);

	if (!p)
		return iom_err_set(err, IOM_ENOMEM, "pgtable: table allocator exhausted");
	if ((p & (gsz - 1)) || !pt_fits(p, pt->cfg.oa_bits)) {
		pt->alloc.free(pt->alloc.ctx, p, (size_t)gsz);
		return iom_err_set(err, IOM_ERANGE,
		                   "pgtable: allocator returned table PA 0x%" PRIx64
		                   " (unaligned or beyond oa_bits %u)",
		                   p, pt->cfg.oa_bits);
	}
	if (cnt_insert(&pt->tables, p)) {
		pt->alloc.free(pt->alloc.ctx, p, (size_t)gsz);
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
	*pt = (struct iom_pt){.mem = mem, .cfg = *cfg, .geom = g, .ops = ops, .alloc = *alloc};
	if (pt_table_new(pt, &pt->root, err)) {
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
			               (size_t)1 << pt->geom.granule_shift);
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

const struct iom_pt_stats *iom_pt_stats(const struct iom_pt *pt)
{
	return &pt->stats;
}

/* ---------------------------------------------------------------------- */
/* Builder: map.                                                           */

#define PT_PTE_ALL                                                                                 \
	(IOM_PTE_R | IOM_PTE_W | IOM_PTE_X | IOM_PTE_USER | IOM_PTE_NG | IOM_PTE_NOAF | IOM_PTE_DBM)

/* The level whose entries span pgsize and may hold a leaf, or -1. */
static int pt_leaf_level(const struct iom_pt *pt, uint64_t pgsize)
{
	for (unsigned l = pt->geom.start_level; l <= pt_last_level(&pt->geom); l++)
		if (pt_span(pt, l) == pgsize && pt->ops->leaf_ok(&pt->geom, l))
			return (int)l;
	return -1;
}

static int pt_map_args(const struct iom_pt *pt, uint64_t iova, uint64_t pa, uint64_t size,
                       uint64_t pgsize, uint32_t flags, struct iom_err *err)
{
	const char *w = "pgtable: map";
	if (pt_leaf_level(pt, pgsize) < 0)
		return iom_err_set(err, IOM_EINVAL,
		                   "%s iova 0x%" PRIx64 ": pgsize 0x%" PRIx64
		                   " is not a leaf size of format %s",
		                   w, iova, pgsize, pt->ops->name);
	if (!size || ((iova | pa | size) & (pgsize - 1)))
		return iom_err_set(err, IOM_EINVAL,
		                   "%s iova 0x%" PRIx64 " pa 0x%" PRIx64 " size 0x%" PRIx64
		                   ": not a non-zero multiple of pgsize 0x%" PRIx64,
		                   w, iova, pa, size, pgsize);
	if (flags & ~PT_PTE_ALL)
		return iom_err_set(err, IOM_EINVAL, "%s iova 0x%" PRIx64 ": unknown pte flags 0x%x",
		                   w, iova, flags & ~PT_PTE_ALL);
	if (!pt_range_fits(iova, size, pt->cfg.ia_bits))
		return iom_err_set(err, IOM_ERANGE,
		                   "%s iova 0x%" PRIx64 " size 0x%" PRIx64 ": beyond ia_bits %u", w,
		                   iova, size, pt->cfg.ia_bits);
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
			return iom_err_set(err, IOM_EEXIST,
			                   "pgtable: map iova 0x%" PRIx64
			                   ": overlaps an existing %s at level %u",
			                   addr, d.kind == PT_DESC_LEAF ? "leaf" : "table", l);
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
	uint64_t table = pt->root;
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
		int rc = pt_table_new(pt, &next, err);
		if (rc) {
			pt_prune(pt, iova, &p, l);
			return rc;
		}
		pt_wr(pt, table, idx, pt->ops->enc_table(next));
		cnt_add(pt, table, +1);
		table = next;
	}
	pt_wr(pt, table, pt_idx(pt, iova, l), pt->ops->enc_leaf(&pt->geom, l, pa, flags));
	cnt_add(pt, table, +1);
	pt->stats.mapped_bytes += pt_span(pt, l);
	return 0;
}

static int pt_unmap_range(struct iom_pt *pt, uint64_t iova, uint64_t size, bool dry,
                          uint64_t *unmapped, struct iom_err *err);

int iom_pt_map(struct iom_pt *pt, uint64_t iova, uint64_t pa, uint64_t size, uint64_t pgsize,
               uint32_t pte_flags, struct iom_err *err)
{
	if (!pt)
		return iom_err_set(err, IOM_EINVAL, "pgtable: map: NULL table");
	int rc = pt_map_args(pt, iova, pa, size, pgsize, pte_flags, err);
	if (rc)
		return rc;
	unsigned leaf_level = (unsigned)pt_leaf_level(pt, pgsize);
	rc = pt_map_check(pt, iova, size, leaf_level, err);
	if (rc)
		return rc;
	for (uint64_t off = 0; off < size; off += pgsize) {
		rc = pt_map_one(pt, iova + off, pa + off, leaf_level, pte_flags, err);
		if (rc) {
			uint64_t undone;
			struct iom_err e2;
			/* Only our own leaves lie in [iova, iova+off): undo cannot fail. */
			pt_unmap_range(pt, iova, off, false, &undone, &e2);
			iom_err_prefix(err, "pgtable: map iova 0x%" PRIx64, iova + off);
			return rc;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Builder: unmap.                                                         */

static void pt_unmap_leaf(struct iom_pt *pt, uint64_t addr, const struct pt_path *p, unsigned l)
{
	pt_wr(pt, p->table[l], pt_idx(pt, addr, l), 0);
	cnt_add(pt, p->table[l], -1);
	pt->stats.mapped_bytes -= pt_span(pt, l);
	pt_prune(pt, addr, p, l);
}

/* Leaf sizes for messages: 4K, 2M, 1G. */
static uint64_t pt_size_val(uint64_t sz)
{
	return sz >= (1ull << 30) ? sz >> 30 : sz >= (1ull << 20) ? sz >> 20 : sz >> 10;
}

static char pt_size_unit(uint64_t sz)
{
	return sz >= (1ull << 30) ? 'G' : sz >= (1ull << 20) ? 'M' : 'K';
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
				    iova, size, base, l, pt_size_val(span), pt_size_unit(span));
			if (!dry)
				pt_unmap_leaf(pt, addr, &p, l);
			*unmapped += span;
		}
		addr = base + span;
	}
	return 0;
}

int iom_pt_unmap(struct iom_pt *pt, uint64_t iova, uint64_t size, uint64_t *unmapped,
                 struct iom_err *err)
{
	uint64_t dummy;
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
	if (!pt_range_fits(iova, size, pt->cfg.ia_bits))
		return iom_err_set(err, IOM_ERANGE,
		                   "pgtable: unmap iova 0x%" PRIx64 " size 0x%" PRIx64
		                   ": beyond ia_bits %u",
		                   iova, size, pt->cfg.ia_bits);
	int rc = pt_unmap_range(pt, iova, size, true, unmapped, err);
	if (rc) {
		*unmapped = 0;
		return rc;
	}
	return pt_unmap_range(pt, iova, size, false, unmapped, err);
}

/* ---------------------------------------------------------------------- */
/* Walker.                                                                 */

static void pt_walk_reset(struct iom_pt_walk *w)
{
	w->status = IOM_PT_OK;
	w->nsteps = 0;
	w->leaf_level = w->level;
	w->perms = 0;
	w->af = 0;
	w->leaf_desc = 0;
	w->leaf_desc_pa = 0;
	w->oa = 0;
	w->page_size = 0;
	w->done_ps = w->now_ps;
}

/* One timed descriptor fetch; false on an external abort. */
static bool pt_walk_fetch(struct iom_mem *mem, struct iom_pt_walk *w, uint64_t pa, uint64_t *desc)
{
	uint8_t b[8];
	bool ok = true;

	w->done_ps = iom_mem_timed_read(mem, w->mem_req, pa, b, sizeof(b), w->done_ps, &ok);
	if (!ok)
		return false;
	*desc = 0;
	for (int i = 7; i >= 0; i--) /* tables are little-endian (mem.h) */
		*desc = (*desc << 8) | b[i];
	return true;
}

static void pt_walk_leaf(const struct pt_fmt_ops *ops, const struct iom_pt_geom *g,
                         struct iom_pt_walk *w, const struct pt_desc *d, unsigned l, uint32_t deny)
{
	uint64_t span = 1ull << ops->level_shift(g, l);

	w->perms = d->perms & ~deny;
	w->af = d->af;
	w->page_size = span;
	w->oa = d->addr + (w->iova & (span - 1));
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

/* One level of the walk: fetch, record the step, decide.  Returns true when
 * the walk ends here (leaf or fault, w->status set); otherwise *d holds the
 * table descriptor to follow. */
static bool pt_walk_level(struct iom_mem *mem, const struct iom_pt_cfg *cfg,
                          const struct pt_fmt_ops *ops, const struct iom_pt_geom *g,
                          struct iom_pt_walk *w, uint64_t table, unsigned l, struct pt_desc *d)
{
	uint64_t pa = table + 8ull * ops->index(g, w->iova, l), desc;

	/* On a fault these name the descriptor at fault (the fetch address on an abort). */
	w->leaf_level = (uint8_t)l;
	w->leaf_desc_pa = pa;
	if (!pt_walk_fetch(mem, w, pa, &desc)) {
		w->status = IOM_PT_EXT_ABORT; /* no data: not recorded as a step */
		return true;
	}
	ops->decode(g, l, desc, d);
	w->leaf_desc = desc;
	w->steps[w->nsteps++] = (struct iom_pt_step){.desc_pa = pa,
	                                             .desc = desc,
	                                             .level = (uint8_t)l,
	                                             .is_table = d->kind == PT_DESC_TABLE,
	                                             .done_ps = w->done_ps};
	if (d->kind == PT_DESC_INVALID)
		w->status = IOM_PT_FAULT_TRANSLATION;
	else if (!pt_fits(d->addr, cfg->oa_bits))
		w->status = IOM_PT_FAULT_ADDR_SIZE;
	else if (d->kind == PT_DESC_TABLE)
		return false;
	return true;
}

int iom_pt_walk(struct iom_mem *mem, const struct iom_pt_cfg *cfg, struct iom_pt_walk *w,
                struct iom_err *err)
{
	if (!mem || !cfg || !w)
		return iom_err_set(err, IOM_EINVAL, "pgtable: walk: NULL argument");
	const struct pt_fmt_ops *ops = iom_pt_fmt_lookup(cfg, err);
	struct iom_pt_geom g;
	if (!ops)
		return -IOM_ENOTSUP;
	int rc = ops->geometry(cfg, &g, err);
	if (!rc)
		rc = pt_walk_args(&g, w, err);
	if (rc)
		return rc;
	pt_walk_reset(w);
	if (!pt_fits(w->iova, cfg->ia_bits)) {
		w->status = IOM_PT_FAULT_TRANSLATION; /* IA beyond the TTB0 region: no read */
		return 0;
	}
	if (!pt_fits(w->table_pa, cfg->oa_bits)) {
		w->status = IOM_PT_FAULT_ADDR_SIZE; /* start table beyond the OA size: no read */
		return 0;
	}
	uint64_t table = w->table_pa;
	uint32_t deny = 0;
	for (unsigned l = w->level; l <= pt_last_level(&g); l++) {
		struct pt_desc d;
		if (pt_walk_level(mem, cfg, ops, &g, w, table, l, &d)) {
			if (w->status == IOM_PT_OK)
				pt_walk_leaf(ops, &g, w, &d, l, deny);
			return 0;
		}
		deny |= d.table_deny;
		table = d.addr;
	}
	w->status = IOM_PT_FAULT_TRANSLATION; /* unreachable: the last level holds no tables */
	return 0;
}

/* Software lookup (the host's iova_to_phys): untimed, counted as builder
 * reads.  Returns 0 with *pa and *pgsize, or -IOM_ENOENT when unmapped. */
int iom_pt_lookup(struct iom_pt *pt, uint64_t iova, uint64_t *pa, uint64_t *pgsize)
{
	struct pt_path p;
	struct pt_desc d;
	if (!pt_fits(iova, pt->cfg.ia_bits))
		return -IOM_ENOENT;
	unsigned l = pt_descend(pt, iova, pt_last_level(&pt->geom), &p, &d);
	if (d.kind != PT_DESC_LEAF)
		return -IOM_ENOENT;
	uint64_t span = pt_span(pt, l);
	*pgsize = span;
	*pa = (d.addr & ~(span - 1)) + (iova & (span - 1));
	return 0;
}
