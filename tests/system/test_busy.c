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

/*
 * A hotplug that waits: a direct port's device is attached in every worker
 * too, and the primary waits for each worker's answer.  With the worker
 * stopped (SIGSTOP) the add-port waits; show, dump-ports and pmd-stats-show
 * must answer meanwhile, with the ports as they were (the new one not yet
 * there), and the add-port must complete once the worker runs again.
 */
Test(busy, reads_are_answered_while_a_hotplug_waits_for_a_worker)
{
	int status = 0, answered = 0;
	pid_t worker, add;

	ctl_start(&c, "busyhp", 1);
	OK("add-port a net_null_busyhpa,no-rx=1 ofport=1");
	OK("worker-list");
	worker = (pid_t)ctl_number_after(out, "0   ");
	cr_assert_gt(worker, 0, "%s", out);

	cr_assert_eq(kill(worker, SIGSTOP), 0);
	add = background("addhp", "add-port b net_ring_busyhpb ofport=2");
	usleep(300000); /* in the primary's rte_dev_probe, waiting for the worker */
	for (int i = 0; i < 6; i++) {
		OK("show");
		cr_assert(strstr(out, "Port a") != NULL, "%s", out);
		cr_assert(strstr(out, "Port b") == NULL, "b is shown before it is added: %s", out);
		OK("dump-ports a");
		cr_assert(strstr(out, "rx pkts=") != NULL, "%s", out);
		OK("pmd-stats-show");
		cr_assert(strstr(out, "pmd thread") != NULL, "%s", out);
		/* Counted only if the hotplug is still waiting when they came back. */
		if (running(add, &status))
			answered++;
	}
	cr_assert(running(add, &status), "the add-port did not wait for the stopped worker: "
					 "this test proves nothing");
	kill(worker, SIGCONT);
	cr_assert_eq(waitpid(add, &status, 0), add);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "add-port: %s",
		  ctl_file(&c, "addhp.out"));
	fprintf(stderr, "busy: %d rounds of reads answered while the hotplug waited\n", answered);
	cr_assert_eq(answered, 6);
	OK("show");
	cr_assert(strstr(out, "Port b") != NULL, "%s", out);
	OK("worker-list");
	cr_assert_eq(ctl_number_after(out, "0   "), worker, "the worker was restarted: %s", out);
}
