/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port settings and switch options, declared once.  Each is one line of
 * SL_PORT_SETTINGS or SL_OPTIONS: key, type, range, default, whether it may
 * change on a running port, help.  sluiced validates, persists, replays and
 * reconciles by walking these tables, the primary applies from them, and
 * `show` prints them in this order.  Values travel and are stored as
 * canonical text ("9000", "true"), parsed where they are used.
 *
 * Also here: the one check of port names and devargs that every process
 * applies, so the control side and the primary never disagree on them.
 */
#ifndef SL_SETTINGS_H
#define SL_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bond_conf.h"
#include "flow.h"

#define SL_QOS_CIR_MAX UINT64_C(1000000000000) /* bytes a second: 8 Tbit/s */
#define SL_INGRESS_BURST_DEFAULT 8000           /* kilobits, as Open vSwitch */

enum sl_setting_type {
	SL_SET_UINT, /* a number in [min, max] */
	SL_SET_BOOL, /* true or false */
	SL_SET_ENUM, /* one of choices, '|'-separated */
	SL_SET_TEXT, /* free text, checked and made canonical by the setting's check function */
};

/*
 * SL_SET_TEXT: check @value, write its canonical form to @canon; 0, or
 * -EINVAL with @err saying what is wrong (without the key: the caller
 * prefixes it).
 */
typedef int (*sl_setting_check_fn)(const char *value, char *canon, size_t canonlen, char *err,
				   size_t errlen);

enum sl_setting_flags {
	SL_SET_LIVE = 1 << 0,    /* may change while the port runs */
	SL_SET_RESTART = 1 << 1, /* applying it restarts the port (lossless for the others) */
	SL_SET_AT_START = 1 << 2, /* part of starting the port; the others follow the start */
};

/*
 * X(ID, "key", TYPE, min, max, "choices", check, "default", flags, "help")
 * choices: SL_SET_ENUM only; check: SL_SET_TEXT only (else NULL).
 */
#define SL_PORT_SETTINGS(X)                                                                  \
	X(MTU, "mtu", UINT, SL_MTU_MIN, SL_MTU_MAX, NULL, NULL, "1500", SL_SET_LIVE | SL_SET_AT_START, \
	  "largest IP packet the port sends and receives (bytes)")                            \
	X(N_RXQ, "n_rxq", UINT, 1, SL_MAX_RXQ, NULL, NULL, "1",                                     \
	  SL_SET_LIVE | SL_SET_RESTART | SL_SET_AT_START,                                     \
	  "receive queues (spread by RSS where the device has it)")                           \
	X(RX_FLOW_CTRL, "rx-flow-ctrl", BOOL, 0, 1, NULL, NULL, "false", SL_SET_LIVE,               \
	  "honour 802.3x pause frames from the link partner")                                 \
	X(TX_FLOW_CTRL, "tx-flow-ctrl", BOOL, 0, 1, NULL, NULL, "false", SL_SET_LIVE,               \
	  "send 802.3x pause frames when the port's rx queues fill")                          \
	X(FLOW_CTRL_AUTONEG, "flow-ctrl-autoneg", BOOL, 0, 1, NULL, NULL, "false", SL_SET_LIVE,     \
	  "negotiate flow control with the link partner")                                     \
	X(QOS, "qos", ENUM, 0, 0, "none|egress-policer", NULL, "none", SL_SET_LIVE,                 \
	  "egress QoS: egress-policer limits what the port sends to cir, bursts of cbs")       \
	X(CIR, "cir", UINT, 0, SL_QOS_CIR_MAX, NULL, NULL, "0", SL_SET_LIVE,                        \
	  "egress-policer rate (bytes a second, of frames less their 14-byte Ethernet header)") \
	X(CBS, "cbs", UINT, 0, UINT32_MAX, NULL, NULL, "0", SL_SET_LIVE,                            \
	  "egress-policer burst (bytes)")                                                     \
	X(INGRESS_POLICING_RATE, "ingress_policing_rate", UINT, 0, UINT32_MAX, NULL, NULL, "0",     \
	  SL_SET_LIVE, "police what the port receives to this rate (kbps; 0: no policer)")    \
	X(INGRESS_POLICING_BURST, "ingress_policing_burst", UINT, 0, UINT32_MAX, NULL, NULL, "0",   \
	  SL_SET_LIVE, "ingress policer burst (kilobits; 0: 8000)")                  \
	X(PMD_RXQ_AFFINITY, "pmd-rxq-affinity", TEXT, 0, 0, NULL, sl_rxq_affinity_check, "",        \
	  SL_SET_LIVE, "rx queues pinned to worker cores: QUEUE:CORE,... (0:3,1:7)")               \
	X(TYPE, "type", ENUM, 0, 0, "dpdk|dpdkvhostuser|dpdkvhostuserclient|bond", NULL, "dpdk", 0, \
	  "dpdk: the port is DEVARGS; dpdkvhostuser: sluice serves the vhost-user socket "       \
	  "RUNDIR/NAME; dpdkvhostuserclient: sluice connects to vhost-server-path (no DEVARGS); " \
	  "bond: made by add-bond")                                                            \
	X(VHOST_SERVER_PATH, "vhost-server-path", TEXT, 0, 0, NULL, sl_vhost_path_check, "", 0,     \
	  "type=dpdkvhostuserclient: the socket QEMU serves; sluice reconnects when it returns") \
	X(TX_RETRIES_MAX, "tx-retries-max", UINT, 0, 32, NULL, NULL, "8", SL_SET_LIVE,              \
	  "vhost-user ports: sends tried again while a guest's rx ring is full (OVS's)") \
	SL_BOND_PORT_SETTINGS(X)

