/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection tracking: the ct_* fields and the ct action in ovs-ofctl
 * syntax (round trips, where each lands, what is refused), and the
 * connection state machine of common/conntrack.c driven by crafted
 * packets parsed as the worker parses them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "conntrack.h"
#include "flow_syntax.h"
#include "refusals.h"
#include "packet.h"

static int
parse(const char *text, struct sl_flow *flow, char *err, size_t errlen)
{
	return sl_flow_parse(text, SL_PARSE_FLOW, NULL, NULL, flow, err, errlen);
}

static void
parse_ok(const char *text, struct sl_flow *flow)
{
	char err[256] = "";

	cr_assert_eq(parse(text, flow, err, sizeof(err)), 0, "parsing \"%s\": %s", text, err);
}

/* ---- syntax ---- */

struct ct_text {
	char text[200];
};

static const struct ct_text ct_flows[] = {
	{ "ct_state=-trk,ip,actions=ct(table=1)" },
	{ "table=1,ct_state=+new+trk,tcp,actions=ct(commit),output:2" },
	{ "table=1,ct_state=+est+rpl+trk-inv,actions=output:1" },
	{ "ct_state=0x21/0x21,actions=drop" },
	{ "ct_state=+rel+snat-dnat,actions=drop" },
	{ "ct_zone=5,actions=drop" },
	{ "ct_zone=0x10/0xf0,actions=drop" },
	{ "ct_mark=0x5,actions=drop" },
	{ "ct_mark=0/0x4,actions=drop" },
	{ "ct_label=0x1,actions=drop" },
	{ "ct_label=0x1234567890abcdef0000000000000001/0xffff0000000000000000000000000001,"
	  "actions=drop" },
	{ "ip,ct_nw_src=10.1.2.0/24,ct_nw_dst=10.0.0.1,actions=drop" },
	{ "ipv6,ct_ipv6_src=2001:db8::/64,ct_ipv6_dst=2001:db8::1,actions=drop" },
	{ "ip,ct_nw_proto=6,ct_tp_src=3/0x1,ct_tp_dst=80,actions=drop" },
	{ "ip,actions=ct" },
	{ "ip,actions=ct(commit,force,table=3,zone=7)" },
	{ "ip,actions=ct(zone=NXM_NX_REG0[0..15],table=2)" },
	{ "ip,actions=ct(commit,exec(set_field:0x1->ct_mark,set_field:0x2->ct_label)),output:1" },
	{ "ip,actions=ct(commit,exec(load:0x1->NXM_NX_CT_LABEL[64],load:0x3->NXM_NX_CT_MARK[0..1]))" },
	{ "ip,actions=ct(commit,exec(set_field:0x1/0x1->ct_mark)),ct_clear,ct(table=1)" },
	{ "ip,actions=move:NXM_NX_CT_MARK[]->NXM_NX_REG0[],move:NXM_NX_CT_ZONE[]->reg1[0..15],"
	  "output:1" },
	{ "ip,actions=clone(ct(commit),output:3),output:4" },
};

ParameterizedTestParameters(ct_syntax, round_trip_is_identical)
{
	return cr_make_param_array(struct ct_text, ct_flows, sizeof(ct_flows) / sizeof(ct_flows[0]));
}

ParameterizedTest(const struct ct_text *param, ct_syntax, round_trip_is_identical)
{
	struct sl_flow a, b;
	char s1[512], s2[512];

	parse_ok(param->text, &a);
	sl_flow_format(&a, s1, sizeof(s1));
	parse_ok(s1, &b);
	cr_assert_arr_eq(&a, &b, sizeof(a), "\"%s\" -> \"%s\" changed the flow", param->text, s1);
	sl_flow_format(&b, s2, sizeof(s2));
	cr_assert_str_eq(s1, s2, "canonical text is stable");
}

static void
assert_canonical(const char *text, const char *want)
{
	struct sl_flow f;
	char buf[512];

	parse_ok(text, &f);
	sl_flow_format(&f, buf, sizeof(buf));
	cr_assert_str_eq(buf, want, "for \"%s\"", text);
}

Test(ct_syntax, canonical_text_as_ovs_ofctl_prints_it)
{
	assert_canonical("ct_state=+trk+new,actions=drop",
			 "priority=32768,ct_state=+new+trk,actions=drop");
	assert_canonical("ct_state=0x21/0x21,actions=drop",
			 "priority=32768,ct_state=+new+trk,actions=drop");
	assert_canonical("ip,actions=ct()", "priority=32768,ip,actions=ct");
	assert_canonical("ip,actions=ct(table=1,zone=1,commit)",
			 "priority=32768,ip,actions=ct(commit,table=1,zone=1)");
	assert_canonical("ip,action=ct(commit,exec(set_field(1->ct_label)))",
			 "priority=32768,ip,actions=ct(commit,exec(set_field:0x1->ct_label))");
	assert_canonical("ip,actions=ct(commit,exec(set_field:000000000000000002->ct_label))",
			 "priority=32768,ip,actions=ct(commit,exec(set_field:0x2->ct_label))");
}

