/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bonds in the primary: a bond is a port slot with no device whose
 * members are device ports (common/bond.h).  Here, every housekeeping tick
 * (SL_HOUSEKEEPING_MS): the members' links are polled, LACPDUs the workers
 * handed over are run through LACP (lacp.c) and LACPDUs due are sent, each
 * member's may-enable is worked out as Open vSwitch does (link with up and
 * down delays, administrative state, LACP), and what the workers read is
 * published: the active member, the enabled members, and the member of
 * each hash bucket, rebalanced by measured load every
 * bond-rebalance-interval.  Running here, LACP outlives worker restarts.
 */
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memzone.h>
#include <rte_ring.h>

#include "bond.h"
#include "lacp.h"
#include "primary.h"
#include "primary_bond.h"
#include "util.h"

struct sl_pmember {
	uint8_t slot;
	bool carrier;          /* link up, as last polled */
	bool link_enabled;     /* carrier with the up/down delays applied */
	uint64_t delay_due_ms; /* 0: no delay running */
	bool admin_disabled;   /* bond-disable-member */
	bool may_enable;
	bool was_enabled;      /* may_enable at the last choice */
	char ifname[IFNAMSIZ]; /* net_af_packet: the kernel interface whose carrier counts */
	struct rte_ether_addr mac;
	struct sl_lacp_member lacp;
	uint64_t enabled_ms;   /* when it was last enabled */
};

struct sl_pbond {
	bool used;
	char name[SL_PORT_NAME_LEN];
	uint8_t mode;     /* configured bond_mode */
	uint8_t lacp_mode;
	uint32_t rebalance_ms, updelay_ms, downdelay_ms;
	char primary[SL_PORT_NAME_LEN];
	unsigned int n;
	struct sl_pmember m[SL_BOND_MAX_MEMBERS];
	struct sl_lacp lacp;
	uint64_t next_rebalance_ms;
	uint64_t last_total[SL_BOND_BUCKETS]; /* summed worker load at the last rebalance */
	uint64_t load[SL_BOND_BUCKETS];       /* bytes in the last interval */
	int active;                           /* index into m[], -1 */
};

static struct sl_bond_zone *bz;
static struct sl_pbond bonds[SL_MAX_PORTS];
static int ioctl_fd = -1;

struct sl_bond_zone *
sl_bond_zone(void)
{
	return bz;
}

