/* SPDX-License-Identifier: BSD-3-Clause */
/* Flow-table set semantics: what add, delete and replace do to a table of rules. */
#include <criterion/criterion.h>
#include <string.h>

#include "ftable.h"

/* A rule matching in_port (0: wildcard) and optionally dl_type, with one output action. */
static struct sl_flow
rule(uint32_t priority, uint16_t in_port, uint16_t dl_type, uint16_t out)
{
	struct sl_flow f;

	memset(&f, 0, sizeof(f));
	f.priority = priority;
	if (in_port) {
		f.match.key.in_port = in_port;
		f.match.mask.in_port = 0xffff;
	}
	if (dl_type) {
		f.match.key.dl_type = dl_type;
		f.match.mask.dl_type = 0xffff;
	}
	if (out) {
		f.actions.n = 1;
		f.actions.a[0].type = SL_ACT_OUTPUT;
		f.actions.a[0].arg = out;
	}
	return f;
}

static struct sl_ftable t;

static void
setup(void)
{
	sl_ftable_init(&t);
}

static void
teardown(void)
{
	sl_ftable_fini(&t);
}

TestSuite(ftable, .init = setup, .fini = teardown);

Test(ftable, add_keeps_rules_in_insertion_order)
{
	struct sl_flow a = rule(10, 1, 0, 2), b = rule(20, 2, 0, 1);

	cr_assert_eq(sl_ftable_add(&t, &a), 0);
	cr_assert_eq(sl_ftable_add(&t, &b), 0);
	cr_assert_eq(t.n, 2);
	cr_assert(sl_flow_same(&t.flows[0], &a));
	cr_assert(sl_flow_same(&t.flows[1], &b));
}

Test(ftable, add_same_match_and_priority_replaces_actions_in_place)
{
	struct sl_flow a = rule(10, 1, 0, 2), b = rule(20, 2, 0, 1), a2 = rule(10, 1, 0, 3);

	sl_ftable_add(&t, &a);
	sl_ftable_add(&t, &b);
	a2.cookie = 7;
	cr_assert_eq(sl_ftable_add(&t, &a2), 1);
	cr_assert_eq(t.n, 2);
	cr_assert_eq(t.flows[0].actions.a[0].arg, 3);
	cr_assert_eq(t.flows[0].cookie, 7);
}

Test(ftable, same_match_other_priority_is_another_rule)
{
	struct sl_flow a = rule(10, 1, 0, 2), b = rule(11, 1, 0, 2);

	sl_ftable_add(&t, &a);
	cr_assert_eq(sl_ftable_add(&t, &b), 0);
	cr_assert_eq(t.n, 2);
}

Test(ftable, stray_key_bits_outside_the_mask_do_not_make_a_new_rule)
{
	struct sl_flow a = rule(10, 1, 0, 2), b = rule(10, 1, 0, 4);

	b.match.key.nw_proto = 6; /* mask is zero there */
	sl_ftable_add(&t, &a);
	cr_assert_eq(sl_ftable_add(&t, &b), 1);
	cr_assert_eq(t.n, 1);
}

Test(ftable, batch_later_duplicate_wins)
{
	struct sl_flow batch[3] = { rule(10, 1, 0, 2), rule(20, 2, 0, 1), rule(10, 1, 0, 9) };

	cr_assert_eq(sl_ftable_add_batch(&t, batch, 3), 0);
	cr_assert_eq(t.n, 2);
	cr_assert_eq(sl_ftable_find(&t, &batch[0].match, 10)->actions.a[0].arg, 9);
}

Test(ftable, many_rules_are_all_found)
{
	uint32_t i;

	for (i = 1; i <= 20000; i++) {
		struct sl_flow f = rule(i % 7, (uint16_t)i, 0x0800, 1);

		cr_assert_eq(sl_ftable_add(&t, &f), 0);
	}
	cr_assert_eq(t.n, 20000);
	for (i = 1; i <= 20000; i++) {
		struct sl_flow f = rule(i % 7, (uint16_t)i, 0x0800, 1);

		cr_assert_not_null(sl_ftable_find(&t, &f.match, i % 7));
	}
}

Test(ftable, strict_delete_needs_exact_match_and_priority)
{
	struct sl_flow a = rule(10, 1, 0x0800, 2), b = rule(20, 1, 0x0800, 2);
	struct sl_flow wide = rule(10, 1, 0, 0);

	sl_ftable_add(&t, &a);
	sl_ftable_add(&t, &b);
	cr_assert_eq(sl_ftable_del(&t, &wide.match, 10, true), 0, "a wider match is not the same rule");
	cr_assert_eq(sl_ftable_del(&t, &a.match, 30, true), 0, "other priority");
	cr_assert_eq(sl_ftable_del(&t, &a.match, 10, true), 1);
	cr_assert_eq(t.n, 1);
	cr_assert_eq(t.flows[0].priority, 20);
	cr_assert_null(sl_ftable_find(&t, &a.match, 10));
	cr_assert_not_null(sl_ftable_find(&t, &b.match, 20));
}

