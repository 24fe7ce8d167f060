/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_config.c - the YAML configuration loader (sim/config.c, config_emit.c).
 *
 * A small property table (struct tcfg) stands in for a model's.  Expected
 * line:column values are counted by hand from the fixture text (1-based,
 * the column of the first character of the key or value); each test states
 * how.  Fixture files live in tests/sim/data/.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DATA IOM_SOURCE_DIR "/tests/sim/data/"

struct tcfg {
	uint32_t ways;
	uint64_t latency;
	bool enabled;
	double ratio;
	uint32_t policy;
	char name[IOM_PROP_STR_MAX];
};

static const char *const policies[] = { "lru", "fifo", "random", NULL };

static const struct iom_prop tprops[] = {
	IOM_PROP_U32_(struct tcfg, ways, 1, 64, "ways", "Associativity."),
	IOM_PROP_U64_(struct tcfg, latency, 0, 1ull << 40, "ps", "Hit latency."),
	IOM_PROP_BOOL_(struct tcfg, enabled, "Whether the cache exists."),
	IOM_PROP_DOUBLE_(struct tcfg, ratio, 0.0, 1.0, "", "Target hit ratio."),
	IOM_PROP_ENUM_(struct tcfg, policy, policies, "Replacement policy."),
	IOM_PROP_STRING_(struct tcfg, name, "Instance name."),
};

static const struct tcfg tdefaults = {
	.ways = 8, .latency = 1000, .enabled = true, .ratio = 0.5, .policy = 0, .name = "tlb",
};

static const struct iom_prop_table ttable = {
	.section = "smmu.tlb", .doc = "Test TLB.", .props = tprops, .nprops = IOM_ARRAY_SIZE(tprops),
	.defaults = &tdefaults, .struct_size = sizeof(struct tcfg),
};

/* A second table with a top-level section, for the multi-table writers. */
struct tmem {
	uint32_t addr_bits;
};
static const struct iom_prop mprops[] = {
	IOM_PROP_U32_(struct tmem, addr_bits, 32, 52, "bits", "Physical address width."),
};
static const struct tmem mdefaults = { .addr_bits = 48 };
static const struct iom_prop_table mtable = {
	.section = "memory", .doc = "Test memory.", .props = mprops, .nprops = 1,
	.defaults = &mdefaults, .struct_size = sizeof(struct tmem),
};

static void assert_defaults(const struct tcfg *t)
{
	cr_assert_eq(t->ways, 8);
	cr_assert_eq(t->latency, 1000);
	cr_assert(t->enabled);
	cr_assert_eq(t->ratio, 0.5);
	cr_assert_eq(t->policy, 0);
	cr_assert_str_eq(t->name, "tlb");
}

static void assert_same(const struct tcfg *a, const struct tcfg *b)
{
	cr_assert_eq(a->ways, b->ways);
	cr_assert_eq(a->latency, b->latency);
	cr_assert_eq(a->enabled, b->enabled);
	cr_assert_eq(a->ratio, b->ratio);
	cr_assert_eq(a->policy, b->policy);
	cr_assert_str_eq(a->name, b->name);
}

#define assert_msg_starts(err, prefix) \
	cr_assert(!strncmp((err).msg, (prefix), strlen(prefix)), "message '%s' does not start with '%s'", (err).msg, (prefix))
#define assert_msg_has(err, part) \
	cr_assert(strstr((err).msg, (part)), "message '%s' does not contain '%s'", (err).msg, (part))

static struct iom_config *load(const char *text)
{
	struct iom_err err = { 0 };
	struct iom_config *c = iom_config_load_string(text, "t.yaml", &err);
	cr_assert_not_null(c, "load failed: %s", err.msg);
	return c;
}

/* Bind ttable at `path` in `text`; expect error `code` whose message starts with `prefix`. */
static void expect_bind_error(const char *text, const char *path, int code, const char *prefix)
{
	struct iom_config *c = load(text);
	struct iom_err err = { 0 };
	struct tcfg t;
	cr_assert_eq(iom_config_bind(c, &ttable, path, &t, &err), -code, "msg: %s", err.msg);
	cr_assert_eq(err.code, code);
	assert_msg_starts(err, prefix);
	iom_config_destroy(c);
}

/* ---- defaults and values ------------------------------------------------- */

Test(config, absent_section_binds_the_defaults)
{
	struct iom_config *c = load("other:\n  x: 1\n");
	struct iom_err err = { 0 };
	struct tcfg t;
	cr_assert_eq(iom_config_bind(c, &ttable, NULL, &t, &err), 0, "%s", err.msg);
	assert_defaults(&t);
	cr_assert_not(iom_config_has(c, "smmu.tlb"));
	cr_assert(iom_config_has(c, "other"));
	iom_config_destroy(c);

	c = iom_config_create_default();
	cr_assert_eq(iom_config_bind(c, &ttable, NULL, &t, &err), 0);
	assert_defaults(&t);
	cr_assert_eq(iom_config_check_unused(c, &err), 0);
	iom_config_destroy(c);
}

