/* SPDX-License-Identifier: BSD-3-Clause */
/* sluice-worker: one forwarding process, private state. */
#ifndef SL_WORKER_H
#define SL_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_log.h>
#include <rte_mbuf.h>

#include "classifier.h"
#include "emc.h"
#include "inflight.h"
#include "megaflow.h"
#include "shm.h"

struct sl_meter;
struct sl_meter_zone;
struct sl_meter_counters;

extern int sl_worker_logtype;
#define WLOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, sl_worker_logtype, "sluice.worker: " fmt "\n", ##__VA_ARGS__)

/*
 * pipeline.c's exact-match cache of whole pipelines: for a packet's key
 * as received, the rules every later lookup of its pipeline found (NULL:
 * a miss), valid for one classifier generation.  Two ways.
 */
#define SL_PCACHE_ENTRIES (1u << 13)
#define SL_PCACHE_LOOKUPS 8 /* a longer pipeline is not cached */
#define SL_PCACHE_DP 6      /* packet actions of a compiled pipeline */

struct sl_pcache_entry {
	struct sl_flow_key key;
	uint32_t gen;  /* classifier generation it was recorded under */
	uint8_t valid;
	uint8_t n;     /* lookups recorded */
	uint8_t dp_ok; /* dp[] is what the whole pipeline does to the packet */
	uint8_t n_dp;
	const struct sl_cls_rule *r[SL_PCACHE_LOOKUPS];
	/* The pipeline compiled: only what touches the packet (field writes
	 * with their final values, dec_ttl, VLAN changes, outputs with their
	 * ports resolved), in order; registers and lookups are gone. */
	struct sl_action dp[SL_PCACHE_DP];
	/* dp[] compiled further, for every key the entry serves (its checksum
	 * deltas summed per packet): valid iff xa.flags has SL_XA_VALID. */
	struct sl_xact xa;
};

/* The worker's copy of a port, refreshed when ports_gen changes. */
struct sl_wport {
	bool active;
	bool bridged;
	bool shared;     /* tx queue shared with other processes: lock */
	uint16_t port_id;
	uint16_t ofport;
	uint16_t txq;
	uint32_t max_frame;
	uint8_t bond;    /* enum sl_bond_role (common/bond.h) */
	struct rte_ring *tx_ring; /* bridged: to the primary */
	rte_spinlock_t *lock;
	struct rte_mbuf **buf; /* its tx buffer: inf->tx[slot], counted by inf->tx_n[slot] */
};

/* A worker's private counts for one rx queue (see rxq_acct.h). */
struct sl_wrxq_acct {
	uint64_t cycles;  /* processing cycles */
	uint64_t packets;
	uint64_t mark;    /* cycles at the start of the current interval */
};

struct sl_wrxq {
	struct sl_wrxq_acct *acct;
	uint16_t slot;
	uint16_t queue;
	uint16_t port_id;
	uint16_t ofport;
	bool csum;             /* the PMD flags checksums */
	struct rte_ring *ring; /* bridged: from the primary */
};

struct sl_wctx {
	unsigned int id;
	uint32_t rcu_id;
	struct sl_shm *shm;
	struct sl_worker *me;
	struct sl_inflight *inf; /* what it holds, in shared memory (inflight.h) */
	struct sl_worker_stats st; /* private, copied out once per loop */
	struct sl_flow_counter *counters;
	uint64_t port_tx_dropped[SL_MAX_PORTS];
	struct sl_port_wstats port_stats[SL_MAX_PORTS];

	uint32_t ports_gen;
	struct sl_wport ports[SL_MAX_PORTS];
	uint16_t flood[SL_MAX_PORTS]; /* active port slots */
	uint16_t n_flood;
	struct rte_ring *lossless[SL_MAX_PORTS]; /* our tx rings to lossless ports */
	uint16_t n_lossless;

	uint32_t assign_gen;
	uint16_t n_rxq;
	struct sl_wrxq rxq[SL_MAX_RXQ];

	const struct sl_cls *cls;
	uint32_t cls_gen;
	uint32_t now_s;
	uint32_t aging_s;

