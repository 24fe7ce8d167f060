// SPDX-License-Identifier: Apache-2.0
/*
 * test_tlm_platform.cpp - the TLM IOMMU in the example platform
 * (sim/systemc/example/platform.h): traffic generator -> iom::tlm_iommu ->
 * memory.  Translated addresses, data, faults, ATS translation requests,
 * the annotated delays, and the model's memory accesses arriving at the
 * platform's memory through the initiator socket.
 *
 * Each Criterion test is its own process, hence its own SystemC elaboration
 * (toolchain.md S4).  libsystemc.so exports main(): Criterion's main is
 * called explicitly at the end of this file, and sc_main is a stub.
 *
 * Expected delays, SMMUv3 defaults (clock 1000 MHz = 1 ns a cycle; config
 * cache 2 cycles, TLB 1 cycle, walk cache 1 cycle; host.strtab auto = a
 * 2-level stream table since sid_bits 16 > 8; 8-bit CD table = linear; 48-bit
 * IOVA with 4 KB pages = a 4-level walk), memory target latency L = 50 ns:
 *   cold miss:  STE: config cache 2 + L1STD read L + STE read L;
 *               CD: config cache 2 + CD read L; TLB 1; walk cache 1;
 *               4 descriptor reads 4L               = 6 ns + 7L = 356 ns
 *               then the data access L              -> delay 406 ns
 *   TLB hit:    2 + 2 + 1 = 5 ns                    -> delay 55 ns
 *   next page:  config 2 + 2, TLB miss 1, walk cache hit (levels 0-2) 1,
 *               1 level-3 read L                    = 56 ns -> delay 106 ns
 */
#include "platform.h"

#include <criterion/criterion.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#include "host.h"
#include "iommu.h"
#include "sc_system.h"
#include "config.h"
#include "replay.h"
#pragma GCC diagnostic pop

#include <memory>

using iom_example::platform;
using iom_example::traffic_gen;
using sc_core::SC_NS;
using sc_core::sc_time;

int sc_main(int, char **)
{
	return 0;
}

namespace {

constexpr uint32_t rid = 0x0100; // 01:00.0
constexpr uint64_t iova = 0x10000000, pa = 0x80000000;
const sc_time L(50, SC_NS);

// The platform lives until the process exits (one elaboration per process).
std::unique_ptr<platform> top;

platform &build(const char *config = nullptr, std::vector<std::string> sets = {},
		sc_time quantum = sc_time(1, sc_core::SC_US))
{
	tlm::tlm_global_quantum::instance().set(quantum);
	top.reset(new platform("top", rid, L, config, sets));
	top->maps = {{iova, pa, 0x10000, 3}};
	return *top;
}

void run(platform &p)
{
	sc_core::sc_start();
	cr_assert_eq(p.host_rc, 0, "host: %s", p.iommu.last_error().c_str());
	cr_assert_eq(p.dev.results.size(), p.dev.script.size());
}

uint64_t ns(const sc_time &t)
{
	return t.value() / 1000; // resolution 1 ps
}

} // namespace

TestSuite(tlm_platform, .timeout = 60);

Test(tlm_platform, smmuv3_translates_and_forwards_to_the_mapped_address)
{
	platform &p = build();
	p.dev.script = {{iova + 0x40, 64, true, 0xc0ffee00}, {iova + 0x40, 64, false, 0}};
	run(p);
	const traffic_gen::result &w = p.dev.results[0], &r = p.dev.results[1];
	cr_assert_str_eq(p.iommu.kind(), "smmuv3");
	cr_assert_eq(w.status, tlm::TLM_OK_RESPONSE);
	cr_assert_eq(w.ext.pa, pa + 0x40);
	cr_assert_eq(p.mem.peek32(pa + 0x40), 0xc0ffee00u);
	cr_assert_eq(p.mem.peek32(pa + 0x40 + 60), 0xc0ffee00u);
	cr_assert_eq(p.mem.peek32(pa + 0x40 + 64), 0u, "nothing beyond the 64 bytes");
	cr_assert_eq(r.status, tlm::TLM_OK_RESPONSE);
	cr_assert(!memcmp(r.data.data(), w.data.data(), 64), "read back what was written");
	// the forwarded accesses are the only ones without an IOMMU requester
	size_t fwd = 0;
	for (const auto &a : p.mem.log)
		if (a.requester.empty()) {
			cr_assert_eq(a.addr, pa + 0x40);
			cr_assert_eq(a.len, 64u);
			fwd++;
		}
	cr_assert_eq(fwd, 2u);
}

