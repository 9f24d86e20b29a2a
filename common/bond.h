/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bonds in shared memory: the memzone SL_BOND_ZONE, written by the primary
 * (which runs LACP, watches the members' links and decides which member
 * carries what) and read by the workers (which send a packet to a bond on
 * the member its mode picks, and hand LACPDUs received on members to the
 * primary).  A bond is a port slot of its own, with no device; its members
 * are device ports.  Roles change only with a ports_gen bump (workers
 * refresh then); the per-bond choice (active member, enabled members,
 * bucket map) changes at any time, one byte at a time, relaxed: a packet
 * sees the old choice or the new one.
 */
#ifndef SL_BOND_H
#define SL_BOND_H

#include <stdint.h>

#include "bond_conf.h"
#include "flow.h"

#define SL_BOND_ZONE "sl_bonds"
#define SL_BOND_BUCKETS 256 /* hash buckets, as Open vSwitch's BOND_BUCKETS */
#define SL_BOND_NONE 0xff   /* no member / no bond */
#define SL_LACP_RING_SIZE 256
#define SL_ETHER_TYPE_SLOW 0x8809 /* slow protocols: LACP, marker */

enum sl_bond_role {
	SL_BR_NONE = 0,
	SL_BR_BOND,   /* the slot is a bond: tx goes to a member */
	SL_BR_MEMBER, /* the slot is a member of bond bond_of[slot] (SL_BOND_NONE: of none yet) */
};

/* One bond, by its port slot.  P writes, W reads (relaxed bytes). */
struct sl_bond_state {
	uint8_t mode;      /* enum sl_bond_mode as in force (fallback: SL_BM_AB) */
	uint8_t n_members;
	uint8_t active;    /* member slot carrying active-backup traffic; SL_BOND_NONE: drop */
	uint8_t pad;
	uint8_t member[SL_BOND_MAX_MEMBERS]; /* member slots */
	uint8_t enabled[SL_MAX_PORTS];        /* by member slot: may carry traffic */
	uint8_t bucket[SL_BOND_BUCKETS];      /* balance modes: member slot per hash bucket */
} __attribute__((aligned(64)));

struct rte_ring;

struct sl_bond_zone {
	uint8_t role[SL_MAX_PORTS];    /* P: enum sl_bond_role */
	uint8_t bond_of[SL_MAX_PORTS]; /* P: a member's bond slot */
	struct sl_bond_state bond[SL_MAX_PORTS];
	/* W -> P: slow-protocol frames received on members (m->hash.usr: member slot), SP/SC. */
	struct rte_ring *lacp_rx[SL_MAX_WORKERS];
	/* P -> bridge thread: LACPDUs for bridged members, SP/SC. */
	struct rte_ring *lacp_tx[SL_MAX_PORTS];
	/* W: bytes each worker sent through each bond's buckets (its own lines). */
	uint64_t load[SL_MAX_WORKERS][SL_MAX_PORTS][SL_BOND_BUCKETS] __attribute__((aligned(64)));
	uint64_t lacp_steered[SL_MAX_WORKERS] __attribute__((aligned(64))); /* W */
	uint64_t lacp_dropped[SL_MAX_WORKERS]; /* W: ring to the primary full */
};

struct sl_flow_key;

/* The bucket of @key for bond mode @mode: balance-slb hashes the source MAC and VLAN,
 * balance-tcp the L3/L4 5-tuple symmetrically (both directions of a flow alike),
 * with the select groups' hash (common/group.c). */
unsigned int sl_bond_bucket(unsigned int mode, const struct sl_flow_key *key);

#endif /* SL_BOND_H */
