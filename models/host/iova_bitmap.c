/* SPDX-License-Identifier: Apache-2.0 */
/*
 * iova_bitmap.c - the four ways of filling a user's dirty bitmap from the
 * kernel (iova_bitmap.h; docs/dirty.md "iova_bitmap algorithms").  Facts:
 * algorithms-reference.md 6.1, 6.3, 6.6, A.4; Linux drivers/vfio/iova_bitmap.c
 * (v6.1, set() in its v6.2 form) and drivers/iommu/iommufd/iova_bitmap.c
 * (v6.10 release, v6.11 rework).
 *
 * What is modelled, per algorithm, with the kernel's own index arithmetic
 * (unsigned 64-bit, wrapping where the kernel's wraps):
 *  v6_1   u64 words; a window = up to 512 pinned 4 KB pages (PAGE_SIZE /
 *         sizeof(struct page *)) from the page holding word mapped_base_index;
 *         words available = (npages * 4096 - pgoff) / 8, rounded down;
 *         alloc pins the first window; fn once per window; set() writes the
 *         pinned pages only: the bits past the last pinned page are lost
 *         (the kernel indexed pages[] out of bounds there).
 *  v6_10  u8 words, one more page when the window start is not page-aligned,
 *         set_ahead: a set() running past the last pinned page stores the
 *         remaining length, and advance() pins, sets and skips it before
 *         the next fn call -- in the v6.10 order (done() checked before the
 *         set-ahead, not after) and with the mapped length computed while
 *         nothing is pinned (from the stale pgoff: when it is 0 the pass
 *         has length 0 and its set() runs to the end of the pinned pages,
 *         see docs/dirty.md).
 *  v6_11  fn called once for the whole range; set() moves the window
 *         (advance_to: unpin, pin up to 512 pages from the word holding
 *         the IOVA) whenever [iova, iova + len) is not inside the pinned
 *         window, and again when it runs past the last pinned page; a move
 *         past the end fails and the rest of that set() is dropped.
 *  iter   a caller-driven iterator (the shape of v1-v4 of the 2022 series,
 *         advanced by the producer's set() calls instead of a loop): fn
 *         once; the pages a set() touches are pinned lazily, the pinned run
 *         grows forward page by page up to 512 pages and restarts (unpin
 *         all, pin from the page needed) when a set() lands elsewhere.
 *         Nothing is lost.  This is the closest well-defined alternative,
 *         not a kernel version (docs/dirty.md says why).
 * Memory: the user's bitmap is host storage at a user VA; pages outside the
 * pages spanned by [va, va + len) are "unmapped" (a pin of them returns
 * fewer pages, or fails as -EFAULT did); nothing is ever written outside
 * [buf, buf + len).
 * Not modelled: the v6.1.0 set() before the Nov 2022 page-crossing rework
 * (f38044e5ef58 and its successor, both in v6.1-rc/v6.2); the kernel's
 * wrapped arithmetic for a set() that begins below the pinned window (v6_1,
 * v6_10: those bits are counted lost, nothing is written); the 32-bit
 * truncation of page_idx; atomic bit operations (the kernel's are not).
 *
 * Cost model (struct iom_ibm_cost_model, picoseconds; defaults are
 * documented guesses, docs/dirty.md): each pin_user_pages_fast call costs
 * call_ps + pin_page_ps per page pinned, each unpin call_ps +
 * unpin_page_ps per page, each set() and each fn call call_ps, each
 * kmap_local_page/kunmap pair kmap_ps, each bitmap byte written
 * (read-modify-write, bitmap_set) byte_ps.  windows counts pins of a window
 * (v6_1/v6_10: the windows handed to fn plus set-ahead passes; v6_11:
 * window moves; iter: runs started).
 */
#include "iova_bitmap.h"

#include <stdlib.h>
#include <string.h>

#define IBM_PAGE_SHIFT 12
#define IBM_PAGE_SIZE (1ull << IBM_PAGE_SHIFT)
#define IBM_BITS_PER_PAGE (IBM_PAGE_SIZE * 8)
#define IBM_PAGE_BITS_SHIFT (IBM_PAGE_SHIFT + 3)
#define IBM_MAX_PAGES (IBM_PAGE_SIZE / 8) /* PAGE_SIZE / sizeof(struct page *) */
#define IBM_VA_LIMIT (1ull << 56)
#define IBM_PGSHIFT_MAX 47

