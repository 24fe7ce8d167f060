/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_resv.c - `iommusim resv`: the reserved regions of every IOMMU group of
 * a system, as /sys/kernel/iommu_groups/N/reserved_regions shows them, and
 * the usable IOVA ranges user space is told about (VFIO type1 IOVA_RANGE
 * capability, iommufd IOMMU_IOAS_IOVA_RANGES), with the device addressing
 * limit under the configured policy (docs/resv.md).
 *
 * The system is built from the configuration as `replay` builds it; the
 * aperture and page size are those of a paging domain created and freed for
 * the purpose.  Nothing is timed.
 */
#include "cli.h"

#include "config.h"
#include "groups.h"
#include "replay-int.h"
#include "resv.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char resv_help[] =
    "usage: iommusim resv [CONFIG] [--config FILE] [--set KEY=VALUE]... [options]\n"
    "\n"
    "Prints the reserved regions of each IOMMU group the way\n"
    "/sys/kernel/iommu_groups/N/reserved_regions shows them (start, end, type), from\n"
    "the system configuration: the IOMMU's MSI window, resv.regions, the functions'\n"
    "firmware regions (pcie: topology), and under resv.device_limit = reserved the\n"
    "space above each device's addressing limit. Groups come from the pcie: topology;\n"
    "without one each device of resv.devices / resv.regions is its own group.\n"
    "\n"
    "--group N      only group N (its reserved_regions file exactly)\n"
    "--dev BDF      only the group of device [SSSS:]BB:DD.F\n"
    "--uapi vfio|iommufd\n"
    "               also the usable IOVA ranges that interface reports (default: resv.uapi)\n"
    "               and whether the group can be attached at all\n"
    "--long         each region with its Linux type and where it comes from\n"
    "--json         the same as a JSON document\n";

struct resv_opts {
	struct cli_cfg_opts co;
	const char *group, *dev, *uapi;
	bool json, longform;
};

static int resv_args(struct resv_opts *o, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int c = cli_cfg_option(&o->co, argc, argv, &i, "resv");
		if (c < 0)
			return -c;
		if (c)
			continue;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(resv_help, stdout);
			return -1;
		} else if (!strcmp(a, "--group") || !strcmp(a, "--dev") || !strcmp(a, "--uapi")) {
			if (i + 1 >= argc)
				return cli_usage_error("resv", "option %s needs a value", a);
			*(!strcmp(a, "--group") ? &o->group
			  : !strcmp(a, "--dev") ? &o->dev
			                        : &o->uapi) = argv[++i];
		} else if (!strcmp(a, "--json")) {
			o->json = true;
		} else if (!strcmp(a, "--long")) {
			o->longform = true;
		} else if (a[0] == '-' && a[1]) {
			return cli_usage_error("resv", "unknown option '%s'", a);
		} else if (!o->co.path) {
			o->co.path = a;
		} else {
			return cli_usage_error("resv", "more than one configuration ('%s')", a);
		}
	}
	if (o->group && o->dev)
		return cli_usage_error("resv", "%s", "give --group or --dev, not both");
	if (o->uapi && strcmp(o->uapi, "vfio") && strcmp(o->uapi, "iommufd"))
		return cli_usage_error("resv", "--uapi '%s': expected vfio or iommufd", o->uapi);
	return 0;
}

/* One group as printed: its number, key and members. */
struct rgroup {
	uint32_t num;
	uint64_t key;
	uint32_t *devs;
	size_t ndevs;
};

struct rctx {
	struct iom_system *s;
	const struct iom_resv_db *db;
	uint64_t ap_start, ap_last, pgmin;
	unsigned uapi; /* enum iom_resv_uapi_kind */
	struct rgroup *g;
	size_t ng;
	bool placeholder; /* no device was described */
};

static int cmp_group(const void *a, const void *b)
{
	const struct rgroup *x = a, *y = b;
	return x->num < y->num ? -1 : x->num > y->num;
}

static const char *dev_name(uint32_t dev, char *buf, size_t sz)
{
	snprintf(buf, sz, "%04x:%02x:%02x.%x", dev >> 16, (dev >> 8) & 0xff, (dev >> 3) & 0x1f,
	         dev & 7);
	return buf;
}

/* Groups of every known device: topology groups keep their number, devices
 * outside a topology are numbered after them in address order. */
