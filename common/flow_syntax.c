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

#include "conntrack.h"
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
	SL_F_NW_FRAG,
	SL_F_PKT_MARK,
	SL_F_ACTSET_OUTPUT,
	SL_F_ARP_SHA,
	SL_F_ARP_THA,
	SL_F_IPV6_LABEL,
	SL_F_IMPORTANCE,
	SL_F_MPLS_LABEL,
	SL_F_MPLS_TC,
	SL_F_MPLS_BOS,
	SL_F_MPLS_TTL,
	SL_F_METADATA,
	/* Connection tracking (common/conntrack.h). */
	SL_F_CT_STATE,
	SL_F_CT_ZONE,
	SL_F_CT_MARK,
	SL_F_CT_LABEL,
	SL_F_CT_NW_SRC,
	SL_F_CT_NW_DST,
	SL_F_CT_NW_PROTO,
	SL_F_CT_TP_SRC,
	SL_F_CT_TP_DST,
	SL_F_REG0, /* .. SL_F_REG0 + 15 */
	SL_F_COUNT = SL_F_REG0 + SL_N_REGS
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
	SL_PRE_TCP,        /* tcp_src, tcp_dst */
	SL_PRE_UDP,
	SL_PRE_SCTP,
	SL_PRE_IP,         /* IPv4 only: mod_nw_src and the like */
	SL_PRE_ICMP4,
	SL_PRE_ICMP6,
	SL_PRE_MPLS,       /* mpls_label, mpls_tc, mpls_bos, mpls_ttl */
};

