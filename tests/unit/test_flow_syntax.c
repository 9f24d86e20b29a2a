/* SPDX-License-Identifier: BSD-3-Clause */
/* ovs-ofctl flow syntax: round trips, port names, errors, prerequisites. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "flow_syntax.h"
#include "refusals.h"
#include "util.h"

/* Test ports: p1 -> 1, p2 -> 2, uplink -> 10. */
static int
resolve(void *ctx, const char *name, uint16_t *ofport)
{
	static const struct {
		const char *name;
		uint16_t ofport;
	} ports[] = { { "p1", 1 }, { "p2", 2 }, { "uplink", 10 } };
	size_t i;

	cr_assert_eq(ctx, (void *)resolve, "resolver gets the caller's ctx");
	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		if (strcmp(name, ports[i].name) == 0) {
			*ofport = ports[i].ofport;
			return 0;
		}
	}
	return -ENOENT;
}

static int
parse(const char *text, struct sl_flow *flow, char *err, size_t errlen)
{
	return sl_flow_parse(text, SL_PARSE_FLOW, resolve, (void *)resolve, flow, err, errlen);
}

static void
parse_ok(const char *text, struct sl_flow *flow)
{
	char err[256] = "";
	int rc = parse(text, flow, err, sizeof(err));

	cr_assert_eq(rc, 0, "parsing \"%s\" failed: %d %s", text, rc, err);
}

/* ---- round trips ---- */

struct flow_text {
	char text[160];
};

static const struct flow_text round_trip_flows[] = {
	{ "actions=drop" },
	{ "priority=100,ip,in_port=1,nw_dst=10.0.0.0/24,actions=output:2" },
	{ "in_port=p1,actions=output:p2" },
	{ "in_port=LOCAL,actions=LOCAL,enqueue:LOCAL:7,output(port=LOCAL,max_len=64)" },
	{ "in_port=p1,actions=resubmit(LOCAL,3),resubmit:LOCAL,output:LOCAL" },
	{ "in_port=uplink,actions=NORMAL" },
	{ "dl_src=00:11:22:33:44:55,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,actions=flood" },
	{ "dl_type=0x88cc,actions=drop" },
	{ "dl_vlan=100,actions=strip_vlan,output:3" },
	{ "dl_vlan=0xffff,actions=mod_vlan_vid:10,output:4" },
	{ "dl_vlan_pcp=5,actions=normal" },
	{ "dl_vlan=7,dl_vlan_pcp=2,actions=ALL" },
	{ "vlan_tci=0x1000/0x1000,actions=in_port" },
	{ "vlan_tci=0x0000/0x1fff,actions=drop" },
	{ "tcp,tp_dst=80,actions=output:1" },
	{ "udp,nw_src=192.168.0.0/16,tp_src=53,actions=output:2" },
	{ "sctp,tp_dst=0x1000/0xf000,actions=drop" },
	{ "icmp,icmp_type=8,icmp_code=0,actions=normal" },
	{ "icmp6,icmp_type=135,actions=normal" },
	{ "ipv6,ipv6_src=2001:db8::/32,ipv6_dst=fe80::1,actions=output:5" },
	{ "tcp6,ipv6_dst=2001:db8::1/64,tp_src=22,actions=output:6" },
	{ "arp,arp_spa=10.0.0.1,arp_tpa=10.0.0.0/8,arp_op=1,actions=flood" },
	{ "arp,nw_src=10.1.2.3,actions=normal" },
	{ "ip,nw_tos=184,nw_ttl=64,actions=drop" },
	{ "ip,nw_ecn=3,nw_tos=8,actions=drop" },
	{ "ip,nw_proto=47,actions=drop" },
	{ "ipv6,nw_proto=89,actions=drop" },
	{ "cookie=0xdeadbeef,priority=0,actions=drop" },
	{ "idle_timeout=10,hard_timeout=65535,ip,actions=drop" },
	{ "cookie=0x5,hard_timeout=1,in_port=1,actions=output:2" },
	{ "ip,nw_src=10.0.0.0/255.0.255.0,actions=drop" },
	{ "priority=65535,in_port=65279,actions=output:1,output:2,output:3" },
	{ "actions=mod_dl_src:02:00:00:00:00:01,mod_dl_dst:2:0:0:0:0:2,mod_vlan_pcp:7,"
	  "push_vlan:0x88a8,pop_vlan,output:1" },
	{ "  Priority = 7 , TCP , nw_dst=1.2.3.4 , Actions = Output:1 , NORMAL " },
	{ "table=0,idle_timeout=0,hard_timeout=0,udp,actions=drop" },
	{ "ip nw_src=1.2.3.4 actions=drop" },
	{ "nw_src=1.2.3.4,ip,actions=drop" },
	{ "actions=1,2,3" },
	{ "ip,nw_dst=10.0.0.77/24,nw_src=1.1.1.1/0,actions=drop" },
	{ "udp6,ipv6_src=::1/ffff::,tp_dst=4789,actions=output:1" },
	{ "priority=1,cookie=18446744073709551615,dl_vlan=4095,actions=drop" },
	{ "actions=" },
	/* The pipeline: tables, registers, metadata, field writes, nesting. */
	{ "table=3,priority=5,ip,actions=goto_table:7" },
	{ "table=253,actions=drop" },
	{ "reg0=0x5,reg15=0x10/0xf0,metadata=0xfafa/0xff00,actions=resubmit(,1)" },
	{ "in_port=1,metadata=0x1,actions=resubmit:2,resubmit(3,4),output:5" },
	{ "in_port=1,actions=resubmit(in_port,2)" },
	{ "ip,actions=set_field:10.0.0.1->ip_src,set_field:10.0.0.0/255.0.0.0->ip_dst" },
	{ "tcp6,actions=set_field:2001:db8::1->ipv6_src,set_field:fe80::2->ipv6_dst" },
	{ "tcp,actions=set_field:80->tcp_src,set_field:443->tcp_dst,output:1" },
	{ "udp,actions=set_field:53->udp_src,mod_tp_dst:5353,mod_tp_src:1" },
	{ "ip,actions=mod_nw_src:1.2.3.4,mod_nw_dst:5.6.7.8,mod_nw_tos:184,mod_nw_ecn:2" },
	{ "ip,actions=mod_nw_ttl:9,dec_ttl,set_field:46->ip_dscp,set_field:1->ip_ecn" },
	{ "ipv6,actions=set_field:63->nw_ttl,dec_ttl,output:3" },
	{ "actions=set_field:aa:bb:cc:dd:ee:ff->eth_src,set_field:1:2:3:4:5:6->eth_dst" },
	{ "actions=set_field:100->vlan_vid,set_field:3->vlan_pcp,output:1" },
	{ "actions=set_field:0x1064->vlan_tci,push_vlan:0x8100,push_vlan:0x88a8" },
	{ "actions=set_field:0x6b/0xff->metadata,set_field:0xdeadbeef->reg7" },
	{ "actions=load:0x1->NXM_NX_REG0[0..15],load:0xf->reg1[4..7],load:1->reg2[31]" },
	{ "actions=load:0xffff->OXM_OF_METADATA[],load:7->NXM_OF_IN_PORT[]" },
	{ "actions=move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],move:reg0[0..7]->reg1[8..15]" },
	{ "actions=write_metadata:0x1234,write_metadata:0x10/0xff,goto_table:1" },
	{ "ip,actions=write_actions(set_field:1.1.1.1->ip_src,output:2),goto_table:1" },
	{ "actions=clear_actions,write_actions(pop_vlan,output(3)),goto_table(2)" },
	{ "ip,actions=clone(set_field:9.9.9.9->ip_dst,output:2),clone(mod_dl_src(0:0:0:0:0:1)),3" },
	{ "actions=output(port=2,max_len=128),output(7)" },
	{ "eth_type=0x0800,ip_src=1.2.3.4,ip_dst=5.6.7.8,actions=drop" },
	{ "ip6,ipv6_dst=::1,actions=drop" },
	{ "eth_src=00:11:22:33:44:55,eth_dst=66:77:88:99:aa:bb,vlan_pcp=3,actions=drop" },
	{ "ip,ip_dscp=46,ip_ecn=1,ip_proto=17,actions=drop" },
	{ "tcp,tcp_src=1,tcp_dst=2,actions=drop" },
	{ "udp6,udp_src=1,udp_dst=2,actions=drop" },
	{ "sctp,sctp_src=1,sctp_dst=2,actions=drop" },
	{ "icmp,icmpv4_type=8,icmpv4_code=0,actions=drop" },
	{ "icmp6,icmpv6_type=135,actions=drop" },
	{ "ip,ip_frag=no,actions=drop" },
	{ "ip,ip_frag=first,actions=drop" },
	{ "ip,ip_frag=later,actions=drop" },
	{ "ip,ip_frag=not_later,actions=drop" },
	{ "ipv6,ip_frag=yes,actions=drop" },
	{ "actions=mod_dl_dst(00:00:00:00:00:02),mod_vlan_vid(5),output(2) output:3" },
	{ "pkt_mark=0xbb,actions=set_field:0xaa->pkt_mark" },
	{ "arp,arp_sha=00:0a:e4:25:6b:b0,arp_tha=01:02:03:00:00:00/ff:ff:ff:00:00:00,actions=drop" },
	{ "arp,arp_spa=10.0.0.1,arp_sha=00:0a:e4:25:6b:b0,arp_op=1,actions=drop" },
	{ "ipv6,ipv6_label=0x12345,actions=2" },
	{ "ipv6,ipv6_src=::1,ipv6_label=0x00005/0x0000f,actions=2" },
	{ "pkt_mark=0x10/0xf0,actions=load:0x3->NXM_NX_PKT_MARK[0..1],move:reg0[]->pkt_mark[]" },
	{ "table=2,actset_output=unset,actions=write_actions(output(2)),goto_table(3)" },
	{ "table=2,priority=20,actset_output=2,actions=4,goto_table(3)" },
	{ "table=1,xreg0=0x0000505400000005,actions=2" },
	{ "xreg3=0x1/0xff00000001,xxreg3=0x1234567890abcdef00112233/0xffffffffffffffffffffffffff,"
	  "actions=drop" },
	{ "actions=note:41.42.43,note:00.01.02.03.04.05.06.07,note,note:0001020304050607" },
	{ "actions=ct_clear,debug_recirc,debug_slow,output:1,exit,output:2" },
	{ "ip,actions=write_actions(group:1234)" },
	{ "table=4,actions=write_actions(group(5),output(10)),goto_table(5)" },
	/* MPLS */
	{ "mpls,mpls_label=5,mpls_tc=3,mpls_ttl=9,mpls_bos=1,actions=pop_mpls:0x0800,output:2" },
	{ "mplsm,mpls_label=1048575,actions=pop_mpls:0x8847,dec_mpls_ttl,output:2" },
	{ "mpls,mpls_bos=0,actions=set_field:7->mpls_label,set_field:3->mpls_tc,"
	  "set_field:5->mpls_ttl,2" },
	{ "ip,actions=push_mpls:0x8847,set_field:789->mpls_label,push_mpls:0x8848,output:1" },
	{ "actions=write_actions(pop_mpls:0x0800,push_mpls:0x8847,dec_mpls_ttl,output:1)" },
	/* Port 0, importance, queues */
	{ "in_port=0,actions=output:0" },
	{ "idle_timeout=5,importance=21,priority=21,actions=NORMAL" },
	{ "tcp,actions=set_queue:37,output:1,pop_queue,enqueue:2:4294967295" },
	{ "actions=write_actions(set_queue:5,output:1)" },
	{ "tcp,idle_timeout=60,actions=fin_timeout(idle_timeout=5,hard_timeout=65535),output:1" },
	{ "actions=fin_timeout(hard_timeout=3),fin_timeout()" },
	/* Packet-ins */
	{ "actions=CONTROLLER:65535" },
	{ "actions=CONTROLLER:0,output:1,CONTROLLER:128" },
	{ "actions=controller(reason=no_match,max_len=128,id=3,userdata=01.02.03)" },
	{ "actions=controller(reason=invalid_ttl)" },
	{ "actions=controller(max_len=100,id=3)" },
	{ "actions=controller(userdata=00.01.02.03.04.05.06.07.08.09.0a.0b.0c.0d.0e.0f)" },
	{ "actions=controller(reason=packet_out,max_len=0)" },
	{ "table=1,actions=write_actions(CONTROLLER:65535),goto_table:2" },
};

