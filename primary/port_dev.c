/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A port's device as its settings make it: queues, the mbuf pool its rx
 * queues take from, the MTU (in the PMD where it can, else in software),
 * flow control, and the rings that bridge it to the workers.  ports.c
 * decides when (add, restart, delete); this file does it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "primary.h"
#include "settings.h"
#include "util.h"

#define SL_RX_DESC 1024
#define SL_TX_DESC 1024
#define SL_RX_CSUM_OFFLOADS                                                         \
	(RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM |                    \
	 RTE_ETH_RX_OFFLOAD_TCP_CKSUM)
/* net_tap: segments a frame may take (its rx descriptors are iovecs of one read). */
#define SL_TAP_RX_DESC 16

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

bool
sl_port_cannot_restart(const struct sl_port_priv *pp, char *why, size_t whylen)
{
	/* net_pcap closes its files on stop and opens them again on start: an
	 * rx file starts over, a tx file is truncated. */
	if (strcmp(pp->driver, "net_pcap") == 0) {
		snprintf(why, whylen, "net_pcap would read its files again from the start");
		return true;
	}
	/* net_tap's start sets its interface up by name in our namespace. */
	if (pp->kernel_if[0] != '\0' && sl_tap_in_our_netns(pp->kernel_if) == 0) {
		snprintf(why, whylen, "net_tap cannot start again while its interface %s is in "
			 "another network namespace", pp->kernel_if);
		return true;
	}
	return false;
}

/*
 * Whether port @slot needs other mbufs for @mtu.  A port that cannot be
 * restarted keeps its pool: net_pcap chains segments for a frame longer
 * than a buffer, net_tap scatters it (see sl_port_start), and an
 * infinite_rx pool is sized for its file, not the MTU.
 */
bool
sl_port_mtu_needs_new_pool(unsigned int slot, uint16_t mtu)
{
	const struct sl_port_priv *pp = &sl_p.ports[slot];
	char why[128];

	return pp->pool != NULL && pp->held == 0 &&
	       rte_pktmbuf_data_room_size(pp->pool) != sl_mbuf_buf_size(mtu) &&
	       !sl_port_cannot_restart(pp, why, sizeof(why));
}

/*
 * Apply the MTU: in the PMD if it can, else in software (workers drop what
 * is longer on tx, as OVS does: MTU + Ethernet header + CRC).
 */
int
sl_port_apply_mtu(unsigned int slot, uint16_t mtu, char *err, size_t errlen)
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
	if (pp->kernel_if[0] != '\0') {
		/* net_tap caps frames at 1522 bytes for no reason of its own
		 * (it reads a whole frame into one mbuf, which we size for the
		 * MTU); its kernel interface, wherever it now lives, takes it. */
		rc = sl_tap_set_mtu(pp->kernel_if, mtu);
		if (rc < 0)
			PLOG(WARNING, "%s: mtu %u not set on interface %s: %s", p->name, mtu,
			     pp->kernel_if, strerror(-rc));
		pp->mtu_in_software = true;
	} else if ((rc = rte_eth_dev_set_mtu(p->port_id, mtu)) == -ENOTSUP) {
		pp->mtu_in_software = true;
	} else if (rc < 0) {
		uint32_t over = info.max_mtu != UINT16_MAX && info.max_rx_pktlen > info.max_mtu
					? info.max_rx_pktlen - info.max_mtu
					: RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN;

		if (rc == -EINVAL && mtu + over > info.max_rx_pktlen)
			snprintf(err, errlen, "mtu %u: %s takes frames of at most %u bytes (mtu %u)",
				 mtu, pp->driver, info.max_rx_pktlen, info.max_rx_pktlen - over);
		else
			snprintf(err, errlen, "mtu %u: %s refused it: %s", mtu, pp->driver,
				 strerror(-rc));
		return rc;
	} else {
		pp->mtu_in_software = false;
	}
	p->mtu = mtu;
	p->max_frame = SL_MTU_TO_FRAME_LEN(mtu);
	/* Workers read max_frame when the ports change: a live MTU is one. */
	__atomic_fetch_add(&sl_p.shm->ports_gen, 1, __ATOMIC_RELEASE);
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

