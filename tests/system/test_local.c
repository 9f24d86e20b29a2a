/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The bridge's local port (OpenFlow's LOCAL): a net_tap port named br0,
 * its kernel interface moved into a network namespace that the test makes,
 * as OVS users reach their bridge through its internal interface.  Frames
 * go from a pcap port to LOCAL (by LOCAL, FLOOD and NORMAL) and from the
 * namespace through in_port=LOCAL to a pcap port, byte for byte; a killed
 * primary comes back with br0 as LOCAL and its flows, from the DB.
 */
#include <fcntl.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "control.h"
#include "instance.h"

#define NS "sllocal"
#define IFACE "sllcl0"
#define N_EACH 5

static struct ctl c;
static char out[1 << 16];

static void
cleanup_ns(void)
{
	ctl_sh("ip netns pids " NS " 2>/dev/null | xargs -r kill -9; ip netns del " NS
	       " 2>/dev/null; true");
}

/* Pass or fail: no instance, no namespace (the tap interface goes with the primary). */
static void
teardown(void)
{
	ctl_stop(&c);
	cleanup_ns();
}

TestSuite(local, .fini = teardown, .timeout = 120);

/* The pcap files of the test live in the instance's rundir, as instance.h's helpers read them. */
static struct inst files;

static const char *
path(const char *file)
{
	snprintf(files.rundir, sizeof(files.rundir), "%s", c.rundir);
	return inst_path(&files, file);
}

/* Move the tap interface the primary made into the namespace, up, without
 * IPv6 (no router solicitations, no MLD: nothing but the test's frames). */
static void
tap_into_ns(void)
{
	int rc = -1;

	/* The primary makes the interface when it starts the port. */
	for (int i = 0; i < 50 && rc != 0; i++) {
		rc = ctl_sh("ip link show " IFACE " >/dev/null 2>&1");
		if (rc != 0)
			usleep(100000);
	}
	cr_assert_eq(rc, 0, "no interface " IFACE);
	cr_assert_eq(ctl_sh("ip link set " IFACE " netns " NS " && "
			    "ip netns exec " NS " sysctl -qw net.ipv6.conf." IFACE ".disable_ipv6=1 && "
			    "ip -n " NS " link set " IFACE " up && ip -n " NS " link set lo up"),
		     0, "could not move " IFACE " into " NS);
}

/* tcpdump in the namespace, writing the first @n UDP frames to @file; its pid. */
static pid_t
capture_start(const char *file, int n)
{
	char log[600];
	pid_t pid;

	snprintf(log, sizeof(log), "%s.log", path(file));
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char count[16];

		snprintf(count, sizeof(count), "%d", n);
		if (freopen(log, "w", stderr) == NULL)
			_exit(127);
		execlp("ip", "ip", "netns", "exec", NS, "tcpdump", "-Z", "root", "-i", IFACE, "-U", "-n", "-c",
		       count, "-w", path(file), "udp", (char *)NULL);
		_exit(127);
	}
	/* Listening once it says so. */
	for (int i = 0; i < 100; i++) {
		char *text = ctl_file(&c, strrchr(log, '/') + 1);
		bool up = strstr(text, "listening on") != NULL;

		free(text);
		if (up)
			return pid;
		usleep(100000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	cr_assert_fail("tcpdump did not start in " NS);
	return -1;
}

/* Wait for tcpdump to have its @n frames and exit. */
static void
capture_wait(pid_t pid)
{
	int status = 0;

	for (int i = 0; i < 100; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
				  "tcpdump failed: %d", status);
			return;
		}
		usleep(100000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	cr_assert_fail("tcpdump in " NS " did not see all its frames within 10 s");
}

/* Frames @f[0..n) sent from the namespace out of the interface, as they are
 * (a packet socket made in a child that joined the namespace). */
static void
send_from_ns(const struct frame *f, size_t n)
{
	int status = 0;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_halen = 6 };
		int ns = open("/var/run/netns/" NS, O_RDONLY), s;

		if (ns < 0 || setns(ns, CLONE_NEWNET) != 0)
			_exit(2);
		s = socket(AF_PACKET, SOCK_RAW, 0);
		sll.sll_ifindex = (int)if_nametoindex(IFACE);
		if (s < 0 || sll.sll_ifindex == 0)
			_exit(3);
		for (size_t i = 0; i < n; i++)
			if (sendto(s, f[i].data, f[i].len, 0, (struct sockaddr *)&sll, sizeof(sll)) !=
			    (ssize_t)f[i].len)
				_exit(4);
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "could not send from " NS " (status %d)", status);
}

/* @n UDP frames to @dport, each one of its own length and source port. */
static void
frames(struct frame *f, size_t n, uint16_t dport, const char *src_mac)
{
	for (size_t i = 0; i < n; i++)
		frame_udp(&f[i], src_mac, "02:00:00:00:00:fe", 0, "192.0.2.1", "192.0.2.254",
			  (uint16_t)(1000 + i), dport, (uint32_t)(60 + 70 * i));
}

static void
expect_file(const char *file, const struct frame *want, size_t n)
{
	inst_expect_frames(&files, file, want, n);
}