static int resv_groups(struct rctx *c, struct iom_err *err)
{
	size_t n = iom_resv_db_devices(c->db, NULL, 0);
	uint32_t *devs = malloc((n + 1) * sizeof(*devs));
	if (!devs)
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	iom_resv_db_devices(c->db, devs, n);
	if (!n) { /* nothing described: what any device gets */
		devs[n++] = 0;
		c->placeholder = true;
	}
	c->g = calloc(n, sizeof(*c->g));
	if (!c->g) {
		free(devs);
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	}
	uint32_t next = c->s->pcie ? c->s->pcie->t->ngroups : 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t key = iom_resv_group_of(c->db, devs[i]);
		size_t k = 0;
		while (k < c->ng && c->g[k].key != key)
			k++;
		if (k < c->ng)
			continue;
		struct rgroup *g = &c->g[c->ng++];
		g->key = key;
		g->num = (key & IOM_RESV_GROUP_DEV) ? next++ : (uint32_t)key;
		g->ndevs = iom_resv_group_members(c->db, key, NULL, 0);
		if (!(g->devs = malloc(g->ndevs * sizeof(*g->devs)))) {
			free(devs);
			return iom_err_set(err, IOM_ENOMEM, "out of memory");
		}
		iom_resv_group_members(c->db, key, g->devs, g->ndevs);
	}
	free(devs);
	qsort(c->g, c->ng, sizeof(*c->g), cmp_group);
	return 0;
}

/* What user space sees for one group attached alone to a fresh container. */
struct rview {
	struct iom_resv_list regions;
	struct iom_resv_uapi *u;
	struct iom_resv_outcome attach;
	uint64_t limit;
};

static int resv_view(const struct rctx *c, const struct rgroup *g, struct rview *v,
                     struct iom_err *err)
{
	memset(v, 0, sizeof(*v));
	int r = iom_resv_group_regions(c->db, g->key, c->ap_start, c->ap_last, 0, &v->regions, err);
	v->limit = iom_resv_group_limit(c->db, g->key);
	if (r || c->uapi == IOM_RESV_UAPI_OFF)
		return r;
	const struct iom_resv_cfg *cfg = iom_resv_db_cfg(c->db);
	v->u = iom_resv_uapi_create(c->uapi, cfg->dma_entry_limit, c->ap_start, c->ap_last,
	                            c->pgmin, err);
	if (!v->u)
		return -err->code;
	return iom_resv_uapi_attach(v->u, g->key, &v->regions, v->limit, &v->attach, err);
}

static void resv_view_fini(struct rview *v)
{
	iom_resv_list_fini(&v->regions);
	iom_resv_uapi_destroy(v->u);
}

static void print_ranges(const struct iom_resv_ranges *r, FILE *f)
{
	for (uint32_t i = 0; i < r->n; i++)
		fprintf(f, "  0x%016" PRIx64 " 0x%016" PRIx64 "\n", r->v[i].start, r->v[i].last);
}

static void print_uapi(const struct rctx *c, const struct rview *v, FILE *f)
{
	const struct iom_resv_cfg *cfg = iom_resv_db_cfg(c->db);
	bool vfio = c->uapi == IOM_RESV_UAPI_VFIO;
	if (v->attach.err) {
		fprintf(f, "%s attach refused: %s\n", vfio ? "VFIO" : "iommufd", v->attach.msg);
		return;
	}
	const struct iom_resv_ranges *r = iom_resv_uapi_ranges(v->u);
	if (vfio)
		fprintf(f, "VFIO type1 IOVA ranges (VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE), %u:\n",
		        r->n);
	else
		fprintf(f,
		        "iommufd allowed IOVA ranges (IOMMU_IOAS_IOVA_RANGES), %u, "
		        "iova_alignment %#" PRIx64 ":\n",
		        r->n, iom_resv_uapi_alignment(v->u));
	print_ranges(r, f);
	uint64_t base;
	if (iom_resv_uapi_msi_cookie(v->u, &base))
		fprintf(f, "MSI doorbells are mapped by the kernel at %#" PRIx64 " (sw-msi)\n",
		        base);
	uint64_t top = r->n ? r->v[r->n - 1].last : 0;
	if (v->limit == UINT64_MAX || !r->n)
		return;
	if (cfg->device_limit == IOM_RESV_LIMIT_SEPARATE) {
		struct iom_resv_ranges below = {0};
		struct iom_err e;
		fprintf(f,
		        "device addressing limit %#" PRIx64 " (reported separately); usable at or "
		        "below it:\n",
		        v->limit);
		if (!iom_resv_usable(&v->regions, c->ap_start, c->ap_last, &below, &e)) {
			iom_resv_ranges_clip(&below, v->limit);
			print_ranges(&below, f);
		}
		iom_resv_ranges_fini(&below);
	} else if (top > v->limit) {
		fprintf(f,
		        "note: the ranges reach %#" PRIx64 ", above the device addressing limit "
		        "%#" PRIx64 "; DMA there cannot be emitted (resv.device_limit = %s)\n",
		        top, v->limit, iom_resv_policy_name(cfg->device_limit));
	}
}

