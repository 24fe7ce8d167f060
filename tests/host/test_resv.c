/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_resv.c - reserved regions and usable IOVA lists (models/host/resv.h).
 *
 * Expected values come from algorithms-reference.md: the worked IOVA lists
 * and MAP_DMA probes of Appendix A.2, the merge rule of 5.2 (sorted by start
 * then type; one type merged when a region starts at or before the previous
 * one's last + 1; types never merged), the VFIO list and MAP_DMA order of
 * 5.3, iommufd's of 5.4 (errnos checked against io_pagetable.c:
 * iopt_check_iova, iopt_reserve_iova, iopt_unmap_iova_range), and the three
 * device-limit policies of 5.5.  Each list below is derived in its comment.
 */
#include <criterion/criterion.h>

#include "config.h"
#include "groups.h"
#include "pcie_config.h"
#include "resv.h"
#include "trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AP48    ((1ull << 48) - 1)
#define SWMSI_S 0x8000000ull
#define SWMSI_L 0x80fffffull

static struct iom_err err;

static void expect_ranges(const struct iom_resv_ranges *r, const uint64_t (*want)[2], uint32_t n)
{
	cr_assert_eq(r->n, n, "%u ranges, expected %u", r->n, n);
	for (uint32_t i = 0; i < n; i++) {
		cr_expect_eq(r->v[i].start, want[i][0], "range %u start %#llx, expected %#llx", i,
		             (unsigned long long)r->v[i].start, (unsigned long long)want[i][0]);
		cr_expect_eq(r->v[i].last, want[i][1], "range %u last %#llx, expected %#llx", i,
		             (unsigned long long)r->v[i].last, (unsigned long long)want[i][1]);
	}
}

static void expect_region(const struct iom_resv_list *l, uint32_t i, uint64_t s, uint64_t e,
                          unsigned type)
{
	cr_assert_lt(i, l->n);
	cr_expect_eq(l->v[i].start, s, "region %u start %#llx", i,
	             (unsigned long long)l->v[i].start);
	cr_expect_eq(l->v[i].last, e, "region %u last %#llx", i, (unsigned long long)l->v[i].last);
	cr_expect_eq(l->v[i].type, type, "region %u type %s", i, iom_resv_type_name(l->v[i].type));
}

static void ins(struct iom_resv_list *l, uint64_t s, uint64_t e, unsigned type)
{
	cr_assert_eq(iom_resv_insert(l, s, e, type, IOM_RESV_SRC_CONFIG, &err), 0, "%s", err.msg);
}

/* ---- merging (reference 5.2) ---------------------------------------------- */

TestSuite(resv_merge);

Test(resv_merge, touching_regions_of_one_type_merge)
{
	/* [0x1000, 0x1fff] and [0x2000, 0x2fff]: 0x2000 <= 0x1fff + 1 -> one region */
	struct iom_resv_list l = {0};
	ins(&l, 0x2000, 0x2fff, IOM_RESV_RESERVED);
	ins(&l, 0x1000, 0x1fff, IOM_RESV_RESERVED);
	cr_assert_eq(l.n, 1);
	expect_region(&l, 0, 0x1000, 0x2fff, IOM_RESV_RESERVED);
	/* a gap of one byte keeps them apart: 0x4001 > 0x2fff + 1 */
	ins(&l, 0x4001, 0x4fff, IOM_RESV_RESERVED);
	cr_expect_eq(l.n, 2);
	iom_resv_list_fini(&l);
}

Test(resv_merge, nested_and_overlapping_regions_merge_to_the_hull)
{
	struct iom_resv_list l = {0};
	ins(&l, 0x1000, 0x8fff, IOM_RESV_MSI);
	ins(&l, 0x2000, 0x2fff, IOM_RESV_MSI); /* nested: swallowed */
	cr_assert_eq(l.n, 1);
	expect_region(&l, 0, 0x1000, 0x8fff, IOM_RESV_MSI);
	ins(&l, 0x8000, 0x9fff, IOM_RESV_MSI); /* overlapping the end: extends it */
	cr_assert_eq(l.n, 1);
	expect_region(&l, 0, 0x1000, 0x9fff, IOM_RESV_MSI);
	iom_resv_list_fini(&l);
}

Test(resv_merge, different_types_are_never_merged_and_sort_by_type_on_a_tie)
{
	/* direct (0) and reserved (2) at the same start: both kept, direct first */
	struct iom_resv_list l = {0};
	ins(&l, 0x1000, 0x1fff, IOM_RESV_RESERVED);
	ins(&l, 0x1000, 0x3fff, IOM_RESV_DIRECT);
	ins(&l, 0x2000, 0x2fff, IOM_RESV_MSI); /* overlaps both, merged with neither */
	cr_assert_eq(l.n, 3);
	expect_region(&l, 0, 0x1000, 0x3fff, IOM_RESV_DIRECT);
	expect_region(&l, 1, 0x1000, 0x1fff, IOM_RESV_RESERVED);
	expect_region(&l, 2, 0x2000, 0x2fff, IOM_RESV_MSI);
	iom_resv_list_fini(&l);
}

