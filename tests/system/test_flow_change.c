/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Under traffic, a flow change never applies an old action once it is
 * acknowledged.  One frame is replayed forever (net_pcap infinite_rx) into
 * a switch whose rules send it to tap a or tap b; this process listens on
 * both kernel interfaces.  Each round flips the output with add-flow,
 * del-flows or mod-flows and, once sluicectl has returned, lets what was
 * already on its way through the kernel arrive, drains, and then watches
 * the old output: any frame on it is an old action applied after the
 * acknowledgement.  The new output must see frames too.  With many
 * resident rules in the same table, so the change is one among thousands.
 *
 * The second test makes the check exact: every version of the rule sends
 * to the same tap with its own DSCP stamp, and after each acknowledgement
 * a marker frame goes in through a third port whose rule sends it to that
 * tap too.  The worker puts marker and probes on that tap in the order it
 * forwards them, and it forwards the marker after the acknowledgement, so
 * every probe behind the marker must carry the new stamp: no allowance for
 * what was queued.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "control.h"
#include "instance.h"

static struct ctl c;
static char out[1 << 16];

static void
teardown(void)
{
	ctl_stop(&c);
}

TestSuite(flow_change, .fini = teardown, .timeout = 120);

/* A packet socket on @iface, non-blocking. */
static int
listen_on(const char *iface)
{
	struct sockaddr_ll sll = { 0 };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL));

	cr_assert_geq(fd, 0, "AF_PACKET socket: %s", strerror(errno));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)if_nametoindex(iface);
	cr_assert_neq(sll.sll_ifindex, 0, "no interface %s", iface);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), 0, "bind %s: %s", iface,
		     strerror(errno));
	return fd;
}

/* Our probe frames (UDP to port 9) read from @fd within @ms milliseconds. */
static unsigned int
count_probe(int fd, int ms)
{
	struct timespec t0, t;
	unsigned int n = 0;
	uint8_t buf[2048];

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long elapsed;
		ssize_t len;

		clock_gettime(CLOCK_MONOTONIC, &t);
		elapsed = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (elapsed >= ms)
			return n;
		if (poll(&p, 1, (int)(ms - elapsed)) <= 0)
			continue;
		while ((len = recv(fd, buf, sizeof(buf), 0)) > 0)
			/* Ethernet + IPv4 + UDP with destination port 9: ours, not the
			 * kernel's own IPv6 chatter on a fresh interface. */
			if (len >= 42 && buf[12] == 0x08 && buf[13] == 0x00 && buf[23] == 17 &&
			    buf[36] == 0 && buf[37] == 9)
				n++;
	}
}

/* Drop what is queued now. */
static void
drain(int fd)
{
	uint8_t buf[2048];

	while (recv(fd, buf, sizeof(buf), 0) > 0)
		;
}

/*
 * Frames of @fd until none came for @quiet_ms; how many, or -1 if @max_ms
 * passed without such a pause (the old action went on).
 */
static int
count_until_quiet(int fd, int quiet_ms, int max_ms)
{
	unsigned int n = 0, got;

	for (int waited = 0; waited < max_ms; waited += quiet_ms) {
		got = count_probe(fd, quiet_ms);
		if (got == 0)
			return (int)n;
		n += got;
	}
	return -1;
}

/*
 * After the acknowledgement, frames the worker sent before it may still be
 * on their way out of a tap: the primary's bridge ring to the port holds up
 * to SL_BRIDGE_RING_SIZE (4096) of them, and a tap writes them slower than
 * a worker forwards, so that ring is full under this load.  They must stop
 * within a ring's worth (plus what the kernel queued); then, for 50 ms,
 * the old output must stay silent and the new one must not.  An old action
 * still applied after the acknowledgement never lets the old port go quiet.
 */
