/* SPDX-License-Identifier: BSD-3-Clause */
/* What the DB's own files (db.c, db_journal.c) share and nobody else needs. */
#ifndef SL_DB_PRIVATE_H
#define SL_DB_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "db.h"

/* The port, option, meter and group lines of @db, as the file holds them. */
void sl_db_write_state(FILE *f, const struct sl_db *db);

/* One line of the file's first part ("port ...", "flow ...", ...). */
int sl_db_load_line(struct sl_db *db, char *line, char *err, size_t errlen);

/* A flow line: one the table must not hold yet (the file's first part), or a journal's put or delete. */
enum sl_db_flow_op {
	SL_DB_FLOW_NEW,
	SL_DB_FLOW_PUT,
	SL_DB_FLOW_DEL,
};
int sl_db_flow_line(struct sl_db *db, const char *text, enum sl_db_flow_op op, char *err,
		    size_t errlen);

/* Write all of @n bytes to @fd; -1 with errno on failure. */
int sl_write_all(int fd, const char *p, size_t n);

/* The journal's life (db_journal.c). */
int sl_db_journal_init(struct sl_db *db);
void sl_db_journal_fini(struct sl_db *db);
/* Whether the flow table's changes are journaled (off while loading). */
void sl_db_journal_watch(struct sl_db *db, bool on);
/* The file now holds @db whole, @bytes long: the journal starts afresh. */
void sl_db_journal_saved(const struct sl_db *db, size_t bytes);
/*
 * Apply the journal part of a loaded file (@log, @len bytes, after a first
 * part of @base_bytes ending at line @lineno); a cut last transaction is
 * dropped.  With @log NULL (a file of an older version): the next commit
 * writes the whole file.
 */
int sl_db_journal_load(struct sl_db *db, char *log, size_t len, size_t base_bytes,
		       unsigned int lineno, char *err, size_t errlen);

#endif /* SL_DB_PRIVATE_H */
