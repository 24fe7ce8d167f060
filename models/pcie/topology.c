/* SPDX-License-Identifier: Apache-2.0 */
/*
 * topology.c - building and indexing a PCIe fabric (topology.h).
 *
 * What it models: the tree of buses and functions as Linux's PCI core sees
 * it after enumeration -- root buses per host bridge, bridges with their
 * secondary/subordinate bus numbers, functions ordered by devfn, BARs and
 * bridge memory windows.  Bus numbers are assigned depth-first in devfn
 * order from each root bus (pci_scan_bridge's order when firmware left them
 * unassigned) unless the description gives them; unaddressed BARs are
 * placed naturally aligned, depth-first from the root complex's mmio_base,
 * with bridge windows 1 MiB aligned (pci_bus_assign_resources, simplified:
 * one memory window per bridge, no separate prefetchable window).
 *
 * Not modelled: SR-IOV virtual functions and their virtual buses, ARI
 * (more than one device number below a PCIe port), I/O BARs, hot plug.
 * Timing: none (structure only; link timing is link.c).
 */
#include "topology.h"

#include "quirks.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

const char *const iom_pcie_type_names[] = {
    "endpoint",           "legacy_endpoint", "rciep",           "rc_event_collector",
    "root_port",          "upstream_port",   "downstream_port", "pcie_to_pci_bridge",
    "pci_to_pcie_bridge", "pci_bridge",      "pci_device",      NULL,
};

#define TOPO_WIN_ALIGN (1ull << 20)

bool iom_pcie_kver_parse(const char *s, uint32_t *out)
{
	if (!s)
		return false;
	if (*s == 'v' || *s == 'V')
		s++;
	char *e;
	if (!isdigit((unsigned char)*s))
		return false;
	unsigned long maj = strtoul(s, &e, 10);
	if (*e != '.' || !isdigit((unsigned char)e[1]))
		return false;
	unsigned long min = strtoul(e + 1, &e, 10);
	if (maj < 2 || maj > 99 || min > 999)
		return false;
	/* "6.12", "6.12.3", "3.19.0-69-generic", "6.8-rc1" */
	if (*e && *e != '.' && *e != '-' && *e != '+' && *e != '_')
		return false;
	*out = iom_pcie_kver((unsigned)maj, (unsigned)min);
	return true;
}

struct iom_pcie_topo *iom_pcie_topo_create(void)
{
	struct iom_pcie_topo *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	iom_u64map_init(&t->bus_index);
	iom_u64map_init(&t->rid_index);
	iom_u64map_init(&t->name_index);
	iom_pcie_kver_parse(IOM_PCIE_KERNEL_DEFAULT, &t->kernel);
	return t;
}

void iom_pcie_topo_destroy(struct iom_pcie_topo *t)
{
	if (!t)
		return;
	for (uint32_t i = 0; i < t->nbuses; i++)
		free(t->buses[i].fns);
	free(t->buses);
	free(t->fns);
	free(t->rcs);
	free(t->bars);
	free(t->order);
	free(t->group_size);
	free(t->acs_eff);
	free(t->resv);
	iom_u64map_fini(&t->bus_index);
	iom_u64map_fini(&t->rid_index);
	iom_u64map_fini(&t->name_index);
	free(t);
}

static bool topo_grow(void **p, uint32_t *cap, uint32_t need, size_t elem)
{
	if (need <= *cap)
		return true;
	uint32_t n = *cap ? *cap * 2 : 16;
	while (n < need)
		n *= 2;
	void *q = realloc(*p, (size_t)n * elem);
	if (!q)
		return false;
	*p = q;
	*cap = n;
	return true;
}

const char *iom_pcie_bdf(const struct iom_pcie_fn *f, char *buf, size_t sz)
{
	snprintf(buf, sz, "%04x:%02x:%02x.%x", f->segment, f->bus, iom_pcie_slot(f),
	         iom_pcie_func(f));
	return buf;
}

const char *iom_pcie_bdf_short(const struct iom_pcie_fn *f, char *buf, size_t sz)
{
	if (f->segment)
		return iom_pcie_bdf(f, buf, sz);
	snprintf(buf, sz, "%02x:%02x.%x", f->bus, iom_pcie_slot(f), iom_pcie_func(f));
	return buf;
}

static int topo_hex(const char *s, unsigned ndig, unsigned *v)
{
	unsigned x = 0;
	for (unsigned i = 0; i < ndig; i++) {
		int c = (unsigned char)s[i];
		if (!isxdigit(c))
			return -1;
		x = x * 16 + (unsigned)(isdigit(c) ? c - '0' : tolower(c) - 'a' + 10);
	}
	*v = x;
	return 0;
}

bool iom_pcie_parse_bdf(const char *s, uint16_t *segment, uint8_t *bus, uint8_t *devfn,
                        const char **end)
{
	unsigned seg = 0, b, d, fn;
	size_t n = strspn(s, "0123456789abcdefABCDEF");
	if (s[n] == ':' && n >= 4 && n <= 8) { /* domain first */
		unsigned long v = strtoul(s, NULL, 16);
		if (v > 0xffff)
			return false;
		seg = (unsigned)v;
		s += n + 1;
		n = strspn(s, "0123456789abcdefABCDEF");
	}
	if (n != 2 || s[2] != ':' || topo_hex(s, 2, &b))
		return false;
	s += 3;
	if (topo_hex(s, 2, &d) || s[2] != '.' || d > 31 || topo_hex(s + 3, 1, &fn) || fn > 7)
		return false;
	if (isxdigit((unsigned char)s[4]))
		return false;
	*segment = (uint16_t)seg;
	*bus = (uint8_t)b;
	*devfn = (uint8_t)(d << 3 | fn);
	if (end)
		*end = s + 4;
	return true;
}

