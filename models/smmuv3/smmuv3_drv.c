/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smmuv3_drv.c - the driver side of the SMMUv3 model: what Linux's
 * arm-smmu-v3 driver (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c) does,
 * reduced to this model's slice: linear stream table with every unused STE
 * V=1 Config=abort, linear CD tables, one command queue and one event
 * queue; every STE/CD change followed by CMD_CFGI_* + CMD_SYNC; TLB
 * invalidation per granule, or with range commands when the SMMU has
 * IDR3.RIL and the caller asks for them (__arm_smmu_tlb_inv_range()), +
 * CMD_SYNC. CMD_SYNC as arm_smmu_cmdq_build_sync_cmd(): with IDR0.MSI
 * (coherent SMMU), CS=IRQ with MSIData 0 written into the SYNC's own queue
 * slot, which the driver polls; otherwise CS=SEV and CONS is polled.
 * A full queue is back-pressure: the driver rings the doorbell and waits in
 * simulated time for the SMMU to consume the slot it needs (as
 * arm_smmu_cmdq_poll_until_not_full()), counting the stall and the wait.
 *
 * Not done: hitless multi-step STE updates (arm_smmu_write_entry: the model
 * consumes commands between calls, so a whole-entry write is observed
 * atomically), ATS/PRI, batching across calls, the CMDQ_MAX_TLBI_OPS
 * fallback to an ASID TLBI (SVA only), the CPU cost of polling (MMIO reads
 * of CONS or cache-line polls are free: completion is observed when CONS
 * passes the SYNC, or when the MSI write lands).
 *
 * Timing: STE/CD/command writes are timed writes by "<smmu>.drv" issued
 * one after another from now_ps; the doorbell is rung when the last command
 * is written; the caller's completion time is when it observes the CMD_SYNC
 * complete.
 * Stream-table initialisation at create time is functional (boot time).
 */
#include "smmuv3_drv.h"

#include "mem.h"
#include "smmuv3-regs.h"
#include "stats.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct iom_smmu_drv {
	struct iom_smmu *smmu;
	struct iom_mem *mem;
	struct iom_palloc *pa;
	int req;
	uint32_t sid_bits;
	uint64_t strtab_pa, cmdq_pa, evtq_pa;
	uint32_t cmdq_log2, evtq_log2;
	uint32_t cmdq_prod; /* shadow of SMMU_CMDQ_PROD */
	uint32_t evtq_cons; /* shadow of SMMU_EVTQ_CONS */
	bool ril;           /* SMMU_IDR3.RIL: range invalidation available */
	bool msi_poll;      /* SMMU_IDR0.MSI: CMD_SYNC completion polled via its MSI write */
	void (*observe)(void *ctx, const struct iom_txn *t);
	void *observe_ctx;
	struct iom_smmu_drv_stats st;
};

/* ---- allocation and registers ---- */

static int drv_alloc(struct iom_smmu_drv *drv, uint64_t *pa, size_t size, const char *what,
		     struct iom_err *err)
{
	*pa = iom_palloc_alloc(drv->pa, size);
	if (!*pa)
		return iom_err_set(err, IOM_ENOMEM, "smmu drv %s: cannot allocate %zu bytes for the %s",
				   iom_smmu_name(drv->smmu), size, what);
	return 0;
}

static void drv_init_strtab(struct iom_smmu_drv *drv)
{
	uint64_t ste[SMMU_STE_WORDS] = { 0 };
	smmu_ste_set_v(ste, 1);
	smmu_ste_set_config(ste, SMMU_STE_CFG_ABORT);
	for (uint64_t sid = 0; sid < (1ull << drv->sid_bits); sid++)
		iom_mem_wr64(drv->mem, drv->strtab_pa + sid * SMMU_STE_BYTES, ste[0]);
}

static int drv_program(struct iom_smmu_drv *drv, struct iom_err *err)
{
	int rc = iom_smmu_write_strtab(drv->smmu, drv->strtab_pa,
				       smmu_strtab_cfg_make(SMMU_STRTAB_FMT_LINEAR, drv->sid_bits), err);
	if (!rc)
		rc = iom_smmu_write_cmdq_base(drv->smmu, smmu_q_base_make(drv->cmdq_pa, drv->cmdq_log2),
					      err);
	if (!rc)
		rc = iom_smmu_write_evtq_base(drv->smmu, smmu_q_base_make(drv->evtq_pa, drv->evtq_log2),
					      err);
	if (!rc)
		iom_smmu_write_cr0(drv->smmu, SMMU_CR0_SMMUEN | SMMU_CR0_EVTQEN | SMMU_CR0_CMDQEN);
	return rc;
}

