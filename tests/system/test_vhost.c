/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost-user ports with a real virtual machine: QEMU under TCG booting
 * Debian's kernel and an initramfs the test builds (vm_initramfs.sh:
 * busybox-static, the virtio-net modules, an init that forwards between
 * eth0 and eth1).  The seed's PHY-VM-PHY with kernel forwarding:
 *
 *   namespace A -- veth -- phy0 (net_af_packet, ofport 1) -- sluice --
 *   dpdkvhostuser0 (ofport 3) -- guest eth0 -> IP forwarding -> guest eth1 --
 *   dpdkvhostuser1 (ofport 4) -- sluice -- phy1 (ofport 2) -- veth -- namespace B
 *
 * with the seed's flows (in_port=1,action=output:3 ...).  Client mode
 * (dpdkvhostuserclient, QEMU the server) goes through a worker kill and a
 * primary kill with the VM running; the gap is measured with a 10 ms ping.
 * The teardown kills QEMU and removes the namespaces and veths, pass or fail.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "control.h"

static struct ctl c;
static char out[1 << 16];
static char qemu_pidfile[256];

#define NS_A "slvhA"
#define NS_B "slvhB"

static void
vm_kill(void)
{
	if (qemu_pidfile[0] != '\0')
		ctl_sh("p=$(cat %s 2>/dev/null) && kill -9 $p 2>/dev/null; true", qemu_pidfile);
	qemu_pidfile[0] = '\0';
}

static void
net_down(void)
{
	ctl_sh("ip netns del " NS_A " 2>/dev/null; ip netns del " NS_B " 2>/dev/null; "
	       "ip link del slvhA0 2>/dev/null; ip link del slvhB0 2>/dev/null; true");
}

static void
vhost_teardown(void)
{
	vm_kill();
	ctl_stop(&c);
	net_down();
}

TestSuite(vhost, .fini = vhost_teardown, .timeout = 150);

/* Two namespaces behind veth pairs: A 10.77.1.2, B 10.77.2.2, the guest their router. */
static void
net_up(void)
{
	net_down();
	cr_assert_eq(ctl_sh("set -e; ip netns add " NS_A "; ip netns add " NS_B "; "
			    "ip link add slvhA0 type veth peer name slvhA1; "
			    "ip link add slvhB0 type veth peer name slvhB1; "
			    "ip link set slvhA1 netns " NS_A "; ip link set slvhB1 netns " NS_B "; "
			    "ip link set slvhA0 up; ip link set slvhB0 up; "
			    "ip -n " NS_A " link set lo up; ip -n " NS_B " link set lo up; "
			    "ip -n " NS_A " addr add 10.77.1.2/24 dev slvhA1; "
			    "ip -n " NS_B " addr add 10.77.2.2/24 dev slvhB1; "
			    "ip -n " NS_A " link set slvhA1 up; ip -n " NS_B " link set slvhB1 up; "
			    /* The namespaces' TCP leaves checksums to the veth, which
			     * af_packet does not finish: complete them in the stack. */
			    "ip netns exec " NS_A " ethtool -K slvhA1 tx off > /dev/null; "
			    "ip netns exec " NS_B " ethtool -K slvhB1 tx off > /dev/null; "
			    "ip -n " NS_A " route add default via 10.77.1.1; "
			    "ip -n " NS_B " route add default via 10.77.2.1"),
		     0, "namespaces and veths");
}

/*
 * Boot the guest in the background with two vhost-user NICs: @server
 * false: QEMU connects to sluice's sockets @s0, @s1; true: QEMU serves them.
 */
struct vm_opts {
	const char *netdev; /* appended to each -netdev vhost-user */
	const char *device; /* appended to each -device virtio-net-pci */
	const char *append; /* kernel command line words for the init */
	int smp;            /* vCPUs (0: 1) */
};

