/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_stats.c - statistics registry (sim/stats.h): registration, ratios,
 * log2 histogram bins and percentiles, snapshots, text and JSON dumps.
 *
 * Bin rule (header): bin 0 holds 0, bin i holds [2^(i-1), 2^i).  So for the
 * sample 0,1,2,3,4,1000: 0 -> bin 0, 1 -> bin 1, 2 and 3 -> bin 2,
 * 4 -> bin 3, 1000 -> bin 10 (512 <= 1000 < 1024).  count 6, sum 1010,
 * mean 1010/6 = 168.333...
 * Percentile rule (stats.c): rank = ceil(p% * count); answer = inclusive
 * upper bound (2^i - 1) of the bin where the cumulative count reaches the
 * rank, clamped to [min, max].
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

static struct iom_stats *s;
static struct iom_hist lat;
static uint64_t hits, lookups, raw;

static void setup(void)
{
	s = iom_stats_create();
	cr_assert(s);
	iom_hist_init(&lat);
	hits = lookups = raw = 0;
}

static void teardown(void)
{
	iom_stats_destroy(s);
}

TestSuite(stats, .init = setup, .fini = teardown);

static void add_sample(struct iom_hist *h)
{
	const uint64_t v[] = {0, 1, 2, 3, 4, 1000};
	for (size_t i = 0; i < IOM_ARRAY_SIZE(v); i++)
		iom_hist_add(h, v[i]);
}

/* The registry used by the dump tests. */
static void register_sample(void)
{
	struct iom_err err = {0};
	hits = 90;
	lookups = 100;
	raw = 7;
	add_sample(&lat);
	cr_assert_eq(iom_stats_counter(s, "a.hits", "lookups", "IOTLB hits", &hits, &err), 0);
	cr_assert_eq(iom_stats_counter(s, "a.lookups", "lookups", "all lookups", &lookups, &err),
	             0);
	cr_assert_eq(
	    iom_stats_ratio(s, "a.hit_pct", "%", "hit rate", "a.hits", "a.lookups", 100, &err), 0,
	    "%s", err.msg);
	cr_assert_eq(iom_stats_histogram(s, "a.lat", "ps", "walk latency", &lat, &err), 0);
	cr_assert_eq(iom_stats_counter(s, "a.raw", NULL, NULL, &raw, &err), 0);
}

static double get(const struct iom_stats_snap *snap, const char *name)
{
	double v = -1;
	cr_assert_eq(iom_stats_get(s, snap, name, &v), 0, "get %s", name);
	return v;
}

Test(stats, register_and_read_counters_live)
{
	struct iom_err err = {0};
	cr_assert_eq(iom_stats_counter(s, "smmu0.tlb.hits", "lookups", "hits", &hits, &err), 0);
	cr_expect_eq(iom_stats_count(s), 1);
	hits = 41;
	cr_expect_eq(get(NULL, "smmu0.tlb.hits"), 41.0);
	hits++; /* the registry reads the model's field, not a copy */
	cr_expect_eq(get(NULL, "smmu0.tlb.hits"), 42.0);
	double v;
	cr_expect_eq(iom_stats_get(s, NULL, "smmu0.tlb.misses", &v), -IOM_ENOENT);
}

Test(stats, ratio_is_computed_at_read_time_and_zero_on_zero_denominator)
{
	struct iom_err err = {0};
	cr_assert_eq(iom_stats_counter(s, "hits", "", "", &hits, &err), 0);
	cr_assert_eq(iom_stats_counter(s, "lookups", "", "", &lookups, &err), 0);
	cr_assert_eq(iom_stats_ratio(s, "hit_pct", "%", "", "hits", "lookups", 100, &err), 0);
	cr_expect_eq(get(NULL, "hit_pct"), 0.0); /* 0 / 0 -> 0 */
	hits = 3;
	lookups = 4;
	cr_expect_eq(get(NULL, "hit_pct"), 75.0); /* 3 / 4 * 100 */
	lookups = 8;
	cr_expect_eq(get(NULL, "hit_pct"), 37.5); /* 3 / 8 * 100 */
}

Test(stats, histogram_bins_exact_for_sample)
{
	add_sample(&lat);
	cr_expect_eq(lat.count, 6);
	cr_expect_eq(lat.sum, 1010);
	cr_expect_eq(lat.min, 0);
	cr_expect_eq(lat.max, 1000);
	uint64_t want[IOM_HIST_BINS] = {0};
	want[0] = 1;
	want[1] = 1;
	want[2] = 2;
	want[3] = 1;
	want[10] = 1;
	for (int i = 0; i < IOM_HIST_BINS; i++)
		cr_expect_eq(lat.bins[i], want[i], "bin %d: %llu, expected %llu", i,
		             (unsigned long long)lat.bins[i], (unsigned long long)want[i]);
	/* Top of the range lands in bin 64. */
	iom_hist_add(&lat, UINT64_MAX);
	cr_expect_eq(lat.bins[64], 1);
}

