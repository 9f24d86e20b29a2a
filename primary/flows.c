/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flow table and its publication.  The table is an sl_ftable, the same
 * set logic as sluiced's DB, each rule carrying its counter id and creation
 * time in its user area.  A request is parsed once and applied to the table
 * as an edit; a classifier snapshot is built from the result, and only then
 * is the edit kept.  A change that cannot be built (no memory, no counter
 * ids left) is undone, so the table and the data plane stay as they were.
 * The new snapshot is published with one atomic store: a batch becomes
 * visible all at once.  The old snapshot, and the counter ids of removed
 * flows, are reclaimed after an RCU grace period.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "classifier.h"
#include "flow_syntax.h"
#include "primary.h"
#include "util.h"

/* The classifier writer, and the classifier rule of each counter id in use. */
static struct sl_clsw *clsw;
static uint32_t *handle_of_id;

static void *
cls_zalloc(size_t size, void *ctx)
{
	(void)ctx;
	/* A rule's first two lines are what a lookup reads: keep them one
	 * aligned pair for the adjacent-line prefetcher. */
	return rte_zmalloc("sl_cls", size, 2 * RTE_CACHE_LINE_SIZE);
}

static void
cls_free(void *p, void *ctx)
{
	(void)ctx;
	rte_free(p);
}

