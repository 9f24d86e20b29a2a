/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The meter maths (common/meter.c) with time driven by the test: Open
 * vSwitch's own meter cases give the same drops, a policer holds its
 * rate, bands fire as OpenFlow says, and two threads hammering one meter
 * take exactly the tokens there are.  rte_meter needs the TSC rate, so the
 * EAL is initialised without hugepages or shared files.
 */
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <rte_cycles.h>
#include <rte_eal.h>

#include "meter.h"

static struct sl_meter_zone *z;
static struct sl_meter *m;
static struct sl_meter_counters c;
static uint64_t hz;

static void
setup(void)
{
	char *argv[] = { "test_meter", "--no-huge", "--no-shconf", "--no-pci", "--no-telemetry",
			 "-m", "16", "--file-prefix=sl_unit_meter", "--log-level=lib.eal:error", NULL };

	cr_assert_geq(rte_eal_init(9, argv), 0, "EAL init");
	hz = rte_get_tsc_hz();
	z = aligned_alloc(64, sizeof(*z));
	cr_assert_not_null(z);
	sl_meter_zone_init(z);
	m = &z->m[SL_METER_SLOT_OF0];
	memset(&c, 0, sizeof(c));
}

static void
teardown(void)
{
	char dir[256];

	free(z);
	/* No shared files, no telemetry socket: only the runtime directory is left. */
	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	rmdir(dir);
}

TestSuite(meter, .init = setup, .fini = teardown, .timeout = 60);

/* @n frames of @len bytes at time @t: how many pass. */
static unsigned int
send(unsigned int n, uint32_t len, uint64_t t)
{
	uint32_t lens[SL_METER_MAX_BURST];
	unsigned int passed = 0;

	for (unsigned int i = 0; i < SL_METER_MAX_BURST; i++)
		lens[i] = len;
	for (unsigned int off = 0; off < n; off += SL_METER_MAX_BURST) {
		unsigned int k = n - off < SL_METER_MAX_BURST ? n - off : SL_METER_MAX_BURST;

		passed += __builtin_popcountll(sl_meter_run_lens(m, lens, k, t, &c));
	}
	return passed;
}

static void
of_meter(const char *text)
{
	struct sl_meter_band_cfg cfg[SL_METER_MAX_BANDS];
	struct sl_meter_spec spec;
	enum sl_meter_unit unit;
	char err[256];
	unsigned int n;

	cr_assert_eq(sl_meter_parse(text, SL_METER_PARSE_MOD, &spec, err, sizeof(err)), 0, "%s", err);
	n = sl_meter_of_bands(&spec, &unit, cfg);
	cr_assert_eq(sl_meter_config(m, unit, cfg, n), 0);
}

/* tests/dpif-netdev.at "dpif-netdev - meters", meter 1: 4 of 5 dropped. */
Test(meter, ovs_pktps_rate_1_burst_1_drops_4_of_5)
{
	uint64_t t;

	of_meter("meter=1 pktps burst stats bands=type=drop rate=1 burst_size=1");
	t = rte_get_tsc_cycles();
	cr_assert_eq(send(5, 60, t), 1);
	cr_assert_eq(c.packets, 5);
	cr_assert_eq(c.bytes, 300);
	cr_assert_eq(c.band_packets[0], 4);
	cr_assert_eq(c.band_bytes[0], 240);
	/* 870 ms later: not yet a whole packet's worth. */
	cr_assert_eq(send(5, 60, t + hz * 870 / 1000), 0);
	cr_assert_eq(c.band_packets[0], 9);
}

/* The same test, meter 2: kbps rate=1 burst=2, 60-byte frames (480 bits). */
Test(meter, ovs_kbps_rate_1_burst_2_drops_3_of_7_then_as_ovs)
{
	uint64_t t;

	of_meter("meter=2 kbps burst stats bands=type=drop rate=1 burst_size=2");
	t = rte_get_tsc_cycles();
	cr_assert_eq(send(7, 60, t), 4, "2000 bits: 4 frames, 80 bits left");
	cr_assert_eq(c.band_packets[0], 3);
	cr_assert_eq(c.band_bytes[0], 180);
	t += hz * 870 / 1000;
	cr_assert_eq(send(5, 60, t), 1, "80 + 870 bits: one more");
	cr_assert_eq(c.band_packets[0], 7);
	t += hz * 10 / 1000;
	cr_assert_eq(send(5, 60, t), 1, "470 + 10 bits: one more");
	cr_assert_eq(c.packets, 17);
	cr_assert_eq(c.band_packets[0], 11);
	cr_assert_eq(c.band_bytes[0], 660);
}

