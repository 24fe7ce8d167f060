/* SPDX-License-Identifier: Apache-2.0 */
/*
 * record.c - the record vocabulary of trace format v1: kind, op and field
 * names, the per-kind schema (required / optional fields) and
 * iom_rec_validate, which both encodings run on every record they read or
 * write (docs/trace-format.md, "Records").
 *
 * Does not: parse or format text (text.c) or bytes (binary.c); check time
 * ordering, which needs the previous record (readers and writers do it).
 * Timing: none - records only carry a time stamp in ps.
 */
#include "trace-int.h"

#include <stdio.h>
#include <string.h>

static const char *const rec_kind_names[IOM_REC_KIND_MAX] = {
	[IOM_REC_DMA] = "dma",         [IOM_REC_DOMAIN] = "domain", [IOM_REC_ATTACH] = "attach",
	[IOM_REC_DETACH] = "detach",   [IOM_REC_MAP] = "map",       [IOM_REC_UNMAP] = "unmap",
	[IOM_REC_INVAL] = "inval",     [IOM_REC_BIND] = "bind",     [IOM_REC_UNBIND] = "unbind",
	[IOM_REC_PMAP] = "pmap",       [IOM_REC_PUNMAP] = "punmap", [IOM_REC_DIRTY] = "dirty",
	[IOM_REC_HARVEST] = "harvest", [IOM_REC_RESV] = "resv",     [IOM_REC_PHASE] = "phase",
	[IOM_REC_DMAMAP] = "dmamap",   [IOM_REC_DMAUNMAP] = "dmaunmap",
};

static const char *const rec_op_names[IOM_OP_MAX] = {
	[IOM_OP_NONE] = "none",
	[IOM_OP_CREATE] = "create", [IOM_OP_FREE] = "free",
	[IOM_OP_ALL] = "all", [IOM_OP_DOMAIN] = "domain", [IOM_OP_RANGE] = "range",
	[IOM_OP_DEV] = "dev", [IOM_OP_PASID] = "pasid",
	[IOM_OP_ON] = "on", [IOM_OP_OFF] = "off",
	[IOM_OP_MSI] = "msi", [IOM_OP_SW_MSI] = "sw_msi", [IOM_OP_DIRECT] = "direct",
	[IOM_OP_DIRECT_RELAXABLE] = "direct_relaxable", [IOM_OP_RESERVED] = "reserved",
	[IOM_OP_WARMUP] = "warmup", [IOM_OP_ROI] = "roi", [IOM_OP_END] = "end",
};

static const char *const rec_field_names[TRC_NFIELDS] = {
	"t", "dev", "pasid", "domain", "iova", "size", "pa", "dir",
	"at", "prot", "op", "pgsize", "mm", "flags", "type", "name", "buf",
};

/* Canonical text order: t, op first (it says what the record does), then
 * who (dev, pasid, domain, mm, buf, type), then where (iova, size, pa,
 * pgsize), then how (prot, dir, at, flags), then name. Binary uses bit
 * order. */
const uint8_t trc_field_order[TRC_NFIELDS] = {
	0, 10, 1, 2, 3, 12, 16, 14, 4, 5, 6, 11, 9, 7, 8, 13, 15,
};

#define F(x) IOM_F_##x
struct rec_schema {
	uint32_t req, opt;  /* opt always includes t */
	uint8_t op_lo, op_hi; /* valid op range, 0 = no op field */
	uint16_t flags;       /* allowed IOM_RF_* */
};

