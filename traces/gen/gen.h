/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gen.h - synthetic workload generators. Each writes a trace through the
 * normal writer, deterministically from its parameters and seed.
 */
#ifndef IOM_TRACES_GEN_H
#define IOM_TRACES_GEN_H

#include "iom.h"
#include "trace.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How a pool I/O chooses its buffer. */
enum iom_gen_pick {
	IOM_GEN_PICK_UNIFORM = 0, /* every buffer equally likely */
	IOM_GEN_PICK_ZIPF,        /* buffer of popularity rank k with probability ~ 1/k^zipf_s */
};

/* An NVMe-like device (see gen_nvme.c for the exact shape): "dynamic"
 * (pool_pages == 0: each I/O maps and unmaps its buffer) or "static pool"
 * (buffers picked from a pool mapped once at the start). */
struct iom_gen_nvme {
	uint64_t seed;
	uint64_t ios;          /* I/O commands */
	uint32_t queue_depth;  /* commands in flight */
	uint32_t sq_entries;   /* submission/completion ring entries */
	uint32_t io_bytes;     /* bytes per I/O (multiple of 4096) */
	uint32_t read_pct;     /* share of reads (device writes memory), 0..100 */
	uint64_t iops;         /* arrival rate of commands */
	uint32_t dev;          /* requester ID */
	uint32_t warmup_pct;   /* share of I/Os before the roi marker */
	uint64_t mem_bytes;    /* size of the physical memory buffers come from */
	uint32_t iova_defer;   /* dynamic: an IOVA is reused only after this many more unmaps */
	uint64_t pool_pages;   /* 0: dynamic mapping; else a static pool of this many 4 KB pages */
	uint64_t pgsize;       /* pool: page size of its mapping: 4K, 2M or 1G */
	uint32_t pick;         /* pool: enum iom_gen_pick */
	double zipf_s;         /* pool, zipf: the exponent s (> 0) */
};

void iom_gen_nvme_defaults(struct iom_gen_nvme *p);
int iom_gen_nvme(const struct iom_gen_nvme *p, struct iom_trace_writer *w, struct iom_err *err);

/* ---- DMA API traces (docs/dma-api.md) ---- */

/* The dynamic NVMe shape written as DMA API calls (gen_nvme.c): the rings
 * and each I/O's buffer are dmamap / dmaunmap records, the DMAs name their
 * buffer (buf=, iova = offset) and the replay's DMA API picks the addresses.
 * Not with a static pool or iova_defer (IOVAs are the DMA API's). */
int iom_gen_nvme_dma_api(const struct iom_gen_nvme *p, struct iom_trace_writer *w,
			 struct iom_err *err);

/* A NIC-like device through the DMA API (see gen_nic.c for the shape):
 * queue pairs, each on its own CPU, with TX and RX descriptor rings; every
 * transmitted packet is mapped, read by the device and unmapped at its TX
 * completion; every RX buffer is mapped at refill, written by the device,
 * and unmapped when the driver takes the packet (then a new one is mapped). */
struct iom_gen_nic {
	uint64_t seed;
	uint64_t packets;     /* packets, sent and received */
	uint32_t pkt_bytes;   /* bytes per packet, 64..65536 */
	uint32_t rx_pct;      /* share of received packets, 0..100 */
	uint64_t pps;         /* packet arrival rate (all queues) */
	uint32_t queues;      /* queue pairs (a queue's buffers run on CPU queue) */
	uint32_t ring;        /* descriptors per ring */
	uint32_t rx_buf;      /* bytes of an RX buffer (>= pkt_bytes when rx_pct > 0) */
	uint32_t link_gbps;   /* wire speed: a packet takes pkt_bytes * 8 / link_gbps ns */
	uint32_t dev;         /* requester ID */
	uint32_t warmup_pct;  /* share of packets before the roi marker */
	uint64_t mem_bytes;   /* size of the memory buffers come from */
	uint32_t pkt_max;     /* > pkt_bytes: sent packets (TSO) drawn log-uniformly in
			       * [pkt_bytes, pkt_max]; 0: all pkt_bytes */
	bool no_teardown;     /* leave the buffers mapped at the end (state studies) */
};
void iom_gen_nic_defaults(struct iom_gen_nic *p);
int iom_gen_nic(const struct iom_gen_nic *p, struct iom_trace_writer *w, struct iom_err *err);

