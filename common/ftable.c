/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow-table set logic.  Rules live in a dense array (dump order = order of
 * first insertion); a hash index on (match, priority) keeps add-flows of
 * many thousands of rules linear.  Deletions compact the array and rebuild
 * the index: they are rare and already O(n) for non-strict deletes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ftable.h"

static inline uint64_t
key_word(const struct sl_flow_key *k, unsigned int i)
{
	uint64_t w;

	memcpy(&w, (const char *)k + i * sizeof(w), sizeof(w));
	return w;
}

/* Same mask and same key under it; keys are compared masked so that a caller's stray key bits never matter. */
static bool
match_same(const struct sl_match *a, const struct sl_match *b)
{
	uint64_t diff = 0;
	unsigned int i;

	for (i = 0; i < SL_FLOW_KEY_WORDS; i++) {
		uint64_t mask = key_word(&a->mask, i);

		diff |= mask ^ key_word(&b->mask, i);
		diff |= (key_word(&a->key, i) ^ key_word(&b->key, i)) & mask;
	}
	return diff == 0;
}

bool
sl_match_covers(const struct sl_match *outer, const struct sl_match *inner)
{
	uint64_t diff = 0;
	unsigned int i;

	for (i = 0; i < SL_FLOW_KEY_WORDS; i++) {
		uint64_t om = key_word(&outer->mask, i);

		diff |= om & ~key_word(&inner->mask, i);
		diff |= (key_word(&outer->key, i) ^ key_word(&inner->key, i)) & om;
	}
	return diff == 0;
}

static bool
actions_same(const struct sl_actions *a, const struct sl_actions *b)
{
	return a->n == b->n && memcmp(a->a, b->a, a->n * sizeof(a->a[0])) == 0;
}

bool
sl_flow_same(const struct sl_flow *a, const struct sl_flow *b)
{
	return a->priority == b->priority && a->cookie == b->cookie &&
	       match_same(&a->match, &b->match) && actions_same(&a->actions, &b->actions);
}

static inline uint64_t
mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h;
}

