/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Capture: real sluice-dump processes against a real instance with net_pcap
 * ports.  The traffic is a known mix read from a pcap file; each test checks
 * exactly which packets a capture holds (frame by frame, bytes and original
 * lengths), what libpcap, tcpdump and tshark make of the file, the stats
 * line, and that forwarding is unchanged by a capture.
 *
 * sluice-dump is started before the ports are added (net_pcap starts
 * reading its file the moment the port is added, and a secondary that
 * attaches later would re-open the port's tx file), with --wait so that it
 * accepts the names of ports still to come.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <pcap/pcap.h>

#include "instance.h"

static struct inst in;

static void
teardown(void)
{
	inst_stop(&in);
}

TestSuite(capture, .fini = teardown, .timeout = 90);

#define MAC_A "00:00:00:00:00:0a"
#define MAC_B "00:00:00:00:00:0b"

/* ---- traffic ---------------------------------------------------------- */

/* An ARP request, padded to the Ethernet minimum. */
static void
frame_arp(struct frame *f, int i)
{
	static const uint8_t hdr[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0x0a,
				       0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1 };

	memset(f, 0, sizeof(*f));
	memcpy(f->data, hdr, sizeof(hdr));
	f->data[41] = i & 0xff; /* target IP's last byte */
	f->len = 60;
}

/*
 * The mix: every third frame UDP to port 53, every seventh an ARP request,
 * the rest UDP to port 80; lengths from 60 to about 1400 bytes.
 */
static size_t
make_mix(struct frame *f, size_t n, size_t *n_dns)
{
	char dst[32];

	*n_dns = 0;
	for (size_t i = 0; i < n; i++) {
		snprintf(dst, sizeof(dst), "10.9.%zu.%zu", i / 250, i % 250);
		if (i % 7 == 3) {
			frame_arp(&f[i], i);
		} else if (i % 3 == 0) {
			frame_udp(&f[i], MAC_A, MAC_B, -1, "10.0.0.1", dst, 4000 + i, 53,
				  60 + (i * 37) % 400);
			(*n_dns)++;
		} else {
			frame_udp(&f[i], MAC_A, MAC_B, -1, "10.0.0.1", dst, 5000 + i, 80,
				  60 + (i * 131) % 1340);
		}
	}
	return n;
}

static bool
is_dns(const struct frame *f)
{
	return f->len >= 38 && f->data[12] == 0x08 && f->data[13] == 0x00 && f->data[23] == 17 &&
	       ((f->data[36] << 8) | f->data[37]) == 53;
}

/* ---- ports and flows ---------------------------------------------------- */

static void
flows(const char *const *f, size_t n)
{
	char err[512];

	cr_assert_eq(inst_flows(&in, "add", f, n, err, sizeof(err)), 0, "add-flows: %s", err);
}

/* ---- sluice-dump processes ---------------------------------------------- */

struct dumpproc {
	pid_t pid;
	char errfile[256];
};

struct dumpstats {
	unsigned long captured, filtered, dropped;
};

static const char *
dump_bin(void)
{
	static char bin[512];
	const char *b = getenv("SLUICE_BUILD");

	snprintf(bin, sizeof(bin), "%s/tools/sluice-dump", b != NULL ? b : "build");
	return bin;
}

static bool
file_has(const char *path, const char *needle)
{
	char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

static void
show_file(const char *path)
{
	char line[512];
	FILE *f = fopen(path, "r");

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		fprintf(stderr, "  | %s", line);
	if (f != NULL)
		fclose(f);
}

/* Wait until sluice-dump says it is capturing (its session is active). */
static void
dump_wait_ready(struct dumpproc *d)
{
	for (int i = 0; i < 500; i++) {
		if (file_has(d->errfile, "capturing on"))
			return;
		if (waitpid(d->pid, NULL, WNOHANG) == d->pid) {
			show_file(d->errfile);
			d->pid = 0;
			cr_assert_fail("sluice-dump exited before capturing (see above)");
		}
		usleep(20000);
	}
	show_file(d->errfile);
	cr_assert_fail("sluice-dump did not start capturing");
}

/*
 * Start sluice-dump with @args (NULL-terminated) against the instance;
 * stdout goes to @stdout_fd (or /dev/null when negative).
 */
static void
dump_start_fd(struct dumpproc *d, const char *tag, const char *const *args, int stdout_fd)
{
	char prefix[96], rundir[160];
	const char *argv[32] = { dump_bin(), prefix, rundir };
	int n = 3;

	snprintf(prefix, sizeof(prefix), "--file-prefix=%s", in.prefix);
	snprintf(rundir, sizeof(rundir), "--rundir=%s", in.rundir);
	for (int i = 0; args[i] != NULL && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	snprintf(d->errfile, sizeof(d->errfile), "%s", inst_path(&in, tag));
	d->pid = fork();
	cr_assert(d->pid >= 0, "fork: %s", strerror(errno));
	if (d->pid == 0) {
		int err = open(d->errfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int out = stdout_fd >= 0 ? stdout_fd : open("/dev/null", O_WRONLY);

		dup2(out, 1);
		dup2(err, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	dump_wait_ready(d);
}

static void
dump_start(struct dumpproc *d, const char *tag, const char *const *args)
{
	dump_start_fd(d, tag, args, -1);
}

/* Wait for sluice-dump to exit (after SIGINT if @sig); parse its stats line. */
static void
dump_finish(struct dumpproc *d, bool sig, struct dumpstats *st)
{
	char line[512];
	int status = 0, i;
	bool found = false;
	FILE *f;

	if (sig)
		kill(d->pid, SIGINT);
	for (i = 0; i < 1000; i++) {
		if (waitpid(d->pid, &status, WNOHANG) == d->pid)
			break;
		usleep(10000);
	}
	if (i == 1000) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, NULL, 0);
		show_file(d->errfile);
		cr_assert_fail("sluice-dump did not stop");
	}
	d->pid = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		show_file(d->errfile);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "sluice-dump failed (status %#x)",
		  status);
	f = fopen(d->errfile, "r");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%lu packets captured, %lu filtered out, %lu dropped",
			   &st->captured, &st->filtered, &st->dropped) == 3)
			found = true;
	if (f != NULL)
		fclose(f);
	cr_assert(found, "no stats line from sluice-dump");
}

/* ---- reading captures back ------------------------------------------------ */

struct rec {
	uint32_t caplen, len;
	uint64_t ts_ns;
	uint8_t data[1600];
};

/* Read a capture with libpcap (pcap or pcapng); records malloc'd in *out. */
static size_t
read_capture(const char *path, struct rec **out)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	size_t n = 0, cap = 256;
	pcap_t *p;

	*out = malloc(sizeof(**out) * cap);
	p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	cr_assert(p != NULL, "libpcap cannot read %s: %s", path, errbuf);
	cr_assert_eq(pcap_datalink(p), DLT_EN10MB);
	while (pcap_next_ex(p, &h, &data) == 1) {
		struct rec *r;

		if (n == cap) {
			cap *= 2;
			*out = realloc(*out, sizeof(**out) * cap);
		}
		r = &(*out)[n++];
		r->caplen = h->caplen;
		r->len = h->len;
		r->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000 + h->ts.tv_usec;
		memcpy(r->data, data, h->caplen < sizeof(r->data) ? h->caplen : sizeof(r->data));
	}
	pcap_close(p);
	return n;
}

