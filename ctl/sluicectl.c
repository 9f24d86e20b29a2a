/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluicectl: send one request to sluiced and print its reply, as tables a
 * person reads (in the manner of ovs-vsctl show, ovs-ofctl dump-flows,
 * ovs-appctl dpif-netdev/pmd-stats-show) or as JSON for scripts.
 * Exit status: 0 on success, 1 if the request failed, 2 for a usage error
 * (and, as in ovs-ofctl, for diff-flows finding differences);
 * on failure exactly one line on stderr: "sluicectl: VERB: message".
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <zmq.h>

#include "json.h"
#include "msg.h"
#include "sluicectl.h"
#include "settings.h"
#include "sluicectl.h"
#include "util.h"
#include "verbs.h"

#define SL_CTL_DEFAULT_TIMEOUT_MS 5000

struct ctl_verb ctl_verbs[SL_N_VERBS];
struct sl_ctl *sl_ctl_cur;

static const char *sl_cur_verb = NULL;

void
die(int code, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* One line, whatever the message held. */
	msg[strcspn(msg, "\n")] = '\0';
	if (sl_cur_verb != NULL)
		fprintf(stderr, "sluicectl: %s: %s\n", sl_cur_verb, msg);
	else
		fprintf(stderr, "sluicectl: %s\n", msg);
	exit(code);
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (p == NULL)
		die(1, "out of memory");
	return p;
}

/* ---- building requests ---- */

static Sluice__Empty sl_empty = SLUICE__EMPTY__INIT;

static void
build_empty(struct sl_ctl *c, Sluice__Request *req)
{
	(void)c;
	/* Every Empty member of the oneof shares this slot. */
	req->show = &sl_empty;
}

static uint32_t
arg_u32(const char *what, const char *val, uint64_t max)
{
	uint64_t v;

	if (sl_parse_u64(val, 0, max, &v) < 0)
		die(2, "%s: \"%s\" is not a number in 0..%llu", what, val, (unsigned long long)max);
	return (uint32_t)v;
}

static void
build_add_port(struct sl_ctl *c, Sluice__Request *req)
{
	Sluice__AddPort *ap = xcalloc(1, sizeof(*ap));
	Sluice__PortSpec *ps = xcalloc(1, sizeof(*ps));
	int i;

	sluice__add_port__init(ap);
	sluice__port_spec__init(ps);
	ps->name = c->args[0];
	ps->devargs = c->args[1];
	ps->settings = xcalloc((size_t)c->n_args, sizeof(char *));
	/* add-port NAME type=dpdkvhostuser ...: the type makes the devargs. */
	i = 2;
	if (strncmp(c->args[1], "type=", 5) == 0) {
		ps->devargs = "";
		i = 1;
	}
	for (; i < c->n_args; i++) {
		char *a = c->args[i];

		if (strncmp(a, "ofport=", 7) == 0)
			ps->ofport = strcasecmp(a + 7, "LOCAL") == 0
					     ? SL_OFPP_LOCAL
					     : arg_u32("ofport", a + 7, UINT32_MAX);
		else if (strchr(a, '=') != NULL && a[0] != '=')
			ps->settings[ps->n_settings++] = a; /* sluiced checks it */
		else
			die(2, "bad argument \"%s\": expected ofport=N or KEY=VALUE", a);
	}
	ap->port = ps;
	req->add_port = ap;
}
CTL_VERB(add_port, build_add_port, NULL)


static void
build_del_port(struct sl_ctl *c, Sluice__Request *req)
{
	Sluice__DelPort *dp = xcalloc(1, sizeof(*dp));

	sluice__del_port__init(dp);
	dp->name = c->args[0];
	req->del_port = dp;
}
CTL_VERB(del_port, build_del_port, NULL)


static void
build_set_port(struct sl_ctl *c, Sluice__Request *req)
{
	Sluice__SetPort *sp = xcalloc(1, sizeof(*sp));
	int i;

	sluice__set_port__init(sp);
	sp->name = c->args[0];
	sp->n_settings = (size_t)c->n_args - 1;
	sp->settings = &c->args[1];
	for (i = 1; i < c->n_args; i++)
		if (strchr(c->args[i], '=') == NULL)
			die(2, "bad setting \"%s\": expected KEY=VALUE", c->args[i]);
	req->set_port = sp;
}
CTL_VERB(set_port, build_set_port, NULL)