static int drv_check_args(struct iom_smmu *smmu, struct iom_mem *mem, struct iom_palloc *pa,
			  uint32_t sid_bits, uint32_t cmdq_log2, uint32_t evtq_log2,
			  struct iom_err *err)
{
	if (!smmu || !mem || !pa)
		return iom_err_set(err, IOM_EINVAL, "smmu drv: create: NULL argument");
	if (sid_bits < 1 || sid_bits > 24)
		return iom_err_set(err, IOM_ERANGE, "smmu drv: sid_bits %u outside 1..24", sid_bits);
	if (cmdq_log2 < 1 || cmdq_log2 > 19 || evtq_log2 < 1 || evtq_log2 > 19)
		return iom_err_set(err, IOM_ERANGE,
				   "smmu drv: queue log2 sizes %u/%u outside 1..19", cmdq_log2,
				   evtq_log2);
	return 0;
}

struct iom_smmu_drv *iom_smmu_drv_create(struct iom_smmu *smmu, struct iom_mem *mem,
					 struct iom_palloc *pa, uint32_t sid_bits, uint32_t cmdq_log2,
					 uint32_t evtq_log2, struct iom_err *err)
{
	if (drv_check_args(smmu, mem, pa, sid_bits, cmdq_log2, evtq_log2, err))
		return NULL;
	struct iom_smmu_drv *drv = calloc(1, sizeof(*drv));
	if (!drv) {
		iom_err_set(err, IOM_ENOMEM, "smmu drv: out of memory");
		return NULL;
	}
	char n[64];
	snprintf(n, sizeof(n), "%s.drv", iom_smmu_name(smmu));
	*drv = (struct iom_smmu_drv){ .smmu = smmu, .mem = mem, .pa = pa, .sid_bits = sid_bits,
				      .cmdq_log2 = cmdq_log2, .evtq_log2 = evtq_log2,
				      .req = iom_mem_requester(mem, n) };
	int rc = drv->req < 0 ? iom_err_set(err, IOM_EBUSY, "smmu drv: no memory requester") : 0;
	if (!rc)
		rc = drv_alloc(drv, &drv->strtab_pa, (size_t)SMMU_STE_BYTES << sid_bits,
			       "stream table", err);
	if (!rc)
		rc = drv_alloc(drv, &drv->cmdq_pa, (size_t)SMMU_CMD_BYTES << cmdq_log2,
			       "command queue", err);
	if (!rc)
		rc = drv_alloc(drv, &drv->evtq_pa, (size_t)SMMU_EVT_BYTES << evtq_log2, "event queue",
			       err);
	if (!rc) {
		drv_init_strtab(drv);
		rc = drv_program(drv, err);
	}
	/* arm_smmu_device_hw_probe(): features from the ID registers; MSI
	 * polling needs a coherent SMMU too (IDR0.COHACC, always set here). */
	drv->ril = smmu_idr3_ril(iom_smmu_read_idr(smmu, 3));
	drv->msi_poll = smmu_idr0_msi(iom_smmu_read_idr(smmu, 0));
	if (rc) {
		iom_smmu_drv_destroy(drv);
		return NULL;
	}
	return drv;
}

static void drv_read_ste(struct iom_smmu_drv *drv, uint32_t sid, uint64_t ste[SMMU_STE_WORDS])
{
	iom_mem_read(drv->mem, drv->strtab_pa + (uint64_t)sid * SMMU_STE_BYTES, ste, SMMU_STE_BYTES,
		     NULL);
}

static size_t drv_cd_table_bytes(uint64_t cdmax)
{
	return (size_t)SMMU_CD_BYTES << cdmax; /* 2^S1CDMax CDs, one if 0 */
}

uint64_t iom_smmu_drv_cd_table(struct iom_smmu_drv *drv, uint32_t sid)
{
	uint64_t ste[SMMU_STE_WORDS];
	if ((uint64_t)sid >> drv->sid_bits)
		return 0;
	drv_read_ste(drv, sid, ste);
	if (!smmu_ste_v(ste) || smmu_ste_config(ste) != SMMU_STE_CFG_S1)
		return 0;
	return smmu_ste_s1ctxptr(ste);
}

/* Free the CD table the STE points to (before it is overwritten). */
static void drv_free_cd_table(struct iom_smmu_drv *drv, uint32_t sid)
{
	uint64_t ste[SMMU_STE_WORDS];
	uint64_t cdt = iom_smmu_drv_cd_table(drv, sid);
	if (!cdt)
		return;
	drv_read_ste(drv, sid, ste);
	iom_palloc_free(drv->pa, cdt, drv_cd_table_bytes(smmu_ste_s1cdmax(ste)));
}

