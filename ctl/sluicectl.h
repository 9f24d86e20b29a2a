/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluicectl's pieces shared by its files: the command being run, and how a
 * verb's request is built and its reply printed (registered with CTL_VERB
 * next to the functions, in any file of sluicectl).
 */
#ifndef SL_SLUICECTL_H
#define SL_SLUICECTL_H

#include <stdbool.h>
#include <stddef.h>

#include "sluice.pb-c.h"
#include "verbs.h"

struct sl_ctl {
	const char *rundir;
	bool json;
	int timeout_ms; /* 0: default, grown for big flow batches */
	const char *verb;
	char **args;
	int n_args;
	/* ovs-ofctl's options of the flow verbs, before the verb or among its arguments */
	bool strict;
	bool no_stats;
	bool names;
	bool follow; /* packet-in-show --follow: ask again until interrupted */
	const Sluice__Reply *ports; /* with --names: the switch's ports (a show reply) */
	/* storage the request points into */
	char **lines;
	size_t n_lines;
	const char *lines_file; /* where lines came from, and their line numbers there */
	size_t *line_nos;
};

/* The command being run (for printers that depend on its options). */
extern struct sl_ctl *sl_ctl_cur;

typedef void (*sl_build_fn)(struct sl_ctl *c, Sluice__Request *req);
typedef void (*sl_print_fn)(const Sluice__Reply *rep);

/*
 * How sluicectl builds a verb's request and prints its reply.  The verbs
 * themselves are declared in common/verbs.h; a verb that takes no
 * arguments and prints nothing needs no entry here.  Entries are made next
 * to their functions with CTL_VERB.
 */
struct ctl_verb {
	sl_build_fn build;
	sl_print_fn print;
};

extern struct ctl_verb ctl_verbs[SL_N_VERBS];

#define CTL_VERB(id, build_fn, print_fn)                                   \
	static void __attribute__((constructor)) ctl_register_##id(void)    \
	{                                                                  \
		ctl_verbs[SL_VERB_##id] = (struct ctl_verb){ build_fn, print_fn }; \
	}

/* Print "sluicectl: VERB: message" on stderr (one line) and exit with @code. */
void die(int code, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));

/* calloc that dies on failure (and never returns NULL for 0). */
void *xcalloc(size_t n, size_t size);

#endif /* SL_SLUICECTL_H */
