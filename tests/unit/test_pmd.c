/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Where packets are polled, without processes: the text of pmd-cpu-mask and
 * pmd-rxq-affinity (common/pmd.c) and the scheduling of rx queues to
 * workers (primary/rxq_sched.c), checked against the examples of Open
 * vSwitch's documentation (Documentation/topics/dpdk/pmd.rst) and the
 * seed's rules for pinned queues.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "pmd.h"
#include "rxq_sched.h"
#include "settings.h"

static char canon[SL_VALUE_MAX], err[256];

static const char *
mask_canon(const char *text)
{
	if (sl_cpu_mask_check(text, canon, sizeof(canon), err, sizeof(err)) < 0)
		return NULL;
	return canon;
}

Test(pmd, cpu_masks_read_as_open_vswitch_reads_them)
{
	cr_assert_str_eq(mask_canon("0x6"), "0x6");
	cr_assert_str_eq(mask_canon("6"), "0x6", "hexadecimal without 0x, as OVS");
	cr_assert_str_eq(mask_canon("0X0c"), "0xc");
	cr_assert_str_eq(mask_canon("1,2"), "0x6", "a list of cores");
	cr_assert_str_eq(mask_canon("0-3"), "0xf");
	cr_assert_str_eq(mask_canon("0-1,5"), "0x23");
	cr_assert_str_eq(mask_canon(""), "", "empty: the default workers");
	cr_assert_str_eq(mask_canon("000000000000000000003"), "0x3", "leading zeros");
}

Test(pmd, bad_cpu_masks_say_why)
{
	cr_assert_null(mask_canon("0x"));
	cr_assert_null(mask_canon("0"));
	cr_assert(strstr(err, "names no core") != NULL, "%s", err);
	cr_assert_null(mask_canon("zz"));
	cr_assert_null(mask_canon("0x1ff"));
	cr_assert(strstr(err, "9 cores") != NULL, "%s", err);
	cr_assert_null(mask_canon("0x10000000000000000"));
	cr_assert_null(mask_canon("1,64"));
	cr_assert(strstr(err, "core 64") != NULL, "%s", err);
	cr_assert_null(mask_canon("3-1"));
	cr_assert_null(mask_canon("1,,2"));
	cr_assert_null(mask_canon("1, 2"));
}

static const char *
aff_canon(const char *text)
{
	if (sl_rxq_affinity_check(text, canon, sizeof(canon), err, sizeof(err)) < 0)
		return NULL;
	return canon;
}

Test(pmd, affinity_lists_as_the_seed_writes_them)
{
	struct sl_rxq_affinity a;

	cr_assert_str_eq(aff_canon("0:3,1:7,3:8"), "0:3,1:7,3:8");
	cr_assert_str_eq(aff_canon("3:8,0:3"), "0:3,3:8", "sorted by queue");
	cr_assert_str_eq(aff_canon("0:3, 1:7"), "0:3,1:7", "blanks after a comma");
	cr_assert_str_eq(aff_canon(""), "");
	cr_assert_eq(sl_rxq_affinity_parse("0:3,1:7,3:8", &a, err, sizeof(err)), 0);
	cr_assert_eq(a.n, 3);
	cr_assert_eq(sl_rxq_affinity_core(&a, 0), 3);
	cr_assert_eq(sl_rxq_affinity_core(&a, 1), 7);
	cr_assert_eq(sl_rxq_affinity_core(&a, 2), -1, "queue 2 not pinned");
	cr_assert_eq(sl_rxq_affinity_core(&a, 3), 8);
}

