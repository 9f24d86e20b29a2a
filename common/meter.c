/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared token buckets (see meter.h).  The per-burst work of one band: copy
 * its 128-bit state, let rte_meter refill it for the first packet (its
 * division runs once a burst, not once a packet), take each packet's cost
 * in order while tokens last, and publish the new state with one
 * compare-and-swap.  A failed CAS means another process metered in
 * between: redo the burst from the state the CAS returned.
 */
#include <errno.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_memzone.h>

#include "meter.h"

/* Readers retry a configuration being rewritten this often, then let the burst pass. */
#define SL_METER_CFG_TRIES 4

void
sl_meter_zone_init(struct sl_meter_zone *z)
{
	memset(z, 0, sizeof(*z));
	z->magic = SL_METER_MAGIC;
	z->version = SL_METER_VERSION;
	for (unsigned int i = 0; i < SL_METER_SLOTS; i++)
		rte_seqcount_init(&z->m[i].seq);
}

struct sl_meter_zone *
sl_meter_zone_create(void)
{
	const struct rte_memzone *mz;

	mz = rte_memzone_reserve_aligned(SL_METER_ZONE_NAME, sizeof(struct sl_meter_zone),
					 rte_socket_id(), 0, RTE_CACHE_LINE_SIZE);
	if (mz == NULL)
		return NULL;
	sl_meter_zone_init(mz->addr);
	return mz->addr;
}

struct sl_meter_zone *
sl_meter_zone_lookup(void)
{
	const struct rte_memzone *mz = rte_memzone_lookup(SL_METER_ZONE_NAME);
	struct sl_meter_zone *z;

	if (mz == NULL || mz->len < sizeof(*z)) {
		rte_errno = ENOENT;
		return NULL;
	}
	z = mz->addr;
	if (z->magic != SL_METER_MAGIC || z->version != SL_METER_VERSION) {
		rte_errno = EPROTO;
		return NULL;
	}
	return z;
}

/* Replace the band's state with @want, whatever it is now. */
static void
state_store(struct sl_meter_band *b, rte_int128_t want)
{
	rte_int128_t old = b->state;

	while (!rte_atomic128_cmp_exchange(&b->state, &old, &want, 0, __ATOMIC_RELEASE,
					   __ATOMIC_RELAXED))
		;
}

int
sl_meter_config(struct sl_meter *m, enum sl_meter_unit unit,
		const struct sl_meter_band_cfg *bands, unsigned int n_bands)
{
	struct rte_meter_srtcm_profile prof[SL_METER_MAX_BANDS];
	uint64_t now = rte_get_tsc_cycles();

	if (n_bands > SL_METER_MAX_BANDS)
		return -EINVAL;
	for (unsigned int i = 0; i < n_bands; i++) {
		struct rte_meter_srtcm_params p = {
			.cir = bands[i].rate,
			.cbs = bands[i].burst,
			.ebs = 0, /* no yellow: only green passes */
		};

		if (bands[i].rate == 0 || bands[i].rate > SL_METER_RATE_MAX ||
		    bands[i].burst == 0 || bands[i].burst > SL_METER_RATE_MAX ||
		    rte_meter_srtcm_profile_config(&prof[i], &p) != 0)
			return -EINVAL;
	}
	rte_seqcount_write_begin(&m->seq);
	for (unsigned int i = 0; i < n_bands; i++) {
		struct sl_meter_band *b = &m->band[i];
		rte_int128_t full = { .val = { now, prof[i].cbs } }; /* a full bucket */

		b->prof = prof[i];
		b->rate = bands[i].rate;
		/* Time to fill an empty bucket: a longer gap refills no more, and
		 * capping it keeps rte_meter's product far from overflowing. */
		if (__builtin_mul_overflow(prof[i].cbs / prof[i].cir_bytes_per_period + 1,
					   prof[i].cir_period, &b->max_dt))
			b->max_dt = UINT64_MAX;
		state_store(b, full);
	}
	m->unit = (uint16_t)unit;
	__atomic_store_n(&m->n_bands, (uint16_t)n_bands, __ATOMIC_RELAXED);
	rte_seqcount_write_end(&m->seq);
	return 0;
}

