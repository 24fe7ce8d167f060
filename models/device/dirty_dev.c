/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dirty_dev.c - the device-side dirty tracker (dirty_dev.h): VFIO's DMA
 * logging checks (vfio_ioctl_device_feature_logging_start), the range
 * combining rule (vfio_combine_iova_ranges), the mlx5 page tracker's
 * capability checks, page-size clamp and message-based report
 * (mlx5vf_start_page_tracker, mlx5vf_tracker_read_and_clear).
 *
 * The log is a hash set of tracked page numbers; a report collects the ones
 * inside its range, sorts them and removes them (the snapshot the tracker
 * takes when it enters REPORTING), then delivers them message by message.
 * Timing as dirty_dev.h says; the capability defaults are plausible values
 * for a ConnectX-class device, not measured ones (docs/dirty.md).
 */
#include "dirty_dev.h"

#include "config.h"
#include "u64map.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const struct iom_dirty_dev_cfg dd_defaults = {
    .max_ranges = 4,
    .min_page_size = 4096,
    .max_page_size = 1ull << 21,
    .min_addr_space_bits = 12,
    .max_addr_space_bits = 48,
    .entries_per_msg = 256, /* 4 KB messages of 16-byte {addr_hi, addr_lo} entries */
    .cmd_ps = 10000000,     /* 10 us: a firmware command round trip */
    .msg_ps = 1000000,      /* 1 us: one completion and its receive buffer */
    .entry_ps = 20000,      /* 20 ns: decode the entry, iova_bitmap_set() */
};

static const struct iom_prop dd_props[] = {
    IOM_PROP_U32_(struct iom_dirty_dev_cfg, max_ranges, 1, IOM_DIRTY_DEV_LOG_MAX_RANGES, "ranges",
                  "tracked IOVA ranges the device supports (pg_track_max_num_range); "
                  "more are merged across their smallest gaps"),
    IOM_PROP_U64_(struct iom_dirty_dev_cfg, min_page_size, 4096, 1ull << 40, "bytes",
                  "smallest tracking page size (pg_track_log_min_page_size, a power of two)"),
    IOM_PROP_U64_(struct iom_dirty_dev_cfg, max_page_size, 4096, 1ull << 40, "bytes",
                  "largest tracking page size (pg_track_log_max_page_size, a power of two)"),
    IOM_PROP_U32_(struct iom_dirty_dev_cfg, min_addr_space_bits, 12, 64, "bits",
                  "smallest span of all ranges the tracker accepts, log2 "
                  "(pg_track_log_min_addr_space)"),
    IOM_PROP_U32_(struct iom_dirty_dev_cfg, max_addr_space_bits, 12, 64, "bits",
                  "largest span of all ranges, log2 (pg_track_log_max_addr_space)"),
    IOM_PROP_U32_(struct iom_dirty_dev_cfg, entries_per_msg, 1, 1u << 20, "entries",
                  "dirty entries per report message"),
    IOM_PROP_U64_(struct iom_dirty_dev_cfg, cmd_ps, 0, 1ull << 40, "ps",
                  "one tracker command (start, stop, entering REPORTING)"),
    IOM_PROP_U64_(struct iom_dirty_dev_cfg, msg_ps, 0, 1ull << 40, "ps",
                  "one report message (completion handling)"),
    IOM_PROP_U64_(struct iom_dirty_dev_cfg, entry_ps, 0, 1ull << 30, "ps",
                  "host CPU per reported entry"),
};

const struct iom_prop_table iom_dirty_dev_prop_table = {
    .section = "dirty.device",
    .doc = "Device-side dirty tracker (VFIO DMA logging, mlx5-like; dirty.tracker = device)",
    .props = dd_props,
    .nprops = IOM_ARRAY_SIZE(dd_props),
    .defaults = &dd_defaults,
    .struct_size = sizeof(struct iom_dirty_dev_cfg),
};

struct iom_dirty_dev {
	struct iom_dirty_dev_cfg cfg;
	uint32_t rid;
	bool active;
	uint64_t page_size;
	unsigned shift;
	struct iom_dirty_dev_range *ranges;
	size_t nranges;
	struct iom_u64map log; /* page number -> 1 */
	uint64_t untracked;
};

size_t iom_dirty_dev_combine(struct iom_dirty_dev_range *r, size_t n, size_t max)
{
	if (!max)
		max = 1;
	while (n > max) {
		size_t best = 0;
		uint64_t gap = UINT64_MAX;
		for (size_t i = 0; i + 1 < n; i++) {
			uint64_t g = r[i + 1].iova - (r[i].iova + r[i].length);
			if (g < gap) {
				gap = g;
				best = i;
			}
		}
		r[best].length = r[best + 1].iova + r[best + 1].length - r[best].iova;
		memmove(&r[best + 1], &r[best + 2], (n - best - 2) * sizeof(*r));
		n--;
	}
	return n;
}