/* ---- live migration with dirty tracking (gen_migrate.c, docs/dirty.md) ---- */

/* How the device dirties guest memory between two harvests. */
enum iom_gen_mig_mode {
	IOM_GEN_MIG_RATE = 0, /* a stream of writes at `rate` bytes/s, hot-set locality */
	IOM_GEN_MIG_FRACTION, /* dirty_pct % of the guest's 4 KB pages, once per interval */
};

#define IOM_GEN_MIG_MAX_ROUNDS 256u

/* A VM's guest RAM mapped in one domain with a device attached and dirty
 * tracking on; the device dirties memory while pre-copy rounds harvest the
 * whole guest range, then a stop-and-copy harvest (see gen_migrate.c). */
struct iom_gen_migrate {
	uint64_t seed;
	uint64_t guest_bytes;    /* guest RAM, a multiple of pgsize */
	uint64_t pgsize;         /* mapping page size: 4K, 2M or 1G */
	uint64_t iova;           /* IOVA of guest RAM (its GPA) */
	uint64_t pa;             /* host physical memory behind it */
	uint32_t dev;            /* requester ID */
	uint32_t domain;         /* domain id */
	uint32_t mode;           /* enum iom_gen_mig_mode */
	uint64_t rate;           /* rate: bytes/s the device writes (0: none) */
	uint32_t write_bytes;    /* bytes per DMA write, from a page start */
	uint32_t hot_pct;        /* rate: hot set = this % of the guest's pages (>= 1 page) */
	uint32_t hot_share_pct;  /* rate: % of the writes that land in the hot set */
	uint32_t dirty_pct;      /* fraction: % of the guest's 4 KB pages written per interval */
	uint64_t bandwidth;      /* migration link, bytes/s */
	uint32_t max_rounds;     /* live harvests at most, 1..IOM_GEN_MIG_MAX_ROUNDS */
	uint64_t stop_pages;     /* converged when a harvest finds <= this many copy units */
	uint64_t stop_ps;        /* from the stop decision to the device quiesced */
	uint64_t harvest_ps;     /* time a harvest takes, as estimated (0: none) */
	uint64_t copy_unit;      /* granule the generator counts (and copies) dirty memory in */
	uint64_t harvest_pgsize; /* bitmap page size of the harvest records */
	bool comments;           /* text traces: a comment before each harvest */
};

/* What the generator wrote: its own dirty accounting per harvest. */
struct iom_gen_migrate_out {
	uint32_t harvests;        /* live harvests + the stop-and-copy harvest */
	uint32_t converged_round; /* harvest (1-based) that met stop_pages; 0: did not converge */
	uint64_t dmas;            /* DMA writes */
	uint64_t start_ps;        /* tracking on, round 0 (the bulk copy) starts */
	uint64_t stop_ps;         /* the device is quiesced */
	uint64_t harvest_ps[IOM_GEN_MIG_MAX_ROUNDS + 1]; /* time of harvest k + 1 */
	uint64_t units[IOM_GEN_MIG_MAX_ROUNDS + 1];      /* copy units dirtied before it */
};

void iom_gen_migrate_defaults(struct iom_gen_migrate *p);
/* out may be NULL. */
int iom_gen_migrate(const struct iom_gen_migrate *p, struct iom_trace_writer *w,
		    struct iom_gen_migrate_out *out, struct iom_err *err);

#ifdef __cplusplus
}
#endif
#endif
