/* SPDX-License-Identifier: BSD-3-Clause */
/* Flow-table set semantics: what add, delete and replace do to a table of rules. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ftable.h"
#include "unit_helpers.h"

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

/* The position of the @k-th rule of t in table order (deleted rules leave dead slots). */
static uint32_t
pos_of(uint32_t k)
{
	if (t.end == t.n) /* no dead slot */
		return k;
	SL_FTABLE_FOREACH(p, &t)
	if (k-- == 0)
		return p;
	cr_assert_fail("no rule %u", k);
	return 0;
}

/* The @k-th rule of t, in table (dump) order. */
#define AT(k) ((*sl_ftable_rule(&t, pos_of(k))))

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
	cr_assert(sl_flow_same(&AT(0), &a));
	cr_assert(sl_flow_same(&AT(1), &b));
}

Test(ftable, add_same_match_and_priority_replaces_actions_in_place)
{
	struct sl_flow a = rule(10, 1, 0, 2), b = rule(20, 2, 0, 1), a2 = rule(10, 1, 0, 3);

	sl_ftable_add(&t, &a);
	sl_ftable_add(&t, &b);
	a2.cookie = 7;
	cr_assert_eq(sl_ftable_add(&t, &a2), 1);
	cr_assert_eq(t.n, 2);
	cr_assert_eq(AT(0).actions.a[0].arg, 3);
	cr_assert_eq(AT(0).cookie, 7);
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
	cr_assert_eq(AT(0).priority, 20);
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
	cr_assert_eq(AT(0).priority, 30);
	cr_assert_eq(AT(1).priority, 40);
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

static struct sl_flow
cookied(struct sl_flow f, uint64_t cookie)
{
	f.cookie = cookie;
	return f;
}

Test(ftable, selectors_honour_the_cookie_mask_strict_or_not)
{
	struct sl_flow r = cookied(rule(10, 1, 0x800, 2), 0x1234);
	struct sl_flow sel = rule(0, 1, 0, 0);

	cr_assert(sl_flow_selects(&sel, &r, false), "no mask: any cookie");
	sel.cookie = 0x1200, sel.cookie_mask = 0xff00;
	cr_assert(sl_flow_selects(&sel, &r, false));
	sel.cookie = 0x1300;
	cr_assert_not(sl_flow_selects(&sel, &r, false));
	sel = cookied(rule(10, 1, 0x800, 0), 0x1234);
	sel.cookie_mask = UINT64_MAX;
	cr_assert(sl_flow_selects(&sel, &r, true));
	sel.priority = 11;
	cr_assert_not(sl_flow_selects(&sel, &r, true), "strict: the priority too");
}

Test(ftable, edit_del_by_cookie_leaves_other_cookies)
{
	struct sl_flow flows[] = { cookied(rule(10, 1, 0, 2), 0x11), cookied(rule(20, 2, 0, 1), 0x21),
				   cookied(rule(30, 3, 0, 1), 0x12) };
	struct sl_flow sel = rule(0, 0, 0, 0);
	struct sl_ftable_edit e;

	cr_assert_eq(sl_ftable_add_batch(&t, flows, 3), 0);
	sel.cookie = 0x10, sel.cookie_mask = 0xf0;
	cr_assert_eq(sl_ftable_edit_del(&t, &sel, 1, false, &e), 0);
	cr_assert_eq(e.n_removed, 2);
	sl_ftable_edit_done(&e);
	cr_assert_eq(t.n, 1);
	cr_assert_eq(AT(0).cookie, 0x21);
	/* strict: found by match and priority, kept if the cookie disagrees */
	sel = cookied(rule(20, 2, 0, 0), 0x22);
	sel.cookie_mask = UINT64_MAX;
	cr_assert_eq(sl_ftable_edit_del(&t, &sel, 1, true, &e), 0);
	cr_assert_eq(e.n_removed, 0);
	sl_ftable_edit_done(&e);
	cr_assert_eq(t.n, 1);
}

Test(ftable, mod_changes_actions_of_what_it_selects_and_adds_when_nothing_is)
{
	struct sl_flow flows[] = { cookied(rule(10, 1, 0x800, 2), 0x11), rule(20, 1, 0, 3),
				   rule(30, 2, 0, 1) };
	struct sl_flow mods[2], *out;
	uint32_t n_out, n_sel;

	cr_assert_eq(sl_ftable_add_batch(&t, flows, 3), 0);
	/* loose: in_port=1 covers the first two, whatever their priority */
	mods[0] = rule(0, 1, 0, 9);
	cr_assert_eq(sl_ftable_mod(&t, mods, 1, false, &out, &n_out, &n_sel), 0);
	cr_assert_eq(n_sel, 2);
	cr_assert_eq(n_out, 2);
	cr_assert(out[0].priority == 10 && out[0].actions.a[0].arg == 9 && out[0].cookie == 0x11,
		  "match, priority and cookie kept");
	cr_assert(out[1].priority == 20 && out[1].actions.a[0].arg == 9);
	cr_assert_eq(sl_ftable_add_batch(&t, out, n_out), 0);
	free(out);
	cr_assert_eq(t.n, 3, "a modify adds no rule");
	cr_assert_eq(AT(0).actions.a[0].arg, 9);
	cr_assert_eq(AT(2).actions.a[0].arg, 1, "not selected, not changed");
	/* strict, setting a cookie; and a sequence: the second sees the first's cookie */
	mods[0] = cookied(rule(30, 2, 0, 4), 0x77);
	mods[0].set_cookie = true;
	mods[1] = rule(0, 0, 0, 5);
	mods[1].cookie = 0x77, mods[1].cookie_mask = UINT64_MAX;
	cr_assert_eq(sl_ftable_mod(&t, mods, 2, true, &out, &n_out, &n_sel), 0);
	cr_assert_eq(n_sel, 1, "the strict priority-0 empty match selects nothing");
	cr_assert(out[0].cookie == 0x77 && out[0].actions.a[0].arg == 4);
	cr_assert_eq(n_out, 1, "a mod selecting by cookie adds nothing");
	free(out);
	mods[1].cookie_mask = 0;
	mods[1].priority = 30;
	mods[1].match = AT(2).match;
	cr_assert_eq(sl_ftable_mod(&t, mods, 2, true, &out, &n_out, &n_sel), 0);
	cr_assert(n_sel == 1 && out[0].cookie == 0x77 && out[0].actions.a[0].arg == 5,
		  "the later mod wins");
	free(out);
	/* nothing selected, no cookie mask: added as it is (OpenFlow 1.0) */
	mods[0] = rule(40, 7, 0, 1);
	cr_assert_eq(sl_ftable_mod(&t, mods, 1, false, &out, &n_out, &n_sel), 0);
	cr_assert(n_sel == 0 && n_out == 1 && out[0].priority == 40 && out[0].cookie == 0);
	free(out);
}

Test(ftable, timeouts_make_rules_differ)
{
	struct sl_flow a = rule(10, 1, 0, 2), b = a;

	b.idle_timeout = 5;
	cr_assert_not(sl_flow_same(&a, &b));
	b = a;
	b.hard_timeout = 5;
	cr_assert_not(sl_flow_same(&a, &b));
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
	o.rules[0]->flow.cookie = 1;
	cr_assert_eq(sl_ftable_diff(&t, &o), 2, "a changed cookie is one removed, one added");
	sl_ftable_fini(&o);
}

/* ---- user areas and edits ---- */

/*
 * Allocation failure on demand: the test binary is linked with
 * --wrap=malloc,calloc,realloc, so ftable's allocations come here.  From
 * the @allocs_left-th allocation on, every one fails; -1: none fails.
 */
static int allocs_left = -1;

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);

