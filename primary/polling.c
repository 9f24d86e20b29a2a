/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worker slots by core, the PMD options, usage figures and auto load
 * balancing (see polling.h).  A slot is enabled (part of the configured worker
 * set) with the core it runs on; sluiced starts and stops the processes by
 * what the primary's worker list says.  A new slot gets rx queues once its
 * worker runs; a slot taken out loses them before its worker is stopped.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_malloc.h>

#include "primary.h"
#include "util.h"

struct sl_pmd sl_pmd;

int
sl_pmd_parse_cores(const char *list)
{
	char *copy = sl_strdup(list), *tok, *save = NULL;
	uint64_t v;
	int rc = 0;

	if (copy == NULL)
		return -ENOMEM;
	sl_pmd.n_default_cores = 0;
	for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (sl_pmd.n_default_cores == SL_MAX_WORKERS ||
		    sl_parse_u64(tok, 0, SL_MAX_CORE_ID, &v) < 0) {
			rc = -EINVAL;
			break;
		}
		sl_pmd.default_core[sl_pmd.n_default_cores++] = (int)v;
	}
	free(copy);
	return rc;
}

int
sl_pmd_init(void)
{
	struct sl_shm *shm = sl_p.shm;

	shm->rxq_stats = rte_zmalloc("sl_rxq_stats",
				     sizeof(struct sl_rxq_stats) * SL_MAX_WORKERS * SL_MAX_PORTS *
					     SL_MAX_RXQ,
				     RTE_CACHE_LINE_SIZE);
	if (shm->rxq_stats == NULL)
		return -ENOMEM;
	/* Resources (tx queues, bridge rings) exist for every slot, so that
	 * workers can be added without restarting a port; --workers is the
	 * default set. */
	sl_pmd.n_default = sl_p.n_workers;
	sl_p.n_workers = SL_MAX_WORKERS;
	shm->n_workers = SL_MAX_WORKERS;
	for (unsigned int w = 0; w < SL_MAX_WORKERS; w++) {
		struct sl_worker *wk = &shm->workers[w];

		wk->enabled = w < sl_pmd.n_default;
		wk->core = w < sl_pmd.n_default_cores ? sl_pmd.default_core[w] : -1;
		wk->cpu = -1;
	}
	sl_pmd.isolate = true;
	return 0;
}

int
sl_pmd_core(unsigned int w)
{
	const struct sl_worker *wk = &sl_p.shm->workers[w];

	if (wk->core >= 0)
		return wk->core;
	return sl_worker_running(w) ? __atomic_load_n(&wk->cpu, __ATOMIC_RELAXED) : -1;
}

int
sl_pmd_numa(int core)
{
	static int cache[SL_MAX_CORES];
	static bool known[SL_MAX_CORES];
	char path[96];

	if (core < 0 || core >= SL_MAX_CORES)
		return 0;
	if (!known[core]) {
		for (int node = 0; node < 64; node++) {
			snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/node%d", core, node);
			if (access(path, F_OK) == 0) {
				cache[core] = node;
				break;
			}
		}
		known[core] = true;
	}
	return cache[core];
}

/* ---- worker slots by core ---- */

/* The target worker set: a core per entry (-1: the CPU the worker takes). */
static unsigned int
target_cores(bool mask_mode, uint64_t mask, int *cores)
{
	unsigned int n = 0;

	if (mask_mode)
		return sl_cpu_mask_cores(mask, cores);
	for (unsigned int i = 0; i < sl_pmd.n_default; i++)
		cores[n++] = i < sl_pmd.n_default_cores ? sl_pmd.default_core[i] : -1;
	return n;
}

static bool
slot_free(unsigned int w)
{
	const struct sl_worker *wk = &sl_p.shm->workers[w];
	uint32_t st = __atomic_load_n(&wk->state, __ATOMIC_ACQUIRE);

	/* A slot taken out keeps its process until sluiced stopped it. */
	return !wk->enabled && st != SL_WORKER_RUNNING && st != SL_WORKER_HANDOFF;
}

/*
 * Slots for the target set: a core keeps the slot it has; the others take
 * free slots, lowest first.  Returns 0 with @core_of[slot] (-2: disabled),
 * or -EBUSY if there are not enough free slots.
 */
