/* SPDX-License-Identifier: BSD-3-Clause */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "control.h"

static const char *
build_dir(void)
{
	const char *b = getenv("SLUICE_BUILD");

	return b != NULL ? b : "build";
}

int
ctl_sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc == -1)
		perror("system");
	return rc;
}

static void
sweep(struct ctl *c)
{
	ctl_sh("pkill -9 -f -- '--rundir %s( |$)' 2>/dev/null; "
	   "pkill -9 -f -- '--file-prefix=%s( |$)' 2>/dev/null; sleep 0.1; "
	   "rm -f /dev/hugepages/%smap_*; rm -rf /var/run/dpdk/%s",
	   c->rundir, c->prefix, c->prefix, c->prefix);
}

void
ctl_start_daemon(struct ctl *c)
{
	char bin[512], workers[16], eal[512], log[256];
	char *argv[24] = { bin, "--rundir", c->rundir, "--workers", workers, "--lcores", "0,1",
			   "--eal-args", eal, NULL };
	char out[4096];
	int i, n = 9;

	for (i = 0; i < 8 && c->extra[i] != NULL; i++)
		argv[n++] = (char *)c->extra[i];
	argv[n] = NULL;

	snprintf(bin, sizeof(bin), "%s/ctl/sluiced", build_dir());
	snprintf(workers, sizeof(workers), "%d", c->workers);
	snprintf(eal, sizeof(eal), "--no-pci --file-prefix=%s --log-level=lib.eal:error %s",
		 c->prefix, c->eal_extra);
	snprintf(log, sizeof(log), "%s/sluiced.stderr", c->rundir);
	c->sluiced = fork();
	cr_assert(c->sluiced >= 0);
	if (c->sluiced == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(bin, argv);
		_exit(127);
	}
	for (i = 0; i < 300; i++) {
		if (ctl_run(c, out, sizeof(out), "worker-list") == 0 &&
		    (c->no_wait || strstr(out, "running") != NULL))
			break;
		usleep(50000);
	}
	cr_assert(i < 300, "sluiced did not come up: %s", out);
}

static void start(struct ctl *c, const char *name, int workers);

void
ctl_start(struct ctl *c, const char *name, int workers)
{
	ctl_start_opt(c, name, workers, NULL, true);
}

void
ctl_start_eal(struct ctl *c, const char *name, int workers, const char *eal_extra)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->eal_extra, sizeof(c->eal_extra), "%s", eal_extra);
	start(c, name, workers);
}

void
ctl_start_opt(struct ctl *c, const char *name, int workers, const char *const *extra,
	      bool wait_worker)
{
	memset(c, 0, sizeof(*c));
	for (int i = 0; extra != NULL && extra[i] != NULL && i < 8; i++)
		c->extra[i] = extra[i];
	c->no_wait = !wait_worker;
	start(c, name, workers);
}

static void
start(struct ctl *c, const char *name, int workers)
{
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->rundir, sizeof(c->rundir), "/tmp/sluice-ctl-%s", name);
	snprintf(c->prefix, sizeof(c->prefix), "sltest_%s", name);
	c->workers = workers;
	sweep(c);
	ctl_sh("rm -rf %s", c->rundir);
	cr_assert_eq(mkdir(c->rundir, 0755), 0, "mkdir %s: %s", c->rundir, strerror(errno));
	ctl_start_daemon(c);
}

int
ctl_run(struct ctl *c, char *out, size_t outlen, const char *fmt, ...)
{
	char args[65536], cmd[66000];
	size_t n = 0;
	va_list ap;
	FILE *p;
	int st;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "%s/ctl/sluicectl --rundir %s %s 2>&1", build_dir(), c->rundir,
		 args);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	while (n + 1 < outlen && !feof(p)) {
		size_t r = fread(out + n, 1, outlen - 1 - n, p);

		if (r == 0)
			break;
		n += r;
	}
	out[n] = '\0';
	/* Drain what did not fit so the child is never blocked on a full pipe. */
	while (fgetc(p) != EOF)
		;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

void
ctl_stop(struct ctl *c)
{
	char out[4096];

	if (c->rundir[0] == '\0')
		return;
	if (c->sluiced > 0) {
		ctl_run(c, out, sizeof(out), "shutdown");
		for (int i = 0; i < 500 && waitpid(c->sluiced, NULL, WNOHANG) == 0; i++)
			usleep(10000);
		kill(c->sluiced, SIGKILL);
		waitpid(c->sluiced, NULL, 0);
	}
	sweep(c);
	if (getenv("SLUICE_KEEP_TEST_DIR") == NULL)
		ctl_sh("rm -rf %s", c->rundir);
	c->rundir[0] = '\0';
}

char *
ctl_file(struct ctl *c, const char *name)
{
	char path[512], *buf = NULL;
	size_t len = 0;
	FILE *f, *m = open_memstream(&buf, &len);
	int ch;

	snprintf(path, sizeof(path), "%s/%s", c->rundir, name);
	f = fopen(path, "r");
	while (f != NULL && (ch = fgetc(f)) != EOF)
		fputc(ch, m);
	if (f != NULL)
		fclose(f);
	fclose(m);
	return buf;
}

char *
ctl_db(struct ctl *c)
{
	char cmd[1024], *buf = NULL;
	size_t len = 0;
	FILE *p, *m = open_memstream(&buf, &len);
	int ch;

	/* The journal applied: what the DB holds, not how its file spells it. */
	snprintf(cmd, sizeof(cmd), "%s/ctl/sluiced --print-db %s/sluice.db 2>&1", build_dir(),
		 c->rundir);
	p = popen(cmd, "r");
	while (p != NULL && (ch = fgetc(p)) != EOF)
		fputc(ch, m);
	if (p != NULL)
		pclose(p);
	fclose(m);
	return buf;
}

pid_t
ctl_pid(struct ctl *c, const char *name)
{
	char file[64], *s;
	pid_t pid;

	snprintf(file, sizeof(file), "%s.pid", name);
	s = ctl_file(c, file);
	pid = atoi(s);
	free(s);
	return pid;
}

long long
ctl_number_after(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p != NULL ? strtoll(p + strlen(key), NULL, 10) : -1;
}

const char *
ctl_port_shown(struct ctl *c, char *out, size_t outlen, const char *port, const char *key)
{
	static char line[256];
	char head[64], want[96];
	const char *p, *end;

	cr_assert_eq(ctl_run(c, out, outlen, "show"), 0, "show: %s", out);
	snprintf(head, sizeof(head), "Port %s\n", port);
	snprintf(want, sizeof(want), "        %s: ", key);
	line[0] = '\0';
	p = strstr(out, head);
	if (p == NULL)
		return line;
	end = strstr(p + 1, "    Port ");
	p = strstr(p, want);
	if (p == NULL || (end != NULL && p > end))
		return line;
	p += strlen(want);
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(p, "\n"), p);
	return line;
}
