/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Giving back what a dead worker held.  The worker keeps its rx burst, its
 * tx buffers and the capture copies it is making in its in-flight record
 * in shared memory (common/inflight.h says who owns what at each step);
 * once its process is certainly gone, the primary reads that record and
 * frees every mbuf the record proves was the worker's, each exactly once.
 *
 * Why nothing is freed twice.  An mbuf is freed here only if, at the
 * instant of death, the worker held it and nobody else did:
 *   - tx[s][0 .. tx_n[s]) of a port that was not being flushed: appended
 *     by the worker (entry stored before the count), handed on only by a
 *     flush, which marks the slot first (flush = s + 1);
 *   - the buffer being flushed to a bridge ring: that ring has one
 *     producer, this worker, so its prod.tail moved from flush_tail by
 *     exactly what was enqueued; a head ahead of the tail is an enqueue cut
 *     short, rolled back by reap_worker (workers.c): none of it was
 *     enqueued; the rest of the buffer is the worker's;
 *   - the buffer being flushed to net_null: that device frees what it is
 *     given, in order, one by one, into the calling lcore's mempool cache;
 *     the dead lcore's cache is frozen, and the worker noted its length
 *     before the call: from that length, the flush threshold and the
 *     objects on top, exactly how many packets went is known, a flush of
 *     the cache to the pool mid-burst included (the packets before it are
 *     in the pool, not the cache).  The packets after them are the
 *     worker's (claim_unfreed, which also mends the one slot DPDK leaves
 *     stale in the middle of a put).  Any other
 *     device may keep or pass on what it was given: nothing of that buffer
 *     is freed, it is counted lost;
 *   - in the rx call: rx[] was NULLed before it.  A bridge ring (one
 *     consumer, this worker) hands its entries over at its cons.tail store:
 *     head ahead of tail means not handed over (rolled back); otherwise the
 *     non-NULL entries were.  net_null allocates the whole burst into rx[]
 *     and touches no one else's mbufs: the non-NULL entries are the
 *     worker's, and so are the objects its cache get had taken but not yet
 *     copied out (claim_cut_get).  Other devices: counted lost;
 *   - after the rx call: rx[rx_done .. rx_n) and cur (inflight.h: an
 *     action lets go of cur before it frees the packet or after it is in
 *     a tx buffer), and likewise copy, a copy from its allocation on;
 *   - capture copies cap[0 .. cap_n) while cap_ring is set, less what the
 *     capture ring (one producer, this worker) shows was enqueued.
 * Claims overlap (a packet both cur and in a tx buffer): the union is
 * freed, each pointer once.  Every pointer is checked to be an mbuf of one
 * of our pools before it is touched.
 *
 * What stays lost (counted in lost_mbufs, never freed): packets inside a
 * device call other than the above, a packet inside rte_pktmbuf_free or a
 * copy inside an allocation that refilled the cache (or inside
 * rte_pktmbuf_copy, for a chained packet) at the instant of death, and
 * packets a
 * policer was dropping.  DPDK's own mempool cache code has a window of a
 * few instructions (its length is stored before the objects) where a
 * cache is not consistent; the cache flush in reap_worker has it as
 * before, nothing here widens it.
 */
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "capture.h"
#include "primary.h"

#define SL_HELD_MAX (SL_INF_BURST_MAX + 1 + SL_CAP_CHUNK + SL_MAX_PORTS * SL_TXBUF)

struct held {
	unsigned int lcore;
	unsigned int n;
	uint64_t lost;
	struct rte_mbuf *m[SL_HELD_MAX];
};

static void
claim(struct held *h, struct rte_mbuf *m)
{
	if (m != NULL && h->n < SL_HELD_MAX)
		h->m[h->n++] = m;
}

static void
claim_all(struct held *h, struct rte_mbuf *const *m, unsigned int from, unsigned int to)
{
	for (unsigned int i = from; i < to; i++)
		claim(h, m[i]);
}

static unsigned int
non_null(struct rte_mbuf *const *m, unsigned int n)
{
	unsigned int k = 0;

	for (unsigned int i = 0; i < n; i++)
		k += m[i] != NULL;
	return k;
}

static bool
driver_is(uint16_t port_id, const char *name)
{
	struct rte_eth_dev_info info;

	return rte_eth_dev_info_get(port_id, &info) == 0 && info.driver_name != NULL &&
	       strcmp(info.driver_name, name) == 0;
}

/* An SP/SC ring end left mid-operation by a dead process: is head ahead of tail? */
static bool
cut_short(const struct rte_ring_headtail *ht)
{
	return ht->head != ht->tail;
}

/* Do objs[at .. at + n) hold @buf's packets @idx[from .. from + n), in order? */
static bool
holds(void *const *objs, unsigned int at, struct rte_mbuf *const *buf, const unsigned int *idx,
      unsigned int from, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (objs[at + i] != (void *)buf[idx[from + i]])
			return false;
	return true;
}