Test(resv_merge, one_type_merges_across_a_region_of_another_type)
{
	/* sorted: R[0x1000,0x1fff] M[0x1800,0x18ff] R[0x2000,0x2fff]: the merge looks
	 * for the last region of the same type, so the two R merge around M */
	struct iom_resv_list l = {0};
	ins(&l, 0x1000, 0x1fff, IOM_RESV_RESERVED);
	ins(&l, 0x1800, 0x18ff, IOM_RESV_MSI);
	ins(&l, 0x2000, 0x2fff, IOM_RESV_RESERVED);
	cr_assert_eq(l.n, 2);
	expect_region(&l, 0, 0x1000, 0x2fff, IOM_RESV_RESERVED);
	expect_region(&l, 1, 0x1800, 0x18ff, IOM_RESV_MSI);
	iom_resv_list_fini(&l);
}

Test(resv_merge, a_region_ending_at_2_pow_64_minus_1_merges_without_wrapping)
{
	/* last + 1 of [X, 2^64 - 1] would wrap to 0 (the bug the 2020 RFC fixed):
	 * a region starting inside or right after must still merge */
	struct iom_resv_list l = {0};
	ins(&l, 1ull << 42, UINT64_MAX, IOM_RESV_RESERVED);
	ins(&l, 1ull << 48, UINT64_MAX, IOM_RESV_RESERVED);             /* nested, same end */
	ins(&l, 0x3ff00000000ull, (1ull << 42) - 1, IOM_RESV_RESERVED); /* touches from below */
	cr_assert_eq(l.n, 1);
	expect_region(&l, 0, 0x3ff00000000ull, UINT64_MAX, IOM_RESV_RESERVED);
	/* the whole address space, and a region inside it */
	struct iom_resv_list all = {0};
	ins(&all, 0, UINT64_MAX, IOM_RESV_RESERVED);
	ins(&all, 0x1000, 0x1fff, IOM_RESV_RESERVED);
	cr_assert_eq(all.n, 1);
	expect_region(&all, 0, 0, UINT64_MAX, IOM_RESV_RESERVED);
	iom_resv_list_fini(&l);
	iom_resv_list_fini(&all);
}

Test(resv_merge, an_inverted_region_is_an_error)
{
	struct iom_resv_list l = {0};
	cr_expect_eq(iom_resv_insert(&l, 0x2000, 0x1fff, IOM_RESV_MSI, 0, &err), -IOM_EINVAL);
	cr_expect_eq(l.n, 0);
	iom_resv_list_fini(&l);
}

Test(resv_merge, sysfs_lines_use_the_kernel_format_and_names)
{
	/* "0x%016llx 0x%016llx %s", SW_MSI printed as "msi" */
	struct iom_resv_list l = {0};
	ins(&l, SWMSI_S, SWMSI_L, IOM_RESV_SW_MSI);
	ins(&l, 0x7a000000, 0x7a0fffff, IOM_RESV_DIRECT_RELAXABLE);
	char buf[256] = {0};
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	iom_resv_print_sysfs(&l, f);
	fclose(f);
	cr_expect_str_eq(buf, "0x0000000008000000 0x00000000080fffff msi\n"
	                      "0x000000007a000000 0x000000007a0fffff direct-relaxable\n");
	iom_resv_list_fini(&l);
}

/* ---- Appendix A.2: the worked IOVA lists --------------------------------- */

TestSuite(resv_lists);

static void usable(const struct iom_resv_list *l, uint64_t ap_last, struct iom_resv_ranges *r)
{
	cr_assert_eq(iom_resv_usable(l, 0, ap_last, r, &err), 0, "%s", err.msg);
}

Test(resv_lists, smmuv3_48_bit_with_the_sw_msi_window)
{
	struct iom_resv_db *db = iom_resv_db_create(NULL, IOM_RESV_IOMMU_SMMUV3, NULL, &err);
	struct iom_resv_list l = {0};
	struct iom_resv_ranges r = {0};
	cr_assert_eq(iom_resv_dev_regions(db, 0x100, 0, AP48, 0, &l, &err), 0);
	cr_assert_eq(l.n, 1);
	expect_region(&l, 0, SWMSI_S, SWMSI_L, IOM_RESV_SW_MSI);
	usable(&l, AP48, &r);
	const uint64_t want[][2] = {{0, 0x7ffffff}, {0x8100000, 0xffffffffffff}};
	expect_ranges(&r, want, 2);
	iom_resv_ranges_fini(&r);
	iom_resv_list_fini(&l);
	iom_resv_db_destroy(db);
}

Test(resv_lists, vtd_4_level_with_the_interrupt_range)
{
	struct iom_resv_db *db = iom_resv_db_create(NULL, IOM_RESV_IOMMU_VTD, NULL, &err);
	struct iom_resv_list l = {0};
	struct iom_resv_ranges r = {0};
	cr_assert_eq(iom_resv_dev_regions(db, 0x100, 0, AP48, 0, &l, &err), 0);
	expect_region(&l, 0, 0xfee00000, 0xfeefffff, IOM_RESV_MSI);
	usable(&l, AP48, &r);
	const uint64_t want[][2] = {{0, 0xfedfffff}, {0xfef00000, 0xffffffffffff}};
	expect_ranges(&r, want, 2);
	iom_resv_ranges_fini(&r);
	iom_resv_list_fini(&l);
	iom_resv_db_destroy(db);
}

