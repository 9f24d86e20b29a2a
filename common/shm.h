/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shared-memory switch state: one memzone created by sluice-primary and
 * looked up by every secondary.  Hugepage memory is mapped at the same
 * address in every DPDK process of one --file-prefix, so pointers to
 * rte_malloc'd or memzone memory stored here are valid everywhere; pointers
 * to process-private memory, function pointers and file descriptors are not
 * and never appear here.
 *
 * Ownership rule for every field: "P" written by the primary only, "W"
 * written by the owning worker only; anything read by another process while
 * being written is accessed with __atomic_* and the memory order named.
 */
#ifndef SL_SHM_H
#define SL_SHM_H

#include <stdint.h>

#include <rte_common.h>
#include <rte_rcu_qsbr.h>
#include <rte_spinlock.h>

#include "flow.h"
#include "inflight.h"
#include "pmd.h"
#include "slots.h"
#include "wake.h"

#define SL_SHM_NAME "sluice_state"
#define SL_SHM_MAGIC 0x736c7563u /* "sluc" */
#define SL_LAYOUT_VERSION 15u /* 10: ct_* fields in the pipeline metadata, the conntrack zone; 11: worker wake state; 12: mac_gen on its own line, mf_hits; 13: fin_timeout rings; 14: packet-in rings; 15: ofport_to_slot for every uint16_t (LOCAL) */

#define SL_MAX_FLOWS ((1u << 20) + (1u << 16)) /* flow ids (per-worker counters): 1M rules and headroom */
#define SL_MAC_TABLE_SIZE (1u << 16)
#define SL_BURST 32
_Static_assert(SL_BURST == SL_INF_BURST_MAX, "the rx burst lives in struct sl_inflight");
#define SL_BRIDGE_RING_SIZE 4096

enum sl_port_state {
	SL_PORT_FREE = 0,
	SL_PORT_ACTIVE,   /* published: workers poll and transmit */
	SL_PORT_RETIRING, /* unpublished, waiting for a grace period */
};

/*
 * One port.  Published (state ACTIVE, store-release) only after the primary
 * has configured and started the device; workers load-acquire state.
 */
struct sl_port {
	uint32_t state;            /* P, atomic */
	uint32_t gen;              /* P: bumped on every (re)publication */
	char name[SL_PORT_NAME_LEN]; /* P */
	uint16_t ofport;           /* P */
	uint16_t port_id;          /* P: DPDK port id */
	uint16_t n_rxq;            /* P */
	uint16_t n_txq;            /* P */
	uint16_t mtu;              /* P: enforced in software where the PMD cannot */
	uint8_t bridged;           /* P: serviced by the primary through rings */
	uint8_t tx_shared;         /* P: workers share tx queues under txq_lock */
	uint8_t link_down;         /* P, atomic: net_vhost without a guest driver
				    * (fast_failover watch ports see it) */
	uint8_t lossless;          /* P: bridged and a file: workers hold rx back
				    * rather than drop when its ring is full */
	uint8_t rx_csum;           /* P: the PMD flags rx checksums (ol_flags) */
	uint32_t max_frame;        /* P: mtu + L2 header, for software enforcement */
	/* P: the queue arrays ethdev gave the primary at start.  A secondary
	 * that probed the port before it was configured holds stale copies in
	 * its own rte_eth_fp_ops; workers refresh them from here. */
	void *fp_rxq_data;
	void *fp_txq_data;
	/* P: where the primary's burst functions sit in the PMD's shared
	 * library (offsets from its load address).  Every process loads the
	 * same library, so a worker finds the very functions the primary chose
	 * at start (e.g. net_pcap's infinite rx) in its own mapping. */
	char fp_lib[128];
	uint64_t fp_rx_off;
	uint64_t fp_tx_off;
	/* Bridged ports: primary -> worker (one per rx queue, SP/SC) and
	 * worker -> primary (one per worker slot, SP/SC). */
	struct rte_ring *bridge_rx[SL_MAX_RXQ];
	struct rte_ring *bridge_tx[SL_MAX_WORKERS];
	rte_spinlock_t txq_lock[SL_MAX_WORKERS + 1];
} __rte_cache_aligned;