static uint64_t
wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * The capture holds exactly @want (in order, one worker), each snapped to
 * @snaplen with its original length, stamped between @t0 and @t1.
 */
static void
expect_capture(const char *file, const struct frame *want, size_t n, uint32_t snaplen,
	       uint64_t t0, uint64_t t1)
{
	struct rec *got;
	size_t m = read_capture(inst_path(&in, file), &got);
	uint64_t bytes = 0, want_bytes = 0;

	cr_assert_eq(m, n, "%s: %zu packets, expected %zu", file, m, n);
	for (size_t i = 0; i < n; i++) {
		uint32_t cl = want[i].len < snaplen ? want[i].len : snaplen;

		cr_assert_eq(got[i].len, want[i].len, "%s: packet %zu: original length %u, want %u",
			     file, i, got[i].len, want[i].len);
		cr_assert_eq(got[i].caplen, cl, "%s: packet %zu: caplen %u, want %u", file, i,
			     got[i].caplen, cl);
		cr_assert(memcmp(got[i].data, want[i].data, cl) == 0, "%s: packet %zu differs",
			  file, i);
		cr_assert(got[i].ts_ns >= t0 && got[i].ts_ns <= t1,
			  "%s: packet %zu stamped %lu, outside [%lu, %lu]", file, i,
			  (unsigned long)got[i].ts_ns, (unsigned long)t0, (unsigned long)t1);
		bytes += got[i].caplen;
		want_bytes += cl;
	}
	cr_assert_eq(bytes, want_bytes);
	free(got);
}