static int
plan_slots(bool mask_mode, uint64_t mask, int *core_of)
{
	int cores[SL_MAX_CORES];
	unsigned int n = target_cores(mask_mode, mask, cores);
	bool placed[SL_MAX_CORES] = { false };

	for (unsigned int w = 0; w < SL_MAX_WORKERS; w++)
		core_of[w] = -2;
	for (unsigned int i = 0; i < n; i++)
		for (unsigned int w = 0; w < SL_MAX_WORKERS && !placed[i]; w++)
			if (sl_p.shm->workers[w].enabled && core_of[w] == -2 &&
			    sl_p.shm->workers[w].core == cores[i]) {
				core_of[w] = cores[i];
				placed[i] = true;
			}
	for (unsigned int i = 0; i < n; i++)
		for (unsigned int w = 0; w < SL_MAX_WORKERS && !placed[i]; w++)
			if (core_of[w] == -2 && slot_free(w)) {
				core_of[w] = cores[i];
				placed[i] = true;
			}
	for (unsigned int i = 0; i < n; i++)
		if (!placed[i])
			return -EBUSY;
	return 0;
}

int
sl_pmd_option_check(int id, const struct sl_values *next, char *err, size_t errlen)
{
	int core_of[SL_MAX_WORKERS];
	uint64_t mask;

	if (id != SL_OPT_PMD_CPU_MASK)
		return 0;
	if (sl_cpu_mask_parse(next->v[id], &mask, err, errlen) < 0)
		return -EINVAL;
	if (plan_slots(mask != 0, mask, core_of) < 0) {
		snprintf(err, errlen, "pmd-cpu-mask=%s: the workers taken out last are still "
				      "stopping: try again in a moment", next->v[id]);
		return -EBUSY;
	}
	return 0;
}

static void
apply_cpu_mask(const char *text)
{
	struct sl_shm *shm = sl_p.shm;
	int core_of[SL_MAX_WORKERS];
	uint64_t mask = 0;
	char err[128];

	if (sl_cpu_mask_parse(text, &mask, err, sizeof(err)) < 0 ||
	    ((mask != 0) == sl_pmd.mask_mode && mask == sl_pmd.mask))
		return;
	if (plan_slots(mask != 0, mask, core_of) < 0) {
		PLOG(ERR, "pmd-cpu-mask=%s: not enough free worker slots", text);
		return;
	}
	sl_pmd.mask_mode = mask != 0;
	sl_pmd.mask = mask;
	for (unsigned int w = 0; w < SL_MAX_WORKERS; w++) {
		struct sl_worker *wk = &shm->workers[w];
		bool on = core_of[w] != -2;

		if (wk->enabled && !on) {
			PLOG(INFO, "worker %u (core %d) taken out by pmd-cpu-mask", w, sl_pmd_core(w));
			wk->enabled = 0;
		} else if (!wk->enabled && on) {
			wk->core = core_of[w];
			sl_pmd.ran[w] = false;
			wk->enabled = 1;
			PLOG(INFO, "worker %u added on core %d by pmd-cpu-mask", w, wk->core);
		}
	}
	/* Queues leave the workers taken out now (two phases, nothing lost);
	 * the new ones get theirs once they run. */
	sl_workers_assign_rxqs();
}

/* ---- options ---- */

static void
log_alb(void)
{
	if (sl_pmd.alb)
		PLOG(INFO, "PMD auto load balance is enabled, interval %llu mins, pmd load "
			   "threshold %u%%, improvement threshold %u%%.",
		     (unsigned long long)(sl_pmd.alb_interval_ms / 60000), sl_pmd.alb_load_pct,
		     sl_pmd.alb_improve_pct);
	else
		PLOG(INFO, "PMD auto load balance is disabled.");
}

