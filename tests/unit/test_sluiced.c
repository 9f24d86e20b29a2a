/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluiced's request handlers, replay and reconcile, against a stand-in for
 * sluice-primary: a thread answering on a real ZeroMQ socket
 * (ipc://DIR/primary.sock) that records every request it gets.  Checks what
 * reaches the primary, what the DB holds afterwards, and that a refusal by
 * sluiced or by the primary changes nothing.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <zmq.h>

#include "daemon.h"

#define MAX_SEEN 64

/* The stand-in primary. */
static struct {
	pthread_t thread;
	void *sock;
	volatile bool stop;
	pthread_mutex_t lock;
	Sluice__Request *seen[MAX_SEEN];
	unsigned int n_seen;
	/* How it answers: refuse requests of this case with this message. */
	Sluice__Request__CmdCase refuse;
	const char *refusal;
	/* What it says for show (reconcile): a port r1 with these settings. */
	const char *show_mtu;
	bool show_extra_port;
} fake;

static struct sl_daemon d;
static char dir[64], err[512];

static void
answer(Sluice__Request *req)
{
	Sluice__Reply rep = SLUICE__REPLY__INIT;
	Sluice__PortInfo pi = SLUICE__PORT_INFO__INIT, extra = SLUICE__PORT_INFO__INIT;
	Sluice__PortInfo *ports[2] = { &pi, &extra };
	static struct sl_values vals;
	Sluice__Hello h = SLUICE__HELLO__INIT;

	if (req->internal_case == SLUICE__REQUEST__INTERNAL_HELLO) {
		h.pid = getpid();
		rep.hello = &h;
	} else if (fake.refuse != 0 && req->cmd_case == fake.refuse) {
		rep.status = EINVAL;
		rep.error = (char *)fake.refusal;
	} else if (req->cmd_case == SLUICE__REQUEST__CMD_SHOW && fake.show_mtu != NULL) {
		/* Every setting at its default but the mtu. */
		sl_values_init(&vals, &sl_port_settings);
		snprintf(vals.v[SL_PS_MTU], sizeof(vals.v[SL_PS_MTU]), "%s", fake.show_mtu);
		sl_port_info_settings(&pi, &sl_port_settings, &vals);
		pi.name = "r1";
		pi.ofport = 1;
		extra.name = "stale";
		extra.ofport = 9;
		rep.ports = ports;
		rep.n_ports = fake.show_extra_port ? 2 : 1;
	}
	sl_msg_send_reply(fake.sock, &rep);
	for (size_t i = 0; i < pi.n_settings; i++) {
		free(pi.settings[i]->key);
		free(pi.settings[i]->value);
		free(pi.settings[i]);
	}
	free(pi.settings);
}

static void *
fake_primary(void *arg)
{
	(void)arg;
	while (!fake.stop) {
		zmq_pollitem_t pi = { .socket = fake.sock, .events = ZMQ_POLLIN };
		Sluice__Request *req;
		char e[256];

		if (zmq_poll(&pi, 1, 20) <= 0)
			continue;
		if (sl_msg_recv_request(fake.sock, 0, &req, e, sizeof(e)) < 0) {
			sl_msg_reply_error(fake.sock, EBADMSG, "%s", e);
			continue;
		}
		/* Recorded before it is answered: the caller may count at once. */
		pthread_mutex_lock(&fake.lock);
		answer(req);
		if (fake.n_seen < MAX_SEEN)
			fake.seen[fake.n_seen++] = req;
		else
			sluice__request__free_unpacked(req, NULL);
		pthread_mutex_unlock(&fake.lock);
	}
	return NULL;
}

static void
setup(void)
{
	char ep[128], db[128];

	snprintf(dir, sizeof(dir), "/tmp/sl-unit-sluiced-%d", getpid());
	cr_assert_eq(mkdir(dir, 0700), 0);
	memset(&d, 0, sizeof(d));
	memset((void *)&fake, 0, sizeof(fake));
	pthread_mutex_init(&fake.lock, NULL);
	d.rundir = dir;
	d.detach = true; /* no stderr noise */
	d.log_fd = -1;
	d.ready_fd = -1;
	d.n_workers = 1;
	d.healthy_ms = SL_HEALTHY_MS;
	d.zctx = zmq_ctx_new();
	snprintf(db, sizeof(db), "%s/sluice.db", dir);
	cr_assert_eq(sl_db_load(&d.db, db, err, sizeof(err)), 0, "%s", err);
	sl_procs_init(&d);
	d.phase = SL_PRI_UP;
	sl_endpoint(d.primary_ep, sizeof(d.primary_ep), dir, "primary.sock");
	snprintf(ep, sizeof(ep), "%s", d.primary_ep);
	fake.sock = zmq_socket(d.zctx, ZMQ_REP);
	cr_assert_eq(zmq_bind(fake.sock, ep), 0);
	/* The primary's read thread too: one socket serves both endpoints here. */
	sl_endpoint(d.primary_ro_ep, sizeof(d.primary_ro_ep), dir, "primary-ro.sock");
	cr_assert_eq(zmq_bind(fake.sock, d.primary_ro_ep), 0);
	cr_assert_eq(pthread_create(&fake.thread, NULL, fake_primary, NULL), 0);
}

static void
teardown(void)
{
	char cmd[128];

	fake.stop = true;
	pthread_join(fake.thread, NULL);
	zmq_close(fake.sock);
	for (unsigned int i = 0; i < fake.n_seen; i++)
		sluice__request__free_unpacked(fake.seen[i], NULL);
	sl_db_fini(&d.db);
	zmq_ctx_term(d.zctx);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(sluiced, .init = setup, .fini = teardown, .timeout = 30);

/* Handle one request as if sluicectl had sent it; the reply's status. */
static int
call(Sluice__Request *req, char *msg, size_t msglen)
{
	struct sl_call c = { 0 };
	Sluice__Reply *rep;
	int status;

	req->version = SL_PROTO_VERSION;
	c.req = req;
	rep = sl_api_handle(&d, &c);
	cr_assert_not_null(rep);
	cr_assert_neq(rep, SL_DEFERRED);
	status = rep->status;
	if (msg != NULL)
		snprintf(msg, msglen, "%s", rep->error);
	sluice__reply__free_unpacked(rep, NULL);
	return status;
}

static int
add_port(const char *name, const char *devargs, char **settings, size_t n, char *msg)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__AddPort ap = SLUICE__ADD_PORT__INIT;
	Sluice__PortSpec ps = SLUICE__PORT_SPEC__INIT;

	ps.name = (char *)name;
	ps.devargs = (char *)devargs;
	ps.settings = settings;
	ps.n_settings = n;
	ap.port = &ps;
	req.cmd_case = SLUICE__REQUEST__CMD_ADD_PORT;
	req.add_port = &ap;
	return call(&req, msg, sizeof(err));
}

static int
set_port(const char *name, char **settings, size_t n, char *msg)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__SetPort sp = SLUICE__SET_PORT__INIT;

	sp.name = (char *)name;
	sp.settings = settings;
	sp.n_settings = n;
	req.cmd_case = SLUICE__REQUEST__CMD_SET_PORT;
	req.set_port = &sp;
	return call(&req, msg, sizeof(err));
}

