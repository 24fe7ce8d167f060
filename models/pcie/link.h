/* SPDX-License-Identifier: Apache-2.0 */
/*
 * link.h - timing of one PCIe link: bytes on the wire, bandwidth, latency.
 *
 * The byte accounting is the published pcie-bench model (Neugebauer et al.,
 * "Understanding PCIe performance for end host networking", SIGCOMM 2018;
 * github.com/pcie-bench/pcie-model, model/pcie.py and model/mem_bw.py),
 * re-derived here from its formulas; docs/pcie-link.md states them and
 * compares the results with the model and with measurements:
 *
 *  - lane rate after encoding: GT/s x 8/10 (Gen1, Gen2), x 128/130 (Gen3-5),
 *    x 242/256 (Gen6, as pcie-bench has it; flit mode is not modelled);
 *  - the rate left for TLPs: that x (1 - 8/AckLimit - 8/FCGuide - 4/1538):
 *    one 8-byte ACK DLLP and one 8-byte UpdateFC DLLP per the spec's
 *    recommended byte intervals (PCIe Base 5.0 tables 3-7..3-9, 2-46..2-48,
 *    indexed by generation, width and Max_Payload_Size), and a 4-symbol SKP
 *    ordered set every 1538 symbols;
 *  - per TLP 8 bytes of framing (Gen1/2: STP 1 + sequence number 2 + LCRC 4
 *    + END 1; Gen3+: 4-byte STP token carrying the sequence number + LCRC 4),
 *    a 12-byte (3DW) or 16-byte (4DW) header for memory requests, 12 bytes
 *    for completions, 16 for messages, and 4 more with ECRC;
 *  - writes split at Max_Payload_Size, read requests at Max_Read_Request_Size
 *    (neither crosses a 4 KB boundary); completions split at MPS on RCB
 *    boundaries, or at every RCB boundary (`cpl_split: rcb`, what some
 *    older root complexes do).
 *
 * Time: each direction of the link is a serial resource (sim/resource.h);
 * a TLP holds it for wire_bytes x 8 / tlp_gbps (rounded to the nearest ps)
 * and arrives at the far end link_latency + switch_hops x switch_latency
 * after its last byte left (cut-through switches).  Directions are seen
 * from the endpoint: UP is endpoint -> root complex (DMA writes, read
 * requests), DOWN is root complex -> endpoint (completions, MMIO).
 */
#ifndef IOM_MODELS_PCIE_LINK_H
#define IOM_MODELS_PCIE_LINK_H

#include "iom.h"
#include "resource.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

struct iom_config;
struct iom_prop_table;
struct iom_stats;

enum iom_pcie_dir { IOM_PCIE_UP = 0, IOM_PCIE_DOWN = 1 };

enum iom_pcie_tlp {
	IOM_PCIE_TLP_MWR = 0, /* memory write, header 3DW or 4DW by address */
	IOM_PCIE_TLP_MRD,     /* memory read request, 3DW or 4DW */
	IOM_PCIE_TLP_CPLD,    /* completion with data, 3DW */
	IOM_PCIE_TLP_CPL,     /* completion without data, 3DW */
	IOM_PCIE_TLP_MSG,     /* message request, 4DW */
	IOM_PCIE_TLP_KINDS
};

/* Header format of memory requests. */
enum iom_pcie_addr {
	IOM_PCIE_ADDR_64 = 0, /* always 4DW (pcie-bench's default) */
	IOM_PCIE_ADDR_32,     /* always 3DW */
	IOM_PCIE_ADDR_AUTO,   /* 3DW below 4 GiB, 4DW above, as the spec requires */
};

/* How a completer splits the data of one read request. */
enum iom_pcie_cpl_split {
	IOM_PCIE_CPL_MPS = 0, /* up to MPS per completion, split on RCB boundaries */
	IOM_PCIE_CPL_RCB,     /* one completion per RCB-aligned block */
};

/* Framing (STP/token, sequence number, LCRC, END) per TLP, and the other
 * fixed sizes of the model, in bytes. */
#define IOM_PCIE_FRAMING_BYTES 8
#define IOM_PCIE_ECRC_BYTES 4
#define IOM_PCIE_DLLP_BYTES 8   /* an ACK or UpdateFC DLLP with its framing */
#define IOM_PCIE_SKP_SYMBOLS 4  /* SKP ordered set length ... */
#define IOM_PCIE_SKP_INTERVAL 1538 /* ... once per this many symbols */
#define IOM_PCIE_4K 4096u

struct iom_pcie_link_cfg {
	uint32_t gen;               /* 1..6 */
	uint32_t width;             /* lanes: 1, 2, 4, 8, 16, 32 */
	uint32_t mps;               /* Max_Payload_Size: 128..4096, power of two */
	uint32_t mrrs;              /* Max_Read_Request_Size: 128..4096, power of two */
	uint32_t rcb;               /* Read Completion Boundary: 64, 128, 256, 512 */
	uint32_t addr;              /* enum iom_pcie_addr */
	uint32_t cpl_split;         /* enum iom_pcie_cpl_split */
	bool ecrc;                  /* TLP digest on every TLP */
	uint32_t link_latency_ns;   /* one way, port to port, without serialisation */
	uint32_t switch_hops;       /* switches between the endpoint and the root port */
	uint32_t switch_latency_ns; /* per switch, cut-through */
	uint32_t rc_latency_ns;     /* read request arrival -> first completion leaves (analytic) */
	uint32_t peer_latency_ns;   /* replay: a peer's BAR read, request arrival -> completion */
};

