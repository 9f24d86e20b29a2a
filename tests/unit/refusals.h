/* SPDX-License-Identifier: BSD-3-Clause */
/* Flow texts a parser must refuse, each with the part of the error that says why. */
#ifndef SL_TEST_REFUSALS_H
#define SL_TEST_REFUSALS_H

#include <stddef.h>
#include <string.h>

#include <criterion/criterion.h>

#include "flow.h"

struct refusal {
	const char *text;
	const char *want; /* a part of the error message */
};

typedef int (*refusal_parse_fn)(const char *text, struct sl_flow *flow, char *err, size_t errlen);

/* Every case of @c[0..n) is refused by @parse, its error containing its want. */
static inline void
expect_refusals(refusal_parse_fn parse, const struct refusal *c, size_t n)
{
	struct sl_flow f;
	char err[256];

	for (size_t i = 0; i < n; i++) {
		int rc = parse(c[i].text, &f, err, sizeof(err));

		cr_assert_neq(rc, 0, "\"%s\" accepted", c[i].text);
		cr_assert(strstr(err, c[i].want) != NULL, "\"%s\": \"%s\" lacks \"%s\"", c[i].text,
			  err, c[i].want);
	}
}

#define EXPECT_REFUSALS(parse, cases) \
	expect_refusals((parse), (cases), sizeof(cases) / sizeof((cases)[0]))

#endif /* SL_TEST_REFUSALS_H */
