/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_dma_api.c - the DMA API model (models/host/dma_api.c) driven by
 * dmamap / dmaunmap / dma buf= records through the replay library.
 *
 * Every expected figure is worked out in the comments from the model's
 * documented rules (docs/dma-api.md) and the default costs:
 *   direct_ps 20 ns; map_ps = unmap_ps = 100 ns; pte_ps 20 ns per 4 KB page;
 *   swiotlb: pool of 64 MiB at B = 1 GiB, copy = 20 ns + bytes x 100 ps
 *   (10000 MB/s), an area-lock hold = 30 ns + 2 ns per slot examined
 *   (search) or renumbered (release); Linux >= 5.19 copies at map for every
 *   direction, at unmap for w (from device) and rw.
 * Slot choices follow swiotlb_search_pool_area() (test_swiotlb.c covers the
 * bookkeeping alone).  Records are far enough apart (>= 2 us) that no call
 * waits for its CPU unless a test wants it.
 */
#include "../tools/tools-test.h"

#include "config.h"
#include "dma_api.h"
#include "replay-int.h"
#include "swiotlb.h"

#include <criterion/criterion.h>
#include <stdarg.h>

#define B 0x40000000ull /* the swiotlb pool */

TestSuite(dma_api, .init = tt_setup, .fini = tt_teardown);

static struct iom_system *S;
static struct iom_config *C;
static struct iom_replay_result R;
static struct iom_err E;

/* Build the system from yaml (may be "") and the NULL-terminated key=value
 * overrides, replay trace (text after the header); returns the replay's rc. */
static int vrun(const char *yaml, const char *trace, va_list ap)
{
	C = iom_config_load_string(yaml, "test.yaml", &E);
	cr_assert_not_null(C, "%s", E.msg);
	for (const char *a = va_arg(ap, const char *); a; a = va_arg(ap, const char *))
		cr_assert_eq(iom_config_set(C, a, &E), 0, "%s", E.msg);
	S = iom_system_build(C, &E);
	cr_assert_not_null(S, "%s", E.msg);
	char *t = malloc(strlen(trace) + sizeof(HDR));
	strcpy(t, HDR);
	strcat(t, trace);
	spits(tpath("t.trace"), t);
	free(t);
	struct iom_replay_opts o = {.trace_path = tpath("t.trace")};
	return iom_replay_run(S, &o, &R, &E);
}

static int run_rc(const char *yaml, const char *trace, ...)
{
	va_list ap;
	va_start(ap, trace);
	int r = vrun(yaml, trace, ap);
	va_end(ap);
	return r;
}

#define RUN(yaml, trace, ...) cr_assert_eq(run_rc(yaml, trace, __VA_ARGS__), 0, "%s", E.msg)

static void done(void)
{
	iom_system_destroy(S);
	iom_config_destroy(C);
	S = NULL;
	C = NULL;
}

static double st(const char *name)
{
	double v = -1;
	cr_assert_eq(iom_stats_get(S->stats, NULL, name, &v), 0, "no stat %s", name);
	return v;
}

static uint64_t hsum(const char *name)
{
	struct iom_hist h;
	cr_assert_eq(iom_stats_get_hist(S->stats, NULL, name, &h), 0, "no histogram %s", name);
	return h.sum;
}

#define EXPECT(name, want) cr_expect_eq(st(name), (double)(want), "%s = %.0f, want %.0f", name, st(name), (double)(want))

static uint64_t addr(uint32_t buf)
{
	uint64_t a = 0;
	uint32_t path;
	cr_assert(iom_dma_api_buf_addr(iom_sys_dmaapi_api(S), buf, &a, &path), "buf %u", buf);
	return a;
}

/* ---- bounce buffering ------------------------------------------------------ */

