/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the DB targets share: a private directory on tmpfs for DB files,
 * and "these two DBs hold the same configuration", field by field.
 */
#ifndef SL_FUZZ_DB_H
#define SL_FUZZ_DB_H

#include <stdbool.h>
#include <unistd.h>

#include "db.h"
#include "ftable.h"
#include "fuzz.h"

/* A directory of our own for DB files (tmpfs when there is one), made once. */
static inline const char *
fuzz_dir(void)
{
	static char dir[64];

	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "%s/sluice-fuzz.XXXXXX",
			 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
		if (mkdtemp(dir) == NULL)
			fuzz_fail("mkdtemp %s failed", dir);
	}
	return dir;
}

/* Path of file @name in fuzz_dir(), into @buf. */
static inline void
fuzz_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", fuzz_dir(), name);
}

static inline bool
fuzz_port_same(const struct sl_db_port *a, const struct sl_db_port *b)
{
	if (strcmp(a->name, b->name) != 0 || strcmp(a->devargs, b->devargs) != 0 ||
	    a->ofport != b->ofport || a->settings.given != b->settings.given)
		return false;
	for (size_t i = 0; i < sl_port_settings.n; i++)
		if (strcmp(a->settings.v[i], b->settings.v[i]) != 0)
			return false;
	return true;
}

/* Abort unless @a and @b hold the same ports, options and flows, in the same order. */
static inline void
fuzz_db_same(const struct sl_db *a, const struct sl_db *b, const char *what)
{
	FUZZ_CHECK(a->n_ports == b->n_ports, "%s: %zu ports became %zu", what, a->n_ports,
		   b->n_ports);
	for (size_t i = 0; i < a->n_ports; i++)
		FUZZ_CHECK(fuzz_port_same(&a->ports[i], &b->ports[i]),
			   "%s: port \"%s\" (%s) came back as \"%s\" (%s)", what, a->ports[i].name,
			   a->ports[i].devargs, b->ports[i].name, b->ports[i].devargs);
	FUZZ_CHECK(a->options.given == b->options.given, "%s: other options came back", what);
	for (size_t i = 0; i < sl_options.n; i++)
		FUZZ_CHECK(strcmp(a->options.v[i], b->options.v[i]) == 0,
			   "%s: option %s=\"%s\" came back as \"%s\"", what, sl_options.s[i].key,
			   a->options.v[i], b->options.v[i]);
	FUZZ_CHECK(a->flows.n == b->flows.n, "%s: %u flows became %u", what, a->flows.n,
		   b->flows.n);
	for (uint32_t i = 0, pa = sl_ftable_next(&a->flows, 0), pb = sl_ftable_next(&b->flows, 0);
	     i < a->flows.n; i++, pa = sl_ftable_next(&a->flows, pa + 1),
		      pb = sl_ftable_next(&b->flows, pb + 1))
		FUZZ_CHECK(sl_flow_same(sl_ftable_rule(&a->flows, pa), sl_ftable_rule(&b->flows, pb)),
			   "%s: flow %u changed", what, i);
}

/* Save @db, load it back into @back (which the caller frees), and compare. */
static inline void
fuzz_db_save_load(const struct sl_db *db, struct sl_db *back, const char *what)
{
	char err[1024];

	FUZZ_CHECK(sl_db_save(db, err, sizeof(err)) == 0, "%s: save failed: %s", what, err);
	FUZZ_CHECK(sl_db_load(back, db->path, err, sizeof(err)) == 0,
		   "%s: what was saved does not load: %s", what, err);
	fuzz_db_same(db, back, what);
}

#endif /* SL_FUZZ_DB_H */
