/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Supervision of sluice-primary and the workers, as a state machine that
 * the main loop drives with sl_procs_tick(): start, reap, restart after a
 * back-off, watch adopted processes and the primary's view of hung ones,
 * and carry out planned worker restarts step by step.  Nothing here waits:
 * a step that is not done yet is looked at again on the next tick.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.h"

void
sl_procs_init(struct sl_daemon *d)
{
	/* 100 ms doubling to at most 5 s between tries, for ever; a run of
	 * --healthy-after (10 s) is healthy. */
	d->restart_policy = (struct sl_restart_policy){ 100, 5000, d->healthy_ms,
							d->give_up_after };
	sl_proc_init(&d->primary, "sluice-primary", &d->restart_policy);
	sl_pmds_init(d);
	for (unsigned int i = 0; i < d->n_workers; i++) {
		char name[32];

		snprintf(name, sizeof(name), "worker %u", i);
		sl_proc_init(&d->workers[i], name, &d->restart_policy);
	}
}

Sluice__ProcState
sl_proc_pb_state(const struct sl_proc *p)
{
	switch (p->state) {
	case SL_PROC_RUNNING: return SLUICE__PROC_STATE__PROC_RUNNING;
	case SL_PROC_BACKOFF: return SLUICE__PROC_STATE__PROC_RESTARTING;
	case SL_PROC_FAILED: return SLUICE__PROC_STATE__PROC_FAILED;
	default: return SLUICE__PROC_STATE__PROC_STOPPED;
	}
}

/* ---- what the primary says about workers ---- */

