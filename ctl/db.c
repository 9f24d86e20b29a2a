/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluiced's config DB: in-memory model, text file load and atomic save.
 * Flows are kept parsed (struct sl_flow in an sl_ftable) so that add, delete
 * and replace follow exactly the primary's semantics; the file holds their
 * canonical text.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "db.h"
#include "flow_syntax.h"
#include "util.h"

static int
set_err(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

int
sl_db_init(struct sl_db *db, const char *path)
{
	memset(db, 0, sizeof(*db));
	sl_ftable_init(&db->flows);
	db->path = sl_strdup(path);
	return db->path == NULL ? -ENOMEM : 0;
}

static void
port_free(struct sl_db_port *p)
{
	size_t i;

	free(p->devargs);
	for (i = 0; i < p->n_extra; i++)
		free(p->extra[i]);
	free(p->extra);
	memset(p, 0, sizeof(*p));
}

void
sl_db_fini(struct sl_db *db)
{
	size_t i;

	for (i = 0; i < db->n_ports; i++)
		port_free(&db->ports[i]);
	free(db->ports);
	for (i = 0; i < db->n_options; i++) {
		free(db->options[i].key);
		free(db->options[i].value);
	}
	free(db->options);
	sl_ftable_fini(&db->flows);
	free(db->path);
	memset(db, 0, sizeof(*db));
}

struct sl_db_port *
sl_db_port_find(const struct sl_db *db, const char *name)
{
	size_t i;

	for (i = 0; i < db->n_ports; i++)
		if (strcmp(db->ports[i].name, name) == 0)
			return &db->ports[i];
	return NULL;
}

struct sl_db_port *
sl_db_port_by_ofport(const struct sl_db *db, uint32_t ofport)
{
	size_t i;

	for (i = 0; i < db->n_ports; i++)
		if (db->ports[i].ofport == ofport)
			return &db->ports[i];
	return NULL;
}

void
sl_db_devname(const char *devargs, char *buf, size_t len)
{
	size_t n = strcspn(devargs, ",");

	if (n >= len)
		n = len - 1;
	memcpy(buf, devargs, n);
	buf[n] = '\0';
}

struct sl_db_port *
sl_db_port_by_device(const struct sl_db *db, const char *devargs)
{
	char want[128], have[128];
	size_t i;

	sl_db_devname(devargs, want, sizeof(want));
	for (i = 0; i < db->n_ports; i++) {
		sl_db_devname(db->ports[i].devargs, have, sizeof(have));
		if (strcmp(want, have) == 0)
			return &db->ports[i];
	}
	return NULL;
}

uint32_t
sl_db_free_ofport(const struct sl_db *db)
{
	uint32_t p;

	for (p = 1; p <= SL_OFPORT_MAX; p++)
		if (sl_db_port_by_ofport(db, p) == NULL)
			return p;
	return 0;
}

static bool
is_ident(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && strchr("_.:-", *s) == NULL)
			return false;
	return true;
}

int
sl_db_check_name(const char *name, char *err, size_t errlen)
{
	/* Flow syntax takes a port by number or by name, and these words mean something else there. */
	static const char *const reserved[] = { "LOCAL", "NORMAL", "FLOOD", "ALL",  "IN_PORT",
						"CONTROLLER", "NONE", "ANY", "DROP" };
	size_t i;

	if (strlen(name) >= SL_PORT_NAME_LEN)
		return set_err(err, errlen, -EINVAL, "port name \"%s\" is longer than %d characters",
			       name, SL_PORT_NAME_LEN - 1);
	if (!is_ident(name))
		return set_err(err, errlen, -EINVAL,
			       "bad port name \"%s\": use letters, digits, '_', '.', ':' or '-'", name);
	/* Flow syntax reads anything that starts with a digit as a number ("0x1f", "2a"). */
	if (isdigit((unsigned char)name[0]))
		return set_err(err, errlen, -EINVAL,
			       "bad port name \"%s\": a leading digit would be taken for an ofport",
			       name);
	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcasecmp(name, reserved[i]) == 0)
			return set_err(err, errlen, -EINVAL,
				       "bad port name \"%s\": reserved word in flow syntax", name);
	return 0;
}

