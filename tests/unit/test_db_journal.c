/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DB's journal: a change appends one transaction instead of rewriting
 * the file; reloading gives exactly the DB that was in memory; a
 * transaction cut by a crash is dropped, a changed one refused; the file
 * is compacted when the journal outgrows it.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "db.h"
#include "db_fixture.h"
#include "flow_syntax.h"

TestSuite(db_journal, .init = setup, .fini = teardown, .timeout = 60);

/* The whole file (malloc'd), its length in *len. */
static char *
slurp(const char *p, size_t *len)
{
	FILE *f = fopen(p, "r");
	char *buf;
	long n;

	cr_assert_not_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void
spill(const char *p, const char *buf, size_t len)
{
	FILE *f = fopen(p, "w");

	cr_assert_not_null(f);
	cr_assert_eq(fwrite(buf, 1, len, f), len);
	fclose(f);
}

/* What sl_db_print makes of @db (malloc'd): the DB's content, whole. */
static char *
printed(const struct sl_db *db)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	cr_assert_eq(sl_db_print(db, f), 0);
	fclose(f);
	return text;
}

static struct sl_flow
flow(struct sl_db *db, const char *fmt, ...)
{
	char text[512];
	struct sl_flow f;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	memset(&f, 0, sizeof(f));
	cr_assert_eq(sl_flow_parse(text, SL_PARSE_FLOW, sl_db_resolve_port, db, &f, err,
				   sizeof(err)), 0, "%s: %s", text, err);
	return f;
}

static void
commit(struct sl_db *db)
{
	cr_assert_eq(sl_db_commit(db, err, sizeof(err)), 0, "%s", err);
}

/* Reloading the file gives the DB in memory, rules in the same order. */
static void
same_on_disk(const struct sl_db *db)
{
	struct sl_db back;
	char *a, *b;

	cr_assert_eq(sl_db_load(&back, path, err, sizeof(err)), 0, "%s", err);
	a = printed(db);
	b = printed(&back);
	cr_assert_str_eq(a, b, "the reloaded DB differs");
	free(a);
	free(b);
	sl_db_fini(&back);
}

/* A DB of two ports and @n flows, saved whole. */
static void
base_db(struct sl_db *db, int n)
{
	cr_assert_eq(sl_db_init(db, path), 0);
	add_port(db, "p1", "net_null1", 1);
	add_port(db, "p2", "net_null2", 2);
	for (int i = 0; i < n; i++) {
		struct sl_flow f = flow(db, "priority=%d,udp,tp_dst=%d,actions=output:2", 10 + i % 7,
					1000 + i);

		cr_assert(sl_ftable_add(&db->flows, &f) >= 0);
	}
	cr_assert_eq(sl_db_save(db, err, sizeof(err)), 0, "%s", err);
}

Test(db_journal, one_flow_change_appends_one_transaction)
{
	struct sl_db db;
	struct sl_flow f;
	size_t before_len, after_len;
	char *before, *after;

	base_db(&db, 2000);
	before = slurp(path, &before_len);
	f = flow(&db, "priority=99,in_port=p1,actions=output:2");
	cr_assert_eq(sl_ftable_add(&db.flows, &f), 0);
	commit(&db);
	after = slurp(path, &after_len);
	/* The file as it was, and one transaction of one line after it. */
	cr_assert_eq(memcmp(before, after, before_len), 0, "the first part was rewritten");
	cr_assert_str_eq(strchr(after + before_len, '\n') + 1,
			 "flow priority=99,in_port=1,actions=output:2\n", "%s", after + before_len);
	cr_assert_eq(strncmp(after + before_len, "txn 1 ", 6), 0, "%s", after + before_len);
	same_on_disk(&db);
	/* Nothing changed: nothing written. */
	commit(&db);
	free(after);
	{
		size_t again;

		after = slurp(path, &again);
		cr_assert_eq(again, after_len, "a commit of nothing wrote %zu bytes",
			     again - after_len);
	}
	/* A delete is one line too, and the reload no longer has the rule. */
	cr_assert_eq(sl_ftable_del(&db.flows, &f.match, f.priority, true), 1);
	commit(&db);
	free(after);
	after = slurp(path, &after_len);
	cr_assert(strstr(after + before_len, "\ndel priority=99,in_port=1,actions=output:2\n"),
		  "%s", after + before_len);
	same_on_disk(&db);
	free(before);
	free(after);
	sl_db_fini(&db);
}

