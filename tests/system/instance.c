/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <pcap/pcap.h>
#include <zmq.h>

#include "instance.h"
#include "util.h"

static const char *
build_dir(void)
{
	const char *b = getenv("SLUICE_BUILD");

	return b != NULL ? b : "build";
}

const char *
inst_path(struct inst *in, const char *file)
{
	static char buf[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", in->rundir, file);
	return buf[i];
}

static void
remove_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char p[1024];

	if (d == NULL) {
		unlink(path);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
		remove_tree(p);
	}
	closedir(d);
	rmdir(path);
}

/* Kill every process of this prefix and remove its hugepage and runtime files. */
static void
sweep(const char *prefix)
{
	char cmd[512], p[512], want[128];
	struct dirent *de;
	DIR *d;

	snprintf(cmd, sizeof(cmd), "pkill -9 -f -- '--file-prefix=%s( |$)' 2>/dev/null", prefix);
	if (system(cmd) == -1)
		perror("pkill");
	usleep(100000);
	snprintf(want, sizeof(want), "%smap_", prefix);
	d = opendir("/dev/hugepages");
	while (d != NULL && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, want, strlen(want)) == 0) {
			snprintf(p, sizeof(p), "/dev/hugepages/%s", de->d_name);
			unlink(p);
		}
	}
	if (d != NULL)
		closedir(d);
	snprintf(p, sizeof(p), "/var/run/dpdk/%s", prefix);
	remove_tree(p);
}

