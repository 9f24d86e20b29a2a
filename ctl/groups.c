/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluiced's OpenFlow group requests: add-group, mod-group, del-groups.
 * Each is checked against the DB as the primary checks it, forwarded (as
 * canonical text, ports by number), and committed to the DB only if the
 * primary accepted it: a group a flow uses is not deleted there, so not
 * here either.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "group_syntax.h"


static int
store_group(struct sl_daemon *d, const void *g)
{
	return sl_db_group_set(&d->db, g);
}

static Sluice__Reply *
group_mod(struct sl_daemon *d, struct sl_call *call, bool add)
{
	Sluice__GroupMod *gm = call->req->add_group;
	char err[512], text[SL_GROUP_TEXT_MAX], shown[SL_GROUP_TEXT_MAX];
	struct sl_group g;
	bool exists;

	if (sl_group_parse(gm->group, SL_GROUP_PARSE_MOD, sl_db_resolve_port, &d->db, &g, err,
			   sizeof(err)) < 0)
		return sl_reply_err(EINVAL, "%s in \"%s\"", err,
				    sl_printable(gm->group, shown, sizeof(shown)));
	exists = sl_db_group_find(&d->db, g.id) != NULL;
	if (add && exists)
		return sl_reply_err(EEXIST, "group %u already exists (mod-group changes it)", g.id);
	if (!add && !exists)
		return sl_reply_err(ENOENT, "group %u does not exist (add-group adds it)", g.id);
	sl_group_format(&g, text, sizeof(text));
	return sl_forward_canonical(d, call, &gm->group, text, store_group, &g);
}

static Sluice__Reply *
h_add_group(struct sl_daemon *d, struct sl_call *call)
{
	return group_mod(d, call, true);
}
SL_REQ_HANDLER(sl_daemon_handlers, ADD_GROUP, h_add_group)

static Sluice__Reply *
h_mod_group(struct sl_daemon *d, struct sl_call *call)
{
	return group_mod(d, call, false);
}
SL_REQ_HANDLER(sl_daemon_handlers, MOD_GROUP, h_mod_group)

static Sluice__Reply *
h_del_groups(struct sl_daemon *d, struct sl_call *call)
{
	const char *given = call->req->del_groups->group;
	char err[512], shown[SL_GROUP_TEXT_MAX];
	struct sl_group g;
	Sluice__Reply *rep;

	if (sl_group_parse(given, SL_GROUP_PARSE_ID, NULL, NULL, &g, err, sizeof(err)) < 0)
		return sl_reply_err(EINVAL, "%s in \"%s\"", err,
				    sl_printable(given, shown, sizeof(shown)));
	rep = sl_forward(d, call->req, sl_timeout_for(d->db.flows.n));
	if (sl_accepted(rep)) {
		sl_db_groups_del(&d->db, g.id);
		sl_commit_reply(d, rep);
	}
	return rep;
}
SL_REQ_HANDLER(sl_daemon_handlers, DEL_GROUPS, h_del_groups)
