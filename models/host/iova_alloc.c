/* SPDX-License-Identifier: Apache-2.0 */
/*
 * iova_alloc.c - IOVA allocators (iova_alloc.h, docs/dma-api.md "IOVA
 * allocators").
 *
 * What it models
 *  linux       drivers/iommu/iova.c + dma-iommu.c iommu_dma_alloc_iova() as
 *              of Linux v6.7 - v6.17 (read: v6.17-rc3):
 *              - alloc_iova_fast(): sizes below 1 << (IOVA_RANGE_CACHE_MAX_SIZE
 *                - 1) = 32 granules rounded up to a power of two; the per-CPU
 *                range cache first (bins of order 0..5), then the tree;
 *              - __alloc_and_insert_iova_range(): top-down walk with rb_prev
 *                from the cached node (cached32_node below 4 GiB), the start
 *                aligned to the power of two covering the size, the
 *                max32_alloc_size shortcut, the retry above the cached node
 *                from iova_find_limit() (retry since about v5.11);
 *              - the cached-node updates on insert and delete, the anchor
 *                node at pfn ~0;
 *              - magazines of IOVA_MAG_SIZE (127) pfns, "loaded" and "prev"
 *                per CPU and bin, a depot list per bin (v6.7: unbounded list,
 *                trimmed by delayed work: iom_iova_rcache_trim());
 *              - iommu_dma_alloc_iova(): limit = min(dma limit, aperture
 *                end); a PCI device without iommu.forcedac first tries below
 *                4 GiB without flushing the caches, then the full limit with
 *                a flush of every cache on failure; the v6.4 per-device
 *                sticky switch-off (cfg.pci_32bit_sticky);
 *              - reserve_iova() with its merge of overlapping reservations.
 *  bottom_top  QEMU util/vfio-helpers.c (v5.2 usable ranges, v6.2 Error API,
 *              unchanged since) with block/nvme.c as its caller:
 *              qemu_vfio_find_fixed_iova() from low_water_mark upwards,
 *              qemu_vfio_find_temp_iova() from high_water_mark downwards, both
 *              over the usable ranges (aperture minus reserved ranges), the
 *              water-mark check of qemu_vfio_dma_map(); a failed temporary
 *              mapping resets the temporary area (qemu_vfio_dma_reset_temporary)
 *              when no temporary is in flight, else fails (nvme waits) and
 *              the reset happens when the last in-flight temporary is freed.
 *              Fixed IOVAs are never reused (low_water_mark never shrinks).
 *  first_fit   the lowest hole that fits, no alignment beyond the granule.
 *
 * Structure: one red-black tree per allocator holding reserved ranges, live
 * allocations, ranges parked in Linux range caches, and an anchor node at
 * pfn ~0 (as Linux). Each node also keeps the free gap below it and the
 * largest gap of its subtree, so first_fit is O(log n) and the fragmentation
 * figures are kept current at O(log n) per operation.
 *
 * Cost model (host CPU time): op_ps per alloc/free + node_ps per node the
 * modelled algorithm visits + cache_ps per magazine operation.
 *  linux: loop iterations of the rb_prev walk, steps of iova_find_limit(),
 *    of iova_insert_rbtree() from the hint, of private_find_iova() on a free
 *    that reaches the tree (and per range a flush or trim returns); not
 *    counted: rebalancing, rb_prev/rb_next pointer steps. Magazine ops: each
 *    slot read by iova_magazine_pop(), each push, loaded/prev swap, depot
 *    push/pop.
 *  bottom_top: usable ranges scanned; fixed mappings add the binary search of
 *    QEMU's sorted mapping array (ceil(log2(n+1))) on map and unmap; freeing
 *    a temporary is op_ps only (a counter).
 *  first_fit: nodes of the augmented descent + insertion steps; free: the
 *    find descent.
 * Defaults are estimates (no published per-node figures found), see
 * IOM_IOVA_DEFAULT_*_PS.
 *
 * What it does not model: lock contention between CPUs; magazine allocation
 * failures (GFP_ATOMIC); CPU hot-unplug; the flush queue (a caller frees when
 * the IOTLB flush is done); QEMU's host-address lookup (a host buffer mapped
 * twice). Deviations, each documented: a temporary or fixed bottom_top IOVA
 * that would collide with the other side or exceed the caller's limit fails
 * (QEMU only checks the water marks; VFIO would reject the overlap); the
 * caller's limit lowers high_water_mark (QEMU has no per-call limit).
 */
#include "iova_alloc.h"

#include "stats.h"

#include <stdlib.h>
#include <string.h>

enum { N_RESV = 0, N_LIVE, N_CACHED, N_ANCHOR };

struct inode {
	struct inode *l, *r, *p;
	uint64_t lo, hi;   /* pfns, inclusive */
	uint64_t gap;      /* free pfns between the predecessor and lo, in [start, end] */
	uint64_t max_gap;  /* largest gap in this subtree */
	bool red;
	uint8_t type;      /* N_* */
	uint8_t kind;      /* enum iom_iova_kind (bottom_top) */
};

struct mag {
	uint32_t size;
	uint64_t pfns[IOM_IOVA_MAG_SIZE];
};

struct cpu_rcache {
	struct mag *loaded, *prev;
};

struct rcache {
	struct cpu_rcache *cpu;
	struct mag **depot; /* stack: depot[depot_n - 1] is the list head */
	size_t depot_n, depot_cap;
};

struct urange {
	uint64_t lo, hi;
};

struct iom_iova_alloc {
	struct iom_iova_alloc_cfg cfg;
	unsigned shift;
	uint64_t start_pfn, end_pfn;
	struct inode *root;
	struct inode anchor;
	struct inode *spare; /* free nodes, linked by r */
	uint64_t gap_sum, gap_holes;
	/* linux */
	uint64_t dma_32bit_pfn, max32_alloc_size;
	struct inode *cached, *cached32;
	bool sac;
	struct rcache rc[IOM_IOVA_RANGE_CACHE_MAX_SIZE];
	uint64_t cached_pfns;
	/* bottom_top */
	struct urange *ur;
	size_t nur;
	uint64_t low_wm, high_wm; /* pfns: next fixed, first temporary (exclusive top) */
	uint64_t live_fixed, live_temps;
	bool temp_waiters;
	/* per-operation cost counters */
	uint64_t op_nodes, op_cache;
	struct iom_iova_alloc_stats st;
	struct iom_iova_frag frag;
};

/* ---- red-black tree with gap augmentation ---- */

static bool is_red(const struct inode *n)
{
	return n && n->red;
}