ParameterizedTestParameters(flow_syntax, round_trip_is_identical)
{
	return cr_make_param_array(struct flow_text, round_trip_flows,
				   sizeof(round_trip_flows) / sizeof(round_trip_flows[0]));
}

ParameterizedTest(const struct flow_text *param, flow_syntax, round_trip_is_identical)
{
	const char *text = param->text;
	struct sl_flow a, b;
	char s1[512], s2[512];
	int n;

	parse_ok(text, &a);
	n = sl_flow_format(&a, s1, sizeof(s1));
	cr_assert_eq((size_t)n, strlen(s1));
	parse_ok(s1, &b);
	cr_assert_arr_eq(&a, &b, sizeof(a), "\"%s\" -> \"%s\" changed the flow", text, s1);
	sl_flow_format(&b, s2, sizeof(s2));
	cr_assert_str_eq(s1, s2, "canonical text is stable");
}

/* The canonical text for a few inputs, so the printed form cannot drift. */
static void
assert_canonical(const char *text, const char *want)
{
	struct sl_flow f;
	char buf[512];

	parse_ok(text, &f);
	sl_flow_format(&f, buf, sizeof(buf));
	cr_assert_str_eq(buf, want, "for \"%s\"", text);
}

/* Numbers read as a person reads them: a leading zero is not octal. */
Test(flow_syntax, numbers_are_decimal_or_0x_hex_never_octal)
{
	assert_canonical("in_port=010,actions=output:011",
			 "priority=32768,in_port=10,actions=output:11");
	assert_canonical("priority=0100,actions=drop", "priority=100,actions=drop");
	assert_canonical("tcp,tp_dst=0x50,actions=drop", "priority=32768,tcp,tp_dst=80,actions=drop");
}

/*
 * The bridge's local port: every way ovs-ofctl takes it, printed as
 * ovs-ofctl parse-flow prints it (a bare LOCAL for output:LOCAL).
 */
Test(flow_syntax, local_port)
{
	struct sl_flow f;

	assert_canonical("in_port=LOCAL,actions=output:LOCAL",
			 "priority=32768,in_port=LOCAL,actions=LOCAL");
	assert_canonical("in_port=local,actions=local,flood",
			 "priority=32768,in_port=LOCAL,actions=LOCAL,FLOOD");
	assert_canonical("in_port=65534,actions=65534", "priority=32768,in_port=LOCAL,actions=LOCAL");
	assert_canonical("actions=output(LOCAL)", "priority=32768,actions=LOCAL");
	assert_canonical("actions=enqueue:LOCAL:3", "priority=32768,actions=enqueue:LOCAL:3");
	assert_canonical("actions=enqueue(LOCAL,5)", "priority=32768,actions=enqueue:LOCAL:5");
	assert_canonical("actions=output(port=LOCAL,max_len=100)",
			 "priority=32768,actions=output(port=LOCAL,max_len=100)");
	assert_canonical("actions=resubmit(LOCAL,2)", "priority=32768,actions=resubmit(LOCAL,2)");
	assert_canonical("in_port=1,actions=resubmit:LOCAL",
			 "priority=32768,in_port=1,actions=resubmit:LOCAL");
	assert_canonical("actions=clone(LOCAL)", "priority=32768,actions=clone(LOCAL)");
	assert_canonical("actions=write_actions(output:LOCAL)",
			 "priority=32768,actions=write_actions(LOCAL)");
	assert_canonical("actset_output=LOCAL,actions=drop",
			 "priority=32768,actset_output=LOCAL,actions=drop");
	assert_canonical("in_port=p1,actions=output:LOCAL,output:p2",
			 "priority=32768,in_port=1,actions=LOCAL,output:2");
	/* What the data plane gets: OpenFlow's number for it. */
	parse_ok("in_port=LOCAL,actions=LOCAL,enqueue:LOCAL:1", &f);
	cr_assert_eq(f.match.key.in_port, SL_OFPP_LOCAL);
	cr_assert_eq(f.match.mask.in_port, 0xffff);
	cr_assert_eq(f.actions.n, 2);
	cr_assert_eq(f.actions.a[0].type, SL_ACT_OUTPUT);
	cr_assert_eq(f.actions.a[0].arg, SL_OFPP_LOCAL);
	cr_assert_eq(f.actions.a[1].type, SL_ACT_ENQUEUE);
	cr_assert_eq(f.actions.a[1].arg, SL_OFPP_LOCAL);
	cr_assert_eq(sl_action_u32(&f.actions.a[1]), 1);
}

