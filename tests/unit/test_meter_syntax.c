/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ovs-ofctl meter syntax (add-meter, del-meters ...) and the meter:N
 * action of the flow syntax: what parses, how it prints back, and the
 * words of each refusal.
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "flow_syntax.h"
#include "meter_syntax.h"

static char err[256];

static struct sl_meter_spec
mod_ok(const char *text)
{
	struct sl_meter_spec m;
	int rc = sl_meter_parse(text, SL_METER_PARSE_MOD, &m, err, sizeof(err));

	cr_assert_eq(rc, 0, "\"%s\": %s", text, err);
	return m;
}

static void
mod_bad(const char *text, const char *expect)
{
	struct sl_meter_spec m;
	int rc = sl_meter_parse(text, SL_METER_PARSE_MOD, &m, err, sizeof(err));

	cr_assert_lt(rc, 0, "\"%s\" parsed", text);
	cr_assert(strstr(err, expect) != NULL, "\"%s\": expected \"%s\" in \"%s\"", text, expect,
		  err);
}

static const char *
canon(const struct sl_meter_spec *m)
{
	static char buf[SL_METER_TEXT_MAX];

	sl_meter_format(m, false, buf, sizeof(buf));
	return buf;
}

Test(meter_syntax, the_seeds_example_with_commas)
{
	struct sl_meter_spec m = mod_ok("meter=1,pktps,burst,stats,bands=type=drop,rate=1000,"
					"burst_size=100");

	cr_assert_eq(m.id, 1);
	cr_assert_eq(m.flags, SL_METER_PKTPS | SL_METER_BURST | SL_METER_STATS);
	cr_assert_eq(m.n_bands, 1);
	cr_assert_eq(m.band[0].type, SL_BAND_DROP);
	cr_assert_eq(m.band[0].rate, 1000);
	cr_assert_eq(m.band[0].burst_size, 100);
	cr_assert_str_eq(canon(&m), "meter=1 pktps burst stats bands=type=drop rate=1000 burst_size=100");
}

Test(meter_syntax, spaces_kbps_and_several_bands_round_trip)
{
	struct sl_meter_spec m = mod_ok("meter=2 kbps bands=type=drop rate=10 type=drop rate=20");
	struct sl_meter_spec again;
	char multi[SL_METER_TEXT_MAX];

	cr_assert_eq(m.flags, SL_METER_KBPS);
	cr_assert_eq(m.n_bands, 2);
	cr_assert_eq(m.band[1].rate, 20);
	cr_assert_str_eq(canon(&m), "meter=2 kbps bands=type=drop rate=10 type=drop rate=20");
	again = mod_ok(canon(&m));
	cr_assert(sl_meter_spec_equal(&m, &again));
	sl_meter_format(&m, true, multi, sizeof(multi));
	cr_assert_str_eq(multi, "meter=2 kbps bands=\ntype=drop rate=10\ntype=drop rate=20",
			 "dump-meters' layout");
	/* "band=" is accepted for "bands=", as ovs-ofctl does. */
	again = mod_ok("meter=2 kbps band=type=drop rate=10 type=drop rate=20");
	cr_assert(sl_meter_spec_equal(&m, &again));
}

Test(meter_syntax, refusals_say_what_ovs_ofctl_says)
{
	mod_bad("meter=1 pktps", "must specify bands");
	mod_bad("pktps bands=type=drop rate=1", "must specify 'meter'");
	mod_bad("meter=1 bands=type=drop rate=1", "either 'kbps' or 'pktps'");
	mod_bad("meter=1 kbps pktps bands=type=drop rate=1", "not both");
	mod_bad("meter=1 pktps bands=rate=1", "band must start with the 'type' keyword");
	mod_bad("meter=1 pktps bands=type=drop", "band must have 'rate'");
	mod_bad("meter=1 pktps bands=type=drop rate=0", "band must have 'rate'");
	mod_bad("meter=1 pktps burst bands=type=drop rate=1", "must have 'burst_size' when 'burst'");
	mod_bad("meter=1 pktps bands=type=drop rate=1 burst_size=2", "only when 'burst' flag");
	mod_bad("meter=1 pktps bands=type=mark rate=1", "field type unknown value mark");
	mod_bad("meter=1 pktps colour=red bands=type=drop rate=1", "unknown keyword colour");
	mod_bad("meter=0 pktps bands=type=drop rate=1", "invalid value for meter");
	mod_bad("meter=4294901761 pktps bands=type=drop rate=1", "invalid value for meter");
	mod_bad("meter=all pktps bands=type=drop rate=1", "meter=all names no one meter");
	mod_bad("meter=1 pktps bands=type=drop rate=99999999999", "rate");
	mod_bad("meter=1 pktps bands=type=dscp_remark rate=1", "must have 'prec_level'");
	mod_bad("meter=1 pktps bands=type=drop rate=1 prec_level=1", "only 'dscp_remark'");
	mod_bad("meter=1 pktps bands=type=drop rate=1 type=drop rate=1 type=drop rate=1 "
		"type=drop rate=1 type=drop rate=1 type=drop rate=1 type=drop rate=1 type=drop "
		"rate=1 type=drop rate=1", "more than 8 bands");
}

