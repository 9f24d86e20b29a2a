/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The request vocabulary, declared once.  Every verb sluicectl offers is
 * one line of SL_VERBS: its name, the request (oneof member of
 * sluice.Request) it sends, how sluiced treats it, its arguments, usage and
 * help.  sluicectl parses arguments, prints --help and picks its printer
 * from here; sluiced dispatches, decides what is read-only, what is
 * persisted and what goes to the primary from here; the primary registers
 * its handlers against the same request cases.  A new verb that only
 * passes through to the primary is one line here and one handler there.
 *
 * Handlers are registered next to their code with SL_REQ_HANDLER (below):
 * no process keeps a table of them in step by hand.
 */
#ifndef SL_VERBS_H
#define SL_VERBS_H

#include <stdbool.h>
#include <stddef.h>

#include "sluice.pb-c.h"

/* How sluiced treats a request. */
enum sl_verb_flags {
	SL_VERB_READ = 1 << 0,    /* changes nothing: served at once, retried safely */
	SL_VERB_PERSIST = 1 << 1, /* changes the config DB: sluiced has a handler */
	SL_VERB_PRIMARY = 1 << 2, /* answered by the primary (sluiced forwards it) */
	SL_VERB_DAEMON = 1 << 3,  /* answered by sluiced itself */
	SL_VERB_BRIDGE = 1 << 4,  /* may start with the bridge's name, as ovs-ofctl's do */
	SL_VERB_ANYTIME = 1 << 5, /* read answered even while a change runs (the primary's
				   * read thread, primary/reads.c) */
	SL_VERB_FLOWS = 1 << 6,   /* touches the primary's flow table only: runs beside
				   * the ANYTIME reads */
};

/* The one bridge a sluice instance is, by the name OVS users give theirs. */
#define SL_BRIDGE_NAME "br0"

/*
 * X(ident, "name", REQUEST_CASE, flags, min_args, max_args, "usage", "help")
 * max_args -1: any number.  Several verbs may share a request (add-flow and
 * add-flows); the first one listed is the request's canonical verb.
 */