static pid_t
spawn(char *const argv[], const char *log)
{
	pid_t pid = fork();

	cr_assert(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

void
inst_start_worker(struct inst *in, int id)
{
	inst_start_worker_opt(in, id, 1 + id, false);
}

void
inst_start_worker_opt(struct inst *in, int id, int lcore_id, bool takeover)
{
	char bin[512], prefix[96], lcores[32], ids[8], log[256];
	char *argv[] = { bin, "--no-pci", prefix, "--proc-type=secondary", "--lcores", lcores,
			 "--log-level=lib.eal:error", "--", "--id", ids,
			 takeover ? "--takeover" : NULL, NULL };

	snprintf(bin, sizeof(bin), "%s/secondary/sluice-worker", build_dir());
	snprintf(prefix, sizeof(prefix), "--file-prefix=%s", in->prefix);
	snprintf(lcores, sizeof(lcores), "%d@1", lcore_id);
	snprintf(ids, sizeof(ids), "%d", id);
	snprintf(log, sizeof(log), "%s/worker%d.log", in->rundir, id);
	in->workers[id] = spawn(argv, log);
}

int
inst_call_empty(struct inst *in, Sluice__Request__CmdCase cmd, Sluice__Reply **rep, char *err,
		size_t errlen)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__Empty e = SLUICE__EMPTY__INIT;

	req.cmd_case = cmd;
	req.show = &e; /* the members of the command oneof share storage */
	return inst_call(in, &req, rep, err, errlen);
}

static bool
worker_running(struct inst *in, int id)
{
	Sluice__Reply *rep = NULL;
	char err[256];
	bool up = false;

	if (inst_call_empty(in, SLUICE__REQUEST__CMD_WORKER_LIST,
			    &rep, err, sizeof(err)) == 0 && (size_t)id < rep->n_workers)
		up = rep->workers[id]->state == SLUICE__PROC_STATE__PROC_RUNNING &&
		     rep->workers[id]->pid == in->workers[id];
	if (rep != NULL)
		sluice__reply__free_unpacked(rep, NULL);
	return up;
}

void
inst_start(struct inst *in, const char *name, int n_workers)
{
	inst_start_opt(in, name, n_workers, NULL);
}

void
inst_start_opt(struct inst *in, const char *name, int n_workers, const char *primary_opt)
{
	char bin[512], prefix[96], rundir_arg[160], nw[16], log[256];
	char *argv[] = { bin, "--no-pci", prefix, "--proc-type=primary", "--lcores", "0@0",
			 "--log-level=lib.eal:error", "--", "--rundir", rundir_arg, "--workers", nw,
			 "--hang-ms", "400", (char *)primary_opt, NULL };
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__Hello hello = SLUICE__HELLO__INIT;
	Sluice__Reply *rep = NULL;
	char err[256];
	int i;

	memset(in, 0, sizeof(*in));
	snprintf(in->name, sizeof(in->name), "%s", name);
	snprintf(in->prefix, sizeof(in->prefix), "sltest_%s", name);
	snprintf(in->rundir, sizeof(in->rundir), "/tmp/sluice-test-%s", name);
	sweep(in->prefix);
	remove_tree(in->rundir);
	cr_assert(mkdir(in->rundir, 0755) == 0, "mkdir %s: %s", in->rundir, strerror(errno));
	in->n_workers = n_workers;
	in->zctx = zmq_ctx_new();
	sl_endpoint(in->endpoint, sizeof(in->endpoint), in->rundir, "primary.sock");

	snprintf(bin, sizeof(bin), "%s/primary/sluice-primary", build_dir());
	snprintf(prefix, sizeof(prefix), "--file-prefix=%s", in->prefix);
	snprintf(rundir_arg, sizeof(rundir_arg), "%s", in->rundir);
	/* Zero workers: one slot, left for the test to fill. */
	snprintf(nw, sizeof(nw), "%d", n_workers > 0 ? n_workers : 1);
	snprintf(log, sizeof(log), "%s/primary.log", in->rundir);
	in->primary = spawn(argv, log);

	req.internal_case = SLUICE__REQUEST__INTERNAL_HELLO;
	req.hello = &hello;
	for (i = 0; i < 200; i++) {
		if (inst_call(in, &req, &rep, err, sizeof(err)) == 0)
			break;
		usleep(50000);
	}
	if (rep != NULL)
		sluice__reply__free_unpacked(rep, NULL);
	cr_assert(i < 200, "primary did not answer: %s", err);

	for (int w = 0; w < n_workers; w++) {
		inst_start_worker(in, w);
		for (i = 0; i < 200 && !worker_running(in, w); i++)
			usleep(50000);
		cr_assert(i < 200, "worker %d did not start (see %s/worker%d.log)", w, in->rundir,
			  w);
	}
}

/* Wait for @pid to exit (killing it after @ms); returns its wait status. */
static int
wait_gone(pid_t pid, int ms)
{
	int st = 0;

	for (int i = 0; i < ms / 10; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return st;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return st;
}

void
inst_stop(struct inst *in)
{
	Sluice__Reply *rep = NULL;
	int primary_status = 0;
	char err[256];

	if (in->zctx == NULL)
		return;
	if (in->primary > 0 && inst_call_empty(in, SLUICE__REQUEST__CMD_SHUTDOWN,
					       &rep, err, sizeof(err)) == 0)
		sluice__reply__free_unpacked(rep, NULL);
	for (int w = 0; w < in->n_workers; w++)
		if (in->workers[w] > 0)
			wait_gone(in->workers[w], 3000);
	if (in->primary > 0)
		primary_status = wait_gone(in->primary, 5000);
	sweep(in->prefix);
	if (getenv("SLUICE_KEEP_TEST_DIR") == NULL)
		remove_tree(in->rundir);
	zmq_ctx_term(in->zctx);
	in->zctx = NULL;
	/* A clean shutdown is part of every test (tests call inst_stop() last;
	 * Criterion ignores assertions made in .fini). */
	cr_assert(WIFEXITED(primary_status) && WEXITSTATUS(primary_status) == 0,
		  "sluice-primary did not exit cleanly (wait status %#x)", primary_status);
}

int
inst_call(struct inst *in, Sluice__Request *req, Sluice__Reply **rep, char *err, size_t errlen)
{
	int rc = sl_msg_call(in->zctx, in->endpoint, req, rep, 5000, err, errlen);

	if (rc < 0)
		return rc;
	if ((*rep)->status != 0) {
		snprintf(err, errlen, "%s", (*rep)->error);
		rc = (*rep)->status;
		sluice__reply__free_unpacked(*rep, NULL);
		*rep = NULL;
		return rc;
	}
	return 0;
}

static int
call_and_free(struct inst *in, Sluice__Request *req, char *err, size_t errlen)
{
	Sluice__Reply *rep = NULL;
	int rc = inst_call(in, req, &rep, err, errlen);

	if (rep != NULL)
		sluice__reply__free_unpacked(rep, NULL);
	return rc;
}

int
inst_add_port(struct inst *in, const char *name, const char *devargs, uint32_t ofport,
	      char *err, size_t errlen)
{
	return inst_add_port_rxq(in, name, devargs, ofport, 0, err, errlen);
}

int
inst_add_port_rxq(struct inst *in, const char *name, const char *devargs, uint32_t ofport,
		  uint32_t n_rxq, char *err, size_t errlen)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__AddPort ap = SLUICE__ADD_PORT__INIT;
	Sluice__PortSpec ps = SLUICE__PORT_SPEC__INIT;
	char rxq[32], *settings[1] = { rxq };

	ps.name = (char *)name;
	ps.devargs = (char *)devargs;
	ps.ofport = ofport;
	snprintf(rxq, sizeof(rxq), "n_rxq=%u", n_rxq ? n_rxq : 1);
	ps.settings = settings;
	ps.n_settings = 1;
	ap.port = &ps;
	req.cmd_case = SLUICE__REQUEST__CMD_ADD_PORT;
	req.add_port = &ap;
	return call_and_free(in, &req, err, errlen);
}

int
inst_del_port(struct inst *in, const char *name, char *err, size_t errlen)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__DelPort dp = SLUICE__DEL_PORT__INIT;

	dp.name = (char *)name;
	req.cmd_case = SLUICE__REQUEST__CMD_DEL_PORT;
	req.del_port = &dp;
	return call_and_free(in, &req, err, errlen);
}

