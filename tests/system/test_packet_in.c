/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet-ins end to end: a controller action in a real worker sends a copy
 * of the packet (cut to max_len) with its metadata through its ring to the
 * primary, which rate-limits and keeps them; sluicectl packet-in-show
 * prints them as ovs-ofctl monitor does, packet-in-stats counts them.  A
 * packet-in sent from the worker's pipeline cache is sent all the same, and
 * a worker killed with packet-ins queued loses no mbuf; one the primary has
 * no memory to keep is counted as such, not as rate-limited.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "control.h"
#include "instance.h"

static struct ctl c;
static struct inst in;
static char out[1 << 16];

static void
teardown(void)
{
	ctl_stop(&c);
	inst_stop(&in);
}

TestSuite(packet_in, .fini = teardown, .timeout = 120);

#define OK(...) cr_assert_eq(ctl_run(&c, out, sizeof(out), __VA_ARGS__), 0, "%s", out)

static unsigned int
count(const char *text, const char *needle)
{
	unsigned int n = 0;

	for (const char *p = strstr(text, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

/*
 * Two tables, registers and a cookie: four identical 200-byte frames hit
 * controller(max_len=64,userdata=01.02.03) in table 1 (all but the first
 * from the worker's caches), a 100-byte one a bare controller in table 0.
 * Each packet-in says where it came from and carries the cut packet.
 */
Test(packet_in, controller_action_packet_ins_show_in_sluicectl)
{
	struct frame f[5];
	char path[256];

	ctl_start(&c, "pinshow", 1);
	OK("set controller-rate-limit=0");
	OK("add-port out net_null_pinout,no-rx=1 ofport=2");
	OK("add-flow 'cookie=0x5,in_port=1,udp,tp_dst=2000,actions=set_field:0x7->reg1,"
	   "resubmit(,1)'");
	OK("add-flow 'cookie=0xab,table=1,udp,actions=controller(max_len=64,userdata=01.02.03),"
	   "output:2'");
	OK("add-flow 'cookie=0xc,in_port=1,udp,tp_dst=2001,actions=controller'");
	OK("dump-flows");
	cr_assert(strstr(out, "actions=controller(max_len=64,userdata=01.02.03),output:2") != NULL,
		  "%s", out);
	cr_assert(strstr(out, "actions=CONTROLLER:65535") != NULL, "%s", out);
	for (int i = 0; i < 4; i++)
		frame_udp(&f[i], "50:54:00:00:00:09", "50:54:00:00:00:0a", -1, "10.0.0.2",
			  "10.0.0.1", 1000, 2000, 200);
	frame_udp(&f[4], "50:54:00:00:00:09", "50:54:00:00:00:0a", -1, "10.0.0.2", "10.0.0.1",
		  1001, 2001, 100);
	snprintf(path, sizeof(path), "%s/in.pcap", c.rundir);
	pcap_write_frames(path, f, 5);
	OK("add-port in net_pcap_pinin,rx_pcap=%s ofport=1", path);
	for (int i = 0; i < 100; i++) {
		OK("packet-in-stats");
		if (ctl_number_after(out, "received ") >= 5)
			break;
		usleep(50000);
	}
	cr_assert_eq(ctl_number_after(out, "received "), 5, "%s", out);
	cr_assert_eq(ctl_number_after(out, "rate_limited "), 0, "%s", out);
	cr_assert_eq(ctl_number_after(out, "dropped_nomem "), 0, "%s", out);
	cr_assert_eq(ctl_number_after(out, "ring_full "), 0, "%s", out);
	cr_assert(strstr(out, "controller-rate-limit: none") != NULL, "%s", out);

	OK("packet-in-show");
	cr_assert_eq(count(out, "OFPT_PACKET_IN"), 5, "%s", out);
	cr_assert_eq(count(out, ": table_id=1 cookie=0xab total_len=200 reg1=0x7,in_port=1 "
				"(via action) data_len=64 (unbuffered)\n userdata=01.02.03\n"),
		     4, "the cached ones too: %s", out);
	cr_assert_eq(count(out, "udp,vlan_tci=0x0000,dl_src=50:54:00:00:00:09,"
				"dl_dst=50:54:00:00:00:0a,nw_src=10.0.0.2,nw_dst=10.0.0.1"),
		     5, "%s", out);
	cr_assert(strstr(out, "(seq=5): cookie=0xc total_len=100 in_port=1 (via action) "
			      "data_len=100 (unbuffered)\n") != NULL,
		  "%s", out);
	cr_assert(strstr(out, "nw_ttl=64,tp_src=1001,tp_dst=2001,ip_frag=no\n") != NULL, "%s", out);
	OK("dump-ports out");
	cr_assert_eq(ctl_number_after(out, "tx pkts="), 4, "the packets went on: %s", out);

	OK("packet-in-show --since 4");
	fprintf(stderr, "packet_in: packet-in-show --since 4 prints:\n%s", out);
	OK("packet-in-show --since 5");
	cr_assert_eq(count(out, "OFPT_PACKET_IN"), 1, "%s", out);
	cr_assert(strstr(out, "(seq=5)") != NULL, "%s", out);
	/* --follow: what is kept, then whatever comes, until interrupted. */
	snprintf(path, sizeof(path), "%s/follow.txt", c.rundir);
	ctl_sh("timeout -s INT 1 %s/ctl/sluicectl --rundir %s packet-in-show --follow --since 2 "
	       ">%s 2>&1",
	       getenv("SLUICE_BUILD") != NULL ? getenv("SLUICE_BUILD") : "build", c.rundir, path);
	{
		char *followed = ctl_file(&c, "follow.txt");

		cr_assert_eq(count(followed, "OFPT_PACKET_IN"), 4, "%s", followed);
		cr_assert(strstr(followed, "(seq=2)") != NULL && strstr(followed, "(seq=1)") == NULL,
			  "%s", followed);
		free(followed);
	}
	OK("--json packet-in-show --since 4");
	cr_assert(strstr(out, "\"total_len\"") != NULL && strstr(out, "\"data\"") != NULL, "%s",
		  out);
	cr_assert_eq(ctl_run(&c, out, sizeof(out), "packet-in-show --since x"), 2, "%s", out);
	cr_assert(strstr(out, "--since: \"x\" is not a sequence number") != NULL, "%s", out);
	cr_assert_eq(ctl_run(&c, out, sizeof(out), "add-flow 'actions=controller(pause)'"), 1, "%s",
		     out);
	cr_assert(strstr(out, "not supported: pause") != NULL, "%s", out);
}

/* What /proc/PID/status says the process's data segment is, in bytes (0: not found). */
static uint64_t
vm_data(pid_t pid)
{
	char path[64], line[256];
	unsigned long long kb = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmData: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

/*
 * The primary's data segment capped (RLIMIT_DATA, set from outside with
 * prlimit(2)) a little above what it uses, then the rate limit lifted,
 * while an endless source sends 9000-byte packet-ins: a history of 1024
 * copies needs 9 MB, so malloc fails before it is full.  What could not
 * be kept is dropped_nomem, not rate_limited: every packet-in received is
 * counted once, kept, rate-limited (before the cap) or dropped_nomem.
 * Once the cap is lifted, packet-ins are kept again.
 */
Test(packet_in, packet_ins_without_memory_to_keep_them_count_as_dropped_nomem)
{
	struct rlimit old, cap;
	long long received, kept, limited, nomem;
	pid_t primary;
	uint64_t data;

	ctl_start(&c, "pinnomem", 1);
	/* Until the cap is on, the rate limit lets one in a second through. */
	OK("set controller-rate-limit=1");
	OK("set controller-burst-limit=1");
	OK("add-port out net_null_pnmout,no-rx=1 ofport=2 mtu=9000");
	OK("add-flow 'in_port=1,actions=controller,output:2'");
	OK("add-port in net_null_pnmin,size=9000 ofport=1 mtu=9000");
	usleep(200000);
	primary = ctl_pid(&c, "primary");
	cr_assert_gt(primary, 0);
	data = vm_data(primary);
	cr_assert_gt(data, 0, "no VmData for the primary (pid %d)", (int)primary);
	cr_assert_eq(prlimit(primary, RLIMIT_DATA, NULL, &old), 0, "prlimit: %m");
	cap = old;
	cap.rlim_cur = data + (256u << 10); /* room for the request below */
	cr_assert_eq(prlimit(primary, RLIMIT_DATA, &cap, NULL), 0, "prlimit: %m");
	OK("set controller-rate-limit=0");
	usleep(500000);
	cr_assert_eq(prlimit(primary, RLIMIT_DATA, &old, NULL), 0, "prlimit: %m");
	OK("del-port in");
	OK("packet-in-stats");
	fprintf(stderr, "packet_in: VmData %llu kB, capped 256 kB above:\n%s",
		(unsigned long long)data / 1024, out);
	received = ctl_number_after(out, "received ");
	nomem = ctl_number_after(out, "dropped_nomem ");
	kept = ctl_number_after(out, "next seq ") - 1;
	limited = ctl_number_after(out, "rate_limited ");
	cr_assert_gt(nomem, 0, "the cap made no malloc fail: %s", out);
	cr_assert_gt(kept, 0, "%s", out);
	cr_assert_eq(kept + limited + nomem, received, "each counted once: %s", out);
	OK("--json packet-in-stats");
	cr_assert(strstr(out, "\"dropped_nomem\"") != NULL, "%s", out);
	OK("add-port in net_null_pnmin2,size=9000 ofport=1 mtu=9000");
	usleep(200000);
	OK("packet-in-stats");
	cr_assert_gt(ctl_number_after(out, "next seq ") - 1, kept,
		     "the cap lifted, packet-ins are kept again: %s", out);
}

static Sluice__PacketInStats
stats(void)
{
	Sluice__PacketInStats st = SLUICE__PACKET_IN_STATS__INIT;
	Sluice__Reply *rep = NULL;
	char err[256];

	cr_assert_eq(inst_call_empty(&in, SLUICE__REQUEST__CMD_PACKET_IN_STATS,
				     &rep, err, sizeof(err)), 0, "packet-in-stats: %s", err);
	cr_assert_not_null(rep->packet_in_stats);
	st = *rep->packet_in_stats;
	sluice__reply__free_unpacked(rep, NULL);
	return st;
}

/* Wait until @n packet-ins have been accounted for (taken or dropped on a full ring). */
static Sluice__PacketInStats
wait_accounted(uint64_t n)
{
	Sluice__PacketInStats st = stats();

	for (int i = 0; i < 100 && st.received + st.ring_full < n; i++) {
		usleep(50000);
		st = stats();
	}
	return st;
}

/*
 * controller-rate-limit=100 with bursts of 25: of 60 packet-ins arriving
 * at once, the burst goes and most of the rest are dropped, every one
 * counted; without a limit, 300 at once overflow a worker's ring (64),
 * and what the ring refused is counted too.
 */
Test(packet_in, rate_limit_and_full_rings_drop_and_count)
{
	static const char *const flows[] = { "actions=controller:32" };
	static struct frame f[300];
	Sluice__PacketInStats st, first;
	char err[512], devargs[400];

	inst_start(&in, "pinrate", 1);
	inst_set_option(&in, "controller-rate-limit", "100");
	inst_set_option(&in, "controller-burst-limit", "25");
	cr_assert_eq(inst_flows(&in, "add", flows, 1, err, sizeof(err)), 0, "%s", err);
	for (int i = 0; i < 300; i++)
		frame_udp(&f[i], "50:54:00:00:00:09", "50:54:00:00:00:0a", -1, "10.0.0.2",
			  "10.0.0.1", (uint16_t)(1000 + i), 2000, 60);
	pcap_write_frames(inst_path(&in, "a.pcap"), f, 60);
	snprintf(devargs, sizeof(devargs), "net_pcap_pinra,rx_pcap=%s", inst_path(&in, "a.pcap"));
	cr_assert_eq(inst_add_port(&in, "a", devargs, 1, err, sizeof(err)), 0, "%s", err);
	st = wait_accounted(60);
	cr_assert_eq(st.received + st.ring_full, 60, "received %lu, ring_full %lu",
		     (unsigned long)st.received, (unsigned long)st.ring_full);
	cr_assert_eq(st.rate_limit, 100);
	cr_assert_eq(st.burst_limit, 25);
	cr_assert_eq(st.kept + st.rate_limited, st.received, "kept %lu, rate_limited %lu",
		     (unsigned long)st.kept, (unsigned long)st.rate_limited);
	cr_assert_geq(st.kept, 25, "the burst went: kept %lu", (unsigned long)st.kept);
	cr_assert_geq(st.rate_limited, 15, "over the rate: only %lu dropped of %lu",
		      (unsigned long)st.rate_limited, (unsigned long)st.received);

	inst_set_option(&in, "controller-rate-limit", "0");
	first = st;
	pcap_write_frames(inst_path(&in, "b.pcap"), f, 300);
	snprintf(devargs, sizeof(devargs), "net_pcap_pinrb,rx_pcap=%s", inst_path(&in, "b.pcap"));
	cr_assert_eq(inst_add_port(&in, "b", devargs, 2, err, sizeof(err)), 0, "%s", err);
	st = wait_accounted(360);
	cr_assert_eq(st.received + st.ring_full, 360, "received %lu, ring_full %lu",
		     (unsigned long)st.received, (unsigned long)st.ring_full);
	fprintf(stderr, "packet_in: 300 at once, no limit: %lu taken, %lu refused by a full ring\n",
		(unsigned long)(st.received - first.received),
		(unsigned long)(st.ring_full - first.ring_full));
	cr_assert_eq(st.rate_limited, first.rate_limited, "no limit: nothing more rate-limited");
	cr_assert_eq(st.kept + st.rate_limited, st.received);
}

/*
 * kill -9 the worker again and again while an endless source keeps its
 * packet-in ring full: the rings hold copies, not mbufs, so once traffic
 * stops the pool's in-use count is back to what it was before any traffic
 * (within one burst, as for any kill), nothing is freed twice, and the
 * restarted worker sends packet-ins again.
 */
Test(packet_in, killed_worker_with_packet_ins_queued_loses_no_mbuf)
{
	static const char *const flows[] = { "in_port=1,actions=controller,output:2" };
	uint32_t idle, after;
	Sluice__PacketInStats st;
	uint64_t before;
	char err[512];

	inst_start(&in, "pinkill", 1);
	inst_set_option(&in, "controller-rate-limit", "0");
	cr_assert_eq(inst_add_port(&in, "sink", "net_null_pinks,no-rx=1", 2, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(inst_flows(&in, "add", flows, 1, err, sizeof(err)), 0, "%s", err);
	idle = inst_mbufs_in_use(&in);
	cr_assert_eq(inst_add_port(&in, "src", "net_null_pinsrc", 1, err, sizeof(err)), 0, "%s",
		     err);
	usleep(200000);
	st = stats();
	cr_assert_gt(st.ring_full, 0, "an endless source fills the ring: %lu taken, none refused",
		     (unsigned long)st.received);
	for (int k = 0; k < 10; k++) {
		usleep(1000 + rand() % 4000);
		kill(in.workers[0], SIGKILL);
		waitpid(in.workers[0], NULL, 0);
		inst_start_worker(&in, 0);
		cr_assert(inst_wait_worker(&in, 0, 5000), "kill %d: the worker did not come back", k);
	}
	before = stats().received;
	usleep(200000);
	cr_assert_gt(stats().received, before, "the restarted worker sends packet-ins");
	cr_assert_eq(inst_del_port(&in, "src", err, sizeof(err)), 0, "%s", err);
	usleep(100000);
	after = inst_mbufs_in_use(&in);
	cr_assert_leq(inst_mbufs_excess_free(&in), 0, "an mbuf was freed twice");
	cr_assert_leq(after, idle + 32, "mbufs in use: %u idle before, %u after 10 kills", idle,
		      after);
}