static int
check_u32(const char *what, const char *val, uint64_t min, uint64_t max, uint32_t *out, char *err,
	  size_t errlen)
{
	uint64_t v;

	if (sl_parse_u64(val, min, max, &v) < 0)
		return set_err(err, errlen, -EINVAL, "%s: \"%s\" is not a number in %llu..%llu",
			       what, val, (unsigned long long)min, (unsigned long long)max);
	*out = (uint32_t)v;
	return 0;
}

int
sl_db_port_check(const struct sl_db *db, struct sl_db_port *p, char *err, size_t errlen)
{
	struct sl_db_port *o;
	int rc;

	rc = sl_db_check_name(p->name, err, errlen);
	if (rc < 0)
		return rc;
	if (sl_db_port_find(db, p->name) != NULL)
		return set_err(err, errlen, -EEXIST, "port \"%s\" already exists", p->name);
	if (p->devargs == NULL || p->devargs[0] == '\0')
		return set_err(err, errlen, -EINVAL, "port \"%s\": empty devargs", p->name);
	if (strpbrk(p->devargs, " \t\r\n") != NULL)
		return set_err(err, errlen, -EINVAL, "port \"%s\": devargs contain white space: \"%s\"",
			       p->name, p->devargs);
	o = sl_db_port_by_device(db, p->devargs);
	if (o != NULL) {
		char dev[128];

		sl_db_devname(p->devargs, dev, sizeof(dev));
		return set_err(err, errlen, -EEXIST, "device \"%s\" is already port \"%s\"", dev, o->name);
	}
	if (p->ofport == 0)
		p->ofport = sl_db_free_ofport(db);
	if (p->ofport == 0 || p->ofport > SL_OFPORT_MAX)
		return set_err(err, errlen, -ERANGE, "ofport %u out of range 1..%u", p->ofport,
			       SL_OFPORT_MAX);
	o = sl_db_port_by_ofport(db, p->ofport);
	if (o != NULL)
		return set_err(err, errlen, -EEXIST, "ofport %u is already port \"%s\"", p->ofport, o->name);
	if (p->n_rxq == 0)
		p->n_rxq = 1;
	if (p->n_rxq > SL_NRXQ_MAX)
		return set_err(err, errlen, -ERANGE, "n_rxq %u out of range 1..%d", p->n_rxq, SL_NRXQ_MAX);
	if (p->mtu == 0)
		p->mtu = SL_DEFAULT_MTU;
	if (p->mtu < SL_MTU_MIN || p->mtu > SL_MTU_MAX)
		return set_err(err, errlen, -ERANGE, "mtu %u out of range %d..%d", p->mtu, SL_MTU_MIN,
			       SL_MTU_MAX);
	return 0;
}

static int
port_copy(struct sl_db_port *dst, const struct sl_db_port *src)
{
	size_t i;

	*dst = *src;
	dst->devargs = sl_strdup(src->devargs);
	dst->extra = src->n_extra ? calloc(src->n_extra, sizeof(char *)) : NULL;
	if (dst->devargs == NULL || (src->n_extra && dst->extra == NULL))
		goto nomem;
	for (i = 0; i < src->n_extra; i++)
		if ((dst->extra[i] = sl_strdup(src->extra[i])) == NULL)
			goto nomem;
	return 0;
nomem:
	dst->n_extra = dst->extra ? src->n_extra : 0;
	port_free(dst);
	return -ENOMEM;
}

int
sl_db_port_add(struct sl_db *db, const struct sl_db_port *p)
{
	struct sl_db_port *ports;

	ports = realloc(db->ports, (db->n_ports + 1) * sizeof(*ports));
	if (ports == NULL)
		return -ENOMEM;
	db->ports = ports;
	if (port_copy(&db->ports[db->n_ports], p) < 0)
		return -ENOMEM;
	db->n_ports++;
	return 0;
}

int
sl_db_port_del(struct sl_db *db, const char *name)
{
	struct sl_db_port *p = sl_db_port_find(db, name);
	size_t i;

	if (p == NULL)
		return -ENOENT;
	i = (size_t)(p - db->ports);
	port_free(p);
	memmove(&db->ports[i], &db->ports[i + 1], (db->n_ports - i - 1) * sizeof(*p));
	db->n_ports--;
	return 0;
}