static void
build_detach(struct sl_ctl *c, Sluice__Request *req)
{
	Sluice__Detach *d = xcalloc(1, sizeof(*d));

	sluice__detach__init(d);
	d->devargs = c->args[0];
	req->detach = d;
}
CTL_VERB(detach, build_detach, NULL)


static Sluice__FlowMod *
flow_mod(char **flows, size_t n, bool strict)
{
	Sluice__FlowMod *fm = xcalloc(1, sizeof(*fm));

	sluice__flow_mod__init(fm);
	fm->flows = flows;
	fm->n_flows = n;
	fm->strict = strict;
	return fm;
}

/*
 * Flows from FILE or stdin into @lines: one a line; blank lines and '#'
 * comments skipped.  @nos, if not NULL: each one's line number in the file.
 */
static void
read_lines(const char *name, char ***lines, size_t *n_lines, size_t **nos)
{
	FILE *f = strcmp(name, "-") == 0 ? stdin : fopen(name, "r");
	size_t cap = 0, lcap = 0, lineno = 0;
	char *line = NULL, *s;
	ssize_t len;

	if (f == NULL)
		die(1, "cannot read %s: %s", name, strerror(errno));
	while ((len = getline(&line, &lcap, f)) >= 0) {
		lineno++;
		while (len > 0 && strchr(" \t\r\n", line[len - 1]) != NULL)
			line[--len] = '\0';
		s = line + strspn(line, " \t");
		if (*s == '\0' || *s == '#')
			continue;
		if (*n_lines == cap) {
			cap = cap ? cap * 2 : 256;
			*lines = realloc(*lines, cap * sizeof(**lines));
			if (nos != NULL)
				*nos = realloc(*nos, cap * sizeof(**nos));
			if (*lines == NULL || (nos != NULL && *nos == NULL))
				die(1, "out of memory");
		}
		if (nos != NULL)
			(*nos)[*n_lines] = lineno;
		(*lines)[*n_lines] = strdup(s);
		if ((*lines)[(*n_lines)++] == NULL)
			die(1, "out of memory");
	}
	if (ferror(f))
		die(1, "cannot read %s: %s", name, strerror(errno));
	free(line);
	if (f != stdin)
		fclose(f);
}

static void
read_flow_file(struct sl_ctl *c, const char *name)
{
	read_lines(name, &c->lines, &c->n_lines, &c->line_nos);
	c->lines_file = strcmp(name, "-") == 0 ? "(stdin)" : name;
}

/*
 * An error about "flow N: ..." of flows read from a file, as ovs-ofctl
 * puts it: "FILE:LINE: ...".  Anything else is printed as it came.
 */
static const char *
error_at_line(const struct sl_ctl *c, const char *msg, char *buf, size_t len)
{
	const char *rest;
	size_t n = c->line_nos != NULL ? sl_batch_error_flow(msg, &rest) : 0;

	if (n == 0 || n > c->n_lines)
		return msg;
	snprintf(buf, len, "%s:%zu: %s", c->lines_file, c->line_nos[n - 1], rest);
	return buf;
}

static void
build_add_flow(struct sl_ctl *c, Sluice__Request *req)
{
	req->add_flows = flow_mod(&c->args[0], 1, false);
}
CTL_VERB(add_flow, build_add_flow, NULL)


static void
build_add_flows(struct sl_ctl *c, Sluice__Request *req)
{
	read_flow_file(c, c->args[0]);
	req->add_flows = flow_mod(c->lines, c->n_lines, false);
}
CTL_VERB(add_flows, build_add_flows, NULL)


static void
build_replace_flows(struct sl_ctl *c, Sluice__Request *req)
{
	read_flow_file(c, c->args[0]);
	req->replace_flows = flow_mod(c->lines, c->n_lines, false);
}
CTL_VERB(replace_flows, build_replace_flows, NULL)


/*
 * The arguments of a flow verb: at most one FLOW or MATCH, and ovs-ofctl's
 * options (--strict, and for dump-flows --no-stats, --names) in any place.
 */
