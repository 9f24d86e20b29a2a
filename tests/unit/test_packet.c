/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sl_parse() on hand-built frames.  Every frame is parsed from a heap
 * buffer of exactly its length, so under -fsanitize=address any read past
 * the end is caught.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "flow_syntax.h"
#include "packet.h"

/* A frame under construction. */
struct frame {
	uint8_t b[256];
	uint32_t len;
};

static const uint8_t mac_dst[6] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 };
static const uint8_t mac_src[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };
static const uint8_t ip6_src[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x01 };
static const uint8_t ip6_dst[16] = { 0x20, 0x01, 0x0d, 0xb8, [14] = 0xab, [15] = 0x02 };

static void
put8(struct frame *f, uint8_t v)
{
	f->b[f->len++] = v;
}

static void
put16(struct frame *f, uint16_t v)
{
	put8(f, (uint8_t)(v >> 8));
	put8(f, (uint8_t)v);
}

static void
putn(struct frame *f, const void *p, uint32_t n)
{
	memcpy(f->b + f->len, p, n);
	f->len += n;
}

static void
put_zero(struct frame *f, uint32_t n)
{
	memset(f->b + f->len, 0, n);
	f->len += n;
}

/* Ethernet header up to (not including) the ethertype. */
static void
put_macs(struct frame *f)
{
	putn(f, mac_dst, 6);
	putn(f, mac_src, 6);
}

static void
put_vlan(struct frame *f, uint16_t tpid, uint16_t tci)
{
	put16(f, tpid);
	put16(f, tci);
}

/* IPv4 header with @opt_words 32-bit words of options (NOP filled). */
static void
put_ipv4(struct frame *f, uint8_t proto, uint32_t opt_words, uint16_t frag, uint16_t payload)
{
	uint32_t hlen = 20 + opt_words * 4;

	put8(f, (uint8_t)(0x40 | (hlen / 4)));
	put8(f, 0xb8);                        /* DSCP EF */
	put16(f, (uint16_t)(hlen + payload)); /* total length */
	put16(f, 0x1234);                     /* id */
	put16(f, frag);
	put8(f, 64); /* ttl */
	put8(f, proto);
	put16(f, 0); /* checksum */
	put8(f, 10), put8(f, 0), put8(f, 0), put8(f, 1);
	put8(f, 192), put8(f, 168), put8(f, 1), put8(f, 2);
	memset(f->b + f->len, 1, opt_words * 4);
	f->len += opt_words * 4;
}

static void
put_ipv6(struct frame *f, uint8_t nh, uint16_t payload)
{
	put8(f, 0x6a); /* version 6, traffic class 0xa5, flow label 0x12345 */
	put8(f, 0x51);
	put16(f, 0x2345);
	put16(f, payload);
	put8(f, nh);
	put8(f, 33); /* hop limit */
	putn(f, ip6_src, 16);
	putn(f, ip6_dst, 16);
}

static void
put_tcp(struct frame *f, uint16_t sport, uint16_t dport)
{
	put16(f, sport);
	put16(f, dport);
	put_zero(f, 8);     /* seq, ack */
	put16(f, 0x5002);   /* doff 5, SYN */
	put_zero(f, 6);     /* window, csum, urg */
}

static void
put_udp(struct frame *f, uint16_t sport, uint16_t dport, uint16_t payload)
{
	put16(f, sport);
	put16(f, dport);
	put16(f, (uint16_t)(8 + payload));
	put16(f, 0);
	put_zero(f, payload);
}

/* Parse the first @len bytes of @f from a heap copy of exactly @len bytes. */
static int
parse_len(const struct frame *f, uint32_t len, struct sl_flow_key *key, struct sl_layers *l)
{
	uint8_t *buf = malloc(len ? len : 1);
	int rc;

	cr_assert_not_null(buf);
	memcpy(buf, f->b, len);
	rc = sl_parse(len ? buf : buf + 1, len, 7, key, l);
	free(buf);
	return rc;
}

static int
parse(const struct frame *f, struct sl_flow_key *key, struct sl_layers *l)
{
	return parse_len(f, f->len, key, l);
}

