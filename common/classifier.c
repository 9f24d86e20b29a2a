/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tuple-space-search classifier snapshot.
 *
 * Rules are grouped by mask into subtables.  Within a subtable every rule is
 * an exact match on the masked key, so one hash probe per subtable answers
 * "which rule of this mask matches?".  A lookup walks the subtables by
 * descending best priority and stops once no remaining subtable can beat
 * what it has found.
 *
 * Block layout (one allocation, all references are offsets from its start,
 * so any process may map it anywhere):
 *
 *   struct sl_cls                    header
 *   struct sl_cls_rule[n_rules]      rules, in the caller's order
 *   struct sl_cls_subtable[n_sub]    by max_priority, descending
 *   struct sl_cls_entry[...]         each subtable's hash table, back to back
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_hash_crc.h>

#include "classifier.h"

#define SL_CLS_HASH_SEED 0x5eed1ce5u
#define SL_CLS_NO_RULE UINT32_MAX
#define SL_CLS_ALIGN 64 /* keep each section on its own cache lines */

/* Words a lookup sees: the packet key, then the pipeline state. */
#define SL_CLS_WORDS (SL_FLOW_KEY_WORDS + SL_META_WORDS)

struct sl_cls {
	uint64_t size;          /* bytes in the whole block */
	uint64_t rules_off;     /* struct sl_cls_rule[n_rules] */
	uint64_t subtables_off; /* struct sl_cls_subtable[n_subtables] */
	uint32_t n_rules;
	uint32_t n_subtables;
	uint32_t meta_in_table0; /* some subtable of table 0 matches registers or metadata */
	uint32_t pad;
	/* Subtables are grouped by table: table t owns [table_start[t], table_start[t + 1]). */
	uint32_t table_start[SL_MAX_TABLES + 1];
};

/* Hash table slot.  Only the best rule per masked key is stored: no other can win. */
struct sl_cls_entry {
	uint32_t hash;
	uint32_t rule; /* index into rules[], SL_CLS_NO_RULE if the slot is free */
};

/*
 * Everything a probe needs, in the order it needs it.  word[]/wmask[] list
 * only the key words the mask touches, so a mask on in_port alone hashes
 * and compares one word, not eight.
 */
struct sl_cls_subtable {
	uint32_t max_priority;
	uint32_t n_words;
	uint32_t bucket_mask; /* n_buckets - 1; n_buckets is a power of two */
	uint8_t word[SL_CLS_WORDS];
	uint64_t buckets_off; /* struct sl_cls_entry[bucket_mask + 1] */
	uint64_t wmask[SL_CLS_WORDS];
	/*
	 * Bits set (ones) and clear (zeros) in the masked key of every rule
	 * here.  A packet that disagrees on one of them matches no rule, which
	 * a few ANDs tell before any hashing: rules in 172.16/12 never cost a
	 * probe to 10/8 traffic.
	 */
	uint64_t ones[SL_CLS_WORDS];
	uint64_t zeros[SL_CLS_WORDS];
	uint32_t n_rules;
};

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

