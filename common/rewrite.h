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

/* The Internet checksum of @n bytes (for tests and full recomputation). */
uint16_t sl_inet_csum(const uint8_t *p, uint32_t n, uint32_t sum);

#endif /* SL_REWRITE_H */
