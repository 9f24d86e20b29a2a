/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet-ins: what the workers' controller actions send, on the way to the
 * controller channel.  At every housekeeping the primary drains each
 * worker's ring in shared memory (common/shm.h), lets through what the
 * rate limit allows (controller-rate-limit packets a second, bursts of
 * controller-burst-limit: OVS's settings of the same names), drops and
 * counts the rest, and keeps the last SL_PIN_HISTORY with sequence
 * numbers: what packet-in-show prints and what an OpenFlow channel will
 * send next.  The history is the main thread's alone (housekeeping and
 * the handlers below both run there).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "primary.h"
#include "settings.h"
#include "util.h"
#include "verbs.h"

#define SL_PIN_HISTORY 1024

struct pin_entry {
	uint64_t seq; /* 0: empty */
	uint64_t time_ms;
	uint32_t worker;
	struct sl_pin_meta m;
	uint8_t *data; /* malloc'd: m.data_len bytes */
};

static struct {
	struct pin_entry hist[SL_PIN_HISTORY]; /* seq % SL_PIN_HISTORY */
	uint64_t next_seq;      /* the number the next one kept gets */
	uint64_t received;
	uint64_t rate_limited;
	uint64_t dropped_nomem; /* taken from a ring but not kept: no memory for a copy */
	uint64_t evicted;
	uint64_t tokens_milli;  /* token bucket, in thousandths of a packet */
	uint64_t last_ms;
	uint64_t start_ms;
} pin = { .next_seq = 1 };

static void
rate_limits(uint64_t *rate, uint64_t *burst)
{
	*rate = sl_values_u64(&sl_options, &sl_p.options, SL_OPT_CONTROLLER_RATE_LIMIT);
	*burst = sl_values_u64(&sl_options, &sl_p.options, SL_OPT_CONTROLLER_BURST_LIMIT);
	if (*burst == 0)
		*burst = RTE_MAX(*rate / 4, (uint64_t)25); /* OVS's default */
}

/* May one more packet-in go now?  A token bucket filled at the rate, @burst deep. */
static bool
rate_allows(uint64_t now_ms, uint64_t rate, uint64_t burst)
{
	uint64_t cap = burst * 1000;

	if (rate == 0)
		return true;
	if (pin.last_ms == 0) {
		pin.tokens_milli = cap; /* a full bucket to start with */
	} else if (now_ms > pin.last_ms) {
		uint64_t add = (now_ms - pin.last_ms) * rate; /* ms x packets/s = milli-packets */

		pin.tokens_milli = pin.tokens_milli + add > cap ? cap : pin.tokens_milli + add;
	}
	pin.last_ms = now_ms;
	if (pin.tokens_milli < 1000)
		return false;
	pin.tokens_milli -= 1000;
	return true;
}

static void
keep(const struct sl_pin_rec *r, unsigned int worker, uint64_t now_ms)
{
	struct pin_entry *e = &pin.hist[pin.next_seq % SL_PIN_HISTORY];
	size_t n = RTE_MIN(r->m.data_len, SL_PIN_DATA_MAX);
	uint8_t *data = malloc(RTE_MAX(n, (size_t)1));

	if (data == NULL) {
		pin.dropped_nomem++;
		return;
	}
	memcpy(data, r->data, n);
	if (e->seq != 0) {
		free(e->data);
		pin.evicted++;
	}
	e->seq = pin.next_seq++;
	e->time_ms = now_ms - pin.start_ms;
	e->worker = worker;
	e->m = r->m;
	e->m.data_len = (uint16_t)n;
	e->data = data;
}

void
sl_pin_drain(uint64_t now_ms)
{
	uint64_t rate, burst;

	if (pin.start_ms == 0)
		pin.start_ms = now_ms;
	rate_limits(&rate, &burst);
	for (unsigned int w = 0; w < SL_MAX_WORKERS; w++) {
		struct sl_pin_ring *ring = &sl_p.shm->pin[w];
		uint64_t head = __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE), tail = ring->tail;

		/* A ring the worker wrote past its size cannot be: take what is there. */
		if (head - tail > SL_PIN_RING)
			tail = head - SL_PIN_RING;
		for (; tail != head; tail++) {
			pin.received++;
			if (rate_allows(now_ms, rate, burst))
				keep(&ring->rec[tail % SL_PIN_RING], w, now_ms);
			else
				pin.rate_limited++;
		}
		__atomic_store_n(&ring->tail, tail, __ATOMIC_RELEASE);
	}
}

