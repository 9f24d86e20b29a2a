/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Header rewrites keep checksums right: on random IPv4 and IPv6 TCP/UDP
 * frames, every rewrite's incrementally updated IPv4 header checksum and
 * TCP/UDP checksum equal the ones computed from scratch afterwards, and
 * the flow key says what the bytes say.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "packet.h"
#include "rewrite.h"
#include "unit_helpers.h"


struct pkt {
	uint8_t d[256];
	uint32_t len;
	uint32_t l3, l4;
	bool v6, tcp, udp_nocsum;
};

/* Sum of the pseudo-header, for the from-scratch L4 checksum. */
static uint32_t
pseudo(const struct pkt *p, uint32_t l4len)
{
	const uint8_t *ip = p->d + p->l3;
	uint32_t s = 0;
	unsigned int alen = p->v6 ? 16 : 4;
	const uint8_t *src = ip + (p->v6 ? 8 : 12);

	for (unsigned int i = 0; i < 2 * alen; i += 2)
		s += (uint32_t)src[i] << 8 | src[i + 1];
	s += p->tcp ? 6 : 17;
	s += l4len;
	return s;
}

/* Checksums as a sender computes them from nothing. */
static void
fill_csums(struct pkt *p, uint16_t *ipc, uint16_t *l4c)
{
	uint8_t *ip = p->d + p->l3, *l4 = p->d + p->l4;
	uint32_t l4len = p->len - p->l4;
	unsigned int at = p->tcp ? 16 : 6;
	uint16_t c;

	if (!p->v6) {
		ip[10] = ip[11] = 0;
		c = sl_inet_csum(ip, 20, 0);
		ip[10] = c >> 8, ip[11] = c & 0xff;
	}
	*ipc = p->v6 ? 0 : (uint16_t)(ip[10] << 8 | ip[11]);
	l4[at] = l4[at + 1] = 0;
	c = sl_inet_csum(l4, l4len, pseudo(p, l4len));
	if (!p->tcp && c == 0)
		c = 0xffff;
	if (!p->tcp && p->udp_nocsum)
		c = 0;
	l4[at] = c >> 8, l4[at + 1] = c & 0xff;
	*l4c = c;
}

static void
random_pkt(struct pkt *p)
{
	bool vlan = rnd32() & 1;
	uint32_t pay = 1 + rnd32() % 100;
	uint8_t *ip;

	memset(p, 0, sizeof(*p));
	p->v6 = rnd32() % 3 == 0;
	p->tcp = rnd32() & 1;
	p->udp_nocsum = !p->tcp && rnd32() % 4 == 0;
	for (int i = 0; i < 12; i++)
		p->d[i] = (uint8_t)rnd32();
	p->d[0] &= 0xfe;
	p->l3 = 14;
	if (vlan) {
		p->d[12] = 0x81, p->d[13] = 0x00, p->d[14] = 0x00, p->d[15] = 5;
		p->l3 = 18;
	}
	p->d[p->l3 - 2] = p->v6 ? 0x86 : 0x08;
	p->d[p->l3 - 1] = p->v6 ? 0xdd : 0x00;
	ip = p->d + p->l3;
	p->l4 = p->l3 + (p->v6 ? 40 : 20);
	p->len = p->l4 + (p->tcp ? 20 : 8) + pay;
	for (uint32_t i = p->l4; i < p->len; i++)
		p->d[i] = (uint8_t)rnd32();
	if (p->v6) {
		ip[0] = 0x60 | (rnd32() & 0xf);
		ip[1] = (uint8_t)rnd32();
		ip[4] = (uint8_t)((p->len - p->l4) >> 8), ip[5] = (uint8_t)(p->len - p->l4);
		ip[6] = p->tcp ? 6 : 17;
		ip[7] = (uint8_t)(2 + rnd32() % 250);
		for (int i = 8; i < 40; i++)
			ip[i] = (uint8_t)rnd32();
	} else {
		uint32_t tot = p->len - p->l3;

		ip[0] = 0x45;
		ip[1] = (uint8_t)rnd32();
		ip[2] = (uint8_t)(tot >> 8), ip[3] = (uint8_t)tot;
		ip[4] = (uint8_t)rnd32(), ip[5] = (uint8_t)rnd32();
		ip[8] = (uint8_t)(2 + rnd32() % 250);
		ip[9] = p->tcp ? 6 : 17;
		for (int i = 12; i < 20; i++)
			ip[i] = (uint8_t)rnd32();
	}
	if (!p->tcp) {
		uint32_t l = p->len - p->l4;

		p->d[p->l4 + 4] = (uint8_t)(l >> 8), p->d[p->l4 + 5] = (uint8_t)l;
	}
	uint16_t a, b;
	fill_csums(p, &a, &b);
}

