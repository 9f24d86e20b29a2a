/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-worker: a DPDK secondary process that forwards on one lcore.  It
 * owns nothing persistent: it claims its worker slot in shared memory,
 * polls the rx queues the primary assigned to that slot, and can be killed
 * and restarted at any time.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_memzone.h>
#include <rte_pause.h>
#include <rte_ring.h>
#include <rte_service_component.h>

#include "bond_hooks.h"
#include "capture_hooks.h"
#include "ct_hooks.h"
#include "eal_guard.h"
#include "group_hooks.h"
#include "meter_hooks.h"
#include "rxq_acct.h"
#include "util.h"
#include "wake.h"
#include "worker.h"

/* Idle: busy this long after the last packet before any sleep, so that a
 * reply coming back soon (a ping's) finds the worker awake. */
#define SL_WORKER_SPIN_US 200
/* A sleep the bridge thread cuts short (every queue is a bridged port's
 * ring) still ends after this long. */
#define SL_WORKER_WAIT_US 10000

int sl_worker_logtype;
static volatile bool quit;
/* The bridge thread's eventfd (wake.h), -1: we cannot wake it. */
static int bridge_fd = -1;
/* Some published port is bridged: wake the bridge thread after a round. */
static bool have_bridged;

static void
usage(const char *prog)
{
	printf("Usage: %s [EAL options] -- --id N [--takeover] [--rundir DIR]\n\n"
	       "A sluice forwarding worker: a DPDK secondary process that polls the rx\n"
	       "queues assigned to worker slot N and forwards. Normally started by sluiced.\n\n"
	       "  --id N        worker slot (0..%d, below the primary's --workers)\n"
	       "  --takeover    planned restart: attach while the slot's worker still runs,\n"
	       "                then take its queues over the moment it lets go (no packet\n"
	       "                is lost); use the slot's other lcore id, 1+N+%d or 1+N\n"
	       "  --rundir DIR  the instance's run directory (for messages only)\n"
	       "  --help        this text\n\n"
	       "EAL options must include --proc-type=secondary, the primary's --file-prefix,\n"
	       "and an lcore id of its own (sluiced uses --lcores <1+N>@CPU).\n",
	       prog, SL_MAX_WORKERS - 1, SL_MAX_WORKERS);
}

static int
parse_args(int argc, char **argv, unsigned int *id, bool *takeover)
{
	static const struct option opts[] = {
		{ "id", required_argument, NULL, 'i' },
		{ "takeover", no_argument, NULL, 't' },
		{ "rundir", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_id = false;
	uint64_t v;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (sl_parse_u64(optarg, 0, SL_MAX_WORKERS - 1, &v) < 0) {
				fprintf(stderr, "sluice-worker: --id: %s is not in 0..%d\n", optarg,
					SL_MAX_WORKERS - 1);
				return -EINVAL;
			}
			*id = v;
			have_id = true;
			break;
		case 'r':
			break;
		case 't':
			*takeover = true;
			break;
		case 'h':
			usage(argv[0]);
			exit(0);
		default:
			usage(argv[0]);
			return -EINVAL;
		}
	}
	if (!have_id) {
		fprintf(stderr, "sluice-worker: --id N is required\n");
		return -EINVAL;
	}
	return 0;
}

static void
on_signal(int sig)
{
	(void)sig;
	quit = true;
}

static struct sl_shm *
attach_shm(void)
{
	const struct rte_memzone *mz = rte_memzone_lookup(SL_SHM_NAME);
	struct sl_shm *shm;

	if (mz == NULL)
		rte_exit(2, "sluice-worker: no sluice shared state: is sluice-primary running "
			    "with the same --file-prefix?\n");
	shm = mz->addr;
	if (shm->magic != SL_SHM_MAGIC || shm->layout_version != SL_LAYOUT_VERSION)
		rte_exit(2,
			 "sluice-worker: shared-memory layout version mismatch: this worker "
			 "speaks %u, the primary %u (magic %#x)\n",
			 SL_LAYOUT_VERSION, shm->layout_version, shm->magic);
	if (mz->len < sizeof(*shm))
		rte_exit(2, "sluice-worker: shared state is %zu bytes, expected %zu\n", mz->len,
			 sizeof(*shm));
	return shm;
}

