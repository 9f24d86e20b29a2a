/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Who may talk to sluiced, and what they may make the root primary open.
 * By default only root: rundir 0750, sockets 0660 (sluiced) and 0600
 * (primary).  With --group, a member of the group gets in but is confined;
 * a user outside it is refused by the kernel.  Users and the group are
 * made by the test and removed at its end.  Also: a rundir others may
 * write to is refused, and a forged primary.pid gets nobody killed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "control.h"
#include "instance.h"

static struct ctl c;
static char out[1 << 16];

#define GROUP "sltestgrp"
#define MEMBER "sltestin"
#define OUTSIDER "sltestout"
#define DATA "/tmp/sluice-test-data"

static void
sh(const char *cmd)
{
	if (system(cmd) == -1)
		perror(cmd);
}

static void
teardown(void)
{
	ctl_stop(&c);
	sh("userdel " MEMBER " 2>/dev/null; userdel " OUTSIDER " 2>/dev/null; "
	   "groupdel " GROUP " 2>/dev/null; rm -rf " DATA);
}

TestSuite(access, .fini = teardown, .timeout = 90);

static mode_t
mode_of(const char *dir, const char *name)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	cr_assert_eq(stat(path, &st), 0, "%s", path);
	return st.st_mode & 07777;
}

/* sluicectl as @user; its exit status, output in out. */
static int
as_user(const char *user, const char *args)
{
	char cmd[1024];
	FILE *p;
	size_t n;
	int st;

	snprintf(cmd, sizeof(cmd), "runuser -u %s -- %s/ctl/sluicectl --rundir %s --timeout 1500 %s 2>&1",
		 user, getenv("SLUICE_BUILD") ? getenv("SLUICE_BUILD") : "build", c.rundir, args);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(access, by_default_only_root_can_reach_the_sockets)
{
	ctl_start(&c, "accdef", 1);
	cr_assert_eq(mode_of("/tmp", "sluice-ctl-accdef") & 07027, 0, "rundir 0750 or tighter");
	cr_assert_eq(mode_of(c.rundir, "sluiced.sock"), 0660);
	cr_assert_eq(mode_of(c.rundir, "primary.sock"), 0600, "the primary is sluiced's alone");
	cr_assert_eq(mode_of(c.rundir, "sluiced.log") & 0007, 0, "logs are not world-readable");
}

Test(access, a_rundir_others_can_write_is_refused)
{
	char cmd[512];
	int st;

	sh("rm -rf /tmp/sluice-ctl-accbad && mkdir -m 0777 /tmp/sluice-ctl-accbad");
	snprintf(cmd, sizeof(cmd),
		 "%s/ctl/sluiced --rundir /tmp/sluice-ctl-accbad --eal-args '--no-pci "
		 "--file-prefix=sltest_accbad' --detach > /tmp/sluice-ctl-accbad.out 2>&1",
		 getenv("SLUICE_BUILD") ? getenv("SLUICE_BUILD") : "build");
	st = system(cmd);
	cr_assert_neq(st, 0, "sluiced started on a world-writable rundir");
	{
		FILE *f = fopen("/tmp/sluice-ctl-accbad.out", "r");
		size_t n = fread(out, 1, sizeof(out) - 1, f);

		out[n] = '\0';
		fclose(f);
	}
	cr_assert(strstr(out, "writable by others (mode 0777)") != NULL, "%s", out);
	sh("rm -rf /tmp/sluice-ctl-accbad /tmp/sluice-ctl-accbad.out");
}

Test(access, a_forged_primary_pid_file_gets_nobody_killed)
{
	char path[256];
	pid_t victim;
	FILE *f;

	ctl_start(&c, "accpid", 1);
	OK("shutdown");
	waitpid(c.sluiced, NULL, 0);
	victim = fork();
	if (victim == 0) {
		execlp("sleep", "sleep", "60", (char *)NULL);
		_exit(127);
	}
	snprintf(path, sizeof(path), "%s/primary.pid", c.rundir);
	f = fopen(path, "w");
	fprintf(f, "%d\n", (int)victim);
	fclose(f);
	ctl_start_daemon(&c);
	OK("show");
	cr_assert(strstr(out, "sluice-primary: running") != NULL, "a fresh primary: %s", out);
	cr_assert_eq(kill(victim, 0), 0, "the process named by the forged pid file was killed");
	kill(victim, SIGKILL);
	waitpid(victim, NULL, 0);
}

Test(access, a_group_member_is_confined_and_an_outsider_refused)
{
	static const char *const extra[] = { "--group", GROUP, "--data-dir", DATA, NULL };
	struct stat before, after;
	char cmd[256], path[256];

	sh("userdel " MEMBER " 2>/dev/null; userdel " OUTSIDER " 2>/dev/null; groupdel " GROUP
	   " 2>/dev/null");
	cr_assert_eq(system("groupadd " GROUP " && useradd -M -N -G " GROUP " " MEMBER
			    " && useradd -M -N " OUTSIDER),
		     0);
	sh("rm -rf " DATA " && mkdir -p " DATA " && chmod 0755 " DATA);
	ctl_start_opt(&c, "accgrp", 1, extra, true);

	cr_assert_neq(as_user(OUTSIDER, "show"), 0, "an outsider got in: %s", out);
	cr_assert_eq(as_user(MEMBER, "show"), 0, "a member was refused: %s", out);

	cr_assert_eq(stat("/etc/shadow", &before), 0);
	cr_assert_eq(as_user(MEMBER, "add-port evil 'net_pcap9,rx_pcap=/etc/hostname,tx_pcap=/etc/shadow'"),
		     1, "%s", out);
	cr_assert(strstr(out, "rx_pcap=/etc/hostname: not allowed") != NULL, "%s", out);
	cr_assert_eq(stat("/etc/shadow", &after), 0);
	cr_assert_eq(before.st_mtime, after.st_mtime, "/etc/shadow was touched");
	cr_assert_eq(before.st_size, after.st_size);
	cr_assert_eq(as_user(MEMBER, "add-port evil 'net_af_packet9,iface=eth0'"), 1, "%s", out);
	cr_assert(strstr(out, "iface=eth0: host interface not allowed") != NULL, "%s", out);
	cr_assert_eq(as_user(MEMBER, "add-port evil 0000:00:03.0"), 1, "%s", out);
	cr_assert(strstr(out, "PCI device 0000:00:03.0 not allowed") != NULL, "%s", out);
	cr_assert_eq(as_user(MEMBER, "add-port evil 'net_vhost9,iface=/etc/x.sock'"), 1, "%s", out);
	cr_assert(strstr(out, "iface=/etc/x.sock: not allowed") != NULL, "%s", out);
	cr_assert_eq(access("/etc/x.sock", F_OK), -1, "a socket was made in /etc");
	cr_assert_eq(as_user(MEMBER, "add-port evil 'net_pcap9,rx_pcap=" DATA "/../../etc/hostname'"),
		     1, "%s", out);
	cr_assert_eq(as_user(MEMBER, "add-port evil net_bonding0"), 1, "%s", out);
	cr_assert(strstr(out, "not allowed for clients") != NULL, "%s", out);
	OK("show");
	cr_assert(strstr(out, "evil") == NULL, "%s", out);

	/* What is inside the allowed places works. */
	snprintf(cmd, sizeof(cmd), "add-port ok 'net_pcap9,rx_pcap=%s/in.pcap,tx_pcap=" DATA "/out.pcap'",
		 c.rundir);
	snprintf(path, sizeof(path), "%s/in.pcap", c.rundir);
	pcap_write_frames(path, NULL, 0);
	cr_assert_eq(as_user(MEMBER, cmd), 0, "%s", out);
	cr_assert_eq(as_user(MEMBER, "add-port r net_ring_acc0"), 0, "%s", out);
}

/*
 * sluiced --detach keeps none of its starter's descriptors, nor does any
 * process it starts: the test's pipe reads end-of-file once the test
 * closes its own write end, while the daemon, its primary and its worker
 * run on.  (An inherited lock, such as a script's flock, would otherwise
 * stay held for as long as the switch runs.)
 */
Test(access, a_detached_sluiced_keeps_no_descriptor_of_its_starter)
{
	static const char *const detach[] = { "--detach", NULL };
	int p[2], i;
	ssize_t n = -1;
	char b;

	cr_assert_eq(pipe(p), 0, "pipe: %s", strerror(errno));
	ctl_start_opt(&c, "accfd", 1, detach, true);
	close(p[1]);
	cr_assert_eq(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	for (i = 0; i < 200 && (n = read(p[0], &b, 1)) < 0 && errno == EAGAIN; i++)
		usleep(10000);
	cr_assert_eq(n, 0, "the pipe's write end is still open in a process of the instance");
	close(p[0]);
	OK("show");
	cr_assert(strstr(out, "sluice-primary: running") != NULL, "%s", out);
}
