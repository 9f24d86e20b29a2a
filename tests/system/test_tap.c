/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_tap ports moved into network namespaces that the test creates: two
 * hosts ping each other and move TCP data through sluice's NORMAL action.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "instance.h"

static struct inst in;

static int
sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static void
teardown(void)
{
	sh("ip link del slafp_a 2>/dev/null; ip link del slafp_b 2>/dev/null; "
	   "ip netns pids sltap_a 2>/dev/null | xargs -r kill -9; "
	   "ip netns pids sltap_b 2>/dev/null | xargs -r kill -9; "
	   "ip netns del sltap_a 2>/dev/null; ip netns del sltap_b 2>/dev/null");
	inst_stop(&in);
}

TestSuite(tap, .fini = teardown, .timeout = 60);

static void
host(const char *ns, const char *iface, const char *addr)
{
	cr_assert_eq(sh("ip netns del %s 2>/dev/null; ip netns add %s && ip link set %s netns %s && "
			"ip -n %s addr add %s/24 dev %s && ip -n %s link set %s up && "
			"ip -n %s link set lo up",
			ns, ns, iface, ns, ns, addr, iface, ns, iface, ns),
		     0, "could not set up namespace %s", ns);
}

Test(tap, hosts_in_namespaces_ping_and_transfer_tcp_through_normal)
{
	static const char *const table[] = { "actions=NORMAL" };
	struct port_counts a, b;
	char err[512];

	inst_start(&in, "tapns", 1);
	cr_assert_eq(inst_add_port(&in, "ta", "net_tap_ta,iface=sltapa", 1, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(inst_add_port(&in, "tb", "net_tap_tb,iface=sltapb", 2, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(inst_flows(&in, "add", table, 1, err, sizeof(err)), 0, "%s", err);
	host("sltap_a", "sltapa", "198.51.100.1");
	host("sltap_b", "sltapb", "198.51.100.2");

	cr_assert_eq(sh("ip netns exec sltap_a ping -c 5 -i 0.2 -W 2 198.51.100.2 >/dev/null"), 0,
		     "ping through sluice failed");
	cr_assert_eq(sh("ip netns exec sltap_b iperf3 -s -1 -D -p 5299 && sleep 0.3 && "
			"ip netns exec sltap_a iperf3 -c 198.51.100.2 -p 5299 -n 4M "
			">/dev/null"),
		     0, "TCP transfer through sluice failed");
	cr_assert_eq(inst_port_counts(&in, "ta", &a), 0);
	cr_assert_eq(inst_port_counts(&in, "tb", &b), 0);
	/* 4 MB of TCP went from a to b: thousands of segments each way. */
	cr_assert_gt(a.rx_packets, 1000, "port ta received %lu", (unsigned long)a.rx_packets);
	cr_assert_gt(b.tx_packets, 1000, "port tb sent %lu", (unsigned long)b.tx_packets);
	inst_stop(&in);
}

/*
 * net_af_packet crashes a DPDK 22.11 secondary that probes it; sluice
 * attaches it in the primary only and bridges it, so it works: two hosts
 * behind veth pairs ping each other through it.
 */
Test(tap, af_packet_ports_on_veth_pairs_carry_traffic)
{
	static const char *const table[] = { "actions=NORMAL" };
	char err[512];

	inst_start(&in, "afp", 1);
	cr_assert_eq(sh("ip link add slafp_a type veth peer name slafp_ha && "
			"ip link add slafp_b type veth peer name slafp_hb && "
			"ip link set slafp_a up && ip link set slafp_b up"), 0);
	cr_assert_eq(inst_add_port(&in, "a", "net_af_packet_a,iface=slafp_a", 1, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(inst_add_port(&in, "b", "net_af_packet_b,iface=slafp_b", 2, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(inst_flows(&in, "add", table, 1, err, sizeof(err)), 0, "%s", err);
	host("sltap_a", "slafp_ha", "198.51.100.1");
	host("sltap_b", "slafp_hb", "198.51.100.2");
	cr_assert_eq(sh("ip netns exec sltap_a ping -c 3 -i 0.2 -W 2 198.51.100.2 >/dev/null"), 0,
		     "ping over af_packet ports failed");
	/* A worker restart must not touch the primary-only device. */
	kill(in.workers[0], SIGKILL);
	waitpid(in.workers[0], NULL, 0);
	inst_start_worker(&in, 0);
	cr_assert(inst_wait_worker(&in, 0, 5000), "worker did not come back");
	cr_assert_eq(sh("ip netns exec sltap_a ping -c 2 -i 0.2 -W 2 198.51.100.2 >/dev/null"), 0,
		     "ping failed after the worker restart");
	inst_stop(&in);
}
