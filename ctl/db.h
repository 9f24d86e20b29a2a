/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluiced's config DB: the desired ports, flows and options of one switch
 * instance, in memory and in a line-oriented text file:
 *
 *   sluice-db 1
 *   port NAME ofport=N n_rxq=N mtu=N [KEY=VALUE...] devargs=REST OF LINE
 *   flow CANONICAL FLOW TEXT
 *   option KEY=VALUE
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

#include "flow.h"
#include "ftable.h"

#define SL_DB_VERSION 1
#define SL_MTU_MIN 68
#define SL_MTU_MAX 9702
#define SL_NRXQ_MAX 64
#define SL_DEFAULT_MTU 1500
#define SL_FLOW_TEXT_MAX 2048

struct sl_db_port {
	char name[SL_PORT_NAME_LEN];
	char *devargs;
	uint32_t ofport;
	uint32_t n_rxq;
	uint32_t mtu;
	char **extra; /* other "KEY=VALUE" settings, kept and replayed verbatim */
	size_t n_extra;
};

struct sl_db_option {
	char *key;
	char *value;
};

struct sl_db {
	char *path;
	struct sl_db_port *ports;
	size_t n_ports;
	struct sl_ftable flows; /* ports by number */
	struct sl_db_option *options;
	size_t n_options;
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

/* Port lookups; NULL if absent. */
struct sl_db_port *sl_db_port_find(const struct sl_db *db, const char *name);
struct sl_db_port *sl_db_port_by_ofport(const struct sl_db *db, uint32_t ofport);

/* The device part of @devargs ("net_pcap0" of "net_pcap0,rx_pcap=x") into @buf. */
void sl_db_devname(const char *devargs, char *buf, size_t len);

/* The port whose devargs name the same device as @devargs, or NULL. */
struct sl_db_port *sl_db_port_by_device(const struct sl_db *db, const char *devargs);

/* Lowest ofport no port uses (1..SL_OFPORT_MAX), 0 if none is free. */
uint32_t sl_db_free_ofport(const struct sl_db *db);

/* Check a port name: 1..31 of [A-Za-z0-9_.:-], not starting with a digit, not a reserved word. */
int sl_db_check_name(const char *name, char *err, size_t errlen);

/* Check and fill a port from its fields (defaults applied); does not add it. */
int sl_db_port_check(const struct sl_db *db, struct sl_db_port *p, char *err, size_t errlen);

/* Append a copy of @p (already checked). Returns 0 or -ENOMEM. */
int sl_db_port_add(struct sl_db *db, const struct sl_db_port *p);

/* Remove the port named @name. Returns 0 or -ENOENT. */
int sl_db_port_del(struct sl_db *db, const char *name);

/*
 * Validate one "KEY=VALUE" port setting; with @apply, store it in @p.
 * mtu and n_rxq are range-checked; ofport, devargs and name cannot change;
 * other keys are kept verbatim (the primary decides whether it knows them).
 */
int sl_db_port_setting(struct sl_db_port *p, const char *kv, bool apply, char *err, size_t errlen);

/* Set or replace an option. Returns 0 or -ENOMEM. */
int sl_db_option_set(struct sl_db *db, const char *key, const char *value);

/* An option's value or NULL. */
const char *sl_db_option_get(const struct sl_db *db, const char *key);

/* Check an option key: [A-Za-z0-9_.:-]+. */
int sl_db_check_option(const char *key, const char *value, char *err, size_t errlen);

/* sl_port_resolve_fn over the DB's port names (ctx: struct sl_db *). */
int sl_db_resolve_port(void *ctx, const char *name, uint16_t *ofport);

/* Canonical text of @f into @buf. */
void sl_db_flow_text(const struct sl_flow *f, char *buf, size_t len);

#endif /* SL_DB_H */
