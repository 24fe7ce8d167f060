/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.c - the YAML configuration loader of sim/config.h: document tree,
 * --set overrides, binding of property tables, the unused-key check.
 *
 * What it does: libyaml's document API (yaml_parser_load) parses the file;
 * the document is copied into a small tree of our own (cfg_node) that keeps
 * the 1-based line:column of every key and value, whether a bind consumed a
 * key, and which names were asked for at each mapping (for the "known keys"
 * hint).  Binding a table walks a path ("smmu.tlb", "devices[2].atc"),
 * validates each given key against its property and records the resolved
 * values (defaults included) as JSON; config_emit.c turns that record and
 * the tables into JSON / YAML / markdown.
 *
 * Source: YAML 1.1 as implemented by libyaml 0.2; value syntax from
 * config.h (decimal, 0x, 0b, K/M/G/T = 2^10..2^40, '_' between digits).
 *
 * What it does not do:
 *  - Only the first YAML document is used; a second one is an error.
 *  - Aliases (*a) are supported the way libyaml's composer resolves them: the
 *    aliased node is copied, so its positions are those of the anchor.
 *    Recursive aliases and "billion laughs" expansions are stopped by a depth
 *    (64) and a node-count (1e6) limit.  Merge keys ("<<") are not
 *    implemented: they show up as an unknown key.
 *  - Tags are ignored; a value's text is interpreted by the property type.
 *  - --set values are one scalar; surrounding quotes are stripped, no
 *    escape sequences are processed.
 * Error codes: syntax/type errors -IOM_EFORMAT, range/overflow/too long
 * -IOM_ERANGE, bad enum choice and unknown keys -IOM_EINVAL, file errors
 * -IOM_EIO, bad path arguments -IOM_EINVAL.  On a bind error `out` holds the
 * defaults plus the keys parsed before the bad one.
 * Timing: none (runs before the simulation).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#define CFG_MAX_DEPTH 64
#define CFG_MAX_NODES 1000000u
#define CFG_MAX_COMPS 32
#define CFG_PATH_MAX 512

enum cfg_kind { CFG_SCALAR, CFG_MAP, CFG_SEQ };

/* Where a node came from: FILE:LINE:COL, or the text of a --set. */
struct cfg_pos {
	const char *src;
	unsigned line, col;
	bool cmdline;
};

struct cfg_node;

struct cfg_entry {
	char *key;
	struct cfg_pos pos;
	bool used; /* a bind consumed it (or it names an empty section) */
	struct cfg_node *val;
};

struct cfg_node {
	enum cfg_kind kind;
	struct cfg_pos pos;
	char *text;   /* scalar */
	bool plain;   /* scalar was unquoted, so "", "~", "null" mean absent */
	bool touched; /* container reached by a bind / seq_len */
	struct cfg_entry *ents; /* map */
	struct cfg_node **elems; /* seq */
	size_t n, cap;
	char **known; /* map: names asked for here (props and sub-sections) */
	size_t nknown, capknown;
};

struct iom_config {
	char *name;
	struct cfg_node *root; /* always a map */
	char **sets;           /* "--set a=b" texts that cmdline positions point to */
	size_t nsets;
	json_t *resolved;      /* path -> {key: value} in bind order */
};

/* One component of a path: a mapping key or a sequence index. */
struct cfg_comp {
	const char *name;
	size_t len;
	bool is_index;
	size_t index;
	size_t end; /* offset in the path string just after this component */
};

/* ---- errors -------------------------------------------------------------- */

static void cfg_where(const struct cfg_pos *p, char *buf, size_t sz)
{
	if (p->cmdline)
		snprintf(buf, sz, "%s", p->src);
	else
		snprintf(buf, sz, "%s:%u:%u", p->src, p->line, p->col);
}

__attribute__((format(printf, 4, 5)))
static int cfg_err(struct iom_err *err, int code, const struct cfg_pos *p, const char *fmt, ...)
{
	char where[256], msg[IOM_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cfg_where(p, where, sizeof(where));
	return iom_err_set(err, code, "%s: %s", where, msg);
}

/* ---- tree ---------------------------------------------------------------- */

static struct cfg_node *cfg_node_new(enum cfg_kind kind, const struct cfg_pos *pos)
{
	struct cfg_node *n = calloc(1, sizeof(*n));
	if (n) {
		n->kind = kind;
		n->pos = *pos;
	}
	return n;
}

static void cfg_node_free(struct cfg_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++) {
		if (n->kind == CFG_MAP) {
			free(n->ents[i].key);
			cfg_node_free(n->ents[i].val);
		} else if (n->kind == CFG_SEQ) {
			cfg_node_free(n->elems[i]);
		}
	}
	for (size_t i = 0; i < n->nknown; i++)
		free(n->known[i]);
	free(n->known);
	free(n->ents);
	free(n->elems);
	free(n->text);
	free(n);
}

