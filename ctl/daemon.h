/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluiced's state and the seams between its parts:
 *   sluiced.c  start-up: options, rundir, pid file, socket, main loop
 *   api.c      the requests of sluicectl: dispatch, validate, forward, commit
 *   link.c     the link to sluice-primary: calls, forwarding, notices
 *   replay.c   bringing a primary to the DB's state (replay, reconcile)
 *   procs.c    supervision of the primary and the workers, driven by a tick
 *   log.c      logging
 * Nothing here blocks for long: a request that has to wait for something
 * (a planned worker restart) is kept as a pending call and answered from
 * the tick, while other requests are served.
 */
#ifndef SL_DAEMON_H
#define SL_DAEMON_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "db.h"
#include "msg.h"
#include "policy.h"
#include "slots.h"
#include "supervise.h"
#include "util.h"
#include "verbs.h"

#define SL_POLL_MS 100             /* main loop tick when idle */
#define SL_HEALTHY_MS 10000        /* default --healthy-after */
#define SL_PRIMARY_TIMEOUT_MS 5000 /* one request to the primary */
#define SL_HELLO_WAIT_MS 20000     /* a starting primary must answer Hello by then */
#define SL_WATCH_ADOPTED_MS 200    /* worker_list poll when some workers are not our children */
#define SL_WATCH_MS 1000           /* worker_list poll otherwise (hung workers) */
#define SL_HANDOVER_MS 10000       /* a planned restart must be done by then */
#define SL_MAX_CPUS 256
#define SL_MAX_QUEUED 64           /* changes waiting behind one in progress */

enum sl_pri_phase {
	SL_PRI_DOWN,     /* not running: see primary.state */
	SL_PRI_STARTING, /* spawned, waiting for its Hello */
	SL_PRI_UP,       /* answered and has the DB's configuration */
};

/* A request being handled: who asked, and what. */
struct sl_call {
	struct sl_peer peer;
	Sluice__Request *req;
};

/* A planned worker restart in progress (one at a time). */
struct sl_handover {
	bool active;
	bool all;        /* worker-restart --all: go on with id + 1 when this one is done */
	unsigned int id;
	pid_t old_pid;
	pid_t new_pid;
	uint64_t deadline_ms;
	uint64_t next_poll_ms;
	struct sl_call call; /* answered when the hand-over ends */
};

struct sl_daemon {
	/* options */
	const char *rundir;
	char *db_path;
	unsigned int n_workers; /* worker slots looked after (pmds.c: all of them) */
	unsigned int n_default; /* --workers: the worker set without pmd-cpu-mask */
	int cpus[SL_MAX_CPUS];
	unsigned int n_cpus;
	char **eal_args;
	unsigned int n_eal_args;
	char **primary_args; /* appended to the primary's own options */
	unsigned int n_primary_args;
	char primary_bin[PATH_MAX];
	char worker_bin[PATH_MAX];
	bool detach;
	unsigned int give_up_after; /* --give-up-after: 0 restarts for ever */
	unsigned int healthy_ms;    /* --healthy-after: a run this long resets the back-off */
	const char *group_name;     /* --group: sockets open to it, clients confined */
	gid_t gid;
	struct sl_policy policy;    /* what clients may attach */

	/* state */
	void *zctx;
	void *sock; /* ZMQ_ROUTER: replies may wait while others are served */
	char ctl_ep[PATH_MAX + 16];
	char primary_ep[PATH_MAX + 16];
	char primary_ro_ep[PATH_MAX + 16]; /* its read thread (primary/reads.c) */
	struct sl_db db;
	struct sl_restart_policy restart_policy;
	struct sl_proc primary;
	enum sl_pri_phase phase;
	uint64_t hello_deadline_ms;
	uint64_t next_hello_ms;
	struct sl_proc workers[SL_MAX_WORKERS];
	bool slot_on[SL_MAX_WORKERS];  /* the primary has this worker slot configured */
	int slot_cpu[SL_MAX_WORKERS];  /* and its worker runs on this CPU */
	uint64_t next_watch_ms;
	char replay_error[512];
	int ready_fd; /* --detach: tells the waiting parent how start-up went */
	int pid_fd;   /* RUNDIR/sluiced.pid, flock'd for our lifetime */
	int log_fd;
	bool quit;
	bool needs_reconcile; /* a change timed out: the primary may have applied it */

	struct sl_handover handover;
	/* Changes that arrived while one was in progress, applied in order. */
	bool serving;  /* in sl_api_serve_waiting: no nesting */
	bool restoring; /* replay or reconcile in progress: clients wait */
	struct sl_call queued[SL_MAX_QUEUED];
	unsigned int n_queued;
};

/* ---- bonds.c ---- */
/* add-port of a bond or member (@vals), del-port of one (@name): refused, 0 or -EINVAL. */
int sl_bond_port_guard(const struct sl_db *db, const char *name, const struct sl_values *vals,
		       char *err, size_t errlen);
/* set-port of @next (the port as it would be): a bond's bond-primary is one of its members;
 * 0 or -EINVAL with @err. */
int sl_bond_set_check(const struct sl_db *db, const struct sl_db_port *next, char *err,
		      size_t errlen);

/* ---- log.c ---- */
extern struct sl_daemon *sl_log_daemon;
void sl_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sl_fatal(struct sl_daemon *d, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));
void sl_notify_ready(struct sl_daemon *d, const char *failure);

