/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_resv_cli.c - reserved regions end to end: `iommusim resv` as a user
 * runs it (stdout and stderr apart, exit codes from docs/cli.md) and the
 * replay with resv.uapi map validation and the device-limit scenario of
 * traces/examples/resv-nvme*.  Expected lists are those of
 * algorithms-reference.md Appendix A.2 (derived in tests/host/test_resv.c);
 * expected counts are worked out from each trace in its comment.
 */
#include "tools-test.h"

#define EX IOM_SOURCE_DIR "/traces/examples/"

TestSuite(resv_cli, .init = tt_setup, .fini = tt_teardown, .timeout = 60);

/* ---- iommusim resv ---------------------------------------------------------- */

Test(resv_cli, default_system_lists_the_sw_msi_window_of_any_device)
{
	const char *a[] = {"resv", NULL};
	struct tt_run r = tt_run(a);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "/sys/kernel/iommu_groups/0/reserved_regions  (any device):\n"
	                        "0x0000000008000000 0x00000000080fffff msi\n");
	cr_expect(strstr(r.err, "no device is described") != NULL, "%s", r.err);
	tt_run_free(&r);
}

Test(resv_cli, vtd_vfio_ranges_are_those_of_appendix_a2)
{
	const char *a[] = {"resv", "--set", "system.iommu=vtd", "--uapi", "vfio", NULL};
	struct tt_run r = tt_run(a);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out,
	                 "/sys/kernel/iommu_groups/0/reserved_regions  (any device):\n"
	                 "0x00000000fee00000 0x00000000feefffff msi\n"
	                 "VFIO type1 IOVA ranges (VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE), 2:\n"
	                 "  0x0000000000000000 0x00000000fedfffff\n"
	                 "  0x00000000fef00000 0x0000ffffffffffff\n");
	tt_run_free(&r);
}

/* RP 00:01.0 with ACS -> NIC 01:00.0 with a non-relaxable RMRR; RP 00:02.0
 * -> USB 02:00.0 with a relaxable one: groups {RP1}=0, {RP2}=1, {NIC}=2,
 * {USB}=3 (reference 4.5: devices added bus by bus, example G1). */
static const char TWO[] =
    "system: {iommu: vtd}\n"
    "pcie:\n  enable_acs: true\n  functions:\n"
    "    - {name: rp1, type: root_port, dev: 1, acs: true, acs_cap: 0x1f}\n"
    "    - {name: rp2, type: root_port, dev: 2, acs: true, acs_cap: 0x1f}\n"
    "    - {name: nic, parent: rp1, resv: [{base: 0x7b000000, size: 1M, type: direct}]}\n"
    "    - {name: usb, parent: rp2, resv: [{base: 0x7a000000, size: 1M, type: "
    "direct_relaxable}]}\n";

Test(resv_cli, one_group_prints_its_sysfs_file_and_the_rmrr_verdicts)
{
	spits(tpath("two.yaml"), TWO);
	const char *a[] = {"resv", tpath("two.yaml"), "--group", "2", "--uapi", "vfio", NULL};
	struct tt_run r = tt_run(a);
	cr_expect_eq(r.status, 0, "%s", r.err);
	/* sorted by start: the RMRR below the interrupt range */
	cr_expect(!strncmp(r.out,
	                   "0x000000007b000000 0x000000007b0fffff direct\n"
	                   "0x00000000fee00000 0x00000000feefffff msi\n"
	                   "VFIO attach refused: -EINVAL: ",
	                   strlen("0x000000007b000000 0x000000007b0fffff direct\n"
	                          "0x00000000fee00000 0x00000000feefffff msi\n"
	                          "VFIO attach refused: -EINVAL: ")),
	          "%s", r.out);
	tt_run_free(&r);
	const char *b[] = {"resv", tpath("two.yaml"), "--dev", "02:00.0", "--uapi", "vfio", NULL};
	r = tt_run(b);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out,
	                 "0x000000007a000000 0x000000007a0fffff direct-relaxable\n"
	                 "0x00000000fee00000 0x00000000feefffff msi\n"
	                 "VFIO type1 IOVA ranges (VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE), 2:\n"
	                 "  0x0000000000000000 0x00000000fedfffff\n"
	                 "  0x00000000fef00000 0x0000ffffffffffff\n");
	tt_run_free(&r);
}

