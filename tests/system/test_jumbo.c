/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Jumbo frames as the seed's "Jumbo Frames" section sets them: mtu= at
 * add-port and live, up to 9702; whole 9018-byte frames through pcap and
 * tap ports; frames a PMD hands over in segments parsed, changed and sent
 * whole; an MTU change restarting only its port while two others carry
 * traffic; a refusal keeping the old MTU and the forwarding.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <pcap/pcap.h>

#include "control.h"

static struct ctl c;
static char out[1 << 16];

static void
teardown(void)
{
	ctl_sh("ip link del sljb_va 2>/dev/null; ip link del sljb_vb 2>/dev/null; "
	   "for ns in sljb_a sljb_b; do ip netns pids $ns 2>/dev/null | xargs -r kill -9; "
	   "ip netns del $ns 2>/dev/null; done");
	ctl_stop(&c);
}

TestSuite(jumbo, .fini = teardown, .timeout = 180);

#define MAX_FRAME 9728

struct jframe {
	uint32_t len;
	uint8_t data[MAX_FRAME];
};

/* Ethernet (802.1Q tag @vid if >= 0) / IPv4 / UDP, @len bytes, its payload numbered @seq. */
static void
jframe(struct jframe *f, uint32_t len, uint32_t seq, int vid)
{
	uint8_t *p = f->data, *ip;
	uint16_t l3;

	memset(f, 0, sizeof(*f));
	f->len = len;
	memcpy(p, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	p += 12;
	if (vid >= 0) {
		*p++ = 0x81, *p++ = 0x00, *p++ = (vid >> 8) & 0x0f, *p++ = vid & 0xff;
	}
	*p++ = 0x08, *p++ = 0x00;
	ip = p;
	l3 = len - (ip - f->data);
	ip[0] = 0x45, ip[2] = l3 >> 8, ip[3] = l3 & 0xff, ip[8] = 64, ip[9] = 17;
	memcpy(ip + 12, "\xc0\x00\x02\x01\xc0\x00\x02\x02", 8);
	ip[20] = 0x30, ip[21] = 0x39, ip[22] = 0x30, ip[23] = 0x3a;
	ip[24] = (l3 - 20) >> 8, ip[25] = (l3 - 20) & 0xff;
	memcpy(ip + 28, &seq, sizeof(seq));
	for (uint32_t i = ip + 32 - f->data, k = 0; i < len; i++, k++)
		f->data[i] = (uint8_t)(seq * 7 + k);
}

static void
write_frames(const char *path, const struct jframe *f, size_t n)
{
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = pcap_dump_open(p, path);

	cr_assert(d != NULL, "%s", pcap_geterr(p));
	for (size_t i = 0; i < n; i++) {
		struct pcap_pkthdr h = { .caplen = f[i].len, .len = f[i].len };

		h.ts.tv_sec = 1 + i / 1000000;
		h.ts.tv_usec = i % 1000000;
		pcap_dump((u_char *)d, &h, f[i].data);
	}
	pcap_dump_close(d);
	pcap_close(p);
}

/* Every frame of @path (malloc'd into *out); the count. */
static size_t
read_frames(const char *path, struct jframe **got)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	size_t n = 0, cap = 16;
	pcap_t *p = pcap_open_offline(path, errbuf);

	*got = malloc(cap * sizeof(**got));
	if (p == NULL)
		return 0;
	while (pcap_next_ex(p, &h, &data) == 1) {
		if (n == cap)
			*got = realloc(*got, (cap *= 2) * sizeof(**got));
		(*got)[n].len = h->caplen < MAX_FRAME ? h->caplen : MAX_FRAME;
		memcpy((*got)[n].data, data, (*got)[n].len);
		n++;
	}
	pcap_close(p);
	return n;
}

/* Index of the first byte where @a and @b differ, or -1. */
static long
differs_at(const uint8_t *a, const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (a[i] != b[i])
			return (long)i;
	return -1;
}

static size_t
count_frames(const char *path)
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

static const char *
path(const char *file)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", c.rundir, file);
	return buf[i];
}

static void
wait_frames(const char *file, size_t n)
{
	for (int i = 0; i < 200 && count_frames(path(file)) < n; i++)
		usleep(50000);
}