#define SL_VERBS(X)                                                                              \
	X(show, "show", SHOW, SL_VERB_READ | SL_VERB_PRIMARY | SL_VERB_ANYTIME, 0, 0, "",                          \
	  "ports, workers, options, process state")                                             \
	X(add_port, "add-port", ADD_PORT, SL_VERB_PERSIST | SL_VERB_PRIMARY, 2, -1,              \
	  "NAME DEVARGS|type=TYPE [ofport=N] [KEY=VALUE...]",                                  \
	  "attach a port (hotplug) with settings; type=dpdkvhostuser[client]: a vhost-user port; " \
	  "the port named " SL_BRIDGE_NAME " is the bridge's local port (ofport LOCAL, 65534)")    \
	X(del_port, "del-port", DEL_PORT, SL_VERB_PERSIST | SL_VERB_PRIMARY, 1, 1, "NAME",       \
	  "detach a port")                                                                      \
	X(set_port, "set-port", SET_PORT, SL_VERB_PERSIST | SL_VERB_PRIMARY, 2, -1,              \
	  "NAME KEY=VALUE...", "change port settings (see --help settings)")                     \
	X(add_flow, "add-flow", ADD_FLOWS, SL_VERB_PERSIST | SL_VERB_PRIMARY | SL_VERB_BRIDGE | SL_VERB_FLOWS, 1, 1, "FLOW",      \
	  "add or replace one flow (ovs-ofctl syntax)")                                         \
	X(add_flows, "add-flows", ADD_FLOWS, SL_VERB_PERSIST | SL_VERB_PRIMARY | SL_VERB_BRIDGE | SL_VERB_FLOWS, 1, 1, "FILE|-",  \
	  "add flows, one a line ('#' comments)")                                               \
	X(del_flows, "del-flows", DEL_FLOWS, SL_VERB_PERSIST | SL_VERB_PRIMARY | SL_VERB_BRIDGE | SL_VERB_FLOWS, 0, 2,            \
	  "[MATCH [--strict]]", "delete flows the match covers (all without one)")              \
	X(mod_flows, "mod-flows", MOD_FLOWS, SL_VERB_PERSIST | SL_VERB_PRIMARY | SL_VERB_BRIDGE | SL_VERB_FLOWS, 1, 2,            \
	  "FLOW [--strict]", "new actions for the flows FLOW's match covers, counters kept")    \
	X(replace_flows, "replace-flows", REPLACE_FLOWS, SL_VERB_PERSIST | SL_VERB_PRIMARY | SL_VERB_BRIDGE | SL_VERB_FLOWS, 1, 1, \
	  "FILE|-", "make the flow table exactly FILE's flows")                                 \
	X(dump_flows, "dump-flows", DUMP_FLOWS, SL_VERB_READ | SL_VERB_PRIMARY | SL_VERB_BRIDGE | SL_VERB_FLOWS, 0, 4,            \
	  "[MATCH] [--strict] [--no-stats] [--names]", "flows with n_packets, n_bytes")         \
	X(dump_aggregate, "dump-aggregate", DUMP_AGGREGATE, SL_VERB_READ | SL_VERB_PRIMARY | SL_VERB_BRIDGE | SL_VERB_FLOWS, 0, 2, \
	  "[MATCH [--strict]]", "packets, bytes and flows the match covers, summed")            \
	X(diff_flows, "diff-flows", DIFF_FLOWS, SL_VERB_READ | SL_VERB_DAEMON, 1, 2,               \
	  "SOURCE [SOURCE]", "flows that differ: each SOURCE a FILE or br0 (the switch)")      \
	X(dump_ports, "dump-ports", DUMP_PORTS, SL_VERB_READ | SL_VERB_PRIMARY | SL_VERB_BRIDGE | SL_VERB_ANYTIME, 0, 2,            \
	  "[--xstats] [NAME]", "rx/tx packets, bytes, drops, errors; per queue; extended")      \
	X(pmd_stats_show, "pmd-stats-show", PMD_STATS_SHOW, SL_VERB_READ | SL_VERB_PRIMARY | SL_VERB_ANYTIME, 0, 0, \
	  "", "per worker: packets, cache hits, cycles")                                        \
	X(pmd_stats_clear, "pmd-stats-clear", PMD_STATS_CLEAR, SL_VERB_PRIMARY, 0, 0, "",        \
	  "zero the per-worker statistics")                                                     \
	X(pmd_rxq_show, "pmd-rxq-show", PMD_RXQ_SHOW, SL_VERB_READ | SL_VERB_PRIMARY, 0, 4,      \
	  "[-pmd CORE] [-secs N]", "which worker polls which rx queue, usage over N s")         \
	X(worker_list, "worker-list", WORKER_LIST, SL_VERB_READ | SL_VERB_PRIMARY | SL_VERB_ANYTIME, 0, 0, "",     \
	  "workers: pid, lcore, state, restarts, reason")                                       \
	X(worker_restart, "worker-restart", WORKER_RESTART, SL_VERB_DAEMON, 1, 1, "ID|--all",    \
	  "planned restart (or upgrade): a new process takes over, no loss")                    \
	X(mempool_show, "mempool-show", MEMPOOL_SHOW, SL_VERB_READ | SL_VERB_PRIMARY, 0, 0, "",  \
	  "mbuf pools: size, available, in use")                                                \
	X(set, "set", SET_OPTION, SL_VERB_PERSIST | SL_VERB_PRIMARY, 1, 1, "OPTION=VALUE",       \
	  "set a switch option (see --help settings)")                                          \
	X(shutdown, "shutdown", SHUTDOWN, SL_VERB_DAEMON, 0, 0, "",                              \
	  "stop the whole instance cleanly")                                                    \
	X(qos_show, "qos-show", QOS_SHOW, SL_VERB_READ | SL_VERB_PRIMARY, 1, 1, "NAME",         \
	  "a port's QoS: type, cir, cbs")                                                       \
	X(qos_clear, "qos-clear", QOS_CLEAR, SL_VERB_PERSIST | SL_VERB_PRIMARY, 1, 1, "NAME",   \
	  "remove a port's QoS (qos=none, cir and cbs unset)")                                  \
	X(add_meter, "add-meter", ADD_METER, SL_VERB_PERSIST | SL_VERB_PRIMARY, 1, -1, "METER", \
	  "add an OpenFlow meter (ovs-ofctl meter syntax)")                                     \
	X(mod_meter, "mod-meter", MOD_METER, SL_VERB_PERSIST | SL_VERB_PRIMARY, 1, -1, "METER", \
	  "change a meter (its buckets refill, its counters restart)")                          \
	X(del_meters, "del-meters", DEL_METERS, SL_VERB_PERSIST | SL_VERB_PRIMARY, 0, 1,         \
	  "[METER]", "delete a meter (all without one) and the flows that use it")             \
	X(dump_meters, "dump-meters", DUMP_METERS, SL_VERB_READ | SL_VERB_PRIMARY, 0, 1,         \
	  "[METER]", "meters and their bands")                                                  \
	X(add_group, "add-group", ADD_GROUP, SL_VERB_PERSIST | SL_VERB_PRIMARY | SL_VERB_BRIDGE, 1, 1, "GROUP", \
	  "add an OpenFlow group (ovs-ofctl group syntax)")                                     \
	X(mod_group, "mod-group", MOD_GROUP, SL_VERB_PERSIST | SL_VERB_PRIMARY | SL_VERB_BRIDGE, 1, 1, "GROUP", \
	  "change a group's type and buckets (its counters restart)")                          \
	X(del_groups, "del-groups", DEL_GROUPS, SL_VERB_PERSIST | SL_VERB_PRIMARY | SL_VERB_BRIDGE, 0, 1,      \
	  "[GROUP]", "delete a group (all without one); refused while a flow uses it")          \
	X(dump_groups, "dump-groups", DUMP_GROUPS, SL_VERB_READ | SL_VERB_PRIMARY | SL_VERB_BRIDGE, 0, 1,      \
	  "[GROUP]", "groups and their buckets")                                                \
	X(dump_group_stats, "dump-group-stats", DUMP_GROUP_STATS, SL_VERB_READ | SL_VERB_PRIMARY | SL_VERB_BRIDGE, 0, 1, \
	  "[GROUP]", "per group and bucket: packets and bytes")                                 \
	X(meter_stats, "meter-stats", METER_STATS, SL_VERB_READ | SL_VERB_PRIMARY, 0, 1,         \
	  "[METER]", "per meter and band: packets and bytes")                                  \
	X(detach, "detach", DETACH, SL_VERB_PRIMARY, 1, 1, "DEVARGS",                            \
	  "detach a device no port uses (left attached by del-port)")                                  \
	X(pmd_rxq_rebalance, "pmd-rxq-rebalance", PMD_RXQ_REBALANCE, SL_VERB_PRIMARY, 0, 0, "",  \
	  "assign the rx queues to the workers again, by their measured cycles")           \
	X(add_bond, "add-bond", ADD_BOND, SL_VERB_PERSIST | SL_VERB_DAEMON, 3, -1,                  \
	  "NAME MEMBER DEVARGS MEMBER DEVARGS... [bond_mode=M] [lacp=off|active|passive] [KEY=VALUE...]", \
	  "add a bond of device ports (Open vSwitch's bond and LACP settings)")                 \
	X(del_bond, "del-bond", DEL_BOND, SL_VERB_PERSIST | SL_VERB_DAEMON, 1, 1, "NAME",           \
	  "delete a bond and its members")                                                      \
	X(bond_show, "bond-show", BOND_SHOW, SL_VERB_READ | SL_VERB_PRIMARY, 0, 1, "[NAME]",          \
	  "bonds: mode, members enabled and active, hash buckets and their load")               \
	X(lacp_show, "lacp-show", LACP_SHOW, SL_VERB_READ | SL_VERB_PRIMARY, 0, 1, "[NAME]",          \
	  "LACP of bonds: actor and partner of every member")                                   \
	X(bond_set_active_member, "bond-set-active-member", BOND_SET_ACTIVE_MEMBER, SL_VERB_PRIMARY, 2, 2, \
	  "NAME MEMBER", "active-backup: make MEMBER the active member (if it is enabled)")      \
	X(bond_enable_member, "bond-enable-member", BOND_ENABLE_MEMBER, SL_VERB_PRIMARY, 2, 2,       \
	  "NAME MEMBER", "let MEMBER carry traffic again (its link and LACP permitting)")        \
	X(bond_disable_member, "bond-disable-member", BOND_DISABLE_MEMBER, SL_VERB_PRIMARY, 2, 2,    \
	  "NAME MEMBER", "stop MEMBER carrying traffic")                                        \
	X(dump_conntrack, "dump-conntrack", DUMP_CONNTRACK, SL_VERB_READ | SL_VERB_PRIMARY, 0, 1,     \
	  "[zone=N]", "tracked connections: protocol, both tuples, zone, mark, labels, state")  \
	X(flush_conntrack, "flush-conntrack", FLUSH_CONNTRACK, SL_VERB_PRIMARY, 0, 1, "[zone=N]",   \
	  "delete every tracked connection (of one zone)")                                      \
	X(ct_stats_show, "ct-stats-show", CT_STATS_SHOW, SL_VERB_READ | SL_VERB_PRIMARY, 0, 0, "",    \
	  "connections by protocol; per worker: packets through ct, commits, invalid")           \
	X(packet_in_show, "packet-in-show", PACKET_IN_SHOW, SL_VERB_READ | SL_VERB_PRIMARY, 0, 3,    \
	  "[--since SEQ] [--follow]",                                                           \
	  "packet-ins the controller action sent (the last 1024), as ovs-ofctl monitor prints them") \
	X(packet_in_stats, "packet-in-stats", PACKET_IN_STATS, SL_VERB_READ | SL_VERB_PRIMARY, 0, 0, "", \
	  "packet-ins: received, rate-limited, dropped on full rings, kept")

