/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Exact-match cache: private to one worker, maps a packet's full flow key
 * to the classifier rule that won for it.  Entries are tagged with the
 * classifier generation (shm->cls_gen, bumped with every classifier
 * version); a change invalidates them all at once without touching the
 * cache, and a cached rule is dereferenced only under the generation it
 * was found in, so its memory (freed after a grace period) is never read
 * once stale.  Like OVS's EMC, insertion can be made
 * probabilistic so that a flood of one-packet flows does not thrash it.
 * The entries are 64-byte aligned when the cache is (worker.h).
 */
#ifndef SL_EMC_H
#define SL_EMC_H

#include <stddef.h>

#include "classifier.h"
#include "rewrite.h"

#define SL_EMC_ENTRIES (1u << 13)
#define SL_EMC_WAYS 2 /* each key may sit in one of two slots */

/*
 * What NORMAL decided for an entry's key, when NORMAL is its rule's only
 * action: valid while the MAC table's generation is the one read before
 * deciding (no entry appeared, moved or went away) and within the second
 * it was decided in (so the source's last-seen second is refreshed once a
 * second, and ageing is seen).  Laid over struct sl_xact, its flags where
 * the xact has its own.
 */
struct sl_emc_normal {
	uint32_t mac_gen; /* shm->mac_gen read before deciding */
	uint32_t now_s;
	uint32_t pad;
	uint16_t flags;   /* SL_XA_NORMAL */
	uint16_t out;     /* ofport; SL_OFPORT_NONE: flood */
};

/*
 * 128 bytes: the key in one cache line, and in the other what a hit
 * needs: the rule, and what its actions come to for this key, so that a
 * hit reads no more than this entry: for a pipeline rule its whole run
 * compiled (xa, valid iff xa.flags has SL_XA_VALID: a four-table pipeline
 * costs what one table does), for a rule whose only action is NORMAL the
 * port it chose (nd, iff flags is SL_XA_NORMAL).  An insert clears both;
 * the pipeline sets xa (sl_emc_find) after a run, the worker nd when it
 * decides (forward.c).
 */
struct sl_emc_entry {
	struct sl_flow_key key;
	const struct sl_cls_rule *rule;
	uint32_t gen;
	uint32_t hash;
	union {
		struct sl_xact xa;
		struct sl_emc_normal nd;
	};
};
_Static_assert(sizeof(struct sl_emc_entry) == 128, "an EMC entry is two cache lines");
_Static_assert(offsetof(struct sl_emc_normal, flags) == offsetof(struct sl_xact, flags),
	       "an entry's xa.flags tells which of xa and nd it holds");

struct sl_emc {
	struct sl_emc_entry e[SL_EMC_ENTRIES];
	uint32_t insert_min;  /* insert when a random u32 <= insert_min */
	uint32_t rng;         /* xorshift state */
	uint64_t n_inserts;
	uint64_t n_evictions;
};

/* Hash of a full flow key, as the cache uses it. */
uint32_t sl_flow_key_hash(const struct sl_flow_key *key);

/* Empty cache; @inv_prob as OVS's emc-insert-inv-prob (0 disables, 1 always, N: 1/N). */
void sl_emc_init(struct sl_emc *emc, uint32_t inv_prob);

/* Change the insertion probability. */
void sl_emc_set_inv_prob(struct sl_emc *emc, uint32_t inv_prob);

/* Cached rule for @key under snapshot generation @gen, or NULL. */
const struct sl_cls_rule *sl_emc_lookup(const struct sl_emc *emc, const struct sl_flow_key *key,
					uint32_t hash, uint32_t gen);

/* The entry for @key under @gen (to attach a compiled pipeline to), or NULL. */
struct sl_emc_entry *sl_emc_find(struct sl_emc *emc, const struct sl_flow_key *key, uint32_t hash,
				 uint32_t gen);

/* The entry for @key under @gen, or NULL: its rule, and its compiled pipeline if any. */
const struct sl_emc_entry *sl_emc_lookup_entry(const struct sl_emc *emc,
					       const struct sl_flow_key *key, uint32_t hash,
					       uint32_t gen);

/* Maybe insert (subject to the insertion probability). */
void sl_emc_insert(struct sl_emc *emc, const struct sl_flow_key *key, uint32_t hash,
		   uint32_t gen, const struct sl_cls_rule *rule);

/* Drop every entry. */
void sl_emc_flush(struct sl_emc *emc);

#define SL_EMC_SECOND_SHIFT 16 /* second slot from high hash bits, disjoint from the first's */

/* The slot of way @way (0 or 1) for @hash. */
static inline uint32_t
sl_emc_slot(uint32_t hash, unsigned int way)
{
	return (way == 0 ? hash : hash >> SL_EMC_SECOND_SHIFT) & (SL_EMC_ENTRIES - 1);
}

/*
 * Ask for the two slots @hash may sit in (both lines of each) ahead of
 * sl_emc_lookup_entry.  With more flows than the cache holds they are in
 * no cache: a burst's lookups one after the other each waited for memory,
 * whereas prefetched for the whole burst first they arrive together.
 */
static inline void
sl_emc_prefetch(const struct sl_emc *emc, uint32_t hash)
{
	const char *e0 = (const char *)&emc->e[sl_emc_slot(hash, 0)];
	const char *e1 = (const char *)&emc->e[sl_emc_slot(hash, 1)];

	__builtin_prefetch(e0);
	__builtin_prefetch(e0 + 64);
	__builtin_prefetch(e1);
	__builtin_prefetch(e1 + 64);
}

#endif /* SL_EMC_H */
