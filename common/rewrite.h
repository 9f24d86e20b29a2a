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

/* The Internet checksum of @n bytes (for tests and full recomputation). */
uint16_t sl_inet_csum(const uint8_t *p, uint32_t n, uint32_t sum);

#endif /* SL_REWRITE_H */
