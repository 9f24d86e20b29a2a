/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A whole sluice instance run the way a user runs it: sluiced starting the
 * primary and the workers, sluicectl as the only way in.  ctl_stop() leaves
 * no process, hugepage file or directory behind, pass or fail.
 */
#ifndef SL_TEST_CONTROL_H
#define SL_TEST_CONTROL_H

#include <stdbool.h>
#include <sys/types.h>

struct ctl {
	char name[32];
	char rundir[128];
	char prefix[64];
	int workers;
	pid_t sluiced;
	const char *extra[8]; /* more sluiced options, set before ctl_start_daemon */
	bool no_wait;         /* ctl_start_daemon waits for sluiced only, not a running worker */
	char eal_extra[256]; /* more EAL arguments for the primary and workers */
};

/* Start sluiced with @workers workers and wait until it answers. */
void ctl_start(struct ctl *c, const char *name, int workers);

/* As ctl_start, with more sluiced options (NULL-terminated) and whether to wait for a running worker. */
void ctl_start_opt(struct ctl *c, const char *name, int workers, const char *const *extra,
		   bool wait_worker);
/* The same, with more EAL arguments (e.g. "--vdev=net_null9"). */
void ctl_start_eal(struct ctl *c, const char *name, int workers, const char *eal_extra);

/* (Re)start only sluiced, on the same rundir. */
void ctl_start_daemon(struct ctl *c);

/* Run `sluicectl --rundir DIR ARGS...`; returns its exit status, output in @out. */
int ctl_run(struct ctl *c, char *out, size_t outlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* `sluicectl shutdown`, then remove every trace. */
void ctl_stop(struct ctl *c);

/* Contents of a file in the rundir (malloc'd, "" if missing). */
char *ctl_file(struct ctl *c, const char *name);

/* What RUNDIR/sluice.db holds, whole (`sluiced --print-db`: its journal applied; malloc'd). */
char *ctl_db(struct ctl *c);

/* pid written in RUNDIR/NAME.pid, or 0. */
pid_t ctl_pid(struct ctl *c, const char *name);

/* `sluicectl show` into @out; the value of the "KEY: VALUE" line of port @port, or "". */
const char *ctl_port_shown(struct ctl *c, char *out, size_t outlen, const char *port,
			   const char *key);
#define SHOWN(port, key) ctl_port_shown(&c, out, sizeof(out), port, key)

/* Run a shell command made from @fmt; its system() status. */
int ctl_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A number following @key in @text ("tx pkts=" -> 123), or -1. */
long long ctl_number_after(const char *text, const char *key);

/*
 * The usual frame of a test file driving one instance: struct ctl c, an
 * output buffer out, a teardown that stops the instance pass or fail, and
 * OK(...), a sluicectl command that must succeed.
 */
#define CTL_SUITE(name, seconds)                                         \
	static struct ctl c;                                              \
	static char out[1 << 16];                                         \
	static void name##_teardown(void)                                 \
	{                                                                 \
		ctl_stop(&c);                                             \
	}                                                                 \
	TestSuite(name, .fini = name##_teardown, .timeout = seconds)

#define OK(...) cr_assert_eq(ctl_run(&c, out, sizeof(out), __VA_ARGS__), 0, "%s", out)

/* A sluicectl command that must be refused (exit 1) with one line naming @expect. */
#define REFUSED(expect, ...)                                                              \
	do {                                                                              \
		cr_assert_eq(ctl_run(&c, out, sizeof(out), __VA_ARGS__), 1, "%s", out);  \
		cr_assert(strstr(out, expect) != NULL, "expected \"%s\" in: %s", expect, out); \
		cr_assert(strchr(out, '\n') == NULL || strchr(out, '\n')[1] == '\0',     \
			  "one line: %s", out);                                            \
	} while (0)

#endif /* SL_TEST_CONTROL_H */
