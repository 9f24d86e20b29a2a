/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluicectl's printers for the workers, in the layout of Open vSwitch 3.x's
 * ovs-appctl dpif-netdev/pmd-stats-show and pmd-rxq-show, a worker being
 * a "pmd thread" named by its core.  What Open vSwitch has no line for
 * (queues left unpolled, auto load balancing's last decision, sluice's own
 * worker counters) follows in lines of the same kind.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "msg.h"
#include "sluicectl.h"
#include "util.h"

static double
ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

static void
pmd_header(const Sluice__WorkerInfo *w)
{
	if (w->core >= 0)
		printf("pmd thread numa_id %d core_id %d:\n", w->numa_id, w->core);
	else
		printf("pmd thread numa_id %d:\n", w->numa_id);
}

static void
print_pmd_stats(const Sluice__Reply *rep)
{
	for (size_t i = 0; i < rep->n_workers; i++) {
		const Sluice__WorkerInfo *w = rep->workers[i];
		uint64_t rx = w->rx_packets, total = w->busy_cycles + w->idle_cycles;

		pmd_header(w);
		printf("  packets received: %llu\n", (unsigned long long)rx);
		printf("  packet recirculations: %llu\n", (unsigned long long)w->recirculations);
		printf("  avg. datapath passes per packet: %.02f\n",
		       rx ? (double)(rx + w->recirculations) / (double)rx : 0.0);
		printf("  emc hits: %llu\n", (unsigned long long)w->emc_hits);
		/* OVS's megaflow hits are its classifier's; sluice's megaflow cache
		 * sits in front of the classifier, and its hits count here too. */
		printf("  megaflow hits: %llu\n", (unsigned long long)(w->cls_hits + w->mf_hits));
		printf("  avg. subtable lookups per megaflow hit: %.02f\n",
		       ratio(w->masked_lookups, w->cls_hits));
		printf("  miss (dropped): %llu\n", (unsigned long long)w->misses);
		printf("  avg. packets per output batch: %.02f\n",
		       ratio(w->tx_packets + w->tx_dropped, w->tx_batches));
		if (total != 0) {
			printf("  idle cycles: %llu (%.02f%%)\n", (unsigned long long)w->idle_cycles,
			       100.0 * ratio(w->idle_cycles, total));
			printf("  processing cycles: %llu (%.02f%%)\n",
			       (unsigned long long)w->busy_cycles, 100.0 * ratio(w->busy_cycles, total));
		}
		if (total != 0 && rx != 0) {
			printf("  avg cycles per packet: %.02f (%llu/%llu)\n", ratio(total, rx),
			       (unsigned long long)total, (unsigned long long)rx);
			printf("  avg processing cycles per packet: %.02f (%llu/%llu)\n",
			       ratio(w->busy_cycles, rx), (unsigned long long)w->busy_cycles,
			       (unsigned long long)rx);
		}
		/* sluice's own, after Open vSwitch's lines. */
		printf("  packets sent: %llu, tx dropped: %llu\n", (unsigned long long)w->tx_packets,
		       (unsigned long long)w->tx_dropped);
		printf("  megaflow cache hits: %llu, classifier lookups: %llu\n",
		       (unsigned long long)w->mf_hits, (unsigned long long)w->cls_hits);
		printf("  pipeline: cache hits %llu, table misses %llu, resubmit limit hit %llu, "
		       "dec_ttl drops %llu\n",
		       (unsigned long long)w->pcache_hits, (unsigned long long)w->table_misses,
		       (unsigned long long)w->resubmit_limit, (unsigned long long)w->ttl_dropped);
		printf("  worker %u: %s, pid %d, lcore %u, restarts %llu, mbufs reclaimed %llu, "
		       "lost %llu\n", w->id, sl_state_name(w->state), w->pid, w->lcore,
		       (unsigned long long)w->restarts, (unsigned long long)w->reclaimed_mbufs,
		       (unsigned long long)w->lost_mbufs);
	}
}
CTL_VERB(pmd_stats_show, NULL, print_pmd_stats)

static void
rxq_line(const Sluice__RxqInfo *q)
{
	printf("  port: %-16s  queue-id: %2u %s  pmd usage: ", q->port, q->queue, "(enabled) ");
	if (q->usage >= 0)
		printf("%2d %%\n", q->usage);
	else
		printf("NOT AVAIL\n");
}

static void
print_rxqs(const Sluice__Reply *rep)
{
	bool unpolled = false;

	if (rep->n_workers > 0)
		printf("Displaying last %u seconds pmd usage %%\n", rep->usage_secs);
	for (size_t i = 0; i < rep->n_workers; i++) {
		const Sluice__WorkerInfo *w = rep->workers[i];
		size_t n = 0;

		pmd_header(w);
		printf("  isolated : %s\n", w->isolated ? "true" : "false");
		if (w->state != SLUICE__PROC_STATE__PROC_RUNNING &&
		    w->state != SLUICE__PROC_STATE__PROC_HANDOFF)
			printf("  worker %u is not running (%s): its rx queues wait for it\n", w->id,
			       sl_state_name(w->state));
		for (size_t j = 0; j < rep->n_rxqs; j++) {
			const Sluice__RxqInfo *q = rep->rxqs[j];

			if (q->not_polled[0] != '\0' || q->worker != w->id)
				continue;
			rxq_line(q);
			n++;
		}
		if (n == 0)
			continue;
		if (w->overhead >= 0)
			printf("  overhead: %2d %%\n", w->overhead);
		else
			printf("  overhead: NOT AVAIL\n");
	}
	for (size_t j = 0; j < rep->n_rxqs; j++) {
		const Sluice__RxqInfo *q = rep->rxqs[j];

		if (q->not_polled[0] == '\0')
			continue;
		if (!unpolled)
			printf("not polled:\n");
		unpolled = true;
		printf("  port: %-16s  queue-id: %2u  (%s)\n", q->port, q->queue, q->not_polled);
	}
	if (rep->auto_lb[0] != '\0')
		printf("pmd-auto-lb: %s\n", rep->auto_lb);
}
/* [-pmd CORE] [-secs N], in any order, as ovs-appctl takes them. */
static void
build_rxq_show(struct sl_ctl *c, Sluice__Request *req)
{
	static Sluice__PmdRxqShow rs = SLUICE__PMD_RXQ_SHOW__INIT;
	char **args = c->args;
	int n = c->n_args;
	uint64_t v;

	for (int i = 0; i < n; i += 2) {
		if (i + 1 >= n || (strcmp(args[i], "-pmd") != 0 && strcmp(args[i], "-secs") != 0))
			die(2, "usage: sluicectl pmd-rxq-show [-pmd CORE] [-secs N]");
		if (sl_parse_u64(args[i + 1], 0, strcmp(args[i], "-pmd") == 0 ? 4095 : 3600, &v) < 0)
			die(2, "%s: \"%s\" is not a number", args[i], args[i + 1]);
		if (strcmp(args[i], "-pmd") == 0) {
			rs.by_core = true;
			rs.core = (uint32_t)v;
		} else {
			rs.secs = (uint32_t)v;
		}
	}
	req->pmd_rxq_show = &rs;
}
CTL_VERB(pmd_rxq_show, build_rxq_show, print_rxqs)