int
inst_set_port(struct inst *in, const char *name, const char *const *settings, size_t n,
	      char *err, size_t errlen)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__SetPort sp = SLUICE__SET_PORT__INIT;

	sp.name = (char *)name;
	sp.settings = (char **)settings;
	sp.n_settings = n;
	req.cmd_case = SLUICE__REQUEST__CMD_SET_PORT;
	req.set_port = &sp;
	return call_and_free(in, &req, err, errlen);
}

int
inst_flows(struct inst *in, const char *verb, const char *const *flows, size_t n, char *err,
	   size_t errlen)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__FlowMod fm = SLUICE__FLOW_MOD__INIT;

	fm.flows = (char **)flows;
	fm.n_flows = n;
	if (strcmp(verb, "add") == 0) {
		req.cmd_case = SLUICE__REQUEST__CMD_ADD_FLOWS;
		req.add_flows = &fm;
	} else if (strcmp(verb, "replace") == 0) {
		req.cmd_case = SLUICE__REQUEST__CMD_REPLACE_FLOWS;
		req.replace_flows = &fm;
	} else {
		fm.strict = strcmp(verb, "del-strict") == 0;
		req.cmd_case = SLUICE__REQUEST__CMD_DEL_FLOWS;
		req.del_flows = &fm;
	}
	return call_and_free(in, &req, err, errlen);
}

uint64_t
inst_worker_rx(struct inst *in)
{
	Sluice__Reply *rep = NULL;
	uint64_t sum = 0;
	char err[256];

	if (inst_call_empty(in, SLUICE__REQUEST__CMD_PMD_STATS_SHOW, &rep, err, sizeof(err)) != 0)
		return 0;
	for (size_t i = 0; i < rep->n_workers; i++)
		sum += rep->workers[i]->rx_packets;
	sluice__reply__free_unpacked(rep, NULL);
	return sum;
}

