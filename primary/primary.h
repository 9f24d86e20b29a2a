/* SPDX-License-Identifier: BSD-3-Clause */
/* sluice-primary: process-private state shared by its modules. */
#ifndef SL_PRIMARY_H
#define SL_PRIMARY_H

#include <stdatomic.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_log.h>
#include <rte_mempool.h>

#include "flow.h"
#include "ftable.h"
#include "pmd.h"
#include "settings.h"
#include "shm.h"
#include "sluice.pb-c.h"
#include "verbs.h"

extern int sl_primary_logtype;
#define PLOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, sl_primary_logtype, "sluice.primary: " fmt "\n", ##__VA_ARGS__)

/* What the primary remembers of a port beyond what workers need. */
struct sl_port_priv {
	char devargs[512];
	char devname[128];
	char driver[64];
	struct sl_values cfg; /* its settings (common/settings.h) as applied */
	bool mtu_in_software; /* the PMD refused rte_eth_dev_set_mtu */
	bool bridged;         /* serviced by the primary (see ports.c) */
	bool local_only;      /* attached in the primary only (bridged vdev) */
	struct rte_mempool *pool; /* the pool its rx queues take mbufs from */
	uint32_t held;        /* mbufs the device keeps for good (infinite_rx files) */
	uint32_t held_len;    /* the longest of them */
	bool rx_csum;         /* rx checksum offload enabled */
	char kernel_if[16];   /* net_tap: its kernel interface */
	/* net_tap: a tun queue descriptor for frames longer than the PMD
	 * sends (0: none), that limit, and what went that way; the bridge
	 * loop reads and counts, atomically. */
	int tap_tx_fd;
	uint32_t tap_pmd_max;
	uint64_t tap_big_pkts, tap_big_bytes;
	/* What the workers had counted for this slot when the port came. */
	struct sl_port_wstats wstats_base;
	uint64_t tx_dropped_base;
	struct sl_rxq_affinity affinity; /* pmd-rxq-affinity, parsed from cfg */
	/* net_vhost (vhost.c, control thread only): the queues the guest has
	 * enabled, as bits (our rx queue i is the guest's tx queue i), and
	 * the queue count a restart last tried to follow them with. */
	uint64_t vhost_rxq_on, vhost_txq_on;
	uint16_t vhost_tried;
	uint32_t tx_retries_max; /* tx-retries-max; the bridge thread reads it, atomic */
};

/* Open vSwitch's frame sizes: the frame of an MTU (what a port sends at
 * most) and the largest one it may receive (two VLAN tags more), which
 * mbufs are sized for, in steps of SL_MBUF_ALIGN. */
#define SL_MTU_TO_FRAME_LEN(mtu) ((mtu) + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN)
#define SL_MTU_TO_MAX_FRAME_LEN(mtu) (SL_MTU_TO_FRAME_LEN(mtu) + 2 * RTE_VLAN_HLEN)
#define SL_MBUF_ALIGN 1024

/* What a port asks of the mbuf pools (mempools.c). */
struct sl_pool_req {
	const char *what;  /* the device, for messages */
	uint32_t buf_size; /* data room, headroom included */
	uint32_t need;     /* mbufs it may take at once */
	uint32_t held;     /* mbufs it keeps for good: a pool of its own */
};

/* What the primary keeps with each rule of its table (the rule's ftable user area). */
struct sl_pflow {
	uint32_t id;          /* counter slot */
	uint64_t created_ms;
	uint64_t modified_ms; /* added, or last changed by mod-flows (hard_age) */
	uint64_t used_ms;     /* when its counter last moved (idle_age), see sl_flows_expire */
	uint64_t seen_packets; /* the counter then */
	/* What fin_timeout shortened the timeouts to (0: not shortened); the
	 * flow itself keeps what was added, as the DB has it (sl_pflow_*_timeout). */
	uint16_t fin_idle, fin_hard;
};

