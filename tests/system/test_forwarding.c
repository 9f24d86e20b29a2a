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

static void
flows(const char *verb, const char *const *f, size_t n)
{
	char err[512];

	cr_assert_eq(inst_flows(&in, verb, f, n, err, sizeof(err)), 0, "%s-flows: %s", verb, err);
}

static bool
same_frame(const struct frame *a, const struct frame *b)
{
	return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
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
	inst_add_pcap_port(&in, "p2", 2, "empty2.pcap", "out2.pcap", 2);
	inst_add_pcap_port(&in, "p3", 3, "empty3.pcap", "out3.pcap", 3);
	flows("add", table, sizeof(table) / sizeof(table[0]));
	inst_add_pcap_port(&in, "p1", 1, "in.pcap", "out1.pcap", 1);
	cr_assert_eq(inst_wait_rx(&in, 8, 5000), 8);
	inst_del_ports(&in, (const char *const[]){ "p1", "p2", "p3" }, 3);

	inst_expect_frames(&in, "out1.pcap", NULL, 0);
	inst_expect_frames(&in, "out2.pcap", out2, n2);
	inst_expect_frames(&in, "out3.pcap", out3, n3);
	inst_stop(&in);
}

/* Frames in @got and @want are the same multiset (two workers interleave). */
static void
expect_frames_unordered(const char *file, const struct frame *want, size_t n)
{
	struct frame *got;
	size_t m = pcap_read_frames(inst_path(&in, file), &got);
	bool *used = calloc(n ? n : 1, sizeof(*used));

	cr_assert_eq(m, n, "%s: %zu frames, expected %zu", file, m, n);
	for (size_t i = 0; i < m; i++) {
		size_t j;

		for (j = 0; j < n; j++)
			if (!used[j] && same_frame(&got[i], &want[j]))
				break;
		cr_assert(j < n, "%s: frame %zu was not expected", file, i);
		used[j] = true;
	}
	free(used);
	free(got);
}

/*
 * Two workers, two input ports (one rx queue each, so one per worker):
 * every packet of both inputs comes out once, on the port its flow says.
 */
Test(forwarding, two_workers_forward_both_inputs_exactly_once)
{
	static const char *const table[] = {
		"priority=10,in_port=1,actions=output:3",
		"priority=10,in_port=2,actions=output:4",
		"priority=20,in_port=2,udp,tp_dst=53,actions=output:3",
	};
	enum { N = 500 };
	struct frame *a = calloc(N, sizeof(*a)), *b = calloc(N, sizeof(*b));
	struct frame *o3 = calloc(2 * N, sizeof(*o3)), *o4 = calloc(N, sizeof(*o4));
	size_t n3 = 0, n4 = 0;
	char ip[32];

	inst_start(&in, "two", 2);
	for (int i = 0; i < N; i++) {
		snprintf(ip, sizeof(ip), "10.1.%d.%d", i / 250, i % 250);
		frame_udp(&a[i], MAC_A, MAC_B, -1, "10.0.0.1", ip, 1000 + i, 80, 60 + i % 64);
		frame_udp(&b[i], MAC_B, MAC_A, -1, "10.0.0.2", ip, 2000 + i, i % 5 ? 80 : 53, 64);
		o3[n3++] = a[i];
		if (i % 5)
			o4[n4++] = b[i];
		else
			o3[n3++] = b[i];
	}
	pcap_write_frames(inst_path(&in, "a.pcap"), a, N);
	pcap_write_frames(inst_path(&in, "b.pcap"), b, N);
	inst_add_pcap_port(&in, "p3", 3, "e3.pcap", "out3.pcap", 3);
	inst_add_pcap_port(&in, "p4", 4, "e4.pcap", "out4.pcap", 4);
	flows("add", table, 3);
	inst_add_pcap_port(&in, "p1", 1, "a.pcap", "out1.pcap", 1);
	inst_add_pcap_port(&in, "p2", 2, "b.pcap", "out2.pcap", 2);
	cr_assert_eq(inst_wait_rx(&in, 2 * N, 10000), 2 * N);
	inst_del_ports(&in, (const char *const[]){ "p1", "p2", "p3", "p4" }, 4);
	expect_frames_unordered("out3.pcap", o3, n3);
	expect_frames_unordered("out4.pcap", o4, n4);
	inst_expect_frames(&in, "out1.pcap", NULL, 0);
	inst_expect_frames(&in, "out2.pcap", NULL, 0);
	free(a), free(b), free(o3), free(o4);
	inst_stop(&in);
}

/*
 * NORMAL: an unknown destination floods to every other port; once the
 * destination has been learned, its packets go only to its port.
 */