/* Keep the frames of @f that @keep accepts. */
static size_t
select_frames(const struct frame *f, size_t n, bool (*keep)(const struct frame *),
	      struct frame *out)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (keep(&f[i]))
			out[k++] = f[i];
	return k;
}

/* ---- scenarios ------------------------------------------------------------ */

enum { N = 400 };
static const char *const fwd_1_to_2[] = { "priority=10,in_port=1,actions=output:2" };

/* Input p1 (in.pcap) forwarded to p2 (out2.pcap); waits for all N packets. */
static void
run_traffic(void)
{
	inst_add_pcap_port(&in, "p2", 2, "empty2.pcap", "out2.pcap", 2);
	inst_add_pcap_port(&in, "p1", 1, "in.pcap", "out1.pcap", 1);
	cr_assert_eq(inst_wait_rx(&in, N, 10000), N);
}

static struct frame *
setup_mix(const char *name, size_t *n_dns)
{
	struct frame *f = calloc(N, sizeof(*f));

	inst_start(&in, name, 1);
	make_mix(f, N, n_dns);
	pcap_write_frames(inst_path(&in, "in.pcap"), f, N);
	flows(fwd_1_to_2, 1);
	return f;
}

Test(capture, rx_capture_without_filter_holds_every_input_packet)
{
	struct dumpproc d;
	struct dumpstats st;
	size_t n_dns;
	struct frame *f = setup_mix("cap1", &n_dns);
	uint64_t t0 = wall_ns();

	dump_start(&d, "dump.err",
		   (const char *[]){ "-i", "p1", "--dir", "rx", "--wait", "-w",
				     inst_path(&in, "cap.pcap"), NULL });
	run_traffic();
	dump_finish(&d, true, &st);
	cr_assert_eq(st.captured, N);
	cr_assert_eq(st.filtered, 0);
	cr_assert_eq(st.dropped, 0);
	expect_capture("cap.pcap", f, N, UINT32_MAX, t0, wall_ns());
	free(f);
	inst_stop(&in);
}

static bool
keep_dns(const struct frame *f)
{
	return is_dns(f);
}

Test(capture, filter_captures_exactly_matching_packets_and_counts_the_rest)
{
	struct frame *want = calloc(N, sizeof(*want));
	struct dumpproc d;
	struct dumpstats st;
	size_t n_dns, k;
	struct frame *f = setup_mix("cap2", &n_dns);
	uint64_t t0 = wall_ns();

	dump_start(&d, "dump.err",
		   (const char *[]){ "-i", "p1", "--dir", "rx", "--wait", "-w",
				     inst_path(&in, "dns.pcap"), "udp", "port", "53", NULL });
	run_traffic();
	dump_finish(&d, true, &st);
	k = select_frames(f, N, keep_dns, want);
	cr_assert_eq(k, n_dns);
	cr_assert_eq(st.captured, n_dns);
	cr_assert_eq(st.filtered, N - n_dns);
	cr_assert_eq(st.dropped, 0);
	expect_capture("dns.pcap", want, k, UINT32_MAX, t0, wall_ns());
	free(f), free(want);
	inst_stop(&in);
}

