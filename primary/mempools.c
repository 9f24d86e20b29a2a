/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mbuf pools, as Open vSwitch's shared memory model keeps them: one pool
 * per buffer size (the MTU's largest frame rounded up to 1 KiB, plus
 * headroom), shared by every port whose MTU rounds to that size, made when
 * the first such port needs it and freed when the last one has left and
 * every mbuf is back.
 *
 * Unlike OVS, a pool knows what its users need (sl_port_mbuf_need(): rx
 * descriptors, what the device keeps, bursts in flight) and admits a port
 * only if that fits beside the others; otherwise the port gets a further
 * pool of the same size.  A pool cannot grow, so this is how the mbufs of
 * one size grow with the ports that use them.  A device that keeps mbufs
 * for good (net_pcap's infinite_rx holds its whole file) gets a pool of its
 * own, sized for what it holds: it would starve every other user.
 *
 * Freeing: the last user leaves after it was unpublished and a grace period
 * passed, so no worker polls it; mbufs may still sit in other ports' tx
 * queues, bridge rings or worker caches.  The pool is freed only once
 * rte_mempool_full() (which counts every lcore's cache) has said so twice,
 * one housekeeping pass apart.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>

#include "primary.h"

#define SL_BASE_POOL_NAME "sl_mbuf_pool"
#define SL_MAX_POOLS (2 * SL_MAX_PORTS)
#define SL_POOL_MIN_MBUFS 4095u   /* smallest shared pool made on demand */
#define SL_POOL_BIG_CACHE 256u    /* per-lcore cache of pools of 16k mbufs or more */
#define SL_POOL_SMALL_CACHE 64u

enum sl_pool_kind {
	SL_POOL_BASE,   /* made at start (--mbufs), never freed */
	SL_POOL_SHARED, /* made on demand for a buffer size */
	SL_POOL_OWN,    /* one port's alone */
};

static const char *const kind_names[] = { "base", "shared", "own" };

struct sl_pool {
	struct rte_mempool *mp; /* NULL: unused entry */
	enum sl_pool_kind kind;
	uint32_t buf_size;  /* data room of each mbuf, headroom included */
	uint32_t n_mbufs;
	uint32_t reserved;  /* what its users need, summed */
	uint32_t held;      /* own pool: mbufs its device keeps */
	uint32_t users;     /* port slots, one bit each */
	uint32_t need[SL_MAX_PORTS];
	bool retiring;
	uint8_t full_seen;  /* housekeeping passes that found every mbuf back */
	uint64_t token;     /* RCU token taken when the last user left */
};

static struct sl_pool pools[SL_MAX_POOLS];
static unsigned int pool_seq;

_Static_assert(SL_MAX_PORTS <= 32, "users is a 32-bit mask");

uint32_t
sl_mbuf_buf_size(uint16_t mtu)
{
	return RTE_ALIGN_CEIL(SL_MTU_TO_MAX_FRAME_LEN(mtu), SL_MBUF_ALIGN) + RTE_PKTMBUF_HEADROOM;
}

uint32_t
sl_port_mbuf_need(uint16_t n_rxq, uint16_t rxd, uint16_t n_txq, uint16_t txd, bool hw_tx,
		  bool bridged)
{
	uint32_t in_flight = (uint32_t)(n_rxq + sl_p.n_workers) * SL_BURST;

	/* rx descriptors are filled (NICs, net_tap's iovecs); a NIC keeps what
	 * it sends until the send completes; vdevs free at once.  Every worker
	 * may hold a burst from each rx queue and a tx buffer to the port;
	 * bridged, the rings between primary and workers hold as much again. */
	return (uint32_t)n_rxq * rxd + (hw_tx ? (uint32_t)n_txq * txd : 0) + in_flight +
	       sl_p.n_workers * 2 * SL_BURST + (bridged ? in_flight : 0);
}

/* What the per-lcore caches may keep: each worker's and the primary's. */
static uint32_t
cache_reserve(const struct sl_pool *pl)
{
	return (sl_p.n_workers + 1) * (pl->mp->cache_size * 3 / 2);
}

static uint32_t
room(const struct sl_pool *pl)
{
	uint32_t used = pl->reserved + pl->held + cache_reserve(pl);

	return pl->n_mbufs > used ? pl->n_mbufs - used : 0;
}

/*
 * Hugepage memory a new pool could still get: what the heap of this
 * socket has free plus the hugepages no process has mapped yet (DPDK maps
 * them on demand).  An estimate, but enough to refuse at once a pool that
 * cannot fit, instead of mapping and zeroing gigabytes first to find out.
 */
static uint64_t
hugepage_room(void)
{
	struct rte_malloc_socket_stats st;
	uint64_t free_pages = 0, kib = 2048, v;
	char line[128];
	FILE *f;

	if (rte_malloc_get_socket_stats((int)rte_socket_id(), &st) != 0)
		memset(&st, 0, sizeof(st));
	f = fopen("/proc/meminfo", "re");
	if (f == NULL)
		return UINT64_MAX;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "HugePages_Free: %" SCNu64, &v) == 1)
			free_pages = v;
		else if (sscanf(line, "Hugepagesize: %" SCNu64 " kB", &v) == 1)
			kib = v;
	}
	fclose(f);
	return st.heap_freesz_bytes + free_pages * kib * 1024;
}

