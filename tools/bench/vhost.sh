#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# tools/bench/vhost.sh: a QEMU guest behind vhost-user ports, through sluice
# and OVS-DPDK 3.1 with the same guest, ports and flows in the same run.
# Run ./tools/bench/vhost.sh --help for the details.
# Functions run from traps and subshells: shellcheck cannot see them called.
# shellcheck disable=SC2317
set -euo pipefail

PROG=tools/bench/vhost.sh
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BENCH_NAME=vhost.sh
BENCH_PREFIXES="bench_vsl bench_vovs"
# shellcheck source=tools/bench/lib.sh
. "$HERE/lib.sh"

REPS=3
SECONDS_MEASURE=10
PINGS=200
NO_OVS=0
DOCS=0
DOCS_FILE="$SRC/docs/benchmark.md"
BUILD="${SLUICE_BUILD:-$SRC/build}"
KEEP=0
FWD_CPU=1
CTL_CPU=0
ORIG_ARGS=("$@")

usage() {
	cat <<EOF
Usage: $PROG [--reps N] [--seconds S] [--pings N] [--no-ovs] [--docs] [--keep]

One QEMU guest (TCG: no KVM here; Debian's kernel, the initramfs of
tests/system/vm_initramfs.sh with an iperf3 server) with two vhost-user
NICs, QEMU the server of both sockets.  Each switch in turn attaches
  phy0 (ofport 1) net_af_packet on a veth to namespace A (10.77.1.2)
  phy1 (ofport 2) net_af_packet on a veth to namespace B (10.77.2.2)
  vhu0 (ofport 3) dpdkvhostuserclient -> guest eth0 (10.77.1.1)
  vhu1 (ofport 4) dpdkvhostuserclient -> guest eth1 (10.77.2.1)
with the seed's PHY-VM-PHY flows (in_port=1,action=output:3 ...), one
forwarding core (CPU $FWD_CPU), the rest on CPU $CTL_CPU.  The guest boots
once and stays up: the switches take turns on its sockets (client mode).
Measured per switch and repetition:
  guest->ns   TCP from the guest to namespace B (iperf3 -R, S seconds)
  ns->guest   TCP from namespace B to the guest
  A->B        TCP from A to B through the guest's IP forwarding
  ping        N pings B -> guest and A -> B through the guest (avg, ms)
  sluice only: the bridge thread's CPU time per packet it moved (during
              guest->ns)
sluice runs twice: as the other benches run it (primary on CPU $CTL_CPU,
worker on CPU $FWD_CPU) and as "sluice-cpu1", primary and worker both on
CPU $FWD_CPU, so that the bridge thread (which polls the vhost devices:
DPDK 22.11 wants them polled by the process that configured them) leaves
CPU $CTL_CPU to QEMU as OVS's PMD thread does; and as "sluice-busy", as
"sluice" with pmd-maxsleep=0 (no idle sleeps in the worker and the bridge
thread; OVS's PMD threads do not sleep by default).
The guest is an emulator (TCG): its CPU, not the switch, bounds TCP; the
ratios of one run are what counts.  Needs root, hugepages, qemu-system-x86,
linux-image-amd64, busybox-static, iperf3, openvswitch-switch-dpdk.
  --reps N      repetitions (default $REPS)
  --seconds S   length of each TCP measurement (default $SECONDS_MEASURE)
  --pings N     pings per latency measurement (default $PINGS)
  --no-ovs      sluice only
  --docs        replace the section "vhost-user" of docs/benchmark.md
  --keep        keep the work directory
EOF
}

while [ $# -gt 0 ]; do
	case "$1" in
	--reps) REPS=${2:?}; shift 2 ;;
	--seconds) SECONDS_MEASURE=${2:?}; shift 2 ;;
	--pings) PINGS=${2:?}; shift 2 ;;
	--no-ovs) NO_OVS=1; shift ;;
	--docs) DOCS=1; shift ;;
	--keep) KEEP=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) die "unknown argument \"$1\" (--help)" ;;
	esac
