/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow-table set logic, as ovs-ofctl users expect it: a rule is identified by
 * its match and priority; adding one with the same identity replaces it;
 * non-strict delete removes every rule a match covers, strict delete the one
 * rule with that exact match and priority.
 *
 * Pure data structure over struct sl_flow (no locks, no shared memory, no
 * EAL), so sluiced's config DB and the primary's flow-table writer apply the
 * very same semantics.  Rules keep the order in which they were first added.
 */
#ifndef SL_FTABLE_H
#define SL_FTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow.h"

struct sl_ftable {
	struct sl_flow *flows; /* dense, in insertion order */
	uint32_t n;
	uint32_t cap;
	uint32_t *index;     /* open addressing on (match, priority): flow index + 1, 0 = empty */
	uint32_t index_size; /* power of two, always > 2 * n */
};

/* An empty table; needs no allocation. */
void sl_ftable_init(struct sl_ftable *t);

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

/* The rule with this exact match and priority, or NULL. */
const struct sl_flow *sl_ftable_find(const struct sl_ftable *t, const struct sl_match *m,
				     uint32_t priority);

/*
 * Delete rules.  Non-strict: every rule whose match is covered by @m (see
 * sl_match_covers), whatever its priority; strict: the rule with exactly
 * this match and @priority.  Returns the number removed.
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

/* Number of rules that differ between @a and @b (0: same set of rules, order aside). */
uint32_t sl_ftable_diff(const struct sl_ftable *a, const struct sl_ftable *b);

/*
 * True if @outer covers @inner: for every bit @outer matches on, @inner
 * matches on it too and with the same value.  An empty match covers all.
 */
bool sl_match_covers(const struct sl_match *outer, const struct sl_match *inner);

/* True if two rules have the same match, priority, cookie and actions. */
bool sl_flow_same(const struct sl_flow *a, const struct sl_flow *b);

#endif /* SL_FTABLE_H */
