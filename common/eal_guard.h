/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The EAL's windows, guarded.  A DPDK secondary holds the shared memory
 * configuration's locks (rwlocks with no owner: a count of readers and a
 * writer bit) for long stretches of its rte_eal_init() (the memory
 * hotplug lock, read, while it maps every hugepage) and rte_eal_cleanup()
 * (the same lock, write, while it unmaps them).  Killed there, it leaves
 * the lock taken for good: the next writer (the primary growing its heap,
 * any process's cleanup) waits for ever, and with a writer waiting every
 * new reader (a worker's start) waits too.
 *
 * So sluice's secondaries go through those two calls one at a time, under
 * an flock on RUNTIME_DIR/sluice-eal.lock that the primary creates, and
 * note in that file who is inside and where.  The kernel lets go of the
 * flock of a process that dies; the primary, taking it, then finds the
 * note of a window never left, and gives back what that process held
 * (primary/eal_repair.c): with the flock held no live process is in a
 * window, so what stays taken of a lock is the dead one's.  A secondary
 * that finds such a note waits for the primary to have done so (up to
 * SL_EAL_GUARD_WAIT_MS) before it goes in: inside, it could itself be
 * waiting for the lock the primary would repair.
 */
#ifndef SL_EAL_GUARD_H
#define SL_EAL_GUARD_H

#include <stdint.h>

#define SL_EAL_GUARD_FILE "sluice-eal.lock"

enum sl_eal_window {
	SL_EAL_WINDOW_NONE = 0,
	SL_EAL_WINDOW_INIT,    /* rte_eal_init() */
	SL_EAL_WINDOW_CLEANUP, /* rte_eal_cleanup() */
};

/* The note at the start of the file: written under the flock. */
struct sl_eal_guard_note {
	int32_t pid;     /* who entered last */
	uint32_t window; /* enum sl_eal_window it entered; NONE once it left */
};

#define SL_EAL_GUARD_WAIT_MS 3000

/*
 * The guard file of the primary whose --file-prefix @argv (EAL options,
 * up to "--") names, as DPDK places its runtime directory: /var/run/dpdk/
 * PREFIX for root, else under $XDG_RUNTIME_DIR or /tmp.  0, or -1 if it
 * does not fit @len.
 */
int sl_eal_guard_path(int argc, char *const *argv, char *buf, unsigned int len);

/*
 * Enter window @w: wait for the flock (and for a dead process's window to
 * be repaired), write the note.  Returns the fd to
 * give to sl_eal_guard_leave(), or -1 if there is no guard file (no
 * primary, or one that made none: then the window goes unguarded).
 */
int sl_eal_guard_enter(const char *path, enum sl_eal_window w);

/* Leave: the note says so, the flock goes.  @fd -1: nothing. */
void sl_eal_guard_leave(int fd);

/* rte_eal_init(@argc, @argv) in its guarded window (the guard file's path
 * kept in a static for sl_eal_cleanup_guarded()). */
int sl_eal_init_guarded(int argc, char **argv);

/* rte_eal_cleanup() in its guarded window. */
void sl_eal_cleanup_guarded(void);

#endif /* SL_EAL_GUARD_H */
