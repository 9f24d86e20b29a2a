/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The bridge thread: moves packets between the bridged ports (see the top
 * of ports.c) and the workers' rings, on a thread of its own, so that
 * nothing the control thread does (a classifier build, a grace period, a
 * hotplug) stalls traffic through them.
 *
 * Quiescence: the thread is an RCU reader of the switch's rte_rcu_qsbr,
 * with id SL_RCU_BRIDGE_ID.  It touches a port only after loading its state
 * ACTIVE (acquire), reports a quiescent state after every pass over the
 * ports and is offline while it sleeps.  So the sl_rcu_synchronize() that
 * port_unpublish() does for the workers also waits until this thread has
 * left the port: after it, the control thread may stop the device, free
 * its rings and close it.  Nothing here takes a lock.
 *
 * It is not an EAL thread.  Lcore ids index the per-lcore mempool caches
 * that live in shared memory, and the worker processes use ids
 * 1..2*SL_MAX_WORKERS: rte_thread_register() in this process knows nothing
 * of theirs and could hand us one of them, and two threads on one cache
 * corrupt it.  Unregistered, rte_lcore_id() is LCORE_ID_ANY: mbufs come
 * from and go to the pool itself (a lock-free stack, safe from any thread),
 * a cost per burst that is small next to the system calls the bridged PMDs
 * make per packet.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "primary.h"
#include "primary_bond.h"
#include "util.h"

/* Empty passes spent busy before the first sleep: about a millisecond. */
#define SL_BRIDGE_SPIN_PASSES 300
/* Sleeps grow from this to the bound of pmd-maxsleep, at most the next. */
#define SL_BRIDGE_SLEEP_MIN_US 10
#define SL_BRIDGE_SLEEP_MAX_US 250
/* With no bridged port at all a new one waits at most this long. */
#define SL_BRIDGE_NOPORT_SLEEP_US 5000
/* At shutdown, give up draining after this long (a port that refuses). */
#define SL_BRIDGE_DRAIN_MS 2000

static pthread_t bridge_tid;
static bool bridge_started;
static bool bridge_stop; /* control -> bridge thread, atomic */

static void
count(_Atomic uint64_t *c, unsigned int n)
{
	/* One writer: a load and a store, no locked add. */
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

/* Device to workers: one burst per rx queue, no more than its ring takes. */
static unsigned int
port_rx(unsigned int slot, const struct sl_port *p)
{
	struct rte_mbuf *pkts[SL_BURST];
	unsigned int work = 0;

	for (uint16_t q = 0; q < p->n_rxq; q++) {
		/* Back-pressure to the device instead of a drop here. */
		unsigned int room = rte_ring_free_count(p->bridge_rx[q]), n, sent;

		n = rte_eth_rx_burst(p->port_id, q, pkts, RTE_MIN(room, (unsigned int)SL_BURST));
		if (n == 0)
			continue;
		work += n;
		n = sl_qos_bridged_rx(slot, pkts, n); /* ingress policing */
		sent = rte_ring_sp_enqueue_burst(p->bridge_rx[q], (void **)pkts, n, NULL);
		if (sent < n) {
			count(&sl_p.bridge_rx_dropped[slot], n - sent);
			rte_pktmbuf_free_bulk(pkts + sent, n - sent);
		}
	}
	return work;
}

/* Workers to device: one burst from each worker's ring, on tx queue 0. */
static unsigned int
port_tx(unsigned int slot, const struct sl_port *p)
{
	struct rte_mbuf *pkts[SL_BURST];
	unsigned int work = 0;

	for (unsigned int w = 0; w < sl_p.n_workers; w++) {
		unsigned int n, sent;

		n = rte_ring_sc_dequeue_burst(p->bridge_tx[w], (void **)pkts, SL_BURST, NULL);
		if (n == 0)
			continue;
		work += n;
		n = sl_qos_bridged_tx(slot, pkts, n); /* egress policer */
		sent = sl_port_tx_bridged(slot, w, pkts, n);
		if (sent < n) {
			count(&sl_p.bridge_dropped[slot], n - sent);
			rte_pktmbuf_free_bulk(pkts + sent, n - sent);
		}
	}
	work += sl_bond_bridge_tx(slot); /* LACPDUs of a bond member */
	return work;
}

/* One pass over the published bridged ports; returns the packets moved. */
static unsigned int
bridge_pass(bool rx, unsigned int *n_ports)
{
	struct sl_shm *shm = sl_p.shm;
	unsigned int work = 0;

	*n_ports = 0;
	for (unsigned int s = 0; s < SL_MAX_PORTS; s++) {
		const struct sl_port *p = &shm->ports[s];

		if (!p->bridged || __atomic_load_n(&p->state, __ATOMIC_ACQUIRE) != SL_PORT_ACTIVE)
			continue;
		(*n_ports)++;
		if (rx)
			work += port_rx(s, p);
		work += port_tx(s, p);
	}
	return work;
}

static void
sleep_us(unsigned int us)
{
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000L };

	nanosleep(&ts, NULL);
}

