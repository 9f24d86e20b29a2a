/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Workers as the primary sees them: whether each is alive, and cleaning up
 * after one that died (which rx queues each polls: rxq_assign.c).
 * Processes are started by sluiced; the primary only watches shared memory
 * and pids.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "primary.h"
#include "util.h"

static bool
worker_running(unsigned int w)
{
	return __atomic_load_n(&sl_p.shm->workers[w].state, __ATOMIC_ACQUIRE) ==
	       SL_WORKER_RUNNING;
}

bool
sl_worker_running(unsigned int w)
{
	uint32_t st = __atomic_load_n(&sl_p.shm->workers[w].state, __ATOMIC_ACQUIRE);

	return st == SL_WORKER_RUNNING || st == SL_WORKER_HANDOFF;
}

void
sl_rcu_synchronize(void)
{
	struct rte_rcu_qsbr *q = sl_p.shm->qsbr;
	uint64_t token = rte_rcu_qsbr_start(q), deadline = sl_now_ms() + 2 * sl_p.hang_ms;

	/* Bounded: a hung worker is declared dead, which takes it out of the
	 * quiescence set, instead of stopping the control plane. */
	while (rte_rcu_qsbr_check(q, token, false) != 1) {
		usleep(50);
		if (sl_now_ms() > deadline) {
			/* It changes what the read thread reads: under the lock,
			 * which del-port does not hold while it waits here. */
			bool take = !sl_state_held;

			if (take)
				sl_state_wrlock();
			sl_workers_check();
			if (take)
				sl_state_unlock();
			deadline = sl_now_ms() + 2 * sl_p.hang_ms;
		}
	}
}

/* A worker's process is gone: make its slot harmless and reusable. */
static void
reap_worker(unsigned int w, const char *why)
{
	struct sl_shm *shm = sl_p.shm;
	struct sl_worker *wk = &shm->workers[w];
	int pid = wk->pid;
	uint64_t freed, lost;
	bool dead = !sl_pid_alive(pid); /* certainly gone: no such process, or a zombie */

	PLOG(WARNING, "worker %u (pid %d) %s", w, pid, why);
	/* It can no longer report quiescence: stop waiting for it. */
	rte_rcu_qsbr_thread_offline(shm->qsbr, wk->rcu_id);
	rte_rcu_qsbr_thread_unregister(shm->qsbr, wk->rcu_id);

	/* What it held, given back: before its caches are flushed (the record
	 * is read against them) and its rings rolled back (likewise).  Only a
	 * process certainly gone is robbed; else it is counted, not freed. */
	freed = sl_reclaim_worker(w, wk->lcore, dead, &lost);
	wk->reclaimed_mbufs += freed;
	wk->lost_mbufs += lost;
	if (!dead)
		PLOG(ERR, "worker %u (pid %d) is not certainly gone: %lu mbufs it held are lost",
		     w, pid, (unsigned long)lost);
	else if (lost)
		PLOG(WARNING, "worker %u: %lu mbufs given back, %lu lost (inside a device call)",
		     w, (unsigned long)freed, (unsigned long)lost);
	else
		PLOG(INFO, "worker %u: %lu mbufs given back", w, (unsigned long)freed);

	/* The per-lcore caches in shared memory hold mbufs it had freed;
	 * return them now that no process uses that lcore id. */
	if (dead)
		sl_mempools_flush_lcore(wk->lcore);
	/* A kill inside an SP enqueue or SC dequeue leaves head ahead of tail;
	 * roll those back so the next incarnation starts from a sane ring. */
	for (unsigned int s = 0; s < SL_MAX_PORTS; s++) {
		struct sl_port *p = &shm->ports[s];

		if (p->state != SL_PORT_ACTIVE || !p->bridged)
			continue;
		if (p->bridge_tx[w] != NULL)
			p->bridge_tx[w]->prod.head = p->bridge_tx[w]->prod.tail;
		for (unsigned int k = 0; k < wk->n_rxq; k++)
			if (wk->rxq[k].port == s && p->bridge_rx[wk->rxq[k].queue] != NULL) {
				struct rte_ring *r = p->bridge_rx[wk->rxq[k].queue];

				r->cons.head = r->cons.tail;
			}
	}
	__atomic_store_n(&wk->pid, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&wk->state, SL_WORKER_DEAD, __ATOMIC_RELEASE);
	wk->restarts++;
	if (sl_p.rebalance_on_death)
		sl_workers_assign_rxqs();
}

