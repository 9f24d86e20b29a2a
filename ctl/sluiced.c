/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluiced: the control daemon of one sluice instance.  It keeps the desired
 * configuration in the config DB, answers sluicectl on
 * ipc://RUNDIR/sluiced.sock, pushes every change to sluice-primary (and
 * commits it to the DB only once the primary accepted it), and supervises
 * the primary and the workers: starts them, restarts whichever dies, and
 * replays the DB to a fresh primary.  It is not on the data path: when it
 * is down, forwarding goes on, and a restarted sluiced adopts what runs.
 *
 * This file is its start-up and main loop; daemon.h says where the rest is.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "daemon.h"

static volatile sig_atomic_t sl_signalled;

/* ---- start-up ---- */

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: sluiced [--rundir DIR] [--db FILE] [--workers N] [--lcores LIST]\n"
		"               [--eal-args \"ARGS\"] [--primary-args \"ARGS\"] [--detach] [--primary-bin PATH]\n"
		"               [--worker-bin PATH] [--give-up-after N] [--healthy-after MS]\n"
		"               [--group NAME] [--data-dir DIR]... [--allow-iface NAME]...\n"
		"               [--allow-pci ADDR]...\n"
		"       sluiced --print-db FILE\n"
		"\n"
		"Control daemon of one sluice instance: keeps the config DB, answers\n"
		"sluicectl on ipc://DIR/sluiced.sock, starts sluice-primary and N\n"
		"sluice-workers, restarts whichever dies and replays the DB to a new primary.\n"
		"\n"
		"  --rundir DIR       sockets, pid files and logs (default: $SLUICE_RUNDIR,\n"
		"                     else %s); created if missing\n"
		"  --db FILE          config DB (default: DIR/sluice.db)\n"
		"  --workers N        worker processes, 1..%d (default: 1), unless the option\n"
		"                     pmd-cpu-mask names their cores\n"
		"  --lcores LIST      CPUs, e.g. 0,1 or 0-3 (default: 0,1): the primary runs on\n"
		"                     the first, workers round-robin on the others (on the\n"
		"                     first too if it is the only one)\n"
		"  --eal-args ARGS    DPDK EAL arguments, split on spaces\n"
		"                     (default: \"--no-pci --file-prefix=sluice\")\n"
		"  --primary-args ARGS  more sluice-primary options, split on spaces, e.g.\n"
		"                     \"--rebalance --hang-ms 500\" (see sluice-primary --help)\n"
		"  --detach           run in the background; return once the primary is up\n"
		"  --primary-bin PATH sluice-primary to run; by default looked for next to\n"
		"                     sluiced, then in ../primary/ (build tree), then in $PATH\n"
		"  --worker-bin PATH  sluice-worker to run; likewise (../secondary/)\n"
		"  --group NAME       open sluiced.sock to group NAME (default: root only); its\n"
		"                     members are then confined: files and sockets in devargs\n"
		"                     must be in DIR or a --data-dir, host interfaces and PCI\n"
		"                     devices must be allowed, drivers are an allow-list\n"
		"  --data-dir DIR     a directory clients may name files in (repeatable)\n"
		"  --allow-iface NAME a host interface clients may attach (repeatable)\n"
		"  --allow-pci ADDR   a PCI device clients may attach (repeatable)\n"
		"  --give-up-after N  stop restarting a process after N failed runs in a row\n"
		"                     (default 0: never; restarts back off from 100 ms to 5 s,\n"
		"                     and a run of 10 s starts the back-off over)\n"
		"  --healthy-after MS a run this long counts as healthy: its end starts the\n"
		"                     back-off over (default %d, 100..3600000)\n"
		"  --print-db FILE    print the DB in FILE whole (its journal applied) as a\n"
		"                     DB file of its own, and exit: 1 if it does not load\n"
		"  --help             this text\n"
		"\n"
		"Files in DIR: sluiced.sock, sluiced.pid, sluiced.log, primary.log,\n"
		"worker-N.log.  Only one sluiced runs per DIR.\n"
		"\n"
		"SIGTERM or SIGINT stops sluiced only: the primary and the workers keep\n"
		"forwarding, and a sluiced started again adopts them and reconciles them\n"
		"with the DB.  'sluicectl shutdown' stops the whole instance.\n",
		SL_DEFAULT_RUNDIR, SL_MAX_WORKERS, SL_HEALTHY_MS);
}