/* Sides of a node, for the mirror-image cases (neighbours, rebalancing):
 * d = 0 is the left child, 1 the right one; !d is the other side. */
static struct inode **kid(struct inode *n, int d)
{
	return d ? &n->r : &n->l;
}

/* In-order neighbour of n on side d: 1 the successor, 0 the predecessor. */
static struct inode *rb_step(struct inode *n, int d)
{
	if (*kid(n, d)) {
		n = *kid(n, d);
		while (*kid(n, !d))
			n = *kid(n, !d);
		return n;
	}
	while (n->p && n == *kid(n->p, d))
		n = n->p;
	return n->p;
}

static struct inode *rb_next(struct inode *n)
{
	return rb_step(n, 1);
}

static struct inode *rb_prev(struct inode *n)
{
	return rb_step(n, 0);
}

static struct inode *rb_first(struct iom_iova_alloc *a)
{
	struct inode *n = a->root;
	while (n && n->l)
		n = n->l;
	return n;
}

static void aug_calc(struct inode *n)
{
	uint64_t m = n->gap;
	if (n->l && n->l->max_gap > m)
		m = n->l->max_gap;
	if (n->r && n->r->max_gap > m)
		m = n->r->max_gap;
	n->max_gap = m;
}

static void aug_up(struct inode *n)
{
	for (; n; n = n->p)
		aug_calc(n);
}

/* Free pfns between n's predecessor and n, clipped to [start_pfn, end_pfn]. */
static uint64_t gap_of(const struct iom_iova_alloc *a, struct inode *n)
{
	struct inode *pn = rb_prev(n);
	uint64_t lo = pn ? pn->hi + 1 : 0, hi;
	if (n->lo == 0)
		return 0;
	hi = n->lo - 1;
	if (lo < a->start_pfn)
		lo = a->start_pfn;
	if (hi > a->end_pfn)
		hi = a->end_pfn;
	return hi >= lo ? hi - lo + 1 : 0;
}

static void gap_account(struct iom_iova_alloc *a, struct inode *n, uint64_t g)
{
	a->gap_sum = a->gap_sum - n->gap + g;
	a->gap_holes = a->gap_holes - (n->gap > 0) + (g > 0);
	n->gap = g;
}

static void set_gap(struct iom_iova_alloc *a, struct inode *n)
{
	gap_account(a, n, gap_of(a, n));
	aug_up(n);
}

static void replace_child(struct iom_iova_alloc *a, struct inode *old, struct inode *nw)
{
	if (!old->p)
		a->root = nw;
	else if (old == old->p->l)
		old->p->l = nw;
	else
		old->p->r = nw;
	if (nw)
		nw->p = old->p;
}

/* Rotation that moves x down to its side d (d = 0: a left rotation) and
 * raises its child on the other side; the augmented maxima follow. */
static void rot(struct iom_iova_alloc *a, struct inode *x, int d)
{
	struct inode *y = *kid(x, !d), *inner = *kid(y, d);
	*kid(x, !d) = inner;
	if (inner)
		inner->p = x;
	replace_child(a, x, y);
	*kid(y, d) = x;
	x->p = y;
	aug_calc(x);
	aug_calc(y);
}

/* CLRS RB-INSERT-FIXUP, both mirror cases: d is the side of z's parent
 * below the grandparent g. */
static void insert_fixup(struct iom_iova_alloc *a, struct inode *z)
{
	while (is_red(z->p)) {
		struct inode *g = z->p->p;
		int d = z->p != g->l;
		struct inode *u = *kid(g, !d);
		if (is_red(u)) {
			z->p->red = false;
			u->red = false;
			g->red = true;
			z = g;
			continue;
		}
		if (z == *kid(z->p, !d)) {
			z = z->p;
			rot(a, z, d);
		}
		z->p->red = false;
		g->red = true;
		rot(a, g, !d);
	}
	a->root->red = false;
}

/* Link n below parent (left or right), fix the gaps of n and its successor,
 * rebalance. */
static void tree_link(struct iom_iova_alloc *a, struct inode *n, struct inode *parent, bool left)
{
	n->l = n->r = NULL;
	n->p = parent;
	n->red = true;
	n->gap = n->max_gap = 0;
	if (!parent)
		a->root = n;
	else if (left)
		parent->l = n;
	else
		parent->r = n;
	set_gap(a, n);
	struct inode *s = rb_next(n);
	if (s)
		set_gap(a, s);
	insert_fixup(a, n);
}

/* BST insert of n starting the descent at `start` (Linux iova_insert_rbtree
 * with a hint; NULL = the root). Counts the nodes compared. */
static void tree_insert(struct iom_iova_alloc *a, struct inode *n, struct inode *start)
{
	struct inode *p = start ? start : a->root;
	if (!p) {
		tree_link(a, n, NULL, false);
		return;
	}
	for (;;) {
		a->op_nodes++;
		if (n->lo < p->lo) {
			if (!p->l) {
				tree_link(a, n, p, true);
				return;
			}
			p = p->l;
		} else {
			if (!p->r) {
				tree_link(a, n, p, false);
				return;
			}
			p = p->r;
		}
	}
}

/* CLRS RB-DELETE-FIXUP, both mirror cases: d is the side of x (which may
 * be NULL) below its parent xp, w its sibling. */
static void erase_fixup(struct iom_iova_alloc *a, struct inode *x, struct inode *xp)
{
	while (x != a->root && !is_red(x)) {
		int d = x != xp->l;
		struct inode *w = *kid(xp, !d);
		if (is_red(w)) {
			w->red = false;
			xp->red = true;
			rot(a, xp, d);
			w = *kid(xp, !d);
		}
		if (!is_red(w->l) && !is_red(w->r)) {
			w->red = true;
			x = xp;
			xp = x->p;
			continue;
		}
		if (!is_red(*kid(w, !d))) {
			(*kid(w, d))->red = false;
			w->red = true;
			rot(a, w, !d);
			w = *kid(xp, !d);
		}
		w->red = xp->red;
		xp->red = false;
		(*kid(w, !d))->red = false;
		rot(a, xp, d);
		x = a->root;
		xp = NULL;
	}
	if (x)
		x->red = false;
}

