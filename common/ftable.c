/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow-table set logic.  Rules live in an array of slots (dump order = order
 * of first insertion); a hash index on (match, priority) keeps add-flows of
 * many thousands of rules linear and finds one rule in O(1).  A delete
 * clears the rule's live bit and takes it out of the index (linear probing
 * with backward-shift removal, so no tombstones there): a strict del-flow
 * costs the same at 1M rules as at 10.  The dead slots are squeezed out
 * when the array would otherwise grow (at least a quarter of it dead) or
 * once most of it is dead: O(n) then, amortized over the deletes that made
 * the room.
 *
 * Edits keep, beside the table, just what undo needs: for an add the old
 * size and the first old value of each rule it overwrote (added rules are
 * all at the end), for a delete the removed rules and their positions (the
 * slots themselves stay, dead, until the edit is kept), for a replace the
 * whole old table (a replace builds a new one anyway).  No edit compacts
 * between its start and its end.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE4_2__
#include <nmmintrin.h>
#endif

#include "ftable.h"

static inline uint64_t
key_word(const struct sl_flow_key *k, unsigned int i)
{
	uint64_t w;

	memcpy(&w, (const char *)k + i * sizeof(w), sizeof(w));
	return w;
}

static inline uint64_t
meta_word(const struct sl_flow_meta *k, unsigned int i)
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
	for (i = 0; i < SL_META_WORDS; i++) {
		uint64_t mask = meta_word(&a->mmask, i);

		diff |= mask ^ meta_word(&b->mmask, i);
		diff |= (meta_word(&a->mkey, i) ^ meta_word(&b->mkey, i)) & mask;
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
	for (i = 0; i < SL_META_WORDS; i++) {
		uint64_t om = meta_word(&outer->mmask, i);

		diff |= om & ~meta_word(&inner->mmask, i);
		diff |= (meta_word(&outer->mkey, i) ^ meta_word(&inner->mkey, i)) & om;
	}
	return diff == 0;
}

bool
sl_flow_same(const struct sl_flow *a, const struct sl_flow *b)
{
	return a->priority == b->priority && a->cookie == b->cookie &&
	       a->idle_timeout == b->idle_timeout && a->hard_timeout == b->hard_timeout &&
	       a->importance == b->importance &&
	       match_same(&a->match, &b->match) && sl_actions_equal(&a->actions, &b->actions);
}

static bool
cookie_selects(const struct sl_flow *sel, const struct sl_flow *f)
{
	return ((sel->cookie ^ f->cookie) & sel->cookie_mask) == 0;
}

bool
sl_flow_selects(const struct sl_flow *sel, const struct sl_flow *f, bool strict)
{
	if (!cookie_selects(sel, f))
		return false;
	if (strict) {
		struct sl_match m = sel->match;

		/* No table named: the rule with this identity in any table. */
		if (m.mmask.table == 0) {
			m.mmask.table = f->match.mmask.table;
			m.mkey.table = f->match.mkey.table;
		}
		return sel->priority == f->priority && match_same(&m, &f->match);
	}
	return sl_match_covers(&sel->match, &f->match);
}

#ifndef __SSE4_2__
static inline uint64_t
mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h;
}
#endif

static uint32_t
ident_hash(const struct sl_match *m, uint32_t priority)
{
	uint64_t a = priority, b = 0x9e3779b97f4a7c15ull;
	unsigned int i;

	/* Two independent chains (masked key, mask) so that the CPU runs them side by side. */
	for (i = 0; i < SL_FLOW_KEY_WORDS; i++) {
		uint64_t mask = key_word(&m->mask, i);

#ifdef __SSE4_2__
		a = _mm_crc32_u64(a, key_word(&m->key, i) & mask);
		b = _mm_crc32_u64(b, mask);
#else
		a = mix(a, key_word(&m->key, i) & mask);
		b = mix(b, mask);
#endif
	}
	for (i = 0; i < SL_META_WORDS; i++) {
		uint64_t mask = meta_word(&m->mmask, i);

#ifdef __SSE4_2__
		a = _mm_crc32_u64(a, meta_word(&m->mkey, i) & mask);
		b = _mm_crc32_u64(b, mask);
#else
		a = mix(a, meta_word(&m->mkey, i) & mask);
		b = mix(b, mask);
#endif
	}
	/* Multiply-shift: every input bit reaches the low bits that pick the slot. */
	return (uint32_t)((((a << 32) ^ b) * 0xff51afd7ed558ccdull) >> 32);
}

/* Slot holding the rule with this identity (whose hash is @h), or the empty slot where it would go. */
static uint32_t
index_slot(const struct sl_ftable *t, const struct sl_match *m, uint32_t priority, uint32_t h)
{
	uint32_t mask = t->index_size - 1;
	uint32_t s = h & mask;

	for (;; s = (s + 1) & mask) {
		const struct sl_ftable_slot *e = &t->index[s];
		const struct sl_flow *f;

		if (e->pos == 0)
			return s;
		if (e->hash != h)
			continue;
		f = sl_ftable_rule(t, e->pos - 1);
		if (f->priority == priority && match_same(&f->match, m))
			return s;
	}
}