static const char *const sl_prereq_text[] = {
	[SL_PRE_IP_ARP] = "ip or arp",
	[SL_PRE_IP_ANY_ARP] = "ip, ipv6 or arp",
	[SL_PRE_IP_ANY] = "ip or ipv6",
	[SL_PRE_ARP] = "arp",
	[SL_PRE_IPV6] = "ipv6",
	[SL_PRE_L4] = "tcp, udp or sctp (or their 6 forms)",
	[SL_PRE_ICMP] = "icmp or icmp6",
	[SL_PRE_TCP] = "tcp or tcp6",
	[SL_PRE_UDP] = "udp or udp6",
	[SL_PRE_SCTP] = "sctp or sctp6",
	[SL_PRE_IP] = "ip",
	[SL_PRE_ICMP4] = "icmp",
	[SL_PRE_ICMP6] = "icmp6",
	[SL_PRE_MPLS] = "mpls or mplsm",
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
	{ "ip6", SL_DL_TYPE_IPV6, -1 },
	{ "icmp6", SL_DL_TYPE_IPV6, SL_IPPROTO_ICMPV6 },
	{ "tcp6", SL_DL_TYPE_IPV6, SL_IPPROTO_TCP },
	{ "udp6", SL_DL_TYPE_IPV6, SL_IPPROTO_UDP },
	{ "sctp6", SL_DL_TYPE_IPV6, SL_IPPROTO_SCTP },
	{ "arp", SL_DL_TYPE_ARP, -1 },
	{ "icmpv6", SL_DL_TYPE_IPV6, SL_IPPROTO_ICMPV6 },
	{ "mpls", SL_ETH_TYPE_MPLS, -1 },
	{ "mplsm", SL_ETH_TYPE_MPLSM, -1 },
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

/* LOCAL (any case) or 65534, the number OpenFlow 1.0 gives it. */
static bool
sl_is_local_port(const char *s)
{
	return strcasecmp(s, "LOCAL") == 0 || strcmp(s, "65534") == 0;
}

/* A port number or name; @what names the field or action for errors. */
static int
sl_port(struct sl_pctx *c, const char *what, const char *val, uint16_t *port)
{
	static const char *const reserved[] = { "CONTROLLER", "TABLE", "ANY", "NONE", "UNSET" };

	/* No reserved name begins with a digit: numbers skip the list. */
	for (size_t i = 0; i < SL_ARRAY_SIZE(reserved) && !(val[0] >= '0' && val[0] <= '9'); i++)
		if (strcasecmp(val, reserved[i]) == 0)
			return sl_fail(c, -ENOTSUP, "%s: not supported: port %s", what, reserved[i]);
	/* The bridge's local port, by name or by OpenFlow 1.0's number, as
	 * ovs-ofctl takes it; there may be no such port (then, as for any
	 * number no port has, nothing matches and nothing is sent). */
	if (sl_is_local_port(val)) {
		*port = SL_OFPP_LOCAL;
		return 0;
	}
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

/*
 * in_port and output take port 0 as ovs-ofctl does: a number no port ever
 * has (ofports start at 1), so in_port=0 matches nothing and output:0
 * sends nothing.
 */
static int
sl_port_or_zero(struct sl_pctx *c, const char *what, const char *val, uint16_t *port)
{
	uint64_t v;

	if (sl_parse_u64(val, 0, 0, &v) == 0) {
		*port = 0;
		return 0;
	}
	return sl_port(c, what, val, port);
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
	int rc = sl_num(c, f->name, val, 0, SL_MAX_TABLES - 1, &v);

	c->m->mkey.table = (uint8_t)v;
	c->m->mmask.table = 0xff;
	return rc;
}

/* Seconds, as OpenFlow has them (16 bits); 0 never expires. */
static int
sl_parse_timeout(struct sl_pctx *c, const struct sl_field *f, char *val)
{
	uint64_t v = 0;
	int rc;

	/* As ovs-ofctl: timeouts belong to what a flow is, not to what selects it. */
	if (c->mode == SL_PARSE_MATCH)
		return sl_fail(c, -EINVAL, "%s: not allowed in a match (add-flow and mod-flows "
					   "set timeouts)", f->name);
	rc = sl_num(c, f->name, val, 0, UINT16_MAX, &v);
	if (f->id == SL_F_IDLE_TIMEOUT)
		c->flow->idle_timeout = (uint16_t)v;
	else
		c->flow->hard_timeout = (uint16_t)v;
	return rc;
}

/*
 * importance=N (16 bits), OpenFlow 1.4's eviction priority: kept, printed
 * and persisted like the timeouts.  sluice never evicts a flow to make
 * room (a full table refuses the add), so it orders nothing yet.
 */
static int
sl_parse_importance(struct sl_pctx *c, const struct sl_field *f, char *val)
{
	uint64_t v = 0;
	int rc;

	if (c->mode == SL_PARSE_MATCH)
		return sl_fail(c, -EINVAL, "%s: not allowed in a match (add-flow and mod-flows "
					   "set it)", f->name);
	rc = sl_num(c, f->name, val, 0, UINT16_MAX, &v);
	c->flow->importance = (uint16_t)v;
	return rc;
}

static int
sl_parse_in_port(struct sl_pctx *c, const struct sl_field *f, char *val)
{
	c->m->mask.in_port = 0xffff;
	return sl_port_or_zero(c, f->name, val, &c->m->key.in_port);
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

/* metadata=VALUE[/MASK], 64 bits. */
static int
sl_parse_metadata(struct sl_pctx *c, const struct sl_field *f, char *val)
{
	uint64_t v = 0, mask = 0;
	int rc = sl_num_masked(c, f->name, val, UINT64_MAX, &v, &mask);

	c->m->mkey.metadata = v & mask;
	c->m->mmask.metadata = mask;
	return rc;
}

/* regN=VALUE[/MASK], 32 bits; the register number is the field's offset. */
static int
sl_parse_reg(struct sl_pctx *c, const struct sl_field *f, char *val)
{
	uint64_t v = 0, mask = 0;
	int rc = sl_num_masked(c, f->name, val, UINT32_MAX, &v, &mask);

	c->m->mkey.reg[f->ofs] = (uint32_t)(v & mask);
	c->m->mmask.reg[f->ofs] = (uint32_t)mask;
	return rc;
}

/*
 * A number of @n 32-bit words into @w, most significant first: decimal up
 * to 64 bits, or 0x and up to 8 * @n hex digits.  0 or -EINVAL.
 */
static int
sl_parse_wide_hex(const char *s, uint32_t *w, unsigned int n)
{
	size_t len;
	uint64_t v;

	memset(w, 0, n * sizeof(*w));
	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) {
		if (sl_parse_u64(s, 0, UINT64_MAX, &v) < 0)
			return -EINVAL;
		w[n - 1] = (uint32_t)v;
		w[n - 2] = (uint32_t)(v >> 32);
		return 0;
	}
	s += 2;
	len = strlen(s);
	if (len == 0 || len > 8 * n)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		int d = sl_hex_digit(s[len - 1 - i]);

		if (d < 0)
			return -EINVAL;
		w[n - 1 - i / 8] |= (uint32_t)d << (4 * (i % 8));
	}
	return 0;
}

/*
 * xregN (64 bits: reg2N above reg2N+1) and xxregN (128 bits: reg4N..reg4N+3,
 * most significant first), OVS's wide views of the registers.  @f->ofs is
 * the first register; the ones after it are taken too, so that regK= and a
 * wide register over it cannot both be given.
 */
static int
sl_parse_wide_reg(struct sl_pctx *c, const struct sl_field *f, char *val)
{
	unsigned int n = f->name[1] == 'x' ? 4 : 2, first = (unsigned int)f->ofs;
	uint32_t v[4] = { 0 }, mask[4];
	char *slash = strchr(val, '/');

	if (slash != NULL)
		*slash = '\0';
	if (sl_parse_wide_hex(val, v, n) < 0)
		return sl_fail(c, -EINVAL, "%s: bad %u-bit number \"%s\"", f->name, 32 * n, val);
	memset(mask, 0xff, sizeof(mask));
	if (slash != NULL && sl_parse_wide_hex(slash + 1, mask, n) < 0)
		return sl_fail(c, -EINVAL, "%s: bad %u-bit mask \"%s\"", f->name, 32 * n, slash + 1);
	for (unsigned int i = 0; i < n; i++) {
		if (i > 0 && c->given[SL_F_REG0 + first + i] != NULL)
			return sl_fail(c, -EINVAL, "duplicate field \"%s\" (it covers reg%u)", f->name,
				       first + i);
		c->given[SL_F_REG0 + first + i] = f;
		c->m->mkey.reg[first + i] = v[i] & mask[i];
		c->m->mmask.reg[first + i] = mask[i];
	}
	return 0;
}

/* ipv6_label=VALUE[/MASK], 20 bits, kept in network order like the packet's. */
static int
sl_parse_ipv6_label(struct sl_pctx *c, const struct sl_field *f, char *val)
{
	uint64_t v = 0, mask = 0;
	int rc = sl_num_masked(c, f->name, val, 0xfffff, &v, &mask);

	c->m->key.ipv6_label = htonl((uint32_t)(v & mask));
	c->m->mask.ipv6_label = htonl((uint32_t)mask);
	return rc;
}

/* pkt_mark=VALUE[/MASK], 32 bits. */
static int
sl_parse_pkt_mark(struct sl_pctx *c, const struct sl_field *f, char *val)
{
	uint64_t v = 0, mask = 0;
	int rc = sl_num_masked(c, f->name, val, UINT32_MAX, &v, &mask);

	c->m->mkey.pkt_mark = (uint32_t)(v & mask);
	c->m->mmask.pkt_mark = (uint32_t)mask;
	return rc;
}

/* actset_output=PORT or unset (no output in the action set); not maskable. */
static int
sl_parse_actset_output(struct sl_pctx *c, const struct sl_field *f, char *val)
{
	c->m->mmask.actset_output = 0xffff;
	if (strcasecmp(val, "unset") == 0) {
		c->m->mkey.actset_output = 0;
		return 0;
	}
	return sl_port(c, f->name, val, &c->m->mkey.actset_output);
}

/* ip_dscp: the DSCP as a number 0..63 (nw_tos is it shifted left by two). */
static int
sl_parse_ip_dscp(struct sl_pctx *c, const struct sl_field *f, char *val)
{
	uint64_t v = 0;
	int rc = sl_num(c, f->name, val, 0, 63, &v);

	c->m->key.nw_tos |= (uint8_t)(v << 2);
	c->m->mask.nw_tos |= SL_TOS_DSCP_MASK;
	return rc;
}

/* ip_frag=no|yes|first|later|not_later, as OVS spells the fragment bits. */
static int
sl_parse_ip_frag(struct sl_pctx *c, const struct sl_field *f, char *val)
{
	static const struct {
		const char *name;
		uint8_t key, mask;
	} kinds[] = {
		{ "no", 0, SL_FRAG_ANY },
		{ "yes", SL_FRAG_ANY, SL_FRAG_ANY },
		{ "first", SL_FRAG_ANY, SL_FRAG_ANY | SL_FRAG_LATER },
		{ "later", SL_FRAG_ANY | SL_FRAG_LATER, SL_FRAG_ANY | SL_FRAG_LATER },
		{ "not_later", 0, SL_FRAG_LATER },
	};

	for (size_t i = 0; i < SL_ARRAY_SIZE(kinds); i++) {
		if (strcasecmp(val, kinds[i].name) == 0) {
			c->m->key.nw_frag = kinds[i].key;
			c->m->mask.nw_frag = kinds[i].mask;
			return 0;
		}
	}
	return sl_fail(c, -EINVAL, "%s: \"%s\" is not no, yes, first, later or not_later",
		       f->name, val);
}

/* ---- connection tracking fields (common/conntrack.h) ---- */

/* ct_state=+trk-new... or ct_state=0x21/0x21. */
static int
sl_parse_ct_state(struct sl_pctx *c, const struct sl_field *f, char *val)
{
	if (sl_ct_state_parse(val, &c->m->mkey.ct_state, &c->m->mmask.ct_state) < 0)
		return sl_fail(c, -EINVAL,
			       "%s: bad value \"%s\" (flags +new, +est, +rel, +rpl, +inv, +trk, "
			       "+snat, +dnat or their - forms, or VALUE/MASK)",
			       f->name, val);
	return 0;
}

/* ct_zone, ct_mark, ct_nw_proto, ct_tp_src, ct_tp_dst: numbers, masked. */
static int
sl_parse_ct_num(struct sl_pctx *c, const struct sl_field *f, char *val)
{
	struct sl_flow_meta *k = &c->m->mkey, *mk = &c->m->mmask;
	uint64_t v = 0, mask = 0;
	int rc;

	switch (f->id) {
	case SL_F_CT_MARK:
		rc = sl_num_masked(c, f->name, val, UINT32_MAX, &v, &mask);
		k->ct_mark = (uint32_t)(v & mask);
		mk->ct_mark = (uint32_t)mask;
		return rc;
	case SL_F_CT_NW_PROTO:
		rc = sl_num(c, f->name, val, 0, 255, &v);
		k->ct_nw_proto = (uint8_t)v;
		mk->ct_nw_proto = 0xff;
		return rc;
	case SL_F_CT_ZONE:
		rc = sl_num_masked(c, f->name, val, UINT16_MAX, &v, &mask);
		k->ct_zone = (uint16_t)(v & mask);
		mk->ct_zone = (uint16_t)mask;
		return rc;
	default: /* the ports, network order like the key's */
		rc = sl_num_masked(c, f->name, val, UINT16_MAX, &v, &mask);
		if (f->id == SL_F_CT_TP_SRC) {
			k->ct_tp_src = htons((uint16_t)(v & mask));
			mk->ct_tp_src = htons((uint16_t)mask);
		} else {
			k->ct_tp_dst = htons((uint16_t)(v & mask));
			mk->ct_tp_dst = htons((uint16_t)mask);
		}
		return rc;
	}
}

/* ct_label=VALUE[/MASK], 128 bits. */
static int
sl_parse_ct_label(struct sl_pctx *c, const struct sl_field *f, char *val)
{
	uint32_t v[4], mask[4];
	char *slash = strchr(val, '/');

	if (slash != NULL)
		*slash = '\0';
	if (sl_parse_wide_hex(val, v, 4) < 0)
		return sl_fail(c, -EINVAL, "%s: bad 128-bit number \"%s\"", f->name, val);
	memset(mask, 0xff, sizeof(mask));
	if (slash != NULL && sl_parse_wide_hex(slash + 1, mask, 4) < 0)
		return sl_fail(c, -EINVAL, "%s: bad 128-bit mask \"%s\"", f->name, slash + 1);
	c->m->mmask.ct_label[1] = (uint64_t)mask[0] << 32 | mask[1];
	c->m->mmask.ct_label[0] = (uint64_t)mask[2] << 32 | mask[3];
	c->m->mkey.ct_label[1] = ((uint64_t)v[0] << 32 | v[1]) & c->m->mmask.ct_label[1];
	c->m->mkey.ct_label[0] = ((uint64_t)v[2] << 32 | v[3]) & c->m->mmask.ct_label[0];
	return 0;
}

/* ct_nw_src, ct_nw_dst (IPv4) and ct_ipv6_src, ct_ipv6_dst, masked. */
static int
sl_parse_ct_addr(struct sl_pctx *c, const struct sl_field *f, char *val)
{
	bool dst = f->id == SL_F_CT_NW_DST;
	int af = f->prereq == SL_PRE_IPV6 ? AF_INET6 : AF_INET;

	return sl_addr_masked(c, f->name, af, val, dst ? c->m->mkey.ct_nw_dst : c->m->mkey.ct_nw_src,
			      dst ? c->m->mmask.ct_nw_dst : c->m->mmask.ct_nw_src);
}

/*
 * mpls_label, mpls_tc, mpls_bos, mpls_ttl: a part of the outer label stack
 * entry (key.mpls_lse), exact values only (OVS takes no mask on them).
 */
static int
sl_parse_mpls(struct sl_pctx *c, const struct sl_field *f, char *val)
{
	uint32_t shift, mask;
	uint64_t v = 0;
	int rc;

	switch (f->id) {
	case SL_F_MPLS_LABEL:
		shift = SL_MPLS_LABEL_SHIFT, mask = SL_MPLS_LABEL_MASK;
		break;
	case SL_F_MPLS_TC:
		shift = SL_MPLS_TC_SHIFT, mask = SL_MPLS_TC_MASK;
		break;
	case SL_F_MPLS_BOS:
		shift = SL_MPLS_BOS_SHIFT, mask = SL_MPLS_BOS_MASK;
		break;
	default:
		shift = 0, mask = SL_MPLS_TTL_MASK;
		break;
	}
	if (strchr(val, '/') != NULL)
		return sl_fail(c, -EINVAL, "%s: takes no mask", f->name);
	rc = sl_num(c, f->name, val, 0, mask >> shift, &v);
	if (rc < 0)
		return rc;
	c->m->key.mpls_lse = htonl((ntohl(c->m->key.mpls_lse) & ~mask) | (uint32_t)v << shift);
	c->m->mask.mpls_lse |= htonl(mask);
	return 0;
}

#define SL_K(member) offsetof(struct sl_flow_key, member)

static const struct sl_field sl_fields[] = {
	{ "priority", SL_F_PRIORITY, SL_PRE_NONE, sl_parse_priority, 0 },
	{ "cookie", SL_F_COOKIE, SL_PRE_NONE, sl_parse_cookie, 0 },
	{ "table", SL_F_TABLE, SL_PRE_NONE, sl_parse_table, 0 },
	{ "idle_timeout", SL_F_IDLE_TIMEOUT, SL_PRE_NONE, sl_parse_timeout, 0 },
	{ "hard_timeout", SL_F_HARD_TIMEOUT, SL_PRE_NONE, sl_parse_timeout, 0 },
	{ "importance", SL_F_IMPORTANCE, SL_PRE_NONE, sl_parse_importance, 0 },
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
	{ "arp_sha", SL_F_ARP_SHA, SL_PRE_ARP, sl_parse_mac, SL_K(nw_src) + 4 },
	{ "arp_tha", SL_F_ARP_THA, SL_PRE_ARP, sl_parse_mac, SL_K(nw_dst) + 4 },
	{ "ipv6_label", SL_F_IPV6_LABEL, SL_PRE_IPV6, sl_parse_ipv6_label, 0 },
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
	/* OXM and OpenFlow 1.2+ spellings of the same fields. */
	{ "eth_src", SL_F_DL_SRC, SL_PRE_NONE, sl_parse_mac, SL_K(dl_src) },
	{ "eth_dst", SL_F_DL_DST, SL_PRE_NONE, sl_parse_mac, SL_K(dl_dst) },
	{ "eth_type", SL_F_DL_TYPE, SL_PRE_NONE, sl_parse_dl_type, 0 },
	{ "vlan_pcp", SL_F_DL_VLAN_PCP, SL_PRE_NONE, sl_parse_dl_vlan_pcp, 0 },
	{ "ip_src", SL_F_NW_SRC, SL_PRE_IP_ARP, sl_parse_ipv4, SL_K(nw_src) },
	{ "ip_dst", SL_F_NW_DST, SL_PRE_IP_ARP, sl_parse_ipv4, SL_K(nw_dst) },
	{ "ipv4_src", SL_F_NW_SRC, SL_PRE_IP, sl_parse_ipv4, SL_K(nw_src) },
	{ "ipv4_dst", SL_F_NW_DST, SL_PRE_IP, sl_parse_ipv4, SL_K(nw_dst) },
	{ "ip_proto", SL_F_NW_PROTO, SL_PRE_IP_ANY, sl_parse_nw_proto, 0 },
	{ "ip_dscp", SL_F_NW_TOS, SL_PRE_IP_ANY, sl_parse_ip_dscp, 0 },
	{ "ip_ecn", SL_F_NW_ECN, SL_PRE_IP_ANY, sl_parse_nw_ecn, 0 },
	{ "ip_ttl", SL_F_NW_TTL, SL_PRE_IP_ANY, sl_parse_u8, SL_K(nw_ttl) },
	{ "ip_frag", SL_F_NW_FRAG, SL_PRE_IP_ANY, sl_parse_ip_frag, 0 },
	{ "nw_frag", SL_F_NW_FRAG, SL_PRE_IP_ANY, sl_parse_ip_frag, 0 },
	{ "tcp_src", SL_F_TP_SRC, SL_PRE_TCP, sl_parse_tp, SL_K(tp_src) },
	{ "tcp_dst", SL_F_TP_DST, SL_PRE_TCP, sl_parse_tp, SL_K(tp_dst) },
	{ "udp_src", SL_F_TP_SRC, SL_PRE_UDP, sl_parse_tp, SL_K(tp_src) },
	{ "udp_dst", SL_F_TP_DST, SL_PRE_UDP, sl_parse_tp, SL_K(tp_dst) },
	{ "sctp_src", SL_F_TP_SRC, SL_PRE_SCTP, sl_parse_tp, SL_K(tp_src) },
	{ "sctp_dst", SL_F_TP_DST, SL_PRE_SCTP, sl_parse_tp, SL_K(tp_dst) },
	{ "icmpv4_type", SL_F_TP_SRC, SL_PRE_ICMP4, sl_parse_icmp, SL_K(tp_src) },
	{ "icmpv4_code", SL_F_TP_DST, SL_PRE_ICMP4, sl_parse_icmp, SL_K(tp_dst) },
	{ "icmpv6_type", SL_F_TP_SRC, SL_PRE_ICMP6, sl_parse_icmp, SL_K(tp_src) },
	{ "icmpv6_code", SL_F_TP_DST, SL_PRE_ICMP6, sl_parse_icmp, SL_K(tp_dst) },
	{ "in_port_oxm", SL_F_IN_PORT, SL_PRE_NONE, sl_parse_in_port, 0 },
	{ "mpls_label", SL_F_MPLS_LABEL, SL_PRE_MPLS, sl_parse_mpls, 0 },
	{ "mpls_tc", SL_F_MPLS_TC, SL_PRE_MPLS, sl_parse_mpls, 0 },
	{ "mpls_bos", SL_F_MPLS_BOS, SL_PRE_MPLS, sl_parse_mpls, 0 },
	{ "mpls_ttl", SL_F_MPLS_TTL, SL_PRE_MPLS, sl_parse_mpls, 0 },
	/* Pipeline state. */
	{ "metadata", SL_F_METADATA, SL_PRE_NONE, sl_parse_metadata, 0 },
	{ "pkt_mark", SL_F_PKT_MARK, SL_PRE_NONE, sl_parse_pkt_mark, 0 },
	{ "actset_output", SL_F_ACTSET_OUTPUT, SL_PRE_NONE, sl_parse_actset_output, 0 },
#define SL_XREG_FIELD(n) { "xreg" #n, SL_F_REG0 + 2 * n, SL_PRE_NONE, sl_parse_wide_reg, 2 * n }
	SL_XREG_FIELD(0), SL_XREG_FIELD(1), SL_XREG_FIELD(2), SL_XREG_FIELD(3),
	SL_XREG_FIELD(4), SL_XREG_FIELD(5), SL_XREG_FIELD(6), SL_XREG_FIELD(7),
#undef SL_XREG_FIELD
#define SL_XXREG_FIELD(n) { "xxreg" #n, SL_F_REG0 + 4 * n, SL_PRE_NONE, sl_parse_wide_reg, 4 * n }
	SL_XXREG_FIELD(0), SL_XXREG_FIELD(1), SL_XXREG_FIELD(2), SL_XXREG_FIELD(3),
#undef SL_XXREG_FIELD
#define SL_REG_FIELD(n) { "reg" #n, SL_F_REG0 + n, SL_PRE_NONE, sl_parse_reg, n }
	SL_REG_FIELD(0), SL_REG_FIELD(1), SL_REG_FIELD(2), SL_REG_FIELD(3),
	SL_REG_FIELD(4), SL_REG_FIELD(5), SL_REG_FIELD(6), SL_REG_FIELD(7),
	SL_REG_FIELD(8), SL_REG_FIELD(9), SL_REG_FIELD(10), SL_REG_FIELD(11),
	SL_REG_FIELD(12), SL_REG_FIELD(13), SL_REG_FIELD(14), SL_REG_FIELD(15),
#undef SL_REG_FIELD
	/* Connection tracking: what the last ct() found (ovs-fields(7)). */
	{ "ct_state", SL_F_CT_STATE, SL_PRE_NONE, sl_parse_ct_state, 0 },
	{ "ct_zone", SL_F_CT_ZONE, SL_PRE_NONE, sl_parse_ct_num, 0 },
	{ "ct_mark", SL_F_CT_MARK, SL_PRE_NONE, sl_parse_ct_num, 0 },
	{ "ct_label", SL_F_CT_LABEL, SL_PRE_NONE, sl_parse_ct_label, 0 },
	{ "ct_nw_src", SL_F_CT_NW_SRC, SL_PRE_IP, sl_parse_ct_addr, 0 },
	{ "ct_nw_dst", SL_F_CT_NW_DST, SL_PRE_IP, sl_parse_ct_addr, 0 },
	{ "ct_ipv6_src", SL_F_CT_NW_SRC, SL_PRE_IPV6, sl_parse_ct_addr, 0 },
	{ "ct_ipv6_dst", SL_F_CT_NW_DST, SL_PRE_IPV6, sl_parse_ct_addr, 0 },
	{ "ct_nw_proto", SL_F_CT_NW_PROTO, SL_PRE_IP_ANY, sl_parse_ct_num, 0 },
	{ "ct_tp_src", SL_F_CT_TP_SRC, SL_PRE_IP_ANY, sl_parse_ct_num, 0 },
	{ "ct_tp_dst", SL_F_CT_TP_DST, SL_PRE_IP_ANY, sl_parse_ct_num, 0 },
};

/*
 * Words of Open vSwitch's flow language that sluice knows but does not
 * implement (yet): refused as "not supported", never as "unknown".  An
 * entry ending in '*' covers every word it begins.
 */
static const char *const sl_unsupported_fields[] = {
	"tun_*", "ct_*", "mpls*", "nsh_*", "nd_*", "xreg*", "xxreg*",
	"skb_priority", "tcp_flags", "conj_id",
	"dp_hash", "recirc_id", "packet_type", "rarp", "dl_vlan1*", "vlan_tci1", "cvlan*",
	"tunnel_*", "nsh", "dccp*", "igmp*", "ip_tos", "nw_tos_ecn", "l2_*", "vlan_vid",
	"importance", "send_flow_rem", "check_overlap", "reset_counts", "no_packet_counts",
	"no_byte_counts", "out_port", "out_group", "duration", "n_packets", "n_bytes",
	"idle_age", "hard_age", "eth_sha", "eth_tha", "arp_op_*", "in_phy_port", "icmp6_*",
};

/* Matches an entry of sl_unsupported_fields-style lists. */
static bool
sl_word_listed(const char *word, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(list[i]);

		if (list[i][l - 1] == '*' ? strncasecmp(word, list[i], l - 1) == 0
					  : strcasecmp(word, list[i]) == 0)
			return true;
	}
	return false;
}

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
	if (f == NULL && sl_word_listed(key, sl_unsupported_fields, SL_ARRAY_SIZE(sl_unsupported_fields)))
		return sl_fail(c, -ENOTSUP, "not supported: %s", key);
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
	case SL_PRE_TCP:
		return sl_is_ip_any(m) && sl_is_proto(m, SL_IPPROTO_TCP);
	case SL_PRE_UDP:
		return sl_is_ip_any(m) && sl_is_proto(m, SL_IPPROTO_UDP);
	case SL_PRE_SCTP:
		return sl_is_ip_any(m) && sl_is_proto(m, SL_IPPROTO_SCTP);
	case SL_PRE_IP:
		return sl_is_dl(m, SL_DL_TYPE_IP);
	case SL_PRE_ICMP4:
		return sl_is_dl(m, SL_DL_TYPE_IP) && sl_is_proto(m, SL_IPPROTO_ICMP);
	case SL_PRE_ICMP6:
		return sl_is_dl(m, SL_DL_TYPE_IPV6) && sl_is_proto(m, SL_IPPROTO_ICMPV6);
	case SL_PRE_MPLS:
		return sl_is_dl(m, SL_ETH_TYPE_MPLS) || sl_is_dl(m, SL_ETH_TYPE_MPLSM);
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
	SL_ARG_SET,    /* a value for the field the word names (mod_nw_src:IP, ...) */
	SL_ARG_TABLE,  /* goto_table:N */
	SL_ARG_SPECIAL, /* parsed by a function of its own (resubmit, set_field, ...) */
	SL_ARG_GROUP,
	SL_ARG_ETHERTYPE, /* pop_mpls:ETHERTYPE */
	SL_ARG_MPLS_TYPE, /* push_mpls: 0x8847 or 0x8848 */
	SL_ARG_QUEUE,     /* set_queue:N */
	SL_ARG_ENQUEUE,   /* enqueue:PORT:QUEUE */
	SL_ARG_FIN_TIMEOUT, /* fin_timeout(idle_timeout=I,hard_timeout=H) */
};