static void
expect_only(int fd_new, int fd_old, const char *what, int round)
{
	unsigned int old_n, new_n;
	int queued;

	queued = count_until_quiet(fd_old, 20, 3000);
	cr_assert_geq(queued, 0, "round %d, after %s was acknowledged: the old output never went "
		      "quiet", round, what);
	cr_assert_leq(queued, 4096 + 1024, "round %d, after %s was acknowledged: %d frames took "
		      "the old output, more than were queued", round, what, queued);
	drain(fd_new);
	old_n = count_probe(fd_old, 50);
	new_n = count_probe(fd_new, 50);
	cr_assert_eq(old_n, 0, "round %d, after %s was acknowledged: %u frames took the old action",
		     round, what, old_n);
	cr_assert_gt(new_n, 0, "round %d, after %s: no frame took the new action", round, what);
}

Test(flow_change, no_old_action_after_the_acknowledgement_under_traffic)
{
	struct frame f;
	char pcap[512], rules[512];
	FILE *fp;
	int fa, fb;

	ctl_start(&c, "flchg", 1);
	snprintf(pcap, sizeof(pcap), "%s/probe.pcap", c.rundir);
	frame_udp(&f, "02:00:00:00:00:01", "02:00:00:00:00:02", -1, "10.0.0.1", "192.0.2.1", 1024, 9,
		  60);
	pcap_write_frames(pcap, &f, 1);
	/* 20000 resident rules of the same table that the probe never matches. */
	snprintf(rules, sizeof(rules), "%s/rules.txt", c.rundir);
	fp = fopen(rules, "w");
	cr_assert_not_null(fp);
	for (int i = 0; i < 20000; i++)
		fprintf(fp, "priority=100,udp,nw_src=10.%d.%d.%d,tp_dst=%d,actions=drop\n",
			1 + i / 65536, (i / 256) % 256, i % 256, 1000 + i % 7);
	fclose(fp);
	OK("--timeout 60000 add-flows %s", rules);
	OK("add-port a net_tap_fca,iface=slfc_a ofport=2");
	OK("add-port b net_tap_fcb,iface=slfc_b ofport=3");
	cr_assert_eq(ctl_sh("ip link set slfc_a up && ip link set slfc_b up"), 0);
	fa = listen_on("slfc_a");
	fb = listen_on("slfc_b");
	OK("add-flow priority=10,in_port=1,actions=output:2");
	OK("add-port in net_pcap_fci,rx_pcap=%s,infinite_rx=1 ofport=1", pcap);
	cr_assert_gt(count_probe(fa, 2000), 0, "traffic reaches tap a");

	for (int round = 0; round < 6; round++) {
		/* A higher-priority rule takes the traffic to b ... */
		OK("add-flow priority=200,in_port=1,udp,actions=output:3");
		expect_only(fb, fa, "add-flow", round);
		/* ... mod-flows sends it back to a, then to b again ... */
		OK("mod-flows priority=200,in_port=1,udp,actions=output:2 --strict");
		expect_only(fa, fb, "mod-flows", round);
		OK("mod-flows priority=200,in_port=1,udp,actions=output:3 --strict");
		expect_only(fb, fa, "mod-flows", round);
		/* ... and deleting it lets the base rule have it again. */
		OK("del-flows priority=200,in_port=1,udp --strict");
		expect_only(fa, fb, "del-flows", round);
	}
	close(fa);
	close(fb);
}

/* The stamp of probe frames (UDP to port 9): DSCP, or -1 for a marker (UDP to port 7), -2 other. */
static int
frame_kind(const uint8_t *buf, ssize_t len)
{
	if (len < 42 || buf[12] != 0x08 || buf[13] != 0x00 || buf[23] != 17 || buf[36] != 0)
		return -2;
	if (buf[37] == 9)
		return buf[15] >> 2;
	return buf[37] == 7 ? -1 : -2;
}

/*
 * After the change to @stamp was acknowledged: send markers into @fd_marker
 * (every 5 ms: the worker drops what does not fit its tap's queue) until one
 * comes out of @fd_out, then read 50 ms more; every probe after the first
 * marker must carry @stamp, and some must.
 */