/* The property table (section "pcie.link"). */
extern const struct iom_prop_table iom_pcie_link_prop_table;
void iom_pcie_link_cfg_default(struct iom_pcie_link_cfg *out);
/* Bind the table at `path` (NULL: "pcie.link") and check what a table cannot
 * (powers of two, the allowed widths): "pcie.link.mps: expected ...". */
int iom_pcie_link_cfg_bind(struct iom_config *c, const char *path, struct iom_pcie_link_cfg *out,
			   struct iom_err *err);
/* The same checks on a struct filled by hand (`what` names it in messages). */
int iom_pcie_link_cfg_check(const struct iom_pcie_link_cfg *cfg, const char *what,
			    struct iom_err *err);

/* Everything derived from a configuration. */
struct iom_pcie_link_params {
	struct iom_pcie_link_cfg cfg;
	double gts;           /* transfers per second per lane, in G */
	double encoding;      /* data bits per line bit */
	double raw_gbps;      /* gts x encoding x width */
	double ack_overhead;  /* fraction of raw taken by ACK DLLPs */
	double fc_overhead;   /* ... by UpdateFC DLLPs */
	double skip_overhead; /* ... by SKP ordered sets */
	double tlp_gbps;      /* what is left for TLPs, each direction */
	double ps_per_byte;   /* 8000 / tlp_gbps */
	uint32_t ack_limit, fc_guide; /* the table entries used, bytes */
	uint64_t oneway_ps;   /* link_latency + switch_hops x switch_latency */
	uint64_t rc_ps;
};

/* Validate cfg and derive the parameters. 0 or -IOM_EINVAL. */
int iom_pcie_link_params_init(struct iom_pcie_link_params *p, const struct iom_pcie_link_cfg *cfg,
			      struct iom_err *err);

/* Bytes on the wire of one TLP carrying `payload` data bytes at `addr`
 * (addr only matters for memory requests in `auto` address mode). */
uint32_t iom_pcie_tlp_wire_bytes(const struct iom_pcie_link_params *p, enum iom_pcie_tlp kind,
				 uint32_t payload, uint64_t addr);
/* Serialisation time of `bytes` wire bytes, rounded to the nearest ps. */
static inline uint64_t iom_pcie_ser_ps(const struct iom_pcie_link_params *p, uint64_t bytes)
{
	return (uint64_t)((double)bytes * p->ps_per_byte + 0.5);
}

/* Payload of the next request TLP at addr with `left` bytes to go: at most
 * `max` (MPS or MRRS) and never across a 4 KB boundary. */
static inline uint32_t iom_pcie_req_len(uint64_t addr, uint64_t left, uint32_t max)
{
	uint64_t to_4k = IOM_PCIE_4K - (addr & (IOM_PCIE_4K - 1));
	uint64_t n = left < to_4k ? left : to_4k;
	return (uint32_t)(n < max ? n : max);
}
/* Payload of the next completion of a request with `left` bytes to go at addr. */
uint32_t iom_pcie_cpl_len(const struct iom_pcie_link_params *p, uint64_t addr, uint64_t left);
/* The same with the completer's MPS, RCB and split (enum iom_pcie_cpl_split) given. */
uint32_t iom_pcie_cpl_len_by(uint32_t mps, uint32_t rcb, unsigned split, uint64_t addr,
			     uint64_t left);

/* TLPs, wire bytes and data bytes of one transfer, per direction. */
struct iom_pcie_cost {
	uint64_t tlps[2];
	uint64_t wire_bytes[2];
	uint64_t data_bytes[2];
};
/* A DMA write of len bytes at addr by the endpoint (all UP). */
void iom_pcie_write_cost(const struct iom_pcie_link_params *p, uint64_t addr, uint64_t len,
			 struct iom_pcie_cost *c);
/* A DMA read: requests UP, completions DOWN. */
void iom_pcie_read_cost(const struct iom_pcie_link_params *p, uint64_t addr, uint64_t len,
			struct iom_pcie_cost *c);

/* Effective data bandwidth (Gb/s) of back-to-back transfers of `size` bytes,
 * each starting on a 4 KB boundary, as pcie-bench's mem_bw.write / read /
 * read_write compute it: a read is limited by whichever direction needs more
 * wire bytes; read_write does one read and one write of `size` per step. */
double iom_pcie_write_gbps(const struct iom_pcie_link_params *p, uint64_t size);
double iom_pcie_read_gbps(const struct iom_pcie_link_params *p, uint64_t size);
double iom_pcie_rdwr_gbps(const struct iom_pcie_link_params *p, uint64_t size);

