/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_harvest.c - host (wall-clock) time of one dirty harvest
 * (models/host/dirty.c) of a 64 GiB SMMUv3 domain mapped with 4 KB pages,
 * at 0 %, 1 % and 100 % of the pages dirty, against a plain scan of the same
 * bitmap bytes (2 MiB: one popcount pass) on the same machine.
 *
 * Setup (not timed): the default memory, an SMMUv3 with range invalidation,
 * a host with host.invalidation = range (so the sync of a 64 GiB gather is a
 * few range commands, not 16 M per-page ones), a dirty-capable domain with
 * 16 Mi writable-clean 4 KB leaves (DBM), tracking enabled; the dirty pages
 * are made writable-dirty (AP[2] cleared, what HTTU does on a write) by a
 * functional pass over the leaves: every 100th leaf for 1 %, all for 100 %.
 * Timed: iom_dirty_read_and_clear() of the whole 64 GiB at 4 KB (v6_11,
 * clear_then_inval) into a zeroed, page-aligned bitmap -- the walk of every
 * leaf (timed reads in models/mem), the atomic clears, the iova_bitmap sets,
 * the invalidation.  Prints wall time, simulated time, the counters, and the
 * ratio to the plain scan.  `bench_harvest GIB` uses GIB GiB instead.
 */
#include "bench-util.h"
#include "dirty.h"
#include "host.h"
#include "mem.h"
#include "pgtable.h"
#include "smmuv3.h"
#include "smmuv3_drv.h"
#include "trace.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RID   0x100u
#define IOVA0 (1ull << 32)

static struct iom_err err;

static void die(const char *what)
{
	fprintf(stderr, "bench_harvest: %s: %s\n", what, err.msg);
	exit(1);
}

/* Make every `stride`-th leaf writable-dirty (clear AP[2], bit 7). */
struct mk {
	struct iom_mem *mem;
	uint64_t stride, n, dirtied;
};

static int mk_leaf(void *ctx, struct iom_pt_scan *s, const struct iom_pt_leaf *l, struct iom_err *e)
{
	struct mk *m = ctx;
	(void)s;
	(void)e;
	if (l->valid && m->stride && m->n++ % m->stride == 0) {
		iom_mem_wr64(m->mem, l->desc_pa, l->desc & ~(1ull << 7));
		m->dirtied++;
	}
	return IOM_PT_SCAN_NEXT;
}

/* One popcount pass over the bitmap bytes (the plain scan), best of reps. */
static double plain_scan_s(const uint8_t *b, size_t len, uint64_t *bits)
{
	double best = 1e9;
	for (int rep = 0; rep < 20; rep++) {
		uint64_t n = 0;
		double t0 = bench_now_s();
		const uint64_t *w = (const uint64_t *)b;
		for (size_t i = 0; i < len / 8; i++)
			n += (uint64_t)__builtin_popcountll(w[i]);
		double dt = bench_now_s() - t0;
		if (dt < best)
			best = dt;
		*bits = n;
	}
	return best;
}

