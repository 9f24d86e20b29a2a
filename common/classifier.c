/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Incremental tuple-space-search classifier (see classifier.h).
 *
 * Rules are grouped by (table, mask) into subtables.  Within a subtable
 * every rule is an exact match on the masked key, so one hash probe per
 * subtable finds the rules of that masked key: a chain sorted by priority
 * (then seq), whose first rule visible at the lookup's version is the
 * subtable's best.  A lookup walks the subtables of its table by
 * descending best priority (an immutable index, replaced by RCU when the
 * set of subtables or a best priority changes) and stops once no remaining
 * subtable can beat what it has found.
 *
 * Concurrency: one writer, any number of lock-free readers.  Every store a
 * reader may see is a single aligned word: a slot (hash and chain head in
 * one u64), a rule's next, a rule's rm_ver, a pointer.  A rule is filled
 * in before it is linked (release), so a reader that reaches it sees it
 * whole; a rule is unlinked only when no version a reader can still use
 * sees it, and reused only after a further grace period, so a reader
 * standing on it may still follow its next.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_hash_crc.h>

#include "classifier.h"

#define SL_CLS_HASH_SEED 0x5eed1ce5u
#define SL_CLS_NONE UINT32_MAX
#define SL_CLS_CHUNK_SHIFT 14 /* rules are allocated 16384 at a time */
#define SL_CLS_CHUNK (1u << SL_CLS_CHUNK_SHIFT)
#define SL_CLS_MAX_CHUNKS 512 /* up to 8M rule versions */
#define SL_CLS_MAX_SUBTABLES 4096
#define SL_CLS_MIN_SLOTS 16

/* Words a lookup sees: the packet key, then the pipeline state. */
#define SL_CLS_WORDS (SL_FLOW_KEY_WORDS + SL_META_WORDS)

/*
 * A subtable's hash table.  A slot is hash << 32 | (chain head + 1): 0 is
 * free (ends a probe), a zero low half is a chain that emptied (a
 * tombstone: probes go on past it, inserts may reuse it).  Hashes have
 * their low bit set so that no used slot is ever 0.
 */
struct sl_cls_slots {
	uint32_t mask; /* n_slots - 1, a power of two minus one */
	uint32_t pad;
	uint64_t s[];
};

/*
 * Everything a probe needs, in the order it needs it.  word[]/wmask[] list
 * only the key words the mask touches, so a mask on in_port alone hashes
 * and compares one word, not eighteen.
 */
struct sl_cls_subtable {
	struct sl_cls_slots *slots; /* atomic: replaced whole when it grows */
	uint32_t n_words;
	uint32_t table;
	uint8_t word[SL_CLS_WORDS];
	uint64_t wmask[SL_CLS_WORDS];
	/*
	 * Bits set (ones) and clear (zeros) in the masked key of every rule
	 * here (conservative: widened on insert, narrowed only when the
	 * subtable starts over).  A packet that disagrees on one of them
	 * matches no rule, which a few ANDs tell before any hashing.
	 */
	uint64_t ones[SL_CLS_WORDS];
	uint64_t zeros[SL_CLS_WORDS];
};

struct sl_cls_ient {
	uint32_t max_priority; /* no rule of the subtable has a higher one */
	uint32_t sub;
};

/* Subtables by table, then best priority descending; immutable once published. */
struct sl_cls_index {
	uint32_t n;
	uint32_t meta_in_table0; /* some subtable of table 0 matches registers or metadata */
	uint32_t start[SL_MAX_TABLES + 1]; /* table t: e[start[t] .. start[t + 1]) */
	struct sl_cls_ient e[];
};

struct sl_cls {
	uint64_t version;           /* atomic: the version lookups use */
	struct sl_cls_index *index; /* atomic */
	uint32_t n_rules;           /* visible at version (statistics) */
	uint32_t pad;
	struct sl_cls_rule *chunk[SL_CLS_MAX_CHUNKS];
	struct sl_cls_subtable sub[SL_CLS_MAX_SUBTABLES];
};

/* Growable arrays of the writer's bookkeeping. */
struct sl_vec {
	void *p;
	uint32_t n, cap, elt;
};

/* What the writer knows of each subtable. */
struct sl_clsw_sub {
	uint32_t mask_hash;
	uint32_t live;   /* rules linked in (staged, visible or removed but not unlinked) */
	uint32_t chains; /* non-empty chains */
	uint32_t used;   /* non-free slots (chains + tombstones) */
	uint32_t max_priority;
	uint8_t in_use;  /* findable by mask */
	uint8_t reserved; /* in use, or retired and waiting for a grace period */
};

struct sl_clsw {
	struct sl_cls *cls;
	sl_cls_zalloc_fn zalloc;
	sl_cls_free_fn free_fn;
	void *ctx;
	uint32_t max_rules;
	uint32_t n_live;     /* rule versions allocated */
	uint32_t n_fresh;    /* rule indices ever handed out */
	uint32_t next_seq;
	uint32_t n_subs_hi;  /* subtables [0, n_subs_hi) were ever used */
	bool index_dirty;
	size_t shm_bytes;
	struct sl_vec free_rules;    /* u32 */
	struct sl_vec staged_add;    /* u32 */
	struct sl_vec staged_rm;     /* u32 */
	struct sl_vec doomed;        /* u32: removed and published, to unlink */
	struct sl_vec pending_rules; /* u32: unlinked, free after a grace period */
	struct sl_vec pending_subs;  /* u32: retired subtables */
	struct sl_vec pending_ptrs;  /* void *: replaced arrays */
	struct sl_clsw_sub sub[SL_CLS_MAX_SUBTABLES];
};

