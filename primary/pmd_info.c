/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the workers do, as Open vSwitch's dpif-netdev/pmd-* commands report
 * it: worker-list and pmd-stats-show (counters), pmd-rxq-show (which worker
 * polls which queue, with usage over the last minute), pmd-stats-clear and
 * pmd-rxq-rebalance.  sluicectl prints them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "primary.h"

static char *
dup_or_empty(const char *s)
{
	return strdup(s != NULL ? s : "");
}

static Sluice__ProcState
worker_state(const struct sl_worker *w)
{
	switch (__atomic_load_n(&w->state, __ATOMIC_ACQUIRE)) {
	case SL_WORKER_RUNNING:
		return SLUICE__PROC_STATE__PROC_RUNNING;
	case SL_WORKER_DEAD:
		return SLUICE__PROC_STATE__PROC_DEAD;
	case SL_WORKER_HANDOFF:
		return SLUICE__PROC_STATE__PROC_HANDOFF;
	default:
		return SLUICE__PROC_STATE__PROC_FREE;
	}
}

/* Slots worth listing: configured ones, and ones whose process still runs. */
static bool
listed(unsigned int w)
{
	return sl_p.shm->workers[w].enabled || sl_worker_running(w);
}

#define STAT_DELTA(w, f) ((w)->stats.f - (w)->stats_base.f)

/* Cycles of worker @w's queues over its last @k intervals. */
static uint64_t
queues_cycles(unsigned int w, unsigned int k)
{
	const struct sl_worker *wk = &sl_p.shm->workers[w];
	uint64_t sum = 0;

	for (unsigned int i = 0; i < wk->n_rxq; i++)
		sum += sl_pmd_rxq_cycles(wk->rxq[i].port, wk->rxq[i].queue, k, NULL);
	return sum;
}

/* Slot @i's WorkerInfo, its overhead over its last @intervals intervals. */
static int
worker_info(Sluice__Reply *rep, unsigned int i, unsigned int intervals)
{
	const struct sl_worker *w = &sl_p.shm->workers[i];
	Sluice__WorkerInfo *wi;
	uint64_t len, busy, queues;
	unsigned int k;

	wi = REPLY_APPEND(rep, workers, n_workers, Sluice__WorkerInfo, SLUICE__WORKER_INFO__INIT);
	if (wi == NULL)
		return -ENOMEM;
	wi->id = i;
	wi->pid = __atomic_load_n(&w->pid, __ATOMIC_ACQUIRE);
	wi->state = worker_state(w);
	wi->lcore = w->lcore;
	wi->rx_packets = STAT_DELTA(w, rx_packets);
	wi->tx_packets = STAT_DELTA(w, tx_packets);
	wi->emc_hits = STAT_DELTA(w, emc_hits);
	wi->cls_hits = STAT_DELTA(w, cls_hits);
	wi->misses = STAT_DELTA(w, misses);
	wi->tx_dropped = STAT_DELTA(w, tx_dropped);
	wi->busy_cycles = STAT_DELTA(w, busy_cycles);
	wi->idle_cycles = STAT_DELTA(w, idle_cycles);
	wi->masked_lookups = STAT_DELTA(w, masked_lookups);
	wi->tx_batches = STAT_DELTA(w, tx_batches);
	wi->table_misses = STAT_DELTA(w, table_misses);
	wi->resubmit_limit = STAT_DELTA(w, resubmit_limit);
	wi->ttl_dropped = STAT_DELTA(w, ttl_dropped);
	wi->pcache_hits = STAT_DELTA(w, pcache_hits);
	wi->mf_hits = STAT_DELTA(w, mf_hits);
	wi->restarts = w->restarts;
	wi->lost_mbufs = w->lost_mbufs;
	wi->reclaimed_mbufs = w->reclaimed_mbufs;
	wi->n_rxq = w->n_rxq;
	wi->reason = dup_or_empty("");
	wi->core = sl_pmd_core(i);
	wi->numa_id = sl_pmd_numa(wi->core);
	wi->isolated = w->isolated;
	wi->enabled = w->enabled;
	wi->intervals = __atomic_load_n(&w->n_intervals, __ATOMIC_ACQUIRE);
	k = sl_pmd_window(i, intervals, &len, &busy);
	wi->overhead = -1;
	if (k > 0 && len > 0) {
		queues = queues_cycles(i, k);
		wi->overhead = (int32_t)((busy > queues ? busy - queues : 0) * 100 / len);
	}
	return 0;
}

int
sl_worker_info_add(Sluice__Reply *rep, unsigned int i)
{
	return worker_info(rep, i, SL_PMD_INTERVALS);
}

static int
h_worker_list(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	(void)req, (void)err, (void)errlen;
	for (unsigned int i = 0; i < SL_MAX_WORKERS; i++)
		if (listed(i) && sl_worker_info_add(rep, i) < 0)
			return -ENOMEM;
	return 0;
}
SL_REQ_HANDLER(sl_primary_handlers, WORKER_LIST, h_worker_list)

/* pmd-stats-show is the worker list with its counters: one handler for both. */
static int
h_pmd_stats_show(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	return h_worker_list(req, rep, err, errlen);
}
SL_REQ_HANDLER(sl_primary_handlers, PMD_STATS_SHOW, h_pmd_stats_show)