Test(stats, percentile_from_bins)
{
	cr_expect_eq(iom_hist_percentile(&lat, 50), 0); /* empty */
	add_sample(&lat);
	/* p50: rank 3; cumulative 1,2,4 -> bin 2 = [2,3] -> 3. */
	cr_expect_eq(iom_hist_percentile(&lat, 50), 3);
	/* p99: rank ceil(5.94) = 6 -> bin 10 = [512,1023] -> clamped to max 1000. */
	cr_expect_eq(iom_hist_percentile(&lat, 99), 1000);
	/* p0: rank 1 -> bin 0 -> 0.  p100: rank 6 -> 1000. */
	cr_expect_eq(iom_hist_percentile(&lat, 0), 0);
	cr_expect_eq(iom_hist_percentile(&lat, 100), 1000);
	/* p60: rank ceil(3.6) = 4 -> still bin 2 -> 3.  p70: rank 5 -> bin 3 -> 7. */
	cr_expect_eq(iom_hist_percentile(&lat, 60), 3);
	cr_expect_eq(iom_hist_percentile(&lat, 70), 7);

	struct iom_hist h;
	iom_hist_init(&h);
	iom_hist_add(&h, 100);
	iom_hist_add(&h, 100);
	/* Both in bin 7 = [64,127]; 127 is clamped to max 100. */
	cr_expect_eq(iom_hist_percentile(&h, 50), 100);
}

Test(stats, snapshot_subtraction_gives_region_of_interest)
{
	struct iom_err err = {0};
	cr_assert_eq(iom_stats_counter(s, "hits", "", "", &hits, &err), 0);
	cr_assert_eq(iom_stats_counter(s, "lookups", "", "", &lookups, &err), 0);
	cr_assert_eq(iom_stats_ratio(s, "rate", "", "", "hits", "lookups", 1, &err), 0);
	cr_assert_eq(iom_stats_histogram(s, "lat", "ps", "", &lat, &err), 0);
	/* Warm-up: 5 hits of 10 lookups, latencies 0 and 1. */
	hits = 5;
	lookups = 10;
	iom_hist_add(&lat, 0);
	iom_hist_add(&lat, 1);
	struct iom_stats_snap *a = iom_stats_snapshot(s);
	cr_assert(a);
	/* Measured region: +9 hits of +10 lookups, latencies 2, 3, 1000. */
	hits = 14;
	lookups = 20;
	iom_hist_add(&lat, 2);
	iom_hist_add(&lat, 3);
	iom_hist_add(&lat, 1000);
	struct iom_stats_snap *b = iom_stats_snapshot(s);
	struct iom_stats_snap *d = iom_stats_snap_sub(b, a);
	cr_assert(b && d);
	hits = 999; /* snapshots are copies: later changes don't show */
	cr_expect_eq(get(a, "hits"), 5.0);
	cr_expect_eq(get(b, "hits"), 14.0);
	cr_expect_eq(get(d, "hits"), 9.0);
	cr_expect_eq(get(d, "lookups"), 10.0);
	cr_expect_eq(get(d, "rate"), 0.9); /* 9 / 10, from the differences */
	cr_expect_eq(get(d, "lat"), 3.0);  /* histograms answer their count */
	cr_expect_eq(get(NULL, "hits"), 999.0);

	/* The region's histogram: 2 -> bin 2, 3 -> bin 2, 1000 -> bin 10, sum 1005. */
	json_t *j = iom_stats_to_json(s, d);
	cr_assert(j);
	json_t *lj = json_object_get(j, "lat");
	cr_expect_eq(json_integer_value(json_object_get(lj, "count")), 3);
	cr_expect_eq(json_integer_value(json_object_get(lj, "sum")), 1005);
	json_t *bins = json_object_get(lj, "bins");
	cr_assert_eq(json_array_size(bins), 2);
	cr_expect_eq(json_integer_value(json_array_get(json_array_get(bins, 0), 2)), 2);
	cr_expect_eq(json_integer_value(json_array_get(json_array_get(bins, 1), 0)), 512);
	json_decref(j);
	iom_stats_snap_free(a);
	iom_stats_snap_free(b);
	iom_stats_snap_free(d);
}