/* Make room for one more child; false on out of memory. */
static bool cfg_grow(struct cfg_node *n)
{
	if (n->n < n->cap)
		return true;
	size_t cap = n->cap ? 2 * n->cap : 8;
	if (n->kind == CFG_MAP) {
		void *p = realloc(n->ents, cap * sizeof(*n->ents));
		if (!p)
			return false;
		n->ents = p;
	} else {
		void *p = realloc(n->elems, cap * sizeof(*n->elems));
		if (!p)
			return false;
		n->elems = p;
	}
	n->cap = cap;
	return true;
}

static struct cfg_entry *cfg_map_add(struct cfg_node *m, const char *key, size_t len, const struct cfg_pos *pos)
{
	char *k = strndup(key, len);
	if (!k || !cfg_grow(m)) {
		free(k);
		return NULL;
	}
	struct cfg_entry *e = &m->ents[m->n++];
	*e = (struct cfg_entry){ .key = k, .pos = *pos };
	return e;
}

static struct cfg_entry *cfg_map_find(struct cfg_node *m, const char *key, size_t len)
{
	for (size_t i = 0; i < m->n; i++)
		if (strlen(m->ents[i].key) == len && !memcmp(m->ents[i].key, key, len))
			return &m->ents[i];
	return NULL;
}

static void cfg_known_add(struct cfg_node *m, const char *name, size_t len)
{
	for (size_t i = 0; i < m->nknown; i++)
		if (strlen(m->known[i]) == len && !memcmp(m->known[i], name, len))
			return;
	if (m->nknown == m->capknown) {
		size_t cap = m->capknown ? 2 * m->capknown : 8;
		char **p = realloc(m->known, cap * sizeof(*p));
		if (!p)
			return; /* only a hint */
		m->known = p;
		m->capknown = cap;
	}
	char *s = strndup(name, len);
	if (s)
		m->known[m->nknown++] = s;
}

static bool cfg_is_null(const struct cfg_node *n)
{
	if (!n)
		return true;
	if (n->kind != CFG_SCALAR || !n->plain)
		return false;
	const char *t = n->text;
	return !*t || !strcmp(t, "~") || !strcmp(t, "null") || !strcmp(t, "Null") || !strcmp(t, "NULL");
}

static struct iom_config *cfg_new(const char *name)
{
	struct iom_config *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->name = strdup(name);
	c->resolved = json_object();
	struct cfg_pos pos = { .src = c->name ? c->name : "", .line = 1, .col = 1 };
	c->root = cfg_node_new(CFG_MAP, &pos);
	if (!c->name || !c->resolved || !c->root) {
		iom_config_destroy(c);
		return NULL;
	}
	return c;
}

struct iom_config *iom_config_create_default(void)
{
	return cfg_new("<defaults>");
}

void iom_config_destroy(struct iom_config *c)
{
	if (!c)
		return;
	cfg_node_free(c->root);
	for (size_t i = 0; i < c->nsets; i++)
		free(c->sets[i]);
	free(c->sets);
	json_decref(c->resolved);
	free(c->name);
	free(c);
}

/* ---- libyaml document -> tree -------------------------------------------- */

struct cfg_loader {
	yaml_document_t *doc;
	const char *src;
	size_t nodes;
	struct iom_err *err;
};

static struct cfg_pos cfg_mark(const struct cfg_loader *L, yaml_mark_t m)
{
	return (struct cfg_pos){ .src = L->src, .line = (unsigned)m.line + 1, .col = (unsigned)m.column + 1 };
}

static int cfg_conv(struct cfg_loader *L, yaml_node_t *yn, int depth, const char *path,
		    struct cfg_node **out);

static void cfg_join(char *buf, size_t sz, const char *path, const char *key)
{
	if (path && *path)
		snprintf(buf, sz, "%s.%s", path, key);
	else
		snprintf(buf, sz, "%s", key);
}

