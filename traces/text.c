/* SPDX-License-Identifier: Apache-2.0 */
/*
 * text.c - the text encoding of trace format v1: iom_rec_parse (one line
 * "KIND key=value ..." into a struct iom_rec), iom_rec_format (canonical
 * line), and the text decoding source used by the reader (header check,
 * line splitting, time fill-in and ordering).  Spec: docs/trace-format.md.
 *
 * Hand-written scanners, no sscanf/strtoull in the hot path and no
 * allocation per record: the reader parses several million lines/s.
 * Does not: handle the header inside iom_rec_parse (the source does).
 * Timing: `t=` is converted to ps; a missing t means "same time as the
 * previous record" and is filled in by the source, not by the parser.
 */
#include "trace-int.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* lexing helpers                                                      */

struct txt_span {
	const char *s;
	size_t n;
};

static inline bool txt_is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static bool txt_eq(struct txt_span v, const char *lit)
{
	size_t n = strlen(lit);
	return v.n == n && memcmp(v.s, lit, n) == 0;
}

/* Kind from its name; 0 if unknown. */
static unsigned txt_kind(struct txt_span w)
{
	if (w.n == 3 && !memcmp(w.s, "dma", 3)) /* by far the most common */
		return IOM_REC_DMA;
	for (unsigned k = 1; k < IOM_REC_KIND_MAX; k++)
		if (txt_eq(w, iom_rec_kind_name(k)))
			return k;
	return 0;
}

/* Field bit index from its key; -1 if unknown.  Switch on length first so
 * the common keys cost one or two compares. */
static int txt_key(struct txt_span k)
{
	const char *s = k.s;
	switch (k.n) {
	case 1: return s[0] == 't' ? 0 : -1;
	case 2:
		if (s[0] == 'p' && s[1] == 'a') return 6;
		if (s[0] == 'a' && s[1] == 't') return 8;
		if (s[0] == 'o' && s[1] == 'p') return 10;
		if (s[0] == 'm' && s[1] == 'm') return 12;
		return -1;
	case 3:
		if (!memcmp(s, "dev", 3)) return 1;
		if (!memcmp(s, "dir", 3)) return 7;
		if (!memcmp(s, "buf", 3)) return 16;
		return -1;
	case 4:
		if (!memcmp(s, "iova", 4)) return 4;
		if (!memcmp(s, "size", 4)) return 5;
		if (!memcmp(s, "prot", 4)) return 9;
		if (!memcmp(s, "type", 4)) return 14;
		if (!memcmp(s, "name", 4)) return 15;
		return -1;
	case 5:
		if (!memcmp(s, "pasid", 5)) return 2;
		if (!memcmp(s, "flags", 5)) return 13;
		return -1;
	case 6:
		if (!memcmp(s, "domain", 6)) return 3;
		if (!memcmp(s, "pgsize", 6)) return 11;
		return -1;
	}
	return -1;
}

/* Parse an unsigned integer (decimal or 0x hex) at the start of v; sets
 * *used to the digits consumed.  0 ok, -IOM_EFORMAT no digits,
 * -IOM_ERANGE overflow. */
static int txt_uint(struct txt_span v, uint64_t *out, size_t *used)
{
	const char *s = v.s, *e = v.s + v.n;
	uint64_t x = 0;
	if (e - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		const char *d = s + 2, *p = d;
		for (; p < e; p++) {
			unsigned c = (unsigned char)*p, h;
			if (c - '0' < 10) h = c - '0';
			else if ((c | 0x20) - 'a' < 6) h = (c | 0x20) - 'a' + 10;
			else break;
			if (x >> 60)
				return -IOM_ERANGE;
			x = x << 4 | h;
		}
		if (p == d)
			return -IOM_EFORMAT;
		*out = x, *used = (size_t)(p - s);
		return 0;
	}
	const char *p = s;
	for (; p < e && (unsigned)(*p - '0') < 10; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (x > (UINT64_MAX - d) / 10)
			return -IOM_ERANGE;
		x = x * 10 + d;
	}
	if (p == s)
		return -IOM_EFORMAT;
	*out = x, *used = (size_t)(p - s);
	return 0;
}

