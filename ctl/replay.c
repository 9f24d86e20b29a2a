/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bringing a primary to the DB's state.  A fresh primary knows nothing and
 * gets the whole DB (replay); a running one adopted after sluiced's own
 * restart gets only the differences, so that traffic sees no change where
 * there is none (reconcile).  Ports, their settings and the options are
 * walked through the tables of common/settings.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "flow_syntax.h"
#include "group_syntax.h"
#include "meter_syntax.h"

static void __attribute__((format(printf, 2, 3)))
replay_failed(struct sl_daemon *d, const char *fmt, ...)
{
	size_t used = strlen(d->replay_error);
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sl_log("replay: %s", msg);
	if (used < sizeof(d->replay_error) - 1)
		snprintf(d->replay_error + used, sizeof(d->replay_error) - used, "%s%s",
			 used ? "; " : "", msg);
}

/* Send @req; 0 or -1 (logged and recorded in replay_error). */
static int
replay_call(struct sl_daemon *d, Sluice__Request *req, int timeout_ms, const char *what)
{
	Sluice__Reply *rep;
	char err[512];
	int rc = 0;

	if (sl_primary_call(d, req, timeout_ms, &rep, err, sizeof(err)) < 0) {
		replay_failed(d, "%s: %s", what, err);
		return -1;
	}
	if (rep->status != 0) {
		replay_failed(d, "%s: %s", what, rep->error);
		rc = -1;
	}
	sluice__reply__free_unpacked(rep, NULL);
	return rc;
}

/* Settings of @vals that @pick selects, as "KEY=VALUE" into @kv, pointed to by @out. */
static size_t
settings_kv(const struct sl_values *vals, uint64_t pick, char **out,
	    char (*kv)[SL_VALUE_MAX + 64])
{
	size_t n = 0;

	for (size_t i = 0; i < sl_port_settings.n; i++)
		if (pick & (UINT64_C(1) << i)) {
			sl_values_kv(&sl_port_settings, vals, (int)i, kv[n], sizeof(kv[n]));
			out[n] = kv[n];
			n++;
		}
	return n;
}

static void
push_port(struct sl_daemon *d, const struct sl_db_port *p)
{
	static char kv[SL_MAX_SETTINGS][SL_VALUE_MAX + 64];
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__AddPort ap = SLUICE__ADD_PORT__INIT;
	Sluice__PortSpec ps = SLUICE__PORT_SPEC__INIT;
	char *settings[SL_MAX_SETTINGS], what[64];

	ps.name = (char *)p->name;
	ps.devargs = p->devargs;
	ps.ofport = p->ofport;
	ps.settings = settings;
	ps.n_settings = settings_kv(&p->settings, p->settings.given, settings, kv);
	ap.port = &ps;
	req.cmd_case = SLUICE__REQUEST__CMD_ADD_PORT;
	req.add_port = &ap;
	snprintf(what, sizeof(what), "port %s", p->name);
	replay_call(d, &req, SL_PRIMARY_TIMEOUT_MS, what);
}

static void
push_flows(struct sl_daemon *d)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__FlowMod fm = SLUICE__FLOW_MOD__INIT;
	char text[SL_FLOW_TEXT_MAX];
	uint32_t i;

	fm.flows = calloc(d->db.flows.n ? d->db.flows.n : 1, sizeof(char *));
	if (fm.flows == NULL) {
		replay_failed(d, "flows: out of memory");
		return;
	}
	SL_FTABLE_FOREACH(p, &d->db.flows) {
		sl_db_flow_text(sl_ftable_rule(&d->db.flows, p), text, sizeof(text));
		fm.flows[fm.n_flows] = sl_strdup(text);
		if (fm.flows[fm.n_flows] == NULL)
			break;
		fm.n_flows++;
	}
	req.cmd_case = SLUICE__REQUEST__CMD_REPLACE_FLOWS;
	req.replace_flows = &fm;
	if (fm.n_flows != d->db.flows.n)
		replay_failed(d, "flows: out of memory");
	else
		replay_call(d, &req, sl_timeout_for(fm.n_flows), "flows");
	for (i = 0; i < fm.n_flows; i++)
		free(fm.flows[i]);
	free(fm.flows);
}

