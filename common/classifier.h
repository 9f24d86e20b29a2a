/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tuple-space-search classifier.  The primary builds an immutable snapshot
 * from a list of rules and publishes it in shared memory; workers look
 * packets up in it without locks.  A snapshot is one contiguous block that
 * refers to its parts by offset, never by pointer, so it is valid in every
 * process whatever address the block is mapped at, and freeing it is one
 * call.  Replacing the table means building a new snapshot and retiring the
 * old one after an RCU grace period (see primary/).
 */
#ifndef SL_CLASSIFIER_H
#define SL_CLASSIFIER_H

#include "flow.h"

/* A rule as the classifier stores it. */
struct sl_cls_rule {
	struct sl_match match; /* normalized: key & mask == key */
	uint32_t priority;
	uint32_t id;           /* stable id, indexes the per-worker flow counters */
	uint64_t cookie;
	struct sl_actions actions;
};

struct sl_cls; /* opaque snapshot */

/* Allocator used only while building (it is never stored in the snapshot). */
typedef void *(*sl_cls_zalloc_fn)(size_t size, void *ctx);

/*
 * Build a snapshot of @n rules.  Rules with the same match and priority are
 * not allowed (the caller replaces instead).  Among matching rules the
 * highest priority wins; on a tie the rule that comes first in @rules wins.
 * Returns NULL if allocation fails.  The snapshot is freed with whatever
 * frees @zalloc's memory.
 */
struct sl_cls *sl_cls_build(const struct sl_cls_rule *rules, uint32_t n,
			    sl_cls_zalloc_fn zalloc, void *ctx);

/* Best rule for a packet's key, or NULL if none matches. */
const struct sl_cls_rule *sl_cls_lookup(const struct sl_cls *cls,
					const struct sl_flow_key *key);

/* The same, adding the number of subtables it probed to *searched
 * (pmd-stats-show's "avg. subtable lookups per megaflow hit"). */
const struct sl_cls_rule *sl_cls_lookup_counted(const struct sl_cls *cls,
						const struct sl_flow_key *key,
						uint64_t *searched);

/* Number of rules / of distinct masks (subtables) in a snapshot. */
uint32_t sl_cls_n_rules(const struct sl_cls *cls);
uint32_t sl_cls_n_subtables(const struct sl_cls *cls);

/* The i-th rule in the order given to sl_cls_build(). */
const struct sl_cls_rule *sl_cls_rule_at(const struct sl_cls *cls, uint32_t i);

/* Bytes taken by a snapshot (for memory accounting). */
size_t sl_cls_size(const struct sl_cls *cls);

#endif /* SL_CLASSIFIER_H */
