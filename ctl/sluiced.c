/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluiced: the control daemon of one sluice instance.  It keeps the desired
 * configuration in the config DB, answers sluicectl on
 * ipc://RUNDIR/sluiced.sock, pushes every change to sluice-primary (and
 * commits it to the DB only once the primary accepted it), and supervises
 * the primary and the workers: starts them, restarts whichever dies, and
 * replays the DB to a fresh primary.  It is not on the data path: when it
 * is down, forwarding goes on, and a restarted sluiced adopts what runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "db.h"
#include "flow_syntax.h"
#include "msg.h"
#include "supervise.h"
#include "util.h"

#define SL_POLL_MS 100             /* main loop tick: reaping and restarts */
#define SL_PRIMARY_TIMEOUT_MS 5000 /* one request to the primary */
#define SL_HELLO_WAIT_MS 20000     /* a starting primary must answer Hello by then */
#define SL_WATCH_ADOPTED_MS 200    /* worker_list poll when some workers are not our children */
#define SL_WATCH_MS 1000           /* worker_list poll otherwise (hung workers) */
#define SL_MAX_CPUS 256

/* The primary: 100 ms doubling to 5 s; 10 ends within 60 s and we stop trying. */
static const struct sl_restart_policy sl_primary_policy = { 100, 5000, 10, 60000 };
/* A worker: same back-off; 5 crashes within 30 s is a crash loop. */
static const struct sl_restart_policy sl_worker_policy = { 100, 5000, 5, 30000 };

enum sl_pri_phase {
	SL_PRI_DOWN,     /* not running: see primary.state */
	SL_PRI_STARTING, /* spawned, waiting for its Hello */
	SL_PRI_UP,       /* answered and has the DB's configuration */
};

struct sl_daemon {
	/* options */
	const char *rundir;
	char *db_path;
	unsigned int n_workers;
	int cpus[SL_MAX_CPUS];
	unsigned int n_cpus;
	char **eal_args;
	unsigned int n_eal_args;
	char **primary_args; /* appended to the primary's own options */
	unsigned int n_primary_args;
	char primary_bin[PATH_MAX];
	char worker_bin[PATH_MAX];
	bool detach;

	/* state */
	void *zctx;
	void *sock;
	char ctl_ep[PATH_MAX + 16];
	char primary_ep[PATH_MAX + 16];
	struct sl_db db;
	struct sl_proc primary;
	enum sl_pri_phase phase;
	uint64_t hello_deadline_ms;
	uint64_t next_hello_ms;
	struct sl_proc workers[SL_MAX_WORKERS];
	uint64_t next_watch_ms;
	char replay_error[512];
	int ready_fd; /* --detach: tells the waiting parent how start-up went */
	int log_fd;
	bool quit;
};

static volatile sig_atomic_t sl_signalled;

/* ---- logging ---- */

static struct sl_daemon *sl_log_daemon;

static void __attribute__((format(printf, 1, 2)))
sl_log(const char *fmt, ...)
{
	char msg[1024], stamp[32];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	if (sl_log_daemon != NULL && sl_log_daemon->log_fd >= 0)
		dprintf(sl_log_daemon->log_fd, "%s.%03ld sluiced[%d]: %s\n", stamp,
			ts.tv_nsec / 1000000, getpid(), msg);
	if (sl_log_daemon == NULL || !sl_log_daemon->detach)
		fprintf(stderr, "sluiced: %s\n", msg);
}

/* Start-up failure: log, tell a waiting --detach parent, exit. */
static void __attribute__((noreturn, format(printf, 2, 3)))
sl_fatal(struct sl_daemon *d, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (d->log_fd >= 0)
		sl_log("%s", msg);
	if (d->ready_fd >= 0) {
		dprintf(d->ready_fd, "E%s", msg);
		close(d->ready_fd);
	} else if (d->log_fd < 0 || d->detach) {
		fprintf(stderr, "sluiced: %s\n", msg);
	}
	exit(1);
}

static void
sl_notify_ready(struct sl_daemon *d, const char *failure)
{
	if (d->ready_fd < 0)
		return;
	if (failure != NULL)
		dprintf(d->ready_fd, "E%s", failure);
	else if (write(d->ready_fd, "R", 1) < 0)
		sl_log("cannot notify the starting process: %s", strerror(errno));
	close(d->ready_fd);
	d->ready_fd = -1;
}

/* ---- replies ---- */

static Sluice__Reply *
reply_new(void)
{
	Sluice__Reply *rep = malloc(sizeof(*rep));

	if (rep != NULL)
		sluice__reply__init(rep);
	return rep;
}

static Sluice__Reply * __attribute__((format(printf, 2, 3)))
reply_err(int status, const char *fmt, ...)
{
	Sluice__Reply *rep = reply_new();
	char msg[1024];
	va_list ap;

	if (rep == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sl_reply_set_error(rep, status, "%s", msg);
	return rep;
}

/* Replace a string field of an unpacked or built message (both use malloc). */
static void
set_str(char **field, const char *s)
{
	char *copy = sl_strdup(s);

	if (copy == NULL)
		return;
	if (*field != NULL && *field != protobuf_c_empty_string)
		free(*field);
	*field = copy;
}

/* ---- talking to the primary ---- */

static bool
cmd_is_read_only(Sluice__Request__CmdCase c)
{
	switch (c) {
	case SLUICE__REQUEST__CMD_SHOW:
	case SLUICE__REQUEST__CMD_DUMP_FLOWS:
	case SLUICE__REQUEST__CMD_DUMP_PORTS:
	case SLUICE__REQUEST__CMD_PMD_STATS_SHOW:
	case SLUICE__REQUEST__CMD_PMD_RXQ_SHOW:
	case SLUICE__REQUEST__CMD_WORKER_LIST:
	case SLUICE__REQUEST__CMD_MEMPOOL_SHOW:
	case SLUICE__REQUEST__CMD_HELLO:
		return true;
	default:
		return false;
	}
}

/*
 * One request to the primary.  A read-only request is retried once on a
 * fresh connection; a change is retried only when it surely never arrived
 * (a timeout might mean the primary applied it and was slow to answer).
 */
static int
primary_call(struct sl_daemon *d, Sluice__Request *req, int timeout_ms, Sluice__Reply **rep,
	     char *err, size_t errlen)
{
	int rc;

	rc = sl_msg_call(d->zctx, d->primary_ep, req, rep, timeout_ms, err, errlen);
	if (rc < 0 && (rc != -ETIMEDOUT || cmd_is_read_only(req->cmd_case)))
		rc = sl_msg_call(d->zctx, d->primary_ep, req, rep, timeout_ms, err, errlen);
	return rc;
}

/* Why requests cannot reach the primary now, as a reply. */
static Sluice__Reply *
primary_unavailable(struct sl_daemon *d)
{
	if (d->primary.state == SL_PROC_FAILED)
		return reply_err(EHOSTDOWN, "sluice-primary is not running: %s", d->primary.reason);
	if (d->phase == SL_PRI_STARTING)
		return reply_err(EAGAIN, "sluice-primary is starting: try again");
	return reply_err(EAGAIN, "sluice-primary is not running (last exit: %s); restarting, try again",
			 d->primary.last_exit[0] ? d->primary.last_exit : "none");
}

static int
timeout_for(size_t n_flows)
{
	/* Big batches take the primary longer than one round trip. */
	return SL_PRIMARY_TIMEOUT_MS + (int)(n_flows / 20);
}

/* Forward @req; the primary's reply, or a reply saying why there is none. */
static Sluice__Reply *
forward(struct sl_daemon *d, Sluice__Request *req, int timeout_ms)
{
	Sluice__Reply *rep;
	char err[512];

	if (d->phase != SL_PRI_UP)
		return primary_unavailable(d);
	if (primary_call(d, req, timeout_ms, &rep, err, sizeof(err)) < 0) {
		sl_log("%s: no answer from sluice-primary: %s", sl_msg_cmd_name(req), err);
		return reply_err(ETIMEDOUT, "no answer from sluice-primary: %s%s", err,
				 cmd_is_read_only(req->cmd_case) ? "" : " (the DB is unchanged)");
	}
	return rep;
}

/* Fire-and-forget notice to the primary; failures only logged. */
static void
primary_notify(struct sl_daemon *d, Sluice__Request *req)
{
	Sluice__Reply *rep = NULL;
	char err[512];

	if (d->phase != SL_PRI_UP)
		return;
	if (sl_msg_call(d->zctx, d->primary_ep, req, &rep, 1000, err, sizeof(err)) < 0)
		sl_log("%s: %s", sl_msg_cmd_name(req), err);
	else if (rep->status != 0)
		sl_log("%s: sluice-primary says: %s", sl_msg_cmd_name(req), rep->error);
	if (rep != NULL)
		sluice__reply__free_unpacked(rep, NULL);
}

static void
worker_event(struct sl_daemon *d, unsigned int id, pid_t pid, const char *event)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__WorkerEvent ev = SLUICE__WORKER_EVENT__INIT;

	ev.id = id;
	ev.pid = pid;
	ev.event = (char *)event;
	req.cmd_case = SLUICE__REQUEST__CMD_WORKER_EVENT;
	req.worker_event = &ev;
	primary_notify(d, &req);
}

