/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker side of bonds: which member sends a packet given to a bond,
 * what a member lets in, and LACPDUs handed to the primary, which runs
 * LACP so that a worker restart does not disturb the negotiation.
 */
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_memzone.h>
#include <rte_ring.h>

#include "bond_hooks.h"
#include "packet.h"

void
sl_wbond_attach(struct sl_wctx *w)
{
	const struct rte_memzone *mz = rte_memzone_lookup(SL_BOND_ZONE);

	if (mz == NULL)
		rte_exit(2, "sluice-worker: no bond table (%s): is sluice-primary of the same "
			    "version?\n", rte_strerror(rte_errno));
	w->bz = mz->addr;
}

uint8_t
sl_wbond_role(const struct sl_wctx *w, unsigned int slot)
{
	return __atomic_load_n(&w->bz->role[slot], __ATOMIC_RELAXED);
}

uint16_t
sl_wbond_rx_ofport(const struct sl_wctx *w, unsigned int slot, uint16_t ofport)
{
	uint8_t b;

	if (w->bz->role[slot] != SL_BR_MEMBER)
		return ofport;
	b = w->bz->bond_of[slot];
	return b == SL_BOND_NONE ? SL_OFPORT_NONE : w->shm->ports[b].ofport;
}

static inline bool
is_slow_protocol(const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

	return rte_pktmbuf_data_len(m) >= sizeof(*eh) &&
	       eh->ether_type == rte_cpu_to_be_16(SL_ETHER_TYPE_SLOW);
}

/* Does the bond take traffic in on member @slot? */
static inline bool
admits(const struct sl_wctx *w, unsigned int slot)
{
	uint8_t b = w->bz->bond_of[slot];
	const struct sl_bond_state *st;

	if (b == SL_BOND_NONE)
		return false;
	st = &w->bz->bond[b];
	if (!__atomic_load_n(&st->enabled[slot], __ATOMIC_RELAXED))
		return false;
	return __atomic_load_n(&st->mode, __ATOMIC_RELAXED) != SL_BM_AB ||
	       __atomic_load_n(&st->active, __ATOMIC_RELAXED) == slot;
}

uint16_t
sl_wbond_rx(struct sl_wctx *w, unsigned int slot, struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_mbuf *slow[SL_BURST];
	bool ok = admits(w, slot);
	uint16_t k = 0, n_slow = 0, sent;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (unlikely(is_slow_protocol(m))) {
			m->hash.usr = slot;
			slow[n_slow++] = m;
		} else if (ok) {
			pkts[k++] = m;
		} else {
			rte_pktmbuf_free(m);
		}
	}
	if (n_slow != 0) {
		sent = rte_ring_sp_enqueue_burst(w->bz->lacp_rx[w->id], (void **)slow, n_slow, NULL);
		w->bz->lacp_steered[w->id] += sent;
		if (sent < n_slow) {
			w->bz->lacp_dropped[w->id] += n_slow - sent;
			rte_pktmbuf_free_bulk(slow + sent, n_slow - sent);
		}
	}
	return k;
}

unsigned int
sl_wbond_tx(struct sl_wctx *w, unsigned int slot, const struct rte_mbuf *m)
{
	const struct sl_bond_state *st = &w->bz->bond[slot];
	uint8_t mode = __atomic_load_n(&st->mode, __ATOMIC_RELAXED);
	struct sl_flow_key key;
	unsigned int b;

	if (mode == SL_BM_AB)
		return __atomic_load_n(&st->active, __ATOMIC_RELAXED);
	/* The key the packet was classified by may have been rewritten since: parse what leaves. */
	sl_parse(rte_pktmbuf_mtod(m, const uint8_t *),
		 RTE_MIN(rte_pktmbuf_data_len(m), (uint32_t)SL_PARSE_HDR_MAX), 0, &key, NULL);
	b = sl_bond_bucket(mode, &key);
	w->bz->load[w->id][slot][b] += m->pkt_len;
	return __atomic_load_n(&st->bucket[b], __ATOMIC_RELAXED);
}