Test(config, empty_or_comment_only_document_is_all_defaults)
{
	static const char *const texts[] = { "", "# only a comment\n", "---\n", "smmu:\n  tlb:\n" };
	for (size_t i = 0; i < IOM_ARRAY_SIZE(texts); i++) {
		struct iom_config *c = load(texts[i]);
		struct iom_err err = { 0 };
		struct tcfg t;
		cr_assert_eq(iom_config_bind(c, &ttable, NULL, &t, &err), 0, "%s", err.msg);
		assert_defaults(&t);
		/* "tlb:" with no value names the (empty) bound section: not unknown. */
		cr_assert_eq(iom_config_check_unused(c, &err), 0, "text %zu: %s", i, err.msg);
		iom_config_destroy(c);
	}
}

Test(config, values_parse_hex_suffix_bool_double_enum_string)
{
	struct iom_config *c = load("smmu:\n"
				    "  tlb:\n"
				    "    ways: 0x10\n"
				    "    latency: 4K\n"
				    "    enabled: off\n"
				    "    ratio: 0.25\n"
				    "    policy: fifo\n"
				    "    name: walker\n");
	struct iom_err err = { 0 };
	struct tcfg t;
	cr_assert_eq(iom_config_bind(c, &ttable, NULL, &t, &err), 0, "%s", err.msg);
	cr_assert_eq(t.ways, 16);       /* 0x10 */
	cr_assert_eq(t.latency, 4096);  /* 4K = 4 * 1024 */
	cr_assert_not(t.enabled);       /* off */
	cr_assert_eq(t.ratio, 0.25);
	cr_assert_eq(t.policy, 1);      /* index of "fifo" */
	cr_assert_str_eq(t.name, "walker");
	cr_assert_eq(iom_config_check_unused(c, &err), 0, "%s", err.msg);
	iom_config_destroy(c);
}

Test(config, integers_accept_underscores_binary_and_big_suffixes)
{
	struct {
		const char *text;
		uint64_t latency;
	} cases[] = {
		{ "1_000_000", 1000000 },
		{ "0b101", 5 },
		{ "2M", 2ull << 20 },
		{ "3G", 3ull << 30 },
		{ "1T", 1ull << 40 },        /* the maximum of the range exactly */
		{ "0x1_0000", 65536 },
		{ "'12'", 12 },              /* quoted scalars are read by the type too */
	};
	for (size_t i = 0; i < IOM_ARRAY_SIZE(cases); i++) {
		char text[128];
		snprintf(text, sizeof(text), "smmu:\n  tlb:\n    latency: %s\n", cases[i].text);
		struct iom_config *c = load(text);
		struct iom_err err = { 0 };
		struct tcfg t;
		cr_assert_eq(iom_config_bind(c, &ttable, NULL, &t, &err), 0, "%s: %s", cases[i].text, err.msg);
		cr_assert_eq(t.latency, cases[i].latency, "%s", cases[i].text);
		iom_config_destroy(c);
	}
}

Test(config, bool_accepts_all_spellings)
{
	static const char *const yes[] = { "true", "yes", "on", "1", "True" };
	static const char *const no[] = { "false", "no", "off", "0", "NO" };
	for (size_t i = 0; i < IOM_ARRAY_SIZE(yes); i++) {
		for (int v = 0; v < 2; v++) {
			char text[128];
			snprintf(text, sizeof(text), "smmu:\n  tlb:\n    enabled: %s\n", v ? yes[i] : no[i]);
			struct iom_config *c = load(text);
			struct iom_err err = { 0 };
			struct tcfg t;
			cr_assert_eq(iom_config_bind(c, &ttable, NULL, &t, &err), 0, "%s", err.msg);
			cr_assert_eq(t.enabled, (bool)v, "%s", text);
			iom_config_destroy(c);
		}
	}
}

/* ---- value errors (line 3 is "    KEY: VALUE", key at column 5) ----------- */

