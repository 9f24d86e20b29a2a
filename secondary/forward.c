/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The packet path of one worker: rx burst -> parse -> exact-match cache ->
 * classifier -> actions -> per-port tx buffers -> tx burst.  No locks (but
 * on a shared tx queue), no allocation (but copies for multi-output
 * actions), no syscalls, no logging.
 */
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_memcpy.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include "bond_hooks.h"
#include "capture_hooks.h"
#include "mactable.h"
#include "group_hooks.h"
#include "meter_hooks.h"
#include "packet.h"
#include "rxq_acct.h"
#include "util.h"
#include "worker.h"

static void
adopt_burst_fns(struct rte_eth_fp_ops *fo, const struct sl_port *p)
{
	void *rx = sl_fn_resolve(p->fp_lib, p->fp_rx_off);
	void *tx = sl_fn_resolve(p->fp_lib, p->fp_tx_off);

	if (rx != NULL && tx != NULL) {
		fo->rx_pkt_burst = (eth_rx_burst_t)rx;
		fo->tx_pkt_burst = (eth_tx_burst_t)tx;
	}
}

void
sl_fwd_refresh_ports(struct sl_wctx *w)
{
	struct sl_shm *shm = w->shm;

	w->ports_gen = __atomic_load_n(&shm->ports_gen, __ATOMIC_ACQUIRE);
	w->n_flood = 0;
	w->n_lossless = 0;
	for (unsigned int s = 0; s < SL_MAX_PORTS; s++) {
		const struct sl_port *p = &shm->ports[s];
		struct sl_wport *wp = &w->ports[s];

		/* Buffers are empty here: every loop flushes before quiescing. */
		w->inf->tx_n[s] = 0;
		wp->buf = w->inf->tx[s];
		wp->active = __atomic_load_n(&p->state, __ATOMIC_ACQUIRE) == SL_PORT_ACTIVE;
		if (!wp->active)
			continue;
		wp->bond = sl_wbond_role(w, s);
		wp->bridged = p->bridged;
		wp->port_id = p->port_id;
		wp->ofport = p->ofport;
		wp->max_frame = p->max_frame;
		if (wp->bond == SL_BR_BOND) {
			w->flood[w->n_flood++] = s; /* no device: its members send */
			continue;
		}
		if (p->bridged) {
			wp->tx_ring = p->bridge_tx[w->id];
			wp->shared = false;
			if (p->lossless)
				w->lossless[w->n_lossless++] = wp->tx_ring;
		} else {
			struct rte_eth_fp_ops *fo = &rte_eth_fp_ops[p->port_id];

			/* Our copy may predate the primary's configure (hotplug),
			 * and our probe may have chosen other burst functions
			 * than the primary's start did. */
			fo->rxq.data = p->fp_rxq_data;
			fo->txq.data = p->fp_txq_data;
			adopt_burst_fns(fo, p);
			wp->txq = (w->id + 1) % p->n_txq;
			wp->shared = p->tx_shared;
			wp->lock = &((struct sl_port *)p)->txq_lock[wp->txq];
		}
		w->flood[w->n_flood++] = s;
	}
}

void
sl_fwd_refresh_rxqs(struct sl_wctx *w)
{
	struct sl_worker *me = w->me;
	struct sl_rxq_ref refs[SL_MAX_RXQ];
	uint32_t g1, g2;
	uint16_t n;

	/* Seqlock read: retry while the primary is writing (odd) or wrote under us. */
	do {
		g1 = __atomic_load_n(&me->assign_gen, __ATOMIC_ACQUIRE);
		n = __atomic_load_n(&me->n_rxq, __ATOMIC_RELAXED);
		if (n > SL_MAX_RXQ)
			n = SL_MAX_RXQ;
		memcpy(refs, me->rxq, sizeof(refs[0]) * n);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		g2 = __atomic_load_n(&me->assign_gen, __ATOMIC_RELAXED);
	} while ((g1 & 1) || g1 != g2);

	w->n_rxq = 0;
	for (uint16_t i = 0; i < n; i++) {
		const struct sl_port *p = &w->shm->ports[refs[i].port];
		struct sl_wrxq *rq = &w->rxq[w->n_rxq];

		if (!w->ports[refs[i].port].active)
			continue;
		rq->slot = refs[i].port;
		rq->queue = refs[i].queue;
		rq->port_id = p->port_id;
		rq->ofport = sl_wbond_rx_ofport(w, refs[i].port, p->ofport);
		rq->csum = p->rx_csum;
		rq->ring = p->bridged ? p->bridge_rx[refs[i].queue] : NULL;
		rq->acct = &w->rxq_acct[refs[i].port][refs[i].queue % SL_MAX_RXQ];
		w->n_rxq++;
	}
	w->assign_gen = g1;
	__atomic_store_n(&me->seen_assign_gen, g1, __ATOMIC_RELEASE);
}

