/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The capture zone: creation (primary), sessions (sluice-dump), reaping of
 * dead sessions (primary), and filter loading (workers and sluice-dump).
 * Everything here is control path.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_bpf.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_memzone.h>

/* After rte_bpf.h: pcap/bpf.h needs the BSD types it pulls in. */
#include <pcap/bpf.h>

#include "capture.h"
#include "shm.h"
#include "util.h"

_Static_assert(sizeof(struct sl_cap_insn) == sizeof(struct bpf_insn),
	       "sl_cap_insn must match libpcap's bpf_insn");
_Static_assert(sizeof(struct sl_cap_meta) == 16, "capture metadata is 16 bytes");

RTE_LOG_REGISTER(sl_capture_logtype, sluice.capture, INFO);

/* The primary's own pointer, for sl_capture_reap(). */
static struct sl_capture_zone *primary_zone;

static const struct rte_mbuf_dynfield meta_desc = {
	.name = SL_CAPTURE_DYNFIELD_NAME,
	.size = sizeof(struct sl_cap_meta),
	.align = __alignof__(struct sl_cap_meta),
};

int
sl_capture_meta_offset(void)
{
	/* Same name and layout in every process gives the same offset. */
	int off = rte_mbuf_dynfield_register(&meta_desc);

	return off < 0 ? -rte_errno : off;
}

