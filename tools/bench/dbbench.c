/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What one flow change costs sluiced's config DB at N resident flows:
 * appended to the journal (sl_db_commit) against the file written whole
 * (sl_db_save, what every change cost before the journal), and how long
 * loading N flows takes.  No DPDK: the DB is sluiced's alone.
 *
 *   dbbench [--flows N] [--changes K] [--dir DIR]
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "flow_syntax.h"

static double
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Rule @i of the table: distinct 5-tuples, as a 1M-flow benchmark installs. */
static void
rule(struct sl_db *db, uint32_t i, int out, struct sl_flow *f)
{
	char text[256], err[256];

	snprintf(text, sizeof(text),
		 "priority=100,udp,nw_src=10.%u.%u.%u,tp_dst=%u,actions=output:%d",
		 (i >> 16) & 255, (i >> 8) & 255, i & 255, 1000 + (i % 50000), out);
	memset(f, 0, sizeof(*f));
	if (sl_flow_parse(text, SL_PARSE_FLOW, sl_db_resolve_port, db, f, err, sizeof(err)) < 0) {
		fprintf(stderr, "dbbench: %s: %s\n", text, err);
		exit(1);
	}
}

static void
check(int rc, const char *what, const char *err)
{
	if (rc < 0) {
		fprintf(stderr, "dbbench: %s: %s\n", what, err);
		exit(1);
	}
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "flows", required_argument, NULL, 'n' },
		{ "changes", required_argument, NULL, 'k' },
		{ "dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint32_t n = 100000, k = 200;
	const char *dir = "/tmp";
	char path[512], err[1024];
	double t0, *journal, whole, load;
	struct sl_db db, back;
	struct sl_flow f;
	struct stat st;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n': n = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'k': k = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'd': dir = optarg; break;
		case 'h':
			printf("usage: dbbench [--flows N] [--changes K] [--dir DIR]\n"
			       "One flow change at N resident flows: journal commit vs whole save.\n");
			return 0;
		default: return 2;
		}
	}
	if (k == 0)
		k = 1;
	snprintf(path, sizeof(path), "%s/dbbench.%d.db", dir, (int)getpid());
	check(sl_db_init(&db, path), "init", "out of memory");
	check(sl_ftable_reserve(&db.flows, n + k), "reserve", "out of memory");
	for (uint32_t i = 0; i < n; i++) {
		rule(&db, i, 1, &f);
		check(sl_ftable_add(&db.flows, &f), "add", "out of memory");
	}
	t0 = now_ms();
	check(sl_db_save(&db, err, sizeof(err)), "save", err);
	whole = now_ms() - t0;

	journal = calloc(k, sizeof(*journal));
	for (uint32_t i = 0; i < k; i++) {
		/* Alternately a new rule and a changed action of an old one. */
		rule(&db, i % 2 ? n + i : i * 7 % n, 2, &f);
		check(sl_ftable_add(&db.flows, &f), "add", "out of memory");
		t0 = now_ms();
		check(sl_db_commit(&db, err, sizeof(err)), "commit", err);
		journal[i] = now_ms() - t0;
	}
	qsort(journal, k, sizeof(*journal), cmp_double);
	stat(path, &st);
	t0 = now_ms();
	check(sl_db_load(&back, path, err, sizeof(err)), "load", err);
	load = now_ms() - t0;
	printf("dbbench: %u flows (%.1f MB file): one change committed in median %.3f ms, max "
	       "%.3f ms (journal, %u changes); the whole file written in %.1f ms; load %.1f ms "
	       "(%u flows back)\n",
	       n, st.st_size / 1e6, journal[k / 2], journal[k - 1], k, whole, load,
	       back.flows.n);
	c = back.flows.n == db.flows.n ? 0 : 1;
	if (c)
		fprintf(stderr, "dbbench: %u flows in memory, %u loaded back\n", db.flows.n,
			back.flows.n);
	sl_db_fini(&back);
	sl_db_fini(&db);
	unlink(path);
	free(journal);
	return c;
}