const char *iom_pcie_fn_where(const struct iom_pcie_topo *t, const struct iom_pcie_fn *f, char *buf,
                              size_t sz)
{
	char bdf[16];
	switch (t->src_kind) {
	case IOM_PCIE_SRC_CONFIG:
		snprintf(buf, sz, "%s%spcie.functions[%u] '%s'", t->src_name,
		         *t->src_name ? ": " : "", f->src_line - 1, f->name);
		break;
	case IOM_PCIE_SRC_LSPCI:
		snprintf(buf, sz, "%s:%u: %s", t->src_name, f->src_line,
		         iom_pcie_bdf(f, bdf, sizeof(bdf)));
		break;
	default:
		snprintf(buf, sz, "function '%s'", f->name);
	}
	return buf;
}

/* FNV-1a of a name, the key of name_index (collisions checked by strcmp). */
static uint64_t topo_name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

uint32_t iom_pcie_find_name(const struct iom_pcie_topo *t, const char *name)
{
	uint64_t v;
	if (!iom_u64map_get(&t->name_index, topo_name_hash(name), &v))
		return IOM_PCIE_NONE;
	/* v: fn index + 1, or 0x100000000 | rc index for a root complex */
	if (v >> 32)
		return IOM_PCIE_NONE;
	uint32_t i = (uint32_t)v - 1;
	return strcmp(t->fns[i].name, name) ? IOM_PCIE_NONE : i;
}

static int topo_name_add(struct iom_pcie_topo *t, const char *name, uint64_t v, struct iom_err *err)
{
	uint64_t h = topo_name_hash(name), old;
	if (iom_u64map_get(&t->name_index, h, &old))
		return iom_err_set(err, IOM_EEXIST, "the name '%s' is used twice", name);
	return iom_u64map_put(&t->name_index, h, v) ? iom_err_set(err, IOM_ENOMEM, "out of memory")
	                                            : 0;
}

int iom_pcie_add_rc(struct iom_pcie_topo *t, const struct iom_pcie_rc *rc, struct iom_err *err)
{
	if (t->finalized)
		return iom_err_set(err, IOM_EINVAL, "pcie: topology already finalized");
	if (!topo_grow((void **)&t->rcs, &t->caprcs, t->nrcs + 1, sizeof(*rc)))
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	if (rc->name[0]) {
		int r = topo_name_add(t, rc->name, 1ull << 32 | t->nrcs, err);
		if (r)
			return r;
	}
	t->rcs[t->nrcs++] = *rc;
	return 0;
}

uint32_t iom_pcie_add_fn(struct iom_pcie_topo *t, const struct iom_pcie_fn *d, struct iom_err *err)
{
	if (t->finalized) {
		iom_err_set(err, IOM_EINVAL, "pcie: topology already finalized");
		return IOM_PCIE_NONE;
	}
	if (d->type >= IOM_PCIE_TYPE_COUNT) {
		iom_err_set(err, IOM_EINVAL, "pcie: function '%s': bad type %u", d->name, d->type);
		return IOM_PCIE_NONE;
	}
	if (!topo_grow((void **)&t->fns, &t->capfns, t->nfns + 1, sizeof(*d))) {
		iom_err_set(err, IOM_ENOMEM, "out of memory");
		return IOM_PCIE_NONE;
	}
	struct iom_pcie_fn *f = &t->fns[t->nfns];
	*f = *d;
	f->parent = IOM_PCIE_NONE;
	f->group = IOM_PCIE_NONE;
	f->busidx = f->secidx = IOM_PCIE_NONE;
	if (!f->bus_given && !f->numbers_given)
		f->secondary = f->subordinate = 0;
	if (f->name[0] && topo_name_add(t, f->name, t->nfns + 1ull, err))
		return IOM_PCIE_NONE;
	return t->nfns++;
}

int iom_pcie_add_resv(struct iom_pcie_topo *t, uint32_t fn, uint64_t base, uint64_t size,
                      unsigned kind, struct iom_err *err)
{
	if (fn >= t->nfns || kind >= IOM_PCIE_RESV_KINDS || !size || base + (size - 1) < base)
		return iom_err_set(err, IOM_EINVAL,
		                   "pcie: reserved region [%#" PRIx64 ", +%#" PRIx64
		                   ") kind %u: bad function, kind or range",
		                   base, size, kind);
	if (!topo_grow((void **)&t->resv, &t->capresv, t->nresv + 1, sizeof(*t->resv)))
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	t->resv[t->nresv++] =
	    (struct iom_pcie_resv){.base = base, .size = size, .fn = fn, .kind = (uint8_t)kind};
	return 0;
}

/* ---- finalize ------------------------------------------------------------ */

struct topo_build {
	struct iom_pcie_topo *t;
	uint32_t **kids; /* per function: children (config style), else NULL */
	uint32_t *nkids;
	unsigned flags;
	struct iom_err *err;
};