Test(jumbo, pcap_ports_carry_9018_byte_frames_exactly)
{
	enum { N = 300 };
	struct jframe *f = calloc(N, sizeof(*f)), *got;
	size_t n;

	ctl_start(&c, "jpcap", 1);
	for (uint32_t i = 0; i < N; i++)
		jframe(&f[i], 9018, i, -1);
	write_frames(path("in.pcap"), f, N);
	OK("add-port pout net_pcap_jo,tx_pcap=%s mtu=9000", path("out.pcap"));
	OK("add-flow in_port=11,actions=output:pout");
	OK("add-port pin net_pcap_ji,rx_pcap=%s mtu=9000 ofport=11", path("in.pcap"));
	cr_assert_str_eq(SHOWN("pin", "mempool"), "sl_mp_9344_1 (9344-byte buffers)");
	wait_frames("out.pcap", N);
	n = read_frames(path("out.pcap"), &got);
	cr_assert_eq(n, N, "got %zu of %d frames", n, N);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(got[i].len, 9018, "frame %zu: %u bytes", i, got[i].len);
		cr_assert_eq(differs_at(got[i].data, f[i].data, 9018), -1, "frame %zu differs", i);
	}
	free(got);
	free(f);
}

/* sluice-dump with @args (NULL-terminated), once it says it is capturing. */
static pid_t
dump_start(const char *errfile, const char *const *args)
{
	char bin[512], rundir[160], line[256];
	const char *argv[24] = { bin, rundir };
	int n = 2;
	pid_t pid;

	snprintf(bin, sizeof(bin), "%s/tools/sluice-dump",
		 getenv("SLUICE_BUILD") ? getenv("SLUICE_BUILD") : "build");
	snprintf(rundir, sizeof(rundir), "--rundir=%s", c.rundir);
	for (int i = 0; args[i] != NULL && n < 23; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	pid = fork();
	cr_assert(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		int fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	for (int i = 0; i < 500; i++) {
		FILE *f = fopen(errfile, "r");
		bool ready = false;

		while (f != NULL && fgets(line, sizeof(line), f) != NULL)
			ready |= strstr(line, "capturing on") != NULL;
		if (f != NULL)
			fclose(f);
		if (ready)
			return pid;
		cr_assert_neq(waitpid(pid, NULL, WNOHANG), pid, "sluice-dump exited (see %s)", errfile);
		usleep(20000);
	}
	cr_assert_fail("sluice-dump did not start capturing");
	return -1;
}

static void
dump_stop(pid_t pid)
{
	int st = 0;

	kill(pid, SIGINT);
	for (int i = 0; i < 500 && waitpid(pid, &st, WNOHANG) != pid; i++)
		usleep(10000);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "sluice-dump: status %#x", st);
}

/*
 * Ports at MTU 1500 read 9018-byte frames into chains of 2 KiB mbufs
 * (net_pcap does): the worker parses them, strips or pushes a tag, rewrites
 * the source MAC and sends them whole to ports at MTU 9000; sluice-dump
 * captures them whole, through a filter, on the way in and out.
 */
Test(jumbo, frames_received_in_segments_are_parsed_changed_and_sent_whole)
{
	enum { N = 100 };
	struct jframe *tagged = calloc(N, sizeof(*tagged)), *plain = calloc(N, sizeof(*plain));
	struct jframe *want = calloc(1, sizeof(*want)), *got;
	pid_t d_rx, d_tx;
	size_t n;

	ctl_start(&c, "jseg", 1);
	for (uint32_t i = 0; i < N; i++) {
		jframe(&tagged[i], 9018, i, 7);
		jframe(&plain[i], 9014, i, -1);
	}
	write_frames(path("tagged.pcap"), tagged, N);
	write_frames(path("plain.pcap"), plain, N);
	OK("add-port o1 net_pcap_so1,tx_pcap=%s mtu=9000", path("o1.pcap"));
	OK("add-port o2 net_pcap_so2,tx_pcap=%s mtu=9000", path("o2.pcap"));
	/* Matched on fields of every layer, all in the first segment. */
	OK("add-flow in_port=11,dl_vlan=7,udp,nw_dst=192.0.2.2,tp_dst=12346,actions=strip_vlan,"
	   "mod_dl_src:02:00:00:00:00:99,output:o1");
	OK("add-flow in_port=12,udp,nw_dst=192.0.2.2,tp_dst=12346,actions=mod_vlan_vid:5,output:o2");
	d_rx = dump_start(path("d_rx.err"), (const char *[]){ "-i", "i2", "--dir", "rx", "--wait",
							   "-w", path("cap_rx.pcap"),
							   "udp dst port 12346", NULL });
	d_tx = dump_start(path("d_tx.err"), (const char *[]){ "-i", "o2", "--dir", "tx", "--wait",
							   "-w", path("cap_tx.pcap"), NULL });
	OK("add-port i1 net_pcap_si1,rx_pcap=%s ofport=11", path("tagged.pcap"));
	OK("add-port i2 net_pcap_si2,rx_pcap=%s ofport=12", path("plain.pcap"));
	cr_assert_str_eq(SHOWN("i1", "mempool"), "sl_mbuf_pool (2176-byte buffers)");
	wait_frames("o1.pcap", N);
	wait_frames("o2.pcap", N);
	usleep(200000);
	dump_stop(d_rx);
	dump_stop(d_tx);
	n = read_frames(path("cap_rx.pcap"), &got);
	cr_assert_eq(n, N, "captured on i2's rx: %zu of %d", n, N);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(got[i].len, 9014, "rx capture %zu: %u bytes", i, got[i].len);
		cr_assert_eq(differs_at(got[i].data, plain[i].data, 9014), -1, "rx capture %zu", i);
	}
	free(got);
	n = read_frames(path("cap_tx.pcap"), &got);
	cr_assert_eq(n, N, "captured on o2's tx: %zu of %d", n, N);
	for (size_t i = 0; i < n; i++) {
		jframe(want, 9018, i, 5);
		cr_assert_eq(differs_at(got[i].data, want->data, 9018), -1, "tx capture %zu", i);
	}
	free(got);

	n = read_frames(path("o1.pcap"), &got);
	cr_assert_eq(n, N, "o1: %zu of %d", n, N);
	for (size_t i = 0; i < n; i++) {
		jframe(want, 9014, i, -1);
		memcpy(want->data + 6, "\x02\x00\x00\x00\x00\x99", 6);
		cr_assert_eq(got[i].len, 9014, "o1 frame %zu: %u bytes", i, got[i].len);
		{ long at = differs_at(got[i].data, want->data, 9014); cr_assert_eq(at, -1, "o1 frame %zu differs at %ld: %02x vs %02x", i, at, got[i].data[at], want->data[at]); }
	}
	free(got);
	n = read_frames(path("o2.pcap"), &got);
	cr_assert_eq(n, N, "o2: %zu of %d", n, N);
	for (size_t i = 0; i < n; i++) {
		jframe(want, 9018, i, 5);
		cr_assert_eq(got[i].len, 9018, "o2 frame %zu: %u bytes", i, got[i].len);
		cr_assert_eq(differs_at(got[i].data, want->data, 9018), -1, "o2 frame %zu differs", i);
	}
	free(got);
	free(want);
	free(tagged);
	free(plain);
}