static void
register_rcu(struct sl_wctx *w, uint32_t rcu_id)
{
	if (rte_rcu_qsbr_thread_register(w->shm->qsbr, rcu_id) != 0)
		rte_exit(2, "sluice-worker: cannot register with RCU\n");
	rte_rcu_qsbr_thread_online(w->shm->qsbr, rcu_id);
	w->rcu_id = rcu_id;
}

static void
take_slot(struct sl_wctx *w)
{
	struct sl_worker *me = w->me;

	/* Counters of the previous incarnation carry on. */
	w->st = me->stats;
	memcpy(w->port_tx_dropped, me->port_tx_dropped, sizeof(w->port_tx_dropped));
	memcpy(w->port_stats, me->port_stats, sizeof(w->port_stats));
	me->lcore = rte_lcore_id();
	me->rcu_id = w->rcu_id;
	__atomic_store_n(&me->pid, getpid(), __ATOMIC_RELEASE);
	__atomic_store_n(&me->takeover_pid, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&me->state, SL_WORKER_RUNNING, __ATOMIC_RELEASE);
}

/*
 * Planned restart: register under the slot's other RCU id, ask the running
 * worker to let go, and take over the moment it has (its queues are idle
 * for microseconds, so nothing is lost).  Returns false if there is no live
 * worker to take over from (then the slot is claimed the ordinary way).
 */
static bool
take_over(struct sl_wctx *w)
{
	struct sl_worker *me = w->me;
	int old = __atomic_load_n(&me->pid, __ATOMIC_ACQUIRE);

	if (__atomic_load_n(&me->state, __ATOMIC_ACQUIRE) != SL_WORKER_RUNNING ||
	    !sl_pid_alive(old))
		return false;
	register_rcu(w, sl_worker_rcu_id(w->id, me->rcu_id == sl_worker_rcu_id(w->id, false)));
	__atomic_store_n(&me->takeover_pid, getpid(), __ATOMIC_RELEASE);
	for (int i = 0; i < 5000; i++) {
		uint32_t st = __atomic_load_n(&me->state, __ATOMIC_ACQUIRE);

		if (st == SL_WORKER_HANDOFF) {
			take_slot(w);
			WLOG(INFO, "worker %u took over from pid %d", w->id, old);
			return true;
		}
		if (st != SL_WORKER_RUNNING || !sl_pid_alive(old))
			break; /* it died instead: the primary reaps it, we claim below */
		usleep(1000);
	}
	__atomic_store_n(&me->takeover_pid, 0, __ATOMIC_RELEASE);
	rte_rcu_qsbr_thread_offline(w->shm->qsbr, w->rcu_id);
	rte_rcu_qsbr_thread_unregister(w->shm->qsbr, w->rcu_id);
	return false;
}

/* Take slot @id, waiting for the primary to reap a previous incarnation. */
static void
claim_slot(struct sl_wctx *w, bool takeover)
{
	struct sl_worker *me = w->me;
	int i;

	if (w->id >= w->shm->n_workers)
		rte_exit(2, "sluice-worker: --id %u: the primary has only %u worker slots\n", w->id,
			 w->shm->n_workers);
	if (!__atomic_load_n(&me->enabled, __ATOMIC_ACQUIRE))
		rte_exit(2, "sluice-worker: --id %u: the primary has no worker configured in that "
			    "slot (--workers, pmd-cpu-mask)\n", w->id);
	if (takeover && take_over(w))
		return;
	for (i = 0; i < 500; i++) {
		int pid = __atomic_load_n(&me->pid, __ATOMIC_ACQUIRE);

		if (__atomic_load_n(&me->state, __ATOMIC_ACQUIRE) != SL_WORKER_RUNNING)
			break;
		if (sl_pid_alive(pid) && i == 0 && !takeover)
			rte_exit(2, "sluice-worker: worker slot %u is in use by pid %d (--takeover "
				    "replaces it)\n", w->id, pid);
		usleep(10000);
	}
	if (i == 500)
		rte_exit(2, "sluice-worker: slot %u still held by a dead worker: is the "
			    "primary alive?\n", w->id);
	register_rcu(w, sl_worker_rcu_id(w->id, false));
	take_slot(w);
}

