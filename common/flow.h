/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow key, match, actions and rules: the vocabulary shared by the packet
 * parser, the classifier, the exact-match cache, the flow-syntax parser and
 * the control plane.  Everything here is plain data (no pointers) so it can
 * live in shared memory and be copied between processes.
 */
#ifndef SL_FLOW_H
#define SL_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SL_MAX_PORTS 32      /* port slots in shared memory */
#define SL_MAX_WORKERS 8     /* worker slots */
#define SL_OFPORT_MAX 0xfeff /* highest ofport a user may give (OFPP_MAX - 1) */
#define SL_OFPORT_NONE 0
/* The bridge's own port (OpenFlow's OFPP_LOCAL, OVS's Port br0 of type
 * internal): the port named after the bridge (SL_BRIDGE_NAME) has it. */
#define SL_OFPP_LOCAL 0xfffe
#define SL_MAX_ACTIONS 16
#define SL_PORT_NAME_LEN 32
#define SL_MAX_RXQ 64        /* rx queues of one port, and that one worker may poll */
#define SL_MTU_MIN 68        /* Open vSwitch's bounds for mtu_request */
#define SL_MTU_MAX 9702
#define SL_DEVARGS_MAX 512   /* devargs, with the terminating NUL */
#define SL_METER_ID_MAX 0xffff0000u /* highest OpenFlow meter id (OFPM13_MAX) */
#define SL_GROUP_ID_MAX 0xffffff00u /* highest OpenFlow group id (OFPG_MAX) */

/*
 * What the parser extracts from a packet; what rules match on.
 * 64 bytes, read as 8 uint64_t words by the classifier and the cache.
 * Multi-byte fields are in network byte order except in_port and
 * vlan_tci/dl_type, which are host order (they are compared, not hashed
 * against packet bytes, and host order keeps the syntax code simple).
 *
 * IPv4 addresses sit in the first 4 bytes of nw_src/nw_dst; IPv6 uses all
 * 16.  ARP puts SPA/TPA in nw_src/nw_dst and the opcode in nw_proto, as
 * Open vSwitch does, and SHA/THA after them (nw_src[4..9], nw_dst[4..9]:
 * room an IPv4 address leaves free).  ICMP puts type/code in tp_src/tp_dst.
 */
struct sl_flow_key {
	uint16_t in_port;  /* ofport the packet arrived on */
	uint16_t dl_type;  /* host order; 0x05ff for 802.2 frames */
	uint16_t vlan_tci; /* host order; SL_VLAN_CFI set iff tagged */
	uint8_t nw_proto;
	uint8_t nw_tos;     /* DSCP+ECN byte (IPv6: traffic class) */
	uint8_t dl_dst[6];
	uint8_t dl_src[6];
	uint16_t tp_src;    /* network order */
	uint16_t tp_dst;    /* network order */
	uint8_t nw_frag;    /* SL_FRAG_* bits */
	uint8_t nw_ttl;
	uint8_t pad[2];
	/* The IPv6 flow label (20 bits), or, when dl_type is 0x8847/0x8848, the
	 * packet's outermost MPLS label stack entry (label:20 tc:3 bos:1
	 * ttl:8): a packet with MPLS on top has no parsed L3, so the entry
	 * reuses this room rather than growing the key.  Network order. */
	union {
		uint32_t ipv6_label;
		uint32_t mpls_lse;
	};
	uint8_t nw_src[16]; /* IPv4 in [0..3], network order */
	uint8_t nw_dst[16];
} __attribute__((aligned(8)));

#define SL_FLOW_KEY_WORDS (sizeof(struct sl_flow_key) / sizeof(uint64_t))
_Static_assert(sizeof(struct sl_flow_key) == 64, "flow key must be 64 bytes");

#define SL_VLAN_CFI 0x1000   /* "tag present" bit in vlan_tci, as in OVS */
#define SL_VLAN_VID_MASK 0x0fff
#define SL_VLAN_PCP_SHIFT 13