/* ------------------------------------------------------------------ */
/* field values                                                        */

struct txt_ctx {
	const char *kind;
	const char *key;
	struct txt_span v;
	struct iom_err *err;
};

static int txt_bad(struct txt_ctx *c, int code, const char *expect)
{
	return iom_err_set(c->err, code, "%s: bad value for '%s': '%.*s' (%s)", c->kind, c->key,
			   (int)IOM_MIN(c->v.n, 64u), c->v.s, expect);
}

/* Plain integer, optionally with K/M/G (x1024^n) when `suffix`. */
static int txt_num(struct txt_ctx *c, bool suffix, uint64_t max, uint64_t *out)
{
	static const char exp_s[] = "expected an integer, decimal or 0x hex, optional K/M/G";
	static const char exp_n[] = "expected an integer, decimal or 0x hex";
	const char *exp = suffix ? exp_s : exp_n;
	uint64_t x;
	size_t used;
	int rc = txt_uint(c->v, &x, &used);
	if (rc)
		return txt_bad(c, -rc, rc == -IOM_ERANGE ? "does not fit in 64 bits" : exp);
	if (used + 1 == c->v.n && suffix) {
		char u = c->v.s[used];
		unsigned sh = u == 'K' ? 10 : u == 'M' ? 20 : u == 'G' ? 30 : 0;
		if (!sh)
			return txt_bad(c, IOM_EFORMAT, exp);
		if (x >> (64 - sh))
			return txt_bad(c, IOM_ERANGE, "does not fit in 64 bits");
		x <<= sh;
	} else if (used != c->v.n) {
		return txt_bad(c, IOM_EFORMAT, exp);
	}
	if (x > max)
		return iom_err_set(c->err, IOM_ERANGE, "%s: value for '%s' out of range: '%.*s' (max %#llx)",
				   c->kind, c->key, (int)IOM_MIN(c->v.n, 64u), c->v.s,
				   (unsigned long long)max);
	*out = x;
	return 0;
}

static int txt_time(struct txt_ctx *c, uint64_t *out)
{
	static const char exp[] = "expected an integer with unit ps|ns|us|ms (bare = ns)";
	uint64_t x, mul;
	size_t used;
	int rc = txt_uint(c->v, &x, &used);
	if (rc)
		return txt_bad(c, -rc, rc == -IOM_ERANGE ? "does not fit in 64 bits" : exp);
	struct txt_span u = { c->v.s + used, c->v.n - used };
	if (u.n == 0 || txt_eq(u, "ns")) mul = IOM_PS_PER_NS;
	else if (txt_eq(u, "ps")) mul = 1;
	else if (txt_eq(u, "us")) mul = IOM_PS_PER_US;
	else if (txt_eq(u, "ms")) mul = IOM_PS_PER_US * 1000;
	else return txt_bad(c, IOM_EFORMAT, exp);
	if (x > UINT64_MAX / mul)
		return txt_bad(c, IOM_ERANGE, "time overflows 64 bits of ps");
	*out = x * mul;
	return 0;
}

/* Hex number of at most `max`, whole span. */
static int txt_hexpart(struct txt_span v, unsigned max, unsigned *out)
{
	unsigned x = 0;
	if (v.n == 0 || v.n > 4)
		return -1;
	for (size_t i = 0; i < v.n; i++) {
		unsigned c = (unsigned char)v.s[i];
		if (c - '0' < 10) x = x * 16 + (c - '0');
		else if ((c | 0x20) - 'a' < 6) x = x * 16 + (c | 0x20) - 'a' + 10;
		else return -1;
	}
	*out = x;
	return x <= max ? 0 : 1;
}

