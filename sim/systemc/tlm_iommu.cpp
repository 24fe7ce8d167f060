// SPDX-License-Identifier: Apache-2.0
/*
 * tlm_iommu.cpp - the TLM-2.0 IOMMU module (iom_tlm.h).
 *
 * The module owns a system built from the configuration (sim/replay
 * system.c: memory model, IOMMU model + driver, host), minus devices: the
 * platform's initiators are the devices.  Its memory model is routed to the
 * initiator socket (iom_mem_set_port): timed accesses become b_transport,
 * functional ones transport_dbg, so nothing of the model's state lives in
 * local pages.
 *
 * One device transaction: for each 4 KB page it touches (PCIe requests never
 * cross 4 KB; longer LT bursts are cut here), an iom_txn goes to the model's
 * translate op at the arrival time; the page is then forwarded at the
 * translated address, starting when its translation is done.  Like the
 * device model (models/device/device.c), all pages are issued at the arrival
 * time and the transaction completes with its last page.  The host's lazy
 * flush timers run before each transaction (iom_host_advance), as the
 * replay runs them before each record.
 *
 * Re-entry: the C models are not re-entrant.  If a downstream target wait()s
 * inside an access of the model, another initiator could call in; lock()
 * makes it wait for the first call to finish (only possible from a thread
 * process; an SC_METHOD re-entering is an error).
 */
#include "iom_tlm.h"

// C headers: in C++ a function named like a struct (iom_host_domain(),
// iom_mem_req_stats()) "hides the constructor" under -Wshadow; harmless here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#include "config.h"
#include "host.h"
#include "iommu.h"
#include "mem.h"
#include "replay.h"
#include "sc_system.h"
#include "stats.h"
#pragma GCC diagnostic pop

#include <algorithm>
#include <cmath>
#include <string>