/* ---- Read side ---- */

static inline struct sl_cls_rule *
sl_cls_rule(const struct sl_cls *cls, uint32_t i)
{
	return &cls->chunk[i >> SL_CLS_CHUNK_SHIFT][i & (SL_CLS_CHUNK - 1)];
}

/* False if no rule of @st can match @kw (see ones/zeros). */
static inline bool
sl_cls_may_match(const struct sl_cls_subtable *st, const uint64_t *kw)
{
	uint64_t bad = 0;
	uint32_t i;

	for (i = 0; i < st->n_words; i++) {
		uint64_t w = kw[st->word[i]];

		bad |= (~w & st->ones[i]) | (w & st->zeros[i]);
	}
	return bad == 0;
}

/* Word @i of a match's key or mask (packet part, then pipeline part). */
static inline uint64_t
sl_match_word(const struct sl_flow_key *k, const struct sl_flow_meta *m, unsigned int i)
{
	uint64_t w;

	if (i < SL_FLOW_KEY_WORDS)
		memcpy(&w, (const char *)k + i * sizeof(w), sizeof(w));
	else
		memcpy(&w, (const char *)m + (i - SL_FLOW_KEY_WORDS) * sizeof(w), sizeof(w));
	return w;
}

/* Hash of the masked words of @kw in subtable @st; the low bit is always set. */
static inline uint32_t
sl_cls_hash(const struct sl_cls_subtable *st, const uint64_t *kw)
{
	uint32_t hash = SL_CLS_HASH_SEED;
	uint32_t i;

	for (i = 0; i < st->n_words; i++)
		hash = rte_hash_crc_8byte(kw[st->word[i]] & st->wmask[i], hash);
	return hash | 1;
}

/* Rule keys are normalized, so comparing the masked words is an exact match test. */
static inline bool
sl_cls_rule_has_key(const struct sl_cls_rule *r, const struct sl_cls_subtable *st,
		    const uint64_t *kw)
{
	uint64_t diff = 0;
	uint32_t i;

	for (i = 0; i < st->n_words; i++)
		diff |= (kw[st->word[i]] & st->wmask[i]) ^
			sl_match_word(&r->match.key, &r->match.mkey, st->word[i]);
	return diff == 0;
}

static inline bool
sl_cls_visible(const struct sl_cls_rule *r, uint64_t version)
{
	return r->add_ver <= version && version < __atomic_load_n(&r->rm_ver, __ATOMIC_RELAXED);
}

/* The best rule of @st visible at @version whose masked key is @kw's, or NULL. */
static inline const struct sl_cls_rule *
sl_cls_subtable_find(const struct sl_cls *cls, const struct sl_cls_subtable *st,
		     const uint64_t *kw, uint64_t version)
{
	const struct sl_cls_slots *slots = __atomic_load_n(&st->slots, __ATOMIC_ACQUIRE);
	uint32_t hash = sl_cls_hash(st, kw);
	uint64_t w;
	uint32_t i;

	/* Load is at most 75%, so a free slot always ends the probe. */
	for (i = hash & slots->mask; (w = __atomic_load_n(&slots->s[i], __ATOMIC_ACQUIRE)) != 0;
	     i = (i + 1) & slots->mask) {
		const struct sl_cls_rule *r;
		uint32_t head = (uint32_t)w;

		if ((uint32_t)(w >> 32) != hash || head == 0)
			continue;
		r = sl_cls_rule(cls, head - 1);
		if (!sl_cls_rule_has_key(r, st, kw))
			continue;
		/* Every rule of the chain has this key; the first visible is the best. */
		for (;;) {
			uint32_t next;

			if (sl_cls_visible(r, version))
				return r;
			next = __atomic_load_n(&r->next, __ATOMIC_ACQUIRE);
			if (next == SL_CLS_NONE)
				return NULL;
			r = sl_cls_rule(cls, next);
		}
	}
	return NULL;
}

static inline bool
sl_cls_better(const struct sl_cls_rule *r, const struct sl_cls_rule *best)
{
	return best == NULL || r->priority > best->priority ||
	       (r->priority == best->priority && r->seq < best->seq);
}

/*
 * @st's filter rejected @kw: add to @wc one bit that rejects it, so that
 * every key agreeing with @kw there is rejected too.  A bit already in
 * @wc, or one of the pipeline words (the megaflow cache's caller knows
 * those from the key), costs nothing; else the lowest one of the first
 * word that disagrees.
 */
static void
sl_cls_wc_reject(const struct sl_cls_subtable *st, const uint64_t *kw, uint64_t *wc)
{
	uint64_t pick = 0;
	int pick_w = -1;

	for (uint32_t i = 0; i < st->n_words; i++) {
		uint32_t wi = st->word[i];
		uint64_t w = kw[wi], bad = (~w & st->ones[i]) | (w & st->zeros[i]);

		if (bad == 0)
			continue;
		if (wi >= SL_FLOW_KEY_WORDS || (bad & wc[wi]) != 0)
			return;
		if (pick_w < 0) {
			pick_w = (int)wi;
			pick = bad & (~bad + 1);
		}
	}
	if (pick_w >= 0)
		wc[pick_w] |= pick;
}

