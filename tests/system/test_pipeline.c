/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The OpenFlow pipeline across real processes: a sluice-primary, a
 * sluice-worker, net_pcap ports reading and writing pcap files.  Packets
 * go through several tables; what comes out is compared byte for byte
 * with frames built here from scratch (checksums computed anew, not
 * patched), so a rewrite that gets a checksum wrong fails.
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

TestSuite(pipeline, .fini = teardown, .timeout = 90);

#define MAC_A "00:00:00:00:00:0a"
#define MAC_B "00:00:00:00:00:0b"

/*
 * A UDP frame with TTL @ttl, a payload, and both checksums computed from
 * nothing (the UDP one over the pseudo-header).
 */
static void
udp(struct frame *f, const char *src_ip, const char *dst_ip, uint16_t sport, uint16_t dport,
    uint8_t ttl)
{
	uint8_t *ip, *u;
	uint16_t l4len;

	frame_udp(f, MAC_A, MAC_B, -1, src_ip, dst_ip, sport, dport, 80);
	ip = f->data + 14;
	u = ip + 20;
	l4len = (uint16_t)(f->len - 34);
	for (int i = 0; i < l4len - 8; i++)
		u[8 + i] = (uint8_t)(i * 7 + sport);
	ip[8] = ttl;
	frame_fix_checksums(f, 14);
}

/*
 * ACL table 0 -> L3 rewrite table 1 (dec_ttl, mod_nw_dst, a register) ->
 * output table 2, which matches on the register: each packet comes out
 * where its path says, with TTL, address, port and checksums exactly as a
 * sender would have built them; the others are dropped and counted.  The
 * packets come twice: the second time from the worker's pipeline cache,
 * with the very same result.
 */
Test(pipeline, three_tables_acl_rewrite_output_give_exact_frames)
{
	static const char *const table[] = {
		/* table 0: ACL */
		"table=0,priority=100,udp,tp_dst=9,actions=drop",
		"table=0,priority=10,ip,actions=goto_table:1",
		/* table 1: L3 rewrite; the register says which way out */
		"table=1,priority=10,ip,nw_dst=10.0.1.0/24,"
		"actions=dec_ttl,mod_nw_dst:192.168.1.1,load:0x2->NXM_NX_REG0[],goto_table:2",
		"table=1,priority=10,ip,nw_dst=10.0.2.0/24,"
		"actions=dec_ttl,set_field:3->reg0,resubmit(,2)",
		/* table 2: output */
		"table=2,reg0=2,actions=output:2",
		"table=2,reg0=3,udp,actions=output:3,mod_tp_dst:7777,output:2",
	};
	struct frame tx[12], out2[6], out3[2];
	struct worker_counts wc;
	char err[512];

	inst_start(&in, "pipe3", 1);
	udp(&tx[0], "10.0.0.1", "10.0.1.5", 1000, 80, 64);  /* -> 2, rewritten */
	udp(&tx[1], "10.0.0.1", "10.0.1.6", 1000, 9, 64);   /* ACL drop */
	udp(&tx[2], "10.0.0.1", "10.0.1.7", 1001, 80, 1);   /* dec_ttl drop */
	udp(&tx[3], "10.0.0.1", "10.0.5.5", 1002, 80, 64);  /* table 1 miss: drop */
	udp(&tx[4], "10.0.0.1", "10.0.2.9", 1003, 80, 30);  /* -> 3 as is, then 2 with port 7777 */
	udp(&tx[5], "10.0.0.2", "10.0.1.200", 1004, 81, 2); /* -> 2, TTL 1 */

	udp(&out2[0], "10.0.0.1", "192.168.1.1", 1000, 80, 63);
	udp(&out3[0], "10.0.0.1", "10.0.2.9", 1003, 80, 29);
	udp(&out2[1], "10.0.0.1", "10.0.2.9", 1003, 7777, 29);
	udp(&out2[2], "10.0.0.2", "192.168.1.1", 1004, 81, 1);
	for (int i = 0; i < 6; i++)
		tx[6 + i] = tx[i];
	for (int i = 0; i < 3; i++)
		out2[3 + i] = out2[i];
	out3[1] = out3[0];

	pcap_write_frames(inst_path(&in, "in.pcap"), tx, 12);
	inst_add_pcap_port(&in, "p2", 2, "e2.pcap", "out2.pcap", 2);
	inst_add_pcap_port(&in, "p3", 3, "e3.pcap", "out3.pcap", 3);
	cr_assert_eq(inst_flows(&in, "add", table, sizeof(table) / sizeof(table[0]), err,
				sizeof(err)),
		     0, "add-flows: %s", err);
	inst_add_pcap_port(&in, "p1", 1, "in.pcap", "out1.pcap", 1);
	cr_assert_eq(inst_wait_rx(&in, 12, 5000), 12);
	cr_assert_eq(inst_worker_counts(&in, 0, &wc), 0);
	inst_del_ports(&in, (const char *const[]){ "p1", "p2", "p3" }, 3);

	inst_expect_frames(&in, "out2.pcap", out2, 6);
	inst_expect_frames(&in, "out3.pcap", out3, 2);
	inst_expect_frames(&in, "out1.pcap", NULL, 0);
	cr_assert_eq(wc.ttl_dropped, 2, "dec_ttl drops: %llu", (unsigned long long)wc.ttl_dropped);
	cr_assert_eq(wc.table_misses, 2, "table misses: %llu", (unsigned long long)wc.table_misses);
	cr_assert_geq(wc.pcache_hits, 5, "the second round comes from the cache (%llu hits)",
		      (unsigned long long)wc.pcache_hits);
	inst_stop(&in);
}

