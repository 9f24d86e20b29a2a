/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Capture in the worker: a private copy of the active sessions (their
 * filters loaded as eBPF in this process, JIT-compiled where DPDK can), and
 * the copy path that mirrors accepted packets into this worker's ring of
 * each session.  The copy path never waits: a full ring or an empty capture
 * pool drops the copy and counts it.
 */
#include <string.h>

#include <rte_bpf.h>
#include <rte_cycles.h>
#include <rte_ring.h>

#include "capture_hooks.h"

/* One session as this worker runs it. */
struct sl_wsess {
	uint32_t serial; /* the incarnation loaded; 0 = none */
	bool on;         /* loaded and copying */
	uint8_t dir;
	uint32_t ports; /* slots of the session's ports, resolved by name */
	uint32_t snaplen;
	uint8_t iface_of_slot[SL_MAX_PORTS];
	struct rte_bpf *bpf; /* NULL: no filter */
	uint64_t (*jit)(void *);
	struct rte_ring *ring;
	struct sl_cap_counters *cnt;
};

struct sl_wcap {
	struct sl_capture_zone *zone;
	struct rte_mempool *pool;
	int meta_off;
	uint16_t n_on;
	uint8_t on[SL_MAX_CAPTURES]; /* indexes of sessions that copy */
	struct sl_wsess s[SL_MAX_CAPTURES];
};

static struct sl_wcap wcap; /* one worker per process */
static const uint32_t no_zone_gen;

/* Find the zone once; without one, captures stay off for good. */
static bool
attach(struct sl_wctx *w)
{
	struct sl_capture_zone *z = sl_capture_zone_lookup();
	int off = z != NULL ? sl_capture_meta_offset() : -ENOENT;

	if (z == NULL || off < 0) {
		WLOG(WARNING, "capture unavailable (%s): sluice-dump will see nothing here",
		     z == NULL ? "no capture zone" : "no mbuf dynamic field");
		w->cap_gen_ptr = &no_zone_gen;
		w->cap_gen = 0;
		return false;
	}
	wcap.zone = z;
	wcap.pool = z->pool;
	wcap.meta_off = off;
	w->cap = &wcap;
	w->cap_gen_ptr = &z->gen;
	return true;
}

static void
unload(struct sl_wsess *ws)
{
	if (ws->bpf != NULL)
		rte_bpf_destroy(ws->bpf);
	memset(ws, 0, sizeof(*ws));
}

static void
load(struct sl_wctx *w, unsigned int idx, struct sl_wsess *ws)
{
	struct sl_cap_session *s = &wcap.zone->s[idx];
	struct rte_bpf_jit jit = { 0 };
	char err[256];

	unload(ws);
	ws->serial = s->serial;
	ws->dir = s->dir;
	ws->snaplen = s->snaplen;
	ws->ring = s->ring[w->id];
	ws->cnt = &s->cnt[w->id];
	if (s->n_insns) {
		ws->bpf = sl_capture_bpf_load(s->insns, s->n_insns, err, sizeof(err));
		if (ws->bpf == NULL) {
			WLOG(ERR, "capture session %u: %s", idx, err);
			__atomic_store_n(&ws->cnt->load_error, 1, __ATOMIC_RELAXED);
			return;
		}
		if (rte_bpf_get_jit(ws->bpf, &jit) == 0)
			ws->jit = jit.func;
	}
	ws->on = ws->ring != NULL;
	WLOG(INFO, "capture session %u: dir %u snaplen %u filter %s", idx, ws->dir, ws->snaplen,
	     ws->bpf == NULL ? "none" : ws->jit ? "jit" : "interpreted");
}

/* Map the session's port names to the slots this worker sees active. */
static void
resolve_ports(struct sl_wctx *w, const struct sl_cap_session *s, struct sl_wsess *ws)
{
	ws->ports = 0;
	for (unsigned int slot = 0; slot < SL_MAX_PORTS; slot++) {
		const char *name = w->shm->ports[slot].name;

		if (!w->ports[slot].active)
			continue;
		for (unsigned int i = 0; i < s->n_ifaces && i < SL_MAX_PORTS; i++)
			if (strncmp(name, s->ifaces[i], SL_PORT_NAME_LEN) == 0) {
				ws->ports |= 1u << slot;
				ws->iface_of_slot[slot] = i;
				break;
			}
	}
}

