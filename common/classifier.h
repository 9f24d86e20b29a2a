/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Incremental tuple-space-search classifier with versioned rules.
 *
 * The classifier lives in shared memory for good; the primary changes it in
 * place and workers look packets up in it without locks.  Every rule
 * carries a version range [add_ver, rm_ver): a lookup sees the rules whose
 * range holds the classifier's current version.  A writer stages a batch
 * (inserts and removals invisible at the current version), then publishes
 * it by bumping the version once: the whole batch appears at one instant,
 * and nothing is copied.  Removed rules are unlinked, and their memory
 * reused, only after RCU grace periods (sl_clsw_collect), so a reader in
 * the middle of a lookup never sees memory change under it.
 *
 * Shared memory holds no function pointers and no pointer to private
 * memory: the read side is struct sl_cls and what it points to (all from
 * the writer's allocator: DPDK hugepage memory in the switch, which every
 * process maps at the same address).  The writer's bookkeeping
 * (free lists, the mask map, garbage) is private, in struct sl_clsw.
 */
#ifndef SL_CLASSIFIER_H
#define SL_CLASSIFIER_H

#include "flow.h"

/*
 * A rule as the classifier stores it.  What a lookup reads comes first:
 * the version range, chain link and priority on one cache line, the key
 * on the next (adjacent lines, one miss with the prefetcher).
 */
struct sl_cls_rule {
	/* Set by the classifier. */
	uint64_t add_ver;      /* visible from this version ... */
	uint64_t rm_ver;       /* ... up to, not including, this one (atomic) */
	uint32_t next;         /* next rule of the same masked key (atomic), by priority */
	uint32_t hash;         /* of the masked key in its subtable */
	uint32_t sub;          /* subtable index */

	uint32_t priority;
	uint32_t seq;          /* tie-break: among equal priorities the lower seq wins */
	uint32_t id;           /* stable id, indexes the per-worker flow counters */
	uint8_t table;         /* set on insert from match.mkey.table */
	uint8_t flags;         /* SL_RULE_* (set on insert) */
	uint16_t pad;
	uint64_t cookie;
	struct sl_match match __attribute__((aligned(64))); /* normalized: key & mask == key;
							      * table fields zero once stored */
	struct sl_actions actions;
} __attribute__((aligned(64)));

/* The rule's actions need the pipeline engine (tables, registers, rewrites). */
#define SL_RULE_PIPELINE 0x01

struct sl_cls;  /* shared: the read side */
struct sl_clsw; /* private: the writer */

/* Allocator for everything the read side uses (zeroed memory), and its free. */
typedef void *(*sl_cls_zalloc_fn)(size_t size, void *ctx);
typedef void (*sl_cls_free_fn)(void *p, void *ctx);

/*
 * A writer and an empty classifier that can hold up to @max_rules rule
 * versions at once (a rule being modified counts twice until collected).
 * NULL if out of memory.
 */
struct sl_clsw *sl_clsw_create(uint32_t max_rules, sl_cls_zalloc_fn zalloc, sl_cls_free_fn free_fn,
			       void *ctx);

/* Free the writer and the classifier (no reader may use it any more). */
void sl_clsw_destroy(struct sl_clsw *w);

/* The read side, for workers. */
struct sl_cls *sl_clsw_cls(const struct sl_clsw *w);

/*
 * Stage rule @r (its version fields are ignored): invisible until the next
 * sl_clsw_publish().  r->seq 0 takes the next sequence number (the rule
 * loses ties to every rule staged before it); a modified rule passes the
 * seq of the one it replaces to keep its place.  Stores the rule's handle
 * in *handle.  Returns 0, -ENOSPC (max_rules in use) or -ENOMEM.
 */
int sl_clsw_insert(struct sl_clsw *w, const struct sl_cls_rule *r, uint32_t *handle);

/* Stage the removal of the rule @handle: it disappears at the next publish. 0 or -ENOMEM. */
int sl_clsw_remove(struct sl_clsw *w, uint32_t handle);

/* The rule @handle (for its seq, id, actions), as the writer sees it. */
const struct sl_cls_rule *sl_clsw_rule(const struct sl_clsw *w, uint32_t handle);

/* Put the classifier back as it was before the staged changes. */
void sl_clsw_abort(struct sl_clsw *w);

/* Make the staged changes visible at once; returns the new version. */
uint64_t sl_clsw_publish(struct sl_clsw *w);

/*
 * Reclaim: call after a grace period that began after the last publish
 * (every reader has since passed a quiescent state).  Unlinks removed
 * rules and frees what an earlier call unlinked or what was replaced.
 */
void sl_clsw_collect(struct sl_clsw *w);

/* Shared-memory bytes the classifier uses now. */
size_t sl_clsw_shm_bytes(const struct sl_clsw *w);

/* Best rule of table 0 for a packet's key as received (registers zero), or NULL. */
const struct sl_cls_rule *sl_cls_lookup(const struct sl_cls *cls,
					const struct sl_flow_key *key);

/* The same, adding the number of subtables it probed to *searched
 * (pmd-stats-show's "avg. subtable lookups per megaflow hit"). */
const struct sl_cls_rule *sl_cls_lookup_counted(const struct sl_cls *cls,
						const struct sl_flow_key *key,
						uint64_t *searched);

/* Best rule of table @table for @key with pipeline state @meta, or NULL. */
const struct sl_cls_rule *sl_cls_lookup_table(const struct sl_cls *cls, uint8_t table,
					      const struct sl_flow_key *key,
					      const struct sl_flow_meta *meta);

/*
 * sl_cls_lookup_counted, also ORing into @wc (SL_FLOW_KEY_WORDS words, a
 * mask over struct sl_flow_key) the key bits the result depended on: every
 * key that agrees with @key on the bits of @wc gets the same rule (what the
 * worker's megaflow cache keys its entries by).
 */
const struct sl_cls_rule *sl_cls_lookup_wc(const struct sl_cls *cls, const struct sl_flow_key *key,
					   uint64_t *wc, uint64_t *searched);

/*
 * sl_cls_lookup_table, also ORing into @wc (SL_FLOW_KEY_WORDS words) the
 * bits of @key the result depended on; the bits of @meta it depended on
 * are left to the caller (the pipeline state is a function of the key).
 */
const struct sl_cls_rule *sl_cls_lookup_table_wc(const struct sl_cls *cls, uint8_t table,
						 const struct sl_flow_key *key,
						 const struct sl_flow_meta *meta, uint64_t *wc);

/* True if the actions need the pipeline engine rather than the plain one. */
bool sl_actions_need_pipeline(const struct sl_actions *acts);

/* Version in force (bumped by every publish). */
uint64_t sl_cls_version(const struct sl_cls *cls);

/* Rules visible now / subtables in use. */
uint32_t sl_cls_n_rules(const struct sl_cls *cls);
uint32_t sl_cls_n_subtables(const struct sl_cls *cls);

#endif /* SL_CLASSIFIER_H */
