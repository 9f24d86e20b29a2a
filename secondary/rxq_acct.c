/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rx queue accounting, the parts off the packet path: publishing the
 * private counters to the worker's records in shared memory and closing
 * usage intervals.  Every record is written by its worker only; the primary
 * reads them (pmd-rxq-show, cycle-based assignment, auto load balance).
 */
#include <sched.h>
#include <string.h>

#include <rte_lcore.h>

#include "rxq_acct.h"

static uint64_t
interval_tsc(void)
{
	return rte_get_tsc_hz() / 1000 * SL_PMD_INTERVAL_MS;
}

static int
own_cpu(void)
{
	rte_cpuset_t set = rte_lcore_cpuset(rte_lcore_id());

	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			return c;
	return sched_getcpu();
}

void
sl_rxq_acct_attach(struct sl_wctx *w)
{
	uint64_t now = rte_rdtsc();

	for (unsigned int s = 0; s < SL_MAX_PORTS; s++) {
		w->rxq_port_gen[s] = sl_rxq_stats(w->shm, w->id, s, 0)->port_gen;
		for (unsigned int q = 0; q < SL_MAX_RXQ; q++) {
			const struct sl_rxq_stats *r = sl_rxq_stats(w->shm, w->id, s, q);
			struct sl_wrxq_acct *a = &w->rxq_acct[s][q];

			a->cycles = r->cycles;
			a->packets = r->packets;
			a->mark = r->cycles;
		}
	}
	__atomic_store_n(&w->me->cpu, own_cpu(), __ATOMIC_RELAXED);
	w->intrvl_start = now;
	w->intrvl_next = now + interval_tsc();
	w->intrvl_busy_mark = w->st.busy_cycles;
}

void
sl_rxq_acct_ports(struct sl_wctx *w)
{
	for (unsigned int s = 0; s < SL_MAX_PORTS; s++) {
		const struct sl_port *p = &w->shm->ports[s];
		uint32_t gen;

		if (!w->ports[s].active)
			continue;
		gen = p->gen;
		if (gen == w->rxq_port_gen[s])
			continue;
		/* Another incarnation of the slot (n_rxq changed, or a new port). */
		memset(w->rxq_acct[s], 0, sizeof(w->rxq_acct[s]));
		for (unsigned int q = 0; q < SL_MAX_RXQ; q++) {
			struct sl_rxq_stats *r = sl_rxq_stats(w->shm, w->id, s, q);

			memset(r->intrvl, 0, sizeof(r->intrvl));
			r->cycles = 0;
			r->packets = 0;
			__atomic_store_n(&r->port_gen, gen, __ATOMIC_RELEASE);
		}
		w->rxq_port_gen[s] = gen;
	}
}

void
sl_rxq_acct_publish(struct sl_wctx *w)
{
	/* Plain stores to our own records; readers tolerate a stale value. */
	for (uint16_t i = 0; i < w->n_rxq; i++) {
		const struct sl_wrxq *rq = &w->rxq[i];
		struct sl_rxq_stats *r = sl_rxq_stats(w->shm, w->id, rq->slot, rq->queue);

		r->cycles = rq->acct->cycles;
		r->packets = rq->acct->packets;
	}
}

void
sl_rxq_acct_interval_end(struct sl_wctx *w, uint64_t now)
{
	struct sl_worker *me = w->me;
	uint64_t n = me->n_intervals;
	unsigned int k = n % SL_PMD_INTERVALS;

	/* Every queue of every port gets this interval's value, zero for the
	 * ones we do not poll, so that a queue that moved to another worker
	 * ages out of our history as it would of Open vSwitch's. */
	for (unsigned int s = 0; s < SL_MAX_PORTS; s++) {
		uint16_t n_rxq;

		if (!w->ports[s].active)
			continue;
		n_rxq = RTE_MIN(w->shm->ports[s].n_rxq, (uint16_t)SL_MAX_RXQ);
		for (uint16_t q = 0; q < n_rxq; q++) {
			struct sl_wrxq_acct *a = &w->rxq_acct[s][q];
			struct sl_rxq_stats *r = sl_rxq_stats(w->shm, w->id, s, q);

			r->intrvl[k] = a->cycles - a->mark;
			a->mark = a->cycles;
		}
	}
	sl_rxq_acct_publish(w);
	me->intrvl_len[k] = now - w->intrvl_start;
	me->intrvl_busy[k] = w->st.busy_cycles - w->intrvl_busy_mark;
	__atomic_store_n(&me->n_intervals, n + 1, __ATOMIC_RELEASE);
	w->intrvl_busy_mark = w->st.busy_cycles;
	w->intrvl_start = now;
	w->intrvl_next = now + interval_tsc();
}