const struct iom_ibm_cost_model iom_ibm_cost_model_default = {
	.pin_page_ps = 100000, /* 100 ns per 4 KB page (GUP-fast, present anon pages) */
	.unpin_page_ps = 50000,
	.kmap_ps = 5000, /* 64-bit: page_address + preempt/migrate toggles */
	.byte_ps = 250,  /* ~4 GB/s read-modify-write of bitmap bytes */
	.call_ps = 20000,
};

/* The pinned window (struct iova_bitmap_map). */
struct ibm_window {
	uint64_t iova;   /* IOVA of bit 0 of the window's first word */
	uint64_t length; /* mapped length, cached at pin time (used by v6_11) */
	uint64_t pgoff;  /* offset of the first word in its page; kept after unpin */
	uint64_t upage;  /* user page number (VA >> 12) of pages[0] */
	uint64_t npages; /* pages pinned; 0 = none */
};

struct iom_iova_bitmap {
	enum iom_ibm_algo algo;
	uint64_t iova, length, pgshift;
	uint64_t nbits;      /* bits of the whole range */
	uint64_t word_bytes; /* 8 (v6_1: u64) or 1 (u8) */
	uint64_t total_index, base_index;
	struct iom_ubitmap user;
	struct iom_ibm_cost_model cm;
	struct iom_ibm_cost *cost;
	struct iom_ibm_cost own_cost;
	struct ibm_window w;
	/* v6_10: set_ahead_length as the kernel keeps it, and (model only)
	 * which range bits [sa_lo, sa_hi) the pending length was meant for. */
	uint64_t sa_length, sa_lo, sa_hi;
	uint64_t sa_done; /* of those, written by set-ahead passes */
	/* iter: the pinned run of user pages */
	uint64_t run_first, run_n;
};

static const char *const ibm_names[IOM_IBM_ALGO_MAX] = { "v6_1", "v6_10", "v6_11", "iter" };

const char *iom_ibm_algo_name(unsigned algo)
{
	return algo < IOM_IBM_ALGO_MAX ? ibm_names[algo] : NULL;
}

int iom_ibm_algo_from_name(const char *name)
{
	for (unsigned i = 0; name && i < IOM_IBM_ALGO_MAX; i++)
		if (!strcmp(name, ibm_names[i]))
			return (int)i;
	return -IOM_EINVAL;
}

/* ---- index arithmetic (iova_bitmap_offset_to_index and friends) ---- */

static uint64_t ibm_off_to_index(const struct iom_iova_bitmap *b, uint64_t off)
{
	return (off >> b->pgshift) / (b->word_bytes * 8);
}

static uint64_t ibm_index_to_off(const struct iom_iova_bitmap *b, uint64_t index)
{
	return (index * b->word_bytes * 8) << b->pgshift;
}

static uint64_t ibm_mapped_iova(const struct iom_iova_bitmap *b)
{
	return b->iova + ibm_index_to_off(b, b->base_index);
}

static int ibm_done(const struct iom_iova_bitmap *b)
{
	return b->base_index >= b->total_index;
}

/* Words the pinned pages hold from the window start (mapped_remaining). With
 * nothing pinned the byte count wraps, as the kernel's does. */
static uint64_t ibm_mapped_remaining(const struct iom_iova_bitmap *b)
{
	uint64_t bytes = (b->w.npages << IBM_PAGE_SHIFT) - b->w.pgoff;
	uint64_t avail = b->algo == IOM_IBM_V6_1 ? bytes / 8 : bytes;
	return IOM_MIN(b->total_index - b->base_index, avail);
}

static uint64_t ibm_mapped_length(const struct iom_iova_bitmap *b)
{
	uint64_t max_iova = b->iova + b->length - 1;
	uint64_t iova = ibm_mapped_iova(b);
	uint64_t rem = ibm_index_to_off(b, ibm_mapped_remaining(b));

	if (iova + rem - 1 > max_iova)
		rem -= (iova + rem - 1) - max_iova;
	return rem;
}

/* ---- pinning ---- */

static void ibm_charge_pin(struct iom_iova_bitmap *b, uint64_t pages)
{
	b->cost->pin_calls++;
	b->cost->pages_pinned += pages;
	b->cost->time_ps += b->cm.call_ps + pages * b->cm.pin_page_ps;
}

static void ibm_charge_unpin(struct iom_iova_bitmap *b, uint64_t pages)
{
	b->cost->unpin_calls++;
	b->cost->pages_unpinned += pages;
	b->cost->time_ps += b->cm.call_ps + pages * b->cm.unpin_page_ps;
}

