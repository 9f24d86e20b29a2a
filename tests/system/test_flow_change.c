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

	for (int round = 0; round < 15; round++) {
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
