/* SPDX-License-Identifier: BSD-3-Clause */
/* Small helpers several unit tests share: a classifier allocator over malloc, a fixed-seed xorshift. */
#ifndef SL_TEST_UNIT_HELPERS_H
#define SL_TEST_UNIT_HELPERS_H

#include <stdint.h>
#include <stdlib.h>

/* sl_cls_zalloc_fn over calloc, and its free. */
static inline void *
test_zalloc(size_t size, void *ctx)
{
	(void)ctx;
	return calloc(1, size);
}

static inline void
test_free(void *p, void *ctx)
{
	(void)ctx;
	free(p);
}

/* xorshift32: the same sequence on every run. */
static uint32_t rng = 12345;

static inline uint32_t
rnd32(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

#endif /* SL_TEST_UNIT_HELPERS_H */
