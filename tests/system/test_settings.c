/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port settings and switch options through sluicectl, end to end: one table
 * (common/settings.h) validated by sluiced, applied by the primary, shown,
 * persisted, replayed after a primary crash and reconciled after a sluiced
 * restart; refusals name what was wrong and change nothing.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "control.h"

CTL_SUITE(settings, 90);

Test(settings, every_setting_is_shown_with_its_default)
{
	ctl_start(&c, "setshow", 1);
	OK("add-port r1 net_ring_ss0");
	cr_assert_str_eq(SHOWN("r1", "mtu"), "1500");
	cr_assert_str_eq(SHOWN("r1", "n_rxq"), "1");
	cr_assert_str_eq(SHOWN("r1", "rx-flow-ctrl"), "false");
	cr_assert_str_eq(SHOWN("r1", "tx-flow-ctrl"), "false");
	cr_assert_str_eq(SHOWN("r1", "flow-ctrl-autoneg"), "false");
	OK("--json show");
	cr_assert(strstr(out, "\"rx-flow-ctrl\": \"false\"") != NULL, "%s", out);
	cr_assert(strstr(out, "\"state\": \"running\"") != NULL, "states by name: %s", out);
}

Test(settings, flow_control_on_a_pmd_without_it_is_refused_and_changes_nothing)
{
	char *db;

	ctl_start(&c, "setfc", 1);
	OK("add-port r1 net_ring_fc0 mtu=2000");
	db = ctl_db(&c);
	REFUSED("flow control is not supported by net_ring", "set-port r1 rx-flow-ctrl=true");
	/* All or nothing: the mtu given with it is not applied either. */
	REFUSED("flow control is not supported by net_ring",
		"set-port r1 mtu=3000 tx-flow-ctrl=true");
	cr_assert_str_eq(SHOWN("r1", "mtu"), "2000");
	cr_assert_str_eq(SHOWN("r1", "tx-flow-ctrl"), "false");
	cr_assert(strstr(out, "device: mtu 2000") != NULL, "%s", out);
	REFUSED("flow control is not supported by net_ring",
		"add-port r2 net_ring_fc1 flow-ctrl-autoneg=true");
	OK("show");
	cr_assert(strstr(out, "Port r2") == NULL, "a refused port is not added: %s", out);
	cr_assert_str_eq(ctl_db(&c), db, "the DB is unchanged");
	free(db);
}

Test(settings, bad_settings_and_options_name_what_was_wrong)
{
	char *db;

	ctl_start(&c, "setbad", 1);
	OK("add-port r1 net_ring_sb0");
	db = ctl_db(&c);
	REFUSED("unknown port setting \"colour\" (known: mtu, n_rxq, rx-flow-ctrl", "set-port r1 colour=blue");
	REFUSED("rx-flow-ctrl: \"yes\" is not true or false", "set-port r1 rx-flow-ctrl=yes");
	REFUSED("mtu: \"9711\" is not a number in 68..9702", "set-port r1 mtu=9711");
	REFUSED("mtu: \"0x2000\" is not a number", "set-port r1 mtu=0x2000");
	REFUSED("n_rxq: \"65\" is not a number in 1..64", "add-port r2 net_ring_sb1 n_rxq=65");
	REFUSED("bad port name \"0x2\"", "add-port 0x2 net_ring_sb2");
	REFUSED("\\x1b", "add-port 'r\033[2J' net_ring_sb3");
	REFUSED("unknown option \"nope\" (known: emc-insert-inv-prob", "set nope=1");
	REFUSED("pmd-maxsleep: \"10001\" is not a number in 0..10000", "set pmd-maxsleep=10001");
	cr_assert_str_eq(ctl_db(&c), db, "the DB is unchanged");
	OK("set pmd-maxsleep=0100");
	OK("show");
	cr_assert(strstr(out, "option pmd-maxsleep=100\n") != NULL, "canonical value: %s", out);
	free(db);
}

/* Settings survive a primary crash (replay) and a sluiced restart (reconcile). */
Test(settings, settings_are_persisted_replayed_and_reconciled)
{
	pid_t primary;
	char *db;

	ctl_start(&c, "setkeep", 1);
	OK("add-port r1 net_ring_sk0 mtu=2000 n_rxq=2");
	OK("set mac-aging-time=60");
	db = ctl_db(&c);
	cr_assert(strstr(db, "port r1 ofport=1 mtu=2000 n_rxq=2 devargs=net_ring_sk0\n") != NULL,
		  "%s", db);
	cr_assert(strstr(db, "option mac-aging-time=60\n") != NULL, "%s", db);

	primary = ctl_pid(&c, "primary");
	kill(primary, SIGKILL);
	for (int i = 0; i < 200; i++) {
		if (ctl_pid(&c, "primary") != primary &&
		    ctl_run(&c, out, sizeof(out), "show") == 0 && strstr(out, "device: mtu 2000"))
			break;
		usleep(50000);
	}
	cr_assert(strstr(out, "device: mtu 2000, n_rxq 2") != NULL, "replayed: %s", out);
	cr_assert(strstr(out, "option mac-aging-time=60") != NULL, "%s", out);

	/* A sluiced restart finds the primary as the DB says: nothing to change. */
	kill(c.sluiced, SIGKILL);
	waitpid(c.sluiced, NULL, 0);
	ctl_start_daemon(&c);
	cr_assert_str_eq(SHOWN("r1", "n_rxq"), "2");
	cr_assert(strstr(out, "device: mtu 2000, n_rxq 2") != NULL, "%s", out);
	cr_assert_str_eq(ctl_db(&c), db);
	free(db);
}