#define SL_OPTIONS(X)                                                                        \
	X(EMC_INSERT_INV_PROB, "emc-insert-inv-prob", UINT, 0, UINT32_MAX, NULL, NULL, "100",        \
	  SL_SET_LIVE, "insert into the exact-match cache once in N misses (0: never)")        \
	X(MAC_AGING_TIME, "mac-aging-time", UINT, 1, 86400, NULL, NULL, "300", SL_SET_LIVE,          \
	  "seconds a learnt MAC address lives (NORMAL)")                                      \
	X(PMD_MAXSLEEP, "pmd-maxsleep", UINT, 0, 10000, NULL, NULL, "250", SL_SET_LIVE,              \
	  "longest sleep of an idle worker between polls of ports that cannot wake it "            \
	  "(microseconds; 0: busy-poll)")                                                        \
	X(PMD_CPU_MASK, "pmd-cpu-mask", TEXT, 0, 0, NULL, sl_cpu_mask_check, "", SL_SET_LIVE,        \
	  "cores that run a worker: mask 0x6 or list 1,2 (empty: --workers, --lcores)")         \
	X(PMD_RXQ_ASSIGN, "pmd-rxq-assign", ENUM, 0, 0, "cycles|roundrobin|group", NULL, "cycles",  \
	  SL_SET_LIVE, "how rx queues that are not pinned are spread over the workers")         \
	X(PMD_RXQ_ISOLATE, "pmd-rxq-isolate", BOOL, 0, 1, NULL, NULL, "true", SL_SET_LIVE,           \
	  "a worker with pinned queues polls only those (false: with group only)")              \
	X(PMD_AUTO_LB, "pmd-auto-lb", BOOL, 0, 1, NULL, NULL, "false", SL_SET_LIVE,                  \
	  "move rx queues when a worker stays overloaded")                                      \
	X(PMD_AUTO_LB_LOAD_THRESHOLD, "pmd-auto-lb-load-threshold", UINT, 0, 100, NULL, NULL, "95", \
	  SL_SET_LIVE, "auto-lb: a worker busier than this for a minute is overloaded (%)")     \
	X(PMD_AUTO_LB_IMPROVEMENT_THRESHOLD, "pmd-auto-lb-improvement-threshold", UINT, 0, 100,     \
	  NULL, NULL, "25", SL_SET_LIVE,                                                        \
	  "auto-lb: rebalance only if the load variance improves this much (%)")               \
	X(PMD_AUTO_LB_REBAL_INTERVAL, "pmd-auto-lb-rebal-interval", UINT, 0, 20000, NULL, NULL, "1", \
	  SL_SET_LIVE, "auto-lb: minutes between two checks (0: 1)")                          \
	X(CONTROLLER_RATE_LIMIT, "controller-rate-limit", UINT, 0, UINT32_MAX, NULL, NULL, "1000",  \
	  SL_SET_LIVE, "packet-ins a second the controller channel takes; more are dropped and " \
	  "counted (OVS's controller_rate_limit; 0: no limit)")                                 \
	X(CONTROLLER_BURST_LIMIT, "controller-burst-limit", UINT, 0, UINT32_MAX, NULL, NULL, "0",   \
	  SL_SET_LIVE, "packet-ins taken at once above the rate (OVS's controller_burst_limit; " \
	  "0: a quarter of the rate, at least 25)")

enum sl_port_setting_id {
#define SL_PS_ID(ID, ...) SL_PS_##ID,
	SL_PORT_SETTINGS(SL_PS_ID) SL_PS_COUNT
#undef SL_PS_ID
};

/* type= choices, by their index in its "dpdk|dpdkvhostuser|dpdkvhostuserclient". */
enum sl_port_type {
	SL_PORT_TYPE_DPDK,
	SL_PORT_TYPE_VHOST_USER,
	SL_PORT_TYPE_VHOST_USER_CLIENT,
	SL_PORT_TYPE_BOND,
};

/* Queue pairs a vhost-user port made by type= offers its guest (it uses what it enables). */
#define SL_VHOST_MAX_QUEUES 8

/* Longest path a Unix socket address holds (sun_path less its NUL). */
#define SL_SOCKET_PATH_MAX 107

/* qos= choices, by their index in its "none|egress-policer". */
enum sl_qos_type {
	SL_QOS_NONE,
	SL_QOS_EGRESS_POLICER,
};

enum sl_option_id {
#define SL_OPT_ID(ID, ...) SL_OPT_##ID,
	SL_OPTIONS(SL_OPT_ID) SL_OPT_COUNT
#undef SL_OPT_ID
};

