/* SPDX-License-Identifier: BSD-3-Clause */
/* The worker side of bonds (common/bond.h); the work is in bond.c, forward.c calls these. */
#ifndef SL_BOND_HOOKS_H
#define SL_BOND_HOOKS_H

#include "bond.h"
#include "worker.h"

/* At start: find the bond zone (exits if the primary has none). */
void sl_wbond_attach(struct sl_wctx *w);

/* Port slot @slot's role (enum sl_bond_role), read when ports change. */
uint8_t sl_wbond_role(const struct sl_wctx *w, unsigned int slot);

/* The ofport packets received on slot @slot come in on: a member's are its bond's. */
uint16_t sl_wbond_rx_ofport(const struct sl_wctx *w, unsigned int slot, uint16_t ofport);

/*
 * A burst received on member slot @slot: slow-protocol frames go to the
 * primary (LACP), frames the bond does not admit on this member (a backup
 * in active-backup, a disabled member) are freed; the rest are compacted
 * in place.  Returns how many remain.
 */
uint16_t sl_wbond_rx(struct sl_wctx *w, unsigned int slot, struct rte_mbuf **pkts, uint16_t n);

/* The member slot of bond slot @slot that sends @m (counted in its bucket's load),
 * or SL_BOND_NONE: drop. */
unsigned int sl_wbond_tx(struct sl_wctx *w, unsigned int slot, const struct rte_mbuf *m);

#endif /* SL_BOND_HOOKS_H */