static void
flush_port(struct sl_wctx *w, unsigned int slot)
{
	struct sl_wport *wp = &w->ports[slot];
	struct sl_inflight *f = w->inf;
	uint16_t n = f->tx_n[slot], sent;

	if (n == 0)
		return;
	if (unlikely(w->egress[slot] != NULL)) {
		/* The policer frees and compacts in place: unclaimed meanwhile. */
		f->tx_n[slot] = 0;
		sl_inf_order();
		n = sl_wmeter_tx(w, slot, wp->buf, n);
		sl_inf_order();
		f->tx_n[slot] = n;
	}
	sl_capture_tx(w, slot, wp->buf, n);
	sl_inf_flush_begin(f, slot, wp->bridged ? wp->tx_ring : NULL);
	if (wp->bridged) {
		sent = rte_ring_sp_enqueue_burst(wp->tx_ring, (void **)wp->buf, n, NULL);
	} else if (wp->shared) {
		rte_spinlock_lock(wp->lock);
		sent = rte_eth_tx_burst(wp->port_id, wp->txq, wp->buf, n);
		rte_spinlock_unlock(wp->lock);
	} else {
		sent = rte_eth_tx_burst(wp->port_id, wp->txq, wp->buf, n);
	}
	sl_inf_flush_end(f, slot);
	w->st.tx_packets += sent;
	w->st.tx_batches++;
	if (unlikely(sent < n)) {
		w->port_tx_dropped[slot] += n - sent;
		w->port_stats[slot].tx_failure_drops += n - sent;
		w->st.tx_dropped += n - sent;
		rte_pktmbuf_free_bulk(wp->buf + sent, n - sent);
	}
}

void
sl_fwd_flush_all(struct sl_wctx *w)
{
	for (unsigned int i = 0; i < w->n_flood; i++)
		flush_port(w, w->flood[i]);
}

/* Free @m, a packet of the burst or a copy: no longer ours first. */
static inline void
drop(struct sl_wctx *w, struct rte_mbuf *m)
{
	sl_inf_release(w->inf, m);
	rte_pktmbuf_free(m);
}

/* Queue @m on the port with slot @slot; takes ownership of @m. */
static inline void
tx_slot(struct sl_wctx *w, unsigned int slot, struct rte_mbuf *m)
{
	struct sl_wport *wp = &w->ports[slot];
	struct sl_inflight *f = w->inf;
	uint16_t n;

	if (unlikely(wp->bond == SL_BR_BOND && wp->active)) {
		slot = sl_wbond_tx(w, slot, m); /* a bond sends on one of its members */
		if (slot >= SL_MAX_PORTS) {
			drop(w, m);
			return;
		}
		wp = &w->ports[slot];
	}
	if (unlikely(!wp->active || m->pkt_len > wp->max_frame)) {
		if (wp->active) {
			w->st.mtu_dropped++;
			w->port_tx_dropped[slot]++;
			w->port_stats[slot].tx_mtu_exceeded_drops++;
		}
		drop(w, m);
		return;
	}
	/* In the buffer (counted) before cur lets go: claimed throughout. */
	n = f->tx_n[slot];
	wp->buf[n] = m;
	sl_inf_order();
	f->tx_n[slot] = ++n;
	sl_inf_release(f, m);
	if (unlikely(n == SL_TXBUF))
		flush_port(w, slot);
}

static inline void
tx_ofport(struct sl_wctx *w, uint16_t ofport, struct rte_mbuf *m)
{
	uint8_t slot = w->shm->ofport_to_slot[ofport];

	if (unlikely(slot == SL_NO_SLOT)) {
		drop(w, m);
		return;
	}
	tx_slot(w, slot, m);
}

/*
 * A copy of @m for another output, claimed in the in-flight record from
 * the moment it is allocated (inflight.h: copy) until tx_slot() or drop()
 * hands it on.  A packet in one segment that fits is copied here; others
 * by rte_pktmbuf_copy(), claimed only once it returns.
 */
static inline struct rte_mbuf *
copy_pkt(struct sl_wctx *w, struct rte_mbuf *m)
{
	struct sl_inflight *f = w->inf;
	struct rte_mempool_cache *cache;
	struct rte_mbuf *c;

	if (unlikely(m->nb_segs != 1 || (m->ol_flags & (RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL)) ||
		     m->data_len > m->buf_len - RTE_MIN(m->buf_len, RTE_PKTMBUF_HEADROOM))) {
		c = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
		w->inf->copy = c;
		sl_inf_order();
		return c;
	}
	/* The allocation takes the top of our cache: the length before it
	 * tells the primary whether it had (reclaim.c, claim_cut_alloc). */
	cache = rte_mempool_default_cache(m->pool, rte_lcore_id());
	f->copy_len0 = cache != NULL ? cache->len : 0;
	sl_inf_order();
	f->copy_pool = m->pool;
	sl_inf_order();
	c = rte_pktmbuf_alloc(m->pool);
	f->copy = c;
	sl_inf_order();
	f->copy_pool = NULL;
	sl_inf_order();
	if (unlikely(c == NULL))
		return NULL;
	/* As rte_pktmbuf_copy() does: the headers, then the bytes. */
	c->port = m->port;
	c->vlan_tci = m->vlan_tci;
	c->vlan_tci_outer = m->vlan_tci_outer;
	c->tx_offload = m->tx_offload;
	c->hash = m->hash;
	c->packet_type = m->packet_type;
	rte_mbuf_dynfield_copy(c, m);
	c->ol_flags = m->ol_flags & ~(RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL);
	c->data_len = m->data_len;
	c->pkt_len = m->data_len;
	rte_memcpy(rte_pktmbuf_mtod(c, void *), rte_pktmbuf_mtod(m, const void *), m->data_len);
	return c;
}

