/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker side of packet capture (see common/capture.h).  The hooks cost
 * one predictable branch per burst while no capture covers the port and
 * direction; the work is out of line in capture.c.
 */
#ifndef SL_CAPTURE_HOOKS_H
#define SL_CAPTURE_HOOKS_H

#include <rte_branch_prediction.h>
#include <rte_mbuf.h>

#include "capture.h"
#include "worker.h"

/* Reload the sessions (and their filters) from the capture zone. */
void sl_capture_refresh(struct sl_wctx *w);

/* Copy the packets of @pkts that session filters accept; never blocks. */
void sl_capture_copy(struct sl_wctx *w, uint16_t slot, uint8_t dir, struct rte_mbuf **pkts,
		     uint16_t n);

/*
 * Refresh when the zone's generation moved (one atomic load per loop) or
 * the port table did: called after the ports are refreshed and before they
 * are polled, so a newly added port is captured from its first burst.
 */
static inline void
sl_capture_check(struct sl_wctx *w)
{
	if (unlikely(w->cap_gen_ptr == NULL ||
		     __atomic_load_n(w->cap_gen_ptr, __ATOMIC_ACQUIRE) != w->cap_gen ||
		     w->cap_ports_gen != w->ports_gen))
		sl_capture_refresh(w);
}

/* Mirror a received burst on port slot @slot, before it is processed. */
static inline void
sl_capture_rx(struct sl_wctx *w, uint16_t slot, struct rte_mbuf **pkts, uint16_t n)
{
	if (unlikely(w->cap_rx_ports & (1u << slot)))
		sl_capture_copy(w, slot, SL_CAP_RX, pkts, n);
}

/* Mirror a burst about to be sent on port slot @slot. */
static inline void
sl_capture_tx(struct sl_wctx *w, uint16_t slot, struct rte_mbuf **pkts, uint16_t n)
{
	if (unlikely(w->cap_tx_ports & (1u << slot)))
		sl_capture_copy(w, slot, SL_CAP_TX, pkts, n);
}

#endif /* SL_CAPTURE_HOOKS_H */