Test(ct_syntax, fields_land_in_the_pipeline_metadata)
{
	struct sl_flow f;

	parse_ok("ip,ct_state=+trk-inv,ct_zone=9,ct_mark=0x10/0xf0,ct_label=0x1/0x3,"
		 "ct_nw_src=10.0.0.0/8,ct_tp_dst=80,ct_nw_proto=17,actions=drop",
		 &f);
	cr_assert_eq(f.match.mkey.ct_state, SL_CS_TRK);
	cr_assert_eq(f.match.mmask.ct_state, SL_CS_TRK | SL_CS_INV);
	cr_assert_eq(f.match.mkey.ct_zone, 9);
	cr_assert_eq(f.match.mmask.ct_zone, 0xffff);
	cr_assert_eq(f.match.mkey.ct_mark, 0x10);
	cr_assert_eq(f.match.mmask.ct_mark, 0xf0);
	cr_assert_eq(f.match.mkey.ct_label[0], 1);
	cr_assert_eq(f.match.mmask.ct_label[0], 3);
	cr_assert_eq(f.match.mmask.ct_label[1], 0);
	cr_assert_eq(f.match.mkey.ct_nw_src[0], 10);
	cr_assert_eq(f.match.mmask.ct_nw_src[0], 0xff);
	cr_assert_eq(f.match.mmask.ct_nw_src[1], 0);
	cr_assert_eq(f.match.mkey.ct_tp_dst, htons(80));
	cr_assert_eq(f.match.mkey.ct_nw_proto, 17);
	/* The packet key is untouched: ct fields are pipeline state. */
	cr_assert_eq(f.match.mask.tp_dst, 0);
}

Test(ct_syntax, ct_action_lands_with_its_exec_list)
{
	struct sl_flow f;
	const struct sl_action *a;

	parse_ok("ip,actions=ct(commit,zone=NXM_NX_REG3[16..31],table=4,"
		 "exec(set_field:0x7->ct_mark)),output:2",
		 &f);
	cr_assert_eq(f.actions.n, 3);
	a = &f.actions.a[0];
	cr_assert_eq(a->type, SL_ACT_CT);
	cr_assert_eq(a->flags, SL_CTF_COMMIT);
	cr_assert_eq(a->arg, 4);
	cr_assert_eq(a->arg2, 1, "one exec action follows");
	cr_assert_eq(a->field, SL_FLD_REG0 + 3);
	cr_assert_eq(a->ofs, 16);
	cr_assert_eq(a->nbits, 16);
	cr_assert_eq(f.actions.a[1].type, SL_ACT_SET_FIELD);
	cr_assert_eq(f.actions.a[1].field, SL_FLD_CT_MARK);
	cr_assert_eq(sl_action_u64(&f.actions.a[1], 0), 7);
	cr_assert_eq(f.actions.a[2].type, SL_ACT_OUTPUT);
	parse_ok("ip,actions=ct(zone=300)", &f);
	cr_assert_eq(f.actions.a[0].val[0] | f.actions.a[0].val[1] << 8, 300);
	cr_assert_eq(f.actions.a[0].arg, SL_CT_NO_TABLE);
}

Test(ct_syntax, mistakes_are_refused_with_a_reason)
{
	static const struct refusal cases[] = {
		{ "ct_state=+bogus,actions=drop", "ct_state: bad value" },
		{ "ct_state=+trk+trk,actions=drop", "ct_state: bad value" },
		{ "ct_state=trk,actions=drop", "ct_state: bad value" },
		{ "ct_nw_src=10.0.0.1,actions=drop", "missing prerequisite" },
		{ "ct_ipv6_src=::1,ip,actions=drop", "missing prerequisite" },
		{ "actions=ct(commit)", "ct: missing prerequisite, needs ip or ipv6" },
		{ "ip,actions=ct(commit,nat)", "not supported: nat" },
		{ "ip,actions=ct(commit,nat(src=10.0.0.1))", "not supported: nat" },
		{ "ip,actions=ct(alg=ftp)", "not supported: alg" },
		{ "ip,actions=ct(table=300)", "table" },
		{ "ip,actions=ct(zone=70000)", "zone" },
		{ "ip,actions=ct(zone=NXM_NX_REG0[0..7])", "16-bit" },
		{ "ip,actions=ct(frob)", "unknown argument \"frob\"" },
		{ "ip,actions=ct(commit,exec(output:1))", "exec: only set_field or load" },
		{ "ip,actions=ct(commit,exec(set_field:1->reg0))", "exec: only set_field or load" },
		{ "ip,actions=set_field:1->ct_mark", "written only inside ct(commit,exec" },
		{ "ip,actions=load:1->NXM_NX_CT_STATE[]", "written only inside ct(commit,exec" },
		{ "ip,actions=ct(commit,exec(set_field:1/1->ct_label))", "not supported: masked" },
	};
	EXPECT_REFUSALS(parse, cases);
}