/* Add subtable @st's mask to @wc. */
static inline void
sl_cls_wc_add(const struct sl_cls_subtable *st, uint64_t *wc)
{
	for (uint32_t i = 0; i < st->n_words; i++)
		wc[st->word[i]] |= st->wmask[i];
}

/*
 * The lookup in table @table of key words @kw; *searched grows by the
 * subtables probed.  With @wc, the bits the lookup's outcome depended on
 * are ORed into it (SL_CLS_WORDS words): the mask of every subtable
 * probed, and one rejecting bit of each subtable its filter ruled out.
 * Any key that agrees with @kw on those bits takes the same path through
 * the same subtables and gets the same rule.
 */
static inline const struct sl_cls_rule *
sl_cls_lookup_kw(const struct sl_cls *cls, const struct sl_cls_index *idx, uint64_t version,
		 uint8_t table, const uint64_t *kw, uint32_t *searched, uint64_t *wc)
{
	const struct sl_cls_ient *e = idx->e + idx->start[table];
	const struct sl_cls_ient *end = idx->e + idx->start[table + 1];
	const struct sl_cls_rule *best = NULL;

	for (; e < end; e++) {
		const struct sl_cls_subtable *st;
		const struct sl_cls_rule *r;

		/* Equal priority must still be searched: a lower seq wins the tie. */
		if (best != NULL && e->max_priority < best->priority)
			break;
		st = &cls->sub[e->sub];
		if (!sl_cls_may_match(st, kw)) {
			if (wc != NULL)
				sl_cls_wc_reject(st, kw, wc);
			continue;
		}
		if (wc != NULL)
			sl_cls_wc_add(st, wc);
		r = sl_cls_subtable_find(cls, st, kw, version);
		(*searched)++;
		if (r != NULL && sl_cls_better(r, best))
			best = r;
	}
	return best;
}

/*
 * The version first, then the index: the writer publishes the index before
 * the version, so a reader that sees a version sees an index that covers it.
 */
static inline const struct sl_cls_index *
sl_cls_begin(const struct sl_cls *cls, uint64_t *version)
{
	*version = __atomic_load_n(&cls->version, __ATOMIC_ACQUIRE);
	return __atomic_load_n(&cls->index, __ATOMIC_ACQUIRE);
}

const struct sl_cls_rule *
sl_cls_lookup_counted(const struct sl_cls *cls, const struct sl_flow_key *key,
		      uint64_t *searched)
{
	uint64_t kw[SL_CLS_WORDS];
	uint64_t version;
	const struct sl_cls_index *idx = sl_cls_begin(cls, &version);
	const struct sl_cls_rule *r;
	uint32_t n = 0;

	/* A packet enters table 0 with all registers and metadata zero (words
	 * no subtable reads need no zeroing). */
	memcpy(kw, key, sizeof(*key));
	if (unlikely(idx->meta_in_table0))
		memset(kw + SL_FLOW_KEY_WORDS, 0, sizeof(struct sl_flow_meta));
	r = sl_cls_lookup_kw(cls, idx, version, 0, kw, &n, NULL);
	*searched += n;
	return r;
}

const struct sl_cls_rule *
sl_cls_lookup(const struct sl_cls *cls, const struct sl_flow_key *key)
{
	uint64_t unused = 0;

	return sl_cls_lookup_counted(cls, key, &unused);
}

const struct sl_cls_rule *
sl_cls_lookup_table(const struct sl_cls *cls, uint8_t table, const struct sl_flow_key *key,
		    const struct sl_flow_meta *meta)
{
	uint64_t kw[SL_CLS_WORDS];
	uint64_t version;
	const struct sl_cls_index *idx;
	uint32_t unused = 0;

	if (table >= SL_MAX_TABLES)
		return NULL;
	idx = sl_cls_begin(cls, &version);
	memcpy(kw, key, sizeof(*key));
	memcpy(kw + SL_FLOW_KEY_WORDS, meta, sizeof(*meta));
	/* The table is not a matched word: tables are separate subtable ranges. */
	((struct sl_flow_meta *)(kw + SL_FLOW_KEY_WORDS))->table = 0;
	return sl_cls_lookup_kw(cls, idx, version, table, kw, &unused, NULL);
}

const struct sl_cls_rule *
sl_cls_lookup_wc(const struct sl_cls *cls, const struct sl_flow_key *key, uint64_t *wc,
		 uint64_t *searched)
{
	uint64_t kw[SL_CLS_WORDS];
	uint64_t version;
	const struct sl_cls_index *idx = sl_cls_begin(cls, &version);
	const struct sl_cls_rule *r;
	uint64_t mwc[SL_CLS_WORDS];
	uint32_t n = 0;

	memcpy(kw, key, sizeof(*key));
	memset(kw + SL_FLOW_KEY_WORDS, 0, sizeof(struct sl_flow_meta));
	memcpy(mwc, wc, sizeof(*key));
	memset(mwc + SL_FLOW_KEY_WORDS, 0, sizeof(struct sl_flow_meta));
	r = sl_cls_lookup_kw(cls, idx, version, 0, kw, &n, mwc);
	memcpy(wc, mwc, sizeof(*key));
	*searched += n;
	return r;
}

