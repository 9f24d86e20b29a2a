/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker side of OpenFlow groups: which buckets of a group a packet
 * gets, and the group's counters.  forward.c runs the buckets' actions.
 * The group is read once per packet from its slot (acquire), so a packet
 * sees one whole version of it; the primary frees an old version only
 * after every worker has passed a quiescent state.
 */
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_memzone.h>

#include "group_hooks.h"

void
sl_wgroup_attach(struct sl_wctx *w)
{
	const struct rte_memzone *mz = rte_memzone_lookup(SL_GROUP_ZONE);

	if (mz == NULL)
		rte_exit(2, "sluice-worker: no group table (%s): is sluice-primary of the same "
			    "version?\n", rte_strerror(rte_errno));
	w->gz = mz->addr;
}

/* A fast_failover bucket is live while its watch port is a port this
 * worker can send on and whose link is up (a vhost port: its guest's driver). */
static inline bool
port_live(const struct sl_wctx *w, uint16_t ofport)
{
	uint8_t slot = w->shm->ofport_to_slot[ofport];

	return slot != SL_NO_SLOT && w->ports[slot].active &&
	       !__atomic_load_n(&w->shm->ports[slot].link_down, __ATOMIC_RELAXED);
}

unsigned int
sl_wgroup_pick(struct sl_wctx *w, uint16_t slot, const struct sl_flow_key *key, uint32_t len,
	       const struct sl_group **gp, uint8_t *buckets)
{
	const struct sl_group *g = slot < SL_MAX_GROUPS
					   ? __atomic_load_n(&w->gz->slot[slot], __ATOMIC_ACQUIRE)
					   : NULL;
	struct sl_group_counter *cnt;
	unsigned int n = 0;
	int b;

	*gp = g;
	if (unlikely(g == NULL))
		return 0; /* deleted under an old classifier snapshot: dropped */
	cnt = w->gz->cnt[w->id][slot];
	switch (g->type) {
	case SL_GROUP_ALL:
		for (n = 0; n < g->n_buckets; n++)
			buckets[n] = (uint8_t)n;
		break;
	case SL_GROUP_SELECT:
		b = sl_group_select(g, sl_group_hash(g, key));
		if (b >= 0)
			buckets[n++] = (uint8_t)b;
		break;
	case SL_GROUP_INDIRECT:
		if (g->n_buckets > 0)
			buckets[n++] = 0;
		break;
	case SL_GROUP_FF:
		for (unsigned int i = 0; i < g->n_buckets && n == 0; i++)
			if (port_live(w, g->b[i].watch_port))
				buckets[n++] = (uint8_t)i;
		break;
	}
	cnt[SL_GROUP_MAX_BUCKETS].packets++;
	cnt[SL_GROUP_MAX_BUCKETS].bytes += len;
	for (unsigned int i = 0; i < n; i++) {
		cnt[buckets[i]].packets++;
		cnt[buckets[i]].bytes += len;
	}
	return n;
}