struct iom_dirty_dev *iom_dirty_dev_create(const struct iom_dirty_dev_cfg *cfg, uint32_t rid,
                                           struct iom_err *err)
{
	if (!cfg || !cfg->max_ranges || !cfg->entries_per_msg ||
	    (cfg->min_page_size & (cfg->min_page_size - 1)) ||
	    (cfg->max_page_size & (cfg->max_page_size - 1)) ||
	    cfg->min_page_size > cfg->max_page_size ||
	    cfg->min_addr_space_bits > cfg->max_addr_space_bits) {
		iom_err_set(err, IOM_EINVAL,
		            "dirty.device: page sizes must be powers of two with min <= max, "
		            "address-space bits min <= max, ranges and entries per message >= 1");
		return NULL;
	}
	struct iom_dirty_dev *t = calloc(1, sizeof(*t));
	if (!t) {
		iom_err_set(err, IOM_ENOMEM, "dirty.device: out of memory");
		return NULL;
	}
	t->cfg = *cfg;
	t->rid = rid;
	iom_u64map_init(&t->log);
	return t;
}

void iom_dirty_dev_destroy(struct iom_dirty_dev *t)
{
	if (!t)
		return;
	iom_u64map_fini(&t->log);
	free(t->ranges);
	free(t);
}

uint32_t iom_dirty_dev_rid(const struct iom_dirty_dev *t)
{
	return t->rid;
}

static int dd_cmp_range(const void *a, const void *b)
{
	const struct iom_dirty_dev_range *x = a, *y = b;
	return x->iova < y->iova ? -1 : x->iova > y->iova;
}

static int dd_errno(int *uapi, int e, const char *name, struct iom_err *err, const char *what,
                    uint64_t a, uint64_t b)
{
	if (uapi)
		*uapi = e;
	return iom_err_set(err, e == EBUSY ? IOM_EBUSY : IOM_EINVAL,
	                   "%s: DMA logging start: %s (0x%" PRIx64 ", 0x%" PRIx64 ")", name, what,
	                   a, b);
}

int iom_dirty_dev_start(struct iom_dirty_dev *t, uint64_t *page_size,
                        const struct iom_dirty_dev_range *ranges, size_t n, uint64_t now_ps,
                        uint64_t *done_ps, int *uapi_errno, struct iom_err *err)
{
	uint64_t ps = *page_size;
	*done_ps = now_ps;
	if (uapi_errno)
		*uapi_errno = 0;
	if (t->active)
		return dd_errno(uapi_errno, EBUSY, "EBUSY", err, "already started", 0, 0);
	if (!ps || (ps & (ps - 1)))
		return dd_errno(uapi_errno, EINVAL, "EINVAL", err, "page size not a power of two",
		                ps, 0);
	if (!n)
		return dd_errno(uapi_errno, EINVAL, "EINVAL", err, "no ranges", 0, 0);
	if (n > IOM_DIRTY_DEV_LOG_MAX_RANGES)
		return dd_errno(uapi_errno, E2BIG, "E2BIG", err, "more than 256 ranges", n, 0);
	struct iom_dirty_dev_range *r = malloc(n * sizeof(*r));
	if (!r)
		return iom_err_set(err, IOM_ENOMEM, "dirty.device: out of memory");
	memcpy(r, ranges, n * sizeof(*r));
	qsort(r, n, sizeof(*r), dd_cmp_range);
	for (size_t i = 0; i < n; i++) {
		uint64_t end;
		if (!r[i].length || ((r[i].iova | r[i].length) & (ps - 1)) ||
		    __builtin_add_overflow(r[i].iova, r[i].length, &end) ||
		    (i + 1 < n && end > r[i + 1].iova)) {
			uint64_t a = r[i].iova, b = r[i].length;
			free(r);
			return dd_errno(uapi_errno, EINVAL, "EINVAL", err,
			                "range unaligned, empty, overflowing or overlapping", a, b);
		}
	}
	n = iom_dirty_dev_combine(r, n, t->cfg.max_ranges);
	uint64_t span = r[n - 1].iova + r[n - 1].length - r[0].iova;
	unsigned bits = span > 1 ? 64 - (unsigned)__builtin_clzll(span - 1) : 0; /* ceil log2 */
	if (bits < t->cfg.min_addr_space_bits || bits > t->cfg.max_addr_space_bits) {
		free(r);
		return dd_errno(uapi_errno, EOPNOTSUPP, "EOPNOTSUPP", err,
		                "span outside the tracker's address space", span, bits);
	}
	ps = IOM_MIN(IOM_MAX(ps, t->cfg.min_page_size), t->cfg.max_page_size);
	free(t->ranges);
	t->ranges = r;
	t->nranges = n;
	t->page_size = *page_size = ps;
	t->shift = (unsigned)__builtin_ctzll(ps);
	t->active = true;
	*done_ps = now_ps + t->cfg.cmd_ps;
	return 0;
}

