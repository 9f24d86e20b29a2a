/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flow table and its publication.  The primary keeps the table as an
 * array of flows; every change builds a new classifier snapshot first and
 * only then commits the table, so a change that cannot be built (bad flow,
 * no memory) leaves both the table and the data plane as they were.  The
 * new snapshot is published with one atomic store: a batch becomes visible
 * all at once.  The old snapshot, and the counter ids of deleted flows, are
 * reclaimed after an RCU grace period.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "classifier.h"
#include "flow_syntax.h"
#include "primary.h"
#include "util.h"

struct retired {
	uint64_t token;
	struct sl_cls *cls;
	uint32_t *ids;
	uint32_t n_ids;
};

#define SL_MAX_RETIRED 64
static struct retired retired[SL_MAX_RETIRED];
static unsigned int n_retired;

int
sl_flows_init(void)
{
	sl_p.free_ids = malloc(sizeof(uint32_t) * SL_MAX_FLOWS);
	if (sl_p.free_ids == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < SL_MAX_FLOWS; i++)
		sl_p.free_ids[i] = SL_MAX_FLOWS - 1 - i;
	sl_p.n_free_ids = SL_MAX_FLOWS;
	return 0;
}

void
sl_flow_counters_sum(uint32_t id, uint64_t *packets, uint64_t *bytes)
{
	*packets = *bytes = 0;
	for (unsigned int w = 0; w < SL_MAX_WORKERS; w++) {
		const struct sl_flow_counter *c = sl_flow_counter(sl_p.shm, w, id);

		*packets += __atomic_load_n(&c->packets, __ATOMIC_RELAXED);
		*bytes += __atomic_load_n(&c->bytes, __ATOMIC_RELAXED);
	}
}

static uint32_t
alloc_id(void)
{
	uint32_t id = sl_p.free_ids[--sl_p.n_free_ids];

	/* Reused only after a grace period: no worker can still count into it. */
	for (unsigned int w = 0; w < SL_MAX_WORKERS; w++)
		*sl_flow_counter(sl_p.shm, w, id) = (struct sl_flow_counter){ 0 };
	return id;
}

