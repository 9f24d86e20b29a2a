/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ovs-ofctl flow syntax on arbitrary text, in both modes.  What parses must
 * print as text that parses again into the very same flow (add-flow: the
 * whole struct; del-flows: the match and priority as sl_match_format prints
 * them), and print the same text again.  What does not parse must say why
 * in one line.  Printing into short buffers never writes past them.
 */
#include <errno.h>

#include "flow_syntax.h"
#include "fuzz.h"

/* The ports sluiced would know: names resolve, and numbers come back. */
static int
resolve(void *ctx, const char *name, uint16_t *ofport)
{
	static const struct {
		const char *name;
		uint16_t ofport;
	} ports[] = { { "p1", 1 }, { "p2", 2 }, { "uplink", 10 }, { "a:b", 65279 } };

	(void)ctx;
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		if (strcmp(name, ports[i].name) == 0) {
			*ofport = ports[i].ofport;
			return 0;
		}
	}
	return -ENOENT;
}

static int
known_error(int rc)
{
	return rc == -EINVAL || rc == -ERANGE || rc == -ENOENT || rc == -ENOTSUP || rc == -E2BIG;
}

/* sl_flow_format into a heap buffer of exactly @len bytes: same length, a prefix of @full. */
static void
check_truncated_format(const struct sl_flow *f, const char *full, size_t n, size_t len)
{
	char *buf = len ? malloc(len) : NULL;
	int m = sl_flow_format(f, buf, len);

	FUZZ_CHECK((size_t)m == n, "format into %zu bytes returned %d, not %zu", len, m, n);
	if (len > 0) {
		size_t want = n < len - 1 ? n : len - 1;

		FUZZ_CHECK(strlen(buf) == want && memcmp(buf, full, want) == 0,
			   "format into %zu bytes gave \"%s\", not a prefix of \"%s\"", len, buf,
			   full);
	}
	free(buf);
}

static void
round_trip_flow(const char *text)
{
	char err[256], s1[4096], s2[4096];
	struct sl_flow a, b;
	int rc, n;

	rc = sl_flow_parse(text, SL_PARSE_FLOW, resolve, NULL, &a, err, sizeof(err));
	if (rc < 0) {
		FUZZ_CHECK(known_error(rc), "parse returned %d for \"%s\"", rc, text);
		FUZZ_CHECK(fuzz_one_line(err), "error for \"%s\" is not one line: \"%s\"", text,
			   err);
		return;
	}
	FUZZ_CHECK(rc == 0, "parse returned %d", rc);
	n = sl_flow_format(&a, s1, sizeof(s1));
	FUZZ_CHECK(n > 0 && (size_t)n < sizeof(s1) && (size_t)n == strlen(s1),
		   "format of \"%s\" returned %d for \"%s\"", text, n, s1);
	check_truncated_format(&a, s1, (size_t)n, 0);
	check_truncated_format(&a, s1, (size_t)n, 1);
	check_truncated_format(&a, s1, (size_t)n, (size_t)n / 2 + 1);
	check_truncated_format(&a, s1, (size_t)n, (size_t)n);
	check_truncated_format(&a, s1, (size_t)n, (size_t)n + 1);

	/* Printed text names ports by number: no resolver needed. */
	rc = sl_flow_parse(s1, SL_PARSE_FLOW, NULL, NULL, &b, err, sizeof(err));
	FUZZ_CHECK(rc == 0, "\"%s\" printed as \"%s\", which does not parse: %s", text, s1, err);
	FUZZ_CHECK(memcmp(&a, &b, sizeof(a)) == 0, "\"%s\" printed as \"%s\" is another flow",
		   text, s1);
	sl_flow_format(&b, s2, sizeof(s2));
	FUZZ_CHECK(strcmp(s1, s2) == 0, "canonical text drifts: \"%s\" then \"%s\"", s1, s2);
}

static void
round_trip_match(const char *text)
{
	char err[256], s1[4096];
	struct sl_flow a, b;
	int rc, n;

	rc = sl_flow_parse(text, SL_PARSE_MATCH, resolve, NULL, &a, err, sizeof(err));
	if (rc < 0) {
		FUZZ_CHECK(known_error(rc), "match parse returned %d for \"%s\"", rc, text);
		FUZZ_CHECK(fuzz_one_line(err), "error for match \"%s\" is not one line: \"%s\"",
			   text, err);
		return;
	}
	FUZZ_CHECK(a.actions.n == 0, "a match got actions");
	n = sl_selector_format(&a, s1, sizeof(s1)); /* as sluiced forwards it */
	FUZZ_CHECK(n > 0 && (size_t)n < sizeof(s1) && (size_t)n == strlen(s1),
		   "match format returned %d", n);
	/* sluiced forwards this text to the primary for del-flows. */
	rc = sl_flow_parse(s1, SL_PARSE_MATCH, NULL, NULL, &b, err, sizeof(err));
	FUZZ_CHECK(rc == 0, "match \"%s\" printed as \"%s\", which does not parse: %s", text, s1,
		   err);
	FUZZ_CHECK(memcmp(&a, &b, sizeof(a)) == 0,
		   "match \"%s\" printed as \"%s\" selects other flows", text, s1);
}

/* No resolver and a tiny error buffer (exactly its size, on the heap). */
static void
tiny_error_buffer(const char *text, size_t errlen)
{
	char *err = errlen ? malloc(errlen) : NULL;
	struct sl_flow f;
	int rc = sl_flow_parse(text, SL_PARSE_FLOW, NULL, NULL, &f, err, errlen);

	if (rc < 0 && errlen > 0)
		FUZZ_CHECK(strlen(err) < errlen, "error overran its buffer");
	free(err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size);

	round_trip_flow(text);
	round_trip_match(text);
	tiny_error_buffer(text, size % 17);
	free(text);
	return 0;
}