/* Commit a change the primary accepted; a save failure is the user's business too. */
static void
db_commit(struct sl_daemon *d, Sluice__Reply *rep)
{
	char err[512];

	if (sl_db_save(&d->db, err, sizeof(err)) < 0) {
		sl_log("%s", err);
		sl_reply_set_error(rep, EIO, "applied to the switch but not saved: %s", err);
	}
}

/* ---- flows in requests ---- */

struct sl_batch {
	struct sl_flow *flows;
	char **texts; /* what is sent to the primary */
	size_t n;
};

static void
batch_free(struct sl_batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		free(b->texts[i]);
	free(b->texts);
	free(b->flows);
	memset(b, 0, sizeof(*b));
}

/* Parse every flow (or match) of @fm; NULL, or a reply naming the bad one. */
static Sluice__Reply *
batch_parse(struct sl_daemon *d, const Sluice__FlowMod *fm, enum sl_flow_parse_mode mode,
	    struct sl_batch *b)
{
	char err[512], text[SL_FLOW_TEXT_MAX];
	size_t i;

	memset(b, 0, sizeof(*b));
	b->flows = calloc(fm->n_flows ? fm->n_flows : 1, sizeof(*b->flows));
	b->texts = calloc(fm->n_flows ? fm->n_flows : 1, sizeof(*b->texts));
	if (b->flows == NULL || b->texts == NULL) {
		batch_free(b);
		return reply_err(ENOMEM, "out of memory for %zu flows", fm->n_flows);
	}
	for (i = 0; i < fm->n_flows; i++) {
		struct sl_flow *f = &b->flows[i];

		if (sl_flow_parse(fm->flows[i], mode, sl_db_resolve_port, &d->db, f, err,
				  sizeof(err)) < 0) {
			batch_free(b);
			return reply_err(EINVAL, "%s in \"%s\"", err, fm->flows[i]);
		}
		/* Full flows go to the primary as the user wrote them: it has
		 * the same ports and the same parser, and formatting 100k flows
		 * here would cost as much as parsing them. */
		if (mode == SL_PARSE_FLOW) {
			b->texts[i] = sl_strdup(fm->flows[i]);
		} else {
			sl_match_format(&f->match, f->priority, text, sizeof(text));
			b->texts[i] = sl_strdup(text);
		}
		b->n = i + 1;
		if (b->texts[i] == NULL) {
			batch_free(b);
			return reply_err(ENOMEM, "out of memory");
		}
	}
	return NULL;
}

/* A FlowMod request carrying the batch's canonical texts. */
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

/* ---- handlers: validate, forward, commit, reply ---- */

typedef Sluice__Reply *(*sl_handler_fn)(struct sl_daemon *d, Sluice__Request *req);

static Sluice__Reply *
h_forward(struct sl_daemon *d, Sluice__Request *req)
{
	return forward(d, req, SL_PRIMARY_TIMEOUT_MS);
}

static void
daemon_info(struct sl_daemon *d, Sluice__Reply *rep)
{
	Sluice__DaemonInfo *di = malloc(sizeof(*di));

	if (di == NULL)
		return;
	sluice__daemon_info__init(di);
	di->sluiced_pid = getpid();
	set_str(&di->rundir, d->rundir);
	set_str(&di->db, d->db.path);
	di->primary_pid = d->primary.pid;
	set_str(&di->primary_state, d->phase == SL_PRI_STARTING ? "starting"
							       : sl_proc_state_name(&d->primary));
	set_str(&di->primary_reason, d->primary.reason);
	di->primary_restarts = d->primary.restarts;
	set_str(&di->replay_error, d->replay_error);
	di->n_flows = d->db.flows.n;
	rep->daemon = di;
}

static Sluice__WorkerInfo *
worker_info_find(Sluice__Reply *rep, unsigned int id)
{
	size_t i;

	for (i = 0; i < rep->n_workers; i++)
		if (rep->workers[i]->id == id)
			return rep->workers[i];
	return NULL;
}

static Sluice__WorkerInfo *
worker_info_append(Sluice__Reply *rep, unsigned int id)
{
	Sluice__WorkerInfo **arr, *wi = malloc(sizeof(*wi));

	arr = realloc(rep->workers, (rep->n_workers + 1) * sizeof(*arr));
	if (wi == NULL || arr == NULL) {
		free(wi);
		if (arr != NULL)
			rep->workers = arr;
		return NULL;
	}
	sluice__worker_info__init(wi);
	wi->id = id;
	rep->workers = arr;
	rep->workers[rep->n_workers++] = wi;
	return wi;
}

/* Add what only sluiced knows: restart counts, crash loops, workers the primary did not list. */
static void
merge_workers(struct sl_daemon *d, Sluice__Reply *rep)
{
	unsigned int i;

	for (i = 0; i < d->n_workers; i++) {
		struct sl_proc *w = &d->workers[i];
		Sluice__WorkerInfo *wi = worker_info_find(rep, i);

		if (wi == NULL) {
			wi = worker_info_append(rep, i);
			if (wi == NULL)
				return;
			wi->pid = w->pid;
			wi->lcore = i + 1;
			set_str(&wi->state, sl_proc_state_name(w));
		}
		if (w->restarts > wi->restarts)
			wi->restarts = w->restarts;
		if (w->state == SL_PROC_FAILED || w->state == SL_PROC_BACKOFF) {
			set_str(&wi->state, sl_proc_state_name(w));
			set_str(&wi->reason, w->reason);
		}
	}
}

static void
show_from_db(struct sl_daemon *d, Sluice__Reply *rep)
{
	size_t i;

	rep->ports = calloc(d->db.n_ports ? d->db.n_ports : 1, sizeof(*rep->ports));
	for (i = 0; rep->ports != NULL && i < d->db.n_ports; i++) {
		const struct sl_db_port *p = &d->db.ports[i];
		Sluice__PortInfo *pi = malloc(sizeof(*pi));

		if (pi == NULL)
			break;
		sluice__port_info__init(pi);
		set_str(&pi->name, p->name);
		set_str(&pi->devargs, p->devargs);
		pi->ofport = p->ofport;
		pi->n_rxq = p->n_rxq;
		pi->mtu = p->mtu;
		rep->ports[rep->n_ports++] = pi;
	}
	rep->options = calloc(d->db.n_options ? d->db.n_options : 1, sizeof(*rep->options));
	for (i = 0; rep->options != NULL && i < d->db.n_options; i++) {
		Sluice__Reply__OptionsEntry *e = malloc(sizeof(*e));

		if (e == NULL)
			break;
		sluice__reply__options_entry__init(e);
		set_str(&e->key, d->db.options[i].key);
		set_str(&e->value, d->db.options[i].value);
		rep->options[rep->n_options++] = e;
	}
}

/* show works with the primary down too: then the DB says what should be. */
static Sluice__Reply *
h_show(struct sl_daemon *d, Sluice__Request *req)
{
	Sluice__Reply *rep;

	if (d->phase == SL_PRI_UP) {
		rep = forward(d, req, SL_PRIMARY_TIMEOUT_MS);
	} else {
		rep = reply_new();
		if (rep != NULL)
			show_from_db(d, rep);
	}
	if (rep != NULL && rep->status == 0) {
		daemon_info(d, rep);
		merge_workers(d, rep);
	}
	return rep;
}

static Sluice__Reply *
h_worker_list(struct sl_daemon *d, Sluice__Request *req)
{
	Sluice__Reply *rep = d->phase == SL_PRI_UP ? forward(d, req, SL_PRIMARY_TIMEOUT_MS)
						   : reply_new();

	if (rep != NULL && rep->status == 0)
		merge_workers(d, rep);
	return rep;
}

static Sluice__Reply *
h_add_port(struct sl_daemon *d, Sluice__Request *req)
{
	Sluice__PortSpec *spec = req->add_port->port, fwd;
	struct sl_db_port p = { 0 };
	Sluice__Reply *rep;
	char err[512];

	if (spec == NULL || spec->name == NULL)
		return reply_err(EINVAL, "add_port without a port");
	if (strlen(spec->name) >= sizeof(p.name))
		return reply_err(EINVAL, "port name \"%s\" is longer than %d characters", spec->name,
				 SL_PORT_NAME_LEN - 1);
	strcpy(p.name, spec->name);
	p.devargs = spec->devargs;
	p.ofport = spec->ofport;
	p.n_rxq = spec->n_rxq;
	p.mtu = spec->mtu;
	if (sl_db_port_check(&d->db, &p, err, sizeof(err)) < 0)
		return reply_err(EINVAL, "%s", err);
	/* sluiced picks the defaults so the primary and the DB agree on them. */
	fwd = *spec;
	fwd.ofport = p.ofport;
	fwd.n_rxq = p.n_rxq;
	fwd.mtu = p.mtu;
	req->add_port->port = &fwd;
	rep = forward(d, req, SL_PRIMARY_TIMEOUT_MS);
	req->add_port->port = spec;
	if (rep != NULL && rep->status == 0) {
		if (sl_db_port_add(&d->db, &p) < 0)
			sl_reply_set_error(rep, ENOMEM, "out of memory");
		else
			db_commit(d, rep);
		sl_log("added port %s ofport %u: %s", p.name, p.ofport, p.devargs);
	}
	return rep;
}

