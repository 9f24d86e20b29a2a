/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worker slots, lcore ids and RCU thread ids: one scheme, used by sluiced
 * (which starts workers with --lcores ID@CPU), the workers (which register
 * with RCU) and the primary.  Worker slot N runs with lcore id 1 + N (the
 * primary has 0); a replacement that runs beside it for a moment during a
 * planned restart takes the slot's other id, 1 + N + SL_MAX_WORKERS, and
 * the next replacement the first one again.  Lcore ids index the per-lcore
 * mempool caches in shared memory, so two live processes never share one.
 * RCU thread ids follow the same alternation: N and N + SL_MAX_WORKERS.
 */
#ifndef SL_SLOTS_H
#define SL_SLOTS_H

#include <stdbool.h>

#include "flow.h"

/* Lcore id of worker slot @slot, or of the slot's other incarnation. */
static inline unsigned int
sl_worker_lcore(unsigned int slot, bool other)
{
	return 1 + slot + (other ? SL_MAX_WORKERS : 0);
}

/* RCU thread id of worker slot @slot, or of the slot's other incarnation. */
static inline unsigned int
sl_worker_rcu_id(unsigned int slot, bool other)
{
	return slot + (other ? SL_MAX_WORKERS : 0);
}

/* The id a replacement takes when the running incarnation has @lcore. */
static inline bool
sl_worker_other(unsigned int slot, unsigned int lcore)
{
	return lcore == sl_worker_lcore(slot, false);
}

#endif /* SL_SLOTS_H */