static void
vm_start_opts(const char *s0, const char *s1, bool server, const struct vm_opts *o)
{
	char initrd[256], kernel[256], log[256];
	const char *mode = server ? ",server=on,wait=off" : "";
	FILE *f;

	snprintf(initrd, sizeof(initrd), "%s/guest.cpio.gz", c.rundir);
	snprintf(log, sizeof(log), "%s/guest.log", c.rundir);
	snprintf(qemu_pidfile, sizeof(qemu_pidfile), "%s/qemu.pid", c.rundir);
	cr_assert_eq(ctl_sh("%s/tests/system/vm_initramfs.sh %s > %s/kernel.txt",
			    getenv("SLUICE_SOURCE"), initrd, c.rundir),
		     0, "building the guest's initramfs");
	snprintf(kernel, sizeof(kernel), "%s/kernel.txt", c.rundir);
	f = fopen(kernel, "r");
	cr_assert(f != NULL && fgets(kernel, sizeof(kernel), f) != NULL);
	fclose(f);
	kernel[strcspn(kernel, "\n")] = '\0';
	/* vectors=0: QEMU 7.2 under TCG crashes starting a vhost-user NIC with MSI-X.
	 * Checksum offload stays on: the guest's TCP leaves its checksums to
	 * the host, which net_vhost finishes (docs/vhost.md). */
	cr_assert_eq(ctl_sh("setsid timeout 140 qemu-system-x86_64 -machine q35,accel=tcg -m 256M "
			    "-smp %d "
			    "-object memory-backend-memfd,id=mem,size=256M,share=on -numa node,memdev=mem "
			    "-kernel %s -initrd %s -append 'console=ttyS0 panic=-1 quiet %s' "
			    "-no-reboot -display none -monitor none -serial file:%s -nic none "
			    "-chardev socket,id=c0,path=%s%s -netdev vhost-user,id=n0,chardev=c0%s "
			    "-device virtio-net-pci,netdev=n0,mac=52:54:00:77:01:01,vectors=0,addr=0x3%s "
			    "-chardev socket,id=c1,path=%s%s -netdev vhost-user,id=n1,chardev=c1%s "
			    "-device virtio-net-pci,netdev=n1,mac=52:54:00:77:02:01,vectors=0,addr=0x4%s "
			    "-pidfile %s > %s/qemu.stderr 2>&1 < /dev/null &",
			    o->smp > 0 ? o->smp : 1, kernel, initrd, o->append, log, s0, mode, o->netdev,
			    o->device, s1, mode, o->netdev, o->device, qemu_pidfile, c.rundir),
		     0);
}

static void
vm_start(const char *s0, const char *s1, bool server)
{
	static const struct vm_opts plain = { "", "", "", 1 };

	vm_start_opts(s0, s1, server, &plain);
}

/* Wait until the guest's init said it forwards. */
static void
vm_wait_ready(int seconds)
{
	char *log = NULL;

	for (int i = 0; i < seconds * 10; i++) {
		free(log);
		log = ctl_file(&c, "guest.log");
		if (strstr(log, "GUEST-READY") != NULL)
			break;
		usleep(100000);
	}
	cr_assert(strstr(log, "GUEST-READY") != NULL, "guest did not come up: %s\nqemu: %s", log,
		  ctl_file(&c, "qemu.stderr"));
	free(log);
}

static bool
vm_alive(void)
{
	return ctl_sh("kill -0 $(cat %s)", qemu_pidfile) == 0;
}

/* A ping from A to B through the guest; retried while ARP and the links settle. */
static void
ping_passes(int tries)
{
	int rc = 1;

	for (int i = 0; i < tries && rc != 0; i++)
		rc = ctl_sh("ip netns exec " NS_A " ping -c 3 -i 0.2 -W 2 10.77.2.2 > %s/ping.txt 2>&1",
			    c.rundir);
	cr_assert_eq(rc, 0, "ping A -> B: %s", ctl_file(&c, "ping.txt"));
}

static void
seed_flows(void)
{
	/* $ ovs-ofctl del-flows br0
	 * $ ovs-ofctl add-flow br0 in_port=1,action=output:3 ... */
	OK("del-flows br0");
	OK("add-flow br0 in_port=1,action=output:3");
	OK("add-flow br0 in_port=3,action=output:1");
	OK("add-flow br0 in_port=4,action=output:2");
	OK("add-flow br0 in_port=2,action=output:4");
	OK("dump-flows br0");
	cr_assert(strstr(out, "in_port=1,actions=output:3") != NULL, "%s", out);
}

static void
phy_ports(void)
{
	OK("add-port phy0 net_af_packet0,iface=slvhA0 ofport=1");
	OK("add-port phy1 net_af_packet1,iface=slvhB0 ofport=2");
}

