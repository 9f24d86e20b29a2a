/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control plane end to end: sluiced, sluicectl, the real primary and
 * workers, real sockets and pcap files.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <zmq.h>

#include "control.h"
#include "instance.h"
#include "msg.h"

static struct ctl c;
static char out[1 << 16];

static void
teardown(void)
{
	ctl_stop(&c);
}

TestSuite(control, .fini = teardown, .timeout = 90);


static long long
sink_tx(const char *port)
{
	OK("dump-ports %s", port);
	return ctl_number_after(out, "tx pkts=");
}

/* Ports, flows and pcap traffic through sluicectl: exact outputs and live counters. */
Test(control, sluicectl_configures_a_switch_that_forwards_pcap_traffic)
{
	struct frame in[3], *got;
	char path[256];

	ctl_start(&c, "e2e", 1);
	frame_udp(&in[0], "00:00:00:00:00:01", "00:00:00:00:00:02", -1, "10.0.0.1", "10.0.1.1", 1, 80, 64);
	frame_udp(&in[1], "00:00:00:00:00:01", "00:00:00:00:00:02", -1, "10.0.0.1", "10.0.2.1", 1, 80, 64);
	frame_udp(&in[2], "00:00:00:00:00:01", "00:00:00:00:00:02", -1, "10.0.0.1", "10.0.1.9", 1, 53, 64);
	snprintf(path, sizeof(path), "%s/in.pcap", c.rundir);
	pcap_write_frames(path, in, 3);
	snprintf(path, sizeof(path), "%s/empty.pcap", c.rundir);
	pcap_write_frames(path, NULL, 0);

	OK("add-port out net_pcap_e2eo,rx_pcap=%s/empty.pcap,tx_pcap=%s/out.pcap ofport=2", c.rundir,
	   c.rundir);
	OK("add-flow 'priority=100,ip,nw_dst=10.0.1.0/24,actions=output:out'");
	OK("add-flow 'priority=200,udp,tp_dst=53,actions=drop'");
	OK("add-port in net_pcap_e2ei,rx_pcap=%s/in.pcap,tx_pcap=%s/inout.pcap ofport=1", c.rundir,
	   c.rundir);
	for (int i = 0; i < 100; i++) {
		OK("pmd-stats-show");
		if (ctl_number_after(out, "packets received: ") >= 3)
			break;
		usleep(20000);
	}
	OK("dump-flows");
	cr_assert(strstr(out, "n_packets=1,") != NULL, "counters: %s", out);
	cr_assert(strstr(out, "priority=100,ip,nw_dst=10.0.1.0/24,actions=output:2") != NULL, "%s", out);
	OK("del-port out"); /* closes out.pcap */
	snprintf(path, sizeof(path), "%s/out.pcap", c.rundir);
	cr_assert_eq(pcap_read_frames(path, &got), 1);
	cr_assert_eq(memcmp(got[0].data, in[0].data, 64), 0);
	free(got);
	OK("--json show");
	cr_assert(strstr(out, "\"name\": \"in\"") != NULL, "%s", out);
}

/* kill -9 sluiced while traffic flows: forwarding never stops; the new sluiced adopts all. */
Test(control, killing_sluiced_never_stops_forwarding_and_it_comes_back_intact)
{
	char *db_before, *show_before;
	pid_t primary, worker;
	long long t0, t1, t2;

	ctl_start(&c, "kill", 1);
	OK("add-port sink net_null_ks,no-rx=1 ofport=2");
	OK("add-flow in_port=1,actions=output:2");
	OK("add-port src net_null_kr ofport=1");
	OK("show");
	show_before = strdup(strstr(out, "Port"));
	db_before = ctl_db(&c);
	primary = ctl_pid(&c, "primary");
	OK("worker-list");
	worker = (pid_t)ctl_number_after(out, "0   ");

	t0 = sink_tx("sink");
	kill(c.sluiced, SIGKILL);
	waitpid(c.sluiced, NULL, 0);
	c.sluiced = 0;
	usleep(300000);
	cr_assert_neq(ctl_run(&c, out, sizeof(out), "--timeout 500 show"), 0,
		      "sluiced should be gone");
	ctl_start_daemon(&c);
	t1 = sink_tx("sink");
	cr_assert_gt(t1, t0 + 100000, "traffic stalled while sluiced was down (%lld -> %lld)", t0, t1);
	cr_assert_eq(ctl_pid(&c, "primary"), primary, "the primary was restarted");
	OK("worker-list");
	cr_assert_eq(ctl_number_after(out, "0   "), worker, "the worker was restarted: %s", out);
	OK("show");
	cr_assert_str_eq(strstr(out, "Port"), show_before);
	cr_assert_str_eq(ctl_db(&c), db_before);
	usleep(100000);
	t2 = sink_tx("sink");
	cr_assert_gt(t2, t1);
	free(db_before);
	free(show_before);
}

