/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_resv_dmaapi.c - the device-limit scenario live: a user-space driver's
 * allocator (dma_api.driver = vfio_user, allocator bottom_top = QEMU's
 * util/vfio-helpers.c) placing the buffers of traces/examples/
 * resv-nvme-dmaapi.trace in the IOVA ranges VFIO type1 reports, under each
 * resv.device_limit policy (docs/resv.md, docs/dma-api.md).
 *
 * Expected IOVAs are worked out by hand:
 *  - the system (resv-nvme-dmaapi.yaml): SMMUv3, 48-bit IOVAs (aperture
 *    [0, 0xffffffffffff]), 4 KB granule, software MSI window [0x8000000,
 *    0x80fffff]; the NVMe 01:00.0 has a 42-bit firmware limit, so it emits
 *    at most 0x3ffffffffff;
 *  - the VFIO type1 list (algorithms-reference 5.3, Appendix A.2): ignore
 *    and separate [0, 0x7ffffff], [0x8100000, 0xffffffffffff]; reserved
 *    (a region [2^42, 2^64 - 1]) [0, 0x7ffffff], [0x8100000, 0x3ffffffffff];
 *  - vfio_user: the allocator's holes are that list's, plus [0, 0xffff]
 *    (QEMU_VFIO_IOVA_MIN); its limit is the aperture end, under separate
 *    the reported limit 0x3ffffffffff;
 *  - bottom_top (docs/dma-api.md): long-lived (dir=rw) from low_water_mark
 *    = the first usable address upwards; temporary (dir=r/w) from
 *    high_water_mark = min(top of the list + 1, limit + 1) downwards, each
 *    size-sized buffer right below the previous one.
 * So queues buf 0 = 0x10000, buf 1 = 0x11000 under every policy; the 64 KiB
 * buffers buf 2 = top + 1 - 0x10000, buf 3 = top + 1 - 0x20000 with top + 1
 * = 2^48 (ignore) or 2^42 (reserved, separate).
 */
#include "tools-test.h"

#include "config.h"
#include "dma_api.h"
#include "replay-int.h"

#define EX IOM_SOURCE_DIR "/traces/examples/"
#define YAML EX "resv-nvme-dmaapi.yaml"
#define TRACE EX "resv-nvme-dmaapi.trace"
/* records of the trace before its two dmaunmaps (domain, attach, 4 dmamap,
 * 6 dma): the replay stopped there still has every buffer mapped */
#define BEFORE_UNMAPS 12

TestSuite(resv_dmaapi, .init = tt_setup, .fini = tt_teardown, .timeout = 60);

static struct iom_system *S;
static struct iom_config *C;
static struct iom_replay_result R;
static struct iom_err E;

/* Build the system from the config (file path, or yaml text when text is
 * true) with the NULL-terminated overrides; replay trace (max records, 0 =
 * all). Returns the replay's rc. */
static int run(const char *cfg, bool text, const char *trace, uint64_t max,
	       const char *const *set)
{
	C = text ? iom_config_load_string(cfg, "test.yaml", &E) : iom_config_load_file(cfg, &E);
	cr_assert_not_null(C, "%s", E.msg);
	for (size_t i = 0; set && set[i]; i++)
		cr_assert_eq(iom_config_set(C, set[i], &E), 0, "%s", E.msg);
	S = iom_system_build(C, &E);
	cr_assert_not_null(S, "%s", E.msg);
	struct iom_replay_opts o = {.trace_path = trace, .max_records = max};
	return iom_replay_run(S, &o, &R, &E);
}

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

static uint64_t addr(uint32_t buf)
{
	uint64_t a = 0;
	uint32_t path = 0;
	cr_assert(iom_dma_api_buf_addr(iom_sys_dmaapi_api(S), buf, &a, &path), "buf %u", buf);
	cr_expect_eq(path, IOM_DMA_PATH_IOMMU);
	return a;
}

static const struct {
	const char *policy;
	uint64_t top;     /* the first temporary buffer: the exact top IOVA handed out */
	uint64_t flagged; /* DMAs above the device's limit in the whole trace */
} POL[] = {
    /* 2^48 - 0x10000: above 2^42; the DMAs on buf 2 and 3 cannot be emitted */
    {"resv.device_limit=ignore", 0xffffffff0000ull, 2},
    /* 2^42 - 0x10000: the list ends at 0x3ffffffffff */
    {"resv.device_limit=reserved", 0x3ffffff0000ull, 0},
    /* 2^42 - 0x10000: the reported limit lowers high_water_mark to 2^42 */
    {"resv.device_limit=separate", 0x3ffffff0000ull, 0},
};