static bool
alloc_fails(void)
{
	if (allocs_left < 0)
		return false;
	if (allocs_left == 0)
		return true;
	allocs_left--;
	return false;
}

void *
__wrap_malloc(size_t size)
{
	return alloc_fails() ? NULL : __real_malloc(size);
}

void *
__wrap_calloc(size_t n, size_t size)
{
	return alloc_fails() ? NULL : __real_calloc(n, size);
}

void *
__wrap_realloc(void *p, size_t size)
{
	return alloc_fails() ? NULL : __real_realloc(p, size);
}

/* What a caller keeps with each rule (the primary: a counter id and a creation time). */
struct udata {
	uint32_t id;
	uint32_t tag;
};

static struct udata *
ud(uint32_t i)
{
	return sl_ftable_data(&t, pos_of(i));
}

static void
setup_data(void)
{
	sl_ftable_init_data(&t, sizeof(struct udata));
}

/* A table of @n rules on in_port 1..n, priority 10, with ids 101.. */
static void
fill(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		struct sl_flow f = rule(10, (uint16_t)(i + 1), 0, 1);

		cr_assert_eq(sl_ftable_add(&t, &f), 0);
		ud(i)->id = 101 + i;
	}
}

/* A copy of the table's rules and user areas, to check that it is back as it was. */
struct snap {
	uint32_t n;
	struct sl_flow *flows;
	struct udata *data;
};

