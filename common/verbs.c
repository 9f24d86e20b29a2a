/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "verbs.h"

const struct sl_verb sl_verbs[SL_N_VERBS] = {
#define SL_VERB_ENTRY(id, name, CMD, flags, min, max, usage, help) \
	[SL_VERB_##id] = { name, SLUICE__REQUEST__CMD_##CMD, flags, min, max, usage, help },
	SL_VERBS(SL_VERB_ENTRY)
#undef SL_VERB_ENTRY
};

const struct sl_verb *
sl_verb_by_name(const char *name)
{
	for (size_t i = 0; i < SL_N_VERBS; i++)
		if (strcmp(sl_verbs[i].name, name) == 0)
			return &sl_verbs[i];
	return NULL;
}

const struct sl_verb *
sl_verb_of_cmd(Sluice__Request__CmdCase cmd)
{
	for (size_t i = 0; i < SL_N_VERBS; i++)
		if (sl_verbs[i].cmd == cmd)
			return &sl_verbs[i];
	return NULL;
}

bool
sl_request_is(const Sluice__Request *req, unsigned int flags)
{
	const struct sl_verb *v = sl_verb_of_cmd(req->cmd_case);

	return req->internal_case == SLUICE__REQUEST__INTERNAL__NOT_SET && v != NULL &&
	       (v->flags & flags) != 0;
}

const char *
sl_request_name(const Sluice__Request *req)
{
	const struct sl_verb *v = sl_verb_of_cmd(req->cmd_case);

	if (v != NULL)
		return v->name;
	switch (req->internal_case) {
	case SLUICE__REQUEST__INTERNAL_HELLO:
		return "hello";
	case SLUICE__REQUEST__INTERNAL_WORKER_EVENT:
		return "worker-event";
	default:
		return "unknown request";
	}
}
