/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers shared by the libFuzzer targets: a property that does not hold
 * aborts with a message (libFuzzer then saves the input as a crash), and
 * fuzzed bytes become a C string in a heap buffer of exactly their size,
 * so that ASan sees any read past the end.
 */
#ifndef SL_FUZZ_H
#define SL_FUZZ_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void __attribute__((noreturn, format(printf, 1, 2)))
fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz: property violated: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

#define FUZZ_CHECK(cond, ...)                   \
	do {                                    \
		if (!(cond))                    \
			fuzz_fail(__VA_ARGS__); \
	} while (0)

/* @data as a NUL-terminated string (malloc'd, @size + 1 bytes; stops at an inner NUL). */
static inline char *
fuzz_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* One line a person can read: not empty, no line break. */
static inline int
fuzz_one_line(const char *msg)
{
	return msg[0] != '\0' && strpbrk(msg, "\r\n") == NULL;
}

#endif /* SL_FUZZ_H */
