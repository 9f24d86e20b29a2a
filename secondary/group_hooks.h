/* SPDX-License-Identifier: BSD-3-Clause */
/* The worker side of OpenFlow groups (common/group.h); the work is in groups.c. */
#ifndef SL_GROUP_HOOKS_H
#define SL_GROUP_HOOKS_H

#include <rte_branch_prediction.h>

#include "group.h"
#include "worker.h"

/* At start: find the group table (exits if the primary has none). */
void sl_wgroup_attach(struct sl_wctx *w);

/*
 * The buckets group slot @slot gives a packet with @key and @len bytes,
 * into @buckets (indices into (*gp)->b); counted.  0: none (no live
 * bucket, or the group is gone).
 */
unsigned int sl_wgroup_pick(struct sl_wctx *w, uint16_t slot, const struct sl_flow_key *key,
			    uint32_t len, const struct sl_group **gp, uint8_t *buckets);

#endif /* SL_GROUP_HOOKS_H */
