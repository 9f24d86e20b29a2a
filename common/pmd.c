/* SPDX-License-Identifier: BSD-3-Clause */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmd.h"
#include "settings.h"

static int __attribute__((format(printf, 3, 4)))
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* A whole decimal number of at most 9 digits at *s, advancing *s; -1 if none. */
static long
decimal(const char **s)
{
	const char *p = *s;
	long v = 0;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		if (p - *s >= 9)
			return -1;
		v = v * 10 + (*p - '0');
	}
	*s = p;
	return v;
}

static int
popcount64(uint64_t m)
{
	return __builtin_popcountll(m);
}

/* "1,2", "0-3,5": cores and ranges. */
static int
core_list(const char *text, uint64_t *mask, char *err, size_t errlen)
{
	const char *p = text;

	*mask = 0;
	for (;;) {
		long lo = decimal(&p), hi;

		if (lo < 0)
			return fail(err, errlen, "expected a core number at \"%.16s\"", p);
		hi = lo;
		if (*p == '-') {
			p++;
			hi = decimal(&p);
			if (hi < lo)
				return fail(err, errlen, "bad core range ending at \"%.16s\"", p);
		}
		if (hi >= SL_MAX_CORES)
			return fail(err, errlen, "core %ld: cores 0..%d only", hi, SL_MAX_CORES - 1);
		for (long c = lo; c <= hi; c++)
			*mask |= UINT64_C(1) << c;
		if (*p == '\0')
			return 0;
		if (*p != ',')
			return fail(err, errlen, "unexpected \"%.16s\"", p);
		p++;
	}
}

int
sl_cpu_mask_parse(const char *text, uint64_t *mask, char *err, size_t errlen)
{
	const char *hex = text;
	int rc;

	*mask = 0;
	if (text[0] == '\0')
		return 0;
	if (strpbrk(text, ",-") != NULL) {
		rc = core_list(text, mask, err, errlen);
		if (rc < 0)
			return rc;
	} else {
		if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
			hex += 2;
		if (hex[0] == '\0' || strspn(hex, "0123456789abcdefABCDEF") != strlen(hex))
			return fail(err, errlen,
				    "not a hexadecimal mask (0x6) nor a list of cores (1,2 or 0-3)");
		hex += strspn(hex, "0"); /* leading zeros name no core */
		if (strlen(hex) > 16)
			return fail(err, errlen, "the mask names cores above %d", SL_MAX_CORES - 1);
		*mask = strtoull(hex[0] ? hex : "0", NULL, 16);
	}
	if (*mask == 0)
		return fail(err, errlen, "names no core (leave it empty for the default workers)");
	if (popcount64(*mask) > SL_MAX_WORKERS)
		return fail(err, errlen, "names %d cores: sluice runs at most %d workers",
			    popcount64(*mask), SL_MAX_WORKERS);
	return 0;
}

int
sl_cpu_mask_check(const char *value, char *canon, size_t canonlen, char *err, size_t errlen)
{
	uint64_t mask;
	int rc = sl_cpu_mask_parse(value, &mask, err, errlen);

	if (rc < 0)
		return rc;
	if (mask == 0)
		snprintf(canon, canonlen, "%s", "");
	else
		snprintf(canon, canonlen, "0x%" PRIx64, mask);
	return 0;
}

unsigned int
sl_cpu_mask_cores(uint64_t mask, int cores[SL_MAX_CORES])
{
	unsigned int n = 0;

	for (int c = 0; c < SL_MAX_CORES; c++)
		if (mask & (UINT64_C(1) << c))
			cores[n++] = c;
	return n;
}

static int
cmp_entry(const void *a, const void *b)
{
	const uint16_t *x = a, *y = b;

	return (int)x[0] - (int)y[0];
}

int
sl_rxq_affinity_parse(const char *text, struct sl_rxq_affinity *a, char *err, size_t errlen)
{
	const char *p = text;

	memset(a, 0, sizeof(*a));
	while (*p != '\0') {
		const char *entry = p;
		long q, c;

		q = decimal(&p);
		if (q < 0 || *p != ':')
			return fail(err, errlen, "bad entry \"%.*s\": expected QUEUE:CORE",
				    (int)strcspn(entry, ","), entry);
		p++;
		c = decimal(&p);
		if (c < 0 || (*p != ',' && *p != '\0'))
			return fail(err, errlen, "bad entry \"%.*s\": expected QUEUE:CORE",
				    (int)strcspn(entry, ","), entry);
		if (q >= SL_MAX_RXQ)
			return fail(err, errlen, "queue %ld: ports have at most %d rx queues", q,
				    SL_MAX_RXQ);
		if (c > SL_MAX_CORE_ID)
			return fail(err, errlen, "core %ld: cores 0..%d only", c, SL_MAX_CORE_ID);
		if (sl_rxq_affinity_core(a, (uint16_t)q) >= 0)
			return fail(err, errlen, "queue %ld is pinned twice", q);
		a->e[a->n].queue = (uint16_t)q;
		a->e[a->n].core = (uint16_t)c;
		a->n++;
		if (*p == ',') {
			p++;
			p += strspn(p, " ");
			if (*p == '\0')
				return fail(err, errlen, "empty entry at the end");
		}
	}
	qsort(a->e, a->n, sizeof(a->e[0]), cmp_entry);
	return 0;
}

int
sl_rxq_affinity_check(const char *value, char *canon, size_t canonlen, char *err, size_t errlen)
{
	struct sl_rxq_affinity a;
	size_t used = 0;
	int rc = sl_rxq_affinity_parse(value, &a, err, errlen);

	if (rc < 0)
		return rc;
	canon[0] = '\0';
	for (uint16_t i = 0; i < a.n && used < canonlen; i++)
		used += (size_t)snprintf(canon + used, canonlen - used, "%s%u:%u", i ? "," : "",
					 a.e[i].queue, a.e[i].core);
	return 0;
}

int
sl_rxq_affinity_core(const struct sl_rxq_affinity *a, uint16_t queue)
{
	for (uint16_t i = 0; i < a->n; i++)
		if (a->e[i].queue == queue)
			return a->e[i].core;
	return -1;
}

int
sl_pmd_options_check(const struct sl_values *vals, char *err, size_t errlen)
{
	if (!sl_values_u64(&sl_options, vals, SL_OPT_PMD_RXQ_ISOLATE) &&
	    sl_values_u64(&sl_options, vals, SL_OPT_PMD_RXQ_ASSIGN) != SL_RXQ_ASSIGN_GROUP)
		return fail(err, errlen, "pmd-rxq-isolate=false needs pmd-rxq-assign=group "
					 "(pmd-rxq-assign is %s)",
			    vals->v[SL_OPT_PMD_RXQ_ASSIGN]);
	return 0;
}
