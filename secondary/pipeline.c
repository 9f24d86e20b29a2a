/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The OpenFlow pipeline of one packet, for rules whose actions need more
 * than "rewrite a little, then output" (SL_RULE_PIPELINE): several tables
 * (resubmit, goto_table), registers and metadata carried with the packet,
 * field writes with checksums kept right, clone(), the action set.  Rules
 * without such actions never come here: the plain engine in forward.c
 * serves them as before.
 *
 * The lookups after table 0's are cached too (pcache in worker.h): a
 * pipeline is a function of the packet's key as received and of the
 * flows, so the rules its lookups found the first time are the rules they
 * find every time until the flows change (a new classifier generation);
 * a packet that hits replays the actions with no classifier lookup.
 * Meters are the one thing that can end a run earlier or later than the
 * recorded one: lookups past the end of a record go to the classifier.
 *
 * Outputs are deferred by one step: an output is remembered, and sent as a
 * copy only when something else happens to the packet after it (another
 * output, a rewrite); the last one takes the packet itself.  So each copy
 * carries the state the packet had at its output, and a pipeline that
 * ends in one output copies nothing.
 */
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "ct_hooks.h"
#include "meter_hooks.h"
#include "packet.h"
#include "rewrite.h"
#include "worker.h"

struct sl_pipe {
	struct sl_wctx *w;
	struct rte_mbuf *m;
	struct sl_flow_key key;
	struct sl_flow_meta meta;
	struct sl_layers ly;
	bool ly_ok;     /* ly matches the bytes of m */
	bool stop;      /* dropped (dec_ttl, meter): no further actions */
	bool exited;    /* exit: no further actions, but the action set runs */
	uint8_t depth;  /* resubmit / goto nesting */
	const struct sl_action *pend; /* output waiting for the next thing that happens */
	struct sl_action set[SL_MAX_ACTIONS]; /* the action set (write_actions) */
	uint16_t n_set;
	const struct sl_pcache_entry *replay; /* lookups come from here */
	struct sl_pcache_entry *record;       /* or are written here */
	uint8_t n_lookups;
	bool dp_ok;   /* recording: the run can still be compiled */
	uint8_t n_dp;
	/* Recording for the megaflow cache (pipeline_mf.c): the key bits the
	 * run depended on so far, NULL when not collecting.  mf_ok false: the
	 * result must not be cached for other keys (set by actions whose
	 * outcome is not a function of the key, e.g. connection tracking). */
	uint64_t *wc;
	bool mf_ok;
	uint32_t rule_id; /* the rule whose actions run (fin_timeout tells its id) */
	const struct sl_cls_rule *rule; /* that rule (a packet-in tells its cookie) */
};

#include "pipeline_mf.h"

/* Recording: append a packet action to the compiled form. */
static inline void
rec_dp(struct sl_pipe *p, const struct sl_action *a)
{
	if (p->record == NULL || !p->dp_ok)
		return;
	if (p->n_dp == SL_PCACHE_DP) {
		p->dp_ok = false;
		return;
	}
	p->record->dp[p->n_dp++] = *a;
}

static inline void
rec_no_dp(struct sl_pipe *p)
{
	p->dp_ok = false;
}

static void run_actions(struct sl_pipe *p, const struct sl_action *a, uint16_t n, uint8_t table);

static void
do_output(struct sl_pipe *p, const struct sl_action *a, bool last)
{
	struct sl_wctx *w = p->w;

	switch (a->type) {
	case SL_ACT_OUTPUT:
	case SL_ACT_ENQUEUE: /* no queues: the port's one */
		sl_fwd_emit(w, a->arg, p->m, last);
		break;
	case SL_ACT_IN_PORT:
		sl_fwd_emit(w, p->key.in_port, p->m, last);
		break;
	case SL_ACT_NORMAL:
		sl_fwd_normal(w, &p->key, p->m, last);
		break;
	case SL_ACT_FLOOD:
	case SL_ACT_ALL:
		sl_fwd_flood(w, p->key.in_port, p->m, last);
		break;
	case SL_ACT_GROUP:
		sl_fwd_group(w, a->arg, &p->key, p->m, last);
		break;
	default:
		break;
	}
}

/* Send the remembered output as a copy: the packet is about to change. */
static inline void
flush_pending(struct sl_pipe *p)
{
	if (p->pend != NULL) {
		do_output(p, p->pend, false);
		p->pend = NULL;
	}
}

/*
 * Where L3 and L4 start, for rewrites.  The common case (IPv4 TCP or UDP
 * whose header lies whole in the first segment) is found from a few
 * bytes; anything else is parsed again, as the worker's parser would.
 */
