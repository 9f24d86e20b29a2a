/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Megaflow cache (see megaflow.h).  One table of entries for all masks:
 * an entry's slot comes from the hash of its masked key and its mask's
 * index, and it may sit in one of two slots (from different hash bits).
 * A full mask table drops the whole cache and starts over rather than
 * reuse a mask slot, whose entries would then be read under another mask.
 */
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_hash_crc.h>

#include "megaflow.h"

#define SL_MF_SLOT_MASK (SL_MF_ENTRIES - 1)
#define SL_MF_HASH_SEED 0x3e9af10bu

_Static_assert((SL_MF_ENTRIES & SL_MF_SLOT_MASK) == 0, "SL_MF_ENTRIES must be a power of two");
_Static_assert(SL_MF_MASKS <= 256, "a mask index fits a byte");

static inline uint64_t
sl_mf_key_word(const struct sl_flow_key *k, unsigned int i)
{
	uint64_t w;

	memcpy(&w, (const char *)k + i * sizeof(w), sizeof(w));
	return w;
}

static void
sl_mf_reset(struct sl_mf *mf, uint32_t gen)
{
	mf->gen = gen;
	mf->epoch++;
	mf->n_masks = 0;
	mf->until_rank = SL_MF_RANK_EVERY;
}

void
sl_mf_init(struct sl_mf *mf)
{
	memset(mf, 0, sizeof(*mf));
	mf->epoch = 1; /* zeroed entries are of epoch 0: never valid */
	mf->until_rank = SL_MF_RANK_EVERY;
}

void
sl_mf_flush(struct sl_mf *mf)
{
	sl_mf_reset(mf, mf->gen);
}

/* Most hit first (insertion sort: a few dozen masks), then age the counts. */
static void
sl_mf_rank(struct sl_mf *mf)
{
	for (uint32_t i = 1; i < mf->n_masks; i++) {
		uint8_t x = mf->order[i];
		uint32_t j = i;

		while (j > 0 && mf->mask[mf->order[j - 1]].hits < mf->mask[x].hits) {
			mf->order[j] = mf->order[j - 1];
			j--;
		}
		mf->order[j] = x;
	}
	for (uint32_t i = 0; i < mf->n_masks; i++)
		mf->mask[i].hits >>= 1;
	mf->until_rank = SL_MF_RANK_EVERY;
}

/* @key under mask @mk into @k (all words), and its hash. */
static inline uint32_t
sl_mf_masked(const struct sl_mf_mask *mk, uint8_t mi, const struct sl_flow_key *key, uint64_t *k)
{
	uint32_t hash = SL_MF_HASH_SEED ^ mi;

	for (uint32_t i = 0; i < mk->n_words; i++) {
		uint8_t wi = mk->word[i];

		k[wi] = sl_mf_key_word(key, wi) & mk->m[wi];
		hash = rte_hash_crc_8byte(k[wi], hash);
	}
	return hash;
}

static inline bool
sl_mf_entry_is(const struct sl_mf *mf, const struct sl_mf_entry *e, const struct sl_mf_mask *mk,
	       uint8_t mi, const uint64_t *k, uint32_t hash)
{
	uint64_t diff = 0;

	if (e->epoch != mf->epoch || e->hash != hash || e->mask != mi)
		return false;
	for (uint32_t i = 0; i < mk->n_words; i++)
		diff |= e->k[mk->word[i]] ^ k[mk->word[i]];
	return diff == 0;
}

static inline uint32_t
sl_mf_slot(uint32_t hash, unsigned int way)
{
	return (way == 0 ? hash : hash >> 16) & SL_MF_SLOT_MASK;
}

uint32_t
sl_mf_lookup(struct sl_mf *mf, const struct sl_flow_key *key, uint32_t gen)
{
	uint64_t k[SL_FLOW_KEY_WORDS];

	if (unlikely(gen != mf->gen)) {
		sl_mf_reset(mf, gen);
		return SL_MF_NONE;
	}
	if (unlikely(--mf->until_rank == 0))
		sl_mf_rank(mf);
	for (uint32_t o = 0; o < mf->n_masks; o++) {
		uint8_t mi = mf->order[o];
		struct sl_mf_mask *mk = &mf->mask[mi];
		uint32_t hash = sl_mf_masked(mk, mi, key, k);
		uint32_t s0 = sl_mf_slot(hash, 0), s1 = sl_mf_slot(hash, 1);

		if (sl_mf_entry_is(mf, &mf->e[s0], mk, mi, k, hash)) {
			mk->hits++;
			return s0;
		}
		if (sl_mf_entry_is(mf, &mf->e[s1], mk, mi, k, hash)) {
			mk->hits++;
			return s1;
		}
	}
	return SL_MF_NONE;
}

/* The index of mask @wc, added if new; SL_MF_NONE if there is no room. */
static uint32_t
sl_mf_mask_of(struct sl_mf *mf, const uint64_t *wc)
{
	struct sl_mf_mask *mk;
	uint32_t mi;

	for (mi = 0; mi < mf->n_masks; mi++)
		if (memcmp(mf->mask[mi].m, wc, sizeof(mf->mask[mi].m)) == 0)
			return mi;
	if (mf->n_masks == SL_MF_MASKS)
		return SL_MF_NONE;
	mk = &mf->mask[mi];
	memcpy(mk->m, wc, sizeof(mk->m));
	mk->n_words = 0;
	mk->hits = 0;
	for (uint8_t i = 0; i < SL_FLOW_KEY_WORDS; i++)
		if (wc[i] != 0)
			mk->word[mk->n_words++] = i;
	mf->order[mf->n_masks++] = (uint8_t)mi; /* last until the next ranking */
	return mi;
}

uint32_t
sl_mf_insert(struct sl_mf *mf, const struct sl_flow_key *key, const uint64_t *wc, uint32_t gen,
	     const struct sl_cls_rule *rule, uint8_t flags)
{
	uint64_t k[SL_FLOW_KEY_WORDS];
	struct sl_mf_entry *e;
	uint32_t mi, hash, s;

	if (gen != mf->gen)
		sl_mf_reset(mf, gen);
	mi = sl_mf_mask_of(mf, wc);
	if (mi == SL_MF_NONE) {
		mf->n_full++;
		sl_mf_reset(mf, gen);
		mi = sl_mf_mask_of(mf, wc);
	}
	memset(k, 0, sizeof(k));
	hash = sl_mf_masked(&mf->mask[mi], (uint8_t)mi, key, k);
	/* Its own slot if there, else a free or stale way, else the first way. */
	s = sl_mf_slot(hash, 0);
	if (!sl_mf_entry_is(mf, &mf->e[s], &mf->mask[mi], (uint8_t)mi, k, hash)) {
		uint32_t s1 = sl_mf_slot(hash, 1);

		if (sl_mf_entry_is(mf, &mf->e[s1], &mf->mask[mi], (uint8_t)mi, k, hash) ||
		    (mf->e[s].epoch == mf->epoch && mf->e[s1].epoch != mf->epoch))
			s = s1;
	}
	e = &mf->e[s];
	memcpy(e->k, k, sizeof(e->k));
	e->rule = rule;
	e->hash = hash;
	e->mask = (uint8_t)mi;
	e->flags = flags;
	e->epoch = mf->epoch;
	e->stamp = (uint32_t)++mf->n_inserts;
	return s;
}