static int cfg_conv_map(struct cfg_loader *L, yaml_node_t *yn, int depth, const char *path,
			struct cfg_node *m)
{
	for (yaml_node_pair_t *p = yn->data.mapping.pairs.start; p < yn->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(L->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(L->doc, p->value);
		struct cfg_pos kpos = cfg_mark(L, k->start_mark);
		if (k->type != YAML_SCALAR_NODE)
			return cfg_err(L->err, IOM_EFORMAT, &kpos, "mapping keys must be scalars");
		const char *key = (const char *)k->data.scalar.value;
		size_t klen = k->data.scalar.length;
		char sub[CFG_PATH_MAX];
		cfg_join(sub, sizeof(sub), path, key);
		struct cfg_entry *dup = cfg_map_find(m, key, klen);
		if (dup)
			return cfg_err(L->err, IOM_EFORMAT, &kpos, "duplicate key '%s' (first at line %u)", sub,
				       dup->pos.line);
		struct cfg_entry *e = cfg_map_add(m, key, klen, &kpos);
		if (!e)
			return iom_err_set(L->err, IOM_ENOMEM, "%s: out of memory", L->src);
		int rc = cfg_conv(L, v, depth + 1, sub, &e->val);
		if (rc)
			return rc;
	}
	return 0;
}

static int cfg_conv_seq(struct cfg_loader *L, yaml_node_t *yn, int depth, const char *path,
			struct cfg_node *s)
{
	size_t i = 0;
	for (yaml_node_item_t *it = yn->data.sequence.items.start; it < yn->data.sequence.items.top; it++, i++) {
		char sub[CFG_PATH_MAX];
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		if (!cfg_grow(s))
			return iom_err_set(L->err, IOM_ENOMEM, "%s: out of memory", L->src);
		s->elems[s->n] = NULL;
		int rc = cfg_conv(L, yaml_document_get_node(L->doc, *it), depth + 1, sub, &s->elems[s->n]);
		s->n++;
		if (rc)
			return rc;
	}
	return 0;
}

static int cfg_conv(struct cfg_loader *L, yaml_node_t *yn, int depth, const char *path, struct cfg_node **out)
{
	struct cfg_pos pos = cfg_mark(L, yn->start_mark);
	if (depth > CFG_MAX_DEPTH)
		return cfg_err(L->err, IOM_EFORMAT, &pos, "nesting deeper than %d levels (recursive alias?)",
			       CFG_MAX_DEPTH);
	if (++L->nodes > CFG_MAX_NODES)
		return cfg_err(L->err, IOM_EFORMAT, &pos, "more than %u nodes (alias expansion?)", CFG_MAX_NODES);
	enum cfg_kind kind = yn->type == YAML_MAPPING_NODE ? CFG_MAP
			     : yn->type == YAML_SEQUENCE_NODE ? CFG_SEQ : CFG_SCALAR;
	struct cfg_node *n = cfg_node_new(kind, &pos);
	if (!n)
		return iom_err_set(L->err, IOM_ENOMEM, "%s: out of memory", L->src);
	*out = n;
	if (kind == CFG_MAP)
		return cfg_conv_map(L, yn, depth, path, n);
	if (kind == CFG_SEQ)
		return cfg_conv_seq(L, yn, depth, path, n);
	n->text = strndup((const char *)yn->data.scalar.value, yn->data.scalar.length);
	n->plain = yn->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	return n->text ? 0 : iom_err_set(L->err, IOM_ENOMEM, "%s: out of memory", L->src);
}

static int cfg_syntax_err(const yaml_parser_t *p, const char *src, struct iom_err *err)
{
	if (p->error == YAML_MEMORY_ERROR)
		return iom_err_set(err, IOM_ENOMEM, "%s: out of memory while parsing", src);
	if (p->error == YAML_READER_ERROR)
		return iom_err_set(err, IOM_EFORMAT, "%s: byte %zu: %s", src, p->problem_offset,
				   p->problem ? p->problem : "read error");
	struct cfg_pos pos = { .src = src, .line = (unsigned)p->problem_mark.line + 1,
			       .col = (unsigned)p->problem_mark.column + 1 };
	if (p->context)
		return cfg_err(err, IOM_EFORMAT, &pos, "%s (%s)", p->problem ? p->problem : "syntax error",
			       p->context);
	return cfg_err(err, IOM_EFORMAT, &pos, "%s", p->problem ? p->problem : "syntax error");
}

/* Copy the document's root into c->root (which stays an empty map if the
 * document is empty or its root is null). */
static int cfg_from_doc(struct iom_config *c, yaml_document_t *doc, struct iom_err *err)
{
	yaml_node_t *root = yaml_document_get_root_node(doc);
	if (!root)
		return 0;
	struct cfg_loader L = { .doc = doc, .src = c->name, .err = err };
	struct cfg_node *n = NULL;
	int rc = cfg_conv(&L, root, 0, "", &n);
	if (!rc && !cfg_is_null(n) && n->kind != CFG_MAP)
		rc = cfg_err(err, IOM_EFORMAT, &n->pos, "top level must be a mapping");
	if (!rc && n->kind == CFG_MAP) {
		cfg_node_free(c->root);
		c->root = n;
		return 0;
	}
	cfg_node_free(n);
	return rc;
}

/* Only one document per file: a second one is an error, not ignored. */
static int cfg_single_doc(yaml_parser_t *p, const char *src, struct iom_err *err)
{
	yaml_document_t doc;
	if (!yaml_parser_load(p, &doc))
		return cfg_syntax_err(p, src, err);
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	int rc = 0;
	if (root) {
		struct cfg_pos pos = { .src = src, .line = (unsigned)root->start_mark.line + 1,
				       .col = (unsigned)root->start_mark.column + 1 };
		rc = cfg_err(err, IOM_EFORMAT, &pos, "multiple YAML documents are not supported");
	}
	yaml_document_delete(&doc);
	return rc;
}

static struct iom_config *cfg_parse(const char *text, size_t len, const char *name, struct iom_err *err)
{
	struct iom_config *c = cfg_new(name);
	if (!c) {
		iom_err_set(err, IOM_ENOMEM, "%s: out of memory", name);
		return NULL;
	}
	yaml_parser_t p;
	yaml_document_t doc;
	int rc;
	if (!yaml_parser_initialize(&p)) {
		iom_config_destroy(c);
		iom_err_set(err, IOM_ENOMEM, "%s: out of memory", name);
		return NULL;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	if (!yaml_parser_load(&p, &doc)) {
		rc = cfg_syntax_err(&p, c->name, err);
	} else {
		rc = cfg_from_doc(c, &doc, err);
		yaml_document_delete(&doc);
		if (!rc)
			rc = cfg_single_doc(&p, c->name, err);
	}
	yaml_parser_delete(&p);
	if (rc) {
		iom_config_destroy(c);
		return NULL;
	}
	return c;
}

struct iom_config *iom_config_load_string(const char *text, const char *name, struct iom_err *err)
{
	return cfg_parse(text ? text : "", text ? strlen(text) : 0, name ? name : "<string>", err);
}

/* Read the whole file so that read errors are reported with errno (libyaml
 * would only say "input error"). */
static char *cfg_slurp(const char *path, size_t *len, struct iom_err *err)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		iom_err_set(err, IOM_EIO, "cannot open '%s': %s", path, strerror(errno));
		return NULL;
	}
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		n += fread(buf + n, 1, cap - n, f);
		if (n < cap)
			break;
		char *nb = realloc(buf, cap *= 2);
		if (!nb)
			free(buf);
		buf = nb;
	}
	int rerr = ferror(f) ? errno : 0;
	fclose(f);
	if (!buf) {
		iom_err_set(err, IOM_ENOMEM, "cannot read '%s': out of memory", path);
		return NULL;
	}
	if (rerr) {
		free(buf);
		iom_err_set(err, IOM_EIO, "cannot read '%s': %s", path, strerror(rerr));
		return NULL;
	}
	*len = n;
	return buf;
}