/* ---- link.c ---- */
Sluice__Reply *sl_reply_new(void);
Sluice__Reply *sl_reply_err(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Replace a string field of an unpacked or built message. */
void sl_set_str(char **field, const char *s);
/* One call to the primary; reads are retried once on a fresh connection. */
int sl_primary_call(struct sl_daemon *d, Sluice__Request *req, int timeout_ms,
		    Sluice__Reply **rep, char *err, size_t errlen);
/* @req's reply from the primary, or a reply saying why there is none. */
Sluice__Reply *sl_forward(struct sl_daemon *d, Sluice__Request *req, int timeout_ms);
/* sl_forward(), calling @work (a slice of work; false once there is no more) while it waits. */
Sluice__Reply *sl_forward_while(struct sl_daemon *d, Sluice__Request *req, int timeout_ms,
				bool (*work)(void *), void *work_arg);
Sluice__Reply *sl_primary_unavailable(struct sl_daemon *d);
/* Timeout for a request touching @n_flows flows. */
int sl_timeout_for(size_t n_flows);
void sl_worker_event(struct sl_daemon *d, unsigned int id, pid_t pid,
		     Sluice__WorkerEventKind event);
/* Hello to the primary: its pid, or -1 if it does not answer. */
int sl_primary_hello(struct sl_daemon *d, int timeout_ms);
/* A request with an empty body of case @cmd to the primary; NULL on failure. */
Sluice__Reply *sl_ask_primary(struct sl_daemon *d, Sluice__Request__CmdCase cmd, int timeout_ms,
			      char *err, size_t errlen);

/* ---- api.c ---- */
typedef Sluice__Reply *(*sl_daemon_handler_fn)(struct sl_daemon *d, struct sl_call *call);
/* Did the primary apply the request @rep answers? */
bool sl_accepted(const Sluice__Reply *rep);
/* Save what the primary accepted; a save failure becomes @rep's error too. */
void sl_commit_reply(struct sl_daemon *d, Sluice__Reply *rep);
/*
 * Forward @call with its text field *@field replaced by @canonical (the
 * form the DB keeps) and, if the primary accepts it, store it with
 * @store(@d, @obj) and commit: the shape of add/mod of groups and meters.
 */
Sluice__Reply *sl_forward_canonical(struct sl_daemon *d, struct sl_call *call, char **field,
				    char *canonical, int (*store)(struct sl_daemon *d, const void *obj),
				    const void *obj);
extern sl_daemon_handler_fn sl_daemon_handlers[SL_CMD_SLOTS];
/* A handler's answer meaning: "kept the call; it is answered later". */
#define SL_DEFERRED ((Sluice__Reply *)1)
/* Every persisted verb has a handler; 0, or -1 naming the one missing in @err. */
int sl_api_check(char *err, size_t errlen);
/* Serve what waits on the socket (at most a few requests). */
void sl_api_serve(struct sl_daemon *d);
/* While sluiced waits for the primary: answer the reads its read thread
 * serves (SL_VERB_ANYTIME) at once, queue everything else. */
void sl_api_serve_waiting(void *d);
/* The same from a long computation of sluiced's own (a parse, a DB save). */
void sl_api_serve_now(void *d);
/* Serve what was queued, in order, once nothing holds it back. */
void sl_api_drain(struct sl_daemon *d);
/* Answer a kept call, free it, and serve changes queued behind it. */
void sl_call_finish(struct sl_daemon *d, struct sl_call *call, Sluice__Reply *rep);
/* Handle one call now (dispatch); returns its reply or SL_DEFERRED. */
Sluice__Reply *sl_api_handle(struct sl_daemon *d, struct sl_call *call);

/* ---- expiry.c ---- */
/* Take the flows the primary expired (RUNDIR/flows.expired) out of the DB; how many, or -errno. */
int sl_expiry_take(struct sl_daemon *d);

/* ---- replay.c ---- */
void sl_replay(struct sl_daemon *d);
void sl_reconcile(struct sl_daemon *d);

/* ---- procs.c ---- */
void sl_procs_init(struct sl_daemon *d);
/* One supervision step: reap, restart what is due, watch, hand-overs. */
void sl_procs_tick(struct sl_daemon *d);
void sl_primary_start(struct sl_daemon *d);
void sl_primary_is_up(struct sl_daemon *d, bool adopted);
void sl_worker_start(struct sl_daemon *d, unsigned int id);
/* Start a planned restart of worker @id answering @call at its end; or a reply now. */
Sluice__Reply *sl_handover_start(struct sl_daemon *d, unsigned int id, struct sl_call *call);
/* Planned restarts of worker @first and, for worker-restart --all, each after it. */
Sluice__Reply *sl_handover_from(struct sl_daemon *d, unsigned int first, struct sl_call *call);
void sl_stop_everything(struct sl_daemon *d);
/* Merge what only sluiced knows (restarts, crash loops) into a worker list. */
void sl_merge_workers(struct sl_daemon *d, Sluice__Reply *rep);
/* Is @pid a process running @bin (by its short name)? Guards against a recycled pid. */
bool sl_pid_runs(pid_t pid, const char *bin);
Sluice__ProcState sl_proc_pb_state(const struct sl_proc *p);

/* ---- pmds.c: workers by core ---- */
/* The default worker set (--workers on --lcores) before the primary says more. */
void sl_pmds_init(struct sl_daemon *d);
/* --cores for the primary: the CPU of each default worker slot. */
void sl_pmds_default_cores(const struct sl_daemon *d, char *buf, size_t len);
/* Can the cores of pmd-cpu-mask in @next run a worker here? 0 or -EINVAL. */
int sl_pmds_check(const struct sl_values *next, char *err, size_t errlen);
/* Follow the primary's worker list @rep: slots and cores; stop the workers
 * of slots taken out, and with @start start those of new slots. */
void sl_pmds_sync(struct sl_daemon *d, const Sluice__Reply *rep, bool start);
/* pmd-cpu-mask changed: ask the primary and follow it. */
void sl_pmds_changed(struct sl_daemon *d);

#endif /* SL_DAEMON_H */
