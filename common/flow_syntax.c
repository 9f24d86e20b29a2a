/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ovs-ofctl flow syntax.  Parsing is table driven: a token "key[=value]"
 * is looked up first among the protocol shorthands (ip, tcp, ...), then
 * among the match fields; each field has a small parser and the
 * prerequisite it needs, checked once everything has been read so that
 * "nw_src=10.0.0.1,ip" works like "ip,nw_src=10.0.0.1" does in OVS.
 * Printing walks the fields in one fixed order, so the text of two equal
 * flows is the same string, and it is always accepted by the parser.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "flow_syntax.h"
#include "util.h"

#define SL_SEPS ", \t\r\n"
#define SL_SPACES " \t\r\n"
#define SL_TOKEN_MAX 128 /* longest key or value we accept (an IPv6 prefix fits) */

#define SL_DL_TYPE_IP 0x0800
#define SL_DL_TYPE_ARP 0x0806
#define SL_DL_TYPE_IPV6 0x86dd

#define SL_IPPROTO_ICMP 1
#define SL_IPPROTO_TCP 6
#define SL_IPPROTO_UDP 17
#define SL_IPPROTO_ICMPV6 58
#define SL_IPPROTO_SCTP 132

#define SL_TOS_DSCP_MASK 0xfc
#define SL_TOS_ECN_MASK 0x03

/* One bit per thing that may be given once; aliases share a bit. */
enum sl_field_id {
	SL_F_PRIORITY,
	SL_F_COOKIE,
	SL_F_TABLE,
	SL_F_IDLE_TIMEOUT,
	SL_F_HARD_TIMEOUT,
	SL_F_IN_PORT,
	SL_F_DL_SRC,
	SL_F_DL_DST,
	SL_F_DL_TYPE,
	SL_F_DL_VLAN,
	SL_F_DL_VLAN_PCP,
	SL_F_VLAN_TCI,
	SL_F_NW_SRC,
	SL_F_NW_DST,
	SL_F_NW_PROTO,
	SL_F_NW_TOS,
	SL_F_NW_ECN,
	SL_F_NW_TTL,
	SL_F_TP_SRC,
	SL_F_TP_DST,
	SL_F_COUNT
};

/* What dl_type/nw_proto a field needs to mean anything (as in OVS). */
enum sl_prereq {
	SL_PRE_NONE,
	SL_PRE_IP_ARP,     /* nw_src, nw_dst */
	SL_PRE_IP_ANY_ARP, /* nw_proto */
	SL_PRE_IP_ANY,     /* nw_tos, nw_ecn, nw_ttl */
	SL_PRE_ARP,
	SL_PRE_IPV6,
	SL_PRE_L4,         /* tp_src, tp_dst */
	SL_PRE_ICMP,
};

static const char *const sl_prereq_text[] = {
	[SL_PRE_IP_ARP] = "ip or arp",
	[SL_PRE_IP_ANY_ARP] = "ip, ipv6 or arp",
	[SL_PRE_IP_ANY] = "ip or ipv6",
	[SL_PRE_ARP] = "arp",
	[SL_PRE_IPV6] = "ipv6",
	[SL_PRE_L4] = "tcp, udp or sctp (or their 6 forms)",
	[SL_PRE_ICMP] = "icmp or icmp6",
};

struct sl_pctx {
	enum sl_flow_parse_mode mode;
	struct sl_flow *flow;
	struct sl_match *m;
	sl_port_resolve_fn resolve;
	void *rctx;
	char *err;
	size_t errlen;
	const struct sl_field *given[SL_F_COUNT]; /* how each field was spelled */
};

struct sl_field {
	const char *name;
	enum sl_field_id id;
	enum sl_prereq prereq;
	int (*parse)(struct sl_pctx *c, const struct sl_field *f, char *val);
	size_t ofs; /* key member the generic parsers write */
};

/* Protocol shorthands: set dl_type and, if proto >= 0, nw_proto. */
struct sl_proto_word {
	const char *name;
	uint16_t dl_type;
	int proto;
};

static const struct sl_proto_word sl_proto_words[] = {
	{ "ip", SL_DL_TYPE_IP, -1 },
	{ "icmp", SL_DL_TYPE_IP, SL_IPPROTO_ICMP },
	{ "tcp", SL_DL_TYPE_IP, SL_IPPROTO_TCP },
	{ "udp", SL_DL_TYPE_IP, SL_IPPROTO_UDP },
	{ "sctp", SL_DL_TYPE_IP, SL_IPPROTO_SCTP },
	{ "ipv6", SL_DL_TYPE_IPV6, -1 },
	{ "icmp6", SL_DL_TYPE_IPV6, SL_IPPROTO_ICMPV6 },
	{ "tcp6", SL_DL_TYPE_IPV6, SL_IPPROTO_TCP },
	{ "udp6", SL_DL_TYPE_IPV6, SL_IPPROTO_UDP },
	{ "sctp6", SL_DL_TYPE_IPV6, SL_IPPROTO_SCTP },
	{ "arp", SL_DL_TYPE_ARP, -1 },
};

#define SL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static int
sl_fail(struct sl_pctx *c, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
sl_fail(struct sl_pctx *c, int rc, const char *fmt, ...)
{
	if (c->err != NULL && c->errlen > 0) {
		va_list ap;
		char *p;

		va_start(ap, fmt);
		vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
		/* The message quotes the input, which may hold line breaks: keep it one line. */
		for (p = c->err; (p = strpbrk(p, "\r\n")) != NULL;)
			*p = ' ';
	}
	return rc;
}

/* ---- value parsers ---- */

/* A number in [min, max] (decimal or 0x hex), with an error naming @what. */
static int
sl_num(struct sl_pctx *c, const char *what, const char *val, uint64_t min, uint64_t max,
       uint64_t *out)
{
	int rc = sl_parse_u64(val, min, max, out);

	if (rc == -ERANGE)
		return sl_fail(c, -ERANGE, "%s: %s out of range %" PRIu64 "..%" PRIu64, what, val,
			       min, max);
	if (rc < 0)
		return sl_fail(c, -EINVAL, "%s: bad number \"%s\"", what, val);
	return 0;
}

/* "value" or "value/mask"; a missing mask means all of @max's bits. */
static int
sl_num_masked(struct sl_pctx *c, const char *what, char *val, uint64_t max, uint64_t *v,
	      uint64_t *mask)
{
	char *slash = strchr(val, '/');

	*mask = max;
	if (slash != NULL) {
		int rc;

		*slash = '\0';
		rc = sl_num(c, what, slash + 1, 0, max, mask);
		if (rc < 0)
			return rc;
	}
	return sl_num(c, what, val, 0, max, v);
}

static int
sl_hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* xx:xx:xx:xx:xx:xx, one or two hex digits per byte. */
static bool
sl_mac_from_str(const char *s, uint8_t mac[6])
{
	int i;

	for (i = 0; i < 6; i++) {
		int hi = sl_hex_digit(*s), lo;

		if (hi < 0)
			return false;
		lo = sl_hex_digit(*++s);
		if (lo >= 0) {
			hi = hi * 16 + lo;
			s++;
		}
		mac[i] = (uint8_t)hi;
		if (i < 5 && *s++ != ':')
			return false;
	}
	return *s == '\0';
}

/* Set @n leading one bits in a @bytes-long big-endian mask. */
static void
sl_prefix_mask(uint8_t *mask, unsigned int bytes, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < bytes; i++, n = n > 8 ? n - 8 : 0)
		mask[i] = n >= 8 ? 0xff : (uint8_t)(0xff00 >> n);
}