static Sluice__WorkerInfo *
worker_info_find(Sluice__Reply *rep, unsigned int id)
{
	for (size_t i = 0; i < rep->n_workers; i++)
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

void
sl_merge_workers(struct sl_daemon *d, Sluice__Reply *rep)
{
	for (unsigned int i = 0; i < d->n_workers; i++) {
		struct sl_proc *w = &d->workers[i];
		Sluice__WorkerInfo *wi = worker_info_find(rep, i);

		if (wi == NULL) {
			if (!d->slot_on[i])
				continue;
			wi = worker_info_append(rep, i);
			if (wi == NULL)
				return;
			wi->pid = w->pid;
			wi->lcore = i + 1;
			wi->core = d->slot_cpu[i];
			wi->enabled = true;
			wi->state = sl_proc_pb_state(w);
		}
		if (w->restarts > wi->restarts)
			wi->restarts = w->restarts;
		if (w->state == SL_PROC_FAILED || w->state == SL_PROC_BACKOFF) {
			wi->state = sl_proc_pb_state(w);
			sl_set_str(&wi->reason, w->reason);
		} else if (w->state == SL_PROC_RUNNING && w->reason[0] != '\0' &&
			   (wi->reason == NULL || wi->reason[0] == '\0')) {
			sl_set_str(&wi->reason, w->reason); /* a crash loop not over yet */
		}
	}
}

/* The primary's view of worker @id; 0, or -errno. */
static int
worker_view(struct sl_daemon *d, unsigned int id, Sluice__WorkerInfo *out)
{
	Sluice__Reply *rep;
	Sluice__WorkerInfo *wi;
	char err[256];
	int rc = -ENOENT;

	rep = sl_ask_primary(d, SLUICE__REQUEST__CMD_WORKER_LIST, 1000, err, sizeof(err));
	if (rep == NULL)
		return -EAGAIN;
	wi = worker_info_find(rep, id);
	if (wi != NULL) {
		out->pid = wi->pid;
		out->lcore = wi->lcore;
		out->state = wi->state;
		rc = 0;
	}
	sluice__reply__free_unpacked(rep, NULL);
	return rc;
}

/* ---- starting processes ---- */

static int
worker_cpu(const struct sl_daemon *d, unsigned int id)
{
	/* Its slot's core (pmds.c); the first CPU if nobody said. */
	return d->slot_cpu[id] >= 0 ? d->slot_cpu[id] : d->cpus[0];
}

/* argv = BIN EAL-ARGS... --proc-type=T --lcores L -- --rundir DIR KEY VALUE [more] */
static char **
build_argv(const struct sl_daemon *d, const char *bin, bool primary, const char *lcores,
	   const char *key, const char *value)
{
	char **argv = calloc(d->n_eal_args + d->n_primary_args + 15, sizeof(char *));
	unsigned int n = 0, i;

	if (argv == NULL)
		return NULL;
	argv[n++] = (char *)bin;
	for (i = 0; i < d->n_eal_args; i++)
		argv[n++] = d->eal_args[i];
	argv[n++] = primary ? "--proc-type=primary" : "--proc-type=secondary";
	argv[n++] = "--lcores";
	argv[n++] = (char *)lcores;
	argv[n++] = "--";
	argv[n++] = "--rundir";
	argv[n++] = (char *)d->rundir;
	argv[n++] = (char *)key;
	argv[n++] = (char *)value;
	if (primary)
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
	/* In a crash loop, the restarts whose end went unlogged go unlogged too. */
	if (!p->quiet)
		sl_log("started %s, pid %d (log %s)", p->name, (int)p->pid, log);
	return 0;
}

/*
 * Start worker @id with lcore id @lcore_id (common/shm.h: 1 + id, or the
 * slot's other id for a replacement that runs beside its predecessor).
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
	argv = build_argv(d, d->worker_bin, false, lcores, "--id", ids);
	if (argv != NULL && takeover) {
		for (n = 0; argv[n] != NULL; n++)
			;
		argv[n] = "--takeover";
	}
	if (spawn(d, w, argv, logname) == 0)
		sl_worker_event(d, id, w->pid, SLUICE__WORKER_EVENT_KIND__WORKER_STARTED);
}

void
sl_worker_start(struct sl_daemon *d, unsigned int id)
{
	worker_spawn(d, id, sl_worker_lcore(id, false), false);
}

void
sl_primary_start(struct sl_daemon *d)
{
	char lcores[32], workers[16], cores[8 * SL_MAX_WORKERS];
	uint64_t now = sl_now_ms();
	char **argv;
	unsigned int n;

	snprintf(lcores, sizeof(lcores), "0@%d", d->cpus[0]);
	snprintf(workers, sizeof(workers), "%u", d->n_default);
	sl_pmds_default_cores(d, cores, sizeof(cores));
	if (d->primary.last_exit[0] != '\0')
		d->primary.restarts++;
	argv = build_argv(d, d->primary_bin, true, lcores, "--workers", workers);
	if (argv != NULL) {
		for (n = 0; argv[n] != NULL; n++)
			;
		argv[n++] = "--cores";
		argv[n] = cores;
	}
	if (spawn(d, &d->primary, argv, "primary.log") < 0) {
		d->phase = SL_PRI_DOWN;
		return;
	}
	d->phase = SL_PRI_STARTING;
	d->hello_deadline_ms = now + SL_HELLO_WAIT_MS;
	d->next_hello_ms = now + SL_POLL_MS;
}

/* Adopt the running workers the primary lists; start the others. */
static void
workers_bring_up(struct sl_daemon *d, bool adopt)
{
	Sluice__Reply *rep = NULL;
	char err[256];

	/* The primary says which slots exist, on which cores (pmd-cpu-mask). */
	rep = sl_ask_primary(d, SLUICE__REQUEST__CMD_WORKER_LIST, SL_PRIMARY_TIMEOUT_MS, err,
			     sizeof(err));
	if (rep != NULL)
		sl_pmds_sync(d, rep, false);
	for (unsigned int i = 0; i < d->n_workers; i++) {
		Sluice__WorkerInfo *wi = rep != NULL && adopt ? worker_info_find(rep, i) : NULL;

		if (!d->slot_on[i])
			continue;
		if (wi != NULL && wi->pid > 0 && sl_proc_alive(wi->pid)) {
			sl_proc_adopt(&d->workers[i], wi->pid);
			sl_log("adopted worker %u, pid %d", i, (int)wi->pid);
		} else if (d->workers[i].state != SL_PROC_FAILED) {
			sl_worker_start(d, i);
		}
	}
	if (rep != NULL)
		sluice__reply__free_unpacked(rep, NULL);
}

void
sl_primary_is_up(struct sl_daemon *d, bool adopted)
{
	d->phase = SL_PRI_UP;
	/* Clients wait in the socket until the primary has the DB's state:
	 * a show now would show it half restored. */
	d->restoring = true;
	if (adopted)
		sl_reconcile(d);
	else
		sl_replay(d);
	d->restoring = false;
	workers_bring_up(d, adopted);
	d->next_watch_ms = sl_now_ms() + SL_WATCH_MS;
	sl_notify_ready(d, NULL);
}

/* ---- planned restarts ---- */

static void handover_end(struct sl_daemon *d, Sluice__Reply *rep);

/*
 * Ask the primary to confirm a running worker in the slot of @req (a
 * worker_restart request) and say which lcore it runs on; 0 with @out set,
 * or -errno if there is nothing to hand over from.
 */
static int
slot_to_hand_over(struct sl_daemon *d, Sluice__Request *req, Sluice__WorkerInfo *out)
{
	Sluice__Reply *rep;
	char err[256];
	int rc = -ENOENT;

	if (sl_primary_call(d, req, 1000, &rep, err, sizeof(err)) < 0)
		return -EAGAIN;
	if (rep->status == 0 && rep->n_workers == 1) {
		out->pid = rep->workers[0]->pid;
		out->lcore = rep->workers[0]->lcore;
		out->state = rep->workers[0]->state;
		rc = 0;
	} else if (rep->status != 0) {
		sl_log("worker-restart: %s: starting a new worker instead", rep->error);
	}
	sluice__reply__free_unpacked(rep, NULL);
	return rc;
}

/*
 * A planned restart that loses nothing: the replacement attaches beside the
 * running worker (on the slot's other lcore id) and takes its queues over
 * the moment the old one lets go; the old one then exits by itself.  The
 * call is answered from the tick once the replacement forwards.  A worker
 * that is not running is simply started again.
 */
Sluice__Reply *
sl_handover_start(struct sl_daemon *d, unsigned int id, struct sl_call *call)
{
	struct sl_handover *h = &d->handover;
	Sluice__WorkerInfo view = SLUICE__WORKER_INFO__INIT;
	struct sl_proc *w = &d->workers[id];
	pid_t old = w->pid;

	if (old > 0 && sl_proc_alive(old) && slot_to_hand_over(d, call->req, &view) == 0 &&
	    view.pid == old) {
		sl_proc_forgive(w);
		worker_spawn(d, id, sl_worker_lcore(id, sl_worker_other(id, view.lcore)), true);
		if (w->state != SL_PROC_RUNNING) {
			w->pid = old; /* nothing started: the old one carries on */
			w->state = SL_PROC_RUNNING;
			return sl_reply_err(ECHILD, "worker %u: replacement did not start: %s", id,
					    w->reason);
		}
		*h = (struct sl_handover){ .active = true, .id = id, .old_pid = old,
					   .new_pid = w->pid, .call = *call,
					   .all = call->req->worker_restart->all };
		h->deadline_ms = sl_now_ms() + SL_HANDOVER_MS;
		return SL_DEFERRED;
	}
	if (old > 0 && sl_proc_stop(w, 1000) < 0)
		return sl_reply_err(EBUSY, "worker %u (pid %d) would not die", id, (int)old);
	if (old > 0) {
		sl_log("worker %u (pid %d) stopped for restart", id, (int)old);
		sl_worker_event(d, id, old, SLUICE__WORKER_EVENT_KIND__WORKER_EXITED);
	}
	sl_proc_forgive(w);
	sl_worker_start(d, id);
	if (w->state != SL_PROC_RUNNING)
		return sl_reply_err(ECHILD, "worker %u: %s", id, w->reason);
	return sl_reply_new();
}

/* The last line a worker wrote about itself ("sluice-worker: ...") in its log. */
static void
worker_last_word(struct sl_daemon *d, unsigned int id, char *buf, size_t len)
{
	char path[PATH_MAX + 32], line[512];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/worker-%u.log", d->rundir, id);
	f = fopen(path, "re");
	if (f == NULL)
		return;
	if (fseek(f, -16384, SEEK_END) < 0)
		rewind(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "sluice-worker: ", 15) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, len, ": %s", line + 15);
		}
	fclose(f);
}