void iom_smmu_drv_destroy(struct iom_smmu_drv *drv)
{
	if (!drv)
		return;
	if (drv->strtab_pa) {
		for (uint64_t sid = 0; sid < (1ull << drv->sid_bits); sid++)
			drv_free_cd_table(drv, (uint32_t)sid);
		iom_palloc_free(drv->pa, drv->strtab_pa, (size_t)SMMU_STE_BYTES << drv->sid_bits);
	}
	if (drv->cmdq_pa)
		iom_palloc_free(drv->pa, drv->cmdq_pa, (size_t)SMMU_CMD_BYTES << drv->cmdq_log2);
	if (drv->evtq_pa)
		iom_palloc_free(drv->pa, drv->evtq_pa, (size_t)SMMU_EVT_BYTES << drv->evtq_log2);
	free(drv);
}

struct iom_smmu *iom_smmu_drv_smmu(struct iom_smmu_drv *drv) { return drv->smmu; }
uint64_t iom_smmu_drv_strtab(const struct iom_smmu_drv *drv) { return drv->strtab_pa; }
const struct iom_smmu_drv_stats *iom_smmu_drv_stats(const struct iom_smmu_drv *drv)
{
	return &drv->st;
}

/* ---- command queue ---- */

static int drv_check_cons(struct iom_smmu_drv *drv, struct iom_err *err)
{
	uint32_t cons = iom_smmu_read_cmdq_cons(drv->smmu);
	uint32_t e = smmu_cmdq_cons_err(cons);
	if (!e)
		return 0;
	return iom_err_set(err, IOM_EIO, "smmu %s: command queue stopped: CMDQ_CONS.ERR=%u at index %u",
			   iom_smmu_name(drv->smmu), e, smmu_q_idx(cons, drv->cmdq_log2));
}

static int drv_doorbell(struct iom_smmu_drv *drv, uint64_t now_ps, uint64_t *done_ps,
			struct iom_err *err)
{
	drv->st.doorbells++;
	int rc = iom_smmu_write_cmdq_prod(drv->smmu, drv->cmdq_prod, now_ps, done_ps, err);
	return rc ? rc : drv_check_cons(drv, err);
}

/* Back-pressure (Linux arm_smmu_cmdq_poll_until_not_full): the slot at PROD
 * is free once the SMMU consumed the command a lap ago. If CMDQ_CONS says the
 * queue is full, ring the doorbell for what is queued so the SMMU consumes;
 * then wait, in simulated time, until that slot's command was consumed.
 * Counted as a stall with the time waited; never an error unless the queue
 * stopped (command error) or is disabled. */
static int drv_wait_space(struct iom_smmu_drv *drv, uint64_t *t, struct iom_err *err)
{
	uint32_t log2 = drv->cmdq_log2;
	if (smmu_q_full(drv->cmdq_prod, iom_smmu_read_cmdq_cons(drv->smmu), log2)) {
		uint64_t ignored;
		int rc = drv_doorbell(drv, *t, &ignored, err);
		if (rc)
			return rc;
		if (smmu_q_full(drv->cmdq_prod, iom_smmu_read_cmdq_cons(drv->smmu), log2))
			return iom_err_set(err, IOM_EBUSY, "smmu %s: command queue full and not draining "
					   "(CMDQEN = 0?)", iom_smmu_name(drv->smmu));
	}
	uint64_t freed = iom_smmu_cmdq_consumed_ps(drv->smmu, smmu_q_idx(drv->cmdq_prod, log2));
	if (freed > *t) {
		drv->st.cmdq_full_stalls++;
		drv->st.cmdq_full_wait_ps += freed - *t;
		*t = freed;
	}
	return 0;
}

/* Write n commands (timed, with back-pressure); *t advances; *last_pa
 * receives where the last one went. */
static int drv_write_cmds(struct iom_smmu_drv *drv, const uint64_t cmd[][2], size_t n, uint64_t *t,
			  uint64_t *last_pa, struct iom_err *err)
{
	for (size_t i = 0; i < n; i++) {
		int rc = drv_wait_space(drv, t, err);
		if (rc)
			return rc;
		uint64_t pa = drv->cmdq_pa +
			      (uint64_t)smmu_q_idx(drv->cmdq_prod, drv->cmdq_log2) * SMMU_CMD_BYTES;
		*t = iom_mem_timed_write(drv->mem, drv->req, pa, cmd[i], SMMU_CMD_BYTES, *t, NULL);
		drv->cmdq_prod = smmu_q_inc(drv->cmdq_prod, drv->cmdq_log2);
		drv->st.commands++;
		drv->st.syncs += smmu_cmd_op(cmd[i]) == SMMU_CMD_SYNC;
		if (last_pa)
			*last_pa = pa;
	}
	return 0;
}

