/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Idle wake-ups between the primary's bridge thread and the workers, so
 * that neither has to poll (or sleep a fixed time) to see what the other
 * handed over.  A sleeper announces itself (sleeping = 1), then looks once
 * more at what it waits for, then blocks; a waker publishes its work, then
 * looks at sleeping and, if set, wakes the sleeper.  Both sides put a full
 * fence between their store and their load, so one of them always sees
 * the other (no wake-up is lost).
 *
 * A worker blocks on a futex (seq, in shared memory: the hugepage file is
 * mapped by every process).  The bridge thread blocks in ppoll() on the
 * kernel descriptors of the bridged ports and on an eventfd; workers get
 * a copy of that eventfd from the primary over the EAL's multi-process
 * channel (SL_WAKE_MP_NAME).
 */
#ifndef SL_WAKE_H
#define SL_WAKE_H

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>

/* The multi-process request a worker sends for the bridge thread's eventfd. */
#define SL_WAKE_MP_NAME "sluice_bridge_wake"

struct sl_wake {
	uint32_t seq;      /* futex word: bumped by every wake-up */
	uint32_t sleeping; /* the sleeper is, or is about to be, blocked */
	uint32_t can_wake; /* worker: it holds the bridge thread's eventfd */
	uint32_t pad;
} __rte_cache_aligned;

/* Block while *@word is @val, at most @us microseconds; whether it was
 * woken (or *@word had changed) rather than timed out. */
static inline bool
sl_futex_wait(uint32_t *word, uint32_t val, uint32_t us)
{
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000 };

	return syscall(SYS_futex, word, FUTEX_WAIT, val, &ts, NULL, 0) == 0 || errno == EAGAIN;
}

/* Wake whoever blocks on @word. */
static inline void
sl_futex_wake(uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* Waker's side for a futex sleeper, once the work is published and a
 * full fence (__atomic_thread_fence(__ATOMIC_SEQ_CST)) has followed. */
static inline void
sl_wake_futex(struct sl_wake *k)
{
	if (__atomic_load_n(&k->sleeping, __ATOMIC_RELAXED) == 0)
		return;
	/* One wake-up per sleep: the first waker clears the flag. */
	if (!__atomic_exchange_n(&k->sleeping, 0, __ATOMIC_ACQ_REL))
		return;
	__atomic_fetch_add(&k->seq, 1, __ATOMIC_RELEASE);
	sl_futex_wake(&k->seq);
}

#endif /* SL_WAKE_H */
