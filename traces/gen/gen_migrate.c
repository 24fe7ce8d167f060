/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gen_migrate.c - a live-migration trace: pre-copy rounds of dirty-page
 * harvests over a VM whose assigned device keeps writing guest memory
 * (gen.h, docs/dirty.md "Migration scenario").
 *
 * What it writes:
 *  setup   at t = 0: `domain op=create`, `attach` of the device, one `map`
 *          of the whole guest RAM (guest_bytes at `iova`, backed by `pa`,
 *          prot rw, pgsize = the mapping's page size: 4K, 2M or 1G) and
 *          `dirty op=on` (tracking starts; the replay's enable pre-clears);
 *  start   at t0 = 1 us: `phase op=roi name=precopy`; round 0, the bulk copy
 *          of the whole guest, takes guest_bytes / bandwidth;
 *  rounds  harvest k (k = 1, 2, ...) reads and clears the dirty state of the
 *          whole guest range (`harvest`, pgsize = harvest_pgsize).  It ends
 *          round k - 1; round k waits harvest_ps (the harvest's own time, as
 *          the user estimates it; 0 by default), copies what harvest k found,
 *          which takes (units found) * copy_unit / bandwidth, and ends at
 *          harvest k + 1;
 *  stop    when harvest k finds at most stop_pages copy units (converged at
 *          round k), or k = max_rounds (did not converge), the VM is stopped:
 *          the device keeps writing for harvest_ps + stop_ps more (the
 *          harvest, the decision, pausing
 *          the vCPUs, moving the device to its stopped state), then the
 *          stop-and-copy harvest reads what it wrote since harvest k;
 *  end     `phase op=end name=stop_copy` and `dirty op=off` at that time.
 *
 * The generator cannot see what the replay's harvests report -- the trace
 * is written before any replay -- so it times each round from its own
 * knowledge of what it dirtied: the distinct copy units (copy_unit bytes,
 * 4 KB by default) its writes touched since the previous harvest.  That is
 * the ground truth at copy_unit granularity.  What a real harvest reports
 * can be more: an IOMMU records whole leaves (a dirty 2 MB leaf is 512 4 KB
 * pages), a device tracker its own page size; set copy_unit to the leaf size
 * to time the rounds as a migration that copies what such a tracker reports.
 * Nor can it see how long a harvest takes: each counts harvest_ps (default
 * 0) in the generator's time base, and the replay's harvests take their
 * simulated time while the writes keep their trace times (the replay
 * resolves those races).  With harvest_ps below a harvest's simulated time,
 * a round shorter than a harvest makes consecutive harvests overlap in the
 * replay; the replay's mean harvest time is the value to feed back.
 *
 * The dirtying workload (all writes are DMA writes of write_bytes from the
 * start of a 4 KB page of guest RAM; a write at exactly a harvest's time
 * comes after that harvest):
 *  rate      a stream at `rate` bytes/s: write j (j >= 1) at
 *            t0 + j * write_bytes / rate, from t0 until the device is
 *            quiesced.  Locality: a hot set of hot_pct % of the guest's pages
 *            (at least one), one contiguous run at a seeded random place,
 *            receives hot_share_pct % of the writes; the rest land uniformly
 *            on the whole guest.  Each write draws two numbers (hot or not,
 *            then the page) from a splitmix64 stream seeded with `seed`.
 *  fraction  between every two consecutive harvests (and between t0 and the
 *            first) the device writes each page of a fixed set once, evenly
 *            spread over the second half of the interval (write m of n at
 *            from + h + m * (to - from - h) / n, h = (to - from) / 2), so a
 *            harvest that takes less than half the next interval does not
 *            race them and every harvest finds exactly the set: page i (0-based 4 KB page of the
 * guest) is in the set iff floor((i+1) * dirty_pct / 100) > floor(i * dirty_pct / 100), so the set
 * holds exactly floor(pages * dirty_pct / 100) pages, one every 100 / dirty_pct (10 %: pages 9, 19,
 * 29, ...).  No randomness; write_bytes <= 4096. Every harvest then finds the same pages: the
 * studies' mode.
 *
 * Cost: time linear in the records written; memory one bit per copy unit of
 * the guest (a 1 TiB guest at 4 KB: 32 MiB).  Records are written in time
 * order as they are produced (no heap).
 */
#include "gen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIG_T0_PS     1000000ull /* round 0 starts 1 us after the setup */
#define MIG_MAX_GUEST (1ull << 40)
#define MIG_MAX_WRITE (1u << 21)
#define MIG_PS_PER_S  1000000000000ull
#define MIG_T_MAX     (1ull << 62) /* times stay far from 2^64 */

__extension__ typedef unsigned __int128 mig_u128;

void iom_gen_migrate_defaults(struct iom_gen_migrate *p)
{
	memset(p, 0, sizeof(*p));
	p->seed = 1;
	p->guest_bytes = 1ull << 30;
	p->pgsize = 4096;
	p->iova = 1ull << 32;
	p->pa = 1ull << 32;
	p->dev = 0x0100; /* 01:00.0 */
	p->domain = 1;
	p->mode = IOM_GEN_MIG_RATE;
	p->rate = 64ull << 20;
	p->write_bytes = 4096;
	p->hot_pct = 10;
	p->hot_share_pct = 90;
	p->dirty_pct = 1;
	p->bandwidth = 1ull << 30;
	p->max_rounds = 10;
	p->stop_pages = 256;
	p->stop_ps = 50000000ull; /* 50 us */
	p->copy_unit = 4096;
	p->harvest_pgsize = 4096;
}

static uint64_t mig_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* a * b / c rounded down, saturated at MIG_T_MAX. */
static uint64_t mig_muldiv(uint64_t a, uint64_t b, uint64_t c)
{
	mig_u128 v = (mig_u128)a * b / c;
	return v > MIG_T_MAX ? MIG_T_MAX : (uint64_t)v;
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static int mig_check_layout(const struct iom_gen_migrate *p, struct iom_err *err)
{
	if (p->pgsize != 4096 && p->pgsize != (1ull << 21) && p->pgsize != (1ull << 30))
		return iom_err_set(err, IOM_EINVAL,
		                   "gen migrate: page size %llu must be 4K, 2M or 1G",
		                   (unsigned long long)p->pgsize);
	if (!p->guest_bytes || p->guest_bytes % p->pgsize || p->guest_bytes > MIG_MAX_GUEST)
		return iom_err_set(
		    err, IOM_EINVAL,
		    "gen migrate: guest size %llu must be a non-zero multiple of the "
		    "page size %llu, at most 1T",
		    (unsigned long long)p->guest_bytes, (unsigned long long)p->pgsize);
	if (p->iova % p->pgsize || p->pa % p->pgsize)
		return iom_err_set(
		    err, IOM_EINVAL,
		    "gen migrate: iova 0x%llx and pa 0x%llx must be aligned to the page "
		    "size %llu",
		    (unsigned long long)p->iova, (unsigned long long)p->pa,
		    (unsigned long long)p->pgsize);
	if (p->iova > UINT64_MAX - p->guest_bytes + 1 || p->pa > UINT64_MAX - p->guest_bytes + 1)
		return iom_err_set(err, IOM_ERANGE,
		                   "gen migrate: iova or pa + guest size overflows");
	if (!is_pow2(p->harvest_pgsize) || p->harvest_pgsize < 4096 ||
	    p->iova % p->harvest_pgsize || p->guest_bytes % p->harvest_pgsize)
		return iom_err_set(
		    err, IOM_EINVAL,
		    "gen migrate: harvest page size %llu must be a power of two >= 4096 "
		    "that divides the guest's iova and size",
		    (unsigned long long)p->harvest_pgsize);
	if (!is_pow2(p->copy_unit) || p->copy_unit < 4096 || p->copy_unit > (1ull << 30))
		return iom_err_set(err, IOM_EINVAL,
		                   "gen migrate: copy unit %llu must be a power of two in [4K, 1G]",
		                   (unsigned long long)p->copy_unit);
	return 0;
}

static int mig_check(const struct iom_gen_migrate *p, struct iom_err *err)
{
	int r = mig_check_layout(p, err);
	if (r)
		return r;
	if (p->mode > IOM_GEN_MIG_FRACTION)
		return iom_err_set(err, IOM_EINVAL, "gen migrate: unknown mode %u", p->mode);
	if (!p->write_bytes || p->write_bytes > MIG_MAX_WRITE || p->write_bytes > p->guest_bytes)
		return iom_err_set(
		    err, IOM_EINVAL,
		    "gen migrate: write size %u must be in [1, 2M] and fit the guest",
		    p->write_bytes);
	if (p->mode == IOM_GEN_MIG_FRACTION && (p->write_bytes > 4096 || p->dirty_pct > 100))
		return iom_err_set(
		    err, IOM_EINVAL,
		    "gen migrate: fraction mode needs a write size <= 4096 (%u) and a "
		    "dirty %% in 0..100 (%u)",
		    p->write_bytes, p->dirty_pct);
	if (p->mode == IOM_GEN_MIG_RATE &&
	    (!p->hot_pct || p->hot_pct > 100 || p->hot_share_pct > 100))
		return iom_err_set(
		    err, IOM_EINVAL,
		    "gen migrate: hot set %u %% must be in 1..100 and its share %u %% "
		    "in 0..100",
		    p->hot_pct, p->hot_share_pct);
	if (!p->bandwidth)
		return iom_err_set(err, IOM_EINVAL, "gen migrate: the link bandwidth must be > 0");
	if (p->stop_ps > (1ull << 60) || p->harvest_ps > (1ull << 60))
		return iom_err_set(
		    err, IOM_ERANGE,
		    "gen migrate: stop time %llu ps or harvest time %llu ps is over 2^60",
		    (unsigned long long)p->stop_ps, (unsigned long long)p->harvest_ps);
	if (!p->max_rounds || p->max_rounds > IOM_GEN_MIG_MAX_ROUNDS)
		return iom_err_set(err, IOM_EINVAL, "gen migrate: max rounds %u must be in 1..%u",
		                   p->max_rounds, IOM_GEN_MIG_MAX_ROUNDS);
	return 0;
}

/* The run: the records so far, the dirty units since the last harvest. */
struct mig_run {
	const struct iom_gen_migrate *p;
	struct iom_trace_writer *w;
	struct iom_gen_migrate_out *out;
	uint64_t rng;
	uint64_t pages;          /* 4 KB pages of the guest */
	uint64_t *dirty;         /* one bit per copy unit */
	uint64_t nunits, ndirty; /* units, distinct units dirtied since the harvest */
	uint64_t hot_start, hot_pages;
	uint64_t gap_ps;        /* rate: time between two writes (0: no writes) */
	uint64_t next_write_ps; /* rate: time of the next write */
	uint64_t dmas;
};

static struct iom_rec rec_base(unsigned kind, uint64_t t)
{
	struct iom_rec r;
	memset(&r, 0, sizeof(r));
	r.kind = (uint8_t)kind;
	r.time_ps = t;
	r.present = IOM_F_TIME;
	return r;
}

static int mig_op(struct mig_run *g, unsigned kind, unsigned op, uint64_t t, const char *name,
                  struct iom_err *err)
{
	struct iom_rec r = rec_base(kind, t);
	r.present |= IOM_F_OP;
	r.op = (uint8_t)op;
	if (kind == IOM_REC_DOMAIN || kind == IOM_REC_DIRTY) {
		r.present |= IOM_F_DOMAIN;
		r.domain = g->p->domain;
	}
	if (name) {
		r.present |= IOM_F_NAME;
		strncpy(r.name, name, sizeof(r.name) - 1);
	}
	return iom_trace_write(g->w, &r, err);
}

static int mig_setup(struct mig_run *g, struct iom_err *err)
{
	const struct iom_gen_migrate *p = g->p;
	int e = mig_op(g, IOM_REC_DOMAIN, IOM_OP_CREATE, 0, NULL, err);
	struct iom_rec r = rec_base(IOM_REC_ATTACH, 0);
	r.present |= IOM_F_DEV | IOM_F_DOMAIN;
	r.dev = p->dev;
	r.domain = p->domain;
	if (!e)
		e = iom_trace_write(g->w, &r, err);
	r = rec_base(IOM_REC_MAP, 0);
	r.present |= IOM_F_DOMAIN | IOM_F_IOVA | IOM_F_SIZE | IOM_F_PA | IOM_F_PROT | IOM_F_PGSIZE;
	r.domain = p->domain;
	r.iova = p->iova;
	r.size = p->guest_bytes;
	r.pa = p->pa;
	r.prot = IOM_PROT_R | IOM_PROT_W;
	r.pgsize = p->pgsize;
	if (!e)
		e = iom_trace_write(g->w, &r, err);
	if (!e)
		e = mig_op(g, IOM_REC_DIRTY, IOM_OP_ON, 0, NULL, err);
	if (!e)
		e = mig_op(g, IOM_REC_PHASE, IOM_OP_ROI, MIG_T0_PS, "precopy", err);
	return e;
}

/* One DMA write of write_bytes at 4 KB page `page` of the guest, at t. */
static int mig_write(struct mig_run *g, uint64_t page, uint64_t t, struct iom_err *err)
{
	const struct iom_gen_migrate *p = g->p;
	uint64_t off = page * 4096;
	for (uint64_t u = off / p->copy_unit; u <= (off + p->write_bytes - 1) / p->copy_unit; u++)
		if (!(g->dirty[u / 64] & (1ull << (u % 64)))) {
			g->dirty[u / 64] |= 1ull << (u % 64);
			g->ndirty++;
		}
	struct iom_rec r = rec_base(IOM_REC_DMA, t);
	r.present |= IOM_F_DEV | IOM_F_IOVA | IOM_F_SIZE | IOM_F_DIR;
	r.dev = p->dev;
	r.iova = p->iova + off;
	r.size = p->write_bytes;
	r.dir = IOM_DIR_WRITE;
	g->dmas++;
	return iom_trace_write(g->w, &r, err);
}

/* rate: the page of the next write (two draws, whatever the outcome). */
static uint64_t mig_pick(struct mig_run *g)
{
	const struct iom_gen_migrate *p = g->p;
	uint64_t wpages = (p->write_bytes + 4095ull) / 4096;
	bool hot = mig_rand(&g->rng) % 100 < p->hot_share_pct;
	uint64_t x = mig_rand(&g->rng);
	if (hot && g->hot_pages >= wpages)
		return g->hot_start + x % (g->hot_pages - wpages + 1);
	return x % (g->pages - wpages + 1);
}

/* The writes of [from, to): rate, the stream's writes before `to`;
 * fraction, the page set spread over the second half. */
static int mig_interval(struct mig_run *g, uint64_t from, uint64_t to, struct iom_err *err)
{
	const struct iom_gen_migrate *p = g->p;
	int r = 0;
	if (p->mode == IOM_GEN_MIG_RATE) {
		while (g->gap_ps && g->next_write_ps < to && !r) {
			r = mig_write(g, mig_pick(g), g->next_write_ps, err);
			g->next_write_ps += g->gap_ps;
		}
		return r;
	}
	uint64_t n = g->pages * p->dirty_pct / 100;
	uint64_t start = from + (to - from) / 2; /* the second half of the interval */
	for (uint64_t m = 0; m < n && !r; m++) {
		/* the (m+1)-th i with floor((i+1) pct / 100) > floor(i pct / 100) */
		uint64_t page = ((m + 1) * 100 + p->dirty_pct - 1) / p->dirty_pct - 1;
		r = mig_write(g, page, start + mig_muldiv(m, to - start, n), err);
	}
	return r;
}

/* Harvest number k at t: the record, the generator's count, cleared. */
static int mig_harvest(struct mig_run *g, uint32_t k, uint64_t t, struct iom_err *err)
{
	const struct iom_gen_migrate *p = g->p;
	int r = 0;
	if (p->comments) {
		char line[200];
		snprintf(line, sizeof(line),
		         "harvest %u: the device dirtied %llu units of %llu bytes since %s", k,
		         (unsigned long long)g->ndirty, (unsigned long long)p->copy_unit,
		         k == 1 ? "tracking started" : "the previous harvest");
		r = iom_trace_comment(g->w, line, err);
	}
	struct iom_rec h = rec_base(IOM_REC_HARVEST, t);
	h.present |= IOM_F_DOMAIN | IOM_F_IOVA | IOM_F_SIZE | IOM_F_PGSIZE;
	h.domain = p->domain;
	h.iova = p->iova;
	h.size = p->guest_bytes;
	h.pgsize = p->harvest_pgsize;
	if (!r)
		r = iom_trace_write(g->w, &h, err);
	if (g->out) {
		g->out->harvest_ps[k - 1] = t;
		g->out->units[k - 1] = g->ndirty;
		g->out->harvests = k;
	}
	memset(g->dirty, 0, (g->nunits + 63) / 64 * sizeof(*g->dirty));
	g->ndirty = 0;
	return r;
}

static int mig_rounds(struct mig_run *g, struct iom_err *err)
{
	const struct iom_gen_migrate *p = g->p;
	uint64_t from = MIG_T0_PS;
	uint64_t to = from + mig_muldiv(p->guest_bytes, MIG_PS_PER_S, p->bandwidth);
	bool live = true;
	int r = 0;
	for (uint32_t k = 1; !r; k++) {
		if (to >= MIG_T_MAX)
			return iom_err_set(err, IOM_ERANGE,
			                   "gen migrate: round %u would end past 2^62 ps", k);
		r = mig_interval(g, from, to, err);
		uint64_t found = g->ndirty;
		if (!r)
			r = mig_harvest(g, k, to, err);
		if (r || !live)
			break;
		from = to;
		if (found <= p->stop_pages || k == p->max_rounds) {
			live = false; /* stop the VM; the device runs until quiesced */
			if (g->out)
				g->out->converged_round = found <= p->stop_pages ? k : 0;
			to = from + p->harvest_ps + p->stop_ps;
			if (g->out)
				g->out->stop_ps = to;
		} else {
			to = from + p->harvest_ps +
			     mig_muldiv(found * p->copy_unit, MIG_PS_PER_S, p->bandwidth);
		}
	}
	if (!r)
		r = mig_op(g, IOM_REC_PHASE, IOM_OP_END, to, "stop_copy", err);
	if (!r)
		r = mig_op(g, IOM_REC_DIRTY, IOM_OP_OFF, to, NULL, err);
	return r;
}

int iom_gen_migrate(const struct iom_gen_migrate *p, struct iom_trace_writer *w,
                    struct iom_gen_migrate_out *out, struct iom_err *err)
{
	int r = mig_check(p, err);
	if (r)
		return r;
	struct mig_run g = {.p = p, .w = w, .out = out, .rng = p->seed};
	g.pages = p->guest_bytes / 4096;
	g.nunits = (p->guest_bytes + p->copy_unit - 1) / p->copy_unit;
	g.dirty = calloc((g.nunits + 63) / 64, sizeof(*g.dirty));
	if (!g.dirty)
		return iom_err_set(err, IOM_ENOMEM, "out of memory");
	if (out)
		memset(out, 0, sizeof(*out));
	if (p->mode == IOM_GEN_MIG_RATE) {
		g.hot_pages = IOM_MAX(1ull, g.pages * p->hot_pct / 100);
		g.hot_start = mig_rand(&g.rng) % (g.pages - g.hot_pages + 1);
		g.gap_ps =
		    p->rate ? IOM_MAX(1ull, mig_muldiv(p->write_bytes, MIG_PS_PER_S, p->rate)) : 0;
		g.next_write_ps = MIG_T0_PS + g.gap_ps;
	}
	r = mig_setup(&g, err);
	if (!r)
		r = mig_rounds(&g, err);
	if (out) {
		out->dmas = g.dmas;
		out->start_ps = MIG_T0_PS;
	}
	free(g.dirty);
	return r;
}
