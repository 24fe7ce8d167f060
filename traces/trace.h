/* SPDX-License-Identifier: Apache-2.0 */
/*
 * trace.h - trace format v1: the record vocabulary and streaming readers and
 * writers for its two encodings (docs/trace-format.md is the full spec).
 *
 *   text:   "# iommusim trace v1" header line, then one record per line:
 *           KIND key=value ...   ('#' starts a comment, blank lines ignored)
 *   binary: gzip stream (zlib) of a 16-byte header ("IOMTRACE", u16 version,
 *           u16 flags, u32 reserved) and varint-encoded records, closed by an
 *           END record holding the record count (truncation is detected even
 *           at a record boundary).
 * Both encode exactly the same struct iom_rec values, so text -> binary ->
 * text is lossless (canonical text is what the writer emits).
 *
 * Readers stream: memory does not depend on trace length.  The reader opens
 * either encoding (detected from the content, gzip or not), and decodes ahead
 * in its own thread in batches, so decoding overlaps simulation.  Errors are
 * reported as "FILE:LINE: ..." (text) or "FILE: record N: ..." (binary).
 */
#ifndef IOM_TRACES_TRACE_H
#define IOM_TRACES_TRACE_H

#include "iom.h"

#include <stdbool.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define IOM_TRACE_VERSION 1

enum iom_rec_kind {
	IOM_REC_DMA = 1,     /* a device DMA: dev, [pasid], iova, size, dir, [at], [flags], [buf]
	                      * (with buf: iova is the offset in that mapped buffer) */
	IOM_REC_DOMAIN,      /* op=create|free: domain, [type] */
	IOM_REC_ATTACH,      /* dev, [pasid], domain */
	IOM_REC_DETACH,      /* dev, [pasid] */
	IOM_REC_MAP,         /* domain, iova, size, pa, prot, [pgsize] */
	IOM_REC_UNMAP,       /* domain, iova, size */
	IOM_REC_INVAL,       /* op=all|domain|range|dev|pasid: [domain], [dev], [pasid], [iova, size] */
	IOM_REC_BIND,        /* SVA bind: dev, pasid, mm */
	IOM_REC_UNBIND,      /* dev, pasid */
	IOM_REC_PMAP,        /* process mapping: mm, iova(=va), size, pa, prot */
	IOM_REC_PUNMAP,      /* mm, iova(=va), size */
	IOM_REC_DIRTY,       /* op=on|off: domain */
	IOM_REC_HARVEST,     /* domain, iova, size, pgsize, [flags=noclear] */
	IOM_REC_RESV,        /* reserved region: dev, iova(=base), size, op=msi|sw_msi|direct|direct_relaxable|reserved */
	IOM_REC_PHASE,       /* op=warmup|roi|end, [name] */
	IOM_REC_DMAMAP,      /* DMA API map: dev, buf, size, pa, dir (r|w|rw) */
	IOM_REC_DMAUNMAP,    /* DMA API unmap: dev, buf */
	IOM_REC_KIND_MAX
};

/* dma: the device reads (r) or writes (w) memory.  dmamap: the DMA API
 * direction, r = DMA_TO_DEVICE, w = DMA_FROM_DEVICE, rw = DMA_BIDIRECTIONAL
 * (rw only on dmamap). */
enum iom_dir { IOM_DIR_READ = 0, IOM_DIR_WRITE = 1, IOM_DIR_BIDI = 2 };
/* PCIe Address Type of a DMA */
enum iom_at { IOM_AT_UNTRANSLATED = 0, IOM_AT_TREQ = 1, IOM_AT_TRANSLATED = 2 };
/* prot bits */
#define IOM_PROT_R 0x1u
#define IOM_PROT_W 0x2u
#define IOM_PROT_X 0x4u
/* DMA / harvest flags */
#define IOM_RF_PRIV 0x1u    /* dma: privileged */
#define IOM_RF_EXEC 0x2u    /* dma: instruction fetch */
#define IOM_RF_NOCLEAR 0x4u /* harvest: do not clear dirty state */

/* Sub-operations (field op), meaning depends on kind. */
enum iom_rec_op {
	IOM_OP_NONE = 0,
	/* domain */
	IOM_OP_CREATE, IOM_OP_FREE,
	/* inval */
	IOM_OP_ALL, IOM_OP_DOMAIN, IOM_OP_RANGE, IOM_OP_DEV, IOM_OP_PASID,
	/* dirty */
	IOM_OP_ON, IOM_OP_OFF,
	/* resv */
	IOM_OP_MSI, IOM_OP_SW_MSI, IOM_OP_DIRECT, IOM_OP_DIRECT_RELAXABLE, IOM_OP_RESERVED,
	/* phase */
	IOM_OP_WARMUP, IOM_OP_ROI, IOM_OP_END,
	IOM_OP_MAX
};

/* Domain types (field type of domain records). */
enum iom_dom_type { IOM_DOM_PAGING = 0, IOM_DOM_IDENTITY, IOM_DOM_BLOCKED };

