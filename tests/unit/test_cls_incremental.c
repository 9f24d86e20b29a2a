/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The incremental classifier against a brute-force reference: random
 * batches of adds, deletes and modifies (new actions, same identity),
 * published or aborted, interleaved with lookups of every table, each
 * checked against a scan of the reference rules; staged changes must stay
 * invisible until published.  Then the same under a concurrent reader,
 * which must only ever see a rule visible at some published version.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "classifier.h"
#include "unit_helpers.h"


/* A reference rule: what the classifier should hold. */
struct ref {
	struct sl_cls_rule r; /* as given (table in match.mkey.table) */
	uint32_t handle;
	uint32_t seq;
};

#define MAX_REF 4096
static struct ref ref[MAX_REF];
static uint32_t n_ref;
static uint32_t next_id = 1;


static void
set_ip4(uint8_t *f, uint32_t v)
{
	uint32_t be = htonl(v);

	memcpy(f, &be, 4);
}

/* Values from small sets so that rules overlap, tie and share masks. */
static void
random_match(struct sl_match *m)
{
	unsigned int shape = rnd32() % 8;

	memset(m, 0, sizeof(*m));
	m->mkey.table = rnd32() % 3;
	m->mmask.table = 0xff;
	if (shape & 1) {
		m->key.in_port = 1 + rnd32() % 3;
		m->mask.in_port = 0xffff;
	}
	if (shape & 2) {
		unsigned int len = 8 * (1 + rnd32() % 4);

		m->key.dl_type = 0x0800;
		m->mask.dl_type = 0xffff;
		set_ip4(m->key.nw_dst, 0x0a000000 | (rnd32() % 4) << 16 | (rnd32() % 4) << 8 | rnd32() % 4);
		set_ip4(m->mask.nw_dst, UINT32_MAX << (32 - len));
	}
	if (shape & 4) {
		m->key.tp_dst = htons(80 + rnd32() % 3);
		m->mask.tp_dst = 0xffff;
	}
	if (rnd32() % 4 == 0) {
		m->mkey.reg[0] = rnd32() % 3;
		m->mmask.reg[0] = 0xffffffff;
	}
	sl_match_normalize(m);
}

static void
random_key(struct sl_flow_key *k, struct sl_flow_meta *meta)
{
	memset(k, 0, sizeof(*k));
	memset(meta, 0, sizeof(*meta));
	k->in_port = 1 + rnd32() % 4;
	k->dl_type = rnd32() % 8 ? 0x0800 : 0x86dd;
	set_ip4(k->nw_dst, 0x0a000000 | (rnd32() % 5) << 16 | (rnd32() % 5) << 8 | rnd32() % 5);
	k->tp_dst = htons(79 + rnd32() % 5);
	meta->reg[0] = rnd32() % 4;
}

static void
random_actions(struct sl_actions *a)
{
	memset(a, 0, sizeof(*a));
	a->n = 1;
	a->a[0].type = SL_ACT_OUTPUT;
	a->a[0].arg = rnd32();
}

/* Best reference rule of @table for (@k, @meta), or NULL. */
static const struct ref *
brute(uint8_t table, const struct sl_flow_key *k, const struct sl_flow_meta *meta)
{
	const struct ref *best = NULL;

	for (uint32_t i = 0; i < n_ref; i++) {
		const struct ref *x = &ref[i];

		if (x->r.match.mkey.table != table || !sl_match_matches_meta(&x->r.match, k, meta))
			continue;
		if (best == NULL || x->r.priority > best->r.priority ||
		    (x->r.priority == best->r.priority && x->seq < best->seq))
			best = x;
	}
	return best;
}

static void
check_lookups(const struct sl_cls *cls, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		struct sl_flow_key k;
		struct sl_flow_meta meta;
		uint8_t table = rnd32() % 4; /* table 3 is always empty */
		const struct ref *want;
		const struct sl_cls_rule *got;

		random_key(&k, &meta);
		if (table == 0 && rnd32() % 2) {
			memset(&meta, 0, sizeof(meta));
			got = sl_cls_lookup(cls, &k);
		} else {
			got = sl_cls_lookup_table(cls, table, &k, &meta);
		}
		want = brute(table, &k, &meta);
		if (want == NULL) {
			cr_assert_null(got, "lookup %u: table %u: got rule %u, want none", i, table,
				       got ? got->id : 0);
			continue;
		}
		cr_assert_not_null(got, "lookup %u: table %u: got none, want rule %u", i, table,
				   want->r.id);
		cr_assert_eq(got->id, want->r.id, "lookup %u: got rule %u prio %u, want %u prio %u",
			     i, got->id, got->priority, want->r.id, want->r.priority);
		cr_assert_eq(got->actions.a[0].arg, want->r.actions.a[0].arg,
			     "rule %u: old actions after a modify", got->id);
	}
}

