/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OpenFlow meters in sluiced's config DB: one "meter TEXT" line each, in
 * canonical ovs-ofctl syntax, written before the flows so that a DB read
 * back in order always has a flow's meter before the flow.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

struct sl_meter_spec *
sl_db_meter_find(const struct sl_db *db, uint32_t id)
{
	for (size_t i = 0; i < db->n_meters; i++)
		if (db->meters[i].id == id)
			return &db->meters[i];
	return NULL;
}

int
sl_db_meter_set(struct sl_db *db, const struct sl_meter_spec *m)
{
	struct sl_meter_spec *old = sl_db_meter_find(db, m->id), *arr;

	if (old != NULL) {
		*old = *m;
		return 0;
	}
	arr = realloc(db->meters, (db->n_meters + 1) * sizeof(*arr));
	if (arr == NULL)
		return -ENOMEM;
	db->meters = arr;
	db->meters[db->n_meters++] = *m;
	return 0;
}

uint32_t
sl_db_meters_del(struct sl_db *db, uint32_t id)
{
	struct sl_flow *keep = malloc((db->flows.n ? db->flows.n : 1) * sizeof(*keep));
	uint32_t removed = 0, n = 0;
	size_t k = 0;

	/* The flows first, as the primary does: the table without them, in one go. */
	if (keep != NULL)
		SL_FTABLE_FOREACH(i, &db->flows) {
			if (sl_actions_use_meter(&sl_ftable_rule(&db->flows, i)->actions, id))
				removed++;
			else
				sl_flow_copy(&keep[n++], sl_ftable_rule(&db->flows, i));
		}
	if (keep == NULL) {
		/* No memory for a copy: one at a time (a delete leaves the
		 * other rules where they are). */
		SL_FTABLE_FOREACH(i, &db->flows) {
			const struct sl_flow *f = sl_ftable_rule(&db->flows, i);
			struct sl_match m = f->match;

			if (sl_actions_use_meter(&f->actions, id) &&
			    sl_ftable_del(&db->flows, &m, f->priority, true) > 0)
				removed++;
		}
	} else if (removed > 0 && sl_ftable_replace(&db->flows, keep, n) < 0) {
		removed = 0; /* out of memory: the flows stay, and so do the meters */
		free(keep);
		return 0;
	}
	free(keep);
	for (size_t j = 0; j < db->n_meters; j++)
		if (id != SL_METER_ALL && db->meters[j].id != id)
			db->meters[k++] = db->meters[j];
	db->n_meters = k;
	return removed;
}

int
sl_db_meter_load(struct sl_db *db, const char *text, char *err, size_t errlen)
{
	struct sl_meter_spec m;
	int rc;

	rc = sl_meter_parse(text, SL_METER_PARSE_MOD, &m, err, errlen);
	if (rc == 0)
		rc = sl_meter_spec_check(&m, err, errlen);
	if (rc < 0)
		return rc;
	if (sl_db_meter_find(db, m.id) != NULL) {
		snprintf(err, errlen, "meter %u given twice", m.id);
		return -EEXIST;
	}
	return sl_db_meter_set(db, &m);
}

void
sl_db_meters_write(FILE *f, const struct sl_db *db)
{
	char text[SL_METER_TEXT_MAX];

	for (size_t i = 0; i < db->n_meters; i++) {
		sl_meter_format(&db->meters[i], false, text, sizeof(text));
		fprintf(f, "meter %s\n", text);
	}
}

void
sl_db_meters_fini(struct sl_db *db)
{
	free(db->meters);
	db->meters = NULL;
	db->n_meters = 0;
}