Sluice__Reply *
sl_handover_from(struct sl_daemon *d, unsigned int first, struct sl_call *call)
{
	for (unsigned int id = first; id < d->n_workers; id++) {
		Sluice__Reply *rep = sl_handover_start(d, id, call);

		if (rep == SL_DEFERRED || rep == NULL || rep->status != 0 ||
		    !call->req->worker_restart->all || id + 1 == d->n_workers)
			return rep;
		sluice__reply__free_unpacked(rep, NULL);
	}
	return sl_reply_new();
}

/* The replacement failed: the old worker carries on (if it still lives). */
static void
handover_abort(struct sl_daemon *d, int status, const char *why)
{
	struct sl_handover *h = &d->handover;
	struct sl_proc *w = &d->workers[h->id];
	char word[400];

	worker_last_word(d, h->id, word, sizeof(word));
	sl_log("worker %u: replacement pid %d %s%s", h->id, (int)h->new_pid, why, word);
	w->pid = h->old_pid;
	w->state = SL_PROC_RUNNING;
	handover_end(d, sl_reply_err(status, "worker %u: the replacement %s%s; pid %d carries on%s",
				     h->id, why, word, (int)h->old_pid,
				     h->all && h->id + 1 < d->n_workers
					     ? " and the workers after it were not restarted"
					     : ""));
}