/* Store "KEY=VALUE" among the extras, replacing an earlier value of KEY. */
static int
extra_set(struct sl_db_port *p, const char *kv, size_t keylen)
{
	char *copy = sl_strdup(kv), **ex;
	size_t i;

	if (copy == NULL)
		return -ENOMEM;
	for (i = 0; i < p->n_extra; i++)
		if (strncmp(p->extra[i], kv, keylen + 1) == 0) {
			free(p->extra[i]);
			p->extra[i] = copy;
			return 0;
		}
	ex = realloc(p->extra, (p->n_extra + 1) * sizeof(*ex));
	if (ex == NULL) {
		free(copy);
		return -ENOMEM;
	}
	p->extra = ex;
	p->extra[p->n_extra++] = copy;
	return 0;
}

int
sl_db_port_setting(struct sl_db_port *p, const char *kv, bool apply, char *err, size_t errlen)
{
	const char *eq = strchr(kv, '=');
	char key[64];
	uint32_t v = 0;
	size_t klen;
	int rc;

	if (eq == NULL || eq == kv || eq[1] == '\0')
		return set_err(err, errlen, -EINVAL, "bad setting \"%s\": expected KEY=VALUE", kv);
	klen = (size_t)(eq - kv);
	if (klen >= sizeof(key))
		return set_err(err, errlen, -EINVAL, "bad setting \"%s\": key too long", kv);
	memcpy(key, kv, klen);
	key[klen] = '\0';
	if (strcmp(key, "mtu") == 0) {
		rc = check_u32("mtu", eq + 1, SL_MTU_MIN, SL_MTU_MAX, &v, err, errlen);
		if (rc == 0 && apply)
			p->mtu = v;
		return rc;
	}
	if (strcmp(key, "n_rxq") == 0) {
		rc = check_u32("n_rxq", eq + 1, 1, SL_NRXQ_MAX, &v, err, errlen);
		if (rc == 0 && apply)
			p->n_rxq = v;
		return rc;
	}
	if (strcmp(key, "ofport") == 0 || strcmp(key, "name") == 0 || strcmp(key, "devargs") == 0)
		return set_err(err, errlen, -EINVAL,
			       "%s of a port cannot change: delete and add the port again", key);
	if (!is_ident(key) || strpbrk(eq + 1, " \t\r\n") != NULL)
		return set_err(err, errlen, -EINVAL, "bad setting \"%s\"", kv);
	return apply ? extra_set(p, kv, klen) : 0;
}

int
sl_db_check_option(const char *key, const char *value, char *err, size_t errlen)
{
	if (!is_ident(key))
		return set_err(err, errlen, -EINVAL, "bad option name \"%s\"", key);
	/* The loader drops trailing blanks: such a value would not come back. */
	if (value[0] == '\0' || strpbrk(value, "\r\n") != NULL ||
	    strchr(" \t", value[strlen(value) - 1]) != NULL)
		return set_err(err, errlen, -EINVAL, "option %s: bad value \"%s\"", key, value);
	return 0;
}

int
sl_db_option_set(struct sl_db *db, const char *key, const char *value)
{
	struct sl_db_option *o;
	char *v = sl_strdup(value), *k;
	size_t i;

	if (v == NULL)
		return -ENOMEM;
	for (i = 0; i < db->n_options; i++)
		if (strcmp(db->options[i].key, key) == 0) {
			free(db->options[i].value);
			db->options[i].value = v;
			return 0;
		}
	k = sl_strdup(key);
	o = realloc(db->options, (db->n_options + 1) * sizeof(*o));
	if (k == NULL || o == NULL) {
		free(k);
		free(v);
		if (o != NULL)
			db->options = o;
		return -ENOMEM;
	}
	db->options = o;
	db->options[db->n_options].key = k;
	db->options[db->n_options].value = v;
	db->n_options++;
	return 0;
}

const char *
sl_db_option_get(const struct sl_db *db, const char *key)
{
	size_t i;

	for (i = 0; i < db->n_options; i++)
		if (strcmp(db->options[i].key, key) == 0)
			return db->options[i].value;
	return NULL;
}

