/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Header rewrites of the pipeline (set_field, mod_nw_*, mod_tp_*, dec_ttl)
 * on a frame in a flat buffer, keeping the IPv4 header checksum and the
 * TCP/UDP checksum right by incremental update (RFC 1624), and the flow
 * key in step with the bytes.  Plain C, no DPDK: the worker calls it on an
 * mbuf's data, the unit tests on random frames.
 */
#ifndef SL_REWRITE_H
#define SL_REWRITE_H

#include <stdbool.h>
#include <stdint.h>

#include "flow.h"
#include "packet.h"

/*
 * Write field @fld (an L3/L4 SL_FLD_*) of the frame @data (@len bytes,
 * layers as sl_parse found them) to @v (host order; for IPv6 addresses the
 * 16 bytes at @v6).  A field the packet does not have (an IPv4 field of an
 * IPv6 packet, ports of a later fragment) is left alone.  Returns 1 if the
 * frame changed, 0 if not.
 */
int sl_rewrite_l34(uint8_t *data, uint32_t len, const struct sl_layers *ly,
		   struct sl_flow_key *key, uint8_t fld, uint64_t v, const uint8_t *v6);

/*
 * dec_ttl: IPv4 TTL or IPv6 hop limit minus one.  Returns 0, or -1 if the
 * packet must be dropped (it arrived with TTL 0 or 1), or 1 if it has no
 * IP header (nothing done).
 */
int sl_rewrite_dec_ttl(uint8_t *data, uint32_t len, const struct sl_layers *ly,
		       struct sl_flow_key *key);

/* MPLS label stack entries a packet may have for push_mpls/pop_mpls (OVS's bound). */
#define SL_MPLS_MAX_LABELS 3

/*
 * set_mpls_label/tc/ttl: write part @fld (SL_FLD_MPLS_LABEL, _TC, _TTL) of
 * the outermost label stack entry of an MPLS frame.  Returns 1 if the
 * frame changed, 0 if it has no MPLS header.
 */
int sl_rewrite_mpls(uint8_t *data, uint32_t len, const struct sl_layers *ly, struct sl_flow_key *key,
		    uint8_t fld, uint64_t v);

/* dec_mpls_ttl: as sl_rewrite_dec_ttl, on the outer label stack entry. */
int sl_rewrite_dec_mpls_ttl(uint8_t *data, uint32_t len, const struct sl_layers *ly,
			    struct sl_flow_key *key);

/* The entry push_mpls puts on a packet of key @key (host order): a copy of
 * the outer one (not bottom of stack), else label 0 (IPv6: 2), TC from the
 * DSCP, the IP TTL (64 without IP), bottom of stack. */
uint32_t sl_mpls_push_lse(const struct sl_flow_key *key);

/*
 * push_mpls: @data is the frame's new start, 4 bytes before where it began
 * (the caller made room), @len its new length; @ly the layers as they were
 * found before.  Puts the new entry after the Ethernet header and VLAN
 * tags, sets the ethertype to @type and parses the frame again into @key
 * and @ly (L3 and L4 fields are gone: the packet is MPLS now).  Returns 0,
 * or -1 if the frame has no Ethernet header or already SL_MPLS_MAX_LABELS
 * entries (the caller drops it, as OVS does).
 */
int sl_rewrite_mpls_push(uint8_t *data, uint32_t len, struct sl_layers *ly, struct sl_flow_key *key,
			 uint16_t type);

/*
 * pop_mpls: remove the outer entry, set the ethertype to @type, and parse
 * what is left again (a packet popped to 0x0800 has its IPv4 fields back).
 * The frame then begins 4 bytes later (the caller trims them).  Returns 0,
 * 1 if the frame has no MPLS header (nothing done), or -1 if it has more
 * than SL_MPLS_MAX_LABELS entries (drop).
 */
int sl_rewrite_mpls_pop(uint8_t *data, uint32_t len, struct sl_layers *ly, struct sl_flow_key *key,
			uint16_t type);

