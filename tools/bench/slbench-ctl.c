/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * slbench-ctl: the benchmark's own small client of sluice-primary, talking
 * protobuf over ipc://RUNDIR/primary.sock (common/msg.h).  It exists so that
 * tools/bench/run.sh can drive a bare primary + worker without sluiced.
 *
 * Output is "key=value" words, one line per object, for scripts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "msg.h"
#include "verbs.h"
#include "util.h"

static void *zctx;
static char endpoint[512];
static int timeout_ms = 10000;

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: slbench-ctl [--rundir DIR] [--timeout MS] COMMAND [ARGS]\n\n"
		"Talks to sluice-primary on ipc://DIR/primary.sock (DIR: --rundir,\n"
		"$SLUICE_RUNDIR or /run/sluice).  Commands:\n"
		"  hello                     exit 0 once the primary answers\n"
		"  wait-ready SECONDS [N]    wait until the primary answers and N workers\n"
		"                            (default 1) are running\n"
		"  add-port NAME DEVARGS OFPORT\n"
		"  add-flows FILE|-          one ovs-ofctl flow per line ('#' comments)\n"
		"  pmd-stats                 per worker: id, state, rx_packets, tx_packets,\n"
		"                            busy_cycles, idle_cycles, ... as key=value\n"
		"  port-stats NAME           rx/tx packets and drops of one port\n"
		"  sample NAME               one line: monotonic time t (s), the port's\n"
		"                            tx_packets and rx_packets, and the sums over\n"
		"                            workers of rx_packets, busy_cycles, idle_cycles\n"
		"  set-port NAME KEY=VALUE... port settings (qos=egress-policer cir=N ...)\n"
		"  add-meter METER           an OpenFlow meter (ovs-ofctl meter syntax)\n"
		"  shutdown                  stop the primary (and so its workers)\n");
}

static int
call(Sluice__Request *req, Sluice__Reply **rep)
{
	char err[512];
	int rc = sl_msg_call(zctx, endpoint, req, rep, timeout_ms, err, sizeof(err));

	if (rc < 0) {
		fprintf(stderr, "slbench-ctl: %s: %s\n", sl_request_name(req), err);
		return 1;
	}
	if ((*rep)->status != 0) {
		fprintf(stderr, "slbench-ctl: %s: %s\n", sl_request_name(req), (*rep)->error);
		sluice__reply__free_unpacked(*rep, NULL);
		*rep = NULL;
		return 1;
	}
	return 0;
}

static int
call_free(Sluice__Request *req)
{
	Sluice__Reply *rep = NULL;
	int rc = call(req, &rep);

	if (rep != NULL)
		sluice__reply__free_unpacked(rep, NULL);
	return rc;
}

static int
cmd_hello(void)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__Hello hello = SLUICE__HELLO__INIT;

	req.internal_case = SLUICE__REQUEST__INTERNAL_HELLO;
	req.hello = &hello;
	return call_free(&req);
}

static Sluice__Reply *
get_workers(void)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__Empty e = SLUICE__EMPTY__INIT;
	Sluice__Reply *rep = NULL;

	req.cmd_case = SLUICE__REQUEST__CMD_PMD_STATS_SHOW;
	req.pmd_stats_show = &e;
	if (call(&req, &rep) != 0)
		return NULL;
	return rep;
}

static int
cmd_wait_ready(const char *secs, const char *nw)
{
	uint64_t s, n = 1;
	uint64_t deadline;
	int saved = timeout_ms;

	if (sl_parse_u64(secs, 1, 3600, &s) < 0 || (nw != NULL && sl_parse_u64(nw, 0, 64, &n) < 0)) {
		fprintf(stderr, "slbench-ctl: wait-ready: bad number\n");
		return 2;
	}
	deadline = sl_now_ms() + s * 1000;
	timeout_ms = 500;
	while (sl_now_ms() < deadline) {
		Sluice__Request req = SLUICE__REQUEST__INIT;
		Sluice__Empty e = SLUICE__EMPTY__INIT;
		Sluice__Reply *rep = NULL;
		char err[512];

		req.cmd_case = SLUICE__REQUEST__CMD_PMD_STATS_SHOW;
		req.pmd_stats_show = &e;
		if (sl_msg_call(zctx, endpoint, &req, &rep, timeout_ms, err, sizeof(err)) == 0) {
			uint64_t running = 0;

			for (size_t i = 0; rep->status == 0 && i < rep->n_workers; i++)
				running += rep->workers[i]->state == SLUICE__PROC_STATE__PROC_RUNNING;
			sluice__reply__free_unpacked(rep, NULL);
			if (running >= n) {
				timeout_ms = saved;
				return 0;
			}
		}
		usleep(50000);
	}
	fprintf(stderr, "slbench-ctl: wait-ready: primary or %lu worker(s) not up after %lus\n",
		(unsigned long)n, (unsigned long)s);
	return 1;
}

