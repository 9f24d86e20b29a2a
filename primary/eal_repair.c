/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a secondary killed inside rte_eal_init() or rte_eal_cleanup() held
 * of the shared memory configuration's locks, given back (the windows and
 * their guard: common/eal_guard.h).
 *
 * DPDK keeps those locks in its memory configuration (struct
 * rte_mem_config, private to the EAL), mapped from RUNTIME_DIR/config:
 * the memzone, tailq and mempool rwlocks and the memory hotplug rwlock,
 * at offsets 16, 20, 24 and 32 in DPDK 22.11, whose version the mapping
 * names in its second word.  With the guard's flock held no live sluice
 * process is inside a window; what stays taken of a lock for a while is
 * then the dead process's: readers that never left (a count of 4 each)
 * and a writer or waiting-writer bit that never cleared.  They are taken
 * out with a compare-and-swap each, so a live process's brief take of the
 * lock meanwhile is left alone.  Only a note of a window never left starts
 * it: the check costs an flock and a read every SL_EAL_REPAIR_MS.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_rwlock.h>
#include <rte_version.h>

#include "eal_guard.h"
#include "primary.h"

#define SL_EAL_REPAIR_MS 200
#define SL_MCFG_VERSION_OFF 4
#define SL_EAL_READERS_US 2000 /* readers held this long are the dead one's */
#define SL_EAL_WRITER_US 100000 /* a writer bit this long too */

static const struct {
	const char *name;
	unsigned int off;
} mcfg_locks[] = {
	{ "memzone", 16 },
	{ "tailq", 20 },
	{ "mempool", 24 },
	{ "memory hotplug", 32 },
};
#define N_LOCKS RTE_DIM(mcfg_locks)

static struct {
	int fd; /* the guard file, -1: none */
	char path[PATH_MAX];
	int32_t *lock[N_LOCKS]; /* NULL: not found, no repair */
	uint64_t last_ms;
} er = { .fd = -1 };

/* Where RUNTIME_DIR/config is mapped (at offset 0) in this process, or NULL. */
static char *
find_mcfg(void)
{
	char dir[PATH_MAX], want[PATH_MAX], line[PATH_MAX + 128], path[PATH_MAX];
	unsigned long lo, off;
	char *base = NULL;
	FILE *maps;

	/* /proc names the file by its real path (/var/run is often /run). */
	if (realpath(rte_eal_get_runtime_dir(), dir) == NULL)
		return NULL;
	snprintf(want, sizeof(want), "%s/config", dir);
	maps = fopen("/proc/self/maps", "r");
	if (maps == NULL)
		return NULL;
	while (base == NULL && fgets(line, sizeof(line), maps) != NULL)
		if (sscanf(line, "%lx-%*x %*s %lx %*s %*s %4095s", &lo, &off, path) == 3 &&
		    off == 0 && strcmp(path, want) == 0)
			base = (char *)lo;
	fclose(maps);
	return base;
}

