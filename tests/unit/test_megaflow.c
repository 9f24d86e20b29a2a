/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The megaflow cache in front of the classifier, as the worker uses it
 * (look up the cache; on a miss, the classifier with its wildcards, then
 * insert), against a brute-force scan of the reference rules: random
 * rules of many shapes and prefix lengths, random packets, and random
 * adds and deletes published between them (each a new generation).  Every
 * answer, from the cache or not, must be the reference's.  And the mask a
 * lookup returns must be sound on its own: a key that agrees with the
 * packet on the mask's bits, random elsewhere, gets the same rule.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "classifier.h"
#include "megaflow.h"
#include "unit_helpers.h"

struct ref {
	struct sl_cls_rule r;
	uint32_t handle;
	uint32_t seq;
};

#define MAX_REF 2048
static struct ref ref[MAX_REF];
static uint32_t n_ref;
static uint32_t next_id = 1;
static struct sl_mf mf;

static void
set_ip4(uint8_t *f, uint32_t v)
{
	uint32_t be = htonl(v);

	memcpy(f, &be, 4);
}

/* Addresses near each other (10.0.0.0/14) so prefixes of every length overlap. */
static uint32_t
near_ip(void)
{
	return 0x0a000000 | (rnd32() & 0x3ffff);
}

static void
random_match(struct sl_match *m)
{
	unsigned int shape = rnd32() % 32;

	memset(m, 0, sizeof(*m));
	m->mmask.table = 0xff;
	if (shape & 1) {
		m->key.in_port = 1 + rnd32() % 3;
		m->mask.in_port = 0xffff;
	}
	if (shape & 2) {
		unsigned int len = 8 + rnd32() % 25;

		m->key.dl_type = 0x0800;
		m->mask.dl_type = 0xffff;
		set_ip4(m->key.nw_dst, near_ip());
		set_ip4(m->mask.nw_dst, UINT32_MAX << (32 - len));
	}
	if (shape & 4) {
		unsigned int len = 8 + rnd32() % 25;

		m->key.dl_type = 0x0800;
		m->mask.dl_type = 0xffff;
		set_ip4(m->key.nw_src, near_ip());
		set_ip4(m->mask.nw_src, UINT32_MAX << (32 - len));
	}
	if (shape & 8) {
		m->key.nw_proto = 17;
		m->mask.nw_proto = 0xff;
		m->key.tp_dst = htons(1000 + rnd32() % 16);
		m->mask.tp_dst = htons(rnd32() % 2 ? 0xffff : 0xfff8);
	}
	if (shape & 16) {
		m->key.dl_dst[5] = rnd32() % 4;
		m->mask.dl_dst[5] = 0xff;
	}
	sl_match_normalize(m);
}

static void
random_key(struct sl_flow_key *k)
{
	memset(k, 0, sizeof(*k));
	k->in_port = 1 + rnd32() % 4;
	k->dl_type = rnd32() % 8 ? 0x0800 : 0x86dd;
	k->nw_proto = rnd32() % 4 ? 17 : 6;
	set_ip4(k->nw_dst, rnd32() % 8 ? near_ip() : rnd32());
	set_ip4(k->nw_src, rnd32() % 8 ? near_ip() : rnd32());
	k->tp_dst = htons(998 + rnd32() % 20);
	k->tp_src = htons(rnd32());
	k->dl_dst[5] = rnd32() % 6;
	k->nw_ttl = rnd32();
}

static const struct ref *
brute(const struct sl_flow_key *k)
{
	const struct ref *best = NULL;

	for (uint32_t i = 0; i < n_ref; i++) {
		const struct ref *x = &ref[i];

		if (!sl_match_matches(&x->r.match, k))
			continue;
		if (best == NULL || x->r.priority > best->r.priority ||
		    (x->r.priority == best->r.priority && x->seq < best->seq))
			best = x;
	}
	return best;
}

static void
assert_is(const struct sl_cls_rule *got, const struct ref *want, const char *how)
{
	if (want == NULL) {
		cr_assert_null(got, "%s: got rule %u, want none", how, got ? got->id : 0);
		return;
	}
	cr_assert_not_null(got, "%s: got none, want rule %u", how, want->r.id);
	cr_assert_eq(got->id, want->r.id, "%s: got rule %u (prio %u), want %u (prio %u)", how,
		     got->id, got->priority, want->r.id, want->r.priority);
}