/* The flows of a dump-flows output, without their counters (malloc'd, one a line). */
static char *
flow_texts(const char *dump)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	for (const char *line = dump; *line != '\0';) {
		const char *end = strchrnul(line, '\n'), *text = strstr(line, "idle_age=");

		cr_assert(text != NULL && text < end, "not a dump-flows line: %.*s", (int)(end - line),
			  line);
		text = strstr(text, ", ");
		cr_assert(text != NULL && text < end);
		fprintf(f, "%.*s\n", (int)(end - text - 2), text + 2);
		line = *end ? end + 1 : end;
	}
	fclose(f);
	return buf;
}

/* A crashed primary is restarted and the whole configuration comes back. */
Test(control, a_restarted_primary_gets_the_configuration_replayed)
{
	char *flows_before, *flows_after;
	pid_t primary;
	long long t;

	ctl_start(&c, "replay", 1);
	OK("add-port sink net_null_rs,no-rx=1 ofport=2 mtu=9000");
	OK("add-flow 'priority=5,in_port=1,actions=output:2'");
	OK("add-flow 'priority=9,ip,nw_dst=10.9.0.0/16,actions=drop'");
	OK("add-port src net_null_rr ofport=1");
	OK("dump-flows");
	flows_before = flow_texts(out);
	cr_assert(strstr(flows_before, "priority=9,") != NULL, "%s", flows_before);
	primary = ctl_pid(&c, "primary");
	kill(primary, SIGKILL);
	for (int i = 0; i < 200; i++) {
		if (ctl_pid(&c, "primary") != primary &&
		    ctl_run(&c, out, sizeof(out), "dump-ports sink") == 0 &&
		    ctl_number_after(out, "tx pkts=") > 1000)
			break;
		usleep(50000);
	}
	t = sink_tx("sink");
	cr_assert_gt(t, 1000, "no traffic after the primary restart: %s", out);
	OK("show");
	cr_assert(strstr(out, "mtu: 9000") != NULL, "%s", out);
	OK("dump-flows");
	cr_assert(strstr(out, "priority=9,ip,nw_dst=10.9.0.0/16,actions=drop") != NULL, "%s", out);
	cr_assert(strstr(out, "priority=5,in_port=1,actions=output:2") != NULL, "%s", out);
	/* The same flows in the same order: nothing lost, added or rewritten. */
	flows_after = flow_texts(out);
	cr_assert_str_eq(flows_after, flows_before, "flows before the crash:\n%s\nafter:\n%s",
			 flows_before, flows_after);
	free(flows_after);
	free(flows_before);
}

/* Bad input through sluicectl: one clear line, non-zero exit, nothing changed. */
Test(control, bad_input_is_refused_and_changes_nothing)
{
	static const struct {
		const char *args, *expect;
	} bad[] = {
		{ "frobnicate", "frobnicate" },
		{ "add-flow 'in_port=p9,actions=drop'", "unknown port \"p9\"" },
		{ "add-flow 'nw_dst=10.0.0.1,actions=drop'", "nw_dst" },
		{ "add-flow 'ip,actions=output:2,bogus'", "bogus" },
		{ "del-port nosuch", "nosuch" },
		{ "set-port sink mtu=20", "mtu" },
		{ "set-port sink mtu=100000", "mtu" },
		{ "set-port sink colour=blue", "colour" },
		{ "add-port sink net_null_bx", "sink" },
		{ "add-port p3 net_pcap_bx,rx_pcap=/nonexistent.pcap", "nonexistent" },
		{ "add-port p3 net_nosuchdriver0", "net_nosuchdriver0" },
		{ "add-port p3 net_af_packet0,iface=nosuchiface0", "nosuchiface0" },
	};
	char *db, *show, *flows;

	ctl_start(&c, "badctl", 1);
	OK("add-port sink net_null_bs,no-rx=1 ofport=2");
	OK("add-flow 'priority=7,ip,actions=output:2'");
	db = ctl_db(&c);
	OK("show");
	show = strdup(out);
	OK("dump-flows");
	flows = strdup(strstr(out, "priority"));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = ctl_run(&c, out, sizeof(out), "%s", bad[i].args);

		cr_assert_neq(rc, 0, "\"%s\" was accepted: %s", bad[i].args, out);
		cr_assert(strncmp(out, "sluicectl: ", 11) == 0, "\"%s\": %s", bad[i].args, out);
		cr_assert(strchr(out, '\n') == out + strlen(out) - 1, "not one line: %s", out);
		cr_assert(strstr(out, bad[i].expect) != NULL, "\"%s\": \"%s\" lacks \"%s\"",
			  bad[i].args, out, bad[i].expect);
		cr_assert_str_eq(ctl_db(&c), db, "\"%s\" changed the DB", bad[i].args);
	}
	OK("show");
	cr_assert_str_eq(out, show);
	OK("dump-flows");
	cr_assert(strstr(out, flows) != NULL, "%s", out);
	free(db), free(show), free(flows);
}