done
[[ $REPS =~ ^[1-9][0-9]*$ ]] || die "--reps: $REPS is not a positive integer"
[[ $SECONDS_MEASURE =~ ^[1-9][0-9]*$ ]] || die "--seconds: $SECONDS_MEASURE is not a positive integer"
[[ $PINGS =~ ^[1-9][0-9]*$ ]] || die "--pings: $PINGS is not a positive integer"
# sluice-cpu1: the primary, and with it the bridge thread that polls the
# vhost devices, on the forwarding CPU too, which leaves CPU 0 to QEMU.
# sluice-busy: pmd-maxsleep=0, the worker and the bridge thread poll
# without sleeping when idle, as OVS's PMD thread does by default.
SWITCHES="sluice sluice-cpu1 sluice-busy"
[ $NO_OVS = 1 ] || SWITCHES="ovs sluice sluice-cpu1 sluice-busy"

bench_check_host 700
for b in ctl/sluiced ctl/sluicectl primary/sluice-primary secondary/sluice-worker; do
	[ -x "$BUILD/$b" ] || die "$BUILD/$b not found: build first (meson setup build && ninja -C build)"
done
for t in qemu-system-x86_64 iperf3 ethtool; do
	command -v $t >/dev/null || die "$t not found (apt-get install qemu-system-x86 iperf3 ethtool)"
done
bench_lock
bench_check_prefixes_free

WORK=$(mktemp -d /tmp/slbench-vhost.XXXXXX)
PIDFILE=$WORK/pids
: >"$PIDFILE"
POLICY_RC_CREATED=0
NS_A=slbv_a NS_B=slbv_b
QEMU_PID=""

remove_net() {
	local ns
	for ns in $NS_A $NS_B; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
		ip netns del "$ns" 2>/dev/null || true
	done
	ip link del slbvA0 2>/dev/null || true
	ip link del slbvB0 2>/dev/null || true
}
bench_cleanup_hook() {
	[ -n "$QEMU_PID" ] && kill -9 "$QEMU_PID" 2>/dev/null
	remove_net
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ $NO_OVS = 1 ] || ovs_install

net_up() {
	remove_net
	ip netns add $NS_A
	ip netns add $NS_B
	ip link add slbvA0 type veth peer name slbvA1
	ip link add slbvB0 type veth peer name slbvB1
	ip link set slbvA1 netns $NS_A
	ip link set slbvB1 netns $NS_B
	ip link set slbvA0 up
	ip link set slbvB0 up
	ip -n $NS_A link set lo up
	ip -n $NS_B link set lo up
	ip -n $NS_A addr add 10.77.1.2/24 dev slbvA1
	ip -n $NS_B addr add 10.77.2.2/24 dev slbvB1
	ip -n $NS_A link set slbvA1 up
	ip -n $NS_B link set slbvB1 up
	# net_af_packet does not finish the checksums a veth leaves partial.
	ip netns exec $NS_A ethtool -K slbvA1 tx off >/dev/null
	ip netns exec $NS_B ethtool -K slbvB1 tx off >/dev/null
	ip -n $NS_A route add default via 10.77.1.1
	ip -n $NS_B route add default via 10.77.2.1
}