struct sl_primary {
	struct sl_shm *shm;
	const char *rundir;
	uint32_t n_workers;
	void *zctx;
	void *rep_sock;
	volatile bool quit;
	uint32_t n_mbufs;
	const char *mempool_ops;
	struct sl_values options; /* switch options as applied */

	struct sl_port_priv ports[SL_MAX_PORTS];
	/* Written by the bridge thread only (relaxed: counts that order
	 * nothing); _Atomic so that every read, even a plain one, is an
	 * atomic load.  Reset by the control thread only after a grace period. */
	_Atomic uint64_t bridge_dropped[SL_MAX_PORTS];    /* bridged tx the port refused */
	_Atomic uint64_t bridge_rx_dropped[SL_MAX_PORTS]; /* bridged rx its worker could not take */
	_Atomic uint64_t bridge_tx_retries[SL_MAX_PORTS]; /* sends tried again (tx-retries-max) */

	/* The flow table: the truth the classifier snapshot is built from.
	 * Each rule's user area is a struct sl_pflow (see sl_pflow_of). */
	struct sl_ftable flows;
	uint32_t *free_ids; /* stack of counter ids not in use */
	uint32_t n_free_ids;

	/* Worker liveness, primary side. */
	uint64_t last_heartbeat[SL_MAX_WORKERS];
	uint64_t heartbeat_change_ms[SL_MAX_WORKERS];
	bool was_running[SL_MAX_WORKERS];
	uint32_t hang_ms;
	bool rebalance_on_death; /* policy: hand a dead worker's queues to others */
};

extern struct sl_primary sl_p;

/* hotplug.c */
/* Attach @devargs for port @slot: fills its devname, driver, port_id. */
int sl_dev_probe(unsigned int slot, const char *devargs, char *err, size_t errlen);
/* Close port @slot's device and detach it from every process. */
int sl_dev_remove(unsigned int slot);
/* The detach verb: @msg is OVS's answer either way. */
int sl_dev_detach(const char *devargs, char *msg, size_t msglen);

/* vdev_scan.c: the vdevs a starting secondary is told of (never a bridged one). */
int sl_vdev_scan_init(void);
void sl_vdev_scan_add(const char *name);
void sl_vdev_scan_del(const char *name);

/* tap.c */
/* Set the MTU of net_tap's kernel interface @ifname, in whatever network namespace it is. */
int sl_tap_set_mtu(const char *ifname, uint16_t mtu);
/* A descriptor of a tun queue of @ifname, to write frames to; -errno. */
int sl_tap_tx_open(const char *ifname);
/*
 * Send @n packets on net_tap port @port_id: those up to @pmd_max bytes
 * through the PMD, longer ones (which it refuses) straight to tun queue
 * @fd, counted in @big_pkts and @big_bytes.  Returns how many were taken.
 */
uint16_t sl_tap_tx_burst(uint16_t port_id, int fd, uint32_t pmd_max, struct rte_mbuf **pkts,
			 uint16_t n, uint64_t *big_pkts, uint64_t *big_bytes);
/* 1 if @ifname lives in the primary's network namespace, 0 if elsewhere, or -errno. */
int sl_tap_in_our_netns(const char *ifname);
/* 1 if @ifname is up and running, 0 if not, -errno if it cannot be found. */
int sl_tap_link_up(const char *ifname);

/* port_dev.c: the device of port @slot as its settings make it */
/*
 * Configure queues (rx from @pre if given, a pool that counts the port as
 * a user already, else one found for @mtu), set @mtu and start; the port
 * is not yet visible to workers.  On failure a pool taken for this start
 * is given back; pp->pool is the one in use.
 */
int sl_port_start(unsigned int slot, uint16_t n_rxq, uint16_t mtu, struct rte_mempool *pre,
		  char *err, size_t errlen);
