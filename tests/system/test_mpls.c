/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MPLS and the action set's order across real processes: a sluice-primary,
 * a sluice-worker, net_pcap ports.  What comes out is compared byte for
 * byte with frames built here from nothing (labels, tags and checksums
 * computed anew), and each packet comes twice so that the second one is
 * served from the worker's pipeline cache with the same result.
 */
#include <arpa/inet.h>
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

TestSuite(mpls, .fini = teardown, .timeout = 90);

#define MAC_A "00:00:00:00:00:0a"
#define MAC_B "00:00:00:00:00:0b"

/*
 * An Ethernet(/802.1Q) IPv4 UDP frame of 96 bytes (100 with the tag: the
 * same packet, tagged) with TOS @tos and TTL
 * @ttl, a payload, both checksums computed from nothing.
 */
static void
udp(struct frame *f, int vlan, const char *dst_ip, uint16_t dport, uint8_t tos, uint8_t ttl)
{
	uint8_t *ip, *u;
	uint16_t l4len;

	frame_udp(f, MAC_A, MAC_B, vlan, "10.0.0.1", dst_ip, 4000, dport, vlan >= 0 ? 100 : 96);
	ip = f->data + (vlan >= 0 ? 18 : 14);
	u = ip + 20;
	l4len = (uint16_t)(f->data + f->len - u);
	for (int i = 8; i < l4len; i++)
		u[i] = (uint8_t)(i * 5 + dport);
	ip[1] = tos;
	ip[8] = ttl;
	frame_fix_checksums(f, (size_t)(ip - f->data));
}

/* @in (untagged) with one label stack entry put after its Ethernet header. */
static void
mpls(struct frame *out, const struct frame *in, uint16_t type, uint32_t label, uint8_t tc,
     bool bos, uint8_t ttl)
{
	uint32_t lse = label << 12 | (uint32_t)tc << 9 | (bos ? 1u : 0u) << 8 | ttl;

	memcpy(out->data, in->data, 12);
	out->data[12] = (uint8_t)(type >> 8), out->data[13] = (uint8_t)type;
	out->data[14] = (uint8_t)(lse >> 24), out->data[15] = (uint8_t)(lse >> 16);
	out->data[16] = (uint8_t)(lse >> 8), out->data[17] = (uint8_t)lse;
	memcpy(out->data + 18, in->data + 14, in->len - 14);
	out->len = in->len + 4;
}

/* Two rounds of @n frames in @tx[0..n), the second a copy of the first. */
static void
twice(struct frame *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		f[n + i] = f[i];
}

/*
 * An IPv4 packet gets a label (push_mpls copies its TTL 64 and its DSCP's
 * low bits as TC, set_mpls_label names it 789) and goes out of 2; table 1
 * matches the label the push made and sends it out of 3 with the TTL one
 * less.  A labelled packet (100) is popped to IPv4, whose fields the next
 * table matches and rewrites, checksums right; one with label 200 is
 * matched by a flow that only outputs, and goes out unchanged; one with
 * label 300 matches nothing.
 */
Test(mpls, push_pop_and_label_matches_give_exact_frames)
{
	static const char *const flows[] = {
		"priority=10,in_port=1,ip,actions=push_mpls:0x8847,set_mpls_label:789,output:2,"
		"goto_table:1",
		"table=1,mpls,mpls_label=789,mpls_tc=2,mpls_bos=1,mpls_ttl=64,"
		"actions=dec_mpls_ttl,output:3",
		"priority=20,in_port=1,mpls,mpls_label=100,actions=pop_mpls:0x0800,goto_table:2",
		"table=2,ip,nw_dst=10.0.9.9,actions=mod_nw_dst:10.0.0.99,output:3",
		"priority=20,in_port=1,mplsm,mpls_label=200,actions=output:4",
	};
	struct frame ip0, ip1, tx[8], o2[2], o3[4], o4[2];
	struct worker_counts wc;
	char err[512];

	inst_start(&in, "mpls", 1);
	udp(&ip0, -1, "10.0.1.5", 80, 0x28, 64); /* DSCP 10: TC 2 */
	tx[0] = ip0;
	udp(&ip1, -1, "10.0.9.9", 81, 0, 9);
	mpls(&tx[1], &ip1, 0x8847, 100, 5, true, 33);
	mpls(&tx[2], &ip1, 0x8848, 200, 1, true, 7);
	mpls(&tx[3], &ip1, 0x8847, 300, 0, true, 7);
	twice(tx, 4);

	mpls(&o2[0], &ip0, 0x8847, 789, 2, true, 64);
	mpls(&o3[0], &ip0, 0x8847, 789, 2, true, 63);
	udp(&o3[1], -1, "10.0.0.99", 81, 0, 9);
	o4[0] = tx[2];
	twice(o2, 1);
	twice(o3, 2);
	twice(o4, 1);

	pcap_write_frames(inst_path(&in, "in.pcap"), tx, 8);
	inst_add_pcap_port(&in, "p2", 2, "e2.pcap", "out2.pcap", 2);
	inst_add_pcap_port(&in, "p3", 3, "e3.pcap", "out3.pcap", 3);
	inst_add_pcap_port(&in, "p4", 4, "e4.pcap", "out4.pcap", 4);
	cr_assert_eq(inst_flows(&in, "add", flows, sizeof(flows) / sizeof(flows[0]), err,
				sizeof(err)),
		     0, "add-flows: %s", err);
	inst_add_pcap_port(&in, "p1", 1, "in.pcap", "out1.pcap", 1);
	cr_assert_eq(inst_wait_rx(&in, 8, 5000), 8);
	cr_assert_eq(inst_worker_counts(&in, 0, &wc), 0);
	inst_del_ports(&in, (const char *const[]){ "p1", "p2", "p3", "p4" }, 4);

	inst_expect_frames(&in, "out2.pcap", o2, 2);
	inst_expect_frames(&in, "out3.pcap", o3, 4);
	inst_expect_frames(&in, "out4.pcap", o4, 2);
	inst_expect_frames(&in, "out1.pcap", NULL, 0);
	cr_assert_geq(wc.pcache_hits, 2, "the second round comes from the cache (%llu hits)",
		      (unsigned long long)wc.pcache_hits);
	inst_stop(&in);
}

