/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Workers fail and restart alone: kill -9 one worker again and again while
 * the other forwards, stop one with SIGSTOP, change flows while one is
 * dead.  The test plays sluiced's part of restarting the process.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <pcap/pcap.h>

#include "instance.h"

static struct inst in;
static pid_t dump; /* a sluice-dump the kill9 test started */
static char short_dir[32]; /* a test's directory with a short name, if it made one */

static void
teardown(void)
{
	if (dump > 0) {
		kill(dump, SIGKILL);
		waitpid(dump, NULL, 0);
	}
	inst_stop(&in);
	unlink("/tmp/sl-kill9-src.pcap");
	if (short_dir[0] != '\0') {
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", short_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", short_dir);
		short_dir[0] = '\0';
	}
}

TestSuite(restart, .fini = teardown, .timeout = 120);

static uint64_t
sink_tx(const char *name)
{
	struct port_counts pc;

	cr_assert_eq(inst_port_counts(&in, name, &pc), 0);
	return pc.tx_packets;
}

static struct worker_counts
worker(int id)
{
	struct worker_counts wc;

	cr_assert_eq(inst_worker_counts(&in, id, &wc), 0);
	return wc;
}

static int
hugepage_files(void)
{
	char want[96];
	struct dirent *de;
	int n = 0;
	DIR *d = opendir("/dev/hugepages");

	snprintf(want, sizeof(want), "%smap_", in.prefix);
	while (d != NULL && (de = readdir(d)) != NULL)
		n += strncmp(de->d_name, want, strlen(want)) == 0;
	if (d != NULL)
		closedir(d);
	return n;
}

/* mbufs in use once the sinks are up, before any traffic (two_lanes). */
static uint32_t idle_in_use;

/* Lane 0's ports: direct net_null by default (kill9 may make them bridged). */
static const char *sink0_devargs = "net_null_k0,no-rx=1";
static const char *src0_devargs = "net_null_s0";

