/* SPDX-License-Identifier: BSD-3-Clause */
/* Start, watch and restart processes with a capped exponential back-off. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "supervise.h"
#include "util.h"

void
sl_proc_init(struct sl_proc *p, const char *name, const struct sl_restart_policy *policy)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->policy = policy;
	p->state = SL_PROC_STOPPED;
	p->backoff_ms = policy->backoff_min_ms;
}

/* In the child between fork and exec: only async-signal-safe calls. */
static void __attribute__((noreturn))
child_exec(char *const argv[], const char *logpath, int errfd)
{
	sigset_t none;
	int fd, e;

	/* Own session: Ctrl-C on sluiced's terminal and sluiced's end must not reach it. */
	setsid();
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL); /* sluiced ignores it; exec would keep that */
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0) {
		dup2(fd, 0);
		close(fd);
	}
	fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	/* Keep sluiced's ZeroMQ and log descriptors out of the child. */
	close_range(3, errfd > 3 ? (unsigned int)errfd - 1 : 2, 0);
	close_range((unsigned int)errfd + 1, ~0u, 0);
	execv(argv[0], argv);
	e = errno;
	if (write(errfd, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

int
sl_proc_spawn(struct sl_proc *p, char *const argv[], const char *logpath, char *err,
	      size_t errlen)
{
	int pfd[2], e = 0;
	ssize_t n;
	pid_t pid;

	/* A close-on-exec pipe tells us whether exec worked: EOF means yes. */
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		e = errno;
		close(pfd[0]);
		close(pfd[1]);
		snprintf(err, errlen, "fork: %s", strerror(e));
		return -e;
	}
	if (pid == 0) {
		close(pfd[0]);
		child_exec(argv, logpath, pfd[1]);
	}
	close(pfd[1]);
	do
		n = read(pfd[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	if (n == sizeof(e)) {
		waitpid(pid, NULL, 0);
		snprintf(err, errlen, "cannot execute %s: %s", argv[0], strerror(e));
		return -e;
	}
	p->pid = pid;
	p->adopted = false;
	p->state = SL_PROC_RUNNING;
	/* A crash loop stays visible while the new run has not proved itself. */
	if (p->in_a_row >= 3)
		snprintf(p->reason, sizeof(p->reason),
			 "running again after %u failed runs in a row (last exit %s); "
			 "healthy after %u ms up",
			 p->in_a_row, p->last_exit, p->policy->healthy_ms);
	else
		p->reason[0] = '\0';
	p->started_ms = sl_now_ms();
	return 0;
}

void
sl_proc_adopt(struct sl_proc *p, pid_t pid)
{
	p->pid = pid;
	p->adopted = true;
	p->state = SL_PROC_RUNNING;
	p->started_ms = sl_now_ms();
}

void
sl_wait_status_str(int status, char *buf, size_t len)
{
	if (status == -1)
		snprintf(buf, len, "vanished");
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "signal %d", WTERMSIG(status));
	else if (WIFEXITED(status))
		snprintf(buf, len, "status %d", WEXITSTATUS(status));
	else
		snprintf(buf, len, "wait status 0x%x", status);
}

bool
sl_proc_ended(struct sl_proc *p, int status, bool failure, uint64_t now_ms)
{
	const struct sl_restart_policy *pol = p->policy;
	uint32_t delay, before = p->backoff_ms;

	sl_wait_status_str(status, p->last_exit, sizeof(p->last_exit));
	p->pid = 0;
	p->adopted = false;
	if (!failure) {
		p->state = SL_PROC_STOPPED;
		p->quiet = false;
		return true;
	}
	/* A run that stayed healthy starts the back-off over. */
	if (now_ms - p->started_ms >= pol->healthy_ms) {
		p->in_a_row = 0;
		p->backoff_ms = pol->backoff_min_ms;
	}
	p->in_a_row++;
	p->n_fails++;
	if (pol->give_up_after != 0 && p->in_a_row >= pol->give_up_after) {
		p->state = SL_PROC_FAILED;
		snprintf(p->reason, sizeof(p->reason),
			 "not restarting: %u failed runs in a row (--give-up-after), last exit %s",
			 p->in_a_row, p->last_exit);
		return true;
	}
	delay = p->backoff_ms;
	p->restart_at_ms = now_ms + delay;
	p->backoff_ms = delay * 2 > pol->backoff_max_ms ? pol->backoff_max_ms : delay * 2;
	p->state = SL_PROC_BACKOFF;
	if (p->in_a_row >= 3)
		snprintf(p->reason, sizeof(p->reason),
			 "crash loop: %u failed runs in a row (%llu in all), last exit %s; "
			 "next try in %u ms",
			 p->in_a_row, (unsigned long long)p->n_fails, p->last_exit, delay);
	else
		snprintf(p->reason, sizeof(p->reason), "exited (%s), restarting in %u ms",
			 p->last_exit, delay);
	p->quiet = !(p->backoff_ms != before || (p->in_a_row & (p->in_a_row - 1)) == 0);
	return !p->quiet;
}

bool
sl_proc_healthy(struct sl_proc *p, uint64_t now_ms)
{
	if (p->state != SL_PROC_RUNNING || p->in_a_row == 0 ||
	    now_ms - p->started_ms < p->policy->healthy_ms)
		return false;
	p->in_a_row = 0;
	p->backoff_ms = p->policy->backoff_min_ms;
	p->reason[0] = '\0';
	p->quiet = false;
	return true;
}

bool
sl_proc_due(const struct sl_proc *p, uint64_t now_ms)
{
	return p->state == SL_PROC_BACKOFF && now_ms >= p->restart_at_ms;
}

void
sl_proc_forgive(struct sl_proc *p)
{
	p->in_a_row = 0;
	p->backoff_ms = p->policy->backoff_min_ms;
	p->reason[0] = '\0';
	p->quiet = false;
	if (p->state == SL_PROC_FAILED)
		p->state = SL_PROC_STOPPED;
}

bool
sl_proc_alive(pid_t pid)
{
	char path[64], buf[256], *paren;
	ssize_t n;
	int fd;

	if (!sl_pid_alive(pid))
		return false;
	/* kill(pid, 0) succeeds on a zombie that nobody reaped (adopted processes). */
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	paren = strrchr(buf, ')');
	return paren == NULL || paren[1] != ' ' || (paren[2] != 'Z' && paren[2] != 'X');
}

/* Has it ended? Reaps a child; *status -1 when unknown. */
static bool
proc_gone(struct sl_proc *p, int *status)
{
	if (!p->adopted) {
		pid_t r = waitpid(p->pid, status, WNOHANG);

		return r == p->pid || (r < 0 && errno == ECHILD);
	}
	*status = -1;
	return !sl_proc_alive(p->pid);
}

static bool
wait_gone(struct sl_proc *p, int ms, int *status)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int waited;

	for (waited = 0; waited <= ms; waited += 10) {
		if (proc_gone(p, status))
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

int
sl_proc_wait_end(struct sl_proc *p, int ms)
{
	int status = -1;

	if (p->pid > 0 && !wait_gone(p, ms, &status))
		return -ETIMEDOUT;
	sl_proc_ended(p, status, false, sl_now_ms());
	return 0;
}

int
sl_proc_stop(struct sl_proc *p, int grace_ms)
{
	int status = -1;

	if (p->pid <= 0) {
		p->state = SL_PROC_STOPPED;
		return 0;
	}
	kill(p->pid, SIGTERM);
	if (!wait_gone(p, grace_ms, &status)) {
		kill(p->pid, SIGKILL);
		if (!wait_gone(p, 2000, &status))
			return -ETIMEDOUT;
	}
	sl_proc_ended(p, status, false, sl_now_ms());
	return 0;
}

pid_t
sl_proc_reap(int *status)
{
	pid_t pid = waitpid(-1, status, WNOHANG);

	return pid > 0 ? pid : 0;
}

const char *
sl_proc_state_name(const struct sl_proc *p)
{
	switch (p->state) {
	case SL_PROC_RUNNING:
		return "running";
	case SL_PROC_BACKOFF:
		return "restarting";
	case SL_PROC_FAILED:
		return "failed";
	default:
		return "stopped";
	}
}
