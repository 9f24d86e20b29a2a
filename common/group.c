/* SPDX-License-Identifier: BSD-3-Clause */
/* OpenFlow groups: which bucket a packet gets, and what a valid group is. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "flow_syntax.h"
#include "group.h"

/* One 64-bit mixing step (the finalizer of SplitMix64): every input bit reaches every output bit. */
static inline uint64_t
mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	return h ^ (h >> 31);
}

static uint64_t
bytes_word(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

uint32_t
sl_group_hash(const struct sl_group *g, const struct sl_flow_key *k)
{
	uint32_t f = g->fields ? g->fields : SL_HF_FIVE_TUPLE;
	bool v6 = k->dl_type == 0x86dd;
	uint64_t h = 0;

	if (f & SL_HF_IN_PORT)
		h = mix(h, k->in_port);
	if (f & SL_HF_ETH_SRC)
		h = mix(h, bytes_word(k->dl_src, 6));
	if (f & SL_HF_ETH_DST)
		h = mix(h, bytes_word(k->dl_dst, 6));
	if (f & SL_HF_ETH_TYPE)
		h = mix(h, k->dl_type);
	if (f & SL_HF_VLAN_TCI)
		h = mix(h, k->vlan_tci);
	if (f & SL_HF_IP_SRC) {
		h = mix(h, bytes_word(k->nw_src, v6 ? 8 : 4));
		if (v6)
			h = mix(h, bytes_word(k->nw_src + 8, 8));
	}
	if (f & SL_HF_IP_DST) {
		h = mix(h, bytes_word(k->nw_dst, v6 ? 8 : 4));
		if (v6)
			h = mix(h, bytes_word(k->nw_dst + 8, 8));
	}
	if (f & SL_HF_NW_PROTO)
		h = mix(h, k->nw_proto);
	if (f & SL_HF_TP_SRC)
		h = mix(h, k->tp_src);
	if (f & SL_HF_TP_DST)
		h = mix(h, k->tp_dst);
	return (uint32_t)(h >> 32);
}

int
sl_group_select(const struct sl_group *g, uint32_t hash)
{
	uint32_t total = 0, pick;

	for (unsigned int i = 0; i < g->n_buckets; i++)
		total += g->b[i].weight;
	if (total == 0)
		return -1;
	/* Multiply-shift maps the hash onto [0, total) without a division. */
	pick = (uint32_t)(((uint64_t)hash * total) >> 32);
	for (unsigned int i = 0; i < g->n_buckets; i++) {
		if (pick < g->b[i].weight)
			return (int)i;
		pick -= g->b[i].weight;
	}
	return -1;
}

int
sl_group_check(const struct sl_group *g, char *err, size_t errlen)
{
	if (g->id > SL_GROUP_ID_MAX) {
		snprintf(err, errlen, "group_id %u out of range 0..%u", g->id, SL_GROUP_ID_MAX);
		return -EINVAL;
	}
	if (g->type == SL_GROUP_INDIRECT && g->n_buckets != 1) {
		snprintf(err, errlen, "an indirect group has exactly one bucket, not %u", g->n_buckets);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < g->n_buckets; i++) {
		const struct sl_bucket *b = &g->b[i];

		if (g->type != SL_GROUP_SELECT && b->weight != 1) {
			snprintf(err, errlen, "bucket %u: weight is for select groups only", i);
			return -EINVAL;
		}
		if (g->type == SL_GROUP_FF && b->watch_port == SL_WATCH_NONE) {
			snprintf(err, errlen, "bucket %u: a fast_failover bucket needs watch_port", i);
			return -EINVAL;
		}
		for (unsigned int j = 0; j < b->actions.n; j++) {
			uint16_t t = b->actions.a[j].type;

			if (t == SL_ACT_GROUP || t == SL_ACT_METER) {
				snprintf(err, errlen, "bucket %u: %s in a bucket is not supported", i,
					 t == SL_ACT_GROUP ? "group" : "meter");
				return -ENOTSUP;
			}
			/* Buckets run in the plain engine (outputs, VLAN and MAC
			 * rewrites): refuse what it would skip, but for the actions
			 * that do nothing to a packet anyway. */
			if (t >= SL_ACT_RESUBMIT && t != SL_ACT_NOTE && t != SL_ACT_CT_CLEAR &&
			    t != SL_ACT_DEBUG_RECIRC && t != SL_ACT_DEBUG_SLOW) {
				struct sl_actions one = { .n = 1, .a = { b->actions.a[j] } };
				char name[64];

				sl_actions_format(&one, name, sizeof(name));
				name[strcspn(name, ":(")] = '\0';
				snprintf(err, errlen,
					 "bucket %u: not supported: %s in a bucket (outputs, VLAN and "
					 "MAC rewrites only)",
					 i, name);
				return -ENOTSUP;
			}
		}
	}
	if (g->hash_method && g->type != SL_GROUP_SELECT) {
		snprintf(err, errlen, "selection_method is for select groups only");
		return -EINVAL;
	}
	return 0;
}