Test(flow_syntax, canonical_text)
{
	assert_canonical("ip,in_port=1,nw_dst=10.0.0.0/24,priority=100,actions=output:2",
			 "priority=100,ip,in_port=1,nw_dst=10.0.0.0/24,actions=output:2");
	assert_canonical("actions=drop", "priority=32768,actions=drop");
	assert_canonical("actions=", "priority=32768,actions=drop");
	assert_canonical("cookie=255,tcp,tp_dst=80,actions=normal",
			 "cookie=0xff,priority=32768,tcp,tp_dst=80,actions=NORMAL");
	assert_canonical("hard_timeout=20,tcp,idle_timeout=10,cookie=1,actions=normal",
			 "cookie=0x1,idle_timeout=10,hard_timeout=20,priority=32768,tcp,"
			 "actions=NORMAL");
	assert_canonical("ipv6,nw_proto=6,actions=drop", "priority=32768,tcp6,actions=drop");
	assert_canonical("dl_vlan=0xffff,actions=drop",
			 "priority=32768,vlan_tci=0x0000,actions=drop");
	assert_canonical("ip,nw_dst=10.0.0.77/24,nw_src=1.1.1.1/0,actions=drop",
			 "priority=32768,ip,nw_dst=10.0.0.0/24,actions=drop");
	assert_canonical("arp,nw_src=10.1.2.3,nw_proto=2,actions=drop",
			 "priority=32768,arp,arp_spa=10.1.2.3,arp_op=2,actions=drop");
	assert_canonical("icmp,icmp_code=3,icmp_type=3,actions=drop",
			 "priority=32768,icmp,icmp_type=3,icmp_code=3,actions=drop");
	assert_canonical("actions=pop_vlan,1,in_port,all,flood",
			 "priority=32768,actions=strip_vlan,output:1,IN_PORT,ALL,FLOOD");
	assert_canonical("table=2,in_port=1,actions=output(3),resubmit(,4),goto_table(5)",
			 "table=2,priority=32768,in_port=1,actions=output:3,resubmit(,4),goto_table:5");
	assert_canonical("table=0,in_port=1,reg3=5,actions=resubmit(2),output:in_port",
			 "priority=32768,in_port=1,reg3=0x5,actions=resubmit:2,IN_PORT");
	assert_canonical("ip,actions=mod_nw_dst:10.1.1.1,dec_ttl(1,2)",
			 "priority=32768,ip,actions=set_field:10.1.1.1->ip_dst,dec_ttl");
	assert_canonical("actions=load:0x2->NXM_NX_REG0[],move:NXM_NX_REG0[0..3]->NXM_NX_REG1[4..7]",
			 "priority=32768,actions=load:0x2->reg0[],move:reg0[0..3]->reg1[4..7]");
	assert_canonical("actions=clone(clone(output:1),output:2),output:3",
			 "priority=32768,actions=clone(clone(output:1),output:2),output:3");
	assert_canonical("eth_type=0x86dd,actions=drop", "priority=32768,ipv6,actions=drop");
}

/* Words of OVS's language sluice lacks say so; words nobody knows are unknown. */
Test(flow_syntax, ovs_words_not_implemented_are_not_supported_not_unknown)
{
	static const struct refusal cases[] = {
		{ "ct_foo=1,actions=drop", "not supported: ct_foo" },
		{ "tun_id=5,actions=drop", "not supported: tun_id" },
		{ "ip,actions=ct(commit,nat(src=10.0.0.1)),output:1", "not supported: nat" },
		{ "ip,actions=ct(commit,alg=ftp),output:1", "not supported: alg" },
		{ "actions=controller(pause)", "controller: not supported: pause" },
		{ "actions=controller(reason=no_match,pause)", "controller: not supported: pause" },
		{ "actions=controller(meter_id=5)", "controller: not supported: meter_id" },
		{ "actions=controller(userdata=000102030405060708090a0b0c0d0e0f10)",
		  "controller: not supported: userdata of more than 16" },
		{ "actions=encap(mpls)", "not supported: encap" },
		{ "actions=learn(table=1,output:NXM_OF_IN_PORT[])", "not supported: learn" },
		{ "actions=sample(probability=1)", "not supported: sample" },
		{ "in_port=CONTROLLER,actions=drop", "not supported: port CONTROLLER" },
		{ "actions=load:1->NXM_NX_TUN_ID[]", "not supported: NXM_NX_TUN_ID" },
		{ "actions=set_field:1->tun_id", "not supported: tun_id" },
		{ "actions=resubmit(,2,ct)", "not supported: resubmit(,2,ct)" },
		{ "xreg8=1,actions=drop", "not supported: xreg8" },
		{ "actions=note:000102030405060708090a0b0c0d0e0f10", "not supported: more than 16" },
		{ "actions=note:4", "bad hex bytes" },
		{ "frobnicate=1,actions=drop", "unknown field \"frobnicate\"" },
		{ "actions=frobnicate", "unknown action \"frobnicate\"" },
		{ "actions=set_field:1->frob", "unknown field \"frob\"" },
	};
	EXPECT_REFUSALS(parse, cases);
}

/* MPLS as ovs-ofctl writes it: set_mpls_* are set_field, push/pop change
 * what the actions after them may write. */
Test(flow_syntax, mpls_words_and_their_canonical_text)
{
	assert_canonical("dl_type=0x8847,mpls_ttl=9,mpls_label=16,actions=drop",
			 "priority=32768,mpls,mpls_label=16,mpls_ttl=9,actions=drop");
	assert_canonical("dl_src=50:54:00:00:00:09,actions=push_mpls:0x8847,set_mpls_label:789,"
			 "set_mpls_tc:4,set_mpls_ttl:32,2",
			 "priority=32768,dl_src=50:54:00:00:00:09,actions=push_mpls:0x8847,"
			 "set_field:789->mpls_label,set_field:4->mpls_tc,set_field:32->mpls_ttl,"
			 "output:2");
	assert_canonical("mplsm,actions=pop_mpls:0x800,mod_nw_tos:48,set_field:1.2.3.4->ip_dst",
			 "priority=32768,mplsm,actions=pop_mpls:0x0800,set_field:48->nw_tos,"
			 "set_field:1.2.3.4->ip_dst");
	assert_canonical("mpls,actions=load:0x7->OXM_OF_MPLS_LABEL[],move:NXM_NX_MPLS_TTL[]->reg0[0..7]",
			 "priority=32768,mpls,actions=load:0x7->mpls_label[],"
			 "move:mpls_ttl[]->reg0[0..7]");
}