Test(forwarding, normal_floods_unknown_then_unicasts_learned)
{
	static const char *const table[] = { "actions=NORMAL" };
	struct frame ab, ba, bcast;

	inst_start(&in, "normal", 1);
	frame_udp(&ab, MAC_A, MAC_B, -1, "10.0.0.1", "10.0.0.2", 1, 2, 64);
	frame_udp(&ba, MAC_B, MAC_A, -1, "10.0.0.2", "10.0.0.1", 2, 1, 64);
	frame_udp(&bcast, MAC_C, "ff:ff:ff:ff:ff:ff", -1, "10.0.0.3", "10.0.0.255", 3, 3, 64);
	pcap_write_frames(inst_path(&in, "ab.pcap"), &ab, 1);
	pcap_write_frames(inst_path(&in, "ba.pcap"), (struct frame[]){ ba, bcast }, 2);

	flows("add", table, 1);
	inst_add_pcap_port(&in, "p3", 3, "e3.pcap", "out3.pcap", 3);
	inst_add_pcap_port(&in, "p2", 2, "e2.pcap", "out2.pcap", 2);
	/* A on port 1 talks to B, whom nobody knows yet: flooded to 2 and 3. */
	inst_add_pcap_port(&in, "p1", 1, "ab.pcap", "out1.pcap", 1);
	cr_assert_eq(inst_wait_rx(&in, 1, 5000), 1);
	inst_del_ports(&in, (const char *const[]){ "p2" }, 1);
	/* B answers from port 2: A is known on 1, so only port 1 gets it;
	 * the broadcast that follows floods to 1 and 3. */
	inst_add_pcap_port(&in, "p2b", 5, "ba.pcap", "out2b.pcap", 2);
	cr_assert_eq(inst_wait_rx(&in, 3, 5000), 3);
	inst_del_ports(&in, (const char *const[]){ "p1", "p2b", "p3" }, 3);

	inst_expect_frames(&in, "out2.pcap", &ab, 1);
	inst_expect_frames(&in, "out3.pcap", (struct frame[]){ ab, bcast }, 2);
	inst_expect_frames(&in, "out1.pcap", (struct frame[]){ ba, bcast }, 2);
	inst_expect_frames(&in, "out2b.pcap", NULL, 0);
	inst_stop(&in);
}

/*
 * NORMAL keeps its decision in the exact-match cache entry of each key:
 * a destination that moves must be followed at once, not after the entry
 * goes.  B is learnt on port 2; A's traffic to B (eight flows, each cached
 * and its decision with it over several bursts) goes to port 2 until a
 * frame from B arrives on port 1 itself; from then on A's packets to B
 * would go back where they came from, so none leaves (as in OVS).
 */
Test(forwarding, normal_follows_a_destination_that_moves_at_once)
{
	enum { N = 320 };
	static const char *const table[] = { "actions=NORMAL" };
	struct frame ba, bc, *a = calloc(2 * N + 1, sizeof(*a)), want2[N + 1];
	struct worker_counts wc;

	cr_assert_not_null(a);
	inst_start(&in, "normal_move", 1);
	inst_set_option(&in, "emc-insert-inv-prob", "1");
	frame_udp(&ba, MAC_B, MAC_A, -1, "10.0.0.2", "10.0.0.1", 2, 1, 64);
	frame_udp(&bc, MAC_B, MAC_C, -1, "10.0.0.2", "10.0.0.3", 2, 3, 64);
	for (int i = 0; i < 2 * N + 1; i++)
		frame_udp(&a[i], MAC_A, MAC_B, -1, "10.0.0.1", "10.0.0.2", (uint16_t)(1000 + i % 8),
			  2, 64);
	a[N] = bc; /* B moves to port 1 */
	pcap_write_frames(inst_path(&in, "b.pcap"), &ba, 1);
	pcap_write_frames(inst_path(&in, "a.pcap"), a, 2 * N + 1);

	flows("add", table, 1);
	inst_add_pcap_port(&in, "p3", 3, "e3.pcap", "out3.pcap", 3);
	inst_add_pcap_port(&in, "p2", 2, "b.pcap", "out2.pcap", 2);
	cr_assert_eq(inst_wait_rx(&in, 1, 5000), 1);
	inst_add_pcap_port(&in, "p1", 1, "a.pcap", "out1.pcap", 1);
	cr_assert_eq(inst_wait_rx(&in, 2 * N + 2, 10000), 2 * N + 2);
	cr_assert_eq(inst_worker_counts(&in, 0, &wc), 0);
	cr_assert_gt(wc.emc_hits, (uint64_t)N, "A's flows were served from the cache: %lu hits",
		     (unsigned long)wc.emc_hits);
	inst_del_ports(&in, (const char *const[]){ "p1", "p2", "p3" }, 3);

	memcpy(want2, a, sizeof(want2)); /* A to B until B moved, then B's own frame to C (flooded) */
	inst_expect_frames(&in, "out2.pcap", want2, N + 1);
	inst_expect_frames(&in, "out3.pcap", (struct frame[]){ ba, bc }, 2);
	inst_expect_frames(&in, "out1.pcap", NULL, 0);
	free(a);
	inst_stop(&in);
}