Test(vhost, types_refused_shown_and_persisted)
{
	static const char *const extra[] = { "--group", "root", NULL };
	char path[256], *db;
	struct stat st;
	pid_t pid;

	ctl_start_opt(&c, "vhbad", 1, extra, true);
	OK("add-port dpdkvhostuser0 type=dpdkvhostuser ofport=3");
	snprintf(path, sizeof(path), "%s/dpdkvhostuser0", c.rundir);
	cr_assert_eq(stat(path, &st), 0, "the socket is RUNDIR/NAME");
	cr_assert(S_ISSOCK(st.st_mode));
	cr_assert_eq(st.st_mode & 0777, 0660, "mode %o", st.st_mode & 0777);
	OK("show");
	cr_assert(strstr(out, "type: dpdkvhostuser") != NULL, "%s", out);
	cr_assert(strstr(out, path) != NULL, "show names the socket: %s", out);
	db = ctl_file(&c, "sluice.db");
	cr_assert(strstr(db, "type=dpdkvhostuser") != NULL, "%s", db);
	free(db);

	/* Each refused, one line, nothing changed. */
	REFUSED("already port \"dpdkvhostuser0\"", "add-port v1 net_vhost7,iface=%s", path);
	REFUSED("missing vhost-server-path", "add-port v2 type=dpdkvhostuserclient");
	REFUSED("vhost-server-path is for type=dpdkvhostuserclient",
		"add-port v3 type=dpdkvhostuser vhost-server-path=%s/x.sock", c.rundir);
	REFUSED("makes its own devargs", "add-port v4 net_ring0 type=dpdkvhostuser");
	REFUSED("give an absolute path", "add-port v5 type=dpdkvhostuserclient vhost-server-path=x");
	REFUSED("not allowed", "add-port v6 type=dpdkvhostuserclient vhost-server-path=/tmp/vm.sock");
	REFUSED("not allowed", "add-port v6 net_vhost6,iface=/var/tmp/vm.sock");
	cr_assert_eq(ctl_sh("echo data > %s/afile", c.rundir), 0);
	REFUSED("exists and is not a socket",
		"add-port v7 type=dpdkvhostuserclient vhost-server-path=%s/afile", c.rundir);
	cr_assert_eq(ctl_sh("mkdir %s/v8", c.rundir), 0);
	REFUSED("exists and is not a socket", "add-port v8 type=dpdkvhostuser");
	REFUSED("one of dpdk|dpdkvhostuser|dpdkvhostuserclient", "add-port v9 type=vhost");
	/* A live socket of someone else's is never taken for a stale one. */
	REFUSED("another process serves", "add-port v10 net_vhost10,iface=%s/sluiced.sock",
		c.rundir);
	snprintf(path, sizeof(path), "%s/sluiced.sock", c.rundir);
	cr_assert_eq(stat(path, &st), 0, "sluiced's socket is still there");
	snprintf(path, sizeof(path), "%s/dpdkvhostuser0", c.rundir);
	REFUSED("can only be given at add-port", "set-port dpdkvhostuser0 type=dpdk");
	OK("show");
	for (int i = 1; i <= 10; i++) {
		char name[16];

		snprintf(name, sizeof(name), "Port v%d\n", i);
		cr_assert(strstr(out, name) == NULL, "%s was added: %s", name, out);
	}
	cr_assert_eq(ctl_sh("cat %s/afile | grep -qx data", c.rundir), 0, "the file is untouched");

	/* Client mode with no server yet is accepted: sluice keeps trying. */
	OK("add-port vc type=dpdkvhostuserclient vhost-server-path=%s/vm.sock ofport=5", c.rundir);
	OK("show");
	cr_assert(strstr(out, "vhost-server-path: ") != NULL && strstr(out, "client=1") != NULL,
		  "%s", out);
	/* Replayed: a killed primary comes back with both, the server socket made anew. */
	pid = ctl_pid(&c, "primary");
	kill(pid, SIGKILL);
	for (int i = 0; i < 100; i++) {
		const char *d;

		usleep(100000);
		if (ctl_pid(&c, "primary") == pid || ctl_run(&c, out, sizeof(out), "show") != 0)
			continue;
		d = strstr(out, "driver: net_vhost");
		if (d != NULL && strstr(d + 1, "driver: net_vhost") != NULL)
			break;
	}
	OK("show");
	cr_assert_neq(ctl_pid(&c, "primary"), pid);
	cr_assert(strstr(out, "Port dpdkvhostuser0") != NULL && strstr(out, "Port vc") != NULL,
		  "%s", out);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert(S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0660, "mode %o",
		  st.st_mode & 0777);
	/* del-port takes the socket away; add-port makes it again. */
	OK("del-port dpdkvhostuser0");
	cr_assert_neq(stat(path, &st), 0, "the socket goes with the port");
	OK("add-port dpdkvhostuser0 type=dpdkvhostuser ofport=3");
	cr_assert_eq(stat(path, &st), 0);
}