static void tree_erase(struct iom_iova_alloc *a, struct inode *z)
{
	struct inode *s = rb_next(z), *x, *xp, *y = z;
	bool y_red = y->red;
	gap_account(a, z, 0);
	if (!z->l) {
		x = z->r;
		xp = z->p;
		replace_child(a, z, z->r);
	} else if (!z->r) {
		x = z->l;
		xp = z->p;
		replace_child(a, z, z->l);
	} else {
		y = z->r;
		while (y->l)
			y = y->l;
		y_red = y->red;
		x = y->r;
		if (y->p == z) {
			xp = y;
		} else {
			xp = y->p;
			replace_child(a, y, y->r);
			y->r = z->r;
			y->r->p = y;
		}
		replace_child(a, z, y);
		y->l = z->l;
		y->l->p = y;
		y->red = z->red;
	}
	aug_up(xp);
	if (s)
		set_gap(a, s);
	if (!y_red)
		erase_fixup(a, x, xp);
}

/* Node whose range holds pfn (private_find_iova), counting the descent. */
static struct inode *tree_find(struct iom_iova_alloc *a, uint64_t pfn, bool count)
{
	struct inode *n = a->root;
	while (n) {
		if (count)
			a->op_nodes++;
		if (pfn < n->lo)
			n = n->l;
		else if (pfn > n->hi)
			n = n->r;
		else
			return n;
	}
	return NULL;
}

/* First node (in order) with hi >= pfn. */
static struct inode *tree_lower_bound(struct iom_iova_alloc *a, uint64_t pfn)
{
	struct inode *n = a->root, *best = NULL;
	while (n) {
		if (n->hi >= pfn) {
			best = n;
			n = n->l;
		} else {
			n = n->r;
		}
	}
	return best;
}

static struct inode *node_new(struct iom_iova_alloc *a, uint64_t lo, uint64_t hi, uint8_t type)
{
	struct inode *n = a->spare;
	if (n)
		a->spare = n->r;
	else if (!(n = malloc(sizeof(*n))))
		return NULL;
	memset(n, 0, sizeof(*n));
	n->lo = lo;
	n->hi = hi;
	n->type = type;
	return n;
}

static void node_put(struct iom_iova_alloc *a, struct inode *n)
{
	n->r = a->spare;
	a->spare = n;
}

/* ---- helpers ---- */

static uint64_t pfn_bytes(const struct iom_iova_alloc *a, uint64_t pfns)
{
	if (pfns > (UINT64_MAX >> a->shift))
		return UINT64_MAX;
	return pfns << a->shift;
}

static unsigned fls64(uint64_t x)
{
	return x ? 64u - (unsigned)__builtin_clzll(x) : 0u;
}

static uint64_t roundup_pow2(uint64_t x)
{
	return x <= 1 ? 1 : 1ull << fls64(x - 1);
}

static unsigned order_base_2(uint64_t x)
{
	return x <= 1 ? 0 : fls64(x - 1);
}

/* Size in granules as the algorithm allocates it (0: too large). */
static uint64_t alloc_pfns(const struct iom_iova_alloc *a, uint64_t size)
{
	uint64_t g = a->cfg.granule;
	if (size > UINT64_MAX - (g - 1))
		return 0;
	uint64_t n = (size + g - 1) >> a->shift;
	if (a->cfg.algo == IOM_IOVA_LINUX && n < (1u << (IOM_IOVA_RANGE_CACHE_MAX_SIZE - 1)))
		n = roundup_pow2(n);
	return n;
}

/* Last whole pfn at or below the inclusive byte address x; false if none. */
static bool last_pfn(const struct iom_iova_alloc *a, uint64_t x, uint64_t *pfn)
{
	if (x == UINT64_MAX) {
		*pfn = x >> a->shift;
		return true;
	}
	if (((x + 1) >> a->shift) == 0)
		return false;
	*pfn = ((x + 1) >> a->shift) - 1;
	return true;
}

static void charge(struct iom_iova_alloc *a, uint64_t *cost_ps)
{
	uint64_t c = a->cfg.op_ps + a->op_nodes * a->cfg.node_ps + a->op_cache * a->cfg.cache_ps;
	a->st.nodes_visited += a->op_nodes;
	a->st.cache_ops += a->op_cache;
	a->st.time_ps += c;
	if (cost_ps)
		*cost_ps += c;
	a->op_nodes = a->op_cache = 0;
}

/* ---- fragmentation ---- */

static void bt_frag(struct iom_iova_alloc *a, struct iom_iova_frag *f)
{
	uint64_t usable = 0, freep = 0, holes = 0, largest = 0;
	for (size_t i = 0; i < a->nur; i++) {
		const struct urange *u = &a->ur[i];
		usable += u->hi - u->lo + 1;
		uint64_t lo = IOM_MAX(u->lo, a->low_wm);
		if (a->high_wm == 0)
			continue;
		uint64_t hi = IOM_MIN(u->hi, a->high_wm - 1);
		if (hi >= lo && a->high_wm > lo) {
			uint64_t n = hi - lo + 1;
			freep += n;
			holes++;
			if (n > largest)
				largest = n;
		}
	}
	f->free_bytes = pfn_bytes(a, freep);
	f->largest_free = pfn_bytes(a, largest);
	f->holes = holes;
	uint64_t used = usable - freep;
	uint64_t live = a->st.allocated_bytes >> a->shift;
	f->held_bytes = pfn_bytes(a, used > live ? used - live : 0);
}

static void frag_update(struct iom_iova_alloc *a)
{
	struct iom_iova_frag *f = &a->frag;
	if (a->cfg.algo == IOM_IOVA_BOTTOM_TOP) {
		bt_frag(a, f);
		return;
	}
	f->free_bytes = pfn_bytes(a, a->gap_sum);
	f->largest_free = pfn_bytes(a, a->root ? a->root->max_gap : 0);
	f->holes = a->gap_holes;
	f->held_bytes = pfn_bytes(a, a->cached_pfns);
}

/* ---- linux: the tree allocator ---- */

static void linux_insert_update(struct iom_iova_alloc *a, struct inode *n)
{
	if (n->hi < a->dma_32bit_pfn)
		a->cached32 = n;
	else
		a->cached = n;
}

/* remove_iova(): __cached_rbnode_delete_update() then rb_erase(). */
static void linux_remove(struct iom_iova_alloc *a, struct inode *n)
{
	struct inode *c = a->cached32;
	if (n == c || (n->hi < a->dma_32bit_pfn && n->lo >= c->lo))
		a->cached32 = rb_next(n);
	if (n->lo < a->dma_32bit_pfn)
		a->max32_alloc_size = a->dma_32bit_pfn;
	c = a->cached;
	if (n->lo >= c->lo)
		a->cached = rb_next(n);
	tree_erase(a, n);
}