Test(local, frames_reach_local_and_come_back_exactly_and_br0_survives_restarts)
{
	struct frame to_local[3 * N_EACH], from_local[N_EACH];
	pid_t cap;

	cleanup_ns();
	cr_assert_eq(ctl_sh("ip netns add " NS), 0);
	ctl_start(&c, "local", 1);

	/* Only br0 is LOCAL, and br0 is nothing else: refused, nothing added. */
	REFUSED("port \"br0\" is the bridge's local port: its ofport is LOCAL (65534), not 5",
		"add-port br0 net_null_lx ofport=5");
	REFUSED("ofport LOCAL is the bridge's own port: only the port named \"br0\" has it",
		"add-port p9 net_null_ly ofport=LOCAL");
	OK("show");
	cr_assert(strstr(out, "Port") == NULL, "a refused port was added: %s", out);

	/* A flow may name LOCAL before the port exists, as in OVS: accepted. */
	OK("add-flow priority=10,in_port=LOCAL,udp,tp_dst=5001,actions=output:3");
	OK("add-port br0 net_tap_lcl,iface=" IFACE);
	OK("show");
	cr_assert_str_eq(SHOWN("br0", "ofport"), "LOCAL (65534, the bridge's local port)", "%s",
			 out);
	tap_into_ns();

	/* in1's frames: to 5002 out of LOCAL, to 5003 flooded and to 5004 by
	 * NORMAL to a MAC it has not learned (both: LOCAL and out1). */
	frames(to_local, N_EACH, 5002, "02:00:00:00:00:01");
	frames(to_local + N_EACH, N_EACH, 5003, "02:00:00:00:00:01");
	frames(to_local + 2 * N_EACH, N_EACH, 5004, "02:00:00:00:00:01");
	pcap_write_frames(path("in1.pcap"), to_local, 3 * N_EACH);
	pcap_write_frames(path("empty.pcap"), NULL, 0);
	OK("add-flow in_port=1,udp,tp_dst=5002,actions=LOCAL");
	OK("add-flow in_port=1,udp,tp_dst=5003,actions=FLOOD");
	OK("add-flow in_port=1,udp,tp_dst=5004,actions=NORMAL");
	cap = capture_start("local.pcap", 3 * N_EACH);
	OK("add-port out1 net_pcap_lo1,rx_pcap=%s,tx_pcap=%s ofport=3", path("empty.pcap"),
	   path("out1.pcap"));
	OK("add-port in1 net_pcap_li1,rx_pcap=%s,tx_pcap=%s ofport=1", path("in1.pcap"),
	   path("in1-tx.pcap"));
	capture_wait(cap);
	expect_file("local.pcap", to_local, 3 * N_EACH);

	/* From the namespace through in_port=LOCAL to out1, after the flooded ones. */
	frames(from_local, N_EACH, 5001, "02:00:00:00:00:fe");
	send_from_ns(from_local, N_EACH);
	for (int i = 0; i < 50; i++) {
		OK("dump-ports out1");
		if (ctl_number_after(out, "tx pkts=") >= 3 * N_EACH)
			break;
		usleep(100000);
	}
	OK("dump-ports br0");
	cr_assert(strstr(out, "port LOCAL (br0): rx pkts=") != NULL, "%s", out);
	cr_assert_geq(ctl_number_after(out, "rx pkts="), N_EACH, "%s", out);
	cr_assert_eq(ctl_number_after(out, "tx pkts="), 3 * N_EACH, "%s", out);
	OK("dump-flows --no-stats");
	cr_assert(strstr(out, "priority=10,udp,in_port=LOCAL,tp_dst=5001,actions=output:3") != NULL,
		  "%s", out);
	cr_assert(strstr(out, "udp,in_port=1,tp_dst=5002,actions=LOCAL") != NULL, "%s", out);
	OK("del-port out1"); /* closes out1.pcap */
	{
		struct frame want[3 * N_EACH];

		memcpy(want, to_local + N_EACH, 2 * N_EACH * sizeof(want[0]));
		memcpy(want + 2 * N_EACH, from_local, N_EACH * sizeof(want[0]));
		expect_file("out1.pcap", want, 3 * N_EACH);
	}

	/* A killed primary: sluiced replays the DB, br0 is LOCAL again, its flow forwards. */
	OK("del-port in1");
	ctl_sh("kill -9 $(cat %s/primary.pid)", c.rundir);
	sleep(1);
	for (int i = 0; i < 100 && ctl_run(&c, out, sizeof(out), "show") != 0; i++)
		usleep(100000);
	for (int i = 0; i < 100 && strcmp(SHOWN("br0", "driver"), "") == 0; i++)
		usleep(100000);
	cr_assert_str_eq(SHOWN("br0", "ofport"), "LOCAL (65534, the bridge's local port)", "%s",
			 out);
	/* The old interface went with the old primary; the new one is in our namespace again. */
	tap_into_ns();
	OK("add-port out2 net_pcap_lo2,rx_pcap=%s,tx_pcap=%s ofport=3", path("empty.pcap"),
	   path("out2.pcap"));
	send_from_ns(from_local, N_EACH);
	for (int i = 0; i < 50; i++) {
		OK("dump-ports out2");
		if (ctl_number_after(out, "tx pkts=") >= N_EACH)
			break;
		usleep(100000);
	}
	OK("del-port out2");
	expect_file("out2.pcap", from_local, N_EACH);
	cr_assert(strstr(ctl_db(&c), "port br0 ofport=65534 ") != NULL, "%s", ctl_db(&c));
	cleanup_ns();
}