static void
snap_take(struct snap *s)
{
	s->n = t.n;
	s->flows = __real_malloc(sizeof(*s->flows) * (t.n + 1));
	s->data = __real_malloc(sizeof(*s->data) * (t.n + 1));
	for (uint32_t k = 0; k < t.n; k++) {
		sl_flow_copy(&s->flows[k], &AT(k));
		s->data[k] = *ud(k);
	}
}

static void
snap_check_and_free(struct snap *s, const char *what)
{
	cr_assert_eq(t.n, s->n, "%s: %u rules, was %u", what, t.n, s->n);
	for (uint32_t i = 0; i < t.n; i++) {
		cr_assert(sl_flow_same(&AT(i), &s->flows[i]), "%s: rule %u differs", what, i);
		cr_assert_eq(ud(i)->id, s->data[i].id, "%s: user area %u differs", what, i);
		cr_assert_eq(sl_ftable_find(&t, &AT(i).match, AT(i).priority), &AT(i),
			     "%s: rule %u not found where it is", what, i);
	}
	free(s->flows);
	free(s->data);
}

TestSuite(ftable_edit, .init = setup_data, .fini = teardown);

Test(ftable_edit, add_zeroes_new_user_areas_and_keeps_those_of_replaced_rules)
{
	struct sl_flow batch[] = { rule(10, 1, 0, 7), rule(10, 9, 0, 1), rule(10, 2, 0, 1),
				   rule(10, 9, 0, 3) };
	struct sl_ftable_edit e;

	fill(3);
	batch[2].cookie = 5; /* rule 2: a new cookie only */
	cr_assert_eq(sl_ftable_edit_add(&t, batch, 4, &e), 0);
	cr_assert_eq(e.n_added, 1, "in_port=9 twice in the batch is one new rule");
	cr_assert_eq(e.added[0], 3, "added rules go at the end");
	cr_assert_eq(e.n_modified, 1, "only in_port=1 changed actions");
	cr_assert_eq(e.n_removed, 0);
	sl_ftable_edit_done(&e);
	cr_assert_eq(t.n, 4);
	cr_assert_eq(ud(0)->id, 101, "replacing actions keeps the user area");
	cr_assert_eq(AT(0).actions.a[0].arg, 7);
	cr_assert_eq(ud(1)->id, 102);
	cr_assert_eq(AT(1).cookie, 5);
	cr_assert_eq(ud(3)->id, 0, "a new rule's user area is zeroed");
	cr_assert_eq(AT(3).actions.a[0].arg, 3, "the later duplicate wins");
}

Test(ftable_edit, add_undo_puts_back_overwritten_rules_and_drops_added_ones)
{
	struct sl_flow batch[] = { rule(10, 2, 0, 7), rule(10, 50, 0, 1), rule(10, 2, 0, 8),
				   rule(20, 1, 0, 1) };
	struct sl_ftable_edit e;
	struct snap s;

	fill(4);
	snap_take(&s);
	cr_assert_eq(sl_ftable_edit_add(&t, batch, 4, &e), 0);
	cr_assert_eq(t.n, 6);
	sl_ftable_edit_undo(&t, &e);
	snap_check_and_free(&s, "undo add");
	cr_assert_null(sl_ftable_find(&t, &batch[1].match, 10));
	cr_assert_null(sl_ftable_find(&t, &batch[3].match, 20));
}

