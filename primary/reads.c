/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reads while the control thread works: a thread of its own (`sl-reads`)
 * answers show, dump-ports, pmd-stats-show and worker-list on a second
 * socket (RUNDIR/primary-ro.sock), so that sluiced gets them answered while
 * the control thread spends seconds on a million-flow add-flows.
 *
 * What those handlers read (ports, their settings and counters, the
 * workers and their queues, the options) changes only on the control
 * thread, and only under sl_state_lock held for writing: around every
 * request but those that touch nothing but the flow table (SL_VERB_FLOWS),
 * and around housekeeping.  add-port and del-port take it themselves
 * around publishing and forgetting the slot, not while the device is
 * attached or detached (ports.c): the read thread looks at ACTIVE slots
 * only.  The flow table is never read here.  The control thread holds the
 * lock for a request's handler at most, never while it waits for the next
 * request, so a read waits for one port change at worst, never for a flow
 * install or a device's hotplug.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zmq.h>

#include "msg.h"
#include "primary.h"
#include "util.h"

pthread_rwlock_t sl_state_lock;
bool sl_state_held;

void
sl_state_wrlock(void)
{
	pthread_rwlock_wrlock(&sl_state_lock);
	sl_state_held = true;
}

void
sl_state_unlock(void)
{
	sl_state_held = false;
	pthread_rwlock_unlock(&sl_state_lock);
}

static pthread_t reads_tid;
static bool reads_started;
static void *ro_sock;

static void
serve_one(void)
{
	Sluice__Request *req;
	Sluice__Reply *rep;
	char err[1024] = "";
	int rc;

	rc = sl_msg_recv_request(ro_sock, ZMQ_DONTWAIT, &req, err, sizeof(err));
	if (rc == -EAGAIN)
		return;
	if (rc < 0) {
		sl_msg_reply_error(ro_sock, -rc, "%s", err);
		return;
	}
	rep = malloc(sizeof(*rep));
	if (rep == NULL) {
		sl_msg_reply_error(ro_sock, ENOMEM, "out of memory");
		sluice__request__free_unpacked(req, NULL);
		return;
	}
	sluice__reply__init(rep);
	if (!sl_request_is(req, SL_VERB_ANYTIME) || req->show == NULL) {
		rc = -EPERM;
		snprintf(err, sizeof(err), "primary-ro.sock answers reads marked "
					   "SL_VERB_ANYTIME only, not \"%s\"",
			 sl_request_name(req));
	} else {
		pthread_rwlock_rdlock(&sl_state_lock);
		rc = sl_primary_handlers[req->cmd_case](req, rep, err, sizeof(err));
		pthread_rwlock_unlock(&sl_state_lock);
	}
	if (rc < 0) {
		sl_reply_free_built(rep);
		sl_msg_reply_error(ro_sock, -rc, "%s", err[0] ? err : strerror(-rc));
	} else {
		sl_msg_send_reply(ro_sock, rep);
		sl_reply_free_built(rep);
	}
	sluice__request__free_unpacked(req, NULL);
}

static void *
reads_main(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&sl_p.quit, __ATOMIC_ACQUIRE)) {
		zmq_pollitem_t pi = { .socket = ro_sock, .events = ZMQ_POLLIN };

		if (zmq_poll(&pi, 1, 100) > 0 && (pi.revents & ZMQ_POLLIN))
			serve_one();
	}
	return NULL;
}

int
sl_reads_start(void)
{
	pthread_rwlockattr_t attr;
	char ep[600], path[600];
	int linger = 0, rc;
	int64_t maxsz = SL_MSG_MAX;
	sigset_t all, old;
	mode_t old_mask;

	/* The control thread's write lock must not wait behind a stream of reads. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&sl_state_lock, &attr);
	pthread_rwlockattr_destroy(&attr);

	ro_sock = zmq_socket(sl_p.zctx, ZMQ_REP);
	if (ro_sock == NULL)
		return -ENOMEM;
	zmq_setsockopt(ro_sock, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(ro_sock, ZMQ_MAXMSGSIZE, &maxsz, sizeof(maxsz));
	snprintf(path, sizeof(path), "%s/primary-ro.sock", sl_p.rundir);
	unlink(path);
	sl_endpoint(ep, sizeof(ep), sl_p.rundir, "primary-ro.sock");
	old_mask = umask(0177); /* sluiced's only, like primary.sock */
	rc = zmq_bind(ro_sock, ep);
	umask(old_mask);
	if (rc != 0) {
		PLOG(ERR, "bind %s: %s", ep, zmq_strerror(zmq_errno()));
		zmq_close(ro_sock);
		return -EADDRINUSE;
	}
	/* Signals are the control thread's (they interrupt its poll). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&reads_tid, NULL, reads_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		zmq_close(ro_sock);
		return -rc;
	}
	pthread_setname_np(reads_tid, "sl-reads");
	reads_started = true;
	return 0;
}

void
sl_reads_stop(void)
{
	char path[600];

	if (!reads_started)
		return;
	__atomic_store_n(&sl_p.quit, true, __ATOMIC_RELEASE);
	pthread_join(reads_tid, NULL);
	zmq_close(ro_sock);
	snprintf(path, sizeof(path), "%s/primary-ro.sock", sl_p.rundir);
	unlink(path);
	reads_started = false;
}
