/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a port reports (the seed's "Extended Statistics", "Port Hotplug"
 * and "Rx Checksum Offload"): dump-ports per queue, --xstats with OVS's
 * names for sluice's own drops and the PMD's counters, del-port's and
 * detach's answers, checksum offload and link state in show.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <pcap/pcap.h>

#include "control.h"

static struct ctl c;
static char out[1 << 16];

static void
teardown(void)
{
	ctl_sh("for ns in slps_a slps_b; do ip netns pids $ns 2>/dev/null | xargs -r kill -9; "
	   "ip netns del $ns 2>/dev/null; done");
	ctl_stop(&c);
}

TestSuite(port_stats, .fini = teardown, .timeout = 120);

static const char *
path(const char *file)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", c.rundir, file);
	return buf[i];
}

/* @n broadcast UDP frames of @len bytes. */
static void
write_pcap(const char *file, unsigned int n, unsigned int len)
{
	static uint8_t buf[9018];
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = pcap_dump_open(p, path(file));

	cr_assert(d != NULL);
	memset(buf, 0, sizeof(buf));
	memcpy(buf, "\xff\xff\xff\xff\xff\xff\x02\x00\x00\x00\x00\x01\x08\x00\x45", 15);
	buf[16] = (len - 14) >> 8, buf[17] = (len - 14) & 0xff, buf[22] = 64, buf[23] = 17;
	for (unsigned int i = 0; i < n; i++) {
		struct pcap_pkthdr h = { .caplen = len, .len = len };

		h.ts.tv_sec = 1;
		h.ts.tv_usec = i;
		pcap_dump((u_char *)d, &h, buf);
	}
	pcap_dump_close(d);
	pcap_close(p);
}

/* The value of "NAME=" in the --xstats lines of @text, or -1. */
static long long
xstat(const char *text, const char *name)
{
	char key[96];

	snprintf(key, sizeof(key), " %s=", name);
	return ctl_number_after(text, key);
}

static void
wait_tx(const char *port, long long n)
{
	for (int i = 0; i < 100; i++) {
		OK("dump-ports %s", port);
		if (ctl_number_after(out, "tx pkts=") + ctl_number_after(out, "drop=") >= n)
			return;
		usleep(50000);
	}
}

Test(port_stats, xstats_have_ovs_names_for_sluice_drops_and_the_pmd_counters)
{
	ctl_start(&c, "psx", 1);
	write_pcap("in.pcap", 500, 2000);
	OK("add-flow actions=FLOOD");
	OK("add-port small net_null_psx0,no-rx=1");
	OK("add-port big net_null_psx1,no-rx=1 mtu=9000");
	OK("add-port in net_pcap_psx2,rx_pcap=%s mtu=9000", path("in.pcap"));
	wait_tx("big", 500);
	wait_tx("small", 500);

	OK("dump-ports --xstats small");
	cr_assert_eq(xstat(out, "tx_mtu_exceeded_drops"), 500, "2000-byte frames, mtu 1500: %s",
		     out);
	cr_assert_eq(ctl_number_after(out, "drop="), 0, "rx drops: %s", out);
	cr_assert(strstr(out, "tx pkts=0, bytes=0, drop=500,") != NULL, "%s", out);
	cr_assert_eq(xstat(out, "tx_qos_drops"), 0, "%s", out);
	cr_assert_eq(xstat(out, "rx_qos_drops"), 0, "%s", out);
	cr_assert_eq(xstat(out, "tx_failure_drops"), 0, "%s", out);
	cr_assert_eq(xstat(out, "tx_retries"), 0, "%s", out);
	/* The PMD's own, by its names. */
	cr_assert_geq(xstat(out, "tx_good_packets"), 0, "%s", out);
	cr_assert_geq(xstat(out, "rx_q0_packets"), 0, "%s", out);
	OK("dump-ports --xstats big");
	cr_assert_eq(xstat(out, "tx_mtu_exceeded_drops"), 0, "%s", out);
	cr_assert_eq(xstat(out, "tx_good_packets"), 500, "%s", out);

	OK("--json dump-ports --xstats small");
	cr_assert(strstr(out, "\"name\": \"tx_mtu_exceeded_drops\",\n") != NULL, "%s", out);
	OK("dump-ports small");
	cr_assert(strstr(out, "extended statistics") == NULL, "only with --xstats: %s", out);
}

Test(port_stats, dump_ports_counts_per_queue_where_the_pmd_does)
{
	ctl_start(&c, "psq", 1);
	write_pcap("q0.pcap", 300, 100);
	write_pcap("q1.pcap", 700, 100);
	OK("add-flow actions=FLOOD");
	OK("add-port sink net_null_psq0,no-rx=1");
	OK("add-port in net_pcap_psq1,rx_pcap=%s,rx_pcap=%s n_rxq=2", path("q0.pcap"),
	   path("q1.pcap"));
	wait_tx("sink", 1000);
	OK("dump-ports in");
	cr_assert(strstr(out, "rx pkts=1000,") != NULL, "%s", out);
	cr_assert(strstr(out, "rxq 0: pkts=300, bytes=30000,") != NULL, "%s", out);
	cr_assert(strstr(out, "rxq 1: pkts=700, bytes=70000,") != NULL, "%s", out);
	OK("--json dump-ports in");
	cr_assert(strstr(out, "\"rxq\": [") != NULL, "%s", out);
}

