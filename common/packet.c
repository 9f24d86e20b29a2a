/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frame -> flow key.  This runs once per received packet, so it is one
 * straight chain of bounds checks: each layer is decoded only when all of
 * its fixed header lies inside the frame, and stops the chain otherwise.
 * Nothing here allocates, logs or calls through a pointer.
 */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include "packet.h"

#define SL_ETH_HLEN 14
#define SL_VLAN_HLEN 4
#define SL_LLC_SNAP_HLEN 8
#define SL_ARP_LEN 28  /* Ethernet/IPv4 ARP body */
#define SL_IPV4_MIN_HLEN 20
#define SL_IPV6_HLEN 40

#define SL_ETH_TYPE_MIN 0x0600 /* below this the field is an 802.3 length */
#define SL_ETH_TYPE_NONE 0x05ff
#define SL_ETH_TYPE_IPV4 0x0800
#define SL_ETH_TYPE_ARP 0x0806
#define SL_ETH_TYPE_VLAN 0x8100
#define SL_ETH_TYPE_QINQ 0x88a8
#define SL_ETH_TYPE_IPV6 0x86dd

#define SL_IPV4_MF 0x2000
#define SL_IPV4_OFFSET 0x1fff

/* IP protocol numbers the parser looks into. */
enum {
	SL_PROTO_HOPOPTS = 0,
	SL_PROTO_ICMP = 1,
	SL_PROTO_TCP = 6,
	SL_PROTO_UDP = 17,
	SL_PROTO_ROUTING = 43,
	SL_PROTO_FRAGMENT = 44,
	SL_PROTO_AH = 51,
	SL_PROTO_ICMPV6 = 58,
	SL_PROTO_DSTOPTS = 60,
	SL_PROTO_SCTP = 132,
};

/* Host-order value of a big-endian 16-bit field (no alignment assumed). */
static inline uint16_t
sl_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* A 16-bit field copied as it sits in the packet (stays network order). */
static inline uint16_t
sl_raw16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * Ports (or ICMP type/code) of the L4 header at @ofs.  @end is the end of
 * the IP payload.  Returns @ofs if the header fitted, else 0, so the
 * caller can store it straight into l4_ofs.
 */
static inline uint16_t
sl_parse_l4(const uint8_t *data, uint32_t ofs, uint32_t end, struct sl_flow_key *key)
{
	const uint8_t *l4 = data + ofs;
	uint32_t room = end - ofs;

	switch (key->nw_proto) {
	case SL_PROTO_TCP:
		if (room < 20)
			return 0;
		break;
	case SL_PROTO_UDP:
		if (room < 8)
			return 0;
		break;
	case SL_PROTO_SCTP:
		if (room < 12)
			return 0;
		break;
	case SL_PROTO_ICMP:
	case SL_PROTO_ICMPV6:
		/* Type and code become the "ports", as OpenFlow 1.0 does. */
		if (room < 8)
			return 0;
		key->tp_src = htons(l4[0]);
		key->tp_dst = htons(l4[1]);
		return (uint16_t)ofs;
	default:
		return 0;
	}
	key->tp_src = sl_raw16(l4);
	key->tp_dst = sl_raw16(l4 + 2);
	return (uint16_t)ofs;
}

static inline void
sl_parse_arp(const uint8_t *p, uint32_t room, struct sl_flow_key *key)
{
	/* Only Ethernet/IPv4 ARP has addresses where we look for them. */
	if (room < SL_ARP_LEN || sl_rd16(p) != 1 || sl_rd16(p + 2) != SL_ETH_TYPE_IPV4 ||
	    p[4] != 6 || p[5] != 4)
		return;
	key->nw_proto = p[7]; /* opcode low byte; real opcodes are < 256 */
	memcpy(key->nw_src, p + 14, 4);
	memcpy(key->nw_dst, p + 24, 4);
	memcpy(key->nw_src + 4, p + 8, 6);  /* SHA */
	memcpy(key->nw_dst + 4, p + 18, 6); /* THA */
}

