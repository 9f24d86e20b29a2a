/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The requests sluicectl sends: each handler validates against the DB,
 * forwards to the primary, commits to the DB only what the primary
 * accepted, and replies.  Verbs that only pass through to the primary need
 * no handler here (common/verbs.h says which they are).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#include "daemon.h"
#include "flow_syntax.h"

sl_daemon_handler_fn sl_daemon_handlers[SL_CMD_SLOTS];

void
sl_commit_reply(struct sl_daemon *d, Sluice__Reply *rep)
{
	char err[512];

	if (sl_db_commit(&d->db, err, sizeof(err)) < 0) {
		sl_log("%s", err);
		sl_reply_set_error(rep, EIO, "applied to the switch but not saved: %s", err);
	}
}

bool
sl_accepted(const Sluice__Reply *rep)
{
	return rep != NULL && rep->status == 0;
}

Sluice__Reply *
sl_forward_canonical(struct sl_daemon *d, struct sl_call *call, char **field, char *canonical,
		     int (*store)(struct sl_daemon *d, const void *obj), const void *obj)
{
	char *given = *field;
	Sluice__Reply *rep;

	*field = canonical;
	rep = sl_forward(d, call->req, SL_PRIMARY_TIMEOUT_MS);
	*field = given;
	if (sl_accepted(rep)) {
		if (store(d, obj) < 0)
			sl_reply_set_error(rep, ENOMEM, "out of memory");
		else
			sl_commit_reply(d, rep);
	}
	return rep;
}

/* ---- show and worker-list: what the primary says, and what only we know ---- */

static void
daemon_info(struct sl_daemon *d, Sluice__Reply *rep)
{
	Sluice__DaemonInfo *di = malloc(sizeof(*di));

	if (di == NULL)
		return;
	sluice__daemon_info__init(di);
	di->sluiced_pid = getpid();
	sl_set_str(&di->rundir, d->rundir);
	sl_set_str(&di->db, d->db.path);
	di->primary_pid = d->primary.pid;
	di->primary_state = d->phase == SL_PRI_STARTING ? SLUICE__PROC_STATE__PROC_STARTING
							: sl_proc_pb_state(&d->primary);
	sl_set_str(&di->primary_reason, d->primary.reason);
	di->primary_restarts = d->primary.restarts;
	sl_set_str(&di->replay_error, d->replay_error);
	di->n_flows = d->db.flows.n;
	rep->daemon = di;
}

/* With the primary down, the DB says what should be. */
static void
show_from_db(struct sl_daemon *d, Sluice__Reply *rep)
{
	rep->ports = calloc(d->db.n_ports ? d->db.n_ports : 1, sizeof(*rep->ports));
	for (size_t i = 0; rep->ports != NULL && i < d->db.n_ports; i++) {
		const struct sl_db_port *p = &d->db.ports[i];
		Sluice__PortInfo *pi = malloc(sizeof(*pi));

		if (pi == NULL)
			break;
		sluice__port_info__init(pi);
		rep->ports[rep->n_ports++] = pi;
		sl_set_str(&pi->name, p->name);
		sl_set_str(&pi->devargs, p->devargs);
		pi->ofport = p->ofport;
		sl_port_info_settings(pi, &sl_port_settings, &p->settings);
	}
	sl_reply_options(rep, &sl_options, &d->db.options);
}

static Sluice__Reply *
h_show(struct sl_daemon *d, struct sl_call *call)
{
	Sluice__Reply *rep;

	if (d->phase == SL_PRI_UP) {
		rep = sl_forward(d, call->req, SL_PRIMARY_TIMEOUT_MS);
	} else {
		rep = sl_reply_new();
		if (rep != NULL)
			show_from_db(d, rep);
	}
	if (sl_accepted(rep)) {
		daemon_info(d, rep);
		sl_merge_workers(d, rep);
	}
	return rep;
}
SL_REQ_HANDLER(sl_daemon_handlers, SHOW, h_show)

static Sluice__Reply *
h_worker_list(struct sl_daemon *d, struct sl_call *call)
{
	Sluice__Reply *rep = d->phase == SL_PRI_UP
				     ? sl_forward(d, call->req, SL_PRIMARY_TIMEOUT_MS)
				     : sl_reply_new();

	if (sl_accepted(rep))
		sl_merge_workers(d, rep);
	return rep;
}
SL_REQ_HANDLER(sl_daemon_handlers, WORKER_LIST, h_worker_list)

/* ---- ports ---- */

