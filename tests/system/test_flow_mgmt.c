/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow management as ovs-ofctl has it, through sluicectl and sluiced:
 * mod-flows (loose and --strict, counters kept, OpenFlow 1.0's add when
 * nothing is selected), cookie=VALUE/MASK on del-flows, mod-flows and
 * dump-flows, dump-flows with a match, --no-stats and --names,
 * dump-aggregate and diff-flows, each persisted and replayed after a
 * primary crash and a sluiced restart; a refused request changes nothing.
 * Formats are those ovs-ofctl 3.1 prints (checked against it).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "control.h"
#include "instance.h"

CTL_SUITE(flow_mgmt, 120);

/* @n UDP frames to 10.0.0.1 in the rundir's @name. */
static const char *
frames(const char *name, unsigned int n)
{
	static char path[256];
	struct frame f[16];

	cr_assert_leq(n, 16);
	for (unsigned int i = 0; i < n; i++)
		frame_udp(&f[i], "50:54:00:00:00:09", "50:54:00:00:00:0a", -1, "10.0.0.2", "10.0.0.1",
			  (uint16_t)(1000 + i), 2000, 60);
	snprintf(path, sizeof(path), "%s/%s", c.rundir, name);
	pcap_write_frames(path, f, n);
	return path;
}

/* Wait until port @name has sent @n packets. */
static void
wait_tx(const char *name, long long n)
{
	for (int i = 0; i < 300; i++) {
		OK("dump-ports %s", name);
		if (ctl_number_after(out, "tx pkts=") >= n)
			break;
		usleep(20000);
	}
	cr_assert_eq(ctl_number_after(out, "tx pkts="), n, "%s", out);
	usleep(100000); /* the workers publish counters every 10 ms */
}

static const char *const table =
	" cookie=0x11, priority=100,in_port=1,actions=output:2\n"
	" cookie=0x12, priority=50,ip,nw_dst=10.0.0.0/8,actions=output:3\n"
	" cookie=0x21, priority=60,ip,nw_dst=10.1.0.0/16,actions=drop\n"
	" priority=5,arp,actions=NORMAL\n";

static void
setup(const char *name)
{
	ctl_start(&c, name, 1);
	OK("add-port a net_null_%sa,no-rx=1 ofport=2", name);
	OK("add-port b net_null_%sb,no-rx=1 ofport=3", name);
	OK("add-flow br0 cookie=0x11,priority=100,in_port=1,actions=output:2");
	OK("add-flow cookie=0x12,priority=50,ip,nw_dst=10.0.0.0/8,actions=output:3");
	OK("add-flow cookie=0x21,priority=60,ip,nw_dst=10.1.0.0/16,actions=drop");
	OK("add-flow priority=5,arp,actions=NORMAL");
	OK("--no-stats dump-flows");
	cr_assert_str_eq(out, table);
}

Test(flow_mgmt, mod_flows_changes_actions_and_keeps_the_counters)
{
	setup("fmmod");
	OK("add-port in net_pcap_fmmodin,rx_pcap=%s ofport=1", frames("in.pcap", 5));
	wait_tx("a", 5);
	OK("dump-flows in_port=1");
	cr_assert(strstr(out, "n_packets=5, n_bytes=300, ") != NULL, "%s", out);
	/* Loose: every flow the match covers, whatever its priority. */
	OK("mod-flows br0 in_port=1,actions=output:3");
	OK("dump-flows in_port=1");
	cr_assert(strstr(out, " cookie=0x11, duration=") == out, "%s", out);
	cr_assert(strstr(out, "n_packets=5, n_bytes=300, idle_age=") != NULL, "counters kept: %s",
		  out);
	cr_assert(strstr(out, "priority=100,in_port=1,actions=output:3\n") != NULL, "%s", out);
	OK("mod-flows ip,actions=drop");
	OK("--no-stats dump-flows ip");
	cr_assert_str_eq(out, " cookie=0x12, priority=50,ip,nw_dst=10.0.0.0/8,actions=drop\n"
			      " cookie=0x21, priority=60,ip,nw_dst=10.1.0.0/16,actions=drop\n");
	/* --strict: exactly this match and priority; a cookie without a mask is set. */
	OK("mod-flows --strict cookie=0x99,priority=50,ip,nw_dst=10.0.0.0/8,actions=output:2");
	OK("--strict --no-stats dump-flows priority=60,ip,nw_dst=10.1.0.0/16");
	cr_assert_str_eq(out, " cookie=0x21, priority=60,ip,nw_dst=10.1.0.0/16,actions=drop\n");
	OK("--no-stats dump-flows cookie=0x99/-1");
	cr_assert_str_eq(out, " cookie=0x99, priority=50,ip,nw_dst=10.0.0.0/8,actions=output:2\n");
	/* Selecting nothing adds the flow (OpenFlow 1.0, ovs-ofctl's default) ... */
	OK("mod-flows priority=7,udp,actions=output:2");
	OK("--no-stats dump-flows udp");
	cr_assert_str_eq(out, " priority=7,udp,actions=output:2\n");
	/* ... unless it selects by cookie. */
	OK("mod-flows cookie=0x1000/0xf000,tcp,actions=output:2");
	OK("--no-stats dump-flows tcp");
	cr_assert_str_eq(out, "");
	/* The DB has what the switch has. */
	cr_assert(strstr(ctl_db(&c),
			 "flow cookie=0x99,priority=50,ip,nw_dst=10.0.0.0/8,actions=output:2\n") != NULL);
	cr_assert(strstr(ctl_db(&c), "flow priority=7,udp,actions=output:2\n") != NULL);
	/* hard_age appears once a flow was modified later than it was added. */
	sleep(1);
	OK("mod-flows --strict priority=7,udp,actions=output:3");
	OK("dump-flows udp");
	cr_assert(strstr(out, "hard_age=0, priority=7,udp,actions=output:3") != NULL, "%s", out);
}

