/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The meter table (common/meter.h) and OpenFlow meters: add-meter,
 * mod-meter, del-meters, dump-meters, meter-stats, with Open vSwitch's
 * semantics.  Adding an existing meter or changing a missing one is an
 * error; a flow naming a meter that does not exist is refused; deleting a
 * meter deletes the flows that use it (OpenFlow's OFPRR_METER_DELETE), so
 * no rule ever points at a meter that is gone.  A meter's slot is reused
 * only after an RCU grace period, so a worker still running an old
 * classifier snapshot never meters into somebody else's meter.
 *
 * Flows name meters by id; sl_meters_bind() puts the slot in the action
 * (arg) when the primary parses the flow, so the data plane indexes the
 * table instead of looking ids up.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_rcu_qsbr.h>

#include "meter.h"
#include "meter_syntax.h"
#include "primary.h"
#include "util.h"

struct of_meter {
	uint32_t id; /* 0: free */
	struct sl_meter_spec spec;
	uint64_t created_ms;
	uint64_t free_token; /* RCU token of its deletion: reusable once passed */
	struct sl_meter_counters base; /* its counters when last (re)configured */
};

#define INDEX_SIZE (2 * SL_MAX_METERS) /* open addressing: id -> meter + 1 */

static struct sl_meter_zone *zone;
static struct of_meter meters[SL_MAX_METERS];
static uint16_t index_of[INDEX_SIZE];

struct sl_meter_zone *
sl_meters_zone(void)
{
	return zone;
}

int
sl_meters_init(void)
{
	zone = sl_meter_zone_create();
	if (zone == NULL) {
		PLOG(ERR, "cannot create the meter table: %s", rte_strerror(rte_errno));
		return -ENOMEM;
	}
	return 0;
}

static uint32_t
index_hash(uint32_t id)
{
	return (id * 2654435761u) & (INDEX_SIZE - 1);
}

/* The meter with @id, or -1. */
static int
meter_find(uint32_t id)
{
	for (uint32_t i = index_hash(id);; i = (i + 1) & (INDEX_SIZE - 1)) {
		if (index_of[i] == 0)
			return -1;
		if (meters[index_of[i] - 1].id == id)
			return index_of[i] - 1;
	}
}

static void
index_rebuild(void)
{
	memset(index_of, 0, sizeof(index_of));
	for (unsigned int k = 0; k < SL_MAX_METERS; k++) {
		uint32_t i;

		if (meters[k].id == 0)
			continue;
		for (i = index_hash(meters[k].id); index_of[i] != 0; i = (i + 1) & (INDEX_SIZE - 1))
			;
		index_of[i] = (uint16_t)(k + 1);
	}
}

static struct sl_meter *
meter_of(unsigned int k)
{
	return &zone->m[SL_METER_SLOT_OF0 + k];
}

/* A free slot whose last user is past a grace period, or -1. */
static int
meter_alloc(void)
{
	bool waited = false;

	for (;;) {
		bool pending = false;

		for (unsigned int k = 0; k < SL_MAX_METERS; k++) {
			if (meters[k].id != 0)
				continue;
			if (meters[k].free_token == 0 ||
			    rte_rcu_qsbr_check(sl_p.shm->qsbr, meters[k].free_token, false) == 1) {
				meters[k].free_token = 0;
				return (int)k;
			}
			pending = true;
		}
		if (!pending || waited)
			return -1;
		sl_rcu_synchronize();
		waited = true;
	}
}

int
sl_meters_bind(struct sl_actions *acts, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < acts->n && i < SL_MAX_ACTIONS; i++) {
		struct sl_action *a = &acts->a[i];
		int k;

		if (a->type != SL_ACT_METER)
			continue;
		k = meter_find(sl_action_u32(a));
		if (k < 0) {
			snprintf(err, errlen, "meter %u does not exist (add-meter adds it)",
				 sl_action_u32(a));
			return -ENOENT;
		}
		a->arg = (uint16_t)(SL_METER_SLOT_OF0 + k);
	}
	return 0;
}