Test(vhost, phy_vm_phy_kernel_forwarding_as_the_seed)
{
	char s0[256], s1[256];

	net_up();
	ctl_start(&c, "vhvm", 1);
	phy_ports();
	OK("add-port dpdkvhostuser0 type=dpdkvhostuser ofport=3");
	OK("add-port dpdkvhostuser1 type=dpdkvhostuser ofport=4");
	seed_flows();
	snprintf(s0, sizeof(s0), "%s/dpdkvhostuser0", c.rundir);
	snprintf(s1, sizeof(s1), "%s/dpdkvhostuser1", c.rundir);
	vm_start(s0, s1, false);
	vm_wait_ready(60);
	ping_passes(10);
	fprintf(stderr, "vhost: PHY-VM-PHY ping:\n%s", ctl_file(&c, "ping.txt"));
	OK("dump-ports br0 dpdkvhostuser0");
	cr_assert(ctl_number_after(out, "tx pkts=") >= 3, "to the guest's eth0: %s", out);
	OK("dump-ports br0 dpdkvhostuser1");
	cr_assert(ctl_number_after(out, "rx pkts=") >= 3, "from the guest's eth1: %s", out);
	cr_assert_eq(ctl_sh("ip netns exec " NS_B " timeout 20 iperf3 -s -1 -p 5299 > /dev/null 2>&1 & "
			    "sleep 0.5; ip netns exec " NS_A " timeout 20 iperf3 -c 10.77.2.2 -p 5299 "
			    "-n 1M > %s/iperf.txt 2>&1", c.rundir),
		     0, "TCP A -> B: %s", ctl_file(&c, "iperf.txt"));
	fprintf(stderr, "vhost: PHY-VM-PHY TCP:\n%s", ctl_file(&c, "iperf.txt"));
	cr_assert(vm_alive());
}

/*
 * Ping every 10 ms for @seconds while @what happens after 1 s; the gap is
 * the replies missing (10 ms each), returned in ms; *@max_rtt the longest
 * round trip (packets held up rather than lost).
 */
static long
gap_ms(const char *what, const char *kill_cmd, int seconds, double *max_rtt)
{
	long sent, got;
	const char *rtt;

	cr_assert_eq(ctl_sh("ip netns exec " NS_A " ping -q -i 0.01 -W 1 -w %d 10.77.2.2 > "
			    "%s/gap.txt 2>&1 & sleep 1; %s; wait",
			    seconds, c.rundir, kill_cmd),
		     0, "%s: %s", what, ctl_file(&c, "gap.txt"));
	{
		char *t = ctl_file(&c, "gap.txt");

		sent = ctl_number_after(t, "ping statistics ---\n");
		got = ctl_number_after(t, "transmitted, ");
		rtt = strstr(t, "rtt min/avg/max/mdev = ");
		*max_rtt = -1;
		if (rtt != NULL)
			sscanf(rtt, "rtt min/avg/max/mdev = %*f/%*f/%lf", max_rtt);
		fprintf(stderr, "vhost: %s:\n%s", what, t);
		free(t);
	}
	cr_assert(sent > 0 && got > 0, "%s: nothing came back", what);
	return (sent - got) * 10;
}

