#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# tools/bench/flow-latency.sh: how long one add-flow / del-flow takes to
# reach the packets, with N rules resident, measured by a packet probe.
# Run ./tools/bench/flow-latency.sh --help for the details.
# shellcheck disable=SC2317
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BUILD="${SLUICE_BUILD:-$SRC/build}"
N_FLOWS=100000
REPS=5
PREFIX=bench_flat
KEEP=0
OVS=0

usage() {
	cat <<EOF2
Usage: tools/bench/flow-latency.sh [--flows N] [--reps N] [--ovs] [--keep]

sluice with one worker and three ports:
  ofport 1 "in"  net_pcap0,rx_pcap=probe.pcap,infinite_rx=1  (one UDP frame, forever)
  ofport 2 "a"   net_tap0,iface=slfla0                        (probe A)
  ofport 3 "b"   net_tap1,iface=slflb0                        (probe B)
N (default $N_FLOWS) resident rules the probe never matches
(priority=100,udp,nw_src=10.x.y.z,tp_dst=P,actions=drop), and
priority=10,in_port=1,actions=output:2.  Each repetition:
  add-flow priority=200,in_port=1,udp,actions=output:3  -> first frame on b
  del-flows --strict priority=200,in_port=1,udp          -> first frame on a
tools/bench/flow-probe.py stamps the request (just before sluicectl starts)
and the kernel receive time of the first frame on the tap: "first" is the
latency to the first packet with the new action, end to end (sluicectl,
sluiced and its DB, the primary, the workers); "ack" is when sluicectl
returned.  Then the same change sent straight to sluice-primary
(tools/bench/slbench-ctl add-flows -: no sluiced, no DB), as an add and a
modify (same identity, actions=output:2): padd / pmod.  Prints one line
per change and the medians.  Runs under
flock /tmp/sluice-dpdk.lock.

--ovs: then the same with OVS-DPDK 3.1 (tools/bench/lib.sh's ovs_start:
bridge of datapath_type netdev, the pcap port as a dpdk port, taps a and
b as OVS's own type=tap ports), the same rule file loaded with ovs-ofctl
add-flows, and ovs-ofctl add-flow / del-flows --strict as the change.
EOF2
}

while [ $# -gt 0 ]; do
	case $1 in
	--flows) N_FLOWS=$2; shift 2 ;;
	--reps) REPS=$2; shift 2 ;;
	--keep) KEEP=1; shift ;;
	--ovs) OVS=1; shift ;;
	--help|-h) usage; exit 0 ;;
	*) echo "flow-latency.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
done
[[ $N_FLOWS =~ ^[0-9]+$ ]] || { echo "flow-latency.sh: --flows wants a number, not '$N_FLOWS'" >&2; exit 2; }

if [ -z "${FLOCKED:-}" ]; then
	exec env FLOCKED=1 flock /tmp/sluice-dpdk.lock "$0" "$@"
fi

