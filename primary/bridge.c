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
 *
 * Idle, it neither polls nor sleeps a fixed time where it can help it
 * (wake.h): it spins for SL_BRIDGE_SPIN_US after the last packet, then
 * blocks in ppoll() on the kernel descriptors behind the bridged ports
 * (net_af_packet's sockets, net_tap's tun queues: the PMDs keep them
 * private, so they are found among this process's descriptors) and on an
 * eventfd the workers write when they hand it packets while it sleeps.
 * Packets it hands to the workers wake those asleep (a futex each).  A
 * port with no descriptor to wait on (net_vhost, net_pcap), or a worker
 * without the eventfd, brings back the old back-off: sleeps that double
 * up to pmd-maxsleep.
 */
#include <dirent.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "primary.h"
#include "primary_bond.h"
#include "util.h"
#include "wake.h"

/* Busy after the last packet moved, before any sleep: a reply that comes
 * back this soon (a ping's) finds the thread awake. */
#define SL_BRIDGE_SPIN_US 200
/* A sleep that something will cut short (every port and worker can wake
 * us) still ends after this long: bond LACPDUs are due. */
#define SL_BRIDGE_WAIT_US 10000
/* Wake-ups in a row that found nothing to move before it stops blocking. */
#define SL_BRIDGE_FUTILE_MAX 8
/* Descriptors waited on, the eventfd included. */
#define SL_BRIDGE_MAX_FDS 64
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
static int wake_fd = -1; /* the eventfd workers write to wake us */
static bool mp_registered;

/* What the thread waits on while asleep, rebuilt when the ports change. */
static struct {
	uint32_t ports_gen;
	bool valid;
	bool all;      /* every bridged port has a descriptor here */
	nfds_t n;
	struct pollfd fds[SL_BRIDGE_MAX_FDS];
} waitset;

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

/* Packets went to the workers' rings, or left them: wake those asleep. */
static void
wake_workers(struct sl_shm *shm)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (unsigned int w = 0; w < SL_MAX_WORKERS; w++)
		sl_wake_futex(&shm->worker_wake[w]);
}

/* One pass over the published bridged ports; returns the packets moved. */
static unsigned int
bridge_pass(bool rx, unsigned int *n_ports)
{
	struct sl_shm *shm = sl_p.shm;
	unsigned int work = 0, rx_work = 0;

	*n_ports = 0;
	for (unsigned int s = 0; s < SL_MAX_PORTS; s++) {
		const struct sl_port *p = &shm->ports[s];

		if (!p->bridged || __atomic_load_n(&p->state, __ATOMIC_ACQUIRE) != SL_PORT_ACTIVE)
			continue;
		(*n_ports)++;
		if (rx)
			rx_work += port_rx(s, p);
		work += port_tx(s, p);
	}
	/* New packets for the workers, or room in a ring a worker waits on
	 * (a lossless port holds its rx back while its tx ring is full). */
	if (rx_work != 0 || work != 0)
		wake_workers(shm);
	return work + rx_work;
}

/* ---- what to wait on ---- */

/* Whether descriptor @fd is one net_tap holds for @ifname (fdinfo's iff). */
static bool
is_tun_of(int fd, const char *ifname)
{
	char path[64], link[64], want[IF_NAMESIZE + 8], line[128];
	bool found = false;
	ssize_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = '\0';
	if (strcmp(link, "/dev/net/tun") != 0)
		return false;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	snprintf(want, sizeof(want), "iff:\t%s\n", ifname);
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strcmp(line, want) == 0;
	fclose(f);
	return found;
}

/* Whether descriptor @fd is a packet socket bound to interface @ifindex. */
static bool
is_packet_socket_of(int fd, unsigned int ifindex)
{
	struct sockaddr_ll sll;
	socklen_t len;
	struct stat st;
	int domain;

	if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
		return false;
	len = sizeof(domain);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0 || domain != AF_PACKET)
		return false;
	len = sizeof(sll);
	if (getsockname(fd, (struct sockaddr *)&sll, &len) < 0)
		return false;
	return sll.sll_ifindex > 0 && (unsigned int)sll.sll_ifindex == ifindex;
}

/* The value of key @key (e.g. "iface") in devargs @args, into @out. */
static bool
devarg(const char *args, const char *key, char *out, size_t outlen)
{
	size_t kl = strlen(key);

	for (const char *a = args; a != NULL && *a != '\0'; a = strchr(a, ',')) {
		if (*a == ',')
			a++;
		if (strncmp(a, key, kl) == 0 && a[kl] == '=') {
			size_t vl = strcspn(a + kl + 1, ",");

			if (vl == 0 || vl >= outlen)
				return false;
			memcpy(out, a + kl + 1, vl);
			out[vl] = '\0';
			return true;
		}
	}
	return false;
}