/* Three maps, one per direction, then their unmaps:
 *  buf 1  r  4096 B: 2 slots at slot 0 (page rule, 1 iteration); copy in 4096
 *  buf 2  w  2048 B: 1 slot at slot 2 (1 iteration); copy in 2048 (all
 *         directions since 5.19); unmap copies 2048 back
 *  buf 3  rw 12288 B: from index 3, slot 3 is not page aligned -> slot 4
 *         (2 iterations), slots 4-9; copy in 12288, back 12288
 * copies 5, to device 18432, from device 14336; 9 slots at most, 4 searched.
 * Releases: buf 1 renumbers 2 (slot 2 in use after it), buf 2 renumbers
 * itself + slots 1, 0 (3), buf 3 its 6 + slots 3..0 (10): 15.
 * Map times: 1: 20 + (30 + 2) + (20 + 409.6) = 481.6 ns;
 *            2: 20 + 32 + (20 + 204.8) = 276.8 ns;
 *            3: 20 + (30 + 2 x 2) + (20 + 1228.8) = 1302.8 ns -> 2061.2 ns.
 * Unmap times: 1: 20 + (30 + 2 x 2) = 54 ns; 2: 20 + 224.8 + (30 + 6) =
 *   280.8 ns; 3: 20 + 1248.8 + (30 + 20) = 1318.8 ns -> 1653.6 ns. */
static const char three_dirs[] =
	"dmamap t=1us dev=01:00.0 buf=1 size=0x1000 pa=0x100000000 dir=r\n"
	"dmamap t=3us dev=01:00.0 buf=2 size=0x800 pa=0x100004000 dir=w\n"
	"dmamap t=5us dev=01:00.0 buf=3 size=0x3000 pa=0x100008000 dir=rw\n"
	"dmaunmap t=7us dev=01:00.0 buf=1\n"
	"dmaunmap t=9us dev=01:00.0 buf=2\n"
	"dmaunmap t=11us dev=01:00.0 buf=3\n";

Test(dma_api, bounce_copy_counts_follow_the_direction)
{
	RUN("", three_dirs, "dma_api.mode=bounce", NULL);
	EXPECT("dma_api.maps", 3);
	EXPECT("dma_api.maps_bounce", 3);
	EXPECT("dma_api.copies", 5);
	EXPECT("dma_api.bytes_to_dev", 18432);
	EXPECT("dma_api.bytes_from_dev", 14336);
	EXPECT("dma_api.slots_used_max", 9);
	EXPECT("dma_api.slots_used", 0);
	EXPECT("dma_api.slots_searched", 4);
	EXPECT("dma_api.slots_released", 15);
	cr_expect_eq(hsum("dma_api.map_latency"), 2061200u);
	cr_expect_eq(hsum("dma_api.unmap_latency"), 1653600u);
	cr_expect_eq(hsum("dma_api.copy_ps"), 409600u + 20000 + 204800 + 20000 + 1228800 + 20000 +
						      204800 + 20000 + 1228800 + 20000);
	/* the pool is whole again */
	cr_expect_eq(iom_swiotlb_list(iom_dma_api_swiotlb(iom_sys_dmaapi_api(S)), 0), 128u);
	done();
}

/* Before Linux 5.19 a from-device map copied nothing in: buf 2 loses its
 * 2048-byte copy at map (copies 4, to device 16384, from device unchanged). */
Test(dma_api, bounce_copies_before_linux_5_19_skip_from_device_maps)
{
	RUN("", three_dirs, "dma_api.mode=bounce", "dma_api.swiotlb.copy_all_on_map=false", NULL);
	EXPECT("dma_api.copies", 4);
	EXPECT("dma_api.bytes_to_dev", 16384);
	EXPECT("dma_api.bytes_from_dev", 14336);
	done();
}

/* Addresses are the slots (pool base B + slot x 2 KiB + the kept offset):
 * buf 1 slot 0 -> B; buf 2 slot 2 -> B + 0x1000; buf 3 slot 4 -> B + 0x2000.
 * With min_align_mask 0xfff, pa 0x100001a40 keeps 0xa40: slot 1 (bit 11 set)
 * + offset 0x240 -> B + 0xa40. */
Test(dma_api, bounce_addresses_are_slots_keeping_min_align_bits)
{
	RUN("", "dmamap t=1us dev=01:00.0 buf=1 size=0x1000 pa=0x100000000 dir=r\n"
		"dmamap t=3us dev=01:00.0 buf=2 size=0x800 pa=0x100004000 dir=w\n"
		"dmamap t=5us dev=01:00.0 buf=3 size=0x3000 pa=0x100008000 dir=rw\n",
	    "dma_api.mode=bounce", NULL);
	cr_expect_eq(addr(1), B);
	cr_expect_eq(addr(2), B + 0x1000);
	cr_expect_eq(addr(3), B + 0x2000);
	EXPECT("dma_api.leaked", 3);
	done();
	RUN("", "dmamap t=1us dev=01:00.0 buf=1 size=0x100 pa=0x100001a40 dir=w\n",
	    "dma_api.mode=bounce", "dma_api.swiotlb.min_align_mask=0xfff", NULL);
	cr_expect_eq(addr(1), B + 0xa40);
	done();
}

