/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Protobuf messages over ZeroMQ: the one place that packs, unpacks and
 * checks versions, for sluicectl, sluiced and sluice-primary alike.
 */
#ifndef SL_MSG_H
#define SL_MSG_H

#include <stdbool.h>
#include <stddef.h>

#include "sluice.pb-c.h"

#define SL_PROTO_VERSION 2u
#define SL_MSG_MAX (64u << 20) /* larger messages are refused unread */
/* Memory a request may take once decoded: base + factor x its size. */
#define SL_DECODE_BASE ((size_t)64 << 20)
#define SL_DECODE_FACTOR 4

/*
 * One request/reply exchange with @endpoint.  A fresh REQ socket is used for
 * every call and closed afterwards (linger 0), so a peer that dies or
 * restarts never leaves a socket stuck.  On success *reply is set (free with
 * sluice__reply__free_unpacked(reply, NULL)) and 0 is returned; the reply's
 * own status may still be an error.  On failure returns a negative errno
 * (-ETIMEDOUT, -ECONNREFUSED, -EPROTO, -EBADMSG) and writes a message to @err.
 */
int sl_msg_call(void *zctx, const char *endpoint, Sluice__Request *req, Sluice__Reply **reply,
		int timeout_ms, char *err, size_t errlen);

/* What a caller does while it waits for a reply (sl_msg_call_while). */
struct sl_msg_wait {
	bool (*alive)(void *arg); /* false: the peer is gone, give up (-EPIPE); NULL: no check */
	void *also;               /* another socket to watch meanwhile, or NULL */
	void (*serve)(void *arg); /* called whenever @also has something to read */
	void *arg;
	/* A slice of other work done while the answer is awaited (a few
	 * milliseconds at most, so that @also keeps being served); it returns
	 * false once there is no more.  NULL: none. */
	bool (*work)(void *work_arg);
	void *work_arg;
};

/* As sl_msg_call, with @w's liveness check and other socket (@w may be NULL). */
int sl_msg_call_while(void *zctx, const char *endpoint, Sluice__Request *req,
		      Sluice__Reply **reply, int timeout_ms, const struct sl_msg_wait *w,
		      char *err, size_t errlen);

/*
 * Receive one request on a ZMQ_REP (or ROUTER-less REP) socket, non-blocking
 * if @flags has ZMQ_DONTWAIT.  Returns 0 with *req set, -EAGAIN if nothing
 * waits, or -EBADMSG / -EMSGSIZE / -EPROTO for bad bytes (then a request
 * was consumed and the caller must still send a reply, e.g. with
 * sl_msg_reply_error()).  Writes a message to @err on error.
 */
int sl_msg_recv_request(void *sock, int flags, Sluice__Request **req, char *err, size_t errlen);

/*
 * Check and unpack the bytes of one request: size limit, protobuf, version,
 * a command present.  Returns 0 with *req set, or -EMSGSIZE / -EBADMSG /
 * -EPROTO with @err set.
 */
int sl_msg_decode_request(const void *data, size_t len, Sluice__Request **req, char *err,
			  size_t errlen);

/* Who sent a request to a ZMQ_ROUTER socket: the reply goes back there. */
struct sl_peer {
	unsigned char id[256];
	size_t idlen;
};

/*
 * Receive one request from REQ clients on a ZMQ_ROUTER socket, so that
 * replies may be sent later and out of order.  Returns as
 * sl_msg_recv_request; on -EBADMSG/-EMSGSIZE/-EPROTO @peer is set and
 * should get an error reply; -EAGAIN also for frames nobody can be
 * answered for.
 */
int sl_msg_recv_routed(void *sock, int flags, struct sl_peer *peer, Sluice__Request **req,
		       char *err, size_t errlen);

/* Send @rep to @peer on a ZMQ_ROUTER socket. Returns 0 or -errno. */
int sl_msg_send_routed(void *sock, const struct sl_peer *peer, Sluice__Reply *rep);

/* Pack and send @rep (its version field is set here). Returns 0 or -errno. */
int sl_msg_send_reply(void *sock, Sluice__Reply *rep);

/* Send a reply holding only an error status and message. */
int sl_msg_reply_error(void *sock, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Set status (positive errno) and a printf-formatted message on a reply. */
void sl_reply_set_error(Sluice__Reply *rep, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Free a reply that was malloc'd whole (the struct, its strings, arrays and
 * sub-messages), the way handlers build them. */
void sl_reply_free_built(Sluice__Reply *rep);

struct sl_settings;
struct sl_values;

/* Fill @pi's settings map with every setting of @t (value in force). Returns 0 or -ENOMEM. */
int sl_port_info_settings(Sluice__PortInfo *pi, const struct sl_settings *t,
			  const struct sl_values *vals);

/* Fill @rep's options map likewise. Returns 0 or -ENOMEM. */
int sl_reply_options(Sluice__Reply *rep, const struct sl_settings *t, const struct sl_values *vals);

/* "running", "dead", "hung", ... for a process state. */
const char *sl_state_name(Sluice__ProcState state);

#endif /* SL_MSG_H */