/*
 * A port's devargs: the user's, or with type= other than dpdk, those the
 * type makes (and then the user gives none).
 */
static int
port_type_devargs(const struct sl_daemon *d, struct sl_db_port *p, const char *given, char *built,
		  size_t len, char *err, size_t errlen)
{
	const char *type = p->settings.v[SL_PS_TYPE];
	int rc = sl_port_type_devargs(p->name, &p->settings, d->rundir, built, len, err, errlen);

	if (rc < 0)
		return rc;
	if (built[0] != '\0' && given[0] != '\0') {
		snprintf(err, errlen, "type=%s makes its own devargs: give none (add-port %s type=%s)",
			 type, p->name, type);
		return -EINVAL;
	}
	if (built[0] == '\0' && given[0] == '\0') {
		snprintf(err, errlen, "no devargs: give DEVARGS, or type=dpdkvhostuser or "
				      "type=dpdkvhostuserclient vhost-server-path=PATH");
		return -EINVAL;
	}
	if (built[0] != '\0')
		p->devargs = built;
	return 0;
}

static Sluice__Reply *
h_add_port(struct sl_daemon *d, struct sl_call *call)
{
	Sluice__PortSpec *spec = call->req->add_port->port, fwd;
	char err[512], *given[SL_MAX_SETTINGS], kv[SL_MAX_SETTINGS][SL_VALUE_MAX + 64];
	char built[SL_DEVARGS_MAX];
	struct sl_db_port p;
	Sluice__Reply *rep;
	size_t i;

	if (strlen(spec->name) >= SL_PORT_NAME_LEN || sl_port_name_check(spec->name, err,
									 sizeof(err)) < 0)
		return sl_reply_err(EINVAL, "%s",
				    strlen(spec->name) >= SL_PORT_NAME_LEN
					    ? "port name longer than 31 characters"
					    : err);
	sl_db_port_init(&p, spec->name, spec->devargs);
	p.ofport = spec->ofport;
	for (i = 0; i < spec->n_settings; i++)
		if (sl_db_port_setting(&p, spec->settings[i], true, err, sizeof(err)) < 0)
			return sl_reply_err(EINVAL, "port \"%s\": %s", p.name, err);
	if (sl_values_check_all(&sl_port_settings, &p.settings, err, sizeof(err)) < 0)
		return sl_reply_err(EINVAL, "port \"%s\": %s", p.name, err);
	if (sl_bond_port_guard(&d->db, NULL, &p.settings, err, sizeof(err)) < 0)
		return sl_reply_err(EINVAL, "port \"%s\": %s", p.name, err);
	if (port_type_devargs(d, &p, spec->devargs, built, sizeof(built), err, sizeof(err)) < 0)
		return sl_reply_err(EINVAL, "port \"%s\": %s", p.name, err);
	if (sl_db_port_check(&d->db, &p, err, sizeof(err)) < 0)
		return sl_reply_err(EINVAL, "%s", err);
	if (sl_policy_check_devargs(&d->policy, p.devargs, err, sizeof(err)) < 0)
		return sl_reply_err(EPERM, "port \"%s\": %s", p.name, err);
	if (sl_vhost_socket_check(p.devargs, err, sizeof(err)) < 0)
		return sl_reply_err(EINVAL, "port \"%s\": %s", p.name, err);
	/* The primary gets the settings as the DB will keep them, canonical. */
	fwd = *spec;
	fwd.devargs = p.devargs;
	fwd.ofport = p.ofport;
	fwd.n_settings = 0;
	fwd.settings = given;
	for (i = 0; i < sl_port_settings.n; i++)
		if (p.settings.given & (UINT64_C(1) << i)) {
			sl_values_kv(&sl_port_settings, &p.settings, (int)i, kv[i], sizeof(kv[i]));
			given[fwd.n_settings++] = kv[i];
		}
	call->req->add_port->port = &fwd;
	rep = sl_forward(d, call->req, SL_PRIMARY_TIMEOUT_MS);
	call->req->add_port->port = spec;
	if (sl_accepted(rep)) {
		if (sl_db_port_add(&d->db, &p) < 0)
			sl_reply_set_error(rep, ENOMEM, "out of memory");
		else
			sl_commit_reply(d, rep);
		sl_log("added port %s ofport %u: %s", p.name, p.ofport, p.devargs);
	}
	return rep;
}
SL_REQ_HANDLER(sl_daemon_handlers, ADD_PORT, h_add_port)