int
sl_flows_init(void)
{
	sl_ftable_init_data(&sl_p.flows, sizeof(struct sl_pflow));
	sl_p.free_ids = malloc(sizeof(uint32_t) * SL_MAX_FLOWS);
	handle_of_id = malloc(sizeof(uint32_t) * SL_MAX_FLOWS);
	if (sl_p.free_ids == NULL || handle_of_id == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < SL_MAX_FLOWS; i++)
		sl_p.free_ids[i] = SL_MAX_FLOWS - 1 - i;
	sl_p.n_free_ids = SL_MAX_FLOWS;
	/* Twice the flows: a batch that modifies every rule holds both
	 * versions of each until the old ones are collected. */
	clsw = sl_clsw_create(2 * SL_MAX_FLOWS, cls_zalloc, cls_free, NULL);
	if (clsw == NULL)
		return -ENOMEM;
	__atomic_store_n(&sl_p.shm->cls, sl_clsw_cls(clsw), __ATOMIC_RELEASE);
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

/* Parse text @i of @n into @f, meters and groups bound; the error names the flow. */
static int
parse_one(size_t i, size_t n, char **texts, enum sl_flow_parse_mode mode, struct sl_flow *f,
	  char *err, size_t errlen)
{
	char msg[512];
	int rc = sl_flow_parse(texts[i], mode, sl_port_resolve, NULL, f, msg, sizeof(msg));

	if (rc == 0 && mode != SL_PARSE_MATCH)
		rc = sl_meters_bind(&f->actions, msg, sizeof(msg));
	if (rc == 0 && mode != SL_PARSE_MATCH)
		rc = sl_groups_bind(&f->actions, msg, sizeof(msg));
	if (rc < 0)
		sl_batch_error(err, errlen, i, n, msg, texts[i]);
	return rc;
}

/* Parse every text; all or nothing. */
static int
parse_all(size_t n, char **texts, enum sl_flow_parse_mode mode, struct sl_flow **out,
	  char *err, size_t errlen)
{
	struct sl_flow *flows = calloc(n ? n : 1, sizeof(*flows));

	if (flows == NULL) {
		snprintf(err, errlen, "out of memory for %zu flows", n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		int rc = parse_one(i, n, texts, mode, &flows[i], err, errlen);

		if (rc < 0) {
			free(flows);
			return rc;
		}
	}
	*out = flows;
	return 0;
}

static void
recs_free(struct sl_ftable_rec **recs, size_t n)
{
	for (size_t i = 0; recs != NULL && i < n; i++)
		free(recs[i]);
	free(recs);
}

/*
 * Parse every full flow straight into a rule of its own size, as the
 * table keeps it (a million flows: no second copy of a million whole
 * struct sl_flow); all or nothing.
 */
static int
parse_recs(size_t n, char **texts, struct sl_ftable_rec ***out, char *err, size_t errlen)
{
	struct sl_ftable_rec **recs = calloc(n ? n : 1, sizeof(*recs));
	struct sl_flow f;

	if (recs == NULL) {
		snprintf(err, errlen, "out of memory for %zu flows", n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		int rc = parse_one(i, n, texts, SL_PARSE_FLOW, &f, err, errlen);

		if (rc == 0 && (recs[i] = sl_ftable_rec_new(&f)) == NULL) {
			snprintf(err, errlen, "out of memory for %zu flows", n);
			rc = -ENOMEM;
		}
		if (rc < 0) {
			recs_free(recs, i);
			return rc;
		}
	}
	*out = recs;
	return 0;
}

static void
rule_from(struct sl_cls_rule *r, const struct sl_flow *f, uint32_t id)
{
	r->match = f->match;
	r->priority = f->priority;
	r->id = id;
	r->cookie = f->cookie;
	/* @f may be a table's rule, kept at its own size: its actions only. */
	r->actions.n = f->actions.n;
	memcpy(r->actions.a, f->actions.a, f->actions.n * sizeof(f->actions.a[0]));
}

void
sl_flows_reclaim(void)
{
	/* Everything is reclaimed in commit(), after its grace period. */
}

void
sl_flows_wait_idle(void)
{
}

/* Give the rules @e added fresh counters; -ENOSPC (and nothing taken) if ids run out. */
static int
number_added(const struct sl_ftable_edit *e, char *err, size_t errlen)
{
	uint64_t now = sl_now_ms();

	if (e->n_added > sl_p.n_free_ids) {
		snprintf(err, errlen, "too many flows: %u would exceed the limit of %u",
			 sl_p.flows.n, SL_MAX_FLOWS);
		return -ENOSPC;
	}
	for (uint32_t i = 0; i < e->n_added; i++) {
		struct sl_pflow *pf = sl_pflow_of(e->added[i]);

		pf->id = alloc_id();
		pf->created_ms = pf->modified_ms = pf->used_ms = now;
		pf->fin_idle = pf->fin_hard = 0;
	}
	return 0;
}

/* A delete modifies nothing. */
static const uint32_t no_mod[1];

/* True if table position @p is one @e added (e->added is ascending). */
static bool
is_added(const struct sl_ftable_edit *e, uint32_t p)
{
	uint32_t lo = 0, hi = e->n_added;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (e->added[mid] == p)
			return true;
		if (e->added[mid] < p)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* A modified rule: its counter id, and the classifier rule it had before. */
struct swap {
	uint32_t id;
	uint32_t old;
};

/* Stage the rule at table position @p in place of its older version, if it differs. */
static int
stage_modified(uint32_t p, struct swap *swaps, uint32_t *n_swaps)
{
	const struct sl_flow *f = sl_ftable_rule(&sl_p.flows, p);
	uint32_t id = sl_pflow_of(p)->id, h = handle_of_id[id], nh;
	const struct sl_cls_rule *old = sl_clsw_rule(clsw, h);
	struct sl_cls_rule r;
	int rc;

	if (old->cookie == f->cookie && sl_actions_equal(&old->actions, &f->actions))
		return 0;
	rule_from(&r, f, id);
	r.seq = old->seq; /* same identity: same place among ties */
	rc = sl_clsw_insert(clsw, &r, &nh);
	if (rc == 0)
		rc = sl_clsw_remove(clsw, h);
	if (rc < 0)
		return rc;
	swaps[*n_swaps] = (struct swap){ .id = id, .old = h };
	(*n_swaps)++;
	handle_of_id[id] = nh;
	return 0;
}

/*
 * Stage @e in the classifier: rules added, removed, and those whose
 * actions changed under the same identity (positions @mod[0..n_mod), or
 * every position if @mod is NULL).
 */
static int
stage(const struct sl_ftable_edit *e, const uint32_t *mod, uint32_t n_mod, struct swap *swaps,
      uint32_t *n_swaps)
{
	int rc = 0;

	for (uint32_t i = 0; rc == 0 && i < e->n_removed; i++)
		rc = sl_clsw_remove(clsw, handle_of_id[((const struct sl_pflow *)
							sl_ftable_edit_removed_data(e, i))->id]);
	for (uint32_t i = 0; rc == 0 && i < e->n_added; i++) {
		struct sl_cls_rule r;
		uint32_t p = e->added[i], id = sl_pflow_of(p)->id;

		rule_from(&r, sl_ftable_rule(&sl_p.flows, p), id);
		r.seq = 0;
		rc = sl_clsw_insert(clsw, &r, &handle_of_id[id]);
	}
	if (mod == NULL) {
		for (uint32_t p = sl_ftable_next(&sl_p.flows, 0); rc == 0 && p < sl_p.flows.end;
		     p = sl_ftable_next(&sl_p.flows, p + 1))
			if (!is_added(e, p))
				rc = stage_modified(p, swaps, n_swaps);
	} else {
		for (uint32_t i = 0; rc == 0 && i < n_mod; i++)
			rc = stage_modified(mod[i], swaps, n_swaps);
	}
	return rc;
}

/*
 * Make the table as @e left it live: counters for the added rules, the
 * classifier changes staged and published at once, the removed rules'
 * counter ids free again after the grace period.  On failure @e is undone
 * and nothing changed.
 */
static int
commit(struct sl_ftable_edit *e, const uint32_t *mod, uint32_t n_mod, char *err, size_t errlen)
{
	uint32_t n_swaps = 0, cap = mod != NULL ? n_mod : sl_p.flows.n;
	struct swap *swaps;
	int rc;

	rc = number_added(e, err, errlen);
	if (rc < 0) {
		sl_ftable_edit_undo(&sl_p.flows, e);
		return rc;
	}
	swaps = malloc(sizeof(*swaps) * (cap ? cap : 1));
	rc = swaps != NULL ? stage(e, mod, n_mod, swaps, &n_swaps) : -ENOMEM;
	if (rc < 0) {
		if (rc == -ENOSPC)
			snprintf(err, errlen, "too many rule versions: %u flows", sl_p.flows.n);
		else
			snprintf(err, errlen, "out of shared memory for a %u-rule classifier",
				 sl_p.flows.n);
		sl_clsw_abort(clsw);
		for (uint32_t i = n_swaps; i-- > 0;)
			handle_of_id[swaps[i].id] = swaps[i].old;
		/* No worker ever saw these ids: they are free again at once. */
		for (uint32_t i = 0; i < e->n_added; i++)
			sl_p.free_ids[sl_p.n_free_ids++] = sl_pflow_of(e->added[i])->id;
		sl_ftable_edit_undo(&sl_p.flows, e);
		free(swaps);
		return rc == -ENOSPC ? rc : -ENOMEM;
	}
	free(swaps);
	sl_clsw_publish(clsw);
	/* Exact-match and pipeline caches are tagged with this generation. */
	__atomic_fetch_add(&sl_p.shm->cls_gen, 1, __ATOMIC_RELEASE);
	/* The reply says the change is in force: no worker may still be in a
	 * burst it began under the old version (nor replay a cache entry made
	 * under it) once the user reads it. */
	sl_rcu_synchronize();
	sl_clsw_collect(clsw);
	for (uint32_t i = 0; i < e->n_removed; i++)
		sl_p.free_ids[sl_p.n_free_ids++] =
			((const struct sl_pflow *)sl_ftable_edit_removed_data(e, i))->id;
	sl_ftable_edit_done(e);
	return 0;
}

/* Timers of the rules at positions @pos that an add replaced start again, as a rule added now (hard_timeout, idle_timeout). */
static void
restart_timers(const uint32_t *pos, uint32_t n)
{
	uint64_t now = sl_now_ms();

	for (uint32_t i = 0; i < n; i++) {
		struct sl_pflow *pf = sl_pflow_of(pos[i]);

		pf->modified_ms = pf->used_ms = now;
	}
}

int
sl_flows_add(size_t n, char **texts, uint32_t *n_changed, char *err, size_t errlen)
{
	struct sl_ftable_rec **recs;
	uint32_t *replaced, n_replaced;
	struct sl_ftable_edit e;
	int rc;

	rc = parse_recs(n, texts, &recs, err, errlen);
	if (rc < 0)
		return rc;
	/* Same match and priority replaces the actions and keeps the
	 * counters (OpenFlow add); within one batch the later duplicate wins.
	 * The table takes the parsed rules over. */
	rc = sl_ftable_edit_add_recs(&sl_p.flows, recs, (uint32_t)n, &e);
	if (rc < 0) {
		recs_free(recs, n);
		snprintf(err, errlen, "out of memory for %zu flows", n);
		return rc;
	}
	free(recs);
	/* The rules it replaced, kept past the edit's end for their timers. */
	n_replaced = e.n_log;
	replaced = malloc(sizeof(*replaced) * (n_replaced ? n_replaced : 1));
	if (replaced == NULL) {
		sl_ftable_edit_undo(&sl_p.flows, &e);
		snprintf(err, errlen, "out of memory for %zu flows", n);
		return -ENOMEM;
	}
	memcpy(replaced, e.log_pos, sizeof(*replaced) * n_replaced);
	rc = commit(&e, e.log_pos, e.n_log, err, errlen);
	if (rc == 0) {
		restart_timers(replaced, n_replaced);
		*n_changed = (uint32_t)n;
	}
	free(replaced);
	return rc;
}

int
sl_flows_del(size_t n, char **texts, bool strict, uint32_t *n_changed, char *err, size_t errlen)
{
	struct sl_flow *parsed = NULL, all = { 0 };
	struct sl_ftable_edit e;
	uint32_t removed;
	int rc;

	rc = parse_all(n, texts, SL_PARSE_MATCH, &parsed, err, errlen);
	if (rc < 0)
		return rc;
	if (n == 0) { /* del-flows with no match: everything */
		parsed[0] = all;
		n = 1;
		strict = false;
	}
	rc = sl_ftable_edit_del(&sl_p.flows, parsed, (uint32_t)n, strict, &e);
	free(parsed);
	if (rc < 0) {
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	removed = e.n_removed;
	if (removed == 0) { /* nothing to publish */
		sl_ftable_edit_done(&e);
		*n_changed = 0;
		return 0;
	}
	rc = commit(&e, no_mod, 0, err, errlen);
	if (rc == 0)
		*n_changed = removed;
	return rc;
}

int
sl_flows_mod(size_t n, char **texts, bool strict, uint32_t *n_changed, char *err, size_t errlen)
{
	struct sl_flow *parsed, *result;
	struct sl_ftable_edit e;
	uint32_t n_result, n_selected;
	int rc;

	rc = parse_all(n, texts, SL_PARSE_MOD, &parsed, err, errlen);
	if (rc < 0)
		return rc;
	rc = sl_ftable_mod(&sl_p.flows, parsed, (uint32_t)n, strict, &result, &n_result,
			   &n_selected);
	free(parsed);
	if (rc < 0) {
		snprintf(err, errlen, "out of memory for %zu flows", n);
		return rc;
	}
	/* The modified rules keep their identity, so their counters and
	 * creation time stay (an add of the same identity does the same). */
	rc = sl_ftable_edit_add(&sl_p.flows, result, n_result, &e);
	if (rc < 0) {
		free(result);
		snprintf(err, errlen, "out of memory for %u flows", n_result);
		return rc;
	}
	rc = commit(&e, e.log_pos, e.n_log, err, errlen);
	if (rc == 0) {
		/* hard_age counts from here for what was modified, as in OVS. */
		uint64_t now = sl_now_ms();

		for (uint32_t i = 0; i < n_selected; i++) {
			const struct sl_flow *f =
				sl_ftable_find(&sl_p.flows, &result[i].match, result[i].priority);

			if (f != NULL)
				sl_pflow_of(sl_ftable_pos(&sl_p.flows, f))->modified_ms = now;
		}
		*n_changed = n_result;
	}
	free(result);
	return rc;
}

int
sl_flows_selector(const char *text, struct sl_flow *sel, char *err, size_t errlen)
{
	char msg[512];
	int rc;

	if (text == NULL) { /* no match: every flow */
		memset(sel, 0, sizeof(*sel));
		return 0;
	}
	rc = sl_flow_parse(text, SL_PARSE_MATCH, sl_port_resolve, NULL, sel, msg, sizeof(msg));
	if (rc < 0)
		snprintf(err, errlen, "%s in \"%s\"", msg, text);
	return rc;
}

int
sl_flows_del_where(bool (*pick)(const struct sl_flow *f, void *ctx), void *ctx,
		   uint32_t *n_changed, char *err, size_t errlen)
{
	struct sl_flow *doomed;
	struct sl_ftable_edit e;
	uint32_t n = 0;
	int rc;

	*n_changed = 0;
	doomed = malloc(sizeof(*doomed) * (sl_p.flows.n ? sl_p.flows.n : 1));
	if (doomed == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	SL_FTABLE_FOREACH(i, &sl_p.flows)
	if (pick(sl_ftable_rule(&sl_p.flows, i), ctx))
		sl_flow_copy(&doomed[n++], sl_ftable_rule(&sl_p.flows, i));
	if (n == 0) {
		free(doomed);
		return 0;
	}
	/* Each by its exact match and priority: strict, so nothing else goes. */
	rc = sl_ftable_edit_del(&sl_p.flows, doomed, n, true, &e);
	free(doomed);
	if (rc < 0) {
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	n = e.n_removed;
	rc = commit(&e, no_mod, 0, err, errlen);
	if (rc == 0)
		*n_changed = n;
	return rc;
}

int
sl_flows_replace(size_t n, char **texts, uint32_t *n_changed, char *err, size_t errlen)
{
	struct sl_ftable_rec **recs;
	struct sl_ftable_edit e;
	uint32_t changed;
	int rc;

	rc = parse_recs(n, texts, &recs, err, errlen);
	if (rc < 0)
		return rc;
	/* A flow that stays keeps its counters: replace-flows changes only
	 * what differs, as ovs-ofctl does.  Within the batch the later
	 * duplicate wins. */
	rc = sl_ftable_edit_replace_recs(&sl_p.flows, recs, (uint32_t)n, &e);
	if (rc < 0)
		recs_free(recs, n);
	else
		free(recs);
	if (rc < 0) {
		snprintf(err, errlen, "out of memory for %zu flows", n);
		return rc;
	}
	changed = e.n_added + e.n_modified + e.n_removed;
	rc = commit(&e, NULL, 0, err, errlen);
	if (rc == 0)
		*n_changed = changed;
	return rc;
}