/* What ovs-ofctl accepts and prints for port 0, importance and queues. */
Test(flow_syntax, port_zero_importance_and_queues)
{
	struct sl_flow f;
	char err[256];

	assert_canonical("in_port=0 actions=mod_dl_src:11:22:33:44:55:66,output(0)",
			 "priority=32768,in_port=0,actions=mod_dl_src:11:22:33:44:55:66,output:0");
	assert_canonical("udp dl_vlan_pcp=7 idle_timeout=5 actions=strip_vlan output:0",
			 "idle_timeout=5,priority=32768,udp,dl_vlan_pcp=7,actions=strip_vlan,output:0");
	assert_canonical("priority=22,importance=22,actions=normal",
			 "importance=22,priority=22,actions=NORMAL");
	assert_canonical("actions=enqueue(3,7),set_queue:0",
			 "priority=32768,actions=enqueue:3:7,set_queue:0");
	parse_ok("importance=65535,actions=drop", &f);
	cr_assert_eq(f.importance, 65535);
	parse_ok("actions=enqueue:p2:9", &f);
	cr_assert_eq(f.actions.a[0].type, SL_ACT_ENQUEUE);
	cr_assert_eq(f.actions.a[0].arg, 2);
	cr_assert_eq(sl_action_u32(&f.actions.a[0]), 9);
	cr_assert_neq(parse("importance=65536,actions=drop", &f, err, sizeof(err)), 0);
	cr_assert(strstr(err, "importance") != NULL, "%s", err);
	cr_assert_neq(parse("actions=enqueue:1", &f, err, sizeof(err)), 0);
	cr_assert(strstr(err, "needs PORT:QUEUE") != NULL, "%s", err);
	cr_assert_neq(sl_flow_parse("importance=3", SL_PARSE_MATCH, resolve, (void *)resolve, &f,
				    err, sizeof(err)),
		      0, "importance selects nothing");
	cr_assert_neq(parse("actions=write_actions(pop_queue)", &f, err, sizeof(err)), 0);
	assert_canonical("idle_timeout=60,actions=fin_timeout(idle_timeout=5)",
			 "idle_timeout=60,priority=32768,actions=fin_timeout(idle_timeout=5)");
	parse_ok("actions=fin_timeout(hard_timeout=9,idle_timeout=4)", &f);
	cr_assert_eq(f.actions.a[0].type, SL_ACT_FIN_TIMEOUT);
	cr_assert_eq(f.actions.a[0].arg, 4);
	cr_assert_eq(f.actions.a[0].arg2, 9);
	cr_assert_neq(parse("actions=fin_timeout(idle=4)", &f, err, sizeof(err)), 0);
	cr_assert(strstr(err, "unknown argument \"idle\"") != NULL, "%s", err);
	cr_assert_neq(parse("actions=fin_timeout(idle_timeout=65536)", &f, err, sizeof(err)), 0);
}

/* controller in every spelling OVS accepts, printed as ovs-ofctl 3.1 prints it. */
Test(flow_syntax, controller_spellings_print_as_ovs_ofctl)
{
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
		{ "actions=controller", "CONTROLLER:65535" },
		{ "actions=CONTROLLER", "CONTROLLER:65535" },
		{ "actions=controller()", "CONTROLLER:65535" },
		{ "actions=controller:100", "CONTROLLER:100" },
		{ "actions=controller(max_len=0x10)", "CONTROLLER:16" },
		{ "actions=controller(reason=action,id=0,meter_id=0)", "CONTROLLER:65535" },
		{ "actions=controller(userdata=)", "CONTROLLER:65535" },
		{ "actions=output:CONTROLLER", "CONTROLLER:65535" },
		{ "actions=output:controller", "CONTROLLER:65535" },
		{ "actions=output:65533", "CONTROLLER:65535" },
		{ "actions=output(CONTROLLER)", "CONTROLLER:65535" },
		{ "actions=output(port=CONTROLLER,max_len=100)", "CONTROLLER:100" },
		{ "actions=controller(max_len=100,reason=NO_MATCH)",
		  "controller(reason=no_match,max_len=100)" },
		{ "actions=controller(id=3,userdata=aa,max_len=9,reason=group)",
		  "controller(reason=group,max_len=9,id=3,userdata=aa)" },
		{ "actions=controller(userdata=0102)", "controller(userdata=01.02)" },
		{ "actions=controller(reason=action_set)", "controller(reason=action_set)" },
		{ "actions=write_actions(output(CONTROLLER))", "write_actions(CONTROLLER:65535)" },
	};
	struct sl_flow f;
	char want[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(want, sizeof(want), "priority=32768,actions=%s", cases[i].want);
		assert_canonical(cases[i].text, want);
	}
	parse_ok("actions=controller(reason=invalid_ttl,max_len=64,id=7,userdata=de.ad)", &f);
	cr_assert_eq(f.actions.n, 1);
	cr_assert_eq(f.actions.a[0].type, SL_ACT_CONTROLLER);
	cr_assert_eq(f.actions.a[0].field, SL_PIN_INVALID_TTL);
	cr_assert_eq(f.actions.a[0].arg, 64);
	cr_assert_eq(f.actions.a[0].arg2, 7);
	cr_assert_eq(f.actions.a[0].nbits, 2);
	cr_assert_eq(f.actions.a[0].val[0], 0xde);
	cr_assert_eq(f.actions.a[0].val[1], 0xad);
}

/* Bad controller arguments: what ovs-ofctl refuses, with the word that was wrong. */
Test(flow_syntax, controller_bad_arguments_say_what_is_wrong)
{
	static const struct refusal cases[] = {
		{ "actions=controller(reason=foo)", "unknown reason \"foo\"" },
		{ "actions=controller(max_len=65536)", "max_len: 65536 out of range" },
		{ "actions=controller:65536", "max_len: 65536 out of range" },
		{ "actions=controller(max_len=abc)", "max_len: bad number \"abc\"" },
		{ "actions=controller(id=65536)", "id: 65536 out of range" },
		{ "actions=controller(bogus)", "unknown argument \"bogus\"" },
		{ "actions=controller(bogus=1)", "unknown argument \"bogus\"" },
		{ "actions=controller(userdata=zz)", "userdata: bad hex bytes" },
		{ "actions=controller(userdata=1)", "userdata: bad hex bytes" },
		{ "actions=output(port=CONTROLLER,max_len=x)", "max_len: bad number" },
		{ "actions=controller(,)", "empty argument" },
	};
	EXPECT_REFUSALS(parse, cases);
}

Test(flow_syntax, mpls_fields_land_in_the_label_stack_entry)
{
	struct sl_flow f;

	parse_ok("mpls,mpls_label=0x12345,mpls_tc=5,mpls_bos=1,mpls_ttl=200,actions=drop", &f);
	cr_assert_eq(f.match.key.dl_type, 0x8847);
	cr_assert_eq(ntohl(f.match.key.mpls_lse), 0x12345u << 12 | 5u << 9 | 1u << 8 | 200u);
	cr_assert_eq(f.match.mask.mpls_lse, 0xffffffffu);
	parse_ok("mplsm,mpls_tc=2,actions=drop", &f);
	cr_assert_eq(f.match.key.dl_type, 0x8848);
	cr_assert_eq(ntohl(f.match.mask.mpls_lse), 0x00000e00u);
	parse_ok("actions=push_mpls:0x8848,pop_mpls:0x86dd,dec_mpls_ttl", &f);
	cr_assert_eq(f.actions.n, 3);
	cr_assert_eq(f.actions.a[0].type, SL_ACT_PUSH_MPLS);
	cr_assert_eq(f.actions.a[0].arg, 0x8848);
	cr_assert_eq(f.actions.a[1].type, SL_ACT_POP_MPLS);
	cr_assert_eq(f.actions.a[1].arg, 0x86dd);
	cr_assert_eq(f.actions.a[2].type, SL_ACT_DEC_MPLS_TTL);
}

Test(flow_syntax, mpls_mistakes_are_refused)
{
	static const struct refusal cases[] = {
		{ "mpls_label=5,actions=drop", "mpls_label: missing prerequisite, needs mpls or mplsm" },
		{ "ip,mpls_tc=1,actions=drop", "mpls_tc: missing prerequisite" },
		{ "mpls,mpls_label=0x100000,actions=drop", "mpls_label" },
		{ "mpls,mpls_tc=8,actions=drop", "mpls_tc" },
		{ "mpls,mpls_bos=2,actions=drop", "mpls_bos" },
		{ "mpls,mpls_label=5/0xf,actions=drop", "mpls_label: takes no mask" },
		{ "actions=push_mpls:0x0800", "ethertype 0x0800 is not 0x8847 or 0x8848" },
		{ "actions=pop_mpls", "pop_mpls needs an argument" },
		{ "ip,actions=set_mpls_label:5", "set_field mpls_label: missing prerequisite" },
		{ "mpls,actions=set_mpls_tc:8", "set_mpls_tc" },
		{ "mpls,actions=push_mpls:0x8847,mod_nw_ttl:3", "missing prerequisite" },
		{ "mpls,actions=pop_mpls:0x0800,mod_tp_dst:80", "missing prerequisite" },
		{ "mpls,actions=set_field:1->mpls_bos", "not supported: mpls_bos" },
	};
	EXPECT_REFUSALS(parse, cases);
}