static Sluice__Reply *
h_del_port(struct sl_daemon *d, Sluice__Request *req)
{
	const char *name = req->del_port->name;
	Sluice__Reply *rep;

	if (sl_db_port_find(&d->db, name) == NULL)
		return reply_err(ENOENT, "no port \"%s\"", name);
	rep = forward(d, req, SL_PRIMARY_TIMEOUT_MS);
	if (rep != NULL && rep->status == 0) {
		sl_db_port_del(&d->db, name);
		db_commit(d, rep);
		sl_log("deleted port %s", name);
	}
	return rep;
}

static Sluice__Reply *
h_set_port(struct sl_daemon *d, Sluice__Request *req)
{
	Sluice__SetPort *sp = req->set_port;
	struct sl_db_port *p = sl_db_port_find(&d->db, sp->name);
	Sluice__Reply *rep;
	char err[512];
	size_t i;

	if (p == NULL)
		return reply_err(ENOENT, "no port \"%s\"", sp->name);
	if (sp->n_settings == 0)
		return reply_err(EINVAL, "no KEY=VALUE settings for port \"%s\"", sp->name);
	for (i = 0; i < sp->n_settings; i++)
		if (sl_db_port_setting(p, sp->settings[i], false, err, sizeof(err)) < 0)
			return reply_err(EINVAL, "port \"%s\": %s", sp->name, err);
	rep = forward(d, req, SL_PRIMARY_TIMEOUT_MS);
	if (rep != NULL && rep->status == 0) {
		for (i = 0; i < sp->n_settings; i++)
			sl_db_port_setting(p, sp->settings[i], true, err, sizeof(err));
		db_commit(d, rep);
	}
	return rep;
}

/* sl_ftable_replace returns a count; flows_change wants 0 or -errno. */
static int
db_replace(struct sl_ftable *t, const struct sl_flow *flows, uint32_t n)
{
	return sl_ftable_replace(t, flows, n) < 0 ? -ENOMEM : 0;
}

/*
 * add-flows and replace-flows: parse everything, forward, and apply to the
 * DB with @apply only what the primary accepted.
 */
static Sluice__Reply *
flows_change(struct sl_daemon *d, const Sluice__FlowMod *in, Sluice__Request__CmdCase cmd,
	     int (*apply)(struct sl_ftable *, const struct sl_flow *, uint32_t))
{
	Sluice__Request fwd;
	Sluice__FlowMod fm;
	struct sl_batch b;
	Sluice__Reply *rep;

	rep = batch_parse(d, in, SL_PARSE_FLOW, &b);
	if (rep != NULL)
		return rep;
	/* Adding nothing changes nothing; replacing with nothing empties. */
	if (b.n == 0 && cmd == SLUICE__REQUEST__CMD_ADD_FLOWS) {
		batch_free(&b);
		return reply_new();
	}
	batch_request(&fwd, &fm, cmd, &b, false);
	rep = forward(d, &fwd, timeout_for(b.n + d->db.flows.n));
	if (rep != NULL && rep->status == 0) {
		if (apply(&d->db.flows, b.flows, (uint32_t)b.n) < 0)
			sl_reply_set_error(rep, ENOMEM, "out of memory");
		else
			db_commit(d, rep);
	}
	batch_free(&b);
	return rep;
}

static Sluice__Reply *
h_add_flows(struct sl_daemon *d, Sluice__Request *req)
{
	return flows_change(d, req->add_flows, SLUICE__REQUEST__CMD_ADD_FLOWS,
			    sl_ftable_add_batch);
}

static Sluice__Reply *
h_del_flows(struct sl_daemon *d, Sluice__Request *req)
{
	bool strict = req->del_flows->strict;
	uint32_t removed = 0;
	Sluice__Request fwd;
	Sluice__FlowMod fm;
	struct sl_batch b;
	Sluice__Reply *rep;
	size_t i;

	rep = batch_parse(d, req->del_flows, SL_PARSE_MATCH, &b);
	if (rep != NULL)
		return rep;
	/* An empty list deletes every flow (del-flows without a match). */
	batch_request(&fwd, &fm, SLUICE__REQUEST__CMD_DEL_FLOWS, &b, strict && b.n > 0);
	rep = forward(d, &fwd, timeout_for(d->db.flows.n));
	if (rep != NULL && rep->status == 0) {
		if (b.n == 0)
			removed = sl_ftable_clear(&d->db.flows);
		for (i = 0; i < b.n; i++)
			removed += sl_ftable_del(&d->db.flows, &b.flows[i].match, b.flows[i].priority,
						 strict);
		if (removed != rep->n_changed)
			sl_log("del-flows: the DB removed %u flows, sluice-primary %u", removed,
			       rep->n_changed);
		db_commit(d, rep);
	}
	batch_free(&b);
	return rep;
}

static Sluice__Reply *
h_replace_flows(struct sl_daemon *d, Sluice__Request *req)
{
	return flows_change(d, req->replace_flows, SLUICE__REQUEST__CMD_REPLACE_FLOWS,
			    db_replace);
}

static Sluice__Reply *
h_set_option(struct sl_daemon *d, Sluice__Request *req)
{
	Sluice__SetOption *so = req->set_option;
	Sluice__Reply *rep;
	char err[512];

	if (sl_db_check_option(so->key, so->value, err, sizeof(err)) < 0)
		return reply_err(EINVAL, "%s", err);
	rep = forward(d, req, SL_PRIMARY_TIMEOUT_MS);
	if (rep != NULL && rep->status == 0) {
		if (sl_db_option_set(&d->db, so->key, so->value) < 0)
			sl_reply_set_error(rep, ENOMEM, "out of memory");
		else
			db_commit(d, rep);
	}
	return rep;
}

static void worker_start(struct sl_daemon *d, unsigned int id);
static void worker_spawn(struct sl_daemon *d, unsigned int id, unsigned int lcore_id,
			 bool takeover);

/* The primary's view of worker @id: pid, lcore and state. */
static int
worker_info(struct sl_daemon *d, unsigned int id, int *pid, unsigned int *lcore, char *state,
	    size_t statelen)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__Empty e = SLUICE__EMPTY__INIT;
	Sluice__Reply *rep;
	char err[256];
	int rc = -ENOENT;

	req.cmd_case = SLUICE__REQUEST__CMD_WORKER_LIST;
	req.worker_list = &e;
	if (sl_msg_call(d->zctx, d->primary_ep, &req, &rep, 1000, err, sizeof(err)) < 0)
		return -EAGAIN;
	for (size_t i = 0; rep->status == 0 && i < rep->n_workers; i++) {
		if (rep->workers[i]->id != id)
			continue;
		*pid = rep->workers[i]->pid;
		*lcore = rep->workers[i]->lcore;
		snprintf(state, statelen, "%s", rep->workers[i]->state);
		rc = 0;
	}
	sluice__reply__free_unpacked(rep, NULL);
	return rc;
}

/*
 * A planned restart that loses nothing: the replacement attaches beside the
 * running worker (on the slot's other lcore id) and takes its queues over
 * the moment the old one lets go; the old one then exits by itself.
 * Returns 0 once the replacement forwards, or -errno with the old worker
 * still in place (or gone, if it died meanwhile).
 */
static int
planned_restart(struct sl_daemon *d, unsigned int id)
{
	struct sl_proc *w = &d->workers[id];
	unsigned int lcore = 0, alt;
	pid_t old = w->pid, repl;
	char state[32];
	int pid = 0, st;

	if (worker_info(d, id, &pid, &lcore, state, sizeof(state)) < 0 || pid != old ||
	    strcmp(state, "running") != 0)
		return -ENOENT;
	alt = lcore == id + 1 ? id + 1 + SL_MAX_WORKERS : id + 1;
	sl_proc_forgive(w);
	worker_spawn(d, id, alt, true);
	if (w->state != SL_PROC_RUNNING) {
		w->pid = old; /* nothing started: the old one carries on */
		w->state = SL_PROC_RUNNING;
		return -ECHILD;
	}
	repl = w->pid;
	for (int i = 0; i < 1000; i++) {
		if (waitpid(repl, &st, WNOHANG) == repl) {
			sl_log("worker %u: replacement pid %d exited before taking over", id,
			       (int)repl);
			w->pid = old;
			w->state = SL_PROC_RUNNING;
			return -ECHILD;
		}
		if (worker_info(d, id, &pid, &lcore, state, sizeof(state)) == 0 && pid == repl &&
		    strcmp(state, "running") == 0) {
			sl_log("worker %u: pid %d took over from pid %d (planned restart)", id,
			       (int)repl, (int)old);
			worker_event(d, id, old, "exited");
			return 0;
		}
		usleep(10000);
	}
	sl_log("worker %u: replacement pid %d did not take over in 10 s", id, (int)repl);
	kill(repl, SIGKILL);
	waitpid(repl, NULL, 0);
	w->pid = old;
	w->state = SL_PROC_RUNNING;
	return -ETIMEDOUT;
}