/* Parts of an MPLS label stack entry (host order, after ntohl). */
#define SL_MPLS_LABEL_SHIFT 12
#define SL_MPLS_LABEL_MASK 0xfffff000u
#define SL_MPLS_TC_SHIFT 9
#define SL_MPLS_TC_MASK 0x00000e00u
#define SL_MPLS_BOS_SHIFT 8
#define SL_MPLS_BOS_MASK 0x00000100u
#define SL_MPLS_TTL_MASK 0x000000ffu
#define SL_ETH_TYPE_MPLS 0x8847  /* unicast */
#define SL_ETH_TYPE_MPLSM 0x8848 /* multicast */

static inline bool
sl_eth_type_mpls(uint16_t type)
{
	return type == SL_ETH_TYPE_MPLS || type == SL_ETH_TYPE_MPLSM;
}

#define SL_FRAG_ANY 0x01   /* packet is an IP fragment */
#define SL_FRAG_LATER 0x02 /* ... and not the first one (no L4 header) */

/*
 * What the pipeline carries with a packet besides its headers: the
 * OpenFlow metadata and the sixteen 32-bit registers (zero when the packet
 * enters table 0), and the table a rule lives in.  Rules match on it with
 * masks; it is never part of the exact-match cache's key, which is always
 * the packet's key as received (registers then are all zero).
 */
struct sl_flow_meta {
	uint64_t metadata; /* host order */
	uint32_t reg[16];  /* host order */
	uint8_t table;     /* rule's table (its mask 0xff in every flow, 0 in a match that spans tables) */
	uint8_t pad;
	/* The port of the output in the action set (write_actions), 0 when there
	 * is none or a group overrides it (OVS's OFPP_UNSET); reserved ports
	 * there (IN_PORT, NORMAL, ...) as OpenFlow 1.0 numbers them (0xfff8..). */
	uint16_t actset_output;
	uint32_t pkt_mark; /* OVS's packet mark: pipeline state, never sent */
	/* Connection tracking (common/conntrack.h): what the last ct() found
	 * for the packet; all zero (untracked) before one and after ct_clear. */
	uint8_t ct_state;    /* SL_CS_* */
	uint8_t ct_nw_proto; /* of the connection's original direction */
	uint16_t ct_zone;
	uint32_t ct_mark;
	uint16_t ct_tp_src;  /* original direction, network order */
	uint16_t ct_tp_dst;
	uint32_t ct_pad;
	uint64_t ct_label[2];   /* bits 0..63, bits 64..127 */
	uint8_t ct_nw_src[16];  /* original direction; IPv4 in [0..3], as in the key */
	uint8_t ct_nw_dst[16];
} __attribute__((aligned(8)));

#define SL_META_WORDS (sizeof(struct sl_flow_meta) / sizeof(uint64_t))
_Static_assert(sizeof(struct sl_flow_meta) == 144, "flow meta must be 144 bytes");

#define SL_N_REGS 16
#define SL_MAX_TABLES 254  /* tables 0..253, as OpenFlow's OFPTT_MAX */
#define SL_MAX_RESUBMIT 64 /* resubmit/goto depth of one packet (OVS's bound) */

/*
 * A masked match: key bits are zero wherever mask bits are zero.  mkey/mmask
 * match the pipeline state (registers, metadata) and name the table.
 */
struct sl_match {
	struct sl_flow_key key;
	struct sl_flow_key mask;
	struct sl_flow_meta mkey;
	struct sl_flow_meta mmask;
};

