/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The connection table's owner: the primary makes it (an rte_hash with
 * lock-free readers and several writers, and the array of connections its
 * positions index), expires connections that outlived their protocol
 * state's timeout, and answers dump-conntrack, flush-conntrack and
 * ct-stats-show.  Workers add and look up (secondary/conntrack.c); only
 * the primary deletes.  A deleted key's position is given back to the hash
 * (and its connection zeroed) only after every worker has passed an RCU
 * quiescent state, so that no worker still reads or writes it.
 *
 * Connections are not persisted (OVS's are not either): a restarted
 * primary starts with an empty table; the flows come back from the DB.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_memzone.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "conntrack.h"
#include "primary.h"
#include "util.h"

#define SL_CT_SCAN_MS 1000

static struct sl_ct_zone *cz;
/* Positions deleted from the hash, waiting for a grace period (token). */
static uint32_t *pend;
static uint32_t n_pend;
static uint64_t pend_token;
static uint64_t last_scan_ms;

int
sl_ct_init(void)
{
	struct rte_hash_parameters hp = {
		.name = SL_CT_HASH_NAME,
		.entries = 2 * SL_CT_MAX_CONNS, /* room in the buckets: adds rarely fail */
		.key_len = sizeof(struct sl_ct_key),
		.socket_id = SOCKET_ID_ANY,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF |
			      RTE_HASH_EXTRA_FLAGS_MULTI_WRITER_ADD,
	};
	const struct rte_memzone *mz;
	int32_t max_id;

	mz = rte_memzone_reserve(SL_CT_ZONE_NAME, sizeof(*cz), SOCKET_ID_ANY, 0);
	if (mz == NULL)
		return -ENOMEM;
	cz = mz->addr;
	memset(cz, 0, sizeof(*cz));
	cz->h = rte_hash_create(&hp);
	if (cz->h == NULL)
		return -ENOMEM;
	max_id = rte_hash_max_key_id(cz->h);
	if (max_id < 0)
		return -EINVAL;
	cz->n_pos = (uint32_t)max_id + 1;
	cz->conns = rte_zmalloc("sluice_ct_conns", (size_t)cz->n_pos * sizeof(cz->conns[0]),
				RTE_CACHE_LINE_SIZE);
	pend = calloc(cz->n_pos, sizeof(*pend));
	if (cz->conns == NULL || pend == NULL)
		return -ENOMEM;
	return 0;
}

/* Take connection @pos out of the hash; its position is freed after a grace period. */
static void
unlink_conn(uint32_t pos)
{
	struct sl_ct_conn *c = &cz->conns[pos];

	/* Marked first: no scan picks it again, and a new connection with the
	 * same key (another position) is never taken for it. */
	__atomic_store_n(&c->used, 3, __ATOMIC_RELAXED);
	if (rte_hash_del_key_with_hash(cz->h, &c->key, c->hash) < 0)
		return; /* not there: leave the position alone */
	pend[n_pend++] = pos;
}

/* Give back the positions whose grace period is over. */
static void
reclaim(bool wait)
{
	if (n_pend == 0 || rte_rcu_qsbr_check(sl_p.shm->qsbr, pend_token, wait) != 1)
		return;
	for (uint32_t i = 0; i < n_pend; i++) {
		memset(&cz->conns[pend[i]], 0, sizeof(cz->conns[0]));
		rte_hash_free_key_with_position(cz->h, (int32_t)pend[i]);
	}
	n_pend = 0;
}

static uint32_t
count_live(void)
{
	uint32_t n = 0;

	for (uint32_t pos = 0; pos < cz->n_pos; pos++)
		n += __atomic_load_n(&cz->conns[pos].used, __ATOMIC_RELAXED) == 1;
	return n;
}

static bool
conn_expired(const struct sl_ct_conn *c, uint32_t now_s)
{
	uint32_t last = __atomic_load_n(&c->last_s, __ATOMIC_RELAXED);
	uint8_t st = __atomic_load_n(&c->pstate, __ATOMIC_RELAXED);

	return now_s - last > sl_ct_timeout(st) && now_s >= last;
}

/* Unlink every live connection @pick selects; returns how many. */
static uint32_t
unlink_where(bool (*pick)(const struct sl_ct_conn *c, const void *ctx), const void *ctx)
{
	uint32_t n = 0, before = n_pend;

	for (uint32_t pos = 0; pos < cz->n_pos; pos++) {
		const struct sl_ct_conn *c = &cz->conns[pos];

		if (__atomic_load_n(&c->used, __ATOMIC_ACQUIRE) != 1 || !pick(c, ctx))
			continue;
		unlink_conn(pos);
	}
	n = n_pend - before;
	if (n > 0)
		pend_token = rte_rcu_qsbr_start(sl_p.shm->qsbr);
	return n;
}

static bool
pick_expired(const struct sl_ct_conn *c, const void *ctx)
{
	return conn_expired(c, *(const uint32_t *)ctx);
}

void
sl_ct_expire(uint64_t now_ms)
{
	uint32_t now_s = __atomic_load_n(&sl_p.shm->coarse_now_s, __ATOMIC_RELAXED), live = 0;

	reclaim(false);
	/* One batch in flight at a time: the next scan waits for its grace period. */
	if (n_pend > 0 || now_ms - last_scan_ms < SL_CT_SCAN_MS)
		return;
	last_scan_ms = now_ms;
	__atomic_fetch_add(&cz->expired, unlink_where(pick_expired, &now_s), __ATOMIC_RELAXED);
	live = count_live();
	cz->n_live = live;
}

int
sl_ct_show_line(char **out)
{
	char line[128];

	snprintf(line, sizeof(line), "conntrack: %u connections (of %u), %" PRIu64 " expired",
		 count_live(), SL_CT_MAX_CONNS, __atomic_load_n(&cz->expired, __ATOMIC_RELAXED));
	*out = strdup(line);
	return *out != NULL ? 0 : -ENOMEM;
}

/* "zone=N" (or empty: every zone) into @zone (-1: all). */
static int
parse_zone_arg(const Sluice__Request *req, int32_t *zone, char *err, size_t errlen)
{
	const char *z = req->dump_conntrack != NULL && req->dump_conntrack->zone != NULL
				? req->dump_conntrack->zone
				: "";
	uint64_t v;

	*zone = -1;
	if (z[0] == '\0')
		return 0;
	if (strncmp(z, "zone=", 5) == 0)
		z += 5;
	if (sl_parse_u64(z, 0, UINT16_MAX, &v) < 0) {
		snprintf(err, errlen, "bad zone \"%s\" (zone=0..65535)", z);
		return -EINVAL;
	}
	*zone = (int32_t)v;
	return 0;
}

struct ct_text {
	char *buf;
	size_t len, cap;
};

static int
put(struct ct_text *t, const char *s)
{
	size_t n = strlen(s);

	if (t->len + n + 2 > t->cap) {
		size_t cap = (t->cap + n + 2) * 2;
		char *b = realloc(t->buf, cap);

		if (b == NULL)
			return -ENOMEM;
		t->buf = b;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, s, n + 1);
	t->len += n;
	return 0;
}

/* dump-conntrack [zone=N]: one line per connection, as ovs-appctl dpctl/dump-conntrack. */
static int
h_dump_conntrack(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	struct ct_text t = { NULL, 0, 0 };
	char line[512];
	int32_t zone;
	int rc = parse_zone_arg(req, &zone, err, errlen);

	if (rc < 0)
		return rc;
	if (put(&t, "") < 0)
		return -ENOMEM;
	for (uint32_t pos = 0; pos < cz->n_pos; pos++) {
		struct sl_ct_conn c = cz->conns[pos];

		if (__atomic_load_n(&cz->conns[pos].used, __ATOMIC_ACQUIRE) != 1 || c.used != 1 ||
		    (zone >= 0 && c.orig.zone != zone))
			continue;
		sl_ct_conn_format(&c, line, sizeof(line));
		if (put(&t, line) < 0 || put(&t, "\n") < 0) {
			free(t.buf);
			return -ENOMEM;
		}
	}
	if (t.len > 0 && t.buf[t.len - 1] == '\n')
		t.buf[--t.len] = '\0';
	rep->message = t.buf;
	return 0;
}
SL_REQ_HANDLER(sl_primary_handlers, DUMP_CONNTRACK, h_dump_conntrack)

static bool
pick_zone(const struct sl_ct_conn *c, const void *ctx)
{
	int32_t zone = *(const int32_t *)ctx;

	return zone < 0 || c->orig.zone == zone;
}

/* flush-conntrack [zone=N]: no packet finds them once this returns. */
static int
h_flush_conntrack(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	char msg[96];
	int32_t zone;
	uint32_t n;
	int rc = parse_zone_arg(req, &zone, err, errlen);

	if (rc < 0)
		return rc;
	n = unlink_where(pick_zone, &zone);
	cz->flushed += n;
	/* Positions come back after a grace period (housekeeping): waiting
	 * here could wait on a hung worker the main loop is to deal with. */
	cz->n_live = count_live();
	snprintf(msg, sizeof(msg), "%u connections flushed", n);
	rep->message = strdup(msg);
	return 0;
}
SL_REQ_HANDLER(sl_primary_handlers, FLUSH_CONNTRACK, h_flush_conntrack)

/* ct-stats-show: connections by protocol, then what each worker's ct() did. */
static int
h_ct_stats_show(const Sluice__Request *req, Sluice__Reply *rep, char *err, size_t errlen)
{
	uint32_t tcp = 0, udp = 0, icmp = 0, other = 0;
	struct ct_text t = { NULL, 0, 0 };
	char line[256];

	(void)req;
	(void)err;
	(void)errlen;
	for (uint32_t pos = 0; pos < cz->n_pos; pos++) {
		const struct sl_ct_conn *c = &cz->conns[pos];

		if (__atomic_load_n(&c->used, __ATOMIC_ACQUIRE) != 1)
			continue;
		if (c->orig.proto == 6)
			tcp++;
		else if (c->orig.proto == 17)
			udp++;
		else if (c->orig.proto == 1 || c->orig.proto == 58)
			icmp++;
		else
			other++;
	}
	snprintf(line, sizeof(line),
		 "connections: %u (of %u): tcp %u, udp %u, icmp %u, other %u; expired %" PRIu64
		 ", flushed %" PRIu64 "\n",
		 tcp + udp + icmp + other, SL_CT_MAX_CONNS, tcp, udp, icmp, other, cz->expired,
		 cz->flushed);
	if (put(&t, line) < 0)
		return -ENOMEM;
	for (unsigned int w = 0; w < SL_MAX_WORKERS && w < sl_p.n_workers; w++) {
		const struct sl_ct_wstats *ws = &cz->ws[w];

		snprintf(line, sizeof(line),
			 "worker %u: packets %" PRIu64 ", commits %" PRIu64 ", invalid %" PRIu64
			 ", table full %" PRIu64 "\n",
			 w, __atomic_load_n(&ws->packets, __ATOMIC_RELAXED),
			 __atomic_load_n(&ws->commits, __ATOMIC_RELAXED),
			 __atomic_load_n(&ws->invalid, __ATOMIC_RELAXED),
			 __atomic_load_n(&ws->full, __ATOMIC_RELAXED));
		if (put(&t, line) < 0) {
			free(t.buf);
			return -ENOMEM;
		}
	}
	if (t.len > 0 && t.buf[t.len - 1] == '\n')
		t.buf[--t.len] = '\0';
	rep->message = t.buf;
	return 0;
}
SL_REQ_HANDLER(sl_primary_handlers, CT_STATS_SHOW, h_ct_stats_show)