/*
 * clone() sends a copy with its own rewrite; write_actions() leaves an
 * action set that runs where the pipeline ends, after table 1 rewrote the
 * source: each port gets the packet as it was at its output, the first
 * time and again from the cache.
 */
Test(pipeline, clone_and_action_set_give_each_copy_its_state)
{
	static const char *const table[] = {
		"table=0,in_port=1,udp,actions=write_actions(mod_nw_dst:9.9.9.9,output:3),"
		"clone(mod_tp_dst:1234,output:2),goto_table:1",
		"table=1,udp,actions=mod_nw_src:8.8.8.8",
	};
	struct frame tx[2], o2[2], o3[2];
	struct worker_counts wc;
	char err[512];

	inst_start(&in, "clone", 1);
	udp(&tx[0], "10.0.0.1", "10.0.0.2", 5000, 80, 64);
	tx[1] = tx[0];
	udp(&o2[0], "10.0.0.1", "10.0.0.2", 5000, 1234, 64);
	o2[1] = o2[0];
	udp(&o3[0], "8.8.8.8", "9.9.9.9", 5000, 80, 64);
	o3[1] = o3[0];
	pcap_write_frames(inst_path(&in, "in.pcap"), tx, 2);
	inst_add_pcap_port(&in, "p2", 2, "e2.pcap", "out2.pcap", 2);
	inst_add_pcap_port(&in, "p3", 3, "e3.pcap", "out3.pcap", 3);
	cr_assert_eq(inst_flows(&in, "add", table, 2, err, sizeof(err)), 0, "add-flows: %s", err);
	inst_add_pcap_port(&in, "p1", 1, "in.pcap", "out1.pcap", 1);
	cr_assert_eq(inst_wait_rx(&in, 2, 5000), 2);
	cr_assert_eq(inst_worker_counts(&in, 0, &wc), 0);
	inst_del_ports(&in, (const char *const[]){ "p1", "p2", "p3" }, 3);
	inst_expect_frames(&in, "out2.pcap", o2, 2);
	inst_expect_frames(&in, "out3.pcap", o3, 2);
	cr_assert_eq(wc.pcache_hits, 1);
	inst_stop(&in);
}

/*
 * A resubmit chain deeper than 64 stops there and is counted; the flows of
 * every table it passed count the packet.
 */
