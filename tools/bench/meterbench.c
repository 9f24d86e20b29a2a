/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * meterbench: what one token bucket costs, in TSC cycles per packet, the
 * way sluice keeps it (common/meter.c: rte_meter's maths on a copy of a
 * 128-bit state published with one compare-and-swap per burst) against
 * rte_meter used as Open vSwitch uses it (a private struct; one call per
 * packet; under a spinlock when shared, as OVS's ingress policer is), with
 * one thread and with two threads on two CPUs hitting the same bucket.
 *
 *   meterbench [-n PACKETS] [-c CPU0,CPU1]
 *
 * Prints one line per case: "CASE cycles/packet" (two-thread cases: the
 * mean over both threads, each timed on its own CPU).  The EAL runs without
 * hugepages or shared files; nothing else is touched.
 */
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_meter.h>
#include <rte_spinlock.h>

#include "meter.h"

#define BURST 32

static uint64_t n_pkts = 20000000;
static int cpus[2] = { 0, 1 };

/* What is measured: one call meters @n packets of 60 bytes at time @now. */
struct target {
	const char *name;
	void (*run)(struct target *t, unsigned int n, uint64_t now);
	struct sl_meter *m;
	struct {
		struct sl_meter_counters c;
	} __rte_cache_aligned row[2]; /* one counter row a thread, as workers have */
	struct rte_meter_srtcm rm;
	struct rte_meter_srtcm_profile prof;
	rte_spinlock_t lock;
	unsigned int burst;
	uint64_t passed;
};

static __thread unsigned int thread_idx;

static void
run_sl(struct target *t, unsigned int n, uint64_t now)
{
	static const uint32_t len[BURST] = { [0 ... BURST - 1] = 60 };

	t->passed += (uint64_t)__builtin_popcountll(sl_meter_run_lens(t->m, len, n, now,
								      &t->row[thread_idx].c));
}

static void
run_rte(struct target *t, unsigned int n, uint64_t now)
{
	for (unsigned int i = 0; i < n; i++)
		t->passed += rte_meter_srtcm_color_blind_check(&t->rm, &t->prof, now, 46) ==
			     RTE_COLOR_GREEN;
}

static void
run_nothing(struct target *t, unsigned int n, uint64_t now)
{
	(void)now;
	t->passed += n;
}

static void
run_rte_locked(struct target *t, unsigned int n, uint64_t now)
{
	rte_spinlock_lock(&t->lock);
	run_rte(t, n, now);
	rte_spinlock_unlock(&t->lock);
}

struct job {
	struct target *t;
	int cpu;
	unsigned int idx;
	uint64_t pkts;
	double cycles_per_pkt;
};

static void *
job_run(void *arg)
{
	struct job *j = arg;
	struct target *t = j->t;
	cpu_set_t set;
	uint64_t t0, done = 0;

	CPU_ZERO(&set);
	CPU_SET(j->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	thread_idx = j->idx;
	t0 = rte_rdtsc();
	while (done < j->pkts) {
		t->run(t, t->burst, rte_rdtsc());
		done += t->burst;
	}
	j->cycles_per_pkt = (double)(rte_rdtsc() - t0) / (double)done;
	return NULL;
}

/* Run @t on @threads threads; cycles per packet, the mean over threads. */
static double
measure(struct target *t, int threads)
{
	struct job jobs[2];
	pthread_t th[2];
	double sum = 0;

	for (int i = 0; i < threads; i++) {
		jobs[i] = (struct job){ .t = t, .cpu = cpus[i], .idx = (unsigned int)i,
					.pkts = n_pkts / (uint64_t)threads };
		pthread_create(&th[i], NULL, job_run, &jobs[i]);
	}
	for (int i = 0; i < threads; i++) {
		pthread_join(th[i], NULL);
		sum += jobs[i].cycles_per_pkt;
	}
	return sum / threads;
}

/* A bucket that lets everything through (cir far above the offered rate). */
static void
setup(struct target *t, struct sl_meter *m)
{
	struct rte_meter_srtcm_params p = { .cir = UINT64_C(100000000000), .cbs = 1 << 20 };
	struct sl_meter_band_cfg b = { .rate = p.cir, .burst = p.cbs };

	t->m = m;
	rte_spinlock_init(&t->lock);
	if (sl_meter_config(m, SL_METER_UNIT_L3_BYTES, &b, 1) < 0 ||
	    rte_meter_srtcm_profile_config(&t->prof, &p) < 0 ||
	    rte_meter_srtcm_config(&t->rm, &t->prof) < 0) {
		fprintf(stderr, "meterbench: cannot configure the meters\n");
		exit(1);
	}
}

int
main(int argc, char **argv)
{
	char *eal[] = { argv[0], "--no-huge", "--no-shconf", "--no-pci", "--no-telemetry", "-m", "32",
			"--file-prefix=sl_meterbench", "--log-level=lib.eal:error", "--lcores", "0@0", NULL };
	static struct sl_meter_zone z;
	char rundir[256];
	struct target cases[] = {
		{ .name = "nothing but the TSC read each call (one a burst of 32)", .run = run_nothing,
		  .burst = BURST },
		{ .name = "nothing but the TSC read each call (one a packet)", .run = run_nothing,
		  .burst = 1 },
		{ .name = "rte_meter, private, one call a packet (OVS's egress policer)",
		  .run = run_rte, .burst = BURST },
		{ .name = "rte_meter under a spinlock, burst of 32 (OVS's ingress policer)",
		  .run = run_rte_locked, .burst = BURST },
		{ .name = "sluice shared bucket, CAS per burst of 32", .run = run_sl, .burst = BURST },
		{ .name = "sluice shared bucket, one packet a call", .run = run_sl, .burst = 1 },
	};
	int opt;

	while ((opt = getopt(argc, argv, "n:c:h")) != -1) {
		switch (opt) {
		case 'n':
			n_pkts = strtoull(optarg, NULL, 10);
			break;
		case 'c':
			if (sscanf(optarg, "%d,%d", &cpus[0], &cpus[1]) != 2) {
				fprintf(stderr, "meterbench: -c CPU0,CPU1\n");
				return 2;
			}
			break;
		default:
			printf("Usage: meterbench [-n PACKETS] [-c CPU0,CPU1]\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0) {
		fprintf(stderr, "meterbench: EAL init failed\n");
		return 1;
	}
	sl_meter_zone_init(&z);
	printf("TSC %.2f GHz, %llu packets a case, threads on CPUs %d and %d\n",
	       (double)rte_get_tsc_hz() / 1e9, (unsigned long long)n_pkts, cpus[0], cpus[1]);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct target *t = &cases[i];

		setup(t, &z.m[SL_METER_SLOT_OF0 + i]);
		printf("1 thread:  %-66s %6.1f\n", t->name, measure(t, 1));
		if (t->run == run_rte || t->run == run_nothing)
			continue; /* a private struct cannot be shared */
		setup(t, &z.m[SL_METER_SLOT_OF0 + i]);
		printf("2 threads: %-66s %6.1f\n", t->name, measure(t, 2));
	}
	snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	rmdir(rundir); /* empty: no shared files, no telemetry socket */
	return 0;
}