Test(port_stats, del_port_and_detach_answer_as_ovs_does)
{
	ctl_start_eal(&c, "psd", 1, "--vdev=net_null_psd9");
	OK("add-port r1 net_ring_psd0");
	OK("add-port n1 net_null_psd1,no-rx=1");
	REFUSED("Device 'net_ring_psd0' is being used by the following interfaces: r1. Remove "
		"them before detaching.", "detach net_ring_psd0");
	REFUSED("Device 'net_null_psd7' not found in DPDK", "detach net_null_psd7");
	OK("del-port n1");
	cr_assert_str_eq(out, "Device 'net_null_psd1,no-rx=1' has been detached\n");
	REFUSED("Device 'net_null_psd1' not found in DPDK", "detach net_null_psd1");
	/* Attached at start (EAL --vdev), no port: detach takes it away. */
	OK("detach net_null_psd9");
	cr_assert_str_eq(out, "Device 'net_null_psd9' has been detached\n");
	REFUSED("Device 'net_null_psd9' not found in DPDK", "detach net_null_psd9");
	OK("show");
	cr_assert(strstr(out, "Port r1") != NULL, "%s", out);
	OK("del-port r1");
	cr_assert_str_eq(out, "Device 'net_ring_psd0' has been detached\n");
}

static void
host(const char *ns, const char *iface, const char *addr, bool up)
{
	cr_assert_eq(ctl_sh("ip netns del %s 2>/dev/null; ip netns add %s && ip link set %s netns %s && "
			"ip -n %s addr add %s/24 dev %s && ip -n %s link set lo up%s%s%s%s",
			ns, ns, iface, ns, ns, addr, iface, ns, up ? " && ip -n " : "",
			up ? ns : "", up ? " link set up dev " : "", up ? iface : ""),
		     0, "could not set up namespace %s", ns);
}

/*
 * A tap port in a namespace is as up as its interface there (net_tap
 * itself looks in the primary's namespace and says down); net_tap checks
 * rx checksums when asked, and the bad ones are counted.
 */
Test(port_stats, tap_link_state_follows_its_interface_and_bad_checksums_are_counted)
{
	ctl_start(&c, "pscs", 1);
	OK("add-port ta net_tap_psa,iface=slps_ta");
	OK("add-port tb net_tap_psb,iface=slps_tb");
	OK("add-port r1 net_ring_psr");
	OK("add-flow in_port=ta,actions=output:tb");
	OK("add-flow in_port=tb,actions=output:ta");
	cr_assert_str_eq(SHOWN("ta", "rx_csum_offload"), "true");
	REFUSED("flow control is not supported by net_tap", "set-port ta rx-flow-ctrl=true");
	cr_assert_str_eq(SHOWN("ta", "rx-flow-ctrl"), "false");
	cr_assert_str_eq(SHOWN("r1", "rx_csum_offload"), "false", "net_ring has none");
	cr_assert(strstr(SHOWN("r1", "driver"), "link: up") != NULL, "%s", out);
	cr_assert_str_eq(SHOWN("r1", "link_speed"), "10 Gbps, duplex: full");

	host("slps_a", "slps_ta", "198.51.100.1", true);
	host("slps_b", "slps_tb", "198.51.100.2", false);
	cr_assert(strstr(SHOWN("ta", "driver"), "link: up") != NULL, "%s", out);
	cr_assert(strstr(SHOWN("tb", "driver"), "link: down") != NULL, "not up yet: %s", out);
	cr_assert_eq(ctl_sh("ip -n slps_b link set up dev slps_tb"), 0);
	cr_assert(strstr(SHOWN("tb", "driver"), "link: up") != NULL, "%s", out);
	cr_assert_eq(ctl_sh("ip netns exec slps_a ping -c 2 -i 0.2 -W 2 198.51.100.2 >/dev/null"), 0);

	cr_assert_eq(ctl_sh("ip netns exec slps_a /usr/bin/python3 -c \""
			"from scapy.all import Ether, IP, UDP, sendp, conf\n"
			"conf.verb = 0\n"
			"e = Ether(dst='ff:ff:ff:ff:ff:ff')\n"
			"sendp(e / IP(dst='198.51.100.2') / UDP(dport=9, chksum=0x1234) / (b'x' * 20),"
			" iface='slps_ta', count=3)\n"
			"sendp(e / IP(dst='198.51.100.2', chksum=0x4321) / UDP(dport=9) / (b'x' * 20),"
			" iface='slps_ta', count=2)\""), 0, "scapy");
	for (int i = 0; i < 50; i++) {
		OK("dump-ports --xstats ta");
		if (xstat(out, "rx_ip_csum_bad") == 2 && xstat(out, "rx_l4_csum_bad") == 3)
			break;
		usleep(50000);
	}
	cr_assert_eq(xstat(out, "rx_ip_csum_bad"), 2, "%s", out);
	cr_assert_eq(xstat(out, "rx_l4_csum_bad"), 3, "%s", out);
	/* They are forwarded all the same, as OVS does. */
	OK("dump-ports tb");
	cr_assert_geq(ctl_number_after(out, "tx pkts="), 5, "%s", out);
}
