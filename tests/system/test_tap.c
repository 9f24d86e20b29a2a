/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_tap ports moved into network namespaces that the test creates: two
 * hosts ping each other and move TCP data through sluice's NORMAL action.
 */
#include <stdarg.h>
#include <stdint.h>
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

/* User and system CPU time of process @pid, in clock ticks. */
static uint64_t
cpu_ticks(pid_t pid)
{
	unsigned long long ut = 0, st = 0;
	char path[64], buf[1024], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	cr_assert_not_null(f, "no %s", path);
	cr_assert_not_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	p = strrchr(buf, ')'); /* the command may hold spaces */
	cr_assert_not_null(p);
	/* Fields 3.. after the command: state, then 10 more up to utime (14). */
	cr_assert_eq(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
			    &st), 2);
	return ut + st;
}

/*
 * Idle, the bridge thread and the worker wait for the kernel and for each
 * other instead of polling by the clock: together they take a small part
 * of a core, and every ping still finds its way through at once (a lost
 * wake-up would cost a 10 ms time-out; the clock's back-off, 250 us).
 */
Test(tap, idle_pollers_sleep_and_each_packet_wakes_them)
{
	static const char *const table[] = { "actions=NORMAL" };
	uint64_t t0, t1, hz = (uint64_t)sysconf(_SC_CLK_TCK);
	char err[512], line[256];
	double rtt[20], v;
	int n = 0;
	FILE *f;

	inst_start(&in, "tapidle", 1);
	cr_assert_eq(inst_add_port(&in, "ta", "net_tap_ta,iface=sltapa", 1, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(inst_add_port(&in, "tb", "net_tap_tb,iface=sltapb", 2, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(inst_flows(&in, "add", table, 1, err, sizeof(err)), 0, "%s", err);
	host("sltap_a", "sltapa", "198.51.100.1");
	host("sltap_b", "sltapb", "198.51.100.2");
	cr_assert_eq(sh("ip netns exec sltap_a ping -c 2 -i 0.2 -W 2 198.51.100.2 >/dev/null"), 0,
		     "ping through sluice failed");

	sleep(1); /* past every spin after the last packet */
	t0 = cpu_ticks(in.primary) + cpu_ticks(in.workers[0]);
	sleep(2);
	t1 = cpu_ticks(in.primary) + cpu_ticks(in.workers[0]);
	/* Polling by the clock took 15-20 % of a core here; waiting, 1-2 %. */
	cr_assert_lt((t1 - t0) * 100, 10 * 2 * hz, "idle primary and worker used %.1f %% of a core",
		     (double)(t1 - t0) * 100 / 2 / (double)hz);

	f = popen("ip netns exec sltap_a ping -c 20 -i 0.1 -W 1 198.51.100.2", "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f) != NULL && n < 20) {
		char *t = strstr(line, " time=");

		if (t != NULL && sscanf(t, " time=%lf", &v) == 1)
			rtt[n++] = v;
	}
	pclose(f);
	cr_assert_eq(n, 20, "%d of 20 pings answered", n);
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && rtt[j - 1] > rtt[j]; j--) {
			v = rtt[j];
			rtt[j] = rtt[j - 1];
			rtt[j - 1] = v;
		}
	cr_assert_lt(rtt[n / 2], 5.0, "median ping RTT %.3f ms (worst %.3f)", rtt[n / 2],
		     rtt[n - 1]);
	inst_stop(&in);
}