const struct sl_cls_rule *
sl_cls_lookup_table_wc(const struct sl_cls *cls, uint8_t table, const struct sl_flow_key *key,
		       const struct sl_flow_meta *meta, uint64_t *wc)
{
	uint64_t kw[SL_CLS_WORDS];
	uint64_t mwc[SL_CLS_WORDS];
	uint64_t version;
	const struct sl_cls_index *idx;
	const struct sl_cls_rule *r;
	uint32_t unused = 0;

	if (table >= SL_MAX_TABLES)
		return NULL;
	idx = sl_cls_begin(cls, &version);
	memcpy(kw, key, sizeof(*key));
	memcpy(kw + SL_FLOW_KEY_WORDS, meta, sizeof(*meta));
	((struct sl_flow_meta *)(kw + SL_FLOW_KEY_WORDS))->table = 0;
	memcpy(mwc, wc, sizeof(*key));
	memset(mwc + SL_FLOW_KEY_WORDS, 0, sizeof(struct sl_flow_meta));
	r = sl_cls_lookup_kw(cls, idx, version, table, kw, &unused, mwc);
	memcpy(wc, mwc, sizeof(*key));
	return r;
}

bool
sl_actions_need_pipeline(const struct sl_actions *acts)
{
	for (uint16_t i = 0; i < acts->n && i < SL_MAX_ACTIONS; i++)
		if (acts->a[i].type >= SL_ACT_RESUBMIT)
			return true;
	return false;
}

uint64_t
sl_cls_version(const struct sl_cls *cls)
{
	return __atomic_load_n(&cls->version, __ATOMIC_ACQUIRE);
}

uint32_t
sl_cls_n_rules(const struct sl_cls *cls)
{
	return __atomic_load_n(&cls->n_rules, __ATOMIC_RELAXED);
}

uint32_t
sl_cls_n_subtables(const struct sl_cls *cls)
{
	return __atomic_load_n(&cls->index, __ATOMIC_ACQUIRE)->n;
}

/* ---- Writer: bookkeeping ---- */

static int
sl_vec_push(struct sl_vec *v, const void *elt, uint32_t size)
{
	if (v->n == v->cap) {
		uint32_t cap = v->cap ? 2 * v->cap : 64;
		void *p = realloc(v->p, (size_t)cap * size);

		if (p == NULL)
			return -ENOMEM;
		v->p = p;
		v->cap = cap;
	}
	memcpy((char *)v->p + (size_t)v->n * size, elt, size);
	v->n++;
	return 0;
}

static inline uint32_t
sl_vec_u32(const struct sl_vec *v, uint32_t i)
{
	return ((const uint32_t *)v->p)[i];
}

/* Bookkeeping pushes must not fail half way through a change: reserve first. */
static int
sl_vec_reserve(struct sl_vec *v, uint32_t more, uint32_t size)
{
	uint32_t cap = v->cap ? v->cap : 64;
	void *p;

	if (v->n + more <= v->cap)
		return 0;
	while (cap < v->n + more)
		cap *= 2;
	p = realloc(v->p, (size_t)cap * size);
	if (p == NULL)
		return -ENOMEM;
	v->p = p;
	v->cap = cap;
	return 0;
}

static void
sl_vec_push_u32(struct sl_vec *v, uint32_t x)
{
	/* Callers reserved room (sl_clsw_insert); a failure here would be a bug. */
	if (sl_vec_push(v, &x, sizeof(x)) < 0)
		abort();
}

static void *
sl_clsw_alloc(struct sl_clsw *w, size_t size)
{
	void *p = w->zalloc(size, w->ctx);

	if (p != NULL)
		w->shm_bytes += size;
	return p;
}

static void
sl_clsw_retire_ptr(struct sl_clsw *w, void *p)
{
	if (p != NULL && sl_vec_push(&w->pending_ptrs, &p, sizeof(p)) < 0)
		abort(); /* reserved by every path that retires */
}

static size_t
sl_cls_slots_size(uint32_t n)
{
	return sizeof(struct sl_cls_slots) + (size_t)n * sizeof(uint64_t);
}

static size_t
sl_cls_index_size(uint32_t n)
{
	return sizeof(struct sl_cls_index) + (size_t)n * sizeof(struct sl_cls_ient);
}

static void
sl_clsw_free_ptr(struct sl_clsw *w, void *p, size_t size)
{
	w->shm_bytes -= size;
	w->free_fn(p, w->ctx);
}

/* ---- Writer: the index ---- */

static int
sl_cls_cmp_ient(const void *a, const void *b)
{
	const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y ? 1 : 0;
}

/* Sort key: table ascending, best priority descending, subtable ascending. */
static uint64_t
sl_clsw_ient_key(const struct sl_clsw *w, uint32_t s)
{
	return ((uint64_t)w->cls->sub[s].table << 48) |
	       ((uint64_t)(0xffffu - (w->sub[s].max_priority & 0xffff)) << 32) | s;
}

