/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bad input to the primary: each gets a clear error, changes nothing, and
 * leaves every process serving.  "Nothing changed" is checked by comparing
 * the port list and the flow table before and after.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <zmq.h>

#include "instance.h"

static struct inst in;

static void
teardown(void)
{
	inst_stop(&in);
}

TestSuite(bad_input, .fini = teardown, .timeout = 60);

/* Ports and flows as text, to compare a before and an after. */
static char *
snapshot(void)
{
	Sluice__Reply *rep = NULL;
	char err[256], *buf = NULL, *flows;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_eq(inst_call_empty(&in, SLUICE__REQUEST__CMD_SHOW,
				     &rep, err, sizeof(err)), 0, "show: %s", err);
	for (size_t i = 0; i < rep->n_ports; i++)
		fprintf(f, "port %s %u %s mtu=%u rxq=%u\n", rep->ports[i]->name,
			rep->ports[i]->ofport, rep->ports[i]->devargs, rep->ports[i]->mtu,
			rep->ports[i]->n_rxq);
	sluice__reply__free_unpacked(rep, NULL);
	flows = inst_flows_text(&in, NULL, NULL);
	fputs(flows, f);
	free(flows);
	fclose(f);
	return buf;
}

static void
setup_switch(const char *name)
{
	static const char *const table[] = {
		"priority=100,in_port=1,ip,nw_dst=10.0.0.0/24,actions=output:2",
		"priority=10,actions=drop",
	};
	char err[512];

	inst_start(&in, name, 1);
	cr_assert_eq(inst_add_port(&in, "p1", "net_null_bad1,no-rx=1", 1, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(inst_add_port(&in, "p2", "net_null_bad2,no-rx=1", 2, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(inst_flows(&in, "add", table, 2, err, sizeof(err)), 0, "%s", err);
}

struct bad_case {
	const char *what;
	int (*apply)(char *err, size_t errlen);
	const char *expect; /* substring of the error message */
};

static int
unknown_port_in_flow(char *err, size_t errlen)
{
	const char *f[] = { "in_port=p9,actions=output:2" };

	return inst_flows(&in, "add", f, 1, err, errlen);
}

static int
malformed_flow(char *err, size_t errlen)
{
	const char *f[] = { "nw_src=10.0.0.300,ip,actions=drop" };

	return inst_flows(&in, "add", f, 1, err, errlen);
}

static int
batch_with_one_bad_flow(char *err, size_t errlen)
{
	const char *f[] = { "priority=5,ip,actions=output:1", "priority=6,bogus=1,actions=drop",
			    "priority=7,arp,actions=NORMAL" };

	return inst_flows(&in, "add", f, 3, err, errlen);
}

static int
replace_with_bad_flow(char *err, size_t errlen)
{
	const char *f[] = { "priority=5,ip,actions=output:1", "priority=6,tcp,tp_dst=99999,actions=drop" };

	return inst_flows(&in, "replace", f, 2, err, errlen);
}

static int
duplicate_port_name(char *err, size_t errlen)
{
	return inst_add_port(&in, "p1", "net_null_bad3,no-rx=1", 0, err, errlen);
}

static int
taken_ofport(char *err, size_t errlen)
{
	return inst_add_port(&in, "p3", "net_null_bad3,no-rx=1", 2, err, errlen);
}

static int
devargs_that_fail(char *err, size_t errlen)
{
	return inst_add_port(&in, "p3", "net_pcap_bad,rx_pcap=/nonexistent/in.pcap", 0, err, errlen);
}

static int
unknown_driver(char *err, size_t errlen)
{
	return inst_add_port(&in, "p3", "net_nosuchdriver0", 0, err, errlen);
}

static int
device_already_attached(char *err, size_t errlen)
{
	return inst_add_port(&in, "p3", "net_null_bad1,no-rx=1", 0, err, errlen);
}

static int
del_unknown_port(char *err, size_t errlen)
{
	return inst_del_port(&in, "p9", err, errlen);
}

static int
mtu(const char *value, char *err, size_t errlen)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__SetPort sp = SLUICE__SET_PORT__INIT;
	Sluice__Reply *rep = NULL;
	char setting[64], *settings[] = { setting };
	int rc;

	snprintf(setting, sizeof(setting), "mtu=%s", value);
	sp.name = "p1";
	sp.settings = settings;
	sp.n_settings = 1;
	req.cmd_case = SLUICE__REQUEST__CMD_SET_PORT;
	req.set_port = &sp;
	rc = inst_call(&in, &req, &rep, err, errlen);
	if (rep != NULL)
		sluice__reply__free_unpacked(rep, NULL);
	return rc;
}

static int
mtu_too_small(char *err, size_t errlen)
{
	return mtu("20", err, errlen);
}

static int
mtu_too_big(char *err, size_t errlen)
{
	return mtu("100000", err, errlen);
}

static const struct bad_case cases[] = {
	{ "unknown port in a flow", unknown_port_in_flow, "unknown port \"p9\"" },
	{ "malformed flow", malformed_flow, "10.0.0.300" },
	{ "a batch with one bad flow", batch_with_one_bad_flow, "flow 2: " },
	{ "replace-flows with a bad flow", replace_with_bad_flow, "99999" },
	{ "duplicate port name", duplicate_port_name, "already exists" },
	{ "ofport taken", taken_ofport, "ofport 2 is taken" },
	{ "devargs that fail to probe", devargs_that_fail, "cannot attach" },
	{ "unknown driver", unknown_driver, "cannot attach" },
	{ "device already attached", device_already_attached, "already attached" },
	{ "del-port of an unknown port", del_unknown_port, "unknown port \"p9\"" },
	{ "mtu 20", mtu_too_small, "mtu" },
	{ "mtu 100000", mtu_too_big, "mtu" },
};

Test(bad_input, each_refused_with_a_clear_error_and_nothing_changed)
{
	char err[1024], *before, *after;

	setup_switch("bad");
	before = snapshot();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		cr_assert_neq(cases[i].apply(err, sizeof(err)), 0, "%s was accepted", cases[i].what);
		cr_assert(strstr(err, cases[i].expect) != NULL, "%s: message \"%s\" lacks \"%s\"",
			  cases[i].what, err, cases[i].expect);
		after = snapshot();
		cr_assert_str_eq(after, before, "%s changed the switch", cases[i].what);
		free(after);
	}
	free(before);
	inst_stop(&in);
}

/* Raw bytes straight onto the primary's socket; returns the reply's length. */
static int
send_raw(const void *data, size_t len, char *reply, size_t replylen)
{
	void *s = zmq_socket(in.zctx, ZMQ_REQ);
	int linger = 0, timeout = 3000, n;

	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
	cr_assert_eq(zmq_connect(s, in.endpoint), 0);
	cr_assert_geq(zmq_send(s, data, len, 0), 0);
	n = zmq_recv(s, reply, replylen, 0);
	zmq_close(s);
	cr_assert_gt(n, 0, "no reply to %zu raw bytes", len);
	cr_assert_leq((size_t)n, replylen, "a %d-byte reply to %zu raw bytes", n, len);
	return n;
}

Test(bad_input, malformed_and_oversized_messages_get_an_error_and_the_primary_serves_on)
{
	char reply[4096], *before, *after;
	Sluice__Reply *rep;
	size_t big = 70u << 20;
	char *huge = malloc(big);
	int n;

	setup_switch("raw");
	before = snapshot();
	/* Not a protobuf message at all (a tag with wire type 7). */
	n = send_raw("\xff\xff\xff\xff garbage", 13, reply, sizeof(reply));
	rep = sluice__reply__unpack(NULL, (size_t)n, (const uint8_t *)reply);
	cr_assert_not_null(rep, "the reply to garbage is not a Reply");
	cr_assert_eq(rep->status, EBADMSG, "status %d: %s", rep->status, rep->error);
	cr_assert(strstr(rep->error, "malformed request") != NULL, "error: %s", rep->error);
	sluice__reply__free_unpacked(rep, NULL);
	after = snapshot(); /* answers the next client, unchanged */
	cr_assert_str_eq(after, before);
	free(after);
	memset(huge, 0x0a, big);
	/* ZeroMQ drops an over-limit message and the peer with it: the REQ
	 * socket then gets no answer, which is the correct refusal; the
	 * primary must still serve the next client. */
	{
		void *s = zmq_socket(in.zctx, ZMQ_REQ);
		int linger = 0, timeout = 1000;

		zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
		zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
		zmq_connect(s, in.endpoint);
		zmq_send(s, huge, big, 0);
		zmq_recv(s, reply, sizeof(reply), 0);
		zmq_close(s);
	}
	free(huge);
	/* A version we do not speak. */
	{
		Sluice__Request req = SLUICE__REQUEST__INIT;
		Sluice__Empty e = SLUICE__EMPTY__INIT;
		uint8_t buf[64];
		size_t n;
		int len;
		void *s = zmq_socket(in.zctx, ZMQ_REQ);
		int linger = 0, timeout = 3000;

		req.version = 99;
		req.cmd_case = SLUICE__REQUEST__CMD_SHOW;
		req.show = &e;
		n = sluice__request__pack(&req, buf);
		zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
		zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
		zmq_connect(s, in.endpoint);
		zmq_send(s, buf, n, 0);
		len = zmq_recv(s, reply, sizeof(reply), 0);
		zmq_close(s);
		cr_assert_gt(len, 0);
		rep = sluice__reply__unpack(NULL, len, (const uint8_t *)reply);
		cr_assert_not_null(rep);
		cr_assert_eq(rep->status, EPROTO);
		cr_assert(strstr(rep->error, "version mismatch") != NULL, "%s", rep->error);
		sluice__reply__free_unpacked(rep, NULL);
	}
	after = snapshot();
	cr_assert_str_eq(after, before);
	free(before);
	free(after);
	inst_stop(&in);
}

static int
run_capture(char *const argv[], char *out, size_t outlen)
{
	int pipefd[2], status;
	ssize_t n, total = 0;
	pid_t pid;

	cr_assert_eq(pipe(pipefd), 0);
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pipefd[1]);
	while ((n = read(pipefd[0], out + total, outlen - 1 - total)) > 0)
		total += n;
	out[total] = '\0';
	close(pipefd[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

Test(bad_input, a_second_primary_on_the_same_rundir_is_refused)
{
	char bin[512], prefix[96], out[4096];
	char *argv[] = { bin, "--no-pci", prefix, "--proc-type=primary", "--lcores", "0@0", "--",
			 "--rundir", in.rundir, NULL };
	struct worker_counts wc;

	setup_switch("second");
	snprintf(bin, sizeof(bin), "%s/primary/sluice-primary", getenv("SLUICE_BUILD"));
	snprintf(prefix, sizeof(prefix), "--file-prefix=%s_2", in.prefix);
	argv[8] = in.rundir;
	cr_assert_neq(run_capture(argv, out, sizeof(out)), 0);
	cr_assert(strstr(out, "another sluice-primary") != NULL, "said: %s", out);
	/* The first one still answers, with its worker still running. */
	cr_assert_eq(inst_worker_counts(&in, 0, &wc), 0, "the first primary stopped answering");
	cr_assert_str_eq(wc.state, "running");
	inst_stop(&in);
}

/*
 * A secondary killed inside its EAL start, holding the memory hotplug
 * lock: the primary gives the lock back (common/eal_guard.h), so the next
 * secondary's cleanup, which takes that lock to write, finishes (it waited
 * for ever before), a worker still starts, and so does the primary's own
 * shutdown.
 */
Test(bad_input, a_secondary_killed_inside_its_eal_start_leaves_no_lock_taken)
{
	char bin[512], prefix[96], out[4096], log[1024];
	char *die[] = { bin, "--no-pci", prefix, "--proc-type=secondary", "--lcores", "100@0",
			"--log-level=lib.eal:error", "--", "die-in-eal-start", NULL };
	char *attach[] = { bin, "--no-pci", prefix, "--proc-type=secondary", "--lcores", "101@0",
			   "--log-level=lib.eal:error", "--", "attach", NULL };
	struct worker_counts wc;
	FILE *f;
	bool said = false;

	inst_start(&in, "eallock", 0);
	snprintf(prefix, sizeof(prefix), "--file-prefix=%s", in.prefix);
	snprintf(bin, sizeof(bin), "%s/tests/system/shm_poke", getenv("SLUICE_BUILD"));
	cr_assert_eq(run_capture(die, out, sizeof(out)), 128 + SIGKILL, "shm_poke: %s", out);
	cr_assert_eq(run_capture(attach, out, sizeof(out)), 0,
		     "a secondary's cleanup did not finish (128+14: still waiting after 20 s): %s",
		     out);
	snprintf(log, sizeof(log), "%s/primary.log", in.rundir);
	f = fopen(log, "r");
	cr_assert_not_null(f);
	while (!said && fgets(out, sizeof(out), f) != NULL)
		said = strstr(out, "inside its EAL start holding the memory hotplug lock: gave "
				   "back 1 reader(s)") != NULL;
	fclose(f);
	cr_assert(said, "the primary's log tells of the repair");
	inst_start_worker(&in, 0);
	cr_assert(inst_wait_worker(&in, 0, 10000), "a worker starts after it");
	cr_assert_eq(inst_worker_counts(&in, 0, &wc), 0);
	cr_assert_str_eq(wc.state, "running");
	inst_stop(&in);
}

Test(bad_input, a_worker_for_another_layout_version_refuses_to_attach)
{
	char bin[512], prefix[96], out[4096];
	char *poke[] = { bin, "--no-pci", prefix, "--proc-type=secondary", "--lcores", "100@0",
			 "--log-level=lib.eal:error", "--", "777", NULL };
	char *worker[] = { bin, "--no-pci", prefix, "--proc-type=secondary", "--lcores", "3@1",
			   "--log-level=lib.eal:error", "--", "--id", "0", NULL };

	inst_start(&in, "layout", 0);
	snprintf(prefix, sizeof(prefix), "--file-prefix=%s", in.prefix);
	snprintf(bin, sizeof(bin), "%s/tests/system/shm_poke", getenv("SLUICE_BUILD"));
	cr_assert_eq(run_capture(poke, out, sizeof(out)), 0, "shm_poke: %s", out);
	snprintf(bin, sizeof(bin), "%s/secondary/sluice-worker", getenv("SLUICE_BUILD"));
	cr_assert_neq(run_capture(worker, out, sizeof(out)), 0);
	cr_assert(strstr(out, "layout version mismatch") != NULL, "said: %s", out);
	inst_stop(&in);
}