/* "addr", "addr/prefixlen" or "addr/netmask" for AF_INET or AF_INET6. */
static int
sl_addr_masked(struct sl_pctx *c, const char *what, int af, char *val, uint8_t *addr,
	       uint8_t *mask)
{
	unsigned int bytes = af == AF_INET ? 4 : 16;
	const char *kind = af == AF_INET ? "IPv4" : "IPv6";
	char *slash = strchr(val, '/');
	uint64_t plen = bytes * 8;

	if (slash != NULL)
		*slash = '\0';
	if (inet_pton(af, val, addr) != 1)
		goto bad;
	if (slash == NULL) {
		sl_prefix_mask(mask, bytes, bytes * 8);
		return 0;
	}
	if (inet_pton(af, slash + 1, mask) == 1)
		return 0;
	if (sl_parse_u64(slash + 1, 0, bytes * 8, &plen) == 0) {
		sl_prefix_mask(mask, bytes, (unsigned int)plen);
		return 0;
	}
bad:
	if (slash != NULL)
		*slash = '/';
	return sl_fail(c, -EINVAL, "%s: bad %s %s \"%s\"", what, kind,
		       slash != NULL ? "prefix" : "address", val);
}

/* A port number or name; @what names the field or action for errors. */
static int
sl_port(struct sl_pctx *c, const char *what, const char *val, uint16_t *port)
{
	if (strcasecmp(val, "LOCAL") == 0)
		return sl_fail(c, -ENOTSUP, "%s: port LOCAL is not supported", what);
	if (val[0] >= '0' && val[0] <= '9') {
		uint64_t v = 0;
		int rc = sl_num(c, what, val, 1, SL_OFPORT_MAX, &v);
		*port = (uint16_t)v;
		return rc;
	}
	if (c->resolve == NULL || c->resolve(c->rctx, val, port) != 0)
		return sl_fail(c, -ENOENT, "%s: unknown port \"%s\"", what, val);
	return 0;
}

/* ---- field parsers ---- */

#define SL_KEY(c, f) ((uint8_t *)&(c)->m->key + (f)->ofs)
#define SL_MASK(c, f) ((uint8_t *)&(c)->m->mask + (f)->ofs)

/* dl_type may come from a shorthand and from dl_type=; they must agree. */
static int
sl_set_dl_type(struct sl_pctx *c, const char *what, uint16_t type)
{
	struct sl_match *m = c->m;

	if (m->mask.dl_type != 0 && m->key.dl_type != type)
		return sl_fail(c, -EINVAL, "%s: conflicts with dl_type=0x%04x", what,
			       m->key.dl_type);
	m->key.dl_type = type;
	m->mask.dl_type = 0xffff;
	return 0;
}

static int
sl_set_nw_proto(struct sl_pctx *c, const char *what, uint8_t proto)
{
	struct sl_match *m = c->m;

	if (m->mask.nw_proto != 0 && m->key.nw_proto != proto)
		return sl_fail(c, -EINVAL, "%s: conflicts with nw_proto=%u", what,
			       m->key.nw_proto);
	m->key.nw_proto = proto;
	m->mask.nw_proto = 0xff;
	return 0;
}

static int
sl_parse_priority(struct sl_pctx *c, const struct sl_field *f, char *val)
{
	uint64_t v = 0;
	int rc = sl_num(c, f->name, val, 0, UINT16_MAX, &v);

	c->flow->priority = (uint32_t)v;
	return rc;
}

/*
 * cookie=V sets a flow's cookie; cookie=V/MASK selects the flows whose
 * cookie has V in the bits of MASK (del-flows, mod-flows, dump-flows), as
 * in ovs-ofctl.  In a match, cookie=V selects the cookie V exactly.
 */
static int
sl_parse_cookie(struct sl_pctx *c, const struct sl_field *f, char *val)
{
	struct sl_flow *fl = c->flow;
	bool masked = strchr(val, '/') != NULL;
	uint64_t mask = 0;
	int rc;

	if (masked && c->mode == SL_PARSE_FLOW)
		return sl_fail(c, -EINVAL,
			       "%s: a mask selects flows (del-flows, mod-flows, dump-flows); "
			       "a flow that is added has one cookie, without a mask",
			       f->name);
	/* "/-1", as ovs-ofctl takes it: every bit. */
	if (masked && strcmp(strchr(val, '/'), "/-1") == 0) {
		*strchr(val, '/') = '\0';
		rc = sl_num(c, f->name, val, 0, UINT64_MAX, &fl->cookie);
		mask = UINT64_MAX;
	} else {
		rc = sl_num_masked(c, f->name, val, UINT64_MAX, &fl->cookie, &mask);
	}
	if (rc < 0)
		return rc;
	if (masked || c->mode == SL_PARSE_MATCH) {
		fl->cookie_mask = mask;
		fl->cookie &= mask;
	} else if (c->mode == SL_PARSE_MOD) {
		fl->set_cookie = true;
	}
	return 0;
}

static int
sl_parse_table(struct sl_pctx *c, const struct sl_field *f, char *val)
{
	uint64_t v = 0;
	int rc = sl_num(c, f->name, val, 0, 254, &v);

	if (rc == 0 && v != 0)
		return sl_fail(c, -ENOTSUP, "%s: only table 0 exists, not %s", f->name, val);
	return rc;
}

/* Seconds, as OpenFlow has them (16 bits); 0 never expires. */
static int
sl_parse_timeout(struct sl_pctx *c, const struct sl_field *f, char *val)
{
	uint64_t v = 0;
	int rc = sl_num(c, f->name, val, 0, UINT16_MAX, &v);

	if (f->id == SL_F_IDLE_TIMEOUT)
		c->flow->idle_timeout = (uint16_t)v;
	else
		c->flow->hard_timeout = (uint16_t)v;
	return rc;
}

static int
sl_parse_in_port(struct sl_pctx *c, const struct sl_field *f, char *val)
{
	c->m->mask.in_port = 0xffff;
	return sl_port(c, f->name, val, &c->m->key.in_port);
}

