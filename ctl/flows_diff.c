/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * diff-flows, as ovs-ofctl has it: two sources of flows (a file's lines,
 * or the switch itself), compared rule by rule on match and priority; a
 * rule only in the first, or different there, is printed "-RULE", one only
 * in the second, or different there, "+RULE".  The switch is what the
 * primary has (what the DB says when the primary is down).  Done in
 * sluiced, which knows the port names that files may use.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "flow_syntax.h"

/* One side: its lines parsed into @t, or the switch's flows. */
static Sluice__Reply *
load_side(struct sl_daemon *d, char **lines, size_t n, bool is_switch, const char *which,
	  struct sl_ftable *t)
{
	char err[512], shown[SL_FLOW_TEXT_MAX];
	Sluice__Reply *rep = NULL;
	struct sl_flow f;
	bool from_primary = is_switch && d->phase == SL_PRI_UP;

	if (is_switch && !from_primary) {
		/* The DB is what the switch will have once the primary is back. */
		if (sl_ftable_reserve(t, d->db.flows.n) < 0)
			return sl_reply_err(ENOMEM, "out of memory");
		SL_FTABLE_FOREACH(p, &d->db.flows)
		sl_ftable_add(t, sl_ftable_rule(&d->db.flows, p)); /* reserved: cannot fail */
		return NULL;
	}
	if (from_primary) {
		rep = sl_ask_primary(d, SLUICE__REQUEST__CMD_DUMP_FLOWS, sl_timeout_for(d->db.flows.n),
				     err, sizeof(err));
		if (rep == NULL)
			return sl_reply_err(EIO, "dump-flows: %s", err);
		lines = NULL;
		n = rep->n_flows;
	}
	for (size_t i = 0; i < n; i++) {
		const char *text = from_primary ? rep->flows[i]->text : lines[i];

		if (sl_flow_parse(text, SL_PARSE_FLOW, sl_db_resolve_port, &d->db, &f, err,
				  sizeof(err)) < 0) {
			Sluice__Reply *bad = sl_reply_err(EINVAL, "%s source, flow %zu: %s in \"%s\"",
							  which, i + 1, err,
							  sl_printable(text, shown, sizeof(shown)));

			if (rep != NULL)
				sluice__reply__free_unpacked(rep, NULL);
			return bad;
		}
		/* As in a flow table: the later of two with one identity wins. */
		if (sl_ftable_add(t, &f) < 0) {
			if (rep != NULL)
				sluice__reply__free_unpacked(rep, NULL);
			return sl_reply_err(ENOMEM, "out of memory");
		}
	}
	if (rep != NULL)
		sluice__reply__free_unpacked(rep, NULL);
	return NULL;
}

/* "MATCH[ cookie=0x..][ idle_timeout=N][ hard_timeout=N] actions=ACTIONS", as ovs-ofctl prints a version. */
static int
rule_text(const struct sl_flow *f, char sign, char *buf, size_t len)
{
	char match[SL_FLOW_TEXT_MAX], acts[SL_FLOW_TEXT_MAX], extra[96] = "";
	struct sl_match m = f->match;
	size_t used = 0;

	/* A rule's table: said unless it is table 0, as ovs-ofctl prints it. */
	if (m.mkey.table == 0)
		m.mmask.table = 0;
	sl_match_format(&m, f->priority, match, sizeof(match));
	sl_actions_format(&f->actions, acts, sizeof(acts));
	if (f->cookie != 0)
		used += (size_t)snprintf(extra + used, sizeof(extra) - used, " cookie=0x%" PRIx64,
					 f->cookie);
	if (f->idle_timeout != 0)
		used += (size_t)snprintf(extra + used, sizeof(extra) - used, " idle_timeout=%u",
					 f->idle_timeout);
	if (f->hard_timeout != 0)
		snprintf(extra + used, sizeof(extra) - used, " hard_timeout=%u", f->hard_timeout);
	return snprintf(buf, len, "%c%s%s actions=%s", sign, match, extra, acts);
}

static int
add_line(Sluice__Reply *rep, const struct sl_flow *f, char sign)
{
	char text[3 * SL_FLOW_TEXT_MAX];
	char **arr = realloc(rep->diff, sizeof(*arr) * (rep->n_diff + 1));

	if (arr == NULL)
		return -ENOMEM;
	rep->diff = arr;
	rule_text(f, sign, text, sizeof(text));
	arr[rep->n_diff] = strdup(text);
	if (arr[rep->n_diff] == NULL)
		return -ENOMEM;
	rep->n_diff++;
	return 0;
}

static int
diff(const struct sl_ftable *a, const struct sl_ftable *b, Sluice__Reply *rep)
{
	int rc = 0;

	SL_FTABLE_FOREACH(i, a) {
		const struct sl_flow *fa = sl_ftable_rule(a, i);
		const struct sl_flow *fb = sl_ftable_find(b, &fa->match, fa->priority);

		if (fb != NULL && sl_flow_same(fa, fb))
			continue;
		rc = add_line(rep, fa, '-');
		if (rc == 0 && fb != NULL)
			rc = add_line(rep, fb, '+');
		if (rc < 0)
			return rc;
	}
	SL_FTABLE_FOREACH(i, b)
	if (sl_ftable_find(a, &sl_ftable_rule(b, i)->match, sl_ftable_rule(b, i)->priority) == NULL) {
		rc = add_line(rep, sl_ftable_rule(b, i), '+');
		if (rc < 0)
			return rc;
	}
	return rc;
}

static Sluice__Reply *
h_diff_flows(struct sl_daemon *d, struct sl_call *call)
{
	const Sluice__DiffFlows *df = call->req->diff_flows;
	struct sl_ftable a, b;
	Sluice__Reply *rep;

	sl_ftable_init(&a);
	sl_ftable_init(&b);
	rep = load_side(d, df->a, df->n_a, df->a_is_switch, "first", &a);
	if (rep == NULL)
		rep = load_side(d, df->b, df->n_b, df->b_is_switch, "second", &b);
	if (rep == NULL) {
		rep = sl_reply_new();
		if (rep != NULL && diff(&a, &b, rep) < 0) {
			sluice__reply__free_unpacked(rep, NULL);
			rep = sl_reply_err(ENOMEM, "out of memory");
		}
	}
	sl_ftable_fini(&a);
	sl_ftable_fini(&b);
	return rep;
}
SL_REQ_HANDLER(sl_daemon_handlers, DIFF_FLOWS, h_diff_flows)
