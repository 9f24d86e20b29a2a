/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Attaching and detaching devices: which process attaches a device
 * (bridged ones only the primary), what a device will keep of our mbufs,
 * and the `detach` verb for a device no port uses (OVS's
 * netdev-dpdk/detach, with its answers).
 *
 * A bridged device is attached in the primary alone (rte_vdev_init, not
 * rte_dev_probe): no secondary opens its files or sockets, so a worker
 * starting or restarting cannot truncate a pcap output, a stopped secondary
 * cannot block its hotplug, and PMDs that crash in a secondary
 * (net_af_packet in 22.11) are safe to use.  A pcap port that only reads is
 * direct (see needs_bridge()).
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>
#include <rte_bus.h>
#include <rte_bus_vdev.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_ethdev.h>
#include <rte_kvargs.h>

#include "primary.h"
#include "util.h"

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

static bool
is_pcap(const char *devname)
{
	return strncmp(devname, "net_pcap", 8) == 0 || strncmp(devname, "eth_pcap", 8) == 0;
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
	if (!driver_is_bridged(devname))
		return false;
	return !is_pcap(devname) || strstr(args, "tx_pcap=") != NULL ||
	       strstr(args, "iface=") != NULL || devargs_len >= SL_MP_DEVARGS_SAFE;
}

/*
 * net_af_packet's own ring (512 frames of 2 KiB) fills in a fraction of a
 * millisecond of a TCP stream; a bridge thread that waits that long for a
 * CPU (two cores shared with the endpoints) loses segments, and TCP backs
 * off.  Unless the devargs choose, a ring 8x deeper (8 MiB each way).
 */
#define SL_AF_PACKET_FRAMECNT 4096

static void
af_packet_defaults(const char *devname, char *args, size_t len)
{
	size_t n = strlen(args);

	if ((strncmp(devname, "net_af_packet", 13) != 0 &&
	    strncmp(devname, "eth_af_packet", 13) != 0) ||
	    strstr(args, "framecnt=") != NULL)
		return;
	snprintf(args + n, len - n, "%sframecnt=%u", n != 0 ? "," : "", SL_AF_PACKET_FRAMECNT);
}

struct held {
	uint32_t n, longest;
	char err[256];
};

/* One rx_pcap= file: how many packets it has and the longest. */
static int
count_file(const char *key, const char *path, void *arg)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct held *h = arg;
	struct pcap_pkthdr *ph;
	const u_char *data;
	pcap_t *p;

	(void)key;
	p = pcap_open_offline(path, errbuf);
	if (p == NULL) {
		snprintf(h->err, sizeof(h->err), "cannot read rx_pcap %s: %s", path, errbuf);
		return -1;
	}
	while (pcap_next_ex(p, &ph, &data) == 1) {
		h->n++;
		h->longest = RTE_MAX(h->longest, ph->caplen);
	}
	pcap_close(p);
	return 0;
}

/*
 * With infinite_rx, net_pcap copies every packet of its rx files into
 * mbufs at queue setup and keeps them while the port lives (one segment
 * each, or it refuses the queue).
 */
static int
inspect_held(struct sl_port_priv *pp, const char *args, char *err, size_t errlen)
{
	struct rte_kvargs *kv;
	struct held h = { 0 };
	const char *v;

	pp->held = pp->held_len = 0;
	if (!is_pcap(pp->devname) || strstr(args, "infinite_rx") == NULL)
		return 0;
	kv = rte_kvargs_parse(args, NULL);
	if (kv == NULL)
		return 0; /* the PMD will say what is wrong with them */
	v = rte_kvargs_get(kv, "infinite_rx");
	if (v != NULL && atoi(v) > 0 && rte_kvargs_process(kv, "rx_pcap", count_file, &h) < 0) {
		snprintf(err, errlen, "%s: %s", pp->devname, h.err);
		rte_kvargs_free(kv);
		return -EINVAL;
	}
	rte_kvargs_free(kv);
	pp->held = h.n;
	pp->held_len = h.longest;
	return 0;
}

/* net_tap: the kernel interface it made, by the index it reports. */
static void
note_kernel_if(struct sl_port_priv *pp, const struct rte_eth_dev_info *info)
{
	char name[IF_NAMESIZE];

	pp->kernel_if[0] = '\0';
	if (strcmp(info->driver_name, "net_tap") == 0 && info->if_index != 0 &&
	    if_indextoname(info->if_index, name) != NULL)
		snprintf(pp->kernel_if, sizeof(pp->kernel_if), "%s", name);
}

static int remove_ethdev(uint16_t port_id, bool local_only, const char *devname);

/* Does a port other than @slot use device @devname? */
static bool
device_used(unsigned int slot, const char *devname)
{
	for (unsigned int s = 0; s < SL_MAX_PORTS; s++)
		if (s != slot && sl_p.shm->ports[s].state != SL_PORT_FREE &&
		    strcmp(sl_p.ports[s].devname, devname) == 0)
			return true;
	return false;
}

