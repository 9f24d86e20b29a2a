/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A control side that answers while it works: show, dump-ports,
 * pmd-stats-show and worker-list are answered while a 200,000-flow
 * add-flows is in progress (sluiced serves reads while it parses, waits
 * for the primary and saves; the primary's read thread answers beside its
 * control thread), and the changes sent meanwhile are applied after it, in
 * the order they came.  How fast they are answered is measured by
 * tools/bench/reads-during-install.sh, not here.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "control.h"

CTL_SUITE(busy, 180);

enum { N_FLOWS = 200000 };

/* sluicectl ARGS in the background, its output in RUNDIR/NAME.out. */
static pid_t
background(const char *name, const char *args)
{
	char cmd[1024];
	pid_t pid = fork();

	cr_assert(pid >= 0);
	if (pid == 0) {
		snprintf(cmd, sizeof(cmd), "exec %s/ctl/sluicectl --rundir %s %s > %s/%s.out 2>&1",
			 getenv("SLUICE_BUILD") ? getenv("SLUICE_BUILD") : "build", c.rundir, args,
			 c.rundir, name);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static bool
running(pid_t pid, int *status)
{
	return waitpid(pid, status, WNOHANG) == 0;
}

Test(busy, reads_are_answered_during_a_big_add_flows_and_changes_wait_their_turn)
{
	static const char *const reads[] = { "show", "dump-ports", "pmd-stats-show",
					     "worker-list" };
	static const char *const want[] = { "Port a", "a", "worker", "running" };
	int answered = 0, status = 0, st2 = 0;
	char path[256], args[512];
	pid_t add, later;
	FILE *f;

	ctl_start(&c, "busy", 1);
	OK("add-port a net_null_busya,no-rx=1 ofport=1");
	snprintf(path, sizeof(path), "%s/flows.txt", c.rundir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	for (int i = 0; i < N_FLOWS; i++)
		fprintf(f, "priority=10,ip,nw_dst=10.%d.%d.%d,actions=drop\n", i >> 16 & 255,
			i >> 8 & 255, i & 255);
	fclose(f);

	snprintf(args, sizeof(args), "add-flows %s", path);
	add = background("add", args);
	usleep(150000); /* sluicectl has sent it; sluiced is at it */
	/* A change sent now waits for the install, then applies. */
	later = background("later", "add-flow priority=5,ip,nw_dst=10.255.255.255,actions=drop");
	for (int i = 0; running(add, &status); i++) {
		const char *r = reads[i % 4];

		cr_assert_eq(ctl_run(&c, out, sizeof(out), "%s", r), 0, "%s: %s", r, out);
		cr_assert(strstr(out, want[i % 4]) != NULL, "%s: %s", r, out);
		/* Counted only if the install was still going when it came back. */
		if (running(add, &status))
			answered++;
		else
			break;
	}
	if (add > 0 && waitpid(add, &status, 0) < 0)
		status = 0; /* reaped in running() */
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "add-flows: %s",
		  ctl_file(&c, "add.out"));
	fprintf(stderr, "busy: %d reads answered while %d flows went in\n", answered, N_FLOWS);
	cr_assert_geq(answered, 3, "reads waited for the install (%d answered during it)",
		      answered);
	cr_assert_eq(waitpid(later, &st2, 0), later);
	cr_assert(WIFEXITED(st2) && WEXITSTATUS(st2) == 0, "%s", ctl_file(&c, "later.out"));
	/* Both are in the switch and in the DB. */
	OK("show");
	cr_assert(strstr(out, "(200001 flows)") != NULL, "%.400s", out);
	cr_assert(strstr(ctl_db(&c),
			 "\nflow priority=5,ip,nw_dst=10.255.255.255,actions=drop\n") != NULL,
		  "the change sent during the install is in the DB");
}
