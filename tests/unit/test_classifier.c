/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Classifier: priorities, tie-breaks, prefixes, randomized checks against a
 * brute-force scan (tests/unit/test_cls_incremental.c checks changes).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <rte_common.h>

#include "classifier.h"
#include "unit_helpers.h"


static void *
failing_zalloc(size_t size, void *ctx)
{
	(void)size;
	(void)ctx;
	return NULL;
}

static struct sl_clsw *cur_w; /* the writer of the classifier build() made */

/* A classifier holding @rules, in that order (ties go to the earlier). */
static struct sl_cls *
build(const struct sl_cls_rule *rules, uint32_t n)
{
	uint32_t h;

	cur_w = sl_clsw_create(n + 16, test_zalloc, test_free, NULL);
	cr_assert_not_null(cur_w);
	for (uint32_t i = 0; i < n; i++)
		cr_assert_eq(sl_clsw_insert(cur_w, &rules[i], &h), 0);
	sl_clsw_publish(cur_w);
	return sl_clsw_cls(cur_w);
}

static void
done(struct sl_cls *cls)
{
	cr_assert_eq(sl_clsw_cls(cur_w), cls);
	sl_clsw_destroy(cur_w);
	cur_w = NULL;
}

/* Id of the winning rule, or -1 for no match. */
static int
lookup_id(const struct sl_cls *cls, const struct sl_flow_key *key)
{
	const struct sl_cls_rule *r = sl_cls_lookup(cls, key);

	return r == NULL ? -1 : (int)r->id;
}

static void
set_ip4(uint8_t *field, uint32_t host_order)
{
	uint32_t be = htonl(host_order);

	memcpy(field, &be, sizeof(be));
}

static void
set_prefix4(uint8_t *mask_field, unsigned int len)
{
	set_ip4(mask_field, len == 0 ? 0 : UINT32_MAX << (32 - len));
}

/* Rule on IPv4 nw_dst/len at @prio. */
static struct sl_cls_rule
ip4_dst_rule(uint32_t id, uint32_t prio, uint32_t addr, unsigned int len)
{
	struct sl_cls_rule r;

	memset(&r, 0, sizeof(r));
	r.id = id;
	r.priority = prio;
	r.match.key.dl_type = 0x0800;
	r.match.mask.dl_type = 0xffff;
	set_ip4(r.match.key.nw_dst, addr);
	set_prefix4(r.match.mask.nw_dst, len);
	sl_match_normalize(&r.match);
	return r;
}

static struct sl_flow_key
ip4_pkt(uint32_t dst)
{
	struct sl_flow_key k;

	memset(&k, 0, sizeof(k));
	k.in_port = 1;
	k.dl_type = 0x0800;
	k.nw_proto = 6;
	set_ip4(k.nw_src, 0xc0a80001);
	set_ip4(k.nw_dst, dst);
	k.tp_dst = htons(80);
	return k;
}

Test(classifier, empty_snapshot_matches_nothing)
{
	struct sl_cls *cls = build(NULL, 0);
	struct sl_flow_key k = ip4_pkt(0x0a000001);

	cr_assert_eq(sl_cls_n_rules(cls), 0);
	cr_assert_eq(sl_cls_n_subtables(cls), 0);
	cr_assert_gt(sl_clsw_shm_bytes(cur_w), 0);
	cr_assert_null(sl_cls_lookup(cls, &k));
	done(cls);
}

Test(classifier, allocation_failure_returns_null)
{
	struct sl_cls_rule r = ip4_dst_rule(0, 10, 0x0a000000, 8);

	uint32_t h;

	cr_assert_null(sl_clsw_create(16, failing_zalloc, test_free, NULL));
	cur_w = sl_clsw_create(1, test_zalloc, test_free, NULL);
	cr_assert_eq(sl_clsw_insert(cur_w, &r, &h), 0);
	cr_assert_eq(sl_clsw_insert(cur_w, &r, &h), -ENOSPC, "max_rules is a hard limit");
	sl_clsw_abort(cur_w);
	sl_clsw_publish(cur_w);
	cr_assert_eq(sl_cls_n_rules(sl_clsw_cls(cur_w)), 0, "abort takes staged rules back");
	done(sl_clsw_cls(cur_w));
}