static int fn_err(struct topo_build *B, const struct iom_pcie_fn *f, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fn_err(struct topo_build *B, const struct iom_pcie_fn *f, int code, const char *fmt, ...)
{
	char where[512], msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return iom_err_set(B->err, code, "%s: %s", iom_pcie_fn_where(B->t, f, where, sizeof(where)),
	                   msg);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Resolve parent names (config style): parent = bridge index, or a root bus. */
static int topo_resolve_names(struct topo_build *B)
{
	struct iom_pcie_topo *t = B->t;
	for (uint32_t i = 0; i < t->nfns; i++) {
		struct iom_pcie_fn *f = &t->fns[i];
		if (f->bus_given)
			continue;
		uint64_t v;
		if (!f->parent_name[0]) {
			f->segment = t->rcs[0].segment;
			f->bus = t->rcs[0].bus;
			f->bus_given = true;
			continue;
		}
		if (!iom_u64map_get(&t->name_index, topo_name_hash(f->parent_name), &v))
			return fn_err(B, f, IOM_EINVAL,
			              "parent '%s' names no root complex and no function",
			              f->parent_name);
		if (v >> 32) {
			const struct iom_pcie_rc *rc = &t->rcs[(uint32_t)v];
			if (strcmp(rc->name, f->parent_name))
				return fn_err(B, f, IOM_EINVAL, "parent '%s' not found",
				              f->parent_name);
			f->segment = rc->segment;
			f->bus = rc->bus;
			f->bus_given = true;
			continue;
		}
		uint32_t p = (uint32_t)v - 1;
		if (strcmp(t->fns[p].name, f->parent_name))
			return fn_err(B, f, IOM_EINVAL, "parent '%s' not found", f->parent_name);
		if (!t->fns[p].bridge)
			return fn_err(B, f, IOM_EINVAL,
			              "parent '%s' is of type %s, not a bridge or port",
			              f->parent_name, iom_pcie_type_names[t->fns[p].type]);
		if (p == i)
			return fn_err(B, f, IOM_EINVAL, "is its own parent");
		f->parent = p;
	}
	return 0;
}

/* Children lists of bridges, ascending devfn (config style parents). */
static int topo_kids(struct topo_build *B)
{
	struct iom_pcie_topo *t = B->t;
	B->kids = calloc(t->nfns ? t->nfns : 1, sizeof(*B->kids));
	B->nkids = calloc(t->nfns ? t->nfns : 1, sizeof(*B->nkids));
	if (!B->kids || !B->nkids)
		return iom_err_set(B->err, IOM_ENOMEM, "out of memory");
	for (uint32_t i = 0; i < t->nfns; i++)
		if (t->fns[i].parent != IOM_PCIE_NONE)
			B->nkids[t->fns[i].parent]++;
	for (uint32_t i = 0; i < t->nfns; i++) {
		if (B->nkids[i] && !(B->kids[i] = malloc(B->nkids[i] * sizeof(uint32_t))))
			return iom_err_set(B->err, IOM_ENOMEM, "out of memory");
		B->nkids[i] = 0;
	}
	for (uint32_t i = 0; i < t->nfns; i++) {
		uint32_t p = t->fns[i].parent;
		if (p != IOM_PCIE_NONE)
			B->kids[p][B->nkids[p]++] = i;
	}
	for (uint32_t i = 0; i < t->nfns; i++) {
		uint32_t n = B->nkids[i];
		if (n < 2)
			continue;
		uint64_t *k = malloc(n * sizeof(*k));
		if (!k)
			return iom_err_set(B->err, IOM_ENOMEM, "out of memory");
		for (uint32_t j = 0; j < n; j++)
			k[j] = (uint64_t)t->fns[B->kids[i][j]].devfn << 32 | B->kids[i][j];
		qsort(k, n, sizeof(*k), cmp_u64);
		for (uint32_t j = 0; j < n; j++)
			B->kids[i][j] = (uint32_t)k[j];
		free(k);
	}
	return 0;
}

/* Depth-first bus numbering of the bridges in list[0..n) (ascending devfn),
 * which sit on bus `bus`; *last is the highest bus number used so far. */
static int topo_number(struct topo_build *B, const uint32_t *list, uint32_t n, uint16_t segment,
                       uint8_t bus, unsigned *last, unsigned depth)
{
	struct iom_pcie_topo *t = B->t;
	for (uint32_t k = 0; k < n; k++) {
		struct iom_pcie_fn *c = &t->fns[list[k]];
		c->segment = segment;
		c->bus = bus;
		if (!c->bridge)
			continue;
		if (depth > 255)
			return fn_err(B, c, IOM_EINVAL,
			              "bridges nest more than 255 deep (a parent loop?)");
		if (c->numbers_given) {
			if (c->secondary <= bus || c->subordinate < c->secondary)
				return fn_err(
				    B, c, IOM_EINVAL,
				    "secondary %02x / subordinate %02x: expected bus %02x < "
				    "secondary <= subordinate",
				    c->secondary, c->subordinate, bus);
			unsigned l = c->secondary;
			int r = topo_number(B, B->kids[list[k]], B->nkids[list[k]], segment,
			                    c->secondary, &l, depth + 1);
			if (r)
				return r;
			if (l > c->subordinate)
				return fn_err(
				    B, c, IOM_EINVAL,
				    "buses below reach %02x, beyond its subordinate bus %02x", l,
				    c->subordinate);
			if (*last < c->subordinate)
				*last = c->subordinate;
			continue;
		}
		if (*last >= 255)
			return fn_err(B, c, IOM_ERANGE,
			              "no bus number left in segment %04x (256 buses)", segment);
		c->secondary = (uint8_t)++ * last;
		int r = topo_number(B, B->kids[list[k]], B->nkids[list[k]], segment, c->secondary,
		                    last, depth + 1);
		if (r)
			return r;
		c->subordinate = (uint8_t)*last;
	}
	return 0;
}

/* Config style: number every root complex's tree. */
static int topo_enumerate(struct topo_build *B)
{
	struct iom_pcie_topo *t = B->t;
	uint64_t *k = malloc(((size_t)t->nfns + 1) * sizeof(*k));
	uint32_t *list = malloc(((size_t)t->nfns + 1) * sizeof(*list));
	int r = 0;
	if (!k || !list)
		r = iom_err_set(B->err, IOM_ENOMEM, "out of memory");
	for (uint32_t c = 0; !r && c < t->nrcs; c++) {
		const struct iom_pcie_rc *rc = &t->rcs[c];
		uint32_t n = 0;
		for (uint32_t i = 0; i < t->nfns; i++) {
			const struct iom_pcie_fn *f = &t->fns[i];
			if (f->parent == IOM_PCIE_NONE && f->segment == rc->segment &&
			    f->bus == rc->bus)
				k[n++] = (uint64_t)f->devfn << 32 | i;
		}
		qsort(k, n, sizeof(*k), cmp_u64);
		for (uint32_t i = 0; i < n; i++)
			list[i] = (uint32_t)k[i];
		unsigned last = rc->bus;
		r = topo_number(B, list, n, rc->segment, rc->bus, &last, 0);
	}
	free(k);
	free(list);
	return r;
}

static uint64_t bus_key(uint16_t segment, uint8_t bus)
{
	return (uint64_t)segment << 8 | bus;
}

/* Import style: parents from bridge bus ranges, root buses for the rest. */
static int topo_link_imported(struct topo_build *B)
{
	struct iom_pcie_topo *t = B->t;
	struct iom_u64map sec;
	iom_u64map_init(&sec);
	int r = 0;
	for (uint32_t i = 0; !r && i < t->nfns; i++) {
		struct iom_pcie_fn *f = &t->fns[i];
		if (!f->bridge || !f->secondary || f->secondary <= f->bus)
			continue; /* no bus behind it */
		uint64_t old;
		if (iom_u64map_get(&sec, bus_key(f->segment, f->secondary), &old)) {
			char bdf[16];
			r = fn_err(B, f, IOM_EFORMAT, "secondary bus %02x is also behind %s",
			           f->secondary, iom_pcie_bdf(&t->fns[old], bdf, sizeof(bdf)));
			break;
		}
		if (iom_u64map_put(&sec, bus_key(f->segment, f->secondary), i))
			r = iom_err_set(B->err, IOM_ENOMEM, "out of memory");
	}
	for (uint32_t i = 0; !r && i < t->nfns; i++) {
		struct iom_pcie_fn *f = &t->fns[i];
		uint64_t p;
		if (iom_u64map_get(&sec, bus_key(f->segment, f->bus), &p)) {
			f->parent = (uint32_t)p;
			continue;
		}
		bool have = false;
		for (uint32_t c = 0; c < t->nrcs && !have; c++)
			have = t->rcs[c].segment == f->segment && t->rcs[c].bus == f->bus;
		if (!have) {
			struct iom_pcie_rc rc = {.segment = f->segment, .bus = f->bus};
			r = iom_pcie_add_rc(t, &rc, B->err);
		}
	}
	iom_u64map_fini(&sec);
	return r;
}

static int topo_new_bus(struct topo_build *B, uint16_t segment, uint8_t number, uint32_t self)
{
	struct iom_pcie_topo *t = B->t;
	uint64_t old;
	if (iom_u64map_get(&t->bus_index, bus_key(segment, number), &old)) {
		const struct iom_pcie_bus *o = &t->buses[old];
		if (self != IOM_PCIE_NONE)
			return fn_err(B, &t->fns[self], IOM_EINVAL,
			              "its secondary bus %04x:%02x is already %s", segment, number,
			              o->self == IOM_PCIE_NONE ? "a root bus"
			                                       : "behind another bridge");
		return iom_err_set(B->err, IOM_EINVAL,
		                   "pcie: root bus %04x:%02x is given twice%s%s", segment, number,
		                   o->self == IOM_PCIE_NONE ? "" : " (also behind ",
		                   o->self == IOM_PCIE_NONE ? "" : t->fns[o->self].name);
	}
	if (!topo_grow((void **)&t->buses, &t->capbuses, t->nbuses + 1, sizeof(*t->buses)))
		return iom_err_set(B->err, IOM_ENOMEM, "out of memory");
	struct iom_pcie_bus *b = &t->buses[t->nbuses];
	memset(b, 0, sizeof(*b));
	b->segment = segment;
	b->number = number;
	b->self = self;
	if (self != IOM_PCIE_NONE) {
		unsigned ty = t->fns[self].type;
		b->conventional = ty == IOM_PCIE_PCIE_TO_PCI || ty == IOM_PCIE_PCI_BRIDGE;
		t->fns[self].secidx = t->nbuses;
	}
	if (iom_u64map_put(&t->bus_index, bus_key(segment, number), t->nbuses))
		return iom_err_set(B->err, IOM_ENOMEM, "out of memory");
	t->nbuses++;
	return 0;
}

static int topo_buses(struct topo_build *B, bool import)
{
	struct iom_pcie_topo *t = B->t;
	int r = 0;
	for (uint32_t c = 0; !r && c < t->nrcs; c++)
		r = topo_new_bus(B, t->rcs[c].segment, t->rcs[c].bus, IOM_PCIE_NONE);
	for (uint32_t i = 0; !r && i < t->nfns; i++) {
		struct iom_pcie_fn *f = &t->fns[i];
		if (!f->bridge || (import && (!f->secondary || f->secondary <= f->bus)))
			continue;
		r = topo_new_bus(B, f->segment, f->secondary, i);
	}
	for (uint32_t i = 0; !r && i < t->nfns; i++) {
		struct iom_pcie_fn *f = &t->fns[i];
		uint64_t bi;
		if (!iom_u64map_get(&t->bus_index, bus_key(f->segment, f->bus), &bi))
			return fn_err(B, f, IOM_EINVAL,
			              "bus %04x:%02x has no root complex or bridge", f->segment,
			              f->bus);
		struct iom_pcie_bus *b = &t->buses[bi];
		if (!topo_grow((void **)&b->fns, &b->capfns, b->nfns + 1, sizeof(uint32_t)))
			return iom_err_set(B->err, IOM_ENOMEM, "out of memory");
		b->fns[b->nfns++] = i;
		f->busidx = (uint32_t)bi;
	}
	/* ascending devfn; a devfn used twice is an error */
	for (uint32_t bi = 0; !r && bi < t->nbuses; bi++) {
		struct iom_pcie_bus *b = &t->buses[bi];
		if (b->nfns < 2)
			continue;
		uint64_t *k = malloc(b->nfns * sizeof(*k));
		if (!k)
			return iom_err_set(B->err, IOM_ENOMEM, "out of memory");
		for (uint32_t j = 0; j < b->nfns; j++)
			k[j] = (uint64_t)t->fns[b->fns[j]].devfn << 32 | b->fns[j];
		qsort(k, b->nfns, sizeof(*k), cmp_u64);
		for (uint32_t j = 0; j < b->nfns; j++) {
			b->fns[j] = (uint32_t)k[j];
			if (j && (k[j] >> 32) == (k[j - 1] >> 32)) {
				char bdf[16];
				const struct iom_pcie_fn *f = &t->fns[b->fns[j]];
				r = fn_err(B, f, IOM_EEXIST, "%s is taken by '%s'",
				           iom_pcie_bdf(f, bdf, sizeof(bdf)),
				           t->fns[(uint32_t)k[j - 1]].name);
				break;
			}
		}
		free(k);
	}
	return r;
}

static void topo_multifunction(struct iom_pcie_topo *t)
{
	for (uint32_t bi = 0; bi < t->nbuses; bi++) {
		const struct iom_pcie_bus *b = &t->buses[bi];
		for (uint32_t j = 0; j < b->nfns;) {
			uint32_t e = j;
			unsigned slot = iom_pcie_slot(&t->fns[b->fns[j]]);
			while (e < b->nfns && iom_pcie_slot(&t->fns[b->fns[e]]) == slot)
				e++;
			for (uint32_t k = j; k < e; k++) {
				struct iom_pcie_fn *f = &t->fns[b->fns[k]];
				f->multifunction = f->mf_given ? f->mf_given == 2 : e - j > 1;
			}
			j = e;
		}
	}
}

/* The order Linux adds devices: all of a bus, then each child bus in turn. */
static int topo_order(struct topo_build *B)
{
	struct iom_pcie_topo *t = B->t;
	free(t->order);
	t->order = malloc(((size_t)t->nfns + 1) * sizeof(uint32_t));
	uint32_t *stack = malloc(((size_t)t->nbuses + 1) * sizeof(uint32_t));
	uint64_t *roots = malloc(((size_t)t->nbuses + 1) * sizeof(uint64_t));
	if (!t->order || !stack || !roots) {
		free(stack);
		free(roots);
		return iom_err_set(B->err, IOM_ENOMEM, "out of memory");
	}
	uint32_t nroots = 0, n = 0;
	for (uint32_t bi = 0; bi < t->nbuses; bi++)
		if (t->buses[bi].self == IOM_PCIE_NONE)
			roots[nroots++] =
			    bus_key(t->buses[bi].segment, t->buses[bi].number) << 32 | bi;
	qsort(roots, nroots, sizeof(*roots), cmp_u64); /* host bridges in (segment, bus) order */
	for (uint32_t r = 0; r < nroots; r++) {
		/* explicit stack of buses; children pushed in reverse devfn order */
		uint32_t sp = 0;
		stack[sp++] = (uint32_t)roots[r];
		while (sp) {
			const struct iom_pcie_bus *b = &t->buses[stack[--sp]];
			for (uint32_t j = 0; j < b->nfns; j++) {
				struct iom_pcie_fn *f = &t->fns[b->fns[j]];
				f->depth = b->self == IOM_PCIE_NONE
				               ? 0
				               : (uint16_t)(t->fns[b->self].depth + 1);
				if (n < t->nfns)
					t->order[n] = b->fns[j];
				n++;
			}
			for (uint32_t j = b->nfns; j-- > 0;) {
				const struct iom_pcie_fn *f = &t->fns[b->fns[j]];
				if (f->secidx != IOM_PCIE_NONE && sp < t->nbuses)
					stack[sp++] = f->secidx;
			}
		}
	}
	free(stack);
	free(roots);
	if (n != t->nfns)
		return iom_err_set(
		    B->err, IOM_EINVAL,
		    "pcie: %u of %u functions are not reachable from a root bus (a loop "
		    "of bridges?)",
		    t->nfns - (n < t->nfns ? n : t->nfns), t->nfns);
	return 0;
}

/* Who may sit below whom (PCIe 1.3 / 6.x topology rules) -- strict mode. */
static int topo_check_types(struct topo_build *B)
{
	struct iom_pcie_topo *t = B->t;
	for (uint32_t i = 0; i < t->nfns; i++) {
		const struct iom_pcie_fn *f = &t->fns[i];
		const struct iom_pcie_fn *p =
		    f->parent == IOM_PCIE_NONE ? NULL : &t->fns[f->parent];
		unsigned pt = p ? p->type : IOM_PCIE_TYPE_COUNT;
		bool ok;
		const char *want;
		switch (f->type) {
		case IOM_PCIE_ROOT_PORT:
		case IOM_PCIE_RCIEP:
		case IOM_PCIE_RC_EC:
			ok = !p;
			want = "a root complex";
			break;
		case IOM_PCIE_DOWNSTREAM:
			ok = pt == IOM_PCIE_UPSTREAM;
			want = "an upstream_port";
			break;
		case IOM_PCIE_UPSTREAM:
		case IOM_PCIE_ENDPOINT:
		case IOM_PCIE_LEGACY_ENDPOINT:
		case IOM_PCIE_PCIE_TO_PCI:
			ok = pt == IOM_PCIE_ROOT_PORT || pt == IOM_PCIE_DOWNSTREAM ||
			     pt == IOM_PCIE_PCI_TO_PCIE;
			want = "a root_port, downstream_port or pci_to_pcie_bridge";
			break;
		default:
			/* conventional PCI: a root bus, a PCI bus, or directly below a
			 * PCIe port when it is a bridge hiding its PCIe capability (what
			 * the ASMedia/ITE/Tundra DMA alias quirks are for) */
			ok = pt != IOM_PCIE_UPSTREAM;
			want = "a root complex or a bridge other than an upstream_port";
		}
		if (!ok)
			return fn_err(B, f, IOM_EINVAL, "type %s must sit below %s, not below %s",
			              iom_pcie_type_names[f->type], want,
			              p ? iom_pcie_type_names[pt] : "the root complex");
		if (p &&
		    (pt == IOM_PCIE_ROOT_PORT || pt == IOM_PCIE_DOWNSTREAM ||
		     pt == IOM_PCIE_PCI_TO_PCIE) &&
		    iom_pcie_slot(f))
			return fn_err(B, f, IOM_EINVAL,
			              "device number %u below the PCIe port '%s': a link has only "
			              "device 0 (ARI is not modelled)",
			              iom_pcie_slot(f), p->name);
		if (f->bridge != iom_pcie_type_is_bridge(f->type))
			return fn_err(B, f, IOM_EINVAL, "type %s %s a bridge",
			              iom_pcie_type_names[f->type],
			              f->bridge ? "is not" : "must be");
	}
	return 0;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Place unaddressed BARs depth-first below bus bi from *cur; compute bridge
 * windows that are not given. */
static int topo_assign(struct topo_build *B, uint32_t bi, uint64_t *cur, unsigned depth)
{
	struct iom_pcie_topo *t = B->t;
	const struct iom_pcie_bus *b = &t->buses[bi];
	for (uint32_t j = 0; j < b->nfns; j++) {
		struct iom_pcie_fn *f = &t->fns[b->fns[j]];
		for (unsigned k = 0; k < f->nbars; k++) {
			struct iom_pcie_bar *bar = &f->bars[k];
			if (bar->base || !bar->size)
				continue;
			*cur = align_up(*cur, bar->size);
			bar->base = *cur;
			*cur += bar->size;
			if (*cur < bar->base)
				return fn_err(B, f, IOM_ERANGE, "BAR%u does not fit below 2^64",
				              bar->index);
		}
	}
	for (uint32_t j = 0; j < b->nfns && depth < 256; j++) {
		struct iom_pcie_fn *f = &t->fns[b->fns[j]];
		if (f->secidx == IOM_PCIE_NONE)
			continue;
		bool given = f->win_base < f->win_limit;
		*cur = align_up(*cur, TOPO_WIN_ALIGN);
		uint64_t start = *cur;
		int r = topo_assign(B, f->secidx, cur, depth + 1);
		if (r)
			return r;
		*cur = align_up(*cur, TOPO_WIN_ALIGN);
		if (!given && *cur > start) {
			f->win_base = start;
			f->win_limit = *cur - 1;
		}
	}
	return 0;
}

/* Windows of bridges whose BARs were all given: the hull of the subtree. */
static void topo_hull(struct iom_pcie_topo *t, uint32_t bi, uint64_t *lo, uint64_t *hi,
                      unsigned depth)
{
	const struct iom_pcie_bus *b = &t->buses[bi];
	for (uint32_t j = 0; j < b->nfns; j++) {
		struct iom_pcie_fn *f = &t->fns[b->fns[j]];
		for (unsigned k = 0; k < f->nbars; k++) {
			if (!f->bars[k].size)
				continue;
			if (f->bars[k].base < *lo)
				*lo = f->bars[k].base;
			if (f->bars[k].base + f->bars[k].size - 1 > *hi)
				*hi = f->bars[k].base + f->bars[k].size - 1;
		}
		if (f->secidx == IOM_PCIE_NONE || depth > 255)
			continue;
		uint64_t l = UINT64_MAX, h = 0;
		topo_hull(t, f->secidx, &l, &h, depth + 1);
		if (f->win_base >= f->win_limit && l <= h) {
			f->win_base = l & ~(TOPO_WIN_ALIGN - 1);
			f->win_limit = h | (TOPO_WIN_ALIGN - 1);
		}
		if (f->win_base < f->win_limit) {
			if (f->win_base < *lo)
				*lo = f->win_base;
			if (f->win_limit > *hi)
				*hi = f->win_limit;
		}
	}
}

static int cmp_bar(const void *a, const void *b)
{
	const struct iom_pcie_bar_ent *x = a, *y = b;
	if (x->base != y->base)
		return x->base < y->base ? -1 : 1;
	return x->fn < y->fn ? -1 : x->fn > y->fn;
}

static int topo_bar_table(struct topo_build *B)
{
	struct iom_pcie_topo *t = B->t;
	uint32_t n = 0;
	for (uint32_t i = 0; i < t->nfns; i++)
		n += t->fns[i].nbars;
	free(t->bars);
	t->bars = malloc(((size_t)n + 1) * sizeof(*t->bars));
	if (!t->bars)
		return iom_err_set(B->err, IOM_ENOMEM, "out of memory");
	n = 0;
	for (uint32_t i = 0; i < t->nfns; i++) {
		const struct iom_pcie_fn *f = &t->fns[i];
		for (unsigned k = 0; k < f->nbars; k++) {
			const struct iom_pcie_bar *bar = &f->bars[k];
			if (!bar->size)
				continue;
			if (bar->size & (bar->size - 1))
				return fn_err(B, f, IOM_EINVAL,
				              "BAR%u size %#" PRIx64 " is not a power of two",
				              bar->index, bar->size);
			if (bar->base & (bar->size - 1))
				return fn_err(B, f, IOM_EINVAL,
				              "BAR%u base %#" PRIx64
				              " is not aligned to its size %#" PRIx64,
				              bar->index, bar->base, bar->size);
			t->bars[n++] = (struct iom_pcie_bar_ent){.base = bar->base,
			                                         .end = bar->base + bar->size,
			                                         .fn = i,
			                                         .bar = (uint8_t)k};
		}
	}
	qsort(t->bars, n, sizeof(*t->bars), cmp_bar);
	uint32_t w = 0;
	for (uint32_t k = 0; k < n; k++) {
		if (w && t->bars[k].base < t->bars[w - 1].end) {
			const struct iom_pcie_bar_ent *a = &t->bars[w - 1], *c = &t->bars[k];
			if (B->flags & IOM_PCIE_STRICT)
				return fn_err(B, &t->fns[c->fn], IOM_EINVAL,
				              "BAR%u [%#" PRIx64 ", %#" PRIx64
				              ") overlaps BAR%u of '%s'",
				              t->fns[c->fn].bars[c->bar].index, c->base, c->end,
				              t->fns[a->fn].bars[a->bar].index, t->fns[a->fn].name);
			continue; /* imported: the first one decodes */
		}
		t->bars[w++] = t->bars[k];
	}
	t->nbars = w;
	return 0;
}

int iom_pcie_topo_finalize(struct iom_pcie_topo *t, unsigned flags, struct iom_err *err)
{
	if (t->finalized)
		return iom_err_set(err, IOM_EINVAL, "pcie: topology already finalized");
	struct topo_build B = {.t = t, .flags = flags, .err = err};
	bool import = t->nfns > 0;
	for (uint32_t i = 0; i < t->nfns; i++)
		if (!t->fns[i].bus_given || t->fns[i].parent_name[0])
			import = false;
	int r = 0;
	if (!t->nrcs && !import) {
		struct iom_pcie_rc rc = {.name = "pci0", .mmio_base = 0x80000000ull};
		r = iom_pcie_add_rc(t, &rc, err);
	}
	if (!r && import) {
		r = topo_link_imported(&B);
	} else if (!r) {
		r = topo_resolve_names(&B);
		if (!r)
			r = topo_kids(&B);
		if (!r)
			r = topo_enumerate(&B);
	}
	if (!r)
		r = topo_buses(&B, import);
	if (!r) {
		topo_multifunction(t);
		r = topo_order(&B);
	}
	if (!r)
		iom_pcie_quirk_dma_aliases(t);
	if (!r && (flags & IOM_PCIE_STRICT))
		r = topo_check_types(&B);
	for (uint32_t c = 0; !r && c < t->nrcs; c++) {
		uint64_t bi, cur = t->rcs[c].mmio_base;
		if (iom_u64map_get(&t->bus_index, bus_key(t->rcs[c].segment, t->rcs[c].bus), &bi))
			r = topo_assign(&B, (uint32_t)bi, &cur, 0);
	}
	for (uint32_t bi = 0; !r && bi < t->nbuses; bi++) {
		uint64_t lo = UINT64_MAX, hi = 0;
		if (t->buses[bi].self == IOM_PCIE_NONE)
			topo_hull(t, bi, &lo, &hi, 0);
	}
	if (!r)
		r = topo_bar_table(&B);
	for (uint32_t i = 0; !r && i < t->nfns; i++) {
		struct iom_pcie_fn *f = &t->fns[i];
		if (!f->name[0])
			iom_pcie_bdf(f, f->name, sizeof(f->name));
		if (iom_u64map_put(&t->rid_index, (uint64_t)f->segment << 16 | iom_pcie_rid(f), i))
			r = iom_err_set(err, IOM_ENOMEM, "out of memory");
	}
	if (B.kids)
		for (uint32_t i = 0; i < t->nfns; i++)
			free(B.kids[i]);
	free(B.kids);
	free(B.nkids);
	if (!r)
		t->finalized = true;
	if (!r)
		r = iom_pcie_topo_refresh(t, err);
	return r;
}

int iom_pcie_topo_refresh(struct iom_pcie_topo *t, struct iom_err *err)
{
	if (!t->acs_eff) {
		t->acs_eff = calloc(t->nfns ? t->nfns : 1, sizeof(*t->acs_eff));
		if (!t->acs_eff)
			return iom_err_set(err, IOM_ENOMEM, "out of memory");
	}
	for (uint32_t i = 0; i < t->nfns; i++)
		t->acs_eff[i] = iom_pcie_acs_effective(t, i);
	return 0;
}

/* ---- lookups ------------------------------------------------------------- */

uint32_t iom_pcie_find_rid(const struct iom_pcie_topo *t, uint16_t segment, uint16_t rid)
{
	uint64_t v;
	return iom_u64map_get(&t->rid_index, (uint64_t)segment << 16 | rid, &v) ? (uint32_t)v
	                                                                        : IOM_PCIE_NONE;
}

uint32_t iom_pcie_decode(const struct iom_pcie_topo *t, uint64_t addr, uint8_t *bar)
{
	uint32_t lo = 0, hi = t->nbars;
	if (!hi || addr < t->bars[0].base || addr >= t->bars[hi - 1].end)
		return IOM_PCIE_NONE; /* sorted, disjoint: the last one ends highest */
	while (lo < hi) {             /* first entry with base > addr */
		uint32_t mid = lo + (hi - lo) / 2;
		if (t->bars[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || addr >= t->bars[lo - 1].end)
		return IOM_PCIE_NONE;
	if (bar)
		*bar = t->bars[lo - 1].bar;
	return t->bars[lo - 1].fn;
}

bool iom_pcie_is_below(const struct iom_pcie_topo *t, uint32_t f, uint32_t b)
{
	if (f == IOM_PCIE_NONE || b == IOM_PCIE_NONE)
		return false;
	const struct iom_pcie_fn *x = &t->fns[f], *br = &t->fns[b];
	if (br->secidx == IOM_PCIE_NONE || x->segment != br->segment)
		return false;
	/* bus numbers nest: below b iff the bus is in [secondary, subordinate]
	 * -- but walk the tree so that inconsistent imported ranges still work */
	for (uint32_t p = x->parent, n = 0; p != IOM_PCIE_NONE && n < 512;
	     p = t->fns[p].parent, n++)
		if (p == b)
			return true;
	return false;
}

/* ---- printing ------------------------------------------------------------ */

static void topo_print_fn(const struct iom_pcie_topo *t, const struct iom_pcie_fn *x, FILE *f)
{
	char bdf[16], cap[32], ctl[32];
	fprintf(f, "%*s%s %s", 2 * x->depth, "", iom_pcie_bdf(x, bdf, sizeof(bdf)),
	        iom_pcie_type_names[x->type]);
	if (strcmp(x->name, bdf))
		fprintf(f, " '%s'", x->name);
	if (x->ids_known && !x->ids_from_name)
		fprintf(f, " [%04x:%04x]", x->vendor, x->device);
	else if (x->ids_known && x->device)
		fprintf(f, " [%04x:%04x by name]", x->vendor, x->device);
	if (x->bridge && x->secidx != IOM_PCIE_NONE)
		fprintf(f, " bus %02x-%02x", x->secondary, x->subordinate);
	if (x->acs)
		fprintf(f, " acs cap=%s ctl=%s",
		        iom_pcie_acs_str(x->acs_cap & IOM_ACS_ALL_BITS, cap, sizeof(cap)),
		        iom_pcie_acs_str(x->acs_ctrl, ctl, sizeof(ctl)));
	for (unsigned k = 0; k < x->nbars; k++)
		fprintf(f, " bar%u=%#" PRIx64 "+%#" PRIx64, x->bars[k].index, x->bars[k].base,
		        x->bars[k].size);
	fputc('\n', f);
	(void)t;
}

/* Depth-first from each root bus, the way `lspci -t` draws it. */
static void topo_print_bus(const struct iom_pcie_topo *t, uint32_t bi, FILE *f, unsigned depth)
{
	const struct iom_pcie_bus *b = &t->buses[bi];
	for (uint32_t j = 0; j < b->nfns; j++) {
		const struct iom_pcie_fn *x = &t->fns[b->fns[j]];
		topo_print_fn(t, x, f);
		if (x->secidx != IOM_PCIE_NONE && depth < 256)
			topo_print_bus(t, x->secidx, f, depth + 1);
	}
}

void iom_pcie_topo_print(const struct iom_pcie_topo *t, FILE *f)
{
	/* root buses in the order of t->order's first functions */
	for (uint32_t k = 0; k < t->nfns; k++) {
		const struct iom_pcie_fn *x = &t->fns[t->order[k]];
		if (x->parent == IOM_PCIE_NONE && t->buses[x->busidx].fns[0] == t->order[k])
			topo_print_bus(t, x->busidx, f, 0);
	}
}