static void print_group_text(const struct rctx *c, const struct rgroup *g, const struct rview *v,
                             bool header, bool longform, FILE *f)
{
	char b[24];
	if (header) {
		fprintf(f, "/sys/kernel/iommu_groups/%u/reserved_regions", g->num);
		for (size_t i = 0; i < g->ndevs && !c->placeholder; i++)
			fprintf(f, "%s%s", i ? " " : "  (", dev_name(g->devs[i], b, sizeof(b)));
		fprintf(f, "%s:\n", c->placeholder ? "  (any device)" : ")");
	}
	if (longform) {
		for (uint32_t i = 0; i < v->regions.n; i++) {
			const struct iom_resv_region *x = &v->regions.v[i];
			fprintf(f, "0x%016" PRIx64 " 0x%016" PRIx64 " %-16s %-16s %s\n", x->start,
			        x->last, iom_resv_type_sysfs(x->type), iom_resv_type_name(x->type),
			        iom_resv_src_name(x->src));
		}
	} else {
		iom_resv_print_sysfs(&v->regions, f);
	}
	if (c->uapi != IOM_RESV_UAPI_OFF)
		print_uapi(c, v, f);
}

static json_t *hex(uint64_t v)
{
	char b[24];
	snprintf(b, sizeof(b), "%#" PRIx64, v);
	return json_string(b);
}

static json_t *ranges_json(const struct iom_resv_ranges *r)
{
	json_t *a = json_array();
	for (uint32_t i = 0; i < r->n; i++) {
		json_t *e = json_object();
		json_object_set_new(e, "start", hex(r->v[i].start));
		json_object_set_new(e, "last", hex(r->v[i].last));
		json_array_append_new(a, e);
	}
	return a;
}

static json_t *group_json(const struct rctx *c, const struct rgroup *g, const struct rview *v)
{
	char b[24];
	json_t *o = json_object(), *devs = json_array(), *regs = json_array();
	json_object_set_new(o, "group", json_integer(g->num));
	for (size_t i = 0; i < g->ndevs && !c->placeholder; i++)
		json_array_append_new(devs, json_string(dev_name(g->devs[i], b, sizeof(b))));
	json_object_set_new(o, "devices", devs);
	for (uint32_t i = 0; i < v->regions.n; i++) {
		const struct iom_resv_region *x = &v->regions.v[i];
		json_t *e = json_object();
		json_object_set_new(e, "start", hex(x->start));
		json_object_set_new(e, "last", hex(x->last));
		json_object_set_new(e, "type", json_string(iom_resv_type_name(x->type)));
		json_object_set_new(e, "sysfs", json_string(iom_resv_type_sysfs(x->type)));
		json_object_set_new(e, "source", json_string(iom_resv_src_name(x->src)));
		json_array_append_new(regs, e);
	}
	json_object_set_new(o, "regions", regs);
	json_object_set_new(o, "device_limit", hex(v->limit));
	if (c->uapi == IOM_RESV_UAPI_OFF)
		return o;
	if (v->attach.err) {
		json_object_set_new(o, "attach", json_string(iom_resv_errno_name(v->attach.err)));
		json_object_set_new(o, "attach_message", json_string(v->attach.msg));
		return o;
	}
	json_object_set_new(o, "attach", json_string("ok"));
	json_object_set_new(o, "iova_ranges", ranges_json(iom_resv_uapi_ranges(v->u)));
	json_object_set_new(o, "iova_alignment", hex(iom_resv_uapi_alignment(v->u)));
	uint64_t base;
	if (iom_resv_uapi_msi_cookie(v->u, &base))
		json_object_set_new(o, "msi_cookie", hex(base));
	if (iom_resv_db_cfg(c->db)->device_limit == IOM_RESV_LIMIT_SEPARATE) {
		struct iom_resv_ranges below = {0};
		struct iom_err e;
		if (!iom_resv_usable(&v->regions, c->ap_start, c->ap_last, &below, &e)) {
			iom_resv_ranges_clip(&below, v->limit);
			json_object_set_new(o, "iova_ranges_below_limit", ranges_json(&below));
		}
		iom_resv_ranges_fini(&below);
	}
	return o;
}