static void
layers(struct sl_pipe *p)
{
	const uint8_t *d = rte_pktmbuf_mtod(p->m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(p->m), ofs = 12, l4, end;
	struct sl_flow_key tmp;

	if (p->ly_ok)
		return;
	p->ly_ok = true;
	while (ofs + 6 <= len && ((d[ofs] == 0x81 && d[ofs + 1] == 0x00) ||
				  (d[ofs] == 0x88 && d[ofs + 1] == 0xa8)))
		ofs += 4;
	ofs += 2;
	if (p->key.dl_type == 0x0800 && !(p->key.nw_frag & SL_FRAG_LATER) &&
	    (p->key.nw_proto == 6 || p->key.nw_proto == 17) && ofs + 20 <= len &&
	    (d[ofs] >> 4) == 4 && (d[ofs] & 0x0f) >= 5) {
		l4 = ofs + (d[ofs] & 0x0fu) * 4;
		end = ofs + ((uint32_t)d[ofs + 2] << 8 | d[ofs + 3]);
		if (end > len || end < l4)
			end = len;
		if (l4 + (p->key.nw_proto == 6 ? 20u : 8u) <= end) {
			p->ly.l3_ofs = (uint16_t)ofs;
			p->ly.l4_ofs = (uint16_t)l4;
			return;
		}
	}
	sl_parse(d, len, p->key.in_port, &tmp, &p->ly);
}

static uint64_t
mac_u64(const uint8_t *mac)
{
	uint64_t v = 0;

	for (int i = 0; i < 6; i++)
		v = v << 8 | mac[i];
	return v;
}

/* Current value of a field of at most 64 bits, host order. */
static uint64_t
get_field(const struct sl_pipe *p, uint8_t fld)
{
	const struct sl_flow_key *k = &p->key;

	if (fld >= SL_FLD_REG0 && fld < SL_FLD_REG0 + SL_N_REGS)
		return p->meta.reg[fld - SL_FLD_REG0];
	switch (fld) {
	case SL_FLD_METADATA:
		return p->meta.metadata;
	case SL_FLD_PKT_MARK:
		return p->meta.pkt_mark;
	case SL_FLD_IN_PORT:
		return k->in_port;
	case SL_FLD_ETH_SRC:
		return mac_u64(k->dl_src);
	case SL_FLD_ETH_DST:
		return mac_u64(k->dl_dst);
	case SL_FLD_VLAN_TCI:
		return k->vlan_tci;
	case SL_FLD_VLAN_VID:
		return k->vlan_tci & SL_VLAN_VID_MASK;
	case SL_FLD_VLAN_PCP:
		return k->vlan_tci >> SL_VLAN_PCP_SHIFT;
	case SL_FLD_IP_SRC:
		return (uint64_t)k->nw_src[0] << 24 | k->nw_src[1] << 16 | k->nw_src[2] << 8 |
		       k->nw_src[3];
	case SL_FLD_IP_DST:
		return (uint64_t)k->nw_dst[0] << 24 | k->nw_dst[1] << 16 | k->nw_dst[2] << 8 |
		       k->nw_dst[3];
	case SL_FLD_IP_DSCP:
		return k->nw_tos >> 2;
	case SL_FLD_NW_TOS:
		return k->nw_tos & 0xfc;
	case SL_FLD_IP_ECN:
		return k->nw_tos & 3;
	case SL_FLD_NW_TTL:
		return k->nw_ttl;
	case SL_FLD_TP_SRC:
		return rte_be_to_cpu_16(k->tp_src);
	case SL_FLD_TP_DST:
		return rte_be_to_cpu_16(k->tp_dst);
	case SL_FLD_CT_MARK:
		return p->meta.ct_mark;
	case SL_FLD_CT_LABEL:
		return p->meta.ct_label[0];
	case SL_FLD_CT_STATE:
		return p->meta.ct_state;
	case SL_FLD_CT_ZONE:
		return p->meta.ct_zone;
	case SL_FLD_MPLS_LABEL:
		return (rte_be_to_cpu_32(k->mpls_lse) & SL_MPLS_LABEL_MASK) >> SL_MPLS_LABEL_SHIFT;
	case SL_FLD_MPLS_TC:
		return (rte_be_to_cpu_32(k->mpls_lse) & SL_MPLS_TC_MASK) >> SL_MPLS_TC_SHIFT;
	case SL_FLD_MPLS_TTL:
		return rte_be_to_cpu_32(k->mpls_lse) & SL_MPLS_TTL_MASK;
	default:
		return 0;
	}
}

static void
set_mac(struct sl_pipe *p, unsigned int at, uint64_t v)
{
	uint8_t mac[6];

	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)(v >> (40 - 8 * i));
	if (rte_pktmbuf_data_len(p->m) >= RTE_ETHER_HDR_LEN)
		memcpy(rte_pktmbuf_mtod(p->m, uint8_t *) + at, mac, 6);
	memcpy(at == 0 ? p->key.dl_dst : p->key.dl_src, mac, 6);
}