void
sl_capture_refresh(struct sl_wctx *w)
{
	struct sl_capture_zone *z;

	w->cap_ports_gen = w->ports_gen;
	if (w->cap_gen_ptr == NULL && !attach(w))
		return;
	if (w->cap == NULL)
		return;
	z = wcap.zone;
	w->cap_gen = __atomic_load_n(&z->gen, __ATOMIC_ACQUIRE);
	w->cap_rx_ports = 0;
	w->cap_tx_ports = 0;
	wcap.n_on = 0;
	for (unsigned int i = 0; i < SL_MAX_CAPTURES; i++) {
		struct sl_cap_session *s = &z->s[i];
		struct sl_wsess *ws = &wcap.s[i];

		if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != SL_CAP_ACTIVE) {
			if (ws->serial != 0) {
				WLOG(INFO, "capture session %u: stopped", i);
				unload(ws);
			}
			continue;
		}
		/* Fields of an active session do not change until it stops. */
		if (ws->serial != s->serial)
			load(w, i, ws);
		if (!ws->on)
			continue;
		resolve_ports(w, s, ws);
		wcap.on[wcap.n_on++] = i;
		if (ws->dir & SL_CAP_RX)
			w->cap_rx_ports |= ws->ports;
		if (ws->dir & SL_CAP_TX)
			w->cap_tx_ports |= ws->ports;
	}
}

/* Run the filter over @n packets: rc[i] != 0 means keep. */
static inline void
run_filter(const struct sl_wsess *ws, struct rte_mbuf **pkts, uint64_t *rc, uint16_t n)
{
	if (ws->jit != NULL) {
		for (uint16_t i = 0; i < n; i++)
			rc[i] = ws->jit(pkts[i]);
	} else {
		rte_bpf_exec_burst(ws->bpf, (void **)pkts, rc, n);
	}
}

static inline void
count(uint64_t *c, uint64_t n)
{
	/* One writer per counter: a plain add, stored whole for readers. */
	if (n)
		__atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

/*
 * Mirror up to SL_CAP_CHUNK packets into one session's ring.  The copies
 * are made in the worker's in-flight record (inflight.h): if the worker
 * dies here, the primary frees those the ring's producer tail shows were
 * not enqueued.
 */
static void
copy_chunk(struct sl_inflight *f, struct sl_wsess *ws, uint16_t slot, uint8_t dir, uint64_t tsc,
	   struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_mbuf **copies = f->cap;
	uint64_t rc[SL_CAP_CHUNK];
	uint16_t nc = 0, filtered = 0, failed = 0;
	unsigned int sent;

	if (ws->bpf != NULL)
		run_filter(ws, pkts, rc, n);
	f->cap_n = 0;
	f->cap_tail = __atomic_load_n(&ws->ring->prod.tail, __ATOMIC_RELAXED);
	sl_inf_order();
	f->cap_ring = ws->ring;
	sl_inf_order();
	for (uint16_t i = 0; i < n; i++) {
		struct sl_cap_meta *meta;
		struct rte_mbuf *c;

		if (ws->bpf != NULL && rc[i] == 0) {
			filtered++;
			continue;
		}
		c = rte_pktmbuf_copy(pkts[i], wcap.pool, 0, ws->snaplen);
		if (unlikely(c == NULL)) {
			failed++;
			continue;
		}
		meta = sl_cap_meta(c, wcap.meta_off);
		meta->tsc = tsc;
		meta->orig_len = pkts[i]->pkt_len;
		meta->iface = ws->iface_of_slot[slot];
		meta->dir = dir;
		copies[nc++] = c;
		sl_inf_order();
		f->cap_n = nc;
	}
	sent = nc ? rte_ring_sp_enqueue_burst(ws->ring, (void **)copies, nc, NULL) : 0;
	sl_inf_order();
	f->cap_ring = NULL; /* the unsent are ours to free below */
	sl_inf_order();
	if (unlikely(sent < nc))
		rte_pktmbuf_free_bulk(copies + sent, nc - sent);
	count(&ws->cnt->captured, sent);
	count(&ws->cnt->filtered, filtered);
	count(&ws->cnt->dropped, failed + nc - sent);
}

void
sl_capture_copy(struct sl_wctx *w, uint16_t slot, uint8_t dir, struct rte_mbuf **pkts, uint16_t n)
{
	uint64_t tsc = rte_rdtsc();

	for (uint16_t k = 0; k < wcap.n_on; k++) {
		struct sl_wsess *ws = &wcap.s[wcap.on[k]];

		if (!(ws->dir & dir) || !(ws->ports & (1u << slot)))
			continue;
		for (uint16_t off = 0; off < n; off += SL_CAP_CHUNK)
			copy_chunk(w->inf, ws, slot, dir, tsc, pkts + off,
				   RTE_MIN(n - off, SL_CAP_CHUNK));
	}
}