/* pin_user_pages_fast: how many of n pages from upage are mapped. */
static uint64_t ibm_pin(struct iom_iova_bitmap *b, uint64_t upage, uint64_t n)
{
	uint64_t first = b->user.va >> IBM_PAGE_SHIFT;
	uint64_t last = (b->user.va + b->user.len - 1) >> IBM_PAGE_SHIFT;
	uint64_t got = 0;

	if (n && upage >= first && upage <= last)
		got = IOM_MIN(n, last - upage + 1);
	ibm_charge_pin(b, got);
	return got;
}

static void ibm_put(struct iom_iova_bitmap *b)
{
	if (b->w.npages) {
		ibm_charge_unpin(b, b->w.npages);
		b->w.npages = 0;
	}
}

/* iova_bitmap_get: pin the window starting at word base_index. */
static int ibm_get(struct iom_iova_bitmap *b)
{
	uint64_t npages = ((b->total_index - b->base_index) * b->word_bytes + IBM_PAGE_SIZE - 1) >>
			  IBM_PAGE_SHIFT;
	uint64_t addr = b->user.va + b->base_index * b->word_bytes;
	uint64_t pgoff = addr & (IBM_PAGE_SIZE - 1);
	uint64_t got;

	if (b->algo != IOM_IBM_V6_1) /* "Consider page offset for the pages to be pinned" */
		npages += pgoff != 0;
	npages = IOM_MIN(npages, IBM_MAX_PAGES);
	got = ibm_pin(b, addr >> IBM_PAGE_SHIFT, npages);
	if (!got)
		return -IOM_ERANGE; /* the kernel's -EFAULT */
	b->cost->windows++;
	b->w.npages = got;
	b->w.upage = addr >> IBM_PAGE_SHIFT;
	b->w.iova = ibm_mapped_iova(b);
	b->w.pgoff = pgoff;
	b->w.length = ibm_mapped_length(b);
	return 0;
}

/* ---- writing bits ---- */

/* Set user bits [a0, a1) (absolute bit addresses: VA * 8 + bit), clipped
 * to the host storage. */
static void ibm_write(struct iom_iova_bitmap *b, uint64_t a0, uint64_t a1)
{
	uint64_t lo = b->user.va * 8, hi = lo + b->user.len * 8;

	a0 = IOM_MAX(a0, lo);
	a1 = IOM_MIN(a1, hi);
	if (a0 >= a1)
		return;
	a0 -= lo;
	a1 -= lo;
	while (a0 < a1 && (a0 & 7)) {
		b->user.buf[a0 >> 3] |= (uint8_t)(1u << (a0 & 7));
		a0++;
	}
	if (a1 - a0 >= 8) {
		memset(b->user.buf + (a0 >> 3), 0xff, (a1 - a0) >> 3);
		a0 += (a1 - a0) & ~7ull;
	}
	for (; a0 < a1; a0++)
		b->user.buf[a0 >> 3] |= (uint8_t)(1u << (a0 & 7));
}

/* Range bits [lo, hi) wanted by a set(): [iova, iova + len) clipped to the
 * range.  Returns hi - lo. */
static uint64_t ibm_want(const struct iom_iova_bitmap *b, uint64_t iova, uint64_t len, uint64_t *lo,
			 uint64_t *hi)
{
	uint64_t max_iova = b->iova + b->length - 1;
	uint64_t end = iova + len - 1 < iova ? UINT64_MAX : iova + len - 1;

	*lo = *hi = 0;
	if (!len || end < b->iova || iova > max_iova)
		return 0;
	end = IOM_MIN(end, max_iova);
	*lo = iova < b->iova ? 0 : (iova - b->iova) >> b->pgshift;
	*hi = ((end - b->iova) >> b->pgshift) + 1;
	return *hi - *lo;
}

static uint64_t ibm_overlap(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
	uint64_t lo = IOM_MAX(a0, b0), hi = IOM_MIN(a1, b1);
	return hi > lo ? hi - lo : 0;
}

/* Write n bits from bit off of user page upage: one kmap.  Bits inside the
 * wanted range bits [want_lo, want_hi) count as set, the others as stray.
 * Returns the bits counted as set. */