static Sluice__Reply *
h_del_port(struct sl_daemon *d, struct sl_call *call)
{
	const char *name = call->req->del_port->name;
	char shown[96], err[512];
	Sluice__Reply *rep;

	if (sl_db_port_find(&d->db, name) == NULL)
		return sl_reply_err(ENOENT, "no port \"%s\"", sl_printable(name, shown, sizeof(shown)));
	if (sl_bond_port_guard(&d->db, name, NULL, err, sizeof(err)) < 0)
		return sl_reply_err(EINVAL, "%s", err);
	rep = sl_forward(d, call->req, SL_PRIMARY_TIMEOUT_MS);
	if (sl_accepted(rep)) {
		sl_db_port_del(&d->db, name);
		sl_commit_reply(d, rep);
		sl_log("deleted port %s", name);
	}
	return rep;
}
SL_REQ_HANDLER(sl_daemon_handlers, DEL_PORT, h_del_port)

static Sluice__Reply *
h_set_port(struct sl_daemon *d, struct sl_call *call)
{
	Sluice__SetPort *sp = call->req->set_port;
	struct sl_db_port *p = sl_db_port_find(&d->db, sp->name), next;
	char err[512], shown[96];
	Sluice__Reply *rep;
	int id;

	if (p == NULL)
		return sl_reply_err(ENOENT, "no port \"%s\"",
				    sl_printable(sp->name, shown, sizeof(shown)));
	if (sp->n_settings == 0)
		return sl_reply_err(EINVAL, "no KEY=VALUE settings for port \"%s\"", sp->name);
	/* All or nothing: every setting is checked before any is sent. */
	next = *p;
	for (size_t i = 0; i < sp->n_settings; i++) {
		id = sl_db_port_setting(&next, sp->settings[i], true, err, sizeof(err));
		if (id < 0)
			return sl_reply_err(EINVAL, "port \"%s\": %s", sp->name, err);
		if (!(sl_port_settings.s[id].flags & SL_SET_LIVE))
			return sl_reply_err(EINVAL,
					    "port \"%s\": %s can only be given at add-port: "
					    "delete and add the port again",
					    sp->name, sl_port_settings.s[id].key);
	}
	if (sl_values_check_all(&sl_port_settings, &next.settings, err, sizeof(err)) < 0 ||
	    sl_bond_set_check(&d->db, &next, err, sizeof(err)) < 0)
		return sl_reply_err(EINVAL, "port \"%s\": %s", sp->name, err);
	rep = sl_forward(d, call->req, SL_PRIMARY_TIMEOUT_MS);
	if (sl_accepted(rep)) {
		p->settings = next.settings;
		sl_commit_reply(d, rep);
	}
	return rep;
}
SL_REQ_HANDLER(sl_daemon_handlers, SET_PORT, h_set_port)

/* ---- flows ---- */

struct sl_batch {
	struct sl_flow *flows;       /* selectors and mods (SL_PARSE_MATCH, SL_PARSE_MOD) */
	struct sl_ftable_rec **recs; /* full flows (SL_PARSE_FLOW), each as the DB's table
				      * keeps it; NULL once the table took it */
	char **texts; /* what is sent to the primary */
	size_t n;
	bool borrowed; /* texts point into the request: not ours to free */
	/* A flow was refused, or memory ran out: nothing of the batch is left
	 * (the reply saying why can itself be NULL when memory ran out). */
	bool failed;
};

static void
batch_free(struct sl_batch *b)
{
	for (size_t i = 0; i < b->n && !b->borrowed; i++)
		free(b->texts[i]);
	free(b->texts);
	free(b->flows);
	for (size_t i = 0; b->recs != NULL && i < b->n; i++)
		free(b->recs[i]);
	free(b->recs);
	memset(b, 0, sizeof(*b));
}

/* Parse every flow (or match) of @fm; NULL, or a reply naming the bad one. */
/* Serve what waits on the socket as if a primary call were in progress. */
void
sl_api_serve_now(void *arg)
{
	struct sl_daemon *d = arg;

	zmq_pollitem_t pi = { .socket = d->sock, .events = ZMQ_POLLIN };

	if (d->sock != NULL && zmq_poll(&pi, 1, 0) > 0)
		sl_api_serve_waiting(d);
}

/* @b given up: freed and marked failed; @why is returned (NULL if even it found no memory). */
static Sluice__Reply *
batch_fail(struct sl_batch *b, Sluice__Reply *why)
{
	batch_free(b);
	b->failed = true;
	return why;
}