Test(config, out_of_range_integer_is_erange_at_value)
{
	/* "    ways: 65": "ways:" is columns 5-9, a space, the value at 11. */
	expect_bind_error("smmu:\n  tlb:\n    ways: 65\n", NULL, IOM_ERANGE,
			  "t.yaml:3:11: key 'smmu.tlb.ways': 65 out of range [1, 64]");
	/* 0 is below the minimum 1. */
	expect_bind_error("smmu:\n  tlb:\n    ways: 0\n", NULL, IOM_ERANGE, "t.yaml:3:11: key 'smmu.tlb.ways': 0 out of range");
	/* "    latency: 2T": value at column 14; 2^41 > max 2^40. */
	expect_bind_error("smmu:\n  tlb:\n    latency: 2T\n", NULL, IOM_ERANGE,
			  "t.yaml:3:14: key 'smmu.tlb.latency': 2T out of range [0, 1099511627776]");
	expect_bind_error("smmu:\n  tlb:\n    latency: -1\n", NULL, IOM_ERANGE, "t.yaml:3:14: key 'smmu.tlb.latency'");
}

Test(config, integer_overflow_is_erange)
{
	/* 2^64 = 18446744073709551616 does not fit; 16777216T = 2^24 * 2^40 = 2^64 neither. */
	expect_bind_error("smmu:\n  tlb:\n    latency: 18446744073709551616\n", NULL, IOM_ERANGE, "t.yaml:3:14:");
	expect_bind_error("smmu:\n  tlb:\n    latency: 16777216T\n", NULL, IOM_ERANGE, "t.yaml:3:14:");
	/* A U32 with a value above 2^32 - 1 is out of its range too. */
	expect_bind_error("smmu:\n  tlb:\n    ways: 4294967296\n", NULL, IOM_ERANGE, "t.yaml:3:11:");
}

Test(config, malformed_integer_is_eformat)
{
	/* "    latency: abc": "latency:" is columns 5-12, the value at 14. */
	expect_bind_error("smmu:\n  tlb:\n    latency: abc\n", NULL, IOM_EFORMAT,
			  "t.yaml:3:14: key 'smmu.tlb.latency': expected an integer in [0, 1099511627776], got 'abc'");
	static const char *const bad[] = { "4k", "1__0", "_1", "1_", "0x", "4KK", "1.5", "" };
	for (size_t i = 0; i < IOM_ARRAY_SIZE(bad); i++) {
		char text[128];
		snprintf(text, sizeof(text), "smmu:\n  tlb:\n    latency: '%s'\n", bad[i]);
		expect_bind_error(text, NULL, IOM_EFORMAT, "t.yaml:3:14: key 'smmu.tlb.latency': expected an integer");
	}
}

Test(config, mapping_where_scalar_expected_is_eformat)
{
	/* "    ways: {a: 1}": the flow mapping starts at column 11. */
	expect_bind_error("smmu:\n  tlb:\n    ways: {a: 1}\n", NULL, IOM_EFORMAT,
			  "t.yaml:3:11: key 'smmu.tlb.ways': expected an integer, got a mapping");
	expect_bind_error("smmu:\n  tlb:\n    name: [a]\n", NULL, IOM_EFORMAT,
			  "t.yaml:3:11: key 'smmu.tlb.name': expected a string, got a sequence");
}

Test(config, bad_bool_double_and_string_values)
{
	/* "    enabled: maybe": value at 14. */
	expect_bind_error("smmu:\n  tlb:\n    enabled: maybe\n", NULL, IOM_EFORMAT,
			  "t.yaml:3:14: key 'smmu.tlb.enabled': expected a boolean");
	/* "    ratio: 1.5": "ratio:" is 5-10, value at 12; 1.5 > dmax 1. */
	expect_bind_error("smmu:\n  tlb:\n    ratio: 1.5\n", NULL, IOM_ERANGE,
			  "t.yaml:3:12: key 'smmu.tlb.ratio': 1.5 out of range [0, 1]");
	expect_bind_error("smmu:\n  tlb:\n    ratio: 0.5x\n", NULL, IOM_EFORMAT,
			  "t.yaml:3:12: key 'smmu.tlb.ratio': expected a number, got '0.5x'");
	expect_bind_error("smmu:\n  tlb:\n    ratio: nan\n", NULL, IOM_ERANGE, "t.yaml:3:12:");
	/* 64 characters do not fit char[64] with its terminator; 63 do. */
	char text[160];
	snprintf(text, sizeof(text), "smmu:\n  tlb:\n    name: %064d\n", 0);
	expect_bind_error(text, NULL, IOM_ERANGE, "t.yaml:3:11: key 'smmu.tlb.name': string of 64 characters");
	snprintf(text, sizeof(text), "smmu:\n  tlb:\n    name: %063d\n", 0);
	struct iom_config *c = load(text);
	struct iom_err err = { 0 };
	struct tcfg t;
	cr_assert_eq(iom_config_bind(c, &ttable, NULL, &t, &err), 0, "%s", err.msg);
	cr_assert_eq(strlen(t.name), 63);
	iom_config_destroy(c);
}

