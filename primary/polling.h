/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The primary's side of "where packets are polled": which worker slots are
 * configured and on which core (pmd-cpu-mask, or --workers/--cores),
 * the assignment options, what the last assignment left unpolled, usage
 * figures from the workers' cycle accounting, auto load balancing, and the
 * notices a request's reply carries.
 */
#ifndef SL_PRIMARY_POLLING_H
#define SL_PRIMARY_POLLING_H

#include <stdbool.h>
#include <stdint.h>

#include "pmd.h"
#include "rxq_sched.h"
#include "settings.h"
#include "sluice.pb-c.h"

#define SL_PMD_MAX_UNPOLLED 256

struct sl_pmd_unpolled {
	uint16_t port;  /* port slot */
	uint16_t queue;
	int pin;        /* core it is pinned to, -1 */
	enum sl_sched_why why;
	bool waiting;   /* for a worker that is starting */
};

struct sl_pmd {
	/* Configuration. */
	bool mask_mode;                     /* pmd-cpu-mask is set */
	uint64_t mask;
	unsigned int n_default;             /* --workers */
	unsigned int n_default_cores;       /* --cores given for the first ones */
	int default_core[SL_MAX_WORKERS];   /* --cores; else the CPU the worker reports */
	enum sl_rxq_assign algo;
	bool isolate;
	/* Slots seen running since they were enabled: a new worker gets
	 * queues once it runs; a restarted one keeps what it had. */
	bool ran[SL_MAX_WORKERS];
	/* What the last assignment could not place. */
	unsigned int n_unpolled;
	struct sl_pmd_unpolled unpolled[SL_PMD_MAX_UNPOLLED];
	/* Auto load balancing (pmd-auto-lb...). */
	bool alb;
	uint32_t alb_load_pct;
	uint32_t alb_improve_pct;
	uint64_t alb_interval_ms;
	uint64_t alb_timer_ms; /* 0: not started */
	char alb_last[256];    /* what it last did, for pmd-rxq-show */
};

extern struct sl_pmd sl_pmd;

/* polling.c */
/* Parse --cores (a CPU per default worker slot); 0 or -EINVAL. */
int sl_pmd_parse_cores(const char *list);
/* Shared-memory accounting and the default worker set; 0 or -ENOMEM. */
int sl_pmd_init(void);
/* The core of worker slot @w: configured, else the CPU it reports; -1. */
int sl_pmd_core(unsigned int w);
/* NUMA node of @core (0 if unknown). */
int sl_pmd_numa(int core);
/* Whether option @id may take its value in @next now (pmd-cpu-mask needs free slots). */
int sl_pmd_option_check(int id, const struct sl_values *next, char *err, size_t errlen);
/* Option @id of sl_p.options took a new value: act on it. */
void sl_pmd_option_apply(int id);
/* Port slot @slot's pmd-rxq-affinity became @text (checked); reassigns if the port runs. */
void sl_pmd_set_affinity(unsigned int slot, const char *text);
/* Auto load balancing, from the housekeeping loop. */
void sl_pmd_tick(uint64_t now_ms);
/* Worker @w: completed usage intervals (at most SL_PMD_INTERVALS) and their cycles. */
unsigned int sl_pmd_window(unsigned int w, unsigned int max, uint64_t *len, uint64_t *busy);
/* Rx queue @q of port slot @port: cycles over each worker's last @max intervals,
 * and packets; over every worker. */
uint64_t sl_pmd_rxq_cycles(unsigned int port, unsigned int q, unsigned int max,
			   uint64_t *packets);

/* Notices: a line for the reply of the request being served, and the log. */
void sl_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Start collecting for a request / hand what was collected to @rep. */
void sl_notices_begin(void);
void sl_notices_attach(Sluice__Reply *rep);

/* pmd_info.c */
/* One WorkerInfo for slot @i appended to @rep; 0 or -ENOMEM. */
int sl_worker_info_add(Sluice__Reply *rep, unsigned int i);

#endif /* SL_PRIMARY_POLLING_H */