/* Index rule position @p (hash @h), known to be absent from the index. */
static void
index_put(struct sl_ftable *t, uint32_t p, uint32_t h)
{
	uint32_t mask = t->index_size - 1, s;

	for (s = h & mask; t->index[s].pos != 0; s = (s + 1) & mask)
		;
	t->index[s] = (struct sl_ftable_slot){ .pos = p + 1, .hash = h };
}

/*
 * Take rule position @p out of the index.  Linear probing's backward
 * shift: each later entry of the cluster that may move closer to its home
 * slot moves into the hole, so lookups never need tombstones.
 */
static void
index_drop(struct sl_ftable *t, uint32_t p)
{
	const struct sl_flow *f = sl_ftable_rule(t, p);
	uint32_t mask = t->index_size - 1, h = ident_hash(&f->match, f->priority), i, j;

	for (i = h & mask; t->index[i].pos != p + 1; i = (i + 1) & mask)
		;
	for (j = i;;) {
		uint32_t home;

		j = (j + 1) & mask;
		if (t->index[j].pos == 0)
			break;
		home = t->index[j].hash & mask;
		/* Entry j stays if its home lies cyclically in (i, j]. */
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		t->index[i] = t->index[j];
		i = j;
	}
	t->index[i].pos = 0;
}

static void
index_rebuild(struct sl_ftable *t)
{
	if (t->index == NULL)
		return;
	memset(t->index, 0, t->index_size * sizeof(t->index[0]));
	/* Rules are distinct: each needs only an empty slot. */
	SL_FTABLE_FOREACH(i, t)
	index_put(t, i, ident_hash(&sl_ftable_rule(t, i)->match, sl_ftable_rule(t, i)->priority));
}

static inline void
live_set(struct sl_ftable *t, uint32_t p)
{
	t->live[p / 64] |= 1ull << (p % 64);
}

static inline void
live_clear(struct sl_ftable *t, uint32_t p)
{
	t->live[p / 64] &= ~(1ull << (p % 64));
}

/* ---- shapes: the distinct (mask, priority, table) of the rules ---- */

#define SHAPES_MAX 32 /* more than that, and a non-strict delete scans anyway */

static bool
shape_is(const struct sl_ftable_shape *s, const struct sl_flow *f)
{
	return s->priority == f->priority && s->table == f->match.mkey.table &&
	       memcmp(&s->mask, &f->match.mask, sizeof(s->mask)) == 0 &&
	       memcmp(&s->mmask, &f->match.mmask, sizeof(s->mmask)) == 0;
}

static struct sl_ftable_shape *
shape_find(const struct sl_ftable *t, const struct sl_flow *f)
{
	/* Rules come in runs of one shape: the last one added is checked first. */
	for (uint32_t i = t->n_shapes; i-- > 0;)
		if (shape_is(&t->shapes[i], f))
			return &t->shapes[i];
	return NULL;
}

static void
shape_add(struct sl_ftable *t, const struct sl_flow *f)
{
	struct sl_ftable_shape *s;

	if (t->shapes_lost)
		return;
	s = shape_find(t, f);
	if (s != NULL) {
		s->count++;
		return;
	}
	if (t->shapes == NULL)
		t->shapes = malloc(sizeof(*t->shapes) * SHAPES_MAX);
	if (t->shapes == NULL || t->n_shapes == SHAPES_MAX) {
		t->shapes_lost = true;
		return;
	}
	s = &t->shapes[t->n_shapes++];
	memset(s, 0, sizeof(*s));
	s->mask = f->match.mask;
	s->mmask = f->match.mmask;
	s->priority = f->priority;
	s->table = f->match.mkey.table;
	s->count = 1;
}

static void
shape_del(struct sl_ftable *t, const struct sl_flow *f)
{
	struct sl_ftable_shape *s;

	if (t->shapes_lost)
		return;
	s = shape_find(t, f);
	if (s == NULL) { /* cannot be: stop trusting the list */
		t->shapes_lost = true;
		return;
	}
	if (--s->count == 0)
		*s = t->shapes[--t->n_shapes];
}

/* Count the shapes afresh (after a compaction: the rules are all read anyway). */
static void
shapes_recount(struct sl_ftable *t)
{
	t->n_shapes = 0;
	t->shapes_lost = false;
	SL_FTABLE_FOREACH(i, t)
	shape_add(t, sl_ftable_rule(t, i));
}

/* Rule position @p leaves the table (its slot stays, dead). */
static void
kill(struct sl_ftable *t, uint32_t p)
{
	index_drop(t, p);
	shape_del(t, sl_ftable_rule(t, p));
	live_clear(t, p);
	t->n--;
}

static inline void
tell(struct sl_ftable *t, enum sl_ftable_change what, const struct sl_flow *f)
{
	t->gen++;
	if (t->observe != NULL)
		t->observe(t->observe_arg, what, f);
}

/* Rule @from moves to position @to (flow and user area). */
static void
move_rule(struct sl_ftable *t, uint32_t to, uint32_t from)
{
	if (to == from)
		return;
	t->rules[to] = t->rules[from];
	t->rules[to]->pos = to;
	t->rules[from] = NULL;
	if (t->data_size)
		memcpy(sl_ftable_data(t, to), sl_ftable_data(t, from), t->data_size);
}

