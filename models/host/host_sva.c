/* SPDX-License-Identifier: Apache-2.0 */
/*
 * host_sva.c - processes, their CPU page tables, PASIDs and SVA bindings
 * (host_sva.h says what is modelled; algorithms-reference.md section 7 and
 * Linux drivers/iommu/iommu-sva.c, arm-smmu-v3-sva.c, intel/svm.c are the
 * sources).
 *
 * Bookkeeping: an mm (struct sva_mm) holds its CPU page table, its VMAs
 * (sorted, non-overlapping), its PASID and the tag (ASID/DID) of its SVA
 * domain.  A bond (struct sva_bond) is one group's attachment at one PASID,
 * with a reference count (a second bind of the same group and mm) and the
 * requester IDs that got the entry.  The host's attachment table (host.c)
 * holds every SVA PASID as a slot, so DMA-domain attaches and SVA binds
 * exclude each other at a PASID, and the SMMUv3 CD table outlives the
 * device's no-PASID attachment while SVA PASIDs remain.
 *
 * Timing: binds, unbinds and punmaps cost what the driver writes and the
 * commands it waits for (the driver ops); CPU page-table writes are
 * functional (software work, counted in the page table's stats), as for DMA
 * domains.  The order of a group's devices is the topology's function order.
 */
#include "host.h"

#include "config.h"
#include "groups.h"
#include "mem.h"
#include "pgtable.h"
#include "topology.h"
#include "trace.h"
#include "u64map.h"

#include <stdlib.h>
#include <string.h>

static const char *const sva_asid_names[] = {"own", "cpu", NULL};
static const char *const sva_pop_names[] = {"eager", "fault", NULL};
static const char *const sva_pri_names[] = {"handle", "invalid", "failure", NULL};

static const struct iom_host_sva_cfg sva_defaults = IOM_HOST_SVA_CFG_DEFAULTS;

static const struct iom_prop sva_props[] = {
	IOM_PROP_ENUM_(struct iom_host_sva_cfg, asid, sva_asid_names,
		       "SMMUv3 SVA domains: own (an ASID from the SMMU driver's allocator, Linux "
		       "6.10+) or cpu (the process's CPU ASID, v5.11-v6.9 arm_smmu_share_asid: a "
		       "DMA domain holding it moves to a new ASID); VT-d always allocates a DID"),
	IOM_PROP_U32_(struct iom_host_sva_cfg, va_bits, 39, 57, "bits",
		      "CPU virtual-address width of processes (AArch64 39-48, CD.T0SZ = 64 - this; "
		      "x86-64 48 = 4-level or 57 = 5-level paging)"),
	IOM_PROP_ENUM_(struct iom_host_sva_cfg, populate, sva_pop_names,
		       "pmap writes the CPU page-table entries at once (eager: memory the process "
		       "touched) or only declares the VMA, the entries made by page faults (fault: "
		       "a device needs PRI to reach it)"),
	IOM_PROP_BOOL_(struct iom_host_sva_cfg, thp,
		       "processes use 2 MB / 1 GB pages where the VMA's alignment allows (THP, "
		       "hugetlb); else 4 KB pages"),
	IOM_PROP_ENUM_(struct iom_host_sva_cfg, pri_policy, sva_pri_names,
		       "answer to a page request group: handle (handle_mm_fault: Success, or "
		       "Invalid Request outside a VMA / without permission), invalid (always "
		       "Invalid Request), failure (always Response Failure, as Linux's arm-smmu-v3 "
		       "does)"),
	IOM_PROP_U64_(struct iom_host_sva_cfg, fault_ns, 0, 1ull << 40, "ns",
		      "handler time per page request group (handle_mm_fault and the IOPF work) "
		      "before its response is issued"),
	IOM_PROP_U64_(struct iom_host_sva_cfg, irq_ns, 0, 1ull << 40, "ns",
		      "from a page request written to the queue to the handler thread reading it, "
		      "when the thread is idle (interrupt and wake-up)"),
	IOM_PROP_U32_(struct iom_host_sva_cfg, prq_log2, 1, 19, "entries (log2)",
		      "page request queue size: SMMUv3 PRI queue (16-byte entries, at most "
		      "2^19) / VT-d page request queue (32-byte descriptors)"),
};

const struct iom_prop_table iom_host_sva_prop_table = {
	.section = "host.sva",
	.doc = "Host software: processes bound to devices (SVA) and page requests (PRI)",
	.props = sva_props,
	.nprops = IOM_ARRAY_SIZE(sva_props),
	.defaults = &sva_defaults,
	.struct_size = sizeof(struct iom_host_sva_cfg),
};

struct sva_vma {
	uint64_t va, size, pa;
	uint32_t prot; /* IOM_PROT_* */
};