Test(resv_lists, vtd_usb_controller_with_a_relaxable_rmrr_keeps_it_usable)
{
	/* RMRR [0x7a000000, 0x7a0fffff] is direct-relaxable: VFIO ignores it */
	struct iom_resv_db *db = iom_resv_db_create(NULL, IOM_RESV_IOMMU_VTD, NULL, &err);
	cr_assert_eq(iom_resv_db_add(db, 0x100, 0x7a000000, 0x7a0fffff, IOM_RESV_DIRECT_RELAXABLE,
	                             IOM_RESV_SRC_FIRMWARE, &err),
	             0);
	struct iom_resv_list l = {0};
	struct iom_resv_ranges r = {0};
	cr_assert_eq(iom_resv_dev_regions(db, 0x100, 0, AP48, 0, &l, &err), 0);
	cr_assert_eq(l.n, 2); /* reported in sysfs all the same */
	usable(&l, AP48, &r);
	const uint64_t want[][2] = {{0, 0xfedfffff}, {0xfef00000, 0xffffffffffff}};
	expect_ranges(&r, want, 2);
	struct iom_resv_uapi *u =
	    iom_resv_uapi_create(IOM_RESV_UAPI_VFIO, 65535, 0, AP48, 4096, &err);
	struct iom_resv_outcome o;
	cr_assert_eq(iom_resv_uapi_attach(u, 1, &l, UINT64_MAX, &o, &err), 0);
	cr_expect_eq(o.err, 0, "%s", o.msg);
	iom_resv_uapi_destroy(u);
	iom_resv_ranges_fini(&r);
	iom_resv_list_fini(&l);
	iom_resv_db_destroy(db);
}

Test(resv_lists, vtd_nic_with_a_non_relaxable_rmrr_is_refused)
{
	/* require_direct: the group cannot be claimed -> -EINVAL, by VFIO and iommufd */
	struct iom_resv_list l = {0};
	ins(&l, 0xfee00000, 0xfeefffff, IOM_RESV_MSI);
	ins(&l, 0x7b000000, 0x7b0fffff, IOM_RESV_DIRECT);
	unsigned kinds[] = {IOM_RESV_UAPI_VFIO, IOM_RESV_UAPI_IOMMUFD};
	for (unsigned k = 0; k < 2; k++) {
		struct iom_resv_uapi *u =
		    iom_resv_uapi_create(kinds[k], 65535, 0, AP48, 4096, &err);
		struct iom_resv_outcome o;
		cr_assert_eq(iom_resv_uapi_attach(u, 7, &l, UINT64_MAX, &o, &err), 0);
		cr_expect_eq(o.err, -IOM_RESV_EINVAL);
		cr_expect(o.reserved);
		cr_expect_not(iom_resv_uapi_has_group(u, 7));
		cr_expect(strstr(o.msg, "require_direct") != NULL, "%s", o.msg);
		iom_resv_uapi_destroy(u);
	}
	iom_resv_list_fini(&l);
}

Test(resv_lists, amd_three_ranges_around_both_holes)
{
	/* msi [0xfee00000, 0xfeefffff], reserved HT [0xfd00000000, 0xffffffffff]:
	 * [0, 0xfedfffff], [0xfef00000, 0xfcffffffff], [0x10000000000, aperture end] */
	struct iom_resv_db *d0 = iom_resv_db_create(NULL, 0, NULL, &err);
	struct iom_resv_cfg c = *iom_resv_db_cfg(d0);
	iom_resv_db_destroy(d0);
	c.msi = IOM_RESV_MSI_X86;
	c.ht_hole = true;
	struct iom_resv_db *db = iom_resv_db_create(&c, IOM_RESV_IOMMU_VTD, NULL, &err);
	struct iom_resv_list l = {0};
	struct iom_resv_ranges r = {0};
	cr_assert_eq(iom_resv_dev_regions(db, 0x100, 0, AP48, 0, &l, &err), 0);
	usable(&l, AP48, &r);
	const uint64_t want[][2] = {
	    {0, 0xfedfffff}, {0xfef00000, 0xfcffffffffull}, {0x10000000000ull, AP48}};
	expect_ranges(&r, want, 3);
	iom_resv_ranges_fini(&r);
	iom_resv_list_fini(&l);
	iom_resv_db_destroy(db);
}

Test(resv_lists, a_region_outside_the_aperture_leaves_it_whole_and_clip_cuts_at_a_limit)
{
	struct iom_resv_list l = {0};
	struct iom_resv_ranges r = {0};
	ins(&l, 1ull << 50, (1ull << 50) + 0xfff, IOM_RESV_RESERVED);
	usable(&l, AP48, &r);
	const uint64_t whole[][2] = {{0, AP48}};
	expect_ranges(&r, whole, 1);
	ins(&l, 0, 0xfff, IOM_RESV_RESERVED); /* cuts the start of the only node */
	usable(&l, AP48, &r);
	iom_resv_ranges_clip(&r, (1ull << 42) - 1);
	const uint64_t clipped[][2] = {{0x1000, (1ull << 42) - 1}};
	expect_ranges(&r, clipped, 1);
	iom_resv_ranges_fini(&r);
	iom_resv_list_fini(&l);
}

