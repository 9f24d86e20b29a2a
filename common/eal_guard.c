/* SPDX-License-Identifier: BSD-3-Clause */
/* The EAL's windows, guarded (eal_guard.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>

#include "eal_guard.h"

static char guard_path[512]; /* "": none */

int
sl_eal_guard_path(int argc, char *const *argv, char *buf, unsigned int len)
{
	const char *prefix = "rte", *dir = "/var/run";
	int n;

	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strncmp(argv[i], "--file-prefix=", 14) == 0)
			prefix = argv[i] + 14;
		else if (strcmp(argv[i], "--file-prefix") == 0 && i + 1 < argc)
			prefix = argv[++i];
	}
	if (getuid() != 0) {
		dir = getenv("XDG_RUNTIME_DIR");
		if (dir == NULL)
			dir = "/tmp";
	}
	n = snprintf(buf, len, "%s/dpdk/%s/%s", dir, prefix, SL_EAL_GUARD_FILE);
	return n < 0 || (unsigned int)n >= len ? -1 : 0;
}

static void
write_note(int fd, enum sl_eal_window w)
{
	struct sl_eal_guard_note note = { .pid = getpid(), .window = w };

	if (pwrite(fd, &note, sizeof(note), 0) != (ssize_t)sizeof(note))
		fprintf(stderr, "sluice: cannot note the EAL window in its guard file\n");
}

static int
lock_fd(int fd)
{
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

int
sl_eal_guard_enter(const char *path, enum sl_eal_window w)
{
	const struct timespec nap = { .tv_sec = 0, .tv_nsec = 10 * 1000 * 1000 };
	struct sl_eal_guard_note note;
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -1;
	for (unsigned int waited = 0;; waited += 10) {
		if (lock_fd(fd) < 0) {
			close(fd);
			return -1;
		}
		/* A note of a window never left: its process died inside. */
		if (pread(fd, &note, sizeof(note), 0) != (ssize_t)sizeof(note) ||
		    note.window == SL_EAL_WINDOW_NONE || waited >= SL_EAL_GUARD_WAIT_MS)
			break;
		flock(fd, LOCK_UN); /* the primary's turn to repair */
		nanosleep(&nap, NULL);
	}
	write_note(fd, w);
	return fd;
}

void
sl_eal_guard_leave(int fd)
{
	if (fd < 0)
		return;
	write_note(fd, SL_EAL_WINDOW_NONE);
	close(fd); /* the flock goes with the last descriptor */
}

int
sl_eal_init_guarded(int argc, char **argv)
{
	int fd, ret;

	if (sl_eal_guard_path(argc, argv, guard_path, sizeof(guard_path)) < 0)
		guard_path[0] = '\0';
	fd = guard_path[0] != '\0' ? sl_eal_guard_enter(guard_path, SL_EAL_WINDOW_INIT) : -1;
	ret = rte_eal_init(argc, argv);
	sl_eal_guard_leave(fd);
	return ret;
}

void
sl_eal_cleanup_guarded(void)
{
	int fd = guard_path[0] != '\0' ? sl_eal_guard_enter(guard_path, SL_EAL_WINDOW_CLEANUP) : -1;

	rte_eal_cleanup();
	sl_eal_guard_leave(fd);
}
