/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The text of the settings that say where packets are polled, as Open
 * vSwitch spells them: pmd-cpu-mask (which cores run a worker, a "PMD
 * thread") and pmd-rxq-affinity (which rx queue of a port is pinned to
 * which core), with the checks the settings tables call.  Plain C: sluiced,
 * the primary and the DB loader all use it.
 */
#ifndef SL_PMD_H
#define SL_PMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow.h"

#define SL_MAX_CORES 64    /* cores a pmd-cpu-mask can name: 0..63 */
#define SL_MAX_CORE_ID 4095 /* largest core a pmd-rxq-affinity entry may name */

/* Accounting of processing cycles, as Open vSwitch keeps it: twelve
 * intervals of five seconds, the last minute. */
#define SL_PMD_INTERVAL_MS 5000
#define SL_PMD_INTERVALS 12

/*
 * pmd-cpu-mask: "" (no mask: the workers of --workers/--lcores), a
 * hexadecimal mask with or without 0x as Open vSwitch reads it ("0x6",
 * "6": cores 1 and 2), or a list of cores and ranges ("1,2", "0-3"; a list
 * has a ',' or a '-', so "6" is always a mask).  At most SL_MAX_WORKERS
 * cores, all below SL_MAX_CORES.  *mask is 0 for "".  0 or -EINVAL with
 * @err saying why.
 */
int sl_cpu_mask_parse(const char *text, uint64_t *mask, char *err, size_t errlen);

/* Check function of pmd-cpu-mask: canonical form "0x6" (or ""). */
int sl_cpu_mask_check(const char *value, char *canon, size_t canonlen, char *err, size_t errlen);

/* Cores of @mask into @cores in ascending order; returns their number. */
unsigned int sl_cpu_mask_cores(uint64_t mask, int cores[SL_MAX_CORES]);

/* One port's pinned rx queues. */
struct sl_rxq_affinity {
	uint16_t n;
	struct {
		uint16_t queue;
		uint16_t core;
	} e[SL_MAX_RXQ]; /* sorted by queue, each queue once */
};

/*
 * pmd-rxq-affinity: "" (nothing pinned) or a comma-separated list of
 * QUEUE:CORE, decimal, each queue at most once ("0:3,1:7,3:8").  Blanks
 * after a comma are allowed.  All or nothing: 0, or -EINVAL with @err
 * naming the first bad entry.
 */
int sl_rxq_affinity_parse(const char *text, struct sl_rxq_affinity *a, char *err, size_t errlen);

/* Check function of pmd-rxq-affinity: canonical form sorted by queue, no blanks. */
int sl_rxq_affinity_check(const char *value, char *canon, size_t canonlen, char *err,
			  size_t errlen);

/* Core queue @queue is pinned to, or -1. */
int sl_rxq_affinity_core(const struct sl_rxq_affinity *a, uint16_t queue);

/*
 * Rules across the PMD options (the options table's check_all):
 * pmd-rxq-isolate=false only with pmd-rxq-assign=group, as in Open vSwitch.
 */
struct sl_values;
int sl_pmd_options_check(const struct sl_values *vals, char *err, size_t errlen);

/* pmd-rxq-assign, in the order of its choices. */
enum sl_rxq_assign {
	SL_RXQ_ASSIGN_CYCLES = 0,
	SL_RXQ_ASSIGN_ROUNDROBIN,
	SL_RXQ_ASSIGN_GROUP,
};

#endif /* SL_PMD_H */
