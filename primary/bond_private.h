/* SPDX-License-Identifier: BSD-3-Clause */
/* What bond.c keeps of each bond, shared with bond_cmds.c (the show text and member commands). */
#ifndef SL_PRIMARY_BOND_PRIVATE_H
#define SL_PRIMARY_BOND_PRIVATE_H

#include <net/if.h>

#include <rte_ether.h>

#include "bond.h"
#include "lacp.h"
#include "primary.h"

struct sl_pmember {
	uint8_t slot;
	bool carrier;          /* link up, as last polled */
	bool link_enabled;     /* carrier with the up/down delays applied */
	uint64_t delay_due_ms; /* 0: no delay running */
	bool admin_disabled;   /* bond-disable-member */
	bool may_enable;
	bool was_enabled;      /* may_enable at the last choice */
	char ifname[IFNAMSIZ]; /* net_af_packet: the kernel interface whose carrier counts */
	struct rte_ether_addr mac;
	struct sl_lacp_member lacp;
	uint64_t enabled_ms;   /* when it was last enabled */
};

struct sl_pbond {
	bool used;
	char name[SL_PORT_NAME_LEN];
	uint8_t mode;     /* configured bond_mode */
	uint8_t lacp_mode;
	uint32_t rebalance_ms, updelay_ms, downdelay_ms;
	char primary[SL_PORT_NAME_LEN];
	unsigned int n;
	struct sl_pmember m[SL_BOND_MAX_MEMBERS];
	struct sl_lacp lacp;
	uint64_t next_rebalance_ms;
	uint64_t last_total[SL_BOND_BUCKETS]; /* summed worker load at the last rebalance */
	uint64_t load[SL_BOND_BUCKETS];       /* bytes in the last interval */
	int active;                           /* index into m[], -1 */
};

extern struct sl_bond_zone *sl_pbz;
extern struct sl_pbond sl_pbonds[SL_MAX_PORTS];

/* The slot of the bond named @name, -1 if none. */
int sl_pbond_by_name(const char *name);
/* The mode in force: balance modes fall back to active-backup without negotiated LACP. */
uint8_t sl_pbond_mode(const struct sl_pbond *pb);
/* One housekeeping step of the bond in @slot: links, LACP, choices published. */
void sl_pbond_run(unsigned int slot, uint64_t now);

#endif /* SL_PRIMARY_BOND_PRIVATE_H */