Test(ftable_edit, del_reports_the_removed_rules_with_their_user_areas)
{
	struct sl_flow loose[] = { rule(0, 2, 0, 0), rule(0, 4, 0, 0), rule(0, 2, 0, 0) };
	struct sl_flow strict[] = { rule(10, 1, 0, 0), rule(11, 3, 0, 0), rule(10, 1, 0, 0) };
	struct sl_ftable_edit e;

	fill(5);
	cr_assert_eq(sl_ftable_edit_del(&t, loose, 3, false, &e), 0);
	cr_assert_eq(e.n_removed, 2, "the union of what the matches cover, each rule once");
	cr_assert_eq(((struct udata *)sl_ftable_edit_removed_data(&e, 0))->id, 102);
	cr_assert_eq(((struct udata *)sl_ftable_edit_removed_data(&e, 1))->id, 104);
	cr_assert_eq(sl_ftable_edit_removed(&e, 1)->match.key.in_port, 4);
	cr_assert_eq(e.n_added + e.n_modified, 0);
	sl_ftable_edit_done(&e);
	cr_assert_eq(t.n, 3);
	cr_assert_eq(ud(0)->id, 101);
	cr_assert_eq(ud(1)->id, 103, "survivors keep their order and their user areas");
	cr_assert_eq(ud(2)->id, 105);

	cr_assert_eq(sl_ftable_edit_del(&t, strict, 3, true, &e), 0);
	cr_assert_eq(e.n_removed, 1, "strict: priority 11 is another rule; a repeat counts once");
	cr_assert_eq(((struct udata *)sl_ftable_edit_removed_data(&e, 0))->id, 101);
	sl_ftable_edit_done(&e);
	cr_assert_eq(t.n, 2);
	cr_assert_not_null(sl_ftable_find(&t, &AT(1).match, 10));
}

Test(ftable_edit, del_undo_puts_every_rule_back_in_its_place)
{
	struct sl_flow m[] = { rule(0, 1, 0, 0), rule(0, 3, 0, 0), rule(0, 4, 0, 0),
			       rule(0, 7, 0, 0) };
	struct sl_ftable_edit e;
	struct snap s;

	fill(7);
	snap_take(&s);
	cr_assert_eq(sl_ftable_edit_del(&t, m, 4, false, &e), 0);
	cr_assert_eq(t.n, 3);
	sl_ftable_edit_undo(&t, &e);
	snap_check_and_free(&s, "undo del");
}

Test(ftable_edit, replace_keeps_user_areas_of_rules_that_stay_and_reports_the_rest)
{
	/* Old: in_port 1..4.  New: 3 (cookie only), 1 (new actions), 9 (new). */
	struct sl_flow next[] = { rule(10, 3, 0, 1), rule(10, 1, 0, 5), rule(10, 9, 0, 1) };
	struct sl_ftable_edit e;

	fill(4);
	next[0].cookie = 42;
	cr_assert_eq(sl_ftable_edit_replace(&t, next, 3, &e), 0);
	cr_assert_eq(e.n_added, 1);
	cr_assert_eq(e.added[0], 2);
	cr_assert_eq(e.n_modified, 1, "a new cookie alone is no change of behaviour");
	cr_assert_eq(e.n_removed, 2);
	cr_assert_eq(((struct udata *)sl_ftable_edit_removed_data(&e, 0))->id, 102);
	cr_assert_eq(((struct udata *)sl_ftable_edit_removed_data(&e, 1))->id, 104);
	sl_ftable_edit_done(&e);
	cr_assert_eq(t.n, 3);
	cr_assert_eq(AT(0).match.key.in_port, 3, "the table takes the batch's order");
	cr_assert_eq(ud(0)->id, 103);
	cr_assert_eq(AT(0).cookie, 42);
	cr_assert_eq(ud(1)->id, 101);
	cr_assert_eq(ud(2)->id, 0);
}

Test(ftable_edit, replace_undo_restores_the_old_table)
{
	struct sl_flow next[] = { rule(10, 3, 0, 1), rule(10, 8, 0, 1) };
	struct sl_ftable_edit e;
	struct snap s;

	fill(5);
	snap_take(&s);
	cr_assert_eq(sl_ftable_edit_replace(&t, next, 2, &e), 0);
	sl_ftable_edit_undo(&t, &e);
	snap_check_and_free(&s, "undo replace");
}