/* Room in @b for the flows of @fm; b->failed, and a reply saying why, if there is none. */
static Sluice__Reply *
batch_begin(const Sluice__FlowMod *fm, enum sl_flow_parse_mode mode, struct sl_batch *b)
{
	size_t room = fm->n_flows ? fm->n_flows : 1;

	memset(b, 0, sizeof(*b));
	/* Full flows are parsed one at a time into rules of their own size
	 * (about half a struct sl_flow): a million of them is then one copy,
	 * which the DB's table takes over, not two. */
	if (mode == SL_PARSE_FLOW)
		b->recs = calloc(room, sizeof(*b->recs));
	else
		b->flows = calloc(room, sizeof(*b->flows));
	b->texts = calloc(room, sizeof(*b->texts));
	if ((b->flows == NULL && b->recs == NULL) || b->texts == NULL)
		return batch_fail(b, sl_reply_err(ENOMEM, "out of memory for %zu flows", fm->n_flows));
	return NULL;
}

/*
 * Parse up to @count more flows (or matches) of @fm into @b, from b->n on;
 * NULL, or (b->failed, @b freed) a reply naming the bad one.
 */
static Sluice__Reply *
batch_step(struct sl_daemon *d, const Sluice__FlowMod *fm, enum sl_flow_parse_mode mode,
	   struct sl_batch *b, size_t count)
{
	char err[512], why[512], text[SL_FLOW_TEXT_MAX], shown[SL_FLOW_TEXT_MAX], line[1024];
	size_t end = fm->n_flows - b->n < count ? fm->n_flows : b->n + count;
	struct sl_flow one;

	for (size_t i = b->n; i < end; i++) {
		struct sl_flow *f = b->recs != NULL ? &one : &b->flows[i];

		if (sl_flow_parse(fm->flows[i], mode, sl_db_resolve_port, &d->db, f, err,
				  sizeof(err)) < 0) {
			/* The parser quotes the user's words: printable, as the flow is.
			 * In a batch the flow is named by its place, as the primary
			 * names those it refuses (sluicectl turns it into FILE:LINE). */
			sl_printable(err, why, sizeof(why));
			sl_printable(fm->flows[i], shown, sizeof(shown));
			sl_batch_error(line, sizeof(line), i, fm->n_flows, why, shown);
			return batch_fail(b, sl_reply_err(EINVAL, "%s", line));
		}
		/* Full flows go to the primary as the user wrote them: it has
		 * the same ports and the same parser, and formatting 100k flows
		 * here would cost as much as parsing them. */
		if (mode != SL_PARSE_MATCH) {
			/* The request outlives the batch: no copy of a million texts. */
			b->borrowed = true;
			b->texts[i] = fm->flows[i];
		} else {
			sl_selector_format(f, text, sizeof(text));
			b->texts[i] = sl_strdup(text);
		}
		b->n = i + 1;
		if (b->recs != NULL && (b->recs[i] = sl_ftable_rec_new(f)) == NULL)
			return batch_fail(b, sl_reply_err(ENOMEM, "out of memory for %zu flows",
							  fm->n_flows));
		if (b->texts[i] == NULL)
			return batch_fail(b, sl_reply_err(ENOMEM, "out of memory"));
	}
	return NULL;
}

/* Parse every flow (or match) of @fm; NULL, or (b->failed) a reply naming the bad one. */
static Sluice__Reply *
batch_parse(struct sl_daemon *d, const Sluice__FlowMod *fm, enum sl_flow_parse_mode mode,
	    struct sl_batch *b)
{
	Sluice__Reply *rep = batch_begin(fm, mode, b);

	/* A million flows take about half a second: reads keep being
	 * answered meanwhile (about every 4 ms). */
	while (!b->failed && b->n < fm->n_flows) {
		rep = batch_step(d, fm, mode, b, 8192);
		sl_api_serve_now(d);
	}
	return rep;
}

/* A batch of full flows parsed while the primary works on the same request. */
struct batch_job {
	struct sl_daemon *d;
	const Sluice__FlowMod *fm;
	struct sl_batch *b;
	Sluice__Reply *refusal; /* what our own parse found wrong, if anything */
};

/* One slice of the job: a few milliseconds, so that reads go on being served. */
static bool
batch_work(void *arg)
{
	struct batch_job *job = arg;

	if (job->b->failed || job->b->n == job->fm->n_flows)
		return false;
	job->refusal = batch_step(job->d, job->fm, SL_PARSE_FLOW, job->b, 2048);
	return !job->b->failed && job->b->n < job->fm->n_flows;
}