/* ---- MAP_DMA probes (A.2) and every map error ---------------------------- */

TestSuite(resv_map);

/* A VFIO container on the SMMUv3 list of A.2, one group attached. */
static struct iom_resv_uapi *smmu_container(unsigned kind, uint32_t limit)
{
	struct iom_resv_list l = {0};
	ins(&l, SWMSI_S, SWMSI_L, IOM_RESV_SW_MSI);
	struct iom_resv_uapi *u = iom_resv_uapi_create(kind, limit, 0, AP48, 4096, &err);
	cr_assert_not_null(u, "%s", err.msg);
	struct iom_resv_outcome o;
	cr_assert_eq(iom_resv_uapi_attach(u, 1, &l, UINT64_MAX, &o, &err), 0);
	cr_assert_eq(o.err, 0, "%s", o.msg);
	iom_resv_list_fini(&l);
	return u;
}

static int map(struct iom_resv_uapi *u, uint64_t iova, uint64_t size, struct iom_resv_outcome *o)
{
	cr_assert_eq(iom_resv_uapi_map(u, iova, size, IOM_PROT_R | IOM_PROT_W, o, &err), 0);
	return o->err;
}

Test(resv_map, straddling_the_node_boundary_is_einval)
{
	/* [0x7fff000, +0x2000) ends at 0x8000fff: across the end of [0, 0x7ffffff] */
	struct iom_resv_uapi *u = smmu_container(IOM_RESV_UAPI_VFIO, 65535);
	struct iom_resv_outcome o;
	cr_expect_eq(map(u, 0x7fff000, 0x2000, &o), -IOM_RESV_EINVAL);
	cr_expect(o.reserved);
	cr_expect_eq(iom_resv_uapi_mappings(u), 0);
	iom_resv_uapi_destroy(u);
}

Test(resv_map, inside_the_sw_msi_window_is_einval)
{
	struct iom_resv_uapi *u = smmu_container(IOM_RESV_UAPI_VFIO, 65535);
	struct iom_resv_outcome o;
	cr_expect_eq(map(u, 0x8000000, 0x1000, &o), -IOM_RESV_EINVAL);
	cr_expect(strstr(o.msg, "sw_msi") != NULL, "%s", o.msg);
	/* just below and just above are usable */
	cr_expect_eq(map(u, 0x7fff000, 0x1000, &o), 0);
	cr_expect_eq(map(u, 0x8100000, 0x1000, &o), 0);
	iom_resv_uapi_destroy(u);
}

Test(resv_map, a_second_identical_map_is_eexist)
{
	struct iom_resv_uapi *u = smmu_container(IOM_RESV_UAPI_VFIO, 65535);
	struct iom_resv_outcome o;
	cr_expect_eq(map(u, 0x100000, 0x1000, &o), 0);
	cr_expect_eq(map(u, 0x100000, 0x1000, &o), -IOM_RESV_EEXIST);
	cr_expect_not(o.reserved);
	/* a partial overlap too: [0xff000, +0x2000) meets [0x100000, 0x100fff] */
	cr_expect_eq(map(u, 0xff000, 0x2000, &o), -IOM_RESV_EEXIST);
	iom_resv_uapi_destroy(u);
}

Test(resv_map, the_65536th_concurrent_mapping_with_the_default_limit_is_enospc)
{
	/* dma_entry_limit 65535: 65535 mappings succeed, the next fails; an unmap
	 * frees an entry */
	struct iom_resv_uapi *u = smmu_container(IOM_RESV_UAPI_VFIO, 65535);
	struct iom_resv_outcome o;
	for (uint64_t i = 0; i < 65535; i++)
		cr_assert_eq(map(u, 0x100000000ull + i * 0x1000, 0x1000, &o), 0, "map %llu: %s",
		             (unsigned long long)i, o.msg);
	cr_expect_eq(iom_resv_uapi_dma_avail(u), 0);
	cr_expect_eq(map(u, 0x200000000ull, 0x1000, &o), -IOM_RESV_ENOSPC);
	/* -EEXIST is checked before -ENOSPC */
	cr_expect_eq(map(u, 0x100000000ull, 0x1000, &o), -IOM_RESV_EEXIST);
	uint64_t un;
	cr_assert_eq(iom_resv_uapi_unmap(u, 0x100000000ull, 0x1000, &un, &o, &err), 0);
	cr_expect_eq(o.err, 0);
	cr_expect_eq(un, 0x1000);
	cr_expect_eq(map(u, 0x200000000ull, 0x1000, &o), 0);
	iom_resv_uapi_destroy(u);
}