/* A 256 KiB pool (128 slots): two 96 KiB maps take slots 0-47 and 48-95; a
 * third needs 48 of the 32 left: "swiotlb buffer is full", refused (busy);
 * its DMA is dropped and its unmap only forgets it.  A map over 256 KiB is
 * refused at once (range).  After buf 1's unmap, buf 4 searches from index 96
 * (16 iterations) and wraps to slot 0 (17th): 1 + 1 + 0 + 17 = 19 searched. */
Test(dma_api, full_pool_refuses_maps_and_drops_their_dmas)
{
	RUN("", "dmamap t=1us dev=01:00.0 buf=1 size=96K pa=0x100000000 dir=r\n"
		"dmamap t=3us dev=01:00.0 buf=2 size=96K pa=0x100100000 dir=r\n"
		"dmamap t=5us dev=01:00.0 buf=3 size=96K pa=0x100200000 dir=r\n"
		"dma t=6us dev=01:00.0 buf=3 iova=0 size=64 dir=r\n"
		"dmaunmap t=7us dev=01:00.0 buf=3\n"
		"dmamap t=8us dev=01:00.0 buf=5 size=0x40001 pa=0x100300000 dir=r\n"
		"dmaunmap t=10us dev=01:00.0 buf=1\n"
		"dmamap t=12us dev=01:00.0 buf=4 size=96K pa=0x100400000 dir=r\n",
	    "dma_api.mode=bounce", "dma_api.swiotlb.size=256K", NULL);
	EXPECT("dma_api.maps", 3);
	EXPECT("dma_api.rejected", 2);
	EXPECT("dma_api.pool_full", 1);
	EXPECT("dma_api.too_big", 1);
	EXPECT("dma_api.dmas_dropped", 1);
	EXPECT("dma_api.unmaps_of_failed", 1);
	EXPECT("dma_api.unmaps", 1);
	EXPECT("dma_api.slots_searched", 19);
	cr_expect_eq(R.rejected, 3u); /* two maps, and the DMA on the refused buffer */
	cr_expect_eq(R.rejected_by[IOM_REJ_BUSY], 1u);
	cr_expect_eq(R.rejected_by[IOM_REJ_RANGE], 1u);
	cr_expect_eq(R.rejected_by[IOM_REJ_NOT_MAPPED], 1u);
	cr_expect_eq(R.dma_records, 0u); /* the one DMA was dropped */
	cr_expect_eq(addr(4), B);
	done();
}

/* ---- dma-direct ------------------------------------------------------------ */

/* dma_bits 32: pa 0x10000 is addressable (address = pa); pa 4 GiB is not and
 * bounces to slot 0 (B). */
Test(dma_api, identity_maps_are_physical_and_unaddressable_buffers_bounce)
{
	RUN("", "dmamap t=1us dev=01:00.0 buf=1 size=0x1000 pa=0x10000 dir=w\n"
		"dmamap t=3us dev=01:00.0 buf=2 size=0x1000 pa=0x100000000 dir=w\n",
	    "dma_api.mode=identity", "dma_api.dma_bits=32", NULL);
	cr_expect_eq(addr(1), 0x10000u);
	cr_expect_eq(addr(2), B);
	EXPECT("dma_api.maps_direct", 1);
	EXPECT("dma_api.maps_bounce", 1);
	EXPECT("dma_api.bounced_for_limit", 1);
	EXPECT("dma_api.default_domains", 1);
	done();
}

/* One CPU does one call at a time: two identity maps at 1 us, the second
 * waits 20 ns: map latencies 20 + 40 ns. */