Test(ftable_edit, replace_of_many_rules_with_one_changed_reports_one)
{
	enum { N = 100000 };
	struct sl_flow *next = malloc(sizeof(*next) * N);
	struct sl_ftable_edit e;

	for (uint32_t i = 0; i < N; i++) {
		next[i] = rule(i % 100, (uint16_t)(i / 100 + 1), 0x0800, 1);
		next[i].match.key.tp_dst = (uint16_t)i;
		next[i].match.mask.tp_dst = 0xffff;
	}
	cr_assert_eq(sl_ftable_add_batch(&t, next, N), 0);
	for (uint32_t i = 0; i < N; i++)
		ud(i)->id = i + 1;
	next[N / 2].actions.a[0].arg = 2;
	cr_assert_eq(sl_ftable_edit_replace(&t, next, N, &e), 0);
	cr_assert_eq(e.n_added + e.n_modified + e.n_removed, 1);
	sl_ftable_edit_done(&e);
	for (uint32_t i = 0; i < N; i++)
		cr_assert_eq(ud(i)->id, i + 1);
	free(next);
}

/*
 * Each operation, with its k-th and every later allocation failing, for
 * every k until it succeeds: it fails with -ENOMEM and the table is as it
 * was, rules, order and user areas.
 */
enum op { OP_ADD, OP_DEL, OP_REPLACE, OP_ADD_BATCH, OP_REPLACE_PLAIN };

static int
run_op(enum op op, struct sl_ftable_edit *e)
{
	/* Enough new rules to make the table grow; some overwrite old ones. */
	static struct sl_flow batch[200];
	int rc = 0;

	for (uint32_t i = 0; i < 200; i++)
		batch[i] = rule(10, (uint16_t)(i * 3 + 1), 0, 9);
	switch (op) {
	case OP_ADD:
		rc = sl_ftable_edit_add(&t, batch, 200, e);
		break;
	case OP_DEL:
		rc = sl_ftable_edit_del(&t, batch, 20, false, e);
		break;
	case OP_REPLACE:
		rc = sl_ftable_edit_replace(&t, batch, 200, e);
		break;
	case OP_ADD_BATCH:
		return sl_ftable_add_batch(&t, batch, 200);
	case OP_REPLACE_PLAIN:
		rc = sl_ftable_replace(&t, batch, 200);
		return rc < 0 ? rc : 0;
	}
	return rc;
}

Test(ftable_edit, every_operation_is_all_or_nothing_when_memory_runs_out)
{
	for (enum op op = OP_ADD; op <= OP_REPLACE_PLAIN; op++) {
		int k, rc = -ENOMEM;

		for (k = 0; rc == -ENOMEM; k++) {
			struct sl_ftable_edit e;
			struct snap s;

			sl_ftable_fini(&t);
			fill(60);
			snap_take(&s);
			allocs_left = k;
			rc = run_op(op, &e);
			allocs_left = -1;
			if (rc == 0) {
				cr_assert_gt(k, 0, "op %d needs no memory?", op);
				if (op <= OP_REPLACE) {
					sl_ftable_edit_undo(&t, &e);
					snap_check_and_free(&s, "undo after success");
				} else {
					free(s.flows);
					free(s.data);
				}
				break;
			}
			cr_assert_eq(rc, -ENOMEM, "op %d, allocation %d: %d", op, k, rc);
			snap_check_and_free(&s, "failed op");
		}
	}
}

/* ---- against a brute-force reference, at scale ---- */

/*
 * The reference: the rules in table order in a plain array, each with the
 * tag its user area must carry.  Add replaces in place or appends; delete
 * removes whatever sl_flow_selects picks, keeping the others' order.
 */
static struct sl_flow ref[8192];
static uint32_t ref_tag[8192], ref_n, next_tag = 1;

static uint32_t n_prios = 3;

static struct sl_flow
random_rule(void)
{
	struct sl_flow f = rule(10 * (1 + rnd32() % n_prios), (uint16_t)(1 + rnd32() % (900 / n_prios)),
				rnd32() % 2 ? 0x0800 : 0, (uint16_t)(1 + rnd32() % 4));

	f.match.mmask.table = 0xff;
	f.match.mkey.table = (uint8_t)(rnd32() % 3);
	f.cookie = rnd32() % 4;
	return f;
}

/* A selector: a rule's identity (strict) or part of it (non-strict), maybe a table, maybe a cookie. */
static struct sl_flow
random_selector(void)
{
	struct sl_flow s = random_rule();

	if (rnd32() % 3 == 0) { /* no table named: every table */
		s.match.mmask.table = 0;
		s.match.mkey.table = 0;
	}
	if (rnd32() % 4 == 0) {
		s.match.key.dl_type = 0;
		s.match.mask.dl_type = 0;
	}
	if (rnd32() % 4 == 0) {
		s.cookie_mask = 3;
		s.cookie = rnd32() % 4;
	}
	return s;
}

