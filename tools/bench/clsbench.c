/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * clsbench: the classifier's own costs, no DPDK process involved.
 *
 *   clsbench [-n RULES] [-m MASKS] [-r REPS]
 *
 * Fills a classifier with RULES (default 100000) rules spread over MASKS
 * (default 1) masks, then reports: the time of one change (insert +
 * publish, remove + publish + collect, modify = insert + remove + publish
 * + collect: the primary's work for one add-flow / del-flow / mod-flow,
 * before the grace period it waits for), median of REPS; lookups per
 * second of hitting and missing keys; bytes of classifier memory per rule.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "classifier.h"

static void *
z(size_t size, void *ctx)
{
	void *p = NULL;

	(void)ctx;
	/* Two cache lines, as the primary asks rte_zmalloc for. */
	if (posix_memalign(&p, 128, size) != 0)
		return NULL;
	memset(p, 0, size);
	return p;
}

static void
f(void *p, void *ctx)
{
	(void)ctx;
	free(p);
}

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Rule @i: udp, nw_src=10.x.y.z (a /32, or shorter for other masks), tp_dst. */
static void
rule(struct sl_cls_rule *r, uint32_t i, uint32_t n_masks)
{
	uint32_t src = htonl(0x0a000000 | (i & 0xffffff));
	uint32_t len = 32 - (i % n_masks);
	uint32_t msk = htonl(len ? UINT32_MAX << (32 - len) : 0);

	memset(r, 0, sizeof(*r));
	r->id = i;
	r->priority = 100 + i % n_masks;
	r->match.key.dl_type = 0x0800;
	r->match.mask.dl_type = 0xffff;
	r->match.key.nw_proto = 17;
	r->match.mask.nw_proto = 0xff;
	memcpy(r->match.key.nw_src, &src, 4);
	memcpy(r->match.mask.nw_src, &msk, 4);
	r->match.key.tp_dst = htons(1000 + (i >> 24));
	r->match.mask.tp_dst = 0xffff;
	r->match.mkey.table = 0;
	r->match.mmask.table = 0xff;
	r->actions.n = 1;
	r->actions.a[0].type = SL_ACT_OUTPUT;
	r->actions.a[0].arg = 2;
	sl_match_normalize(&r->match);
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_d);
	return v[n / 2];
}

int
main(int argc, char **argv)
{
	uint32_t n = 100000, n_masks = 1, reps = 101, h, *handles;
	struct sl_clsw *w;
	struct sl_cls_rule r;
	double *t_add, *t_del, *t_mod, t;
	int c;

	while ((c = getopt(argc, argv, "n:m:r:")) != -1) {
		if (c == 'n')
			n = strtoul(optarg, NULL, 0);
		else if (c == 'm')
			n_masks = strtoul(optarg, NULL, 0);
		else if (c == 'r')
			reps = strtoul(optarg, NULL, 0);
		else {
			fprintf(stderr, "usage: clsbench [-n RULES] [-m MASKS] [-r REPS]\n");
			return 2;
		}
	}
	if (n_masks == 0 || n_masks > 32 || reps == 0) {
		fprintf(stderr, "clsbench: -m wants 1..32, -r at least 1\n");
		return 2;
	}
	w = sl_clsw_create(2 * n + 2 * reps + 16, z, f, NULL);
	handles = malloc(sizeof(*handles) * (n + 1));
	t_add = malloc(sizeof(double) * reps);
	t_del = malloc(sizeof(double) * reps);
	t_mod = malloc(sizeof(double) * reps);
	if (w == NULL || handles == NULL || !t_add || !t_del || !t_mod)
		return 1;
	t = now_us();
	for (uint32_t i = 0; i < n; i++) {
		rule(&r, i, n_masks);
		if (sl_clsw_insert(w, &r, &handles[i]) != 0) {
			fprintf(stderr, "clsbench: insert %u failed\n", i);
			return 1;
		}
	}
	sl_clsw_publish(w);
	sl_clsw_collect(w);
	printf("fill: %u rules, %u masks, %.1f ms (%.0f rules/s)\n", n, n_masks,
	       (now_us() - t) / 1e3, n / ((now_us() - t) / 1e6));
	printf("memory: %zu bytes, %.0f bytes/rule\n", sl_clsw_shm_bytes(w),
	       (double)sl_clsw_shm_bytes(w) / n);
	for (uint32_t k = 0; k < reps; k++) {
		uint32_t i = n + k; /* a new rule */

		rule(&r, i, n_masks);
		t = now_us();
		sl_clsw_insert(w, &r, &h);
		sl_clsw_publish(w);
		sl_clsw_collect(w);
		t_add[k] = now_us() - t;
		t = now_us();
		sl_clsw_remove(w, h);
		sl_clsw_publish(w);
		sl_clsw_collect(w);
		t_del[k] = now_us() - t;
		/* Modify resident rule j: a new version with new actions. */
		{
			uint32_t j = (k * 7919u) % n, nh;

			r = *sl_clsw_rule(w, handles[j]);
			r.match.mkey.table = 0;
			r.match.mmask.table = 0xff;
			r.actions.a[0].arg = 3 + k;
			t = now_us();
			sl_clsw_insert(w, &r, &nh);
			sl_clsw_remove(w, handles[j]);
			sl_clsw_publish(w);
			sl_clsw_collect(w);
			t_mod[k] = now_us() - t;
			handles[j] = nh;
		}
	}
	printf("one change (us, median of %u): add %.2f  del %.2f  mod %.2f\n", reps,
	       median(t_add, reps), median(t_del, reps), median(t_mod, reps));
	{
		const struct sl_cls *cls = sl_clsw_cls(w);
		struct sl_flow_key k;
		uint32_t hits = 0, m = 4000000;

		memset(&k, 0, sizeof(k));
		k.dl_type = 0x0800;
		k.nw_proto = 17;
		t = now_us();
		for (uint32_t i = 0; i < m; i++) {
			uint32_t src = htonl(0x0a000000 | ((i * 2654435761u) % n));

			memcpy(k.nw_src, &src, 4);
			k.tp_dst = htons(1000);
			hits += sl_cls_lookup(cls, &k) != NULL;
		}
		printf("lookup: %.1f ns each (%u of %u hit)\n", (now_us() - t) * 1e3 / m, hits, m);
	}
	sl_clsw_destroy(w);
	return 0;
}
