/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow-table set logic, as ovs-ofctl users expect it: a rule is identified by
 * its match and priority; adding one with the same identity replaces it;
 * non-strict delete removes every rule a match covers, strict delete the one
 * rule with that exact match and priority.
 *
 * Pure data structure over struct sl_flow (no locks, no shared memory, no
 * EAL), so sluiced's config DB and the primary's flow-table writer apply the
 * very same semantics.  Rules keep the order in which they were first added;
 * adding, finding and deleting one rule costs the same at a million rules as
 * at ten.
 *
 * Each rule may carry a small user area of a size the owner chooses (the
 * primary keeps a counter id and a creation time there): zeroed when the
 * rule is added, kept while the rule keeps its identity (its actions
 * replaced by add or replace), handed back when the rule is removed.
 */
#ifndef SL_FTABLE_H
#define SL_FTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow.h"

/*
 * What an observer of a table is told: a rule added or overwritten (its
 * identity kept, its position kept), a rule removed, or a change too
 * wholesale to list (replace, clear, undo), after which the observer must
 * take the table as a whole.
 */
enum sl_ftable_change {
	SL_FTABLE_PUT,
	SL_FTABLE_DEL,
	SL_FTABLE_RESET,
};

/* Rules of one mask, priority and table, and how many there are. */
struct sl_ftable_shape {
	struct sl_flow_key mask;
	struct sl_flow_meta mmask;
	uint32_t priority;
	uint8_t table;
	uint32_t count;
};

/* One slot of the identity index. */
struct sl_ftable_slot {
	uint32_t pos;  /* rule index + 1; 0: empty */
	uint32_t hash; /* of that rule's identity, so that most probes never touch the rule */
};

/*
 * A rule as a table keeps it: its position, then the flow cut after its
 * last action (sl_flow_size), so that a rule with one action takes about
 * half of a whole struct sl_flow.  Read it through the pointer, copy it
 * with sl_flow_copy(); never assign it as a whole struct.
 */
struct sl_ftable_rec {
	uint32_t pos;
	uint32_t pad_;
	struct sl_flow flow;
};

struct sl_ftable {
	/* Slots in insertion order, each a rule of its own allocation.  A
	 * deleted rule's slot stays, dead (its rule kept), until the table is
	 * compacted (on growth, or once most slots are dead), so that one
	 * delete costs an index removal, not a copy of the table.  Walk the
	 * rules with SL_FTABLE_FOREACH and sl_ftable_rule(); positions are
	 * stable until an add, a delete or a replace compacts.  Slots from
	 * end to cap are NULL. */
	struct sl_ftable_rec **rules;
	uint64_t *live;        /* one bit per slot of rules[]: set while the rule is in the table */
	void *data;            /* user areas, parallel to rules; see sl_ftable_data() */
	uint32_t data_size;    /* bytes per rule; 0: none */
	uint32_t n;            /* rules in the table (live slots) */
	uint32_t end;          /* slots used, live or dead: positions are < end */
	uint32_t cap;
	struct sl_ftable_slot *index; /* open addressing on (match, priority), live rules only */
	uint32_t index_size; /* power of two, always > 2 * n */
	/* The distinct (mask, priority, table) of the rules, while there are
	 * few: a narrow non-strict delete looks each up instead of scanning. */
	struct sl_ftable_shape *shapes;
	uint32_t n_shapes;
	bool shapes_lost; /* too many, or no memory: scan */
	/* Bumped by every change, compactions included: what a caller derived
	 * from the table (positions, a list of rules) is good while it holds. */
	uint64_t gen;
	/* Told of every change once it is made (NULL: nobody is); sluiced's
	 * DB journals flow changes this way.  Process-private, never shared. */
	void (*observe)(void *arg, enum sl_ftable_change what, const struct sl_flow *f);
	void *observe_arg;
};

/* An empty table; needs no allocation. */
void sl_ftable_init(struct sl_ftable *t);

/* An empty table whose rules each carry @data_size bytes of user area. */
void sl_ftable_init_data(struct sl_ftable *t, uint32_t data_size);

/* The user area of the rule at position @i (t->rules[i]); NULL if the table has none. */
static inline void *
sl_ftable_data(const struct sl_ftable *t, uint32_t i)
{
	return t->data_size ? (char *)t->data + (size_t)i * t->data_size : NULL;
}

/* True if position @i (< t->end) holds a rule of the table. */
static inline bool
sl_ftable_live(const struct sl_ftable *t, uint32_t i)
{
	return (t->live[i / 64] >> (i % 64)) & 1;
}