struct sl_act_word {
	const char *name;
	enum sl_action_type type;
	enum sl_act_arg arg;
	uint8_t field; /* SL_ARG_SET: the field it writes */
};

static const struct sl_act_word sl_act_words[] = {
	{ "output", SL_ACT_OUTPUT, SL_ARG_PORT, 0 },
	{ "normal", SL_ACT_NORMAL, SL_ARG_NONE, 0 },
	{ "flood", SL_ACT_FLOOD, SL_ARG_NONE, 0 },
	{ "all", SL_ACT_ALL, SL_ARG_NONE, 0 },
	{ "in_port", SL_ACT_IN_PORT, SL_ARG_NONE, 0 },
	{ "mod_vlan_vid", SL_ACT_SET_VLAN_VID, SL_ARG_VID, 0 },
	{ "mod_vlan_pcp", SL_ACT_SET_VLAN_PCP, SL_ARG_PCP, 0 },
	{ "strip_vlan", SL_ACT_STRIP_VLAN, SL_ARG_NONE, 0 },
	{ "pop_vlan", SL_ACT_STRIP_VLAN, SL_ARG_NONE, 0 },
	{ "push_vlan", SL_ACT_PUSH_VLAN, SL_ARG_TPID, 0 },
	{ "mod_dl_src", SL_ACT_SET_DL_SRC, SL_ARG_MAC, 0 },
	{ "mod_dl_dst", SL_ACT_SET_DL_DST, SL_ARG_MAC, 0 },
	{ "meter", SL_ACT_METER, SL_ARG_METER, 0 },
	{ "mod_nw_src", SL_ACT_SET_FIELD, SL_ARG_SET, SL_FLD_IP_SRC },
	{ "mod_nw_dst", SL_ACT_SET_FIELD, SL_ARG_SET, SL_FLD_IP_DST },
	{ "mod_nw_tos", SL_ACT_SET_FIELD, SL_ARG_SET, SL_FLD_NW_TOS },
	{ "mod_nw_ecn", SL_ACT_SET_FIELD, SL_ARG_SET, SL_FLD_IP_ECN },
	{ "mod_nw_ttl", SL_ACT_SET_FIELD, SL_ARG_SET, SL_FLD_NW_TTL },
	{ "mod_tp_src", SL_ACT_SET_FIELD, SL_ARG_SET, SL_FLD_TP_SRC },
	{ "mod_tp_dst", SL_ACT_SET_FIELD, SL_ARG_SET, SL_FLD_TP_DST },
	{ "dec_ttl", SL_ACT_DEC_TTL, SL_ARG_NONE, 0 },
	{ "goto_table", SL_ACT_GOTO_TABLE, SL_ARG_TABLE, 0 },
	{ "clear_actions", SL_ACT_CLEAR_ACTIONS, SL_ARG_NONE, 0 },
	{ "resubmit", SL_ACT_RESUBMIT, SL_ARG_SPECIAL, 0 },
	{ "set_field", SL_ACT_SET_FIELD, SL_ARG_SPECIAL, 0 },
	{ "load", SL_ACT_LOAD, SL_ARG_SPECIAL, 0 },
	{ "move", SL_ACT_MOVE, SL_ARG_SPECIAL, 0 },
	{ "write_metadata", SL_ACT_WRITE_METADATA, SL_ARG_SPECIAL, 0 },
	{ "write_actions", SL_ACT_WRITE_ACTIONS, SL_ARG_SPECIAL, 0 },
	{ "clone", SL_ACT_CLONE, SL_ARG_SPECIAL, 0 },
	{ "group", SL_ACT_GROUP, SL_ARG_GROUP, 0 },
	{ "exit", SL_ACT_EXIT, SL_ARG_NONE, 0 },
	{ "note", SL_ACT_NOTE, SL_ARG_SPECIAL, 0 },
	{ "ct_clear", SL_ACT_CT_CLEAR, SL_ARG_NONE, 0 },
	{ "debug_recirc", SL_ACT_DEBUG_RECIRC, SL_ARG_NONE, 0 },
	{ "debug_slow", SL_ACT_DEBUG_SLOW, SL_ARG_NONE, 0 },
	{ "ct", SL_ACT_CT, SL_ARG_SPECIAL, 0 },
	{ "push_mpls", SL_ACT_PUSH_MPLS, SL_ARG_MPLS_TYPE, 0 },
	{ "pop_mpls", SL_ACT_POP_MPLS, SL_ARG_ETHERTYPE, 0 },
	{ "dec_mpls_ttl", SL_ACT_DEC_MPLS_TTL, SL_ARG_NONE, 0 },
	{ "set_mpls_label", SL_ACT_SET_FIELD, SL_ARG_SET, SL_FLD_MPLS_LABEL },
	{ "set_mpls_tc", SL_ACT_SET_FIELD, SL_ARG_SET, SL_FLD_MPLS_TC },
	{ "set_mpls_ttl", SL_ACT_SET_FIELD, SL_ARG_SET, SL_FLD_MPLS_TTL },
	{ "set_queue", SL_ACT_SET_QUEUE, SL_ARG_QUEUE, 0 },
	{ "pop_queue", SL_ACT_POP_QUEUE, SL_ARG_NONE, 0 },
	{ "enqueue", SL_ACT_ENQUEUE, SL_ARG_ENQUEUE, 0 },
	{ "fin_timeout", SL_ACT_FIN_TIMEOUT, SL_ARG_FIN_TIMEOUT, 0 },
	{ "controller", SL_ACT_CONTROLLER, SL_ARG_SPECIAL, 0 },
};

/* Actions of Open vSwitch that sluice does not implement (yet). */
static const char *const sl_unsupported_actions[] = {
	"enqueue", "set_queue", "pop_queue", "sample", "learn", "nat", "push_mpls", "pop_mpls", "set_mpls_*", "dec_mpls_ttl", "set_tunnel*",
	"bundle", "bundle_load", "multipath", "fin_timeout", "debug_*",
	"check_pkt_larger", "encap", "decap", "dec_nsh_ttl", "conjunction",
	"push", "pop", "stack_*", "push_nsh", "pop_nsh", "delete_field", "unroll_xlate",
	"mod_nw_*", "mod_tp_*", "set_l4_*", "drop_spoofed_arp", "pause", "any", "table",
	"autopath", "strip_vlan_*", "resubmit_*", "write_*", "mod_dl_*", "mod_vlan_*",
	"check_*", "set_*", "push_*", "pop_*", "output_*",
};

/* What set_field, load and move may write and read. */
enum sl_val_kind { SL_VAL_NUM, SL_VAL_HEX, SL_VAL_MAC, SL_VAL_IPV4, SL_VAL_IPV6, SL_VAL_HEX128 };

struct sl_wfield {
	const char *name; /* canonical name first among aliases of one id */
	uint8_t id;
	uint8_t nbits;
	uint8_t kind;     /* enum sl_val_kind */
	uint8_t prereq;   /* enum sl_prereq the rule's match must meet */
};

static const struct sl_wfield sl_wfields[] = {
	{ "metadata", SL_FLD_METADATA, 64, SL_VAL_HEX, SL_PRE_NONE },
	{ "OXM_OF_METADATA", SL_FLD_METADATA, 64, SL_VAL_HEX, SL_PRE_NONE },
	{ "in_port", SL_FLD_IN_PORT, 16, SL_VAL_NUM, SL_PRE_NONE },
	{ "NXM_OF_IN_PORT", SL_FLD_IN_PORT, 16, SL_VAL_NUM, SL_PRE_NONE },
	{ "eth_src", SL_FLD_ETH_SRC, 48, SL_VAL_MAC, SL_PRE_NONE },
	{ "dl_src", SL_FLD_ETH_SRC, 48, SL_VAL_MAC, SL_PRE_NONE },
	{ "NXM_OF_ETH_SRC", SL_FLD_ETH_SRC, 48, SL_VAL_MAC, SL_PRE_NONE },
	{ "eth_dst", SL_FLD_ETH_DST, 48, SL_VAL_MAC, SL_PRE_NONE },
	{ "dl_dst", SL_FLD_ETH_DST, 48, SL_VAL_MAC, SL_PRE_NONE },
	{ "NXM_OF_ETH_DST", SL_FLD_ETH_DST, 48, SL_VAL_MAC, SL_PRE_NONE },
	{ "vlan_tci", SL_FLD_VLAN_TCI, 16, SL_VAL_HEX, SL_PRE_NONE },
	{ "NXM_OF_VLAN_TCI", SL_FLD_VLAN_TCI, 16, SL_VAL_HEX, SL_PRE_NONE },
	{ "vlan_vid", SL_FLD_VLAN_VID, 12, SL_VAL_NUM, SL_PRE_NONE },
	{ "OXM_OF_VLAN_VID", SL_FLD_VLAN_VID, 12, SL_VAL_NUM, SL_PRE_NONE },
	{ "vlan_pcp", SL_FLD_VLAN_PCP, 3, SL_VAL_NUM, SL_PRE_NONE },
	{ "OXM_OF_VLAN_PCP", SL_FLD_VLAN_PCP, 3, SL_VAL_NUM, SL_PRE_NONE },
	{ "ip_src", SL_FLD_IP_SRC, 32, SL_VAL_IPV4, SL_PRE_IP },
	{ "nw_src", SL_FLD_IP_SRC, 32, SL_VAL_IPV4, SL_PRE_IP },
	{ "ipv4_src", SL_FLD_IP_SRC, 32, SL_VAL_IPV4, SL_PRE_IP },
	{ "NXM_OF_IP_SRC", SL_FLD_IP_SRC, 32, SL_VAL_IPV4, SL_PRE_IP },
	{ "ip_dst", SL_FLD_IP_DST, 32, SL_VAL_IPV4, SL_PRE_IP },
	{ "nw_dst", SL_FLD_IP_DST, 32, SL_VAL_IPV4, SL_PRE_IP },
	{ "ipv4_dst", SL_FLD_IP_DST, 32, SL_VAL_IPV4, SL_PRE_IP },
	{ "NXM_OF_IP_DST", SL_FLD_IP_DST, 32, SL_VAL_IPV4, SL_PRE_IP },
	{ "ip_dscp", SL_FLD_IP_DSCP, 6, SL_VAL_NUM, SL_PRE_IP_ANY },
	{ "OXM_OF_IP_DSCP", SL_FLD_IP_DSCP, 6, SL_VAL_NUM, SL_PRE_IP_ANY },
	{ "nw_tos", SL_FLD_NW_TOS, 8, SL_VAL_NUM, SL_PRE_IP_ANY },
	{ "NXM_OF_IP_TOS", SL_FLD_NW_TOS, 8, SL_VAL_NUM, SL_PRE_IP_ANY },
	{ "ip_ecn", SL_FLD_IP_ECN, 2, SL_VAL_NUM, SL_PRE_IP_ANY },
	{ "nw_ecn", SL_FLD_IP_ECN, 2, SL_VAL_NUM, SL_PRE_IP_ANY },
	{ "NXM_NX_IP_ECN", SL_FLD_IP_ECN, 2, SL_VAL_NUM, SL_PRE_IP_ANY },
	{ "nw_ttl", SL_FLD_NW_TTL, 8, SL_VAL_NUM, SL_PRE_IP_ANY },
	{ "ip_ttl", SL_FLD_NW_TTL, 8, SL_VAL_NUM, SL_PRE_IP_ANY },
	{ "NXM_NX_IP_TTL", SL_FLD_NW_TTL, 8, SL_VAL_NUM, SL_PRE_IP_ANY },
	{ "tp_src", SL_FLD_TP_SRC, 16, SL_VAL_NUM, SL_PRE_L4 },
	{ "tcp_src", SL_FLD_TP_SRC, 16, SL_VAL_NUM, SL_PRE_TCP },
	{ "udp_src", SL_FLD_TP_SRC, 16, SL_VAL_NUM, SL_PRE_UDP },
	{ "sctp_src", SL_FLD_TP_SRC, 16, SL_VAL_NUM, SL_PRE_SCTP },
	{ "NXM_OF_TCP_SRC", SL_FLD_TP_SRC, 16, SL_VAL_NUM, SL_PRE_TCP },
	{ "NXM_OF_UDP_SRC", SL_FLD_TP_SRC, 16, SL_VAL_NUM, SL_PRE_UDP },
	{ "tp_dst", SL_FLD_TP_DST, 16, SL_VAL_NUM, SL_PRE_L4 },
	{ "tcp_dst", SL_FLD_TP_DST, 16, SL_VAL_NUM, SL_PRE_TCP },
	{ "udp_dst", SL_FLD_TP_DST, 16, SL_VAL_NUM, SL_PRE_UDP },
	{ "sctp_dst", SL_FLD_TP_DST, 16, SL_VAL_NUM, SL_PRE_SCTP },
	{ "NXM_OF_TCP_DST", SL_FLD_TP_DST, 16, SL_VAL_NUM, SL_PRE_TCP },
	{ "NXM_OF_UDP_DST", SL_FLD_TP_DST, 16, SL_VAL_NUM, SL_PRE_UDP },
	{ "ipv6_src", SL_FLD_IPV6_SRC, 128, SL_VAL_IPV6, SL_PRE_IPV6 },
	{ "NXM_NX_IPV6_SRC", SL_FLD_IPV6_SRC, 128, SL_VAL_IPV6, SL_PRE_IPV6 },
	{ "ipv6_dst", SL_FLD_IPV6_DST, 128, SL_VAL_IPV6, SL_PRE_IPV6 },
	{ "NXM_NX_IPV6_DST", SL_FLD_IPV6_DST, 128, SL_VAL_IPV6, SL_PRE_IPV6 },
	{ "pkt_mark", SL_FLD_PKT_MARK, 32, SL_VAL_HEX, SL_PRE_NONE },
	{ "NXM_NX_PKT_MARK", SL_FLD_PKT_MARK, 32, SL_VAL_HEX, SL_PRE_NONE },
	/* Connection tracking: ct_mark and ct_label written in ct(exec()) only. */
	{ "ct_mark", SL_FLD_CT_MARK, 32, SL_VAL_HEX, SL_PRE_NONE },
	{ "NXM_NX_CT_MARK", SL_FLD_CT_MARK, 32, SL_VAL_HEX, SL_PRE_NONE },
	{ "ct_label", SL_FLD_CT_LABEL, 128, SL_VAL_HEX128, SL_PRE_NONE },
	{ "NXM_NX_CT_LABEL", SL_FLD_CT_LABEL, 128, SL_VAL_HEX128, SL_PRE_NONE },
	{ "ct_state", SL_FLD_CT_STATE, 8, SL_VAL_HEX, SL_PRE_NONE },
	{ "NXM_NX_CT_STATE", SL_FLD_CT_STATE, 8, SL_VAL_HEX, SL_PRE_NONE },
	{ "ct_zone", SL_FLD_CT_ZONE, 16, SL_VAL_NUM, SL_PRE_NONE },
	{ "NXM_NX_CT_ZONE", SL_FLD_CT_ZONE, 16, SL_VAL_NUM, SL_PRE_NONE },
	{ "mpls_label", SL_FLD_MPLS_LABEL, 20, SL_VAL_NUM, SL_PRE_MPLS },
	{ "OXM_OF_MPLS_LABEL", SL_FLD_MPLS_LABEL, 20, SL_VAL_NUM, SL_PRE_MPLS },
	{ "mpls_tc", SL_FLD_MPLS_TC, 3, SL_VAL_NUM, SL_PRE_MPLS },
	{ "OXM_OF_MPLS_TC", SL_FLD_MPLS_TC, 3, SL_VAL_NUM, SL_PRE_MPLS },
	{ "mpls_ttl", SL_FLD_MPLS_TTL, 8, SL_VAL_NUM, SL_PRE_MPLS },
	{ "NXM_NX_MPLS_TTL", SL_FLD_MPLS_TTL, 8, SL_VAL_NUM, SL_PRE_MPLS },
};