/* Whether the flow @text (add-flow syntax) matches @key. */
static bool
matches(const char *text, const struct sl_flow_key *key)
{
	struct sl_flow f;
	char err[256];

	cr_assert_eq(sl_flow_parse(text, SL_PARSE_FLOW, NULL, NULL, &f, err, sizeof(err)), 0,
		     "%s: %s", text, err);
	return sl_match_matches(&f.match, key);
}

static const uint8_t *
v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	static uint8_t ip[4];

	ip[0] = a, ip[1] = b, ip[2] = c, ip[3] = d;
	return ip;
}

static void
assert_common_l2(const struct sl_flow_key *k)
{
	static const uint8_t zero[6];

	cr_assert_eq(k->in_port, 7);
	cr_assert_arr_eq(k->dl_dst, mac_dst, 6);
	cr_assert_arr_eq(k->dl_src, mac_src, 6);
	cr_assert_arr_eq(k->pad, zero, sizeof(k->pad));
}

Test(packet, udp_ipv4_fills_every_field)
{
	struct frame f = { .len = 0 };
	struct sl_flow_key k;
	struct sl_layers l;
	static const uint8_t zero[12];

	put_macs(&f);
	put16(&f, 0x0800);
	put_ipv4(&f, 17, 0, 0x4000 /* DF */, 8 + 4);
	put_udp(&f, 1234, 53, 4);

	cr_assert_eq(parse(&f, &k, &l), 0);
	assert_common_l2(&k);
	cr_assert_eq(k.dl_type, 0x0800);
	cr_assert_eq(k.vlan_tci, 0);
	cr_assert_eq(k.nw_proto, 17);
	cr_assert_eq(k.nw_tos, 0xb8);
	cr_assert_eq(k.nw_ttl, 64);
	cr_assert_eq(k.nw_frag, 0, "DF alone is not a fragment");
	cr_assert_arr_eq(k.nw_src, v4(10, 0, 0, 1), 4);
	cr_assert_arr_eq(k.nw_dst, v4(192, 168, 1, 2), 4);
	cr_assert_arr_eq(k.nw_src + 4, zero, 12);
	cr_assert_eq(k.tp_src, htons(1234));
	cr_assert_eq(k.tp_dst, htons(53));
	cr_assert_eq(l.l3_ofs, 14);
	cr_assert_eq(l.l4_ofs, 34);
}

Test(packet, tcp_ipv4_with_options_respects_ihl)
{
	struct frame f = { .len = 0 };
	struct sl_flow_key k;
	struct sl_layers l;

	put_macs(&f);
	put16(&f, 0x0800);
	put_ipv4(&f, 6, 2, 0, 20);
	put_tcp(&f, 40000, 80);

	cr_assert_eq(parse(&f, &k, &l), 0);
	cr_assert_eq(k.nw_proto, 6);
	cr_assert_eq(l.l4_ofs, 14 + 28);
	cr_assert_eq(k.tp_src, htons(40000));
	cr_assert_eq(k.tp_dst, htons(80));
}

Test(packet, vlan_tag_sets_tci_with_cfi)
{
	struct frame f = { .len = 0 };
	struct sl_flow_key k;
	struct sl_layers l;

	put_macs(&f);
	put_vlan(&f, 0x8100, (5 << 13) | 100);
	put16(&f, 0x0800);
	put_ipv4(&f, 6, 0, 0, 20);
	put_tcp(&f, 1, 2);

	cr_assert_eq(parse(&f, &k, &l), 0);
	assert_common_l2(&k);
	cr_assert_eq(k.vlan_tci, (5 << 13) | 100 | SL_VLAN_CFI);
	cr_assert_eq(k.dl_type, 0x0800);
	cr_assert_eq(l.l3_ofs, 18);
	cr_assert_eq(l.l4_ofs, 38);
	cr_assert_eq(k.tp_dst, htons(2));
}