int iom_smmu_drv_submit(struct iom_smmu_drv *drv, const uint64_t cmd[][2], size_t n,
			uint64_t now_ps, uint64_t *done_ps, struct iom_err *err)
{
	uint64_t t = now_ps;
	int rc = drv_write_cmds(drv, cmd, n, &t, NULL, err);
	if (rc)
		return rc;
	uint64_t done = t;
	rc = drv_doorbell(drv, t, &done, err);
	if (done_ps)
		*done_ps = done;
	return rc;
}

static void drv_cmd(uint64_t c[2], uint32_t op)
{
	c[0] = c[1] = 0;
	smmu_cmd_set_op(c, op);
}

/* The driver's completion barrier, as arm_smmu_cmdq_build_sync_cmd(): with
 * MSI polling, CS=IRQ, MSIData 0 and MSIAddress = the SYNC's own queue slot
 * (filled in when written); otherwise CS=SEV and CONS is polled. */
static void drv_cmd_sync(const struct iom_smmu_drv *drv, uint64_t c[2])
{
	drv_cmd(c, SMMU_CMD_SYNC);
	smmu_cmd_set_sync_cs(c, drv->msi_poll ? SMMU_SYNC_CS_IRQ : SMMU_SYNC_CS_SEV);
	if (drv->msi_poll)
		smmu_cmd_set_sync_msh(c, 3); /* Inner Shareable */
}

/* Write cmds then the driver's CMD_SYNC, ring the doorbell, wait for the
 * SYNC: *done_ps = when the driver observes its completion -- the MSI write
 * landing in the SYNC's slot (MSI polling), or CONS passing the SYNC. */
static int drv_issue_sync(struct iom_smmu_drv *drv, const uint64_t cmd[][2], size_t n,
			  uint64_t now_ps, uint64_t *done_ps, struct iom_err *err)
{
	uint64_t t = now_ps, sync[1][2], pa = 0, done;
	int rc = drv_write_cmds(drv, cmd, n, &t, NULL, err);
	if (rc)
		return rc;
	drv_cmd_sync(drv, sync[0]);
	if (drv->msi_poll) {
		/* The slot the SYNC will occupy (after any back-pressure wait). */
		rc = drv_wait_space(drv, &t, err);
		if (rc)
			return rc;
		smmu_cmd_set_sync_msiaddr(sync[0], drv->cmdq_pa + (uint64_t)smmu_q_idx(drv->cmdq_prod,
						   drv->cmdq_log2) * SMMU_CMD_BYTES);
	}
	uint32_t slot = smmu_q_idx(drv->cmdq_prod, drv->cmdq_log2);
	rc = drv_write_cmds(drv, (const uint64_t(*)[2])sync, 1, &t, &pa, err);
	if (!rc)
		rc = drv_doorbell(drv, t, &done, err);
	if (rc)
		return rc;
	if (drv->msi_poll) {
		/* Linux polls the first word of the SYNC until the MSI zeroes it. */
		uint32_t w = 1;
		iom_mem_read(drv->mem, pa, &w, sizeof(w), NULL);
		if (w != 0)
			return iom_err_set(err, IOM_EIO, "smmu %s: CMD_SYNC MSI never arrived at 0x%llx",
					   iom_smmu_name(drv->smmu), (unsigned long long)pa);
		drv->st.sync_msi_polls++;
		done = iom_smmu_last_msi_ps(drv->smmu);
	} else {
		done = iom_smmu_cmdq_consumed_ps(drv->smmu, slot);
	}
	if (done_ps)
		*done_ps = IOM_MAX(done, t);
	return 0;
}

static int drv_submit2(struct iom_smmu_drv *drv, const uint64_t first[2], uint64_t now_ps,
		       uint64_t *done_ps, struct iom_err *err)
{
	uint64_t cmds[1][2] = { { first[0], first[1] } };
	return drv_issue_sync(drv, (const uint64_t(*)[2])cmds, 1, now_ps, done_ps, err);
}

/* ---- STE / CD updates ---- */

static int drv_check_sid(struct iom_smmu_drv *drv, uint32_t sid, struct iom_err *err)
{
	if ((uint64_t)sid >> drv->sid_bits)
		return iom_err_set(err, IOM_ERANGE, "smmu %s drv: SID %u beyond %u SID bits",
				   iom_smmu_name(drv->smmu), sid, drv->sid_bits);
	return 0;
}