Test(resv_cli, json_has_the_groups_regions_and_ranges)
{
	spits(tpath("two.yaml"), TWO);
	const char *a[] = {"resv",   "--config", tpath("two.yaml"), "--uapi", "iommufd",
	                   "--json", NULL};
	struct tt_run r = tt_run(a);
	cr_assert_eq(r.status, 0, "%s", r.err);
	spits(tpath("out.json"), r.out);
	json_t *doc = load_json(tpath("out.json"));
	cr_expect_str_eq(json_string_value(json_object_get(doc, "aperture_last")),
	                 "0xffffffffffff");
	json_t *g = json_object_get(doc, "groups");
	cr_assert_eq(json_array_size(g), 4);
	json_t *nic = json_array_get(g, 2), *usb = json_array_get(g, 3);
	cr_expect_str_eq(json_string_value(json_array_get(json_object_get(nic, "devices"), 0)),
	                 "0000:01:00.0");
	cr_expect_str_eq(json_string_value(json_object_get(nic, "attach")), "-EINVAL");
	cr_expect_str_eq(json_string_value(json_object_get(usb, "attach")), "ok");
	json_t *ra = json_object_get(usb, "iova_ranges");
	cr_assert_eq(json_array_size(ra), 2);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(ra, 1), "start")),
	                 "0xfef00000");
	json_t *reg = json_array_get(json_object_get(usb, "regions"), 0);
	cr_expect_str_eq(json_string_value(json_object_get(reg, "type")), "direct_relaxable");
	cr_expect_str_eq(json_string_value(json_object_get(reg, "source")), "firmware");
	json_decref(doc);
	tt_run_free(&r);
}

Test(resv_cli, separate_policy_prints_the_ranges_below_the_device_limit)
{
	const char *a[] = {"resv",  EX "resv-nvme.yaml",          "--dev", "01:00.0",
	                   "--set", "resv.device_limit=separate", NULL};
	struct tt_run r = tt_run(a);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out,
	                 "0x0000000008000000 0x00000000080fffff msi\n"
	                 "VFIO type1 IOVA ranges (VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE), 2:\n"
	                 "  0x0000000000000000 0x0000000007ffffff\n"
	                 "  0x0000000008100000 0x0000ffffffffffff\n"
	                 "MSI doorbells are mapped by the kernel at 0x8000000 (sw-msi)\n"
	                 "device addressing limit 0x3ffffffffff (reported separately); usable "
	                 "at or below it:\n"
	                 "  0x0000000000000000 0x0000000007ffffff\n"
	                 "  0x0000000008100000 0x000003ffffffffff\n");
	tt_run_free(&r);
}

Test(resv_cli, exit_codes_follow_the_conventions)
{
	char bad[256], baddev[256], missing[256]; /* tpath's buffers are reused by tt_run() */
	snprintf(bad, sizeof(bad), "%s", tpath("bad.yaml"));
	snprintf(baddev, sizeof(baddev), "%s", tpath("baddev.yaml"));
	snprintf(missing, sizeof(missing), "%s", tpath("missing.yaml"));
	spits(bad, "resv:\n  bogus: 1\n");
	spits(baddev, "resv:\n  devices: [{dev: \"1:2.3\"}]\n");
	struct {
		const char *args[6];
		int status;
	} cases[] = {
	    {{"resv", "--bogus", NULL}, 1},
	    {{"resv", "--uapi", "dpdk", NULL}, 1},
	    {{"resv", "--group", "1", "--dev", "01:00.0", NULL}, 1},
	    {{"resv", "--group", "9", NULL}, 2},
	    {{"resv", "--dev", "07:00.0", NULL}, 2},
	    {{"resv", bad, NULL}, 2},
	    {{"resv", baddev, NULL}, 2},
	    {{"resv", missing, NULL}, 3},
	    {{"resv", "--help", NULL}, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tt_run r = tt_run(cases[i].args);
		cr_expect_eq(r.status, cases[i].status, "case %zu: exit %d, expected %d: %s", i,
		             r.status, cases[i].status, r.err);
		tt_run_free(&r);
	}
}

/* ---- the replay ------------------------------------------------------------- */

/* replay TRACE with CONFIG and --set options (NULL-terminated), JSON result. */
static json_t *replay(const char *config, const char *trace, const char *const *sets,
                      struct tt_run *out)
{
	const char *a[24] = {"replay", trace, "--json", tpath("r.json")};
	size_t n = 4;
	if (config)
		a[n++] = "--config", a[n++] = config;
	for (size_t i = 0; sets && sets[i] && n < 22; i++)
		a[n++] = "--set", a[n++] = sets[i];
	a[n] = NULL;
	struct tt_run r = tt_run(a);
	cr_assert_eq(r.status, 0, "replay exit %d: %s", r.status, r.err);
	json_t *doc = load_json(tpath("r.json"));
	if (out)
		*out = r;
	else
		tt_run_free(&r);
	return doc;
}

Test(resv_cli, qemu_allocator_top_buffer_above_2_pow_42_is_flagged_under_ignore)
{
	/* ignore: the list reaches 0xffffffffffff; the two 64 KiB buffers at the
	 * top are mapped and their DMA (2 x 0x10000 bytes, all above 2^42) flagged */
	const char *s[] = {"resv.device_limit=ignore", NULL};
	struct tt_run r;
	json_t *d = replay(EX "resv-nvme.yaml", EX "resv-nvme-ignore.trace", s, &r);
	cr_expect_eq(rstat(d, "resv.dma_above_limit"), 2);
	cr_expect_eq(rstat(d, "resv.dma_above_limit_bytes"), 0x20000);
	cr_expect_eq(rstat(d, "resv.maps_above_limit"), 2);
	cr_expect_eq(rstat(d, "replay.rejected"), 0);
	cr_expect(strstr(r.err, "resv-nvme-ignore.trace:15: DMA above the device's addressing "
	                        "limit") != NULL,
	          "%s", r.err);
	json_t *dom = json_array_get(json_object_get(json_object_get(d, "resv"), "domains"), 0);
	json_t *ra = json_object_get(dom, "iova_ranges");
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(ra, 1), "last")),
	                 "0xffffffffffff");
	json_decref(d);
	tt_run_free(&r);
}