uint64_t
inst_wait_rx(struct inst *in, uint64_t n, int timeout_ms)
{
	uint64_t got = 0;

	for (int i = 0; i < timeout_ms / 20; i++) {
		got = inst_worker_rx(in);
		if (got >= n)
			break;
		usleep(20000);
	}
	/* Stats are published every 10 ms; let the last tx flush reach the files. */
	usleep(100000);
	return got;
}

void
pcap_write_frames(const char *path, const struct frame *f, size_t n)
{
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = pcap_dump_open(p, path);

	cr_assert(d != NULL, "pcap_dump_open %s: %s", path, pcap_geterr(p));
	for (size_t i = 0; i < n; i++) {
		struct pcap_pkthdr h = { .caplen = f[i].len, .len = f[i].len };

		h.ts.tv_sec = 1;
		h.ts.tv_usec = i;
		pcap_dump((u_char *)d, &h, f[i].data);
	}
	pcap_dump_close(d);
	pcap_close(p);
}

size_t
pcap_read_frames(const char *path, struct frame **out)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	size_t n = 0, cap = 64;
	pcap_t *p;

	*out = malloc(sizeof(**out) * cap);
	p = pcap_open_offline(path, errbuf);
	cr_assert(p != NULL, "cannot read %s: %s", path, errbuf);
	while (pcap_next_ex(p, &h, &data) == 1) {
		if (n == cap) {
			cap *= 2;
			*out = realloc(*out, sizeof(**out) * cap);
		}
		(*out)[n].len = h->caplen < sizeof((*out)[n].data) ? h->caplen : sizeof((*out)[n].data);
		memcpy((*out)[n].data, data, (*out)[n].len);
		n++;
	}
	pcap_close(p);
	return n;
}

static void
put_mac(uint8_t *p, const char *s)
{
	unsigned int b[6];

	sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]);
	for (int i = 0; i < 6; i++)
		p[i] = b[i];
}

/* The Internet checksum of @n bytes at @p, starting from the partial sum @s. */
static uint16_t
inet_csum(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint16_t
ip_csum(const uint8_t *h)
{
	return inet_csum(h, 20, 0);
}

void
frame_fix_checksums(struct frame *f, size_t l3)
{
	uint8_t *ip = f->data + l3, *l4 = ip + 20;
	uint16_t l4len = (uint16_t)(f->len - l3 - 20), c;
	uint8_t proto = ip[9];
	uint32_t ps = proto + l4len;
	int at = proto == 6 ? 16 : 6;

	ip[10] = ip[11] = 0;
	c = ip_csum(ip);
	ip[10] = (uint8_t)(c >> 8), ip[11] = (uint8_t)c;
	if (proto != 6 && proto != 17)
		return;
	for (int i = 12; i < 20; i += 2)
		ps += (uint32_t)ip[i] << 8 | ip[i + 1];
	l4[at] = l4[at + 1] = 0;
	c = inet_csum(l4, l4len, ps);
	if (c == 0 && proto == 17)
		c = 0xffff;
	l4[at] = (uint8_t)(c >> 8), l4[at + 1] = (uint8_t)c;
}

void
frame_udp(struct frame *f, const char *src_mac, const char *dst_mac, int vlan, const char *src_ip,
	  const char *dst_ip, uint16_t sport, uint16_t dport, uint32_t len)
{
	uint8_t *p = f->data, *ip;
	uint16_t csum, l3len;

	memset(f, 0, sizeof(*f));
	f->len = len;
	put_mac(p, dst_mac);
	put_mac(p + 6, src_mac);
	p += 12;
	if (vlan >= 0) {
		*p++ = 0x81, *p++ = 0x00;
		*p++ = (vlan >> 8) & 0x0f, *p++ = vlan & 0xff;
	}
	*p++ = 0x08, *p++ = 0x00;
	ip = p;
	l3len = len - (ip - f->data);
	ip[0] = 0x45;
	ip[2] = l3len >> 8, ip[3] = l3len & 0xff;
	ip[8] = 64;
	ip[9] = 17;
	inet_pton(AF_INET, src_ip, ip + 12);
	inet_pton(AF_INET, dst_ip, ip + 16);
	csum = ip_csum(ip);
	ip[10] = csum >> 8, ip[11] = csum & 0xff;
	p = ip + 20;
	p[0] = sport >> 8, p[1] = sport & 0xff;
	p[2] = dport >> 8, p[3] = dport & 0xff;
	p[4] = (l3len - 20) >> 8, p[5] = (l3len - 20) & 0xff;
}

int
inst_port_counts(struct inst *in, const char *name, struct port_counts *pc)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__DumpPorts dp = SLUICE__DUMP_PORTS__INIT;
	Sluice__Reply *rep = NULL;
	char err[256];
	int rc;

	dp.name = (char *)name;
	req.cmd_case = SLUICE__REQUEST__CMD_DUMP_PORTS;
	req.dump_ports = &dp;
	rc = inst_call(in, &req, &rep, err, sizeof(err));
	if (rc != 0)
		return rc;
	cr_assert_eq(rep->n_port_stats, 1);
	pc->rx_packets = rep->port_stats[0]->rx_packets;
	pc->tx_packets = rep->port_stats[0]->tx_packets;
	pc->rx_dropped = rep->port_stats[0]->rx_dropped;
	pc->tx_dropped = rep->port_stats[0]->tx_dropped;
	pc->rx_qos_drops = rep->port_stats[0]->rx_qos_drops;
	pc->tx_qos_drops = rep->port_stats[0]->tx_qos_drops;
	sluice__reply__free_unpacked(rep, NULL);
	return 0;
}