struct iom_config *iom_config_load_file(const char *path, struct iom_err *err)
{
	size_t len = 0;
	char *text = cfg_slurp(path, &len, err);
	if (!text)
		return NULL;
	struct iom_config *c = cfg_parse(text, len, path, err);
	free(text);
	return c;
}

/* ---- paths --------------------------------------------------------------- */

/* "a.b[2].c" -> components; false if malformed (empty name, bad index). */
static bool cfg_path_parse(const char *path, struct cfg_comp *k, size_t *n)
{
	const char *s = path;
	*n = 0;
	if (!s || !*s)
		return false;
	for (;;) {
		size_t len = strcspn(s, ".[]");
		if (!len || *n == CFG_MAX_COMPS)
			return false;
		k[(*n)++] = (struct cfg_comp){ .name = s, .len = len, .end = (size_t)(s + len - path) };
		s += len;
		while (*s == '[') {
			char *e;
			if (s[1] < '0' || s[1] > '9' || *n == CFG_MAX_COMPS)
				return false;
			errno = 0;
			unsigned long long i = strtoull(s + 1, &e, 10);
			if (*e != ']' || errno)
				return false;
			s = e + 1;
			k[(*n)++] = (struct cfg_comp){ .is_index = true, .index = (size_t)i,
						       .end = (size_t)(s - path) };
		}
		if (!*s)
			return true;
		if (*s != '.')
			return false;
		s++;
	}
}

/* Walk `path`: *out = the node, or NULL if absent or null.  With `mark`
 * (bind, seq_len) the containers on the way are touched and the names looked
 * up recorded as known keys, so check_unused can descend and give hints. */
