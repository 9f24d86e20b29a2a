/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluicectl's OpenFlow group verbs in ovs-ofctl's syntax and output:
 * add-group, mod-group, del-groups, dump-groups, dump-group-stats (as
 * ovs-ofctl -O OpenFlow13 prints them, without the reply header line).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluicectl.h"

static void
build_group_mod(struct sl_ctl *c, Sluice__Request *req)
{
	Sluice__GroupMod *gm = xcalloc(1, sizeof(*gm));

	sluice__group_mod__init(gm);
	gm->group = c->n_args > 0 ? c->args[0] : "";
	req->add_group = gm; /* every GroupMod member shares the slot */
}
CTL_VERB(add_group, build_group_mod, NULL)
CTL_VERB(mod_group, build_group_mod, NULL)
CTL_VERB(del_groups, build_group_mod, NULL)

static void
print_dump_groups(const Sluice__Reply *rep)
{
	for (size_t i = 0; i < rep->n_groups; i++)
		printf(" %s\n", rep->groups[i]->text);
}
CTL_VERB(dump_groups, build_group_mod, print_dump_groups)

static void
print_group_stats(const Sluice__Reply *rep)
{
	for (size_t i = 0; i < rep->n_groups; i++) {
		const Sluice__GroupInfo *g = rep->groups[i];

		printf(" group_id=%u,duration=%.3fs,ref_count=%u,packet_count=%llu,byte_count=%llu",
		       g->id, (double)g->duration_ms / 1000.0, g->ref_count,
		       (unsigned long long)g->packet_count, (unsigned long long)g->byte_count);
		for (size_t b = 0; b < g->n_buckets; b++)
			printf(",bucket%zu:packet_count=%llu,byte_count=%llu", b,
			       (unsigned long long)g->buckets[b]->packet_count,
			       (unsigned long long)g->buckets[b]->byte_count);
		putchar('\n');
	}
}
CTL_VERB(dump_group_stats, build_group_mod, print_group_stats)
