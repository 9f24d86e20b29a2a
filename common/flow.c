/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Match helpers.  A flow key is 64 bytes; treating it as 8 words makes every
 * operation here eight AND/XOR/compare steps instead of a walk over fields.
 */
#include <string.h>

#include "flow.h"

/* Word @i of a key; memcpy keeps this free of strict-aliasing trouble and compiles to one load. */
static inline uint64_t
sl_key_word(const struct sl_flow_key *k, unsigned int i)
{
	uint64_t w;

	memcpy(&w, (const char *)k + i * sizeof(w), sizeof(w));
	return w;
}

static inline void
sl_key_set_word(struct sl_flow_key *k, unsigned int i, uint64_t w)
{
	memcpy((char *)k + i * sizeof(w), &w, sizeof(w));
}

/* Word @i of pipeline state. */
static inline uint64_t
sl_meta_word(const struct sl_flow_meta *k, unsigned int i)
{
	uint64_t w;

	memcpy(&w, (const char *)k + i * sizeof(w), sizeof(w));
	return w;
}

static inline void
sl_meta_set_word(struct sl_flow_meta *k, unsigned int i, uint64_t w)
{
	memcpy((char *)k + i * sizeof(w), &w, sizeof(w));
}

void
sl_match_normalize(struct sl_match *m)
{
	unsigned int i;

	for (i = 0; i < SL_FLOW_KEY_WORDS; i++)
		sl_key_set_word(&m->key, i, sl_key_word(&m->key, i) & sl_key_word(&m->mask, i));
	for (i = 0; i < SL_META_WORDS; i++)
		sl_meta_set_word(&m->mkey, i, sl_meta_word(&m->mkey, i) & sl_meta_word(&m->mmask, i));
}

bool
sl_match_matches_meta(const struct sl_match *m, const struct sl_flow_key *key,
		      const struct sl_flow_meta *meta)
{
	struct sl_flow_meta mk = *meta, mm = m->mmask;
	uint64_t diff = 0;
	unsigned int i;

	mk.table = 0;
	mm.table = 0;
	/* XOR before masking so a match that was not normalized still behaves. */
	for (i = 0; i < SL_FLOW_KEY_WORDS; i++)
		diff |= (sl_key_word(key, i) ^ sl_key_word(&m->key, i)) & sl_key_word(&m->mask, i);
	for (i = 0; i < SL_META_WORDS; i++)
		diff |= (sl_meta_word(&mk, i) ^ sl_meta_word(&m->mkey, i)) & sl_meta_word(&mm, i);
	return diff == 0;
}

bool
sl_match_matches(const struct sl_match *m, const struct sl_flow_key *key)
{
	static const struct sl_flow_meta zero;

	return sl_match_matches_meta(m, key, &zero);
}

bool
sl_match_equal(const struct sl_match *a, const struct sl_match *b)
{
	uint64_t diff = 0;
	unsigned int i;

	for (i = 0; i < SL_FLOW_KEY_WORDS; i++) {
		uint64_t mask = sl_key_word(&a->mask, i);

		diff |= mask ^ sl_key_word(&b->mask, i);
		diff |= (sl_key_word(&a->key, i) ^ sl_key_word(&b->key, i)) & mask;
	}
	for (i = 0; i < SL_META_WORDS; i++) {
		uint64_t mask = sl_meta_word(&a->mmask, i);

		diff |= mask ^ sl_meta_word(&b->mmask, i);
		diff |= (sl_meta_word(&a->mkey, i) ^ sl_meta_word(&b->mkey, i)) & mask;
	}
	return diff == 0;
}

const char *
sl_pin_reason_name(unsigned int reason)
{
	static const char *const names[SL_PIN_N_REASONS] = {
		[SL_PIN_NO_MATCH] = "no_match",       [SL_PIN_ACTION] = "action",
		[SL_PIN_INVALID_TTL] = "invalid_ttl", [SL_PIN_ACTION_SET] = "action_set",
		[SL_PIN_GROUP] = "group",             [SL_PIN_PACKET_OUT] = "packet_out",
	};

	return reason < SL_PIN_N_REASONS ? names[reason] : NULL;
}