Test(resv_map, misaligned_iova_or_size_is_einval)
{
	struct iom_resv_uapi *u = smmu_container(IOM_RESV_UAPI_VFIO, 65535);
	struct iom_resv_outcome o;
	cr_expect_eq(map(u, 0x100800, 0x1000, &o), -IOM_RESV_EINVAL);
	cr_expect_eq(map(u, 0x100000, 0x800, &o), -IOM_RESV_EINVAL);
	cr_expect_not(o.reserved);
	cr_expect_eq(iom_resv_uapi_map(u, 0x100000, 0x1000, 0, &o, &err), 0); /* no R/W */
	cr_expect_eq(o.err, -IOM_RESV_EINVAL);
	iom_resv_uapi_destroy(u);
}

Test(resv_map, a_range_that_wraps_is_einval_for_vfio_and_eoverflow_for_iommufd)
{
	struct iom_resv_uapi *v = smmu_container(IOM_RESV_UAPI_VFIO, 65535);
	struct iom_resv_uapi *f = smmu_container(IOM_RESV_UAPI_IOMMUFD, 65535);
	struct iom_resv_outcome o;
	cr_expect_eq(map(v, 0xfffffffffffff000ull, 0x2000, &o), -IOM_RESV_EINVAL);
	cr_expect_eq(map(f, 0xfffffffffffff000ull, 0x2000, &o), -IOM_RESV_EOVERFLOW);
	iom_resv_uapi_destroy(v);
	iom_resv_uapi_destroy(f);
}

Test(resv_map, iommufd_reserved_range_is_einval_and_overlap_eexist)
{
	struct iom_resv_uapi *u = smmu_container(IOM_RESV_UAPI_IOMMUFD, 0);
	struct iom_resv_outcome o;
	cr_expect_eq(iom_resv_uapi_alignment(u), 4096);
	cr_expect_eq(map(u, 0x8000000, 0x1000, &o), -IOM_RESV_EINVAL);  /* sw_msi */
	cr_expect_eq(map(u, 1ull << 48, 0x1000, &o), -IOM_RESV_EINVAL); /* past the aperture */
	cr_expect_eq(map(u, 0x100000, 0x1000, &o), 0); /* no dma_entry_limit in iommufd */
	cr_expect_eq(map(u, 0x100000, 0x1000, &o), -IOM_RESV_EEXIST);
	cr_expect_eq(map(u, 0x100000, 0x800, &o), -IOM_RESV_EINVAL); /* length alignment */
	iom_resv_uapi_destroy(u);
}

Test(resv_map, unmap_may_not_split_a_mapping)
{
	/* VFIO v2: -EINVAL at either end; iommufd: -ENOENT; unmapping nothing is
	 * success for VFIO, -ENOENT for iommufd */
	unsigned kinds[] = {IOM_RESV_UAPI_VFIO, IOM_RESV_UAPI_IOMMUFD};
	int split[] = {-IOM_RESV_EINVAL, -IOM_RESV_ENOENT}, none[] = {0, -IOM_RESV_ENOENT};
	for (unsigned k = 0; k < 2; k++) {
		struct iom_resv_uapi *u = smmu_container(kinds[k], 65535);
		struct iom_resv_outcome o;
		uint64_t un;
		cr_assert_eq(map(u, 0x100000, 0x4000, &o), 0);
		cr_assert_eq(map(u, 0x104000, 0x1000, &o), 0);
		iom_resv_uapi_unmap(u, 0x101000, 0x4000, &un, &o, &err); /* starts inside */
		cr_expect_eq(o.err, split[k]);
		iom_resv_uapi_unmap(u, 0x100000, 0x2000, &un, &o, &err); /* ends inside */
		cr_expect_eq(o.err, split[k]);
		iom_resv_uapi_unmap(u, 0x200000, 0x1000, &un, &o, &err);
		cr_expect_eq(o.err, none[k]);
		iom_resv_uapi_unmap(u, 0x100000, 0x5000, &un, &o, &err); /* both, whole */
		cr_expect_eq(o.err, 0, "%s", o.msg);
		cr_expect_eq(un, 0x5000);
		cr_expect_eq(iom_resv_uapi_mappings(u), 0);
		iom_resv_uapi_destroy(u);
	}
}

Test(resv_map, attach_over_an_existing_mapping_is_refused)
{
	/* a mapping made before the group came covers its new region: VFIO
	 * vfio_iommu_resv_conflict -EINVAL, iommufd iopt_reserve_iova -EADDRINUSE */
	unsigned kinds[] = {IOM_RESV_UAPI_VFIO, IOM_RESV_UAPI_IOMMUFD};
	int want[] = {-IOM_RESV_EINVAL, -IOM_RESV_EADDRINUSE};
	for (unsigned k = 0; k < 2; k++) {
		struct iom_resv_uapi *u =
		    iom_resv_uapi_create(kinds[k], 65535, 0, AP48, 4096, &err);
		struct iom_resv_outcome o;
		cr_assert_eq(map(u, 0x8000000, 0x1000, &o), 0); /* no group yet: the aperture */
		struct iom_resv_list l = {0};
		ins(&l, SWMSI_S, SWMSI_L, IOM_RESV_SW_MSI);
		cr_assert_eq(iom_resv_uapi_attach(u, 1, &l, UINT64_MAX, &o, &err), 0);
		cr_expect_eq(o.err, want[k]);
		cr_expect_eq(iom_resv_uapi_groups(u), 0);
		iom_resv_list_fini(&l);
		iom_resv_uapi_destroy(u);
	}
}