/* Worker 0 forwards src0 -> sink0, worker 1 forwards src1 -> sink1. */
static void
two_lanes_opt(const char *name, const char *primary_opt)
{
	static const char *const table[] = {
		"in_port=1,actions=output:3",
		"in_port=2,actions=output:4",
	};
	char err[512];

	inst_start_opt(&in, name, 2, primary_opt);
	/* Slots are assigned round robin in the order ports are added. */
	cr_assert_eq(inst_add_port(&in, "sink0", sink0_devargs, 3, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(inst_add_port(&in, "sink1", "net_null_k1,no-rx=1", 4, err, sizeof(err)), 0);
	cr_assert_eq(inst_flows(&in, "add", table, 2, err, sizeof(err)), 0, "%s", err);
	idle_in_use = inst_mbufs_in_use(&in);
	cr_assert_eq(inst_add_port(&in, "src0", src0_devargs, 1, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(inst_add_port(&in, "src1", "net_null_s1", 2, err, sizeof(err)), 0);
	usleep(200000);
	cr_assert_gt(sink_tx("sink0"), 0);
	cr_assert_gt(sink_tx("sink1"), 0);
}

static void
two_lanes(const char *name)
{
	two_lanes_opt(name, NULL);
}

static double
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1e3 + (t.tv_nsec - t0->tv_nsec) / 1e6;
}

/*
 * Wait for @pid to end, then reap it; zombie_ms: how long it took to become
 * a zombie (its exit done), the rest of the wait being the reap itself
 * (docs/benchmark.md: the slow kills are slow reaps).
 */
static double zombie_ms;

static void
reap(pid_t pid)
{
	struct timespec t0;
	siginfo_t si;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
		;
	zombie_ms = ms_since(&t0);
	waitpid(pid, NULL, 0);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * kill -9 worker 0 @kills times under load, while it sends each packet
 * twice (a copy and the original),
 * restarting it each time: worker 1 never drops a packet and never
 * stops forwarding; worker 0 forwards again after every restart; the
 * primary gives back every mbuf the dead ones held, so that once traffic
 * stops the pool's in-use count is back to what it was before any traffic,
 * within one burst; hugepage files do not grow (counted under load after
 * the last kill, with the same ports and capture as before the first: the
 * quiesced count lacks their rings and would hide growth).  With @bridged
 * lane 0's ports are bridged (net_pcap with a tx_pcap of /dev/null: the
 * primary's bridge thread moves their packets over rings to and from the
 * worker), and with @capture a sluice-dump captures sink0 meanwhile, so
 * that ring slots and capture copies are in flight at the kills too.
 */
static void
kill9_soak(int kills, bool bridged, bool capture)
{
	double *resume_ms = calloc(kills > 0 ? kills : 1, sizeof(double));
	/* The slowest kill, in parts. */
	double slow_reap = 0, slow_up = 0, slow_fwd = 0, slow_zombie = 0, slowest = -1;
	static const char *const twice = "priority=200,in_port=1,actions=output:3,output:3";
	uint32_t in_use_load, in_use_after;
	struct worker_counts w0, w1;
	int64_t excess;
	int pages_before, pages_after;
	char err[256];

	static char src0[300], sink0[64];
	cr_assert(kills > 0 && resume_ms != NULL, "%d kills: not a positive count", kills);
	if (bridged) {
		struct frame f[32];

		for (int i = 0; i < 32; i++)
			frame_udp(&f[i], "00:00:00:00:00:01", "00:00:00:00:00:02", -1, "10.0.0.1",
				  "10.0.0.2", (uint16_t)(1000 + i), 2, 64);
		pcap_write_frames("/tmp/sl-kill9-src.pcap", f, 32);
		snprintf(src0, sizeof(src0),
			 "net_pcap_s0,rx_pcap=/tmp/sl-kill9-src.pcap,infinite_rx=1,tx_pcap=/dev/null");
		snprintf(sink0, sizeof(sink0), "net_pcap_k0,tx_pcap=/dev/null");
		src0_devargs = src0;
		sink0_devargs = sink0;
	}
	two_lanes("kill9");
	if (capture) {
		char cmd[512];

		snprintf(cmd, sizeof(cmd), "exec %s/tools/sluice-dump --rundir %s -i sink0 -w /dev/null "
			 ">%s/dump.log 2>&1", getenv("SLUICE_BUILD") ? getenv("SLUICE_BUILD") : "build",
			 in.rundir, in.rundir);
		dump = fork();
		if (dump == 0) {
			execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
			_exit(127);
		}
		usleep(500000);
		cr_assert_eq(waitpid(dump, NULL, WNOHANG), 0, "sluice-dump did not start: %s",
			     inst_path(&in, "dump.log"));
	}
	/* Worker 0 sends every packet twice: a copy is in flight at every kill. */
	cr_assert_eq(inst_flows(&in, "add", &twice, 1, err, sizeof(err)), 0, "%s", err);
	in_use_load = inst_mbufs_in_use(&in);
	pages_before = hugepage_files();
	for (int k = 0; k < kills; k++) {
		uint64_t s0 = sink_tx("sink0"), s1 = sink_tx("sink1");
		struct timespec t0;
		double reaped, up;

		/* A random moment of its loop, not always the same phase. */
		usleep(1000 + rand() % 4000);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		kill(in.workers[0], SIGKILL);
		reap(in.workers[0]);
		reaped = ms_since(&t0);
		inst_start_worker(&in, 0);
		cr_assert(inst_wait_worker(&in, 0, 5000), "kill %d: worker 0 did not come back", k);
		up = ms_since(&t0);
		/* Forwarding again: its sink moves past where it was. */
		for (s0 = sink_tx("sink0"); sink_tx("sink0") <= s0;)
			cr_assert_lt(ms_since(&t0), 5000, "kill %d: worker 0 never forwarded again", k);
		resume_ms[k] = ms_since(&t0);
		if (resume_ms[k] > slowest) {
			slowest = resume_ms[k];
			slow_reap = reaped;
			slow_zombie = zombie_ms;
			slow_up = up - reaped;
			slow_fwd = resume_ms[k] - up;
		}
		cr_assert_gt(sink_tx("sink1"), s1, "kill %d: worker 1 stopped forwarding", k);
	}
	w1 = worker(1);
	cr_assert_eq(w1.tx_dropped, 0, "worker 1 dropped %lu packets", (unsigned long)w1.tx_dropped);
	cr_assert_eq(w1.misses, 0);
	cr_assert_eq(strcmp(w1.state, "running"), 0);
	pages_after = hugepage_files();

	/* Quiesce, then count mbufs: back to the idle count, within one burst. */
	if (dump > 0) {
		kill(dump, SIGINT);
		waitpid(dump, NULL, 0);
		dump = 0;
	}
	cr_assert_eq(inst_del_port(&in, "src0", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(inst_del_port(&in, "src1", err, sizeof(err)), 0, "%s", err);
	usleep(100000);
	in_use_after = inst_mbufs_in_use(&in);
	w0 = worker(0);
	qsort(resume_ms, kills, sizeof(double), cmp_double);
	fprintf(stderr, "restart: %d x kill -9 of worker 0 under load: forwarding again after "
		"median %.1f ms, max %.1f ms; worker 1 forwarded %lu packets meanwhile and lost "
		"%lu; mbufs in use: %u idle before, %u under load, %u idle after; reclaimed %lu, "
		"lost %lu\n", kills, resume_ms[kills / 2], resume_ms[kills - 1],
		(unsigned long)w1.tx_packets, (unsigned long)(w1.tx_dropped + w1.misses),
		idle_in_use, in_use_load, in_use_after, (unsigned long)w0.reclaimed_mbufs,
		(unsigned long)w0.lost_mbufs);
	fprintf(stderr, "restart: the slowest kill: %.1f ms until reaped (a zombie after %.1f ms), "
		"%.1f ms to start and attach, %.1f ms more to forward\n", slow_reap, slow_zombie, slow_up,
		slow_fwd);
	cr_assert_geq(w0.restarts, (uint64_t)kills, "the primary saw %lu deaths of %d",
		      (unsigned long)w0.restarts, kills);
	cr_assert_gt(w0.reclaimed_mbufs, 0, "nothing reclaimed from %d kills under load", kills);
	/* Nothing freed twice: the pool never counts more free than it has. */
	excess = inst_mbufs_excess_free(&in);
	cr_assert_leq(excess, 0, "the pool counts %ld more free mbufs than it has: a double free",
		      (long)excess);
	cr_assert_leq(in_use_after, idle_in_use + 32,
		      "mbufs in use %u idle before, %u after %d kills (reclaimed %lu, lost %lu)",
		      idle_in_use, in_use_after, kills, (unsigned long)w0.reclaimed_mbufs,
		      (unsigned long)w0.lost_mbufs);
	/* Fewer is fine: the classifier the flow add replaced is freed a
	 * grace period later, maybe after the first count. */
	cr_assert_leq(pages_after, pages_before, "hugepage files grew: %d before the kills, %d after",
		      pages_before, pages_after);
	free(resume_ms);
	inst_stop(&in);
}

static bool
env_is_1(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && strcmp(v, "1") == 0;
}

/*
 * SLUICE_KILLS times (default 50); tools/bench/kill-soak.sh runs it with
 * 1000 kills, and with SLUICE_KILL_BRIDGED=1 / SLUICE_KILL_CAPTURE=1 for
 * bridged ports and a capture.
 */
Test(restart, kill9_worker_repeatedly_loses_no_packet_and_no_mbuf, .timeout = 3600)
{
	const char *env = getenv("SLUICE_KILLS");

	kill9_soak(env != NULL ? atoi(env) : 50, env_is_1("SLUICE_KILL_BRIDGED"),
		   env_is_1("SLUICE_KILL_CAPTURE"));
}

/*
 * The same, short, with bridged ports and a capture (the soak's hardest
 * case): 20 kills, each back to forwarding within 5 s.
 */
Test(restart, kill9_bridged_worker_with_capture_loses_no_mbuf_and_no_hugepage, .timeout = 300)
{
	kill9_soak(20, true, true);
}

/* A stopped worker stops reporting progress: it is declared hung, killed and replaced. */
Test(restart, sigstopped_worker_is_detected_as_hung_and_replaced)
{
	pid_t old, reaped = 0;
	int status = 0;

	two_lanes("hung");
	old = in.workers[0];
	kill(old, SIGSTOP);
	/* The primary (hang threshold 400 ms in tests) must kill it. */
	for (int i = 0; i < 300 && (reaped = waitpid(old, &status, WNOHANG)) == 0; i++)
		usleep(10000);
	cr_assert_eq(reaped, old, "the hung worker is still there after 3 s");
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		  "the hung worker was not killed (status %#x)", status);
	cr_assert_str_eq(worker(0).state, "dead");
	inst_start_worker(&in, 0);
	cr_assert(inst_wait_worker(&in, 0, 5000), "no replacement");
	usleep(100000);
	uint64_t s0 = sink_tx("sink0");
	usleep(100000);
	cr_assert_gt(sink_tx("sink0"), s0, "the replacement does not forward");
	inst_stop(&in);
}

/* The state letter of process @pid in /proc (0 if none). */
static char
proc_state(pid_t pid)
{
	char path[64], buf[256], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p != NULL && p[1] == ' ' ? p[2] : 0;
}

/*
 * A worker whose parent never waits for it (an orphan adopted by a
 * container's init, or by a sluiced restarted meanwhile) stays a zombie
 * when it is killed: dead all the same.  Its slot is reaped at once, not
 * after the hang threshold, and a replacement started right away takes it
 * (before, it exited "worker slot 0 is in use": the faults soak's
 * iteration 88 then waited out a crash loop's back-off).
 */
Test(restart, a_killed_worker_left_a_zombie_is_replaced_at_once)
{
	pid_t keeper, zombie, repl;
	struct worker_counts wc;
	int i;

	two_lanes("zombie");
	kill(in.workers[0], SIGKILL);
	waitpid(in.workers[0], NULL, 0);
	for (i = 0; i < 300 && strcmp(worker(0).state, "dead") != 0; i++)
		usleep(10000);
	keeper = fork(); /* the worker's parent, which never waits */
	cr_assert(keeper >= 0);
	if (keeper == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* goes with the test, pass or fail */
		inst_start_worker(&in, 0);
		for (;;)
			pause();
	}
	for (i = 0; i < 500 && strcmp((wc = worker(0)).state, "running") != 0; i++)
		usleep(10000);
	cr_assert_str_eq(wc.state, "running", "worker 0 did not start under its keeper");
	zombie = wc.pid;
	kill(zombie, SIGKILL);
	for (i = 0; i < 100 && proc_state(zombie) != 'Z'; i++)
		usleep(10000);
	cr_assert_eq(proc_state(zombie), 'Z', "the killed worker is not a zombie");

	inst_start_worker(&in, 0);
	repl = in.workers[0];
	for (i = 0; i < 200; i++) {
		wc = worker(0);
		if (wc.pid == repl && strcmp(wc.state, "running") == 0)
			break;
		cr_assert_eq(waitpid(repl, NULL, WNOHANG), 0,
			     "the replacement exited (see worker0.log): the zombie's slot was not freed");
		usleep(10000);
	}
	cr_assert_lt(i, 200, "the replacement did not take the slot within 2 s");
	uint64_t s0 = sink_tx("sink0");
	usleep(100000);
	cr_assert_gt(sink_tx("sink0"), s0, "the replacement does not forward");
	kill(keeper, SIGKILL);
	waitpid(keeper, NULL, 0);
	inst_stop(&in);
}

/* With worker 0 dead, flow changes still complete and worker 1 applies them. */
Test(restart, flow_updates_work_while_a_worker_is_dead)
{
	static const char *const redirect[] = {
		"in_port=1,actions=output:3",
		"in_port=2,actions=output:3",
	};
	struct timespec t0;
	char err[256];
	uint64_t s0;

	two_lanes("deadflows");
	kill(in.workers[0], SIGKILL);
	waitpid(in.workers[0], NULL, 0);
	usleep(50000);
	s0 = sink_tx("sink0");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(inst_flows(&in, "replace", redirect, 2, err, sizeof(err)), 0, "%s", err);
	cr_assert_lt(ms_since(&t0), 2000, "replace-flows waited on the dead worker");
	usleep(200000);
	/* Worker 1's traffic (src1) now lands on sink0 although worker 0 is dead. */
	cr_assert_gt(sink_tx("sink0"), s0 + 1000);
	inst_start_worker(&in, 0);
	cr_assert(inst_wait_worker(&in, 0, 5000));
	inst_stop(&in);
}

/*
 * Restarting a worker leaves a pcap port's output file alone: the device
 * lives in the primary only, so no new process reopens (and truncates) it.
 */
Test(restart, worker_restart_does_not_truncate_pcap_output)
{
	static const char *const table[] = { "in_port=1,actions=output:2", "in_port=3,actions=output:2" };
	struct frame f[2], *got;
	char devargs[512], err[512];

	inst_start(&in, "pcaprst", 1);
	frame_udp(&f[0], "00:00:00:00:00:01", "00:00:00:00:00:02", -1, "10.0.0.1", "10.0.0.2", 1, 2, 64);
	frame_udp(&f[1], "00:00:00:00:00:01", "00:00:00:00:00:02", -1, "10.0.0.1", "10.0.0.3", 1, 2, 64);
	pcap_write_frames(inst_path(&in, "a.pcap"), &f[0], 1);
	pcap_write_frames(inst_path(&in, "b.pcap"), &f[1], 1);
	pcap_write_frames(inst_path(&in, "e.pcap"), NULL, 0);
	cr_assert_eq(inst_flows(&in, "add", table, 2, err, sizeof(err)), 0, "%s", err);
	snprintf(devargs, sizeof(devargs), "net_pcap_ro,rx_pcap=%s,tx_pcap=%s", inst_path(&in, "e.pcap"),
		 inst_path(&in, "out.pcap"));
	cr_assert_eq(inst_add_port(&in, "out", devargs, 2, err, sizeof(err)), 0, "%s", err);
	snprintf(devargs, sizeof(devargs), "net_pcap_ra,rx_pcap=%s,tx_pcap=%s", inst_path(&in, "a.pcap"),
		 inst_path(&in, "ao.pcap"));
	cr_assert_eq(inst_add_port(&in, "a", devargs, 1, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(inst_wait_rx(&in, 1, 5000), 1);
	kill(in.workers[0], SIGKILL);
	waitpid(in.workers[0], NULL, 0);
	inst_start_worker(&in, 0);
	cr_assert(inst_wait_worker(&in, 0, 5000));
	snprintf(devargs, sizeof(devargs), "net_pcap_rb,rx_pcap=%s,tx_pcap=%s", inst_path(&in, "b.pcap"),
		 inst_path(&in, "bo.pcap"));
	cr_assert_eq(inst_add_port(&in, "b", devargs, 3, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(inst_wait_rx(&in, 2, 5000), 2);
	cr_assert_eq(inst_del_port(&in, "out", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(pcap_read_frames(inst_path(&in, "out.pcap"), &got), 2,
		     "the output lost what was written before the restart");
	cr_assert_eq(memcmp(got[0].data, f[0].data, 64), 0);
	cr_assert_eq(memcmp(got[1].data, f[1].data, 64), 0);
	free(got);
	inst_stop(&in);
}

/* True if process @pid has @path open. */
static bool
has_open(pid_t pid, const char *path)
{
	char dir[64], link[80], target[512];
	struct dirent *e;
	bool found = false;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	cr_assert_not_null(d, "%s", dir);
	while (!found && (e = readdir(d)) != NULL) {
		ssize_t n;

		snprintf(link, sizeof(link), "%s/%s", dir, e->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			found = strcmp(target, path) == 0;
		}
	}
	closedir(d);
	return found;
}

/* @name's tx packets once they reach @n, or what they are after @timeout_ms. */
static uint64_t
wait_tx(const char *name, uint64_t n, int timeout_ms)
{
	uint64_t got = 0;

	for (int i = 0; i < timeout_ms / 20 && (got = sink_tx(name)) < n; i++)
		usleep(20000);
	usleep(100000); /* the last tx flush reaches the file */
	return got;
}

/*
 * The same with devargs short enough for net_pcap to keep for secondaries
 * (64 bytes): a worker started after the bridged ports were added is not
 * told of their devices by the primary, so it neither opens a port's
 * tx_pcap file (which it used to truncate) nor leaves net_pcap's state in
 * the shared heap when it is killed; it does probe the direct ports
 * (net_null here) and forwards them.
 */
Test(restart, a_restarted_worker_leaves_a_bridged_pcap_port_alone)
{
	static const char *const table[] = { "in_port=1,actions=output:2", "in_port=3,actions=output:2",
					     "in_port=4,actions=output:5" };
	char devargs[128], err[512], e[64], o[64], a[64], ao[64], b[64], bo[64];
	struct frame f[2], *got;
	uint64_t t0;

	strcpy(short_dir, "/tmp/slvXXXXXX");
	cr_assert_not_null(mkdtemp(short_dir));
	snprintf(e, sizeof(e), "%s/e", short_dir);
	snprintf(o, sizeof(o), "%s/o", short_dir);
	snprintf(a, sizeof(a), "%s/a", short_dir);
	snprintf(ao, sizeof(ao), "%s/A", short_dir);
	snprintf(b, sizeof(b), "%s/b", short_dir);
	snprintf(bo, sizeof(bo), "%s/B", short_dir);
	inst_start(&in, "pcapshort", 1);
	frame_udp(&f[0], "00:00:00:00:00:01", "00:00:00:00:00:02", -1, "10.0.0.1", "10.0.0.2", 1, 2, 64);
	frame_udp(&f[1], "00:00:00:00:00:01", "00:00:00:00:00:02", -1, "10.0.0.1", "10.0.0.3", 1, 2, 64);
	pcap_write_frames(a, &f[0], 1);
	pcap_write_frames(b, &f[1], 1);
	pcap_write_frames(e, NULL, 0);
	cr_assert_eq(inst_flows(&in, "add", table, 3, err, sizeof(err)), 0, "%s", err);
	snprintf(devargs, sizeof(devargs), "net_pcap_so,rx_pcap=%s,tx_pcap=%s", e, o);
	cr_assert_leq(strlen(devargs) - strlen("net_pcap_so,"), 63, "%s: too long to test this",
		      devargs);
	cr_assert_eq(inst_add_port(&in, "out", devargs, 2, err, sizeof(err)), 0, "%s", err);
	snprintf(devargs, sizeof(devargs), "net_pcap_sa,rx_pcap=%s,tx_pcap=%s", a, ao);
	cr_assert_eq(inst_add_port(&in, "a", devargs, 1, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(inst_add_port(&in, "sink", "net_null_ss,no-rx=1", 5, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(inst_add_port(&in, "src", "net_null_sn", 4, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(wait_tx("out", 1, 5000), 1);
	for (int k = 0; k < 3; k++) {
		kill(in.workers[0], SIGKILL);
		waitpid(in.workers[0], NULL, 0);
		inst_start_worker(&in, 0);
		cr_assert(inst_wait_worker(&in, 0, 5000));
		cr_assert(!has_open(in.workers[0], o),
			  "restarted worker %d has the bridged port's tx_pcap %s open",
			  (int)in.workers[0], o);
		t0 = sink_tx("sink");
		usleep(100000);
		cr_assert_gt(sink_tx("sink"), t0 + 1000,
			     "the restarted worker does not forward the direct port src");
	}
	snprintf(devargs, sizeof(devargs), "net_pcap_sb,rx_pcap=%s,tx_pcap=%s", b, bo);
	cr_assert_eq(inst_add_port(&in, "b", devargs, 3, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(wait_tx("out", 2, 5000), 2);
	cr_assert_eq(inst_del_port(&in, "out", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(pcap_read_frames(o, &got), 2,
		     "the output lost what was written before the restarts");
	cr_assert_eq(memcmp(got[0].data, f[0].data, 64), 0);
	cr_assert_eq(memcmp(got[1].data, f[1].data, 64), 0);
	free(got);
	inst_stop(&in);
}

/*
 * --rebalance: a dead worker's queues go to the live worker at once (its
 * traffic keeps flowing while it is down) and come back when it returns.
 */
Test(restart, rebalance_policy_hands_queues_over_and_back)
{
	uint64_t s0, rx0;

	two_lanes_opt("rebal", "--rebalance");
	kill(in.workers[0], SIGKILL);
	waitpid(in.workers[0], NULL, 0);
	usleep(300000);
	cr_assert_eq(worker(1).n_rxq, 4, "worker 1 did not take over all queues");
	s0 = sink_tx("sink0");
	usleep(200000);
	cr_assert_gt(sink_tx("sink0"), s0 + 1000, "worker 0's traffic stopped while it was dead");
	inst_start_worker(&in, 0);
	cr_assert(inst_wait_worker(&in, 0, 5000));
	usleep(300000);
	cr_assert_eq(worker(0).n_rxq, 2, "worker 0 got its queues not back");
	cr_assert_eq(worker(1).n_rxq, 2);
	rx0 = worker(0).rx_packets;
	usleep(100000);
	cr_assert_gt(worker(0).rx_packets, rx0, "worker 0 does not forward after its return");
	inst_stop(&in);
}

/* Frame number @i is in the source address and UDP source port. */
static void
numbered(struct frame *f, uint32_t i)
{
	char src[32];

	snprintf(src, sizeof(src), "10.%u.%u.%u", (i >> 16) & 255, (i >> 8) & 255, i & 255);
	frame_udp(f, "00:00:00:00:00:01", "00:00:00:00:00:02", -1, src, "10.200.0.1",
		  (uint16_t)i, 80, 64);
}

static uint32_t
number_of(const struct frame *f)
{
	return (uint32_t)f->data[27] << 16 | (uint32_t)f->data[28] << 8 | f->data[29];
}

/*
 * Planned restarts (--takeover) while a pcap file streams through worker 0:
 * each replacement attaches beside the running worker and takes its queues
 * over; every packet comes out exactly once and in order.
 */
Test(restart, planned_restart_with_takeover_loses_no_packet, .timeout = 120)
{
	enum { N = 3000000 };
	static const char *const table[] = { "in_port=1,actions=output:2" };
	char devargs[512], err[512];
	int lcore = 1, handovers = 0;
	size_t n;

	inst_start(&in, "takeover", 1);
	{
		/* Streamed: three million frames do not fit in memory as structs. */
		pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
		pcap_dumper_t *d = pcap_dump_open(p, inst_path(&in, "in.pcap"));
		struct frame f;

		cr_assert_not_null(d);
		for (uint32_t i = 0; i < N; i++) {
			struct pcap_pkthdr h = { .caplen = 64, .len = 64 };

			numbered(&f, i);
			pcap_dump((u_char *)d, &h, f.data);
		}
		pcap_dump_close(d);
		pcap_close(p);
	}
	pcap_write_frames(inst_path(&in, "e.pcap"), NULL, 0);
	cr_assert_eq(inst_flows(&in, "add", table, 1, err, sizeof(err)), 0, "%s", err);
	snprintf(devargs, sizeof(devargs), "net_pcap_to,rx_pcap=%s,tx_pcap=%s",
		 inst_path(&in, "e.pcap"), inst_path(&in, "out.pcap"));
	cr_assert_eq(inst_add_port(&in, "out", devargs, 2, err, sizeof(err)), 0, "%s", err);
	snprintf(devargs, sizeof(devargs), "net_pcap_ti,rx_pcap=%s,tx_pcap=%s",
		 inst_path(&in, "in.pcap"), inst_path(&in, "io.pcap"));
	cr_assert_eq(inst_add_port(&in, "in", devargs, 1, err, sizeof(err)), 0, "%s", err);
	while (inst_worker_rx(&in) < N && handovers < 5) {
		pid_t old = in.workers[0];

		lcore = lcore == 1 ? 1 + 8 : 1;
		inst_start_worker_opt(&in, 0, lcore, true);
		cr_assert(inst_wait_worker(&in, 0, 10000), "the replacement never took over");
		cr_assert_eq(waitpid(old, NULL, 0), old, "the old worker did not exit");
		handovers++;
	}
	cr_assert_geq(handovers, 2, "traffic ended before two hand-overs (%d)", handovers);
	cr_assert_eq(inst_wait_rx(&in, N, 20000), N);
	cr_assert_eq(inst_del_port(&in, "out", err, sizeof(err)), 0, "%s", err);
	{
		char eb[PCAP_ERRBUF_SIZE];
		pcap_t *p = pcap_open_offline(inst_path(&in, "out.pcap"), eb);
		struct pcap_pkthdr *h;
		const u_char *data;
		struct frame f;

		cr_assert_not_null(p, "%s", eb);
		for (n = 0; pcap_next_ex(p, &h, &data) == 1; n++) {
			memcpy(f.data, data, 30);
			cr_assert_eq(number_of(&f), n, "packet %zu lost, duplicated or reordered", n);
		}
		pcap_close(p);
	}
	cr_assert_eq(n, N, "%zu of %d packets came out over %d hand-overs", n, N, handovers);
	fprintf(stderr, "restart: %d planned hand-overs under traffic, %zu of %d packets out, in order\n",
		handovers, n, N);
	inst_stop(&in);
}
