/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports: hotplug, configuration and MTU.  A port is published to the
 * workers only once it is started, and torn down only after every worker
 * and the bridge thread have passed a quiescent state since it was
 * unpublished.  This file decides when; port_dev.c configures and starts
 * the device, hotplug.c attaches and detaches it, mempools.c keeps the
 * pools its rx queues take from.
 *
 * Direct ports (net_ring, net_null, PCI devices) keep their queue state in
 * shared memory, so workers poll and transmit on them themselves.  Ports
 * whose state is private to the process that opened them (net_pcap's files,
 * net_tap's and net_vhost's descriptors, net_af_packet's socket) are
 * bridged: the primary's bridge thread (bridge.c) polls and transmits on
 * them and moves packets to and from the workers over SP/SC rings.  A bridged device is attached in the
 * primary alone (rte_vdev_init, not rte_dev_probe): no secondary opens its
 * files or sockets, so a worker starting or restarting cannot truncate a
 * pcap output, a stopped secondary cannot block its hotplug, and PMDs that
 * crash in a secondary (net_af_packet in 22.11) are safe to use.  A pcap
 * port that only reads is direct (see needs_bridge() in hotplug.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "mactable.h"
#include "primary.h"
#include "primary_bond.h"
#include "settings.h"
#include "util.h"


int
sl_port_find(const char *name)
{
	for (unsigned int i = 0; i < SL_MAX_PORTS; i++)
		if (sl_p.shm->ports[i].state == SL_PORT_ACTIVE &&
		    strcmp(sl_p.shm->ports[i].name, name) == 0)
			return i;
	return -1;
}

int
sl_port_resolve(void *ctx, const char *name, uint16_t *ofport)
{
	int slot = sl_port_find(name);

	(void)ctx;
	if (slot < 0)
		return -ENOENT;
	*ofport = sl_p.shm->ports[slot].ofport;
	return 0;
}

static void
publish_ports_change(void)
{
	__atomic_fetch_add(&sl_p.shm->ports_gen, 1, __ATOMIC_RELEASE);
}

static int
free_slot(void)
{
	for (unsigned int i = 0; i < SL_MAX_PORTS; i++)
		if (sl_p.shm->ports[i].state == SL_PORT_FREE)
			return i;
	return -1;
}

static uint16_t
lowest_free_ofport(void)
{
	for (uint32_t of = 1; of <= SL_OFPORT_MAX; of++)
		if (sl_p.shm->ofport_to_slot[of] == SL_NO_SLOT)
			return of;
	return SL_OFPORT_NONE;
}

static void
port_publish(unsigned int slot)
{
	struct sl_port *p = &sl_p.shm->ports[slot];
	struct sl_port_priv *pp = &sl_p.ports[slot];
	char ignore[128];

	/* The pins of the settings in force (which a failed restart put back). */
	if (sl_rxq_affinity_parse(pp->cfg.v[SL_PS_PMD_RXQ_AFFINITY], &pp->affinity, ignore,
				  sizeof(ignore)) < 0)
		memset(&pp->affinity, 0, sizeof(pp->affinity));

	sl_p.shm->ofport_to_slot[p->ofport] = slot;
	__atomic_store_n(&p->state, SL_PORT_ACTIVE, __ATOMIC_RELEASE);
	publish_ports_change();
	sl_workers_assign_rxqs();
}

/* Hide the port from workers, the bridge thread and the read thread. */
static void
port_hide(unsigned int slot)
{
	struct sl_port *p = &sl_p.shm->ports[slot];

	__atomic_store_n(&p->state, SL_PORT_RETIRING, __ATOMIC_RELEASE);
	sl_p.shm->ofport_to_slot[p->ofport] = SL_NO_SLOT;
	publish_ports_change();
	sl_workers_assign_rxqs();
}

/* Hide the port, and wait until no worker or bridge thread can still touch
 * it: all are readers of the one RCU. */
static void
port_unpublish(unsigned int slot)
{
	port_hide(slot);
	sl_rcu_synchronize();
}

static void
port_forget(unsigned int slot)
{
	struct sl_port *p = &sl_p.shm->ports[slot];
	struct sl_port_priv *pp = &sl_p.ports[slot];

	sl_mac_flush_port(sl_p.shm->mac_table, &sl_p.shm->mac_gen, p->ofport);
	sl_bond_port_removed(slot);
	/* Never published, or unpublished and past a grace period: the bridge
	 * thread no longer counts for this slot. */
	atomic_store_explicit(&sl_p.bridge_dropped[slot], 0, memory_order_relaxed);
	atomic_store_explicit(&sl_p.bridge_rx_dropped[slot], 0, memory_order_relaxed);
	atomic_store_explicit(&sl_p.bridge_tx_retries[slot], 0, memory_order_relaxed);
	__atomic_store_n(&p->link_down, 0, __ATOMIC_RELAXED);
	if (pp->pool != NULL)
		sl_mempool_put(slot, pp->pool);
	memset(pp, 0, sizeof(*pp));
	p->name[0] = '\0';
	p->ofport = SL_OFPORT_NONE;
	__atomic_store_n(&p->state, SL_PORT_FREE, __ATOMIC_RELEASE);
}

/* Check @s and parse its settings into @cfg: all or nothing. */
static int
validate_spec(const Sluice__PortSpec *s, uint16_t *ofport, struct sl_values *cfg, char *err,
	      size_t errlen)
{
	int rc;

	rc = sl_port_name_check(s->name, err, errlen);
	if (rc == 0)
		rc = sl_devargs_check(s->devargs, err, errlen);
	if (rc < 0)
		return rc;
	if (sl_port_find(s->name) >= 0) {
		snprintf(err, errlen, "port \"%s\" already exists", s->name);
		return -EEXIST;
	}
	rc = sl_port_ofport_check(s->name, s->ofport, err, errlen);
	if (rc < 0)
		return rc;
	if (rc != 0 && sl_p.shm->ofport_to_slot[rc] != SL_NO_SLOT) {
		snprintf(err, errlen, "ofport %u is taken by port \"%s\"", (unsigned int)rc,
			 sl_p.shm->ports[sl_p.shm->ofport_to_slot[rc]].name);
		return -EEXIST;
	}
	*ofport = rc != 0 ? (uint16_t)rc : lowest_free_ofport();
	sl_values_init(cfg, &sl_port_settings);
	for (size_t i = 0; i < s->n_settings; i++) {
		rc = sl_values_set_kv(&sl_port_settings, cfg, s->settings[i], err, errlen);
		if (rc < 0)
			return rc;
	}
	return sl_values_check_all(&sl_port_settings, cfg, err, errlen);
}

static uint16_t
cfg_u16(const struct sl_values *cfg, int id)
{
	return (uint16_t)sl_values_u64(&sl_port_settings, cfg, id);
}

/* Apply one setting that changes on a running port; -errno leaves it as it was. */
static int
apply_live(unsigned int slot, int id, const struct sl_values *next, char *err, size_t errlen)
{
	struct sl_port_priv *pp = &sl_p.ports[slot];
	char ignore[256];
	int rc = 0;

	/* A switch over the enum: -Wswitch names a setting left without a way in. */
	switch ((enum sl_port_setting_id)id) {
	case SL_PS_MTU:
		rc = sl_port_apply_mtu(slot, cfg_u16(next, id), err, errlen);
		if (rc < 0)
			sl_port_apply_mtu(slot, cfg_u16(&pp->cfg, id), ignore, sizeof(ignore));
		break;
	case SL_PS_RX_FLOW_CTRL:
	case SL_PS_TX_FLOW_CTRL:
	case SL_PS_FLOW_CTRL_AUTONEG:
		rc = sl_port_apply_flow_ctrl(slot, next, err, errlen);
		break;
	case SL_PS_QOS:
	case SL_PS_CIR:
	case SL_PS_CBS:
	case SL_PS_INGRESS_POLICING_RATE:
	case SL_PS_INGRESS_POLICING_BURST:
		rc = sl_qos_apply(slot, next, err, errlen);
		break;
	case SL_PS_PMD_RXQ_AFFINITY:
		sl_pmd_set_affinity(slot, next->v[id]);
		break;
	case SL_PS_TX_RETRIES_MAX:
		__atomic_store_n(&pp->tx_retries_max, (uint32_t)sl_values_u64(&sl_port_settings, next, id),
				 __ATOMIC_RELAXED);
		break;
	case SL_PS_N_RXQ: /* SL_SET_RESTART: applied by port_restart */
	case SL_PS_TYPE: /* only at add-port: part of the devargs sluiced made */
	case SL_PS_VHOST_SERVER_PATH:
	case SL_PS_BOND: /* bonds: only at add-bond (bond.c reads them) */
	case SL_PS_BOND_MODE:
	case SL_PS_LACP:
	case SL_PS_LACP_TIME:
	case SL_PS_BOND_REBALANCE_INTERVAL:
	case SL_PS_BOND_UPDELAY:
	case SL_PS_BOND_DOWNDELAY:
	case SL_PS_LACP_FALLBACK_AB:
	case SL_PS_BOND_PRIMARY:
	case SL_PS_COUNT:
		break;
	}
	return rc;
}

/*
 * After port_start: every setting it does not apply itself and that is not
 * at its default.  (A device starts with its own defaults; a setting left at
 * ours is not forced on it, so a PMD without flow control still works.)
 */
static int
apply_after_start(unsigned int slot, const struct sl_values *cfg, char *err, size_t errlen)
{
	for (size_t i = 0; i < sl_port_settings.n; i++) {
		int rc;

		if ((sl_port_settings.s[i].flags & SL_SET_AT_START) ||
		    strcmp(cfg->v[i], sl_port_settings.s[i].def) == 0)
			continue;
		rc = apply_live(slot, (int)i, cfg, err, errlen);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* A bond (type=bond): a slot with no device; its members carry its packets (bond.c). */
static int
bond_add(unsigned int slot, const Sluice__PortSpec *spec, uint16_t ofport,
	 const struct sl_values *cfg, char *err, size_t errlen)
{
	struct sl_port *p = &sl_p.shm->ports[slot];
	struct sl_port_priv *pp = &sl_p.ports[slot];
	int rc;

	memset(pp, 0, sizeof(*pp));
	snprintf(pp->devargs, sizeof(pp->devargs), "%s", spec->devargs);
	snprintf(pp->driver, sizeof(pp->driver), "bond");
	pp->cfg = *cfg;
	snprintf(p->name, sizeof(p->name), "%s", spec->name);
	p->ofport = ofport;
	p->port_id = RTE_MAX_ETHPORTS; /* no device: every ethdev call refuses it */
	p->n_rxq = 0;
	p->n_txq = 0;
	p->bridged = 0;
	p->lossless = 0;
	p->tx_shared = 0;
	p->mtu = cfg_u16(cfg, SL_PS_MTU);
	p->max_frame = UINT32_MAX; /* each member enforces its own */
	p->gen++;
	rc = sl_bond_create(slot, spec->name, cfg, err, errlen);
	if (rc < 0) {
		port_forget(slot);
		return rc;
	}
	port_publish(slot);
	PLOG(INFO, "added bond %s (ofport %u)", p->name, p->ofport);
	return 0;
}

/*
 * add-port and del-port run without sl_state_lock (server.c), so that a
 * device slow to attach or detach (a hotplug that waits for every worker's
 * answer, a driver that waits for its device) does not hold up show,
 * dump-ports and pmd-stats-show on the read thread.  They take it for what
 * the read thread sees: a slot turning ACTIVE or leaving ACTIVE, the queue
 * assignment, and the tables a port joins or leaves.  The read thread looks
 * at ACTIVE slots only, so a slot being attached or detached (FREE or
 * RETIRING) is the control thread's alone meanwhile.  Requests are still
 * handled one at a time, in order, by the control thread.
 *
 * port_attach: attach, configure and start the device of a new port in
 * @slot, a slot nobody else looks at yet: the slow part of add-port.
 */
static int
port_attach(unsigned int slot, const Sluice__PortSpec *spec, uint16_t ofport,
	    const struct sl_values *cfg, char *err, size_t errlen)
{
	struct sl_port *p = &sl_p.shm->ports[slot];
	int rc;

	rc = sl_dev_probe(slot, spec->devargs, err, errlen);
	if (rc < 0) {
		memset(&sl_p.ports[slot], 0, sizeof(sl_p.ports[slot]));
		return rc;
	}
	snprintf(p->name, sizeof(p->name), "%s", spec->name);
	p->ofport = ofport;
	p->bridged = sl_p.ports[slot].bridged;
	p->lossless = p->bridged && strcmp(sl_p.ports[slot].driver, "net_pcap") == 0;
	p->tx_shared = 0;
	p->gen++;
	sl_p.ports[slot].cfg = *cfg;
	sl_p.ports[slot].tx_retries_max = cfg_u16(cfg, SL_PS_TX_RETRIES_MAX);
	sl_qos_port_reset(slot);
	sl_port_stats_baseline(slot);
	rc = sl_port_start(slot, cfg_u16(cfg, SL_PS_N_RXQ), cfg_u16(cfg, SL_PS_MTU), NULL, err,
			   errlen);
	if (rc == 0) {
		rc = apply_after_start(slot, cfg, err, errlen);
		if (rc < 0)
			sl_port_stop(slot);
	}
	if (rc < 0) {
		sl_dev_remove(slot);
		sl_state_wrlock();
		port_forget(slot);
		sl_state_unlock();
	}
	return rc;
}

int
sl_port_add(const Sluice__PortSpec *spec, char *err, size_t errlen)
{
	struct sl_values cfg;
	struct sl_port *p;
	uint16_t ofport;
	int slot, rc;

	/* Only this thread changes what these look at: no lock to read them. */
	rc = validate_spec(spec, &ofport, &cfg, err, errlen);
	if (rc < 0)
		return rc;
	slot = free_slot();
	if (slot < 0 || ofport == SL_OFPORT_NONE) {
		snprintf(err, errlen, "no room for another port (at most %d)", SL_MAX_PORTS);
		return -ENOSPC;
	}
	if (sl_values_u64(&sl_port_settings, &cfg, SL_PS_TYPE) == SL_PORT_TYPE_BOND) {
		sl_state_wrlock();
		rc = bond_add(slot, spec, ofport, &cfg, err, errlen);
		sl_state_unlock();
		return rc;
	}
	p = &sl_p.shm->ports[slot];
	rc = port_attach(slot, spec, ofport, &cfg, err, errlen);
	if (rc < 0)
		return rc;
	sl_state_wrlock();
	sl_vhost_started(slot);
	sl_bond_port_added(slot, &cfg);
	port_publish(slot);
	sl_state_unlock();
	PLOG(INFO, "added port %s (ofport %u, %s, %s, %u rxq, %u txq%s)", p->name, p->ofport,
	     sl_p.ports[slot].driver, p->bridged ? "bridged" : "direct", p->n_rxq, p->n_txq,
	     p->tx_shared ? ", shared" : "");
	return 0;
}

int
sl_port_del(const char *name, char *msg, size_t msglen, char *err, size_t errlen)
{
	int slot = sl_port_find(name), rc;
	char devargs[SL_DEVARGS_MAX];

	if (slot < 0) {
		snprintf(err, errlen, "unknown port \"%s\"", name);
		return -ENOENT;
	}
	snprintf(devargs, sizeof(devargs), "%s", sl_p.ports[slot].devargs);
	if (sl_bond_is_bond(slot)) {
		sl_state_wrlock();
		port_unpublish(slot);
		snprintf(msg, msglen, "bond %s deleted", name);
		PLOG(INFO, "deleted bond %s", name);
		port_forget(slot);
		sl_state_unlock();
		return 0;
	}
	/* Hidden under the lock; the grace period and the detach without it. */
	sl_state_wrlock();
	port_hide(slot);
	sl_state_unlock();
	sl_rcu_synchronize();
	sl_port_stop(slot);
	rc = sl_dev_remove(slot);
	/* The port is gone either way; a device left attached can be
	 * detached later (`detach`), as with OVS. */
	if (rc < 0)
		snprintf(msg, msglen, "Device '%s' can not be detached: %s", devargs,
			 strerror(-rc));
	else
		snprintf(msg, msglen, "Device '%s' has been detached", devargs);
	PLOG(INFO, "deleted port %s: %s", name, msg);
	sl_state_wrlock();
	port_forget(slot);
	sl_state_unlock();
	return 0;
}

static double
cycles_ms(uint64_t c)
{
	return (double)c * 1000.0 / (double)rte_get_timer_hz();
}

/*
 * Stop, reconfigure and start the port with @next; on failure put it back
 * as it was.  What can be refused without stopping the port is tried
 * first: a new MTU on the device, the pool for it.
 */
static int
port_restart(unsigned int slot, const struct sl_values *next, char *err, size_t errlen)
{
	struct sl_port *p = &sl_p.shm->ports[slot];
	struct sl_port_priv *pp = &sl_p.ports[slot];
	uint16_t mtu = cfg_u16(next, SL_PS_MTU), n_rxq = cfg_u16(next, SL_PS_N_RXQ);
	struct rte_mempool *pre = NULL;
	uint64_t t0 = rte_get_timer_cycles(), t1;
	char ignore[256];
	int rc;

	if (mtu != p->mtu) {
		rc = sl_port_apply_mtu(slot, mtu, err, errlen);
		if (rc < 0)
			return rc;
	}
	if (sl_port_mtu_needs_new_pool(slot, mtu)) {
		rc = sl_port_pool_for(slot, mtu, n_rxq, &pre, err, errlen);
		if (rc < 0) {
			sl_port_apply_mtu(slot, cfg_u16(&pp->cfg, SL_PS_MTU), ignore, sizeof(ignore));
			return rc;
		}
	}
	t1 = rte_get_timer_cycles();
	port_unpublish(slot);
	sl_port_stop(slot);
	p->gen++;
	rc = sl_port_start(slot, n_rxq, mtu, pre, err, errlen);
	if (rc == 0)
		rc = apply_after_start(slot, next, err, errlen);
	if (rc < 0) {
		/* The data plane must not lose the port. */
		sl_port_stop(slot);
		p->gen++;
		if (sl_port_start(slot, cfg_u16(&pp->cfg, SL_PS_N_RXQ), cfg_u16(&pp->cfg, SL_PS_MTU),
			       NULL, ignore, sizeof(ignore)) == 0) {
			if (apply_after_start(slot, &pp->cfg, ignore, sizeof(ignore)) < 0)
				PLOG(ERR, "port %s restored without all its settings: %s",
				     p->name, ignore);
			port_publish(slot);
		} else {
			PLOG(ERR, "port %s could not be restored: %s", p->name, ignore);
		}
		return rc;
	}
	pp->cfg = *next;
	__atomic_store_n(&pp->tx_retries_max, cfg_u16(next, SL_PS_TX_RETRIES_MAX), __ATOMIC_RELAXED);
	port_publish(slot);
	/* "Out": from hidden to visible again; the grace period is part of it. */
	PLOG(INFO, "port %s restarted (mtu %u, %u rxq, pool %s) in %.3f ms, out %.3f ms", p->name,
	     mtu, p->n_rxq, pp->pool->name, cycles_ms(rte_get_timer_cycles() - t0),
	     cycles_ms(rte_get_timer_cycles() - t1));
	return 0;
}

int
sl_port_restart_same(unsigned int slot, char *err, size_t errlen)
{
	struct sl_values same = sl_p.ports[slot].cfg;

	return port_restart(slot, &same, err, errlen);
}

/* set-port on a bond: only its bond settings (the rules checked that), applied by bond.c. */
static int
bond_set(unsigned int slot, const struct sl_values *next, char *err, size_t errlen)
{
	struct sl_port_priv *pp = &sl_p.ports[slot];

	for (size_t i = 0; i < sl_port_settings.n; i++)
		if (strcmp(next->v[i], pp->cfg.v[i]) != 0 && !sl_setting_is_bond((int)i)) {
			snprintf(err, errlen, "port \"%s\" is a bond: %s is not one of its settings",
				 sl_p.shm->ports[slot].name, sl_port_settings.s[i].key);
			return -EINVAL;
		}
	if (sl_bond_reconfigure(slot, next, err, errlen) < 0)
		return -EINVAL;
	pp->cfg = *next;
	return 0;
}

int
sl_port_set(const char *name, size_t n, char **settings, char *err, size_t errlen)
{
	struct sl_port_priv *pp;
	struct sl_values next;
	uint64_t changed = 0;
	bool restart = false;
	char why[160];
	int slot, rc;

	slot = sl_port_find(name);
	if (slot < 0) {
		snprintf(err, errlen, "unknown port \"%s\"", name);
		return -ENOENT;
	}
	pp = &sl_p.ports[slot];
	/* Validate everything before changing anything. */
	next = pp->cfg;
	for (size_t i = 0; i < n; i++) {
		rc = sl_values_set_kv(&sl_port_settings, &next, settings[i], err, errlen);
		if (rc < 0)
			return rc;
		if (!(sl_port_settings.s[rc].flags & SL_SET_LIVE)) {
			snprintf(err, errlen, "%s can only be given at add-port",
				 sl_port_settings.s[rc].key);
			return -EINVAL;
		}
	}
	rc = sl_values_check_all(&sl_port_settings, &next, err, errlen);
	if (rc < 0)
		return rc;
	if (sl_bond_is_bond(slot))
		return bond_set(slot, &next, err, errlen);
	for (size_t i = 0; i < sl_port_settings.n; i++)
		if (strcmp(next.v[i], pp->cfg.v[i]) != 0) {
			changed |= UINT64_C(1) << i;
			restart |= (sl_port_settings.s[i].flags & SL_SET_RESTART) != 0;
		}
	/* An MTU whose frames want other mbufs moves the port to another pool. */
	restart |= (changed & (UINT64_C(1) << SL_PS_MTU)) &&
		   sl_port_mtu_needs_new_pool(slot, cfg_u16(&next, SL_PS_MTU));
	if (restart && (changed & ~(UINT64_C(1) << SL_PS_MTU)) != 0 &&
	    sl_port_cannot_restart(pp, why, sizeof(why))) {
		/* Only what needs a restart of its own (n_rxq) is refused. */
		snprintf(err, errlen, "port \"%s\" cannot be restarted: %s", name, why);
		return -EBUSY;
	}
	if (restart)
		return port_restart(slot, &next, err, errlen);
	for (size_t i = 0; i < sl_port_settings.n; i++) {
		if (!(changed & (UINT64_C(1) << i)))
			continue;
		rc = apply_live(slot, (int)i, &next, err, errlen);
		if (rc < 0) {
			/* Undo what this request already changed. */
			for (size_t j = 0; j < i; j++)
				if (changed & (UINT64_C(1) << j))
					apply_live(slot, (int)j, &pp->cfg, err + strlen(err), 0);
			return rc;
		}
	}
	pp->cfg = next;
	return 0;
}

void
sl_ports_shutdown(void)
{
	/* No other thread or process touches a port any more (the bridge
	 * thread wrote out what the workers handed over before it ended). */
	for (unsigned int s = 0; s < SL_MAX_PORTS; s++) {
		struct sl_port *p = &sl_p.shm->ports[s];

		if (p->state != SL_PORT_ACTIVE)
			continue;
		__atomic_store_n(&p->state, SL_PORT_RETIRING, __ATOMIC_RELEASE);
		sl_port_stop(s);
		sl_dev_remove(s);
		port_forget(s);
	}
}
