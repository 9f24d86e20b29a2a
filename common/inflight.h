/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a worker holds, kept where the primary can read it after the worker
 * died (kill -9, a crash): one record per worker slot in shared memory.
 * The worker's rx burst array and its per-port tx buffers ARE these arrays
 * (the PMD writes its burst straight into rx[], tx buffers are appended in
 * place), so keeping them costs the stores the worker did anyway, plus a
 * few per burst and two per packet (cur, rx_done) to say which entries it
 * still owns.  primary/reclaim.c frees what the record proves was the dead
 * worker's, once its pid is certainly gone, and counts what it cannot
 * prove as lost rather than risk a double free.
 *
 * Ownership, at any instant (W: written by the worker of the slot only;
 * the primary reads it only after that process is dead, then resets it):
 *   - tx[s][0 .. tx_n[s]) for every port slot s, except the slot being
 *     flushed (flush = s + 1), whose buffer is resolved by how far the
 *     hand-off went (reclaim.c);
 *   - in phase SL_INF_BURST: rx[rx_done .. rx_n), and cur;
 *   - copy, in any phase (a copy for a multi-output action, from its
 *     allocation until it is in a tx buffer or freed);
 *   - in phase SL_INF_RX (inside the rx call on rx_slot/rx_queue): the
 *     non-NULL entries of rx[] if the device allocates (or the bridge ring
 *     committed) them, see reclaim.c: the worker NULLs rx[] before the call;
 *   - cap[0 .. cap_n) while cap_ring != NULL (capture copies being made),
 *     less what the capture ring's producer tail says was enqueued.
 * One mbuf may be claimed twice (a packet appended to a tx buffer while
 * still cur, or still in rx[] at rx_done - 1 .. while being taken): the
 * primary frees the union, each mbuf once.  What the worker hands to
 * anyone else (a device, a ring, the pool) it first stops claiming, except
 * where the hand-off itself can be read back (ring tails, see reclaim.c).
 *
 * The order of the stores is what makes this exact; the compiler must not
 * reorder them, the CPU need not be told: stores of a killed process all
 * reach memory before its death is observable.
 */
#ifndef SL_INFLIGHT_H
#define SL_INFLIGHT_H

#include <stdint.h>

#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "flow.h"

#define SL_TXBUF 64      /* tx buffer of one port, in packets */
#define SL_INF_BURST_MAX 32 /* = SL_BURST (shm.h) */
#define SL_CAP_CHUNK 32  /* capture copies made at once */

enum sl_inf_phase {
	SL_INF_IDLE = 0, /* between bursts: only tx buffers */
	SL_INF_RX,       /* inside the rx call of rx_slot / rx_queue */
	SL_INF_BURST,    /* working on rx[rx_done .. rx_n) and cur */
};

struct sl_inflight {
	uint32_t phase;          /* W: enum sl_inf_phase */
	uint16_t rx_slot;        /* W: port slot of the rx call */
	uint16_t rx_queue;       /* W */
	uint16_t rx_n;           /* W: entries the rx call returned */
	uint16_t rx_done;        /* W: rx[0 .. rx_done) are no longer ours */
	uint16_t flush;          /* W: port slot + 1 whose buffer is being handed over */
	uint16_t cap_n;          /* W: capture copies in cap[] */
	uint32_t flush_tail;     /* W: the bridge ring's prod.tail before the hand-over */
	uint32_t flush_len0;     /* W: device hand-over: flush_pool's cache length (our lcore) before it */
	struct rte_mempool *flush_pool; /* W: the pool of the buffer's first packet */
	uint32_t cap_tail;       /* W: the capture ring's prod.tail before the enqueue */
	struct rte_ring *cap_ring; /* W: non-NULL while cap[] holds copies */
	struct rte_mbuf *cur;    /* W: the packet the actions work on */
	struct rte_mbuf *copy;   /* W: a copy of it being made, until it is handed on */
	struct rte_mempool *copy_pool; /* W: set while the copy's allocation runs */
	uint32_t copy_len0;      /* W: that pool's cache length (our lcore) before it */
	struct rte_mbuf *rx[SL_INF_BURST_MAX] __rte_cache_aligned; /* W (and the PMD) */
	struct rte_mbuf *cap[SL_CAP_CHUNK];                        /* W */
	uint16_t tx_n[SL_MAX_PORTS] __rte_cache_aligned;           /* W */
	struct rte_mbuf *tx[SL_MAX_PORTS][SL_TXBUF];               /* W */
} __rte_cache_aligned;

/* Orders the worker's stores to its record as written (no instruction). */
#define sl_inf_order() __atomic_signal_fence(__ATOMIC_SEQ_CST)

/* Before an rx call into rx[]: nothing of rx[] is ours until it returns. */
static inline void
sl_inf_rx_begin(struct sl_inflight *f, uint16_t slot, uint16_t queue)
{
	f->rx_n = 0;
	f->rx_slot = slot;
	f->rx_queue = queue;
	for (unsigned int i = 0; i < SL_INF_BURST_MAX; i++)
		f->rx[i] = NULL;
	sl_inf_order();
	f->phase = SL_INF_RX;
	sl_inf_order();
}

/* The rx call returned @n packets: they are ours. */
static inline void
sl_inf_rx_end(struct sl_inflight *f, uint16_t n)
{
	sl_inf_order();
	f->rx_n = n;
	f->rx_done = 0;
	f->cur = NULL;
	sl_inf_order();
	f->phase = n ? SL_INF_BURST : SL_INF_IDLE;
	sl_inf_order();
}

/* Packet @i of the burst (@m) goes to the actions: cur claims it from now. */
static inline void
sl_inf_take(struct sl_inflight *f, uint16_t i, struct rte_mbuf *m)
{
	f->cur = m;
	sl_inf_order();
	f->rx_done = i + 1;
	sl_inf_order();
}

/* @m is handed on (appended to a tx buffer before, or about to be freed). */
static inline void
sl_inf_release(struct sl_inflight *f, const struct rte_mbuf *m)
{
	sl_inf_order();
	if (f->cur == m)
		f->cur = NULL;
	else if (f->copy == m)
		f->copy = NULL;
	sl_inf_order();
}

/* The burst is done: nothing of rx[] is ours. */
static inline void
sl_inf_burst_end(struct sl_inflight *f)
{
	sl_inf_order();
	f->phase = SL_INF_IDLE;
	f->cur = NULL;
	f->rx_n = 0;
	sl_inf_order();
}

/* Slot @slot's buffer is about to be handed over (@ring: bridged, else NULL). */
static inline void
sl_inf_flush_begin(struct sl_inflight *f, uint16_t slot, const struct rte_ring *ring)
{
	if (ring != NULL) {
		f->flush_tail = __atomic_load_n(&ring->prod.tail, __ATOMIC_RELAXED);
	} else {
		/* A device that frees what it sends (net_null) puts it in this
		 * cache: its length before says how many went (reclaim.c). */
		struct rte_mempool *mp = f->tx[slot][0]->pool;
		struct rte_mempool_cache *c = rte_mempool_default_cache(mp, rte_lcore_id());

		f->flush_pool = mp;
		f->flush_len0 = c != NULL ? c->len : UINT32_MAX;
	}
	sl_inf_order();
	f->flush = slot + 1;
	sl_inf_order();
}

/* The hand-over returned: the buffer is empty (the unsent are ours to free). */
static inline void
sl_inf_flush_end(struct sl_inflight *f, uint16_t slot)
{
	sl_inf_order();
	f->tx_n[slot] = 0;
	sl_inf_order();
	f->flush = 0;
	sl_inf_order();
}

#endif /* SL_INFLIGHT_H */
