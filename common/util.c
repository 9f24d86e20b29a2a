/* SPDX-License-Identifier: BSD-3-Clause */
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

	if (s == NULL || *s == '\0' || *s == '-' || *s == '+' || isspace((unsigned char)*s))
		return -EINVAL;
	/* Short decimals (every number of a flow, a million times in an
	 * add-flows) without strtoull's locale and base handling. */
	if (s[0] != '0' || s[1] == '\0') {
		uint64_t d = 0;
		size_t i;

		for (i = 0; i < 19 && s[i] >= '0' && s[i] <= '9'; i++)
			d = d * 10 + (uint64_t)(s[i] - '0');
		if (s[i] == '\0') {
			if (d < min || d > max)
				return -ERANGE;
			*out = d;
			return 0;
		}
	}
	errno = 0;
	/* Decimal, or hex with 0x: a leading zero is not octal ("010" is ten). */
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		v = s[2] != '\0' && isxdigit((unsigned char)s[2]) ? strtoull(s + 2, &end, 16)
								  : (end = (char *)s + 1, 0);
	else
		v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end != '\0')
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int
sl_set_err(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
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
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	if (pid <= 0 || (kill(pid, 0) != 0 && errno != EPERM))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno != ENOENT;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* "pid (comm) S ...": comm may hold anything */
	return p == NULL || p[1] != ' ' || (p[2] != 'Z' && p[2] != 'X');
}

char *
sl_strdup(const char *s)
{
	return s == NULL ? NULL : strdup(s);
}

static int
load_base(const char *lib, uintptr_t *base)
{
	struct link_map *lm = NULL;
	void *h = dlopen(lib, RTLD_NOW | RTLD_NOLOAD);
	int rc = -ENOENT;

	if (h == NULL)
		return rc;
	if (dlinfo(h, RTLD_DI_LINKMAP, &lm) == 0 && lm != NULL) {
		*base = lm->l_addr;
		rc = 0;
	}
	dlclose(h);
	return rc;
}

int
sl_fn_locate(const void *fn, char *lib, size_t liblen, uint64_t *off)
{
	uintptr_t base;
	Dl_info di;

	if (fn == NULL || dladdr(fn, &di) == 0 || di.dli_fname == NULL ||
	    strlen(di.dli_fname) >= liblen || load_base(di.dli_fname, &base) < 0)
		return -ENOENT;
	snprintf(lib, liblen, "%s", di.dli_fname);
	*off = (uintptr_t)fn - base;
	return 0;
}

void *
sl_fn_resolve(const char *lib, uint64_t off)
{
	uintptr_t base;

	if (lib[0] == '\0' || load_base(lib, &base) < 0)
		return NULL;
	return (void *)(base + off);
}

char *
sl_printable(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	if (len == 0)
		return buf;
	for (; s != NULL && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		size_t need = (c >= 0x20 && c < 0x7f) ? 1 : 4;

		if (o + need + 1 > len) {
			if (len >= 4)
				memcpy(buf + (o > len - 4 ? len - 4 : o), "...", 4);
			else
				buf[o] = '\0';
			return buf;
		}
		if (need == 1)
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
	}
	buf[o] = '\0';
	return buf;
}

void
sl_batch_error(char *buf, size_t len, size_t i, size_t n, const char *msg, const char *text)
{
	if (n > 1)
		snprintf(buf, len, "flow %zu: %s in \"%s\"", i + 1, msg, text);
	else
		snprintf(buf, len, "%s in \"%s\"", msg, text);
}

size_t
sl_batch_error_flow(const char *err, const char **rest)
{
	unsigned long long n;
	int used = 0;

	if (sscanf(err, "flow %llu: %n", &n, &used) != 1 || used == 0 || n == 0 || n > SIZE_MAX)
		return 0;
	*rest = err + used;
	return (size_t)n;
}
