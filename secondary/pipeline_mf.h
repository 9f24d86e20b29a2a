/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pipeline's side of the megaflow cache (common/megaflow.h), included
 * by pipeline.c only (it reads struct sl_pipe).
 *
 * A pipeline run is cached for every key that agrees with the packet's on
 * the bits its lookups depended on (sl_cls_lookup_table_wc, table after
 * table) and on the bits its actions read.  Why that is enough: a field of
 * the key as a later table sees it holds, bit by bit, either the packet's
 * own bit at that place (never written), or a value every such key shares
 * (written from a constant, or moved from a field whose bits are all in
 * the mask); registers and metadata start at zero and are only ever
 * written so.  So the bits a later lookup reads are shared once the
 * packet's bits at the same places are in the mask, which is what
 * sl_cls_lookup_table_wc adds.  Actions whose effect on the packet depends
 * on more than their own arguments add what they read (mf_depend): the
 * source of a move, the rest of a field written in part, the TTL of
 * dec_ttl, the headers an L3/L4 rewrite finds its way by, the tag a VLAN
 * write finds.  The input port is always in the mask (IN_PORT outputs are
 * compiled with it).
 *
 * A run whose result is not a function of the key (connection tracking,
 * for one) clears p->mf_ok and is not cached here.
 */
#ifndef SL_PIPELINE_MF_H
#define SL_PIPELINE_MF_H

#include <stddef.h>

/* The bytes of the key a field of the pipeline (SL_FLD_*) lives in; size 0: none. */
static inline void
mf_field_bytes(uint8_t fld, size_t *ofs, size_t *size)
{
	*size = 0;
	switch (fld) {
	case SL_FLD_IN_PORT:
		*ofs = offsetof(struct sl_flow_key, in_port);
		*size = 2;
		break;
	case SL_FLD_ETH_SRC:
		*ofs = offsetof(struct sl_flow_key, dl_src);
		*size = 6;
		break;
	case SL_FLD_ETH_DST:
		*ofs = offsetof(struct sl_flow_key, dl_dst);
		*size = 6;
		break;
	case SL_FLD_VLAN_TCI:
	case SL_FLD_VLAN_VID:
	case SL_FLD_VLAN_PCP:
		*ofs = offsetof(struct sl_flow_key, vlan_tci);
		*size = 2;
		break;
	case SL_FLD_IP_SRC:
	case SL_FLD_IPV6_SRC:
		*ofs = offsetof(struct sl_flow_key, nw_src);
		*size = 16;
		break;
	case SL_FLD_IP_DST:
	case SL_FLD_IPV6_DST:
		*ofs = offsetof(struct sl_flow_key, nw_dst);
		*size = 16;
		break;
	case SL_FLD_IP_DSCP:
	case SL_FLD_NW_TOS:
	case SL_FLD_IP_ECN:
		*ofs = offsetof(struct sl_flow_key, nw_tos);
		*size = 1;
		break;
	case SL_FLD_NW_TTL:
		*ofs = offsetof(struct sl_flow_key, nw_ttl);
		*size = 1;
		break;
	case SL_FLD_TP_SRC:
		*ofs = offsetof(struct sl_flow_key, tp_src);
		*size = 2;
		break;
	case SL_FLD_TP_DST:
		*ofs = offsetof(struct sl_flow_key, tp_dst);
		*size = 2;
		break;
	default:
		break; /* registers, metadata, pkt_mark: pipeline state, shared already */
	}
}

/* Bytes [ofs, ofs + size) of the key go into the mask. */
static inline void
mf_dep_bytes(struct sl_pipe *p, size_t ofs, size_t size)
{
	memset((uint8_t *)p->wc + ofs, 0xff, size);
}

#define MF_DEP(p, f) \
	mf_dep_bytes((p), offsetof(struct sl_flow_key, f), sizeof(((struct sl_flow_key *)0)->f))

/* Every bit of the key that field @fld lives in goes into the mask. */
static inline void
mf_dep_field(struct sl_pipe *p, uint8_t fld)
{
	size_t ofs = 0, size;

	mf_field_bytes(fld, &ofs, &size);
	if (size != 0)
		mf_dep_bytes(p, ofs, size);
}