static struct inode *linux_find_limit(struct iom_iova_alloc *a, uint64_t limit)
{
	struct inode *node, *next;
	if (limit > a->dma_32bit_pfn)
		return &a->anchor;
	node = a->root;
	a->op_nodes++;
	while (node->hi < limit) {
		node = node->r;
		a->op_nodes++;
	}
search_left:
	while (node->l && node->l->lo >= limit) {
		node = node->l;
		a->op_nodes++;
	}
	if (!node->l)
		return node;
	next = node->l;
	a->op_nodes++;
	while (next->r) {
		next = next->r;
		a->op_nodes++;
		if (next->lo >= limit) {
			node = next;
			goto search_left;
		}
	}
	return node;
}

/* __alloc_and_insert_iova_range(size, limit_pfn exclusive, size_aligned). */
static int linux_tree_alloc(struct iom_iova_alloc *a, uint64_t size, uint64_t limit,
			    uint64_t *pfn)
{
	uint64_t align_mask = ~0ull << fls64(size - 1);
	uint64_t high = limit, low = a->start_pfn, new_pfn, retry_pfn;
	struct inode *curr, *prev;

	if (limit <= a->dma_32bit_pfn && size >= a->max32_alloc_size)
		return -1;
	curr = limit <= a->dma_32bit_pfn ? a->cached32 : a->cached;
	retry_pfn = curr->hi;
retry:
	do {
		a->op_nodes++;
		high = IOM_MIN(high, curr->lo);
		new_pfn = (high - size) & align_mask;
		prev = curr;
		curr = rb_prev(curr);
	} while (curr && new_pfn <= curr->hi && new_pfn >= low);

	if (high < size || new_pfn < low) {
		if (low == a->start_pfn && retry_pfn < limit) {
			high = limit;
			low = retry_pfn + 1;
			curr = linux_find_limit(a, limit);
			goto retry;
		}
		a->max32_alloc_size = size;
		return -1;
	}
	struct inode *n = node_new(a, new_pfn, new_pfn + size - 1, N_LIVE);
	if (!n)
		return -2;
	tree_insert(a, n, prev);
	linux_insert_update(a, n);
	*pfn = new_pfn;
	return 0;
}

/* ---- linux: range caches ---- */

static struct mag *mag_new(void)
{
	return calloc(1, sizeof(struct mag));
}

/* Give every pfn of m back to the tree (iova_magazine_free_pfns). */
static void mag_free_pfns(struct iom_iova_alloc *a, struct mag *m)
{
	for (uint32_t i = 0; i < m->size; i++) {
		struct inode *n = tree_find(a, m->pfns[i], true);
		if (!n || n->type != N_CACHED)
			continue; /* cannot happen: the model keeps them consistent */
		a->cached_pfns -= n->hi - n->lo + 1;
		linux_remove(a, n);
		node_put(a, n);
	}
	m->size = 0;
}

/* iova_magazine_pop(): the highest-index pfn at or below lim, swapped out. */
static uint64_t mag_pop(struct iom_iova_alloc *a, struct mag *m, uint64_t lim)
{
	int i;
	for (i = (int)m->size - 1;; i--) {
		a->op_cache++;
		if (m->pfns[i] <= lim)
			break;
		if (i == 0)
			return 0;
	}
	uint64_t pfn = m->pfns[i];
	m->pfns[i] = m->pfns[--m->size];
	return pfn;
}

static int depot_push(struct rcache *rc, struct mag *m)
{
	if (rc->depot_n == rc->depot_cap) {
		size_t nc = rc->depot_cap ? rc->depot_cap * 2 : 8;
		struct mag **d = realloc(rc->depot, nc * sizeof(*d));
		if (!d)
			return -1;
		rc->depot = d;
		rc->depot_cap = nc;
	}
	rc->depot[rc->depot_n++] = m;
	return 0;
}

/* __iova_rcache_get(): 0 when nothing fits. */
static uint64_t rcache_get(struct iom_iova_alloc *a, unsigned bin, uint32_t cpu, uint64_t lim)
{
	struct rcache *rc = &a->rc[bin];
	struct cpu_rcache *c = &rc->cpu[cpu];
	bool has = false;
	if (c->loaded->size) {
		has = true;
	} else if (c->prev->size) {
		struct mag *t = c->loaded;
		c->loaded = c->prev;
		c->prev = t;
		a->op_cache++;
		has = true;
	} else if (rc->depot_n) {
		free(c->loaded);
		c->loaded = rc->depot[--rc->depot_n];
		a->op_cache++;
		has = true;
	}
	return has ? mag_pop(a, c->loaded, lim) : 0;
}

/* __iova_rcache_insert(): always succeeds in the model. */
static int rcache_insert(struct iom_iova_alloc *a, unsigned bin, uint32_t cpu, uint64_t pfn)
{
	struct rcache *rc = &a->rc[bin];
	struct cpu_rcache *c = &rc->cpu[cpu];
	if (c->loaded->size == IOM_IOVA_MAG_SIZE) {
		if (c->prev->size < IOM_IOVA_MAG_SIZE) {
			struct mag *t = c->loaded;
			c->loaded = c->prev;
			c->prev = t;
			a->op_cache++;
		} else {
			struct mag *m = mag_new();
			if (!m || depot_push(rc, c->loaded)) {
				free(m);
				return -1;
			}
			c->loaded = m;
			a->op_cache++;
		}
	}
	c->loaded->pfns[c->loaded->size++] = pfn;
	a->op_cache++;
	return 0;
}

/* Every CPU's magazines and the depots back to the tree. */
static void rcache_flush_all(struct iom_iova_alloc *a)
{
	for (unsigned b = 0; b < IOM_IOVA_RANGE_CACHE_MAX_SIZE; b++) {
		struct rcache *rc = &a->rc[b];
		for (uint32_t c = 0; c < a->cfg.ncpus; c++) {
			mag_free_pfns(a, rc->cpu[c].loaded);
			mag_free_pfns(a, rc->cpu[c].prev);
		}
		while (rc->depot_n) {
			struct mag *m = rc->depot[--rc->depot_n];
			a->op_cache++;
			mag_free_pfns(a, m);
			free(m);
		}
	}
	a->st.rcache_flushes++;
}

/* alloc_iova_fast(size (already rounded), limit_pfn inclusive). */
static int linux_alloc_fast(struct iom_iova_alloc *a, uint64_t size, uint64_t limit,
			    uint32_t cpu, bool flush, uint64_t *pfn)
{
	unsigned bin = order_base_2(size);
	if (a->cfg.rcache && bin < IOM_IOVA_RANGE_CACHE_MAX_SIZE) {
		/* iova_rcache_get(size, limit + 1) pops pfn <= limit + 1 - size;
		 * a size above limit + 1 cannot fit (and would wrap there). */
		uint64_t p = size <= limit + 1 ? rcache_get(a, bin, cpu, limit + 1 - size) : 0;
		if (p) {
			struct inode *n = tree_find(a, p, false);
			n->type = N_LIVE;
			a->cached_pfns -= size;
			a->st.cache_hits++;
			*pfn = p;
			return 0;
		}
		a->st.cache_misses++;
	}
	for (;;) {
		int r = linux_tree_alloc(a, size, limit + 1, pfn);
		if (r != -1 || !flush || !a->cfg.rcache)
			return r;
		flush = false;
		rcache_flush_all(a);
	}
}