/* Send @m itself if @last, else a copy; copies keep later actions from
 * editing a packet already queued elsewhere. */
static inline void
emit(struct sl_wctx *w, uint16_t ofport, struct rte_mbuf *m, bool last)
{
	struct rte_mbuf *c;

	if (last) {
		tx_ofport(w, ofport, m);
		return;
	}
	c = copy_pkt(w, m);
	if (likely(c != NULL))
		tx_ofport(w, ofport, c);
	else
		w->st.tx_dropped++;
}

static void
flood(struct sl_wctx *w, uint16_t in_port, struct rte_mbuf *m, bool last)
{
	int last_slot = -1;

	w->st.flood_packets++;
	for (unsigned int i = 0; i < w->n_flood; i++)
		if (w->ports[w->flood[i]].ofport != in_port && w->ports[w->flood[i]].bond != SL_BR_MEMBER)
			last_slot = w->flood[i];
	for (unsigned int i = 0; i < w->n_flood; i++) {
		unsigned int s = w->flood[i];
		struct rte_mbuf *c;

		if (w->ports[s].ofport == in_port || w->ports[s].bond == SL_BR_MEMBER)
			continue; /* a member floods as its bond */
		if ((int)s == last_slot && last) {
			tx_slot(w, s, m);
			return;
		}
		c = copy_pkt(w, m);
		if (c != NULL)
			tx_slot(w, s, c);
	}
	if (last)
		drop(w, m);
}

/*
 * What NORMAL decided for one (in_port, vlan, source, destination), cached
 * per worker: no hashing into the shared table, no shared write.  Where
 * the exact-match cache holds the packet's key its entry keeps the
 * decision instead (normal_cached); this serves the rest (the cache off
 * with many flows, NORMAL after other actions or in a pipeline).  Valid while the table's generation is unchanged (no entry appeared,
 * moved or went away) and within the second it was decided in (ageing,
 * and the source's last-seen second, are refreshed once a second).
 */
struct sl_ncache_entry {
	uint64_t src; /* sl_mac_key(dl_src, vlan) */
	uint64_t dst; /* sl_mac_key(dl_dst, vlan) */
	uint32_t gen; /* shm->mac_gen read before deciding */
	uint32_t now_s;
	uint16_t in_port;
	uint16_t out; /* SL_OFPORT_NONE: flood */
	uint32_t pad;
};

#define SL_NCACHE_ENTRIES 1024u /* 32 KB: one worker per process, so one per worker */

static struct sl_ncache_entry ncache[SL_NCACHE_ENTRIES];

static inline struct sl_ncache_entry *
ncache_slot(uint64_t src, uint64_t dst, uint16_t in_port)
{
	uint64_t h = (src * UINT64_C(0x9e3779b97f4a7c15)) ^ (dst + in_port);

	h *= UINT64_C(0xff51afd7ed558ccd);
	return &ncache[h >> (64 - 10)];
}

/* The table's answer for @key, learning its source on the way. */
static uint16_t
normal_decide(struct sl_wctx *w, const struct sl_flow_key *key, uint16_t vlan)
{
	if (!(key->dl_src[0] & 1))
		sl_mac_learn(w->shm->mac_table, &w->shm->mac_gen, key->dl_src, vlan, key->in_port,
			     w->now_s);
	return (key->dl_dst[0] & 1) ? SL_OFPORT_NONE
				    : sl_mac_lookup(w->shm->mac_table, key->dl_dst, vlan, w->now_s,
						    w->aging_s);
}

/* NORMAL's port for @key (SL_OFPORT_NONE: flood), from the worker's cache. */
static inline uint16_t
normal_out(struct sl_wctx *w, const struct sl_flow_key *key)
{
	uint16_t vlan = key->vlan_tci & SL_VLAN_VID_MASK;
	uint64_t src = sl_mac_key(key->dl_src, vlan), dst = sl_mac_key(key->dl_dst, vlan);
	struct sl_ncache_entry *e = ncache_slot(src, dst, key->in_port);
	uint32_t gen = __atomic_load_n(&w->shm->mac_gen, __ATOMIC_ACQUIRE);

	if (likely(e->src == src && e->dst == dst && e->in_port == key->in_port &&
		   e->gen == gen && e->now_s == w->now_s))
		return e->out;
	e->src = src;
	e->dst = dst;
	e->in_port = key->in_port;
	e->gen = gen;
	e->now_s = w->now_s;
	e->out = normal_decide(w, key, vlan);
	return e->out;
}

/* Send @m where NORMAL decided: @out, or a flood if SL_OFPORT_NONE. */
static inline void
normal_send(struct sl_wctx *w, uint16_t in_port, uint16_t out, struct rte_mbuf *m, bool last)
{
	if (out == SL_OFPORT_NONE) {
		flood(w, in_port, m, last);
	} else if (out == in_port) {
		if (last)
			drop(w, m); /* never back where it came from */
	} else {
		emit(w, out, m, last);
	}
}

