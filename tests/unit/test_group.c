/* SPDX-License-Identifier: BSD-3-Clause */
/* OpenFlow groups: ovs-ofctl syntax round trips, checks, and how select spreads flows. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "group_syntax.h"

static void
round_trip(const char *in, const char *want)
{
	struct sl_group g, again;
	char err[256], text[SL_GROUP_TEXT_MAX], text2[SL_GROUP_TEXT_MAX];

	cr_assert_eq(sl_group_parse(in, SL_GROUP_PARSE_MOD, NULL, NULL, &g, err, sizeof(err)), 0,
		     "%s: %s", in, err);
	sl_group_format(&g, text, sizeof(text));
	cr_assert_str_eq(text, want);
	cr_assert_eq(sl_group_parse(text, SL_GROUP_PARSE_MOD, NULL, NULL, &again, err, sizeof(err)),
		     0, "%s: %s", text, err);
	sl_group_format(&again, text2, sizeof(text2));
	cr_assert_str_eq(text2, text);
}

/* What ovs-ofctl 3.1 -O OpenFlow13 dump-groups prints for the same input (OF1.5 for selection_method). */
Test(group, syntax_prints_what_ovs_ofctl_prints)
{
	round_trip("group_id=1,type=select,bucket=output:1,bucket=output:2",
		   "group_id=1,type=select,bucket=actions=output:1,bucket=actions=output:2");
	round_trip("group_id=2,type=select,selection_method=hash,fields(ip_src,nw_proto,tcp_dst),"
		   "bucket=weight:10,actions=output:1,bucket=output:2",
		   "group_id=2,type=select,selection_method=hash,fields(ip_src,nw_proto,tcp_dst),"
		   "bucket=weight:10,actions=output:1,bucket=actions=output:2");
	round_trip("group_id=3,type=fast_failover,bucket=watch_port:1,actions=output:1,"
		   "bucket=watch_port:2,actions=output:2",
		   "group_id=3,type=ff,bucket=watch_port:1,actions=output:1,bucket=watch_port:2,"
		   "actions=output:2");
	round_trip("group_id=4,type=indirect,bucket=output:1", "group_id=4,type=indirect,bucket=actions=output:1");
	round_trip("group_id=5,type=all,bucket=actions=mod_vlan_vid:7,output:1,bucket=bucket_id:1,output:2",
		   "group_id=5,type=all,bucket=actions=mod_vlan_vid:7,output:1,bucket=actions=output:2");
	round_trip("group_id=6,type=all", "group_id=6,type=all");
	round_trip("group_id=7,type=select,selection_method=hash,fields=eth_dst",
		   "group_id=7,type=select,selection_method=hash,fields(eth_dst)");
}

Test(group, bad_groups_are_refused_naming_what_is_wrong)
{
	static const struct {
		const char *text;
		const char *msg;
	} bad[] = {
		{ "type=all,bucket=output:1", "missing group_id=" },
		{ "group_id=1,bucket=output:1", "missing type=" },
		{ "group_id=1,type=round_robin", "unknown group type \"round_robin\"" },
		{ "group_id=1,type=indirect,bucket=output:1,bucket=output:2", "exactly one bucket" },
		{ "group_id=1,type=ff,bucket=output:1", "needs watch_port" },
		{ "group_id=1,type=all,bucket=weight:5,output:1", "weight is for select groups only" },
		{ "group_id=1,type=select,bucket=actions=bogus", "bucket 0: actions: unknown action" },
		{ "group_id=1,type=select,bucket=group:2", "group in a bucket is not supported" },
		{ "group_id=1,type=select,selection_method=dp_hash", "not supported: selection_method=dp_hash" },
		{ "group_id=1,type=select,selection_method=hash,fields(ct_state)", "fields: not supported: ct_state" },
		{ "group_id=1,type=select,fields(ip_src)", "needs selection_method=hash" },
		{ "group_id=4294967041,type=all", "group_id: 4294967041 out of range" },
		{ "group_id=1,type=all,frob=1", "unknown field \"frob=1\"" },
		{ "group_id=1,type=ff,bucket=watch_port:p9,actions=output:1", "unknown port \"p9\"" },
		{ "group_id=1,type=ff,bucket=watch_group:1,actions=output:1", "not supported: watch_group" },
	};
	struct sl_group g;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_lt(sl_group_parse(bad[i].text, SL_GROUP_PARSE_MOD, NULL, NULL, &g, err,
					    sizeof(err)),
			     0, "%s accepted", bad[i].text);
		cr_assert(strstr(err, bad[i].msg) != NULL, "%s: \"%s\", expected \"%s\"", bad[i].text,
			  err, bad[i].msg);
	}
}