/* Write a whole field (the caller merged any mask); @v6 for IPv6 addresses. */
static void
set_field(struct sl_pipe *p, uint8_t fld, uint64_t v, const uint8_t *v6)
{
	if (fld >= SL_FLD_REG0 && fld < SL_FLD_REG0 + SL_N_REGS) {
		p->meta.reg[fld - SL_FLD_REG0] = (uint32_t)v;
		return;
	}
	switch (fld) {
	case SL_FLD_METADATA:
		p->meta.metadata = v;
		return;
	case SL_FLD_PKT_MARK:
		p->meta.pkt_mark = (uint32_t)v;
		return;
	case SL_FLD_IN_PORT:
		p->key.in_port = (uint16_t)v;
		return;
	case SL_FLD_ETH_SRC:
		set_mac(p, 6, v);
		return;
	case SL_FLD_ETH_DST:
		set_mac(p, 0, v);
		return;
	case SL_FLD_VLAN_TCI:
		if (!(v & SL_VLAN_CFI)) {
			sl_fwd_vlan_strip(p->m, &p->key);
		} else {
			sl_fwd_vlan_set(p->m, &p->key, (uint16_t)v, (uint16_t)~SL_VLAN_CFI);
		}
		p->ly_ok = false;
		return;
	case SL_FLD_VLAN_VID:
		sl_fwd_vlan_set(p->m, &p->key, (uint16_t)v, SL_VLAN_VID_MASK);
		p->ly_ok = false;
		return;
	case SL_FLD_VLAN_PCP:
		sl_fwd_vlan_set(p->m, &p->key, (uint16_t)(v << SL_VLAN_PCP_SHIFT), 0xe000);
		p->ly_ok = false;
		return;
	case SL_FLD_MPLS_LABEL:
	case SL_FLD_MPLS_TC:
	case SL_FLD_MPLS_TTL:
		if (!sl_eth_type_mpls(p->key.dl_type))
			return;
		layers(p);
		sl_rewrite_mpls(rte_pktmbuf_mtod(p->m, uint8_t *), rte_pktmbuf_data_len(p->m), &p->ly,
				&p->key, fld, v);
		return;
	default:
		layers(p);
		sl_rewrite_l34(rte_pktmbuf_mtod(p->m, uint8_t *), rte_pktmbuf_data_len(p->m), &p->ly,
			       &p->key, fld, v, v6);
		return;
	}
}

/* dst[ofs..ofs+nbits) = v (low nbits of v). */
static void
write_bits(struct sl_pipe *p, uint8_t fld, uint8_t ofs, uint8_t nbits, uint64_t v)
{
	uint64_t mask = (nbits >= 64 ? UINT64_MAX : (UINT64_C(1) << nbits) - 1) << ofs;
	uint64_t cur = get_field(p, fld);

	set_field(p, fld, (cur & ~mask) | ((v << ofs) & mask), NULL);
}

/*
 * push_mpls / pop_mpls: the frame grows or shrinks by one label stack
 * entry at the front, and is parsed again (sl_rewrite_mpls_*), so that the
 * lookups after it see what OVS's do: no L3 fields under a label, the IPv4
 * ones again after a pop to 0x0800.  A packet with more labels than OVS
 * pushes or pops (3) is dropped, as in OVS.
 */
static void
mpls_push(struct sl_pipe *p, uint16_t type)
{
	struct rte_mbuf *m = p->m;

	/* The label copies TTL and DSCP, and later tables see no L3: keys that
	 * share a megaflow's bits may differ in what comes next. */
	p->mf_ok = false;
	layers(p);
	if (p->ly.l3_ofs < RTE_ETHER_HDR_LEN || rte_pktmbuf_data_len(m) < p->ly.l3_ofs ||
	    rte_pktmbuf_prepend(m, 4) == NULL)
		return;
	if (sl_rewrite_mpls_push(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_data_len(m), &p->ly,
				 &p->key, type) < 0) {
		rte_pktmbuf_adj(m, 4);
		p->w->st.tx_dropped++;
		p->stop = true;
	}
}

static void
mpls_pop(struct sl_pipe *p, uint16_t type)
{
	int rc;

	/* The re-parsed headers were no part of the key the megaflow masks. */
	p->mf_ok = false;
	if (!sl_eth_type_mpls(p->key.dl_type))
		return;
	layers(p);
	rc = sl_rewrite_mpls_pop(rte_pktmbuf_mtod(p->m, uint8_t *), rte_pktmbuf_data_len(p->m),
				 &p->ly, &p->key, type);
	if (rc == 0) {
		rte_pktmbuf_adj(p->m, 4);
	} else if (rc < 0) {
		p->w->st.tx_dropped++;
		p->stop = true;
	}
}

/*
 * fin_timeout: a TCP segment with FIN or RST tells the primary, which
 * shortens the rule's timeouts at its next expiry scan (primary/expiry.c).
 * The worker only writes the rule's id into its ring in shared memory.
 */
static void
fin_timeout(struct sl_pipe *p)
{
	struct sl_worker *me = p->w->me;
	const uint8_t *d;
	uint64_t h;

	if ((p->key.dl_type != RTE_ETHER_TYPE_IPV4 && p->key.dl_type != RTE_ETHER_TYPE_IPV6) ||
	    p->key.nw_proto != 6 /* TCP */ || (p->key.nw_frag & SL_FRAG_LATER))
		return;
	layers(p);
	d = rte_pktmbuf_mtod(p->m, const uint8_t *);
	if (p->ly.l4_ofs == 0 || p->ly.l4_ofs + 14u > rte_pktmbuf_data_len(p->m) ||
	    !(d[p->ly.l4_ofs + 13] & (RTE_TCP_FIN_FLAG | RTE_TCP_RST_FLAG)))
		return;
	h = me->fin_head; /* this worker is its only writer */
	me->fin_ids[h % SL_FIN_RING] = p->rule_id;
	__atomic_store_n(&me->fin_head, h + 1, __ATOMIC_RELEASE);
}