/* After a rewrite: incremental checksums == from-scratch ones; key == fresh parse. */
static void
check(struct pkt *p, const struct sl_flow_key *key, const char *what)
{
	struct pkt q = *p;
	uint8_t *ip = p->d + p->l3;
	uint16_t got_ip = p->v6 ? 0 : (uint16_t)(ip[10] << 8 | ip[11]);
	unsigned int at = p->l4 + (p->tcp ? 16 : 6);
	uint16_t got_l4 = (uint16_t)(p->d[at] << 8 | p->d[at + 1]);
	uint16_t want_ip, want_l4;
	struct sl_flow_key fresh;

	fill_csums(&q, &want_ip, &want_l4);
	cr_assert_eq(got_ip, want_ip, "%s: IPv4 checksum 0x%04x, from scratch 0x%04x", what, got_ip,
		     want_ip);
	cr_assert_eq(got_l4, want_l4, "%s (%s%s): L4 checksum 0x%04x, from scratch 0x%04x", what,
		     p->v6 ? "v6 " : "", p->tcp ? "tcp" : "udp", got_l4, want_l4);
	sl_parse(p->d, p->len, 1, &fresh, NULL);
	cr_assert_arr_eq(&fresh, key, sizeof(fresh), "%s: the key differs from the bytes", what);
}

Test(rewrite, every_rewrite_keeps_checksums_right_on_random_packets)
{
	static const uint8_t fields[] = { SL_FLD_IP_SRC, SL_FLD_IP_DST,  SL_FLD_IP_DSCP,
					  SL_FLD_NW_TOS, SL_FLD_IP_ECN,  SL_FLD_NW_TTL,
					  SL_FLD_TP_SRC, SL_FLD_TP_DST,  SL_FLD_IPV6_SRC,
					  SL_FLD_IPV6_DST };
	unsigned int done[SL_FLD_COUNT] = { 0 };

	for (int n = 0; n < 20000; n++) {
		struct pkt p;
		struct sl_flow_key key;
		struct sl_layers ly;
		uint8_t fld = fields[rnd32() % sizeof(fields)], v6[16];
		uint64_t v = ((uint64_t)rnd32() << 32) | rnd32();
		char what[64];
		int rc;

		random_pkt(&p);
		sl_parse(p.d, p.len, 1, &key, &ly);
		cr_assert_eq(ly.l3_ofs, p.l3);
		cr_assert_eq(ly.l4_ofs, p.l4);
		for (int i = 0; i < 16; i++)
			v6[i] = (uint8_t)rnd32();
		switch (fld) {
		case SL_FLD_IP_SRC: case SL_FLD_IP_DST: v &= 0xffffffff; break;
		case SL_FLD_IP_DSCP: v &= 63; break;
		case SL_FLD_NW_TOS: v &= 0xfc; break;
		case SL_FLD_IP_ECN: v &= 3; break;
		case SL_FLD_NW_TTL: v &= 0xff; break;
		default: v &= 0xffff; break;
		}
		rc = sl_rewrite_l34(p.d, p.len, &ly, &key, fld, v, v6);
		snprintf(what, sizeof(what), "field %u := 0x%llx", fld, (unsigned long long)v);
		check(&p, &key, what);
		if (rc > 0)
			done[fld]++;
		if (rnd32() % 4 == 0) {
			int want = key.nw_ttl <= 1 ? -1 : 0;

			rc = sl_rewrite_dec_ttl(p.d, p.len, &ly, &key);
			check(&p, &key, "dec_ttl");
			cr_assert_eq(rc, want, "dec_ttl of TTL %u", key.nw_ttl);
		}
	}
	for (size_t i = 0; i < sizeof(fields); i++)
		cr_assert_gt(done[fields[i]], 100, "field %u rewritten only %u times", fields[i],
			     done[fields[i]]);
}

