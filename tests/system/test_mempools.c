/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mbuf pools as sluicectl shows them: one per buffer size (OVS's sizes),
 * made when a port first needs it, gone when the last one leaves and every
 * mbuf is back; a device that keeps mbufs for good (an infinite_rx pcap)
 * gets a pool sized for what it keeps, or a refusal that says how many.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <pcap/pcap.h>

#include "control.h"

CTL_SUITE(mempools, 120);


/* @n Ethernet/IPv4/UDP frames of @len bytes to @path, each numbered in its payload. */
static void
write_pcap(const char *path, unsigned int n, unsigned int len)
{
	static const uint8_t head[] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00, 0x45, 0,
	};
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = pcap_dump_open(p, path);
	uint8_t *buf = calloc(1, len);

	cr_assert(d != NULL && buf != NULL);
	memcpy(buf, head, sizeof(head));
	buf[16] = (len - 14) >> 8, buf[17] = (len - 14) & 0xff;
	buf[22] = 64, buf[23] = 17;
	for (unsigned int i = 0; i < n; i++) {
		struct pcap_pkthdr h = { .caplen = len, .len = len };

		h.ts.tv_sec = 1 + i / 1000000;
		h.ts.tv_usec = i % 1000000;
		memcpy(buf + 42, &i, sizeof(i));
		pcap_dump((u_char *)d, &h, buf);
	}
	pcap_dump_close(d);
	pcap_close(p);
	free(buf);
}

static size_t
pcap_count(const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p = pcap_open_offline(path, errbuf);
	size_t n = 0;

	if (p == NULL)
		return 0;
	while (pcap_next_ex(p, &h, &data) == 1)
		n++;
	pcap_close(p);
	return n;
}

/* The mempool-show line of the pool whose USERS column is exactly @users, or NULL. */
static const char *
pool_of(const char *users)
{
	static char line[512];
	char *s = out, *nl;

	OK("mempool-show");
	for (; (nl = strchr(s, '\n')) != NULL; s = nl + 1) {
		const char *u;

		snprintf(line, sizeof(line), "%.*s", (int)(nl - s), s);
		u = strrchr(line, ' ');
		if (u != NULL && strcmp(u + 1, users) == 0)
			return line;
	}
	return NULL;
}

/* Column @col (0-based) of a mempool-show line, as a number. */
static long
column(const char *line, int col)
{
	char copy[512], *tok, *save;

	snprintf(copy, sizeof(copy), "%s", line);
	tok = strtok_r(copy, " ", &save);
	for (int i = 0; i < col && tok != NULL; i++)
		tok = strtok_r(NULL, " ", &save);
	return tok != NULL ? strtol(tok, NULL, 10) : -1;
}

enum { COL_SIZE = 2, COL_AVAIL, COL_IN_USE, COL_RESERVED, COL_BUF_SIZE, COL_HEADROOM };

static long
base_in_use(void)
{
	const char *l;

	OK("mempool-show");
	l = strstr(out, "sl_mbuf_pool ");
	cr_assert_not_null(l, "%s", out);
	return column(l, COL_IN_USE);
}

static void
wait_pool_gone(const char *name)
{
	for (int i = 0; i < 100; i++) {
		OK("mempool-show");
		if (strstr(out, name) == NULL)
			return;
		usleep(50000);
	}
	cr_assert_fail("pool %s is still there: %s", name, out);
}