Test(resv_map, detach_rebuilds_the_list_from_the_remaining_groups)
{
	/* group 1: sw_msi; group 2: reserved [0x40000000, 0x4fffffff]; the list
	 * has three nodes with both and two after group 2 leaves */
	struct iom_resv_uapi *u = smmu_container(IOM_RESV_UAPI_VFIO, 65535);
	struct iom_resv_list l = {0};
	struct iom_resv_outcome o;
	ins(&l, 0x40000000, 0x4fffffff, IOM_RESV_RESERVED);
	cr_assert_eq(iom_resv_uapi_attach(u, 2, &l, (1ull << 42) - 1, &o, &err), 0);
	cr_assert_eq(o.err, 0);
	const uint64_t three[][2] = {{0, 0x7ffffff}, {0x8100000, 0x3fffffff}, {0x50000000, AP48}};
	expect_ranges(iom_resv_uapi_ranges(u), three, 3);
	cr_expect_eq(iom_resv_uapi_limit(u), (1ull << 42) - 1);
	cr_assert_eq(iom_resv_uapi_detach(u, 2, &err), 0);
	const uint64_t two[][2] = {{0, 0x7ffffff}, {0x8100000, AP48}};
	expect_ranges(iom_resv_uapi_ranges(u), two, 2);
	cr_expect_eq(iom_resv_uapi_limit(u), UINT64_MAX);
	uint64_t base = 0;
	cr_expect(iom_resv_uapi_msi_cookie(u, &base));
	cr_expect_eq(base, SWMSI_S);
	iom_resv_list_fini(&l);
	iom_resv_uapi_destroy(u);
}

Test(resv_map, a_list_that_would_be_empty_refuses_the_attach)
{
	struct iom_resv_uapi *u =
	    iom_resv_uapi_create(IOM_RESV_UAPI_VFIO, 65535, 0, AP48, 4096, &err);
	struct iom_resv_list l = {0};
	struct iom_resv_outcome o;
	ins(&l, 0, UINT64_MAX, IOM_RESV_RESERVED);
	cr_assert_eq(iom_resv_uapi_attach(u, 1, &l, UINT64_MAX, &o, &err), 0);
	cr_expect_eq(o.err, -IOM_RESV_EINVAL);
	cr_expect_eq(iom_resv_uapi_groups(u), 0);
	const uint64_t ap[][2] = {{0, AP48}};
	expect_ranges(iom_resv_uapi_ranges(u), ap, 1);
	iom_resv_list_fini(&l);
	iom_resv_uapi_destroy(u);
}

/* ---- the device-limit policies (reference 5.5) ---------------------------- */

TestSuite(resv_limit);

/* A device with a 42-bit firmware limit behind the 48-bit SMMUv3 of A.2. */
static struct iom_resv_db *limit_db(unsigned policy)
{
	struct iom_resv_db *d0 = iom_resv_db_create(NULL, 0, NULL, &err);
	struct iom_resv_cfg c = *iom_resv_db_cfg(d0);
	iom_resv_db_destroy(d0);
	c.device_limit = policy;
	struct iom_resv_db *db = iom_resv_db_create(&c, IOM_RESV_IOMMU_SMMUV3, NULL, &err);
	cr_assert_eq(iom_resv_db_set_limit(db, 0x100, 0, 42, &err), 0);
	return db;
}

static void limit_list(struct iom_resv_db *db, struct iom_resv_list *l, struct iom_resv_ranges *r)
{
	cr_assert_eq(iom_resv_dev_regions(db, 0x100, 0, AP48, 0, l, &err), 0, "%s", err.msg);
	usable(l, AP48, r);
}

Test(resv_limit, the_limit_is_the_smaller_of_mask_and_firmware_limit)
{
	struct iom_resv_db *db = limit_db(IOM_RESV_LIMIT_IGNORE);
	bool fw;
	cr_expect_eq(iom_resv_dev_limit(db, 0x100), (1ull << 42) - 1);
	cr_expect_eq(iom_resv_dev_limit_bits(db, 0x100, &fw), 42);
	cr_expect(fw);
	cr_expect_eq(iom_resv_dev_limit(db, 0x200), UINT64_MAX); /* default mask 64 */
	cr_assert_eq(iom_resv_db_set_limit(db, 0x200, 32, 0, &err), 0);
	cr_expect_eq(iom_resv_dev_limit(db, 0x200), 0xffffffffull);
	cr_expect_eq(iom_resv_dev_limit_bits(db, 0x200, &fw), 32);
	cr_expect_not(fw);
	iom_resv_db_destroy(db);
}

Test(resv_limit, ignore_still_reports_iovas_above_the_limit)
{
	struct iom_resv_db *db = limit_db(IOM_RESV_LIMIT_IGNORE);
	struct iom_resv_list l = {0};
	struct iom_resv_ranges r = {0};
	limit_list(db, &l, &r);
	const uint64_t want[][2] = {{0, 0x7ffffff}, {0x8100000, AP48}};
	expect_ranges(&r, want, 2);
	iom_resv_ranges_fini(&r);
	iom_resv_list_fini(&l);
	iom_resv_db_destroy(db);
}

