/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bonds against a real partner: Open vSwitch's userspace switch
 * (ovs-vswitchd, datapath_type=netdev) with a bond over veth pairs whose
 * other ends are sluice's members (net_af_packet); a namespace behind each
 * switch (tests/system/bond_partner.sh builds it all).  LACP negotiates
 * both ways (each side's lacp-show has both members current and attached,
 * with the other's system id as partner); ping and TCP pass; iperf3 -P 8
 * over balance-tcp uses both members; a member whose link goes down stops
 * carrying traffic (the ping loss is printed) and returns, used again after
 * a rebalance; LACP survives a primary crash and a worker restart;
 * active-backup against an active-backup partner; balance-slb spreads 100
 * source MACs; bad input changes nothing.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "control.h"

CTL_SUITE(bond, 150);

static char tag[8];

static void
partner_down(void)
{
	if (tag[0] != '\0')
		ctl_sh("%s/tests/system/bond_partner.sh down %s >/dev/null 2>&1", getenv("SLUICE_SOURCE"),
		       tag);
}

static void
bond_fini(void)
{
	ctl_stop(&c);
	partner_down();
}

/* Output of a shell command (stdout and stderr), in a static buffer. */
static const char *
sh_out(const char *fmt, ...)
{
	static char buf[1 << 16];
	char cmd[2048];
	size_t n = 0;
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	buf[0] = '\0';
	f = popen(cmd, "r");
	if (f == NULL)
		return buf;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	pclose(f);
	return buf;
}

#define PARTNER(...) sh_out("%s/tests/system/bond_partner.sh " __VA_ARGS__)
#define SRC getenv("SLUICE_SOURCE")

/* Veths, namespaces; OVS with a bond of @ovs_opts unless NULL. */
static void
partner_up(const char *t, const char *ovs_opts)
{
	snprintf(tag, sizeof(tag), "%s", t);
	partner_down();
	cr_assert_eq(ctl_sh("%s/tests/system/bond_partner.sh up %s", SRC, tag), 0);
	if (ovs_opts != NULL)
		cr_assert_eq(ctl_sh("%s/tests/system/bond_partner.sh ovs %s %s >/dev/null 2>&1", SRC,
				    tag, ovs_opts),
			     0, "OVS did not start");
}

/* sluice: host port h0, bond b0 of m0 and m1 with @opts, NORMAL switching. */
static void
sluice_up(const char *opts)
{
	ctl_start(&c, tag, 1);
	OK("add-port h0 net_af_packet%sh,iface=%ssh", tag, tag);
	OK("add-bond b0 m0 net_af_packet%s0,iface=%ss0 m1 net_af_packet%s1,iface=%ss1 %s", tag, tag,
	   tag, tag, opts);
	OK("add-flow actions=NORMAL");
}

/* How many times @needle occurs in @hay. */
static int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* The MAC after "@key" in @text, into @mac (18 bytes). */
static void
mac_after(const char *text, const char *key, char *mac)
{
	const char *p = strstr(text, key);

	mac[0] = '\0';
	if (p != NULL)
		sscanf(p + strlen(key), "%17s", mac);
}

static long long
tx_of(const char *port)
{
	OK("dump-ports %s", port);
	return ctl_number_after(out, "tx pkts=");
}

/* Both sides see both members current and attached, each with the other as partner. */
static bool
negotiated(void)
{
	char ours[20], theirs[20], seen[20];
	char ovs[1 << 14];

	if (ctl_run(&c, out, sizeof(out), "lacp-show b0") != 0 ||
	    count(out, "current attached") != 2)
		return false;
	mac_after(out, "  sys_id: ", ours);
	mac_after(out, "partner sys_id: ", seen);
	snprintf(ovs, sizeof(ovs), "%s", PARTNER("appctl %s lacp/show", SRC, tag));
	if (count(ovs, "current attached") != 2)
		return false;
	mac_after(ovs, "  sys_id: ", theirs);
	return strcmp(seen, theirs) == 0 && count(ovs, ours) >= 2; /* its partner of both members */
}

static void
wait_negotiated(int ms)
{
	for (int i = 0; i < ms / 100 && !negotiated(); i++)
		usleep(100000);
	cr_assert(negotiated(), "LACP did not negotiate: ours:\n%s\nOVS:\n%s", out,
		  PARTNER("appctl %s lacp/show", SRC, tag));
}

static void
ping_ok(int n)
{
	const char *r = sh_out("ip netns exec %sA ping -c %d -i 0.1 -W 1 10.77.0.2", tag, n);

	cr_assert(strstr(r, " 0% packet loss") != NULL, "ping: %s", r);
}

/* iperf3 -P @streams for @secs from A to B; its summary line. */
static const char *
iperf(int streams, int secs)
{
	ctl_sh("ip netns exec %sB iperf3 -s -D -1 -p 5201 >/dev/null 2>&1; sleep 0.3", tag);
	return sh_out("ip netns exec %sA timeout %d iperf3 -c 10.77.0.2 -P %d -t %d -p 5201 2>&1 | "
		      "grep -E 'SUM.*receiver|receiver' | tail -1",
		      tag, secs + 8, streams, secs);
}

Test(bond, lacp_balance_tcp_negotiates_with_ovs_spreads_and_fails_over, .fini = bond_fini)
{
	long long t0[2], t1[2];
	const char *r;
	int carrier, lost;

	partner_up("bt", "lacp=active bond_mode=balance-tcp other_config:lacp-time=fast");
	sluice_up("bond_mode=balance-tcp lacp=active lacp-time=fast bond-rebalance-interval=1000");
	wait_negotiated(8000);
	OK("bond-show b0");
	cr_assert(strstr(out, "bond_mode: balance-tcp") && strstr(out, "lacp_status: negotiated") &&
		  count(out, ": enabled") == 2, "%s", out);
	ping_ok(5);

	/* TCP, 8 streams: both members carry some (per-member counters). */
	t0[0] = tx_of("m0"), t0[1] = tx_of("m1");
	r = iperf(8, 3);
	cr_assert(strstr(r, "receiver") != NULL, "iperf3: %s", r);
	t1[0] = tx_of("m0"), t1[1] = tx_of("m1");
	cr_log_info("balance-tcp iperf3 -P 8: %s; tx m0 +%lld m1 +%lld", r, t1[0] - t0[0],
		    t1[1] - t0[1]);
	cr_assert(t1[0] - t0[0] > 1000 && t1[1] - t0[1] > 1000, "m0 +%lld, m1 +%lld",
		  t1[0] - t0[0], t1[1] - t0[1]);

	/* Which member carries the ping, then its link goes down under a 10 ms ping. */
	t0[0] = tx_of("m0"), t0[1] = tx_of("m1");
	ping_ok(20);
	t1[0] = tx_of("m0"), t1[1] = tx_of("m1");
	carrier = t1[1] - t0[1] > t1[0] - t0[0];
	ctl_sh("(ip netns exec %sA ping -c 300 -i 0.01 -W 1 10.77.0.2 > %s/ping.txt 2>&1 &); sleep 1;"
	       "ip link set %so%d down",
	       tag, c.rundir, tag, carrier);
	for (int i = 0; i < 100; i++) {
		r = sh_out("grep -o '[0-9]* received' %s/ping.txt", c.rundir);
		if (r[0] != '\0')
			break;
		usleep(100000);
	}
	lost = 300 - atoi(r);
	cr_log_info("balance-tcp: m%d's link down under ping -i 0.01: %d of 300 lost (gap ~%d ms)",
		    carrier, lost, lost * 10);
	fprintf(stderr, "bond failover: %d of 300 pings lost at 10 ms (gap ~%d ms)\n", lost, lost * 10);
	cr_assert(lost <= 20, "%d lost: %s", lost, ctl_file(&c, "ping.txt"));
	OK("bond-show b0");
	cr_assert(strstr(out, carrier ? "member m1: disabled" : "member m0: disabled"), "%s", out);
	ping_ok(5);

	/* Link back: LACP again, and after a rebalance (1 s here) it carries traffic again. */
	ctl_sh("ip link set %so%d up", tag, carrier);
	wait_negotiated(8000);
	usleep(1200000);
	t0[0] = tx_of("m0"), t0[1] = tx_of("m1");
	r = iperf(8, 3);
	usleep(1200000);
	r = iperf(8, 3);
	t1[0] = tx_of("m0"), t1[1] = tx_of("m1");
	cr_log_info("after the link returned: tx m0 +%lld m1 +%lld", t1[0] - t0[0], t1[1] - t0[1]);
	cr_assert(t1[carrier] - t0[carrier] > 1000, "m%d not used again: +%lld", carrier,
		  t1[carrier] - t0[carrier]);

	/* LACP runs in the primary: a worker restart leaves it alone, a primary crash restarts it. */
	OK("worker-restart 0");
	usleep(300000);
	cr_assert(negotiated(), "after worker-restart: %s", out);
	ping_ok(3);
	ctl_sh("kill -9 $(cat %s/primary.pid)", c.rundir);
	sleep(2);
	for (int i = 0; i < 100 && ctl_run(&c, out, sizeof(out), "bond-show b0") != 0; i++)
		usleep(100000);
	wait_negotiated(8000);
	ping_ok(3);

	/* A partner that goes silent (stopped, links up): expired after 3 s (fast), not used. */
	ctl_sh("kill -STOP $(cat /tmp/slbond-%s/ovs-vswitchd.pid)", tag);
	for (int i = 0; i < 100; i++) {
		OK("bond-show b0");
		if (count(out, ": disabled") == 2)
			break;
		usleep(100000);
	}
	cr_assert(count(out, ": disabled") == 2, "silent partner still used: %s", out);
	OK("lacp-show b0");
	ctl_sh("kill -CONT $(cat /tmp/slbond-%s/ovs-vswitchd.pid)", tag);
	cr_assert(count(out, ": expired ") + count(out, ": defaulted ") == 2 &&
		  count(out, "may_enable: false") == 2, "%s", out);
	wait_negotiated(8000);
}

Test(bond, active_backup_against_an_active_backup_partner, .fini = bond_fini)
{
	static char before[1 << 14];
	long long t0[2], t1[2];

	partner_up("ba", "bond_mode=active-backup other_config:bond-primary=bao0");
	sluice_up("bond_mode=active-backup bond-primary=m0");
	usleep(500000);
	ping_ok(5);
	OK("bond-show b0");
	cr_assert(strstr(out, "bond_mode: active-backup") && strstr(out, "(m0)") &&
		  strstr(out, "lacp_status: off"), "%s", out);
	t0[0] = tx_of("m0"), t0[1] = tx_of("m1");
	ping_ok(10);
	t1[0] = tx_of("m0"), t1[1] = tx_of("m1");
	cr_assert(t1[0] - t0[0] >= 10 && t1[1] == t0[1], "m0 +%lld m1 +%lld (backup sends nothing)",
		  t1[0] - t0[0], t1[1] - t0[1]);
	/* The active link goes: both sides move to the other member. */
	ctl_sh("ip link set %so0 down", tag);
	usleep(300000);
	OK("bond-show b0");
	cr_assert(strstr(out, "(m1)"), "%s", out);
	ping_ok(5);
	/* bond-primary takes over again once its link is back. */
	ctl_sh("ip link set %so0 up", tag);
	usleep(500000);
	OK("bond-show b0");
	cr_assert(strstr(out, "(m0)"), "%s", out);
	ping_ok(3);
	/* By hand: disabling the active member moves traffic to the other. */
	OK("bond-disable-member b0 m0");
	OK("bond-show b0");
	cr_assert(strstr(out, "(m1)") && strstr(out, "disabled by bond-disable-member"), "%s", out);
	OK("bond-enable-member b0 m0");
	OK("bond-set-active-member b0 m1");
	OK("bond-show b0");
	cr_assert(strstr(out, "(m1)"), "%s", out);
	/* Back to the member the partner is active on (it drops what arrives on its backup). */
	OK("bond-set-active-member b0 m0");

	/* sluiced restarts: the bond it finds in the primary is the DB's, left alone. */
	OK("show");
	snprintf(before, sizeof(before), "%s", strstr(out, "    Port"));
	kill(c.sluiced, SIGKILL);
	waitpid(c.sluiced, NULL, 0);
	ctl_start_daemon(&c);
	OK("show");
	cr_assert_str_eq(strstr(out, "    Port"), before, "reconciled");
	OK("bond-show b0");
	cr_assert(strstr(out, "(m0)"), "not disturbed: %s", out);
	ping_ok(3);
}

Test(bond, balance_slb_spreads_100_source_macs_over_both_members, .fini = bond_fini)
{
	long long t0[2], t1[2];
	const char *r;

	partner_up("bs", NULL);
	sluice_up("bond_mode=balance-slb");
	usleep(300000);
	t0[0] = tx_of("m0"), t0[1] = tx_of("m1");
	r = sh_out("ip netns exec %sA /usr/bin/python3 -c \"from scapy.all import *\n"
		   "sendp([Ether(src='02:00:00:00:%%02x:%%02x' %% (i // 256, i %% 256), "
		   "dst='ff:ff:ff:ff:ff:ff')/IP(dst='10.77.0.9')/UDP() for i in range(100)], "
		   "iface='%sa', verbose=0)\" 2>&1",
		   tag, tag);
	usleep(500000);
	t1[0] = tx_of("m0"), t1[1] = tx_of("m1");
	cr_log_info("balance-slb, 100 source MACs: m0 +%lld, m1 +%lld", t1[0] - t0[0],
		    t1[1] - t0[1]);
	cr_assert(t1[0] - t0[0] + t1[1] - t0[1] >= 100, "flood: one copy to the bond: %s", r);
	cr_assert(t1[0] - t0[0] >= 20 && t1[1] - t0[1] >= 20, "m0 +%lld, m1 +%lld",
		  t1[0] - t0[0], t1[1] - t0[1]);
	OK("bond-show b0");
	cr_assert(count(out, "  hash ") == 256, "every bucket has a member: %s", out);
	/* The bond counts what its members count (the members' own chatter may add a frame). */
	t0[0] = tx_of("b0");
	t1[0] = tx_of("m0") + tx_of("m1");
	cr_assert(t0[0] >= 100 && t1[0] >= t0[0] && t1[0] - t0[0] <= 5,
		  "dump-ports b0 tx %lld, m0 + m1 %lld", t0[0], t1[0]);
}

Test(bond, bad_input_is_refused_and_changes_nothing, .fini = bond_fini)
{
	char before[1 << 14];

	partner_up("bx", NULL);
	ctl_start(&c, tag, 1);
	OK("add-port h0 net_af_packet%sh,iface=%ssh", tag, tag);
	OK("show");
	snprintf(before, sizeof(before), "%s", out);
	REFUSED("needs at least 2 members", "add-bond b0 m0 net_af_packet%s0,iface=%ss0", tag, tag);
	REFUSED("bond_mode", "add-bond b0 m0 net_af_packet%s0,iface=%ss0 m1 net_af_packet%s1,iface=%ss1"
			     " bond_mode=round-robin", tag, tag, tag, tag);
	REFUSED("balance-tcp needs lacp",
		"add-bond b0 m0 net_af_packet%s0,iface=%ss0 m1 net_af_packet%s1,iface=%ss1"
		" bond_mode=balance-tcp", tag, tag, tag, tag);
	REFUSED("port \"h0\" already exists",
		"add-bond b0 h0 net_af_packet%s0,iface=%ss0 m1 net_af_packet%s1,iface=%ss1", tag, tag,
		tag, tag);
	REFUSED("is already port \"h0\"",
		"add-bond b0 m0 net_af_packet%sh,iface=%ssh m1 net_af_packet%s1,iface=%ss1", tag, tag,
		tag, tag);
	REFUSED("has no DEVARGS", "add-bond b0 m0 net_af_packet%s0,iface=%ss0 m1", tag, tag);
	REFUSED("bond-primary=m9 is not a member",
		"add-bond b0 m0 net_af_packet%s0,iface=%ss0 m1 net_af_packet%s1,iface=%ss1"
		" bond-primary=m9", tag, tag, tag, tag);
	/* The primary refuses a member it cannot attach: the first member is taken back. */
	REFUSED("m1", "add-bond b0 m0 net_af_packet%s0,iface=%ss0 m1 net_af_packetnone,iface=nonexistent0",
		tag, tag);
	REFUSED("bond setting", "add-port x net_null0 lacp=active");
	REFUSED("no bond \"b9\"", "bond-show b9");
	REFUSED("no bond \"b9\"", "del-bond b9");
	OK("show");
	cr_assert_str_eq(out, before, "changed by refused requests");
	/* A good one, then its members cannot be taken on their own. */
	OK("add-bond b0 m0 net_af_packet%s0,iface=%ss0 m1 net_af_packet%s1,iface=%ss1", tag, tag, tag,
	   tag);
	REFUSED("member of bond \"b0\"", "del-port m0");
	REFUSED("is a bond", "del-port b0");
	OK("del-bond b0");
	OK("show");
	cr_assert_str_eq(out, before, "del-bond left something");
}

/* set-port changes a bond's settings live, as ovs-vsctl set port does; they survive a new primary. */
Test(bond, settings_change_live_and_survive_a_primary_restart, .fini = bond_fini)
{
	static char before[1 << 14];
	pid_t primary;

	partner_up("bl", NULL);
	sluice_up("bond_mode=active-backup bond-primary=m0");
	OK("bond-show b0");
	cr_assert(strstr(out, "bond_mode: active-backup") && strstr(out, "(m0)") &&
		  count(out, "  hash ") == 0, "%s", out);
	OK("set-port b0 bond_mode=balance-slb bond_updelay=100 bond-rebalance-interval=2000");
	OK("bond-show b0");
	cr_assert(strstr(out, "bond_mode: balance-slb") && strstr(out, "updelay: 100 ms") &&
		  count(out, "  hash ") == 256, "balance-slb at once: %s", out);
	/* A new bond-primary takes over at once. */
	OK("set-port b0 bond_mode=active-backup bond-primary=m1");
	OK("bond-show b0");
	cr_assert(strstr(out, "bond_mode: active-backup") && strstr(out, "(m1)"), "%s", out);
	OK("set-port b0 lacp=active lacp-time=fast lacp-fallback-ab=true");
	OK("lacp-show b0");
	cr_assert(strstr(out, "status: active") && strstr(out, "lacp_time: fast"), "%s", out);

	/* Refused whole, and nothing changes. */
	OK("bond-show b0");
	snprintf(before, sizeof(before), "%s", out);
	REFUSED("bond-primary=m9 is not a member", "set-port b0 bond-primary=m9");
	REFUSED("bond-primary=h0 is not a member", "set-port b0 bond_updelay=5 bond-primary=h0");
	REFUSED("bond_mode", "set-port b0 bond_mode=round-robin");
	REFUSED("is a bond: mtu", "set-port b0 mtu=9000");
	REFUSED("lacp is a bond setting", "set-port h0 lacp=active");
	REFUSED("lacp is a bond setting", "set-port m0 lacp=active");
	OK("set-port b0 lacp=off lacp-fallback-ab=false");
	REFUSED("balance-tcp needs lacp", "set-port b0 bond_mode=balance-tcp");
	OK("set-port b0 lacp=active lacp-fallback-ab=true");
	OK("bond-show b0");
	/* lacp off and on again restarted LACP: only what bond-show says of it may differ. */
	cr_assert(strstr(out, "bond_mode: active-backup") && strstr(out, "(m1)") &&
		  strstr(out, "updelay: 100 ms") && strstr(out, "lacp_fallback_ab: true"),
		  "refused set-ports changed it: %s\nbefore: %s", out, before);

	/* The DB has them; a new primary gets them from sluiced's replay. */
	cr_assert(strstr(ctl_db(&c), "bond_mode=active-backup") &&
		  strstr(ctl_db(&c), "lacp-time=fast") && strstr(ctl_db(&c), "bond-primary=m1"),
		  "DB: %s", ctl_db(&c));
	primary = ctl_pid(&c, "primary");
	kill(primary, SIGKILL);
	for (int i = 0; i < 200; i++) {
		if (ctl_pid(&c, "primary") != primary &&
		    ctl_run(&c, out, sizeof(out), "lacp-show b0") == 0)
			break;
		usleep(50000);
	}
	OK("lacp-show b0");
	cr_assert(strstr(out, "status: active") && strstr(out, "lacp_time: fast"), "replayed: %s",
		  out);
	OK("bond-show b0");
	cr_assert(strstr(out, "bond_mode: active-backup") && strstr(out, "updelay: 100 ms") &&
		  strstr(out, "active-backup primary: m1"), "replayed: %s", out);
}