/* Unloaded latency (idle link) of one transfer of `size` bytes at addr, in ps:
 * a write from its first byte leaving the endpoint to its last TLP received
 * by the root complex; a read from its first request leaving to its last
 * completion received, with every request answered rc_latency after it
 * arrives and completions queued on the DOWN direction. */
uint64_t iom_pcie_write_latency_ps(const struct iom_pcie_link_params *p, uint64_t addr,
				   uint64_t size);
uint64_t iom_pcie_read_latency_ps(const struct iom_pcie_link_params *p, uint64_t addr,
				  uint64_t size);

/* ---- time-stepped link ------------------------------------------------- */

/* One direction as a calendar of busy intervals [s, e), sorted, disjoint and
 * not touching (touching ones are merged): for TLPs that are not sent in
 * time order (fabric.c sends a whole DMA's requests, then its completions,
 * then the next DMA's).  A TLP takes the first idle gap at or after its
 * ready time that holds it -- so one ready earlier goes first, as on the
 * wire, whatever the order of the calls.  Intervals that end at or before
 * the caller's horizon (no TLP will be ready before it) are dropped. */
struct iom_pcie_iv {
	uint64_t s, e;
};
struct iom_pcie_cal {
	struct iom_pcie_iv *iv; /* live: iv[lo .. lo + n) */
	uint32_t lo, n, cap;
};

struct iom_pcie_link {
	struct iom_pcie_link_params p;
	char name[96];
	struct iom_resource dir[2]; /* one serial resource per direction */
	struct iom_pcie_cal cal[2]; /* or a calendar (iom_pcie_link_put_cal) */
	/* stats, per direction */
	uint64_t tlps[2];
	uint64_t wire_bytes[2];
	uint64_t data_bytes[2];
};

int iom_pcie_link_init(struct iom_pcie_link *l, const struct iom_pcie_link_cfg *cfg,
		       const char *name, struct iom_err *err);
void iom_pcie_link_fini(struct iom_pcie_link *l);

/* Serialise a TLP of `wire` bytes (`data` of them payload) that is ready at
 * ready_ps on direction dir: counted, the direction held for ser_ps from the
 * returned start time.  Its first byte reaches the far end at start +
 * oneway_ps, its last byte ser_ps later (fabric.c chains links with it). */
static inline uint64_t iom_pcie_link_put(struct iom_pcie_link *l, uint64_t ready_ps,
					 enum iom_pcie_dir dir, uint32_t wire, uint32_t data,
					 uint64_t ser_ps)
{
	uint64_t start = iom_resource_acquire(&l->dir[dir], ready_ps, ser_ps, NULL);
	l->tlps[dir]++;
	l->wire_bytes[dir] += wire;
	l->data_bytes[dir] += data;
	return start;
}

/* iom_pcie_link_put() on the calendar of direction dir: the TLP starts in
 * the first gap at or after ready_ps that holds ser_ps; no TLP may later be
 * ready before horizon_ps.  Counts the TLP and the direction's busy and wait
 * time (dir[].busy_ps, wait_ps) as the resource would.  A link uses either
 * this or iom_pcie_link_put(), not both. */
uint64_t iom_pcie_link_put_cal(struct iom_pcie_link *l, uint64_t horizon_ps, uint64_t ready_ps,
			       enum iom_pcie_dir dir, uint32_t wire, uint32_t data,
			       uint64_t ser_ps);

/* Send one TLP that is ready at now_ps. Returns when it has been received at
 * the far end (its last byte, after the one-way latency). */
uint64_t iom_pcie_link_tx(struct iom_pcie_link *l, uint64_t now_ps, enum iom_pcie_dir dir,
			  enum iom_pcie_tlp kind, uint32_t payload, uint64_t addr);
/* A DMA write by the endpoint: MWr TLPs UP, back to back. Returns when the
 * last one has been received by the root complex. */
uint64_t iom_pcie_link_write(struct iom_pcie_link *l, uint64_t now_ps, uint64_t addr,
			     uint64_t len);
/* One read request (len <= MRRS, within one 4 KB page) UP; returns its arrival. */
uint64_t iom_pcie_link_read_req(struct iom_pcie_link *l, uint64_t now_ps, uint64_t addr,
				uint32_t len);
/* The completions of one request, DOWN, the first ready at ready_ps.
 * Returns when the last has been received by the endpoint. */
uint64_t iom_pcie_link_cpl(struct iom_pcie_link *l, uint64_t ready_ps, uint64_t addr,
			   uint32_t len);
/* A whole DMA read with the fixed completer latency rc_latency_ns. Returns
 * when the last completion has been received. */
uint64_t iom_pcie_link_read(struct iom_pcie_link *l, uint64_t now_ps, uint64_t addr,
			    uint64_t len);

/* Counters "<name>.up.tlps", ... and the resources' busy/wait times. */
int iom_pcie_link_register_stats(struct iom_pcie_link *l, struct iom_stats *s,
				 struct iom_err *err);

#ifdef __cplusplus
}
#endif
#endif
