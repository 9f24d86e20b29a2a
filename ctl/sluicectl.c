/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluicectl: send one request to sluiced and print its reply, as tables a
 * person reads (in the manner of ovs-vsctl show, ovs-ofctl dump-flows,
 * ovs-appctl dpif-netdev/pmd-stats-show) or as JSON for scripts.
 * Exit status: 0 on success, 1 if the request failed, 2 for a usage error;
 * on failure exactly one line on stderr: "sluicectl: VERB: message".
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <zmq.h>

#include "msg.h"
#include "util.h"

#define SL_CTL_DEFAULT_TIMEOUT_MS 5000

struct sl_ctl {
	const char *rundir;
	bool json;
	int timeout_ms; /* 0: default, grown for big flow batches */
	const char *verb;
	char **args;
	int n_args;
	/* storage the request points into */
	char **lines;
	size_t n_lines;
};

struct sl_verb;
typedef void (*sl_build_fn)(struct sl_ctl *c, Sluice__Request *req);
typedef void (*sl_print_fn)(const Sluice__Reply *rep);

struct sl_verb {
	const char *name;
	int min_args;
	int max_args; /* -1: any number */
	const char *usage;
	const char *help;
	sl_build_fn build;
	sl_print_fn print;
};

static const char *sl_cur_verb = NULL;

static void __attribute__((noreturn, format(printf, 2, 3)))
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

static void *
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
	for (i = 2; i < c->n_args; i++) {
		const char *a = c->args[i];

		if (strncmp(a, "ofport=", 7) == 0)
			ps->ofport = arg_u32("ofport", a + 7, UINT32_MAX);
		else if (strncmp(a, "n_rxq=", 6) == 0)
			ps->n_rxq = arg_u32("n_rxq", a + 6, UINT32_MAX);
		else if (strncmp(a, "mtu=", 4) == 0)
			ps->mtu = arg_u32("mtu", a + 4, UINT32_MAX);
		else
			die(2, "unknown argument \"%s\" (expected ofport=N, n_rxq=N or mtu=N)", a);
	}
	ap->port = ps;
	req->add_port = ap;
}

static void
build_del_port(struct sl_ctl *c, Sluice__Request *req)
{
	Sluice__DelPort *dp = xcalloc(1, sizeof(*dp));

	sluice__del_port__init(dp);
	dp->name = c->args[0];
	req->del_port = dp;
}

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

/* Flows from FILE or stdin: one a line; blank lines and '#' comments skipped. */
static void
read_flow_file(struct sl_ctl *c, const char *name)
{
	FILE *f = strcmp(name, "-") == 0 ? stdin : fopen(name, "r");
	size_t cap = 0, lcap = 0;
	char *line = NULL, *s;
	ssize_t len;

	if (f == NULL)
		die(1, "cannot read %s: %s", name, strerror(errno));
	while ((len = getline(&line, &lcap, f)) >= 0) {
		while (len > 0 && strchr(" \t\r\n", line[len - 1]) != NULL)
			line[--len] = '\0';
		s = line + strspn(line, " \t");
		if (*s == '\0' || *s == '#')
			continue;
		if (c->n_lines == cap) {
			cap = cap ? cap * 2 : 256;
			c->lines = realloc(c->lines, cap * sizeof(*c->lines));
			if (c->lines == NULL)
				die(1, "out of memory");
		}
		c->lines[c->n_lines] = strdup(s);
		if (c->lines[c->n_lines++] == NULL)
			die(1, "out of memory");
	}
	if (ferror(f))
		die(1, "cannot read %s: %s", name, strerror(errno));
	free(line);
	if (f != stdin)
		fclose(f);
}

static void
build_add_flow(struct sl_ctl *c, Sluice__Request *req)
{
	req->add_flows = flow_mod(&c->args[0], 1, false);
}

static void
build_add_flows(struct sl_ctl *c, Sluice__Request *req)
{
	read_flow_file(c, c->args[0]);
	req->add_flows = flow_mod(c->lines, c->n_lines, false);
}