Test(dma_api, a_cpu_runs_one_call_at_a_time)
{
	RUN("", "dmamap t=1us dev=01:00.0 buf=1 size=0x1000 pa=0x10000 dir=w\n"
		"dmamap t=1us dev=01:00.0 buf=2 size=0x1000 pa=0x20000 dir=w\n",
	    "dma_api.mode=identity", NULL);
	EXPECT("dma_api.cpu_waits", 1);
	EXPECT("dma_api.cpu_wait_ps", 20000);
	cr_expect_eq(hsum("dma_api.map_latency"), 60000u);
	done();
}

/* Two CPUs, one swiotlb area: buf 0 (CPU 0) holds the area lock over
 * [20, 52] ns; buf 1 (CPU 1) reaches it at 20 ns and waits 32 ns, holds it
 * over [52, 84] ns.  2 KiB maps: copy 20 + 204.8 ns; latencies 276.8 and
 * 308.8 ns. */
Test(dma_api, swiotlb_area_lock_is_contended_across_cpus)
{
	RUN("", "dmamap t=1us dev=01:00.0 buf=0 size=0x800 pa=0x100000000 dir=r\n"
		"dmamap t=1us dev=01:00.0 buf=1 size=0x800 pa=0x100001000 dir=r\n",
	    "dma_api.mode=bounce", "dma_api.ncpus=2", "dma_api.swiotlb.areas=1", NULL);
	EXPECT("dma_api.lock_waits", 1);
	EXPECT("dma_api.lock_wait_ps", 32000);
	EXPECT("dma_api.cpu_waits", 0);
	cr_expect_eq(hsum("dma_api.map_latency"), 276800u + 308800u);
	done();
	/* with two areas (Linux's default for 2 CPUs) CPU 1 searches area 1 */
	RUN("", "dmamap t=1us dev=01:00.0 buf=0 size=0x800 pa=0x100000000 dir=r\n"
		"dmamap t=1us dev=01:00.0 buf=1 size=0x800 pa=0x100001000 dir=r\n",
	    "dma_api.mode=bounce", "dma_api.ncpus=2", NULL);
	EXPECT("dma_api.lock_waits", 0);
	cr_expect_eq(addr(1), B + (32ull << 20)); /* area 1 = the pool's second half */
	done();
}

/* The DMA on a buffer starts when its map returned and the unmap waits for
 * the DMA: the same trace in bounce and identity mode differs by the map's
 * extra 481.6 - 20 = 461.6 ns in when the DMA ends (same translation: the
 * identity domain; same memory latency), and an identity unmap (20 ns)
 * starts when the DMA ended: I/O latency = DMA end - 1 us + 20 ns. */
Test(dma_api, dma_waits_for_its_map_and_unmap_for_the_dma)
{
	static const char t[] = "dmamap t=1us dev=01:00.0 buf=1 size=0x1000 pa=0x100000000 dir=r\n"
				"dma t=1us dev=01:00.0 buf=1 iova=0 size=0x1000 dir=r\n"
				"dmaunmap t=1us dev=01:00.0 buf=1\n";
	RUN("", t, "dma_api.mode=identity", NULL);
	uint64_t end_id = S->sim_end_ps;
	cr_expect_eq(hsum("dma_api.io_latency"), end_id - 1000000 + 20000);
	done();
	RUN("", t, "dma_api.mode=bounce", NULL);
	cr_expect_eq(S->sim_end_ps, end_id + 461600);
	done();
}

/* ---- dma-iommu --------------------------------------------------------------- */

/* Top-down below 4 GiB (32-bit first): buf 9, mapped first and kept, takes
 * 0xfffff000 and keeps the L3 table alive (the host frees an emptied table
 * and then invalidates at once, even in lazy mode, so nothing would be
 * queued); buf 1 gets 0xffffe000.  Strict frees it at unmap, so the next
 * map gets it again; lazy keeps it until the flush queue flushes (10 ms
 * timer): the next map gets 0xffffd000, and a map after the timer the freed
 * 0xffffe000 (the per-CPU range cache hands back the last freed) + its
 * offset 0x800. */
#define KEEPER "dmamap t=0us dev=01:00.0 buf=9 size=0x1000 pa=0x1000000 dir=rw\n"