Test(packet, vlan_id_zero_priority_tag_is_still_tagged)
{
	struct frame f = { .len = 0 };
	struct sl_flow_key k;
	struct sl_layers l;

	put_macs(&f);
	put_vlan(&f, 0x8100, 0);
	put16(&f, 0x0806);
	put_zero(&f, 28);

	cr_assert_eq(parse(&f, &k, &l), 0);
	cr_assert_eq(k.vlan_tci, SL_VLAN_CFI);
	cr_assert_eq(k.dl_type, 0x0806);
}

Test(packet, qinq_takes_outer_tag_and_inner_ethertype)
{
	struct frame f = { .len = 0 };
	struct sl_flow_key k;
	struct sl_layers l;

	put_macs(&f);
	put_vlan(&f, 0x88a8, (3 << 13) | 10);
	put_vlan(&f, 0x8100, 20);
	put16(&f, 0x86dd);
	put_ipv6(&f, 17, 8);
	put_udp(&f, 5000, 6000, 0);

	cr_assert_eq(parse(&f, &k, &l), 0);
	cr_assert_eq(k.vlan_tci, (3 << 13) | 10 | SL_VLAN_CFI);
	cr_assert_eq(k.dl_type, 0x86dd);
	cr_assert_eq(l.l3_ofs, 22);
	cr_assert_eq(k.nw_proto, 17);
	cr_assert_eq(k.tp_src, htons(5000));
	cr_assert_eq(l.l4_ofs, 62);
}

Test(packet, arp_request_gives_opcode_and_protocol_addresses)
{
	struct frame f = { .len = 0 };
	struct sl_flow_key k;
	struct sl_layers l;

	put_macs(&f);
	put16(&f, 0x0806);
	put16(&f, 1);      /* Ethernet */
	put16(&f, 0x0800); /* IPv4 */
	put8(&f, 6);
	put8(&f, 4);
	put16(&f, 1); /* request */
	putn(&f, mac_src, 6);
	putn(&f, v4(10, 1, 1, 1), 4);
	put_zero(&f, 6);
	putn(&f, v4(10, 1, 1, 254), 4);
	put_zero(&f, 18); /* Ethernet padding to 60 bytes */

	cr_assert_eq(parse(&f, &k, &l), 0);
	assert_common_l2(&k);
	cr_assert_eq(k.dl_type, 0x0806);
	cr_assert_eq(k.nw_proto, 1);
	cr_assert_arr_eq(k.nw_src, v4(10, 1, 1, 1), 4);
	cr_assert_arr_eq(k.nw_dst, v4(10, 1, 1, 254), 4);
	cr_assert_arr_eq(k.nw_src + 4, mac_src, 6, "arp_sha after arp_spa");
	cr_assert(k.nw_dst[4] == 0 && k.nw_dst[9] == 0, "arp_tha (zero in a request)");
	cr_assert_eq(k.tp_src, 0);
	cr_assert_eq(l.l3_ofs, 14);
	cr_assert_eq(l.l4_ofs, 0);
	/* What a flow says about them is what it matches. */
	cr_assert(matches("arp,arp_sha=02:aa:bb:cc:dd:ee,arp_spa=10.1.1.1,actions=drop", &k));
	cr_assert(matches("arp,arp_tha=00:00:00:00:00:00,arp_op=1,actions=drop", &k));
	cr_assert(matches("arp,arp_sha=02:aa:bb:00:00:00/ff:ff:ff:00:00:00,actions=drop", &k));
	cr_assert(!matches("arp,arp_sha=02:aa:bb:cc:dd:ef,actions=drop", &k));
	cr_assert(!matches("arp,arp_tha=02:aa:bb:cc:dd:ee,actions=drop", &k));
}

Test(packet, arp_with_wrong_address_sizes_leaves_l3_zero)
{
	struct frame f = { .len = 0 };
	struct sl_flow_key k;
	struct sl_layers l;
	static const uint8_t zero[4];

	put_macs(&f);
	put16(&f, 0x0806);
	put16(&f, 1);
	put16(&f, 0x0800);
	put8(&f, 8); /* not a MAC length */
	put8(&f, 4);
	put16(&f, 2);
	put_zero(&f, 20);

	cr_assert_eq(parse(&f, &k, &l), 0);
	cr_assert_eq(k.dl_type, 0x0806);
	cr_assert_eq(k.nw_proto, 0);
	cr_assert_arr_eq(k.nw_src, zero, 4);
}