int
sl_db_resolve_port(void *ctx, const char *name, uint16_t *ofport)
{
	const struct sl_db_port *p = sl_db_port_find(ctx, name);

	if (p == NULL)
		return -ENOENT;
	*ofport = (uint16_t)p->ofport;
	return 0;
}

void
sl_db_flow_text(const struct sl_flow *f, char *buf, size_t len)
{
	sl_flow_format(f, buf, len);
}

/* ---- loading ---- */

/* "port NAME ofport=N n_rxq=N mtu=N [KEY=VALUE...] devargs=REST" */
static int
load_port(struct sl_db *db, char *rest, char *err, size_t errlen)
{
	struct sl_db_port p = { 0 };
	char *tok, *save = NULL, *devargs;
	int rc = 0;

	devargs = strstr(rest, " devargs=");
	if (devargs == NULL)
		return set_err(err, errlen, -EINVAL, "port line without devargs=");
	*devargs = '\0';
	p.devargs = devargs + strlen(" devargs=");
	tok = strtok_r(rest, " ", &save);
	if (tok == NULL || strlen(tok) >= sizeof(p.name))
		return set_err(err, errlen, -EINVAL, "port line without a valid name");
	strcpy(p.name, tok);
	while (rc == 0 && (tok = strtok_r(NULL, " ", &save)) != NULL) {
		if (strncmp(tok, "ofport=", 7) == 0)
			rc = check_u32("ofport", tok + 7, 1, SL_OFPORT_MAX, &p.ofport, err, errlen);
		else
			rc = sl_db_port_setting(&p, tok, true, err, errlen);
	}
	if (rc == 0 && p.ofport == 0)
		rc = set_err(err, errlen, -EINVAL, "port \"%s\" without ofport=", p.name);
	if (rc == 0)
		rc = sl_db_port_check(db, &p, err, errlen);
	if (rc == 0)
		rc = sl_db_port_add(db, &p);
	p.devargs = NULL; /* points into the line */
	port_free(&p);
	return rc;
}

static int
load_flow(struct sl_db *db, const char *text, char *err, size_t errlen)
{
	struct sl_flow f;
	int rc;

	memset(&f, 0, sizeof(f));
	rc = sl_flow_parse(text, SL_PARSE_FLOW, sl_db_resolve_port, db, &f, err, errlen);
	if (rc < 0)
		return rc;
	rc = sl_ftable_add(&db->flows, &f);
	if (rc == 1)
		return set_err(err, errlen, -EEXIST, "duplicate flow (same match and priority)");
	return rc;
}

static int
load_option(struct sl_db *db, char *kv, char *err, size_t errlen)
{
	char *eq = strchr(kv, '=');
	int rc;

	if (eq == NULL)
		return set_err(err, errlen, -EINVAL, "option line without KEY=VALUE");
	*eq = '\0';
	rc = sl_db_check_option(kv, eq + 1, err, errlen);
	if (rc == 0 && sl_db_option_get(db, kv) != NULL)
		rc = set_err(err, errlen, -EEXIST, "option %s given twice", kv);
	return rc ? rc : sl_db_option_set(db, kv, eq + 1);
}

static int
load_line(struct sl_db *db, char *line, bool *seen_header, char *err, size_t errlen)
{
	int version;

	if (line[0] == '\0' || line[0] == '#')
		return 0;
	if (!*seen_header) {
		if (sscanf(line, "sluice-db %d", &version) != 1)
			return set_err(err, errlen, -EINVAL, "not a sluice DB (no \"sluice-db %d\" header)",
				       SL_DB_VERSION);
		if (version != SL_DB_VERSION)
			return set_err(err, errlen, -EINVAL, "DB version %d, this sluiced reads %d",
				       version, SL_DB_VERSION);
		*seen_header = true;
		return 0;
	}
	if (strncmp(line, "port ", 5) == 0)
		return load_port(db, line + 5, err, errlen);
	if (strncmp(line, "flow ", 5) == 0)
		return load_flow(db, line + 5, err, errlen);
	if (strncmp(line, "option ", 7) == 0)
		return load_option(db, line + 7, err, errlen);
	return set_err(err, errlen, -EINVAL, "unknown line \"%.40s\"", line);
}

