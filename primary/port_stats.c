/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port statistics for dump-ports: the device's counters (rte_eth_stats,
 * per queue where the PMD counts them), sluice's own drops under the names
 * Open vSwitch gives its custom statistics, the RFC 2819 frame-size
 * buckets under OVS's names where the PMD has them, and with --xstats
 * every extended statistic of the PMD.
 *
 * Workers count per port in their own shared-memory lines; a port's
 * counters are their sum less what the sum was when the port was added
 * (the slot may have served an earlier port).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>

#include "bond_conf.h"
#include "primary.h"
#include "primary_bond.h"
#include "xstats.h"

static void
sum_workers(unsigned int slot, struct sl_port_wstats *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (unsigned int w = 0; w < SL_MAX_WORKERS; w++) {
		const struct sl_port_wstats *s = &sl_p.shm->workers[w].port_stats[slot];

		sum->tx_mtu_exceeded_drops += s->tx_mtu_exceeded_drops;
		sum->tx_failure_drops += s->tx_failure_drops;
		sum->tx_retries += s->tx_retries;
		sum->rx_ip_csum_bad += s->rx_ip_csum_bad;
		sum->rx_l4_csum_bad += s->rx_l4_csum_bad;
	}
}

static uint64_t
sum_tx_dropped(unsigned int slot)
{
	uint64_t sum = 0;

	for (unsigned int w = 0; w < SL_MAX_WORKERS; w++)
		sum += sl_p.shm->workers[w].port_tx_dropped[slot];
	return sum;
}

void
sl_port_stats_baseline(unsigned int slot)
{
	sum_workers(slot, &sl_p.ports[slot].wstats_base);
	sl_p.ports[slot].tx_dropped_base = sum_tx_dropped(slot);
}

/* What the workers counted for the port in @slot since it was added. */
static void
port_wstats(unsigned int slot, struct sl_port_wstats *now)
{
	const struct sl_port_wstats *b = &sl_p.ports[slot].wstats_base;

	sum_workers(slot, now);
	now->tx_mtu_exceeded_drops -= b->tx_mtu_exceeded_drops;
	now->tx_failure_drops -= b->tx_failure_drops;
	now->tx_retries -= b->tx_retries;
	now->rx_ip_csum_bad -= b->rx_ip_csum_bad;
	now->rx_l4_csum_bad -= b->rx_l4_csum_bad;
}

static Sluice__QueueStats *
queue_stats(uint32_t q, uint64_t packets, uint64_t bytes, uint64_t errors)
{
	Sluice__QueueStats *qs = malloc(sizeof(*qs));

	if (qs != NULL) {
		sluice__queue_stats__init(qs);
		qs->queue = q;
		qs->packets = packets;
		qs->bytes = bytes;
		qs->errors = errors;
	}
	return qs;
}

/* Per-queue counters, if the PMD fills them (they add up to something). */
static int
add_queues(Sluice__PortStats *ps, const struct sl_port *p, const struct rte_eth_stats *st)
{
	unsigned int n_rx = RTE_MIN(p->n_rxq, (uint16_t)RTE_ETHDEV_QUEUE_STAT_CNTRS);
	unsigned int n_tx = RTE_MIN(p->n_txq, (uint16_t)RTE_ETHDEV_QUEUE_STAT_CNTRS);
	uint64_t rx = 0, tx = 0;

	for (unsigned int q = 0; q < n_rx; q++)
		rx += st->q_ipackets[q];
	for (unsigned int q = 0; q < n_tx; q++)
		tx += st->q_opackets[q];
	if (rx != 0 || st->ipackets == 0) {
		ps->rxq = calloc(n_rx ? n_rx : 1, sizeof(*ps->rxq));
		if (ps->rxq == NULL)
			return -ENOMEM;
		for (unsigned int q = 0; q < n_rx; q++) {
			ps->rxq[q] = queue_stats(q, st->q_ipackets[q], st->q_ibytes[q], st->q_errors[q]);
			if (ps->rxq[q] == NULL)
				return -ENOMEM;
			ps->n_rxq++;
		}
	}
	if (tx != 0 || st->opackets == 0) {
		ps->txq = calloc(n_tx ? n_tx : 1, sizeof(*ps->txq));
		if (ps->txq == NULL)
			return -ENOMEM;
		for (unsigned int q = 0; q < n_tx; q++) {
			ps->txq[q] = queue_stats(q, st->q_opackets[q], st->q_obytes[q], 0);
			if (ps->txq[q] == NULL)
				return -ENOMEM;
			ps->n_txq++;
		}
	}
	return 0;
}

