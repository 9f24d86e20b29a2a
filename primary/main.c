/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-primary: the DPDK primary process.  Owns hugepages, the mbuf pool,
 * every port and the shared switch state; serves commands from sluiced;
 * watches the workers.  Two threads: the control thread (main_loop here)
 * answers commands and keeps house every 10 ms; the bridge thread
 * (bridge.c) services the bridged ports, so that a long command stalls
 * no traffic.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memzone.h>
#include <rte_random.h>

#include "capture.h"
#include "primary.h"
#include "primary_bond.h"
#include "util.h"

struct sl_primary sl_p;
int sl_primary_logtype;

static void
usage(const char *prog)
{
	printf("Usage: %s [EAL options] -- [--rundir DIR] [--workers N] [--mbufs N]\n"
	       "       [--hang-ms MS] [--rebalance] [--cores LIST]\n\n"
	       "The sluice DPDK primary process: owns hugepages, mempools, ports and the\n"
	       "shared switch state; serves commands on ipc://DIR/primary.sock.\n"
	       "Normally started by sluiced.\n\n"
	       "  --rundir DIR   sockets and pid file (default $SLUICE_RUNDIR or %s)\n"
	       "  --workers N    worker slots to assign rx queues to (1..%d, default 1)\n"
	       "  --mbufs N      mbufs in the packet pool (default 32767)\n"
	       "  --hang-ms MS   a worker whose loop stalls this long is declared hung\n"
	       "                 and killed (default 1000)\n"
	       "  --rebalance    hand a dead worker's rx queues to the live ones at once\n"
	       "                 (default: keep them for its restart)\n"
	       "  --cores LIST   the CPU of each of the --workers slots (e.g. 1,1), for\n"
	       "                 pmd-rxq-show and pmd-rxq-affinity while pmd-cpu-mask is\n"
	       "                 not set (default: the CPU each worker runs on)\n"
	       "  --mempool-ops NAME  mbuf pool driver (default lf_stack: safe when a\n"
	       "                 worker is killed mid-operation; ring_mp_mc is DPDK's default)\n"
	       "  --help         this text\n\n"
	       "EAL options must include --proc-type=primary and a --file-prefix shared\n"
	       "with the workers; use --no-pci unless a real NIC is the point.\n",
	       prog, SL_DEFAULT_RUNDIR, SL_MAX_WORKERS);
}

static int
parse_app_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rundir", required_argument, NULL, 'r' },
		{ "workers", required_argument, NULL, 'w' },
		{ "mbufs", required_argument, NULL, 'm' },
		{ "hang-ms", required_argument, NULL, 'H' },
		{ "rebalance", no_argument, NULL, 'R' },
		{ "mempool-ops", required_argument, NULL, 'M' },
		{ "cores", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *rundir = NULL;
	uint64_t v;
	int c;

	sl_p.n_workers = 1;
	sl_p.n_mbufs = 32767;
	sl_p.hang_ms = 1000;
	sl_p.mempool_ops = "lf_stack";
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			rundir = optarg;
			break;
		case 'w':
			if (sl_parse_u64(optarg, 1, SL_MAX_WORKERS, &v) < 0) {
				fprintf(stderr, "sluice-primary: --workers: %s is not in 1..%d\n",
					optarg, SL_MAX_WORKERS);
				return -EINVAL;
			}
			sl_p.n_workers = v;
			break;
		case 'm':
			if (sl_parse_u64(optarg, 1024, 1u << 22, &v) < 0) {
				fprintf(stderr, "sluice-primary: --mbufs: %s is not in 1024..%u\n",
					optarg, 1u << 22);
				return -EINVAL;
			}
			sl_p.n_mbufs = v;
			break;
		case 'H':
			if (sl_parse_u64(optarg, 50, 600000, &v) < 0) {
				fprintf(stderr, "sluice-primary: --hang-ms: bad value %s\n", optarg);
				return -EINVAL;
			}
			sl_p.hang_ms = v;
			break;
		case 'R':
			sl_p.rebalance_on_death = true;
			break;
		case 'M':
			sl_p.mempool_ops = optarg;
			break;
		case 'C':
			if (sl_pmd_parse_cores(optarg) < 0) {
				fprintf(stderr, "sluice-primary: --cores: bad CPU list \"%s\" "
						"(e.g. 1,1,2; at most %d)\n", optarg, SL_MAX_WORKERS);
				return -EINVAL;
			}
			break;
		case 'h':
			usage(argv[0]);
			exit(0);
		default:
			usage(argv[0]);
			return -EINVAL;
		}
	}
	sl_p.rundir = sl_rundir(rundir);
	return 0;
}