Test(capture, tx_capture_equals_the_port_output_file)
{
	struct frame *out;
	struct dumpproc d;
	struct dumpstats st;
	size_t n_dns, n_out;
	struct frame *f = setup_mix("cap3", &n_dns);
	uint64_t t0 = wall_ns();

	dump_start(&d, "dump.err",
		   (const char *[]){ "-i", "p2", "--dir", "tx", "--wait", "-w",
				     inst_path(&in, "tx.pcap"), NULL });
	run_traffic();
	dump_finish(&d, true, &st);
	inst_del_ports(&in, (const char *const[]){ "p1", "p2" }, 2);
	n_out = pcap_read_frames(inst_path(&in, "out2.pcap"), &out);
	cr_assert_eq(n_out, N);
	cr_assert_eq(st.captured, N);
	expect_capture("tx.pcap", out, n_out, UINT32_MAX, t0, wall_ns());
	free(f), free(out);
	inst_stop(&in);
}

/* Lines tcpdump prints for @cmd's output. */
static size_t
count_lines(FILE *p)
{
	char line[1024];
	size_t n = 0;

	while (fgets(line, sizeof(line), p) != NULL)
		n++;
	return n;
}

Test(capture, stdout_pipes_into_tcpdump_and_count_stops_the_capture)
{
	char cmd[1024], errfile[256];
	size_t n_dns, lines = 0;
	struct frame *f = setup_mix("cap4", &n_dns);
	struct dumpproc d = { 0 };
	FILE *p;
	int status;

	/* -c: sluice-dump stops by itself, closing the pipe for tcpdump. */
	snprintf(errfile, sizeof(errfile), "%s", inst_path(&in, "dump.err"));
	snprintf(cmd, sizeof(cmd),
		 "%s --file-prefix=%s -i p1 --dir rx --wait -c %zu -w - udp port 53 2>%s "
		 "| tcpdump -n -r - 2>/dev/null",
		 dump_bin(), in.prefix, n_dns, errfile);
	p = popen(cmd, "r");
	cr_assert(p != NULL);
	snprintf(d.errfile, sizeof(d.errfile), "%s", errfile);
	for (int i = 0; i < 500 && !file_has(errfile, "capturing on"); i++)
		usleep(20000);
	cr_assert(file_has(errfile, "capturing on"), "sluice-dump did not start");
	run_traffic();
	lines = count_lines(p);
	status = pclose(p);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "pipeline failed: %#x", status);
	cr_assert_eq(lines, n_dns, "tcpdump printed %zu packets, expected %zu", lines, n_dns);
	cr_assert(file_has(errfile, "packets captured"));
	free(f);
	inst_stop(&in);
}

Test(capture, pcapng_names_each_interface_after_its_port)
{
	char cmd[1024], line[256];
	struct dumpproc d;
	struct dumpstats st;
	size_t n_dns, n_p1 = 0, n_p2 = 0, other = 0;
	struct frame *f = setup_mix("cap5", &n_dns);
	struct rec *got;
	FILE *p;

	dump_start(&d, "dump.err",
		   (const char *[]){ "-i", "p1", "-i", "p2", "--pcapng", "--wait", "-w",
				     inst_path(&in, "both.pcapng"), NULL });
	run_traffic();
	dump_finish(&d, true, &st);
	cr_assert_eq(st.captured, 2 * N);
	/* libpcap reads it back: p1 rx and p2 tx, every packet twice. */
	cr_assert_eq(read_capture(inst_path(&in, "both.pcapng"), &got), 2 * N);
	free(got);

	snprintf(cmd, sizeof(cmd), "tshark -r %s -T fields -e frame.interface_name 2>/dev/null",
		 inst_path(&in, "both.pcapng"));
	p = popen(cmd, "r");
	cr_assert(p != NULL);
	while (fgets(line, sizeof(line), p) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, "p1") == 0)
			n_p1++;
		else if (strcmp(line, "p2") == 0)
			n_p2++;
		else
			other++;
	}
	cr_assert_eq(pclose(p), 0, "tshark failed");
	cr_assert_eq(n_p1, N, "tshark: %zu packets on p1", n_p1);
	cr_assert_eq(n_p2, N, "tshark: %zu packets on p2", n_p2);
	cr_assert_eq(other, 0);
	free(f);
	inst_stop(&in);
}