Test(flow_mgmt, cookie_masks_select_for_del_flows_and_dump_flows)
{
	setup("fmck");
	OK("--no-stats dump-flows cookie=0x10/0xf0");
	cr_assert_str_eq(out, " cookie=0x11, priority=100,in_port=1,actions=output:2\n"
			      " cookie=0x12, priority=50,ip,nw_dst=10.0.0.0/8,actions=output:3\n");
	/* A cookie and a match: both must select. */
	OK("--no-stats dump-flows cookie=0x10/0xf0,ip");
	cr_assert_str_eq(out, " cookie=0x12, priority=50,ip,nw_dst=10.0.0.0/8,actions=output:3\n");
	OK("del-flows cookie=0x20/0xf0");
	OK("--no-stats dump-flows");
	cr_assert_str_eq(out, " cookie=0x11, priority=100,in_port=1,actions=output:2\n"
			      " cookie=0x12, priority=50,ip,nw_dst=10.0.0.0/8,actions=output:3\n"
			      " priority=5,arp,actions=NORMAL\n");
	/* --strict with a cookie: the match, priority and cookie must all agree. */
	OK("del-flows --strict cookie=0x13/-1,priority=50,ip,nw_dst=10.0.0.0/8");
	OK("--no-stats dump-flows ip");
	cr_assert(strstr(out, "cookie=0x12") != NULL, "%s", out);
	OK("del-flows --strict cookie=0x12/-1,priority=50,ip,nw_dst=10.0.0.0/8");
	OK("--no-stats dump-flows ip");
	cr_assert_str_eq(out, "");
	cr_assert(strstr(ctl_db(&c), "cookie=0x12") == NULL);
	cr_assert(strstr(ctl_db(&c), "cookie=0x11") != NULL);
}