Test(config, enum_bad_choice_lists_the_choices)
{
	/* "    policy: lfu": "policy:" is 5-11, value at 13. */
	expect_bind_error("smmu:\n  tlb:\n    policy: lfu\n", NULL, IOM_EINVAL,
			  "t.yaml:3:13: key 'smmu.tlb.policy': 'lfu' is not one of: lru, fifo, random");
}

/* ---- structure errors ---------------------------------------------------- */

Test(config, section_that_is_not_a_mapping_is_eformat)
{
	/* "  tlb: 5": "tlb:" is 3-6, value at 8. */
	expect_bind_error("smmu:\n  tlb: 5\n", NULL, IOM_EFORMAT, "t.yaml:2:8: 'smmu.tlb' must be a mapping");
	/* "smmu: [1]": the flow sequence at column 7 is where a mapping was needed. */
	expect_bind_error("smmu: [1]\n", NULL, IOM_EFORMAT, "t.yaml:1:7: 'smmu' must be a mapping");
}

Test(config, duplicate_key_reports_the_second)
{
	/* The second "ways" is line 4, column 5; the first is on line 3. */
	struct iom_err err = { 0 };
	struct iom_config *c = iom_config_load_string("smmu:\n  tlb:\n    ways: 4\n    ways: 8\n", "t.yaml", &err);
	cr_assert_null(c);
	cr_assert_eq(err.code, IOM_EFORMAT);
	assert_msg_starts(err, "t.yaml:4:5: duplicate key 'smmu.tlb.ways' (first at line 3)");
}

Test(config, top_level_must_be_a_mapping)
{
	struct iom_err err = { 0 };
	cr_assert_null(iom_config_load_string("- a\n- b\n", "t.yaml", &err));
	cr_assert_eq(err.code, IOM_EFORMAT);
	assert_msg_starts(err, "t.yaml:1:1: top level must be a mapping");
	cr_assert_null(iom_config_load_string("just text\n", "t.yaml", &err));
	cr_assert_eq(err.code, IOM_EFORMAT);
}

Test(config, second_document_is_rejected)
{
	/* The second document's root mapping starts on line 3, column 1. */
	struct iom_err err = { 0 };
	cr_assert_null(iom_config_load_string("a: 1\n---\nb: 2\n", "t.yaml", &err));
	cr_assert_eq(err.code, IOM_EFORMAT);
	assert_msg_starts(err, "t.yaml:3:1: multiple YAML documents are not supported");
}

Test(config, yaml_syntax_error_names_the_position)
{
	/* "a: b: c": a second ':' at column 5 inside a plain value is a syntax
	 * error in block context (libyaml: "mapping values are not allowed"). */
	struct iom_err err = { 0 };
	cr_assert_null(iom_config_load_string("x: 1\na: b: c\n", "t.yaml", &err));
	cr_assert_eq(err.code, IOM_EFORMAT);
	assert_msg_starts(err, "t.yaml:2:5: mapping values are not allowed");

	/* data/syntax_tab.yaml: line 2 starts with a tab (column 1), which YAML
	 * forbids as indentation. */
	const char *path = DATA "syntax_tab.yaml";
	char want[600];
	snprintf(want, sizeof(want), "%s:2:1: found character that cannot start any token", path);
	cr_assert_null(iom_config_load_file(path, &err));
	cr_assert_eq(err.code, IOM_EFORMAT);
	assert_msg_starts(err, want);
}

Test(config, missing_or_unreadable_file_is_eio)
{
	struct iom_err err = { 0 };
	cr_assert_null(iom_config_load_file("/nonexistent/x.yaml", &err));
	cr_assert_eq(err.code, IOM_EIO);
	cr_assert_str_eq(err.msg, "cannot open '/nonexistent/x.yaml': No such file or directory");
	/* A directory opens but cannot be read. */
	cr_assert_null(iom_config_load_file(DATA, &err));
	cr_assert_eq(err.code, IOM_EIO);
	assert_msg_has(err, "Is a directory");
}

Test(config, recursive_alias_is_rejected)
{
	struct iom_err err = { 0 };
	cr_assert_null(iom_config_load_string("a: &x [*x]\n", "t.yaml", &err));
	cr_assert_eq(err.code, IOM_EFORMAT, "%s", err.msg);
	assert_msg_starts(err, "t.yaml:");
}

Test(config, alias_is_a_copy_of_the_anchored_node)
{
	struct iom_config *c = load("base: &b {ways: 4}\nsmmu:\n  tlb: *b\n");
	struct iom_err err = { 0 };
	struct tcfg t;
	cr_assert_eq(iom_config_bind(c, &ttable, NULL, &t, &err), 0, "%s", err.msg);
	cr_assert_eq(t.ways, 4);
	/* The anchor's own section was not bound by anyone: line 1, column 1. */
	cr_assert_eq(iom_config_check_unused(c, &err), -IOM_EINVAL);
	assert_msg_starts(err, "t.yaml:1:1: unknown key 'base'");
	iom_config_destroy(c);
}