enum sl_worker_state {
	SL_WORKER_FREE = 0, /* never started, or cleaned up */
	SL_WORKER_RUNNING,  /* W sets it after attaching; P clears it on death */
	SL_WORKER_DEAD,     /* P: process gone or hung; slot reclaimed */
	SL_WORKER_HANDOFF,  /* W: a planned restart; the old process let go and
			     * its replacement (takeover_pid) now claims the slot */
};

/* RCU thread ids: slot N uses N or N + SL_MAX_WORKERS, alternating across
 * planned restarts, so the replacement can register before the old one
 * leaves.  Likewise lcore ids 1 + N and 1 + N + SL_MAX_WORKERS.  The last
 * id is the primary's bridge thread, which reads ports and their rings as
 * workers do (primary/bridge.c). */
#define SL_RCU_BRIDGE_ID (2 * SL_MAX_WORKERS)
#define SL_RCU_IDS (2 * SL_MAX_WORKERS + 1)

/* Per-worker counters, one cache line per writer. */
struct sl_worker_stats {
	uint64_t rx_packets;
	uint64_t tx_packets;
	uint64_t emc_hits;
	uint64_t cls_hits;
	uint64_t misses;
	uint64_t tx_dropped;
	uint64_t busy_cycles;
	uint64_t idle_cycles;
	uint64_t mtu_dropped;
	uint64_t flood_packets;
	uint64_t masked_lookups; /* classifier subtables searched */
	uint64_t tx_batches;     /* output batches handed to a port */
	uint64_t table_misses;   /* pipeline: a resubmit or goto_table found no flow */
	uint64_t resubmit_limit; /* pipeline: packets dropped at SL_MAX_RESUBMIT deep */
	uint64_t ttl_dropped;    /* dec_ttl on a TTL of 0 or 1 */
	uint64_t pcache_hits;    /* pipelines replayed from the worker's cache */
	uint64_t mf_hits;        /* EMC misses served by the worker's megaflow cache */
} __rte_cache_aligned;

/*
 * Per worker and port: the drops Open vSwitch counts for a DPDK port (its
 * custom statistics, by the same names) and the bad checksums the PMD
 * flagged.  Readers sum over workers, less the sum when the port was added.
 */
struct sl_port_wstats {
	uint64_t tx_mtu_exceeded_drops; /* longer than the port's MTU allows */
	uint64_t tx_failure_drops;      /* the tx queue or ring took fewer */
	uint64_t tx_retries;
	uint64_t rx_ip_csum_bad;        /* RTE_MBUF_F_RX_IP_CKSUM_BAD */
	uint64_t rx_l4_csum_bad;        /* RTE_MBUF_F_RX_L4_CKSUM_BAD */
	uint64_t reserved[3];           /* one cache line */
};

struct sl_rxq_ref {
	uint16_t port;  /* port slot */
	uint16_t queue;
};

#define SL_FIN_RING 64

