/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The kernel side of a net_tap port: its interface, in whichever network
 * namespace it now lives.  Users move a tap interface into a namespace
 * (that is how two hosts are put behind a switch); net_tap then asks the
 * primary's own namespace about it by name, finds nothing and reports the
 * link down and refuses an MTU it could carry.  The tun file descriptor
 * the PMD holds still leads to the device: TUNGETDEVNETNS gives its
 * namespace, and a socket made there reaches the interface.
 *
 * net_tap in DPDK 22.11 also caps the frames it sends at its own MTU,
 * which ethdev will not raise past a 1522-byte frame (max_rx_pktlen); it
 * reads a whole frame of any length into our mbufs.  Frames it would
 * refuse are written to a tun queue of the same interface here, as net_tap
 * itself writes them (a tun_pi header, then the segments).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

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

/* The network namespace of @ifname's device (an fd), and whether it is ours. */
static int
netns_of(const char *ifname, int *self, bool *ours)
{
	struct stat ns_st, self_st;
	int tun, ns;

	tun = find_tun_fd(ifname);
	if (tun < 0)
		return tun;
	ns = ioctl(tun, TUNGETDEVNETNS);
	if (ns < 0)
		return -errno;
	*self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*self < 0 || fstat(ns, &ns_st) < 0 || fstat(*self, &self_st) < 0) {
		int rc = -errno;

		if (*self >= 0)
			close(*self);
		close(ns);
		return rc;
	}
	*ours = ns_st.st_ino == self_st.st_ino && ns_st.st_dev == self_st.st_dev;
	return ns;
}

int
sl_tap_in_our_netns(const char *ifname)
{
	int self, ns;
	bool ours;

	ns = netns_of(ifname, &self, &ours);
	if (ns < 0)
		return ns;
	close(ns);
	close(self);
	return ours;
}

/* A datagram socket in the network namespace of @ifname's device. */
static int
socket_near(const char *ifname)
{
	int ns, self = -1, s, rc;
	bool ours;

	ns = netns_of(ifname, &self, &ours);
	if (ns < 0)
		return ns;
	if (ours) {
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

int
sl_tap_tx_open(const char *ifname)
{
	int fd = find_tun_fd(ifname), d;

	if (fd < 0)
		return fd;
	/* Our own reference, above stdio: it is closed before the device is. */
	d = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	return d < 0 ? -errno : d;
}

/* Write @m as one frame to the tun queue @fd; 0 or -errno. */
static int
write_frame(int fd, const struct rte_mbuf *m)
{
	struct iovec iov[1 + RTE_MBUF_MAX_NB_SEGS];
	struct tun_pi pi = { 0 };
	int n = 0;

	iov[n].iov_base = &pi;
	iov[n++].iov_len = sizeof(pi);
	for (const struct rte_mbuf *s = m; s != NULL && n < (int)RTE_DIM(iov); s = s->next) {
		iov[n].iov_base = rte_pktmbuf_mtod(s, void *);
		iov[n++].iov_len = s->data_len;
	}
	return writev(fd, iov, n) < 0 ? -errno : 0;
}

uint16_t
sl_tap_tx_burst(uint16_t port_id, int fd, uint32_t pmd_max, struct rte_mbuf **pkts, uint16_t n,
		uint64_t *big_pkts, uint64_t *big_bytes)
{
	uint16_t done = 0;

	while (done < n) {
		uint16_t run = 0, sent;

		while (done + run < n && pkts[done + run]->pkt_len <= pmd_max)
			run++;
		if (run != 0) {
			sent = rte_eth_tx_burst(port_id, 0, pkts + done, run);
			done += sent;
			if (sent < run)
				return done;
			continue;
		}
		if (write_frame(fd, pkts[done]) < 0)
			return done;
		*big_pkts += 1;
		*big_bytes += pkts[done]->pkt_len;
		rte_pktmbuf_free(pkts[done++]);
	}
	return done;
}