Test(mempools, pools_of_three_mtus_appear_shared_and_go_with_in_use_back_to_baseline)
{
	const char *l;
	char in[256], o90[256], name4k[32], name9k[32];
	long base;

	ctl_start(&c, "mp3", 1);
	base = base_in_use();
	snprintf(in, sizeof(in), "%s/in.pcap", c.rundir);
	snprintf(o90, sizeof(o90), "%s/out90.pcap", c.rundir);
	write_pcap(in, 2000, 1000);
	OK("add-flow actions=FLOOD");
	/* The reader last, so that every output exists when its file is read. */
	OK("add-port n15 net_null_mp15,no-rx=1");
	OK("add-port n40 net_null_mp40,no-rx=1 mtu=4000");
	OK("add-port n90 net_null_mp90,no-rx=1 mtu=9000");
	OK("add-port o90 net_pcap_mpo,tx_pcap=%s mtu=9000", o90);
	OK("add-port pin net_pcap_mp0,rx_pcap=%s mtu=9000", in);

	/* OVS's sizes: frame + 2 VLAN tags rounded up to 1 KiB, plus headroom. */
	l = pool_of("n40");
	cr_assert_not_null(l, "a pool for mtu 4000: %s", out);
	cr_assert_eq(column(l, COL_BUF_SIZE), 4096 + 128, "%s", l);
	cr_assert_eq(column(l, COL_HEADROOM), 128, "%s", l);
	cr_assert(strstr(l, " shared ") != NULL, "%s", l);
	sscanf(l, "%31s", name4k);
	l = pool_of("n90,o90,pin");
	cr_assert_not_null(l, "one pool for the three mtu 9000 ports: %s", out);
	cr_assert_eq(column(l, COL_BUF_SIZE), 9216 + 128, "%s", l);
	sscanf(l, "%31s", name9k);
	l = pool_of("n15");
	cr_assert_not_null(l, "mtu 1500 stays in the base pool: %s", out);
	cr_assert(strncmp(l, "sl_mbuf_pool ", 13) == 0, "%s", l);
	cr_assert_eq(column(l, COL_BUF_SIZE), 2048 + 128, "%s", l);

	OK("show");
	cr_assert(strstr(out, "mempool: sl_mp_9344_") != NULL, "%s", out);
	for (int i = 0; i < 100 && pcap_count(o90) < 2000; i++)
		usleep(50000);
	OK("dump-ports n40");
	cr_assert_eq(ctl_number_after(out, "tx pkts="), 2000, "%s", out);

	OK("del-port n90");
	OK("del-port pin");
	OK("del-port o90");
	wait_pool_gone(name9k);
	OK("mempool-show");
	cr_assert(strstr(out, name4k) != NULL, "n40 still uses its pool: %s", out);
	OK("del-port n40");
	OK("del-port n15");
	wait_pool_gone(name4k);
	cr_assert_eq(base_in_use(), base, "%s", out);
	cr_assert_eq(pcap_count(o90), 2000);
}

Test(mempools, an_infinite_rx_pcap_of_100000_packets_gets_a_pool_of_its_own)
{
	char in[256];
	const char *l;

	ctl_start(&c, "mpinf", 1);
	snprintf(in, sizeof(in), "%s/inf.pcap", c.rundir);
	write_pcap(in, 100000, 64);
	OK("add-port src net_pcap_inf0,rx_pcap=%s,infinite_rx=1", in);
	OK("add-port sink net_null_inf0,no-rx=1");
	OK("add-flow in_port=src,actions=output:sink");
	l = pool_of("src");
	cr_assert_not_null(l, "%s", out);
	cr_assert(strstr(l, " own ") != NULL, "%s", l);
	cr_assert_geq(column(l, COL_SIZE), 100000, "%s", l);
	cr_assert_geq(column(l, COL_IN_USE), 100000, "the file sits in its mbufs: %s", l);
	/* Its buffers fit the file's longest packet, not a 1500 MTU. */
	cr_assert_eq(column(l, COL_BUF_SIZE), 1024 + 128, "%s", l);
	for (int i = 0; i < 100; i++) {
		OK("dump-ports sink");
		if (ctl_number_after(out, "tx pkts=") > 200000)
			break;
		usleep(50000);
	}
	cr_assert_gt(ctl_number_after(out, "tx pkts="), 200000, "replayed: %s", out);
	OK("del-port src");
	cr_assert(strstr(out, "has been detached") != NULL, "%s", out);
	wait_pool_gone("sl_mp_1152_");
}

/*
 * More packets than the machine's hugepages can hold as mbufs of 1152
 * bytes (each costs more than 1 KiB with its headers), and at least 2M.
 */
static unsigned long
packets_beyond_hugepages(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	unsigned long total = 0, kib = 2048, v;
	char line[128];

	cr_assert(f != NULL, "/proc/meminfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "HugePages_Total: %lu", &v) == 1)
			total = v;
		else if (sscanf(line, "Hugepagesize: %lu kB", &v) == 1)
			kib = v;
	}
	fclose(f);
	v = total * kib + 1; /* one mbuf a KiB: more than fits */
	return v > 2000000 ? v : 2000000;
}

Test(mempools, an_infinite_rx_pcap_too_big_for_memory_is_refused_naming_its_mbufs)
{
	char in[256], want[128], *db;
	unsigned long n = packets_beyond_hugepages();

	ctl_start(&c, "mpbig", 1);
	snprintf(in, sizeof(in), "%s/big.pcap", c.rundir);
	write_pcap(in, (unsigned int)n, 60);
	db = ctl_db(&c);
	cr_assert_eq(ctl_run(&c, out, sizeof(out), "add-port big net_pcap_big0,rx_pcap=%s,infinite_rx=1",
			     in), 1, "%s", out);
	snprintf(want, sizeof(want), "net_pcap_big0 holds %lu packets in mbufs", n);
	cr_assert(strstr(out, want) != NULL, "%s", out);
	cr_assert(strchr(out, '\n') == NULL || strchr(out, '\n')[1] == '\0', "one line: %s", out);
	cr_assert_str_eq(ctl_db(&c), db);
	OK("show");
	cr_assert(strstr(out, "Port big") == NULL, "%s", out);
	unlink(in);
	free(db);
}