namespace iom {

using sc_core::sc_time;

tlm_iommu::tlm_iommu(sc_core::sc_module_name name, const char *config_path,
		     const std::vector<std::string> &sets, uint32_t default_rid)
	: sc_module(name), tsock("tsock"), isock("isock"), default_rid_(default_rid)
{
	double res = sc_core::sc_get_time_resolution().to_seconds() * 1e12;
	if (res < 1.0 || std::fabs(res - std::round(res)) > 1e-6)
		SC_REPORT_ERROR("iom_tlm", "time resolution must be a whole number of picoseconds");
	res_ps_ = (uint64_t)std::llround(res);

	std::vector<const char *> setp;
	for (const std::string &s : sets)
		setp.push_back(s.c_str());
	struct iom_err err = {};
	sys_ = iom_sc_system_create(config_path, setp.data(), setp.size(), &cfg_, &err);
	if (!sys_) {
		std::string m = std::string(this->name()) + ": " + err.msg;
		SC_REPORT_ERROR("iom_tlm", m.c_str());
		return;
	}
	mem_ = iom_sc_system_mem(sys_);
	iommu_ = iom_sc_system_iommu(sys_);
	host_ = iom_sc_system_host(sys_);
	struct iom_mem_port port = {mem_timed, mem_functional, this};
	iom_mem_set_port(mem_, &port);

	static const struct {
		const char *name, *unit, *desc;
		uint64_t counters::*field;
	} ctrs[] = {
		{"tlm.transactions", "transactions", "device transactions received (b_transport)",
		 &counters::transactions},
		{"tlm.pages", "translations", "4 KB pages translated", &counters::pages},
		{"tlm.faulted", "transactions", "transactions answered with an error response",
		 &counters::faulted},
		{"tlm.translation_requests", "transactions", "ATS translation requests",
		 &counters::translation_requests},
		{"tlm.mem_timed", "accesses", "timed memory accesses of the model (b_transport)",
		 &counters::mem_timed},
		{"tlm.mem_debug", "accesses",
		 "functional memory accesses of the model (transport_dbg)", &counters::mem_debug},
	};
	for (const auto &c : ctrs) {
		struct iom_stats *st = iom_system_stats(sys_);
		if (iom_stats_counter(st, c.name, c.unit, c.desc, &(cnt_.*c.field), &err)) {
			SC_REPORT_ERROR("iom_tlm", err.msg);
			return;
		}
	}
	tsock.register_b_transport(this, &tlm_iommu::b_transport);
	tsock.register_transport_dbg(this, &tlm_iommu::transport_dbg);
	tsock.register_get_direct_mem_ptr(this, &tlm_iommu::get_direct_mem_ptr);
}

tlm_iommu::~tlm_iommu()
{
	if (mem_) // the platform's memory may be gone already: no access through isock
		iom_mem_set_port(mem_, nullptr);
	iom_system_destroy(sys_);
	iom_config_destroy(cfg_);
}

const char *tlm_iommu::kind() const
{
	return iommu_ ? iommu_->ops->kind : "";
}

struct iom_stats *tlm_iommu::stats()
{
	return iom_system_stats(sys_);
}

void tlm_iommu::lock()
{
	while (busy_) {
		sc_core::sc_process_handle h = sc_core::sc_get_current_process_handle();
		if (h.proc_kind() != sc_core::SC_THREAD_PROC_)
			SC_REPORT_ERROR("iom_tlm", "re-entered from a method process while busy");
		sc_core::wait(idle_);
	}
	busy_ = true;
}

void tlm_iommu::unlock()
{
	busy_ = false;
	idle_.notify(sc_core::SC_ZERO_TIME);
}

/* ---- device side ---- */

void tlm_iommu::b_transport(tlm::tlm_generic_payload &gp, sc_time &delay)
{
	iommu_ext *x = gp.get_extension<iommu_ext>();
	const uint64_t addr = gp.get_address();
	unsigned char *const data = gp.get_data_ptr();
	const unsigned int len = gp.get_data_length();
	const unsigned int sw = gp.get_streaming_width();
	const unsigned char *be = gp.get_byte_enable_ptr();

	if (gp.is_write() == gp.is_read()) { // TLM_IGNORE_COMMAND: nothing to do
		gp.set_response_status(tlm::TLM_OK_RESPONSE);
		return;
	}
	lock();
	cnt_.transactions++;
	uint64_t stamp = now_ps(), arrive = stamp + to_ps(delay), end = arrive, xlate = 0;
	struct iom_err err = {};
	tlm::tlm_response_status st = tlm::TLM_OK_RESPONSE;
	at_kind at = x ? x->at : at_kind::untranslated; // a request needs the extension
	cnt_.translation_requests += at == at_kind::translation_request;
	bool crosses = len > 4096 - (addr & 4095);

	if (sw < len) {
		st = tlm::TLM_BURST_ERROR_RESPONSE; // streaming bursts are not split
	} else if (be && crosses) {
		st = tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE; // byte enables only within a page
	} else if (iom_host_advance(host_, arrive, &err)) { // lazy flush timers
		error_ = err.msg;
		st = tlm::TLM_GENERIC_ERROR_RESPONSE;
	} else if (at == at_kind::translation_request) {
		st = translation_request(x, addr, arrive, &end);
		xlate = end - arrive;
	}
	bool first = true, failed = false;
	for (uint64_t off = 0; st == tlm::TLM_OK_RESPONSE && at != at_kind::translation_request &&
			       off < len;) {
		uint64_t a = addr + off;
		uint32_t n = (uint32_t)std::min<uint64_t>(len - off, 4096 - (a & 4095));
		struct iom_txn t = {};
		t.rid = x ? x->rid : default_rid_;
		t.pasid = x && x->pasid_valid ? x->pasid : 0;
		t.flags = (x && x->pasid_valid ? IOM_TXN_PASID_VALID : 0) |
			  (x && x->priv ? IOM_TXN_PRIV : 0) | (x && x->exec ? IOM_TXN_EXEC : 0);
		t.write = gp.is_write();
		t.at = (uint8_t)at;
		t.size = n;
		t.iova = a;
		t.issue_ps = arrive;
		if (iom_iommu_translate(iommu_, &t, &err)) {
			error_ = err.msg;
			st = tlm::TLM_GENERIC_ERROR_RESPONSE;
			break;
		}
		cnt_.pages++;
		xlate = std::max(xlate, t.done_ps - arrive);
		end = std::max(end, t.done_ps);
		if (x && (first || (t.status != IOM_TXN_OK && !failed))) {
			x->status = (xlate_status)t.status;
			x->fault = t.fault;
			x->tlb_hit = t.tlb_hit;
			x->walk_reads = t.walk_reads;
			x->cfg_reads = t.cfg_reads;
			x->pa = t.pa;
		}
		first = false;
		if (t.status != IOM_TXN_OK) {
			failed = true;
			st = t.status == IOM_TXN_FAULT ? tlm::TLM_ADDRESS_ERROR_RESPONSE
						       : tlm::TLM_GENERIC_ERROR_RESPONSE;
			break;
		}
		// forward the page at its translated address
		gp.set_address(t.pa);
		gp.set_data_ptr(data + off);
		gp.set_data_length(n);
		gp.set_streaming_width(n);
		gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
		uint64_t s = now_ps();
		sc_time d = from_ps(t.done_ps > s ? t.done_ps - s : 0);
		isock->b_transport(gp, d);
		end = std::max(end, now_ps() + to_ps(d));
		if (!gp.is_response_ok())
			st = gp.get_response_status();
		off += n;
	}
	gp.set_address(addr);
	gp.set_data_ptr(data);
	gp.set_data_length(len);
	gp.set_streaming_width(sw);
	gp.set_response_status(st);
	cnt_.faulted += st != tlm::TLM_OK_RESPONSE;
	if (x)
		x->xlate_delay = from_ps(xlate);
	stamp = now_ps();
	delay = from_ps(end > stamp ? end - stamp : 0);
	unlock();
}

// An ATS Translation Request (AT = 01b) for the address of the transaction:
// the completion goes into the extension, no memory access for data.  A
// completion with R = 0 is the spec's "no access" (a translation fault).
// Unsupported Request -> TLM_COMMAND_ERROR_RESPONSE, Completer Abort ->
// TLM_GENERIC_ERROR_RESPONSE.
tlm::tlm_response_status tlm_iommu::translation_request(iommu_ext *x, uint64_t addr,
							 uint64_t arrive, uint64_t *done_ps)
{
	struct iom_ats_req q = {};
	struct iom_err err = {};
	q.rid = x->rid;
	q.pasid = x->pasid_valid ? x->pasid : 0;
	q.flags = (x->pasid_valid ? IOM_TXN_PASID_VALID : 0) | (x->priv ? IOM_TXN_PRIV : 0) |
		  (x->exec ? IOM_TXN_EXEC : 0);
	q.no_write = x->no_write;
	q.iova = addr;
	q.issue_ps = arrive;
	if (iom_iommu_ats_translate(iommu_, &q, &err)) {
		error_ = err.msg;
		*done_ps = arrive;
		return tlm::TLM_GENERIC_ERROR_RESPONSE;
	}
	cnt_.pages++;
	*done_ps = std::max(q.done_ps, arrive);
	bool granted = q.status == IOM_ATS_SUCCESS && (q.perm & IOM_ATS_CPL_R);
	x->ats_status = q.status;
	x->ats_perm = q.perm;
	x->ats_size_log2 = q.size_log2;
	if (granted)
		x->status = xlate_status::ok;
	else
		x->status = q.status == IOM_ATS_SUCCESS ? xlate_status::fault : xlate_status::abort;
	x->fault = q.fault;
	x->tlb_hit = q.tlb_hit;
	x->walk_reads = q.walk_reads;
	x->cfg_reads = q.cfg_reads;
	x->pa = granted ? q.pa + (addr - q.base) : 0;
	if (q.status == IOM_ATS_UR)
		return tlm::TLM_COMMAND_ERROR_RESPONSE;
	return q.status == IOM_ATS_SUCCESS ? tlm::TLM_OK_RESPONSE : tlm::TLM_GENERIC_ERROR_RESPONSE;
}

// A debug access would have to translate without touching the model's
// caches and counters, which the models do not offer: not supported.
unsigned int tlm_iommu::transport_dbg(tlm::tlm_generic_payload &)
{
	return 0;
}

// No DMI through an IOMMU: every access must be translated.
bool tlm_iommu::get_direct_mem_ptr(tlm::tlm_generic_payload &, tlm::tlm_dmi &)
{
	return false;
}

/* ---- memory side: the model's accesses (struct iom_mem_port) ---- */

bool tlm_iommu::mem_timed(void *ctx, int req, bool write, uint64_t pa, void *buf, size_t len,
			  uint64_t now, uint64_t *done_ps)
{
	tlm_iommu *m = static_cast<tlm_iommu *>(ctx);
	std::vector<unsigned char> scratch;
	if (!buf) { // timing-only access: give the target something to move
		scratch.resize(len);
		buf = scratch.data();
	}
	tlm::tlm_generic_payload gp;
	iommu_req_ext rx;
	rx.requester = iom_mem_requester_name(m->mem_, req);
	gp.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
	gp.set_address(pa);
	gp.set_data_ptr(static_cast<unsigned char *>(buf));
	gp.set_data_length((unsigned int)len);
	gp.set_streaming_width((unsigned int)len);
	gp.set_byte_enable_ptr(nullptr);
	gp.set_dmi_allowed(false);
	gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
	gp.set_extension(&rx);
	bool ok = false;
	try {
		uint64_t s = m->now_ps();
		sc_time d = m->from_ps(now > s ? now - s : 0);
		m->isock->b_transport(gp, d);
		*done_ps = m->now_ps() + m->to_ps(d);
		ok = gp.is_response_ok();
	} catch (const std::exception &e) { // never unwind through the C model
		m->error_ = e.what();
		*done_ps = now;
	}
	gp.clear_extension(&rx);
	m->cnt_.mem_timed++;
	return ok;
}

bool tlm_iommu::mem_functional(void *ctx, bool write, uint64_t pa, void *buf, size_t len)
{
	tlm_iommu *m = static_cast<tlm_iommu *>(ctx);
	tlm::tlm_generic_payload gp;
	gp.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
	gp.set_address(pa);
	gp.set_data_ptr(static_cast<unsigned char *>(buf));
	gp.set_data_length((unsigned int)len);
	gp.set_streaming_width((unsigned int)len);
	m->cnt_.mem_debug++;
	try {
		return m->isock->transport_dbg(gp) == len;
	} catch (const std::exception &e) {
		m->error_ = e.what();
		return false;
	}
}

/* ---- host software ---- */

int tlm_iommu::host_done(int r, const char *msg, uint64_t done, sc_time &delay)
{
	if (r)
		error_ = msg;
	uint64_t s = now_ps();
	delay = from_ps(done > s ? done - s : 0);
	unlock();
	return r;
}

int tlm_iommu::domain_create(uint32_t id, uint32_t type)
{
	lock();
	struct iom_err err = {};
	int r = iom_host_domain_create(host_, id, type, &err);
	if (r)
		error_ = err.msg;
	unlock();
	return r;
}

int tlm_iommu::domain_free(uint32_t id, sc_time &delay)
{
	lock();
	struct iom_err err = {};
	uint64_t t = now_ps() + to_ps(delay), done = t;
	int r = iom_host_domain_free(host_, id, t, &done, &err);
	return host_done(r, err.msg, done, delay);
}

int tlm_iommu::attach(uint32_t rid, int64_t pasid, uint32_t domain, sc_time &delay)
{
	lock();
	struct iom_err err = {};
	uint64_t t = now_ps() + to_ps(delay), done = t;
	int r = iom_host_attach(host_, rid, pasid, domain, t, &done, &err);
	return host_done(r, err.msg, done, delay);
}

int tlm_iommu::detach(uint32_t rid, int64_t pasid, sc_time &delay)
{
	lock();
	struct iom_err err = {};
	uint64_t t = now_ps() + to_ps(delay), done = t;
	int r = iom_host_detach(host_, rid, pasid, t, &done, &err);
	return host_done(r, err.msg, done, delay);
}

int tlm_iommu::map(uint32_t domain, uint64_t iova, uint64_t pa, uint64_t size, uint32_t prot,
		   sc_time &delay, uint64_t pgsize)
{
	lock();
	struct iom_err err = {};
	uint64_t t = now_ps() + to_ps(delay), done = t;
	int r = iom_host_map(host_, domain, iova, pa, size, prot, pgsize, t, &done, &err);
	return host_done(r, err.msg, done, delay);
}

int tlm_iommu::unmap(uint32_t domain, uint64_t iova, uint64_t size, sc_time &delay)
{
	lock();
	struct iom_err err = {};
	uint64_t t = now_ps() + to_ps(delay), done = t;
	int r = iom_host_unmap(host_, domain, iova, size, t, &done, &err);
	return host_done(r, err.msg, done, delay);
}

} // namespace iom
