/* SPDX-License-Identifier: BSD-3-Clause */
/* The primary's flow table: OpenFlow add/delete/replace semantics and counters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "instance.h"

static struct inst in;

static void
teardown(void)
{
	inst_stop(&in);
}

TestSuite(flow_table, .fini = teardown, .timeout = 60);

static void
ok(const char *verb, const char *const *f, size_t n)
{
	char err[512];

	cr_assert_eq(inst_flows(&in, verb, f, n, err, sizeof(err)), 0, "%s: %s", verb, err);
}

static int
lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

Test(flow_table, add_replaces_same_match_and_priority_and_batches_keep_the_last)
{
	static const char *const first[] = {
		"priority=10,ip,nw_dst=10.0.0.0/8,actions=output:1",
		"priority=20,ip,nw_dst=10.0.0.0/8,actions=output:2",
		"priority=10,udp,tp_dst=53,actions=drop",
	};
	static const char *const again[] = {
		"priority=10,ip,nw_dst=10.0.0.0/8,actions=output:3",
		"priority=30,arp,actions=NORMAL",
		"priority=30,arp,actions=FLOOD",
	};
	char *d;

	inst_start(&in, "ftadd", 1);
	ok("add", first, 3);
	ok("add", again, 3);
	d = inst_flows_text(&in, NULL, NULL);
	cr_assert_eq(lines(d), 4, "table:\n%s", d);
	cr_assert(strstr(d, "priority=10,ip,nw_dst=10.0.0.0/8,actions=output:3\n") != NULL, "%s", d);
	cr_assert(strstr(d, "output:1") == NULL, "%s", d);
	cr_assert(strstr(d, "priority=30,arp,actions=FLOOD\n") != NULL, "%s", d);
	cr_assert(strstr(d, "NORMAL") == NULL, "%s", d);
	free(d);
	inst_stop(&in);
}

Test(flow_table, del_flows_loose_and_strict)
{
	static const char *const table[] = {
		"priority=10,ip,nw_dst=10.0.0.0/8,actions=output:1",
		"priority=20,ip,nw_dst=10.1.0.0/16,actions=output:2",
		"priority=20,udp,tp_dst=53,actions=drop",
		"priority=5,arp,actions=NORMAL",
	};
	static const char *const strict_miss[] = { "priority=10,ip,nw_dst=10.1.0.0/16" };
	static const char *const strict_hit[] = { "priority=10,ip,nw_dst=10.0.0.0/8" };
	static const char *const loose[] = { "ip,nw_dst=10.0.0.0/8" };
	char *d;

	inst_start(&in, "ftdel", 1);
	ok("add", table, 4);
	ok("del-strict", strict_miss, 1); /* no such priority: nothing goes */
	d = inst_flows_text(&in, NULL, NULL);
	cr_assert_eq(lines(d), 4, "%s", d);
	free(d);
	/* Exactly that rule, not 10.1/16 that the same match covers loosely. */
	ok("del-strict", strict_hit, 1);
	d = inst_flows_text(&in, NULL, NULL);
	cr_assert_eq(lines(d), 3, "%s", d);
	cr_assert(strstr(d, "nw_dst=10.0.0.0/8") == NULL, "%s", d);
	cr_assert(strstr(d, "priority=20,ip,nw_dst=10.1.0.0/16,actions=output:2\n") != NULL, "%s",
		  d);
	free(d);
	ok("add", table, 1);
	ok("del", loose, 1); /* covers both 10/8 and 10.1/16, not udp/53 nor arp */
	d = inst_flows_text(&in, NULL, NULL);
	cr_assert_eq(lines(d), 2, "%s", d);
	cr_assert(strstr(d, "tp_dst=53") != NULL && strstr(d, "arp") != NULL, "%s", d);
	free(d);
	ok("del", NULL, 0);
	d = inst_flows_text(&in, NULL, NULL);
	cr_assert_eq(lines(d), 0, "%s", d);
	free(d);
	inst_stop(&in);
}

Test(flow_table, replace_keeps_counters_of_unchanged_flows)
{
	static const char *const table[] = { "priority=10,in_port=1,actions=output:2" };
	static const char *const next[] = { "priority=10,in_port=1,actions=output:2",
					     "priority=99,ip,nw_src=1.2.3.4,actions=drop" };
	uint64_t before = 0, after = 0;
	char err[256], *d;

	inst_start(&in, "ftrep", 1);
	cr_assert_eq(inst_add_port(&in, "sink", "net_null_ftk,no-rx=1", 2, err, sizeof(err)), 0);
	ok("add", table, 1);
	cr_assert_eq(inst_add_port(&in, "src", "net_null_fts", 1, err, sizeof(err)), 0);
	usleep(200000);
	/* Stop the traffic so that the counter can only stay or be reset. */
	cr_assert_eq(inst_del_port(&in, "src", err, sizeof(err)), 0, "%s", err);
	usleep(100000);
	free(inst_flows_text(&in, "in_port=1", &before));
	cr_assert_gt(before, 0);
	ok("replace", next, 2);
	d = inst_flows_text(&in, "in_port=1", &after);
	cr_assert_eq(lines(d), 2, "%s", d);
	cr_assert(strstr(d, "priority=99,ip,nw_src=1.2.3.4,actions=drop\n") != NULL, "%s", d);
	free(d);
	cr_assert_eq(after, before, "replace-flows changed the counter (%lu -> %lu)",
		     (unsigned long)before, (unsigned long)after);
	inst_stop(&in);
}

Test(flow_table, two_hundred_thousand_flows_in_one_batch_and_the_worker_carries_on)
{
	enum { N = 200000 };
	char **f = malloc(sizeof(*f) * N), *d;
	struct worker_counts before, after;

	inst_start(&in, "ft200k", 1);
	cr_assert_eq(inst_worker_counts(&in, 0, &before), 0);
	for (int i = 0; i < N; i++) {
		f[i] = malloc(96);
		snprintf(f[i], 96, "priority=%d,udp,nw_src=10.%d.%d.%d,tp_dst=%d,actions=output:2",
			 i % 100, (i >> 16) & 255, (i >> 8) & 255, i & 255, i % 1000);
	}
	/* Building this table keeps the primary busy for longer than the hang
	 * threshold (400 ms here): it must not take its own stall for the
	 * worker's. */
	ok("add", (const char *const *)f, N);
	usleep(200000);
	d = inst_flows_text(&in, NULL, NULL);
	cr_assert_eq(lines(d), N);
	free(d);
	cr_assert_eq(inst_worker_counts(&in, 0, &after), 0);
	cr_assert_eq(after.pid, before.pid, "the worker was replaced during the install");
	cr_assert_str_eq(after.state, "running");
	for (int i = 0; i < N; i++)
		free(f[i]);
	free(f);
	inst_stop(&in);
}
