/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sweep-int.h - the parsed sweep shared by the files of sim/sweep:
 * load.c (the sweep file), point.c (expansion, per-point configuration and
 * key, running one point), run.c (workers, resume, emit, merge) and
 * results.c (CSV, column metadata, plots).
 */
#ifndef IOM_SIM_SWEEP_INT_H
#define IOM_SIM_SWEEP_INT_H

#include "sweep.h"

#include "plot.h"

#include <jansson.h>
#include <stdint.h>

struct iom_config;
struct iom_prop;
struct iom_prop_table;

#define SW_KEY_FORMAT      "iommusim-sweep-key-v1"
#define SW_MAX_POINTS      1000000u
#define SW_MAX_AXIS_VALUES 100000u

/* A place in the sweep file, for messages ("FILE:LINE:COL"). */
struct sw_pos {
	unsigned line, col;
};

enum sw_combine { SW_GRID = 0, SW_ZIP };
enum sw_region { SW_ROI = 0, SW_ALL };

struct sw_axis {
	char *key; /* "<section>.<prop>" */
	const struct iom_prop_table *t;
	const struct iom_prop *p;
	char **vals; /* value texts given to iom_config_set */
	size_t n;
	struct sw_pos pos;
};

struct sw_set {
	char *key, *val;
	struct sw_pos pos;
};

struct sw_trace {
	char *name; /* as written in the sweep file */
	char *path; /* resolved against the sweep file's folder */
	struct sw_pos pos;
	bool hashed;
	unsigned char hash[16]; /* XXH3-128 of the file's bytes (canonical form) */
};

/* Histogram fields a stat column may name (NAME.<field>); SW_F_VALUE for a
 * counter or derived stat. */
enum sw_field {
	SW_F_VALUE = 0,
	SW_F_COUNT,
	SW_F_SUM,
	SW_F_MIN,
	SW_F_MAX,
	SW_F_MEAN,
	SW_F_P50,
	SW_F_P99
};

struct sw_stat {
	char *name; /* column name as written */
	char *base; /* registry name (name without the histogram suffix) */
	enum sw_field field;
	char *unit, *desc;
	struct sw_pos pos;
};

struct sw_plot {
	struct iom_plot_spec spec; /* strings owned by this struct */
	struct sw_pos pos;
};

/* What the parent knows of a point once resolved. */
struct sw_point {
	bool resolved;
	int code;  /* IOM_E* when the configuration is rejected, else 0 */
	char *msg; /* that error's message */
	char key[33];
	char **cells; /* axis values as resolved (or as written when rejected) */
	char *seed;   /* system.seed, "" when unknown */
};

struct iom_sweep {
	char *path; /* the sweep file as given */
	char *dir;  /* its folder ("." when none) */
	char *name;
	char *default_out;
	char *base; /* resolved base config path or NULL (built-in default) */
	char *base_text;
	size_t base_len;
	struct sw_set *sets;
	size_t nsets;
	struct sw_trace *traces;
	size_t ntraces;
	char **seeds; /* NULL: the base configuration's seed */
	size_t nseeds;
	struct sw_pos seeds_pos;
	struct sw_axis *axes;
	size_t naxes;
	enum sw_combine combine;
	enum sw_region region;
	struct sw_stat *stats;
	size_t nstats;
	struct sw_plot *plots;
	size_t nplots;
	unsigned jobs;  /* 0: not given */
	size_t ncombos; /* axis combinations per (trace, seed) */
	size_t npoints;
	struct sw_point *pts;
	char *base_seed; /* system.seed of base + set (NULL: not computed yet) */
};

/* point.c */
/* Trace, seed and axis-value indices of point idx (vals: naxes entries, or NULL). */
void sw_point_coords(const struct iom_sweep *sw, size_t idx, size_t *trace, size_t *seed,
		     size_t *vals);
/* "k=v k=v" of the axis values of a point, for messages and listings. */
void sw_point_settings(const struct iom_sweep *sw, size_t idx, char *buf, size_t sz);
/* The point's configuration: base, set, axes, seed applied (not yet bound). */
struct iom_config *sw_point_config(const struct iom_sweep *sw, size_t idx, struct iom_err *err);
/* XXH3-128 of the trace file's bytes, once per trace. */
int sw_trace_hash(struct sw_trace *t, struct iom_err *err);
/* Resolve a point (key, cells). -IOM_E* only for sweep-level problems (the
 * trace cannot be read, out of memory); a rejected configuration is kept in
 * pts[idx].code/msg. */
int sw_point_resolve(struct iom_sweep *sw, size_t idx, struct iom_err *err);
/* Replay the point in this process and write DIR/points/KEY.json (or .err).
 * Returns 0 or the point's -IOM_E* with err set. */
int sw_point_exec(struct iom_sweep *sw, size_t idx, const char *out_dir, struct iom_err *err);
/* Write DIR/points/KEY.err for a failed point ("<exit> <class>: <msg>"). */
int sw_point_write_err(const struct iom_sweep *sw, size_t idx, const char *out_dir, int code,
		       const char *msg, struct iom_err *err);
/* Path of DIR/points/KEY.<ext> into buf. */
void sw_point_file(const char *out_dir, const char *key, const char *ext, char *buf, size_t sz);

/* A resolved config value or a stat as a CSV cell: integers exactly, reals "%.10g". */
char *sw_json_cell(const json_t *v);

/* files.c */
const char *sw_out_dir(const struct iom_sweep *sw, const struct iom_sweep_opts *o);
int sw_mkdirs(const char *dir, struct iom_err *err);
/* Write `len` bytes to path atomically (temp file in the same folder + rename). */
int sw_write_atomic(const char *path, const char *data, size_t len, struct iom_err *err);
int sw_read_file(const char *path, char **data, size_t *len); /* 0 or -1 (errno) */
int sw_copy_file(const char *from, const char *to, struct iom_err *err);
/* The .err line of a failed point: exit code and message. 0 or -1. */
int sw_read_err(const char *path, int *exit_code, char *msg, size_t sz);
bool sw_exists(const char *path);

/* results.c */
int sw_write_results(struct iom_sweep *sw, const struct iom_sweep_opts *o,
		     struct iom_sweep_counts *c, struct iom_err *err);
/* Render the plots into the result directory after the CSV. */
void sw_render_plots(struct iom_sweep *sw, const struct iom_sweep_opts *o,
		     struct iom_sweep_counts *c);

/* load.c */
const char *sw_field_name(enum sw_field f);

#endif