/* Frame number @i, recoverable from the frame (source IP and port). */
static void
numbered_frame(struct frame *f, uint32_t i)
{
	char src[32];

	snprintf(src, sizeof(src), "10.%u.%u.%u", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
	frame_udp(f, MAC_A, MAC_B, -1, src, "10.200.0.1", (uint16_t)(i * 7), 80, 64);
}

static uint32_t
frame_number(const struct frame *f)
{
	return (uint32_t)f->data[27] << 16 | (uint32_t)f->data[28] << 8 | f->data[29];
}

/*
 * replace-flows again and again while traffic flows: the packets go to
 * port 2 or port 3 (whichever table was in force), every one exactly once,
 * none to the decoy port 4 that only never-matching flows name.
 */
Test(forwarding, replace_flows_under_traffic_loses_and_misdirects_nothing, .timeout = 120)
{
	enum { N = 200000, CHURN = 300 };
	const char **table = calloc(CHURN + 2, sizeof(*table));
	char (*churn)[96] = calloc(CHURN, sizeof(*churn));
	struct frame *f = malloc(sizeof(*f) * N), *o2, *o3;
	uint8_t *seen = calloc(N, 1);
	int replaces = 0, during = 0;
	size_t n2, n3;
	char err[512];

	inst_start(&in, "replace", 1);
	for (uint32_t i = 0; i < N; i++)
		numbered_frame(&f[i], i);
	pcap_write_frames(inst_path(&in, "in.pcap"), f, N);
	free(f);
	for (int i = 0; i < CHURN; i++) {
		snprintf(churn[i], sizeof(churn[i]), "priority=%d,ip,nw_dst=172.16.%d.%d,actions=output:4",
			 100 + i % 7, i / 200, i % 200);
		table[i] = churn[i];
	}
	inst_add_pcap_port(&in, "p2", 2, "e2.pcap", "out2.pcap", 2);
	inst_add_pcap_port(&in, "p3", 3, "e3.pcap", "out3.pcap", 3);
	inst_add_pcap_port(&in, "p4", 4, "e4.pcap", "out4.pcap", 4);
	table[CHURN] = "priority=10,in_port=1,actions=output:2";
	flows("replace", table, CHURN + 1);
	inst_add_pcap_port(&in, "p1", 1, "in.pcap", "out1.pcap", 1);
	for (;;) {
		uint64_t rx = inst_worker_rx(&in);

		if (rx >= N)
			break;
		table[CHURN] = replaces % 2 ? "priority=10,in_port=1,actions=output:2"
					    : "priority=10,in_port=1,actions=output:3";
		/* Churn the decoys too, so each replace really rebuilds the table. */
		snprintf(churn[replaces % CHURN], sizeof(churn[0]),
			 "priority=%d,ip,nw_dst=172.17.%d.1,actions=output:4", 200 + replaces,
			 replaces % 250);
		cr_assert_eq(inst_flows(&in, "replace", table, CHURN + 1, err, sizeof(err)), 0,
			     "replace-flows: %s", err);
		replaces++;
		during += rx > 0;
		cr_assert(replaces < 100000, "traffic never completed");
	}
	cr_assert_eq(inst_wait_rx(&in, N, 10000), N);
	inst_del_ports(&in, (const char *const[]){ "p1", "p2", "p3", "p4" }, 4);
	cr_assert_geq(during, 3, "only %d replaces happened while traffic flowed", during);

	n2 = pcap_read_frames(inst_path(&in, "out2.pcap"), &o2);
	n3 = pcap_read_frames(inst_path(&in, "out3.pcap"), &o3);
	cr_assert_eq(n2 + n3, N, "%zu + %zu frames came out of %d", n2, n3, N);
	cr_assert(n2 > 0 && n3 > 0, "both tables must have carried traffic (%zu/%zu)", n2, n3);
	for (size_t i = 0; i < n2 + n3; i++) {
		uint32_t k = frame_number(i < n2 ? &o2[i] : &o3[i - n2]);

		cr_assert(k < N && !seen[k], "frame %u duplicated or unknown", k);
		seen[k] = 1;
	}
	inst_expect_frames(&in, "out4.pcap", NULL, 0);
	inst_expect_frames(&in, "out1.pcap", NULL, 0);
	free(o2), free(o3), free(seen), free(table), free(churn);
	inst_stop(&in);
}
