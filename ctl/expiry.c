/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flows the primary expired (idle_timeout, hard_timeout) leave the DB.
 * The primary appends each expired flow's canonical text to
 * RUNDIR/flows.expired, durably and before the data plane drops it;
 * sluiced takes the file's lines out of its DB, saves the DB, and only then
 * empties the file (both under an flock).  A crash of either side at any
 * point leaves the expiry in the file or in the DB: a replay or reconcile
 * never brings an expired flow back.
 *
 * A line removes a flow only if the DB holds that very flow (same match,
 * priority, cookie, timeouts and actions): one replaced since by an add or
 * a mod-flows is another flow and stays.  sluiced takes the file before it
 * applies any flow change the primary accepted, so a flow re-added after
 * its expiry is added after the expiry is taken.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "flow_syntax.h"

/* Apply one "flow TEXT" line; returns 1 if it removed a flow. */
static int
take_line(struct sl_daemon *d, const char *line)
{
	const struct sl_flow *have;
	struct sl_flow f;
	char err[256];

	if (strncmp(line, "flow ", 5) != 0)
		return 0;
	if (sl_flow_parse(line + 5, SL_PARSE_FLOW, NULL, NULL, &f, err, sizeof(err)) < 0) {
		sl_log("flows.expired: %s in \"%.80s\"", err, line + 5);
		return 0;
	}
	have = sl_ftable_find(&d->db.flows, &f.match, f.priority);
	if (have == NULL || !sl_flow_same(have, &f))
		return 0;
	sl_ftable_del(&d->db.flows, &f.match, f.priority, true);
	sl_log("flow expired: %s", line + 5);
	return 1;
}

int
sl_expiry_take(struct sl_daemon *d)
{
	char path[4096], err[512], *buf = NULL, *line, *save = NULL;
	struct stat st;
	int fd, removed = 0, rc = 0;
	ssize_t got;

	snprintf(path, sizeof(path), "%s/flows.expired", d->rundir);
	/* The common case, every tick: nothing there. */
	if (stat(path, &st) < 0 || st.st_size == 0)
		return 0;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (flock(fd, LOCK_EX) < 0 || fstat(fd, &st) < 0) {
		rc = -errno;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	got = pread(fd, buf, (size_t)st.st_size, 0);
	if (got < 0) {
		rc = -errno;
		goto out;
	}
	buf[got] = '\0';
	for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
		removed += take_line(d, line);
	if (removed > 0 && sl_db_commit(&d->db, err, sizeof(err)) < 0) {
		/* The file stays: its lines are taken again next time. */
		sl_log("flow expiry: %s", err);
		rc = -EIO;
		goto out;
	}
	if (ftruncate(fd, 0) < 0)
		rc = -errno;
out:
	free(buf);
	close(fd); /* drops the lock */
	return rc < 0 ? rc : removed;
}
