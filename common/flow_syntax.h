/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ovs-ofctl flow syntax: parse text into struct sl_flow and print it back.
 * Printing what was parsed gives an equivalent flow (same match, priority,
 * cookie and actions).
 */
#ifndef SL_FLOW_SYNTAX_H
#define SL_FLOW_SYNTAX_H

#include "flow.h"

/* Resolve a port name to an ofport; returns 0 or -ENOENT. */
typedef int (*sl_port_resolve_fn)(void *ctx, const char *name, uint16_t *ofport);

enum sl_flow_parse_mode {
	SL_PARSE_FLOW,  /* add-flow: match fields, priority, cookie, actions= required */
	SL_PARSE_MATCH, /* del-flows: match fields (and priority for --strict), no actions */
	SL_PARSE_MOD,   /* mod-flows: as FLOW, and cookie=V/MASK selects (without a mask it sets) */
};

/*
 * Parse @text.  Port names in in_port= and output: are resolved with
 * @resolve (may be NULL: then only numbers are accepted).  On error returns
 * a negative errno and writes a one-line message naming the bad part to
 * @err (e.g. `unknown port "p9"`, `nw_src: bad IPv4 prefix "10.0.0.300/24"`).
 */
int sl_flow_parse(const char *text, enum sl_flow_parse_mode mode, sl_port_resolve_fn resolve,
		  void *ctx, struct sl_flow *flow, char *err, size_t errlen);

/* Parse an action list alone ("output:1,mod_vlan_vid:3", "drop"), as after actions=. */
int sl_actions_parse(const char *text, sl_port_resolve_fn resolve, void *ctx,
		     struct sl_actions *acts, char *err, size_t errlen);

/* Print @flow in canonical syntax (ports by number).  Returns snprintf-style length. */
int sl_flow_format(const struct sl_flow *flow, char *buf, size_t len);

/* Print only the match part ("priority=...,in_port=...,..."). */
int sl_match_format(const struct sl_match *m, uint32_t priority, char *buf, size_t len);

/* Print what a selector (SL_PARSE_MATCH) selects: cookie=V/MASK if any, then the match. */
int sl_selector_format(const struct sl_flow *sel, char *buf, size_t len);

/* Print only the actions ("output:2,mod_vlan_vid:10" or "drop"). */
int sl_actions_format(const struct sl_actions *acts, char *buf, size_t len);

#endif /* SL_FLOW_SYNTAX_H */