Test(vhost, client_mode_survives_worker_and_primary_kills)
{
	char s0[256], s1[256], cmd[512], *log;
	long gap_worker, gap_primary;
	double rtt_worker, rtt_primary;
	pid_t qemu, pid;

	net_up();
	ctl_start(&c, "vhcl", 1);
	snprintf(s0, sizeof(s0), "%s/vm0.sock", c.rundir);
	snprintf(s1, sizeof(s1), "%s/vm1.sock", c.rundir);
	vm_start(s0, s1, true);
	phy_ports();
	OK("add-port dpdkvhostuser0 type=dpdkvhostuserclient vhost-server-path=%s ofport=3", s0);
	OK("add-port dpdkvhostuser1 type=dpdkvhostuserclient vhost-server-path=%s ofport=4", s1);
	seed_flows();
	vm_wait_ready(60);
	ping_passes(10);
	qemu = ctl_pid(&c, "qemu");

	OK("show");
	pid = (pid_t)ctl_number_after(out, "Worker 0: running, pid ");
	cr_assert(pid > 1, "worker pid: %s", out);
	snprintf(cmd, sizeof(cmd), "kill -9 %d", (int)pid);
	gap_worker = gap_ms("worker kill -9", cmd, 5, &rtt_worker);
	ping_passes(5);
	pid = ctl_pid(&c, "primary");
	cr_assert(pid > 1);
	snprintf(cmd, sizeof(cmd), "kill -9 %d", (int)pid);
	gap_primary = gap_ms("primary kill -9", cmd, 10, &rtt_primary);
	ping_passes(10);

	cr_assert(vm_alive(), "the VM keeps running");
	cr_assert_eq(ctl_pid(&c, "qemu"), qemu, "never restarted");
	log = ctl_file(&c, "guest.log");
	cr_assert(strstr(log, "GUEST-READY") != NULL &&
			  strstr(strstr(log, "GUEST-READY") + 1, "GUEST-READY") == NULL,
		  "the guest booted once: %s", log);
	free(log);
	fprintf(stderr,
		"vhost: client mode: worker kill %ld ms lost (longest rtt %.0f ms), "
		"primary kill %ld ms lost (longest rtt %.0f ms)\n",
		gap_worker, rtt_worker, gap_primary, rtt_primary);
	cr_assert(gap_worker < 2000, "worker kill: %ld ms without traffic", gap_worker);
	cr_assert(gap_primary < 8000, "primary kill: %ld ms without traffic", gap_primary);
}

/* Packets on rx queue @q in a dump-ports answer (-1: no such queue shown). */
static long
rxq_pkts(const char *dump, unsigned int q)
{
	char key[32];

	snprintf(key, sizeof(key), "rxq %u: pkts=", q);
	return strstr(dump, key) != NULL ? ctl_number_after(dump, key) : -1;
}

/*
 * vHost multiqueue: QEMU offers two queue pairs (queues=2, mq=on), the
 * guest's init enables both (ethtool -L combined 2); the ports follow (two
 * rx queues, restarted when the guest enabled them), and the guest's
 * transmissions, spread over its two tx queues by flow hash, arrive on both.
 */
Test(vhost, multiqueue_ports_follow_the_guest_and_both_queues_carry_traffic)
{
	static const struct vm_opts mq = { ",queues=2", ",mq=on", "sl_mq=2", 1 };
	char s0[256], s1[256], *log;
	long q0, q1;

	net_up();
	ctl_start(&c, "vhmq", 1);
	phy_ports();
	OK("add-port dpdkvhostuser0 type=dpdkvhostuser ofport=3");
	OK("add-port dpdkvhostuser1 type=dpdkvhostuser ofport=4");
	OK("show");
	cr_assert(strstr(out, "n_rxq 1, n_txq 1") != NULL, "one queue before the guest: %s", out);
	cr_assert(strstr(out, "link: down") != NULL, "no guest, no link: %s", out);
	seed_flows();
	snprintf(s0, sizeof(s0), "%s/dpdkvhostuser0", c.rundir);
	snprintf(s1, sizeof(s1), "%s/dpdkvhostuser1", c.rundir);
	vm_start_opts(s0, s1, false, &mq);
	vm_wait_ready(60);
	log = ctl_file(&c, "guest.log");
	fprintf(stderr, "vhost: multiqueue guest console:\n%s", log);
	free(log);
	ping_passes(10);
	/* Both ports restarted with the guest's two queue pairs. */
	OK("show");
	{
		const char *p1 = strstr(out, "Port dpdkvhostuser1");

		cr_assert(p1 != NULL && strstr(p1, "n_rxq 2, n_txq 2") != NULL, "%s", out);
		cr_assert(strstr(p1, "link: up") != NULL, "%s", out);
	}
	OK("pmd-rxq-show");
	fprintf(stderr, "vhost: multiqueue pmd-rxq-show:\n%s", out);
	/* Sixteen TCP flows A -> B through the guest: its forwarding picks a
	 * tx queue of eth1 by each flow's hash (one vCPU: XPS maps it to both
	 * queues), so all sixteen on one queue has odds of 2^-15. */
	cr_assert_eq(ctl_sh("ip netns exec " NS_B " timeout 40 iperf3 -s -1 -p 5299 > /dev/null 2>&1 & "
			    "sleep 0.5; ip netns exec " NS_A " timeout 40 iperf3 -c 10.77.2.2 -p 5299 "
			    "-P 16 -n 2M > %s/iperf.txt 2>&1", c.rundir),
		     0, "TCP A -> B: %s", ctl_file(&c, "iperf.txt"));
	OK("dump-ports br0 dpdkvhostuser1");
	fprintf(stderr, "vhost: multiqueue dump-ports dpdkvhostuser1:\n%s", out);
	q0 = rxq_pkts(out, 0);
	q1 = rxq_pkts(out, 1);
	cr_assert(q0 > 0 && q1 > 0, "both rx queues carry the guest's eth1 traffic: %s", out);
	OK("dump-ports br0 dpdkvhostuser0");
	fprintf(stderr, "vhost: multiqueue dump-ports dpdkvhostuser0:\n%s", out);
	cr_assert(vm_alive());
}