/*
 * controller: a copy of the packet as it is now, cut to max_len, with
 * where it came from, into this worker's packet-in ring (common/shm.h).
 * A full ring drops it and counts; the packet goes on either way.
 *
 * The full ring is seen before anything is copied, so a worker copies at
 * most SL_PIN_RING records between two drains.  What the rate limit will
 * drop it cannot see, and does not try: the token bucket is one for all
 * workers, refilled with time and spent when the primary drains, not
 * when a record is written.  A "bucket empty" the primary published at
 * its last drain would be stale by the next one (rate x 10 ms tokens
 * later) and would drop packet-ins the primary would have let through;
 * spending the tokens here instead would take an atomic counter that
 * every worker writes, on one cache line, and a second rate limiter to
 * keep in step with primary/packet_in.c's.  Neither is worth the copies
 * it saves, which the ring already bounds.
 */
static void
packet_in(struct sl_pipe *p, const struct sl_action *a, uint8_t table)
{
	struct sl_pin_ring *ring = &p->w->shm->pin[p->w->id];
	uint64_t h = ring->head; /* this worker is its only writer */
	struct sl_pin_meta *pm;
	struct sl_pin_rec *rec;
	const void *d;
	uint32_t n;

	if (h - __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE) >= SL_PIN_RING) {
		__atomic_store_n(&ring->full_drops, ring->full_drops + 1, __ATOMIC_RELAXED);
		return;
	}
	rec = &ring->rec[h % SL_PIN_RING];
	pm = &rec->m;
	n = RTE_MIN(p->m->pkt_len, (uint32_t)a->arg);
	n = RTE_MIN(n, (uint32_t)SL_PIN_DATA_MAX);
	d = rte_pktmbuf_read(p->m, 0, n, rec->data);
	if (d == NULL)
		n = 0;
	else if (d != rec->data)
		memcpy(rec->data, d, n);
	pm->total_len = p->m->pkt_len;
	pm->data_len = (uint16_t)n;
	pm->in_port = p->key.in_port;
	pm->max_len = a->arg;
	pm->ctl_id = a->arg2;
	pm->reason = a->field;
	pm->table_id = table;
	pm->userdata_len = RTE_MIN(a->nbits, (uint8_t)SL_PIN_USERDATA_MAX);
	memcpy(pm->userdata, a->val, pm->userdata_len);
	pm->rule_id = p->rule_id;
	pm->cookie = p->rule != NULL ? p->rule->cookie : 0;
	pm->metadata = p->meta.metadata;
	memcpy(pm->reg, p->meta.reg, sizeof(pm->reg));
	__atomic_store_n(&ring->head, h + 1, __ATOMIC_RELEASE);
}

static void
run_table(struct sl_pipe *p, uint8_t table)
{
	struct sl_wctx *w = p->w;
	const struct sl_cls_rule *r, *saved;
	uint32_t saved_id;

	if (unlikely(p->depth >= SL_MAX_RESUBMIT)) {
		w->st.resubmit_limit++;
		p->stop = true;
		rec_no_dp(p);
		return;
	}
	if (p->replay != NULL && p->n_lookups < p->replay->n) {
		r = p->replay->r[p->n_lookups++];
	} else {
		if (w->cls == NULL)
			r = NULL;
		else if (p->wc != NULL)
			r = sl_cls_lookup_table_wc(w->cls, table, &p->key, &p->meta, p->wc);
		else
			r = sl_cls_lookup_table(w->cls, table, &p->key, &p->meta);
		if (p->record != NULL && p->n_lookups < SL_PCACHE_LOOKUPS)
			p->record->r[p->n_lookups] = r;
		p->n_lookups++;
	}
	if (r == NULL) {
		w->st.table_misses++; /* OpenFlow 1.3: a miss drops, unless a flow says otherwise */
		return;
	}
	w->counters[r->id].packets++;
	w->counters[r->id].bytes += p->m->pkt_len;
	p->depth++;
	saved_id = p->rule_id;
	saved = p->rule;
	p->rule_id = r->id;
	p->rule = r;
	run_actions(p, r->actions.a, r->actions.n, table);
	p->rule_id = saved_id;
	p->rule = saved;
	p->depth--;
}

static bool
is_output(uint16_t t)
{
	return t == SL_ACT_OUTPUT || t == SL_ACT_IN_PORT || t == SL_ACT_NORMAL ||
	       t == SL_ACT_FLOOD || t == SL_ACT_ALL || t == SL_ACT_OUTPUT_TRUNC || t == SL_ACT_GROUP ||
	       t == SL_ACT_ENQUEUE;
}

