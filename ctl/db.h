/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluiced's config DB: the desired ports, flows and options of one switch
 * instance, in memory and in a line-oriented text file:
 *
 *   sluice-db 3
 *   port NAME ofport=N [KEY=VALUE...] devargs=REST OF LINE
 *   flow CANONICAL FLOW TEXT
 *   option KEY=VALUE
 *   meter CANONICAL METER TEXT (ovs-ofctl syntax; before the flows using it)
 *   group CANONICAL GROUP TEXT (ovs-ofctl syntax, ports by number; likewise)
 *   end LINES CRC32
 *   txn LINES CRC32        (a journal: zero or more transactions, see below)
 *   ...
 *
 * The end line counts the lines before it and holds their CRC-32 (zlib):
 * a file cut short or changed by hand is refused whole, never half-loaded.
 * Files of versions 1 (no end line) and 2 (no journal) are still read.
 *
 * The journal (db_journal.c), as OVSDB's log: a change is appended as one
 * transaction (its line count and CRC-32, then its lines) and fsynced,
 * so one flow change at a million flows writes one line, not the file.
 * Its lines: "flow TEXT" adds or replaces the rule of that identity,
 * "del TEXT" removes it, "state" followed by the port, option, meter and
 * group lines replaces all of those (they are few; written only when they
 * changed).  A transaction cut short at the end of the file (a crash
 * before its fsync: never acknowledged) is dropped on load; one that does
 * not verify with more after it is corruption and the file is refused.
 * When the journal outgrows the rest of the file, or a change is too big
 * to list (replace-flows, del-flows of everything), the next commit
 * writes the whole file afresh (compaction), atomically as before.
 *
 * Port settings and options are those of common/settings.h; only the ones
 * given explicitly are written, so a changed default reaches old DBs.
 *
 * '#' lines and blank lines are ignored.  The file is replaced atomically
 * (temp file, fsync, rename, fsync of the directory), so a crash leaves
 * either the old or the new DB, never a mix.
 */
#ifndef SL_DB_H
#define SL_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "flow.h"
#include "ftable.h"
#include "group_syntax.h"
#include "meter_syntax.h"
#include "settings.h"

#define SL_DB_VERSION 3
#define SL_FLOW_TEXT_MAX 2048

struct sl_db_port {
	char name[SL_PORT_NAME_LEN];
	char *devargs;
	uint32_t ofport;
	struct sl_values settings; /* of sl_port_settings */
};

struct sl_db_journal; /* db_journal.c */

struct sl_db {
	char *path;
	struct sl_db_port *ports;
	size_t n_ports;
	struct sl_ftable flows; /* ports by number */
	struct sl_values options; /* of sl_options */
	struct sl_meter_spec *meters; /* OpenFlow meters, in the order added */
	size_t n_meters;
	struct sl_group *groups; /* OpenFlow groups, in the order added */
	size_t n_groups;
	/* Called every few thousand flows while a save formats them (the
	 * daemon answers reads meanwhile); NULL: nothing. */
	void (*progress)(void *arg);
	void *progress_arg;
	struct sl_db_journal *journal; /* changes not yet in the file */
};

/* An empty DB that will be saved to @path. Returns 0 or -ENOMEM. */
int sl_db_init(struct sl_db *db, const char *path);

/* Free everything. */
void sl_db_fini(struct sl_db *db);

/*
 * Read @path into a fresh DB (a missing file gives an empty DB).  A line
 * that does not parse is an error naming the file and line number in @err.
 */
int sl_db_load(struct sl_db *db, const char *path, char *err, size_t errlen);

/* Write the DB to its path atomically. Returns 0 or -errno with @err set; the old file is intact on error. */
int sl_db_save(const struct sl_db *db, char *err, size_t errlen);

/*
 * Make every change since the last commit durable: appended to the file's
 * journal as one transaction, or the whole file written afresh when that
 * is due (sl_db_save).  Nothing changed: nothing written.  Returns 0 or
 * -errno with @err set; after a failure the next commit writes the whole
 * file, so nothing that was in memory is lost for good.
 */
int sl_db_commit(struct sl_db *db, char *err, size_t errlen);

/* The DB as sl_db_save would write it (header to end line) on @f. 0 or -ENOMEM. */
int sl_db_print(const struct sl_db *db, FILE *f);

/* What the last load found: transactions in the journal, and bytes of a cut one dropped. */
void sl_db_journal_stats(const struct sl_db *db, unsigned long *txns, size_t *dropped);

