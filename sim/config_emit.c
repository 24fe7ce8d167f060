/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config_emit.c - writers of sim/config.h: a table's values as JSON, the
 * resolved configuration as YAML, the commented defaults file and the
 * markdown configuration reference.
 *
 * Sections are flat paths ("memory", "smmu.tlb", "devices[2].atc"); the YAML
 * writers first merge them into one JSON tree (dots -> nested mappings,
 * [i] -> sequences, missing elements -> empty mappings so that they bind to
 * the defaults) and then print that tree as block YAML that config.c loads
 * back to the same values: strings double-quoted, doubles with enough digits
 * to round-trip, U64 above INT64_MAX as a quoted "0x..." string.
 *
 * Not done: flow style, line folding of long docs; a table whose section is
 * a sequence ("devices" bound per element as "devices[i]") is written as a
 * mapping in the defaults file -- give such tables the section "devices[0]".
 * Timing: none.
 */
#include "config.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define EMIT_PATH_MAX 512

/* ---- values as JSON ------------------------------------------------------ */

static json_t *emit_prop_json(const struct iom_prop *p, const void *values)
{
	const char *src = (const char *)values + p->offset;
	uint64_t u64;
	uint32_t u32;
	double d;
	bool b;
	switch (p->type) {
	case IOM_PROP_U64:
		memcpy(&u64, src, sizeof(u64));
		if (u64 <= INT64_MAX)
			return json_integer((json_int_t)u64);
		char hex[32];
		snprintf(hex, sizeof(hex), "0x%" PRIx64, u64);
		return json_string(hex);
	case IOM_PROP_U32:
		memcpy(&u32, src, sizeof(u32));
		return json_integer(u32);
	case IOM_PROP_BOOL:
		memcpy(&b, src, sizeof(b));
		return json_boolean(b);
	case IOM_PROP_DOUBLE:
		memcpy(&d, src, sizeof(d));
		return json_real(d);
	case IOM_PROP_ENUM:
		memcpy(&u32, src, sizeof(u32));
		for (uint32_t i = 0; p->choices && p->choices[i]; i++)
			if (i == u32)
				return json_string(p->choices[i]);
		return json_null(); /* a default outside the choices */
	case IOM_PROP_STRING: {
		json_t *s = json_stringn(src, strnlen(src, IOM_PROP_STR_MAX));
		return s ? s : json_null(); /* not UTF-8 */
	}
	}
	return json_null();
}

void *iom_config_table_json(const struct iom_prop_table *t, const void *values)
{
	json_t *o = json_object();
	for (size_t i = 0; o && i < t->nprops; i++) {
		if (json_object_set_new(o, t->props[i].name, emit_prop_json(&t->props[i], values))) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

/* ---- flat sections -> one tree ------------------------------------------ */

/* The child for one path component, created as an object (or an array if
 * the next component is an index); NULL if the tree already holds something
 * else there (conflicting sections). */
static json_t *emit_child(json_t *cur, const char *name, size_t len, bool is_index, size_t index,
			  bool next_is_index)
{
	json_t *child;
	if (!is_index) {
		if (!json_is_object(cur))
			return NULL;
		char key[EMIT_PATH_MAX];
		snprintf(key, sizeof(key), "%.*s", (int)len, name);
		child = json_object_get(cur, key);
		if (!child) {
			child = next_is_index ? json_array() : json_object();
			json_object_set_new(cur, key, child);
		}
	} else {
		if (!json_is_array(cur))
			return NULL;
		while (json_array_size(cur) <= index)
			json_array_append_new(cur, json_object());
		child = json_array_get(cur, index);
		if (next_is_index && json_is_object(child) && !json_object_size(child))
			json_array_set_new(cur, index, child = json_array());
	}
	return (next_is_index ? json_is_array(child) : json_is_object(child)) ? child : NULL;
}

/* Walk "a.b[2].c" from root, creating nodes; the section's object or NULL. */
static json_t *emit_section(json_t *root, const char *path)
{
	json_t *cur = root;
	const char *s = path;
	while (cur && *s) {
		size_t len = strcspn(s, ".[");
		bool idx = false;
		size_t index = 0;
		if (*s == '[') {
			char *e;
			index = strtoul(s + 1, &e, 10);
			idx = true;
			len = (size_t)(e - s) + (*e == ']');
		}
		const char *next = s + len;
		if (*next == '.')
			next++;
		cur = emit_child(cur, s, len, idx, index, *next == '[');
		s = next;
	}
	return cur;
}

static json_t *emit_tree(json_t *sections)
{
	json_t *root = json_object();
	const char *path;
	json_t *vals;
	json_object_foreach(sections, path, vals) {
		json_t *obj = emit_section(root, path);
		if (obj && json_is_object(obj))
			json_object_update(obj, vals);
	}
	return root;
}

/* ---- YAML printing ------------------------------------------------------- */

/* Comment source for the defaults file (NULL when printing resolved YAML). */
struct emit_docs {
	const struct iom_prop_table *const *tables;
	size_t n;
};

static void emit_string(const char *s, FILE *f)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(f, "\\x%02x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void emit_key(const char *k, FILE *f)
{
	bool plain = *k && *k != '-';
	for (const char *s = k; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
		      *s == '-'))
			plain = false;
	if (plain)
		fputs(k, f);
	else
		emit_string(k, f);
}

/* Shortest %g that reads back to the same double. */
static void emit_double(double d, char *buf, size_t sz)
{
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, sz, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			return;
	}
}

static void emit_scalar(const json_t *v, FILE *f)
{
	char buf[40];
	switch (json_typeof(v)) {
	case JSON_INTEGER: fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v)); break;
	case JSON_REAL:
		emit_double(json_real_value(v), buf, sizeof(buf));
		fputs(buf, f);
		break;
	case JSON_TRUE: fputs("true", f); break;
	case JSON_FALSE: fputs("false", f); break;
	case JSON_STRING: emit_string(json_string_value(v), f); break;
	default: fputs("~", f); break;
	}
}

