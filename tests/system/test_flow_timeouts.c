/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow timeouts end to end: idle_timeout expires a flow no packet hits
 * while real traffic keeps another alive, hard_timeout expires one whatever
 * its traffic; expired flows leave the DB, and neither a primary crash
 * (replay) nor a sluiced restart (reconcile) brings one back, even when
 * sluiced was not there to see it expire.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "control.h"
#include "instance.h"

CTL_SUITE(flow_timeouts, 120);

/* A source replaying UDP frames to 10.0.0.1 forever, as port "in" (ofport 1). */
static void
add_source(const char *name)
{
	char path[256];
	struct frame f[8];

	for (unsigned int i = 0; i < 8; i++)
		frame_udp(&f[i], "50:54:00:00:00:09", "50:54:00:00:00:0a", -1, "10.0.0.2", "10.0.0.1",
			  (uint16_t)(1000 + i), 2000, 60);
	snprintf(path, sizeof(path), "%s/in.pcap", c.rundir);
	pcap_write_frames(path, f, 8);
	OK("add-port in net_pcap_%sin,rx_pcap=%s,infinite_rx=1 ofport=1", name, path);
}

static bool
has_flow(const char *needle)
{
	OK("--no-stats dump-flows");
	return strstr(out, needle) != NULL;
}

static bool
db_has(const char *needle)
{
	char *db = ctl_db(&c);
	bool has = strstr(db, needle) != NULL;

	free(db);
	return has;
}