/*
 * The pool port @slot's rx queues take mbufs from with @mtu and @req->need:
 * the one it has if that still fits, else one of the right size (a
 * buffer for a whole frame, or for the longest packet of an infinite_rx
 * file).  A pool other than pp->pool has @slot as a user already.
 */
static int
choose_pool(unsigned int slot, uint16_t mtu, struct sl_pool_req *req, struct rte_mempool **mp,
	    char *err, size_t errlen)
{
	const struct sl_port_priv *pp = &sl_p.ports[slot];

	if (pp->held != 0)
		req->buf_size = RTE_ALIGN_CEIL(pp->held_len, SL_MBUF_ALIGN) + RTE_PKTMBUF_HEADROOM;
	else if (pp->pool != NULL && !sl_port_mtu_needs_new_pool(slot, mtu))
		req->buf_size = rte_pktmbuf_data_room_size(pp->pool);
	else
		req->buf_size = sl_mbuf_buf_size(mtu);
	req->held = pp->held;
	return sl_mempool_get(slot, req, pp->pool, mp, err, errlen);
}

/* net_tap: where frames go that are longer than it sends itself. */
static void
open_tap_tx(unsigned int slot)
{
	struct sl_port_priv *pp = &sl_p.ports[slot];
	uint16_t mtu = RTE_ETHER_MTU;
	int fd;

	rte_eth_dev_get_mtu(sl_p.shm->ports[slot].port_id, &mtu);
	/* net_tap's own limit: its MTU, Ethernet header, CRC and a tag. */
	pp->tap_pmd_max = mtu + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN + RTE_VLAN_HLEN;
	fd = sl_tap_tx_open(pp->kernel_if);
	if (fd < 0)
		PLOG(WARNING, "%s: no tun queue of %s found (%s): frames longer than %u bytes will "
		     "be dropped", sl_p.shm->ports[slot].name, pp->kernel_if, strerror(-fd),
		     pp->tap_pmd_max);
	__atomic_store_n(&pp->tap_tx_fd, fd > 0 ? fd : 0, __ATOMIC_RELEASE);
}

static void
close_tap_tx(unsigned int slot)
{
	struct sl_port_priv *pp = &sl_p.ports[slot];
	int fd = __atomic_exchange_n(&pp->tap_tx_fd, 0, __ATOMIC_ACQ_REL);

	if (fd > 0)
		close(fd);
}

uint16_t
sl_port_tx_bridged(unsigned int slot, unsigned int worker, struct rte_mbuf **pkts, uint16_t n)
{
	struct sl_port_priv *pp = &sl_p.ports[slot];
	const struct sl_port *p = &sl_p.shm->ports[slot];
	int fd = __atomic_load_n(&pp->tap_tx_fd, __ATOMIC_ACQUIRE);
	uint64_t big = 0, bytes = 0;
	uint16_t sent;

	/* One tx queue per worker where the port has them (net_vhost with a
	 * multiqueue guest), as Open vSwitch gives each PMD thread its own:
	 * a flow, which one worker forwards, stays on one queue, in order. */
	if (fd == 0) {
		uint16_t q = worker % p->n_txq;
		uint32_t retries = 0, max = __atomic_load_n(&pp->tx_retries_max, __ATOMIC_RELAXED);

		sent = rte_eth_tx_burst(p->port_id, q, pkts, n);
		/* tx-retries-max: a guest's rx ring that is full now may have
		 * room a moment later (OVS retries its vhost sends likewise);
		 * other ports take it or not at once. */
		while (sent < n && retries < max && strcmp(pp->driver, "net_vhost") == 0) {
			sent += rte_eth_tx_burst(p->port_id, q, pkts + sent, n - sent);
			retries++;
		}
		if (retries != 0)
			atomic_fetch_add_explicit(&sl_p.bridge_tx_retries[slot], retries,
						  memory_order_relaxed);
		return sent;
	}
	sent = sl_tap_tx_burst(sl_p.shm->ports[slot].port_id, fd, pp->tap_pmd_max, pkts, n, &big,
			       &bytes);
	if (big != 0) {
		__atomic_fetch_add(&pp->tap_big_pkts, big, __ATOMIC_RELAXED);
		__atomic_fetch_add(&pp->tap_big_bytes, bytes, __ATOMIC_RELAXED);
	}
	return sent;
}