/* One band over a burst: the mask of the packets it fails. */
static uint64_t
band_run(struct sl_meter_band *b, struct rte_meter_srtcm_profile *prof, uint64_t max_dt,
	 const uint32_t *cost, unsigned int n, uint64_t now)
{
	rte_int128_t old = b->state, next;
	uint64_t fail;

	do {
		struct rte_meter_srtcm st = { .time = old.val[0], .tc = old.val[1], .te = 0 };
		uint64_t t = now;
		unsigned int i = 0;

		/* Another process metered at a later TSC than ours: no refill. */
		if (t < st.time)
			t = st.time;
		else if (t - st.time > max_dt)
			st.time = t - max_dt;
		fail = 0;
		if (rte_meter_srtcm_color_blind_check(&st, prof, t, cost[0]) != RTE_COLOR_GREEN)
			fail = 1;
		/* The same instant: rte_meter would find no period to add and
		 * apply the same colour rule; skip its division. */
		for (i = 1; i < n; i++) {
			if (st.tc >= cost[i])
				st.tc -= cost[i];
			else
				fail |= UINT64_C(1) << i;
		}
		next.val[0] = st.time;
		next.val[1] = st.tc;
	} while (!rte_atomic128_cmp_exchange(&b->state, &old, &next, 0, __ATOMIC_RELAXED,
					     __ATOMIC_RELAXED));
	return fail;
}

uint64_t
sl_meter_run_lens(struct sl_meter *m, const uint32_t *len, unsigned int n, uint64_t now,
		  struct sl_meter_counters *c)
{
	struct rte_meter_srtcm_profile prof[SL_METER_MAX_BANDS];
	uint64_t rate[SL_METER_MAX_BANDS], max_dt[SL_METER_MAX_BANDS];
	uint64_t all = n >= 64 ? UINT64_MAX : (UINT64_C(1) << n) - 1, dropped = 0, bytes = 0;
	uint32_t cost[SL_METER_MAX_BURST];
	uint8_t fired[SL_METER_MAX_BURST];
	unsigned int nb = 0, unit = 0, tries;

	if (n == 0)
		return 0;
	for (tries = 0;; tries++) {
		uint32_t sn = rte_seqcount_read_begin(&m->seq);

		nb = __atomic_load_n(&m->n_bands, __ATOMIC_RELAXED);
		unit = m->unit;
		for (unsigned int b = 0; b < nb && b < SL_METER_MAX_BANDS; b++) {
			prof[b] = m->band[b].prof;
			rate[b] = m->band[b].rate;
			max_dt[b] = m->band[b].max_dt;
		}
		if (!rte_seqcount_read_retry(&m->seq, sn))
			break;
		if (tries == SL_METER_CFG_TRIES)
			return all; /* being reconfigured: never wait for the writer */
	}
	if (nb == 0 || nb > SL_METER_MAX_BANDS)
		return all;
	for (unsigned int i = 0; i < n; i++) {
		bytes += len[i];
		switch (unit) {
		case SL_METER_UNIT_L3_BYTES:
			cost[i] = len[i] > RTE_ETHER_HDR_LEN ? len[i] - RTE_ETHER_HDR_LEN : 0;
			break;
		case SL_METER_UNIT_BITS:
			cost[i] = len[i] * 8;
			break;
		default:
			cost[i] = 1000;
			break;
		}
	}
	if (nb == 1) {
		dropped = band_run(&m->band[0], &prof[0], max_dt[0], cost, n, now);
		c->packets += n;
		c->bytes += bytes;
		if (unlikely(dropped != 0)) {
			c->band_packets[0] += (uint64_t)__builtin_popcountll(dropped);
			for (uint64_t x = dropped; x != 0; x &= x - 1)
				c->band_bytes[0] += len[__builtin_ctzll(x)];
		}
		return all & ~dropped;
	}
	/* Every band takes what fits of each packet; a packet some band
	 * refuses is dropped and counted in the refusing band with the
	 * highest rate, as OpenFlow says. */
	for (unsigned int b = 0; b < nb; b++) {
		uint64_t f = band_run(&m->band[b], &prof[b], max_dt[b], cost, n, now);

		for (uint64_t x = f; x != 0; x &= x - 1) {
			unsigned int i = (unsigned int)__builtin_ctzll(x);

			if (!(dropped & (UINT64_C(1) << i)) || rate[b] > rate[fired[i]])
				fired[i] = (uint8_t)b;
		}
		dropped |= f;
	}
	c->packets += n;
	c->bytes += bytes;
	for (uint64_t x = dropped; x != 0; x &= x - 1) {
		unsigned int i = (unsigned int)__builtin_ctzll(x);

		c->band_packets[fired[i]]++;
		c->band_bytes[fired[i]] += len[i];
	}
	return all & ~dropped;
}