Test(resv_cli, the_same_trace_under_reserved_has_its_top_maps_refused)
{
	/* reserved: [2^42, 2^64 - 1] is a reserved region; both top maps are
	 * -EINVAL (reason reserved), their unmaps find nothing (not_mapped) */
	const char *s[] = {"resv.device_limit=reserved", NULL};
	json_t *d = replay(EX "resv-nvme.yaml", EX "resv-nvme-ignore.trace", s, NULL);
	cr_expect_eq(rstat(d, "replay.rejected.reserved"), 2);
	cr_expect_eq(rstat(d, "resv.refused.einval"), 2);
	cr_expect_eq(rstat(d, "replay.rejected.not_mapped"), 2);
	json_decref(d);
}

Test(resv_cli, the_allocator_on_the_clipped_list_works_under_reserved_and_separate)
{
	const char *pol[] = {"resv.device_limit=reserved", "resv.device_limit=separate"};
	for (int i = 0; i < 2; i++) {
		const char *s[] = {pol[i], NULL};
		json_t *d = replay(EX "resv-nvme.yaml", EX "resv-nvme-limit.trace", s, NULL);
		cr_expect_eq(rstat(d, "resv.dma_above_limit"), 0, "%s", pol[i]);
		cr_expect_eq(rstat(d, "resv.maps_above_limit"), 0);
		cr_expect_eq(rstat(d, "replay.rejected"), 0);
		cr_expect_eq(rstat(d, "resv.maps_checked"), 4);
		json_decref(d);
	}
}

static const char ERRS_TRACE[] =
    HDR "domain t=0ns op=create domain=1\n"
        "attach t=0ns dev=01:00.0 domain=1\n"
        /* straddles the end of [0, 0x7ffffff]: -EINVAL, reserved */
        "map t=1ns domain=1 iova=0x7fff000 size=0x2000 pa=0x1000000 prot=rw\n"
        /* inside sw-msi: -EINVAL, reserved */
        "map t=2ns domain=1 iova=0x8000000 size=0x1000 pa=0x1000000 prot=rw\n"
        "map t=3ns domain=1 iova=0x100000 size=0x1000 pa=0x1000000 prot=rw\n"
        /* the same again: -EEXIST */
        "map t=4ns domain=1 iova=0x100000 size=0x1000 pa=0x1000000 prot=rw\n"
        /* size not a multiple of 4 KiB: -EINVAL, invalid */
        "map t=5ns domain=1 iova=0x200000 size=0x800 pa=0x1000000 prot=rw\n"
        "map t=6ns domain=1 iova=0x300000 size=0x1000 pa=0x1001000 prot=rw\n"
        /* a third mapping with dma_entry_limit 2: -ENOSPC */
        "map t=7ns domain=1 iova=0x400000 size=0x1000 pa=0x1002000 prot=rw\n"
        /* an unmap not aligned to 4 KiB: -EINVAL, invalid */
        "unmap t=8ns domain=1 iova=0x100800 size=0x800\n";

