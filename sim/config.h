/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.h - system configuration: YAML (libyaml) bound to property tables.
 *
 * Every model declares a property table: for each key its name, type,
 * range, unit and documentation, and where the value lives in the model's
 * config struct.  A table is bound to a section path of the YAML document
 * ("memory", "smmu.tlb", "devices[2]"); the table's `defaults` struct gives
 * the default of every key, so one table (e.g. the generic cache's) can be
 * instantiated at several paths with different defaults.
 *
 * Binding validates type and range and reports problems as
 * "FILE:LINE:COL: key 'smmu.tlb.ways': expected an integer in [1, 65536], got 'x'".
 * After all models have bound their sections, iom_config_check_unused()
 * rejects every key nobody consumed ("unknown key") -- a mistyped key is an
 * error, never silently defaulted.  Every bound value (default or given)
 * is recorded and can be echoed into results as JSON, so a result file
 * reproduces its run.
 *
 * With no file, the built-in default system is the defaults of every table.
 */
#ifndef IOM_SIM_CONFIG_H
#define IOM_SIM_CONFIG_H

#include "iom.h"

#include <stdbool.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

enum iom_prop_type {
	IOM_PROP_U64,    /* uint64_t; accepts decimal, 0x hex, and size suffixes K/M/G/T (x1024) */
	IOM_PROP_U32,    /* uint32_t; same syntax */
	IOM_PROP_BOOL,   /* bool; true/false/yes/no/on/off/1/0 */
	IOM_PROP_DOUBLE, /* double */
	IOM_PROP_ENUM,   /* uint32_t index into choices[] (NULL-terminated); given as the string */
	IOM_PROP_STRING, /* char[IOM_PROP_STR_MAX] inside the struct */
};

#define IOM_PROP_STR_MAX 64

struct iom_prop {
	const char *name;
	enum iom_prop_type type;
	size_t offset;             /* offsetof() in the config struct */
	uint64_t min, max;         /* integer range (inclusive) */
	double dmin, dmax;         /* double range (inclusive) */
	const char *const *choices; /* ENUM: NULL-terminated */
	const char *unit;          /* "ns", "entries", "cycles", "" */
	const char *doc;           /* one sentence */
};

struct iom_prop_table {
	const char *section;            /* YAML path, e.g. "smmu.tlb" */
	const char *doc;                /* what this section configures */
	const struct iom_prop *props;
	size_t nprops;
	const void *defaults;           /* struct instance holding the defaults */
	size_t struct_size;
};

/* Convenience initialisers for property tables. */
#define IOM_PROP_INT(T, field, type_, lo, hi, unit_, doc_)                                        \
	{ .name = #field, .type = (type_), .offset = offsetof(T, field), .min = (lo), .max = (hi), \
	  .unit = (unit_), .doc = (doc_) }
#define IOM_PROP_U64_(T, field, lo, hi, unit_, doc_) IOM_PROP_INT(T, field, IOM_PROP_U64, lo, hi, unit_, doc_)
#define IOM_PROP_U32_(T, field, lo, hi, unit_, doc_) IOM_PROP_INT(T, field, IOM_PROP_U32, lo, hi, unit_, doc_)
#define IOM_PROP_BOOL_(T, field, doc_)                                                             \
	{ .name = #field, .type = IOM_PROP_BOOL, .offset = offsetof(T, field), .unit = "", .doc = (doc_) }
#define IOM_PROP_DOUBLE_(T, field, lo, hi, unit_, doc_)                                            \
	{ .name = #field, .type = IOM_PROP_DOUBLE, .offset = offsetof(T, field), .dmin = (lo),     \
	  .dmax = (hi), .unit = (unit_), .doc = (doc_) }
#define IOM_PROP_ENUM_(T, field, choices_, doc_)                                                   \
	{ .name = #field, .type = IOM_PROP_ENUM, .offset = offsetof(T, field), .choices = (choices_), \
	  .unit = "", .doc = (doc_) }
#define IOM_PROP_STRING_(T, field, doc_)                                                           \
	{ .name = #field, .type = IOM_PROP_STRING, .offset = offsetof(T, field), .unit = "", .doc = (doc_) }

struct iom_config;

/* An empty configuration: binding gives every table's defaults. */
struct iom_config *iom_config_create_default(void);
/* Parse a YAML file / string (name used in messages). The top level must be
 * a mapping. NULL with err set (missing/unreadable file, YAML syntax error
 * with FILE:LINE:COL, duplicate key, empty document is allowed = defaults). */
struct iom_config *iom_config_load_file(const char *path, struct iom_err *err);
struct iom_config *iom_config_load_string(const char *text, const char *name, struct iom_err *err);
void iom_config_destroy(struct iom_config *c);

/* Apply "a.b.c=value" overrides (from the command line / sweeps) on top of
 * the document; value is a YAML scalar. */
int iom_config_set(struct iom_config *c, const char *assignment, struct iom_err *err);

/* Fill `out` (t->struct_size bytes) from t->defaults, then from the YAML
 * section at `path` (NULL: t->section). Validates every given key. Marks the
 * keys as consumed and records the resolved values. */
int iom_config_bind(struct iom_config *c, const struct iom_prop_table *t, const char *path, void *out,
		    struct iom_err *err);

/* Sequences: number of elements of the YAML sequence at path (0 if absent);
 * element i is addressed as "path[i]". -IOM_EFORMAT if path is not a sequence. */
int iom_config_seq_len(struct iom_config *c, const char *path, size_t *len, struct iom_err *err);
bool iom_config_has(struct iom_config *c, const char *path);

/* Error for the first key in the document that no bind consumed. */
int iom_config_check_unused(struct iom_config *c, struct iom_err *err);

/* The resolved configuration (every bound section, defaults included) as a
 * JSON object keyed by path (json_t *, new reference). */
void *iom_config_resolved_json(const struct iom_config *c);
/* The same as YAML text (re-loadable). */
void iom_config_write_resolved_yaml(const struct iom_config *c, FILE *f);

/* Documentation from tables: a commented YAML file of all defaults, and the
 * markdown config reference (docs/config-reference.md). */
void iom_config_write_defaults_yaml(const struct iom_prop_table *const *tables, size_t n, FILE *f);
void iom_config_write_reference_md(const struct iom_prop_table *const *tables, size_t n, FILE *f);

/* Added by config.c: helpers shared by the loader and the writers. */
/* Effective inclusive range of an integer property: min = max = 0 means the
 * whole range of the type; a U32's max is clamped to UINT32_MAX. */
void iom_config_prop_range(const struct iom_prop *p, uint64_t *lo, uint64_t *hi);
/* A table's values (`values` is a struct of t->struct_size bytes) as a JSON
 * object in table order (json_t *, new reference): enums as their string,
 * doubles as reals, U64 above INT64_MAX as a "0x..." string. */
void *iom_config_table_json(const struct iom_prop_table *t, const void *values);

#ifdef __cplusplus
}
#endif
#endif
