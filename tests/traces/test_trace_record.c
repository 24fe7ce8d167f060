/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_trace_record.c - trace format v1 record layer: iom_rec_parse field
 * syntax, iom_rec_format canonical output, iom_rec_validate schema checks.
 * Expected values are worked out by hand from docs/trace-format.md (the
 * derivation is in the comment next to each).
 */
#include "trace.h"

#include <criterion/criterion.h>
#include <string.h>

static struct iom_rec parse_ok(const char *line)
{
	struct iom_rec r;
	struct iom_err e = { 0 };
	int rc = iom_rec_parse(line, &r, &e);
	cr_assert_eq(rc, 1, "parse '%s' -> %d: %s", line, rc, e.msg);
	return r;
}

static void parse_bad(const char *line, int code, const char *needle)
{
	struct iom_rec r;
	struct iom_err e = { 0 };
	int rc = iom_rec_parse(line, &r, &e);
	cr_assert_eq(rc, -code, "parse '%s' -> %d (want %d): %s", line, rc, -code, e.msg);
	cr_assert_eq(e.code, code);
	cr_assert(strstr(e.msg, needle), "message '%s' lacks '%s'", e.msg, needle);
}

static void fmt_is(const char *in, const char *want)
{
	struct iom_rec r = parse_ok(in);
	char buf[512];
	int n = iom_rec_format(&r, buf, sizeof(buf));
	cr_assert_str_eq(buf, want);
	cr_assert_eq(n, (int)strlen(want));
}

Test(trace_record, dma_fields_parse_hex_and_suffixes)
{
	/* dev 00:1f.7 = bus 0 << 8 | dev 0x1f << 3 | fn 7 = 0xff;
	 * 4K = 4096; 0x10K = 16 * 1024 = 0x4000 */
	struct iom_rec r = parse_ok("dma dev=00:1f.7 iova=0x10K size=4K dir=w");
	cr_assert_eq(r.kind, IOM_REC_DMA);
	cr_assert_eq(r.dev, 0xffu);
	cr_assert_eq(r.iova, 0x4000u);
	cr_assert_eq(r.size, 4096u);
	cr_assert_eq(r.dir, IOM_DIR_WRITE);
	cr_assert_eq(r.present, IOM_F_DEV | IOM_F_IOVA | IOM_F_SIZE | IOM_F_DIR);
	/* t missing: parser leaves it absent (the reader fills it) */
	cr_assert_eq(r.time_ps, 0u);
}

Test(trace_record, size_suffixes_are_binary_multiples)
{
	/* 2M = 2 * 2^20 = 0x200000; 1G = 2^30 = 0x40000000; 3G = 0xC0000000 */
	struct iom_rec r = parse_ok("map domain=7 iova=2M size=1G pa=3G prot=r pgsize=2M");
	cr_assert_eq(r.iova, 0x200000u);
	cr_assert_eq(r.size, 0x40000000u);
	cr_assert_eq(r.pa, 0xC0000000u);
	cr_assert_eq(r.pgsize, 0x200000u);
	cr_assert_eq(r.domain, 7u);
	cr_assert_eq(r.prot, IOM_PROT_R);
}

Test(trace_record, dev_forms_decode_to_requester_id)
{
	/* 0001:3a:1f.7 = seg 1 << 16 | 0x3a << 8 | 0x1f << 3 | 7 = 0x13aff */
	cr_assert_eq(parse_ok("detach dev=0001:3a:1f.7").dev, 0x13affu);
	/* plain integer 258 = 0x102: bus 1, dev 0, fn 2 */
	cr_assert_eq(parse_ok("detach dev=258").dev, 258u);
	cr_assert_eq(parse_ok("detach dev=0x102").dev, 258u);
	/* ff:00.0 = 0xff00 */
	cr_assert_eq(parse_ok("detach dev=ff:00.0").dev, 0xff00u);
}