static uint64_t ibm_page_bits(struct iom_iova_bitmap *b, uint64_t upage, uint64_t off, uint64_t n,
			      uint64_t want_lo, uint64_t want_hi)
{
	uint64_t a0 = (upage << IBM_PAGE_BITS_SHIFT) + off, a1 = a0 + n;
	uint64_t u = b->user.va * 8, bytes = ((a1 - 1) >> 3) - (a0 >> 3) + 1;
	uint64_t in = 0;

	ibm_write(b, a0, a1);
	if (a1 > u)
		in = ibm_overlap(a0 > u ? a0 - u : 0, a1 - u, want_lo, want_hi);
	b->cost->kmaps++;
	b->cost->bytes_touched += bytes;
	b->cost->bits_set += in;
	b->cost->bits_stray += n - in;
	b->cost->time_ps += b->cm.kmap_ps + bytes * b->cm.byte_ps;
	return in;
}

/* The kernel's set loop over the pinned pages for window bits cur..last
 * (bit pgoff * 8 of pages[0] is the window's first bit).  Returns the
 * first bit not written: > last when all were. */
static uint64_t ibm_set_pages(struct iom_iova_bitmap *b, uint64_t cur, uint64_t last,
			      uint64_t want_lo, uint64_t want_hi, uint64_t *in)
{
	do {
		uint64_t page_idx = cur / IBM_BITS_PER_PAGE, off = cur % IBM_BITS_PER_PAGE;
		uint64_t n = IOM_MIN(IBM_BITS_PER_PAGE - off, last - cur + 1);

		if (page_idx >= b->w.npages)
			break;
		*in += ibm_page_bits(b, b->w.upage + page_idx, off, n, want_lo, want_hi);
		cur += n;
	} while (cur <= last);
	return cur;
}

static uint64_t ibm_cur_bit(const struct iom_iova_bitmap *b, uint64_t iova)
{
	return ((iova - b->w.iova) >> b->pgshift) + b->w.pgoff * 8;
}

/* Range bit of window bit `bit`. */
static uint64_t ibm_range_bit(const struct iom_iova_bitmap *b, uint64_t bit)
{
	return (b->w.upage << IBM_PAGE_BITS_SHIFT) + bit - b->user.va * 8;
}

/* ---- v6_1 and v6_10: windows handed to fn ---- */

static void ibm_sa_drop(struct iom_iova_bitmap *b)
{
	uint64_t pending = b->sa_hi - b->sa_lo;

	b->cost->bits_lost += pending > b->sa_done ? pending - b->sa_done : 0;
	b->sa_length = b->sa_lo = b->sa_hi = b->sa_done = 0;
}

static void ibm_set_windowed(struct iom_iova_bitmap *b, uint64_t iova, uint64_t len)
{
	uint64_t lo, hi, want = ibm_want(b, iova, len, &lo, &hi), in = 0, cur, last, stop;

	if (!b->w.npages || iova < b->w.iova) { /* no window, or below it */
		b->cost->bits_lost += want;
		return;
	}
	cur = ibm_cur_bit(b, iova);
	last = ibm_cur_bit(b, iova + len - 1);
	stop = ibm_set_pages(b, cur, last, lo, hi, &in);
	if (stop <= last && b->algo == IOM_IBM_V6_10) {
		uint64_t r = ibm_range_bit(b, stop);

		ibm_sa_drop(b); /* a pending set-ahead is overwritten */
		b->sa_length = (last - stop + 1) << b->pgshift;
		b->sa_lo = IOM_MAX(r, lo);
		b->sa_hi = IOM_MAX(IOM_MIN(r + (last - stop + 1), hi), b->sa_lo);
		want -= b->sa_hi - b->sa_lo;
	}
	b->cost->bits_lost += want - in;
}

/* v6_10 iova_bitmap_set_ahead: pin from the new base, set, skip, unpin. */
static int ibm_set_ahead(struct iom_iova_bitmap *b)
{
	uint64_t left = b->sa_length;
	int ret = 0;

	while (left > 0 && !ibm_done(b)) {
		uint64_t len = ibm_mapped_length(b); /* nothing pinned here */
		uint64_t iova = ibm_mapped_iova(b), in = 0;

		ret = ibm_get(b);
		if (ret)
			break;
		len = IOM_MIN(len, left);
		/* iova_bitmap_set(iova, len): a nested overflow is forgotten below */
		ibm_set_pages(b, ibm_cur_bit(b, iova), ibm_cur_bit(b, iova + len - 1), b->sa_lo,
			      b->sa_hi, &in);
		b->sa_done += in;
		left -= len;
		b->base_index += ibm_off_to_index(b, len - 1) + 1;
		ibm_put(b);
	}
	ibm_sa_drop(b);
	return ret;
}