void
sl_ftable_compact(struct sl_ftable *t)
{
	uint32_t *before, words = (t->end + 63) / 64, j = 0, w;

	if (t->n == t->end)
		return;
	t->gen++;
	/* The index entries are renumbered, not rehashed: a live rule's new
	 * position is the number of live rules before it. */
	before = malloc(sizeof(*before) * (words ? words : 1));
	for (w = 0; w < words; w++) {
		if (before != NULL)
			before[w] = j;
		j += (uint32_t)__builtin_popcountll(t->live[w]);
	}
	for (uint32_t i = 0; i < t->end; i++)
		if (!sl_ftable_live(t, i)) {
			free(t->rules[i]);
			t->rules[i] = NULL;
		}
	j = 0;
	SL_FTABLE_FOREACH(i, t)
	move_rule(t, j++, i);
	if (before != NULL) {
		for (uint32_t s = 0; s < t->index_size; s++) {
			uint32_t p = t->index[s].pos - 1;

			if (t->index[s].pos == 0)
				continue;
			t->index[s].pos = before[p / 64] +
					  (uint32_t)__builtin_popcountll(t->live[p / 64] &
									 ((1ull << (p % 64)) - 1)) +
					  1;
		}
	}
	memset(t->live, 0, words * sizeof(t->live[0]));
	t->end = t->n;
	for (w = 0; w < t->n / 64; w++)
		t->live[w] = ~0ull;
	if (t->n % 64)
		t->live[t->n / 64] = (1ull << (t->n % 64)) - 1;
	if (before == NULL)
		index_rebuild(t);
	free(before);
	if (t->shapes_lost)
		shapes_recount(t);
}

/* Once most slots are dead, squeeze them out (amortized over the deletes). */
static void
maybe_compact(struct sl_ftable *t)
{
	uint32_t dead = t->end - t->n;

	if (dead >= 64 && dead > t->n)
		sl_ftable_compact(t);
}

void
sl_ftable_init(struct sl_ftable *t)
{
	memset(t, 0, sizeof(*t));
}

void
sl_ftable_init_data(struct sl_ftable *t, uint32_t data_size)
{
	sl_ftable_init(t);
	t->data_size = data_size;
}

void
sl_ftable_fini(struct sl_ftable *t)
{
	uint32_t data_size = t->data_size;

	for (uint32_t i = 0; i < t->end; i++)
		free(t->rules[i]);
	free(t->rules);
	free(t->live);
	free(t->shapes);
	free(t->data);
	free(t->index);
	sl_ftable_init_data(t, data_size);
}

int
sl_ftable_reserve(struct sl_ftable *t, uint32_t n)
{
	uint64_t want = (uint64_t)t->end + n;
	uint32_t isize;

	if (want > UINT32_MAX / 4)
		return -ENOMEM;
	/* Reuse the dead slots rather than grow, if they are worth a copy. */
	if (want > t->cap && (t->end - t->n) >= t->end / 4) {
		sl_ftable_compact(t);
		want = (uint64_t)t->end + n;
	}
	if (want > t->cap) {
		uint64_t cap = t->cap ? t->cap : 64;
		struct sl_ftable_rec **f;
		uint64_t *live;

		while (cap < want)
			cap *= 2;
		f = realloc(t->rules, cap * sizeof(*f));
		if (f == NULL)
			return -ENOMEM;
		memset(f + t->cap, 0, (cap - t->cap) * sizeof(*f));
		t->rules = f;
		live = realloc(t->live, cap / 64 * sizeof(*live));
		if (live == NULL)
			return -ENOMEM;
		memset(live + t->cap / 64, 0, (cap - t->cap) / 64 * sizeof(*live));
		t->live = live;
		if (t->data_size) {
			/* If this fails, flows is merely longer than cap says. */
			void *d = realloc(t->data, cap * t->data_size);

			if (d == NULL)
				return -ENOMEM;
			t->data = d;
		}
		t->cap = (uint32_t)cap;
	}
	/* Keep the load factor under one half so probes stay short (the
	 * index holds live rules only). */
	want = (uint64_t)t->n + n;
	isize = t->index_size ? t->index_size : 128;
	while ((uint64_t)isize <= want * 2)
		isize *= 2;
	if (isize != t->index_size) {
		struct sl_ftable_slot *idx = calloc(isize, sizeof(*idx));

		if (idx == NULL)
			return -ENOMEM;
		free(t->index);
		t->index = idx;
		t->index_size = isize;
		index_rebuild(t);
	}
	return 0;
}

struct sl_ftable_rec *
sl_ftable_rec_new(const struct sl_flow *f)
{
	struct sl_ftable_rec *r = malloc(offsetof(struct sl_ftable_rec, flow) +
					 sl_flow_size(f->actions.n));

	if (r != NULL) {
		r->pos = 0;
		r->pad_ = 0;
		sl_flow_copy(&r->flow, f);
	}
	return r;
}