/* A batch, staged on @w and on a copy of the reference. */
static struct ref staged[MAX_REF];
static uint32_t n_staged;

static int
stage_batch(struct sl_clsw *w, unsigned int n_ops)
{
	memcpy(staged, ref, sizeof(ref[0]) * n_ref);
	n_staged = n_ref;
	for (unsigned int op = 0; op < n_ops; op++) {
		unsigned int what = rnd32() % 10;

		if (what < 5 && n_staged < MAX_REF / 2) { /* add */
			struct ref *x = &staged[n_staged];
			int rc;

			memset(x, 0, sizeof(*x));
			random_match(&x->r.match);
			x->r.priority = rnd32() % 6 * 100; /* few values: many ties */
			x->r.id = next_id++;
			random_actions(&x->r.actions);
			rc = sl_clsw_insert(w, &x->r, &x->handle);
			if (rc < 0)
				return rc;
			x->seq = sl_clsw_rule(w, x->handle)->seq;
			n_staged++;
		} else if (what < 8 && n_staged > 0) { /* delete */
			uint32_t i = rnd32() % n_staged;

			cr_assert_eq(sl_clsw_remove(w, staged[i].handle), 0);
			staged[i] = staged[--n_staged];
		} else if (n_staged > 0) { /* modify: same identity and seq, new actions */
			struct ref *x = &staged[rnd32() % n_staged];
			struct sl_cls_rule nr = x->r;
			uint32_t h;

			random_actions(&nr.actions);
			nr.seq = x->seq;
			cr_assert_eq(sl_clsw_insert(w, &nr, &h), 0);
			cr_assert_eq(sl_clsw_remove(w, x->handle), 0);
			x->r = nr;
			x->handle = h;
		}
	}
	return 0;
}

Test(cls_incremental, random_changes_agree_with_brute_force, .timeout = 60)
{
	struct sl_clsw *w = sl_clsw_create(MAX_REF * 2, test_zalloc, test_free, NULL);
	const struct sl_cls *cls;

	cr_assert_not_null(w);
	cls = sl_clsw_cls(w);
	n_ref = 0;
	for (unsigned int round = 0; round < 3000; round++) {
		uint64_t v = sl_cls_version(cls);

		cr_assert_eq(stage_batch(w, 1 + rnd32() % (round % 50 == 0 ? 200 : 4)), 0);
		/* Staged, not published: the old table still answers. */
		check_lookups(cls, 8);
		cr_assert_eq(sl_cls_version(cls), v);
		if (rnd32() % 8 == 0) {
			sl_clsw_abort(w);
		} else {
			cr_assert_eq(sl_clsw_publish(w), v + 1);
			memcpy(ref, staged, sizeof(ref[0]) * n_staged);
			n_ref = n_staged;
		}
		if (rnd32() % 3 == 0)
			sl_clsw_collect(w);
		check_lookups(cls, 32);
		cr_assert_eq(sl_cls_n_rules(cls), n_ref);
	}
	/* Everything out: nothing matches and no subtable is left behind. */
	for (uint32_t i = 0; i < n_ref; i++)
		cr_assert_eq(sl_clsw_remove(w, ref[i].handle), 0);
	n_ref = 0;
	sl_clsw_publish(w);
	sl_clsw_collect(w);
	sl_clsw_collect(w);
	check_lookups(cls, 200);
	cr_assert_eq(sl_cls_n_subtables(cls), 0);
	cr_assert_eq(sl_cls_n_rules(cls), 0);
	sl_clsw_destroy(w);
}

/* Out of memory half way through a batch: abort leaves the table as it was. */
static unsigned int allow_allocs;

static void *
limited_zalloc(size_t size, void *ctx)
{
	(void)ctx;
	if (allow_allocs == 0)
		return NULL;
	allow_allocs--;
	return calloc(1, size);
}