static int
sl_parse_mac(struct sl_pctx *c, const struct sl_field *f, char *val)
{
	char *slash = strchr(val, '/');
	bool ok;

	if (slash != NULL)
		*slash = '\0';
	ok = sl_mac_from_str(val, SL_KEY(c, f));
	if (slash == NULL)
		memset(SL_MASK(c, f), 0xff, 6);
	else
		ok = ok && sl_mac_from_str(slash + 1, SL_MASK(c, f));
	if (!ok) {
		if (slash != NULL)
			*slash = '/';
		return sl_fail(c, -EINVAL, "%s: bad Ethernet address \"%s\"", f->name, val);
	}
	return 0;
}

static int
sl_parse_dl_type(struct sl_pctx *c, const struct sl_field *f, char *val)
{
	uint64_t v = 0;
	int rc = sl_num(c, f->name, val, 0, UINT16_MAX, &v);

	return rc < 0 ? rc : sl_set_dl_type(c, f->name, (uint16_t)v);
}

/* dl_vlan/dl_vlan_pcp each own part of the TCI; vlan_tci= owns all of it. */
static int
sl_vlan_conflict(struct sl_pctx *c, const struct sl_field *f)
{
	bool tci = c->given[SL_F_VLAN_TCI] != NULL;
	bool parts = c->given[SL_F_DL_VLAN] != NULL || c->given[SL_F_DL_VLAN_PCP] != NULL;
	bool untagged = c->m->mask.vlan_tci != 0 && !(c->m->key.vlan_tci & SL_VLAN_CFI);

	if (tci && parts)
		return sl_fail(c, -EINVAL, "%s: conflicts with %s", f->name,
			       f->id == SL_F_VLAN_TCI ? "dl_vlan/dl_vlan_pcp" : "vlan_tci");
	if (untagged && f->id != SL_F_VLAN_TCI)
		return sl_fail(c, -EINVAL, "%s: conflicts with dl_vlan=0xffff (no tag)", f->name);
	return 0;
}

static int
sl_parse_dl_vlan(struct sl_pctx *c, const struct sl_field *f, char *val)
{
	struct sl_match *m = c->m;
	uint64_t v = 0;
	int rc = sl_vlan_conflict(c, f);

	if (rc < 0)
		return rc;
	if (sl_parse_u64(val, 0xffff, 0xffff, &v) == 0) {
		/* OVS's spelling of "no 802.1Q header". */
		if (m->mask.vlan_tci != 0)
			return sl_fail(c, -EINVAL, "%s: 0xffff (no tag) conflicts with dl_vlan_pcp",
				       f->name);
		m->key.vlan_tci = 0;
		m->mask.vlan_tci = 0xffff;
		return 0;
	}
	rc = sl_num(c, f->name, val, 0, SL_VLAN_VID_MASK, &v);
	if (rc < 0)
		return rc;
	m->key.vlan_tci |= (uint16_t)v | SL_VLAN_CFI;
	m->mask.vlan_tci |= SL_VLAN_VID_MASK | SL_VLAN_CFI;
	return 0;
}

static int
sl_parse_dl_vlan_pcp(struct sl_pctx *c, const struct sl_field *f, char *val)
{
	struct sl_match *m = c->m;
	uint64_t v = 0;
	int rc = sl_vlan_conflict(c, f);

	if (rc == 0)
		rc = sl_num(c, f->name, val, 0, 7, &v);
	if (rc < 0)
		return rc;
	m->key.vlan_tci |= (uint16_t)(v << SL_VLAN_PCP_SHIFT) | SL_VLAN_CFI;
	m->mask.vlan_tci |= (uint16_t)(7u << SL_VLAN_PCP_SHIFT) | SL_VLAN_CFI;
	return 0;
}

static int
sl_parse_vlan_tci(struct sl_pctx *c, const struct sl_field *f, char *val)
{
	uint64_t v = 0, mask = 0;
	int rc = sl_vlan_conflict(c, f);

	if (rc == 0)
		rc = sl_num_masked(c, f->name, val, UINT16_MAX, &v, &mask);
	if (rc < 0)
		return rc;
	c->m->key.vlan_tci = (uint16_t)v;
	c->m->mask.vlan_tci = (uint16_t)mask;
	return 0;
}

static int
sl_parse_ipv4(struct sl_pctx *c, const struct sl_field *f, char *val)
{
	return sl_addr_masked(c, f->name, AF_INET, val, SL_KEY(c, f), SL_MASK(c, f));
}

static int
sl_parse_ipv6(struct sl_pctx *c, const struct sl_field *f, char *val)
{
	return sl_addr_masked(c, f->name, AF_INET6, val, SL_KEY(c, f), SL_MASK(c, f));
}

static int
sl_parse_nw_proto(struct sl_pctx *c, const struct sl_field *f, char *val)
{
	uint64_t v = 0;
	int rc = sl_num(c, f->name, val, 0, UINT8_MAX, &v);

	return rc < 0 ? rc : sl_set_nw_proto(c, f->name, (uint8_t)v);
}

/* nw_tos is the DSCP part of the byte (ECN bits zero), as in OVS. */
static int
sl_parse_nw_tos(struct sl_pctx *c, const struct sl_field *f, char *val)
{
	uint64_t v = 0;
	int rc = sl_num(c, f->name, val, 0, UINT8_MAX, &v);

	if (rc < 0)
		return rc;
	if (v & SL_TOS_ECN_MASK)
		return sl_fail(c, -EINVAL, "%s: %s has ECN bits set (use a multiple of 4)", f->name,
			       val);
	c->m->key.nw_tos |= (uint8_t)v;
	c->m->mask.nw_tos |= SL_TOS_DSCP_MASK;
	return 0;
}

static int
sl_parse_nw_ecn(struct sl_pctx *c, const struct sl_field *f, char *val)
{
	uint64_t v = 0;
	int rc = sl_num(c, f->name, val, 0, SL_TOS_ECN_MASK, &v);

	if (rc < 0)
		return rc;
	c->m->key.nw_tos |= (uint8_t)v;
	c->m->mask.nw_tos |= SL_TOS_ECN_MASK;
	return 0;
}

static int
sl_parse_u8(struct sl_pctx *c, const struct sl_field *f, char *val)
{
	uint64_t v = 0;
	int rc = sl_num(c, f->name, val, 0, UINT8_MAX, &v);

	*SL_KEY(c, f) = (uint8_t)v;
	*SL_MASK(c, f) = 0xff;
	return rc;
}

/* L4 ports are kept in network order; a mask is allowed, as in OVS. */
static int
sl_parse_tp(struct sl_pctx *c, const struct sl_field *f, char *val)
{
	uint64_t v = 0, mask = 0;
	uint16_t be_v, be_mask;
	int rc = sl_num_masked(c, f->name, val, UINT16_MAX, &v, &mask);

	if (rc < 0)
		return rc;
	be_v = htons((uint16_t)v);
	be_mask = htons((uint16_t)mask);
	memcpy(SL_KEY(c, f), &be_v, 2);
	memcpy(SL_MASK(c, f), &be_mask, 2);
	return 0;
}

