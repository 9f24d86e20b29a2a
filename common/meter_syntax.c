/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ovs-ofctl meter syntax: the fields before "bands=" (meter=, kbps, pktps,
 * burst, stats), then bands, each starting with type=.  The checks and
 * their order follow ovs-ofctl's, so that a meter it refuses is refused
 * here too, for the same reason.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "meter_syntax.h"
#include "util.h"

#define SEPS ", \t\r\n"

static int __attribute__((format(printf, 4, 5)))
fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* A meter id: a number in 1..SL_METER_ID_MAX, or a virtual meter's name. */
static int
parse_id(const char *val, bool allow_all, uint32_t *id, char *err, size_t errlen)
{
	char shown[64];
	uint64_t v;

	if (strcmp(val, "all") == 0 && allow_all) {
		*id = SL_METER_ALL;
		return 0;
	}
	if (strcmp(val, "controller") == 0) {
		*id = SL_METER_CONTROLLER;
		return 0;
	}
	if (strcmp(val, "slowpath") == 0) {
		*id = SL_METER_SLOWPATH;
		return 0;
	}
	sl_printable(val, shown, sizeof(shown));
	if (strcmp(val, "all") == 0)
		return fail(err, errlen, -EINVAL, "meter=all names no one meter (only del-meters, "
				"dump-meters and meter-stats take it)");
	if (sl_parse_u64(val, 1, SL_METER_ID_MAX, &v) < 0)
		return fail(err, errlen, -EINVAL, "invalid value for meter: \"%s\" (1..%u, all, "
				"controller or slowpath)", shown, SL_METER_ID_MAX);
	*id = (uint32_t)v;
	return 0;
}

static int
parse_u32(const char *name, const char *val, uint32_t max, uint32_t *out, char *err,
	  size_t errlen)
{
	char shown[64];
	uint64_t v;

	if (sl_parse_u64(val, 0, max, &v) < 0) {
		sl_printable(val, shown, sizeof(shown));
		return fail(err, errlen, -EINVAL, "%s: \"%s\" is not a number in 0..%u", name, shown,
			    max);
	}
	*out = (uint32_t)v;
	return 0;
}