int
inst_worker_counts(struct inst *in, int id, struct worker_counts *wc)
{
	Sluice__Reply *rep = NULL;
	char err[256];
	int rc;

	rc = inst_call_empty(in, SLUICE__REQUEST__CMD_PMD_STATS_SHOW, &rep, err, sizeof(err));
	if (rc != 0)
		return rc;
	cr_assert((size_t)id < rep->n_workers);
	wc->rx_packets = rep->workers[id]->rx_packets;
	wc->tx_packets = rep->workers[id]->tx_packets;
	wc->misses = rep->workers[id]->misses;
	wc->tx_dropped = rep->workers[id]->tx_dropped;
	wc->emc_hits = rep->workers[id]->emc_hits;
	wc->cls_hits = rep->workers[id]->cls_hits;
	wc->table_misses = rep->workers[id]->table_misses;
	wc->resubmit_limit = rep->workers[id]->resubmit_limit;
	wc->ttl_dropped = rep->workers[id]->ttl_dropped;
	wc->pcache_hits = rep->workers[id]->pcache_hits;
	wc->n_rxq = rep->workers[id]->n_rxq;
	wc->restarts = rep->workers[id]->restarts;
	wc->reclaimed_mbufs = rep->workers[id]->reclaimed_mbufs;
	wc->lost_mbufs = rep->workers[id]->lost_mbufs;
	wc->pid = rep->workers[id]->pid;
	snprintf(wc->state, sizeof(wc->state), "%s", sl_state_name(rep->workers[id]->state));
	sluice__reply__free_unpacked(rep, NULL);
	return 0;
}

int64_t
inst_mbufs_excess_free(struct inst *in)
{
	Sluice__Reply *rep = NULL;
	int64_t n = INT64_MAX;
	char err[256];

	cr_assert_eq(inst_call_empty(in, SLUICE__REQUEST__CMD_MEMPOOL_SHOW,
				     &rep, err, sizeof(err)), 0, "mempool-show: %s", err);
	for (size_t i = 0; i < rep->n_mempools; i++)
		if (strcmp(rep->mempools[i]->name, "sl_mbuf_pool") == 0)
			n = (int64_t)rep->mempools[i]->counted_free - rep->mempools[i]->size;
	sluice__reply__free_unpacked(rep, NULL);
	return n;
}