/* The first position >= @i that holds a rule, or t->end if none does. */
static inline uint32_t
sl_ftable_next(const struct sl_ftable *t, uint32_t i)
{
	uint32_t w = i / 64;
	uint64_t bits;

	if (i >= t->end)
		return t->end;
	/* Bits past end are always clear. */
	for (bits = t->live[w] & (~0ull << (i % 64)); bits == 0; bits = t->live[w])
		if (++w >= (t->end + 63) / 64)
			return t->end;
	return w * 64 + (uint32_t)__builtin_ctzll(bits);
}

/* Every position @i of @t that holds a rule, in table (dump) order. */
#define SL_FTABLE_FOREACH(i, t)                                                            \
	for (uint32_t i = sl_ftable_next((t), 0); i < (t)->end; i = sl_ftable_next((t), i + 1))

/* The rule at position @i (< t->end), live or dead. */
static inline const struct sl_flow *
sl_ftable_rule(const struct sl_ftable *t, uint32_t i)
{
	return &t->rules[i]->flow;
}

/* Position of rule @f, a rule of @t (from sl_ftable_rule, find, ...). */
static inline uint32_t
sl_ftable_pos(const struct sl_ftable *t, const struct sl_flow *f)
{
	(void)t;
	return ((const struct sl_ftable_rec *)((const char *)f -
					       offsetof(struct sl_ftable_rec, flow)))->pos;
}

/* Move the rules to positions 0..n-1, in order (positions change; nothing else does). */
void sl_ftable_compact(struct sl_ftable *t);

/* Free everything; the table is empty and reusable afterwards. */
void sl_ftable_fini(struct sl_ftable *t);

/* Make room for @n more rules so that the next adds of up to @n rules cannot fail. Returns 0 or -ENOMEM. */
int sl_ftable_reserve(struct sl_ftable *t, uint32_t n);

/*
 * Add @f, or replace the rule with the same match and priority (its actions
 * and cookie, keeping its position).  Returns 0 if added, 1 if replaced,
 * -ENOMEM.
 */
int sl_ftable_add(struct sl_ftable *t, const struct sl_flow *f);

/* Add @n rules all-or-nothing (later ones win over earlier ones with the same identity). Returns 0 or -ENOMEM. */
int sl_ftable_add_batch(struct sl_ftable *t, const struct sl_flow *flows, uint32_t n);

/*
 * A rule of its own allocation, as the table keeps it (free() it if it is
 * not given to a table); NULL if out of memory.  A batch parsed straight
 * into these and handed over (the *_recs calls) is never copied.
 */
struct sl_ftable_rec *sl_ftable_rec_new(const struct sl_flow *f);

/*
 * sl_ftable_add_batch() of rules @recs, which the table takes over on
 * success (an earlier duplicate in the batch is freed then); on -ENOMEM
 * the table is unchanged and the rules are still the caller's.
 */
int sl_ftable_add_recs(struct sl_ftable *t, struct sl_ftable_rec **recs, uint32_t n);

/* The rule with this exact match and priority, or NULL. */
const struct sl_flow *sl_ftable_find(const struct sl_ftable *t, const struct sl_match *m,
				     uint32_t priority);

/*
 * Delete rules.  Non-strict: every rule whose match is covered by @m (see
 * sl_match_covers), whatever its priority; strict: the rule with exactly
 * this match and @priority.  Returns the number removed.  (To select by
 * cookie too, use sl_ftable_edit_del with selectors.)
 */
uint32_t sl_ftable_del(struct sl_ftable *t, const struct sl_match *m, uint32_t priority,
		       bool strict);

/* Remove every rule. Returns how many there were. */
uint32_t sl_ftable_clear(struct sl_ftable *t);

/*
 * Make the table hold exactly @flows (duplicates: the later wins).
 * Returns the number of rules that differ between the old and the new
 * table (removed + added + changed actions or cookie), so 0 means the
 * table already held these rules; or -ENOMEM with the table unchanged.
 */
int sl_ftable_replace(struct sl_ftable *t, const struct sl_flow *flows, uint32_t n);

/*
 * An edit: one batch change that says what it did and can be taken back.
 * A caller that must publish the result elsewhere before it is final (the
 * primary builds a classifier from the table) applies an edit, tries, and
 * then keeps it with sl_ftable_edit_done() or puts the table back exactly
 * as it was (rules, order, user areas) with sl_ftable_edit_undo().  The
 * table must not be changed in between.  An edit that fails (-ENOMEM)
 * leaves the table as it was and needs neither call.
 */
struct sl_ftable_edit {
	uint32_t n_added;    /* rules of an identity the table lacked (user area zeroed) */
	uint32_t *added;     /* their positions in the table, ascending */
	uint32_t n_modified; /* rules that kept identity and user area but whose actions changed */
	uint32_t n_removed;  /* rules gone: sl_ftable_edit_removed*() */

