/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test tool: a DPDK secondary of a running primary.
 *   shm_poke [EAL options] -- VERSION
 *     sets the shared-memory layout version, so a test can check what a
 *     worker built for another layout does;
 *   shm_poke [EAL options] -- die-in-eal-start
 *     dies (SIGKILL) as a secondary killed inside rte_eal_init() does:
 *     in its guarded window, holding the memory hotplug lock (read);
 *   shm_poke [EAL options] -- attach
 *     attaches and detaches, as every secondary does: its cleanup takes
 *     the memory hotplug lock to write (given 20 s, then SIGALRM).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_eal_memconfig.h>
#include <rte_memzone.h>

#include "eal_guard.h"
#include "shm.h"

int
main(int argc, char **argv)
{
	const struct rte_memzone *mz;
	const char *what;
	int n;

	alarm(20);
	n = sl_eal_init_guarded(argc, argv);
	if (n < 0 || argc - n < 2) {
		fprintf(stderr, "usage: shm_poke [EAL options] -- VERSION|die-in-eal-start|attach\n");
		return 2;
	}
	what = argv[n + 1];
	if (strcmp(what, "die-in-eal-start") == 0) {
		char path[512];

		if (sl_eal_guard_path(argc, argv, path, sizeof(path)) < 0 ||
		    sl_eal_guard_enter(path, SL_EAL_WINDOW_INIT) < 0) {
			fprintf(stderr, "shm_poke: no EAL guard file\n");
			return 1;
		}
		rte_mcfg_mem_read_lock();
		raise(SIGKILL);
	}
	if (strcmp(what, "attach") != 0) {
		mz = rte_memzone_lookup(SL_SHM_NAME);
		if (mz == NULL) {
			fprintf(stderr, "shm_poke: no %s memzone\n", SL_SHM_NAME);
			return 1;
		}
		((struct sl_shm *)mz->addr)->layout_version = (uint32_t)strtoul(what, NULL, 0);
	}
	sl_eal_cleanup_guarded();
	return 0;
}