static uint32_t
ident_hash(const struct sl_match *m, uint32_t priority)
{
	uint64_t h = priority;
	unsigned int i;

	for (i = 0; i < SL_FLOW_KEY_WORDS; i++) {
		uint64_t mask = key_word(&m->mask, i);

		h = mix(h, mask);
		h = mix(h, key_word(&m->key, i) & mask);
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return (uint32_t)h;
}

/* Slot holding the rule with this identity, or the empty slot where it would go. */
static uint32_t
index_slot(const struct sl_ftable *t, const struct sl_match *m, uint32_t priority)
{
	uint32_t mask = t->index_size - 1;
	uint32_t s = ident_hash(m, priority) & mask;

	for (;; s = (s + 1) & mask) {
		uint32_t e = t->index[s];

		if (e == 0)
			return s;
		if (t->flows[e - 1].priority == priority && match_same(&t->flows[e - 1].match, m))
			return s;
	}
}

static void
index_rebuild(struct sl_ftable *t)
{
	uint32_t i;

	if (t->index == NULL)
		return;
	memset(t->index, 0, t->index_size * sizeof(t->index[0]));
	for (i = 0; i < t->n; i++) {
		uint32_t s = index_slot(t, &t->flows[i].match, t->flows[i].priority);

		t->index[s] = i + 1;
	}
}

void
sl_ftable_init(struct sl_ftable *t)
{
	memset(t, 0, sizeof(*t));
}

void
sl_ftable_fini(struct sl_ftable *t)
{
	free(t->flows);
	free(t->index);
	sl_ftable_init(t);
}

int
sl_ftable_reserve(struct sl_ftable *t, uint32_t n)
{
	uint64_t want = (uint64_t)t->n + n;
	uint32_t isize;

	if (want > UINT32_MAX / 4)
		return -ENOMEM;
	if (want > t->cap) {
		uint64_t cap = t->cap ? t->cap : 64;
		struct sl_flow *f;

		while (cap < want)
			cap *= 2;
		f = realloc(t->flows, cap * sizeof(*f));
		if (f == NULL)
			return -ENOMEM;
		t->flows = f;
		t->cap = (uint32_t)cap;
	}
	/* Keep the load factor under one half so probes stay short. */
	isize = t->index_size ? t->index_size : 128;
	while ((uint64_t)isize <= want * 2)
		isize *= 2;
	if (isize != t->index_size) {
		uint32_t *idx = calloc(isize, sizeof(*idx));

		if (idx == NULL)
			return -ENOMEM;
		free(t->index);
		t->index = idx;
		t->index_size = isize;
		index_rebuild(t);
	}
	return 0;
}

int
sl_ftable_add(struct sl_ftable *t, const struct sl_flow *f)
{
	uint32_t s;
	int rc;

	rc = sl_ftable_reserve(t, 1);
	if (rc < 0)
		return rc;
	s = index_slot(t, &f->match, f->priority);
	if (t->index[s] != 0) {
		t->flows[t->index[s] - 1] = *f;
		return 1;
	}
	t->flows[t->n] = *f;
	t->index[s] = ++t->n;
	return 0;
}

int
sl_ftable_add_batch(struct sl_ftable *t, const struct sl_flow *flows, uint32_t n)
{
	uint32_t i;
	int rc;

	/* Reserving first is what makes the batch all-or-nothing. */
	rc = sl_ftable_reserve(t, n);
	if (rc < 0)
		return rc;
	for (i = 0; i < n; i++)
		sl_ftable_add(t, &flows[i]);
	return 0;
}

const struct sl_flow *
sl_ftable_find(const struct sl_ftable *t, const struct sl_match *m, uint32_t priority)
{
	uint32_t s;

	if (t->n == 0)
		return NULL;
	s = index_slot(t, m, priority);
	return t->index[s] ? &t->flows[t->index[s] - 1] : NULL;
}

/* Drop the rules whose @dead flag is set, keeping the others' order. */
static uint32_t
compact(struct sl_ftable *t, const bool *dead)
{
	uint32_t i, j = 0;

	for (i = 0; i < t->n; i++)
		if (!dead[i])
			t->flows[j++] = t->flows[i];
	i = t->n - j;
	t->n = j;
	index_rebuild(t);
	return i;
}

static uint32_t
del_strict(struct sl_ftable *t, const struct sl_match *m, uint32_t priority)
{
	const struct sl_flow *f = sl_ftable_find(t, m, priority);
	uint32_t i;

	if (f == NULL)
		return 0;
	i = (uint32_t)(f - t->flows);
	memmove(&t->flows[i], &t->flows[i + 1], (t->n - i - 1) * sizeof(t->flows[0]));
	t->n--;
	index_rebuild(t);
	return 1;
}

uint32_t
sl_ftable_del(struct sl_ftable *t, const struct sl_match *m, uint32_t priority, bool strict)
{
	uint32_t i, hits = 0;
	bool *dead;

	if (strict)
		return del_strict(t, m, priority);
	dead = calloc(t->n ? t->n : 1, sizeof(*dead));
	if (dead == NULL) {
		/* Slow but allocation-free: delete one at a time. */
		for (i = 0; i < t->n;)
			if (sl_match_covers(m, &t->flows[i].match))
				hits += del_strict(t, &t->flows[i].match, t->flows[i].priority);
			else
				i++;
		return hits;
	}
	for (i = 0; i < t->n; i++)
		if (sl_match_covers(m, &t->flows[i].match))
			dead[i] = true, hits++;
	if (hits)
		compact(t, dead);
	free(dead);
	return hits;
}

uint32_t
sl_ftable_clear(struct sl_ftable *t)
{
	uint32_t n = t->n;

	t->n = 0;
	index_rebuild(t);
	return n;
}

uint32_t
sl_ftable_diff(const struct sl_ftable *a, const struct sl_ftable *b)
{
	uint32_t i, same = 0;

	for (i = 0; i < b->n; i++) {
		const struct sl_flow *o = sl_ftable_find(a, &b->flows[i].match, b->flows[i].priority);

		if (o != NULL && sl_flow_same(o, &b->flows[i]))
			same++;
	}
	return (a->n - same) + (b->n - same);
}

int
sl_ftable_replace(struct sl_ftable *t, const struct sl_flow *flows, uint32_t n)
{
	struct sl_ftable nt;
	uint32_t diff;
	int rc;

	sl_ftable_init(&nt);
	rc = sl_ftable_add_batch(&nt, flows, n);
	if (rc < 0) {
		sl_ftable_fini(&nt);
		return rc;
	}
	diff = sl_ftable_diff(t, &nt);
	sl_ftable_fini(t);
	*t = nt;
	return (int)diff;
}