/* Parse every text; all or nothing. */
static int
parse_all(size_t n, char **texts, enum sl_flow_parse_mode mode, struct sl_flow **out,
	  char *err, size_t errlen)
{
	struct sl_flow *flows = calloc(n ? n : 1, sizeof(*flows));
	char msg[512];

	if (flows == NULL) {
		snprintf(err, errlen, "out of memory for %zu flows", n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		int rc = sl_flow_parse(texts[i], mode, sl_port_resolve, NULL, &flows[i], msg,
				       sizeof(msg));

		if (rc == 0 && mode == SL_PARSE_FLOW)
			rc = sl_meters_bind(&flows[i].actions, msg, sizeof(msg));

		if (rc < 0) {
			if (n > 1)
				snprintf(err, errlen, "flow %zu: %s in \"%s\"", i + 1, msg, texts[i]);
			else
				snprintf(err, errlen, "%s in \"%s\"", msg, texts[i]);
			free(flows);
			return rc;
		}
	}
	*out = flows;
	return 0;
}

/*
 * Open-addressing index of (match, priority) over two arrays at once: the
 * current table (positions 0..n_old-1) and a parsed batch (positions
 * n_old..), so a batch is checked against the table and against itself in
 * linear time.
 */
struct flow_index {
	uint32_t mask;
	int32_t *slot; /* position, or -1 */
	const struct sl_pflow *old;
	uint32_t n_old;
	const struct sl_flow *batch;
};

static uint32_t
flow_hash(const struct sl_flow *f)
{
	const uint64_t *k = (const uint64_t *)&f->match.key, *m = (const uint64_t *)&f->match.mask;
	uint32_t h = f->priority;

	for (unsigned int i = 0; i < SL_FLOW_KEY_WORDS; i++)
		h = rte_hash_crc_8byte(k[i] ^ (m[i] * 31), h);
	return h;
}

static bool
same_rule(const struct sl_flow *a, const struct sl_flow *b)
{
	return a->priority == b->priority && sl_match_equal(&a->match, &b->match);
}

static int32_t *index_slot_of(struct flow_index *ix, const struct sl_flow *f);

static int
index_init(struct flow_index *ix, const struct sl_flow *batch, uint32_t n_batch)
{
	uint32_t size = 16;

	ix->old = sl_p.flows;
	ix->n_old = sl_p.n_flows;
	ix->batch = batch;
	while (size < 2 * (ix->n_old + n_batch))
		size <<= 1;
	ix->mask = size - 1;
	ix->slot = malloc(sizeof(int32_t) * size);
	if (ix->slot == NULL)
		return -ENOMEM;
	memset(ix->slot, 0xff, sizeof(int32_t) * size);
	for (uint32_t i = 0; i < ix->n_old; i++)
		*index_slot_of(ix, &ix->old[i].flow) = i;
	return 0;
}

static const struct sl_flow *
index_flow(const struct flow_index *ix, int32_t pos)
{
	return (uint32_t)pos < ix->n_old ? &ix->old[pos].flow : &ix->batch[pos - ix->n_old];
}

/* The slot holding a rule equal to @f, or the empty slot where it would go. */
static int32_t *
index_slot_of(struct flow_index *ix, const struct sl_flow *f)
{
	uint32_t i = flow_hash(f) & ix->mask;

	for (;; i = (i + 1) & ix->mask) {
		int32_t *s = &ix->slot[i];

		if (*s < 0 || same_rule(index_flow(ix, *s), f))
			return s;
	}
}

static void *
cls_zalloc(size_t size, void *ctx)
{
	(void)ctx;
	return rte_zmalloc("sl_cls", size, RTE_CACHE_LINE_SIZE);
}

static void
rule_from(struct sl_cls_rule *r, const struct sl_flow *f, uint32_t id)
{
	r->match = f->match;
	r->priority = f->priority;
	r->id = id;
	r->cookie = f->cookie;
	r->actions = f->actions;
}

/* Publish @cls, retiring the old snapshot and @dead_ids (taken over). */
static void
publish(struct sl_cls *cls, uint32_t *dead_ids, uint32_t n_dead)
{
	struct sl_shm *shm = sl_p.shm;
	struct sl_cls *old = shm->cls;

	__atomic_store_n(&shm->cls, cls, __ATOMIC_RELEASE);
	__atomic_fetch_add(&shm->cls_gen, 1, __ATOMIC_RELEASE);
	while (n_retired == SL_MAX_RETIRED) {
		sl_rcu_synchronize();
		sl_flows_reclaim();
	}
	retired[n_retired++] = (struct retired){
		.token = rte_rcu_qsbr_start(shm->qsbr),
		.cls = old,
		.ids = dead_ids,
		.n_ids = n_dead,
	};
}

void
sl_flows_reclaim(void)
{
	unsigned int i = 0;

	while (i < n_retired) {
		struct retired *r = &retired[i];

		if (rte_rcu_qsbr_check(sl_p.shm->qsbr, r->token, false) != 1) {
			i++;
			continue;
		}
		rte_free(r->cls);
		for (uint32_t k = 0; k < r->n_ids; k++)
			sl_p.free_ids[sl_p.n_free_ids++] = r->ids[k];
		free(r->ids);
		*r = retired[--n_retired];
	}
}

void
sl_flows_wait_idle(void)
{
	while (n_retired > 0) {
		sl_rcu_synchronize();
		sl_flows_reclaim();
	}
}

static int
ensure_cap(uint32_t n)
{
	struct sl_pflow *f;
	uint32_t cap = sl_p.cap_flows ? sl_p.cap_flows : 1024;

	if (n <= sl_p.cap_flows)
		return 0;
	while (cap < n)
		cap *= 2;
	f = realloc(sl_p.flows, sizeof(*f) * cap);
	if (f == NULL)
		return -ENOMEM;
	sl_p.flows = f;
	sl_p.cap_flows = cap;
	return 0;
}

static int
build_or_fail(const struct sl_cls_rule *rules, uint32_t n, struct sl_cls **cls, char *err,
	      size_t errlen)
{
	*cls = sl_cls_build(rules, n, cls_zalloc, NULL);
	if (*cls == NULL) {
		snprintf(err, errlen, "out of shared memory for a %u-rule classifier", n);
		return -ENOMEM;
	}
	return 0;
}

int
sl_flows_add(size_t n, char **texts, uint32_t *n_changed, char *err, size_t errlen)
{
	uint32_t old_n = sl_p.n_flows, total, n_new = 0, k;
	struct sl_cls_rule *rules = NULL;
	struct flow_index ix = { 0 };
	struct sl_flow *parsed;
	int32_t *where = NULL; /* per batch flow: table position, NEW, or SUPERSEDED */
	struct sl_cls *cls;
	int rc;

	enum { NEW = -1, SUPERSEDED = -2 };
	rc = parse_all(n, texts, SL_PARSE_FLOW, &parsed, err, errlen);
	if (rc < 0)
		return rc;
	rc = -ENOMEM;
	where = malloc(sizeof(*where) * (n ? n : 1));
	if (where == NULL || index_init(&ix, parsed, n) < 0) {
		snprintf(err, errlen, "out of memory for %zu flows", n);
		goto out;
	}
	/* Same match and priority replaces (OpenFlow add semantics); within
	 * one batch the later duplicate wins. */
	for (size_t i = 0; i < n; i++) {
		int32_t *slot = index_slot_of(&ix, &parsed[i]);

		if (*slot < 0) {
			where[i] = NEW;
			n_new++;
		} else if ((uint32_t)*slot < old_n) {
			where[i] = *slot;
		} else {
			where[i] = where[*slot - old_n];
			where[*slot - old_n] = SUPERSEDED;
		}
		*slot = old_n + i;
		if (where[i] >= 0)
			*slot = where[i]; /* the table keeps its position */
	}
	total = old_n + n_new;
	if (total > SL_MAX_FLOWS || n_new > sl_p.n_free_ids) {
		snprintf(err, errlen, "too many flows: %u would exceed the limit of %u", total,
			 SL_MAX_FLOWS);
		rc = -ENOSPC;
		goto out;
	}
	rules = malloc(sizeof(*rules) * (total ? total : 1));
	if (rules == NULL || ensure_cap(total) < 0) {
		snprintf(err, errlen, "out of memory for %u flows", total);
		goto out;
	}
	for (uint32_t i = 0; i < old_n; i++)
		rule_from(&rules[i], &sl_p.flows[i].flow, sl_p.flows[i].id);
	k = old_n;
	for (size_t i = 0; i < n; i++) {
		if (where[i] == SUPERSEDED)
			continue;
		if (where[i] >= 0) {
			rules[where[i]].actions = parsed[i].actions;
			rules[where[i]].cookie = parsed[i].cookie;
		} else {
			rule_from(&rules[k++], &parsed[i], alloc_id());
		}
	}
	rc = build_or_fail(rules, total, &cls, err, errlen);
	if (rc < 0) {
		for (k = old_n; k < total; k++)
			sl_p.free_ids[sl_p.n_free_ids++] = rules[k].id;
		goto out;
	}
	for (uint32_t i = 0; i < total; i++) {
		struct sl_pflow *f = &sl_p.flows[i];

		if (i >= old_n) {
			f->id = rules[i].id;
			f->created_ms = sl_now_ms();
			f->flow.match = rules[i].match;
			f->flow.priority = rules[i].priority;
		}
		f->flow.actions = rules[i].actions;
		f->flow.cookie = rules[i].cookie;
	}
	sl_p.n_flows = total;
	publish(cls, NULL, 0);
	*n_changed = n;
	rc = 0;
out:
	free(rules);
	free(ix.slot);
	free(where);
	free(parsed);
	return rc;
}

/* @f is covered by the (loose) match @d: as specific, and agreeing on @d's fields. */
static bool
covered(const struct sl_match *f, const struct sl_match *d)
{
	const uint64_t *fk = (const uint64_t *)&f->key, *fm = (const uint64_t *)&f->mask;
	const uint64_t *dk = (const uint64_t *)&d->key, *dm = (const uint64_t *)&d->mask;

	for (unsigned int i = 0; i < SL_FLOW_KEY_WORDS; i++)
		if ((fm[i] & dm[i]) != dm[i] || (fk[i] & dm[i]) != dk[i])
			return false;
	return true;
}

/*
 * Commit a table made of the flows in @keep order, given their classifier
 * rules.  (Inlined in its callers: out of line, GCC 12 takes the malloc'd
 * rules for uninitialised memory.)
 */
static inline int __attribute__((always_inline))
commit_subset(const bool *drop, uint32_t n_drop, uint32_t *n_changed, char *err, size_t errlen)
{
	uint32_t n = sl_p.n_flows, k = 0, d = 0;
	struct sl_cls_rule *rules;
	uint32_t *dead;
	struct sl_cls *cls;
	int rc;

	rules = malloc(sizeof(*rules) * (n ? n : 1));
	dead = malloc(sizeof(*dead) * (n_drop ? n_drop : 1));
	if (rules == NULL || dead == NULL) {
		free(rules);
		free(dead);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++)
		if (!drop[i])
			rule_from(&rules[k++], &sl_p.flows[i].flow, sl_p.flows[i].id);
	rc = build_or_fail(rules, k, &cls, err, errlen);
	free(rules);
	if (rc < 0) {
		free(dead);
		return rc;
	}
	k = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (drop[i])
			dead[d++] = sl_p.flows[i].id;
		else
			sl_p.flows[k++] = sl_p.flows[i];
	}
	sl_p.n_flows = k;
	publish(cls, dead, d);
	*n_changed = d;
	return 0;
}