/* Garbage and oversized messages straight onto sluiced's socket. */
Test(control, malformed_bytes_on_the_socket_get_an_error_and_sluiced_serves_on)
{
	char ep[256], reply[4096];
	void *z = zmq_ctx_new(), *s;
	int linger = 0, tmo = 3000, n;
	Sluice__Reply *rep;
	size_t big = 70u << 20;
	char *huge = calloc(1, big);

	ctl_start(&c, "rawctl", 1);
	snprintf(ep, sizeof(ep), "ipc://%s/sluiced.sock", c.rundir);
	s = zmq_socket(z, ZMQ_REQ);
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(s, ZMQ_RCVTIMEO, &tmo, sizeof(tmo));
	zmq_connect(s, ep);
	zmq_send(s, "\x08\x01\xff\xff\xff garbage", 14, 0);
	n = zmq_recv(s, reply, sizeof(reply), 0);
	cr_assert_gt(n, 0, "no reply to garbage");
	rep = sluice__reply__unpack(NULL, n, (uint8_t *)reply);
	cr_assert_not_null(rep);
	cr_assert_eq(rep->status, EBADMSG, "status %d: %s", rep->status, rep->error);
	cr_assert(strstr(rep->error, "malformed request") != NULL, "%s", rep->error);
	sluice__reply__free_unpacked(rep, NULL);
	zmq_close(s);
	s = zmq_socket(z, ZMQ_REQ);
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	tmo = 1000;
	zmq_setsockopt(s, ZMQ_RCVTIMEO, &tmo, sizeof(tmo));
	zmq_connect(s, ep);
	zmq_send(s, huge, big, 0);
	zmq_recv(s, reply, sizeof(reply), 0);
	zmq_close(s);
	zmq_ctx_term(z);
	free(huge);
	OK("show");
	OK("add-port sink net_null_rw,no-rx=1");
}

/* Thousands of flows from a file in one transaction; shutdown frees everything. */
Test(control, add_flows_from_a_file_and_shutdown_frees_hugepages)
{
	char path[256], cmd[512];
	FILE *f;

	ctl_start(&c, "bulk", 1);
	OK("add-port sink net_null_bk,no-rx=1 ofport=2");
	snprintf(path, sizeof(path), "%s/flows.txt", c.rundir);
	f = fopen(path, "w");
	fprintf(f, "# generated\n\n");
	for (int i = 0; i < 20000; i++)
		fprintf(f, "priority=%d,ip,nw_src=10.%d.%d.%d,actions=output:sink\n", i % 50,
			(i >> 16) & 255, (i >> 8) & 255, i & 255);
	fclose(f);
	OK("add-flows %s", path);
	OK("dump-flows | wc -l");
	cr_assert_eq(ctl_run(&c, out, sizeof(out), "dump-flows > %s/dump.txt", c.rundir), 0);
	snprintf(cmd, sizeof(cmd), "test $(grep -c priority= %s/dump.txt) -eq 20000", c.rundir);
	cr_assert_eq(system(cmd), 0, "dump-flows does not list 20000 flows");
	OK("shutdown");
	for (int i = 0; i < 500 && waitpid(c.sluiced, NULL, WNOHANG) == 0; i++)
		usleep(10000);
	c.sluiced = 0;
	snprintf(cmd, sizeof(cmd), "ls /dev/hugepages | grep -q '^%smap_'", c.prefix);
	cr_assert_neq(system(cmd), 0, "hugepage files left after shutdown");
	snprintf(cmd, sizeof(cmd), "pgrep -f -- '--file-prefix=%s( |$)' >/dev/null", c.prefix);
	cr_assert_neq(system(cmd), 0, "processes left after shutdown");
}