static char **
flow_args(struct sl_ctl *c, bool dump)
{
	char **match = NULL;

	for (int i = 0; i < c->n_args; i++) {
		if (strcmp(c->args[i], "--strict") == 0)
			c->strict = true;
		else if (dump && strcmp(c->args[i], "--no-stats") == 0)
			c->no_stats = true;
		else if (dump && strcmp(c->args[i], "--names") == 0)
			c->names = true;
		else if (strncmp(c->args[i], "--", 2) == 0)
			die(2, "unknown option \"%s\"", c->args[i]);
		else if (match == NULL)
			match = &c->args[i];
		else
			die(2, "usage: sluicectl %s %s", sl_verb_by_name(c->verb)->name,
			    sl_verb_by_name(c->verb)->usage);
	}
	return match;
}

static void
build_del_flows(struct sl_ctl *c, Sluice__Request *req)
{
	char **match = flow_args(c, false);

	if (c->strict && match == NULL)
		die(2, "--strict needs a MATCH");
	req->del_flows = flow_mod(match, match ? 1 : 0, c->strict);
}
CTL_VERB(del_flows, build_del_flows, NULL)


static void
build_mod_flows(struct sl_ctl *c, Sluice__Request *req)
{
	char **flow = flow_args(c, false);

	if (flow == NULL)
		die(2, "usage: sluicectl mod-flows FLOW [--strict]");
	req->mod_flows = flow_mod(flow, 1, c->strict);
}
CTL_VERB(mod_flows, build_mod_flows, NULL)


static void
build_dump_flows(struct sl_ctl *c, Sluice__Request *req)
{
	char **match = flow_args(c, true);

	req->dump_flows = flow_mod(match, match ? 1 : 0, c->strict);
}


static void
build_dump_aggregate(struct sl_ctl *c, Sluice__Request *req)
{
	char **match = flow_args(c, false);

	req->dump_aggregate = flow_mod(match, match ? 1 : 0, c->strict);
}


/* diff-flows SOURCE [SOURCE]: a FILE (or - for stdin), or br0 for the switch; one SOURCE is compared with the switch. */
static void
build_diff_flows(struct sl_ctl *c, Sluice__Request *req)
{
	Sluice__DiffFlows *df = xcalloc(1, sizeof(*df));
	bool is_switch[2] = { true, true };

	sluice__diff_flows__init(df);
	for (int i = 0; i < c->n_args; i++) {
		is_switch[i] = strcmp(c->args[i], SL_BRIDGE_NAME) == 0;
		if (!is_switch[i])
			read_lines(c->args[i], i == 0 ? &df->a : &df->b, i == 0 ? &df->n_a : &df->n_b,
				   NULL);
	}
	df->a_is_switch = is_switch[0];
	df->b_is_switch = is_switch[1];
	req->diff_flows = df;
}


static void
build_dump_ports(struct sl_ctl *c, Sluice__Request *req)
{
	Sluice__DumpPorts *dp = xcalloc(1, sizeof(*dp));

	sluice__dump_ports__init(dp);
	for (int i = 0; i < c->n_args; i++) {
		if (strcmp(c->args[i], "--xstats") == 0)
			dp->xstats = true;
		else if (dp->name == NULL || dp->name[0] == '\0')
			dp->name = c->args[i];
		else
			die(2, "usage: sluicectl dump-ports [--xstats] [NAME]");
	}
	req->dump_ports = dp;
}

static void
build_worker_restart(struct sl_ctl *c, Sluice__Request *req)
{
	Sluice__WorkerRestart *wr = xcalloc(1, sizeof(*wr));

	sluice__worker_restart__init(wr);
	if (strcmp(c->args[0], "--all") == 0)
		wr->all = true;
	else
		wr->id = arg_u32("worker id", c->args[0], UINT32_MAX);
	req->worker_restart = wr;
}
CTL_VERB(worker_restart, build_worker_restart, NULL)


static void
build_set_option(struct sl_ctl *c, Sluice__Request *req)
{
	Sluice__SetOption *so = xcalloc(1, sizeof(*so));
	char *eq = strchr(c->args[0], '=');

	if (eq == NULL || eq == c->args[0])
		die(2, "expected OPTION=VALUE, got \"%s\"", c->args[0]);
	sluice__set_option__init(so);
	*eq = '\0';
	so->key = c->args[0];
	so->value = eq + 1;
	req->set_option = so;
}
CTL_VERB(set, build_set_option, NULL)


/* ---- printing replies ---- */

static const char *
yes_no(bool b)
{
	return b ? "yes" : "no";
}