static int
cmd_add_port(const char *name, const char *devargs, const char *ofport)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__AddPort ap = SLUICE__ADD_PORT__INIT;
	Sluice__PortSpec ps = SLUICE__PORT_SPEC__INIT;
	uint64_t of;

	if (sl_parse_u64(ofport, 1, 65279, &of) < 0) {
		fprintf(stderr, "slbench-ctl: add-port: bad ofport %s\n", ofport);
		return 2;
	}
	ps.name = (char *)name;
	ps.devargs = (char *)devargs;
	ps.ofport = (uint32_t)of;
	ap.port = &ps;
	req.cmd_case = SLUICE__REQUEST__CMD_ADD_PORT;
	req.add_port = &ap;
	return call_free(&req);
}

static int
cmd_add_flows(const char *file)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__FlowMod fm = SLUICE__FLOW_MOD__INIT;
	FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
	char **flows = NULL, *line = NULL;
	size_t n = 0, cap = 0, llen = 0;
	ssize_t got;
	int rc;

	if (f == NULL) {
		fprintf(stderr, "slbench-ctl: add-flows: %s: %s\n", file, strerror(errno));
		return 1;
	}
	while ((got = getline(&line, &llen, f)) >= 0) {
		char *s = line, *e;

		while (*s == ' ' || *s == '\t')
			s++;
		e = s + strlen(s);
		while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (*s == '\0' || *s == '#')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			flows = realloc(flows, cap * sizeof(*flows));
			if (flows == NULL) {
				fprintf(stderr, "slbench-ctl: out of memory\n");
				return 1;
			}
		}
		flows[n] = strdup(s);
		if (flows[n] == NULL) {
			fprintf(stderr, "slbench-ctl: out of memory\n");
			return 1;
		}
		n++;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	if (n == 0) {
		fprintf(stderr, "slbench-ctl: add-flows: no flow in %s\n", file);
		return 1;
	}
	fm.flows = flows;
	fm.n_flows = n;
	req.cmd_case = SLUICE__REQUEST__CMD_ADD_FLOWS;
	req.add_flows = &fm;
	rc = call_free(&req);
	for (size_t i = 0; i < n; i++)
		free(flows[i]);
	free(flows);
	return rc;
}

static int
cmd_pmd_stats(void)
{
	Sluice__Reply *rep = get_workers();

	if (rep == NULL)
		return 1;
	for (size_t i = 0; i < rep->n_workers; i++) {
		const Sluice__WorkerInfo *w = rep->workers[i];

		printf("worker=%u state=%s pid=%d lcore=%u rx_packets=%lu tx_packets=%lu "
		       "busy_cycles=%lu idle_cycles=%lu emc_hits=%lu cls_hits=%lu misses=%lu "
		       "tx_dropped=%lu\n",
		       w->id, sl_state_name(w->state), w->pid, w->lcore, (unsigned long)w->rx_packets,
		       (unsigned long)w->tx_packets, (unsigned long)w->busy_cycles,
		       (unsigned long)w->idle_cycles, (unsigned long)w->emc_hits,
		       (unsigned long)w->cls_hits, (unsigned long)w->misses,
		       (unsigned long)w->tx_dropped);
	}
	sluice__reply__free_unpacked(rep, NULL);
	return 0;
}

static Sluice__Reply *
get_port(const char *name)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__DumpPorts dp = SLUICE__DUMP_PORTS__INIT;
	Sluice__Reply *rep = NULL;

	dp.name = (char *)name;
	req.cmd_case = SLUICE__REQUEST__CMD_DUMP_PORTS;
	req.dump_ports = &dp;
	if (call(&req, &rep) != 0)
		return NULL;
	if (rep->n_port_stats != 1) {
		fprintf(stderr, "slbench-ctl: dump_ports %s: %zu answers\n", name,
			rep->n_port_stats);
		sluice__reply__free_unpacked(rep, NULL);
		return NULL;
	}
	return rep;
}

static int
cmd_port_stats(const char *name)
{
	Sluice__Reply *rep = get_port(name);
	const Sluice__PortStats *p;

	if (rep == NULL)
		return 1;
	p = rep->port_stats[0];
	printf("name=%s ofport=%u rx_packets=%lu rx_bytes=%lu rx_dropped=%lu rx_errors=%lu "
	       "tx_packets=%lu tx_bytes=%lu tx_dropped=%lu tx_errors=%lu\n",
	       p->name, p->ofport, (unsigned long)p->rx_packets, (unsigned long)p->rx_bytes,
	       (unsigned long)p->rx_dropped, (unsigned long)p->rx_errors,
	       (unsigned long)p->tx_packets, (unsigned long)p->tx_bytes,
	       (unsigned long)p->tx_dropped, (unsigned long)p->tx_errors);
	sluice__reply__free_unpacked(rep, NULL);
	return 0;
}