static int drv_write_ste(struct iom_smmu_drv *drv, uint32_t sid, const uint64_t ste[SMMU_STE_WORDS],
			 uint64_t now_ps, uint64_t *done_ps, struct iom_err *err)
{
	uint64_t c[2];
	uint64_t t = iom_mem_timed_write(drv->mem, drv->req,
					 drv->strtab_pa + (uint64_t)sid * SMMU_STE_BYTES, ste,
					 SMMU_STE_BYTES, now_ps, NULL);
	drv->st.ste_writes++;
	drv_cmd(c, SMMU_CMD_CFGI_STE);
	smmu_cmd_set_sid(c, sid);
	smmu_cmd_set_leaf(c, 1);
	return drv_submit2(drv, c, t, done_ps, err);
}

static int drv_ste_simple(struct iom_smmu_drv *drv, uint32_t sid, uint32_t config, uint64_t now_ps,
			  uint64_t *done_ps, struct iom_err *err)
{
	uint64_t ste[SMMU_STE_WORDS] = { 0 };
	int rc = drv_check_sid(drv, sid, err);
	if (rc)
		return rc;
	drv_free_cd_table(drv, sid);
	smmu_ste_set_v(ste, 1);
	smmu_ste_set_config(ste, config);
	return drv_write_ste(drv, sid, ste, now_ps, done_ps, err);
}

int iom_smmu_drv_ste_bypass(struct iom_smmu_drv *drv, uint32_t sid, uint64_t now_ps,
			    uint64_t *done_ps, struct iom_err *err)
{
	return drv_ste_simple(drv, sid, SMMU_STE_CFG_BYPASS, now_ps, done_ps, err);
}

int iom_smmu_drv_ste_abort(struct iom_smmu_drv *drv, uint32_t sid, uint64_t now_ps,
			   uint64_t *done_ps, struct iom_err *err)
{
	return drv_ste_simple(drv, sid, SMMU_STE_CFG_ABORT, now_ps, done_ps, err);
}

int iom_smmu_drv_ste_s1(struct iom_smmu_drv *drv, uint32_t sid, uint32_t s1cdmax, uint32_t s1dss,
			uint64_t now_ps, uint64_t *done_ps, struct iom_err *err)
{
	uint64_t ste[SMMU_STE_WORDS] = { 0 }, cdt;
	int rc = drv_check_sid(drv, sid, err);
	if (rc)
		return rc;
	if (s1cdmax > 20 || s1dss > 3)
		return iom_err_set(err, IOM_ERANGE, "smmu %s drv: SID %u: s1cdmax %u / s1dss %u out of range",
				   iom_smmu_name(drv->smmu), sid, s1cdmax, s1dss);
	drv_free_cd_table(drv, sid);
	rc = drv_alloc(drv, &cdt, drv_cd_table_bytes(s1cdmax), "CD table", err);
	if (rc)
		return rc;
	smmu_ste_set_v(ste, 1);
	smmu_ste_set_config(ste, SMMU_STE_CFG_S1);
	smmu_ste_set_s1fmt(ste, 0);
	smmu_ste_set_s1ctxptr(ste, cdt);
	smmu_ste_set_s1cdmax(ste, s1cdmax);
	smmu_ste_set_s1dss(ste, s1dss);
	return drv_write_ste(drv, sid, ste, now_ps, done_ps, err);
}

/* Where the CD of (sid, ssid) lives, or an error if the STE has no CD there. */
static int drv_cd_pa(struct iom_smmu_drv *drv, uint32_t sid, uint32_t ssid, uint64_t *pa,
		     struct iom_err *err)
{
	uint64_t ste[SMMU_STE_WORDS];
	int rc = drv_check_sid(drv, sid, err);
	if (rc)
		return rc;
	drv_read_ste(drv, sid, ste);
	if (!smmu_ste_v(ste) || smmu_ste_config(ste) != SMMU_STE_CFG_S1)
		return iom_err_set(err, IOM_EINVAL, "smmu %s drv: SID %u has no stage-1 STE",
				   iom_smmu_name(drv->smmu), sid);
	if ((uint64_t)ssid >> smmu_ste_s1cdmax(ste))
		return iom_err_set(err, IOM_ERANGE, "smmu %s drv: SID %u: SSID %u beyond S1CDMax %" PRIu64,
				   iom_smmu_name(drv->smmu), sid, ssid, smmu_ste_s1cdmax(ste));
	*pa = smmu_ste_s1ctxptr(ste) + (uint64_t)ssid * SMMU_CD_BYTES;
	return 0;
}

static int drv_write_cd(struct iom_smmu_drv *drv, uint32_t sid, uint32_t ssid, uint64_t pa,
			const uint64_t cd[SMMU_CD_WORDS], uint64_t now_ps, uint64_t *done_ps,
			struct iom_err *err)
{
	uint64_t c[2];
	uint64_t t = iom_mem_timed_write(drv->mem, drv->req, pa, cd, SMMU_CD_BYTES, now_ps, NULL);
	drv->st.cd_writes++;
	drv_cmd(c, SMMU_CMD_CFGI_CD);
	smmu_cmd_set_sid(c, sid);
	smmu_cmd_set_ssid(c, ssid);
	smmu_cmd_set_leaf(c, 1);
	return drv_submit2(drv, c, t, done_ps, err);
}