static void
normal(struct sl_wctx *w, const struct sl_flow_key *key, struct rte_mbuf *m, bool last)
{
	normal_send(w, key->in_port, normal_out(w, key), m, last);
}

/*
 * A packet whose rule's only action is NORMAL, found in exact-match cache
 * entry @e (NULL: not from the cache): the entry keeps NORMAL's decision
 * for its key (emc.h, struct sl_emc_normal), so that the next packets of
 * the key, whose entry is in cache already, hash nothing more and read no
 * other table: a learnt destination costs what an output rule does.
 */
static inline void
normal_cached(struct sl_wctx *w, struct sl_emc_entry *e, const struct sl_flow_key *key,
	      struct rte_mbuf *m)
{
	uint32_t gen = __atomic_load_n(&w->shm->mac_gen, __ATOMIC_ACQUIRE);
	uint16_t out;

	if (likely(e != NULL && e->nd.flags == SL_XA_NORMAL && e->nd.mac_gen == gen &&
		   e->nd.now_s == w->now_s)) {
		out = e->nd.out;
	} else {
		out = normal_out(w, key);
		if (e != NULL)
			e->nd = (struct sl_emc_normal){
				.mac_gen = gen, /* read before deciding: a change since is seen */
				.now_s = w->now_s,
				.flags = SL_XA_NORMAL,
				.out = out,
			};
	}
	normal_send(w, key->in_port, out, m, true);
}

static int
vlan_push(struct rte_mbuf *m, uint16_t tpid, uint16_t tci)
{
	struct rte_vlan_hdr *vh;
	uint8_t *p;

	if (rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN ||
	    rte_pktmbuf_prepend(m, sizeof(*vh)) == NULL)
		return -1;
	p = rte_pktmbuf_mtod(m, uint8_t *);
	memmove(p, p + sizeof(*vh), 2 * RTE_ETHER_ADDR_LEN);
	*(uint16_t *)(p + 12) = rte_cpu_to_be_16(tpid);
	vh = (struct rte_vlan_hdr *)(p + 14);
	vh->vlan_tci = rte_cpu_to_be_16(tci);
	return 0;
}

static void
vlan_strip(struct rte_mbuf *m)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);

	if (rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN)
		return;
	memmove(p + RTE_VLAN_HLEN, p, 2 * RTE_ETHER_ADDR_LEN);
	rte_pktmbuf_adj(m, RTE_VLAN_HLEN);
}

/* Rewrite the outer tag's TCI bits under @mask, pushing a tag if there is none. */
static void
vlan_set(struct rte_mbuf *m, struct sl_flow_key *key, uint16_t bits, uint16_t mask)
{
	if (!(key->vlan_tci & SL_VLAN_CFI)) {
		if (vlan_push(m, RTE_ETHER_TYPE_VLAN, bits & mask) == 0)
			key->vlan_tci = (bits & mask) | SL_VLAN_CFI;
		return;
	}
	if (rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN)
		return; /* a chain whose first segment lacks the tag: left as it is */
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	uint16_t tci = rte_be_to_cpu_16(*(uint16_t *)(p + 14));

	tci = (tci & ~mask) | (bits & mask);
	*(uint16_t *)(p + 14) = rte_cpu_to_be_16(tci);
	key->vlan_tci = (tci & ~SL_VLAN_CFI) | SL_VLAN_CFI;
}

/* True for actions that hand the packet (or a copy) to a port. */
static inline bool
sl_action_sends(uint16_t type)
{
	return type == SL_ACT_OUTPUT || type == SL_ACT_IN_PORT || type == SL_ACT_NORMAL ||
	       type == SL_ACT_FLOOD || type == SL_ACT_ALL || type == SL_ACT_GROUP;
}

static void execute(struct sl_wctx *w, const struct sl_actions *acts, uint16_t start,
		    struct sl_flow_key *key, struct rte_mbuf *m);

/* group:N: each bucket it picks runs on its own copy of the packet (and key);
 * the last one gets @m and @key themselves if the group ends the action list. */
static void
group(struct sl_wctx *w, uint16_t slot, struct sl_flow_key *key, struct rte_mbuf *m, bool last)
{
	uint8_t pick[SL_GROUP_MAX_BUCKETS];
	const struct sl_group *g;
	unsigned int n = sl_wgroup_pick(w, slot, key, m->pkt_len, &g, pick);

	for (unsigned int i = 0; i < n; i++) {
		struct sl_flow_key k;

		if (last && i + 1 == n) {
			execute(w, &g->b[pick[i]].actions, 0, key, m);
			return;
		}
		struct rte_mbuf *p = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);

		if (unlikely(p == NULL)) {
			w->st.tx_dropped++;
			continue;
		}
		k = *key;
		execute(w, &g->b[pick[i]].actions, 0, &k, p);
	}
	if (last)
		rte_pktmbuf_free(m); /* no bucket */
}