static const struct iom_prop_table *emit_table_at(const struct emit_docs *D, const char *path)
{
	for (size_t i = 0; D && i < D->n; i++)
		if (D->tables[i] && !strcmp(D->tables[i]->section, path))
			return D->tables[i];
	return NULL;
}

static const char *emit_type_name(enum iom_prop_type t)
{
	static const char *const names[] = { "u64", "u32", "bool", "double", "enum", "string" };
	return (unsigned)t < IOM_ARRAY_SIZE(names) ? names[t] : "?";
}

/* "[lo, hi]", "a | b | c", "true/false" or "" for a property. */
static void emit_range(const struct iom_prop *p, char *buf, size_t sz)
{
	uint64_t lo, hi;
	size_t used = 0;
	buf[0] = 0;
	switch (p->type) {
	case IOM_PROP_U64:
	case IOM_PROP_U32:
		iom_config_prop_range(p, &lo, &hi);
		snprintf(buf, sz, "[%" PRIu64 ", %" PRIu64 "]", lo, hi);
		break;
	case IOM_PROP_DOUBLE:
		if (p->dmin != 0.0 || p->dmax != 0.0)
			snprintf(buf, sz, "[%g, %g]", p->dmin, p->dmax);
		break;
	case IOM_PROP_BOOL: snprintf(buf, sz, "true/false"); break;
	case IOM_PROP_ENUM:
		for (size_t i = 0; p->choices && p->choices[i] && used + 1 < sz; i++) {
			int w = snprintf(buf + used, sz - used, "%s%s", i ? " | " : "", p->choices[i]);
			if (w > 0)
				used = IOM_MIN(used + (size_t)w, sz - 1);
		}
		break;
	case IOM_PROP_STRING: snprintf(buf, sz, "at most %d characters", IOM_PROP_STR_MAX - 1); break;
	}
}

static void emit_comments(const struct emit_docs *D, const char *path, const char *key, const char *sub,
			  int ind, FILE *f)
{
	const struct iom_prop_table *sec = emit_table_at(D, sub);
	if (sec && sec->doc) /* a blank line sets each documented section apart */
		fprintf(f, "\n%*s# %s\n", ind, "", sec->doc);
	const struct iom_prop_table *t = emit_table_at(D, path);
	for (size_t i = 0; t && i < t->nprops; i++) {
		const struct iom_prop *p = &t->props[i];
		if (strcmp(p->name, key))
			continue;
		char range[256];
		emit_range(p, range, sizeof(range));
		fprintf(f, "%*s# %s\n", ind, "", p->doc ? p->doc : "");
		fprintf(f, "%*s# %s%s%s%s%s\n", ind, "", emit_type_name(p->type), *range ? ", " : "", range,
			p->unit && *p->unit ? ", unit: " : "", p->unit ? p->unit : "");
	}
}

static void emit_map(const json_t *o, int ind, const char *path, const struct emit_docs *D, FILE *f);

static void emit_seq(const json_t *a, int ind, const char *path, const struct emit_docs *D, FILE *f)
{
	size_t i;
	const json_t *el;
	json_array_foreach(a, i, el) {
		char sub[EMIT_PATH_MAX];
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		fprintf(f, "%*s-", ind, "");
		if (json_is_object(el) && json_object_size(el)) {
			fputc('\n', f);
			emit_map(el, ind + 2, sub, D, f);
		} else if (json_is_array(el) && json_array_size(el)) {
			fputc('\n', f);
			emit_seq(el, ind + 2, sub, D, f);
		} else {
			fputc(' ', f);
			if (json_is_object(el))
				fputs("{}", f);
			else if (json_is_array(el))
				fputs("[]", f);
			else
				emit_scalar(el, f);
			fputc('\n', f);
		}
	}
}

