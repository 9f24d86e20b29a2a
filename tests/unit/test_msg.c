/* SPDX-License-Identifier: BSD-3-Clause */
/* Decoding requests: limits, versions, and what a hostile message may cost. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "msg.h"

static char err[512];

static uint8_t *
pack(Sluice__Request *req, size_t *len)
{
	uint8_t *buf;

	*len = sluice__request__get_packed_size(req);
	buf = malloc(*len ? *len : 1);
	cr_assert_not_null(buf);
	sluice__request__pack(req, buf);
	return buf;
}

static Sluice__Request *
flows_request(char **flows, size_t n, Sluice__FlowMod *fm, Sluice__Request *req)
{
	sluice__request__init(req);
	sluice__flow_mod__init(fm);
	req->version = SL_PROTO_VERSION;
	fm->flows = flows;
	fm->n_flows = n;
	req->cmd_case = SLUICE__REQUEST__CMD_ADD_FLOWS;
	req->add_flows = fm;
	return req;
}

/* 16 MiB of empty strings would decode to some 500 MiB: refused, cheaply. */
Test(msg, a_message_that_would_explode_when_decoded_is_refused)
{
	size_t n = 8u << 20, len;
	char **flows = malloc(n * sizeof(char *));
	Sluice__Request req, *out;
	Sluice__FlowMod fm;
	uint8_t *buf;

	for (size_t i = 0; i < n; i++)
		flows[i] = "";
	buf = pack(flows_request(flows, n, &fm, &req), &len);
	cr_assert_leq(len, SL_MSG_MAX);
	cr_assert_eq(sl_msg_decode_request(buf, len, &out, err, sizeof(err)), -EMSGSIZE);
	cr_assert_null(out);
	cr_assert(strstr(err, "once decoded") != NULL, "%s", err);
	free(buf);
	free(flows);
}

Test(msg, a_big_real_batch_still_decodes)
{
	size_t n = 200000, len;
	char **flows = malloc(n * sizeof(char *));
	Sluice__Request req, *out;
	Sluice__FlowMod fm;
	uint8_t *buf;

	for (size_t i = 0; i < n; i++)
		flows[i] = "priority=10,ip,nw_dst=10.1.2.3,actions=output:2";
	buf = pack(flows_request(flows, n, &fm, &req), &len);
	cr_assert_eq(sl_msg_decode_request(buf, len, &out, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(out->add_flows->n_flows, n);
	cr_assert_str_eq(out->add_flows->flows[n - 1], flows[n - 1]);
	sluice__request__free_unpacked(out, NULL);
	free(buf);
	free(flows);
}

Test(msg, garbage_versions_and_empty_requests_are_refused)
{
	Sluice__Request req = SLUICE__REQUEST__INIT, *out;
	uint8_t *buf;
	size_t len;

	cr_assert_eq(sl_msg_decode_request("\xff\xff\xff\xff garbage", 13, &out, err, sizeof(err)),
		     -EBADMSG);
	cr_assert(strstr(err, "malformed") != NULL, "%s", err);
	req.version = SL_PROTO_VERSION + 1;
	req.cmd_case = SLUICE__REQUEST__CMD_SHOW;
	req.show = &(Sluice__Empty)SLUICE__EMPTY__INIT;
	buf = pack(&req, &len);
	cr_assert_eq(sl_msg_decode_request(buf, len, &out, err, sizeof(err)), -EPROTO);
	cr_assert(strstr(err, "version mismatch") != NULL, "%s", err);
	free(buf);
	req.version = SL_PROTO_VERSION;
	req.cmd_case = SLUICE__REQUEST__CMD__NOT_SET;
	buf = pack(&req, &len);
	cr_assert_eq(sl_msg_decode_request(buf, len, &out, err, sizeof(err)), -EBADMSG);
	cr_assert(strstr(err, "no command") != NULL, "%s", err);
	free(buf);
}