/* What an L3/L4 rewrite or dec_ttl finds its way by. */
static inline void
mf_dep_l34(struct sl_pipe *p)
{
	MF_DEP(p, dl_type);
	MF_DEP(p, nw_proto);
	MF_DEP(p, nw_frag);
	MF_DEP(p, vlan_tci);
}

/* A write to field @fld (all of it unless @part): what the write finds its way by. */
static inline void
mf_dep_write(struct sl_pipe *p, uint8_t fld, bool part)
{
	if (part)
		mf_dep_field(p, fld); /* the rest of the field stays, and is compiled in */
	if (fld >= SL_FLD_VLAN_TCI && fld <= SL_FLD_VLAN_PCP)
		mf_dep_field(p, SL_FLD_VLAN_TCI); /* pushes a tag if there is none */
	else if (fld >= SL_FLD_IP_SRC && fld != SL_FLD_PKT_MARK)
		mf_dep_l34(p);
}

/* Before action @a runs: the key bits its effect depends on beyond its arguments. */
static inline void
mf_depend(struct sl_pipe *p, const struct sl_action *a)
{
	switch (a->type) {
	case SL_ACT_MOVE:
		mf_dep_field(p, a->field2);
		mf_dep_write(p, a->field, true);
		break;
	case SL_ACT_LOAD:
		mf_dep_write(p, a->field, true);
		break;
	case SL_ACT_SET_FIELD:
		mf_dep_write(p, a->field, (a->flags & SL_AF_MASKED) != 0);
		break;
	case SL_ACT_DEC_TTL:
		mf_dep_l34(p);
		mf_dep_field(p, SL_FLD_NW_TTL);
		break;
	case SL_ACT_SET_VLAN_VID:
	case SL_ACT_SET_VLAN_PCP:
	case SL_ACT_STRIP_VLAN:
	case SL_ACT_PUSH_VLAN:
		mf_dep_field(p, SL_FLD_VLAN_TCI);
		break;
	default:
		break;
	}
}

/*
 * The pipeline record of megaflow entry @mfref, if it is one and still
 * there; with no @mfref (the rule came from the exact-match cache), of the
 * megaflow entry for @key: a few flows' pipelines share one, which stays
 * in cache where each flow's own record in the exact-keyed pipeline cache
 * would not.
 */
static inline struct sl_pcache_entry *
mf_record_of(struct sl_wctx *w, const struct sl_cls_rule *r, uint64_t mfref,
	     const struct sl_flow_key *key)
{
	uint32_t idx = mfref != SL_MF_NONE_REF ? sl_mf_deref(&w->mf, mfref)
					       : sl_mf_lookup(&w->mf, key, w->cls_gen);

	/* A record of another rule for table 0 (a publish between the two
	 * lookups, within one generation) would not be this run's. */
	if (idx == SL_MF_NONE || !(w->mf.e[idx].flags & SL_MF_PIPE) || w->mf.e[idx].rule != r)
		return NULL;
	return &w->mfrec[idx];
}

/*
 * A run of rule @r for @key is being recorded: collect its mask in @wc,
 * starting from what table 0's lookup depended on (looked up again: the
 * rule may have come from the exact-match cache, which does not know).
 */
static inline void
mf_record_start(struct sl_pipe *p, struct sl_wctx *w, const struct sl_cls_rule *r,
		const struct sl_flow_key *key, uint64_t *wc)
{
	uint64_t unused = 0;

	if (w->cls == NULL)
		return;
	memset(wc, 0, sizeof(uint64_t) * SL_FLOW_KEY_WORDS);
	if (sl_cls_lookup_wc(w->cls, key, wc, &unused) != r)
		return; /* the flows changed under us: this generation ends soon */
	p->wc = wc;
	MF_DEP(p, in_port);
	p->mf_ok = true;
}

/* The run recorded in @ce ended: cache it for every key of its mask. */
static inline void
mf_record_end(struct sl_pipe *p, struct sl_wctx *w, const struct sl_cls_rule *r,
	      const struct sl_flow_key *key, const struct sl_pcache_entry *ce)
{
	uint32_t idx;

	if (p->wc == NULL || !p->mf_ok)
		return;
	idx = sl_mf_insert(&w->mf, key, p->wc, w->cls_gen, r, SL_MF_PIPE);
	if (idx != SL_MF_NONE)
		w->mfrec[idx] = *ce;
}

#endif /* SL_PIPELINE_MF_H */