int
sl_dev_probe(unsigned int slot, const char *devargs, char *err, size_t errlen)
{
	struct sl_port_priv *pp = &sl_p.ports[slot];
	struct rte_eth_dev_info info;
	struct rte_devargs da;
	char args[512] = "";
	uint16_t port_id;
	bool on_vdev;
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
	on_vdev = da.bus != NULL && strcmp(rte_bus_name(da.bus), "vdev") == 0;
	pp->bridged = on_vdev && needs_bridge(pp->devname, args, strlen(devargs));
	pp->local_only = pp->bridged;
	rte_devargs_reset(&da);
	if (rte_eth_dev_get_port_by_name(pp->devname, &port_id) == 0) {
		/* A device no port uses was left attached by a detach that
		 * failed (a worker that did not answer: del-port said so); a
		 * replay or reconcile that adds the port again takes it back. */
		if (device_used(slot, pp->devname) ||
		    remove_ethdev(port_id, pp->local_only, pp->devname) < 0) {
			snprintf(err, errlen, "device %s is already attached", pp->devname);
			return -EEXIST;
		}
		PLOG(INFO, "detached %s, which no port used, to attach it again", pp->devname);
	}
	rc = inspect_held(pp, args, err, errlen);
	if (rc < 0)
		return rc;
	rc = sl_vhost_prepare(slot, devargs, err, errlen);
	if (rc < 0)
		return rc;
	if (pp->local_only)
		af_packet_defaults(pp->devname, args, sizeof(args));
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
	/* Workers started from now on probe a direct vdev too, never a bridged one. */
	if (on_vdev && !pp->local_only)
		sl_vdev_scan_add(pp->devname);
	sl_p.shm->ports[slot].port_id = port_id;
	rte_eth_dev_info_get(port_id, &info);
	snprintf(pp->driver, sizeof(pp->driver), "%s", info.driver_name);
	snprintf(pp->devargs, sizeof(pp->devargs), "%s", devargs);
	note_kernel_if(pp, &info);
	return 0;
}

/* Close ethdev @port_id and remove its device, in every process that has it. */
static int
remove_ethdev(uint16_t port_id, bool local_only, const char *devname)
{
	struct rte_eth_dev_info info;
	int rc;

	if (rte_eth_dev_info_get(port_id, &info) < 0 || info.device == NULL)
		return -ENODEV;
	rte_eth_dev_close(port_id);
	sl_vdev_scan_del(devname);
	rc = local_only ? rte_vdev_uninit(devname) : rte_dev_remove(info.device);
	if (rc < 0)
		PLOG(WARNING, "remove %s: %s", devname, strerror(-rc));
	return rc;
}

int
sl_dev_remove(unsigned int slot)
{
	const struct sl_port_priv *pp = &sl_p.ports[slot];

	return remove_ethdev(sl_p.shm->ports[slot].port_id, pp->local_only, pp->devname);
}

/* Whether bus @bus has a device called @name (attached, with or without a port). */
static bool
device_exists(const char *bus, const char *name)
{
	struct rte_dev_iterator it;
	struct rte_device *dev;
	char filter[80];

	snprintf(filter, sizeof(filter), "bus=%s", bus);
	RTE_DEV_FOREACH(dev, filter, &it)
		if (strcmp(rte_dev_name(dev), name) == 0)
			return true;
	return false;
}

int
sl_dev_detach(const char *devargs, char *msg, size_t msglen)
{
	char name[RTE_DEV_NAME_MAX_LEN], bus[64] = "", used[1024] = "", shown[160];
	struct rte_devargs da;
	uint16_t port_id;
	int rc;

	sl_printable(devargs, shown, sizeof(shown));
	memset(&da, 0, sizeof(da));
	if (rte_devargs_parse(&da, devargs) < 0) {
		snprintf(msg, msglen, "Device '%s' not found in DPDK", shown);
		return -ENOENT;
	}
	snprintf(name, sizeof(name), "%s", da.name);
	if (da.bus != NULL)
		snprintf(bus, sizeof(bus), "%s", rte_bus_name(da.bus));
	rte_devargs_reset(&da);

	for (unsigned int s = 0; s < SL_MAX_PORTS; s++)
		if (sl_p.shm->ports[s].state != SL_PORT_FREE &&
		    strcmp(sl_p.ports[s].devname, name) == 0)
			snprintf(used + strlen(used), sizeof(used) - strlen(used), " %s",
				 sl_p.shm->ports[s].name);
	if (used[0] != '\0') {
		snprintf(msg, msglen,
			 "Device '%s' is being used by the following interfaces:%s. Remove them "
			 "before detaching.",
			 shown, used);
		return -EBUSY;
	}
	if (rte_eth_dev_get_port_by_name(name, &port_id) == 0)
		rc = remove_ethdev(port_id, false, name);
	else if (bus[0] != '\0' && device_exists(bus, name)) {
		sl_vdev_scan_del(name);
		rc = rte_eal_hotplug_remove(bus, name);
	}
	else
		rc = -ENOENT;
	if (rc == -ENOENT || rc == -ENODEV) {
		snprintf(msg, msglen, "Device '%s' not found in DPDK", shown);
		return -ENOENT;
	}
	if (rc < 0) {
		snprintf(msg, msglen, "Device '%s' can not be detached", shown);
		return rc;
	}
	snprintf(msg, msglen, "Device '%s' has been detached", shown);
	PLOG(INFO, "%s", msg);
	return 0;
}
