/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which worker polls which rx queue: Open vSwitch's scheduling of rx queues
 * to PMD threads (lib/dpif-netdev.c, 3.1) on plain data, so that it can be
 * tested alone and run twice for auto load balancing's dry run.
 *
 *  - A pinned queue (pmd-rxq-affinity) goes to the worker on its core, which
 *    becomes isolated (with pmd-rxq-isolate, the default): it polls pinned
 *    queues only.  No worker on that core: the queue is not polled (the
 *    seed's rule; Open vSwitch 3.1 hands it to another worker instead).
 *  - The other queues go to the workers that are not isolated; none: not
 *    polled.  roundrobin deals them in order of port and queue over the
 *    workers in order of core; cycles sorts them by measured processing
 *    cycles, busiest first, and deals them up and down the workers
 *    (1,2,3,3,2,1,...); group gives each, busiest first, to the worker with
 *    the least estimated load (the fewest queues while nothing is measured).
 */
#ifndef SL_RXQ_SCHED_H
#define SL_RXQ_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "flow.h"
#include "pmd.h"

#define SL_SCHED_MAX_RXQS (SL_MAX_PORTS * SL_MAX_RXQ)

struct sl_sched_worker {
	int core;            /* in: its core; -1: unknown (nothing is pinned to it) */
	bool takes_unpinned; /* in: may get queues that are not pinned (it runs) */
	uint64_t window;     /* in: its cycles over the history window (0: unknown) */
	bool isolated;       /* out */
	uint64_t load;       /* out: cycles of the queues it got */
	unsigned int n_rxq;  /* out */
};

enum sl_sched_why {
	SL_SCHED_POLLED = 0,
	SL_SCHED_NO_WORKER_ON_CORE, /* pinned to a core without a worker */
	SL_SCHED_NO_FREE_WORKER,    /* not pinned, and every worker is isolated (or none runs) */
};

struct sl_sched_rxq {
	uint16_t port;     /* in: port slot */
	uint16_t queue;    /* in */
	uint32_t order;    /* in: tie-break, lower first (ofport << 16 | queue) */
	int pin;           /* in: core it is pinned to; -1: none */
	uint64_t cycles;   /* in: measured processing cycles */
	int worker;        /* out: index in w[]; -1: not polled */
	enum sl_sched_why why; /* out */
};

struct sl_sched {
	unsigned int n_workers;
	struct sl_sched_worker w[SL_MAX_WORKERS];
	unsigned int n_rxqs;
	struct sl_sched_rxq q[SL_SCHED_MAX_RXQS];
};

/* Fill every out field of @s for algorithm @algo. */
void sl_sched_assign(struct sl_sched *s, enum sl_rxq_assign algo, bool isolate);

/* The out fields of the workers from q[].worker as the caller set them
 * (the assignment in force), pinned queues isolating as with @isolate. */
void sl_sched_tally(struct sl_sched *s, bool isolate);

/*
 * Variance of the load (%) of the workers that are not isolated, each the
 * cycles of its queues over its window, as Open vSwitch's dry run
 * compares a current and an estimated assignment.
 */
uint64_t sl_sched_variance(const struct sl_sched *s);

#endif /* SL_RXQ_SCHED_H */
