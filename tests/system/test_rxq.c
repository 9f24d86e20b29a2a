/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Where packets are polled, end to end through sluicectl: workers named by
 * core (pmd-cpu-mask), pinned rx queues and isolation (pmd-rxq-affinity),
 * cycle-based assignment, queue moves under traffic that lose and reorder
 * nothing, and net_tap's kernel multiqueue.  The machine has two CPUs, so
 * the cores are 0 and 1 (the primary shares core 0).
 */
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "control.h"
#include "instance.h"

static struct ctl c;
static char out[1 << 16];

static void
teardown(void)
{
	ctl_stop(&c);
	if (system("ip link del slrxqt 2>/dev/null") == -1)
		perror("system");
}

TestSuite(rxq, .fini = teardown, .timeout = 120);


/* The command fails (exit 1) with one line naming @expect. */

/* Wait until worker-list shows @n workers running. */
static void
wait_workers(int n)
{
	int i, running = 0;

	for (i = 0; i < 200; i++) {
		const char *p;

		OK("worker-list");
		running = 0;
		for (p = out; (p = strstr(p, " running ")) != NULL; p++)
			running++;
		if (running == n && strstr(out, "starting") == NULL)
			break;
		usleep(50000);
	}
	cr_assert_eq(running, n, "%d workers running, not %d: %s", running, n, out);
}