/* Add to the wait set this process's descriptors behind port slot @s. */
static bool
add_port_fds(unsigned int s)
{
	const struct sl_port_priv *pp = &sl_p.ports[s];
	char ifname[IF_NAMESIZE] = "";
	unsigned int ifindex = 0, found = 0;
	bool tap = strcmp(pp->driver, "net_tap") == 0;
	struct dirent *de;
	DIR *d;

	if (tap) {
		snprintf(ifname, sizeof(ifname), "%s", pp->kernel_if);
	} else if (strcmp(pp->driver, "net_af_packet") == 0) {
		if (!devarg(pp->devargs, "iface", ifname, sizeof(ifname)))
			return false;
		ifindex = if_nametoindex(ifname);
	}
	if (ifname[0] == '\0' || (!tap && ifindex == 0))
		return false;
	d = opendir("/proc/self/fd");
	if (d == NULL)
		return false;
	while ((de = readdir(d)) != NULL) {
		int fd;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		fd = atoi(de->d_name);
		if (fd == dirfd(d) || fd == wake_fd)
			continue;
		if (tap ? !is_tun_of(fd, ifname) : !is_packet_socket_of(fd, ifindex))
			continue;
		if (waitset.n == SL_BRIDGE_MAX_FDS) {
			found = 0;
			break;
		}
		waitset.fds[waitset.n].fd = fd;
		waitset.fds[waitset.n++].events = POLLIN;
		found++;
	}
	closedir(d);
	return found != 0;
}

static void
waitset_build(uint32_t gen)
{
	struct sl_shm *shm = sl_p.shm;

	waitset.n = 0;
	waitset.all = wake_fd >= 0;
	if (wake_fd >= 0) {
		waitset.fds[0].fd = wake_fd;
		waitset.fds[0].events = POLLIN;
		waitset.n = 1;
	}
	for (unsigned int s = 0; s < SL_MAX_PORTS && waitset.all; s++) {
		const struct sl_port *p = &shm->ports[s];

		if (!p->bridged || __atomic_load_n(&p->state, __ATOMIC_ACQUIRE) != SL_PORT_ACTIVE)
			continue;
		if (!add_port_fds(s))
			waitset.all = false;
	}
	waitset.ports_gen = gen;
	waitset.valid = true;
}

/* Every running worker can wake us (it holds the eventfd). */
static bool
workers_can_wake(const struct sl_shm *shm)
{
	for (unsigned int w = 0; w < SL_MAX_WORKERS; w++)
		if (__atomic_load_n(&shm->workers[w].state, __ATOMIC_ACQUIRE) == SL_WORKER_RUNNING &&
		    !__atomic_load_n(&shm->worker_wake[w].can_wake, __ATOMIC_ACQUIRE))
			return false;
	return true;
}

