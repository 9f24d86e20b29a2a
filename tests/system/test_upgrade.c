/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Live upgrade: a new sluice-worker binary installed where sluiced finds
 * it, then `sluicectl worker-restart --all`: every worker is handed over to
 * a process of the new binary while a pcap file streams through, and every
 * packet comes out once and in order.  A binary that does not fit (it
 * exits at once, as one of another shared-memory layout does) is refused
 * with its own words, and the running workers carry on.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "control.h"
#include "instance.h"

CTL_SUITE(upgrade, 120);

static const char *
build(void)
{
	return getenv("SLUICE_BUILD") ? getenv("SLUICE_BUILD") : "build";
}

/* "Install" @what as the worker binary sluiced runs (atomically, as meson install does). */
static void
install_worker(const char *what)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "cp %s /tmp/sluice-upg-bin/.new && mv -f /tmp/sluice-upg-bin/.new "
		 "/tmp/sluice-upg-bin/sluice-worker", what);
	cr_assert_eq(system(cmd), 0);
}

static void
write_numbered(const char *path, uint32_t n)
{
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = pcap_dump_open(p, path);
	struct frame f;
	char src[32];

	cr_assert_not_null(d);
	for (uint32_t i = 0; i < n; i++) {
		struct pcap_pkthdr h = { .caplen = 64, .len = 64 };

		snprintf(src, sizeof(src), "10.%u.%u.%u", (i >> 16) & 255, (i >> 8) & 255, i & 255);
		frame_udp(&f, "00:00:00:00:00:01", "00:00:00:00:00:02", -1, src, "10.200.0.1",
			  (uint16_t)i, 80, 64);
		pcap_dump((u_char *)d, &h, f.data);
	}
	pcap_dump_close(d);
	pcap_close(p);
}

static long long
port_rx(const char *port)
{
	OK("dump-ports %s", port);
	return ctl_number_after(out, "rx pkts=");
}

Test(upgrade, worker_restart_all_runs_the_new_binary_and_loses_nothing)
{
	enum { N = 2000000 };
	static const char *const extra[] = { "--worker-bin", "/tmp/sluice-upg-bin/sluice-worker",
					     NULL };
	char src[256], eb[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	long long pid0, pid1;
	pcap_t *p;
	size_t n;

	cr_assert_eq(system("rm -rf /tmp/sluice-upg-bin && mkdir -p /tmp/sluice-upg-bin"), 0);
	snprintf(src, sizeof(src), "%s/secondary/sluice-worker", build());
	install_worker(src);
	ctl_start_opt(&c, "upgrade", 2, extra, true);
	write_numbered("/tmp/sluice-ctl-upgrade/in.pcap", N);
	pcap_write_frames("/tmp/sluice-ctl-upgrade/e.pcap", NULL, 0);
	OK("add-flow 'in_port=1,actions=output:2'");
	OK("add-port out net_pcap_upo,rx_pcap=%s/e.pcap,tx_pcap=%s/out.pcap ofport=2", c.rundir,
	   c.rundir);
	OK("add-port in net_pcap_upi,rx_pcap=%s/in.pcap,tx_pcap=%s/io.pcap ofport=1", c.rundir,
	   c.rundir);

	OK("worker-list");
	pid0 = ctl_number_after(out, "\n0   ");
	pid1 = ctl_number_after(out, "\n1   ");
	/* A new build is installed (the same code, another file), then the upgrade. */
	install_worker(src);
	OK("worker-restart --all");
	cr_assert_lt(port_rx("in"), N, "the stream ended before the upgrade: make N larger");
	OK("worker-list");
	cr_assert_neq(ctl_number_after(out, "\n0   "), pid0, "worker 0 was not replaced: %s", out);
	cr_assert_neq(ctl_number_after(out, "\n1   "), pid1, "worker 1 was not replaced: %s", out);
	for (int i = 0; i < 400 && port_rx("in") < N; i++)
		usleep(50000);
	cr_assert_eq(port_rx("in"), N);
	usleep(200000);
	OK("del-port out");
	p = pcap_open_offline("/tmp/sluice-ctl-upgrade/out.pcap", eb);
	cr_assert_not_null(p, "%s", eb);
	for (n = 0; pcap_next_ex(p, &h, &data) == 1; n++) {
		uint32_t num = (uint32_t)data[27] << 16 | (uint32_t)data[28] << 8 | data[29];

		cr_assert_eq(num, n, "packet %zu lost, duplicated or reordered", n);
	}
	pcap_close(p);
	cr_assert_eq(n, N, "%zu of %d packets came out", n, N);
}

Test(upgrade, a_binary_that_does_not_fit_is_refused_and_nothing_changes)
{
	static const char *const extra[] = { "--worker-bin", "/tmp/sluice-upg-bin/sluice-worker",
					     NULL };
	char src[256], before[4096];
	FILE *f;

	cr_assert_eq(system("rm -rf /tmp/sluice-upg-bin && mkdir -p /tmp/sluice-upg-bin"), 0);
	snprintf(src, sizeof(src), "%s/secondary/sluice-worker", build());
	install_worker(src);
	ctl_start_opt(&c, "upgbad", 1, extra, true);
	OK("worker-list");
	snprintf(before, sizeof(before), "%s", out);
	/* What a worker of another shared-memory layout says and does. */
	f = fopen("/tmp/sluice-upg-bin/bad", "w");
	fprintf(f, "#!/bin/sh\necho 'sluice-worker: shared-memory layout version mismatch: this "
		   "worker speaks 99, the primary 4' >&2\nexit 2\n");
	fclose(f);
	chmod("/tmp/sluice-upg-bin/bad", 0755);
	install_worker("/tmp/sluice-upg-bin/bad");
	cr_assert_eq(ctl_run(&c, out, sizeof(out), "worker-restart --all"), 1, "%s", out);
	cr_assert(strstr(out, "layout version mismatch") != NULL, "its own words: %s", out);
	cr_assert(strstr(out, "carries on") != NULL, "%s", out);
	OK("worker-list");
	cr_assert_str_eq(out, before, "the running worker was disturbed");
}
