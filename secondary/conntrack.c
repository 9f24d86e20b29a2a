/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ct() in a worker.  The connection table is the primary's rte_hash in
 * hugepage memory, shared by every worker: lookups are lock-free, adds
 * (commits) from several workers at once are the hash's multi-writer
 * adds, and only the primary deletes (expiry, flush), freeing a position
 * after a grace period.  The hash is computed here, never by the hash's
 * own function pointer, which is the primary's.
 *
 * A connection is one entry, found from either direction (its key puts
 * the lower endpoint first); its state is changed by whichever worker
 * sees its packets, with relaxed atomics: two workers racing on one
 * connection's state at most see one packet's transition late.
 */
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_memzone.h>

#include "ct_hooks.h"

#define SL_CT_HASH_SEED 0x5eedc7u

static inline uint32_t
ct_hash(const struct sl_ct_key *k)
{
	return rte_hash_crc(k, sizeof(*k), SL_CT_HASH_SEED);
}

void
sl_wct_attach(struct sl_wctx *w)
{
	const struct rte_memzone *mz = rte_memzone_lookup(SL_CT_ZONE_NAME);

	if (mz == NULL)
		rte_exit(2, "sluice-worker: no connection table (%s): is sluice-primary of the "
			    "same version?\n", rte_strerror(rte_errno));
	w->ct = mz->addr;
}

void
sl_wct_clear(struct sl_flow_meta *meta)
{
	meta->ct_state = 0;
	meta->ct_nw_proto = 0;
	meta->ct_zone = 0;
	meta->ct_mark = 0;
	meta->ct_tp_src = meta->ct_tp_dst = 0;
	meta->ct_label[0] = meta->ct_label[1] = 0;
	memset(meta->ct_nw_src, 0, sizeof(meta->ct_nw_src));
	memset(meta->ct_nw_dst, 0, sizeof(meta->ct_nw_dst));
}

/* label[ofs..ofs+nbits) = v, over the 128 bits. */
static void
label_write(uint64_t *label, uint8_t ofs, uint8_t nbits, uint64_t v)
{
	for (unsigned int i = 0; i < nbits && ofs + i < 128; i++) {
		unsigned int b = ofs + i;
		uint64_t bit = UINT64_C(1) << (b % 64);

		if ((v >> i) & 1)
			label[b / 64] |= bit;
		else
			label[b / 64] &= ~bit;
	}
}

/* exec(): set_field and load of ct_mark and ct_label (the parser allows no other). */
static void
apply_exec(struct sl_ct_conn *c, const struct sl_action *exec, uint16_t n)
{
	uint32_t mark = __atomic_load_n(&c->mark, __ATOMIC_RELAXED);
	uint64_t label[2] = { c->label[0], c->label[1] };

	for (uint16_t i = 0; i < n; i++) {
		const struct sl_action *a = &exec[i];
		uint64_t v = sl_action_u64(a, 0);

		if (a->field == SL_FLD_CT_MARK) {
			if (a->type == SL_ACT_LOAD) {
				uint64_t m = (a->nbits >= 32 ? UINT32_MAX : (UINT64_C(1) << a->nbits) - 1)
					     << a->ofs;

				mark = (uint32_t)((mark & ~m) | ((v << a->ofs) & m));
			} else if (a->flags & SL_AF_MASKED) {
				mark = (uint32_t)((mark & ~sl_action_u64(a, 1)) | v);
			} else {
				mark = (uint32_t)v;
			}
		} else if (a->field == SL_FLD_CT_LABEL) {
			if (a->type == SL_ACT_LOAD) {
				label_write(label, a->ofs, a->nbits, v);
			} else {
				label[0] = v;
				label[1] = sl_action_u64(a, 1);
			}
		}
	}
	__atomic_store_n(&c->mark, mark, __ATOMIC_RELAXED);
	__atomic_store_n(&c->label[0], label[0], __ATOMIC_RELAXED);
	__atomic_store_n(&c->label[1], label[1], __ATOMIC_RELAXED);
}

