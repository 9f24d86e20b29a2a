/* SPDX-License-Identifier: BSD-3-Clause */
/* Packet parsing into a flow key.  Never reads past @len. */
#ifndef SL_PACKET_H
#define SL_PACKET_H

#include "flow.h"

/* Bytes from a frame's start that hold every header the parser reads but
 * for a long IPv6 extension chain (which is parsed as far as it goes). */
#define SL_PARSE_HDR_MAX 256

/* Where the parser found each layer (offsets from the frame start). */
struct sl_layers {
	uint16_t l3_ofs; /* first byte after Ethernet + VLAN tag(s) */
	uint16_t l4_ofs; /* 0 if no L4 header was parsed */
};

/*
 * Parse @len bytes of an Ethernet frame that arrived on @in_port into @key
 * (fully written, unused fields zero).  Truncated headers are parsed as far
 * as they go: fields of a layer that does not fit stay zero, and a runt
 * shorter than an Ethernet header yields dl_type 0.  Returns 0, or -EINVAL
 * for a runt (the key is still valid to look up).  @layers may be NULL.
 */
int sl_parse(const uint8_t *data, uint32_t len, uint16_t in_port, struct sl_flow_key *key,
	     struct sl_layers *layers);

#endif /* SL_PACKET_H */