int iom_smmu_drv_cd(struct iom_smmu_drv *drv, uint32_t sid, uint32_t ssid, uint16_t asid,
		    uint64_t ttb0, uint32_t t0sz, uint64_t now_ps, uint64_t *done_ps,
		    struct iom_err *err)
{
	uint64_t cd[SMMU_CD_WORDS] = { 0 }, pa;
	int rc = drv_cd_pa(drv, sid, ssid, &pa, err);
	if (rc)
		return rc;
	if (t0sz < SMMU_CD_T0SZ_MIN || t0sz > SMMU_CD_T0SZ_MAX || (ttb0 & 0xfff))
		return iom_err_set(err, IOM_EINVAL, "smmu %s drv: SID %u SSID %u: T0SZ %u or TTB0 0x%" PRIx64
				   " invalid", iom_smmu_name(drv->smmu), sid, ssid, t0sz, ttb0);
	/* arm_smmu_make_s1_cd(): WBWA inner/outer, inner shareable, EPD1. */
	smmu_cd_set_t0sz(cd, t0sz);
	smmu_cd_set_tg0(cd, 0);
	smmu_cd_set_irgn0(cd, 1);
	smmu_cd_set_orgn0(cd, 1);
	smmu_cd_set_sh0(cd, 3);
	smmu_cd_set_epd1(cd, 1);
	smmu_cd_set_v(cd, 1);
	smmu_cd_set_ips(cd, 5); /* 48 bits */
	smmu_cd_set_aa64(cd, 1);
	smmu_cd_set_r(cd, 1);
	smmu_cd_set_a(cd, 1);
	smmu_cd_set_asid(cd, asid);
	smmu_cd_set_ttb0(cd, ttb0);
	return drv_write_cd(drv, sid, ssid, pa, cd, now_ps, done_ps, err);
}

int iom_smmu_drv_cd_clear(struct iom_smmu_drv *drv, uint32_t sid, uint32_t ssid, uint64_t now_ps,
			  uint64_t *done_ps, struct iom_err *err)
{
	uint64_t cd[SMMU_CD_WORDS] = { 0 }, pa;
	int rc = drv_cd_pa(drv, sid, ssid, &pa, err);
	return rc ? rc : drv_write_cd(drv, sid, ssid, pa, cd, now_ps, done_ps, err);
}

/* ---- TLB invalidation ---- */

static unsigned drv_log2(uint64_t v)
{
	return (unsigned)(63 - __builtin_clzll(v));
}

size_t iom_smmu_drv_build_tlbi_va(uint64_t (*cmds)[2], uint16_t asid, uint64_t iova,
				  uint64_t size, uint64_t granule, bool leaf, bool range)
{
	uint64_t end = iova + size, pages = 0;
	unsigned ttl = 0;
	size_t n = 0;

	if (!size)
		return 0;
	if (range) {
		/* tg = 12 (the 4 KB leaf of the domain's page sizes), TG = 1 */
		pages = (size + 4095) >> 12;
		if (leaf)
			ttl = 4 - (drv_log2(granule) - 3) / (12 - 3);
		else if ((pages & SMMU_TLBI_NUM_MAX) == 1)
			pages++; /* never NUM = SCALE = TTL = 0 (reserved) */
	}
	while (iova < end) {
		uint64_t step = granule;
		uint64_t c[2];
		drv_cmd(c, SMMU_CMD_TLBI_NH_VA);
		smmu_cmd_set_asid(c, asid);
		smmu_cmd_set_leaf(c, leaf);
		smmu_cmd_set_addr(c, iova);
		if (range) {
			unsigned scale = (unsigned)__builtin_ctzll(pages);
			uint64_t num = (pages >> scale) & SMMU_TLBI_NUM_MAX;
			if (scale > SMMU_TLBI_SCALE_MAX) { /* beyond the 5-bit field: 2^36 pages */
				scale = SMMU_TLBI_SCALE_MAX;
				num = IOM_MIN(pages >> scale, (uint64_t)SMMU_TLBI_NUM_MAX + 1);
			}
			smmu_cmd_set_tg(c, SMMU_TLBI_TG_4K);
			smmu_cmd_set_ttl(c, ttl);
			smmu_cmd_set_scale(c, scale);
			smmu_cmd_set_num(c, (uint32_t)(num - 1));
			step = num << (scale + 12);
			pages -= num << scale;
		}
		if (cmds) {
			cmds[n][0] = c[0];
			cmds[n][1] = c[1];
		}
		n++;
		if (step > UINT64_MAX - iova)
			break;
		iova += step;
	}
	return n;
}

