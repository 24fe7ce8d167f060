/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_replay_pcie.c - the replay with a `pcie:` topology, through the real
 * binary: DMAs routed through the fabric, peer-to-peer that bypasses the
 * IOMMU, the isolation violation printed like a rejected record with the
 * trace location, the pcie.* counters in the JSON result, an unknown
 * requester as bad input, and an unchanged result without a topology.
 *
 * The topology is the reference's G3 (a switch whose downstream ports have
 * no ACS) and G4 (with SV|RR|CR|UF); A = 03:00.0 with a BAR at 0xa0000000,
 * B = 04:00.0 with a BAR at 0xb0000000 (test_route.c works out the routes).
 */
#include "../tools/tools-test.h"

#include <jansson.h>
#include <sys/wait.h>
#include <unistd.h>

TestSuite(replay_pcie, .init = tt_setup, .fini = tt_teardown, .timeout = 60);

static const char TOPO[] =
    "pcie:\n  functions:\n"
    "    - {name: RP, type: root_port, acs: true, acs_cap: 0x1f, acs_ctrl: 0x1d}\n"
    "    - {name: USP, type: upstream_port, parent: RP}\n"
    "    - {name: DSP1, type: downstream_port, parent: USP, dev: 1%s}\n"
    "    - {name: DSP2, type: downstream_port, parent: USP, dev: 2%s}\n"
    "    - {name: A, parent: DSP1, bars: [{base: 0xa0000000, size: 64K}]}\n"
    "    - {name: B, parent: DSP2, bars: [{base: 0xb0000000, size: 64K}]}\n";

static const char TRACE[] =
    HDR "domain t=0ns op=create domain=1\n"   /* 2 */
        "attach t=0ns dev=03:00.0 domain=1\n" /* 3 */
        "map t=0ns domain=1 iova=0x100000 size=0x1000 pa=0x1000000 prot=rw\n"
        "dma t=1000ns dev=03:00.0 iova=0x100000 size=0x40 dir=w\n"     /* 5: memory */
        "dma t=2000ns dev=03:00.0 iova=0xb0000000 size=0x100 dir=w\n"; /* 6: B */