/* Run @acts from action @start on (a meter before it was applied by the caller). */
static void
execute(struct sl_wctx *w, const struct sl_actions *acts, uint16_t start, struct sl_flow_key *key,
	struct rte_mbuf *m)
{
	for (uint16_t i = start; i < acts->n; i++) {
		const struct sl_action *a = &acts->a[i];
		bool last = i + 1 == acts->n;
		uint8_t *p;

		switch (a->type) {
		case SL_ACT_OUTPUT:
			emit(w, a->arg, m, last);
			break;
		case SL_ACT_IN_PORT:
			emit(w, key->in_port, m, last);
			break;
		case SL_ACT_NORMAL:
			normal(w, key, m, last);
			break;
		case SL_ACT_FLOOD:
		case SL_ACT_ALL:
			flood(w, key->in_port, m, last);
			break;
		case SL_ACT_GROUP:
			group(w, a->arg, key, m, last);
			break;
		case SL_ACT_SET_VLAN_VID:
			vlan_set(m, key, a->arg, SL_VLAN_VID_MASK);
			break;
		case SL_ACT_SET_VLAN_PCP:
			vlan_set(m, key, a->arg << SL_VLAN_PCP_SHIFT, 0xe000);
			break;
		case SL_ACT_STRIP_VLAN:
			if (key->vlan_tci & SL_VLAN_CFI) {
				vlan_strip(m);
				key->vlan_tci = 0;
			}
			break;
		case SL_ACT_PUSH_VLAN:
			if (vlan_push(m, a->arg, 0) == 0)
				key->vlan_tci = SL_VLAN_CFI;
			break;
		case SL_ACT_SET_DL_SRC:
		case SL_ACT_SET_DL_DST:
			p = rte_pktmbuf_mtod(m, uint8_t *);
			if (rte_pktmbuf_data_len(m) >= RTE_ETHER_HDR_LEN)
				memcpy(p + (a->type == SL_ACT_SET_DL_SRC ? 6 : 0), a->mac, 6);
			break;
		default:
			break;
		}
		if (last && !sl_action_sends(a->type))
			drop(w, m); /* list ended without an output */
	}
	if (acts->n <= start)
		drop(w, m);
}

/*
 * Packets @i.. of rule @r, whose first action is meter:N (an OpenFlow 1.3
 * instruction, applied before the actions): the run of them that share the
 * rule goes through the meter at once, as a batch of one flow does in Open
 * vSwitch; those that pass get the rest of the actions.  Returns the index
 * after the run.
 */
static uint16_t
act_metered(struct sl_wctx *w, const struct sl_cls_rule *const *rules, struct sl_flow_key *keys,
	    struct rte_mbuf **pkts, uint16_t i, uint16_t n)
{
	const struct sl_cls_rule *r = rules[i];
	uint16_t j = i + 1;
	uint64_t pass;

	while (j < n && rules[j] == r)
		j++;
	pass = sl_wmeter_flow(w, r->actions.a[0].arg, pkts + i, j - i);
	for (uint16_t k = i; k < j; k++) {
		sl_inf_take(w->inf, k, pkts[k]);
		if (pass & (UINT64_C(1) << (k - i)))
			execute(w, &r->actions, 1, &keys[k], pkts[k]);
		else
			drop(w, pkts[k]);
	}
	return j;
}

/*
 * The exact-match cache pays only when it hits: with many more flows than
 * it holds, its lookup (a hash of the whole key, two cold slots) is paid
 * by every packet for a few hits, which the megaflow cache would have
 * served anyway.  So it is skipped while its hit rate over a window of
 * lookups stays under 1/8, trying one packet in 16 meanwhile so that it
 * comes back when the flows fit again.  The packets tried are drawn at
 * random: every 16th would try the same flows each time round traffic
 * whose flow count is a multiple of 16 (100000 flows replayed in turn:
 * 6250 flows tried, all fitting, so the cache came back on, thrashed for a
 * window and went off again, over and over).
 */
#define SL_EMC_WINDOW 4096
#define SL_EMC_SAMPLE 16

static inline bool
emc_try(struct sl_wctx *w)
{
	uint32_t x;

	if (likely(!w->emc_off))
		return true;
	x = w->emc_rng; /* xorshift32, never zero */
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	w->emc_rng = x;
	return (x & (SL_EMC_SAMPLE - 1)) == 0;
}

static inline void
emc_account(struct sl_wctx *w, bool hit)
{
	w->emc_win_hits += hit;
	if (unlikely(++w->emc_win_tries == SL_EMC_WINDOW)) {
		w->emc_off = w->emc_win_hits * 8 < SL_EMC_WINDOW;
		w->emc_win_tries = 0;
		w->emc_win_hits = 0;
	}
}

/*
 * The rule for one packet: exact-match cache (if @emc: @hash is the key's,
 * its slots asked for already), then megaflow cache, then the classifier,
 * whose result goes into both caches (a pipeline's into the megaflow cache
 * once its run is over: sl_pipe_run).  *ep is the exact-match cache entry
 * it came from (what the rule's actions come to for the key may be kept
 * there), *mfref names the megaflow entry.
 */
