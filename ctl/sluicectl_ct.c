/* SPDX-License-Identifier: BSD-3-Clause */
/* sluicectl's connection tracking verbs: dump-conntrack, flush-conntrack, ct-stats-show. */
#include "sluicectl.h"

/* VERB [zone=N]: the primary checks the zone and prints the reply's message. */
static void
build_ct_mod(struct sl_ctl *c, Sluice__Request *req)
{
	Sluice__CtMod *cm = xcalloc(1, sizeof(*cm));

	sluice__ct_mod__init(cm);
	if (c->n_args > 0)
		cm->zone = c->args[0];
	req->dump_conntrack = cm; /* every CtMod member of the oneof shares the slot */
}
CTL_VERB(dump_conntrack, build_ct_mod, NULL)
CTL_VERB(flush_conntrack, build_ct_mod, NULL)
CTL_VERB(ct_stats_show, build_ct_mod, NULL)