Test(flow_mgmt, dump_aggregate_names_and_diff_flows_print_what_ovs_ofctl_prints)
{
	char path[256], path2[256];
	FILE *f;

	setup("fmagg");
	OK("add-port in net_pcap_fmaggin,rx_pcap=%s ofport=1", frames("in.pcap", 3));
	wait_tx("a", 3);
	OK("dump-aggregate br0");
	cr_assert_str_eq(out, "NXST_AGGREGATE reply (xid=0x4): packet_count=3 byte_count=180 "
			      "flow_count=4\n");
	OK("dump-aggregate ip");
	cr_assert_str_eq(out, "NXST_AGGREGATE reply (xid=0x4): packet_count=0 byte_count=0 "
			      "flow_count=2\n");
	OK("dump-aggregate --strict priority=5,arp");
	cr_assert_str_eq(out, "NXST_AGGREGATE reply (xid=0x4): packet_count=0 byte_count=0 "
			      "flow_count=1\n");
	OK("dump-flows --names --no-stats in_port=1");
	cr_assert_str_eq(out, " cookie=0x11, priority=100,in_port=in,actions=output:a\n");

	/* A file by port name against the switch: "-" the file's, "+" the switch's. */
	snprintf(path, sizeof(path), "%s/flows.txt", c.rundir);
	f = fopen(path, "w");
	cr_assert(f != NULL);
	fprintf(f, "# the table as it should be\n"
		   "cookie=0x11,priority=100,in_port=in,actions=output:a\n"
		   "cookie=0x12,priority=50,ip,nw_dst=10.0.0.0/8,actions=output:2\n"
		   "priority=5,arp,actions=NORMAL\n"
		   "priority=1,actions=drop\n");
	fclose(f);
	cr_assert_eq(ctl_run(&c, out, sizeof(out), "diff-flows %s", path), 2, "%s", out);
	cr_assert_str_eq(out, "-priority=50,ip,nw_dst=10.0.0.0/8 cookie=0x12 actions=output:2\n"
			      "+priority=50,ip,nw_dst=10.0.0.0/8 cookie=0x12 actions=output:3\n"
			      "-priority=1 actions=drop\n"
			      "+priority=60,ip,nw_dst=10.1.0.0/16 cookie=0x21 actions=drop\n");
	cr_assert_eq(ctl_run(&c, out, sizeof(out), "diff-flows br0 %s", path), 2, "%s", out);
	cr_assert(strstr(out, "-priority=50,ip,nw_dst=10.0.0.0/8 cookie=0x12 actions=output:3\n") &&
			  strstr(out, "+priority=1 actions=drop\n") != NULL,
		  "%s", out);
	/* The switch's own dump, as a file, is the switch. */
	snprintf(path2, sizeof(path2), "%s/dump.txt", c.rundir);
	cr_assert_eq(ctl_run(&c, out, sizeof(out), "--no-stats dump-flows | sed 's/^ cookie=\\(0x[0-9a-f]*\\), /cookie=\\1,/' > %s", path2), 0);
	cr_assert_eq(ctl_run(&c, out, sizeof(out), "diff-flows %s br0", path2), 0, "%s", out);
	cr_assert_str_eq(out, "");
	cr_assert_eq(ctl_run(&c, out, sizeof(out), "diff-flows %s %s", path, path), 0, "%s", out);
	/* A bad line names its source and flow. */
	f = fopen(path, "a");
	fprintf(f, "in_port=nope,actions=drop\n");
	fclose(f);
	REFUSED("first source, flow 5: in_port: unknown port \"nope\"", "diff-flows %s", path);
}

Test(flow_mgmt, changes_survive_a_primary_crash_and_a_sluiced_restart)
{
	pid_t primary;

	setup("fmrep");
	OK("mod-flows ip,actions=output:2");
	OK("del-flows cookie=0x11/-1");
	OK("--no-stats dump-flows"); /* the table as it must come back */
	{
		char *want = strdup(out);

		primary = ctl_pid(&c, "primary");
		kill(primary, SIGKILL);
		for (int i = 0; i < 200; i++) {
			usleep(50000);
			if (ctl_pid(&c, "primary") != primary && ctl_pid(&c, "primary") != 0 &&
			    ctl_run(&c, out, sizeof(out), "--no-stats dump-flows") == 0 &&
			    strcmp(out, want) == 0)
				break;
		}
		OK("--no-stats dump-flows");
		cr_assert_str_eq(out, want, "replayed after the primary's crash");
		kill(c.sluiced, SIGKILL);
		waitpid(c.sluiced, NULL, 0);
		ctl_start_daemon(&c);
		OK("--no-stats dump-flows");
		cr_assert_str_eq(out, want, "reconciled after sluiced's restart");
		cr_assert_str_eq(want, " cookie=0x12, priority=50,ip,nw_dst=10.0.0.0/8,actions=output:2\n"
				       " cookie=0x21, priority=60,ip,nw_dst=10.1.0.0/16,actions=output:2\n"
				       " priority=5,arp,actions=NORMAL\n");
		free(want);
	}
}

Test(flow_mgmt, a_refused_request_changes_nothing)
{
	char *db;

	setup("fmbad");
	db = ctl_db(&c);
	REFUSED("actions: unknown action \"bogus\"", "mod-flows ip,actions=bogus");
	REFUSED("missing actions=", "mod-flows ip");
	REFUSED("cookie: a mask selects flows", "add-flow cookie=0x1/0x1,actions=drop");
	REFUSED("cookie: bad number \"zz\"", "del-flows cookie=zz");
	REFUSED("actions= not allowed in a match", "dump-flows in_port=1,actions=drop");
	REFUSED("unknown port \"nope\"", "dump-aggregate in_port=nope");
	cr_assert_eq(ctl_run(&c, out, sizeof(out), "dump-flows --bogus"), 2, "%s", out);
	cr_assert(strstr(out, "unknown option \"--bogus\"") != NULL, "%s", out);
	cr_assert_str_eq(ctl_db(&c), db, "the DB is unchanged");
	OK("--no-stats dump-flows");
	cr_assert_str_eq(out, table);
	free(db);
}