/* iova_bitmap_advance as in v6.1 and in the v6.10 release. */
static int ibm_advance(struct iom_iova_bitmap *b)
{
	b->base_index += ibm_off_to_index(b, ibm_mapped_length(b) - 1) + 1;
	ibm_put(b);
	if (ibm_done(b)) {
		ibm_sa_drop(b);
		return 0;
	}
	if (b->sa_length) {
		int ret = ibm_set_ahead(b);
		if (ret)
			return ret;
	}
	return ibm_get(b);
}

static int ibm_for_each_windowed(struct iom_iova_bitmap *b, void *opaque, iom_ibm_fn fn)
{
	int ret = 0;

	for (; !ibm_done(b) && !ret; ret = ibm_advance(b)) {
		b->cost->fn_calls++;
		b->cost->time_ps += b->cm.call_ps;
		ret = fn(b, ibm_mapped_iova(b), ibm_mapped_length(b), opaque);
		if (ret)
			break;
	}
	return ret;
}

/* ---- v6_11: dynamic pinning inside set() ---- */

static int ibm_mapped_range(const struct iom_iova_bitmap *b, uint64_t iova, uint64_t len)
{
	return b->w.npages && iova >= b->w.iova &&
	       iova + len - 1 <= b->w.iova + b->w.length - 1;
}

static int ibm_advance_to(struct iom_iova_bitmap *b, uint64_t iova)
{
	uint64_t index = ibm_off_to_index(b, iova - b->iova);

	if (index >= b->total_index)
		return -IOM_ERANGE; /* -EINVAL in the kernel; the window stays */
	b->base_index = index;
	ibm_put(b);
	return ibm_get(b);
}

static void ibm_set_dynamic(struct iom_iova_bitmap *b, uint64_t iova, uint64_t len)
{
	uint64_t lo, hi, want = ibm_want(b, iova, len, &lo, &hi), in = 0;

	for (;;) {
		uint64_t cur, last, stop, left;

		if (!ibm_mapped_range(b, iova, len) && ibm_advance_to(b, iova))
			break;
		cur = ibm_cur_bit(b, iova);
		last = ibm_cur_bit(b, iova + len - 1);
		stop = ibm_set_pages(b, cur, last, lo, hi, &in);
		if (stop > last || stop == cur) /* done (no progress cannot happen: guard) */
			break;
		left = (last - stop + 1) << b->pgshift;
		iova += len - left;
		len = left;
	}
	b->cost->bits_lost += want - in;
}

/* ---- iter: lazy per-page pinning ---- */

static void ibm_set_iter(struct iom_iova_bitmap *b, uint64_t iova, uint64_t len)
{
	uint64_t lo, hi, u = b->user.va * 8, pend = 0;

	if (!ibm_want(b, iova, len, &lo, &hi))
		return;
	for (uint64_t p = (u + lo) >> IBM_PAGE_BITS_SHIFT; p <= (u + hi - 1) >> IBM_PAGE_BITS_SHIFT;
	     p++) {
		uint64_t a0 = IOM_MAX(u + lo, p << IBM_PAGE_BITS_SHIFT);
		uint64_t a1 = IOM_MIN(u + hi, (p + 1) << IBM_PAGE_BITS_SHIFT);

		if (b->run_n && p >= b->run_first && p < b->run_first + b->run_n) {
			/* pinned already */
		} else if (b->run_n && p == b->run_first + b->run_n && b->run_n < IBM_MAX_PAGES) {
			b->run_n++;
			pend++;
		} else {
			if (pend)
				ibm_charge_pin(b, pend);
			if (b->run_n)
				ibm_charge_unpin(b, b->run_n);
			b->run_first = p;
			b->run_n = pend = 1;
			b->cost->windows++;
		}
		ibm_page_bits(b, p, a0 & (IBM_BITS_PER_PAGE - 1), a1 - a0, lo, hi);
	}
	if (pend)
		ibm_charge_pin(b, pend);
}

/* ---- API ---- */

struct iom_iova_bitmap *iom_ibm_alloc(enum iom_ibm_algo algo, uint64_t iova, uint64_t length,
				      uint64_t page_size, const struct iom_ubitmap *user,
				      const struct iom_ibm_cost_model *cm, struct iom_ibm_cost *cost,
				      struct iom_err *err)
{
	struct iom_iova_bitmap *b;
	uint64_t pgshift, nbits, need;

