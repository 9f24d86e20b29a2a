/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>
#include <string.h>

#include "rxq_sched.h"

/* Workers in order of core (the order Open vSwitch deals in), ties by slot. */
static void
order_workers(const struct sl_sched *s, unsigned int *ord)
{
	for (unsigned int i = 0; i < s->n_workers; i++)
		ord[i] = i;
	for (unsigned int i = 1; i < s->n_workers; i++)
		for (unsigned int j = i; j > 0; j--) {
			const struct sl_sched_worker *a = &s->w[ord[j - 1]], *b = &s->w[ord[j]];

			if ((unsigned int)a->core <= (unsigned int)b->core)
				break;
			unsigned int t = ord[j];
			ord[j] = ord[j - 1];
			ord[j - 1] = t;
		}
}

/* The state of a deal over the workers: next index and direction. */
struct deal {
	unsigned int ord[SL_MAX_WORKERS];
	unsigned int n;
	unsigned int cur;
	bool up;
};

static bool
can_take(const struct sl_sched_worker *w)
{
	return w->takes_unpinned && !w->isolated;
}

/* The worker at the deal's position, then move on (up and down, or wrapping). */
static unsigned int
deal_step(struct deal *d, bool updown)
{
	unsigned int at = d->cur;

	if (d->up) {
		if (d->cur + 1 == d->n) {
			if (updown)
				d->up = false;
			else
				d->cur = 0;
		} else {
			d->cur++;
		}
	} else if (d->cur == 0) {
		d->up = true;
	} else {
		d->cur--;
	}
	return d->ord[at];
}

static int
deal_next(struct sl_sched *s, struct deal *d, bool updown)
{
	/* An up-down walk may return a worker twice before it has returned
	 * them all: twice the number of workers steps see each of them. */
	for (unsigned int i = 0; i < 2 * d->n; i++) {
		unsigned int w = deal_step(d, updown);

		if (can_take(&s->w[w]))
			return (int)w;
	}
	return -1;
}

static int
least_loaded(const struct sl_sched *s, const struct deal *d, bool by_cycles)
{
	int best = -1;

	for (unsigned int i = 0; i < d->n; i++) {
		const struct sl_sched_worker *w = &s->w[d->ord[i]];

		if (!can_take(w))
			continue;
		if (best < 0 || (by_cycles ? w->load < s->w[best].load : w->n_rxq < s->w[best].n_rxq))
			best = (int)d->ord[i];
	}
	return best;
}

static int
find_core(const struct sl_sched *s, const struct deal *d, int core)
{
	for (unsigned int i = 0; i < d->n; i++)
		if (s->w[d->ord[i]].core == core)
			return (int)d->ord[i];
	return -1;
}

static void
give(struct sl_sched *s, struct sl_sched_rxq *q, int w)
{
	q->worker = w;
	q->why = SL_SCHED_POLLED;
	s->w[w].load += q->cycles;
	s->w[w].n_rxq++;
}

static int
cmp_cycles(const void *a, const void *b)
{
	const struct sl_sched_rxq *x = *(struct sl_sched_rxq *const *)a;
	const struct sl_sched_rxq *y = *(struct sl_sched_rxq *const *)b;

	if (x->cycles != y->cycles)
		return x->cycles < y->cycles ? 1 : -1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int
cmp_order(const void *a, const void *b)
{
	const struct sl_sched_rxq *x = *(struct sl_sched_rxq *const *)a;
	const struct sl_sched_rxq *y = *(struct sl_sched_rxq *const *)b;

	return x->order < y->order ? -1 : x->order > y->order;
}

void
sl_sched_assign(struct sl_sched *s, enum sl_rxq_assign algo, bool isolate)
{
	static struct sl_sched_rxq *todo[SL_SCHED_MAX_RXQS];
	struct deal d = { .n = s->n_workers, .cur = 0, .up = true };
	unsigned int n_todo = 0;

	order_workers(s, d.ord);
	for (unsigned int i = 0; i < s->n_workers; i++) {
		s->w[i].isolated = false;
		s->w[i].load = 0;
		s->w[i].n_rxq = 0;
	}
	/* Pinned queues first: they decide which workers are isolated. */
	for (unsigned int i = 0; i < s->n_rxqs; i++) {
		struct sl_sched_rxq *q = &s->q[i];
		int w;

		q->worker = -1;
		if (q->pin < 0) {
			todo[n_todo++] = q;
			continue;
		}
		w = find_core(s, &d, q->pin);
		if (w < 0) {
			q->why = SL_SCHED_NO_WORKER_ON_CORE;
			continue;
		}
		s->w[w].isolated |= isolate;
		give(s, q, w);
	}
	qsort(todo, n_todo, sizeof(todo[0]), algo == SL_RXQ_ASSIGN_ROUNDROBIN ? cmp_order
									   : cmp_cycles);
	for (unsigned int i = 0; i < n_todo; i++) {
		struct sl_sched_rxq *q = todo[i];
		int w;

		if (algo == SL_RXQ_ASSIGN_GROUP)
			w = least_loaded(s, &d, q->cycles != 0);
		else
			w = deal_next(s, &d, algo == SL_RXQ_ASSIGN_CYCLES);
		if (w < 0)
			q->why = SL_SCHED_NO_FREE_WORKER;
		else
			give(s, q, w);
	}
}

void
sl_sched_tally(struct sl_sched *s, bool isolate)
{
	for (unsigned int i = 0; i < s->n_workers; i++) {
		s->w[i].isolated = false;
		s->w[i].load = 0;
		s->w[i].n_rxq = 0;
	}
	for (unsigned int i = 0; i < s->n_rxqs; i++) {
		struct sl_sched_rxq *q = &s->q[i];

		if (q->worker < 0 || (unsigned int)q->worker >= s->n_workers)
			continue;
		if (q->pin >= 0)
			s->w[q->worker].isolated |= isolate;
		s->w[q->worker].load += q->cycles;
		s->w[q->worker].n_rxq++;
	}
}

uint64_t
sl_sched_variance(const struct sl_sched *s)
{
	uint64_t pct[SL_MAX_WORKERS], sum = 0, mean, sq = 0;
	unsigned int n = 0;

	for (unsigned int i = 0; i < s->n_workers; i++) {
		const struct sl_sched_worker *w = &s->w[i];

		if (w->isolated)
			continue;
		pct[n] = w->window ? w->load * 100 / w->window : 0;
		sum += pct[n++];
	}
	if (n == 0 || sum == 0)
		return 0;
	mean = sum / n;
	for (unsigned int i = 0; i < n; i++) {
		int64_t diff = (int64_t)pct[i] - (int64_t)mean;

		sq += (uint64_t)(diff * diff);
	}
	return sq / n;
}