Test(pipeline, resubmit_depth_is_bounded_and_counted)
{
	const char *table[70];
	char text[70][96];
	struct frame f;
	struct worker_counts wc;
	uint64_t packets = 0;
	char err[512], *dump;

	inst_start(&in, "deep", 1);
	/* Tables 0..68 each resubmit to the next: deeper than the bound of 64. */
	for (int i = 0; i < 69; i++) {
		snprintf(text[i], sizeof(text[i]), "table=%d,actions=resubmit(,%d)", i, i + 1);
		table[i] = text[i];
	}
	table[69] = "table=69,actions=output:2";
	udp(&f, "10.0.0.1", "10.0.0.2", 1, 2, 64);
	pcap_write_frames(inst_path(&in, "in.pcap"), &f, 1);
	inst_add_pcap_port(&in, "p2", 2, "e2.pcap", "out2.pcap", 2);
	cr_assert_eq(inst_flows(&in, "add", table, 70, err, sizeof(err)), 0, "add-flows: %s", err);
	inst_add_pcap_port(&in, "p1", 1, "in.pcap", "out1.pcap", 1);
	cr_assert_eq(inst_wait_rx(&in, 1, 5000), 1);
	cr_assert_eq(inst_worker_counts(&in, 0, &wc), 0);
	inst_del_ports(&in, (const char *const[]){ "p1", "p2" }, 2);
	inst_expect_frames(&in, "out2.pcap", NULL, 0);
	cr_assert_eq(wc.resubmit_limit, 1);
	dump = inst_flows_text(&in, "table=10,", &packets);
	cr_assert_not_null(dump, "dump-flows lists table 10's flow");
	cr_assert_eq(packets, 1, "table 10's flow counted the packet");
	free(dump);
	inst_stop(&in);
}

static uint64_t
tx_of(const char *port)
{
	struct port_counts pc;

	cr_assert_eq(inst_port_counts(&in, port, &pc), 0, "dump-ports %s", port);
	return pc.tx_packets;
}

/*
 * A three-table pipeline under steady traffic, cached whole per packet
 * key; table 2's rule is changed back and forth.  Once add-flow has
 * answered, no packet takes the old way: the old port's counter stands
 * still while the new one's climbs, every time.
 */