/* An output in an action set: the outputs, and controller (to the controller's port). */
static bool
is_set_output(uint16_t t)
{
	return is_output(t) || t == SL_ACT_CONTROLLER;
}

/* An action set holds one output, whichever its kind, and one group. */
static bool
same_set_slot(const struct sl_action *x, const struct sl_action *y)
{
	if (x->type == SL_ACT_GROUP || y->type == SL_ACT_GROUP)
		return x->type == y->type;
	if (is_set_output(x->type) && is_set_output(y->type))
		return true;
	return x->type == y->type && (x->type != SL_ACT_SET_FIELD || x->field == y->field);
}

/*
 * actset_output, as OVS has it: the set's output port, none (0) when there
 * is none or a group overrides it; reserved ports by their OpenFlow 1.0
 * numbers, which no port of ours has.
 */
static void
update_actset_output(struct sl_pipe *p)
{
	uint16_t out = 0;

	for (uint16_t k = 0; k < p->n_set; k++) {
		switch (p->set[k].type) {
		case SL_ACT_GROUP:
			p->meta.actset_output = 0;
			return;
		case SL_ACT_OUTPUT:
		case SL_ACT_OUTPUT_TRUNC:
			out = p->set[k].arg;
			break;
		case SL_ACT_IN_PORT:
			out = 0xfff8;
			break;
		case SL_ACT_NORMAL:
			out = 0xfffa;
			break;
		case SL_ACT_FLOOD:
			out = 0xfffb;
			break;
		case SL_ACT_ALL:
			out = 0xfffc;
			break;
		case SL_ACT_CONTROLLER:
			out = SL_OFPP_CONTROLLER;
			break;
		default:
			break;
		}
	}
	p->meta.actset_output = out;
}

static void
write_set(struct sl_pipe *p, const struct sl_action *a, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		uint16_t k;

		/* One action of each kind (one set_field per field); output goes last. */
		for (k = 0; k < p->n_set; k++)
			if (same_set_slot(&p->set[k], &a[i]))
				break;
		if (k == p->n_set && p->n_set < SL_MAX_ACTIONS)
			p->n_set++;
		if (k < SL_MAX_ACTIONS)
			p->set[k] = a[i];
	}
	update_actset_output(p);
}

static void
clone_run(struct sl_pipe *p, const struct sl_action *a, uint16_t n, uint8_t table)
{
	struct rte_mbuf *orig = p->m, *c;
	struct sl_flow_key key = p->key;
	struct sl_flow_meta meta = p->meta;
	const struct sl_action *pend;

	flush_pending(p);
	c = rte_pktmbuf_copy(orig, orig->pool, 0, UINT32_MAX);
	if (c == NULL) {
		p->w->st.tx_dropped++;
		return;
	}
	p->m = c;
	run_actions(p, a, n, table);
	if (p->pend != NULL)
		do_output(p, p->pend, true);
	else
		rte_pktmbuf_free(c);
	pend = NULL;
	p->pend = pend;
	p->m = orig;
	p->key = key;
	p->meta = meta;
	p->stop = false;
	p->exited = false; /* an exit in a clone ends the clone, as one in a bucket ends the bucket */
	p->ly_ok = false;
}

/*
 * ct(): through the connection table, then, with table=, on in that table
 * with the ct_* fields filled in (a recirculation).  What the lookups
 * after it find depends on the connection table, not only on the key and
 * the flows, so a pipeline that runs a ct() is not cached (its EMC entry
 * is table 0's rule, looked up untracked, which stays right).  As in OVS,
 * the rest of the list after ct() goes on with the state from before it
 * (here: key and pipeline fields; the packet's bytes keep what table T
 * wrote to them).
 */
static void
ct_run(struct sl_pipe *p, const struct sl_action *a)
{
	struct sl_flow_key key;
	struct sl_flow_meta meta;
	uint16_t zone = (uint16_t)(a->val[0] | a->val[1] << 8);

	rec_no_dp(p);
	p->record = NULL;
	if (a->field != 0)
		zone = (uint16_t)(get_field(p, a->field) >> a->ofs);
	layers(p);
	key = p->key;
	meta = p->meta;
	sl_wct_run(p->w, &p->key, p->m, p->ly.l4_ofs, zone, a, a + 1, a->arg2, &p->meta);
	if (a->arg != SL_CT_NO_TABLE)
		run_table(p, (uint8_t)a->arg);
	p->key = key;
	p->meta = meta;
}

/* Recording: what action @a (just run) did to the packet, as a packet action. */
static void
rec_effect(struct sl_pipe *p, const struct sl_action *a)
{
	struct sl_action s;

	if (a->type != SL_ACT_SET_FIELD && a->type != SL_ACT_LOAD && a->type != SL_ACT_MOVE) {
		rec_dp(p, a); /* dec_ttl, VLAN and MAC changes: the same again */
		return;
	}
	/* Registers, metadata, pkt_mark and in_port only steer lookups
	 * (replayed) and IN_PORT outputs (recorded with their port). */
	if (a->field < SL_FLD_ETH_SRC || a->field == SL_FLD_PKT_MARK)
		return;
	memset(&s, 0, sizeof(s));
	s.type = SL_ACT_SET_FIELD;
	s.field = a->field;
	if (a->field == SL_FLD_IPV6_SRC)
		memcpy(s.val, p->key.nw_src, 16);
	else if (a->field == SL_FLD_IPV6_DST)
		memcpy(s.val, p->key.nw_dst, 16);
	else
		sl_action_set_u64(&s, 0, get_field(p, a->field));
	rec_dp(p, &s);
}

