/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The text of bond-show and lacp-show, as ovs-appctl bond/show and
 * lacp/show print it, and the member commands (bond-set-active-member,
 * bond-enable-member, bond-disable-member), on the bonds bond.c runs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bond_private.h"
#include "primary_bond.h"
#include "util.h"

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
	const struct sl_pbond *pb = &sl_pbonds[slot];
	const struct sl_bond_state *st = &sl_pbz->bond[slot];
	char mac[RTE_ETHER_ADDR_FMT_SIZE] = "00:00:00:00:00:00";

	put(t, "---- %s ----\n", pb->name);
	put(t, "bond_mode: %s\n", mode_names[pb->mode]);
	if (sl_pbond_mode(pb) != pb->mode)
		put(t, "bond_mode in force: %s (lacp-fallback-ab)\n", mode_names[sl_pbond_mode(pb)]);
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
		if (sl_pbond_mode(pb) == SL_BM_AB)
			continue;
		for (unsigned int b = 0; b < SL_BOND_BUCKETS; b++)
			if (st->bucket[b] == s)
				put(t, "  hash %u: %" PRIu64 " kB load\n", b, pb->load[b] / 1024);
	}
}

static void
show_lacp(struct sl_text *t, unsigned int slot)
{
	const struct sl_pbond *pb = &sl_pbonds[slot];
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
		one = sl_pbond_by_name(name);
		if (one < 0) {
			free(t.buf);
			return -ENOENT;
		}
	}
	for (unsigned int s = 0; s < SL_MAX_PORTS; s++) {
		if (!sl_pbonds[s].used || (one >= 0 && (int)s != one))
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
	int b = sl_pbond_by_name(bond), ms = sl_port_find(member);
	struct sl_pbond *pb;
	int idx = -1;

	if (b < 0) {
		snprintf(err, errlen, "no bond \"%s\"", bond);
		return -ENOENT;
	}
	pb = &sl_pbonds[b];
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
	sl_pbond_run(b, sl_now_ms());
	return 0;
}
