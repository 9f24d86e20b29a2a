/* SPDX-License-Identifier: BSD-3-Clause */
/* The primary's bonds (bond.c) and their commands (bond_ctl.c). */
#ifndef SL_PRIMARY_BOND_H
#define SL_PRIMARY_BOND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sl_values;
struct sl_bond_zone;

/* The bond zone and its rings; 0 or -ENOMEM. */
int sl_bonds_init(void);
struct sl_bond_zone *sl_bond_zone(void);

/* Device port @slot, about to be published with settings @cfg: a member if its bond= says so. */
void sl_bond_port_added(unsigned int slot, const struct sl_values *cfg);

/* Bond @name in @slot (type=bond), with its members (ports whose bond= names it): before it
 * is published.  -EINVAL with @err if it has fewer than two. */
int sl_bond_create(unsigned int slot, const char *name, const struct sl_values *cfg, char *err,
		   size_t errlen);
void sl_bond_destroy(unsigned int slot);

/* set-port on bond @slot: its bond settings become @cfg's (already checked by the settings'
 * rules), at once: LACP starts over if lacp= changed.  -EINVAL with @err if bond-primary
 * names no member. */
int sl_bond_reconfigure(unsigned int slot, const struct sl_values *cfg, char *err, size_t errlen);

/* Port @slot (a bond or a member) was unpublished. */
void sl_bond_port_removed(unsigned int slot);

/* Whether port slot @slot is a bond. */
bool sl_bond_is_bond(unsigned int slot);

/* The port slots of bond @slot's members into @slots (room for SL_BOND_MAX_MEMBERS); how many. */
unsigned int sl_bond_members(unsigned int slot, unsigned int *slots);

/* Housekeeping: links, LACP, and the choices the workers read. */
void sl_bond_tick(uint64_t now_ms);

/* Bridge thread: LACPDUs the primary queued for bridged member @slot, sent; how many. */
uint16_t sl_bond_bridge_tx(unsigned int slot);

/* The text of bond-show / lacp-show for bond @name ("" every bond) into a
 * malloc'd string; -ENOENT if there is no such bond. */
int sl_bond_show(const char *name, bool lacp, char **out);

/* bond-set-active-member, bond-enable-member, bond-disable-member. */
int sl_bond_member_cmd(const char *bond, const char *member, int what, char *err, size_t errlen);
enum { SL_BOND_CMD_ACTIVE, SL_BOND_CMD_ENABLE, SL_BOND_CMD_DISABLE };

#endif /* SL_PRIMARY_BOND_H */