bool iom_smmu_drv_has_range(const struct iom_smmu_drv *drv)
{
	return drv->ril;
}

int iom_smmu_drv_tlbi(struct iom_smmu_drv *drv, uint16_t asid, uint64_t iova, uint64_t size,
		      uint64_t granule, bool leaf, bool range, uint64_t now_ps, uint64_t *done_ps,
		      struct iom_err *err)
{
	if (!granule || (granule & (granule - 1)) || granule < 4096 || (iova & (granule - 1)))
		return iom_err_set(err, IOM_EINVAL, "smmu %s drv: tlbi range: granule 0x%" PRIx64
				   " / iova 0x%" PRIx64 " misaligned", iom_smmu_name(drv->smmu),
				   granule, iova);
	range = range && drv->ril;
	size_t n = iom_smmu_drv_build_tlbi_va(NULL, asid, iova, size, granule, leaf, range);
	uint64_t(*cmds)[2] = calloc(n ? n : 1, sizeof(*cmds));
	if (!cmds)
		return iom_err_set(err, IOM_ENOMEM, "smmu drv: tlbi range: out of memory");
	iom_smmu_drv_build_tlbi_va(cmds, asid, iova, size, granule, leaf, range);
	drv->st.range_cmds += range ? n : 0;
	int rc = drv_issue_sync(drv, (const uint64_t(*)[2])cmds, n, now_ps, done_ps, err);
	free(cmds);
	return rc;
}

int iom_smmu_drv_tlbi_range(struct iom_smmu_drv *drv, uint16_t asid, uint64_t iova, uint64_t size,
			    uint64_t granule, bool leaf, uint64_t now_ps, uint64_t *done_ps,
			    struct iom_err *err)
{
	return iom_smmu_drv_tlbi(drv, asid, iova, size, granule, leaf, false, now_ps, done_ps, err);
}

int iom_smmu_drv_tlbi_asid(struct iom_smmu_drv *drv, uint16_t asid, uint64_t now_ps,
			   uint64_t *done_ps, struct iom_err *err)
{
	uint64_t c[2];
	drv_cmd(c, SMMU_CMD_TLBI_NH_ASID);
	smmu_cmd_set_asid(c, asid);
	return drv_submit2(drv, c, now_ps, done_ps, err);
}

/* ---- event queue ---- */

int iom_smmu_drv_read_event(struct iom_smmu_drv *drv, uint64_t ev[4])
{
	uint32_t prod = iom_smmu_read_evtq_prod(drv->smmu), log2 = drv->evtq_log2;

	if (smmu_q_empty(prod, drv->evtq_cons, log2))
		return 0;
	iom_mem_read(drv->mem, drv->evtq_pa + (uint64_t)smmu_q_idx(drv->evtq_cons, log2) * SMMU_EVT_BYTES,
		     ev, SMMU_EVT_BYTES, NULL);
	/* Advance CONS and acknowledge any overflow (OVACKFLG = OVFLG), as
	 * Linux's queue_sync_cons_ovf() does. */
	drv->evtq_cons = smmu_evtq_set_ovflg(smmu_q_inc(drv->evtq_cons, log2), smmu_evtq_ovflg(prod));
	iom_smmu_write_evtq_cons(drv->smmu, drv->evtq_cons);
	drv->st.events_read++;
	return 1;
}

/* ---- the common IOMMU interface ---- */

static int drv_op_translate(void *self, struct iom_txn *t, struct iom_err *err)
{
	struct iom_smmu_drv *drv = self;
	int rc = iom_smmu_translate(drv->smmu, t, err);
	if (!rc && drv->observe)
		drv->observe(drv->observe_ctx, t);
	return rc;
}

void iom_smmu_drv_set_txn_observer(struct iom_smmu_drv *drv,
				   void (*fn)(void *ctx, const struct iom_txn *t), void *ctx)
{
	drv->observe = fn;
	drv->observe_ctx = fn ? ctx : NULL;
}

static int drv_op_cfgi_all(struct iom_smmu_drv *drv, uint64_t now_ps, uint64_t *done_ps,
			   struct iom_err *err)
{
	uint64_t cmds[2][2];
	drv_cmd(cmds[0], SMMU_CMD_CFGI_STE_RANGE);
	smmu_cmd_set_range(cmds[0], SMMU_CFGI_RANGE_ALL);
	drv_cmd(cmds[1], SMMU_CMD_TLBI_NSNH_ALL);
	return drv_issue_sync(drv, (const uint64_t(*)[2])cmds, 2, now_ps, done_ps, err);
}

