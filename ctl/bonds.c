/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluiced's add-bond and del-bond.  A bond is kept as ports (common/bond_conf.h):
 * its members, device ports whose bond= names it, then the bond itself, a
 * port of type=bond with the bond settings.  add-bond checks all of it
 * against the DB first, then has the primary add the members and the bond
 * (the members first: the bond takes the members it finds), and commits
 * only if all went; otherwise what was added is taken away again, so a
 * refused add-bond changes nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"


/* Ask the primary to add @p, its settings canonical as the DB keeps them. */
static Sluice__Reply *
push_add(struct sl_daemon *d, const struct sl_db_port *p)
{
	static char kv[SL_MAX_SETTINGS][SL_VALUE_MAX + 64];
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__AddPort ap = SLUICE__ADD_PORT__INIT;
	Sluice__PortSpec ps = SLUICE__PORT_SPEC__INIT;
	char *given[SL_MAX_SETTINGS];

	ps.name = (char *)p->name;
	ps.devargs = p->devargs;
	ps.ofport = p->ofport;
	ps.settings = given;
	for (size_t i = 0; i < sl_port_settings.n; i++)
		if (p->settings.given & (UINT64_C(1) << i)) {
			sl_values_kv(&sl_port_settings, &p->settings, (int)i, kv[i], sizeof(kv[i]));
			given[ps.n_settings++] = kv[i];
		}
	ap.port = &ps;
	req.cmd_case = SLUICE__REQUEST__CMD_ADD_PORT;
	req.add_port = &ap;
	return sl_forward(d, &req, SL_PRIMARY_TIMEOUT_MS);
}

static void
push_del(struct sl_daemon *d, const char *name)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__DelPort dp = SLUICE__DEL_PORT__INIT;
	Sluice__Reply *rep;

	dp.name = (char *)name;
	req.cmd_case = SLUICE__REQUEST__CMD_DEL_PORT;
	req.del_port = &dp;
	rep = sl_forward(d, &req, SL_PRIMARY_TIMEOUT_MS);
	if (!sl_accepted(rep))
		sl_log("del-bond: deleting port %s: %s", name, rep != NULL ? rep->error : "no reply");
	if (rep != NULL)
		sluice__reply__free_unpacked(rep, NULL);
}

struct bond_req {
	struct sl_db_port bond;
	struct sl_db_port m[SL_BOND_MAX_MEMBERS];
	char devargs[SL_DEVARGS_MAX];
	unsigned int n;
};

/* NAME's members and settings from add-bond's arguments; the DB has them tentatively. */
static int
parse_bond(struct sl_daemon *d, const Sluice__BondMod *bm, struct bond_req *b, char *err,
	   size_t errlen)
{
	char sub[512];
	size_t i = 0;

	if (strlen(bm->name) >= SL_PORT_NAME_LEN || sl_port_name_check(bm->name, sub, sizeof(sub)) < 0) {
		snprintf(err, errlen, "bond name \"%s\": %s", bm->name,
			 strlen(bm->name) >= SL_PORT_NAME_LEN ? "longer than 31 characters" : sub);
		return -EINVAL;
	}
	if (sl_db_port_find(&d->db, bm->name) != NULL) {
		snprintf(err, errlen, "port \"%s\" already exists", bm->name);
		return -EEXIST;
	}
	sl_db_port_init(&b->bond, bm->name, "");
	sl_db_port_setting(&b->bond, "type=bond", true, sub, sizeof(sub));
	for (; i < bm->n_args && strchr(bm->args[i], '=') == NULL; i += 2) {
		struct sl_db_port *m = &b->m[b->n];

		if (i + 1 >= bm->n_args) {
			snprintf(err, errlen, "member \"%s\" has no DEVARGS (add-bond NAME MEMBER DEVARGS "
					      "MEMBER DEVARGS... [KEY=VALUE...])", bm->args[i]);
			return -EINVAL;
		}
		if (b->n == SL_BOND_MAX_MEMBERS) {
			snprintf(err, errlen, "more than %d members", SL_BOND_MAX_MEMBERS);
			return -E2BIG;
		}
		sl_db_port_init(m, bm->args[i], bm->args[i + 1]);
		snprintf(sub, sizeof(sub), "bond=%s", bm->name);
		if (sl_db_port_setting(m, sub, true, err, errlen) < 0)
			return -EINVAL;
		b->n++;
	}
	for (; i < bm->n_args; i++) {
		if (strchr(bm->args[i], '=') == NULL) {
			snprintf(err, errlen, "\"%s\": members come before the settings", bm->args[i]);
			return -EINVAL;
		}
		if (strncmp(bm->args[i], "bond=", 5) == 0 || strncmp(bm->args[i], "type=", 5) == 0) {
			snprintf(err, errlen, "\"%s\" is not a bond setting", bm->args[i]);
			return -EINVAL;
		}
		if (sl_db_port_setting(&b->bond, bm->args[i], true, sub, sizeof(sub)) < 0) {
			snprintf(err, errlen, "bond \"%s\": %s", bm->name, sub);
			return -EINVAL;
		}
	}
	if (b->n < 2) {
		snprintf(err, errlen, "bond \"%s\" needs at least 2 members (got %u)", bm->name, b->n);
		return -EINVAL;
	}
	return 0;
}