struct sl_worker {
	/* Written by the worker. */
	int32_t pid;                 /* W, atomic release once attached */
	uint32_t state;              /* W/P, atomic */
	uint64_t heartbeat;          /* W: loop counter, atomic relaxed */
	uint32_t seen_assign_gen;    /* W: the assignment it is polling */
	uint32_t lcore;              /* W */
	uint32_t rcu_id;             /* W: its RCU thread id (see SL_RCU_IDS) */
	int32_t takeover_pid;        /* W: a replacement waiting for the slot, atomic */
	struct sl_worker_stats stats; /* W; P resets via stats_base */
	/* Written by the primary. */
	struct sl_worker_stats stats_base __rte_cache_aligned; /* P: pmd-stats-clear */
	uint32_t assign_gen;         /* P, atomic release after rxq[] is written */
	uint16_t n_rxq;              /* P */
	struct sl_rxq_ref rxq[SL_MAX_RXQ]; /* P */
	uint64_t port_tx_dropped[SL_MAX_PORTS]; /* W: tx queue full or over MTU */
	struct sl_port_wstats port_stats[SL_MAX_PORTS]; /* W */
	uint64_t restarts;           /* P */
	uint64_t reclaimed_mbufs;    /* P: mbufs dead incarnations held, given back (reclaim.c) */
	uint64_t lost_mbufs;         /* P: mbufs dead incarnations may have held, not given back */
	/* Where it runs and how it polls (pmd-cpu-mask, pmd-rxq-affinity). */
	int32_t core;                /* P: the core it is configured for; -1: see cpu */
	uint8_t enabled;             /* P: part of the configured worker set */
	uint8_t isolated;            /* P: polls pinned rx queues only */
	int32_t cpu;                 /* W: the CPU its lcore runs on (-1: unknown) */
	/* W: its cycles in each usage interval (SL_PMD_INTERVAL_MS), a ring
	 * indexed by interval number; n_intervals (release) is stored after
	 * the entries of the interval it counts. */
	uint64_t intrvl_len[SL_PMD_INTERVALS] __rte_cache_aligned;
	uint64_t intrvl_busy[SL_PMD_INTERVALS];
	uint64_t n_intervals;
	/* W: the flow ids of rules whose fin_timeout saw a TCP FIN or RST, a
	 * ring the primary reads at its expiry scans; fin_head (release) counts
	 * the ids ever written.  More than SL_FIN_RING between two scans (100 ms)
	 * lose the oldest: those connections' next FIN or RST tells again. */
	uint32_t fin_ids[SL_FIN_RING] __rte_cache_aligned;
	uint64_t fin_head;
} __rte_cache_aligned;

/*
 * One worker's accounting of one rx queue, kept whether or not it still
 * polls the queue (a queue's history follows it from worker to worker: a
 * reader sums over the workers).  Written by that worker only.
 */
struct sl_rxq_stats {
	uint32_t port_gen;    /* W: the port incarnation (sl_port.gen) counted */
	uint32_t pad;
	uint64_t packets;     /* W */
	uint64_t cycles;      /* W: processing cycles, total */
	uint64_t intrvl[SL_PMD_INTERVALS]; /* W: per interval, by the worker's interval number */
};

/*
 * Packet-ins (the controller action): each worker has a ring of records
 * the primary drains at housekeeping (primary/packet_in.c).  The worker
 * fills record head % SL_PIN_RING, then stores head + 1 (release); the
 * primary copies records tail .. head (head loaded acquire) out and then
 * stores tail (release), which frees them.  A full ring drops the
 * packet-in and counts it (full_drops); forwarding never waits.  Records
 * hold a copy of the packet's bytes, never an mbuf: a worker that dies
 * with packet-ins queued leaves complete records (head moved only after
 * one was whole) for the primary to drain, and nothing for reclaim.c.
 */
#define SL_PIN_RING 64
#define SL_PIN_DATA_MAX 9728 /* bytes of a packet a record holds: a jumbo frame */
#define SL_PIN_USERDATA_MAX 16

/* What a packet-in says besides the packet's bytes. */
struct sl_pin_meta {
	uint32_t total_len;  /* the packet's length */
	uint16_t data_len;   /* bytes in data[]: total_len cut to max_len */
	uint16_t in_port;
	uint16_t max_len;
	uint16_t ctl_id;     /* controller(id=N) */
	uint8_t reason;      /* enum sl_pin_reason */
	uint8_t table_id;
	uint8_t userdata_len;
	uint8_t pad;
	uint32_t rule_id;
	uint64_t cookie;     /* of the rule whose action sent it */
	uint64_t metadata;   /* pipeline state at the action */
	uint32_t reg[SL_N_REGS];
	uint8_t userdata[SL_PIN_USERDATA_MAX];
};

struct sl_pin_rec {
	struct sl_pin_meta m;
	uint8_t data[SL_PIN_DATA_MAX];
} __rte_cache_aligned;

struct sl_pin_ring {
	uint64_t head;       /* W, atomic release: records ever written */
	uint64_t full_drops; /* W, atomic relaxed: packet-ins the full ring refused */
	uint64_t tail __rte_cache_aligned; /* P, atomic release: records ever drained */
	struct sl_pin_rec rec[SL_PIN_RING];
};