/* Port lookups; NULL if absent. */
struct sl_db_port *sl_db_port_find(const struct sl_db *db, const char *name);
struct sl_db_port *sl_db_port_by_ofport(const struct sl_db *db, uint32_t ofport);

/* The device part of @devargs ("net_pcap0" of "net_pcap0,rx_pcap=x") into @buf. */
void sl_db_devname(const char *devargs, char *buf, size_t len);

/* The port whose devargs name the same device as @devargs, or NULL. */
struct sl_db_port *sl_db_port_by_device(const struct sl_db *db, const char *devargs);

/* Lowest ofport no port uses (1..SL_OFPORT_MAX), 0 if none is free. */
uint32_t sl_db_free_ofport(const struct sl_db *db);

/* A port with @name and @devargs, every setting at its default. */
void sl_db_port_init(struct sl_db_port *p, const char *name, const char *devargs);

/*
 * If @devargs is a vhost-user port, that its socket path is not something
 * else already (a file, a directory): 0, or -EEXIST with @err saying so.
 */
int sl_vhost_socket_check(const char *devargs, char *err, size_t errlen);

/* Check a port (name, devargs, unique device and ofport) and pick its ofport if 0; does not add it. */
int sl_db_port_check(const struct sl_db *db, struct sl_db_port *p, char *err, size_t errlen);

/* Append a copy of @p (already checked). Returns 0 or -ENOMEM. */
int sl_db_port_add(struct sl_db *db, const struct sl_db_port *p);

/* Remove the port named @name. Returns 0 or -ENOENT. */
int sl_db_port_del(struct sl_db *db, const char *name);

/*
 * Check one "KEY=VALUE" port setting (common/settings.h); with @apply,
 * store it in @p.  ofport, devargs and name cannot change.  Returns the
 * setting's index or -errno with @err set.
 */
int sl_db_port_setting(struct sl_db_port *p, const char *kv, bool apply, char *err, size_t errlen);

/* Check "KEY=VALUE" of a switch option; with @apply store it.  Index or -errno. */
int sl_db_option_set(struct sl_db *db, const char *kv, bool apply, char *err, size_t errlen);

/* An option's value as given, or NULL if it was never set. */
const char *sl_db_option_get(const struct sl_db *db, const char *key);

/* sl_port_resolve_fn over the DB's port names (ctx: struct sl_db *). */
int sl_db_resolve_port(void *ctx, const char *name, uint16_t *ofport);

/* Canonical text of @f into @buf. */
void sl_db_flow_text(const struct sl_flow *f, char *buf, size_t len);

/* ---- meters (db_meters.c) ---- */

/* The meter with @id, or NULL. */
struct sl_meter_spec *sl_db_meter_find(const struct sl_db *db, uint32_t id);

/* Add @m, or replace the meter with its id. Returns 0 or -ENOMEM. */
int sl_db_meter_set(struct sl_db *db, const struct sl_meter_spec *m);

/*
 * Delete meter @id (SL_METER_ALL: every meter) and, as OpenFlow does, every
 * flow that uses it.  Returns the number of flows deleted.
 */
uint32_t sl_db_meters_del(struct sl_db *db, uint32_t id);

/* A "meter ..." line's text: parse, check, add. 0 or -errno with @err set. */
int sl_db_meter_load(struct sl_db *db, const char *text, char *err, size_t errlen);

/* The "meter ..." lines. */
void sl_db_meters_write(FILE *f, const struct sl_db *db);

/* Free the meters. */
void sl_db_meters_fini(struct sl_db *db);

/* ---- groups (db_groups.c) ---- */

/* The group with @id, or NULL. */
struct sl_group *sl_db_group_find(const struct sl_db *db, uint32_t id);

/* Add @g, or replace the group with its id. Returns 0 or -ENOMEM. */
int sl_db_group_set(struct sl_db *db, const struct sl_group *g);

/* Delete group @id (SL_GROUP_ALL_ID: every group). Returns how many went. */
uint32_t sl_db_groups_del(struct sl_db *db, uint32_t id);

/* A "group ..." line's text: parse, check, add. 0 or -errno with @err set. */
int sl_db_group_load(struct sl_db *db, const char *text, char *err, size_t errlen);

/* The "group ..." lines. */
void sl_db_groups_write(FILE *f, const struct sl_db *db);

/* Free the groups. */
void sl_db_groups_fini(struct sl_db *db);

#endif /* SL_DB_H */