	uint32_t emc_inv_prob;
	struct sl_emc emc __attribute__((aligned(64))); /* each entry two whole cache lines */
	bool emc_off;          /* its hit rate is too low to pay (forward.c) */
	uint32_t emc_rng;   /* while off: the random state that picks lookups to try */
	uint32_t emc_win_tries; /* this window: lookups tried, and hits */
	uint32_t emc_win_hits;
	struct sl_pcache_entry pcache[SL_PCACHE_ENTRIES];
	/* Megaflow cache (common/megaflow.h); a pipeline's record per entry
	 * (pipeline.c), valid while the entry is and says SL_MF_PIPE. */
	struct sl_mf mf;
	struct sl_pcache_entry mfrec[SL_MF_ENTRIES];

	/* Capture (capture.c): port slots with an rx / tx capture on them,
	 * tested once per burst; the rest is private to capture.c. */
	uint32_t cap_rx_ports;
	uint32_t cap_tx_ports;
	uint32_t cap_gen;
	uint32_t cap_ports_gen;      /* ports_gen the port names were resolved at */
	const uint32_t *cap_gen_ptr; /* the capture zone's gen */
	struct sl_wcap *cap;

	/* Rate limiting (meters.c): the meter table, this worker's counter
	 * row, and per port slot the policer in force on a direct port. */
	struct sl_meter_zone *mz;
	struct sl_meter_counters *mcnt;
	uint32_t mz_gen;
	uint32_t mz_ports_gen;
	struct sl_meter *egress[SL_MAX_PORTS];
	struct sl_meter *ingress[SL_MAX_PORTS];
	/* Rx queue accounting (rxq_acct.c): every queue of every port slot,
	 * polled now or not, and the usage interval in progress. */
	struct sl_wrxq_acct rxq_acct[SL_MAX_PORTS][SL_MAX_RXQ];
	uint32_t rxq_port_gen[SL_MAX_PORTS]; /* port incarnation the counts are of */
	uint64_t intrvl_start;               /* TSC */
	uint64_t intrvl_next;                /* TSC the interval ends at */
	uint64_t intrvl_busy_mark;           /* st.busy_cycles at its start */
	uint64_t loop_tsc;                   /* the loop's last time: a poll round starts there */

	struct sl_group_zone *gz; /* OpenFlow groups (groups.c) */
	struct sl_bond_zone *bz;  /* bonds (bond.c) */
	struct sl_ct_zone *ct;    /* connection tracking (conntrack.c) */
};

/* forward.c */
void sl_fwd_refresh_ports(struct sl_wctx *w);
void sl_fwd_refresh_rxqs(struct sl_wctx *w);
unsigned int sl_fwd_poll(struct sl_wctx *w);
void sl_fwd_flush_all(struct sl_wctx *w);

/* The plain engine's steps, for the pipeline (pipeline.c); @last: give @m away, else send a copy. */
void sl_fwd_emit(struct sl_wctx *w, uint16_t ofport, struct rte_mbuf *m, bool last);
void sl_fwd_normal(struct sl_wctx *w, const struct sl_flow_key *key, struct rte_mbuf *m, bool last);
void sl_fwd_flood(struct sl_wctx *w, uint16_t in_port, struct rte_mbuf *m, bool last);
/* group:N from a pipeline (its buckets' actions run as in one table). */
void sl_fwd_group(struct sl_wctx *w, uint16_t slot, struct sl_flow_key *key, struct rte_mbuf *m,
		  bool last);
void sl_fwd_vlan_set(struct rte_mbuf *m, struct sl_flow_key *key, uint16_t bits, uint16_t mask);
void sl_fwd_vlan_strip(struct rte_mbuf *m, struct sl_flow_key *key);
void sl_fwd_vlan_push(struct rte_mbuf *m, struct sl_flow_key *key, uint16_t tpid);

/* pipeline.c: run rule @r (SL_RULE_PIPELINE) of table 0 on @m, which it
 * takes; @hash is sl_flow_key_hash(@key); @mfref the megaflow entry @r
 * came from (sl_mf_ref), or SL_MF_NONE_REF. */
void sl_pipe_run(struct sl_wctx *w, const struct sl_cls_rule *r, const struct sl_flow_key *key,
		 uint32_t hash, uint64_t mfref, struct rte_mbuf *m);

#endif /* SL_WORKER_H */