/* A device that keeps what it sends until the send completes (not a vdev). */
static bool
hw_tx(const struct rte_eth_dev_info *info)
{
	return info->device != NULL && strcmp(rte_bus_name(rte_dev_bus(info->device)), "vdev") != 0;
}

/*
 * Configure queues and start; the port is not yet visible to workers.  Its
 * rx queues take mbufs from @pre if given (a pool that counts the port as
 * a user already), else from what choose_pool() finds.  On failure a pool
 * taken for this start is given back; pp->pool is the one in use.
 */
int
sl_port_start(unsigned int slot, uint16_t n_rxq, uint16_t mtu, struct rte_mempool *pre, char *err,
	   size_t errlen)
{
	struct sl_port *p = &sl_p.shm->ports[slot];
	struct sl_port_priv *pp = &sl_p.ports[slot];
	struct sl_pool_req req = { .what = pp->devname };
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	uint16_t n_txq, rxd = SL_RX_DESC, txd = SL_TX_DESC;
	struct rte_mempool *mp = pre;
	int rc;

	rc = rte_eth_dev_info_get(p->port_id, &info);
	if (rc < 0) {
		snprintf(err, errlen, "cannot query %s: %s", pp->devname, strerror(-rc));
		goto fail;
	}
	n_rxq = sl_vhost_queues(slot, n_rxq);
	if (n_rxq > info.max_rx_queues) {
		snprintf(err, errlen, "n_rxq=%u: %s offers at most %u rx queues", n_rxq,
			 pp->driver, info.max_rx_queues);
		rc = -EINVAL;
		goto fail;
	}
	if (p->bridged) {
		/* The primary sends on queue 0; net_tap wants as many tx
		 * queues as rx queues (one file descriptor each), and a guest
		 * behind net_vhost takes packets on each queue it enabled. */
		n_txq = strcmp(pp->driver, "net_tap") == 0 || strcmp(pp->driver, "net_vhost") == 0
				? RTE_MAX(n_rxq, (uint16_t)1)
				: 1;
	} else {
		n_txq = RTE_MIN((unsigned int)info.max_tx_queues, sl_p.n_workers + 1);
		p->tx_shared = n_txq < sl_p.n_workers + 1;
	}
	p->n_rxq = n_rxq;
	p->n_txq = n_txq;
	if (pp->kernel_if[0] != '\0') {
		/* net_tap reads a frame into as many mbufs as it has rx
		 * descriptors when scattering, into one otherwise (and counts
		 * what does not fit as an error): a frame longer than the
		 * buffers of a pool the port keeps arrives in segments. */
		conf.rxmode.offloads |= info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER;
		rxd = SL_TAP_RX_DESC;
	}
	/* Rx checksum offload wherever the port offers it, as OVS enables it
	 * on its DPDK ports: the PMD's verdicts come in ol_flags. */
	conf.rxmode.offloads |= info.rx_offload_capa & SL_RX_CSUM_OFFLOADS;
	/* Except net_vhost's L4 verdicts: with them requested, it hands on a
	 * guest's unfinished checksums (virtio NEEDS_CSUM) as they are; without,
	 * it finishes them itself, which the ports we forward to need. */
	if (strcmp(info.driver_name, "net_vhost") == 0)
		conf.rxmode.offloads &= ~(uint64_t)(RTE_ETH_RX_OFFLOAD_TCP_CKSUM |
						    RTE_ETH_RX_OFFLOAD_UDP_CKSUM);
	pp->rx_csum = (conf.rxmode.offloads & SL_RX_CSUM_OFFLOADS) != 0;
	p->rx_csum = pp->rx_csum;
	if (n_rxq > 1 && (info.flow_type_rss_offloads & RTE_ETH_RSS_IP)) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP);
	}
	rc = rte_eth_dev_configure(p->port_id, n_rxq, n_txq, &conf);
	if (rc < 0) {
		snprintf(err, errlen, "cannot configure %s: %s", pp->devname, strerror(-rc));
		goto fail;
	}
	rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &rxd, &txd);
	req.need = sl_port_mbuf_need(n_rxq, rxd, n_txq, txd, hw_tx(&info), p->bridged);
	if (mp == NULL) {
		rc = choose_pool(slot, mtu, &req, &mp, err, errlen);
		if (rc < 0)
			return rc;
	} else {
		sl_mempool_set_need(slot, mp, req.need);
	}
	for (uint16_t q = 0; q < n_rxq && rc == 0; q++) {
		rc = rte_eth_rx_queue_setup(p->port_id, q, rxd, rte_eth_dev_socket_id(p->port_id),
					    NULL, mp);
		if (rc < 0)
			snprintf(err, errlen, "rx queue %u of %s: %s", q, pp->devname, strerror(-rc));
	}
	for (uint16_t q = 0; q < n_txq && rc == 0; q++) {
		rc = rte_eth_tx_queue_setup(p->port_id, q, txd, rte_eth_dev_socket_id(p->port_id),
					    NULL);
		if (rc < 0)
			snprintf(err, errlen, "tx queue %u of %s: %s", q, pp->devname, strerror(-rc));
	}
	if (rc == 0)
		rc = sl_port_apply_mtu(slot, mtu, err, errlen);
	if (rc == 0) {
		rc = rte_eth_dev_start(p->port_id);
		if (rc < 0)
			snprintf(err, errlen, "cannot start %s: %s", pp->devname, strerror(-rc));
	}
	if (rc < 0)
		goto fail;
	/* The old pool's mbufs left with the old queues. */
	if (mp != pp->pool) {
		if (pp->pool != NULL)
			sl_mempool_put(slot, pp->pool);
		pp->pool = mp;
	} else {
		sl_mempool_set_need(slot, mp, req.need);
	}
	rte_eth_promiscuous_enable(p->port_id);
	if (pp->kernel_if[0] != '\0')
		open_tap_tx(slot);
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
fail:
	if (mp != NULL && mp != pp->pool)
		sl_mempool_put(slot, mp);
	return rc;
}

