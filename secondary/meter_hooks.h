/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker side of rate limiting (common/meter.h): egress policers where
 * it transmits, ingress policers where it receives, and OpenFlow meters in
 * the actions.  A port without a policer costs one predictable branch on
 * the worker's own copy of which ports police; the work is in meters.c.
 * Bridged ports are policed by the primary, which services them.
 */
#ifndef SL_METER_HOOKS_H
#define SL_METER_HOOKS_H

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "meter.h"
#include "worker.h"

/* At start: find the meter table (exits if the primary has none). */
void sl_wmeter_attach(struct sl_wctx *w);

/* Which direct ports police, from the meter table and the port table. */
void sl_wmeter_refresh(struct sl_wctx *w);

/* Refresh when a policer was set or cleared, or the ports changed. */
static inline void
sl_wmeter_check(struct sl_wctx *w)
{
	if (unlikely(__atomic_load_n(&w->mz->gen, __ATOMIC_ACQUIRE) != w->mz_gen ||
		     w->mz_ports_gen != w->ports_gen))
		sl_wmeter_refresh(w);
}

/* Police a burst received on port slot @slot; returns how many are left (in order). */
static inline uint16_t
sl_wmeter_rx(struct sl_wctx *w, uint16_t slot, struct rte_mbuf **pkts, uint16_t n)
{
	struct sl_meter *m = w->ingress[slot];

	if (likely(m == NULL))
		return n;
	return (uint16_t)sl_meter_police(m, pkts, n, rte_rdtsc(),
					 &w->mcnt[SL_METER_SLOT_INGRESS(slot)]);
}

/* Police a burst about to be sent on port slot @slot. */
static inline uint16_t
sl_wmeter_tx(struct sl_wctx *w, uint16_t slot, struct rte_mbuf **pkts, uint16_t n)
{
	struct sl_meter *m = w->egress[slot];

	if (likely(m == NULL))
		return n;
	return (uint16_t)sl_meter_police(m, pkts, n, rte_rdtsc(),
					 &w->mcnt[SL_METER_SLOT_EGRESS(slot)]);
}

/*
 * Run @n (<= SL_BURST) packets of one flow through the meter its meter:N
 * action was bound to (@slot); returns the mask of those that pass.
 */
static inline uint64_t
sl_wmeter_flow(struct sl_wctx *w, uint16_t slot, struct rte_mbuf *const *pkts, uint16_t n)
{
	if (unlikely(slot < SL_METER_SLOT_OF0 || slot >= SL_METER_SLOTS))
		return n >= 64 ? UINT64_MAX : (UINT64_C(1) << n) - 1; /* never bound */
	return sl_meter_run(&w->mz->m[slot], pkts, n, rte_rdtsc(), &w->mcnt[slot]);
}

#endif /* SL_METER_HOOKS_H */
