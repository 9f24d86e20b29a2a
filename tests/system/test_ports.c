/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port kinds polled straight from a worker (net_null, net_ring) and
 * hotplug while traffic flows.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "instance.h"

static struct inst in;

static void
teardown(void)
{
	inst_stop(&in);
}

TestSuite(ports, .fini = teardown, .timeout = 60);

static void
must_add(const char *name, const char *devargs, uint32_t ofport)
{
	char err[512];

	cr_assert_eq(inst_add_port(&in, name, devargs, ofport, err, sizeof(err)), 0,
		     "add-port %s: %s", name, err);
}

static void
must_flows(const char *const *f, size_t n)
{
	char err[512];

	cr_assert_eq(inst_flows(&in, "add", f, n, err, sizeof(err)), 0, "add-flows: %s", err);
}

static struct port_counts
counts(const char *name)
{
	struct port_counts pc;

	cr_assert_eq(inst_port_counts(&in, name, &pc), 0, "dump-ports %s", name);
	return pc;
}

/*
 * net_null generates, net_ring carries (its tx queue i loops back to its rx
 * queue i; the worker transmits on queue 1, so the port gets two rx
 * queues), net_null,no-rx=1 sinks: every packet the ring received reaches
 * the sink.
 */
Test(ports, null_and_ring_ports_forward_from_a_worker)
{
	static const char *const table[] = {
		"in_port=1,actions=output:2",
		"in_port=2,actions=output:3",
	};
	struct port_counts ring, sink;
	struct worker_counts wc;
	char err[256];

	inst_start(&in, "nullring", 1);
	must_add("sink", "net_null_sink_nr,no-rx=1", 3);
	cr_assert_eq(inst_add_port_rxq(&in, "ring", "net_ring_nr", 2, 2, err, sizeof(err)), 0,
		     "add-port ring: %s", err);
	must_flows(table, 2);
	must_add("src", "net_null_src_nr", 1);
	usleep(300000);
	cr_assert_eq(inst_del_port(&in, "src", err, sizeof(err)), 0, "del-port src: %s", err);
	usleep(200000);
	ring = counts("ring");
	sink = counts("sink");
	cr_assert_gt(ring.rx_packets, 1000, "ring received %lu, sent %lu (dropped %lu), sink %lu",
		     (unsigned long)ring.rx_packets, (unsigned long)ring.tx_packets,
		     (unsigned long)ring.tx_dropped, (unsigned long)sink.tx_packets);
	cr_assert_eq(sink.tx_packets, ring.rx_packets, "sink sent %lu, ring received %lu",
		     (unsigned long)sink.tx_packets, (unsigned long)ring.rx_packets);
	cr_assert_eq(ring.tx_packets, ring.rx_packets, "the ring lost packets in between");
	cr_assert_eq(inst_worker_counts(&in, 0, &wc), 0);
	cr_assert_eq(wc.misses, 0);
	cr_assert_gt(wc.emc_hits, 0, "the exact-match cache never hit");
	inst_stop(&in);
}

/*
 * A port added while the worker forwards is polled at once (the worker's
 * copy of the device's queues predates the primary's configure), and
 * removing it while traffic flows leaves the other ports forwarding.
 */
Test(ports, hotplug_under_traffic_adds_and_removes_live_ports)
{
	static const char *const table[] = {
		"in_port=1,actions=output:3",
		"in_port=4,actions=output:3",
	};
	struct port_counts before, after, src2;
	char err[256];

	inst_start(&in, "hotplug", 1);
	must_add("sink", "net_null_sink_hp,no-rx=1", 3);
	must_flows(table, 2);
	must_add("src", "net_null_src_hp", 1);
	for (int round = 0; round < 3; round++) {
		usleep(100000);
		must_add("src2", "net_null_src2_hp", 4);
		usleep(200000);
		src2 = counts("src2");
		cr_assert_gt(src2.rx_packets, 1000, "round %d: hot-added port polled only %lu",
			     round, (unsigned long)src2.rx_packets);
		before = counts("sink");
		cr_assert_eq(inst_del_port(&in, "src2", err, sizeof(err)), 0, "%s", err);
		usleep(100000);
		after = counts("sink");
		cr_assert_gt(after.tx_packets, before.tx_packets + 1000,
			     "forwarding stalled after the removal");
	}
	inst_stop(&in);
}