static void
run_actions(struct sl_pipe *p, const struct sl_action *acts, uint16_t n, uint8_t table)
{
	struct sl_wctx *w = p->w;

	for (uint16_t i = 0; i < n && !p->stop && !p->exited; i++) {
		const struct sl_action *a = &acts[i];
		struct rte_mbuf *c;
		uint16_t saved;

		if (p->wc != NULL)
			mf_depend(p, a);
		if (is_output(a->type)) {
			flush_pending(p);
			if (a->type == SL_ACT_OUTPUT) {
				rec_dp(p, a);
			} else if (a->type == SL_ACT_ENQUEUE) {
				struct sl_action o = { .type = SL_ACT_OUTPUT, .arg = a->arg };

				rec_dp(p, &o);
			} else if (a->type == SL_ACT_IN_PORT) {
				struct sl_action o = { .type = SL_ACT_OUTPUT, .arg = p->key.in_port };

				rec_dp(p, &o);
			} else {
				rec_no_dp(p); /* NORMAL and FLOOD read more than the key */
			}
			if (a->type != SL_ACT_OUTPUT_TRUNC) {
				p->pend = a;
				continue;
			}
			c = rte_pktmbuf_copy(p->m, p->m->pool, 0, a->arg2);
			if (c != NULL)
				sl_fwd_emit(w, a->arg, c, true);
			continue;
		}
		switch (a->type) {
		case SL_ACT_RESUBMIT:
			saved = p->key.in_port;
			if (a->arg2 != 0)
				p->key.in_port = a->arg2;
			run_table(p, a->arg == SL_RESUBMIT_HERE ? table : (uint8_t)a->arg);
			if (a->arg2 != 0)
				p->key.in_port = saved;
			break;
		case SL_ACT_GOTO_TABLE:
			run_table(p, (uint8_t)a->arg);
			break;
		case SL_ACT_WRITE_ACTIONS:
			write_set(p, a + 1, a->arg2);
			i += a->arg2;
			break;
		case SL_ACT_CLEAR_ACTIONS:
			p->n_set = 0;
			p->meta.actset_output = 0;
			break;
		case SL_ACT_EXIT:
			p->exited = true;
			break;
		case SL_ACT_CT:
			ct_run(p, a);
			i += a->arg2;
			break;
		case SL_ACT_CT_CLEAR:
			sl_wct_clear(&p->meta);
			break;
		case SL_ACT_NOTE:
		case SL_ACT_DEBUG_RECIRC:
		case SL_ACT_DEBUG_SLOW:
			break; /* nothing happens to the packet, in OVS either */
		case SL_ACT_SET_QUEUE:
		case SL_ACT_POP_QUEUE:
			break; /* no queues to pick (SL_ACT_SET_QUEUE in flow.h) */
		case SL_ACT_FIN_TIMEOUT:
			rec_no_dp(p); /* it reads the TCP flags, which the key lacks */
			fin_timeout(p);
			break;
		case SL_ACT_CONTROLLER:
			/* Never compiled: the record names the rule and the
			 * pipeline state at this point, which the compiled form
			 * lacks; lookups still replay. */
			rec_no_dp(p);
			packet_in(p, a, table);
			break;
		case SL_ACT_CLONE:
			rec_no_dp(p);
			clone_run(p, a + 1, a->arg2, table);
			i += a->arg2;
			break;
		case SL_ACT_WRITE_METADATA:
			p->meta.metadata = (p->meta.metadata & ~sl_action_u64(a, 1)) | sl_action_u64(a, 0);
			break;
		case SL_ACT_METER:
			rec_no_dp(p);
			if ((sl_wmeter_flow(w, a->arg, &p->m, 1) & 1) == 0)
				p->stop = true;
			break;
		default:
			/* Everything else changes the packet: outputs before it keep the old state. */
			flush_pending(p);
			switch (a->type) {
			case SL_ACT_SET_FIELD:
				if (a->field == SL_FLD_IPV6_SRC || a->field == SL_FLD_IPV6_DST)
					set_field(p, a->field, 0, a->val);
				else if (a->flags & SL_AF_MASKED)
					set_field(p, a->field,
						  (get_field(p, a->field) & ~sl_action_u64(a, 1)) |
							  sl_action_u64(a, 0),
						  NULL);
				else
					set_field(p, a->field, sl_action_u64(a, 0), NULL);
				break;
			case SL_ACT_LOAD:
				write_bits(p, a->field, a->ofs, a->nbits, sl_action_u64(a, 0));
				break;
			case SL_ACT_MOVE:
				write_bits(p, a->field, a->ofs, a->nbits,
					   get_field(p, a->field2) >> a->ofs2);
				break;
			case SL_ACT_DEC_TTL:
				layers(p);
				if (sl_rewrite_dec_ttl(rte_pktmbuf_mtod(p->m, uint8_t *),
						       rte_pktmbuf_data_len(p->m), &p->ly, &p->key) < 0) {
					w->st.ttl_dropped++;
					p->stop = true;
				}
				break;
			case SL_ACT_SET_VLAN_VID:
				sl_fwd_vlan_set(p->m, &p->key, a->arg, SL_VLAN_VID_MASK);
				p->ly_ok = false;
				break;
			case SL_ACT_SET_VLAN_PCP:
				sl_fwd_vlan_set(p->m, &p->key, (uint16_t)(a->arg << SL_VLAN_PCP_SHIFT),
						0xe000);
				p->ly_ok = false;
				break;
			case SL_ACT_STRIP_VLAN:
				sl_fwd_vlan_strip(p->m, &p->key);
				p->ly_ok = false;
				break;
			case SL_ACT_PUSH_VLAN:
				sl_fwd_vlan_push(p->m, &p->key, a->arg);
				p->ly_ok = false;
				break;
			case SL_ACT_SET_DL_SRC:
				set_mac(p, 6, mac_u64(a->mac));
				break;
			case SL_ACT_SET_DL_DST:
				set_mac(p, 0, mac_u64(a->mac));
				break;
			case SL_ACT_PUSH_MPLS:
				mpls_push(p, a->arg);
				break;
			case SL_ACT_POP_MPLS:
				mpls_pop(p, a->arg);
				break;
			case SL_ACT_DEC_MPLS_TTL:
				p->mf_ok = false; /* drops at TTL 1: depends on bits no mask has */
				if (!sl_eth_type_mpls(p->key.dl_type))
					break;
				layers(p);
				if (sl_rewrite_dec_mpls_ttl(rte_pktmbuf_mtod(p->m, uint8_t *),
							    rte_pktmbuf_data_len(p->m), &p->ly,
							    &p->key) < 0) {
					w->st.ttl_dropped++;
					p->stop = true;
				}
				break;
			default:
				break;
			}
			if (p->record != NULL)
				rec_effect(p, a);
		}
	}
}

