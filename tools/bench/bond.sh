#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# tools/bench/bond.sh: forwarding into a bond of two ports against one plain
# port, sluice and OVS-DPDK on the same ports, in one run.  Run as root under
# the DPDK lock:   flock /tmp/sluice-dpdk.lock tools/bench/bond.sh [BUILD_DIR]
#
# Source: net_pcap replaying 1024 64-byte UDP frames forever, each from its
# own source MAC, IP and port (to an unknown unicast MAC: NORMAL floods, one
# copy to the bond); sinks: net_null,no-rx=1.  Configurations, one worker /
# PMD thread on CPU 1, NORMAL switching in all:
#   plain  src -> one sink port
#   bond   src -> a bond of two sink ports, bond_mode=balance-slb (lacp off)
# Mpps is what the sinks took over 3 s after 1 s warm-up; two rounds.
#
# Why balance-slb: balance-tcp needs negotiated LACP (in sluice as in OVS),
# and net_null sinks answer no LACPDU; no DPDK LACP partner fits on two
# cores beside the switch under test.  In sluice both balanced modes take
# the same per-packet path (parse what leaves, sl_group_hash, bucket, member:
# secondary/bond.c), differing only in the fields hashed.
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:-$SRC/build}
W=/tmp/sluice-bench-bond
BENCH_NAME=bond.sh
BENCH_PREFIXES="slbbond slbbondovs"
FWD_CPU=1
CTL_CPU=0
WORK=$W
PIDFILE=$W/pids
KEEP=0
POLICY_RC_CREATED=0
# shellcheck source=tools/bench/lib.sh
. "$SRC/tools/bench/lib.sh"
rm -rf $W; mkdir -p $W
: >"$PIDFILE"

/usr/bin/python3 - "$W/in.pcap" <<'PY'
import sys
from scapy.all import Ether, IP, UDP, Raw, wrpcap
pk = []
for i in range(1024):
    e = Ether(src="02:10:00:00:%02x:%02x" % (i // 256, i % 256), dst="02:20:00:00:00:01")
    p = e / IP(src="10.1.%d.%d" % (i // 250, 1 + i % 250), dst="192.0.2.1") / UDP(sport=1024 + i, dport=9)
    pk.append(p / Raw(b"\0" * (60 - len(p))))
wrpcap(sys.argv[1], pk)
PY
RX="net_pcap_bsrc,rx_pcap=$W/in.pcap,infinite_rx=1"

sink_sum() { # ports... : tx packets summed (sluice)
	local s=0 n
	for p in "$@"; do
		n=$($S dump-ports "$p" | grep -o "tx pkts=[0-9]*" | cut -d= -f2)
		s=$((s + n))
	done
	echo $s
}

rate() { # label, then the command that prints the sinks' packet count
	local label=$1 a b t0 t1
	shift
	sleep 1
	t0=$(date +%s.%N); a=$("$@")
	sleep 3
	t1=$(date +%s.%N); b=$("$@")
	awk -v l="$label" -v a="$a" -v b="$b" -v t0="$t0" -v t1="$t1" \
		'BEGIN { printf "%s %.2f Mpps\n", l, (b - a) / (t1 - t0) / 1e6 }'
}

sluice_run() { # mode: plain | bond
	local R=$W/sl-$1
	rm -rf "$R"; mkdir -p "$R" # a fresh DB every round
	setsid "$B/ctl/sluiced" --rundir "$R" --workers 1 --lcores 0,1 \
		--eal-args "--no-pci --file-prefix=slbbond --log-level=lib.eal:error" --detach >/dev/null 2>&1
	S="$B/ctl/sluicectl --rundir $R"
	for _ in $(seq 50); do $S show >/dev/null 2>&1 && break; sleep 0.2; done
	if [ "$1" = plain ]; then
		$S add-port a net_null_ba,no-rx=1 >/dev/null
		SINKS=(a)
	else
		$S add-bond b0 m0 net_null_bm0,no-rx=1 m1 net_null_bm1,no-rx=1 bond_mode=balance-slb >/dev/null
		SINKS=(m0 m1)
	fi
	$S add-flow actions=NORMAL
	$S add-port src "$RX" >/dev/null
	rate "sluice $1" sink_sum "${SINKS[@]}"
	if [ "$1" = bond ]; then
		echo "  per member: m0 $(sink_sum m0), m1 $(sink_sum m1) packets"
	fi
	$S shutdown >/dev/null 2>&1
	sleep 1
}

ovs_sum() {
	local s=0 n
	for p in "$@"; do
		n=$(ovs-ofctl dump-ports br0 "$p" | awk -F'[=,]' '/tx pkts/ { print $2 + 0 }')
		s=$((s + n))
	done
	echo $s
}

ovs_run() ( # mode
	OVS_TAG=ovs-$1
	rm -rf "$W/ovs-$1" # a fresh conf.db every round
	trap ovs_stop EXIT
	ovs_start "$W/ovs-$1" slbbondovs >/dev/null 2>&1 || { echo "OVS-DPDK did not start"; exit 1; }
	v=("${OVS_VSCTL[@]}")
	"${v[@]}" add-br br0 -- set bridge br0 datapath_type=netdev \
		-- add-port br0 p1 -- set Interface p1 type=dpdk "options:dpdk-devargs=$RX" ofport_request=1
	if [ "$1" = plain ]; then
		"${v[@]}" add-port br0 s1 -- set Interface s1 type=dpdk options:dpdk-devargs=net_null_oa,no-rx=1 ofport_request=2
		P=(2)
	else
		"${v[@]}" add-bond br0 b0 s1 s2 bond_mode=balance-slb \
			-- set Interface s1 type=dpdk options:dpdk-devargs=net_null_om0,no-rx=1 ofport_request=2 \
			-- set Interface s2 type=dpdk options:dpdk-devargs=net_null_om1,no-rx=1 ofport_request=3
		P=(2 3)
	fi
	ovs-ofctl mod-port br0 br0 no-flood
	rate "OVS-DPDK $1" ovs_sum "${P[@]}"
	if [ "$1" = bond ]; then
		echo "  per member: s1 $(ovs_sum 2), s2 $(ovs_sum 3) packets"
	fi
)

bench_machine_line
for round in 1 2; do
	for m in plain bond; do
		sluice_run $m
		ovs_run $m
	done
done
remove_prefix_files 2>/dev/null || true
