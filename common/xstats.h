/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Extended statistics by Open vSwitch's names.  PMDs name their RFC 2819
 * frame-size counters two ways: per port ("rx_size_65_to_127_packets",
 * NICs) or per queue ("rx_q0_size_65_127_packets", virtio and vhost).  OVS
 * reports both as rx_65_to_127_packets and so on (its netdev_stats); this
 * maps a PMD's name to that bucket.
 */
#ifndef SL_XSTATS_H
#define SL_XSTATS_H

#include <stdbool.h>

#define SL_RFC2819_BUCKETS 7 /* 64, 65-127, ..., 1024-1522, 1523-max */

/* The bucket (0..6) PMD counter @name counts, with *tx set for tx; -1 if none. */
int sl_xstat_rfc2819_bucket(const char *name, bool *tx);

/* OVS's name of bucket @bucket: "rx_1_to_64_packets" ... "tx_1523_to_max_packets". */
const char *sl_rfc2819_name(bool tx, int bucket);

#endif /* SL_XSTATS_H */
