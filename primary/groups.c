/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OpenFlow groups in the primary: add-group, mod-group, del-groups,
 * dump-groups, dump-group-stats.  Each group lives in a slot of the group
 * zone (common/group.h) as an immutable copy in hugepage memory; a change
 * publishes a new copy and frees the old one after a grace period, so a
 * worker in the middle of a burst keeps a whole group, old or new.  Flows
 * name a group by slot (bound at add time, as meters are).
 *
 * Deleting a group that flows use is refused, as issue 16 asks; Open
 * vSwitch deletes those flows with it instead (docs/flows.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_memzone.h>

#include "group_syntax.h"
#include "primary.h"
#include "util.h"

struct pgroup {
	bool used;
	struct sl_group g;
	uint64_t created_ms;
};

static struct sl_group_zone *gz;
static struct pgroup groups[SL_MAX_GROUPS];

int
sl_groups_init(void)
{
	const struct rte_memzone *mz = rte_memzone_reserve(SL_GROUP_ZONE, sizeof(*gz), SOCKET_ID_ANY, 0);

	if (mz == NULL)
		return -ENOMEM;
	gz = mz->addr;
	memset(gz, 0, sizeof(*gz));
	return 0;
}

static int
find_slot(uint32_t id)
{
	for (int i = 0; i < SL_MAX_GROUPS; i++)
		if (groups[i].used && groups[i].g.id == id)
			return i;
	return -1;
}

int
sl_groups_bind(struct sl_actions *acts, char *err, size_t errlen)
{
	for (uint16_t i = 0; i < acts->n; i++) {
		struct sl_action *a = &acts->a[i];
		int slot;

		if (a->type != SL_ACT_GROUP)
			continue;
		slot = find_slot(sl_action_u32(a));
		if (slot < 0) {
			snprintf(err, errlen, "actions: group %u does not exist", sl_action_u32(a));
			return -ENOENT;
		}
		a->arg = (uint16_t)slot;
	}
	return 0;
}

/* Flows whose actions use group @id. */
static uint32_t
ref_count(uint32_t id)
{
	uint32_t n = 0;

	SL_FTABLE_FOREACH(i, &sl_p.flows) {
		const struct sl_actions *acts = &sl_ftable_rule(&sl_p.flows, i)->actions;

		for (uint16_t j = 0; j < acts->n; j++)
			if (acts->a[j].type == SL_ACT_GROUP && sl_action_u32(&acts->a[j]) == id) {
				n++;
				break;
			}
	}
	return n;
}

/* Make slot @slot hold @g (NULL: nothing); the old copy goes after a grace period. */
static int
publish(int slot, const struct sl_group *g)
{
	struct sl_group *copy = NULL, *old = gz->slot[slot];

	if (g != NULL) {
		copy = rte_malloc("sl_group", sizeof(*copy), RTE_CACHE_LINE_SIZE);
		if (copy == NULL)
			return -ENOMEM;
		*copy = *g;
	}
	__atomic_store_n(&gz->slot[slot], copy, __ATOMIC_RELEASE);
	if (old != NULL) {
		sl_rcu_synchronize();
		rte_free(old);
	}
	return 0;
}

static int
parse(const Sluice__Request *req, enum sl_group_parse_mode mode, struct sl_group *g, char *err,
      size_t errlen)
{
	char msg[512];
	int rc;

	/* add_group, mod_group, del_groups ... share the oneof slot */
	rc = sl_group_parse(req->add_group->group, mode, sl_port_resolve, NULL, g, msg, sizeof(msg));
	if (rc < 0)
		snprintf(err, errlen, "%s in \"%s\"", msg, req->add_group->group);
	return rc;
}

static int
group_mod(const Sluice__Request *req, bool add, char *err, size_t errlen)
{
	struct sl_group g;
	int slot, rc;

	rc = parse(req, SL_GROUP_PARSE_MOD, &g, err, errlen);
	if (rc < 0)
		return rc;
	slot = find_slot(g.id);
	if (add && slot >= 0) {
		snprintf(err, errlen, "group %u already exists (mod-group changes it)", g.id);
		return -EEXIST;
	}
	if (!add && slot < 0) {
		snprintf(err, errlen, "group %u does not exist (add-group adds it)", g.id);
		return -ENOENT;
	}
	if (slot < 0) {
		for (slot = 0; slot < SL_MAX_GROUPS && groups[slot].used; slot++)
			;
		if (slot == SL_MAX_GROUPS) {
			snprintf(err, errlen, "too many groups: the limit is %d", SL_MAX_GROUPS);
			return -ENOSPC;
		}
	}
	/* New counters for a new group, and for a changed one (OpenFlow restarts them). */
	for (unsigned int w = 0; w < SL_MAX_WORKERS; w++)
		memset(gz->cnt[w][slot], 0, sizeof(gz->cnt[w][slot]));
	rc = publish(slot, &g);
	if (rc < 0) {
		snprintf(err, errlen, "out of shared memory for group %u", g.id);
		return rc;
	}
	groups[slot] = (struct pgroup){ .used = true, .g = g, .created_ms = sl_now_ms() };
	return 0;
}

static int
h_add_group(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	(void)rep;
	return group_mod(req, true, err, errlen);
}
SL_REQ_HANDLER(sl_primary_handlers, ADD_GROUP, h_add_group)

static int
h_mod_group(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	(void)rep;
	return group_mod(req, false, err, errlen);
}
SL_REQ_HANDLER(sl_primary_handlers, MOD_GROUP, h_mod_group)

static int
h_del_groups(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	struct sl_group sel;
	uint32_t refs;
	int rc;

	rc = parse(req, SL_GROUP_PARSE_ID, &sel, err, errlen);
	if (rc < 0)
		return rc;
	/* All or nothing: first see that none of them is in use. */
	for (int i = 0; i < SL_MAX_GROUPS; i++) {
		if (!groups[i].used || (sel.id != SL_GROUP_ALL_ID && groups[i].g.id != sel.id))
			continue;
		refs = ref_count(groups[i].g.id);
		if (refs > 0) {
			snprintf(err, errlen,
				 "group %u is used by %u flow%s: delete or change %s first",
				 groups[i].g.id, refs, refs == 1 ? "" : "s", refs == 1 ? "it" : "them");
			return -EBUSY;
		}
	}
	for (int i = 0; i < SL_MAX_GROUPS; i++) {
		if (!groups[i].used || (sel.id != SL_GROUP_ALL_ID && groups[i].g.id != sel.id))
			continue;
		publish(i, NULL); /* cannot fail */
		groups[i].used = false;
		rep->n_changed++;
	}
	return 0;
}
SL_REQ_HANDLER(sl_primary_handlers, DEL_GROUPS, h_del_groups)

static int
info(Sluice__Reply *rep, int slot, uint64_t now)
{
	const struct pgroup *pg = &groups[slot];
	Sluice__GroupInfo *gi = calloc(1, sizeof(*gi));
	Sluice__GroupInfo **arr = realloc(rep->groups, sizeof(*arr) * (rep->n_groups + 1));
	char text[SL_GROUP_TEXT_MAX];

	if (arr != NULL)
		rep->groups = arr;
	if (gi == NULL || arr == NULL) {
		free(gi);
		return -ENOMEM;
	}
	sluice__group_info__init(gi);
	rep->groups[rep->n_groups++] = gi;
	sl_group_format(&pg->g, text, sizeof(text));
	gi->text = strdup(text);
	gi->id = pg->g.id;
	gi->ref_count = ref_count(pg->g.id);
	gi->duration_ms = now - pg->created_ms;
	gi->buckets = calloc(pg->g.n_buckets ? pg->g.n_buckets : 1, sizeof(*gi->buckets));
	if (gi->text == NULL || gi->buckets == NULL)
		return -ENOMEM;
	for (unsigned int b = 0; b <= pg->g.n_buckets; b++) {
		/* the group's own counter sits after its buckets' */
		unsigned int k = b < pg->g.n_buckets ? b : SL_GROUP_MAX_BUCKETS;
		uint64_t packets = 0, bytes = 0;

		for (unsigned int w = 0; w < SL_MAX_WORKERS; w++) {
			packets += __atomic_load_n(&gz->cnt[w][slot][k].packets, __ATOMIC_RELAXED);
			bytes += __atomic_load_n(&gz->cnt[w][slot][k].bytes, __ATOMIC_RELAXED);
		}
		if (b == pg->g.n_buckets) {
			gi->packet_count = packets;
			gi->byte_count = bytes;
			continue;
		}
		gi->buckets[b] = calloc(1, sizeof(*gi->buckets[b]));
		if (gi->buckets[b] == NULL)
			return -ENOMEM;
		sluice__bucket_stats__init(gi->buckets[b]);
		gi->n_buckets++;
		gi->buckets[b]->packet_count = packets;
		gi->buckets[b]->byte_count = bytes;
	}
	return 0;
}

/* dump-groups and dump-group-stats: one group, or all, in the order added. */
static int
h_dump_groups(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	uint64_t now = sl_now_ms();
	struct sl_group sel;
	int order[SL_MAX_GROUPS], n = 0, rc;

	rc = parse(req, SL_GROUP_PARSE_ID, &sel, err, errlen);
	if (rc < 0)
		return rc;
	for (int i = 0; i < SL_MAX_GROUPS; i++)
		if (groups[i].used && (sel.id == SL_GROUP_ALL_ID || groups[i].g.id == sel.id))
			order[n++] = i;
	/* by id, as ovs-ofctl lists them */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && groups[order[j]].g.id < groups[order[j - 1]].g.id; j--) {
			int t = order[j];

			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	for (int i = 0; i < n; i++)
		if (info(rep, order[i], now) < 0)
			return -ENOMEM;
	return 0;
}
SL_REQ_HANDLER(sl_primary_handlers, DUMP_GROUPS, h_dump_groups)

static int
h_dump_group_stats(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	return h_dump_groups(req, rep, err, errlen);
}
SL_REQ_HANDLER(sl_primary_handlers, DUMP_GROUP_STATS, h_dump_group_stats)
