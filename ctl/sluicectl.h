/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluicectl's parts: how a verb's request is built and its reply printed
 * (one ctl_verb per verb of common/verbs.h that needs either), registered
 * next to the functions with CTL_VERB from any of sluicectl's files.
 */
#ifndef SL_SLUICECTL_H
#define SL_SLUICECTL_H

#include <stdbool.h>
#include <stddef.h>

#include "verbs.h"

struct sl_ctl;

typedef void (*sl_build_fn)(struct sl_ctl *c, Sluice__Request *req);
typedef void (*sl_print_fn)(const Sluice__Reply *rep);

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

/* The verb's arguments, for builders in other files than sluicectl.c. */
char **sl_ctl_args(struct sl_ctl *c);
int sl_ctl_n_args(struct sl_ctl *c);
/* Print "sluicectl: VERB: message" and exit 2. */
void sl_ctl_usage_error(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif /* SL_SLUICECTL_H */
