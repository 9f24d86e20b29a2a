/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port policers, as Open vSwitch's DPDK ports have them:
 *   qos=egress-policer cir=BYTES_PER_S cbs=BYTES   at transmit
 *   ingress_policing_rate=KBPS ingress_policing_burst=KBIT   at receive
 * Both are srTCM markers of the meter table (common/meter.h), colour blind,
 * only green passes, the length counted being the frame less its 14-byte
 * Ethernet header.  Ingress rate and burst are kilobits (1000 bits), as
 * OVS converts them: rate 0 removes the policer, burst 0 means 8000.
 * Workers police the ports they poll and send on; the primary polices the
 * bridged ports it services (sl_qos_bridged_rx/tx, its own counter row).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_cycles.h>

#include "meter.h"
#include "primary.h"
#include "util.h"

/* Drop counters when the port in the slot was added (they only grow). */
static uint64_t base_tx[SL_MAX_PORTS], base_rx[SL_MAX_PORTS];

static uint64_t
dropped(unsigned int meter_slot)
{
	struct sl_meter_counters sum;

	sl_meter_counters_sum(sl_meters_zone(), meter_slot, &sum);
	return sum.band_packets[0];
}

void
sl_qos_port_reset(unsigned int slot)
{
	struct sl_meter_zone *z = sl_meters_zone();

	sl_meter_config(&z->m[SL_METER_SLOT_EGRESS(slot)], SL_METER_UNIT_L3_BYTES, NULL, 0);
	sl_meter_config(&z->m[SL_METER_SLOT_INGRESS(slot)], SL_METER_UNIT_L3_BYTES, NULL, 0);
	__atomic_fetch_add(&z->gen, 1, __ATOMIC_RELEASE);
	base_tx[slot] = dropped(SL_METER_SLOT_EGRESS(slot));
	base_rx[slot] = dropped(SL_METER_SLOT_INGRESS(slot));
}

void
sl_qos_port_drops(unsigned int slot, uint64_t *tx, uint64_t *rx)
{
	*tx = dropped(SL_METER_SLOT_EGRESS(slot)) - base_tx[slot];
	*rx = dropped(SL_METER_SLOT_INGRESS(slot)) - base_rx[slot];
}

int
sl_qos_apply(unsigned int slot, const struct sl_values *cfg, char *err, size_t errlen)
{
	const struct sl_settings *t = &sl_port_settings;
	struct sl_meter_zone *z = sl_meters_zone();
	struct sl_meter_band_cfg eg = {
		.rate = sl_values_u64(t, cfg, SL_PS_CIR),
		.burst = sl_values_u64(t, cfg, SL_PS_CBS),
	};
	uint64_t kbps = sl_values_u64(t, cfg, SL_PS_INGRESS_POLICING_RATE);
	uint64_t kbit = sl_values_u64(t, cfg, SL_PS_INGRESS_POLICING_BURST);
	struct sl_meter_band_cfg in = {
		/* kilobits of 1000 bits, in bytes, as OVS gives rte_meter */
		.rate = kbps * 1000 / 8,
		.burst = (kbit ? kbit : SL_INGRESS_BURST_DEFAULT) * 1000 / 8,
	};
	bool egress = sl_values_u64(t, cfg, SL_PS_QOS) == SL_QOS_EGRESS_POLICER;

	if (sl_meter_config(&z->m[SL_METER_SLOT_EGRESS(slot)], SL_METER_UNIT_L3_BYTES, &eg,
			    egress) < 0) {
		snprintf(err, errlen, "qos=egress-policer: cir=%s cbs=%s refused by rte_meter",
			 cfg->v[SL_PS_CIR], cfg->v[SL_PS_CBS]);
		return -EINVAL;
	}
	if (sl_meter_config(&z->m[SL_METER_SLOT_INGRESS(slot)], SL_METER_UNIT_L3_BYTES, &in,
			    kbps != 0) < 0) {
		snprintf(err, errlen, "ingress_policing_rate=%s ingress_policing_burst=%s refused by "
			 "rte_meter", cfg->v[SL_PS_INGRESS_POLICING_RATE],
			 cfg->v[SL_PS_INGRESS_POLICING_BURST]);
		return -EINVAL;
	}
	/* Workers cache which ports police: tell them. */
	__atomic_fetch_add(&z->gen, 1, __ATOMIC_RELEASE);
	return 0;
}

static unsigned int
police(unsigned int meter_slot, struct rte_mbuf **pkts, unsigned int n)
{
	struct sl_meter_zone *z = sl_meters_zone();
	struct sl_meter *m = &z->m[meter_slot];

	if (likely(!sl_meter_on(m)) || n == 0)
		return n;
	return sl_meter_police(m, pkts, n, rte_rdtsc(), &z->cnt[SL_METER_ROW_PRIMARY][meter_slot]);
}

unsigned int
sl_qos_bridged_rx(unsigned int slot, struct rte_mbuf **pkts, unsigned int n)
{
	return police(SL_METER_SLOT_INGRESS(slot), pkts, n);
}

unsigned int
sl_qos_bridged_tx(unsigned int slot, struct rte_mbuf **pkts, unsigned int n)
{
	return police(SL_METER_SLOT_EGRESS(slot), pkts, n);
}

/* ---- qos-show, qos-clear ---- */

static int
add_detail(Sluice__QosInfo *qi, const char *key, const char *value)
{
	Sluice__QosInfo__DetailsEntry *e = malloc(sizeof(*e));
	Sluice__QosInfo__DetailsEntry **arr =
		realloc(qi->details, sizeof(*arr) * (qi->n_details + 1));

	if (arr != NULL)
		qi->details = arr;
	if (e == NULL || arr == NULL) {
		free(e);
		return -ENOMEM;
	}
	sluice__qos_info__details_entry__init(e);
	arr[qi->n_details++] = e;
	e->key = strdup(key);
	e->value = strdup(value);
	return e->key != NULL && e->value != NULL ? 0 : -ENOMEM;
}

static int
h_qos_show(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	const char *name = req->qos_show->name;
	const struct sl_values *cfg;
	Sluice__QosInfo *qi;
	int slot = sl_port_find(name);

	if (slot < 0) {
		snprintf(err, errlen, "unknown port \"%s\"", name);
		return -ENOENT;
	}
	cfg = &sl_p.ports[slot].cfg;
	qi = malloc(sizeof(*qi));
	if (qi == NULL)
		return -ENOMEM;
	sluice__qos_info__init(qi);
	rep->qos = qi;
	qi->port = strdup(name);
	if (qi->port == NULL)
		return -ENOMEM;
	if (sl_values_u64(&sl_port_settings, cfg, SL_PS_QOS) == SL_QOS_NONE)
		return 0;
	qi->type = strdup(cfg->v[SL_PS_QOS]);
	if (qi->type == NULL || add_detail(qi, "cir", cfg->v[SL_PS_CIR]) < 0 ||
	    add_detail(qi, "cbs", cfg->v[SL_PS_CBS]) < 0)
		return -ENOMEM;
	return 0;
}
SL_REQ_HANDLER(sl_primary_handlers, QOS_SHOW, h_qos_show)

/* The settings qos-clear sets: the port's QoS record gone, as OVS's "clear Port qos". */
static char *const clear_settings[] = { "qos=none", "cir=0", "cbs=0" };

static int
h_qos_clear(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	(void)rep;
	return sl_port_set(req->qos_clear->name, RTE_DIM(clear_settings), (char **)clear_settings,
			   err, errlen);
}
SL_REQ_HANDLER(sl_primary_handlers, QOS_CLEAR, h_qos_clear)