Test(rewrite, dec_ttl_refuses_ttl_one_and_zero)
{
	for (int ttl = 0; ttl < 3; ttl++) {
		struct pkt p;
		struct sl_flow_key key;
		struct sl_layers ly;

		do
			random_pkt(&p);
		while (p.v6);
		p.d[p.l3 + 8] = (uint8_t)ttl;
		uint16_t a, b;
		fill_csums(&p, &a, &b);
		sl_parse(p.d, p.len, 1, &key, &ly);
		cr_assert_eq(sl_rewrite_dec_ttl(p.d, p.len, &ly, &key), ttl < 2 ? -1 : 0, "ttl %d",
			     ttl);
		if (ttl == 2) {
			cr_assert_eq(p.d[p.l3 + 8], 1);
			check(&p, &key, "dec_ttl 2 -> 1");
		}
	}
}

Test(rewrite, ipv4_field_of_an_ipv6_packet_changes_nothing)
{
	struct pkt p, orig;
	struct sl_flow_key key;
	struct sl_layers ly;

	do
		random_pkt(&p);
	while (!p.v6);
	orig = p;
	sl_parse(p.d, p.len, 1, &key, &ly);
	cr_assert_eq(sl_rewrite_l34(p.d, p.len, &ly, &key, SL_FLD_IP_SRC, 0x01020304, NULL), 0);
	cr_assert_arr_eq(p.d, orig.d, p.len);
}

/* ---- MPLS push and pop ---- */

/* push_mpls on @in (@len bytes) into @out (room for len + 4); returns what it returned. */
static int
push(const uint8_t *in, uint32_t len, uint8_t *out, struct sl_layers *ly, struct sl_flow_key *key,
     uint16_t type)
{
	memcpy(out + 4, in, len);
	return sl_rewrite_mpls_push(out, len + 4, ly, key, type);
}

static uint32_t
lse_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

Test(rewrite, push_mpls_then_pop_mpls_gives_back_the_same_frame_and_key)
{
	for (int n = 0; n < 2000; n++) {
		struct pkt p;
		struct sl_flow_key key, orig_key, fresh;
		struct sl_layers ly;
		uint8_t buf[sizeof(p.d) + 4];
		uint16_t type = rnd32() & 1 ? 0x8847 : 0x8848, ip_type;
		uint32_t lse, want;

		random_pkt(&p);
		sl_parse(p.d, p.len, 1, &key, &ly);
		orig_key = key;
		ip_type = key.dl_type;
		cr_assert_eq(push(p.d, p.len, buf, &ly, &key, type), 0);
		/* After the Ethernet header and tags; the ethertype says MPLS. */
		cr_assert_arr_eq(buf, p.d, p.l3 - 2);
		cr_assert_eq(buf[p.l3 - 2] << 8 | buf[p.l3 - 1], type);
		cr_assert_arr_eq(buf + p.l3 + 4, p.d + p.l3, p.len - p.l3);
		lse = lse_at(buf + p.l3);
		want = (p.v6 ? 2u : 0u) << 12 | ((orig_key.nw_tos >> 2) & 7u) << 9 | 1u << 8 |
		       orig_key.nw_ttl;
		cr_assert_eq(lse, want, "pushed entry 0x%08x, want 0x%08x", lse, want);
		/* The key is what a parse of the new bytes says: no L3 fields. */
		sl_parse(buf, p.len + 4, 1, &fresh, NULL);
		cr_assert_arr_eq(&fresh, &key, sizeof(key));
		cr_assert_eq(key.dl_type, type);
		cr_assert_eq(ntohl(key.mpls_lse), want);
		cr_assert_eq(key.nw_proto, 0);
		cr_assert_eq(key.nw_ttl, 0);
		cr_assert_eq(ly.l3_ofs, p.l3);
		/* Pop back to the IP ethertype: the very frame, checksums and all. */
		cr_assert_eq(sl_rewrite_mpls_pop(buf, p.len + 4, &ly, &key, ip_type), 0);
		cr_assert_arr_eq(buf + 4, p.d, p.len, "pop did not give the frame back");
		cr_assert_arr_eq(&key, &orig_key, sizeof(key), "pop did not give the IP key back");
		cr_assert_eq(ly.l4_ofs, p.l4);
		check(&p, &key, "push_mpls, pop_mpls");
	}
}