/* An operator's restart: no back-off, and a crash loop is forgiven. */
static Sluice__Reply *
h_worker_restart(struct sl_daemon *d, Sluice__Request *req)
{
	unsigned int id = req->worker_restart->id;
	struct sl_proc *w;
	pid_t old;

	if (id >= d->n_workers)
		return reply_err(ENOENT, "no worker %u (this instance has %u)", id, d->n_workers);
	if (d->phase != SL_PRI_UP)
		return primary_unavailable(d);
	w = &d->workers[id];
	old = w->pid;
	if (old > 0 && sl_proc_alive(old) && planned_restart(d, id) == 0)
		return reply_new();
	if (old > 0 && sl_proc_stop(w, 1000) < 0)
		return reply_err(EBUSY, "worker %u (pid %d) would not die", id, (int)old);
	if (old > 0) {
		sl_log("worker %u (pid %d) stopped for restart", id, (int)old);
		worker_event(d, id, old, "exited");
	}
	sl_proc_forgive(w);
	worker_start(d, id);
	if (w->state != SL_PROC_RUNNING)
		return reply_err(ECHILD, "worker %u: %s", id, w->reason);
	return reply_new();
}

static void stop_everything(struct sl_daemon *d);

static Sluice__Reply *
h_shutdown(struct sl_daemon *d, Sluice__Request *req)
{
	Sluice__Reply *rep = NULL;
	char err[512];

	sl_log("shutdown requested");
	if (d->phase == SL_PRI_UP &&
	    sl_msg_call(d->zctx, d->primary_ep, req, &rep, 10000, err, sizeof(err)) < 0)
		sl_log("shutdown: %s", err);
	if (rep != NULL && rep->status != 0)
		sl_log("shutdown: sluice-primary says: %s", rep->error);
	if (rep != NULL)
		sluice__reply__free_unpacked(rep, NULL);
	stop_everything(d);
	d->quit = true;
	return reply_new();
}

static Sluice__Reply *
h_hello(struct sl_daemon *d, Sluice__Request *req)
{
	Sluice__Reply *rep = reply_new();
	Sluice__Hello *h;

	(void)d;
	(void)req;
	h = malloc(sizeof(*h));
	if (rep == NULL || h == NULL) {
		free(h);
		return rep;
	}
	sluice__hello__init(h);
	set_str(&h->role, "sluiced");
	h->pid = getpid();
	rep->hello = h;
	return rep;
}

static Sluice__Reply *
h_not_for_us(struct sl_daemon *d, Sluice__Request *req)
{
	(void)d;
	return reply_err(EOPNOTSUPP, "%s is for sluice-primary, not sluiced", sl_msg_cmd_name(req));
}

static const sl_handler_fn sl_handlers[] = {
	[SLUICE__REQUEST__CMD_SHOW] = h_show,
	[SLUICE__REQUEST__CMD_ADD_PORT] = h_add_port,
	[SLUICE__REQUEST__CMD_DEL_PORT] = h_del_port,
	[SLUICE__REQUEST__CMD_SET_PORT] = h_set_port,
	[SLUICE__REQUEST__CMD_ADD_FLOWS] = h_add_flows,
	[SLUICE__REQUEST__CMD_DEL_FLOWS] = h_del_flows,
	[SLUICE__REQUEST__CMD_REPLACE_FLOWS] = h_replace_flows,
	[SLUICE__REQUEST__CMD_DUMP_FLOWS] = h_forward,
	[SLUICE__REQUEST__CMD_DUMP_PORTS] = h_forward,
	[SLUICE__REQUEST__CMD_PMD_STATS_SHOW] = h_forward,
	[SLUICE__REQUEST__CMD_PMD_STATS_CLEAR] = h_forward,
	[SLUICE__REQUEST__CMD_PMD_RXQ_SHOW] = h_forward,
	[SLUICE__REQUEST__CMD_WORKER_LIST] = h_worker_list,
	[SLUICE__REQUEST__CMD_WORKER_RESTART] = h_worker_restart,
	[SLUICE__REQUEST__CMD_SHUTDOWN] = h_shutdown,
	[SLUICE__REQUEST__CMD_HELLO] = h_hello,
	[SLUICE__REQUEST__CMD_SET_OPTION] = h_set_option,
	[SLUICE__REQUEST__CMD_WORKER_EVENT] = h_not_for_us,
	[SLUICE__REQUEST__CMD_MEMPOOL_SHOW] = h_forward,
};

/* A message the payload of which is missing cannot be handled (protobuf allows it). */
static bool
request_complete(const Sluice__Request *req)
{
	switch (req->cmd_case) {
	case SLUICE__REQUEST__CMD_ADD_PORT:
		return req->add_port != NULL && req->add_port->port != NULL;
	default:
		/* Every member of the oneof is a message pointer at the same place. */
		return req->show != NULL;
	}
}

static void
serve_one(struct sl_daemon *d)
{
	Sluice__Request *req;
	Sluice__Reply *rep;
	char err[512];
	unsigned int v;
	size_t c;
	int rc;

	rc = sl_msg_recv_request(d->sock, ZMQ_DONTWAIT, &req, err, sizeof(err));
	if (rc == -EAGAIN || rc == -EINTR)
		return;
	if (rc < 0) {
		sl_log("bad request: %s", err);
		if (rc == -EPROTO && sscanf(err, "version mismatch: client speaks %u", &v) == 1)
			sl_msg_reply_error(d->sock, EPROTO,
					   "version mismatch: sluicectl speaks %u, sluiced speaks %u",
					   v, SL_PROTO_VERSION);
		else
			sl_msg_reply_error(d->sock, -rc, "%s", err);
		return;
	}
	c = (size_t)req->cmd_case;
	if (c >= sizeof(sl_handlers) / sizeof(sl_handlers[0]) || sl_handlers[c] == NULL)
		rep = reply_err(EOPNOTSUPP, "sluiced does not know command %zu", c);
	else if (!request_complete(req))
		rep = reply_err(EINVAL, "%s: empty request", sl_msg_cmd_name(req));
	else
		rep = sl_handlers[c](d, req);
	if (rep == NULL)
		sl_msg_reply_error(d->sock, ENOMEM, "sluiced is out of memory");
	else if (sl_msg_send_reply(d->sock, rep) < 0)
		sl_log("%s: cannot send the reply", sl_msg_cmd_name(req));
	if (rep != NULL && rep->status != 0)
		sl_log("%s: %s", sl_msg_cmd_name(req), rep->error);
	if (rep != NULL)
		sluice__reply__free_unpacked(rep, NULL);
	sluice__request__free_unpacked(req, NULL);
}

/* ---- bringing a primary to the DB's state ---- */

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

/* Send @req during replay/reconcile; 0 or -1 (already logged and recorded). */
static int
replay_call(struct sl_daemon *d, Sluice__Request *req, int timeout_ms, const char *what,
	    Sluice__Reply **out)
{
	Sluice__Reply *rep;
	char err[512];

	if (primary_call(d, req, timeout_ms, &rep, err, sizeof(err)) < 0) {
		replay_failed(d, "%s: %s", what, err);
		return -1;
	}
	if (rep->status != 0) {
		replay_failed(d, "%s: %s", what, rep->error);
		sluice__reply__free_unpacked(rep, NULL);
		return -1;
	}
	if (out != NULL)
		*out = rep;
	else
		sluice__reply__free_unpacked(rep, NULL);
	return 0;
}