enum sl_action_type {
	SL_ACT_OUTPUT = 1,   /* arg = ofport */
	SL_ACT_NORMAL,       /* L2 learning switch */
	SL_ACT_FLOOD,        /* all ports but the input port */
	SL_ACT_ALL,          /* all ports but the input port (no STP here) */
	SL_ACT_IN_PORT,      /* back out of the input port */
	SL_ACT_SET_VLAN_VID, /* arg = vid; pushes a tag if there is none */
	SL_ACT_SET_VLAN_PCP, /* arg = pcp; pushes a tag if there is none */
	SL_ACT_STRIP_VLAN,
	SL_ACT_PUSH_VLAN,    /* arg = tpid (0x8100 or 0x88a8) */
	SL_ACT_SET_DL_SRC,   /* mac */
	SL_ACT_SET_DL_DST,   /* mac */
	SL_ACT_METER,        /* id (sl_action_u32) = OpenFlow meter id; arg = its slot in
			      * the data plane's meter table, bound by the primary */
	SL_ACT_GROUP,        /* id (sl_action_u32) = OpenFlow group id; arg = its slot in
			      * the data plane's group table (common/group.h), bound by the primary */
	/* The pipeline: actions that need more than one table or carry state. */
	SL_ACT_RESUBMIT,     /* arg = table (0xff: this one), arg2 = in_port (0: the packet's) */
	SL_ACT_GOTO_TABLE,   /* arg = table; runs after the rest of the list (an instruction) */
	SL_ACT_SET_FIELD,    /* field, val (u64 or 16 bytes); SL_AF_MASKED: u64 mask at val + 8 */
	SL_ACT_LOAD,         /* field[ofs..ofs+nbits) = u64 at val */
	SL_ACT_MOVE,         /* field[ofs..+nbits) = field2[ofs2..+nbits) */
	SL_ACT_WRITE_METADATA, /* metadata = (metadata & ~mask) | value: u64 value, u64 mask at val */
	SL_ACT_WRITE_ACTIONS,  /* arg2 = number of actions after it that form the set to write */
	SL_ACT_CLEAR_ACTIONS,
	SL_ACT_CLONE,        /* arg2 = number of actions after it run on a copy of the state */
	SL_ACT_DEC_TTL,      /* IPv4 TTL / IPv6 hop limit - 1; at 0 (or 1) the packet is dropped */
	SL_ACT_OUTPUT_TRUNC, /* output(port=arg,max_len=arg2) */
	SL_ACT_EXIT,         /* stop every action list of the pipeline; the action set still runs */
	/* Actions that leave the packet as it is, as they do in OVS: */
	SL_ACT_NOTE,         /* note:HEX: arg = bytes (at most 16, in val) */
	SL_ACT_CT_CLEAR,     /* the packet becomes untracked: ct_* fields zero */
	SL_ACT_DEBUG_RECIRC, /* OVS re-runs its datapath lookup: same result */
	SL_ACT_DEBUG_SLOW,   /* OVS takes its slow path: same result */
	/* Connection tracking (common/conntrack.h): ct(commit,force,zone=,table=,exec()).
	 * arg = table to continue in (SL_CT_NO_TABLE: none); arg2 = number of
	 * exec actions after it; flags SL_CTF_*; zone: u16 in val[0..1], or,
	 * with field != 0, field[ofs..ofs+nbits) (a register). */
	SL_ACT_CT,
	/* MPLS (set_mpls_label/tc/ttl are set_field on the SL_FLD_MPLS_* fields). */
	SL_ACT_PUSH_MPLS,    /* arg = ethertype (0x8847 or 0x8848) */
	SL_ACT_POP_MPLS,     /* arg = ethertype of what the popped entry carried */
	SL_ACT_DEC_MPLS_TTL, /* outer entry's TTL - 1; at 0 or 1 the packet is dropped */
	/* Queues: sluice's ports have no QoS queues (as OVS-DPDK's egress-policer
	 * has none), so a queue selects nothing: set_queue and pop_queue leave the
	 * packet as it is, enqueue outputs it. */
	SL_ACT_SET_QUEUE,    /* id (sl_action_u32) = queue */
	SL_ACT_POP_QUEUE,
	SL_ACT_ENQUEUE,      /* arg = ofport, id (sl_action_u32) = queue */
	SL_ACT_FIN_TIMEOUT,  /* arg = idle, arg2 = hard timeout (s) the rule gets on a TCP FIN/RST */
	/* A packet-in (common/packet_in.h): a copy of the packet, at most arg
	 * (max_len) bytes of it, with its metadata, for the controller channel;
	 * arg2 = controller id, field = reason (SL_PIN_*), nbits = bytes of
	 * userdata in val (at most 16).  output:CONTROLLER is this action. */
	SL_ACT_CONTROLLER,
	SL_ACT_COUNT
};