static void
push_option(struct sl_daemon *d, int id)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__SetOption so = SLUICE__SET_OPTION__INIT;
	char what[128];

	so.key = (char *)sl_options.s[id].key;
	so.value = d->db.options.v[id];
	req.cmd_case = SLUICE__REQUEST__CMD_SET_OPTION;
	req.set_option = &so;
	snprintf(what, sizeof(what), "option %s", so.key);
	replay_call(d, &req, SL_PRIMARY_TIMEOUT_MS, what);
}

/* A meter request of case @cmd carrying @text. */
static void
push_meter(struct sl_daemon *d, Sluice__Request__CmdCase cmd, const char *text, const char *what)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__MeterMod mm = SLUICE__METER_MOD__INIT;

	mm.meter = (char *)text;
	req.cmd_case = cmd;
	req.add_meter = &mm; /* every MeterMod member shares the slot */
	replay_call(d, &req, SL_PRIMARY_TIMEOUT_MS, what);
}

/* Meters before flows: a flow naming a meter the primary lacks is refused. */
static void
replay_meters(struct sl_daemon *d)
{
	char text[SL_METER_TEXT_MAX], what[64];

	for (size_t i = 0; i < d->db.n_meters; i++) {
		sl_meter_format(&d->db.meters[i], false, text, sizeof(text));
		sl_meter_id_format(d->db.meters[i].id, ' ', what, sizeof(what));
		push_meter(d, SLUICE__REQUEST__CMD_ADD_METER, text, what);
	}
}

/* A group request of case @cmd carrying @text. */
static void
push_group(struct sl_daemon *d, Sluice__Request__CmdCase cmd, const char *text, uint32_t id)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__GroupMod gm = SLUICE__GROUP_MOD__INIT;
	char what[64];

	gm.group = (char *)text;
	req.cmd_case = cmd;
	req.add_group = &gm; /* every GroupMod member shares the slot */
	snprintf(what, sizeof(what), "group %u", id);
	replay_call(d, &req, SL_PRIMARY_TIMEOUT_MS, what);
}

/* Groups before flows: a flow naming a group the primary lacks is refused. */
static void
replay_groups(struct sl_daemon *d)
{
	char text[SL_GROUP_TEXT_MAX];

	for (size_t i = 0; i < d->db.n_groups; i++) {
		sl_group_format(&d->db.groups[i], text, sizeof(text));
		push_group(d, SLUICE__REQUEST__CMD_ADD_GROUP, text, d->db.groups[i].id);
	}
}

void
sl_replay(struct sl_daemon *d)
{
	d->replay_error[0] = '\0';
	/* What the last primary expired before it died stays expired. */
	sl_expiry_take(d);
	for (size_t i = 0; i < d->db.n_ports; i++)
		push_port(d, &d->db.ports[i]);
	replay_meters(d);
	replay_groups(d);
	if (d->db.flows.n > 0)
		push_flows(d);
	for (size_t i = 0; i < sl_options.n; i++)
		if (d->db.options.given & (UINT64_C(1) << i))
			push_option(d, (int)i);
	sl_log("replayed %zu ports, %u flows%s", d->db.n_ports, d->db.flows.n,
	       d->replay_error[0] ? " (with errors)" : "");
}

/* ---- reconcile ---- */

static const char *
map_get(Sluice__PortInfo__SettingsEntry **e, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(e[i]->key, key) == 0)
			return e[i]->value;
	return NULL;
}

static const Sluice__PortInfo *
port_info_find(const Sluice__Reply *rep, const char *name)
{
	for (size_t i = 0; i < rep->n_ports; i++)
		if (strcmp(rep->ports[i]->name, name) == 0)
			return rep->ports[i];
	return NULL;
}

/* Every setting whose value in force differs from the DB's is set again. */
static void
reconcile_port_settings(struct sl_daemon *d, const struct sl_db_port *p,
			const Sluice__PortInfo *pi)
{
	static char kv[SL_MAX_SETTINGS][SL_VALUE_MAX + 64];
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__SetPort sp = SLUICE__SET_PORT__INIT;
	char *settings[SL_MAX_SETTINGS];
	uint64_t differ = 0;

	for (size_t i = 0; i < sl_port_settings.n; i++) {
		const char *theirs = map_get(pi->settings, pi->n_settings, sl_port_settings.s[i].key);

		if (theirs == NULL || strcmp(theirs, p->settings.v[i]) != 0)
			differ |= UINT64_C(1) << i;
	}
	if (differ == 0)
		return;
	sp.name = (char *)p->name;
	sp.settings = settings;
	sp.n_settings = settings_kv(&p->settings, differ, settings, kv);
	req.cmd_case = SLUICE__REQUEST__CMD_SET_PORT;
	req.set_port = &sp;
	sl_log("reconcile: port %s: %zu settings differ", p->name, sp.n_settings);
	replay_call(d, &req, SL_PRIMARY_TIMEOUT_MS, p->name);
}