static void
build_replace_flows(struct sl_ctl *c, Sluice__Request *req)
{
	read_flow_file(c, c->args[0]);
	req->replace_flows = flow_mod(c->lines, c->n_lines, false);
}

/* del-flows [MATCH] [--strict], in either order. */
static void
build_del_flows(struct sl_ctl *c, Sluice__Request *req)
{
	bool strict = false;
	char **match = NULL;
	int i;

	for (i = 0; i < c->n_args; i++) {
		if (strcmp(c->args[i], "--strict") == 0)
			strict = true;
		else if (match == NULL)
			match = &c->args[i];
		else
			die(2, "usage: sluicectl del-flows [MATCH [--strict]]");
	}
	if (strict && match == NULL)
		die(2, "--strict needs a MATCH");
	req->del_flows = flow_mod(match, match ? 1 : 0, strict);
}

static void
build_dump_ports(struct sl_ctl *c, Sluice__Request *req)
{
	Sluice__DumpPorts *dp = xcalloc(1, sizeof(*dp));

	sluice__dump_ports__init(dp);
	if (c->n_args > 0)
		dp->name = c->args[0];
	req->dump_ports = dp;
}

static void
build_worker_restart(struct sl_ctl *c, Sluice__Request *req)
{
	Sluice__WorkerRestart *wr = xcalloc(1, sizeof(*wr));

	sluice__worker_restart__init(wr);
	wr->id = arg_u32("worker id", c->args[0], UINT32_MAX);
	req->worker_restart = wr;
}

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

/* ---- printing replies ---- */

static void
print_nothing(const Sluice__Reply *rep)
{
	(void)rep;
}

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

		printf("    Worker %u: %s, pid %d, lcore %u, restarts %llu%s%s\n", w->id, w->state,
		       w->pid, w->lcore, (unsigned long long)w->restarts, w->reason[0] ? ": " : "",
		       w->reason);
	}
}

static void
print_show(const Sluice__Reply *rep)
{
	const Sluice__DaemonInfo *di = rep->daemon;
	size_t i;

	if (di != NULL) {
		printf("sluiced: pid %d, rundir %s, db %s (%u flows)\n", di->sluiced_pid, di->rundir,
		       di->db, di->n_flows);
		printf("    sluice-primary: %s, pid %d, restarts %llu%s%s\n", di->primary_state,
		       di->primary_pid, (unsigned long long)di->primary_restarts,
		       di->primary_reason[0] ? ": " : "", di->primary_reason);
		if (di->replay_error[0])
			printf("    last replay failed in part: %s\n", di->replay_error);
	}
	for (i = 0; i < rep->n_ports; i++) {
		const Sluice__PortInfo *p = rep->ports[i];

		printf("    Port %s\n", p->name);
		printf("        ofport: %u\n", p->ofport);
		printf("        devargs: %s\n", p->devargs);
		printf("        mtu: %u, n_rxq: %u, n_txq: %u\n", p->mtu, p->n_rxq, p->n_txq);
		if (p->driver[0])
			printf("        driver: %s, port_id: %u, mac: %s, link: %s\n", p->driver,
			       p->port_id, p->mac[0] ? p->mac : "-", p->link_up ? "up" : "down");
		if (p->bridged || p->tx_shared)
			printf("        bridged by the primary: %s, shared tx queues: %s\n",
			       yes_no(p->bridged), yes_no(p->tx_shared));
	}
	print_workers_short(rep);
	for (i = 0; i < rep->n_options; i++)
		printf("    option %s=%s\n", rep->options[i]->key, rep->options[i]->value);
}

static void
print_dump_flows(const Sluice__Reply *rep)
{
	size_t i;

	for (i = 0; i < rep->n_flows; i++) {
		const Sluice__FlowInfo *f = rep->flows[i];

		printf(" duration=%.3fs, n_packets=%llu, n_bytes=%llu, %s\n",
		       (double)f->duration_ms / 1000.0, (unsigned long long)f->n_packets,
		       (unsigned long long)f->n_bytes, f->text);
	}
}