/* The worker's path: cache, else classifier and insert.  Returns whether it hit. */
static bool
mf_path(const struct sl_cls *cls, uint32_t gen, const struct sl_flow_key *k)
{
	uint32_t mi = sl_mf_lookup(&mf, k, gen);
	uint64_t wc[SL_FLOW_KEY_WORDS] = { 0 }, unused = 0;
	const struct sl_cls_rule *r;

	if (mi != SL_MF_NONE) {
		assert_is(mf.e[mi].rule, brute(k), "megaflow hit");
		return true;
	}
	r = sl_cls_lookup_wc(cls, k, wc, &unused);
	assert_is(r, brute(k), "classifier");
	cr_assert_eq(r, sl_cls_lookup(cls, k), "the wildcard lookup finds what the plain one does");
	sl_mf_insert(&mf, k, wc, gen, r, 0);

	/* Keys that agree under the mask, random elsewhere, get the same answer. */
	for (int t = 0; t < 4; t++) {
		struct sl_flow_key q;
		uint64_t *qw = (uint64_t *)&q;
		const uint64_t *kw = (const uint64_t *)k;

		random_key(&q);
		for (unsigned int i = 0; i < SL_FLOW_KEY_WORDS; i++)
			qw[i] = (kw[i] & wc[i]) | (qw[i] & ~wc[i]);
		assert_is(r, brute(&q), "a key under the same mask");
	}
	return false;
}

static void
change(struct sl_clsw *w, unsigned int n_ops)
{
	for (unsigned int op = 0; op < n_ops; op++) {
		if (rnd32() % 3 != 0 && n_ref < MAX_REF / 2) {
			struct ref *x = &ref[n_ref];

			memset(x, 0, sizeof(*x));
			random_match(&x->r.match);
			x->r.priority = rnd32() % 8 * 100;
			x->r.id = next_id++;
			x->r.actions.n = 1;
			x->r.actions.a[0].type = SL_ACT_OUTPUT;
			x->r.actions.a[0].arg = 1 + rnd32() % 4;
			cr_assert_eq(sl_clsw_insert(w, &x->r, &x->handle), 0);
			x->seq = sl_clsw_rule(w, x->handle)->seq;
			n_ref++;
		} else if (n_ref > 0) {
			uint32_t i = rnd32() % n_ref;

			cr_assert_eq(sl_clsw_remove(w, ref[i].handle), 0);
			ref[i] = ref[--n_ref];
		}
	}
}

Test(megaflow, agrees_with_brute_force_under_changes, .timeout = 120)
{
	struct sl_clsw *w = sl_clsw_create(MAX_REF * 2, test_zalloc, test_free, NULL);
	const struct sl_cls *cls = sl_clsw_cls(w);
	uint32_t gen = 1;
	uint64_t hits = 0, lookups = 0;

	sl_mf_init(&mf);
	n_ref = 0;
	for (unsigned int round = 0; round < 400; round++) {
		change(w, 1 + rnd32() % (round < 20 ? 60 : 5));
		sl_clsw_publish(w);
		gen++; /* the primary bumps cls_gen with every publish */
		sl_clsw_collect(w);
		for (unsigned int i = 0; i < 300; i++) {
			struct sl_flow_key k;

			random_key(&k);
			hits += mf_path(cls, gen, &k);
			lookups++;
			/* A packet seen again: from the cache, still right. */
			if (rnd32() % 2)
				hits += mf_path(cls, gen, &k);
		}
	}
	cr_assert_gt(hits, lookups / 4, "the cache serves other keys too (%llu hits of %llu)",
		     (unsigned long long)hits, (unsigned long long)lookups);
	sl_clsw_destroy(w);
}