WORK=$(mktemp -d /tmp/flow-latency.XXXXXX)
RD=$WORK/rd
CTL=("$BUILD/ctl/sluicectl" --rundir "$RD")
cleanup() {
	if [ -S "$RD/sluiced.sock" ]; then
		timeout 30 "${CTL[@]}" --timeout 20000 shutdown >/dev/null 2>&1 || true
	fi
	sleep 1
	rm -f /dev/hugepages/${PREFIX}map_* /run/user/0/dpdk/$PREFIX/* 2>/dev/null || true
	[ "$KEEP" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$RD"

"$BUILD/tools/bench/genpcap" -o "$WORK/probe.pcap" -n 1 -f 1 >/dev/null
awk -v n="$N_FLOWS" 'BEGIN {
	for (i = 0; i < n; i++)
		printf "priority=100,udp,nw_src=10.%d.%d.%d,tp_dst=%d,actions=drop\n",
			int(i / 65536) % 256, int(i / 256) % 256, i % 256, 1000 + int(i / 16777216)
}' >"$WORK/flows.txt"

"$BUILD/ctl/sluiced" --rundir "$RD" --workers 1 --lcores 0,1 \
	--eal-args "--no-pci --file-prefix=$PREFIX --log-level=lib.eal:error" --detach \
	>"$WORK/sluiced.out" 2>&1 || { cat "$WORK/sluiced.out" >&2; exit 1; }
for _ in $(seq 300); do
	st=$("${CTL[@]}" --json show 2>/dev/null | jq -r '[.workers[]? | select(.state == "running")] | length' || true)
	[ "$st" = 1 ] && break
	sleep 0.1
done
[ "$st" = 1 ] || { echo "flow-latency.sh: worker not running after 30 s" >&2; exit 1; }

t=$(date +%s.%N)
"${CTL[@]}" --timeout 600000 add-flows "$WORK/flows.txt" >/dev/null
echo "add-flows of $N_FLOWS resident rules: $(echo "$(date +%s.%N) - $t" | bc) s"
"${CTL[@]}" add-flow "priority=10,in_port=1,actions=output:2"
"${CTL[@]}" add-port in "net_pcap0,rx_pcap=$WORK/probe.pcap,infinite_rx=1" ofport=1
"${CTL[@]}" add-port a "net_tap0,iface=slfla0" ofport=2
"${CTL[@]}" add-port b "net_tap1,iface=slflb0" ofport=3
ip link set slfla0 up
ip link set slflb0 up
sleep 1

for r in $(seq "$REPS"); do
	a=$("$HERE/flow-probe.py" slflb0 -- "${CTL[@]}" add-flow "priority=200,in_port=1,udp,actions=output:3")
	echo "add-flow $r: $a"
	echo "add $a" >>"$WORK/results"
	sleep 0.2
	d=$("$HERE/flow-probe.py" slfla0 -- "${CTL[@]}" del-flows --strict "priority=200,in_port=1,udp")
	echo "del-flow $r: $d"
	echo "del $d" >>"$WORK/results"
	sleep 0.2
done
# The primary alone (what sluiced adds is its DB and its checks): the same
# change sent straight to sluice-primary's socket, then a modify (the same
# identity, actions back to output:2).
PCTL=("$BUILD/tools/bench/slbench-ctl" --rundir "$RD")
for r in $(seq "$REPS"); do
	a=$("$HERE/flow-probe.py" slflb0 -- sh -c "echo 'priority=200,in_port=1,udp,actions=output:3' | ${PCTL[*]} add-flows -")
	echo "primary add-flow $r: $a"
	echo "padd $a" >>"$WORK/results"
	sleep 0.2
	d=$("$HERE/flow-probe.py" slfla0 -- sh -c "echo 'priority=200,in_port=1,udp,actions=output:2' | ${PCTL[*]} add-flows -")
	echo "primary mod-flow $r: $d"
	echo "pmod $d" >>"$WORK/results"
	sleep 0.2
done
"${CTL[@]}" --json show | jq -c '{n_flows: .daemon.n_flows}' || true
if [ "$OVS" = 1 ]; then
	# One switch at a time on the forwarding core.
	timeout 30 "${CTL[@]}" --timeout 20000 shutdown >/dev/null 2>&1 || true
	sleep 2
	(
		BENCH_NAME=flow-latency.sh BENCH_PREFIXES=bench_flovs PIDFILE=$WORK/pids
		POLICY_RC_CREATED=0 CTL_CPU=0 FWD_CPU=1 KEEP=1
		# shellcheck source=tools/bench/lib.sh
		. "$HERE/lib.sh"
		OVS_TAG=ovs
		# OVS's type=tap devices outlive it.
		trap 'ovs_stop; ip link del slova0 2>/dev/null; ip link del slovb0 2>/dev/null' EXIT
		ovs_install
		ovs_start "$WORK/ovs" bench_flovs
		"${OVS_VSCTL[@]}" add-br br0 -- set bridge br0 datapath_type=netdev \
			-- add-port br0 in -- set Interface in type=dpdk \
			"options:dpdk-devargs=net_pcap9,rx_pcap=$WORK/probe.pcap,infinite_rx=1" ofport_request=1 \
			-- add-port br0 slova0 -- set Interface slova0 type=tap ofport_request=2 \
			-- add-port br0 slovb0 -- set Interface slovb0 type=tap ofport_request=3
		ip link set slova0 up
		ip link set slovb0 up
		ovs-ofctl del-flows br0
		t=$(date +%s.%N)
		ovs-ofctl add-flows br0 "$WORK/flows.txt"
		echo "OVS add-flows of $N_FLOWS resident rules: $(echo "$(date +%s.%N) - $t" | bc) s"
		ovs-ofctl add-flow br0 "priority=10,in_port=1,actions=output:2"
		sleep 2
		for r in $(seq "$REPS"); do
			a=$("$HERE/flow-probe.py" slovb0 -- ovs-ofctl add-flow br0 "priority=200,in_port=1,udp,actions=output:3")
			echo "OVS add-flow $r: $a"
			echo "oadd $a" >>"$WORK/results"
			sleep 0.2
			d=$("$HERE/flow-probe.py" slova0 -- ovs-ofctl --strict del-flows br0 "priority=200,in_port=1,udp")
			echo "OVS del-flow $r: $d"
			echo "odel $d" >>"$WORK/results"
			sleep 0.2
		done
	) || echo "flow-latency.sh: the OVS half failed (see $WORK/ovs)" >&2
fi
kinds="add del padd pmod"
[ "$OVS" = 1 ] && kinds="$kinds oadd odel"
for k in $kinds; do
	for f in ack first; do
		{ grep "^$k " "$WORK/results" || true; } | sed -n "s/.*${f}_ms=\([0-9.]*\).*/\1/p" | sort -n |
			awk -v what="$k-flow $f" -v n="$N_FLOWS" '{ v[NR] = $1 } END {
				printf "median %s (ms, %d rules): %s\n", what, n, v[int((NR + 1) / 2)] }'
	done
done
