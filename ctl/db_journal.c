/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DB's journal: changes appended to the file as transactions instead
 * of the file rewritten for each (the format is in db.h).
 *
 * The flow table tells the journal of every change as it is made
 * (sl_ftable's observer), so no handler has to remember to; the few
 * ports, options, meters and groups are compared as text at each commit
 * and written whole when they differ.  A commit is one write() of one
 * transaction and one fdatasync(); the whole file is written afresh
 * (sl_db_save) when the journal has grown past the rest of the file, when
 * a change was too big to list, or after a failed append.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "db.h"
#include "db_private.h"
#include "flow_syntax.h"
#include "util.h"

/* Changes kept for the next transaction; more than that, and the next commit writes the whole file. */
#define JOURNAL_MAX_CHANGES 4096
/* The journal may grow to the size of the rest of the file, and to this much however small that is. */
#define JOURNAL_MIN_BYTES (1u << 20)

struct sl_db_change {
	bool del;
	struct sl_flow flow;
};

struct sl_db_journal {
	struct sl_db_change *changes; /* since the last commit, in order */
	uint32_t n, cap;
	bool whole;           /* the next commit writes the whole file */
	uint32_t state_crc;   /* of the state lines the file holds */
	size_t base_bytes;    /* the file up to its end line */
	size_t log_bytes;     /* transactions after it */
	unsigned long txns;   /* how many */
	size_t dropped;       /* bytes of a cut transaction the last load dropped */
};

static void
forget_changes(struct sl_db_journal *j)
{
	free(j->changes);
	j->changes = NULL;
	j->n = j->cap = 0;
}

/* The flow table's observer. */
static void
observe(void *arg, enum sl_ftable_change what, const struct sl_flow *f)
{
	struct sl_db_journal *j = arg;
	struct sl_db_change *nc;

	if (j->whole)
		return;
	if (what == SL_FTABLE_RESET || j->n == JOURNAL_MAX_CHANGES) {
		j->whole = true;
		forget_changes(j);
		return;
	}
	if (j->n == j->cap) {
		uint32_t cap = j->cap ? j->cap * 2 : 16;

		nc = realloc(j->changes, cap * sizeof(*nc));
		if (nc == NULL) {
			j->whole = true; /* cannot list it: write it all */
			forget_changes(j);
			return;
		}
		j->changes = nc;
		j->cap = cap;
	}
	j->changes[j->n].del = what == SL_FTABLE_DEL;
	sl_flow_copy(&j->changes[j->n++].flow, f);
}

int
sl_db_journal_init(struct sl_db *db)
{
	db->journal = calloc(1, sizeof(*db->journal));
	if (db->journal == NULL)
		return -ENOMEM;
	db->journal->whole = true; /* no file yet */
	sl_db_journal_watch(db, true);
	return 0;
}

void
sl_db_journal_fini(struct sl_db *db)
{
	if (db->journal == NULL)
		return;
	forget_changes(db->journal);
	free(db->journal);
	db->journal = NULL;
}

void
sl_db_journal_watch(struct sl_db *db, bool on)
{
	db->flows.observe = on && db->journal != NULL ? observe : NULL;
	db->flows.observe_arg = db->journal;
}

/* The state lines of @db and their CRC-32; the text is malloc'd. */
static int
state_text(const struct sl_db *db, char **text, size_t *len, uint32_t *crc)
{
	FILE *f = open_memstream(text, len);

	if (f == NULL)
		return -ENOMEM;
	sl_db_write_state(f, db);
	if (fclose(f) != 0)
		return -ENOMEM;
	*crc = (uint32_t)crc32(0L, (const Bytef *)*text, (uInt)*len);
	return 0;
}

void
sl_db_journal_saved(const struct sl_db *db, size_t bytes)
{
	struct sl_db_journal *j = db->journal;
	char *text = NULL;
	size_t len;
	uint32_t crc = 0;

	if (j == NULL)
		return;
	forget_changes(j);
	j->base_bytes = bytes;
	j->log_bytes = 0;
	j->txns = 0;
	/* Without the state's CRC the next commit could not tell what changed: write it whole. */
	j->whole = state_text(db, &text, &len, &crc) < 0;
	j->state_crc = crc;
	free(text);
}

/* ---- commit ---- */

/* Append @n bytes to the file; on failure cut it back to where it was. */
static int
append(const char *path, const char *text, size_t n)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (sl_write_all(fd, text, n) < 0 || fdatasync(fd) < 0) {
		rc = errno ? -errno : -EIO;
		if (ftruncate(fd, st.st_size) == 0)
			(void)fdatasync(fd);
	}
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	return rc;
}