Test(packet, icmp_echo_type_and_code_in_ports)
{
	struct frame f = { .len = 0 };
	struct sl_flow_key k;
	struct sl_layers l;

	put_macs(&f);
	put16(&f, 0x0800);
	put_ipv4(&f, 1, 0, 0, 8);
	put8(&f, 8); /* echo request */
	put8(&f, 0);
	put_zero(&f, 6);

	cr_assert_eq(parse(&f, &k, &l), 0);
	cr_assert_eq(k.nw_proto, 1);
	cr_assert_eq(k.tp_src, htons(8));
	cr_assert_eq(k.tp_dst, htons(0));
	cr_assert_eq(l.l4_ofs, 34);
}

Test(packet, ipv6_tcp)
{
	struct frame f = { .len = 0 };
	struct sl_flow_key k;
	struct sl_layers l;

	put_macs(&f);
	put16(&f, 0x86dd);
	put_ipv6(&f, 6, 20);
	put_tcp(&f, 443, 51000);

	cr_assert_eq(parse(&f, &k, &l), 0);
	assert_common_l2(&k);
	cr_assert_eq(k.dl_type, 0x86dd);
	cr_assert_arr_eq(k.nw_src, ip6_src, 16);
	cr_assert_arr_eq(k.nw_dst, ip6_dst, 16);
	cr_assert_eq(k.nw_tos, 0xa5);
	cr_assert_eq(k.nw_ttl, 33);
	cr_assert_eq(k.nw_proto, 6);
	cr_assert_eq(k.nw_frag, 0);
	cr_assert_eq(k.tp_src, htons(443));
	cr_assert_eq(k.tp_dst, htons(51000));
	cr_assert_eq(k.ipv6_label, htonl(0x12345));
	cr_assert_eq(l.l3_ofs, 14);
	cr_assert_eq(l.l4_ofs, 54);
	cr_assert(matches("tcp6,ipv6_label=0x12345,actions=drop", &k));
	cr_assert(matches("ipv6,ipv6_label=0x00005/0x0000f,actions=drop", &k));
	cr_assert(!matches("ipv6,ipv6_label=0x12346,actions=drop", &k));
}

Test(packet, ipv6_hop_by_hop_header_is_skipped)
{
	struct frame f = { .len = 0 };
	struct sl_flow_key k;
	struct sl_layers l;

	put_macs(&f);
	put16(&f, 0x86dd);
	put_ipv6(&f, 0 /* hop-by-hop */, 16 + 8);
	put8(&f, 60); /* next: destination options */
	put8(&f, 0);  /* 8 bytes */
	put_zero(&f, 6);
	put8(&f, 17); /* next: UDP */
	put8(&f, 0);
	put_zero(&f, 6);
	put_udp(&f, 546, 547, 0);

	cr_assert_eq(parse(&f, &k, &l), 0);
	cr_assert_eq(k.nw_proto, 17);
	cr_assert_eq(k.tp_src, htons(546));
	cr_assert_eq(k.tp_dst, htons(547));
	cr_assert_eq(l.l4_ofs, 14 + 40 + 16);
}

Test(packet, ipv6_icmp6_type_code)
{
	struct frame f = { .len = 0 };
	struct sl_flow_key k;
	struct sl_layers l;

	put_macs(&f);
	put16(&f, 0x86dd);
	put_ipv6(&f, 58, 8);
	put8(&f, 135); /* neighbour solicitation */
	put8(&f, 0);
	put_zero(&f, 6);

	cr_assert_eq(parse(&f, &k, &l), 0);
	cr_assert_eq(k.nw_proto, 58);
	cr_assert_eq(k.tp_src, htons(135));
	cr_assert_eq(k.tp_dst, 0);
}

