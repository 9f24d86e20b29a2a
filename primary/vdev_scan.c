/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a starting secondary is told of the primary's virtual devices.
 *
 * A secondary's EAL asks the primary's vdev bus for its devices when it
 * starts ("bus_vdev_mp", a scan request) and probes every one it is told
 * of.  DPDK 22.11's answer names them all, the bridged ones that the
 * primary attached for itself alone (rte_vdev_init) included, so a worker
 * or sluice-dump started after such a port was added probed it: net_pcap
 * reopened (and truncated) the port's tx_pcap file in that process, and
 * left 512 bytes of its per-process state in the shared heap each time
 * the process was killed.
 *
 * So the primary answers the request itself, with the vdevs that every
 * process may probe: those it had when it started and those attached with
 * rte_dev_probe (direct ports), never the bridged ones.  The messages are
 * the vdev bus's own (drivers/bus/vdev/vdev.c in DPDK 22.11: a scan
 * request, one message per device, then a reply with the count); the
 * secondary side of the exchange is DPDK's, untouched.  The names are kept
 * here, under a lock of their own, because the answer is sent from the
 * EAL's IPC thread while the main thread attaches and detaches devices
 * (and rte_dev_probe itself waits on that thread: no lock of ours is held
 * across it).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_string_fns.h>

#include "primary.h"

#define VDEV_MP_KEY "bus_vdev_mp"

/* The vdev bus's IPC message (struct vdev_param in DPDK 22.11's vdev.c). */
struct vdev_scan_msg {
	int type;
	int num;
	char name[RTE_DEV_NAME_MAX_LEN];
};

enum { VDEV_SCAN_REQ = 1, VDEV_SCAN_ONE = 2, VDEV_SCAN_REP = 3 };

_Static_assert(sizeof(struct vdev_scan_msg) <= RTE_MP_MAX_PARAM_LEN, "fits one IPC message");

/* Direct vdevs: a port's at most, and what the EAL command line made. */
#define MAX_SHARED (SL_MAX_PORTS + 32)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char shared[MAX_SHARED][RTE_DEV_NAME_MAX_LEN];
static unsigned int n_shared;

static int
find(const char *name)
{
	for (unsigned int i = 0; i < n_shared; i++)
		if (strcmp(shared[i], name) == 0)
			return (int)i;
	return -1;
}

void
sl_vdev_scan_add(const char *name)
{
	pthread_mutex_lock(&lock);
	if (find(name) < 0 && n_shared < MAX_SHARED)
		rte_strlcpy(shared[n_shared++], name, sizeof(shared[0]));
	else if (find(name) < 0)
		PLOG(WARNING, "vdev %s: more than %u shared vdevs; a secondary started from now "
			      "on will not probe it", name, MAX_SHARED);
	pthread_mutex_unlock(&lock);
}

void
sl_vdev_scan_del(const char *name)
{
	int i;

	pthread_mutex_lock(&lock);
	i = find(name);
	if (i >= 0) {
		n_shared--;
		if ((unsigned int)i != n_shared)
			memcpy(shared[i], shared[n_shared], sizeof(shared[0]));
	}
	pthread_mutex_unlock(&lock);
}

/* A secondary's scan request: each shared vdev in a message of its own, then the count. */
static int
answer(const struct rte_mp_msg *msg, const void *peer)
{
	const struct vdev_scan_msg *in = (const struct vdev_scan_msg *)msg->param;
	struct rte_mp_msg out;
	struct vdev_scan_msg *o = (struct vdev_scan_msg *)out.param;
	int num = 0;

	if (msg->len_param < (int)sizeof(*in) || in->type != VDEV_SCAN_REQ)
		return 0; /* only secondaries are sent the others */
	memset(&out, 0, sizeof(out));
	rte_strlcpy(out.name, VDEV_MP_KEY, sizeof(out.name));
	out.len_param = sizeof(*o);
	o->type = VDEV_SCAN_ONE;
	o->num = 1;
	pthread_mutex_lock(&lock);
	for (unsigned int i = 0; i < n_shared; i++) {
		rte_strlcpy(o->name, shared[i], sizeof(o->name));
		if (rte_mp_sendmsg(&out) < 0)
			PLOG(WARNING, "vdev scan: cannot send %s: %s", shared[i],
			     rte_strerror(rte_errno));
		num++;
	}
	pthread_mutex_unlock(&lock);
	memset(o, 0, sizeof(*o));
	o->type = VDEV_SCAN_REP;
	o->num = num;
	if (rte_mp_reply(&out, peer) < 0)
		PLOG(WARNING, "vdev scan: cannot reply: %s", rte_strerror(rte_errno));
	return 0;
}

int
sl_vdev_scan_init(void)
{
	struct rte_dev_iterator it;
	struct rte_device *dev;

	/* No secondary runs yet: what the EAL attached is every vdev there is. */
	RTE_DEV_FOREACH(dev, "bus=vdev", &it)
		sl_vdev_scan_add(rte_dev_name(dev));
	rte_mp_action_unregister(VDEV_MP_KEY);
	if (rte_mp_action_register(VDEV_MP_KEY, answer) < 0) {
		PLOG(ERR, "cannot answer the vdev bus's scan requests: %s",
		     rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}
