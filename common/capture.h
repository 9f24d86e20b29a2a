/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet capture across processes.  sluice-primary creates the memzone
 * "sluice_capture" at start; a sluice-dump (a DPDK secondary) claims one of
 * its sessions, creates one SP/SC ring per worker slot and activates it;
 * every worker mirrors matching packets of its bursts into its own ring,
 * and sluice-dump drains the rings into a file.  Nothing here blocks a
 * worker: a full ring or an empty capture pool drops and counts.
 *
 * Ownership, per field: "D" written by the sluice-dump that owns the session
 * (or by the primary once that sluice-dump is dead), "W" written by the
 * worker of that slot, "P" written by the primary at creation.  State
 * changes are published with a store-release of state, then of gen.
 *
 * Tearing a session down follows the switch's grace-period rule: mark it
 * STOPPING, wait until every live worker has passed an RCU quiescent state
 * (so none is still inside a burst using the old ring), then drain and free
 * the rings.  A sluice-dump killed with -9 leaves its session to
 * sl_capture_reap() in the primary, which does the same.
 */
#ifndef SL_CAPTURE_H
#define SL_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "flow.h"

#define SL_CAPTURE_ZONE_NAME "sluice_capture"
#define SL_CAPTURE_MAGIC 0x736c6370u /* "slcp" */
#define SL_CAPTURE_VERSION 1u
#define SL_MAX_CAPTURES 8         /* sessions at once */
#define SL_CAPTURE_MAX_INSNS 512  /* cBPF instructions of one filter */
#define SL_CAPTURE_POOL_NAME "sl_capture_pool"
#define SL_CAPTURE_POOL_SIZE 8191 /* copies in flight, all sessions */
#define SL_CAPTURE_RING_SIZE 2048 /* per session and worker */
#define SL_CAPTURE_MAX_SNAPLEN 262144u
#define SL_CAPTURE_DYNFIELD_NAME "sluice_dynfield_capture_meta"

/* Workers keep port slots as bits of a uint32_t; iface indexes fit a byte. */
_Static_assert(SL_MAX_PORTS <= 32, "capture port bitmaps are 32 bits");

enum sl_cap_dir {
	SL_CAP_RX = 1,
	SL_CAP_TX = 2,
	SL_CAP_BOTH = 3,
};

enum sl_cap_state {
	SL_CAP_FREE = 0, /* unused, or being set up by its owner */
	SL_CAP_ACTIVE,   /* workers copy into the rings */
	SL_CAP_STOPPING, /* workers stop; rings freed after a grace period */
};

/* One classic BPF instruction, laid out as libpcap's struct bpf_insn. */
struct sl_cap_insn {
	uint16_t code;
	uint8_t jt;
	uint8_t jf;
	uint32_t k;
};

/* What a worker attaches to each copy (an mbuf dynamic field). */
struct sl_cap_meta {
	uint64_t tsc;      /* TSC when the burst was received or sent */
	uint32_t orig_len; /* pkt_len before snapping */
	uint8_t iface;     /* index into the session's ifaces[] */
	uint8_t dir;       /* SL_CAP_RX or SL_CAP_TX */
	uint16_t pad;
};

/* Counters of one session in one worker: one cache line, one writer (W). */
struct sl_cap_counters {
	uint64_t captured;   /* copied into the ring */
	uint64_t filtered;   /* rejected by the filter */
	uint64_t dropped;    /* ring full or capture pool empty */
	uint32_t load_error; /* the filter would not load in this worker */
} __rte_cache_aligned;

struct sl_cap_session {
	int32_t owner;     /* D: sluice-dump pid; CAS 0 -> pid claims the session */
	uint32_t state;    /* D, atomic: enum sl_cap_state */
	uint32_t serial;   /* D: bumped on every open, so workers reload */
	uint32_t dir;      /* D: enum sl_cap_dir */
	uint32_t snaplen;  /* D */
	uint32_t n_insns;  /* D: 0 = no filter */
	uint32_t n_ifaces; /* D */
	/* D: port names, not slots: workers resolve them whenever the port
	 * table changes, so a port added (or re-added) later is captured from
	 * its first packet. */
	char ifaces[SL_MAX_PORTS][SL_PORT_NAME_LEN];
	struct sl_cap_insn insns[SL_CAPTURE_MAX_INSNS]; /* D */
	struct rte_ring *ring[SL_MAX_WORKERS];          /* D: worker -> dump, SP/SC */
	struct sl_cap_counters cnt[SL_MAX_WORKERS];     /* W */
} __rte_cache_aligned;

struct sl_capture_zone {
	uint32_t magic;
	uint32_t version;
	uint32_t gen;              /* D, atomic release: bumped on any state change */
	uint32_t n_workers;        /* P: worker slots, one ring each */
	uint64_t tsc_hz;           /* P */
	struct rte_mempool *pool;  /* P: copies; cache 0, so lcore ids do not matter */
	struct rte_rcu_qsbr *qsbr; /* P: the switch's RCU, for grace periods */
	struct sl_cap_session s[SL_MAX_CAPTURES];
};

/* What sluice-dump asks for. */
struct sl_cap_request {
	uint32_t n_ifaces;
	const char *const *ifaces; /* port names */
	uint32_t dir;
	uint32_t snaplen;
	uint32_t n_insns;
	const struct sl_cap_insn *insns; /* NULL when n_insns is 0 */
};

/* Primary: create the zone, the capture pool and the mbuf dynamic field. */
int sl_capture_zone_create(void);

/* Primary: tear down sessions whose sluice-dump is gone; never blocks. */
void sl_capture_reap(void);

/* Secondary: the zone the primary created, or NULL (errno-style rte_errno). */
struct sl_capture_zone *sl_capture_zone_lookup(void);

/* Offset of struct sl_cap_meta in an mbuf, or a negative errno. */
int sl_capture_meta_offset(void);

/* The metadata of a capture copy, given sl_capture_meta_offset(). */
static inline struct sl_cap_meta *
sl_cap_meta(struct rte_mbuf *m, int offset)
{
	return RTE_MBUF_DYNFIELD(m, offset, struct sl_cap_meta *);
}

/*
 * Claim a free session for this process, create its rings and activate it.
 * Returns the session index or a negative errno, with a message in @err.
 */
int sl_capture_open(struct sl_capture_zone *z, const struct sl_cap_request *req, char *err,
		    size_t errlen);

/* Mark session @idx stopping; returns the RCU token to wait for. */
uint64_t sl_capture_stop(struct sl_capture_zone *z, unsigned int idx);

/* True once no worker can still be writing to a session stopped with @token. */
bool sl_capture_quiet(struct sl_capture_zone *z, uint64_t token);

/* Free what is left in the rings, the rings, and the session itself. */
void sl_capture_release(struct sl_capture_zone *z, unsigned int idx);

/* Sum session @idx's counters over every worker. */
void sl_capture_counters(const struct sl_capture_zone *z, unsigned int idx,
			 struct sl_cap_counters *sum);

struct rte_bpf;

/*
 * Convert a cBPF filter to eBPF and load it in this process (JIT included
 * where DPDK has one).  Returns NULL with a message in @err on failure.
 */
struct rte_bpf *sl_capture_bpf_load(const struct sl_cap_insn *insns, uint32_t n, char *err,
				    size_t errlen);

#endif /* SL_CAPTURE_H */
