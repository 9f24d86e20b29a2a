/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one rate-limiting mechanism of the data plane: token buckets in
 * shared memory that every worker (and the primary, for bridged ports)
 * updates on the hot path, so a rate holds however many processes feed it.
 * Egress policers (qos=egress-policer), ingress policers
 * (ingress_policing_rate) and OpenFlow meters are all meters of one table,
 * in the memzone "sluice_meters" that sluice-primary creates.
 *
 * A meter has bands; each band is a single-rate three-colour marker as
 * DPDK's rte_meter implements it (srTCM, colour blind, EBS 0: only green
 * passes), Open vSwitch's egress and ingress policers exactly.  rte_meter's
 * run-time state is a plain struct but not atomic; here it is kept as one
 * 128-bit word {time, tc} (te stays 0 with EBS 0) and changed only by a
 * 128-bit compare-and-swap: a worker copies it, runs rte_meter's maths on a
 * whole burst, and publishes the result only if nobody changed the word in
 * between, else it starts over from what the CAS returned.  Lock-free: a
 * worker killed with -9 at any point holds nothing, and a descheduled one
 * (two workers share a core on small hosts) never makes another wait.
 *
 * Configuration (profiles) is written by the primary alone, under a
 * seqcount; a reader that sees it change retries a few times and otherwise
 * lets that burst through unmetered, so nothing can wait on a writer.
 *
 * Counters: one row per worker slot and one for the primary, each written
 * by its owner only with plain stores; readers sum the rows.
 */
#ifndef SL_METER_H
#define SL_METER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_atomic.h>
#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_meter.h>
#include <rte_seqcount.h>

#include "flow.h"
#include "meter_syntax.h"

#define SL_METER_ZONE_NAME "sluice_meters"
#define SL_METER_MAGIC 0x736c6d74u /* "slmt" */
#define SL_METER_VERSION 1u

#define SL_MAX_METERS 1024 /* OpenFlow meters at once */
/* Slots: egress policers of port slots, their ingress policers, then meters. */
#define SL_METER_SLOT_EGRESS(port_slot) (port_slot)
#define SL_METER_SLOT_INGRESS(port_slot) (SL_MAX_PORTS + (port_slot))
#define SL_METER_SLOT_OF0 (2 * SL_MAX_PORTS)
#define SL_METER_SLOTS (SL_METER_SLOT_OF0 + SL_MAX_METERS)
/* Counter rows: one per worker slot, then the primary's (bridged ports). */
#define SL_METER_ROW_PRIMARY SL_MAX_WORKERS
#define SL_METER_ROWS (SL_MAX_WORKERS + 1)
#define SL_METER_MAX_BURST 64 /* packets one call meters */
#define SL_METER_RATE_MAX UINT64_C(1000000000000000) /* units a second */

/* What a packet costs, and so the unit of rates and bursts. */
enum sl_meter_unit {
	SL_METER_UNIT_L3_BYTES,  /* bytes but the 14-byte Ethernet header (OVS's policers) */
	SL_METER_UNIT_BITS,      /* bits of the whole frame (kbps meters) */
	SL_METER_UNIT_MILLIPKTS, /* 1000 a packet (pktps meters, as OVS counts) */
};

struct sl_meter_band {
	/* rte_meter's struct rte_meter_srtcm but te: val[0] time (TSC),
	 * val[1] tc.  Changed by 128-bit CAS only, by anyone. */
	rte_int128_t state;
	struct rte_meter_srtcm_profile prof; /* P */
	uint64_t rate;   /* P: units a second, to pick the band a drop is counted in */
	uint64_t max_dt; /* P: TSC cycles that fill the bucket from empty */
} __rte_cache_aligned;

struct sl_meter {
	rte_seqcount_t seq; /* P: n_bands, unit and the profiles change under it */
	uint16_t n_bands;   /* P: 0 = off, everything passes */
	uint16_t unit;      /* P: enum sl_meter_unit */
	struct sl_meter_band band[SL_METER_MAX_BANDS];
} __rte_cache_aligned;

/* One meter's counters in one row. */
struct sl_meter_counters {
	uint64_t packets; /* metered */
	uint64_t bytes;   /* metered, whole frames */
	uint64_t band_packets[SL_METER_MAX_BANDS]; /* dropped, counted in the band that fired */
	uint64_t band_bytes[SL_METER_MAX_BANDS];
};

struct sl_meter_zone {
	uint32_t magic;
	uint32_t version;
	uint32_t gen; /* P, atomic release: bumped when a port policer is set or cleared */
	uint32_t pad;
	struct sl_meter m[SL_METER_SLOTS];
	struct sl_meter_counters cnt[SL_METER_ROWS][SL_METER_SLOTS] __rte_cache_aligned;
};

/* A band's rate (units a second) and bucket size (units), in the meter's unit. */
struct sl_meter_band_cfg {
	uint64_t rate;
	uint64_t burst;
};

/* Primary: create the zone with every meter off; NULL with rte_errno set. */
struct sl_meter_zone *sl_meter_zone_create(void);

/* Secondary: the zone the primary created, or NULL. */
struct sl_meter_zone *sl_meter_zone_lookup(void);

/* Every meter off and its counters zero (for memory not from the zone: tests). */
void sl_meter_zone_init(struct sl_meter_zone *z);

/*
 * Writer (one at a time): give @m these bands, their buckets full, or turn
 * it off with @n_bands 0.  Returns 0, or -EINVAL (a rate or burst of 0 or
 * above SL_METER_RATE_MAX, too many bands) leaving @m as it was.
 */
int sl_meter_config(struct sl_meter *m, enum sl_meter_unit unit,
		    const struct sl_meter_band_cfg *bands, unsigned int n_bands);

/* True if @m meters (has bands); a hint, read without the seqcount. */
static inline bool
sl_meter_on(const struct sl_meter *m)
{
	return __atomic_load_n(&m->n_bands, __ATOMIC_RELAXED) != 0;
}

/*
 * Meter @n (<= SL_METER_MAX_BURST) packets of frame lengths @len, in order,
 * at TSC time @now.  Returns the mask of those that pass (bit i: packet i);
 * counts into @c (metered, and dropped per band).
 */
uint64_t sl_meter_run_lens(struct sl_meter *m, const uint32_t *len, unsigned int n, uint64_t now,
			   struct sl_meter_counters *c);

/* The same for mbufs (pkt_len). */
uint64_t sl_meter_run(struct sl_meter *m, struct rte_mbuf *const *pkts, unsigned int n,
		      uint64_t now, struct sl_meter_counters *c);

/*
 * Police @pkts: meter them, keep those that pass at the front in their
 * order, free the others.  Returns how many are kept.  Any @n: bursts above
 * SL_METER_MAX_BURST are metered in pieces.
 */
unsigned int sl_meter_police(struct sl_meter *m, struct rte_mbuf **pkts, unsigned int n,
			     uint64_t now, struct sl_meter_counters *c);

/* Sum of slot @slot's counters over every row. */
void sl_meter_counters_sum(const struct sl_meter_zone *z, unsigned int slot,
			   struct sl_meter_counters *sum);

/*
 * An OpenFlow meter's bands in meter units: pktps in thousandths of a
 * packet, kbps in bits; a burst_size of 0 means one second's worth, as in
 * Open vSwitch.  Returns the number of bands.
 */
unsigned int sl_meter_of_bands(const struct sl_meter_spec *spec, enum sl_meter_unit *unit,
			       struct sl_meter_band_cfg *cfg);

#endif /* SL_METER_H */