static struct rte_mempool *
create(const char *name, uint32_t n, uint32_t buf_size)
{
	uint32_t cache = n >= 16383 ? SL_POOL_BIG_CACHE : SL_POOL_SMALL_CACHE;
	uint32_t obj = rte_mempool_calc_obj_size(sizeof(struct rte_mbuf) + buf_size, 0, NULL);
	struct rte_mempool *mp;

	if ((uint64_t)n * obj > hugepage_room()) {
		rte_errno = ENOMEM;
		return NULL;
	}

	/* A worker killed with -9 inside a ring-based mempool get or put can
	 * leave the ring stuck for every other process; a lock-free stack's
	 * single compare-and-swap either happened or did not.  Fall back to
	 * the default ring where the stack driver is missing. */
	mp = rte_pktmbuf_pool_create_by_ops(name, n, cache, 0, buf_size, rte_socket_id(),
					    sl_p.mempool_ops);
	if (mp == NULL && rte_errno != ENOMEM && rte_errno != EEXIST) {
		PLOG(WARNING, "mempool ops \"%s\" unavailable (%s); using the default",
		     sl_p.mempool_ops, rte_strerror(rte_errno));
		mp = rte_pktmbuf_pool_create(name, n, cache, 0, buf_size, rte_socket_id());
	}
	return mp;
}

static struct sl_pool *
free_entry(void)
{
	for (unsigned int i = 0; i < SL_MAX_POOLS; i++)
		if (pools[i].mp == NULL)
			return &pools[i];
	return NULL;
}

int
sl_mempools_init(void)
{
	struct sl_pool *pl = &pools[0];

	pl->mp = create(SL_BASE_POOL_NAME, sl_p.n_mbufs, RTE_MBUF_DEFAULT_BUF_SIZE);
	if (pl->mp == NULL)
		return -rte_errno;
	pl->kind = SL_POOL_BASE;
	pl->buf_size = RTE_MBUF_DEFAULT_BUF_SIZE;
	pl->n_mbufs = sl_p.n_mbufs;
	sl_p.shm->pktmbuf_pool = pl->mp;
	return 0;
}

static void
add_user(struct sl_pool *pl, unsigned int slot, uint32_t need)
{
	pl->users |= 1u << slot;
	pl->need[slot] = need;
	pl->reserved += need;
	pl->retiring = false;
	pl->full_seen = 0;
}

/* The smallest power of two minus one at or above @n (what rte_mempool packs best). */
static uint32_t
pool_size_for(uint32_t n)
{
	return (uint32_t)rte_align32pow2(n + 1) - 1;
}

/* A new pool for @slot; halve what we ask for (not below what it needs) until memory suffices. */
static struct sl_pool *
make_pool(unsigned int slot, const struct sl_pool_req *req, char *err, size_t errlen)
{
	struct sl_pool *pl = free_entry();
	uint32_t reserve = (sl_p.n_workers + 1) * SL_POOL_BIG_CACHE * 3 / 2;
	uint32_t least = req->need + req->held + reserve, n;
	char name[RTE_MEMPOOL_NAMESIZE];
	struct rte_mempool *mp = NULL;

	if (pl == NULL) {
		snprintf(err, errlen, "%s: no room for another mbuf pool (at most %d)", req->what,
			 SL_MAX_POOLS);
		return NULL;
	}
	n = req->held ? least : pool_size_for(RTE_MAX(SL_POOL_MIN_MBUFS, 2 * req->need + reserve));
	for (;;) {
		snprintf(name, sizeof(name), "sl_mp_%u_%u", req->buf_size, ++pool_seq);
		mp = create(name, n, req->buf_size);
		if (mp != NULL || rte_errno != ENOMEM || n == least)
			break;
		n = RTE_MAX(least, n / 2);
	}
	if (mp == NULL) {
		const struct sl_pool *best = NULL;

		for (unsigned int i = 0; i < SL_MAX_POOLS; i++)
			if (pools[i].mp != NULL && pools[i].kind != SL_POOL_OWN &&
			    pools[i].buf_size == req->buf_size &&
			    (best == NULL || room(&pools[i]) > room(best)))
				best = &pools[i];
		if (req->held)
			snprintf(err, errlen,
				 "%s holds %u packets in mbufs; a pool of %u mbufs of %u bytes "
				 "for them cannot be made: %s",
				 req->what, req->held, n, req->buf_size, rte_strerror(rte_errno));
		else if (best != NULL)
			snprintf(err, errlen,
				 "%s needs %u mbufs of %u bytes; pool %s has %u free and a new "
				 "pool cannot be made: %s",
				 req->what, req->need, req->buf_size, best->mp->name, room(best),
				 rte_strerror(rte_errno));
		else
			snprintf(err, errlen, "%s needs %u mbufs of %u bytes; a pool of %u cannot "
				 "be made: %s",
				 req->what, req->need, req->buf_size, n, rte_strerror(rte_errno));
		return NULL;
	}
	memset(pl, 0, sizeof(*pl));
	pl->mp = mp;
	pl->kind = req->held ? SL_POOL_OWN : SL_POOL_SHARED;
	pl->buf_size = req->buf_size;
	pl->n_mbufs = n;
	pl->held = req->held;
	PLOG(INFO, "mempool %s: %u mbufs of %u bytes (%s, for %s in slot %u)", name, n,
	     req->buf_size, kind_names[pl->kind], req->what, slot);
	return pl;
}