Test(resv_dmaapi, the_top_iova_follows_what_vfio_reports_under_each_policy)
{
	for (size_t i = 0; i < IOM_ARRAY_SIZE(POL); i++) {
		const char *set[] = {POL[i].policy, NULL};
		cr_assert_eq(run(YAML, false, TRACE, BEFORE_UNMAPS, set), 0, "%s", E.msg);
		cr_expect_eq(R.records, BEFORE_UNMAPS);
		cr_expect_eq(addr(0), 0x10000u, "%s: queue at QEMU_VFIO_IOVA_MIN", POL[i].policy);
		cr_expect_eq(addr(1), 0x11000u, "%s", POL[i].policy);
		cr_expect_eq(addr(2), POL[i].top, "%s: buf 2 at %#llx", POL[i].policy,
			     (unsigned long long)addr(2));
		cr_expect_eq(addr(3), POL[i].top - 0x10000, "%s: buf 3 at %#llx", POL[i].policy,
			     (unsigned long long)addr(3));
		done();
	}
}

Test(resv_dmaapi, dmas_above_the_limit_are_flagged_only_under_ignore)
{
	for (size_t i = 0; i < IOM_ARRAY_SIZE(POL); i++) {
		const char *set[] = {POL[i].policy, NULL};
		cr_assert_eq(run(YAML, false, TRACE, 0, set), 0, "%s", E.msg);
		cr_expect_eq(R.records, 14);
		cr_expect_eq(R.rejected, 0, "%s", POL[i].policy);
		cr_expect_eq(st("resv.dma_above_limit"), (double)POL[i].flagged, "%s",
			     POL[i].policy);
		/* each flagged DMA is a whole 64 KiB buffer above 2^42 */
		cr_expect_eq(st("resv.dma_above_limit_bytes"), (double)(POL[i].flagged * 0x10000));
		cr_expect_eq(st("dma_api.maps"), 4);
		cr_expect_eq(st("dma_api.unmaps"), 2);
		cr_expect_eq(st("dma_api.leaked"), 2); /* the queues */
		done();
	}
}

/* The same scenario through the command, as docs/resv.md gives it. */
Test(resv_dmaapi, the_command_reports_the_flagged_dmas)
{
	const char *a[] = {"replay", "--config", YAML, "--set", "resv.device_limit=ignore",
			   TRACE, NULL};
	struct tt_run r = tt_run(a);
	cr_expect_eq(r.status, 0, "%s", r.err);
	/* line 23: the DMA on buf 2, reaching 0xffffffff0000 + 0xffff */
	cr_expect(strstr(r.err, "resv-nvme-dmaapi.trace:23: DMA above the device's addressing "
				"limit: 01:00.0 reaches 0xffffffffffff") != NULL,
		  "%s", r.err);
	cr_expect(strstr(r.out, "2 DMAs above their device's limit (131072 bytes)") != NULL, "%s",
		  r.out);
	tt_run_free(&r);
}

/* The kernel DMA API on the same system knows bus_dma_limit under every
 * policy (iommu_dma_alloc_iova caps at min(dma_mask, bus_dma_limit)):
 * bottom_top from base_pfn 1 (0x1000) up, temporaries below 2^42. */
Test(resv_dmaapi, the_kernel_driver_honours_the_limit_even_under_ignore)
{
	const char *set[] = {"resv.device_limit=ignore", "dma_api.driver=kernel", NULL};
	cr_assert_eq(run(YAML, false, TRACE, BEFORE_UNMAPS, set), 0, "%s", E.msg);
	cr_expect_eq(addr(0), 0x1000u);
	cr_expect_eq(addr(2), 0x3ffffff0000ull);
	done();
	cr_assert_eq(run(YAML, false, TRACE, 0, set), 0, "%s", E.msg);
	cr_expect_eq(st("resv.dma_above_limit"), 0);
	done();
}

