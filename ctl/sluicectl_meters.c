/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluicectl's rate-limiting verbs: qos-show and qos-clear (as ovs-appctl
 * qos/show and "ovs-vsctl clear Port NAME qos"), and the OpenFlow meter
 * verbs in ovs-ofctl's syntax and output (add-meter, mod-meter, del-meters,
 * dump-meters, meter-stats).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meter_syntax.h"
#include "sluicectl.h"

static void
build_port_ref(struct sl_ctl *c, Sluice__Request *req)
{
	Sluice__PortRef *pr = xcalloc(1, sizeof(*pr));

	sluice__port_ref__init(pr);
	pr->name = c->args[0];
	req->qos_show = pr; /* qos_show and qos_clear share the slot */
}
CTL_VERB(qos_clear, build_port_ref, NULL)

static void
print_qos_show(const Sluice__Reply *rep)
{
	const Sluice__QosInfo *q = rep->qos;

	if (q == NULL)
		return;
	if (q->type[0] == '\0') {
		printf("QoS not configured on %s\n", q->port);
		return;
	}
	printf("QoS: %s %s\n", q->port, q->type);
	for (size_t i = 0; i < q->n_details; i++)
		printf("%s: %s\n", q->details[i]->key, q->details[i]->value);
}

CTL_VERB(qos_show, build_port_ref, print_qos_show)

/* add-meter and mod-meter: the words given, one meter (ovs-ofctl takes it quoted). */
static void
build_meter_mod(struct sl_ctl *c, Sluice__Request *req)
{
	Sluice__MeterMod *mm = xcalloc(1, sizeof(*mm));
	size_t len = 1;
	char *text;

	for (int i = 0; i < c->n_args; i++)
		len += strlen(c->args[i]) + 1;
	text = xcalloc(len, 1);
	for (int i = 0; i < c->n_args; i++) {
		if (i)
			strcat(text, " ");
		strcat(text, c->args[i]);
	}
	sluice__meter_mod__init(mm);
	mm->meter = text;
	req->add_meter = mm; /* every MeterMod member shares the slot */
}
CTL_VERB(add_meter, build_meter_mod, NULL)
CTL_VERB(mod_meter, build_meter_mod, NULL)

/* del-meters, dump-meters, meter-stats: [METER]. */
static void
build_meter_id(struct sl_ctl *c, Sluice__Request *req)
{
	Sluice__MeterMod *mm = xcalloc(1, sizeof(*mm));

	sluice__meter_mod__init(mm);
	mm->meter = c->n_args > 0 ? c->args[0] : "";
	req->del_meters = mm;
}

/* As ovs-ofctl dump-meters: bands on lines of their own, a blank line between meters. */
static void
print_dump_meters(const Sluice__Reply *rep)
{
	char text[SL_METER_TEXT_MAX];
	struct sl_meter_spec m;

	for (size_t i = 0; i < rep->n_meters; i++) {
		if (sl_meter_parse(rep->meters[i]->text, SL_METER_PARSE_MOD, &m, NULL, 0) == 0)
			sl_meter_format(&m, true, text, sizeof(text));
		else
			snprintf(text, sizeof(text), "%s", rep->meters[i]->text);
		printf("%s%s\n", i ? "\n" : "", text);
	}
}

/* As ovs-ofctl meter-stats. */
static void
print_meter_stats(const Sluice__Reply *rep)
{
	char id[48];

	for (size_t i = 0; i < rep->n_meters; i++) {
		const Sluice__MeterInfo *mi = rep->meters[i];

		sl_meter_id_format(mi->id, ':', id, sizeof(id));
		printf("%s%s flow_count:%u packet_in_count:%llu byte_in_count:%llu "
		       "duration:%.3fs bands:\n",
		       i ? "\n" : "", id, mi->flow_count, (unsigned long long)mi->packet_in_count,
		       (unsigned long long)mi->byte_in_count, (double)mi->duration_ms / 1000.0);
		for (size_t b = 0; b < mi->n_bands; b++)
			printf("%zu: packet_count:%llu byte_count:%llu\n", b,
			       (unsigned long long)mi->bands[b]->packet_count,
			       (unsigned long long)mi->bands[b]->byte_count);
	}
}
CTL_VERB(del_meters, build_meter_id, NULL)
CTL_VERB(dump_meters, build_meter_id, print_dump_meters)
CTL_VERB(meter_stats, build_meter_id, print_meter_stats)