void
sl_workers_check(void)
{
	static uint64_t last_check_ms;
	uint64_t now = sl_now_ms();
	bool blind;

	/* If we did not look for a while (a long flow-table build), a worker's
	 * heartbeat may have moved unseen: judge hangs only on what we saw. */
	blind = last_check_ms != 0 && now - last_check_ms > sl_p.hang_ms / 4;
	last_check_ms = now;

	for (unsigned int w = 0; w < sl_p.n_workers; w++) {
		struct sl_worker *wk = &sl_p.shm->workers[w];
		uint64_t hb;
		int pid;

		if (__atomic_load_n(&wk->state, __ATOMIC_ACQUIRE) == SL_WORKER_HANDOFF &&
		    !sl_pid_alive(__atomic_load_n(&wk->takeover_pid, __ATOMIC_ACQUIRE)) &&
		    now - sl_p.heartbeat_change_ms[w] > sl_p.hang_ms) {
			/* The replacement died between the hand-over and its claim:
			 * nobody uses either of the slot's RCU ids now. */
			rte_rcu_qsbr_thread_offline(sl_p.shm->qsbr, w + SL_MAX_WORKERS);
			rte_rcu_qsbr_thread_unregister(sl_p.shm->qsbr, w + SL_MAX_WORKERS);
			rte_rcu_qsbr_thread_offline(sl_p.shm->qsbr, w);
			rte_rcu_qsbr_thread_unregister(sl_p.shm->qsbr, w);
			__atomic_store_n(&wk->takeover_pid, 0, __ATOMIC_RELEASE);
			__atomic_store_n(&wk->state, SL_WORKER_DEAD, __ATOMIC_RELEASE);
			PLOG(WARNING, "worker %u: its replacement died during the hand-over", w);
			continue;
		}
		if (!worker_running(w)) {
			if (__atomic_load_n(&wk->state, __ATOMIC_ACQUIRE) != SL_WORKER_HANDOFF)
				sl_p.heartbeat_change_ms[w] = now;
			sl_p.was_running[w] = false;
			continue;
		}
		if (!sl_p.was_running[w]) {
			/* New: it gets its share of the queues now that it runs.
			 * Back: under the rebalance policy it gets its share back
			 * from the others; else it kept its queues. */
			sl_p.was_running[w] = true;
			if (!sl_pmd.ran[w] && sl_p.shm->workers[w].enabled) {
				sl_pmd.ran[w] = true;
				sl_workers_assign_rxqs();
			} else if (sl_p.rebalance_on_death) {
				sl_workers_assign_rxqs();
			}
		}
		/* A heartbeat that moved is a live process's; one that did not
		 * may be a dead one's (a zombie counts as dead: /proc says so). */
		pid = __atomic_load_n(&wk->pid, __ATOMIC_ACQUIRE);
		hb = __atomic_load_n(&wk->heartbeat, __ATOMIC_RELAXED);
		if (hb != sl_p.last_heartbeat[w] || blind) {
			sl_p.last_heartbeat[w] = hb;
			sl_p.heartbeat_change_ms[w] = now;
		} else if (!sl_pid_alive(pid)) {
			reap_worker(w, "exited");
		} else if (now - sl_p.heartbeat_change_ms[w] > sl_p.hang_ms) {
			/* Hung (or stopped): make sure it never runs again with a
			 * stale view, then clean up as for a crash. */
			kill(pid, SIGKILL);
			for (int i = 0; i < 100 && sl_pid_alive(pid); i++)
				usleep(1000);
			reap_worker(w, "hung: no progress, killed");
		}
	}
}

void
sl_workers_stop_all(void)
{
	for (unsigned int w = 0; w < SL_MAX_WORKERS; w++) {
		int pid = __atomic_load_n(&sl_p.shm->workers[w].pid, __ATOMIC_ACQUIRE);

		if (worker_running(w) && sl_pid_alive(pid))
			kill(pid, SIGTERM);
	}
	for (unsigned int w = 0; w < SL_MAX_WORKERS; w++) {
		int pid = __atomic_load_n(&sl_p.shm->workers[w].pid, __ATOMIC_ACQUIRE);

		for (int i = 0; i < 200 && worker_running(w) && sl_pid_alive(pid); i++)
			usleep(10000);
		if (worker_running(w) && sl_pid_alive(pid))
			kill(pid, SIGKILL);
	}
}