/* Every check the DB can make, members as they will be added (a member already in use,
 * two members on one device). */
static int
check_bond(struct sl_daemon *d, struct bond_req *b, char *err, size_t errlen)
{
	const char *prim = b->bond.settings.v[SL_PS_BOND_PRIMARY];
	char sub[512];
	bool found = prim[0] == '\0';
	unsigned int added = 0;
	int rc = 0;

	if (sl_values_check_all(&sl_port_settings, &b->bond.settings, sub, sizeof(sub)) < 0) {
		snprintf(err, errlen, "bond \"%s\": %s", b->bond.name, sub);
		return -EINVAL;
	}
	if (sl_port_type_devargs(b->bond.name, &b->bond.settings, d->rundir, b->devargs,
				 sizeof(b->devargs), err, errlen) < 0)
		return -EINVAL;
	b->bond.devargs = b->devargs;
	for (unsigned int i = 0; i < b->n && rc == 0; i++) {
		struct sl_db_port *m = &b->m[i];

		found |= strcmp(m->name, prim) == 0;
		if (strcmp(m->name, b->bond.name) == 0) {
			snprintf(err, errlen, "member \"%s\" has the bond's name", m->name);
			rc = -EINVAL;
		} else if (strncmp(m->devargs, SL_BOND_DEVARGS_PREFIX, strlen(SL_BOND_DEVARGS_PREFIX)) == 0) {
			snprintf(err, errlen, "member \"%s\": a bond cannot be a member", m->name);
			rc = -EINVAL;
		} else if ((rc = sl_db_port_check(&d->db, m, sub, sizeof(sub))) < 0) {
			snprintf(err, errlen, "member \"%s\": %s", m->name, sub);
		} else if ((rc = sl_policy_check_devargs(&d->policy, m->devargs, sub, sizeof(sub))) < 0) {
			snprintf(err, errlen, "member \"%s\": %s", m->name, sub);
		} else if ((rc = sl_db_port_add(&d->db, m)) == 0) {
			added++; /* so that the next member's check sees it */
		}
	}
	if (rc == 0 && !found) {
		snprintf(err, errlen, "bond-primary=%s is not a member of bond \"%s\"", prim, b->bond.name);
		rc = -EINVAL;
	}
	if (rc == 0 && (rc = sl_db_port_check(&d->db, &b->bond, sub, sizeof(sub))) < 0)
		snprintf(err, errlen, "bond \"%s\": %s", b->bond.name, sub);
	for (unsigned int i = 0; i < added; i++)
		sl_db_port_del(&d->db, b->m[i].name);
	return rc;
}

static Sluice__Reply *
h_add_bond(struct sl_daemon *d, struct sl_call *call)
{
	const Sluice__BondMod *bm = call->req->add_bond;
	struct bond_req *b = calloc(1, sizeof(*b));
	Sluice__Reply *rep = NULL;
	char err[1024];
	unsigned int pushed = 0;
	int rc;

	if (b == NULL)
		return sl_reply_err(ENOMEM, "out of memory");
	rc = parse_bond(d, bm, b, err, sizeof(err));
	if (rc == 0)
		rc = check_bond(d, b, err, sizeof(err));
	if (rc < 0) {
		free(b);
		return sl_reply_err(-rc, "%s", err);
	}
	/* The members, each in the DB once the primary has it (the next ofport depends on it). */
	for (; pushed < b->n; pushed++) {
		if (sl_db_port_check(&d->db, &b->m[pushed], err, sizeof(err)) < 0)
			break;
		rep = push_add(d, &b->m[pushed]);
		if (!sl_accepted(rep)) {
			if (rep != NULL && rep->error != NULL) {
				snprintf(err, sizeof(err), "member \"%s\": %s", b->m[pushed].name,
					 rep->error);
				sl_set_str(&rep->error, err);
			}
			break;
		}
		sluice__reply__free_unpacked(rep, NULL);
		rep = NULL;
		sl_db_port_add(&d->db, &b->m[pushed]);
	}
	if (pushed == b->n) {
		b->bond.ofport = 0;
		if (sl_db_port_check(&d->db, &b->bond, err, sizeof(err)) == 0) {
			rep = push_add(d, &b->bond);
			if (sl_accepted(rep) && sl_db_port_add(&d->db, &b->bond) == 0) {
				char e2[512];

				if (sl_db_save(&d->db, e2, sizeof(e2)) < 0)
					sl_reply_set_error(rep, EIO, "applied to the switch but not saved: %s", e2);
				sl_log("added bond %s ofport %u with %u members", b->bond.name, b->bond.ofport, b->n);
				free(b);
				return rep;
			}
		}
	}
	/* Undo: nothing of a refused bond stays. */
	for (unsigned int i = 0; i < pushed; i++) {
		push_del(d, b->m[i].name);
		sl_db_port_del(&d->db, b->m[i].name);
	}
	if (rep == NULL)
		rep = sl_reply_err(EINVAL, "%s", err);
	free(b);
	return rep;
}
SL_REQ_HANDLER(sl_daemon_handlers, ADD_BOND, h_add_bond)