/* Forward the mix from @in_name (ofport 1) to @out_name (ofport 2, writing @outfile). */
static void
forward_once(const char *in_name, const char *out_name, const char *outfile)
{
	inst_add_pcap_port(&in, out_name, 2, "empty2.pcap", outfile, 2);
	inst_add_pcap_port(&in, in_name, 1, "in.pcap", "out1.pcap", 1);
}

static bool
keep_udp(const struct frame *f)
{
	return f->data[12] == 0x08 && f->data[13] == 0x00;
}

Test(capture, forwarding_output_is_identical_with_and_without_capture)
{
	static const char *const table[] = {
		"priority=20,udp,tp_dst=53,actions=mod_vlan_vid:7,output:2",
		"priority=10,in_port=1,actions=output:2",
	};
	struct frame *a, *b;
	struct dumpproc d;
	struct dumpstats st;
	size_t n_dns, na, nb, n_udp;
	struct frame *f = calloc(N, sizeof(*f));
	uint64_t rx;

	inst_start(&in, "cap6", 1);
	make_mix(f, N, &n_dns);
	pcap_write_frames(inst_path(&in, "in.pcap"), f, N);
	flows(table, 2);

	/* Without a capture. */
	forward_once("p1", "p2", "outA.pcap");
	rx = inst_wait_rx(&in, N, 10000);
	cr_assert_eq(rx, N);
	inst_del_ports(&in, (const char *const[]){ "p1", "p2" }, 2);

	/* With captures on both ports, both directions, and a filter. */
	dump_start(&d, "dump.err",
		   (const char *[]){ "-i", "q1", "-i", "q2", "--wait", "-s", "96", "-w",
				     inst_path(&in, "c.pcap"), "udp", NULL });
	forward_once("q1", "q2", "outB.pcap");
	cr_assert_eq(inst_wait_rx(&in, 2 * N, 10000), 2 * N);
	dump_finish(&d, true, &st);
	inst_del_ports(&in, (const char *const[]){ "q1", "q2" }, 2);

	na = pcap_read_frames(inst_path(&in, "outA.pcap"), &a);
	nb = pcap_read_frames(inst_path(&in, "outB.pcap"), &b);
	cr_assert_eq(na, N);
	cr_assert_eq(nb, na);
	for (size_t i = 0; i < na; i++)
		cr_assert(a[i].len == b[i].len && memcmp(a[i].data, b[i].data, a[i].len) == 0,
			  "output frame %zu differs with a capture running", i);
	/* "udp" matches every UDP frame received on q1 and those sent untagged
	 * on q2; the DNS frames leave tagged (mod_vlan_vid), which plain "udp"
	 * does not match. */
	n_udp = select_frames(f, N, keep_udp, a);
	cr_assert_eq(st.captured, 2 * n_udp - n_dns);
	cr_assert_eq(st.filtered, 2 * N - (2 * n_udp - n_dns));
	cr_assert_eq(st.dropped, 0);
	free(a), free(b), free(f);
	inst_stop(&in);
}

static bool
keep_p1_small(const struct frame *f)
{
	return f->len < 200;
}

