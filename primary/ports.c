/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports: hotplug, configuration, MTU, and the service loop for bridged
 * ports.  A port is published to the workers only once it is started, and
 * torn down only after every worker has passed a quiescent state since it
 * was unpublished.
 *
 * Direct ports (net_ring, net_null, PCI devices) keep their queue state in
 * shared memory, so workers poll and transmit on them themselves.  Ports
 * whose state is private to the process that opened them (net_pcap's files,
 * net_tap's and net_vhost's descriptors, net_af_packet's socket) are
 * bridged: the primary polls and transmits on them and moves packets to and
 * from the workers over SP/SC rings.  A bridged device is attached in the
 * primary alone (rte_vdev_init, not rte_dev_probe): no secondary opens its
 * files or sockets, so a worker starting or restarting cannot truncate a
 * pcap output, a stopped secondary cannot block its hotplug, and PMDs that
 * crash in a secondary (net_af_packet in 22.11) are safe to use.  A pcap
 * port that only reads is direct (see needs_bridge()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_bus_vdev.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "mactable.h"
#include "primary.h"
#include "settings.h"
#include "util.h"

#define SL_RX_DESC 1024
#define SL_TX_DESC 1024
#define SL_L2_OVERHEAD (RTE_ETHER_HDR_LEN + 2 * RTE_VLAN_HLEN)

static const char *const bridged_drivers[] = {
	"net_pcap", "eth_pcap", "net_tap", "net_vhost", "eth_vhost", "net_memif", "net_tun",
	"net_af_packet", "eth_af_packet",
};

/* By a vdev name, which starts with its driver's name. */
static bool
driver_is_bridged(const char *name)
{
	for (size_t i = 0; i < RTE_DIM(bridged_drivers); i++)
		if (strncmp(name, bridged_drivers[i], strlen(bridged_drivers[i])) == 0)
			return true;
	return false;
}

/*
 * Longest devargs rte_dev_probe passes intact to the secondaries (their
 * copy of a longer one came out cut, failing the hotplug).
 */
#define SL_MP_DEVARGS_SAFE 80

/*
 * Whether the primary must service the port.  A net_pcap port that only
 * reads a file (no tx_pcap=, no interface) is the exception: every process
 * may open the file for reading, and with infinite_rx its packets sit in
 * shared memory, so workers poll it themselves, as fast as testpmd does.
 */
static bool
needs_bridge(const char *devname, const char *args, size_t devargs_len)
{
	bool pcap = strncmp(devname, "net_pcap", 8) == 0 || strncmp(devname, "eth_pcap", 8) == 0;

	if (!driver_is_bridged(devname))
		return false;
	return !pcap || strstr(args, "tx_pcap=") != NULL || strstr(args, "iface=") != NULL ||
	       devargs_len >= SL_MP_DEVARGS_SAFE;
}

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
free_bridge_rings(struct sl_port *p)
{
	for (unsigned int i = 0; i < SL_MAX_RXQ; i++) {
		if (p->bridge_rx[i] != NULL) {
			struct rte_mbuf *m;

			while (rte_ring_sc_dequeue(p->bridge_rx[i], (void **)&m) == 0)
				rte_pktmbuf_free(m);
			rte_ring_free(p->bridge_rx[i]);
			p->bridge_rx[i] = NULL;
		}
	}
	for (unsigned int i = 0; i < SL_MAX_WORKERS; i++) {
		if (p->bridge_tx[i] != NULL) {
			struct rte_mbuf *m;

			while (rte_ring_sc_dequeue(p->bridge_tx[i], (void **)&m) == 0)
				rte_pktmbuf_free(m);
			rte_ring_free(p->bridge_tx[i]);
			p->bridge_tx[i] = NULL;
		}
	}
}

static int
make_bridge_rings(unsigned int slot, struct sl_port *p, char *err, size_t errlen)
{
	char name[RTE_RING_NAMESIZE];

	for (unsigned int q = 0; q < p->n_rxq; q++) {
		snprintf(name, sizeof(name), "sl_brx_%u_%u_%u", slot, p->gen, q);
		p->bridge_rx[q] = rte_ring_create(name, SL_BRIDGE_RING_SIZE, rte_socket_id(),
						  RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (p->bridge_rx[q] == NULL)
			goto fail;
	}
	for (unsigned int w = 0; w < sl_p.n_workers; w++) {
		snprintf(name, sizeof(name), "sl_btx_%u_%u_%u", slot, p->gen, w);
		p->bridge_tx[w] = rte_ring_create(name, SL_BRIDGE_RING_SIZE, rte_socket_id(),
						  RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (p->bridge_tx[w] == NULL)
			goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "cannot create bridge ring %s: %s", name, rte_strerror(rte_errno));
	free_bridge_rings(p);
	return -ENOMEM;
}

/* Apply the MTU: in the PMD if it can, else in software (workers drop). */
static int
apply_mtu(unsigned int slot, uint16_t mtu, char *err, size_t errlen)
{
	struct sl_port *p = &sl_p.shm->ports[slot];
	struct sl_port_priv *pp = &sl_p.ports[slot];
	struct rte_eth_dev_info info;
	int rc;

	rc = rte_eth_dev_info_get(p->port_id, &info);
	if (rc == 0 && (mtu < info.min_mtu || mtu > info.max_mtu)) {
		snprintf(err, errlen, "mtu %u: %s accepts %u..%u", mtu, pp->driver, info.min_mtu,
			 info.max_mtu);
		return -EINVAL;
	}
	rc = rte_eth_dev_set_mtu(p->port_id, mtu);
	if (rc == -ENOTSUP) {
		pp->mtu_in_software = true;
	} else if (rc < 0) {
		snprintf(err, errlen, "mtu %u: %s refused it: %s", mtu, pp->driver, strerror(-rc));
		return rc;
	} else {
		pp->mtu_in_software = false;
	}
	p->mtu = mtu;
	p->max_frame = mtu + SL_L2_OVERHEAD;
	return 0;
}

/* Tell workers which burst functions the primary's ethdev chose at start. */
static void
publish_burst_fns(struct sl_port *p)
{
	const struct rte_eth_fp_ops *fo = &rte_eth_fp_ops[p->port_id];
	char tx_lib[sizeof(p->fp_lib)];

	if (sl_fn_locate((const void *)fo->rx_pkt_burst, p->fp_lib, sizeof(p->fp_lib),
			 &p->fp_rx_off) < 0 ||
	    sl_fn_locate((const void *)fo->tx_pkt_burst, tx_lib, sizeof(tx_lib),
			 &p->fp_tx_off) < 0 ||
	    strcmp(tx_lib, p->fp_lib) != 0)
		p->fp_lib[0] = '\0'; /* workers keep what their own probe chose */
}

/* Configure queues and start; the port is not yet visible to workers. */
static int
port_start(unsigned int slot, uint16_t n_rxq, uint16_t mtu, char *err, size_t errlen)
{
	struct sl_port *p = &sl_p.shm->ports[slot];
	struct sl_port_priv *pp = &sl_p.ports[slot];
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	uint16_t n_txq, rxd = SL_RX_DESC, txd = SL_TX_DESC;
	int rc;

	rc = rte_eth_dev_info_get(p->port_id, &info);
	if (rc < 0) {
		snprintf(err, errlen, "cannot query %s: %s", pp->devname, strerror(-rc));
		return rc;
	}
	if (n_rxq > info.max_rx_queues) {
		snprintf(err, errlen, "n_rxq=%u: %s offers at most %u rx queues", n_rxq,
			 pp->driver, info.max_rx_queues);
		return -EINVAL;
	}
	if (p->bridged) {
		/* The primary sends on queue 0; net_tap wants as many tx
		 * queues as rx queues (one file descriptor each). */
		n_txq = strcmp(pp->driver, "net_tap") == 0 ? RTE_MAX(n_rxq, (uint16_t)1) : 1;
	} else {
		n_txq = RTE_MIN((unsigned int)info.max_tx_queues, sl_p.n_workers + 1);
		p->tx_shared = n_txq < sl_p.n_workers + 1;
	}
	p->n_rxq = n_rxq;
	p->n_txq = n_txq;
	if (n_rxq > 1 && (info.flow_type_rss_offloads & RTE_ETH_RSS_IP)) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP);
	}
	rc = rte_eth_dev_configure(p->port_id, n_rxq, n_txq, &conf);
	if (rc < 0) {
		snprintf(err, errlen, "cannot configure %s: %s", pp->devname, strerror(-rc));
		return rc;
	}
	rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &rxd, &txd);
	pp->pool = sl_p.shm->pktmbuf_pool;
	for (uint16_t q = 0; q < n_rxq; q++) {
		rc = rte_eth_rx_queue_setup(p->port_id, q, rxd, rte_eth_dev_socket_id(p->port_id),
					    NULL, pp->pool);
		if (rc < 0) {
			snprintf(err, errlen, "rx queue %u of %s: %s", q, pp->devname, strerror(-rc));
			return rc;
		}
	}
	for (uint16_t q = 0; q < n_txq; q++) {
		rc = rte_eth_tx_queue_setup(p->port_id, q, txd, rte_eth_dev_socket_id(p->port_id),
					    NULL);
		if (rc < 0) {
			snprintf(err, errlen, "tx queue %u of %s: %s", q, pp->devname, strerror(-rc));
			return rc;
		}
	}
	rc = apply_mtu(slot, mtu, err, errlen);
	if (rc < 0)
		return rc;
	rc = rte_eth_dev_start(p->port_id);
	if (rc < 0) {
		snprintf(err, errlen, "cannot start %s: %s", pp->devname, strerror(-rc));
		return rc;
	}
	rte_eth_promiscuous_enable(p->port_id);
	p->fp_rxq_data = rte_eth_fp_ops[p->port_id].rxq.data;
	p->fp_txq_data = rte_eth_fp_ops[p->port_id].txq.data;
	publish_burst_fns(p);
	if (p->bridged) {
		rc = make_bridge_rings(slot, p, err, errlen);
		if (rc < 0) {
			rte_eth_dev_stop(p->port_id);
			return rc;
		}
	}
	return 0;
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

/* Hide the port from workers and wait until none can still touch it. */
static void
port_unpublish(unsigned int slot)
{
	struct sl_port *p = &sl_p.shm->ports[slot];

	__atomic_store_n(&p->state, SL_PORT_RETIRING, __ATOMIC_RELEASE);
	sl_p.shm->ofport_to_slot[p->ofport] = SL_NO_SLOT;
	publish_ports_change();
	sl_workers_assign_rxqs();
	sl_rcu_synchronize();
}

static void
port_stop(unsigned int slot)
{
	struct sl_port *p = &sl_p.shm->ports[slot];
	int rc;

	rc = rte_eth_dev_stop(p->port_id);
	if (rc < 0)
		PLOG(WARNING, "stop %s: %s", p->name, strerror(-rc));
	free_bridge_rings(p);
}

static void
port_forget(unsigned int slot)
{
	struct sl_port *p = &sl_p.shm->ports[slot];
	struct sl_port_priv *pp = &sl_p.ports[slot];

	sl_mac_flush_port(sl_p.shm->mac_table, p->ofport);
	memset(pp, 0, sizeof(*pp));
	p->name[0] = '\0';
	p->ofport = SL_OFPORT_NONE;
	__atomic_store_n(&p->state, SL_PORT_FREE, __ATOMIC_RELEASE);
}

static int
detach_device(unsigned int slot)
{
	struct sl_port *p = &sl_p.shm->ports[slot];
	struct sl_port_priv *pp = &sl_p.ports[slot];
	struct rte_eth_dev_info info;
	struct rte_device *dev;
	int rc;

	if (rte_eth_dev_info_get(p->port_id, &info) < 0 || info.device == NULL)
		return -ENODEV;
	dev = info.device;
	rte_eth_dev_close(p->port_id);
	rc = pp->local_only ? rte_vdev_uninit(pp->devname) : rte_dev_remove(dev);
	if (rc < 0)
		PLOG(WARNING, "remove %s: %s", pp->devname, strerror(-rc));
	return rc;
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
	if (s->ofport > SL_OFPORT_MAX) {
		snprintf(err, errlen, "ofport=%u out of range 1..%u", s->ofport, SL_OFPORT_MAX);
		return -ERANGE;
	}
	if (s->ofport != 0 && sl_p.shm->ofport_to_slot[s->ofport] != SL_NO_SLOT) {
		snprintf(err, errlen, "ofport %u is taken by port \"%s\"", s->ofport,
			 sl_p.shm->ports[sl_p.shm->ofport_to_slot[s->ofport]].name);
		return -EEXIST;
	}
	*ofport = s->ofport ? s->ofport : lowest_free_ofport();
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

/* Probe the device; fills devname/driver/port_id.  Nothing else is touched on failure. */
static int
probe_device(unsigned int slot, const char *devargs, char *err, size_t errlen)
{
	struct sl_port_priv *pp = &sl_p.ports[slot];
	struct rte_eth_dev_info info;
	struct rte_devargs da;
	char args[512] = "";
	uint16_t port_id;
	int rc;

	memset(&da, 0, sizeof(da));
	rc = rte_devargs_parse(&da, devargs);
	if (rc < 0) {
		snprintf(err, errlen, "cannot attach \"%s\": no bus or driver recognizes it",
			 devargs);
		return -EINVAL;
	}
	snprintf(pp->devname, sizeof(pp->devname), "%s", da.name);
	if (da.args != NULL)
		snprintf(args, sizeof(args), "%s", da.args);
	pp->bridged = da.bus != NULL && strcmp(rte_bus_name(da.bus), "vdev") == 0 &&
		      needs_bridge(pp->devname, args, strlen(devargs));
	pp->local_only = pp->bridged;
	rte_devargs_reset(&da);
	if (rte_eth_dev_get_port_by_name(pp->devname, &port_id) == 0) {
		snprintf(err, errlen, "device %s is already attached", pp->devname);
		return -EEXIST;
	}
	rc = pp->local_only ? rte_vdev_init(pp->devname, args) : rte_dev_probe(devargs);
	if (rc < 0) {
		snprintf(err, errlen, "cannot attach \"%s\": %s", devargs, strerror(-rc));
		return rc;
	}
	if (rte_eth_dev_get_port_by_name(pp->devname, &port_id) != 0) {
		snprintf(err, errlen, "\"%s\" attached but is not an ethernet port", devargs);
		if (pp->local_only)
			rte_vdev_uninit(pp->devname);
		else
			rte_eal_hotplug_remove("vdev", pp->devname);
		return -ENODEV;
	}
	sl_p.shm->ports[slot].port_id = port_id;
	rte_eth_dev_info_get(port_id, &info);
	snprintf(pp->driver, sizeof(pp->driver), "%s", info.driver_name);
	snprintf(pp->devargs, sizeof(pp->devargs), "%s", devargs);
	return 0;
}

/* 802.3x pause frames, mapped from the three settings as Open vSwitch does. */
static int
apply_flow_ctrl(unsigned int slot, const struct sl_values *cfg, char *err, size_t errlen)
{
	struct sl_port *p = &sl_p.shm->ports[slot];
	struct sl_port_priv *pp = &sl_p.ports[slot];
	bool rx = sl_values_u64(&sl_port_settings, cfg, SL_PS_RX_FLOW_CTRL);
	bool tx = sl_values_u64(&sl_port_settings, cfg, SL_PS_TX_FLOW_CTRL);
	struct rte_eth_fc_conf fc;
	int rc;

	memset(&fc, 0, sizeof(fc));
	rc = rte_eth_dev_flow_ctrl_get(p->port_id, &fc);
	if (rc == -ENOTSUP || rc == -EOPNOTSUPP) {
		snprintf(err, errlen, "flow control is not supported by %s", pp->driver);
		return -ENOTSUP;
	}
	if (rc < 0) {
		snprintf(err, errlen, "flow control: cannot read %s's: %s", pp->driver, strerror(-rc));
		return rc;
	}
	fc.mode = rx && tx ? RTE_ETH_FC_FULL
			   : rx ? RTE_ETH_FC_RX_PAUSE : tx ? RTE_ETH_FC_TX_PAUSE : RTE_ETH_FC_NONE;
	fc.autoneg = sl_values_u64(&sl_port_settings, cfg, SL_PS_FLOW_CTRL_AUTONEG);
	rc = rte_eth_dev_flow_ctrl_set(p->port_id, &fc);
	if (rc < 0) {
		snprintf(err, errlen, "flow control: %s refused it: %s", pp->driver, strerror(-rc));
		return rc;
	}
	return 0;
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
		rc = apply_mtu(slot, cfg_u16(next, id), err, errlen);
		if (rc < 0)
			apply_mtu(slot, cfg_u16(&pp->cfg, id), ignore, sizeof(ignore));
		break;
	case SL_PS_RX_FLOW_CTRL:
	case SL_PS_TX_FLOW_CTRL:
	case SL_PS_FLOW_CTRL_AUTONEG:
		rc = apply_flow_ctrl(slot, next, err, errlen);
		break;
	case SL_PS_PMD_RXQ_AFFINITY:
		sl_pmd_set_affinity(slot, next->v[id]);
		break;
	case SL_PS_N_RXQ: /* SL_SET_RESTART: applied by port_restart */
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

int
sl_port_add(const Sluice__PortSpec *spec, char *err, size_t errlen)
{
	struct sl_values cfg;
	struct sl_port *p;
	uint16_t ofport;
	int slot, rc;

	rc = validate_spec(spec, &ofport, &cfg, err, errlen);
	if (rc < 0)
		return rc;
	slot = free_slot();
	if (slot < 0 || ofport == SL_OFPORT_NONE) {
		snprintf(err, errlen, "no room for another port (at most %d)", SL_MAX_PORTS);
		return -ENOSPC;
	}
	p = &sl_p.shm->ports[slot];
	rc = probe_device(slot, spec->devargs, err, errlen);
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
	sl_p.ports[slot].cfg = cfg;
	rc = port_start(slot, cfg_u16(&cfg, SL_PS_N_RXQ), cfg_u16(&cfg, SL_PS_MTU), err, errlen);
	if (rc == 0) {
		rc = apply_after_start(slot, &cfg, err, errlen);
		if (rc < 0)
			port_stop(slot);
	}
	if (rc < 0) {
		detach_device(slot);
		port_forget(slot);
		return rc;
	}
	port_publish(slot);
	PLOG(INFO, "added port %s (ofport %u, %s, %s, %u rxq, %u txq%s)", p->name, p->ofport,
	     sl_p.ports[slot].driver, p->bridged ? "bridged" : "direct", p->n_rxq, p->n_txq,
	     p->tx_shared ? ", shared" : "");
	return 0;
}

int
sl_port_del(const char *name, char *err, size_t errlen)
{
	int slot = sl_port_find(name);

	if (slot < 0) {
		snprintf(err, errlen, "unknown port \"%s\"", name);
		return -ENOENT;
	}
	port_unpublish(slot);
	port_stop(slot);
	detach_device(slot);
	PLOG(INFO, "deleted port %s", name);
	port_forget(slot);
	return 0;
}

/* Stop, reconfigure and start the port with @next; on failure put it back as it was. */
static int
port_restart(unsigned int slot, const struct sl_values *next, char *err, size_t errlen)
{
	struct sl_port *p = &sl_p.shm->ports[slot];
	struct sl_port_priv *pp = &sl_p.ports[slot];
	char ignore[256];
	int rc;

	port_unpublish(slot);
	port_stop(slot);
	p->gen++;
	rc = port_start(slot, cfg_u16(next, SL_PS_N_RXQ), cfg_u16(next, SL_PS_MTU), err, errlen);
	if (rc == 0)
		rc = apply_after_start(slot, next, err, errlen);
	if (rc < 0) {
		/* The data plane must not lose the port. */
		port_stop(slot);
		p->gen++;
		if (port_start(slot, cfg_u16(&pp->cfg, SL_PS_N_RXQ), cfg_u16(&pp->cfg, SL_PS_MTU),
			       ignore, sizeof(ignore)) == 0) {
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
	port_publish(slot);
	return 0;
}

int
sl_port_set(const char *name, size_t n, char **settings, char *err, size_t errlen)
{
	struct sl_port_priv *pp;
	struct sl_values next;
	uint64_t changed = 0;
	bool restart = false;
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
	for (size_t i = 0; i < sl_port_settings.n; i++)
		if (strcmp(next.v[i], pp->cfg.v[i]) != 0) {
			changed |= UINT64_C(1) << i;
			restart |= (sl_port_settings.s[i].flags & SL_SET_RESTART) != 0;
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

/* Move one burst each way on every bridged port. */
void
sl_ports_service_bridged(unsigned int *work)
{
	struct sl_shm *shm = sl_p.shm;
	struct rte_mbuf *pkts[SL_BURST];

	for (unsigned int s = 0; s < SL_MAX_PORTS; s++) {
		struct sl_port *p = &shm->ports[s];
		unsigned int n, sent;

		if (!p->bridged || __atomic_load_n(&p->state, __ATOMIC_ACQUIRE) != SL_PORT_ACTIVE)
			continue;
		for (uint16_t q = 0; q < p->n_rxq; q++) {
			/* Take no more than the worker has room for: back-pressure
			 * to the device instead of a drop here. */
			unsigned int room = rte_ring_free_count(p->bridge_rx[q]);

			n = rte_eth_rx_burst(p->port_id, q, pkts, RTE_MIN(room, (unsigned int)SL_BURST));
			if (n == 0)
				continue;
			*work += n;
			sent = rte_ring_sp_enqueue_burst(p->bridge_rx[q], (void **)pkts, n, NULL);
			if (sent < n) {
				sl_p.bridge_rx_dropped[s] += n - sent;
				rte_pktmbuf_free_bulk(pkts + sent, n - sent);
			}
		}
		for (unsigned int w = 0; w < sl_p.n_workers; w++) {
			n = rte_ring_sc_dequeue_burst(p->bridge_tx[w], (void **)pkts, SL_BURST,
						      NULL);
			if (n == 0)
				continue;
			*work += n;
			sent = rte_eth_tx_burst(p->port_id, 0, pkts, n);
			if (sent < n) {
				sl_p.bridge_dropped[s] += n - sent;
				rte_pktmbuf_free_bulk(pkts + sent, n - sent);
			}
		}
	}
}

void
sl_ports_shutdown(void)
{
	unsigned int guard = 0, work = 1;

	/* Workers are gone: write out what they handed over before the files
	 * close, then take every port down. */
	while (work != 0 && guard++ < 64) {
		work = 0;
		sl_ports_service_bridged(&work);
	}
	for (unsigned int s = 0; s < SL_MAX_PORTS; s++) {
		struct sl_port *p = &sl_p.shm->ports[s];

		if (p->state != SL_PORT_ACTIVE)
			continue;
		__atomic_store_n(&p->state, SL_PORT_RETIRING, __ATOMIC_RELEASE);
		port_stop(s);
		detach_device(s);
		port_forget(s);
	}
}
