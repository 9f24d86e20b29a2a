/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OpenFlow meters end to end through sluicectl, with Open vSwitch's own
 * cases (tests/dpif-netdev.at, "dpif-netdev - meters"): a pktps meter of
 * rate 1 and burst 1 drops 4 of 5 frames sent back to back; a kbps meter of
 * rate 1 and burst 2 drops 3 of seven 60-byte frames.  dump-meters and
 * meter-stats print what ovs-ofctl prints; a flow naming a missing meter is
 * refused; deleting a meter deletes its flows; meters survive a primary
 * crash (replay) and a sluiced restart (reconcile, counters untouched);
 * bad input is refused with nothing changed.
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

CTL_SUITE(meters, 120);



#define METER1 "meter=1 pktps burst stats bands=type=drop rate=1 burst_size=1"
#define METER2 "meter=2 kbps burst stats bands=type=drop rate=1 burst_size=2"

/* @n 60-byte frames (64 on the wire) in the rundir's @name. */
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

/* meter-stats without the durations (they change), as OVS's strip_timers. */
static const char *
meter_stats(void)
{
	char *p = out;

	OK("meter-stats");
	while ((p = strstr(p, "duration:")) != NULL) {
		size_t n = strcspn(p + 9, " ");

		memmove(p + 10, p + 9 + n, strlen(p + 9 + n) + 1);
		p[9] = '-';
		p += 10;
	}
	return out;
}

/* The two meters, their flows into a sink, then the sources: 5 frames on 1, 7 on 2. */
static void
ovs_meter_setup(const char *name)
{
	ctl_start(&c, name, 1);
	OK("add-meter '%s'", METER1);
	OK("add-meter %s", METER2); /* the words may come as separate arguments */
	OK("add-port sink net_null_%s,no-rx=1 ofport=3", name);
	OK("add-flow in_port=1,actions=meter:1,output:3");
	OK("add-flow in_port=2,actions=meter:2,output:3");
	OK("add-port p1 net_pcap_%s1,rx_pcap=%s ofport=1", name, frames("p1.pcap", 5));
	OK("add-port p2 net_pcap_%s2,rx_pcap=%s ofport=2", name, frames("p2.pcap", 7));
	for (int i = 0; i < 200; i++) {
		OK("dump-ports sink");
		if (ctl_number_after(out, "tx pkts=") == 5)
			break;
		usleep(20000);
	}
	usleep(100000); /* the workers publish counters every 10 ms */
}

Test(meters, ovs_pktps_and_kbps_cases_drop_what_ovs_drops)
{
	ovs_meter_setup("movs");
	/* 1 + 4 frames passed. */
	cr_assert_eq(ctl_number_after(out, "tx pkts="), 5, "%s", out);
	cr_assert_str_eq(meter_stats(),
			 "meter:1 flow_count:1 packet_in_count:5 byte_in_count:300 duration:- bands:\n"
			 "0: packet_count:4 byte_count:240\n"
			 "\n"
			 "meter:2 flow_count:1 packet_in_count:7 byte_in_count:420 duration:- bands:\n"
			 "0: packet_count:3 byte_count:180\n");
	OK("dump-meters");
	cr_assert_str_eq(out, "meter=1 pktps burst stats bands=\n"
			      "type=drop rate=1 burst_size=1\n"
			      "\n"
			      "meter=2 kbps burst stats bands=\n"
			      "type=drop rate=1 burst_size=2\n");
	OK("dump-meters meter=2");
	cr_assert_str_eq(out, "meter=2 kbps burst stats bands=\ntype=drop rate=1 burst_size=2\n");
	OK("dump-flows");
	OK("--no-stats dump-flows in_port=1");
	cr_assert_str_eq(out, " priority=32768,in_port=1,actions=meter:1,output:3\n");
	OK("dump-aggregate in_port=1");
	cr_assert_str_eq(out, "NXST_AGGREGATE reply (xid=0x4): packet_count=5 byte_count=300 "
			      "flow_count=1\n");
	OK("--json meter-stats meter=1");
	cr_assert(strstr(out, "\"packet_count\": 4") != NULL, "%s", out);

	/* mod-meter: buckets refill, counters start again, as OVS's new datapath meter. */
	OK("mod-meter meter=1,pktps,burst,stats,bands=type=drop,rate=10,burst_size=10");
	OK("meter-stats meter=1");
	cr_assert(strstr(out, "packet_in_count:0 byte_in_count:0") != NULL, "%s", out);
	OK("dump-meters 1");
	cr_assert_str_eq(out, "meter=1 pktps burst stats bands=\ntype=drop rate=10 burst_size=10\n");
}

Test(meters, a_flow_naming_a_missing_meter_is_refused)
{
	char *db;

	ctl_start(&c, "mmiss", 1);
	OK("add-meter %s", METER1);
	OK("add-flow in_port=1,actions=meter:1,output:2");
	db = ctl_db(&c);
	REFUSED("meter 9 does not exist", "add-flow in_port=2,actions=meter:9,output:2");
	REFUSED("meter must come first", "add-flow in_port=2,actions=output:2,meter:1");
	OK("dump-flows");
	cr_assert(strstr(out, "meter:9") == NULL && strstr(out, "in_port=2") == NULL, "%s", out);
	cr_assert_str_eq(ctl_db(&c), db, "the DB is unchanged");
	free(db);
}