/* ---- unused keys --------------------------------------------------------- */

Test(config, unknown_key_found_by_check_unused_with_position)
{
	/* "    wayz: 8" on line 4: key at column 5. */
	struct iom_config *c = load("smmu:\n  tlb:\n    ways: 4\n    wayz: 8\n");
	struct iom_err err = { 0 };
	struct tcfg t;
	cr_assert_eq(iom_config_bind(c, &ttable, NULL, &t, &err), 0, "%s", err.msg);
	cr_assert_eq(t.ways, 4);
	cr_assert_eq(iom_config_check_unused(c, &err), -IOM_EINVAL);
	cr_assert_eq(err.code, IOM_EINVAL);
	assert_msg_starts(err, "t.yaml:4:5: unknown key 'smmu.tlb.wayz' (known keys: ways, latency, enabled, ratio, "
			       "policy, name)");
	iom_config_destroy(c);
}

Test(config, unknown_section_and_sibling_found_by_check_unused)
{
	/* "bogus" at 1:1 is not looked up by anyone. */
	struct iom_config *c = load("bogus:\n  a: 1\nsmmu:\n  tlb:\n    ways: 4\n");
	struct iom_err err = { 0 };
	struct tcfg t;
	cr_assert_eq(iom_config_bind(c, &ttable, NULL, &t, &err), 0);
	cr_assert_eq(iom_config_check_unused(c, &err), -IOM_EINVAL);
	assert_msg_starts(err, "t.yaml:1:1: unknown key 'bogus' (known keys: smmu)");
	iom_config_destroy(c);

	/* A misspelt section inside a visited mapping: "  tlbb:" at 2:3. */
	c = load("smmu:\n  tlbb:\n    ways: 4\n");
	cr_assert_eq(iom_config_bind(c, &ttable, NULL, &t, &err), 0);
	assert_defaults(&t);
	cr_assert_eq(iom_config_check_unused(c, &err), -IOM_EINVAL);
	assert_msg_starts(err, "t.yaml:2:3: unknown key 'smmu.tlbb' (known keys: tlb)");
	iom_config_destroy(c);
}

Test(config, unbound_config_reports_first_key)
{
	struct iom_config *c = load("smmu:\n  tlb:\n    ways: 4\n");
	struct iom_err err = { 0 };
	cr_assert_eq(iom_config_check_unused(c, &err), -IOM_EINVAL);
	assert_msg_starts(err, "t.yaml:1:1: unknown key 'smmu'");
	iom_config_destroy(c);
}

/* ---- --set --------------------------------------------------------------- */

Test(config, set_overrides_and_inserts_values)
{
	struct iom_config *c = load("smmu:\n  tlb:\n    ways: 4\n");
	struct iom_err err = { 0 };
	cr_assert_eq(iom_config_set(c, "smmu.tlb.ways=16", &err), 0, "%s", err.msg);
	cr_assert_eq(iom_config_set(c, " smmu.tlb.latency = 2K ", &err), 0, "%s", err.msg);
	cr_assert_eq(iom_config_set(c, "smmu.tlb.name=\"a b\"", &err), 0, "%s", err.msg);
	cr_assert_eq(iom_config_set(c, "memory.addr_bits=40", &err), 0, "%s", err.msg); /* creates "memory" */
	struct tcfg t;
	struct tmem m;
	cr_assert_eq(iom_config_bind(c, &ttable, NULL, &t, &err), 0, "%s", err.msg);
	cr_assert_eq(t.ways, 16);
	cr_assert_eq(t.latency, 2048); /* 2K */
	cr_assert_str_eq(t.name, "a b");
	cr_assert_eq(iom_config_bind(c, &mtable, NULL, &m, &err), 0, "%s", err.msg);
	cr_assert_eq(m.addr_bits, 40);
	cr_assert_eq(iom_config_check_unused(c, &err), 0, "%s", err.msg);
	iom_config_destroy(c);
}

Test(config, set_on_empty_config_builds_sequences)
{
	struct iom_config *c = iom_config_create_default();
	struct iom_err err = { 0 };
	cr_assert_eq(iom_config_set(c, "devices[0].ways=2", &err), 0, "%s", err.msg);
	cr_assert_eq(iom_config_set(c, "devices[1].ways=3", &err), 0, "%s", err.msg);
	/* Index 5 would leave holes: out of range (the sequence has 2 elements). */
	cr_assert_eq(iom_config_set(c, "devices[5].ways=3", &err), -IOM_ERANGE);
	assert_msg_starts(err, "--set devices[5].ways=3: 'devices[5]': index out of range");
	size_t n;
	cr_assert_eq(iom_config_seq_len(c, "devices", &n, &err), 0);
	cr_assert_eq(n, 2);
	struct tcfg t;
	cr_assert_eq(iom_config_bind(c, &ttable, "devices[1]", &t, &err), 0, "%s", err.msg);
	cr_assert_eq(t.ways, 3);
	iom_config_destroy(c);
}