static void
expect_stamp(int fd_marker, int fd_out, const struct frame *marker, int stamp, const char *what,
	     int round)
{
	struct timespec t0, t;
	bool marked = false;
	unsigned int good = 0;
	long elapsed, marked_at = 0;
	uint8_t buf[2048];

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = fd_out, .events = POLLIN };
		ssize_t len;

		clock_gettime(CLOCK_MONOTONIC, &t);
		elapsed = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (marked && elapsed - marked_at >= 50)
			break;
		cr_assert_lt(elapsed, 5000, "round %d, after %s: no marker came out in 5 s", round,
			     what);
		if (!marked)
			cr_assert_eq(send(fd_marker, marker->data, marker->len, 0), (ssize_t)marker->len,
				     "marker: %s", strerror(errno));
		if (poll(&p, 1, 5) <= 0)
			continue;
		while ((len = recv(fd_out, buf, sizeof(buf), 0)) > 0) {
			int k = frame_kind(buf, len);

			if (k == -1 && !marked) {
				marked = true;
				marked_at = elapsed;
			} else if (k >= 0 && marked) {
				cr_assert_eq(k, stamp, "round %d, after %s was acknowledged: a probe "
					     "forwarded after the marker has stamp %d, not %d", round,
					     what, k, stamp);
				good++;
			}
		}
	}
	cr_assert_gt(good, 0, "round %d, after %s: no probe after the marker", round, what);
}

Test(flow_change, every_probe_forwarded_after_the_acknowledgement_has_the_new_stamp)
{
	struct frame f, marker;
	char pcap[512], rules[512];
	FILE *fp;
	int fa, fm, stamp = 1;

	ctl_start(&c, "flstm", 1);
	snprintf(pcap, sizeof(pcap), "%s/probe.pcap", c.rundir);
	frame_udp(&f, "02:00:00:00:00:01", "02:00:00:00:00:02", -1, "10.0.0.1", "192.0.2.1", 1024, 9,
		  60);
	pcap_write_frames(pcap, &f, 1);
	frame_udp(&marker, "02:00:00:00:00:03", "02:00:00:00:00:02", -1, "10.0.0.3", "192.0.2.1",
		  1024, 7, 60);
	snprintf(rules, sizeof(rules), "%s/rules.txt", c.rundir);
	fp = fopen(rules, "w");
	cr_assert_not_null(fp);
	for (int i = 0; i < 20000; i++)
		fprintf(fp, "priority=100,udp,nw_src=10.%d.%d.%d,tp_dst=%d,actions=drop\n",
			1 + i / 65536, (i / 256) % 256, i % 256, 1000 + i % 7);
	fclose(fp);
	OK("--timeout 60000 add-flows %s", rules);
	OK("add-port a net_tap_fsa,iface=slfs_a ofport=2");
	OK("add-port m net_tap_fsm,iface=slfs_m ofport=4");
	cr_assert_eq(ctl_sh("ip link set slfs_a up && ip link set slfs_m up"), 0);
	fa = listen_on("slfs_a");
	fm = listen_on("slfs_m");
	OK("add-flow priority=300,in_port=4,udp,tp_dst=7,actions=output:2");
	OK("add-flow priority=10,in_port=1,ip,actions=mod_nw_tos:%d,output:2", stamp << 2);
	OK("add-port in net_pcap_fsi,rx_pcap=%s,infinite_rx=1 ofport=1", pcap);
	expect_stamp(fm, fa, &marker, stamp, "the first rule", -1);

	/* Stamps 2..: the base rule's is 1, every other version has its own. */
	for (int round = 0; round < 8; round++) {
		int next = 2 + 3 * round % 60;

		OK("add-flow priority=200,in_port=1,udp,actions=mod_nw_tos:%d,output:2", next << 2);
		expect_stamp(fm, fa, &marker, next, "add-flow", round);
		OK("mod-flows priority=200,in_port=1,udp,actions=mod_nw_tos:%d,output:2 --strict",
		   (next + 1) << 2);
		expect_stamp(fm, fa, &marker, next + 1, "mod-flows", round);
		OK("mod-flows priority=200,in_port=1,udp,actions=mod_nw_tos:%d,output:2 --strict",
		   (next + 2) << 2);
		expect_stamp(fm, fa, &marker, next + 2, "mod-flows", round);
		OK("del-flows priority=200,in_port=1,udp --strict");
		expect_stamp(fm, fa, &marker, stamp, "del-flows", round);
	}
	close(fa);
	close(fm);
}
