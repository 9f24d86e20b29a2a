/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Starting and cleaning one sluice instance for a system test: real
 * sluice-primary and sluice-worker processes with their own --file-prefix
 * and rundir, driven over the real ZeroMQ socket.  inst_stop() removes the
 * processes, hugepage files and run directories whether the test passed or
 * not; inst_start() also sweeps what a crashed earlier run left behind.
 */
#ifndef SL_TEST_INSTANCE_H
#define SL_TEST_INSTANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "msg.h"

#define INST_MAX_WORKERS 4

struct inst {
	char name[32];
	char rundir[128];  /* also holds the test's pcap files */
	char prefix[64];
	char endpoint[256];
	pid_t primary;
	pid_t workers[INST_MAX_WORKERS];
	int n_workers;
	void *zctx;
};

/* Start a primary and @n_workers workers (all workers on CPU 1; 0: one slot, no worker). */
void inst_start(struct inst *in, const char *name, int n_workers);

/* The same, with one more sluice-primary option (e.g. "--rebalance"). */
void inst_start_opt(struct inst *in, const char *name, int n_workers, const char *primary_opt);

/* Shut the instance down and remove every trace of it. */
void inst_stop(struct inst *in);

/* Start (or restart) worker @id. */
void inst_start_worker(struct inst *in, int id);

/* Start worker @id on lcore id @lcore_id, optionally with --takeover. */
void inst_start_worker_opt(struct inst *in, int id, int lcore_id, bool takeover);

/* Path of a file in the instance's directory. */
const char *inst_path(struct inst *in, const char *file);

/* Send one request; returns the reply status (0 ok) and the message in @err. */
int inst_call(struct inst *in, Sluice__Request *req, Sluice__Reply **rep, char *err,
	      size_t errlen);
/* inst_call of a request without arguments (@cmd: show, pmd-stats-show, ...). */
int inst_call_empty(struct inst *in, Sluice__Request__CmdCase cmd, Sluice__Reply **rep, char *err,
		    size_t errlen);

int inst_add_port(struct inst *in, const char *name, const char *devargs, uint32_t ofport,
		  char *err, size_t errlen);
int inst_add_port_rxq(struct inst *in, const char *name, const char *devargs, uint32_t ofport,
		      uint32_t n_rxq, char *err, size_t errlen);
int inst_del_port(struct inst *in, const char *name, char *err, size_t errlen);
/* set-port NAME with "KEY=VALUE" @settings. */
int inst_set_port(struct inst *in, const char *name, const char *const *settings, size_t n,
		  char *err, size_t errlen);
int inst_flows(struct inst *in, const char *verb, const char *const *flows, size_t n,
	       char *err, size_t errlen);

/* Sum of rx_packets over all workers. */
uint64_t inst_worker_rx(struct inst *in);

/* Wait until the workers have received @n packets; returns what they got. */
uint64_t inst_wait_rx(struct inst *in, uint64_t n, int timeout_ms);

/* A frame as the tests build and read them. */
struct frame {
	uint32_t len;
	uint8_t data[1600];
};

/* Write @n frames to a pcap file (n may be 0: an empty capture). */
void pcap_write_frames(const char *path, const struct frame *f, size_t n);

/* Read every frame of a pcap file; returns the count, frames malloc'd in *out. */
size_t pcap_read_frames(const char *path, struct frame **out);

/* Build an Ethernet(/802.1Q)/IPv4/UDP frame of @len bytes (>= 60). */
void frame_udp(struct frame *f, const char *src_mac, const char *dst_mac, int vlan,
	       const char *src_ip, const char *dst_ip, uint16_t sport, uint16_t dport,
	       uint32_t len);

/*
 * Recompute from nothing the IPv4 header checksum of the packet whose IPv4
 * header (20 bytes, no options) starts at byte @l3, and its TCP or UDP
 * checksum over the pseudo-header: frames built as a sender would.
 */
void frame_fix_checksums(struct frame *f, size_t l3);

/*
 * Add net_pcap port @name (@i makes its device name unique in the
 * instance) reading @rx and writing @tx in the instance's directory; an
 * @rx that does not exist yet is made empty.  Asserts success.
 */
void inst_add_pcap_port(struct inst *in, const char *name, int i, const char *rx, const char *tx,
			uint32_t ofport);

/* Set switch option @key (as `sluicectl set KEY=VALUE`) in the primary.  Asserts success. */
void inst_set_option(struct inst *in, const char *key, const char *value);

/* Delete ports @names (a pcap port's output file is flushed and closed). Asserts success. */
void inst_del_ports(struct inst *in, const char *const *names, size_t n);

/* Pcap file @file holds exactly @want[0..n), byte for byte, in order. */
void inst_expect_frames(struct inst *in, const char *file, const struct frame *want, size_t n);


/* Port counters as dump-ports reports them; returns 0 or the error status. */
struct port_counts {
	uint64_t rx_packets, tx_packets, rx_dropped, tx_dropped;
	uint64_t rx_qos_drops, tx_qos_drops;
};
int inst_port_counts(struct inst *in, const char *name, struct port_counts *pc);

/* Worker counters (pmd-stats-show) of worker @id. */
struct worker_counts {
	uint64_t rx_packets, tx_packets, misses, tx_dropped, emc_hits, cls_hits, n_rxq;
	uint64_t table_misses, resubmit_limit, ttl_dropped, pcache_hits;
	uint64_t restarts, reclaimed_mbufs, lost_mbufs;
	int pid;
	char state[16];
};
int inst_worker_counts(struct inst *in, int id, struct worker_counts *wc);

/*
 * dump-flows as text, one flow a line (malloc'd); if @find is not NULL,
 * *packets gets the counter of the flow whose text contains it.
 */
char *inst_flows_text(struct inst *in, const char *find, uint64_t *packets);

/* mbufs in use in the packet pool (mempool-show). */
uint32_t inst_mbufs_in_use(struct inst *in);

/* Free mbufs the packet pool counts (pool + caches) less its size: above 0, a double free. */
int64_t inst_mbufs_excess_free(struct inst *in);

/* Wait until worker @id is running with the pid we started; false on timeout. */
bool inst_wait_worker(struct inst *in, int id, int timeout_ms);

#endif /* SL_TEST_INSTANCE_H */
