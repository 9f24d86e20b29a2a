/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost-user sockets around net_vhost.  In server mode (dpdkvhostuser)
 * DPDK's vhost library binds the socket and refuses a path that exists, so
 * a socket a killed primary left behind would keep the port from coming
 * back on replay: the primary removes it first, as long as it is stale (a
 * connect is refused: nobody serves it) and none of its own ports uses it
 * (sluiced keeps two ports off one socket).  The socket is
 * then made 0660, as Open vSwitch makes its vhost-user sockets, so that a
 * QEMU in the rundir's group can connect.  In client mode
 * (dpdkvhostuserclient) the socket is QEMU's: nothing to do, the vhost
 * library reconnects on its own whenever the server comes back.
 *
 * Queues follow the guest.  A vhost-user port is attached with room for
 * SL_VHOST_MAX_QUEUES queue pairs (queues= in its devargs) and started
 * with as many as the guest has enabled (1 before it connects), whatever
 * n_rxq says, as Open vSwitch does with its vhost ports: a queue the port
 * lacks is one whose packets nobody reads, a queue the guest left disabled
 * one the bridge polls for nothing.  net_vhost records each vring the
 * guest enables or disables; housekeeping reads those changes
 * (rte_eth_vhost_get_queue_event: the difference from what it read
 * last, so none is lost while we are busy) and restarts the port when the
 * count changed, as a set-port n_rxq would.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_eth_vhost.h>
#include <rte_ethdev.h>

#include "primary.h"
#include "settings.h"

/* Another port of ours on socket @path, or -1. */
static int
slot_on_socket(unsigned int self, const char *path)
{
	char theirs[SL_DEVARGS_MAX];
	bool client;

	for (unsigned int i = 0; i < SL_MAX_PORTS; i++)
		if (i != self && sl_p.ports[i].devargs[0] != '\0' &&
		    sl_vhost_socket(sl_p.ports[i].devargs, theirs, sizeof(theirs), &client) == 1 &&
		    strcmp(theirs, path) == 0)
			return (int)i;
	return -1;
}

/* Does a process listen on Unix socket @path?  (A stale one refuses.) */
static bool
socket_is_live(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), rc;

	if (fd < 0 || strlen(path) >= sizeof(sa.sun_path)) {
		if (fd >= 0)
			close(fd);
		return true; /* cannot tell: leave it alone */
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return rc == 0 || errno != ECONNREFUSED;
}

int
sl_vhost_prepare(unsigned int slot, const char *devargs, char *err, size_t errlen)
{
	char path[SL_DEVARGS_MAX];
	struct stat st;
	bool client;
	int other;

	if (sl_vhost_socket(devargs, path, sizeof(path), &client) != 1 || client)
		return 0;
	if (lstat(path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket (a vhost-user socket path)",
			 path);
		return -EEXIST;
	}
	other = slot_on_socket(slot, path);
	if (other >= 0) {
		snprintf(err, errlen, "vhost-user socket %s is already port \"%s\"", path,
			 sl_p.shm->ports[other].name);
		return -EEXIST;
	}
	if (socket_is_live(path)) {
		snprintf(err, errlen, "%s is a socket another process serves: not a vhost-user "
				      "socket of ours", path);
		return -EADDRINUSE;
	}
	if (unlink(path) < 0) {
		snprintf(err, errlen, "cannot remove the stale socket %s: %s", path, strerror(errno));
		return -errno;
	}
	PLOG(INFO, "removed stale vhost-user socket %s", path);
	return 0;
}

