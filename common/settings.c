/* SPDX-License-Identifier: BSD-3-Clause */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pmd.h"
#include "settings.h"
#include "verbs.h"
#include "util.h"

#define SL_SETTING_ENTRY(ID, key, TYPE, min, max, choices, check, def, flags, help) \
	{ key, SL_SET_##TYPE, min, max, choices, check, def, flags, help },

static const struct sl_setting port_settings[] = { SL_PORT_SETTINGS(SL_SETTING_ENTRY) };
static const struct sl_setting options[] = { SL_OPTIONS(SL_SETTING_ENTRY) };

#undef SL_SETTING_ENTRY

_Static_assert(SL_PS_COUNT <= SL_MAX_SETTINGS && SL_OPT_COUNT <= SL_MAX_SETTINGS,
	       "raise SL_MAX_SETTINGS");

/* qos=egress-policer needs its rate and burst (as Open vSwitch's rte_meter profile does). */
static int
qos_rules(const struct sl_values *vals, char *err, size_t errlen)
{
	const struct sl_settings *t = &sl_port_settings;

	if (sl_values_u64(t, vals, SL_PS_QOS) == SL_QOS_NONE)
		return 0;
	if (sl_values_u64(t, vals, SL_PS_CIR) == 0) {
		snprintf(err, errlen, "qos=%s: missing cir (bytes a second, cir=N)", vals->v[SL_PS_QOS]);
		return -EINVAL;
	}
	if (sl_values_u64(t, vals, SL_PS_CBS) == 0) {
		snprintf(err, errlen, "qos=%s: missing cbs (bytes, cbs=N)", vals->v[SL_PS_QOS]);
		return -EINVAL;
	}
	return 0;
}

/* A client port needs the server's path, and the path means a client port. */
static int
type_rules(const struct sl_values *vals, char *err, size_t errlen)
{
	bool client = sl_values_u64(&sl_port_settings, vals, SL_PS_TYPE) ==
		      SL_PORT_TYPE_VHOST_USER_CLIENT;
	bool path = vals->v[SL_PS_VHOST_SERVER_PATH][0] != '\0';

	if (client && !path) {
		snprintf(err, errlen, "type=dpdkvhostuserclient: missing vhost-server-path=PATH "
				      "(the socket QEMU serves)");
		return -EINVAL;
	}
	if (path && !client) {
		snprintf(err, errlen, "vhost-server-path is for type=dpdkvhostuserclient (type is %s)",
			 vals->v[SL_PS_TYPE]);
		return -EINVAL;
	}
	return 0;
}

static int
port_rules(const struct sl_values *vals, char *err, size_t errlen)
{
	int rc = qos_rules(vals, err, errlen);

	if (rc == 0)
		rc = type_rules(vals, err, errlen);
	return rc < 0 ? rc : sl_bond_rules(vals, err, errlen);
}

const struct sl_settings sl_port_settings = { "port setting", port_settings, SL_PS_COUNT,
					      port_rules };
const struct sl_settings sl_options = { "option", options, SL_OPT_COUNT, sl_pmd_options_check };

void
sl_values_init(struct sl_values *vals, const struct sl_settings *t)
{
	vals->given = 0;
	for (size_t i = 0; i < t->n; i++)
		snprintf(vals->v[i], sizeof(vals->v[i]), "%s", t->s[i].def);
}

int
sl_settings_find(const struct sl_settings *t, const char *key)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->s[i].key, key) == 0)
			return (int)i;
	return -1;
}

void
sl_setting_range(const struct sl_setting *s, char *buf, size_t len)
{
	switch (s->type) {
	case SL_SET_UINT:
		snprintf(buf, len, "%" PRIu64 "..%" PRIu64, s->min, s->max);
		break;
	case SL_SET_BOOL:
		snprintf(buf, len, "true|false");
		break;
	case SL_SET_ENUM:
		snprintf(buf, len, "%s", s->choices);
		break;
	case SL_SET_TEXT:
		snprintf(buf, len, "TEXT");
		break;
	}
}

