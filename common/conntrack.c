/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection tracking: what a packet's connection is and how it moves.
 * Plain functions on plain data; the table that holds connections is the
 * data plane's (secondary/conntrack.c, primary/conntrack.c).
 *
 * The state machine is OVS userspace's in spirit, simplified: TCP goes
 * SYN_SENT (a SYN committed) -> SYN_RECV (the SYN+ACK back) -> ESTABLISHED
 * (the ACK) -> CLOSING (a FIN) -> CLOSED (FINs both ways, or a RST); a
 * packet whose flags do not fit the state is invalid.  UDP, ICMP echo and
 * other IP are "first" until a reply is seen, then "multiple".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>

#include "conntrack.h"

#define SL_ETH_TYPE_IPV4 0x0800
#define SL_ETH_TYPE_IPV6 0x86dd
#define SL_PROTO_ICMP 1
#define SL_PROTO_TCP 6
#define SL_PROTO_UDP 17
#define SL_PROTO_ICMPV6 58
#define SL_PROTO_SCTP 132

static bool
has_ports(uint8_t proto)
{
	return proto == SL_PROTO_TCP || proto == SL_PROTO_UDP || proto == SL_PROTO_SCTP;
}

/* ICMP echo request/reply of either family. */
static bool
is_echo(uint8_t proto, uint8_t type, bool *request)
{
	if (proto == SL_PROTO_ICMP && (type == 8 || type == 0)) {
		*request = type == 8;
		return true;
	}
	if (proto == SL_PROTO_ICMPV6 && (type == 128 || type == 129)) {
		*request = type == 128;
		return true;
	}
	return false;
}

static bool
is_icmp_error(uint8_t proto, uint8_t type)
{
	if (proto == SL_PROTO_ICMP)
		return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
	if (proto == SL_PROTO_ICMPV6)
		return type >= 1 && type <= 4;
	return false;
}

/* The tuple of the IPv4 packet an ICMP error quotes (at @p, @n bytes). */
static bool
inner_ipv4(const uint8_t *p, uint32_t n, struct sl_ct_tuple *t)
{
	uint32_t ihl;

	if (n < 20 || (p[0] >> 4) != 4)
		return false;
	ihl = (p[0] & 0x0fu) * 4;
	if (ihl < 20 || n < ihl)
		return false;
	memset(t->src, 0, sizeof(t->src));
	memset(t->dst, 0, sizeof(t->dst));
	memcpy(t->src, p + 12, 4);
	memcpy(t->dst, p + 16, 4);
	t->proto = p[9];
	t->v6 = 0;
	t->sport = t->dport = 0;
	if (has_ports(t->proto)) {
		if (n < ihl + 4)
			return false;
		memcpy(&t->sport, p + ihl, 2);
		memcpy(&t->dport, p + ihl + 2, 2);
	} else if (t->proto == SL_PROTO_ICMP) {
		bool req;

		if (n < ihl + 8 || !is_echo(t->proto, p[ihl], &req))
			return false;
		memcpy(&t->sport, p + ihl + 4, 2);
		t->dport = t->sport;
	}
	return true;
}

void
sl_ct_extract(const struct sl_flow_key *key, const uint8_t *pkt, uint32_t len, uint16_t l4_ofs,
	      uint16_t zone, struct sl_ct_pkt *out)
{
	struct sl_ct_tuple *t = &out->t;
	bool req;

	memset(out, 0, sizeof(*out));
	t->zone = zone;
	if (key->dl_type != SL_ETH_TYPE_IPV4 && key->dl_type != SL_ETH_TYPE_IPV6) {
		out->kind = SL_CTK_NOT_IP;
		return;
	}
	t->v6 = key->dl_type == SL_ETH_TYPE_IPV6;
	t->proto = key->nw_proto;
	memcpy(t->src, key->nw_src, t->v6 ? 16 : 4);
	memcpy(t->dst, key->nw_dst, t->v6 ? 16 : 4);
	if (key->nw_frag & SL_FRAG_ANY) {
		out->kind = SL_CTK_INVALID; /* no reassembly here */
		return;
	}
	if (has_ports(t->proto)) {
		if (l4_ofs == 0) {
			out->kind = SL_CTK_INVALID;
			return;
		}
		t->sport = key->tp_src;
		t->dport = key->tp_dst;
		if (t->proto == SL_PROTO_TCP) {
			if (l4_ofs + 14u > len) {
				out->kind = SL_CTK_INVALID;
				return;
			}
			out->tcp_flags = pkt[l4_ofs + 13];
		}
		return;
	}
	if (t->proto != SL_PROTO_ICMP && t->proto != SL_PROTO_ICMPV6)
		return; /* other IP: addresses and protocol only */
	if (l4_ofs == 0 || l4_ofs + 8u > len) {
		out->kind = SL_CTK_INVALID;
		return;
	}
	out->icmp_type = pkt[l4_ofs];
	if (is_echo(t->proto, out->icmp_type, &req)) {
		memcpy(&t->sport, pkt + l4_ofs + 4, 2);
		t->dport = t->sport;
		return;
	}
	if (is_icmp_error(t->proto, out->icmp_type)) {
		/* The quoted header is of a packet the connection sent. */
		if (!t->v6 && inner_ipv4(pkt + l4_ofs + 8, len - l4_ofs - 8u, t)) {
			t->zone = zone;
			out->kind = SL_CTK_RELATED;
		} else {
			out->kind = SL_CTK_INVALID;
		}
	}
	/* Other ICMP messages are tracked on addresses alone. */
}