static int cfg_resolve(struct iom_config *c, const char *path, bool mark, struct cfg_node **out,
		       struct iom_err *err)
{
	struct cfg_comp k[CFG_MAX_COMPS];
	size_t n;
	*out = NULL;
	if (!cfg_path_parse(path, k, &n))
		return iom_err_set(err, IOM_EINVAL, "%s: bad config path '%s'", c->name, path ? path : "(null)");
	struct cfg_node *cur = c->root;
	for (size_t i = 0; i < n; i++) {
		if (cfg_is_null(cur))
			return 0;
		int plen = i ? (int)k[i - 1].end : 0;
		if (!k[i].is_index) {
			if (cur->kind != CFG_MAP)
				return cfg_err(err, IOM_EFORMAT, &cur->pos, "'%.*s' must be a mapping", plen, path);
			if (mark) {
				cur->touched = true;
				cfg_known_add(cur, k[i].name, k[i].len);
			}
			struct cfg_entry *e = cfg_map_find(cur, k[i].name, k[i].len);
			if (!e)
				return 0;
			if (mark && cfg_is_null(e->val))
				e->used = true; /* "tlb:" with nothing = an empty section */
			cur = e->val;
		} else {
			if (cur->kind != CFG_SEQ)
				return cfg_err(err, IOM_EFORMAT, &cur->pos, "'%.*s' must be a sequence", plen, path);
			if (mark)
				cur->touched = true;
			if (k[i].index >= cur->n)
				return 0;
			cur = cur->elems[k[i].index];
		}
	}
	*out = cfg_is_null(cur) ? NULL : cur;
	return 0;
}

int iom_config_seq_len(struct iom_config *c, const char *path, size_t *len, struct iom_err *err)
{
	struct cfg_node *n;
	*len = 0;
	int rc = cfg_resolve(c, path, true, &n, err);
	if (rc || !n)
		return rc;
	if (n->kind != CFG_SEQ)
		return cfg_err(err, IOM_EFORMAT, &n->pos, "'%s' must be a sequence", path);
	n->touched = true;
	*len = n->n;
	return 0;
}

bool iom_config_has(struct iom_config *c, const char *path)
{
	struct cfg_node *n;
	return cfg_resolve(c, path, false, &n, NULL) == 0 && n;
}

/* ---- values -------------------------------------------------------------- */

void iom_config_prop_range(const struct iom_prop *p, uint64_t *lo, uint64_t *hi)
{
	uint64_t tmax = p->type == IOM_PROP_U32 ? UINT32_MAX : UINT64_MAX;
	*lo = p->min;
	*hi = (!p->min && !p->max) ? tmax : IOM_MIN(p->max, tmax);
}

static int cfg_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return 99;
}

static unsigned cfg_suffix_shift(char ch)
{
	switch (ch) {
	case 'K': return 10;
	case 'M': return 20;
	case 'G': return 30;
	case 'T': return 40;
	default: return 0;
	}
}

/* Integer syntax of config.h: 0 or -IOM_EFORMAT / -IOM_ERANGE (overflow,
 * or a negative number, which is well-formed but never in range). */
static int cfg_parse_u64(const char *s, uint64_t *out)
{
	if (s[0] == '-' && s[1] >= '0' && s[1] <= '9')
		return -IOM_ERANGE;
	unsigned base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, s += 2;
	else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B'))
		base = 2, s += 2;
	uint64_t v = 0;
	unsigned ndig = 0;
	bool prev_us = false, over = false;
	for (; *s; s++) {
		if (*s == '_') {
			if (!ndig || prev_us)
				return -IOM_EFORMAT;
			prev_us = true;
			continue;
		}
		unsigned d = (unsigned)cfg_digit(*s);
		if (d >= base)
			break;
		prev_us = false;
		ndig++;
		if (v > (UINT64_MAX - d) / base)
			over = true;
		else
			v = v * base + d;
	}
	if (!ndig || prev_us)
		return -IOM_EFORMAT;
	unsigned shift = cfg_suffix_shift(*s);
	if (shift)
		s++;
	if (*s)
		return -IOM_EFORMAT;
	if (over || (shift && v > (UINT64_MAX >> shift)))
		return -IOM_ERANGE;
	*out = v << shift;
	return 0;
}

static int cfg_set_int(const char *key, const struct cfg_node *v, const struct iom_prop *p, void *dst,
		       struct iom_err *err)
{
	uint64_t lo, hi, x = 0;
	iom_config_prop_range(p, &lo, &hi);
	int rc = cfg_parse_u64(v->text, &x);
	if (rc == -IOM_EFORMAT)
		return cfg_err(err, IOM_EFORMAT, &v->pos, "key '%s': expected an integer in [%" PRIu64 ", %" PRIu64 "], got '%s'",
			       key, lo, hi, v->text);
	if (rc || x < lo || x > hi)
		return cfg_err(err, IOM_ERANGE, &v->pos, "key '%s': %s out of range [%" PRIu64 ", %" PRIu64 "]", key,
			       v->text, lo, hi);
	if (p->type == IOM_PROP_U32) {
		uint32_t x32 = (uint32_t)x;
		memcpy(dst, &x32, sizeof(x32));
	} else {
		memcpy(dst, &x, sizeof(x));
	}
	return 0;
}