/* Pipeline flows that cannot work are refused when they are added. */
Test(flow_syntax, pipeline_mistakes_are_refused)
{
	static const struct refusal cases[] = {
		{ "table=2,actions=goto_table:2", "goto_table:2 must go to a later table than 2" },
		{ "table=2,actions=goto_table:1", "later table" },
		{ "actions=goto_table:1,output:2", "goto_table must come last" },
		{ "table=1,actions=resubmit(,1)", "resubmit loops" },
		{ "actions=resubmit:3", "resubmit loops" },
		{ "in_port=3,actions=resubmit:3", "resubmit loops" },
		{ "actions=set_field:1.2.3.4->ip_src", "needs ip" },
		{ "ip,actions=mod_tp_src:5", "needs tcp, udp or sctp" },
		{ "actions=load:0x10000->reg0[0..15]", "out of range" },
		{ "actions=move:reg0[0..3]->reg1[0..7]", "source has 4 bits, destination 8" },
		{ "actions=load:1->reg0[40]", "bad bit range" },
		{ "actions=clone(goto_table:1)", "not allowed inside clone()" },
		{ "actions=write_actions(resubmit(,1))", "not allowed inside write_actions()" },
		{ "actions=output(port=1,max_len=0)", "out of range" },
		{ "actions=resubmit(,254)", "out of range" },
		{ "actions=set_field:10->nw_tos", "ECN bits" },
		{ "actions=clone(output:1", "unbalanced" },
		/* Found by fuzz_flow_syntax: taken as resubmit:0, which does not parse. */
		{ "actions=1,dec_ttl,4,resubmit(,)", "needs a port or a table" },
		{ "actions=resubmit(in_port,)", "needs a port or a table" },
	};
	struct sl_flow f;

	EXPECT_REFUSALS(parse, cases);
	/* Something changed before the resubmit, or another in_port: no loop. */
	parse_ok("table=1,actions=load:1->reg0[],resubmit(,1)", &f);
	parse_ok("in_port=3,actions=resubmit:4", &f);
	parse_ok("table=1,actions=resubmit(,2)", &f);
}

/* OVS's wide registers are views of the 32-bit ones; pkt_mark and actset_output are meta. */
Test(flow_syntax, wide_registers_pkt_mark_and_actset_output_land_in_meta)
{
	struct sl_flow f;
	char err[256];

	parse_ok("xreg1=0x1122334455667788/0xffffffff0000ffff,pkt_mark=0x5/0xf,actset_output=7,"
		 "actions=drop",
		 &f);
	cr_assert_eq(f.match.mkey.reg[2], 0x11223344);
	cr_assert_eq(f.match.mkey.reg[3], 0x7788);
	cr_assert_eq(f.match.mmask.reg[2], 0xffffffff);
	cr_assert_eq(f.match.mmask.reg[3], 0x0000ffff);
	cr_assert_eq(f.match.mkey.pkt_mark, 5);
	cr_assert_eq(f.match.mmask.pkt_mark, 0xf);
	cr_assert_eq(f.match.mkey.actset_output, 7);
	cr_assert_eq(f.match.mmask.actset_output, 0xffff);
	parse_ok("xxreg1=0x1,actions=drop", &f);
	cr_assert_eq(f.match.mkey.reg[7], 1);
	cr_assert_eq(f.match.mmask.reg[4], 0xffffffff);
	cr_assert_eq(f.match.mmask.reg[7], 0xffffffff);
	parse_ok("actset_output=unset,actions=drop", &f);
	cr_assert_eq(f.match.mkey.actset_output, 0);
	cr_assert_eq(f.match.mmask.actset_output, 0xffff);
	cr_assert_neq(parse("reg1=1,xreg0=1,actions=drop", &f, err, sizeof(err)), 0);
	cr_assert(strstr(err, "reg1") != NULL, "%s", err);
	cr_assert_neq(parse("xreg0=0x11223344556677889,actions=drop", &f, err, sizeof(err)), 0);
	cr_assert(strstr(err, "64-bit") != NULL, "%s", err);
	parse_ok("actions=note:de.ad.be.ef", &f);
	cr_assert_eq(f.actions.a[0].type, SL_ACT_NOTE);
	cr_assert_eq(f.actions.a[0].arg, 4);
	cr_assert_eq(f.actions.a[0].val[0], 0xde);
	cr_assert_eq(f.actions.a[0].val[3], 0xef);
	{
		/* Printed padded with zeros, as ovs-ofctl prints it. */
		char buf[256];

		sl_actions_format(&f.actions, buf, sizeof(buf));
		cr_assert_str_eq(buf, "note:de.ad.be.ef.00.00");
	}
}

/* What the parsed struct holds for the pipeline words. */
Test(flow_syntax, pipeline_fields_land_where_the_data_plane_reads_them)
{
	struct sl_flow f;

	parse_ok("table=4,reg2=0x10/0x30,metadata=7,actions=resubmit(5,6),goto_table:9", &f);
	cr_assert_eq(f.match.mkey.table, 4);
	cr_assert_eq(f.match.mmask.table, 0xff);
	cr_assert_eq(f.match.mkey.reg[2], 0x10);
	cr_assert_eq(f.match.mmask.reg[2], 0x30);
	cr_assert_eq(f.match.mkey.metadata, 7);
	cr_assert_eq(f.match.mmask.metadata, UINT64_MAX);
	cr_assert_eq(f.actions.n, 2);
	cr_assert_eq(f.actions.a[0].type, SL_ACT_RESUBMIT);
	cr_assert_eq(f.actions.a[0].arg, 6);
	cr_assert_eq(f.actions.a[0].arg2, 5);
	cr_assert_eq(f.actions.a[1].type, SL_ACT_GOTO_TABLE);
	cr_assert_eq(f.actions.a[1].arg, 9);

	parse_ok("ip,actions=clone(mod_nw_dst:1.2.3.4,output:2),load:0x3->reg1[4..5]", &f);
	cr_assert_eq(f.actions.n, 4);
	cr_assert_eq(f.actions.a[0].type, SL_ACT_CLONE);
	cr_assert_eq(f.actions.a[0].arg2, 2, "clone covers the two actions after it");
	cr_assert_eq(f.actions.a[1].type, SL_ACT_SET_FIELD);
	cr_assert_eq(f.actions.a[1].field, SL_FLD_IP_DST);
	cr_assert_eq(sl_action_u64(&f.actions.a[1], 0), 0x01020304);
	cr_assert_eq(f.actions.a[3].type, SL_ACT_LOAD);
	cr_assert_eq(f.actions.a[3].field, SL_FLD_REG0 + 1);
	cr_assert_eq(f.actions.a[3].ofs, 4);
	cr_assert_eq(f.actions.a[3].nbits, 2);

	/* A match for del-flows spans every table unless it names one. */
	cr_assert_eq(sl_flow_parse("in_port=1", SL_PARSE_MATCH, NULL, NULL, &f, NULL, 0), 0);
	cr_assert_eq(f.match.mmask.table, 0);
	cr_assert_eq(sl_flow_parse("table=3", SL_PARSE_MATCH, NULL, NULL, &f, NULL, 0), 0);
	cr_assert_eq(f.match.mmask.table, 0xff);
	cr_assert_eq(f.match.mkey.table, 3);

	/* Printed back (sluiced forwards del-flows matches so), table 0 stays
	 * table 0 rather than becoming every table; a flow leaves it unsaid. */
	{
		char buf[256];
		struct sl_flow g;

		cr_assert_eq(sl_flow_parse("table=0,in_port=1", SL_PARSE_MATCH, NULL, NULL, &f,
					   NULL, 0),
			     0);
		sl_match_format(&f.match, f.priority, buf, sizeof(buf));
		cr_assert_str_eq(buf, "table=0,priority=32768,in_port=1");
		cr_assert_eq(sl_flow_parse(buf, SL_PARSE_MATCH, NULL, NULL, &g, NULL, 0), 0);
		cr_assert(sl_match_equal(&f.match, &g.match));
		cr_assert_eq(sl_flow_parse("in_port=1", SL_PARSE_MATCH, NULL, NULL, &f, NULL, 0), 0);
		sl_match_format(&f.match, f.priority, buf, sizeof(buf));
		cr_assert_str_eq(buf, "priority=32768,in_port=1");
	}
}