Test(config, set_rejects_malformed_assignments)
{
	struct iom_config *c = load("smmu:\n  tlb:\n    ways: 4\n");
	struct iom_err err = { 0 };
	cr_assert_eq(iom_config_set(c, "smmu.tlb.ways", &err), -IOM_EINVAL);
	assert_msg_starts(err, "--set smmu.tlb.ways: expected KEY=VALUE");
	cr_assert_eq(iom_config_set(c, "=5", &err), -IOM_EINVAL);
	cr_assert_eq(iom_config_set(c, "smmu..ways=5", &err), -IOM_EINVAL);
	assert_msg_has(err, "bad key path 'smmu..ways'");
	cr_assert_eq(iom_config_set(c, "a[x]=5", &err), -IOM_EINVAL);
	cr_assert_eq(iom_config_set(c, "smmu.tlb.ways=", &err), -IOM_EINVAL);
	assert_msg_has(err, "missing value");
	cr_assert_eq(iom_config_set(c, "smmu.tlb.ways.x=1", &err), -IOM_EFORMAT);
	assert_msg_starts(err, "--set smmu.tlb.ways.x=1: 'smmu.tlb.ways' is not a mapping");
	cr_assert_eq(iom_config_set(c, "smmu[0]=1", &err), -IOM_EFORMAT);
	iom_config_destroy(c);
}

Test(config, set_value_error_names_the_assignment)
{
	struct iom_config *c = load("smmu:\n  tlb:\n    ways: 4\n");
	struct iom_err err = { 0 };
	cr_assert_eq(iom_config_set(c, "smmu.tlb.ways=abc", &err), 0);
	struct tcfg t;
	cr_assert_eq(iom_config_bind(c, &ttable, NULL, &t, &err), -IOM_EFORMAT);
	assert_msg_starts(err, "--set smmu.tlb.ways=abc: key 'smmu.tlb.ways': expected an integer");
	iom_config_destroy(c);

	/* An unknown key inserted by --set is reported by check_unused at the --set. */
	c = load("smmu:\n  tlb:\n    ways: 4\n");
	cr_assert_eq(iom_config_set(c, "smmu.tlb.wayz=8", &err), 0);
	cr_assert_eq(iom_config_bind(c, &ttable, NULL, &t, &err), 0);
	cr_assert_eq(iom_config_check_unused(c, &err), -IOM_EINVAL);
	assert_msg_starts(err, "--set smmu.tlb.wayz=8: unknown key 'smmu.tlb.wayz'");
	iom_config_destroy(c);
}

/* ---- sequences ----------------------------------------------------------- */

Test(config, sequence_elements_bind_by_index)
{
	struct iom_err err = { 0 };
	struct iom_config *c = iom_config_load_file(DATA "devices.yaml", &err);
	cr_assert_not_null(c, "%s", err.msg);
	size_t n = 99;
	cr_assert_eq(iom_config_seq_len(c, "devices", &n, &err), 0, "%s", err.msg);
	cr_assert_eq(n, 2);
	struct tcfg t;
	cr_assert_eq(iom_config_bind(c, &ttable, "devices[1]", &t, &err), 0, "%s", err.msg);
	cr_assert_eq(t.ways, 3);   /* 0x3 */
	cr_assert_eq(t.policy, 2); /* "random" */
	cr_assert_eq(t.latency, 1000);
	cr_assert(iom_config_has(c, "devices[1]"));
	cr_assert_not(iom_config_has(c, "devices[2]"));
	/* devices[0] is not bound yet: its mapping starts at line 3, column 5. */
	cr_assert_eq(iom_config_check_unused(c, &err), -IOM_EINVAL);
	char want[600];
	snprintf(want, sizeof(want), "%s:3:5: unused sequence element 'devices[0]'", DATA "devices.yaml");
	assert_msg_starts(err, want);
	cr_assert_eq(iom_config_bind(c, &ttable, "devices[0]", &t, &err), 0, "%s", err.msg);
	cr_assert_eq(t.ways, 2);
	cr_assert_eq(iom_config_check_unused(c, &err), 0, "%s", err.msg);
	/* Beyond the end: absent, defaults. */
	cr_assert_eq(iom_config_bind(c, &ttable, "devices[2]", &t, &err), 0);
	assert_defaults(&t);
	iom_config_destroy(c);
}