/* Returns the L4 offset, or 0 if none was parsed. */
static inline uint16_t
sl_parse_ipv4(const uint8_t *data, uint32_t ofs, uint32_t len, struct sl_flow_key *key)
{
	const uint8_t *ip = data + ofs;
	uint32_t hlen, tot_len, end = len;
	uint16_t frag;

	if (len - ofs < SL_IPV4_MIN_HLEN || (ip[0] >> 4) != 4)
		return 0;
	hlen = (ip[0] & 0x0f) * 4u;
	if (hlen < SL_IPV4_MIN_HLEN || len - ofs < hlen)
		return 0;

	key->nw_tos = ip[1];
	key->nw_ttl = ip[8];
	key->nw_proto = ip[9];
	memcpy(key->nw_src, ip + 12, 4);
	memcpy(key->nw_dst, ip + 16, 4);

	frag = sl_rd16(ip + 6);
	if (frag & (SL_IPV4_MF | SL_IPV4_OFFSET)) {
		key->nw_frag = SL_FRAG_ANY;
		if (frag & SL_IPV4_OFFSET) {
			key->nw_frag |= SL_FRAG_LATER;
			return 0;
		}
	}

	/*
	 * Trust the total length only to trim Ethernet padding; a larger
	 * value means a truncated capture, which still has its L4 header.
	 */
	tot_len = sl_rd16(ip + 2);
	if (tot_len >= hlen && tot_len < len - ofs)
		end = ofs + tot_len;
	return sl_parse_l4(data, ofs + hlen, end, key);
}

/*
 * Walk IPv6 extension headers from @ofs with next header @nh.  Leaves
 * key->nw_proto at the upper-layer protocol and returns its offset, or
 * returns 0 (nw_proto left 0) if the chain runs past @end.
 */
static inline uint32_t
sl_skip_ipv6_ext(const uint8_t *data, uint32_t ofs, uint32_t end, uint8_t nh,
		 struct sl_flow_key *key)
{
	for (;;) {
		const uint8_t *h = data + ofs;
		uint32_t hlen;

		switch (nh) {
		case SL_PROTO_HOPOPTS:
		case SL_PROTO_ROUTING:
		case SL_PROTO_DSTOPTS:
			if (end - ofs < 8)
				return 0;
			hlen = (h[1] + 1u) * 8;
			break;
		case SL_PROTO_AH:
			if (end - ofs < 8)
				return 0;
			hlen = (h[1] + 2u) * 4;
			break;
		case SL_PROTO_FRAGMENT:
			if (end - ofs < 8)
				return 0;
			key->nw_frag = SL_FRAG_ANY;
			if (sl_rd16(h + 2) & 0xfff8) {
				/* The rest is payload, not a header chain. */
				key->nw_frag |= SL_FRAG_LATER;
				key->nw_proto = h[0];
				return 0;
			}
			hlen = 8;
			break;
		default:
			key->nw_proto = nh;
			return ofs;
		}
		if (end - ofs < hlen)
			return 0;
		nh = h[0];
		ofs += hlen; /* every step is >= 8 bytes, so the loop ends */
	}
}

/* Returns the L4 offset, or 0 if none was parsed. */
static inline uint16_t
sl_parse_ipv6(const uint8_t *data, uint32_t ofs, uint32_t len, struct sl_flow_key *key)
{
	const uint8_t *ip = data + ofs;
	uint32_t plen, end = len, l4;

	if (len - ofs < SL_IPV6_HLEN || (ip[0] >> 4) != 6)
		return 0;

	key->nw_tos = (uint8_t)(ip[0] << 4 | ip[1] >> 4);
	key->nw_ttl = ip[7];
	{
		/* The flow label, network order, as the packet has it. */
		uint8_t label[4] = { 0, (uint8_t)(ip[1] & 0x0f), ip[2], ip[3] };

		memcpy(&key->ipv6_label, label, sizeof(label));
	}
	memcpy(key->nw_src, ip + 8, 16);
	memcpy(key->nw_dst, ip + 24, 16);

	/* Payload length 0 is a jumbogram; otherwise it only trims padding. */
	plen = sl_rd16(ip + 4);
	if (plen != 0 && plen < len - ofs - SL_IPV6_HLEN)
		end = ofs + SL_IPV6_HLEN + plen;

	l4 = sl_skip_ipv6_ext(data, ofs + SL_IPV6_HLEN, end, ip[6], key);
	if (l4 == 0)
		return 0;
	return sl_parse_l4(data, l4, end, key);
}

