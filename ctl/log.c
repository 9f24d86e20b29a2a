/* SPDX-License-Identifier: BSD-3-Clause */
/* sluiced's log: RUNDIR/sluiced.log, and stderr while in the foreground. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"

struct sl_daemon *sl_log_daemon;

void
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
void
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

void
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