void iom_dirty_dev_stop(struct iom_dirty_dev *t, uint64_t now_ps, uint64_t *done_ps)
{
	*done_ps = now_ps + (t->active ? t->cfg.cmd_ps : 0);
	t->active = false;
	iom_u64map_fini(&t->log);
	iom_u64map_init(&t->log);
}

bool iom_dirty_dev_active(const struct iom_dirty_dev *t)
{
	return t->active;
}

uint64_t iom_dirty_dev_page_size(const struct iom_dirty_dev *t)
{
	return t->page_size;
}

size_t iom_dirty_dev_ranges(const struct iom_dirty_dev *t, const struct iom_dirty_dev_range **r)
{
	*r = t->ranges;
	return t->nranges;
}

uint64_t iom_dirty_dev_untracked_bytes(const struct iom_dirty_dev *t)
{
	return t->untracked;
}

void iom_dirty_dev_write(struct iom_dirty_dev *t, uint64_t iova, uint64_t size)
{
	if (!t->active || !size)
		return;
	uint64_t end = iova + size < iova ? UINT64_MAX : iova + size, covered = 0;
	for (size_t i = 0; i < t->nranges; i++) {
		uint64_t lo = IOM_MAX(iova, t->ranges[i].iova);
		uint64_t hi = IOM_MIN(end, t->ranges[i].iova + t->ranges[i].length);
		if (hi <= lo)
			continue;
		covered += hi - lo;
		for (uint64_t p = lo >> t->shift; p <= (hi - 1) >> t->shift; p++)
			iom_u64map_put(&t->log, p, 1);
	}
	t->untracked += (end - iova) - covered;
}

static int dd_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int iom_dirty_dev_report(struct iom_dirty_dev *t, uint64_t iova, uint64_t length,
                         void (*record)(void *rctx, uint64_t iova, uint64_t length), void *rctx,
                         void (*before)(void *bctx, uint64_t t_ps), void *bctx, uint64_t now_ps,
                         uint64_t *done_ps, struct iom_dirty_dev_cost *cost, struct iom_err *err)
{
	*done_ps = now_ps;
	if (!t->active)
		return iom_err_set(err, IOM_EINVAL,
		                   "EINVAL: device %02x:%02x.%x: DMA logging is "
		                   "not started",
		                   (t->rid >> 8) & 0xff, (t->rid >> 3) & 0x1f, t->rid & 7);
	uint64_t first = iova >> t->shift, last = (iova + length - 1) >> t->shift, k, v;
	size_t n = 0, cap = 0;
	uint64_t *pages = NULL;
	for (size_t it = 0; iom_u64map_next(&t->log, &it, &k, &v);) {
		if (k < first || k > last)
			continue;
		if (n == cap) {
			uint64_t *np = realloc(pages, (cap = cap ? 2 * cap : 64) * sizeof(*pages));
			if (!np) {
				free(pages);
				return iom_err_set(err, IOM_ENOMEM, "dirty.device: out of memory");
			}
			pages = np;
		}
		pages[n++] = k;
	}
	if (n)
		qsort(pages, n, sizeof(*pages), dd_cmp_u64);
	for (size_t i = 0; i < n; i++) /* the snapshot taken on entering REPORTING */
		iom_u64map_del(&t->log, pages[i]);
	uint64_t tt = now_ps + t->cfg.cmd_ps;
	size_t msgs = n ? (n + t->cfg.entries_per_msg - 1) / t->cfg.entries_per_msg : 1;
	for (size_t m = 0, i = 0; m < msgs; m++) {
		if (before)
			before(bctx, tt);
		tt += t->cfg.msg_ps;
		for (size_t e = 0; e < t->cfg.entries_per_msg && i < n; e++, i++) {
			record(rctx, pages[i] << t->shift, t->page_size);
			tt += t->cfg.entry_ps;
		}
	}
	free(pages);
	if (cost) {
		cost->cmds++;
		cost->msgs += msgs;
		cost->entries += n;
	}
	*done_ps = tt;
	return 0;
}
