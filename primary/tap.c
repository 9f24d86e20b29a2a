/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The kernel side of a net_tap port: its interface, in whichever network
 * namespace it now lives.  Users move a tap interface into a namespace
 * (that is how two hosts are put behind a switch); net_tap then asks the
 * primary's own namespace about it by name, finds nothing and reports the
 * link down and refuses an MTU it could carry.  The tun file descriptor
 * the PMD holds still leads to the device: TUNGETDEVNETNS gives its
 * namespace, and a socket made there reaches the interface.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "primary.h"

/* A tun descriptor of this process attached to @ifname, or -ENOENT. */
static int
find_tun_fd(const char *ifname)
{
	char path[64], link[64], want[IF_NAMESIZE + 8], line[128];
	struct dirent *de;
	int found = -ENOENT;
	DIR *d;

	d = opendir("/proc/self/fd");
	if (d == NULL)
		return -errno;
	snprintf(want, sizeof(want), "iff:\t%s\n", ifname);
	while (found < 0 && (de = readdir(d)) != NULL) {
		ssize_t n;
		FILE *f;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		if (strcmp(link, "/dev/net/tun") != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%s", de->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		while (fgets(line, sizeof(line), f) != NULL)
			if (strcmp(line, want) == 0)
				found = atoi(de->d_name);
		fclose(f);
	}
	closedir(d);
	return found;
}

/* A datagram socket in the network namespace of @ifname's device. */
static int
socket_near(const char *ifname)
{
	struct stat ns_st, self_st;
	int tun, ns, self, s, rc;

	tun = find_tun_fd(ifname);
	if (tun < 0)
		return tun;
	ns = ioctl(tun, TUNGETDEVNETNS);
	if (ns < 0)
		return -errno;
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0 || fstat(ns, &ns_st) < 0 || fstat(self, &self_st) < 0) {
		rc = -errno;
		goto out;
	}
	if (ns_st.st_ino == self_st.st_ino && ns_st.st_dev == self_st.st_dev) {
		rc = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		rc = rc < 0 ? -errno : rc;
		goto out;
	}
	/* Only this thread moves, and only for the socket() call. */
	if (setns(ns, CLONE_NEWNET) < 0) {
		rc = -errno;
		goto out;
	}
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	rc = s < 0 ? -errno : s;
	if (setns(self, CLONE_NEWNET) < 0) {
		PLOG(ERR, "cannot return to our network namespace: %s", strerror(errno));
		abort(); /* every later socket of this thread would be in the wrong place */
	}
out:
	if (self >= 0)
		close(self);
	close(ns);
	return rc;
}

static int
if_ioctl(const char *ifname, unsigned long req, struct ifreq *ifr)
{
	int s = socket_near(ifname), rc = 0;

	if (s < 0)
		return s;
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", ifname);
	if (ioctl(s, req, ifr) < 0)
		rc = -errno;
	close(s);
	return rc;
}

int
sl_tap_set_mtu(const char *ifname, uint16_t mtu)
{
	struct ifreq ifr = { .ifr_mtu = mtu };

	return if_ioctl(ifname, SIOCSIFMTU, &ifr);
}

int
sl_tap_link_up(const char *ifname)
{
	struct ifreq ifr = { 0 };
	int rc = if_ioctl(ifname, SIOCGIFFLAGS, &ifr);

	if (rc < 0)
		return rc;
	return (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
}