static void
print_workers_short(const Sluice__Reply *rep)
{
	size_t i;

	for (i = 0; i < rep->n_workers; i++) {
		const Sluice__WorkerInfo *w = rep->workers[i];

		printf("    Worker %u: %s, pid %d, core %d, lcore %u, restarts %llu%s%s\n", w->id,
		       sl_state_name(w->state), w->pid, w->core, w->lcore,
		       (unsigned long long)w->restarts, w->reason[0] ? ": " : "", w->reason);
	}
}

/* "10 Gbps", "100 Mbps": a link speed in Mbps as DPDK and ethtool say it. */
static const char *
speed_text(uint32_t mbps)
{
	static char buf[32];

	if (mbps >= 1000 && mbps % 1000 == 0)
		snprintf(buf, sizeof(buf), "%u Gbps", mbps / 1000);
	else if (mbps >= 1000)
		snprintf(buf, sizeof(buf), "%.1f Gbps", mbps / 1000.0);
	else
		snprintf(buf, sizeof(buf), "%u Mbps", mbps);
	return buf;
}

/* A bond setting (common/bond_conf.h) at its default on a port that is no bond: not worth a line. */
static bool
bond_noise(const Sluice__PortInfo *p, size_t i, const char *value)
{
	return i >= SL_PS_BOND && strcmp(p->devargs, "") != 0 &&
	       strncmp(p->devargs, SL_BOND_DEVARGS_PREFIX, strlen(SL_BOND_DEVARGS_PREFIX)) != 0 &&
	       strcmp(value, sl_port_settings.s[i].def) == 0;
}

/* Every port setting, in the order of common/settings.h. */
static void
print_port_settings(const Sluice__PortInfo *p)
{
	for (size_t i = 0; i < sl_port_settings.n; i++)
		for (size_t j = 0; j < p->n_settings; j++)
			if (strcmp(p->settings[j]->key, sl_port_settings.s[i].key) == 0 &&
			    !bond_noise(p, i, p->settings[j]->value))
				printf("        %s: %s\n", p->settings[j]->key, p->settings[j]->value);
}

static void
print_show(const Sluice__Reply *rep)
{
	const Sluice__DaemonInfo *di = rep->daemon;
	size_t i;

	if (di != NULL) {
		printf("sluiced: pid %d, rundir %s, db %s (%u flows)\n", di->sluiced_pid, di->rundir,
		       di->db, di->n_flows);
		printf("    sluice-primary: %s, pid %d, restarts %llu%s%s\n",
		       sl_state_name(di->primary_state),
		       di->primary_pid, (unsigned long long)di->primary_restarts,
		       di->primary_reason[0] ? ": " : "", di->primary_reason);
		if (di->replay_error[0])
			printf("    last replay failed in part: %s\n", di->replay_error);
	}
	for (i = 0; i < rep->n_ports; i++) {
		const Sluice__PortInfo *p = rep->ports[i];

		printf("    Port %s\n", p->name);
		if (p->ofport == SL_OFPP_LOCAL)
			printf("        ofport: LOCAL (%u, the bridge's local port)\n", p->ofport);
		else
			printf("        ofport: %u\n", p->ofport);
		printf("        devargs: %s\n", p->devargs);
		print_port_settings(p);
		if (p->driver[0])
			printf("        device: mtu %u, n_rxq %u, n_txq %u\n", p->mtu, p->n_rxq,
			       p->n_txq);
		if (p->driver[0])
			printf("        driver: %s, port_id: %u, mac: %s, link: %s\n", p->driver,
			       p->port_id, p->mac[0] ? p->mac : "-", p->link_up ? "up" : "down");
		if (p->driver[0] && p->link_speed != 0)
			printf("        link_speed: %s, duplex: %s\n", speed_text(p->link_speed),
			       p->link_full_duplex ? "full" : "half");
		if (p->mempool[0])
			printf("        mempool: %s (%u-byte buffers)\n", p->mempool,
			       p->mbuf_buf_size);
		if (p->driver[0])
			printf("        rx_csum_offload: %s\n", p->rx_csum_offload ? "true" : "false");
		if (p->bridged || p->tx_shared)
			printf("        bridged by the primary: %s, shared tx queues: %s\n",
			       yes_no(p->bridged), yes_no(p->tx_shared));
	}
	print_workers_short(rep);
	for (i = 0; i < rep->n_options; i++)
		printf("    option %s=%s\n", rep->options[i]->key, rep->options[i]->value);
	if (rep->message != NULL && rep->message[0] != '\0')
		printf("    %s\n", rep->message); /* the connection table */
}
CTL_VERB(show, NULL, print_show)