Test(classifier, rules_kept_in_input_order)
{
	struct sl_cls_rule rules[4] = {
		ip4_dst_rule(7, 1, 0x0a000000, 8),
		ip4_dst_rule(3, 9, 0x0a010000, 16),
		ip4_dst_rule(5, 4, 0x0a020000, 16),
		ip4_dst_rule(1, 9, 0x0a010200, 24),
	};
	struct sl_cls *cls;
	uint32_t i;

	rules[2].cookie = 0xabcdef;
	rules[2].actions.n = 1;
	rules[2].actions.a[0].type = SL_ACT_OUTPUT;
	rules[2].actions.a[0].arg = 3;
	cls = build(rules, 4);
	cr_assert_eq(sl_cls_n_rules(cls), 4);
	cr_assert_eq(sl_cls_n_subtables(cls), 3);
	for (i = 0; i < 4; i++) {
		const struct sl_cls_rule *r = sl_clsw_rule(cur_w, i);

		cr_assert(memcmp(&r->match, &rules[i].match, sizeof(r->match)) == 0);
		cr_assert(memcmp(&r->actions, &rules[i].actions, sizeof(r->actions)) == 0);
		cr_assert_eq(r->id, rules[i].id);
		cr_assert_eq(r->cookie, rules[i].cookie);
		cr_assert_eq(r->seq, i + 1, "seq follows insertion order");
	}
	done(cls);
}

Test(classifier, higher_priority_wins)
{
	struct sl_cls_rule rules[3];
	struct sl_cls *cls;
	struct sl_flow_key k = ip4_pkt(0x0a000001);

	rules[0] = ip4_dst_rule(0, 10, 0x0a000000, 8);
	memset(&rules[1], 0, sizeof(rules[1])); /* match-all */
	rules[1].id = 1;
	rules[1].priority = 50;
	rules[2] = ip4_dst_rule(2, 30, 0x0a000001, 32);
	cls = build(rules, 3);
	cr_assert_eq(lookup_id(cls, &k), 1);
	done(cls);

	rules[1].priority = 0;
	cls = build(rules, 3);
	cr_assert_eq(lookup_id(cls, &k), 2);
	k = ip4_pkt(0x0b000001);
	cr_assert_eq(lookup_id(cls, &k), 1, "only the match-all rule matches");
	done(cls);
}

Test(classifier, prefix_lengths_by_priority)
{
	/* Priorities follow prefix length, as a routing table would set them. */
	struct sl_cls_rule rules[3] = {
		ip4_dst_rule(16, 16, 0xc0a80000, 16),
		ip4_dst_rule(24, 24, 0xc0a80100, 24),
		ip4_dst_rule(32, 32, 0xc0a80107, 32),
	};
	struct sl_cls *cls = build(rules, 3);
	struct sl_flow_key k;

	k = ip4_pkt(0xc0a80107);
	cr_assert_eq(lookup_id(cls, &k), 32);
	k = ip4_pkt(0xc0a80108);
	cr_assert_eq(lookup_id(cls, &k), 24);
	k = ip4_pkt(0xc0a80208);
	cr_assert_eq(lookup_id(cls, &k), 16);
	k = ip4_pkt(0xc0a90107);
	cr_assert_eq(lookup_id(cls, &k), -1);
	k = ip4_pkt(0xc0a80107);
	k.dl_type = 0x86dd;
	cr_assert_eq(lookup_id(cls, &k), -1, "dl_type is part of every rule");
	done(cls);
}

Test(classifier, priority_beats_prefix_length)
{
	struct sl_cls_rule rules[3] = {
		ip4_dst_rule(32, 1, 0xc0a80107, 32),
		ip4_dst_rule(24, 2, 0xc0a80100, 24),
		ip4_dst_rule(16, 3, 0xc0a80000, 16),
	};
	struct sl_cls *cls = build(rules, 3);
	struct sl_flow_key k = ip4_pkt(0xc0a80107);

	cr_assert_eq(lookup_id(cls, &k), 16);
	done(cls);
}

