/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_gen_nic.c - the DMA API workload generators: `gen nic`
 * (traces/gen/gen_nic.c) and `gen nvme --dma-api` (gen_nvme.c).  Expected
 * record counts follow the shapes documented at the top of those files;
 * every DMA must name a buffer that is mapped at its time; the traces replay
 * without a refusal in each DMA API mode and leave nothing mapped.
 */
#include "gen.h"
#include "trace.h"

#include "../tools/tools-test.h"

#include "config.h"
#include "replay-int.h"

#include <criterion/criterion.h>

TestSuite(gen_nic, .init = tt_setup, .fini = tt_teardown);

static struct iom_err E;

struct recs {
	struct iom_rec *v;
	size_t n;
};

static struct recs readback(const char *path)
{
	struct iom_trace_reader *r = iom_trace_open(path, NULL, &E);
	cr_assert_not_null(r, "%s", E.msg);
	struct recs out = {0};
	size_t cap = 0;
	struct iom_rec rec;
	int rc;
	while ((rc = iom_trace_next(r, &rec, &E)) == 1) {
		if (out.n == cap) {
			cap = cap ? cap * 2 : 256;
			out.v = realloc(out.v, cap * sizeof(*out.v));
			cr_assert_not_null(out.v);
		}
		out.v[out.n++] = rec;
	}
	cr_assert_eq(rc, 0, "%s", E.msg);
	iom_trace_close(r);
	return out;
}

static void write_nic(const struct iom_gen_nic *p, const char *path)
{
	struct iom_trace_writer *w = iom_trace_create(path, IOM_TRACE_TEXT, 0, &E);
	cr_assert_not_null(w, "%s", E.msg);
	cr_assert_eq(iom_gen_nic(p, w, &E), 0, "%s", E.msg);
	cr_assert_eq(iom_trace_finish(w, &E), 0, "%s", E.msg);
}

static void write_nvme(const struct iom_gen_nvme *p, bool dma_api, const char *path)
{
	struct iom_trace_writer *w = iom_trace_create(path, IOM_TRACE_TEXT, 0, &E);
	cr_assert_not_null(w, "%s", E.msg);
	int r = dma_api ? iom_gen_nvme_dma_api(p, w, &E) : iom_gen_nvme(p, w, &E);
	cr_assert_eq(r, 0, "%s", E.msg);
	cr_assert_eq(iom_trace_finish(w, &E), 0, "%s", E.msg);
}

static size_t count(const struct recs *t, unsigned kind)
{
	size_t n = 0;
	for (size_t i = 0; i < t->n; i++)
		n += t->v[i].kind == kind;
	return n;
}

/* Every dma names a buffer mapped at that time, inside it; every map is
 * of a buffer not mapped; every unmap of a mapped one; nothing is left. */
static void check_buffers(const struct recs *t)
{
	struct {
		uint32_t buf;
		uint64_t size;
	} live[4096];
	size_t n = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct iom_rec *r = &t->v[i];
		size_t k = 0;
		if (!(r->present & IOM_F_BUF))
			continue;
		while (k < n && live[k].buf != r->buf)
			k++;
		if (r->kind == IOM_REC_DMAMAP) {
			cr_assert_eq(k, n, "record %zu maps buf %u twice", i, r->buf);
			cr_assert_lt(n, 4096u);
			live[n].buf = r->buf;
			live[n++].size = r->size;
		} else if (r->kind == IOM_REC_DMAUNMAP) {
			cr_assert_lt(k, n, "record %zu unmaps buf %u, not mapped", i, r->buf);
			live[k] = live[--n];
		} else {
			cr_assert_lt(k, n, "record %zu: DMA on buf %u, not mapped", i, r->buf);
			cr_assert_leq(r->iova + r->size, live[k].size, "record %zu beyond buf", i);
		}
	}
	cr_expect_eq(n, 0u, "%zu buffers left mapped", n);
}

