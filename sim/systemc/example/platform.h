// SPDX-License-Identifier: Apache-2.0
/*
 * platform.h - the example platform of the TLM IOMMU (docs/systemc.md):
 *
 *   traffic_gen --> iom::tlm_iommu --> memory
 *      (device)       (SMMUv3/VT-d)     (target)
 *
 * memory      a sparse byte store with a fixed latency per access; it answers
 *             b_transport (adding the latency to the delay, never wait()ing)
 *             and transport_dbg, and logs every access with the IOMMU
 *             requester that made it (iom::iommu_req_ext), if any.
 * traffic_gen a device: a requester ID, a script of DMA transactions, each
 *             sent with an iom::iommu_ext; loosely timed with a
 *             tlm_utils::tlm_quantumkeeper on the global quantum.  It records
 *             each transaction's outcome.
 * platform    the three wired together, plus a host thread that programs the
 *             IOMMU (domain, attach, maps) before the device starts.
 *
 * Used by sim/systemc/example/main.cpp (a runnable example) and by
 * tests/systemc/test_tlm_platform.cpp.
 */
#ifndef IOM_SIM_SYSTEMC_EXAMPLE_PLATFORM_H
#define IOM_SIM_SYSTEMC_EXAMPLE_PLATFORM_H

#include "iom_tlm.h"

#include <tlm_utils/tlm_quantumkeeper.h>

#include <array>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

namespace iom_example {

using sc_core::sc_time;

class memory : public sc_core::sc_module {
public:
	struct access {
		uint64_t addr;
		unsigned len;
		bool write;
		std::string requester; // "" = not the IOMMU's own access (forwarded DMA)
		sc_time at;            // sc_time_stamp() + delay on arrival
	};
	tlm_utils::simple_target_socket<memory> tsock;
	std::vector<access> log;
	uint64_t debug_accesses = 0;

	memory(sc_core::sc_module_name name, sc_time latency, unsigned addr_bits = 48)
		: sc_module(name), tsock("tsock"), latency_(latency), limit_(1ull << addr_bits)
	{
		tsock.register_b_transport(this, &memory::b_transport);
		tsock.register_transport_dbg(this, &memory::transport_dbg);
	}

	// Functional access for checks and setup.
	void peek(uint64_t a, void *buf, unsigned n)
	{
		copy(a, static_cast<unsigned char *>(buf), n, false);
	}
	void poke(uint64_t a, const void *buf, unsigned n)
	{
		copy(a, static_cast<unsigned char *>(const_cast<void *>(buf)), n, true);
	}
	uint32_t peek32(uint64_t a)
	{
		uint32_t v;
		peek(a, &v, 4);
		return v;
	}
	// Accesses in the log made by requesters whose name contains `what`.
	size_t count(const char *what, bool write) const
	{
		size_t n = 0;
		for (const access &x : log)
			n += x.write == write && x.requester.find(what) != std::string::npos;
		return n;
	}

private:
	sc_time latency_;
	uint64_t limit_;
	using page = std::array<unsigned char, 4096>;
	std::unordered_map<uint64_t, page> pages_;

	void copy(uint64_t a, unsigned char *p, unsigned n, bool write)
	{
		while (n) {
			unsigned off = a & 4095, k = std::min<unsigned>(n, 4096 - off);
			auto it = pages_.find(a >> 12);
			if (write) {
				if (it == pages_.end())
					it = pages_.emplace(a >> 12, page{}).first;
				std::memcpy(it->second.data() + off, p, k);
			} else if (it == pages_.end()) {
				std::memset(p, 0, k);
			} else {
				std::memcpy(p, it->second.data() + off, k);
			}
			a += k;
			p += k;
			n -= k;
		}
	}

	bool in_range(const tlm::tlm_generic_payload &gp) const
	{
		uint64_t a = gp.get_address();
		return a < limit_ && gp.get_data_length() <= limit_ - a;
	}

	void b_transport(tlm::tlm_generic_payload &gp, sc_time &delay)
	{
		const iom::iommu_req_ext *rx = gp.get_extension<iom::iommu_req_ext>();
		log.push_back({gp.get_address(), gp.get_data_length(), gp.is_write(),
			       rx && rx->requester ? rx->requester : "",
			       sc_core::sc_time_stamp() + delay});
		if (!in_range(gp) || gp.get_byte_enable_ptr()) {
			gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
			return;
		}
		copy(gp.get_address(), gp.get_data_ptr(), gp.get_data_length(), gp.is_write());
		delay += latency_;
		gp.set_response_status(tlm::TLM_OK_RESPONSE);
	}

