/* SPDX-License-Identifier: BSD-3-Clause */
/* Small helpers every process uses: paths, numbers, time. */
#ifndef SL_UTIL_H
#define SL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_DEFAULT_RUNDIR "/run/sluice"

/* --rundir, else $SLUICE_RUNDIR, else /run/sluice. */
const char *sl_rundir(const char *from_option);

/* "ipc://RUNDIR/NAME" into @buf. */
void sl_endpoint(char *buf, size_t len, const char *rundir, const char *sock_name);

/* Parse a whole decimal (or 0x hex; never octal) unsigned number within [min, max]. Returns 0 or -EINVAL/-ERANGE. */
int sl_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* printf @fmt into @err (if any) and return @rc: "return sl_set_err(err, len, -EINVAL, ...)". */
int sl_set_err(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Monotonic milliseconds. */
uint64_t sl_now_ms(void);

/*
 * True if a process with this pid exists and is not a zombie: a zombie
 * runs no code and its memory and locks are gone, only its parent's wait
 * is missing (an orphan's new parent may never wait: a container's init,
 * a subreaper).  If /proc cannot tell, it counts as alive.
 */
bool sl_pid_alive(int pid);

/* Duplicate a string; exits on allocation failure only at start-up callers' discretion: returns NULL on ENOMEM. */
char *sl_strdup(const char *s);

/* The shared library holding code address @fn, and @fn's offset from its
 * load address.  Returns 0, or -ENOENT if @fn is not in a shared library. */
int sl_fn_locate(const void *fn, char *lib, size_t liblen, uint64_t *off);

/* Offset @off of shared library @lib as this process loaded it, or NULL if
 * the library is not loaded here. */
void *sl_fn_resolve(const char *lib, uint64_t off);

/*
 * @s made safe to echo into a terminal, a log or a one-line error: bytes
 * outside printable ASCII become \xNN, and the text is cut (ending "...")
 * to fit @len.  Returns @buf.
 */
char *sl_printable(const char *s, char *buf, size_t len);

/*
 * The error for flow @i (0-based) of a batch of @n refused with @msg:
 * "flow I+1: MSG in "TEXT"", or without the "flow I+1: " when @n is 1.
 * The primary and sluiced both put it so; sluicectl reads the number back
 * (sl_batch_error_flow) to name the line of the file the flow came from.
 */
void sl_batch_error(char *buf, size_t len, size_t i, size_t n, const char *msg, const char *text);

/* The flow (1-based) a batch error names, *@rest what follows "flow N: "; 0 if none. */
size_t sl_batch_error_flow(const char *err, const char **rest);

#endif /* SL_UTIL_H */
