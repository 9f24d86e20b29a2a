/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Megaflow cache: private to one worker, between the exact-match cache and
 * the classifier.  An entry is a classifier result together with the mask
 * of the key bits that result depended on (sl_cls_lookup_wc, and for a
 * pipeline the union over every table it passed), keyed by the packet's
 * key under that mask: a packet of another microflow that agrees on those
 * bits gets the result without a classifier lookup.
 *
 * Entries are grouped by mask, as Open vSwitch's dpcls groups megaflows;
 * a lookup probes the masks in order of their recent hits.  Like the
 * exact-match cache, the whole cache is valid for one classifier
 * generation (shm->cls_gen): the first lookup under a new generation
 * empties it (masks and entries, in O(1)), so a result found before a flow
 * change is never used after it.  Groups and meters are not part of a
 * result: the actions that name them read them per packet.
 */
#ifndef SL_MEGAFLOW_H
#define SL_MEGAFLOW_H

#include "classifier.h"

#define SL_MF_MASKS 32          /* distinct masks held at once */
#define SL_MF_ENTRIES (1u << 12) /* two ways */
#define SL_MF_NONE UINT32_MAX
#define SL_MF_RANK_EVERY 1024   /* lookups between two re-rankings of the masks */

/* Flags of an entry (its caller's). */
#define SL_MF_PIPE 0x1 /* a pipeline's record goes with the entry (by its index) */

struct sl_mf_mask {
	uint64_t m[SL_FLOW_KEY_WORDS];
	uint8_t word[SL_FLOW_KEY_WORDS]; /* the words it keeps */
	uint32_t n_words;
	uint32_t hits; /* since the last ranking, halved at each */
};

struct sl_mf_entry {
	uint64_t k[SL_FLOW_KEY_WORDS]; /* masked key */
	const struct sl_cls_rule *rule; /* NULL: the classifier found nothing */
	uint32_t epoch; /* valid iff the cache's */
	uint32_t hash;
	uint8_t mask;
	uint8_t flags;
	uint16_t pad;
	uint32_t stamp; /* insertion number: tells a reused slot (sl_mf_ref) */
};

struct sl_mf {
	uint32_t gen;    /* classifier generation the entries are of */
	uint32_t epoch;  /* bumped whenever everything is dropped */
	uint32_t n_masks;
	uint32_t until_rank;
	uint8_t order[SL_MF_MASKS]; /* mask indices, most hit first */
	struct sl_mf_mask mask[SL_MF_MASKS];
	uint64_t n_inserts;
	uint64_t n_full; /* results not cached: every mask slot in use */
	struct sl_mf_entry e[SL_MF_ENTRIES];
};

/* Empty cache. */
void sl_mf_init(struct sl_mf *mf);

/* Drop everything (the next lookup would do it for a new generation anyway). */
void sl_mf_flush(struct sl_mf *mf);

/*
 * The entry for @key under classifier generation @gen: its index (the
 * result in mf->e[index].rule), or SL_MF_NONE.
 */
uint32_t sl_mf_lookup(struct sl_mf *mf, const struct sl_flow_key *key, uint32_t gen);

/*
 * Remember @rule (NULL: no rule) for every key that agrees with @key on
 * the bits of @wc (SL_FLOW_KEY_WORDS words), under generation @gen.
 * Returns the entry's index, or SL_MF_NONE if it was not cached.
 */
uint32_t sl_mf_insert(struct sl_mf *mf, const struct sl_flow_key *key, const uint64_t *wc,
		      uint32_t gen, const struct sl_cls_rule *rule, uint8_t flags);

/*
 * A reference to entry @idx that stays checkable while other entries are
 * inserted (one may take its slot): SL_MF_NONE_REF for none.
 */
#define SL_MF_NONE_REF UINT64_MAX

static inline uint64_t
sl_mf_ref(const struct sl_mf *mf, uint32_t idx)
{
	return idx == SL_MF_NONE ? SL_MF_NONE_REF : (uint64_t)mf->e[idx].stamp << 32 | idx;
}

/* The entry @ref names if it is still that entry and valid, else SL_MF_NONE. */
static inline uint32_t
sl_mf_deref(const struct sl_mf *mf, uint64_t ref)
{
	uint32_t idx = (uint32_t)ref;

	if (ref == SL_MF_NONE_REF || mf->e[idx].stamp != (uint32_t)(ref >> 32) ||
	    mf->e[idx].epoch != mf->epoch)
		return SL_MF_NONE;
	return idx;
}

#endif /* SL_MEGAFLOW_H */