/* -1, 0, 1 as endpoint (addr, port) x compares with y. */
static int
endpoint_cmp(const uint8_t *xa, uint16_t xp, const uint8_t *ya, uint16_t yp)
{
	int c = memcmp(xa, ya, 16);

	if (c != 0)
		return c;
	return xp < yp ? -1 : xp > yp;
}

void
sl_ct_key_of(const struct sl_ct_tuple *t, struct sl_ct_key *k)
{
	bool swap = endpoint_cmp(t->src, t->sport, t->dst, t->dport) > 0;

	memset(k, 0, sizeof(*k));
	memcpy(k->a, swap ? t->dst : t->src, 16);
	memcpy(k->b, swap ? t->src : t->dst, 16);
	k->pa = swap ? t->dport : t->sport;
	k->pb = swap ? t->sport : t->dport;
	k->zone = t->zone;
	k->proto = t->proto;
	k->v6 = t->v6;
}

bool
sl_ct_is_orig(const struct sl_ct_conn *c, const struct sl_ct_tuple *t)
{
	return memcmp(c->orig.src, t->src, 16) == 0 && c->orig.sport == t->sport &&
	       memcmp(c->orig.dst, t->dst, 16) == 0 && c->orig.dport == t->dport;
}

bool
sl_ct_valid_new(const struct sl_ct_pkt *p)
{
	bool req = false;

	if (p->kind != SL_CTK_PLAIN)
		return false;
	if (p->t.proto == SL_PROTO_TCP)
		return (p->tcp_flags & (SL_TCP_SYN | SL_TCP_ACK | SL_TCP_RST | SL_TCP_FIN)) ==
		       SL_TCP_SYN;
	if (p->t.proto == SL_PROTO_ICMP || p->t.proto == SL_PROTO_ICMPV6)
		return !is_echo(p->t.proto, p->icmp_type, &req) || req;
	return true;
}

void
sl_ct_conn_init(struct sl_ct_conn *c, const struct sl_ct_pkt *p, uint32_t now_s)
{
	sl_ct_key_of(&p->t, &c->key);
	c->orig = p->t;
	c->pstate = p->t.proto == SL_PROTO_TCP ? SL_CTP_TCP_SYN_SENT : SL_CTP_FIRST;
	c->icmp_type = p->icmp_type;
	c->mark = 0;
	c->label[0] = c->label[1] = 0;
	c->created_s = now_s;
	c->last_s = now_s;
}