/* A FlowMod request carrying the batch's texts. */
static void
batch_request(Sluice__Request *req, Sluice__FlowMod *fm, Sluice__Request__CmdCase cmd,
	      const struct sl_batch *b, bool strict)
{
	sluice__request__init(req);
	sluice__flow_mod__init(fm);
	fm->n_flows = b->n;
	fm->flows = b->texts;
	fm->strict = strict;
	req->cmd_case = cmd;
	/* The three FlowMod members of the oneof share storage. */
	req->add_flows = fm;
}

/* replace-flows in the DB: its table takes the batch's rules over. */
static int
db_replace(struct sl_daemon *d, struct sl_batch *b)
{
	struct sl_ftable_edit e;

	if (sl_ftable_edit_replace_recs(&d->db.flows, b->recs, (uint32_t)b->n, &e) < 0)
		return -ENOMEM;
	sl_ftable_edit_done(&e);
	memset(b->recs, 0, b->n * sizeof(*b->recs));
	return 0;
}

/* Add to the DB's table in slices, answering reads between them (200k
 * flows take a quarter of a second); reserved first, so all or nothing. */
static int
db_add(struct sl_daemon *d, struct sl_batch *b)
{
	enum { SLICE = 8192 };
	uint32_t n = (uint32_t)b->n;

	if (sl_ftable_reserve(&d->db.flows, n) < 0)
		return -ENOMEM;
	for (uint32_t k = 0; k < n; k += SLICE) {
		uint32_t m = n - k < SLICE ? n - k : SLICE;

		if (sl_ftable_add_recs(&d->db.flows, b->recs + k, m) < 0)
			return -ENOMEM; /* cannot happen: reserved */
		memset(b->recs + k, 0, m * sizeof(*b->recs));
		sl_api_serve_now(d);
	}
	return 0;
}

/*
 * add-flows and replace-flows: the primary parses and applies the request
 * while we parse it for the DB (the two processes side by side: a
 * million flows cost the longer of the two, not their sum), then the DB
 * takes with @apply what the primary took.  Both parse with the same
 * parser and the same ports, so both refuse the same bad flow, and ours
 * is the error the user sees (their text made printable); should ours
 * refuse what the primary took, the primary is brought back to the DB.
 */
static Sluice__Reply *
flows_change(struct sl_daemon *d, const Sluice__FlowMod *in, Sluice__Request__CmdCase cmd,
	     int (*apply)(struct sl_daemon *, struct sl_batch *))
{
	Sluice__Request fwd;
	Sluice__FlowMod fm;
	struct sl_batch b;
	struct batch_job job = { .d = d, .fm = in, .b = &b };
	Sluice__Reply *rep;

	/* Adding nothing changes nothing; replacing with nothing empties. */
	if (in->n_flows == 0 && cmd == SLUICE__REQUEST__CMD_ADD_FLOWS)
		return sl_reply_new();
	rep = batch_begin(in, SL_PARSE_FLOW, &b);
	if (b.failed)
		return rep;
	/* With no primary to ask, bad input is still named as such. */
	if (d->phase != SL_PRI_UP) {
		while (batch_work(&job))
			sl_api_serve_now(d);
		if (b.failed)
			return job.refusal;
		batch_free(&b);
		return sl_primary_unavailable(d);
	}
	sluice__request__init(&fwd);
	sluice__flow_mod__init(&fm);
	fm.n_flows = in->n_flows;
	fm.flows = in->flows;
	fwd.cmd_case = cmd;
	fwd.add_flows = &fm; /* the FlowMod members of the oneof share storage */
	rep = sl_forward_while(d, &fwd, sl_timeout_for(in->n_flows + d->db.flows.n), batch_work,
			       &job);
	/* An early answer (a refusal) leaves the rest of our parse to do. */
	while (batch_work(&job))
		sl_api_serve_now(d);
	if (b.failed) {
		if (sl_accepted(rep)) {
			sl_log("%s: sluice-primary took flows the DB refuses (%s): bringing it back "
			       "to the DB",
			       sl_request_name(&fwd),
			       job.refusal != NULL ? job.refusal->error : "out of memory");
			d->needs_reconcile = true;
		}
		sluice__reply__free_unpacked(rep, NULL);
		return job.refusal;
	}
	if (sl_accepted(rep)) {
		sl_expiry_take(d); /* what expired before this change came */
		if (apply(d, &b) < 0)
			sl_reply_set_error(rep, ENOMEM, "out of memory");
		else
			sl_commit_reply(d, rep);
	}
	batch_free(&b);
	return rep;
}

