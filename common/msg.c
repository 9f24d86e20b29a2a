/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "msg.h"
#include "settings.h"
#include "util.h"

static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int
send_packed(void *sock, const ProtobufCMessage *msg)
{
	size_t len = protobuf_c_message_get_packed_size(msg);
	zmq_msg_t zm;
	int rc;

	if (zmq_msg_init_size(&zm, len) != 0)
		return -ENOMEM;
	protobuf_c_message_pack(msg, zmq_msg_data(&zm));
	rc = zmq_msg_send(&zm, sock, 0);
	if (rc < 0) {
		rc = -zmq_errno();
		zmq_msg_close(&zm);
		return rc;
	}
	return 0;
}

int
sl_msg_call(void *zctx, const char *endpoint, Sluice__Request *req, Sluice__Reply **reply,
	    int timeout_ms, char *err, size_t errlen)
{
	return sl_msg_call_while(zctx, endpoint, req, reply, timeout_ms, NULL, err, errlen);
}

int
sl_msg_call_while(void *zctx, const char *endpoint, Sluice__Request *req, Sluice__Reply **reply,
		  int timeout_ms, const struct sl_msg_wait *w, char *err, size_t errlen)
{
	int linger = 0, rc;
	uint64_t deadline;
	zmq_pollitem_t pi[2];
	bool busy;
	zmq_msg_t zm;
	void *sock;

	*reply = NULL;
	req->version = SL_PROTO_VERSION;
	sock = zmq_socket(zctx, ZMQ_REQ);
	if (sock == NULL) {
		set_err(err, errlen, "cannot create socket: %s", zmq_strerror(zmq_errno()));
		return -ENOMEM;
	}
	zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger));
	if (zmq_connect(sock, endpoint) != 0) {
		rc = -zmq_errno();
		set_err(err, errlen, "cannot connect to %s: %s", endpoint, zmq_strerror(-rc));
		goto out;
	}
	rc = send_packed(sock, &req->base);
	if (rc < 0) {
		set_err(err, errlen, "cannot send to %s: %s", endpoint, zmq_strerror(-rc));
		goto out;
	}
	/* A signal (SIGCHLD in sluiced) interrupts the wait; only the clock ends it. */
	deadline = sl_now_ms() + (uint64_t)timeout_ms;
	busy = w != NULL && w->work != NULL;
	do {
		uint64_t now = sl_now_ms();
		long slice = now < deadline ? (long)(deadline - now) : 0;

		/* With a liveness check, wait in slices: a dead peer never answers. */
		if (w != NULL && w->alive != NULL && slice > 100)
			slice = 100;
		/* With work to do, only look. */
		if (busy)
			slice = 0;
		pi[0] = (zmq_pollitem_t){ .socket = sock, .events = ZMQ_POLLIN };
		pi[1] = (zmq_pollitem_t){ .socket = w != NULL ? w->also : NULL, .events = ZMQ_POLLIN };
		rc = zmq_poll(pi, pi[1].socket != NULL ? 2 : 1, slice);
		if (rc > 0 && (pi[1].revents & ZMQ_POLLIN)) {
			w->serve(w->arg);
			if (!(pi[0].revents & ZMQ_POLLIN))
				rc = 0; /* not our reply yet */
		}
		if (rc == 0 && w != NULL && w->alive != NULL && !w->alive(w->arg)) {
			rc = -EPIPE;
			set_err(err, errlen, "%s went away before answering", endpoint);
			goto out;
		}
		if (rc == 0 && busy)
			busy = w->work(w->work_arg);
	} while ((rc == 0 || (rc < 0 && zmq_errno() == EINTR)) && sl_now_ms() < deadline);
	if (rc <= 0) {
		rc = -ETIMEDOUT;
		set_err(err, errlen, "no answer from %s within %d ms", endpoint, timeout_ms);
		goto out;
	}
	zmq_msg_init(&zm);
	if (zmq_msg_recv(&zm, sock, 0) < 0) {
		rc = -zmq_errno();
		set_err(err, errlen, "receive from %s: %s", endpoint, zmq_strerror(-rc));
		zmq_msg_close(&zm);
		goto out;
	}
	*reply = sluice__reply__unpack(NULL, zmq_msg_size(&zm), zmq_msg_data(&zm));
	zmq_msg_close(&zm);
	if (*reply == NULL) {
		rc = -EBADMSG;
		set_err(err, errlen, "malformed reply from %s", endpoint);
		goto out;
	}
	if ((*reply)->version != SL_PROTO_VERSION && (*reply)->status == 0) {
		set_err(err, errlen, "version mismatch: we speak %u, %s speaks %u",
			SL_PROTO_VERSION, endpoint, (*reply)->version);
		sluice__reply__free_unpacked(*reply, NULL);
		*reply = NULL;
		rc = -EPROTO;
		goto out;
	}
	rc = 0;
