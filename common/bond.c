/* SPDX-License-Identifier: BSD-3-Clause */
/* Which hash bucket of a bond a packet falls in: the select groups' hash, so one mechanism. */
#include <string.h>

#include "bond.h"
#include "group.h"

/* balance-slb: Open vSwitch hashes the source MAC and the VLAN. */
static const struct sl_group slb_hash = { .fields = SL_HF_ETH_SRC | SL_HF_VLAN_TCI };
/* balance-tcp: the 5-tuple. */
static const struct sl_group tcp_hash = { .fields = SL_HF_FIVE_TUPLE };

/* @k with source and destination in a fixed order, so that both directions hash alike. */
static void
symmetric(const struct sl_flow_key *k, struct sl_flow_key *out)
{
	int c = memcmp(k->nw_src, k->nw_dst, sizeof(k->nw_src));

	*out = *k;
	if (c > 0 || (c == 0 && k->tp_src > k->tp_dst)) {
		memcpy(out->nw_src, k->nw_dst, sizeof(out->nw_src));
		memcpy(out->nw_dst, k->nw_src, sizeof(out->nw_dst));
		out->tp_src = k->tp_dst;
		out->tp_dst = k->tp_src;
	}
}

unsigned int
sl_bond_bucket(unsigned int mode, const struct sl_flow_key *key)
{
	struct sl_flow_key k;

	if (mode == SL_BM_SLB)
		return sl_group_hash(&slb_hash, key) % SL_BOND_BUCKETS;
	symmetric(key, &k);
	return sl_group_hash(&tcp_hash, &k) % SL_BOND_BUCKETS;
}
