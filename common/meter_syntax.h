/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OpenFlow 1.3 meters in ovs-ofctl's meter syntax:
 *
 *   meter=1 pktps burst stats bands=type=drop rate=1000 burst_size=100
 *   meter=2,kbps,bands=type=drop,rate=10000
 *
 * fields separated by commas or white space, bands last.  Parsing checks
 * what ovs-ofctl checks; sl_meter_spec_check() adds what this switch
 * supports (drop bands, no virtual meters), so that sluiced and the primary
 * refuse the same things with the same words.  Plain data, no DPDK: the
 * control side uses it too.
 */
#ifndef SL_METER_SYNTAX_H
#define SL_METER_SYNTAX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow.h"

#define SL_METER_MAX_BANDS 8 /* as Open vSwitch's userspace datapath */

/* Meter ids above SL_METER_ID_MAX (OpenFlow 1.3's virtual meters). */
#define SL_METER_SLOWPATH 0xfffffffdu
#define SL_METER_CONTROLLER 0xfffffffeu
#define SL_METER_ALL 0xffffffffu

/* Meter flags, with OpenFlow 1.3's values (OFPMF13_*). */
enum sl_meter_flags {
	SL_METER_KBPS = 1 << 0,  /* rate and burst in kilobits (per second) */
	SL_METER_PKTPS = 1 << 1, /* rate and burst in packets (per second) */
	SL_METER_BURST = 1 << 2, /* bands give burst_size */
	SL_METER_STATS = 1 << 3, /* keep statistics (always kept here) */
};

/* Band types, with OpenFlow 1.3's values (OFPMBT13_*). */
enum sl_meter_band_type {
	SL_BAND_DROP = 1,
	SL_BAND_DSCP_REMARK = 2,
};

struct sl_meter_band_spec {
	uint16_t type;       /* enum sl_meter_band_type */
	uint8_t prec_level;  /* dscp_remark only */
	uint8_t pad;
	uint32_t rate;       /* kbps or packets per second */
	uint32_t burst_size; /* kilobits or packets; 0: not given */
};

/* One meter as the user gave it. */
struct sl_meter_spec {
	uint32_t id;      /* 1..SL_METER_ID_MAX, a virtual meter, or SL_METER_ALL */
	uint16_t flags;   /* enum sl_meter_flags */
	uint16_t n_bands;
	struct sl_meter_band_spec band[SL_METER_MAX_BANDS];
};

enum sl_meter_parse_mode {
	SL_METER_PARSE_MOD, /* add-meter, mod-meter: meter=, a unit, bands */
	SL_METER_PARSE_ID,  /* del-meters, dump-meters, meter-stats: "meter=N", "N", "all" or "" */
};

#define SL_METER_TEXT_MAX 1024

/*
 * Parse @text into @spec (zeroed first).  In SL_METER_PARSE_ID mode an
 * empty text or "all" gives id SL_METER_ALL.  Returns 0, or -EINVAL with a
 * one-line message in @err naming the bad part ("unknown keyword colour").
 */
int sl_meter_parse(const char *text, enum sl_meter_parse_mode mode, struct sl_meter_spec *spec,
		   char *err, size_t errlen);

/*
 * What this switch refuses of a well-formed meter: virtual meters (no
 * controller, no slow path here) and bands other than drop.  0 or
 * -EOPNOTSUPP with @err set.
 */
int sl_meter_spec_check(const struct sl_meter_spec *spec, char *err, size_t errlen);

/*
 * Canonical text of @spec, accepted by sl_meter_parse, on one line:
 * "meter=1 pktps burst stats bands=type=drop rate=1 burst_size=1"; with
 * @lines, every band on a line of its own, as ovs-ofctl dump-meters prints
 * it.  Returns snprintf-style length.
 */
int sl_meter_format(const struct sl_meter_spec *spec, bool lines, char *buf, size_t len);

/* "meter=N", or "meter=all" / "meter=controller" ... for messages; @sep is '=' or ':'. */
void sl_meter_id_format(uint32_t id, char sep, char *buf, size_t len);

/* True if both give the same meter (same id, flags and bands). */
bool sl_meter_spec_equal(const struct sl_meter_spec *a, const struct sl_meter_spec *b);

/* True if @acts use meter @id (SL_METER_ALL: any meter). */
bool sl_actions_use_meter(const struct sl_actions *acts, uint32_t id);

#endif /* SL_METER_SYNTAX_H */