static const struct rec_schema rec_schemas[IOM_REC_KIND_MAX] = {
	[IOM_REC_DMA] = { F(DEV) | F(IOVA) | F(SIZE) | F(DIR),
			  F(TIME) | F(PASID) | F(AT) | F(FLAGS) | F(BUF), 0, 0, IOM_RF_PRIV | IOM_RF_EXEC },
	[IOM_REC_DOMAIN] = { F(OP) | F(DOMAIN), F(TIME) | F(TYPE), IOM_OP_CREATE, IOM_OP_FREE, 0 },
	[IOM_REC_ATTACH] = { F(DEV) | F(DOMAIN), F(TIME) | F(PASID), 0, 0, 0 },
	[IOM_REC_DETACH] = { F(DEV), F(TIME) | F(PASID), 0, 0, 0 },
	[IOM_REC_MAP] = { F(DOMAIN) | F(IOVA) | F(SIZE) | F(PA) | F(PROT), F(TIME) | F(PGSIZE), 0, 0, 0 },
	[IOM_REC_UNMAP] = { F(DOMAIN) | F(IOVA) | F(SIZE), F(TIME), 0, 0, 0 },
	/* inval: which of these are required depends on op (rec_check_inval) */
	[IOM_REC_INVAL] = { F(OP), F(TIME) | F(DOMAIN) | F(IOVA) | F(SIZE) | F(DEV) | F(PASID),
			    IOM_OP_ALL, IOM_OP_PASID, 0 },
	[IOM_REC_BIND] = { F(DEV) | F(PASID) | F(MM), F(TIME), 0, 0, 0 },
	[IOM_REC_UNBIND] = { F(DEV) | F(PASID), F(TIME), 0, 0, 0 },
	[IOM_REC_PMAP] = { F(MM) | F(IOVA) | F(SIZE) | F(PA) | F(PROT), F(TIME), 0, 0, 0 },
	[IOM_REC_PUNMAP] = { F(MM) | F(IOVA) | F(SIZE), F(TIME), 0, 0, 0 },
	[IOM_REC_DIRTY] = { F(OP) | F(DOMAIN), F(TIME), IOM_OP_ON, IOM_OP_OFF, 0 },
	[IOM_REC_HARVEST] = { F(DOMAIN) | F(IOVA) | F(SIZE) | F(PGSIZE), F(TIME) | F(FLAGS), 0, 0,
			      IOM_RF_NOCLEAR },
	[IOM_REC_RESV] = { F(DEV) | F(IOVA) | F(SIZE) | F(OP), F(TIME), IOM_OP_MSI, IOM_OP_RESERVED, 0 },
	[IOM_REC_PHASE] = { F(OP), F(TIME) | F(NAME), IOM_OP_WARMUP, IOM_OP_END, 0 },
	[IOM_REC_DMAMAP] = { F(DEV) | F(BUF) | F(SIZE) | F(PA) | F(DIR), F(TIME), 0, 0, 0 },
	[IOM_REC_DMAUNMAP] = { F(DEV) | F(BUF), F(TIME), 0, 0, 0 },
};

/* Exact field sets of inval per op (besides op and t). */
static uint32_t rec_inval_fields(unsigned op)
{
	switch (op) {
	case IOM_OP_DOMAIN: return F(DOMAIN);
	case IOM_OP_RANGE: return F(DOMAIN) | F(IOVA) | F(SIZE);
	case IOM_OP_DEV: return F(DEV);
	case IOM_OP_PASID: return F(DEV) | F(PASID);
	default: return 0;
	}
}
#undef F

const char *iom_rec_kind_name(unsigned kind)
{
	return kind < IOM_REC_KIND_MAX ? rec_kind_names[kind] : NULL;
}

const char *iom_rec_op_name(unsigned op)
{
	return op < IOM_OP_MAX ? rec_op_names[op] : NULL;
}

const char *trc_field_name(unsigned bit)
{
	return bit < TRC_NFIELDS ? rec_field_names[bit] : "?";
}

uint32_t trc_kind_allowed(unsigned kind)
{
	if (kind == 0 || kind >= IOM_REC_KIND_MAX)
		return 0;
	return rec_schemas[kind].req | rec_schemas[kind].opt;
}

void trc_fields_list(uint32_t mask, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = 0;
	for (unsigned i = 0; i < TRC_NFIELDS && n < len; i++) {
		unsigned b = trc_field_order[i];
		if (mask & (1u << b))
			n += snprintf(buf + n, len - n, "%s%s", n ? " " : "", rec_field_names[b]);
	}
}

