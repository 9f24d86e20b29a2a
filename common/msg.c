/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "msg.h"

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
	int linger = 0, rc;
	zmq_pollitem_t pi;
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
	pi = (zmq_pollitem_t){ .socket = sock, .events = ZMQ_POLLIN };
	rc = zmq_poll(&pi, 1, timeout_ms);
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
	if (rc == 0 && zmq_msg_size(&zm) > SL_MSG_MAX) {
		set_err(err, errlen, "request of %zu bytes exceeds the %u-byte limit",
			zmq_msg_size(&zm), SL_MSG_MAX);
		rc = -EMSGSIZE;
	} else if (rc == 0) {
		*req = sluice__request__unpack(NULL, zmq_msg_size(&zm), zmq_msg_data(&zm));
		if (*req == NULL) {
			set_err(err, errlen, "malformed request: not a sluice.Request message");
			rc = -EBADMSG;
		} else if ((*req)->version != SL_PROTO_VERSION) {
			set_err(err, errlen, "version mismatch: client speaks %u, we speak %u",
				(*req)->version, SL_PROTO_VERSION);
			sluice__request__free_unpacked(*req, NULL);
			*req = NULL;
			rc = -EPROTO;
		} else if ((*req)->cmd_case == SLUICE__REQUEST__CMD__NOT_SET) {
			set_err(err, errlen, "request names no command");
			sluice__request__free_unpacked(*req, NULL);
			*req = NULL;
			rc = -EBADMSG;
		}
	} else {
		set_err(err, errlen, "malformed request: multi-part message");
	}
	zmq_msg_close(&zm);
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
sl_msg_cmd_name(const Sluice__Request *req)
{
	const ProtobufCFieldDescriptor *f;

	f = protobuf_c_message_descriptor_get_field(&sluice__request__descriptor,
						    (unsigned int)req->cmd_case);
	return f != NULL ? f->name : "unknown";
}

void
sl_reply_free_built(Sluice__Reply *rep)
{
	/* Handlers build replies with malloc'd parts, as unpack would. */
	if (rep != NULL)
		sluice__reply__free_unpacked(rep, NULL);
}