/* Build and publish the index of the subtables in use. */
static int
sl_clsw_reindex(struct sl_clsw *w)
{
	struct sl_cls *cls = w->cls;
	struct sl_cls_index *idx, *old = cls->index;
	uint64_t *keys = malloc(sizeof(*keys) * (w->n_subs_hi + 1));
	uint32_t n = 0, t = 0;

	if (keys == NULL)
		return -ENOMEM;
	for (uint32_t s = 0; s < w->n_subs_hi; s++)
		if (w->sub[s].in_use)
			keys[n++] = sl_clsw_ient_key(w, s);
	idx = sl_clsw_alloc(w, sl_cls_index_size(n));
	if (idx == NULL || sl_vec_reserve(&w->pending_ptrs, 1, sizeof(void *)) < 0) {
		if (idx != NULL)
			sl_clsw_free_ptr(w, idx, sl_cls_index_size(n));
		free(keys);
		return -ENOMEM;
	}
	qsort(keys, n, sizeof(*keys), sl_cls_cmp_ient);
	idx->n = n;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t s = (uint32_t)keys[i];
		const struct sl_cls_subtable *st = &cls->sub[s];

		idx->e[i] = (struct sl_cls_ient){ .max_priority = w->sub[s].max_priority, .sub = s };
		for (; t <= st->table; t++)
			idx->start[t] = i;
		if (st->table == 0)
			for (uint32_t k = 0; k < st->n_words; k++)
				if (st->word[k] >= SL_FLOW_KEY_WORDS)
					idx->meta_in_table0 = 1;
	}
	for (; t <= SL_MAX_TABLES; t++)
		idx->start[t] = n;
	free(keys);
	__atomic_store_n(&cls->index, idx, __ATOMIC_RELEASE);
	if (old != NULL)
		sl_clsw_retire_ptr(w, old);
	w->index_dirty = false;
	return 0;
}

/* ---- Writer: creation ---- */

struct sl_clsw *
sl_clsw_create(uint32_t max_rules, sl_cls_zalloc_fn zalloc, sl_cls_free_fn free_fn, void *ctx)
{
	struct sl_clsw *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	if (max_rules > (uint32_t)SL_CLS_MAX_CHUNKS * SL_CLS_CHUNK)
		max_rules = (uint32_t)SL_CLS_MAX_CHUNKS * SL_CLS_CHUNK;
	w->zalloc = zalloc;
	w->free_fn = free_fn;
	w->ctx = ctx;
	w->max_rules = max_rules;
	w->next_seq = 1;
	w->cls = sl_clsw_alloc(w, sizeof(*w->cls));
	if (w->cls == NULL || sl_clsw_reindex(w) < 0) {
		sl_clsw_destroy(w);
		return NULL;
	}
	return w;
}

static void
sl_clsw_free_pending(struct sl_clsw *w)
{
	void **p = w->pending_ptrs.p;

	if (sl_vec_reserve(&w->free_rules, w->pending_rules.n, 4) < 0)
		abort(); /* a few bytes per rule, and freeing must not fail */
	for (uint32_t i = 0; i < w->pending_ptrs.n; i++) {
		/* Both kinds of array say how big they are in their first word. */
		const struct sl_cls_index *idx = p[i];
		const struct sl_cls_slots *sl = p[i];
		size_t size = ((const uint32_t *)p[i])[1] == 0xffffffffu ?
				      sl_cls_slots_size(sl->mask + 1) :
				      sl_cls_index_size(idx->n);

		sl_clsw_free_ptr(w, p[i], size);
	}
	w->pending_ptrs.n = 0;
	for (uint32_t i = 0; i < w->pending_rules.n; i++) {
		sl_vec_push_u32(&w->free_rules, sl_vec_u32(&w->pending_rules, i));
		w->n_live--;
	}
	w->pending_rules.n = 0;
	for (uint32_t i = 0; i < w->pending_subs.n; i++) {
		uint32_t s = sl_vec_u32(&w->pending_subs, i);

		w->sub[s].reserved = 0;
		w->cls->sub[s].slots = NULL; /* freed above, with pending_ptrs */
	}
	w->pending_subs.n = 0;
}

void
sl_clsw_destroy(struct sl_clsw *w)
{
	if (w == NULL)
		return;
	if (w->cls != NULL) {
		sl_clsw_free_pending(w);
		for (uint32_t s = 0; s < w->n_subs_hi; s++)
			if (w->cls->sub[s].slots != NULL)
				w->free_fn(w->cls->sub[s].slots, w->ctx);
		for (uint32_t c = 0; c < SL_CLS_MAX_CHUNKS; c++)
			if (w->cls->chunk[c] != NULL)
				w->free_fn(w->cls->chunk[c], w->ctx);
		if (w->cls->index != NULL)
			w->free_fn(w->cls->index, w->ctx);
		w->free_fn(w->cls, w->ctx);
	}
	free(w->free_rules.p);
	free(w->staged_add.p);
	free(w->staged_rm.p);
	free(w->doomed.p);
	free(w->pending_rules.p);
	free(w->pending_subs.p);
	free(w->pending_ptrs.p);
	free(w);
}

struct sl_cls *
sl_clsw_cls(const struct sl_clsw *w)
{
	return w->cls;
}

const struct sl_cls_rule *
sl_clsw_rule(const struct sl_clsw *w, uint32_t handle)
{
	return sl_cls_rule(w->cls, handle);
}

size_t
sl_clsw_shm_bytes(const struct sl_clsw *w)
{
	return w->shm_bytes;
}

/* ---- Writer: subtables ---- */

static void
sl_clsw_shape(struct sl_cls_subtable *st, const struct sl_match *m, uint32_t table)
{
	struct sl_flow_meta mmask = m->mmask;

	mmask.table = 0; /* tables are subtable ranges, not a matched word */
	st->table = table;
	st->n_words = 0;
	for (unsigned int i = 0; i < SL_CLS_WORDS; i++) {
		uint64_t mw = sl_match_word(&m->mask, &mmask, i);

		if (mw == 0)
			continue;
		st->word[st->n_words] = i;
		st->wmask[st->n_words] = mw;
		st->n_words++;
	}
}

