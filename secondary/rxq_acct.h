/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Processing cycles per rx queue, as Open vSwitch measures them for
 * pmd-rxq-show and cycle-based assignment: the cycles from the poll of a
 * queue that returned packets to the end of their processing are that
 * queue's.  Counted in private memory on the packet path (one TSC read per
 * burst), published to the worker's own records in shared memory
 * (struct sl_rxq_stats) with the other counters, and cut into intervals of
 * SL_PMD_INTERVAL_MS of which the last SL_PMD_INTERVALS are kept.
 *
 * Built with -Drxq_cycles=false the packet path does none of it (for
 * measuring what it costs); the intervals then hold zeros.
 */
#ifndef SL_RXQ_ACCT_H
#define SL_RXQ_ACCT_H

#include <rte_cycles.h>

#include "worker.h"

#ifndef SL_RXQ_CYCLES
#define SL_RXQ_CYCLES 1
#endif

/* One poll round over a worker's queues: the time, and which queues got
 * packets (the output flush at its end is theirs). */
struct sl_rxq_round {
	uint64_t t;
	uint32_t packets;
	uint16_t n;
	struct sl_wrxq_acct *acct[SL_MAX_RXQ];
	uint16_t pkts[SL_MAX_RXQ];
};

/* A round starts where the worker's loop took its last time (w->loop_tsc):
 * the few cycles of its refresh go to the first queue with packets, and no
 * TSC read is spent on a round that finds none. */
static inline void
sl_rxq_round_start(struct sl_rxq_round *r, const struct sl_wctx *w)
{
#if SL_RXQ_CYCLES
	r->t = w->loop_tsc;
	r->n = 0;
	r->packets = 0;
#else
	(void)r, (void)w;
#endif
}

/*
 * A burst of @n packets from the queue of @acct is processed: it gets the
 * cycles since the last mark, and the mark moves to now.  (Empty polls
 * before it in the round are charged to it: they cost a few dozen cycles,
 * less than a TSC read after each of them would.)
 */
static inline void
sl_rxq_account(struct sl_rxq_round *r, struct sl_wrxq_acct *acct, uint16_t n)
{
#if SL_RXQ_CYCLES
	uint64_t now = rte_rdtsc();

	acct->cycles += now - r->t;
	acct->packets += n;
	r->t = now;
	if (likely(r->n < SL_MAX_RXQ)) {
		r->acct[r->n] = acct;
		r->pkts[r->n++] = n;
		r->packets += n;
	}
#else
	(void)r, (void)acct, (void)n;
#endif
}

/*
 * The round's buffered packets were sent: the queues they came from share
 * the cycles, by their packets, as Open vSwitch shares an output flush.
 * The time read here is the loop's too (w->loop_tsc).
 */
static inline void
sl_rxq_round_flushed(struct sl_rxq_round *r, struct sl_wctx *w)
{
#if SL_RXQ_CYCLES
	uint64_t now = rte_rdtsc(), cycles = now - r->t;

	w->loop_tsc = now;
	if (likely(r->n == 1)) {
		r->acct[0]->cycles += cycles;
		return;
	}
	for (uint16_t i = 0; i < r->n; i++)
		r->acct[i]->cycles += cycles * r->pkts[i] / r->packets;
#else
	(void)r, (void)w;
#endif
}

/* The time at the end of a loop iteration that received @n packets. */
static inline uint64_t
sl_rxq_loop_now(const struct sl_wctx *w, unsigned int n)
{
#if SL_RXQ_CYCLES
	if (n != 0)
		return w->loop_tsc;
#endif
	(void)w, (void)n;
	return rte_rdtsc();
}

/* The slot is ours: carry on from what a previous incarnation counted. */
void sl_rxq_acct_attach(struct sl_wctx *w);

/* After the ports were refreshed: a port restarted or replaced starts from zero. */
void sl_rxq_acct_ports(struct sl_wctx *w);

/* Copy the private counters of the queues we poll to our shared records. */
void sl_rxq_acct_publish(struct sl_wctx *w);

/* Close the interval that ended at TSC @now if it did (one compare otherwise). */
void sl_rxq_acct_interval_end(struct sl_wctx *w, uint64_t now);

static inline void
sl_rxq_acct_tick(struct sl_wctx *w, uint64_t now)
{
	if (unlikely(now >= w->intrvl_next))
		sl_rxq_acct_interval_end(w, now);
}

#endif /* SL_RXQ_ACCT_H */