Test(ftable, non_strict_delete_removes_every_covered_rule_of_any_priority)
{
	struct sl_flow r[] = { rule(10, 1, 0x0800, 2), rule(20, 1, 0, 2), rule(30, 2, 0x0800, 1),
			       rule(40, 0, 0x0800, 1) };
	struct sl_flow m = rule(0, 1, 0, 0);
	uint32_t i;

	for (i = 0; i < 4; i++)
		sl_ftable_add(&t, &r[i]);
	/* in_port=1 covers the two rules on port 1, not the one that wildcards in_port. */
	cr_assert_eq(sl_ftable_del(&t, &m.match, 0, false), 2);
	cr_assert_eq(t.n, 2);
	cr_assert_eq(t.flows[0].priority, 30);
	cr_assert_eq(t.flows[1].priority, 40);
	cr_assert_not_null(sl_ftable_find(&t, &r[2].match, 30), "index rebuilt after delete");
}

Test(ftable, empty_match_deletes_all)
{
	struct sl_flow r[] = { rule(10, 1, 0, 2), rule(20, 0, 0, 0), rule(30, 2, 0x86dd, 1) };
	struct sl_match any;

	memset(&any, 0, sizeof(any));
	sl_ftable_add_batch(&t, r, 3);
	cr_assert_eq(sl_ftable_del(&t, &any, 0, false), 3);
	cr_assert_eq(t.n, 0);
}

Test(ftable, covers_needs_the_field_in_the_inner_mask_and_the_same_value)
{
	struct sl_flow port1 = rule(0, 1, 0, 0), port1ip = rule(0, 1, 0x0800, 0);
	struct sl_flow port2 = rule(0, 2, 0, 0), any = rule(0, 0, 0, 0);

	cr_assert(sl_match_covers(&port1.match, &port1ip.match));
	cr_assert_not(sl_match_covers(&port1ip.match, &port1.match));
	cr_assert_not(sl_match_covers(&port2.match, &port1.match));
	cr_assert(sl_match_covers(&any.match, &port2.match));
	cr_assert_not(sl_match_covers(&port1.match, &any.match));
}

Test(ftable, replace_reports_differences_and_holds_exactly_the_new_rules)
{
	struct sl_flow old[] = { rule(10, 1, 0, 2), rule(20, 2, 0, 1), rule(30, 3, 0, 1) };
	struct sl_flow new[] = { rule(10, 1, 0, 2), rule(20, 2, 0, 3), rule(40, 4, 0, 1) };

	sl_ftable_add_batch(&t, old, 3);
	/* Same: 1 (prio 10). Removed: 20-old, 30. Added: 20-new, 40. */
	cr_assert_eq(sl_ftable_replace(&t, new, 3), 4);
	cr_assert_eq(t.n, 3);
	cr_assert_eq(sl_ftable_find(&t, &new[1].match, 20)->actions.a[0].arg, 3);
	cr_assert_null(sl_ftable_find(&t, &old[2].match, 30));
	cr_assert_eq(sl_ftable_replace(&t, new, 3), 0, "replacing with the same rules changes nothing");
}

Test(ftable, replace_with_nothing_empties_the_table)
{
	struct sl_flow r[] = { rule(10, 1, 0, 2), rule(20, 2, 0, 1) };

	sl_ftable_add_batch(&t, r, 2);
	cr_assert_eq(sl_ftable_replace(&t, NULL, 0), 2);
	cr_assert_eq(t.n, 0);
}

Test(ftable, diff_ignores_order)
{
	struct sl_flow r[] = { rule(10, 1, 0, 2), rule(20, 2, 0, 1) };
	struct sl_flow rev[] = { rule(20, 2, 0, 1), rule(10, 1, 0, 2) };
	struct sl_ftable o;

	sl_ftable_init(&o);
	sl_ftable_add_batch(&t, r, 2);
	sl_ftable_add_batch(&o, rev, 2);
	cr_assert_eq(sl_ftable_diff(&t, &o), 0);
	o.flows[0].cookie = 1;
	cr_assert_eq(sl_ftable_diff(&t, &o), 2, "a changed cookie is one removed, one added");
	sl_ftable_fini(&o);
}