static const struct sl_wfield sl_reg_wfield = { "reg", SL_FLD_REG0, 32, SL_VAL_HEX, SL_PRE_NONE };

/* The field named @name (reg0..15 and NXM_NX_REG0..15 included); @out gets its id. */
static const struct sl_wfield *
sl_wfield_find(const char *name, uint8_t *id)
{
	const char *num = NULL;
	uint64_t r = 0;

	if (strncasecmp(name, "reg", 3) == 0)
		num = name + 3;
	else if (strncasecmp(name, "NXM_NX_REG", 10) == 0)
		num = name + 10;
	if (num != NULL && num[0] >= '0' && num[0] <= '9' &&
	    sl_parse_u64(num, 0, SL_N_REGS - 1, &r) == 0) {
		*id = (uint8_t)(SL_FLD_REG0 + r);
		return &sl_reg_wfield;
	}
	for (size_t i = 0; i < SL_ARRAY_SIZE(sl_wfields); i++) {
		if (strcasecmp(name, sl_wfields[i].name) == 0) {
			*id = sl_wfields[i].id;
			return &sl_wfields[i];
		}
	}
	return NULL;
}

/* The field with id @id, for printing and checks. */
static const struct sl_wfield *
sl_wfield_of(uint8_t id)
{
	if (id >= SL_FLD_REG0 && id < SL_FLD_REG0 + SL_N_REGS)
		return &sl_reg_wfield;
	for (size_t i = 0; i < SL_ARRAY_SIZE(sl_wfields); i++)
		if (sl_wfields[i].id == id)
			return &sl_wfields[i];
	return NULL;
}

/* "unknown" for a word OVS does not know either, "not supported" for one it does. */
static int
sl_fail_field(struct sl_pctx *c, const char *what, const char *name)
{
	if (strncasecmp(name, "NXM_", 4) == 0 || strncasecmp(name, "OXM_", 4) == 0 ||
	    sl_word_listed(name, sl_unsupported_fields, SL_ARRAY_SIZE(sl_unsupported_fields)))
		return sl_fail(c, -ENOTSUP, "%s: not supported: %s", what, name);
	return sl_fail(c, -EINVAL, "%s: unknown field \"%s\"", what, name);
}

/*
 * "FIELD", "FIELD[]", "FIELD[N]" or "FIELD[A..B]": the field, first bit and
 * number of bits (whole field when no range is given).
 */
static int
sl_parse_subfield(struct sl_pctx *c, const char *what, char *spec, uint8_t *id, uint8_t *ofs,
		  uint8_t *nbits, const struct sl_wfield **fout)
{
	char *br = strchr(spec, '[');
	const struct sl_wfield *f;
	uint64_t a = 0, b = 0;

	if (br != NULL)
		*br = '\0';
	f = sl_wfield_find(spec, id);
	if (f == NULL)
		return sl_fail_field(c, what, spec);
	*fout = f;
	*ofs = 0;
	*nbits = f->nbits;
	if (br == NULL || strcmp(br + 1, "]") == 0)
		return 0;
	char *end = br + 1 + strlen(br + 1) - 1;
	char *dots = strstr(br + 1, "..");

	if (*end != ']')
		return sl_fail(c, -EINVAL, "%s: bad bit range \"[%s\"", what, br + 1);
	*end = '\0';
	if (dots != NULL)
		*dots = '\0';
	if (sl_parse_u64(br + 1, 0, f->nbits - 1u, &a) < 0 ||
	    (dots != NULL && sl_parse_u64(dots + 2, a, f->nbits - 1u, &b) < 0))
		return sl_fail(c, -EINVAL, "%s: bad bit range for %s (%u bits)", what, spec, f->nbits);
	if (dots == NULL)
		b = a;
	*ofs = (uint8_t)a;
	*nbits = (uint8_t)(b - a + 1);
	return 0;
}

/* A value of field @f as written after set_field: or mod_*:; host-order u64 or 16 bytes. */
static int
sl_parse_field_value(struct sl_pctx *c, const char *what, const struct sl_wfield *f, char *val,
		     struct sl_action *a)
{
	char *slash = strchr(val, '/');
	uint8_t buf[16] = { 0 }, mbuf[16];
	uint64_t v = 0, m = 0;

	if (slash != NULL)
		*slash++ = '\0';
	switch (f->kind) {
	case SL_VAL_HEX128: {
		uint32_t w[4];

		if (slash != NULL)
			return sl_fail(c, -ENOTSUP, "%s: not supported: masked %s", what, f->name);
		if (sl_parse_wide_hex(val, w, 4) < 0)
			return sl_fail(c, -EINVAL, "%s: bad 128-bit number \"%s\"", what, val);
		sl_action_set_u64(a, 0, (uint64_t)w[2] << 32 | w[3]); /* bits 0..63 */
		sl_action_set_u64(a, 1, (uint64_t)w[0] << 32 | w[1]); /* bits 64..127 */
		return 0;
	}
	case SL_VAL_IPV6:
		if (slash != NULL)
			return sl_fail(c, -ENOTSUP, "%s: not supported: masked %s", what, f->name);
		if (inet_pton(AF_INET6, val, a->val) != 1)
			return sl_fail(c, -EINVAL, "%s: bad IPv6 address \"%s\"", what, val);
		return 0;
	case SL_VAL_IPV4:
		if (inet_pton(AF_INET, val, buf) != 1 ||
		    (slash != NULL && inet_pton(AF_INET, slash, mbuf) != 1))
			return sl_fail(c, -EINVAL, "%s: bad IPv4 address \"%s\"", what, val);
		v = (uint64_t)buf[0] << 24 | buf[1] << 16 | buf[2] << 8 | buf[3];
		if (slash != NULL)
			m = (uint64_t)mbuf[0] << 24 | mbuf[1] << 16 | mbuf[2] << 8 | mbuf[3];
		break;
	case SL_VAL_MAC:
		if (!sl_mac_from_str(val, buf) || (slash != NULL && !sl_mac_from_str(slash, mbuf)))
			return sl_fail(c, -EINVAL, "%s: bad Ethernet address \"%s\"", what, val);
		for (int i = 0; i < 6; i++) {
			v = v << 8 | buf[i];
			if (slash != NULL)
				m = m << 8 | mbuf[i];
		}
		break;
	default: {
		uint64_t max = f->nbits == 64 ? UINT64_MAX : (UINT64_C(1) << f->nbits) - 1;

		/* vlan_vid may carry OpenFlow's "present" bit (0x1000). */
		if (f->id == SL_FLD_VLAN_VID)
			max = 0x1fff;
		if (sl_num(c, what, val, 0, max, &v) < 0 ||
		    (slash != NULL && sl_num(c, what, slash, 0, max, &m) < 0))
			return -EINVAL;
		v &= f->id == SL_FLD_VLAN_VID ? SL_VLAN_VID_MASK : max;
		if (f->id == SL_FLD_NW_TOS && (v & SL_TOS_ECN_MASK))
			return sl_fail(c, -EINVAL, "%s: %s has ECN bits set (use a multiple of 4)",
				       what, val);
		break;
	}
	}
	sl_action_set_u64(a, 0, slash != NULL ? v & m : v);
	if (slash != NULL) {
		a->flags |= SL_AF_MASKED;
		sl_action_set_u64(a, 1, m);
	}
	return 0;
}

/* set_field:VALUE[/MASK]->FIELD */
static int
sl_parse_set_field(struct sl_pctx *c, char *arg, struct sl_action *a)
{
	char *arrow = strstr(arg, "->");
	const struct sl_wfield *f;

	if (arrow == NULL)
		return sl_fail(c, -EINVAL, "actions: set_field: needs VALUE->FIELD, not \"%s\"", arg);
	*arrow = '\0';
	f = sl_wfield_find(arrow + 2, &a->field);
	if (f == NULL)
		return sl_fail_field(c, "actions: set_field", arrow + 2);
	return sl_parse_field_value(c, "actions: set_field", f, arg, a);
}

/* load:VALUE->FIELD[RANGE] */
static int
sl_parse_load(struct sl_pctx *c, char *arg, struct sl_action *a)
{
	char *arrow = strstr(arg, "->");
	const struct sl_wfield *f;
	uint64_t v = 0;
	int rc;

	if (arrow == NULL)
		return sl_fail(c, -EINVAL, "actions: load: needs VALUE->FIELD[..], not \"%s\"", arg);
	*arrow = '\0';
	rc = sl_parse_subfield(c, "actions: load", arrow + 2, &a->field, &a->ofs, &a->nbits, &f);
	if (rc < 0)
		return rc;
	if (f->nbits > 64 && (f->id != SL_FLD_CT_LABEL || a->nbits > 64))
		return sl_fail(c, -ENOTSUP, "actions: load: not supported: load into %s", f->name);
	rc = sl_num(c, "actions: load", arg, 0,
		    a->nbits == 64 ? UINT64_MAX : (UINT64_C(1) << a->nbits) - 1, &v);
	sl_action_set_u64(a, 0, v);
	return rc;
}

/* move:SRC[RANGE]->DST[RANGE] */
static int
sl_parse_move(struct sl_pctx *c, char *arg, struct sl_action *a)
{
	char *arrow = strstr(arg, "->");
	const struct sl_wfield *fs, *fd;
	uint8_t sbits;
	int rc;

	if (arrow == NULL)
		return sl_fail(c, -EINVAL, "actions: move: needs SRC[..]->DST[..], not \"%s\"", arg);
	*arrow = '\0';
	rc = sl_parse_subfield(c, "actions: move", arg, &a->field2, &a->ofs2, &sbits, &fs);
	if (rc == 0)
		rc = sl_parse_subfield(c, "actions: move", arrow + 2, &a->field, &a->ofs, &a->nbits,
				       &fd);
	if (rc < 0)
		return rc;
	if (fs->nbits > 64 || fd->nbits > 64)
		return sl_fail(c, -ENOTSUP, "actions: move: not supported: 128-bit fields");
	if (sbits != a->nbits)
		return sl_fail(c, -EINVAL, "actions: move: source has %u bits, destination %u",
			       sbits, a->nbits);
	return 0;
}

/* write_metadata:VALUE[/MASK] */
static int
sl_parse_write_metadata(struct sl_pctx *c, char *arg, struct sl_action *a)
{
	uint64_t v = 0, m = 0;
	int rc = sl_num_masked(c, "actions: write_metadata", arg, UINT64_MAX, &v, &m);

	sl_action_set_u64(a, 0, v & m);
	sl_action_set_u64(a, 1, m);
	return rc;
}