static void emit_map(const json_t *o, int ind, const char *path, const struct emit_docs *D, FILE *f)
{
	const char *key;
	const json_t *v;
	json_object_foreach((json_t *)o, key, v) {
		char sub[EMIT_PATH_MAX];
		if (*path)
			snprintf(sub, sizeof(sub), "%s.%s", path, key);
		else
			snprintf(sub, sizeof(sub), "%s", key);
		emit_comments(D, path, key, sub, ind, f);
		fprintf(f, "%*s", ind, "");
		emit_key(key, f);
		if (json_is_object(v) && json_object_size(v)) {
			fputs(":\n", f);
			emit_map(v, ind + 2, sub, D, f);
		} else if (json_is_array(v) && json_array_size(v)) {
			fputs(":\n", f);
			emit_seq(v, ind + 2, sub, D, f);
		} else if (json_is_object(v) || json_is_array(v)) {
			fputs(json_is_object(v) ? ": {}\n" : ": []\n", f);
		} else {
			fputs(": ", f);
			emit_scalar(v, f);
			fputc('\n', f);
		}
	}
}

static void emit_yaml(json_t *sections, const struct emit_docs *D, FILE *f)
{
	json_t *tree = emit_tree(sections);
	if (!tree || !json_object_size(tree))
		fputs("{}\n", f);
	else
		emit_map(tree, 0, "", D, f);
	json_decref(tree);
}

void iom_config_write_resolved_yaml(const struct iom_config *c, FILE *f)
{
	json_t *sections = iom_config_resolved_json(c);
	fputs("# iommusim resolved configuration (every bound section, defaults included)\n", f);
	emit_yaml(sections, NULL, f);
	json_decref(sections);
}

void iom_config_write_defaults_yaml(const struct iom_prop_table *const *tables, size_t n, FILE *f)
{
	json_t *sections = json_object();
	for (size_t i = 0; i < n; i++)
		if (tables[i])
			json_object_set_new(sections, tables[i]->section,
					    iom_config_table_json(tables[i], tables[i]->defaults));
	struct emit_docs D = { .tables = tables, .n = n };
	fputs("# iommusim default configuration, generated from the property tables.\n"
	      "# Every key is optional; a mistyped key is an error.\n", f);
	emit_yaml(sections, &D, f);
	json_decref(sections);
}

/* ---- markdown reference -------------------------------------------------- */

/* Table cells: '|' would end the cell, newlines the row. */
static void emit_md_cell(const char *s, FILE *f)
{
	for (; s && *s; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else if (*s == '\n')
			fputc(' ', f);
		else
			fputc(*s, f);
	}
}

static void emit_md_default(const json_t *v, FILE *f)
{
	char buf[40];
	if (json_is_string(v)) {
		fputc('`', f);
		emit_md_cell(json_string_value(v), f);
		fputc('`', f);
	} else if (json_is_real(v)) {
		emit_double(json_real_value(v), buf, sizeof(buf));
		fputs(buf, f);
	} else {
		emit_scalar(v, f);
	}
}

static void emit_md_table(const struct iom_prop_table *t, FILE *f)
{
	json_t *defs = iom_config_table_json(t, t->defaults);
	fprintf(f, "## %s\n\n", t->section);
	if (t->doc)
		fprintf(f, "%s\n\n", t->doc);
	fputs("| key | type | default | range/choices | unit | description |\n"
	      "|-----|------|---------|---------------|------|-------------|\n", f);
	for (size_t i = 0; i < t->nprops; i++) {
		const struct iom_prop *p = &t->props[i];
		char range[256];
		emit_range(p, range, sizeof(range));
		fprintf(f, "| `%s` | %s | ", p->name, emit_type_name(p->type));
		emit_md_default(json_object_get(defs, p->name), f);
		fputs(" | ", f);
		emit_md_cell(range, f);
		fputs(" | ", f);
		emit_md_cell(p->unit, f);
		fputs(" | ", f);
		emit_md_cell(p->doc, f);
		fputs(" |\n", f);
	}
	fputc('\n', f);
	json_decref(defs);
}

void iom_config_write_reference_md(const struct iom_prop_table *const *tables, size_t n, FILE *f)
{
	fputs("# iommusim configuration reference\n\n"
	      "Generated from the property tables. Integers accept decimal, `0x` hex, `0b` binary, `_` between\n"
	      "digits and the suffixes K/M/G/T (x1024). Unknown keys are errors.\n\n", f);
	for (size_t i = 0; i < n; i++)
		if (tables[i])
			emit_md_table(tables[i], f);
}