Test(tlm_platform, smmuv3_delays_cold_miss_hit_and_walk_cache)
{
	platform &p = build();
	p.dev.script = {{iova, 64, false, 0}, {iova + 0x100, 64, false, 0},
			{iova + 0x1000, 64, false, 0}};
	run(p);
	const auto &r = p.dev.results;
	cr_assert_eq(ns(r[0].ext.xlate_delay), 356u);
	cr_assert_eq(ns(r[0].delay), 406u);
	cr_assert_not(r[0].ext.tlb_hit);
	cr_assert_eq(r[0].ext.walk_reads, 4);
	cr_assert_eq(r[0].ext.cfg_reads, 3);
	cr_assert_eq(ns(r[1].ext.xlate_delay), 5u);
	cr_assert_eq(ns(r[1].delay), 55u);
	cr_assert(r[1].ext.tlb_hit);
	cr_assert_eq(ns(r[2].ext.xlate_delay), 56u);
	cr_assert_eq(ns(r[2].delay), 106u);
	cr_assert_eq(r[2].ext.walk_reads, 1);
	cr_assert_eq(r[2].ext.pa, pa + 0x1000);
	// loosely timed: back to back on the generator's local time
	cr_assert(r[1].issued == r[0].issued + r[0].delay);
	cr_assert(r[2].issued == r[1].issued + r[1].delay);
	cr_assert(r[0].issued == p.host_done);
}

// The first translation's reads reach the platform memory through isock,
// tagged with the model's requesters: 3 configuration reads (L1STD, STE,
// CD) and 4 descriptor reads, at the table addresses the host wrote there.
Test(tlm_platform, smmuv3_table_walk_goes_through_the_initiator_socket)
{
	platform &p = build();
	p.dev.script = {{iova, 64, false, 0}};
	run(p);
	size_t cfg = 0, walk = 0;
	bool after = false;
	for (const auto &a : p.mem.log) {
		after = after || a.at >= p.host_done;
		if (!after)
			continue;
		cfg += a.requester == "smmu0.cfg";
		walk += a.requester == "smmu0.walk";
		if (a.requester == "smmu0.walk")
			cr_assert_eq(a.len, 8u);
	}
	cr_assert_eq(cfg, 3u);
	cr_assert_eq(walk, 4u);
	// the host built the tables with transport_dbg, in the platform memory
	cr_assert_gt(p.iommu.count().mem_debug, 0u);
	cr_assert_eq(p.iommu.count().mem_debug, p.mem.debug_accesses);
	// every timed access of the model is one b_transport at the memory
	size_t tagged = 0;
	for (const auto &a : p.mem.log)
		tagged += !a.requester.empty();
	cr_assert_eq(p.iommu.count().mem_timed, tagged);
}