static void
push_port(struct sl_daemon *d, const struct sl_db_port *p)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__AddPort ap = SLUICE__ADD_PORT__INIT;
	Sluice__PortSpec ps = SLUICE__PORT_SPEC__INIT;
	Sluice__SetPort sp = SLUICE__SET_PORT__INIT;
	char what[64];

	ps.name = (char *)p->name;
	ps.devargs = p->devargs;
	ps.ofport = p->ofport;
	ps.n_rxq = p->n_rxq;
	ps.mtu = p->mtu;
	ap.port = &ps;
	req.cmd_case = SLUICE__REQUEST__CMD_ADD_PORT;
	req.add_port = &ap;
	snprintf(what, sizeof(what), "port %s", p->name);
	if (replay_call(d, &req, SL_PRIMARY_TIMEOUT_MS, what, NULL) < 0 || p->n_extra == 0)
		return;
	sp.name = (char *)p->name;
	sp.n_settings = p->n_extra;
	sp.settings = p->extra;
	req.cmd_case = SLUICE__REQUEST__CMD_SET_PORT;
	req.set_port = &sp;
	replay_call(d, &req, SL_PRIMARY_TIMEOUT_MS, what, NULL);
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
	for (i = 0; i < d->db.flows.n; i++) {
		sl_db_flow_text(&d->db.flows.flows[i], text, sizeof(text));
		fm.flows[i] = sl_strdup(text);
		if (fm.flows[i] == NULL)
			break;
		fm.n_flows++;
	}
	req.cmd_case = SLUICE__REQUEST__CMD_REPLACE_FLOWS;
	req.replace_flows = &fm;
	if (fm.n_flows != d->db.flows.n)
		replay_failed(d, "flows: out of memory");
	else
		replay_call(d, &req, timeout_for(fm.n_flows), "flows", NULL);
	for (i = 0; i < fm.n_flows; i++)
		free(fm.flows[i]);
	free(fm.flows);
}

static void
push_option(struct sl_daemon *d, const struct sl_db_option *o)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__SetOption so = SLUICE__SET_OPTION__INIT;
	char what[128];

	so.key = o->key;
	so.value = o->value;
	req.cmd_case = SLUICE__REQUEST__CMD_SET_OPTION;
	req.set_option = &so;
	snprintf(what, sizeof(what), "option %s", o->key);
	replay_call(d, &req, SL_PRIMARY_TIMEOUT_MS, what, NULL);
}

/* A fresh primary knows nothing: give it the whole DB. */
static void
replay(struct sl_daemon *d)
{
	size_t i;

	d->replay_error[0] = '\0';
	for (i = 0; i < d->db.n_ports; i++)
		push_port(d, &d->db.ports[i]);
	if (d->db.flows.n > 0)
		push_flows(d);
	for (i = 0; i < d->db.n_options; i++)
		push_option(d, &d->db.options[i]);
	sl_log("replayed %zu ports, %u flows, %zu options%s", d->db.n_ports, d->db.flows.n,
	       d->db.n_options, d->replay_error[0] ? " (with errors)" : "");
}

static Sluice__Reply *
ask_primary(struct sl_daemon *d, Sluice__Request__CmdCase cmd, const char *what)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__Empty e = SLUICE__EMPTY__INIT;
	Sluice__Reply *rep = NULL;

	req.cmd_case = cmd;
	req.show = &e; /* every Empty member of the oneof shares this slot */
	if (replay_call(d, &req, SL_PRIMARY_TIMEOUT_MS, what, &rep) < 0)
		return NULL;
	return rep;
}

static const Sluice__PortInfo *
port_info_find(const Sluice__Reply *rep, const char *name)
{
	size_t i;

	for (i = 0; i < rep->n_ports; i++)
		if (strcmp(rep->ports[i]->name, name) == 0)
			return rep->ports[i];
	return NULL;
}

static void
reconcile_port_settings(struct sl_daemon *d, const struct sl_db_port *p,
			const Sluice__PortInfo *pi)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__SetPort sp = SLUICE__SET_PORT__INIT;
	char mtu[32], rxq[32], *settings[2];

	snprintf(mtu, sizeof(mtu), "mtu=%u", p->mtu);
	snprintf(rxq, sizeof(rxq), "n_rxq=%u", p->n_rxq);
	if (pi->mtu != p->mtu)
		settings[sp.n_settings++] = mtu;
	if (pi->n_rxq != p->n_rxq)
		settings[sp.n_settings++] = rxq;
	if (sp.n_settings == 0)
		return;
	sp.name = (char *)p->name;
	sp.settings = settings;
	req.cmd_case = SLUICE__REQUEST__CMD_SET_PORT;
	req.set_port = &sp;
	sl_log("reconcile: port %s settings differ", p->name);
	replay_call(d, &req, SL_PRIMARY_TIMEOUT_MS, p->name, NULL);
}

static void
reconcile_ports(struct sl_daemon *d, const Sluice__Reply *show)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__DelPort dp = SLUICE__DEL_PORT__INIT;
	size_t i;

	/* The DB is the desired state: ports it does not know go. */
	for (i = 0; i < show->n_ports; i++) {
		if (sl_db_port_find(&d->db, show->ports[i]->name) != NULL)
			continue;
		sl_log("reconcile: deleting port %s, which the DB does not have",
		       show->ports[i]->name);
		dp.name = show->ports[i]->name;
		req.cmd_case = SLUICE__REQUEST__CMD_DEL_PORT;
		req.del_port = &dp;
		replay_call(d, &req, SL_PRIMARY_TIMEOUT_MS, dp.name, NULL);
	}
	for (i = 0; i < d->db.n_ports; i++) {
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
	size_t i, j;

	for (i = 0; i < d->db.n_options; i++) {
		const struct sl_db_option *o = &d->db.options[i];
		bool same = false;

		for (j = 0; j < show->n_options; j++)
			if (strcmp(show->options[j]->key, o->key) == 0)
				same = strcmp(show->options[j]->value, o->value) == 0;
		if (!same)
			push_option(d, o);
	}
}