Test(cls_incremental, failure_then_abort_changes_nothing)
{
	struct sl_clsw *w;
	const struct sl_cls *cls;
	int rc = 0;

	allow_allocs = 1000000;
	w = sl_clsw_create(MAX_REF * 2, limited_zalloc, test_free, NULL);
	cls = sl_clsw_cls(w);
	n_ref = 0;
	cr_assert_eq(stage_batch(w, 300), 0);
	sl_clsw_publish(w);
	memcpy(ref, staged, sizeof(ref[0]) * n_staged);
	n_ref = n_staged;
	for (unsigned int i = 0; i < 50 && rc == 0; i++) {
		allow_allocs = rnd32() % 3;
		rc = stage_batch(w, 200);
		if (rc == 0) {
			sl_clsw_abort(w);
			continue;
		}
		cr_assert_eq(rc, -ENOMEM);
		sl_clsw_abort(w);
	}
	allow_allocs = 1000000;
	sl_clsw_publish(w);
	check_lookups(cls, 2000);
	sl_clsw_destroy(w);
}

/*
 * A reader thread looks up one key while the writer flips the rule it
 * hits between two versions (and adds and removes others around it); each
 * answer must be one of the rules that key had at some version, never a
 * half-made or freed rule.  Grace periods are the reader's acknowledgement
 * of every version (a counter it bumps).
 */
static volatile uint64_t reader_seen; /* versions the reader has started after */
static volatile bool stop_reader;
static uint32_t bad_answers;
static const struct sl_cls *shared_cls;
static struct sl_flow_key probe_key;

static void *
reader(void *arg)
{
	(void)arg;
	while (!stop_reader) {
		uint64_t v = sl_cls_version(shared_cls);
		const struct sl_cls_rule *r = sl_cls_lookup(shared_cls, &probe_key);

		/* The probe rule always exists at id 1 or 2 with a matching arg. */
		if (r == NULL || (r->id != 1 && r->id != 2) || r->actions.a[0].arg != r->id * 10)
			__atomic_fetch_add(&bad_answers, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&reader_seen, v, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void
wait_reader(const struct sl_cls *cls)
{
	uint64_t v = sl_cls_version(cls);

	/* The reader finished a lookup that began at v or later: any lookup
	 * it is in now began later still (versions only grow). */
	while (__atomic_load_n(&reader_seen, __ATOMIC_ACQUIRE) < v)
		;
}

Test(cls_incremental, concurrent_reader_sees_whole_rules, .timeout = 60)
{
	struct sl_clsw *w = sl_clsw_create(MAX_REF * 2, test_zalloc, test_free, NULL);
	struct sl_cls_rule probe;
	uint32_t h, cur_id = 1;
	pthread_t t;

	shared_cls = sl_clsw_cls(w);
	memset(&probe_key, 0, sizeof(probe_key));
	probe_key.in_port = 1;
	memset(&probe, 0, sizeof(probe));
	probe.match.key.in_port = 1;
	probe.match.mask.in_port = 0xffff;
	probe.priority = 500;
	probe.id = 1;
	random_actions(&probe.actions);
	probe.actions.a[0].arg = 10;
	cr_assert_eq(sl_clsw_insert(w, &probe, &h), 0);
	sl_clsw_publish(w);
	stop_reader = false;
	bad_answers = 0;
	reader_seen = 0;
	cr_assert_eq(pthread_create(&t, NULL, reader, NULL), 0);
	for (unsigned int i = 0; i < 20000; i++) {
		struct sl_cls_rule nr = probe, other;
		uint32_t nh, oh1, oh2;

		/* Modify the probe rule (same identity, new version). */
		cur_id = 3 - cur_id;
		nr.id = cur_id;
		nr.actions.a[0].arg = cur_id * 10;
		nr.seq = sl_clsw_rule(w, h)->seq;
		cr_assert_eq(sl_clsw_insert(w, &nr, &nh), 0);
		cr_assert_eq(sl_clsw_remove(w, h), 0);
		/* A lower-priority neighbour in the same chain, and one in a new subtable. */
		other = probe;
		other.priority = 100;
		other.id = 99;
		cr_assert_eq(sl_clsw_insert(w, &other, &oh1), 0);
		other.match.key.tp_dst = (uint16_t)i;
		other.match.mask.tp_dst = 0xffff;
		cr_assert_eq(sl_clsw_insert(w, &other, &oh2), 0);
		sl_clsw_publish(w);
		wait_reader(shared_cls);
		sl_clsw_collect(w);
		h = nh;
		cr_assert_eq(sl_clsw_remove(w, oh1), 0);
		cr_assert_eq(sl_clsw_remove(w, oh2), 0);
		sl_clsw_publish(w);
		wait_reader(shared_cls);
		sl_clsw_collect(w);
	}
	stop_reader = true;
	pthread_join(t, NULL);
	cr_assert_eq(bad_answers, 0, "%u lookups saw no rule or a wrong one", bad_answers);
	sl_clsw_destroy(w);
}
