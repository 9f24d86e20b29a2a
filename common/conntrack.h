/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection tracking, as Open vSwitch's userspace datapath has it: the
 * ct() action looks a packet up in a table of connections (one per zone),
 * may commit it there, and fills the ct_* fields that later tables match
 * (ct_state, ct_zone, ct_mark, ct_label, the original direction's tuple).
 *
 * This header is the plain-data part every process shares: the state bits,
 * the tuple and hash key of a connection, the per-protocol state machine
 * (pure functions: tests/unit/test_conntrack.c feeds them crafted
 * packets) and the layout of the table in hugepage memory.  The table
 * itself is an rte_hash (lock-free readers, several writers) created by
 * the primary (primary/conntrack.c) and used by every worker
 * (secondary/conntrack.c) through its *_with_hash calls only: the hash
 * function pointer in an rte_hash is the creating process's.
 */
#ifndef SL_CONNTRACK_H
#define SL_CONNTRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow.h"

/* ct_state bits, OVS's values. */
#define SL_CS_NEW 0x01
#define SL_CS_EST 0x02
#define SL_CS_REL 0x04
#define SL_CS_RPL 0x08
#define SL_CS_INV 0x10
#define SL_CS_TRK 0x20
#define SL_CS_SNAT 0x40
#define SL_CS_DNAT 0x80

/* One direction of a connection.  Ports in network order; ICMP echo
 * carries its identifier as both ports. */
struct sl_ct_tuple {
	uint8_t src[16]; /* IPv4 in [0..3] */
	uint8_t dst[16];
	uint16_t sport;
	uint16_t dport;
	uint16_t zone;
	uint8_t proto;
	uint8_t v6;
};

/* The rte_hash key: the tuple with its lower endpoint first, so that both
 * directions of a connection find the one entry.  48 bytes. */
struct sl_ct_key {
	uint8_t a[16];
	uint8_t b[16];
	uint16_t pa;
	uint16_t pb;
	uint16_t zone;
	uint8_t proto;
	uint8_t v6;
	uint8_t pad[8];
};
_Static_assert(sizeof(struct sl_ct_key) == 48, "conntrack key is 48 bytes");

/* Where a connection is in its protocol's life. */
enum sl_ct_pstate {
	SL_CTP_NONE = 0,
	SL_CTP_TCP_SYN_SENT,
	SL_CTP_TCP_SYN_RECV,
	SL_CTP_TCP_ESTABLISHED,
	SL_CTP_TCP_CLOSING, /* a FIN was seen */
	SL_CTP_TCP_CLOSED,  /* RST, or FINs both ways */
	SL_CTP_FIRST,       /* UDP, ICMP echo, other IP: orig packets only so far */
	SL_CTP_MULTIPLE,    /* ... and a reply was seen */
	SL_CTP_COUNT
};

/* What ct() reads from a packet. */
enum sl_ct_kind {
	SL_CTK_PLAIN,   /* a packet of its own connection */
	SL_CTK_RELATED, /* an ICMP error about the connection of @t */
	SL_CTK_INVALID, /* not trackable: fragment, truncated header */
	SL_CTK_NOT_IP,
};

struct sl_ct_pkt {
	struct sl_ct_tuple t;
	uint8_t kind;      /* enum sl_ct_kind */
	uint8_t tcp_flags; /* FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10 */
	uint8_t icmp_type; /* ICMP echo: its type */
};

#define SL_TCP_FIN 0x01
#define SL_TCP_SYN 0x02
#define SL_TCP_RST 0x04
#define SL_TCP_ACK 0x10

/*
 * One connection, at the position the rte_hash gave its key.  @used goes
 * 0 -> 2 (being filled by the committing worker) -> 1 (live, store-release);
 * the primary zeroes a deleted entry only after a grace period.  pstate,
 * last_s, mark and label are written by any worker with relaxed atomics.
 */
struct sl_ct_conn {
	uint32_t used;
	uint32_t hash;
	struct sl_ct_key key;
	struct sl_ct_tuple orig;
	uint8_t pstate;     /* enum sl_ct_pstate */
	uint8_t icmp_type;  /* ICMP echo: the original direction's type */
	uint16_t pad;
	uint32_t mark;
	uint64_t label[2];
	uint32_t created_s; /* coarse seconds (sl_shm.coarse_now_s) */
	uint32_t last_s;
};

/* Per-worker conntrack counters, one cache line each. */
struct sl_ct_wstats {
	uint64_t packets;   /* through ct() */
	uint64_t commits;   /* connections committed */
	uint64_t invalid;   /* +inv */
	uint64_t full;      /* commits refused: the table is full */
	uint64_t pad[4];
} __attribute__((aligned(64)));

#define SL_CT_ZONE_NAME "sluice_ct"
#define SL_CT_HASH_NAME "sluice_ct_hash"
#define SL_CT_MAX_CONNS 65536 /* connections the table holds */

struct rte_hash;

/* The memzone SL_CT_ZONE_NAME, made by the primary. */
struct sl_ct_zone {
	struct rte_hash *h;       /* P creates; everyone adds and looks up, P deletes */
	struct sl_ct_conn *conns; /* [n_pos], indexed by the key's hash position */
	uint32_t n_pos;
	uint32_t n_live;          /* P: counted at the last expiry scan */
	uint64_t expired;         /* P */
	uint64_t flushed;         /* P */
	struct sl_ct_wstats ws[SL_MAX_WORKERS];
};

/* Read what ct() needs from a parsed packet (@l4_ofs from sl_parse, 0 if
 * none) in zone @zone. */
void sl_ct_extract(const struct sl_flow_key *key, const uint8_t *pkt, uint32_t len,
		   uint16_t l4_ofs, uint16_t zone, struct sl_ct_pkt *out);

/* The hash key of the connection @t belongs to (either direction). */
void sl_ct_key_of(const struct sl_ct_tuple *t, struct sl_ct_key *k);

/* True if @t is the original direction of @c (false: the reply). */
bool sl_ct_is_orig(const struct sl_ct_conn *c, const struct sl_ct_tuple *t);

/* True if @p may start a connection (TCP: a SYN alone; ICMP: an echo request). */
bool sl_ct_valid_new(const struct sl_ct_pkt *p);

/* Fill @c for a connection that @p starts (key, orig, pstate, times). */
void sl_ct_conn_init(struct sl_ct_conn *c, const struct sl_ct_pkt *p, uint32_t now_s);

/*
 * Advance @c by packet @p (@reply: seen in the reply direction) and return
 * the state bits it gets, without SL_CS_TRK: NEW or EST, with RPL for a
 * reply, or INV for a packet the state machine does not expect.
 */
uint8_t sl_ct_conn_update(struct sl_ct_conn *c, const struct sl_ct_pkt *p, bool reply,
			  uint32_t now_s);

/* Seconds a connection in state @pstate lives without a packet. */
uint32_t sl_ct_timeout(uint8_t pstate);

/* The state machine's state by OVS's name ("ESTABLISHED", "SYN_SENT"...). */
const char *sl_ct_pstate_name(uint8_t pstate);

/* One line as ovs-appctl dpctl/dump-conntrack prints it; snprintf-style length. */
int sl_ct_conn_format(const struct sl_ct_conn *c, char *buf, size_t len);

/* Parse "+trk-new", "trk|est" or "0x21/0x21" into key and mask; 0 or -EINVAL. */
int sl_ct_state_parse(const char *s, uint8_t *key, uint8_t *mask);

/* Print a ct_state match as ovs-ofctl does ("+new+trk", "-trk"). */
int sl_ct_state_format(uint8_t key, uint8_t mask, char *buf, size_t len);

#endif /* SL_CONNTRACK_H */
