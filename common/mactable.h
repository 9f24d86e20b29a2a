/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shared L2 learning table behind the NORMAL action.  Every worker
 * learns into it and looks up in it without locks: it is a cache, so a lost
 * race costs at most one flooded packet, never a wrong forwarding decision
 * that outlives the next learned packet.
 */
#ifndef SL_MACTABLE_H
#define SL_MACTABLE_H

#include <stdint.h>

#include "shm.h"

/* Learn that @mac on @vlan (0..4095, or 0 for untagged) lives behind @ofport. */
void sl_mac_learn(struct sl_mac_entry *table, const uint8_t mac[6], uint16_t vlan,
		  uint16_t ofport, uint32_t now_s);

/* Port for @mac on @vlan if learned within @aging_s seconds, else SL_OFPORT_NONE. */
uint16_t sl_mac_lookup(const struct sl_mac_entry *table, const uint8_t mac[6], uint16_t vlan,
		       uint32_t now_s, uint32_t aging_s);

/* Forget everything learned on @ofport (port removed). */
void sl_mac_flush_port(struct sl_mac_entry *table, uint16_t ofport);

#endif /* SL_MACTABLE_H */
