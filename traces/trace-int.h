/* SPDX-License-Identifier: Apache-2.0 */
/*
 * trace-int.h - internals shared by the trace reader and writer files
 * (record.c, text.c, binary.c, reader.c, writer.c).  Not a public API.
 */
#ifndef IOM_TRACES_TRACE_INT_H
#define IOM_TRACES_TRACE_INT_H

#include "trace.h"

#include <zlib.h>

/* Number of field bits (IOM_F_TIME .. IOM_F_BUF). */
#define TRC_NFIELDS 17
#define TRC_FIELD_MASK ((1u << TRC_NFIELDS) - 1)
/* Longest binary record: kind, mask, 16 varints of <= 10 bytes, and a name
 * whose length byte may claim up to TRC_BIN_NAME_MAX (more is corrupt). */
#define TRC_BIN_NAME_MAX 64
#define TRC_BIN_REC_MAX 256
/* Zero bytes kept after the data in struct trc_in (see binary.c). */
#define TRC_IN_PAD TRC_BIN_REC_MAX
#define TRC_BIN_MAGIC "IOMTRACE"
#define TRC_BIN_HDR 16
#define TRC_BIN_END 0xFF
#define TRC_TEXT_HEADER "# iommusim trace v1"
/* Longest text line the reader accepts. */
#define TRC_LINE_MAX 4096
/* Longest canonical text line iom_rec_format can produce. */
#define TRC_FMT_MAX 512

/* ---- record.c: schema ---- */
const char *trc_field_name(unsigned bit); /* bit index 0..16 */
/* Fields a kind may carry (including t); 0 for an invalid kind. */
uint32_t trc_kind_allowed(unsigned kind);
/* Append " name name ..." of the fields in mask, in canonical order. */
void trc_fields_list(uint32_t mask, char *buf, size_t len);
/* Canonical text order of field bits. */
extern const uint8_t trc_field_order[TRC_NFIELDS];

/* ---- decompressed input (reader.c) ---- */
struct trc_in {
	gzFile gz;
	const char *name; /* for messages: the path, or "<stdin>" */
	unsigned char *buf; /* cap + TRC_IN_PAD bytes */
	size_t cap, pos, len;
	bool eof;
	/* an input error seen while refilling; reported once the bytes
	 * before it have been decoded */
	int pend_code;
	char pend_msg[256];
};
/* Make at least `want` bytes available from pos (fewer only at EOF). */
void trc_in_fill(struct trc_in *in, size_t want);
static inline size_t trc_in_avail(const struct trc_in *in)
{
	return in->len - in->pos;
}

/* ---- a decoding source (either encoding) ---- */
struct trc_src {
	struct trc_in in;
	enum iom_trace_enc enc;
	bool skip_bad;
	uint64_t line;      /* text: current line number */
	uint64_t nrec;      /* records seen in the file (returned + skipped) */
	uint64_t last_time; /* time of the previous good record */
	uint64_t skipped;
};
/* Both: 1 record (loc = line or 1-based record index), 0 end, <0 error
 * (err has the full "FILE..." message). */
int trc_text_start(struct trc_src *s, struct iom_err *err);
int trc_text_next(struct trc_src *s, struct iom_rec *r, uint64_t *loc, struct iom_err *err);
int trc_bin_start(struct trc_src *s, struct iom_err *err);
int trc_bin_next(struct trc_src *s, struct iom_rec *r, uint64_t *loc, struct iom_err *err);

/* ---- binary encoding (binary.c) ---- */
/* Encode r (which must carry IOM_F_TIME) with its time as a delta from
 * prev_time; returns bytes written (<= TRC_BIN_REC_MAX). */
size_t trc_bin_encode(const struct iom_rec *r, uint64_t prev_time, uint8_t *out);
size_t trc_leb_put(uint8_t *out, uint64_t v);
void trc_bin_header(uint8_t out[TRC_BIN_HDR]);

#endif