/* A table number after resubmit or goto_table. */
static int
sl_parse_table_num(struct sl_pctx *c, const char *what, const char *s, uint16_t *out)
{
	uint64_t v = 0;
	int rc = sl_num(c, what, s, 0, SL_MAX_TABLES - 1, &v);

	*out = (uint16_t)v;
	return rc;
}

/* resubmit:PORT, resubmit(PORT), resubmit(,TABLE), resubmit(PORT,TABLE) */
static int
sl_parse_resubmit(struct sl_pctx *c, char *arg, bool paren, struct sl_action *a)
{
	char *comma = paren ? strchr(arg, ',') : NULL;
	char *port = arg;

	a->arg = SL_RESUBMIT_HERE;
	a->arg2 = 0;
	if (comma != NULL) {
		char *table = comma + 1;

		*comma = '\0';
		if (strchr(table, ',') != NULL)
			return sl_fail(c, -ENOTSUP, "actions: resubmit: not supported: resubmit(%s,%s)",
				       port, table);
		if (*table != '\0' &&
		    sl_parse_table_num(c, "actions: resubmit", table, &a->arg) < 0)
			return -EINVAL;
	}
	/* As in OVS: the packet's own port and table both by default is no resubmit. */
	if (*port == '\0' || strcasecmp(port, "in_port") == 0) {
		if (a->arg == SL_RESUBMIT_HERE)
			return sl_fail(c, -EINVAL, "actions: resubmit: needs a port or a table");
		return 0;
	}
	return sl_port(c, "actions: resubmit", port, &a->arg2);
}

/*
 * note[:HEX]: bytes as hex digit pairs, optionally separated by periods.
 * It does nothing to the packet, in OVS as here; sluice keeps up to 16
 * bytes so that dump-flows gives it back.  OVS pads a note with zero bytes
 * (its action is a multiple of 8 bytes), so trailing zeros say nothing:
 * they are dropped here and printed back as OVS prints them.
 */
static int
sl_parse_note(struct sl_pctx *c, const char *arg, struct sl_action *a)
{
	unsigned int n = 0, len = 0;

	while (arg != NULL && *arg != '\0') {
		int hi = sl_hex_digit(arg[0]), lo = hi < 0 ? -1 : sl_hex_digit(arg[1]);
		uint8_t b;

		if (lo < 0)
			return sl_fail(c, -EINVAL, "actions: note: bad hex bytes near \"%.16s\"", arg);
		b = (uint8_t)(hi << 4 | lo);
		if (b != 0 && n >= sizeof(a->val))
			return sl_fail(c, -ENOTSUP, "actions: note: not supported: more than %zu bytes",
				       sizeof(a->val));
		if (n < sizeof(a->val))
			a->val[n] = b;
		n++;
		if (b != 0)
			len = n;
		arg += 2;
		if (*arg == '.')
			arg++;
	}
	a->arg = (uint16_t)len;
	return 0;
}

/* How many bytes OVS prints for a note of @n bytes: padded to 8-byte actions of a 10-byte header. */
static unsigned int
sl_note_printed(unsigned int n)
{
	return (n + 10 + 7) / 8 * 8 - 10;
}

static char *sl_next_arg(char **s);

/* The controller's port, as output names it: CONTROLLER, or OpenFlow 1.0's number for it. */
static bool
sl_is_controller_port(const char *s)
{
	return strcasecmp(s, "CONTROLLER") == 0 || strcmp(s, "65533") == 0;
}

/* controller with its defaults: the whole packet, reason action, controller 0. */
static void
sl_controller_init(struct sl_action *a, uint16_t max_len)
{
	a->type = SL_ACT_CONTROLLER;
	a->arg = max_len;
	a->arg2 = 0;
	a->field = SL_PIN_ACTION;
	a->nbits = 0;
}

/* userdata=HH.HH...: at most as many bytes as an action holds. */
static int
sl_parse_userdata(struct sl_pctx *c, const char *arg, struct sl_action *a)
{
	unsigned int n = 0;

	while (*arg != '\0') {
		int hi = sl_hex_digit(arg[0]), lo = hi < 0 ? -1 : sl_hex_digit(arg[1]);

		if (lo < 0)
			return sl_fail(c, -EINVAL,
				       "actions: controller: userdata: bad hex bytes near \"%.16s\"", arg);
		if (n == sizeof(a->val))
			return sl_fail(c, -ENOTSUP,
				       "actions: controller: not supported: userdata of more than %zu bytes",
				       sizeof(a->val));
		a->val[n++] = (uint8_t)(hi << 4 | lo);
		arg += 2;
		if (*arg == '.')
			arg++;
	}
	a->nbits = (uint8_t)n;
	return 0;
}

/*
 * controller, controller:MAX_LEN, controller(reason=R,max_len=N,id=N,
 * userdata=HH.HH...,pause,meter_id=N), as ovs-actions(7).  pause and a
 * meter on the packet-in are OVS's too, not honoured here: refused.
 */
static int
sl_parse_controller(struct sl_pctx *c, char *arg, bool paren, struct sl_action *a)
{
	char *rest = arg, *tok;
	uint64_t v = 0;

	sl_controller_init(a, SL_CONTROLLER_MAX_LEN_ALL);
	if (arg == NULL)
		return 0;
	if (!paren) {
		if (sl_num(c, "actions: controller: max_len", arg, 0, UINT16_MAX, &v) < 0)
			return -EINVAL;
		a->arg = (uint16_t)v;
		return 0;
	}
	while ((tok = sl_next_arg(&rest)) != NULL) {
		char *eq = strchr(tok, '='), *val = eq != NULL ? eq + 1 : NULL;
		size_t l = strlen(tok);

		while (l > 0 && strchr(SL_SPACES, tok[l - 1]) != NULL)
			tok[--l] = '\0';
		if (l == 0) {
			if (rest == NULL && tok == arg + strspn(arg, SL_SPACES))
				break; /* controller() */
			return sl_fail(c, -EINVAL, "actions: controller: empty argument");
		}
		if (eq != NULL)
			*eq = '\0';
		if (strcasecmp(tok, "pause") == 0 && val == NULL) {
			return sl_fail(c, -ENOTSUP, "actions: controller: not supported: pause "
						    "(there is no controller to resume it)");
		} else if (val == NULL) {
			return sl_fail(c, -EINVAL, "actions: controller: unknown argument \"%s\"", tok);
		} else if (strcasecmp(tok, "reason") == 0) {
			unsigned int r;

			for (r = 0; r < SL_PIN_N_REASONS; r++)
				if (strcasecmp(val, sl_pin_reason_name(r)) == 0)
					break;
			if (r == SL_PIN_N_REASONS)
				return sl_fail(c, -EINVAL,
					       "actions: controller: unknown reason \"%s\" (action, no_match, "
					       "invalid_ttl, action_set, group or packet_out)", val);
			a->field = (uint8_t)r;
		} else if (strcasecmp(tok, "max_len") == 0) {
			if (sl_num(c, "actions: controller: max_len", val, 0, UINT16_MAX, &v) < 0)
				return -EINVAL;
			a->arg = (uint16_t)v;
		} else if (strcasecmp(tok, "id") == 0) {
			if (sl_num(c, "actions: controller: id", val, 0, UINT16_MAX, &v) < 0)
				return -EINVAL;
			a->arg2 = (uint16_t)v;
		} else if (strcasecmp(tok, "userdata") == 0) {
			int rc = sl_parse_userdata(c, val, a);

			if (rc < 0)
				return rc;
		} else if (strcasecmp(tok, "meter_id") == 0) {
			if (sl_num(c, "actions: controller: meter_id", val, 0, UINT32_MAX, &v) < 0)
				return -EINVAL;
			if (v != 0) /* 0: no meter, as OVS reads it */
				return sl_fail(c, -ENOTSUP, "actions: controller: not supported: "
							    "meter_id (no meter polices packet-ins here)");
		} else {
			return sl_fail(c, -EINVAL, "actions: controller: unknown argument \"%s\"", tok);
		}
	}
	return 0;
}

/* output(port=N,max_len=M), or output(N). */
static int
sl_parse_output_paren(struct sl_pctx *c, char *arg, struct sl_action *a)
{
	char *port = NULL, *max_len = NULL, *save = NULL;
	uint64_t v = 0;

	if (strchr(arg, '=') == NULL) {
		if (sl_is_controller_port(arg)) {
			sl_controller_init(a, SL_CONTROLLER_MAX_LEN_ALL);
			return 0;
		}
		return sl_port_or_zero(c, "actions: output", arg, &a->arg);
	}
	for (char *kv = strtok_r(arg, ", ", &save); kv != NULL; kv = strtok_r(NULL, ", ", &save)) {
		char *eq = strchr(kv, '=');

		if (eq == NULL)
			return sl_fail(c, -EINVAL, "actions: output: bad argument \"%s\"", kv);
		*eq = '\0';
		if (strcasecmp(kv, "port") == 0)
			port = eq + 1;
		else if (strcasecmp(kv, "max_len") == 0)
			max_len = eq + 1;
		else
			return sl_fail(c, -EINVAL, "actions: output: unknown argument \"%s\"", kv);
	}
	if (port == NULL)
		return sl_fail(c, -EINVAL, "actions: output: needs port=");
	if (sl_is_controller_port(port)) {
		/* OVS truncates in its controller action only: the same here. */
		if (max_len != NULL &&
		    sl_num(c, "actions: output: max_len", max_len, 0, UINT16_MAX, &v) < 0)
			return -EINVAL;
		sl_controller_init(a, max_len != NULL ? (uint16_t)v : SL_CONTROLLER_MAX_LEN_ALL);
		return 0;
	}
	if (sl_port_or_zero(c, "actions: output", port, &a->arg) < 0)
		return -EINVAL;
	if (max_len == NULL)
		return 0;
	if (sl_num(c, "actions: output: max_len", max_len, 1, UINT16_MAX, &v) < 0)
		return -EINVAL;
	a->type = SL_ACT_OUTPUT_TRUNC;
	a->arg2 = (uint16_t)v;
	return 0;
}

/* ---- ct(...) (ovs-actions(7)) ---- */

static int sl_parse_action_list(struct sl_pctx *c, char *s, unsigned int depth, bool in_set);

/* Split off the next comma-separated argument outside parentheses. */
static char *
sl_next_arg(char **s)
{
	char *start = *s, *p = start;
	int depth = 0;

	if (start == NULL)
		return NULL;
	for (; *p != '\0'; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		else if (*p == ',' && depth == 0)
			break;
	}
	if (*p == ',') {
		*p = '\0';
		*s = p + 1;
	} else {
		*s = NULL;
	}
	return start + strspn(start, SL_SPACES);
}

/*
 * ct, ct(), ct(commit,force,zone=N|zone=FIELD[A..B],table=N,exec(ACTIONS)):
 * the exec actions follow the ct action in the list (arg2 of them).  nat
 * and alg= are OVS's too, not implemented here.
 */
static int
sl_parse_ct(struct sl_pctx *c, char *arg, unsigned int depth, uint16_t at)
{
	struct sl_action *a = &c->flow->actions.a[at];
	char *rest = arg, *tok, *exec = NULL;
	uint64_t v = 0;
	int rc;

	a->arg = SL_CT_NO_TABLE;
	while ((tok = sl_next_arg(&rest)) != NULL) {
		char *eq = strchr(tok, '=');
		size_t l = strlen(tok);

		while (l > 0 && strchr(SL_SPACES, tok[l - 1]) != NULL)
			tok[--l] = '\0';
		if (l == 0) {
			if (rest == NULL && tok == arg + strspn(arg, SL_SPACES))
				break; /* ct() */
			return sl_fail(c, -EINVAL, "actions: ct: empty argument");
		}
		if (strcasecmp(tok, "commit") == 0) {
			a->flags |= SL_CTF_COMMIT;
		} else if (strcasecmp(tok, "force") == 0) {
			a->flags |= SL_CTF_FORCE;
		} else if (strncasecmp(tok, "nat", 3) == 0 && (tok[3] == '\0' || tok[3] == '(')) {
			return sl_fail(c, -ENOTSUP, "actions: ct: not supported: nat");
		} else if (strncasecmp(tok, "exec(", 5) == 0 && tok[l - 1] == ')') {
			if (exec != NULL)
				return sl_fail(c, -EINVAL, "actions: ct: exec given twice");
			tok[l - 1] = '\0';
			exec = tok + 5;
		} else if (eq != NULL && strncasecmp(tok, "alg=", 4) == 0) {
			return sl_fail(c, -ENOTSUP, "actions: ct: not supported: alg");
		} else if (eq != NULL && strncasecmp(tok, "table=", 6) == 0) {
			if (sl_parse_table_num(c, "actions: ct: table", eq + 1, &a->arg) < 0)
				return -EINVAL;
		} else if (eq != NULL && strncasecmp(tok, "zone=", 5) == 0) {
			const struct sl_wfield *f;
			char *z = eq + 1;

			if (*z >= '0' && *z <= '9') {
				if (sl_num(c, "actions: ct: zone", z, 0, UINT16_MAX, &v) < 0)
					return -EINVAL;
				a->val[0] = (uint8_t)v;
				a->val[1] = (uint8_t)(v >> 8);
				continue;
			}
			rc = sl_parse_subfield(c, "actions: ct: zone", z, &a->field, &a->ofs, &a->nbits,
					       &f);
			if (rc < 0)
				return rc;
			if (a->nbits != 16 || f->nbits > 64)
				return sl_fail(c, -EINVAL, "actions: ct: zone: needs a 16-bit field, "
							   "not %u bits",
					       a->nbits);
		} else {
			return sl_fail(c, -EINVAL, "actions: ct: unknown argument \"%s\"", tok);
		}
	}
	if (exec != NULL) {
		if (depth >= 4)
			return sl_fail(c, -EINVAL, "actions: ct nested too deep");
		rc = sl_parse_action_list(c, exec, depth + 1, false);
		if (rc < 0)
			return rc;
		c->flow->actions.a[at].arg2 = (uint16_t)(c->flow->actions.n - at - 1);
	}
	return 0;
}