static void
flush_cache(struct rte_mempool *mp, void *arg)
{
	struct rte_mempool_cache *cache = rte_mempool_default_cache(mp, rte_lcore_id());

	(void)arg;
	if (cache != NULL)
		rte_mempool_cache_flush(cache, mp);
}

/* Leave the slot: free, or handed to a waiting replacement. */
static void
release_slot(struct sl_wctx *w, bool handoff)
{
	rte_rcu_qsbr_thread_offline(w->shm->qsbr, w->rcu_id);
	rte_rcu_qsbr_thread_unregister(w->shm->qsbr, w->rcu_id);
	/* Our lcore's caches would be stranded until a process with our lcore
	 * id came back (and would keep a pool from being freed): give the
	 * mbufs back now, to every pool. */
	rte_mempool_walk(flush_cache, NULL);
	if (handoff) {
		__atomic_store_n(&w->me->state, SL_WORKER_HANDOFF, __ATOMIC_RELEASE);
		return;
	}
	__atomic_store_n(&w->me->pid, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&w->me->state, SL_WORKER_FREE, __ATOMIC_RELEASE);
}

static void
publish_stats(struct sl_wctx *w)
{
	/* Plain stores to our own cache lines; readers tolerate a stale value. */
	w->me->stats = w->st;
	for (unsigned int s = 0; s < SL_MAX_PORTS; s++)
		w->me->port_tx_dropped[s] = w->port_tx_dropped[s];
	memcpy(w->me->port_stats, w->port_stats, sizeof(w->port_stats));
	sl_rxq_acct_publish(w);
}

/* Ask the primary for the bridge thread's eventfd. */
static void
get_bridge_fd(struct sl_wctx *w)
{
	struct sl_wake *k = &w->shm->worker_wake[w->id];
	struct timespec ts = { .tv_sec = 5, .tv_nsec = 0 };
	struct rte_mp_reply rep = { 0 };
	struct rte_mp_msg req;

	memset(&req, 0, sizeof(req));
	snprintf(req.name, sizeof(req.name), "%s", SL_WAKE_MP_NAME);
	if (rte_mp_request_sync(&req, &rep, &ts) == 0 && rep.nb_received == 1 &&
	    rep.msgs[0].num_fds == 1)
		bridge_fd = rep.msgs[0].fds[0];
	free(rep.msgs);
	if (bridge_fd < 0)
		WLOG(WARNING, "no wake-up from the primary's bridge thread: bridged ports "
			      "are served by the clock (pmd-maxsleep)");
	__atomic_store_n(&k->can_wake, bridge_fd >= 0, __ATOMIC_RELEASE);
}

/* After a round that moved packets: if the bridge thread sleeps, wake it
 * (what we handed it is in its rings: every round flushes). */
static inline void
wake_bridge(struct sl_wctx *w)
{
	struct sl_wake *k = &w->shm->bridge_wake;
	uint64_t one = 1;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (likely(__atomic_load_n(&k->sleeping, __ATOMIC_RELAXED) == 0))
		return;
	if (__atomic_exchange_n(&k->sleeping, 0, __ATOMIC_ACQ_REL) && bridge_fd >= 0)
		(void)!write(bridge_fd, &one, sizeof(one));
}

static void
note_bridged(const struct sl_wctx *w)
{
	have_bridged = false;
	for (unsigned int s = 0; s < SL_MAX_PORTS; s++)
		if (w->ports[s].active && w->ports[s].bridged)
			have_bridged = true;
}

/* Whether every queue we poll is a bridged port's ring (the bridge thread
 * wakes us for those); none at all counts too. */
static bool
all_queues_wake(const struct sl_wctx *w)
{
	for (unsigned int i = 0; i < w->n_rxq; i++)
		if (w->rxq[i].ring == NULL)
			return false;
	return true;
}

/*
 * Sleep up to @us, offline (a grace period need not wait for us), unless
 * a bridged queue has packets already; the bridge thread wakes us when it
 * fills one.  Returns whether something woke us before the time was up.
 */