static int
add_xstat(Sluice__PortStats *ps, size_t *cap, const char *name, uint64_t value)
{
	Sluice__Xstat *x;

	if (ps->n_xstats == *cap) {
		size_t ncap = *cap ? 2 * *cap : 32;
		Sluice__Xstat **arr = realloc(ps->xstats, ncap * sizeof(*arr));

		if (arr == NULL)
			return -ENOMEM;
		ps->xstats = arr;
		*cap = ncap;
	}
	x = malloc(sizeof(*x));
	if (x == NULL)
		return -ENOMEM;
	sluice__xstat__init(x);
	x->name = strdup(name);
	x->value = value;
	ps->xstats[ps->n_xstats++] = x;
	return x->name != NULL ? 0 : -ENOMEM;
}

/* sluice's counters, the size buckets, then the PMD's own counters. */
static int
add_xstats(Sluice__PortStats *ps, unsigned int slot)
{
	const struct sl_port *p = &sl_p.shm->ports[slot];
	uint64_t buckets[2][SL_RFC2819_BUCKETS] = { { 0 } };
	bool has_buckets[2] = { false, false }, tx;
	struct rte_eth_xstat_name *names = NULL;
	struct rte_eth_xstat *vals = NULL;
	struct sl_port_wstats ws;
	size_t cap = 0;
	int n, rc = 0;

	port_wstats(slot, &ws);
	rc |= add_xstat(ps, &cap, "tx_mtu_exceeded_drops", ws.tx_mtu_exceeded_drops);
	rc |= add_xstat(ps, &cap, "tx_qos_drops", ps->tx_qos_drops);
	rc |= add_xstat(ps, &cap, "rx_qos_drops", ps->rx_qos_drops);
	rc |= add_xstat(ps, &cap, "tx_failure_drops",
			ws.tx_failure_drops + sl_p.bridge_dropped[slot]);
	rc |= add_xstat(ps, &cap, "tx_retries", ws.tx_retries + sl_p.bridge_tx_retries[slot]);
	rc |= add_xstat(ps, &cap, "rx_ip_csum_bad", ws.rx_ip_csum_bad);
	rc |= add_xstat(ps, &cap, "rx_l4_csum_bad", ws.rx_l4_csum_bad);
	if (p->bridged)
		rc |= add_xstat(ps, &cap, "rx_bridge_drops", sl_p.bridge_rx_dropped[slot]);
	if (rc != 0)
		return -ENOMEM;

	n = rte_eth_xstats_get_names(p->port_id, NULL, 0);
	if (n <= 0)
		return 0; /* no extended statistics: ours are all there is */
	names = calloc(n, sizeof(*names));
	vals = calloc(n, sizeof(*vals));
	if (names == NULL || vals == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if (rte_eth_xstats_get_names(p->port_id, names, n) != n ||
	    rte_eth_xstats_get(p->port_id, vals, n) != n)
		goto out; /* the set changed under us: leave the PMD's out this time */
	for (int i = 0; i < n; i++) {
		int b = sl_xstat_rfc2819_bucket(names[vals[i].id].name, &tx);

		if (b >= 0) {
			buckets[tx][b] += vals[i].value;
			has_buckets[tx] = true;
		}
	}
	for (int t = 0; t < 2; t++)
		for (int b = 0; has_buckets[t] && b < SL_RFC2819_BUCKETS; b++)
			rc |= add_xstat(ps, &cap, sl_rfc2819_name(t, b), buckets[t][b]);
	for (int i = 0; i < n && rc == 0; i++)
		if (sl_xstat_rfc2819_bucket(names[vals[i].id].name, &tx) < 0)
			rc = add_xstat(ps, &cap, names[vals[i].id].name, vals[i].value);
	rc = rc ? -ENOMEM : 0;
out:
	free(names);
	free(vals);
	return rc;
}

/* A bond counts what its members count, as Linux bonding does (it has no device of its own). */
static int
bond_stats(Sluice__PortStats *ps, unsigned int slot)
{
	unsigned int members[SL_BOND_MAX_MEMBERS], n = sl_bond_members(slot, members);

	for (unsigned int i = 0; i < n; i++) {
		Sluice__PortStats *m = malloc(sizeof(*m));
		int rc;

		if (m == NULL)
			return -ENOMEM;
		sluice__port_stats__init(m);
		rc = sl_port_stats_fill(m, members[i], false);
		if (rc == 0) {
			ps->rx_packets += m->rx_packets;
			ps->rx_bytes += m->rx_bytes;
			ps->rx_dropped += m->rx_dropped;
			ps->rx_errors += m->rx_errors;
			ps->tx_packets += m->tx_packets;
			ps->tx_bytes += m->tx_bytes;
			ps->tx_dropped += m->tx_dropped;
			ps->tx_errors += m->tx_errors;
			ps->tx_qos_drops += m->tx_qos_drops;
			ps->rx_qos_drops += m->rx_qos_drops;
		}
		sluice__port_stats__free_unpacked(m, NULL);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int
sl_port_stats_fill(Sluice__PortStats *ps, unsigned int slot, bool xstats)
{
	const struct sl_port *p = &sl_p.shm->ports[slot];
	const struct sl_port_priv *pp = &sl_p.ports[slot];
	struct rte_eth_stats st;
	int rc;

	ps->name = strdup(p->name);
	if (ps->name == NULL)
		return -ENOMEM;
	ps->ofport = p->ofport;
	if (sl_bond_is_bond(slot))
		return bond_stats(ps, slot);
	if (rte_eth_stats_get(p->port_id, &st) == 0) {
		ps->rx_packets = st.ipackets;
		ps->rx_bytes = st.ibytes;
		ps->rx_dropped = st.imissed + st.rx_nombuf;
		ps->rx_errors = st.ierrors;
		ps->tx_packets = st.opackets;
		ps->tx_bytes = st.obytes;
		ps->tx_errors = st.oerrors;
		rc = add_queues(ps, p, &st);
		if (rc < 0)
			return rc;
	}
	/* net_tap's frames longer than it sends, written around it. */
	ps->tx_packets += __atomic_load_n(&pp->tap_big_pkts, __ATOMIC_RELAXED);
	ps->tx_bytes += __atomic_load_n(&pp->tap_big_bytes, __ATOMIC_RELAXED);
	ps->rx_dropped += p->bridged ? sl_p.bridge_rx_dropped[slot] : 0;
	/* Whatever a worker dropped on its way out: queue full, MTU, QoS. */
	ps->tx_dropped = sl_p.bridge_dropped[slot] + sum_tx_dropped(slot) - pp->tx_dropped_base;
	/* Policer drops are drops too, as in Open vSwitch (its ovs_tx_qos_drops). */
	sl_qos_port_drops(slot, &ps->tx_qos_drops, &ps->rx_qos_drops);
	ps->tx_dropped += ps->tx_qos_drops;
	ps->rx_dropped += ps->rx_qos_drops;
	return xstats ? add_xstats(ps, slot) : 0;
}
