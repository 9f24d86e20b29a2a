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
 * What bond-show and lacp-show print, and the member commands, are in
 * bond_cmds.c.
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
#include "bond_private.h"
#include "lacp.h"
#include "primary.h"
#include "primary_bond.h"
#include "util.h"

struct sl_bond_zone *sl_pbz;
struct sl_pbond sl_pbonds[SL_MAX_PORTS];
static int ioctl_fd = -1;

struct sl_bond_zone *
sl_bond_zone(void)
{
	return sl_pbz;
}

int
sl_bonds_init(void)
{
	const struct rte_memzone *mz =
		rte_memzone_reserve(SL_BOND_ZONE, sizeof(*sl_pbz), SOCKET_ID_ANY, RTE_MEMZONE_SIZE_HINT_ONLY);
	char name[RTE_RING_NAMESIZE];

	if (mz == NULL)
		mz = rte_memzone_lookup(SL_BOND_ZONE);
	if (mz == NULL)
		return -ENOMEM;
	sl_pbz = mz->addr;
	memset(sl_pbz, 0, sizeof(*sl_pbz));
	memset(sl_pbz->bond_of, SL_BOND_NONE, sizeof(sl_pbz->bond_of));
	for (unsigned int w = 0; w < SL_MAX_WORKERS; w++) {
		snprintf(name, sizeof(name), "sl_lacp_rx%u", w);
		sl_pbz->lacp_rx[w] = rte_ring_lookup(name);
		if (sl_pbz->lacp_rx[w] == NULL)
			sl_pbz->lacp_rx[w] = rte_ring_create(name, SL_LACP_RING_SIZE, SOCKET_ID_ANY,
							 RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (sl_pbz->lacp_rx[w] == NULL)
			return -ENOMEM;
	}
	for (unsigned int s = 0; s < SL_MAX_PORTS; s++) {
		snprintf(name, sizeof(name), "sl_lacp_tx%u", s);
		sl_pbz->lacp_tx[s] = rte_ring_lookup(name);
		if (sl_pbz->lacp_tx[s] == NULL)
			sl_pbz->lacp_tx[s] = rte_ring_create(name, 64, SOCKET_ID_ANY,
							 RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (sl_pbz->lacp_tx[s] == NULL)
			return -ENOMEM;
	}
	ioctl_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return 0;
}

/* ---- membership ---- */

int
sl_pbond_by_name(const char *name)
{
	int s = sl_port_find(name);

	return s >= 0 && sl_pbonds[s].used ? s : -1;
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
	struct sl_pbond *pb = &sl_pbonds[b];
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
	sl_pbz->bond_of[slot] = b;
	sl_pbz->bond[b].member[pb->n - 1] = slot;
	sl_pbz->bond[b].n_members = pb->n;
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
	sl_pbz->role[slot] = SL_BR_MEMBER;
	sl_pbz->bond_of[slot] = SL_BOND_NONE;
	b = sl_pbond_by_name(of);
	if (b >= 0) {
		member_add(b, slot);
		lacp_identity(&sl_pbonds[b]);
	}
}

/* The bond settings of @cfg into @pb. */
static void
read_conf(struct sl_pbond *pb, const struct sl_values *cfg)
{
	pb->mode = sl_values_u64(&sl_port_settings, cfg, SL_PS_BOND_MODE);
	pb->lacp_mode = sl_values_u64(&sl_port_settings, cfg, SL_PS_LACP);
	pb->rebalance_ms = sl_values_u64(&sl_port_settings, cfg, SL_PS_BOND_REBALANCE_INTERVAL);
	pb->updelay_ms = sl_values_u64(&sl_port_settings, cfg, SL_PS_BOND_UPDELAY);
	pb->downdelay_ms = sl_values_u64(&sl_port_settings, cfg, SL_PS_BOND_DOWNDELAY);
	snprintf(pb->primary, sizeof(pb->primary), "%s", cfg->v[SL_PS_BOND_PRIMARY]);
	pb->lacp.active = pb->lacp_mode == SL_LACP_ACTIVE;
	pb->lacp.fast = sl_values_u64(&sl_port_settings, cfg, SL_PS_LACP_TIME) == SL_LACP_FAST;
	pb->lacp.fallback_ab = sl_values_u64(&sl_port_settings, cfg, SL_PS_LACP_FALLBACK_AB);
}

int
sl_bond_reconfigure(unsigned int slot, const struct sl_values *cfg, char *err, size_t errlen)
{
	struct sl_pbond *pb = &sl_pbonds[slot];
	uint8_t lacp_was = pb->lacp_mode;
	bool fast_was = pb->lacp.fast, primary_changed;
	const char *prim = cfg->v[SL_PS_BOND_PRIMARY];
	uint64_t now = sl_now_ms();
	unsigned int i;

	for (i = 0; prim[0] != '\0' && i < pb->n; i++)
		if (strcmp(sl_p.shm->ports[pb->m[i].slot].name, prim) == 0)
			break;
	if (prim[0] != '\0' && i == pb->n) {
		snprintf(err, errlen, "bond-primary=%s is not a member of bond \"%s\"", prim, pb->name);
		return -EINVAL;
	}
	primary_changed = strcmp(pb->primary, prim) != 0;
	read_conf(pb, cfg);
	if (pb->lacp_mode != lacp_was) {
		/* LACP starts over, as Open vSwitch's does when lacp= changes: partners defaulted. */
		pb->lacp.negotiated = false;
		for (i = 0; i < pb->n; i++)
			sl_lacp_member_init(&pb->m[i].lacp, pb->m[i].lacp.port_id);
		lacp_identity(pb);
	} else if (pb->lacp.fast != fast_was) {
		/* The partner learns the new timeout from the next LACPDU: send it now. */
		for (i = 0; i < pb->n; i++)
			pb->m[i].lacp.tx_due_ms = now;
	}
	pb->next_rebalance_ms = now + pb->rebalance_ms;
	/* A new bond-primary takes over at once if it may (choose_active prefers it). */
	if (primary_changed)
		pb->active = -1;
	sl_pbond_run(slot, now);
	return 0;
}

int
sl_bond_create(unsigned int slot, const char *name, const struct sl_values *cfg, char *err,
	       size_t errlen)
{
	struct sl_pbond *pb = &sl_pbonds[slot];
	struct sl_bond_state *st = &sl_pbz->bond[slot];

	memset(pb, 0, sizeof(*pb));
	memset(st, 0, sizeof(*st));
	memset(st->bucket, SL_BOND_NONE, sizeof(st->bucket));
	st->active = SL_BOND_NONE;
	pb->used = true;
	snprintf(pb->name, sizeof(pb->name), "%s", name);
	pb->active = -1;
	read_conf(pb, cfg);
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
	sl_pbz->role[slot] = SL_BR_BOND;
	sl_bond_tick(sl_now_ms()); /* links and the first choice before it is published */
	return 0;
}

void
sl_bond_destroy(unsigned int slot)
{
	struct sl_pbond *pb = &sl_pbonds[slot];

	for (unsigned int i = 0; i < pb->n; i++)
		sl_pbz->bond_of[pb->m[i].slot] = SL_BOND_NONE;
	memset(&sl_pbz->bond[slot], 0, sizeof(sl_pbz->bond[slot]));
	sl_pbz->bond[slot].active = SL_BOND_NONE;
	sl_pbz->role[slot] = SL_BR_NONE;
	memset(pb, 0, sizeof(*pb));
}

void
sl_bond_port_removed(unsigned int slot)
{
	uint8_t b = sl_pbz->bond_of[slot];

	if (sl_pbz->role[slot] == SL_BR_BOND) {
		sl_bond_destroy(slot);
		return;
	}
	if (sl_pbz->role[slot] == SL_BR_MEMBER && b != SL_BOND_NONE) {
		struct sl_pbond *pb = &sl_pbonds[b];
		unsigned int k = 0;

		sl_pbz->bond[b].enabled[slot] = 0;
		for (unsigned int i = 0; i < pb->n; i++)
			if (pb->m[i].slot != slot)
				pb->m[k++] = pb->m[i];
		pb->n = k;
		for (unsigned int i = 0; i < k; i++)
			sl_pbz->bond[b].member[i] = pb->m[i].slot;
		sl_pbz->bond[b].n_members = k;
		pb->active = -1;
		lacp_identity(pb);
	}
	sl_pbz->role[slot] = SL_BR_NONE;
	sl_pbz->bond_of[slot] = SL_BOND_NONE;
}

bool
sl_bond_is_bond(unsigned int slot)
{
	return sl_pbonds[slot].used;
}

unsigned int
sl_bond_members(unsigned int slot, unsigned int *slots)
{
	const struct sl_pbond *pb = &sl_pbonds[slot];

	if (!sl_bond_is_bond(slot))
		return 0;
	for (unsigned int i = 0; i < pb->n; i++)
		slots[i] = pb->m[i].slot;
	return pb->n;
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
	uint8_t b = sl_pbz->bond_of[slot];

	if (slot >= SL_MAX_PORTS || b == SL_BOND_NONE || !sl_pbonds[b].used)
		return NULL;
	for (unsigned int i = 0; i < sl_pbonds[b].n; i++)
		if (sl_pbonds[b].m[i].slot == slot) {
			*pbp = &sl_pbonds[b];
			return &sl_pbonds[b].m[i];
		}
	return NULL;
}

/* What the workers handed over: LACPDUs of members of bonds with LACP. */
static void
lacp_receive(uint64_t now)
{
	struct rte_mbuf *pkts[SL_BURST];

	for (unsigned int w = 0; w < SL_MAX_WORKERS; w++) {
		unsigned int n = rte_ring_sc_dequeue_burst(sl_pbz->lacp_rx[w], (void **)pkts, SL_BURST, NULL);

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
	if (p->bridged ? rte_ring_sp_enqueue(sl_pbz->lacp_tx[pm->slot], m) != 0
		       : rte_eth_tx_burst(p->port_id, 0, &m, 1) != 1)
		rte_pktmbuf_free(m);
}

uint16_t
sl_bond_bridge_tx(unsigned int slot)
{
	struct rte_mbuf *pkts[8];
	unsigned int n, sent;

	if (sl_pbz == NULL)
		return 0;
	n = rte_ring_sc_dequeue_burst(sl_pbz->lacp_tx[slot], (void **)pkts, 8, NULL);
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
uint8_t
sl_pbond_mode(const struct sl_pbond *pb)
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
			t += __atomic_load_n(&sl_pbz->load[w][slot][b], __ATOMIC_RELAXED);
		pb->load[b] = t - pb->last_total[b];
		pb->last_total[b] = t;
		if (st->bucket[b] != SL_BOND_NONE)
			mload[st->bucket[b]] += pb->load[b];
	}
	if (sl_pbond_mode(pb) == SL_BM_AB)
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

void
sl_pbond_run(unsigned int slot, uint64_t now)
{
	struct sl_pbond *pb = &sl_pbonds[slot];
	struct sl_bond_state *st = &sl_pbz->bond[slot];
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
	mode = sl_pbond_mode(pb);
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
	if (sl_pbz == NULL)
		return;
	lacp_receive(now_ms);
	for (unsigned int s = 0; s < SL_MAX_PORTS; s++)
		if (sl_pbonds[s].used)
			sl_pbond_run(s, now_ms);
}