/* Records of @flows[0..n) in *@out (malloc'd); -ENOMEM with nothing left allocated. */
static int
recs_of(const struct sl_flow *flows, uint32_t n, struct sl_ftable_rec ***out)
{
	struct sl_ftable_rec **recs = malloc(sizeof(*recs) * (n ? n : 1));

	if (recs == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		recs[i] = sl_ftable_rec_new(&flows[i]);
		if (recs[i] == NULL) {
			while (i-- > 0)
				free(recs[i]);
			free(recs);
			return -ENOMEM;
		}
	}
	*out = recs;
	return 0;
}

/* Put rule @r (identity hash @h) at the end, its user area zeroed; @slot is its empty index slot. */
static void
append(struct sl_ftable *t, uint32_t slot, struct sl_ftable_rec *r, uint32_t h)
{
	uint32_t p = t->end++;

	r->pos = p;
	t->rules[p] = r;
	if (t->data_size)
		memset(sl_ftable_data(t, p), 0, t->data_size);
	live_set(t, p);
	t->n++;
	shape_add(t, &r->flow);
	t->index[slot] = (struct sl_ftable_slot){ .pos = p + 1, .hash = h };
	tell(t, SL_FTABLE_PUT, &r->flow);
}

/* Rule @r takes the place of the one at position @p (same identity); the old one is freed. */
static void
overwrite(struct sl_ftable *t, uint32_t p, struct sl_ftable_rec *r)
{
	free(t->rules[p]);
	r->pos = p;
	t->rules[p] = r;
	tell(t, SL_FTABLE_PUT, &r->flow);
}

int
sl_ftable_add(struct sl_ftable *t, const struct sl_flow *f)
{
	struct sl_ftable_rec *r;
	uint32_t h, s;
	int rc;

	maybe_compact(t);
	rc = sl_ftable_reserve(t, 1);
	if (rc < 0)
		return rc;
	r = sl_ftable_rec_new(f);
	if (r == NULL)
		return -ENOMEM;
	h = ident_hash(&f->match, f->priority);
	s = index_slot(t, &f->match, f->priority, h);
	if (t->index[s].pos != 0) {
		overwrite(t, t->index[s].pos - 1, r);
		return 1;
	}
	append(t, s, r, h);
	return 0;
}

/*
 * Add or overwrite with each of rules @recs (taken over), room for them
 * being reserved.  With an edit, the first overwrite of each rule older
 * than the edit is logged, the old rule kept for undo (@touched: one bit
 * per such rule).
 */
static void
add_reserved(struct sl_ftable *t, struct sl_ftable_rec **recs, uint32_t n,
	     struct sl_ftable_edit *e, uint64_t *touched)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		const struct sl_flow *f = &recs[i]->flow;
		uint32_t h = ident_hash(&f->match, f->priority);
		uint32_t s = index_slot(t, &f->match, f->priority, h), p;

		if (t->index[s].pos == 0) {
			append(t, s, recs[i], h);
			continue;
		}
		p = t->index[s].pos - 1;
		if (e != NULL && p < e->old_end && !(touched[p / 64] & (1ull << (p % 64)))) {
			touched[p / 64] |= 1ull << (p % 64);
			e->log_pos[e->n_log] = p;
			e->log_flows[e->n_log++] = t->rules[p];
			t->rules[p] = NULL; /* kept in the log, not freed */
		}
		overwrite(t, p, recs[i]);
	}
}

int
sl_ftable_add_recs(struct sl_ftable *t, struct sl_ftable_rec **recs, uint32_t n)
{
	int rc;

	/* Reserving first is what makes the batch all-or-nothing. */
	maybe_compact(t);
	rc = sl_ftable_reserve(t, n);
	if (rc < 0)
		return rc;
	add_reserved(t, recs, n, NULL, NULL);
	return 0;
}

int
sl_ftable_add_batch(struct sl_ftable *t, const struct sl_flow *flows, uint32_t n)
{
	struct sl_ftable_rec **recs;
	int rc;

	rc = recs_of(flows, n, &recs);
	if (rc < 0)
		return rc;
	rc = sl_ftable_add_recs(t, recs, n);
	if (rc < 0)
		for (uint32_t i = 0; i < n; i++)
			free(recs[i]);
	free(recs);
	return rc;
}

const struct sl_flow *
sl_ftable_find(const struct sl_ftable *t, const struct sl_match *m, uint32_t priority)
{
	uint32_t s;

	if (t->n == 0)
		return NULL;
	s = index_slot(t, m, priority, ident_hash(m, priority));
	return t->index[s].pos ? sl_ftable_rule(t, t->index[s].pos - 1) : NULL;
}

/*
 * Strict identity: match and priority, in the match's table; a match that
 * names no table (mmask.table 0) finds the rule with that identity in the
 * lowest table that has one, so "--strict" without table= works in every
 * table as ovs-ofctl's does.
 */