static int
parse_cpus(struct sl_daemon *d, const char *list)
{
	char *copy = sl_strdup(list), *tok, *save = NULL;
	int rc = 0;

	d->n_cpus = 0;
	for (tok = strtok_r(copy, ",", &save); rc == 0 && tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(tok, '-');
		uint64_t lo, hi;

		if (dash != NULL)
			*dash = '\0';
		if (sl_parse_u64(tok, 0, 4095, &lo) < 0 ||
		    sl_parse_u64(dash ? dash + 1 : tok, lo, 4095, &hi) < 0) {
			rc = -EINVAL;
			break;
		}
		for (; lo <= hi && d->n_cpus < SL_MAX_CPUS; lo++)
			d->cpus[d->n_cpus++] = (int)lo;
	}
	free(copy);
	return rc == 0 && d->n_cpus > 0 ? 0 : -EINVAL;
}

/* Split @args on blanks into a NULL-terminated vector. */
static int
split_args(const char *args, char ***vec, unsigned int *n)
{
	char *copy = sl_strdup(args), *tok, *save = NULL;

	if (copy == NULL)
		return -ENOMEM;
	*vec = calloc(strlen(args) / 2 + 2, sizeof(char *));
	if (*vec == NULL)
		return -ENOMEM;
	for (tok = strtok_r(copy, " \t", &save); tok != NULL; tok = strtok_r(NULL, " \t", &save))
		(*vec)[(*n)++] = tok;
	return 0; /* copy stays: the tokens point into it */
}

static bool
is_executable(const char *path)
{
	return access(path, X_OK) == 0;
}

/* Next to sluiced, in the build tree's sibling folder, then $PATH. */
static int
find_bin(char *out, size_t len, const char *given, const char *name, const char *build_dir)
{
	char self[PATH_MAX / 2], *slash, *path, *dir, *save = NULL;
	ssize_t n;

	if (given != NULL) {
		snprintf(out, len, "%s", given);
		return is_executable(out) ? 0 : -ENOENT;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash != NULL)
			*slash = '\0';
		snprintf(out, len, "%s/%s", self, name);
		if (is_executable(out))
			return 0;
		snprintf(out, len, "%s/../%s/%s", self, build_dir, name);
		if (is_executable(out))
			return 0;
	}
	path = sl_strdup(getenv("PATH") ? getenv("PATH") : "/usr/local/bin:/usr/bin:/bin");
	for (dir = strtok_r(path, ":", &save); dir != NULL; dir = strtok_r(NULL, ":", &save)) {
		snprintf(out, len, "%s/%s", dir, name);
		if (is_executable(out)) {
			free(path);
			return 0;
		}
	}
	free(path);
	snprintf(out, len, "%s", name);
	return -ENOENT;
}

/* --print-db: the DB's content as one file, for a person or for another DB. */
static int
print_db(const char *path)
{
	struct sl_db db;
	char err[1024];

	if (sl_db_load(&db, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "sluiced: %s\n", err);
		return 1;
	}
	if (access(path, F_OK) < 0) {
		fprintf(stderr, "sluiced: %s: %s\n", path, strerror(errno));
		sl_db_fini(&db);
		return 1;
	}
	if (sl_db_print(&db, stdout) < 0 || fflush(stdout) != 0) {
		fprintf(stderr, "sluiced: cannot print %s\n", path);
		sl_db_fini(&db);
		return 1;
	}
	sl_db_fini(&db);
	return 0;
}

static int
policy_add(struct sl_policy *pol, int opt, const char *val)
{
	const char **list = opt == 'F' ? pol->data_dirs : opt == 'I' ? pol->ifaces : pol->pci;
	unsigned int *n = opt == 'F' ? &pol->n_data_dirs : opt == 'I' ? &pol->n_ifaces : &pol->n_pci;

	if (*n == SL_POLICY_MAX)
		return -ENOSPC;
	list[(*n)++] = val;
	return 0;
}

