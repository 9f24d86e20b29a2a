/* SPDX-License-Identifier: BSD-3-Clause */
/* sluice-primary: process-private state shared by its modules. */
#ifndef SL_PRIMARY_H
#define SL_PRIMARY_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_log.h>

#include "flow.h"
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
	struct sl_rxq_affinity affinity; /* pmd-rxq-affinity, parsed from cfg */
};

/* One flow as the primary keeps it (the classifier gets a copy). */
struct sl_pflow {
	struct sl_flow flow;
	uint32_t id;          /* counter slot */
	uint64_t created_ms;
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
	uint64_t bridge_dropped[SL_MAX_PORTS]; /* bridged tx the port refused */
	uint64_t bridge_rx_dropped[SL_MAX_PORTS]; /* bridged rx its worker could not take */

	/* The flow table: the truth the classifier snapshot is built from. */
	struct sl_pflow *flows;
	uint32_t n_flows, cap_flows;
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
void sl_ports_service_bridged(unsigned int *work);
void sl_ports_shutdown(void);
int sl_port_resolve(void *ctx, const char *name, uint16_t *ofport);

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
void sl_flows_reclaim(void);
void sl_flows_wait_idle(void);
void sl_flow_counters_sum(uint32_t id, uint64_t *packets, uint64_t *bytes);

/* Wait for every live worker to pass a quiescent state (bounded). */
void sl_rcu_synchronize(void);

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
