/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Assigning rx queues to workers: gather the workers (slots by core), the
 * queues (pins, measured cycles) and the assignment in force, let
 * rxq_sched.c decide, and hand the queues over without losing or
 * reordering a packet:
 *
 *   phase 1  every worker keeps only the queues it keeps in the end; a
 *            grace period (RCU) later each worker that lost a queue has
 *            finished the burst it may have been in and will not poll the
 *            queue again (its loop reads its assignment before it polls and
 *            reports quiescence after);
 *   drain    what the losing workers queued for bridged ports is handed to
 *            the devices, so the gaining worker's packets come after it;
 *   phase 2  the final assignment: the gaining workers start polling.
 *
 * Packets that arrive meanwhile wait in the device's (or bridge's) queue.
 */
#include <inttypes.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "primary.h"

struct assignment {
	uint16_t n;
	struct sl_rxq_ref q[SL_MAX_RXQ];
};

static bool
has_rxq(const struct assignment *a, struct sl_rxq_ref r)
{
	for (unsigned int i = 0; i < a->n; i++)
		if (a->q[i].port == r.port && a->q[i].queue == r.queue)
			return true;
	return false;
}

static void
write_assignment(unsigned int w, const struct assignment *a)
{
	struct sl_worker *wk = &sl_p.shm->workers[w];

	/* Readers copy rxq[] between two loads of assign_gen (a seqlock):
	 * an odd generation means "being written". */
	__atomic_fetch_add(&wk->assign_gen, 1, __ATOMIC_ACQ_REL);
	memcpy(wk->rxq, a->q, sizeof(a->q[0]) * a->n);
	__atomic_store_n(&wk->n_rxq, a->n, __ATOMIC_RELAXED);
	__atomic_fetch_add(&wk->assign_gen, 1, __ATOMIC_RELEASE);
}

/*
 * Wait until the bridge thread has handed to the devices what workers in
 * @workers (a bit per slot) had queued for bridged ports when called: what
 * is there now came before the hand-over; what a worker adds from the
 * queues it keeps may wait.  The bridge thread is the rings' only consumer
 * (SC) and the devices' only sender; it sends each burst it dequeues before
 * it dequeues from another ring, so once a ring's consumer tail has passed
 * what its producer had published, those packets are out ahead of anything
 * the gaining worker sends later.
 */
static void
flush_bridged(uint32_t workers)
{
	struct {
		const struct rte_ring *r;
		uint32_t upto;
	} wait[SL_MAX_PORTS * SL_MAX_WORKERS];
	unsigned int n = 0;
	uint64_t deadline = rte_get_timer_cycles() + rte_get_timer_hz(); /* 1 s */

	for (unsigned int s = 0; s < SL_MAX_PORTS; s++) {
		struct sl_port *p = &sl_p.shm->ports[s];

		if (!p->bridged || __atomic_load_n(&p->state, __ATOMIC_ACQUIRE) != SL_PORT_ACTIVE)
			continue;
		for (unsigned int w = 0; w < sl_p.n_workers; w++) {
			if (!(workers & (1u << w)) || p->bridge_tx[w] == NULL)
				continue;
			wait[n].r = p->bridge_tx[w];
			wait[n].upto = __atomic_load_n(&p->bridge_tx[w]->prod.tail, __ATOMIC_ACQUIRE);
			n++;
		}
	}
	for (unsigned int i = 0; i < n; i++) {
		while ((int32_t)(__atomic_load_n(&wait[i].r->cons.tail, __ATOMIC_ACQUIRE) -
				 wait[i].upto) < 0) {
			if (rte_get_timer_cycles() > deadline) {
				PLOG(WARNING, "rx queue hand-over: the bridge thread left packets "
					      "of ring %s for more than 1 s", wait[i].r->name);
				return;
			}
			rte_delay_us_sleep(20);
		}
	}
}

/* The slot polling (port, queue) now, or -1. */
static int
current_owner(uint16_t port, uint16_t queue)
{
	for (unsigned int w = 0; w < SL_MAX_WORKERS; w++) {
		const struct sl_worker *wk = &sl_p.shm->workers[w];

		for (unsigned int k = 0; k < wk->n_rxq; k++)
			if (wk->rxq[k].port == port && wk->rxq[k].queue == queue)
				return (int)w;
	}
	return -1;
}

/*
 * The scheduler's input: enabled workers (@slot_of maps its worker index
 * to a slot) and every queue of every active port, with its measured
 * cycles (only when they matter: not for roundrobin, unless @cycles) and
 * its current worker.
 */