static uint8_t
tcp_update(struct sl_ct_conn *c, uint8_t f, bool reply)
{
	uint8_t st = __atomic_load_n(&c->pstate, __ATOMIC_RELAXED), next = st;
	uint8_t bits = SL_CS_EST;
	bool syn = f & SL_TCP_SYN, ack = f & SL_TCP_ACK;

	if (f & SL_TCP_RST) {
		next = SL_CTP_TCP_CLOSED;
		if (st == SL_CTP_TCP_SYN_SENT && !reply)
			bits = SL_CS_NEW;
		goto out;
	}
	switch (st) {
	case SL_CTP_TCP_SYN_SENT:
		if (!reply && syn && !ack)
			bits = SL_CS_NEW; /* a retransmitted SYN */
		else if (reply && syn && ack)
			next = SL_CTP_TCP_SYN_RECV;
		else
			return SL_CS_INV;
		break;
	case SL_CTP_TCP_SYN_RECV:
		if (syn && !(reply && ack))
			return SL_CS_INV;
		if (!reply && ack)
			next = SL_CTP_TCP_ESTABLISHED;
		break;
	case SL_CTP_TCP_ESTABLISHED:
	case SL_CTP_TCP_CLOSING:
		if (syn)
			return SL_CS_INV;
		if (f & SL_TCP_FIN)
			next = st == SL_CTP_TCP_CLOSING ? SL_CTP_TCP_CLOSED : SL_CTP_TCP_CLOSING;
		break;
	default: /* closed: what is still in flight */
		if (syn)
			return SL_CS_INV;
		break;
	}
out:
	if (next != st)
		__atomic_store_n(&c->pstate, next, __ATOMIC_RELAXED);
	return (uint8_t)(bits | (reply ? SL_CS_RPL : 0));
}

uint8_t
sl_ct_conn_update(struct sl_ct_conn *c, const struct sl_ct_pkt *p, bool reply, uint32_t now_s)
{
	uint8_t st;

	__atomic_store_n(&c->last_s, now_s, __ATOMIC_RELAXED);
	if (p->kind == SL_CTK_RELATED)
		return SL_CS_REL | (reply ? SL_CS_RPL : 0);
	if (c->orig.proto == SL_PROTO_TCP)
		return tcp_update(c, p->tcp_flags, reply);
	st = __atomic_load_n(&c->pstate, __ATOMIC_RELAXED);
	if (reply) {
		if (st != SL_CTP_MULTIPLE)
			__atomic_store_n(&c->pstate, (uint8_t)SL_CTP_MULTIPLE, __ATOMIC_RELAXED);
		return SL_CS_EST | SL_CS_RPL;
	}
	return st == SL_CTP_MULTIPLE ? SL_CS_EST : SL_CS_NEW;
}

uint32_t
sl_ct_timeout(uint8_t pstate)
{
	/* OVS's userspace defaults, rounded. */
	switch (pstate) {
	case SL_CTP_TCP_SYN_SENT:
	case SL_CTP_TCP_SYN_RECV:
		return 30;
	case SL_CTP_TCP_ESTABLISHED:
		return 86400;
	case SL_CTP_TCP_CLOSING:
		return 900;
	case SL_CTP_TCP_CLOSED:
		return 30;
	case SL_CTP_FIRST:
		return 60;
	case SL_CTP_MULTIPLE:
		return 30;
	default:
		return 30;
	}
}

const char *
sl_ct_pstate_name(uint8_t pstate)
{
	static const char *const names[SL_CTP_COUNT] = {
		[SL_CTP_NONE] = "NONE",
		[SL_CTP_TCP_SYN_SENT] = "SYN_SENT",
		[SL_CTP_TCP_SYN_RECV] = "SYN_RECV",
		[SL_CTP_TCP_ESTABLISHED] = "ESTABLISHED",
		[SL_CTP_TCP_CLOSING] = "FIN_WAIT",
		[SL_CTP_TCP_CLOSED] = "CLOSED",
		[SL_CTP_FIRST] = "FIRST",
		[SL_CTP_MULTIPLE] = "MULTIPLE",
	};

	return pstate < SL_CTP_COUNT ? names[pstate] : "?";
}

static const char *
proto_name(uint8_t proto, bool v6)
{
	switch (proto) {
	case SL_PROTO_TCP:
		return v6 ? "tcp6" : "tcp";
	case SL_PROTO_UDP:
		return v6 ? "udp6" : "udp";
	case SL_PROTO_SCTP:
		return v6 ? "sctp6" : "sctp";
	case SL_PROTO_ICMP:
		return "icmp";
	case SL_PROTO_ICMPV6:
		return "icmp6";
	default:
		return NULL;
	}
}

