/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ovs-ofctl group syntax:
 *   group_id=1,type=select,selection_method=hash,fields(ip_src,tcp_dst),
 *   bucket=weight:10,actions=output:1,bucket=output:2
 * A bucket runs to the next "bucket=" outside parentheses; its leading
 * bucket_id:, weight:, watch_port: (or =) items are its parameters, and
 * the rest, after an optional "actions=", its action list.  Printing gives
 * what ovs-ofctl -O OpenFlow13 dump-groups prints (with selection_method
 * and fields as OpenFlow 1.5 prints them), which parses back the same.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "flow_syntax.h"
#include "group_syntax.h"
#include "util.h"

static const struct {
	const char *name;
	enum sl_group_type type;
} group_types[] = {
	{ "all", SL_GROUP_ALL },
	{ "select", SL_GROUP_SELECT },
	{ "indirect", SL_GROUP_INDIRECT },
	{ "ff", SL_GROUP_FF },
	{ "fast_failover", SL_GROUP_FF },
};

/* fields(...) names; the first of each bit is how it prints. */
static const struct {
	const char *name;
	uint32_t bit;
} hash_fields[] = {
	{ "in_port", SL_HF_IN_PORT },   { "eth_src", SL_HF_ETH_SRC },   { "dl_src", SL_HF_ETH_SRC },
	{ "eth_dst", SL_HF_ETH_DST },   { "dl_dst", SL_HF_ETH_DST },    { "eth_type", SL_HF_ETH_TYPE },
	{ "dl_type", SL_HF_ETH_TYPE },  { "vlan_tci", SL_HF_VLAN_TCI }, { "ip_src", SL_HF_IP_SRC },
	{ "nw_src", SL_HF_IP_SRC },     { "ipv6_src", SL_HF_IP_SRC },   { "ip_dst", SL_HF_IP_DST },
	{ "nw_dst", SL_HF_IP_DST },     { "ipv6_dst", SL_HF_IP_DST },   { "nw_proto", SL_HF_NW_PROTO },
	{ "ip_proto", SL_HF_NW_PROTO }, { "tcp_src", SL_HF_TP_SRC },    { "udp_src", SL_HF_TP_SRC },
	{ "sctp_src", SL_HF_TP_SRC },   { "tp_src", SL_HF_TP_SRC },     { "tcp_dst", SL_HF_TP_DST },
	{ "udp_dst", SL_HF_TP_DST },    { "sctp_dst", SL_HF_TP_DST },   { "tp_dst", SL_HF_TP_DST },
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static int __attribute__((format(printf, 4, 5)))
fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

static int
number(const char *what, const char *val, uint64_t max, uint64_t *out, char *err, size_t errlen)
{
	int rc = sl_parse_u64(val, 0, max, out);

	if (rc == -ERANGE)
		return fail(err, errlen, -ERANGE, "%s: %s out of range 0..%llu", what, val,
			    (unsigned long long)max);
	if (rc < 0)
		return fail(err, errlen, -EINVAL, "%s: bad number \"%s\"", what, val);
	return 0;
}

/* Length of the item at @s: up to a comma outside parentheses. */
static size_t
item_len(const char *s)
{
	int depth = 0;
	size_t n = 0;

	for (; s[n] != '\0'; n++) {
		if (s[n] == '(')
			depth++;
		else if (s[n] == ')' && depth > 0)
			depth--;
		else if (s[n] == ',' && depth == 0)
			break;
	}
	return n;
}

static bool
starts(const char *s, size_t n, const char *word)
{
	size_t l = strlen(word);

	return n >= l && strncasecmp(s, word, l) == 0;
}

static int
parse_fields(struct sl_group *g, const char *list, size_t n, char *err, size_t errlen)
{
	char name[64];

	while (n > 0) {
		size_t l = strcspn(list, ",");
		bool found = false;

		if (l > n)
			l = n;
		snprintf(name, sizeof(name), "%.*s", (int)(l < 63 ? l : 63), list);
		for (size_t i = 0; i < N_OF(hash_fields) && !found; i++)
			if (strcasecmp(name, hash_fields[i].name) == 0) {
				g->fields |= hash_fields[i].bit;
				found = true;
			}
		if (!found)
			return fail(err, errlen, -ENOTSUP, "fields: not supported: %s", name);
		list += l;
		n -= l;
		if (n > 0)
			list++, n--;
	}
	if (g->fields == 0)
		return fail(err, errlen, -EINVAL, "fields: empty list");
	return 0;
}

/* One bucket, @n bytes at @s. */
static int
parse_bucket(struct sl_group *g, const char *s, size_t n, sl_port_resolve_fn resolve, void *ctx,
	     char *err, size_t errlen)
{
	struct sl_bucket *b;
	char *acts, msg[256];
	uint64_t v;
	int rc;

	if (g->n_buckets == SL_GROUP_MAX_BUCKETS)
		return fail(err, errlen, -E2BIG, "more than %d buckets", SL_GROUP_MAX_BUCKETS);
	b = &g->b[g->n_buckets];
	b->weight = 1;
	for (;;) {
		size_t l = item_len(s) < n ? item_len(s) : n;
		const char *val = s + strcspn(s, ":=");
		char num[32];
		const char *what = NULL;

		if (starts(s, l, "weight:") || starts(s, l, "weight="))
			what = "weight";
		else if (starts(s, l, "watch_port:") || starts(s, l, "watch_port="))
			what = "watch_port";
		else if (starts(s, l, "bucket_id:") || starts(s, l, "bucket_id="))
			what = "bucket_id";
		else if (starts(s, l, "watch_group:") || starts(s, l, "watch_group="))
			return fail(err, errlen, -ENOTSUP, "bucket %u: not supported: watch_group",
				    g->n_buckets);
		if (what == NULL)
			break;
		snprintf(num, sizeof(num), "%.*s", (int)(s + l - val - 1), val + 1);
		if (strcmp(what, "watch_port") == 0) {
			uint16_t port = 0;

			if (num[0] >= '0' && num[0] <= '9') {
				rc = number(what, num, SL_OFPORT_MAX, &v, err, errlen);
				if (rc < 0)
					return rc;
				port = (uint16_t)v;
			} else if (resolve == NULL || resolve(ctx, num, &port) != 0) {
				return fail(err, errlen, -ENOENT, "watch_port: unknown port \"%s\"", num);
			}
			b->watch_port = port;
		} else {
			rc = number(what, num, strcmp(what, "weight") == 0 ? UINT16_MAX : UINT32_MAX,
				    &v, err, errlen);
			if (rc < 0)
				return rc;
			if (strcmp(what, "weight") == 0)
				b->weight = (uint16_t)v;
		}
		s += l;
		n -= l;
		if (n == 0)
			break;
		s++, n--;
	}
	if (starts(s, n, "actions="))
		s += 8, n -= 8;
	acts = strndup(s, n);
	if (acts == NULL)
		return fail(err, errlen, -ENOMEM, "out of memory");
	rc = sl_actions_parse(acts, resolve, ctx, &b->actions, msg, sizeof(msg));
	free(acts);
	if (rc < 0)
		return fail(err, errlen, rc, "bucket %u: %s", g->n_buckets, msg);
	g->n_buckets++;
	return 0;
}

/* Where the bucket starting at @s ends: at ",bucket=" outside parentheses, or the end. */
static size_t
bucket_len(const char *s)
{
	size_t n = 0;

	for (;;) {
		size_t l = item_len(s + n);

		if (s[n + l] == '\0')
			return n + l;
		if (starts(s + n + l + 1, strlen(s + n + l + 1), "bucket="))
			return n + l;
		n += l + 1;
	}
}

int
sl_group_parse(const char *text, enum sl_group_parse_mode mode, sl_port_resolve_fn resolve,
	       void *ctx, struct sl_group *g, char *err, size_t errlen)
{
	bool have_id = false, have_type = false;
	const char *s = text;
	uint64_t v;
	int rc;

	memset(g, 0, sizeof(*g));
	if (text == NULL)
		return fail(err, errlen, -EINVAL, "empty group");
	s += strspn(s, " \t");
	if (mode == SL_GROUP_PARSE_ID) {
		/* "", "all", "N" or "group_id=N" (or group_id=all) */
		if (*s == '\0' || strcasecmp(s, "all") == 0 || strcasecmp(s, "group_id=all") == 0) {
			g->id = SL_GROUP_ALL_ID;
			return 0;
		}
		if (strncasecmp(s, "group_id=", 9) == 0)
			s += 9;
		return number("group_id", s, SL_GROUP_ID_MAX, &v, err, errlen) < 0
			       ? -EINVAL
			       : (g->id = (uint32_t)v, 0);
	}
	while (*s != '\0') {
		size_t l = item_len(s);
		char item[256];

		if (starts(s, l, "bucket=")) {
			size_t bl = bucket_len(s);

			rc = parse_bucket(g, s + 7, bl - 7, resolve, ctx, err, errlen);
			if (rc < 0)
				return rc;
			s += bl;
		} else {
			if (l >= sizeof(item))
				return fail(err, errlen, -EINVAL, "a group field is longer than %zu bytes",
					    sizeof(item) - 1);
			snprintf(item, sizeof(item), "%.*s", (int)l, s);
			if (strncasecmp(item, "group_id=", 9) == 0) {
				rc = number("group_id", item + 9, SL_GROUP_ID_MAX, &v, err, errlen);
				if (rc < 0)
					return rc;
				g->id = (uint32_t)v;
				have_id = true;
			} else if (strncasecmp(item, "type=", 5) == 0) {
				for (size_t i = 0; i < N_OF(group_types) && !have_type; i++)
					if (strcasecmp(item + 5, group_types[i].name) == 0) {
						g->type = (uint8_t)group_types[i].type;
						have_type = true;
					}
				if (!have_type)
					return fail(err, errlen, -EINVAL,
						    "type: unknown group type \"%s\" (all, select, "
						    "indirect, fast_failover)",
						    item + 5);
			} else if (strcasecmp(item, "selection_method=hash") == 0) {
				g->hash_method = 1;
			} else if (strncasecmp(item, "selection_method=", 17) == 0) {
				return fail(err, errlen, -ENOTSUP,
					    "not supported: selection_method=%s (hash is)", item + 17);
			} else if (strncasecmp(item, "selection_method_param=", 23) == 0) {
				return fail(err, errlen, -ENOTSUP, "not supported: selection_method_param");
			} else if (strncasecmp(item, "fields(", 7) == 0 && item[l - 1] == ')') {
				rc = parse_fields(g, item + 7, l - 8, err, errlen);
				if (rc < 0)
					return rc;
			} else if (strncasecmp(item, "fields=", 7) == 0) {
				rc = parse_fields(g, item + 7, l - 7, err, errlen);
				if (rc < 0)
					return rc;
			} else if (strncasecmp(item, "command_bucket_id=", 18) == 0) {
				return fail(err, errlen, -ENOTSUP, "not supported: command_bucket_id");
			} else {
				return fail(err, errlen, -EINVAL, "unknown field \"%s\"", item);
			}
			s += l;
		}
		if (*s == ',')
			s++;
	}
	if (!have_id)
		return fail(err, errlen, -EINVAL, "missing group_id=");
	if (!have_type)
		return fail(err, errlen, -EINVAL, "missing type= (all, select, indirect, fast_failover)");
	if (g->fields != 0 && !g->hash_method)
		return fail(err, errlen, -EINVAL, "fields: needs selection_method=hash");
	return sl_group_check(g, err, errlen);
}

int
sl_group_format(const struct sl_group *g, char *buf, size_t len)
{
	static const char *const names[] = { [SL_GROUP_ALL] = "all",
					     [SL_GROUP_SELECT] = "select",
					     [SL_GROUP_INDIRECT] = "indirect",
					     [SL_GROUP_FF] = "ff" };
	char acts[2048];
	size_t pos = 0;

#define PUT(...)                                                                           \
	do {                                                                               \
		int n_ = snprintf(buf + (pos < len ? pos : len), pos < len ? len - pos : 0,  \
				  __VA_ARGS__);                                            \
		if (n_ > 0)                                                                \
			pos += (size_t)n_;                                                 \
	} while (0)

	PUT("group_id=%u,type=%s", g->id, g->type < 5 ? names[g->type] : "?");
	if (g->hash_method) {
		PUT(",selection_method=hash");
		if (g->fields) {
			uint32_t done = 0;
			bool first = true;

			PUT(",fields(");
			for (size_t i = 0; i < N_OF(hash_fields); i++)
				if ((g->fields & hash_fields[i].bit) && !(done & hash_fields[i].bit)) {
					PUT("%s%s", first ? "" : ",", hash_fields[i].name);
					done |= hash_fields[i].bit;
					first = false;
				}
			PUT(")");
		}
	}
	for (unsigned int i = 0; i < g->n_buckets; i++) {
		const struct sl_bucket *b = &g->b[i];

		PUT(",bucket=");
		if (b->weight != 1)
			PUT("weight:%u,", b->weight);
		if (b->watch_port != SL_WATCH_NONE)
			PUT("watch_port:%u,", b->watch_port);
		sl_actions_format(&b->actions, acts, sizeof(acts));
		PUT("actions=%s", acts);
	}
#undef PUT
	return (int)pos;
}