static void
sched_input(struct sl_sched *s, unsigned int *slot_of, bool cycles)
{
	struct sl_shm *shm = sl_p.shm;
	int index_of[SL_MAX_WORKERS];

	s->n_workers = 0;
	s->n_rxqs = 0;
	for (unsigned int w = 0; w < SL_MAX_WORKERS; w++) {
		struct sl_sched_worker *sw = &s->w[s->n_workers];

		index_of[w] = -1;
		if (!shm->workers[w].enabled)
			continue;
		sw->core = sl_pmd_core(w);
		sw->takes_unpinned = sl_worker_running(w) ||
				     (sl_pmd.ran[w] && !sl_p.rebalance_on_death);
		sl_pmd_window(w, SL_PMD_INTERVALS, &sw->window, NULL);
		index_of[w] = (int)s->n_workers;
		slot_of[s->n_workers++] = w;
	}
	for (unsigned int p = 0; p < SL_MAX_PORTS; p++) {
		const struct sl_port *port = &shm->ports[p];

		if (__atomic_load_n(&port->state, __ATOMIC_ACQUIRE) != SL_PORT_ACTIVE)
			continue;
		for (uint16_t q = 0; q < port->n_rxq && s->n_rxqs < SL_SCHED_MAX_RXQS; q++) {
			struct sl_sched_rxq *r = &s->q[s->n_rxqs++];
			int owner = current_owner(p, q);

			r->port = p;
			r->queue = q;
			r->order = (uint32_t)port->ofport << 16 | q;
			r->pin = sl_rxq_affinity_core(&sl_p.ports[p].affinity, q);
			r->cycles = cycles ? sl_pmd_rxq_cycles(p, q, SL_PMD_INTERVALS, NULL) : 0;
			r->worker = owner >= 0 ? index_of[owner] : -1;
		}
	}
}

bool
sl_rxq_dry_run(uint64_t *cur_var, uint64_t *est_var)
{
	static struct sl_sched cur, est;
	unsigned int slot_of[SL_MAX_WORKERS], free_workers = 0;
	bool multi = false;

	sched_input(&cur, slot_of, true);
	sl_sched_tally(&cur, sl_pmd.isolate);
	for (unsigned int i = 0; i < cur.n_workers; i++) {
		if (cur.w[i].isolated || !cur.w[i].takes_unpinned)
			continue;
		free_workers++;
		multi |= cur.w[i].n_rxq > 1;
	}
	if (free_workers < 2 || !multi)
		return false;
	est = cur;
	sl_sched_assign(&est, sl_pmd.algo, sl_pmd.isolate);
	*cur_var = sl_sched_variance(&cur);
	*est_var = sl_sched_variance(&est);
	return true;
}

static const char *
port_name(unsigned int slot)
{
	return sl_p.shm->ports[slot].name;
}

/* Say what the assignment could not honour: in the log, and in the reply. */
static void
report(const struct sl_sched *s)
{
	bool any_unisolated = false;

	/* Workers that are not isolated but take nothing yet are starting: a
	 * moment's wait, not a configuration to report. */
	for (unsigned int i = 0; i < s->n_workers; i++)
		any_unisolated |= !s->w[i].isolated;
	sl_pmd.n_unpolled = 0;
	for (unsigned int i = 0; i < s->n_rxqs; i++) {
		const struct sl_sched_rxq *q = &s->q[i];
		bool waiting = q->why == SL_SCHED_NO_FREE_WORKER && any_unisolated;

		if (q->worker >= 0)
			continue;
		if (sl_pmd.n_unpolled < SL_PMD_MAX_UNPOLLED)
			sl_pmd.unpolled[sl_pmd.n_unpolled++] = (struct sl_pmd_unpolled){
				.port = q->port, .queue = q->queue, .pin = q->pin, .why = q->why,
				.waiting = waiting,
			};
		if (q->why == SL_SCHED_NO_WORKER_ON_CORE)
			sl_notice("port %s rx queue %u is not polled: it is pinned to core %d, "
				  "which has no worker (pmd-cpu-mask)",
				  port_name(q->port), q->queue, q->pin);
		else if (waiting)
			PLOG(INFO, "port %s rx queue %u is not polled yet: its worker is starting",
			     port_name(q->port), q->queue);
		else if (s->n_workers > 0)
			sl_notice("port %s rx queue %u is not polled: every worker is isolated "
				  "by pmd-rxq-affinity and the queue is not pinned",
				  port_name(q->port), q->queue);
		else
			sl_notice("port %s rx queue %u is not polled: there is no worker",
				  port_name(q->port), q->queue);
	}
	for (unsigned int p = 0; p < SL_MAX_PORTS; p++) {
		const struct sl_rxq_affinity *a = &sl_p.ports[p].affinity;
		const struct sl_port *port = &sl_p.shm->ports[p];

		if (port->state != SL_PORT_ACTIVE)
			continue;
		for (uint16_t i = 0; i < a->n; i++)
			if (a->e[i].queue >= port->n_rxq)
				sl_notice("port %s has no rx queue %u (n_rxq=%u): its pmd-rxq-affinity "
					  "entry %u:%u waits for one",
					  port->name, a->e[i].queue, port->n_rxq, a->e[i].queue,
					  a->e[i].core);
	}
}