/* Index of @value among "a|b|c", or -1. */
static int
choice_index(const char *choices, const char *value)
{
	size_t vlen = strlen(value);
	int i = 0;

	for (const char *c = choices; *c != '\0'; i++) {
		size_t n = strcspn(c, "|");

		if (n == vlen && strncmp(c, value, n) == 0)
			return i;
		c += n + (c[n] == '|');
	}
	return -1;
}

int
sl_setting_check(const struct sl_settings *t, int id, const char *value, char *canon,
		 size_t canonlen, char *err, size_t errlen)
{
	const struct sl_setting *s = &t->s[id];
	char range[128];
	uint64_t v;

	sl_setting_range(s, range, sizeof(range));
	switch (s->type) {
	case SL_SET_UINT:
		/* Decimal only: "010" is ten, as a person reads it, not eight. */
		if (value[0] == '\0' || strspn(value, "0123456789") != strlen(value) ||
		    strlen(value) > 20 || (v = strtoull(value, NULL, 10)) < s->min || v > s->max)
			return sl_set_err(err, errlen, -ERANGE, "%s: \"%s\" is not a number in %s", s->key,
				    value, range);
		snprintf(canon, canonlen, "%" PRIu64, v);
		return 0;
	case SL_SET_BOOL:
		if (strcmp(value, "true") == 0 || strcmp(value, "false") == 0) {
			snprintf(canon, canonlen, "%s", value);
			return 0;
		}
		return sl_set_err(err, errlen, -EINVAL, "%s: \"%s\" is not true or false", s->key, value);
	case SL_SET_ENUM:
		if (choice_index(s->choices, value) >= 0) {
			snprintf(canon, canonlen, "%s", value);
			return 0;
		}
		return sl_set_err(err, errlen, -EINVAL, "%s: \"%s\" is not one of %s", s->key, value,
			    range);
	case SL_SET_TEXT: {
		char why[256] = "bad value";

		if (s->check(value, canon, canonlen, why, sizeof(why)) == 0)
			return 0;
		return sl_set_err(err, errlen, -EINVAL, "%s: \"%s\": %s", s->key, value, why);
	}
	}
	return -EINVAL;
}

int
sl_values_check_all(const struct sl_settings *t, const struct sl_values *vals, char *err,
		    size_t errlen)
{
	return t->check_all != NULL ? t->check_all(vals, err, errlen) : 0;
}

static void
known_keys(const struct sl_settings *t, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < t->n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", t->s[i].key);
}

int
sl_values_set_kv(const struct sl_settings *t, struct sl_values *vals, const char *kv, char *err,
		 size_t errlen)
{
	const char *eq = strchr(kv, '=');
	char key[64], canon[SL_VALUE_MAX], known[512], shown[96], clean[SL_VALUE_MAX * 4];
	size_t klen;
	int id, rc;

	sl_printable(kv, shown, sizeof(shown));
	if (eq == NULL || eq == kv)
		return sl_set_err(err, errlen, -EINVAL, "bad %s \"%s\": expected KEY=VALUE", t->what,
			    shown);
	klen = (size_t)(eq - kv);
	if (klen >= sizeof(key))
		return sl_set_err(err, errlen, -EINVAL, "unknown %s \"%s\"", t->what, shown);
	memcpy(key, kv, klen);
	key[klen] = '\0';
	id = sl_settings_find(t, key);
	if (id < 0) {
		known_keys(t, known, sizeof(known));
		sl_printable(key, shown, sizeof(shown));
		return sl_set_err(err, errlen, -EINVAL, "unknown %s \"%s\" (known: %s)", t->what, shown,
			    known);
	}
	if (strlen(eq + 1) >= SL_VALUE_MAX)
		return sl_set_err(err, errlen, -EINVAL, "%s: value longer than %d bytes", key,
			    SL_VALUE_MAX - 1);
	sl_printable(eq + 1, clean, sizeof(clean));
	rc = sl_setting_check(t, id, clean, canon, sizeof(canon), err, errlen);
	if (rc < 0)
		return rc;
	if (strcmp(clean, eq + 1) != 0) /* it held bytes we escaped: never valid */
		return sl_set_err(err, errlen, -EINVAL, "%s: bad value \"%s\"", key, clean);
	snprintf(vals->v[id], sizeof(vals->v[id]), "%s", canon);
	vals->given |= UINT64_C(1) << id;
	return id;
}