# The guest: QEMU serves both sockets and boots once the first switch connects.
vm_start() {
	local kernel
	kernel=$(sh "$SRC/tests/system/vm_initramfs.sh" "$WORK/guest.cpio.gz")
	# vectors=0: QEMU 7.2 under TCG crashes starting a vhost-user NIC with MSI-X.
	setsid qemu-system-x86_64 -machine q35,accel=tcg -m 512M \
		-object memory-backend-memfd,id=mem,size=512M,share=on -numa node,memdev=mem \
		-kernel "$kernel" -initrd "$WORK/guest.cpio.gz" \
		-append "console=ttyS0 panic=-1 quiet sl_iperf=1" \
		-no-reboot -display none -monitor none -serial "file:$WORK/guest.log" -nic none \
		-chardev "socket,id=c0,path=$WORK/vm0.sock,server=on,wait=off" \
		-netdev vhost-user,id=n0,chardev=c0 \
		-device virtio-net-pci,netdev=n0,mac=52:54:00:77:01:01,vectors=0,addr=0x3 \
		-chardev "socket,id=c1,path=$WORK/vm1.sock,server=on,wait=off" \
		-netdev vhost-user,id=n1,chardev=c1 \
		-device virtio-net-pci,netdev=n1,mac=52:54:00:77:02:01,vectors=0,addr=0x4 \
		>"$WORK/qemu.out" 2>&1 </dev/null &
	QEMU_PID=$!
	for _ in $(seq 50); do [ -S "$WORK/vm1.sock" ] && return 0; sleep 0.1; done
	die "QEMU did not make its sockets (see $WORK/qemu.out)"
}

# ---------------------------------------------------------------- switches
SLD="" SL_RD="" SW=""
sw_start() {
	SW=$1
	if [ "$SW" != ovs ]; then
		local lcores="$CTL_CPU,$FWD_CPU"
		[ "$SW" = sluice-cpu1 ] && lcores="$FWD_CPU,$FWD_CPU"
		SL_RD=$WORK/run/$2/sl
		mkdir -p "$SL_RD"
		SL_CTL=("$BUILD/ctl/sluicectl" --rundir "$SL_RD")
		bg_start "$SL_RD/sluiced.out" "$BUILD/ctl/sluiced" --rundir "$SL_RD" --workers 1 \
			--lcores "$lcores" \
			--eal-args "--no-pci --file-prefix=bench_vsl --log-level=lib.eal:error"
		SLD=$BG_PID
		for _ in $(seq 100); do
			"${SL_CTL[@]}" worker-list 2>/dev/null | grep -q running && break
			sleep 0.1
		done
		[ "$SW" = sluice-busy ] && "${SL_CTL[@]}" set pmd-maxsleep=0 >/dev/null
		"${SL_CTL[@]}" add-port phy0 net_af_packet0,iface=slbvA0 ofport=1 >/dev/null
		"${SL_CTL[@]}" add-port phy1 net_af_packet1,iface=slbvB0 ofport=2 >/dev/null
		"${SL_CTL[@]}" add-port vhu0 type=dpdkvhostuserclient \
			"vhost-server-path=$WORK/vm0.sock" ofport=3 >/dev/null
		"${SL_CTL[@]}" add-port vhu1 type=dpdkvhostuserclient \
			"vhost-server-path=$WORK/vm1.sock" ofport=4 >/dev/null
	else
		OVS_TAG=$2
		ovs_start "$WORK/run/$2/ovs" bench_vovs
		VSCTL=("${OVS_VSCTL[@]}")
		"${VSCTL[@]}" add-br br0 -- set bridge br0 datapath_type=netdev
		"${VSCTL[@]}" add-port br0 phy0 -- set Interface phy0 type=dpdk \
			options:dpdk-devargs=net_af_packet0,iface=slbvA0 ofport_request=1
		"${VSCTL[@]}" add-port br0 phy1 -- set Interface phy1 type=dpdk \
			options:dpdk-devargs=net_af_packet1,iface=slbvB0 ofport_request=2
		"${VSCTL[@]}" add-port br0 vhu0 -- set Interface vhu0 type=dpdkvhostuserclient \
			"options:vhost-server-path=$WORK/vm0.sock" ofport_request=3
		"${VSCTL[@]}" add-port br0 vhu1 -- set Interface vhu1 type=dpdkvhostuserclient \
			"options:vhost-server-path=$WORK/vm1.sock" ofport_request=4
	fi
	# The seed's PHY-VM-PHY flows, as it types them.
	sw_ofctl del-flows br0
	sw_ofctl add-flow br0 in_port=1,action=output:3
	sw_ofctl add-flow br0 in_port=3,action=output:1
	sw_ofctl add-flow br0 in_port=4,action=output:2
	sw_ofctl add-flow br0 in_port=2,action=output:4
}
sw_ofctl() {
	if [ "$SW" != ovs ]; then "${SL_CTL[@]}" "$@" >/dev/null; else ovs-ofctl "$@"; fi
}
sw_stop() {
	if [ "$SW" != ovs ]; then
		"${SL_CTL[@]}" shutdown >/dev/null 2>&1 || true
		[ -n "$SLD" ] && wait_gone "$SLD" 10
		SLD=""
	else
		ovs_stop
	fi
	SW=""
	sleep 1 # QEMU sees the sockets close before the next switch connects
}

