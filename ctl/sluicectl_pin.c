/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluicectl's packet-in verbs: packet-in-show [--since SEQ] [--follow],
 * in the spirit of `ovs-ofctl monitor br0 65534`: each packet-in as an
 * OFPT_PACKET_IN line (the sequence number where ovs-ofctl shows the xid),
 * its userdata, and the packet's headers as a flow; packet-in-stats.
 */
#include <stdio.h>
#include <string.h>

#include "flow_syntax.h"
#include "packet.h"
#include "sluicectl.h"
#include "util.h"

/* packet-in-show's options: where to start, and whether to keep asking. */
static uint64_t pin_since;
static bool pin_follow;

static void
build_packet_in_show(struct sl_ctl *c, Sluice__Request *req)
{
	static Sluice__PacketInShow ps = SLUICE__PACKET_IN_SHOW__INIT;
	static bool parsed;

	if (!parsed) {
		parsed = true;
		for (int i = 0; i < c->n_args; i++) {
			if (strcmp(c->args[i], "--follow") == 0 || strcmp(c->args[i], "-f") == 0) {
				pin_follow = true;
			} else if (strcmp(c->args[i], "--since") == 0 && i + 1 < c->n_args) {
				if (sl_parse_u64(c->args[++i], 0, UINT64_MAX, &pin_since) < 0)
					die(2, "--since: \"%s\" is not a sequence number", c->args[i]);
			} else {
				die(2, "unknown argument \"%s\" (usage: sluicectl packet-in-show "
				       "[--since SEQ] [--follow])", c->args[i]);
			}
		}
		c->follow = pin_follow;
	}
	ps.since = pin_since;
	req->packet_in_show = &ps;
}

/*
 * The packet's headers as ovs-ofctl prints a packet: its flow, every
 * field the parser found for its protocol.
 */
static void
packet_summary(const uint8_t *d, size_t len, char *buf, size_t size)
{
	struct sl_flow_key k;
	struct sl_match m;
	const char *text = buf;
	size_t a = 4; /* IPv4 address bytes */

	memset(&m, 0, sizeof(m));
	sl_parse(d, (uint32_t)len, 0, &k, NULL);
	m.key = k;
	memset(m.mask.dl_src, 0xff, 6);
	memset(m.mask.dl_dst, 0xff, 6);
	m.mask.dl_type = 0xffff;
	m.mask.vlan_tci = 0xffff;
	switch (k.dl_type) {
	case 0x86dd:
		a = 16;
		m.mask.ipv6_label = 0xffffffff;
		/* fall through */
	case 0x0800:
		m.mask.nw_proto = 0xff;
		m.mask.nw_tos = 0xff;
		m.mask.nw_ttl = 0xff;
		/* "no", or "first"/"later" for a fragment, as OVS prints a packet's. */
		m.mask.nw_frag = (k.nw_frag & SL_FRAG_ANY) ? SL_FRAG_ANY | SL_FRAG_LATER : SL_FRAG_ANY;
		memset(m.mask.nw_src, 0xff, a);
		memset(m.mask.nw_dst, 0xff, a);
		if (!(k.nw_frag & SL_FRAG_LATER) &&
		    (k.nw_proto == 6 || k.nw_proto == 17 || k.nw_proto == 132 || k.nw_proto == 1 ||
		     k.nw_proto == 58)) {
			m.mask.tp_src = 0xffff;
			m.mask.tp_dst = 0xffff;
		}
		break;
	case 0x0806:
		m.mask.nw_proto = 0xff;
		memset(m.mask.nw_src, 0xff, 10); /* SPA and SHA */
		memset(m.mask.nw_dst, 0xff, 10); /* TPA and THA */
		break;
	default:
		if (sl_eth_type_mpls(k.dl_type))
			m.mask.mpls_lse = 0xffffffff;
		break;
	}
	sl_match_normalize(&m);
	sl_match_format(&m, SL_FLOW_DEFAULT_PRIORITY, buf, size);
	if (strncmp(text, "priority=32768,", 15) == 0)
		memmove(buf, text + 15, strlen(text + 15) + 1);
}

static void
print_packet_in(const Sluice__PacketIn *p)
{
	char summary[1024];

	printf("OFPT_PACKET_IN (OF1.3) (seq=%llu):", (unsigned long long)p->seq);
	if (p->table_id != 0)
		printf(" table_id=%u", p->table_id);
	printf(" cookie=0x%llx total_len=%u", (unsigned long long)p->cookie, p->total_len);
	/* The pipeline fields that are set, then in_port, as OVS prints the packet's metadata. */
	if (p->metadata != 0)
		printf(" metadata=0x%llx,", (unsigned long long)p->metadata);
	else
		printf(" ");
	for (size_t i = 0; i < p->n_reg; i++)
		if (p->reg[i] != 0)
			printf("reg%zu=0x%x,", i, p->reg[i]);
	if (p->in_port == SL_OFPP_LOCAL)
		printf("in_port=LOCAL");
	else
		printf("in_port=%u", p->in_port);
	printf(" (via %s) data_len=%zu (unbuffered)\n", p->reason, p->data.len);
	if (p->userdata.len > 0) {
		printf(" userdata=");
		for (size_t i = 0; i < p->userdata.len; i++)
			printf("%s%02x", i == 0 ? "" : ".", p->userdata.data[i]);
		printf("\n");
	}
	if (p->controller_id != 0)
		printf(" controller_id=%u\n", p->controller_id);
	packet_summary(p->data.data, p->data.len, summary, sizeof(summary));
	printf("%s\n", summary);
}

static void
print_packet_in_show(const Sluice__Reply *rep)
{
	for (size_t i = 0; i < rep->n_packet_ins; i++) {
		print_packet_in(rep->packet_ins[i]);
		pin_since = rep->packet_ins[i]->seq + 1;
	}
	if (rep->packet_in_stats != NULL && pin_since < rep->packet_in_stats->next_seq &&
	    rep->n_packet_ins == 0)
		pin_since = rep->packet_in_stats->next_seq; /* evicted in between: go on from now */
	fflush(stdout);
}
CTL_VERB(packet_in_show, build_packet_in_show, print_packet_in_show)

static void
print_packet_in_stats(const Sluice__Reply *rep)
{
	const Sluice__PacketInStats *s = rep->packet_in_stats;

	if (s == NULL)
		return;
	printf("packet-ins: received %llu, rate_limited %llu, dropped_nomem %llu, ring_full %llu, "
	       "kept %llu (of %u), evicted %llu, next seq %llu\n",
	       (unsigned long long)s->received, (unsigned long long)s->rate_limited,
	       (unsigned long long)s->dropped_nomem, (unsigned long long)s->ring_full,
	       (unsigned long long)s->kept, s->history,
	       (unsigned long long)s->evicted, (unsigned long long)s->next_seq);
	if (s->rate_limit != 0)
		printf("controller-rate-limit %u/s, controller-burst-limit %u\n", s->rate_limit,
		       s->burst_limit);
	else
		printf("controller-rate-limit: none\n");
}
CTL_VERB(packet_in_stats, NULL, print_packet_in_stats)