/* First field of mask in canonical order (for "missing field" messages). */
static const char *rec_first_field(uint32_t mask)
{
	for (unsigned i = 0; i < TRC_NFIELDS; i++)
		if (mask & (1u << trc_field_order[i]))
			return rec_field_names[trc_field_order[i]];
	return "?";
}

static int rec_check_fields(const struct iom_rec *r, const char *k, struct iom_err *err)
{
	const struct rec_schema *s = &rec_schemas[r->kind];
	uint32_t extra = r->present & ~(s->req | s->opt);
	if (extra) {
		char list[160];
		trc_fields_list(s->req | s->opt, list, sizeof(list));
		return iom_err_set(err, IOM_EFORMAT, "%s: field '%s' not allowed (fields: %s)", k,
				   rec_first_field(extra), list);
	}
	uint32_t missing = s->req & ~r->present;
	if (missing)
		return iom_err_set(err, IOM_EFORMAT, "%s: missing field '%s'", k,
				   rec_first_field(missing));
	return 0;
}

static int rec_check_op(const struct iom_rec *r, const char *k, struct iom_err *err)
{
	const struct rec_schema *s = &rec_schemas[r->kind];
	if (!(r->present & IOM_F_OP))
		return 0;
	if (r->op < s->op_lo || r->op > s->op_hi)
		return iom_err_set(err, IOM_EFORMAT, "%s: op %u (%s) not valid for this kind", k,
				   r->op, r->op < IOM_OP_MAX ? rec_op_names[r->op] : "?");
	if (r->kind == IOM_REC_INVAL) {
		uint32_t want = rec_inval_fields(r->op);
		uint32_t have = r->present & ~(IOM_F_OP | IOM_F_TIME);
		const char *o = rec_op_names[r->op];
		if (want & ~have)
			return iom_err_set(err, IOM_EFORMAT, "inval: op=%s: missing field '%s'", o,
					   rec_first_field(want & ~have));
		if (have & ~want)
			return iom_err_set(err, IOM_EFORMAT, "inval: op=%s: field '%s' not allowed", o,
					   rec_first_field(have & ~want));
	}
	if (r->kind == IOM_REC_DOMAIN && (r->present & IOM_F_TYPE) && r->op != IOM_OP_CREATE)
		return iom_err_set(err, IOM_EFORMAT, "domain: field 'type' only allowed with op=create");
	return 0;
}

static int rec_check_enums(const struct iom_rec *r, const char *k, struct iom_err *err)
{
	uint32_t p = r->present;
	if ((p & IOM_F_DIR) && r->kind == IOM_REC_DMAMAP && r->dir > IOM_DIR_BIDI)
		return iom_err_set(err, IOM_ERANGE, "%s: dir %u out of range (0=r, 1=w, 2=rw)", k,
				   r->dir);
	if ((p & IOM_F_DIR) && r->kind != IOM_REC_DMAMAP && r->dir > IOM_DIR_WRITE)
		return iom_err_set(err, IOM_ERANGE, "%s: dir %u out of range (0=r, 1=w)", k, r->dir);
	if ((p & IOM_F_AT) && r->at > IOM_AT_TRANSLATED)
		return iom_err_set(err, IOM_ERANGE, "%s: at %u out of range (0=u, 1=treq, 2=t)", k, r->at);
	if ((p & IOM_F_PROT) && (r->prot & ~7u))
		return iom_err_set(err, IOM_ERANGE, "%s: prot 0x%x has bits other than rwx", k, r->prot);
	if ((p & IOM_F_TYPE) && r->type > IOM_DOM_BLOCKED)
		return iom_err_set(err, IOM_ERANGE, "%s: type %u out of range", k, r->type);
	if (p & IOM_F_FLAGS) {
		uint16_t ok = rec_schemas[r->kind].flags;
		if (r->flags & ~ok)
			return iom_err_set(err, IOM_ERANGE, "%s: flags 0x%x not allowed (allowed: %s)", k,
					   r->flags, ok == IOM_RF_NOCLEAR ? "noclear" : "priv,exec");
	}
	return 0;
}

