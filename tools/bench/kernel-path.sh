#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# tools/bench/kernel-path.sh: the path users try first.  Two network
# namespaces on veth pairs whose switch ends are attached as net_af_packet
# ports, actions=NORMAL; ping RTT, iperf3 TCP throughput and the CPU an
# idle switch burns, sluice and OVS-DPDK 3.1 side by side on the same
# topology, default settings; sluice also with net_tap ports (--ports tap)
# and against another build of itself (--ref).  Run it with --help for
# the details.
# Functions run from traps and subshells: shellcheck cannot see them called.
# shellcheck disable=SC2317
set -euo pipefail

PROG=tools/bench/kernel-path.sh
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BENCH_NAME=kernel-path.sh
SL_PREFIX=bench_kpsl
OVS_PREFIX=bench_kpovs
BENCH_PREFIXES="$SL_PREFIX $OVS_PREFIX"
# shellcheck source=tools/bench/lib.sh
. "$HERE/lib.sh"

PINGS=50
PING_INTERVAL=0.2
IPERF_S=5
IDLE_S=5
NO_OVS=0
BUILD="${SLUICE_BUILD:-$SRC/build}"
REF=
KIND=af_packet
ROUNDS=1
KEEP=0
FWD_CPU=1 # the worker / PMD thread; everything else on CPU 0
CTL_CPU=0
NS_A=slkp-a NS_B=slkp-b
IP_A=10.254.0.1 IP_B=10.254.0.2

usage() {
	cat <<EOF2
Usage: $PROG [--pings N] [--iperf S] [--idle S] [--no-ovs] [--build DIR] [--ref DIR]
       [--ports af_packet|tap] [--rounds N] [--keep]

For each switch (sluice: sluiced --workers 1 --lcores $CTL_CPU,$FWD_CPU; OVS-DPDK:
ovs-vswitchd with one PMD thread on CPU $FWD_CPU, datapath netdev), on a topology
made afresh: namespaces $NS_A ($IP_A/24) and $NS_B ($IP_B/24), each with
one end of a veth pair; the other ends attached to the switch as
net_af_packet ports (sluice: add-port; OVS: type=dpdk with
dpdk-devargs=net_af_packet...), one rule actions=NORMAL (OVS: its default
NORMAL flow).  Measures, in this order:
  - idle CPU: CPU time (user+system) of every switch process over $IDLE_S s
    with no traffic, as a percentage of one CPU;
  - ping: $PINGS pings $NS_A -> $NS_B every $PING_INTERVAL s; median and worst RTT;
  - iperf3: TCP $NS_A -> $NS_B for $IPERF_S s, one stream; receiver Gbit/s.
Default settings of both switches throughout.  The namespaces' veth ends
have tx checksum offload off (ethtool -K IF tx off): af_packet passes on
frames whose TCP checksum the kernel left to be filled in.

--ports tap: sluice's ports are net_tap instead (net_tap_kpa,iface=slkp-ta
and net_tap_kpb,iface=slkp-tb), their interfaces moved into the two
namespaces (no veth); OVS-DPDK 3.1 cannot configure net_tap ports (its 2 tx
queues: "eth_dev setup error Operation not permitted"), so its row is the
af_packet topology, as the reference the issue names.

Options:
  --pings N     pings per switch (default $PINGS)
  --iperf S     iperf3 seconds (default $IPERF_S)
  --idle S      idle CPU interval (default $IDLE_S)
  --no-ovs      sluice only
  --build DIR   the build tree (default \$SLUICE_BUILD or build/)
  --ref DIR     also measure the sluice of build tree DIR (e.g. a build of
                main), in the same run, as a row of its own
  --ports KIND  af_packet (default) or tap: sluice's ports
  --rounds N    measure each switch N times, in turn (default 1); the table
                has each round's numbers and the medians
  --keep        keep the work directory
  --help        this text

Needs: root, hugepages, jq, ping, iperf3; OVS-DPDK is installed if missing
(as tools/bench/run.sh does).  Takes the lock of the other benchmarks
(/run/lock/sluice-bench.lock), not /tmp/sluice-dpdk.lock: on a host shared
with test runs, run it under flock /tmp/sluice-dpdk.lock.  With --keep, the
work directory also has each sluice run's dump-ports and pmd-stats-show.
Everything it makes (switches, namespaces, veth pairs, hugepage files of
prefixes $SL_PREFIX and $OVS_PREFIX) is removed on exit, error and Ctrl-C.
EOF2
}