static void
parse_args(struct sl_daemon *d, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rundir", required_argument, NULL, 'r' },
		{ "db", required_argument, NULL, 'd' },
		{ "workers", required_argument, NULL, 'w' },
		{ "lcores", required_argument, NULL, 'l' },
		{ "eal-args", required_argument, NULL, 'e' },
		{ "primary-args", required_argument, NULL, 'A' },
		{ "detach", no_argument, NULL, 'D' },
		{ "primary-bin", required_argument, NULL, 'P' },
		{ "worker-bin", required_argument, NULL, 'W' },
		{ "give-up-after", required_argument, NULL, 'G' },
		{ "healthy-after", required_argument, NULL, 'H' },
		{ "group", required_argument, NULL, 'g' },
		{ "data-dir", required_argument, NULL, 'F' },
		{ "allow-iface", required_argument, NULL, 'I' },
		{ "allow-pci", required_argument, NULL, 'C' },
		{ "print-db", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *rundir = NULL, *db = NULL, *lcores = "0,1";
	const char *eal = "--no-pci --file-prefix=sluice", *pbin = NULL, *wbin = NULL;
	const char *pargs = "";
	uint64_t n = 1, g;
	int c;

	d->healthy_ms = SL_HEALTHY_MS;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': rundir = optarg; break;
		case 'd': db = optarg; break;
		case 'l': lcores = optarg; break;
		case 'e': eal = optarg; break;
		case 'A': pargs = optarg; break;
		case 'D': d->detach = true; break;
		case 'P': pbin = optarg; break;
		case 'W': wbin = optarg; break;
		case 'h': usage(stdout); exit(0);
		case 'p': exit(print_db(optarg));
		case 'g': d->group_name = optarg; break;
		case 'F':
		case 'I':
		case 'C':
			if (policy_add(&d->policy, c, optarg) < 0) {
				fprintf(stderr, "sluiced: at most %d of --data-dir, --allow-iface, "
						"--allow-pci each\n", SL_POLICY_MAX);
				exit(2);
			}
			break;
		case 'G':
			if (strspn(optarg, "0123456789") == strlen(optarg) &&
			    sl_parse_u64(optarg, 0, 1000000, &g) == 0) {
				d->give_up_after = (unsigned int)g;
				break;
			}
			fprintf(stderr, "sluiced: --give-up-after: \"%s\" is not a number\n", optarg);
			exit(2);
		case 'H':
			if (strspn(optarg, "0123456789") == strlen(optarg) &&
			    sl_parse_u64(optarg, 100, 3600000, &g) == 0) {
				d->healthy_ms = (unsigned int)g;
				break;
			}
			fprintf(stderr,
				"sluiced: --healthy-after: \"%s\" is not a number of ms in 100..3600000\n",
				optarg);
			exit(2);
		case 'w':
			if (sl_parse_u64(optarg, 1, SL_MAX_WORKERS, &n) == 0)
				break;
			fprintf(stderr, "sluiced: --workers: \"%s\" is not a number in 1..%d\n", optarg,
				SL_MAX_WORKERS);
			exit(2);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sluiced: unexpected argument \"%s\" (see --help)\n", argv[optind]);
		exit(2);
	}
	d->n_workers = (unsigned int)n;
	d->n_default = (unsigned int)n;
	d->rundir = sl_rundir(rundir);
	d->policy.rundir = d->rundir;
	if (d->group_name != NULL) {
		struct group *g = getgrnam(d->group_name);

		if (g == NULL) {
			fprintf(stderr, "sluiced: --group: no group \"%s\"\n", d->group_name);
			exit(2);
		}
		d->gid = g->gr_gid;
		d->policy.confined = true;
	}
	if (parse_cpus(d, lcores) < 0) {
		fprintf(stderr, "sluiced: --lcores: bad CPU list \"%s\" (e.g. 0,1 or 0-3)\n", lcores);
		exit(2);
	}
	if (split_args(eal, &d->eal_args, &d->n_eal_args) < 0 ||
	    split_args(pargs, &d->primary_args, &d->n_primary_args) < 0)
		exit(1);
	if (db != NULL)
		d->db_path = sl_strdup(db);
	else if (asprintf(&d->db_path, "%s/sluice.db", d->rundir) < 0)
		exit(1);
	if (find_bin(d->primary_bin, sizeof(d->primary_bin), pbin, "sluice-primary", "primary") < 0) {
		fprintf(stderr, "sluiced: cannot find an executable sluice-primary%s%s (use --primary-bin)\n",
			pbin ? " at " : "", pbin ? pbin : "");
		exit(1);
	}
	if (find_bin(d->worker_bin, sizeof(d->worker_bin), wbin, "sluice-worker", "secondary") < 0) {
		fprintf(stderr, "sluiced: cannot find an executable sluice-worker%s%s (use --worker-bin)\n",
			wbin ? " at " : "", wbin ? wbin : "");
		exit(1);
	}
}