	if ((unsigned)algo >= IOM_IBM_ALGO_MAX) {
		iom_err_set(err, IOM_EINVAL, "iova_bitmap: unknown algorithm %u", (unsigned)algo);
		return NULL;
	}
	if (!length || !page_size || (page_size & (page_size - 1))) {
		iom_err_set(err, IOM_EINVAL,
			    "iova_bitmap: length 0x%llx / page size 0x%llx: need a nonzero length "
			    "and a power-of-two page size",
			    (unsigned long long)length, (unsigned long long)page_size);
		return NULL;
	}
	pgshift = (uint64_t)__builtin_ctzll(page_size);
	if (pgshift > IBM_PGSHIFT_MAX) {
		iom_err_set(err, IOM_ENOTSUP,
			    "iova_bitmap: page size 2^%llu not implemented (at most 2^%d)",
			    (unsigned long long)pgshift, IBM_PGSHIFT_MAX);
		return NULL;
	}
	if (iova + (length - 1) < iova) {
		iom_err_set(err, IOM_ERANGE, "iova_bitmap: range 0x%llx + 0x%llx overflows",
			    (unsigned long long)iova, (unsigned long long)length);
		return NULL;
	}
	if (!user || !user->buf || !user->len || user->va >= IBM_VA_LIMIT ||
	    user->len > IBM_VA_LIMIT - user->va) {
		iom_err_set(err, IOM_EINVAL,
			    "iova_bitmap: user bitmap missing or above 2^56 (va 0x%llx, %llu bytes)",
			    user ? (unsigned long long)user->va : 0ull,
			    user ? (unsigned long long)user->len : 0ull);
		return NULL;
	}
	nbits = ((length - 1) >> pgshift) + 1;
	/* v6_1 reads whole u64 words, the others bytes */
	need = algo == IOM_IBM_V6_1 ? ((nbits + 63) / 64) * 8 : (nbits + 7) / 8;
	if (user->len < need) {
		iom_err_set(err, IOM_EINVAL,
			    "iova_bitmap: user bitmap of %llu bytes at 0x%llx too small: %llu bits "
			    "need %llu bytes (%s)",
			    (unsigned long long)user->len, (unsigned long long)user->va,
			    (unsigned long long)nbits, (unsigned long long)need, ibm_names[algo]);
		return NULL;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		iom_err_set(err, IOM_ENOMEM, "iova_bitmap: out of memory");
		return NULL;
	}
	b->algo = algo;
	b->iova = iova;
	b->length = length;
	b->pgshift = pgshift;
	b->nbits = nbits;
	b->word_bytes = algo == IOM_IBM_V6_1 ? 8 : 1;
	b->total_index = ibm_off_to_index(b, length - 1) + 1;
	b->user = *user;
	b->cm = cm ? *cm : iom_ibm_cost_model_default;
	b->cost = cost ? cost : &b->own_cost;
	b->w.iova = iova;
	/* v6.1 and the v6.10 release pin the first window in alloc */
	if ((algo == IOM_IBM_V6_1 || algo == IOM_IBM_V6_10) && ibm_get(b)) {
		iom_err_set(err, IOM_ERANGE, "iova_bitmap: cannot pin the bitmap at 0x%llx",
			    (unsigned long long)user->va);
		free(b);
		return NULL;
	}
	return b;
}

int iom_ibm_for_each(struct iom_iova_bitmap *b, void *opaque, iom_ibm_fn fn)
{
	if (!b || !fn)
		return -IOM_EINVAL;
	if (b->algo == IOM_IBM_V6_1 || b->algo == IOM_IBM_V6_10)
		return ibm_for_each_windowed(b, opaque, fn);
	b->cost->fn_calls++;
	b->cost->time_ps += b->cm.call_ps;
	return fn(b, b->iova, b->length, opaque);
}

void iom_ibm_set(struct iom_iova_bitmap *b, uint64_t iova, uint64_t length)
{
	if (!b)
		return;
	b->cost->set_calls++;
	b->cost->time_ps += b->cm.call_ps;
	if (!length)
		return; /* the kernel's last bit would wrap; no producer passes 0 */
	switch (b->algo) {
	case IOM_IBM_V6_1:
	case IOM_IBM_V6_10:
		ibm_set_windowed(b, iova, length);
		break;
	case IOM_IBM_V6_11:
		ibm_set_dynamic(b, iova, length);
		break;
	default:
		ibm_set_iter(b, iova, length);
		break;
	}
}

void iom_ibm_free(struct iom_iova_bitmap *b)
{
	if (!b)
		return;
	ibm_put(b);
	if (b->run_n)
		ibm_charge_unpin(b, b->run_n);
	ibm_sa_drop(b);
	free(b);
}