Test(config, sequence_shape_errors)
{
	struct iom_config *c = load("devices:\n  a: 1\nnone: 3\n");
	struct iom_err err = { 0 };
	size_t n = 99;
	/* "  a: 1": the mapping value of "devices" starts at 2:3. */
	cr_assert_eq(iom_config_seq_len(c, "devices", &n, &err), -IOM_EFORMAT);
	assert_msg_starts(err, "t.yaml:2:3: 'devices' must be a sequence");
	struct tcfg t;
	cr_assert_eq(iom_config_bind(c, &ttable, "devices[0]", &t, &err), -IOM_EFORMAT);
	assert_msg_starts(err, "t.yaml:2:3: 'devices' must be a sequence");
	cr_assert_eq(iom_config_seq_len(c, "absent", &n, &err), 0);
	cr_assert_eq(n, 0);
	cr_assert_eq(iom_config_bind(c, &ttable, "bad path", &t, &err), 0); /* a plain key with a space */
	cr_assert_eq(iom_config_bind(c, &ttable, "a..b", &t, &err), -IOM_EINVAL);
	iom_config_destroy(c);
}

/* ---- resolved output ----------------------------------------------------- */

static const char *const round_trip_text = "smmu:\n"
					   "  tlb:\n"
					   "    ways: 0x20\n"
					   "    ratio: 0.1\n"
					   "    policy: random\n"
					   "    name: \"q\\\"u\\tote\"\n" /* YAML escapes: q"u<TAB>ote */
					   "devices:\n"
					   "  - ways: 2\n"
					   "  - latency: 1M\n"
					   "    enabled: no\n";

/* Bind smmu.tlb, devices[1] (not [0]) and memory; return the structs. */
static void bind_all(struct iom_config *c, struct tcfg *tlb, struct tcfg *dev1, struct tmem *mem)
{
	struct iom_err err = { 0 };
	cr_assert_eq(iom_config_bind(c, &ttable, NULL, tlb, &err), 0, "%s", err.msg);
	cr_assert_eq(iom_config_bind(c, &ttable, "devices[1]", dev1, &err), 0, "%s", err.msg);
	cr_assert_eq(iom_config_bind(c, &mtable, NULL, mem, &err), 0, "%s", err.msg);
}

Test(config, resolved_json_holds_every_bound_value_in_table_order)
{
	struct iom_config *c = load(round_trip_text);
	struct tcfg tlb, dev1;
	struct tmem mem;
	bind_all(c, &tlb, &dev1, &mem);
	json_t *j = iom_config_resolved_json(c);
	cr_assert(json_is_object(j));
	cr_assert_eq(json_object_size(j), 3);
	json_t *s = json_object_get(j, "smmu.tlb");
	cr_assert_eq(json_integer_value(json_object_get(s, "ways")), 32);
	cr_assert_eq(json_integer_value(json_object_get(s, "latency")), 1000); /* default */
	cr_assert(json_is_true(json_object_get(s, "enabled")));
	cr_assert(json_is_real(json_object_get(s, "ratio")));
	cr_assert_eq(json_real_value(json_object_get(s, "ratio")), 0.1);
	cr_assert_str_eq(json_string_value(json_object_get(s, "policy")), "random");
	cr_assert_str_eq(json_string_value(json_object_get(s, "name")), "q\"u\tote");
	/* Keys in table order. */
	const char *key;
	json_t *v;
	size_t i = 0;
	json_object_foreach(s, key, v) cr_assert_str_eq(key, tprops[i++].name);
	cr_assert_eq(i, IOM_ARRAY_SIZE(tprops));
	json_t *d = json_object_get(j, "devices[1]");
	cr_assert_eq(json_integer_value(json_object_get(d, "latency")), 1 << 20);
	cr_assert(json_is_false(json_object_get(d, "enabled")));
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "memory"), "addr_bits")), 48);
	json_decref(j);
	iom_config_destroy(c);
}