/* One primary per rundir: hold an flock on primary.pid for our lifetime. */
static int
lock_rundir(void)
{
	char path[512], buf[32];
	int fd;

	if (mkdir(sl_p.rundir, 0750) < 0 && errno != EEXIST) {
		fprintf(stderr, "sluice-primary: cannot create %s: %s\n", sl_p.rundir,
			strerror(errno));
		return -errno;
	}
	snprintf(path, sizeof(path), "%s/primary.pid", sl_p.rundir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		fprintf(stderr, "sluice-primary: cannot open %s: %s\n", path, strerror(errno));
		return -errno;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);

		buf[n > 0 ? n : 0] = '\0';
		fprintf(stderr,
			"sluice-primary: another sluice-primary (pid %s) already runs on %s\n",
			strtok(buf, "\n") ? buf : "?", sl_p.rundir);
		close(fd);
		return -EBUSY;
	}
	if (ftruncate(fd, 0) == 0) {
		int n = snprintf(buf, sizeof(buf), "%d\n", getpid());

		if (write(fd, buf, n) != n)
			fprintf(stderr, "sluice-primary: cannot write %s\n", path);
	}
	return fd; /* kept open: the lock lives as long as we do */
}

static int
shm_create(void)
{
	const struct rte_memzone *mz;
	struct sl_shm *shm;
	unsigned int i;
	int ret;

	mz = rte_memzone_reserve_aligned(SL_SHM_NAME, sizeof(*shm), rte_socket_id(), 0,
					 RTE_CACHE_LINE_SIZE);
	if (mz == NULL)
		return -rte_errno;
	shm = mz->addr;
	memset(shm, 0, sizeof(*shm));
	shm->magic = SL_SHM_MAGIC;
	shm->layout_version = SL_LAYOUT_VERSION;
	shm->primary_pid = getpid();
	shm->boot_id = rte_rand();
	shm->tsc_hz = rte_get_tsc_hz();
	shm->n_workers = sl_p.n_workers;
	/* Options get their defaults from common/settings.h in sl_server_init. */
	memset(shm->ofport_to_slot, SL_NO_SLOT, sizeof(shm->ofport_to_slot));
	for (i = 0; i < SL_MAX_PORTS; i++)
		for (unsigned int q = 0; q <= SL_MAX_WORKERS; q++)
			rte_spinlock_init(&shm->ports[i].txq_lock[q]);

	sl_p.shm = shm;
	ret = sl_mempools_init();
	if (ret < 0)
		return ret;

	size_t qsz = rte_rcu_qsbr_get_memsize(SL_RCU_IDS);
	shm->qsbr = rte_zmalloc("sl_qsbr", qsz, RTE_CACHE_LINE_SIZE);
	if (shm->qsbr == NULL || rte_rcu_qsbr_init(shm->qsbr, SL_RCU_IDS) != 0)
		return -ENOMEM;

	shm->flow_counters = rte_zmalloc("sl_flow_counters",
					 sizeof(struct sl_flow_counter) * SL_MAX_WORKERS *
						 SL_MAX_FLOWS,
					 RTE_CACHE_LINE_SIZE);
	if (shm->flow_counters == NULL)
		return -ENOMEM;
	shm->inflight = rte_zmalloc("sl_inflight", sizeof(struct sl_inflight) * SL_MAX_WORKERS,
				    RTE_CACHE_LINE_SIZE);
	if (shm->inflight == NULL)
		return -ENOMEM;
	shm->pin = rte_zmalloc("sl_pin", sizeof(struct sl_pin_ring) * SL_MAX_WORKERS,
			       RTE_CACHE_LINE_SIZE);
	if (shm->pin == NULL)
		return -ENOMEM;
	sl_p.shm = shm;
	return 0;
}