/*
 * A pipeline's whole effect on a packet, compiled (the exact-match cache
 * and the megaflow cache keep one per cached pipeline run): final values
 * of the header fields it writes, the rules it passed (their counters),
 * and its one output.  Only what sl_xact_compile accepts: MAC, IPv4 and
 * TCP/UDP port writes and dec_ttl on an unfragmented IPv4 packet, then
 * one output.  Applying it costs a few stores and two checksum additions:
 * the checksum deltas are a function of the old and new field values,
 * precomputed when the key is exact (SL_XA_DELTAS), else summed from the
 * packet's key.  48 bytes: it shares a cache line with the EMC entry's
 * rule.
 */
#define SL_XACT_RULES 3

#define SL_XA_VALID 0x0001
#define SL_XA_DL_DST 0x0002
#define SL_XA_DL_SRC 0x0004
#define SL_XA_DSCP 0x0008   /* tos bits 0xfc */
#define SL_XA_ECN 0x0010    /* tos bits 0x03 */
#define SL_XA_TTL 0x0020
#define SL_XA_NW_SRC 0x0040
#define SL_XA_NW_DST 0x0080
#define SL_XA_TP_SRC 0x0100
#define SL_XA_TP_DST 0x0200
#define SL_XA_TCP 0x0400    /* the L4 checksum to keep is TCP's */
#define SL_XA_UDP 0x0800    /* ... UDP's */
#define SL_XA_TAGGED 0x1000 /* one VLAN tag: L3 at 18, not 14 */
#define SL_XA_DELTAS 0x2000 /* ip_delta, l4_delta hold (compiled for one exact key) */
#define SL_XA_NORMAL 0x4000 /* not a compiled run: an EMC entry's NORMAL decision (emc.h) */
#define SL_XA_L3 (SL_XA_DSCP | SL_XA_ECN | SL_XA_TTL | SL_XA_NW_SRC | SL_XA_NW_DST | \
		  SL_XA_TP_SRC | SL_XA_TP_DST)

struct sl_xact {
	uint32_t rule[SL_XACT_RULES]; /* ids of the rules counted, in order */
	uint16_t flags;               /* SL_XA_* */
	uint16_t out;                 /* ofport */
	uint16_t tp_src, tp_dst;      /* network order */
	uint16_t ip_delta, l4_delta;  /* SL_XA_DELTAS: sums of ~old + new, folded */
	uint8_t nw_src[4], nw_dst[4];
	uint8_t dl_dst[6], dl_src[6];
	uint8_t n_rules;
	uint8_t n_miss; /* table misses on the way (counted as such) */
	uint8_t tos;    /* under the DSCP/ECN bits */
	uint8_t ttl;
};
_Static_assert(sizeof(struct sl_xact) == 48, "sl_xact must stay 48 bytes");

/*
 * Compile what @n packet actions @dp (field writes with their final
 * values, dec_ttl, MAC writes, one output last: a pipeline's compiled
 * form) do to a packet of key @key, with @rules (ids, @n_rules of them)
 * and @n_miss table misses counted on the way.  With @exact the result
 * is for @key alone (its checksum deltas precomputed); without, for every
 * key that agrees with @key on dl_type, nw_proto, nw_frag and vlan_tci
 * and on what the writes do not overwrite but depend on (the megaflow
 * mask has them).  Returns false if the actions are not of the kinds it
 * compiles, or the packet would be dropped (dec_ttl at TTL 1 or 0).
 */
bool sl_xact_compile(struct sl_xact *x, const struct sl_action *dp, unsigned int n,
		     const struct sl_flow_key *key, const uint32_t *rules, unsigned int n_rules,
		     unsigned int n_miss, bool exact);

/*
 * Apply @x's header writes to the frame @data (@len bytes) whose parsed
 * key is @key.  Returns 0, or -1 if the frame's layout is not the one @x
 * was compiled for (another VLAN depth, IP options that push L4 out of
 * the frame, a truncated header): then nothing was written and the
 * caller takes the general path.
 */
int sl_xact_apply(const struct sl_xact *x, const struct sl_flow_key *key, uint8_t *data,
		  uint32_t len);

/* The Internet checksum of @n bytes (for tests and full recomputation). */
uint16_t sl_inet_csum(const uint8_t *p, uint32_t n, uint32_t sum);

#endif /* SL_REWRITE_H */