/* The text of a canonical flow after its cookie and timeouts, which dump-flows prints apart. */
static const char *
rule_part(const char *text)
{
	static const char *const lead[] = { "cookie=", "idle_timeout=", "hard_timeout=",
					    "importance=" };

	for (size_t i = 0; i < sizeof(lead) / sizeof(lead[0]); i++)
		if (strncmp(text, lead[i], strlen(lead[i])) == 0 && strchr(text, ',') != NULL)
			text = strchr(text, ',') + 1;
	return text;
}

/* The value of "importance=N" among the items before the rule, or 0. */
static unsigned long
lead_importance(const char *text)
{
	const char *rule = rule_part(text), *p = strstr(text, "importance=");

	return p != NULL && p < rule ? strtoul(p + strlen("importance="), NULL, 10) : 0;
}

/* The name of the port numbered @ofport, or NULL. */
static const char *
port_name(const Sluice__Reply *ports, unsigned long ofport)
{
	for (size_t i = 0; ports != NULL && i < ports->n_ports; i++)
		if (ports->ports[i]->ofport == ofport)
			return ports->ports[i]->name;
	return NULL;
}

/* --names: in_port=N and output:N (whole items of the canonical text) by the port's name. */
static void
print_with_names(const char *rule, const Sluice__Reply *ports)
{
	static const char *const keys[] = { "in_port=", "output:" };
	const char *p = rule;

	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		bool done = false;

		for (size_t k = 0; k < 2 && !done; k++) {
			size_t kl = strlen(keys[k]);
			char *end;
			unsigned long v;
			const char *name;

			/* "actions=output:N" starts the action list */
			const char *item = strncmp(p, "actions=", 8) == 0 ? p + 8 : p;

			if (strncmp(item, keys[k], kl) != 0)
				continue;
			v = strtoul(item + kl, &end, 10);
			name = end == p + n && end != item + kl ? port_name(ports, v) : NULL;
			if (name != NULL) {
				printf("%.*s%s", (int)(item + kl - p), p, name);
				done = true;
			}
		}
		if (!done)
			printf("%.*s", (int)n, p);
		p += n;
		if (*p == ',')
			putchar(*p++);
	}
}

static void
print_dump_flows(const Sluice__Reply *rep)
{
	const struct sl_ctl *c = sl_ctl_cur;
	size_t i;

	/* ovs-ofctl's order: cookie, duration, n_packets, n_bytes,
	 * idle_timeout, hard_timeout, idle_age, hard_age, then the rule;
	 * --no-stats keeps only what describes the flow. */
	for (i = 0; i < rep->n_flows; i++) {
		const Sluice__FlowInfo *f = rep->flows[i];

		putchar(' ');
		if (!c->no_stats || f->cookie != 0)
			printf("cookie=0x%llx, ", (unsigned long long)f->cookie);
		if (!c->no_stats)
			printf("duration=%.3fs, n_packets=%llu, n_bytes=%llu, ",
			       (double)f->duration_ms / 1000.0, (unsigned long long)f->n_packets,
			       (unsigned long long)f->n_bytes);
		if (f->idle_timeout != 0)
			printf("idle_timeout=%u, ", f->idle_timeout);
		if (f->hard_timeout != 0)
			printf("hard_timeout=%u, ", f->hard_timeout);
		if (lead_importance(f->text) != 0)
			printf("importance=%lu, ", lead_importance(f->text));
		if (!c->no_stats) {
			printf("idle_age=%llu, ", (unsigned long long)(f->idle_age_ms / 1000));
			/* Shown once it differs from the duration: after a mod-flows. */
			if (f->hard_age_ms / 1000 != f->duration_ms / 1000)
				printf("hard_age=%llu, ", (unsigned long long)(f->hard_age_ms / 1000));
		}
		if (c->names)
			print_with_names(rule_part(f->text), c->ports);
		else
			fputs(rule_part(f->text), stdout);
		putchar('\n');
	}
}
CTL_VERB(dump_flows, build_dump_flows, print_dump_flows)