void sl_port_stop(unsigned int slot);
/* The MTU on the device if it can, else in software; -errno with @err leaves it as it was. */
int sl_port_apply_mtu(unsigned int slot, uint16_t mtu, char *err, size_t errlen);
/* Whether stopping and starting the device would do harm; @why says what. */
bool sl_port_cannot_restart(const struct sl_port_priv *pp, char *why, size_t whylen);
/* Whether @mtu wants mbufs of another size than the port's pool has (a restart). */
bool sl_port_mtu_needs_new_pool(unsigned int slot, uint16_t mtu);
/* A pool for the port with @mtu and @n_rxq other than its own (NULL: its own fits). */
int sl_port_pool_for(unsigned int slot, uint16_t mtu, uint16_t n_rxq, struct rte_mempool **mp,
		     char *err, size_t errlen);
/*
 * Before attaching @devargs in @slot: a vhost-user server socket left by a
 * killed primary is removed (vhost.c).  0, or -EEXIST with @err set when the
 * path is not a socket or another port serves it.
 */
int sl_vhost_prepare(unsigned int slot, const char *devargs, char *err, size_t errlen);

/* After port @slot started: its vhost-user server socket made 0660. */
void sl_vhost_started(unsigned int slot);
/*
 * The rx (and tx) queues port @slot is started with: for net_vhost the
 * queue pairs its guest enabled (at least 1, at most what it was attached
 * with), whatever n_rxq says, as Open vSwitch does; else @n_rxq.
 */
uint16_t sl_vhost_queues(unsigned int slot, uint16_t n_rxq);
/* Housekeeping: net_vhost ports follow what their guests enable (a restart). */
void sl_vhost_tick(void);

/* Transmit what worker @worker handed to bridged port @slot (net_tap's long frames around the PMD). */
uint16_t sl_port_tx_bridged(unsigned int slot, unsigned int worker, struct rte_mbuf **pkts,
			    uint16_t n);
/* 802.3x pause frames from the three flow control settings of @cfg. */
int sl_port_apply_flow_ctrl(unsigned int slot, const struct sl_values *cfg, char *err,
			    size_t errlen);

/* port_stats.c */
/* Port @slot starts counting from now (it was just added). */
void sl_port_stats_baseline(unsigned int slot);
/* dump-ports for @slot into @ps; with @xstats, the extended statistics too. */
int sl_port_stats_fill(Sluice__PortStats *ps, unsigned int slot, bool xstats);

/* ports.c */
int sl_port_add(const Sluice__PortSpec *spec, char *err, size_t errlen);
/* Delete port @name; @msg says whether its device was detached. */
int sl_port_del(const char *name, char *msg, size_t msglen, char *err, size_t errlen);
int sl_port_set(const char *name, size_t n, char **settings, char *err, size_t errlen);
/* Restart port @slot with the settings it has (its queues follow the device's state). */
int sl_port_restart_same(unsigned int slot, char *err, size_t errlen);
int sl_port_find(const char *name);
/* Take every port down; the workers and the bridge thread have stopped. */
void sl_ports_shutdown(void);
int sl_port_resolve(void *ctx, const char *name, uint16_t *ofport);

/* mempools.c */
int sl_mempools_init(void);
/* The data room OVS gives the mbufs of a port with @mtu (dpdk_buf_size()). */
uint32_t sl_mbuf_buf_size(uint16_t mtu);
/* Mbufs a port of this shape may take from its pool at once. */
uint32_t sl_port_mbuf_need(uint16_t n_rxq, uint16_t rxd, uint16_t n_txq, uint16_t txd, bool hw_tx,
			   bool bridged);
/*
 * A pool for port @slot as @req says: @cur (the one it uses, or NULL) if
 * that still fits, else a shared one with room, else a new one, which then
 * counts @slot among its users.  -errno with @err naming the shortfall.
 */
int sl_mempool_get(unsigned int slot, const struct sl_pool_req *req, struct rte_mempool *cur,
		   struct rte_mempool **mp, char *err, size_t errlen);
/* Port @slot now needs @need mbufs of @mp. */
void sl_mempool_set_need(unsigned int slot, struct rte_mempool *mp, uint32_t need);
/* Port @slot no longer uses @mp; an unused pool is freed once all its mbufs are back. */
void sl_mempool_put(unsigned int slot, struct rte_mempool *mp);
void sl_mempools_reclaim(void);