static int linux_alloc(struct iom_iova_alloc *a, uint64_t size, uint64_t limit, uint32_t cpu,
		       uint64_t *pfn)
{
	uint64_t lim;
	if (!last_pfn(a, IOM_MIN(limit, a->cfg.end), &lim))
		return -1;
	if (IOM_MIN(limit, a->cfg.end) > 0xffffffffull && a->cfg.pci_32bit_first && a->sac) {
		int r = linux_alloc_fast(a, size, 0xffffffffull >> a->shift, cpu, false, pfn);
		if (r != -1)
			return r;
		a->st.retries_32bit++;
		if (a->cfg.pci_32bit_sticky)
			a->sac = false;
	}
	return linux_alloc_fast(a, size, lim, cpu, true, pfn);
}

static int linux_free(struct iom_iova_alloc *a, struct inode *n, uint32_t cpu)
{
	uint64_t size = n->hi - n->lo + 1;
	unsigned bin = order_base_2(size);
	if (a->cfg.rcache && bin < IOM_IOVA_RANGE_CACHE_MAX_SIZE) {
		if (rcache_insert(a, bin, cpu, n->lo))
			return -1;
		n->type = N_CACHED;
		a->cached_pfns += size;
		return 0;
	}
	tree_find(a, n->lo, true); /* free_iova(): private_find_iova() */
	linux_remove(a, n);
	node_put(a, n);
	return 0;
}

uint32_t iom_iova_rcache_trim(struct iom_iova_alloc *a, uint64_t *cost_ps)
{
	uint32_t trimmed = 0;
	if (!a || a->cfg.algo != IOM_IOVA_LINUX || !a->cfg.rcache)
		return 0;
	for (unsigned b = 0; b < IOM_IOVA_RANGE_CACHE_MAX_SIZE; b++) {
		struct rcache *rc = &a->rc[b];
		if (rc->depot_n <= a->cfg.ncpus)
			continue;
		struct mag *m = rc->depot[--rc->depot_n];
		a->op_cache++;
		mag_free_pfns(a, m);
		free(m);
		trimmed++;
	}
	a->st.depot_trims += trimmed;
	if (trimmed) {
		charge(a, cost_ps); /* one op per work run, plus its nodes and slots */
		frag_update(a);
	}
	return trimmed;
}

/* ---- bottom_top (QEMU vfio-helpers) ---- */

static int bt_ranges(struct iom_iova_alloc *a)
{
	size_t n = 0, cap = 4;
	struct urange *u = malloc(cap * sizeof(*u));
	uint64_t pos = a->start_pfn;
	bool done = false;
	if (!u)
		return -1;
	for (struct inode *x = rb_first(a); x && !done; x = rb_next(x)) {
		if (x->type != N_RESV)
			continue;
		if (x->hi < pos)
			continue;
		if (x->lo > pos) {
			if (n == cap) {
				struct urange *nu = realloc(u, 2 * cap * sizeof(*u));
				if (!nu) {
					free(u);
					return -1;
				}
				u = nu;
				cap *= 2;
			}
			u[n++] = (struct urange){ pos, IOM_MIN(x->lo - 1, a->end_pfn) };
		}
		if (x->hi >= a->end_pfn)
			done = true;
		else
			pos = x->hi + 1;
		if (pos > a->end_pfn)
			done = true;
	}
	if (!done && pos <= a->end_pfn) {
		if (n == cap) {
			struct urange *nu = realloc(u, (cap + 1) * sizeof(*u));
			if (!nu) {
				free(u);
				return -1;
			}
			u = nu;
		}
		u[n++] = (struct urange){ pos, a->end_pfn };
	}
	free(a->ur);
	a->ur = u;
	a->nur = n;
	return 0;
}

static uint64_t bsearch_steps(uint64_t n)
{
	return fls64(n); /* steps of a binary search over n entries: ceil(log2(n + 1)) */
}

/* qemu_vfio_find_fixed_iova(). */
static bool bt_find_fixed(struct iom_iova_alloc *a, uint64_t size, uint64_t *pfn)
{
	for (size_t i = 0; i < a->nur; i++) {
		const struct urange *u = &a->ur[i];
		a->op_nodes++;
		if (u->hi < a->low_wm)
			continue;
		a->low_wm = IOM_MAX(a->low_wm, u->lo);
		if (u->hi - a->low_wm + 1 >= size) {
			*pfn = a->low_wm;
			a->low_wm += size;
			return true;
		}
	}
	return false;
}

/* qemu_vfio_find_temp_iova() (byte-exact comparisons in pfn units). */
static bool bt_find_temp(struct iom_iova_alloc *a, uint64_t size, uint64_t *pfn)
{
	for (size_t i = a->nur; i-- > 0;) {
		const struct urange *u = &a->ur[i];
		a->op_nodes++;
		if (u->lo > a->high_wm)
			continue;
		a->high_wm = IOM_MIN(a->high_wm, u->hi + 1);
		if (a->high_wm - u->lo >= size) {
			*pfn = a->high_wm - size;
			a->high_wm = *pfn;
			return true;
		}
	}
	return false;
}

/* qemu_vfio_dma_map() for one kind; -1 when no IOVA. */
static int bt_map(struct iom_iova_alloc *a, uint64_t size, uint64_t lim, bool temp, uint64_t *pfn)
{
	if (a->high_wm < a->low_wm || a->high_wm - a->low_wm < size)
		return -1; /* qemu_vfio_water_mark_reached() */
	if (!temp) {
		uint64_t saved = a->low_wm;
		a->op_nodes += bsearch_steps(a->live_fixed); /* qemu_vfio_find_mapping() */
		if (!bt_find_fixed(a, size, pfn))
			return -1;
		if (*pfn + size > a->high_wm || *pfn + size - 1 > lim) {
			a->low_wm = saved; /* model: would overlap temporaries / pass the limit */
			return -1;
		}
		return 0;
	}
	uint64_t saved = a->high_wm;
	if (a->high_wm > lim + 1)
		a->high_wm = lim + 1; /* model: the device cannot reach above lim */
	if (!bt_find_temp(a, size, pfn))
		return -1;
	if (*pfn < a->low_wm) {
		a->high_wm = saved; /* model: would overlap the fixed mappings */
		return -1;
	}
	return 0;
}

