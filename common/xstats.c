/* SPDX-License-Identifier: BSD-3-Clause */
#include <ctype.h>
#include <string.h>

#include "xstats.h"

/* The counter's name after "rx_"/"tx_" (and "qN_"), per style, per bucket. */
static const char *const port_style[SL_RFC2819_BUCKETS] = {
	"size_64_packets",	     "size_65_to_127_packets",	 "size_128_to_255_packets",
	"size_256_to_511_packets",   "size_512_to_1023_packets", "size_1024_to_1522_packets",
	"size_1523_to_max_packets",
};
static const char *const queue_style[SL_RFC2819_BUCKETS] = {
	"size_64_packets",	 "size_65_127_packets",	  "size_128_255_packets",
	"size_256_511_packets",	 "size_512_1023_packets", "size_1024_1518_packets",
	"size_1519_max_packets",
};
static const char *const ovs_names[2][SL_RFC2819_BUCKETS] = {
	{ "rx_1_to_64_packets", "rx_65_to_127_packets", "rx_128_to_255_packets",
	  "rx_256_to_511_packets", "rx_512_to_1023_packets", "rx_1024_to_1522_packets",
	  "rx_1523_to_max_packets" },
	{ "tx_1_to_64_packets", "tx_65_to_127_packets", "tx_128_to_255_packets",
	  "tx_256_to_511_packets", "tx_512_to_1023_packets", "tx_1024_to_1522_packets",
	  "tx_1523_to_max_packets" },
};

int
sl_xstat_rfc2819_bucket(const char *name, bool *tx)
{
	const char *rest;
	bool queue = false;

	if (strncmp(name, "rx_", 3) == 0)
		*tx = false;
	else if (strncmp(name, "tx_", 3) == 0)
		*tx = true;
	else
		return -1;
	rest = name + 3;
	if (rest[0] == 'q' && isdigit((unsigned char)rest[1])) {
		rest++;
		while (isdigit((unsigned char)*rest))
			rest++;
		if (*rest++ != '_')
			return -1;
		queue = true;
	}
	for (int b = 0; b < SL_RFC2819_BUCKETS; b++)
		if (strcmp(rest, port_style[b]) == 0 || (queue && strcmp(rest, queue_style[b]) == 0))
			return b;
	return -1;
}

const char *
sl_rfc2819_name(bool tx, int bucket)
{
	return bucket >= 0 && bucket < SL_RFC2819_BUCKETS ? ovs_names[tx][bucket] : "";
}