/* Run iommusim; stderr into ERR, exit code returned. */
static int run(const char *const *args)
{
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		const char *argv[32] = {IOMMUSIM};
		for (size_t n = 1; args[n - 1] && n < 31; n++)
			argv[n] = args[n - 1], argv[n + 1] = NULL;
		if (!freopen(tpath("out.txt"), "w", stdout) ||
		    !freopen(tpath("err.txt"), "w", stderr))
			_exit(126);
		execv(IOMMUSIM, (char *const *)argv);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static long long stat_of(json_t *doc, const char *name)
{
	json_t *v = json_object_get(json_object_get(json_object_get(doc, "stats"), name), "value");
	cr_assert(json_is_integer(v), "no stat '%s'", name);
	return (long long)json_integer_value(v);
}

static json_t *replay(const char *dsp1, const char *dsp2, int want_status)
{
	char y[2048];
	snprintf(y, sizeof(y), TOPO, dsp1, dsp2);
	spits(tpath("sys.yaml"), y);
	spits(tpath("t.trace"), TRACE);
	int st = run((const char *[]){"replay", "--config", tpath("sys.yaml"), "--json",
	                              tpath("r.json"), tpath("t.trace"), NULL});
	size_t n;
	char *err = slurp(tpath("err.txt"), &n);
	cr_assert_eq(st, want_status, "exit %d: %s", st, err);
	free(err);
	json_error_t je;
	json_t *doc = json_load_file(tpath("r.json"), 0, &je);
	cr_assert_not_null(doc, "%s", je.text);
	return doc;
}

Test(replay_pcie, peer_to_peer_across_groups_is_reported_and_counted)
{
	json_t *d = replay("", "", 0);
	cr_assert_eq(stat_of(d, "replay.dma_records"), 2);
	cr_assert_eq(stat_of(d, "pcie.dmas"), 2);
	cr_assert_eq(stat_of(d, "pcie.iommu"), 1);
	cr_assert_eq(stat_of(d, "pcie.p2p"), 1);
	cr_assert_eq(stat_of(d, "pcie.violations"), 1);
	cr_assert_eq(stat_of(d, "pcie.p2p_bytes"), 0x100);
	cr_assert_eq(stat_of(d, "pcie.route.memory"), 1);
	cr_assert_eq(stat_of(d, "pcie.route.direct"), 1);
	/* the device performed both; only the memory DMA reached the IOMMU */
	cr_assert_eq(stat_of(d, "dev.03:00.0.dmas"), 2);
	cr_assert_eq(stat_of(d, "smmu0.translations"), 1);
	cr_assert_eq(stat_of(d, "pcie.fabric.direct_tlps"), 1);
	json_decref(d);
	size_t n;
	char *err = slurp(tpath("err.txt"), &n), want[512];
	snprintf(
	    want, sizeof(want),
	    "iommusim: %s:6: isolation violation: 03:00.0 (group 2) reached 04:00.0 (group 3, "
	    "BAR0) at 0xb0000000 without the IOMMU; path 03:00.0 -> 02:01.0 -> 02:02.0 -> 04:00.0; "
	    "no ACS at downstream_port 02:01.0: routed to the peer\n",
	    tpath("t.trace"));
	cr_assert(strstr(err, want), "%s", err);
	free(err);
	char *out = slurp(tpath("out.txt"), &n);
	cr_assert(strstr(out, "pcie         6 functions in 4 IOMMU groups; 2 DMA pieces: 1 to the "
	                      "IOMMU, 1 peer-to-peer (1 isolation violations), 0 blocked\n"),
	          "%s", out);
	free(out);
}

Test(replay_pcie, redirected_peer_dma_goes_through_the_iommu)
{
	const char *acs = ", acs: true, acs_cap: 0x1f, acs_ctrl: 0x1d";
	json_t *d = replay(acs, acs, 0);
	cr_assert_eq(stat_of(d, "pcie.iommu"), 2);
	cr_assert_eq(stat_of(d, "pcie.violations"), 0);
	cr_assert_eq(stat_of(d, "pcie.route.redirect"), 1);
	cr_assert_eq(stat_of(d, "dev.03:00.0.dmas"), 2);
	json_decref(d);
	size_t n;
	char *err = slurp(tpath("err.txt"), &n);
	cr_assert_eq(strstr(err, "isolation violation"), NULL, "%s", err);
	free(err);
}

Test(replay_pcie, unknown_requester_is_bad_input)
{
	char y[2048];
	snprintf(y, sizeof(y), TOPO, "", "");
	spits(tpath("sys.yaml"), y);
	spits(tpath("t.trace"), HDR "dma t=0ns dev=05:00.0 iova=0x1000 size=0x40 dir=r\n");
	cr_assert_eq(
	    run((const char *[]){"replay", "--config", tpath("sys.yaml"), tpath("t.trace"), NULL}),
	    2);
	size_t n;
	char *err = slurp(tpath("err.txt"), &n), want[256];
	snprintf(
	    want, sizeof(want),
	    "%s:2: dma from 0000:05:00.0: no function with this requester ID in the pcie topology",
	    tpath("t.trace"));
	cr_assert(strstr(err, want), "%s", err);
	free(err);
}

Test(replay_pcie, without_a_topology_nothing_changes)
{
	spits(tpath("t.trace"), TRACE);
	cr_assert_eq(
	    run((const char *[]){"replay", "--json", tpath("r.json"), tpath("t.trace"), NULL}), 0);
	json_error_t je;
	json_t *d = json_load_file(tpath("r.json"), 0, &je);
	cr_assert_not_null(d);
	json_t *st = json_object_get(d, "stats");
	cr_assert_null(json_object_get(st, "pcie.dmas"));
	cr_assert_null(json_object_get(st, "pcie.fabric.req_tlps"));
	/* the sections are bound (and echoed) with their defaults, unused */
	cr_assert_eq(json_integer_value(json_object_get(
	                 json_object_get(json_object_get(d, "config"), "pcie.link"), "gen")),
	             3);
	cr_assert_eq(stat_of(d, "dev.03:00.0.dmas"), 2);
	cr_assert_eq(stat_of(d, "dev.03:00.0.tlps"), 2);
	json_decref(d);
	size_t n;
	char *out = slurp(tpath("out.txt"), &n);
	cr_assert_null(strstr(out, "fabric"), "%s", out);
	cr_assert_null(strstr(out, "pcie "), "%s", out);
	free(out);
}

/* The fabric's counters: A's 64-byte write to memory (1 MWr of 8 + 16 + 64
 * = 88 bytes on A's link DSP1 and on RP's link), then 256 bytes into B's
 * BAR (280 bytes): without ACS across the switch onto DSP2's link; with RR
 * (mapped 1:1 to the BAR) up RP's link, translated, down RP's link and
 * DSP2's. */
static const char TRACE_P2P[] =
    HDR "domain t=0ns op=create domain=1\n"
        "attach t=0ns dev=03:00.0 domain=1\n"
        "map t=0ns domain=1 iova=0x100000 size=0x1000 pa=0x1000000 prot=rw\n"
        "map t=0ns domain=1 iova=0xb0000000 size=0x1000 pa=0xb0000000 prot=rw\n"
        "dma t=1000ns dev=03:00.0 iova=0x100000 size=0x40 dir=w\n"
        "dma t=2000ns dev=03:00.0 iova=0xb0000000 size=0x100 dir=w\n";

Test(replay_pcie, fabric_counts_tlps_and_bytes_per_link_and_prints_a_line)
{
	const char *acs = ", acs: true, acs_cap: 0x1f, acs_ctrl: 0x1d";
	for (int redirect = 0; redirect < 2; redirect++) {
		char y[2048];
		snprintf(y, sizeof(y), TOPO, redirect ? acs : "", redirect ? acs : "");
		spits(tpath("sys.yaml"), y);
		spits(tpath("t.trace"), TRACE_P2P);
		cr_assert_eq(run((const char *[]){"replay", "--config", tpath("sys.yaml"), "--json",
		                                  tpath("r.json"), tpath("t.trace"), NULL}),
		             0);
		json_error_t je;
		json_t *d = json_load_file(tpath("r.json"), 0, &je);
		cr_assert_not_null(d, "%s", je.text);
		cr_assert_eq(stat_of(d, "pcie.link.DSP1.up.tlps"), 2);
		cr_assert_eq(stat_of(d, "pcie.link.DSP1.up.wire_bytes"), 88 + 280);
		cr_assert_eq(stat_of(d, "pcie.link.DSP1.up.data_bytes"), 64 + 256);
		cr_assert_eq(stat_of(d, "pcie.link.RP.up.tlps"), 1 + redirect);
		cr_assert_eq(stat_of(d, "pcie.link.RP.down.tlps"), redirect);
		cr_assert_eq(stat_of(d, "pcie.link.DSP2.down.tlps"), 1);
		cr_assert_eq(stat_of(d, "pcie.link.DSP2.down.wire_bytes"), 280);
		cr_assert_eq(stat_of(d, "pcie.fabric.req_tlps"), 2);
		cr_assert_eq(stat_of(d, "pcie.fabric.direct_tlps"), !redirect);
		cr_assert_eq(stat_of(d, "pcie.fabric.redirected_tlps"), redirect);
		cr_assert_eq(stat_of(d, "smmu0.translations"), 1 + redirect);
		json_decref(d);
		size_t n;
		char *out = slurp(tpath("out.txt"), &n), want[160];
		/* memory: DSP1 up + RP up, 88 each; peer: DSP1 up + DSP2 down, or
		 * DSP1 up + RP up + RP down + DSP2 down, 280 each */
		snprintf(want, sizeof(want),
		         "\nfabric       3 links used: %d TLPs up, %d down, %d wire bytes; ",
		         3 + redirect, 1 + redirect, 2 * 88 + (2 + 2 * redirect) * 280);
		cr_assert(strstr(out, want), "want %s in:\n%s", want, out);
		snprintf(want, sizeof(want), "peer TLPs %d direct, %d via the root complex;",
		         !redirect, redirect);
		cr_assert(strstr(out, want), "want %s in:\n%s", want, out);
		free(out);
	}
}