static const struct sl_flow *
find_strict(const struct sl_ftable *t, const struct sl_match *m, uint32_t priority,
	    unsigned int *state)
{
	struct sl_match tm;

	/* *state: 0 = start; 1 = the match as given was tried; 2 + N = table N was. */
	if (m->mmask.table != 0) {
		const struct sl_flow *f = *state == 0 ? sl_ftable_find(t, m, priority) : NULL;

		*state = 1;
		return f;
	}
	if (*state == 0) {
		const struct sl_flow *f = sl_ftable_find(t, m, priority); /* a rule of no table */

		*state = 1;
		if (f != NULL)
			return f;
	}
	tm = *m;
	tm.mmask.table = 0xff;
	for (unsigned int tbl = *state - 1; tbl < SL_MAX_TABLES; tbl++) {
		const struct sl_flow *f;

		tm.mkey.table = (uint8_t)tbl;
		f = sl_ftable_find(t, &tm, priority);
		if (f != NULL) {
			*state = tbl + 2;
			return f;
		}
	}
	*state = SL_MAX_TABLES + 1;
	return NULL;
}

static uint32_t
del_strict(struct sl_ftable *t, const struct sl_match *m, uint32_t priority)
{
	unsigned int tbl = 0;
	const struct sl_flow *f = find_strict(t, m, priority, &tbl);

	if (f == NULL)
		return 0;
	tell(t, SL_FTABLE_DEL, f);
	kill(t, sl_ftable_pos(t, f));
	return 1;
}

uint32_t
sl_ftable_del(struct sl_ftable *t, const struct sl_match *m, uint32_t priority, bool strict)
{
	struct sl_flow loose = { .match = *m, .priority = priority };
	struct sl_ftable_edit e;
	uint32_t i, hits = 0;

	/* No compaction here: a caller may delete while it walks the table. */
	if (strict) {
		while (del_strict(t, m, priority))
			hits++;
		return hits;
	}
	if (sl_ftable_edit_del(t, &loose, 1, false, &e) == 0) {
		hits = e.n_removed;
		sl_ftable_edit_done(&e);
		return hits;
	}
	/* Slow but allocation-free: delete one at a time. */
	for (i = 0; i < t->end; i++)
		if (sl_ftable_live(t, i) && sl_match_covers(m, &sl_ftable_rule(t, i)->match)) {
			tell(t, SL_FTABLE_DEL, sl_ftable_rule(t, i));
			kill(t, i);
			hits++;
		}
	return hits;
}

/* What mod-flow @m makes of rule @f: its actions, and its cookie if @m sets one. */
static void
mod_apply(struct sl_flow *f, const struct sl_flow *m)
{
	f->actions = m->actions;
	if (m->set_cookie)
		f->cookie = m->cookie;
}

int
sl_ftable_mod(const struct sl_ftable *t, const struct sl_flow *mods, uint32_t n, bool strict,
	      struct sl_flow **out, uint32_t *n_out, uint32_t *n_selected)
{
	struct sl_flow *res = malloc(sizeof(*res) * ((size_t)t->n + n + 1));
	bool *hit = calloc(n ? n : 1, sizeof(*hit));
	uint32_t k = 0, j;

	if (res == NULL || hit == NULL) {
		free(res);
		free(hit);
		return -ENOMEM;
	}
	/* Each rule in table order, the mods applied one after the other as
	 * OpenFlow applies a sequence of flow-mods (a later one sees the
	 * cookie an earlier one set). */
	SL_FTABLE_FOREACH(i, t) {
		struct sl_flow f;
		bool picked = false;

		sl_flow_copy(&f, sl_ftable_rule(t, i));
		for (j = 0; j < n; j++)
			if (sl_flow_selects(&mods[j], &f, strict)) {
				mod_apply(&f, &mods[j]);
				picked = hit[j] = true;
			}
		if (picked)
			res[k++] = f;
	}
	*n_selected = k;
	/* OpenFlow 1.0, which ovs-ofctl speaks by default: a modify that
	 * selects nothing adds its flow, unless it selected by cookie. */
	for (j = 0; j < n; j++)
		if (!hit[j] && mods[j].cookie_mask == 0) {
			res[k] = mods[j];
			/* A rule lives in one table: the one named, else table 0. */
			res[k].match.mmask.table = 0xff;
			if (!res[k].set_cookie)
				res[k].cookie = 0;
			res[k].set_cookie = false;
			k++;
		}
	free(hit);
	*out = res;
	*n_out = k;
	return 0;
}

uint32_t
sl_ftable_clear(struct sl_ftable *t)
{
	uint32_t n = t->n;

	if (t->live != NULL)
		memset(t->live, 0, (t->end + 63) / 64 * sizeof(t->live[0]));
	for (uint32_t i = 0; i < t->end; i++) {
		free(t->rules[i]);
		t->rules[i] = NULL;
	}
	t->n = t->end = 0;
	t->n_shapes = 0;
	t->shapes_lost = false;
	index_rebuild(t);
	tell(t, SL_FTABLE_RESET, NULL);
	return n;
}

uint32_t
sl_ftable_diff(const struct sl_ftable *a, const struct sl_ftable *b)
{
	uint32_t same = 0;

	SL_FTABLE_FOREACH(i, b) {
		const struct sl_flow *f = sl_ftable_rule(b, i);
		const struct sl_flow *o = sl_ftable_find(a, &f->match, f->priority);

		if (o != NULL && sl_flow_same(o, f))
			same++;
	}
	return (a->n - same) + (b->n - same);
}