/*
 * One action.  @field/@ofs/@nbits name a field and bit range (see
 * sl_fld); @val holds a value in host order as a u64 (or 16 bytes,
 * network order, for IPv6 addresses).
 */
struct sl_action {
	uint16_t type; /* enum sl_action_type */
	uint16_t arg;
	uint8_t mac[6];
	uint8_t field;  /* destination field (SL_FLD_*) */
	uint8_t ofs;    /* first bit */
	uint8_t nbits;  /* bits; 0: the whole field */
	uint8_t field2; /* move: source field */
	uint8_t ofs2;   /* move: source's first bit */
	uint8_t flags;  /* SL_AF_* */
	uint16_t arg2;
	uint8_t val[16];
};

/*
 * The fields that actions may write (set_field, load, move), in one
 * numbering shared by parser, printer and data plane.
 */
enum sl_fld {
	SL_FLD_NONE = 0,
	SL_FLD_REG0,                       /* .. SL_FLD_REG0 + 15 */
	SL_FLD_METADATA = SL_FLD_REG0 + SL_N_REGS,
	SL_FLD_IN_PORT,
	SL_FLD_ETH_SRC,
	SL_FLD_ETH_DST,
	SL_FLD_VLAN_TCI,
	SL_FLD_VLAN_VID,
	SL_FLD_VLAN_PCP,
	SL_FLD_IP_SRC,
	SL_FLD_IP_DST,
	SL_FLD_IP_DSCP,  /* the 6 DSCP bits, as a number 0..63 */
	SL_FLD_NW_TOS,   /* DSCP in the upper 6 bits of the byte (ECN bits 0) */
	SL_FLD_IP_ECN,
	SL_FLD_NW_TTL,
	SL_FLD_TP_SRC,
	SL_FLD_TP_DST,
	SL_FLD_IPV6_SRC,
	SL_FLD_IPV6_DST,
	SL_FLD_PKT_MARK, /* pipeline state, like a register */
	/* Connection tracking: ct_mark and ct_label are written only inside
	 * ct(exec(...)); the others are read-only (move sources). */
	SL_FLD_CT_MARK,
	SL_FLD_CT_LABEL, /* 128 bits; load/move of at most 64 of them */
	SL_FLD_CT_STATE,
	SL_FLD_CT_ZONE,
	SL_FLD_MPLS_LABEL, /* the outer label stack entry's parts */
	SL_FLD_MPLS_TC,
	SL_FLD_MPLS_TTL,
	SL_FLD_COUNT
};

/*
 * Actions with a 32-bit argument (meter:N) keep it in the bytes that mac[]
 * holds for the others, so that an action stays 10 bytes.
 */
static inline uint32_t
sl_action_u32(const struct sl_action *a)
{
	uint32_t v;

	memcpy(&v, a->mac, sizeof(v));
	return v;
}

static inline void
sl_action_set_u32(struct sl_action *a, uint32_t v)
{
	memcpy(a->mac, &v, sizeof(v));
}

#define SL_AF_MASKED 0x01 /* set_field: only the bits of the mask at val + 8 */
#define SL_CTF_COMMIT 0x01 /* ct: commit the connection */
#define SL_CTF_FORCE 0x02  /* ct: a connection seen from its reply side starts again */
#define SL_CT_NO_TABLE 0xffff /* ct without table=: no recirculation */
#define SL_RESUBMIT_HERE 0xff /* resubmit's table: the one the rule is in */
#define SL_CONTROLLER_MAX_LEN_ALL 0xffff /* controller's default max_len: the whole packet */
#define SL_OFPP_CONTROLLER 0xfffd /* the controller's port, as OpenFlow 1.0 numbers it */