Test(packet, ipv6_fragment_header_sets_frag_bits)
{
	struct frame f = { .len = 0 };
	struct sl_flow_key k;
	struct sl_layers l;

	put_macs(&f);
	put16(&f, 0x86dd);
	put_ipv6(&f, 44, 8 + 8);
	put8(&f, 17);
	put8(&f, 0);
	put16(&f, 0x0001); /* offset 0, more fragments */
	put_zero(&f, 4);
	put_udp(&f, 7, 9, 0);

	cr_assert_eq(parse(&f, &k, &l), 0);
	cr_assert_eq(k.nw_frag, SL_FRAG_ANY);
	cr_assert_eq(k.nw_proto, 17);
	cr_assert_eq(k.tp_dst, htons(9));

	f.b[14 + 40 + 2] = 0x01; /* offset 32 bytes: a later fragment */
	cr_assert_eq(parse(&f, &k, &l), 0);
	cr_assert_eq(k.nw_frag, SL_FRAG_ANY | SL_FRAG_LATER);
	cr_assert_eq(k.nw_proto, 17);
	cr_assert_eq(k.tp_dst, 0);
	cr_assert_eq(l.l4_ofs, 0);
}

Test(packet, ipv6_truncated_extension_header_leaves_proto_zero)
{
	struct frame f = { .len = 0 };
	struct sl_flow_key k;
	struct sl_layers l;

	put_macs(&f);
	put16(&f, 0x86dd);
	put_ipv6(&f, 0, 16);
	put8(&f, 6);
	put8(&f, 1); /* claims 16 bytes, only 8 follow */
	put_zero(&f, 6);

	cr_assert_eq(parse(&f, &k, &l), 0);
	cr_assert_arr_eq(k.nw_src, ip6_src, 16);
	cr_assert_eq(k.nw_proto, 0);
	cr_assert_eq(l.l4_ofs, 0);
}

Test(packet, ipv4_first_fragment_keeps_ports)
{
	struct frame f = { .len = 0 };
	struct sl_flow_key k;
	struct sl_layers l;

	put_macs(&f);
	put16(&f, 0x0800);
	put_ipv4(&f, 17, 0, 0x2000 /* MF, offset 0 */, 8 + 32);
	put_udp(&f, 1111, 2222, 32);

	cr_assert_eq(parse(&f, &k, &l), 0);
	cr_assert_eq(k.nw_frag, SL_FRAG_ANY);
	cr_assert_eq(k.tp_src, htons(1111));
	cr_assert_eq(l.l4_ofs, 34);
}

Test(packet, ipv4_later_fragment_has_no_l4)
{
	struct frame f = { .len = 0 };
	struct sl_flow_key k;
	struct sl_layers l;

	put_macs(&f);
	put16(&f, 0x0800);
	put_ipv4(&f, 17, 0, 185 /* offset 1480, last fragment */, 40);
	put_udp(&f, 1111, 2222, 32); /* payload bytes that merely look like UDP */

	cr_assert_eq(parse(&f, &k, &l), 0);
	cr_assert_eq(k.nw_frag, SL_FRAG_ANY | SL_FRAG_LATER);
	cr_assert_eq(k.nw_proto, 17);
	cr_assert_arr_eq(k.nw_dst, v4(192, 168, 1, 2), 4);
	cr_assert_eq(k.tp_src, 0);
	cr_assert_eq(k.tp_dst, 0);
	cr_assert_eq(l.l4_ofs, 0);
}

Test(packet, ipv4_total_length_trims_ethernet_padding)
{
	struct frame f = { .len = 0 };
	struct sl_flow_key k;
	struct sl_layers l;

	/* An IPv4 packet whose total length ends before the UDP header: the
	 * bytes after it are padding and must not be read as ports. */
	put_macs(&f);
	put16(&f, 0x0800);
	put_ipv4(&f, 17, 0, 0, 0);
	put_udp(&f, 1, 2, 18);

	cr_assert_eq(parse(&f, &k, &l), 0);
	cr_assert_eq(k.nw_proto, 17);
	cr_assert_eq(k.tp_src, 0);
	cr_assert_eq(l.l4_ofs, 0);
}