Test(rewrite, push_on_a_label_copies_it_and_the_stack_is_bounded_at_three)
{
	uint8_t f[4][sizeof(((struct pkt *)0)->d) + 4];
	struct sl_flow_key key;
	struct sl_layers ly;
	struct pkt p;
	uint32_t len;

	do
		random_pkt(&p);
	while (p.v6);
	sl_parse(p.d, p.len, 1, &key, &ly);
	cr_assert_eq(push(p.d, p.len, f[0], &ly, &key, 0x8847), 0);
	cr_assert_eq(sl_rewrite_mpls(f[0], p.len + 4, &ly, &key, SL_FLD_MPLS_LABEL, 1000), 1);
	cr_assert_eq(sl_rewrite_mpls(f[0], p.len + 4, &ly, &key, SL_FLD_MPLS_TC, 6), 1);
	cr_assert_eq(sl_rewrite_mpls(f[0], p.len + 4, &ly, &key, SL_FLD_MPLS_TTL, 2), 1);
	cr_assert_eq(lse_at(f[0] + p.l3), 1000u << 12 | 6u << 9 | 1u << 8 | 2u);
	cr_assert_eq(ntohl(key.mpls_lse), 1000u << 12 | 6u << 9 | 1u << 8 | 2u);
	len = p.len + 4;
	cr_assert_eq(push(f[0], len, f[1], &ly, &key, 0x8847), 0);
	len += 4;
	/* The new outer entry: a copy, no longer bottom of stack; the old one keeps its bit. */
	cr_assert_eq(lse_at(f[1] + p.l3), 1000u << 12 | 6u << 9 | 2u);
	cr_assert_eq(lse_at(f[1] + p.l3 + 4), 1000u << 12 | 6u << 9 | 1u << 8 | 2u);
	cr_assert_eq(ntohl(key.mpls_lse), 1000u << 12 | 6u << 9 | 2u);
	cr_assert_eq(push(f[1], len, f[2], &ly, &key, 0x8848), 0);
	len += 4;
	cr_assert_eq(push(f[2], len, f[3], &ly, &key, 0x8847), -1, "a fourth label is refused");
	/* dec_mpls_ttl: 2 -> 1, then 1 is refused. */
	cr_assert_eq(sl_rewrite_dec_mpls_ttl(f[2], len, &ly, &key), 0);
	cr_assert_eq(f[2][p.l3 + 3], 1);
	cr_assert_eq(sl_rewrite_dec_mpls_ttl(f[2], len, &ly, &key), -1);
	/* Pop the three: MPLS, MPLS, then IPv4 again with its old TTL and checksum. */
	cr_assert_eq(sl_rewrite_mpls_pop(f[2], len, &ly, &key, 0x8847), 0);
	cr_assert_eq(key.dl_type, 0x8847);
	cr_assert_eq(sl_rewrite_mpls_pop(f[2] + 4, len - 4, &ly, &key, 0x8847), 0);
	cr_assert_eq(ntohl(key.mpls_lse) & 0x100u, 0x100u, "the bottom entry is on top now");
	cr_assert_eq(sl_rewrite_mpls_pop(f[2] + 8, len - 8, &ly, &key, 0x0800), 0);
	cr_assert_arr_eq(f[2] + 12, p.d, p.len);
	check(&p, &key, "three pops");
	/* Nothing to pop on an IP packet. */
	cr_assert_eq(sl_rewrite_mpls_pop(p.d, p.len, &ly, &key, 0x0800), 1);
	cr_assert_eq(sl_rewrite_mpls(p.d, p.len, &ly, &key, SL_FLD_MPLS_TTL, 5), 0);
}