Test(pmd, malformed_affinity_lists_are_refused_whole)
{
	static const char *const bad[] = { "0", "0:", ":3", "0:3,", "0:3,,1:2", "a:1", "0:b",
					   "0:3;1:7", "0=3", "-1:3", "0:3,0:4", "64:1", "0:4096",
					   " 0:3", "0:3 ", "0:0x3" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_null(aff_canon(bad[i]), "\"%s\" accepted as \"%s\"", bad[i], canon);
	cr_assert_null(aff_canon("0:3,0:4"));
	cr_assert(strstr(err, "queue 0 is pinned twice") != NULL, "%s", err);
}

Test(pmd, isolate_false_needs_group)
{
	struct sl_values v;

	sl_values_init(&v, &sl_options);
	cr_assert_eq(sl_values_set_kv(&sl_options, &v, "pmd-rxq-isolate=false", err, sizeof(err)),
		     SL_OPT_PMD_RXQ_ISOLATE);
	cr_assert_lt(sl_values_check_all(&sl_options, &v, err, sizeof(err)), 0);
	cr_assert(strstr(err, "needs pmd-rxq-assign=group") != NULL, "%s", err);
	sl_values_set_kv(&sl_options, &v, "pmd-rxq-assign=group", err, sizeof(err));
	cr_assert_eq(sl_values_check_all(&sl_options, &v, err, sizeof(err)), 0, "%s", err);
}

/* ---- vhost-user port types ---- */

Test(pmd, vhost_port_types_make_their_devargs)
{
	char err[256], out[512], path[256];
	struct sl_values v;
	bool client;

	sl_values_init(&v, &sl_port_settings);
	cr_assert_eq(sl_port_type_devargs("p1", &v, "/run/s", out, sizeof(out), err, sizeof(err)), 0);
	cr_assert_str_eq(out, "", "type=dpdk: the user's devargs");
	cr_assert_eq(sl_values_set_kv(&sl_port_settings, &v, "type=dpdkvhostuser", err, sizeof(err)),
		     SL_PS_TYPE, "%s", err);
	cr_assert_eq(sl_values_check_all(&sl_port_settings, &v, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sl_port_type_devargs("vhu0", &v, "/run/s", out, sizeof(out), err, sizeof(err)), 0);
	cr_assert_str_eq(out, "net_vhost_vhu0,iface=/run/s/vhu0,queues=8");
	cr_assert_eq(sl_vhost_socket(out, path, sizeof(path), &client), 1);
	cr_assert_str_eq(path, "/run/s/vhu0");
	cr_assert(!client);

	sl_values_set_kv(&sl_port_settings, &v, "type=dpdkvhostuserclient", err, sizeof(err));
	cr_assert_lt(sl_values_check_all(&sl_port_settings, &v, err, sizeof(err)), 0);
	cr_assert(strstr(err, "missing vhost-server-path") != NULL, "%s", err);
	cr_assert_eq(sl_values_set_kv(&sl_port_settings, &v, "vhost-server-path=/run/vm/a.sock", err,
				      sizeof(err)),
		     SL_PS_VHOST_SERVER_PATH, "%s", err);
	cr_assert_eq(sl_values_check_all(&sl_port_settings, &v, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sl_port_type_devargs("vhu1", &v, "/run/s", out, sizeof(out), err, sizeof(err)), 0);
	cr_assert_str_eq(out, "net_vhost_vhu1,iface=/run/vm/a.sock,client=1,queues=8");
	cr_assert_eq(sl_vhost_socket(out, path, sizeof(path), &client), 1);
	cr_assert_str_eq(path, "/run/vm/a.sock");
	cr_assert(client);
	cr_assert_eq(sl_vhost_socket("net_ring0", path, sizeof(path), &client), 0);
	cr_assert_eq(sl_vhost_socket("eth_vhost3,queues=2,iface=/x", path, sizeof(path), &client), 1);
	cr_assert_str_eq(path, "/x");
}

Test(pmd, bad_vhost_server_paths_say_why)
{
	static const char *const bad[][2] = {
		{ "vhost-server-path=rel.sock", "absolute path" },
		{ "vhost-server-path=/a,b", "no commas" },
		{ "vhost-server-path=/a b", "no commas or white space" },
		{ "type=dpdkvhost", "dpdk|dpdkvhostuser|dpdkvhostuserclient" },
	};
	char err[256], canon[256], longp[200];
	struct sl_values v;

	sl_values_init(&v, &sl_port_settings);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_lt(sl_values_set_kv(&sl_port_settings, &v, bad[i][0], err, sizeof(err)), 0,
			     "%s", bad[i][0]);
		cr_assert(strstr(err, bad[i][1]) != NULL, "%s: %s", bad[i][0], err);
	}
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	cr_assert_lt(sl_vhost_path_check(longp, canon, sizeof(canon), err, sizeof(err)), 0);
	cr_assert(strstr(err, "longer than a socket address") != NULL, "%s", err);
	sl_values_set_kv(&sl_port_settings, &v, "vhost-server-path=/run/a.sock", err, sizeof(err));
	cr_assert_lt(sl_values_check_all(&sl_port_settings, &v, err, sizeof(err)), 0);
	cr_assert(strstr(err, "is for type=dpdkvhostuserclient") != NULL, "%s", err);
}

/* ---- scheduling ---- */

static struct sl_sched s;

static void
workers(const int *cores, unsigned int n)
{
	memset(&s, 0, sizeof(s));
	s.n_workers = n;
	for (unsigned int i = 0; i < n; i++) {
		s.w[i].core = cores[i];
		s.w[i].takes_unpinned = true;
		s.w[i].window = 100;
	}
}

static void
rxq(uint16_t port, uint16_t queue, int pin, uint64_t cycles)
{
	struct sl_sched_rxq *q = &s.q[s.n_rxqs++];

	q->port = port;
	q->queue = queue;
	q->order = (uint32_t)port << 16 | queue;
	q->pin = pin;
	q->cycles = cycles;
}

/* Core of the worker queue @queue of port 0 went to; -1: not polled. */
static int
core_of(uint16_t port, uint16_t queue)
{
	for (unsigned int i = 0; i < s.n_rxqs; i++)
		if (s.q[i].port == port && s.q[i].queue == queue)
			return s.q[i].worker < 0 ? -1 : s.w[s.q[i].worker].core;
	return -2;
}

static const int cores_378[] = { 3, 7, 8 };

Test(pmd, cycles_deals_the_busiest_first_up_and_down_the_cores)
{
	/* pmd.rst: Q0 30%, Q1 80%, Q3 60%, Q4 70%, Q5 10% on cores 3, 7, 8. */
	workers(cores_378, 3);
	rxq(0, 0, -1, 30);
	rxq(0, 1, -1, 80);
	rxq(0, 3, -1, 60);
	rxq(0, 4, -1, 70);
	rxq(0, 5, -1, 10);
	sl_sched_assign(&s, SL_RXQ_ASSIGN_CYCLES, true);
	cr_assert_eq(core_of(0, 1), 3);
	cr_assert_eq(core_of(0, 4), 7);
	cr_assert_eq(core_of(0, 5), 7);
	cr_assert_eq(core_of(0, 3), 8);
	cr_assert_eq(core_of(0, 0), 8);
}

Test(pmd, group_gives_each_queue_to_the_least_loaded_core)
{
	/* pmd.rst: Q0 10%, Q1 80%, Q3 50%, Q4 70%, Q5 10%. */
	workers(cores_378, 3);
	rxq(0, 0, -1, 10);
	rxq(0, 1, -1, 80);
	rxq(0, 3, -1, 50);
	rxq(0, 4, -1, 70);
	rxq(0, 5, -1, 10);
	sl_sched_assign(&s, SL_RXQ_ASSIGN_GROUP, true);
	cr_assert_eq(core_of(0, 1), 3);
	cr_assert_eq(core_of(0, 4), 7);
	cr_assert_eq(core_of(0, 3), 8);
	cr_assert_eq(core_of(0, 0), 8);
	cr_assert_eq(core_of(0, 5), 8);
}

Test(pmd, roundrobin_deals_in_port_and_queue_order)
{
	/* pmd.rst: P0Q0 P0Q1 P1Q0 P1Q1 P1Q2 -> 3: P0Q0 P1Q1, 7: P0Q1 P1Q2, 8: P1Q0. */
	workers(cores_378, 3);
	rxq(1, 2, -1, 90); /* cycles do not matter to roundrobin */
	rxq(0, 0, -1, 0);
	rxq(0, 1, -1, 0);
	rxq(1, 0, -1, 0);
	rxq(1, 1, -1, 0);
	sl_sched_assign(&s, SL_RXQ_ASSIGN_ROUNDROBIN, true);
	cr_assert_eq(core_of(0, 0), 3);
	cr_assert_eq(core_of(1, 1), 3);
	cr_assert_eq(core_of(0, 1), 7);
	cr_assert_eq(core_of(1, 2), 7);
	cr_assert_eq(core_of(1, 0), 8);
}

Test(pmd, pinned_queues_isolate_their_core_and_the_rest_go_elsewhere)
{
	static const int cores[] = { 0, 1 };

	/* n_rxq=4, pmd-rxq-affinity="0:1": core 1 polls queue 0 only. */
	workers(cores, 2);
	for (uint16_t q = 0; q < 4; q++)
		rxq(0, q, q == 0 ? 1 : -1, 0);
	sl_sched_assign(&s, SL_RXQ_ASSIGN_CYCLES, true);
	cr_assert_eq(core_of(0, 0), 1);
	cr_assert(s.w[1].isolated && !s.w[0].isolated);
	for (uint16_t q = 1; q < 4; q++)
		cr_assert_eq(core_of(0, q), 0, "queue %u", q);

	/* Without isolation (group only) core 1 takes its share too. */
	sl_sched_assign(&s, SL_RXQ_ASSIGN_GROUP, false);
	cr_assert(!s.w[1].isolated);
	cr_assert_eq(s.w[0].n_rxq + s.w[1].n_rxq, 4);
	cr_assert_eq(s.w[1].n_rxq, 2, "least queues first while nothing is measured");
}

Test(pmd, no_unisolated_worker_or_no_worker_on_the_core_leaves_queues_unpolled)
{
	static const int cores[] = { 0, 1 };

	workers(cores, 2);
	rxq(0, 0, 0, 0);
	rxq(0, 1, 1, 0);
	rxq(0, 2, -1, 0);
	rxq(0, 3, 7, 0);
	sl_sched_assign(&s, SL_RXQ_ASSIGN_CYCLES, true);
	cr_assert_eq(core_of(0, 0), 0);
	cr_assert_eq(core_of(0, 1), 1);
	cr_assert_eq(core_of(0, 2), -1);
	cr_assert_eq(s.q[2].why, SL_SCHED_NO_FREE_WORKER);
	cr_assert_eq(core_of(0, 3), -1, "core 7 has no worker: not polled (the seed's rule)");
	cr_assert_eq(s.q[3].why, SL_SCHED_NO_WORKER_ON_CORE);
}

Test(pmd, a_worker_that_does_not_run_yet_gets_no_unpinned_queue)
{
	static const int cores[] = { 0, 1 };

	workers(cores, 2);
	s.w[0].takes_unpinned = false;
	rxq(0, 0, -1, 0);
	rxq(0, 1, -1, 0);
	sl_sched_assign(&s, SL_RXQ_ASSIGN_CYCLES, true);
	cr_assert_eq(core_of(0, 0), 1);
	cr_assert_eq(core_of(0, 1), 1);
}

Test(pmd, dry_run_variance_sees_a_busy_queue_alone_as_better)
{
	static const int cores[] = { 0, 1 };

	workers(cores, 2);
	rxq(0, 0, -1, 90); /* heavy */
	rxq(0, 1, -1, 5);
	rxq(0, 2, -1, 5);
	rxq(0, 3, -1, 5);
	/* In force: the heavy queue shares core 0 with two light ones. */
	s.q[0].worker = 0;
	s.q[1].worker = 0;
	s.q[2].worker = 0;
	s.q[3].worker = 1;
	sl_sched_tally(&s, true);
	uint64_t cur = sl_sched_variance(&s);

	sl_sched_assign(&s, SL_RXQ_ASSIGN_GROUP, true);
	cr_assert_eq(s.w[0].n_rxq, 1, "the heavy queue alone");
	cr_assert_lt(sl_sched_variance(&s), cur);
}