/* Long-lived maps from 0x10000: buf 0 (0x7fe0000 bytes) fills [0x10000,
 * 0x7feffff]; buf 1 (0x20000) does not fit in [0x7ff0000, 0x7ffffff] and
 * the software MSI window [0x8000000, 0x80fffff] is a hole of the VFIO
 * list, so it goes to the next range's start 0x8100000. */
Test(resv_dmaapi, the_sw_msi_window_is_a_hole_for_the_user_space_driver)
{
	spits(tpath("msi.trace"), HDR "domain t=0ns op=create domain=1\n"
				      "attach t=0ns dev=01:00.0 domain=1\n"
				      "dmamap t=0ns dev=01:00.0 buf=0 size=0x7fe0000 pa=0x10000000 dir=rw\n"
				      "dmamap t=1us dev=01:00.0 buf=1 size=0x20000 pa=0x20000000 dir=rw\n");
	cr_assert_eq(run(YAML, false, tpath("msi.trace"), 0, NULL), 0, "%s", E.msg);
	cr_expect_eq(addr(0), 0x10000u);
	cr_expect_eq(addr(1), 0x8100000u);
	done();
}

/* One container, two groups (no topology: each device is its own group):
 * 02:00.0 has a reserved region [0xffff00000000, 0xffffffffffff]; once both
 * are attached to domain 1, VFIO's list for the container ends at
 * 0xfffeffffffff, so 01:00.0's first temporary is 0xffff00000000 - 0x10000.
 * Without 02:00.0 in the container it is 2^48 - 0x10000. */
static const char TWO_YAML[] =
    "host:\n  ia_bits: 48\n"
    "resv:\n  uapi: vfio\n"
    "  regions:\n    - {dev: \"02:00.0\", base: 0xffff00000000, size: 0x100000000, "
    "type: reserved}\n"
    "dma_api:\n  driver: vfio_user\n  allocator: bottom_top\n";

Test(resv_dmaapi, the_holes_are_those_of_the_whole_container)
{
	spits(tpath("two.trace"), HDR "domain t=0ns op=create domain=1\n"
				      "attach t=0ns dev=01:00.0 domain=1\n"
				      "attach t=0ns dev=02:00.0 domain=1\n"
				      "dmamap t=1us dev=01:00.0 buf=2 size=0x10000 pa=0x2000000 dir=w\n");
	cr_assert_eq(run(TWO_YAML, true, tpath("two.trace"), 0, NULL), 0, "%s", E.msg);
	cr_expect_eq(addr(2), 0xfffeffff0000ull);
	done();
	spits(tpath("one.trace"), HDR "domain t=0ns op=create domain=1\n"
				      "attach t=0ns dev=01:00.0 domain=1\n"
				      "dmamap t=1us dev=01:00.0 buf=2 size=0x10000 pa=0x2000000 dir=w\n");
	cr_assert_eq(run(TWO_YAML, true, tpath("one.trace"), 0, NULL), 0, "%s", E.msg);
	cr_expect_eq(addr(2), 0xffffffff0000ull);
	done();
}

Test(resv_dmaapi, vfio_user_without_resv_uapi_vfio_is_a_config_error)
{
	const char *uapi[] = {"resv.uapi=off", "resv.uapi=iommufd"};
	for (size_t i = 0; i < IOM_ARRAY_SIZE(uapi); i++) {
		C = iom_config_load_file(YAML, &E);
		cr_assert_not_null(C, "%s", E.msg);
		cr_assert_eq(iom_config_set(C, uapi[i], &E), 0, "%s", E.msg);
		S = iom_system_build(C, &E);
		cr_expect_null(S, "%s accepted", uapi[i]);
		cr_expect_eq(E.code, IOM_EINVAL);
		cr_expect(strstr(E.msg, "dma_api.driver = vfio_user needs resv.uapi = vfio") != NULL,
			  "%s", E.msg);
		done();
	}
	/* the command: a bad configuration is exit code 2 (docs/cli.md) */
	const char *a[] = {"replay", "--config", YAML, "--set", "resv.uapi=off", TRACE, NULL};
	struct tt_run r = tt_run(a);
	cr_expect_eq(r.status, 2, "%s", r.err);
	cr_expect(strstr(r.err, "needs resv.uapi = vfio") != NULL, "%s", r.err);
	tt_run_free(&r);
}
