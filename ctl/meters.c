/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluiced's rate-limiting requests: OpenFlow meters (add-meter, mod-meter,
 * del-meters) and qos-clear.  Each validates against the DB with the
 * checks the primary makes, forwards, and commits to the DB only what the
 * primary accepted.  Meters are kept in canonical text; deleting a meter
 * deletes the flows that use it, in the DB as in the primary.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "meter_syntax.h"


static int
store_meter(struct sl_daemon *d, const void *m)
{
	return sl_db_meter_set(&d->db, m);
}

/* add-meter (@add) and mod-meter. */
static Sluice__Reply *
meter_mod(struct sl_daemon *d, struct sl_call *call, bool add)
{
	Sluice__MeterMod *mm = call->req->add_meter;
	char err[512], text[SL_METER_TEXT_MAX], shown[SL_METER_TEXT_MAX];
	struct sl_meter_spec m;
	bool exists;

	if (sl_meter_parse(mm->meter, SL_METER_PARSE_MOD, &m, err, sizeof(err)) < 0 ||
	    sl_meter_spec_check(&m, err, sizeof(err)) < 0)
		return sl_reply_err(EINVAL, "%s in \"%s\"", err,
				    sl_printable(mm->meter, shown, sizeof(shown)));
	exists = sl_db_meter_find(&d->db, m.id) != NULL;
	if (add && exists)
		return sl_reply_err(EEXIST, "meter %u already exists (mod-meter changes it)", m.id);
	if (!add && !exists)
		return sl_reply_err(ENOENT, "meter %u does not exist (add-meter adds it)", m.id);
	/* The primary gets the meter as the DB will keep it. */
	sl_meter_format(&m, false, text, sizeof(text));
	return sl_forward_canonical(d, call, &mm->meter, text, store_meter, &m);
}

static Sluice__Reply *
h_add_meter(struct sl_daemon *d, struct sl_call *call)
{
	return meter_mod(d, call, true);
}
SL_REQ_HANDLER(sl_daemon_handlers, ADD_METER, h_add_meter)

static Sluice__Reply *
h_mod_meter(struct sl_daemon *d, struct sl_call *call)
{
	return meter_mod(d, call, false);
}
SL_REQ_HANDLER(sl_daemon_handlers, MOD_METER, h_mod_meter)

static Sluice__Reply *
h_del_meters(struct sl_daemon *d, struct sl_call *call)
{
	const char *given = call->req->del_meters->meter;
	char err[512], shown[SL_METER_TEXT_MAX];
	struct sl_meter_spec m;
	Sluice__Reply *rep;
	uint32_t removed;

	if (sl_meter_parse(given, SL_METER_PARSE_ID, &m, err, sizeof(err)) < 0)
		return sl_reply_err(EINVAL, "%s in \"%s\"", err,
				    sl_printable(given, shown, sizeof(shown)));
	rep = sl_forward(d, call->req, sl_timeout_for(d->db.flows.n));
	if (sl_accepted(rep)) {
		removed = sl_db_meters_del(&d->db, m.id);
		if (removed != rep->n_changed)
			sl_log("del-meters: the DB removed %u flows, sluice-primary %u", removed,
			       rep->n_changed);
		sl_commit_reply(d, rep);
	}
	return rep;
}
SL_REQ_HANDLER(sl_daemon_handlers, DEL_METERS, h_del_meters)

/* The settings qos-clear resets: the QoS record goes, as "ovs-vsctl clear Port NAME qos". */
static const int qos_settings[] = { SL_PS_QOS, SL_PS_CIR, SL_PS_CBS };

static Sluice__Reply *
h_qos_clear(struct sl_daemon *d, struct sl_call *call)
{
	const char *name = call->req->qos_clear->name;
	struct sl_db_port *p = sl_db_port_find(&d->db, name);
	struct sl_values next;
	char shown[96];
	Sluice__Reply *rep;

	if (p == NULL)
		return sl_reply_err(ENOENT, "no port \"%s\"", sl_printable(name, shown, sizeof(shown)));
	next = p->settings;
	for (size_t i = 0; i < sizeof(qos_settings) / sizeof(qos_settings[0]); i++) {
		int id = qos_settings[i];

		snprintf(next.v[id], sizeof(next.v[id]), "%s", sl_port_settings.s[id].def);
		next.given &= ~(UINT64_C(1) << id);
	}
	rep = sl_forward(d, call->req, SL_PRIMARY_TIMEOUT_MS);
	if (sl_accepted(rep)) {
		p->settings = next;
		sl_commit_reply(d, rep);
	}
	return rep;
}
SL_REQ_HANDLER(sl_daemon_handlers, QOS_CLEAR, h_qos_clear)