static void
handover_tick(struct sl_daemon *d, uint64_t now)
{
	struct sl_handover *h = &d->handover;
	Sluice__WorkerInfo view = SLUICE__WORKER_INFO__INIT;

	if (!h->active || now < h->next_poll_ms)
		return;
	h->next_poll_ms = now + 10;
	if (worker_view(d, h->id, &view) == 0 && view.pid == h->new_pid &&
	    view.state == SLUICE__PROC_STATE__PROC_RUNNING) {
		sl_log("worker %u: pid %d took over from pid %d (planned restart)", h->id,
		       (int)h->new_pid, (int)h->old_pid);
		sl_worker_event(d, h->id, h->old_pid, SLUICE__WORKER_EVENT_KIND__WORKER_EXITED);
		if (h->all && h->id + 1 < d->n_workers) {
			struct sl_call call = h->call;
			Sluice__Reply *rep;

			/* --all: on to the next worker, answering once they all moved. */
			h->active = false;
			rep = sl_handover_from(d, h->id + 1, &call);
			if (rep != SL_DEFERRED)
				sl_call_finish(d, &call, rep);
			return;
		}
		handover_end(d, sl_reply_new());
		return;
	}
	if (now >= h->deadline_ms) {
		kill(h->new_pid, SIGKILL);
		waitpid(h->new_pid, NULL, 0);
		handover_abort(d, ETIMEDOUT, "did not take over in 10 s");
	}
}

static void
handover_end(struct sl_daemon *d, Sluice__Reply *rep)
{
	struct sl_call call = d->handover.call;

	d->handover.active = false;
	sl_call_finish(d, &call, rep);
}

/* ---- deaths ---- */

static void
workers_stop_all(struct sl_daemon *d)
{
	for (unsigned int i = 0; i < d->n_workers; i++)
		if (d->workers[i].pid > 0 && sl_proc_stop(&d->workers[i], 200) < 0)
			sl_log("worker %u (pid %d) would not die", i, (int)d->workers[i].pid);
}