static inline const struct sl_cls_rule *
lookup(struct sl_wctx *w, const struct sl_flow_key *key, bool emc, uint32_t hash,
       uint64_t *mfref, struct sl_emc_entry **ep)
{
	uint64_t wc[SL_FLOW_KEY_WORDS];
	struct sl_emc_entry *e;
	const struct sl_cls_rule *r;
	uint32_t mi;

	*mfref = SL_MF_NONE_REF;
	*ep = NULL;
	if (emc) {
		e = sl_emc_find(&w->emc, key, hash, w->cls_gen);
		emc_account(w, e != NULL);
		if (likely(e != NULL)) {
			w->st.emc_hits++;
			*ep = e;
			return e->rule;
		}
	}
	if (unlikely(w->cls == NULL))
		return NULL;
	mi = sl_mf_lookup(&w->mf, key, w->cls_gen);
	if (likely(mi != SL_MF_NONE)) {
		w->st.mf_hits++;
		*mfref = sl_mf_ref(&w->mf, mi);
		r = w->mf.e[mi].rule;
		if (r != NULL && emc)
			sl_emc_insert(&w->emc, key, hash, w->cls_gen, r);
		return r;
	}
	memset(wc, 0, sizeof(wc));
	r = sl_cls_lookup_wc(w->cls, key, wc, &w->st.masked_lookups);
	if (r != NULL) {
		w->st.cls_hits++;
		if (emc)
			sl_emc_insert(&w->emc, key, hash, w->cls_gen, r);
	}
	if (r == NULL || !(r->flags & SL_RULE_PIPELINE))
		sl_mf_insert(&w->mf, key, wc, w->cls_gen, r, 0);
	return r;
}

/*
 * Parse @m's headers.  They are read from its first segment, which holds
 * them whole with every PMD we know; a chained packet whose first segment
 * is shorter than the headers could be is parsed from a copy of its start.
 */
static inline void
parse(struct rte_mbuf *m, uint16_t in_port, struct sl_flow_key *key)
{
	uint8_t copy[SL_PARSE_HDR_MAX];
	const uint8_t *data = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m);

	if (unlikely(len < SL_PARSE_HDR_MAX && m->pkt_len > len)) {
		len = RTE_MIN(m->pkt_len, (uint32_t)SL_PARSE_HDR_MAX);
		data = rte_pktmbuf_read(m, 0, len, copy);
		if (data == NULL)
			len = 0;
	}
	sl_parse(data, len, in_port, key, NULL);
}

/*
 * What the PMD found of the checksums (it verified them: we never do in
 * software, as OVS's datapath does not outside conntrack and tunnels; the
 * verdict stays in ol_flags for whatever needs it).  Bad ones are counted.
 */