Test(group, ids_for_del_and_dump)
{
	struct sl_group g;
	char err[128];

	cr_assert_eq(sl_group_parse("", SL_GROUP_PARSE_ID, NULL, NULL, &g, err, sizeof(err)), 0);
	cr_assert_eq(g.id, SL_GROUP_ALL_ID);
	cr_assert_eq(sl_group_parse("group_id=7", SL_GROUP_PARSE_ID, NULL, NULL, &g, err, sizeof(err)), 0);
	cr_assert_eq(g.id, 7);
	cr_assert_eq(sl_group_parse("9", SL_GROUP_PARSE_ID, NULL, NULL, &g, err, sizeof(err)), 0);
	cr_assert_eq(g.id, 9);
	cr_assert_lt(sl_group_parse("x", SL_GROUP_PARSE_ID, NULL, NULL, &g, err, sizeof(err)), 0);
}

/* 10,000 TCP flows (source address and port vary) over three equal buckets. */
static void
spread(const char *text, const int *weights, int total)
{
	struct sl_group g;
	struct sl_flow_key k;
	unsigned int hits[SL_GROUP_MAX_BUCKETS] = { 0 };
	char err[256];
	const int n = 10000;

	cr_assert_eq(sl_group_parse(text, SL_GROUP_PARSE_MOD, NULL, NULL, &g, err, sizeof(err)), 0,
		     "%s", err);
	for (int i = 0; i < n; i++) {
		uint32_t src = htonl(0x0a000000u + (uint32_t)(i / 100)), dst = htonl(0x0a640001u);
		int b;

		memset(&k, 0, sizeof(k));
		k.dl_type = 0x0800;
		k.nw_proto = 6;
		memcpy(k.nw_src, &src, 4);
		memcpy(k.nw_dst, &dst, 4);
		k.tp_src = htons((uint16_t)(10000 + i % 100));
		k.tp_dst = htons(80);
		b = sl_group_select(&g, sl_group_hash(&g, &k));
		cr_assert(b >= 0 && b < g.n_buckets);
		hits[b]++;
		/* the same flow, the same bucket */
		cr_assert_eq(sl_group_select(&g, sl_group_hash(&g, &k)), b);
	}
	for (unsigned int b = 0; b < g.n_buckets; b++) {
		double want = (double)n * weights[b] / total;

		cr_assert(hits[b] > want * 0.95 && hits[b] < want * 1.05,
			  "bucket %u: %u of %d flows, expected %.0f +-5%%", b, hits[b], n, want);
	}
}

Test(group, select_spreads_ten_thousand_flows_within_five_percent)
{
	static const int even[] = { 1, 1, 1 }, weighted[] = { 1, 2, 1 };

	spread("group_id=1,type=select,bucket=output:1,bucket=output:2,bucket=output:3", even, 3);
	spread("group_id=1,type=select,selection_method=hash,fields(ip_src,tcp_src),"
	       "bucket=output:1,bucket=output:2,bucket=output:3",
	       even, 3);
	spread("group_id=1,type=select,bucket=output:1,bucket=weight:2,output:2,bucket=output:3",
	       weighted, 4);
}

Test(group, hash_fields_decide_what_moves_the_bucket)
{
	struct sl_group g;
	struct sl_flow_key a, b;
	char err[128];

	cr_assert_eq(sl_group_parse("group_id=1,type=select,selection_method=hash,fields(eth_dst),"
				    "bucket=output:1,bucket=output:2",
				    SL_GROUP_PARSE_MOD, NULL, NULL, &g, err, sizeof(err)),
		     0, "%s", err);
	memset(&a, 0, sizeof(a));
	b = a;
	b.tp_src = 1234; /* not hashed */
	cr_assert_eq(sl_group_hash(&g, &a), sl_group_hash(&g, &b));
	b.dl_dst[5] = 1;
	cr_assert_neq(sl_group_hash(&g, &a), sl_group_hash(&g, &b));
}

/* Buckets run outputs, VLAN and MAC rewrites: anything else is refused, not skipped. */
Test(group, bucket_actions_the_bucket_engine_cannot_run_are_refused)
{
	static const char *const refused[] = {
		"group_id=1,type=all,bucket=mod_nw_dst:1.2.3.4,output:1",
		"group_id=1,type=all,bucket=output:1,exit,output:2",
		"group_id=1,type=all,bucket=resubmit(,1)",
	};
	struct sl_group g;
	char err[256];

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		cr_assert_eq(sl_group_parse(refused[i], SL_GROUP_PARSE_MOD, NULL, NULL, &g, err,
					    sizeof(err)),
			     -ENOTSUP, "%s accepted", refused[i]);
		cr_assert(strstr(err, "not supported: ") != NULL, "%s", err);
	}
	cr_assert(strstr(err, "resubmit in a bucket") != NULL, "%s", err);
	cr_assert_eq(sl_group_parse("group_id=1,type=all,bucket=note:01,ct_clear,mod_vlan_vid:3,output:1",
				    SL_GROUP_PARSE_MOD, NULL, NULL, &g, err, sizeof(err)),
		     0, "%s", err);
}