/* Flows are replaced only if the primary's set differs, so traffic sees no change otherwise. */
static void
reconcile_flows(struct sl_daemon *d)
{
	Sluice__Reply *rep = ask_primary(d, SLUICE__REQUEST__CMD_DUMP_FLOWS, "dump-flows");
	struct sl_ftable theirs;
	struct sl_flow f;
	char err[256];
	bool parsed = true;
	size_t i;

	if (rep == NULL)
		return;
	sl_ftable_init(&theirs);
	for (i = 0; i < rep->n_flows && parsed; i++) {
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

/* After a sluiced restart: send only the differences, never a full replay. */
static void
reconcile(struct sl_daemon *d)
{
	Sluice__Reply *show;

	d->replay_error[0] = '\0';
	show = ask_primary(d, SLUICE__REQUEST__CMD_SHOW, "show");
	if (show != NULL) {
		reconcile_ports(d, show);
		reconcile_options(d, show);
		sluice__reply__free_unpacked(show, NULL);
	}
	reconcile_flows(d);
	sl_log("reconciled with the running sluice-primary%s",
	       d->replay_error[0] ? " (with errors)" : "");
}

/* ---- process supervision ---- */

static int
worker_cpu(const struct sl_daemon *d, unsigned int id)
{
	/* The first CPU is the primary's unless it is the only one. */
	if (d->n_cpus == 1)
		return d->cpus[0];
	return d->cpus[1 + id % (d->n_cpus - 1)];
}

/* argv = BIN EAL-ARGS... --proc-type=T --lcores L -- --rundir DIR KEY VALUE */
static char **
build_argv(const struct sl_daemon *d, const char *bin, const char *proc_type, const char *lcores,
	   const char *key, const char *value)
{
	char **argv = calloc(d->n_eal_args + d->n_primary_args + 12, sizeof(char *));
	unsigned int n = 0, i;

	if (argv == NULL)
		return NULL;
	argv[n++] = (char *)bin;
	for (i = 0; i < d->n_eal_args; i++)
		argv[n++] = d->eal_args[i];
	argv[n++] = (char *)proc_type;
	argv[n++] = "--lcores";
	argv[n++] = (char *)lcores;
	argv[n++] = "--";
	argv[n++] = "--rundir";
	argv[n++] = (char *)d->rundir;
	argv[n++] = (char *)key;
	argv[n++] = (char *)value;
	if (strcmp(proc_type, "--proc-type=primary") == 0)
		for (i = 0; i < d->n_primary_args; i++)
			argv[n++] = d->primary_args[i];
	return argv;
}

static int
spawn(struct sl_daemon *d, struct sl_proc *p, char **argv, const char *logname)
{
	char log[PATH_MAX + 32], err[512];
	int rc;

	if (argv == NULL)
		return -ENOMEM;
	snprintf(log, sizeof(log), "%s/%s", d->rundir, logname);
	rc = sl_proc_spawn(p, argv, log, err, sizeof(err));
	free(argv);
	if (rc < 0) {
		sl_log("%s: %s", p->name, err);
		/* Counted like a crash: a missing binary must not be retried in a tight loop. */
		sl_proc_ended(p, W_EXITCODE(127, 0), true, sl_now_ms());
		if (p->state == SL_PROC_BACKOFF)
			snprintf(p->reason, sizeof(p->reason), "%.180s", err);
		return rc;
	}
	sl_log("started %s, pid %d (log %s)", p->name, (int)p->pid, log);
	return 0;
}

/*
 * Start worker @id with lcore id @lcore_id (1 + id, or 1 + id + SL_MAX_WORKERS
 * for a replacement that runs beside its predecessor for a moment).
 */
static void
worker_spawn(struct sl_daemon *d, unsigned int id, unsigned int lcore_id, bool takeover)
{
	struct sl_proc *w = &d->workers[id];
	char lcores[32], ids[16], logname[32];
	char **argv;
	unsigned int n;

	snprintf(lcores, sizeof(lcores), "%u@%d", lcore_id, worker_cpu(d, id));
	snprintf(ids, sizeof(ids), "%u", id);
	snprintf(logname, sizeof(logname), "worker-%u.log", id);
	if (w->last_exit[0] != '\0')
		w->restarts++;
	argv = build_argv(d, d->worker_bin, "--proc-type=secondary", lcores, "--id", ids);
	if (argv != NULL && takeover) {
		for (n = 0; argv[n] != NULL; n++)
			;
		argv[n] = "--takeover";
	}
	if (spawn(d, w, argv, logname) == 0)
		worker_event(d, id, w->pid, "started");
}

static void
worker_start(struct sl_daemon *d, unsigned int id)
{
	worker_spawn(d, id, id + 1, false);
}

static void
primary_start(struct sl_daemon *d)
{
	char lcores[32], workers[16];
	uint64_t now = sl_now_ms();

	snprintf(lcores, sizeof(lcores), "0@%d", d->cpus[0]);
	snprintf(workers, sizeof(workers), "%u", d->n_workers);
	if (d->primary.last_exit[0] != '\0')
		d->primary.restarts++;
	if (spawn(d, &d->primary,
		  build_argv(d, d->primary_bin, "--proc-type=primary", lcores, "--workers", workers),
		  "primary.log") < 0) {
		d->phase = SL_PRI_DOWN;
		return;
	}
	d->phase = SL_PRI_STARTING;
	d->hello_deadline_ms = now + SL_HELLO_WAIT_MS;
	d->next_hello_ms = now + SL_POLL_MS;
}

/* Hello to the primary; its pid, or -1 if it does not answer. */
static int
primary_hello(struct sl_daemon *d, int timeout_ms)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__Hello h = SLUICE__HELLO__INIT;
	Sluice__Reply *rep;
	char err[256];
	int pid = -1;

	h.role = "sluiced";
	h.pid = getpid();
	req.cmd_case = SLUICE__REQUEST__CMD_HELLO;
	req.hello = &h;
	if (sl_msg_call(d->zctx, d->primary_ep, &req, &rep, timeout_ms, err, sizeof(err)) < 0)
		return -1;
	if (rep->status == 0)
		pid = rep->hello != NULL ? rep->hello->pid : 0;
	sluice__reply__free_unpacked(rep, NULL);
	return pid;
}

/* Adopt the running workers the primary lists; start the others. */
static void
workers_bring_up(struct sl_daemon *d, bool adopt)
{
	Sluice__Reply *rep = NULL;
	unsigned int i;

	if (adopt)
		rep = ask_primary(d, SLUICE__REQUEST__CMD_WORKER_LIST, "worker-list");
	for (i = 0; i < d->n_workers; i++) {
		Sluice__WorkerInfo *wi = rep != NULL ? worker_info_find(rep, i) : NULL;

		if (wi != NULL && wi->pid > 0 && sl_proc_alive(wi->pid)) {
			sl_proc_adopt(&d->workers[i], wi->pid);
			sl_log("adopted worker %u, pid %d", i, (int)wi->pid);
		} else if (d->workers[i].state != SL_PROC_FAILED) {
			worker_start(d, i);
		}
	}
	if (rep != NULL)
		sluice__reply__free_unpacked(rep, NULL);
}

static void
primary_is_up(struct sl_daemon *d, bool adopted)
{
	d->phase = SL_PRI_UP;
	if (adopted)
		reconcile(d);
	else
		replay(d);
	workers_bring_up(d, adopted);
	d->next_watch_ms = sl_now_ms() + SL_WATCH_MS;
	sl_notify_ready(d, NULL);
}

static void
workers_stop_all(struct sl_daemon *d)
{
	unsigned int i;

	for (i = 0; i < d->n_workers; i++)
		if (d->workers[i].pid > 0 && sl_proc_stop(&d->workers[i], 200) < 0)
			sl_log("worker %u (pid %d) would not die", i, (int)d->workers[i].pid);
}

static void
primary_ended(struct sl_daemon *d, int status)
{
	char how[64];

	sl_wait_status_str(status, how, sizeof(how));
	sl_log("sluice-primary (pid %d) ended: %s; stopping its workers", (int)d->primary.pid, how);
	/* A worker cannot outlive its primary's shared memory in any useful way. */
	workers_stop_all(d);
	sl_proc_ended(&d->primary, status, true, sl_now_ms());
	d->phase = SL_PRI_DOWN;
	if (d->primary.state == SL_PROC_FAILED) {
		sl_log("sluice-primary: giving up: %s", d->primary.reason);
		sl_notify_ready(d, d->primary.reason);
	}
}

static void
worker_ended(struct sl_daemon *d, unsigned int id, int status)
{
	struct sl_proc *w = &d->workers[id];
	pid_t pid = w->pid;

	sl_proc_ended(w, status, true, sl_now_ms());
	sl_log("worker %u (pid %d) ended: %s%s%s", id, (int)pid, w->last_exit,
	       w->state == SL_PROC_FAILED ? "; not restarting: " : "",
	       w->state == SL_PROC_FAILED ? w->reason : "");
	worker_event(d, id, pid, "exited");
}

static void
reap_children(struct sl_daemon *d)
{
	unsigned int i;
	int status;
	pid_t pid;

	while ((pid = sl_proc_reap(&status)) > 0) {
		if (pid == d->primary.pid && !d->primary.adopted) {
			primary_ended(d, status);
			continue;
		}
		for (i = 0; i < d->n_workers; i++)
			if (pid == d->workers[i].pid && !d->workers[i].adopted)
				worker_ended(d, i, status);
	}
}

/* Processes we did not start cannot be reaped: check that they still exist. */
static void
watch_adopted(struct sl_daemon *d)
{
	unsigned int i;

	if (d->primary.adopted && d->primary.pid > 0 && !sl_proc_alive(d->primary.pid)) {
		primary_ended(d, -1);
		return;
	}
	for (i = 0; i < d->n_workers; i++)
		if (d->workers[i].adopted && d->workers[i].pid > 0 &&
		    !sl_proc_alive(d->workers[i].pid))
			worker_ended(d, i, -1);
}

/* The primary sees hangs we cannot (stale heartbeat): a hung worker is killed and restarted. */
static void
watch_worker_list(struct sl_daemon *d, uint64_t now)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__Empty e = SLUICE__EMPTY__INIT;
	bool any_adopted = false;
	Sluice__Reply *rep;
	unsigned int i;
	char err[256];

	if (d->phase != SL_PRI_UP || now < d->next_watch_ms)
		return;
	req.cmd_case = SLUICE__REQUEST__CMD_WORKER_LIST;
	req.worker_list = &e;
	for (i = 0; i < d->n_workers; i++)
		any_adopted |= d->workers[i].adopted;
	d->next_watch_ms = now + (any_adopted ? SL_WATCH_ADOPTED_MS : SL_WATCH_MS);
	if (sl_msg_call(d->zctx, d->primary_ep, &req, &rep, 1000, err, sizeof(err)) < 0)
		return;
	for (i = 0; rep->status == 0 && i < rep->n_workers; i++) {
		Sluice__WorkerInfo *wi = rep->workers[i];
		struct sl_proc *w;

		if (wi->id >= d->n_workers)
			continue;
		w = &d->workers[wi->id];
		if (w->pid > 0 && wi->pid == w->pid &&
		    (strcmp(wi->state, "hung") == 0 || strcmp(wi->state, "dead") == 0)) {
			sl_log("sluice-primary reports worker %u (pid %d) %s: killing it", wi->id,
			       (int)w->pid, wi->state);
			kill(w->pid, SIGKILL);
		}
	}
	sluice__reply__free_unpacked(rep, NULL);
}

static void
primary_tick(struct sl_daemon *d, uint64_t now)
{
	int pid;

	if (d->phase == SL_PRI_DOWN && sl_proc_due(&d->primary, now)) {
		primary_start(d);
		return;
	}
	if (d->phase != SL_PRI_STARTING || now < d->next_hello_ms)
		return;
	pid = primary_hello(d, 300);
	if (pid >= 0) {
		sl_log("sluice-primary (pid %d) is up", (int)d->primary.pid);
		primary_is_up(d, false);
		return;
	}
	d->next_hello_ms = sl_now_ms() + 200;
	if (now >= d->hello_deadline_ms) {
		sl_log("sluice-primary (pid %d) did not answer within %d s: killing it",
		       (int)d->primary.pid, SL_HELLO_WAIT_MS / 1000);
		kill(d->primary.pid, SIGKILL); /* reaped as a crash by reap_children */
	}
}