int
sl_ftable_replace(struct sl_ftable *t, const struct sl_flow *flows, uint32_t n)
{
	struct sl_ftable_edit e;
	uint32_t diff;
	int rc;

	rc = sl_ftable_edit_replace(t, flows, n, &e);
	if (rc < 0)
		return rc;
	diff = sl_ftable_diff(&e.old, t);
	sl_ftable_edit_done(&e);
	return (int)diff;
}

/* ---- edits ---- */

enum { EDIT_ADD = 1, EDIT_DEL, EDIT_REPLACE };

static void
edit_begin(struct sl_ftable_edit *e, int kind, const struct sl_ftable *t)
{
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->data_size = t->data_size;
	e->old_n = t->n;
	e->old_end = t->end;
	sl_ftable_init(&e->old);
}

static void
edit_free(struct sl_ftable_edit *e)
{
	free(e->added);
	free(e->log_pos);
	if (e->log_flows != NULL)
		for (uint32_t i = 0; i < e->n_log; i++)
			free(e->log_flows[i]);
	free(e->log_flows);
	free(e->rm_flows);
	free(e->rm_data);
	free(e->rm_pos);
	sl_ftable_fini(&e->old);
	memset(e, 0, sizeof(*e));
}

/* Room for @n removed rules. */
static int
removed_alloc(struct sl_ftable_edit *e, uint32_t n)
{
	size_t k = n ? n : 1;

	e->rm_flows = malloc(k * sizeof(*e->rm_flows));
	e->rm_pos = malloc(k * sizeof(*e->rm_pos));
	if (e->data_size)
		e->rm_data = malloc(k * e->data_size);
	if (e->rm_flows == NULL || e->rm_pos == NULL || (e->data_size && e->rm_data == NULL))
		return -ENOMEM;
	return 0;
}

/* Copy rule @i of @t out as the next removed rule. */
static void
removed_push(struct sl_ftable_edit *e, const struct sl_ftable *t, uint32_t i)
{
	uint32_t k = e->n_removed++;

	e->rm_flows[k] = sl_ftable_rule(t, i);
	e->rm_pos[k] = i;
	if (e->data_size)
		memcpy(sl_ftable_edit_removed_data(e, k), sl_ftable_data(t, i), e->data_size);
}

const struct sl_flow *
sl_ftable_edit_removed(const struct sl_ftable_edit *e, uint32_t i)
{
	return e->rm_flows[i];
}

void *
sl_ftable_edit_removed_data(const struct sl_ftable_edit *e, uint32_t i)
{
	return e->data_size ? (char *)e->rm_data + (size_t)i * e->data_size : NULL;
}

int
sl_ftable_edit_add_recs(struct sl_ftable *t, struct sl_ftable_rec **recs, uint32_t n,
			struct sl_ftable_edit *e)
{
	uint32_t max_log, i;
	uint64_t *touched;

	/* Compacting and growing come first: positions hold from here on. */
	maybe_compact(t);
	if (sl_ftable_reserve(t, n) < 0) {
		memset(e, 0, sizeof(*e));
		return -ENOMEM;
	}
	edit_begin(e, EDIT_ADD, t);
	max_log = n < t->n ? n : t->n;
	e->added = malloc(sizeof(*e->added) * (n ? n : 1));
	e->log_pos = malloc(sizeof(*e->log_pos) * (max_log ? max_log : 1));
	e->log_flows = malloc(sizeof(*e->log_flows) * (max_log ? max_log : 1));
	touched = calloc(t->end / 64 + 1, sizeof(*touched));
	if (e->added == NULL || e->log_pos == NULL || e->log_flows == NULL || touched == NULL) {
		free(touched);
		edit_free(e);
		return -ENOMEM;
	}
	add_reserved(t, recs, n, e, touched);
	free(touched);
	for (i = e->old_end; i < t->end; i++)
		e->added[e->n_added++] = i;
	for (i = 0; i < e->n_log; i++)
		if (!sl_actions_equal(&e->log_flows[i]->flow.actions,
				      &sl_ftable_rule(t, e->log_pos[i])->actions))
			e->n_modified++;
	return 0;
}

/* Edit @t with @take, given rules of their own made of @flows (freed again if it fails). */
static int
edit_copies(struct sl_ftable *t, const struct sl_flow *flows, uint32_t n, struct sl_ftable_edit *e,
	    int (*take)(struct sl_ftable *, struct sl_ftable_rec **, uint32_t,
			struct sl_ftable_edit *))
{
	struct sl_ftable_rec **recs;
	int rc;

	rc = recs_of(flows, n, &recs);
	if (rc < 0) {
		memset(e, 0, sizeof(*e));
		return rc;
	}
	rc = take(t, recs, n, e);
	if (rc < 0)
		for (uint32_t i = 0; i < n; i++)
			free(recs[i]);
	free(recs);
	return rc;
}

int
sl_ftable_edit_add(struct sl_ftable *t, const struct sl_flow *flows, uint32_t n,
		   struct sl_ftable_edit *e)
{
	return edit_copies(t, flows, n, e, sl_ftable_edit_add_recs);
}