static double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
cmd_sample(const char *name)
{
	Sluice__Reply *prep, *wrep;
	uint64_t rx = 0, busy = 0, idle = 0;
	double t0, t1;

	/* Time the port read (the one the rate is taken from) tightly. */
	t0 = mono_s();
	prep = get_port(name);
	t1 = mono_s();
	if (prep == NULL)
		return 1;
	wrep = get_workers();
	if (wrep == NULL) {
		sluice__reply__free_unpacked(prep, NULL);
		return 1;
	}
	for (size_t i = 0; i < wrep->n_workers; i++) {
		rx += wrep->workers[i]->rx_packets;
		busy += wrep->workers[i]->busy_cycles;
		idle += wrep->workers[i]->idle_cycles;
	}
	printf("t=%.6f port_tx_packets=%lu port_rx_packets=%lu worker_rx_packets=%lu "
	       "busy_cycles=%lu idle_cycles=%lu\n",
	       (t0 + t1) / 2, (unsigned long)prep->port_stats[0]->tx_packets,
	       (unsigned long)prep->port_stats[0]->rx_packets, (unsigned long)rx,
	       (unsigned long)busy, (unsigned long)idle);
	sluice__reply__free_unpacked(prep, NULL);
	sluice__reply__free_unpacked(wrep, NULL);
	return 0;
}

static int
cmd_set_port(const char *name, char **settings, int n)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__SetPort sp = SLUICE__SET_PORT__INIT;

	sp.name = (char *)name;
	sp.settings = settings;
	sp.n_settings = (size_t)n;
	req.cmd_case = SLUICE__REQUEST__CMD_SET_PORT;
	req.set_port = &sp;
	return call_free(&req);
}

static int
cmd_add_meter(const char *text)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__MeterMod mm = SLUICE__METER_MOD__INIT;

	mm.meter = (char *)text;
	req.cmd_case = SLUICE__REQUEST__CMD_ADD_METER;
	req.add_meter = &mm;
	return call_free(&req);
}

static int
cmd_shutdown(void)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__Empty e = SLUICE__EMPTY__INIT;

	req.cmd_case = SLUICE__REQUEST__CMD_SHUTDOWN;
	req.shutdown = &e;
	return call_free(&req);
}

int
main(int argc, char **argv)
{
	const char *rundir = NULL;
	int i = 1, rc;

	while (i < argc && strncmp(argv[i], "--", 2) == 0) {
		if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--rundir") == 0 && i + 1 < argc) {
			rundir = argv[i + 1];
			i += 2;
		} else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			uint64_t v;

			if (sl_parse_u64(argv[i + 1], 1, 600000, &v) < 0) {
				fprintf(stderr, "slbench-ctl: --timeout: bad value %s\n",
					argv[i + 1]);
				return 2;
			}
			timeout_ms = (int)v;
			i += 2;
		} else {
			fprintf(stderr, "slbench-ctl: unknown option %s\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	sl_endpoint(endpoint, sizeof(endpoint), sl_rundir(rundir), "primary.sock");
	zctx = zmq_ctx_new();
	if (zctx == NULL) {
		fprintf(stderr, "slbench-ctl: zmq_ctx_new: %s\n", strerror(errno));
		return 1;
	}

	const char *cmd = argv[i];
	int nargs = argc - i - 1;
	char **a = argv + i + 1;

	if (strcmp(cmd, "hello") == 0 && nargs == 0)
		rc = cmd_hello();
	else if (strcmp(cmd, "wait-ready") == 0 && (nargs == 1 || nargs == 2))
		rc = cmd_wait_ready(a[0], nargs == 2 ? a[1] : NULL);
	else if (strcmp(cmd, "add-port") == 0 && nargs == 3)
		rc = cmd_add_port(a[0], a[1], a[2]);
	else if (strcmp(cmd, "add-flows") == 0 && nargs == 1)
		rc = cmd_add_flows(a[0]);
	else if (strcmp(cmd, "pmd-stats") == 0 && nargs == 0)
		rc = cmd_pmd_stats();
	else if (strcmp(cmd, "port-stats") == 0 && nargs == 1)
		rc = cmd_port_stats(a[0]);
	else if (strcmp(cmd, "sample") == 0 && nargs == 1)
		rc = cmd_sample(a[0]);
	else if (strcmp(cmd, "set-port") == 0 && nargs >= 2)
		rc = cmd_set_port(a[0], a + 1, nargs - 1);
	else if (strcmp(cmd, "add-meter") == 0 && nargs == 1)
		rc = cmd_add_meter(a[0]);
	else if (strcmp(cmd, "shutdown") == 0 && nargs == 0)
		rc = cmd_shutdown();
	else {
		fprintf(stderr, "slbench-ctl: unknown command or wrong arguments: %s\n", cmd);
		usage(stderr);
		rc = 2;
	}
	zmq_ctx_term(zctx);
	return rc;
}
