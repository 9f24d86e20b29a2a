/* SPDX-License-Identifier: BSD-3-Clause */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "policy.h"
#include "util.h"

/* How each allowed driver's arguments reach the host. */
enum arg_kind {
	ARG_PATH = 1, /* a file or socket the primary opens or creates */
	ARG_IFACE,    /* an existing host interface */
};

struct arg_rule {
	const char *key;
	enum arg_kind kind;
};

struct driver_rule {
	const char *prefix; /* vdev names start with the driver's name */
	bool needs_path;    /* without its path argument it would use a default outside */
	const char *path_key;
	struct arg_rule args[6];
};

static const struct driver_rule drivers[] = {
	{ "net_ring", false, NULL, { { NULL, 0 } } },
	{ "net_null", false, NULL, { { NULL, 0 } } },
	{ "net_pcap", false, NULL,
	  { { "rx_pcap", ARG_PATH }, { "tx_pcap", ARG_PATH }, { "iface", ARG_IFACE },
	    { "rx_iface", ARG_IFACE }, { "rx_iface_in", ARG_IFACE }, { "tx_iface", ARG_IFACE } } },
	{ "net_tap", false, NULL, { { "remote", ARG_IFACE } } }, /* iface= makes a new tap */
	{ "net_af_packet", false, NULL, { { "iface", ARG_IFACE } } },
	{ "net_vhost", true, "iface", { { "iface", ARG_PATH } } },
	{ "net_memif", true, "socket", { { "socket", ARG_PATH } } },
};

static int __attribute__((format(printf, 3, 4)))
deny(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EPERM;
}

static bool
looks_like_pci(const char *name)
{
	unsigned int a, b, c, f;
	char end;

	return sscanf(name, "%x:%x:%x.%x%c", &a, &b, &c, &f, &end) == 4 ||
	       sscanf(name, "%x:%x.%x%c", &b, &c, &f, &end) == 3;
}

static bool
listed(const char *const *list, unsigned int n, const char *s)
{
	for (unsigned int i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

/* Is @real (a resolved path) @dir itself or below it? */
static bool
within(const char *real, const char *dir)
{
	char rdir[PATH_MAX];
	size_t n;

	if (realpath(dir, rdir) == NULL)
		return false;
	n = strlen(rdir);
	return strncmp(real, rdir, n) == 0 && (real[n] == '/' || real[n] == '\0' ||
					       (n == 1 && rdir[0] == '/'));
}

/* Resolve @path (or, if it does not exist yet, its directory) through every symlink. */
static int
resolve(const char *path, char *real)
{
	char copy[PATH_MAX], *slash;

	if (realpath(path, real) != NULL)
		return 0;
	if (errno != ENOENT || strlen(path) >= sizeof(copy))
		return -errno;
	snprintf(copy, sizeof(copy), "%s", path);
	slash = strrchr(copy, '/');
	if (slash == NULL)
		return -EINVAL; /* relative to the primary's cwd: never meant */
	*slash = '\0';
	if (realpath(copy[0] ? copy : "/", real) == NULL)
		return -errno;
	if (strlen(real) + strlen(slash + 1) + 2 > PATH_MAX)
		return -ENAMETOOLONG;
	strcat(real, "/");
	strcat(real, slash + 1);
	return 0;
}

static int
check_path(const struct sl_policy *pol, const char *key, const char *path, char *err,
	   size_t errlen)
{
	char real[PATH_MAX], shown[128];

	sl_printable(path, shown, sizeof(shown));
	if (path[0] != '/')
		return deny(err, errlen, "%s=%s: give an absolute path", key, shown);
	if (resolve(path, real) < 0)
		return deny(err, errlen, "%s=%s: %s", key, shown, strerror(errno));
	if (within(real, pol->rundir))
		return 0;
	for (unsigned int i = 0; i < pol->n_data_dirs; i++)
		if (within(real, pol->data_dirs[i]))
			return 0;
	return deny(err, errlen,
		    "%s=%s: not allowed: files and sockets must be in %s%s (sluiced --data-dir)",
		    key, shown, pol->rundir, pol->n_data_dirs ? " or a data directory" : "");
}

static int
check_arg(const struct sl_policy *pol, const struct driver_rule *dr, const char *kv, char *err,
	  size_t errlen)
{
	size_t klen = strcspn(kv, "=");
	const char *val = kv[klen] == '=' ? kv + klen + 1 : "";
	char shown[96];

	for (size_t i = 0; i < sizeof(dr->args) / sizeof(dr->args[0]) && dr->args[i].key; i++) {
		const struct arg_rule *a = &dr->args[i];

		if (strlen(a->key) != klen || strncmp(kv, a->key, klen) != 0)
			continue;
		if (a->kind == ARG_PATH)
			return check_path(pol, a->key, val, err, errlen);
		if (!listed(pol->ifaces, pol->n_ifaces, val))
			return deny(err, errlen,
				    "%s=%s: host interface not allowed (sluiced --allow-iface)",
				    a->key, sl_printable(val, shown, sizeof(shown)));
	}
	return 0;
}

int
sl_policy_check_devargs(const struct sl_policy *pol, const char *devargs, char *err,
			size_t errlen)
{
	char copy[SL_DEVARGS_MAX], *tok, *save = NULL, shown[96];
	const struct driver_rule *dr = NULL;
	bool has_path = false;
	int rc = 0;

	if (!pol->confined)
		return 0;
	snprintf(copy, sizeof(copy), "%s", devargs);
	tok = strtok_r(copy, ",", &save);
	if (tok == NULL)
		return deny(err, errlen, "empty devargs");
	sl_printable(tok, shown, sizeof(shown));
	if (looks_like_pci(tok))
		return listed(pol->pci, pol->n_pci, tok)
			       ? 0
			       : deny(err, errlen, "PCI device %s not allowed (sluiced --allow-pci)",
				      shown);
	for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
		if (strncmp(tok, drivers[i].prefix, strlen(drivers[i].prefix)) == 0)
			dr = &drivers[i];
	if (dr == NULL)
		return deny(err, errlen,
			    "driver of \"%s\" not allowed for clients (allowed: net_ring, net_null, "
			    "net_pcap, net_tap, net_af_packet, net_vhost, net_memif)",
			    shown);
	while (rc == 0 && (tok = strtok_r(NULL, ",", &save)) != NULL) {
		rc = check_arg(pol, dr, tok, err, errlen);
		if (dr->path_key != NULL && strncmp(tok, dr->path_key, strlen(dr->path_key)) == 0 &&
		    tok[strlen(dr->path_key)] == '=')
			has_path = true;
	}
	if (rc == 0 && dr->needs_path && !has_path)
		return deny(err, errlen, "%s needs %s=PATH in %s (its default is elsewhere)",
			    dr->prefix, dr->path_key, pol->rundir);
	return rc;
}