/*
 * One bad flow deep in a big add-flows: sluice-primary parses the request
 * while sluiced does; the user gets sluiced's error naming the flow (its
 * control bytes made printable), and neither the switch's table nor the
 * DB changes.
 */
Test(control, a_bad_flow_in_a_big_add_flows_changes_nothing)
{
	char path[256], cmd[768];
	FILE *f;

	ctl_start(&c, "bulkbad", 1);
	OK("add-port sink net_null_bb,no-rx=1 ofport=2");
	OK("add-flow priority=7,ip,nw_dst=192.0.2.1,actions=output:sink");
	snprintf(path, sizeof(path), "%s/flows.txt", c.rundir);
	f = fopen(path, "w");
	for (int i = 0; i < 30000; i++) {
		if (i == 25000)
			fprintf(f, "priority=1,ip,nw_src=10.0.0.1,bogus\x1b[2J=1,actions=output:sink\n");
		fprintf(f, "priority=%d,ip,nw_src=10.%d.%d.%d,actions=output:sink\n", i % 50,
			(i >> 16) & 255, (i >> 8) & 255, i & 255);
	}
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cp %s/sluice.db %s/before.db", c.rundir, c.rundir);
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(ctl_run(&c, out, sizeof(out), "add-flows %s", path), 1, "%s", out);
	cr_assert(strstr(out, "bogus") != NULL, "the error does not name the field: %s", out);
	cr_assert(strstr(out, "\x1b") == NULL, "raw ESC in the error: %s", out);
	snprintf(cmd, sizeof(cmd), "%s:25001: ", path);
	cr_assert(strstr(out, cmd) != NULL, "the error does not name the file's line: %s", out);
	OK("dump-flows");
	cr_assert(strstr(out, "nw_dst=192.0.2.1") != NULL, "the old flow is gone: %s", out);
	cr_assert(strstr(out, "nw_src=10.") == NULL, "the batch was applied in part: %.300s", out);
	snprintf(cmd, sizeof(cmd), "cmp -s %s/sluice.db %s/before.db", c.rundir, c.rundir);
	cr_assert_eq(system(cmd), 0, "the DB changed");
	/* The same batch without the bad flow goes in whole. */
	snprintf(cmd, sizeof(cmd), "grep -v bogus %s > %s.good", path, path);
	cr_assert_eq(system(cmd), 0);
	OK("add-flows %s.good", path);
	cr_assert_eq(ctl_run(&c, out, sizeof(out), "dump-flows > %s/dump.txt", c.rundir), 0);
	snprintf(cmd, sizeof(cmd), "test $(grep -c priority= %s/dump.txt) -eq 30001", c.rundir);
	cr_assert_eq(system(cmd), 0, "dump-flows does not list the 30001 flows");
	ctl_stop(&c);
}

/*
 * A flow refused in a file is named by its line there, as ovs-ofctl names
 * it (FILE:LINE:), whether sluiced's parse refuses it (an unknown action)
 * or only the primary can (a meter that does not exist): comments and
 * blank lines count as lines; nothing of the file goes in.
 */
Test(control, a_refused_flow_in_a_file_is_named_by_its_line)
{
	static const char *const cases[][2] = {
		{ "in_port=1,actions=bogus", ":5: actions: unknown action \"bogus\"" },
		{ "in_port=1,actions=meter:7,output:2", ":5: meter 7 does not exist" },
	};
	char path[256];
	FILE *f;

	ctl_start(&c, "fline", 1);
	snprintf(path, sizeof(path), "%s/flows.txt", c.rundir);
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		char want[300];

		f = fopen(path, "w");
		cr_assert_not_null(f);
		fprintf(f, "# two good flows, then a bad one\n\npriority=2,actions=drop\n"
			   "  # indented comment\n%s\npriority=3,actions=drop\n", cases[k][0]);
		fclose(f);
		cr_assert_eq(ctl_run(&c, out, sizeof(out), "add-flows %s", path), 1, "%s", out);
		snprintf(want, sizeof(want), "%s%s", path, cases[k][1]);
		cr_assert(strstr(out, want) != NULL, "expected \"%s\": %s", want, out);
		cr_assert_eq(ctl_run(&c, out, sizeof(out), "replace-flows %s", path), 1, "%s", out);
		cr_assert(strstr(out, want) != NULL, "expected \"%s\": %s", want, out);
		OK("--no-stats dump-flows");
		cr_assert(strstr(out, "priority=2") == NULL, "the file went in in part: %s", out);
	}
	/* One flow on the command line has no line to name. */
	cr_assert_eq(ctl_run(&c, out, sizeof(out), "add-flow in_port=1,actions=bogus"), 1);
	cr_assert(strstr(out, "flows.txt") == NULL && strstr(out, "flow 1:") == NULL, "%s", out);
	ctl_stop(&c);
}