void
sl_pmd_option_apply(int id)
{
	const struct sl_values *o = &sl_p.options;
	uint64_t v = sl_values_u64(&sl_options, o, id);

	switch (id) {
	case SL_OPT_PMD_CPU_MASK:
		apply_cpu_mask(o->v[id]);
		break;
	case SL_OPT_PMD_RXQ_ASSIGN:
		if (sl_pmd.algo != (enum sl_rxq_assign)v) {
			sl_pmd.algo = (enum sl_rxq_assign)v;
			PLOG(INFO, "rx queue to worker assignment changed to %s", o->v[id]);
			sl_workers_assign_rxqs();
		}
		break;
	case SL_OPT_PMD_RXQ_ISOLATE:
		if (sl_pmd.isolate != (bool)v) {
			sl_pmd.isolate = v;
			PLOG(INFO, "pmd-rxq-affinity %s the worker's core", v ? "isolates"
										: "does not isolate");
			sl_workers_assign_rxqs();
		}
		break;
	case SL_OPT_PMD_AUTO_LB:
		if (sl_pmd.alb != (bool)v) {
			sl_pmd.alb = v;
			sl_pmd.alb_timer_ms = 0;
			log_alb();
		}
		break;
	case SL_OPT_PMD_AUTO_LB_LOAD_THRESHOLD:
		sl_pmd.alb_load_pct = (uint32_t)v;
		break;
	case SL_OPT_PMD_AUTO_LB_IMPROVEMENT_THRESHOLD:
		sl_pmd.alb_improve_pct = (uint32_t)v;
		break;
	case SL_OPT_PMD_AUTO_LB_REBAL_INTERVAL:
		/* Minutes, as Open vSwitch counts them; 0 is the minimum, one. */
		sl_pmd.alb_interval_ms = (v ? v : 1) * 60000;
		break;
	default:
		break;
	}
}

void
sl_pmd_set_affinity(unsigned int slot, const char *text)
{
	struct sl_port_priv *pp = &sl_p.ports[slot];
	char err[128];

	if (sl_rxq_affinity_parse(text, &pp->affinity, err, sizeof(err)) < 0)
		memset(&pp->affinity, 0, sizeof(pp->affinity)); /* checked before: never */
	if (__atomic_load_n(&sl_p.shm->ports[slot].state, __ATOMIC_ACQUIRE) == SL_PORT_ACTIVE)
		sl_workers_assign_rxqs();
}

/* ---- usage ---- */

unsigned int
sl_pmd_window(unsigned int w, unsigned int max, uint64_t *len, uint64_t *busy)
{
	const struct sl_worker *wk = &sl_p.shm->workers[w];
	uint64_t n = __atomic_load_n(&wk->n_intervals, __ATOMIC_ACQUIRE);
	unsigned int k = (unsigned int)RTE_MIN(n, (uint64_t)RTE_MIN(max, (unsigned int)SL_PMD_INTERVALS));
	uint64_t l = 0, b = 0;

	for (unsigned int i = 1; i <= k; i++) {
		l += wk->intrvl_len[(n - i) % SL_PMD_INTERVALS];
		b += wk->intrvl_busy[(n - i) % SL_PMD_INTERVALS];
	}
	if (len != NULL)
		*len = l;
	if (busy != NULL)
		*busy = b;
	return k;
}

uint64_t
sl_pmd_rxq_cycles(unsigned int port, unsigned int q, unsigned int max, uint64_t *packets)
{
	uint32_t gen = sl_p.shm->ports[port].gen;
	uint64_t cycles = 0, pkts = 0;

	for (unsigned int w = 0; w < SL_MAX_WORKERS; w++) {
		const struct sl_rxq_stats *r = sl_rxq_stats(sl_p.shm, w, port, q);
		uint64_t n = __atomic_load_n(&sl_p.shm->workers[w].n_intervals, __ATOMIC_ACQUIRE);
		unsigned int k = (unsigned int)RTE_MIN(n, (uint64_t)RTE_MIN(max, (unsigned int)SL_PMD_INTERVALS));

		if (__atomic_load_n(&r->port_gen, __ATOMIC_ACQUIRE) != gen)
			continue;
		pkts += r->packets;
		/* A worker that does not run ages nothing: its history would
		 * never fade, so only running workers count. */
		if (!sl_worker_running(w))
			continue;
		for (unsigned int i = 1; i <= k; i++)
			cycles += r->intrvl[(n - i) % SL_PMD_INTERVALS];
	}
	if (packets != NULL)
		*packets = pkts;
	return cycles;
}

/* ---- auto load balancing ---- */

/* Busy at least alb_load_pct in each of the last SL_PMD_INTERVALS intervals. */
static bool
overloaded(unsigned int w, unsigned int *pct)
{
	const struct sl_worker *wk = &sl_p.shm->workers[w];
	uint64_t n = __atomic_load_n(&wk->n_intervals, __ATOMIC_ACQUIRE), lo = 100;

	if (n < SL_PMD_INTERVALS)
		return false;
	for (unsigned int i = 1; i <= SL_PMD_INTERVALS; i++) {
		uint64_t len = wk->intrvl_len[(n - i) % SL_PMD_INTERVALS];
		uint64_t p = len ? wk->intrvl_busy[(n - i) % SL_PMD_INTERVALS] * 100 / len : 0;

		lo = RTE_MIN(lo, p);
	}
	*pct = (unsigned int)lo;
	return lo >= sl_pmd.alb_load_pct;
}