int
sl_flows_del_where(bool (*pick)(const struct sl_flow *f, void *ctx), void *ctx,
		   uint32_t *n_changed, char *err, size_t errlen)
{
	uint32_t n_drop = 0;
	bool *drop;
	int rc = 0;

	*n_changed = 0;
	drop = calloc(sl_p.n_flows ? sl_p.n_flows : 1, sizeof(*drop));
	if (drop == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < sl_p.n_flows; i++) {
		drop[i] = pick(&sl_p.flows[i].flow, ctx);
		n_drop += drop[i];
	}
	if (n_drop)
		rc = commit_subset(drop, n_drop, n_changed, err, errlen);
	free(drop);
	return rc;
}

int
sl_flows_del(size_t n, char **texts, bool strict, uint32_t *n_changed, char *err, size_t errlen)
{
	struct sl_flow *parsed = NULL, all = { 0 };
	uint32_t n_drop = 0;
	bool *drop;
	int rc;

	rc = parse_all(n, texts, SL_PARSE_MATCH, &parsed, err, errlen);
	if (rc < 0)
		return rc;
	if (n == 0) { /* del-flows with no match: everything */
		parsed[0] = all;
		n = 1;
		strict = false;
	}
	drop = calloc(sl_p.n_flows ? sl_p.n_flows : 1, sizeof(*drop));
	if (drop == NULL) {
		free(parsed);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < sl_p.n_flows; i++) {
		const struct sl_flow *f = &sl_p.flows[i].flow;

		for (size_t j = 0; j < n && !drop[i]; j++)
			drop[i] = strict ? same_rule(f, &parsed[j])
					 : covered(&f->match, &parsed[j].match);
		n_drop += drop[i];
	}
	rc = n_drop ? commit_subset(drop, n_drop, n_changed, err, errlen) : 0;
	if (n_drop == 0)
		*n_changed = 0;
	free(drop);
	free(parsed);
	return rc;
}