Test(packet, ipv4_header_with_wrong_version_is_not_parsed)
{
	struct frame f = { .len = 0 };
	struct sl_flow_key k;
	struct sl_layers l;

	put_macs(&f);
	put16(&f, 0x0800);
	put_ipv4(&f, 6, 0, 0, 20);
	put_tcp(&f, 1, 2);
	f.b[14] = 0x65;

	cr_assert_eq(parse(&f, &k, &l), 0);
	cr_assert_eq(k.dl_type, 0x0800);
	cr_assert_eq(k.nw_proto, 0);
	cr_assert_eq(k.nw_ttl, 0);
	cr_assert_eq(l.l3_ofs, 14);
	cr_assert_eq(l.l4_ofs, 0);
}

Test(packet, ieee_802_3_frame_is_dl_type_05ff)
{
	struct frame f = { .len = 0 };
	struct sl_flow_key k;
	struct sl_layers l;

	put_macs(&f);
	put16(&f, 38); /* length */
	put8(&f, 0x42); /* STP LLC */
	put8(&f, 0x42);
	put8(&f, 0x03);
	put_zero(&f, 35);

	cr_assert_eq(parse(&f, &k, &l), 0);
	assert_common_l2(&k);
	cr_assert_eq(k.dl_type, 0x05ff);
	cr_assert_eq(l.l3_ofs, 14);
	cr_assert_eq(k.nw_proto, 0);
}

Test(packet, llc_snap_with_zero_oui_carries_ethertype)
{
	struct frame f = { .len = 0 };
	struct sl_flow_key k;
	struct sl_layers l;

	put_macs(&f);
	put16(&f, 8 + 20 + 8);
	put8(&f, 0xaa);
	put8(&f, 0xaa);
	put8(&f, 0x03);
	put_zero(&f, 3);
	put16(&f, 0x0800);
	put_ipv4(&f, 17, 0, 0, 8);
	put_udp(&f, 10, 20, 0);

	cr_assert_eq(parse(&f, &k, &l), 0);
	cr_assert_eq(k.dl_type, 0x0800);
	cr_assert_eq(l.l3_ofs, 22);
	cr_assert_eq(k.tp_dst, htons(20));
}

Test(packet, runt_frame_returns_einval_with_zero_key)
{
	struct frame f = { .len = 0 };
	struct sl_flow_key k, zero;
	struct sl_layers l;

	put_macs(&f);
	put8(&f, 0x08);
	memset(&zero, 0, sizeof(zero));
	zero.in_port = 7;

	cr_assert_eq(parse(&f, &k, &l), -EINVAL);
	cr_assert_arr_eq(&k, &zero, sizeof(k));
	cr_assert_eq(l.l3_ofs, 0);
	cr_assert_eq(l.l4_ofs, 0);
}

Test(packet, layers_may_be_null)
{
	struct frame f = { .len = 0 };
	struct sl_flow_key k;

	put_macs(&f);
	put16(&f, 0x0800);
	put_ipv4(&f, 6, 0, 0, 20);
	put_tcp(&f, 1, 2);
	cr_assert_eq(sl_parse(f.b, f.len, 1, &k, NULL), 0);
	cr_assert_eq(k.tp_dst, htons(2));
}

/*
 * Every prefix of a VLAN + IPv4(options) + TCP frame: a layer's fields
 * appear exactly when the whole fixed header of that layer fits.
 */
