// SPDX-License-Identifier: Apache-2.0
/*
 * iotlb_rtl.cpp - the C API of rtl.h over the Verilated iotlb.sv (Viotlb).
 *
 * One request at a time: drive the request ports with req_valid, run the
 * clock (posedge + negedge evaluation = one cycle) until resp_valid, read
 * the registered response.  Single-cycle operations answer after one cycle;
 * OP_INV_RANGE and OP_FLUSH walk one set per cycle, and reset initialises
 * every programmed set the same way.  No C++ exception or Verilator state
 * escapes through these extern "C" functions.
 */
#include "rtl.h"

#include "Viotlb.h"
#include "verilated.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <new>

namespace {

enum : unsigned {
	OP_LOOKUP = 0,
	OP_PEEK = 1,
	OP_FILL = 2,
	OP_INV_KEY = 3,
	OP_INV_RANGE = 4,
	OP_INV_WAYS = 5,
	OP_FLUSH = 6,
	OP_READ_SET = 7,
};

// Bits [lo, lo + n) of a port, n <= 64, whatever C type Verilator gave it.
template <std::size_t N> uint64_t port_bits(const VlWide<N> &v, unsigned lo, unsigned n)
{
	unsigned w = lo / 32, sh = lo % 32;
	uint64_t r = v[w];
	if (w + 1 < N)
		r |= (uint64_t)v[w + 1] << 32;
	r >>= sh;
	if (sh && w + 2 < N)
		r |= (uint64_t)v[w + 2] << (64 - sh);
	return n >= 64 ? r : r & ((1ull << n) - 1);
}

uint64_t port_bits(uint64_t v, unsigned lo, unsigned n)
{
	v >>= lo;
	return n >= 64 ? v : v & ((1ull << n) - 1);
}

unsigned log2_ceil(unsigned v)
{
	unsigned b = 0;
	while ((1u << b) < v)
		b++;
	return b;
}

} // namespace

struct iom_rtl_tlb {
	VerilatedContext ctx;
	Viotlb *top = nullptr;
	uint32_t sets = 0, ways = 0, policy = 0;
	unsigned way_bits = 1;  // WAY_W of the model
	uint64_t cycles = 0;
};

static_assert(IOM_RTL_TLB_MAX_WAYS <= 64, "way masks are uint64_t");
static_assert(IOM_RTL_CAP_SETS == IOM_RTL_TLB_MAX_SETS && IOM_RTL_CAP_WAYS == IOM_RTL_TLB_MAX_WAYS,
	      "rtl.h capacity differs from the one verilated (models/rtl/CMakeLists.txt)");

static void tlb_tick(iom_rtl_tlb *t)
{
	t->top->clk = 1;
	t->top->eval();
	t->top->clk = 0;
	t->top->eval();
	t->cycles++;
}

// Run one request to its response. The RTL answers within sets + 1 cycles; more means
// the model is broken, which no caller can recover from.
static void tlb_issue(iom_rtl_tlb *t, unsigned op)
{
	Viotlb *m = t->top;
	m->req_op = op;
	m->req_valid = 1;
	tlb_tick(t);
	m->req_valid = 0;
	for (uint32_t n = 0; !m->resp_valid; n++) {
		if (n > t->sets + 2) {
			fprintf(stderr, "iotlb_rtl: operation %u got no response after %u cycles\n",
				op, n);
			abort();
		}
		tlb_tick(t);
	}
}

static void tlb_key(iom_rtl_tlb *t, const iom_cache_key *k)
{
	t->top->req_addr = k->addr;
	t->top->req_tag = k->tag;
}