/* dev=: [ssss:]bb:dd.f (hex, lspci style) or a plain integer. */
static int txt_dev(struct txt_ctx *c, uint32_t *out)
{
	static const char exp[] = "expected bb:dd.f, ssss:bb:dd.f or an integer";
	const char *s = c->v.s, *e = s + c->v.n;
	const char *c1 = memchr(s, ':', c->v.n);
	if (!c1) {
		uint64_t x;
		int rc = txt_num(c, false, UINT32_MAX, &x);
		*out = (uint32_t)x;
		return rc;
	}
	unsigned seg = 0, bus = 0, dev = 0, fn = 0; /* set on success of txt_hexpart */
	const char *c2 = memchr(c1 + 1, ':', (size_t)(e - c1 - 1));
	const char *bs = s;
	if (c2) {
		int rc = txt_hexpart((struct txt_span){ s, (size_t)(c1 - s) }, 0xffff, &seg);
		if (rc)
			return txt_bad(c, rc < 0 ? IOM_EFORMAT : IOM_ERANGE, exp);
		bs = c1 + 1, c1 = c2;
	}
	const char *dot = memchr(c1 + 1, '.', (size_t)(e - c1 - 1));
	if (!dot)
		return txt_bad(c, IOM_EFORMAT, exp);
	int rb = txt_hexpart((struct txt_span){ bs, (size_t)(c1 - bs) }, 0xff, &bus);
	int rd = txt_hexpart((struct txt_span){ c1 + 1, (size_t)(dot - c1 - 1) }, 0x1f, &dev);
	int rf = txt_hexpart((struct txt_span){ dot + 1, (size_t)(e - dot - 1) }, 7, &fn);
	if (rb < 0 || rd < 0 || rf < 0)
		return txt_bad(c, IOM_EFORMAT, exp);
	if (rb)
		return txt_bad(c, IOM_ERANGE, "bus must be 00-ff");
	if (rd)
		return txt_bad(c, IOM_ERANGE, "device must be 00-1f");
	if (rf)
		return txt_bad(c, IOM_ERANGE, "function must be 0-7");
	*out = seg << 16 | bus << 8 | dev << 3 | fn;
	return 0;
}

static int txt_prot(struct txt_ctx *c, uint8_t *out)
{
	static const char exp[] = "expected letters from rwx, or none";
	unsigned p = 0;
	if (txt_eq(c->v, "none")) {
		*out = 0;
		return 0;
	}
	for (size_t i = 0; i < c->v.n; i++) {
		char ch = c->v.s[i];
		unsigned b = ch == 'r' ? IOM_PROT_R : ch == 'w' ? IOM_PROT_W : ch == 'x' ? IOM_PROT_X : 0;
		if (!b || (p & b))
			return txt_bad(c, IOM_EFORMAT, exp);
		p |= b;
	}
	*out = (uint8_t)p;
	return 0;
}

static int txt_flags(struct txt_ctx *c, uint16_t *out)
{
	static const char exp[] = "expected a comma list of priv, exec, noclear";
	const char *s = c->v.s, *e = s + c->v.n;
	unsigned f = 0;
	while (s <= e) {
		const char *comma = memchr(s, ',', (size_t)(e - s));
		struct txt_span w = { s, (size_t)((comma ? comma : e) - s) };
		unsigned b = txt_eq(w, "priv") ? IOM_RF_PRIV : txt_eq(w, "exec") ? IOM_RF_EXEC
			   : txt_eq(w, "noclear") ? IOM_RF_NOCLEAR : 0;
		if (!b || (f & b))
			return txt_bad(c, IOM_EFORMAT, exp);
		f |= b;
		s = (comma ? comma : e) + 1;
	}
	*out = (uint16_t)f;
	return 0;
}

/* Index of v in names[lo..hi]; -1 if none. */
static int txt_word(struct txt_span v, const char *const *names, int lo, int hi)
{
	for (int i = lo; i <= hi; i++)
		if (txt_eq(v, names[i]))
			return i;
	return -1;
}