/* ICMP type/code sit in tp_src/tp_dst as htons(value), like the parser puts them. */
static int
sl_parse_icmp(struct sl_pctx *c, const struct sl_field *f, char *val)
{
	uint64_t v = 0;
	uint16_t be_v, be_mask = 0xffff;
	int rc = sl_num(c, f->name, val, 0, UINT8_MAX, &v);

	if (rc < 0)
		return rc;
	be_v = htons((uint16_t)v);
	memcpy(SL_KEY(c, f), &be_v, 2);
	memcpy(SL_MASK(c, f), &be_mask, 2);
	return 0;
}

#define SL_K(member) offsetof(struct sl_flow_key, member)

static const struct sl_field sl_fields[] = {
	{ "priority", SL_F_PRIORITY, SL_PRE_NONE, sl_parse_priority, 0 },
	{ "cookie", SL_F_COOKIE, SL_PRE_NONE, sl_parse_cookie, 0 },
	{ "table", SL_F_TABLE, SL_PRE_NONE, sl_parse_table, 0 },
	{ "idle_timeout", SL_F_IDLE_TIMEOUT, SL_PRE_NONE, sl_parse_timeout, 0 },
	{ "hard_timeout", SL_F_HARD_TIMEOUT, SL_PRE_NONE, sl_parse_timeout, 0 },
	{ "in_port", SL_F_IN_PORT, SL_PRE_NONE, sl_parse_in_port, 0 },
	{ "dl_src", SL_F_DL_SRC, SL_PRE_NONE, sl_parse_mac, SL_K(dl_src) },
	{ "dl_dst", SL_F_DL_DST, SL_PRE_NONE, sl_parse_mac, SL_K(dl_dst) },
	{ "dl_type", SL_F_DL_TYPE, SL_PRE_NONE, sl_parse_dl_type, 0 },
	{ "dl_vlan", SL_F_DL_VLAN, SL_PRE_NONE, sl_parse_dl_vlan, 0 },
	{ "dl_vlan_pcp", SL_F_DL_VLAN_PCP, SL_PRE_NONE, sl_parse_dl_vlan_pcp, 0 },
	{ "vlan_tci", SL_F_VLAN_TCI, SL_PRE_NONE, sl_parse_vlan_tci, 0 },
	{ "nw_src", SL_F_NW_SRC, SL_PRE_IP_ARP, sl_parse_ipv4, SL_K(nw_src) },
	{ "nw_dst", SL_F_NW_DST, SL_PRE_IP_ARP, sl_parse_ipv4, SL_K(nw_dst) },
	{ "arp_spa", SL_F_NW_SRC, SL_PRE_ARP, sl_parse_ipv4, SL_K(nw_src) },
	{ "arp_tpa", SL_F_NW_DST, SL_PRE_ARP, sl_parse_ipv4, SL_K(nw_dst) },
	{ "ipv6_src", SL_F_NW_SRC, SL_PRE_IPV6, sl_parse_ipv6, SL_K(nw_src) },
	{ "ipv6_dst", SL_F_NW_DST, SL_PRE_IPV6, sl_parse_ipv6, SL_K(nw_dst) },
	{ "nw_proto", SL_F_NW_PROTO, SL_PRE_IP_ANY_ARP, sl_parse_nw_proto, 0 },
	{ "arp_op", SL_F_NW_PROTO, SL_PRE_ARP, sl_parse_nw_proto, 0 },
	{ "nw_tos", SL_F_NW_TOS, SL_PRE_IP_ANY, sl_parse_nw_tos, 0 },
	{ "nw_ecn", SL_F_NW_ECN, SL_PRE_IP_ANY, sl_parse_nw_ecn, 0 },
	{ "nw_ttl", SL_F_NW_TTL, SL_PRE_IP_ANY, sl_parse_u8, SL_K(nw_ttl) },
	{ "tp_src", SL_F_TP_SRC, SL_PRE_L4, sl_parse_tp, SL_K(tp_src) },
	{ "tp_dst", SL_F_TP_DST, SL_PRE_L4, sl_parse_tp, SL_K(tp_dst) },
	{ "icmp_type", SL_F_TP_SRC, SL_PRE_ICMP, sl_parse_icmp, SL_K(tp_src) },
	{ "icmp_code", SL_F_TP_DST, SL_PRE_ICMP, sl_parse_icmp, SL_K(tp_dst) },
};

static int
sl_apply_proto_word(struct sl_pctx *c, const struct sl_proto_word *w)
{
	int rc = sl_set_dl_type(c, w->name, w->dl_type);

	if (rc == 0 && w->proto >= 0)
		rc = sl_set_nw_proto(c, w->name, (uint8_t)w->proto);
	return rc;
}

/* Case-insensitive equality with a lower-case keyword; the first letter
 * settles most comparisons (this runs for every token of every flow). */
static inline bool
sl_word_eq(const char *s, const char *lower)
{
	return (s[0] | 0x20) == lower[0] && strcasecmp(s, lower) == 0;
}

/* One "key" or "key=value" of the match part; @val is NULL without '='. */
static int
sl_apply_token(struct sl_pctx *c, const char *key, char *val)
{
	const struct sl_field *f = NULL;
	size_t i;

	for (i = 0; i < SL_ARRAY_SIZE(sl_proto_words); i++) {
		if (!sl_word_eq(key, sl_proto_words[i].name))
			continue;
		if (val != NULL)
			return sl_fail(c, -EINVAL, "%s: takes no value", key);
		return sl_apply_proto_word(c, &sl_proto_words[i]);
	}
	for (i = 0; i < SL_ARRAY_SIZE(sl_fields) && f == NULL; i++)
		if (sl_word_eq(key, sl_fields[i].name))
			f = &sl_fields[i];
	if (f == NULL)
		return sl_fail(c, -EINVAL, "unknown field \"%s\"", key);
	if (val == NULL)
		return sl_fail(c, -EINVAL, "%s: missing value (%s=...)", f->name, f->name);
	if (c->given[f->id] != NULL)
		return sl_fail(c, -EINVAL, "duplicate field \"%s\"", f->name);
	c->given[f->id] = f;
	return f->parse(c, f, val);
}

/* ---- prerequisites ---- */

static bool
sl_is_dl(const struct sl_match *m, uint16_t type)
{
	return m->mask.dl_type == 0xffff && m->key.dl_type == type;
}

static bool
sl_is_proto(const struct sl_match *m, uint8_t proto)
{
	return m->mask.nw_proto == 0xff && m->key.nw_proto == proto;
}