/*
 * How many of the @m packets (@idx into @buf) a put one by one into cache
 * @c took, had it been @len0 long before the first: -1 if the cache does
 * not show either way it can be after such puts.  DPDK's put, for one
 * object: when the length has reached the flush threshold T, it empties
 * the cache into the pool first and restarts at length 1; it stores the
 * new length before the object, so the top slot may be stale (then that
 * put counts as not done, and the slot is dropped: *stale).
 */
static int
puts_done(const struct rte_mempool_cache *c, unsigned int len0, struct rte_mbuf *const *buf,
	  const unsigned int *idx, unsigned int m, bool *stale)
{
	unsigned int len = c->len, t = c->flushthresh, found = 0;
	int k = -1;

	*stale = false;
	/* No flush: objs[len0 ..] are the first packets, in order. */
	if (len >= len0 && len - len0 <= m) {
		unsigned int n = len - len0;

		if (n == 0) {
			k = 0;
			found++;
		} else if (holds(c->objs, len0, buf, idx, 0, n - 1)) {
			*stale = c->objs[len - 1] != (void *)buf[idx[n - 1]];
			k = (int)n - *stale;
			found++;
		}
	}
	/* The put of packet t - len0 flushed: objs[0 ..] are the packets from it on. */
	if (len0 <= t && len >= 1 && t - len0 + len <= m) {
		unsigned int j = t - len0, n = j + len;

		if (holds(c->objs, 0, buf, idx, j, len - 1)) {
			bool st = c->objs[len - 1] != (void *)buf[idx[n - 1]];

			*stale = st;
			k = (int)n - st;
			found++;
		}
	}
	return found == 1 ? k : -1;
}

/*
 * net_null frees what it is given one by one, in order, into the calling
 * lcore's cache of each mbuf's pool.  Claims what of @buf it had not freed
 * when the worker died; returns how many it could not tell (lost).  The
 * worker noted the cache's length before the call for the pool of the
 * first packet (flush_pool, flush_len0); packets of any other pool are
 * counted lost.
 */
static uint64_t
claim_unfreed(struct held *h, const struct sl_inflight *f, struct rte_mbuf *const *buf,
	      unsigned int n)
{
	struct rte_mempool *mp = f->flush_pool;
	struct rte_mempool_cache *c;
	unsigned int idx[SL_TXBUF], m = 0;
	bool stale;
	int k;

	for (unsigned int i = 0; i < n; i++)
		if (buf[i] != NULL && sl_mempools_is_mbuf(buf[i]) && buf[i]->pool == mp)
			idx[m++] = i;
	c = mp != NULL ? rte_mempool_default_cache(mp, h->lcore) : NULL;
	if (c == NULL || f->flush_len0 > RTE_DIM(c->objs) || c->len > RTE_DIM(c->objs))
		return n;
	k = puts_done(c, f->flush_len0, buf, idx, m, &stale);
	if (k < 0)
		return n;
	if (stale)
		c->len--; /* the dead lcore's cache is ours to mend: its flush must not free it */
	for (unsigned int i = (unsigned int)k; i < m; i++)
		claim(h, buf[idx[i]]);
	return n - m;
}

/* The buffer of slot @s was being handed to its port. */
static void
resolve_flush(struct held *h, unsigned int w, const struct sl_inflight *f, unsigned int s)
{
	const struct sl_port *p = &sl_p.shm->ports[s];
	unsigned int n = RTE_MIN(f->tx_n[s], (uint16_t)SL_TXBUF), took;

	if (n == 0)
		return;
	if (p->state == SL_PORT_FREE) {
		h->lost += n;
		return;
	}
	if (p->bridged && p->bridge_tx[w] != NULL) {
		const struct rte_ring *r = p->bridge_tx[w];

		took = cut_short(&r->prod) ? 0 : r->prod.tail - f->flush_tail;
		if (took > n) {
			h->lost += n; /* not what an enqueue of this buffer does */
			return;
		}
	} else if (driver_is(p->port_id, "net_null")) {
		h->lost += claim_unfreed(h, f, f->tx[s], n);
		return;
	} else {
		h->lost += n;
		return;
	}
	claim_all(h, f->tx[s], took, n);
}

/*
 * net_null's rx call takes its whole burst from the calling lcore's cache
 * in one get, which lowers the cache's length first and then copies the
 * objects out from the top down: rx[i] = objs[len + n - 1 - i].  Died in
 * that copy (0 < got < n, and what was copied matches those slots), the
 * objects not copied yet, objs[len .. len + n - got), are out of the cache
 * and nobody's but the worker's.  Claims them; returns how many.
 */