static int drv_op_invalidate(void *self, const struct iom_inval *inv, uint64_t now_ps,
			     uint64_t *done_ps, struct iom_err *err)
{
	struct iom_smmu_drv *drv = self;
	uint64_t c[2];

	switch (inv->scope) {
	case IOM_INVAL_ALL:
		return drv_op_cfgi_all(drv, now_ps, done_ps, err);
	case IOM_INVAL_DOMAIN:
		return iom_smmu_drv_tlbi_asid(drv, (uint16_t)inv->tag, now_ps, done_ps, err);
	case IOM_INVAL_RANGE:
		return iom_smmu_drv_tlbi(drv, (uint16_t)inv->tag, inv->iova, inv->size,
					 inv->granule ? inv->granule : 4096, inv->leaf, inv->use_range,
					 now_ps, done_ps, err);
	case IOM_INVAL_DEV_CFG:
		drv_cmd(c, SMMU_CMD_CFGI_STE);
		smmu_cmd_set_sid(c, inv->rid);
		smmu_cmd_set_leaf(c, 1);
		return drv_submit2(drv, c, now_ps, done_ps, err);
	case IOM_INVAL_PASID_CFG:
		drv_cmd(c, SMMU_CMD_CFGI_CD);
		smmu_cmd_set_sid(c, inv->rid);
		smmu_cmd_set_ssid(c, inv->pasid);
		smmu_cmd_set_leaf(c, 1);
		return drv_submit2(drv, c, now_ps, done_ps, err);
	default:
		return iom_err_set(err, IOM_EINVAL, "smmu %s: invalidation scope %u unknown",
				   iom_smmu_name(drv->smmu), inv->scope);
	}
}

static int drv_op_doorbell(void *self, uint64_t now_ps, uint64_t *done_ps, struct iom_err *err)
{
	return drv_doorbell(self, now_ps, done_ps, err);
}

static int drv_op_register_stats(void *self, struct iom_stats *s, const char *prefix,
				 struct iom_err *err)
{
	struct iom_smmu_drv *drv = self;
	static const struct { const char *name, *desc; size_t off; } ctr[] = {
		{ "commands", "commands written by the driver", offsetof(struct iom_smmu_drv_stats, commands) },
		{ "syncs", "CMD_SYNC written by the driver", offsetof(struct iom_smmu_drv_stats, syncs) },
		{ "doorbells", "CMDQ_PROD writes", offsetof(struct iom_smmu_drv_stats, doorbells) },
		{ "ste_writes", "STE updates", offsetof(struct iom_smmu_drv_stats, ste_writes) },
		{ "cd_writes", "CD updates", offsetof(struct iom_smmu_drv_stats, cd_writes) },
		{ "events_read", "event records consumed", offsetof(struct iom_smmu_drv_stats, events_read) },
		{ "range_cmds", "range TLBI commands written (TG != 0)", offsetof(struct iom_smmu_drv_stats, range_cmds) },
		{ "sync_msi_polls", "CMD_SYNC completions observed through the MSI write", offsetof(struct iom_smmu_drv_stats, sync_msi_polls) },
		{ "cmdq_full_stalls", "waits for a full command queue to drain", offsetof(struct iom_smmu_drv_stats, cmdq_full_stalls) },
		{ "cmdq_full_wait_ps", "time waited for command-queue space (ps)", offsetof(struct iom_smmu_drv_stats, cmdq_full_wait_ps) },
	};
	int rc = iom_smmu_register_stats(drv->smmu, s, prefix, err);
	for (size_t i = 0; !rc && i < IOM_ARRAY_SIZE(ctr); i++) {
		char n[160];
		snprintf(n, sizeof(n), "%s.drv.%s", prefix, ctr[i].name);
		rc = iom_stats_counter(s, n, "", ctr[i].desc,
				       (const uint64_t *)((const char *)&drv->st + ctr[i].off), err);
	}
	return rc;
}

static void drv_op_destroy(void *self)
{
	struct iom_smmu_drv *drv = self;
	struct iom_smmu *smmu = drv->smmu;
	iom_smmu_drv_destroy(drv);
	iom_smmu_destroy(smmu);
}

static const struct iom_iommu_ops drv_ops = {
	.kind = "smmuv3",
	.translate = drv_op_translate,
	.invalidate = drv_op_invalidate,
	.doorbell = drv_op_doorbell,
	.register_stats = drv_op_register_stats,
	.destroy = drv_op_destroy,
};

void iom_smmu_drv_as_iommu(struct iom_smmu_drv *drv, struct iom_iommu *out)
{
	out->ops = &drv_ops;
	out->self = drv;
	snprintf(out->name, sizeof(out->name), "%s", iom_smmu_name(drv->smmu));
}