pos_int() { [[ $2 =~ ^[1-9][0-9]*$ ]] || die "$1: '$2' is not a positive integer"; }
while [ $# -gt 0 ]; do
	case "$1" in
	--help|-h) usage; exit 0 ;;
	--pings) [ $# -ge 2 ] || die "--pings needs a value"; pos_int --pings "$2"; PINGS=$2; shift ;;
	--iperf) [ $# -ge 2 ] || die "--iperf needs a value"; pos_int --iperf "$2"; IPERF_S=$2; shift ;;
	--idle) [ $# -ge 2 ] || die "--idle needs a value"; pos_int --idle "$2"; IDLE_S=$2; shift ;;
	--no-ovs) NO_OVS=1 ;;
	--build) [ $# -ge 2 ] || die "--build needs a value"; BUILD=$2; shift ;;
	--ref) [ $# -ge 2 ] || die "--ref needs a value"; REF=$2; shift ;;
	--ports) [ $# -ge 2 ] || die "--ports needs a value"
		case "$2" in af_packet|tap) KIND=$2 ;; *) die "--ports: '$2' is not af_packet or tap" ;; esac
		shift ;;
	--rounds) [ $# -ge 2 ] || die "--rounds needs a value"; pos_int --rounds "$2"; ROUNDS=$2; shift ;;
	--keep) KEEP=1 ;;
	*) echo "$BENCH_NAME: unknown option $1" >&2; usage >&2; exit 2 ;;
	esac
	shift
done

bench_check_host 900
for d in "$BUILD" ${REF:+"$REF"}; do
	for b in "$d/ctl/sluiced" "$d/ctl/sluicectl" "$d/primary/sluice-primary" "$d/secondary/sluice-worker"; do
		[ -x "$b" ] || die "$b not found: build first (meson setup build && ninja -C build)"
	done
done
for c in jq ping iperf3 ethtool; do
	command -v $c >/dev/null || die "$c not found (apt-get install jq iputils-ping iperf3 ethtool)"
done
for ns in $NS_A $NS_B; do
	ip netns list | awk '{ print $1 }' | grep -qx "$ns" && die "network namespace $ns exists; not touching it"
done
for i in slkp-a0 slkp-a1 slkp-b0 slkp-b1 slkp-ta slkp-tb; do
	ip link show "$i" >/dev/null 2>&1 && die "interface $i exists; not touching it"
done

bench_lock
bench_check_prefixes_free

WORK=$(mktemp -d /tmp/slkp.XXXXXX)
PIDFILE=$WORK/pids
: >"$PIDFILE"
POLICY_RC_CREATED=0
OVS_VSWITCHD=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
RD=$WORK/sl
CTL=()

topo_down() {
	local ns
	for ns in $NS_A $NS_B; do
		ip netns list | awk '{ print $1 }' | grep -qx "$ns" || continue
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
		ip netns del "$ns" 2>/dev/null || true
	done
	ip link del slkp-a1 2>/dev/null || true
	ip link del slkp-b1 2>/dev/null || true
}

# The tap topology: sluice's net_tap interfaces moved into the namespaces.
tap_up() {
	local side ns ifc addr _
	for side in "$NS_A slkp-ta $IP_A" "$NS_B slkp-tb $IP_B"; do
		read -r ns ifc addr <<<"$side"
		for _ in $(seq 50); do ip link show "$ifc" >/dev/null 2>&1 && break; sleep 0.1; done
		ip link set "$ifc" netns "$ns"
		ip -n "$ns" addr add "$addr/24" dev "$ifc"
		ip -n "$ns" link set "$ifc" up
	done
}