static void
log_assignment(const struct sl_sched *s, const unsigned int *slot_of)
{
	static const char *const algo[] = { "cycles", "roundrobin", "group" };

	PLOG(INFO, "assigning %u rx queues to %u workers (%s)", s->n_rxqs, s->n_workers,
	     algo[sl_pmd.algo]);
	for (unsigned int i = 0; i < s->n_rxqs; i++) {
		const struct sl_sched_rxq *q = &s->q[i];

		if (q->worker < 0)
			continue;
		PLOG(INFO, "core %2d (worker %u) %s port '%s' rx queue %u (measured processing "
			   "cycles %" PRIu64 ")",
		     s->w[q->worker].core, slot_of[q->worker], q->pin >= 0 ? "pinned with" : "assigned",
		     port_name(q->port), q->queue, q->cycles);
	}
}

static void assign(void);

void
sl_workers_assign_rxqs(void)
{
	static bool busy, again;

	/* The grace period may find a worker dead, whose reaping assigns
	 * again: that one runs after this one, not inside it. */
	if (busy) {
		again = true;
		return;
	}
	busy = true;
	do {
		again = false;
		assign();
	} while (again);
	busy = false;
}

static void
assign(void)
{
	static struct sl_sched s;
	static struct assignment next[SL_MAX_WORKERS], keep[SL_MAX_WORKERS];
	unsigned int slot_of[SL_MAX_WORKERS], w;
	uint32_t losers = 0;

	sched_input(&s, slot_of, sl_pmd.algo != SL_RXQ_ASSIGN_ROUNDROBIN);
	sl_sched_assign(&s, sl_pmd.algo, sl_pmd.isolate);
	memset(next, 0, sizeof(next));
	memset(keep, 0, sizeof(keep));
	for (unsigned int i = 0; i < s.n_rxqs; i++) {
		struct sl_sched_rxq *q = &s.q[i];
		struct assignment *a;

		if (q->worker < 0)
			continue;
		a = &next[slot_of[q->worker]];
		if (a->n == SL_MAX_RXQ) {
			PLOG(ERR, "worker %u cannot poll more than %d rx queues: port %s queue %u "
				  "left out", slot_of[q->worker], SL_MAX_RXQ, port_name(q->port),
			     q->queue);
			q->worker = -1;
			q->why = SL_SCHED_NO_FREE_WORKER;
			continue;
		}
		a->q[a->n++] = (struct sl_rxq_ref){ .port = q->port, .queue = q->queue };
	}
	for (w = 0; w < SL_MAX_WORKERS; w++)
		sl_p.shm->workers[w].isolated = 0;
	for (unsigned int i = 0; i < s.n_workers; i++)
		sl_p.shm->workers[slot_of[i]].isolated = s.w[i].isolated;

	/* Phase 1: every worker keeps only what it keeps in the end. */
	for (w = 0; w < SL_MAX_WORKERS; w++) {
		const struct sl_worker *wk = &sl_p.shm->workers[w];

		for (unsigned int k = 0; k < wk->n_rxq; k++) {
			if (has_rxq(&next[w], wk->rxq[k]))
				keep[w].q[keep[w].n++] = wk->rxq[k];
			else
				losers |= 1u << w;
		}
	}
	if (losers != 0) {
		for (w = 0; w < SL_MAX_WORKERS; w++)
			write_assignment(w, &keep[w]);
		sl_rcu_synchronize();
		flush_bridged(losers);
	}
	/* Phase 2: the final assignment. */
	for (w = 0; w < SL_MAX_WORKERS; w++)
		write_assignment(w, &next[w]);
	log_assignment(&s, slot_of);
	report(&s);
}