void
sl_vhost_started(unsigned int slot)
{
	char path[SL_DEVARGS_MAX];
	struct rte_eth_link link;
	bool client;

	if (strcmp(sl_p.ports[slot].driver, "net_vhost") == 0)
		__atomic_store_n(&sl_p.shm->ports[slot].link_down,
				 rte_eth_link_get_nowait(sl_p.shm->ports[slot].port_id, &link) != 0 ||
					 link.link_status == RTE_ETH_LINK_DOWN,
				 __ATOMIC_RELAXED);

	if (sl_vhost_socket(sl_p.ports[slot].devargs, path, sizeof(path), &client) != 1 || client)
		return;
	if (chmod(path, 0660) < 0)
		PLOG(WARNING, "vhost-user socket %s: chmod 0660: %s", path, strerror(errno));
}

static bool
is_vhost(unsigned int slot)
{
	return strcmp(sl_p.ports[slot].driver, "net_vhost") == 0;
}

/* The queue pairs the guest uses: up to its highest enabled queue. */
static uint16_t
guest_queues(const struct sl_port_priv *pp)
{
	uint64_t on = pp->vhost_rxq_on | pp->vhost_txq_on;

	return on == 0 ? 1 : (uint16_t)(64 - __builtin_clzll(on));
}

uint16_t
sl_vhost_queues(unsigned int slot, uint16_t n_rxq)
{
	struct rte_eth_dev_info info;
	uint16_t want;

	if (!is_vhost(slot))
		return n_rxq;
	want = guest_queues(&sl_p.ports[slot]);
	if (rte_eth_dev_info_get(sl_p.shm->ports[slot].port_id, &info) == 0)
		want = RTE_MIN(want, info.max_rx_queues);
	return RTE_MAX(want, (uint16_t)1);
}

/*
 * Read what the guest enabled or disabled since the last call; false while
 * no guest is there.  A guest gone (destroy_device) forgets its vrings
 * without telling: the next one starts from none.
 */
static bool
read_queue_events(unsigned int slot)
{
	struct sl_port_priv *pp = &sl_p.ports[slot];
	struct rte_eth_vhost_queue_event ev;
	struct rte_eth_link link;

	if (rte_eth_link_get_nowait(sl_p.shm->ports[slot].port_id, &link) != 0 ||
	    link.link_status == RTE_ETH_LINK_DOWN) {
		pp->vhost_rxq_on = 0;
		pp->vhost_txq_on = 0;
		return false;
	}
	while (rte_eth_vhost_get_queue_event(sl_p.shm->ports[slot].port_id, &ev) == 0) {
		uint64_t *on = ev.rx ? &pp->vhost_rxq_on : &pp->vhost_txq_on;

		if (ev.queue_id >= 64)
			continue;
		if (ev.enable)
			*on |= UINT64_C(1) << ev.queue_id;
		else
			*on &= ~(UINT64_C(1) << ev.queue_id);
	}
	return true;
}

void
sl_vhost_tick(void)
{
	for (unsigned int s = 0; s < SL_MAX_PORTS; s++) {
		struct sl_port *p = &sl_p.shm->ports[s];
		struct sl_port_priv *pp = &sl_p.ports[s];
		char err[256];
		uint16_t want;

		if (p->state != SL_PORT_ACTIVE || !is_vhost(s))
			continue;
		/* The link is the guest's driver (new_device .. destroy_device);
		 * fast_failover's watch ports follow it.  Without a guest the
		 * port keeps its queues for the next one. */
		if (!read_queue_events(s)) {
			__atomic_store_n(&p->link_down, 1, __ATOMIC_RELAXED);
			continue;
		}
		__atomic_store_n(&p->link_down, 0, __ATOMIC_RELAXED);
		want = sl_vhost_queues(s, 1);
		if (want == p->n_rxq || want == pp->vhost_tried)
			continue;
		PLOG(INFO, "%s: the guest uses %u queue pairs: restarting the port with them",
		     p->name, want);
		if (sl_port_restart_same(s, err, sizeof(err)) < 0) {
			PLOG(ERR, "%s: restart with %u queues: %s", p->name, want, err);
			pp->vhost_tried = want; /* not again every tick */
		} else {
			pp->vhost_tried = 0;
		}
	}
}
