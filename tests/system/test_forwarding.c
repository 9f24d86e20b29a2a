/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Forwarding across processes: a real sluice-primary and real sluice-worker
 * processes, net_pcap ports reading and writing real pcap files.  Each test
 * states the packets it sends and exactly what must come out where.
 */
#include <stdio.h>
#include <stdlib.h>
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

#define MAC_A "00:00:00:00:00:0a"
#define MAC_B "00:00:00:00:00:0b"
#define MAC_C "00:00:00:00:00:0c"

static char devargs_buf[8][512];

/* net_pcap port reading @rx (created empty if it does not exist) and writing @tx. */
static const char *
pcap_port(int i, const char *rx, const char *tx)
{
	if (access(inst_path(&in, rx), F_OK) != 0)
		pcap_write_frames(inst_path(&in, rx), NULL, 0);
	snprintf(devargs_buf[i], sizeof(devargs_buf[i]), "net_pcap%d_%s,rx_pcap=%s,tx_pcap=%s", i,
		 in.name, inst_path(&in, rx), inst_path(&in, tx));
	return devargs_buf[i];
}

static void
add_port(const char *name, int i, const char *rx, const char *tx, uint32_t ofport)
{
	char err[512];

	cr_assert_eq(inst_add_port(&in, name, pcap_port(i, rx, tx), ofport, err, sizeof(err)), 0,
		     "add-port %s: %s", name, err);
}

static void
flows(const char *verb, const char *const *f, size_t n)
{
	char err[512];

	cr_assert_eq(inst_flows(&in, verb, f, n, err, sizeof(err)), 0, "%s-flows: %s", verb, err);
}

/* Close the output files (deleting a pcap port flushes and closes them). */
static void
close_ports(const char *const *names, size_t n)
{
	char err[512];

	for (size_t i = 0; i < n; i++)
		cr_assert_eq(inst_del_port(&in, names[i], err, sizeof(err)), 0, "del-port %s: %s",
			     names[i], err);
}

static bool
same_frame(const struct frame *a, const struct frame *b)
{
	return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

/* @got must equal @want frame for frame (one worker keeps order). */
static void
expect_frames(const char *file, const struct frame *want, size_t n)
{
	struct frame *got;
	size_t m = pcap_read_frames(inst_path(&in, file), &got);

	cr_assert_eq(m, n, "%s: %zu frames, expected %zu", file, m, n);
	for (size_t i = 0; i < n; i++)
		cr_assert(same_frame(&got[i], &want[i]), "%s: frame %zu differs (len %u vs %u)",
			  file, i, got[i].len, want[i].len);
	free(got);
}

TestSuite(forwarding, .fini = teardown, .timeout = 60);

/*
 * Priorities, prefixes, drop, VLAN push/modify/strip, and a table miss, with
 * one worker: each output file holds exactly the expected frames in order.
 */
Test(forwarding, priority_prefix_drop_and_vlan_actions_give_exact_outputs)
{
	static const char *const table[] = {
		"priority=100,ip,nw_dst=10.0.1.0/24,actions=output:2",
		"priority=200,ip,nw_dst=10.0.1.128/25,actions=output:3",
		"priority=300,udp,tp_dst=9,actions=drop",
		"priority=150,ip,nw_dst=10.0.2.0/24,actions=mod_vlan_vid:42,output:2",
		"priority=150,dl_vlan=7,actions=strip_vlan,output:3",
		"priority=160,dl_vlan=8,actions=mod_vlan_vid:9,output:2,output:3",
		"priority=50,in_port=1,ip,nw_dst=10.0.3.0/24,actions=output:3",
	};
	struct frame tx[8], out2[8], out3[8];
	size_t n2 = 0, n3 = 0;

	inst_start(&in, "prio", 1);
	frame_udp(&tx[0], MAC_A, MAC_B, -1, "10.0.0.1", "10.0.1.5", 1000, 80, 64);   /* -> 2 */
	frame_udp(&tx[1], MAC_A, MAC_B, -1, "10.0.0.1", "10.0.1.200", 1000, 80, 64); /* -> 3 */
	frame_udp(&tx[2], MAC_A, MAC_B, -1, "10.0.0.1", "10.0.1.200", 1000, 9, 64);  /* drop */
	frame_udp(&tx[3], MAC_A, MAC_B, -1, "10.0.0.1", "10.0.2.1", 1000, 80, 100);  /* tag 42 -> 2 */
	frame_udp(&tx[4], MAC_A, MAC_B, 7, "10.0.0.1", "10.0.9.1", 1000, 80, 64);    /* untag -> 3 */
	frame_udp(&tx[5], MAC_A, MAC_B, 8, "10.0.0.1", "10.0.9.1", 1000, 80, 70);    /* vid 9 -> 2,3 */
	frame_udp(&tx[6], MAC_A, MAC_B, -1, "10.0.0.1", "10.0.3.3", 1000, 80, 64);   /* -> 3 */
	frame_udp(&tx[7], MAC_A, MAC_B, -1, "10.0.0.1", "192.168.0.1", 1000, 80, 64); /* miss */

	out2[n2++] = tx[0];
	out3[n3++] = tx[1];
	frame_udp(&out2[n2++], MAC_A, MAC_B, 42, "10.0.0.1", "10.0.2.1", 1000, 80, 104);
	frame_udp(&out3[n3++], MAC_A, MAC_B, -1, "10.0.0.1", "10.0.9.1", 1000, 80, 60);
	frame_udp(&out2[n2], MAC_A, MAC_B, 9, "10.0.0.1", "10.0.9.1", 1000, 80, 70);
	out3[n3++] = out2[n2++];
	out3[n3++] = tx[6];

	pcap_write_frames(inst_path(&in, "in.pcap"), tx, 8);
	add_port("p2", 2, "empty2.pcap", "out2.pcap", 2);
	add_port("p3", 3, "empty3.pcap", "out3.pcap", 3);
	flows("add", table, sizeof(table) / sizeof(table[0]));
	add_port("p1", 1, "in.pcap", "out1.pcap", 1);
	cr_assert_eq(inst_wait_rx(&in, 8, 5000), 8);
	close_ports((const char *const[]){ "p1", "p2", "p3" }, 3);

	expect_frames("out1.pcap", NULL, 0);
	expect_frames("out2.pcap", out2, n2);
	expect_frames("out3.pcap", out3, n3);
}