#define SL_ACTSET_RANK_OUTPUT 12

/*
 * Where an action of the action set runs, as ovs-actions(7) orders them:
 * strip_vlan, pop_mpls, (decap, encap), push_mpls, push_vlan, dec_ttl,
 * dec_mpls_ttl, then the field writes in the order they were written,
 * set_queue, and last the group or output.  Ranks 3, 4 and 9 are actions
 * sluice does not have.
 */
static uint8_t
actset_rank(uint16_t type)
{
	switch (type) {
	case SL_ACT_STRIP_VLAN:
		return 1;
	case SL_ACT_POP_MPLS:
		return 2;
	case SL_ACT_PUSH_MPLS:
		return 5;
	case SL_ACT_PUSH_VLAN:
		return 6;
	case SL_ACT_DEC_TTL:
		return 7;
	case SL_ACT_DEC_MPLS_TTL:
		return 8;
	case SL_ACT_SET_QUEUE:
		return 11;
	default:
		return is_set_output(type) ? SL_ACTSET_RANK_OUTPUT : 10;
	}
}

/* @ce (a run with its packet actions compiled, dp_ok) as a struct sl_xact: for @key alone if @exact. */
static bool
xact_of(const struct sl_pcache_entry *ce, const struct sl_flow_key *key, bool exact,
	struct sl_xact *x)
{
	uint32_t ids[SL_XACT_RULES];
	unsigned int n = 0, miss = 0;

	for (uint8_t i = 0; i < ce->n; i++) {
		if (ce->r[i] == NULL) {
			miss++;
			continue;
		}
		if (n == SL_XACT_RULES)
			return false;
		ids[n++] = ce->r[i]->id;
	}
	return sl_xact_compile(x, ce->dp, ce->n_dp, key, ids, n, miss, exact);
}

/*
 * The exact-match cache's entry for @key (rule @r) takes the run of @ce
 * compiled for @key, checksum deltas and all: the next packets of the key
 * get the pipeline's result from the entry their lookup found (forward.c),
 * with no second lookup.  The entry is of this generation (sl_emc_find),
 * so what it holds goes when the flows change, as the entry does.
 */
static void
emc_attach(struct sl_wctx *w, const struct sl_cls_rule *r, const struct sl_flow_key *key,
	   uint32_t hash, const struct sl_pcache_entry *ce)
{
	struct sl_emc_entry *e = sl_emc_find(&w->emc, key, hash, w->cls_gen);
	struct sl_xact x;

	if (e == NULL || e->rule != r || (e->xa.flags & SL_XA_VALID))
		return;
	if (xact_of(ce, key, true, &x))
		e->xa = x;
}

