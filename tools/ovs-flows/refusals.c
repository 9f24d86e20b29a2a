/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-ovs-refusals [-v] [FILE]: parse every flow of FILE (default
 * tools/ovs-flows/corpus.txt, one flow a line) as add-flow would, and
 * print how many sluice accepts and the refusals grouped by message,
 * largest group first -- what to implement next.  -v also lists the flows
 * of each group.  Ports p1, p2, ... are numbered 1, 2, ... as in the
 * corpus test.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow_syntax.h"
#include "corpus_ports.h"

#define SL_MAX_GROUPS 512
#define SL_MAX_LINES 4096

struct sl_group {
	char msg[256];
	unsigned int n;
	unsigned int lines[SL_MAX_LINES];
};

static struct sl_group groups[SL_MAX_GROUPS];
static unsigned int n_groups;
static char *flows[SL_MAX_LINES];

static void
count(const char *msg, unsigned int line)
{
	unsigned int i;

	for (i = 0; i < n_groups && strcmp(groups[i].msg, msg) != 0; i++)
		;
	if (i == n_groups) {
		if (n_groups == SL_MAX_GROUPS)
			return;
		snprintf(groups[n_groups++].msg, sizeof(groups[0].msg), "%s", msg);
	}
	if (groups[i].n < SL_MAX_LINES)
		groups[i].lines[groups[i].n] = line;
	groups[i].n++;
}

static int
by_count(const void *a, const void *b)
{
	const struct sl_group *x = a, *y = b;

	return x->n != y->n ? (x->n < y->n ? 1 : -1) : strcmp(x->msg, y->msg);
}

int
main(int argc, char **argv)
{
	const char *path = SL_OVS_CORPUS;
	unsigned int total = 0, accepted = 0;
	bool verbose = false;
	char line[4096], err[256];
	FILE *fp;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0)
			verbose = true;
		else
			path = argv[i];
	}
	fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (fp == NULL) {
		fprintf(stderr, "sluice-ovs-refusals: cannot open %s: %s\n", path, strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), fp) != NULL && total < SL_MAX_LINES) {
		struct sl_flow f;

		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0')
			continue;
		flows[total] = strdup(line);
		if (sl_flow_parse(line, SL_PARSE_FLOW, sl_corpus_resolve, NULL, &f, err, sizeof(err)) == 0)
			accepted++;
		else
			count(err, total);
		total++;
	}
	if (fp != stdin)
		fclose(fp);
	qsort(groups, n_groups, sizeof(groups[0]), by_count);
	printf("accepted %u of %u flows; refused %u:\n", accepted, total, total - accepted);
	for (unsigned int i = 0; i < n_groups; i++) {
		printf("%5u  %s\n", groups[i].n, groups[i].msg);
		for (unsigned int j = 0; verbose && j < groups[i].n && j < SL_MAX_LINES; j++)
			printf("         %s\n", flows[groups[i].lines[j]]);
	}
	return 0;
}