static int
sl_action_arg(struct sl_pctx *c, const struct sl_act_word *w, char *arg, struct sl_action *a)
{
	char what[48];
	size_t nl = strlen(w->name);
	uint64_t v = 0;
	int rc = 0;

	/* "actions: NAME" for errors, without an snprintf for every action of every flow. */
	nl = nl < sizeof(what) - 10 ? nl : sizeof(what) - 10;
	memcpy(what, "actions: ", 9);
	memcpy(what + 9, w->name, nl);
	what[9 + nl] = '\0';
	switch (w->arg) {
	case SL_ARG_NONE:
	case SL_ARG_SPECIAL:
		break;
	case SL_ARG_PORT:
		return sl_port_or_zero(c, what, arg, &a->arg);
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
	case SL_ARG_SET:
		a->field = w->field;
		if (strchr(arg, '/') != NULL)
			return sl_fail(c, -EINVAL, "%s: takes no mask (set_field does)", what);
		return sl_parse_field_value(c, what, sl_wfield_of(w->field), arg, a);
	case SL_ARG_TABLE:
		return sl_parse_table_num(c, what, arg, &a->arg);
	case SL_ARG_GROUP:
		/* The id; the primary binds it to a group of its table (arg). */
		rc = sl_num(c, what, arg, 0, SL_GROUP_ID_MAX, &v);
		sl_action_set_u32(a, (uint32_t)v);
		a->arg = 0;
		return rc;
	case SL_ARG_ETHERTYPE:
		rc = sl_num(c, what, arg, 0, UINT16_MAX, &v);
		break;
	case SL_ARG_QUEUE:
		rc = sl_num(c, what, arg, 0, UINT32_MAX, &v);
		sl_action_set_u32(a, (uint32_t)v);
		return rc;
	case SL_ARG_ENQUEUE: {
		/* enqueue:PORT:QUEUE, or enqueue(PORT,QUEUE) */
		char *q = strpbrk(arg, ":,");

		if (q == NULL)
			return sl_fail(c, -EINVAL, "%s: needs PORT:QUEUE", what);
		*q++ = '\0';
		rc = sl_port_or_zero(c, what, arg, &a->arg);
		if (rc == 0)
			rc = sl_num(c, what, q, 0, UINT32_MAX, &v);
		sl_action_set_u32(a, (uint32_t)v);
		return rc;
	}
	case SL_ARG_FIN_TIMEOUT: {
		char *save = NULL;

		for (char *kv = strtok_r(arg, ", ", &save); kv != NULL;
		     kv = strtok_r(NULL, ", ", &save)) {
			char *eq = strchr(kv, '=');

			if (eq == NULL)
				return sl_fail(c, -EINVAL, "%s: bad argument \"%s\"", what, kv);
			*eq = '\0';
			if (strcasecmp(kv, "idle_timeout") != 0 && strcasecmp(kv, "hard_timeout") != 0)
				return sl_fail(c, -EINVAL, "%s: unknown argument \"%s\"", what, kv);
			if (sl_num(c, what, eq + 1, 0, UINT16_MAX, &v) < 0)
				return -EINVAL;
			if (strcasecmp(kv, "idle_timeout") == 0)
				a->arg = (uint16_t)v;
			else
				a->arg2 = (uint16_t)v;
		}
		return 0;
	}
	case SL_ARG_MPLS_TYPE:
		rc = sl_num(c, what, arg, 0, UINT16_MAX, &v);
		if (rc == 0 && !sl_eth_type_mpls((uint16_t)v))
			return sl_fail(c, -EINVAL, "%s: ethertype %s is not 0x8847 or 0x8848", what,
				       arg);
		break;
	}
	a->arg = (uint16_t)v;
	return rc;
}

static int sl_parse_action_list(struct sl_pctx *c, char *s, unsigned int depth, bool in_set);

/* Split "name:arg", "name(arg)" or "name"; returns false on unbalanced parentheses. */
static bool
sl_split_action(char *tok, char **arg, bool *paren)
{
	char *colon = strchr(tok, ':'), *open = strchr(tok, '(');

	*arg = NULL;
	*paren = false;
	if (open != NULL && (colon == NULL || open < colon)) {
		size_t l = strlen(tok);

		if (tok[l - 1] != ')')
			return false;
		tok[l - 1] = '\0';
		*open = '\0';
		*arg = open + 1;
		*paren = true;
	} else if (colon != NULL) {
		*colon = '\0';
		*arg = colon + 1;
	}
	return true;
}

/* Append one action to the rule; returns its slot or NULL when the list is full. */
static struct sl_action *
sl_new_action(struct sl_pctx *c)
{
	struct sl_actions *acts = &c->flow->actions;

	if (acts->n == SL_MAX_ACTIONS) {
		sl_fail(c, -E2BIG, "actions: more than %d actions", SL_MAX_ACTIONS);
		return NULL;
	}
	memset(&acts->a[acts->n], 0, sizeof(acts->a[0]));
	return &acts->a[acts->n++];
}

/* Actions an action set (write_actions) may hold, as in OpenFlow. */
static bool
sl_set_action_ok(uint16_t type)
{
	switch (type) {
	case SL_ACT_OUTPUT:
	case SL_ACT_OUTPUT_TRUNC:
	case SL_ACT_NORMAL:
	case SL_ACT_FLOOD:
	case SL_ACT_ALL:
	case SL_ACT_IN_PORT:
	case SL_ACT_SET_VLAN_VID:
	case SL_ACT_SET_VLAN_PCP:
	case SL_ACT_STRIP_VLAN:
	case SL_ACT_PUSH_VLAN:
	case SL_ACT_SET_DL_SRC:
	case SL_ACT_SET_DL_DST:
	case SL_ACT_SET_FIELD:
	case SL_ACT_DEC_TTL:
	case SL_ACT_GROUP: /* it overrides an output of the set */
	case SL_ACT_PUSH_MPLS:
	case SL_ACT_POP_MPLS:
	case SL_ACT_DEC_MPLS_TTL:
	case SL_ACT_SET_QUEUE:
	case SL_ACT_CONTROLLER: /* output to the controller's port */
		return true;
	default:
		return false;
	}
}

/* Instructions: only in the rule's own list, never inside clone() or an action set. */
static bool
sl_is_instruction(uint16_t type)
{
	return type == SL_ACT_GOTO_TABLE || type == SL_ACT_WRITE_ACTIONS ||
	       type == SL_ACT_CLEAR_ACTIONS || type == SL_ACT_WRITE_METADATA ||
	       type == SL_ACT_METER;
}

/* One action: "name", "name:arg", "name(arg)" or a bare port number (output). */
static int
sl_parse_action(struct sl_pctx *c, char *tok, unsigned int depth, bool in_set)
{
	const struct sl_act_word *w = NULL;
	struct sl_action *a;
	uint16_t at;
	char *arg;
	bool paren;
	size_t i;
	int rc;

	if (tok[0] >= '0' && tok[0] <= '9') {
		a = sl_new_action(c);
		if (a == NULL)
			return -E2BIG;
		a->type = SL_ACT_OUTPUT;
		return sl_port_or_zero(c, "actions: output", tok, &a->arg);
	}
	if (strcasecmp(tok, "LOCAL") == 0) {
		/* LOCAL alone is output:LOCAL, as ovs-ofctl prints it. */
		a = sl_new_action(c);
		if (a == NULL)
			return -E2BIG;
		a->type = SL_ACT_OUTPUT;
		a->arg = SL_OFPP_LOCAL;
		return 0;
	}
	if (!sl_split_action(tok, &arg, &paren))
		return sl_fail(c, -EINVAL, "actions: unbalanced parentheses in \"%s\"", tok);
	if (sl_word_eq(tok, "local"))
		return sl_fail(c, -EINVAL, "actions: LOCAL takes no argument");
	for (i = 0; i < SL_ARRAY_SIZE(sl_act_words) && w == NULL; i++)
		if (sl_word_eq(tok, sl_act_words[i].name))
			w = &sl_act_words[i];
	if (w == NULL && sl_word_listed(tok, sl_unsupported_actions,
					SL_ARRAY_SIZE(sl_unsupported_actions)))
		return sl_fail(c, -ENOTSUP, "actions: not supported: %s", tok);
	if (w == NULL)
		return sl_fail(c, -EINVAL, "actions: unknown action \"%s\"", tok);
	/* dec_ttl(ID,...) names controllers to tell; with none, it is dec_ttl. */
	if (w->type == SL_ACT_DEC_TTL && paren)
		arg = NULL;
	if (w->arg == SL_ARG_NONE && arg != NULL)
		return sl_fail(c, -EINVAL, "actions: %s takes no argument", w->name);
	if (w->arg != SL_ARG_NONE && arg == NULL && w->type != SL_ACT_NOTE && w->type != SL_ACT_CT &&
	    w->type != SL_ACT_CONTROLLER)
		return sl_fail(c, -EINVAL, "actions: %s needs an argument (%s:...)", w->name,
			       w->name);
	if (w->arg != SL_ARG_NONE && arg != NULL && *arg == '\0' && w->type != SL_ACT_CLONE &&
	    w->type != SL_ACT_WRITE_ACTIONS && w->type != SL_ACT_NOTE && w->type != SL_ACT_CT &&
	    w->type != SL_ACT_FIN_TIMEOUT && w->type != SL_ACT_CONTROLLER)
		return sl_fail(c, -EINVAL, "actions: %s needs an argument (%s:...)", w->name,
			       w->name);
	if ((in_set && !sl_set_action_ok((uint16_t)w->type)) ||
	    (depth > 0 && sl_is_instruction((uint16_t)w->type)))
		return sl_fail(c, -EINVAL, "actions: %s is not allowed inside %s", w->name,
			       in_set ? "write_actions()" : "clone()");
	at = c->flow->actions.n;
	a = sl_new_action(c);
	if (a == NULL)
		return -E2BIG;
	a->type = (uint16_t)w->type;
	switch (w->type) {
	case SL_ACT_OUTPUT:
		/* output:in_port and the like are the actions of those names. */
		for (i = 0; i < SL_ARRAY_SIZE(sl_act_words) && !(arg[0] >= '0' && arg[0] <= '9'); i++) {
			if (sl_act_words[i].arg == SL_ARG_NONE && sl_act_words[i].type < SL_ACT_SET_VLAN_VID &&
			    strcasecmp(arg, sl_act_words[i].name) == 0) {
				a->type = (uint16_t)sl_act_words[i].type;
				return 0;
			}
		}
		if (!paren && sl_is_controller_port(arg)) {
			sl_controller_init(a, SL_CONTROLLER_MAX_LEN_ALL);
			return 0;
		}
		return paren ? sl_parse_output_paren(c, arg, a) : sl_action_arg(c, w, arg, a);
	case SL_ACT_CONTROLLER:
		return sl_parse_controller(c, arg, paren, a);
	case SL_ACT_RESUBMIT:
		return sl_parse_resubmit(c, arg, paren, a);
	case SL_ACT_SET_FIELD:
		return w->arg == SL_ARG_SET ? sl_action_arg(c, w, arg, a) : sl_parse_set_field(c, arg, a);
	case SL_ACT_LOAD:
		return sl_parse_load(c, arg, a);
	case SL_ACT_MOVE:
		return sl_parse_move(c, arg, a);
	case SL_ACT_WRITE_METADATA:
		return sl_parse_write_metadata(c, arg, a);
	case SL_ACT_NOTE:
		return sl_parse_note(c, arg, a);
	case SL_ACT_CT:
		return arg == NULL ? (a->arg = SL_CT_NO_TABLE, 0) : sl_parse_ct(c, arg, depth, at);
	case SL_ACT_CLONE:
	case SL_ACT_WRITE_ACTIONS:
		if (!paren)
			return sl_fail(c, -EINVAL, "actions: %s needs (ACTIONS)", w->name);
		if (depth >= 4)
			return sl_fail(c, -EINVAL, "actions: %s nested too deep", w->name);
		rc = sl_parse_action_list(c, arg, depth + 1, w->type == SL_ACT_WRITE_ACTIONS);
		c->flow->actions.a[at].arg2 = (uint16_t)(c->flow->actions.n - at - 1);
		return rc;
	default:
		return sl_action_arg(c, w, arg, a);
	}
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

/* Length of the next action: up to a comma or blank outside parentheses. */
static size_t
sl_action_len(const char *s, bool *blank_end)
{
	int depth = 0;
	size_t i;

	*blank_end = false;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '(')
			depth++;
		else if (s[i] == ')' && depth > 0)
			depth--;
		else if (depth == 0 && s[i] == ',')
			break;
		else if (depth == 0 && strchr(SL_SPACES, s[i]) != NULL) {
			*blank_end = true;
			break;
		}
	}
	return i;
}

/*
 * A comma (or blank) separated list; "drop" or empty = no actions.  Nested
 * lists (clone(...), write_actions(...)) come here again with @depth > 0.
 */
static int
sl_parse_action_list(struct sl_pctx *c, char *s, unsigned int depth, bool in_set)
{
	uint16_t first = c->flow->actions.n;
	char tok[SL_TOKEN_MAX * 2];
	bool drop = false, any = false;
	int rc;

	for (;;) {
		bool blank;
		const char *next;
		size_t n;

		s += strspn(s, SL_SPACES);
		n = sl_action_len(s, &blank);
		if (!sl_trim_copy(tok, sizeof(tok), s, n))
			return sl_fail(c, -EINVAL, "actions: action too long \"%.32s...\"", s);
		/* "a b", "a,b" and "a , b" all separate two actions. */
		next = s + n + strspn(s + n, SL_SPACES);
		if (tok[0] == '\0') {
			if (*next != '\0' || any || drop || depth > 0)
				return sl_fail(c, -EINVAL, "actions: empty action in list");
		} else if (strcasecmp(tok, "drop") == 0 && depth == 0) {
			drop = true;
		} else {
			uint16_t at = c->flow->actions.n;

			rc = sl_parse_action(c, tok, depth, in_set);
			if (rc < 0)
				return rc;
			any = true;
			/* OpenFlow 1.3 has meter as an instruction, run before the
			 * action list: ovs-ofctl wants it first, and so do we. */
			if (c->flow->actions.a[at].type == SL_ACT_METER && at > first)
				return sl_fail(c, -EINVAL,
					       "actions: meter must come first (an OpenFlow 1.3 "
					       "instruction, applied before the actions)");
		}
		if (drop && any)
			return sl_fail(c, -EINVAL, "actions: \"drop\" must be the only action");
		if (*next == '\0')
			return 0;
		if (*next == ',')
			next++;
		else if (!blank)
			return sl_fail(c, -EINVAL, "actions: bad syntax near \"%.32s\"", next);
		s = (char *)next;
		if (*s == '\0' || s[strspn(s, SL_SPACES)] == '\0')
			return sl_fail(c, -EINVAL, "actions: empty action in list");
	}
}