static Sluice__Reply *
h_add_flows(struct sl_daemon *d, struct sl_call *call)
{
	return flows_change(d, call->req->add_flows, SLUICE__REQUEST__CMD_ADD_FLOWS,
			    db_add);
}
SL_REQ_HANDLER(sl_daemon_handlers, ADD_FLOWS, h_add_flows)

static Sluice__Reply *
h_replace_flows(struct sl_daemon *d, struct sl_call *call)
{
	return flows_change(d, call->req->replace_flows, SLUICE__REQUEST__CMD_REPLACE_FLOWS,
			    db_replace);
}
SL_REQ_HANDLER(sl_daemon_handlers, REPLACE_FLOWS, h_replace_flows)

static Sluice__Reply *
h_del_flows(struct sl_daemon *d, struct sl_call *call)
{
	bool strict = call->req->del_flows->strict;
	uint32_t removed = 0;
	Sluice__Request fwd;
	Sluice__FlowMod fm;
	struct sl_batch b;
	Sluice__Reply *rep;

	rep = batch_parse(d, call->req->del_flows, SL_PARSE_MATCH, &b);
	if (b.failed)
		return rep;
	/* An empty list deletes every flow (del-flows without a match). */
	batch_request(&fwd, &fm, SLUICE__REQUEST__CMD_DEL_FLOWS, &b, strict && b.n > 0);
	rep = sl_forward(d, &fwd, sl_timeout_for(d->db.flows.n));
	if (sl_accepted(rep)) {
		struct sl_ftable_edit e;

		sl_expiry_take(d);
		if (b.n == 0) {
			removed = sl_ftable_clear(&d->db.flows);
		} else if (sl_ftable_edit_del(&d->db.flows, b.flows, (uint32_t)b.n, strict, &e) == 0) {
			removed = e.n_removed;
			sl_ftable_edit_done(&e);
		} else {
			sl_reply_set_error(rep, ENOMEM, "out of memory");
		}
		if (removed != rep->n_changed)
			sl_log("del-flows: the DB removed %u flows, sluice-primary %u", removed,
			       rep->n_changed);
		sl_commit_reply(d, rep);
	}
	batch_free(&b);
	return rep;
}
SL_REQ_HANDLER(sl_daemon_handlers, DEL_FLOWS, h_del_flows)

/* mod-flows: the DB computes the very change the primary made (sl_ftable_mod). */
static Sluice__Reply *
h_mod_flows(struct sl_daemon *d, struct sl_call *call)
{
	bool strict = call->req->mod_flows->strict;
	struct sl_flow *result = NULL;
	uint32_t n_result, n_selected;
	Sluice__Request fwd;
	Sluice__FlowMod fm;
	struct sl_batch b;
	Sluice__Reply *rep;

	rep = batch_parse(d, call->req->mod_flows, SL_PARSE_MOD, &b);
	if (b.failed)
		return rep;
	batch_request(&fwd, &fm, SLUICE__REQUEST__CMD_MOD_FLOWS, &b, strict);
	rep = sl_forward(d, &fwd, sl_timeout_for(b.n + d->db.flows.n));
	if (sl_accepted(rep)) {
		sl_expiry_take(d);
		if (sl_ftable_mod(&d->db.flows, b.flows, (uint32_t)b.n, strict, &result, &n_result,
				  &n_selected) < 0 ||
		    sl_ftable_add_batch(&d->db.flows, result, n_result) < 0)
			sl_reply_set_error(rep, ENOMEM, "out of memory");
		else
			sl_commit_reply(d, rep);
		if (result != NULL && n_result != rep->n_changed)
			sl_log("mod-flows: the DB changed %u flows, sluice-primary %u", n_result,
			       rep->n_changed);
		free(result);
	}
	batch_free(&b);
	return rep;
}
SL_REQ_HANDLER(sl_daemon_handlers, MOD_FLOWS, h_mod_flows)

/* ---- options, workers, the instance ---- */

