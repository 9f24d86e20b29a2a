/* SPDX-License-Identifier: BSD-3-Clause */
/* sluicectl's bond verbs: add-bond, del-bond, bond-show, lacp-show, the member commands. */
#include "sluicectl.h"

/* add-bond NAME ARGS...: sluiced tells members from settings (it knows the settings). */
static void
build_add_bond(struct sl_ctl *c, Sluice__Request *req)
{
	Sluice__BondMod *bm = xcalloc(1, sizeof(*bm));

	sluice__bond_mod__init(bm);
	bm->name = c->args[0];
	bm->args = c->args + 1;
	bm->n_args = (size_t)c->n_args - 1;
	req->add_bond = bm;
}
CTL_VERB(add_bond, build_add_bond, NULL)

/* VERB [NAME [MEMBER]] */
static void
build_bond_ref(struct sl_ctl *c, Sluice__Request *req)
{
	Sluice__BondMod *bm = xcalloc(1, sizeof(*bm));

	sluice__bond_mod__init(bm);
	if (c->n_args > 0)
		bm->name = c->args[0];
	if (c->n_args > 1)
		bm->member = c->args[1];
	req->bond_show = bm; /* every BondMod member of the oneof shares the slot */
}
CTL_VERB(del_bond, build_bond_ref, NULL)
CTL_VERB(bond_show, build_bond_ref, NULL)
CTL_VERB(lacp_show, build_bond_ref, NULL)
CTL_VERB(bond_set_active_member, build_bond_ref, NULL)
CTL_VERB(bond_enable_member, build_bond_ref, NULL)
CTL_VERB(bond_disable_member, build_bond_ref, NULL)
