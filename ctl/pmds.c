/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Workers by core.  Which worker slots exist and on which CPU each runs is
 * the primary's to decide (pmd-cpu-mask, or --workers/--lcores when no
 * mask is set): its worker list says, for every slot, whether it is
 * enabled and its core.  sluiced follows that list: it starts a process
 * for every enabled slot on that slot's core and stops the processes of
 * slots taken out, after the primary has moved their rx queues away.
 * Worker slot N keeps lcore id 1 + N (common/slots.h) whatever its core.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "pmd.h"

/* The default CPU of worker slot @id: the first --lcores CPU is the
 * primary's unless it is the only one; workers round-robin on the others. */
static int
default_cpu(const struct sl_daemon *d, unsigned int id)
{
	if (d->n_cpus == 1)
		return d->cpus[0];
	return d->cpus[1 + id % (d->n_cpus - 1)];
}

void
sl_pmds_init(struct sl_daemon *d)
{
	if (d->n_default == 0)
		d->n_default = d->n_workers;
	d->n_workers = SL_MAX_WORKERS;
	for (unsigned int i = 0; i < SL_MAX_WORKERS; i++) {
		d->slot_on[i] = i < d->n_default;
		d->slot_cpu[i] = i < d->n_default ? default_cpu(d, i) : -1;
	}
}

void
sl_pmds_default_cores(const struct sl_daemon *d, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < d->n_default && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%d", i ? "," : "",
					 default_cpu(d, i));
}

int
sl_pmds_check(const struct sl_values *next, char *err, size_t errlen)
{
	const char *text = next->v[SL_OPT_PMD_CPU_MASK];
	int cores[SL_MAX_CORES];
	unsigned int n;
	uint64_t mask;
	cpu_set_t allowed;

	if (sl_cpu_mask_parse(text, &mask, err, errlen) < 0)
		return -EINVAL;
	if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0)
		return 0; /* cannot tell: the worker's start will */
	n = sl_cpu_mask_cores(mask, cores);
	for (unsigned int i = 0; i < n; i++)
		if (!CPU_ISSET(cores[i], &allowed)) {
			snprintf(err, errlen, "pmd-cpu-mask=%s: core %d is not available on this "
					      "machine (%d CPUs usable)", text, cores[i],
				 CPU_COUNT(&allowed));
			return -EINVAL;
		}
	return 0;
}

/* Make the worker processes what the primary's worker list @rep says. */
void
sl_pmds_sync(struct sl_daemon *d, const Sluice__Reply *rep, bool start)
{
	bool on[SL_MAX_WORKERS] = { false };
	int cpu[SL_MAX_WORKERS];

	for (unsigned int i = 0; i < SL_MAX_WORKERS; i++)
		cpu[i] = d->slot_cpu[i];
	for (size_t i = 0; i < rep->n_workers; i++) {
		const Sluice__WorkerInfo *wi = rep->workers[i];

		if (wi->id >= SL_MAX_WORKERS || !wi->enabled)
			continue;
		on[wi->id] = true;
		if (wi->core >= 0)
			cpu[wi->id] = wi->core;
		else if (cpu[wi->id] < 0)
			cpu[wi->id] = default_cpu(d, wi->id);
	}
	for (unsigned int i = 0; i < SL_MAX_WORKERS; i++) {
		struct sl_proc *w = &d->workers[i];

		if (d->slot_on[i] && !on[i] && w->pid > 0) {
			pid_t pid = w->pid;

			/* Its queues are gone already: the primary moved them first. */
			sl_log("worker %u (pid %d, core %d) taken out: stopping it", i, (int)pid,
			       d->slot_cpu[i]);
			if (sl_proc_stop(w, 1000) < 0)
				sl_log("worker %u (pid %d) would not die", i, (int)pid);
			sl_worker_event(d, i, pid, SLUICE__WORKER_EVENT_KIND__WORKER_EXITED);
		}
		if (!on[i]) {
			w->state = SL_PROC_STOPPED;
			w->reason[0] = '\0';
		}
		d->slot_on[i] = on[i];
		d->slot_cpu[i] = on[i] ? cpu[i] : -1;
		if (start && on[i] && w->pid <= 0 && w->state == SL_PROC_STOPPED) {
			sl_log("worker %u added on core %d", i, cpu[i]);
			sl_worker_start(d, i);
		}
	}
}

void
sl_pmds_changed(struct sl_daemon *d)
{
	Sluice__Reply *rep;
	char err[256];

	rep = sl_ask_primary(d, SLUICE__REQUEST__CMD_WORKER_LIST, SL_PRIMARY_TIMEOUT_MS, err,
			     sizeof(err));
	if (rep == NULL) {
		sl_log("pmd-cpu-mask: cannot read the worker list: %s", err);
		return;
	}
	sl_pmds_sync(d, rep, true);
	sluice__reply__free_unpacked(rep, NULL);
}
