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
#include <sys/stat.h>
#include <strings.h>
#include <unistd.h>

#include <zlib.h>

#include "db.h"
#include "db_private.h"
#include "flow_syntax.h"
#include "util.h"

int
sl_db_init(struct sl_db *db, const char *path)
{
	memset(db, 0, sizeof(*db));
	sl_ftable_init(&db->flows);
	sl_values_init(&db->options, &sl_options);
	db->path = sl_strdup(path);
	if (db->path == NULL || sl_db_journal_init(db) < 0) {
		free(db->path);
		db->path = NULL;
		return -ENOMEM;
	}
	return 0;
}

static void
port_free(struct sl_db_port *p)
{
	free(p->devargs);
	p->devargs = NULL;
}

void
sl_db_fini(struct sl_db *db)
{
	size_t i;

	for (i = 0; i < db->n_ports; i++)
		port_free(&db->ports[i]);
	free(db->ports);
	sl_ftable_fini(&db->flows);
	sl_db_meters_fini(db);
	sl_db_groups_fini(db);
	sl_db_journal_fini(db);
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

void
sl_db_port_init(struct sl_db_port *p, const char *name, const char *devargs)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->devargs = (char *)devargs;
	sl_values_init(&p->settings, &sl_port_settings);
}

/* The port whose vhost-user socket @devargs names too, or NULL. */
static struct sl_db_port *
port_by_vhost_socket(const struct sl_db *db, const char *devargs, char *mine, size_t len)
{
	char theirs[SL_DEVARGS_MAX];
	bool client;

	if (sl_vhost_socket(devargs, mine, len, &client) != 1)
		return NULL;
	for (size_t i = 0; i < db->n_ports; i++)
		if (sl_vhost_socket(db->ports[i].devargs, theirs, sizeof(theirs), &client) == 1 &&
		    strcmp(mine, theirs) == 0)
			return &db->ports[i];
	return NULL;
}

int
sl_vhost_socket_check(const char *devargs, char *err, size_t errlen)
{
	char path[SL_DEVARGS_MAX];
	struct stat st;
	bool client;

	if (sl_vhost_socket(devargs, path, sizeof(path), &client) != 1)
		return 0;
	if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode))
		return sl_set_err(err, errlen, -EEXIST,
				  "%s exists and is not a socket (a vhost-user socket path)", path);
	return 0;
}

int
sl_db_port_check(const struct sl_db *db, struct sl_db_port *p, char *err, size_t errlen)
{
	char sock[SL_DEVARGS_MAX];
	struct sl_db_port *o;
	int rc;

	rc = sl_port_name_check(p->name, err, errlen);
	if (rc < 0)
		return rc;
	if (sl_db_port_find(db, p->name) != NULL)
		return sl_set_err(err, errlen, -EEXIST, "port \"%s\" already exists", p->name);
	rc = sl_devargs_check(p->devargs != NULL ? p->devargs : "", err, errlen);
	if (rc < 0)
		return rc;
	o = port_by_vhost_socket(db, p->devargs, sock, sizeof(sock));
	if (o != NULL)
		return sl_set_err(err, errlen, -EEXIST,
				  "vhost-user socket %s is already port \"%s\"", sock, o->name);
	o = sl_db_port_by_device(db, p->devargs);
	if (o != NULL) {
		char dev[128];

		sl_db_devname(p->devargs, dev, sizeof(dev));
		return sl_set_err(err, errlen, -EEXIST, "device \"%s\" is already port \"%s\"", dev, o->name);
	}
	rc = sl_port_ofport_check(p->name, p->ofport, err, errlen);
	if (rc < 0)
		return rc;
	p->ofport = rc != 0 ? (uint32_t)rc : sl_db_free_ofport(db);
	if (p->ofport == 0)
		return sl_set_err(err, errlen, -ERANGE, "no free ofport in 1..%u", SL_OFPORT_MAX);
	o = sl_db_port_by_ofport(db, p->ofport);
	if (o != NULL)
		return sl_set_err(err, errlen, -EEXIST, "ofport %u is already port \"%s\"", p->ofport, o->name);
	return 0;
}