uint64_t
sl_values_u64(const struct sl_settings *t, const struct sl_values *vals, int id)
{
	const struct sl_setting *s = &t->s[id];
	uint64_t v = 0;
	int i;

	switch (s->type) {
	case SL_SET_UINT:
		v = strtoull(vals->v[id], NULL, 10); /* canonical: decimal */
		return v;
	case SL_SET_BOOL:
		return strcmp(vals->v[id], "true") == 0;
	case SL_SET_ENUM:
		i = choice_index(s->choices, vals->v[id]);
		return i < 0 ? 0 : (uint64_t)i;
	case SL_SET_TEXT:
		return 0;
	}
	return 0;
}

void
sl_values_kv(const struct sl_settings *t, const struct sl_values *vals, int id, char *buf,
	     size_t len)
{
	snprintf(buf, len, "%s=%s", t->s[id].key, vals->v[id]);
}

int
sl_port_name_check(const char *name, char *err, size_t errlen)
{
	/* Words the flow syntax gives a meaning where a port may stand. */
	static const char *const reserved[] = { "LOCAL", "NORMAL", "FLOOD", "ALL", "IN_PORT",
						"CONTROLLER", "NONE", "ANY", "DROP", "TABLE" };
	char shown[96];

	sl_printable(name, shown, sizeof(shown));
	if (name[0] == '\0')
		return sl_set_err(err, errlen, -EINVAL, "empty port name");
	if (strlen(name) >= SL_PORT_NAME_LEN)
		return sl_set_err(err, errlen, -EINVAL, "port name \"%s\" is longer than %d characters",
			    shown, SL_PORT_NAME_LEN - 1);
	if (!isalpha((unsigned char)name[0]))
		return sl_set_err(err, errlen, -EINVAL,
			    "bad port name \"%s\": it must start with a letter (a leading digit "
			    "reads as a port number in flows)",
			    shown);
	for (const char *c = name; *c; c++)
		if (!isalnum((unsigned char)*c) && strchr("_.-", *c) == NULL)
			return sl_set_err(err, errlen, -EINVAL,
				    "bad port name \"%s\": use letters, digits, '_', '.' or '-'",
				    shown);
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcasecmp(name, reserved[i]) == 0)
			return sl_set_err(err, errlen, -EINVAL,
				    "bad port name \"%s\": reserved word in flow syntax", shown);
	return 0;
}

int
sl_port_ofport_check(const char *name, uint32_t ofport, char *err, size_t errlen)
{
	if (strcmp(name, SL_BRIDGE_NAME) == 0) {
		if (ofport != 0 && ofport != SL_OFPP_LOCAL)
			return sl_set_err(err, errlen, -ERANGE,
					  "port \"%s\" is the bridge's local port: its ofport is "
					  "LOCAL (%u), not %u",
					  name, SL_OFPP_LOCAL, ofport);
		return SL_OFPP_LOCAL;
	}
	if (ofport == SL_OFPP_LOCAL)
		return sl_set_err(err, errlen, -ERANGE,
				  "ofport LOCAL is the bridge's own port: only the port named "
				  "\"%s\" has it",
				  SL_BRIDGE_NAME);
	if (ofport > SL_OFPORT_MAX)
		return sl_set_err(err, errlen, -ERANGE, "ofport %u out of range 1..%u", ofport,
				  SL_OFPORT_MAX);
	return (int)ofport;
}

