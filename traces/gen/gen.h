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

#ifdef __cplusplus
}
#endif
#endif
