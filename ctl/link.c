/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluiced's link to sluice-primary: one request/reply per call on a fresh
 * REQ socket (ipc://RUNDIR/primary.sock), with a timeout, and the replies
 * sluiced builds itself.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"

Sluice__Reply *
sl_reply_new(void)
{
	Sluice__Reply *rep = malloc(sizeof(*rep));

	if (rep != NULL)
		sluice__reply__init(rep);
	return rep;
}

Sluice__Reply *
sl_reply_err(int status, const char *fmt, ...)
{
	Sluice__Reply *rep = sl_reply_new();
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

void
sl_set_str(char **field, const char *s)
{
	char *copy = sl_strdup(s);

	if (copy == NULL)
		return;
	if (*field != NULL && *field != protobuf_c_empty_string)
		free(*field);
	*field = copy;
}

static bool
is_read_only(const Sluice__Request *req)
{
	return req->internal_case == SLUICE__REQUEST__INTERNAL_HELLO ||
	       sl_request_is(req, SL_VERB_READ);
}

/*
 * A read-only request is retried once on a fresh connection; a change is
 * retried only when it surely never arrived (a timeout might mean the
 * primary applied it and was slow to answer).
 */
/* A primary that died (or was never ours to watch: then assume it lives). */
static bool
primary_alive(void *arg)
{
	struct sl_daemon *d = arg;

	return d->primary.pid <= 0 || sl_proc_alive(d->primary.pid);
}

/* sl_primary_call(), doing @work (if not NULL) while the answer is awaited. */
static int
primary_call_while(struct sl_daemon *d, Sluice__Request *req, int timeout_ms, Sluice__Reply **rep,
		   bool (*work)(void *), void *work_arg, char *err, size_t errlen)
{
	/* While we wait, clients keep being served: reads at once, changes
	 * queued behind this one (api.c). */
	const struct sl_msg_wait w = {
		.alive = primary_alive,
		.also = d->sock,
		.serve = sl_api_serve_waiting,
		.arg = d,
		.work = work,
		.work_arg = work_arg,
	};
	const char *ep = sl_request_is(req, SL_VERB_ANYTIME) ? d->primary_ro_ep : d->primary_ep;
	int rc;

	rc = sl_msg_call_while(d->zctx, ep, req, rep, timeout_ms, &w, err, errlen);
	/* A dead primary is not asked twice; a change that timed out is not repeated. */
	if (rc < 0 && rc != -EPIPE && (rc != -ETIMEDOUT || is_read_only(req)))
		rc = sl_msg_call_while(d->zctx, ep, req, rep, timeout_ms, &w, err, errlen);
	return rc;
}

int
sl_primary_call(struct sl_daemon *d, Sluice__Request *req, int timeout_ms, Sluice__Reply **rep,
		char *err, size_t errlen)
{
	return primary_call_while(d, req, timeout_ms, rep, NULL, NULL, err, errlen);
}

Sluice__Reply *
sl_primary_unavailable(struct sl_daemon *d)
{
	if (d->primary.state == SL_PROC_FAILED)
		return sl_reply_err(EHOSTDOWN, "sluice-primary is not running: %s", d->primary.reason);
	if (d->phase == SL_PRI_STARTING)
		return sl_reply_err(EAGAIN, "sluice-primary is starting: try again");
	return sl_reply_err(EAGAIN,
			    "sluice-primary is not running (last exit: %s); restarting, try again",
			    d->primary.last_exit[0] ? d->primary.last_exit : "none");
}

int
sl_timeout_for(size_t n_flows)
{
	/* Big batches take the primary longer than one round trip. */
	return SL_PRIMARY_TIMEOUT_MS + (int)(n_flows / 20);
}

Sluice__Reply *
sl_forward_while(struct sl_daemon *d, Sluice__Request *req, int timeout_ms, bool (*work)(void *),
		 void *work_arg)
{
	Sluice__Reply *rep;
	char err[512];

	if (d->phase != SL_PRI_UP)
		return sl_primary_unavailable(d);
	if (primary_call_while(d, req, timeout_ms, &rep, work, work_arg, err, sizeof(err)) < 0) {
		sl_log("%s: no answer from sluice-primary: %s", sl_request_name(req), err);
		/* It may have applied the change and been slow to say so: the DB
		 * says what should be, so bring the primary back to it. */
		if (!is_read_only(req))
			d->needs_reconcile = true;
		return sl_reply_err(ETIMEDOUT, "no answer from sluice-primary: %s%s", err,
				    is_read_only(req) ? "" : " (the DB is unchanged)");
	}
	return rep;
}

Sluice__Reply *
sl_forward(struct sl_daemon *d, Sluice__Request *req, int timeout_ms)
{
	return sl_forward_while(d, req, timeout_ms, NULL, NULL);
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
		sl_log("%s: %s", sl_request_name(req), err);
	else if (rep->status != 0)
		sl_log("%s: sluice-primary says: %s", sl_request_name(req), rep->error);
	if (rep != NULL)
		sluice__reply__free_unpacked(rep, NULL);
}

void
sl_worker_event(struct sl_daemon *d, unsigned int id, pid_t pid, Sluice__WorkerEventKind event)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__WorkerEvent ev = SLUICE__WORKER_EVENT__INIT;

	ev.id = id;
	ev.pid = pid;
	ev.event = event;
	req.internal_case = SLUICE__REQUEST__INTERNAL_WORKER_EVENT;
	req.worker_event = &ev;
	primary_notify(d, &req);
}

int
sl_primary_hello(struct sl_daemon *d, int timeout_ms)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__Hello h = SLUICE__HELLO__INIT;
	Sluice__Reply *rep;
	char err[256];
	int pid = -1;

	h.role = "sluiced";
	h.pid = getpid();
	req.internal_case = SLUICE__REQUEST__INTERNAL_HELLO;
	req.hello = &h;
	if (sl_msg_call(d->zctx, d->primary_ep, &req, &rep, timeout_ms, err, sizeof(err)) < 0)
		return -1;
	if (rep->status == 0)
		pid = rep->hello != NULL ? rep->hello->pid : 0;
	sluice__reply__free_unpacked(rep, NULL);
	return pid;
}

Sluice__Reply *
sl_ask_primary(struct sl_daemon *d, Sluice__Request__CmdCase cmd, int timeout_ms, char *err,
	       size_t errlen)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__Empty e = SLUICE__EMPTY__INIT;
	Sluice__FlowMod all = SLUICE__FLOW_MOD__INIT;
	Sluice__Reply *rep = NULL;

	req.cmd_case = cmd;
	req.show = &e; /* every Empty member of the oneof shares this slot */
	if (cmd == SLUICE__REQUEST__CMD_DUMP_FLOWS)
		req.dump_flows = &all; /* no match: every flow */
	if (sl_primary_call(d, &req, timeout_ms, &rep, err, errlen) < 0)
		return NULL;
	if (rep->status != 0) {
		snprintf(err, errlen, "%s", rep->error);
		sluice__reply__free_unpacked(rep, NULL);
		return NULL;
	}
	return rep;
}
