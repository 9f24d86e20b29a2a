/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OpenFlow groups end to end through sluicectl: a select group spreads 300
 * flows over three pcap ports, each frame to the port the hash names
 * (checked against common/group.c on the frame as the worker parses it);
 * a fast_failover group moves to its second bucket when the first port is
 * deleted; all and indirect groups; dump-groups and dump-group-stats print
 * what ovs-ofctl -O OpenFlow13 prints; a group a flow uses is not deleted;
 * groups survive a primary crash and a sluiced restart; bad input changes
 * nothing.
 */
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "control.h"
#include "group_syntax.h"
#include "instance.h"
#include "packet.h"

CTL_SUITE(groups, 120);

#define N_FRAMES 300
static struct frame frames[N_FRAMES];

/* @n UDP frames, each its own 5-tuple, in the rundir's @name; @infinite: replayed forever. */
static void
add_source(const char *name, unsigned int n, bool infinite)
{
	char path[256];

	for (unsigned int i = 0; i < n; i++) {
		char src[32];

		snprintf(src, sizeof(src), "10.0.%u.%u", i / 200, 1 + i % 200);
		frame_udp(&frames[i], "50:54:00:00:00:09", "50:54:00:00:00:0a", -1, src, "10.9.0.1",
			  (uint16_t)(1000 + i * 7), 4789, 60);
	}
	snprintf(path, sizeof(path), "%s/in.pcap", c.rundir);
	pcap_write_frames(path, frames, n);
	OK("add-port in net_pcap_%sin,rx_pcap=%s%s ofport=1", name, path,
	   infinite ? ",infinite_rx=1" : "");
}

static long long
tx_of(const char *port)
{
	OK("dump-ports %s", port);
	return ctl_number_after(out, "tx pkts=");
}

Test(groups, select_spreads_flows_over_three_ports_as_the_hash_says)
{
	static const char *const group =
		"group_id=1,type=select,bucket=output:2,bucket=output:3,bucket=output:4";
	unsigned int want[3] = { 0 }, got_n[3];
	struct sl_group g;
	char err[256], path[256];

	ctl_start(&c, "gsel", 1);
	snprintf(path, sizeof(path), "%s/none.pcap", c.rundir);
	pcap_write_frames(path, NULL, 0);
	for (int p = 0; p < 3; p++)
		OK("add-port o%d net_pcap_gselo%d,rx_pcap=%s/none.pcap,tx_pcap=%s/o%d.pcap ofport=%d", p,
		   p, c.rundir, c.rundir, p, p + 2);
	OK("add-group br0 %s", group);
	OK("add-flow in_port=1,actions=group:1");
	OK("dump-groups");
	cr_assert_str_eq(out, " group_id=1,type=select,bucket=actions=output:2,"
			      "bucket=actions=output:3,bucket=actions=output:4\n");
	add_source("gsel", N_FRAMES, false);
	for (int i = 0; i < 300 && tx_of("o0") + tx_of("o1") + tx_of("o2") < N_FRAMES; i++)
		usleep(20000);
	usleep(100000);
	OK("dump-group-stats");
	cr_assert(strstr(out, ",ref_count=1,packet_count=300,byte_count=18000,bucket0:") != NULL,
		  "%s", out);
	for (int p = 0; p < 3; p++)
		OK("del-port o%d", p); /* closes its pcap */

	/* Every frame where the worker's hash sends it. */
	cr_assert_eq(sl_group_parse(group, SL_GROUP_PARSE_MOD, NULL, NULL, &g, err, sizeof(err)), 0);
	for (unsigned int i = 0; i < N_FRAMES; i++) {
		struct sl_flow_key k;

		sl_parse(frames[i].data, frames[i].len, 1, &k, NULL);
		want[sl_group_select(&g, sl_group_hash(&g, &k))]++;
	}
	for (int p = 0; p < 3; p++) {
		struct frame *got;

		snprintf(path, sizeof(path), "%s/o%d.pcap", c.rundir, p);
		got_n[p] = (unsigned int)pcap_read_frames(path, &got);
		for (unsigned int i = 0; i < got_n[p]; i++) {
			struct sl_flow_key k;

			sl_parse(got[i].data, got[i].len, 1, &k, NULL);
			cr_assert_eq(sl_group_select(&g, sl_group_hash(&g, &k)), p,
				     "frame %u of o%d belongs elsewhere", i, p);
		}
		free(got);
		cr_assert_eq(got_n[p], want[p], "o%d: %u frames, the hash says %u", p, got_n[p],
			     want[p]);
		cr_assert_gt(got_n[p], N_FRAMES / 6, "o%d has %u of %d", p, got_n[p], N_FRAMES);
	}
}

