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
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "primary.h"

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
	bool client;

	if (sl_vhost_socket(sl_p.ports[slot].devargs, path, sizeof(path), &client) != 1 || client)
		return;
	if (chmod(path, 0660) < 0)
		PLOG(WARNING, "vhost-user socket %s: chmod 0660: %s", path, strerror(errno));
}