int
sl_devargs_check(const char *devargs, char *err, size_t errlen)
{
	char shown[96];

	sl_printable(devargs, shown, sizeof(shown));
	if (devargs[0] == '\0')
		return sl_set_err(err, errlen, -EINVAL, "empty devargs");
	if (strlen(devargs) >= SL_DEVARGS_MAX)
		return sl_set_err(err, errlen, -EINVAL, "devargs \"%s\" longer than %d bytes", shown,
			    SL_DEVARGS_MAX - 1);
	for (const char *c = devargs; *c; c++)
		if (isspace((unsigned char)*c) || !isprint((unsigned char)*c))
			return sl_set_err(err, errlen, -EINVAL,
				    "devargs contain white space or control characters: \"%s\"",
				    shown);
	return 0;
}

int
sl_vhost_path_check(const char *value, char *canon, size_t canonlen, char *err, size_t errlen)
{
	if (value[0] == '\0') {
		snprintf(canon, canonlen, "%s", "");
		return 0;
	}
	if (value[0] != '/') {
		snprintf(err, errlen, "\"%.200s\": give an absolute path", value);
		return -EINVAL;
	}
	if (strlen(value) > SL_SOCKET_PATH_MAX) {
		snprintf(err, errlen, "\"%.200s\": longer than a socket address holds (%d bytes)",
			 value, SL_SOCKET_PATH_MAX);
		return -ENAMETOOLONG;
	}
	for (const char *c = value; *c; c++)
		if (*c == ',' || isspace((unsigned char)*c) || iscntrl((unsigned char)*c)) {
			snprintf(err, errlen, "\"%.200s\": no commas or white space in the path",
				 value);
			return -EINVAL;
		}
	snprintf(canon, canonlen, "%s", value);
	return 0;
}

int
sl_port_type_devargs(const char *name, const struct sl_values *vals, const char *rundir,
		     char *out, size_t len, char *err, size_t errlen)
{
	uint64_t type = sl_values_u64(&sl_port_settings, vals, SL_PS_TYPE);
	char path[SL_DEVARGS_MAX], canon[SL_VALUE_MAX];
	int n;

	out[0] = '\0';
	if (type == SL_PORT_TYPE_DPDK)
		return 0;
	if (type == SL_PORT_TYPE_BOND)
		return sl_bond_devargs(name, out, len, err, errlen);
	if (type == SL_PORT_TYPE_VHOST_USER) {
		snprintf(path, sizeof(path), "%s/%s", rundir, name);
		/* RUNDIR/NAME must itself be a path a socket can have. */
		if (sl_vhost_path_check(path, canon, sizeof(canon), err, errlen) < 0)
			return -ENAMETOOLONG;
		n = snprintf(out, len, "net_vhost_%s,iface=%s,queues=%d", name, path,
			     SL_VHOST_MAX_QUEUES);
	} else {
		n = snprintf(out, len, "net_vhost_%s,iface=%s,client=1,queues=%d", name,
			     vals->v[SL_PS_VHOST_SERVER_PATH], SL_VHOST_MAX_QUEUES);
	}
	if (n < 0 || (size_t)n >= len) {
		snprintf(err, errlen, "devargs for type=%s too long", vals->v[SL_PS_TYPE]);
		return -ENAMETOOLONG;
	}
	return 0;
}

int
sl_vhost_socket(const char *devargs, char *path, size_t len, bool *client)
{
	const char *a = strchr(devargs, ',');
	bool found = false;

	if (strncmp(devargs, "net_vhost", 9) != 0 && strncmp(devargs, "eth_vhost", 9) != 0)
		return 0;
	*client = false;
	while (a != NULL) {
		const char *kv = a + 1;
		size_t n;

		a = strchr(kv, ',');
		n = a != NULL ? (size_t)(a - kv) : strlen(kv);
		if (n > 6 && strncmp(kv, "iface=", 6) == 0) {
			snprintf(path, len, "%.*s", (int)(n - 6), kv + 6);
			found = true;
		} else if (n == 8 && strncmp(kv, "client=1", 8) == 0) {
			*client = true;
		}
	}
	return found ? 1 : 0;
}