struct sl_flow_counter {
	uint64_t packets;
	uint64_t bytes;
};

/* One L2 learning entry, written by any worker (see mactable.c). */
struct sl_mac_entry {
	uint64_t key; /* mac | (vlan + 1) << 48; 0 = empty; atomic */
	uint64_t val; /* ofport << 32 | last-seen second; atomic */
};

struct sl_shm {
	uint32_t magic;
	uint32_t layout_version;
	int32_t primary_pid;        /* P */
	uint32_t pad0;
	uint64_t boot_id;           /* P: random per primary start */
	uint64_t primary_heartbeat; /* P, atomic relaxed */
	uint64_t tsc_hz;            /* P */
	uint32_t n_workers;         /* P: configured worker slots */
	uint32_t mac_aging_s;       /* P */
	uint32_t idle_sleep_us;     /* P: worker max sleep when idle (pmd-maxsleep) */
	uint32_t coarse_now_s;      /* P: seconds since start, atomic relaxed */
	uint32_t ports_gen;         /* P, atomic release: bumped on any port change */
	uint32_t emc_inv_prob;      /* P: option emc-insert-inv-prob */

	/* The classifier (one for good, changed in place by versions); workers load-acquire it. */
	struct sl_cls *cls;         /* P, atomic */
	uint32_t cls_gen;           /* P, atomic; bumped with every classifier version (caches) */
	/* Written by every worker that learns: a line of its own, so that
	 * learning does not make the workers' per-loop read of cls_gen miss. */
	uint32_t mac_gen __rte_cache_aligned; /* W and P, atomic: bumped when mac_table gains, moves or loses an entry */

	struct rte_mempool *pktmbuf_pool __rte_cache_aligned; /* P */
	struct rte_rcu_qsbr *qsbr;        /* P creates; W and P's bridge thread quiesce */
	struct sl_flow_counter *flow_counters; /* [SL_MAX_WORKERS][SL_MAX_FLOWS] */
	struct sl_rxq_stats *rxq_stats; /* [SL_MAX_WORKERS][SL_MAX_PORTS][SL_MAX_RXQ], W */
	struct sl_inflight *inflight;   /* [SL_MAX_WORKERS]: W; P once the worker is dead */
	struct sl_pin_ring *pin;        /* [SL_MAX_WORKERS]: packet-in rings (head W, tail P) */

	/* P; 0xff = none.  Every uint16_t: LOCAL (0xfffe) and whatever a
	 * packet's in_port was loaded with index it without a check. */
	uint8_t ofport_to_slot[UINT16_MAX + 1];

	struct sl_port ports[SL_MAX_PORTS];
	struct sl_worker workers[SL_MAX_WORKERS];
	struct sl_mac_entry mac_table[SL_MAC_TABLE_SIZE]; /* written by workers */

	/* Idle wake-ups (wake.h): worker w sleeps on worker_wake[w] (W sets
	 * sleeping and can_wake, P's bridge thread wakes); the bridge thread
	 * sleeps on bridge_wake.sleeping (P sets, a worker clears and writes
	 * the eventfd). */
	struct sl_wake worker_wake[SL_MAX_WORKERS];
	struct sl_wake bridge_wake;
};

#define SL_NO_SLOT 0xff

static inline struct sl_flow_counter *
sl_flow_counter(struct sl_shm *shm, unsigned int worker, uint32_t flow_id)
{
	return &shm->flow_counters[(size_t)worker * SL_MAX_FLOWS + flow_id];
}

/* Worker @worker's accounting of rx queue @queue of the port in slot @port. */
static inline struct sl_rxq_stats *
sl_rxq_stats(struct sl_shm *shm, unsigned int worker, unsigned int port, unsigned int queue)
{
	return &shm->rxq_stats[((size_t)worker * SL_MAX_PORTS + port) * SL_MAX_RXQ + queue];
}

#endif /* SL_SHM_H */