static uint32_t
sl_clsw_shape_hash(const struct sl_cls_subtable *st)
{
	uint32_t h = SL_CLS_HASH_SEED ^ st->table;

	for (uint32_t i = 0; i < st->n_words; i++)
		h = rte_hash_crc_8byte(st->wmask[i] ^ ((uint64_t)st->word[i] << 56), h);
	return h;
}

static bool
sl_clsw_same_shape(const struct sl_cls_subtable *a, const struct sl_cls_subtable *b)
{
	return a->table == b->table && a->n_words == b->n_words &&
	       memcmp(a->word, b->word, a->n_words) == 0 &&
	       memcmp(a->wmask, b->wmask, a->n_words * sizeof(a->wmask[0])) == 0;
}

/* The subtable of @shape's mask, made if new; SL_CLS_NONE if out of room. */
static uint32_t
sl_clsw_subtable(struct sl_clsw *w, const struct sl_cls_subtable *shape)
{
	uint32_t h = sl_clsw_shape_hash(shape), s, free_s = SL_CLS_NONE;
	struct sl_cls_subtable *st;
	struct sl_cls_slots *slots;

	for (s = 0; s < w->n_subs_hi; s++) {
		if (w->sub[s].in_use && w->sub[s].mask_hash == h &&
		    sl_clsw_same_shape(&w->cls->sub[s], shape))
			return s;
		if (!w->sub[s].reserved && free_s == SL_CLS_NONE)
			free_s = s;
	}
	if (free_s == SL_CLS_NONE) {
		if (w->n_subs_hi == SL_CLS_MAX_SUBTABLES)
			return SL_CLS_NONE;
		free_s = w->n_subs_hi;
	}
	slots = sl_clsw_alloc(w, sl_cls_slots_size(SL_CLS_MIN_SLOTS));
	if (slots == NULL)
		return SL_CLS_NONE;
	slots->mask = SL_CLS_MIN_SLOTS - 1;
	slots->pad = 0xffffffffu; /* marks a slot array (sl_clsw_free_pending) */
	if (free_s == w->n_subs_hi)
		w->n_subs_hi++;
	/* No reader reaches this subtable until an index names it. */
	st = &w->cls->sub[free_s];
	memset(st, 0, sizeof(*st));
	memcpy(st, shape, sizeof(*st));
	st->slots = slots;
	w->sub[free_s] = (struct sl_clsw_sub){ .mask_hash = h, .in_use = 1, .reserved = 1 };
	w->index_dirty = true;
	return free_s;
}

/* Grow (or clean of tombstones) subtable @s's slots so one more chain fits at <= 75% load. */
static int
sl_clsw_make_room(struct sl_clsw *w, uint32_t s)
{
	struct sl_cls_subtable *st = &w->cls->sub[s];
	struct sl_clsw_sub *ws = &w->sub[s];
	struct sl_cls_slots *old = st->slots, *nw;
	uint32_t n = SL_CLS_MIN_SLOTS;

	/* At most 3/4 full (a free slot always ends a probe); grown to at
	 * least twice the chains, so 3/8 to 3/4 full: the slots of 100k rules
	 * fit in 2 MiB, as many as the cache holds. */
	if (4 * ((uint64_t)ws->used + 1) <= 3 * ((uint64_t)old->mask + 1))
		return 0;
	while (n < 2 * ((uint64_t)ws->chains + 1))
		n <<= 1;
	if (sl_vec_reserve(&w->pending_ptrs, 1, sizeof(void *)) < 0)
		return -ENOMEM;
	nw = sl_clsw_alloc(w, sl_cls_slots_size(n));
	if (nw == NULL)
		return -ENOMEM;
	nw->mask = n - 1;
	nw->pad = 0xffffffffu;
	for (uint32_t i = 0; i <= old->mask; i++) {
		uint64_t v = old->s[i];
		uint32_t j;

		if ((uint32_t)v == 0)
			continue; /* free or tombstone */
		for (j = (uint32_t)(v >> 32) & nw->mask; nw->s[j] != 0; j = (j + 1) & nw->mask)
			;
		nw->s[j] = v;
	}
	__atomic_store_n(&st->slots, nw, __ATOMIC_RELEASE);
	sl_clsw_retire_ptr(w, old);
	ws->used = ws->chains;
	return 0;
}

/* The masked key words of stored rule @r (all words; unmasked ones zero). */
static void
sl_clsw_rule_words(const struct sl_cls_rule *r, uint64_t *kw)
{
	for (unsigned int i = 0; i < SL_CLS_WORDS; i++)
		kw[i] = sl_match_word(&r->match.key, &r->match.mkey, i);
}

/* True if @a goes before @b in a chain. */
static bool
sl_clsw_before(const struct sl_cls_rule *a, const struct sl_cls_rule *b)
{
	return a->priority > b->priority || (a->priority == b->priority && a->seq <= b->seq);
}

