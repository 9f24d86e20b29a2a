/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow timeouts.  Workers count every rule's packets in their own counter
 * slots (sl_flow_counter); the primary looks at the sums now and then: a
 * rule whose sum moved was used then (idle_age).  A rule whose
 * idle_timeout has passed since its last use, or whose hard_timeout has
 * passed since it was added, expires: it leaves the table in one edit,
 * like a del-flows.
 *
 * Before an expiry is published, the expired rules are appended to
 * RUNDIR/flows.expired (fsync'd, under an flock): sluiced takes them out of
 * its DB from there, so that neither a crash of the primary (the file
 * outlives it) nor one of sluiced (its DB is saved before the file is
 * emptied) brings an expired flow back with a replay or a reconcile.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "flow_syntax.h"
#include "primary.h"
#include "util.h"

#define SL_EXPIRY_SCAN_MS 100  /* rules with a timeout are looked at this often */
#define SL_USE_SCAN_MS 1000    /* and every rule, for idle_age, this often */

static uint64_t last_scan_ms, last_full_ms;

/* Positions of the rules with a timeout, for table generation timed_gen:
 * the 100 ms scan reads those, not every rule of a 1M-rule table. */
static uint32_t *timed, n_timed;
static uint64_t timed_gen = UINT64_MAX;

static int
timed_refresh(const struct sl_ftable *t)
{
	uint32_t *v;

	if (t->gen == timed_gen)
		return 0;
	v = realloc(timed, sizeof(*v) * (t->n ? t->n : 1));
	if (v == NULL)
		return -ENOMEM;
	timed = v;
	n_timed = 0;
	SL_FTABLE_FOREACH(i, t)
	if (t->rules[i].idle_timeout != 0 || t->rules[i].hard_timeout != 0)
		timed[n_timed++] = i;
	timed_gen = t->gen;
	return 0;
}

/* Note a rule's use: its counter moved since the last look. */
static void
note_use(uint32_t i, uint64_t now)
{
	struct sl_pflow *pf = sl_pflow_of(i);
	uint64_t packets, bytes;

	sl_flow_counters_sum(pf->id, &packets, &bytes);
	if (packets != pf->seen_packets) {
		pf->seen_packets = packets;
		pf->used_ms = now;
	}
}

static bool
expired(const struct sl_flow *f, const struct sl_pflow *pf, uint64_t now)
{
	/* From the last change, as in Open vSwitch (a mod-flows or an add
	 * that replaces the flow starts it again). */
	if (f->hard_timeout != 0 && now - pf->modified_ms >= (uint64_t)f->hard_timeout * 1000)
		return true;
	return f->idle_timeout != 0 && now - pf->used_ms >= (uint64_t)f->idle_timeout * 1000;
}

/* Append the rules marked in @doomed to the expiry log, durably. */
static int
log_expired(const bool *doomed)
{
	char path[4096], text[2048];
	FILE *f;
	int fd, rc = 0;

	snprintf(path, sizeof(path), "%s/flows.expired", sl_p.rundir);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	f = fdopen(fd, "a");
	if (f == NULL) {
		rc = -errno;
		close(fd);
		return rc;
	}
	SL_FTABLE_FOREACH(i, &sl_p.flows)
	if (doomed[i]) {
		sl_flow_format(&sl_p.flows.rules[i], text, sizeof(text));
		fprintf(f, "flow %s\n", text);
	}
	if (fflush(f) != 0 || fsync(fd) != 0)
		rc = -errno;
	fclose(f); /* drops the lock */
	return rc;
}

static bool
pick_doomed(const struct sl_flow *f, void *ctx)
{
	const bool *doomed = ctx;

	return doomed[sl_ftable_pos(&sl_p.flows, f)];
}

void
sl_flows_expire(uint64_t now)
{
	const struct sl_ftable *t = &sl_p.flows;
	bool full = now - last_full_ms >= SL_USE_SCAN_MS, *doomed = NULL;
	uint32_t n_doomed = 0, n_changed;
	char err[256];
	int rc;

	if (now - last_scan_ms < SL_EXPIRY_SCAN_MS)
		return;
	last_scan_ms = now;
	if (full) {
		last_full_ms = now;
		SL_FTABLE_FOREACH(i, t)
		note_use(i, now);
	}
	if (timed_refresh(t) < 0)
		return; /* next time */
	for (uint32_t k = 0; k < n_timed; k++) {
		uint32_t i = timed[k];
		const struct sl_flow *f = &t->rules[i];

		if (!full)
			note_use(i, now);
		if (!expired(f, sl_pflow_of(i), now))
			continue;
		if (doomed == NULL) {
			doomed = calloc(t->end, sizeof(*doomed));
			if (doomed == NULL)
				return; /* next time */
		}
		doomed[i] = true;
		n_doomed++;
	}
	if (n_doomed == 0)
		return;
	/* Logged first: a crash after this line loses no expiry. */
	rc = log_expired(doomed);
	if (rc < 0) {
		PLOG(ERR, "flow expiry: cannot write %s/flows.expired: %s; the flows stay",
		     sl_p.rundir, strerror(-rc));
		free(doomed);
		return;
	}
	/* If this fails, the rules are still expired at the next scan (and
	 * logged again, which sluiced takes as the same expiry). */
	rc = sl_flows_del_where(pick_doomed, doomed, &n_changed, err, sizeof(err));
	if (rc < 0)
		PLOG(ERR, "flow expiry: %s", err);
	else
		PLOG(INFO, "%u flows expired", n_changed);
	free(doomed);
}