Test(rewrite, push_on_arp_gives_label_zero_and_ttl_64)
{
	uint8_t arp[42] = { 0 }, out[46];
	struct sl_flow_key key;
	struct sl_layers ly;

	arp[12] = 0x08, arp[13] = 0x06;
	sl_parse(arp, sizeof(arp), 3, &key, &ly);
	cr_assert_eq(push(arp, sizeof(arp), out, &ly, &key, 0x8848), 0);
	cr_assert_eq(lse_at(out + 14), 1u << 8 | 64u);
	cr_assert_eq(key.in_port, 3);
	cr_assert_eq(key.dl_type, 0x8848);
}

/*
 * A compiled pipeline (struct sl_xact) does to a packet exactly what its
 * actions do one by one: on random IPv4 TCP/UDP frames, random lists of
 * field writes, dec_ttl and MAC writes then one output, compiled for the
 * exact key (checksum deltas precomputed) and for any key (deltas summed
 * per packet), applied to a copy; the bytes equal those of the general
 * rewrites, the checksums equal from-scratch ones, and the key of the
 * result is the key the general path left.
 */
Test(rewrite, compiled_pipeline_does_what_its_actions_do)
{
	static const uint8_t fields[] = { SL_FLD_IP_SRC, SL_FLD_IP_DST, SL_FLD_IP_DSCP,
					  SL_FLD_NW_TOS, SL_FLD_IP_ECN, SL_FLD_NW_TTL,
					  SL_FLD_TP_SRC, SL_FLD_TP_DST, SL_FLD_ETH_SRC,
					  SL_FLD_ETH_DST };
	unsigned int compiled = 0, refused_ttl = 0;

	for (int n = 0; n < 20000; n++) {
		struct sl_action dp[6];
		struct pkt p, slow, fast, fast2;
		struct sl_flow_key key, k, got;
		struct sl_layers ly;
		struct sl_xact xe, xa;
		uint32_t rules[2] = { 7, 9 };
		unsigned int nd = rnd32() % 5, i;
		bool dropped = false;

		do
			random_pkt(&p);
		while (p.v6);
		if (rnd32() % 8 == 0) { /* TTL 1 and 2: dec_ttl at the edge */
			p.d[p.l3 + 8] = (uint8_t)(1 + rnd32() % 2);
			uint16_t a, b;
			fill_csums(&p, &a, &b);
		}
		sl_parse(p.d, p.len, 1, &key, &ly);
		memset(dp, 0, sizeof(dp));
		for (i = 0; i < nd; i++) {
			if (rnd32() % 4 == 0) {
				dp[i].type = SL_ACT_DEC_TTL;
				continue;
			}
			uint64_t v = ((uint64_t)rnd32() << 32) | rnd32();

			dp[i].type = SL_ACT_SET_FIELD;
			dp[i].field = fields[rnd32() % sizeof(fields)];
			switch (dp[i].field) {
			case SL_FLD_IP_SRC: case SL_FLD_IP_DST: v &= 0xffffffff; break;
			case SL_FLD_IP_DSCP: v &= 63; break;
			case SL_FLD_NW_TOS: v &= 0xfc; break;
			case SL_FLD_IP_ECN: v &= 3; break;
			case SL_FLD_NW_TTL: v &= 0xff; break;
			case SL_FLD_ETH_SRC: case SL_FLD_ETH_DST: v &= 0xfeffffffffffull; break;
			default: v &= 0xffff; break;
			}
			sl_action_set_u64(&dp[i], 0, v);
		}
		dp[nd].type = SL_ACT_OUTPUT;
		dp[nd].arg = 2;

		/* The general path, action by action. */
		slow = p;
		k = key;
		for (i = 0; i < nd && !dropped; i++) {
			uint64_t v = sl_action_u64(&dp[i], 0);

			if (dp[i].type == SL_ACT_DEC_TTL) {
				dropped = sl_rewrite_dec_ttl(slow.d, slow.len, &ly, &k) < 0;
			} else if (dp[i].field == SL_FLD_ETH_SRC || dp[i].field == SL_FLD_ETH_DST) {
				uint8_t *mac = slow.d + (dp[i].field == SL_FLD_ETH_SRC ? 6 : 0);

				for (int b = 0; b < 6; b++)
					mac[b] = (uint8_t)(v >> (40 - 8 * b));
				memcpy(dp[i].field == SL_FLD_ETH_SRC ? k.dl_src : k.dl_dst, mac, 6);
			} else {
				sl_rewrite_l34(slow.d, slow.len, &ly, &k, dp[i].field, v, NULL);
			}
		}
		bool ok_e = sl_xact_compile(&xe, dp, nd + 1, &key, rules, 2, 1, true);
		bool ok_a = sl_xact_compile(&xa, dp, nd + 1, &key, rules, 2, 1, false);

		cr_assert_eq(ok_e, ok_a);
		if (dropped) {
			cr_assert(!ok_e, "a list that drops (dec_ttl at TTL %u) must not compile",
				  key.nw_ttl);
			refused_ttl++;
			continue;
		}
		cr_assert(ok_e, "list of %u actions not compiled", nd);
		cr_assert_eq(xe.out, 2);
		cr_assert_eq(xe.n_rules, 2);
		cr_assert_eq(xe.rule[1], 9);
		cr_assert_eq(xe.n_miss, 1);
		fast = p;
		fast2 = p;
		cr_assert_eq(sl_xact_apply(&xe, &key, fast.d, fast.len), 0);
		cr_assert_eq(sl_xact_apply(&xa, &key, fast2.d, fast2.len), 0);
		cr_assert_arr_eq(fast.d, slow.d, slow.len, "exact: bytes differ from the general path");
		cr_assert_arr_eq(fast2.d, slow.d, slow.len, "any key: bytes differ from the general path");
		sl_parse(fast.d, fast.len, 1, &got, NULL);
		cr_assert_arr_eq(&got, &k, sizeof(k), "the key differs from the general path's");
		check(&fast, &got, "compiled");
		compiled++;
	}
	cr_assert_gt(compiled, 10000);
	cr_assert_gt(refused_ttl, 100);
}