static Sluice__Reply *
h_set_option(struct sl_daemon *d, struct sl_call *call)
{
	Sluice__SetOption *so = call->req->set_option;
	Sluice__SetOption canon = *so;
	char kv[SL_VALUE_MAX + 128], err[512];
	struct sl_values next = d->db.options;
	Sluice__Reply *rep;
	int id;

	snprintf(kv, sizeof(kv), "%s=%s", so->key, so->value);
	id = sl_values_set_kv(&sl_options, &next, kv, err, sizeof(err));
	if (id < 0 || sl_values_check_all(&sl_options, &next, err, sizeof(err)) < 0 ||
	    (id == SL_OPT_PMD_CPU_MASK && sl_pmds_check(&next, err, sizeof(err)) < 0))
		return sl_reply_err(EINVAL, "%s", err);
	canon.value = next.v[id];
	call->req->set_option = &canon;
	rep = sl_forward(d, call->req, SL_PRIMARY_TIMEOUT_MS);
	call->req->set_option = so;
	if (sl_accepted(rep)) {
		d->db.options = next;
		sl_commit_reply(d, rep);
		if (id == SL_OPT_PMD_CPU_MASK)
			sl_pmds_changed(d); /* start and stop workers as the primary says */
	}
	return rep;
}
SL_REQ_HANDLER(sl_daemon_handlers, SET_OPTION, h_set_option)

/* An operator's restart: a planned hand-over if the worker runs, else a fresh start. */
static Sluice__Reply *
h_worker_restart(struct sl_daemon *d, struct sl_call *call)
{
	unsigned int id = call->req->worker_restart->id;

	if (call->req->worker_restart->all)
		id = 0;
	else if (id >= d->n_workers || !d->slot_on[id])
		return sl_reply_err(ENOENT, "no worker %u (see worker-list)", id);
	if (d->phase != SL_PRI_UP)
		return sl_primary_unavailable(d);
	return sl_handover_from(d, id, call);
}
SL_REQ_HANDLER(sl_daemon_handlers, WORKER_RESTART, h_worker_restart)

static Sluice__Reply *
h_shutdown(struct sl_daemon *d, struct sl_call *call)
{
	Sluice__Reply *rep = NULL;
	char err[512];

	sl_log("shutdown requested");
	if (d->phase == SL_PRI_UP &&
	    sl_msg_call(d->zctx, d->primary_ep, call->req, &rep, 10000, err, sizeof(err)) < 0)
		sl_log("shutdown: %s", err);
	if (rep != NULL && rep->status != 0)
		sl_log("shutdown: sluice-primary says: %s", rep->error);
	if (rep != NULL)
		sluice__reply__free_unpacked(rep, NULL);
	sl_stop_everything(d);
	d->quit = true;
	return sl_reply_new();
}
SL_REQ_HANDLER(sl_daemon_handlers, SHUTDOWN, h_shutdown)

/* ---- dispatch ---- */

static Sluice__Reply *
h_hello(struct sl_daemon *d, const Sluice__Request *req)
{
	Sluice__Reply *rep = sl_reply_new();
	Sluice__Hello *h = malloc(sizeof(*h));

	(void)d, (void)req;
	if (rep == NULL || h == NULL) {
		free(h);
		return rep;
	}
	sluice__hello__init(h);
	sl_set_str(&h->role, "sluiced");
	h->pid = getpid();
	rep->hello = h;
	return rep;
}

int
sl_api_check(char *err, size_t errlen)
{
	for (size_t i = 0; i < SL_N_VERBS; i++) {
		const struct sl_verb *v = &sl_verbs[i];

		if ((v->flags & (SL_VERB_PERSIST | SL_VERB_DAEMON)) && sl_daemon_handlers[v->cmd] == NULL) {
			snprintf(err, errlen, "verb %s has no sluiced handler", v->name);
			return -1;
		}
	}
	return 0;
}

Sluice__Reply *
sl_api_handle(struct sl_daemon *d, struct sl_call *call)
{
	const Sluice__Request *req = call->req;
	const struct sl_verb *v = sl_verb_of_cmd(req->cmd_case);

	if (req->internal_case == SLUICE__REQUEST__INTERNAL_HELLO &&
	    req->cmd_case == SLUICE__REQUEST__CMD__NOT_SET)
		return h_hello(d, req);
	if (req->internal_case != SLUICE__REQUEST__INTERNAL__NOT_SET)
		return sl_reply_err(EPERM, "%s is sluice-primary's, not accepted from clients",
				    sl_request_name(req));
	if (v == NULL)
		return sl_reply_err(EOPNOTSUPP, "sluiced does not know request %d", req->cmd_case);
	/* protobuf allows a oneof member without its message; every member is a pointer here */
	if (req->show == NULL ||
	    (req->cmd_case == SLUICE__REQUEST__CMD_ADD_PORT && req->add_port->port == NULL))
		return sl_reply_err(EINVAL, "%s: empty request", v->name);
	if (sl_daemon_handlers[req->cmd_case] != NULL)
		return sl_daemon_handlers[req->cmd_case](d, call);
	if (v->flags & SL_VERB_PRIMARY)
		return sl_forward(d, call->req, SL_PRIMARY_TIMEOUT_MS);
	return sl_reply_err(EOPNOTSUPP, "%s: not handled by sluiced", v->name);
}