static bool
idle_sleep(struct sl_wctx *w, uint32_t us)
{
	struct sl_wake *k = &w->shm->worker_wake[w->id];
	uint32_t seq = __atomic_load_n(&k->seq, __ATOMIC_ACQUIRE);
	bool woken;

	__atomic_store_n(&k->sleeping, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (unsigned int i = 0; i < w->n_rxq; i++)
		if (w->rxq[i].ring != NULL && rte_ring_count(w->rxq[i].ring) != 0) {
			__atomic_store_n(&k->sleeping, 0, __ATOMIC_RELAXED);
			return false;
		}
	rte_rcu_qsbr_thread_offline(w->shm->qsbr, w->rcu_id);
	woken = sl_futex_wait(&k->seq, seq, us);
	__atomic_store_n(&k->sleeping, 0, __ATOMIC_RELAXED);
	rte_rcu_qsbr_thread_online(w->shm->qsbr, w->rcu_id);
	return woken;
}

/* Pick up what the primary changed since the last iteration. */
static inline void
refresh(struct sl_wctx *w)
{
	struct sl_shm *shm = w->shm;
	uint32_t prob;

	if (unlikely(__atomic_load_n(&shm->ports_gen, __ATOMIC_ACQUIRE) != w->ports_gen)) {
		sl_fwd_refresh_ports(w);
		sl_rxq_acct_ports(w);
		sl_fwd_refresh_rxqs(w);
		note_bridged(w);
	}
	if (unlikely(__atomic_load_n(&w->me->assign_gen, __ATOMIC_ACQUIRE) != w->assign_gen))
		sl_fwd_refresh_rxqs(w);
	sl_capture_check(w);
	sl_wmeter_check(w);
	w->cls_gen = __atomic_load_n(&shm->cls_gen, __ATOMIC_ACQUIRE);
	w->cls = __atomic_load_n(&shm->cls, __ATOMIC_ACQUIRE);
	w->now_s = __atomic_load_n(&shm->coarse_now_s, __ATOMIC_RELAXED);
	w->aging_s = __atomic_load_n(&shm->mac_aging_s, __ATOMIC_RELAXED);
	prob = __atomic_load_n(&shm->emc_inv_prob, __ATOMIC_RELAXED);
	if (unlikely(prob != w->emc_inv_prob)) {
		sl_emc_set_inv_prob(&w->emc, prob);
		w->emc_inv_prob = prob;
	}
}

/*
 * Idle: busy for SL_WORKER_SPIN_US after the last packet; then, if every
 * queue is a bridged port's ring, asleep until the bridge thread wakes us
 * (at most SL_WORKER_WAIT_US); else sleeps that grow with the idle time
 * up to pmd-maxsleep, which the bridge thread still cuts short.
 * pmd-maxsleep=0: always busy.
 */
static void
main_loop(struct sl_wctx *w)
{
	uint64_t idle_polls = 0, last = rte_rdtsc(), last_pub = last, last_work = last;
	uint64_t pub_every = rte_get_tsc_hz() / 100, pubs = 0;
	uint64_t spin = rte_get_tsc_hz() / 1000000 * SL_WORKER_SPIN_US;

	while (!quit) {
		unsigned int n;
		uint64_t now;

		/* A replacement is ready: stop here, between two bursts, with
		 * every tx buffer flushed. */
		if (unlikely(__atomic_load_n(&w->me->takeover_pid, __ATOMIC_RELAXED) != 0))
			break;
		refresh(w);
		w->loop_tsc = last;
		n = sl_fwd_poll(w);
		rte_rcu_qsbr_quiescent(w->shm->qsbr, w->rcu_id);
		__atomic_store_n(&w->me->heartbeat, w->me->heartbeat + 1, __ATOMIC_RELAXED);

		/* A round with packets read the time as it ended (rxq_acct.h). */
		now = sl_rxq_loop_now(w, n);
		if (n) {
			if (have_bridged)
				wake_bridge(w);
			w->st.busy_cycles += now - last;
			idle_polls = 0;
			last_work = now;
		} else {
			uint32_t us = __atomic_load_n(&w->shm->idle_sleep_us, __ATOMIC_RELAXED);

			w->st.idle_cycles += now - last;
			/* Back off when idle so that a 2-core host stays usable. */
			++idle_polls;
			if (us == 0 || now - last_work < spin) {
				rte_pause();
			} else {
				bool woken = false;

				if (all_queues_wake(w))
					woken = idle_sleep(w, SL_WORKER_WAIT_US);
				else if (idle_polls > 1000)
					woken = idle_sleep(w, RTE_MIN(us, (uint32_t)(idle_polls / 1000)));
				else
					rte_pause();
				/* What woke us may be a moment away from our ring
				 * (the bridge thread wakes us as it starts
				 * reading): spin a little. */
				if (woken)
					last_work = rte_rdtsc() - spin + spin / 8;
			}
			now = rte_rdtsc();
		}
		last = now;
		sl_rxq_acct_tick(w, now);
		if (now - last_pub > pub_every) {
			publish_stats(w);
			last_pub = now;
			/* Once a second: a worker whose primary died serves nobody,
			 * and keeps the next primary from starting (it holds the
			 * old one's memory).  sluiced stops us then; this is for
			 * when it cannot (a hand-over cut short, sluiced dead). */
			if (++pubs % 100 == 0 && !sl_pid_alive(w->shm->primary_pid)) {
				WLOG(ERR, "sluice-primary (pid %d) is gone: exiting",
				     (int)w->shm->primary_pid);
				_exit(3);
			}
		}
	}
	publish_stats(w);
}

int
main(int argc, char **argv)
{
	static struct sl_wctx w; /* big (the EMC): keep it off the stack */
	unsigned int id = 0;
	bool takeover = false;
	int ret, i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(argv[0]);
			return 0;
		}
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		;
	if (i == argc || parse_args(argc - i, argv + i, &id, &takeover) < 0) {
		if (i == argc)
			fprintf(stderr, "sluice-worker: missing \"-- --id N\"\n");
		return 2;
	}

	ret = sl_eal_init_guarded(argc, argv);
	if (ret < 0)
		rte_exit(2, "sluice-worker: EAL init failed: %s\n", rte_strerror(rte_errno));
	if (rte_eal_process_type() != RTE_PROC_SECONDARY)
		rte_exit(2, "sluice-worker: must run with --proc-type=secondary\n");
	/* The service library took ~150 KiB of the shared heap at EAL init
	 * (a state per possible lcore).  A worker runs no service; and a
	 * worker killed with -9 never gives it back, so every restart would
	 * leak that much hugepage memory for good.  Give it back now. */
	rte_service_finalize();
	sl_worker_logtype = rte_log_register_type_and_pick_level("sluice.worker", RTE_LOG_INFO);

	w.id = id;
	w.shm = attach_shm();
	w.me = &w.shm->workers[id];
	w.inf = &w.shm->inflight[id];
	w.counters = sl_flow_counter(w.shm, id, 0);
	sl_wmeter_attach(&w);
	sl_wgroup_attach(&w);
	sl_wct_attach(&w);
	sl_wbond_attach(&w);
	w.ports_gen = __atomic_load_n(&w.shm->ports_gen, __ATOMIC_ACQUIRE) - 1;
	w.assign_gen = UINT32_MAX;
	w.emc_inv_prob = w.shm->emc_inv_prob;
	sl_emc_init(&w.emc, w.emc_inv_prob);
	w.emc_rng = 0x9e3779b9u ^ id; /* xorshift state: any non-zero value */
	sl_mf_init(&w.mf);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	__atomic_store_n(&w.shm->worker_wake[id].can_wake, 0, __ATOMIC_RELEASE);
	get_bridge_fd(&w);
	claim_slot(&w, takeover);
	sl_rxq_acct_attach(&w);
	WLOG(INFO, "worker %u attached (pid %d, lcore %u)", id, getpid(), rte_lcore_id());

	main_loop(&w);

	sl_fwd_flush_all(&w);
	release_slot(&w, __atomic_load_n(&w.me->takeover_pid, __ATOMIC_ACQUIRE) != 0);
	WLOG(INFO, "worker %u stopped", id);
	sl_eal_cleanup_guarded();
	return 0;
}