struct sva_mm {
	uint32_t id;
	struct iom_pt *pt;
	uint32_t cpu_asid;
	int64_t pasid; /* -1: none */
	uint32_t tag;  /* SVA domain's ASID / DID, 0: no domain */
	uint32_t bonds;
	struct sva_vma *vmas;
	size_t nvmas, cap;
};

struct sva_bond {
	uint32_t mm, pasid, users;
	uint32_t nrids;
	uint32_t *rids;
};

struct iom_host_sva {
	struct iom_host *h;
	struct iom_host_sva_cfg cfg;
	struct iom_pt_cfg ptc;      /* CPU page tables */
	struct iom_u64map mms;      /* mm id -> struct sva_mm * */
	struct iom_u64map bonds;    /* sva_bond_key -> struct sva_bond * */
	struct iom_u64map pasids;   /* pasid -> mm id */
	struct iom_u64map cpu_asids;/* CPU ASID -> mm id */
	struct iom_host_pri *pri;   /* the page-request handler (host_pri.c) */
	/* stats */
	uint64_t mms_created, mms_exited, pmaps, pmap_bytes, punmaps, punmap_bytes;
	uint64_t binds, bind_refs, unbinds, pasids_allocated, pasids_freed, pasid_not_lowest;
	uint64_t asid_moves, mm_invalidations, fault_ptes, bound_devices;
	struct iom_hist bind_ps, punmap_ps;
};

static uint32_t sva_cpu_max_asid = 65535; /* 16-bit CPU ASIDs (ID_AA64MMFR0_EL1.ASIDBits) */

struct iom_host_sva *iom_host_sva_create(struct iom_host *h, const struct iom_host_sva_cfg *cfg,
					 struct iom_err *err)
{
	void *drv;
	const struct iom_host_drv_ops *ops = iom_host_ops(h, &drv);
	struct iom_host_sva *sv = calloc(1, sizeof(*sv));
	if (!sv) {
		iom_err_set(err, IOM_ENOMEM, "out of memory");
		return NULL;
	}
	sv->h = h;
	sv->cfg = *cfg;
	sv->ptc = (struct iom_pt_cfg){.fmt = ops->cpu_fmt,
				      .granule_shift = 12,
				      .ia_bits = (uint8_t)cfg->va_bits,
				      .oa_bits = (uint8_t)iom_host_config(h)->oa_bits};
	struct iom_pt_geom g;
	if (ops->bind_mm && iom_pt_geometry(&sv->ptc, &g, err)) {
		iom_err_prefix(err, "host.sva.va_bits = %u (%s page tables)", cfg->va_bits,
			       ops->cpu_fmt == IOM_PT_X86_FL ? "x86-64: 48 or 57" : "AArch64: 39-48");
		free(sv);
		return NULL;
	}
	sv->pri = iom_host_pri_create(h, cfg, err);
	if (!sv->pri) {
		free(sv);
		return NULL;
	}
	iom_u64map_init(&sv->mms);
	iom_u64map_init(&sv->bonds);
	iom_u64map_init(&sv->pasids);
	iom_u64map_init(&sv->cpu_asids);
	iom_hist_init(&sv->bind_ps);
	iom_hist_init(&sv->punmap_ps);
	return sv;
}

static void sva_mm_free(struct sva_mm *m)
{
	if (m->pt)
		iom_pt_destroy(m->pt);
	free(m->vmas);
	free(m);
}

void iom_host_sva_destroy(struct iom_host_sva *sv)
{
	if (!sv)
		return;
	uint64_t k, v;
	for (size_t it = 0; iom_u64map_next(&sv->mms, &it, &k, &v);)
		sva_mm_free((struct sva_mm *)(uintptr_t)v);
	for (size_t it = 0; iom_u64map_next(&sv->bonds, &it, &k, &v);) {
		free(((struct sva_bond *)(uintptr_t)v)->rids);
		free((void *)(uintptr_t)v);
	}
	iom_u64map_fini(&sv->mms);
	iom_u64map_fini(&sv->bonds);
	iom_u64map_fini(&sv->pasids);
	iom_u64map_fini(&sv->cpu_asids);
	iom_host_pri_destroy(sv->pri);
	free(sv);
}

struct iom_host_pri *iom_host_pri_of(struct iom_host *h)
{
	return iom_host_sva_of(h)->pri;
}

static struct sva_mm *sva_mm(struct iom_host_sva *sv, uint32_t id)
{
	uint64_t v;
	return iom_u64map_get(&sv->mms, id, &v) ? (struct sva_mm *)(uintptr_t)v : NULL;
}

/* A new process: its (empty) page table and its CPU ASID, lowest free from 1
 * (arm64 hands out ASIDs in increasing order and SVA pins them). */