static int
h_pmd_stats_clear(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	(void)req, (void)rep, (void)err, (void)errlen;
	/* Workers own their counters; clearing moves our baseline instead. */
	for (unsigned int i = 0; i < SL_MAX_WORKERS; i++)
		sl_p.shm->workers[i].stats_base = sl_p.shm->workers[i].stats;
	return 0;
}
SL_REQ_HANDLER(sl_primary_handlers, PMD_STATS_CLEAR, h_pmd_stats_clear)

static Sluice__RxqInfo *
rxq_info(Sluice__Reply *rep, unsigned int port, unsigned int queue)
{
	Sluice__RxqInfo *ri = REPLY_APPEND(rep, rxqs, n_rxqs, Sluice__RxqInfo,
					   SLUICE__RXQ_INFO__INIT);
	int pin;

	if (ri == NULL)
		return NULL;
	ri->port = dup_or_empty(sl_p.shm->ports[port].name);
	ri->queue = queue;
	ri->usage = -1;
	ri->core = -1;
	pin = sl_rxq_affinity_core(&sl_p.ports[port].affinity, (uint16_t)queue);
	ri->pinned = pin >= 0;
	ri->pinned_core = pin >= 0 ? (uint32_t)pin : 0;
	return ri;
}

/* Worker slots to show, in order of core as pmd-rxq-show sorts PMD threads. */
static unsigned int
by_core(unsigned int *order)
{
	unsigned int n = 0;

	for (unsigned int w = 0; w < SL_MAX_WORKERS; w++)
		if (listed(w))
			order[n++] = w;
	for (unsigned int i = 1; i < n; i++)
		for (unsigned int j = i; j > 0 && (unsigned int)sl_pmd_core(order[j - 1]) >
							  (unsigned int)sl_pmd_core(order[j]);
		     j--) {
			unsigned int t = order[j];

			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	return n;
}

static const char *
why_text(const struct sl_pmd_unpolled *u, char *buf, size_t len)
{
	if (u->why == SL_SCHED_NO_WORKER_ON_CORE)
		snprintf(buf, len, "pinned to core %d, which has no worker", u->pin);
	else if (u->waiting)
		snprintf(buf, len, "not yet: its worker is starting");
	else
		snprintf(buf, len, "not pinned, and every worker is isolated");
	return buf;
}

static int
h_pmd_rxq_show(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	const Sluice__PmdRxqShow *rs = req->pmd_rxq_show;
	unsigned int order[SL_MAX_WORKERS], n = by_core(order);
	unsigned int step = SL_PMD_INTERVAL_MS / 1000, max = SL_PMD_INTERVALS * step;
	unsigned int secs = rs->secs == 0 || rs->secs > max ? max : (rs->secs + step - 1) / step * step;
	char why[128];

	(void)err, (void)errlen;
	/* As Open vSwitch: the last -secs seconds, in whole intervals, up to a minute. */
	rep->usage_secs = secs;
	rep->auto_lb = dup_or_empty(sl_pmd.alb_last);
	for (unsigned int i = 0; i < n; i++) {
		unsigned int w = order[i];
		const struct sl_worker *wk = &sl_p.shm->workers[w];
		bool dead = !sl_worker_running(w);
		uint64_t len;
		unsigned int k;

		if (rs->by_core && sl_pmd_core(w) != (int)rs->core)
			continue;
		k = sl_pmd_window(w, secs / step, &len, NULL);
		if (worker_info(rep, w, secs / step) < 0)
			return -ENOMEM;
		for (unsigned int q = 0; q < wk->n_rxq; q++) {
			Sluice__RxqInfo *ri = rxq_info(rep, wk->rxq[q].port, wk->rxq[q].queue);

			if (ri == NULL)
				return -ENOMEM;
			ri->worker = w;
			ri->core = sl_pmd_core(w);
			ri->orphaned = dead;
			ri->cycles = sl_pmd_rxq_cycles(wk->rxq[q].port, wk->rxq[q].queue,
						       k ? k : secs / step, &ri->rx_packets);
			if (k > 0 && len > 0)
				ri->usage = (int32_t)RTE_MIN(ri->cycles * 100 / len, (uint64_t)100);
		}
	}
	for (unsigned int i = 0; i < sl_pmd.n_unpolled; i++) {
		const struct sl_pmd_unpolled *u = &sl_pmd.unpolled[i];
		Sluice__RxqInfo *ri;

		if (sl_p.shm->ports[u->port].state != SL_PORT_ACTIVE || rs->by_core)
			continue;
		ri = rxq_info(rep, u->port, u->queue);
		if (ri == NULL)
			return -ENOMEM;
		ri->not_polled = dup_or_empty(why_text(u, why, sizeof(why)));
		sl_pmd_rxq_cycles(u->port, u->queue, SL_PMD_INTERVALS, &ri->rx_packets);
	}
	return 0;
}
SL_REQ_HANDLER(sl_primary_handlers, PMD_RXQ_SHOW, h_pmd_rxq_show)

static int
h_pmd_rxq_rebalance(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	(void)req, (void)rep, (void)err, (void)errlen;
	PLOG(INFO, "pmd rxq rebalance requested");
	sl_workers_assign_rxqs();
	return 0;
}
SL_REQ_HANDLER(sl_primary_handlers, PMD_RXQ_REBALANCE, h_pmd_rxq_rebalance)