/* eal_repair.c: what a secondary killed inside the EAL's start or cleanup
 * held of the shared memory locks, given back (common/eal_guard.h). */
int sl_eal_repair_init(void);
void sl_eal_repair_tick(uint64_t now_ms);
void sl_eal_repair_fini(void);
/* Return what lcore @lcore's caches hold (its process is gone). */
void sl_mempools_flush_lcore(unsigned int lcore);
/* True if @p is a (direct) mbuf of one of this instance's pools. */
bool sl_mempools_is_mbuf(const void *p);

/* reclaim.c: free what dead worker slot @w (lcore @lcore) held, if @dead
 * (else only count it); returns how many were freed, *lost what was not. */
uint64_t sl_reclaim_worker(unsigned int w, unsigned int lcore, bool dead, uint64_t *lost);
int sl_mempools_fill_reply(Sluice__Reply *rep);
/* "base", "shared", "own", or "" for a pool that is not ours. */
const char *sl_mempool_kind(const struct rte_mempool *mp);

/* workers.c */
void sl_workers_check(void);
void sl_workers_stop_all(void);
/* Worker slot @w has a live process (running, or handing over). */
bool sl_worker_running(unsigned int w);

/* rxq_assign.c */
/* Assign every rx queue of every active port to the workers, in two phases
 * so that no packet is lost or reordered (see rxq_assign.c). */
void sl_workers_assign_rxqs(void);
/* Auto-lb's dry run: load variance now and with a new assignment; false if
 * no other assignment is possible. */
bool sl_rxq_dry_run(uint64_t *cur_var, uint64_t *est_var);

/* flows.c */
int sl_flows_init(void);
int sl_flows_add(size_t n, char **texts, uint32_t *n_changed, char *err, size_t errlen);
int sl_flows_del(size_t n, char **texts, bool strict, uint32_t *n_changed, char *err,
		 size_t errlen);
int sl_flows_replace(size_t n, char **texts, uint32_t *n_changed, char *err, size_t errlen);
/* mod-flows: new actions for the flows each of @texts selects (or, selecting none, added). */
int sl_flows_mod(size_t n, char **texts, bool strict, uint32_t *n_changed, char *err,
		 size_t errlen);
/* Parse a selector (NULL: one that selects every flow); 0 or -errno with @err set. */
int sl_flows_selector(const char *text, struct sl_flow *sel, char *err, size_t errlen);
void sl_flows_reclaim(void);
/* conntrack.c: the connection table (common/conntrack.h); expiry from housekeeping. */
int sl_ct_init(void);
void sl_ct_expire(uint64_t now_ms);
/* show's line on the table (malloc'd into *out). */
int sl_ct_show_line(char **out);
/* packet_in.c: take the workers' packet-ins (rate limit, history); from housekeeping. */
void sl_pin_drain(uint64_t now_ms);
/* expiry.c: note rules' use and expire those whose timeouts passed (called often; cheap when there is nothing to do). */
void sl_flows_expire(uint64_t now_ms);
/* The timeouts rule @f (with @pf) has now: its own, or shorter after a fin_timeout. */
uint16_t sl_pflow_idle_timeout(const struct sl_flow *f, const struct sl_pflow *pf);
uint16_t sl_pflow_hard_timeout(const struct sl_flow *f, const struct sl_pflow *pf);
void sl_flows_wait_idle(void);
void sl_flow_counters_sum(uint32_t id, uint64_t *packets, uint64_t *bytes);
/* Delete every flow @pick chooses (one new classifier); 0 or -errno. */
int sl_flows_del_where(bool (*pick)(const struct sl_flow *f, void *ctx), void *ctx,
		       uint32_t *n_changed, char *err, size_t errlen);

/* meters.c: the meter table (common/meter.h) and OpenFlow meters */
int sl_meters_init(void);
struct sl_meter_zone *sl_meters_zone(void);
/* Bind the meter actions of @acts to their meters; -ENOENT naming one that does not exist. */
int sl_meters_bind(struct sl_actions *acts, char *err, size_t errlen);