/* Everything after "actions=". */
static int
sl_parse_actions(struct sl_pctx *c, const char *s)
{
	char buf[4096];
	size_t l = strlen(s);

	if (l >= sizeof(buf))
		return sl_fail(c, -EINVAL, "actions: list too long (%zu bytes)", l);
	memcpy(buf, s, l + 1);
	return sl_parse_action_list(c, buf, 0, false);
}

/* True if the action changes the packet or its pipeline state. */
static bool
sl_action_changes(uint16_t type)
{
	switch (type) {
	case SL_ACT_SET_VLAN_VID:
	case SL_ACT_SET_VLAN_PCP:
	case SL_ACT_STRIP_VLAN:
	case SL_ACT_PUSH_VLAN:
	case SL_ACT_SET_DL_SRC:
	case SL_ACT_SET_DL_DST:
	case SL_ACT_SET_FIELD:
	case SL_ACT_LOAD:
	case SL_ACT_MOVE:
	case SL_ACT_WRITE_METADATA:
	case SL_ACT_DEC_TTL:
	case SL_ACT_PUSH_MPLS:
	case SL_ACT_POP_MPLS:
	case SL_ACT_DEC_MPLS_TTL:
		return true;
	default:
		return false;
	}
}

/*
 * Checks that need the whole flow: goto_table goes forward and comes last,
 * field writes meet their prerequisites, and a resubmit that would land
 * back in this very rule (same table, nothing changed, same in_port) is
 * refused: it could only loop.
 */
/* Connection tracking fields are read-only but in ct(exec()), where only
 * ct_mark and ct_label may be written, and ct needs an IP match (as in OVS). */
static int
sl_check_ct(struct sl_pctx *c)
{
	const struct sl_actions *acts = &c->flow->actions;
	uint16_t exec_end = 0;

	for (uint16_t i = 0; i < acts->n; i++) {
		const struct sl_action *a = &acts->a[i];
		bool writes = a->type == SL_ACT_SET_FIELD || a->type == SL_ACT_LOAD ||
			      a->type == SL_ACT_MOVE;
		bool ct_dst = writes && a->field >= SL_FLD_CT_MARK && a->field <= SL_FLD_CT_ZONE;

		if (a->type == SL_ACT_CT) {
			if (i < exec_end)
				return sl_fail(c, -EINVAL, "actions: ct: exec: ct is not allowed inside");
			if (!sl_is_ip_any(c->m))
				return sl_fail(c, -EINVAL,
					       "actions: ct: missing prerequisite, needs ip or ipv6");
			exec_end = (uint16_t)(i + 1 + a->arg2);
			continue;
		}
		if (i < exec_end) {
			if ((a->type != SL_ACT_SET_FIELD && a->type != SL_ACT_LOAD) ||
			    (a->field != SL_FLD_CT_MARK && a->field != SL_FLD_CT_LABEL))
				return sl_fail(c, -EINVAL,
					       "actions: ct: exec: only set_field or load of ct_mark "
					       "or ct_label");
			continue;
		}
		if (ct_dst)
			return sl_fail(c, -EINVAL,
				       "actions: %s: connection tracking fields are written only "
				       "inside ct(commit,exec(...))",
				       a->type == SL_ACT_MOVE ? "move" :
				       a->type == SL_ACT_LOAD ? "load" : "set_field");
	}
	return 0;
}

static int
sl_check_actions(struct sl_pctx *c)
{
	const struct sl_actions *acts = &c->flow->actions;
	const struct sl_match *m = c->m;
	uint8_t table = m->mkey.table;
	bool changed = false;
	/* What the packet is at each action: push_mpls and pop_mpls change its
	 * ethertype, so that pop_mpls:0x0800,mod_nw_tos:48 meets "ip" as in OVS. */
	struct sl_match now = *m;

	if (sl_check_ct(c) < 0)
		return -EINVAL;
	for (uint16_t i = 0; i < acts->n; i++) {
		const struct sl_action *a = &acts->a[i];
		const struct sl_wfield *f;

		changed |= sl_action_changes(a->type);
		switch (a->type) {
		case SL_ACT_GOTO_TABLE:
			if (a->arg <= table)
				return sl_fail(c, -EINVAL,
					       "actions: goto_table:%u must go to a later table than "
					       "%u",
					       a->arg, table);
			if (i + 1 != acts->n)
				return sl_fail(c, -EINVAL, "actions: goto_table must come last");
			break;
		case SL_ACT_PUSH_MPLS:
		case SL_ACT_POP_MPLS:
			now.key.dl_type = a->arg;
			now.mask.dl_type = 0xffff;
			now.mask.nw_proto = 0; /* unknown until a packet shows it */
			break;
		case SL_ACT_SET_FIELD:
			f = sl_wfield_of(a->field);
			if (f != NULL && !sl_prereq_met(&now, (enum sl_prereq)f->prereq))
				return sl_fail(c, -EINVAL,
					       "actions: set_field %s: missing prerequisite, needs %s",
					       f->name, sl_prereq_text[f->prereq]);
			break;
		case SL_ACT_RESUBMIT:
			if (changed || (a->arg != SL_RESUBMIT_HERE && a->arg != table))
				break;
			if (a->arg2 != 0 && m->mask.in_port != 0 && m->key.in_port != a->arg2)
				break;
			return sl_fail(c, -EINVAL,
				       "actions: resubmit loops: it sends the packet back to table %u "
				       "unchanged, where this flow matches it again",
				       table);
		default:
			break;
		}
	}
	return 0;
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
	/* A bucket runs in the group engine, which has no connection tracker. */
	for (uint16_t i = 0; rc == 0 && i < f.actions.n; i++)
		if (f.actions.a[i].type == SL_ACT_CT)
			rc = sl_fail(&c, -ENOTSUP, "actions: not supported: ct in a group bucket");
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
		is_actions = sl_word_eq(key, "actions") || sl_word_eq(key, "action");
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
	/* Every rule lives in exactly one table; a match names one or spans all. */
	if (mode == SL_PARSE_FLOW)
		flow->match.mmask.table = 0xff;
	if (rc == 0 && mode == SL_PARSE_FLOW)
		rc = sl_check_actions(&c);
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

/* Append a port: its number, or LOCAL for the bridge's own, as ovs-ofctl prints them. */
static void
sl_put_port(struct sl_out *o, uint16_t port)
{
	if (port == SL_OFPP_LOCAL)
		sl_put(o, "LOCAL");
	else
		sl_put_u(o, port);
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
		if (m->mask.ipv6_label != 0) {
			uint32_t v = ntohl(m->key.ipv6_label), mk = ntohl(m->mask.ipv6_label);

			/* As ovs-ofctl prints it. */
			sl_item(o);
			if (mk == 0xfffff)
				sl_out(o, "ipv6_label=0x%x", v);
			else
				sl_out(o, "ipv6_label=0x%05x/0x%05x", v, mk);
		}
		return;
	}
	sl_out_addr_field(o, arp ? "arp_spa" : "nw_src", AF_INET, m->key.nw_src, m->mask.nw_src);
	sl_out_addr_field(o, arp ? "arp_tpa" : "nw_dst", AF_INET, m->key.nw_dst, m->mask.nw_dst);
	if (arp) {
		sl_out_mac_field(o, "arp_sha", m->key.nw_src + 4, m->mask.nw_src + 4);
		sl_out_mac_field(o, "arp_tha", m->key.nw_dst + 4, m->mask.nw_dst + 4);
	}
}

/* The outer MPLS entry's parts, in ovs-ofctl's order; true if the match is MPLS. */
static bool
sl_out_mpls(struct sl_out *o, const struct sl_match *m)
{
	static const struct {
		const char *name;
		uint32_t mask;
		unsigned int shift;
	} parts[] = {
		{ "mpls_label", SL_MPLS_LABEL_MASK, SL_MPLS_LABEL_SHIFT },
		{ "mpls_tc", SL_MPLS_TC_MASK, SL_MPLS_TC_SHIFT },
		{ "mpls_ttl", SL_MPLS_TTL_MASK, 0 },
		{ "mpls_bos", SL_MPLS_BOS_MASK, SL_MPLS_BOS_SHIFT },
	};
	uint32_t v = ntohl(m->key.mpls_lse), mk = ntohl(m->mask.mpls_lse);

	if (!sl_prereq_met(m, SL_PRE_MPLS))
		return false;
	for (size_t i = 0; i < SL_ARRAY_SIZE(parts); i++) {
		if ((mk & parts[i].mask) == 0)
			continue;
		sl_item(o);
		sl_out(o, "%s=%u", parts[i].name, (v & parts[i].mask) >> parts[i].shift);
	}
	return true;
}

static void
sl_out_l3(struct sl_out *o, const struct sl_match *m, bool proto_done)
{
	if (sl_out_mpls(o, m))
		return;
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
sl_out_masked_hex(struct sl_out *o, const char *name, uint64_t v, uint64_t mask, uint64_t all)
{
	if (mask == 0)
		return;
	sl_item(o);
	if (mask == all)
		sl_out(o, "%s=0x%" PRIx64, name, v);
	else
		sl_out(o, "%s=0x%" PRIx64 "/0x%" PRIx64, name, v, mask);
}

static void
sl_out_ct_num(struct sl_out *o, const char *name, uint64_t v, uint64_t mask, uint64_t all)
{
	if (mask == 0)
		return;
	sl_item(o);
	if (mask == all)
		sl_out(o, "%s=%" PRIu64, name, v);
	else
		sl_out(o, "%s=0x%" PRIx64 "/0x%" PRIx64, name, v, mask);
}

/* A 128-bit value as 0x..., without leading zeros. */
static void
sl_out_u128(struct sl_out *o, const uint64_t *v)
{
	if (v[1] != 0)
		sl_out(o, "0x%" PRIx64 "%016" PRIx64, v[1], v[0]);
	else
		sl_out(o, "0x%" PRIx64, v[0]);
}

/* The connection tracking fields (common/conntrack.h). */
static void
sl_out_ct_match(struct sl_out *o, const struct sl_match *m)
{
	const struct sl_flow_meta *k = &m->mkey, *mk = &m->mmask;
	bool v6 = sl_is_dl(m, SL_DL_TYPE_IPV6);
	char buf[64];

	if (mk->ct_state != 0) {
		sl_ct_state_format(k->ct_state, mk->ct_state, buf, sizeof(buf));
		sl_item(o);
		sl_out(o, "ct_state=%s", buf);
	}
	sl_out_ct_num(o, "ct_zone", k->ct_zone, mk->ct_zone, UINT16_MAX);
	sl_out_masked_hex(o, "ct_mark", k->ct_mark, mk->ct_mark, UINT32_MAX);
	if (mk->ct_label[0] != 0 || mk->ct_label[1] != 0) {
		sl_item(o);
		sl_put(o, "ct_label=");
		sl_out_u128(o, k->ct_label);
		if (mk->ct_label[0] != UINT64_MAX || mk->ct_label[1] != UINT64_MAX) {
			sl_put(o, "/");
			sl_out_u128(o, mk->ct_label);
		}
	}
	sl_out_addr_field(o, v6 ? "ct_ipv6_src" : "ct_nw_src", v6 ? AF_INET6 : AF_INET,
			  k->ct_nw_src, mk->ct_nw_src);
	sl_out_addr_field(o, v6 ? "ct_ipv6_dst" : "ct_nw_dst", v6 ? AF_INET6 : AF_INET,
			  k->ct_nw_dst, mk->ct_nw_dst);
	sl_out_ct_num(o, "ct_nw_proto", k->ct_nw_proto, mk->ct_nw_proto, 0xff);
	sl_out_ct_num(o, "ct_tp_src", ntohs(k->ct_tp_src), ntohs(mk->ct_tp_src), UINT16_MAX);
	sl_out_ct_num(o, "ct_tp_dst", ntohs(k->ct_tp_dst), ntohs(mk->ct_tp_dst), UINT16_MAX);
}

/* Fragment bits, registers and metadata. */
static void
sl_out_meta(struct sl_out *o, const struct sl_match *m)
{
	char name[8];

	if (m->mask.nw_frag != 0) {
		uint8_t k = m->key.nw_frag, mk = m->mask.nw_frag;
		const char *kind = mk == SL_FRAG_LATER				? "not_later"
				   : mk == SL_FRAG_ANY				? (k ? "yes" : "no")
				   : (k & SL_FRAG_LATER)				? "later"
										: "first";

		sl_item(o);
		sl_out(o, "ip_frag=%s", kind);
	}
	sl_out_masked_hex(o, "metadata", m->mkey.metadata, m->mmask.metadata, UINT64_MAX);
	sl_out_masked_hex(o, "pkt_mark", m->mkey.pkt_mark, m->mmask.pkt_mark, UINT32_MAX);
	if (m->mmask.actset_output != 0) {
		sl_item(o);
		sl_put(o, "actset_output=");
		if (m->mkey.actset_output == 0)
			sl_put(o, "unset");
		else
			sl_put_port(o, m->mkey.actset_output);
	}
	for (unsigned int r = 0; r < SL_N_REGS; r++) {
		if (m->mmask.reg[r] == 0) /* the name's snprintf, 16 times a flow, is most of a dump */
			continue;
		snprintf(name, sizeof(name), "reg%u", r);
		sl_out_masked_hex(o, name, m->mkey.reg[r], m->mmask.reg[r], UINT32_MAX);
	}
	sl_out_ct_match(o, m);
}

/*
 * @flow: the match of a rule, which is always in one table: table 0 goes
 * unsaid, as ovs-ofctl prints it.  A bare match names its table whenever
 * it has one (else it spans them all).
 */
static void
sl_out_match(struct sl_out *o, const struct sl_match *m, uint32_t priority, bool flow)
{
	const struct sl_proto_word *w = sl_find_proto_word(m);
	bool icmp = sl_prereq_met(m, SL_PRE_ICMP);

	if (m->mmask.table != 0 && (m->mkey.table != 0 || !flow)) {
		sl_item(o);
		sl_put(o, "table=");
		sl_put_u(o, m->mkey.table);
	}
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
		sl_put_port(o, m->key.in_port);
	}
	sl_out_vlan(o, m);
	sl_out_mac_field(o, "dl_src", m->key.dl_src, m->mask.dl_src);
	sl_out_mac_field(o, "dl_dst", m->key.dl_dst, m->mask.dl_dst);
	sl_out_l3(o, m, w != NULL && w->proto >= 0);
	sl_out_tp_field(o, icmp ? "icmp_type" : "tp_src", m->key.tp_src, m->mask.tp_src, icmp);
	sl_out_tp_field(o, icmp ? "icmp_code" : "tp_dst", m->key.tp_dst, m->mask.tp_dst, icmp);
	sl_out_meta(o, m);
}