int
sl_bonds_init(void)
{
	const struct rte_memzone *mz =
		rte_memzone_reserve(SL_BOND_ZONE, sizeof(*bz), SOCKET_ID_ANY, RTE_MEMZONE_SIZE_HINT_ONLY);
	char name[RTE_RING_NAMESIZE];

	if (mz == NULL)
		mz = rte_memzone_lookup(SL_BOND_ZONE);
	if (mz == NULL)
		return -ENOMEM;
	bz = mz->addr;
	memset(bz, 0, sizeof(*bz));
	memset(bz->bond_of, SL_BOND_NONE, sizeof(bz->bond_of));
	for (unsigned int w = 0; w < SL_MAX_WORKERS; w++) {
		snprintf(name, sizeof(name), "sl_lacp_rx%u", w);
		bz->lacp_rx[w] = rte_ring_lookup(name);
		if (bz->lacp_rx[w] == NULL)
			bz->lacp_rx[w] = rte_ring_create(name, SL_LACP_RING_SIZE, SOCKET_ID_ANY,
							 RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (bz->lacp_rx[w] == NULL)
			return -ENOMEM;
	}
	for (unsigned int s = 0; s < SL_MAX_PORTS; s++) {
		snprintf(name, sizeof(name), "sl_lacp_tx%u", s);
		bz->lacp_tx[s] = rte_ring_lookup(name);
		if (bz->lacp_tx[s] == NULL)
			bz->lacp_tx[s] = rte_ring_create(name, 64, SOCKET_ID_ANY,
							 RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (bz->lacp_tx[s] == NULL)
			return -ENOMEM;
	}
	ioctl_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return 0;
}

/* ---- membership ---- */

static int
bond_slot_by_name(const char *name)
{
	int s = sl_port_find(name);

	return s >= 0 && bonds[s].used ? s : -1;
}

/* The kernel interface of an af_packet member (iface=), whose carrier is the link. */
static void
member_ifname(unsigned int slot, char *out, size_t len)
{
	const char *d = sl_p.ports[slot].devargs, *a = strstr(d, "iface=");

	out[0] = '\0';
	if (strncmp(d, "net_af_packet", 13) != 0 || a == NULL)
		return;
	a += 6;
	snprintf(out, len, "%.*s", (int)strcspn(a, ","), a);
}

static void
member_add(unsigned int b, unsigned int slot)
{
	struct sl_pbond *pb = &bonds[b];
	struct sl_pmember *pm;

	if (pb->n == SL_BOND_MAX_MEMBERS)
		return;
	pm = &pb->m[pb->n++];
	memset(pm, 0, sizeof(*pm));
	pm->slot = slot;
	member_ifname(slot, pm->ifname, sizeof(pm->ifname));
	rte_eth_macaddr_get(sl_p.shm->ports[slot].port_id, &pm->mac);
	/* LACP port id: the member's ofport, as Open vSwitch's default. */
	sl_lacp_member_init(&pm->lacp, sl_p.shm->ports[slot].ofport);
	bz->bond_of[slot] = b;
	bz->bond[b].member[pb->n - 1] = slot;
	bz->bond[b].n_members = pb->n;
}

/* The bond's actor identity: Open vSwitch takes the bridge's MAC; we take the first member's. */
static void
lacp_identity(struct sl_pbond *pb)
{
	pb->lacp.n_members = pb->n;
	pb->lacp.sys_priority = SL_LACP_SYS_PRIORITY;
	if (pb->n > 0) {
		pb->lacp.sys_id = pb->m[0].mac;
		pb->lacp.key = pb->m[0].lacp.port_id;
	}
}

void
sl_bond_port_added(unsigned int slot, const struct sl_values *cfg)
{
	const char *of = cfg->v[SL_PS_BOND];
	int b;

	if (of[0] == '\0')
		return;
	bz->role[slot] = SL_BR_MEMBER;
	bz->bond_of[slot] = SL_BOND_NONE;
	b = bond_slot_by_name(of);
	if (b >= 0) {
		member_add(b, slot);
		lacp_identity(&bonds[b]);
	}
}

int
sl_bond_create(unsigned int slot, const char *name, const struct sl_values *cfg, char *err,
	       size_t errlen)
{
	struct sl_pbond *pb = &bonds[slot];
	struct sl_bond_state *st = &bz->bond[slot];

	memset(pb, 0, sizeof(*pb));
	memset(st, 0, sizeof(*st));
	memset(st->bucket, SL_BOND_NONE, sizeof(st->bucket));
	st->active = SL_BOND_NONE;
	pb->used = true;
	snprintf(pb->name, sizeof(pb->name), "%s", name);
	pb->active = -1;
	pb->mode = sl_values_u64(&sl_port_settings, cfg, SL_PS_BOND_MODE);
	pb->lacp_mode = sl_values_u64(&sl_port_settings, cfg, SL_PS_LACP);
	pb->rebalance_ms = sl_values_u64(&sl_port_settings, cfg, SL_PS_BOND_REBALANCE_INTERVAL);
	pb->updelay_ms = sl_values_u64(&sl_port_settings, cfg, SL_PS_BOND_UPDELAY);
	pb->downdelay_ms = sl_values_u64(&sl_port_settings, cfg, SL_PS_BOND_DOWNDELAY);
	snprintf(pb->primary, sizeof(pb->primary), "%s", cfg->v[SL_PS_BOND_PRIMARY]);
	pb->lacp.active = pb->lacp_mode == SL_LACP_ACTIVE;
	pb->lacp.fast = sl_values_u64(&sl_port_settings, cfg, SL_PS_LACP_TIME) == SL_LACP_FAST;
	pb->lacp.fallback_ab = sl_values_u64(&sl_port_settings, cfg, SL_PS_LACP_FALLBACK_AB);
	st->mode = pb->mode;
	for (unsigned int s = 0; s < SL_MAX_PORTS; s++)
		if (s != slot && sl_p.shm->ports[s].state == SL_PORT_ACTIVE &&
		    strcmp(sl_p.ports[s].cfg.v[SL_PS_BOND], name) == 0)
			member_add(slot, s);
	if (pb->n < 2) {
		snprintf(err, errlen, "bond \"%s\" has %u member%s: a bond needs at least 2", name,
			 pb->n, pb->n == 1 ? "" : "s");
		sl_bond_destroy(slot);
		return -EINVAL;
	}
	lacp_identity(pb);
	pb->next_rebalance_ms = sl_now_ms() + pb->rebalance_ms;
	bz->role[slot] = SL_BR_BOND;
	sl_bond_tick(sl_now_ms()); /* links and the first choice before it is published */
	return 0;
}

void
sl_bond_destroy(unsigned int slot)
{
	struct sl_pbond *pb = &bonds[slot];

	for (unsigned int i = 0; i < pb->n; i++)
		bz->bond_of[pb->m[i].slot] = SL_BOND_NONE;
	memset(&bz->bond[slot], 0, sizeof(bz->bond[slot]));
	bz->bond[slot].active = SL_BOND_NONE;
	bz->role[slot] = SL_BR_NONE;
	memset(pb, 0, sizeof(*pb));
}

void
sl_bond_port_removed(unsigned int slot)
{
	uint8_t b = bz->bond_of[slot];

	if (bz->role[slot] == SL_BR_BOND) {
		sl_bond_destroy(slot);
		return;
	}
	if (bz->role[slot] == SL_BR_MEMBER && b != SL_BOND_NONE) {
		struct sl_pbond *pb = &bonds[b];
		unsigned int k = 0;

		bz->bond[b].enabled[slot] = 0;
		for (unsigned int i = 0; i < pb->n; i++)
			if (pb->m[i].slot != slot)
				pb->m[k++] = pb->m[i];
		pb->n = k;
		for (unsigned int i = 0; i < k; i++)
			bz->bond[b].member[i] = pb->m[i].slot;
		bz->bond[b].n_members = k;
		pb->active = -1;
		lacp_identity(pb);
	}
	bz->role[slot] = SL_BR_NONE;
	bz->bond_of[slot] = SL_BOND_NONE;
}

bool
sl_bond_is_bond(unsigned int slot)
{
	return bonds[slot].used;
}

/* ---- links ---- */

static bool
link_up(const struct sl_pmember *pm)
{
	struct rte_eth_link link;

	if (pm->ifname[0] != '\0' && ioctl_fd >= 0) {
		struct ifreq ifr = { 0 };

		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", pm->ifname);
		if (ioctl(ioctl_fd, SIOCGIFFLAGS, &ifr) == 0)
			return (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
		return false;
	}
	if (rte_eth_link_get_nowait(sl_p.shm->ports[pm->slot].port_id, &link) < 0)
		return false;
	return link.link_status == RTE_ETH_LINK_UP;
}

static bool
any_link_enabled(const struct sl_pbond *pb)
{
	for (unsigned int i = 0; i < pb->n; i++)
		if (pb->m[i].link_enabled)
			return true;
	return false;
}

/* The carrier with the up and down delays (no updelay when no member is up, as in OVS). */
static void
poll_link(struct sl_pbond *pb, struct sl_pmember *pm, uint64_t now)
{
	pm->carrier = link_up(pm);
	if (pm->carrier == pm->link_enabled) {
		pm->delay_due_ms = 0;
		return;
	}
	if (pm->delay_due_ms == 0) {
		uint32_t d = pm->carrier ? (any_link_enabled(pb) ? pb->updelay_ms : 0)
					 : pb->downdelay_ms;

		pm->delay_due_ms = now + d;
	}
	if (now >= pm->delay_due_ms) {
		pm->link_enabled = pm->carrier;
		pm->delay_due_ms = 0;
		if (pm->carrier)
			pm->enabled_ms = now;
		PLOG(INFO, "bond member %s: link %s", sl_p.shm->ports[pm->slot].name,
		     pm->carrier ? "up: enabled" : "down: disabled");
	}
}

/* ---- LACP ---- */

static struct sl_pmember *
member_of_slot(unsigned int slot, struct sl_pbond **pbp)
{
	uint8_t b = bz->bond_of[slot];

	if (slot >= SL_MAX_PORTS || b == SL_BOND_NONE || !bonds[b].used)
		return NULL;
	for (unsigned int i = 0; i < bonds[b].n; i++)
		if (bonds[b].m[i].slot == slot) {
			*pbp = &bonds[b];
			return &bonds[b].m[i];
		}
	return NULL;
}

/* What the workers handed over: LACPDUs of members of bonds with LACP. */
static void
lacp_receive(uint64_t now)
{
	struct rte_mbuf *pkts[SL_BURST];

	for (unsigned int w = 0; w < SL_MAX_WORKERS; w++) {
		unsigned int n = rte_ring_sc_dequeue_burst(bz->lacp_rx[w], (void **)pkts, SL_BURST, NULL);

		for (unsigned int i = 0; i < n; i++) {
			struct rte_mbuf *m = pkts[i];
			uint8_t buf[RTE_ETHER_HDR_LEN + SL_LACP_PDU_LEN];
			uint32_t len = RTE_MIN(m->pkt_len, (uint32_t)sizeof(buf));
			const uint8_t *data = rte_pktmbuf_read(m, 0, len, buf);
			struct sl_pbond *pb;
			struct sl_pmember *pm = member_of_slot(m->hash.usr, &pb);
			bool changed;

			if (pm != NULL && data != NULL && pb->lacp_mode != SL_LACP_OFF)
				sl_lacp_rx(&pb->lacp, &pm->lacp, data, len, now, &changed);
			rte_pktmbuf_free(m);
		}
	}
}

static void
lacp_send(struct sl_pmember *pm, const uint8_t *frame)
{
	const struct sl_port *p = &sl_p.shm->ports[pm->slot];
	struct rte_mbuf *m = rte_pktmbuf_alloc(sl_p.shm->pktmbuf_pool);
	uint16_t len = RTE_ETHER_HDR_LEN + SL_LACP_PDU_LEN;
	char *d;

	if (m == NULL)
		return;
	d = rte_pktmbuf_append(m, len);
	if (d == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	memcpy(d, frame, len);
	/* A bridged port's device belongs to the bridge thread; a direct one's tx queue 0 to us. */
	if (p->bridged ? rte_ring_sp_enqueue(bz->lacp_tx[pm->slot], m) != 0
		       : rte_eth_tx_burst(p->port_id, 0, &m, 1) != 1)
		rte_pktmbuf_free(m);
}

uint16_t
sl_bond_bridge_tx(unsigned int slot)
{
	struct rte_mbuf *pkts[8];
	unsigned int n, sent;

	if (bz == NULL)
		return 0;
	n = rte_ring_sc_dequeue_burst(bz->lacp_tx[slot], (void **)pkts, 8, NULL);
	if (n == 0)
		return 0;
	sent = sl_port_tx_bridged(slot, 0, pkts, n); /* the bridge thread: its queue 0 */
	if (sent < n)
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	return n;
}

static void
lacp_run(struct sl_pbond *pb, uint64_t now)
{
	struct sl_lacp_member *ms[SL_BOND_MAX_MEMBERS];
	uint8_t frame[RTE_ETHER_HDR_LEN + SL_LACP_PDU_LEN];

	for (unsigned int i = 0; i < pb->n; i++) {
		struct sl_pmember *pm = &pb->m[i];

		/* No carrier: nothing heard, nothing to say (OVS: lacp_member_carrier_changed). */
		if (!pm->carrier && pm->lacp.status != SL_LACP_DEFAULTED) {
			pm->lacp.status = SL_LACP_DEFAULTED;
			memset(&pm->lacp.partner, 0, sizeof(pm->lacp.partner));
		}
		sl_lacp_timers(&pm->lacp, now);
		ms[i] = &pm->lacp;
	}
	sl_lacp_select(&pb->lacp, ms, pb->n);
	for (unsigned int i = 0; i < pb->n; i++)
		if (pb->m[i].carrier && sl_lacp_tx_due(&pb->lacp, &pb->m[i].lacp, now, &pb->m[i].mac, frame))
			lacp_send(&pb->m[i], frame);
}

/* ---- choice ---- */

/* The mode in force: balance modes fall back to active-backup without negotiated LACP. */
static uint8_t
mode_in_force(const struct sl_pbond *pb)
{
	if (pb->lacp_mode != SL_LACP_OFF && !pb->lacp.negotiated && pb->lacp.fallback_ab)
		return SL_BM_AB;
	return pb->mode;
}

/* Keep the active member while it may carry traffic; bond-primary takes over when it comes
 * (back) up, as in Open vSwitch, not after bond-set-active-member chose another. */
static void
choose_active(struct sl_pbond *pb)
{
	int pick = pb->active >= 0 && pb->m[pb->active].may_enable ? pb->active : -1;

	for (unsigned int i = 0; i < pb->n; i++)
		if (pb->m[i].may_enable && (!pb->m[i].was_enabled || pick < 0) &&
		    pb->primary[0] != '\0' &&
		    strcmp(sl_p.shm->ports[pb->m[i].slot].name, pb->primary) == 0)
			pick = i;
	for (unsigned int i = 0; pick < 0 && i < pb->n; i++)
		if (pb->m[i].may_enable)
			pick = i;
	if (pick != pb->active)
		PLOG(INFO, "bond %s: active member %s", pb->name,
		     pick >= 0 ? sl_p.shm->ports[pb->m[pick].slot].name : "none");
	pb->active = pick;
	for (unsigned int i = 0; i < pb->n; i++)
		pb->m[i].was_enabled = pb->m[i].may_enable;
}

/* Buckets on a member that may not carry traffic go to the least-loaded one that may. */
static void
fix_buckets(struct sl_pbond *pb, struct sl_bond_state *st)
{
	uint64_t load[SL_MAX_PORTS] = { 0 };
	unsigned int count[SL_MAX_PORTS] = { 0 };

	for (unsigned int b = 0; b < SL_BOND_BUCKETS; b++)
		if (st->bucket[b] != SL_BOND_NONE && st->enabled[st->bucket[b]]) {
			load[st->bucket[b]] += pb->load[b];
			count[st->bucket[b]]++;
		}
	for (unsigned int b = 0; b < SL_BOND_BUCKETS; b++) {
		int best = -1;

		if (st->bucket[b] != SL_BOND_NONE && st->enabled[st->bucket[b]])
			continue;
		for (unsigned int i = 0; i < pb->n; i++) {
			unsigned int s = pb->m[i].slot;

			if (st->enabled[s] && (best < 0 || load[s] < load[best] ||
					       (load[s] == load[best] && count[s] < count[best])))
				best = s;
		}
		__atomic_store_n(&st->bucket[b], best < 0 ? SL_BOND_NONE : best, __ATOMIC_RELAXED);
		if (best >= 0) {
			load[best] += pb->load[b];
			count[best]++;
		}
	}
}

/* Every interval: the last interval's load per bucket, and buckets moved from the busiest
 * member to the idlest while that narrows the gap (Open vSwitch's bond_rebalance). */
static void
rebalance(struct sl_pbond *pb, unsigned int slot, struct sl_bond_state *st, uint64_t now)
{
	uint64_t mload[SL_MAX_PORTS] = { 0 };

	if (pb->rebalance_ms == 0 || now < pb->next_rebalance_ms)
		return;
	pb->next_rebalance_ms = now + pb->rebalance_ms;
	for (unsigned int b = 0; b < SL_BOND_BUCKETS; b++) {
		uint64_t t = 0;

		for (unsigned int w = 0; w < SL_MAX_WORKERS; w++)
			t += __atomic_load_n(&bz->load[w][slot][b], __ATOMIC_RELAXED);
		pb->load[b] = t - pb->last_total[b];
		pb->last_total[b] = t;
		if (st->bucket[b] != SL_BOND_NONE)
			mload[st->bucket[b]] += pb->load[b];
	}
	if (mode_in_force(pb) == SL_BM_AB)
		return;
	for (int moves = 0; moves < 32; moves++) {
		int from = -1, to = -1, pick = -1;
		uint64_t gap, best = 0;

		for (unsigned int i = 0; i < pb->n; i++) {
			unsigned int s = pb->m[i].slot;

			if (!st->enabled[s])
				continue;
			if (from < 0 || mload[s] > mload[from])
				from = s;
			if (to < 0 || mload[s] < mload[to])
				to = s;
		}
		if (from < 0 || from == to)
			return;
		gap = mload[from] - mload[to];
		/* The bucket that brings the two closest: load nearest gap / 2, below gap. */
		for (unsigned int b = 0; b < SL_BOND_BUCKETS; b++) {
			uint64_t l = pb->load[b];

			if (st->bucket[b] != from || l == 0 || l >= gap)
				continue;
			uint64_t score = l <= gap / 2 ? l : gap - l;

			if (score > best) {
				best = score;
				pick = b;
			}
		}
		if (pick < 0)
			return;
		__atomic_store_n(&st->bucket[pick], to, __ATOMIC_RELAXED);
		mload[from] -= pb->load[pick];
		mload[to] += pb->load[pick];
	}
}

static void
bond_run(unsigned int slot, uint64_t now)
{
	struct sl_pbond *pb = &bonds[slot];
	struct sl_bond_state *st = &bz->bond[slot];
	uint8_t mode;

	for (unsigned int i = 0; i < pb->n; i++)
		poll_link(pb, &pb->m[i], now);
	if (pb->lacp_mode != SL_LACP_OFF)
		lacp_run(pb, now);
	for (unsigned int i = 0; i < pb->n; i++) {
		struct sl_pmember *pm = &pb->m[i];

		pm->may_enable = pm->link_enabled && !pm->admin_disabled &&
				 (pb->lacp_mode == SL_LACP_OFF || sl_lacp_may_enable(&pb->lacp, &pm->lacp));
	}
	mode = mode_in_force(pb);
	choose_active(pb);
	for (unsigned int i = 0; i < pb->n; i++) {
		/* active-backup carries on the active member alone */
		bool en = pb->m[i].may_enable && (mode != SL_BM_AB || (int)i == pb->active);

		__atomic_store_n(&st->enabled[pb->m[i].slot], en, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&st->mode, mode, __ATOMIC_RELAXED);
	__atomic_store_n(&st->active, pb->active >= 0 ? pb->m[pb->active].slot : SL_BOND_NONE,
			 __ATOMIC_RELAXED);
	fix_buckets(pb, st);
	rebalance(pb, slot, st, now);
}

void
sl_bond_tick(uint64_t now_ms)
{
	if (bz == NULL)
		return;
	lacp_receive(now_ms);
	for (unsigned int s = 0; s < SL_MAX_PORTS; s++)
		if (bonds[s].used)
			bond_run(s, now_ms);
}

/* ---- commands ---- */

struct sl_text {
	char *buf;
	size_t len, cap;
};

static void __attribute__((format(printf, 2, 3)))
put(struct sl_text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (t->len + n < t->cap) {
			t->len += n;
			return;
		}
		char *nb = realloc(t->buf, t->cap * 2 + n);

		if (nb == NULL)
			return;
		t->buf = nb;
		t->cap = t->cap * 2 + n;
	}
}

/* A MAC as Open vSwitch prints it: lower case. */
static void
fmt_mac(char *buf, size_t len, const struct rte_ether_addr *a)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", a->addr_bytes[0], a->addr_bytes[1],
		 a->addr_bytes[2], a->addr_bytes[3], a->addr_bytes[4], a->addr_bytes[5]);
}

static const char *const mode_names[] = { "active-backup", "balance-slb", "balance-tcp" };

static const char *
lacp_status(const struct sl_pbond *pb)
{
	if (pb->lacp_mode == SL_LACP_OFF)
		return "off";
	return pb->lacp.negotiated ? "negotiated" : "configured";
}

static void
show_bond(struct sl_text *t, unsigned int slot, uint64_t now)
{
	const struct sl_pbond *pb = &bonds[slot];
	const struct sl_bond_state *st = &bz->bond[slot];
	char mac[RTE_ETHER_ADDR_FMT_SIZE] = "00:00:00:00:00:00";

	put(t, "---- %s ----\n", pb->name);
	put(t, "bond_mode: %s\n", mode_names[pb->mode]);
	if (mode_in_force(pb) != pb->mode)
		put(t, "bond_mode in force: %s (lacp-fallback-ab)\n", mode_names[mode_in_force(pb)]);
	put(t, "updelay: %u ms\n", pb->updelay_ms);
	put(t, "downdelay: %u ms\n", pb->downdelay_ms);
	if (pb->mode != SL_BM_AB && pb->rebalance_ms != 0)
		put(t, "next rebalance: %" PRIu64 " ms\n",
		    pb->next_rebalance_ms > now ? pb->next_rebalance_ms - now : 0);
	put(t, "lacp_status: %s\n", lacp_status(pb));
	put(t, "lacp_fallback_ab: %s\n", pb->lacp.fallback_ab ? "true" : "false");
	put(t, "active-backup primary: %s\n", pb->primary[0] ? pb->primary : "<none>");
	if (pb->active >= 0)
		fmt_mac(mac, sizeof(mac), &pb->m[pb->active].mac);
	put(t, "active member mac: %s(%s)\n", mac,
	    pb->active >= 0 ? sl_p.shm->ports[pb->m[pb->active].slot].name : "none");
	for (unsigned int i = 0; i < pb->n; i++) {
		const struct sl_pmember *pm = &pb->m[i];
		unsigned int s = pm->slot;

		put(t, "\nmember %s: %s\n", sl_p.shm->ports[s].name,
		    st->enabled[s] || (pm->may_enable && pb->mode == SL_BM_AB) ? "enabled" : "disabled");
		if ((int)i == pb->active)
			put(t, "  active member\n");
		put(t, "  may_enable: %s\n", pm->may_enable ? "true" : "false");
		if (pm->delay_due_ms > now)
			put(t, "  %s expires in %" PRIu64 " ms\n", pm->carrier ? "updelay" : "downdelay",
			    pm->delay_due_ms - now);
		if (pm->admin_disabled)
			put(t, "  disabled by bond-disable-member\n");
		if (mode_in_force(pb) == SL_BM_AB)
			continue;
		for (unsigned int b = 0; b < SL_BOND_BUCKETS; b++)
			if (st->bucket[b] == s)
				put(t, "  hash %u: %" PRIu64 " kB load\n", b, pb->load[b] / 1024);
	}
}

static void
show_lacp(struct sl_text *t, unsigned int slot)
{
	const struct sl_pbond *pb = &bonds[slot];
	char mac[RTE_ETHER_ADDR_FMT_SIZE], st[160];

	if (pb->lacp_mode == SL_LACP_OFF)
		return;
	fmt_mac(mac, sizeof(mac), &pb->lacp.sys_id);
	put(t, "---- %s ----\n", pb->name);
	put(t, "  status: %s%s\n", pb->lacp.active ? "active" : "passive",
	    pb->lacp.negotiated ? " negotiated" : "");
	put(t, "  sys_id: %s\n", mac);
	put(t, "  sys_priority: %u\n", pb->lacp.sys_priority);
	put(t, "  aggregation key: %u\n", pb->lacp.key);
	put(t, "  lacp_time: %s\n", pb->lacp.fast ? "fast" : "slow");
	for (unsigned int i = 0; i < pb->n; i++) {
		const struct sl_pmember *pm = &pb->m[i];
		static const char *const status[] = { "current", "expired", "defaulted" };
		struct sl_lacp_info a;

		sl_lacp_actor(&pb->lacp, &pm->lacp, &a);
		put(t, "\nmember: %s: %s %s\n", sl_p.shm->ports[pm->slot].name,
		    status[pm->lacp.status], pm->lacp.attached ? "attached" : "detached");
		put(t, "  port_id: %u\n", pm->lacp.port_id);
		put(t, "  port_priority: %u\n", pm->lacp.port_priority);
		put(t, "  may_enable: %s\n", sl_lacp_may_enable(&pb->lacp, &pm->lacp) ? "true" : "false");
		fmt_mac(mac, sizeof(mac), &a.sys_id);
		sl_lacp_state_text(a.state, st, sizeof(st));
		put(t, "\n  actor sys_id: %s\n  actor sys_priority: %u\n  actor port_id: %u\n"
		       "  actor port_priority: %u\n  actor key: %u\n  actor state:%s\n",
		    mac, a.sys_priority, a.port_id, a.port_priority, a.key, st);
		fmt_mac(mac, sizeof(mac), &pm->lacp.partner.sys_id);
		sl_lacp_state_text(pm->lacp.partner.state, st, sizeof(st));
		put(t, "\n  partner sys_id: %s\n  partner sys_priority: %u\n  partner port_id: %u\n"
		       "  partner port_priority: %u\n  partner key: %u\n  partner state:%s\n",
		    mac, pm->lacp.partner.sys_priority, pm->lacp.partner.port_id,
		    pm->lacp.partner.port_priority, pm->lacp.partner.key, st);
		put(t, "  rx_pdus: %" PRIu64 "  rx_bad: %" PRIu64 "  tx_pdus: %" PRIu64 "\n",
		    pm->lacp.rx_pdus, pm->lacp.rx_bad, pm->lacp.tx_pdus);
	}
}

int
sl_bond_show(const char *name, bool lacp, char **out)
{
	struct sl_text t = { malloc(4096), 0, 4096 };
	uint64_t now = sl_now_ms();
	int one = -1;

	if (t.buf == NULL)
		return -ENOMEM;
	t.buf[0] = '\0';
	if (name[0] != '\0') {
		one = bond_slot_by_name(name);
		if (one < 0) {
			free(t.buf);
			return -ENOENT;
		}
	}
	for (unsigned int s = 0; s < SL_MAX_PORTS; s++) {
		if (!bonds[s].used || (one >= 0 && (int)s != one))
			continue;
		if (t.len != 0)
			put(&t, "\n");
		if (lacp)
			show_lacp(&t, s);
		else
			show_bond(&t, s, now);
	}
	if (t.len > 0 && t.buf[t.len - 1] == '\n')
		t.buf[--t.len] = '\0';
	*out = t.buf;
	return 0;
}

int
sl_bond_member_cmd(const char *bond, const char *member, int what, char *err, size_t errlen)
{
	int b = bond_slot_by_name(bond), ms = sl_port_find(member);
	struct sl_pbond *pb;
	int idx = -1;

	if (b < 0) {
		snprintf(err, errlen, "no bond \"%s\"", bond);
		return -ENOENT;
	}
	pb = &bonds[b];
	for (unsigned int i = 0; ms >= 0 && i < pb->n; i++)
		if (pb->m[i].slot == ms)
			idx = i;
	if (idx < 0) {
		snprintf(err, errlen, "bond \"%s\" has no member \"%s\"", bond, member);
		return -ENOENT;
	}
	switch (what) {
	case SL_BOND_CMD_ACTIVE:
		if (!pb->m[idx].may_enable) {
			snprintf(err, errlen, "member \"%s\" of bond \"%s\" is not enabled", member, bond);
			return -EINVAL;
		}
		pb->active = idx;
		break;
	case SL_BOND_CMD_ENABLE:
		pb->m[idx].admin_disabled = false;
		break;
	default:
		pb->m[idx].admin_disabled = true;
		break;
	}
	bond_run(b, sl_now_ms());
	return 0;
}
