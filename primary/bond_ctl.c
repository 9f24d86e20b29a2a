/* SPDX-License-Identifier: BSD-3-Clause */
/* The primary's bond requests: bond-show, lacp-show and the member commands (ovs-appctl bond/...). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "msg.h"
#include "primary.h"
#include "primary_bond.h"

static int
show(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen, bool lacp)
{
	const char *name = req->bond_show != NULL && req->bond_show->name != NULL
				   ? req->bond_show->name
				   : "";
	int rc = sl_bond_show(name, lacp, &rep->message);

	if (rc == -ENOENT)
		snprintf(err, errlen, "no bond \"%s\"", name);
	return rc;
}

static int
h_bond_show(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	return show(req, rep, err, errlen, false);
}
SL_REQ_HANDLER(sl_primary_handlers, BOND_SHOW, h_bond_show)

static int
h_lacp_show(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	return show(req, rep, err, errlen, true);
}
SL_REQ_HANDLER(sl_primary_handlers, LACP_SHOW, h_lacp_show)

static int
member_cmd(const Sluice__Request *req, char *err, size_t errlen, int what)
{
	const Sluice__BondMod *bm = req->bond_show; /* every BondMod member shares the slot */

	if (bm == NULL || bm->name == NULL || bm->member == NULL) {
		snprintf(err, errlen, "a bond and a member are needed");
		return -EINVAL;
	}
	return sl_bond_member_cmd(bm->name, bm->member, what, err, errlen);
}

static int
h_bond_set_active_member(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	(void)rep;
	return member_cmd(req, err, errlen, SL_BOND_CMD_ACTIVE);
}
SL_REQ_HANDLER(sl_primary_handlers, BOND_SET_ACTIVE_MEMBER, h_bond_set_active_member)

static int
h_bond_enable_member(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	(void)rep;
	return member_cmd(req, err, errlen, SL_BOND_CMD_ENABLE);
}
SL_REQ_HANDLER(sl_primary_handlers, BOND_ENABLE_MEMBER, h_bond_enable_member)

static int
h_bond_disable_member(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	(void)rep;
	return member_cmd(req, err, errlen, SL_BOND_CMD_DISABLE);
}
SL_REQ_HANDLER(sl_primary_handlers, BOND_DISABLE_MEMBER, h_bond_disable_member)
