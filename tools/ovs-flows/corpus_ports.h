/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port names of the OVS flow corpus: OVS's tests call their ports p1,
 * p2, ...; they get the numbers 1, 2, ...  Shared by sluice-ovs-refusals
 * and the corpus unit test, so both count the same flows as accepted.
 */
#ifndef SL_CORPUS_PORTS_H
#define SL_CORPUS_PORTS_H

#include <errno.h>
#include <stdlib.h>

#include "flow_syntax.h"

static inline int
sl_corpus_resolve(void *ctx, const char *name, uint16_t *ofport)
{
	char *end;
	unsigned long v;

	(void)ctx;
	if (name[0] != 'p')
		return -ENOENT;
	v = strtoul(name + 1, &end, 10);
	if (*end != '\0' || v == 0 || v > SL_OFPORT_MAX)
		return -ENOENT;
	*ofport = (uint16_t)v;
	return 0;
}

#endif
