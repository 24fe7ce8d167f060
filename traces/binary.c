/* SPDX-License-Identifier: Apache-2.0 */
/*
 * binary.c - the binary encoding of trace format v1 (docs/trace-format.md,
 * "Binary encoding"): a 16-byte header ("IOMTRACE", u16 version LE, u16
 * flags, u32 reserved) followed by records
 *     u8 kind, LEB128 present-mask, LEB128 time delta (ps) from the
 *     previous record, then each present field in bit order
 * and an END record (kind 0xFF, LEB128 record count).  The whole stream is
 * gzip-compressed by the caller (zlib gz* functions).
 *
 * Errors are split: a record whose bytes parse but whose values are bad
 * (unknown kind, out-of-range value, failed iom_rec_validate) is "bad" and
 * can be skipped in skip_bad mode, since its length is known; a structural
 * problem (unknown mask bit, overlong varint, truncation, END mismatch,
 * trailing data) always stops the reader.
 * Does not: compress (the gz layer does).  Timing: times are deltas in ps.
 */
#include "trace-int.h"

#include <string.h>

/* ------------------------------------------------------------------ */
/* encoding                                                            */

size_t trc_leb_put(uint8_t *out, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

void trc_bin_header(uint8_t out[TRC_BIN_HDR])
{
	memset(out, 0, TRC_BIN_HDR);
	memcpy(out, TRC_BIN_MAGIC, 8);
	out[8] = IOM_TRACE_VERSION & 0xff;
	out[9] = IOM_TRACE_VERSION >> 8;
}

size_t trc_bin_encode(const struct iom_rec *r, uint64_t prev_time, uint8_t *out)
{
	uint32_t m = (r->present | IOM_F_TIME) & TRC_FIELD_MASK;
	size_t n = 0;
	out[n++] = r->kind;
	n += trc_leb_put(out + n, m);
	n += trc_leb_put(out + n, r->time_ps - prev_time);
	for (uint32_t f = m & ~IOM_F_TIME; f; f &= f - 1) {
		switch (__builtin_ctz(f)) {
		case 1: n += trc_leb_put(out + n, r->dev); break;
		case 2: n += trc_leb_put(out + n, r->pasid); break;
		case 3: n += trc_leb_put(out + n, r->domain); break;
		case 4: n += trc_leb_put(out + n, r->iova); break;
		case 5: n += trc_leb_put(out + n, r->size); break;
		case 6: n += trc_leb_put(out + n, r->pa); break;
		case 7: out[n++] = r->dir; break;
		case 8: out[n++] = r->at; break;
		case 9: out[n++] = r->prot; break;
		case 10: out[n++] = r->op; break;
		case 11: n += trc_leb_put(out + n, r->pgsize); break;
		case 12: n += trc_leb_put(out + n, r->mm); break;
		case 13: n += trc_leb_put(out + n, r->flags); break;
		case 14: out[n++] = r->type; break;
		case 15: {
			size_t l = strnlen(r->name, IOM_REC_NAME_MAX - 1);
			n += trc_leb_put(out + n, l);
			memcpy(out + n, r->name, l);
			n += l;
			break;
		}
		default: n += trc_leb_put(out + n, r->buf); break;
		}
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* decoding                                                            */

enum bin_fail { BIN_OK = 0, BIN_TRUNC, BIN_CORRUPT };

/* The input buffer keeps TRC_BIN_REC_MAX zero bytes after its data
 * (trc_in_fill), and a record is never longer than that, so decoding runs
 * without bounds checks; running past the end (c->p > c->e) afterwards
 * means the input was truncated. */
struct bin_cur {
	const uint8_t *p, *e;
	int fail;           /* enum bin_fail */
	const char *bad;    /* first value problem (record skippable) */
	const char *badf;   /* field it concerns */
};

static inline uint64_t bin_leb(struct bin_cur *c)
{
	const uint8_t *p = c->p;
	uint64_t b = *p++;
	if (b < 0x80) { /* the common one-byte case */
		c->p = p;
		return b;
	}
	uint64_t x = b & 0x7f;
	for (unsigned sh = 7;; sh += 7) {
		b = *p++;
		if (sh == 63) { /* tenth byte: only bit 63 left */
			if (b > 1)
				c->fail = BIN_CORRUPT;
			x |= b << 63;
			break;
		}
		x |= (b & 0x7f) << sh;
		if (b < 0x80)
			break;
	}
	c->p = p;
	return x;
}

static inline uint8_t bin_byte(struct bin_cur *c)
{
	return *c->p++;
}

static uint32_t bin_u32(struct bin_cur *c, const char *field)
{
	uint64_t v = bin_leb(c);
	if (v > UINT32_MAX && !c->bad)
		c->bad = "value does not fit in 32 bits", c->badf = field;
	return (uint32_t)v;
}

static void bin_name(struct bin_cur *c, char *out)
{
	uint64_t l = bin_leb(c);
	if (l > TRC_BIN_NAME_MAX) { /* keeps the record within TRC_BIN_REC_MAX */
		c->fail = BIN_CORRUPT;
		return;
	}
	if (l == 0 || l >= IOM_REC_NAME_MAX) {
		if (!c->bad)
			c->bad = "name must be 1-31 characters", c->badf = "name";
	} else {
		memcpy(out, c->p, l);
	}
	c->p += l;
}

static void bin_field(struct bin_cur *c, unsigned bit, struct iom_rec *r)
{
	switch (bit) {
	case 1: r->dev = bin_u32(c, "dev"); break;
	case 2: r->pasid = bin_u32(c, "pasid"); break;
	case 3: r->domain = bin_u32(c, "domain"); break;
	case 4: r->iova = bin_leb(c); break;
	case 5: r->size = bin_leb(c); break;
	case 6: r->pa = bin_leb(c); break;
	case 7: r->dir = bin_byte(c); break;
	case 8: r->at = bin_byte(c); break;
	case 9: r->prot = bin_byte(c); break;
	case 10: r->op = bin_byte(c); break;
	case 11: r->pgsize = bin_leb(c); break;
	case 12: r->mm = bin_u32(c, "mm"); break;
	case 13: {
		uint64_t f = bin_leb(c);
		if (f > 0xffff && !c->bad)
			c->bad = "value does not fit in 16 bits", c->badf = "flags";
		r->flags = (uint16_t)f;
		break;
	}
	case 14: r->type = bin_byte(c); break;
	case 15: bin_name(c, r->name); break;
	default: r->buf = bin_u32(c, "buf"); break;
	}
}

/* Decode the record after its kind byte; *delta = time delta. */
static void bin_record(struct bin_cur *c, struct iom_rec *r, uint64_t *delta)
{
	uint64_t m = bin_leb(c);
	if (c->fail)
		return;
	if (m & ~(uint64_t)TRC_FIELD_MASK) {
		c->fail = BIN_CORRUPT;
		return;
	}
	r->present = (uint32_t)m | IOM_F_TIME;
	*delta = bin_leb(c);
	for (uint32_t f = (uint32_t)m & ~IOM_F_TIME; f && !c->fail; f &= f - 1)
		bin_field(c, (unsigned)__builtin_ctz(f), r);
	if (c->p > c->e)
		c->fail = BIN_TRUNC;
}

int trc_bin_start(struct trc_src *s, struct iom_err *err)
{
	struct trc_in *in = &s->in;
	trc_in_fill(in, TRC_BIN_HDR);
	if (trc_in_avail(in) < TRC_BIN_HDR)
		return iom_err_set(err, IOM_EFORMAT, "%s: truncated header (%zu of %d bytes)",
				   in->name, trc_in_avail(in), TRC_BIN_HDR);
	const uint8_t *h = in->buf + in->pos;
	if (memcmp(h, TRC_BIN_MAGIC, 8))
		return iom_err_set(err, IOM_EFORMAT, "%s: not an iommusim binary trace (bad magic)",
				   in->name);
	unsigned ver = h[8] | (unsigned)h[9] << 8, flags = h[10] | (unsigned)h[11] << 8;
	if (ver != IOM_TRACE_VERSION)
		return iom_err_set(err, IOM_EFORMAT,
				   "%s: unsupported binary trace version %u (this build reads v%d)",
				   in->name, ver, IOM_TRACE_VERSION);
	if (flags)
		return iom_err_set(err, IOM_EFORMAT, "%s: unsupported header flags 0x%x", in->name,
				   flags);
	in->pos += TRC_BIN_HDR;
	return 0;
}

/* Out of bytes: a pending gzip/IO error explains it, else truncation. */
static int bin_truncated(struct trc_src *s, struct iom_err *err)
{
	if (s->in.pend_code)
		return iom_err_set(err, s->in.pend_code, "%s: after record %llu: %s", s->in.name,
				   (unsigned long long)s->nrec, s->in.pend_msg);
	return iom_err_set(err, IOM_EFORMAT, "%s: truncated: no END record after %llu records",
			   s->in.name, (unsigned long long)s->nrec);
}

static int bin_end(struct trc_src *s, struct bin_cur *c, struct iom_err *err)
{
	struct trc_in *in = &s->in;
	uint64_t count = bin_leb(c);
	if (c->p > c->e)
		return bin_truncated(s, err);
	if (c->fail)
		return iom_err_set(err, IOM_EFORMAT, "%s: corrupt END record", in->name);
	in->pos = (size_t)(c->p - in->buf);
	if (count != s->nrec)
		return iom_err_set(err, IOM_EFORMAT,
				   "%s: END record says %llu records, found %llu", in->name,
				   (unsigned long long)count, (unsigned long long)s->nrec);
	trc_in_fill(in, 1);
	if (trc_in_avail(in))
		return iom_err_set(err, IOM_EFORMAT, "%s: trailing data after END record",
				   in->name);
	if (in->pend_code)
		return iom_err_set(err, in->pend_code, "%s: after END record: %s", in->name,
				   in->pend_msg);
	return 0;
}

/* Value checks of a structurally sound record. */
static int bin_check(struct trc_src *s, struct bin_cur *c, struct iom_rec *r, uint64_t delta,
		     struct iom_err *err)
{
	const char *f = s->in.name;
	unsigned long long idx = (unsigned long long)s->nrec;
	if (r->kind == 0 || r->kind >= IOM_REC_KIND_MAX)
		return iom_err_set(err, IOM_EFORMAT, "%s: record %llu: invalid kind %u", f, idx,
				   r->kind);
	const char *k = iom_rec_kind_name(r->kind);
	if (c->bad)
		return iom_err_set(err, IOM_ERANGE, "%s: record %llu: %s: %s: %s", f, idx, k,
				   c->badf, c->bad);
	if (s->last_time + delta < s->last_time)
		return iom_err_set(err, IOM_ERANGE, "%s: record %llu: %s: time overflows 64 bits",
				   f, idx, k);
	r->time_ps = s->last_time + delta;
	int rc = iom_rec_validate(r, err);
	if (rc)
		return iom_err_prefix(err, "%s: record %llu", f, idx);
	return 0;
}

int trc_bin_next(struct trc_src *s, struct iom_rec *r, uint64_t *loc, struct iom_err *err)
{
	struct trc_in *in = &s->in;
	for (;;) {
		if (trc_in_avail(in) < TRC_BIN_REC_MAX && !in->eof)
			trc_in_fill(in, TRC_BIN_REC_MAX);
		if (!trc_in_avail(in))
			return bin_truncated(s, err);
		struct bin_cur c = { in->buf + in->pos, in->buf + in->len, BIN_OK, NULL, NULL };
		uint8_t kind = *c.p++;
		if (kind == TRC_BIN_END)
			return bin_end(s, &c, err);
		uint64_t delta = 0;
		memset(r, 0, sizeof(*r));
		r->kind = kind;
		bin_record(&c, r, &delta);
		if (c.fail == BIN_TRUNC || c.p > c.e)
			return bin_truncated(s, err);
		s->nrec++;
		if (c.fail)
			return iom_err_set(err, IOM_EFORMAT, "%s: record %llu: corrupt encoding",
					   in->name, (unsigned long long)s->nrec);
		in->pos = (size_t)(c.p - in->buf);
		int rc = bin_check(s, &c, r, delta, err);
		if (rc) {
			if (!s->skip_bad)
				return rc;
			s->skipped++;
			continue;
		}
		s->last_time = r->time_ps;
		*loc = s->nrec;
		return 1;
	}
}