/* groups.c: OpenFlow groups (common/group.h) */
int sl_groups_init(void);
/* Bind the group actions of @acts to their slots; -ENOENT naming a group that does not exist. */
int sl_groups_bind(struct sl_actions *acts, char *err, size_t errlen);

/* qos.c: port policers (egress-policer, ingress policing) */
/* Make port slot @slot's policers what @cfg says. */
int sl_qos_apply(unsigned int slot, const struct sl_values *cfg, char *err, size_t errlen);
/* A port added in @slot: no policer yet, drop counters from zero. */
void sl_qos_port_reset(unsigned int slot);
/* Packets port slot @slot's policers dropped: sent (egress) and received (ingress). */
void sl_qos_port_drops(unsigned int slot, uint64_t *tx, uint64_t *rx);
struct rte_mbuf;
/* Bridged ports, on the primary's rx and tx: police; returns how many of @pkts are left. */
unsigned int sl_qos_bridged_rx(unsigned int slot, struct rte_mbuf **pkts, unsigned int n);
unsigned int sl_qos_bridged_tx(unsigned int slot, struct rte_mbuf **pkts, unsigned int n);

/* What the primary keeps with rule @i of its table. */
static inline struct sl_pflow *
sl_pflow_of(uint32_t i)
{
	return sl_ftable_data(&sl_p.flows, i);
}

/* Wait for every live worker and the bridge thread to pass a quiescent
 * state (bounded for workers: a hung one is declared dead). */
void sl_rcu_synchronize(void);

/* bridge.c: the thread that services bridged ports, an RCU reader. */
/* Start it (once the shared state exists); 0 or a negative errno. */
int sl_bridge_start(void);
/* Once the workers have stopped: write out what they handed over, then end it. */
void sl_bridge_stop(void);

/* server.c */
/* A request handler: validates, applies, fills @rep; 0 or -errno with @err set. */
typedef int (*sl_handler_fn)(const Sluice__Request *req, Sluice__Reply *rep, char *err,
			     size_t errlen);
/* Handlers by request case, registered with SL_REQ_HANDLER next to their code. */
extern sl_handler_fn sl_primary_handlers[SL_CMD_SLOTS];
/* Make switch option @id (common/settings.h) take value @v in the data plane. */
void sl_option_apply(int id, uint64_t v);
int sl_server_init(void);

/* reads.c: show, dump-ports, pmd-stats-show and worker-list on a thread of
 * their own (RUNDIR/primary-ro.sock), under sl_state_lock for reading; the
 * control thread writes under it (all but flow-table requests; add-port
 * and del-port lock for publishing and forgetting only, ports.c). */
extern pthread_rwlock_t sl_state_lock;
/* The control thread's write side; sl_state_held says whether it holds it
 * (read and written by the control thread only). */
extern bool sl_state_held;
void sl_state_wrlock(void);
void sl_state_unlock(void);
int sl_reads_start(void);
void sl_reads_stop(void);
void sl_server_poll(int timeout_ms);
void sl_server_close(void);

/* Grow a repeated field of a reply by one malloc'd message; NULL on ENOMEM. */
#define REPLY_APPEND(rep, field, n_field, type, init)                                  \
	({                                                                           \
		type *m_ = malloc(sizeof(type));                                     \
		type **arr_ = realloc((rep)->field, sizeof(type *) * ((rep)->n_field + 1)); \
		if (m_ != NULL && arr_ != NULL) {                                    \
			*m_ = (type)init;                                            \
			(rep)->field = arr_;                                         \
			arr_[(rep)->n_field++] = m_;                                 \
		} else {                                                             \
			free(m_);                                                    \
			if (arr_ != NULL)                                            \
				(rep)->field = arr_;                                 \
			m_ = NULL;                                                   \
		}                                                                    \
		m_;                                                                  \
	})

#include "polling.h"

#endif /* SL_PRIMARY_H */
