/* SPDX-License-Identifier: BSD-3-Clause */
/* ovs-ofctl group syntax: parse text into struct sl_group and print it back. */
#ifndef SL_GROUP_SYNTAX_H
#define SL_GROUP_SYNTAX_H

#include <stddef.h>

#include "flow_syntax.h"
#include "group.h"

/* del-groups and dump-groups without a group, or with group_id=all. */
#define SL_GROUP_ALL_ID 0xfffffffcu /* OFPG_ALL */

enum sl_group_parse_mode {
	SL_GROUP_PARSE_MOD, /* add-group, mod-group: group_id=, type=, buckets */
	SL_GROUP_PARSE_ID,  /* del-groups, dump-groups: "", "all", "N" or "group_id=N" */
};

/*
 * Parse @text (ports named in watch_port and actions resolved with
 * @resolve, which may be NULL) and check the group (sl_group_check).
 * Returns 0 or a negative errno with a one-line message in @err.
 */
int sl_group_parse(const char *text, enum sl_group_parse_mode mode, sl_port_resolve_fn resolve,
		   void *ctx, struct sl_group *g, char *err, size_t errlen);

/* Print @g as ovs-ofctl dump-groups does; snprintf-style length. */
int sl_group_format(const struct sl_group *g, char *buf, size_t len);

#endif /* SL_GROUP_SYNTAX_H */