static inline void
count_bad_csums(struct sl_wctx *w, uint16_t slot, struct rte_mbuf **pkts, uint16_t n)
{
	uint64_t ip = 0, l4 = 0;

	for (uint16_t i = 0; i < n; i++) {
		uint64_t f = pkts[i]->ol_flags;

		ip += (f & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_BAD;
		l4 += (f & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_BAD;
	}
	w->port_stats[slot].rx_ip_csum_bad += ip;
	w->port_stats[slot].rx_l4_csum_bad += l4;
}

/* Same headers as @b?  Eight words compared at once, no early exit. */
static inline bool
same_key(const struct sl_flow_key *a, const struct sl_flow_key *b)
{
	const uint64_t *x = (const uint64_t *)a, *y = (const uint64_t *)b;
	uint64_t d = 0;

	for (unsigned int i = 0; i < SL_FLOW_KEY_WORDS; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

/*
 * Stage 2: the rule of every packet; one that repeats its predecessor's
 * headers (a burst of one flow) reuses its lookup.  ents[i]: the EMC
 * entry that held the packet's key (with, maybe, what its rule's actions
 * come to for it).  An insert in this burst may have taken an entry
 * another packet's ents[] points to: then none is used (the general path
 * serves them; inserts are rare where the cache pays).
 */
static inline void
classify(struct sl_wctx *w, const struct sl_flow_key *keys, struct rte_mbuf **pkts,
	 const struct sl_cls_rule **rules, uint32_t *hashes, uint64_t *mfrefs,
	 struct sl_emc_entry **ents, uint16_t n)
{
	uint64_t inserts = w->emc.n_inserts;
	uint32_t dup = 0, tried = 0; /* bit i: packet i repeats i - 1; tries the EMC */

	_Static_assert(SL_BURST <= 32, "a burst's packets are bits of a uint32_t");
	/* The hashes first, each packet's cache slots asked for: the lookups
	 * then wait for memory once per burst, not once per packet. */
	for (uint16_t i = 0; i < n; i++) {
		hashes[i] = 0; /* not computed (sl_pipe_run) */
		if (i > 0 && same_key(&keys[i], &keys[i - 1]))
			dup |= 1u << i;
		else if (emc_try(w)) {
			tried |= 1u << i;
			hashes[i] = sl_flow_key_hash(&keys[i]);
			sl_emc_prefetch(&w->emc, hashes[i]);
		}
	}
	for (uint16_t i = 0; i < n; i++) {
		if (dup & 1u << i) {
			rules[i] = rules[i - 1];
			hashes[i] = hashes[i - 1];
			mfrefs[i] = mfrefs[i - 1];
			ents[i] = ents[i - 1];
			if (likely(rules[i] != NULL))
				w->st.emc_hits++;
			continue;
		}
		rules[i] = lookup(w, &keys[i], tried & 1u << i, hashes[i], &mfrefs[i], &ents[i]);
	}
	if (unlikely(w->emc.n_inserts != inserts))
		memset(ents, 0, sizeof(ents[0]) * n);
	/* Counters once per run of one rule: fewer read-modify-writes. */
	for (uint16_t i = 0; i < n;) {
		const struct sl_cls_rule *r = rules[i];
		uint64_t bytes = 0;
		uint16_t j = i;

		while (j < n && rules[j] == r)
			bytes += pkts[j++]->pkt_len;
		if (likely(r != NULL)) {
			struct sl_flow_counter *c = &w->counters[r->id];

			c->packets += j - i;
			c->bytes += bytes;
		}
		i = j;
	}
}

/*
 * Counters of the rules a compiled pipeline passes (its table-0 rule is
 * counted in classify), summed over a run of packets that passed the same
 * rules and added once at the end of the run: at 1k flows every flow's
 * compiled pipeline names the same rules, so a burst costs one update
 * per rule rather than one per packet and rule.
 */
struct xact_count {
	uint32_t rule[SL_XACT_RULES];
	uint8_t n_rules;
	uint32_t packets;
	uint64_t bytes;
};

static inline void
xact_count_flush(struct sl_wctx *w, struct xact_count *c)
{
	for (uint8_t k = 0; k < c->n_rules; k++) {
		w->counters[c->rule[k]].packets += c->packets;
		w->counters[c->rule[k]].bytes += c->bytes;
	}
	c->packets = 0;
	c->bytes = 0;
}

/*
 * A packet of pipeline rule @r whose whole run is compiled: from its EMC
 * entry (@e), else from the megaflow entry it came from (@mfref), whose
 * record holds the run compiled for every key of the megaflow.
 */
static inline const struct sl_xact *
xact_for(const struct sl_wctx *w, const struct sl_cls_rule *r, const struct sl_emc_entry *e,
	 uint64_t mfref)
{
	uint32_t idx;

	if (e != NULL && (e->xa.flags & SL_XA_VALID))
		return &e->xa;
	if (mfref == SL_MF_NONE_REF)
		return NULL;
	idx = sl_mf_deref(&w->mf, mfref);
	if (idx == SL_MF_NONE || !(w->mf.e[idx].flags & SL_MF_PIPE) || w->mf.e[idx].rule != r ||
	    !(w->mfrec[idx].xa.flags & SL_XA_VALID))
		return NULL;
	return &w->mfrec[idx].xa;
}

/* Run compiled pipeline @x on @m: true if done (@m sent), false if @m's
 * layout is not the compiled one (nothing changed: the caller runs the
 * pipeline). */
static inline bool
xact_run(struct sl_wctx *w, struct xact_count *c, const struct sl_xact *x,
	 const struct sl_flow_key *key, struct rte_mbuf *m)
{
	if (unlikely(sl_xact_apply(x, key, rte_pktmbuf_mtod(m, uint8_t *),
				   rte_pktmbuf_data_len(m)) != 0))
		return false;
	/* The rule ids, not the pointer @x: packets of many flows each have
	 * an EMC entry of their own naming the same rules (the run this
	 * batching is for), and one entry or megaflow record can be given
	 * another run by a sl_pipe_run earlier in the burst, with nothing to
	 * tell the two apart.  A compare of 12 bytes of constant size. */
	if (c->n_rules != x->n_rules || memcmp(c->rule, x->rule, sizeof(c->rule)) != 0) {
		xact_count_flush(w, c);
		memcpy(c->rule, x->rule, sizeof(c->rule));
		c->n_rules = x->n_rules;
	}
	c->packets++;
	c->bytes += m->pkt_len;
	w->st.pcache_hits++;
	w->st.table_misses += x->n_miss;
	emit(w, x->out, m, true);
	return true;
}

static void
process_burst(struct sl_wctx *w, const struct sl_wrxq *rq, struct rte_mbuf **pkts, uint16_t n)
{
	struct sl_flow_key keys[SL_BURST];
	const struct sl_cls_rule *rules[SL_BURST];
	struct sl_emc_entry *ents[SL_BURST];
	uint32_t hashes[SL_BURST];
	uint64_t mfrefs[SL_BURST];
	struct xact_count xc = { .n_rules = 0, .packets = 0, .bytes = 0 };

	/* Stage 1: parse, with the next packet's header on its way to cache. */
	for (uint16_t i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		parse(pkts[i], rq->ofport, &keys[i]);
	}
	if (rq->csum)
		count_bad_csums(w, rq->slot, pkts, n);
	/* Stage 2: classify and count. */
	classify(w, keys, pkts, rules, hashes, mfrefs, ents, n);
	/* Stage 3: act. */
	for (uint16_t i = 0; i < n;) {
		if (unlikely(rules[i] != NULL && (rules[i]->flags & SL_RULE_PIPELINE))) {
			const struct sl_xact *x = xact_for(w, rules[i], ents[i], mfrefs[i]);

			sl_inf_take(w->inf, i, pkts[i]);
			if (x == NULL || !xact_run(w, &xc, x, &keys[i], pkts[i]))
				sl_pipe_run(w, rules[i], &keys[i], hashes[i], mfrefs[i], pkts[i]);
			i++;
			continue;
		}
		if (unlikely(rules[i] != NULL && rules[i]->actions.n > 0 &&
			     rules[i]->actions.a[0].type == SL_ACT_METER)) {
			i = act_metered(w, rules, keys, pkts, i, n);
			continue;
		}
		sl_inf_take(w->inf, i, pkts[i]);
		if (unlikely(rules[i] == NULL)) {
			w->st.misses++;
			drop(w, pkts[i++]);
			continue;
		}
		if (rules[i]->actions.n == 1 && rules[i]->actions.a[0].type == SL_ACT_NORMAL)
			normal_cached(w, ents[i], &keys[i], pkts[i]);
		else
			execute(w, &rules[i]->actions, 0, &keys[i], pkts[i]);
		i++;
	}
	xact_count_flush(w, &xc);
}

/* Room for what one loop can send, in every lossless port's ring? */
static inline bool
lossless_room(const struct sl_wctx *w)
{
	unsigned int need = (unsigned int)w->n_rxq * SL_BURST;

	for (uint16_t i = 0; i < w->n_lossless; i++)
		if (rte_ring_free_count(w->lossless[i]) < need)
			return false;
	return true;
}

unsigned int
sl_fwd_poll(struct sl_wctx *w)
{
	struct sl_inflight *f = w->inf;
	struct rte_mbuf **pkts = f->rx; /* the burst lives where the primary sees it */
	struct sl_rxq_round round;
	unsigned int total = 0;

	/* A file port cannot drop: leave packets in their rx queues until
	 * the primary has written out what we gave it. */
	if (unlikely(w->n_lossless != 0) && !lossless_room(w))
		return 0;
	sl_rxq_round_start(&round, w);

	for (uint16_t q = 0; q < w->n_rxq; q++) {
		const struct sl_wrxq *rq = &w->rxq[q];
		uint16_t n;

		sl_inf_rx_begin(f, rq->slot, rq->queue);
		if (rq->ring != NULL)
			n = rte_ring_sc_dequeue_burst(rq->ring, (void **)pkts, SL_BURST, NULL);
		else
			n = rte_eth_rx_burst(rq->port_id, rq->queue, pkts, SL_BURST);
		sl_inf_rx_end(f, n);
		if (n == 0)
			continue;
		sl_capture_rx(w, rq->slot, pkts, n);
		total += n;
		if (unlikely(w->ports[rq->slot].bond == SL_BR_MEMBER)) {
			/* LACP to the primary, what the bond refuses freed: unclaimed meanwhile. */
			f->rx_n = 0;
			sl_inf_order();
			n = sl_wbond_rx(w, rq->slot, pkts, n);
			sl_inf_order();
			f->rx_n = n;
		}
		if (unlikely(w->ingress[rq->slot] != NULL)) {
			/* The policer frees and compacts in place: unclaimed meanwhile. */
			f->rx_n = 0;
			sl_inf_order();
			n = sl_wmeter_rx(w, rq->slot, pkts, n);
			sl_inf_order();
			f->rx_n = n;
		}
		if (n != 0) {
			process_burst(w, rq, pkts, n);
			sl_rxq_account(&round, rq->acct, n);
		}
		sl_inf_burst_end(f);
	}
	if (total) {
		sl_fwd_flush_all(w);
		sl_rxq_round_flushed(&round, w);
	}
	w->st.rx_packets += total;
	return total;
}

void
sl_fwd_emit(struct sl_wctx *w, uint16_t ofport, struct rte_mbuf *m, bool last)
{
	emit(w, ofport, m, last);
}

void
sl_fwd_normal(struct sl_wctx *w, const struct sl_flow_key *key, struct rte_mbuf *m, bool last)
{
	normal(w, key, m, last);
}

void
sl_fwd_flood(struct sl_wctx *w, uint16_t in_port, struct rte_mbuf *m, bool last)
{
	flood(w, in_port, m, last);
}

void
sl_fwd_group(struct sl_wctx *w, uint16_t slot, struct sl_flow_key *key, struct rte_mbuf *m,
	     bool last)
{
	group(w, slot, key, m, last);
}

void
sl_fwd_vlan_set(struct rte_mbuf *m, struct sl_flow_key *key, uint16_t bits, uint16_t mask)
{
	vlan_set(m, key, bits, mask);
}

void
sl_fwd_vlan_strip(struct rte_mbuf *m, struct sl_flow_key *key)
{
	if (key->vlan_tci & SL_VLAN_CFI) {
		vlan_strip(m);
		key->vlan_tci = 0;
	}
}

void
sl_fwd_vlan_push(struct rte_mbuf *m, struct sl_flow_key *key, uint16_t tpid)
{
	if (vlan_push(m, tpid, 0) == 0)
		key->vlan_tci = SL_VLAN_CFI;
}