int main(int argc, char **argv)
{
	uint64_t gib = argc > 1 ? strtoull(argv[1], NULL, 0) : 64, size = gib << 30;
	struct iom_host_cfg hc = *(const struct iom_host_cfg *)iom_host_prop_table.defaults;
	hc.invalidation = IOM_HOST_INVAL_RANGE;
	struct iom_mem *mem = iom_mem_create(iom_mem_prop_table.defaults, &err);
	struct iom_palloc *pa =
	    mem ? iom_palloc_create(mem, hc.table_pool_base, hc.table_pool_size, &err) : NULL;
	if (!pa)
		die("memory");
	struct iom_smmu_cfg sc;
	iom_smmu_cfg_default(&sc);
	struct iom_smmu *smmu = iom_smmu_create(&sc, mem, "smmu0", &err);
	struct iom_smmu_drv *drv = smmu ? iom_smmu_drv_create(smmu, mem, pa, 16, 8, 4, &err) : NULL;
	if (!drv)
		die("smmu");
	struct iom_iommu io;
	iom_smmu_drv_as_iommu(drv, &io);
	struct iom_host_smmuv3 hs = {.drv = drv, .cd_bits = hc.cd_table_bits};
	struct iom_host *h = iom_host_create(&hc, mem, pa, &io, &iom_host_smmuv3_ops, &hs, &err);
	if (!h)
		die("host");
	struct iom_dirty_cfg dc = *(const struct iom_dirty_cfg *)iom_dirty_prop_table.defaults;
	struct iom_dirty *dt = iom_dirty_create(h, &dc, &err);
	uint64_t done, t = 1000000;
	if (!dt ||
	    iom_host_domain_create_flags(h, 1, IOM_HOST_DOM_PAGING, IOM_HOST_DOM_F_DIRTY, &err) ||
	    iom_host_attach(h, RID, -1, 1, t, &done, &err))
		die("domain");
	double t0 = bench_now_s();
	if (iom_host_map(h, 1, IOVA0, IOVA0, size, IOM_PROT_R | IOM_PROT_W, 4096, t, &done, &err))
		die("map");
	double tmap = bench_now_s() - t0;
	t0 = bench_now_s();
	if (iom_dirty_set_tracking(dt, 1, true, t, &done, NULL, &err))
		die("enable");
	double ten = bench_now_s() - t0;
	printf("harvest of a %llu GiB domain, 4 KB leaves (%llu): map %.2f s, enable (pre-clear "
	       "walk) %.2f s\n",
	       (unsigned long long)gib, (unsigned long long)(size >> 12), tmap, ten);
	size_t blen = (size_t)(size >> 12) / 8;
	uint8_t *bm = aligned_alloc(4096, blen);
	if (!bm)
		return 1;
	static const uint64_t strides[] = {0, 100, 1};
	static const char *const names[] = {"0 %", "1 %", "100 %"};
	for (int c = 0; c < 3; c++) {
		struct mk m = {.mem = mem, .stride = strides[c]};
		struct iom_pt_scan s = {
		    .iova = IOVA0, .size = size, .mem_req = -1, .visit = mk_leaf, .ctx = &m};
		if (iom_pt_scan(iom_host_domain(h, 1)->pt, &s, &err) < 0)
			die("dirtying");
		memset(bm, 0, blen);
		struct iom_ubitmap ub = {.buf = bm, .va = 0x7f0000000000ull, .len = blen};
		struct iom_dirty_req q = {
		    .domain = 1, .iova = IOVA0, .length = size, .page_size = 4096, .bitmap = &ub};
		struct iom_dirty_result res;
		t += 1000000000ull;
		t0 = bench_now_s();
		if (iom_dirty_read_and_clear(dt, &q, t, &res, &err))
			die("harvest");
		double dt_s = bench_now_s() - t0;
		uint64_t bits;
		double scan = plain_scan_s(bm, blen, &bits);
		printf(
		    "%-6s dirty: harvest %.3f s wall (%.1f ns/leaf), plain scan of the %zu-byte "
		    "bitmap %.3f ms, ratio %.0f; simulated %.3f ms; %llu PTE reads, %llu clears, "
		    "%llu bits (scan %llu), %llu invalidation(s), %llu commands, %llu pages "
		    "pinned\n",
		    names[c], dt_s, dt_s * 1e9 / (double)(size >> 12), blen, scan * 1e3,
		    dt_s / scan, (double)(res.done_ps - res.start_ps) / 1e9,
		    (unsigned long long)res.cost.pte_reads, (unsigned long long)res.cost.pte_clears,
		    (unsigned long long)res.cost.ibm.bits_set, (unsigned long long)bits,
		    (unsigned long long)res.cost.invalidations,
		    (unsigned long long)res.cost.commands,
		    (unsigned long long)res.cost.ibm.pages_pinned);
		if (bits != m.dirtied)
			fprintf(stderr, "bench_harvest: %llu bits for %llu dirty leaves\n",
			        (unsigned long long)bits, (unsigned long long)m.dirtied);
	}
	printf("RSS %ld MB\n", bench_rss_kb() / 1024);
	free(bm);
	iom_dirty_destroy(dt);
	iom_host_destroy(h);
	io.ops->destroy(io.self);
	iom_palloc_destroy(pa);
	iom_mem_destroy(mem);
	return 0;
}
