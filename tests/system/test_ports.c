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
		cr_assert_neq(inst_port_counts(&in, "src2", &src2), 0,
			      "round %d: src2 is still listed after del-port", round);
		usleep(100000);
		after = counts("sink");
		cr_assert_gt(after.tx_packets, before.tx_packets + 1000,
			     "forwarding stalled after the removal");
	}
	inst_stop(&in);
}

/*
 * A peer DPDK process stands in for a VM or container: dpdk-testpmd in
 * txonly mode on a virtio-user (vhost-user) or memif client port sends
 * into sluice, which forwards everything to a sink.
 */
static void
peer_sends_through(const char *name, const char *sluice_devargs, const char *peer_vdev,
		   const char *sock)
{
	static const char *const table[] = { "in_port=1,actions=output:2" };
	struct port_counts sink;
	struct worker_counts wc;
	char err[512], cmd[1024];

	inst_start(&in, name, 1);
	unlink(sock);
	must_add("sink", "net_null_pk,no-rx=1", 2);
	must_flows(table, 1);
	must_add("peer", sluice_devargs, 1);
	/* virtio-user needs its memory in few segments (--single-file-segments). */
	snprintf(cmd, sizeof(cmd),
		 "timeout -s INT -k 5 3 dpdk-testpmd --no-pci --file-prefix=%s_peer "
		 "--single-file-segments -l 0,1 --log-level=lib.eal:error --vdev=%s -- "
		 "--forward-mode=txonly --auto-start > %s 2>&1; rm -f /dev/hugepages/%s_peermap_*; "
		 "rm -rf /var/run/dpdk/%s_peer",
		 in.prefix, peer_vdev, inst_path(&in, "peer.log"), in.prefix, in.prefix);
	cr_assert_neq(system(cmd), -1);
	usleep(100000);
	sink = counts("sink");
	cr_assert_eq(inst_worker_counts(&in, 0, &wc), 0);
	cr_assert_gt(sink.tx_packets, 10000, "the sink got %lu packets from the peer",
		     (unsigned long)sink.tx_packets);
	cr_assert_eq(sink.tx_packets, wc.tx_packets, "forwarded %lu, sink sent %lu",
		     (unsigned long)wc.tx_packets, (unsigned long)sink.tx_packets);
	cr_assert_eq(inst_del_port(&in, "peer", err, sizeof(err)), 0, "%s", err);
	unlink(sock);
}

Test(ports, vhost_user_port_carries_a_virtio_user_peers_traffic)
{
	peer_sends_through("vhost", "net_vhost_t0,iface=/tmp/sltest-vhu0",
			   "net_virtio_user0,path=/tmp/sltest-vhu0", "/tmp/sltest-vhu0");
	inst_stop(&in);
}

Test(ports, memif_port_carries_a_memif_peers_traffic)
{
	peer_sends_through("memif", "net_memif_t0,role=server,socket=/tmp/sltest-memif.sock",
			   "net_memif0,role=client,socket=/tmp/sltest-memif.sock",
			   "/tmp/sltest-memif.sock");
	inst_stop(&in);
}

/*
 * A read-only pcap port with infinite_rx is polled by the worker itself,
 * with the primary's infinite-rx burst function: traffic keeps coming
 * far beyond the file's length.
 */
Test(ports, read_only_pcap_with_infinite_rx_is_polled_by_the_worker)
{
	static const char *const table[] = { "in_port=1,actions=output:2" };
	struct frame f[4];
	struct port_counts sink;
	char devargs[256];

	inst_start(&in, "pcapinf", 1);
	for (int i = 0; i < 4; i++)
		frame_udp(&f[i], "00:00:00:00:00:01", "00:00:00:00:00:02", -1, "10.0.0.1", "10.0.0.2",
			  1000 + i, 80, 64);
	pcap_write_frames(inst_path(&in, "in.pcap"), f, 4);
	must_add("sink", "net_null_pik,no-rx=1", 2);
	must_flows(table, 1);
	snprintf(devargs, sizeof(devargs), "net_pcap_pi,rx_pcap=%s,infinite_rx=1",
		 inst_path(&in, "in.pcap"));
	must_add("src", devargs, 1);
	{
		Sluice__Reply *rep = NULL;
		char err[256];

		cr_assert_eq(inst_call_empty(&in, SLUICE__REQUEST__CMD_SHOW,
					     &rep, err, sizeof(err)), 0, "%s", err);
		for (size_t i = 0; i < rep->n_ports; i++)
			if (strcmp(rep->ports[i]->name, "src") == 0)
				cr_assert(!rep->ports[i]->bridged, "the read-only pcap port is bridged");
		sluice__reply__free_unpacked(rep, NULL);
	}
	usleep(300000);
	sink = counts("sink");
	cr_assert_gt(sink.tx_packets, 100000, "a 4-packet file replayed only %lu times",
		     (unsigned long)sink.tx_packets);
	inst_stop(&in);
}