static void
host(const char *ns, const char *iface, const char *addr)
{
	cr_assert_eq(ctl_sh("ip netns del %s 2>/dev/null; ip netns add %s && ip link set %s netns %s && "
			"ip -n %s addr add %s/24 dev %s && ip -n %s link set %s up && "
			"ip -n %s link set lo up",
			ns, ns, iface, ns, ns, addr, iface, ns, iface, ns),
		     0, "could not set up namespace %s", ns);
}

/*
 * One tap port at MTU 9000 from its add-port, the other set live once its
 * interface is in its namespace (it keeps its pool and receives in
 * segments): unfragmented 9000-byte pings and TCP pass both ways.
 */
Test(jumbo, tap_ports_between_namespaces_at_mtu_9000_pass_unfragmented_pings_and_tcp)
{
	long long rx;

	ctl_start(&c, "jtap", 1);
	OK("add-port ta net_tap_jta,iface=sljb_ta mtu=9000");
	OK("add-port tb net_tap_jtb,iface=sljb_tb");
	OK("add-flow actions=NORMAL");
	host("sljb_a", "sljb_ta", "198.51.100.1");
	host("sljb_b", "sljb_tb", "198.51.100.2");
	OK("set-port tb mtu=9000");
	cr_assert_str_eq(SHOWN("tb", "mtu"), "9000");
	cr_assert_eq(ctl_sh("ip -n sljb_a link show sljb_ta | grep -q 'mtu 9000' && "
			"ip -n sljb_b link show sljb_tb | grep -q 'mtu 9000'"),
		     0, "the kernel interfaces take the MTU, in their namespaces");
	cr_assert_eq(ctl_sh("ip netns exec sljb_a ping -c 3 -i 0.2 -W 2 -M do -s 8972 198.51.100.2 "
			">/dev/null"), 0, "9000-byte ping a->b");
	cr_assert_eq(ctl_sh("ip netns exec sljb_b ping -c 3 -i 0.2 -W 2 -M do -s 8972 198.51.100.1 "
			">/dev/null"), 0, "9000-byte ping b->a");
	cr_assert_eq(ctl_sh("ip netns exec sljb_b iperf3 -s -1 -D -p 5297 && sleep 0.3 && "
			"ip netns exec sljb_a iperf3 -c 198.51.100.2 -p 5297 -n 20M >/dev/null"),
		     0, "TCP at MTU 9000");
	OK("dump-ports ta");
	rx = ctl_number_after(out, "rx pkts=");
	cr_assert_gt(ctl_number_after(out, "bytes=") / (rx > 0 ? rx : 1), 4000,
		     "jumbo segments, not 1500-byte ones: %s", out);
}