/* The transaction of @j's changes and the state (when it differs) on @f; how many lines. */
static unsigned long
write_txn(FILE *f, const struct sl_db_journal *j, const char *state, size_t state_len,
	  bool with_state)
{
	char text[SL_FLOW_TEXT_MAX];
	unsigned long lines = 0;

	if (with_state) {
		fputs("state\n", f);
		fwrite(state, 1, state_len, f);
		lines++;
		for (size_t i = 0; i < state_len; i++)
			lines += state[i] == '\n';
	}
	for (uint32_t i = 0; i < j->n; i++) {
		sl_db_flow_text(&j->changes[i].flow, text, sizeof(text));
		fprintf(f, "%s %s\n", j->changes[i].del ? "del" : "flow", text);
		lines++;
	}
	return lines;
}

int
sl_db_commit(struct sl_db *db, char *err, size_t errlen)
{
	struct sl_db_journal *j = db->journal;
	char *state = NULL, *body = NULL, head[64];
	size_t state_len = 0, body_len = 0;
	unsigned long lines;
	uint32_t crc;
	FILE *f;
	int rc;

	if (j == NULL || j->whole)
		return sl_db_save(db, err, errlen);
	if (state_text(db, &state, &state_len, &crc) < 0)
		return sl_db_save(db, err, errlen);
	f = open_memstream(&body, &body_len);
	if (f == NULL) {
		free(state);
		return sl_db_save(db, err, errlen);
	}
	lines = write_txn(f, j, state, state_len, crc != j->state_crc);
	free(state);
	if (fclose(f) != 0) {
		free(body);
		return sl_db_save(db, err, errlen);
	}
	if (lines == 0) {
		free(body);
		return 0; /* nothing changed */
	}
	snprintf(head, sizeof(head), "txn %lu %08lx\n", lines,
		 crc32(0L, (const Bytef *)body, (uInt)body_len));
	if (j->log_bytes + body_len > (j->base_bytes > JOURNAL_MIN_BYTES ? j->base_bytes
									: JOURNAL_MIN_BYTES)) {
		free(body);
		return sl_db_save(db, err, errlen); /* compaction */
	}
	/* Header and lines in one write, so that a crash cuts at most the tail. */
	f = open_memstream(&state, &state_len);
	if (f == NULL) {
		free(body);
		return sl_db_save(db, err, errlen);
	}
	fputs(head, f);
	fwrite(body, 1, body_len, f);
	free(body);
	if (fclose(f) != 0) {
		free(state);
		return sl_db_save(db, err, errlen);
	}
	rc = append(db->path, state, state_len);
	if (rc < 0) {
		free(state);
		j->whole = true;
		forget_changes(j);
		return sl_set_err(err, errlen, rc, "cannot append to DB %s: %s", db->path,
			       strerror(-rc));
	}
	j->log_bytes += state_len;
	j->txns++;
	j->state_crc = crc;
	j->n = 0;
	free(state);
	return 0;
}

/* ---- load ---- */

/* Drop ports, options, meters and groups: a "state" line replaces them all. */
static void
clear_state(struct sl_db *db)
{
	for (size_t i = 0; i < db->n_ports; i++)
		free(db->ports[i].devargs);
	db->n_ports = 0;
	sl_values_init(&db->options, &sl_options);
	sl_db_meters_fini(db);
	sl_db_groups_fini(db);
}