static unsigned int
claim_cut_get(struct held *h, struct rte_mbuf *const *rx, unsigned int got, unsigned int n)
{
	struct rte_mempool *mp = rx[0] != NULL ? rx[0]->pool : NULL;
	struct rte_mempool_cache *c = mp != NULL ? rte_mempool_default_cache(mp, h->lcore) : NULL;
	unsigned int len;

	if (c == NULL || got == 0 || got >= n)
		return 0;
	len = c->len;
	if (len + n > RTE_DIM(c->objs))
		return 0;
	for (unsigned int i = 0; i < n; i++)
		if ((i < got) != (rx[i] != NULL) ||
		    (i < got && c->objs[len + n - 1 - i] != (void *)rx[i]))
			return 0;
	for (unsigned int k = len; k < len + n - got; k++)
		claim(h, c->objs[k]);
	return n - got;
}

/*
 * Died inside the allocation of a copy (copy_pool set): the get lowers the
 * cache's length, then reads the object at the new length.  A length one
 * below what it was before means the object was taken: it is the worker's
 * (claimed; if the store of it was done too, copy claims it as well, and
 * the union is freed once).  The same length: not taken.  Anything else (a
 * refill from the pool when the cache was empty): cannot tell, counted.
 */
static void
claim_cut_alloc(struct held *h, const struct sl_inflight *f)
{
	struct rte_mempool *mp = f->copy_pool;
	struct rte_mempool_cache *c;

	if (mp == NULL)
		return;
	c = rte_mempool_default_cache(mp, h->lcore);
	if (c == NULL || f->copy_len0 == 0 || f->copy_len0 > RTE_DIM(c->objs)) {
		h->lost += f->copy == NULL;
		return;
	}
	if (c->len == f->copy_len0 - 1)
		claim(h, c->objs[c->len]);
	else if (c->len != f->copy_len0)
		h->lost += f->copy == NULL;
}

/* It died inside its rx call. */
static void
resolve_rx(struct held *h, const struct sl_inflight *f)
{
	const struct sl_port *p = &sl_p.shm->ports[f->rx_slot % SL_MAX_PORTS];
	unsigned int got = non_null(f->rx, SL_INF_BURST_MAX);

	if (got == 0)
		return;
	if (p->state == SL_PORT_FREE) {
		h->lost += got;
	} else if (p->bridged) {
		const struct rte_ring *r = p->bridge_rx[f->rx_queue % SL_MAX_RXQ];

		if (r != NULL && !cut_short(&r->cons))
			claim_all(h, f->rx, 0, SL_INF_BURST_MAX);
		/* else: rolled back by reap_worker, the entries stay in the ring */
	} else if (driver_is(p->port_id, "net_null")) {
		claim_all(h, f->rx, 0, SL_INF_BURST_MAX);
		claim_cut_get(h, f->rx, got, SL_INF_BURST_MAX);
	} else {
		h->lost += got;
	}
}

static void
resolve_capture(struct held *h, const struct sl_inflight *f)
{
	struct rte_ring *r = f->cap_ring;
	unsigned int n = RTE_MIN(f->cap_n, (uint16_t)SL_CAP_CHUNK), took;

	if (r == NULL || n == 0)
		return;
	if (cut_short(&r->prod)) {
		r->prod.head = r->prod.tail; /* the enqueue never happened */
		took = 0;
	} else {
		took = r->prod.tail - f->cap_tail;
	}
	if (took > n)
		h->lost += n;
	else
		claim_all(h, f->cap, took, n);
}

static int
cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return (x > y) - (x < y);
}

uint64_t
sl_reclaim_worker(unsigned int w, unsigned int lcore, bool dead, uint64_t *lost)
{
	struct sl_inflight *f = &sl_p.shm->inflight[w];
	static struct held h; /* big: 18 KiB */
	uint64_t freed = 0;

	memset(&h, 0, sizeof(h));
	h.lcore = lcore;
	for (unsigned int s = 0; s < SL_MAX_PORTS; s++) {
		if (f->flush == s + 1)
			resolve_flush(&h, w, f, s);
		else
			claim_all(&h, f->tx[s], 0, RTE_MIN(f->tx_n[s], (uint16_t)SL_TXBUF));
	}
	if (f->phase == SL_INF_RX) {
		resolve_rx(&h, f);
	} else if (f->phase == SL_INF_BURST) {
		claim_all(&h, f->rx, f->rx_done, RTE_MIN(f->rx_n, (uint16_t)SL_INF_BURST_MAX));
		claim(&h, f->cur);
	}
	claim(&h, f->copy);
	claim_cut_alloc(&h, f);
	resolve_capture(&h, f);

	qsort(h.m, h.n, sizeof(h.m[0]), cmp_ptr);
	for (unsigned int i = 0; i < h.n; i++) {
		struct rte_mbuf *m = h.m[i];

		if (i > 0 && m == h.m[i - 1])
			continue;
		if (!dead || !sl_mempools_is_mbuf(m)) {
			h.lost++;
			continue;
		}
		rte_pktmbuf_free(m);
		freed++;
	}
	memset(f, 0, sizeof(*f));
	*lost = h.lost;
	return freed;
}