/* Packets bucket @b of group 1 took, from dump-group-stats. */
static long
bucket_pkts(int b)
{
	char key[40];

	OK("dump-group-stats 1");
	snprintf(key, sizeof(key), "bucket%d:packet_count=", b);
	cr_assert(strstr(out, key) != NULL, "%s", out);
	return (long)ctl_number_after(out, key);
}

/* Send from A for a moment (a ping that may or may not come back). */
static void
nudge_from_a(void)
{
	ctl_sh("ip netns exec " NS_A " ping -c 5 -i 0.05 -W 1 10.77.2.2 > /dev/null 2>&1; true");
}

/* Wait up to @seconds for vhost port @name's link to read @state in show. */
static bool
link_becomes(const char *name, const char *state, int seconds)
{
	char want[32];

	snprintf(want, sizeof(want), "link: %s", state);
	for (int i = 0; i < seconds * 10; i++) {
		const char *p;

		OK("show");
		p = strstr(out, name);
		if (p != NULL && strstr(p, "link: ") != NULL &&
		    strncmp(strstr(p, "link: "), want, strlen(want)) == 0)
			return true;
		usleep(100000);
	}
	return false;
}

/*
 * The link of a vhost port is its guest's driver: down before the guest,
 * up while it runs, down when it is gone; a fast_failover group watching
 * the vhost port sends to it only while it is up.  Jumbo frames: every port
 * at MTU 9000 (net_tap ports here: net_af_packet's frames are 2 KiB), the
 * guest's NICs too; a 9000-byte unfragmented ping and TCP pass through the
 * guest, whose virtio-net takes frames longer than one buffer only with
 * mergeable rx buffers.  tx-retries-max is a port setting.
 */