Test(capture, four_captures_at_once_each_get_their_own_packets)
{
	struct frame *dns = calloc(N, sizeof(*dns)), *small = calloc(N, sizeof(*small));
	struct dumpproc d[4];
	struct dumpstats st[4];
	size_t n_dns, n_small, n_out;
	struct frame *f = setup_mix("cap7", &n_dns), *out;
	uint64_t t0 = wall_ns(), t1;

	dump_start(&d[0], "d0.err",
		   (const char *[]){ "-i", "p1", "--dir", "rx", "--wait", "-w",
				     inst_path(&in, "c0.pcap"), NULL });
	dump_start(&d[1], "d1.err",
		   (const char *[]){ "-i", "p1", "--dir", "rx", "--wait", "-s", "64", "-w",
				     inst_path(&in, "c1.pcap"), "udp", "port", "53", NULL });
	dump_start(&d[2], "d2.err",
		   (const char *[]){ "-i", "p2", "--dir", "tx", "--wait", "-w",
				     inst_path(&in, "c2.pcap"), NULL });
	dump_start(&d[3], "d3.err",
		   (const char *[]){ "-i", "p1", "--dir", "both", "--wait", "--pcapng", "-w",
				     inst_path(&in, "c3.pcapng"), "less", "199", NULL });
	run_traffic();
	for (int i = 0; i < 4; i++)
		dump_finish(&d[i], true, &st[i]);
	t1 = wall_ns();
	inst_del_ports(&in, (const char *const[]){ "p1", "p2" }, 2);

	select_frames(f, N, keep_dns, dns);
	n_small = select_frames(f, N, keep_p1_small, small);
	n_out = pcap_read_frames(inst_path(&in, "out2.pcap"), &out);
	expect_capture("c0.pcap", f, N, UINT32_MAX, t0, t1);
	expect_capture("c1.pcap", dns, n_dns, 64, t0, t1);
	expect_capture("c2.pcap", out, n_out, UINT32_MAX, t0, t1);
	expect_capture("c3.pcapng", small, n_small, UINT32_MAX, t0, t1);
	cr_assert_eq(st[1].filtered, N - n_dns);
	cr_assert_eq(st[3].filtered, N - n_small);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(st[i].dropped, 0, "capture %d dropped %lu", i, st[i].dropped);
	free(f), free(dns), free(small), free(out);
	inst_stop(&in);
}

/*
 * A sluice-dump killed with -9 while its rings hold packets: the primary
 * tears the session down (the workers stop copying, the copies go back to
 * the pool), and a new capture of the same traffic is exact.
 */
Test(capture, killed_capture_is_torn_down_and_the_next_one_works)
{
	struct dumpproc d;
	struct dumpstats st;
	size_t n_dns;
	struct frame *f = setup_mix("cap8", &n_dns);
	int i, pipefd[2];

	/* Writing into a pipe nobody reads, it soon stops draining its rings
	 * (a stopped process would not do: it would hold up hotplug too). */
	cr_assert_eq(pipe(pipefd), 0);
	dump_start_fd(&d, "dead.err",
		      (const char *[]){ "-i", "p1", "-i", "p2", "--wait", "-w", "-", NULL },
		      pipefd[1]);
	close(pipefd[1]);
	run_traffic();
	kill(d.pid, SIGKILL);
	waitpid(d.pid, NULL, 0);
	close(pipefd[0]);
	for (i = 0; i < 300 && !file_has(inst_path(&in, "primary.log"), "torn down"); i++)
		usleep(10000);
	cr_assert(i < 300, "the primary did not tear down the killed capture");
	for (i = 0; i < 300 && !file_has(inst_path(&in, "worker0.log"), "stopped"); i++)
		usleep(10000);
	cr_assert(i < 300, "the worker did not stop copying for the killed capture");
	inst_del_ports(&in, (const char *const[]){ "p1", "p2" }, 2);

	dump_start(&d, "dump.err",
		   (const char *[]){ "-i", "q1", "--dir", "rx", "--wait", "-w",
				     inst_path(&in, "cap.pcap"), NULL });
	inst_add_pcap_port(&in, "q2", 2, "empty2.pcap", "outq2.pcap", 2);
	inst_add_pcap_port(&in, "q1", 1, "in.pcap", "outq1.pcap", 1);
	cr_assert_eq(inst_wait_rx(&in, 2 * N, 10000), 2 * N);
	dump_finish(&d, true, &st);
	cr_assert_eq(st.captured, N);
	cr_assert_eq(st.dropped, 0);
	expect_capture("cap.pcap", f, N, UINT32_MAX, 0, wall_ns());
	free(f);
	inst_stop(&in);
}