static int cfg_set_bool(const char *key, const struct cfg_node *v, void *dst, struct iom_err *err)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	for (size_t i = 0; i < IOM_ARRAY_SIZE(yes); i++) {
		bool b = !strcasecmp(v->text, yes[i]);
		if (b || !strcasecmp(v->text, no[i])) {
			memcpy(dst, &b, sizeof(b));
			return 0;
		}
	}
	return cfg_err(err, IOM_EFORMAT, &v->pos, "key '%s': expected a boolean (true/false/yes/no/on/off/1/0), got '%s'",
		       key, v->text);
}

static int cfg_set_double(const char *key, const struct cfg_node *v, const struct iom_prop *p, void *dst,
			  struct iom_err *err)
{
	char *end;
	double d = strtod(v->text, &end);
	bool ranged = p->dmin != 0.0 || p->dmax != 0.0;
	if (end == v->text || *end)
		return cfg_err(err, IOM_EFORMAT, &v->pos, "key '%s': expected a number, got '%s'", key, v->text);
	if (!isfinite(d) || (ranged && (d < p->dmin || d > p->dmax)))
		return cfg_err(err, IOM_ERANGE, &v->pos, "key '%s': %s out of range [%g, %g]", key, v->text,
			       ranged ? p->dmin : -HUGE_VAL, ranged ? p->dmax : HUGE_VAL);
	memcpy(dst, &d, sizeof(d));
	return 0;
}

static int cfg_set_enum(const char *key, const struct cfg_node *v, const struct iom_prop *p, void *dst,
			struct iom_err *err)
{
	char list[256] = "";
	size_t used = 0;
	for (uint32_t i = 0; p->choices && p->choices[i]; i++) {
		if (!strcmp(v->text, p->choices[i])) {
			memcpy(dst, &i, sizeof(i));
			return 0;
		}
		int w = snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", p->choices[i]);
		if (w > 0)
			used = IOM_MIN(used + (size_t)w, sizeof(list) - 1);
	}
	return cfg_err(err, IOM_EINVAL, &v->pos, "key '%s': '%s' is not one of: %s", key, v->text, list);
}

static int cfg_set_string(const char *key, const struct cfg_node *v, void *dst, struct iom_err *err)
{
	size_t len = strlen(v->text);
	if (len >= IOM_PROP_STR_MAX)
		return cfg_err(err, IOM_ERANGE, &v->pos, "key '%s': string of %zu characters, at most %d allowed",
			       key, len, IOM_PROP_STR_MAX - 1);
	memset(dst, 0, IOM_PROP_STR_MAX);
	memcpy(dst, v->text, len);
	return 0;
}

static const char *cfg_type_want(enum iom_prop_type t)
{
	switch (t) {
	case IOM_PROP_U64:
	case IOM_PROP_U32: return "an integer";
	case IOM_PROP_BOOL: return "a boolean";
	case IOM_PROP_DOUBLE: return "a number";
	case IOM_PROP_ENUM: return "one of the choices";
	case IOM_PROP_STRING: return "a string";
	}
	return "a scalar";
}

static int cfg_set_prop(const char *path, const struct cfg_entry *e, const struct iom_prop *p, void *out,
			struct iom_err *err)
{
	char key[CFG_PATH_MAX];
	cfg_join(key, sizeof(key), path, p->name);
	const struct cfg_node *v = e->val;
	void *dst = (char *)out + p->offset;
	if (v->kind != CFG_SCALAR)
		return cfg_err(err, IOM_EFORMAT, &v->pos, "key '%s': expected %s, got a %s", key, cfg_type_want(p->type),
			       v->kind == CFG_MAP ? "mapping" : "sequence");
	switch (p->type) {
	case IOM_PROP_U64:
	case IOM_PROP_U32: return cfg_set_int(key, v, p, dst, err);
	case IOM_PROP_BOOL: return cfg_set_bool(key, v, dst, err);
	case IOM_PROP_DOUBLE: return cfg_set_double(key, v, p, dst, err);
	case IOM_PROP_ENUM: return cfg_set_enum(key, v, p, dst, err);
	case IOM_PROP_STRING: return cfg_set_string(key, v, dst, err);
	}
	return iom_err_set(err, IOM_EINVAL, "key '%s': bad property type %d", key, (int)p->type);
}

/* ---- bind ---------------------------------------------------------------- */

