/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Who may ask for what.  By default only root (the owner of the rundir)
 * can reach sluiced's socket, and a root client may attach anything.  With
 * `sluiced --group NAME` the socket opens to that group, and clients are
 * then treated as less than root: what a request would make the root
 * primary open (pcap files, vhost and memif sockets) must lie in the rundir
 * or a --data-dir; host interfaces and PCI devices must be allowed by name
 * (--allow-iface, --allow-pci); drivers come from an allow-list.
 */
#ifndef SL_POLICY_H
#define SL_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#define SL_POLICY_MAX 16

struct sl_policy {
	bool confined; /* --group given: clients are not root */
	const char *rundir;
	const char *data_dirs[SL_POLICY_MAX];
	unsigned int n_data_dirs;
	const char *ifaces[SL_POLICY_MAX];
	unsigned int n_ifaces;
	const char *pci[SL_POLICY_MAX];
	unsigned int n_pci;
};

/*
 * May a client attach @devargs?  0, or -EPERM with @err naming the driver,
 * path or device that is not allowed and what is.
 */
int sl_policy_check_devargs(const struct sl_policy *pol, const char *devargs, char *err,
			    size_t errlen);

#endif /* SL_POLICY_H */