static void bt_reset(struct iom_iova_alloc *a)
{
	a->high_wm = a->end_pfn + 1;
	a->temp_waiters = false;
	a->st.temp_resets++;
}

static int bt_alloc(struct iom_iova_alloc *a, uint64_t size, uint64_t limit,
		    enum iom_iova_kind kind, uint64_t *pfn, bool *wait)
{
	uint64_t lim;
	if (!last_pfn(a, IOM_MIN(limit, a->cfg.end), &lim))
		return -1;
	bool temp = kind == IOM_IOVA_TEMPORARY;
	if (!bt_map(a, size, lim, temp, pfn))
		return 0;
	if (!temp)
		return -1;
	/* block/nvme.c nvme_cmd_map_qiov(): retry once after recycling the
	 * temporary area, or wait for the in-flight temporaries. */
	if (a->live_temps) {
		a->temp_waiters = true;
		*wait = true;
		return -1;
	}
	bt_reset(a);
	return bt_map(a, size, lim, true, pfn) ? -1 : 0;
}

/* ---- first fit ---- */

static int ff_alloc(struct iom_iova_alloc *a, uint64_t size, uint64_t limit, uint64_t *pfn)
{
	uint64_t lim;
	if (!last_pfn(a, IOM_MIN(limit, a->cfg.end), &lim))
		return -1;
	struct inode *n = a->root, *found = NULL;
	while (n) {
		a->op_nodes++;
		if (n->l && n->l->max_gap >= size) {
			n = n->l;
		} else if (n->gap >= size) {
			found = n;
			break;
		} else if (n->r && n->r->max_gap >= size) {
			n = n->r;
		} else {
			break;
		}
	}
	if (!found)
		return -1;
	uint64_t hole_hi = IOM_MIN(found->lo - 1, a->end_pfn);
	uint64_t lo = hole_hi - found->gap + 1;
	if (lo + size - 1 > lim)
		return -1; /* every later hole starts above this one's end */
	struct inode *x = node_new(a, lo, lo + size - 1, N_LIVE);
	if (!x)
		return -2;
	tree_insert(a, x, found);
	*pfn = lo;
	return 0;
}

/* ---- public API ---- */

const char *iom_iova_algo_name(uint32_t algo)
{
	switch (algo) {
	case IOM_IOVA_LINUX:
		return "linux";
	case IOM_IOVA_BOTTOM_TOP:
		return "bottom_top";
	case IOM_IOVA_FIRST_FIT:
		return "first_fit";
	default:
		return "?";
	}
}

void iom_iova_alloc_cfg_defaults(struct iom_iova_alloc_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->algo = IOM_IOVA_LINUX;
	cfg->granule = 4096;
	cfg->start = 4096;
	cfg->end = (1ull << 48) - 1;
	cfg->rcache = true;
	cfg->ncpus = 1;
	cfg->pci_32bit_first = true;
	cfg->pci_32bit_sticky = true;
	cfg->op_ps = IOM_IOVA_DEFAULT_OP_PS;
	cfg->node_ps = IOM_IOVA_DEFAULT_NODE_PS;
	cfg->cache_ps = IOM_IOVA_DEFAULT_CACHE_PS;
}

static void rcaches_free(struct iom_iova_alloc *a)
{
	for (unsigned b = 0; b < IOM_IOVA_RANGE_CACHE_MAX_SIZE; b++) {
		struct rcache *rc = &a->rc[b];
		if (rc->cpu)
			for (uint32_t c = 0; c < a->cfg.ncpus; c++) {
				free(rc->cpu[c].loaded);
				free(rc->cpu[c].prev);
			}
		free(rc->cpu);
		while (rc->depot_n)
			free(rc->depot[--rc->depot_n]);
		free(rc->depot);
	}
}

static int rcaches_init(struct iom_iova_alloc *a)
{
	for (unsigned b = 0; b < IOM_IOVA_RANGE_CACHE_MAX_SIZE; b++) {
		struct rcache *rc = &a->rc[b];
		rc->cpu = calloc(a->cfg.ncpus, sizeof(*rc->cpu));
		if (!rc->cpu)
			return -1;
		for (uint32_t c = 0; c < a->cfg.ncpus; c++) {
			rc->cpu[c].loaded = mag_new();
			rc->cpu[c].prev = mag_new();
			if (!rc->cpu[c].loaded || !rc->cpu[c].prev)
				return -1;
		}
	}
	return 0;
}

struct iom_iova_alloc *iom_iova_alloc_create(const struct iom_iova_alloc_cfg *cfg,
					     struct iom_err *err)
{
	if (!cfg) {
		iom_err_set(err, IOM_EINVAL, "iova_alloc: no configuration");
		return NULL;
	}
	if (cfg->algo > IOM_IOVA_FIRST_FIT) {
		iom_err_set(err, IOM_EINVAL, "iova_alloc: unknown algorithm %u", cfg->algo);
		return NULL;
	}
	if (cfg->granule < 4096 || (cfg->granule & (cfg->granule - 1))) {
		iom_err_set(err, IOM_EINVAL,
			    "iova_alloc: granule 0x%llx must be a power of two >= 4 KiB",
			    (unsigned long long)cfg->granule);
		return NULL;
	}
	if (cfg->algo == IOM_IOVA_LINUX && cfg->rcache && (cfg->ncpus < 1 || cfg->ncpus > 4096)) {
		iom_err_set(err, IOM_EINVAL, "iova_alloc: ncpus %u outside 1..4096", cfg->ncpus);
		return NULL;
	}
	struct iom_iova_alloc *a = calloc(1, sizeof(*a));
	if (!a) {
		iom_err_set(err, IOM_ENOMEM, "iova_alloc: out of memory");
		return NULL;
	}
	a->cfg = *cfg;
	if (a->cfg.ncpus < 1)
		a->cfg.ncpus = 1;
	a->shift = (unsigned)__builtin_ctzll(cfg->granule);
	a->start_pfn = (cfg->start >> a->shift) + ((cfg->start & (cfg->granule - 1)) != 0);
	if (cfg->algo == IOM_IOVA_LINUX && a->start_pfn == 0)
		a->start_pfn = 1; /* iommu_dma_init_domain(): base_pfn >= 1, IOVA 0 is never valid */
	if (!last_pfn(a, cfg->end, &a->end_pfn) || a->end_pfn < a->start_pfn) {
		iom_err_set(err, IOM_EINVAL,
			    "iova_alloc: range [0x%llx, 0x%llx] holds no whole granule",
			    (unsigned long long)cfg->start, (unsigned long long)cfg->end);
		free(a);
		return NULL;
	}
	a->anchor.lo = a->anchor.hi = UINT64_MAX; /* IOVA_ANCHOR */
	a->anchor.type = N_ANCHOR;
	tree_link(a, &a->anchor, NULL, false);
	a->cached = a->cached32 = &a->anchor;
	a->dma_32bit_pfn = 1ull << (32 - a->shift);
	a->max32_alloc_size = a->dma_32bit_pfn;
	a->sac = true;
	a->low_wm = a->start_pfn;
	a->high_wm = a->end_pfn + 1;
	if ((cfg->algo == IOM_IOVA_LINUX && cfg->rcache && rcaches_init(a)) ||
	    (cfg->algo == IOM_IOVA_BOTTOM_TOP && bt_ranges(a))) {
		iom_iova_alloc_destroy(a);
		iom_err_set(err, IOM_ENOMEM, "iova_alloc: out of memory");
		return NULL;
	}
	frag_update(a);
	return a;
}

