/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ats_replay.c - ATS through the iommusim command: DMA records with
 * at=treq take the device's ATS path when device.ats.enable (the host enables
 * ATS at attach), fall back to untranslated requests otherwise; at=t records
 * are Translated requests the IOMMU checks (SMMUv3 with smmu.atschk, VT-d
 * TT = 01b); results are deterministic.  Counters are derived from the trace
 * by hand (TLP counts: MPS 256 for writes, MRRS 512 for reads).
 */
#include "../tools/tools-test.h"

#include <jansson.h>

TestSuite(ats_replay, .init = tt_setup, .fini = tt_teardown, .timeout = 60);

#define run(...) tt_runqv(__VA_ARGS__, (const char *)NULL)

static bool has_stat(json_t *doc, const char *name)
{
	return json_object_get(json_object_get(doc, "stats"), name) != NULL;
}

/* Write 4 KB twice and read 4 KB of the next page (both miss once in the ATC),
 * unmap the first page (an ATC invalidation), read the second page again. */
static const char *const TRACE =
	HDR "domain t=0 op=create domain=1 type=paging\n"
	"attach t=1us dev=00:02.0 domain=1\n"
	"map t=2us domain=1 iova=0x100000 pa=0x80000000 size=0x4000 prot=rw\n"
	"dma t=10us dev=00:02.0 iova=0x100000 size=4096 dir=w at=treq\n"
	"dma t=20us dev=00:02.0 iova=0x100000 size=4096 dir=w at=treq\n"
	"dma t=30us dev=00:02.0 iova=0x101000 size=4096 dir=r at=treq\n"
	"unmap t=40us domain=1 iova=0x100000 size=0x1000\n"
	"dma t=50us dev=00:02.0 iova=0x101000 size=4096 dir=r at=treq\n";

Test(ats_replay, treq_records_use_the_atc_on_smmuv3)
{
	spits(tpath("t.trace"), TRACE);
	spits(tpath("c.yaml"), "device:\n  ats:\n    enable: true\n");
	cr_assert_eq(run("replay", tpath("t.trace"), "--config", tpath("c.yaml"), "--json",
			 tpath("r.json")), 0);
	json_t *d = load_json(tpath("r.json"));
	/* 16 + 16 write TLPs, 8 + 8 read TLPs; one miss per page before the unmap */
	cr_assert_eq(rstat(d, "dev.00:02.0.tlps"), 48);
	cr_assert_eq(rstat(d, "dev.00:02.0.ats.translated_tlps"), 48);
	cr_assert_eq(rstat(d, "dev.00:02.0.ats.tr"), 2);
	cr_assert_eq(rstat(d, "dev.00:02.0.atc.hits"), 46);
	cr_assert_eq(rstat(d, "smmu0.ats_tr"), 2);
	cr_assert_eq(rstat(d, "smmu0.ats_translated"), 48);
	/* ATC_INV: the whole ATC when ATS is enabled at attach, then the unmapped page */
	cr_assert_eq(rstat(d, "smmu0.cmd.ATC_INV"), 2);
	cr_assert_eq(rstat(d, "ats.inv_reqs"), 2);
	cr_assert_eq(rstat(d, "dev.00:02.0.atc.invalidated"), 1);
	cr_assert_eq(rstat(d, "dev.00:02.0.faulted_tlps"), 0);
	json_decref(d);
}

Test(ats_replay, treq_records_fall_back_to_untranslated_without_ats)
{
	spits(tpath("t.trace"), TRACE);
	cr_assert_eq(run("replay", tpath("t.trace"), "--json", tpath("r.json")), 0);
	json_t *d = load_json(tpath("r.json"));
	cr_assert_eq(rstat(d, "dev.00:02.0.tlps"), 48);
	cr_assert_eq(rstat(d, "smmu0.translations"), 48, "every TLP translated by the SMMU");
	cr_assert_eq(rstat(d, "smmu0.ats_tr"), 0);
	cr_assert_not(has_stat(d, "ats.inv_reqs"), "no root complex ATS side");
	json_decref(d);
}

Test(ats_replay, treq_records_use_the_atc_on_vtd)
{
	spits(tpath("t.trace"), TRACE);
	spits(tpath("c.yaml"), "system:\n  iommu: vtd\ndevice:\n  ats:\n    enable: true\n");
	cr_assert_eq(run("replay", tpath("t.trace"), "--config", tpath("c.yaml"), "--json",
			 tpath("r.json")), 0);
	json_t *d = load_json(tpath("r.json"));
	cr_assert_eq(rstat(d, "dev.00:02.0.ats.translated_tlps"), 48);
	cr_assert_eq(rstat(d, "dmar0.ats_tr"), 2);
	cr_assert_eq(rstat(d, "dmar0.ats_translated"), 48);
	/* VT-d flushes no device TLB at the first attach: only the unmap's */
	cr_assert_eq(rstat(d, "dmar0.cmd.DEVTLB"), 1);
	cr_assert_eq(rstat(d, "dev.00:02.0.atc.invalidated"), 1);
	json_decref(d);
}

static const char *const TRANSLATED =
	HDR "domain t=0 op=create domain=1 type=paging\n"
	"attach t=1us dev=00:02.0 domain=1\n"
	"dma t=10us dev=00:02.0 iova=0x80000000 size=256 dir=w at=t\n";

Test(ats_replay, translated_records_pass_without_atschk)
{
	spits(tpath("t.trace"), TRANSLATED);
	cr_assert_eq(run("replay", tpath("t.trace"), "--json", tpath("r.json")), 0);
	json_t *d = load_json(tpath("r.json"));
	cr_assert_eq(rstat(d, "smmu0.ats_translated"), 1, "CR0.ATSCHK = 0: unchecked");
	cr_assert_eq(rstat(d, "dev.00:02.0.faulted_tlps"), 0);
	json_decref(d);
}

Test(ats_replay, translated_records_are_forbidden_with_atschk_and_no_ats)
{
	spits(tpath("t.trace"), TRANSLATED);
	spits(tpath("c.yaml"), "smmu:\n  atschk: true\n");
	cr_assert_eq(run("replay", tpath("t.trace"), "--config", tpath("c.yaml"), "--json",
			 tpath("r.json")), 0);
	json_t *d = load_json(tpath("r.json"));
	cr_assert_eq(rstat(d, "smmu0.fault.F_TRANSL_FORBIDDEN"), 1);
	cr_assert_eq(rstat(d, "dev.00:02.0.faulted_tlps"), 1);
	json_decref(d);
}

Test(ats_replay, ats_results_are_byte_identical_across_runs)
{
	spits(tpath("t.trace"), TRACE);
	spits(tpath("c.yaml"), "device:\n  ats:\n    enable: true\n");
	cr_assert_eq(run("replay", tpath("t.trace"), "--config", tpath("c.yaml"), "--json",
			 tpath("a.json")), 0);
	cr_assert_eq(run("replay", tpath("t.trace"), "--config", tpath("c.yaml"), "--json",
			 tpath("b.json")), 0);
	size_t na, nb;
	char *a = slurp(tpath("a.json"), &na), *b = slurp(tpath("b.json"), &nb);
	cr_assert_eq(na, nb);
	cr_assert_eq(memcmp(a, b, na), 0);
	free(a);
	free(b);
}

Test(ats_replay, bad_ats_key_is_rejected_with_its_name)
{
	spits(tpath("t.trace"), TRACE);
	spits(tpath("c.yaml"), "device:\n  ats:\n    inval_queue_depth: 40\n");
	cr_assert_eq(run("replay", tpath("t.trace"), "--config", tpath("c.yaml")), 2);
}