static void
print_dump_ports(const Sluice__Reply *rep)
{
	size_t i;

	printf("%zu ports\n", rep->n_port_stats);
	for (i = 0; i < rep->n_port_stats; i++) {
		const Sluice__PortStats *s = rep->port_stats[i];

		printf("  port %2u (%s): rx pkts=%llu, bytes=%llu, drop=%llu, errs=%llu\n", s->ofport,
		       s->name, (unsigned long long)s->rx_packets, (unsigned long long)s->rx_bytes,
		       (unsigned long long)s->rx_dropped, (unsigned long long)s->rx_errors);
		printf("           tx pkts=%llu, bytes=%llu, drop=%llu, errs=%llu\n",
		       (unsigned long long)s->tx_packets, (unsigned long long)s->tx_bytes,
		       (unsigned long long)s->tx_dropped, (unsigned long long)s->tx_errors);
	}
}

static double
pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static void
print_pmd_stats(const Sluice__Reply *rep)
{
	size_t i;

	for (i = 0; i < rep->n_workers; i++) {
		const Sluice__WorkerInfo *w = rep->workers[i];
		uint64_t cycles = w->busy_cycles + w->idle_cycles;

		printf("worker %u (pid %d, lcore %u, %s):\n", w->id, w->pid, w->lcore, w->state);
		printf("  packets received: %llu\n", (unsigned long long)w->rx_packets);
		printf("  packets sent: %llu\n", (unsigned long long)w->tx_packets);
		printf("  emc hits: %llu\n", (unsigned long long)w->emc_hits);
		printf("  classifier hits: %llu\n", (unsigned long long)w->cls_hits);
		printf("  miss (dropped): %llu\n", (unsigned long long)w->misses);
		printf("  tx dropped: %llu\n", (unsigned long long)w->tx_dropped);
		printf("  idle cycles: %llu (%.2f%%)\n", (unsigned long long)w->idle_cycles,
		       pct(w->idle_cycles, cycles));
		printf("  processing cycles: %llu (%.2f%%)\n", (unsigned long long)w->busy_cycles,
		       pct(w->busy_cycles, cycles));
		printf("  avg processing cycles per packet: %.2f\n",
		       w->rx_packets ? (double)w->busy_cycles / (double)w->rx_packets : 0.0);
		printf("  restarts: %llu, lost mbufs: %llu\n", (unsigned long long)w->restarts,
		       (unsigned long long)w->lost_mbufs);
	}
}

static void
print_rxqs(const Sluice__Reply *rep)
{
	bool printed;
	uint32_t max = 0, id;
	size_t i;

	for (i = 0; i < rep->n_rxqs; i++)
		if (rep->rxqs[i]->worker > max)
			max = rep->rxqs[i]->worker;
	/* Grouped by worker, as pmd-rxq-show groups by PMD thread. */
	for (id = 0; rep->n_rxqs > 0 && id <= max; id++) {
		printed = false;
		for (i = 0; i < rep->n_rxqs; i++) {
			const Sluice__RxqInfo *q = rep->rxqs[i];

			if (q->worker != id)
				continue;
			if (!printed)
				printf("worker %u:\n", id);
			printed = true;
			printf("  port: %-16s queue-id: %2u%s\n", q->port, q->queue,
			       q->orphaned ? "  (orphaned: worker dead)" : "");
		}
	}
}

static void
print_worker_list(const Sluice__Reply *rep)
{
	size_t i;

	printf("%-3s %-8s %-6s %-11s %-9s %s\n", "ID", "PID", "LCORE", "STATE", "RESTARTS",
	       "REASON");
	for (i = 0; i < rep->n_workers; i++) {
		const Sluice__WorkerInfo *w = rep->workers[i];

		printf("%-3u %-8d %-6u %-11s %-9llu %s\n", w->id, w->pid, w->lcore, w->state,
		       (unsigned long long)w->restarts, w->reason);
	}
}

