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

void
sl_match_normalize(struct sl_match *m)
{
	unsigned int i;

	for (i = 0; i < SL_FLOW_KEY_WORDS; i++)
		sl_key_set_word(&m->key, i, sl_key_word(&m->key, i) & sl_key_word(&m->mask, i));
}

bool
sl_match_matches(const struct sl_match *m, const struct sl_flow_key *key)
{
	uint64_t diff = 0;
	unsigned int i;

	/* XOR before masking so a match that was not normalized still behaves. */
	for (i = 0; i < SL_FLOW_KEY_WORDS; i++)
		diff |= (sl_key_word(key, i) ^ sl_key_word(&m->key, i)) & sl_key_word(&m->mask, i);
	return diff == 0;
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
	return diff == 0;
}
