// SPDX-License-Identifier: Apache-2.0
/*
 * iom_tlm.h - a TLM-2.0 IOMMU for SystemC platforms (loosely timed).
 *
 * iom::tlm_iommu wraps the simulator's IOMMU model (SMMUv3 or VT-d, chosen
 * by system.iommu in the configuration) and the host software that programs
 * it (models/host: domains, attach, map/unmap, invalidation as Linux does it):
 *
 *   device --tsock--> [ tlm_iommu: translate ] --isock--> memory / interconnect
 *                      table walks, STE/CD/context fetches, command and
 *                      event queues, host table writes --isock--> memory
 *
 * tsock (target) takes the devices' transactions: address = IOVA, with an
 * iom::iommu_ext giving the requester ID, PASID and PCIe AT field.  Each 4 KB
 * page of a transaction is translated at its arrival time (sc_time_stamp() +
 * delay) and forwarded through isock at the translated address; the returned
 * delay covers translation and the downstream access.  A fault answers
 * TLM_ADDRESS_ERROR_RESPONSE (configuration abort: TLM_GENERIC_ERROR_RESPONSE)
 * and the extension says why, with the model's fault code.
 *
 * isock (initiator) carries the forwarded DMA and every memory access of the
 * model: timed ones with b_transport (the target's annotated delay is the
 * access latency the model sees), functional ones -- the host building page
 * tables and stream/context tables -- with transport_dbg.  So the tables live
 * in the platform's memory, which must implement both (and must not wait()
 * in b_transport for a consistent LT timeline).  Outgoing accesses of the
 * model carry an iom::iommu_req_ext naming the requester ("smmu0.walk", ...).
 *
 * Timing: loosely timed.  The module never advances SystemC time itself: it
 * adds to the annotated delay and leaves synchronisation to the initiator's
 * quantum keeper (tlm_utils::tlm_quantumkeeper and tlm_global_quantum), as an
 * LT interconnect does.  The model computes its latencies (cache lookups,
 * walk slots, command processing) on its own picosecond timeline from the
 * arrival times it is given.  It needs a time resolution of 1 ps or a whole
 * number of ps (the default is 1 ps).  Details and limitations:
 * docs/systemc.md.
 *
 * Host operations (domain_create, attach, map, ...) access memory through
 * isock, so call them once the simulation has started (from an SC_THREAD,
 * or after sc_start(SC_ZERO_TIME)); they take and return an annotated delay
 * like b_transport.  They return 0 or -IOM_E* (last_error() says why).
 */
#ifndef IOM_SIM_SYSTEMC_IOM_TLM_H
#define IOM_SIM_SYSTEMC_IOM_TLM_H

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <string>
#include <vector>

struct iom_config;
struct iom_host;
struct iom_iommu;
struct iom_mem;
struct iom_stats;
struct iom_system;

namespace iom {

// PCIe TLP AT field (traces/trace.h enum iom_at).
enum class at_kind : uint8_t {
	untranslated = 0,        // translate, then access memory
	translation_request = 1, // ATS Translation Request: answer in the extension
	translated = 2,          // ATS: already translated; the model decides
};

// Outcome of a translation (models/iommu/iommu.h enum iom_txn_status).
enum class xlate_status : uint8_t { ok = 0, fault = 1, abort = 2 };

// What a device attaches to its transactions, and what the IOMMU answers.
class iommu_ext : public tlm::tlm_extension<iommu_ext> {
public:
	// request (set by the device)
	uint32_t rid = 0;          // PCIe requester ID = SMMUv3 StreamID / VT-d source-id
	bool pasid_valid = false;  // PASID TLP prefix present
	uint32_t pasid = 0;        // SubstreamID / PASID
	at_kind at = at_kind::untranslated;
	bool priv = false;         // privileged-mode request (PASID prefix PMR)
	bool exec = false;         // execute request (PASID prefix ER)
	bool no_write = false;     // translation request: NW (no write intended)
	// response (set by the IOMMU; for a multi-page transaction: the first
	// page that failed, else the first page)
	xlate_status status = xlate_status::ok; // translation request: ok = granted R
	uint8_t ats_status = 0;    // translation request: 0 Success, 1 UR, 2 CA (iom_ats_status)
	uint32_t ats_perm = 0;     // translation request: IOM_ATS_CPL_R | W | EXE | PRIV | GLOBAL
	uint8_t ats_size_log2 = 0; // translation request: the range translated, 2^n bytes
	uint16_t fault = 0;        // SMMUv3 event ID / VT-d fault reason
	bool tlb_hit = false;
	uint8_t walk_reads = 0;    // translation-table descriptor reads
	uint8_t cfg_reads = 0;     // STE/CD/context/PASID-entry reads
	uint64_t pa = 0;           // translation of the first byte
	sc_core::sc_time xlate_delay = sc_core::SC_ZERO_TIME; // translation part of the delay