Test(trace_record, time_units_convert_to_ps)
{
	/* 5us = 5 * 10^6 ps; bare 7 = 7 ns = 7000 ps; 3ms = 3 * 10^9 ps; 1500ps */
	cr_assert_eq(parse_ok("detach t=5us dev=1").time_ps, 5000000u);
	cr_assert_eq(parse_ok("detach t=7 dev=1").time_ps, 7000u);
	cr_assert_eq(parse_ok("detach t=3ms dev=1").time_ps, 3000000000u);
	cr_assert_eq(parse_ok("detach t=1500ps dev=1").time_ps, 1500u);
	cr_assert_eq(parse_ok("detach t=0x10ns dev=1").time_ps, 16000u);
}

Test(trace_record, canonical_time_is_ns_when_divisible)
{
	/* 2000 ps is 2 ns exactly; 1500 ps is not a whole ns; 5us = 5000 ns */
	fmt_is("detach t=2000ps dev=1", "detach t=2ns dev=00:00.1");
	fmt_is("detach t=1500ps dev=1", "detach t=1500ps dev=00:00.1");
	fmt_is("detach t=5us dev=1", "detach t=5000ns dev=00:00.1");
}

Test(trace_record, canonical_dev_prot_flags_and_field_order)
{
	/* 258 -> bus 01 dev 00 fn 2; segment printed only when non-zero;
	 * prot letters in rwx order; flags in bit order priv,exec; fields in
	 * canonical order whatever the input order */
	fmt_is("dma dir=r flags=exec,priv size=64 iova=4096 dev=258 t=1",
	       "dma t=1ns dev=01:00.2 iova=0x1000 size=0x40 dir=r flags=priv,exec");
	fmt_is("map prot=xwr pa=0 size=4K iova=0 domain=3", "map domain=3 iova=0x0 size=0x1000 pa=0x0 prot=rwx");
	fmt_is("map prot=none pa=0 size=1 iova=0 domain=3", "map domain=3 iova=0x0 size=0x1 pa=0x0 prot=none");
	fmt_is("attach domain=1 pasid=5 dev=0001:3a:1f.7",
	       "attach dev=0001:3a:1f.7 pasid=5 domain=1");
	fmt_is("inval size=1 iova=0 domain=1 op=range", "inval op=range domain=1 iova=0x0 size=0x1");
}

Test(trace_record, format_reports_full_length_when_truncated)
{
	/* "detach dev=00:00.1" is 18 characters; a 5-byte buffer holds 4 + NUL */
	struct iom_rec r = parse_ok("detach dev=1");
	char buf[5];
	cr_assert_eq(iom_rec_format(&r, buf, sizeof(buf)), 18);
	cr_assert_str_eq(buf, "deta");
}

Test(trace_record, blank_and_comment_lines_yield_nothing)
{
	struct iom_rec r;
	struct iom_err e = { 0 };
	cr_assert_eq(iom_rec_parse("", &r, &e), 0);
	cr_assert_eq(iom_rec_parse("   \t", &r, &e), 0);
	cr_assert_eq(iom_rec_parse("# dma dev=1", &r, &e), 0);
	/* a trailing comment ends the record */
	cr_assert_eq(parse_ok("detach dev=3 # gone").dev, 3u);
}

Test(trace_record, pasid_and_name_limits)
{
	/* pasid is 20 bits: 0xfffff is the largest */
	cr_assert_eq(parse_ok("unbind dev=1 pasid=0xfffff").pasid, 0xfffffu);
	parse_bad("unbind dev=1 pasid=0x100000", IOM_ERANGE, "pasid");
	parse_bad("unbind dev=1 pasid=1048576", IOM_ERANGE, "pasid");
	/* 31 characters allowed, 32 not */
	parse_ok("phase op=roi name=abcdefghijklmnopqrstuvwxyz01234");
	parse_bad("phase op=roi name=abcdefghijklmnopqrstuvwxyz012345", IOM_ERANGE, "name");
	parse_bad("phase op=roi name=a/b", IOM_EFORMAT, "name");
}