out:
	zmq_close(sock);
	return rc;
}

int
sl_msg_recv_request(void *sock, int flags, Sluice__Request **req, char *err, size_t errlen)
{
	zmq_msg_t zm;
	int more = 0, rc = 0;
	size_t optlen = sizeof(more);

	*req = NULL;
	zmq_msg_init(&zm);
	if (zmq_msg_recv(&zm, sock, flags) < 0) {
		rc = -zmq_errno();
		zmq_msg_close(&zm);
		return rc;
	}
	/* A multi-part request is not ours: drain the rest so REP can answer. */
	zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &optlen);
	while (more) {
		zmq_msg_t extra;

		zmq_msg_init(&extra);
		zmq_msg_recv(&extra, sock, 0);
		zmq_msg_close(&extra);
		zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &optlen);
		rc = -EBADMSG;
	}
	if (rc == 0)
		rc = sl_msg_decode_request(zmq_msg_data(&zm), zmq_msg_size(&zm), req, err, errlen);
	else
		set_err(err, errlen, "malformed request: multi-part message");
	zmq_msg_close(&zm);
	return rc;
}

/*
 * Decoding can take far more memory than the bytes on the wire (an empty
 * string costs two bytes there and a pointer plus an allocation here):
 * unpack with an allocator that stops at a budget proportional to the
 * message.  What it hands out is plain malloc, so the request is freed as
 * any other.
 */
struct decode_budget {
	size_t left;
	bool exhausted;
};

static void *
budget_alloc(void *data, size_t size)
{
	struct decode_budget *b = data;
	size_t cost = size + 16; /* malloc's own overhead, roughly */

	if (cost > b->left) {
		b->exhausted = true;
		return NULL;
	}
	b->left -= cost;
	return malloc(size);
}

static void
budget_free(void *data, void *p)
{
	(void)data;
	free(p);
}

int
sl_msg_decode_request(const void *data, size_t len, Sluice__Request **req, char *err,
		      size_t errlen)
{
	struct decode_budget budget = { SL_DECODE_BASE + SL_DECODE_FACTOR * len, false };
	ProtobufCAllocator alloc = { budget_alloc, budget_free, &budget };

	*req = NULL;
	if (len > SL_MSG_MAX) {
		set_err(err, errlen, "request of %zu bytes exceeds the %u-byte limit", len,
			SL_MSG_MAX);
		return -EMSGSIZE;
	}
	*req = sluice__request__unpack(&alloc, len, data);
	if (*req == NULL && budget.exhausted) {
		set_err(err, errlen,
			"request of %zu bytes would take more than %zu MiB once decoded: refused "
			"(split it)",
			len, (size_t)(SL_DECODE_BASE + SL_DECODE_FACTOR * len) >> 20);
		return -EMSGSIZE;
	}
	if (*req == NULL) {
		set_err(err, errlen, "malformed request: not a sluice.Request message");
		return -EBADMSG;
	}
	if ((*req)->version != SL_PROTO_VERSION) {
		set_err(err, errlen, "version mismatch: client speaks %u, we speak %u",
			(*req)->version, SL_PROTO_VERSION);
		sluice__request__free_unpacked(*req, NULL);
		*req = NULL;
		return -EPROTO;
	}
	if ((*req)->cmd_case == SLUICE__REQUEST__CMD__NOT_SET &&
	    (*req)->internal_case == SLUICE__REQUEST__INTERNAL__NOT_SET) {
		set_err(err, errlen, "request names no command");
		sluice__request__free_unpacked(*req, NULL);
		*req = NULL;
		return -EBADMSG;
	}
	return 0;
}

int
sl_msg_recv_routed(void *sock, int flags, struct sl_peer *peer, Sluice__Request **req, char *err,
		   size_t errlen)
{
	zmq_msg_t part[3];
	size_t n = 0, extra = 0;
	int more = 1, rc = 0;
	size_t optlen = sizeof(more);

	*req = NULL;
	peer->idlen = 0;
	/* ROUTER frames from a REQ client: identity, empty delimiter, payload. */
	while (more && rc == 0) {
		zmq_msg_t m;

		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, sock, n + extra == 0 ? flags : 0) < 0) {
			rc = -zmq_errno();
			zmq_msg_close(&m);
			break;
		}
		if (n < 3)
			part[n++] = m;
		else
			extra++, zmq_msg_close(&m);
		zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &optlen);
	}
	if (rc == 0 && n >= 1 && zmq_msg_size(&part[0]) > 0 &&
	    zmq_msg_size(&part[0]) <= sizeof(peer->id)) {
		peer->idlen = zmq_msg_size(&part[0]);
		memcpy(peer->id, zmq_msg_data(&part[0]), peer->idlen);
	}
	if (rc == 0 && peer->idlen == 0) {
		rc = -EAGAIN; /* nobody to answer */
	} else if (rc == 0 && (n != 3 || extra != 0 || zmq_msg_size(&part[1]) != 0)) {
		set_err(err, errlen, "malformed request: not one REQ message");
		rc = -EBADMSG;
	} else if (rc == 0) {
		rc = sl_msg_decode_request(zmq_msg_data(&part[2]), zmq_msg_size(&part[2]), req,
					   err, errlen);
	}
	for (size_t i = 0; i < n; i++)
		zmq_msg_close(&part[i]);
	return rc;
}