// An unmapped IOVA: F_TRANSLATION (SMMUv3 event 0x10), an address error to
// the device, no access at memory for the data, one event record written to
// the event queue through isock.
Test(tlm_platform, smmuv3_fault_is_an_address_error_with_an_event)
{
	platform &p = build();
	p.dev.script = {{0x20000000, 64, true, 0x11111111}};
	run(p);
	const auto &r = p.dev.results[0];
	cr_assert_eq(r.status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
	cr_assert(r.ext.status == iom::xlate_status::fault);
	cr_assert_eq(r.ext.fault, 0x10);
	size_t evt = 0, fwd = 0;
	for (const auto &a : p.mem.log) {
		if (a.at < p.host_done)
			continue;
		evt += a.requester == "smmu0.queue" && a.write;
		fwd += a.requester.empty();
	}
	cr_assert_eq(evt, 1u);
	cr_assert_eq(fwd, 0u);
	cr_assert_eq(p.iommu.count().faulted, 1u);
}

// A transaction over a page boundary is translated and forwarded per page.
Test(tlm_platform, transaction_across_pages_is_split)
{
	platform &p = build();
	p.dev.script = {{iova + 0xf80, 256, true, 0xabcd0123}};
	run(p);
	cr_assert_eq(p.dev.results[0].status, tlm::TLM_OK_RESPONSE);
	cr_assert_eq(p.iommu.count().pages, 2u);
	cr_assert_eq(p.mem.peek32(pa + 0xf80), 0xabcd0123u);
	cr_assert_eq(p.mem.peek32(pa + 0x1000 + 0x7c), 0xabcd0123u);
	std::vector<std::pair<uint64_t, unsigned>> fwd;
	for (const auto &a : p.mem.log)
		if (a.requester.empty())
			fwd.emplace_back(a.addr, a.len);
	cr_assert_eq(fwd.size(), 2u);
	cr_assert_eq(fwd[0].first, pa + 0xf80);
	cr_assert_eq(fwd[0].second, 128u);
	cr_assert_eq(fwd[1].first, pa + 0x1000);
	cr_assert_eq(fwd[1].second, 128u);
}

// ATS (device.ats.enable: the host enables ATS at attach, STE.EATS = 0b01):
// a Translation Request gets its completion in the extension -- the 4 KB
// page's translation with R and W (the map is read/write) -- and touches no
// memory for data; a Translated request (AT = 10b) then goes to memory at
// the address the device gives, untranslated.
Test(tlm_platform, ats_translation_request_then_translated_access)
{
	platform &p = build(nullptr, {"device.ats.enable=true"});
	traffic_gen::op q = {iova + 0x2040, 64, false, 0x77777777};
	q.at = iom::at_kind::translation_request;
	traffic_gen::op w = {pa + 0x2040, 64, true, 0x01020304};
	w.at = iom::at_kind::translated;
	p.dev.script = {q, w};
	run(p);
	const auto &r = p.dev.results[0];
	cr_assert_eq(r.status, tlm::TLM_OK_RESPONSE, "ats %u fault %u: %s", r.ext.ats_status,
		     r.ext.fault, p.iommu.last_error().c_str());
	cr_assert_eq(r.ext.ats_status, 0); // Successful Completion
	cr_assert_eq(r.ext.ats_perm & 3u, 3u);   // R and W
	cr_assert_eq(r.ext.ats_size_log2, 12);
	cr_assert_eq(r.ext.pa, pa + 0x2040);
	cr_assert(r.ext.status == iom::xlate_status::ok);
	cr_assert_eq(r.data[0], 0x77, "the request moved no data");
	cr_assert(r.delay == r.ext.xlate_delay);
	cr_assert_eq(p.iommu.count().translation_requests, 1u);
	const auto &t = p.dev.results[1];
	cr_assert_eq(t.status, tlm::TLM_OK_RESPONSE);
	cr_assert_eq(p.mem.peek32(pa + 0x2040), 0x01020304u);
	size_t fwd = 0;
	for (const auto &a : p.mem.log)
		if (a.requester.empty()) {
			cr_assert_eq(a.addr, pa + 0x2040);
			cr_assert(a.write);
			fwd++;
		}
	cr_assert_eq(fwd, 1u, "only the translated write reached memory for data");
}

// Without ATS enabled for the stream (STE.EATS = 0b00) a Translation
// Request is an Unsupported Request (IHI0070 3.9.1.2, F_BAD_ATS_TREQ).
Test(tlm_platform, ats_translation_request_without_ats_is_unsupported)
{
	platform &p = build();
	traffic_gen::op q = {iova, 64, false, 0};
	q.at = iom::at_kind::translation_request;
	p.dev.script = {q};
	run(p);
	const auto &r = p.dev.results[0];
	cr_assert_eq(r.ext.ats_status, 1); // UR
	cr_assert_eq(r.status, tlm::TLM_COMMAND_ERROR_RESPONSE);
	cr_assert_eq(r.ext.pa, 0u);
	for (const auto &a : p.mem.log)
		cr_assert_not(a.requester.empty(), "no data access");
}

// The generator's quantum keeper. Its next sync point is the next multiple
// of the quantum after the last sync. With 1 ms, the host's ~2 us and these
// three transactions (406 + 55 + 106 ns) stay inside the first quantum: no
// sync before the final one. With 50 ns, every transaction (each >= 55 ns)
// runs past the sync point: 3 syncs. Either way SystemC time ends at the
// host's end + the sum of the delays.
static void quantum_case(sc_time quantum, unsigned syncs)
{
	platform &p = build(nullptr, {}, quantum);
	p.dev.script = {{iova, 64, false, 0}, {iova + 0x100, 64, false, 0},
			{iova + 0x1000, 64, false, 0}};
	run(p);
	sc_time sum = p.host_done;
	for (const auto &r : p.dev.results)
		sum += r.delay;
	cr_assert_eq(ns(sum - p.host_done), 406u + 55u + 106u);
	cr_assert_eq(p.dev.syncs, syncs);
	cr_assert(sc_core::sc_time_stamp() == sum);
}

Test(tlm_platform, quantum_1ms_needs_no_sync)
{
	quantum_case(sc_time(1, sc_core::SC_MS), 0);
}

Test(tlm_platform, quantum_50ns_syncs_after_each_transaction)
{
	quantum_case(sc_time(50, SC_NS), 3);
}

Test(tlm_platform, bad_requests_get_tlm_error_responses)
{
	platform &p = build();
	p.dev.script = {{iova, 64, false, 0}};
	run(p);
	// called directly through the device socket, after the platform ran
	unsigned char buf[8192] = {}, be[8192];
	memset(be, 0xff, sizeof(be));
	tlm::tlm_generic_payload gp;
	sc_time d = sc_core::SC_ZERO_TIME;
	gp.set_command(tlm::TLM_READ_COMMAND);
	gp.set_address(iova + 0x800);
	gp.set_data_ptr(buf);
	gp.set_data_length(4096);
	gp.set_streaming_width(4096);
	gp.set_byte_enable_ptr(be);
	gp.set_byte_enable_length(4096);
	p.dev.isock->b_transport(gp, d);
	cr_assert_eq(gp.get_response_status(), tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
	gp.set_byte_enable_ptr(nullptr);
	gp.set_streaming_width(4);
	p.dev.isock->b_transport(gp, d);
	cr_assert_eq(gp.get_response_status(), tlm::TLM_BURST_ERROR_RESPONSE);
	// no debug access or DMI through an IOMMU
	gp.set_streaming_width(4096);
	cr_assert_eq(p.dev.isock->transport_dbg(gp), 0u);
	// a host error is reported, not thrown
	sc_time hd = sc_core::SC_ZERO_TIME;
	cr_assert_lt(p.iommu.map(42, 0x1000, 0x2000, 0x1000, 3, hd), 0);
	cr_assert_neq(p.iommu.last_error().size(), 0u);
}

// VT-d (traces/examples/vtd-default.yaml): addresses, and delays equal to
// the native model's on the same operations at the same times with DRAM
// latency = the target's latency (co-simulation of the two engines).
Test(tlm_platform, vtd_matches_the_native_model)
{
	const char *cfg = IOM_SOURCE_DIR "/traces/examples/vtd-default.yaml";
	platform &p = build(cfg);
	p.dev.script = {{iova, 64, false, 0}, {iova + 0x100, 64, true, 0x12345678},
			{iova + 0x1000, 64, false, 0}, {0x20000000, 64, false, 0}};
	run(p);
	cr_assert_str_eq(p.iommu.kind(), "vtd");

	struct iom_config *c = nullptr;
	struct iom_err err = {};
	const char *sets[] = {"memory.dram_latency_ps=50000"};
	struct iom_system *sys = iom_sc_system_create(cfg, sets, 1, &c, &err);
	cr_assert_not_null(sys, "%s", err.msg);
	struct iom_host *h = iom_sc_system_host(sys);
	uint64_t done = 0;
	cr_assert_eq(iom_host_domain_create(h, 1, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(iom_host_attach(h, rid, -1, 1, done, &done, &err), 0, "%s", err.msg);
	cr_assert_eq(iom_host_map(h, 1, iova, pa, 0x10000, 3, 0, done, &done, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(done, p.host_done.value(), "host programming time differs");
	for (size_t i = 0; i < p.dev.script.size(); i++) {
		const auto &o = p.dev.script[i];
		const auto &r = p.dev.results[i];
		struct iom_txn t = {};
		t.rid = rid;
		t.write = o.write;
		t.size = o.len;
		t.iova = o.iova;
		t.issue_ps = r.issued.value();
		cr_assert_eq(iom_host_advance(h, t.issue_ps, &err), 0);
		cr_assert_eq(iom_iommu_translate(iom_sc_system_iommu(sys), &t, &err), 0, "%s",
			     err.msg);
		cr_assert_eq((unsigned)r.ext.status, (unsigned)t.status, "transaction %zu", i);
		cr_assert_eq(r.ext.xlate_delay.value(), t.done_ps - t.issue_ps, "transaction %zu",
			     i);
		if (t.status == IOM_TXN_OK) {
			cr_assert_eq(r.ext.pa, o.iova - iova + pa);
			cr_assert_eq(r.delay.value(), t.done_ps - t.issue_ps + L.value());
		} else {
			cr_assert_eq(r.status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
			cr_assert_eq(r.ext.fault, t.fault);
		}
	}
	cr_assert_eq(p.mem.peek32(pa + 0x100), 0x12345678u);
	iom_system_destroy(sys);
	iom_config_destroy(c);
}

// libsystemc.so exports main() too: make Criterion's the one that runs.
int main(int argc, char *argv[])
{
	struct criterion_test_set *tests = criterion_initialize();
	int result = 0;
	if (criterion_handle_args(argc, argv, true))
		result = !criterion_run_all_tests(tests);
	criterion_finalize(tests);
	return result;
}