/*
 * A reader that stalls: the ring fills, the worker drops and counts
 * copies, and forwarding goes on untouched.  Every packet is either in the
 * stream or counted as dropped, and the stream stays a valid pcap.
 */
Test(capture, full_ring_drops_and_counts_and_never_holds_up_forwarding)
{
	enum { BIG = 6000 };
	struct frame *f = calloc(BIG, sizeof(*f)), *out;
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	struct dumpproc d;
	struct dumpstats st;
	size_t n_read = 0;
	int pipefd[2];
	pcap_t *p;

	inst_start(&in, "cap10", 1);
	for (size_t i = 0; i < BIG; i++)
		frame_udp(&f[i], MAC_A, MAC_B, -1, "10.0.0.1", "10.0.0.2", i, 80, 300);
	pcap_write_frames(inst_path(&in, "in.pcap"), f, BIG);
	flows(fwd_1_to_2, 1);
	cr_assert_eq(pipe(pipefd), 0);
	dump_start_fd(&d, "dump.err",
		      (const char *[]){ "-i", "p1", "--dir", "rx", "--wait", "-w", "-", NULL },
		      pipefd[1]);
	close(pipefd[1]);
	inst_add_pcap_port(&in, "p2", 2, "empty2.pcap", "out2.pcap", 2);
	inst_add_pcap_port(&in, "p1", 1, "in.pcap", "out1.pcap", 1);
	cr_assert_eq(inst_wait_rx(&in, BIG, 10000), BIG);

	kill(d.pid, SIGINT);
	p = pcap_fopen_offline(fdopen(pipefd[0], "r"), errbuf);
	cr_assert(p != NULL, "the stream is not pcap: %s", errbuf);
	while (pcap_next_ex(p, &h, &data) == 1)
		n_read++;
	pcap_close(p);
	dump_finish(&d, false, &st);
	cr_assert_gt(st.dropped, 0, "the ring never filled: the test proves nothing");
	cr_assert_eq(st.captured, n_read);
	cr_assert_eq(st.captured + st.dropped, BIG, "%lu captured + %lu dropped", st.captured,
		     st.dropped);

	inst_del_ports(&in, (const char *const[]){ "p1", "p2" }, 2);
	cr_assert_eq(pcap_read_frames(inst_path(&in, "out2.pcap"), &out), BIG);
	free(out), free(f);
	inst_stop(&in);
}

Test(capture, unknown_port_and_bad_filter_exit_2_with_a_message)
{
	char cmd[1024];
	int status;

	inst_start(&in, "cap9", 1);
	snprintf(cmd, sizeof(cmd), "%s --file-prefix=%s -i nosuch -w %s 2>%s", dump_bin(),
		 in.prefix, inst_path(&in, "x.pcap"), inst_path(&in, "e1"));
	status = system(cmd);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 2, "status %#x", status);
	cr_assert(file_has(inst_path(&in, "e1"), "unknown port \"nosuch\""));
	snprintf(cmd, sizeof(cmd), "%s --file-prefix=%s -i nosuch --wait -w %s udp port 2>%s",
		 dump_bin(), in.prefix, inst_path(&in, "x.pcap"), inst_path(&in, "e2"));
	status = system(cmd);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 2, "status %#x", status);
	cr_assert(file_has(inst_path(&in, "e2"), "bad filter"));
	inst_stop(&in);
}