static void
alb_note(const char *fmt, ...)
{
	char when[32];
	time_t t = time(NULL);
	struct tm tm;
	va_list ap;
	size_t used;

	strftime(when, sizeof(when), "%H:%M:%S", localtime_r(&t, &tm));
	used = (size_t)snprintf(sl_pmd.alb_last, sizeof(sl_pmd.alb_last), "%s: ", when);
	va_start(ap, fmt);
	vsnprintf(sl_pmd.alb_last + used, sizeof(sl_pmd.alb_last) - used, fmt, ap);
	va_end(ap);
	PLOG(INFO, "pmd-auto-lb: %s", sl_pmd.alb_last + used);
}

void
sl_pmd_tick(uint64_t now_ms)
{
	uint64_t cur, est, improvement = 0;
	unsigned int pct = 0;
	int hot = -1;

	if (!sl_pmd.alb)
		return;
	if (sl_pmd.alb_timer_ms == 0) {
		sl_pmd.alb_timer_ms = now_ms;
		return;
	}
	if (now_ms < sl_pmd.alb_timer_ms + sl_pmd.alb_interval_ms)
		return;
	sl_pmd.alb_timer_ms = now_ms;
	for (unsigned int w = 0; w < SL_MAX_WORKERS && hot < 0; w++)
		if (sl_p.shm->workers[w].enabled && !sl_p.shm->workers[w].isolated &&
		    sl_worker_running(w) && overloaded(w, &pct))
			hot = (int)w;
	if (hot < 0)
		return;
	if (sl_pmd.algo == SL_RXQ_ASSIGN_ROUNDROBIN) {
		alb_note("core %d overloaded (%u %%), but pmd-rxq-assign=roundrobin: nothing to do",
			 sl_pmd_core((unsigned int)hot), pct);
		return;
	}
	if (!sl_rxq_dry_run(&cur, &est)) {
		alb_note("core %d overloaded (%u %%), but no other assignment is possible "
			 "(it needs two workers that are not isolated, one polling two queues)",
			 sl_pmd_core((unsigned int)hot), pct);
		return;
	}
	if (est < cur)
		improvement = (cur - est) * 100 / cur;
	if (improvement < sl_pmd.alb_improve_pct) {
		alb_note("core %d overloaded (%u %%); a new assignment would improve the load "
			 "variance by %llu %% only (threshold %u %%): kept",
			 sl_pmd_core((unsigned int)hot), pct, (unsigned long long)improvement,
			 sl_pmd.alb_improve_pct);
		return;
	}
	alb_note("core %d overloaded (%u %%): rx queues reassigned, load variance %llu -> %llu "
		 "(%llu %% better)",
		 sl_pmd_core((unsigned int)hot), pct, (unsigned long long)cur,
		 (unsigned long long)est, (unsigned long long)improvement);
	sl_workers_assign_rxqs();
}

/* ---- notices ---- */

#define SL_MAX_NOTICES 64

static struct {
	bool on;
	size_t n;
	char *lines[SL_MAX_NOTICES];
} notices;

void
sl_notice(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	PLOG(WARNING, "%s", line);
	if (notices.on && notices.n < SL_MAX_NOTICES) {
		for (size_t i = 0; i < notices.n; i++)
			if (strcmp(notices.lines[i], line) == 0)
				return; /* once per reply */
		notices.lines[notices.n] = strdup(line);
		if (notices.lines[notices.n] != NULL)
			notices.n++;
	}
}

void
sl_notices_begin(void)
{
	for (size_t i = 0; i < notices.n; i++)
		free(notices.lines[i]);
	notices.n = 0;
	notices.on = true;
}

void
sl_notices_attach(Sluice__Reply *rep)
{
	notices.on = false;
	if (notices.n == 0)
		return;
	rep->notices = malloc(notices.n * sizeof(char *));
	if (rep->notices == NULL)
		return;
	memcpy(rep->notices, notices.lines, notices.n * sizeof(char *));
	rep->n_notices = notices.n;
	notices.n = 0;
}
