/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_sva_replay.c - the bundled traces/examples/sva-small.trace replayed
 * on the default SMMUv3 system, every key counter derived by hand below.
 *
 * Records: 17 = 5 DMA + 12 control (2 pmap, 4 bind, 3 unbind, 3 punmap); the
 * bind of 02:00.0 at PASID 2 to mm 1 is rejected (invalid: mm 1 has PASID 1).
 *
 * TLPs (MPS 256, MRRS 512): 4 KB write 16, 4 KB read 8, three 64-byte DMAs
 * 1 each = 27 translations.
 * TLB (tagged by ASID, not by stream): the write misses once (walk) and hits
 * 15 times; device 2 reads the same VA under the same ASID (the process's):
 * 8 hits; process 2 (ASID 2) misses (walk), its write hits the read-only
 * entry and faults there (F_PERMISSION); after punmap the page misses and
 * the walk ends on an invalid level-3 descriptor (F_TRANSLATION).  Hits
 * 15 + 8 + 1 = 24, walks 3, each 4 descriptor reads (48-bit VA, 4 KB
 * granule; the walk cache is keyed by ASID and the punmap's Leaf = 0 TLBI
 * drops the process's table entries for that VA) = 12.
 * Configuration (2-level stream table, SIDSIZE 16 > 8: SIDs 0x100 and 0x200
 * sit in different leaves): device 1 reads L1STD + STE + CD 1 = 3, device 2
 * the same 3, then CD 2 of device 1 = 1: 7 reads, 2 of them L1 descriptors.
 * Commands: bind on a fresh device = leaf (CFGI_STE Leaf = 0 + SYNC), CD
 * (2 CFGI_CD + 2 SYNC), STE (2 CFGI_STE + 2 SYNC), twice; PASID 2 on the
 * stage-1 STE: CD only (2 + 2); punmap: TLBI_NH_VA + SYNC; each last unbind
 * of a device's PASID clears its CD (2 + 2); the last binding of an mm frees
 * its SVA domain: TLBI_NH_ASID + SYNC (at 81 us for mm 1, 82 us for mm 2).
 * CFGI_STE 6, CFGI_CD 12, TLBI_NH_VA 1, TLBI_NH_ASID 2, SYNC 5 + 5 + 2 + 1 +
 * 2 + 3 + 3 = 21: 42 commands.
 * Processes: 2 created, 2 exited (no VMA, no binding after the last
 * punmaps); 2 PASIDs given and freed; one mmu-notifier invalidation (the
 * first punmap: the later ones find no SVA domain).
 */
#include <criterion/criterion.h>

#include "config.h"
#include "log.h"
#include "replay.h"
#include "stats.h"

#define TRACE IOM_SOURCE_DIR "/traces/examples/sva-small.trace"
#define PRI_TRACE IOM_SOURCE_DIR "/traces/examples/sva-pri.trace"
#define PRI_CFG IOM_SOURCE_DIR "/traces/examples/sva-pri.yaml"

static double stat(struct iom_system *s, const char *name)
{
	double v = -1;
	cr_assert_eq(iom_stats_get(iom_system_stats(s), NULL, name, &v), 0, "no stat %s", name);
	return v;
}

#define EXPECT(s, name, v) cr_expect_eq(stat(s, name), (double)(v), "%s = %g", name, stat(s, name))

Test(sva_replay, sva_small_counters_match_the_hand_derivation)
{
	struct iom_err err = {0};
	iom_log_enable(IOM_LOG_GUEST_ERROR, 0);
	struct iom_config *c = iom_config_create_default();
	struct iom_system *s = iom_system_build(c, &err);
	cr_assert_not_null(s, "%s", err.msg);
	struct iom_replay_opts o = {.trace_path = TRACE};
	struct iom_replay_result res;
	cr_assert_eq(iom_replay_run(s, &o, &res, &err), 0, "%s", err.msg);
	cr_expect_eq(res.records, 17);
	cr_expect_eq(res.dma_records, 5);
	cr_expect_eq(res.control_records, 12);
	cr_expect_eq(res.rejected, 1);
	cr_expect_eq(res.rejected_by[IOM_REJ_INVALID], 1);
	EXPECT(s, "smmu0.translations", 27);
	EXPECT(s, "smmu0.tlb.hits", 24);
	EXPECT(s, "smmu0.walks", 3);
	EXPECT(s, "smmu0.walk_reads", 12);
	EXPECT(s, "smmu0.cfg_reads", 7);
	EXPECT(s, "smmu0.l1_desc_reads", 2);
	EXPECT(s, "smmu0.fault.F_PERMISSION", 1);
	EXPECT(s, "smmu0.fault.F_TRANSLATION", 1);
	EXPECT(s, "smmu0.faults", 2);
	EXPECT(s, "smmu0.cmd.CFGI_STE", 6);
	EXPECT(s, "smmu0.cmd.CFGI_CD", 12);
	EXPECT(s, "smmu0.cmd.TLBI_NH_VA", 1);
	EXPECT(s, "smmu0.cmd.TLBI_NH_ASID", 2);
	EXPECT(s, "smmu0.cmd.SYNC", 21);
	EXPECT(s, "smmu0.commands", 42);
	EXPECT(s, "host.sva.mms_created", 2);
	EXPECT(s, "host.sva.mms_exited", 2);
	EXPECT(s, "host.sva.binds", 3);
	EXPECT(s, "host.sva.unbinds", 3);
	EXPECT(s, "host.sva.pasids_allocated", 2);
	EXPECT(s, "host.sva.pasids_freed", 2);
	EXPECT(s, "host.sva.mm_invalidations", 1);
	EXPECT(s, "host.sva.bound_devices", 0);
	iom_system_destroy(s);
	iom_config_destroy(c);
}

/* sva-pri.trace with sva-pri.yaml (ATS + PRI, populate = fault):
 * TLPs: 16 (4 KB write) + 8 (4 KB read) + 1 + 1 = 26 ATC lookups.
 *  - the write's first TLP misses the ATC: Translation Request 1, no access
 *    (the PTE does not exist: R = W = 0), page request group 1 -> the
 *    handler makes the page present, Success -> Translation Request 2
 *    succeeds, the ATC is filled; its 15 other TLPs and the read's 8 hit.
 *  - the 64-byte read of 0x10008000: miss, TR 3 denied, group 2 Success, TR 4.
 *  - 0x20000000 is in no VMA: miss, TR 5 denied, group 3 Invalid Request:
 *    the TLP ends at the device (faulted), no SMMU event (ATS failures are
 *    not recorded, IHI0070 3.9.1).
 *  - unbind: the function used PRI, so it sends a stop marker (queued, not
 *    answered) and the host waits for the handler.
 * Lookups 26, hits 23, misses 3, fills 2, TRs 5, 2 retries; PRI queue: 4
 * messages written (3 page requests, 1 stop marker); 3 CMD_PRI_RESP;
 * responses 2 Success + 1 Invalid; 2 pages made present. */
Test(sva_replay, sva_pri_counters_match_the_hand_derivation)
{
	struct iom_err err = {0};
	iom_log_enable(IOM_LOG_GUEST_ERROR, 0);
	struct iom_config *c = iom_config_load_file(PRI_CFG, &err);
	cr_assert_not_null(c, "%s", err.msg);
	struct iom_system *s = iom_system_build(c, &err);
	cr_assert_not_null(s, "%s", err.msg);
	struct iom_replay_opts o = {.trace_path = PRI_TRACE};
	struct iom_replay_result res;
	cr_assert_eq(iom_replay_run(s, &o, &res, &err), 0, "%s", err.msg);
	cr_expect_eq(res.rejected, 0);
	EXPECT(s, "dev.01:00.0.atc.lookups", 26);
	EXPECT(s, "dev.01:00.0.atc.hits", 23);
	EXPECT(s, "dev.01:00.0.atc.misses", 3);
	EXPECT(s, "dev.01:00.0.atc.fills", 2);
	EXPECT(s, "dev.01:00.0.ats.tr", 5);
	EXPECT(s, "dev.01:00.0.ats.tr_denied", 1);
	EXPECT(s, "dev.01:00.0.faulted_tlps", 1);
	EXPECT(s, "dev.01:00.0.pri.requests", 3);
	EXPECT(s, "dev.01:00.0.pri.success", 2);
	EXPECT(s, "dev.01:00.0.pri.invalid", 1);
	EXPECT(s, "dev.01:00.0.pri.retries", 2);
	EXPECT(s, "smmu0.priq.received", 4);
	EXPECT(s, "smmu0.priq.written", 4);
	EXPECT(s, "smmu0.priq.stop_markers", 1);
	EXPECT(s, "smmu0.priq.overflows", 0);
	EXPECT(s, "smmu0.cmd.PRI_RESP", 3);
	EXPECT(s, "smmu0.faults", 0);
	EXPECT(s, "host.pri.groups_answered", 3);
	EXPECT(s, "host.pri.resp_success", 2);
	EXPECT(s, "host.pri.resp_invalid", 1);
	EXPECT(s, "host.pri.pages_present", 2);
	EXPECT(s, "host.pri.drains", 1);
	EXPECT(s, "host.sva.fault_ptes", 2);
	iom_system_destroy(s);
	iom_config_destroy(c);
}