/* Field presence bits (struct iom_rec.present). */
enum iom_rec_field {
	IOM_F_TIME = 1u << 0,   /* t=     time; text: integer with unit ps|ns|us|ms, bare = ns */
	IOM_F_DEV = 1u << 1,    /* dev=   requester ID: bb:dd.f, ssss:bb:dd.f, or integer */
	IOM_F_PASID = 1u << 2,  /* pasid= 0..2^20-1 */
	IOM_F_DOMAIN = 1u << 3, /* domain= u32 */
	IOM_F_IOVA = 1u << 4,   /* iova=  u64 (va for pmap, base for resv) */
	IOM_F_SIZE = 1u << 5,   /* size=  u64 >= 1, iova+size-1 must not overflow */
	IOM_F_PA = 1u << 6,     /* pa=    u64 */
	IOM_F_DIR = 1u << 7,    /* dir=   r|w */
	IOM_F_AT = 1u << 8,     /* at=    u|treq|t */
	IOM_F_PROT = 1u << 9,   /* prot=  combination of r,w,x (e.g. rw) or 'none' */
	IOM_F_OP = 1u << 10,    /* op=    kind-specific word */
	IOM_F_PGSIZE = 1u << 11,/* pgsize= power of two >= 4096 */
	IOM_F_MM = 1u << 12,    /* mm=    u32 process address-space id */
	IOM_F_FLAGS = 1u << 13, /* flags= comma list: priv,exec,noclear */
	IOM_F_TYPE = 1u << 14,  /* type=  paging|identity|blocked */
	IOM_F_NAME = 1u << 15,  /* name=  [A-Za-z0-9_.-]{1,31} */
	IOM_F_BUF = 1u << 16,   /* buf=   u32 handle of a DMA API buffer (dmamap, dmaunmap, dma) */
};

#define IOM_REC_NAME_MAX 32

/* One record. Fields not in `present` are zero. */
struct iom_rec {
	uint8_t kind;   /* enum iom_rec_kind */
	uint8_t dir;    /* enum iom_dir */
	uint8_t at;     /* enum iom_at */
	uint8_t op;     /* enum iom_rec_op */
	uint8_t prot;   /* IOM_PROT_* */
	uint8_t type;   /* enum iom_dom_type */
	uint16_t flags; /* IOM_RF_* */
	uint32_t present; /* IOM_F_* */
	uint32_t dev;
	uint32_t pasid;
	uint32_t domain;
	uint32_t mm;
	uint32_t buf;   /* DMA API buffer handle (IOM_F_BUF) */
	uint64_t time_ps;
	uint64_t iova;
	uint64_t size;
	uint64_t pa;
	uint64_t pgsize;
	char name[IOM_REC_NAME_MAX];
};

const char *iom_rec_kind_name(unsigned kind); /* "dma", ... or NULL */
const char *iom_rec_op_name(unsigned op);
/* Check a record against its kind's schema (required/allowed fields, ranges,
 * iova+size overflow, op valid for kind). 0 or -IOM_EFORMAT/-IOM_ERANGE. */
int iom_rec_validate(const struct iom_rec *r, struct iom_err *err);

enum iom_trace_enc { IOM_TRACE_TEXT = 0, IOM_TRACE_BINARY = 1 };

/* ---- reading ---- */
struct iom_trace_reader;
struct iom_trace_reader_opts {
	bool threaded;    /* decode ahead in a thread (default for files) */
	bool skip_bad;    /* count and skip malformed records instead of stopping */
};
/* path "-" reads stdin. NULL with err set (missing, unreadable, empty file,
 * wrong magic/version). */
struct iom_trace_reader *iom_trace_open(const char *path, const struct iom_trace_reader_opts *o,
					struct iom_err *err);
/* 1: *rec filled; 0: clean end of trace; <0: -IOM_E* with err set
 * ("FILE:LINE: ..." / "FILE: record N: ..."). After an error, the reader
 * keeps returning the same error. */
int iom_trace_next(struct iom_trace_reader *r, struct iom_rec *rec, struct iom_err *err);
/* The same without a copy: *rec points at the reader's own record, valid
 * until the next call (the replay loop uses this: no per-record copy). */
int iom_trace_next_ref(struct iom_trace_reader *r, const struct iom_rec **rec,
		       struct iom_err *err);
enum iom_trace_enc iom_trace_encoding(const struct iom_trace_reader *r);
uint64_t iom_trace_records(const struct iom_trace_reader *r); /* records returned */
uint64_t iom_trace_skipped(const struct iom_trace_reader *r); /* malformed, skip_bad mode */
/* Location of the record last returned ("FILE:LINE" / "FILE: record N"). */
const char *iom_trace_where(const struct iom_trace_reader *r);
/* Share of the input file consumed, 0..1 (for progress lines and ETAs);
 * -1 when the input is not a regular file (a pipe, stdin). */
double iom_trace_progress(const struct iom_trace_reader *r);
void iom_trace_close(struct iom_trace_reader *r);

/* ---- writing ---- */
struct iom_trace_writer;
/* level: zlib level for binary (1..9; 0 = default 6). path "-" = stdout. */
struct iom_trace_writer *iom_trace_create(const char *path, enum iom_trace_enc enc, int level,
					  struct iom_err *err);
int iom_trace_write(struct iom_trace_writer *w, const struct iom_rec *rec, struct iom_err *err);
/* Text only: a comment line. */
int iom_trace_comment(struct iom_trace_writer *w, const char *text, struct iom_err *err);
/* Flushes, writes the END record (binary), closes. Returns 0 or error. */
int iom_trace_finish(struct iom_trace_writer *w, struct iom_err *err);

/* Format one record as canonical text (no newline) into buf; returns length
 * (as snprintf). */
int iom_rec_format(const struct iom_rec *r, char *buf, size_t len);
/* Parse one text line (no header handling). 1 = record, 0 = blank/comment,
 * <0 = error (message without location prefix). */
int iom_rec_parse(const char *line, struct iom_rec *r, struct iom_err *err);

#ifdef __cplusplus
}
#endif
#endif