static bool
sl_is_ip_any(const struct sl_match *m)
{
	return sl_is_dl(m, SL_DL_TYPE_IP) || sl_is_dl(m, SL_DL_TYPE_IPV6);
}

static bool
sl_prereq_met(const struct sl_match *m, enum sl_prereq p)
{
	switch (p) {
	case SL_PRE_NONE:
		return true;
	case SL_PRE_IP_ARP:
		return sl_is_dl(m, SL_DL_TYPE_IP) || sl_is_dl(m, SL_DL_TYPE_ARP);
	case SL_PRE_IP_ANY_ARP:
		return sl_is_ip_any(m) || sl_is_dl(m, SL_DL_TYPE_ARP);
	case SL_PRE_IP_ANY:
		return sl_is_ip_any(m);
	case SL_PRE_ARP:
		return sl_is_dl(m, SL_DL_TYPE_ARP);
	case SL_PRE_IPV6:
		return sl_is_dl(m, SL_DL_TYPE_IPV6);
	case SL_PRE_L4:
		return sl_is_ip_any(m) && (sl_is_proto(m, SL_IPPROTO_TCP) ||
					   sl_is_proto(m, SL_IPPROTO_UDP) ||
					   sl_is_proto(m, SL_IPPROTO_SCTP));
	case SL_PRE_ICMP:
		return (sl_is_dl(m, SL_DL_TYPE_IP) && sl_is_proto(m, SL_IPPROTO_ICMP)) ||
		       (sl_is_dl(m, SL_DL_TYPE_IPV6) && sl_is_proto(m, SL_IPPROTO_ICMPV6));
	}
	return false;
}

static int
sl_check_prereqs(struct sl_pctx *c)
{
	unsigned int i;

	for (i = 0; i < SL_F_COUNT; i++) {
		const struct sl_field *f = c->given[i];

		if (f != NULL && !sl_prereq_met(c->m, f->prereq))
			return sl_fail(c, -EINVAL, "%s: missing prerequisite, needs %s", f->name,
				       sl_prereq_text[f->prereq]);
	}
	return 0;
}

/* ---- actions ---- */

enum sl_act_arg {
	SL_ARG_NONE,
	SL_ARG_PORT,
	SL_ARG_VID,
	SL_ARG_PCP,
	SL_ARG_TPID,
	SL_ARG_MAC,
	SL_ARG_METER,
	SL_ARG_GROUP,
};

struct sl_act_word {
	const char *name;
	enum sl_action_type type;
	enum sl_act_arg arg;
};

static const struct sl_act_word sl_act_words[] = {
	{ "output", SL_ACT_OUTPUT, SL_ARG_PORT },
	{ "normal", SL_ACT_NORMAL, SL_ARG_NONE },
	{ "flood", SL_ACT_FLOOD, SL_ARG_NONE },
	{ "all", SL_ACT_ALL, SL_ARG_NONE },
	{ "in_port", SL_ACT_IN_PORT, SL_ARG_NONE },
	{ "mod_vlan_vid", SL_ACT_SET_VLAN_VID, SL_ARG_VID },
	{ "mod_vlan_pcp", SL_ACT_SET_VLAN_PCP, SL_ARG_PCP },
	{ "strip_vlan", SL_ACT_STRIP_VLAN, SL_ARG_NONE },
	{ "pop_vlan", SL_ACT_STRIP_VLAN, SL_ARG_NONE },
	{ "push_vlan", SL_ACT_PUSH_VLAN, SL_ARG_TPID },
	{ "mod_dl_src", SL_ACT_SET_DL_SRC, SL_ARG_MAC },
	{ "mod_dl_dst", SL_ACT_SET_DL_DST, SL_ARG_MAC },
	{ "meter", SL_ACT_METER, SL_ARG_METER },
	{ "group", SL_ACT_GROUP, SL_ARG_GROUP },
};

static int
sl_action_arg(struct sl_pctx *c, const struct sl_act_word *w, const char *arg,
	      struct sl_action *a)
{
	char what[48];
	uint64_t v = 0;
	int rc = 0;

	snprintf(what, sizeof(what), "actions: %s", w->name);
	switch (w->arg) {
	case SL_ARG_NONE:
		break;
	case SL_ARG_PORT:
		return sl_port(c, what, arg, &a->arg);
	case SL_ARG_VID:
		rc = sl_num(c, what, arg, 0, SL_VLAN_VID_MASK, &v);
		break;
	case SL_ARG_PCP:
		rc = sl_num(c, what, arg, 0, 7, &v);
		break;
	case SL_ARG_TPID:
		rc = sl_num(c, what, arg, 0, UINT16_MAX, &v);
		if (rc == 0 && v != 0x8100 && v != 0x88a8)
			return sl_fail(c, -EINVAL, "%s: TPID %s is not 0x8100 or 0x88a8", what,
				       arg);
		break;
	case SL_ARG_MAC:
		if (!sl_mac_from_str(arg, a->mac))
			return sl_fail(c, -EINVAL, "%s: bad Ethernet address \"%s\"", what, arg);
		break;
	case SL_ARG_METER:
		/* The id; the primary binds it to a meter of its table (arg). */
		rc = sl_num(c, what, arg, 1, SL_METER_ID_MAX, &v);
		sl_action_set_u32(a, (uint32_t)v);
		a->arg = 0;
		return rc;
	case SL_ARG_GROUP:
		/* The id; the primary binds it to a group of its table (arg). */
		rc = sl_num(c, what, arg, 0, SL_GROUP_ID_MAX, &v);
		sl_action_set_u32(a, (uint32_t)v);
		a->arg = 0;
		return rc;
	}
	a->arg = (uint16_t)v;
	return rc;
}

/* One action: "name", "name:arg" or a bare port number (output). */
static int
sl_parse_action(struct sl_pctx *c, char *tok, struct sl_action *a)
{
	const struct sl_act_word *w = NULL;
	char *arg = strchr(tok, ':');
	size_t i;

	if (tok[0] >= '0' && tok[0] <= '9') {
		a->type = SL_ACT_OUTPUT;
		return sl_port(c, "actions: output", tok, &a->arg);
	}
	if (arg != NULL)
		*arg++ = '\0';
	for (i = 0; i < SL_ARRAY_SIZE(sl_act_words) && w == NULL; i++)
		if (sl_word_eq(tok, sl_act_words[i].name))
			w = &sl_act_words[i];
	if (w == NULL)
		return sl_fail(c, -EINVAL, "actions: unknown action \"%s\"", tok);
	if (w->arg == SL_ARG_NONE && arg != NULL)
		return sl_fail(c, -EINVAL, "actions: %s takes no argument", w->name);
	if (w->arg != SL_ARG_NONE && (arg == NULL || *arg == '\0'))
		return sl_fail(c, -EINVAL, "actions: %s needs an argument (%s:...)", w->name,
			       w->name);
	a->type = (uint16_t)w->type;
	return sl_action_arg(c, w, arg, a);
}