static struct sva_mm *sva_mm_get(struct iom_host_sva *sv, uint32_t id, struct iom_err *err)
{
	struct sva_mm *m = sva_mm(sv, id);
	if (m)
		return m;
	void *drv;
	if (!iom_host_ops(sv->h, &drv)->bind_mm) {
		iom_err_set(err, IOM_ENOTSUP, "processes (SVA) are not implemented for this IOMMU");
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		iom_err_set(err, IOM_ENOMEM, "out of memory");
		return NULL;
	}
	m->id = id;
	m->pasid = -1;
	for (uint32_t a = 1; a <= sva_cpu_max_asid && !m->cpu_asid; a++)
		if (!iom_u64map_get(&sv->cpu_asids, a, NULL))
			m->cpu_asid = a;
	struct iom_pt_alloc pa;
	iom_palloc_as_pt_alloc(iom_host_tables(sv->h), &pa);
	m->pt = iom_pt_create(iom_host_mem(sv->h), &sv->ptc, &pa, err);
	if (!m->pt || !m->cpu_asid || iom_u64map_put(&sv->mms, id, (uint64_t)(uintptr_t)m) ||
	    iom_u64map_put(&sv->cpu_asids, m->cpu_asid, id)) {
		if (m->pt && m->cpu_asid)
			iom_err_set(err, IOM_ENOMEM, "out of memory");
		else if (m->pt)
			iom_err_set(err, IOM_EBUSY, "all CPU ASIDs are in use");
		iom_u64map_del(&sv->mms, id);
		sva_mm_free(m);
		return NULL;
	}
	sv->mms_created++;
	return m;
}

/* The process is gone: no VMAs and no bindings left (mm_pasid_drop(), the
 * CPU ASID unpinned, the page tables freed). */
static void sva_mm_maybe_exit(struct iom_host_sva *sv, struct sva_mm *m)
{
	if (m->nvmas || m->bonds)
		return;
	if (m->pasid >= 0) {
		iom_u64map_del(&sv->pasids, (uint64_t)m->pasid);
		sv->pasids_freed++;
	}
	iom_u64map_del(&sv->cpu_asids, m->cpu_asid);
	iom_u64map_del(&sv->mms, m->id);
	sva_mm_free(m);
	sv->mms_exited++;
}

/* ---- VMAs ---- */

