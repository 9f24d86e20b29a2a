/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection tracking across real processes: a stateful firewall in two
 * tables (a sluice-primary, a sluice-worker, net_pcap ports).  TCP opened
 * from port 1 passes both ways; a connection port 2 tries to open is
 * dropped; the mark a commit set with exec() is matched by the flows that
 * pass the established packets; dump-conntrack shows the connection and
 * flush-conntrack takes it away (the next reply is then dropped).
 *
 * Packets of the two directions must reach the worker in order, so each
 * step attaches the port whose packets come next, with its own files.
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

TestSuite(conntrack, .fini = teardown, .timeout = 120);

#define MAC_A "00:00:00:00:00:0a"
#define MAC_B "00:00:00:00:00:0b"

static int n_dev;

/* A pcap port whose input holds @f[0..n). */
static void
add_port(const char *name, const char *rx, const struct frame *f, size_t n, const char *tx,
	 uint32_t ofport)
{
	pcap_write_frames(inst_path(&in, rx), f, n);
	inst_add_pcap_port(&in, name, n_dev++, rx, tx, ofport);
}

static void
del_ports(void)
{
	inst_del_ports(&in, (const char *const[]){ "p1", "p2" }, 2);
}

/* A TCP segment with @flags (SYN 0x02, ACK 0x10, ...), checksums from scratch. */
static void
tcp(struct frame *f, const char *src, const char *dst, uint16_t sport, uint16_t dport,
    uint8_t flags)
{
	uint8_t *ip, *t;
	uint16_t l4len;

	frame_udp(f, MAC_A, MAC_B, -1, src, dst, sport, dport, 74);
	ip = f->data + 14;
	t = ip + 20;
	l4len = (uint16_t)(f->len - 34);
	ip[9] = 6;
	memset(t + 4, 0, l4len - 4u);
	t[7] = 1;          /* seq */
	t[12] = 5 << 4;    /* data offset */
	t[13] = flags;
	t[14] = 0xff;      /* window */
	for (int i = 20; i < l4len; i++)
		t[i] = (uint8_t)(i + flags);
	frame_fix_checksums(f, 14);
}

/* A conntrack verb's text (malloc'd), asserting success. */
static char *
ct_verb(Sluice__Request__CmdCase cmd, const char *zone)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__CtMod cm = SLUICE__CT_MOD__INIT;
	Sluice__Reply *rep = NULL;
	char err[512], *text;
	int rc;

	cm.zone = (char *)zone;
	req.cmd_case = cmd;
	req.dump_conntrack = &cm;
	rc = inst_call(&in, &req, &rep, err, sizeof(err));
	cr_assert_eq(rc, 0, "conntrack verb: %s", err);
	text = strdup(rep->message != NULL ? rep->message : "");
	sluice__reply__free_unpacked(rep, NULL);
	return text;
}

