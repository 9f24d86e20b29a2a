/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Exact-match cache.  Each key may live in one of two slots, picked from
 * different bits of its hash, so two hot flows that collide on one slot
 * usually still both fit.
 *
 * Replacement: when both slots hold live entries of the current generation,
 * the victim is chosen at random (one rng bit).  Random replacement needs no
 * per-entry age updated on the hit path, and unlike a fixed choice it cannot
 * let two hot flows pin a slot pair while a third keeps missing forever.
 */
#include <string.h>

#include <rte_hash_crc.h>

#include "emc.h"

#define SL_EMC_MASK (SL_EMC_ENTRIES - 1)
#define SL_EMC_HASH_SEED 0xc0ffee11u
#define SL_EMC_RNG_SEED 0x2545f491u /* any non-zero value; xorshift never leaves zero */

_Static_assert((SL_EMC_ENTRIES & SL_EMC_MASK) == 0, "SL_EMC_ENTRIES must be a power of two");
_Static_assert(SL_EMC_WAYS == 2, "emc.c implements exactly two ways");

static inline uint64_t
sl_key_word(const struct sl_flow_key *k, unsigned int i)
{
	uint64_t w;

	memcpy(&w, (const char *)k + i * sizeof(w), sizeof(w));
	return w;
}

uint32_t
sl_flow_key_hash(const struct sl_flow_key *key)
{
	uint32_t hash = SL_EMC_HASH_SEED;
	unsigned int i;

	for (i = 0; i < SL_FLOW_KEY_WORDS; i++)
		hash = rte_hash_crc_8byte(sl_key_word(key, i), hash);
	return hash;
}

static inline bool
sl_emc_key_equal(const struct sl_flow_key *a, const struct sl_flow_key *b)
{
	uint64_t diff = 0;
	unsigned int i;

	for (i = 0; i < SL_FLOW_KEY_WORDS; i++)
		diff |= sl_key_word(a, i) ^ sl_key_word(b, i);
	return diff == 0;
}

static inline bool
sl_emc_entry_is(const struct sl_emc_entry *e, const struct sl_flow_key *key, uint32_t hash,
		uint32_t gen)
{
	return e->hash == hash && e->gen == gen && e->rule != NULL &&
	       sl_emc_key_equal(&e->key, key);
}

/* xorshift32: cheap, and good enough to thin out insertions. */
static inline uint32_t
sl_emc_random(struct sl_emc *emc)
{
	uint32_t x = emc->rng;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	emc->rng = x;
	return x;
}

void
sl_emc_set_inv_prob(struct sl_emc *emc, uint32_t inv_prob)
{
	/* The rng never returns 0, so insert_min == 0 means never. */
	emc->insert_min = inv_prob == 0 ? 0 : UINT32_MAX / inv_prob;
}

void
sl_emc_init(struct sl_emc *emc, uint32_t inv_prob)
{
	memset(emc, 0, sizeof(*emc));
	emc->rng = SL_EMC_RNG_SEED;
	sl_emc_set_inv_prob(emc, inv_prob);
}

void
sl_emc_flush(struct sl_emc *emc)
{
	memset(emc->e, 0, sizeof(emc->e));
}

const struct sl_emc_entry *
sl_emc_lookup_entry(const struct sl_emc *emc, const struct sl_flow_key *key, uint32_t hash,
		    uint32_t gen)
{
	const struct sl_emc_entry *e0 = &emc->e[sl_emc_slot(hash, 0)];
	const struct sl_emc_entry *e1 = &emc->e[sl_emc_slot(hash, 1)];

	if (sl_emc_entry_is(e0, key, hash, gen))
		return e0;
	if (sl_emc_entry_is(e1, key, hash, gen))
		return e1;
	return NULL;
}

const struct sl_cls_rule *
sl_emc_lookup(const struct sl_emc *emc, const struct sl_flow_key *key, uint32_t hash, uint32_t gen)
{
	const struct sl_emc_entry *e = sl_emc_lookup_entry(emc, key, hash, gen);

	return e != NULL ? e->rule : NULL;
}

struct sl_emc_entry *
sl_emc_find(struct sl_emc *emc, const struct sl_flow_key *key, uint32_t hash, uint32_t gen)
{
	return (struct sl_emc_entry *)sl_emc_lookup_entry(emc, key, hash, gen);
}

/* Slot to (over)write for @key: its own, else a free or stale one, else a random victim. */
static struct sl_emc_entry *
sl_emc_pick(struct sl_emc *emc, const struct sl_flow_key *key, uint32_t hash, uint32_t gen)
{
	struct sl_emc_entry *e0 = &emc->e[sl_emc_slot(hash, 0)];
	struct sl_emc_entry *e1 = &emc->e[sl_emc_slot(hash, 1)];

	if (sl_emc_entry_is(e0, key, hash, gen))
		return e0;
	if (sl_emc_entry_is(e1, key, hash, gen))
		return e1;
	if (e0->rule == NULL || e0->gen != gen)
		return e0;
	if (e1->rule == NULL || e1->gen != gen)
		return e1;
	emc->n_evictions++;
	return (sl_emc_random(emc) & 1) ? e1 : e0;
}

void
sl_emc_insert(struct sl_emc *emc, const struct sl_flow_key *key, uint32_t hash, uint32_t gen,
	      const struct sl_cls_rule *rule)
{
	struct sl_emc_entry *e;

	if (emc->insert_min != UINT32_MAX && sl_emc_random(emc) > emc->insert_min)
		return;
	e = sl_emc_pick(emc, key, hash, gen);
	e->key = *key;
	e->rule = rule;
	e->gen = gen;
	e->hash = hash;
	e->xa.flags = 0; /* neither a compiled run nor a NORMAL decision yet */
	emc->n_inserts++;
}
