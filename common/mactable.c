/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <rte_hash_crc.h>

#include "mactable.h"

#define SL_MAC_PROBE 4 /* entries looked at per bucket */

static inline uint32_t
mac_bucket(uint64_t key)
{
	return rte_hash_crc_8byte(key, 0x5a5a5a5a) & (SL_MAC_TABLE_SIZE - 1);
}

static inline uint64_t
mac_val(uint16_t ofport, uint32_t now_s)
{
	return (uint64_t)ofport << 32 | now_s;
}

static inline void
gen_bump(uint32_t *gen)
{
	/* After the entry's stores: whoever sees the new generation asks again. */
	__atomic_fetch_add(gen, 1, __ATOMIC_RELEASE);
}

void
sl_mac_learn(struct sl_mac_entry *table, uint32_t *gen, const uint8_t mac[6], uint16_t vlan,
	     uint16_t ofport, uint32_t now_s)
{
	uint64_t key = sl_mac_key(mac, vlan), want = mac_val(ofport, now_s);
	uint32_t b = mac_bucket(key), victim = b, oldest = UINT32_MAX;
	unsigned int i;

	for (i = 0; i < SL_MAC_PROBE; i++) {
		struct sl_mac_entry *e = &table[(b + i) & (SL_MAC_TABLE_SIZE - 1)];
		uint64_t k = __atomic_load_n(&e->key, __ATOMIC_ACQUIRE);
		uint64_t v = __atomic_load_n(&e->val, __ATOMIC_RELAXED);

		if (k == key) {
			/* Rewrite only when something changed: the line is
			 * shared by every worker that sees this source. */
			if ((uint16_t)(v >> 32) != ofport) {
				__atomic_store_n(&e->val, want, __ATOMIC_RELAXED);
				gen_bump(gen);
			} else if (now_s != (uint32_t)v) {
				__atomic_store_n(&e->val, want, __ATOMIC_RELAXED);
			}
			return;
		}
		if (k == 0) {
			victim = (b + i) & (SL_MAC_TABLE_SIZE - 1);
			oldest = 0;
			break;
		}
		if ((uint32_t)v < oldest) {
			oldest = (uint32_t)v;
			victim = (b + i) & (SL_MAC_TABLE_SIZE - 1);
		}
	}
	/* Empty the key first so that no reader pairs the old key with the new port. */
	__atomic_store_n(&table[victim].key, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&table[victim].val, want, __ATOMIC_RELEASE);
	__atomic_store_n(&table[victim].key, key, __ATOMIC_RELEASE);
	gen_bump(gen);
}

uint16_t
sl_mac_lookup(const struct sl_mac_entry *table, const uint8_t mac[6], uint16_t vlan,
	      uint32_t now_s, uint32_t aging_s)
{
	uint64_t key = sl_mac_key(mac, vlan);
	uint32_t b = mac_bucket(key);
	unsigned int i;

	for (i = 0; i < SL_MAC_PROBE; i++) {
		const struct sl_mac_entry *e = &table[(b + i) & (SL_MAC_TABLE_SIZE - 1)];
		uint64_t v;

		if (__atomic_load_n(&e->key, __ATOMIC_ACQUIRE) != key)
			continue;
		v = __atomic_load_n(&e->val, __ATOMIC_ACQUIRE);
		if (__atomic_load_n(&e->key, __ATOMIC_ACQUIRE) != key)
			return SL_OFPORT_NONE; /* rewritten under us: flood this once */
		if (now_s - (uint32_t)v > aging_s)
			return SL_OFPORT_NONE;
		return (uint16_t)(v >> 32);
	}
	return SL_OFPORT_NONE;
}

void
sl_mac_flush_port(struct sl_mac_entry *table, uint32_t *gen, uint16_t ofport)
{
	uint32_t i;

	for (i = 0; i < SL_MAC_TABLE_SIZE; i++) {
		uint64_t v = __atomic_load_n(&table[i].val, __ATOMIC_RELAXED);

		if (table[i].key != 0 && (uint16_t)(v >> 32) == ofport)
			__atomic_store_n(&table[i].key, 0, __ATOMIC_RELEASE);
	}
	gen_bump(gen);
}