Test(classifier, same_match_different_priorities)
{
	struct sl_cls_rule rules[4] = {
		ip4_dst_rule(0, 5, 0x0a000000, 8),
		ip4_dst_rule(1, 9, 0x0a000000, 8),
		ip4_dst_rule(2, 7, 0x0a000000, 8),
		ip4_dst_rule(3, 100, 0x0b000000, 8), /* same mask, other key */
	};
	struct sl_cls *cls = build(rules, 4);
	struct sl_flow_key k = ip4_pkt(0x0a010203);

	cr_assert_eq(sl_cls_n_subtables(cls), 1);
	cr_assert_eq(lookup_id(cls, &k), 1);
	k = ip4_pkt(0x0b010203);
	cr_assert_eq(lookup_id(cls, &k), 3);
	done(cls);
}

Test(classifier, equal_priority_first_rule_wins)
{
	struct sl_cls_rule rules[3];
	struct sl_cls *cls;
	struct sl_flow_key k = ip4_pkt(0x0a000001);
	int i;

	rules[0] = ip4_dst_rule(0, 20, 0x0a000000, 8);
	rules[1] = ip4_dst_rule(1, 20, 0x0a000001, 32);
	rules[2] = ip4_dst_rule(2, 20, 0x0a000000, 24);
	cls = build(rules, 3);
	cr_assert_eq(lookup_id(cls, &k), 0);
	done(cls);

	/* Every rotation: the first rule in the input must win. */
	for (i = 0; i < 3; i++) {
		struct sl_cls_rule rot[3] = { rules[i], rules[(i + 1) % 3], rules[(i + 2) % 3] };

		cls = build(rot, 3);
		cr_assert_eq(lookup_id(cls, &k), i);
		done(cls);
	}
}

Test(classifier, tie_in_lower_subtable_found_after_higher_one)
{
	/*
	 * The subtable with max priority 50 is searched first and yields rule 1
	 * at 20; the /32 subtable also has max 20 and holds the earlier rule 0.
	 */
	struct sl_cls_rule rules[3] = {
		ip4_dst_rule(0, 20, 0x0a000001, 32),
		ip4_dst_rule(1, 20, 0x0a000000, 8),
		ip4_dst_rule(2, 50, 0x0b000000, 8),
	};
	struct sl_cls *cls = build(rules, 3);
	struct sl_flow_key k = ip4_pkt(0x0a000001);

	cr_assert_eq(lookup_id(cls, &k), 0);
	done(cls);
}

/*
 * Randomized comparison against a brute-force scan.  Field values come from
 * small sets so that rules overlap a lot and packets often hit several.
 */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(uint32_t n)
{
	/* splitmix64: good enough, and reproducible across runs. */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return (uint32_t)(z % n);
}

enum { F_IN_PORT, F_DL_TYPE, F_VLAN, F_NW_PROTO, F_NW_SRC, F_NW_DST, F_TP_DST, F_TP_SRC, F_DL_DST };

struct shape {
	unsigned int fields;    /* 1 << F_* */
	unsigned int src_len;   /* prefix lengths when F_NW_SRC/F_NW_DST are set */
	unsigned int dst_len;
	uint16_t vlan_mask;
};

static void
random_shape(struct shape *s)
{
	static const unsigned int lens[] = { 8, 16, 20, 24, 28, 32 };
	static const uint16_t vlan_masks[] = {
		0xffff, SL_VLAN_CFI | SL_VLAN_VID_MASK, SL_VLAN_CFI,
	};

	memset(s, 0, sizeof(*s));
	do {
		s->fields = rnd(1u << (F_DL_DST + 1)) & rnd(1u << (F_DL_DST + 1));
	} while (__builtin_popcount(s->fields) < 2 || __builtin_popcount(s->fields) > 5);
	s->src_len = lens[rnd(RTE_DIM(lens))];
	s->dst_len = lens[rnd(RTE_DIM(lens))];
	s->vlan_mask = vlan_masks[rnd(RTE_DIM(vlan_masks))];
}

/* A packet key whose every field comes from the small value sets. */
static void
random_key(struct sl_flow_key *k)
{
	static const uint16_t types[] = { 0x0800, 0x86dd, 0x0806 };
	static const uint8_t protos[] = { 1, 6, 17 };
	static const uint16_t ports[] = { 22, 53, 80, 443 };

	memset(k, 0, sizeof(*k));
	k->in_port = 1 + rnd(4);
	k->dl_type = types[rnd(3)];
	k->vlan_tci = rnd(2) ? (SL_VLAN_CFI | rnd(4) | (rnd(2) << SL_VLAN_PCP_SHIFT)) : 0;
	k->nw_proto = protos[rnd(3)];
	k->tp_src = htons(ports[rnd(4)]);
	k->tp_dst = htons(ports[rnd(4)]);
	k->dl_dst[5] = rnd(4);
	k->nw_ttl = rnd(256);
	/* 10.a.b.c with a, b, c small: short prefixes are shared, /24 and /32 split them. */
	set_ip4(k->nw_src, 0x0a000000 | rnd(2) << 16 | rnd(4) << 8 | rnd(8));
	set_ip4(k->nw_dst, 0x0a000000 | rnd(2) << 16 | rnd(4) << 8 | rnd(8));
}