Test(config, resolved_yaml_loads_back_to_the_same_config)
{
	struct iom_config *c = load(round_trip_text);
	struct tcfg tlb, dev1, tlb2, dev12;
	struct tmem mem, mem2;
	bind_all(c, &tlb, &dev1, &mem);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	iom_config_write_resolved_yaml(c, f);
	fclose(f);

	struct iom_err err = { 0 };
	struct iom_config *c2 = iom_config_load_string(buf, "resolved.yaml", &err);
	cr_assert_not_null(c2, "%s\n%s", err.msg, buf);
	bind_all(c2, &tlb2, &dev12, &mem2);
	assert_same(&tlb, &tlb2);
	assert_same(&dev1, &dev12);
	cr_assert_eq(mem.addr_bits, mem2.addr_bits);
	json_t *j1 = iom_config_resolved_json(c), *j2 = iom_config_resolved_json(c2);
	cr_assert(json_equal(j1, j2), "%s", buf);
	/* devices[0] was written as an empty mapping placeholder; binding it
	 * gives the defaults, and then nothing is left unused. */
	struct tcfg dev0;
	cr_assert_eq(iom_config_bind(c2, &ttable, "devices[0]", &dev0, &err), 0, "%s", err.msg);
	assert_defaults(&dev0);
	cr_assert_eq(iom_config_check_unused(c2, &err), 0, "%s\n%s", err.msg, buf);
	json_decref(j1);
	json_decref(j2);
	iom_config_destroy(c2);
	iom_config_destroy(c);
	free(buf);
}

Test(config, resolved_u64_above_int64_round_trips)
{
	/* UINT64_MAX does not fit a JSON integer: it is kept as a hex string. */
	static const struct iom_prop p[] = {
		IOM_PROP_U64_(struct tcfg, latency, 0, UINT64_MAX, "ps", "Big."),
	};
	struct iom_prop_table big = ttable;
	big.props = p;
	big.nprops = 1;
	big.section = "big";
	struct iom_config *c = load("big:\n  latency: 0xffff_ffff_ffff_ffff\n");
	struct iom_err err = { 0 };
	struct tcfg t, t2;
	cr_assert_eq(iom_config_bind(c, &big, NULL, &t, &err), 0, "%s", err.msg);
	cr_assert_eq(t.latency, UINT64_MAX);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	iom_config_write_resolved_yaml(c, f);
	fclose(f);
	struct iom_config *c2 = iom_config_load_string(buf, "r.yaml", &err);
	cr_assert_not_null(c2, "%s", err.msg);
	cr_assert_eq(iom_config_bind(c2, &big, NULL, &t2, &err), 0, "%s\n%s", err.msg, buf);
	cr_assert_eq(t2.latency, UINT64_MAX);
	iom_config_destroy(c2);
	iom_config_destroy(c);
	free(buf);
}

/* ---- documentation writers ----------------------------------------------- */

Test(config, defaults_yaml_is_commented_and_loads_back_to_the_defaults)
{
	const struct iom_prop_table *tables[] = { &mtable, &ttable };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	iom_config_write_defaults_yaml(tables, 2, f);
	fclose(f);
	cr_assert(strstr(buf, "# Test TLB.\n"), "%s", buf);
	cr_assert(strstr(buf, "# Associativity.\n"), "%s", buf);
	cr_assert(strstr(buf, "# u32, [1, 64], unit: ways\n"), "%s", buf);
	cr_assert(strstr(buf, "# enum, lru | fifo | random\n"), "%s", buf);
	cr_assert(strstr(buf, "\n  tlb:\n"), "section path nested: %s", buf);
	struct iom_err err = { 0 };
	struct iom_config *c = iom_config_load_string(buf, "defaults.yaml", &err);
	cr_assert_not_null(c, "%s\n%s", err.msg, buf);
	struct tcfg t;
	struct tmem m;
	cr_assert_eq(iom_config_bind(c, &ttable, NULL, &t, &err), 0, "%s", err.msg);
	assert_defaults(&t);
	cr_assert_eq(iom_config_bind(c, &mtable, NULL, &m, &err), 0, "%s", err.msg);
	cr_assert_eq(m.addr_bits, 48);
	cr_assert_eq(iom_config_check_unused(c, &err), 0, "%s\n%s", err.msg, buf);
	iom_config_destroy(c);
	free(buf);
}

Test(config, reference_md_has_one_section_and_row_per_key)
{
	const struct iom_prop_table *tables[] = { &mtable, &ttable };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	iom_config_write_reference_md(tables, 2, f);
	fclose(f);
	cr_assert(strstr(buf, "## memory\n\nTest memory.\n"), "%s", buf);
	cr_assert(strstr(buf, "## smmu.tlb\n\nTest TLB.\n"), "%s", buf);
	cr_assert(strstr(buf, "| key | type | default | range/choices | unit | description |\n"), "%s", buf);
	cr_assert(strstr(buf, "| `ways` | u32 | 8 | [1, 64] | ways | Associativity. |\n"), "%s", buf);
	cr_assert(strstr(buf, "| `policy` | enum | `lru` | lru \\| fifo \\| random |  | Replacement policy. |\n"),
		  "%s", buf);
	cr_assert(strstr(buf, "| `addr_bits` | u32 | 48 | [32, 52] | bits | Physical address width. |\n"), "%s", buf);
	free(buf);
}