static void
print_dump_aggregate(const Sluice__Reply *rep)
{
	const Sluice__AggregateInfo *a = rep->aggregate;

	/* As ovs-ofctl prints it (OpenFlow 1.0 with Nicira extensions; the
	 * transaction id is that of ovs-ofctl's request, the fourth it sends). */
	printf("NXST_AGGREGATE reply (xid=0x4): packet_count=%llu byte_count=%llu flow_count=%u\n",
	       a != NULL ? (unsigned long long)a->packet_count : 0ull,
	       a != NULL ? (unsigned long long)a->byte_count : 0ull, a != NULL ? a->flow_count : 0);
}
CTL_VERB(dump_aggregate, build_dump_aggregate, print_dump_aggregate)


static void
print_diff_flows(const Sluice__Reply *rep)
{
	for (size_t i = 0; i < rep->n_diff; i++)
		printf("%s\n", rep->diff[i]);
}
CTL_VERB(diff_flows, build_diff_flows, print_diff_flows)


static void
print_dump_ports(const Sluice__Reply *rep)
{
	size_t i;

	printf("%zu ports\n", rep->n_port_stats);
	for (i = 0; i < rep->n_port_stats; i++) {
		const Sluice__PortStats *s = rep->port_stats[i];

		char num[16];

		/* As ovs-ofctl dump-ports: "port LOCAL" for the bridge's own. */
		if (s->ofport == SL_OFPP_LOCAL)
			snprintf(num, sizeof(num), "LOCAL");
		else
			snprintf(num, sizeof(num), "%2u", s->ofport);
		printf("  port %s (%s): rx pkts=%llu, bytes=%llu, drop=%llu, errs=%llu\n", num,
		       s->name, (unsigned long long)s->rx_packets, (unsigned long long)s->rx_bytes,
		       (unsigned long long)s->rx_dropped, (unsigned long long)s->rx_errors);
		printf("           tx pkts=%llu, bytes=%llu, drop=%llu, errs=%llu\n",
		       (unsigned long long)s->tx_packets, (unsigned long long)s->tx_bytes,
		       (unsigned long long)s->tx_dropped, (unsigned long long)s->tx_errors);
		printf("           rx_qos_drops=%llu, tx_qos_drops=%llu\n",
		       (unsigned long long)s->rx_qos_drops, (unsigned long long)s->tx_qos_drops);
		for (size_t q = 0; q < s->n_rxq; q++)
			printf("           rxq %u: pkts=%llu, bytes=%llu, errs=%llu\n",
			       s->rxq[q]->queue, (unsigned long long)s->rxq[q]->packets,
			       (unsigned long long)s->rxq[q]->bytes,
			       (unsigned long long)s->rxq[q]->errors);
		for (size_t q = 0; q < s->n_txq; q++)
			printf("           txq %u: pkts=%llu, bytes=%llu\n", s->txq[q]->queue,
			       (unsigned long long)s->txq[q]->packets,
			       (unsigned long long)s->txq[q]->bytes);
		if (s->n_xstats > 0)
			printf("           extended statistics:\n");
		for (size_t x = 0; x < s->n_xstats; x++)
			printf("             %s=%llu\n", s->xstats[x]->name,
			       (unsigned long long)s->xstats[x]->value);
	}
}
CTL_VERB(dump_ports, build_dump_ports, print_dump_ports)


static void
print_worker_list(const Sluice__Reply *rep)
{
	size_t i;

	printf("%-3s %-8s %-6s %-5s %-11s %-9s %s\n", "ID", "PID", "LCORE", "CORE", "STATE",
	       "RESTARTS", "REASON");
	for (i = 0; i < rep->n_workers; i++) {
		const Sluice__WorkerInfo *w = rep->workers[i];

		printf("%-3u %-8d %-6u %-5d %-11s %-9llu %s\n", w->id, w->pid, w->lcore, w->core,
		       sl_state_name(w->state), (unsigned long long)w->restarts, w->reason);
	}
}
CTL_VERB(worker_list, NULL, print_worker_list)