uint32_t
inst_mbufs_in_use(struct inst *in)
{
	Sluice__Reply *rep = NULL;
	uint32_t in_use = UINT32_MAX;
	char err[256];

	cr_assert_eq(inst_call_empty(in, SLUICE__REQUEST__CMD_MEMPOOL_SHOW,
				     &rep, err, sizeof(err)), 0, "mempool-show: %s", err);
	for (size_t i = 0; i < rep->n_mempools; i++)
		if (strcmp(rep->mempools[i]->name, "sl_mbuf_pool") == 0)
			in_use = rep->mempools[i]->in_use;
	sluice__reply__free_unpacked(rep, NULL);
	return in_use;
}

bool
inst_wait_worker(struct inst *in, int id, int timeout_ms)
{
	for (int i = 0; i < timeout_ms; i += 2) {
		if (worker_running(in, id))
			return true;
		usleep(2000);
	}
	return false;
}

char *
inst_flows_text(struct inst *in, const char *find, uint64_t *packets)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__FlowMod e = SLUICE__FLOW_MOD__INIT;
	Sluice__Reply *rep = NULL;
	char err[256], *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	req.cmd_case = SLUICE__REQUEST__CMD_DUMP_FLOWS;
	req.dump_flows = &e;
	cr_assert_eq(inst_call(in, &req, &rep, err, sizeof(err)), 0, "dump-flows: %s", err);
	for (size_t i = 0; i < rep->n_flows; i++) {
		fprintf(f, "%s\n", rep->flows[i]->text);
		if (find != NULL && strstr(rep->flows[i]->text, find) != NULL)
			*packets = rep->flows[i]->n_packets;
	}
	sluice__reply__free_unpacked(rep, NULL);
	fclose(f);
	return buf;
}

void
inst_add_pcap_port(struct inst *in, const char *name, int i, const char *rx, const char *tx,
		   uint32_t ofport)
{
	char devargs[512], err[512];

	if (access(inst_path(in, rx), F_OK) != 0)
		pcap_write_frames(inst_path(in, rx), NULL, 0);
	snprintf(devargs, sizeof(devargs), "net_pcap%d_%s,rx_pcap=%s,tx_pcap=%s", i, in->name,
		 inst_path(in, rx), inst_path(in, tx));
	cr_assert_eq(inst_add_port(in, name, devargs, ofport, err, sizeof(err)), 0,
		     "add-port %s: %s", name, err);
}

void
inst_set_option(struct inst *in, const char *key, const char *value)
{
	Sluice__Request req = SLUICE__REQUEST__INIT;
	Sluice__SetOption so = SLUICE__SET_OPTION__INIT;
	Sluice__Reply *rep = NULL;
	char err[256];

	so.key = (char *)key;
	so.value = (char *)value;
	req.cmd_case = SLUICE__REQUEST__CMD_SET_OPTION;
	req.set_option = &so;
	cr_assert_eq(inst_call(in, &req, &rep, err, sizeof(err)), 0, "set %s: %s", key, err);
	sluice__reply__free_unpacked(rep, NULL);
}

void
inst_del_ports(struct inst *in, const char *const *names, size_t n)
{
	char err[512];

	for (size_t i = 0; i < n; i++)
		cr_assert_eq(inst_del_port(in, names[i], err, sizeof(err)), 0, "del-port %s: %s",
			     names[i], err);
}

void
inst_expect_frames(struct inst *in, const char *file, const struct frame *want, size_t n)
{
	struct frame *got;
	size_t m = pcap_read_frames(inst_path(in, file), &got);

	cr_assert_eq(m, n, "%s: %zu frames, expected %zu", file, m, n);
	for (size_t i = 0; i < n; i++) {
		uint32_t k = 0;

		cr_assert_eq(got[i].len, want[i].len, "%s: frame %zu has %u bytes, not %u", file, i,
			     got[i].len, want[i].len);
		while (k < got[i].len && got[i].data[k] == want[i].data[k])
			k++;
		cr_assert_eq(k, got[i].len, "%s: frame %zu differs at byte %u (0x%02x, want 0x%02x)",
			     file, i, k, got[i].data[k], want[i].data[k]);
	}
	free(got);
}