/* The lines of one verified transaction. */
static int
apply_txn(struct sl_db *db, char *p, char *end, unsigned int *lineno, char *err, size_t errlen)
{
	bool in_state = false;
	int rc = 0;

	while (rc == 0 && p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));

		*nl = '\0';
		++*lineno;
		if (nl > p && nl[-1] == '\r')
			nl[-1] = '\0';
		if (strcmp(p, "state") == 0) {
			clear_state(db);
			in_state = true;
		} else if (strncmp(p, "flow ", 5) == 0 || strncmp(p, "del ", 4) == 0) {
			in_state = false;
			rc = sl_db_flow_line(db, p + (p[0] == 'f' ? 5 : 4),
					     p[0] == 'd' ? SL_DB_FLOW_DEL : SL_DB_FLOW_PUT, err, errlen);
		} else if (in_state) {
			rc = sl_db_load_line(db, p, err, errlen);
		} else {
			rc = sl_set_err(err, errlen, -EINVAL, "unknown journal line \"%.40s\"", p);
		}
		*nl = '\n';
		p = nl + 1;
	}
	return rc;
}

/* Lines in [p, end), the last one ending at end; -1 if it does not. */
static long
count_lines(const char *p, const char *end, unsigned long want, const char **stop)
{
	unsigned long n = 0;

	while (n < want && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (nl == NULL)
			break;
		p = nl + 1;
		n++;
	}
	*stop = p;
	return (long)n;
}

int
sl_db_journal_load(struct sl_db *db, char *log, size_t len, size_t base_bytes,
		   unsigned int lineno, char *err, size_t errlen)
{
	struct sl_db_journal *j = db->journal;
	char *p = log, *end, msg[512], *text = NULL;
	size_t text_len;
	int rc = 0;

	if (log == NULL) {
		j->whole = true;
		return 0;
	}
	end = log + len;
	while (rc == 0 && p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), junk;
		unsigned long want, want_crc;
		const char *stop;

		/* A header that is not whole, or lines that are not all there: the
		 * last append was cut by a crash before its fsync; never acknowledged. */
		if (nl == NULL)
			break;
		*nl = '\0';
		if (sscanf(p, "txn %lu %lx%c", &want, &want_crc, &junk) != 2) {
			*nl = '\n';
			return sl_set_err(err, errlen, -EINVAL,
					  "line %u: not a journal transaction: \"%.40s\"", lineno + 1,
					  p);
		}
		*nl = '\n';
		if (count_lines(nl + 1, end, want, &stop) < (long)want)
			break;
		if (crc32(0L, (const Bytef *)(nl + 1), (uInt)(stop - (nl + 1))) != want_crc) {
			if (stop == end)
				break; /* the last one, cut or torn */
			return sl_set_err(err, errlen, -EINVAL,
					  "line %u: a journal transaction that does not verify, with "
					  "more after it: the file was changed",
					  lineno + 1);
		}
		lineno++;
		rc = apply_txn(db, nl + 1, (char *)stop, &lineno, msg, sizeof(msg));
		if (rc < 0)
			return sl_set_err(err, errlen, rc, "line %u: %s", lineno, msg);
		j->txns++;
		p = (char *)stop;
	}
	j->dropped = (size_t)(end - p);
	j->base_bytes = base_bytes;
	j->log_bytes = (size_t)(p - log);
	/* A dropped tail must go before anything is appended after it. */
	j->whole = j->dropped > 0 || state_text(db, &text, &text_len, &j->state_crc) < 0;
	free(text);
	return 0;
}

void
sl_db_journal_stats(const struct sl_db *db, unsigned long *txns, size_t *dropped)
{
	*txns = db->journal ? db->journal->txns : 0;
	*dropped = db->journal ? db->journal->dropped : 0;
}