/* A frame of another layout than the compiled one is left alone (-1). */
Test(rewrite, compiled_pipeline_refuses_another_layout)
{
	struct sl_action dp[2];
	struct sl_flow_key key;
	struct sl_xact x;
	struct pkt p, q;
	uint32_t r = 1;

	do
		random_pkt(&p);
	while (p.v6 || p.l3 != 14);
	sl_parse(p.d, p.len, 1, &key, NULL);
	memset(dp, 0, sizeof(dp));
	dp[0].type = SL_ACT_SET_FIELD;
	dp[0].field = SL_FLD_TP_DST;
	sl_action_set_u64(&dp[0], 0, 4242);
	dp[1].type = SL_ACT_OUTPUT;
	dp[1].arg = 3;
	cr_assert(sl_xact_compile(&x, dp, 2, &key, &r, 1, 0, true));
	q = p;
	q.d[12] = 0x81; /* now it says VLAN where the compiled frame said IPv4 */
	cr_assert_eq(sl_xact_apply(&x, &key, q.d, q.len), -1);
	p.d[p.l3] = 0x46; /* IP options: the L4 header would end past the frame */
	q = p;
	cr_assert_eq(sl_xact_apply(&x, &key, q.d, p.l4 + (p.tcp ? 20 : 8) + 2), -1);
	cr_assert_arr_eq(q.d, p.d, p.len, "a refused frame must not change");
	cr_assert_eq(sl_xact_apply(&x, &key, q.d, 30), -1, "a truncated frame is refused");
	/* An output that is not last, and a rewrite of VLAN, do not compile. */
	dp[0].type = SL_ACT_OUTPUT;
	cr_assert(!sl_xact_compile(&x, dp, 2, &key, &r, 1, 0, true));
	dp[0].type = SL_ACT_SET_VLAN_VID;
	cr_assert(!sl_xact_compile(&x, dp, 2, &key, &r, 1, 0, true));
}
