/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker's view of the meter table: its counter row, and which of the
 * ports it sends on and polls have a policer.  Refreshed when the primary
 * sets or clears a policer (the table's generation) or the ports change.
 */
#include <rte_eal.h>
#include <rte_errno.h>

#include "meter_hooks.h"

void
sl_wmeter_attach(struct sl_wctx *w)
{
	w->mz = sl_meter_zone_lookup();
	if (w->mz == NULL) {
		rte_exit(2, "sluice-worker: no meter table (%s): is sluice-primary of the same "
			    "version?\n", rte_strerror(rte_errno));
		return; /* not reached: for checkers that do not know rte_exit */
	}
	w->mcnt = w->mz->cnt[w->id];
	w->mz_gen = __atomic_load_n(&w->mz->gen, __ATOMIC_ACQUIRE) - 1; /* refresh at once */
}

void
sl_wmeter_refresh(struct sl_wctx *w)
{
	struct sl_meter_zone *z = w->mz;

	w->mz_gen = __atomic_load_n(&z->gen, __ATOMIC_ACQUIRE);
	w->mz_ports_gen = w->ports_gen;
	for (unsigned int s = 0; s < SL_MAX_PORTS; s++) {
		const struct sl_wport *wp = &w->ports[s];
		struct sl_meter *eg = &z->m[SL_METER_SLOT_EGRESS(s)];
		struct sl_meter *in = &z->m[SL_METER_SLOT_INGRESS(s)];
		bool direct = wp->active && !wp->bridged;

		w->egress[s] = direct && sl_meter_on(eg) ? eg : NULL;
		w->ingress[s] = direct && sl_meter_on(in) ? in : NULL;
	}
}
