/* SPDX-License-Identifier: BSD-3-Clause */
#include <criterion/criterion.h>

#include "xstats.h"

static int
bucket(const char *name, bool *tx)
{
	return sl_xstat_rfc2819_bucket(name, tx);
}

Test(xstats, nic_style_port_counters_map_to_ovs_buckets)
{
	bool tx;

	cr_assert_eq(bucket("rx_size_64_packets", &tx), 0);
	cr_assert(!tx);
	cr_assert_eq(bucket("rx_size_65_to_127_packets", &tx), 1);
	cr_assert_eq(bucket("tx_size_1024_to_1522_packets", &tx), 5);
	cr_assert(tx);
	cr_assert_eq(bucket("tx_size_1523_to_max_packets", &tx), 6);
	cr_assert_str_eq(sl_rfc2819_name(false, 0), "rx_1_to_64_packets");
	cr_assert_str_eq(sl_rfc2819_name(true, 6), "tx_1523_to_max_packets");
}

Test(xstats, virtio_style_queue_counters_map_to_the_same_buckets)
{
	bool tx;

	cr_assert_eq(bucket("rx_q0_size_64_packets", &tx), 0);
	cr_assert_eq(bucket("rx_q12_size_65_127_packets", &tx), 1);
	cr_assert(!tx);
	cr_assert_eq(bucket("tx_q1_size_1024_1518_packets", &tx), 5);
	cr_assert(tx);
	cr_assert_eq(bucket("tx_q1_size_1519_max_packets", &tx), 6);
}

Test(xstats, other_counters_are_no_bucket)
{
	bool tx;

	cr_assert_eq(bucket("rx_good_packets", &tx), -1);
	cr_assert_eq(bucket("rx_q0_packets", &tx), -1);
	cr_assert_eq(bucket("rx_size_65_127_packets", &tx), -1, "queue style needs a queue");
	cr_assert_eq(bucket("rx_qx_size_64_packets", &tx), -1);
	cr_assert_eq(bucket("size_64_packets", &tx), -1);
	cr_assert_eq(bucket("", &tx), -1);
}