static inline bool
pcache_is(const struct sl_pcache_entry *e, uint32_t gen, const struct sl_flow_key *key)
{
	return e->valid && e->gen == gen && memcmp(&e->key, key, sizeof(*key)) == 0;
}

void
sl_pipe_run(struct sl_wctx *w, const struct sl_cls_rule *r, const struct sl_flow_key *key,
	    uint32_t hash, uint64_t mfref, struct rte_mbuf *m)
{
	struct sl_pcache_entry *c0, *c1, *ce;
	struct sl_action set[SL_MAX_ACTIONS]; /* the action set in running order; p.pend may point here */
	struct sl_pipe p;
	uint64_t wc[SL_FLOW_KEY_WORDS];

	p.replay = NULL;
	p.record = NULL;
	p.n_lookups = 0;
	p.dp_ok = true;
	p.n_dp = 0;
	p.wc = NULL;
	p.mf_ok = false;
	/* A megaflow's record first: at many flows it is the one in cache. */
	if ((ce = mf_record_of(w, r, mfref, key)) != NULL) {
		p.replay = ce;
		w->st.pcache_hits++;
		goto found;
	}
	if (hash == 0) /* the exact-match cache was skipped: nobody hashed the key */
		hash = sl_flow_key_hash(key);
	/* Two ways (slots from different hash bits), so that two hot keys that
	 * share one slot do not evict each other on every packet. */
	c0 = &w->pcache[hash & (SL_PCACHE_ENTRIES - 1)];
	c1 = &w->pcache[(hash >> 16) & (SL_PCACHE_ENTRIES - 1)];
	if (pcache_is(c0, w->cls_gen, key) || pcache_is(c1, w->cls_gen, key)) {
		ce = pcache_is(c0, w->cls_gen, key) ? c0 : c1;
		p.replay = ce;
		w->st.pcache_hits++;
	} else {
		/* A free or stale way, else the one the hash's low bit picks. */
		if (!c0->valid || c0->gen != w->cls_gen)
			ce = c0;
		else if (!c1->valid || c1->gen != w->cls_gen)
			ce = c1;
		else
			ce = (hash >> 31) ? c1 : c0;
		ce->valid = 0; /* until this run has filled it */
		p.record = ce;
		mf_record_start(&p, w, r, key, wc);
	}
found:
	p.w = w;
	p.m = m;
	p.rule_id = r->id;
	p.rule = r;
	p.key = *key;
	memset(&p.meta, 0, sizeof(p.meta));
	p.ly_ok = false;
	p.stop = false;
	p.exited = false;
	p.depth = 1;
	p.pend = NULL;
	p.n_set = 0;
	if (p.replay != NULL && ce->dp_ok) {
		/* Compiled: count every rule the pipeline passes, then do to the
		 * packet what the whole pipeline did. */
		for (uint8_t i = 0; i < ce->n; i++) {
			const struct sl_cls_rule *t = ce->r[i];

			if (t == NULL) {
				w->st.table_misses++;
				continue;
			}
			w->counters[t->id].packets++;
			w->counters[t->id].bytes += m->pkt_len;
		}
		run_actions(&p, ce->dp, ce->n_dp, r->table);
		goto out;
	}
	run_actions(&p, r->actions.a, r->actions.n, r->table);
	/* The pipeline ended (an exit ends it too): the action set runs now,
	 * in OVS's order (actset_rank); a group in it overrides its output
	 * (OpenFlow 1.3). */
	if (!p.stop && p.n_set > 0) {
		bool group = false;
		uint16_t n = 0;

		for (uint16_t i = 0; i < p.n_set; i++)
			group |= p.set[i].type == SL_ACT_GROUP;
		for (uint8_t rank = 1; rank <= SL_ACTSET_RANK_OUTPUT; rank++)
			for (uint16_t i = 0; i < p.n_set; i++)
				if (actset_rank(p.set[i].type) == rank &&
				    (rank != SL_ACTSET_RANK_OUTPUT || !group ||
				     p.set[i].type == SL_ACT_GROUP))
					set[n++] = p.set[i];
		p.n_set = 0;
		p.exited = false;
		run_actions(&p, set, n, r->table);
	}
out:
	/* An output before a drop (a meter's, the resubmit bound) still goes:
	 * dropping stops what comes after it, not what came before. */
	if (p.pend != NULL)
		do_output(&p, p.pend, true);
	else
		rte_pktmbuf_free(p.m);
	if (p.record != NULL && p.n_lookups <= SL_PCACHE_LOOKUPS) {
		ce->key = *key;
		ce->n = p.n_lookups;
		ce->dp_ok = p.dp_ok;
		ce->n_dp = p.n_dp;
		ce->gen = w->cls_gen;
		ce->xa.flags = 0;
		if (ce->dp_ok)
			xact_of(ce, key, false, &ce->xa);
		ce->valid = 1;
		mf_record_end(&p, w, r, key, ce);
	} else if (p.replay == NULL) {
		return; /* not recorded (connection tracking, too long): nothing to compile */
	}
	if (hash != 0 && ce->dp_ok)
		emc_attach(w, r, key, hash, ce);
}