/* Offline while asleep: a grace period need not wait for us to wake up. */
static void
nap(struct rte_rcu_qsbr *q, unsigned int us)
{
	rte_rcu_qsbr_thread_offline(q, SL_RCU_BRIDGE_ID);
	sleep_us(us);
	rte_rcu_qsbr_thread_online(q, SL_RCU_BRIDGE_ID);
}

/*
 * Busy while packets move; after SL_BRIDGE_SPIN_PASSES empty passes,
 * sleeps that double up to pmd-maxsleep (at most SL_BRIDGE_SLEEP_MAX_US;
 * pmd-maxsleep=0 keeps it busy, as it does the workers).
 */
static void *
bridge_main(void *arg)
{
	struct rte_rcu_qsbr *q = sl_p.shm->qsbr;
	unsigned int idle = 0, next_us = SL_BRIDGE_SLEEP_MIN_US, n_ports;
	uint64_t deadline;

	(void)arg;
	/* The default 50 us of timer slack would stretch a 10 us sleep sixfold. */
	prctl(PR_SET_TIMERSLACK, 5000UL);
	rte_rcu_qsbr_thread_online(q, SL_RCU_BRIDGE_ID);
	while (!__atomic_load_n(&bridge_stop, __ATOMIC_ACQUIRE)) {
		unsigned int work = bridge_pass(true, &n_ports), max_us;

		rte_rcu_qsbr_quiescent(q, SL_RCU_BRIDGE_ID);
		if (work != 0) {
			idle = 0;
			next_us = SL_BRIDGE_SLEEP_MIN_US;
			continue;
		}
		if (n_ports == 0) {
			nap(q, SL_BRIDGE_NOPORT_SLEEP_US);
			continue;
		}
		max_us = RTE_MIN(__atomic_load_n(&sl_p.shm->idle_sleep_us, __ATOMIC_RELAXED),
				 (uint32_t)SL_BRIDGE_SLEEP_MAX_US);
		if (++idle <= SL_BRIDGE_SPIN_PASSES || max_us == 0) {
			rte_pause();
			continue;
		}
		nap(q, RTE_MIN(next_us, max_us));
		next_us = RTE_MIN(next_us * 2, max_us);
	}

	/* The workers have stopped: write out what they handed over (a pcap
	 * output must be complete) before the control thread closes ports. */
	deadline = sl_now_ms() + SL_BRIDGE_DRAIN_MS;
	while (bridge_pass(false, &n_ports) != 0 && sl_now_ms() < deadline)
		rte_rcu_qsbr_quiescent(q, SL_RCU_BRIDGE_ID);
	rte_rcu_qsbr_thread_offline(q, SL_RCU_BRIDGE_ID);
	return NULL;
}

int
sl_bridge_start(void)
{
	sigset_t all, old;
	int rc;

	if (rte_rcu_qsbr_thread_register(sl_p.shm->qsbr, SL_RCU_BRIDGE_ID) != 0)
		return -EINVAL;
	/* Signals go to the control thread, whose poll they interrupt: the
	 * new thread inherits a full mask.  It also inherits the control
	 * thread's CPU affinity, the primary's lcore: it stays off the
	 * workers' CPUs. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&bridge_tid, NULL, bridge_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		rte_rcu_qsbr_thread_unregister(sl_p.shm->qsbr, SL_RCU_BRIDGE_ID);
		return -rc;
	}
	pthread_setname_np(bridge_tid, "sl-bridge");
	bridge_started = true;
	return 0;
}

void
sl_bridge_stop(void)
{
	if (!bridge_started)
		return;
	__atomic_store_n(&bridge_stop, true, __ATOMIC_RELEASE);
	pthread_join(bridge_tid, NULL);
	rte_rcu_qsbr_thread_unregister(sl_p.shm->qsbr, SL_RCU_BRIDGE_ID);
	bridge_started = false;
}