Test(meter_syntax, what_parses_but_this_switch_refuses)
{
	struct sl_meter_spec m;

	m = mod_ok("meter=1 pktps bands=type=dscp_remark rate=1 prec_level=1");
	cr_assert_eq(sl_meter_spec_check(&m, err, sizeof(err)), -EOPNOTSUPP);
	cr_assert(strstr(err, "only drop bands") != NULL, "%s", err);
	m = mod_ok("meter=controller pktps bands=type=drop rate=1");
	cr_assert_eq(m.id, SL_METER_CONTROLLER);
	cr_assert_eq(sl_meter_spec_check(&m, err, sizeof(err)), -EOPNOTSUPP);
	cr_assert(strstr(err, "meter=controller: virtual meters") != NULL, "%s", err);
	m = mod_ok("meter=7 pktps bands=type=drop rate=1");
	cr_assert_eq(sl_meter_spec_check(&m, err, sizeof(err)), 0);
}

Test(meter_syntax, meter_ids_for_del_dump_and_stats)
{
	static const struct {
		const char *text;
		uint32_t id;
	} ok[] = { { "", SL_METER_ALL },      { "all", SL_METER_ALL },
		   { "meter=all", SL_METER_ALL }, { "meter=5", 5 },
		   { "5", 5 },                  { " meter=0x10 ", 16 } };
	struct sl_meter_spec m;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		cr_assert_eq(sl_meter_parse(ok[i].text, SL_METER_PARSE_ID, &m, err, sizeof(err)), 0,
			     "\"%s\": %s", ok[i].text, err);
		cr_assert_eq(m.id, ok[i].id, "\"%s\"", ok[i].text);
	}
	cr_assert_lt(sl_meter_parse("meter=x", SL_METER_PARSE_ID, &m, err, sizeof(err)), 0);
	cr_assert(strstr(err, "invalid value for meter") != NULL, "%s", err);
	cr_assert_lt(sl_meter_parse("pktps", SL_METER_PARSE_ID, &m, err, sizeof(err)), 0);
	cr_assert_lt(sl_meter_parse("meter=1 kbps", SL_METER_PARSE_ID, &m, err, sizeof(err)), 0);
	cr_assert(strstr(err, "unknown keyword kbps") != NULL, "%s", err);
}

/* ---- meter:N in flows ---- */

static int
flow(const char *text, struct sl_flow *f)
{
	return sl_flow_parse(text, SL_PARSE_FLOW, NULL, NULL, f, err, sizeof(err));
}

Test(meter_syntax, meter_action_round_trips_and_comes_first)
{
	struct sl_flow f;
	char text[512];

	cr_assert_eq(flow("in_port=1,actions=meter:7,output:2", &f), 0, "%s", err);
	cr_assert_eq(f.actions.n, 2);
	cr_assert_eq(f.actions.a[0].type, SL_ACT_METER);
	cr_assert_eq(sl_action_u32(&f.actions.a[0]), 7);
	cr_assert_eq(f.actions.a[0].arg, 0, "bound by the primary, not the parser");
	cr_assert(sl_actions_use_meter(&f.actions, 7));
	cr_assert(sl_actions_use_meter(&f.actions, SL_METER_ALL));
	cr_assert(!sl_actions_use_meter(&f.actions, 8));
	sl_flow_format(&f, text, sizeof(text));
	cr_assert_str_eq(text, "priority=32768,in_port=1,actions=meter:7,output:2");

	cr_assert_eq(flow("actions=meter:4294901760", &f), 0, "the highest id: %s", err);
	cr_assert_eq(sl_action_u32(&f.actions.a[0]), 4294901760u);

	cr_assert_lt(flow("actions=output:2,meter:1", &f), 0);
	cr_assert(strstr(err, "meter must come first") != NULL, "%s", err);
	cr_assert_lt(flow("actions=meter:1,meter:2,output:2", &f), 0, "one meter a flow");
	cr_assert_lt(flow("actions=meter:0,output:2", &f), 0);
	cr_assert(strstr(err, "actions: meter") != NULL, "%s", err);
	cr_assert_lt(flow("actions=meter:4294901761", &f), 0);
	cr_assert_lt(flow("actions=meter", &f), 0);
	cr_assert(strstr(err, "meter needs an argument") != NULL, "%s", err);
	cr_assert_lt(flow("actions=meter:1,drop", &f), 0);
}