Test(db_journal, port_and_option_changes_are_journaled_as_state)
{
	struct sl_db db;
	size_t before_len, len;
	char *before, *after;

	base_db(&db, 10);
	before = slurp(path, &before_len);
	add_port(&db, "p3", "net_null3", 3);
	cr_assert_geq(sl_db_option_set(&db, "pmd-maxsleep=7", true, err, sizeof(err)), 0, "%s",
		      err);
	commit(&db);
	after = slurp(path, &len);
	cr_assert_eq(memcmp(before, after, before_len), 0);
	cr_assert(strstr(after + before_len, "\nstate\n") != NULL, "%s", after + before_len);
	same_on_disk(&db);
	cr_assert_eq(sl_db_port_del(&db, "p1"), 0);
	commit(&db);
	same_on_disk(&db);
	free(before);
	free(after);
	sl_db_fini(&db);
}

/* Random adds, replaces, deletes and modifies, each committed; every reload is the DB in memory. */
Test(db_journal, random_changes_reload_exactly)
{
	struct sl_db db;
	unsigned int seed = 12345;

	base_db(&db, 300);
	for (int round = 0; round < 400; round++) {
		int op = rand_r(&seed) % 4, k = rand_r(&seed) % 400;
		struct sl_flow f = flow(&db, "priority=%d,udp,tp_dst=%d,actions=output:%d",
					10 + k % 7, 1000 + k, 1 + rand_r(&seed) % 2);

		if (op == 0 || op == 1)
			cr_assert(sl_ftable_add(&db.flows, &f) >= 0); /* add or replace */
		else if (op == 2)
			sl_ftable_del(&db.flows, &f.match, f.priority, true);
		else {
			struct sl_ftable_edit e;
			struct sl_flow sel = flow(&db, "udp,tp_dst=%d,actions=drop", 1000 + k);

			cr_assert_eq(sl_ftable_edit_del(&db.flows, &sel, 1, false, &e), 0);
			sl_ftable_edit_done(&e);
		}
		commit(&db);
		if (round % 25 == 0)
			same_on_disk(&db);
	}
	same_on_disk(&db);
	sl_db_fini(&db);
}

/* A crash during an append leaves a cut transaction: dropped, the rest kept. */
Test(db_journal, a_cut_last_transaction_is_dropped)
{
	struct sl_db db, back;
	struct sl_flow f, g;
	size_t full_len, mid_len;
	char *full, *mid, *want;
	unsigned long txns;
	size_t dropped;

	base_db(&db, 20);
	f = flow(&db, "priority=5,in_port=p1,actions=output:2");
	cr_assert_eq(sl_ftable_add(&db.flows, &f), 0);
	commit(&db);
	mid = slurp(path, &mid_len);
	want = printed(&db);
	g = flow(&db, "priority=6,in_port=p2,actions=output:1");
	cr_assert_eq(sl_ftable_add(&db.flows, &g), 0);
	cr_assert_eq(sl_ftable_del(&db.flows, &f.match, f.priority, true), 1);
	commit(&db);
	full = slurp(path, &full_len);
	for (size_t cut = mid_len; cut < full_len; cut++) {
		char *got;

		spill(path, full, cut);
		cr_assert_eq(sl_db_load(&back, path, err, sizeof(err)), 0, "cut at %zu: %s", cut,
			     err);
		got = printed(&back);
		cr_assert_str_eq(got, want, "cut at %zu", cut);
		sl_db_journal_stats(&back, &txns, &dropped);
		cr_assert_eq(txns, 1);
		cr_assert_eq(dropped, cut - mid_len);
		free(got);
		/* The next change writes the file whole: the cut tail is gone. */
		if (cut == full_len - 1) {
			cr_assert_eq(sl_ftable_add(&back.flows, &g), 0);
			cr_assert_eq(sl_db_commit(&back, err, sizeof(err)), 0, "%s", err);
			free(full);
			full = slurp(path, &full_len);
			cr_assert_null(strstr(full, "\ntxn "), "%s", full);
		}
		sl_db_fini(&back);
	}
	free(full);
	free(mid);
	free(want);
	sl_db_fini(&db);
}