/* Link rule @idx into its chain (creating the chain's slot if needed). */
static void
sl_clsw_link(struct sl_clsw *w, uint32_t idx, const uint64_t *kw)
{
	struct sl_cls *cls = w->cls;
	struct sl_cls_rule *r = sl_cls_rule(cls, idx);
	struct sl_cls_subtable *st = &cls->sub[r->sub];
	struct sl_cls_slots *sl = st->slots;
	uint32_t i, tomb = SL_CLS_NONE;

	for (i = r->hash & sl->mask; sl->s[i] != 0; i = (i + 1) & sl->mask) {
		uint32_t head = (uint32_t)sl->s[i], prev = SL_CLS_NONE, cur;

		if (head == 0) {
			if (tomb == SL_CLS_NONE)
				tomb = i;
			continue;
		}
		if ((uint32_t)(sl->s[i] >> 32) != r->hash ||
		    !sl_cls_rule_has_key(sl_cls_rule(cls, head - 1), st, kw))
			continue;
		for (cur = head - 1; cur != SL_CLS_NONE && sl_clsw_before(sl_cls_rule(cls, cur), r);
		     cur = sl_cls_rule(cls, cur)->next)
			prev = cur;
		r->next = cur;
		if (prev == SL_CLS_NONE)
			__atomic_store_n(&sl->s[i], (uint64_t)r->hash << 32 | (idx + 1),
					 __ATOMIC_RELEASE);
		else
			__atomic_store_n(&sl_cls_rule(cls, prev)->next, idx, __ATOMIC_RELEASE);
		return;
	}
	r->next = SL_CLS_NONE;
	if (tomb == SL_CLS_NONE) {
		tomb = i;
		w->sub[r->sub].used++;
	}
	w->sub[r->sub].chains++;
	__atomic_store_n(&sl->s[tomb], (uint64_t)r->hash << 32 | (idx + 1), __ATOMIC_RELEASE);
}

/* Take subtable @s out of the index; its memory goes after a grace period. */
static void
sl_clsw_retire_subtable(struct sl_clsw *w, uint32_t s)
{
	w->sub[s].in_use = 0;
	sl_clsw_retire_ptr(w, w->cls->sub[s].slots);
	/* slots stays set: a reader holding the old index may still probe it. */
	sl_vec_push_u32(&w->pending_subs, s);
	w->index_dirty = true;
}

/* Unlink rule @idx from its chain; it is freed after a grace period. */
static void
sl_clsw_unlink(struct sl_clsw *w, uint32_t idx)
{
	struct sl_cls *cls = w->cls;
	struct sl_cls_rule *r = sl_cls_rule(cls, idx);
	struct sl_cls_subtable *st = &cls->sub[r->sub];
	struct sl_cls_slots *sl = st->slots;
	struct sl_clsw_sub *ws = &w->sub[r->sub];
	uint32_t i;

	for (i = r->hash & sl->mask; sl->s[i] != 0; i = (i + 1) & sl->mask) {
		uint32_t head = (uint32_t)sl->s[i], prev = SL_CLS_NONE, cur;

		if (head == 0 || (uint32_t)(sl->s[i] >> 32) != r->hash)
			continue;
		for (cur = head - 1; cur != SL_CLS_NONE && cur != idx; cur = sl_cls_rule(cls, cur)->next)
			prev = cur;
		if (cur != idx)
			continue;
		/* r->next stays: a reader standing on r still finds the rest. */
		if (prev != SL_CLS_NONE)
			__atomic_store_n(&sl_cls_rule(cls, prev)->next, r->next, __ATOMIC_RELEASE);
		else
			__atomic_store_n(&sl->s[i],
					 (uint64_t)r->hash << 32 |
						 (r->next == SL_CLS_NONE ? 0 : r->next + 1),
					 __ATOMIC_RELEASE);
		if (prev == SL_CLS_NONE && r->next == SL_CLS_NONE)
			ws->chains--;
		break;
	}
	sl_vec_push_u32(&w->pending_rules, idx);
	if (--ws->live == 0)
		sl_clsw_retire_subtable(w, r->sub);
}

/* ---- Writer: changes ---- */

/* A rule slot; SL_CLS_NONE if none left. */
static uint32_t
sl_clsw_alloc_rule(struct sl_clsw *w)
{
	uint32_t c;

	if (w->n_live >= w->max_rules)
		return SL_CLS_NONE;
	if (w->free_rules.n > 0) {
		w->n_live++;
		return sl_vec_u32(&w->free_rules, --w->free_rules.n);
	}
	c = w->n_fresh >> SL_CLS_CHUNK_SHIFT;
	if (w->cls->chunk[c] == NULL) {
		void *p = sl_clsw_alloc(w, sizeof(struct sl_cls_rule) * SL_CLS_CHUNK);

		if (p == NULL)
			return SL_CLS_NONE;
		/* Published before any rule in it is linked. */
		__atomic_store_n(&w->cls->chunk[c], p, __ATOMIC_RELEASE);
	}
	w->n_live++;
	return w->n_fresh++;
}

/* Room for every bookkeeping push one insert and its undo may need. */
static int
sl_clsw_reserve(struct sl_clsw *w)
{
	return sl_vec_reserve(&w->staged_add, 1, 4) | sl_vec_reserve(&w->pending_rules, 2, 4) |
	       sl_vec_reserve(&w->pending_subs, 2, 4) | sl_vec_reserve(&w->free_rules, 2, 4) |
	       sl_vec_reserve(&w->pending_ptrs, 4, sizeof(void *));
}

static void
sl_clsw_widen_filter(struct sl_cls_subtable *st, bool first, const uint64_t *kw)
{
	for (uint32_t i = 0; i < st->n_words; i++) {
		uint64_t k = kw[st->word[i]];
		uint64_t ones = first ? k : st->ones[i] & k;
		uint64_t zeros = first ? st->wmask[i] & ~k : st->zeros[i] & ~k;

		__atomic_store_n(&st->ones[i], ones, __ATOMIC_RELAXED);
		__atomic_store_n(&st->zeros[i], zeros, __ATOMIC_RELAXED);
	}
}