static int
parse_mod(const Sluice__Request *req, struct sl_meter_spec *spec, char *err, size_t errlen)
{
	const char *text = req->add_meter->meter; /* the MeterMod members share storage */
	char msg[256], shown[SL_METER_TEXT_MAX];
	int rc;

	rc = sl_meter_parse(text, SL_METER_PARSE_MOD, spec, msg, sizeof(msg));
	if (rc == 0)
		rc = sl_meter_spec_check(spec, msg, sizeof(msg));
	if (rc < 0)
		snprintf(err, errlen, "%s in \"%s\"", msg, sl_printable(text, shown, sizeof(shown)));
	return rc;
}

/* Make meter @k what @spec says, buckets full, counters from zero. */
static int
meter_apply(unsigned int k, const struct sl_meter_spec *spec, char *err, size_t errlen)
{
	struct sl_meter_band_cfg cfg[SL_METER_MAX_BANDS];
	enum sl_meter_unit unit;
	unsigned int n = sl_meter_of_bands(spec, &unit, cfg);
	char id[48];

	if (sl_meter_config(meter_of(k), unit, cfg, n) < 0) {
		sl_meter_id_format(spec->id, '=', id, sizeof(id));
		snprintf(err, errlen, "%s: a band's rate or burst is out of range", id);
		return -EINVAL;
	}
	sl_meter_counters_sum(zone, SL_METER_SLOT_OF0 + k, &meters[k].base);
	meters[k].spec = *spec;
	return 0;
}

static int
h_add_meter(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	struct sl_meter_spec spec;
	int rc, k;

	(void)rep;
	rc = parse_mod(req, &spec, err, errlen);
	if (rc < 0)
		return rc;
	if (meter_find(spec.id) >= 0) {
		snprintf(err, errlen, "meter %u already exists (mod-meter changes it)", spec.id);
		return -EEXIST;
	}
	k = meter_alloc();
	if (k < 0) {
		snprintf(err, errlen, "no room for another meter (at most %d)", SL_MAX_METERS);
		return -ENOSPC;
	}
	rc = meter_apply((unsigned int)k, &spec, err, errlen);
	if (rc < 0)
		return rc;
	meters[k].id = spec.id;
	meters[k].created_ms = sl_now_ms();
	index_rebuild();
	return 0;
}
SL_REQ_HANDLER(sl_primary_handlers, ADD_METER, h_add_meter)

static int
h_mod_meter(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	struct sl_meter_spec spec;
	int rc, k;

	(void)rep;
	rc = parse_mod(req, &spec, err, errlen);
	if (rc < 0)
		return rc;
	k = meter_find(spec.id);
	if (k < 0) {
		snprintf(err, errlen, "meter %u does not exist (add-meter adds it)", spec.id);
		return -ENOENT;
	}
	return meter_apply((unsigned int)k, &spec, err, errlen);
}
SL_REQ_HANDLER(sl_primary_handlers, MOD_METER, h_mod_meter)

/* The meter id of a del-meters, dump-meters or meter-stats request. */
static int
parse_id(const Sluice__Request *req, uint32_t *id, char *err, size_t errlen)
{
	const char *text = req->del_meters->meter; /* the MeterMod members share storage */
	struct sl_meter_spec spec;
	char msg[256], shown[SL_METER_TEXT_MAX];
	int rc;

	rc = sl_meter_parse(text, SL_METER_PARSE_ID, &spec, msg, sizeof(msg));
	if (rc < 0) {
		snprintf(err, errlen, "%s in \"%s\"", msg, sl_printable(text, shown, sizeof(shown)));
		return rc;
	}
	*id = spec.id;
	return 0;
}

static bool
uses_deleted_meter(const struct sl_flow *f, void *ctx)
{
	return sl_actions_use_meter(&f->actions, *(const uint32_t *)ctx);
}

static int
h_del_meters(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	uint32_t id;
	int rc;

	rc = parse_id(req, &id, err, errlen);
	if (rc < 0)
		return rc;
	/* OpenFlow: deleting a meter that does not exist is no error. */
	if (id != SL_METER_ALL && meter_find(id) < 0)
		return 0;
	/* The flows go first, in one new classifier; the meters after. */
	rc = sl_flows_del_where(uses_deleted_meter, &id, &rep->n_changed, err, errlen);
	if (rc < 0)
		return rc;
	for (unsigned int k = 0; k < SL_MAX_METERS; k++) {
		if (meters[k].id == 0 || (id != SL_METER_ALL && meters[k].id != id))
			continue;
		sl_meter_config(meter_of(k), SL_METER_UNIT_BITS, NULL, 0);
		meters[k].id = 0;
		meters[k].free_token = rte_rcu_qsbr_start(sl_p.shm->qsbr);
	}
	index_rebuild();
	return 0;
}
SL_REQ_HANDLER(sl_primary_handlers, DEL_METERS, h_del_meters)