Test(groups, fast_failover_moves_to_the_second_bucket_when_the_first_port_goes)
{
	long long before2, before3;

	ctl_start(&c, "gff", 1);
	OK("add-port a net_null_gffa,no-rx=1 ofport=2");
	OK("add-port b net_null_gffb,no-rx=1 ofport=3");
	OK("add-group group_id=5,type=fast_failover,bucket=watch_port:2,actions=output:2,"
	   "bucket=watch_port:b,actions=output:3");
	OK("dump-groups 5");
	cr_assert_str_eq(out, " group_id=5,type=ff,bucket=watch_port:2,actions=output:2,"
			      "bucket=watch_port:3,actions=output:3\n");
	OK("add-flow in_port=1,actions=group:5");
	add_source("gff", 8, true);
	for (int i = 0; i < 200 && tx_of("a") < 1000; i++)
		usleep(20000);
	cr_assert_geq(tx_of("a"), 1000);
	cr_assert_eq(tx_of("b"), 0, "the second bucket idles while the first port lives");
	OK("del-port a");
	before3 = tx_of("b");
	usleep(300000);
	cr_assert_gt(tx_of("b"), before3 + 100, "the second bucket took over: %s", out);
	/* Back when the port comes back (a new port with ofport 2). */
	OK("add-port a2 net_null_gffa2,no-rx=1 ofport=2");
	usleep(200000);
	before2 = tx_of("a2");
	before3 = tx_of("b");
	usleep(300000);
	cr_assert_gt(tx_of("a2"), before2 + 100);
	cr_assert_lt(tx_of("b"), before3 + 50, "b carries nothing once port 2 is back");
	OK("dump-group-stats");
	cr_assert(strstr(out, "bucket1:packet_count=") != NULL &&
			  ctl_number_after(out, "bucket1:packet_count=") > 100,
		  "%s", out);
}

Test(groups, all_and_indirect_and_mod_group)
{
	ctl_start(&c, "gall", 1);
	OK("add-port a net_null_galla,no-rx=1 ofport=2");
	OK("add-port b net_null_gallb,no-rx=1 ofport=3");
	OK("add-group group_id=1,type=all,bucket=output:2,bucket=output:3");
	OK("add-group group_id=2,type=indirect,bucket=output:3");
	OK("add-flow in_port=1,udp,actions=group:1");
	OK("add-flow in_port=1,tcp,actions=group:2");
	add_source("gall", 20, false);
	for (int i = 0; i < 200 && tx_of("b") < 20; i++)
		usleep(20000);
	cr_assert_eq(tx_of("a"), 20, "all: every bucket");
	cr_assert_eq(tx_of("b"), 20);
	/* indirect, changed under the flow that uses it */
	OK("mod-group group_id=1,type=indirect,bucket=output:3");
	OK("dump-groups group_id=1");
	cr_assert_str_eq(out, " group_id=1,type=indirect,bucket=actions=output:3\n");
	OK("dump-group-stats 1");
	cr_assert(strstr(out, "packet_count=0,byte_count=0,bucket0:packet_count=0") != NULL,
		  "mod-group restarts the counters: %s", out);
	REFUSED("group 3 does not exist (add-group adds it)", "mod-group group_id=3,type=all");
	REFUSED("group 2 already exists (mod-group changes it)", "add-group group_id=2,type=all");
}

Test(groups, a_used_group_is_not_deleted_and_groups_survive_restarts)
{
	char *db;
	pid_t primary;

	ctl_start(&c, "gdel", 1);
	OK("add-port a net_null_gdela,no-rx=1 ofport=2");
	OK("add-group 'group_id=1,type=select,selection_method=hash,fields(ip_src,udp_dst),"
	   "bucket=weight:3,actions=output:2,bucket=output:2'");
	OK("add-group group_id=2,type=all,bucket=output:2");
	OK("add-flow in_port=1,actions=group:1");
	db = ctl_db(&c);
	REFUSED("group 1 is used by 1 flow: delete or change it first", "del-groups group_id=1");
	REFUSED("group 1 is used by 1 flow", "del-groups");
	cr_assert_str_eq(ctl_db(&c), db, "the DB is unchanged");
	REFUSED("actions: group 9 does not exist", "add-flow in_port=2,actions=group:9");
	REFUSED("an indirect group has exactly one bucket", "add-group group_id=3,type=indirect");
	REFUSED("type: unknown group type", "add-group group_id=3,type=rr,bucket=output:2");
	REFUSED("watch_port: unknown port \"zz\"",
		"add-group group_id=3,type=ff,bucket=watch_port:zz,actions=output:2");
	cr_assert_str_eq(ctl_db(&c), db, "the DB is unchanged");
	free(db);
	OK("dump-groups");
	db = strdup(out);
	cr_assert_str_eq(db, " group_id=1,type=select,selection_method=hash,fields(ip_src,tcp_dst),"
			     "bucket=weight:3,actions=output:2,bucket=actions=output:2\n"
			     " group_id=2,type=all,bucket=actions=output:2\n");

	primary = ctl_pid(&c, "primary");
	kill(primary, SIGKILL);
	for (int i = 0; i < 200; i++) {
		usleep(50000);
		if (ctl_pid(&c, "primary") != primary && ctl_pid(&c, "primary") != 0 &&
		    ctl_run(&c, out, sizeof(out), "--no-stats dump-flows") == 0 &&
		    strstr(out, "group:1") != NULL)
			break;
	}
	cr_assert(strstr(out, " priority=32768,in_port=1,actions=group:1\n") != NULL,
		  "the flow came back after its group: %s", out);
	OK("dump-groups");
	cr_assert_str_eq(out, db, "replayed");
	kill(c.sluiced, SIGKILL);
	waitpid(c.sluiced, NULL, 0);
	ctl_start_daemon(&c);
	OK("dump-groups");
	cr_assert_str_eq(out, db, "reconciled");
	/* Free once unused; then del-groups takes it. */
	OK("del-flows in_port=1");
	OK("del-groups group_id=1");
	OK("dump-groups");
	cr_assert_str_eq(out, " group_id=2,type=all,bucket=actions=output:2\n");
	OK("del-groups");
	OK("dump-groups");
	cr_assert_str_eq(out, "");
	cr_assert(strstr(ctl_db(&c), "group ") == NULL);
	free(db);
}
