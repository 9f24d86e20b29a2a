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
	if (sl_pflow_idle_timeout(sl_ftable_rule(t, i), sl_pflow_of(i)) != 0 ||
	    sl_pflow_hard_timeout(sl_ftable_rule(t, i), sl_pflow_of(i)) != 0)
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

/* @cur shortened to @max, as fin_timeout does: 0 is "never", longer than any. */
static uint16_t
shorter(uint16_t cur, uint16_t max)
{
	return max != 0 && (cur == 0 || cur > max) ? max : cur;
}

uint16_t
sl_pflow_idle_timeout(const struct sl_flow *f, const struct sl_pflow *pf)
{
	return shorter(f->idle_timeout, pf->fin_idle);
}

uint16_t
sl_pflow_hard_timeout(const struct sl_flow *f, const struct sl_pflow *pf)
{
	return shorter(f->hard_timeout, pf->fin_hard);
}

static bool
expired(const struct sl_flow *f, const struct sl_pflow *pf, uint64_t now)
{
	uint16_t idle = sl_pflow_idle_timeout(f, pf), hard = sl_pflow_hard_timeout(f, pf);

	/* From the last change, as in Open vSwitch (a mod-flows or an add
	 * that replaces the flow starts it again; a fin_timeout does not). */
	if (hard != 0 && now - pf->modified_ms >= (uint64_t)hard * 1000)
		return true;
	return idle != 0 && now - pf->used_ms >= (uint64_t)idle * 1000;
}

static uint64_t fin_tail[SL_MAX_WORKERS]; /* ids of each worker's fin ring read so far */

/*
 * fin_timeout: the rules whose action saw a TCP FIN or RST since the last
 * scan (the workers' rings, common/shm.h) get the action's timeouts where
 * they are shorter, as OVS reduces them.  A rule seen again keeps the
 * shortest.
 */
static void
fin_scan(void)
{
	uint32_t ids[SL_MAX_WORKERS * SL_FIN_RING];
	unsigned int n = 0;

	for (unsigned int w = 0; w < SL_MAX_WORKERS; w++) {
		const struct sl_worker *wk = &sl_p.shm->workers[w];
		uint64_t head = __atomic_load_n(&wk->fin_head, __ATOMIC_ACQUIRE), t = fin_tail[w];
		unsigned int first = n;

		if (head < t)
			t = head; /* a fresh shared memory */
		if (head - t > SL_FIN_RING)
			t = head - SL_FIN_RING;
		for (uint64_t k = t; k < head; k++)
			ids[n++] = wk->fin_ids[k % SL_FIN_RING];
		/* Those the worker wrote over while they were read are not trusted. */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		uint64_t again = __atomic_load_n(&wk->fin_head, __ATOMIC_RELAXED);
		uint64_t valid = again > SL_FIN_RING ? again - SL_FIN_RING : 0;
		unsigned int drop = valid > t ? (unsigned int)(valid - t < head - t ? valid - t : head - t) : 0;

		memmove(&ids[first], &ids[first + drop], (n - first - drop) * sizeof(ids[0]));
		n -= drop;
		fin_tail[w] = head;
	}
	if (n == 0)
		return;
	timed_gen = UINT64_MAX; /* rules without timeouts of their own may have some now */
	SL_FTABLE_FOREACH(i, &sl_p.flows) {
		const struct sl_flow *f = sl_ftable_rule(&sl_p.flows, i);
		struct sl_pflow *pf = sl_pflow_of(i);
		bool seen = false;

		for (unsigned int k = 0; k < n && !seen; k++)
			seen = ids[k] == pf->id;
		if (!seen)
			continue;
		for (uint16_t a = 0; a < f->actions.n; a++) {
			if (f->actions.a[a].type != SL_ACT_FIN_TIMEOUT)
				continue;
			pf->fin_idle = shorter(pf->fin_idle, f->actions.a[a].arg);
			pf->fin_hard = shorter(pf->fin_hard, f->actions.a[a].arg2);
		}
	}
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
		sl_flow_format(sl_ftable_rule(&sl_p.flows, i), text, sizeof(text));
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
	fin_scan();
	if (full) {
		last_full_ms = now;
		SL_FTABLE_FOREACH(i, t)
		note_use(i, now);
	}
	if (timed_refresh(t) < 0)
		return; /* next time */
	for (uint32_t k = 0; k < n_timed; k++) {
		uint32_t i = timed[k];
		const struct sl_flow *f = sl_ftable_rule(t, i);

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