int
sl_db_port_add(struct sl_db *db, const struct sl_db_port *p)
{
	struct sl_db_port *ports;
	char *devargs = sl_strdup(p->devargs);

	ports = realloc(db->ports, (db->n_ports + 1) * sizeof(*ports));
	if (ports == NULL || devargs == NULL) {
		free(devargs);
		if (ports != NULL)
			db->ports = ports;
		return -ENOMEM;
	}
	db->ports = ports;
	db->ports[db->n_ports] = *p;
	db->ports[db->n_ports].devargs = devargs;
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

int
sl_db_port_setting(struct sl_db_port *p, const char *kv, bool apply, char *err, size_t errlen)
{
	static const char *const fixed[] = { "ofport", "name", "devargs" };
	struct sl_values scratch;
	size_t klen = strcspn(kv, "=");

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (strlen(fixed[i]) == klen && strncmp(kv, fixed[i], klen) == 0)
			return sl_set_err(err, errlen, -EINVAL,
				       "%s of a port cannot change: delete and add the port again",
				       fixed[i]);
	if (!apply) {
		scratch = p->settings;
		return sl_values_set_kv(&sl_port_settings, &scratch, kv, err, errlen);
	}
	return sl_values_set_kv(&sl_port_settings, &p->settings, kv, err, errlen);
}

int
sl_db_option_set(struct sl_db *db, const char *kv, bool apply, char *err, size_t errlen)
{
	struct sl_values scratch;

	if (!apply) {
		scratch = db->options;
		return sl_values_set_kv(&sl_options, &scratch, kv, err, errlen);
	}
	return sl_values_set_kv(&sl_options, &db->options, kv, err, errlen);
}

const char *
sl_db_option_get(const struct sl_db *db, const char *key)
{
	int id = sl_settings_find(&sl_options, key);

	if (id < 0 || !(db->options.given & (UINT64_C(1) << id)))
		return NULL;
	return db->options.v[id];
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

static int
check_u32(const char *what, const char *val, uint64_t min, uint64_t max, uint32_t *out, char *err,
	  size_t errlen)
{
	uint64_t v;

	if (strspn(val, "0123456789") != strlen(val) || sl_parse_u64(val, min, max, &v) < 0)
		return sl_set_err(err, errlen, -EINVAL, "%s: \"%s\" is not a number in %llu..%llu",
			       what, val, (unsigned long long)min, (unsigned long long)max);
	*out = (uint32_t)v;
	return 0;
}

/* "port NAME ofport=N [KEY=VALUE...] devargs=REST" */
static int
load_port(struct sl_db *db, char *rest, char *err, size_t errlen)
{
	struct sl_db_port p;
	char *tok, *save = NULL, *devargs;
	int rc = 0;

	devargs = strstr(rest, " devargs=");
	if (devargs == NULL)
		return sl_set_err(err, errlen, -EINVAL, "port line without devargs=");
	*devargs = '\0';
	tok = strtok_r(rest, " ", &save);
	if (tok == NULL || strlen(tok) >= SL_PORT_NAME_LEN)
		return sl_set_err(err, errlen, -EINVAL, "port line without a valid name");
	sl_db_port_init(&p, tok, devargs + strlen(" devargs="));
	while (rc >= 0 && (tok = strtok_r(NULL, " ", &save)) != NULL) {
		if (strncmp(tok, "ofport=", 7) == 0)
			rc = check_u32("ofport", tok + 7, 1, SL_OFPP_LOCAL, &p.ofport, err, errlen);
		else
			rc = sl_db_port_setting(&p, tok, true, err, errlen);
	}
	if (rc >= 0 && p.ofport == 0)
		rc = sl_set_err(err, errlen, -EINVAL, "port \"%s\" without ofport=", p.name);
	if (rc >= 0)
		rc = sl_values_check_all(&sl_port_settings, &p.settings, err, errlen);
	if (rc >= 0)
		rc = sl_db_port_check(db, &p, err, errlen);
	if (rc >= 0)
		rc = sl_db_port_add(db, &p);
	return rc < 0 ? rc : 0;
}

int
sl_db_flow_line(struct sl_db *db, const char *text, enum sl_db_flow_op op, char *err,
		size_t errlen)
{
	struct sl_flow f;
	int rc;

	memset(&f, 0, sizeof(f));
	rc = sl_flow_parse(text, SL_PARSE_FLOW, sl_db_resolve_port, db, &f, err, errlen);
	if (rc < 0)
		return rc;
	if (op == SL_DB_FLOW_DEL)
		return sl_ftable_del(&db->flows, &f.match, f.priority, true) == 0
			       ? sl_set_err(err, errlen, -ENOENT, "deletes a flow the DB does not hold")
			       : 0;
	rc = sl_ftable_add(&db->flows, &f);
	if (rc < 0)
		return sl_set_err(err, errlen, rc, "out of memory");
	if (rc == 1 && op == SL_DB_FLOW_NEW)
		return sl_set_err(err, errlen, -EEXIST, "duplicate flow (same match and priority)");
	return 0;
}

static int
load_option(struct sl_db *db, char *kv, char *err, size_t errlen)
{
	char key[64];
	size_t klen = strcspn(kv, "=");

	if (kv[klen] != '=')
		return sl_set_err(err, errlen, -EINVAL, "option line without KEY=VALUE");
	snprintf(key, sizeof(key), "%.*s", (int)klen, kv);
	if (sl_db_option_get(db, key) != NULL)
		return sl_set_err(err, errlen, -EEXIST, "option %s given twice", key);
	return sl_db_option_set(db, kv, true, err, errlen) < 0 ? -EINVAL : 0;
}

int
sl_db_load_line(struct sl_db *db, char *line, char *err, size_t errlen)
{
	if (line[0] == '\0' || line[0] == '#')
		return 0;
	if (strncmp(line, "port ", 5) == 0)
		return load_port(db, line + 5, err, errlen);
	if (strncmp(line, "flow ", 5) == 0)
		return sl_db_flow_line(db, line + 5, SL_DB_FLOW_NEW, err, errlen);
	if (strncmp(line, "option ", 7) == 0)
		return load_option(db, line + 7, err, errlen);
	if (strncmp(line, "meter ", 6) == 0)
		return sl_db_meter_load(db, line + 6, err, errlen);
	if (strncmp(line, "group ", 6) == 0)
		return sl_db_group_load(db, line + 6, err, errlen);
	return sl_set_err(err, errlen, -EINVAL, "unknown line \"%.40s\"", line);
}

/* The whole file into a NUL-terminated buffer; -ENOENT if it is missing. */
static int
read_file(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	size_t cap = 1 << 16, n = 0, got;
	char *b = NULL, *nb;

	if (f == NULL)
		return errno == ENOENT ? -ENOENT
				       : sl_set_err(err, errlen, -errno, "cannot read DB %s: %s", path,
						 strerror(errno));
	do {
		nb = realloc(b, cap + 1);
		if (nb == NULL) {
			free(b);
			fclose(f);
			return sl_set_err(err, errlen, -ENOMEM, "out of memory reading %s", path);
		}
		b = nb;
		got = fread(b + n, 1, cap - n, f);
		n += got;
		if (n == cap)
			cap *= 2;
	} while (got > 0);
	if (ferror(f)) {
		free(b);
		fclose(f);
		return sl_set_err(err, errlen, -EIO, "cannot read DB %s", path);
	}
	fclose(f);
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

/* Where the parts of a file are, as verify() found them. */
struct envelope {
	int version;
	char *body;       /* the lines between header and end line */
	size_t body_len;
	char *log;        /* version 3: the journal after the end line (NULL before) */
	size_t log_len;
	size_t base_bytes; /* header to end line, inclusive */
	unsigned int end_line; /* line number of the end line */
};

/* The end line: the last line in version 2, the first "end " line in version 3. */
static char *
find_trailer(char *buf, size_t len, char *first, int version)
{
	char *p;

	if (version == 2) {
		if (len < 2 || buf[len - 1] != '\n')
			return NULL;
		buf[len - 1] = '\0';
		p = strrchr(buf, '\n');
		buf[len - 1] = '\n';
		return p != NULL ? p + 1 : NULL;
	}
	/* No line of the first part starts with "end ": each starts with its keyword. */
	for (p = first; p < buf + len;) {
		char *nl = memchr(p, '\n', (size_t)(buf + len - p));

		if (strncmp(p, "end ", 4) == 0)
			return nl != NULL ? p : NULL;
		if (nl == NULL)
			return NULL;
		p = nl + 1;
	}
	return NULL;
}

/*
 * Check the envelope of @buf: the exact header, no NUL byte, and from
 * version 2 on an end line "end LINES CRC32" that matches everything
 * before it (a cut or corrupted file is refused, never half-loaded).
 */
static int
verify(char *buf, size_t len, struct envelope *env, char *err, size_t errlen)
{
	char *nl = strchr(buf, '\n'), *trailer, *after;
	unsigned long crc, want_crc, lines = 0, want_lines;
	char junk;

	memset(env, 0, sizeof(*env));
	if (memchr(buf, '\0', len) != NULL)
		return sl_set_err(err, errlen, -EINVAL, "a NUL byte at offset %zu: not a text DB",
			       (size_t)((char *)memchr(buf, '\0', len) - buf));
	if (nl == NULL)
		return sl_set_err(err, errlen, -EINVAL, "no \"sluice-db %d\" header line",
			       SL_DB_VERSION);
	*nl = '\0';
	if (strcmp(buf, "sluice-db 1") == 0) {
		/* Written before the trailer existed: accepted as it is. */
		env->version = 1;
		env->body = nl + 1;
		env->body_len = len - (size_t)(nl + 1 - buf);
		return 0;
	}
	if (strcmp(buf, "sluice-db 2") == 0)
		env->version = 2;
	else if (strcmp(buf, "sluice-db 3") == 0)
		env->version = 3;
	else
		return sl_set_err(err, errlen, -EINVAL,
			       "not a sluice DB this sluiced reads (header \"%.40s\", expected "
			       "\"sluice-db %d\")",
			       buf, SL_DB_VERSION);
	*nl = '\n';
	trailer = find_trailer(buf, len, nl + 1, env->version);
	if (trailer == NULL ||
	    sscanf(trailer, "end %lu %lx%c", &want_lines, &want_crc, &junk) != 3 || junk != '\n')
		return sl_set_err(err, errlen, -EINVAL, "the DB is cut short (no end line)");
	crc = crc32(0L, (const Bytef *)buf, (uInt)(trailer - buf));
	for (char *p = buf; p < trailer; p++)
		lines += *p == '\n';
	if (crc != want_crc || lines != want_lines)
		return sl_set_err(err, errlen, -EINVAL,
			       "the DB does not verify (%lu lines, crc %08lx; its end line says %lu, "
			       "%08lx): it was cut or changed",
			       lines, crc, want_lines, want_crc);
	after = (char *)memchr(trailer, '\n', (size_t)(buf + len - trailer)) + 1;
	env->body = nl + 1;
	env->body_len = (size_t)(trailer - (nl + 1));
	env->base_bytes = (size_t)(after - buf);
	env->end_line = (unsigned int)lines + 1;
	if (env->version == 3) {
		env->log = after;
		env->log_len = (size_t)(buf + len - after);
	}
	return 0;
}

int
sl_db_load(struct sl_db *db, const char *path, char *err, size_t errlen)
{
	char *buf = NULL, *line, *next, msg[512];
	unsigned int lineno = 1;
	struct envelope env = { 0 };
	size_t len = 0;
	int rc;

	rc = sl_db_init(db, path);
	if (rc < 0)
		return sl_set_err(err, errlen, rc, "out of memory");
	rc = read_file(path, &buf, &len, err, errlen);
	if (rc == -ENOENT)
		return 0;
	if (rc == 0 && len == 0)
		rc = sl_set_err(err, errlen, -EINVAL, "%s: empty file: not a sluice DB", path);
	if (rc == 0 && verify(buf, len, &env, msg, sizeof(msg)) < 0)
		rc = sl_set_err(err, errlen, -EINVAL, "%s: %s", path, msg);
	/* What the file holds is not a change to journal. */
	sl_db_journal_watch(db, false);
	for (line = env.body; rc == 0 && line < env.body + env.body_len; line = next) {
		size_t n;

		next = memchr(line, '\n', (size_t)(env.body + env.body_len - line));
		next = next != NULL ? next + 1 : env.body + env.body_len;
		n = (size_t)(next - line);
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
			n--;
		line[n] = '\0';
		rc = sl_db_load_line(db, line, msg, sizeof(msg));
		if (rc < 0)
			sl_set_err(err, errlen, rc, "%s:%u: %s", path, lineno, msg);
	}
	if (rc == 0 && sl_db_journal_load(db, env.log, env.log_len, env.base_bytes, env.end_line,
					  msg, sizeof(msg)) < 0)
		rc = sl_set_err(err, errlen, -EINVAL, "%s: %s", path, msg);
	sl_db_journal_watch(db, true);
	free(buf);
	if (rc < 0)
		sl_db_fini(db);
	return rc;
}

/* ---- saving ---- */

static void
write_port(FILE *f, const struct sl_db_port *p)
{
	fprintf(f, "port %s ofport=%u", p->name, p->ofport);
	for (size_t i = 0; i < sl_port_settings.n; i++)
		if (p->settings.given & (UINT64_C(1) << i))
			fprintf(f, " %s=%s", sl_port_settings.s[i].key, p->settings.v[i]);
	fprintf(f, " devargs=%s\n", p->devargs);
}

void
sl_db_write_state(FILE *f, const struct sl_db *db)
{
	size_t i;

	for (i = 0; i < db->n_ports; i++)
		write_port(f, &db->ports[i]);
	for (i = 0; i < sl_options.n; i++)
		if (db->options.given & (UINT64_C(1) << i))
			fprintf(f, "option %s=%s\n", sl_options.s[i].key, db->options.v[i]);
	sl_db_meters_write(f, db);
	sl_db_groups_write(f, db);
}

static void
write_db(FILE *f, const struct sl_db *db)
{
	char text[SL_FLOW_TEXT_MAX];
	size_t i = 0;

	fprintf(f, "sluice-db %d\n# Written by sluiced; edit only while it is stopped: print it whole\n"
		   "# with `sluiced --print-db FILE`, edit that, and make its first line\n"
		   "# \"sluice-db 1\" (no end line, no journal: the end line guards against\n"
		   "# cut and changed files, the journal after it holds recent changes).\n",
		SL_DB_VERSION);
	sl_db_write_state(f, db);
	SL_FTABLE_FOREACH(p, &db->flows) {
		sl_db_flow_text(sl_ftable_rule(&db->flows, p), text, sizeof(text));
		/* Plain puts: this loop runs once per flow of the table. */
		fputs("flow ", f);
		fputs(text, f);
		fputc('\n', f);
		if (db->progress != NULL && (++i & 8191) == 8191)
			db->progress(db->progress_arg);
	}
}

int
sl_write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
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

/* The whole file: the text, then its end line (how many lines and their CRC-32). */
static int
db_text(const struct sl_db *db, char **text, size_t *len)
{
	unsigned long lines = 0;
	FILE *f = open_memstream(text, len);

	if (f == NULL)
		return -ENOMEM;
	write_db(f, db);
	if (fflush(f) != 0) {
		fclose(f);
		free(*text);
		return -ENOMEM;
	}
	for (size_t i = 0; i < *len; i++)
		lines += (*text)[i] == '\n';
	fprintf(f, "end %lu %08lx\n", lines, crc32(0L, (const Bytef *)*text, (uInt)*len));
	if (fclose(f) != 0) {
		free(*text);
		return -ENOMEM;
	}
	return 0;
}

int
sl_db_print(const struct sl_db *db, FILE *out)
{
	char *text = NULL;
	size_t len = 0;
	int rc = db_text(db, &text, &len);

	if (rc < 0)
		return rc;
	rc = fwrite(text, 1, len, out) == len ? 0 : -EIO;
	free(text);
	return rc;
}

int
sl_db_save(const struct sl_db *db, char *err, size_t errlen)
{
	char tmp[4096], *copy, *dir, *base, *text = NULL;
	size_t len = 0;
	int rc = 0, fd;

	copy = sl_strdup(db->path);
	if (copy == NULL)
		return sl_set_err(err, errlen, -ENOMEM, "out of memory");
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

	rc = db_text(db, &text, &len);
	if (rc < 0)
		return sl_set_err(err, errlen, rc, "out of memory");

	/* A fresh file of our own: whatever sat at that name (a symlink) is gone first. */
	if (unlink(tmp) < 0 && errno != ENOENT)
		rc = -errno;
	fd = rc < 0 ? -1 : open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = rc < 0 ? rc : -errno;
		free(text);
		return sl_set_err(err, errlen, rc, "cannot write %s: %s", tmp, strerror(-rc));
	}
	if (sl_write_all(fd, text, len) < 0 || fsync(fd) != 0)
		rc = errno ? -errno : -EIO;
	free(text);
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, db->path) != 0)
		rc = -errno;
	if (rc < 0) {
		unlink(tmp);
		return sl_set_err(err, errlen, rc, "cannot save DB %s: %s", db->path, strerror(-rc));
	}
	sl_db_journal_saved(db, len);
	rc = sync_dir(db->path);
	if (rc < 0)
		return sl_set_err(err, errlen, rc, "cannot sync the directory of %s: %s", db->path,
			       strerror(-rc));
	return 0;
}