extern "C" {

bool iom_rtl_available(void)
{
	return true;
}

struct iom_rtl_tlb *iom_rtl_tlb_create(uint32_t sets, uint32_t ways, uint32_t policy,
				       struct iom_err *err)
{
	if (policy != IOM_CACHE_LRU && policy != IOM_CACHE_PLRU) {
		static const char *const names[] = {"lru", "plru", "fifo", "random", "flush_all"};
		iom_err_set(err, IOM_ENOTSUP,
			    "the RTL IOTLB implements the lru and plru policies, not '%s'",
			    policy < 5 ? names[policy] : "?");
		return nullptr;
	}
	if (!sets || !ways || sets > IOM_RTL_TLB_MAX_SETS || ways > IOM_RTL_TLB_MAX_WAYS) {
		iom_err_set(err, IOM_ENOTSUP,
			    "%" PRIu32 " sets x %" PRIu32 " ways is outside the RTL IOTLB's "
			    "capacity (1..%u sets x 1..%u ways, set at build time in "
			    "models/rtl/CMakeLists.txt)",
			    sets, ways, IOM_RTL_TLB_MAX_SETS, IOM_RTL_TLB_MAX_WAYS);
		return nullptr;
	}
	if (policy == IOM_CACHE_PLRU && (ways & (ways - 1))) {
		iom_err_set(err, IOM_ENOTSUP,
			    "policy plru needs a power-of-2 number of ways, got %" PRIu32, ways);
		return nullptr;
	}
	iom_rtl_tlb *t = new (std::nothrow) iom_rtl_tlb;
	if (t)
		t->top = new (std::nothrow) Viotlb{&t->ctx, "iotlb"};
	if (!t || !t->top) {
		delete t;
		iom_err_set(err, IOM_ENOMEM, "RTL IOTLB: out of memory");
		return nullptr;
	}
	t->sets = sets;
	t->ways = ways;
	t->policy = policy;
	t->way_bits = IOM_RTL_TLB_MAX_WAYS > 1 ? log2_ceil(IOM_RTL_TLB_MAX_WAYS) : 1;
	Viotlb *m = t->top;
	m->cfg_sets = sets;
	m->cfg_ways = ways;
	m->cfg_policy = policy == IOM_CACHE_PLRU;
	m->req_valid = 0;
	m->clk = 0;
	m->rst_n = 0;
	m->eval();
	tlb_tick(t); // reset starts the initialisation walk
	m->rst_n = 1;
	while (!m->req_ready)
		tlb_tick(t);
	return t;
}

void iom_rtl_tlb_destroy(struct iom_rtl_tlb *t)
{
	if (!t)
		return;
	t->top->final();
	delete t->top;
	delete t;
}

uint32_t iom_rtl_tlb_sets(const struct iom_rtl_tlb *t)
{
	return t->sets;
}

uint32_t iom_rtl_tlb_ways(const struct iom_rtl_tlb *t)
{
	return t->ways;
}

int iom_rtl_tlb_lookup(struct iom_rtl_tlb *t, const struct iom_cache_key *k, bool touch,
		       uint64_t *value)
{
	tlb_key(t, k);
	tlb_issue(t, touch ? OP_LOOKUP : OP_PEEK);
	if (!t->top->resp_hit)
		return -1;
	if (value)
		*value = t->top->resp_value;
	return (int)t->top->resp_way;
}

int iom_rtl_tlb_fill(struct iom_rtl_tlb *t, const struct iom_cache_key *k, uint64_t value,
		     bool *present, bool *evicted, struct iom_cache_key *victim)
{
	tlb_key(t, k);
	t->top->req_value = value;
	tlb_issue(t, OP_FILL);
	Viotlb *m = t->top;
	*present = m->resp_hit;
	*evicted = m->resp_evicted;
	if (*evicted && victim)
		*victim = iom_cache_key{m->resp_victim_addr, m->resp_victim_tag};
	return (int)m->resp_way;
}

int iom_rtl_tlb_invalidate(struct iom_rtl_tlb *t, const struct iom_cache_key *k)
{
	tlb_key(t, k);
	tlb_issue(t, OP_INV_KEY);
	return t->top->resp_count ? (int)t->top->resp_way : -1;
}

uint64_t iom_rtl_tlb_invalidate_range(struct iom_rtl_tlb *t, uint64_t want, uint64_t mask,
				      uint64_t lo, uint64_t hi)
{
	Viotlb *m = t->top;
	m->req_tag = want;
	m->req_mask = mask;
	m->req_addr = lo;
	m->req_hi = hi;
	tlb_issue(t, OP_INV_RANGE);
	return m->resp_count;
}

uint64_t iom_rtl_tlb_invalidate_ways(struct iom_rtl_tlb *t, uint32_t set, uint64_t ways)
{
	t->top->req_set = set;
	t->top->req_ways = ways & ((t->ways < 64 ? 1ull << t->ways : 0) - 1);
	tlb_issue(t, OP_INV_WAYS);
	return t->top->resp_count;
}

uint64_t iom_rtl_tlb_flush(struct iom_rtl_tlb *t)
{
	tlb_issue(t, OP_FLUSH);
	return t->top->resp_count;
}

void iom_rtl_tlb_read_set(struct iom_rtl_tlb *t, uint32_t set, struct iom_rtl_set *out)
{
	Viotlb *m = t->top;
	m->req_set = set;
	tlb_issue(t, OP_READ_SET);
	*out = iom_rtl_set{};
	out->valid = m->rd_valid;
	out->plru = m->rd_plru;
	for (uint32_t w = 0; w < t->ways; w++) {
		out->key[w].addr = port_bits(m->rd_addr, w * 64, 64);
		out->key[w].tag = port_bits(m->rd_tag, w * 64, 64);
		out->value[w] = port_bits(m->rd_value, w * 64, 64);
		out->age[w] = (uint8_t)port_bits(m->rd_age, w * t->way_bits, t->way_bits);
	}
}

uint32_t iom_rtl_tlb_valid(const struct iom_rtl_tlb *t)
{
	return t->top->valid_count;
}

uint64_t iom_rtl_tlb_cycles(const struct iom_rtl_tlb *t)
{
	return t->cycles;
}

} // extern "C"