/* ---- the state machine on crafted packets ---- */

struct pkt {
	uint8_t b[128];
	uint32_t len;
};

static void
ipv4(struct pkt *p, uint8_t proto, const char *src, const char *dst, uint32_t l4len)
{
	memset(p, 0, sizeof(*p));
	memset(p->b, 0xaa, 12);
	p->b[12] = 0x08;
	p->b[14] = 0x45;
	p->b[16] = (uint8_t)((20 + l4len) >> 8);
	p->b[17] = (uint8_t)(20 + l4len);
	p->b[22] = 64;
	p->b[23] = proto;
	inet_pton(AF_INET, src, p->b + 26);
	inet_pton(AF_INET, dst, p->b + 30);
	p->len = 34 + l4len;
}

static void
tcp(struct pkt *p, const char *src, const char *dst, uint16_t sp, uint16_t dp, uint8_t flags)
{
	ipv4(p, 6, src, dst, 20);
	p->b[34] = (uint8_t)(sp >> 8), p->b[35] = (uint8_t)sp;
	p->b[36] = (uint8_t)(dp >> 8), p->b[37] = (uint8_t)dp;
	p->b[46] = 0x50;
	p->b[47] = flags;
}

static void
udp(struct pkt *p, const char *src, const char *dst, uint16_t sp, uint16_t dp)
{
	ipv4(p, 17, src, dst, 8);
	p->b[34] = (uint8_t)(sp >> 8), p->b[35] = (uint8_t)sp;
	p->b[36] = (uint8_t)(dp >> 8), p->b[37] = (uint8_t)dp;
	p->b[39] = 8;
}

static void
icmp_echo(struct pkt *p, const char *src, const char *dst, uint8_t type, uint16_t id)
{
	ipv4(p, 1, src, dst, 8);
	p->b[34] = type;
	p->b[38] = (uint8_t)(id >> 8), p->b[39] = (uint8_t)id;
}

/* What ct() reads from @p, as the worker parses it. */
static struct sl_ct_pkt
read_pkt(const struct pkt *p, uint16_t zone)
{
	struct sl_flow_key key;
	struct sl_layers ly;
	struct sl_ct_pkt cp;

	sl_parse(p->b, p->len, 1, &key, &ly);
	sl_ct_extract(&key, p->b, p->len, ly.l4_ofs, zone, &cp);
	return cp;
}

/* A one-connection "table": what the worker does with a packet of it. */
static uint8_t
step(struct sl_ct_conn *c, const struct pkt *p)
{
	struct sl_ct_pkt cp = read_pkt(p, 0);
	struct sl_ct_key k;

	sl_ct_key_of(&cp.t, &k);
	cr_assert_eq(memcmp(&k, &c->key, sizeof(k)), 0, "both directions find the one entry");
	return sl_ct_conn_update(c, &cp, !sl_ct_is_orig(c, &cp.t), 100);
}

