/* SPDX-License-Identifier: BSD-3-Clause */
/* sluice-primary: process-private state shared by its modules. */
#ifndef SL_PRIMARY_H
#define SL_PRIMARY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_log.h>

#include "flow.h"
#include "ftable.h"
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
};

/* What the primary keeps with each rule of its table (the rule's ftable user area). */
struct sl_pflow {
	uint32_t id;          /* counter slot */
	uint64_t created_ms;
	uint64_t modified_ms; /* added, or last changed by mod-flows (hard_age) */
	uint64_t used_ms;     /* when its counter last moved (idle_age), see sl_flows_expire */
	uint64_t seen_packets; /* the counter then */
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

/* ports.c */
int sl_port_add(const Sluice__PortSpec *spec, char *err, size_t errlen);
int sl_port_del(const char *name, char *err, size_t errlen);
int sl_port_set(const char *name, size_t n, char **settings, char *err, size_t errlen);
int sl_port_find(const char *name);
/* Take every port down; the workers and the bridge thread have stopped. */
void sl_ports_shutdown(void);
int sl_port_resolve(void *ctx, const char *name, uint16_t *ofport);

/* workers.c */
void sl_workers_assign_rxqs(void);
void sl_workers_check(void);
void sl_workers_stop_all(void);

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
void sl_server_poll(int timeout_ms);
void sl_server_close(void);

#endif /* SL_PRIMARY_H */