/* As OpenFlow (OFPRR_METER_DELETE): a meter's flows go with it. */
Test(meters, deleting_a_meter_deletes_the_flows_that_use_it)
{
	char *db;

	ctl_start(&c, "mdel", 1);
	OK("add-meter %s", METER1);
	OK("add-meter %s", METER2);
	OK("add-flow in_port=1,actions=meter:1,output:3");
	OK("add-flow in_port=2,actions=meter:2,output:3");
	OK("add-flow in_port=4,actions=output:3");
	OK("meter-stats meter=1");
	cr_assert(strstr(out, "flow_count:1 ") != NULL, "%s", out);
	OK("del-meters meter=1");
	OK("dump-flows");
	cr_assert(strstr(out, "meter:1") == NULL, "%s", out);
	cr_assert(strstr(out, "meter:2") != NULL && strstr(out, "in_port=4") != NULL, "%s", out);
	db = ctl_db(&c);
	cr_assert(strstr(db, "meter:1") == NULL && strstr(db, "meter meter=1") == NULL, "%s", db);
	cr_assert(strstr(db, "meter meter=2 kbps burst stats bands=type=drop rate=1 burst_size=2\n") !=
		  NULL, "%s", db);
	free(db);
	OK("del-meters meter=7"); /* none such: no error, as OpenFlow */
	OK("del-meters");
	OK("dump-meters");
	cr_assert_str_eq(out, "");
	OK("dump-flows");
	cr_assert(strstr(out, "meter:") == NULL && strstr(out, "in_port=4") != NULL, "%s", out);
	db = ctl_db(&c);
	cr_assert(strstr(db, "meter") == NULL, "%s", db);
	free(db);
}

Test(meters, meters_survive_a_primary_crash_and_a_sluiced_restart)
{
	char stats[4096], *db;
	pid_t primary;

	ovs_meter_setup("mkeep");
	db = ctl_db(&c);
	cr_assert(strstr(db, "meter " METER1 "\nmeter " METER2 "\nflow ") != NULL,
		  "meters before flows: %s", db);
	/* sluiced restarts: the primary has what the DB says, nothing is touched. */
	snprintf(stats, sizeof(stats), "%s", meter_stats());
	kill(c.sluiced, SIGKILL);
	waitpid(c.sluiced, NULL, 0);
	ctl_start_daemon(&c);
	cr_assert_str_eq(meter_stats(), stats, "reconcile left the meters alone");
	cr_assert_str_eq(ctl_db(&c), db);

	/* The primary crashes: its replacement gets the meters, then the flows. */
	primary = ctl_pid(&c, "primary");
	kill(primary, SIGKILL);
	for (int i = 0; i < 200; i++) {
		if (ctl_pid(&c, "primary") != primary && ctl_run(&c, out, sizeof(out), "dump-flows") == 0 &&
		    strstr(out, "meter:2") != NULL)
			break;
		usleep(50000);
	}
	cr_assert(strstr(out, "in_port=1,actions=meter:1,output:3") != NULL, "replayed: %s", out);
	OK("show");
	cr_assert(strstr(out, "last replay failed") == NULL, "%s", out);
	OK("dump-meters");
	cr_assert_str_eq(out, "meter=1 pktps burst stats bands=\ntype=drop rate=1 burst_size=1\n\n"
			      "meter=2 kbps burst stats bands=\ntype=drop rate=1 burst_size=2\n");
	cr_assert_str_eq(ctl_db(&c), db);
	free(db);
}

Test(meters, bad_meter_input_is_refused_and_changes_nothing)
{
	char *db, meters[4096];

	ctl_start(&c, "mbad", 1);
	OK("add-meter %s", METER1);
	OK("add-flow in_port=1,actions=meter:1,output:2");
	db = ctl_db(&c);
	OK("dump-meters");
	snprintf(meters, sizeof(meters), "%s", out);
	REFUSED("meter 1 already exists", "add-meter meter=1 kbps bands=type=drop rate=5");
	REFUSED("meter 5 does not exist", "mod-meter meter=5 kbps bands=type=drop rate=5");
	REFUSED("must specify bands", "add-meter meter=3 kbps");
	REFUSED("meter must specify either 'kbps' or 'pktps'", "add-meter meter=3 bands=type=drop rate=5");
	REFUSED("band must have 'rate'", "add-meter meter=3 kbps bands=type=drop");
	REFUSED("band must have 'burst_size' when 'burst' flag is set",
		"add-meter meter=3 kbps burst bands=type=drop rate=5");
	REFUSED("field type unknown value shape", "add-meter meter=3 kbps bands=type=shape rate=5");
	REFUSED("only drop bands are supported",
		"add-meter meter=3 kbps bands=type=dscp_remark rate=5 prec_level=1");
	REFUSED("virtual meters are not supported", "add-meter meter=slowpath pktps bands=type=drop rate=5");
	REFUSED("invalid value for meter", "add-meter meter=0 kbps bands=type=drop rate=5");
	REFUSED("unknown keyword colour", "add-meter meter=3 kbps colour=red bands=type=drop rate=5");
	REFUSED("\\x1b", "add-meter 'meter=3 kbps \033[2J bands=type=drop rate=5'");
	REFUSED("meter 4 does not exist", "dump-meters meter=4");
	REFUSED("meter 4 does not exist", "meter-stats meter=4");
	REFUSED("invalid value for meter", "del-meters meter=x");
	cr_assert_eq(ctl_run(&c, out, sizeof(out), "add-meter"), 2, "usage: %s", out);
	OK("dump-meters");
	cr_assert_str_eq(out, meters, "the meters are unchanged");
	OK("dump-flows");
	cr_assert(strstr(out, "actions=meter:1,output:2") != NULL, "%s", out);
	cr_assert_str_eq(ctl_db(&c), db, "the DB is unchanged");
	free(db);
}