static void
print_mempools(const Sluice__Reply *rep)
{
	size_t i;

	printf("%-20s %-8s %7s %7s %7s %8s %8s %8s %7s  %s\n", "NAME", "KIND", "SIZE", "AVAIL",
	       "IN_USE", "RESERVED", "BUF_SIZE", "HEADROOM", "MAX_MTU", "USERS");
	for (i = 0; i < rep->n_mempools; i++) {
		const Sluice__MempoolInfo *m = rep->mempools[i];

		printf("%-20s %-8s %7u %7u %7u %8u %8u %8u %7u  %s\n", m->name, m->kind, m->size,
		       m->avail, m->in_use, m->reserved, m->buf_size, m->headroom, m->max_mtu,
		       m->users[0] ? m->users : "-");
	}
}
CTL_VERB(mempool_show, NULL, print_mempools)


/* ---- the command line ---- */

static void
usage_settings(FILE *out, const struct sl_settings *t, const char *title)
{
	char range[128], left[96];

	fprintf(out, "\n%s:\n", title);
	for (size_t i = 0; i < t->n; i++) {
		sl_setting_range(&t->s[i], range, sizeof(range));
		snprintf(left, sizeof(left), "%s=%s", t->s[i].key, range);
		fprintf(out, "  %-34s %s (default %s%s)\n", left, t->s[i].help, t->s[i].def,
			t->s[i].flags & SL_SET_LIVE ? "" : "; only at add-port");
	}
}

static void
usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: sluicectl [--rundir DIR] [--json] [--timeout MS] VERB [ARGS...]\n\n"
		     "Send one command to sluiced (ipc://DIR/sluiced.sock) and print the reply.\n\n"
		     "  --rundir DIR   instance directory (default: $SLUICE_RUNDIR, else %s)\n"
		     "  --json         print the whole reply as JSON\n"
		     "  --timeout MS   wait this long for the reply (default: %d, more for big\n"
		     "                 flow files)\n"
		     "  --strict       del-flows, mod-flows, dump-flows, dump-aggregate: the flow\n"
		     "                 with exactly this match and priority, not all it covers\n"
		     "  --no-stats     dump-flows: no duration, counters or ages\n"
		     "  --names        dump-flows: ports by name\n"
		     "  --help         this text\n\nVerbs:\n",
		SL_DEFAULT_RUNDIR, SL_CTL_DEFAULT_TIMEOUT_MS);
	for (i = 0; i < SL_N_VERBS; i++) {
		char left[80];

		snprintf(left, sizeof(left), "%s %s%s", sl_verbs[i].name,
			 sl_verbs[i].flags & SL_VERB_BRIDGE ? "[" SL_BRIDGE_NAME "] " : "",
			 sl_verbs[i].usage);
		fprintf(out, "  %-52s %s\n", left, sl_verbs[i].help);
	}
	usage_settings(out, &sl_port_settings, "Port settings (add-port, set-port KEY=VALUE)");
	usage_settings(out, &sl_options, "Switch options (set KEY=VALUE)");
	fprintf(out, "\nExit status: 0 on success, 1 if the command failed, 2 for a usage error\n"
		     "(and for diff-flows when the sources differ, as ovs-ofctl's);\n"
		     "on failure one line on stderr: \"sluicectl: VERB: what was wrong\".\n");
}

