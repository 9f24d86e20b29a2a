/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OpenFlow groups: a group is a list of buckets, each an action list, and
 * a type that says which buckets a packet gets: all of them (all), one
 * chosen by a hash of the packet's fields (select), its only one
 * (indirect), or the first whose watch port is live (fast_failover).
 *
 * Plain data, valid in every process.  The choice of a bucket is here, in
 * common/, so that what the workers do to packets and what a test or a
 * bond computes are the same code: a bond's members are a select (or
 * fast_failover) group's buckets.
 *
 * In shared memory the primary publishes each group as one immutable
 * struct sl_group in hugepage memory (struct sl_group_zone, memzone
 * SL_GROUP_ZONE): a change is a new struct whose pointer replaces the old
 * one, freed after an RCU grace period; flows name groups by slot.
 */
#ifndef SL_GROUP_H
#define SL_GROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "flow.h"

#define SL_MAX_GROUPS 128        /* group slots in the data plane */
#define SL_GROUP_MAX_BUCKETS 16
#define SL_GROUP_ZONE "sl_groups"
#define SL_GROUP_TEXT_MAX 8192

enum sl_group_type {
	SL_GROUP_ALL = 1,
	SL_GROUP_SELECT,
	SL_GROUP_INDIRECT,
	SL_GROUP_FF, /* fast_failover */
};

/* Fields a select group hashes (selection_method=hash,fields(...)). */
enum sl_hash_field {
	SL_HF_ETH_SRC = 1 << 0,
	SL_HF_ETH_DST = 1 << 1,
	SL_HF_ETH_TYPE = 1 << 2,
	SL_HF_VLAN_TCI = 1 << 3,
	SL_HF_IP_SRC = 1 << 4,
	SL_HF_IP_DST = 1 << 5,
	SL_HF_NW_PROTO = 1 << 6,
	SL_HF_TP_SRC = 1 << 7,
	SL_HF_TP_DST = 1 << 8,
	SL_HF_IN_PORT = 1 << 9,
};

/* The default of a select group: the 5-tuple. */
#define SL_HF_FIVE_TUPLE (SL_HF_IP_SRC | SL_HF_IP_DST | SL_HF_NW_PROTO | SL_HF_TP_SRC | SL_HF_TP_DST)

#define SL_WATCH_NONE 0 /* a bucket with no watch port */

struct sl_bucket {
	uint16_t weight;     /* select: its share of the traffic (1 unless given, as in OVS) */
	uint16_t watch_port; /* fast_failover: the bucket is live while this port is */
	struct sl_actions actions;
};

struct sl_group {
	uint32_t id;
	uint8_t type;      /* enum sl_group_type */
	uint8_t n_buckets;
	uint8_t hash_method; /* selection_method=hash was given */
	uint8_t pad;
	uint32_t fields;     /* enum sl_hash_field bits: fields(...) given; 0: the 5-tuple */
	struct sl_bucket b[SL_GROUP_MAX_BUCKETS];
};

/* Per worker, group slot and bucket (index SL_GROUP_MAX_BUCKETS: the group). */
struct sl_group_counter {
	uint64_t packets;
	uint64_t bytes;
};

/* The memzone SL_GROUP_ZONE. */
struct sl_group_zone {
	/* P publishes (release store), W reads (acquire load); NULL: no group. */
	struct sl_group *slot[SL_MAX_GROUPS];
	/* W: each worker writes only its own (relaxed); P zeroes a slot's before reuse. */
	struct sl_group_counter cnt[SL_MAX_WORKERS][SL_MAX_GROUPS][SL_GROUP_MAX_BUCKETS + 1];
};

/* The hash a select group @g chooses by, of @key (its fields, or the 5-tuple). */
uint32_t sl_group_hash(const struct sl_group *g, const struct sl_flow_key *key);

/* The bucket of select group @g for @hash, by weight; -1 if no bucket has weight. */
int sl_group_select(const struct sl_group *g, uint32_t hash);

/* Check a group as OpenFlow does (buckets for its type, weights, watch ports); 0 or -EINVAL with @err. */
int sl_group_check(const struct sl_group *g, char *err, size_t errlen);

#endif /* SL_GROUP_H */