static void
ref_add(const struct sl_flow *f, uint32_t tag)
{
	for (uint32_t i = 0; i < ref_n; i++)
		if (ref[i].priority == f->priority && sl_match_covers(&ref[i].match, &f->match) &&
		    sl_match_covers(&f->match, &ref[i].match)) {
			ref[i] = *f;
			return;
		}
	cr_assert_lt(ref_n, 8192);
	ref_tag[ref_n] = tag;
	ref[ref_n++] = *f;
}

static uint32_t
ref_del(const struct sl_flow *sels, uint32_t n, bool strict)
{
	uint32_t i, j, k = 0, gone = 0;

	for (i = 0; i < ref_n; i++) {
		bool picked = false;

		for (j = 0; j < n && !picked; j++)
			picked = sl_flow_selects(&sels[j], &ref[i], strict);
		if (picked) {
			gone++;
			continue;
		}
		ref_tag[k] = ref_tag[i];
		ref[k++] = ref[i];
	}
	ref_n = k;
	return gone;
}

/* The table holds the reference's rules, in its order, each findable, with its user area. */
static void
ref_check(const char *what, uint32_t step)
{
	uint32_t k = 0;

	cr_assert_eq(t.n, ref_n, "%s, step %u: %u rules, the reference %u", what, step, t.n, ref_n);
	SL_FTABLE_FOREACH(p, &t) {
		const struct sl_flow *f = sl_ftable_rule(&t, p);

		cr_assert(sl_flow_same(f, &ref[k]), "%s, step %u: rule %u differs", what, step, k);
		cr_assert_eq(((struct udata *)sl_ftable_data(&t, p))->tag, ref_tag[k],
			     "%s, step %u: rule %u has another rule's user area", what, step, k);
		cr_assert_eq(sl_ftable_find(&t, &f->match, f->priority), f,
			     "%s, step %u: rule %u not found where it is", what, step, k);
		k++;
	}
	cr_assert_eq(k, ref_n);
	for (uint32_t p = t.end; p < t.end + 64 && p < t.cap; p++)
		cr_assert(p / 64 >= t.cap / 64 || !sl_ftable_live(&t, p), "a live bit past the end");
}

/* Tag every rule @e added, as the primary numbers its new rules. */
static void
tag_added(const struct sl_ftable_edit *e, uint32_t first_tag)
{
	for (uint32_t i = 0; i < e->n_added; i++)
		((struct udata *)sl_ftable_data(&t, e->added[i]))->tag = first_tag + i;
}

static void random_changes(void);

/* Few shapes (mask, priority, table): a narrow non-strict delete looks rules up. */
Test(ftable_edit, random_adds_and_deletes_match_a_brute_force_reference, .timeout = 120)
{
	n_prios = 3;
	random_changes();
	cr_assert(!t.shapes_lost && t.n_shapes > 1, "%u shapes", t.n_shapes);
}

/* Too many shapes to list: every non-strict delete scans. */
Test(ftable_edit, random_changes_with_many_priorities_match_the_reference, .timeout = 120)
{
	n_prios = 30;
	random_changes();
	cr_assert(t.shapes_lost, "%u shapes", t.n_shapes);
}