static bool
is_bond(const struct sl_db_port *p)
{
	return sl_values_u64(&sl_port_settings, &p->settings, SL_PS_TYPE) == SL_PORT_TYPE_BOND;
}

static Sluice__Reply *
h_del_bond(struct sl_daemon *d, struct sl_call *call)
{
	const char *name = call->req->del_bond->name != NULL ? call->req->del_bond->name : "";
	struct sl_db_port *p = sl_db_port_find(&d->db, name);
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__DelPort dp = SLUICE__DEL_PORT__INIT;
	Sluice__Reply *rep;
	char shown[96], err[512];

	if (p == NULL || !is_bond(p))
		return sl_reply_err(ENOENT, "no bond \"%s\"", sl_printable(name, shown, sizeof(shown)));
	dp.name = (char *)name;
	req.cmd_case = SLUICE__REQUEST__CMD_DEL_PORT;
	req.del_port = &dp;
	rep = sl_forward(d, &req, SL_PRIMARY_TIMEOUT_MS);
	if (!sl_accepted(rep))
		return rep;
	sl_db_port_del(&d->db, name);
	for (size_t i = 0; i < d->db.n_ports;) {
		if (strcmp(d->db.ports[i].settings.v[SL_PS_BOND], name) == 0) {
			char m[SL_PORT_NAME_LEN];

			snprintf(m, sizeof(m), "%s", d->db.ports[i].name);
			push_del(d, m);
			sl_db_port_del(&d->db, m);
			continue;
		}
		i++;
	}
	if (sl_db_save(&d->db, err, sizeof(err)) < 0)
		sl_reply_set_error(rep, EIO, "applied to the switch but not saved: %s", err);
	sl_set_str(&rep->message, "");
	sl_log("deleted bond %s", name);
	return rep;
}
SL_REQ_HANDLER(sl_daemon_handlers, DEL_BOND, h_del_bond)

/* add-port, del-port: bonds and their members are add-bond's and del-bond's. */
int
sl_bond_port_guard(const struct sl_db *db, const char *name, const struct sl_values *vals,
		   char *err, size_t errlen)
{
	const struct sl_db_port *p = name != NULL ? sl_db_port_find(db, name) : NULL;

	if (vals != NULL && (sl_values_u64(&sl_port_settings, vals, SL_PS_TYPE) == SL_PORT_TYPE_BOND ||
			     vals->v[SL_PS_BOND][0] != '\0')) {
		snprintf(err, errlen, "bonds and their members are made by add-bond");
		return -EINVAL;
	}
	if (p != NULL && is_bond(p)) {
		snprintf(err, errlen, "port \"%s\" is a bond: del-bond %s", name, name);
		return -EINVAL;
	}
	if (p != NULL && p->settings.v[SL_PS_BOND][0] != '\0') {
		snprintf(err, errlen, "port \"%s\" is a member of bond \"%s\": del-bond %s", name,
			 p->settings.v[SL_PS_BOND], p->settings.v[SL_PS_BOND]);
		return -EINVAL;
	}
	return 0;
}

int
sl_bond_set_check(const struct sl_db *db, const struct sl_db_port *next, char *err, size_t errlen)
{
	const char *prim = next->settings.v[SL_PS_BOND_PRIMARY];

	if (!is_bond(next) || prim[0] == '\0')
		return 0; /* bond settings on other ports: the settings' rules refuse them */
	for (size_t i = 0; i < db->n_ports; i++)
		if (strcmp(db->ports[i].settings.v[SL_PS_BOND], next->name) == 0 &&
		    strcmp(db->ports[i].name, prim) == 0)
			return 0;
	snprintf(err, errlen, "bond-primary=%s is not a member of bond \"%s\"", prim, next->name);
	return -EINVAL;
}