Test(packet, every_truncation_of_vlan_ipv4_tcp)
{
	struct frame f = { .len = 0 };
	struct sl_flow_key full, k, want;
	struct sl_layers l;
	const uint32_t l3 = 18, l4 = 18 + 24, end = 18 + 24 + 20;
	uint32_t len;

	put_macs(&f);
	put_vlan(&f, 0x8100, 42);
	put16(&f, 0x0800);
	put_ipv4(&f, 6, 1, 0, 20);
	put_tcp(&f, 8080, 9090);
	cr_assert_eq(f.len, end);
	cr_assert_eq(parse(&f, &full, &l), 0);
	cr_assert_eq(l.l4_ofs, l4);

	for (len = 0; len <= end; len++) {
		int rc = parse_len(&f, len, &k, &l);

		want = full;
		if (len < l4 + 20) {
			want.tp_src = want.tp_dst = 0;
		}
		if (len < l4) { /* IP header including options */
			want.nw_proto = want.nw_tos = want.nw_ttl = 0;
			memset(want.nw_src, 0, sizeof(want.nw_src));
			memset(want.nw_dst, 0, sizeof(want.nw_dst));
		}
		if (len < l3) /* tag plus inner ethertype */
			want.vlan_tci = want.dl_type = 0;
		if (len < 14) {
			memset(want.dl_src, 0, 6);
			memset(want.dl_dst, 0, 6);
		}
		cr_assert_eq(rc, len < 14 ? -EINVAL : 0, "len %u", len);
		cr_assert_arr_eq(&k, &want, sizeof(k), "key differs at len %u", len);
		cr_assert_eq(l.l3_ofs, len < l3 ? 0 : l3, "len %u", len);
		cr_assert_eq(l.l4_ofs, len < l4 + 20 ? 0 : l4, "len %u", len);
	}
}

/*
 * Found by fuzz_packet: a QinQ frame cut inside its inner tag kept the
 * outer tag's TCI with no ethertype, unlike a frame cut in a single tag.
 */
Test(packet, qinq_cut_inside_the_inner_tag_has_no_vlan_either)
{
	struct frame f = { .len = 0 };
	struct sl_flow_key k;
	struct sl_layers l;

	put_macs(&f);
	put_vlan(&f, 0x88a8, (3 << 13) | 10);
	put_vlan(&f, 0x8100, 20);
	put16(&f, 0x86dd);
	for (uint32_t len = 14; len < 22; len++) {
		cr_assert_eq(parse_len(&f, len, &k, &l), 0);
		cr_assert_eq(k.dl_type, 0, "len %u", len);
		cr_assert_eq(k.vlan_tci, 0, "len %u: TCI %#x without an ethertype", len, k.vlan_tci);
		cr_assert_eq(l.l3_ofs, 0, "len %u", len);
	}
	cr_assert_eq(parse_len(&f, 22, &k, &l), 0);
	cr_assert_eq(k.vlan_tci, (3 << 13) | 10 | SL_VLAN_CFI);
	cr_assert_eq(k.dl_type, 0x86dd);
	cr_assert_eq(l.l3_ofs, 22);
}

/* MPLS, under a VLAN tag: the outer label stack entry, and no L3 fields. */
Test(packet, mpls_gives_the_outer_label_stack_entry_and_no_l3)
{
	uint8_t f[64] = { 0 };
	struct sl_flow_key key;
	struct sl_layers ly;

	f[12] = 0x81, f[13] = 0x00, f[14] = 0x00, f[15] = 7; /* VLAN 7 */
	f[16] = 0x88, f[17] = 0x47;
	f[18] = 0x00, f[19] = 0x31, f[20] = 0x5a, f[21] = 0x40; /* label 789, TC 5, not bottom, TTL 64 */
	f[22] = 0x00, f[23] = 0x01, f[24] = 0x01, f[25] = 0x05; /* the next one, bottom */
	f[26] = 0x45; /* an IPv4 header under the labels: not parsed */
	f[35] = 6;
	cr_assert_eq(sl_parse(f, sizeof(f), 2, &key, &ly), 0);
	cr_assert_eq(key.dl_type, 0x8847);
	cr_assert_eq(key.vlan_tci, 0x1007);
	cr_assert_eq(ntohl(key.mpls_lse), 789u << 12 | 5u << 9 | 64u);
	cr_assert_eq(ly.l3_ofs, 18);
	cr_assert_eq(ly.l4_ofs, 0);
	cr_assert_eq(key.nw_proto, 0);
	/* Cut inside the entry: the entry stays zero, the type is still MPLS. */
	cr_assert_eq(sl_parse(f, 20, 2, &key, &ly), 0);
	cr_assert_eq(key.dl_type, 0x8847);
	cr_assert_eq(key.mpls_lse, 0);
}