static void
reply_and_free(struct sl_daemon *d, struct sl_call *call, Sluice__Reply *rep)
{
	const char *name = call->req != NULL ? sl_request_name(call->req) : "request";

	if (rep == NULL) {
		rep = sl_reply_err(ENOMEM, "sluiced is out of memory");
		if (rep == NULL)
			goto out;
	}
	if (sl_msg_send_routed(d->sock, &call->peer, rep) < 0)
		sl_log("%s: cannot send the reply", name);
	if (rep->status != 0)
		sl_log("%s: %s", name, rep->error);
	sluice__reply__free_unpacked(rep, NULL);
out:
	if (call->req != NULL)
		sluice__request__free_unpacked(call->req, NULL);
	call->req = NULL;
}


static void keep(struct sl_daemon *d, struct sl_call *call);

/* Handle @call now, or queue it behind a change in progress. */
static void
dispatch(struct sl_daemon *d, struct sl_call *call)
{
	Sluice__Reply *rep;

	if (d->handover.active && !sl_request_is(call->req, SL_VERB_READ)) {
		keep(d, call);
		return;
	}
	rep = sl_api_handle(d, call);
	if (rep != SL_DEFERRED)
		sl_call_finish(d, call, rep);
}

void
sl_api_drain(struct sl_daemon *d)
{
	while (!d->handover.active && !d->serving && d->n_queued > 0 && !d->quit) {
		struct sl_call next = d->queued[0];

		memmove(&d->queued[0], &d->queued[1], (d->n_queued - 1) * sizeof(next));
		d->n_queued--;
		dispatch(d, &next);
	}
}

void
sl_call_finish(struct sl_daemon *d, struct sl_call *call, Sluice__Reply *rep)
{
	reply_and_free(d, call, rep);
	sl_api_drain(d);
}


/* Keep @call for later, in arrival order; answered at once (EBUSY) when the queue is full. */
static void
keep(struct sl_daemon *d, struct sl_call *call)
{
	if (d->n_queued == SL_MAX_QUEUED) {
		reply_and_free(d, call, sl_reply_err(EBUSY, "sluiced has %u requests waiting: "
							    "try again", SL_MAX_QUEUED));
		return;
	}
	d->queued[d->n_queued++] = *call;
}

void
sl_api_serve_waiting(void *arg)
{
	struct sl_daemon *d = arg;
	char err[512];

	if (d->serving || d->restoring)
		return;
	d->serving = true;
	for (int i = 0; i < 16 && !d->quit; i++) {
		struct sl_call call = { 0 };
		int rc = sl_msg_recv_routed(d->sock, ZMQ_DONTWAIT, &call.peer, &call.req, err,
					    sizeof(err));

		if (rc == -EAGAIN || rc == -EINTR)
			break;
		if (rc < 0) {
			reply_and_free(d, &call, sl_reply_err(-rc, "%s", err));
			continue;
		}
		/* What the primary's read thread answers goes now; the rest
		 * (changes above all) waits its turn behind what is running. */
		if (sl_request_is(call.req, SL_VERB_ANYTIME))
			reply_and_free(d, &call, sl_api_handle(d, &call));
		else
			keep(d, &call);
	}
	d->serving = false;
}

void
sl_api_serve(struct sl_daemon *d)
{
	char err[512];
	unsigned int v;

	for (int i = 0; i < 16 && !d->quit; i++) {
		struct sl_call call = { 0 };
		int rc = sl_msg_recv_routed(d->sock, ZMQ_DONTWAIT, &call.peer, &call.req, err,
					    sizeof(err));

		if (rc == -EAGAIN || rc == -EINTR)
			return;
		if (rc < 0) {
			sl_log("bad request: %s", err);
			if (rc == -EPROTO &&
			    sscanf(err, "version mismatch: client speaks %u", &v) == 1)
				snprintf(err, sizeof(err),
					 "version mismatch: sluicectl speaks %u, sluiced speaks %u", v,
					 SL_PROTO_VERSION);
			reply_and_free(d, &call, sl_reply_err(-rc, "%s", err));
			continue;
		}
		dispatch(d, &call);
	}
}
