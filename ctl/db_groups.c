/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OpenFlow groups in sluiced's config DB: one "group TEXT" line each, in
 * canonical ovs-ofctl syntax with ports by number, written before the
 * flows so that a DB read back in order has a flow's group before the flow.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

struct sl_group *
sl_db_group_find(const struct sl_db *db, uint32_t id)
{
	for (size_t i = 0; i < db->n_groups; i++)
		if (db->groups[i].id == id)
			return &db->groups[i];
	return NULL;
}

int
sl_db_group_set(struct sl_db *db, const struct sl_group *g)
{
	struct sl_group *old = sl_db_group_find(db, g->id), *arr;

	if (old != NULL) {
		*old = *g;
		return 0;
	}
	arr = realloc(db->groups, (db->n_groups + 1) * sizeof(*arr));
	if (arr == NULL)
		return -ENOMEM;
	db->groups = arr;
	db->groups[db->n_groups++] = *g;
	return 0;
}

uint32_t
sl_db_groups_del(struct sl_db *db, uint32_t id)
{
	size_t k = 0;
	uint32_t gone = 0;

	for (size_t j = 0; j < db->n_groups; j++) {
		if (id == SL_GROUP_ALL_ID || db->groups[j].id == id)
			gone++;
		else
			db->groups[k++] = db->groups[j];
	}
	db->n_groups = k;
	return gone;
}

int
sl_db_group_load(struct sl_db *db, const char *text, char *err, size_t errlen)
{
	struct sl_group g;
	int rc;

	rc = sl_group_parse(text, SL_GROUP_PARSE_MOD, sl_db_resolve_port, db, &g, err, errlen);
	if (rc < 0)
		return rc;
	if (sl_db_group_find(db, g.id) != NULL) {
		snprintf(err, errlen, "group %u given twice", g.id);
		return -EEXIST;
	}
	return sl_db_group_set(db, &g);
}

void
sl_db_groups_write(FILE *f, const struct sl_db *db)
{
	char text[SL_GROUP_TEXT_MAX];

	for (size_t i = 0; i < db->n_groups; i++) {
		sl_group_format(&db->groups[i], text, sizeof(text));
		fprintf(f, "group %s\n", text);
	}
}

void
sl_db_groups_fini(struct sl_db *db)
{
	free(db->groups);
	db->groups = NULL;
	db->n_groups = 0;
}