static void
random_changes(void)
{
	struct sl_flow batch[64];
	struct sl_ftable_edit e;
	uint32_t most_dead = 0, compactions = 0, last_end = 0;

	ref_n = 0;
	rng = 4242;
	for (uint32_t step = 0; step < 6000; step++) {
		uint32_t op = rnd32() % 16, n = 1 + rnd32() % 64, i, got, want;
		bool strict = rnd32() % 2, undo = rnd32() % 4 == 0;

		if (t.end - t.n > most_dead)
			most_dead = t.end - t.n;
		if (t.end < last_end)
			compactions++;
		last_end = t.end;

		/* Grow to about 4000 rules, then shrink and grow again, so
		 * that dead slots are squeezed out on the way. */
		if ((step / 1500) % 2 == 1 && op < 9)
			op += 7;
		if (op < 4) { /* one add, outside an edit */
			struct sl_flow f = random_rule();
			int rc = sl_ftable_add(&t, &f);
			uint32_t p;

			cr_assert_geq(rc, 0);
			p = sl_ftable_pos(&t, sl_ftable_find(&t, &f.match, f.priority));
			if (rc == 0)
				((struct udata *)sl_ftable_data(&t, p))->tag = next_tag;
			ref_add(&f, next_tag++);
		} else if (op < 9) { /* a batch, kept or undone */
			for (i = 0; i < n; i++)
				batch[i] = random_rule();
			cr_assert_eq(sl_ftable_edit_add(&t, batch, n, &e), 0);
			if (undo) {
				sl_ftable_edit_undo(&t, &e);
			} else {
				tag_added(&e, next_tag);
				/* The reference: same order of first appearance. */
				for (i = 0; i < n; i++) {
					uint32_t before = ref_n;

					ref_add(&batch[i], next_tag);
					if (ref_n > before)
						next_tag++;
				}
				sl_ftable_edit_done(&e);
			}
		} else if (op < 13) { /* del-flows of a few selectors, as an edit */
			n = 1 + n % 4;
			for (i = 0; i < n; i++)
				batch[i] = random_selector();
			if (strict && rnd32() % 2 && ref_n > 0) /* mostly rules that are there */
				batch[0].match = ref[rnd32() % ref_n].match;
			cr_assert_eq(sl_ftable_edit_del(&t, batch, n, strict, &e), 0);
			got = e.n_removed;
			if (undo) {
				sl_ftable_edit_undo(&t, &e);
			} else {
				/* Removed rules are reported in table order. */
				for (i = 1; i < got; i++)
					cr_assert_lt(e.rm_pos[i - 1], e.rm_pos[i]);
				sl_ftable_edit_done(&e);
				want = ref_del(batch, n, strict);
				cr_assert_eq(got, want, "step %u: edit removed %u, the reference %u", step,
					     got, want);
			}
		} else { /* sl_ftable_del: one selector, no cookie */
			struct sl_flow s = random_selector();

			s.cookie_mask = 0;
			if (strict && ref_n > 0)
				s.match = ref[rnd32() % ref_n].match;
			got = sl_ftable_del(&t, &s.match, s.priority, strict);
			want = ref_del(&s, 1, strict);
			cr_assert_eq(got, want, "step %u: del removed %u, the reference %u", step, got,
				     want);
		}
		if (undo || step % 8 == 0)
			ref_check(undo ? "after an undo" : "after a change", step);
	}
	ref_check("at the end", 6000);
	cr_assert_gt(ref_n, 100, "the test never had a table worth the name");
	cr_assert_gt(most_dead, 1000, "dead slots: at most %u", most_dead);
	cr_assert_gt(compactions, 2, "the table was compacted %u times", compactions);
	sl_ftable_compact(&t);
	cr_assert_eq(t.end, t.n, "compacted: no dead slot left");
	ref_check("compacted", 6000);
}

/* What the primary's expiry list relies on: no change, compaction or undo leaves the generation where it was. */
Test(ftable_edit, every_change_moves_the_generation)
{
	struct sl_flow batch[] = { rule(10, 70, 0, 1), rule(10, 71, 0, 1) };
	struct sl_ftable_edit e;
	uint64_t g;

	fill(200);
	g = t.gen;
	cr_assert_eq(sl_ftable_edit_add(&t, batch, 2, &e), 0);
	cr_assert_neq(t.gen, g, "add");
	g = t.gen;
	sl_ftable_edit_undo(&t, &e);
	cr_assert_neq(t.gen, g, "undo of an add");
	g = t.gen;
	for (uint16_t p = 1; p <= 150; p++) {
		struct sl_flow f = rule(10, p, 0, 1);

		cr_assert_eq(sl_ftable_del(&t, &f.match, 10, true), 1);
	}
	cr_assert_neq(t.gen, g, "delete");
	cr_assert_gt(t.end, t.n, "dead slots before the compaction");
	g = t.gen;
	sl_ftable_compact(&t);
	cr_assert_neq(t.gen, g, "compaction moves the rules");
	cr_assert_eq(t.end, t.n);
	g = t.gen;
	cr_assert_eq(sl_ftable_edit_replace(&t, batch, 2, &e), 0);
	cr_assert_neq(t.gen, g, "replace");
	g = t.gen;
	sl_ftable_edit_undo(&t, &e);
	cr_assert_neq(t.gen, g, "undo of a replace");
	cr_assert_eq(t.n, 50);
	cr_assert_eq(ud(0)->id, 101 + 150, "the survivors, in order");
}