/* A transaction changed by hand, with more after it, is refused whole. */
Test(db_journal, a_changed_transaction_is_refused)
{
	struct sl_db db, back;
	size_t len;
	char *full, *p;

	base_db(&db, 5);
	for (int i = 0; i < 2; i++) {
		struct sl_flow f = flow(&db, "priority=5,in_port=%d,actions=drop", i + 1);

		cr_assert_eq(sl_ftable_add(&db.flows, &f), 0);
		commit(&db);
	}
	full = slurp(path, &len);
	p = strstr(full, "in_port=1,actions=drop");
	cr_assert_not_null(p);
	p[8] = '2';
	spill(path, full, len);
	cr_assert_lt(sl_db_load(&back, path, err, sizeof(err)), 0);
	cr_assert(strstr(err, "does not verify") != NULL, "%s", err);
	/* Junk where a transaction should start. */
	free(full);
	cr_assert_eq(sl_db_save(&db, err, sizeof(err)), 0, "%s", err);
	full = slurp(path, &len);
	spill(path, full, len);
	{
		FILE *f = fopen(path, "a");

		fputs("flow priority=1,actions=drop\ntxn 0 0\n", f);
		fclose(f);
	}
	cr_assert_lt(sl_db_load(&back, path, err, sizeof(err)), 0);
	cr_assert(strstr(err, "not a journal transaction") != NULL, "%s", err);
	free(full);
	sl_db_fini(&db);
}

/* The journal never grows past the rest of the file (or 1 MiB): then the file is written whole. */
Test(db_journal, the_journal_is_compacted)
{
	struct sl_db db;
	struct stat st;
	size_t first_len;
	char *first;

	base_db(&db, 100);
	first = slurp(path, &first_len);
	for (int i = 0; i < 30000; i++) {
		struct sl_flow f = flow(&db, "priority=%d,udp,tp_dst=1000,actions=output:%d",
					10 + i % 2, 1 + i % 2);

		cr_assert(sl_ftable_add(&db.flows, &f) >= 0);
		commit(&db);
		cr_assert_eq(stat(path, &st), 0);
		cr_assert_leq((size_t)st.st_size, first_len + (1u << 20) + 4096,
			      "%lld bytes after %d commits", (long long)st.st_size, i);
	}
	same_on_disk(&db);
	free(first);
	sl_db_fini(&db);
}

/* replace-flows and a whole-table delete are too big to list: the file is written whole. */
Test(db_journal, wholesale_changes_rewrite_the_file)
{
	struct sl_db db;
	struct sl_flow f;
	size_t len;
	char *full;

	base_db(&db, 50);
	f = flow(&db, "priority=5,in_port=p1,actions=output:2");
	cr_assert_eq(sl_ftable_replace(&db.flows, &f, 1), 51);
	commit(&db);
	full = slurp(path, &len);
	cr_assert_null(strstr(full, "\ntxn "), "%s", full);
	cr_assert(strstr(full, "sluice-db 3\n") == full);
	free(full);
	same_on_disk(&db);
	sl_ftable_clear(&db.flows);
	commit(&db);
	same_on_disk(&db);
	sl_db_fini(&db);
}

/* A version-2 file (no journal) loads, and the first change writes it whole as version 3. */
Test(db_journal, an_old_file_is_rewritten_on_first_change)
{
	static const char v2[] = "sluice-db 2\nport p1 ofport=1 devargs=net_null1\n"
				 "flow in_port=1,actions=drop\n";
	struct sl_db db;
	struct sl_flow f;
	char text[256];
	size_t len;
	char *full;
	/* The end line of a version-2 file, as an older sluiced wrote it. */
	unsigned long crc = crc32(0L, (const Bytef *)v2, (uInt)strlen(v2));

	snprintf(text, sizeof(text), "%send 3 %08lx\n", v2, crc);
	spill(path, text, strlen(text));
	cr_assert_eq(sl_db_load(&db, path, err, sizeof(err)), 0, "%s", err);
	f = flow(&db, "priority=5,in_port=p1,actions=output:1");
	cr_assert_eq(sl_ftable_add(&db.flows, &f), 0);
	commit(&db);
	full = slurp(path, &len);
	cr_assert(strstr(full, "sluice-db 3\n") == full, "%s", full);
	cr_assert_null(strstr(full, "\ntxn "));
	free(full);
	same_on_disk(&db);
	sl_db_fini(&db);
}