static void
print_mempools(const Sluice__Reply *rep)
{
	size_t i;

	printf("%-24s %10s %10s %10s %10s\n", "NAME", "SIZE", "AVAIL", "IN_USE", "MBUF_SIZE");
	for (i = 0; i < rep->n_mempools; i++) {
		const Sluice__MempoolInfo *m = rep->mempools[i];

		printf("%-24s %10u %10u %10u %10u\n", m->name, m->size, m->avail, m->in_use,
		       m->mbuf_size);
	}
}

/* ---- JSON, from the protobuf descriptors so it never lags the schema ---- */

static void json_message(const ProtobufCMessage *m, int indent);

static void
json_string(const char *s)
{
	putchar('"');
	for (; s != NULL && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", stdout);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static size_t
elem_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	default:
		return 4;
	}
}

static void
json_scalar(const ProtobufCFieldDescriptor *f, const void *p, int indent)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_ENUM:
		printf("%d", *(const int32_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		printf("%u", *(const uint32_t *)p);
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		printf("%lld", (long long)*(const int64_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		printf("%llu", (unsigned long long)*(const uint64_t *)p);
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		printf("%g", (double)*(const float *)p);
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		printf("%g", *(const double *)p);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		fputs(*(const protobuf_c_boolean *)p ? "true" : "false", stdout);
		break;
	case PROTOBUF_C_TYPE_STRING:
		json_string(*(char *const *)p);
		break;
	case PROTOBUF_C_TYPE_BYTES:
		printf("%zu", ((const ProtobufCBinaryData *)p)->len);
		break;
	case PROTOBUF_C_TYPE_MESSAGE:
		if (*(ProtobufCMessage *const *)p == NULL)
			fputs("null", stdout);
		else
			json_message(*(ProtobufCMessage *const *)p, indent);
		break;
	}
}

/* protobuf-c renders map<K,V> as a repeated KEntry { key, value }. */
static bool
is_map(const ProtobufCFieldDescriptor *f)
{
	const ProtobufCMessageDescriptor *md = f->descriptor;
	size_t n;

	if (f->type != PROTOBUF_C_TYPE_MESSAGE || md == NULL || md->n_fields != 2)
		return false;
	n = strlen(md->name);
	return n > 5 && strcmp(md->name + n - 5, "Entry") == 0 &&
	       strcmp(md->fields[0].name, "key") == 0 && strcmp(md->fields[1].name, "value") == 0;
}

static void
json_repeated(const ProtobufCFieldDescriptor *f, const ProtobufCMessage *m, int indent)
{
	size_t n = *(const size_t *)((const char *)m + f->quantifier_offset), i;
	const char *arr = *(char *const *)((const char *)m + f->offset);
	bool map = is_map(f);

	if (n == 0) {
		fputs(map ? "{}" : "[]", stdout);
		return;
	}
	fputs(map ? "{\n" : "[\n", stdout);
	for (i = 0; i < n; i++) {
		const void *p = arr + i * elem_size(f->type);

		printf("%*s", indent + 2, "");
		if (map) {
			const ProtobufCMessage *e = *(ProtobufCMessage *const *)p;
			const ProtobufCMessageDescriptor *md = f->descriptor;
			const ProtobufCFieldDescriptor *kf = &md->fields[0];
			const ProtobufCFieldDescriptor *vf = &md->fields[1];

			json_scalar(kf, (const char *)e + kf->offset, indent + 2);
			fputs(": ", stdout);
			json_scalar(vf, (const char *)e + vf->offset, indent + 2);
		} else {
			json_scalar(f, p, indent + 2);
		}
		fputs(i + 1 < n ? ",\n" : "\n", stdout);
	}
	printf("%*s%c", indent, "", map ? '}' : ']');
}

static void
json_message(const ProtobufCMessage *m, int indent)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	bool first = true;
	unsigned int i;

	fputs("{\n", stdout);
	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];

		if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    *(const uint32_t *)((const char *)m + f->quantifier_offset) != f->id)
			continue;
		printf("%s%*s\"%s\": ", first ? "" : ",\n", indent + 2, "", f->name);
		first = false;
		if (f->label == PROTOBUF_C_LABEL_REPEATED)
			json_repeated(f, m, indent + 2);
		else
			json_scalar(f, (const char *)m + f->offset, indent + 2);
	}
	printf("\n%*s}", indent, "");
}