static void
parse_args(struct sl_ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rundir", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "strict", no_argument, NULL, 's' },
		{ "no-stats", no_argument, NULL, 'n' },
		{ "names", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *rundir = NULL;
	uint64_t v;
	int opt;

	/* '+': stop at the verb, so that "del-flows M --strict" keeps its --strict. */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (opt) {
		case 'r': rundir = optarg; break;
		case 'j': c->json = true; break;
		case 's': c->strict = true; break;
		case 'n': c->no_stats = true; break;
		case 'N': c->names = true; break;
		case 'h': usage(stdout); exit(0);
		case 't':
			if (sl_parse_u64(optarg, 1, INT_MAX, &v) < 0)
				die(2, "--timeout: \"%s\" is not a number of milliseconds", optarg);
			c->timeout_ms = (int)v;
			break;
		default:
			die(2, "unknown option \"%s\" (see --help)", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		die(2, "no command given (see --help)");
	c->rundir = sl_rundir(rundir);
	c->verb = argv[optind];
	c->args = &argv[optind + 1];
	c->n_args = argc - optind - 1;
}

/* ZeroMQ would wait out the whole timeout for a socket nobody listens on; ask the kernel first. */
static bool
sluiced_listening(const char *rundir)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, rc;

	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/sluiced.sock", rundir) >=
	    sizeof(sa.sun_path))
		return true; /* too long to probe: let ZeroMQ tell */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return true;
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return rc == 0 || (errno != ENOENT && errno != ECONNREFUSED);
}

static size_t
n_flows(const Sluice__Request *req)
{
	switch (req->cmd_case) {
	case SLUICE__REQUEST__CMD_ADD_FLOWS:
	case SLUICE__REQUEST__CMD_REPLACE_FLOWS:
	case SLUICE__REQUEST__CMD_DEL_FLOWS:
	case SLUICE__REQUEST__CMD_MOD_FLOWS:
		return req->add_flows->n_flows;
	case SLUICE__REQUEST__CMD_DIFF_FLOWS:
		return req->diff_flows->n_a + req->diff_flows->n_b;
	default:
		return 0;
	}
}

int
main(int argc, char **argv)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	const struct sl_verb *verb;
	const struct ctl_verb *cv;
	struct sl_ctl c = { 0 };
	Sluice__Reply *rep;
	char ep[PATH_MAX + 16], err[1024];
	void *zctx;
	int rc;

	parse_args(&c, argc, argv);
	sl_ctl_cur = &c;
	verb = sl_verb_by_name(c.verb);
	if (verb == NULL)
		die(2, "unknown command \"%s\" (see --help)", c.verb);
	sl_cur_verb = verb->name;
	cv = &ctl_verbs[verb - sl_verbs];
	/* "sluicectl add-flow br0 in_port=1,action=output:2", as ovs-ofctl is typed. */
	if ((verb->flags & SL_VERB_BRIDGE) && c.n_args > 0 && strcmp(c.args[0], SL_BRIDGE_NAME) == 0) {
		c.args++;
		c.n_args--;
	}
	if (c.n_args < verb->min_args || (verb->max_args >= 0 && c.n_args > verb->max_args))
		die(2, "usage: sluicectl %s %s", verb->name, verb->usage);
	req.cmd_case = verb->cmd;
	(cv->build != NULL ? cv->build : build_empty)(&c, &req);
	if (c.timeout_ms == 0)
		c.timeout_ms = SL_CTL_DEFAULT_TIMEOUT_MS + 1000 + (int)(n_flows(&req) / 10);

	sl_endpoint(ep, sizeof(ep), c.rundir, "sluiced.sock");
	if (!sluiced_listening(c.rundir))
		die(1, "cannot reach sluiced at %s: is it running?", ep);
	zctx = zmq_ctx_new();
	if (c.names && !c.json) {
		Sluice__Request show = SLUICE__REQUEST__INIT;
		Sluice__Empty e = SLUICE__EMPTY__INIT;
		Sluice__Reply *ports = NULL;

		show.cmd_case = SLUICE__REQUEST__CMD_SHOW;
		show.show = &e;
		if (sl_msg_call(zctx, ep, &show, &ports, c.timeout_ms, err, sizeof(err)) < 0)
			die(1, "%s", err);
		c.ports = ports; /* freed at exit */
	}
again:
	rc = sl_msg_call(zctx, ep, &req, &rep, c.timeout_ms, err, sizeof(err));
	if (rc == -ETIMEDOUT)
		die(1, "no reply from sluiced at %s within %d ms: is it running?", ep, c.timeout_ms);
	if (rc < 0)
		die(1, "%s", err);
	if (rep->status != 0)
		die(1, "%s", rep->error[0] ? error_at_line(&c, rep->error, err, sizeof(err))
					   : strerror(rep->status));
	if (c.json) {
		sl_json_print(&rep->base);
	} else {
		/* What the change did that was not asked for: unpolled queues, ... */
		for (size_t i = 0; i < rep->n_notices; i++)
			printf("%s\n", rep->notices[i]);
		if (cv->print != NULL)
			cv->print(rep);
		else if (rep->message != NULL && rep->message[0] != '\0')
			printf("%s\n", rep->message);
	}
	/* diff-flows, like ovs-ofctl's, exits 2 when the sources differ. */
	rc = rep->n_diff > 0 ? 2 : 0;
	sluice__reply__free_unpacked(rep, NULL);
	if (c.follow) {
		/* packet-in-show --follow: the next ones, until interrupted. */
		if (fflush(stdout) != 0)
			return 1;
		usleep(200 * 1000);
		cv->build(&c, &req);
		goto again;
	}
	zmq_ctx_term(zctx);
	return fflush(stdout) == 0 ? rc : 1;
}