static struct sl_pool *
find(const struct rte_mempool *mp)
{
	for (unsigned int i = 0; i < SL_MAX_POOLS; i++)
		if (pools[i].mp == mp && mp != NULL)
			return &pools[i];
	return NULL;
}

int
sl_mempool_get(unsigned int slot, const struct sl_pool_req *req, struct rte_mempool *cur,
	       struct rte_mempool **mp, char *err, size_t errlen)
{
	struct sl_pool *pl = NULL, *c = find(cur);

	/* Still fits where it is? (Its own need is already counted there.) */
	if (c != NULL && c->buf_size == req->buf_size && c->held == req->held &&
	    (c->kind == SL_POOL_OWN) == (req->held != 0) &&
	    room(c) + c->need[slot] >= req->need) {
		*mp = cur;
		return 0;
	}
	if (req->held == 0) {
		/* The base pool first, then the fullest pool with room: ports
		 * crowd into few pools, so that empty ones can go. */
		for (unsigned int i = 0; i < SL_MAX_POOLS; i++) {
			c = &pools[i];
			if (c->mp == NULL || c->kind == SL_POOL_OWN || c->buf_size != req->buf_size ||
			    (c->users & (1u << slot)) || room(c) < req->need)
				continue;
			if (pl == NULL || c->kind == SL_POOL_BASE ||
			    (pl->kind != SL_POOL_BASE && room(c) < room(pl)))
				pl = c;
		}
	}
	if (pl == NULL)
		pl = make_pool(slot, req, err, errlen);
	if (pl == NULL)
		return -ENOMEM;
	add_user(pl, slot, req->need);
	*mp = pl->mp;
	return 0;
}

void
sl_mempool_put(unsigned int slot, struct rte_mempool *mp)
{
	struct sl_pool *pl = find(mp);

	if (pl == NULL || !(pl->users & (1u << slot)))
		return;
	pl->users &= ~(1u << slot);
	pl->reserved -= pl->need[slot];
	pl->need[slot] = 0;
	if (pl->users == 0 && pl->kind != SL_POOL_BASE) {
		pl->retiring = true;
		pl->full_seen = 0;
		pl->token = rte_rcu_qsbr_start(sl_p.shm->qsbr);
	}
}

void
sl_mempool_set_need(unsigned int slot, struct rte_mempool *mp, uint32_t need)
{
	struct sl_pool *pl = find(mp);

	if (pl == NULL || !(pl->users & (1u << slot)))
		return;
	pl->reserved += need - pl->need[slot];
	pl->need[slot] = need;
}

void
sl_mempools_reclaim(void)
{
	for (unsigned int i = 0; i < SL_MAX_POOLS; i++) {
		struct sl_pool *pl = &pools[i];

		if (pl->mp == NULL || !pl->retiring ||
		    rte_rcu_qsbr_check(sl_p.shm->qsbr, pl->token, false) != 1)
			continue;
		if (!rte_mempool_full(pl->mp)) {
			pl->full_seen = 0;
			continue;
		}
		if (++pl->full_seen < 2)
			continue;
		PLOG(INFO, "mempool %s freed: its last user left", pl->mp->name);
		rte_mempool_free(pl->mp);
		memset(pl, 0, sizeof(*pl));
	}
}

void
sl_mempools_flush_lcore(unsigned int lcore)
{
	if (lcore >= RTE_MAX_LCORE)
		return;
	for (unsigned int i = 0; i < SL_MAX_POOLS; i++) {
		struct rte_mempool_cache *cache;

		if (pools[i].mp == NULL)
			continue;
		cache = rte_mempool_default_cache(pools[i].mp, lcore);
		if (cache != NULL)
			rte_mempool_cache_flush(cache, pools[i].mp);
	}
}