/* ---- verbs ---- */

static const struct sl_verb sl_verbs[] = {
	{ "show", 0, 0, "", "ports, workers, options, process state", build_empty, print_show },
	{ "add-port", 2, 5, "NAME DEVARGS [ofport=N] [n_rxq=N] [mtu=N]", "attach a port (hotplug)",
	  build_add_port, print_nothing },
	{ "del-port", 1, 1, "NAME", "detach a port", build_del_port, print_nothing },
	{ "set-port", 2, -1, "NAME KEY=VALUE...", "change a port (mtu=9000, n_rxq=4, ...)",
	  build_set_port, print_nothing },
	{ "add-flow", 1, 1, "FLOW", "add or replace one flow (ovs-ofctl syntax)", build_add_flow,
	  print_nothing },
	{ "add-flows", 1, 1, "FILE|-", "add flows, one a line ('#' comments)", build_add_flows,
	  print_nothing },
	{ "del-flows", 0, 2, "[MATCH [--strict]]", "delete flows the match covers (all without one)",
	  build_del_flows, print_nothing },
	{ "replace-flows", 1, 1, "FILE|-", "make the flow table exactly FILE's flows",
	  build_replace_flows, print_nothing },
	{ "dump-flows", 0, 0, "", "flows with n_packets, n_bytes", build_empty, print_dump_flows },
	{ "dump-ports", 0, 1, "[NAME]", "rx/tx packets, bytes, drops, errors", build_dump_ports,
	  print_dump_ports },
	{ "pmd-stats-show", 0, 0, "", "per worker: packets, cache hits, cycles", build_empty,
	  print_pmd_stats },
	{ "pmd-stats-clear", 0, 0, "", "zero the per-worker statistics", build_empty, print_nothing },
	{ "pmd-rxq-show", 0, 0, "", "which worker polls which rx queue", build_empty, print_rxqs },
	{ "worker-list", 0, 0, "", "workers: pid, lcore, state, restarts, reason", build_empty,
	  print_worker_list },
	{ "worker-restart", 1, 1, "ID", "planned restart: a new process takes over, no loss", build_worker_restart,
	  print_nothing },
	{ "mempool-show", 0, 0, "", "mbuf pools: size, available, in use", build_empty,
	  print_mempools },
	{ "set", 1, 1, "OPTION=VALUE", "set a switch option (emc-insert-inv-prob=100, ...)",
	  build_set_option, print_nothing },
	{ "shutdown", 0, 0, "", "stop the whole instance cleanly", build_empty, print_nothing },
};

/* The oneof case of each verb, in sl_verbs order. */
static const Sluice__Request__CmdCase sl_verb_cmd[] = {
	SLUICE__REQUEST__CMD_SHOW,	     SLUICE__REQUEST__CMD_ADD_PORT,
	SLUICE__REQUEST__CMD_DEL_PORT,	     SLUICE__REQUEST__CMD_SET_PORT,
	SLUICE__REQUEST__CMD_ADD_FLOWS,	     SLUICE__REQUEST__CMD_ADD_FLOWS,
	SLUICE__REQUEST__CMD_DEL_FLOWS,	     SLUICE__REQUEST__CMD_REPLACE_FLOWS,
	SLUICE__REQUEST__CMD_DUMP_FLOWS,     SLUICE__REQUEST__CMD_DUMP_PORTS,
	SLUICE__REQUEST__CMD_PMD_STATS_SHOW, SLUICE__REQUEST__CMD_PMD_STATS_CLEAR,
	SLUICE__REQUEST__CMD_PMD_RXQ_SHOW,   SLUICE__REQUEST__CMD_WORKER_LIST,
	SLUICE__REQUEST__CMD_WORKER_RESTART, SLUICE__REQUEST__CMD_MEMPOOL_SHOW,
	SLUICE__REQUEST__CMD_SET_OPTION,     SLUICE__REQUEST__CMD_SHUTDOWN,
};