/* Copy @n bytes of @s without surrounding whitespace into @buf. */
static bool
sl_trim_copy(char *buf, size_t size, const char *s, size_t n)
{
	while (n > 0 && strchr(SL_SPACES, s[0]) != NULL)
		s++, n--;
	while (n > 0 && strchr(SL_SPACES, s[n - 1]) != NULL)
		n--;
	if (n >= size)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return true;
}

/* Everything after "actions=": comma separated, "drop" or empty = no actions. */
static int
sl_parse_actions(struct sl_pctx *c, const char *s)
{
	struct sl_actions *acts = &c->flow->actions;
	char tok[SL_TOKEN_MAX];
	bool drop = false;
	int rc;

	for (;;) {
		size_t n = strcspn(s, ",");

		if (!sl_trim_copy(tok, sizeof(tok), s, n))
			return sl_fail(c, -EINVAL, "actions: action too long \"%.32s...\"", s);
		if (tok[0] == '\0') {
			if (s[n] != '\0' || acts->n > 0 || drop)
				return sl_fail(c, -EINVAL, "actions: empty action in list");
		} else if (strcasecmp(tok, "drop") == 0) {
			drop = true;
		} else if (acts->n == SL_MAX_ACTIONS) {
			return sl_fail(c, -E2BIG, "actions: more than %d actions", SL_MAX_ACTIONS);
		} else {
			rc = sl_parse_action(c, tok, &acts->a[acts->n]);
			if (rc < 0)
				return rc;
			/* OpenFlow 1.3 has meter as an instruction, run before the
			 * action list: ovs-ofctl wants it first, and so do we. */
			if (acts->a[acts->n].type == SL_ACT_METER && acts->n > 0)
				return sl_fail(c, -EINVAL,
					       "actions: meter must come first (an OpenFlow 1.3 "
					       "instruction, applied before the actions)");
			acts->n++;
		}
		if (drop && acts->n > 0)
			return sl_fail(c, -EINVAL, "actions: \"drop\" must be the only action");
		if (s[n] == '\0')
			return 0;
		s += n + 1;
	}
}

int
sl_actions_parse(const char *text, sl_port_resolve_fn resolve, void *ctx, struct sl_actions *acts,
		 char *err, size_t errlen)
{
	struct sl_flow f;
	struct sl_pctx c = {
		.mode = SL_PARSE_FLOW,
		.flow = &f,
		.m = &f.match,
		.resolve = resolve,
		.rctx = ctx,
		.err = err,
		.errlen = errlen,
	};
	int rc;

	memset(&f, 0, sizeof(f));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	rc = sl_parse_actions(&c, text);
	if (rc == 0)
		*acts = f.actions;
	return rc;
}

/* ---- the parser ---- */

/*
 * Split the match part into "key[=value]" tokens separated by commas or
 * white space; "actions=" takes the rest of the line.
 */
static int
sl_parse_tokens(struct sl_pctx *c, const char *p, enum sl_flow_parse_mode mode,
		bool *saw_actions)
{
	char key[SL_TOKEN_MAX], val[SL_TOKEN_MAX];
	int rc;

	for (;;) {
		size_t klen, vlen;
		const char *q;
		bool is_actions;

		p += strspn(p, SL_SEPS);
		if (*p == '\0')
			return 0;
		klen = strcspn(p, "=" SL_SEPS);
		if (klen == 0)
			return sl_fail(c, -EINVAL, "bad syntax near \"%.32s\"", p);
		if (!sl_trim_copy(key, sizeof(key), p, klen))
			return sl_fail(c, -EINVAL, "unknown field \"%.32s...\"", p);
		p += klen;
		q = p + strspn(p, SL_SPACES);
		/* ovs-ofctl takes "action=" as well as "actions=" (the seed writes it so). */
		is_actions = strcasecmp(key, "actions") == 0 || strcasecmp(key, "action") == 0;
		if (*q != '=' && is_actions) {
			return sl_fail(c, -EINVAL, "actions: missing \"=\" (actions=...)");
		} else if (*q != '=') {
			rc = sl_apply_token(c, key, NULL);
		} else if (is_actions) {
			*saw_actions = true;
			if (mode == SL_PARSE_MATCH)
				return sl_fail(c, -EINVAL, "actions= not allowed in a match");
			return sl_parse_actions(c, q + 1);
		} else {
			q++;
			q += strspn(q, SL_SPACES);
			vlen = strcspn(q, SL_SEPS);
			if (!sl_trim_copy(val, sizeof(val), q, vlen))
				return sl_fail(c, -EINVAL, "%s: value too long", key);
			p = q + vlen;
			rc = sl_apply_token(c, key, val);
		}
		if (rc < 0)
			return rc;
	}
}

int
sl_flow_parse(const char *text, enum sl_flow_parse_mode mode, sl_port_resolve_fn resolve,
	      void *ctx, struct sl_flow *flow, char *err, size_t errlen)
{
	struct sl_pctx c = {
		.mode = mode,
		.flow = flow,
		.m = &flow->match,
		.resolve = resolve,
		.rctx = ctx,
		.err = err,
		.errlen = errlen,
	};
	bool saw_actions = false;
	int rc;

	/* memset, not "= {0}": padding must be zero for memcmp of flows. */
	memset(flow, 0, sizeof(*flow));
	flow->priority = SL_FLOW_DEFAULT_PRIORITY;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (text == NULL)
		return sl_fail(&c, -EINVAL, "empty flow");

	rc = sl_parse_tokens(&c, text, mode, &saw_actions);
	if (rc == 0 && mode != SL_PARSE_MATCH && !saw_actions)
		rc = sl_fail(&c, -EINVAL, "missing actions=");
	if (rc == 0)
		rc = sl_check_prereqs(&c);
	if (rc < 0)
		return rc;
	sl_match_normalize(&flow->match);
	return 0;
}

/* ---- printing ---- */

/* snprintf-style accumulator: @pos counts what would have been written. */
struct sl_out {
	char *buf;
	size_t len;
	size_t pos;
	bool sep; /* next item needs a comma */
};

