/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-dump: capture packets of a running sluice instance.  A DPDK
 * secondary process that opens a capture session (common/capture.h), lets
 * the workers mirror matching packets into its rings, and writes them as
 * pcap (with libpcap) or pcapng (tools/pcapng.c), to a file or to stdout.
 * The filter is compiled here with libpcap and run in the workers by DPDK's
 * BPF library.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_bpf.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_service_component.h>
#include <rte_errno.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_memzone.h>

#include <pcap/pcap.h>

#include "capture.h"
#include "eal_guard.h"
#include "pcapng.h"
#include "shm.h"
#include "util.h"

#define PROG "sluice-dump"
#define DEFAULT_SNAPLEN SL_CAPTURE_MAX_SNAPLEN
#define STOP_WAIT_MS 2000
#define FLUSH_MS 100

struct dump_opts {
	const char *rundir;
	const char *prefix;
	const char *ifaces[SL_MAX_PORTS];
	unsigned int n_ifaces;
	uint32_t dir;
	uint32_t snaplen;
	uint64_t count; /* 0: no limit */
	bool pcapng;
	bool wait_ports;
	const char *out;
	char *filter; /* NULL: everything */
};

/* The output, one of two formats. */
struct dump_out {
	FILE *f;
	pcap_t *dead;
	pcap_dumper_t *pd; /* pcap */
	bool pcapng;
};

struct dump {
	struct dump_opts o;
	struct sl_shm *shm;
	struct sl_capture_zone *zone;
	int meta_off;
	int idx;
	struct dump_out out;
	uint64_t written;
	uint64_t cal_tsc, cal_ns, tsc_hz;
	uint8_t *buf; /* a linear copy of a multi-segment packet */
};

static volatile sig_atomic_t quit;

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [--rundir DIR] [--file-prefix NAME] -i PORT [-i PORT...]\n"
		"       [--dir rx|tx|both] [-s SNAPLEN] [-c COUNT] [--pcapng] [--wait]\n"
		"       -w FILE|- [FILTER EXPRESSION]\n\n"
		"Capture the packets that sluice workers receive on (rx) or send to (tx) the\n"
		"named ports, as pcap (default) or pcapng, to FILE or to stdout (-w -):\n"
		"  " PROG " -i p0 -w - | tcpdump -r -\n\n"
		"  -i, --interface PORT  a sluice port name; repeat for several ports\n"
		"  --dir rx|tx|both      direction (default both)\n"
		"  -s, --snaplen N       bytes kept per packet (1..%u, default %u)\n"
		"  -c, --count N         stop after N packets\n"
		"  -w, --write FILE      output file, - for stdout\n"
		"  --pcapng              write pcapng, one interface per port, named after it\n"
		"  --wait                accept ports that do not exist yet: each is captured\n"
		"                        from its first packet once it is added\n"
		"  --file-prefix NAME    the instance's DPDK --file-prefix (default: what its\n"
		"                        primary wrote in RUNDIR/file-prefix, else sluice)\n"
		"  --rundir DIR          the instance's run directory (default $SLUICE_RUNDIR\n"
		"                        or %s; used for messages only)\n"
		"  --help                this text\n\n"
		"FILTER EXPRESSION is tcpdump syntax (pcap-filter(7)); it runs in the workers.\n"
		"Stops on Ctrl-C, SIGTERM or after COUNT packets, then prints\n"
		"\"N packets captured, M filtered out, K dropped\" on stderr.\n"
		"Exit status: 0 on success, 2 on bad usage, an unknown port or a bad filter,\n"
		"1 on any other failure.\n",
		SL_CAPTURE_MAX_SNAPLEN, DEFAULT_SNAPLEN, SL_DEFAULT_RUNDIR);
}