int
sl_flows_replace(size_t n, char **texts, uint32_t *n_changed, char *err, size_t errlen)
{
	uint32_t old_n = sl_p.n_flows, k = 0, n_dead = 0, changed = 0, n_new_ids = 0;
	struct sl_cls_rule *rules = NULL;
	struct flow_index ix = { 0 };
	struct sl_pflow *next = NULL;
	struct sl_flow *parsed;
	int32_t *from = NULL; /* per rule: old table position or -1 */
	uint32_t *dead = NULL;
	bool *kept = NULL;
	uint64_t now = sl_now_ms();
	struct sl_cls *cls;
	int rc;

	rc = parse_all(n, texts, SL_PARSE_FLOW, &parsed, err, errlen);
	if (rc < 0)
		return rc;
	rc = -ENOMEM;
	rules = malloc(sizeof(*rules) * (n ? n : 1));
	from = malloc(sizeof(*from) * (n ? n : 1));
	next = malloc(sizeof(*next) * (n ? n : 1));
	kept = calloc(old_n ? old_n : 1, sizeof(*kept));
	dead = malloc(sizeof(*dead) * (old_n ? old_n : 1));
	if (rules == NULL || from == NULL || next == NULL || kept == NULL || dead == NULL ||
	    index_init(&ix, parsed, n) < 0) {
		snprintf(err, errlen, "out of memory for %zu flows", n);
		goto out;
	}
	/* A flow that stays keeps its counters: replace-flows changes only
	 * what differs, as ovs-ofctl does.  Within the batch the later
	 * duplicate wins. */
	for (size_t i = 0; i < n; i++) {
		int32_t *slot = index_slot_of(&ix, &parsed[i]);

		if (*slot >= 0 && (uint32_t)*slot >= old_n) {
			uint32_t r = (uint32_t)(*slot - old_n); /* rule made from the earlier twin */

			rules[r].actions = parsed[i].actions;
			rules[r].cookie = parsed[i].cookie;
			*slot = old_n + r;
			continue;
		}
		from[k] = *slot;
		if (*slot >= 0) {
			kept[*slot] = true;
			rule_from(&rules[k], &parsed[i], sl_p.flows[*slot].id);
		} else {
			rule_from(&rules[k], &parsed[i], UINT32_MAX);
			n_new_ids++;
		}
		*slot = old_n + k;
		k++;
	}
	for (uint32_t i = 0; i < old_n; i++)
		if (!kept[i])
			dead[n_dead++] = sl_p.flows[i].id;
	if (n_new_ids > sl_p.n_free_ids) {
		snprintf(err, errlen, "too many flows: %u exceeds the limit of %u", k, SL_MAX_FLOWS);
		rc = -ENOSPC;
		goto out;
	}
	for (uint32_t i = 0; i < k; i++)
		if (rules[i].id == UINT32_MAX)
			rules[i].id = alloc_id();
	rc = build_or_fail(rules, k, &cls, err, errlen);
	if (rc < 0) {
		for (uint32_t i = 0; i < k; i++)
			if (from[i] < 0)
				sl_p.free_ids[sl_p.n_free_ids++] = rules[i].id;
		goto out;
	}
	for (uint32_t i = 0; i < k; i++) {
		const struct sl_pflow *old = from[i] >= 0 ? &sl_p.flows[from[i]] : NULL;

		next[i].flow.match = rules[i].match;
		next[i].flow.priority = rules[i].priority;
		next[i].flow.cookie = rules[i].cookie;
		next[i].flow.actions = rules[i].actions;
		next[i].id = rules[i].id;
		next[i].created_ms = old ? old->created_ms : now;
		if (old == NULL || memcmp(&old->flow.actions, &rules[i].actions,
					  sizeof(rules[i].actions)) != 0)
			changed++;
	}
	free(sl_p.flows);
	sl_p.flows = next;
	sl_p.n_flows = k;
	sl_p.cap_flows = n ? n : 1;
	next = NULL;
	publish(cls, dead, n_dead);
	dead = NULL;
	*n_changed = changed + n_dead;
	rc = 0;
out:
	free(rules);
	free(from);
	free(next);
	free(kept);
	free(dead);
	free(ix.slot);
	free(parsed);
	return rc;
}