static void
sl_out(struct sl_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
sl_out(struct sl_out *o, const char *fmt, ...)
{
	size_t room = o->pos < o->len ? o->len - o->pos : 0;
	va_list ap;
	int n;

	/* Most pieces are plain words: skip printf's machinery for them
	 * (dump-flows and the DB format every flow of big tables). */
	if (strchr(fmt, '%') == NULL) {
		size_t l = strlen(fmt);

		if (room > 0) {
			size_t c = l < room - 1 ? l : room - 1;

			memcpy(o->buf + o->pos, fmt, c);
			o->buf[o->pos + c] = '\0';
		}
		o->pos += l;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(room > 0 ? o->buf + o->pos : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->pos += (size_t)n;
}

/* Append @str as is. */
static void
sl_put(struct sl_out *o, const char *str)
{
	size_t l = strlen(str), room = o->pos < o->len ? o->len - o->pos : 0;

	if (room > 0) {
		size_t c = l < room - 1 ? l : room - 1;

		memcpy(o->buf + o->pos, str, c);
		o->buf[o->pos + c] = '\0';
	}
	o->pos += l;
}

/* Append a decimal number without printf. */
static void
sl_put_u(struct sl_out *o, uint64_t v)
{
	char d[24], *p = d + sizeof(d) - 1;

	*p = '\0';
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	sl_put(o, p);
}

/* Start a new comma-separated item. */
static void
sl_item(struct sl_out *o)
{
	if (o->sep)
		sl_out(o, ",");
	o->sep = true;
}

static bool
sl_all_ones(const uint8_t *p, size_t n)
{
	while (n-- > 0)
		if (*p++ != 0xff)
			return false;
	return true;
}

static bool
sl_all_zero(const uint8_t *p, size_t n)
{
	while (n-- > 0)
		if (*p++ != 0)
			return false;
	return true;
}

/* Prefix length of a CIDR mask, or -1 if the mask is not contiguous. */
static int
sl_mask_plen(const uint8_t *mask, size_t n)
{
	int plen = 0;
	size_t i;

	for (i = 0; i < n && mask[i] == 0xff; i++)
		plen += 8;
	if (i < n) {
		uint8_t b = mask[i];

		while (b & 0x80) {
			b = (uint8_t)(b << 1);
			plen++;
		}
		if (b != 0 || !sl_all_zero(mask + i + 1, n - i - 1))
			return -1;
	}
	return plen;
}

static void
sl_out_mac(struct sl_out *o, const uint8_t *m)
{
	sl_out(o, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void
sl_out_mac_field(struct sl_out *o, const char *name, const uint8_t *key, const uint8_t *mask)
{
	if (sl_all_zero(mask, 6))
		return;
	sl_item(o);
	sl_put(o, name);
	sl_put(o, "=");
	sl_out_mac(o, key);
	if (!sl_all_ones(mask, 6)) {
		sl_out(o, "/");
		sl_out_mac(o, mask);
	}
}

static void
sl_out_addr_field(struct sl_out *o, const char *name, int af, const uint8_t *key,
		  const uint8_t *mask)
{
	size_t bytes = af == AF_INET ? 4 : 16;
	char addr[INET6_ADDRSTRLEN];
	int plen = sl_mask_plen(mask, bytes);

	if (plen == 0)
		return;
	sl_item(o);
	sl_put(o, name);
	sl_put(o, "=");
	if (af == AF_INET) {
		/* glibc's inet_ntop goes through sprintf; dotted quads are easy. */
		for (int i = 0; i < 4; i++) {
			if (i)
				sl_put(o, ".");
			sl_put_u(o, key[i]);
		}
	} else {
		inet_ntop(af, key, addr, sizeof(addr));
		sl_put(o, addr);
	}
	if (plen < 0) {
		inet_ntop(af, mask, addr, sizeof(addr));
		sl_out(o, "/%s", addr);
	} else if ((size_t)plen != bytes * 8) {
		sl_put(o, "/");
		sl_put_u(o, (uint64_t)plen);
	}
}

/* tp_src/tp_dst in network order; masked as value/mask like OVS prints. */
static void
sl_out_tp_field(struct sl_out *o, const char *name, uint16_t be_key, uint16_t be_mask,
		bool icmp)
{
	uint16_t key = ntohs(be_key), mask = ntohs(be_mask);

	if (mask == 0)
		return;
	sl_item(o);
	if (icmp || mask == 0xffff) {
		sl_put(o, name);
		sl_put(o, "=");
		sl_put_u(o, key);
	} else {
		sl_out(o, "%s=0x%04x/0x%04x", name, key, mask);
	}
}

/* The shorthand that covers dl_type (and nw_proto if it can); NULL if none. */
static const struct sl_proto_word *
sl_find_proto_word(const struct sl_match *m)
{
	const struct sl_proto_word *best = NULL;
	size_t i;

	if (m->mask.dl_type != 0xffff)
		return NULL;
	for (i = 0; i < SL_ARRAY_SIZE(sl_proto_words); i++) {
		const struct sl_proto_word *w = &sl_proto_words[i];

		if (w->dl_type != m->key.dl_type)
			continue;
		if (w->proto < 0 && best == NULL)
			best = w;
		else if (w->proto >= 0 && sl_is_proto(m, (uint8_t)w->proto))
			return w;
	}
	return best;
}

static void
sl_out_vlan(struct sl_out *o, const struct sl_match *m)
{
	const uint16_t vid_mask = SL_VLAN_VID_MASK | SL_VLAN_CFI;
	const uint16_t pcp_mask = (7u << SL_VLAN_PCP_SHIFT) | SL_VLAN_CFI;
	uint16_t tci = m->key.vlan_tci, mask = m->mask.vlan_tci;
	bool vid = mask == vid_mask || mask == 0xffff;
	bool pcp = mask == pcp_mask || mask == 0xffff;

	if (mask == 0)
		return;
	sl_item(o);
	/* Prefer the dl_vlan/dl_vlan_pcp spelling whenever it says the same. */
	if ((tci & SL_VLAN_CFI) && vid && pcp)
		sl_out(o, "dl_vlan=%u,dl_vlan_pcp=%u", tci & SL_VLAN_VID_MASK,
		       tci >> SL_VLAN_PCP_SHIFT);
	else if ((tci & SL_VLAN_CFI) && vid)
		sl_out(o, "dl_vlan=%u", tci & SL_VLAN_VID_MASK);
	else if ((tci & SL_VLAN_CFI) && pcp)
		sl_out(o, "dl_vlan_pcp=%u", tci >> SL_VLAN_PCP_SHIFT);
	else if (mask == 0xffff)
		sl_out(o, "vlan_tci=0x%04x", tci);
	else
		sl_out(o, "vlan_tci=0x%04x/0x%04x", tci, mask);
}

/* nw_src/nw_dst as IPv4, ARP or IPv6 depending on dl_type. */
static void
sl_out_nw_addrs(struct sl_out *o, const struct sl_match *m)
{
	bool v6 = sl_is_dl(m, SL_DL_TYPE_IPV6), arp = sl_is_dl(m, SL_DL_TYPE_ARP);

	if (v6) {
		sl_out_addr_field(o, "ipv6_src", AF_INET6, m->key.nw_src, m->mask.nw_src);
		sl_out_addr_field(o, "ipv6_dst", AF_INET6, m->key.nw_dst, m->mask.nw_dst);
		return;
	}
	sl_out_addr_field(o, arp ? "arp_spa" : "nw_src", AF_INET, m->key.nw_src, m->mask.nw_src);
	sl_out_addr_field(o, arp ? "arp_tpa" : "nw_dst", AF_INET, m->key.nw_dst, m->mask.nw_dst);
}

static void
sl_out_l3(struct sl_out *o, const struct sl_match *m, bool proto_done)
{
	sl_out_nw_addrs(o, m);
	if (m->mask.nw_proto != 0 && !proto_done) {
		sl_item(o);
		sl_out(o, "%s=%u", sl_is_dl(m, SL_DL_TYPE_ARP) ? "arp_op" : "nw_proto",
		       m->key.nw_proto);
	}
	if (m->mask.nw_tos & SL_TOS_DSCP_MASK) {
		sl_item(o);
		sl_out(o, "nw_tos=%u", m->key.nw_tos & SL_TOS_DSCP_MASK);
	}
	if (m->mask.nw_tos & SL_TOS_ECN_MASK) {
		sl_item(o);
		sl_out(o, "nw_ecn=%u", m->key.nw_tos & SL_TOS_ECN_MASK);
	}
	if (m->mask.nw_ttl != 0) {
		sl_item(o);
		sl_out(o, "nw_ttl=%u", m->key.nw_ttl);
	}
}

static void
sl_out_match(struct sl_out *o, const struct sl_match *m, uint32_t priority)
{
	const struct sl_proto_word *w = sl_find_proto_word(m);
	bool icmp = sl_prereq_met(m, SL_PRE_ICMP);

	sl_item(o);
	sl_put(o, "priority=");
	sl_put_u(o, priority);
	if (w != NULL) {
		sl_item(o);
		sl_put(o, w->name);
	} else if (m->mask.dl_type != 0) {
		sl_item(o);
		sl_out(o, "dl_type=0x%04x", m->key.dl_type);
	}
	if (m->mask.in_port != 0) {
		sl_item(o);
		sl_put(o, "in_port=");
		sl_put_u(o, m->key.in_port);
	}
	sl_out_vlan(o, m);
	sl_out_mac_field(o, "dl_src", m->key.dl_src, m->mask.dl_src);
	sl_out_mac_field(o, "dl_dst", m->key.dl_dst, m->mask.dl_dst);
	sl_out_l3(o, m, w != NULL && w->proto >= 0);
	sl_out_tp_field(o, icmp ? "icmp_type" : "tp_src", m->key.tp_src, m->mask.tp_src, icmp);
	sl_out_tp_field(o, icmp ? "icmp_code" : "tp_dst", m->key.tp_dst, m->mask.tp_dst, icmp);
}

static void
sl_out_action(struct sl_out *o, const struct sl_action *a)
{
	const uint8_t *mac = a->mac;

	switch ((enum sl_action_type)a->type) {
	case SL_ACT_OUTPUT:
		sl_put(o, "output:");
		sl_put_u(o, a->arg);
		return;
	case SL_ACT_NORMAL:
		sl_out(o, "NORMAL");
		return;
	case SL_ACT_FLOOD:
		sl_out(o, "FLOOD");
		return;
	case SL_ACT_ALL:
		sl_out(o, "ALL");
		return;
	case SL_ACT_IN_PORT:
		sl_out(o, "IN_PORT");
		return;
	case SL_ACT_SET_VLAN_VID:
		sl_out(o, "mod_vlan_vid:%u", a->arg);
		return;
	case SL_ACT_SET_VLAN_PCP:
		sl_out(o, "mod_vlan_pcp:%u", a->arg);
		return;
	case SL_ACT_STRIP_VLAN:
		sl_out(o, "strip_vlan");
		return;
	case SL_ACT_PUSH_VLAN:
		sl_out(o, "push_vlan:0x%04x", a->arg);
		return;
	case SL_ACT_SET_DL_SRC:
	case SL_ACT_SET_DL_DST:
		sl_out(o, "mod_dl_%s:", a->type == SL_ACT_SET_DL_SRC ? "src" : "dst");
		sl_out_mac(o, mac);
		return;
	case SL_ACT_METER:
		sl_put(o, "meter:");
		sl_put_u(o, sl_action_u32(a));
		return;
	case SL_ACT_GROUP:
		sl_put(o, "group:");
		sl_put_u(o, sl_action_u32(a));
		return;
	}
	sl_out(o, "unknown_action_%u", a->type);
}

static void
sl_out_actions(struct sl_out *o, const struct sl_actions *acts)
{
	uint16_t i;

	if (acts->n == 0)
		sl_out(o, "drop");
	for (i = 0; i < acts->n && i < SL_MAX_ACTIONS; i++) {
		if (i > 0)
			sl_out(o, ",");
		sl_out_action(o, &acts->a[i]);
	}
}

static int
sl_out_done(struct sl_out *o)
{
	if (o->len > 0 && o->pos == 0)
		o->buf[0] = '\0';
	return o->pos > INT32_MAX ? INT32_MAX : (int)o->pos;
}

int
sl_match_format(const struct sl_match *m, uint32_t priority, char *buf, size_t len)
{
	struct sl_out o = { buf, len, 0, false };

	sl_out_match(&o, m, priority);
	return sl_out_done(&o);
}

int
sl_selector_format(const struct sl_flow *sel, char *buf, size_t len)
{
	struct sl_out o = { buf, len, 0, false };

	if (sel->cookie_mask != 0) {
		sl_item(&o);
		sl_out(&o, "cookie=0x%" PRIx64 "/0x%" PRIx64, sel->cookie, sel->cookie_mask);
	}
	sl_out_match(&o, &sel->match, sel->priority);
	return sl_out_done(&o);
}

int
sl_actions_format(const struct sl_actions *acts, char *buf, size_t len)
{
	struct sl_out o = { buf, len, 0, false };

	sl_out_actions(&o, acts);
	return sl_out_done(&o);
}

int
sl_flow_format(const struct sl_flow *flow, char *buf, size_t len)
{
	struct sl_out o = { buf, len, 0, false };

	if (flow->cookie != 0) {
		sl_item(&o);
		sl_out(&o, "cookie=0x%" PRIx64, flow->cookie);
	}
	/* Before the match, as ovs-ofctl prints them in dump-flows. */
	if (flow->idle_timeout != 0) {
		sl_item(&o);
		sl_put(&o, "idle_timeout=");
		sl_put_u(&o, flow->idle_timeout);
	}
	if (flow->hard_timeout != 0) {
		sl_item(&o);
		sl_put(&o, "hard_timeout=");
		sl_put_u(&o, flow->hard_timeout);
	}
	sl_out_match(&o, &flow->match, flow->priority);
	sl_item(&o);
	sl_out(&o, "actions=");
	sl_out_actions(&o, &flow->actions);
	return sl_out_done(&o);
}
