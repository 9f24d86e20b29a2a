/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Supervision of one process (the primary, or one worker): start it, notice
 * its end, and restart it after a capped exponential back-off, forever: a
 * run that stayed up for healthy_ms starts the back-off over.  Giving up is
 * an operator's choice (give_up_after), never the default.  Processes sluiced started are its
 * children and are reaped with waitpid; processes it found running after its
 * own restart are "adopted" and watched with kill(pid, 0).
 */
#ifndef SL_SUPERVISE_H
#define SL_SUPERVISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct sl_restart_policy {
	uint32_t backoff_min_ms; /* first restart delay */
	uint32_t backoff_max_ms; /* the delay doubles up to this */
	uint32_t healthy_ms;     /* a run this long resets the back-off */
	uint32_t give_up_after;  /* this many failed runs in a row: FAILED; 0: never */
};

enum sl_proc_state {
	SL_PROC_STOPPED, /* not started, or stopped on purpose */
	SL_PROC_RUNNING,
	SL_PROC_BACKOFF, /* ended; restart due at restart_at_ms */
	SL_PROC_FAILED,  /* ended give_up_after times in a row; no more restarts */
};

struct sl_proc {
	char name[32]; /* for messages: "primary", "worker 0" */
	const struct sl_restart_policy *policy;
	enum sl_proc_state state;
	pid_t pid;
	bool adopted;         /* not our child */
	uint64_t started_ms;
	uint64_t restart_at_ms;
	uint32_t backoff_ms;
	uint32_t in_a_row;    /* failed runs since the last healthy one */
	uint64_t n_fails;     /* failed runs in all */
	uint64_t restarts;
	char last_exit[64]; /* "status 1", "signal 11", "vanished" */
	char reason[192];   /* why it is not running, for show / worker-list */
	bool quiet;         /* its last end was not logged: nor is its restart */
};

/* A stopped process record. */
void sl_proc_init(struct sl_proc *p, const char *name, const struct sl_restart_policy *policy);

/*
 * fork + exec @argv[0] (a path) in its own session with stdout/stderr
 * appended to @logpath, so the terminal's Ctrl-C and sluiced's own end do
 * not reach it.  Returns 0 once exec succeeded, or -errno with @err set
 * (then the process never ran).
 */
int sl_proc_spawn(struct sl_proc *p, char *const argv[], const char *logpath, char *err,
		  size_t errlen);

/* Take over a running process sluiced did not start. */
void sl_proc_adopt(struct sl_proc *p, pid_t pid);

/*
 * The process ended (wait @status, or -1 when unknown for an adopted one).
 * With @failure it counts against the policy: the next restart is due after
 * the back-off (reason says so, with the count of crashes in a row), or,
 * only where the policy gives up, the process is FAILED.  Without, it is
 * simply STOPPED (an ordered stop).  Returns true when this end is worth a
 * log line: the back-off changed, or the count of crashes in a row reached
 * a power of two (a crash loop at the longest back-off is not logged once
 * per crash).
 */
bool sl_proc_ended(struct sl_proc *p, int status, bool failure, uint64_t now_ms);

/*
 * A run that has stayed up for healthy_ms after failed ones: the back-off
 * starts over now (not only at the next end), the crash loop is no longer
 * shown.  True when that happened on this call (worth a log line).
 */
bool sl_proc_healthy(struct sl_proc *p, uint64_t now_ms);

/* True if p is in BACKOFF and its restart time has come. */
bool sl_proc_due(const struct sl_proc *p, uint64_t now_ms);

/* Forget the crash history (an operator asked for a restart). */
void sl_proc_forgive(struct sl_proc *p);

/*
 * SIGTERM, wait up to @grace_ms, then SIGKILL and wait again; children are
 * reaped here.  The record becomes STOPPED.  Returns 0, or -ETIMEDOUT if
 * the process would not die.
 */
int sl_proc_stop(struct sl_proc *p, int grace_ms);

/* Wait up to @ms for the process to end by itself (then STOPPED, returns 0), else -ETIMEDOUT. */
int sl_proc_wait_end(struct sl_proc *p, int ms);

/* True if @pid exists and is not a zombie. */
bool sl_proc_alive(pid_t pid);

/* Reap one ended child without blocking: its pid (status in *status), or 0. */
pid_t sl_proc_reap(int *status);

/* "status 1" / "signal 11" for a wait status (-1: "vanished"). */
void sl_wait_status_str(int status, char *buf, size_t len);

/* "running", "starting", "restarting", "failed", "stopped". */
const char *sl_proc_state_name(const struct sl_proc *p);

#endif /* SL_SUPERVISE_H */