/* Whether a worker handed us packets (a ring of ours is not empty). */
static bool
tx_pending(const struct sl_shm *shm)
{
	for (unsigned int s = 0; s < SL_MAX_PORTS; s++) {
		const struct sl_port *p = &shm->ports[s];

		if (!p->bridged || __atomic_load_n(&p->state, __ATOMIC_ACQUIRE) != SL_PORT_ACTIVE)
			continue;
		for (unsigned int w = 0; w < sl_p.n_workers; w++)
			if (rte_ring_count(p->bridge_tx[w]) != 0)
				return true;
	}
	return false;
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
 * Block until a bridged port has something to read, a worker wrote the
 * eventfd or @us passed; offline meanwhile.  Returns ppoll's count (0:
 * the time ran out), or -1 if it did not block (a worker's packets wait).
 */
static int
wait_ports(struct rte_rcu_qsbr *q, unsigned int us)
{
	struct sl_wake *k = &sl_p.shm->bridge_wake;
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000 };
	uint64_t v;
	int n;

	__atomic_store_n(&k->sleeping, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (tx_pending(sl_p.shm)) {
		__atomic_store_n(&k->sleeping, 0, __ATOMIC_RELAXED);
		return -1;
	}
	rte_rcu_qsbr_thread_offline(q, SL_RCU_BRIDGE_ID);
	n = ppoll(waitset.fds, waitset.n, &ts, NULL);
	rte_rcu_qsbr_thread_online(q, SL_RCU_BRIDGE_ID);
	__atomic_store_n(&k->sleeping, 0, __ATOMIC_RELAXED);
	if (n <= 0)
		return n;
	/* A port has packets: wake the workers now, so that their wake-up
	 * overlaps our reading (they spin a moment once awake). */
	if (n > 1 || !(waitset.fds[0].revents & POLLIN))
		wake_workers(sl_p.shm);
	if (waitset.fds[0].revents & POLLIN)
		while (read(wake_fd, &v, sizeof(v)) == sizeof(v))
			;
	return n;
}

/*
 * Busy while packets move and for SL_BRIDGE_SPIN_US after; then blocked
 * until something arrives if every port and worker can wake it, else
 * sleeps that double up to pmd-maxsleep (at most SL_BRIDGE_SLEEP_MAX_US).
 * pmd-maxsleep=0 keeps it busy, as it does the workers.
 */
static void *
bridge_main(void *arg)
{
	struct rte_rcu_qsbr *q = sl_p.shm->qsbr;
	unsigned int next_us = SL_BRIDGE_SLEEP_MIN_US, n_ports, futile = 0;
	uint64_t deadline, spin = rte_get_tsc_hz() / 1000000 * SL_BRIDGE_SPIN_US;
	uint64_t last_work = rte_rdtsc();

	(void)arg;
	/* The default 50 us of timer slack would stretch a 10 us sleep sixfold. */
	prctl(PR_SET_TIMERSLACK, 5000UL);
	rte_rcu_qsbr_thread_online(q, SL_RCU_BRIDGE_ID);
	while (!__atomic_load_n(&bridge_stop, __ATOMIC_ACQUIRE)) {
		unsigned int work = bridge_pass(true, &n_ports), max_us;
		uint32_t gen;

		rte_rcu_qsbr_quiescent(q, SL_RCU_BRIDGE_ID);
		if (work != 0) {
			next_us = SL_BRIDGE_SLEEP_MIN_US;
			last_work = rte_rdtsc();
			futile = 0;
			continue;
		}
		if (n_ports == 0) {
			nap(q, SL_BRIDGE_NOPORT_SLEEP_US);
			continue;
		}
		max_us = RTE_MIN(__atomic_load_n(&sl_p.shm->idle_sleep_us, __ATOMIC_RELAXED),
				 (uint32_t)SL_BRIDGE_SLEEP_MAX_US);
		if (max_us == 0 || rte_rdtsc() - last_work < spin) {
			rte_pause();
			continue;
		}
		gen = __atomic_load_n(&sl_p.shm->ports_gen, __ATOMIC_ACQUIRE);
		if (!waitset.valid || waitset.ports_gen != gen)
			waitset_build(gen);
		/* A descriptor that stays readable with nothing to read would
		 * keep us from sleeping: after a few such wake-ups, back off by
		 * the clock until the next packet. */
		if (waitset.all && futile < SL_BRIDGE_FUTILE_MAX && workers_can_wake(sl_p.shm)) {
			if (wait_ports(q, SL_BRIDGE_WAIT_US) > 0) {
				/* Spin a little: what woke us may not be in the
				 * PMD's ring yet, and more may follow. */
				futile++;
				last_work = rte_rdtsc() - spin + spin / 8;
			}
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

/* A worker asks for the eventfd that wakes us (wake.h). */
static int
on_wake_request(const struct rte_mp_msg *msg, const void *peer)
{
	struct rte_mp_msg reply;

	memset(&reply, 0, sizeof(reply));
	snprintf(reply.name, sizeof(reply.name), "%s", msg->name);
	if (wake_fd >= 0) {
		reply.num_fds = 1;
		reply.fds[0] = wake_fd;
	}
	return rte_mp_reply(&reply, peer);
}

static void
wake_setup(void)
{
	wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (wake_fd < 0) {
		PLOG(WARNING, "eventfd: %s: the bridge thread will poll bridged ports by the clock",
		     strerror(errno));
		return;
	}
	if (rte_mp_action_register(SL_WAKE_MP_NAME, on_wake_request) < 0) {
		PLOG(WARNING, "cannot offer workers the bridge thread's wake-up (%s): it will "
			      "poll bridged ports by the clock", rte_strerror(rte_errno));
		close(wake_fd);
		wake_fd = -1;
		return;
	}
	mp_registered = true;
}

int
sl_bridge_start(void)
{
	sigset_t all, old;
	int rc;

	wake_setup();

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
	if (mp_registered)
		rte_mp_action_unregister(SL_WAKE_MP_NAME);
	mp_registered = false;
	/* wake_fd stays open: a worker still running holds a copy and may
	 * write it; the process is about to end. */
}