Test(ct_state_machine, tcp_handshake_data_and_close)
{
	struct sl_ct_conn c;
	struct sl_ct_pkt cp;
	struct pkt p;
	char line[512];

	memset(&c, 0, sizeof(c));
	tcp(&p, "10.0.0.1", "10.0.0.2", 40000, 80, SL_TCP_SYN);
	cp = read_pkt(&p, 3);
	cr_assert_eq(cp.kind, SL_CTK_PLAIN);
	cr_assert(sl_ct_valid_new(&cp), "a SYN opens");
	sl_ct_conn_init(&c, &cp, 100);
	cr_assert_eq(c.pstate, SL_CTP_TCP_SYN_SENT);
	c.orig.zone = 0; /* step() reads in zone 0 */
	sl_ct_key_of(&c.orig, &c.key);

	cr_assert_eq(step(&c, &p), SL_CS_NEW, "a SYN again is still new");
	tcp(&p, "10.0.0.2", "10.0.0.1", 80, 40000, SL_TCP_SYN | SL_TCP_ACK);
	cr_assert_eq(step(&c, &p), SL_CS_EST | SL_CS_RPL);
	cr_assert_eq(c.pstate, SL_CTP_TCP_SYN_RECV);
	tcp(&p, "10.0.0.1", "10.0.0.2", 40000, 80, SL_TCP_ACK);
	cr_assert_eq(step(&c, &p), SL_CS_EST);
	cr_assert_eq(c.pstate, SL_CTP_TCP_ESTABLISHED);
	tcp(&p, "10.0.0.2", "10.0.0.1", 80, 40000, SL_TCP_ACK | 0x08);
	cr_assert_eq(step(&c, &p), SL_CS_EST | SL_CS_RPL);
	tcp(&p, "10.0.0.1", "10.0.0.2", 40000, 80, SL_TCP_SYN);
	cr_assert_eq(step(&c, &p), SL_CS_INV, "a SYN on an established connection is invalid");
	c.mark = 5;
	sl_ct_conn_format(&c, line, sizeof(line));
	cr_assert_str_eq(line,
			 "tcp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=40000,dport=80),"
			 "reply=(src=10.0.0.2,dst=10.0.0.1,sport=80,dport=40000),mark=5,"
			 "protoinfo=(state=ESTABLISHED)");
	tcp(&p, "10.0.0.1", "10.0.0.2", 40000, 80, SL_TCP_FIN | SL_TCP_ACK);
	cr_assert_eq(step(&c, &p), SL_CS_EST);
	cr_assert_eq(c.pstate, SL_CTP_TCP_CLOSING);
	tcp(&p, "10.0.0.2", "10.0.0.1", 80, 40000, SL_TCP_FIN | SL_TCP_ACK);
	cr_assert_eq(step(&c, &p), SL_CS_EST | SL_CS_RPL);
	cr_assert_eq(c.pstate, SL_CTP_TCP_CLOSED);
	cr_assert_lt(sl_ct_timeout(SL_CTP_TCP_CLOSED), sl_ct_timeout(SL_CTP_TCP_ESTABLISHED));
}

Test(ct_state_machine, tcp_unexpected_flags_are_invalid)
{
	struct sl_ct_conn c;
	struct sl_ct_pkt cp;
	struct pkt p;

	tcp(&p, "10.0.0.1", "10.0.0.2", 1, 2, SL_TCP_ACK);
	cp = read_pkt(&p, 0);
	cr_assert_not(sl_ct_valid_new(&cp), "an ACK opens nothing");
	tcp(&p, "10.0.0.1", "10.0.0.2", 1, 2, SL_TCP_SYN | SL_TCP_ACK);
	cp = read_pkt(&p, 0);
	cr_assert_not(sl_ct_valid_new(&cp), "a SYN+ACK opens nothing");

	memset(&c, 0, sizeof(c));
	tcp(&p, "10.0.0.1", "10.0.0.2", 1, 2, SL_TCP_SYN);
	cp = read_pkt(&p, 0);
	sl_ct_conn_init(&c, &cp, 1);
	tcp(&p, "10.0.0.2", "10.0.0.1", 2, 1, SL_TCP_ACK);
	cr_assert_eq(step(&c, &p), SL_CS_INV, "a reply to a SYN must be a SYN+ACK");
	tcp(&p, "10.0.0.2", "10.0.0.1", 2, 1, SL_TCP_RST | SL_TCP_ACK);
	cr_assert_eq(step(&c, &p), SL_CS_EST | SL_CS_RPL, "a refusal closes");
	cr_assert_eq(c.pstate, SL_CTP_TCP_CLOSED);
}

Test(ct_state_machine, udp_is_new_until_a_reply_then_established)
{
	struct sl_ct_conn c;
	struct sl_ct_pkt cp;
	struct pkt p;

	memset(&c, 0, sizeof(c));
	udp(&p, "192.168.0.1", "192.168.0.9", 5353, 53);
	cp = read_pkt(&p, 0);
	cr_assert(sl_ct_valid_new(&cp));
	sl_ct_conn_init(&c, &cp, 1);
	cr_assert_eq(step(&c, &p), SL_CS_NEW);
	udp(&p, "192.168.0.9", "192.168.0.1", 53, 5353);
	cr_assert_eq(step(&c, &p), SL_CS_EST | SL_CS_RPL);
	udp(&p, "192.168.0.1", "192.168.0.9", 5353, 53);
	cr_assert_eq(step(&c, &p), SL_CS_EST);
	cr_assert_eq(c.pstate, SL_CTP_MULTIPLE);
}