/* Index of the first VMA ending above va. */
static size_t sva_vma_find(const struct sva_mm *m, uint64_t va)
{
	size_t lo = 0, hi = m->nvmas;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (m->vmas[mid].va + m->vmas[mid].size <= va)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int sva_vma_insert(struct sva_mm *m, size_t at, const struct sva_vma *v)
{
	if (m->nvmas == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 8;
		struct sva_vma *nv = realloc(m->vmas, cap * sizeof(*nv));
		if (!nv)
			return -IOM_ENOMEM;
		m->vmas = nv;
		m->cap = cap;
	}
	memmove(&m->vmas[at + 1], &m->vmas[at], (m->nvmas - at) * sizeof(*v));
	m->vmas[at] = *v;
	m->nvmas++;
	return 0;
}

static void sva_vma_remove(struct sva_mm *m, size_t at)
{
	memmove(&m->vmas[at], &m->vmas[at + 1], (m->nvmas - at - 1) * sizeof(*m->vmas));
	m->nvmas--;
}

/* CPU page-table leaf flags of a user page: AArch64 AP[1] = 1 (EL0), nG;
 * x86 U/S = 1 (the formats ignore what they do not have). */
static uint32_t sva_pte_flags(uint32_t prot)
{
	uint32_t f = IOM_PTE_USER | IOM_PTE_NG;
	if (prot & IOM_PROT_R)
		f |= IOM_PTE_R;
	if (prot & IOM_PROT_W)
		f |= IOM_PTE_W;
	if (prot & IOM_PROT_X)
		f |= IOM_PTE_X;
	return f;
}

/* The page size the process uses at va -> pa with len bytes left. */
static uint64_t sva_pgsize(const struct iom_host_sva *sv, uint64_t va, uint64_t pa, uint64_t len)
{
	static const uint64_t sizes[] = {1ull << 30, 1ull << 21};
	for (size_t i = 0; sv->cfg.thp && i < IOM_ARRAY_SIZE(sizes); i++)
		if (!((va | pa) & (sizes[i] - 1)) && len >= sizes[i])
			return sizes[i];
	return 4096;
}

/* Write the PTEs of [va, va + size) -> pa, runs of equal page size. */
static int sva_populate(struct iom_host_sva *sv, struct sva_mm *m, uint64_t va, uint64_t pa,
			uint64_t size, uint32_t prot, struct iom_err *err)
{
	uint32_t fl = sva_pte_flags(prot);
	for (uint64_t done = 0; done < size;) {
		uint64_t ps = sva_pgsize(sv, va + done, pa + done, size - done), run = ps;
		while (done + run + ps <= size &&
		       sva_pgsize(sv, va + done + run, pa + done + run, size - done - run) == ps)
			run += ps;
		int r = iom_pt_map(m->pt, va + done, pa + done, run, ps, fl, err);
		if (r)
			return r;
		done += run;
	}
	return 0;
}

int iom_host_pmap(struct iom_host *h, uint32_t mm, uint64_t va, uint64_t pa, uint64_t size,
		  uint32_t prot, uint64_t now_ps, uint64_t *done_ps, struct iom_err *err)
{
	struct iom_host_sva *sv = iom_host_sva_of(h);
	*done_ps = now_ps;
	if ((va | pa | size) & 4095)
		return iom_err_set(err, IOM_EINVAL,
				   "pmap: va 0x%llx, pa 0x%llx and size 0x%llx must be 4 KB aligned",
				   (unsigned long long)va, (unsigned long long)pa,
				   (unsigned long long)size);
	if (va + size > (1ull << sv->cfg.va_bits) || va + size < va)
		return iom_err_set(err, IOM_ERANGE,
				   "pmap: [0x%llx, +0x%llx) is beyond the %u-bit process address "
				   "space (host.sva.va_bits)",
				   (unsigned long long)va, (unsigned long long)size, sv->cfg.va_bits);
	struct sva_mm *m = sva_mm_get(sv, mm, err);
	if (!m)
		return -err->code;
	size_t at = sva_vma_find(m, va);
	if (at < m->nvmas && m->vmas[at].va < va + size) {
		int r = iom_err_set(err, IOM_EEXIST,
				    "pmap: mm %u already maps [0x%llx, +0x%llx) there", mm,
				    (unsigned long long)m->vmas[at].va,
				    (unsigned long long)m->vmas[at].size);
		sva_mm_maybe_exit(sv, m);
		return r;
	}
	struct sva_vma v = {.va = va, .size = size, .pa = pa, .prot = prot & 7u};
	int r = sva_vma_insert(m, at, &v);
	if (r) {
		sva_mm_maybe_exit(sv, m);
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	}
	if (sv->cfg.populate == IOM_SVA_POP_EAGER && v.prot) {
		r = sva_populate(sv, m, va, pa, size, v.prot, err);
		if (r) {
			uint64_t un;
			struct iom_err e2;
			iom_pt_unmap(m->pt, va, size, &un, &e2);
			sva_vma_remove(m, at);
			sva_mm_maybe_exit(sv, m);
			return iom_err_prefix(err, "pmap");
		}
	}
	sv->pmaps++;
	sv->pmap_bytes += size;
	return 0;
}

/* The mmu-notifier invalidation of an mm's SVA domain. */
static int sva_mm_invalidate(struct iom_host_sva *sv, const struct sva_mm *m, uint64_t va,
			     uint64_t size, uint64_t now_ps, uint64_t *done_ps, struct iom_err *err)
{
	void *drv;
	const struct iom_host_drv_ops *ops = iom_host_ops(sv->h, &drv);
	*done_ps = now_ps;
	if (!m->tag)
		return 0;
	sv->mm_invalidations++;
	if (ops->mm_invalidate)
		return ops->mm_invalidate(drv, m->tag, va, size, now_ps, done_ps, err);
	struct iom_iommu *io = iom_host_iommu(sv->h);
	struct iom_inval inv = {.scope = IOM_INVAL_RANGE, .tag = m->tag, .iova = va, .size = size,
				.granule = 4096};
	return io->ops->invalidate(io->self, &inv, now_ps, done_ps, err);
}

int iom_host_punmap(struct iom_host *h, uint32_t mm, uint64_t va, uint64_t size, uint64_t now_ps,
		    uint64_t *done_ps, struct iom_err *err)
{
	struct iom_host_sva *sv = iom_host_sva_of(h);
	struct sva_mm *m = sva_mm(sv, mm);
	*done_ps = now_ps;
	if ((va | size) & 4095)
		return iom_err_set(err, IOM_EINVAL,
				   "punmap: va 0x%llx and size 0x%llx must be 4 KB aligned",
				   (unsigned long long)va, (unsigned long long)size);
	size_t at = m ? sva_vma_find(m, va) : 0;
	if (!m || at == m->nvmas || m->vmas[at].va >= va + size)
		return iom_err_set(err, IOM_ENOENT, "punmap: mm %u maps nothing in [0x%llx, +0x%llx)",
				   mm, (unsigned long long)va, (unsigned long long)size);
	uint64_t un = 0;
	int r = iom_pt_unmap(m->pt, va, size, &un, err);
	if (r == -IOM_ENOTSUP)
		return iom_err_set(err, IOM_EINVAL, "punmap: [0x%llx, +0x%llx) splits a huge page",
				   (unsigned long long)va, (unsigned long long)size);
	if (r)
		return r;
	/* Trim the VMAs (munmap): cut, shorten, split. */
	uint64_t end = va + size;
	while (at < m->nvmas && m->vmas[at].va < end) {
		struct sva_vma v = m->vmas[at];
		uint64_t vend = v.va + v.size;
		sva_vma_remove(m, at);
		if (v.va < va) {
			struct sva_vma lo = {v.va, va - v.va, v.pa, v.prot};
			sva_vma_insert(m, at++, &lo); /* cannot fail: one slot was freed */
		}
		if (vend > end) {
			struct sva_vma hi = {end, vend - end, v.pa + (end - v.va), v.prot};
			if (sva_vma_insert(m, at, &hi))
				return iom_err_set(err, IOM_ENOMEM, "out of memory");
			at++;
		}
	}
	sv->punmaps++;
	sv->punmap_bytes += un;
	r = sva_mm_invalidate(sv, m, va, size, now_ps, done_ps, err);
	if (!r)
		iom_hist_add(&sv->punmap_ps, *done_ps - now_ps);
	sva_mm_maybe_exit(sv, m);
	return r;
}

int iom_host_mm_fault(struct iom_host *h, uint32_t mm, uint64_t va, bool write, bool exec,
		      bool *made, struct iom_err *err)
{
	struct iom_host_sva *sv = iom_host_sva_of(h);
	struct sva_mm *m = sva_mm(sv, mm);
	*made = false;
	va &= ~4095ull;
	size_t at = m ? sva_vma_find(m, va) : 0;
	if (!m || at == m->nvmas || m->vmas[at].va > va)
		return iom_err_set(err, IOM_ENOENT, "mm %u: no VMA at 0x%llx", mm,
				   (unsigned long long)va);
	const struct sva_vma *v = &m->vmas[at];
	uint32_t need = (write ? IOM_PROT_W : IOM_PROT_R) | (exec ? IOM_PROT_X : 0);
	if ((v->prot & need) != need)
		return iom_err_set(err, IOM_EINVAL, "mm %u: VMA at 0x%llx does not allow %s", mm,
				   (unsigned long long)v->va, exec ? "exec" : write ? "write" : "read");
	uint64_t pa, ps;
	if (iom_pt_lookup(m->pt, va, &pa, &ps) == 0)
		return 0; /* present already (raced with another fault or eager) */
	/* The page (or, with thp, the huge page the VMA wholly holds). */
	uint64_t off = va - v->va, base = va, size = 4096;
	for (uint64_t s = 1ull << 30; sv->cfg.thp && s > 4096; s >>= 9) {
		uint64_t b = va & ~(s - 1);
		if (b >= v->va && b + s <= v->va + v->size && !((v->pa + (b - v->va)) & (s - 1)) &&
		    iom_pt_lookup(m->pt, b, &pa, &ps) != 0) {
			base = b;
			size = s;
			break;
		}
	}
	off = base - v->va;
	int r = iom_pt_map(m->pt, base, v->pa + off, size, size, sva_pte_flags(v->prot), err);
	if (r == -IOM_EEXIST) /* part of the huge page is mapped: one 4 KB page */
		r = iom_pt_map(m->pt, va, v->pa + (va - v->va), 4096, 4096,
			       sva_pte_flags(v->prot), err);
	if (r)
		return r;
	*made = true;
	sv->fault_ptes++;
	return 0;
}

/* ---- groups and rules ---- */

/* The devices of dev's IOMMU group that take a PASID entry (the topology's
 * function order; functions without a PASID capability are skipped), or dev
 * alone without a topology. *key: the bond key (group, pasid). */
static int sva_group(const struct iom_pcie_topo *t, uint32_t dev, uint32_t pasid,
		     uint32_t **rids, uint32_t *n, uint64_t *key, struct iom_err *err)
{
	*n = 0;
	if (!t) {
		*rids = malloc(sizeof(**rids));
		if (!*rids)
			return iom_err_set(err, IOM_ENOMEM, "out of memory");
		(*rids)[(*n)++] = dev;
		*key = ((uint64_t)dev << 20) | pasid;
		return 0;
	}
	uint32_t f = iom_pcie_find_rid(t, (uint16_t)(dev >> 16), (uint16_t)dev);
	if (f == IOM_PCIE_NONE)
		return iom_err_set(err, IOM_EINVAL, "device %02x:%02x.%x is not in the PCIe topology",
				   (dev >> 8) & 0xff, (dev >> 3) & 0x1f, dev & 7);
	uint32_t g = t->fns[f].group;
	*rids = malloc((t->group_size ? t->group_size[g] : 1) * sizeof(**rids) + sizeof(**rids));
	if (!*rids)
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	for (uint32_t i = 0; i < t->nfns; i++)
		if (t->fns[i].group == g && (i == f || t->fns[i].pasid))
			(*rids)[(*n)++] = ((uint32_t)t->fns[i].segment << 16) | iom_pcie_rid(&t->fns[i]);
	*key = (1ull << 62) | ((uint64_t)g << 20) | pasid;
	return 0;
}

/* pci_enable_pasid() / iommu_sva_bind_device() refusals for the kernel version
 * of the topology (groups.h iom_pcie_pasid_check), and the function's Max
 * PASID Width. */
static int sva_rules(const struct iom_pcie_topo *t, uint32_t dev, uint32_t pasid,
		     struct iom_err *err)
{
	uint32_t f = iom_pcie_find_rid(t, (uint16_t)(dev >> 16), (uint16_t)dev), blk = IOM_PCIE_NONE;
	int v = iom_pcie_pasid_check(t, f, &blk);
	char b1[32], b2[32];
	if (v != IOM_PASID_OK)
		return iom_err_set(err, IOM_EINVAL, "bind %s: %s%s%s (kernel %u.%u)",
				   iom_pcie_bdf_short(&t->fns[f], b1, sizeof(b1)),
				   iom_pcie_pasid_verdict_str(v), blk != IOM_PCIE_NONE ? " at " : "",
				   blk != IOM_PCIE_NONE ? iom_pcie_bdf_short(&t->fns[blk], b2, sizeof(b2))
							: "",
				   t->kernel / 1000, t->kernel % 1000);
	if (t->fns[f].pasid_width < 20 && pasid >> t->fns[f].pasid_width)
		return iom_err_set(err, IOM_ERANGE, "bind %s: pasid %u beyond its Max PASID Width %u",
				   iom_pcie_bdf_short(&t->fns[f], b1, sizeof(b1)), pasid,
				   t->fns[f].pasid_width);
	return 0;
}

/* The mm's PASID: the one it has, or the record's if no other mm holds it. */
static int sva_pasid(struct iom_host_sva *sv, struct sva_mm *m, uint32_t pasid,
		     struct iom_err *err)
{
	uint32_t bits = iom_host_config(sv->h)->cd_table_bits;
	uint64_t owner;
	if (pasid == 0)
		return iom_err_set(err, IOM_EINVAL, "bind: PASID 0 is IOMMU_NO_PASID");
	if (pasid >> bits)
		return iom_err_set(err, IOM_ERANGE,
				   "bind: pasid %u is beyond the %u-bit PASID space "
				   "(host.cd_table_bits)",
				   pasid, bits);
	if (m->pasid >= 0 && (uint32_t)m->pasid != pasid)
		return iom_err_set(err, IOM_EINVAL, "bind: mm %u has PASID %lld (one PASID per mm)",
				   m->id, (long long)m->pasid);
	if (m->pasid < 0 && iom_u64map_get(&sv->pasids, pasid, &owner))
		return iom_err_set(err, IOM_EBUSY, "bind: PASID %u belongs to mm %u", pasid,
				   (uint32_t)owner);
	return 0;
}

static void sva_pasid_take(struct iom_host_sva *sv, struct sva_mm *m, uint32_t pasid)
{
	if (m->pasid >= 0)
		return;
	uint32_t lowest = 1;
	while (iom_u64map_get(&sv->pasids, lowest, NULL))
		lowest++;
	sv->pasid_not_lowest += pasid != lowest;
	iom_u64map_put(&sv->pasids, pasid, m->id);
	m->pasid = pasid;
	sv->pasids_allocated++;
}

/* The SVA domain of m: its tag (allocated, or the CPU ASID claimed). */
static int sva_domain(struct iom_host_sva *sv, struct sva_mm *m, uint64_t *t, struct iom_err *err)
{
	void *drv;
	const struct iom_host_drv_ops *ops = iom_host_ops(sv->h, &drv);
	if (m->tag)
		return 0;
	uint64_t owner = IOM_HOST_SVA_SLOT | m->id;
	if (sv->cfg.asid == IOM_SVA_ASID_CPU && ops->cpu_asid_ok) {
		uint64_t done = *t;
		int r = iom_host_tag_claim(sv->h, m->cpu_asid, owner, *t, &done, err);
		if (r)
			return r;
		sv->asid_moves += done != *t;
		*t = done;
		m->tag = m->cpu_asid;
		return 0;
	}
	return iom_host_tag_alloc(sv->h, owner, &m->tag, err);
}

/* The domain's last binding went: its tag is invalidated and freed. */
static int sva_domain_free(struct iom_host_sva *sv, struct sva_mm *m, uint64_t *t,
			   struct iom_err *err)
{
	struct iom_iommu *io = iom_host_iommu(sv->h);
	struct iom_inval inv = {.scope = IOM_INVAL_DOMAIN, .tag = m->tag};
	int r = io->ops->invalidate(io->self, &inv, *t, t, err);
	iom_host_tag_free(sv->h, m->tag);
	m->tag = 0;
	return r;
}

static void sva_bond_free(struct sva_bond *b)
{
	if (b) {
		free(b->rids);
		free(b);
	}
}

/* Detach (rid, pasid) of the first n rids, in reverse. */
static int sva_unwind(struct iom_host_sva *sv, const uint32_t *rids, uint32_t n, uint32_t pasid,
		      uint64_t *t, struct iom_err *err)
{
	void *drv;
	const struct iom_host_drv_ops *ops = iom_host_ops(sv->h, &drv);
	int r = 0;
	while (n--) {
		uint32_t rid = rids[n];
		if (!r)
			r = ops->detach(drv, rid, pasid, iom_host_pasids_in_use(sv->h, rid), *t, t,
					err);
		iom_host_sva_slot(sv->h, rid, pasid, 0, NULL);
	}
	return r;
}

int iom_host_bind(struct iom_host *h, uint32_t dev, uint32_t pasid, uint32_t mm,
		  const struct iom_pcie_topo *topo, uint64_t now_ps, uint64_t *done_ps,
		  struct iom_err *err)
{
	struct iom_host_sva *sv = iom_host_sva_of(h);
	void *drv;
	const struct iom_host_drv_ops *ops = iom_host_ops(h, &drv);
	uint64_t t = now_ps, key, v;
	uint32_t *rids = NULL, n = 0;
	*done_ps = now_ps;
	int r = iom_host_advance(h, now_ps, err);
	if (!r)
		r = sva_group(topo, dev, pasid, &rids, &n, &key, err);
	if (!r && topo)
		r = sva_rules(topo, dev, pasid, err);
	struct sva_mm *m = r ? NULL : sva_mm_get(sv, mm, err);
	if (!r && !m)
		r = -err->code;
	if (!r)
		r = sva_pasid(sv, m, pasid, err);
	if (!r && iom_u64map_get(&sv->bonds, key, &v)) { /* the group has something there */
		struct sva_bond *b = (struct sva_bond *)(uintptr_t)v;
		free(rids);
		if (b->mm != mm)
			return iom_err_set(err, IOM_EBUSY, "bind: pasid %u of the group is bound to "
					   "mm %u", pasid, b->mm);
		b->users++;
		sv->bind_refs++;
		return 0;
	}
	for (uint32_t i = 0; !r && i < n; i++) /* every device of the group must be free there */
		if (iom_host_slot(h, rids[i], pasid, &v))
			r = iom_host_sva_slot(h, rids[i], pasid, IOM_HOST_SVA_SLOT | mm, err);
	if (!r)
		r = sva_domain(sv, m, &t, err);
	struct iom_host_mm_ctx ctx = {.mm = mm, .cpu_asid = sv->cfg.asid == IOM_SVA_ASID_CPU &&
							    ops->cpu_asid_ok};
	uint32_t installed = 0; /* devices with the entry and the slot */
	while (!r && installed < n) {
		uint32_t rid = rids[installed];
		ctx.tag = m->tag;
		ctx.pt = m->pt;
		r = ops->bind_mm(drv, rid, pasid, &ctx, iom_host_pasids_in_use(h, rid), t, &t, err);
		if (!r)
			r = iom_host_sva_slot(h, rid, pasid, IOM_HOST_SVA_SLOT | mm, err);
		installed += !r;
	}
	struct sva_bond *b = NULL;
	if (!r && !(b = calloc(1, sizeof(*b))))
		r = iom_err_set(err, IOM_ENOMEM, "out of memory");
	if (!r) {
		*b = (struct sva_bond){.mm = mm, .pasid = pasid, .users = 1, .nrids = n, .rids = rids};
		if (iom_u64map_put(&sv->bonds, key, (uint64_t)(uintptr_t)b)) {
			free(b);
			r = iom_err_set(err, IOM_ENOMEM, "out of memory");
		}
	}
	if (r) { /* roll back what was installed, as __iommu_set_group_pasid() does */
		struct iom_err e2;
		sva_unwind(sv, rids, installed, pasid, &t, &e2);
		free(rids);
		if (m && m->tag && !m->bonds)
			sva_domain_free(sv, m, &t, &e2);
		if (m)
			sva_mm_maybe_exit(sv, m);
		*done_ps = t;
		return r;
	}
	sva_pasid_take(sv, m, pasid);
	m->bonds++;
	sv->binds++;
	sv->bound_devices += n;
	*done_ps = t;
	iom_hist_add(&sv->bind_ps, t - now_ps);
	return 0;
}

int iom_host_unbind(struct iom_host *h, uint32_t dev, uint32_t pasid,
		    const struct iom_pcie_topo *topo, uint64_t now_ps, uint64_t *done_ps,
		    struct iom_err *err)
{
	struct iom_host_sva *sv = iom_host_sva_of(h);
	uint64_t t = now_ps, key, v;
	uint32_t *rids = NULL, n = 0;
	*done_ps = now_ps;
	int r = iom_host_advance(h, now_ps, err);
	if (!r)
		r = sva_group(topo, dev, pasid, &rids, &n, &key, err);
	free(rids);
	if (r)
		return r;
	if (!iom_u64map_get(&sv->bonds, key, &v))
		return iom_err_set(err, IOM_ENOENT, "unbind: %02x:%02x.%x pasid %u is not bound",
				   (dev >> 8) & 0xff, (dev >> 3) & 0x1f, dev & 7, pasid);
	struct sva_bond *b = (struct sva_bond *)(uintptr_t)v;
	sv->unbinds++;
	if (--b->users)
		return 0;
	iom_u64map_del(&sv->bonds, key);
	struct sva_mm *m = sva_mm(sv, b->mm);
	/* The devices stopped using the PASID: stop markers, the handler flushed. */
	for (uint32_t i = 0; !r && i < b->nrids; i++)
		r = iom_host_pri_stop(h, b->rids[i], pasid, t, &t, err);
	if (!r)
		r = sva_unwind(sv, b->rids, b->nrids, pasid, &t, err);
	for (uint32_t i = 0; !r && i < b->nrids; i++)
		r = iom_host_pri_drain(h, b->rids[i], pasid, t, &t, err);
	sv->bound_devices -= b->nrids;
	sva_bond_free(b);
	if (m && !--m->bonds && m->tag) {
		int r2 = sva_domain_free(sv, m, &t, err);
		r = r ? r : r2;
	}
	if (m)
		sva_mm_maybe_exit(sv, m);
	*done_ps = t;
	return r;
}

/* ---- inspection ---- */

void iom_host_mm_info(struct iom_host *h, uint32_t mm, struct iom_host_mm_info *out)
{
	const struct sva_mm *m = sva_mm(iom_host_sva_of(h), mm);
	memset(out, 0, sizeof(*out));
	out->pasid = -1;
	if (!m)
		return;
	*out = (struct iom_host_mm_info){.exists = true,
					 .pasid = m->pasid,
					 .tag = m->tag,
					 .cpu_asid = m->cpu_asid,
					 .bonds = m->bonds,
					 .vmas = (uint32_t)m->nvmas,
					 .pgd = iom_pt_root(m->pt)};
}

struct iom_pt *iom_host_mm_pt(struct iom_host *h, uint32_t mm)
{
	struct sva_mm *m = sva_mm(iom_host_sva_of(h), mm);
	return m ? m->pt : NULL;
}

int64_t iom_host_bound_mm(struct iom_host *h, uint32_t dev, uint32_t pasid)
{
	uint64_t v;
	if (!iom_host_slot(h, dev, pasid, &v) || v < IOM_HOST_SVA_SLOT)
		return -1;
	return (int64_t)(uint32_t)v;
}

int iom_host_sva_register_stats(struct iom_host_sva *sv, struct iom_stats *s, struct iom_err *err)
{
	int r = 0;
#define SVA_CTR(f, unit, desc)                                                                     \
	if (!r)                                                                                    \
	r = iom_stats_counter(s, "host.sva." #f, unit, desc, &sv->f, err)
	SVA_CTR(mms_created, "processes", "process address spaces created (first pmap or bind)");
	SVA_CTR(mms_exited, "processes", "processes gone (no VMA and no binding left)");
	SVA_CTR(pmaps, "ops", "pmap records applied (VMAs created)");
	SVA_CTR(pmap_bytes, "bytes", "bytes of VMAs created");
	SVA_CTR(punmaps, "ops", "punmap records applied");
	SVA_CTR(punmap_bytes, "bytes", "bytes of CPU page-table entries removed by punmap");
	SVA_CTR(binds, "ops", "binds that installed a PASID entry on a group");
	SVA_CTR(bind_refs, "ops", "binds of a group already bound to the mm (a reference)");
	SVA_CTR(unbinds, "ops", "unbind records applied");
	SVA_CTR(bound_devices, "devices", "devices holding an SVA PASID entry now");
	SVA_CTR(pasids_allocated, "pasids", "PASIDs given to processes");
	SVA_CTR(pasids_freed, "pasids", "PASIDs freed when their process exited");
	SVA_CTR(pasid_not_lowest, "pasids",
		"PASIDs taken that are not the lowest free one (the trace's kernel allocated "
		"others meanwhile)");
	SVA_CTR(asid_moves, "ops",
		"host.sva.asid = cpu: DMA domains moved to a new ASID for a process");
	SVA_CTR(mm_invalidations, "ops", "mmu-notifier invalidations of SVA domains (punmap)");
	SVA_CTR(fault_ptes, "ptes", "CPU page-table entries made by page faults");
#undef SVA_CTR
	if (!r)
		r = iom_host_pri_register_stats(sv->pri, s, err);
	if (!r)
		r = iom_stats_histogram(s, "host.sva.bind_latency", "ps",
					"bind: PASID entries written on the group, with their "
					"invalidations",
					&sv->bind_ps, err);
	if (!r)
		r = iom_stats_histogram(s, "host.sva.punmap_latency", "ps",
					"punmap: the mmu-notifier invalidation of the SVA domain",
					&sv->punmap_ps, err);
	return r;
}