/*
 * A label whose TTL is 1 is not decremented: the packet is dropped and
 * counted, as dec_ttl does (OVS would tell a controller; there is none).
 */
Test(mpls, dec_mpls_ttl_drops_a_ttl_of_one)
{
	static const char *const flows[] = {
		"in_port=1,mpls,actions=dec_mpls_ttl,output:2",
	};
	struct frame ip, tx[2], o2[1];
	struct worker_counts wc;
	char err[512];

	inst_start(&in, "mplsttl", 1);
	udp(&ip, -1, "10.0.1.5", 80, 0, 64);
	mpls(&tx[0], &ip, 0x8847, 16, 0, true, 1);
	mpls(&tx[1], &ip, 0x8847, 16, 0, true, 2);
	mpls(&o2[0], &ip, 0x8847, 16, 0, true, 1);
	pcap_write_frames(inst_path(&in, "in.pcap"), tx, 2);
	inst_add_pcap_port(&in, "p2", 2, "e2.pcap", "out2.pcap", 2);
	cr_assert_eq(inst_flows(&in, "add", flows, 1, err, sizeof(err)), 0, "add-flows: %s", err);
	inst_add_pcap_port(&in, "p1", 1, "in.pcap", "out1.pcap", 1);
	cr_assert_eq(inst_wait_rx(&in, 2, 5000), 2);
	cr_assert_eq(inst_worker_counts(&in, 0, &wc), 0);
	inst_del_ports(&in, (const char *const[]){ "p1", "p2" }, 2);
	inst_expect_frames(&in, "out2.pcap", o2, 1);
	cr_assert_eq(wc.ttl_dropped, 1);
	inst_stop(&in);
}

/*
 * The action set runs in OVS's order whatever order write_actions gave:
 * push_vlan before the VLAN field write (one tag, VID 5, not two tags),
 * dec_ttl before mod_nw_ttl (TTL 10, not 9), strip_vlan before
 * mod_vlan_vid (a fresh tag with VID 7, not none), outputs last.
 */
Test(mpls, action_set_runs_in_ovs_order)
{
	static const char *const flows[] = {
		"priority=10,in_port=1,ip,actions=write_actions(output:2,mod_nw_ttl:10,"
		"set_field:5->vlan_vid,dec_ttl,push_vlan:0x8100),goto_table:1",
		"priority=20,in_port=1,dl_vlan=9,actions=write_actions(mod_vlan_vid:7,output:3,"
		"strip_vlan),goto_table:1",
		"table=1,actions=mod_dl_src:00:00:00:00:00:0c",
	};
	struct frame tx[4], o2[2], o3[2];
	struct worker_counts wc;
	char err[512];

	inst_start(&in, "actset", 1);
	udp(&tx[0], -1, "10.0.1.5", 80, 0, 64);
	udp(&tx[1], 9, "10.0.1.6", 81, 0, 64);
	twice(tx, 2);
	udp(&o2[0], 5, "10.0.1.5", 80, 0, 10);
	udp(&o3[0], 7, "10.0.1.6", 81, 0, 64);
	o2[0].data[11] = 0x0c;
	o3[0].data[11] = 0x0c;
	twice(o2, 1);
	twice(o3, 1);

	pcap_write_frames(inst_path(&in, "in.pcap"), tx, 4);
	inst_add_pcap_port(&in, "p2", 2, "e2.pcap", "out2.pcap", 2);
	inst_add_pcap_port(&in, "p3", 3, "e3.pcap", "out3.pcap", 3);
	cr_assert_eq(inst_flows(&in, "add", flows, sizeof(flows) / sizeof(flows[0]), err,
				sizeof(err)),
		     0, "add-flows: %s", err);
	inst_add_pcap_port(&in, "p1", 1, "in.pcap", "out1.pcap", 1);
	cr_assert_eq(inst_wait_rx(&in, 4, 5000), 4);
	cr_assert_eq(inst_worker_counts(&in, 0, &wc), 0);
	inst_del_ports(&in, (const char *const[]){ "p1", "p2", "p3" }, 3);
	inst_expect_frames(&in, "out2.pcap", o2, 2);
	inst_expect_frames(&in, "out3.pcap", o3, 2);
	inst_stop(&in);
}