/* egress-policer cir=46000000 cbs=2048: 64-byte frames (60 without FCS) count 46 bytes. */
Test(meter, egress_policer_holds_one_million_64_byte_frames_a_second)
{
	struct sl_meter_band_cfg b = { .rate = 46000000, .burst = 2048 };
	uint64_t t0, step = hz / 2000000; /* offer 2 Mpps */
	unsigned int passed = 0;

	cr_assert_eq(sl_meter_config(m, SL_METER_UNIT_L3_BYTES, &b, 1), 0);
	t0 = rte_get_tsc_cycles();
	cr_assert_eq(send(64, 60, t0), 2048 / 46, "a full bucket: 44 frames");
	for (uint64_t i = 1; i <= 2000000 / 32; i++)
		passed += send(32, 60, t0 + i * 32 * step);
	cr_log_info("passed %u in one second", passed);
	cr_assert(passed > 990000 && passed < 1010000, "passed %u in one second", passed);
}

/* Frames of at most an Ethernet header cost nothing to a policer (no wrap-around). */
Test(meter, runt_frames_cost_nothing)
{
	struct sl_meter_band_cfg b = { .rate = 1000, .burst = 100 };
	uint64_t t;

	cr_assert_eq(sl_meter_config(m, SL_METER_UNIT_L3_BYTES, &b, 1), 0);
	t = rte_get_tsc_cycles();
	cr_assert_eq(send(10, 14, t), 10);
	cr_assert_eq(send(10, 12, t), 10);
	cr_assert_eq(send(3, 64, t), 2, "50 bytes each out of 100");
}

/* Two bands: a packet either refuses is dropped, counted in the refusing band of highest rate. */
Test(meter, bands_fire_by_highest_rate_exceeded)
{
	uint64_t t;

	of_meter("meter=3 pktps burst bands=type=drop rate=10 burst_size=10 "
		 "type=drop rate=20 burst_size=20");
	t = rte_get_tsc_cycles();
	cr_assert_eq(send(30, 60, t), 10);
	/* 10..19 exceeded only the first band; 20..29 both: counted in the second. */
	cr_assert_eq(c.band_packets[0], 10);
	cr_assert_eq(c.band_packets[1], 10);
}

Test(meter, off_passes_everything_and_reconfig_refills)
{
	struct sl_meter_band_cfg b = { .rate = 1000, .burst = 1000 };
	uint64_t t = rte_get_tsc_cycles();

	cr_assert_eq(send(64, 60, t), 64, "a meter without bands passes all");
	cr_assert_eq(c.packets, 0, "and counts nothing");
	cr_assert_eq(sl_meter_config(m, SL_METER_UNIT_MILLIPKTS, &b, 1), 0);
	t = rte_get_tsc_cycles();
	cr_assert_eq(send(3, 60, t), 1);
	cr_assert_eq(sl_meter_config(m, SL_METER_UNIT_MILLIPKTS, &b, 1), 0);
	cr_assert_eq(send(3, 60, rte_get_tsc_cycles()), 1, "full again");
	b.rate = 0;
	cr_assert_eq(sl_meter_config(m, SL_METER_UNIT_MILLIPKTS, &b, 1), -EINVAL);
	cr_assert_eq(m->n_bands, 1, "a refused config leaves the meter as it was");
}

/* An idle hour refills no more than the bucket, and nothing overflows. */
Test(meter, a_long_idle_gap_refills_only_the_bucket)
{
	struct sl_meter_band_cfg b = { .rate = UINT64_C(4000000000000), .burst = 64000 };
	uint64_t t;

	cr_assert_eq(sl_meter_config(m, SL_METER_UNIT_BITS, &b, 1), 0);
	t = rte_get_tsc_cycles();
	cr_assert_eq(send(200, 1000, t), 8);
	cr_assert_eq(send(200, 1000, t + hz * 3600), 8);
	cr_assert_eq(send(200, 1000, t + hz * 3600 * 24 * 365), 8);
}

struct hammer {
	unsigned int passed;
	struct sl_meter_counters c;
	uint64_t t;
};

static void *
hammer(void *arg)
{
	struct hammer *h = arg;
	uint32_t lens[32];

	for (unsigned int i = 0; i < 32; i++)
		lens[i] = 60;
	for (unsigned int i = 0; i < 20000; i++)
		h->passed += __builtin_popcountll(sl_meter_run_lens(m, lens, 1 + i % 32, h->t, &h->c));
	return NULL;
}

/* Lock-free and exact: two threads at one instant take exactly the bucket. */
Test(meter, two_threads_take_exactly_the_tokens_there_are)
{
	struct sl_meter_band_cfg b = { .rate = 1, .burst = 5000 * 1000 };
	struct hammer h[2] = { 0 };
	pthread_t th[2];

	cr_assert_eq(sl_meter_config(m, SL_METER_UNIT_MILLIPKTS, &b, 1), 0);
	h[0].t = h[1].t = rte_get_tsc_cycles();
	for (int i = 0; i < 2; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, hammer, &h[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	cr_assert_eq(h[0].passed + h[1].passed, 5000, "passed %u + %u", h[0].passed, h[1].passed);
	cr_assert_eq(h[0].c.packets + h[1].c.packets - h[0].c.band_packets[0] - h[1].c.band_packets[0],
		     5000);
}