/* A new connection for @p, or NULL when the table is full. */
static struct sl_ct_conn *
commit(struct sl_wctx *w, const struct sl_ct_pkt *p, const struct sl_ct_key *k, uint32_t hash)
{
	struct sl_ct_zone *z = w->ct;
	int32_t pos = rte_hash_add_key_with_hash(z->h, k, hash);
	struct sl_ct_conn *c;
	uint32_t expect = 0;

	if (pos < 0 || (uint32_t)pos >= z->n_pos) {
		z->ws[w->id].full++;
		return NULL;
	}
	c = &z->conns[pos];
	if (!__atomic_compare_exchange_n(&c->used, &expect, 2, false, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED))
		return expect == 1 ? c : NULL; /* another worker committed it first */
	sl_ct_conn_init(c, p, w->now_s);
	c->hash = hash;
	__atomic_store_n(&c->used, 1, __ATOMIC_RELEASE);
	z->ws[w->id].commits++;
	return c;
}

void
sl_wct_run(struct sl_wctx *w, const struct sl_flow_key *key, struct rte_mbuf *m,
	   uint16_t l4_ofs, uint16_t zone, const struct sl_action *ct,
	   const struct sl_action *exec, uint16_t n_exec, struct sl_flow_meta *meta)
{
	struct sl_ct_zone *z = w->ct;
	struct sl_ct_wstats *ws = &z->ws[w->id];
	bool want_commit = ct->flags & SL_CTF_COMMIT;
	struct sl_ct_conn *c = NULL;
	const struct sl_ct_tuple *t;
	struct sl_ct_pkt p;
	struct sl_ct_key k;
	uint32_t hash;
	int32_t pos;
	uint8_t st;

	sl_ct_extract(key, rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m), l4_ofs,
		      zone, &p);
	sl_wct_clear(meta);
	meta->ct_zone = zone;
	ws->packets++;
	if (p.kind == SL_CTK_NOT_IP || p.kind == SL_CTK_INVALID) {
		meta->ct_state = SL_CS_TRK | SL_CS_INV;
		ws->invalid++;
		return;
	}
	sl_ct_key_of(&p.t, &k);
	hash = ct_hash(&k);
	pos = rte_hash_lookup_with_hash(z->h, &k, hash);
	if (pos >= 0 && (uint32_t)pos < z->n_pos &&
	    __atomic_load_n(&z->conns[pos].used, __ATOMIC_ACQUIRE) == 1)
		c = &z->conns[pos];
	if (c == NULL) {
		if (!sl_ct_valid_new(&p)) {
			meta->ct_state = SL_CS_TRK | SL_CS_INV;
			ws->invalid++;
			return;
		}
		st = SL_CS_NEW;
		if (want_commit)
			c = commit(w, &p, &k, hash);
	} else if (p.kind == SL_CTK_RELATED) {
		/* An error about a packet of the original direction travels back. */
		st = sl_ct_conn_update(c, &p, sl_ct_is_orig(c, &p.t), w->now_s);
	} else if (!sl_ct_is_orig(c, &p.t) && want_commit && (ct->flags & SL_CTF_FORCE)) {
		/* force: seen from its reply side, the connection starts again from here. */
		if (!sl_ct_valid_new(&p)) {
			meta->ct_state = SL_CS_TRK | SL_CS_INV;
			ws->invalid++;
			return;
		}
		sl_ct_conn_init(c, &p, w->now_s);
		st = SL_CS_NEW;
	} else {
		st = sl_ct_conn_update(c, &p, !sl_ct_is_orig(c, &p.t), w->now_s);
	}
	if (st & SL_CS_INV)
		ws->invalid++;
	meta->ct_state = SL_CS_TRK | st;
	if (c != NULL && want_commit && n_exec > 0 && !(st & SL_CS_INV))
		apply_exec(c, exec, n_exec);
	/* The original direction's tuple: the connection's, or this packet's. */
	t = c != NULL ? &c->orig : &p.t;
	meta->ct_nw_proto = t->proto;
	memcpy(meta->ct_nw_src, t->src, sizeof(meta->ct_nw_src));
	memcpy(meta->ct_nw_dst, t->dst, sizeof(meta->ct_nw_dst));
	meta->ct_tp_src = t->sport;
	meta->ct_tp_dst = t->dport;
	if (c != NULL) {
		meta->ct_mark = __atomic_load_n(&c->mark, __ATOMIC_RELAXED);
		meta->ct_label[0] = __atomic_load_n(&c->label[0], __ATOMIC_RELAXED);
		meta->ct_label[1] = __atomic_load_n(&c->label[1], __ATOMIC_RELAXED);
	}
}