static void
reconcile_ports(struct sl_daemon *d, const Sluice__Reply *show)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__DelPort dp = SLUICE__DEL_PORT__INIT;

	/* The DB is the desired state: ports it does not know go. */
	for (size_t i = 0; i < show->n_ports; i++) {
		if (sl_db_port_find(&d->db, show->ports[i]->name) != NULL)
			continue;
		sl_log("reconcile: deleting port %s, which the DB does not have",
		       show->ports[i]->name);
		dp.name = show->ports[i]->name;
		req.cmd_case = SLUICE__REQUEST__CMD_DEL_PORT;
		req.del_port = &dp;
		replay_call(d, &req, SL_PRIMARY_TIMEOUT_MS, dp.name);
	}
	for (size_t i = 0; i < d->db.n_ports; i++) {
		const Sluice__PortInfo *pi = port_info_find(show, d->db.ports[i].name);

		if (pi == NULL) {
			sl_log("reconcile: adding missing port %s", d->db.ports[i].name);
			push_port(d, &d->db.ports[i]);
		} else {
			reconcile_port_settings(d, &d->db.ports[i], pi);
		}
	}
}

static void
reconcile_options(struct sl_daemon *d, const Sluice__Reply *show)
{
	for (size_t i = 0; i < sl_options.n; i++) {
		const char *theirs = NULL;

		for (size_t j = 0; j < show->n_options; j++)
			if (strcmp(show->options[j]->key, sl_options.s[i].key) == 0)
				theirs = show->options[j]->value;
		if (theirs == NULL || strcmp(theirs, d->db.options.v[i]) != 0)
			push_option(d, (int)i);
	}
}

/* The primary's meters made the DB's: missing ones added, changed ones modified, others deleted. */
static void
reconcile_meters(struct sl_daemon *d)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__MeterMod all = SLUICE__METER_MOD__INIT;
	char text[SL_METER_TEXT_MAX], what[64], err[256];
	Sluice__Reply *rep;

	all.meter = "";
	req.cmd_case = SLUICE__REQUEST__CMD_DUMP_METERS;
	req.dump_meters = &all;
	if (sl_primary_call(d, &req, SL_PRIMARY_TIMEOUT_MS, &rep, err, sizeof(err)) < 0) {
		replay_failed(d, "dump-meters: %s", err);
		return;
	}
	if (rep->status != 0) {
		replay_failed(d, "dump-meters: %s", rep->error);
		sluice__reply__free_unpacked(rep, NULL);
		return;
	}
	for (size_t i = 0; i < rep->n_meters; i++) {
		if (sl_db_meter_find(&d->db, rep->meters[i]->id) != NULL)
			continue;
		sl_meter_id_format(rep->meters[i]->id, '=', what, sizeof(what));
		sl_log("reconcile: deleting %s, which the DB does not have", what);
		push_meter(d, SLUICE__REQUEST__CMD_DEL_METERS, what, what);
	}
	for (size_t i = 0; i < d->db.n_meters; i++) {
		const Sluice__MeterInfo *theirs = NULL;

		for (size_t j = 0; j < rep->n_meters; j++)
			if (rep->meters[j]->id == d->db.meters[i].id)
				theirs = rep->meters[j];
		sl_meter_format(&d->db.meters[i], false, text, sizeof(text));
		sl_meter_id_format(d->db.meters[i].id, ' ', what, sizeof(what));
		if (theirs == NULL)
			push_meter(d, SLUICE__REQUEST__CMD_ADD_METER, text, what);
		else if (strcmp(theirs->text, text) != 0)
			push_meter(d, SLUICE__REQUEST__CMD_MOD_METER, text, what);
	}
	sluice__reply__free_unpacked(rep, NULL);
}