/* worker-restart is a planned hand-over: a new pid, traffic never stops. */
Test(control, worker_restart_hands_over_to_a_new_process)
{
	long long before, after, t0;

	ctl_start(&c, "wrst", 1);
	OK("add-port sink net_null_wk,no-rx=1 ofport=2");
	OK("add-flow in_port=1,actions=output:2");
	OK("add-port src net_null_ws ofport=1");
	OK("worker-list");
	before = ctl_number_after(out, "\n0   ");
	t0 = sink_tx("sink");
	OK("worker-restart 0");
	OK("worker-list");
	after = ctl_number_after(out, "\n0   ");
	cr_assert(after > 0 && after != before, "worker 0 is still pid %lld: %s", after, out);
	cr_assert(strstr(out, "running") != NULL, "%s", out);
	usleep(100000);
	cr_assert_gt(sink_tx("sink"), t0 + 1000, "no traffic after the restart");
	cr_assert(kill((pid_t)before, 0) != 0, "the old worker %lld is still alive", before);
	ctl_stop(&c);
}

/* sluice-dump finds the instance from --rundir alone (the primary records its file prefix). */
Test(control, sluice_dump_joins_the_instance_named_by_its_rundir)
{
	char cmd[1024], path[256];
	struct frame *got;

	ctl_start(&c, "dumprd", 1);
	OK("add-port sink net_null_dk,no-rx=1 ofport=2");
	OK("add-flow in_port=1,actions=output:2");
	OK("add-port src net_null_ds ofport=1");
	snprintf(path, sizeof(path), "%s/cap.pcap", c.rundir);
	snprintf(cmd, sizeof(cmd), "timeout 20 %s/tools/sluice-dump --rundir %s -i src -c 5 -w %s 2>/dev/null",
		 getenv("SLUICE_BUILD"), c.rundir, path);
	cr_assert_eq(system(cmd), 0, "sluice-dump --rundir %s failed", c.rundir);
	cr_assert_eq(pcap_read_frames(path, &got), 5);
	free(got);
	ctl_stop(&c);
}

/* replace-flows from stdin: the table (and the DB) become exactly the new set. */
Test(control, replace_flows_from_stdin_makes_table_and_db_exactly_the_new_set)
{
	char *db;

	ctl_start(&c, "replctl", 1);
	OK("add-port sink net_null_rk,no-rx=1 ofport=2");
	OK("add-flow 'priority=5,ip,nw_dst=10.0.0.0/8,actions=output:2'");
	OK("add-flow 'priority=6,arp,actions=NORMAL'");
	{
		char path[256];
		FILE *f;

		snprintf(path, sizeof(path), "%s/new-flows.txt", c.rundir);
		f = fopen(path, "w");
		cr_assert_not_null(f);
		fputs("# new table\npriority=6,arp,actions=NORMAL\n"
		      "priority=7,udp,tp_dst=53,actions=drop\n", f);
		fclose(f);
		OK("replace-flows - < %s", path);
	}
	OK("dump-flows");
	cr_assert(strstr(out, "priority=6,arp,actions=NORMAL") != NULL, "%s", out);
	cr_assert(strstr(out, "priority=7,udp,tp_dst=53,actions=drop") != NULL, "%s", out);
	cr_assert(strstr(out, "nw_dst=10.0.0.0/8") == NULL, "the old flow survived: %s", out);
	db = ctl_db(&c);
	cr_assert(strstr(db, "tp_dst=53") != NULL && strstr(db, "10.0.0.0/8") == NULL, "%s", db);
	free(db);
	ctl_stop(&c);
}