static void
fill_stats(Sluice__PacketInStats *st)
{
	uint64_t rate, burst;

	rate_limits(&rate, &burst);
	st->received = pin.received;
	st->rate_limited = pin.rate_limited;
	st->dropped_nomem = pin.dropped_nomem;
	for (unsigned int w = 0; w < SL_MAX_WORKERS; w++)
		st->ring_full += __atomic_load_n(&sl_p.shm->pin[w].full_drops, __ATOMIC_RELAXED);
	st->kept = RTE_MIN(pin.next_seq - 1, (uint64_t)SL_PIN_HISTORY);
	st->evicted = pin.evicted;
	st->next_seq = pin.next_seq;
	st->rate_limit = (uint32_t)rate;
	st->burst_limit = (uint32_t)burst;
	st->history = SL_PIN_HISTORY;
}

static Sluice__PacketInStats *
new_stats(void)
{
	Sluice__PacketInStats *st = calloc(1, sizeof(*st));

	if (st != NULL) {
		sluice__packet_in_stats__init(st);
		fill_stats(st);
	}
	return st;
}

static Sluice__PacketIn *
to_msg(const struct pin_entry *e)
{
	const struct sl_pin_meta *r = &e->m;
	Sluice__PacketIn *m = calloc(1, sizeof(*m));
	const char *reason;

	if (m == NULL)
		return NULL;
	sluice__packet_in__init(m);
	m->seq = e->seq;
	m->worker = e->worker;
	m->time_ms = e->time_ms;
	m->total_len = r->total_len;
	m->in_port = r->in_port;
	reason = sl_pin_reason_name(r->reason);
	m->reason = strdup(reason != NULL ? reason : "action");
	if (m->reason == NULL)
		m->reason = (char *)protobuf_c_empty_string;
	m->table_id = r->table_id;
	m->cookie = r->cookie;
	m->controller_id = r->ctl_id;
	m->max_len = r->max_len;
	m->metadata = r->metadata;
	m->reg = malloc(sizeof(uint32_t) * SL_N_REGS);
	m->userdata.data = malloc(RTE_MAX(r->userdata_len, (uint8_t)1));
	m->data.data = malloc(RTE_MAX(r->data_len, (uint16_t)1));
	if (m->reg == NULL || m->userdata.data == NULL || m->data.data == NULL)
		return m; /* the reply is freed whole; lengths stay 0 */
	m->n_reg = SL_N_REGS;
	memcpy(m->reg, r->reg, sizeof(uint32_t) * SL_N_REGS);
	m->userdata.len = r->userdata_len;
	memcpy(m->userdata.data, r->userdata, r->userdata_len);
	m->data.len = r->data_len;
	memcpy(m->data.data, e->data, r->data_len);
	return m;
}

/* packet-in-show [--since SEQ]: the kept packet-ins from SEQ on, oldest first. */
static int
h_packet_in_show(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	uint64_t since = req->packet_in_show != NULL ? req->packet_in_show->since : 0;
	uint64_t first = pin.next_seq > SL_PIN_HISTORY ? pin.next_seq - SL_PIN_HISTORY : 1;
	size_t n = 0;

	(void)err;
	(void)errlen;
	if (since > first)
		first = since;
	/* Housekeeping may have run since the last drain; show what is there. */
	sl_pin_drain(sl_now_ms());
	if (first < pin.next_seq) {
		rep->packet_ins = calloc(pin.next_seq - first, sizeof(*rep->packet_ins));
		if (rep->packet_ins == NULL)
			return -ENOMEM;
	}
	for (uint64_t s = first; s < pin.next_seq; s++) {
		const struct pin_entry *e = &pin.hist[s % SL_PIN_HISTORY];

		if (e->seq != s)
			continue;
		rep->packet_ins[n] = to_msg(e);
		if (rep->packet_ins[n] == NULL)
			break;
		n++;
	}
	rep->n_packet_ins = n;
	rep->packet_in_stats = new_stats();
	return rep->packet_in_stats != NULL ? 0 : -ENOMEM;
}
SL_REQ_HANDLER(sl_primary_handlers, PACKET_IN_SHOW, h_packet_in_show)

static int
h_packet_in_stats(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	(void)req;
	(void)err;
	(void)errlen;
	sl_pin_drain(sl_now_ms());
	rep->packet_in_stats = new_stats();
	return rep->packet_in_stats != NULL ? 0 : -ENOMEM;
}
SL_REQ_HANDLER(sl_primary_handlers, PACKET_IN_STATS, h_packet_in_stats)
