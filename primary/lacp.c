/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * LACP, the state machines Open vSwitch's partner expects (lib/lacp.c is
 * the reference for behaviour; this is our own code).  Pure: the bond
 * (bond.c) feeds it frames and time and sends what it composes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>

#include "lacp.h"

#define TLV_ACTOR 1
#define TLV_PARTNER 2
#define TLV_COLLECTOR 3
#define INFO_LEN 20 /* a TLV of actor or partner information, type and length included */

static const struct rte_ether_addr slow_dst = { { 0x01, 0x80, 0xc2, 0x00, 0x00, 0x02 } };

void
sl_lacp_member_init(struct sl_lacp_member *m, uint16_t port_id)
{
	memset(m, 0, sizeof(*m));
	m->status = SL_LACP_DEFAULTED;
	m->port_id = port_id;
	m->port_priority = SL_LACP_PORT_PRIORITY;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* The information of a TLV's body (after type and length). */
static void
info_read(const uint8_t *p, struct sl_lacp_info *i)
{
	i->sys_priority = get16(p);
	memcpy(i->sys_id.addr_bytes, p + 2, 6);
	i->key = get16(p + 8);
	i->port_priority = get16(p + 10);
	i->port_id = get16(p + 12);
	i->state = p[14];
}

static void
info_write(uint8_t *p, uint8_t type, const struct sl_lacp_info *i)
{
	memset(p, 0, INFO_LEN);
	p[0] = type;
	p[1] = INFO_LEN;
	put16(p + 2, i->sys_priority);
	memcpy(p + 4, i->sys_id.addr_bytes, 6);
	put16(p + 10, i->key);
	put16(p + 12, i->port_priority);
	put16(p + 14, i->port_id);
	p[16] = i->state;
}

/* Equal as far as a change would need a LACPDU (802.1AX's "need to transmit"). */
static bool
tx_equal(const struct sl_lacp_info *a, const struct sl_lacp_info *b)
{
	const uint8_t bits = SL_LACP_STATE_ACT | SL_LACP_STATE_TIME | SL_LACP_STATE_SYNC |
			     SL_LACP_STATE_AGG | SL_LACP_STATE_COL | SL_LACP_STATE_DIST;

	return !((a->state ^ b->state) & bits) && a->port_id == b->port_id &&
	       a->port_priority == b->port_priority && a->key == b->key &&
	       a->sys_priority == b->sys_priority &&
	       rte_is_same_ether_addr(&a->sys_id, &b->sys_id);
}

int
sl_lacp_rx(const struct sl_lacp *l, struct sl_lacp_member *m, const uint8_t *frame,
	   uint32_t len, uint64_t now_ms, bool *changed)
{
	const uint8_t *p = frame + RTE_ETHER_HDR_LEN;
	struct sl_lacp_info actor, partner, ours;

	*changed = false;
	if (len < RTE_ETHER_HDR_LEN + 2 + 2 * INFO_LEN || p[0] != 1 /* LACP subtype */ ||
	    p[2] != TLV_ACTOR || p[3] != INFO_LEN || p[2 + INFO_LEN] != TLV_PARTNER ||
	    p[3 + INFO_LEN] != INFO_LEN) {
		m->rx_bad++;
		return -EINVAL;
	}
	m->rx_pdus++;
	info_read(p + 4, &actor);
	info_read(p + 4 + INFO_LEN, &partner);
	m->status = SL_LACP_CURRENT;
	m->rx_deadline_ms = now_ms + SL_LACP_RX_MULT * (l->fast ? SL_LACP_FAST_MS : SL_LACP_SLOW_MS);
	if (memcmp(&m->partner, &actor, sizeof(actor)) != 0) {
		*changed = true;
		m->partner = actor;
	}
	/* The partner has a wrong idea of us: tell it at once. */
	sl_lacp_actor(l, m, &ours);
	if (!tx_equal(&partner, &ours))
		m->tx_due_ms = now_ms;
	return 0;
}

bool
sl_lacp_timers(struct sl_lacp_member *m, uint64_t now_ms)
{
	if (m->status == SL_LACP_DEFAULTED || now_ms < m->rx_deadline_ms)
		return false;
	if (m->status == SL_LACP_CURRENT) {
		/* Expired: ask the partner for fast LACPDUs, give it 3 s. */
		m->status = SL_LACP_EXPIRED;
		m->partner.state |= SL_LACP_STATE_TIME;
		m->partner.state &= ~SL_LACP_STATE_SYNC;
		m->rx_deadline_ms = now_ms + SL_LACP_RX_MULT * SL_LACP_FAST_MS;
	} else {
		m->status = SL_LACP_DEFAULTED;
		memset(&m->partner, 0, sizeof(m->partner));
	}
	return true;
}

void
sl_lacp_actor(const struct sl_lacp *l, const struct sl_lacp_member *m, struct sl_lacp_info *a)
{
	uint8_t s = 0;

	if (l->active)
		s |= SL_LACP_STATE_ACT;
	if (l->fast)
		s |= SL_LACP_STATE_TIME;
	if (m->attached)
		s |= SL_LACP_STATE_SYNC;
	if (m->status == SL_LACP_DEFAULTED)
		s |= SL_LACP_STATE_DEF;
	if (m->status == SL_LACP_EXPIRED)
		s |= SL_LACP_STATE_EXP;
	if (l->n_members > 1)
		s |= SL_LACP_STATE_AGG;
	if (m->attached || !l->negotiated)
		s |= SL_LACP_STATE_COL | SL_LACP_STATE_DIST;
	a->state = s;
	a->key = l->key;
	a->port_priority = m->port_priority;
	a->port_id = m->port_id;
	a->sys_priority = l->sys_priority;
	a->sys_id = l->sys_id;
}

/* The better-placed system's view of link @m, for choosing the lead (smaller is better). */
static void
priority(const struct sl_lacp *l, const struct sl_lacp_member *m, struct sl_lacp_info *pri)
{
	int c = memcmp(l->sys_id.addr_bytes, m->partner.sys_id.addr_bytes, 6);

	if (l->sys_priority < m->partner.sys_priority ||
	    (l->sys_priority == m->partner.sys_priority && c < 0))
		sl_lacp_actor(l, m, pri);
	else
		*pri = m->partner;
	pri->key = 0;
	pri->state = 0;
}

static int
pri_cmp(const struct sl_lacp_info *a, const struct sl_lacp_info *b)
{
	if (a->sys_priority != b->sys_priority)
		return a->sys_priority < b->sys_priority ? -1 : 1;
	int c = memcmp(a->sys_id.addr_bytes, b->sys_id.addr_bytes, 6);

	if (c != 0)
		return c;
	if (a->port_priority != b->port_priority)
		return a->port_priority < b->port_priority ? -1 : 1;
	return a->port_id < b->port_id ? -1 : a->port_id > b->port_id;
}

static bool
may_enable_attached(const struct sl_lacp *l, const struct sl_lacp_member *m)
{
	return m->attached && ((m->partner.state & SL_LACP_STATE_SYNC) ||
			       (l->fallback_ab && m->status == SL_LACP_DEFAULTED));
}

bool
sl_lacp_may_enable(const struct sl_lacp *l, const struct sl_lacp_member *m)
{
	return may_enable_attached(l, m);
}

void
sl_lacp_select(struct sl_lacp *l, struct sl_lacp_member **ms, unsigned int n)
{
	struct sl_lacp_member *lead = NULL;
	struct sl_lacp_info lead_pri;
	bool lead_en = false;

	for (unsigned int i = 0; i < n; i++) {
		struct sl_lacp_member *m = ms[i];
		struct sl_lacp_info pri;
		bool en;

		m->attached = false;
		if (rte_is_same_ether_addr(&m->partner.sys_id, &l->sys_id))
			continue; /* looped back to ourselves */
		if (m->status == SL_LACP_DEFAULTED) {
			m->attached = l->fallback_ab;
			continue;
		}
		m->attached = true;
		priority(l, m, &pri);
		en = may_enable_attached(l, m);
		if (lead == NULL || en > lead_en || (en == lead_en && pri_cmp(&pri, &lead_pri) < 0)) {
			lead = m;
			lead_en = en;
			lead_pri = pri;
		}
	}
	l->negotiated = lead != NULL;
	for (unsigned int i = 0; lead != NULL && i < n; i++) {
		struct sl_lacp_member *m = ms[i];

		if ((l->fallback_ab && m->status == SL_LACP_DEFAULTED) ||
		    m->partner.key != lead->partner.key ||
		    !rte_is_same_ether_addr(&m->partner.sys_id, &lead->partner.sys_id))
			m->attached = false;
	}
}

bool
sl_lacp_tx_due(const struct sl_lacp *l, struct sl_lacp_member *m, uint64_t now_ms,
	       const struct rte_ether_addr *src, uint8_t *frame)
{
	struct sl_lacp_info actor;
	uint8_t *p;

	if (!l->active && m->status == SL_LACP_DEFAULTED)
		return false; /* passive: speak only once spoken to */
	sl_lacp_actor(l, m, &actor);
	if (now_ms < m->tx_due_ms && tx_equal(&actor, &m->ntt_actor))
		return false;
	m->ntt_actor = actor;
	memset(frame, 0, RTE_ETHER_HDR_LEN + SL_LACP_PDU_LEN);
	memcpy(frame, slow_dst.addr_bytes, 6);
	memcpy(frame + 6, src->addr_bytes, 6);
	put16(frame + 12, 0x8809);
	p = frame + RTE_ETHER_HDR_LEN;
	p[0] = 1; /* subtype LACP */
	p[1] = 1; /* version */
	info_write(p + 2, TLV_ACTOR, &actor);
	info_write(p + 2 + INFO_LEN, TLV_PARTNER, &m->partner);
	p[2 + 2 * INFO_LEN] = TLV_COLLECTOR;
	p[3 + 2 * INFO_LEN] = 16;
	/* collector max delay 0, then the terminator TLV (0, 0) and padding: zeros */
	m->tx_pdus++;
	m->tx_due_ms = now_ms + ((m->partner.state & SL_LACP_STATE_TIME) ? SL_LACP_FAST_MS
									 : SL_LACP_SLOW_MS);
	return true;
}

void
sl_lacp_state_text(uint8_t state, char *buf, size_t len)
{
	static const char *const names[] = { "activity",     "timeout",	    "aggregation",
					     "synchronized", "collecting",  "distributing",
					     "defaulted",    "expired" };
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < 8; i++)
		if (state & (1u << i))
			o += snprintf(buf + o, o < len ? len - o : 0, " %s", names[i]);
}