static void
shape_mask(const struct shape *s, struct sl_flow_key *m)
{
	memset(m, 0, sizeof(*m));
	if (s->fields & 1u << F_IN_PORT)
		m->in_port = 0xffff;
	if (s->fields & 1u << F_DL_TYPE)
		m->dl_type = 0xffff;
	if (s->fields & 1u << F_VLAN)
		m->vlan_tci = s->vlan_mask;
	if (s->fields & 1u << F_NW_PROTO)
		m->nw_proto = 0xff;
	if (s->fields & 1u << F_NW_SRC)
		set_prefix4(m->nw_src, s->src_len);
	if (s->fields & 1u << F_NW_DST)
		set_prefix4(m->nw_dst, s->dst_len);
	if (s->fields & 1u << F_TP_DST)
		m->tp_dst = 0xffff;
	if (s->fields & 1u << F_TP_SRC)
		m->tp_src = 0xffff;
	if (s->fields & 1u << F_DL_DST)
		memset(m->dl_dst, 0xff, sizeof(m->dl_dst));
}

static bool
duplicate(const struct sl_cls_rule *rules, uint32_t n, const struct sl_cls_rule *r)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (rules[i].priority == r->priority && sl_match_equal(&rules[i].match, &r->match))
			return true;
	return false;
}

static void
random_rules(struct sl_cls_rule *rules, uint32_t n, const struct shape *shapes, uint32_t n_shapes)
{
	uint32_t i = 0;

	while (i < n) {
		struct sl_cls_rule *r = &rules[i];

		memset(r, 0, sizeof(*r));
		random_key(&r->match.key);
		shape_mask(&shapes[rnd(n_shapes)], &r->match.mask);
		sl_match_normalize(&r->match);
		r->priority = rnd(64); /* few values: many cross-subtable ties */
		r->id = i;
		r->cookie = i;
		if (!duplicate(rules, i, r))
			i++;
	}
}

static int
brute_force(const struct sl_cls_rule *rules, uint32_t n, const struct sl_flow_key *k)
{
	int best = -1;
	uint32_t i;

	for (i = 0; i < n; i++) {
		if (!sl_match_matches(&rules[i].match, k))
			continue;
		if (best < 0 || rules[i].priority > rules[best].priority)
			best = (int)i;
	}
	return best;
}

/*
 * Packets: some are built on a rule's masked key, so they hit at least that
 * rule; some draw every field from the rules' value sets; a few are random
 * bits, which should miss nearly everything.
 */
static void
random_packet(const struct sl_cls_rule *rules, uint32_t n, struct sl_flow_key *k)
{
	const struct sl_cls_rule *r = &rules[rnd(n)];
	uint64_t kw[SL_FLOW_KEY_WORDS], mw[SL_FLOW_KEY_WORDS], rw[SL_FLOW_KEY_WORDS];
	uint32_t kind = rnd(10);
	unsigned int i;

	random_key(k);
	memcpy(kw, k, sizeof(kw));
	if (kind < 5) {
		memcpy(mw, &r->match.mask, sizeof(mw));
		memcpy(rw, &r->match.key, sizeof(rw));
		for (i = 0; i < SL_FLOW_KEY_WORDS; i++)
			kw[i] = (kw[i] & ~mw[i]) | rw[i];
	} else if (kind == 9) {
		for (i = 0; i < SL_FLOW_KEY_WORDS; i++)
			kw[i] = (uint64_t)rnd(UINT32_MAX) << 32 | rnd(UINT32_MAX);
	}
	memcpy(k, kw, sizeof(kw));
}

#define N_SHAPES 32
#define N_RULES 4000
#define N_PACKETS 40000