Test(conntrack, stateful_firewall_passes_replies_drops_unsolicited_and_flush_forgets)
{
	static const char *const table[] = {
		"table=0,priority=10,ip,ct_state=-trk,actions=ct(table=1,zone=7)",
		"table=1,in_port=1,tcp,ct_state=+trk+new,"
		"actions=ct(commit,zone=7,exec(set_field:0x5->ct_mark)),output:2",
		"table=1,in_port=1,ip,ct_state=+trk+est,ct_mark=0x5,actions=output:2",
		"table=1,in_port=2,ip,ct_state=+trk+est,ct_mark=0x5,actions=output:1",
		"table=1,in_port=2,ip,ct_state=+trk+new,actions=drop",
	};
	struct frame syn, synack, ack, data, rdata, intruder;
	uint64_t rx = 0;
	char err[512], *dump, *msg;

	inst_start(&in, "ctfw", 1);
	tcp(&syn, "10.0.0.1", "10.0.0.2", 40000, 80, 0x02);
	tcp(&synack, "10.0.0.2", "10.0.0.1", 80, 40000, 0x12);
	tcp(&ack, "10.0.0.1", "10.0.0.2", 40000, 80, 0x10);
	tcp(&data, "10.0.0.1", "10.0.0.2", 40000, 80, 0x18);
	tcp(&rdata, "10.0.0.2", "10.0.0.1", 80, 40000, 0x18);
	tcp(&intruder, "10.0.0.2", "10.0.0.1", 2222, 22, 0x02);
	cr_assert_eq(inst_flows(&in, "add", table, sizeof(table) / sizeof(table[0]), err,
				sizeof(err)),
		     0, "add-flows: %s", err);

	/* 1: the SYN from port 1 opens the connection and passes. */
	add_port("p2", "e2a.pcap", NULL, 0, "out2a.pcap", 2);
	add_port("p1", "in1a.pcap", &syn, 1, "out1a.pcap", 1);
	rx += 1;
	cr_assert_eq(inst_wait_rx(&in, rx, 5000), rx);
	del_ports();
	inst_expect_frames(&in, "out2a.pcap", &syn, 1);

	/* 2: the SYN+ACK from port 2 passes back; a SYN port 2 starts is dropped. */
	add_port("p1", "e1b.pcap", NULL, 0, "out1b.pcap", 1);
	add_port("p2", "in2b.pcap", (const struct frame[]){ synack, intruder }, 2, "out2b.pcap", 2);
	rx += 2;
	cr_assert_eq(inst_wait_rx(&in, rx, 5000), rx);
	del_ports();
	inst_expect_frames(&in, "out1b.pcap", &synack, 1);

	/* 3: the ACK and data from port 1 pass (established, marked 5). */
	add_port("p2", "e2c.pcap", NULL, 0, "out2c.pcap", 2);
	add_port("p1", "in1c.pcap", (const struct frame[]){ ack, data }, 2, "out1c.pcap", 1);
	rx += 2;
	cr_assert_eq(inst_wait_rx(&in, rx, 5000), rx);
	del_ports();
	inst_expect_frames(&in, "out2c.pcap", (const struct frame[]){ ack, data }, 2);

	dump = ct_verb(SLUICE__REQUEST__CMD_DUMP_CONNTRACK, "");
	cr_assert_str_eq(dump,
			 "tcp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=40000,dport=80),"
			 "reply=(src=10.0.0.2,dst=10.0.0.1,sport=80,dport=40000),zone=7,mark=5,"
			 "protoinfo=(state=ESTABLISHED)",
			 "dump-conntrack: %s", dump);
	free(dump);
	dump = ct_verb(SLUICE__REQUEST__CMD_DUMP_CONNTRACK, "zone=8");
	cr_assert_str_eq(dump, "", "zone 8 has no connection: %s", dump);
	free(dump);
	msg = ct_verb(SLUICE__REQUEST__CMD_FLUSH_CONNTRACK, "");
	cr_assert_str_eq(msg, "1 connections flushed");
	free(msg);
	dump = ct_verb(SLUICE__REQUEST__CMD_DUMP_CONNTRACK, "");
	cr_assert_str_eq(dump, "", "after flush-conntrack: %s", dump);
	free(dump);

	/* 4: forgotten, the server's data is a packet of no connection: dropped. */
	add_port("p1", "e1d.pcap", NULL, 0, "out1d.pcap", 1);
	add_port("p2", "in2d.pcap", &rdata, 1, "out2d.pcap", 2);
	rx += 1;
	cr_assert_eq(inst_wait_rx(&in, rx, 5000), rx);
	del_ports();
	inst_expect_frames(&in, "out1d.pcap", NULL, 0);
	inst_stop(&in);
}

/* Bad input to the verbs says what was wrong. */
Test(conntrack, flush_with_a_bad_zone_is_refused)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__CtMod cm = SLUICE__CT_MOD__INIT;
	Sluice__Reply *rep = NULL;
	char err[512];

	inst_start(&in, "ctbad", 1);
	cm.zone = "zone=70000";
	req.cmd_case = SLUICE__REQUEST__CMD_FLUSH_CONNTRACK;
	req.flush_conntrack = &cm;
	cr_assert_neq(inst_call(&in, &req, &rep, err, sizeof(err)), 0);
	cr_assert(strstr(err, "bad zone") != NULL, "error: %s", err);
	if (rep != NULL)
		sluice__reply__free_unpacked(rep, NULL);
	inst_stop(&in);
}

/* A UDP frame of connection @i in one direction or the other. */
static void
udp_conn(struct frame *f, const char *a, const char *b, int i, bool reply)
{
	if (reply)
		frame_udp(f, MAC_B, MAC_A, -1, b, a, 53, (uint16_t)(10000 + i), 60);
	else
		frame_udp(f, MAC_A, MAC_B, -1, a, b, (uint16_t)(10000 + i), 53, 60);
}