sluice_down() {
	if [ ${#CTL[@]} -gt 0 ] && [ -S "$RD/sluiced.sock" ]; then
		timeout 15 "${CTL[@]}" --timeout 10000 shutdown >/dev/null 2>&1 || true
		sleep 0.5
	fi
	stop_pids
	remove_prefix_files
}

bench_cleanup_hook() {
	sluice_down
	[ -n "${OVS_D:-}" ] && ovs_stop
	topo_down
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# veth pairs: slkp-a0 in $NS_A, slkp-a1 the switch's; the same for b.
topo_up() {
	local side ns ifc addr
	ip netns add $NS_A
	ip netns add $NS_B
	for side in "$NS_A slkp-a $IP_A" "$NS_B slkp-b $IP_B"; do
		read -r ns ifc addr <<<"$side"
		ip link add "${ifc}0" type veth peer name "${ifc}1"
		ip link set "${ifc}0" netns "$ns"
		ip link set "${ifc}1" up
		ip -n "$ns" addr add "$addr/24" dev "${ifc}0"
		ip -n "$ns" link set lo up
		ip -n "$ns" link set "${ifc}0" up
		# A veth leaves TCP checksums to be filled in further down
		# (CHECKSUM_PARTIAL); af_packet hands such frames on as they are,
		# so the far side would drop every segment: checksums in software.
		ip netns exec "$ns" ethtool -K "${ifc}0" tx off >/dev/null 2>&1 ||
			echo "ethtool -K ${ifc}0 tx off failed: TCP through af_packet may not work" >&2
	done
}

wait_ping() {
	local _
	for _ in $(seq 100); do
		ip netns exec $NS_A ping -c 1 -W 1 -q $IP_B >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

# CPU percentage of one CPU used by PIDS over $IDLE_S s.
idle_cpu() {
	local t0=0 t1=0 p hz
	hz=$(getconf CLK_TCK)
	for p in "$@"; do t0=$((t0 + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done
	sleep "$IDLE_S"
	for p in "$@"; do t1=$((t1 + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done
	awk -v d=$((t1 - t0)) -v hz="$hz" -v s="$IDLE_S" 'BEGIN { printf "%.1f", 100 * d / hz / s }'
}

# Prints "RTT_MEDIAN_MS RTT_WORST_MS GBPS IDLE_CPU_PCT" for the switch up now.
measure_path() {
	local tag=$1; shift
	local cpu rtt gbps
	wait_ping || { echo "$tag: no ping reply through the switch" >&2; return 1; }
	sleep 2 # let every poller settle into its idle state
	cpu=$(idle_cpu "$@")
	ip netns exec $NS_A ping -c "$PINGS" -i "$PING_INTERVAL" $IP_B >"$WORK/$tag.ping" 2>&1 || true
	rtt=$(awk '/ time=/ { v = $0; sub(/.* time=/, "", v); sub(/ .*/, "", v); r[++n] = v + 0 }
		END { if (n == 0) exit 1
		      for (i = 2; i <= n; i++) { t = r[i]; for (j = i - 1; j >= 1 && r[j] > t; j--) r[j + 1] = r[j]; r[j + 1] = t }
		      printf "%.3f %.3f", (n % 2) ? r[(n + 1) / 2] : (r[n / 2] + r[n / 2 + 1]) / 2, r[n] }' \
		"$WORK/$tag.ping") || { echo "$tag: no ping replies" >&2; return 1; }
	ip netns exec $NS_B iperf3 -s -1 -B $IP_B >"$WORK/$tag.iperf-s" 2>&1 &
	pid_record $!
	sleep 0.5
	ip netns exec $NS_A timeout $((IPERF_S + 20)) iperf3 -c $IP_B -t "$IPERF_S" -J >"$WORK/$tag.iperf.json" 2>&1 ||
		{ echo "$tag: iperf3 failed" >&2; tail -3 "$WORK/$tag.iperf.json" >&2; return 1; }
	gbps=$(jq -r '.end.sum_received.bits_per_second / 1e9' "$WORK/$tag.iperf.json")
	printf "%s %s %.2f %s\n" "$(cut -d' ' -f1 <<<"$rtt")" "$(cut -d' ' -f2 <<<"$rtt")" "$gbps" "$cpu"
}

# ---------------------------------------------------------------- sluice
run_sluice() {
	local build=$1 tag=$2 json st _ pids
	CTL=("$build/ctl/sluicectl" --rundir "$RD")
	if [ "$KIND" = tap ]; then
		ip netns add $NS_A
		ip netns add $NS_B
		ip -n $NS_A link set lo up
		ip -n $NS_B link set lo up
	else
		topo_up
	fi
	rm -rf "$RD"
	mkdir -p "$RD"
	"$build/ctl/sluiced" --rundir "$RD" --workers 1 --lcores "$CTL_CPU,$FWD_CPU" \
		--eal-args "--no-pci --file-prefix=$SL_PREFIX --log-level=lib.eal:error" --detach \
		>"$WORK/sluiced.out" 2>&1 || { tail -5 "$WORK/sluiced.out" >&2; return 1; }
	pid_record "$(cat "$RD/sluiced.pid")"
	st=0
	for _ in $(seq 300); do
		json=$("${CTL[@]}" --json show 2>/dev/null) || json='{}'
		st=$(jq -r '[.workers[]? | select(.state == "running")] | length' <<<"$json")
		[ "$st" = 1 ] && break
		sleep 0.1
	done
	[ "$st" = 1 ] || { echo "sluice: the worker is not running after 30 s" >&2; return 1; }
	pids=$(jq -r '.daemon.primary_pid, .workers[].pid' <<<"$json")
	for p in $pids; do pid_record "$p"; done
	if [ "$KIND" = tap ]; then
		"${CTL[@]}" add-port a "net_tap_kpa,iface=slkp-ta" ofport=1 >/dev/null
		"${CTL[@]}" add-port b "net_tap_kpb,iface=slkp-tb" ofport=2 >/dev/null
		tap_up
	else
		"${CTL[@]}" add-port a "net_af_packet_kpa,iface=slkp-a1" ofport=1 >/dev/null
		"${CTL[@]}" add-port b "net_af_packet_kpb,iface=slkp-b1" ofport=2 >/dev/null
	fi
	"${CTL[@]}" add-flow "actions=NORMAL" >/dev/null
	# shellcheck disable=SC2086
	measure_path "$tag" "$(cat "$RD/sluiced.pid")" $pids
	# Where packets were lost, for a look afterwards (--keep).
	"${CTL[@]}" dump-ports >"$WORK/$tag.ports" 2>&1 || true
	"${CTL[@]}" pmd-stats-show >"$WORK/$tag.pmd" 2>&1 || true
	sluice_down
	topo_down
}

# ---------------------------------------------------------------- OVS-DPDK
run_ovs() {
	local r
	OVS_TAG=ovs
	topo_up
	ovs_start "$WORK/ovs" "$OVS_PREFIX" >"$WORK/ovs-start.out" 2>&1 ||
		{ tail -5 "$WORK/ovs-start.out" >&2; return 1; }
	"${OVS_VSCTL[@]}" add-br br0 -- set bridge br0 datapath_type=netdev
	"${OVS_VSCTL[@]}" add-port br0 a -- set Interface a type=dpdk \
		"options:dpdk-devargs=net_af_packet_kpa,iface=slkp-a1" ofport_request=1
	"${OVS_VSCTL[@]}" add-port br0 b -- set Interface b type=dpdk \
		"options:dpdk-devargs=net_af_packet_kpb,iface=slkp-b1" ofport_request=2
	r=$(measure_path "ovs$1" "${OVS_PIDS[@]}") || return 1
	echo "$r"
	ovs_stop
	OVS_D=
	topo_down
}

median() { sort -g | awk '{ v[++n] = $1 } END { if (n == 0) { print "-"; exit }
	print (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }'; }

if [ "$KIND" = tap ]; then
	log "sluice: $NS_A <-> net_tap <-> sluice (NORMAL) <-> net_tap <-> $NS_B"
else
	log "sluice: $NS_A <-> veth <-> net_af_packet <-> sluice (NORMAL) <-> ... <-> $NS_B"
fi
[ $NO_OVS = 1 ] || ovs_install
ROWS=$WORK/rows
: >"$ROWS"
for r in $(seq "$ROUNDS"); do
	log "round $r: sluice ($BUILD)"
	out=$(run_sluice "$BUILD" "sluice$r") || die "sluice run failed"
	echo "sluice $r $out" >>"$ROWS"
	if [ -n "$REF" ]; then
		log "round $r: reference sluice ($REF)"
		out=$(run_sluice "$REF" "ref$r") || die "reference run failed"
		echo "reference $r $out" >>"$ROWS"
	fi
	if [ $NO_OVS = 0 ]; then
		log "round $r: OVS-DPDK, af_packet topology"
		out=$(run_ovs "$r") || die "OVS run failed"
		echo "OVS-DPDK $r $out" >>"$ROWS"
	fi
done
echo
echo "sluice ports: $KIND; OVS-DPDK ports: net_af_packet"
echo
echo "| switch | round | ping RTT median ms | worst ms | iperf3 Gbit/s | idle CPU % of one core |"
echo "|---|---|---|---|---|---|"
while read -r sw r a b c d; do
	echo "| $sw | $r | $a | $b | $c | $d |"
done <"$ROWS"
for sw in sluice reference OVS-DPDK; do
	grep -q "^$sw " "$ROWS" || continue
	[ "$ROUNDS" -gt 1 ] || continue
	echo "| $sw | median | $(awk -v s=$sw '$1 == s { print $3 }' "$ROWS" | median) |" \
		"$(awk -v s=$sw '$1 == s { print $4 }' "$ROWS" | median) |" \
		"$(awk -v s=$sw '$1 == s { print $5 }' "$ROWS" | median) |" \
		"$(awk -v s=$sw '$1 == s { print $6 }' "$ROWS" | median) |"
done
if [ $NO_OVS = 0 ]; then
	for sw in sluice reference; do
		grep -q "^$sw " "$ROWS" || continue
		awk -v s=$sw '$1 == s { rtt[++n] = $3; g[n] = $5 } $1 == "OVS-DPDK" { ortt[++m] = $3; og[m] = $5 }
			END { for (i = 1; i <= n; i++) { a += g[i]; r += rtt[i]; oa += og[i]; orr += ortt[i] }
			      if (oa > 0 && orr > 0) printf "%s/OVS (sums over rounds): throughput %.2f, RTT %.2f\n", s, a / oa, r / orr }' "$ROWS"
	done
fi