Test(ct_state_machine, icmp_echo_reply_is_rpl_and_an_error_about_the_flow_is_rel)
{
	struct sl_ct_conn c;
	struct sl_ct_pkt cp;
	struct pkt p, u;
	char line[512];

	memset(&c, 0, sizeof(c));
	icmp_echo(&p, "10.0.0.1", "10.0.0.2", 0, 7);
	cp = read_pkt(&p, 0);
	cr_assert_not(sl_ct_valid_new(&cp), "an echo reply opens nothing");
	icmp_echo(&p, "10.0.0.1", "10.0.0.2", 8, 7);
	cp = read_pkt(&p, 0);
	cr_assert(sl_ct_valid_new(&cp));
	sl_ct_conn_init(&c, &cp, 1);
	icmp_echo(&p, "10.0.0.2", "10.0.0.1", 0, 7);
	cr_assert_eq(step(&c, &p), SL_CS_EST | SL_CS_RPL);
	sl_ct_conn_format(&c, line, sizeof(line));
	cr_assert_str_eq(line, "icmp,orig=(src=10.0.0.1,dst=10.0.0.2,id=7,type=8,code=0),"
			       "reply=(src=10.0.0.2,dst=10.0.0.1,id=7,type=0,code=0)");

	/* A UDP flow, then a port unreachable quoting its first packet. */
	memset(&c, 0, sizeof(c));
	udp(&u, "10.0.0.1", "10.0.0.2", 4000, 9);
	cp = read_pkt(&u, 0);
	sl_ct_conn_init(&c, &cp, 1);
	ipv4(&p, 1, "10.0.0.2", "10.0.0.1", 8 + 28);
	p.b[34] = 3;
	p.b[35] = 3;
	memcpy(p.b + 42, u.b + 14, 28);
	cp = read_pkt(&p, 0);
	cr_assert_eq(cp.kind, SL_CTK_RELATED);
	cr_assert(sl_ct_is_orig(&c, &cp.t), "the quoted packet is the original direction's");
	cr_assert_eq(sl_ct_conn_update(&c, &cp, true, 2), SL_CS_REL | SL_CS_RPL);
}

Test(ct_state_machine, zones_and_fragments)
{
	struct sl_ct_key k1, k2;
	struct sl_ct_pkt a, b;
	struct pkt p;

	udp(&p, "10.0.0.1", "10.0.0.2", 1, 2);
	a = read_pkt(&p, 1);
	b = read_pkt(&p, 2);
	sl_ct_key_of(&a.t, &k1);
	sl_ct_key_of(&b.t, &k2);
	cr_assert_neq(memcmp(&k1, &k2, sizeof(k1)), 0, "zones are separate tables");
	p.b[20] = 0x20; /* more fragments */
	cr_assert_eq(read_pkt(&p, 0).kind, SL_CTK_INVALID, "fragments are not tracked");
	memset(p.b + 12, 0, 2);
	p.b[12] = 0x08, p.b[13] = 0x06;
	cr_assert_eq(read_pkt(&p, 0).kind, SL_CTK_NOT_IP);
}

Test(ct_state_machine, ct_state_parse_and_format)
{
	uint8_t k, m;
	char buf[64];

	cr_assert_eq(sl_ct_state_parse("+trk-new+est", &k, &m), 0);
	cr_assert_eq(k, SL_CS_TRK | SL_CS_EST);
	cr_assert_eq(m, SL_CS_TRK | SL_CS_EST | SL_CS_NEW);
	sl_ct_state_format(k, m, buf, sizeof(buf));
	cr_assert_str_eq(buf, "-new+est+trk");
	cr_assert_eq(sl_ct_state_parse("0x21", &k, &m), 0);
	cr_assert_eq(k, 0x21);
	cr_assert_eq(m, 0xff);
	cr_assert_eq(sl_ct_state_parse("", &k, &m), -EINVAL);
	cr_assert_eq(sl_ct_state_parse("0x100", &k, &m), -EINVAL);
}

/* Group buckets run in the group engine, without the connection tracker. */
Test(ct_syntax, ct_in_a_group_bucket_is_not_supported)
{
	struct sl_actions acts;
	char err[256];

	cr_assert_neq(sl_actions_parse("ct(commit),output:1", NULL, NULL, &acts, err, sizeof(err)), 0);
	cr_assert(strstr(err, "not supported: ct in a group bucket") != NULL, "%s", err);
	cr_assert_eq(sl_actions_parse("ct_clear,output:1", NULL, NULL, &acts, err, sizeof(err)), 0,
		     "%s", err);
}