static int rec_check_name(const struct iom_rec *r, const char *k, struct iom_err *err)
{
	size_t n = strnlen(r->name, IOM_REC_NAME_MAX);
	if (n == 0 || n >= IOM_REC_NAME_MAX)
		return iom_err_set(err, IOM_ERANGE, "%s: name must be 1-%d characters", k,
				   IOM_REC_NAME_MAX - 1);
	for (size_t i = 0; i < n; i++) {
		char c = r->name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return iom_err_set(err, IOM_EFORMAT,
					   "%s: name has character 0x%02x (allowed: A-Z a-z 0-9 _ . -)",
					   k, (unsigned char)c);
	}
	return 0;
}

static int rec_check_ranges(const struct iom_rec *r, const char *k, struct iom_err *err)
{
	uint32_t p = r->present;
	if ((p & IOM_F_PASID) && r->pasid >= (1u << 20))
		return iom_err_set(err, IOM_ERANGE, "%s: pasid 0x%x out of range (max 0xfffff)", k,
				   r->pasid);
	if (p & IOM_F_SIZE) {
		if (r->size == 0)
			return iom_err_set(err, IOM_ERANGE, "%s: size must be >= 1", k);
		if ((p & IOM_F_IOVA) && r->iova + (r->size - 1) < r->iova)
			return iom_err_set(err, IOM_ERANGE,
					   "%s: iova+size-1 overflows 64 bits (iova=0x%llx size=0x%llx)",
					   k, (unsigned long long)r->iova, (unsigned long long)r->size);
		if ((p & IOM_F_PA) && r->pa + (r->size - 1) < r->pa)
			return iom_err_set(err, IOM_ERANGE,
					   "%s: pa+size-1 overflows 64 bits (pa=0x%llx size=0x%llx)", k,
					   (unsigned long long)r->pa, (unsigned long long)r->size);
	}
	if ((p & IOM_F_PGSIZE) && (r->pgsize < 4096 || (r->pgsize & (r->pgsize - 1))))
		return iom_err_set(err, IOM_ERANGE,
				   "%s: pgsize 0x%llx must be a power of two >= 4096", k,
				   (unsigned long long)r->pgsize);
	return 0;
}

/* dma with buf=: a DMA API address is one of the requester ID's (the
 * device's default domain), never a PASID's. */
static int rec_check_buf(const struct iom_rec *r, struct iom_err *err)
{
	if (r->kind == IOM_REC_DMA && (r->present & IOM_F_BUF) && (r->present & IOM_F_PASID))
		return iom_err_set(err, IOM_EFORMAT,
				   "dma: fields 'buf' and 'pasid' exclude each other (a DMA API "
				   "buffer is mapped for the requester ID, not a PASID)");
	return 0;
}

int iom_rec_validate(const struct iom_rec *r, struct iom_err *err)
{
	if (!r)
		return iom_err_set(err, IOM_EINVAL, "no record");
	if (r->kind == 0 || r->kind >= IOM_REC_KIND_MAX)
		return iom_err_set(err, IOM_EFORMAT, "invalid record kind %u", r->kind);
	if (r->present & ~TRC_FIELD_MASK)
		return iom_err_set(err, IOM_EFORMAT, "unknown field bits 0x%x", r->present);
	const char *k = rec_kind_names[r->kind];
	int rc = rec_check_fields(r, k, err);
	if (!rc)
		rc = rec_check_op(r, k, err);
	if (!rc)
		rc = rec_check_enums(r, k, err);
	if (!rc)
		rc = rec_check_ranges(r, k, err);
	if (!rc && (r->present & IOM_F_NAME))
		rc = rec_check_name(r, k, err);
	if (!rc)
		rc = rec_check_buf(r, err);
	return rc;
}
