/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

const char *
sl_rundir(const char *from_option)
{
	const char *env;

	if (from_option != NULL && from_option[0] != '\0')
		return from_option;
	env = getenv("SLUICE_RUNDIR");
	if (env != NULL && env[0] != '\0')
		return env;
	return SL_DEFAULT_RUNDIR;
}

void
sl_endpoint(char *buf, size_t len, const char *rundir, const char *sock_name)
{
	snprintf(buf, len, "ipc://%s/%s", rundir, sock_name);
}

int
sl_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (s == NULL || *s == '\0' || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end != '\0')
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

uint64_t
sl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

bool
sl_pid_alive(int pid)
{
	if (pid <= 0)
		return false;
	return kill(pid, 0) == 0 || errno == EPERM;
}

char *
sl_strdup(const char *s)
{
	return s == NULL ? NULL : strdup(s);
}