static void
primary_ended(struct sl_daemon *d, int status)
{
	pid_t pid = d->primary.pid;
	bool logged;
	char how[64];

	sl_wait_status_str(status, how, sizeof(how));
	/* Once per back-off step in a crash loop, not once per crash. */
	logged = sl_proc_ended(&d->primary, status, true, sl_now_ms());
	if (logged)
		sl_log("sluice-primary (pid %d) ended: %s; stopping its workers", (int)pid, how);
	if (d->handover.active) {
		/* The worker record is the replacement's now (stopped below);
		 * the one it was taking over from is in no record, and would
		 * outlive the primary, holding its hugepages, for ever. */
		pid_t old = d->handover.old_pid;

		if (old > 0 && sl_proc_alive(old)) {
			sl_log("worker %u (pid %d): its hand-over ended with the primary: killing it",
			       d->handover.id, (int)old);
			kill(old, SIGKILL);
			for (int i = 0; i < 200 && sl_proc_alive(old); i++)
				usleep(10000);
			waitpid(old, NULL, WNOHANG);
		}
		handover_end(d, sl_reply_err(EHOSTDOWN, "sluice-primary ended during the restart"));
	}
	/* A worker cannot outlive its primary's shared memory in any useful way. */
	workers_stop_all(d);
	if (logged)
		sl_log("sluice-primary: %s", d->primary.reason);
	d->phase = SL_PRI_DOWN;
	if (d->primary.state == SL_PROC_FAILED)
		sl_notify_ready(d, d->primary.reason);
}

static void
worker_ended(struct sl_daemon *d, unsigned int id, int status)
{
	struct sl_proc *w = &d->workers[id];
	pid_t pid = w->pid;

	if (sl_proc_ended(w, status, true, sl_now_ms()))
		sl_log("worker %u (pid %d) ended: %s", id, (int)pid, w->reason);
	sl_worker_event(d, id, pid, SLUICE__WORKER_EVENT_KIND__WORKER_EXITED);
}

static void
reap_children(struct sl_daemon *d)
{
	int status;
	pid_t pid;

	while ((pid = sl_proc_reap(&status)) > 0) {
		if (d->handover.active && pid == d->handover.new_pid) {
			handover_abort(d, ECHILD, "exited before taking over");
			continue;
		}
		if (pid == d->primary.pid && !d->primary.adopted) {
			primary_ended(d, status);
			continue;
		}
		for (unsigned int i = 0; i < d->n_workers; i++)
			if (pid == d->workers[i].pid && !d->workers[i].adopted)
				worker_ended(d, i, status);
	}
}

/* Processes we did not start cannot be reaped: check that they still exist. */
static void
watch_adopted(struct sl_daemon *d)
{
	if (d->primary.adopted && d->primary.pid > 0 && !sl_proc_alive(d->primary.pid)) {
		primary_ended(d, -1);
		return;
	}
	for (unsigned int i = 0; i < d->n_workers; i++)
		if (d->workers[i].adopted && d->workers[i].pid > 0 &&
		    !sl_proc_alive(d->workers[i].pid))
			worker_ended(d, i, -1);
}

