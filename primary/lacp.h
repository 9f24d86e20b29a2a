/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * LACP (IEEE 802.1AX) for one bond member, as Open vSwitch runs it: the
 * receive machine (current -> expired -> defaulted on a silent partner),
 * periodic transmission at the rate the partner asks for, and selection
 * (a member is attached when its partner is the bond's lead partner).
 */
#ifndef SL_PRIMARY_LACP_H
#define SL_PRIMARY_LACP_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>

#define SL_LACP_STATE_ACT 0x01
#define SL_LACP_STATE_TIME 0x02
#define SL_LACP_STATE_AGG 0x04
#define SL_LACP_STATE_SYNC 0x08
#define SL_LACP_STATE_COL 0x10
#define SL_LACP_STATE_DIST 0x20
#define SL_LACP_STATE_DEF 0x40
#define SL_LACP_STATE_EXP 0x80

#define SL_LACP_FAST_MS 1000
#define SL_LACP_SLOW_MS 30000
#define SL_LACP_RX_MULT 3
#define SL_LACP_SYS_PRIORITY 65534 /* Open vSwitch's lacp-system-priority default */
#define SL_LACP_PORT_PRIORITY 65535
#define SL_LACP_PDU_LEN 110 /* after the Ethernet header */

enum sl_lacp_status { SL_LACP_CURRENT, SL_LACP_EXPIRED, SL_LACP_DEFAULTED };

/* One side's information in a LACPDU, host order. */
struct sl_lacp_info {
	uint16_t sys_priority;
	struct rte_ether_addr sys_id;
	uint16_t key;
	uint16_t port_priority;
	uint16_t port_id;
	uint8_t state;
};

/* What a bond's LACP is (shared by its members). */
struct sl_lacp {
	bool active;
	bool fast;
	bool fallback_ab;
	bool negotiated;
	uint16_t sys_priority;
	struct rte_ether_addr sys_id;
	uint16_t key;
	unsigned int n_members;
};

struct sl_lacp_member {
	enum sl_lacp_status status;
	bool attached;
	uint16_t port_id;
	uint16_t port_priority;
	struct sl_lacp_info partner;
	struct sl_lacp_info ntt_actor; /* what we last sent */
	uint64_t rx_deadline_ms;       /* status degrades when this passes */
	uint64_t tx_due_ms;            /* next periodic LACPDU */
	uint64_t rx_pdus, rx_bad, tx_pdus;
};

/* A member starting out: defaulted, nothing sent. */
void sl_lacp_member_init(struct sl_lacp_member *m, uint16_t port_id);

/* Parse a slow-protocol frame of @len bytes (Ethernet header included) into @m: 0, or
 * -EINVAL (not a LACPDU, counted as bad).  @changed: the partner's information moved. */
int sl_lacp_rx(const struct sl_lacp *l, struct sl_lacp_member *m, const uint8_t *frame,
	       uint32_t len, uint64_t now_ms, bool *changed);

/* The rx timer: current -> expired -> defaulted.  True if the status changed. */
bool sl_lacp_timers(struct sl_lacp_member *m, uint64_t now_ms);

/* Selection over a bond's members (Open vSwitch's lacp_update_attached); sets l->negotiated. */
void sl_lacp_select(struct sl_lacp *l, struct sl_lacp_member **ms, unsigned int n);

/* What we tell the partner about member @m. */
void sl_lacp_actor(const struct sl_lacp *l, const struct sl_lacp_member *m,
		   struct sl_lacp_info *a);

/* Whether @m may carry traffic as LACP sees it. */
bool sl_lacp_may_enable(const struct sl_lacp *l, const struct sl_lacp_member *m);

/* If @m is due a LACPDU (timer, or what we say changed), compose it into @frame
 * (14 + SL_LACP_PDU_LEN bytes, source @src) and return true; the timer restarts. */
bool sl_lacp_tx_due(const struct sl_lacp *l, struct sl_lacp_member *m, uint64_t now_ms,
		    const struct rte_ether_addr *src, uint8_t *frame);

/* " activity timeout aggregation ..." of @state into @buf. */
void sl_lacp_state_text(uint8_t state, char *buf, size_t len);

#endif /* SL_PRIMARY_LACP_H */
