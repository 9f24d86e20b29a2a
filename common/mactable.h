/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shared L2 learning table behind the NORMAL action.  Every worker
 * learns into it and looks up in it without locks: it is a cache, so a lost
 * race costs at most one flooded packet, never a wrong forwarding decision
 * that outlives the next learned packet.
 *
 * A generation counter (shm->mac_gen) is bumped whenever an entry appears,
 * moves to another port or goes away, so that a worker may cache what the
 * table said (forward.c) and ask again only when the generation moved, or
 * once a second for the ageing.
 */
#ifndef SL_MACTABLE_H
#define SL_MACTABLE_H

#include <stdint.h>
#include <string.h>

#include "shm.h"

/* The table's key for @mac on @vlan: never 0 (0 is an empty entry). */
static inline uint64_t
sl_mac_key(const uint8_t mac[6], uint16_t vlan)
{
	uint32_t lo;
	uint16_t hi;

	/* Two loads into registers: a 6-byte copy into a zeroed word on the
	 * stack, read back whole, stalls on store forwarding (perf: most of
	 * NORMAL's own cost). */
	memcpy(&lo, mac, 4);
	memcpy(&hi, mac + 4, 2);
	return (lo | (uint64_t)hi << 32) | ((uint64_t)(vlan & SL_VLAN_VID_MASK) + 1) << 48;
}

/*
 * Learn that @mac on @vlan (0..4095, or 0 for untagged) lives behind @ofport.
 * Writes the shared entry only when it is new, moved, or last seen a second
 * or more ago; bumps *@gen when it is new or moved.
 */
void sl_mac_learn(struct sl_mac_entry *table, uint32_t *gen, const uint8_t mac[6], uint16_t vlan,
		  uint16_t ofport, uint32_t now_s);

/* Port for @mac on @vlan if learned within @aging_s seconds, else SL_OFPORT_NONE. */
uint16_t sl_mac_lookup(const struct sl_mac_entry *table, const uint8_t mac[6], uint16_t vlan,
		       uint32_t now_s, uint32_t aging_s);

/* Forget everything learned on @ofport (port removed); bumps *@gen. */
void sl_mac_flush_port(struct sl_mac_entry *table, uint32_t *gen, uint16_t ofport);

#endif /* SL_MACTABLE_H */