/* nvme --dma-api, 50 I/Os: 2 ring maps (buf 0 SQ, buf 1 CQ, rw) + 50 data
 * maps (buf 2..51) + 150 DMAs (command, data, completion) + 50 unmaps + the
 * roi marker (I/O 5 of 10 %) + the end marker + 2 ring unmaps = 256. */
Test(gen_nic, nvme_dma_api_shape_has_maps_dmas_and_unmaps_per_io)
{
	struct iom_gen_nvme p;
	iom_gen_nvme_defaults(&p);
	p.ios = 50;
	write_nvme(&p, true, tpath("d.trace"));
	struct recs t = readback(tpath("d.trace"));
	cr_expect_eq(t.n, 256u);
	cr_expect_eq(count(&t, IOM_REC_DMAMAP), 52u);
	cr_expect_eq(count(&t, IOM_REC_DMAUNMAP), 52u);
	cr_expect_eq(count(&t, IOM_REC_DMA), 150u);
	cr_expect_eq(count(&t, IOM_REC_MAP) + count(&t, IOM_REC_DOMAIN), 0u);
	cr_expect_eq(t.v[0].buf, 0u);
	cr_expect_eq(t.v[0].dir, IOM_DIR_BIDI);
	cr_expect_eq(t.v[1].buf, 1u);
	check_buffers(&t);
	/* the same draws as the dynamic shape: the i-th data map at the i-th map
	 * time, with the same PA, read I/O (device writes) = dir w */
	write_nvme(&p, false, tpath("m.trace"));
	struct recs m = readback(tpath("m.trace"));
	size_t i = 0, j = 0;
	for (uint32_t io = 0; io < 50; io++) {
		while (!(t.v[i].kind == IOM_REC_DMAMAP && t.v[i].buf >= 2))
			i++;
		while (!(m.v[j].kind == IOM_REC_MAP && m.v[j].iova != 0x100000 &&
			 m.v[j].iova != 0x200000))
			j++;
		cr_expect_eq(t.v[i].buf, 2 + io);
		cr_expect_eq(t.v[i].time_ps, m.v[j].time_ps, "I/O %u", io);
		cr_expect_eq(t.v[i].pa, m.v[j].pa, "I/O %u", io);
		cr_expect_eq(t.v[i].dir, m.v[j].prot == IOM_PROT_W ? IOM_DIR_WRITE : IOM_DIR_READ);
		i++, j++;
	}
	free(t.v);
	free(m.v);
	/* IOVAs are the DMA API's: no pool, no IOVA defer */
	p.pool_pages = 16;
	struct iom_trace_writer *w = iom_trace_create(tpath("x.trace"), IOM_TRACE_TEXT, 0, &E);
	cr_assert_eq(iom_gen_nvme_dma_api(&p, w, &E), -IOM_EINVAL);
	cr_expect(strstr(E.msg, "--dma-api"), "%s", E.msg);
	iom_trace_finish(w, &E);
}

/* 2 queues of 8 descriptors, 100 packets, half received: setup maps 2 rings
 * + 8 RX buffers per queue (20); a sent packet is 1 map, 3 DMAs (descriptor
 * fetch, data, write-back), 1 unmap; a received one 2 DMAs (data,
 * descriptor), 1 unmap, 1 map (refill); teardown unmaps 20 after the end
 * marker.  So maps = unmaps = 20 + 100, DMAs = 3 TX + 2 RX, records = 20 +
 * 5 TX + 4 RX + 2 markers + 20. */
