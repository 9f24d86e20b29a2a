/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A bond's configuration, as port settings (common/settings.h): a bond is
 * a port of type=bond that carries Open vSwitch's bond and LACP settings,
 * and each of its members is a device port whose "bond" setting names it.
 * So the DB, replay and reconcile treat bonds as the ports they are; the
 * members are listed before their bond.  Defaults are Open vSwitch's
 * (vswitchd/vswitch.xml).
 */
#ifndef SL_BOND_CONF_H
#define SL_BOND_CONF_H

#include <stdbool.h>
#include <stddef.h>

#define SL_BOND_MAX_MEMBERS 8
#define SL_BOND_DEVARGS_PREFIX "sl_bond_"

/* X(ID, "key", TYPE, min, max, "choices", check, "default", flags, "help"), as SL_PORT_SETTINGS */
#define SL_BOND_PORT_SETTINGS(X)                                                             \
	X(BOND, "bond", TEXT, 0, 0, NULL, sl_bond_name_value_check, "", 0,                   \
	  "a bond member: the bond (type=bond port) it belongs to (set by add-bond)")        \
	X(BOND_MODE, "bond_mode", ENUM, 0, 0, "active-backup|balance-slb|balance-tcp", NULL, \
	  "active-backup", SL_SET_LIVE, "type=bond: how traffic is spread over the members") \
	X(LACP, "lacp", ENUM, 0, 0, "off|active|passive", NULL, "off", SL_SET_LIVE,          \
	  "type=bond: 802.1AX LACP (active sends LACPDUs; passive answers)")                 \
	X(LACP_TIME, "lacp-time", ENUM, 0, 0, "slow|fast", NULL, "slow", SL_SET_LIVE,        \
	  "type=bond: LACPDUs the partner is asked for every 30 s (slow) or 1 s (fast)")     \
	X(BOND_REBALANCE_INTERVAL, "bond-rebalance-interval", UINT, 0, 10000000, NULL, NULL, \
	  "10000", SL_SET_LIVE, "type=bond: ms between two rebalances of the hash buckets (0: never)") \
	X(BOND_UPDELAY, "bond_updelay", UINT, 0, UINT32_MAX, NULL, NULL, "0", SL_SET_LIVE,   \
	  "type=bond: ms a member's link must stay up before it carries traffic")            \
	X(BOND_DOWNDELAY, "bond_downdelay", UINT, 0, UINT32_MAX, NULL, NULL, "0", SL_SET_LIVE, \
	  "type=bond: ms a member's link must stay down before it stops carrying traffic")   \
	X(LACP_FALLBACK_AB, "lacp-fallback-ab", BOOL, 0, 1, NULL, NULL, "false", SL_SET_LIVE, \
	  "type=bond: without negotiated LACP fall back to active-backup (else drop)")       \
	X(BOND_PRIMARY, "bond-primary", TEXT, 0, 0, NULL, sl_bond_name_value_check, "", SL_SET_LIVE, \
	  "type=bond, active-backup: the member preferred as active while it is enabled")

/* bond_mode= choices, lacp= choices, lacp-time= choices, by index. */
enum sl_bond_mode { SL_BM_AB, SL_BM_SLB, SL_BM_TCP };
enum sl_lacp_mode { SL_LACP_OFF, SL_LACP_ACTIVE, SL_LACP_PASSIVE };
enum sl_lacp_time { SL_LACP_SLOW, SL_LACP_FAST };

struct sl_values;

/* "bond" and "bond-primary": empty or a port name. */
int sl_bond_name_value_check(const char *value, char *canon, size_t canonlen, char *err,
			     size_t errlen);

/* Rules across a port's settings: bond settings only on type=bond, a member is not a bond,
 * balance-tcp needs LACP or lacp-fallback-ab.  0 or -EINVAL with @err. */
int sl_bond_rules(const struct sl_values *vals, char *err, size_t errlen);

/* Whether setting @id is one of a bond's own (bond_mode, lacp, ...; not a member's bond=). */
bool sl_setting_is_bond(int id);

/* The devargs of bond @name (nothing is probed: "sl_bond_NAME"). */
int sl_bond_devargs(const char *name, char *out, size_t len, char *err, size_t errlen);

#endif /* SL_BOND_CONF_H */
