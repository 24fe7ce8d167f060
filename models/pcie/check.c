/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check.c - routing replayed DMA through the fabric and the isolation
 * checker (check.h).
 *
 * A DMA record is cut where its address range enters or leaves a BAR, so
 * that each piece has one target (a peer function, or memory); each piece
 * is routed as one untranslated memory request of the record's direction
 * (route.c).  The device model cuts the IOMMU-bound pieces into TLPs as
 * before.  Peer-to-peer pieces are counted with their bytes; one that
 * reaches a function of another IOMMU group is an isolation violation,
 * described with both functions, the path and the ACS setting that let it
 * through.
 *
 * Timing: none here; with iom_pcie_checker_dma_routed() the caller gets
 * the route of every IOMMU and peer-to-peer piece and times it through the
 * fabric (fabric.c).
 */
#include "check.h"

#include "groups.h"
#include "stats.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct iom_pcie_checker *iom_pcie_checker_create(struct iom_pcie_topo *t, struct iom_err *err)
{
	struct iom_pcie_checker *c = calloc(1, sizeof(*c));
	if (!c) {
		iom_err_set(err, IOM_ENOMEM, "out of memory");
		return NULL;
	}
	if (iom_pcie_groups_compute(t, err)) {
		free(c);
		return NULL;
	}
	c->t = t;
	c->functions = t->nfns;
	c->groups = t->ngroups;
	return c;
}

void iom_pcie_checker_destroy(struct iom_pcie_checker *c)
{
	if (!c)
		return;
	iom_pcie_topo_destroy(c->t);
	free(c);
}