static unsigned int
seen(void)
{
	unsigned int n;

	pthread_mutex_lock(&fake.lock);
	n = fake.n_seen;
	pthread_mutex_unlock(&fake.lock);
	return n;
}

static char *
db_text(void)
{
	static char buf[8192];
	FILE *f = fopen(d.db.path, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (f != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

Test(sluiced, add_port_sends_canonical_settings_and_the_chosen_ofport)
{
	char *s[] = { "mtu=09000", "rx-flow-ctrl=false" };
	const Sluice__PortSpec *ps;

	cr_assert_eq(add_port("r1", "net_ring0", s, 2, err), 0, "%s", err);
	cr_assert_eq(seen(), 1);
	cr_assert_eq(fake.seen[0]->cmd_case, SLUICE__REQUEST__CMD_ADD_PORT);
	ps = fake.seen[0]->add_port->port;
	cr_assert_eq(ps->ofport, 1, "sluiced picks the ofport so DB and primary agree");
	cr_assert_eq(ps->n_settings, 2);
	cr_assert_str_eq(ps->settings[0], "mtu=9000");
	cr_assert_str_eq(ps->settings[1], "rx-flow-ctrl=false");
	cr_assert(strstr(db_text(), "port r1 ofport=1 mtu=9000 rx-flow-ctrl=false devargs=net_ring0")
		  != NULL, "%s", db_text());
}

Test(sluiced, bad_input_never_reaches_the_primary_nor_the_db)
{
	char *bad_setting[] = { "mtu=9711" }, *unknown[] = { "colour=blue" };
	char *fixed[] = { "ofport=3" }, *good[] = { "mtu=2000" };

	cr_assert_eq(add_port("r1", "net_ring0", NULL, 0, err), 0, "%s", err);
	cr_assert_eq(add_port("r2", "net_ring1", bad_setting, 1, err), EINVAL);
	cr_assert(strstr(err, "68..9702") != NULL, "%s", err);
	cr_assert_eq(add_port("r1", "net_ring2", NULL, 0, err), EINVAL);
	cr_assert(strstr(err, "already exists") != NULL, "%s", err);
	cr_assert_eq(add_port("r3", "net_ring0", NULL, 0, err), EINVAL);
	cr_assert(strstr(err, "already port \"r1\"") != NULL, "same device: %s", err);
	cr_assert_eq(add_port("9x", "net_ring3", NULL, 0, err), EINVAL);
	cr_assert_eq(set_port("r1", unknown, 1, err), EINVAL);
	cr_assert(strstr(err, "unknown port setting \"colour\"") != NULL, "%s", err);
	cr_assert_eq(set_port("r1", fixed, 1, err), EINVAL);
	cr_assert(strstr(err, "cannot change") != NULL, "%s", err);
	cr_assert_eq(set_port("nosuch", good, 1, err), ENOENT);
	cr_assert_eq(seen(), 1, "only the good add-port was forwarded");
	cr_assert(strstr(db_text(), "r2") == NULL && strstr(db_text(), "r3") == NULL);
}

Test(sluiced, a_change_the_primary_refuses_leaves_the_db_as_it_was)
{
	char *s[] = { "mtu=2000" }, before[8192];

	cr_assert_eq(add_port("r1", "net_ring0", NULL, 0, err), 0, "%s", err);
	snprintf(before, sizeof(before), "%s", db_text());
	fake.refuse = SLUICE__REQUEST__CMD_SET_PORT;
	fake.refusal = "mtu 2000: net_ring refused it";
	cr_assert_eq(set_port("r1", s, 1, err), EINVAL);
	cr_assert_str_eq(err, "mtu 2000: net_ring refused it", "the primary's reason reaches the user");
	cr_assert_str_eq(db_text(), before);
	cr_assert_str_eq(sl_db_port_find(&d.db, "r1")->settings.v[SL_PS_MTU], "1500");
	fake.refuse = 0;
	cr_assert_eq(set_port("r1", s, 1, err), 0, "%s", err);
	cr_assert_str_eq(sl_db_port_find(&d.db, "r1")->settings.v[SL_PS_MTU], "2000");
}

Test(sluiced, internal_requests_are_refused_from_clients)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__WorkerEvent ev = SLUICE__WORKER_EVENT__INIT;

	req.internal_case = SLUICE__REQUEST__INTERNAL_WORKER_EVENT;
	req.worker_event = &ev;
	cr_assert_eq(call(&req, err, sizeof(err)), EPERM);
	cr_assert(strstr(err, "not accepted from clients") != NULL, "%s", err);
	cr_assert_eq(seen(), 0);
}

Test(sluiced, every_persisted_verb_has_a_handler)
{
	cr_assert_eq(sl_api_check(err, sizeof(err)), 0, "%s", err);
	for (size_t i = 0; i < SL_N_VERBS; i++)
		cr_assert_not_null(sl_verb_by_name(sl_verbs[i].name));
	cr_assert_str_eq(sl_verb_of_cmd(SLUICE__REQUEST__CMD_ADD_FLOWS)->name, "add-flow");
}

/* The DB as a fresh primary must get it: every port, every flow, every option given. */
Test(sluiced, replay_sends_the_whole_db)
{
	char *s[] = { "mtu=2000", "n_rxq=2" };
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__FlowMod fm = SLUICE__FLOW_MOD__INIT;
	char *flows[] = { "priority=5,in_port=r1,actions=output:2" };
	unsigned int n;

	cr_assert_eq(add_port("r1", "net_ring0", s, 2, err), 0, "%s", err);
	fm.flows = flows;
	fm.n_flows = 1;
	req.cmd_case = SLUICE__REQUEST__CMD_ADD_FLOWS;
	req.add_flows = &fm;
	cr_assert_eq(call(&req, err, sizeof(err)), 0, "%s", err);
	cr_assert_geq(sl_db_option_set(&d.db, "pmd-maxsleep=7", true, err, sizeof(err)), 0);
	n = seen();
	sl_replay(&d);
	cr_assert_str_eq(d.replay_error, "");
	cr_assert_eq(seen(), n + 3, "a port, the flows, an option");
	cr_assert_eq(fake.seen[n]->cmd_case, SLUICE__REQUEST__CMD_ADD_PORT);
	cr_assert_eq(fake.seen[n]->add_port->port->n_settings, 2);
	cr_assert_str_eq(fake.seen[n]->add_port->port->settings[1], "n_rxq=2");
	cr_assert_eq(fake.seen[n + 1]->cmd_case, SLUICE__REQUEST__CMD_REPLACE_FLOWS);
	cr_assert_str_eq(fake.seen[n + 1]->replace_flows->flows[0],
			 "priority=5,in_port=1,actions=output:2");
	cr_assert_eq(fake.seen[n + 2]->cmd_case, SLUICE__REQUEST__CMD_SET_OPTION);
	cr_assert_str_eq(fake.seen[n + 2]->set_option->value, "7");
}

/* A running primary gets only what differs from the DB. */
Test(sluiced, reconcile_sends_only_the_differences)
{
	char *s[] = { "mtu=2000" };
	unsigned int n;
	bool set_mtu = false, del_stale = false;

	cr_assert_eq(add_port("r1", "net_ring0", s, 1, err), 0, "%s", err);
	fake.show_mtu = "1500";
	fake.show_extra_port = true;
	n = seen();
	sl_reconcile(&d);
	for (unsigned int i = n; i < seen(); i++) {
		const Sluice__Request *r = fake.seen[i];

		cr_assert_neq(r->cmd_case, SLUICE__REQUEST__CMD_ADD_PORT, "r1 exists: not added");
		cr_assert_neq(r->cmd_case, SLUICE__REQUEST__CMD_REPLACE_FLOWS, "flows agree");
		if (r->cmd_case == SLUICE__REQUEST__CMD_SET_PORT) {
			cr_assert_str_eq(r->set_port->name, "r1");
			cr_assert_eq(r->set_port->n_settings, 1, "only the mtu differs");
			cr_assert_str_eq(r->set_port->settings[0], "mtu=2000");
			set_mtu = true;
		}
		if (r->cmd_case == SLUICE__REQUEST__CMD_DEL_PORT) {
			cr_assert_str_eq(r->del_port->name, "stale");
			del_stale = true;
		}
	}
	cr_assert(set_mtu && del_stale);

	/* Same again with a primary that agrees: not one change is sent. */
	fake.show_mtu = "2000";
	fake.show_extra_port = false;
	n = seen();
	sl_reconcile(&d);
	for (unsigned int i = n; i < seen(); i++)
		cr_assert(fake.seen[i]->cmd_case == SLUICE__REQUEST__CMD_SHOW ||
			  fake.seen[i]->cmd_case == SLUICE__REQUEST__CMD_DUMP_FLOWS ||
			  fake.seen[i]->cmd_case == SLUICE__REQUEST__CMD_DUMP_METERS ||
			  fake.seen[i]->cmd_case == SLUICE__REQUEST__CMD_DUMP_GROUPS ||
			  fake.seen[i]->cmd_case == SLUICE__REQUEST__CMD_SET_OPTION,
			  "unexpected %s", sl_request_name(fake.seen[i]));
}

/* ---- supervision (ctl/supervise.c), on a clock of the test's own ---- */

static const struct sl_restart_policy sup_policy = { 100, 5000, 10000, 0 };

/* One run of @run_ms that ended in a crash at *now; returns whether it was worth a log line. */
static bool
crash_after(struct sl_proc *p, uint64_t *now, uint64_t run_ms)
{
	p->state = SL_PROC_RUNNING;
	p->started_ms = *now;
	*now += run_ms;
	return sl_proc_ended(p, 11 << 8, true, *now);
}

Test(supervise, the_back_off_doubles_to_5_s_and_never_gives_up_by_itself)
{
	static const uint32_t want[] = { 100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000 };
	struct sl_proc p;
	uint64_t now = 1000000;

	sl_proc_init(&p, "worker 0", &sup_policy);
	for (int i = 0; i < 1000; i++) {
		crash_after(&p, &now, 50);
		cr_assert_eq(p.state, SL_PROC_BACKOFF, "crash %d: given up on", i + 1);
		cr_assert_eq(p.restart_at_ms - now, i < 9 ? want[i] : 5000u, "crash %d: next try in %lu ms",
			     i + 1, (unsigned long)(p.restart_at_ms - now));
		now = p.restart_at_ms;
	}
	cr_assert(strstr(p.reason, "crash loop: 1000 failed runs in a row") != NULL, "%s", p.reason);
	cr_assert(strstr(p.reason, "next try in 5000 ms") != NULL, "%s", p.reason);
}

Test(supervise, a_crash_loop_is_logged_once_per_back_off_step_not_once_per_crash)
{
	struct sl_proc p;
	uint64_t now = 1000000;
	int logged = 0;

	sl_proc_init(&p, "primary", &sup_policy);
	for (int i = 0; i < 1000; i++) {
		bool line = crash_after(&p, &now, 50);

		/* What is not logged is not logged at its restart either (procs.c). */
		cr_assert_eq(p.quiet, !line, "crash %d", i + 1);
		logged += line;
		now = p.restart_at_ms;
	}
	/* 6 steps (100 .. 3200 -> 5000), then at 8, 16, ..., 512 crashes in a row at the cap. */
	cr_assert_eq(logged, 6 + 7, "%d log lines for 1000 crashes", logged);
}

Test(supervise, ten_healthy_seconds_reset_the_back_off)
{
	struct sl_proc p;
	uint64_t now = 1000000;

	sl_proc_init(&p, "worker 0", &sup_policy);
	for (int i = 0; i < 8; i++) {
		crash_after(&p, &now, 50);
		now = p.restart_at_ms;
	}
	cr_assert_eq(p.backoff_ms, 5000u);
	/* Running again: the loop is still shown until the run proves itself. */
	p.state = SL_PROC_RUNNING;
	p.started_ms = now;
	snprintf(p.reason, sizeof(p.reason), "running again");
	cr_assert_not(sl_proc_healthy(&p, now + 9999));
	cr_assert_eq(p.in_a_row, 8u);
	cr_assert(sl_proc_healthy(&p, now + 10000), "reset once 10 s up");
	cr_assert_not(sl_proc_healthy(&p, now + 10001), "and only once");
	cr_assert_eq(p.in_a_row, 0u);
	cr_assert_eq(p.backoff_ms, 100u);
	cr_assert_str_eq(p.reason, "");
	/* The next crash starts at the first step again. */
	now += 20000;
	cr_assert(sl_proc_ended(&p, 11 << 8, true, now), "the first crash after is logged");
	cr_assert_eq(p.restart_at_ms - now, 100u);
	cr_assert(strstr(p.reason, "restarting in 100 ms") != NULL, "%s", p.reason);
}
