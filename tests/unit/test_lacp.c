/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bonds without a network: two LACP actors (primary/lacp.c) exchanging
 * LACPDUs converge as 802.1AX says, a silent partner expires and then is
 * defaulted, a passive actor waits to be spoken to; the balance-tcp hash
 * is symmetric, balance-slb's follows the source MAC; the bond settings'
 * rules.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "bond.h"
#include "lacp.h"
#include "settings.h"

struct side {
	struct sl_lacp l;
	struct sl_lacp_member m[2];
	struct rte_ether_addr mac;
};

static void
side_init(struct side *s, uint8_t id, bool active)
{
	memset(s, 0, sizeof(*s));
	s->mac = (struct rte_ether_addr){ { 0x02, 0, 0, 0, 0, id } };
	s->l.active = active;
	s->l.fast = true;
	s->l.sys_priority = SL_LACP_SYS_PRIORITY;
	s->l.sys_id = s->mac;
	s->l.key = 1;
	s->l.n_members = 2;
	sl_lacp_member_init(&s->m[0], 1);
	sl_lacp_member_init(&s->m[1], 2);
}

/* One step of both sides at @now: timers, selection, and every due LACPDU delivered. */
static void
step(struct side *a, struct side *b, uint64_t now, bool b_silent)
{
	struct side *sides[2] = { a, b };
	uint8_t frame[RTE_ETHER_HDR_LEN + SL_LACP_PDU_LEN];

	for (int k = 0; k < 2; k++) {
		struct side *s = sides[k], *o = sides[1 - k];
		struct sl_lacp_member *ms[2] = { &s->m[0], &s->m[1] };
		bool changed;

		for (int i = 0; i < 2; i++)
			sl_lacp_timers(&s->m[i], now);
		sl_lacp_select(&s->l, ms, 2);
		for (int i = 0; i < 2; i++)
			if (sl_lacp_tx_due(&s->l, &s->m[i], now, &s->mac, frame) && !(k == 1 && b_silent))
				cr_assert_eq(sl_lacp_rx(&o->l, &o->m[i], frame, sizeof(frame), now, &changed), 0);
	}
}

Test(lacp, two_actors_converge_to_attached_and_in_sync)
{
	struct side a, b;

	side_init(&a, 1, true);
	side_init(&b, 2, true);
	for (uint64_t t = 0; t < 3000; t += 10)
		step(&a, &b, t, false);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(a.m[i].status, SL_LACP_CURRENT);
		cr_assert(a.m[i].attached && b.m[i].attached);
		cr_assert(sl_lacp_may_enable(&a.l, &a.m[i]) && sl_lacp_may_enable(&b.l, &b.m[i]));
		cr_assert(rte_is_same_ether_addr(&a.m[i].partner.sys_id, &b.mac));
	}
	cr_assert(a.l.negotiated && b.l.negotiated);
	/* Fast: a LACPDU a second, not one a tick. */
	cr_assert_leq(a.m[0].tx_pdus, 8, "%lu", (unsigned long)a.m[0].tx_pdus);
}

Test(lacp, a_silent_partner_expires_then_is_defaulted)
{
	struct side a, b;
	uint64_t t = 0;

	side_init(&a, 1, true);
	side_init(&b, 2, true);
	for (; t < 3000; t += 10)
		step(&a, &b, t, false);
	for (; t < 3000 + 3 * SL_LACP_FAST_MS + 20; t += 10)
		step(&a, &b, t, true);
	cr_assert_eq(a.m[0].status, SL_LACP_EXPIRED);
	cr_assert(!sl_lacp_may_enable(&a.l, &a.m[0]), "expired: not used");
	for (; t < 3000 + 6 * SL_LACP_FAST_MS + 40; t += 10)
		step(&a, &b, t, true);
	cr_assert_eq(a.m[0].status, SL_LACP_DEFAULTED);
	cr_assert(!a.l.negotiated);
}

Test(lacp, a_passive_actor_waits_to_be_spoken_to)
{
	struct side a, b;

	side_init(&a, 1, false);
	side_init(&b, 2, false);
	for (uint64_t t = 0; t < 3000; t += 10)
		step(&a, &b, t, false);
	cr_assert_eq(a.m[0].tx_pdus + b.m[0].tx_pdus, 0, "two passive sides stay silent");
	b.l.active = true;
	for (uint64_t t = 3000; t < 6000; t += 10)
		step(&a, &b, t, false);
	cr_assert(a.m[0].tx_pdus > 0 && sl_lacp_may_enable(&a.l, &a.m[0]));
}

Test(lacp, balance_tcp_hash_is_symmetric_and_slb_follows_the_source_mac)
{
	struct sl_flow_key k = { 0 }, r;
	unsigned int spread[2] = { 0 };

	k.dl_type = 0x0800;
	k.nw_proto = 6;
	for (unsigned int i = 0; i < 200; i++) {
		k.nw_src[3] = (uint8_t)i;
		k.nw_dst[3] = 7;
		k.tp_src = (uint16_t)(1000 + i);
		k.tp_dst = 80;
		r = k;
		memcpy(r.nw_src, k.nw_dst, 16);
		memcpy(r.nw_dst, k.nw_src, 16);
		r.tp_src = k.tp_dst;
		r.tp_dst = k.tp_src;
		cr_assert_eq(sl_bond_bucket(SL_BM_TCP, &k), sl_bond_bucket(SL_BM_TCP, &r));
		spread[sl_bond_bucket(SL_BM_TCP, &k) & 1]++;
	}
	cr_assert(spread[0] > 50 && spread[1] > 50);
	r = k;
	r.tp_src++;
	cr_assert_eq(sl_bond_bucket(SL_BM_SLB, &k), sl_bond_bucket(SL_BM_SLB, &r), "SLB ignores L4");
}

Test(lacp, bond_settings_rules)
{
	struct sl_values v;
	char err[256];

	sl_values_init(&v, &sl_port_settings);
	cr_assert_geq(sl_values_set_kv(&sl_port_settings, &v, "lacp=active", err, sizeof(err)), 0);
	cr_assert_lt(sl_values_check_all(&sl_port_settings, &v, err, sizeof(err)), 0);
	cr_assert(strstr(err, "bond setting") != NULL, "%s", err);
	sl_values_set_kv(&sl_port_settings, &v, "type=bond", err, sizeof(err));
	cr_assert_eq(sl_values_check_all(&sl_port_settings, &v, err, sizeof(err)), 0, "%s", err);
	sl_values_set_kv(&sl_port_settings, &v, "lacp=off", err, sizeof(err));
	sl_values_set_kv(&sl_port_settings, &v, "bond_mode=balance-tcp", err, sizeof(err));
	cr_assert_lt(sl_values_check_all(&sl_port_settings, &v, err, sizeof(err)), 0);
	sl_values_set_kv(&sl_port_settings, &v, "lacp-fallback-ab=true", err, sizeof(err));
	cr_assert_eq(sl_values_check_all(&sl_port_settings, &v, err, sizeof(err)), 0, "%s", err);
	cr_assert_lt(sl_values_set_kv(&sl_port_settings, &v, "bond_mode=round-robin", err, sizeof(err)), 0);
}