static int
cmp_meter(const void *a, const void *b)
{
	uint32_t x = meters[*(const unsigned int *)a].id, y = meters[*(const unsigned int *)b].id;

	return (x > y) - (x < y);
}

/* MeterInfo of meter @k into @mi (allocated as unpack would). */
static int
fill_info(Sluice__MeterInfo *mi, unsigned int k, uint32_t flow_count, uint64_t now)
{
	const struct of_meter *om = &meters[k];
	struct sl_meter_counters sum;
	char text[SL_METER_TEXT_MAX];

	sl_meter_counters_sum(zone, SL_METER_SLOT_OF0 + k, &sum);
	mi->id = om->id;
	sl_meter_format(&om->spec, false, text, sizeof(text));
	mi->text = strdup(text);
	mi->flow_count = flow_count;
	mi->packet_in_count = sum.packets - om->base.packets;
	mi->byte_in_count = sum.bytes - om->base.bytes;
	mi->duration_ms = now - om->created_ms;
	mi->bands = calloc(om->spec.n_bands ? om->spec.n_bands : 1, sizeof(*mi->bands));
	if (mi->text == NULL || mi->bands == NULL)
		return -ENOMEM;
	for (unsigned int b = 0; b < om->spec.n_bands; b++) {
		Sluice__MeterBandStats *bs = malloc(sizeof(*bs));

		if (bs == NULL)
			return -ENOMEM;
		sluice__meter_band_stats__init(bs);
		bs->packet_count = sum.band_packets[b] - om->base.band_packets[b];
		bs->byte_count = sum.band_bytes[b] - om->base.band_bytes[b];
		mi->bands[mi->n_bands++] = bs;
	}
	return 0;
}

/* dump-meters and meter-stats: the same reply; sluicectl prints what each asked for. */
static int
h_dump_meters(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	static uint32_t flow_count[SL_MAX_METERS];
	unsigned int pick[SL_MAX_METERS], n = 0;
	uint64_t now = sl_now_ms();
	uint32_t id;
	int rc;

	rc = parse_id(req, &id, err, errlen);
	if (rc < 0)
		return rc;
	if (id != SL_METER_ALL && meter_find(id) < 0) {
		snprintf(err, errlen, "meter %u does not exist", id);
		return -ENOENT;
	}
	for (unsigned int k = 0; k < SL_MAX_METERS; k++) {
		flow_count[k] = 0;
		if (meters[k].id != 0 && (id == SL_METER_ALL || meters[k].id == id))
			pick[n++] = k;
	}
	SL_FTABLE_FOREACH(i, &sl_p.flows) {
		const struct sl_actions *acts = &sl_ftable_rule(&sl_p.flows, i)->actions;

		for (unsigned int j = 0; j < acts->n; j++)
			if (acts->a[j].type == SL_ACT_METER &&
			    acts->a[j].arg >= SL_METER_SLOT_OF0)
				flow_count[acts->a[j].arg - SL_METER_SLOT_OF0]++;
	}
	qsort(pick, n, sizeof(pick[0]), cmp_meter);
	rep->meters = calloc(n ? n : 1, sizeof(*rep->meters));
	if (rep->meters == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < n; i++) {
		Sluice__MeterInfo *mi = malloc(sizeof(*mi));

		if (mi == NULL)
			return -ENOMEM;
		sluice__meter_info__init(mi);
		rep->meters[rep->n_meters++] = mi;
		if (fill_info(mi, pick[i], flow_count[pick[i]], now) < 0)
			return -ENOMEM;
	}
	return 0;
}
SL_REQ_HANDLER(sl_primary_handlers, DUMP_METERS, h_dump_meters)

static int
h_meter_stats(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	return h_dump_meters(req, rep, err, errlen);
}
SL_REQ_HANDLER(sl_primary_handlers, METER_STATS, h_meter_stats)