static int
cmp_pos(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Append @p to the growing array *@v of *@k positions (*@cap room). */
static int
pos_push(uint32_t **v, uint32_t *k, uint32_t *cap, uint32_t p)
{
	if (*k == *cap) {
		uint32_t c = *cap ? *cap * 2 : 16;
		uint32_t *nv = realloc(*v, sizeof(*nv) * c);

		if (nv == NULL)
			return -ENOMEM;
		*v = nv;
		*cap = c;
	}
	(*v)[(*k)++] = p;
	return 0;
}

/* True if every bit @inner's mask has, @outer's has too (the table byte aside). */
static bool
mask_within(const struct sl_match *inner, const struct sl_ftable_shape *outer, bool *same)
{
	const uint8_t *a = (const uint8_t *)&inner->mask, *b = (const uint8_t *)&outer->mask;
	struct sl_flow_meta im = inner->mmask, om = outer->mmask;

	im.table = om.table = 0;
	*same = true;
	for (size_t i = 0; i < sizeof(inner->mask); i++) {
		if (a[i] & ~b[i])
			return false;
		*same &= a[i] == b[i];
	}
	a = (const uint8_t *)&im;
	b = (const uint8_t *)&om;
	for (size_t i = 0; i < sizeof(im); i++) {
		if (a[i] & ~b[i])
			return false;
		*same &= a[i] == b[i];
	}
	return true;
}

/*
 * Non-strict selection by the table's shapes: a rule is picked when the
 * selector's mask is within the rule's and the keys agree under it.  For
 * a shape whose mask is the selector's own (the table byte aside), that
 * is one rule at most, found in the index.  Returns -1 (nothing pushed
 * that counts) when some shape would need a scan; -ENOMEM.
 */
static int
select_by_shape(const struct sl_ftable *t, const struct sl_flow *matches, uint32_t n,
		uint32_t **v, uint32_t *k, uint32_t *cap)
{
	if (t->shapes_lost)
		return -1;
	for (uint32_t j = 0; j < n; j++) {
		const struct sl_match *sm = &matches[j].match;

		for (uint32_t i = 0; i < t->n_shapes; i++) {
			const struct sl_ftable_shape *s = &t->shapes[i];
			const struct sl_flow *f;
			struct sl_match m;
			bool same;

			if ((sm->mmask.table & ~s->mmask.table) ||
			    (sm->mmask.table != 0 && sm->mkey.table != s->table))
				continue;
			if (!mask_within(sm, s, &same))
				continue;
			if (!same)
				return -1;
			m = *sm;
			m.mmask = s->mmask;
			m.mkey.table = s->table;
			f = sl_ftable_find(t, &m, s->priority);
			if (f != NULL && cookie_selects(&matches[j], f) &&
			    pos_push(v, k, cap, sl_ftable_pos(t, f)) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

/*
 * The positions of the rules that the selectors pick, ascending, each once.
 * Strict selectors go through the index: O(selectors), whatever the size;
 * so do non-strict ones whose mask is that of every rule shape they could
 * pick (del-flows of a rule's full match), while the table has few shapes.
 */
static int
select_rules(const struct sl_ftable *t, const struct sl_flow *matches, uint32_t n, bool strict,
	     uint32_t **out, uint32_t *n_out)
{
	uint32_t *v = NULL, k = 0, cap = 0, i, j, w;

	if (strict) {
		for (j = 0; j < n; j++) {
			unsigned int tbl = 0;
			const struct sl_flow *f;

			/* One rule per table that has this identity. */
			while ((f = find_strict(t, &matches[j].match, matches[j].priority, &tbl)) !=
			       NULL)
				if (cookie_selects(&matches[j], f) &&
				    pos_push(&v, &k, &cap, sl_ftable_pos(t, f)) < 0)
					goto nomem;
		}
		if (k > 1) {
			qsort(v, k, sizeof(*v), cmp_pos);
			for (i = w = 1; i < k; i++)
				if (v[i] != v[w - 1])
					v[w++] = v[i];
			k = w;
		}
	} else if (select_by_shape(t, matches, n, &v, &k, &cap) == 0) {
		if (k > 1) {
			qsort(v, k, sizeof(*v), cmp_pos);
			for (i = w = 1; i < k; i++)
				if (v[i] != v[w - 1])
					v[w++] = v[i];
			k = w;
		}
	} else {
		k = 0;
		SL_FTABLE_FOREACH(p, t)
		for (j = 0; j < n; j++)
			if (sl_flow_selects(&matches[j], sl_ftable_rule(t, p), false)) {
				if (pos_push(&v, &k, &cap, p) < 0)
					goto nomem;
				break;
			}
	}
	*out = v;
	*n_out = k;
	return 0;
nomem:
	free(v);
	return -ENOMEM;
}

int
sl_ftable_edit_del(struct sl_ftable *t, const struct sl_flow *matches, uint32_t n, bool strict,
		   struct sl_ftable_edit *e)
{
	uint32_t *doomed, hits, i;

	maybe_compact(t);
	edit_begin(e, EDIT_DEL, t);
	if (select_rules(t, matches, n, strict, &doomed, &hits) < 0)
		return -ENOMEM;
	if (removed_alloc(e, hits) < 0) {
		free(doomed);
		edit_free(e);
		return -ENOMEM;
	}
	/* The slots stay (dead) until the edit is kept or undone. */
	for (i = 0; i < hits; i++) {
		removed_push(e, t, doomed[i]);
		tell(t, SL_FTABLE_DEL, sl_ftable_rule(t, doomed[i]));
		kill(t, doomed[i]);
	}
	free(doomed);
	return 0;
}

int
sl_ftable_edit_replace_recs(struct sl_ftable *t, struct sl_ftable_rec **recs, uint32_t n,
			    struct sl_ftable_edit *e)
{
	uint32_t *from = NULL; /* per new rule: its position in @t + 1, or 0 */
	bool *kept = NULL;
	struct sl_ftable nt;
	uint32_t i;

	edit_begin(e, EDIT_REPLACE, t);
	sl_ftable_init_data(&nt, t->data_size);
	e->added = malloc(sizeof(*e->added) * (n ? n : 1));
	from = malloc(sizeof(*from) * (n ? n : 1));
	kept = calloc(t->end ? t->end : 1, sizeof(*kept));
	/* Room for every old rule among the removed, the most that can go. */
	if (e->added == NULL || from == NULL || kept == NULL || sl_ftable_reserve(&nt, n) < 0 ||
	    removed_alloc(e, t->n) < 0)
		goto nomem;
	/* From here nothing fails: the new table owns the rules. */
	/* One hash per rule serves both tables: its slot in the new one, its twin in the old. */
	for (i = 0; i < n; i++) {
		const struct sl_flow *f = &recs[i]->flow;
		uint32_t h = ident_hash(&f->match, f->priority);
		uint32_t s = index_slot(&nt, &f->match, f->priority, h);

		if (nt.index[s].pos != 0) { /* the later duplicate wins */
			overwrite(&nt, nt.index[s].pos - 1, recs[i]);
			continue;
		}
		from[nt.n] = t->n ? t->index[index_slot(t, &f->match, f->priority, h)].pos : 0;
		append(&nt, s, recs[i], h);
	}
	for (i = 0; i < nt.n; i++) {
		uint32_t p = from[i] - 1;

		if (from[i] == 0) {
			e->added[e->n_added++] = i;
			continue;
		}
		kept[p] = true;
		if (nt.data_size)
			memcpy(sl_ftable_data(&nt, i), sl_ftable_data(t, p), nt.data_size);
		if (!sl_actions_equal(&sl_ftable_rule(t, p)->actions, &sl_ftable_rule(&nt, i)->actions))
			e->n_modified++;
	}
	/* Each kept rule has one twin: the rest of the old table is what goes. */
	SL_FTABLE_FOREACH(p, t)
	if (!kept[p])
		removed_push(e, t, p);
	free(from);
	free(kept);
	e->old = *t;
	nt.observe = t->observe;
	nt.observe_arg = t->observe_arg;
	nt.gen += t->gen + 1;
	*t = nt;
	tell(t, SL_FTABLE_RESET, NULL);
	return 0;
nomem:
	free(from);
	free(kept);
	sl_ftable_fini(&nt);
	edit_free(e);
	return -ENOMEM;
}

int
sl_ftable_edit_replace(struct sl_ftable *t, const struct sl_flow *flows, uint32_t n,
		       struct sl_ftable_edit *e)
{
	return edit_copies(t, flows, n, e, sl_ftable_edit_replace_recs);
}

void
sl_ftable_edit_done(struct sl_ftable_edit *e)
{
	edit_free(e);
}

void
sl_ftable_edit_undo(struct sl_ftable *t, struct sl_ftable_edit *e)
{
	uint32_t i;

	switch (e->kind) {
	case EDIT_ADD:
		for (i = e->old_end; i < t->end; i++) {
			index_drop(t, i);
			shape_del(t, sl_ftable_rule(t, i));
			live_clear(t, i);
			free(t->rules[i]);
			t->rules[i] = NULL;
		}
		/* The old rules go back; the log lets go of them. */
		for (i = 0; i < e->n_log; i++) {
			uint32_t p = e->log_pos[i];

			free(t->rules[p]);
			t->rules[p] = e->log_flows[i];
			e->log_flows[i] = NULL;
		}
		t->n = e->old_n;
		t->end = e->old_end;
		break;
	case EDIT_DEL:
		/* The removed rules are still in their (dead) slots. */
		for (i = 0; i < e->n_removed; i++) {
			uint32_t p = e->rm_pos[i];

			live_set(t, p);
			shape_add(t, sl_ftable_rule(t, p));
			index_put(t, p, ident_hash(&sl_ftable_rule(t, p)->match,
						   sl_ftable_rule(t, p)->priority));
		}
		t->n = e->old_n;
		break;
	case EDIT_REPLACE: {
		uint64_t gen = t->gen;

		sl_ftable_fini(t);
		*t = e->old;
		t->gen = gen + 1; /* never a generation the table had */
		sl_ftable_init(&e->old);
		break;
	}
	}
	tell(t, SL_FTABLE_RESET, NULL);
	edit_free(e);
}