	unsigned int transport_dbg(tlm::tlm_generic_payload &gp)
	{
		debug_accesses++;
		if (!in_range(gp))
			return 0;
		copy(gp.get_address(), gp.get_data_ptr(), gp.get_data_length(), gp.is_write());
		return gp.get_data_length();
	}
};

class traffic_gen : public sc_core::sc_module {
public:
	struct op {
		uint64_t iova;
		unsigned len;
		bool write;
		uint32_t fill;                 // written bytes: this 32-bit value repeated
		iom::at_kind at = iom::at_kind::untranslated;
	};
	struct result {
		tlm::tlm_response_status status;
		iom::iommu_ext ext;            // the IOMMU's answer
		sc_time issued;                // sc_time_stamp() + local time at issue
		sc_time delay;                 // annotated delay added by the transaction
		std::vector<unsigned char> data;
	};
	tlm_utils::simple_initiator_socket<traffic_gen> isock;
	sc_core::sc_event start, done;
	std::vector<op> script;
	std::vector<result> results;
	unsigned syncs = 0;                    // quantum-keeper synchronisations

	traffic_gen(sc_core::sc_module_name name, uint32_t rid)
		: sc_module(name), isock("isock"), rid_(rid)
	{
		SC_THREAD(run);
		// The IOMMU model runs on this thread's stack (inside b_transport).
		set_stack_size(1u << 20);
	}

private:
	SC_HAS_PROCESS(traffic_gen);
	uint32_t rid_;

	void run()
	{
		tlm_utils::tlm_quantumkeeper qk;
		wait(start);
		qk.reset(); // local time 0, next sync point: the next quantum boundary
		for (const op &o : script) {
			result r;
			r.data.resize(o.len);
			for (unsigned i = 0; i < o.len; i++)
				r.data[i] = (unsigned char)(o.fill >> (8 * (i & 3)));
			tlm::tlm_generic_payload gp;
			iom::iommu_ext ext;
			ext.rid = rid_;
			ext.at = o.at;
			gp.set_command(o.write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
			gp.set_address(o.iova);
			gp.set_data_ptr(r.data.data());
			gp.set_data_length(o.len);
			gp.set_streaming_width(o.len);
			gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
			gp.set_extension(&ext);
			sc_time t = qk.get_local_time();
			r.issued = sc_core::sc_time_stamp() + t;
			isock->b_transport(gp, t);
			r.delay = t - qk.get_local_time();
			qk.set(t);
			gp.clear_extension(&ext);
			r.status = gp.get_response_status();
			r.ext = ext;
			results.push_back(r);
			if (qk.need_sync()) {
				syncs++;
				qk.sync();
			}
		}
		qk.sync();
		done.notify();
	}
};

// Maps the platform's host programs before the device starts.
struct mapping {
	uint64_t iova, pa, size;
	uint32_t prot; // 1 read, 2 write, 4 exec
};

class platform : public sc_core::sc_module {
public:
	traffic_gen dev;
	iom::tlm_iommu iommu;
	memory mem;
	std::vector<mapping> maps;
	int host_rc = 0;        // first host error (0 = all applied)
	sc_time host_done;      // when the host finished programming

	platform(sc_core::sc_module_name name, uint32_t rid, sc_time mem_latency,
		 const char *config_path = nullptr, const std::vector<std::string> &sets = {})
		: sc_module(name), dev("dev", rid), iommu("iommu", config_path, sets),
		  mem("mem", mem_latency), rid_(rid)
	{
		dev.isock.bind(iommu.tsock);
		iommu.isock.bind(mem.tsock);
		SC_THREAD(host);
		set_stack_size(1u << 20);
	}

private:
	SC_HAS_PROCESS(platform);
	uint32_t rid_;

	// Domain 1 (paging), the device attached to it, then the maps, one after
	// the other: each operation starts at the delay the previous one returned
	// (LT style); then the host waits for it and starts the device.
	void host()
	{
		sc_time d = sc_core::SC_ZERO_TIME;
		host_rc = iommu.domain_create(1);
		if (!host_rc)
			host_rc = iommu.attach(rid_, -1, 1, d);
		for (const mapping &m : maps)
			if (!host_rc)
				host_rc = iommu.map(1, m.iova, m.pa, m.size, m.prot, d);
		wait(d);
		host_done = sc_core::sc_time_stamp();
		if (!host_rc)
			dev.start.notify();
	}
};

} // namespace iom_example

#endif