/* The primary sees hangs we cannot (stale heartbeat): a hung worker is killed and restarted. */
static void
watch_worker_list(struct sl_daemon *d, uint64_t now)
{
	bool any_adopted = false;
	Sluice__Reply *rep;
	char err[256];

	if (d->phase != SL_PRI_UP || now < d->next_watch_ms)
		return;
	for (unsigned int i = 0; i < d->n_workers; i++)
		any_adopted |= d->workers[i].adopted;
	d->next_watch_ms = now + (any_adopted ? SL_WATCH_ADOPTED_MS : SL_WATCH_MS);
	rep = sl_ask_primary(d, SLUICE__REQUEST__CMD_WORKER_LIST, 1000, err, sizeof(err));
	if (rep == NULL)
		return;
	for (size_t i = 0; i < rep->n_workers; i++) {
		Sluice__WorkerInfo *wi = rep->workers[i];
		struct sl_proc *w;

		if (wi->id >= d->n_workers)
			continue;
		w = &d->workers[wi->id];
		if (w->pid > 0 && wi->pid == w->pid &&
		    (wi->state == SLUICE__PROC_STATE__PROC_HUNG ||
		     wi->state == SLUICE__PROC_STATE__PROC_DEAD)) {
			sl_log("sluice-primary reports worker %u (pid %d) %s: killing it", wi->id,
			       (int)w->pid, sl_state_name(wi->state));
			kill(w->pid, SIGKILL);
		}
	}
	sluice__reply__free_unpacked(rep, NULL);
}

static void
primary_tick(struct sl_daemon *d, uint64_t now)
{
	if (d->phase == SL_PRI_DOWN && sl_proc_due(&d->primary, now)) {
		sl_primary_start(d);
		return;
	}
	if (d->phase != SL_PRI_STARTING || now < d->next_hello_ms)
		return;
	if (sl_primary_hello(d, 300) >= 0) {
		sl_log("sluice-primary (pid %d) is up", (int)d->primary.pid);
		sl_primary_is_up(d, false);
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
	if (d->phase != SL_PRI_UP)
		return;
	for (unsigned int i = 0; i < d->n_workers; i++)
		if (sl_proc_due(&d->workers[i], now) &&
		    !(d->handover.active && d->handover.id == i))
			sl_worker_start(d, i);
}

void
sl_procs_tick(struct sl_daemon *d)
{
	uint64_t now;

	reap_children(d);
	watch_adopted(d);
	now = sl_now_ms();
	if (sl_proc_healthy(&d->primary, now))
		sl_log("sluice-primary (pid %d) healthy for %u ms: back-off reset",
		       (int)d->primary.pid, d->restart_policy.healthy_ms);
	for (unsigned int i = 0; i < d->n_workers; i++)
		if (sl_proc_healthy(&d->workers[i], now))
			sl_log("worker %u (pid %d) healthy for %u ms: back-off reset", i,
			       (int)d->workers[i].pid, d->restart_policy.healthy_ms);
	primary_tick(d, now);
	workers_tick(d, now);
	watch_worker_list(d, now);
	handover_tick(d, now);
	if (d->needs_reconcile && d->phase == SL_PRI_UP && !d->handover.active) {
		d->needs_reconcile = false;
		sl_log("a change timed out: reconciling sluice-primary with the DB");
		d->restoring = true;
		sl_reconcile(d);
		d->restoring = false;
	}
}

void
sl_stop_everything(struct sl_daemon *d)
{
	/* The primary stops its workers itself; give it the time, then insist. */
	if (d->primary.pid > 0 && sl_proc_wait_end(&d->primary, 10000) < 0) {
		sl_log("sluice-primary (pid %d) still running: killing it", (int)d->primary.pid);
		sl_proc_stop(&d->primary, 1000);
	}
	for (unsigned int i = 0; i < d->n_workers; i++)
		if (d->workers[i].pid > 0 && sl_proc_wait_end(&d->workers[i], 2000) < 0)
			sl_proc_stop(&d->workers[i], 1000);
	d->phase = SL_PRI_DOWN;
}

bool
sl_pid_runs(pid_t pid, const char *bin)
{
	const char *base = strrchr(bin, '/') ? strrchr(bin, '/') + 1 : bin, *exe_base;
	char path[64], exe[PATH_MAX];
	ssize_t n;

	/* The kernel's word for what the process runs (comm can be set by anyone). */
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	/* A binary replaced by `meson install` shows as "PATH (deleted)". */
	if (n > 10 && strcmp(exe + n - 10, " (deleted)") == 0)
		exe[n - 10] = '\0';
	exe_base = strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe;
	return strcmp(exe_base, base) == 0;
}