/*
 * Hugepage files outlive the process unless removed, and --huge-unlink
 * would stop secondaries from attaching; so the primary removes its
 * instance's files (prefix "<file-prefix>map_") when it stops.
 */
static void *
eal_cleanup_thread(void *arg)
{
	(void)arg;
	rte_eal_cleanup();
	return NULL;
}

/*
 * rte_eal_cleanup(), given @ms to finish; false if it did not.  A
 * secondary killed inside its EAL start (a sluice-dump killed as it
 * attaches) can leave the shared memory lock taken for ever (DPDK's
 * rwlock has no owner to take it back from), and the cleanup's walk of the
 * memory segments then waits for ever: seen in the faults test, where
 * sluiced's shutdown got no answer.  The primary must stop all the same;
 * the kernel unmaps its memory when it exits.
 */
static bool
eal_cleanup_within(unsigned int ms)
{
	struct timespec ts;
	pthread_t t;

	if (pthread_create(&t, NULL, eal_cleanup_thread, NULL) != 0) {
		rte_eal_cleanup();
		return true;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return pthread_timedjoin_np(t, NULL, &ts) == 0;
}

static void
remove_hugepage_files(void)
{
	char prefix[256], line[1024], dirpath[512], path[1024];
	const char *rt = rte_eal_get_runtime_dir(), *base = strrchr(rt, '/');
	FILE *mounts;

	snprintf(prefix, sizeof(prefix), "%smap_", base ? base + 1 : rt);
	mounts = fopen("/proc/mounts", "r");
	if (mounts == NULL)
		return;
	while (fgets(line, sizeof(line), mounts) != NULL) {
		struct dirent *de;
		DIR *d;

		if (sscanf(line, "%*s %511s hugetlbfs", dirpath) != 1 ||
		    strstr(line, " hugetlbfs ") == NULL)
			continue;
		d = opendir(dirpath);
		if (d == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dirpath, de->d_name);
			unlink(path);
		}
		closedir(d);
	}
	fclose(mounts);
}

/* RUNDIR/file-prefix tells secondaries such as sluice-dump which instance to join. */
static void
write_file_prefix(void)
{
	const char *rt = rte_eal_get_runtime_dir(), *base = strrchr(rt, '/');
	char path[512];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "%s/file-prefix", sl_p.rundir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	fprintf(f, "%s\n", base ? base + 1 : rt);
	fclose(f);
}

static void
on_signal(int sig)
{
	(void)sig;
	sl_p.quit = true;
}

static void
housekeeping(uint64_t now_ms, uint64_t start_ms)
{
	struct sl_shm *shm = sl_p.shm;

	__atomic_store_n(&shm->coarse_now_s, (uint32_t)((now_ms - start_ms) / 1000),
			 __ATOMIC_RELAXED);
	__atomic_fetch_add(&shm->primary_heartbeat, 1, __ATOMIC_RELAXED);
	sl_workers_check();
	sl_pmd_tick(now_ms);
	sl_flows_reclaim();
	sl_flows_expire(now_ms);
	sl_ct_expire(now_ms);
	sl_pin_drain(now_ms);
	sl_mempools_reclaim();
	sl_capture_reap();
	sl_vhost_tick();
	sl_bond_tick(now_ms);
	sl_eal_repair_tick(now_ms);
}

#define SL_HOUSEKEEPING_MS 10

/* Commands as they come; housekeeping every SL_HOUSEKEEPING_MS in between. */
static void
main_loop(void)
{
	uint64_t start_ms = sl_now_ms(), last_hk = 0;

	while (!sl_p.quit) {
		uint64_t now = sl_now_ms(), since;

		if (now - last_hk >= SL_HOUSEKEEPING_MS) {
			sl_state_wrlock(); /* reads.c */
			housekeeping(now, start_ms);
			sl_state_unlock();
			last_hk = now;
		}
		/* A signal interrupts the poll (the bridge thread blocks them). */
		since = sl_now_ms() - last_hk;
		sl_server_poll(since >= SL_HOUSEKEEPING_MS ? 0 : (int)(SL_HOUSEKEEPING_MS - since));
	}
}