/* Parents as needed (0755), the rundir itself 0750. */
static int
mkdir_p(const char *path)
{
	char buf[PATH_MAX], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0750) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * The rundir holds sockets that reach root processes: it must be a real
 * directory of ours that nobody else can write to (else another user could
 * put a socket or a symlink where we would trust one).
 */
static void
rundir_check(struct sl_daemon *d)
{
	struct stat st;

	if (lstat(d->rundir, &st) < 0)
		sl_fatal(d, "cannot use %s: %s", d->rundir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		sl_fatal(d, "%s is not a directory (a symlink?): refusing it as the rundir",
			 d->rundir);
	if (st.st_uid != geteuid())
		sl_fatal(d, "%s belongs to uid %u, not to us (uid %u): refusing it as the rundir",
			 d->rundir, (unsigned int)st.st_uid, (unsigned int)geteuid());
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		sl_fatal(d, "%s is writable by others (mode %04o): refusing it as the rundir",
			 d->rundir, (unsigned int)(st.st_mode & 07777));
	if (d->group_name != NULL && chown(d->rundir, (uid_t)-1, d->gid) < 0)
		sl_fatal(d, "cannot give %s to group %s: %s", d->rundir, d->group_name,
			 strerror(errno));
	/* Others have no business in it at all. */
	if ((st.st_mode & 07777) != 0750 && chmod(d->rundir, 0750) < 0)
		sl_fatal(d, "cannot make %s mode 0750: %s", d->rundir, strerror(errno));
}

/* A file of the rundir: never through a symlink. */
static int
open_in_rundir(struct sl_daemon *d, const char *name, int flags, mode_t mode)
{
	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/%s", d->rundir, name);
	return open(path, flags | O_NOFOLLOW | O_CLOEXEC, mode);
}

static int
read_pid_fd(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return atoi(buf);
}

/*
 * Our pid file, locked for our lifetime: a second sluiced on DIR is
 * refused.  The lock, not the number in the file, says whether one runs:
 * a forged or stale pid file stops nobody.
 */
static void
pidfile_lock(struct sl_daemon *d)
{
	char buf[32];
	int fd, n;

	fd = open_in_rundir(d, "sluiced.pid", O_RDWR | O_CREAT, 0644);
	if (fd < 0)
		sl_fatal(d, "cannot open %s/sluiced.pid: %s", d->rundir, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		sl_fatal(d, "another sluiced (pid %d) is running on %s", read_pid_fd(fd), d->rundir);
	d->pid_fd = fd; /* stays open (close-on-exec) for our lifetime: that holds the lock */
	n = snprintf(buf, sizeof(buf), "%d\n", getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		sl_fatal(d, "cannot write %s/sluiced.pid: %s", d->rundir, strerror(errno));
}

/* The primary holds an flock on primary.pid while it lives: its pid, or 0. */
static int
locked_primary_pid(struct sl_daemon *d)
{
	int fd = open_in_rundir(d, "primary.pid", O_RDONLY, 0), pid = 0;

	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK)
		pid = read_pid_fd(fd);
	else
		flock(fd, LOCK_UN);
	close(fd);
	return pid;
}

/* --detach: the parent waits for "R" (ready) or "E<message>" from the daemon. */
static void
detach(struct sl_daemon *d)
{
	char buf[1024];
	int pfd[2], fd;
	ssize_t n, got = 0;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0 || (pid = fork()) < 0)
		sl_fatal(d, "cannot detach: %s", strerror(errno));
	if (pid > 0) {
		close(pfd[1]);
		while (got < (ssize_t)sizeof(buf) - 1 &&
		       ((n = read(pfd[0], buf + got, sizeof(buf) - 1 - (size_t)got)) > 0 ||
			(n < 0 && errno == EINTR)))
			got += n > 0 ? n : 0;
		buf[got] = '\0';
		if (got > 0 && buf[0] == 'R')
			_exit(0);
		if (got > 1)
			fprintf(stderr, "sluiced: %s\n", buf + 1);
		else
			fprintf(stderr, "sluiced: failed to start; see %s/sluiced.log\n", d->rundir);
		_exit(1);
	}
	close(pfd[0]);
	d->ready_fd = pfd[1];
	setsid();
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

static void
bind_socket(struct sl_daemon *d)
{
	char path[PATH_MAX + 16];
	int64_t maxsz = SL_MSG_MAX;
	int linger = 1000, rc;
	mode_t old_mask;

	sl_endpoint(d->ctl_ep, sizeof(d->ctl_ep), d->rundir, "sluiced.sock");
	sl_endpoint(d->primary_ep, sizeof(d->primary_ep), d->rundir, "primary.sock");
	sl_endpoint(d->primary_ro_ep, sizeof(d->primary_ro_ep), d->rundir, "primary-ro.sock");
	d->zctx = zmq_ctx_new();
	/* ROUTER, not REP: a reply may wait (a planned restart) while others are served. */
	d->sock = d->zctx ? zmq_socket(d->zctx, ZMQ_ROUTER) : NULL;
	if (d->sock == NULL)
		sl_fatal(d, "cannot create a ZeroMQ socket: %s", zmq_strerror(zmq_errno()));
	/* Linger so that the last reply (to shutdown) still leaves. */
	zmq_setsockopt(d->sock, ZMQ_LINGER, &linger, sizeof(linger));
	/* Oversized messages are dropped by ZeroMQ before they are ever allocated. */
	zmq_setsockopt(d->sock, ZMQ_MAXMSGSIZE, &maxsz, sizeof(maxsz));
	snprintf(path, sizeof(path), "%s/sluiced.sock", d->rundir);
	/* The socket is born 0660: no moment at which anyone else may connect. */
	old_mask = umask(0117);
	rc = zmq_bind(d->sock, d->ctl_ep);
	umask(old_mask);
	if (rc != 0)
		sl_fatal(d, "cannot bind %s: %s", d->ctl_ep, zmq_strerror(zmq_errno()));
	if (d->group_name != NULL && chown(path, (uid_t)-1, d->gid) < 0)
		sl_fatal(d, "cannot give %s to group %s: %s", path, d->group_name, strerror(errno));
}

/* A primary left running by an earlier sluiced: adopt it if it answers. */
static bool
try_adopt(struct sl_daemon *d)
{
	struct sl_proc old;
	int pid, i, hello;

	/* Only a process that holds the primary's lock and runs its binary is one. */
	pid = locked_primary_pid(d);
	if (pid <= 0 || !sl_proc_alive(pid) || !sl_pid_runs(pid, d->primary_bin))
		return false;
	for (i = 0; i < 5; i++) {
		hello = sl_primary_hello(d, 1000);
		if (hello == pid) {
			sl_log("adopting the running sluice-primary, pid %d", pid);
			sl_proc_adopt(&d->primary, pid);
			sl_primary_is_up(d, true);
			return true;
		}
	}
	sl_log("sluice-primary pid %d runs but does not answer: stopping it", pid);
	sl_proc_init(&old, "old primary", d->primary.policy);
	sl_proc_adopt(&old, pid);
	sl_proc_stop(&old, 2000);
	return false;
}

static void
on_signal(int sig)
{
	if (sig != SIGCHLD)
		sl_signalled = sig;
}

static void
setup_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: zmq_poll returns at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
}

static void
main_loop(struct sl_daemon *d)
{
	struct timespec nap = { 0, 50 * 1000 * 1000 };
	zmq_pollitem_t pi;

	while (!d->quit && !sl_signalled) {
		sl_procs_tick(d);
		sl_expiry_take(d);
		sl_api_drain(d); /* what came while the tick waited for the primary */
		/* While the primary starts, requests wait in the socket: they would only fail. */
		if (d->phase == SL_PRI_STARTING) {
			nanosleep(&nap, NULL);
			continue;
		}
		pi = (zmq_pollitem_t){ .socket = d->sock, .events = ZMQ_POLLIN };
		/* A hand-over in progress is looked at every 10 ms. */
		if (zmq_poll(&pi, 1, d->handover.active ? 10 : SL_POLL_MS) > 0)
			sl_api_serve(d);
	}
}

static void
cleanup(struct sl_daemon *d)
{
	char path[PATH_MAX + 16];

	zmq_close(d->sock);
	snprintf(path, sizeof(path), "%s/sluiced.sock", d->rundir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/sluiced.pid", d->rundir);
	unlink(path);
	zmq_ctx_term(d->zctx);
	sl_db_fini(&d->db);
}

int
main(int argc, char **argv)
{
	static struct sl_daemon d;
	char err[1024];
	int rc;

	d.ready_fd = -1;
	d.log_fd = -1;
	d.pid_fd = -1;
	/* Nothing we create is for others unless said so (--group). */
	umask(027);
	parse_args(&d, argc, argv);
	/* A daemon keeps none of its starter's descriptors: an inherited lock
	 * (a script's flock, say) would stay held for as long as the switch
	 * runs, by sluiced and by every process it starts. */
	if (d.detach)
		close_range(3, ~0u, 0);
	sl_log_daemon = &d;
	rc = mkdir_p(d.rundir);
	if (rc < 0)
		sl_fatal(&d, "cannot create %s: %s", d.rundir, strerror(-rc));
	rundir_check(&d);
	d.log_fd = open_in_rundir(&d, "sluiced.log", O_WRONLY | O_CREAT | O_APPEND, 0640);
	if (d.log_fd < 0)
		sl_fatal(&d, "cannot open %s/sluiced.log: %s", d.rundir, strerror(errno));
	if (sl_api_check(err, sizeof(err)) < 0)
		sl_fatal(&d, "internal error: %s", err);
	if (sl_db_load(&d.db, d.db_path, err, sizeof(err)) < 0)
		sl_fatal(&d, "%s", err);
	{
		unsigned long txns;
		size_t dropped;

		sl_db_journal_stats(&d.db, &txns, &dropped);
		if (dropped > 0)
			sl_log("%s: dropped a journal transaction cut short at its end (%zu bytes, "
			       "never acknowledged); the next change rewrites the file",
			       d.db.path, dropped);
	}
	d.db.progress = sl_api_serve_now; /* reads answered while a big table is saved */
	d.db.progress_arg = &d;
	sl_procs_init(&d);
	if (d.detach)
		detach(&d);
	pidfile_lock(&d); /* after the fork: the daemon's pid, and its lock */
	setup_signals();
	bind_socket(&d);
	sl_log("started on %s: db %s (%zu ports, %u flows), %u workers", d.rundir, d.db.path,
	       d.db.n_ports, d.db.flows.n, d.n_default);
	if (!try_adopt(&d)) {
		sl_primary_start(&d);
		if (d.phase == SL_PRI_DOWN)
			sl_fatal(&d, "%s", d.primary.reason);
	}
	main_loop(&d);
	if (sl_signalled)
		sl_log("signal %d: exiting; sluice-primary and the workers keep running",
		       (int)sl_signalled);
	else
		sl_log("shut down");
	cleanup(&d);
	return 0;
}