static char *
users_text(uint32_t users)
{
	char buf[SL_MAX_PORTS * (SL_PORT_NAME_LEN + 1) + 1] = "";
	size_t len = 0;

	for (unsigned int s = 0; s < SL_MAX_PORTS; s++)
		if (users & (1u << s))
			len += snprintf(buf + len, sizeof(buf) - len, "%s%s", len ? "," : "",
					sl_p.shm->ports[s].name);
	return strdup(buf);
}

/* What rte_mempool_avail_count() counts, before it caps it at the size. */
static uint32_t
counted_free(const struct rte_mempool *mp)
{
	uint64_t n = rte_mempool_get_ops(mp->ops_index)->get_count(mp);

	if (mp->cache_size != 0)
		for (unsigned int l = 0; l < RTE_MAX_LCORE; l++)
			n += mp->local_cache[l].len;
	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

struct walk_arg {
	Sluice__Reply *rep;
	int rc;
};

static void
add_info(struct rte_mempool *mp, void *arg)
{
	struct walk_arg *wa = arg;
	const struct sl_pool *pl = find(mp);
	Sluice__MempoolInfo *mi = malloc(sizeof(*mi));
	Sluice__MempoolInfo **arr;

	arr = realloc(wa->rep->mempools, sizeof(*arr) * (wa->rep->n_mempools + 1));
	if (mi == NULL || arr == NULL) {
		free(mi);
		if (arr != NULL)
			wa->rep->mempools = arr;
		wa->rc = -ENOMEM;
		return;
	}
	wa->rep->mempools = arr;
	arr[wa->rep->n_mempools++] = mi;
	sluice__mempool_info__init(mi);
	mi->name = strdup(mp->name);
	mi->size = mp->size;
	mi->avail = rte_mempool_avail_count(mp);
	mi->in_use = rte_mempool_in_use_count(mp);
	mi->counted_free = counted_free(mp);
	mi->mbuf_size = mp->elt_size;
	if (mp->private_data_size >= sizeof(struct rte_pktmbuf_pool_private)) {
		mi->buf_size = rte_pktmbuf_data_room_size(mp);
		mi->headroom = RTE_PKTMBUF_HEADROOM;
		if (mi->buf_size >= RTE_PKTMBUF_HEADROOM + SL_MTU_TO_MAX_FRAME_LEN(0))
			mi->max_mtu = mi->buf_size - RTE_PKTMBUF_HEADROOM -
				      SL_MTU_TO_MAX_FRAME_LEN(0);
	}
	mi->users = users_text(pl != NULL ? pl->users : 0);
	mi->kind = strdup(pl == NULL ? "other" : pl->retiring ? "retiring" : kind_names[pl->kind]);
	if (pl != NULL) {
		mi->reserved = pl->reserved + pl->held;
		mi->held = pl->held;
	}
	if (mi->name == NULL || mi->users == NULL || mi->kind == NULL)
		wa->rc = -ENOMEM;
}

int
sl_mempools_fill_reply(Sluice__Reply *rep)
{
	struct walk_arg wa = { rep, 0 };

	rte_mempool_walk(add_info, &wa);
	return wa.rc;
}

const char *
sl_mempool_kind(const struct rte_mempool *mp)
{
	const struct sl_pool *pl = find(mp);

	return pl != NULL ? kind_names[pl->kind] : "";
}

struct is_mbuf_arg {
	const void *p;
	bool yes;
};

static void
check_pool(struct rte_mempool *mp, void *arg)
{
	struct is_mbuf_arg *a = arg;
	const struct rte_mempool_memhdr *hdr;
	const struct rte_mbuf *m = a->p;

	if (a->yes || mp->private_data_size < sizeof(struct rte_pktmbuf_pool_private))
		return;
	STAILQ_FOREACH(hdr, &mp->mem_list, next) {
		const char *lo = hdr->addr, *hi = lo + hdr->len;

		if ((const char *)a->p < lo || (const char *)a->p + sizeof(*m) > hi)
			continue;
		/* Inside the pool's memory: a direct mbuf of it says so twice. */
		a->yes = m->pool == mp &&
			 m->buf_addr == (const char *)m + sizeof(*m) + rte_pktmbuf_priv_size(mp);
		return;
	}
}

bool
sl_mempools_is_mbuf(const void *p)
{
	struct is_mbuf_arg a = { p, false };

	if (p == NULL || ((uintptr_t)p & (RTE_CACHE_LINE_SIZE - 1)) != 0)
		return false;
	rte_mempool_walk(check_pool, &a);
	return a.yes;
}
