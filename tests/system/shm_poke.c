/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test tool: a DPDK secondary that sets the shared-memory layout version of
 * a running primary, so a test can check what a worker built for another
 * layout does.  Usage: shm_poke [EAL options] -- VERSION
 */
#include <stdio.h>
#include <stdlib.h>

#include <rte_eal.h>
#include <rte_memzone.h>

#include "shm.h"

int
main(int argc, char **argv)
{
	const struct rte_memzone *mz;
	int n = rte_eal_init(argc, argv);

	if (n < 0 || argc - n < 2) {
		fprintf(stderr, "usage: shm_poke [EAL options] -- VERSION\n");
		return 2;
	}
	mz = rte_memzone_lookup(SL_SHM_NAME);
	if (mz == NULL) {
		fprintf(stderr, "shm_poke: no %s memzone\n", SL_SHM_NAME);
		return 1;
	}
	((struct sl_shm *)mz->addr)->layout_version = (uint32_t)strtoul(argv[n + 1], NULL, 0);
	rte_eal_cleanup();
	return 0;
}
