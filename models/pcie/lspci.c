/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lspci.c - `lspci -vvv` text to a topology (lspci.h).
 *
 * Format (pciutils 3.x, lspci.c / ls-caps.c / ls-ecaps.c): one block per
 * function, separated by blank lines.  The header line at column 0 is
 * "[DDDD:]BB:DD.F Class: Vendor Device (rev xx)"; with -nn the class gets
 * "[cccc]" and the name ends in "[vvvv:dddd]".  Lines indented once are the
 * function's properties ("Bus: primary=.., secondary=.., subordinate=..",
 * "Region N: Memory at ADDR (..) [size=S]", "Capabilities: [off vN] Name");
 * deeper lines belong to the capability above them.  lspci prints the
 * registers it read: ACSCap/ACSCtl as "SrcValid+ TransBlk- ...", the link
 * as "LnkCap: Port #n, Speed xGT/s, Width xN", "LnkSta: Speed .., Width ..",
 * "LnkCtl: ...; RCB 64 bytes", the device control's "MaxPayload N bytes,
 * MaxReadReq M bytes", "ATSCtl: Enable+, Smallest Translation Unit: 00",
 * "PASIDCap: Exec+ Priv+, Max PASID Width: 14" (hex), "PRICtl: Enable+".
 *
 * Interpretation: the PCIe type comes from the Express capability; a
 * function without it is conventional PCI (a bridge if it has a Bus line).
 * A bus that no bridge leads to is a root bus (e.g. the uncore buses 7f/ff
 * of a Xeon).  Disabled, unassigned and I/O BARs are skipped.  When an
 * ACSCtl shows SV/RR/CR/UF enabled, the dump was taken with the kernel's
 * ACS enablement done (an IOMMU on), so device-specific enables (Intel PCH
 * root ports) are taken as done too.
 *
 * Not read: SR-IOV VF BARs (inside the SR-IOV capability), the egress
 * control vector (lspci does not print it), I/O windows.
 */
#include "lspci.h"

#include "quirks.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum cap_kind { CAP_NONE, CAP_EXPRESS, CAP_ACS, CAP_ATS, CAP_PASID, CAP_PRI, CAP_OTHER };

struct lp {
	struct iom_pcie_topo *t;
	struct iom_lspci_result *res;
	struct iom_u64map seen; /* segment << 16 | rid of blocks already read */
	struct iom_pcie_fn cur;
	bool have, skip;
	int type; /* from the Express capability, -1 none */
	bool bus_line;
	enum cap_kind cap;
	char label[16];    /* the last level-2 label in the capability ("DevCtl") */
	char devtext[256]; /* "Vendor Device ..." of the header */
	uint32_t line;
	uint64_t win_lo, win_hi;
};