/*
 * The primary's groups made the DB's: before the flows, missing ones added
 * and changed ones modified (@del false); after them, the ones the DB does
 * not have deleted (@del true), once no flow uses them.
 */
static void
reconcile_groups(struct sl_daemon *d, bool del)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__GroupMod all = SLUICE__GROUP_MOD__INIT;
	char text[SL_GROUP_TEXT_MAX], err[256];
	Sluice__Reply *rep;

	all.group = "";
	req.cmd_case = SLUICE__REQUEST__CMD_DUMP_GROUPS;
	req.dump_groups = &all;
	if (sl_primary_call(d, &req, SL_PRIMARY_TIMEOUT_MS, &rep, err, sizeof(err)) < 0) {
		replay_failed(d, "dump-groups: %s", err);
		return;
	}
	if (rep->status != 0) {
		replay_failed(d, "dump-groups: %s", rep->error);
		sluice__reply__free_unpacked(rep, NULL);
		return;
	}
	for (size_t i = 0; del && i < rep->n_groups; i++) {
		if (sl_db_group_find(&d->db, rep->groups[i]->id) != NULL)
			continue;
		snprintf(text, sizeof(text), "group_id=%u", rep->groups[i]->id);
		sl_log("reconcile: deleting group %u, which the DB does not have", rep->groups[i]->id);
		push_group(d, SLUICE__REQUEST__CMD_DEL_GROUPS, text, rep->groups[i]->id);
	}
	for (size_t i = 0; !del && i < d->db.n_groups; i++) {
		const Sluice__GroupInfo *theirs = NULL;

		for (size_t j = 0; j < rep->n_groups; j++)
			if (rep->groups[j]->id == d->db.groups[i].id)
				theirs = rep->groups[j];
		sl_group_format(&d->db.groups[i], text, sizeof(text));
		if (theirs == NULL)
			push_group(d, SLUICE__REQUEST__CMD_ADD_GROUP, text, d->db.groups[i].id);
		else if (strcmp(theirs->text, text) != 0)
			push_group(d, SLUICE__REQUEST__CMD_MOD_GROUP, text, d->db.groups[i].id);
	}
	sluice__reply__free_unpacked(rep, NULL);
}

/* Flows are replaced only if the primary's set differs. */
static void
reconcile_flows(struct sl_daemon *d)
{
	Sluice__Reply *rep;
	struct sl_ftable theirs;
	struct sl_flow f;
	char err[256];
	bool parsed = true;

	rep = sl_ask_primary(d, SLUICE__REQUEST__CMD_DUMP_FLOWS, SL_PRIMARY_TIMEOUT_MS, err,
			     sizeof(err));
	if (rep == NULL) {
		replay_failed(d, "dump-flows: %s", err);
		return;
	}
	sl_ftable_init(&theirs);
	for (size_t i = 0; i < rep->n_flows && parsed; i++) {
		memset(&f, 0, sizeof(f));
		parsed = sl_flow_parse(rep->flows[i]->text, SL_PARSE_FLOW, NULL, NULL, &f, err,
				       sizeof(err)) == 0 &&
			 sl_ftable_add(&theirs, &f) >= 0;
	}
	if (!parsed || sl_ftable_diff(&d->db.flows, &theirs) != 0) {
		sl_log("reconcile: flows differ (DB %u, sluice-primary %zu): replacing", d->db.flows.n,
		       rep->n_flows);
		push_flows(d);
	}
	sl_ftable_fini(&theirs);
	sluice__reply__free_unpacked(rep, NULL);
}

void
sl_reconcile(struct sl_daemon *d)
{
	Sluice__Reply *show;
	char err[256];

	d->replay_error[0] = '\0';
	/* Expired while sluiced was away: not to be put back. */
	sl_expiry_take(d);
	show = sl_ask_primary(d, SLUICE__REQUEST__CMD_SHOW, SL_PRIMARY_TIMEOUT_MS, err,
			      sizeof(err));
	if (show != NULL) {
		reconcile_ports(d, show);
		reconcile_options(d, show);
		sluice__reply__free_unpacked(show, NULL);
	} else {
		replay_failed(d, "show: %s", err);
	}
	reconcile_meters(d);
	reconcile_groups(d, false);
	reconcile_flows(d);
	reconcile_groups(d, true);
	sl_log("reconciled with the running sluice-primary%s",
	       d->replay_error[0] ? " (with errors)" : "");
}
