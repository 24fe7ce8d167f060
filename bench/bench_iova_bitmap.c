/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_iova_bitmap.c - what each iova_bitmap algorithm (models/host/
 * iova_bitmap.c) costs on the dirty-bitmap examples of
 * algorithms-reference.md A.4: the counts and the modelled host time with
 * the default cost model (docs/dirty.md "iova_bitmap algorithms" quotes
 * this table).  No wall-clock time: the figures are modelled, so the
 * output is the same on every run.
 *
 * The producer stands in for an IOMMU's read_and_clear_dirty: a list of
 * dirty leaves, each recorded whole (from its head) when it overlaps the
 * range fn is handed, then cleared; for v6_11 and iter, which get one fn
 * call, in the order the case gives.  Bits are 4 KB pages.
 */
#include "iova_bitmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KB 1024ull
#define MB (1024ull * KB)
#define GB (1024ull * MB)
#define PG 4096ull
#define UVA 0x7f0000000000ull

struct leaf {
	uint64_t iova, size;
	int dirty;
};

struct prod {
	struct leaf *l;
	size_t n;
	const size_t *order;
};

static int prod_fn(struct iom_iova_bitmap *b, uint64_t iova, uint64_t len, void *opaque)
{
	struct prod *p = opaque;

	for (size_t k = 0; len && k < p->n; k++) {
		struct leaf *l = &p->l[p->order ? p->order[k] : k];

		if (l->dirty && l->iova < iova + len && l->iova + l->size > iova) {
			iom_ibm_set(b, l->iova, l->size);
			l->dirty = 0;
		}
	}
	return 0;
}

struct bcase {
	const char *name;
	uint64_t iova, length, offset;
	void (*leaves)(struct prod *p);
	const size_t *order;
};

static struct leaf leaf_buf[124 * GB / (2 * MB)];

static void none(struct prod *p)
{
	p->n = 0;
}

static void all_2m(struct prod *p)
{
	p->n = 124 * GB / (2 * MB);
	for (size_t k = 0; k < p->n; k++)
		leaf_buf[k] = (struct leaf){ 4 * GB + k * 2 * MB, 2 * MB, 1 };
}

static void leaf_67g(struct prod *p)
{
	p->n = 1;
	leaf_buf[0] = (struct leaf){ 67 * GB, 1 * GB, 1 };
}

static void four_pages(struct prod *p)
{
	static const uint64_t at[4] = { 4 * GB, 4 * GB + 32 * KB, 100 * GB, 100 * GB + 32 * KB };

	p->n = 4;
	for (size_t k = 0; k < 4; k++)
		leaf_buf[k] = (struct leaf){ at[k], PG, 1 };
}

static const size_t seq[] = { 0, 1, 2, 3 }, alt[] = { 0, 2, 1, 3 };

static const struct bcase cases[] = {
	{ "4G..128G, nothing dirty", 4 * GB, 124 * GB, 0, none, NULL },
	{ "4G..128G, every 2M leaf dirty", 4 * GB, 124 * GB, 0, all_2m, NULL },
	{ "4G..128G, 1G leaf at 67G, bitmap +2048", 4 * GB, 124 * GB, 2048, leaf_67g, NULL },
	{ "3.5G..131.5G, 1G leaf at 67G", 3 * GB + 512 * MB, 128 * GB, 0, leaf_67g, NULL },
	{ "4G..128G, 4 pages in order", 4 * GB, 124 * GB, 0, four_pages, seq },
	{ "4G..128G, 4 pages alternating", 4 * GB, 124 * GB, 0, four_pages, alt },
};

int main(void)
{
	printf("# iova_bitmap algorithms on the A.4 examples (4 KB bits, default cost model)\n");
	printf("%-40s %-6s %3s %4s %4s %6s %6s %8s %9s %7s %9s %9s %4s\n", "case", "algo", "fn",
	       "win", "pins", "pages", "kmaps", "bytes", "set", "lost", "stray", "time_us",
	       "ret");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bcase *c = &cases[i];
		uint64_t alloc = c->length / PG / 8 + PG;
		uint8_t *mem = malloc(alloc);

		if (!mem)
			return 1;
		for (unsigned a = 0; a < IOM_IBM_ALGO_MAX; a++) {
			struct iom_ubitmap ub = { mem + c->offset, UVA + c->offset, alloc - c->offset };
			struct prod p = { leaf_buf, 0, c->order };
			struct iom_ibm_cost k = { 0 };
			struct iom_err err = { 0 };
			struct iom_iova_bitmap *b;
			int ret;

			memset(mem, 0, alloc);
			c->leaves(&p);
			b = iom_ibm_alloc(a, c->iova, c->length, PG, &ub, NULL, &k, &err);
			if (!b) {
				fprintf(stderr, "%s\n", err.msg);
				return 1;
			}
			ret = iom_ibm_for_each(b, &p, prod_fn);
			iom_ibm_free(b);
			printf("%-40s %-6s %3llu %4llu %4llu %6llu %6llu %8llu %9llu %7llu %9llu "
			       "%9.1f %4d\n",
			       c->name, iom_ibm_algo_name(a), (unsigned long long)k.fn_calls,
			       (unsigned long long)k.windows, (unsigned long long)k.pin_calls,
			       (unsigned long long)k.pages_pinned, (unsigned long long)k.kmaps,
			       (unsigned long long)k.bytes_touched, (unsigned long long)k.bits_set,
			       (unsigned long long)k.bits_lost, (unsigned long long)k.bits_stray,
			       (double)k.time_ps / 1e6, ret);
		}
		free(mem);
	}
	return 0;
}