static void
workers_tick(struct sl_daemon *d, uint64_t now)
{
	unsigned int i;

	if (d->phase != SL_PRI_UP)
		return;
	for (i = 0; i < d->n_workers; i++)
		if (sl_proc_due(&d->workers[i], now))
			worker_start(d, i);
}

static void
stop_everything(struct sl_daemon *d)
{
	unsigned int i;

	/* The primary stops its workers itself; give it the time, then insist. */
	if (d->primary.pid > 0 && sl_proc_wait_end(&d->primary, 10000) < 0) {
		sl_log("sluice-primary (pid %d) still running: killing it", (int)d->primary.pid);
		sl_proc_stop(&d->primary, 1000);
	}
	for (i = 0; i < d->n_workers; i++)
		if (d->workers[i].pid > 0 && sl_proc_wait_end(&d->workers[i], 2000) < 0)
			sl_proc_stop(&d->workers[i], 1000);
	d->phase = SL_PRI_DOWN;
}

/* ---- start-up ---- */

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: sluiced [--rundir DIR] [--db FILE] [--workers N] [--lcores LIST]\n"
		"               [--eal-args \"ARGS\"] [--primary-args \"ARGS\"] [--detach] [--primary-bin PATH]\n"
		"               [--worker-bin PATH] [--help]\n"
		"\n"
		"Control daemon of one sluice instance: keeps the config DB, answers\n"
		"sluicectl on ipc://DIR/sluiced.sock, starts sluice-primary and N\n"
		"sluice-workers, restarts whichever dies and replays the DB to a new primary.\n"
		"\n"
		"  --rundir DIR       sockets, pid files and logs (default: $SLUICE_RUNDIR,\n"
		"                     else %s); created if missing\n"
		"  --db FILE          config DB (default: DIR/sluice.db)\n"
		"  --workers N        worker processes, 1..%d (default: 1)\n"
		"  --lcores LIST      CPUs, e.g. 0,1 or 0-3 (default: 0,1): the primary runs on\n"
		"                     the first, workers round-robin on the others (on the\n"
		"                     first too if it is the only one)\n"
		"  --eal-args ARGS    DPDK EAL arguments, split on spaces\n"
		"                     (default: \"--no-pci --file-prefix=sluice\")\n"
		"  --primary-args ARGS  more sluice-primary options, split on spaces, e.g.\n"
		"                     \"--rebalance --hang-ms 500\" (see sluice-primary --help)\n"
		"  --detach           run in the background; return once the primary is up\n"
		"  --primary-bin PATH sluice-primary to run; by default looked for next to\n"
		"                     sluiced, then in ../primary/ (build tree), then in $PATH\n"
		"  --worker-bin PATH  sluice-worker to run; likewise (../secondary/)\n"
		"  --help             this text\n"
		"\n"
		"Files in DIR: sluiced.sock, sluiced.pid, sluiced.log, primary.log,\n"
		"worker-N.log.  Only one sluiced runs per DIR.\n"
		"\n"
		"SIGTERM or SIGINT stops sluiced only: the primary and the workers keep\n"
		"forwarding, and a sluiced started again adopts them and reconciles them\n"
		"with the DB.  'sluicectl shutdown' stops the whole instance.\n",
		SL_DEFAULT_RUNDIR, SL_MAX_WORKERS);
}

static int
parse_cpus(struct sl_daemon *d, const char *list)
{
	char *copy = sl_strdup(list), *tok, *save = NULL;
	int rc = 0;

	d->n_cpus = 0;
	for (tok = strtok_r(copy, ",", &save); rc == 0 && tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(tok, '-');
		uint64_t lo, hi;

		if (dash != NULL)
			*dash = '\0';
		if (sl_parse_u64(tok, 0, 4095, &lo) < 0 ||
		    sl_parse_u64(dash ? dash + 1 : tok, lo, 4095, &hi) < 0) {
			rc = -EINVAL;
			break;
		}
		for (; lo <= hi && d->n_cpus < SL_MAX_CPUS; lo++)
			d->cpus[d->n_cpus++] = (int)lo;
	}
	free(copy);
	return rc == 0 && d->n_cpus > 0 ? 0 : -EINVAL;
}

/* Split @args on blanks into a NULL-terminated vector. */
static int
split_args(const char *args, char ***vec, unsigned int *n)
{
	char *copy = sl_strdup(args), *tok, *save = NULL;

	if (copy == NULL)
		return -ENOMEM;
	*vec = calloc(strlen(args) / 2 + 2, sizeof(char *));
	if (*vec == NULL)
		return -ENOMEM;
	for (tok = strtok_r(copy, " \t", &save); tok != NULL; tok = strtok_r(NULL, " \t", &save))
		(*vec)[(*n)++] = tok;
	return 0; /* copy stays: the tokens point into it */
}

static bool
is_executable(const char *path)
{
	return access(path, X_OK) == 0;
}

/* Next to sluiced, in the build tree's sibling folder, then $PATH. */
static int
find_bin(char *out, size_t len, const char *given, const char *name, const char *build_dir)
{
	char self[PATH_MAX / 2], *slash, *path, *dir, *save = NULL;
	ssize_t n;

	if (given != NULL) {
		snprintf(out, len, "%s", given);
		return is_executable(out) ? 0 : -ENOENT;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash != NULL)
			*slash = '\0';
		snprintf(out, len, "%s/%s", self, name);
		if (is_executable(out))
			return 0;
		snprintf(out, len, "%s/../%s/%s", self, build_dir, name);
		if (is_executable(out))
			return 0;
	}
	path = sl_strdup(getenv("PATH") ? getenv("PATH") : "/usr/local/bin:/usr/bin:/bin");
	for (dir = strtok_r(path, ":", &save); dir != NULL; dir = strtok_r(NULL, ":", &save)) {
		snprintf(out, len, "%s/%s", dir, name);
		if (is_executable(out)) {
			free(path);
			return 0;
		}
	}
	free(path);
	snprintf(out, len, "%s", name);
	return -ENOENT;
}

static void
parse_args(struct sl_daemon *d, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rundir", required_argument, NULL, 'r' },
		{ "db", required_argument, NULL, 'd' },
		{ "workers", required_argument, NULL, 'w' },
		{ "lcores", required_argument, NULL, 'l' },
		{ "eal-args", required_argument, NULL, 'e' },
		{ "primary-args", required_argument, NULL, 'A' },
		{ "detach", no_argument, NULL, 'D' },
		{ "primary-bin", required_argument, NULL, 'P' },
		{ "worker-bin", required_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *rundir = NULL, *db = NULL, *lcores = "0,1";
	const char *eal = "--no-pci --file-prefix=sluice", *pbin = NULL, *wbin = NULL;
	const char *pargs = "";
	uint64_t n = 1;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': rundir = optarg; break;
		case 'd': db = optarg; break;
		case 'l': lcores = optarg; break;
		case 'e': eal = optarg; break;
		case 'A': pargs = optarg; break;
		case 'D': d->detach = true; break;
		case 'P': pbin = optarg; break;
		case 'W': wbin = optarg; break;
		case 'h': usage(stdout); exit(0);
		case 'w':
			if (sl_parse_u64(optarg, 1, SL_MAX_WORKERS, &n) == 0)
				break;
			fprintf(stderr, "sluiced: --workers: \"%s\" is not a number in 1..%d\n", optarg,
				SL_MAX_WORKERS);
			exit(2);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sluiced: unexpected argument \"%s\" (see --help)\n", argv[optind]);
		exit(2);
	}
	d->n_workers = (unsigned int)n;
	d->rundir = sl_rundir(rundir);
	if (parse_cpus(d, lcores) < 0) {
		fprintf(stderr, "sluiced: --lcores: bad CPU list \"%s\" (e.g. 0,1 or 0-3)\n", lcores);
		exit(2);
	}
	if (split_args(eal, &d->eal_args, &d->n_eal_args) < 0 ||
	    split_args(pargs, &d->primary_args, &d->n_primary_args) < 0)
		exit(1);
	if (db != NULL)
		d->db_path = sl_strdup(db);
	else if (asprintf(&d->db_path, "%s/sluice.db", d->rundir) < 0)
		exit(1);
	if (find_bin(d->primary_bin, sizeof(d->primary_bin), pbin, "sluice-primary", "primary") < 0) {
		fprintf(stderr, "sluiced: cannot find an executable sluice-primary%s%s (use --primary-bin)\n",
			pbin ? " at " : "", pbin ? pbin : "");
		exit(1);
	}
	if (find_bin(d->worker_bin, sizeof(d->worker_bin), wbin, "sluice-worker", "secondary") < 0) {
		fprintf(stderr, "sluiced: cannot find an executable sluice-worker%s%s (use --worker-bin)\n",
			wbin ? " at " : "", wbin ? wbin : "");
		exit(1);
	}
}