static int txt_op(struct txt_ctx *c, unsigned kind, uint8_t *out)
{
	static const uint8_t lo[IOM_REC_KIND_MAX] = {
		[IOM_REC_DOMAIN] = IOM_OP_CREATE, [IOM_REC_INVAL] = IOM_OP_ALL,
		[IOM_REC_DIRTY] = IOM_OP_ON, [IOM_REC_RESV] = IOM_OP_MSI, [IOM_REC_PHASE] = IOM_OP_WARMUP,
	};
	static const uint8_t hi[IOM_REC_KIND_MAX] = {
		[IOM_REC_DOMAIN] = IOM_OP_FREE, [IOM_REC_INVAL] = IOM_OP_PASID,
		[IOM_REC_DIRTY] = IOM_OP_OFF, [IOM_REC_RESV] = IOM_OP_RESERVED, [IOM_REC_PHASE] = IOM_OP_END,
	};
	for (unsigned o = lo[kind]; o && o <= hi[kind]; o++)
		if (txt_eq(c->v, iom_rec_op_name(o))) {
			*out = (uint8_t)o;
			return 0;
		}
	char list[128];
	size_t n = 0;
	for (unsigned o = lo[kind]; o && o <= hi[kind]; o++)
		n += snprintf(list + n, sizeof(list) - n, "%s%s", n ? "|" : "", iom_rec_op_name(o));
	char exp[160];
	snprintf(exp, sizeof(exp), "expected %s", list);
	return txt_bad(c, IOM_EFORMAT, exp);
}

static int txt_name(struct txt_ctx *c, char *out)
{
	if (c->v.n >= IOM_REC_NAME_MAX)
		return txt_bad(c, IOM_ERANGE, "at most 31 characters");
	memcpy(out, c->v.s, c->v.n);
	out[c->v.n] = 0;
	return 0; /* characters are checked by iom_rec_validate */
}

static const char *const txt_dir_names[] = { "r", "w", "rw" };
static const char *const txt_at_names[] = { "u", "treq", "t" };
static const char *const txt_type_names[] = { "paging", "identity", "blocked" };

static int txt_enum(struct txt_ctx *c, const char *const *names, int n, const char *exp,
		    uint8_t *out)
{
	int i = txt_word(c->v, names, 0, n - 1);
	if (i < 0)
		return txt_bad(c, IOM_EFORMAT, exp);
	*out = (uint8_t)i;
	return 0;
}

static int txt_value(struct txt_ctx *c, int bit, struct iom_rec *r)
{
	uint64_t x;
	int rc;
	switch (bit) {
	case 0: return txt_time(c, &r->time_ps);
	case 1: return txt_dev(c, &r->dev);
	case 2: rc = txt_num(c, false, UINT32_MAX, &x); r->pasid = (uint32_t)x; return rc;
	case 3: rc = txt_num(c, false, UINT32_MAX, &x); r->domain = (uint32_t)x; return rc;
	case 4: return txt_num(c, true, UINT64_MAX, &r->iova);
	case 5: return txt_num(c, true, UINT64_MAX, &r->size);
	case 6: return txt_num(c, true, UINT64_MAX, &r->pa);
	case 7: /* rw (DMA_BIDIRECTIONAL) only on dmamap */
		if (r->kind == IOM_REC_DMAMAP)
			return txt_enum(c, txt_dir_names, 3, "expected r|w|rw", &r->dir);
		return txt_enum(c, txt_dir_names, 2, "expected r|w", &r->dir);
	case 8: return txt_enum(c, txt_at_names, 3, "expected u|treq|t", &r->at);
	case 9: return txt_prot(c, &r->prot);
	case 10: return txt_op(c, r->kind, &r->op);
	case 11: return txt_num(c, true, UINT64_MAX, &r->pgsize);
	case 12: rc = txt_num(c, false, UINT32_MAX, &x); r->mm = (uint32_t)x; return rc;
	case 13: return txt_flags(c, &r->flags);
	case 14: return txt_enum(c, txt_type_names, 3, "expected paging|identity|blocked", &r->type);
	case 15: return txt_name(c, r->name);
	default: rc = txt_num(c, false, UINT32_MAX, &x); r->buf = (uint32_t)x; return rc;
	}
}

/* ------------------------------------------------------------------ */
/* iom_rec_parse                                                       */

static int txt_unknown_kind(struct txt_span w, struct iom_err *err)
{
	char list[160];
	size_t n = 0;
	for (unsigned k = 1; k < IOM_REC_KIND_MAX; k++)
		n += snprintf(list + n, sizeof(list) - n, "%s%s", n ? " " : "", iom_rec_kind_name(k));
	return iom_err_set(err, IOM_EFORMAT, "unknown record kind '%.*s' (kinds: %s)",
			   (int)IOM_MIN(w.n, 64u), w.s, list);
}