static int
bad(const char *fmt, const char *arg)
{
	fprintf(stderr, PROG ": ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	return -EINVAL;
}

/* Join the words left after the options into one filter expression. */
static char *
join_words(int argc, char **argv)
{
	size_t len = 1;
	char *s;

	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	s = calloc(1, len);
	if (s == NULL)
		return NULL;
	for (int i = 0; i < argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

static int
parse_num(const char *opt, const char *arg, uint64_t min, uint64_t max, uint64_t *v)
{
	if (sl_parse_u64(arg, min, max, v) == 0)
		return 0;
	fprintf(stderr, PROG ": %s: \"%s\" is not a number in %" PRIu64 "..%" PRIu64 "\n", opt,
		arg, min, max);
	return -EINVAL;
}

/* The --file-prefix the instance's primary recorded in RUNDIR, else "sluice". */
static const char *
rundir_file_prefix(const char *rundir)
{
	static char prefix[128];
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/file-prefix", rundir);
	f = fopen(path, "r");
	if (f == NULL)
		return "sluice";
	if (fgets(prefix, sizeof(prefix), f) == NULL)
		prefix[0] = '\0';
	fclose(f);
	prefix[strcspn(prefix, "\n")] = '\0';
	return prefix[0] ? prefix : "sluice";
}

static int
parse_args(int argc, char **argv, struct dump_opts *o)
{
	static const struct option opts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "dir", required_argument, NULL, 'd' },
		{ "snaplen", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'c' },
		{ "write", required_argument, NULL, 'w' },
		{ "pcapng", no_argument, NULL, 'n' },
		{ "wait", no_argument, NULL, 'W' },
		{ "file-prefix", required_argument, NULL, 'p' },
		{ "rundir", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	o->dir = SL_CAP_BOTH;
	o->snaplen = DEFAULT_SNAPLEN;
	o->prefix = NULL;
	while ((c = getopt_long(argc, argv, "i:s:c:w:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (o->n_ifaces == SL_MAX_PORTS)
				return bad("-i: at most %s ports", RTE_STR(SL_MAX_PORTS));
			if (strlen(optarg) == 0 || strlen(optarg) >= SL_PORT_NAME_LEN)
				return bad("-i: \"%s\" is not a port name", optarg);
			o->ifaces[o->n_ifaces++] = optarg;
			break;
		case 'd':
			if (strcmp(optarg, "rx") == 0)
				o->dir = SL_CAP_RX;
			else if (strcmp(optarg, "tx") == 0)
				o->dir = SL_CAP_TX;
			else if (strcmp(optarg, "both") == 0)
				o->dir = SL_CAP_BOTH;
			else
				return bad("--dir: \"%s\" is not rx, tx or both", optarg);
			break;
		case 's':
			if (parse_num("-s", optarg, 1, SL_CAPTURE_MAX_SNAPLEN, &v) < 0)
				return -EINVAL;
			o->snaplen = v;
			break;
		case 'c':
			if (parse_num("-c", optarg, 1, UINT64_MAX, &v) < 0)
				return -EINVAL;
			o->count = v;
			break;
		case 'w':
			o->out = optarg;
			break;
		case 'n':
			o->pcapng = true;
			break;
		case 'W':
			o->wait_ports = true;
			break;
		case 'p':
			o->prefix = optarg;
			break;
		case 'r':
			o->rundir = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (o->n_ifaces == 0)
		return bad("%s", "no port given: use -i PORT");
	if (o->out == NULL)
		return bad("%s", "no output given: use -w FILE, or -w - for stdout");
	if (optind < argc) {
		o->filter = join_words(argc - optind, argv + optind);
		if (o->filter == NULL)
			return -ENOMEM;
	}
	o->rundir = sl_rundir(o->rundir);
	if (o->prefix == NULL)
		o->prefix = rundir_file_prefix(o->rundir);
	return 0;
}

/* Compile the filter with libpcap into @insns; exit status 2 on error. */
static int
compile_filter(const struct dump_opts *o, struct sl_cap_insn *insns, uint32_t *n)
{
	pcap_t *p = pcap_open_dead(DLT_EN10MB, o->snaplen);
	struct bpf_program prog;
	int rc = 0;

	*n = 0;
	if (o->filter == NULL) {
		pcap_close(p);
		return 0;
	}
	if (pcap_compile(p, &prog, o->filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		fprintf(stderr, PROG ": bad filter \"%s\": %s\n", o->filter, pcap_geterr(p));
		pcap_close(p);
		return -EINVAL;
	}
	if (prog.bf_len > SL_CAPTURE_MAX_INSNS) {
		fprintf(stderr, PROG ": filter \"%s\" compiles to %u instructions, at most %d\n",
			o->filter, prog.bf_len, SL_CAPTURE_MAX_INSNS);
		rc = -E2BIG;
	} else {
		memcpy(insns, prog.bf_insns, sizeof(*insns) * prog.bf_len);
		*n = prog.bf_len;
	}
	pcap_freecode(&prog);
	pcap_close(p);
	return rc;
}

/*
 * Packets are the only thing on stdout: keep our own descriptor for them
 * and point fd 1 at stderr, so that a library's stray print cannot
 * corrupt the stream a reader like tcpdump parses.
 */
static FILE *
open_output(const char *path)
{
	FILE *f;
	int fd;

	if (strcmp(path, "-") != 0) {
		f = fopen(path, "wb");
		if (f == NULL)
			fprintf(stderr, PROG ": cannot write %s: %s\n", path, strerror(errno));
		return f;
	}
	fd = dup(STDOUT_FILENO);
	if (fd < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
		fprintf(stderr, PROG ": cannot set up stdout: %s\n", strerror(errno));
		return NULL;
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	f = fdopen(fd, "wb");
	if (f == NULL)
		fprintf(stderr, PROG ": cannot write to stdout: %s\n", strerror(errno));
	return f;
}

static int
write_header(struct dump *d)
{
	struct dump_out *out = &d->out;

	if (d->o.pcapng) {
		int rc = sl_pcapng_section(out->f, PROG);

		for (unsigned int i = 0; i < d->o.n_ifaces && rc == 0; i++)
			rc = sl_pcapng_interface(out->f, d->o.ifaces[i], d->o.snaplen);
		out->pcapng = true;
		return rc;
	}
	out->dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, d->o.snaplen,
							 PCAP_TSTAMP_PRECISION_NANO);
	if (out->dead == NULL)
		return -ENOMEM;
	out->pd = pcap_dump_fopen(out->dead, out->f);
	if (out->pd == NULL) {
		fprintf(stderr, PROG ": %s\n", pcap_geterr(out->dead));
		return -EIO;
	}
	return 0;
}

static int
write_packet(struct dump *d, struct rte_mbuf *m)
{
	const struct sl_cap_meta *meta = sl_cap_meta(m, d->meta_off);
	uint32_t caplen = rte_pktmbuf_pkt_len(m);
	const uint8_t *data = rte_pktmbuf_read(m, 0, caplen, d->buf);
	int64_t delta = (int64_t)(meta->tsc - d->cal_tsc);
	uint64_t ns = d->cal_ns + (int64_t)((__int128)delta * 1000000000 / (int64_t)d->tsc_hz);

	if (data == NULL)
		return 0;
	if (d->out.pcapng)
		return sl_pcapng_packet(d->out.f, meta->iface, ns, data, caplen, meta->orig_len,
					meta->dir == SL_CAP_RX ? SL_PCAPNG_INBOUND
							       : SL_PCAPNG_OUTBOUND);
	struct pcap_pkthdr h = { .caplen = caplen, .len = meta->orig_len };

	/* A nanosecond dumper takes nanoseconds in tv_usec. */
	h.ts.tv_sec = ns / 1000000000;
	h.ts.tv_usec = ns % 1000000000;
	pcap_dump((u_char *)d->out.pd, &h, data);
	return ferror(d->out.f) ? -EIO : 0;
}

static int
flush_output(struct dump *d)
{
	if (fflush(d->out.f) != 0 || ferror(d->out.f))
		return -errno;
	return 0;
}

static void
close_output(struct dump *d)
{
	if (d->out.pd != NULL)
		pcap_dump_close(d->out.pd); /* closes the FILE too */
	else if (d->out.f != NULL)
		fclose(d->out.f);
	if (d->out.dead != NULL)
		pcap_close(d->out.dead);
}

/*
 * Move what the workers copied into the output; packets beyond COUNT are
 * freed unwritten.  Returns the number of packets taken, or -errno when
 * the output failed (a closed pipe, a full disk).
 */
static int
drain(struct dump *d)
{
	struct sl_cap_session *s = &d->zone->s[d->idx];
	struct rte_mbuf *m[64];
	int taken = 0, rc = 0;

	for (unsigned int w = 0; w < SL_MAX_WORKERS; w++) {
		unsigned int n;

		if (s->ring[w] == NULL)
			continue;
		n = rte_ring_sc_dequeue_burst(s->ring[w], (void **)m, RTE_DIM(m), NULL);
		for (unsigned int i = 0; i < n; i++) {
			if (rc == 0 && (d->o.count == 0 || d->written < d->o.count)) {
				rc = write_packet(d, m[i]);
				d->written += rc == 0;
			}
		}
		rte_pktmbuf_free_bulk(m, n);
		taken += n;
	}
	return rc < 0 ? rc : taken;
}

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static bool
done(const struct dump *d)
{
	return quit || (d->o.count && d->written >= d->o.count);
}

/* Drain until stopped; returns 0 or -errno of a failed output. */
static int
capture_loop(struct dump *d)
{
	uint64_t last_flush = sl_now_ms(), last_check = last_flush;
	bool dirty = false;

	while (!done(d)) {
		int n = drain(d);
		uint64_t now;

		if (n < 0)
			return n;
		dirty |= n > 0;
		now = sl_now_ms();
		if (dirty && (n == 0 || now - last_flush >= FLUSH_MS)) {
			if (flush_output(d) < 0)
				return -EIO;
			dirty = false;
			last_flush = now;
		}
		if (now - last_check >= 1000) {
			last_check = now;
			if (!sl_pid_alive(d->shm->primary_pid)) {
				fprintf(stderr, PROG ": sluice-primary (pid %d) is gone\n",
					d->shm->primary_pid);
				return -ESRCH;
			}
		}
		if (n == 0)
			usleep(1000);
	}
	return 0;
}

/*
 * Stop the session: once no worker can write to the rings any more, drain
 * them and free them.  If the workers do not confirm in time, the session
 * is left to the primary (it tears down sessions of dead processes).
 */
static int
stop_session(struct dump *d, struct sl_cap_counters *c)
{
	uint64_t token = sl_capture_stop(d->zone, d->idx), t0 = sl_now_ms();
	bool out_ok = true;

	while (!sl_capture_quiet(d->zone, token)) {
		if (sl_now_ms() - t0 > STOP_WAIT_MS) {
			fprintf(stderr, PROG ": workers did not confirm the stop; "
					"sluice-primary will free the session\n");
			sl_capture_counters(d->zone, d->idx, c);
			return -ETIMEDOUT;
		}
		if (out_ok && drain(d) < 0)
			out_ok = false;
		usleep(200);
	}
	while (out_ok && drain(d) > 0)
		;
	sl_capture_counters(d->zone, d->idx, c);
	sl_capture_release(d->zone, d->idx);
	return 0;
}

/* Attach to the instance as a secondary with an lcore id of our own. */
static int
attach_eal(const struct dump_opts *o)
{
	char prefix[128];
	char *argv[] = { PROG,
			 "--proc-type=secondary",
			 "--no-pci",
			 prefix,
			 "--lcores",
			 "120@0",
			 "--log-level=lib.eal:error",
			 NULL };

	snprintf(prefix, sizeof(prefix), "--file-prefix=%s", o->prefix);
	/* EAL logs to stdout by default; stdout may be the capture. */
	rte_openlog_stream(stderr);
	if (sl_eal_init_guarded(RTE_DIM(argv) - 1, argv) < 0) {
		fprintf(stderr,
			PROG ": cannot attach to sluice instance \"%s\": is sluice-primary "
			     "running with --file-prefix=%s?\n",
			o->prefix, o->prefix);
		return -1;
	}
	/* As in sluice-worker: no services here, and a capture killed with -9
	 * would leak the service library's share of the shared heap. */
	rte_service_finalize();
	return 0;
}

static int
attach_state(struct dump *d)
{
	const struct rte_memzone *mz = rte_memzone_lookup(SL_SHM_NAME);

	if (mz == NULL || mz->len < sizeof(struct sl_shm) ||
	    ((struct sl_shm *)mz->addr)->layout_version != SL_LAYOUT_VERSION) {
		fprintf(stderr, PROG ": no sluice state of this version in \"%s\"\n", d->o.prefix);
		return -1;
	}
	d->shm = mz->addr;
	d->zone = sl_capture_zone_lookup();
	if (d->zone == NULL) {
		fprintf(stderr, PROG ": sluice-primary of \"%s\" offers no capture (%s)\n",
			d->o.prefix, rte_strerror(rte_errno));
		return -1;
	}
	d->meta_off = sl_capture_meta_offset();
	if (d->meta_off < 0) {
		fprintf(stderr, PROG ": no capture metadata field: %s\n", strerror(-d->meta_off));
		return -1;
	}
	return 0;
}

static bool
port_exists(const struct sl_shm *shm, const char *name)
{
	for (unsigned int s = 0; s < SL_MAX_PORTS; s++)
		if (__atomic_load_n(&shm->ports[s].state, __ATOMIC_ACQUIRE) == SL_PORT_ACTIVE &&
		    strncmp(shm->ports[s].name, name, SL_PORT_NAME_LEN) == 0)
			return true;
	return false;
}

static int
check_ports(const struct dump *d)
{
	for (unsigned int i = 0; i < d->o.n_ifaces; i++)
		if (!d->o.wait_ports && !port_exists(d->shm, d->o.ifaces[i])) {
			fprintf(stderr, PROG ": unknown port \"%s\" (use --wait for a port "
					"not added yet)\n", d->o.ifaces[i]);
			return -ENOENT;
		}
	return 0;
}

/* The filter must load in DPDK too: find out here, not in the workers. */
static int
check_filter(const struct sl_cap_insn *insns, uint32_t n, const char *text)
{
	char err[256];
	struct rte_bpf *bpf;

	if (n == 0)
		return 0;
	bpf = sl_capture_bpf_load(insns, n, err, sizeof(err));
	if (bpf == NULL) {
		fprintf(stderr, PROG ": filter \"%s\": %s\n", text, err);
		return -EINVAL;
	}
	rte_bpf_destroy(bpf);
	return 0;
}

static void
calibrate(struct dump *d)
{
	struct timespec ts;

	/* One (TSC, wall clock) pair; the TSC is the same in every process. */
	clock_gettime(CLOCK_REALTIME, &ts);
	d->cal_tsc = rte_rdtsc();
	d->cal_ns = (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	d->tsc_hz = d->zone->tsc_hz ? d->zone->tsc_hz : rte_get_tsc_hz();
}

static int
open_session(struct dump *d, const struct sl_cap_insn *insns, uint32_t n_insns)
{
	struct sl_cap_request req = {
		.n_ifaces = d->o.n_ifaces,
		.ifaces = d->o.ifaces,
		.dir = d->o.dir,
		.snaplen = d->o.snaplen,
		.n_insns = n_insns,
		.insns = insns,
	};
	char err[256];

	d->idx = sl_capture_open(d->zone, &req, err, sizeof(err));
	if (d->idx < 0) {
		fprintf(stderr, PROG ": cannot start the capture: %s\n", err);
		return -1;
	}
	return 0;
}

static void
announce(const struct dump *d)
{
	static const char *const dirs[] = { "", "rx", "tx", "rx and tx" };

	fprintf(stderr, PROG ": capturing on ");
	for (unsigned int i = 0; i < d->o.n_ifaces; i++)
		fprintf(stderr, "%s%s", i ? ", " : "", d->o.ifaces[i]);
	fprintf(stderr, " (%s), snaplen %u%s%s\n", dirs[d->o.dir & 3], d->o.snaplen,
		d->o.filter ? ", filter " : "", d->o.filter ? d->o.filter : "");
}

int
main(int argc, char **argv)
{
	static struct sl_cap_insn insns[SL_CAPTURE_MAX_INSNS];
	static struct dump d;
	struct sl_cap_counters c;
	uint32_t n_insns;
	int rc;

	if (parse_args(argc, argv, &d.o) < 0 || compile_filter(&d.o, insns, &n_insns) < 0)
		return 2;
	d.buf = malloc(SL_CAPTURE_MAX_SNAPLEN);
	d.out.f = open_output(d.o.out);
	if (d.buf == NULL || d.out.f == NULL)
		return 1;
	if (attach_eal(&d.o) < 0 || attach_state(&d) < 0)
		return 1;
	if (check_ports(&d) < 0 || check_filter(insns, n_insns, d.o.filter) < 0)
		return 2;
	if (write_header(&d) < 0 || flush_output(&d) < 0) {
		fprintf(stderr, PROG ": cannot write %s\n", d.o.out);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN); /* a reader that goes away ends the capture cleanly */
	calibrate(&d);
	if (open_session(&d, insns, n_insns) < 0)
		return 1;
	announce(&d);

	rc = capture_loop(&d);
	if (rc == -EIO || rc == -EPIPE)
		fprintf(stderr, PROG ": cannot write %s: the reader went away or the disk is "
				"full\n", d.o.out);
	if (stop_session(&d, &c) < 0 && rc == 0)
		rc = -ETIMEDOUT;
	if (c.load_error)
		fprintf(stderr, PROG ": warning: a worker could not load the filter (see its log)\n");
	fprintf(stderr, "%" PRIu64 " packets captured, %" PRIu64 " filtered out, %" PRIu64
			" dropped\n",
		d.written, c.filtered, c.dropped);
	close_output(&d);
	sl_eal_cleanup_guarded();
	return rc < 0 ? 1 : 0;
}
