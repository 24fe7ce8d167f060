// SPDX-License-Identifier: Apache-2.0
/*
 * main.cpp - runnable example: a device DMAs through the TLM IOMMU to memory.
 *
 *   iom_tlm_example [CONFIG.yaml [KEY=VALUE...]]
 *
 * The host maps IOVA 0x10000000-0x1000ffff to PA 0x80000000 (read/write) for
 * device 01:00.0; the device then writes, reads back, crosses a page and
 * touches an unmapped IOVA.  Prints one line per transaction (translated
 * address, outcome, delays) and the memory accesses the IOMMU made, and
 * exits 1 if an address, a data value or an outcome is not what the mapping
 * implies.  A normal SystemC program: libsystemc's main() calls sc_main().
 */
#include "platform.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>

int sc_main(int argc, char *argv[])
{
	using iom_example::traffic_gen;
	const uint64_t iova = 0x10000000, pa = 0x80000000, unmapped = 0x20000000;
	const uint32_t rid = 0x0100; // 01:00.0
	std::vector<std::string> sets;
	for (int i = 2; i < argc; i++)
		sets.push_back(argv[i]);

	tlm::tlm_global_quantum::instance().set(sc_core::sc_time(1, sc_core::SC_US));
	iom_example::platform top("top", rid, sc_core::sc_time(80, sc_core::SC_NS),
				  argc > 1 ? argv[1] : nullptr, sets);
	top.maps = {{iova, pa, 0x10000, 3}};
	top.dev.script = {
		{iova + 0x40, 64, true, 0xc0ffee00},
		{iova + 0x40, 64, false, 0},
		{iova + 0x1f80, 256, true, 0x5a5a0001}, // crosses into the next page
		{unmapped, 64, false, 0},
	};
	sc_core::sc_start();

	if (top.host_rc) {
		std::fprintf(stderr, "host: %s\n", top.iommu.last_error().c_str());
		return 1;
	}
	std::printf("IOMMU %s; host programmed by %.3f ns; quantum 1 us, %u syncs\n",
		    top.iommu.kind(), top.host_done.to_seconds() * 1e9, top.dev.syncs);
	std::printf("%-5s %-12s %-12s %-8s %-6s %-5s %10s %10s\n", "dir", "iova", "pa", "status",
		    "tlb", "walk", "xlate_ns", "delay_ns");
	int bad = 0;
	for (size_t i = 0; i < top.dev.results.size(); i++) {
		const traffic_gen::op &o = top.dev.script[i];
		const traffic_gen::result &r = top.dev.results[i];
		std::printf("%-5s 0x%-10" PRIx64 " 0x%-10" PRIx64 " %-8s %-6s %-5u %10.3f %10.3f\n",
			    o.write ? "write" : "read", o.iova, r.ext.pa,
			    r.status == tlm::TLM_OK_RESPONSE ? "ok" : "fault",
			    r.ext.tlb_hit ? "hit" : "miss",
			    r.ext.walk_reads, r.ext.xlate_delay.to_seconds() * 1e9,
			    r.delay.to_seconds() * 1e9);
		bool mapped = o.iova >= iova && o.iova < iova + 0x10000;
		bad += mapped != (r.status == tlm::TLM_OK_RESPONSE);
		bad += mapped && r.ext.pa != o.iova - iova + pa;
	}
	// the read returns what the write stored, at the translated address
	bad += std::memcmp(top.dev.results[0].data.data(), top.dev.results[1].data.data(), 64) != 0;
	bad += top.mem.peek32(pa + 0x40) != 0xc0ffee00;
	bad += top.mem.peek32(pa + 0x2000 - 4) != 0x5a5a0001;
	bad += top.mem.peek32(pa + 0x2000) != 0x5a5a0001;

	const char *who[] = {".cfg", ".walk", ".queue", ".drv"};
	std::printf("IOMMU memory accesses (b_transport): ");
	for (const char *w : who)
		std::printf("%s %zu reads %zu writes; ", w + 1, top.mem.count(w, false),
			    top.mem.count(w, true));
	std::printf("\nhost table accesses (transport_dbg): %" PRIu64 "\n",
		    top.iommu.count().mem_debug);
	std::printf("%s\n", bad ? "FAILED" : "ok");
	return bad ? 1 : 0;
}