static const struct iom_prop *cfg_find_prop(const struct iom_prop_table *t, const char *name)
{
	for (size_t i = 0; i < t->nprops; i++)
		if (!strcmp(t->props[i].name, name))
			return &t->props[i];
	return NULL;
}

static int cfg_bind_map(struct cfg_node *m, const struct iom_prop_table *t, const char *path, void *out,
			struct iom_err *err)
{
	m->touched = true;
	for (size_t i = 0; i < t->nprops; i++)
		cfg_known_add(m, t->props[i].name, strlen(t->props[i].name));
	for (size_t i = 0; i < m->n; i++) {
		const struct iom_prop *p = cfg_find_prop(t, m->ents[i].key);
		if (!p)
			continue; /* left for iom_config_check_unused() */
		int rc = cfg_set_prop(path, &m->ents[i], p, out, err);
		if (rc)
			return rc;
		m->ents[i].used = true;
	}
	return 0;
}

int iom_config_bind(struct iom_config *c, const struct iom_prop_table *t, const char *path, void *out,
		    struct iom_err *err)
{
	struct cfg_node *n;
	if (!path)
		path = t->section;
	if (t->defaults)
		memcpy(out, t->defaults, t->struct_size);
	else
		memset(out, 0, t->struct_size);
	int rc = cfg_resolve(c, path, true, &n, err);
	if (rc)
		return rc;
	if (n && n->kind != CFG_MAP)
		return cfg_err(err, IOM_EFORMAT, &n->pos, "'%s' must be a mapping", path);
	if (n && (rc = cfg_bind_map(n, t, path, out, err)))
		return rc;
	json_t *vals = iom_config_table_json(t, out);
	if (!vals || json_object_set_new(c->resolved, path, vals))
		return iom_err_set(err, IOM_ENOMEM, "%s: out of memory recording '%s'", c->name, path);
	return 0;
}

void *iom_config_resolved_json(const struct iom_config *c)
{
	return json_deep_copy(c->resolved);
}

/* ---- unused keys --------------------------------------------------------- */

static void cfg_known_list(const struct cfg_node *m, char *buf, size_t sz)
{
	size_t used = 0;
	buf[0] = 0;
	for (size_t i = 0; i < m->nknown && used + 1 < sz; i++) {
		int w = snprintf(buf + used, sz - used, "%s%s", i ? ", " : " (known keys: ", m->known[i]);
		if (w > 0)
			used = IOM_MIN(used + (size_t)w, sz - 1);
	}
	if (m->nknown && used + 2 < sz)
		strcat(buf, ")");
}

static int cfg_unused_node(const struct cfg_node *n, const char *path, struct iom_err *err);

static int cfg_unused_map(const struct cfg_node *m, const char *path, struct iom_err *err)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct cfg_entry *e = &m->ents[i];
		char sub[CFG_PATH_MAX], known[300];
		cfg_join(sub, sizeof(sub), path, e->key);
		if (e->used)
			continue;
		if (e->val->kind != CFG_SCALAR && e->val->touched) {
			int rc = cfg_unused_node(e->val, sub, err);
			if (rc)
				return rc;
			continue;
		}
		cfg_known_list(m, known, sizeof(known));
		return cfg_err(err, IOM_EINVAL, &e->pos, "unknown key '%s'%s", sub, known);
	}
	return 0;
}

static int cfg_unused_seq(const struct cfg_node *s, const char *path, struct iom_err *err)
{
	for (size_t i = 0; i < s->n; i++) {
		char sub[CFG_PATH_MAX];
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		if (s->elems[i]->kind == CFG_SCALAR || !s->elems[i]->touched)
			return cfg_err(err, IOM_EINVAL, &s->elems[i]->pos, "unused sequence element '%s'", sub);
		int rc = cfg_unused_node(s->elems[i], sub, err);
		if (rc)
			return rc;
	}
	return 0;
}

static int cfg_unused_node(const struct cfg_node *n, const char *path, struct iom_err *err)
{
	return n->kind == CFG_MAP ? cfg_unused_map(n, path, err) : cfg_unused_seq(n, path, err);
}

int iom_config_check_unused(struct iom_config *c, struct iom_err *err)
{
	return cfg_unused_map(c->root, "", err);
}

/* ---- --set --------------------------------------------------------------- */

/* The slot holding component k inside container cur, created (NULL) if
 * absent; NULL if the index is beyond one-past-the-end. */