/*
 * Ethertype at @*ofs after any VLAN tags, advancing @*ofs past them and
 * an LLC/SNAP header.  The outermost tag goes to vlan_tci.  Returns 0 if
 * a tag or the type itself is cut off.
 */
static inline uint16_t
sl_parse_l2(const uint8_t *data, uint32_t len, uint32_t *ofs, struct sl_flow_key *key)
{
	uint32_t o = 12;
	uint16_t type = sl_rd16(data + o), tci = 0;

	if (type == SL_ETH_TYPE_VLAN || type == SL_ETH_TYPE_QINQ) {
		if (len - o < 2 + SL_VLAN_HLEN)
			return 0;
		/* Stored only once every tag fits, like the other layers. */
		tci = sl_rd16(data + o + 2) | SL_VLAN_CFI;
		o += SL_VLAN_HLEN;
		type = sl_rd16(data + o);
		/* Inner tags of a QinQ stack: skip, each check moves 4 bytes. */
		while (type == SL_ETH_TYPE_VLAN || type == SL_ETH_TYPE_QINQ) {
			if (len - o < 2 + SL_VLAN_HLEN)
				return 0;
			o += SL_VLAN_HLEN;
			type = sl_rd16(data + o);
		}
	}
	key->vlan_tci = tci;
	o += 2;

	if (type < SL_ETH_TYPE_MIN) {
		const uint8_t *llc = data + o;

		/* 802.2 SNAP with a zero OUI carries a real ethertype. */
		if (len - o >= SL_LLC_SNAP_HLEN && llc[0] == 0xaa && llc[1] == 0xaa &&
		    llc[2] == 0x03 && llc[3] == 0 && llc[4] == 0 && llc[5] == 0 &&
		    sl_rd16(llc + 6) >= SL_ETH_TYPE_MIN) {
			o += SL_LLC_SNAP_HLEN;
			type = sl_rd16(llc + 6);
		} else {
			type = SL_ETH_TYPE_NONE;
		}
	}
	*ofs = o;
	return type;
}

int
sl_parse(const uint8_t *data, uint32_t len, uint16_t in_port, struct sl_flow_key *key,
	     struct sl_layers *layers)
{
	struct sl_layers l = { 0, 0 };
	uint32_t ofs;

	memset(key, 0, sizeof(*key));
	key->in_port = in_port;
	/* Offsets are 16-bit; a longer frame is parsed as its first 64 KiB. */
	if (len > UINT16_MAX)
		len = UINT16_MAX;
	if (len < SL_ETH_HLEN) {
		if (layers)
			*layers = l;
		return -EINVAL;
	}

	memcpy(key->dl_dst, data, 6);
	memcpy(key->dl_src, data + 6, 6);
	key->dl_type = sl_parse_l2(data, len, &ofs, key);

	if (key->dl_type != 0) {
		l.l3_ofs = (uint16_t)ofs;
		if (key->dl_type == SL_ETH_TYPE_IPV4)
			l.l4_ofs = sl_parse_ipv4(data, ofs, len, key);
		else if (key->dl_type == SL_ETH_TYPE_IPV6)
			l.l4_ofs = sl_parse_ipv6(data, ofs, len, key);
		else if (key->dl_type == SL_ETH_TYPE_ARP)
			sl_parse_arp(data + ofs, len - ofs, key);
		else if (sl_eth_type_mpls(key->dl_type) && len - ofs >= 4)
			memcpy(&key->mpls_lse, data + ofs, 4); /* the top entry; no L3 below it */
	}
	if (layers)
		*layers = l;
	return 0;
}
