/* SPDX-License-Identifier: BSD-3-Clause */
/* Exact-match cache: hits, generations, two-way eviction, insertion probability, flush. */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "emc.h"

static struct sl_emc *emc;
static struct sl_cls_rule rules[4]; /* only their addresses matter */

static void
setup(void)
{
	emc = malloc(sizeof(*emc));
	cr_assert_not_null(emc);
	sl_emc_init(emc, 1);
}

static void
teardown(void)
{
	free(emc);
}

TestSuite(emc, .init = setup, .fini = teardown);

static struct sl_flow_key
key_n(uint32_t n)
{
	struct sl_flow_key k;

	memset(&k, 0, sizeof(k));
	k.in_port = 1;
	k.dl_type = 0x0800;
	memcpy(k.nw_dst, &n, sizeof(n));
	return k;
}

Test(emc, insert_then_lookup_hits)
{
	struct sl_flow_key k = key_n(1), other = key_n(2);
	uint32_t h = sl_flow_key_hash(&k);

	cr_assert_null(sl_emc_lookup(emc, &k, h, 1));
	sl_emc_insert(emc, &k, h, 1, &rules[0]);
	cr_assert_eq(sl_emc_lookup(emc, &k, h, 1), &rules[0]);
	cr_assert_eq(emc->n_inserts, 1);
	cr_assert_null(sl_emc_lookup(emc, &other, h, 1), "same hash, other key must miss");
	cr_assert_null(sl_emc_lookup(emc, &k, h ^ (1u << 31), 1), "other hash must miss");
}

Test(emc, hash_depends_on_every_word)
{
	struct sl_flow_key k = key_n(1);
	uint32_t h = sl_flow_key_hash(&k);
	unsigned int i;

	cr_assert_eq(h, sl_flow_key_hash(&k));
	for (i = 0; i < sizeof(k); i += 8) {
		struct sl_flow_key k2 = k;

		((uint8_t *)&k2)[i] ^= 1;
		cr_assert_neq(sl_flow_key_hash(&k2), h, "byte %u ignored", i);
	}
}

Test(emc, reinsert_updates_in_place)
{
	struct sl_flow_key k = key_n(1);
	uint32_t h = sl_flow_key_hash(&k);

	sl_emc_insert(emc, &k, h, 1, &rules[0]);
	sl_emc_insert(emc, &k, h, 1, &rules[1]);
	cr_assert_eq(sl_emc_lookup(emc, &k, h, 1), &rules[1]);
	cr_assert_eq(emc->n_evictions, 0);
}

Test(emc, generation_change_invalidates)
{
	struct sl_flow_key k = key_n(1);
	uint32_t h = sl_flow_key_hash(&k);

	sl_emc_insert(emc, &k, h, 7, &rules[0]);
	cr_assert_null(sl_emc_lookup(emc, &k, h, 8));
	/* Stale entries are free slots: refilling them is not an eviction. */
	sl_emc_insert(emc, &k, h, 8, &rules[1]);
	cr_assert_eq(sl_emc_lookup(emc, &k, h, 8), &rules[1]);
	cr_assert_null(sl_emc_lookup(emc, &k, h, 7));
	cr_assert_eq(emc->n_evictions, 0);
}

/* Three keys that share both slots: the third must push one of the first two out. */
static void
check_eviction(uint32_t h1, uint32_t h2, uint32_t h3)
{
	struct sl_flow_key k1 = key_n(1), k2 = key_n(2), k3 = key_n(3);
	bool has1, has2;

	sl_emc_insert(emc, &k1, h1, 1, &rules[1]);
	sl_emc_insert(emc, &k2, h2, 1, &rules[2]);
	cr_assert_eq(sl_emc_lookup(emc, &k1, h1, 1), &rules[1]);
	cr_assert_eq(sl_emc_lookup(emc, &k2, h2, 1), &rules[2]);
	cr_assert_eq(emc->n_evictions, 0);

	sl_emc_insert(emc, &k3, h3, 1, &rules[3]);
	cr_assert_eq(sl_emc_lookup(emc, &k3, h3, 1), &rules[3]);
	has1 = sl_emc_lookup(emc, &k1, h1, 1) != NULL;
	has2 = sl_emc_lookup(emc, &k2, h2, 1) != NULL;
	cr_assert(has1 != has2, "exactly one of the older keys must survive");
	cr_assert_eq(emc->n_evictions, 1);
	cr_assert_eq(emc->n_inserts, 3);
}

Test(emc, evicts_when_both_ways_full_same_hash)
{
	check_eviction(0x12345678, 0x12345678, 0x12345678);
}

Test(emc, evicts_when_both_ways_full_different_hashes)
{
	/* Both slots come from bits 0..12 and 16..28; bits above 28 differ. */
	check_eviction(0x02345678, 0x42345678, 0x82345678);
}

Test(emc, victim_choice_varies)
{
	struct sl_flow_key k1 = key_n(1), k2 = key_n(2), k3 = key_n(3);
	uint32_t h = 0x0abc0def;
	unsigned int i, k1_evicted = 0;

	for (i = 0; i < 200; i++) {
		sl_emc_flush(emc);
		sl_emc_insert(emc, &k1, h, 1, &rules[1]);
		sl_emc_insert(emc, &k2, h, 1, &rules[2]);
		sl_emc_insert(emc, &k3, h, 1, &rules[3]);
		k1_evicted += sl_emc_lookup(emc, &k1, h, 1) == NULL;
	}
	cr_assert(k1_evicted > 50 && k1_evicted < 150, "k1 evicted %u/200 times", k1_evicted);
}

Test(emc, inv_prob_zero_never_inserts)
{
	uint32_t i;

	sl_emc_set_inv_prob(emc, 0);
	for (i = 0; i < 10000; i++) {
		struct sl_flow_key k = key_n(i);
		uint32_t h = sl_flow_key_hash(&k);

		sl_emc_insert(emc, &k, h, 1, &rules[0]);
		cr_assert_null(sl_emc_lookup(emc, &k, h, 1));
	}
	cr_assert_eq(emc->n_inserts, 0);
}

Test(emc, inv_prob_one_always_inserts)
{
	uint32_t i;

	for (i = 0; i < 10000; i++) {
		struct sl_flow_key k = key_n(i);
		uint32_t h = sl_flow_key_hash(&k);

		sl_emc_insert(emc, &k, h, 1, &rules[0]);
		cr_assert_eq(sl_emc_lookup(emc, &k, h, 1), &rules[0]);
	}
	cr_assert_eq(emc->n_inserts, 10000);
}

Test(emc, inv_prob_hundred_inserts_about_one_percent)
{
	uint32_t i;

	sl_emc_init(emc, 100);
	for (i = 0; i < 100000; i++) {
		struct sl_flow_key k = key_n(i);

		sl_emc_insert(emc, &k, sl_flow_key_hash(&k), 1, &rules[0]);
	}
	/* Expect 1000, standard deviation about 31. */
	cr_assert(emc->n_inserts >= 700 && emc->n_inserts <= 1300, "%lu inserts",
		  (unsigned long)emc->n_inserts);
}

Test(emc, flush_drops_everything)
{
	uint32_t i;

	for (i = 0; i < 1000; i++) {
		struct sl_flow_key k = key_n(i);

		sl_emc_insert(emc, &k, sl_flow_key_hash(&k), 1, &rules[0]);
	}
	sl_emc_flush(emc);
	for (i = 0; i < 1000; i++) {
		struct sl_flow_key k = key_n(i);

		cr_assert_null(sl_emc_lookup(emc, &k, sl_flow_key_hash(&k), 1));
	}
}