Test(dma_api, strict_reuses_the_iova_and_lazy_waits_for_the_flush)
{
	static const char t[] = KEEPER
		"dmamap t=1us dev=01:00.0 buf=1 size=0x1000 pa=0x100000000 dir=w\n"
		"dmaunmap t=3us dev=01:00.0 buf=1\n"
		"dmamap t=5us dev=01:00.0 buf=2 size=0x1000 pa=0x100001000 dir=w\n";
	RUN("", t, "host.invalidation=strict", NULL);
	cr_expect_eq(addr(9), 0xfffff000u);
	cr_expect_eq(addr(2), 0xffffe000u);
	EXPECT("dma_api.iova.01:00.0.frees", 1);
	EXPECT("dma_api.unmaps_deferred", 0);
	done();
	RUN("", t, "host.invalidation=lazy", NULL);
	cr_expect_eq(addr(2), 0xffffd000u);
	EXPECT("dma_api.iova.01:00.0.frees", 0);
	EXPECT("dma_api.unmaps_deferred", 1);
	done();
	RUN("", KEEPER "dmamap t=1us dev=01:00.0 buf=1 size=0x1000 pa=0x100000000 dir=w\n"
		"dmaunmap t=3us dev=01:00.0 buf=1\n"
		"dmamap t=20ms dev=01:00.0 buf=3 size=0x800 pa=0x100002800 dir=w\n",
	    "host.invalidation=lazy", NULL);
	EXPECT("dma_api.deferred_frees", 1);
	cr_expect_eq(addr(3), 0xffffe800u);
	done();
}

/* An unmap that empties its page table is invalidated at once (host.c), so
 * its IOVA is freed at once even in lazy mode. */
Test(dma_api, lazy_unmap_that_frees_a_table_frees_its_iova_at_once)
{
	RUN("", "dmamap t=1us dev=01:00.0 buf=1 size=0x1000 pa=0x100000000 dir=w\n"
		"dmaunmap t=3us dev=01:00.0 buf=1\n",
	    "host.invalidation=lazy", NULL);
	EXPECT("dma_api.unmaps_deferred", 0);
	EXPECT("dma_api.iova.01:00.0.frees", 1);
	done();
}

/* flush_batch 4: the queue flushes when 3 are queued.  Unmaps 1-3 queue
 * (no IOVA free); unmap 4 flushes first (3 freed), then queues itself. */
Test(dma_api, lazy_full_queue_frees_what_it_flushed)
{
	RUN("", KEEPER "dmamap t=1us dev=01:00.0 buf=1 size=0x1000 pa=0x100000000 dir=w\n"
		"dmamap t=3us dev=01:00.0 buf=2 size=0x1000 pa=0x100001000 dir=w\n"
		"dmamap t=5us dev=01:00.0 buf=3 size=0x1000 pa=0x100002000 dir=w\n"
		"dmamap t=7us dev=01:00.0 buf=4 size=0x1000 pa=0x100003000 dir=w\n"
		"dmaunmap t=9us dev=01:00.0 buf=1\n"
		"dmaunmap t=11us dev=01:00.0 buf=2\n"
		"dmaunmap t=13us dev=01:00.0 buf=3\n"
		"dmaunmap t=15us dev=01:00.0 buf=4\n",
	    "host.invalidation=lazy", "host.flush_batch=4", NULL);
	EXPECT("dma_api.unmaps_deferred", 4);
	EXPECT("dma_api.deferred_frees", 3);
	EXPECT("dma_api.iova.01:00.0.frees", 3);
	EXPECT("host.fq_flushes_full", 1);
	done();
}

/* Map time = map_ps + the allocator's cost + pte_ps per page; a strict
 * unmap = unmap_ps + pte_ps per page + the host unmap (invalidation wait) +
 * the allocator's free.  A 0x1800-byte buffer at page offset 0x800 covers 2
 * pages (iova_align(size + offset)). */
Test(dma_api, iommu_costs_add_up_per_call)
{
	RUN("", "dmamap t=1us dev=01:00.0 buf=1 size=0x1800 pa=0x100000800 dir=r\n"
		"dmaunmap t=5us dev=01:00.0 buf=1\n",
	    "host.invalidation=strict", NULL);
	cr_expect_eq(hsum("dma_api.map_latency"), 100000 + hsum("dma_api.iova_alloc_ps") + 2 * 20000);
	cr_expect_eq(hsum("dma_api.unmap_latency"), 100000 + 2 * 20000 +
							    hsum("dma_api.inval_wait_ps") +
							    hsum("dma_api.iova_free_ps"));
	cr_expect_gt(hsum("dma_api.inval_wait_ps"), 0u); /* strict waits for the CMD_SYNC */
	EXPECT("host.maps", 1);
	EXPECT("host.map_bytes", 0x2000);
	done();
}