Test(vhost, link_follows_the_guest_fast_failover_sees_it_and_jumbo_frames_pass)
{
	static const struct vm_opts jumbo = { "", "", "sl_mtu=9000", 1 };
	char s0[256], s1[256];
	long b0, b1;

	net_down();
	ctl_start(&c, "vhlk", 1);
	OK("add-port phy0 net_tap_vhA,iface=slvhA0 mtu=9000 ofport=1");
	OK("add-port phy1 net_tap_vhB,iface=slvhB0 mtu=9000 ofport=2");
	cr_assert_eq(ctl_sh("set -e; ip netns add " NS_A "; ip netns add " NS_B "; "
			    "ip link set slvhA0 netns " NS_A "; ip link set slvhB0 netns " NS_B "; "
			    "ip -n " NS_A " link set lo up; ip -n " NS_B " link set lo up; "
			    "ip -n " NS_A " link set slvhA0 mtu 9000 up; "
			    "ip -n " NS_B " link set slvhB0 mtu 9000 up; "
			    "ip -n " NS_A " addr add 10.77.1.2/24 dev slvhA0; "
			    "ip -n " NS_B " addr add 10.77.2.2/24 dev slvhB0; "
			    "ip -n " NS_A " route add default via 10.77.1.1; "
			    "ip -n " NS_B " route add default via 10.77.2.1"),
		     0, "namespaces behind the taps");
	OK("add-port dpdkvhostuser0 type=dpdkvhostuser mtu=9000 tx-retries-max=4 ofport=3");
	OK("add-port dpdkvhostuser1 type=dpdkvhostuser mtu=9000 ofport=4");
	cr_assert_str_eq(SHOWN("dpdkvhostuser0", "tx-retries-max"), "4");
	cr_assert_str_eq(SHOWN("dpdkvhostuser1", "tx-retries-max"), "8", "OVS's default");
	OK("set-port dpdkvhostuser1 tx-retries-max=16");
	cr_assert_str_eq(SHOWN("dpdkvhostuser1", "tx-retries-max"), "16");
	REFUSED("tx-retries-max", "set-port dpdkvhostuser1 tx-retries-max=33");
	cr_assert_str_eq(SHOWN("dpdkvhostuser1", "tx-retries-max"), "16", "unchanged");
	cr_assert(link_becomes("Port dpdkvhostuser0", "down", 1), "no guest yet: %s", out);

	/* A -> the guest's eth0 if its link is up, else straight to B. */
	OK("add-group group_id=1,type=fast_failover,bucket=watch_port:3,actions=output:3,"
	   "bucket=watch_port:2,actions=output:2");
	OK("del-flows br0");
	OK("add-flow br0 in_port=1,action=group:1");
	OK("add-flow br0 in_port=3,action=output:1");
	OK("add-flow br0 in_port=4,action=output:2");
	OK("add-flow br0 in_port=2,action=output:4");
	nudge_from_a();
	b0 = bucket_pkts(0);
	b1 = bucket_pkts(1);
	cr_assert(b0 == 0 && b1 > 0, "link down: the second bucket (bucket0 %ld, bucket1 %ld)", b0,
		  b1);

	snprintf(s0, sizeof(s0), "%s/dpdkvhostuser0", c.rundir);
	snprintf(s1, sizeof(s1), "%s/dpdkvhostuser1", c.rundir);
	vm_start_opts(s0, s1, false, &jumbo);
	vm_wait_ready(60);
	cr_assert(link_becomes("Port dpdkvhostuser0", "up", 10), "guest up: %s", out);
	ping_passes(10);
	cr_assert_gt(bucket_pkts(0), 0, "link up: the first bucket");
	b1 = bucket_pkts(1);

	/* 9000-byte frames, DF set, both ways through the guest. */
	cr_assert_eq(ctl_sh("ip netns exec " NS_A " ping -c 3 -i 0.3 -W 3 -M do -s 8972 10.77.2.2 "
			    "> %s/ping.txt 2>&1", c.rundir),
		     0, "9000-byte ping A -> B through the guest: %s", ctl_file(&c, "ping.txt"));
	fprintf(stderr, "vhost: jumbo ping:\n%s", ctl_file(&c, "ping.txt"));
	cr_assert_eq(ctl_sh("ip netns exec " NS_B " timeout 30 iperf3 -s -1 -p 5298 > /dev/null 2>&1 & "
			    "sleep 0.5; ip netns exec " NS_A " timeout 30 iperf3 -c 10.77.2.2 -p 5298 "
			    "-n 4M > %s/iperf.txt 2>&1", c.rundir),
		     0, "TCP at MTU 9000: %s", ctl_file(&c, "iperf.txt"));
	fprintf(stderr, "vhost: jumbo TCP:\n%s", ctl_file(&c, "iperf.txt"));
	OK("dump-ports br0 dpdkvhostuser1 --xstats");
	fprintf(stderr, "vhost: jumbo dump-ports dpdkvhostuser1:\n%s", out);
	{
		long long rx = ctl_number_after(out, "rx pkts="), bytes = ctl_number_after(out, "bytes=");

		cr_assert_gt(bytes / (rx > 0 ? rx : 1), 4000, "jumbo frames from the guest: %s", out);
	}
	cr_assert_eq(bucket_pkts(1), b1, "the second bucket idles while the guest is up");

	/* The guest gone: link down, the group falls back. */
	vm_kill();
	cr_assert(link_becomes("Port dpdkvhostuser0", "down", 10), "guest gone: %s", out);
	nudge_from_a();
	cr_assert_gt(bucket_pkts(1), b1, "link down again: the second bucket");
}