int
sl_clsw_insert(struct sl_clsw *w, const struct sl_cls_rule *in, uint32_t *handle)
{
	struct sl_cls_subtable shape;
	struct sl_cls_rule *r;
	uint64_t kw[SL_CLS_WORDS];
	uint32_t idx, s;

	if (sl_clsw_reserve(w) != 0)
		return -ENOMEM;
	memset(&shape, 0, sizeof(shape));
	sl_clsw_shape(&shape, &in->match, in->match.mkey.table);
	if (w->n_live >= w->max_rules)
		return -ENOSPC;
	s = sl_clsw_subtable(w, &shape);
	if (s == SL_CLS_NONE)
		return -ENOMEM;
	if (sl_clsw_make_room(w, s) < 0 || (idx = sl_clsw_alloc_rule(w)) == SL_CLS_NONE) {
		if (w->sub[s].live == 0)
			sl_clsw_retire_subtable(w, s);
		return -ENOMEM;
	}
	r = sl_cls_rule(w->cls, idx);
	*r = *in;
	r->table = in->match.mkey.table;
	r->flags = sl_actions_need_pipeline(&in->actions) ? SL_RULE_PIPELINE : 0;
	r->match.mkey.table = 0;
	r->match.mmask.table = 0;
	sl_match_normalize(&r->match); /* lookup relies on it; be safe */
	r->seq = in->seq != 0 ? in->seq : w->next_seq++;
	r->add_ver = w->cls->version + 1;
	r->rm_ver = UINT64_MAX;
	r->sub = s;
	sl_clsw_rule_words(r, kw);
	r->hash = sl_cls_hash(&w->cls->sub[s], kw);
	sl_clsw_widen_filter(&w->cls->sub[s], w->sub[s].live == 0, kw);
	if (w->sub[s].live == 0 || r->priority > w->sub[s].max_priority) {
		w->sub[s].max_priority = r->priority;
		w->index_dirty = true;
	}
	w->sub[s].live++;
	sl_clsw_link(w, idx, kw);
	sl_vec_push_u32(&w->staged_add, idx);
	*handle = idx;
	return 0;
}

int
sl_clsw_remove(struct sl_clsw *w, uint32_t handle)
{
	struct sl_cls_rule *r = sl_cls_rule(w->cls, handle);

	if (r->rm_ver != UINT64_MAX)
		return 0; /* already going */
	if (sl_vec_reserve(&w->staged_rm, 1, 4) < 0 || sl_vec_reserve(&w->doomed, 1, 4) < 0)
		return -ENOMEM;
	__atomic_store_n(&r->rm_ver, w->cls->version + 1, __ATOMIC_RELAXED);
	sl_vec_push_u32(&w->staged_rm, handle);
	return 0;
}

static void
sl_clsw_reindex_or_die(struct sl_clsw *w)
{
	/* An index is a few KiB: failing to allocate one leaves the old,
	 * which is still correct (it may only list a retired subtable whose
	 * memory then stays). */
	if (w->index_dirty && sl_clsw_reindex(w) < 0)
		w->index_dirty = true;
}

void
sl_clsw_abort(struct sl_clsw *w)
{
	for (uint32_t i = 0; i < w->staged_rm.n; i++)
		__atomic_store_n(&sl_cls_rule(w->cls, sl_vec_u32(&w->staged_rm, i))->rm_ver,
				 UINT64_MAX, __ATOMIC_RELAXED);
	w->staged_rm.n = 0;
	for (uint32_t i = w->staged_add.n; i-- > 0;)
		sl_clsw_unlink(w, sl_vec_u32(&w->staged_add, i));
	w->staged_add.n = 0;
	sl_clsw_reindex_or_die(w);
}

uint64_t
sl_clsw_publish(struct sl_clsw *w)
{
	struct sl_cls *cls = w->cls;
	uint32_t n_rules = cls->n_rules + w->staged_add.n - w->staged_rm.n;

	/* Room was reserved in sl_clsw_remove, one per staged removal. */
	if (sl_vec_reserve(&w->doomed, w->staged_rm.n, 4) < 0)
		abort();
	sl_clsw_reindex_or_die(w);
	for (uint32_t i = 0; i < w->staged_rm.n; i++)
		sl_vec_push_u32(&w->doomed, sl_vec_u32(&w->staged_rm, i));
	w->staged_rm.n = 0;
	w->staged_add.n = 0;
	__atomic_store_n(&cls->n_rules, n_rules, __ATOMIC_RELAXED);
	__atomic_store_n(&cls->version, cls->version + 1, __ATOMIC_RELEASE);
	return cls->version;
}

void
sl_clsw_collect(struct sl_clsw *w)
{
	sl_clsw_free_pending(w);
	if (sl_vec_reserve(&w->pending_rules, w->doomed.n, 4) < 0 ||
	    sl_vec_reserve(&w->pending_subs, w->doomed.n, 4) < 0 ||
	    sl_vec_reserve(&w->pending_ptrs, w->doomed.n + 1, sizeof(void *)) < 0)
		return; /* try again next time */
	for (uint32_t i = 0; i < w->doomed.n; i++)
		sl_clsw_unlink(w, sl_vec_u32(&w->doomed, i));
	w->doomed.n = 0;
	sl_clsw_reindex_or_die(w);
}
