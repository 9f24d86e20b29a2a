/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The seed guide's own commands (shared/seed/using-ovs-with-dpdk.rst,
 * "PHY-PHY"), typed after `sluicectl` as they are after `ovs-ofctl`: the
 * bridge's name first, `action=` as well as `actions=`.  Traffic goes both
 * ways between two pcap ports, exactly as the flows say.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "control.h"
#include "instance.h"

CTL_SUITE(seed, 90);

Test(seed, phy_phy_flows_as_the_seed_writes_them)
{
	struct frame a[2], b[3], *got;
	char path[256];

	ctl_start(&c, "seedpp", 1);
	for (int i = 0; i < 2; i++)
		frame_udp(&a[i], "00:00:00:00:00:0a", "00:00:00:00:00:0b", -1, "10.0.0.1", "10.0.0.2",
			  (uint16_t)(100 + i), 80, 64);
	for (int i = 0; i < 3; i++)
		frame_udp(&b[i], "00:00:00:00:00:0b", "00:00:00:00:00:0a", -1, "10.0.0.2", "10.0.0.1",
			  (uint16_t)(200 + i), 80, 128);
	snprintf(path, sizeof(path), "%s/a.pcap", c.rundir);
	pcap_write_frames(path, a, 2);
	snprintf(path, sizeof(path), "%s/b.pcap", c.rundir);
	pcap_write_frames(path, b, 3);

	/* $ ovs-ofctl del-flows br0
	 * $ ovs-ofctl add-flow br0 in_port=1,action=output:2
	 * $ ovs-ofctl add-flow br0 in_port=2,action=output:1 */
	OK("del-flows br0");
	OK("add-flow br0 in_port=1,action=output:2");
	OK("add-flow br0 in_port=2,action=output:1");
	OK("dump-flows br0");
	cr_assert(strstr(out, "in_port=1,actions=output:2") != NULL, "%s", out);
	cr_assert(strstr(out, "in_port=2,actions=output:1") != NULL, "%s", out);
	snprintf(path, sizeof(path), "%s/empty.pcap", c.rundir);
	pcap_write_frames(path, NULL, 0);
	/* Port 1 to port 2 ... */
	OK("add-port dpdk-p1 net_pcap_sp1,rx_pcap=%s/empty.pcap,tx_pcap=%s/to-b.pcap ofport=2",
	   c.rundir, c.rundir);
	OK("add-port dpdk-p0 net_pcap_sp0,rx_pcap=%s/a.pcap,tx_pcap=%s/to-a.pcap ofport=1",
	   c.rundir, c.rundir);
	for (int i = 0; i < 100; i++) {
		OK("dump-ports br0 dpdk-p1");
		if (ctl_number_after(out, "tx pkts=") >= 2)
			break;
		usleep(20000);
	}
	OK("del-port dpdk-p1");
	snprintf(path, sizeof(path), "%s/to-b.pcap", c.rundir);
	cr_assert_eq(pcap_read_frames(path, &got), 2, "port 1's traffic goes to port 2");
	cr_assert_eq(memcmp(got[1].data, a[1].data, 64), 0);
	free(got);
	/* ... and port 2 to port 1. */
	OK("add-port dpdk-p1 net_pcap_sp2,rx_pcap=%s/b.pcap,tx_pcap=%s/to-b2.pcap ofport=2",
	   c.rundir, c.rundir);
	for (int i = 0; i < 100; i++) {
		OK("dump-ports br0 dpdk-p0");
		if (ctl_number_after(out, "tx pkts=") >= 3)
			break;
		usleep(20000);
	}
	OK("del-port dpdk-p0");
	snprintf(path, sizeof(path), "%s/to-a.pcap", c.rundir);
	cr_assert_eq(pcap_read_frames(path, &got), 3, "port 2's traffic goes to port 1");
	cr_assert_eq(memcmp(got[2].data, b[2].data, 128), 0);
	free(got);
	/* A bridge other than ours is not taken for one. */
	cr_assert_neq(ctl_run(&c, out, sizeof(out), "add-flow br1 in_port=1,action=drop"), 0);
}