Test(jumbo, mtu_9702_is_accepted_9711_refused_and_a_refusal_keeps_mtu_and_forwarding)
{
	ctl_start(&c, "jmtu", 1);
	OK("add-port r1 net_ring_jm0");
	OK("set-port r1 mtu=9702");
	cr_assert(strstr(SHOWN("r1", "device"), "mtu 9702") != NULL, "%s", out);
	cr_assert_str_eq(SHOWN("r1", "mempool"), "sl_mp_10368_1 (10368-byte buffers)");
	REFUSED("mtu: \"9711\" is not a number in 68..9702", "set-port r1 mtu=9711");
	cr_assert(strstr(SHOWN("r1", "device"), "mtu 9702") != NULL, "%s", out);

	/* net_af_packet's frames are 2 KiB: the PMD refuses, nothing changes. */
	cr_assert_eq(ctl_sh("ip link add sljb_va type veth peer name sljb_ha && "
			"ip link add sljb_vb type veth peer name sljb_hb && "
			"ip link set sljb_va up && ip link set sljb_vb up"), 0);
	OK("add-port a net_af_packet_ja,iface=sljb_va");
	OK("add-port b net_af_packet_jb,iface=sljb_vb");
	OK("add-flow actions=NORMAL");
	host("sljb_a", "sljb_ha", "198.51.100.1");
	host("sljb_b", "sljb_hb", "198.51.100.2");
	cr_assert_eq(ctl_sh("ip netns exec sljb_a ping -c 2 -i 0.2 -W 2 198.51.100.2 >/dev/null"), 0);
	REFUSED("mtu 9000: net_af_packet takes frames of at most 1518 bytes (mtu 1500)",
		"set-port a mtu=9000");
	cr_assert_str_eq(SHOWN("a", "mtu"), "1500");
	cr_assert(strstr(SHOWN("a", "device"), "mtu 1500") != NULL, "%s", out);
	cr_assert_str_eq(SHOWN("a", "mempool"), "sl_mbuf_pool (2176-byte buffers)");
	cr_assert_eq(ctl_sh("ip netns exec sljb_a ping -c 2 -i 0.2 -W 2 198.51.100.2 >/dev/null"), 0,
		     "still forwarding after the refusal");
}

/* Numbered 60-byte frames: in order and complete, or the test fails. */
static void
expect_sequence(const char *file, uint32_t n)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p = pcap_open_offline(path(file), errbuf);
	uint32_t i = 0, seq;

	cr_assert_not_null(p, "%s", errbuf);
	while (pcap_next_ex(p, &h, &data) == 1) {
		memcpy(&seq, data + 42, sizeof(seq));
		cr_assert_eq(seq, i, "%s: frame %u is number %u", file, i, seq);
		i++;
	}
	pcap_close(p);
	cr_assert_eq(i, n, "%s: %u of %u frames", file, i, n);
}

Test(jumbo, an_mtu_change_restarts_only_its_port_and_two_others_lose_nothing)
{
	enum { N = 400000 };
	struct jframe *f = calloc(1, sizeof(*f));
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	int during = 0, changes = 0;
	long long got = 0;

	ctl_start(&c, "jlive", 1);
	for (int k = 0; k < 2; k++) {
		pcap_dumper_t *d = pcap_dump_open(p, path(k ? "in2.pcap" : "in1.pcap"));

		for (uint32_t i = 0; i < N; i++) {
			struct pcap_pkthdr h = { .caplen = 60, .len = 60 };

			jframe(f, 60, i, -1);
			pcap_dump((u_char *)d, &h, f->data);
		}
		pcap_dump_close(d);
	}
	pcap_close(p);
	OK("add-port o1 net_pcap_lo1,tx_pcap=%s", path("o1.pcap"));
	OK("add-port o2 net_pcap_lo2,tx_pcap=%s", path("o2.pcap"));
	OK("add-port ring net_ring_lr");
	/* The changing port carries a copy of one input (and loops it back). */
	OK("add-flow in_port=21,actions=output:o1,output:ring");
	OK("add-flow in_port=22,actions=output:o2");
	OK("add-port i1 net_pcap_li1,rx_pcap=%s ofport=21", path("in1.pcap"));
	OK("add-port i2 net_pcap_li2,rx_pcap=%s ofport=22", path("in2.pcap"));
	for (int i = 0; i < 40 && got < 2 * N; i++) {
		OK("set-port ring mtu=%d", i % 2 ? 1500 : 9000);
		changes++;
		OK("pmd-stats-show");
		got = ctl_number_after(out, "packets received: ");
		during += got > 0 && got < 2 * N;
	}
	cr_assert_gt(during, 0, "no MTU change while traffic flowed (%d changes)", changes);
	wait_frames("o1.pcap", N);
	wait_frames("o2.pcap", N);
	expect_sequence("o1.pcap", N);
	expect_sequence("o2.pcap", N);
	free(f);
}