Test(trace_record, dev_out_of_range_parts)
{
	parse_bad("detach dev=00:02.8", IOM_ERANGE, "function must be 0-7");
	parse_bad("detach dev=00:20.0", IOM_ERANGE, "device must be 00-1f");
	parse_bad("detach dev=100:00.0", IOM_ERANGE, "bus");
	parse_bad("detach dev=0x100000000", IOM_ERANGE, "dev");
	parse_bad("detach dev=00:02", IOM_EFORMAT, "bb:dd.f");
	parse_bad("detach dev=0g:02.0", IOM_EFORMAT, "bb:dd.f");
}

Test(trace_record, numbers_reject_junk_and_overflow)
{
	parse_bad("unmap domain=1 iova=0x10zz size=1", IOM_EFORMAT, "'iova': '0x10zz'");
	parse_bad("unmap domain=1 iova=0x size=1", IOM_EFORMAT, "iova");
	parse_bad("unmap domain=1 iova=12Q size=1", IOM_EFORMAT, "iova");
	parse_bad("unmap domain=one iova=0 size=1", IOM_EFORMAT, "domain");
	/* 2^64 = 18446744073709551616 does not fit; 2^64-1 does */
	parse_bad("unmap domain=1 iova=18446744073709551616 size=1", IOM_ERANGE, "64 bits");
	parse_ok("unmap domain=1 iova=18446744073709551615 size=1");
	parse_bad("unmap domain=1 iova=0x10000000000000000 size=1", IOM_ERANGE, "64 bits");
	/* 2^46 G = 2^76 */
	parse_bad("unmap domain=1 iova=0x400000000000G size=1", IOM_ERANGE, "64 bits");
	/* K suffix only on address/size fields */
	parse_bad("unmap domain=1K iova=0 size=1", IOM_EFORMAT, "domain");
	parse_bad("unmap domain=0x100000000 iova=0 size=1", IOM_ERANGE, "domain");
	parse_bad("detach t=5xs dev=1", IOM_EFORMAT, "ps|ns|us|ms");
	parse_bad("detach t=18446744073709552ns dev=1", IOM_ERANGE, "time");
}

Test(trace_record, size_and_overflow_rules)
{
	/* last byte 0xffffffffffffffff: iova + size - 1 = 2^64 - 1, no overflow */
	parse_ok("unmap domain=1 iova=0xfffffffffffff000 size=0x1000");
	/* one more byte wraps */
	parse_bad("unmap domain=1 iova=0xfffffffffffff000 size=0x1001", IOM_ERANGE, "overflows");
	parse_bad("map domain=1 iova=0 size=0x1001 pa=0xfffffffffffff000 prot=r", IOM_ERANGE,
		  "pa+size-1");
	parse_bad("unmap domain=1 iova=0 size=0", IOM_ERANGE, "size must be >= 1");
	parse_bad("harvest domain=1 iova=0 size=1 pgsize=0x3000", IOM_ERANGE, "power of two");
	parse_bad("harvest domain=1 iova=0 size=1 pgsize=2048", IOM_ERANGE, "power of two");
}

Test(trace_record, schema_errors_name_the_problem)
{
	parse_bad("frob dev=1", IOM_EFORMAT, "unknown record kind 'frob' (kinds: dma domain attach");
	parse_bad("dma dev=1 iova=0 dir=r", IOM_EFORMAT, "dma: missing field 'size'");
	parse_bad("dma dev=1 iova=0 iova=1 size=1 dir=r", IOM_EFORMAT, "dma: duplicate field 'iova'");
	parse_bad("dma dev=1 iova=0 size=1 dir=r pa=0", IOM_EFORMAT,
		  "dma: unknown field 'pa' (allowed: t dev pasid buf iova size dir at flags)");
	parse_bad("dma dev=1 iova=0 size=1 dir=r colour=red", IOM_EFORMAT, "unknown field 'colour'");
	parse_bad("dma dev=1 iova=0 size=1 dir=q", IOM_EFORMAT, "r|w");
	parse_bad("dma dev=1 iova=0 size=1 dir=r at=x", IOM_EFORMAT, "u|treq|t");
	parse_bad("dma dev=1 iova=0 size=1 dir=r flags=noclear", IOM_ERANGE, "flags");
	parse_bad("dma dev=1 iova=0 size=1 dir=r flags=priv,priv", IOM_EFORMAT, "flags");
	parse_bad("dma dev=1 iova=0 size= dir=r", IOM_EFORMAT, "empty value for 'size'");
	parse_bad("dma dev=1 iova", IOM_EFORMAT, "key=value");
	parse_bad("map domain=1 iova=0 size=1 pa=0 prot=rr", IOM_EFORMAT, "prot");
}