static int txt_unknown_field(const struct iom_rec *r, struct txt_span key, struct iom_err *err)
{
	char list[160];
	trc_fields_list(trc_kind_allowed(r->kind), list, sizeof(list));
	return iom_err_set(err, IOM_EFORMAT, "%s: unknown field '%.*s' (allowed: %s)",
			   iom_rec_kind_name(r->kind), (int)IOM_MIN(key.n, 64u), key.s, list);
}

/* One "key=value" token at s (non-blank, not '#'); returns its end. */
static const char *txt_field(const char *s, const char *e, struct iom_rec *r, uint32_t allowed,
			     int *rc, struct iom_err *err)
{
	const char *t = s;
	while (t < e && !txt_is_ws(*t) && *t != '=')
		t++;
	struct txt_span key = { s, (size_t)(t - s) };
	const char *k = iom_rec_kind_name(r->kind);
	if (t == e || *t != '=') {
		*rc = iom_err_set(err, IOM_EFORMAT, "%s: expected key=value, got '%.*s'", k,
				  (int)IOM_MIN(key.n, 64u), key.s);
		return t;
	}
	const char *vs = ++t;
	while (t < e && !txt_is_ws(*t))
		t++;
	int bit = txt_key(key);
	if (bit < 0 || !(allowed & (1u << bit))) {
		*rc = txt_unknown_field(r, key, err);
		return t;
	}
	if (r->present & (1u << bit)) {
		*rc = iom_err_set(err, IOM_EFORMAT, "%s: duplicate field '%s'", k, trc_field_name(bit));
		return t;
	}
	struct txt_ctx c = { k, trc_field_name(bit), { vs, (size_t)(t - vs) }, err };
	if (c.v.n == 0)
		*rc = iom_err_set(err, IOM_EFORMAT, "%s: empty value for '%s'", k, c.key);
	else
		*rc = txt_value(&c, bit, r);
	r->present |= 1u << bit;
	return t;
}

/* Parse the span [s, e) (no newline). */
static int txt_parse_span(const char *s, const char *e, struct iom_rec *r, struct iom_err *err)
{
	memset(r, 0, sizeof(*r));
	while (s < e && txt_is_ws(*s))
		s++;
	if (s == e || *s == '#')
		return 0;
	const char *t = s;
	while (t < e && !txt_is_ws(*t))
		t++;
	struct txt_span w = { s, (size_t)(t - s) };
	r->kind = (uint8_t)txt_kind(w);
	if (!r->kind)
		return txt_unknown_kind(w, err);
	uint32_t allowed = trc_kind_allowed(r->kind);
	for (s = t;;) {
		while (s < e && txt_is_ws(*s))
			s++;
		if (s == e || *s == '#')
			break;
		int rc = 0;
		s = txt_field(s, e, r, allowed, &rc, err);
		if (rc)
			return rc;
	}
	int rc = iom_rec_validate(r, err);
	return rc ? rc : 1;
}

int iom_rec_parse(const char *line, struct iom_rec *r, struct iom_err *err)
{
	const char *e = line + strcspn(line, "\n");
	return txt_parse_span(line, e, r, err);
}

/* ------------------------------------------------------------------ */
/* iom_rec_format                                                      */

static char *fmt_str(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	return p;
}