struct sl_setting {
	const char *key;
	enum sl_setting_type type;
	uint64_t min, max;   /* SL_SET_UINT */
	const char *choices; /* SL_SET_ENUM: "a|b|c" */
	sl_setting_check_fn check; /* SL_SET_TEXT */
	const char *def;     /* canonical default */
	unsigned int flags;  /* enum sl_setting_flags */
	const char *help;
};

/*
 * Rules across the settings of one table (qos=X needs cir=...): 0, or
 * -EINVAL with @err naming what is missing.  Run on the whole new set of
 * values before anything is applied.
 */
struct sl_values;
typedef int (*sl_settings_check_fn)(const struct sl_values *vals, char *err, size_t errlen);

/* A table of settings: the port settings or the switch options. */
struct sl_settings {
	const char *what; /* "port setting", "option": for messages */
	const struct sl_setting *s;
	size_t n;
	sl_settings_check_fn check_all; /* NULL: no rule across settings */
};

extern const struct sl_settings sl_port_settings;
extern const struct sl_settings sl_options;

#define SL_MAX_SETTINGS 64
#define SL_VALUE_MAX 256

/* One value per setting of a table, and which of them were given. */
struct sl_values {
	uint64_t given; /* bit i: setting i was set explicitly */
	char v[SL_MAX_SETTINGS][SL_VALUE_MAX];
};

/* @t's rules across settings (check_all) on @vals: 0 or -EINVAL with @err set. */
int sl_values_check_all(const struct sl_settings *t, const struct sl_values *vals, char *err,
			size_t errlen);

/* Every value at its default, none given. */
void sl_values_init(struct sl_values *vals, const struct sl_settings *t);

/* Index of @key in @t, or -1. */
int sl_settings_find(const struct sl_settings *t, const char *key);

/*
 * Check @value for setting @id of @t and write its canonical text to
 * @canon.  Returns 0 or -EINVAL/-ERANGE with @err naming the setting, the
 * value and what it accepts.
 */
int sl_setting_check(const struct sl_settings *t, int id, const char *value, char *canon,
		     size_t canonlen, char *err, size_t errlen);

/*
 * Parse "KEY=VALUE", check it, store it in @vals as given.  Returns the
 * setting's index, or -errno with @err set ("unknown port setting "x"
 * (known: mtu, n_rxq)"); @vals is unchanged on error.
 */
int sl_values_set_kv(const struct sl_settings *t, struct sl_values *vals, const char *kv,
		     char *err, size_t errlen);

/* The value of setting @id as a number (UINT), 0/1 (BOOL) or choice index (ENUM). */
uint64_t sl_values_u64(const struct sl_settings *t, const struct sl_values *vals, int id);

/* "KEY=VALUE" of setting @id into @buf. */
void sl_values_kv(const struct sl_settings *t, const struct sl_values *vals, int id, char *buf,
		  size_t len);

/* What setting @id accepts, for help and errors: "68..9702", "true|false". */
void sl_setting_range(const struct sl_setting *s, char *buf, size_t len);

/*
 * A port name: 1..31 of [A-Za-z0-9_.-], starting with a letter (a leading
 * digit would be read as a port number in flows), not a reserved word of
 * the flow syntax.  Returns 0 or -EINVAL with @err saying why.
 */
int sl_port_name_check(const char *name, char *err, size_t errlen);

/*
 * The ofport of port @name, asked for as @ofport (0: none asked): the port
 * named after the bridge (SL_BRIDGE_NAME) is its local port and has
 * SL_OFPP_LOCAL, as OVS's Port br0 has; any other has 1..SL_OFPORT_MAX.
 * Returns the ofport (0: the caller picks the lowest free one) or -ERANGE
 * with @err saying why.
 */
int sl_port_ofport_check(const char *name, uint32_t ofport, char *err, size_t errlen);

/* Devargs: non-empty, no white space, at most SL_DEVARGS_MAX - 1 bytes. */
int sl_devargs_check(const char *devargs, char *err, size_t errlen);

/*
 * vhost-server-path (a SL_SET_TEXT check): an absolute path of at most
 * SL_SOCKET_PATH_MAX bytes with no comma (devargs' separator) and no white
 * space.
 */
int sl_vhost_path_check(const char *value, char *canon, size_t canonlen, char *err,
			size_t errlen);

/*
 * The devargs a port of type= other than dpdk is made of, into @out:
 * net_vhost_NAME,iface=RUNDIR/NAME (dpdkvhostuser) or
 * net_vhost_NAME,iface=PATH,client=1 (dpdkvhostuserclient); "" for
 * type=dpdk.  0, or -EINVAL/-ENAMETOOLONG with @err saying why.
 */
int sl_port_type_devargs(const char *name, const struct sl_values *vals, const char *rundir,
			 char *out, size_t len, char *err, size_t errlen);

/*
 * If @devargs is a vhost-user port (net_vhost, eth_vhost) with iface=, its
 * socket path into @path, *@client whether sluice connects (client=1):
 * returns 1; 0 for any other device.
 */
int sl_vhost_socket(const char *devargs, char *path, size_t len, bool *client);

#endif /* SL_SETTINGS_H */