uint64_t
sl_meter_run(struct sl_meter *m, struct rte_mbuf *const *pkts, unsigned int n, uint64_t now,
	     struct sl_meter_counters *c)
{
	uint32_t len[SL_METER_MAX_BURST];

	for (unsigned int i = 0; i < n; i++)
		len[i] = rte_pktmbuf_pkt_len(pkts[i]);
	return sl_meter_run_lens(m, len, n, now, c);
}

unsigned int
sl_meter_police(struct sl_meter *m, struct rte_mbuf **pkts, unsigned int n, uint64_t now,
		struct sl_meter_counters *c)
{
	unsigned int kept = 0;

	for (unsigned int off = 0; off < n; off += SL_METER_MAX_BURST) {
		unsigned int k = RTE_MIN(n - off, (unsigned int)SL_METER_MAX_BURST);
		uint64_t pass = sl_meter_run(m, pkts + off, k, now, c);

		for (unsigned int i = 0; i < k; i++) {
			if (pass & (UINT64_C(1) << i))
				pkts[kept++] = pkts[off + i];
			else
				rte_pktmbuf_free(pkts[off + i]);
		}
	}
	return kept;
}

void
sl_meter_counters_sum(const struct sl_meter_zone *z, unsigned int slot,
		      struct sl_meter_counters *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (unsigned int r = 0; r < SL_METER_ROWS; r++) {
		const struct sl_meter_counters *c = &z->cnt[r][slot];

		sum->packets += __atomic_load_n(&c->packets, __ATOMIC_RELAXED);
		sum->bytes += __atomic_load_n(&c->bytes, __ATOMIC_RELAXED);
		for (unsigned int b = 0; b < SL_METER_MAX_BANDS; b++) {
			sum->band_packets[b] += __atomic_load_n(&c->band_packets[b], __ATOMIC_RELAXED);
			sum->band_bytes[b] += __atomic_load_n(&c->band_bytes[b], __ATOMIC_RELAXED);
		}
	}
}

unsigned int
sl_meter_of_bands(const struct sl_meter_spec *spec, enum sl_meter_unit *unit,
		  struct sl_meter_band_cfg *cfg)
{
	*unit = (spec->flags & SL_METER_PKTPS) ? SL_METER_UNIT_MILLIPKTS : SL_METER_UNIT_BITS;
	for (unsigned int i = 0; i < spec->n_bands; i++) {
		const struct sl_meter_band_spec *b = &spec->band[i];

		/* kbps: 1000 bits; pktps: 1000 thousandths of a packet. */
		cfg[i].rate = (uint64_t)b->rate * 1000;
		cfg[i].burst = (uint64_t)(b->burst_size ? b->burst_size : b->rate) * 1000;
	}
	return spec->n_bands;
}