static char *fmt_dec(char *p, uint64_t v)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *fmt_hex(char *p, uint64_t v, int min_digits)
{
	static const char hx[] = "0123456789abcdef";
	char tmp[16];
	int n = 0;
	do {
		tmp[n++] = hx[v & 15];
		v >>= 4;
	} while (v || n < min_digits);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *fmt_dev(char *p, uint32_t d)
{
	if (d >> 16) {
		p = fmt_hex(p, d >> 16, 4);
		*p++ = ':';
	}
	p = fmt_hex(p, (d >> 8) & 0xff, 2);
	*p++ = ':';
	p = fmt_hex(p, (d >> 3) & 0x1f, 2);
	*p++ = '.';
	return fmt_hex(p, d & 7, 1);
}

static char *fmt_time(char *p, uint64_t ps)
{
	if (ps % IOM_PS_PER_NS == 0)
		return fmt_str(fmt_dec(p, ps / IOM_PS_PER_NS), "ns");
	return fmt_str(fmt_dec(p, ps), "ps");
}

static char *fmt_prot(char *p, unsigned prot)
{
	if (!(prot & 7))
		return fmt_str(p, "none");
	if (prot & IOM_PROT_R) *p++ = 'r';
	if (prot & IOM_PROT_W) *p++ = 'w';
	if (prot & IOM_PROT_X) *p++ = 'x';
	return p;
}

static char *fmt_flags(char *p, unsigned f)
{
	static const char *const names[] = { "priv", "exec", "noclear" };
	bool first = true;
	for (unsigned i = 0; i < 3; i++)
		if (f & (1u << i)) {
			if (!first)
				*p++ = ',';
			p = fmt_str(p, names[i]);
			first = false;
		}
	return p;
}

static const char *fmt_enum(const char *const *names, unsigned n, unsigned v)
{
	return v < n ? names[v] : "?";
}

static char *fmt_field(char *p, const struct iom_rec *r, unsigned bit)
{
	*p++ = ' ';
	p = fmt_str(p, trc_field_name(bit));
	*p++ = '=';
	switch (bit) {
	case 0: return fmt_time(p, r->time_ps);
	case 1: return fmt_dev(p, r->dev);
	case 2: return fmt_dec(p, r->pasid);
	case 3: return fmt_dec(p, r->domain);
	case 4: return fmt_hex(fmt_str(p, "0x"), r->iova, 1);
	case 5: return fmt_hex(fmt_str(p, "0x"), r->size, 1);
	case 6: return fmt_hex(fmt_str(p, "0x"), r->pa, 1);
	case 7: return fmt_str(p, fmt_enum(txt_dir_names, 3, r->dir));
	case 8: return fmt_str(p, fmt_enum(txt_at_names, 3, r->at));
	case 9: return fmt_prot(p, r->prot);
	case 10: return fmt_str(p, r->op < IOM_OP_MAX ? iom_rec_op_name(r->op) : "?");
	case 11: return fmt_hex(fmt_str(p, "0x"), r->pgsize, 1);
	case 12: return fmt_dec(p, r->mm);
	case 13: return fmt_flags(p, r->flags);
	case 14: return fmt_str(p, fmt_enum(txt_type_names, 3, r->type));
	case 15: {
		size_t n = strnlen(r->name, IOM_REC_NAME_MAX - 1);
		memcpy(p, r->name, n);
		return p + n;
	}
	default: return fmt_dec(p, r->buf);
	}
}

int iom_rec_format(const struct iom_rec *r, char *buf, size_t len)
{
	char tmp[TRC_FMT_MAX];
	const char *k = iom_rec_kind_name(r->kind);
	char *p = fmt_str(tmp, k ? k : "?");
	for (unsigned i = 0; i < TRC_NFIELDS; i++) {
		unsigned bit = trc_field_order[i];
		if (r->present & (1u << bit))
			p = fmt_field(p, r, bit);
	}
	size_t n = (size_t)(p - tmp);
	if (len) {
		size_t c = IOM_MIN(n, len - 1);
		memcpy(buf, tmp, c);
		buf[c] = 0;
	}
	return (int)n;
}

/* ------------------------------------------------------------------ */
/* text decoding source                                                */

/* Next line into [*ls, *le) (newline and trailing CR/blanks excluded).
 * 1 line, 0 end of input, <0 line too long. */
static int txt_getline(struct trc_in *in, char **ls, char **le)
{
	char *s = (char *)in->buf + in->pos;
	char *nl = memchr(s, '\n', trc_in_avail(in));
	if (!nl && !in->eof) {
		trc_in_fill(in, in->cap);
		s = (char *)in->buf + in->pos;
		nl = memchr(s, '\n', trc_in_avail(in));
		if (!nl && !in->eof)
			return -1;
	}
	if (nl && nl - s > TRC_LINE_MAX)
		return -1;
	if (!nl) {
		if (!trc_in_avail(in))
			return 0;
		nl = s + trc_in_avail(in); /* last line without newline */
		in->pos = in->len;
	} else {
		in->pos = (size_t)(nl - (char *)in->buf) + 1;
	}
	while (nl > s && txt_is_ws(nl[-1]))
		nl--;
	*ls = s, *le = nl;
	return 1;
}

/* Input error (gzip/IO) pending at end of input, if any. */
static int txt_input_error(struct trc_src *s, struct iom_err *err)
{
	if (!s->in.pend_code)
		return 0;
	return iom_err_set(err, s->in.pend_code, "%s:%llu: %s", s->in.name,
			   (unsigned long long)s->line, s->in.pend_msg);
}

int trc_text_start(struct trc_src *s, struct iom_err *err)
{
	const char *f = s->in.name;
	char *ls, *le;
	for (;;) {
		int rc = txt_getline(&s->in, &ls, &le);
		if (rc < 0)
			return iom_err_set(err, IOM_EFORMAT, "%s:%llu: line longer than %d bytes",
					   f, (unsigned long long)s->line + 1, TRC_LINE_MAX);
		if (rc == 0) {
			int e = txt_input_error(s, err);
			return e ? e : iom_err_set(err, IOM_EFORMAT, "%s: empty trace", f);
		}
		s->line++;
		while (ls < le && txt_is_ws(*ls))
			ls++;
		if (ls < le)
			break;
	}
	struct txt_span h = { ls, (size_t)(le - ls) };
	static const char pre[] = "# iommusim trace v";
	if (txt_eq(h, TRC_TEXT_HEADER))
		return 0;
	unsigned long long line = (unsigned long long)s->line;
	if (h.n > sizeof(pre) - 1 && !memcmp(ls, pre, sizeof(pre) - 1))
		return iom_err_set(err, IOM_EFORMAT,
				   "%s:%llu: unsupported trace version %.*s (this build reads v%d)", f,
				   line, (int)IOM_MIN(h.n - (sizeof(pre) - 1), 32u),
				   ls + sizeof(pre) - 1, IOM_TRACE_VERSION);
	return iom_err_set(err, IOM_EFORMAT,
			   "%s:%llu: not an iommusim trace (expected '%s' header)", f, line,
			   TRC_TEXT_HEADER);
}

/* Parse one line; 1 record, 0 blank, <0 error with location. */
static int txt_line(struct trc_src *s, char *ls, char *le, struct iom_rec *r, struct iom_err *err)
{
	int rc = txt_parse_span(ls, le, r, err);
	if (rc < 0)
		return iom_err_prefix(err, "%s:%llu", s->in.name, (unsigned long long)s->line);
	if (rc == 0)
		return 0;
	if (!(r->present & IOM_F_TIME)) {
		r->time_ps = s->last_time;
		r->present |= IOM_F_TIME;
	} else if (r->time_ps < s->last_time) {
		return iom_err_set(err, IOM_EFORMAT,
				   "%s:%llu: %s: time goes backwards (%llu ps < previous %llu ps)",
				   s->in.name, (unsigned long long)s->line, iom_rec_kind_name(r->kind),
				   (unsigned long long)r->time_ps, (unsigned long long)s->last_time);
	}
	return 1;
}

int trc_text_next(struct trc_src *s, struct iom_rec *r, uint64_t *loc, struct iom_err *err)
{
	char *ls, *le;
	for (;;) {
		int rc = txt_getline(&s->in, &ls, &le);
		if (rc < 0)
			return iom_err_set(err, IOM_EFORMAT, "%s:%llu: line longer than %d bytes",
					   s->in.name, (unsigned long long)s->line + 1, TRC_LINE_MAX);
		if (rc == 0)
			return txt_input_error(s, err);
		s->line++;
		rc = txt_line(s, ls, le, r, err);
		if (rc == 0)
			continue;
		if (rc < 0) {
			if (!s->skip_bad)
				return rc;
			s->skipped++;
			continue;
		}
		s->nrec++;
		s->last_time = r->time_ps;
		*loc = s->line;
		return 1;
	}
}