Test(gen_nic, nic_shape_counts_and_buffers)
{
	struct iom_gen_nic p;
	iom_gen_nic_defaults(&p);
	p.packets = 100;
	p.queues = 2;
	p.ring = 8;
	write_nic(&p, tpath("n.trace"));
	struct recs t = readback(tpath("n.trace"));
	size_t dmas = count(&t, IOM_REC_DMA), tx = dmas - 200; /* 3 TX + 2 RX, TX + RX = 100 */
	cr_expect_eq(count(&t, IOM_REC_DMAMAP), 120u);
	cr_expect_eq(count(&t, IOM_REC_DMAUNMAP), 120u);
	cr_expect_eq(count(&t, IOM_REC_PHASE), 2u);
	cr_expect_eq(t.n, 20 + 5 * tx + 4 * (100 - tx) + 2 + 20);
	cr_expect(tx > 20 && tx < 80, "%zu of 100 sent at rx_pct 50", tx);
	check_buffers(&t);
	/* queue q's buffers: handle mod 2 == q; rings are handles q and 2 + q;
	 * a descriptor DMA lands in its ring (16 bytes inside 4 KiB) */
	for (size_t i = 0; i < t.n; i++) {
		const struct iom_rec *r = &t.v[i];
		if (r->kind == IOM_REC_DMA && r->size == 16)
			cr_expect(r->buf < 4 && r->iova < 8 * 16, "record %zu", i);
	}
	free(t.v);
	/* deterministic for a seed */
	write_nic(&p, tpath("n2.trace"));
	size_t a, b;
	char *x = slurp(tpath("n.trace"), &a), *y = slurp(tpath("n2.trace"), &b);
	cr_expect(a == b && !memcmp(x, y, a));
	free(x);
	free(y);
	p.seed = 2;
	write_nic(&p, tpath("n3.trace"));
	y = slurp(tpath("n3.trace"), &b);
	x = slurp(tpath("n.trace"), &a);
	cr_expect(a != b || memcmp(x, y, a));
	free(x);
	free(y);
}

/* TSO: sent packets of log-uniform sizes in [1500, 65536] (a map, its data
 * DMA of the same size); received ones stay 1500.  Without the teardown the
 * rings and the RX buffers stay mapped: 2 queues x (2 + 8) maps more than
 * unmaps, and no end marker. */
Test(gen_nic, tso_sizes_and_no_teardown)
{
	struct iom_gen_nic p;
	iom_gen_nic_defaults(&p);
	p.packets = 400;
	p.queues = 2;
	p.ring = 8;
	p.pkt_max = 65536;
	p.no_teardown = true;
	write_nic(&p, tpath("t.trace"));
	struct recs t = readback(tpath("t.trace"));
	size_t big = 0, tx = 0;
	for (size_t i = 0; i < t.n; i++) {
		const struct iom_rec *r = &t.v[i];
		if (r->kind != IOM_REC_DMAMAP || r->dir != IOM_DIR_READ)
			continue;
		tx++;
		cr_expect(r->size >= 1500 && r->size <= 65536, "size %llu",
			  (unsigned long long)r->size);
		big += r->size > 16384;
	}
	/* P(size > 16K) = 1 - ln(16384/1500)/ln(65536/1500) = 0.37 */
	cr_expect(big > tx / 5 && big < tx / 2, "%zu of %zu above 16 KiB", big, tx);
	cr_expect_eq(count(&t, IOM_REC_DMAMAP) - count(&t, IOM_REC_DMAUNMAP), 20u);
	cr_expect_eq(count(&t, IOM_REC_PHASE), 1u);
	free(t.v);
}

Test(gen_nic, bad_parameters_are_refused)
{
	struct iom_gen_nic p;
	iom_gen_nic_defaults(&p);
	p.pkt_bytes = 63;
	struct iom_trace_writer *w = iom_trace_create(tpath("b.trace"), IOM_TRACE_TEXT, 0, &E);
	cr_expect_eq(iom_gen_nic(&p, w, &E), -IOM_EINVAL);
	cr_expect(strstr(E.msg, "packet size 63"), "%s", E.msg);
	iom_gen_nic_defaults(&p);
	p.rx_buf = 1024;
	cr_expect_eq(iom_gen_nic(&p, w, &E), -IOM_EINVAL);
	cr_expect(strstr(E.msg, "RX buffer of 1024 bytes"), "%s", E.msg);
	iom_trace_finish(w, &E);
}

