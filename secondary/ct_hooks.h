/* SPDX-License-Identifier: BSD-3-Clause */
/* The worker side of connection tracking (common/conntrack.h); the work is in conntrack.c. */
#ifndef SL_CT_HOOKS_H
#define SL_CT_HOOKS_H

#include "conntrack.h"
#include "worker.h"

/* At start: find the connection table (exits if the primary has none). */
void sl_wct_attach(struct sl_wctx *w);

/*
 * ct(): look packet @m (parsed as @key, L4 at @l4_ofs) up in zone @zone,
 * commit it when @ct says so (the @n_exec actions at @exec then set the
 * connection's mark and label), and write what was found into the ct_*
 * fields of @meta.
 */
void sl_wct_run(struct sl_wctx *w, const struct sl_flow_key *key, struct rte_mbuf *m,
		uint16_t l4_ofs, uint16_t zone, const struct sl_action *ct,
		const struct sl_action *exec, uint16_t n_exec, struct sl_flow_meta *meta);

/* ct_clear: the packet is untracked again. */
void sl_wct_clear(struct sl_flow_meta *meta);

#endif /* SL_CT_HOOKS_H */