Test(classifier, random_rules_agree_with_brute_force, .timeout = 120)
{
	struct shape shapes[N_SHAPES];
	struct sl_cls_rule *rules = calloc(N_RULES, sizeof(*rules));
	struct sl_cls *cls;
	uint32_t i, hits = 0;

	cr_assert_not_null(rules);
	for (i = 0; i < N_SHAPES; i++)
		random_shape(&shapes[i]);
	random_rules(rules, N_RULES, shapes, N_SHAPES);
	cls = build(rules, N_RULES);
	cr_assert_eq(sl_cls_n_rules(cls), N_RULES);
	cr_assert_leq(sl_cls_n_subtables(cls), N_SHAPES);

	for (i = 0; i < N_PACKETS; i++) {
		struct sl_flow_key k;
		int want, got;

		random_packet(rules, N_RULES, &k);
		want = brute_force(rules, N_RULES, &k);
		got = lookup_id(cls, &k);
		cr_assert_eq(got, want, "packet %u: classifier says %d, brute force %d", i, got,
			     want);
		hits += want >= 0;
	}
	/* Meaningful only with plenty of hits, and some misses. */
	cr_assert_gt(hits, N_PACKETS / 2);
	cr_assert_lt(hits, N_PACKETS);
	cr_log_info("%u/%u packets matched, %u subtables", hits, N_PACKETS,
		    sl_cls_n_subtables(cls));
	done(cls);
	free(rules);
}

Test(classifier, tables_and_registers_agree_with_brute_force, .timeout = 120)
{
	enum { N = 3000, TABLES = 4, PACKETS = 30000 };
	static const struct sl_flow_meta zero;
	struct shape shapes[N_SHAPES];
	struct sl_cls_rule *rules = calloc(N, sizeof(*rules));
	struct sl_cls *cls;
	uint32_t i, hits = 0, meta_hits = 0;

	cr_assert_not_null(rules);
	for (i = 0; i < N_SHAPES; i++)
		random_shape(&shapes[i]);
	random_rules(rules, N, shapes, N_SHAPES);
	for (i = 0; i < N; i++) {
		struct sl_match *m = &rules[i].match;

		m->mkey.table = (uint8_t)rnd(TABLES);
		m->mmask.table = 0xff;
		if (rnd(3) == 0) {
			unsigned int r = rnd(3);

			m->mmask.reg[r] = rnd(2) ? UINT32_MAX : 0x3;
			m->mkey.reg[r] = rnd(4) & m->mmask.reg[r];
		}
		if (rnd(5) == 0) {
			m->mmask.metadata = rnd(2) ? UINT64_MAX : 0xff00;
			m->mkey.metadata = ((uint64_t)rnd(2) << 8) & m->mmask.metadata;
		}
	}
	cls = build(rules, N);
	for (i = 0; i < PACKETS; i++) {
		struct sl_flow_key k;
		struct sl_flow_meta meta = zero;
		uint8_t table = (uint8_t)rnd(TABLES);
		const struct sl_cls_rule *got;
		int want = -1;

		random_packet(rules, N, &k);
		for (unsigned int r = 0; r < 3; r++)
			meta.reg[r] = rnd(5);
		meta.metadata = (uint64_t)rnd(3) << 8;
		for (uint32_t j = 0; j < N; j++) {
			if (rules[j].match.mkey.table != table ||
			    !sl_match_matches_meta(&rules[j].match, &k, &meta))
				continue;
			if (want < 0 || rules[j].priority > rules[want].priority)
				want = (int)j;
		}
		got = sl_cls_lookup_table(cls, table, &k, &meta);
		cr_assert_eq(got == NULL ? -1 : (int)got->id, want,
			     "packet %u in table %u: classifier %d, brute force %d", i, table,
			     got == NULL ? -1 : (int)got->id, want);
		if (got != NULL) {
			cr_assert_eq(got->table, table);
			hits++;
			meta_hits += got->match.mmask.reg[0] || got->match.mmask.reg[1] ||
				     got->match.mmask.reg[2] || got->match.mmask.metadata;
		}
		got = sl_cls_lookup_table(cls, 0, &k, &zero);
		cr_assert_eq(sl_cls_lookup(cls, &k), got, "table 0 without state = with zero state");
	}
	cr_assert_gt(hits, PACKETS / 4);
	cr_assert_gt(meta_hits, 100, "only %u hits on register or metadata rules", meta_hits);
	done(cls);
	free(rules);
}