int iom_pcie_checker_register_stats(struct iom_pcie_checker *c, struct iom_stats *s,
                                    struct iom_err *err)
{
	int r = 0;
#define CK(f, unit, desc)                                                                          \
	if (!r)                                                                                    \
	r = iom_stats_counter(s, "pcie." #f, unit, desc, &c->f, err)
	CK(dmas, "pieces", "DMA pieces routed (a DMA is cut where it enters or leaves a BAR)");
	CK(iommu, "pieces", "pieces that reached the root complex and the IOMMU");
	CK(p2p, "pieces", "pieces delivered to a peer function without the IOMMU");
	CK(p2p_in_group, "pieces", "peer-to-peer pieces that stayed inside the requester's group");
	CK(violations, "pieces", "isolation violations: peer-to-peer into another IOMMU group");
	CK(blocked, "pieces", "pieces blocked in the fabric (ACS violation, unsupported request)");
	CK(p2p_bytes, "bytes", "bytes moved peer-to-peer");
	CK(blocked_bytes, "bytes", "bytes of blocked pieces");
	CK(aliased, "pieces",
	   "pieces that reached the IOMMU with another requester ID (DMA alias)");
#undef CK
	for (unsigned i = 0; i < IOM_RR_REASONS && !r; i++) {
		char n[64];
		snprintf(n, sizeof(n), "pcie.route.%s", iom_pcie_reason_name(i));
		r = iom_stats_counter(s, n, "pieces", "pieces whose route this decided",
		                      &c->by_reason[i], err);
	}
	return r;
}

/* End of the piece starting at addr: the end of its BAR, or the start of
 * the next BAR, or the end of the DMA. */
static uint64_t piece_end(const struct iom_pcie_topo *t, uint64_t addr, uint64_t end)
{
	uint32_t lo = 0, hi = t->nbars;
	while (lo < hi) { /* first BAR with base > addr */
		uint32_t mid = lo + (hi - lo) / 2;
		if (t->bars[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && addr < t->bars[lo - 1].end)
		return IOM_MIN(end, t->bars[lo - 1].end);
	if (lo < t->nbars)
		return IOM_MIN(end, t->bars[lo].base);
	return end;
}

static void describe(const struct iom_pcie_topo *t, uint32_t src, const struct iom_pcie_route *r,
                     uint64_t addr, char *buf, size_t sz)
{
	char a[16], b[16] = "-", path[200], why[160];
	iom_pcie_bdf_short(&t->fns[src], a, sizeof(a));
	if (r->target != IOM_PCIE_NONE)
		iom_pcie_bdf_short(&t->fns[r->target], b, sizeof(b));
	iom_pcie_route_path_str(t, r, path, sizeof(path));
	iom_pcie_route_why_str(t, r, why, sizeof(why));
	if (r->outcome == IOM_ROUTE_P2P)
		snprintf(
		    buf, sz,
		    "isolation violation: %s (group %u) reached %s (group %u, BAR%u) at %#" PRIx64
		    " without the IOMMU; path %s; %s",
		    a, t->fns[src].group, b, t->fns[r->target].group,
		    t->fns[r->target].bars[r->target_bar].index, addr, path, why);
	else
		snprintf(buf, sz, "blocked in the fabric: %s -> %#" PRIx64 " (%s); path %s; %s", a,
		         addr, b, path, why);
}

static int check_dma(struct iom_pcie_checker *c, uint32_t dev, uint64_t iova, uint64_t size,
                     bool write, iom_pcie_iommu_fn to_iommu, iom_pcie_piece_fn piece, void *ctx,
                     struct iom_pcie_dma_verdict *v, struct iom_err *err)
{
	const struct iom_pcie_topo *t = c->t;
	memset(v, 0, sizeof(*v));
	uint32_t src = iom_pcie_find_rid(t, (uint16_t)(dev >> 16), (uint16_t)dev);
	if (src == IOM_PCIE_NONE)
		return iom_err_set(
		    err, IOM_EINVAL,
		    "dma from %04x:%02x:%02x.%x: no function with this requester ID in "
		    "the pcie topology",
		    dev >> 16, (dev >> 8) & 0xff, (dev >> 3) & 0x1f, dev & 7);
	uint16_t own = iom_pcie_rid(&t->fns[src]);
	uint64_t end = iova + size < iova ? UINT64_MAX : iova + size;
	for (uint64_t a = iova; a < end;) {
		uint64_t e = piece_end(t, a, end);
		struct iom_pcie_route_req q = {.addr = a, .read = !write};
		struct iom_pcie_route r;
		iom_pcie_route(t, src, &q, &r);
		c->dmas++;
		c->by_reason[r.reason]++;
		if (r.outcome == IOM_ROUTE_IOMMU) {
			c->iommu++;
			if (r.iommu_rid != own)
				c->aliased++;
			int rc = piece ? piece(ctx, src, &r, a, e - a, err)
			               : to_iommu(ctx, a, e - a, err);
			if (rc)
				return rc;
		} else if (r.outcome == IOM_ROUTE_P2P) {
			c->p2p++;
			c->p2p_bytes += e - a;
			if (piece) {
				int rc = piece(ctx, src, &r, a, e - a, err);
				if (rc)
					return rc;
			}
			if (iom_pcie_isolation_violated(t, src, &r)) {
				c->violations++;
				if (!v->violation && !v->blocked)
					describe(t, src, &r, a, v->msg, sizeof(v->msg));
				v->violation = true;
			} else {
				c->p2p_in_group++;
			}
		} else {
			c->blocked++;
			c->blocked_bytes += e - a;
			if (!v->violation && !v->blocked)
				describe(t, src, &r, a, v->msg, sizeof(v->msg));
			v->blocked = true;
		}
		a = e;
	}
	return 0;
}

int iom_pcie_checker_dma(struct iom_pcie_checker *c, uint32_t dev, uint64_t iova, uint64_t size,
                         bool write, iom_pcie_iommu_fn to_iommu, void *ctx,
                         struct iom_pcie_dma_verdict *v, struct iom_err *err)
{
	return check_dma(c, dev, iova, size, write, to_iommu, NULL, ctx, v, err);
}

int iom_pcie_checker_dma_routed(struct iom_pcie_checker *c, uint32_t dev, uint64_t iova,
                                uint64_t size, bool write, iom_pcie_piece_fn piece, void *ctx,
                                struct iom_pcie_dma_verdict *v, struct iom_err *err)
{
	return check_dma(c, dev, iova, size, write, NULL, piece, ctx, v, err);
}

void iom_pcie_checker_print_summary(const struct iom_pcie_checker *c, FILE *f)
{
	fprintf(f,
	        "pcie         %" PRIu64 " functions in %" PRIu64 " IOMMU groups; %" PRIu64
	        " DMA pieces: %" PRIu64 " to the IOMMU, %" PRIu64 " peer-to-peer (%" PRIu64
	        " isolation violations), %" PRIu64 " blocked\n",
	        c->functions, c->groups, c->dmas, c->iommu, c->p2p, c->violations, c->blocked);
}