	/* Private: what undo needs. */
	int kind;
	uint32_t data_size;
	uint32_t old_n;          /* rules before the edit */
	uint32_t old_end;        /* slots before the edit */
	uint32_t n_log;          /* add: earlier rules overwritten, and what they were */
	uint32_t *log_pos;
	struct sl_ftable_rec **log_flows; /* kept until the edit ends */
	const struct sl_flow **rm_flows; /* the removed rules (in their dead slots, or in old),
					  * their user areas and old positions */
	void *rm_data;
	uint32_t *rm_pos;
	struct sl_ftable old;    /* replace: the table as it was */
};

/*
 * sl_ftable_add_batch() as an edit.  Added rules are appended, in batch
 * order; n_modified counts earlier rules whose actions the batch changed
 * (a new cookie alone does not count: the data plane does the same).
 */
int sl_ftable_edit_add(struct sl_ftable *t, const struct sl_flow *flows, uint32_t n,
		       struct sl_ftable_edit *e);

/* sl_ftable_edit_add() of rules @recs, taken over as sl_ftable_add_recs() does. */
int sl_ftable_edit_add_recs(struct sl_ftable *t, struct sl_ftable_rec **recs, uint32_t n,
			    struct sl_ftable_edit *e);

/*
 * Delete, as an edit, every rule that any of the @n selectors @matches
 * picks (sl_flow_selects: match, priority if @strict, cookie and mask).
 */
int sl_ftable_edit_del(struct sl_ftable *t, const struct sl_flow *matches, uint32_t n,
		       bool strict, struct sl_ftable_edit *e);

/*
 * sl_ftable_replace() as an edit: the table ends up in batch order; rules
 * whose identity was already there keep their user area.
 */
int sl_ftable_edit_replace(struct sl_ftable *t, const struct sl_flow *flows, uint32_t n,
			   struct sl_ftable_edit *e);

/* sl_ftable_edit_replace() of rules @recs, taken over as sl_ftable_add_recs() does. */
int sl_ftable_edit_replace_recs(struct sl_ftable *t, struct sl_ftable_rec **recs, uint32_t n,
				struct sl_ftable_edit *e);

/* The @i-th removed rule (i < e->n_removed) and its user area (NULL if none). */
const struct sl_flow *sl_ftable_edit_removed(const struct sl_ftable_edit *e, uint32_t i);
void *sl_ftable_edit_removed_data(const struct sl_ftable_edit *e, uint32_t i);

/* Keep the edit; frees what it held (the removed rules too). */
void sl_ftable_edit_done(struct sl_ftable_edit *e);

/* Put @t back as it was before the edit, and free it. Cannot fail. */
void sl_ftable_edit_undo(struct sl_ftable *t, struct sl_ftable_edit *e);

/* Number of rules that differ between @a and @b (0: same set of rules, order aside). */
uint32_t sl_ftable_diff(const struct sl_ftable *a, const struct sl_ftable *b);

/*
 * True if @outer covers @inner: for every bit @outer matches on, @inner
 * matches on it too and with the same value.  An empty match covers all.
 */
bool sl_match_covers(const struct sl_match *outer, const struct sl_match *inner);

/*
 * True if selector @sel (a match as del-flows, mod-flows and dump-flows
 * take it) picks rule @f.  Strict: the same match and priority; otherwise
 * @sel's match covers @f's, whatever its priority.  Either way the bits of
 * sel->cookie_mask must agree between the two cookies.
 */
bool sl_flow_selects(const struct sl_flow *sel, const struct sl_flow *f, bool strict);

/*
 * mod-flows, computed: the rules of @t that @mods select (strictly or
 * not), each with the new actions (and cookie, if the mod sets one), in
 * table order; then, as OpenFlow 1.0 does, each mod that selected nothing
 * and did not select by cookie, as a new flow.  *n_selected counts the
 * former.  Adding *out (sl_ftable_add_batch, sl_ftable_edit_add) applies
 * the change and keeps every modified rule's counters.  *out is malloc'd.
 * Returns 0 or -ENOMEM; @t is not changed.
 */
int sl_ftable_mod(const struct sl_ftable *t, const struct sl_flow *mods, uint32_t n, bool strict,
		  struct sl_flow **out, uint32_t *n_out, uint32_t *n_selected);

/* True if two rules have the same match, priority, cookie, timeouts and actions. */
bool sl_flow_same(const struct sl_flow *a, const struct sl_flow *b);

#endif /* SL_FTABLE_H */