	tlm::tlm_extension_base *clone() const override { return new iommu_ext(*this); }
	void copy_from(const tlm::tlm_extension_base &e) override
	{
		*this = static_cast<const iommu_ext &>(e);
	}
};

// On the IOMMU's own memory accesses: who in the model made it.
class iommu_req_ext : public tlm::tlm_extension<iommu_req_ext> {
public:
	const char *requester = nullptr; // memory requester name, e.g. "smmu0.walk"

	tlm::tlm_extension_base *clone() const override { return new iommu_req_ext(*this); }
	void copy_from(const tlm::tlm_extension_base &e) override
	{
		requester = static_cast<const iommu_req_ext &>(e).requester;
	}
};

class tlm_iommu : public sc_core::sc_module {
public:
	tlm_utils::simple_target_socket<tlm_iommu> tsock;    // from devices
	tlm_utils::simple_initiator_socket<tlm_iommu> isock; // to memory

	struct counters {
		uint64_t transactions;  // b_transport calls on tsock
		uint64_t pages;         // translations (one per 4 KB page touched)
		uint64_t faulted;       // transactions answered with an error
		uint64_t translation_requests; // AT = translation request
		uint64_t mem_timed;     // b_transport calls of the model on isock
		uint64_t mem_debug;     // transport_dbg calls of the model on isock
	};

	// config_path: YAML configuration (NULL: the built-in default system);
	// sets: "key=value" overrides; default_rid: requester of transactions
	// without an iommu_ext.  A bad configuration is an SC_REPORT_ERROR.
	tlm_iommu(sc_core::sc_module_name name, const char *config_path = nullptr,
		  const std::vector<std::string> &sets = {}, uint32_t default_rid = 0);
	~tlm_iommu() override;
	tlm_iommu(const tlm_iommu &) = delete;
	tlm_iommu &operator=(const tlm_iommu &) = delete;

	// Host software. type: 0 paging, 1 identity, 2 blocked; pasid < 0: none;
	// prot: 1 read, 2 write, 4 exec; pgsize 0: the host's choice.
	int domain_create(uint32_t id, uint32_t type = 0);
	int domain_free(uint32_t id, sc_core::sc_time &delay);
	int attach(uint32_t rid, int64_t pasid, uint32_t domain, sc_core::sc_time &delay);
	int detach(uint32_t rid, int64_t pasid, sc_core::sc_time &delay);
	int map(uint32_t domain, uint64_t iova, uint64_t pa, uint64_t size, uint32_t prot,
		sc_core::sc_time &delay, uint64_t pgsize = 0);
	int unmap(uint32_t domain, uint64_t iova, uint64_t size, sc_core::sc_time &delay);
	const std::string &last_error() const { return error_; }

	const char *kind() const;             // "smmuv3" or "vtd"
	const counters &count() const { return cnt_; }
	struct iom_stats *stats();            // every model statistic (sim/stats.h)
	struct iom_system *system() { return sys_; }

private:
	struct iom_config *cfg_ = nullptr;
	struct iom_system *sys_ = nullptr;
	struct iom_mem *mem_ = nullptr;
	struct iom_iommu *iommu_ = nullptr;
	struct iom_host *host_ = nullptr;
	uint32_t default_rid_;
	uint64_t res_ps_ = 1;   // time resolution in ps
	bool busy_ = false;     // the model is inside a call (see lock())
	sc_core::sc_event idle_;
	counters cnt_ = {};
	std::string error_;

	void b_transport(tlm::tlm_generic_payload &gp, sc_core::sc_time &delay);
	unsigned int transport_dbg(tlm::tlm_generic_payload &gp);
	bool get_direct_mem_ptr(tlm::tlm_generic_payload &gp, tlm::tlm_dmi &dmi);

	uint64_t to_ps(const sc_core::sc_time &t) const { return t.value() * res_ps_; }
	sc_core::sc_time from_ps(uint64_t ps) const
	{
		return sc_core::sc_time::from_value(ps / res_ps_);
	}
	uint64_t now_ps() const { return to_ps(sc_core::sc_time_stamp()); }
	void lock();
	void unlock();
	int host_done(int r, const char *msg, uint64_t done_ps, sc_core::sc_time &delay);
	tlm::tlm_response_status translation_request(iommu_ext *x, uint64_t addr, uint64_t arrive,
						     uint64_t *done_ps);

	static bool mem_timed(void *ctx, int req, bool write, uint64_t pa, void *buf, size_t len,
			      uint64_t now_ps, uint64_t *done_ps);
	static bool mem_functional(void *ctx, bool write, uint64_t pa, void *buf, size_t len);
};

} // namespace iom

#endif