/* Word @i of a key; memcpy keeps this free of strict-aliasing trouble and compiles to one load. */
static inline uint64_t
sl_key_word(const struct sl_flow_key *k, unsigned int i)
{
	uint64_t w;

	memcpy(&w, (const char *)k + i * sizeof(w), sizeof(w));
	return w;
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

static inline const struct sl_cls_rule *
sl_cls_rules(const struct sl_cls *cls)
{
	return (const struct sl_cls_rule *)((const char *)cls + cls->rules_off);
}

static inline const struct sl_cls_subtable *
sl_cls_subtables(const struct sl_cls *cls)
{
	return (const struct sl_cls_subtable *)((const char *)cls + cls->subtables_off);
}

static inline const struct sl_cls_entry *
sl_cls_buckets(const struct sl_cls *cls, const struct sl_cls_subtable *st)
{
	return (const struct sl_cls_entry *)((const char *)cls + st->buckets_off);
}

/* Linear probing: collisions land in the next slot, usually on the same cache line. */
static inline uint32_t
sl_cls_next_slot(const struct sl_cls_subtable *st, uint32_t i)
{
	return (i + 1) & st->bucket_mask;
}

/* Hash of the masked words of @kw (the whole key as words) in subtable @st. */
static inline uint32_t
sl_cls_hash(const struct sl_cls_subtable *st, const uint64_t *kw)
{
	uint32_t hash = SL_CLS_HASH_SEED;
	uint32_t i;

	for (i = 0; i < st->n_words; i++)
		hash = rte_hash_crc_8byte(kw[st->word[i]] & st->wmask[i], hash);
	return hash;
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

/* Index of the rule in @st whose masked key equals @kw's, or SL_CLS_NO_RULE. */
static inline uint32_t
sl_cls_subtable_find(const struct sl_cls *cls, const struct sl_cls_subtable *st,
		     const uint64_t *kw)
{
	const struct sl_cls_entry *b = sl_cls_buckets(cls, st);
	const struct sl_cls_rule *rules = sl_cls_rules(cls);
	uint32_t hash = sl_cls_hash(st, kw);
	uint32_t i;

	/* Load is at most 50%, so a free slot always ends the probe. */
	for (i = hash & st->bucket_mask; b[i].rule != SL_CLS_NO_RULE; i = sl_cls_next_slot(st, i)) {
		if (b[i].hash == hash && sl_cls_rule_has_key(&rules[b[i].rule], st, kw))
			return b[i].rule;
	}
	return SL_CLS_NO_RULE;
}

/* The lookup in table @table of key words @kw; *searched grows by the
 * subtables probed (a constant-folded local in sl_cls_lookup, so that one
 * pays nothing for it). */
static inline const struct sl_cls_rule *
sl_cls_lookup_kw(const struct sl_cls *cls, uint8_t table, const uint64_t *kw, uint32_t *searched)
{
	const struct sl_cls_subtable *st = sl_cls_subtables(cls) + cls->table_start[table];
	const struct sl_cls_subtable *end = sl_cls_subtables(cls) + cls->table_start[table + 1];
	const struct sl_cls_rule *rules = sl_cls_rules(cls);
	/*
	 * "Nothing yet" is priority 0 at index SL_CLS_NO_RULE: any matching rule
	 * beats it, since a tie goes to the lower index.
	 */
	uint32_t best = SL_CLS_NO_RULE;
	uint32_t best_prio = 0;

	for (; st < end; st++) {
		uint32_t r, prio;

		/* Equal priority must still be searched: an earlier rule wins the tie. */
		if (st->max_priority < best_prio)
			break;
		if (!sl_cls_may_match(st, kw))
			continue;
		r = sl_cls_subtable_find(cls, st, kw);
		(*searched)++;
		if (r == SL_CLS_NO_RULE)
			continue;
		prio = rules[r].priority;
		if (prio > best_prio || (prio == best_prio && r < best)) {
			best = r;
			best_prio = prio;
		}
	}
	return best == SL_CLS_NO_RULE ? NULL : &rules[best];
}

const struct sl_cls_rule *
sl_cls_lookup(const struct sl_cls *cls, const struct sl_flow_key *key)
{
	uint64_t kw[SL_CLS_WORDS];
	uint32_t unused = 0;

	/* A packet enters table 0 with all registers and metadata zero (words
	 * no subtable reads need no zeroing). */
	memcpy(kw, key, sizeof(*key));
	if (unlikely(cls->meta_in_table0))
		memset(kw + SL_FLOW_KEY_WORDS, 0, sizeof(struct sl_flow_meta));
	return sl_cls_lookup_kw(cls, 0, kw, &unused);
}

const struct sl_cls_rule *
sl_cls_lookup_counted(const struct sl_cls *cls, const struct sl_flow_key *key,
		      uint64_t *searched)
{
	uint64_t kw[SL_CLS_WORDS];
	uint32_t n = 0;
	const struct sl_cls_rule *r;

	memcpy(kw, key, sizeof(*key));
	if (unlikely(cls->meta_in_table0))
		memset(kw + SL_FLOW_KEY_WORDS, 0, sizeof(struct sl_flow_meta));
	r = sl_cls_lookup_kw(cls, 0, kw, &n);
	*searched += n;
	return r;
}

const struct sl_cls_rule *
sl_cls_lookup_table(const struct sl_cls *cls, uint8_t table, const struct sl_flow_key *key,
		    const struct sl_flow_meta *meta)
{
	uint64_t kw[SL_CLS_WORDS];
	uint32_t unused = 0;

	if (table >= SL_MAX_TABLES)
		return NULL;
	memcpy(kw, key, sizeof(*key));
	memcpy(kw + SL_FLOW_KEY_WORDS, meta, sizeof(*meta));
	/* The table is not a matched word: tables are separate subtable ranges. */
	((struct sl_flow_meta *)(kw + SL_FLOW_KEY_WORDS))->table = 0;
	return sl_cls_lookup_kw(cls, table, kw, &unused);
}

bool
sl_actions_need_pipeline(const struct sl_actions *acts)
{
	for (uint16_t i = 0; i < acts->n && i < SL_MAX_ACTIONS; i++)
		if (acts->a[i].type >= SL_ACT_RESUBMIT)
			return true;
	return false;
}

uint32_t
sl_cls_n_rules(const struct sl_cls *cls)
{
	return cls->n_rules;
}

uint32_t
sl_cls_n_subtables(const struct sl_cls *cls)
{
	return cls->n_subtables;
}

const struct sl_cls_rule *
sl_cls_rule_at(const struct sl_cls *cls, uint32_t i)
{
	return i < cls->n_rules ? &sl_cls_rules(cls)[i] : NULL;
}

size_t
sl_cls_size(const struct sl_cls *cls)
{
	return cls->size;
}

/*
 * Building.  Control path only: clarity over speed, but still O(n log n) so
 * that tens of thousands of rules build quickly.
 */

/* Scratch state that never goes into the snapshot. */
struct sl_cls_scratch {
	uint32_t n_masks;
	uint32_t *rule_mask;  /* [n]: mask group of each rule */
	uint32_t *mask_first; /* [n]: first rule with that mask (holds the mask itself) */
	uint32_t *mask_count; /* [n]: rules with that mask */
	uint32_t *mask_prio;  /* [n]: highest priority with that mask */
	uint32_t *mask_pos;   /* [n]: position of the group among the sorted subtables */
	uint32_t *order;      /* [n]: mask groups sorted as subtables go */
	uint32_t *mask_hash;  /* [mask_hash_size]: group index + 1, 0 when free */
	uint32_t mask_hash_size;
};

static uint32_t
sl_cls_pow2_at_least(uint64_t x)
{
	uint32_t p = 2;

	while (p < x)
		p <<= 1;
	return p;
}

/* Rules share a subtable when they have the same mask and the same table. */
static uint32_t
sl_cls_mask_hash(const struct sl_match *m)
{
	uint32_t hash = SL_CLS_HASH_SEED ^ m->mkey.table;
	unsigned int i;

	for (i = 0; i < SL_CLS_WORDS; i++)
		hash = rte_hash_crc_8byte(sl_match_word(&m->mask, &m->mmask, i), hash);
	return hash;
}

static bool
sl_cls_same_group(const struct sl_match *a, const struct sl_match *b)
{
	return a->mkey.table == b->mkey.table &&
	       memcmp(&a->mask, &b->mask, sizeof(a->mask)) == 0 &&
	       memcmp(&a->mmask, &b->mmask, sizeof(a->mmask)) == 0;
}

static int
sl_cls_scratch_init(struct sl_cls_scratch *s, uint32_t n)
{
	size_t per_rule = (size_t)n + 1; /* +1: never ask malloc for zero bytes */

	memset(s, 0, sizeof(*s));
	s->mask_hash_size = sl_cls_pow2_at_least(2 * (uint64_t)n);
	s->rule_mask = calloc(6 * per_rule + s->mask_hash_size, sizeof(uint32_t));
	if (s->rule_mask == NULL)
		return -ENOMEM;
	s->mask_first = s->rule_mask + per_rule;
	s->mask_count = s->mask_first + per_rule;
	s->mask_prio = s->mask_count + per_rule;
	s->mask_pos = s->mask_prio + per_rule;
	s->order = s->mask_pos + per_rule;
	s->mask_hash = s->order + per_rule;
	return 0;
}

static void
sl_cls_scratch_free(struct sl_cls_scratch *s)
{
	free(s->rule_mask);
}

/* Mask group of @rules[i], creating it if this mask is new. */
static uint32_t
sl_cls_group_of(struct sl_cls_scratch *s, const struct sl_cls_rule *rules, uint32_t i)
{
	const struct sl_match *m = &rules[i].match;
	uint32_t slot = sl_cls_mask_hash(m) & (s->mask_hash_size - 1);
	uint32_t g;

	for (; s->mask_hash[slot] != 0; slot = (slot + 1) & (s->mask_hash_size - 1)) {
		g = s->mask_hash[slot] - 1;
		if (sl_cls_same_group(&rules[s->mask_first[g]].match, m))
			return g;
	}
	g = s->n_masks++;
	s->mask_hash[slot] = g + 1;
	s->mask_first[g] = i;
	return g;
}

static void
sl_cls_group_rules(struct sl_cls_scratch *s, const struct sl_cls_rule *rules, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		uint32_t g = sl_cls_group_of(s, rules, i);

		s->rule_mask[i] = g;
		if (s->mask_count[g] == 0 || rules[i].priority > s->mask_prio[g])
			s->mask_prio[g] = rules[i].priority;
		s->mask_count[g]++;
	}
}

/* qsort has no context argument: sorting (priority, group) packed in one u64 needs no global. */
static int
sl_cls_cmp_u64_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/*
 * Order groups by table, then by max priority, descending; among equals, by first
 * appearance so that the layout does not depend on hash order.
 */
static int
sl_cls_order_groups(struct sl_cls_scratch *s, const struct sl_cls_rule *rules)
{
	uint64_t *keys = malloc(((size_t)s->n_masks + 1) * sizeof(*keys));
	uint32_t g;

	if (keys == NULL)
		return -ENOMEM;
	/* Groups are numbered by first appearance, so ~g sorts them ascending. */
	for (g = 0; g < s->n_masks; g++)
		keys[g] = ((uint64_t)(0xffu - rules[s->mask_first[g]].match.mkey.table) << 56) |
			  ((uint64_t)(s->mask_prio[g] & 0xffffff) << 32) | (uint32_t)~g;
	qsort(keys, s->n_masks, sizeof(*keys), sl_cls_cmp_u64_desc);
	for (g = 0; g < s->n_masks; g++) {
		s->order[g] = ~(uint32_t)keys[g];
		s->mask_pos[s->order[g]] = g;
	}
	free(keys);
	return 0;
}

/* @st comes zeroed from the allocator. */
static void
sl_cls_init_subtable(struct sl_cls_subtable *st, const struct sl_match *match, uint32_t prio,
		     uint32_t n_buckets, uint64_t buckets_off)
{
	struct sl_flow_meta mmask = match->mmask;
	unsigned int i;

	mmask.table = 0; /* tables are subtable ranges, not a matched word */
	st->max_priority = prio;
	st->bucket_mask = n_buckets - 1;
	st->buckets_off = buckets_off;
	for (i = 0; i < SL_CLS_WORDS; i++) {
		uint64_t m = sl_match_word(&match->mask, &mmask, i);

		if (m == 0)
			continue;
		st->word[st->n_words] = i;
		st->wmask[st->n_words] = m;
		st->n_words++;
	}
}

/*
 * Put rule @r in its subtable's hash.  Rules come in input order, so an
 * existing entry with the same key is only displaced by a strictly higher
 * priority: on a tie the earlier rule wins.
 */
static void
sl_cls_insert(struct sl_cls *cls, struct sl_cls_subtable *st, uint32_t r)
{
	struct sl_cls_entry *b = (struct sl_cls_entry *)((char *)cls + st->buckets_off);
	const struct sl_cls_rule *rules = sl_cls_rules(cls);
	uint64_t kw[SL_CLS_WORDS];
	uint32_t hash, i;

	for (i = 0; i < SL_CLS_WORDS; i++)
		kw[i] = sl_match_word(&rules[r].match.key, &rules[r].match.mkey, i);
	/* zeros[] collects the union of keys until sl_cls_fill turns it round. */
	for (i = 0; i < st->n_words; i++) {
		st->ones[i] = st->n_rules ? st->ones[i] & kw[st->word[i]] : kw[st->word[i]];
		st->zeros[i] |= kw[st->word[i]];
	}
	st->n_rules++;
	hash = sl_cls_hash(st, kw);
	for (i = hash & st->bucket_mask; b[i].rule != SL_CLS_NO_RULE; i = sl_cls_next_slot(st, i)) {
		if (b[i].hash == hash && sl_cls_rule_has_key(&rules[b[i].rule], st, kw)) {
			if (rules[r].priority > rules[b[i].rule].priority)
				b[i].rule = r;
			return;
		}
	}
	b[i].hash = hash;
	b[i].rule = r;
}

/* Lay out sections and return the block size; buckets_off[g] gets each group's table offset. */
static size_t
sl_cls_layout(const struct sl_cls_scratch *s, uint32_t n, uint64_t *rules_off,
	      uint64_t *subtables_off, uint64_t *buckets_off)
{
	size_t off = RTE_ALIGN_CEIL(sizeof(struct sl_cls), SL_CLS_ALIGN);
	uint32_t pos;

	*rules_off = off;
	off = RTE_ALIGN_CEIL(off + (size_t)n * sizeof(struct sl_cls_rule), SL_CLS_ALIGN);
	*subtables_off = off;
	off = RTE_ALIGN_CEIL(off + (size_t)s->n_masks * sizeof(struct sl_cls_subtable),
			     SL_CLS_ALIGN);
	for (pos = 0; pos < s->n_masks; pos++) {
		uint32_t g = s->order[pos];

		buckets_off[g] = off;
		off += (size_t)sl_cls_pow2_at_least(2 * (uint64_t)s->mask_count[g]) *
		       sizeof(struct sl_cls_entry);
	}
	return off;
}

static void
sl_cls_fill(struct sl_cls *cls, const struct sl_cls_scratch *s, const struct sl_cls_rule *in,
	    const uint64_t *buckets_off)
{
	struct sl_cls_rule *rules = (struct sl_cls_rule *)((char *)cls + cls->rules_off);
	struct sl_cls_subtable *st = (struct sl_cls_subtable *)((char *)cls + cls->subtables_off);
	uint32_t i, pos;

	for (i = 0; i < cls->n_rules; i++) {
		rules[i] = in[i];
		rules[i].table = in[i].match.mkey.table;
		rules[i].flags = sl_actions_need_pipeline(&in[i].actions) ? SL_RULE_PIPELINE : 0;
		rules[i].match.mkey.table = 0;
		rules[i].match.mmask.table = 0;
		sl_match_normalize(&rules[i].match); /* lookup relies on it; be safe */
	}
	/* Subtables are sorted by table: find where each table's run starts. */
	for (pos = 0, i = 0; i <= SL_MAX_TABLES; i++) {
		while (pos < s->n_masks && in[s->mask_first[s->order[pos]]].match.mkey.table < i)
			pos++;
		cls->table_start[i] = pos;
	}

	for (pos = 0; pos < s->n_masks; pos++) {
		uint32_t g = s->order[pos];
		uint32_t n_buckets = sl_cls_pow2_at_least(2 * (uint64_t)s->mask_count[g]);
		struct sl_cls_entry *b = (struct sl_cls_entry *)((char *)cls + buckets_off[g]);

		sl_cls_init_subtable(&st[pos], &in[s->mask_first[g]].match, s->mask_prio[g],
				     n_buckets, buckets_off[g]);
		for (i = 0; i < n_buckets; i++)
			b[i].rule = SL_CLS_NO_RULE;
	}
	for (i = 0; i < cls->n_rules; i++)
		sl_cls_insert(cls, &st[s->mask_pos[s->rule_mask[i]]], i);
	for (pos = 0; pos < s->n_masks; pos++)
		for (i = 0; i < st[pos].n_words; i++) {
			st[pos].zeros[i] = st[pos].wmask[i] & ~st[pos].zeros[i];
			if (pos < cls->table_start[1] && st[pos].word[i] >= SL_FLOW_KEY_WORDS)
				cls->meta_in_table0 = 1;
		}
}

struct sl_cls *
sl_cls_build(const struct sl_cls_rule *rules, uint32_t n, sl_cls_zalloc_fn zalloc, void *ctx)
{
	struct sl_cls_scratch s;
	struct sl_cls *cls = NULL;
	uint64_t rules_off, subtables_off;
	uint64_t *buckets_off;
	size_t size;

	if (sl_cls_scratch_init(&s, n) < 0)
		return NULL;
	sl_cls_group_rules(&s, rules, n);
	buckets_off = calloc((size_t)s.n_masks + 1, sizeof(*buckets_off));
	if (buckets_off == NULL || sl_cls_order_groups(&s, rules) < 0)
		goto out;

	size = sl_cls_layout(&s, n, &rules_off, &subtables_off, buckets_off);
	cls = zalloc(size, ctx);
	if (cls == NULL)
		goto out;
	cls->size = size;
	cls->rules_off = rules_off;
	cls->subtables_off = subtables_off;
	cls->n_rules = n;
	cls->n_subtables = s.n_masks;
	sl_cls_fill(cls, &s, rules, buckets_off);
out:
	free(buckets_off);
	sl_cls_scratch_free(&s);
	return cls;
}