int
sl_eal_repair_init(void)
{
	struct sl_eal_guard_note none = { .pid = 0, .window = SL_EAL_WINDOW_NONE };
	char *mcfg = find_mcfg();
	uint32_t magic, version;

	if (mcfg != NULL) {
		memcpy(&magic, mcfg, sizeof(magic));
		memcpy(&version, mcfg + SL_MCFG_VERSION_OFF, sizeof(version));
		if (magic == RTE_MAGIC && version == RTE_VERSION)
			for (unsigned int i = 0; i < N_LOCKS; i++)
				er.lock[i] = (int32_t *)(mcfg + mcfg_locks[i].off);
		else
			PLOG(WARNING, "the EAL's memory configuration is not the one of DPDK %s: the "
				      "locks of a secondary killed inside its EAL start stay taken",
			     rte_version());
	}
	snprintf(er.path, sizeof(er.path), "%s/%s", rte_eal_get_runtime_dir(), SL_EAL_GUARD_FILE);
	er.fd = open(er.path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (er.fd < 0 || ftruncate(er.fd, 0) < 0 ||
	    pwrite(er.fd, &none, sizeof(none), 0) != (ssize_t)sizeof(none))
		return -1;
	return 0;
}

/*
 * The part of lock @i's count that stays taken for @us microseconds:
 * readers (the fewest seen) and writer bits (those set throughout).
 */
static int32_t
held_throughout(unsigned int i, unsigned int us, int32_t *bits)
{
	uint64_t end = rte_get_timer_cycles() + rte_get_timer_hz() * us / 1000000;
	int32_t readers = INT32_MAX;

	*bits = RTE_RWLOCK_MASK;
	do {
		int32_t c = __atomic_load_n(er.lock[i], __ATOMIC_ACQUIRE);

		readers = RTE_MIN(readers, c & ~RTE_RWLOCK_MASK);
		*bits &= c & RTE_RWLOCK_MASK;
		rte_delay_us_block(10);
	} while (rte_get_timer_cycles() < end);
	return readers;
}

/* Take @readers (RTE_RWLOCK_READ each) and @bits off lock @i, if it still has them. */
static bool
give_back(unsigned int i, int32_t readers, int32_t bits)
{
	int32_t c = __atomic_load_n(er.lock[i], __ATOMIC_RELAXED);

	do {
		if ((c & ~RTE_RWLOCK_MASK) < readers || (c & bits) != bits)
			return false;
	} while (!__atomic_compare_exchange_n(er.lock[i], &c, (c - readers) & ~bits, false,
					      __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
	return true;
}

static void
repair(const struct sl_eal_guard_note *note)
{
	const char *where = note->window == SL_EAL_WINDOW_INIT ? "start" : "cleanup";
	unsigned int fixed = 0;

	if (er.lock[0] == NULL) {
		PLOG(ERR, "process %d died inside its EAL %s: the locks it may have held "
			  "cannot be repaired (not found)", note->pid, where);
		return;
	}
	for (unsigned int i = 0; i < N_LOCKS; i++) {
		int32_t bits, readers = held_throughout(i, SL_EAL_READERS_US, &bits);

		if (bits != 0 && readers == 0)
			held_throughout(i, SL_EAL_WRITER_US, &bits);
		else
			bits = 0; /* a writer waiting for readers: theirs to give back first */
		if ((readers != 0 || bits != 0) && give_back(i, readers, bits)) {
			PLOG(WARNING, "process %d died inside its EAL %s holding the %s lock: "
				      "gave back %d reader(s)%s",
			     note->pid, where, mcfg_locks[i].name, readers / RTE_RWLOCK_READ,
			     bits & RTE_RWLOCK_WRITE ? " and its writer"
			     : bits != 0	      ? " and a waiting writer"
						      : "");
			fixed++;
		}
	}
	if (fixed == 0)
		PLOG(INFO, "process %d died inside its EAL %s: it left no lock taken", note->pid,
		     where);
}

void
sl_eal_repair_tick(uint64_t now_ms)
{
	struct sl_eal_guard_note note, none = { .pid = 0, .window = SL_EAL_WINDOW_NONE };

	if (er.fd < 0 || now_ms - er.last_ms < SL_EAL_REPAIR_MS)
		return;
	er.last_ms = now_ms;
	if (flock(er.fd, LOCK_EX | LOCK_NB) < 0)
		return; /* a secondary is inside a window: it is alive */
	if (pread(er.fd, &note, sizeof(note), 0) == (ssize_t)sizeof(note) &&
	    note.window != SL_EAL_WINDOW_NONE) {
		repair(&note);
		if (pwrite(er.fd, &none, sizeof(none), 0) != (ssize_t)sizeof(none))
			PLOG(ERR, "cannot clear the note in %s", er.path);
	}
	flock(er.fd, LOCK_UN);
}

void
sl_eal_repair_fini(void)
{
	if (er.fd < 0)
		return;
	unlink(er.path);
	close(er.fd);
	er.fd = -1;
}