/* ---- what the parsed struct holds ---- */

Test(flow_syntax, defaults)
{
	struct sl_flow f;
	struct sl_match zero;

	memset(&zero, 0, sizeof(zero));
	zero.mmask.table = 0xff; /* a rule is in table 0 unless it says otherwise */
	parse_ok("actions=drop", &f);
	cr_assert_eq(f.priority, SL_FLOW_DEFAULT_PRIORITY);
	cr_assert_eq(f.priority, 32768);
	cr_assert_eq(f.cookie, 0);
	cr_assert_eq(f.actions.n, 0);
	cr_assert_arr_eq(&f.match, &zero, sizeof(zero), "no field given: match all");
}

Test(flow_syntax, fields_land_in_key_and_mask)
{
	struct sl_flow f;
	static const uint8_t dst24[4] = { 10, 0, 0, 0 }, mask24[4] = { 255, 255, 255, 0 };

	parse_ok("tcp,in_port=3,dl_vlan=100,nw_dst=10.0.0.9/24,tp_dst=80,actions=output:2", &f);
	cr_assert_eq(f.match.key.in_port, 3);
	cr_assert_eq(f.match.mask.in_port, 0xffff);
	cr_assert_eq(f.match.key.dl_type, 0x0800);
	cr_assert_eq(f.match.key.nw_proto, 6);
	cr_assert_eq(f.match.key.vlan_tci, 100 | SL_VLAN_CFI);
	cr_assert_eq(f.match.mask.vlan_tci, 0x1fff);
	cr_assert_arr_eq(f.match.key.nw_dst, dst24, 4);
	cr_assert_arr_eq(f.match.mask.nw_dst, mask24, 4);
	cr_assert_eq(f.match.key.tp_dst, htons(80));
	cr_assert_eq(f.match.mask.tp_dst, 0xffff);
	cr_assert_eq(f.match.mask.tp_src, 0);
	cr_assert_eq(f.actions.n, 1);
	cr_assert_eq(f.actions.a[0].type, SL_ACT_OUTPUT);
	cr_assert_eq(f.actions.a[0].arg, 2);
}

Test(flow_syntax, dl_vlan_ffff_means_untagged)
{
	struct sl_flow f;

	parse_ok("dl_vlan=0xffff,actions=drop", &f);
	cr_assert_eq(f.match.key.vlan_tci, 0);
	cr_assert_eq(f.match.mask.vlan_tci, 0xffff);
}

Test(flow_syntax, icmp_type_is_tp_src_in_network_order)
{
	struct sl_flow f;

	parse_ok("icmp,icmp_type=8,icmp_code=1,actions=drop", &f);
	cr_assert_eq(f.match.key.tp_src, htons(8));
	cr_assert_eq(f.match.key.tp_dst, htons(1));
}

Test(flow_syntax, action_arguments)
{
	struct sl_flow f;
	static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };

	parse_ok("actions=mod_vlan_vid:10,mod_vlan_pcp:3,push_vlan:0x8100,mod_dl_src:02:00:00:00:00:01,"
		 "output:uplink,normal",
		 &f);
	cr_assert_eq(f.actions.n, 6);
	cr_assert_eq(f.actions.a[0].type, SL_ACT_SET_VLAN_VID);
	cr_assert_eq(f.actions.a[0].arg, 10);
	cr_assert_eq(f.actions.a[1].type, SL_ACT_SET_VLAN_PCP);
	cr_assert_eq(f.actions.a[1].arg, 3);
	cr_assert_eq(f.actions.a[2].type, SL_ACT_PUSH_VLAN);
	cr_assert_eq(f.actions.a[2].arg, 0x8100);
	cr_assert_eq(f.actions.a[3].type, SL_ACT_SET_DL_SRC);
	cr_assert_arr_eq(f.actions.a[3].mac, mac, 6);
	cr_assert_eq(f.actions.a[4].type, SL_ACT_OUTPUT);
	cr_assert_eq(f.actions.a[4].arg, 10);
	cr_assert_eq(f.actions.a[5].type, SL_ACT_NORMAL);
}

Test(flow_syntax, port_names_resolve)
{
	struct sl_flow f;

	char err[128];

	parse_ok("in_port=p2,actions=output:p1,3", &f);
	cr_assert_eq(f.match.key.in_port, 2);
	cr_assert_eq(f.actions.a[0].arg, 1);
	cr_assert_eq(f.actions.a[1].arg, 3);
	/* A bare number is an output port; a bare name would shadow actions. */
	cr_assert_eq(parse("actions=p1", &f, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "unknown action \"p1\""), "%s", err);
}

Test(flow_syntax, names_need_a_resolver)
{
	struct sl_flow f;
	char err[128];

	cr_assert_eq(sl_flow_parse("in_port=p1,actions=drop", SL_PARSE_FLOW, NULL, NULL, &f, err,
				   sizeof(err)),
		     -ENOENT);
	cr_assert_not_null(strstr(err, "unknown port \"p1\""), "%s", err);
	cr_assert_eq(sl_flow_parse("in_port=4,actions=5", SL_PARSE_FLOW, NULL, NULL, &f, err,
				   sizeof(err)),
		     0);
}

Test(flow_syntax, sixteen_actions_fit)
{
	struct sl_flow f;

	parse_ok("actions=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16", &f);
	cr_assert_eq(f.actions.n, SL_MAX_ACTIONS);
	cr_assert_eq(f.actions.a[15].arg, 16);
}