/* The device's DMA mask caps the IOVA: 30 bits -> 0x3ffff000.  A reserved
 * region at the top of the 32-bit space (resv.regions) is skipped:
 * 0xfff00000-0xffffffff reserved -> 0xffeff000. */
Test(dma_api, dma_mask_and_reserved_regions_bound_the_iova)
{
	RUN("", "dmamap t=1us dev=01:00.0 buf=1 size=0x1000 pa=0x100000000 dir=w\n",
	    "dma_api.dma_bits=30", NULL);
	cr_expect_eq(addr(1), 0x3ffff000u);
	done();
	RUN("resv:\n  regions:\n    - {dev: \"01:00.0\", base: 0xfff00000, size: 0x100000, "
	    "type: reserved}\n",
	    "dmamap t=1us dev=01:00.0 buf=1 size=0x1000 pa=0x100000000 dir=w\n", NULL);
	cr_expect_eq(addr(1), 0xffeff000u);
	done();
}

/* A device the trace attached keeps its domain: a paging domain 1 of the
 * trace gets an allocator named dom1; bounce mode cannot use it. */
Test(dma_api, trace_domains_are_used_and_bounce_on_paging_is_not_implemented)
{
	static const char t[] = "domain t=0ns op=create domain=1\n"
				"attach t=0ns dev=01:00.0 domain=1\n"
				"dmamap t=1us dev=01:00.0 buf=1 size=0x1000 pa=0x100000000 dir=w\n";
	RUN("", t, NULL);
	EXPECT("dma_api.iova.dom1.allocs", 1);
	EXPECT("dma_api.default_domains", 0);
	done();
	cr_expect_eq(run_rc("", t, "dma_api.mode=bounce", NULL), -IOM_ENOTSUP);
	cr_expect(strstr(E.msg, "t.trace:4") && strstr(E.msg, "not implemented"), "%s", E.msg);
	done();
}

/* ---- trace consistency ----------------------------------------------------- */

Test(dma_api, unknown_buffers_and_bad_offsets_end_the_replay_with_the_line)
{
	cr_expect_eq(run_rc("", "dma t=1us dev=01:00.0 buf=9 iova=0 size=64 dir=r\n", NULL),
		     -IOM_ENOENT);
	cr_expect(strstr(E.msg, "t.trace:2") && strstr(E.msg, "buf 9 is not mapped"), "%s", E.msg);
	done();
	cr_expect_eq(run_rc("", "dmamap t=1us dev=01:00.0 buf=1 size=0x100 pa=0x10000 dir=r\n"
				"dma t=2us dev=01:00.0 buf=1 iova=0xc0 size=0x41 dir=r\n", NULL),
		     -IOM_EINVAL);
	cr_expect(strstr(E.msg, "t.trace:3") && strstr(E.msg, "beyond buf 1"), "%s", E.msg);
	done();
}

Test(dma_api, inconsistent_calls_are_rejected_with_a_reason)
{
	RUN("", "dmamap t=1us dev=01:00.0 buf=1 size=0x100 pa=0x10000 dir=r\n"
		"dmamap t=2us dev=01:00.0 buf=1 size=0x100 pa=0x20000 dir=r\n"
		"dmaunmap t=3us dev=01:00.0 buf=2\n"
		"dmaunmap t=4us dev=02:00.0 buf=1\n",
	    NULL);
	cr_expect_eq(R.rejected, 3u);
	cr_expect_eq(R.rejected_by[IOM_REJ_EXISTS], 1u);
	cr_expect_eq(R.rejected_by[IOM_REJ_NOT_MAPPED], 1u);
	cr_expect_eq(R.rejected_by[IOM_REJ_INVALID], 1u);
	EXPECT("dma_api.maps", 1);
	EXPECT("dma_api.leaked", 1);
	done();
}