static void free_subtree(struct inode *n)
{
	while (n) {
		struct inode *r = n->r;
		free_subtree(n->l);
		if (n->type != N_ANCHOR)
			free(n);
		n = r;
	}
}

void iom_iova_alloc_destroy(struct iom_iova_alloc *a)
{
	if (!a)
		return;
	free_subtree(a->root);
	while (a->spare) {
		struct inode *n = a->spare;
		a->spare = n->r;
		free(n);
	}
	if (a->cfg.algo == IOM_IOVA_LINUX && a->cfg.rcache)
		rcaches_free(a);
	free(a->ur);
	free(a);
}

int iom_iova_reserve(struct iom_iova_alloc *a, uint64_t first, uint64_t last, struct iom_err *err)
{
	if (last < first)
		return iom_err_set(err, IOM_EINVAL, "iova_reserve: [0x%llx, 0x%llx] is empty",
				   (unsigned long long)first, (unsigned long long)last);
	uint64_t lo = first >> a->shift, hi = last >> a->shift;
	for (struct inode *n = tree_lower_bound(a, lo); n && n->lo <= hi; n = rb_next(n))
		if (n->type == N_LIVE || n->type == N_CACHED)
			return iom_err_set(err, IOM_EBUSY,
					   "iova_reserve: [0x%llx, 0x%llx] overlaps %s IOVAs [0x%llx, 0x%llx]",
					   (unsigned long long)first, (unsigned long long)last,
					   n->type == N_LIVE ? "allocated" : "range-cached",
					   (unsigned long long)pfn_bytes(a, n->lo),
					   (unsigned long long)(pfn_bytes(a, n->hi + 1) - 1));
	/* reserve_iova(): walk from the first node, widen overlapping
	 * reservations, insert what is left. */
	bool overlap = false;
	for (struct inode *n = rb_first(a); n; n = rb_next(n)) {
		a->op_nodes++;
		if (lo <= n->hi && hi >= n->lo) {
			if (lo < n->lo) {
				n->lo = lo;
				set_gap(a, n);
			}
			if (hi > n->hi)
				lo = n->hi + 1;
			if (lo >= n->lo && hi <= n->hi)
				goto done;
			overlap = true;
		} else if (overlap) {
			break;
		}
	}
	struct inode *x = node_new(a, lo, hi, N_RESV);
	if (!x)
		return iom_err_set(err, IOM_ENOMEM, "iova_reserve: out of memory");
	tree_insert(a, x, NULL);
done:
	a->op_nodes = a->op_cache = 0; /* setup work: neither counted nor timed */
	if (a->cfg.algo == IOM_IOVA_BOTTOM_TOP && bt_ranges(a))
		return iom_err_set(err, IOM_ENOMEM, "iova_reserve: out of memory");
	frag_update(a);
	return 0;
}

int iom_iova_alloc(struct iom_iova_alloc *a, uint64_t size, uint64_t limit, uint32_t cpu,
		   enum iom_iova_kind kind, uint64_t *iova, uint64_t *cost_ps, struct iom_err *err)
{
	if (!size)
		return iom_err_set(err, IOM_EINVAL, "iova_alloc: size 0");
	if (a->cfg.algo == IOM_IOVA_LINUX && a->cfg.rcache && cpu >= a->cfg.ncpus)
		return iom_err_set(err, IOM_EINVAL, "iova_alloc: cpu %u, allocator has %u", cpu,
				   a->cfg.ncpus);
	uint64_t n = alloc_pfns(a, size), pfn = 0;
	bool wait = false;
	int r = -1;
	if (n && n <= a->end_pfn - a->start_pfn + 1) {
		switch (a->cfg.algo) {
		case IOM_IOVA_LINUX:
			r = linux_alloc(a, n, limit, cpu, &pfn);
			break;
		case IOM_IOVA_BOTTOM_TOP:
			r = bt_alloc(a, n, limit, kind, &pfn, &wait);
			break;
		default:
			r = ff_alloc(a, n, limit, &pfn);
			break;
		}
	}
	if (r == 0 && a->cfg.algo == IOM_IOVA_BOTTOM_TOP) {
		struct inode *x = node_new(a, pfn, pfn + n - 1, N_LIVE);
		if (!x)
			r = -2;
		else {
			uint64_t keep = a->op_nodes; /* the tree is bookkeeping here: */
			x->kind = (uint8_t)kind;      /* QEMU keeps a sorted array */
			tree_insert(a, x, NULL);
			a->op_nodes = keep;
			if (kind == IOM_IOVA_TEMPORARY)
				a->live_temps++;
			else
				a->live_fixed++;
		}
	}
	if (r == -2) {
		a->op_nodes = a->op_cache = 0;
		return iom_err_set(err, IOM_ENOMEM, "iova_alloc: out of memory");
	}
	charge(a, cost_ps);
	if (r) {
		a->st.failed++;
		frag_update(a);
		return iom_err_set(err, IOM_EBUSY,
				   "iova_alloc(%s): no room for 0x%llx bytes at or below 0x%llx%s",
				   iom_iova_algo_name(a->cfg.algo), (unsigned long long)size,
				   (unsigned long long)IOM_MIN(limit, a->cfg.end),
				   wait ? " (temporary IOVAs in flight: retry after they are freed)" : "");
	}
	a->st.allocs++;
	a->st.allocated_bytes += pfn_bytes(a, n);
	frag_update(a);
	*iova = pfn << a->shift;
	return 0;
}