/* Both traces replay with no refusal in every mode, every map unmapped. */
Test(gen_nic, traces_replay_cleanly_in_every_mode)
{
	struct iom_gen_nic p;
	iom_gen_nic_defaults(&p);
	p.packets = 400;
	write_nic(&p, tpath("nic.trace"));
	struct iom_gen_nvme q;
	iom_gen_nvme_defaults(&q);
	q.ios = 100;
	write_nvme(&q, true, tpath("nvme.trace"));
	static const char *const modes[] = {"dma_api.mode=iommu", "dma_api.mode=identity",
					    "dma_api.mode=bounce"};
	static const char *const traces[] = {"nic.trace", "nvme.trace"};
	static const double maps[] = {4 * (2 + 256) + 400, 2 + 100};
	for (size_t m = 0; m < 3; m++) {
		for (size_t k = 0; k < 2; k++) {
			struct iom_config *c = iom_config_create_default();
			cr_assert_eq(iom_config_set(c, modes[m], &E), 0, "%s", E.msg);
			cr_assert_eq(iom_config_set(c, "dma_api.ncpus=4", &E), 0, "%s", E.msg);
			struct iom_system *s = iom_system_build(c, &E);
			cr_assert_not_null(s, "%s", E.msg);
			struct iom_replay_opts o = {.trace_path = tpath(traces[k])};
			struct iom_replay_result res;
			cr_assert_eq(iom_replay_run(s, &o, &res, &E), 0, "%s: %s", modes[m], E.msg);
			cr_expect_eq(res.rejected, 0u, "%s %s", modes[m], traces[k]);
			double v = -1, u = -1, l = -1;
			iom_stats_get(s->stats, NULL, "dma_api.maps", &v);
			iom_stats_get(s->stats, NULL, "dma_api.unmaps", &u);
			iom_stats_get(s->stats, NULL, "dma_api.leaked", &l);
			cr_expect_eq(v, maps[k], "%s %s: %.0f maps", modes[m], traces[k], v);
			cr_expect_eq(u, maps[k]);
			cr_expect_eq(l, 0);
			iom_system_destroy(s);
			iom_config_destroy(c);
		}
	}
}

/* `iommusim gen ARGS... -o c.trace`; its exit code. */
static int cli(const char *const *args)
{
	const char *argv[16] = {"gen"};
	size_t n = 1;
	while (*args && n < 13)
		argv[n++] = *args++;
	argv[n++] = "-o";
	argv[n++] = tpath("c.trace");
	argv[n] = NULL;
	return tt_runq(argv);
}

Test(gen_nic, gen_command_takes_nic_and_nvme_dma_api)
{
	static const char *const nic[] = {"nic", "--packets", "10", "--queues", "2", NULL};
	cr_expect_eq(cli(nic), 0);
	size_t n;
	char *t = slurp(tpath("c.trace"), &n);
	cr_expect(strstr(t, "gen nic --seed 1 --packets 10 --pkt-size 1500"), "%.200s", t);
	free(t);
	static const char *const nvme[] = {"nvme", "--dma-api", "--ios", "20", NULL};
	cr_expect_eq(cli(nvme), 0);
	t = slurp(tpath("c.trace"), &n);
	cr_expect(strstr(t, " --dma-api") && strstr(t, "\ndmamap t=0ns dev=01:00.0 buf=0 "), "%.300s", t);
	free(t);
	static const char *const bad[] = {"nic", "--pkt-sise", "100", NULL};
	cr_expect_eq(cli(bad), 1); /* usage */
	static const char *const pool[] = {"nvme", "--dma-api", "--pool-pages", "16", NULL};
	cr_expect_eq(cli(pool), 2); /* bad input */
}