/* A field value as set_field takes it (u64 host order, or 16 bytes for IPv6). */
static void
sl_out_field_value(struct sl_out *o, const struct sl_wfield *f, const struct sl_action *a,
		   unsigned int i)
{
	uint64_t v = sl_action_u64(a, i);
	char addr[INET6_ADDRSTRLEN];
	uint8_t b[6];

	switch (f->kind) {
	case SL_VAL_HEX128: {
		uint64_t w[2] = { sl_action_u64(a, 0), sl_action_u64(a, 1) };

		sl_out_u128(o, w);
		return;
	}
	case SL_VAL_IPV6:
		inet_ntop(AF_INET6, a->val, addr, sizeof(addr));
		sl_put(o, addr);
		return;
	case SL_VAL_IPV4:
		sl_out(o, "%u.%u.%u.%u", (unsigned int)(v >> 24) & 0xff,
		       (unsigned int)(v >> 16) & 0xff, (unsigned int)(v >> 8) & 0xff,
		       (unsigned int)v & 0xff);
		return;
	case SL_VAL_MAC:
		for (int k = 0; k < 6; k++)
			b[k] = (uint8_t)(v >> (40 - 8 * k));
		sl_out_mac(o, b);
		return;
	case SL_VAL_HEX:
		sl_out(o, "0x%" PRIx64, v);
		return;
	default:
		sl_put_u(o, v);
		return;
	}
}

static const char *
sl_wfield_name(uint8_t id, char *buf, size_t len)
{
	const struct sl_wfield *f = sl_wfield_of(id);

	if (f == &sl_reg_wfield) {
		snprintf(buf, len, "reg%u", (unsigned int)(id - SL_FLD_REG0));
		return buf;
	}
	return f != NULL ? f->name : "unknown_field";
}

/* FIELD[A..B], or FIELD[] for the whole field. */
static void
sl_out_subfield(struct sl_out *o, uint8_t id, uint8_t ofs, uint8_t nbits)
{
	const struct sl_wfield *f = sl_wfield_of(id);
	char name[16];

	sl_put(o, sl_wfield_name(id, name, sizeof(name)));
	if (f != NULL && ofs == 0 && nbits == f->nbits)
		sl_put(o, "[]");
	else if (nbits == 1)
		sl_out(o, "[%u]", ofs);
	else
		sl_out(o, "[%u..%u]", ofs, ofs + nbits - 1);
}

static uint16_t sl_out_action_list(struct sl_out *o, const struct sl_actions *acts, uint16_t i,
				   uint16_t end);
static uint16_t sl_out_ct_action(struct sl_out *o, const struct sl_actions *acts, uint16_t i);

/*
 * As ovs-ofctl: CONTROLLER:MAX_LEN when only max_len differs from the
 * defaults, else controller(...) with the arguments that do.
 */
static void
sl_out_controller(struct sl_out *o, const struct sl_action *a)
{
	const char *sep = "";

	if (a->field == SL_PIN_ACTION && a->arg2 == 0 && a->nbits == 0) {
		sl_out(o, "CONTROLLER:%u", a->arg);
		return;
	}
	sl_put(o, "controller(");
	if (a->field != SL_PIN_ACTION) {
		const char *r = sl_pin_reason_name(a->field);

		if (r != NULL)
			sl_out(o, "reason=%s", r);
		else
			sl_out(o, "reason=%u", a->field);
		sep = ",";
	}
	if (a->arg != SL_CONTROLLER_MAX_LEN_ALL) {
		sl_out(o, "%smax_len=%u", sep, a->arg);
		sep = ",";
	}
	if (a->arg2 != 0) {
		sl_out(o, "%sid=%u", sep, a->arg2);
		sep = ",";
	}
	if (a->nbits > 0) {
		sl_out(o, "%suserdata=", sep);
		for (unsigned int k = 0; k < a->nbits && k < sizeof(a->val); k++)
			sl_out(o, "%s%02x", k == 0 ? "" : ".", a->val[k]);
	}
	sl_put(o, ")");
}

/* Print action @i; returns the index after it (and after its body, for clone()). */
static uint16_t
sl_out_action(struct sl_out *o, const struct sl_actions *acts, uint16_t i)
{
	const struct sl_action *a = &acts->a[i];
	const uint8_t *mac = a->mac;
	const struct sl_wfield *f;
	char name[16];

	switch ((enum sl_action_type)a->type) {
	case SL_ACT_OUTPUT:
		/* ovs-ofctl prints a reserved port alone: LOCAL, not output:LOCAL. */
		if (a->arg != SL_OFPP_LOCAL)
			sl_put(o, "output:");
		sl_put_port(o, a->arg);
		break;
	case SL_ACT_NORMAL:
		sl_out(o, "NORMAL");
		break;
	case SL_ACT_FLOOD:
		sl_out(o, "FLOOD");
		break;
	case SL_ACT_ALL:
		sl_out(o, "ALL");
		break;
	case SL_ACT_IN_PORT:
		sl_out(o, "IN_PORT");
		break;
	case SL_ACT_SET_VLAN_VID:
		sl_out(o, "mod_vlan_vid:%u", a->arg);
		break;
	case SL_ACT_SET_VLAN_PCP:
		sl_out(o, "mod_vlan_pcp:%u", a->arg);
		break;
	case SL_ACT_STRIP_VLAN:
		sl_out(o, "strip_vlan");
		break;
	case SL_ACT_PUSH_VLAN:
		sl_out(o, "push_vlan:0x%04x", a->arg);
		break;
	case SL_ACT_SET_DL_SRC:
	case SL_ACT_SET_DL_DST:
		sl_out(o, "mod_dl_%s:", a->type == SL_ACT_SET_DL_SRC ? "src" : "dst");
		sl_out_mac(o, mac);
		break;
	case SL_ACT_METER:
		sl_put(o, "meter:");
		sl_put_u(o, sl_action_u32(a));
		break;
	case SL_ACT_RESUBMIT:
		if (a->arg == SL_RESUBMIT_HERE) {
			sl_put(o, "resubmit:");
			sl_put_port(o, a->arg2);
		}
		else if (a->arg2 == 0)
			sl_out(o, "resubmit(,%u)", a->arg);
		else {
			sl_put(o, "resubmit(");
			sl_put_port(o, a->arg2);
			sl_out(o, ",%u)", a->arg);
		}
		break;
	case SL_ACT_GOTO_TABLE:
		sl_out(o, "goto_table:%u", a->arg);
		break;
	case SL_ACT_SET_FIELD:
		f = sl_wfield_of(a->field);
		if (f == NULL)
			break;
		sl_put(o, "set_field:");
		sl_out_field_value(o, f, a, 0);
		if (a->flags & SL_AF_MASKED) {
			sl_put(o, "/");
			sl_out_field_value(o, f->kind == SL_VAL_NUM ? &(struct sl_wfield){ .kind = SL_VAL_HEX } : f, a, 1);
		}
		sl_put(o, "->");
		sl_put(o, sl_wfield_name(a->field, name, sizeof(name)));
		break;
	case SL_ACT_LOAD:
		sl_out(o, "load:0x%" PRIx64 "->", sl_action_u64(a, 0));
		sl_out_subfield(o, a->field, a->ofs, a->nbits);
		break;
	case SL_ACT_MOVE:
		sl_put(o, "move:");
		sl_out_subfield(o, a->field2, a->ofs2, a->nbits);
		sl_put(o, "->");
		sl_out_subfield(o, a->field, a->ofs, a->nbits);
		break;
	case SL_ACT_WRITE_METADATA:
		sl_out(o, "write_metadata:0x%" PRIx64, sl_action_u64(a, 0));
		if (sl_action_u64(a, 1) != UINT64_MAX)
			sl_out(o, "/0x%" PRIx64, sl_action_u64(a, 1));
		break;
	case SL_ACT_WRITE_ACTIONS:
	case SL_ACT_CLONE: {
		uint16_t end = (uint16_t)(i + 1 + a->arg2);

		sl_put(o, a->type == SL_ACT_CLONE ? "clone(" : "write_actions(");
		if (end > acts->n)
			end = acts->n;
		sl_out_action_list(o, acts, (uint16_t)(i + 1), end);
		sl_put(o, ")");
		return end;
	}
	case SL_ACT_CLEAR_ACTIONS:
		sl_put(o, "clear_actions");
		break;
	case SL_ACT_DEC_TTL:
		sl_put(o, "dec_ttl");
		break;
	case SL_ACT_OUTPUT_TRUNC:
		sl_put(o, "output(port=");
		sl_put_port(o, a->arg);
		sl_out(o, ",max_len=%u)", a->arg2);
		break;
	case SL_ACT_GROUP:
		sl_put(o, "group:");
		sl_put_u(o, sl_action_u32(a));
		break;
	case SL_ACT_EXIT:
		sl_put(o, "exit");
		break;
	case SL_ACT_NOTE:
		sl_put(o, "note");
		for (unsigned int k = 0; k < sl_note_printed(a->arg); k++)
			sl_out(o, "%s%02x", k == 0 ? ":" : ".",
			       k < a->arg && k < sizeof(a->val) ? a->val[k] : 0);
		break;
	case SL_ACT_CT_CLEAR:
		sl_put(o, "ct_clear");
		break;
	case SL_ACT_CT:
		return sl_out_ct_action(o, acts, i);
	case SL_ACT_DEBUG_RECIRC:
		sl_put(o, "debug_recirc");
		break;
	case SL_ACT_DEBUG_SLOW:
		sl_put(o, "debug_slow");
		break;
	case SL_ACT_PUSH_MPLS:
	case SL_ACT_POP_MPLS:
		sl_out(o, "%s_mpls:0x%04x", a->type == SL_ACT_PUSH_MPLS ? "push" : "pop", a->arg);
		break;
	case SL_ACT_DEC_MPLS_TTL:
		sl_put(o, "dec_mpls_ttl");
		break;
	case SL_ACT_SET_QUEUE:
		sl_put(o, "set_queue:");
		sl_put_u(o, sl_action_u32(a));
		break;
	case SL_ACT_POP_QUEUE:
		sl_put(o, "pop_queue");
		break;
	case SL_ACT_ENQUEUE:
		sl_put(o, "enqueue:");
		sl_put_port(o, a->arg);
		sl_put(o, ":");
		sl_put_u(o, sl_action_u32(a));
		break;
	case SL_ACT_FIN_TIMEOUT:
		/* As ovs-ofctl: only the timeouts given (not zero). */
		sl_put(o, "fin_timeout(");
		if (a->arg != 0)
			sl_out(o, "idle_timeout=%u", a->arg);
		if (a->arg2 != 0)
			sl_out(o, "%shard_timeout=%u", a->arg != 0 ? "," : "", a->arg2);
		sl_put(o, ")");
		break;
	case SL_ACT_CONTROLLER:
		sl_out_controller(o, a);
		break;
	case SL_ACT_COUNT:
	default:
		sl_out(o, "unknown_action_%u", a->type);
		break;
	}
	return (uint16_t)(i + 1);
}

/* ct(commit,force,table=T,zone=Z,exec(...)) as ovs-ofctl prints it; bare "ct" without arguments. */
static uint16_t
sl_out_ct_action(struct sl_out *o, const struct sl_actions *acts, uint16_t i)
{
	const struct sl_action *a = &acts->a[i];
	uint16_t end = (uint16_t)(i + 1 + a->arg2), zone = (uint16_t)(a->val[0] | a->val[1] << 8);
	bool any = false;

	if (end > acts->n)
		end = acts->n;
	if (a->flags == 0 && a->arg == SL_CT_NO_TABLE && zone == 0 && a->field == 0 && a->arg2 == 0) {
		sl_put(o, "ct");
		return end;
	}
	sl_put(o, "ct(");
#define SL_CT_SEP() (any ? sl_put(o, ",") : (void)0, any = true)
	if (a->flags & SL_CTF_COMMIT) {
		SL_CT_SEP();
		sl_put(o, "commit");
	}
	if (a->flags & SL_CTF_FORCE) {
		SL_CT_SEP();
		sl_put(o, "force");
	}
	if (a->arg != SL_CT_NO_TABLE) {
		SL_CT_SEP();
		sl_out(o, "table=%u", a->arg);
	}
	if (a->field != 0) {
		SL_CT_SEP();
		sl_put(o, "zone=");
		sl_out_subfield(o, a->field, a->ofs, a->nbits);
	} else if (zone != 0) {
		SL_CT_SEP();
		sl_out(o, "zone=%u", zone);
	}
	if (a->arg2 > 0) {
		SL_CT_SEP();
		sl_put(o, "exec(");
		sl_out_action_list(o, acts, (uint16_t)(i + 1), end);
		sl_put(o, ")");
	}
#undef SL_CT_SEP
	sl_put(o, ")");
	return end;
}

static uint16_t
sl_out_action_list(struct sl_out *o, const struct sl_actions *acts, uint16_t i, uint16_t end)
{
	bool first = true;

	while (i < end) {
		if (!first)
			sl_out(o, ",");
		first = false;
		i = sl_out_action(o, acts, i);
	}
	return i;
}

static void
sl_out_actions(struct sl_out *o, const struct sl_actions *acts)
{
	uint16_t n = acts->n < SL_MAX_ACTIONS ? acts->n : SL_MAX_ACTIONS;

	if (n == 0)
		sl_out(o, "drop");
	sl_out_action_list(o, acts, 0, n);
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

	sl_out_match(&o, m, priority, false);
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
	sl_out_match(&o, &sel->match, sel->priority, false);
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
	if (flow->importance != 0) {
		sl_item(&o);
		sl_put(&o, "importance=");
		sl_put_u(&o, flow->importance);
	}
	sl_out_match(&o, &flow->match, flow->priority, true);
	sl_item(&o);
	sl_out(&o, "actions=");
	sl_out_actions(&o, &flow->actions);
	return sl_out_done(&o);
}