static int
mkdir_p(const char *path)
{
	char buf[PATH_MAX], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int
read_pid(const char *path)
{
	FILE *f = fopen(path, "r");
	int pid = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	fclose(f);
	return pid;
}

/* Our pid file, locked for our lifetime: a second sluiced on DIR is refused. */
static void
pidfile_lock(struct sl_daemon *d)
{
	char path[PATH_MAX + 16];
	int fd, pid;

	snprintf(path, sizeof(path), "%s/sluiced.pid", d->rundir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		sl_fatal(d, "cannot open %s: %s", path, strerror(errno));
	/* fd stays open (close-on-exec) for our lifetime: that holds the lock. */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		pid = read_pid(path);
		sl_fatal(d, "another sluiced (pid %d) is running on %s", pid, d->rundir);
	}
	pid = read_pid(path);
	if (pid > 0 && pid != getpid() && sl_proc_alive(pid)) {
		char comm[64] = "", cpath[64];
		FILE *f;

		snprintf(cpath, sizeof(cpath), "/proc/%d/comm", pid);
		f = fopen(cpath, "r");
		if (f != NULL) {
			if (fgets(comm, sizeof(comm), f) == NULL)
				comm[0] = '\0';
			fclose(f);
		}
		if (strncmp(comm, "sluiced", 7) == 0)
			sl_fatal(d, "another sluiced (pid %d) is running on %s", pid, d->rundir);
	}
}

static void
pidfile_write(struct sl_daemon *d)
{
	char path[PATH_MAX + 16];
	FILE *f;

	snprintf(path, sizeof(path), "%s/sluiced.pid", d->rundir);
	f = fopen(path, "w");
	if (f == NULL)
		sl_fatal(d, "cannot write %s: %s", path, strerror(errno));
	fprintf(f, "%d\n", getpid());
	fclose(f);
}

/* --detach: the parent waits for "R" (ready) or "E<message>" from the daemon. */
static void
detach(struct sl_daemon *d)
{
	char buf[1024];
	int pfd[2], fd;
	ssize_t n, got = 0;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0 || (pid = fork()) < 0)
		sl_fatal(d, "cannot detach: %s", strerror(errno));
	if (pid > 0) {
		close(pfd[1]);
		while (got < (ssize_t)sizeof(buf) - 1 &&
		       ((n = read(pfd[0], buf + got, sizeof(buf) - 1 - (size_t)got)) > 0 ||
			(n < 0 && errno == EINTR)))
			got += n > 0 ? n : 0;
		buf[got] = '\0';
		if (got > 0 && buf[0] == 'R')
			_exit(0);
		if (got > 1)
			fprintf(stderr, "sluiced: %s\n", buf + 1);
		else
			fprintf(stderr, "sluiced: failed to start; see %s/sluiced.log\n", d->rundir);
		_exit(1);
	}
	close(pfd[0]);
	d->ready_fd = pfd[1];
	setsid();
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

static void
bind_socket(struct sl_daemon *d)
{
	char path[PATH_MAX + 16];
	int linger = 1000;

	sl_endpoint(d->ctl_ep, sizeof(d->ctl_ep), d->rundir, "sluiced.sock");
	sl_endpoint(d->primary_ep, sizeof(d->primary_ep), d->rundir, "primary.sock");
	d->zctx = zmq_ctx_new();
	d->sock = d->zctx ? zmq_socket(d->zctx, ZMQ_REP) : NULL;
	if (d->sock == NULL)
		sl_fatal(d, "cannot create a ZeroMQ socket: %s", zmq_strerror(zmq_errno()));
	/* Linger so that the last reply (to shutdown) still leaves. */
	zmq_setsockopt(d->sock, ZMQ_LINGER, &linger, sizeof(linger));
	if (zmq_bind(d->sock, d->ctl_ep) != 0)
		sl_fatal(d, "cannot bind %s: %s", d->ctl_ep, zmq_strerror(zmq_errno()));
	snprintf(path, sizeof(path), "%s/sluiced.sock", d->rundir);
	if (chmod(path, 0660) < 0)
		sl_log("chmod %s: %s", path, strerror(errno));
}

/* Is @pid a process running @bin (by its short name)? Guards against a recycled pid. */
static bool
pid_runs(pid_t pid, const char *bin)
{
	char path[64], comm[64] = "";
	const char *base = strrchr(bin, '/') ? strrchr(bin, '/') + 1 : bin;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	if (fgets(comm, sizeof(comm), f) == NULL)
		comm[0] = '\0';
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	return comm[0] != '\0' && strncmp(comm, base, strlen(comm)) == 0;
}

/* A primary left running by an earlier sluiced: adopt it if it answers. */
static bool
try_adopt(struct sl_daemon *d)
{
	char path[PATH_MAX + 16];
	struct sl_proc old;
	int pid, i, hello;

	snprintf(path, sizeof(path), "%s/primary.pid", d->rundir);
	pid = read_pid(path);
	if (pid <= 0 || !sl_proc_alive(pid) || !pid_runs(pid, d->primary_bin))
		return false;
	for (i = 0; i < 5; i++) {
		hello = primary_hello(d, 1000);
		if (hello == pid || hello == 0) {
			sl_log("adopting the running sluice-primary, pid %d", pid);
			sl_proc_adopt(&d->primary, pid);
			primary_is_up(d, true);
			return true;
		}
	}
	sl_log("sluice-primary pid %d runs but does not answer: stopping it", pid);
	sl_proc_init(&old, "old primary", &sl_primary_policy);
	sl_proc_adopt(&old, pid);
	sl_proc_stop(&old, 2000);
	return false;
}

static void
on_signal(int sig)
{
	if (sig != SIGCHLD)
		sl_signalled = sig;
}

static void
setup_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: zmq_poll returns at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
}

static void
main_loop(struct sl_daemon *d)
{
	struct timespec nap = { 0, 50 * 1000 * 1000 };
	zmq_pollitem_t pi;
	uint64_t now;

	while (!d->quit && !sl_signalled) {
		reap_children(d);
		watch_adopted(d);
		now = sl_now_ms();
		primary_tick(d, now);
		workers_tick(d, now);
		watch_worker_list(d, now);
		/* While the primary starts, requests wait in the socket: they would only fail. */
		if (d->phase == SL_PRI_STARTING) {
			nanosleep(&nap, NULL);
			continue;
		}
		pi = (zmq_pollitem_t){ .socket = d->sock, .events = ZMQ_POLLIN };
		if (zmq_poll(&pi, 1, SL_POLL_MS) > 0)
			serve_one(d);
	}
}

static void
cleanup(struct sl_daemon *d)
{
	char path[PATH_MAX + 16];

	zmq_close(d->sock);
	snprintf(path, sizeof(path), "%s/sluiced.sock", d->rundir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/sluiced.pid", d->rundir);
	unlink(path);
	zmq_ctx_term(d->zctx);
	sl_db_fini(&d->db);
}

int
main(int argc, char **argv)
{
	static struct sl_daemon d;
	char err[1024], path[PATH_MAX + 16];
	unsigned int i;
	int rc;

	d.ready_fd = -1;
	d.log_fd = -1;
	parse_args(&d, argc, argv);
	sl_log_daemon = &d;
	rc = mkdir_p(d.rundir);
	if (rc < 0)
		sl_fatal(&d, "cannot create %s: %s", d.rundir, strerror(-rc));
	snprintf(path, sizeof(path), "%s/sluiced.log", d.rundir);
	d.log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (d.log_fd < 0)
		sl_fatal(&d, "cannot open %s: %s", path, strerror(errno));
	pidfile_lock(&d);
	if (sl_db_load(&d.db, d.db_path, err, sizeof(err)) < 0)
		sl_fatal(&d, "%s", err);
	sl_proc_init(&d.primary, "sluice-primary", &sl_primary_policy);
	for (i = 0; i < d.n_workers; i++) {
		char name[32];

		snprintf(name, sizeof(name), "worker %u", i);
		sl_proc_init(&d.workers[i], name, &sl_worker_policy);
	}
	if (d.detach)
		detach(&d);
	pidfile_write(&d);
	setup_signals();
	bind_socket(&d);
	sl_log("started on %s: db %s (%zu ports, %u flows), %u workers", d.rundir, d.db.path,
	       d.db.n_ports, d.db.flows.n, d.n_workers);
	if (!try_adopt(&d)) {
		primary_start(&d);
		if (d.phase == SL_PRI_DOWN)
			sl_fatal(&d, "%s", d.primary.reason);
	}
	main_loop(&d);
	if (sl_signalled)
		sl_log("signal %d: exiting; sluice-primary and the workers keep running",
		       (int)sl_signalled);
	else
		sl_log("shut down");
	cleanup(&d);
	return 0;
}