/* The DB loses an expired flow soon after the primary did (sluiced looks every 100 ms). */
static bool
db_loses(const char *needle)
{
	for (int i = 0; i < 20; i++) {
		if (!db_has(needle))
			return true;
		usleep(50000);
	}
	return false;
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Milliseconds from @since (a now_ms()) until @needle leaves dump-flows, -1
 * if it is still there @limit_ms after @since.  Timed from the moment the
 * test did what starts the timer, not from this call: on a loaded machine
 * the steps between (an add-port, a del-port) can take a second.
 */
static long
ms_until_gone_since(long since, const char *needle, long limit_ms)
{
	while (now_ms() - since < limit_ms) {
		long t = now_ms();

		if (!has_flow(needle))
			return t - since;
		usleep(50000);
	}
	return -1;
}

static long
ms_until_gone(const char *needle, long limit_ms)
{
	return ms_until_gone_since(now_ms(), needle, limit_ms);
}

Test(flow_timeouts, idle_timeout_expires_the_idle_flow_while_traffic_keeps_another)
{
	long long before, after;
	long added, stopped;

	ctl_start(&c, "fmidle", 1);
	OK("add-port sink net_null_fmidlesink,no-rx=1 ofport=2");
	OK("add-flow idle_timeout=2,priority=100,in_port=1,actions=output:2");
	added = now_ms();
	OK("add-flow idle_timeout=2,priority=100,in_port=7,actions=output:2");
	OK("add-flow priority=1,actions=drop");
	add_source("fmidle");
	OK("dump-flows in_port=1");
	cr_assert(strstr(out, "idle_timeout=2, idle_age=") != NULL, "%s", out);
	/* The flow without traffic goes after its 2 s, from the table and the DB. */
	cr_assert_geq(ms_until_gone_since(added, "in_port=7", 5000), 1400, "expired too early");
	cr_assert(db_loses("in_port=7"), "the DB still has the expired flow");
	/* Well past 2 s the one with traffic is there, its counter moving. */
	sleep(1);
	OK("dump-flows in_port=1");
	before = ctl_number_after(out, "n_packets=");
	cr_assert(strstr(out, "idle_age=0, ") != NULL, "used just now: %s", out);
	usleep(500000);
	OK("dump-flows in_port=1");
	after = ctl_number_after(out, "n_packets=");
	cr_assert_gt(after, before, "%s", out);
	cr_assert(db_has("flow idle_timeout=2,priority=100,in_port=1,actions=output:2\n"));
	/* Its traffic stops: it goes too, 2 s later (the source is gone at once). */
	stopped = now_ms();
	OK("del-port in");
	cr_assert_geq(ms_until_gone_since(stopped, "in_port=1", 5000), 1400);
	cr_assert(db_loses("in_port=1,"));
	cr_assert(has_flow("priority=1,actions=drop"), "a flow without timeouts stays");
}

Test(flow_timeouts, hard_timeout_expires_whatever_the_traffic_and_dump_shows_the_ages)
{
	long gone;

	ctl_start(&c, "fmhard", 1);
	OK("add-port sink net_null_fmhardsink,no-rx=1 ofport=2");
	OK("add-flow hard_timeout=3,idle_timeout=60,priority=100,in_port=1,actions=output:2");
	add_source("fmhard");
	usleep(1200000);
	OK("dump-flows");
	cr_assert(strstr(out, "idle_timeout=60, hard_timeout=3, idle_age=0, priority=100,in_port=1,"
			      "actions=output:2") != NULL,
		  "%s", out);
	cr_assert_gt(ctl_number_after(out, "n_packets="), 0, "%s", out);
	gone = ms_until_gone("in_port=1", 4000);
	cr_assert(gone >= 0 && gone <= 2400, "gone after %ld ms more", gone);
	cr_assert(db_loses("in_port=1,"));
	/* mod-flows starts the hard timer again, as in OVS. */
	OK("add-flow hard_timeout=2,priority=50,in_port=1,actions=output:2");
	usleep(1500000);
	OK("mod-flows --strict priority=50,in_port=1,actions=drop");
	usleep(1000000);
	cr_assert(has_flow("hard_timeout=2, priority=50,in_port=1,actions=drop"),
		  "still there 2.5 s after it was added: %s", out);
	cr_assert_geq(ms_until_gone("priority=50", 3000), 0);
}

/* The instance's primary is killed; wait until a new one serves dump-flows. */
static void
crash_primary(void)
{
	pid_t old = ctl_pid(&c, "primary");

	cr_assert_gt(old, 0);
	kill(old, SIGKILL);
	for (int i = 0; i < 200; i++) {
		usleep(50000);
		if (ctl_pid(&c, "primary") != old && ctl_pid(&c, "primary") != 0 &&
		    ctl_run(&c, out, sizeof(out), "--no-stats dump-flows") == 0 &&
		    strstr(out, "priority=1,actions=drop") != NULL)
			return;
	}
	cr_assert_fail("no new primary: %s", out);
}

Test(flow_timeouts, restarts_never_bring_an_expired_flow_back)
{
	ctl_start(&c, "fmres", 1);
	OK("add-flow priority=1,actions=drop");
	/* 1. sluiced frozen while a flow expires, then the primary crashes:
	 * the replay must not put the flow back. */
	OK("add-flow idle_timeout=1,priority=10,in_port=3,actions=drop");
	kill(c.sluiced, SIGSTOP);
	usleep(2000000);
	cr_assert(strstr(ctl_file(&c, "flows.expired"), "in_port=3") != NULL,
		  "the primary logged the expiry");
	cr_assert(db_has("in_port=3"), "sluiced, frozen, has not seen it yet");
	kill(ctl_pid(&c, "primary"), SIGKILL);
	usleep(200000);
	kill(c.sluiced, SIGCONT);
	/* crash_primary's wait: the primary is already gone */
	for (int i = 0; i < 200; i++) {
		usleep(50000);
		if (ctl_run(&c, out, sizeof(out), "--no-stats dump-flows") == 0 &&
		    strstr(out, "priority=1,actions=drop") != NULL)
			break;
	}
	cr_assert_str_eq(out, " priority=1,actions=drop\n", "replayed without the expired flow");
	cr_assert_not(db_has("in_port=3"));
	cr_assert_str_eq(ctl_file(&c, "flows.expired"), "", "taken");

	/* 2. sluiced down while a flow expires: its reconcile must not put it back. */
	OK("add-flow idle_timeout=1,priority=10,in_port=4,actions=drop");
	kill(c.sluiced, SIGKILL);
	waitpid(c.sluiced, NULL, 0);
	usleep(2000000);
	ctl_start_daemon(&c);
	OK("--no-stats dump-flows");
	cr_assert_str_eq(out, " priority=1,actions=drop\n", "reconciled without the expired flow");
	cr_assert(db_loses("in_port=4"));

	/* 3. And a flow that did not expire comes back with its timeout. */
	OK("add-flow idle_timeout=30,priority=10,in_port=5,actions=drop");
	crash_primary();
	OK("--no-stats dump-flows");
	cr_assert(strstr(out, " idle_timeout=30, priority=10,in_port=5,actions=drop\n") != NULL, "%s",
		  out);
}

/* A TCP segment to port @dport with TCP flags @flags, IPv4 checksum right. */
static void
tcp_frame(struct frame *f, uint16_t dport, uint8_t flags)
{
	uint8_t *ip = f->data + 14, *t = ip + 20;
	uint32_t s = 0;

	frame_udp(f, "50:54:00:00:00:09", "50:54:00:00:00:0a", -1, "10.0.0.2", "10.0.0.1", 40000,
		  dport, 60);
	ip[9] = 6;
	memset(t + 4, 0, 16);
	t[12] = 0x50; /* 20-byte header */
	t[13] = flags;
	ip[10] = ip[11] = 0;
	for (int i = 0; i < 20; i += 2)
		s += (uint32_t)ip[i] << 8 | ip[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	ip[10] = (uint8_t)(~s >> 8), ip[11] = (uint8_t)~s;
}

/*
 * fin_timeout(idle_timeout=1) on a flow with idle_timeout=60: a FIN
 * shortens its idle timeout to 1 s (dump-flows shows it) and it expires,
 * from the table and the DB; the flow whose segment had no FIN or RST
 * keeps its 60 s.  importance=N is shown where ovs-ofctl shows it.
 */
Test(flow_timeouts, fin_timeout_shortens_the_timeout_on_a_fin)
{
	struct frame f[2];
	char path[256];
	long gone;

	ctl_start(&c, "fmfin", 1);
	OK("add-port sink net_null_fmfinsink,no-rx=1 ofport=2");
	OK("add-flow 'idle_timeout=60,priority=100,tcp,tp_dst=80,"
	   "actions=fin_timeout(idle_timeout=1),output:2'");
	OK("add-flow 'idle_timeout=60,priority=100,tcp,tp_dst=81,"
	   "actions=fin_timeout(idle_timeout=1),output:2'");
	OK("add-flow importance=7,priority=1,actions=drop");
	tcp_frame(&f[0], 80, 0x11); /* FIN, ACK */
	tcp_frame(&f[1], 81, 0x10); /* ACK */
	snprintf(path, sizeof(path), "%s/in.pcap", c.rundir);
	pcap_write_frames(path, f, 2);
	OK("add-port in net_pcap_fmfinin,rx_pcap=%s ofport=1", path);
	for (int i = 0; i < 40 && !has_flow("idle_timeout=1, priority=100,tcp,tp_dst=80"); i++)
		usleep(50000);
	cr_assert(has_flow("idle_timeout=1, priority=100,tcp,tp_dst=80,"
			   "actions=fin_timeout(idle_timeout=1),output:2"),
		  "the FIN shortened the idle timeout: %s", out);
	gone = ms_until_gone("tp_dst=80", 3000);
	cr_assert(gone >= 0, "the flow that saw a FIN expired");
	cr_assert(db_loses("tp_dst=80"), "the DB still has it");
	OK("dump-flows");
	cr_assert(strstr(out, "idle_timeout=60, idle_age=") != NULL &&
			  strstr(out, "tcp,tp_dst=81,") != NULL,
		  "the flow without a FIN keeps its timeout: %s", out);
	cr_assert(strstr(out, "importance=7, idle_age=") != NULL, "%s", out);
	OK("dump-flows tcp,tp_dst=81");
	cr_assert_eq(ctl_number_after(out, "n_packets="), 1, "it saw its segment: %s", out);
}
