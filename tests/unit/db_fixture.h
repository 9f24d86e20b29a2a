/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the DB's unit tests share: a fresh directory per test with the DB's
 * path in it, an error buffer, and a port added as sluiced adds one.
 */
#ifndef SL_TEST_DB_FIXTURE_H
#define SL_TEST_DB_FIXTURE_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "db.h"

static char dir[64];
static char path[128];
static char err[512];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/sl_test_db.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sluice.db", dir);
	err[0] = '\0';
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", dir);
}

static void
add_port(struct sl_db *db, const char *name, const char *devargs, uint32_t ofport)
{
	struct sl_db_port p;

	sl_db_port_init(&p, name, devargs);
	p.ofport = ofport;
	cr_assert_eq(sl_db_port_check(db, &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sl_db_port_add(db, &p), 0);
}

#endif /* SL_TEST_DB_FIXTURE_H */