/* "src=A,dst=B,sport=P,dport=Q" (or ICMP's id,type,code) of one direction. */
static int
format_dir(char *buf, size_t len, const struct sl_ct_conn *c, bool reply)
{
	const struct sl_ct_tuple *t = &c->orig;
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	int af = t->v6 ? AF_INET6 : AF_INET;
	bool req;

	inet_ntop(af, reply ? t->dst : t->src, s, sizeof(s));
	inet_ntop(af, reply ? t->src : t->dst, d, sizeof(d));
	if (has_ports(t->proto))
		return snprintf(buf, len, "src=%s,dst=%s,sport=%u,dport=%u", s, d,
				ntohs(reply ? t->dport : t->sport),
				ntohs(reply ? t->sport : t->dport));
	if (is_echo(t->proto, c->icmp_type, &req)) {
		uint8_t type = c->icmp_type;

		if (reply)
			type = t->proto == SL_PROTO_ICMP ? (uint8_t)(type == 8 ? 0 : 8)
							 : (uint8_t)(type == 128 ? 129 : 128);
		return snprintf(buf, len, "src=%s,dst=%s,id=%u,type=%u,code=0", s, d,
				ntohs(t->sport), type);
	}
	return snprintf(buf, len, "src=%s,dst=%s", s, d);
}

int
sl_ct_conn_format(const struct sl_ct_conn *c, char *buf, size_t len)
{
	const char *pn = proto_name(c->orig.proto, c->orig.v6);
	char o[160], r[160], extra[96] = "";
	size_t n = 0;

	format_dir(o, sizeof(o), c, false);
	format_dir(r, sizeof(r), c, true);
	if (c->orig.zone != 0)
		n += (size_t)snprintf(extra + n, sizeof(extra) - n, ",zone=%u", c->orig.zone);
	if (c->mark != 0)
		n += (size_t)snprintf(extra + n, sizeof(extra) - n, ",mark=%u", c->mark);
	if (c->label[1] != 0)
		snprintf(extra + n, sizeof(extra) - n, ",labels=0x%llx%016llx",
			 (unsigned long long)c->label[1], (unsigned long long)c->label[0]);
	else if (c->label[0] != 0)
		snprintf(extra + n, sizeof(extra) - n, ",labels=0x%llx",
			 (unsigned long long)c->label[0]);
	if (pn == NULL)
		return snprintf(buf, len, "%s,proto=%u,orig=(%s),reply=(%s)%s",
				c->orig.v6 ? "ipv6" : "ip", c->orig.proto, o, r, extra);
	if (c->orig.proto == SL_PROTO_TCP)
		return snprintf(buf, len, "%s,orig=(%s),reply=(%s)%s,protoinfo=(state=%s)", pn, o,
				r, extra, sl_ct_pstate_name(c->pstate));
	return snprintf(buf, len, "%s,orig=(%s),reply=(%s)%s", pn, o, r, extra);
}

static const char *const sl_cs_names[8] = { "new", "est", "rel", "rpl",
					    "inv", "trk", "snat", "dnat" };

int
sl_ct_state_parse(const char *s, uint8_t *key, uint8_t *mask)
{
	char *end;

	*key = *mask = 0;
	if (s[0] >= '0' && s[0] <= '9') {
		unsigned long v = strtoul(s, &end, 0), m = 0xff;

		if (end == s || (*end != '\0' && *end != '/') || v > 0xff)
			return -EINVAL;
		if (*end == '/') {
			const char *ms = end + 1;

			m = strtoul(ms, &end, 0);
			if (end == ms || *end != '\0' || m > 0xff)
				return -EINVAL;
		}
		*key = (uint8_t)(v & m);
		*mask = (uint8_t)m;
		return 0;
	}
	while (*s != '\0') {
		bool plus = *s == '+';
		size_t n, i;

		if (*s != '+' && *s != '-')
			return -EINVAL;
		s++;
		n = strcspn(s, "+-");
		for (i = 0; i < 8; i++)
			if (strlen(sl_cs_names[i]) == n && strncasecmp(s, sl_cs_names[i], n) == 0)
				break;
		if (i == 8 || (*mask & (1u << i)))
			return -EINVAL;
		*mask |= (uint8_t)(1u << i);
		if (plus)
			*key |= (uint8_t)(1u << i);
		s += n;
	}
	return *mask != 0 ? 0 : -EINVAL;
}

int
sl_ct_state_format(uint8_t key, uint8_t mask, char *buf, size_t len)
{
	size_t n = 0;

	if (len > 0)
		buf[0] = '\0';
	for (unsigned int i = 0; i < 8; i++)
		if (mask & (1u << i))
			n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%c%s",
					      (key & (1u << i)) ? '+' : '-', sl_cs_names[i]);
	return (int)n;
}