Test(stats, duplicate_name_is_eexist_naming_the_stat)
{
	struct iom_err err = {0};
	cr_assert_eq(iom_stats_counter(s, "smmu0.tlb.hits", "", "", &hits, &err), 0);
	cr_expect_eq(iom_stats_histogram(s, "smmu0.tlb.hits", "", "", &lat, &err), -IOM_EEXIST);
	cr_expect_eq(err.code, IOM_EEXIST);
	cr_expect(strstr(err.msg, "'smmu0.tlb.hits'"), "message: %s", err.msg);
	cr_expect_eq(iom_stats_count(s), 1);
}

Test(stats, bad_registrations_are_rejected_with_codes)
{
	struct iom_err err = {0};
	cr_assert_eq(iom_stats_counter(s, "hits", "", "", &hits, &err), 0);
	cr_expect_eq(iom_stats_ratio(s, "r", "", "", "hits", "nope", 1, &err), -IOM_ENOENT);
	cr_expect(strstr(err.msg, "'nope'"), "message: %s", err.msg);
	cr_expect(strstr(err.msg, "'r'"), "message: %s", err.msg);
	cr_expect_eq(iom_stats_ratio(s, "r", "", "", "gone", "hits", 1, &err), -IOM_ENOENT);
	cr_expect(strstr(err.msg, "'gone'"), "message: %s", err.msg);
	cr_expect_eq(iom_stats_counter(s, "", "", "", &hits, &err), -IOM_EINVAL);
	cr_expect_eq(iom_stats_counter(s, "x", "", "", NULL, &err), -IOM_EINVAL);
	cr_expect(strstr(err.msg, "'x'"), "message: %s", err.msg);
	cr_expect_eq(iom_stats_count(s), 1);
}

Test(stats, many_names_register_and_resolve)
{
	/* 3000 distinct names exercise the hash table growth; each resolves to
	 * its own counter (value i). */
	static uint64_t vals[3000];
	char name[32];
	for (int i = 0; i < 3000; i++) {
		vals[i] = (uint64_t)i;
		snprintf(name, sizeof(name), "blk%d.count", i);
		cr_assert_eq(iom_stats_counter(s, name, "", "", &vals[i], NULL), 0);
	}
	cr_expect_eq(iom_stats_count(s), 3000);
	cr_expect_eq(get(NULL, "blk2999.count"), 2999.0);
	cr_expect_eq(get(NULL, "blk0.count"), 0.0);
	cr_expect_eq(iom_stats_counter(s, "blk1234.count", "", "", &hits, NULL), -IOM_EEXIST);
}

Test(stats, json_fields_in_registration_order)
{
	register_sample();
	json_t *j = iom_stats_to_json(s, NULL);
	cr_assert(j);
	cr_assert_eq(json_object_size(j), 5);

	json_t *h = json_object_get(j, "a.hits");
	cr_assert(json_is_integer(json_object_get(h, "value")));
	cr_expect_eq(json_integer_value(json_object_get(h, "value")), 90);
	cr_expect_str_eq(json_string_value(json_object_get(h, "unit")), "lookups");
	cr_expect_str_eq(json_string_value(json_object_get(h, "desc")), "IOTLB hits");

	json_t *r = json_object_get(j, "a.hit_pct");
	cr_assert(json_is_real(json_object_get(r, "value")));
	cr_expect_eq(json_real_value(json_object_get(r, "value")), 90.0); /* 90/100*100 */
	cr_expect_str_eq(json_string_value(json_object_get(r, "unit")), "%");

	json_t *l = json_object_get(j, "a.lat");
	cr_expect_eq(json_integer_value(json_object_get(l, "count")), 6);
	cr_expect_eq(json_integer_value(json_object_get(l, "sum")), 1010);
	cr_expect_eq(json_integer_value(json_object_get(l, "min")), 0);
	cr_expect_eq(json_integer_value(json_object_get(l, "max")), 1000);
	cr_expect(fabs(json_real_value(json_object_get(l, "mean")) - 1010.0 / 6) < 1e-9);
	cr_expect_eq(json_integer_value(json_object_get(l, "p50")), 3);
	cr_expect_eq(json_integer_value(json_object_get(l, "p99")), 1000);
	cr_expect_str_eq(json_string_value(json_object_get(l, "unit")), "ps");
	cr_expect_str_eq(json_string_value(json_object_get(l, "desc")), "walk latency");
	/* Non-empty bins as [lo, hi, n]: [0,0,1] [1,1,1] [2,3,2] [4,7,1] [512,1023,1]. */
	char *bins = json_dumps(json_object_get(l, "bins"), JSON_COMPACT);
	cr_expect_str_eq(bins, "[[0,0,1],[1,1,1],[2,3,2],[4,7,1],[512,1023,1]]");
	free(bins);

	/* Key order is registration order. */
	const char *order[] = {"a.hits", "a.lookups", "a.hit_pct", "a.lat", "a.raw"};
	size_t i = 0;
	const char *key;
	json_t *val;
	json_object_foreach(j, key, val)
	{
		cr_assert_lt(i, 5);
		cr_expect_str_eq(key, order[i]);
		i++;
	}
	json_decref(j);
}

