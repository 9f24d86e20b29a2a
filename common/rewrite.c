/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Incremental checksum update, RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'),
 * folded in ones' complement, 16 bits at a time.  An address change is the
 * sum of its 16-bit halves; it touches the IPv4 header checksum and, as
 * part of the pseudo-header, the TCP or UDP checksum.  A UDP checksum of 0
 * means "none" and stays 0; one that comes out 0 is sent as 0xffff.
 */
#include <arpa/inet.h>
#include <string.h>

#include "rewrite.h"

#define SL_IPPROTO_TCP 6
#define SL_IPPROTO_UDP 17

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/*
 * Checksum @csum (as stored) after @n bytes (n even, at most 16) changed
 * from @old to @new: ~(~HC + sum of ~m + sum of m'), folded once at the
 * end (the sum of 17 16-bit terms cannot overflow 32 bits).
 */
static inline uint16_t
csum_update(uint16_t csum, const uint8_t *old, const uint8_t *new, unsigned int n)
{
	uint32_t s = (uint16_t)~csum;

	for (unsigned int i = 0; i < n; i += 2)
		s += (uint16_t)~rd16(old + i) + (uint32_t)rd16(new + i);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

uint16_t
sl_inet_csum(const uint8_t *p, uint32_t n, uint32_t sum)
{
	uint32_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += rd16(p + i);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Where the L4 checksum sits, or NULL if the packet has none we keep. */
static uint8_t *
l4_csum(uint8_t *data, uint32_t len, const struct sl_layers *ly, const struct sl_flow_key *key)
{
	uint32_t at;

	if (ly->l4_ofs == 0 || (key->nw_frag & SL_FRAG_LATER))
		return NULL;
	if (key->nw_proto == SL_IPPROTO_TCP)
		at = ly->l4_ofs + 16u;
	else if (key->nw_proto == SL_IPPROTO_UDP)
		at = ly->l4_ofs + 6u;
	else
		return NULL;
	return at + 2 <= len ? data + at : NULL;
}

/* Update the L4 checksum for bytes @old -> @new of the header or pseudo-header. */
static void
l4_update(uint8_t *c, const struct sl_flow_key *key, const uint8_t *old, const uint8_t *new,
	  unsigned int n)
{
	uint16_t v;

	if (c == NULL)
		return;
	v = rd16(c);
	if (key->nw_proto == SL_IPPROTO_UDP && v == 0)
		return; /* no checksum */
	v = csum_update(v, old, new, n);
	if (key->nw_proto == SL_IPPROTO_UDP && v == 0)
		v = 0xffff;
	wr16(c, v);
}

static bool
is_ipv4(const struct sl_flow_key *key, const struct sl_layers *ly, uint32_t len)
{
	return key->dl_type == 0x0800 && ly->l3_ofs + 20u <= len;
}

static bool
is_ipv6(const struct sl_flow_key *key, const struct sl_layers *ly, uint32_t len)
{
	return key->dl_type == 0x86dd && ly->l3_ofs + 40u <= len;
}

/* Rewrite the IPv4 TOS byte, keeping the bits outside @mask. */
static int
set_tos(uint8_t *data, const struct sl_layers *ly, struct sl_flow_key *key, uint8_t bits,
	uint8_t mask, bool v4)
{
	uint8_t *ip = data + ly->l3_ofs;

	if (v4) {
		uint8_t old[2] = { ip[0], ip[1] }, new[2] = { ip[0], (uint8_t)((ip[1] & ~mask) | bits) };

		if (new[1] == ip[1])
			return 0;
		wr16(ip + 10, csum_update(rd16(ip + 10), old, new, 2));
		ip[1] = new[1];
		key->nw_tos = new[1];
		return 1;
	}
	/* IPv6 traffic class: bits 4..11 of the first word; no header checksum. */
	uint8_t tc = (uint8_t)((ip[0] << 4) | (ip[1] >> 4));

	tc = (uint8_t)((tc & ~mask) | bits);
	ip[0] = (uint8_t)((ip[0] & 0xf0) | (tc >> 4));
	ip[1] = (uint8_t)((ip[1] & 0x0f) | (uint8_t)(tc << 4));
	key->nw_tos = tc;
	return 1;
}

int
sl_rewrite_l34(uint8_t *data, uint32_t len, const struct sl_layers *ly, struct sl_flow_key *key,
	       uint8_t fld, uint64_t v, const uint8_t *v6)
{
	bool v4 = is_ipv4(key, ly, len), ip6 = is_ipv6(key, ly, len);
	uint8_t *ip = data + ly->l3_ofs, *c = l4_csum(data, len, ly, key);
	uint8_t nb[4];

	switch (fld) {
	case SL_FLD_IP_SRC:
	case SL_FLD_IP_DST: {
		uint8_t *a = ip + (fld == SL_FLD_IP_SRC ? 12 : 16);

		if (!v4)
			return 0;
		nb[0] = (uint8_t)(v >> 24), nb[1] = (uint8_t)(v >> 16);
		nb[2] = (uint8_t)(v >> 8), nb[3] = (uint8_t)v;
		wr16(ip + 10, csum_update(rd16(ip + 10), a, nb, 4));
		l4_update(c, key, a, nb, 4);
		memcpy(a, nb, 4);
		memcpy(fld == SL_FLD_IP_SRC ? key->nw_src : key->nw_dst, nb, 4);
		return 1;
	}
	case SL_FLD_IPV6_SRC:
	case SL_FLD_IPV6_DST: {
		uint8_t *a = ip + (fld == SL_FLD_IPV6_SRC ? 8 : 24);

		if (!ip6)
			return 0;
		l4_update(c, key, a, v6, 16);
		memcpy(a, v6, 16);
		memcpy(fld == SL_FLD_IPV6_SRC ? key->nw_src : key->nw_dst, v6, 16);
		return 1;
	}
	case SL_FLD_IP_DSCP:
		return v4 || ip6 ? set_tos(data, ly, key, (uint8_t)(v << 2), 0xfc, v4) : 0;
	case SL_FLD_NW_TOS:
		return v4 || ip6 ? set_tos(data, ly, key, (uint8_t)(v & 0xfc), 0xfc, v4) : 0;
	case SL_FLD_IP_ECN:
		return v4 || ip6 ? set_tos(data, ly, key, (uint8_t)(v & 3), 0x03, v4) : 0;
	case SL_FLD_NW_TTL:
		if (v4) {
			uint8_t old[2] = { ip[8], ip[9] }, new[2] = { (uint8_t)v, ip[9] };

			wr16(ip + 10, csum_update(rd16(ip + 10), old, new, 2));
			ip[8] = (uint8_t)v;
		} else if (ip6) {
			ip[7] = (uint8_t)v;
		} else {
			return 0;
		}
		key->nw_ttl = (uint8_t)v;
		return 1;
	case SL_FLD_TP_SRC:
	case SL_FLD_TP_DST: {
		uint8_t *p;

		if ((!v4 && !ip6) || ly->l4_ofs == 0 || (key->nw_frag & SL_FRAG_LATER) ||
		    (key->nw_proto != SL_IPPROTO_TCP && key->nw_proto != SL_IPPROTO_UDP))
			return 0;
		p = data + ly->l4_ofs + (fld == SL_FLD_TP_SRC ? 0 : 2);
		wr16(nb, (uint16_t)v);
		l4_update(c, key, p, nb, 2);
		memcpy(p, nb, 2);
		memcpy(fld == SL_FLD_TP_SRC ? &key->tp_src : &key->tp_dst, nb, 2);
		return 1;
	}
	default:
		return 0;
	}
}

int
sl_rewrite_dec_ttl(uint8_t *data, uint32_t len, const struct sl_layers *ly,
		   struct sl_flow_key *key)
{
	uint8_t *ip = data + ly->l3_ofs;

	if (is_ipv4(key, ly, len)) {
		if (ip[8] <= 1)
			return -1;
		return sl_rewrite_l34(data, len, ly, key, SL_FLD_NW_TTL, ip[8] - 1u, NULL) > 0 ? 0 : 1;
	}
	if (is_ipv6(key, ly, len)) {
		if (ip[7] <= 1)
			return -1;
		ip[7]--;
		key->nw_ttl = ip[7];
		return 0;
	}
	return 1;
}

/* ---- MPLS: the outermost label stack entry, push and pop ---- */

static bool
has_mpls(const struct sl_flow_key *key, const struct sl_layers *ly, uint32_t len)
{
	return sl_eth_type_mpls(key->dl_type) && ly->l3_ofs >= 14 && ly->l3_ofs + 4u <= len;
}

static inline uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void
wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	wr16(p + 2, (uint16_t)v);
}

/* Label stack entries from @ofs up to and including the bottom one, counted up to @max + 1. */
static unsigned int
mpls_depth(const uint8_t *data, uint32_t len, uint32_t ofs, unsigned int max)
{
	unsigned int n = 0;

	while (ofs + 4 <= len && n <= max) {
		n++;
		if (data[ofs + 2] & 0x01)
			break;
		ofs += 4;
	}
	return n;
}

int
sl_rewrite_mpls(uint8_t *data, uint32_t len, const struct sl_layers *ly, struct sl_flow_key *key,
		uint8_t fld, uint64_t v)
{
	uint32_t lse, bits, mask;

	if (!has_mpls(key, ly, len))
		return 0;
	switch (fld) {
	case SL_FLD_MPLS_LABEL:
		bits = (uint32_t)v << SL_MPLS_LABEL_SHIFT, mask = SL_MPLS_LABEL_MASK;
		break;
	case SL_FLD_MPLS_TC:
		bits = (uint32_t)v << SL_MPLS_TC_SHIFT, mask = SL_MPLS_TC_MASK;
		break;
	case SL_FLD_MPLS_TTL:
		bits = (uint32_t)v, mask = SL_MPLS_TTL_MASK;
		break;
	default:
		return 0;
	}
	lse = (rd32(data + ly->l3_ofs) & ~mask) | (bits & mask);
	wr32(data + ly->l3_ofs, lse);
	key->mpls_lse = htonl(lse);
	return 1;
}

int
sl_rewrite_dec_mpls_ttl(uint8_t *data, uint32_t len, const struct sl_layers *ly,
			struct sl_flow_key *key)
{
	uint8_t ttl;

	if (!has_mpls(key, ly, len))
		return 1;
	ttl = data[ly->l3_ofs + 3];
	if (ttl <= 1)
		return -1;
	return sl_rewrite_mpls(data, len, ly, key, SL_FLD_MPLS_TTL, ttl - 1u) > 0 ? 0 : 1;
}

uint32_t
sl_mpls_push_lse(const struct sl_flow_key *key)
{
	uint32_t label = 0, tc = 0, ttl = 64;

	/* On a stack: a copy of the outer entry, which is no longer the bottom. */
	if (sl_eth_type_mpls(key->dl_type))
		return ntohl(key->mpls_lse) & ~SL_MPLS_BOS_MASK;
	/* Else OVS's defaults: the explicit null label of the IP version, the
	 * DSCP's low 3 bits as TC and the IP TTL, or label 0, TC 0, TTL 64. */
	if (key->dl_type == 0x0800 || key->dl_type == 0x86dd) {
		label = key->dl_type == 0x86dd ? 2 : 0;
		tc = (key->nw_tos >> 2) & 7;
		ttl = key->nw_ttl;
	}
	return label << SL_MPLS_LABEL_SHIFT | tc << SL_MPLS_TC_SHIFT | SL_MPLS_BOS_MASK | ttl;
}

int
sl_rewrite_mpls_push(uint8_t *data, uint32_t len, struct sl_layers *ly, struct sl_flow_key *key,
		     uint16_t type)
{
	uint32_t l3 = ly->l3_ofs, lse = sl_mpls_push_lse(key);

	if (l3 < 14 || l3 + 4 > len)
		return -1;
	if (sl_eth_type_mpls(key->dl_type) &&
	    mpls_depth(data + 4, len - 4, l3, SL_MPLS_MAX_LABELS) >= SL_MPLS_MAX_LABELS)
		return -1;
	memmove(data, data + 4, l3);
	wr16(data + l3 - 2, type);
	wr32(data + l3, lse);
	sl_parse(data, len, key->in_port, key, ly);
	return 0;
}

int
sl_rewrite_mpls_pop(uint8_t *data, uint32_t len, struct sl_layers *ly, struct sl_flow_key *key,
		    uint16_t type)
{
	uint32_t l3 = ly->l3_ofs;

	if (!has_mpls(key, ly, len))
		return 1;
	if (mpls_depth(data, len, l3, SL_MPLS_MAX_LABELS) > SL_MPLS_MAX_LABELS)
		return -1;
	wr16(data + l3 - 2, type);
	memmove(data + 4, data, l3);
	sl_parse(data + 4, len - 4, key->in_port, key, ly);
	return 0;
}

/* ---- Compiled pipelines (struct sl_xact) ---- */

/* Sum of ~old + new over @n bytes (n even), unfolded: what an update adds to ~csum. */
static inline uint32_t
csum_terms(const uint8_t *old, const uint8_t *new, unsigned int n)
{
	uint32_t s = 0;

	for (unsigned int i = 0; i < n; i += 2)
		s += (uint16_t)~rd16(old + i) + (uint32_t)rd16(new + i);
	return s;
}

static inline uint16_t
csum_fold(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* Checksum @csum (as stored) plus the folded terms @delta: RFC 1624 eqn. 3 in one step. */
static inline uint16_t
csum_add(uint16_t csum, uint16_t delta)
{
	return (uint16_t)~csum_fold((uint32_t)(uint16_t)~csum + delta);
}

static inline uint8_t
xact_tos_mask(uint16_t flags)
{
	return (uint8_t)(((flags & SL_XA_DSCP) ? 0xfc : 0) | ((flags & SL_XA_ECN) ? 0x03 : 0));
}

/* The checksum deltas of @x's writes on a packet of key @k. */
static inline void
xact_deltas(const struct sl_xact *x, const struct sl_flow_key *k, uint16_t *ipd, uint16_t *l4d)
{
	uint16_t f = x->flags;
	uint32_t ip = 0, l4 = 0, t;

	if (f & (SL_XA_DSCP | SL_XA_ECN)) {
		uint8_t m = xact_tos_mask(f);
		uint8_t o[2] = { 0, k->nw_tos }, n[2] = { 0, (uint8_t)((k->nw_tos & ~m) | (x->tos & m)) };

		ip += csum_terms(o, n, 2);
	}
	if (f & SL_XA_TTL) {
		uint8_t o[2] = { k->nw_ttl, k->nw_proto }, n[2] = { x->ttl, k->nw_proto };

		ip += csum_terms(o, n, 2);
	}
	if (f & SL_XA_NW_SRC) {
		t = csum_terms(k->nw_src, x->nw_src, 4);
		ip += t;
		l4 += t; /* the pseudo-header */
	}
	if (f & SL_XA_NW_DST) {
		t = csum_terms(k->nw_dst, x->nw_dst, 4);
		ip += t;
		l4 += t;
	}
	if (f & SL_XA_TP_SRC)
		l4 += csum_terms((const uint8_t *)&k->tp_src, (const uint8_t *)&x->tp_src, 2);
	if (f & SL_XA_TP_DST)
		l4 += csum_terms((const uint8_t *)&k->tp_dst, (const uint8_t *)&x->tp_dst, 2);
	*ipd = csum_fold(ip);
	*l4d = csum_fold(l4);
}

bool
sl_xact_compile(struct sl_xact *x, const struct sl_action *dp, unsigned int n,
		const struct sl_flow_key *key, const uint32_t *rules, unsigned int n_rules,
		unsigned int n_miss, bool exact)
{
	struct sl_flow_key k = *key; /* the key as the actions leave it */
	uint16_t f = 0;
	bool out = false;
	uint64_t v;

	memset(x, 0, sizeof(*x));
	if (n_rules > SL_XACT_RULES || n_miss > UINT8_MAX)
		return false;
	for (unsigned int i = 0; i < n; i++) {
		const struct sl_action *a = &dp[i];

		if (out)
			return false; /* one output, last */
		switch (a->type) {
		case SL_ACT_OUTPUT:
			out = true;
			x->out = a->arg;
			break;
		case SL_ACT_DEC_TTL:
			if (k.nw_ttl <= 1)
				return false; /* dropped: the general path counts it */
			k.nw_ttl--;
			f |= SL_XA_TTL;
			break;
		case SL_ACT_SET_DL_SRC:
			memcpy(k.dl_src, a->mac, 6);
			f |= SL_XA_DL_SRC;
			break;
		case SL_ACT_SET_DL_DST:
			memcpy(k.dl_dst, a->mac, 6);
			f |= SL_XA_DL_DST;
			break;
		case SL_ACT_SET_FIELD:
			if (a->flags & SL_AF_MASKED)
				return false;
			v = sl_action_u64(a, 0);
			switch (a->field) {
			case SL_FLD_ETH_SRC:
			case SL_FLD_ETH_DST: {
				uint8_t *mac = a->field == SL_FLD_ETH_SRC ? k.dl_src : k.dl_dst;

				for (int b = 0; b < 6; b++)
					mac[b] = (uint8_t)(v >> (40 - 8 * b));
				f |= a->field == SL_FLD_ETH_SRC ? SL_XA_DL_SRC : SL_XA_DL_DST;
				break;
			}
			case SL_FLD_IP_SRC:
				wr32(k.nw_src, (uint32_t)v);
				f |= SL_XA_NW_SRC;
				break;
			case SL_FLD_IP_DST:
				wr32(k.nw_dst, (uint32_t)v);
				f |= SL_XA_NW_DST;
				break;
			case SL_FLD_IP_DSCP:
				k.nw_tos = (uint8_t)((k.nw_tos & 0x03) | (v << 2));
				f |= SL_XA_DSCP;
				break;
			case SL_FLD_NW_TOS:
				k.nw_tos = (uint8_t)((k.nw_tos & 0x03) | (v & 0xfc));
				f |= SL_XA_DSCP;
				break;
			case SL_FLD_IP_ECN:
				k.nw_tos = (uint8_t)((k.nw_tos & 0xfc) | (v & 0x03));
				f |= SL_XA_ECN;
				break;
			case SL_FLD_NW_TTL:
				k.nw_ttl = (uint8_t)v;
				f |= SL_XA_TTL;
				break;
			case SL_FLD_TP_SRC:
				wr16((uint8_t *)&k.tp_src, (uint16_t)v);
				f |= SL_XA_TP_SRC;
				break;
			case SL_FLD_TP_DST:
				wr16((uint8_t *)&k.tp_dst, (uint16_t)v);
				f |= SL_XA_TP_DST;
				break;
			default:
				return false;
			}
			break;
		default:
			return false;
		}
	}
	if (!out)
		return false;
	if (f & SL_XA_L3) {
		/* IPv4 as sl_parse found it, whole: what the general path rewrites. */
		if (key->dl_type != 0x0800 || key->nw_frag != 0)
			return false;
		if (key->nw_proto == SL_IPPROTO_TCP || key->nw_proto == SL_IPPROTO_UDP) {
			if (f & (SL_XA_NW_SRC | SL_XA_NW_DST | SL_XA_TP_SRC | SL_XA_TP_DST))
				f |= key->nw_proto == SL_IPPROTO_TCP ? SL_XA_TCP : SL_XA_UDP;
		} else if (f & (SL_XA_TP_SRC | SL_XA_TP_DST)) {
			return false;
		}
		if (key->vlan_tci & SL_VLAN_CFI)
			f |= SL_XA_TAGGED;
	}
	memcpy(x->dl_dst, k.dl_dst, 6);
	memcpy(x->dl_src, k.dl_src, 6);
	memcpy(x->nw_src, k.nw_src, 4);
	memcpy(x->nw_dst, k.nw_dst, 4);
	x->tp_src = k.tp_src;
	x->tp_dst = k.tp_dst;
	x->tos = k.nw_tos;
	x->ttl = k.nw_ttl;
	for (unsigned int i = 0; i < n_rules; i++)
		x->rule[i] = rules[i];
	x->n_rules = (uint8_t)n_rules;
	x->n_miss = (uint8_t)n_miss;
	x->flags = f | SL_XA_VALID;
	if (exact) {
		xact_deltas(x, key, &x->ip_delta, &x->l4_delta);
		x->flags |= SL_XA_DELTAS;
	}
	return true;
}

int
sl_xact_apply(const struct sl_xact *x, const struct sl_flow_key *key, uint8_t *d, uint32_t len)
{
	uint16_t f = x->flags;

	if (len < 14)
		return -1;
	if (f & SL_XA_L3) {
		uint32_t l3 = (f & SL_XA_TAGGED) ? 18 : 14, l4 = 0;
		uint16_t ipd, l4d;
		uint8_t *ip = d + l3;

		if (l3 + 20 > len || d[l3 - 2] != 0x08 || d[l3 - 1] != 0x00 || (ip[0] & 0xf0) != 0x40 ||
		    (ip[0] & 0x0f) < 5)
			return -1;
		if ((f & SL_XA_TAGGED) &&
		    !((d[12] == 0x81 && d[13] == 0x00) || (d[12] == 0x88 && d[13] == 0xa8)))
			return -1;
		if (f & (SL_XA_TCP | SL_XA_UDP)) {
			uint32_t end = l3 + rd16(ip + 2);

			l4 = l3 + (ip[0] & 0x0fu) * 4;
			if (end > len || end < l4)
				end = len;
			if (l4 + ((f & SL_XA_TCP) ? 20u : 8u) > end)
				return -1;
		}
		if (f & SL_XA_DELTAS) {
			ipd = x->ip_delta;
			l4d = x->l4_delta;
		} else {
			xact_deltas(x, key, &ipd, &l4d);
		}
		if (f & (SL_XA_DSCP | SL_XA_ECN)) {
			uint8_t m = xact_tos_mask(f);

			ip[1] = (uint8_t)((ip[1] & ~m) | (x->tos & m));
		}
		if (f & SL_XA_TTL)
			ip[8] = x->ttl;
		if (f & SL_XA_NW_SRC)
			memcpy(ip + 12, x->nw_src, 4);
		if (f & SL_XA_NW_DST)
			memcpy(ip + 16, x->nw_dst, 4);
		wr16(ip + 10, csum_add(rd16(ip + 10), ipd));
		if (l4 != 0) {
			uint8_t *c = d + l4 + ((f & SL_XA_TCP) ? 16 : 6);
			uint16_t v = rd16(c);

			if (f & SL_XA_TP_SRC)
				memcpy(d + l4, &x->tp_src, 2);
			if (f & SL_XA_TP_DST)
				memcpy(d + l4 + 2, &x->tp_dst, 2);
			if (!((f & SL_XA_UDP) && v == 0)) { /* UDP 0: no checksum */
				v = csum_add(v, l4d);
				wr16(c, (f & SL_XA_UDP) && v == 0 ? 0xffff : v);
			}
		}
	}
	if (f & SL_XA_DL_DST)
		memcpy(d, x->dl_dst, 6);
	if (f & SL_XA_DL_SRC)
		memcpy(d + 6, x->dl_src, 6);
	return 0;
}