static struct cfg_node **cfg_slot(struct cfg_node *cur, const struct cfg_comp *k, const struct cfg_pos *pos)
{
	if (!k->is_index) {
		struct cfg_entry *e = cfg_map_find(cur, k->name, k->len);
		if (!e)
			e = cfg_map_add(cur, k->name, k->len, pos);
		if (!e)
			return NULL;
		e->used = false; /* a new value: not consumed yet */
		e->pos = *pos;
		return &e->val;
	}
	if (k->index < cur->n)
		return &cur->elems[k->index];
	if (k->index > cur->n || !cfg_grow(cur))
		return NULL;
	cur->elems[cur->n] = NULL;
	return &cur->elems[cur->n++];
}

static int cfg_set_path(struct iom_config *c, const char *path, const struct cfg_comp *k, size_t n,
			struct cfg_node *val, struct iom_err *err)
{
	struct cfg_node *cur = c->root;
	for (size_t i = 0; i < n; i++) {
		struct cfg_node **slot = cfg_slot(cur, &k[i], &val->pos);
		if (!slot && k[i].is_index && k[i].index > cur->n)
			return cfg_err(err, IOM_ERANGE, &val->pos,
				       "'%.*s': index out of range (the sequence has %zu elements)", (int)k[i].end, path,
				       cur->n);
		if (!slot)
			return iom_err_set(err, IOM_ENOMEM, "%s: out of memory", val->pos.src);
		if (i + 1 == n) {
			cfg_node_free(*slot);
			*slot = val;
			return 0;
		}
		enum cfg_kind want = k[i + 1].is_index ? CFG_SEQ : CFG_MAP;
		if (cfg_is_null(*slot)) {
			cfg_node_free(*slot);
			*slot = cfg_node_new(want, &val->pos);
			if (!*slot)
				return iom_err_set(err, IOM_ENOMEM, "%s: out of memory", val->pos.src);
		} else if ((*slot)->kind != want) {
			return cfg_err(err, IOM_EFORMAT, &val->pos, "'%.*s' is not a %s", (int)k[i].end, path,
				       want == CFG_SEQ ? "sequence" : "mapping");
		}
		cur = *slot;
	}
	return 0;
}

static char *cfg_trim(const char *s, size_t len)
{
	while (len && (*s == ' ' || *s == '\t'))
		s++, len--;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	return strndup(s, len);
}

/* Keep the "--set ..." text alive for the positions that point to it. */
static const char *cfg_keep_set(struct iom_config *c, const char *assignment)
{
	char **p = realloc(c->sets, (c->nsets + 1) * sizeof(*p));
	if (!p)
		return NULL;
	c->sets = p;
	size_t len = strlen(assignment) + sizeof("--set ");
	char *s = malloc(len);
	if (!s)
		return NULL;
	snprintf(s, len, "--set %s", assignment);
	c->sets[c->nsets++] = s;
	return s;
}

static struct cfg_node *cfg_set_scalar(char *value, const struct cfg_pos *pos)
{
	struct cfg_node *v = cfg_node_new(CFG_SCALAR, pos);
	if (!v)
		return NULL;
	size_t len = strlen(value);
	v->plain = true;
	if (len >= 2 && (value[0] == '"' || value[0] == '\'') && value[len - 1] == value[0]) {
		memmove(value, value + 1, len - 2);
		value[len - 2] = 0;
		v->plain = false;
	}
	v->text = value;
	return v;
}

int iom_config_set(struct iom_config *c, const char *assignment, struct iom_err *err)
{
	const char *eq = strchr(assignment, '=');
	if (!eq)
		return iom_err_set(err, IOM_EINVAL, "--set %s: expected KEY=VALUE", assignment);
	char *path = cfg_trim(assignment, (size_t)(eq - assignment));
	char *value = cfg_trim(eq + 1, strlen(eq + 1));
	struct cfg_comp k[CFG_MAX_COMPS];
	size_t n;
	int rc = 0;
	if (!path || !value)
		rc = iom_err_set(err, IOM_ENOMEM, "--set %s: out of memory", assignment);
	else if (!cfg_path_parse(path, k, &n))
		rc = iom_err_set(err, IOM_EINVAL, "--set %s: bad key path '%s'", assignment, path);
	else if (!*value)
		rc = iom_err_set(err, IOM_EINVAL, "--set %s: missing value (use \"\" for an empty string)", assignment);
	if (rc) {
		free(path);
		free(value);
		return rc;
	}
	struct cfg_pos pos = { .src = cfg_keep_set(c, assignment), .cmdline = true };
	struct cfg_node *v = pos.src ? cfg_set_scalar(value, &pos) : NULL;
	if (!v) {
		free(path);
		free(value);
		return iom_err_set(err, IOM_ENOMEM, "--set %s: out of memory", assignment);
	}
	rc = cfg_set_path(c, path, k, n, v, err);
	if (rc)
		cfg_node_free(v);
	free(path);
	return rc;
}