Test(stats, json_empty_histogram_reports_zeros)
{
	struct iom_err err;
	cr_assert_eq(iom_stats_histogram(s, "lat", "ps", "", &lat, &err), 0);
	json_t *j = iom_stats_to_json(s, NULL);
	json_t *l = json_object_get(j, "lat");
	cr_expect_eq(json_integer_value(json_object_get(l, "count")), 0);
	cr_expect_eq(json_integer_value(json_object_get(l, "min")), 0); /* not UINT64_MAX */
	cr_expect_eq(json_real_value(json_object_get(l, "mean")), 0.0);
	cr_expect_eq(json_array_size(json_object_get(l, "bins")), 0);
	json_decref(j);
}

Test(stats, text_dump_aligned_lines)
{
	register_sample();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cr_assert(f);
	iom_stats_dump_text(s, NULL, f);
	fclose(f);
	/*
	 * Columns: name width 9 ("a.lookups"/"a.hit_pct"), value width 3
	 * ("100"; right-aligned; a histogram's summary is left-aligned and not
	 * counted), unit width 7 ("lookups"); two spaces between columns, then
	 * "# desc".  The ratio 90/100*100 prints as "90" (%g).  Histogram bins
	 * are indented 4, labels padded to the widest label "[512, 1023]" (11).
	 * a.raw has no unit and no description: the line ends after the value.
	 */
	const char *want = "a.hits      90  lookups  # IOTLB hits\n"
	                   "a.lookups  100  lookups  # all lookups\n"
	                   "a.hit_pct   90  %        # hit rate\n"
	                   "a.lat      count=6 mean=168.333 min=0 max=1000 p50=3 p99=1000"
	                   "  ps       # walk latency\n"
	                   "    [0, 0]       1\n"
	                   "    [1, 1]       1\n"
	                   "    [2, 3]       2\n"
	                   "    [4, 7]       1\n"
	                   "    [512, 1023]  1\n"
	                   "a.raw        7\n";
	cr_expect_str_eq(buf, want);
	free(buf);
}

Test(stats, text_dump_of_snapshot_uses_snapshot_values)
{
	struct iom_err err;
	hits = 5;
	cr_assert_eq(iom_stats_counter(s, "hits", "", "", &hits, &err), 0);
	struct iom_stats_snap *snap = iom_stats_snapshot(s);
	hits = 6;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	iom_stats_dump_text(s, snap, f);
	fclose(f);
	cr_expect_str_eq(buf, "hits  5\n"); /* no unit, no desc */
	free(buf);
	iom_stats_snap_free(snap);
}

Test(stats, get_hist_by_name_live_and_from_snapshot)
{
	struct iom_err err;
	cr_assert_eq(iom_stats_histogram(s, "lat", "ps", "", &lat, &err), 0);
	cr_assert_eq(iom_stats_counter(s, "hits", "", "", &hits, &err), 0);
	iom_hist_add(&lat, 5); /* bin 3 = [4, 7] */
	struct iom_stats_snap *snap = iom_stats_snapshot(s);
	iom_hist_add(&lat, 9); /* bin 4 = [8, 15], after the snapshot */
	struct iom_hist out;
	cr_assert_eq(iom_stats_get_hist(s, snap, "lat", &out), 0);
	cr_expect_eq(out.count, 1);
	cr_expect_eq(out.bins[3], 1);
	cr_expect_eq(out.bins[4], 0);
	cr_assert_eq(iom_stats_get_hist(s, NULL, "lat", &out), 0);
	cr_expect_eq(out.count, 2);
	cr_expect_eq(out.sum, 14); /* 5 + 9 */
	cr_expect_eq(out.bins[4], 1);
	/* A counter is not a histogram; an unknown name is unknown. */
	cr_expect_eq(iom_stats_get_hist(s, NULL, "hits", &out), -IOM_ENOENT);
	cr_expect_eq(iom_stats_get_hist(s, NULL, "nope", &out), -IOM_ENOENT);
	iom_stats_snap_free(snap);
}

Test(stats, names_iterate_in_registration_order)
{
	register_sample();
	const char *order[] = {"a.hits", "a.lookups", "a.hit_pct", "a.lat", "a.raw"};
	cr_assert_eq(iom_stats_count(s), 5);
	for (size_t i = 0; i < 5; i++)
		cr_expect_str_eq(iom_stats_name(s, i), order[i]);
	cr_expect_null(iom_stats_name(s, 5));
}