# The sl-bridge thread's CPU time (clock ticks) and the packets of all ports.
bridge_ticks() {
	local pid t
	pid=$(pgrep -f -- "sluice-primary.*$SL_RD" | head -1)
	for t in /proc/"$pid"/task/*; do
		[ "$(cat "$t/comm")" = sl-bridge ] && awk '{ print $14 + $15 }' "$t/stat" && return 0
	done
	echo 0
}
sl_packets() {
	"${SL_CTL[@]}" dump-ports | awk -F'[=,]' '/rx pkts|tx pkts/ { s += $2 } END { print s + 0 }'
}

# iperf3 client in namespace $1 to $2 for S seconds [$3: -R]; Gbit/s received.
tcp() {
	local ns=$1 dst=$2 j rev=()
	[ -n "${3:-}" ] && rev=("$3")
	j=$(ip netns exec "$ns" timeout $((SECONDS_MEASURE + 20)) iperf3 -c "$dst" -t "$SECONDS_MEASURE" \
		"${rev[@]}" -J 2>/dev/null) || { echo -; return 0; }
	/usr/bin/python3 -c 'import json,sys; print("%.3f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))' <<<"$j" || echo -
}
# N pings from namespace $1 to $2, 20 ms apart: the average round trip (ms).
ping_avg() {
	ip netns exec "$1" ping -q -c "$PINGS" -i 0.02 -W 1 "$2" 2>/dev/null |
		awk -F'/' '/^rtt/ { print $5; f = 1 } END { if (!f) print "-" }'
}

measure() {
	local sw=$1 tag=$2 g2n n2g a2b p_guest p_ab t0 t1 k0 k1 cost=-
	sw_start "$sw" "$tag"
	# The guest (booting, or its NICs reconnecting) answers B within a minute.
	for _ in $(seq 120); do
		ip netns exec $NS_B ping -c 1 -W 1 10.77.2.1 >/dev/null 2>&1 && break
		sleep 0.5
	done
	ip netns exec $NS_A ping -c 3 -i 0.2 -W 2 10.77.2.2 >/dev/null 2>&1 || true
	ip netns exec $NS_B iperf3 -s -D -p 5201 >/dev/null 2>&1
	sleep 0.3
	if [ "$sw" != ovs ]; then k0=$(bridge_ticks); t0=$(sl_packets); fi
	g2n=$(tcp $NS_B 10.77.2.1 -R)
	if [ "$sw" != ovs ]; then
		k1=$(bridge_ticks); t1=$(sl_packets)
		[ "$t1" -gt "$t0" ] && cost=$(awk -v k=$((k1 - k0)) -v p=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" \
			'BEGIN { printf "%.2f", k / hz * 1e6 / p }')
	fi
	n2g=$(tcp $NS_B 10.77.2.1)
	a2b=$(tcp $NS_A 10.77.2.2)
	p_guest=$(ping_avg $NS_B 10.77.2.1)
	p_ab=$(ping_avg $NS_A 10.77.2.2)
	ip netns pids $NS_B | xargs -r kill 2>/dev/null || true
	sw_stop
	echo "$g2n $n2g $a2b $p_guest $p_ab $cost"
}

net_up
vm_start
RESULTS=$WORK/results.txt
: >"$RESULTS"
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
for rep in $(seq "$REPS"); do
	for sw in $SWITCHES; do
		set +e
		out=$(set -e; measure "$sw" "$sw.$rep" 2>"$WORK/$sw.$rep.err")
		rc=$?
		set -e
		if [ $rc != 0 ] || [ -z "$out" ]; then
			log "$sw rep $rep: FAILED (rc $rc)"
			tail -5 "$WORK/$sw.$rep.err" >&2
			out="- - - - - -"
			stop_pids
			[ -n "$QEMU_PID" ] && pid_record "$QEMU_PID"
		fi
		log "$sw rep $rep: guest->ns $(echo "$out" | cut -d' ' -f1) Gbit/s, ns->guest $(echo "$out" | cut -d' ' -f2)," \
		    "A->B $(echo "$out" | cut -d' ' -f3), ping guest $(echo "$out" | cut -d' ' -f4) ms, A->B $(echo "$out" | cut -d' ' -f5) ms," \
		    "bridge $(echo "$out" | cut -d' ' -f6) us/pkt"
		echo "$sw $rep $out" >>"$RESULTS"
	done
done
grep -c GUEST-READY "$WORK/guest.log" | grep -qx 1 || note "the guest booted $(grep -c GUEST-READY "$WORK/guest.log") times"

# median (min..max) of field $2 (1-based after SW REP) for switch $1.
stat() {
	awk -v s="$1" -v f="$2" '$1 == s && $(f + 2) != "-" { print $(f + 2) }' "$RESULTS" |
		sort -g | awk '{ v[NR] = $1 } END {
			if (NR == 0) { print "-"; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
			if (NR > 1) printf "%g (%g..%g)\n", m, v[1], v[NR]; else printf "%g\n", m }'
}
section() {
	echo "## vhost-user: a QEMU guest"
	echo
	echo "Produced by \`$PROG${ORIG_ARGS[*]:+ ${ORIG_ARGS[*]}}\` on $(date -u '+%Y-%m-%d %H:%M UTC')."
	echo
	bench_machine_line
	echo "Load average at start: $LOADAVG. Median of $REPS repetition(s), spread (min..max); TCP ${SECONDS_MEASURE} s each, $PINGS pings each."
	echo
	echo "| switch | guest -> ns TCP (Gbit/s) | ns -> guest TCP (Gbit/s) | A -> B through the guest (Gbit/s) | ping ns <-> guest (ms) | ping A -> B through the guest (ms) | bridge thread CPU per packet (us) |"
	echo "|---|---|---|---|---|---|---|"
	for sw in $SWITCHES; do
		echo "| $sw | $(stat "$sw" 1) | $(stat "$sw" 2) | $(stat "$sw" 3) | $(stat "$sw" 4) | $(stat "$sw" 5) | $(stat "$sw" 6) |"
	done
	echo
	echo "Raw samples (switch repetition guest->ns ns->guest A->B ping-guest ping-A->B bridge-us/pkt):"
	echo
	echo '```'
	cat "$RESULTS"
	echo '```'
	if [ -s "$WORK/notes.txt" ]; then
		echo
		sed 's/^/- /' "$WORK/notes.txt"
	fi
}
section | tee "$WORK/section.md"
if [ "$DOCS" = 1 ]; then
	awk -v f="$WORK/section.md" '
		/^## vhost-user: a QEMU guest/ { skip = 1; while ((getline l < f) > 0) print l; print ""; next }
		skip && /^## / { skip = 0 }
		!skip { print }' "$DOCS_FILE" >"$WORK/doc.new"
	grep -q '^## vhost-user: a QEMU guest' "$DOCS_FILE" || { echo; cat "$WORK/section.md"; } >>"$WORK/doc.new"
	cp "$WORK/doc.new" "$DOCS_FILE"
	log "wrote the section to $DOCS_FILE"
fi