int
sl_db_load(struct sl_db *db, const char *path, char *err, size_t errlen)
{
	char *line = NULL, msg[512];
	bool seen_header = false;
	unsigned int lineno = 0;
	size_t cap = 0;
	ssize_t len;
	FILE *f;
	int rc;

	rc = sl_db_init(db, path);
	if (rc < 0)
		return set_err(err, errlen, rc, "out of memory");
	f = fopen(path, "r");
	if (f == NULL) {
		if (errno == ENOENT)
			return 0;
		rc = -errno;
		sl_db_fini(db);
		return set_err(err, errlen, rc, "cannot read DB %s: %s", path, strerror(-rc));
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' '))
			line[--len] = '\0';
		rc = load_line(db, line, &seen_header, msg, sizeof(msg));
		if (rc < 0) {
			set_err(err, errlen, rc, "%s:%u: %s", path, lineno, msg);
			break;
		}
	}
	if (rc == 0 && ferror(f))
		rc = set_err(err, errlen, -EIO, "cannot read DB %s: %s", path, strerror(errno));
	free(line);
	fclose(f);
	if (rc < 0)
		sl_db_fini(db);
	return rc;
}

/* ---- saving ---- */

static void
write_port(FILE *f, const struct sl_db_port *p)
{
	size_t i;

	fprintf(f, "port %s ofport=%u n_rxq=%u mtu=%u", p->name, p->ofport, p->n_rxq, p->mtu);
	for (i = 0; i < p->n_extra; i++)
		fprintf(f, " %s", p->extra[i]);
	fprintf(f, " devargs=%s\n", p->devargs);
}

static void
write_db(FILE *f, const struct sl_db *db)
{
	char text[SL_FLOW_TEXT_MAX];
	size_t i;

	fprintf(f, "sluice-db %d\n# Written by sluiced; edit only while it is stopped.\n",
		SL_DB_VERSION);
	for (i = 0; i < db->n_ports; i++)
		write_port(f, &db->ports[i]);
	for (i = 0; i < db->n_options; i++)
		fprintf(f, "option %s=%s\n", db->options[i].key, db->options[i].value);
	for (i = 0; i < db->flows.n; i++) {
		sl_db_flow_text(&db->flows.flows[i], text, sizeof(text));
		/* Plain puts: this loop runs once per flow of the table. */
		fputs("flow ", f);
		fputs(text, f);
		fputc('\n', f);
	}
}

/* fsync the directory holding @path so that the rename itself is durable. */
static int
sync_dir(const char *path)
{
	char *copy = sl_strdup(path);
	int fd, rc = 0;

	if (copy == NULL)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
	if (fd < 0 || fsync(fd) < 0)
		rc = -errno;
	if (fd >= 0)
		close(fd);
	free(copy);
	return rc;
}

int
sl_db_save(const struct sl_db *db, char *err, size_t errlen)
{
	char tmp[4096], *copy, *dir, *base;
	FILE *f;
	int rc = 0;

	copy = sl_strdup(db->path);
	if (copy == NULL)
		return set_err(err, errlen, -ENOMEM, "out of memory");
	base = strrchr(copy, '/');
	if (base != NULL) {
		*base++ = '\0';
		dir = copy[0] ? copy : "/";
	} else {
		base = copy;
		dir = ".";
	}
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, base);
	free(copy);

	f = fopen(tmp, "w");
	if (f == NULL)
		return set_err(err, errlen, -errno, "cannot write %s: %s", tmp, strerror(errno));
	write_db(f, db);
	if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0)
		rc = errno ? -errno : -EIO;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, db->path) != 0)
		rc = -errno;
	if (rc < 0) {
		unlink(tmp);
		return set_err(err, errlen, rc, "cannot save DB %s: %s", db->path, strerror(-rc));
	}
	rc = sync_dir(db->path);
	if (rc < 0)
		return set_err(err, errlen, rc, "cannot sync the directory of %s: %s", db->path,
			       strerror(-rc));
	return 0;
}