Test(resv_cli, each_map_error_is_a_rejection_with_the_kernel_errno)
{
	spits(tpath("e.trace"), ERRS_TRACE);
	const char *s[] = {"resv.uapi=vfio", "resv.dma_entry_limit=2", NULL};
	struct tt_run r;
	json_t *d = replay(NULL, tpath("e.trace"), s, &r);
	cr_expect_eq(rstat(d, "resv.maps_checked"), 7);
	cr_expect_eq(rstat(d, "resv.maps_refused"), 5);
	cr_expect_eq(rstat(d, "resv.unmaps_refused"), 1);
	cr_expect_eq(rstat(d, "resv.refused.einval"), 4);
	cr_expect_eq(rstat(d, "resv.refused.eexist"), 1);
	cr_expect_eq(rstat(d, "resv.refused.enospc"), 1);
	cr_expect_eq(rstat(d, "replay.rejected.reserved"), 2);
	cr_expect_eq(rstat(d, "replay.rejected.exists"), 1);
	cr_expect_eq(rstat(d, "replay.rejected.busy"), 1);
	cr_expect_eq(rstat(d, "replay.rejected.invalid"), 2);
	cr_expect(strstr(r.err, "e.trace:4: rejected map: map refused (vfio): -EINVAL: ") != NULL,
	          "%s", r.err);
	cr_expect(strstr(r.err, "e.trace:10: rejected map: map refused (vfio): -ENOSPC: ") != NULL,
	          "%s", r.err);
	json_decref(d);
	tt_run_free(&r);
}

Test(resv_cli, a_device_with_a_non_relaxable_rmrr_cannot_be_attached)
{
	/* nic (01:00.0): direct RMRR -> attach rejected (reserved), its DMA then
	 * faults as the device has no domain; usb (02:00.0): relaxable -> fine */
	spits(tpath("two.yaml"), TWO);
	spits(tpath("a.trace"), HDR "domain t=0ns op=create domain=1\n"
	                            "domain t=0ns op=create domain=2\n"
	                            "attach t=0ns dev=01:00.0 domain=1\n"
	                            "attach t=0ns dev=02:00.0 domain=2\n"
	                            "map t=1ns domain=2 iova=0x7a000000 size=0x1000 pa=0x1000000 "
	                            "prot=rw\n");
	const char *s[] = {"resv.uapi=iommufd", NULL};
	json_t *d = replay(tpath("two.yaml"), tpath("a.trace"), s, NULL);
	cr_expect_eq(rstat(d, "resv.attach_refused"), 1);
	cr_expect_eq(rstat(d, "replay.rejected.reserved"), 1);
	cr_expect_eq(rstat(d, "replay.rejected"), 1);
	json_decref(d);
}

Test(resv_cli, a_resv_record_adds_a_region_from_the_next_attach)
{
	/* default system, uapi vfio: the record reserves [0x40000000, +1M) for
	 * 01:00.0; a map there after the attach is refused */
	spits(tpath("r.trace"), HDR "resv t=0ns dev=01:00.0 iova=0x40000000 size=0x100000 "
	                            "op=reserved\n"
	                            "domain t=0ns op=create domain=1\n"
	                            "attach t=0ns dev=01:00.0 domain=1\n"
	                            "map t=1ns domain=1 iova=0x40000000 size=0x1000 pa=0x1000000 "
	                            "prot=rw\n"
	                            "map t=2ns domain=1 iova=0x40100000 size=0x1000 pa=0x1000000 "
	                            "prot=rw\n");
	const char *s[] = {"resv.uapi=vfio", NULL};
	json_t *d = replay(NULL, tpath("r.trace"), s, NULL);
	cr_expect_eq(rstat(d, "resv.records"), 1);
	cr_expect_eq(rstat(d, "replay.rejected.reserved"), 1);
	cr_expect_eq(rstat(d, "replay.rejected"), 1);
	json_decref(d);
	/* without uapi validation the record is still accepted (no longer
	 * "not implemented") and nothing is refused */
	d = replay(NULL, tpath("r.trace"), NULL, NULL);
	cr_expect_eq(rstat(d, "resv.records"), 1);
	cr_expect_eq(rstat(d, "replay.rejected"), 0);
	json_decref(d);
}

Test(resv_cli, runs_without_a_resv_description_are_unchanged)
{
	json_t *d = replay(NULL, SMALL, NULL, NULL);
	cr_expect_null(json_object_get(json_object_get(d, "stats"), "resv.records"));
	cr_expect_null(json_object_get(d, "resv"));
	cr_expect_eq(rstat(d, "replay.rejected"), 0);
	json_decref(d);
}
