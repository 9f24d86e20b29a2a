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
	sl_ftable_init_data(&sl_p.flows, sizeof(struct sl_pflow));
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

		if (rc == 0 && mode != SL_PARSE_MATCH)
			rc = sl_meters_bind(&flows[i].actions, msg, sizeof(msg));
		if (rc == 0 && mode != SL_PARSE_MATCH)
			rc = sl_groups_bind(&flows[i].actions, msg, sizeof(msg));
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
	}
	return 0;
}

/* Build a classifier snapshot of the whole table; NULL if out of memory. */
static struct sl_cls *
build(void)
{
	const struct sl_ftable *t = &sl_p.flows;
	struct sl_cls_rule *rules = malloc(sizeof(*rules) * (t->n ? t->n : 1));
	struct sl_cls *cls;

	if (rules == NULL)
		return NULL;
	for (uint32_t i = 0; i < t->n; i++)
		rule_from(&rules[i], &t->flows[i], sl_pflow_of(i)->id);
	cls = sl_cls_build(rules, t->n, cls_zalloc, NULL);
	free(rules);
	return cls;
}

/*
 * Make the table as @e left it live: counters for the added rules, a new
 * snapshot, the removed rules' counter ids retired with the old snapshot.
 * On failure @e is undone and nothing changed.
 */
static int
commit(struct sl_ftable_edit *e, char *err, size_t errlen)
{
	uint32_t n_dead = e->n_removed, *dead;
	struct sl_cls *cls;
	int rc;

	rc = number_added(e, err, errlen);
	if (rc < 0) {
		sl_ftable_edit_undo(&sl_p.flows, e);
		return rc;
	}
	dead = malloc(sizeof(*dead) * (n_dead ? n_dead : 1));
	cls = dead != NULL ? build() : NULL;
	if (cls == NULL) {
		snprintf(err, errlen, "out of shared memory for a %u-rule classifier", sl_p.flows.n);
		/* No worker ever saw these ids: they are free again at once. */
		for (uint32_t i = 0; i < e->n_added; i++)
			sl_p.free_ids[sl_p.n_free_ids++] = sl_pflow_of(e->added[i])->id;
		sl_ftable_edit_undo(&sl_p.flows, e);
		free(dead);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n_dead; i++)
		dead[i] = ((const struct sl_pflow *)sl_ftable_edit_removed_data(e, i))->id;
	sl_ftable_edit_done(e);
	publish(cls, dead, n_dead);
	/* The reply says the change is in force: no worker may still be in a
	 * burst it began under the old table (nor replay a pipeline cached
	 * under it) once the user reads it. */
	sl_rcu_synchronize();
	return 0;
}

/* Timers of rules @flows replaced start again, as a rule added now (hard_timeout, idle_timeout). */
static void
restart_timers(const struct sl_flow *flows, uint32_t n)
{
	uint64_t now = sl_now_ms();

	for (uint32_t i = 0; i < n; i++) {
		const struct sl_flow *f = sl_ftable_find(&sl_p.flows, &flows[i].match, flows[i].priority);

		if (f != NULL) {
			struct sl_pflow *pf = sl_pflow_of((uint32_t)(f - sl_p.flows.flows));

			pf->modified_ms = pf->used_ms = now;
		}
	}
}

int
sl_flows_add(size_t n, char **texts, uint32_t *n_changed, char *err, size_t errlen)
{
	struct sl_ftable_edit e;
	struct sl_flow *parsed;
	int rc;

	rc = parse_all(n, texts, SL_PARSE_FLOW, &parsed, err, errlen);
	if (rc < 0)
		return rc;
	/* Same match and priority replaces the actions and keeps the
	 * counters (OpenFlow add); within one batch the later duplicate wins. */
	rc = sl_ftable_edit_add(&sl_p.flows, parsed, (uint32_t)n, &e);
	if (rc < 0) {
		free(parsed);
		snprintf(err, errlen, "out of memory for %zu flows", n);
		return rc;
	}
	rc = commit(&e, err, errlen);
	if (rc == 0) {
		restart_timers(parsed, (uint32_t)n);
		*n_changed = (uint32_t)n;
	}
	free(parsed);
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
	rc = commit(&e, err, errlen);
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
	rc = commit(&e, err, errlen);
	if (rc == 0) {
		/* hard_age counts from here for what was modified, as in OVS. */
		uint64_t now = sl_now_ms();

		for (uint32_t i = 0; i < n_selected; i++) {
			const struct sl_flow *f =
				sl_ftable_find(&sl_p.flows, &result[i].match, result[i].priority);

			if (f != NULL)
				sl_pflow_of((uint32_t)(f - sl_p.flows.flows))->modified_ms = now;
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
	for (uint32_t i = 0; i < sl_p.flows.n; i++)
		if (pick(&sl_p.flows.flows[i], ctx))
			doomed[n++] = sl_p.flows.flows[i];
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
	rc = commit(&e, err, errlen);
	if (rc == 0)
		*n_changed = n;
	return rc;
}

int
sl_flows_replace(size_t n, char **texts, uint32_t *n_changed, char *err, size_t errlen)
{
	struct sl_ftable_edit e;
	struct sl_flow *parsed;
	uint32_t changed;
	int rc;

	rc = parse_all(n, texts, SL_PARSE_FLOW, &parsed, err, errlen);
	if (rc < 0)
		return rc;
	/* A flow that stays keeps its counters: replace-flows changes only
	 * what differs, as ovs-ofctl does.  Within the batch the later
	 * duplicate wins. */
	rc = sl_ftable_edit_replace(&sl_p.flows, parsed, (uint32_t)n, &e);
	free(parsed);
	if (rc < 0) {
		snprintf(err, errlen, "out of memory for %zu flows", n);
		return rc;
	}
	changed = e.n_added + e.n_modified + e.n_removed;
	rc = commit(&e, err, errlen);
	if (rc == 0)
		*n_changed = changed;
	return rc;
}