Test(resv_limit, reserved_adds_a_region_above_the_limit_merged_with_the_aperture_one)
{
	/* [2^42, 2^64-1] (dev_limit) and [2^48, 2^64-1] (aperture) are one reserved
	 * region; the list tops out at 2^42 - 1 */
	struct iom_resv_db *db = limit_db(IOM_RESV_LIMIT_RESERVED);
	struct iom_resv_list l = {0};
	struct iom_resv_ranges r = {0};
	limit_list(db, &l, &r);
	cr_assert_eq(l.n, 2);
	expect_region(&l, 0, SWMSI_S, SWMSI_L, IOM_RESV_SW_MSI);
	expect_region(&l, 1, 1ull << 42, UINT64_MAX, IOM_RESV_RESERVED);
	cr_expect_eq(l.v[1].src, IOM_RESV_SRC_DEV_LIMIT);
	const uint64_t want[][2] = {{0, 0x7ffffff}, {0x8100000, (1ull << 42) - 1}};
	expect_ranges(&r, want, 2);
	iom_resv_ranges_fini(&r);
	iom_resv_list_fini(&l);
	iom_resv_db_destroy(db);
}

Test(resv_limit, separate_keeps_the_list_and_reports_the_limit_beside_it)
{
	struct iom_resv_db *db = limit_db(IOM_RESV_LIMIT_SEPARATE);
	struct iom_resv_list l = {0};
	struct iom_resv_ranges r = {0};
	limit_list(db, &l, &r);
	const uint64_t want[][2] = {{0, 0x7ffffff}, {0x8100000, AP48}};
	expect_ranges(&r, want, 2);
	struct iom_resv_uapi *u =
	    iom_resv_uapi_create(IOM_RESV_UAPI_VFIO, 65535, 0, AP48, 4096, &err);
	struct iom_resv_outcome o;
	cr_assert_eq(iom_resv_uapi_attach(u, 1, &l, iom_resv_dev_limit(db, 0x100), &o, &err), 0);
	cr_expect_eq(iom_resv_uapi_limit(u), (1ull << 42) - 1);
	cr_expect_eq(map(u, 0xffffffff0000ull, 0x10000, &o), 0); /* the kernel accepts it */
	iom_resv_ranges_clip(&r, iom_resv_uapi_limit(u));
	const uint64_t below[][2] = {{0, 0x7ffffff}, {0x8100000, (1ull << 42) - 1}};
	expect_ranges(&r, below, 2);
	iom_resv_uapi_destroy(u);
	iom_resv_ranges_fini(&r);
	iom_resv_list_fini(&l);
	iom_resv_db_destroy(db);
}

/* ---- configuration, topology and groups ---------------------------------- */

TestSuite(resv_config);

static struct iom_config *yaml(const char *text)
{
	struct iom_config *c = iom_config_load_string(text, "t.yaml", &err);
	cr_assert_not_null(c, "%s", err.msg);
	return c;
}

Test(resv_config, devices_and_regions_bind_and_a_bad_address_is_named)
{
	struct iom_config *c =
	    yaml("resv:\n"
	         "  devices: [{dev: \"01:00.0\", dma_bits: 39}]\n"
	         "  regions:\n"
	         "    - {dev: \"01:00.0\", base: 0x7a000000, size: 1M, type: direct}\n"
	         "    - {base: 0x1000, size: 4K}\n");
	struct iom_resv_db *db;
	cr_assert_eq(iom_resv_db_from_config(c, IOM_RESV_IOMMU_SMMUV3, NULL, &db, &err), 0, "%s",
	             err.msg);
	cr_expect(iom_resv_db_described(db));
	cr_expect_eq(iom_resv_dev_limit(db, 0x100), (1ull << 39) - 1);
	struct iom_resv_list l = {0};
	cr_assert_eq(iom_resv_dev_regions(db, 0x100, 0, AP48, 0, &l, &err), 0);
	/* sorted: [0x1000] reserved (every device), sw_msi, the direct region */
	cr_assert_eq(l.n, 3);
	expect_region(&l, 0, 0x1000, 0x1fff, IOM_RESV_RESERVED);
	expect_region(&l, 1, SWMSI_S, SWMSI_L, IOM_RESV_SW_MSI);
	expect_region(&l, 2, 0x7a000000, 0x7a0fffff, IOM_RESV_DIRECT);
	iom_resv_list_fini(&l);
	/* another device gets only what every device gets */
	cr_assert_eq(iom_resv_dev_regions(db, 0x200, 0, AP48, 0, &l, &err), 0);
	cr_expect_eq(l.n, 2);
	uint32_t devs[4];
	cr_expect_eq(iom_resv_db_devices(db, devs, 4), 1);
	cr_expect_eq(devs[0], 0x100);
	iom_resv_list_fini(&l);
	iom_resv_db_destroy(db);
	iom_config_destroy(c);

	c = yaml("resv:\n  devices: [{dev: \"1:0.0\"}]\n");
	cr_expect_eq(iom_resv_db_from_config(c, 0, NULL, &db, &err), -IOM_EINVAL);
	cr_expect(strstr(err.msg, "resv.devices[0].dev") != NULL, "%s", err.msg);
	iom_config_destroy(c);
}