/* Why a packet-in was sent, numbered as OpenFlow 1.3's ofp_packet_in_reason (OVS's names). */
enum sl_pin_reason {
	SL_PIN_NO_MATCH = 0,
	SL_PIN_ACTION = 1,
	SL_PIN_INVALID_TTL = 2,
	SL_PIN_ACTION_SET = 3,
	SL_PIN_GROUP = 4,
	SL_PIN_PACKET_OUT = 5,
	SL_PIN_N_REASONS
};

/* "action", "no_match", ... ; NULL for a reason out of range. */
const char *sl_pin_reason_name(unsigned int reason);

_Static_assert(SL_FLD_COUNT < 256, "field ids fit a byte");

static inline uint64_t
sl_action_u64(const struct sl_action *a, unsigned int i)
{
	uint64_t v;

	memcpy(&v, a->val + 8 * i, sizeof(v));
	return v;
}

static inline void
sl_action_set_u64(struct sl_action *a, unsigned int i, uint64_t v)
{
	memcpy(a->val + 8 * i, &v, sizeof(v));
}

/* An action list; n == 0 means drop. */
struct sl_actions {
	uint16_t n;
	struct sl_action a[SL_MAX_ACTIONS];
};

/* One rule as the user wrote it (after parsing and port resolution).  Its
 * table is match.mkey.table. */
struct sl_flow {
	struct sl_match match;
	uint32_t priority; /* 0..65535, default 32768 */
	uint64_t cookie;
	/* Selecting flows (del-flows, mod-flows, dump-flows): only the cookie
	 * bits set here must equal @cookie.  0 in a flow that is added. */
	uint64_t cookie_mask;
	bool set_cookie; /* mod-flows: cookie=V without a mask gives the flows cookie V */
	uint16_t idle_timeout; /* seconds without a packet before it expires; 0: never */
	uint16_t hard_timeout; /* seconds after it was added; 0: never */
	uint16_t importance;   /* OpenFlow 1.4 eviction importance: kept and shown (no eviction here) */
	struct sl_actions actions;
};

#define SL_FLOW_DEFAULT_PRIORITY 32768

/*
 * Bytes of a flow whose action list holds @n actions: the flow up to its
 * last action.  Tables keep rules at this size (most have one or two of
 * the SL_MAX_ACTIONS slots), so such a rule is read field by field or
 * copied with sl_flow_copy(), never assigned as a whole struct.
 */
static inline size_t
sl_flow_size(unsigned int n)
{
	return offsetof(struct sl_flow, actions.a) + (size_t)n * sizeof(struct sl_action);
}

/* *@dst = *@src, up to @src's last action (the slots after it are left as they were). */
static inline void
sl_flow_copy(struct sl_flow *dst, const struct sl_flow *src)
{
	memcpy(dst, src, sl_flow_size(src->actions.n));
}

/* Same actions, in the same order. */
static inline bool
sl_actions_equal(const struct sl_actions *a, const struct sl_actions *b)
{
	return a->n == b->n && memcmp(a->a, b->a, a->n * sizeof(a->a[0])) == 0;
}

/* Make key bits outside the mask zero; call after editing a match. */
void sl_match_normalize(struct sl_match *m);

/* True if @key (a packet's full key) is matched by @m. */
bool sl_match_matches(const struct sl_match *m, const struct sl_flow_key *key);

/* True if @m (normalized or not) matches @key with pipeline state @meta; the table is not compared. */
bool sl_match_matches_meta(const struct sl_match *m, const struct sl_flow_key *key,
			   const struct sl_flow_meta *meta);

/* True if two matches have the same mask and masked key. */
bool sl_match_equal(const struct sl_match *a, const struct sl_match *b);

#endif /* SL_FLOW_H */
