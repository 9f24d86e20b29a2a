/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Arbitrary bytes as a control request, the way sluiced and the primary
 * take them: over a real ZeroMQ REQ/REP pair (inproc, no other process)
 * through sl_msg_recv_request(), whose verdict must match what the bytes
 * are, and whose error reply must reach the client as a valid Reply.
 * A request that passes is then checked the way sluiced checks it
 * (sl_db_port_check, sl_db_port_setting, sl_db_option_set, the flow
 * parser against the DB's ports); what sluiced accepts must survive the
 * DB's save and load unchanged, since that is what a restart replays.
 */
#include <errno.h>

#include <zmq.h>

#include "flow_syntax.h"
#include "fuzz_db.h"
#include "msg.h"
#include "verbs.h"

static void *zctx, *client, *server;

static void
sockets_open(void)
{
	int linger = 0, timeout = 2000;

	zctx = zmq_ctx_new();
	client = zmq_socket(zctx, ZMQ_REQ);
	server = zmq_socket(zctx, ZMQ_REP);
	FUZZ_CHECK(zctx && client && server, "zmq: %s", zmq_strerror(zmq_errno()));
	zmq_setsockopt(client, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(server, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(client, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
	zmq_setsockopt(server, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
	FUZZ_CHECK(zmq_bind(server, "inproc://sluice-fuzz") == 0 &&
			   zmq_connect(client, "inproc://sluice-fuzz") == 0,
		   "zmq: %s", zmq_strerror(zmq_errno()));
}

/* The bytes through sl_msg_recv_request; returns the request it accepted, or NULL. */
static Sluice__Request *
through_msg(const uint8_t *data, size_t size, const Sluice__Request *direct)
{
	Sluice__Request *req = NULL;
	Sluice__Reply *rep;
	char err[512] = "", buf[4096];
	int rc, n, want;

	FUZZ_CHECK(zmq_send(client, data, size, 0) == (int)size, "send: %s",
		   zmq_strerror(zmq_errno()));
	rc = sl_msg_recv_request(server, 0, &req, err, sizeof(err));
	if (direct == NULL)
		want = -EBADMSG;
	else if (direct->version != SL_PROTO_VERSION)
		want = -EPROTO;
	else if (direct->cmd_case == SLUICE__REQUEST__CMD__NOT_SET &&
		 direct->internal_case == SLUICE__REQUEST__INTERNAL__NOT_SET)
		want = -EBADMSG;
	else
		want = 0;
	FUZZ_CHECK(rc == want, "sl_msg_recv_request returned %d, expected %d (%s)", rc, want,
		   err);
	FUZZ_CHECK((rc == 0) == (req != NULL), "request %p with rc %d", (void *)req, rc);
	if (rc < 0) {
		FUZZ_CHECK(fuzz_one_line(err), "refusal is not one line: \"%s\"", err);
		FUZZ_CHECK(sl_msg_reply_error(server, -rc, "%s", err) == 0, "cannot reply");
	} else {
		FUZZ_CHECK(req->cmd_case == direct->cmd_case &&
				   req->internal_case == direct->internal_case,
			   "command changed on the way");
		FUZZ_CHECK(sl_msg_reply_error(server, 0, "%s", "ok") == 0, "cannot reply");
	}
	n = zmq_recv(client, buf, sizeof(buf), 0);
	FUZZ_CHECK(n > 0 && (size_t)n <= sizeof(buf), "no reply (%d)", n);
	rep = sluice__reply__unpack(NULL, (size_t)n, (uint8_t *)buf);
	FUZZ_CHECK(rep != NULL, "the reply does not unpack");
	FUZZ_CHECK(rep->version == SL_PROTO_VERSION && rep->status == (rc < 0 ? -rc : 0) &&
			   strcmp(rep->error, rc < 0 ? err : "ok") == 0,
		   "reply %u/%d/\"%s\" for %d \"%s\"", rep->version, rep->status, rep->error, rc,
		   err);
	sluice__reply__free_unpacked(rep, NULL);
	return req;
}

/* True if @m or a message inside it kept fields the schema does not know. */
static bool
has_unknown(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d;

	if (m == NULL)
		return false;
	if (m->n_unknown_fields > 0)
		return true;
	d = m->descriptor;
	for (unsigned int i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *base = (const char *)m;

		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + f->quantifier_offset);
			ProtobufCMessage *const *sub = *(ProtobufCMessage *const *const *)(base + f->offset);

			for (size_t j = 0; j < n; j++)
				if (has_unknown(sub[j]))
					return true;
			continue;
		}
		if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    *(const uint32_t *)(base + f->quantifier_offset) != f->id)
			continue;
		if (has_unknown(*(ProtobufCMessage *const *)(base + f->offset)))
			return true;
	}
	return false;
}

/*
 * Packing what was unpacked gives bytes that unpack to the same packing
 * again: sluiced forwards what it unpacked to the primary.  Known
 * exception, in protobuf-c 1.4: a field numbered 0 with a two-byte tag is
 * kept as an unknown field on unpack but refused after packing.
 */
static void
repack(const Sluice__Request *req)
{
	size_t n = sluice__request__get_packed_size(req), m;
	uint8_t *a = malloc(n ? n : 1), *b;
	Sluice__Request *again;

	FUZZ_CHECK(sluice__request__pack(req, a) == n, "pack size");
	again = sluice__request__unpack(NULL, n, a);
	if (again == NULL && has_unknown(&req->base)) {
		free(a);
		return;
	}
	FUZZ_CHECK(again != NULL, "a packed request does not unpack");
	m = sluice__request__get_packed_size(again);
	b = malloc(m ? m : 1);
	FUZZ_CHECK(m == n && sluice__request__pack(again, b) == m && memcmp(a, b, n) == 0,
		   "packing is not stable");
	sluice__request__free_unpacked(again, NULL);
	free(a);
	free(b);
}

/* sluiced's DB before each request: two ports, one option, one flow. */
static void
db_fresh(struct sl_db *db)
{
	static struct sl_db_port p1, p2;
	struct sl_flow f;
	char path[128], err[256];

	sl_db_port_init(&p1, "p1", "net_null0,no-rx=1");
	p1.ofport = 1;
	sl_db_port_init(&p2, "uplink", "net_pcap0,rx_pcap=/x.pcap");
	p2.ofport = 7;
	fuzz_path(path, sizeof(path), "sluice.db");
	FUZZ_CHECK(sl_db_init(db, path) == 0, "init");
	FUZZ_CHECK(sl_db_port_setting(&p2, "mtu=9000", true, err, sizeof(err)) >= 0, "mtu");
	FUZZ_CHECK(sl_db_port_check(db, &p1, err, sizeof(err)) == 0 && sl_db_port_add(db, &p1) == 0 &&
			   sl_db_port_check(db, &p2, err, sizeof(err)) == 0 &&
			   sl_db_port_add(db, &p2) == 0,
		   "ports: %s", err);
	FUZZ_CHECK(sl_db_option_set(db, "pmd-maxsleep=50", true, err, sizeof(err)) >= 0, "option");
	FUZZ_CHECK(sl_flow_parse("priority=5,in_port=p1,actions=output:uplink", SL_PARSE_FLOW,
				 sl_db_resolve_port, db, &f, err, sizeof(err)) == 0 &&
			   sl_ftable_add(&db->flows, &f) == 0,
		   "flow: %s", err);
}

static void
check_add_port(struct sl_db *db, const Sluice__PortSpec *spec)
{
	static struct sl_db_port p;
	char err[512] = "", text[128];
	struct sl_db back;
	struct sl_flow f;
	uint64_t mtu, n_rxq;

	if (spec == NULL || spec->name == NULL || strlen(spec->name) >= sizeof(p.name))
		return; /* sluiced refuses these before any check */
	sl_db_port_init(&p, spec->name, spec->devargs);
	p.ofport = spec->ofport;
	for (size_t i = 0; i < spec->n_settings; i++)
		if (sl_db_port_setting(&p, spec->settings[i], true, err, sizeof(err)) < 0) {
			FUZZ_CHECK(err[0] != '\0', "setting refused without a reason");
			return;
		}
	if (sl_values_check_all(&sl_port_settings, &p.settings, err, sizeof(err)) < 0 ||
	    sl_db_port_check(db, &p, err, sizeof(err)) < 0) {
		FUZZ_CHECK(err[0] != '\0', "port refused without a reason");
		return;
	}
	FUZZ_CHECK(sl_port_name_check(p.name, err, sizeof(err)) == 0, "accepted name: %s", err);
	mtu = sl_values_u64(&sl_port_settings, &p.settings, SL_PS_MTU);
	n_rxq = sl_values_u64(&sl_port_settings, &p.settings, SL_PS_N_RXQ);
	FUZZ_CHECK(((p.ofport >= 1 && p.ofport <= SL_OFPORT_MAX) ||
		    (p.ofport == SL_OFPP_LOCAL && strcmp(p.name, SL_BRIDGE_NAME) == 0)) &&
			   n_rxq >= 1 &&
			   n_rxq <= SL_MAX_RXQ && mtu >= SL_MTU_MIN && mtu <= SL_MTU_MAX,
		   "accepted ofport %u n_rxq %llu mtu %llu", p.ofport, (unsigned long long)n_rxq,
		   (unsigned long long)mtu);
	FUZZ_CHECK(sl_db_port_add(db, &p) == 0, "add");
	/* A name the DB accepts is one flows can use, and it means this port. */
	snprintf(text, sizeof(text), "in_port=%s,actions=output:%s", p.name, p.name);
	FUZZ_CHECK(sl_flow_parse(text, SL_PARSE_FLOW, sl_db_resolve_port, db, &f, err,
				 sizeof(err)) == 0,
		   "port \"%s\" was accepted but flows cannot name it: %s", p.name, err);
	FUZZ_CHECK(f.match.key.in_port == p.ofport && f.actions.n == 1 &&
			   f.actions.a[0].arg == p.ofport,
		   "port \"%s\" in a flow is not ofport %u", p.name, p.ofport);
	fuzz_db_save_load(db, &back, "add-port");
	sl_db_fini(&back);
}

static void
check_set_port(struct sl_db *db, const Sluice__SetPort *sp)
{
	struct sl_db_port *p = sp->name ? sl_db_port_find(db, sp->name) : NULL;
	static struct sl_db_port before;
	struct sl_db back;
	char err[512];
	size_t i;

	if (p == NULL || sp->n_settings == 0)
		return;
	before = *p;
	for (i = 0; i < sp->n_settings; i++) {
		err[0] = '\0';
		if (sl_db_port_setting(p, sp->settings[i], false, err, sizeof(err)) < 0) {
			FUZZ_CHECK(err[0] != '\0', "setting refused without a reason");
			return;
		}
		FUZZ_CHECK(memcmp(&before, p, sizeof(before)) == 0, "validation changed the port");
	}
	for (i = 0; i < sp->n_settings; i++)
		FUZZ_CHECK(sl_db_port_setting(p, sp->settings[i], true, err, sizeof(err)) >= 0,
			   "\"%s\" validated but does not apply: %s", sp->settings[i], err);
	fuzz_db_save_load(db, &back, "set-port");
	sl_db_fini(&back);
}

static void
check_set_option(struct sl_db *db, const Sluice__SetOption *so)
{
	struct sl_db back;
	char err[512] = "";

	if (so->key == NULL || so->value == NULL || strlen(so->key) + strlen(so->value) > 900)
		return;
	char kv[1024];

	snprintf(kv, sizeof(kv), "%s=%s", so->key, so->value);
	if (sl_db_option_set(db, kv, false, err, sizeof(err)) < 0) {
		FUZZ_CHECK(err[0] != '\0', "option refused without a reason");
		return;
	}
	FUZZ_CHECK(sl_db_option_set(db, kv, true, err, sizeof(err)) >= 0, "set");
	fuzz_db_save_load(db, &back, "set-option");
	FUZZ_CHECK(sl_db_option_get(&back, so->key) != NULL &&
			   strcmp(sl_db_option_get(&back, so->key), sl_db_option_get(db, so->key)) == 0,
		   "option value");
	sl_db_fini(&back);
}

static void
check_flows(struct sl_db *db, const Sluice__FlowMod *fm, enum sl_flow_parse_mode mode,
	    bool replace)
{
	struct sl_flow *flows = calloc(fm->n_flows ? fm->n_flows : 1, sizeof(*flows));
	struct sl_db back;
	char err[512];
	size_t i;

	FUZZ_CHECK(flows != NULL, "calloc");
	for (i = 0; i < fm->n_flows; i++) {
		int rc = sl_flow_parse(fm->flows[i], mode, sl_db_resolve_port, db, &flows[i], err,
				       sizeof(err));

		if (rc < 0) {
			FUZZ_CHECK(fuzz_one_line(err), "flow error not one line: \"%s\"", err);
			free(flows);
			return;
		}
	}
	if (mode == SL_PARSE_MATCH) {
		for (i = 0; i < fm->n_flows; i++)
			sl_ftable_del(&db->flows, &flows[i].match, flows[i].priority, fm->strict);
	} else if (replace) {
		FUZZ_CHECK(sl_ftable_replace(&db->flows, flows, (uint32_t)fm->n_flows) >= 0, "replace");
	} else {
		FUZZ_CHECK(sl_ftable_add_batch(&db->flows, flows, (uint32_t)fm->n_flows) == 0, "add");
	}
	fuzz_db_save_load(db, &back, mode == SL_PARSE_MATCH ? "del-flows" : "add-flows");
	sl_db_fini(&back);
	free(flows);
}

/* What sluiced's handler checks for @req, then the DB round trip of what passed. */
static void
as_sluiced_would(const Sluice__Request *req)
{
	struct sl_db db;

	if (req->show == NULL) /* request_complete(): every oneof member is a pointer here */
		return;
	db_fresh(&db);
	switch (req->cmd_case) {
	case SLUICE__REQUEST__CMD_ADD_PORT:
		check_add_port(&db, req->add_port->port);
		break;
	case SLUICE__REQUEST__CMD_DEL_PORT:
		if (req->del_port->name != NULL && sl_db_port_find(&db, req->del_port->name) != NULL)
			FUZZ_CHECK(sl_db_port_del(&db, req->del_port->name) == 0, "del-port");
		break;
	case SLUICE__REQUEST__CMD_SET_PORT:
		check_set_port(&db, req->set_port);
		break;
	case SLUICE__REQUEST__CMD_SET_OPTION:
		check_set_option(&db, req->set_option);
		break;
	case SLUICE__REQUEST__CMD_ADD_FLOWS:
		check_flows(&db, req->add_flows, SL_PARSE_FLOW, false);
		break;
	case SLUICE__REQUEST__CMD_REPLACE_FLOWS:
		check_flows(&db, req->replace_flows, SL_PARSE_FLOW, true);
		break;
	case SLUICE__REQUEST__CMD_DEL_FLOWS:
		check_flows(&db, req->del_flows, SL_PARSE_MATCH, false);
		break;
	default:
		break;
	}
	sl_db_fini(&db);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Sluice__Request *direct, *req;

	if (zctx == NULL)
		sockets_open();
	direct = sluice__request__unpack(NULL, size, data);
	if (direct != NULL)
		repack(direct);
	req = through_msg(data, size, direct);
	if (req != NULL) {
		as_sluiced_would(req);
		sluice__request__free_unpacked(req, NULL);
	}
	if (direct != NULL)
		sluice__request__free_unpacked(direct, NULL);
	return 0;
}
