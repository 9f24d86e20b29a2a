/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fault injection: again and again (a fixed seed; SLUICE_FAULT_ITERATIONS,
 * default 20; tools/bench/faults-soak.sh runs 100), a change is started
 * (add-flows, replace-flows, add-port, del-port, set-port mtu,
 * worker-restart) and a randomly chosen process (a worker, the primary,
 * sluiced, a sluice-dump) is killed with SIGKILL at a random moment.
 * After recovery the DB, dump-flows and show must agree exactly, and the
 * data plane must forward by them.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "control.h"

static struct ctl c;
static char out[8 << 20]; /* dump-flows of thousands of flows */
static pid_t dump_pid;

static void
teardown(void)
{
	if (dump_pid > 0) {
		kill(dump_pid, SIGKILL);
		waitpid(dump_pid, NULL, 0);
	}
	ctl_stop(&c);
}

TestSuite(faults, .fini = teardown, .timeout = 600);

static const char *
build(void)
{
	return getenv("SLUICE_BUILD") ? getenv("SLUICE_BUILD") : "build";
}

/* sluicectl ARGS in the background. */
static pid_t
ctl_bg(const char *args)
{
	char cmd[1024];
	pid_t pid;

	snprintf(cmd, sizeof(cmd), "exec %s/ctl/sluicectl --rundir %s --timeout 20000 %s "
		 ">/dev/null 2>&1", build(), c.rundir, args);
	pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void
start_dump(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "exec %s/tools/sluice-dump --rundir %s -i sink -w /dev/null "
		 ">/dev/null 2>&1", build(), c.rundir);
	dump_pid = fork();
	if (dump_pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
}

/* Sorted lines of @text that start with @prefix, the prefix cut, into @buf. */
static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *
sorted_lines(const char *text, const char *prefix, const char *after)
{
	static char *lines[300000];
	size_t n = 0, total = 1;
	char *copy = strdup(text), *save = NULL, *res;

	for (char *l = strtok_r(copy, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
		char *p = strstr(l, prefix);

		if (p == NULL || n == 300000)
			continue;
		p += strlen(prefix);
		if (after != NULL && (p = strstr(p, after)) != NULL)
			p += strlen(after);
		if (p != NULL)
			lines[n++] = p, total += strlen(p) + 1;
	}
	qsort(lines, n, sizeof(char *), cmp_str);
	res = calloc(1, total);
	for (size_t i = 0; i < n; i++) {
		strcat(res, lines[i]);
		strcat(res, "\n");
	}
	free(copy);
	return res;
}

/* The ends of primary.log and sluiced.log, for a failure's message. */
static const char *
logs_tail(void)
{
	static char text[8192];
	char *plog = ctl_file(&c, "primary.log"), *dlog = ctl_file(&c, "sluiced.log");
	size_t pl = strlen(plog), dl = strlen(dlog);

	snprintf(text, sizeof(text), "primary.log ends: %s\nsluiced.log ends: %s",
		 plog + (pl > 4000 ? pl - 4000 : 0), dlog + (dl > 3000 ? dl - 3000 : 0));
	free(plog);
	free(dlog);
	return text;
}

/* Wait for the instance to be whole again: sluiced up, primary running, workers running. */
static void
recover(int iter)
{
	int i;

	if (waitpid(c.sluiced, NULL, WNOHANG) == c.sluiced || kill(c.sluiced, 0) != 0) {
		c.sluiced = 0;
		ctl_start_daemon(&c);
	}
	for (i = 0; i < 300; i++) {
		if (ctl_run(&c, out, sizeof(out), "show") == 0 &&
		    strstr(out, "sluice-primary: running") != NULL &&
		    strstr(out, "Worker 0: running") != NULL && strstr(out, "Worker 1: running") != NULL)
			break;
		usleep(50000);
	}
	if (i == 300)
		cr_assert_fail("iteration %d: the instance did not recover: %s\n%s", iter, out,
			       logs_tail());
}

static void
check_agreement(int iter)
{
	char *db, *db_flows, *flows, *db_ports, *ports;
	long long t0, t1;

	/* A change that was cut off may still be reconciled: give it a moment. */
	usleep(300000);
	db = ctl_db(&c);
	OK("dump-flows");
	/* hard_age shows where a flow was replaced after it was added: not part of the flow */
	for (char *h; (h = strstr(out, " hard_age=")) != NULL;)
		memmove(h, strstr(h, ", ") + 1, strlen(strstr(h, ", ") + 1) + 1);
	db_flows = sorted_lines(db, "flow ", NULL);
	flows = sorted_lines(out, " idle_age=", ", ");
	if (strcmp(flows, db_flows) != 0) {
		size_t i = 0;

		while (flows[i] == db_flows[i])
			i++;
		while (i > 0 && flows[i - 1] != '\n')
			i--;
		cr_assert_fail("iteration %d: dump-flows (%zu bytes) and the DB (%zu bytes) differ at "
			       "\"%.80s\" / \"%.80s\"; sluiced.log: %s",
			       iter, strlen(flows), strlen(db_flows), flows + i, db_flows + i,
			       ctl_file(&c, "sluiced.log"));
	}
	OK("show");
	db_ports = sorted_lines(db, "port ", NULL);
	ports = sorted_lines(out, "    Port ", NULL);
	{
		/* The same names on both sides. */
		char names[8192] = "", *save = NULL;

		for (char *l = strtok_r(db_ports, "\n", &save); l != NULL;
		     l = strtok_r(NULL, "\n", &save)) {
			char name[64];

			if (sscanf(l, "%63s", name) == 1) {
				strcat(names, name);
				strcat(names, "\n");
			}
		}
		cr_assert_str_eq(ports, names,
				 "iteration %d: show has ports\n%sthe DB\n%s\n%s", iter, ports,
				 names, logs_tail());
	}
	{
		/* ... with the same ofport and mtu (set-port mtu is one of the changes). */
		char *lines = sorted_lines(db, "port ", NULL), *save = NULL;

		for (char *l = strtok_r(lines, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
			char name[64], want_of[16] = "", want_mtu[16] = "1500", got[32];
			const char *of = strstr(l, " ofport="), *mtu = strstr(l, " mtu=");
			const char *dev = strstr(l, " devargs=");

			if (sscanf(l, "%63s", name) != 1)
				continue;
			if (of != NULL)
				snprintf(want_of, sizeof(want_of), "%.*s", (int)strcspn(of + 8, " "), of + 8);
			if (mtu != NULL && (dev == NULL || mtu < dev))
				snprintf(want_mtu, sizeof(want_mtu), "%.*s", (int)strcspn(mtu + 5, " "),
					 mtu + 5);
			snprintf(got, sizeof(got), "%s", ctl_port_shown(&c, out, sizeof(out), name, "ofport"));
			cr_assert_str_eq(got, want_of, "iteration %d: port %s: ofport %s shown, %s in the DB",
					 iter, name, got, want_of);
			snprintf(got, sizeof(got), "%s", ctl_port_shown(&c, out, sizeof(out), name, "mtu"));
			cr_assert_str_eq(got, want_mtu, "iteration %d: port %s: mtu %s shown, %s in the DB",
					 iter, name, got, want_mtu);
		}
		free(lines);
	}
	/* Forwarding by the table: src -> sink never stops. */
	OK("dump-ports sink");
	t0 = ctl_number_after(out, "tx pkts=");
	for (int i = 0; i < 50; i++) {
		usleep(20000);
		OK("dump-ports sink");
		t1 = ctl_number_after(out, "tx pkts=");
		if (t1 > t0)
			break;
	}
	if (t1 <= t0) {
		ctl_run(&c, out, sizeof(out), "show");
		cr_assert_fail("iteration %d: the data plane does not forward (sink tx %lu after 1 s)"
			       ":\n%s\n%s", iter, (unsigned long)t1, out, logs_tail());
	}
	free(db);
	free(db_flows);
	free(flows);
	free(db_ports);
	free(ports);
}

static const char *
write_flow_file(unsigned int seed, int n, const char *name)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", c.rundir, name);
	f = fopen(path, "w");
	for (int i = 0; i < n; i++)
		fprintf(f, "priority=%u,ip,nw_dst=10.%u.%u.%u,actions=drop\n", 10 + rand_r(&seed) % 50,
			rand_r(&seed) % 256, rand_r(&seed) % 256, rand_r(&seed) % 256);
	fprintf(f, "priority=65000,in_port=src,actions=output:sink\n");
	fclose(f);
	return path;
}

Test(faults, random_kills_during_changes_leave_db_and_switch_agreeing, .timeout = 3600)
{
	static const char *const victims[] = { "worker", "primary", "sluiced", "dump" };
	const char *env = getenv("SLUICE_FAULT_ITERATIONS");
	int iterations = env != NULL ? atoi(env) : 20;
	unsigned int seed = 20261202;
	char args[512];

	ctl_start(&c, "faults", 2);
	OK("add-port src net_null_fl0 ofport=1");
	OK("add-port sink net_null_fl1,no-rx=1 ofport=2");
	OK("add-flow 'priority=65000,in_port=src,actions=output:sink'");
	for (int iter = 0; iter < iterations; iter++) {
		int op = rand_r(&seed) % 6, v = rand_r(&seed) % 4;
		int delay_us = rand_r(&seed) % 60000;
		const char *victim = victims[v];
		pid_t op_pid, target = 0;

		switch (op) {
		case 0:
			snprintf(args, sizeof(args), "add-flows %s",
				 write_flow_file(seed + iter, 3000, "add.txt"));
			break;
		case 1:
			snprintf(args, sizeof(args), "replace-flows %s",
				 write_flow_file(seed + iter, 2000, "replace.txt"));
			break;
		case 2:
			snprintf(args, sizeof(args), "add-port x%d net_ring_flx%d mtu=%d", iter, iter,
				 1500 + iter);
			break;
		case 3:
			OK("show");
			{
				char *x = strstr(out, "Port x");

				if (x != NULL)
					snprintf(args, sizeof(args), "del-port %.*s",
						 (int)strcspn(x + 5, "\n"), x + 5);
				else
					snprintf(args, sizeof(args), "del-flows 'ip,nw_dst=10.1.0.0/16'");
			}
			break;
		case 4:
			snprintf(args, sizeof(args), "set-port src mtu=%d", 2000 + iter);
			break;
		default:
			snprintf(args, sizeof(args), "worker-restart %d", iter % 2);
			break;
		}
		if (v == 3)
			start_dump();
		op_pid = ctl_bg(args);
		usleep(delay_us);
		if (v == 0 && ctl_run(&c, out, sizeof(out), "--timeout 2000 worker-list") == 0)
			target = (pid_t)ctl_number_after(out, iter % 2 ? "\n1   " : "\n0   ");
		if (v == 1)
			target = ctl_pid(&c, "primary");
		if (v == 2)
			target = c.sluiced;
		if (v == 3)
			target = dump_pid;
		if (target > 0)
			kill(target, SIGKILL);
		waitpid(op_pid, NULL, 0);
		if (v == 2)
			waitpid(c.sluiced, NULL, 0);
		if (v == 3) {
			waitpid(dump_pid, NULL, 0);
			dump_pid = 0;
		}
		fprintf(stderr, "faults: iteration %d: %s, killed %s after %d us\n", iter, args,
			victim, delay_us);
		recover(iter);
		check_agreement(iter);
	}
	/* A clean end leaves nothing behind: processes, hugepage files, sockets. */
	OK("shutdown");
	for (int i = 0; i < 500 && waitpid(c.sluiced, NULL, WNOHANG) == 0; i++)
		usleep(10000);
	c.sluiced = 0;
	usleep(200000);
	cr_assert_neq(system("pgrep -f -- '--file-prefix=sltest_faults( |$)' >/dev/null"), 0,
		      "a process of the instance is left over");
	cr_assert_neq(system("ls /dev/hugepages/sltest_faultsmap_* >/dev/null 2>&1"), 0,
		      "hugepage files are left over");
	cr_assert_neq(system("ls /tmp/sluice-ctl-faults/*.sock >/dev/null 2>&1"), 0,
		      "sockets are left over");
}