Test(trace_record, op_rules_per_kind)
{
	parse_bad("inval op=on", IOM_EFORMAT, "expected all|domain|range|dev|pasid");
	parse_bad("inval op=range domain=1 size=1", IOM_EFORMAT, "op=range: missing field 'iova'");
	parse_bad("inval op=all domain=1", IOM_EFORMAT, "op=all: field 'domain' not allowed");
	parse_bad("inval op=pasid dev=1", IOM_EFORMAT, "missing field 'pasid'");
	parse_bad("domain op=free domain=1 type=paging", IOM_EFORMAT, "only allowed with op=create");
	parse_bad("dirty op=create domain=1", IOM_EFORMAT, "on|off");
	parse_bad("resv dev=1 iova=0 size=1 op=msix", IOM_EFORMAT,
		  "msi|sw_msi|direct|direct_relaxable|reserved");
	struct iom_rec r = parse_ok("resv dev=1 iova=0 size=1 op=direct_relaxable");
	cr_assert_eq(r.op, IOM_OP_DIRECT_RELAXABLE);
	r = parse_ok("domain op=create domain=9 type=identity");
	cr_assert_eq(r.type, IOM_DOM_IDENTITY);
	cr_assert_eq(r.present, IOM_F_OP | IOM_F_DOMAIN | IOM_F_TYPE);
}

Test(trace_record, validate_checks_binary_style_records)
{
	struct iom_err e = { 0 };
	struct iom_rec r = { 0 };
	r.kind = 0;
	cr_assert_eq(iom_rec_validate(&r, &e), -IOM_EFORMAT);
	r.kind = IOM_REC_KIND_MAX;
	cr_assert_eq(iom_rec_validate(&r, &e), -IOM_EFORMAT);
	/* detach with dev only is valid; adding pa is not */
	r.kind = IOM_REC_DETACH;
	r.present = IOM_F_DEV;
	cr_assert_eq(iom_rec_validate(&r, &e), 0);
	r.present |= IOM_F_PA;
	cr_assert_eq(iom_rec_validate(&r, &e), -IOM_EFORMAT);
	cr_assert(strstr(e.msg, "detach: field 'pa' not allowed"), "%s", e.msg);
	/* enum bytes beyond their range */
	r = (struct iom_rec){ .kind = IOM_REC_DMA, .dir = 2,
			      .present = IOM_F_DEV | IOM_F_IOVA | IOM_F_SIZE | IOM_F_DIR, .size = 1 };
	cr_assert_eq(iom_rec_validate(&r, &e), -IOM_ERANGE);
	r.dir = 1;
	r.at = 3;
	r.present |= IOM_F_AT;
	cr_assert_eq(iom_rec_validate(&r, &e), -IOM_ERANGE);
	r.at = 2;
	cr_assert_eq(iom_rec_validate(&r, &e), 0);
	r.present |= 1u << 17; /* no such field */
	cr_assert_eq(iom_rec_validate(&r, &e), -IOM_EFORMAT);
}

Test(trace_record, kind_and_op_names)
{
	cr_assert_str_eq(iom_rec_kind_name(IOM_REC_DMA), "dma");
	cr_assert_str_eq(iom_rec_kind_name(IOM_REC_PHASE), "phase");
	cr_assert_null(iom_rec_kind_name(0));
	cr_assert_null(iom_rec_kind_name(IOM_REC_KIND_MAX));
	cr_assert_str_eq(iom_rec_op_name(IOM_OP_SW_MSI), "sw_msi");
	cr_assert_null(iom_rec_op_name(IOM_OP_MAX));
}