Test(resv_config, without_a_section_nothing_is_described)
{
	struct iom_config *c = iom_config_create_default();
	struct iom_resv_db *db;
	cr_assert_eq(iom_resv_db_from_config(c, 0, NULL, &db, &err), 0);
	cr_expect_not(iom_resv_db_described(db));
	iom_resv_db_destroy(db);
	iom_config_destroy(c);
}

/* RP 00:01.0 without ACS -> endpoints 01:00.0 (RMRR, relaxable) and 01:00.1
 * (bus_dma_bits 40), multifunction without ACS: one group {RP, both}
 * (reference 4.5, example G2); BARs placed from 0x80000000. */
static const char TOPO[] =
    "pcie:\n  functions:\n"
    "    - {name: rp, type: root_port, dev: 1}\n"
    "    - name: a\n      parent: rp\n      bars: [{size: 1M}]\n"
    "      resv: [{base: 0x7a000000, size: 1M, type: direct_relaxable}]\n"
    "    - {name: b, parent: rp, fn: 1, bus_dma_bits: 40, bars: [{size: 1M}]}\n";

Test(resv_config, a_group_is_the_union_of_its_members_and_its_lowest_limit)
{
	struct iom_config *c = yaml(TOPO);
	struct iom_pcie_topo *t;
	cr_assert_eq(iom_pcie_topo_from_config(c, "t.yaml", &t, &err), 0, "%s", err.msg);
	cr_assert_eq(iom_pcie_groups_compute(t, &err), 0);
	struct iom_resv_db *db;
	cr_assert_eq(iom_resv_db_from_config(c, IOM_RESV_IOMMU_SMMUV3, t, &db, &err), 0, "%s",
	             err.msg);
	cr_expect(iom_resv_db_described(db)); /* the topology has a region and a limit */
	uint64_t g = iom_resv_group_of(db, 0x100);
	cr_expect_eq(iom_resv_group_of(db, 0x101), g);
	cr_expect_eq(iom_resv_group_of(db, 0x008), g); /* the root port 00:01.0 */
	uint32_t m[4];
	cr_assert_eq(iom_resv_group_members(db, g, m, 4), 3);
	cr_expect_eq(m[0], 0x008);
	cr_expect_eq(m[1], 0x100);
	cr_expect_eq(m[2], 0x101);
	struct iom_resv_list l = {0};
	cr_assert_eq(iom_resv_group_regions(db, g, 0, AP48, 0, &l, &err), 0);
	cr_assert_eq(l.n, 2); /* sw_msi (three times, merged) and a's RMRR */
	expect_region(&l, 0, SWMSI_S, SWMSI_L, IOM_RESV_SW_MSI);
	expect_region(&l, 1, 0x7a000000, 0x7a0fffff, IOM_RESV_DIRECT_RELAXABLE);
	cr_expect_eq(l.v[1].src, IOM_RESV_SRC_FIRMWARE);
	cr_expect_eq(iom_resv_group_limit(db, g), (1ull << 40) - 1);
	iom_resv_list_clear(&l);
	/* the DMA API also keeps the host bridge's window out: the root port's
	 * 1 MiB-aligned window over both BARs, [0x80000000, 0x801fffff] */
	cr_assert_eq(iom_resv_dev_regions(db, 0x100, 0, AP48, IOM_RESV_F_DMA_API, &l, &err), 0);
	cr_assert_eq(l.n, 3);
	expect_region(&l, 2, 0x80000000, 0x801fffff, IOM_RESV_RESERVED);
	cr_expect_eq(l.v[2].src, IOM_RESV_SRC_PCI_WINDOW);
	iom_resv_list_fini(&l);
	iom_resv_db_destroy(db);
	iom_pcie_topo_destroy(t);
	iom_config_destroy(c);
}

Test(resv_config, a_function_region_with_a_bad_type_or_size_is_refused)
{
	struct iom_config *c =
	    yaml("pcie:\n  functions:\n"
	         "    - {name: rp, type: root_port}\n"
	         "    - {name: a, parent: rp, resv: [{base: 0x1000, size: 0}]}\n");
	struct iom_pcie_topo *t;
	cr_expect_eq(iom_pcie_topo_from_config(c, "t.yaml", &t, &err), -IOM_EINVAL);
	cr_expect(strstr(err.msg, "pcie.functions[1].resv[0]") != NULL, "%s", err.msg);
	iom_config_destroy(c);
	c = yaml("pcie:\n  functions:\n"
	         "    - {name: rp, type: root_port}\n"
	         "    - {name: a, parent: rp, resv: [{base: 0x1000, size: 4K, type: rmrr}]}\n");
	cr_expect_neq(iom_pcie_topo_from_config(c, "t.yaml", &t, &err), 0);
	iom_config_destroy(c);
}