int
sl_msg_send_routed(void *sock, const struct sl_peer *peer, Sluice__Reply *rep)
{
	int rc;

	rep->version = SL_PROTO_VERSION;
	if (zmq_send(sock, peer->id, peer->idlen, ZMQ_SNDMORE) < 0 ||
	    zmq_send(sock, "", 0, ZMQ_SNDMORE) < 0)
		return -zmq_errno();
	rc = send_packed(sock, &rep->base);
	return rc;
}

int
sl_msg_send_reply(void *sock, Sluice__Reply *rep)
{
	rep->version = SL_PROTO_VERSION;
	return send_packed(sock, &rep->base);
}

void
sl_reply_set_error(Sluice__Reply *rep, int status, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	rep->status = status < 0 ? -status : status;
	if (rep->error != NULL && rep->error != protobuf_c_empty_string)
		free(rep->error);
	rep->error = strdup(buf);
}

int
sl_msg_reply_error(void *sock, int status, const char *fmt, ...)
{
	Sluice__Reply rep = SLUICE__REPLY__INIT;
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	rep.status = status < 0 ? -status : status;
	rep.error = buf;
	return sl_msg_send_reply(sock, &rep);
}

const char *
sl_state_name(Sluice__ProcState state)
{
	switch (state) {
	case SLUICE__PROC_STATE__PROC_FREE: return "free";
	case SLUICE__PROC_STATE__PROC_RUNNING: return "running";
	case SLUICE__PROC_STATE__PROC_DEAD: return "dead";
	case SLUICE__PROC_STATE__PROC_HUNG: return "hung";
	case SLUICE__PROC_STATE__PROC_HANDOFF: return "handoff";
	case SLUICE__PROC_STATE__PROC_STARTING: return "starting";
	case SLUICE__PROC_STATE__PROC_RESTARTING: return "restarting";
	case SLUICE__PROC_STATE__PROC_FAILED: return "failed";
	case SLUICE__PROC_STATE__PROC_STOPPED: return "stopped";
	default: return "unknown";
	}
}

void
sl_reply_free_built(Sluice__Reply *rep)
{
	/* Handlers build replies with malloc'd parts, as unpack would. */
	if (rep != NULL)
		sluice__reply__free_unpacked(rep, NULL);
}

/* Both map entry types are { base, key, value }: one filler for either. */
#define FILL_MAP(arr_, count_, type_, init_, tbl_, vals_)                          \
	({                                                                       \
		int rc_ = 0;                                                     \
		(arr_) = calloc((tbl_)->n ? (tbl_)->n : 1, sizeof(*(arr_)));     \
		if ((arr_) == NULL)                                              \
			rc_ = -ENOMEM;                                           \
		for (size_t i_ = 0; rc_ == 0 && i_ < (tbl_)->n; i_++) {          \
			type_ *e_ = malloc(sizeof(*e_));                         \
			if (e_ == NULL) {                                        \
				rc_ = -ENOMEM;                                   \
				break;                                           \
			}                                                        \
			init_(e_);                                               \
			e_->key = strdup((tbl_)->s[i_].key);                     \
			e_->value = strdup((vals_)->v[i_]);                      \
			(arr_)[(count_)++] = e_;                                 \
			if (e_->key == NULL || e_->value == NULL)                \
				rc_ = -ENOMEM;                                   \
		}                                                                \
		rc_;                                                             \
	})

int
sl_port_info_settings(Sluice__PortInfo *pi, const struct sl_settings *t,
		      const struct sl_values *vals)
{
	return FILL_MAP(pi->settings, pi->n_settings, Sluice__PortInfo__SettingsEntry,
			sluice__port_info__settings_entry__init, t, vals);
}

int
sl_reply_options(Sluice__Reply *rep, const struct sl_settings *t, const struct sl_values *vals)
{
	return FILL_MAP(rep->options, rep->n_options, Sluice__Reply__OptionsEntry,
			sluice__reply__options_entry__init, t, vals);
}