Test(flow_syntax, match_mode_takes_no_actions)
{
	struct sl_flow f;
	char err[128];
	char buf[256];
	struct sl_flow g;

	cr_assert_eq(sl_flow_parse("priority=5,tcp,in_port=p1", SL_PARSE_MATCH, resolve,
				   (void *)resolve, &f, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(f.priority, 5);
	cr_assert_eq(f.match.key.in_port, 1);
	cr_assert_eq(sl_flow_parse("", SL_PARSE_MATCH, NULL, NULL, &g, err, sizeof(err)), 0);
	cr_assert_eq(g.priority, 32768);

	/* sl_match_format prints what SL_PARSE_MATCH reads. */
	sl_match_format(&f.match, f.priority, buf, sizeof(buf));
	cr_assert_str_eq(buf, "priority=5,tcp,in_port=1");
	cr_assert_eq(sl_flow_parse(buf, SL_PARSE_MATCH, NULL, NULL, &g, err, sizeof(err)), 0);
	cr_assert_arr_eq(&f, &g, sizeof(f));

	cr_assert_eq(sl_flow_parse("ip,actions=drop", SL_PARSE_MATCH, NULL, NULL, &f, err,
				   sizeof(err)),
		     -EINVAL);
	cr_assert_not_null(strstr(err, "actions"), "%s", err);
}

/*
 * Found by fuzz_flow_syntax: the cookie was parsed, then dropped by the
 * match, so "del-flows cookie=5" deleted flows of every cookie.  Now a
 * match selects by cookie: cookie=V exactly, cookie=V/MASK on MASK's bits
 * ("/-1" all of them, as ovs-ofctl takes it); and the selector prints
 * back what it selects.
 */
Test(flow_syntax, a_match_selects_by_cookie_and_mask)
{
	struct sl_flow f;
	char err[128], text[256];

	cr_assert_eq(sl_flow_parse("cookie=0x5,priority=7,ip", SL_PARSE_MATCH, NULL, NULL, &f, err,
				   sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(f.cookie, 5);
	cr_assert_eq(f.cookie_mask, UINT64_MAX);
	cr_assert_eq(sl_flow_parse("cookie=0x1234/0xff00", SL_PARSE_MATCH, NULL, NULL, &f, err,
				   sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(f.cookie, 0x1200, "value bits outside the mask are dropped");
	cr_assert_eq(f.cookie_mask, 0xff00);
	sl_selector_format(&f, text, sizeof(text));
	cr_assert_str_eq(text, "cookie=0x1200/0xff00,priority=32768");
	cr_assert_eq(sl_flow_parse("cookie=7/-1,ip", SL_PARSE_MATCH, NULL, NULL, &f, err,
				   sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(f.cookie_mask, UINT64_MAX);
	/* A flow that is added has one cookie: no mask. */
	cr_assert_eq(sl_flow_parse("cookie=0x5/0xf,actions=drop", SL_PARSE_FLOW, NULL, NULL, &f, err,
				   sizeof(err)),
		     -EINVAL);
	cr_assert_not_null(strstr(err, "cookie: a mask selects flows"), "%s", err);
	cr_assert_eq(sl_flow_parse("cookie=0x5,priority=7,ip,actions=drop", SL_PARSE_FLOW, NULL,
				   NULL, &f, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(f.cookie, 5);
	cr_assert_eq(f.cookie_mask, 0);
	/* mod-flows: with a mask it selects, without one it sets. */
	cr_assert_eq(sl_flow_parse("cookie=0x5/0xf,actions=drop", SL_PARSE_MOD, NULL, NULL, &f, err,
				   sizeof(err)),
		     0, "%s", err);
	cr_assert(f.cookie_mask == 0xf && !f.set_cookie);
	cr_assert_eq(sl_flow_parse("cookie=0x5,actions=drop", SL_PARSE_MOD, NULL, NULL, &f, err,
				   sizeof(err)),
		     0, "%s", err);
	cr_assert(f.cookie_mask == 0 && f.set_cookie && f.cookie == 5);
	cr_assert_eq(sl_flow_parse("ip", SL_PARSE_MOD, NULL, NULL, &f, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "missing actions="), "%s", err);
}

/* Found by fuzz_flow_syntax: errors quote the input, line breaks included. */
Test(flow_syntax, error_quoting_a_line_break_is_still_one_line)
{
	static const char *const bad[] = {
		"actions=drop\xf2\x13\r\r\xf2",
		"=5\nfoo,actions=drop",
		"in_port=1,actions=output:1,bo\rgus",
	};
	struct sl_flow f;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_lt(parse(bad[i], &f, err, sizeof(err)), 0, "flow %zu accepted", i);
		cr_assert(err[0] != '\0' && strpbrk(err, "\r\n") == NULL, "flow %zu: \"%s\"", i,
			  err);
	}
}

Test(flow_syntax, format_reports_full_length_when_truncated)
{
	struct sl_flow f;
	char full[256], small[10];
	int n;

	parse_ok("priority=100,ip,in_port=1,nw_dst=10.0.0.0/24,actions=output:2", &f);
	n = sl_flow_format(&f, full, sizeof(full));
	cr_assert_eq(sl_flow_format(&f, small, sizeof(small)), n);
	cr_assert_eq(strlen(small), sizeof(small) - 1);
	cr_assert_eq(strncmp(small, full, sizeof(small) - 1), 0);
	cr_assert_eq(sl_flow_format(&f, NULL, 0), n);
	cr_assert_eq(sl_actions_format(&f.actions, full, sizeof(full)), 8);
	cr_assert_str_eq(full, "output:2");
}

/* ---- rejections ---- */

/*
 * Criterion runs each test in a fresh process, so parameters must not hold
 * pointers into the parent's image: the strings are stored inline.
 */
struct bad_flow {
	char text[96];
	int rc;
	char msg[64]; /* must appear in the error text */
};

static const struct bad_flow bad_flows[] = {
	{ "ip,nw_src=10.0.0.300,actions=drop", -EINVAL,
	  "nw_src: bad IPv4 address \"10.0.0.300\"" },
	{ "ip,nw_src=10.0.0.300/24,actions=drop", -EINVAL,
	  "nw_src: bad IPv4 prefix \"10.0.0.300/24\"" },
	{ "ip,nw_dst=10.0.0.0/33,actions=drop", -EINVAL, "nw_dst: bad IPv4 prefix" },
	{ "foo=1,actions=drop", -EINVAL, "unknown field \"foo\"" },
	{ "in_port=p9,actions=drop", -ENOENT, "unknown port \"p9\"" },
	{ "actions=output:p9", -ENOENT, "unknown port \"p9\"" },
	{ "actions=bogus", -EINVAL, "actions: unknown action \"bogus\"" },
	{ "actions=output:1,bogus:3", -EINVAL, "actions: unknown action \"bogus\"" },
	{ "ip,nw_src=1.2.3.4", -EINVAL, "missing actions=" },
	{ "", -EINVAL, "missing actions=" },
	{ "priority=70000,actions=drop", -ERANGE, "priority: 70000 out of range 0..65535" },
	{ "priority=abc,actions=drop", -EINVAL, "priority: bad number \"abc\"" },
	{ "priority=-1,actions=drop", -EINVAL, "priority: bad number \"-1\"" },
	{ "ip,nw_src=1.1.1.1,nw_src=2.2.2.2,actions=drop", -EINVAL, "duplicate field \"nw_src\"" },
	{ "arp,nw_src=1.1.1.1,arp_spa=2.2.2.2,actions=drop", -EINVAL,
	  "duplicate field \"arp_spa\"" },
	{ "in_port=LOCALE,actions=drop", -ENOENT, "in_port: unknown port \"LOCALE\"" },
	{ "actions=LOCAL:1", -EINVAL, "actions: LOCAL takes no argument" },
	{ "actions=local(2)", -EINVAL, "actions: LOCAL takes no argument" },
	{ "actions=enqueue:LOCAL", -EINVAL, "actions: enqueue: needs PORT:QUEUE" },
	{ "in_port=65535,actions=drop", -ERANGE, "in_port: 65535 out of range" },
	{ "actions=output:65535", -ERANGE, "actions: output: 65535 out of range" },
	{ "in_port=65280,actions=drop", -ERANGE, "in_port: 65280 out of range" },
	{ "table=254,actions=drop", -ERANGE, "table: 254 out of range 0..253" },
	{ "idle_timeout=65536,actions=drop", -ERANGE, "idle_timeout: 65536 out of range 0..65535" },
	{ "hard_timeout=-1,actions=drop", -EINVAL, "hard_timeout: bad number \"-1\"" },
	{ "dl_vlan=4096,actions=drop", -ERANGE, "dl_vlan: 4096 out of range 0..4095" },
	{ "dl_vlan_pcp=8,actions=drop", -ERANGE, "dl_vlan_pcp: 8 out of range" },
	{ "dl_src=00:11:22:33:44,actions=drop", -EINVAL,
	  "dl_src: bad Ethernet address \"00:11:22:33:44\"" },
	{ "dl_dst=00:11:22:33:44:55/ff,actions=drop", -EINVAL,
	  "dl_dst: bad Ethernet address \"00:11:22:33:44:55/ff\"" },
	{ "dl_type=0x10000,actions=drop", -ERANGE, "dl_type: 0x10000 out of range" },
	{ "actions=mod_vlan_vid:5000", -ERANGE, "mod_vlan_vid: 5000 out of range 0..4095" },
	{ "actions=mod_vlan_pcp:9", -ERANGE, "mod_vlan_pcp: 9 out of range 0..7" },
	{ "actions=mod_dl_dst:zz:00:00:00:00:00", -EINVAL,
	  "mod_dl_dst: bad Ethernet address \"zz:00:00:00:00:00\"" },
	{ "actions=drop,output:1", -EINVAL, "\"drop\" must be the only action" },
	{ "actions=output:1,drop", -EINVAL, "\"drop\" must be the only action" },
	{ "actions=output:1,,output:2", -EINVAL, "empty action" },
	{ "actions=output:1,", -EINVAL, "empty action" },
	{ "actions=push_vlan:0x9100", -EINVAL, "push_vlan: TPID 0x9100" },
	{ "actions=normal:1", -EINVAL, "normal takes no argument" },
	{ "actions=output", -EINVAL, "output needs an argument" },
	{ "actions=output:65280", -ERANGE, "output: 65280 out of range" },
	{ "actions=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17", -E2BIG, "more than 16 actions" },
	{ "tcp,udp,actions=drop", -EINVAL, "udp: conflicts with nw_proto=6" },
	{ "ip,dl_type=0x86dd,actions=drop", -EINVAL, "dl_type: conflicts with dl_type=0x0800" },
	{ "dl_vlan=5,vlan_tci=0x1005,actions=drop", -EINVAL, "vlan_tci: conflicts with dl_vlan" },
	{ "vlan_tci=0x1005,dl_vlan_pcp=1,actions=drop", -EINVAL,
	  "dl_vlan_pcp: conflicts with vlan_tci" },
	{ "dl_vlan=0xffff,dl_vlan_pcp=3,actions=drop", -EINVAL, "dl_vlan_pcp: conflicts" },
	{ "dl_vlan_pcp=3,dl_vlan=0xffff,actions=drop", -EINVAL, "dl_vlan: 0xffff" },
	{ "ip,nw_tos=3,actions=drop", -EINVAL, "nw_tos: 3 has ECN bits set" },
	{ "ipv6,ipv6_src=2001:db8::zz,actions=drop", -EINVAL,
	  "ipv6_src: bad IPv6 address \"2001:db8::zz\"" },
	{ "ipv6,ipv6_dst=::1/129,actions=drop", -EINVAL, "ipv6_dst: bad IPv6 prefix \"::1/129\"" },
	{ "ip=1,actions=drop", -EINVAL, "ip: takes no value" },
	{ "ip,nw_src,actions=drop", -EINVAL, "nw_src: missing value" },
	{ "=5,actions=drop", -EINVAL, "bad syntax near \"=5" },
	{ "tcp,tp_dst=65536,actions=drop", -ERANGE, "tp_dst: 65536 out of range" },
	{ "icmp,icmp_type=256,actions=drop", -ERANGE, "icmp_type: 256 out of range" },
};

ParameterizedTestParameters(flow_syntax, bad_flow_is_rejected_with_named_part)
{
	return cr_make_param_array(struct bad_flow, bad_flows,
				   sizeof(bad_flows) / sizeof(bad_flows[0]));
}

ParameterizedTest(const struct bad_flow *bad, flow_syntax, bad_flow_is_rejected_with_named_part)
{
	struct sl_flow f;
	char err[256] = "";
	int rc = parse(bad->text, &f, err, sizeof(err));

	cr_assert_eq(rc, bad->rc, "\"%s\": rc %d, want %d (%s)", bad->text, rc, bad->rc, err);
	cr_assert_not_null(strstr(err, bad->msg), "\"%s\": message \"%s\" lacks \"%s\"", bad->text,
			   err, bad->msg);
	cr_assert_null(strchr(err, '\n'), "one line");
}

/* ---- prerequisites ---- */

static const struct bad_flow missing_prereqs[] = {
	{ "nw_src=10.0.0.1,actions=drop", -EINVAL, "nw_src: missing prerequisite" },
	{ "nw_dst=10.0.0.1,dl_type=0x88cc,actions=drop", -EINVAL, "nw_dst: missing prerequisite" },
	{ "ipv6,nw_src=1.2.3.4,actions=drop", -EINVAL, "nw_src: missing prerequisite" },
	{ "tp_dst=80,actions=drop", -EINVAL, "tp_dst: missing prerequisite" },
	{ "ip,tp_dst=80,actions=drop", -EINVAL, "tp_dst: missing prerequisite, needs tcp" },
	{ "icmp,tp_src=1,actions=drop", -EINVAL, "tp_src: missing prerequisite" },
	{ "icmp_type=8,tcp,actions=drop", -EINVAL, "icmp_type: missing prerequisite" },
	{ "ipv6,nw_proto=1,icmp_type=8,actions=drop", -EINVAL, "icmp_type: missing prerequisite" },
	{ "ip,ipv6_src=::1,actions=drop", -EINVAL, "ipv6_src: missing prerequisite, needs ipv6" },
	{ "arp,nw_tos=4,actions=drop", -EINVAL, "nw_tos: missing prerequisite" },
	{ "nw_ttl=4,actions=drop", -EINVAL, "nw_ttl: missing prerequisite" },
	{ "ip,arp_op=1,actions=drop", -EINVAL, "arp_op: missing prerequisite, needs arp" },
	{ "ip,arp_tpa=1.2.3.4,actions=drop", -EINVAL, "arp_tpa: missing prerequisite" },
	{ "nw_proto=6,tp_dst=80,actions=drop", -EINVAL, "nw_proto: missing prerequisite" },
};

ParameterizedTestParameters(flow_syntax, missing_prerequisite_is_an_error)
{
	return cr_make_param_array(struct bad_flow, missing_prereqs,
				   sizeof(missing_prereqs) / sizeof(missing_prereqs[0]));
}

ParameterizedTest(const struct bad_flow *bad, flow_syntax, missing_prerequisite_is_an_error)
{
	struct sl_flow f;
	char err[256] = "";
	int rc = parse(bad->text, &f, err, sizeof(err));

	cr_assert_eq(rc, bad->rc, "\"%s\": rc %d (%s)", bad->text, rc, err);
	cr_assert_not_null(strstr(err, bad->msg), "\"%s\": message \"%s\" lacks \"%s\"", bad->text,
			   err, bad->msg);
}

Test(flow_syntax, prerequisites_met_in_any_order)
{
	struct sl_flow f;

	parse_ok("tp_dst=80,nw_proto=6,dl_type=0x0800,actions=drop", &f);
	parse_ok("icmp_type=3,icmp6,actions=drop", &f);
	parse_ok("arp_op=2,arp_tpa=1.2.3.4,arp,actions=drop", &f);
}

Test(flow_syntax, err_may_be_null_or_tiny)
{
	struct sl_flow f;
	char err[8];

	cr_assert_eq(sl_flow_parse("foo,actions=drop", SL_PARSE_FLOW, NULL, NULL, &f, NULL, 0),
		     -EINVAL);
	cr_assert_eq(sl_flow_parse("foo,actions=drop", SL_PARSE_FLOW, NULL, NULL, &f, err,
				   sizeof(err)),
		     -EINVAL);
	cr_assert_eq(strlen(err), sizeof(err) - 1);
}

/* sl_parse_u64, which every number of a flow goes through (its short-decimal path included). */
Test(flow_syntax, numbers_parse_in_decimal_and_hex_and_refuse_the_rest)
{
	uint64_t v = 0;

	cr_assert_eq(sl_parse_u64("0", 0, 10, &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(sl_parse_u64("010", 0, 100, &v), 0);
	cr_assert_eq(v, 10, "a leading zero is not octal");
	cr_assert_eq(sl_parse_u64("0x1F", 0, 100, &v), 0);
	cr_assert_eq(v, 31);
	cr_assert_eq(sl_parse_u64("65535", 0, 65535, &v), 0);
	cr_assert_eq(v, 65535);
	cr_assert_eq(sl_parse_u64("65536", 0, 65535, &v), -ERANGE);
	cr_assert_eq(sl_parse_u64("5", 6, 9, &v), -ERANGE);
	cr_assert_eq(sl_parse_u64("9999999999999999999", 0, UINT64_MAX, &v), 0);
	cr_assert_eq(v, 9999999999999999999ull);
	cr_assert_eq(sl_parse_u64("18446744073709551615", 0, UINT64_MAX, &v), 0);
	cr_assert_eq(v, UINT64_MAX);
	cr_assert_eq(sl_parse_u64("18446744073709551616", 0, UINT64_MAX, &v), -ERANGE);
	cr_assert_eq(sl_parse_u64("12a", 0, 100, &v), -EINVAL);
	cr_assert_eq(sl_parse_u64("", 0, 100, &v), -EINVAL);
	cr_assert_eq(sl_parse_u64("-1", 0, 100, &v), -EINVAL);
	cr_assert_eq(sl_parse_u64("1 ", 0, 100, &v), -EINVAL);
}