_Static_assert(sizeof(sl_verbs) / sizeof(sl_verbs[0]) ==
		       sizeof(sl_verb_cmd) / sizeof(sl_verb_cmd[0]),
	       "one oneof case per verb");

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
		     "  --help         this text\n\nVerbs:\n",
		SL_DEFAULT_RUNDIR, SL_CTL_DEFAULT_TIMEOUT_MS);
	for (i = 0; i < sizeof(sl_verbs) / sizeof(sl_verbs[0]); i++) {
		char left[80];

		snprintf(left, sizeof(left), "%s %s", sl_verbs[i].name, sl_verbs[i].usage);
		fprintf(out, "  %-52s %s\n", left, sl_verbs[i].help);
	}
	fprintf(out, "\nExit status: 0 on success, 1 if the command failed, 2 for a usage error;\n"
		     "on failure one line on stderr: \"sluicectl: VERB: what was wrong\".\n");
}

static const struct sl_verb *
find_verb(const char *name, Sluice__Request__CmdCase *cmd)
{
	size_t i;

	for (i = 0; i < sizeof(sl_verbs) / sizeof(sl_verbs[0]); i++)
		if (strcmp(sl_verbs[i].name, name) == 0) {
			*cmd = sl_verb_cmd[i];
			return &sl_verbs[i];
		}
	return NULL;
}

static void
parse_args(struct sl_ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rundir", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
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
		return req->add_flows->n_flows;
	default:
		return 0;
	}
}

int
main(int argc, char **argv)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__Request__CmdCase cmd;
	const struct sl_verb *verb;
	struct sl_ctl c = { 0 };
	Sluice__Reply *rep;
	char ep[PATH_MAX + 16], err[1024];
	void *zctx;
	int rc;

	parse_args(&c, argc, argv);
	verb = find_verb(c.verb, &cmd);
	if (verb == NULL)
		die(2, "unknown command \"%s\" (see --help)", c.verb);
	sl_cur_verb = verb->name;
	if (c.n_args < verb->min_args || (verb->max_args >= 0 && c.n_args > verb->max_args))
		die(2, "usage: sluicectl %s %s", verb->name, verb->usage);
	req.cmd_case = cmd;
	verb->build(&c, &req);
	if (c.timeout_ms == 0)
		c.timeout_ms = SL_CTL_DEFAULT_TIMEOUT_MS + 1000 + (int)(n_flows(&req) / 10);

	sl_endpoint(ep, sizeof(ep), c.rundir, "sluiced.sock");
	if (!sluiced_listening(c.rundir))
		die(1, "cannot reach sluiced at %s: is it running?", ep);
	zctx = zmq_ctx_new();
	rc = sl_msg_call(zctx, ep, &req, &rep, c.timeout_ms, err, sizeof(err));
	if (rc == -ETIMEDOUT)
		die(1, "no reply from sluiced at %s within %d ms: is it running?", ep, c.timeout_ms);
	if (rc < 0)
		die(1, "%s", err);
	if (rep->status != 0)
		die(1, "%s", rep->error[0] ? rep->error : strerror(rep->status));
	if (c.json) {
		json_message(&rep->base, 0);
		putchar('\n');
	} else {
		verb->print(rep);
	}
	sluice__reply__free_unpacked(rep, NULL);
	zmq_ctx_term(zctx);
	return fflush(stdout) == 0 ? 0 : 1;
}