/* The fields before the bands. */
static int
parse_head(char *s, enum sl_meter_parse_mode mode, struct sl_meter_spec *spec, char *err,
	   size_t errlen)
{
	bool flags_ok = mode == SL_METER_PARSE_MOD;
	char *save = NULL, *name, shown[64];

	for (name = strtok_r(s, "=" SEPS, &save); name != NULL;
	     name = strtok_r(NULL, "=" SEPS, &save)) {
		char *value;
		int rc;

		if (flags_ok && strcmp(name, "kbps") == 0) {
			spec->flags |= SL_METER_KBPS;
		} else if (flags_ok && strcmp(name, "pktps") == 0) {
			spec->flags |= SL_METER_PKTPS;
		} else if (flags_ok && strcmp(name, "burst") == 0) {
			spec->flags |= SL_METER_BURST;
		} else if (flags_ok && strcmp(name, "stats") == 0) {
			spec->flags |= SL_METER_STATS;
		} else {
			sl_printable(name, shown, sizeof(shown));
			if (strcmp(name, "meter") != 0)
				return fail(err, errlen, -EINVAL, "unknown keyword %s", shown);
			value = strtok_r(NULL, SEPS, &save);
			if (value == NULL)
				return fail(err, errlen, -EINVAL, "field meter missing value");
			rc = parse_id(value, mode == SL_METER_PARSE_ID, &spec->id, err, errlen);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

/* "type=drop rate=N [burst_size=N] [prec_level=N] type=..." */
static int
parse_bands(char *s, struct sl_meter_spec *spec, char *err, size_t errlen)
{
	struct sl_meter_band_spec *b = NULL;
	char *save = NULL, *name, shown[64];

	for (name = strtok_r(s, "=" SEPS, &save); name != NULL;
	     name = strtok_r(NULL, "=" SEPS, &save)) {
		char *value = strtok_r(NULL, SEPS, &save);
		uint32_t v = 0;
		int rc = 0;

		sl_printable(name, shown, sizeof(shown));
		if (value == NULL)
			return fail(err, errlen, -EINVAL, "field %s missing value", shown);
		if (strcmp(name, "type") == 0) {
			if (spec->n_bands == SL_METER_MAX_BANDS)
				return fail(err, errlen, -EINVAL, "more than %d bands",
					    SL_METER_MAX_BANDS);
			b = &spec->band[spec->n_bands++];
			if (strcmp(value, "drop") == 0) {
				b->type = SL_BAND_DROP;
			} else if (strcmp(value, "dscp_remark") == 0) {
				b->type = SL_BAND_DSCP_REMARK;
			} else {
				sl_printable(value, shown, sizeof(shown));
				return fail(err, errlen, -EINVAL,
					    "field type unknown value %s (drop or dscp_remark)",
					    shown);
			}
		} else if (b == NULL) {
			return fail(err, errlen, -EINVAL, "band must start with the 'type' keyword");
		} else if (strcmp(name, "rate") == 0) {
			rc = parse_u32("rate", value, UINT32_MAX, &b->rate, err, errlen);
		} else if (strcmp(name, "burst_size") == 0) {
			rc = parse_u32("burst_size", value, UINT32_MAX, &b->burst_size, err, errlen);
		} else if (strcmp(name, "prec_level") == 0) {
			rc = parse_u32("prec_level", value, UINT8_MAX, &v, err, errlen);
			b->prec_level = (uint8_t)v;
		} else {
			return fail(err, errlen, -EINVAL, "unknown keyword %s", shown);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int
check_bands(const struct sl_meter_spec *spec, char *err, size_t errlen)
{
	if (spec->n_bands == 0)
		return fail(err, errlen, -EINVAL, "meter must have bands");
	for (unsigned int i = 0; i < spec->n_bands; i++) {
		const struct sl_meter_band_spec *b = &spec->band[i];

		if (b->type == SL_BAND_DSCP_REMARK && b->prec_level == 0)
			return fail(err, errlen, -EINVAL, "'dscp_remark' band must have 'prec_level'");
		if (b->type != SL_BAND_DSCP_REMARK && b->prec_level != 0)
			return fail(err, errlen, -EINVAL,
				    "only 'dscp_remark' band may have 'prec_level'");
		if (b->rate == 0)
			return fail(err, errlen, -EINVAL, "band must have 'rate'");
		if ((spec->flags & SL_METER_BURST) && b->burst_size == 0)
			return fail(err, errlen, -EINVAL,
				    "band must have 'burst_size' when 'burst' flag is set");
		if (!(spec->flags & SL_METER_BURST) && b->burst_size != 0)
			return fail(err, errlen, -EINVAL,
				    "band may have 'burst_size' only when 'burst' flag is set");
	}
	return 0;
}

int
sl_meter_parse(const char *text, enum sl_meter_parse_mode mode, struct sl_meter_spec *spec,
	       char *err, size_t errlen)
{
	char buf[SL_METER_TEXT_MAX], *bands = NULL, *p;
	int rc;

	memset(spec, 0, sizeof(*spec));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (text == NULL)
		text = "";
	if (strlen(text) >= sizeof(buf))
		return fail(err, errlen, -EINVAL, "meter longer than %d bytes", SL_METER_TEXT_MAX - 1);
	snprintf(buf, sizeof(buf), "%s", text);
	p = buf + strspn(buf, SEPS);
	if (mode == SL_METER_PARSE_ID) {
		size_t n = strlen(p);

		/* As ovs-ofctl: "meter=N" or "meter=all"; a bare N or nothing too. */
		while (n > 0 && strchr(SEPS, p[n - 1]) != NULL)
			p[--n] = '\0';
		if (*p == '\0') {
			spec->id = SL_METER_ALL;
			return 0;
		}
		if (strcspn(p, "=" SEPS) == n)
			return parse_id(p, true, &spec->id, err, errlen);
		rc = parse_head(p, mode, spec, err, errlen);
		if (rc == 0 && spec->id == 0)
			spec->id = SL_METER_ALL;
		return rc;
	}
	bands = strstr(p, "band");
	if (bands == NULL || strchr(bands, '=') == NULL)
		return fail(err, errlen, -EINVAL, "must specify bands (bands=type=drop,rate=N)");
	*bands = '\0';
	bands = strchr(bands + 1, '=') + 1;
	rc = parse_head(p, mode, spec, err, errlen);
	if (rc < 0)
		return rc;
	if (spec->id == 0)
		return fail(err, errlen, -EINVAL, "must specify 'meter'");
	if (!(spec->flags & (SL_METER_KBPS | SL_METER_PKTPS)))
		return fail(err, errlen, -EINVAL, "meter must specify either 'kbps' or 'pktps'");
	if ((spec->flags & SL_METER_KBPS) && (spec->flags & SL_METER_PKTPS))
		return fail(err, errlen, -EINVAL, "meter must specify either 'kbps' or 'pktps', "
				"not both");
	rc = parse_bands(bands, spec, err, errlen);
	if (rc < 0)
		return rc;
	return check_bands(spec, err, errlen);
}

int
sl_meter_spec_check(const struct sl_meter_spec *spec, char *err, size_t errlen)
{
	char id[48];

	sl_meter_id_format(spec->id, '=', id, sizeof(id));
	if (spec->id == SL_METER_CONTROLLER || spec->id == SL_METER_SLOWPATH)
		return fail(err, errlen, -EOPNOTSUPP,
			    "%s: virtual meters are not supported (there is no controller or "
			    "slow path to meter)", id);
	for (unsigned int i = 0; i < spec->n_bands; i++)
		if (spec->band[i].type != SL_BAND_DROP)
			return fail(err, errlen, -EOPNOTSUPP,
				    "%s: band %u: only drop bands are supported", id, i);
	return 0;
}

void
sl_meter_id_format(uint32_t id, char sep, char *buf, size_t len)
{
	const char *name = id == SL_METER_ALL	     ? "all"
			   : id == SL_METER_CONTROLLER ? "controller"
			   : id == SL_METER_SLOWPATH   ? "slowpath"
						       : NULL;

	if (name != NULL)
		snprintf(buf, len, "meter%c%s", sep, name);
	else
		snprintf(buf, len, "meter%c%" PRIu32, sep, id);
}

int
sl_meter_format(const struct sl_meter_spec *spec, bool lines, char *buf, size_t len)
{
	static const char *const flag_names[] = { "kbps", "pktps", "burst", "stats" };
	size_t pos = 0;
	char id[48];

#define OUT(...)                                                                        \
	do {                                                                            \
		int n_ = snprintf(pos < len ? buf + pos : NULL, pos < len ? len - pos : 0, \
				  __VA_ARGS__);                                           \
		if (n_ > 0)                                                             \
			pos += (size_t)n_;                                              \
	} while (0)

	if (len > 0)
		buf[0] = '\0';
	sl_meter_id_format(spec->id, '=', id, sizeof(id));
	OUT("%s ", id);
	for (unsigned int i = 0; i < 4; i++)
		if (spec->flags & (1u << i))
			OUT("%s ", flag_names[i]);
	OUT("bands=");
	for (unsigned int i = 0; i < spec->n_bands; i++) {
		const struct sl_meter_band_spec *b = &spec->band[i];

		OUT("%stype=%s rate=%" PRIu32, lines ? "\n" : i ? " " : "",
		    b->type == SL_BAND_DSCP_REMARK ? "dscp_remark" : "drop", b->rate);
		if (spec->flags & SL_METER_BURST)
			OUT(" burst_size=%" PRIu32, b->burst_size);
		if (b->type == SL_BAND_DSCP_REMARK)
			OUT(" prec_level=%u", b->prec_level);
	}
#undef OUT
	return pos > INT32_MAX ? INT32_MAX : (int)pos;
}

bool
sl_meter_spec_equal(const struct sl_meter_spec *a, const struct sl_meter_spec *b)
{
	if (a->id != b->id || a->flags != b->flags || a->n_bands != b->n_bands)
		return false;
	for (unsigned int i = 0; i < a->n_bands; i++)
		if (a->band[i].type != b->band[i].type || a->band[i].rate != b->band[i].rate ||
		    a->band[i].burst_size != b->band[i].burst_size ||
		    a->band[i].prec_level != b->band[i].prec_level)
			return false;
	return true;
}

bool
sl_actions_use_meter(const struct sl_actions *acts, uint32_t id)
{
	for (unsigned int i = 0; i < acts->n && i < SL_MAX_ACTIONS; i++)
		if (acts->a[i].type == SL_ACT_METER &&
		    (id == SL_METER_ALL || sl_action_u32(&acts->a[i]) == id))
			return true;
	return false;
}
