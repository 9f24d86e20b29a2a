/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bond_conf.h"
#include "settings.h"

int
sl_bond_name_value_check(const char *value, char *canon, size_t canonlen, char *err,
			 size_t errlen)
{
	if (value[0] != '\0' && sl_port_name_check(value, err, errlen) < 0)
		return -EINVAL;
	snprintf(canon, canonlen, "%s", value);
	return 0;
}

/* The settings of a bond itself (not of its members). */
static const int bond_ids[] = { SL_PS_BOND_MODE,	 SL_PS_LACP,	     SL_PS_LACP_TIME,
				SL_PS_BOND_REBALANCE_INTERVAL, SL_PS_BOND_UPDELAY,
				SL_PS_BOND_DOWNDELAY, SL_PS_LACP_FALLBACK_AB, SL_PS_BOND_PRIMARY };

bool
sl_setting_is_bond(int id)
{
	for (size_t i = 0; i < sizeof(bond_ids) / sizeof(bond_ids[0]); i++)
		if (bond_ids[i] == id)
			return true;
	return false;
}

/* Bond settings given on a port that is not a bond. */
static int
only_on_bonds(const struct sl_values *vals, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(bond_ids) / sizeof(bond_ids[0]); i++)
		if (vals->given & (UINT64_C(1) << bond_ids[i])) {
			snprintf(err, errlen, "%s is a bond setting (add-bond, or a port of type=bond)",
				 sl_port_settings.s[bond_ids[i]].key);
			return -EINVAL;
		}
	return 0;
}

int
sl_bond_rules(const struct sl_values *vals, char *err, size_t errlen)
{
	bool bond = sl_values_u64(&sl_port_settings, vals, SL_PS_TYPE) == SL_PORT_TYPE_BOND;

	if (!bond)
		return only_on_bonds(vals, err, errlen);
	if (vals->v[SL_PS_BOND][0] != '\0') {
		snprintf(err, errlen, "a bond cannot be a member of another bond");
		return -EINVAL;
	}
	if (sl_values_u64(&sl_port_settings, vals, SL_PS_BOND_MODE) == SL_BM_TCP &&
	    sl_values_u64(&sl_port_settings, vals, SL_PS_LACP) == SL_LACP_OFF &&
	    !sl_values_u64(&sl_port_settings, vals, SL_PS_LACP_FALLBACK_AB)) {
		snprintf(err, errlen, "bond_mode=balance-tcp needs lacp=active|passive "
				      "(or lacp-fallback-ab=true), as in Open vSwitch");
		return -EINVAL;
	}
	return 0;
}

int
sl_bond_devargs(const char *name, char *out, size_t len, char *err, size_t errlen)
{
	int n = snprintf(out, len, SL_BOND_DEVARGS_PREFIX "%s", name);

	if (n < 0 || (size_t)n >= len) {
		snprintf(err, errlen, "bond name too long");
		return -ENAMETOOLONG;
	}
	return 0;
}