static unsigned int
count_lines(const char *s)
{
	unsigned int n = s[0] != '\0';

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/*
 * Two workers, one port each: both commit connections at once into the
 * one table, then each passes the replies to the connections the other
 * committed (they find them from the reply side).  Outputs go to sink
 * ports that exist before any packet comes.
 */
Test(conntrack, two_workers_commit_together_and_find_each_others_connections)
{
	static const char *const table[] = {
		"table=0,ip,ct_state=-trk,actions=ct(table=1)",
		"table=1,udp,ct_state=+trk+new,actions=ct(commit),output:3",
		"table=1,in_port=1,ip,ct_state=+trk+est,actions=output:4",
		"table=1,in_port=2,ip,ct_state=+trk+est,actions=output:5",
	};
	enum { N = 300 };
	static struct frame x[N], y[N], xr[N], yr[N];
	char err[512], *dump, *stats, *w0, *w1;
	unsigned long long p0 = 0, p1 = 0;
	uint64_t rx = 0;

	inst_start(&in, "ct2w", 2);
	for (int i = 0; i < N; i++) {
		udp_conn(&x[i], "10.1.0.1", "10.2.0.1", i, false);  /* from port 1 */
		udp_conn(&y[i], "10.3.0.1", "10.4.0.1", i, false);  /* from port 2 */
		udp_conn(&xr[i], "10.1.0.1", "10.2.0.1", i, true);  /* replies, from port 2 */
		udp_conn(&yr[i], "10.3.0.1", "10.4.0.1", i, true);  /* replies, from port 1 */
	}
	cr_assert_eq(inst_flows(&in, "add", table, 4, err, sizeof(err)), 0, "add-flows: %s", err);
	add_port("p3", "e3.pcap", NULL, 0, "out3.pcap", 3);
	add_port("p4", "e4.pcap", NULL, 0, "out4.pcap", 4);
	add_port("p5", "e5.pcap", NULL, 0, "out5.pcap", 5);
	add_port("p1", "in1a.pcap", x, N, "out1a.pcap", 1);
	add_port("p2", "in2a.pcap", y, N, "out2a.pcap", 2);
	rx += 2 * N;
	cr_assert_eq(inst_wait_rx(&in, rx, 10000), rx);
	del_ports();
	dump = ct_verb(SLUICE__REQUEST__CMD_DUMP_CONNTRACK, "");
	cr_assert_eq(count_lines(dump), 2 * N, "%u connections committed", count_lines(dump));
	free(dump);

	add_port("p1", "in1b.pcap", yr, N, "out1b.pcap", 1);
	add_port("p2", "in2b.pcap", xr, N, "out2b.pcap", 2);
	rx += 2 * N;
	cr_assert_eq(inst_wait_rx(&in, rx, 10000), rx);
	del_ports();
	cr_assert_eq(inst_del_port(&in, "p4", err, sizeof(err)), 0, "del-port p4: %s", err);
	cr_assert_eq(inst_del_port(&in, "p5", err, sizeof(err)), 0, "del-port p5: %s", err);
	inst_expect_frames(&in, "out4.pcap", yr, N); /* port 1 sent the replies of port 2's connections */
	inst_expect_frames(&in, "out5.pcap", xr, N);
	inst_expect_frames(&in, "out1b.pcap", NULL, 0);

	stats = ct_verb(SLUICE__REQUEST__CMD_CT_STATS_SHOW, "");
	w0 = strstr(stats, "worker 0: packets ");
	w1 = strstr(stats, "worker 1: packets ");
	cr_assert(w0 != NULL && w1 != NULL, "ct-stats-show: %s", stats);
	sscanf(w0, "worker 0: packets %llu", &p0);
	sscanf(w1, "worker 1: packets %llu", &p1);
	/* The rx queue assignment is the primary's: with both ports on one
	 * worker the table is still right, but nothing ran concurrently. */
	if (p0 == 0 || p1 == 0)
		cr_log_warn("both ports were polled by one worker: %s", stats);
	/* ct() ran twice on each new packet (the lookup, then the commit), once on each reply. */
	cr_assert_eq(p0 + p1, 6 * N, "%s", stats);
	cr_assert(strstr(stats, "connections: 600 (of 65536): tcp 0, udp 600") != NULL, "%s",
		  stats);
	free(stats);
	inst_stop(&in);
}