/* The bench's shape: rules that no packet matches, ruled out by one bit each. */
Test(megaflow, rejected_subtables_cost_one_bit)
{
	struct sl_clsw *w = sl_clsw_create(4096, test_zalloc, test_free, NULL);
	const struct sl_cls *cls = sl_clsw_cls(w);
	uint32_t h, n_mf_entries = 0;

	sl_mf_init(&mf);
	for (int i = 0; i < 300; i++) {
		struct sl_cls_rule r;
		unsigned int len = 16 + 4 * (i % 5);

		memset(&r, 0, sizeof(r));
		r.match.mmask.table = 0xff;
		r.match.key.dl_type = 0x0800;
		r.match.mask.dl_type = 0xffff;
		set_ip4(i % 2 ? r.match.key.nw_src : r.match.key.nw_dst,
			0xac100000 | (uint32_t)i * 2654435761u >> 12);
		set_ip4(i % 2 ? r.match.mask.nw_src : r.match.mask.nw_dst, UINT32_MAX << (32 - len));
		sl_match_normalize(&r.match);
		r.priority = 1000 + i;
		r.id = i + 2;
		cr_assert_eq(sl_clsw_insert(w, &r, &h), 0);
	}
	{
		struct sl_cls_rule r;

		memset(&r, 0, sizeof(r));
		r.match.mmask.table = 0xff;
		r.match.key.in_port = 1;
		r.match.mask.in_port = 0xffff;
		r.priority = 1;
		r.id = 1;
		cr_assert_eq(sl_clsw_insert(w, &r, &h), 0);
	}
	sl_clsw_publish(w);
	for (uint32_t f = 0; f < 5000; f++) {
		struct sl_flow_key k;

		memset(&k, 0, sizeof(k));
		k.in_port = 1;
		k.dl_type = 0x0800;
		k.nw_proto = 17;
		set_ip4(k.nw_src, 0x0a000001 + f);
		set_ip4(k.nw_dst, 0xc0000201);
		k.tp_src = htons(1024 + f);
		k.tp_dst = htons(9);
		if (sl_mf_lookup(&mf, &k, 1) == SL_MF_NONE) {
			uint64_t wc[SL_FLOW_KEY_WORDS] = { 0 }, unused = 0;
			const struct sl_cls_rule *r = sl_cls_lookup_wc(cls, &k, wc, &unused);

			cr_assert_not_null(r);
			cr_assert_eq(r->id, 1);
			sl_mf_insert(&mf, &k, wc, 1, r, 0);
			n_mf_entries++;
		}
	}
	cr_assert_eq(n_mf_entries, 1, "5000 flows, one megaflow (%u)", n_mf_entries);
	sl_clsw_destroy(w);
}

/* A new generation empties the cache: nothing found before a change is used after it. */
Test(megaflow, new_generation_forgets_everything)
{
	struct sl_flow_key k;
	uint64_t wc[SL_FLOW_KEY_WORDS] = { 0 };
	struct sl_cls_rule r;

	memset(&k, 0, sizeof(k));
	memset(&r, 0, sizeof(r));
	sl_mf_init(&mf);
	k.in_port = 3;
	memset(wc, 0xff, sizeof(k.in_port)); /* in_port: the key's first bytes */
	cr_assert_neq(sl_mf_insert(&mf, &k, wc, 7, &r, 0), SL_MF_NONE);
	cr_assert_neq(sl_mf_lookup(&mf, &k, 7), SL_MF_NONE);
	cr_assert_eq(sl_mf_lookup(&mf, &k, 8), SL_MF_NONE);
	cr_assert_eq(sl_mf_lookup(&mf, &k, 7), SL_MF_NONE, "and it does not come back");
}

/* More masks than slots: the cache starts over rather than mix masks; refs tell reuse. */
Test(megaflow, full_mask_table_starts_over)
{
	struct sl_cls_rule r[SL_MF_MASKS + 1];
	struct sl_flow_key k;
	uint64_t first_ref = SL_MF_NONE_REF;

	sl_mf_init(&mf);
	memset(&k, 0, sizeof(k));
	for (unsigned int i = 0; i <= SL_MF_MASKS; i++) {
		uint64_t wc[SL_FLOW_KEY_WORDS] = { 0 };
		uint32_t mi;

		memset(&r[i], 0, sizeof(r[i]));
		r[i].id = i;
		wc[1] = UINT64_C(1) << i; /* a mask of its own */
		mi = sl_mf_insert(&mf, &k, wc, 1, &r[i], 0);
		cr_assert_neq(mi, SL_MF_NONE);
		if (i == 0)
			first_ref = sl_mf_ref(&mf, mi);
		cr_assert_neq(sl_mf_lookup(&mf, &k, 1), SL_MF_NONE);
		if (i == SL_MF_MASKS)
			cr_assert_eq(mf.n_masks, 1, "started over");
	}
	cr_assert_eq(sl_mf_deref(&mf, first_ref), SL_MF_NONE, "a dropped entry's ref is dead");
	cr_assert_eq(mf.e[sl_mf_lookup(&mf, &k, 1)].rule, &r[SL_MF_MASKS]);
}