/* The groups to print: all, or the one --group / --dev names. */
static int resv_select(const struct resv_opts *o, const struct rctx *c, size_t *first, size_t *end,
                       struct iom_err *err)
{
	*first = 0;
	*end = c->ng;
	if (o->group) {
		uint64_t n;
		if (!cli_parse_u64(o->group, &n))
			return iom_err_set(err, IOM_EINVAL, "--group '%s': expected a number",
			                   o->group);
		for (size_t i = 0; i < c->ng; i++)
			if (c->g[i].num == n) {
				*first = i;
				*end = i + 1;
				return 0;
			}
		return iom_err_set(err, IOM_ENOENT, "--group %s: no such IOMMU group (%zu groups)",
		                   o->group, c->ng);
	}
	if (o->dev) {
		uint16_t seg;
		uint8_t bus, devfn;
		const char *e;
		if (!iom_pcie_parse_bdf(o->dev, &seg, &bus, &devfn, &e) || *e)
			return iom_err_set(err, IOM_EINVAL,
			                   "--dev '%s': expected BB:DD.F or SSSS:BB:DD.F", o->dev);
		uint32_t dev = (uint32_t)seg << 16 | (uint32_t)bus << 8 | devfn;
		for (size_t i = 0; i < c->ng && !c->placeholder; i++)
			for (size_t k = 0; k < c->g[i].ndevs; k++)
				if (c->g[i].devs[k] == dev) {
					*first = i;
					*end = i + 1;
					return 0;
				}
		return iom_err_set(
		    err, IOM_ENOENT,
		    "--dev %s: no such device in the configuration (pcie: functions, "
		    "resv.devices, resv.regions)",
		    o->dev);
	}
	return 0;
}

static int resv_print(const struct resv_opts *o, struct rctx *c, struct iom_err *err)
{
	size_t first, end;
	int r = resv_select(o, c, &first, &end, err);
	if (r)
		return r;
	json_t *doc = NULL, *groups = NULL;
	if (o->json) {
		const struct iom_resv_cfg *cfg = iom_resv_db_cfg(c->db);
		doc = json_object();
		groups = json_array();
		json_object_set_new(doc, "aperture_start", hex(c->ap_start));
		json_object_set_new(doc, "aperture_last", hex(c->ap_last));
		json_object_set_new(doc, "page_size", hex(c->pgmin));
		json_object_set_new(doc, "device_limit_policy",
		                    json_string(iom_resv_policy_name(cfg->device_limit)));
		json_object_set_new(doc, "uapi", json_string(iom_resv_uapi_name(c->uapi)));
	}
	bool header = end - first > 1 || (!o->group && !o->dev);
	for (size_t i = first; i < end && !r; i++) {
		struct rview v;
		r = resv_view(c, &c->g[i], &v, err);
		if (!r && doc)
			json_array_append_new(groups, group_json(c, &c->g[i], &v));
		else if (!r)
			print_group_text(c, &c->g[i], &v, header, o->longform, stdout);
		resv_view_fini(&v);
	}
	if (doc) {
		json_object_set_new(doc, "groups", groups);
		if (!r && json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER))
			r = iom_err_set(err, IOM_EIO, "cannot write the JSON document");
		if (!r)
			fputc('\n', stdout);
		json_decref(doc);
	}
	return r;
}

static int resv_run(const struct resv_opts *o, struct iom_err *err)
{
	struct iom_config *cfg = cli_cfg_load(&o->co, err);
	if (!cfg)
		return -err->code;
	struct rctx c = {0};
	c.s = iom_system_build(cfg, err);
	int r = c.s ? 0 : -err->code;
	if (!r) {
		c.db = c.s->resv_db;
		c.uapi = iom_resv_db_cfg(c.db)->uapi;
		if (o->uapi)
			c.uapi =
			    !strcmp(o->uapi, "vfio") ? IOM_RESV_UAPI_VFIO : IOM_RESV_UAPI_IOMMUFD;
		r = iom_replay_resv_probe_geometry(c.s, &c.ap_start, &c.ap_last, &c.pgmin, err);
	}
	if (!r)
		r = resv_groups(&c, err);
	if (!r && c.placeholder && !o->json)
		fprintf(stderr, "iommusim resv: no device is described (pcie: functions, "
		                "resv.devices, resv.regions): showing what any device gets\n");
	if (!r)
		r = resv_print(o, &c, err);
	for (size_t i = 0; i < c.ng; i++)
		free(c.g[i].devs);
	free(c.g);
	iom_system_destroy(c.s);
	iom_config_destroy(cfg);
	return r;
}

int cli_resv(int argc, char **argv)
{
	struct resv_opts o = {0};
	int r = resv_args(&o, argc, argv);
	if (r)
		return r < 0 ? 0 : r;
	struct iom_err err = {0};
	if (resv_run(&o, &err))
		return cli_fail(&err);
	return fflush(stdout) ? CLI_EXIT_IO : CLI_EXIT_OK;
}