int iom_iova_free(struct iom_iova_alloc *a, uint64_t iova, uint64_t size, uint32_t cpu,
		  uint64_t *cost_ps, struct iom_err *err)
{
	if (a->cfg.algo == IOM_IOVA_LINUX && a->cfg.rcache && cpu >= a->cfg.ncpus)
		return iom_err_set(err, IOM_EINVAL, "iova_free: cpu %u, allocator has %u", cpu,
				   a->cfg.ncpus);
	uint64_t n = alloc_pfns(a, size);
	struct inode *x = (iova & (a->cfg.granule - 1)) ? NULL : tree_find(a, iova >> a->shift, false);
	if (!x || x->type != N_LIVE || x->lo != iova >> a->shift || x->hi - x->lo + 1 != n)
		return iom_err_set(err, IOM_ENOENT,
				   "iova_free: no allocation at 0x%llx of 0x%llx bytes",
				   (unsigned long long)iova, (unsigned long long)size);
	a->st.allocated_bytes -= pfn_bytes(a, n);
	switch (a->cfg.algo) {
	case IOM_IOVA_LINUX:
		if (linux_free(a, x, cpu)) {
			a->st.allocated_bytes += pfn_bytes(a, n);
			a->op_nodes = a->op_cache = 0;
			return iom_err_set(err, IOM_ENOMEM, "iova_free: out of memory");
		}
		break;
	case IOM_IOVA_BOTTOM_TOP:
		if (x->kind == IOM_IOVA_TEMPORARY) {
			a->live_temps--; /* nvme_cmd_unmap_qiov(): dma_map_count -= size */
		} else {
			a->op_nodes += bsearch_steps(a->live_fixed); /* qemu_vfio_find_mapping() */
			a->live_fixed--;
		}
		tree_erase(a, x);
		node_put(a, x);
		if (!a->live_temps && a->temp_waiters)
			bt_reset(a);
		break;
	default:
		tree_find(a, x->lo, true);
		tree_erase(a, x);
		node_put(a, x);
		break;
	}
	a->st.frees++;
	charge(a, cost_ps);
	frag_update(a);
	return 0;
}

const struct iom_iova_alloc_stats *iom_iova_alloc_stats(const struct iom_iova_alloc *a)
{
	return &a->st;
}

void iom_iova_alloc_frag(const struct iom_iova_alloc *a, struct iom_iova_frag *f)
{
	*f = a->frag;
}

/* A counter of struct iom_iova_alloc_stats or iom_iova_frag; sum_desc, when
 * set, describes it in a sum over every DMA domain (dma_api.iova). */
struct iova_ctr {
	struct iom_stats_field f;
	const char *sum_desc;
};

#define SF(f, u, d, sum) {IOM_STATS_FIELD(struct iom_iova_alloc_stats, f, u, d), sum}
static const struct iova_ctr iova_st_ctrs[] = {
	SF(allocs, "ops", "IOVA allocations", "IOVA allocations, all DMA domains"),
	SF(frees, "ops", "IOVA frees", "IOVA frees, all DMA domains"),
	SF(failed, "ops", "allocations that found no room below the limit", NULL),
	SF(nodes_visited, "nodes", "tree nodes / usable ranges the algorithm examined",
	   "tree nodes / usable ranges the allocators examined"),
	SF(cache_hits, "ops", "allocations served by a range cache (linux)", NULL),
	SF(cache_misses, "ops", "range-cache lookups that fell back to the tree (linux)", NULL),
	SF(retries_32bit, "ops", "32-bit attempts that failed and retried at the full limit", NULL),
	SF(time_ps, "ps", "modelled host CPU time of the allocator",
	   "modelled CPU time of the allocators"),
	SF(allocated_bytes, "bytes", "bytes allocated now (rounded sizes)", NULL),
	SF(cache_ops, "ops", "magazine operations (linux)", NULL),
	SF(rcache_flushes, "ops", "flushes of every range cache after a failure (linux)", NULL),
	SF(depot_trims, "ops", "depot magazines returned to the tree (linux)", NULL),
	SF(temp_resets, "ops", "temporary-area resets (bottom_top)", NULL),
};
#undef SF
#define FF(f, u, d, sum) {IOM_STATS_FIELD(struct iom_iova_frag, f, u, d), sum}
static const struct iova_ctr iova_frag_ctrs[] = {
	FF(free_bytes, "bytes", "free IOVA space the allocator can hand out",
	   "free IOVA space the allocators can hand out"),
	FF(largest_free, "bytes", "largest free hole", "largest free hole of any DMA domain"),
	FF(holes, "holes", "free holes", "free holes, all DMA domains"),
	FF(held_bytes, "bytes", "freed IOVA space not yet reusable (range caches, water marks)",
	   NULL),
};
#undef FF

/* Registers t[0..n) read at base as "<prefix>.<name>"; sum: with sum_desc. */
static int iova_reg_ctrs(struct iom_stats *s, const char *prefix, const void *base,
			 const struct iova_ctr *t, size_t n, bool sum, struct iom_err *err)
{
	struct iom_stats_field f[16];
	_Static_assert(IOM_ARRAY_SIZE(iova_st_ctrs) <= 16 && IOM_ARRAY_SIZE(iova_frag_ctrs) <= 16,
		       "iova_reg_ctrs: f[] too small");
	for (size_t i = 0; i < n; i++) {
		f[i] = t[i].f;
		if (sum && t[i].sum_desc)
			f[i].desc = t[i].sum_desc;
	}
	return iom_stats_counters(s, prefix, base, f, n, err);
}

static int iova_reg(struct iom_stats *s, const char *prefix, const struct iom_iova_alloc_stats *st,
		    const struct iom_iova_frag *fr, bool sum, struct iom_err *err)
{
	int r = iova_reg_ctrs(s, prefix, st, iova_st_ctrs, IOM_ARRAY_SIZE(iova_st_ctrs), sum, err);
	return r ? r : iova_reg_ctrs(s, prefix, fr, iova_frag_ctrs, IOM_ARRAY_SIZE(iova_frag_ctrs),
				     sum, err);
}

int iom_iova_alloc_register_stats(struct iom_iova_alloc *a, struct iom_stats *s,
				  const char *prefix, struct iom_err *err)
{
	return iova_reg(s, prefix, &a->st, &a->frag, false, err);
}

int iom_iova_alloc_register_sum(struct iom_stats *s, const char *prefix,
				const struct iom_iova_alloc_stats *st,
				const struct iom_iova_frag *fr, struct iom_err *err)
{
	return iova_reg(s, prefix, st, fr, true, err);
}