int
main(int argc, char **argv)
{
	int ret, lock_fd;

	/* --help must work without hugepages. */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(argv[0]);
			return 0;
		}

	/* Parse our own options first so that a bad one costs no EAL init. */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			if (parse_app_args(argc - i, argv + i) < 0)
				return 2;
			break;
		}
	if (sl_p.rundir == NULL && parse_app_args(1, argv) < 0)
		return 2;
	lock_fd = lock_rundir();
	if (lock_fd < 0)
		return 1;

	ret = rte_eal_init(argc, argv);
	if (ret < 0)
		rte_exit(EXIT_FAILURE, "sluice-primary: EAL init failed: %s\n",
			 rte_strerror(rte_errno));
	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		rte_exit(EXIT_FAILURE, "sluice-primary: must run with --proc-type=primary\n");
	sl_primary_logtype = rte_log_register_type_and_pick_level("sluice.primary",
								   RTE_LOG_INFO);
	write_file_prefix();
	if (sl_eal_repair_init() < 0)
		rte_exit(EXIT_FAILURE, "sluice-primary: cannot create the EAL guard file in %s: %s\n",
			 rte_eal_get_runtime_dir(), strerror(errno));

	ret = shm_create();
	if (ret < 0)
		rte_exit(EXIT_FAILURE, "sluice-primary: shared state: %s\n", strerror(-ret));
	if (sl_vdev_scan_init() < 0)
		rte_exit(EXIT_FAILURE, "sluice-primary: cannot answer the vdev bus's scans\n");
	ret = sl_pmd_init();
	if (ret < 0)
		rte_exit(EXIT_FAILURE, "sluice-primary: rx queue accounting: %s\n", strerror(-ret));
	ret = sl_capture_zone_create();
	if (ret < 0)
		rte_exit(EXIT_FAILURE, "sluice-primary: capture zone: %s\n", strerror(-ret));
	if (sl_meters_init() < 0)
		rte_exit(EXIT_FAILURE, "sluice-primary: cannot create the meter table\n");
	if (sl_bonds_init() < 0)
		rte_exit(EXIT_FAILURE, "sluice-primary: no memory for the bond table\n");
	if (sl_groups_init() < 0)
		rte_exit(EXIT_FAILURE, "sluice-primary: cannot create the group table\n");
	if (sl_ct_init() < 0)
		rte_exit(EXIT_FAILURE, "sluice-primary: cannot create the connection table\n");
	if (sl_flows_init() < 0)
		rte_exit(EXIT_FAILURE, "sluice-primary: cannot allocate the flow table\n");
	if (sl_server_init() < 0)
		rte_exit(EXIT_FAILURE, "sluice-primary: cannot listen on %s/primary.sock\n",
			 sl_p.rundir);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	ret = sl_reads_start();
	if (ret < 0)
		rte_exit(EXIT_FAILURE, "sluice-primary: cannot start the reads thread: %s\n",
			 strerror(-ret));
	ret = sl_bridge_start();
	if (ret < 0)
		rte_exit(EXIT_FAILURE, "sluice-primary: cannot start the bridge thread: %s\n",
			 strerror(-ret));
	PLOG(INFO, "ready: pid %d, %u worker slots, rundir %s", getpid(), sl_p.n_workers,
	     sl_p.rundir);

	main_loop();

	PLOG(INFO, "shutting down");
	sl_workers_stop_all(); /* the bridge thread still moves what they flush */
	sl_bridge_stop();
	sl_ports_shutdown();
	sl_server_close();
	sl_eal_repair_fini();
	if (!eal_cleanup_within(2000)) {
		PLOG(ERR, "the EAL's cleanup waits on the shared memory lock, which a secondary "
			  "killed while it held it left taken: exiting without it");
		remove_hugepage_files();
		_exit(0);
	}
	remove_hugepage_files();
	close(lock_fd);
	return 0;
}