void
sl_port_stop(unsigned int slot)
{
	struct sl_port *p = &sl_p.shm->ports[slot];
	int rc;

	rc = rte_eth_dev_stop(p->port_id);
	if (rc < 0)
		PLOG(WARNING, "stop %s: %s", p->name, strerror(-rc));
	close_tap_tx(slot);
	free_bridge_rings(p);
}

/* 802.3x pause frames, mapped from the three settings as Open vSwitch does. */
int
sl_port_apply_flow_ctrl(unsigned int slot, const struct sl_values *cfg, char *err, size_t errlen)
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
	if (rc == -ENOTSUP || rc == -EOPNOTSUPP) {
		/* net_tap reads "none" but refuses any other mode. */
		snprintf(err, errlen, "flow control is not supported by %s", pp->driver);
		return -ENOTSUP;
	}
	if (rc < 0) {
		snprintf(err, errlen, "flow control: %s refused it: %s", pp->driver, strerror(-rc));
		return rc;
	}
	return 0;
}

int
sl_port_pool_for(unsigned int slot, uint16_t mtu, uint16_t n_rxq, struct rte_mempool **mp,
		 char *err, size_t errlen)
{
	const struct sl_port *p = &sl_p.shm->ports[slot];
	struct sl_port_priv *pp = &sl_p.ports[slot];
	struct sl_pool_req req = { .what = pp->devname };
	struct rte_eth_dev_info info;
	int rc;

	rc = rte_eth_dev_info_get(p->port_id, &info);
	if (rc < 0) {
		snprintf(err, errlen, "cannot query %s: %s", pp->devname, strerror(-rc));
		return rc;
	}
	req.need = sl_port_mbuf_need(n_rxq, SL_RX_DESC, p->n_txq, SL_TX_DESC, hw_tx(&info),
				     p->bridged);
	rc = choose_pool(slot, mtu, &req, mp, err, errlen);
	if (rc == 0 && *mp == pp->pool)
		*mp = NULL;
	return rc;
}