int
sl_capture_zone_create(void)
{
	const struct rte_memzone *shm_mz = rte_memzone_lookup(SL_SHM_NAME);
	const struct rte_memzone *mz;
	struct sl_capture_zone *z;
	int off;

	if (shm_mz == NULL)
		return -ENOENT;
	mz = rte_memzone_reserve_aligned(SL_CAPTURE_ZONE_NAME, sizeof(*z), rte_socket_id(), 0,
					 RTE_CACHE_LINE_SIZE);
	if (mz == NULL)
		return -rte_errno;
	z = mz->addr;
	memset(z, 0, sizeof(*z));
	z->magic = SL_CAPTURE_MAGIC;
	z->version = SL_CAPTURE_VERSION;
	z->n_workers = ((struct sl_shm *)shm_mz->addr)->n_workers;
	z->qsbr = ((struct sl_shm *)shm_mz->addr)->qsbr;
	z->tsc_hz = rte_get_tsc_hz();
	/* A pool of its own, so that a capture can never starve forwarding;
	 * a lock-free stack, so that a sluice-dump killed inside a put cannot
	 * wedge it for the workers (the ring driver is the fallback). */
	z->pool = rte_pktmbuf_pool_create_by_ops(SL_CAPTURE_POOL_NAME, SL_CAPTURE_POOL_SIZE, 0, 0,
						 RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id(),
						 "lf_stack");
	if (z->pool == NULL)
		z->pool = rte_pktmbuf_pool_create(SL_CAPTURE_POOL_NAME, SL_CAPTURE_POOL_SIZE, 0, 0,
						  RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (z->pool == NULL)
		return -rte_errno;
	/* Registering here creates the dynfield registry secondaries look up. */
	off = sl_capture_meta_offset();
	if (off < 0)
		return off;
	primary_zone = z;
	return 0;
}

struct sl_capture_zone *
sl_capture_zone_lookup(void)
{
	const struct rte_memzone *mz = rte_memzone_lookup(SL_CAPTURE_ZONE_NAME);
	struct sl_capture_zone *z;

	if (mz == NULL) {
		rte_errno = ENOENT;
		return NULL;
	}
	z = mz->addr;
	if (mz->len < sizeof(*z) || z->magic != SL_CAPTURE_MAGIC ||
	    z->version != SL_CAPTURE_VERSION) {
		rte_errno = EPROTO;
		return NULL;
	}
	return z;
}

static void
bump_gen(struct sl_capture_zone *z)
{
	__atomic_fetch_add(&z->gen, 1, __ATOMIC_RELEASE);
}

static int
create_rings(struct sl_capture_zone *z, unsigned int idx, char *err, size_t errlen)
{
	struct sl_cap_session *s = &z->s[idx];

	for (unsigned int w = 0; w < z->n_workers && w < SL_MAX_WORKERS; w++) {
		char name[RTE_RING_NAMESIZE];

		snprintf(name, sizeof(name), "slcap%u_%u_%u", idx, w, s->serial);
		s->ring[w] = rte_ring_create(name, SL_CAPTURE_RING_SIZE, SOCKET_ID_ANY,
					     RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (s->ring[w] == NULL) {
			snprintf(err, errlen, "cannot create capture ring %s: %s", name,
				 rte_strerror(rte_errno));
			return -rte_errno;
		}
	}
	return 0;
}

int
sl_capture_open(struct sl_capture_zone *z, const struct sl_cap_request *req, char *err,
		size_t errlen)
{
	int32_t me = getpid();
	struct sl_cap_session *s = NULL;
	unsigned int idx;
	int rc;

	if (req->n_insns > SL_CAPTURE_MAX_INSNS) {
		snprintf(err, errlen, "filter too long: %u instructions, at most %u",
			 req->n_insns, SL_CAPTURE_MAX_INSNS);
		return -E2BIG;
	}
	if (req->n_ifaces == 0 || req->n_ifaces > SL_MAX_PORTS) {
		snprintf(err, errlen, "between 1 and %d ports per capture", SL_MAX_PORTS);
		return -EINVAL;
	}
	for (idx = 0; idx < SL_MAX_CAPTURES; idx++) {
		int32_t none = 0;

		s = &z->s[idx];
		if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) == SL_CAP_FREE &&
		    __atomic_compare_exchange_n(&s->owner, &none, me, false, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
			break;
	}
	if (idx == SL_MAX_CAPTURES) {
		snprintf(err, errlen, "all %d capture sessions are in use", SL_MAX_CAPTURES);
		return -EBUSY;
	}
	s->serial++;
	s->n_ifaces = req->n_ifaces;
	for (unsigned int i = 0; i < req->n_ifaces; i++)
		snprintf(s->ifaces[i], sizeof(s->ifaces[i]), "%s", req->ifaces[i]);
	s->dir = req->dir;
	s->snaplen = req->snaplen;
	s->n_insns = req->n_insns;
	if (req->n_insns)
		memcpy(s->insns, req->insns, sizeof(s->insns[0]) * req->n_insns);
	memset(s->cnt, 0, sizeof(s->cnt));
	rc = create_rings(z, idx, err, errlen);
	if (rc < 0) {
		sl_capture_release(z, idx);
		return rc;
	}
	__atomic_store_n(&s->state, SL_CAP_ACTIVE, __ATOMIC_RELEASE);
	bump_gen(z);
	return idx;
}

uint64_t
sl_capture_stop(struct sl_capture_zone *z, unsigned int idx)
{
	__atomic_store_n(&z->s[idx].state, SL_CAP_STOPPING, __ATOMIC_RELEASE);
	bump_gen(z);
	/* A worker that reports quiescence after this token has finished the
	 * burst it was in and will see the new state on its next refresh. */
	return rte_rcu_qsbr_start(z->qsbr);
}

bool
sl_capture_quiet(struct sl_capture_zone *z, uint64_t token)
{
	return rte_rcu_qsbr_check(z->qsbr, token, false) == 1;
}

void
sl_capture_release(struct sl_capture_zone *z, unsigned int idx)
{
	struct sl_cap_session *s = &z->s[idx];

	for (unsigned int w = 0; w < SL_MAX_WORKERS; w++) {
		struct rte_mbuf *m[64];
		unsigned int n;

		if (s->ring[w] == NULL)
			continue;
		while ((n = rte_ring_dequeue_burst(s->ring[w], (void **)m, RTE_DIM(m), NULL)) > 0)
			rte_pktmbuf_free_bulk(m, n);
		rte_ring_free(s->ring[w]);
		s->ring[w] = NULL;
	}
	__atomic_store_n(&s->state, SL_CAP_FREE, __ATOMIC_RELEASE);
	__atomic_store_n(&s->owner, 0, __ATOMIC_RELEASE);
	bump_gen(z);
}

void
sl_capture_counters(const struct sl_capture_zone *z, unsigned int idx,
		    struct sl_cap_counters *sum)
{
	const struct sl_cap_session *s = &z->s[idx];

	memset(sum, 0, sizeof(*sum));
	for (unsigned int w = 0; w < SL_MAX_WORKERS; w++) {
		sum->captured += __atomic_load_n(&s->cnt[w].captured, __ATOMIC_RELAXED);
		sum->filtered += __atomic_load_n(&s->cnt[w].filtered, __ATOMIC_RELAXED);
		sum->dropped += __atomic_load_n(&s->cnt[w].dropped, __ATOMIC_RELAXED);
		sum->load_error |= __atomic_load_n(&s->cnt[w].load_error, __ATOMIC_RELAXED);
	}
}

/* Primary-private progress of each teardown the primary does itself. */
static bool reaping[SL_MAX_CAPTURES];
static uint64_t reap_token[SL_MAX_CAPTURES];

static void
reap_one(struct sl_capture_zone *z, unsigned int idx)
{
	struct sl_cap_session *s = &z->s[idx];
	int32_t owner = __atomic_load_n(&s->owner, __ATOMIC_ACQUIRE);
	uint32_t state;

	if (owner == 0 || sl_pid_alive(owner)) {
		reaping[idx] = false;
		return;
	}
	state = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
	if (state == SL_CAP_FREE) {
		/* Died while opening: no worker ever saw it active. */
		sl_capture_release(z, idx);
		return;
	}
	if (!reaping[idx]) {
		reap_token[idx] = sl_capture_stop(z, idx);
		reaping[idx] = true;
		return;
	}
	if (sl_capture_quiet(z, reap_token[idx])) {
		sl_capture_release(z, idx);
		reaping[idx] = false;
		rte_log(RTE_LOG_INFO, sl_capture_logtype,
			"sluice.capture: session %u of dead sluice-dump %d torn down\n", idx, owner);
	}
}

void
sl_capture_reap(void)
{
	if (primary_zone == NULL)
		return;
	for (unsigned int i = 0; i < SL_MAX_CAPTURES; i++)
		reap_one(primary_zone, i);
}

struct rte_bpf *
sl_capture_bpf_load(const struct sl_cap_insn *insns, uint32_t n, char *err, size_t errlen)
{
	struct bpf_program prog = {
		.bf_len = n,
		.bf_insns = (struct bpf_insn *)(uintptr_t)insns,
	};
	struct rte_bpf_prm *prm;
	struct rte_bpf *bpf;

	prm = rte_bpf_convert(&prog);
	if (prm == NULL) {
		snprintf(err, errlen, "cannot convert the filter to eBPF: %s",
			 rte_strerror(rte_errno));
		return NULL;
	}
	bpf = rte_bpf_load(prm);
	if (bpf == NULL)
		snprintf(err, errlen, "DPDK cannot load the filter: %s", rte_strerror(rte_errno));
	rte_free(prm);
	return bpf;
}