Test(pipeline, changing_table_2_under_traffic_applies_nothing_stale, .timeout = 120)
{
	static const char *const table[] = {
		"table=0,in_port=1,ip,actions=goto_table:1",
		"table=1,ip,actions=dec_ttl,goto_table:2",
		"table=2,ip,actions=output:2",
	};
	static const char *const to3[] = { "table=2,ip,actions=output:3" };
	static const char *const to2[] = { "table=2,ip,actions=output:2" };
	struct frame f[4];
	struct worker_counts wc;
	char err[512], dev[512];

	inst_start(&in, "stale", 1);
	for (int i = 0; i < 4; i++)
		udp(&f[i], "10.0.0.1", "10.0.1.1", (uint16_t)(1000 + i), 80, 64);
	pcap_write_frames(inst_path(&in, "in.pcap"), f, 4);
	cr_assert_eq(inst_add_port(&in, "p2", "net_null2_stale,no-rx=1", 2, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(inst_add_port(&in, "p3", "net_null3_stale,no-rx=1", 3, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(inst_flows(&in, "add", table, 3, err, sizeof(err)), 0, "add-flows: %s", err);
	snprintf(dev, sizeof(dev), "net_pcap1_stale,rx_pcap=%s,infinite_rx=1",
		 inst_path(&in, "in.pcap"));
	cr_assert_eq(inst_add_port(&in, "p1", dev, 1, err, sizeof(err)), 0, "%s", err);
	cr_assert_geq(inst_wait_rx(&in, 10000, 5000), 10000);

	for (int round = 0; round < 10; round++) {
		const char *old = round % 2 ? "p3" : "p2", *new = round % 2 ? "p2" : "p3";
		uint64_t a, b, n0, n1;

		cr_assert_eq(inst_flows(&in, "add", round % 2 ? to2 : to3, 1, err, sizeof(err)), 0,
			     "add-flow: %s", err);
		a = tx_of(old);
		n0 = tx_of(new);
		usleep(100 * 1000);
		b = tx_of(old);
		n1 = tx_of(new);
		cr_assert_eq(a, b, "round %d: %llu packets went to %s after the change was answered",
			     round, (unsigned long long)(b - a), old);
		cr_assert_gt(n1, n0, "round %d: %s carries the traffic now", round, new);
	}
	cr_assert_eq(inst_worker_counts(&in, 0, &wc), 0);
	cr_assert_gt(wc.pcache_hits, wc.rx_packets / 2,
		     "most packets replay their cached pipeline (%llu of %llu)",
		     (unsigned long long)wc.pcache_hits, (unsigned long long)wc.rx_packets);
	inst_stop(&in);
}

/*
 * The four tables of the benchmark (in_port into a register, an ACL, an
 * L3 rewrite, output on the register) under 3400 packets of ten flows:
 * most of them are served by the pipeline compiled into the exact-match
 * or megaflow cache entry (counters summed per run of packets), and still
 * every rule's n_packets is exact, every frame leaves with TTL, address
 * and checksums as a sender would have built them, and the flow whose TTL
 * is 1 is dropped and counted every time.
 */
Test(pipeline, four_tables_from_the_cache_count_every_rule_exactly, .timeout = 120)
{
	static const char *const table[] = {
		"table=0,priority=10,in_port=1,actions=load:0x1->NXM_NX_REG0[],resubmit(,1)",
		"table=1,priority=100,udp,tp_dst=9,actions=drop",
		"table=1,priority=1,ip,actions=resubmit(,2)",
		"table=2,priority=10,ip,nw_dst=10.0.1.0/24,"
		"actions=dec_ttl,mod_nw_dst:198.51.100.1,resubmit(,3)",
		"table=3,priority=10,reg0=0x1,actions=output:2",
	};
	static const struct {
		const char *find;
		uint64_t n;
	} want[] = {
		{ "in_port=1,actions=load", 3400 }, { "tp_dst=9", 100 }, { "priority=1,ip", 3300 },
		{ "nw_dst=10.0.1.0/24", 3300 },     { "reg0=0x1,actions", 3200 },
	};
	enum { FLOWS = 8, ROUNDS = 400, N = FLOWS * ROUNDS + 200 };
	static struct frame tx[N], out2[FLOWS * ROUNDS];
	struct frame fl[FLOWS], fo[FLOWS], ttl1, acl;
	struct worker_counts wc;
	char err[512];
	size_t n = 0;

	inst_start(&in, "pipe4", 1);
	for (int f = 0; f < FLOWS; f++) {
		char dst[32];

		snprintf(dst, sizeof(dst), "10.0.1.%d", 10 + f);
		udp(&fl[f], "10.0.0.1", dst, (uint16_t)(2000 + f), 80, 64);
		udp(&fo[f], "10.0.0.1", "198.51.100.1", (uint16_t)(2000 + f), 80, 63);
	}
	udp(&ttl1, "10.0.0.3", "10.0.1.99", 3000, 80, 1);
	udp(&acl, "10.0.0.4", "10.0.1.98", 3001, 9, 64);
	for (int r = 0; r < ROUNDS; r++) {
		for (int f = 0; f < FLOWS; f++) {
			tx[n++] = fl[f];
		}
		if (r % 4 == 0) {
			tx[n++] = ttl1;
			tx[n++] = acl;
		}
	}
	cr_assert_eq(n, N);
	for (int r = 0; r < ROUNDS; r++)
		for (int f = 0; f < FLOWS; f++)
			out2[r * FLOWS + f] = fo[f];
	pcap_write_frames(inst_path(&in, "in.pcap"), tx, N);
	inst_add_pcap_port(&in, "p2", 2, "e2.pcap", "out2.pcap", 2);
	cr_assert_eq(inst_flows(&in, "add", table, sizeof(table) / sizeof(table[0]), err,
				sizeof(err)),
		     0, "add-flows: %s", err);
	inst_add_pcap_port(&in, "p1", 1, "in.pcap", "out1.pcap", 1);
	cr_assert_eq(inst_wait_rx(&in, N, 10000), N);
	cr_assert_eq(inst_worker_counts(&in, 0, &wc), 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		uint64_t got = UINT64_MAX;

		char *text = inst_flows_text(&in, want[i].find, &got);

		cr_assert_eq(got, want[i].n, "rule \"%s\": n_packets %llu, expected %llu in\n%s",
			     want[i].find, (unsigned long long)got, (unsigned long long)want[i].n, text);
		free(text);
	}
	inst_del_ports(&in, (const char *const[]){ "p1", "p2" }, 2);
	inst_expect_frames(&in, "out2.pcap", out2, FLOWS * ROUNDS);
	cr_assert_eq(wc.ttl_dropped, 100, "dec_ttl drops: %llu", (unsigned long long)wc.ttl_dropped);
	cr_assert_gt(wc.pcache_hits, N / 2, "most packets from a cached pipeline (%llu of %d)",
		     (unsigned long long)wc.pcache_hits, N);
	inst_stop(&in);
}

/* add-group through the primary's own request, as sluiced sends it. */
static void
add_group(const char *text)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__GroupMod gm = SLUICE__GROUP_MOD__INIT;
	Sluice__Reply *rep = NULL;
	char err[512];

	gm.group = (char *)text;
	req.cmd_case = SLUICE__REQUEST__CMD_ADD_GROUP;
	req.add_group = &gm;
	cr_assert_eq(inst_call(&in, &req, &rep, err, sizeof(err)), 0, "add-group %s: %s", text,
		     err);
	sluice__reply__free_unpacked(rep, NULL);
}

/*
 * OVS's smaller words, each doing what it does there: note, ct_clear and
 * the debug actions leave the packet alone; pkt_mark is set and matched
 * like a register; actset_output is the action set's port (unset when a
 * group in the set overrides it); exit ends every action list but the set
 * still runs; xreg0 is reg0:reg1.  Each packet twice (the second from the
 * cache), with the same result.
 */
Test(pipeline, exit_actset_output_pkt_mark_xreg_and_no_op_actions)
{
	static const char *const table[] = {
		"table=0,in_port=1,udp,tp_dst=80,actions=note:41.42.43,ct_clear,debug_recirc,"
		"debug_slow,set_field:0xaa->pkt_mark,write_actions(output:3),goto_table:1",
		"table=1,priority=10,udp,pkt_mark=0xaa,actset_output=3,"
		"actions=mod_tp_dst:7,output:2,exit,output:4",
		"table=1,priority=1,actions=output:4",
		"table=0,in_port=1,udp,tp_dst=81,actions=write_actions(output:3,group:1),goto_table:2",
		"table=2,priority=10,udp,actset_output=unset,actions=mod_tp_dst:8",
		"table=2,priority=1,actions=clear_actions",
		"table=0,in_port=1,udp,tp_dst=82,actions=load:0x5->NXM_NX_REG1[],goto_table:3",
		"table=3,priority=10,xreg0=5,actions=output:2",
		"table=3,priority=1,actions=output:4",
	};
	struct frame tx[6], o2[4], o3[2], o4[2];
	struct worker_counts wc;
	char err[512];

	inst_start(&in, "smallw", 1);
	udp(&tx[0], "10.0.0.1", "10.0.0.2", 5000, 80, 64);
	udp(&tx[1], "10.0.0.1", "10.0.0.2", 5001, 81, 64);
	udp(&tx[2], "10.0.0.1", "10.0.0.2", 5002, 82, 64);
	for (int i = 0; i < 3; i++)
		tx[3 + i] = tx[i];
	udp(&o2[0], "10.0.0.1", "10.0.0.2", 5000, 7, 64); /* rewritten, then exit */
	o2[1] = tx[2];                                      /* xreg0=5 matched */
	o2[2] = o2[0];
	o2[3] = o2[1];
	o3[0] = o2[0]; /* the action set after exit: the packet as it was left */
	o3[1] = o2[0];
	udp(&o4[0], "10.0.0.1", "10.0.0.2", 5001, 8, 64); /* group 1, not output:3 */
	o4[1] = o4[0];
	pcap_write_frames(inst_path(&in, "in.pcap"), tx, 6);
	inst_add_pcap_port(&in, "p2", 2, "e2.pcap", "out2.pcap", 2);
	inst_add_pcap_port(&in, "p3", 3, "e3.pcap", "out3.pcap", 3);
	inst_add_pcap_port(&in, "p4", 4, "e4.pcap", "out4.pcap", 4);
	add_group("group_id=1,type=indirect,bucket=output:4");
	cr_assert_eq(inst_flows(&in, "add", table, sizeof(table) / sizeof(table[0]), err,
				sizeof(err)),
		     0, "add-flows: %s", err);
	inst_add_pcap_port(&in, "p1", 1, "in.pcap", "out1.pcap", 1);
	cr_assert_eq(inst_wait_rx(&in, 6, 5000), 6);
	cr_assert_eq(inst_worker_counts(&in, 0, &wc), 0);
	inst_del_ports(&in, (const char *const[]){ "p1", "p2", "p3", "p4" }, 4);
	inst_expect_frames(&in, "out2.pcap", o2, 4);
	inst_expect_frames(&in, "out3.pcap", o3, 2);
	inst_expect_frames(&in, "out4.pcap", o4, 2);
	cr_assert_eq(wc.table_misses, 0);
	cr_assert_geq(wc.pcache_hits, 3, "the second round comes from the cache (%llu hits)",
		      (unsigned long long)wc.pcache_hits);
	inst_stop(&in);
}