struct sl_verb {
	const char *name;
	Sluice__Request__CmdCase cmd;
	unsigned int flags; /* enum sl_verb_flags */
	int min_args;
	int max_args;
	const char *usage;
	const char *help;
};

enum sl_verb_id {
#define SL_VERB_ID(id, ...) SL_VERB_##id,
	SL_VERBS(SL_VERB_ID)
#undef SL_VERB_ID
	SL_N_VERBS
};

/* Every verb, in SL_VERBS order. */
extern const struct sl_verb sl_verbs[SL_N_VERBS];

/* The verb called @name, or NULL. */
const struct sl_verb *sl_verb_by_name(const char *name);

/* The canonical verb of request case @cmd, or NULL (internal or unknown). */
const struct sl_verb *sl_verb_of_cmd(Sluice__Request__CmdCase cmd);

/* True if @req is a client request whose verb has one of @flags (SL_VERB_READ ...). */
bool sl_request_is(const Sluice__Request *req, unsigned int flags);

/* The verb of @req, or NULL; for messages ("add-flows"). */
const char *sl_request_name(const Sluice__Request *req);

/* Request cases are field numbers of sluice.Request: all below this. */
#define SL_CMD_SLOTS 128

/*
 * Register @fn as this process's handler of request @CMD in @table (an
 * array of SL_CMD_SLOTS handler pointers), from a constructor, so that the
 * handler and its registration sit together.
 */
#define SL_REQ_HANDLER(table, CMD, fn)                                            \
	_Static_assert(SLUICE__REQUEST__CMD_##CMD < SL_CMD_SLOTS, "SL_CMD_SLOTS");  \
	static void __attribute__((constructor)) sl_register_##fn(void)            \
	{                                                                         \
		(table)[SLUICE__REQUEST__CMD_##CMD] = (fn);                         \
	}

#endif /* SL_VERBS_H */