/* pmd-rxq-show with the figures that change with time ("NOT AVAIL", "12 %") as "*". */
static const char *
rxq_show(void)
{
	static char shown[1 << 14];
	char *line, *save = NULL;
	size_t used = 0;

	OK("pmd-rxq-show");
	shown[0] = '\0';
	for (line = strtok_r(out, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *u = strstr(line, "pmd usage: "), *o = strstr(line, "overhead: ");

		if (u != NULL)
			strcpy(u + strlen("pmd usage: "), "*");
		if (o != NULL)
			strcpy(o + strlen("overhead: "), "*");
		used += (size_t)snprintf(shown + used, sizeof(shown) - used, "%s\n", line);
	}
	return shown;
}

#define Q(name, id) "  port: " name "                 queue-id:  " #id " (enabled)   pmd usage: *\n"

/*
 * The seed's example on two cores: n_rxq=4 and pmd-rxq-affinity; pinned
 * queues go to the worker on their core, which becomes isolated; the
 * others go to workers that are not; with none left, or with no worker on
 * the core, the queue is not polled, and the reply and pmd-rxq-show say so.
 */
Test(rxq, affinity_pins_queues_isolates_cores_and_reports_what_is_not_polled)
{
	const char *head = "Displaying last 60 seconds pmd usage %\n";
	char before[1 << 14], *db;
	pid_t primary;

	ctl_start(&c, "rxqaff", 1);
	OK("set pmd-cpu-mask=0x3");
	wait_workers(2);
	OK("add-port r net_ring_xaf n_rxq=4");

	/* Queue 0 on core 1, which polls nothing else; core 0 takes the rest. */
	OK("set-port r pmd-rxq-affinity=0:1");
	cr_assert_str_eq(out, "", "nothing to report: %s", out);
	cr_assert_str_eq(rxq_show(), "Displaying last 60 seconds pmd usage %\n"
				     "pmd thread numa_id 0 core_id 0:\n"
				     "  isolated : false\n"
				     Q("r", 1) Q("r", 2) Q("r", 3)
				     "  overhead: *\n"
				     "pmd thread numa_id 0 core_id 1:\n"
				     "  isolated : true\n"
				     Q("r", 0)
				     "  overhead: *\n");
	(void)head;

	/* "0:C1,1:C2": both cores isolated, no worker left for queues 2 and 3. */
	OK("set-port r pmd-rxq-affinity=0:0,1:1");
	cr_assert(strstr(out, "port r rx queue 2 is not polled: every worker is isolated") != NULL,
		  "the reply says so: %s", out);
	cr_assert(strstr(out, "port r rx queue 3 is not polled") != NULL, "%s", out);
	cr_assert_str_eq(rxq_show(), "Displaying last 60 seconds pmd usage %\n"
				     "pmd thread numa_id 0 core_id 0:\n"
				     "  isolated : true\n"
				     Q("r", 0)
				     "  overhead: *\n"
				     "pmd thread numa_id 0 core_id 1:\n"
				     "  isolated : true\n"
				     Q("r", 1)
				     "  overhead: *\n"
				     "not polled:\n"
				     "  port: r                 queue-id:  2  (not pinned, and every "
				     "worker is isolated)\n"
				     "  port: r                 queue-id:  3  (not pinned, and every "
				     "worker is isolated)\n");

	/* A core without a worker: its queue is not polled; core 1 is free again. */
	OK("set-port r pmd-rxq-affinity=0:0,1:7");
	cr_assert(strstr(out, "port r rx queue 1 is not polled: it is pinned to core 7, which "
			      "has no worker") != NULL, "%s", out);
	cr_assert_str_eq(rxq_show(), "Displaying last 60 seconds pmd usage %\n"
				     "pmd thread numa_id 0 core_id 0:\n"
				     "  isolated : true\n"
				     Q("r", 0)
				     "  overhead: *\n"
				     "pmd thread numa_id 0 core_id 1:\n"
				     "  isolated : false\n"
				     Q("r", 2) Q("r", 3)
				     "  overhead: *\n"
				     "not polled:\n"
				     "  port: r                 queue-id:  1  (pinned to core 7, which "
				     "has no worker)\n");

	/* Malformed lists are refused whole: nothing changes anywhere. */
	snprintf(before, sizeof(before), "%s", rxq_show());
	db = ctl_db(&c);
	REFUSED("bad entry \"x\": expected QUEUE:CORE", "set-port r pmd-rxq-affinity=0:1,x");
	REFUSED("queue 0 is pinned twice", "set-port r pmd-rxq-affinity=0:1,0:0");
	REFUSED("bad entry \"1\"", "set-port r pmd-rxq-affinity=0:1,1");
	REFUSED("bad entry \"0:-1\"", "set-port r pmd-rxq-affinity=0:-1");
	REFUSED("queue 64: ports have at most 64 rx queues", "set-port r pmd-rxq-affinity=64:0");
	REFUSED("bad entry \"0:1;1:0\"", "set-port r mtu=2000 'pmd-rxq-affinity=0:1;1:0'");
	REFUSED("core 5 is not available on this machine", "set pmd-cpu-mask=0x21");
	REFUSED("not a hexadecimal mask", "set pmd-cpu-mask=0xg");
	REFUSED("names no core", "set pmd-cpu-mask=0");
	REFUSED("pmd-rxq-isolate=false needs pmd-rxq-assign=group", "set pmd-rxq-isolate=false");
	cr_assert_str_eq(rxq_show(), before);
	cr_assert_str_eq(ctl_db(&c), db, "the DB is unchanged");
	OK("show");
	cr_assert(strstr(out, "mtu: 1500") != NULL, "the mtu given with a bad list: %s", out);
	free(db);

	/* Persisted, and replayed to a new primary: the same assignment. */
	db = ctl_db(&c);
	cr_assert(strstr(db, "port r ofport=1 n_rxq=4 pmd-rxq-affinity=0:0,1:7 devargs=") != NULL,
		  "%s", db);
	cr_assert(strstr(db, "option pmd-cpu-mask=0x3\n") != NULL, "%s", db);
	free(db);
	primary = ctl_pid(&c, "primary");
	kill(primary, SIGKILL);
	for (int i = 0; i < 200; i++) {
		if (ctl_pid(&c, "primary") != primary && ctl_pid(&c, "primary") > 0 &&
		    ctl_run(&c, out, sizeof(out), "worker-list") == 0 &&
		    strstr(out, "0   ") != NULL && strstr(strstr(out, "0   "), "running") != NULL &&
		    strstr(out, "1   ") != NULL && strstr(strstr(out, "1   "), "running") != NULL)
			break;
		usleep(50000);
	}
	wait_workers(2);
	cr_assert_str_eq(rxq_show(), before, "after the replay");

	/* Back to one worker on core 1: queue 0 loses its core too. */
	OK("set pmd-cpu-mask=0x2");
	cr_assert(strstr(out, "port r rx queue 0 is not polled: it is pinned to core 0") != NULL,
		  "%s", out);
	wait_workers(1);
	cr_assert_str_eq(rxq_show(), "Displaying last 60 seconds pmd usage %\n"
				     "pmd thread numa_id 0 core_id 1:\n"
				     "  isolated : false\n"
				     Q("r", 2) Q("r", 3)
				     "  overhead: *\n"
				     "not polled:\n"
				     "  port: r                 queue-id:  0  (pinned to core 0, which "
				     "has no worker)\n"
				     "  port: r                 queue-id:  1  (pinned to core 7, which "
				     "has no worker)\n");
}

/* The cores of the workers that poll each queue of @port, from pmd-rxq-show. */
static int
core_polling(const char *port, int queue)
{
	char want[128];
	const char *p, *q;

	OK("pmd-rxq-show");
	snprintf(want, sizeof(want), "  port: %-16s  queue-id: %2d ", port, queue);
	p = strstr(out, want);
	if (p == NULL)
		return -1;
	for (q = out; q < p;) {
		const char *h = strstr(q, "core_id ");

		if (h == NULL || h > p)
			break;
		q = h + 1;
	}
	return (int)ctl_number_after(q - 1, "core_id ");
}

static int
queues_on(int core)
{
	char want[64];
	const char *p, *end;
	int n = 0;

	OK("pmd-rxq-show");
	snprintf(want, sizeof(want), "core_id %d:\n", core);
	p = strstr(out, want);
	if (p == NULL)
		return 0;
	end = strstr(p + 1, "pmd thread");
	for (p = strstr(p, "queue-id:"); p != NULL && (end == NULL || p < end);
	     p = strstr(p + 1, "queue-id:"))
		n++;
	return n;
}

/*
 * One queue busy (an infinite pcap), three light (short pcaps read once):
 * after an interval of measurement, group gives the busy queue a worker of
 * its own; cycles deals busiest first up and down the cores, as Open vSwitch
 * does, so the busy queue shares with the lightest.
 */
Test(rxq, cycle_based_assignment_gives_the_busy_queue_a_worker_of_its_own)
{
	struct frame f[3000];
	char path[256];
	int busy_core;

	ctl_start(&c, "rxqcyc", 1);
	for (int i = 0; i < 3000; i++)
		frame_udp(&f[i], "00:00:00:00:00:01", "00:00:00:00:00:02", -1, "10.0.0.1",
			  "10.0.1.1", (uint16_t)i, 80, 64);
	for (int l = 1; l <= 3; l++) {
		snprintf(path, sizeof(path), "%s/l%d.pcap", c.rundir, l);
		pcap_write_frames(path, f, (size_t)(1000 * l));
	}
	snprintf(path, sizeof(path), "%s/b.pcap", c.rundir);
	pcap_write_frames(path, f, 1000);
	OK("set pmd-cpu-mask=0x3");
	wait_workers(2);
	/* Misses are dropped: no flows, no sink port with an idle queue of its own. */
	OK("add-port l1 net_pcap_xl1,rx_pcap=%s/l1.pcap", c.rundir);
	OK("add-port l2 net_pcap_xl2,rx_pcap=%s/l2.pcap", c.rundir);
	OK("add-port l3 net_pcap_xl3,rx_pcap=%s/l3.pcap", c.rundir);
	OK("add-port busy net_pcap_xb,rx_pcap=%s/b.pcap,infinite_rx=1", c.rundir);
	/* One measuring interval is 5 s. */
	for (int i = 0; i < 100; i++) {
		OK("pmd-rxq-show");
		if (strstr(out, "NOT AVAIL") == NULL)
			break;
		usleep(100000);
	}
	cr_assert(strstr(out, "NOT AVAIL") == NULL, "no usage measured yet: %s", out);

	OK("set pmd-rxq-assign=group");
	busy_core = core_polling("busy", 0);
	cr_assert(busy_core == 0 || busy_core == 1, "%s", out);
	cr_assert_eq(queues_on(busy_core), 1, "the busy queue is alone: %s", out);
	cr_assert_eq(queues_on(1 - busy_core), 3, "%s", out);
	cr_assert_gt(ctl_number_after(strstr(out, "port: busy"), "pmd usage: "), 30,
		     "its usage follows it: %s", out);

	OK("set pmd-rxq-assign=cycles");
	cr_assert_eq(core_polling("busy", 0), 0, "busiest first, on the first core: %s", out);
	cr_assert_eq(queues_on(0), 2, "up and down: 0, 1, 1, 0: %s", out);
	cr_assert_eq(queues_on(1), 2, "%s", out);

	OK("set pmd-rxq-assign=roundrobin");
	OK("pmd-rxq-rebalance");
	cr_assert_eq(queues_on(0), 2, "%s", out);
	cr_assert_eq(queues_on(1), 2, "%s", out);

	/* OVS's filters: one core, a shorter window (whole intervals). */
	OK("pmd-rxq-show -pmd 1 -secs 7");
	cr_assert(strncmp(out, "Displaying last 10 seconds pmd usage %\npmd thread numa_id 0 "
			       "core_id 1:\n", 71) == 0, "%s", out);
	cr_assert(strstr(out, "core_id 0") == NULL, "%s", out);
	OK("pmd-rxq-show -secs 600");
	cr_assert(strncmp(out, "Displaying last 60 seconds", 26) == 0, "%s", out);
	cr_assert_eq(ctl_run(&c, out, sizeof(out), "pmd-rxq-show -pmd"), 2, "%s", out);
	cr_assert_eq(ctl_run(&c, out, sizeof(out), "pmd-rxq-show -core 1"), 2, "%s", out);
}

/* Frame number @i in the source address and UDP source port. */
static void
numbered(struct frame *f, uint32_t i)
{
	char src[32];

	snprintf(src, sizeof(src), "10.%u.%u.%u", (i >> 16) & 255, (i >> 8) & 255, i & 255);
	frame_udp(f, "00:00:00:00:00:01", "00:00:00:00:00:02", -1, src, "10.200.0.1",
		  (uint16_t)i, 80, 64);
}

static uint32_t
number_of(const u_char *data)
{
	return (uint32_t)data[27] << 16 | (uint32_t)data[28] << 8 | data[29];
}

/*
 * A pcap stream moved between the workers over and over while it flows
 * (pins, unpinning, a worker taken out and put back): every packet comes
 * out exactly once and in order.
 */
Test(rxq, queue_moves_under_traffic_lose_and_reorder_nothing, .timeout = 180)
{
	enum { N = 2000000 };
	static const char *const pins[] = { "0:0", "0:1", "", "0:0", "", "0:1" };
	char path[256], eb[PCAP_ERRBUF_SIZE];
	int moves = 0, mask_changes = 0;
	long long sent = 0;
	struct pcap_pkthdr *h;
	const u_char *data;
	size_t n;
	pcap_t *p;

	ctl_start(&c, "rxqmove", 1);
	{
		pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
		pcap_dumper_t *d;
		struct frame f;

		snprintf(path, sizeof(path), "%s/in.pcap", c.rundir);
		d = pcap_dump_open(dead, path);
		cr_assert_not_null(d);
		for (uint32_t i = 0; i < N; i++) {
			struct pcap_pkthdr ph = { .caplen = 64, .len = 64 };

			numbered(&f, i);
			pcap_dump((u_char *)d, &ph, f.data);
		}
		pcap_dump_close(d);
		pcap_close(dead);
	}
	snprintf(path, sizeof(path), "%s/e.pcap", c.rundir);
	pcap_write_frames(path, NULL, 0);
	OK("set pmd-cpu-mask=0x3");
	wait_workers(2);
	OK("add-port out net_pcap_xmo,rx_pcap=%s/e.pcap,tx_pcap=%s/out.pcap ofport=2", c.rundir,
	   c.rundir);
	OK("add-flow in_port=1,actions=output:2");
	OK("add-port in net_pcap_xmi,rx_pcap=%s/in.pcap,tx_pcap=%s/io.pcap ofport=1", c.rundir,
	   c.rundir);
	for (int i = 0; sent < N && i < 400; i++) {
		if (i % 7 == 6 && mask_changes < 2) {
			/* Take the worker on core 0 out, then put one back. */
			if (ctl_run(&c, out, sizeof(out), "set pmd-cpu-mask=%s",
				    mask_changes == 0 ? "0x2" : "0x3") == 0)
				mask_changes++;
		} else {
			OK("set-port in pmd-rxq-affinity=%s", pins[i % 6]);
		}
		OK("dump-ports out");
		sent = ctl_number_after(out, "tx pkts=");
		if (sent < N)
			moves++;
	}
	fprintf(stderr, "rxq: %d moves and %d worker changes under traffic\n", moves,
		mask_changes);
	cr_assert_geq(moves, 3, "traffic ended after %d moves", moves);
	for (int i = 0; sent < N && i < 600; i++) {
		usleep(50000);
		OK("dump-ports out");
		sent = ctl_number_after(out, "tx pkts=");
	}
	OK("del-port out");
	snprintf(path, sizeof(path), "%s/out.pcap", c.rundir);
	p = pcap_open_offline(path, eb);
	cr_assert_not_null(p, "%s", eb);
	for (n = 0; pcap_next_ex(p, &h, &data) == 1; n++)
		cr_assert_eq(number_of(data), n, "packet %zu lost, duplicated or reordered", n);
	pcap_close(p);
	cr_assert_eq(n, N, "%zu of %d packets came out over %d moves", n, N, moves);
}

/* Packets the queue @q of port @port received, from pmd-rxq-show --json. */
static long long
rxq_packets(const char *port, int q)
{
	char want[96];
	const char *p;

	OK("--json pmd-rxq-show");
	snprintf(want, sizeof(want), "\"port\": \"%s\"", port);
	for (p = strstr(out, want); p != NULL; p = strstr(p + 1, want))
		if (ctl_number_after(p, "\"queue\": ") == q)
			return ctl_number_after(p, "\"rx_packets\": ");
	return -1;
}

/* net_tap with n_rxq=2: the kernel spreads flows over both queues. */
Test(rxq, tap_multiqueue_spreads_kernel_flows_over_its_rx_queues)
{
	long long q0 = 0, q1 = 0;

	ctl_start(&c, "rxqtap", 1);
	OK("set pmd-cpu-mask=0x3");
	wait_workers(2);
	OK("add-port t net_tap_xt,iface=slrxqt n_rxq=2");
	cr_assert_eq(system("ip addr add 198.51.100.1/24 dev slrxqt && ip link set slrxqt up && "
			    "ip neigh replace 198.51.100.2 lladdr 02:00:00:00:00:99 dev slrxqt"),
		     0);
	cr_assert_eq(system("bash -c 'for p in $(seq 1000 1063); do "
			    "echo x >/dev/udp/198.51.100.2/$p; done' 2>/dev/null"),
		     0);
	for (int i = 0; i < 50 && (q0 <= 0 || q1 <= 0); i++) {
		usleep(100000);
		q0 = rxq_packets("t", 0);
		q1 = rxq_packets("t", 1);
	}
	cr_assert_gt(q0, 0, "queue 0 got nothing (queue 1: %lld)", q1);
	cr_assert_gt(q1, 0, "queue 1 got nothing (queue 0: %lld)", q0);
	cr_assert_neq(core_polling("t", 0), core_polling("t", 1), "one queue per worker: %s", out);
}