static void diag(struct lp *P, const char *text, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void diag(struct lp *P, const char *text, size_t len, const char *fmt, ...)
{
	struct iom_lspci_result *res = P->res;
	res->bad_lines++;
	if (res->ndiags >= IOM_LSPCI_MAX_DIAGS)
		return;
	struct iom_lspci_diag *d = &res->diags[res->ndiags++];
	d->line = P->line;
	char what[120];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	int show = (int)(len > 60 ? 60 : len);
	snprintf(d->msg, sizeof(d->msg), "%s: '%.*s%s'", what, show, text, len > 60 ? "..." : "");
}

/* ---- small scanners --------------------------------------------------------- */

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* A number with an optional K/M/G/T suffix (lspci's [size=64K]). */
static bool parse_size(const char *s, uint64_t *out)
{
	char *e;
	errno = 0;
	unsigned long long v = strtoull(s, &e, 10);
	if (e == s || errno)
		return false;
	unsigned shift = 0;
	switch (*e) {
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	case 'T':
		shift = 40;
		break;
	default:
		break;
	}
	if (shift)
		e++;
	if (*e != ']' || (shift && v >> (64 - shift)))
		return false;
	*out = (uint64_t)v << shift;
	return true;
}

static bool parse_hex64(const char *s, uint64_t *out, const char **end)
{
	char *e;
	errno = 0;
	unsigned long long v = strtoull(s, &e, 16);
	if (e == s || errno || !isxdigit((unsigned char)*s))
		return false;
	*out = v;
	if (end)
		*end = e;
	return true;
}

/* "Token+" / "Token-" flags in s: 1, 0, or -1 if absent. */
static int flag(const char *s, const char *tok)
{
	size_t n = strlen(tok);
	for (const char *p = strstr(s, tok); p; p = strstr(p + 1, tok)) {
		bool start =
		    p == s || p[-1] == ' ' || p[-1] == '\t' || p[-1] == ',' || p[-1] == ':';
		if (start && (p[n] == '+' || p[n] == '-'))
			return p[n] == '+';
	}
	return -1;
}

static const struct {
	const char *tok;
	uint16_t bit;
} acs_toks[] = {
    {"SrcValid", IOM_ACS_SV},    {"TransBlk", IOM_ACS_TB},    {"ReqRedir", IOM_ACS_RR},
    {"CmpltRedir", IOM_ACS_CR},  {"UpstreamFwd", IOM_ACS_UF}, {"EgressCtrl", IOM_ACS_EC},
    {"DirectTrans", IOM_ACS_DT},
};

static bool parse_acs_bits(const char *s, uint16_t *bits)
{
	uint16_t b = 0;
	unsigned found = 0;
	for (size_t i = 0; i < IOM_ARRAY_SIZE(acs_toks); i++) {
		int v = flag(s, acs_toks[i].tok);
		if (v < 0)
			continue;
		found++;
		if (v)
			b |= acs_toks[i].bit;
	}
	*bits = b;
	return found > 0;
}

/* "8GT/s" -> 3 */
static uint8_t speed_gen(const char *s)
{
	static const struct {
		const char *txt;
		uint8_t gen;
	} sp[] = {{"2.5GT/s", 1}, {"5GT/s", 2},  {"8GT/s", 3},
	          {"16GT/s", 4},  {"32GT/s", 5}, {"64GT/s", 6}};
	for (size_t i = 0; i < IOM_ARRAY_SIZE(sp); i++)
		if (starts(s, sp[i].txt))
			return sp[i].gen;
	return 0;
}

/* ---- capabilities ------------------------------------------------------------ */

static const struct {
	const char *prefix;
	int type;
} express_types[] = {
    {"Root Complex Integrated Endpoint", IOM_PCIE_RCIEP},
    {"Root Complex Event Collector", IOM_PCIE_RC_EC},
    {"Legacy Endpoint", IOM_PCIE_LEGACY_ENDPOINT},
    {"Endpoint", IOM_PCIE_ENDPOINT},
    {"Root Port", IOM_PCIE_ROOT_PORT},
    {"Upstream Port", IOM_PCIE_UPSTREAM},
    {"Downstream Port", IOM_PCIE_DOWNSTREAM},
    {"PCI-Express to PCI/PCI-X Bridge", IOM_PCIE_PCIE_TO_PCI},
    {"PCI/PCI-X to PCI-Express Bridge", IOM_PCIE_PCI_TO_PCIE},
};

/* Capabilities the model does not need: known, skipped without complaint. */
static const char *const caps_ignored[] = {
    "Power Management",
    "MSI",
    "MSI-X",
    "Vendor Specific Information",
    "Subsystem",
    "Advanced Error Reporting",
    "Device Serial Number",
    "Power Budgeting",
    "Virtual Channel",
    "Alternative Routing-ID Interpretation",
    "Single Root I/O Virtualization",
    "Secondary PCI Express",
    "Latency Tolerance Reporting",
    "L1 PM Substates",
    "Vital Product Data",
    "PCI Advanced Features",
    "Debug port",
    "SATA HBA",
    "Resizable BAR",
    "Physical Resizable BAR",
    "Data Link Feature",
    "Physical Layer",
    "Lane Margining",
    "Root Complex Link",
    "Multicast",
    "Transaction Processing Hints",
    "Precision Time Measurement",
    "Downstream Port Containment",
    "Readiness Time Reporting",
    "Designated Vendor-Specific",
    "Root Complex Event Collector Endpoint Association",
    "HyperTransport",
    "Slot ID",
    "CompactPCI hot-swap",
    "Bridge subsystem vendor",
    "AGP",
    "PCI-X",
    "Null",
    "Enhanced Allocation",
    "Flattening Portal Bridge",
    "Multi-Function Virtual Channel",
    "Root Complex Register Block",
    "Dynamic Power Allocation",
    "LN Requester",
    "Function Readiness Status",
    "Native PCIe Enclosure Management",
    "Integrity and Data Encryption",
    "Data Object Exchange",
    "Device 3",
    "Shadow Functions",
    "Alternate Protocol",
    "System Firmware Intermediary",
    "Link Capabilities",
};

static void cap_header(struct lp *P, const char *v, const char *raw, size_t rawlen)
{
	/* "[90] Express (v2) Root Port (Slot+), MSI 00", "[100 v1] Access Control
	 * Services", "<access denied>" */
	P->cap = CAP_OTHER;
	P->label[0] = 0;
	if (starts(v, "<access denied>")) {
		P->res->caps_denied++;
		return;
	}
	const char *rb = v[0] == '[' ? strchr(v, ']') : NULL;
	if (!rb) {
		diag(P, raw, rawlen, "expected 'Capabilities: [offset] name'");
		P->cap = CAP_NONE;
		return;
	}
	const char *name = skip_ws(rb + 1);
	if (starts(name, "Express")) {
		const char *s = skip_ws(name + 7);
		if (*s == '(') {
			const char *e = strchr(s, ')');
			s = e ? skip_ws(e + 1) : s;
		}
		P->cap = CAP_EXPRESS;
		P->res->caps_parsed++;
		for (size_t i = 0; i < IOM_ARRAY_SIZE(express_types); i++)
			if (starts(s, express_types[i].prefix)) {
				P->type = express_types[i].type;
				return;
			}
		diag(P, raw, rawlen, "unknown PCIe device/port type");
		return;
	}
	static const struct {
		const char *prefix;
		enum cap_kind kind;
	} parsed[] = {
	    {"Access Control Services", CAP_ACS},
	    {"Address Translation Service", CAP_ATS},
	    {"Process Address Space ID", CAP_PASID},
	    {"Page Request Interface", CAP_PRI},
	};
	for (size_t i = 0; i < IOM_ARRAY_SIZE(parsed); i++)
		if (starts(name, parsed[i].prefix)) {
			P->cap = parsed[i].kind;
			P->res->caps_parsed++;
			if (P->cap == CAP_ACS)
				P->cur.acs = true;
			else if (P->cap == CAP_ATS)
				P->cur.ats = true;
			else if (P->cap == CAP_PASID)
				P->cur.pasid = true;
			else
				P->cur.pri = true;
			return;
		}
	for (size_t i = 0; i < IOM_ARRAY_SIZE(caps_ignored); i++)
		if (starts(name, caps_ignored[i])) {
			P->res->caps_ignored++;
			return;
		}
	P->res->caps_unknown++; /* "#19", "Extended Capability ID 0x2a", ... */
}

/* A line inside a capability body (indented twice or more). */
static void cap_line(struct lp *P, const char *s, const char *raw, size_t rawlen, bool labelled)
{
	struct iom_pcie_fn *f = &P->cur;
	const char *v = s;
	if (labelled) {
		size_t n = strcspn(s, ":");
		snprintf(P->label, sizeof(P->label), "%.*s", (int)(n < 15 ? n : 15), s);
		v = skip_ws(s + n + 1);
	}
	const char *l = P->label;
	switch (P->cap) {
	case CAP_EXPRESS:
		if (!strcmp(l, "DevCtl")) {
			const char *m = strstr(v, "MaxPayload ");
			if (m)
				f->link.mps = (uint16_t)strtoul(m + 11, NULL, 10);
			m = strstr(v, "MaxReadReq ");
			if (m)
				f->link.mrrs = (uint16_t)strtoul(m + 11, NULL, 10);
		} else if (!strcmp(l, "LnkCap") && labelled) {
			const char *m = strstr(v, "Port #");
			if (!m) {
				diag(P, raw, rawlen, "expected 'LnkCap: Port #n, Speed ..'");
				return;
			}
			f->port_number = (uint8_t)strtoul(m + 6, NULL, 10);
		} else if (!strcmp(l, "LnkCtl")) {
			const char *m = strstr(v, "RCB ");
			if (m)
				f->link.rcb = (uint16_t)strtoul(m + 4, NULL, 10);
		} else if (!strcmp(l, "LnkSta") && labelled) {
			const char *sp = strstr(v, "Speed "), *w = strstr(v, "Width x");
			if (!sp || !w) {
				diag(P, raw, rawlen, "expected 'LnkSta: Speed xGT/s, Width xN'");
				return;
			}
			f->link.gen = speed_gen(sp + 6);
			f->link.width = (uint8_t)strtoul(w + 7, NULL, 10);
		}
		break;
	case CAP_ACS:
		if (!labelled)
			break;
		if (!strcmp(l, "ACSCap") || !strcmp(l, "ACSCtl")) {
			uint16_t bits;
			if (!parse_acs_bits(v, &bits)) {
				diag(P, raw, rawlen,
				     "expected ACS flags 'SrcValid+ TransBlk- ...'");
				return;
			}
			if (l[3] == 'C' && l[4] == 'a')
				f->acs_cap = bits;
			else
				f->acs_ctrl = bits;
		}
		break;
	case CAP_ATS:
		if (!strcmp(l, "ATSCap") && labelled) {
			const char *m = strstr(v, "Invalidate Queue Depth:");
			if (m)
				f->ats_inv_qdepth = (uint8_t)strtoul(m + 23, NULL, 16);
		} else if (!strcmp(l, "ATSCtl") && labelled) {
			int e = flag(v, "Enable");
			const char *m = strstr(v, "Smallest Translation Unit:");
			if (e < 0) {
				diag(P, raw, rawlen, "expected 'ATSCtl: Enable+/-, ...'");
				return;
			}
			f->ats_enabled = e;
			if (m)
				f->ats_stu = (uint8_t)strtoul(m + 26, NULL, 16);
		}
		break;
	case CAP_PASID:
		if (!strcmp(l, "PASIDCap") && labelled) {
			const char *m = strstr(v, "Max PASID Width:");
			if (!m) {
				diag(P, raw, rawlen,
				     "expected 'PASIDCap: Exec+ Priv+, Max PASID Width: hh'");
				return;
			}
			f->pasid_width = (uint8_t)strtoul(m + 16, NULL, 16);
			f->pasid_exec = flag(v, "Exec") == 1;
			f->pasid_priv = flag(v, "Priv") == 1;
		} else if (!strcmp(l, "PASIDCtl") && labelled) {
			f->pasid_enabled = flag(v, "Enable") == 1;
		}
		break;
	case CAP_PRI:
		if (!strcmp(l, "PRICtl") && labelled) {
			f->pri_enabled = flag(v, "Enable") == 1;
		} else if (starts(s, "Page Request Capacity:")) {
			f->pri_capacity = (uint32_t)strtoul(skip_ws(s + 22), NULL, 16);
		}
		break;
	default:
		break;
	}
}

/* ---- function properties ----------------------------------------------------- */

static void prop_bus(struct lp *P, const char *v, const char *raw, size_t rawlen)
{
	unsigned pri, sec, sub;
	if (sscanf(v, "primary=%x, secondary=%x, subordinate=%x", &pri, &sec, &sub) != 3 ||
	    pri > 255 || sec > 255 || sub > 255) {
		diag(P, raw, rawlen, "expected 'Bus: primary=hh, secondary=hh, subordinate=hh'");
		return;
	}
	P->bus_line = true;
	P->cur.secondary = (uint8_t)sec;
	P->cur.subordinate = (uint8_t)sub;
}

/* A memory BAR: `at` points after "Memory at " / "Expansion ROM at ". */
static void prop_region(struct lp *P, const char *v, const char *at, unsigned idx, const char *raw,
                        size_t rawlen)
{
	/* "Memory at 91a30000 (64-bit, prefetchable) [size=64K]", "I/O ports at
	 * 2000 [size=256]", "Memory at <ignored> (..) [disabled]" */
	if (starts(v, "I/O ports") || strstr(v, "<ignored>") || strstr(v, "<unassigned>") ||
	    strstr(v, "[disabled]"))
		return;
	uint64_t base, size;
	const char *sz = strstr(v, "[size=");
	if (!at || !parse_hex64(at, &base, NULL) ||
	    (sz && (!parse_size(sz + 6, &size) || (size & (size - 1)) || !size))) {
		diag(P, raw, rawlen, "expected 'Memory at ADDR (...) [size=N]'");
		return;
	}
	if (!sz)
		return; /* no size printed: nothing to decode */
	struct iom_pcie_fn *f = &P->cur;
	for (unsigned k = 0; k < f->nbars; k++)
		if (f->bars[k].index == idx) {
			diag(P, raw, rawlen, "BAR %u given twice", idx);
			return;
		}
	f->bars[f->nbars++] = (struct iom_pcie_bar){
	    .base = base,
	    .size = size,
	    .index = (uint8_t)idx,
	    .prefetch = strstr(v, "non-prefetchable") == NULL && strstr(v, "prefetchable") != NULL};
}

static void prop_window(struct lp *P, const char *v, const char *raw, size_t rawlen)
{
	uint64_t lo, hi;
	const char *e;
	if (starts(v, "[disabled]") || starts(v, "None"))
		return;
	if (!parse_hex64(v, &lo, &e) || *e != '-' || !parse_hex64(e + 1, &hi, NULL)) {
		diag(P, raw, rawlen, "expected 'LO-HI' window");
		return;
	}
	if (lo > hi || strstr(v, "[disabled]"))
		return; /* a closed window prints base > limit */
	if (P->win_lo > lo)
		P->win_lo = lo;
	if (P->win_hi < hi)
		P->win_hi = hi;
}

static bool is_label_line(const char *s)
{
	/* "Word word: ..." -- a label of letters, digits, spaces and a few marks */
	size_t n = strcspn(s, ":");
	if (!s[n] || !n || n > 48 || !isalpha((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr(" /#()_.-'", s[i]))
			return false;
	return true;
}

static void prop_line(struct lp *P, const char *s, const char *raw, size_t rawlen)
{
	P->cap = starts(s, "Capabilities:") ? P->cap : CAP_NONE;
	if (starts(s, "Capabilities:")) {
		cap_header(P, skip_ws(s + 13), raw, rawlen);
		return;
	}
	if (starts(s, "Bus:")) {
		prop_bus(P, skip_ws(s + 4), raw, rawlen);
		return;
	}
	if (starts(s, "Region ")) {
		char *e;
		unsigned long idx = strtoul(s + 7, &e, 10);
		if (e == s + 7 || *e != ':' || idx > 5) {
			diag(P, raw, rawlen, "expected 'Region N: ...' with N 0-5");
			return;
		}
		const char *v = skip_ws(e + 1);
		prop_region(P, v, starts(v, "Memory at ") ? v + 10 : NULL, (unsigned)idx, raw,
		            rawlen);
		return;
	}
	if (starts(s, "Expansion ROM at ")) {
		prop_region(P, s + 17, s + 17, 6, raw, rawlen);
		return;
	}
	if (starts(s, "Memory behind bridge:") || starts(s, "Prefetchable memory behind bridge:")) {
		prop_window(P, skip_ws(strchr(s, ':') + 1), raw, rawlen);
		return;
	}
	if (!is_label_line(s))
		diag(P, raw, rawlen, "not an lspci property line");
}

/* ---- device blocks ---------------------------------------------------------- */

static int flush(struct lp *P, struct iom_err *err)
{
	if (!P->have)
		return 0;
	P->have = false;
	struct iom_pcie_fn *f = &P->cur;
	if (P->type >= 0)
		f->type = (uint8_t)P->type;
	else
		f->type = P->bus_line ? IOM_PCIE_PCI_BRIDGE : IOM_PCIE_PCI_DEVICE;
	f->bridge = P->bus_line;
	if (!f->bridge)
		f->secondary = f->subordinate = 0;
	if (P->win_lo < P->win_hi) {
		f->win_base = P->win_lo;
		f->win_limit = P->win_hi;
	}
	if (!f->ids_known) {
		uint16_t v, d;
		if (iom_pcie_quirk_ids_from_name(P->devtext, &v, &d)) {
			f->vendor = v;
			f->device = d;
			f->ids_known = true;
			f->ids_from_name = true;
			P->res->ids_from_name++;
		}
	}
	if ((f->acs_ctrl & IOM_ACS_BOOT_FLAGS))
		P->res->acs_enabled_seen = true;
	if (iom_pcie_add_fn(P->t, f, err) == IOM_PCIE_NONE)
		return -err->code;
	P->res->functions++;
	return 0;
}

/* The header line: "[DDDD:]BB:DD.F class: description". */
static int header(struct lp *P, const char *s, size_t len, struct iom_err *err)
{
	int r = flush(P, err);
	if (r)
		return r;
	uint16_t seg;
	uint8_t bus, devfn;
	const char *e;
	P->skip = true;
	if (!iom_pcie_parse_bdf(s, &seg, &bus, &devfn, &e) || (*e != ' ' && *e)) {
		diag(P, s, len, "expected a function header '[DDDD:]BB:DD.F class: name'");
		return 0;
	}
	uint64_t key = (uint64_t)seg << 16 | (uint64_t)bus << 8 | devfn, v;
	if (iom_u64map_get(&P->seen, key, &v)) {
		diag(P, s, len, "function listed twice (first at line %" PRIu64 "), skipped", v);
		return 0;
	}
	if (iom_u64map_put(&P->seen, key, P->line))
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	P->skip = false;
	P->have = true;
	P->type = -1;
	P->bus_line = false;
	P->cap = CAP_NONE;
	P->win_lo = UINT64_MAX;
	P->win_hi = 0;
	memset(&P->cur, 0, sizeof(P->cur));
	struct iom_pcie_fn *f = &P->cur;
	f->segment = seg;
	f->bus = bus;
	f->devfn = devfn;
	f->bus_given = true;
	f->src_line = P->line;
	/* description after "class: " (the class may hold "[cccc]") */
	const char *d = strstr(e, ": ");
	d = d ? d + 2 : skip_ws(e);
	size_t dl = strcspn(d, "\n");
	snprintf(P->devtext, sizeof(P->devtext), "%.*s", (int)(dl < 255 ? dl : 255), d);
	/* -nn: the last "[vvvv:dddd]" of the description */
	const char *ids = NULL;
	for (const char *p = strchr(P->devtext, '['); p; p = strchr(p + 1, '['))
		if (isxdigit((unsigned char)p[1]) && p[5] == ':' && p[10] == ']')
			ids = p;
	unsigned vv, dd;
	if (ids && sscanf(ids, "[%4x:%4x]", &vv, &dd) == 2) {
		f->vendor = (uint16_t)vv;
		f->device = (uint16_t)dd;
		f->ids_known = true;
		P->res->ids_numeric++;
	}
	return 0;
}

int iom_lspci_parse(const char *text, size_t len, const char *name, struct iom_pcie_topo **out,
                    struct iom_lspci_result *res, struct iom_err *err)
{
	*out = NULL;
	memset(res, 0, sizeof(*res));
	struct lp P = {.res = res};
	P.t = iom_pcie_topo_create();
	if (!P.t)
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	P.t->src_kind = IOM_PCIE_SRC_LSPCI;
	snprintf(P.t->src_name, sizeof(P.t->src_name), "%s", name ? name : "lspci");
	iom_u64map_init(&P.seen);
	char *buf = NULL;
	size_t cap = 0;
	int r = 0;
	for (size_t pos = 0; pos < len && !r;) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		const char *raw = text + pos;
		pos += n + (nl != NULL);
		P.line++;
		while (n && (raw[n - 1] == '\r' || raw[n - 1] == ' ' || raw[n - 1] == '\t'))
			n--;
		if (n + 1 > cap) {
			char *nb = realloc(buf, n + 1);
			if (!nb) {
				r = iom_err_set(err, IOM_ENOMEM, "out of memory");
				break;
			}
			buf = nb;
			cap = n + 1;
		}
		memcpy(buf, raw, n);
		buf[n] = 0;
		if (memchr(buf, 0, n)) {
			diag(&P, "(binary data)", 13, "NUL byte in the line");
			continue;
		}
		if (!n)
			continue;
		if (buf[0] != ' ' && buf[0] != '\t') {
			r = header(&P, buf, n, err);
			continue;
		}
		if (P.skip)
			continue; /* the rest of a block whose header was bad */
		if (!P.have) {
			diag(&P, buf, n, "indented line outside a function block");
			continue;
		}
		/* indentation: tabs count 8, spaces 1 */
		unsigned col = 0;
		const char *s = buf;
		for (; *s == ' ' || *s == '\t'; s++)
			col = *s == '\t' ? (col / 8 + 1) * 8 : col + 1;
		if (col <= 8)
			prop_line(&P, s, buf, n);
		else if (P.cap != CAP_NONE)
			cap_line(&P, s, buf, n, is_label_line(s));
		/* deeper lines under a non-capability property (BridgeCtl, ...): ignored */
	}
	free(buf);
	if (!r)
		r = flush(&P, err);
	res->lines = P.line;
	iom_u64map_fini(&P.seen);
	if (!r && !res->functions)
		r = iom_err_set(err, IOM_EFORMAT,
		                "%s: no PCI function found (expected lspci -vvv output)",
		                P.t->src_name);
	if (!r)
		r = iom_pcie_topo_finalize(P.t, 0, err);
	if (!r && res->acs_enabled_seen) {
		for (uint32_t i = 0; i < P.t->nfns; i++)
			iom_pcie_quirk_enable_acs(P.t, i);
		P.t->os_acs_enabled = true;
	}
	if (r) {
		iom_pcie_topo_destroy(P.t);
		return r;
	}
	*out = P.t;
	return 0;
}

int iom_lspci_load(const char *path, struct iom_pcie_topo **out, struct iom_lspci_result *res,
                   struct iom_err *err)
{
	bool in = !strcmp(path, "-");
	FILE *f = in ? stdin : fopen(path, "rb");
	memset(res, 0, sizeof(*res));
	*out = NULL;
	if (!f)
		return iom_err_set(err, IOM_EIO, "cannot open '%s': %s", path, strerror(errno));
	size_t cap = 1 << 16, n = 0, got;
	char *text = malloc(cap);
	int r = 0;
	while (text && (got = fread(text + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			char *nt = cap < (1u << 30) ? realloc(text, cap * 2) : NULL;
			if (!nt) {
				r = iom_err_set(err, IOM_ENOMEM, "%s: too large", path);
				break;
			}
			text = nt;
			cap *= 2;
		}
	}
	if (!text)
		r = iom_err_set(err, IOM_ENOMEM, "out of memory");
	else if (!r && ferror(f))
		r = iom_err_set(err, IOM_EIO, "cannot read '%s': %s", path, strerror(errno));
	if (!in)
		fclose(f);
	if (!r)
		r = iom_lspci_parse(text, n, in ? "<stdin>" : path, out, res, err);
	free(text);
	return r;
}
