#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# tools/bench/ovs-rss.sh [N]: the resident memory of Open vSwitch's
# ovs-vswitchd (userspace datapath: a bridge of datapath_type=netdev, no
# DPDK, no kernel module) before and after ovs-ofctl add-flows of N rules
# (default 100000) of the form bulk.sh and flow-latency.sh install, for
# the per-rule memory comparison of docs/benchmark.md.  Everything of
# this OVS lives in a private directory, removed at the end; its threads
# are pinned to CPU 0.
set -euo pipefail
N=${1:-100000}
[[ $N =~ ^[0-9]+$ ]] || { echo "ovs-rss.sh: N must be a number, not '$N'" >&2; exit 2; }
D=$(mktemp -d /tmp/ovs-rss.XXXXXX)
PIDS=()
cleanup() {
	[ -S "$D/ovs-vswitchd.ctl" ] && timeout 10 ovs-appctl -t "$D/ovs-vswitchd.ctl" exit >/dev/null 2>&1 || true
	[ -S "$D/ovsdb-server.ctl" ] && timeout 5 ovs-appctl -t "$D/ovsdb-server.ctl" exit >/dev/null 2>&1 || true
	for p in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill "$p" 2>/dev/null || true
	done
	rm -rf "$D"
}
trap cleanup EXIT
export OVS_RUNDIR=$D OVS_DBDIR=$D OVS_LOGDIR=$D OVS_SYSCONFDIR=$D
ovsdb-tool create "$D/conf.db" /usr/share/openvswitch/vswitch.ovsschema
taskset -c 0 ovsdb-server "$D/conf.db" --remote="punix:$D/db.sock" --pidfile="$D/ovsdb-server.pid" \
	--unixctl="$D/ovsdb-server.ctl" --log-file="$D/ovsdb-server.log" >"$D/ovsdb.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [ -S "$D/db.sock" ] && break; sleep 0.1; done
VSCTL=(ovs-vsctl --db="unix:$D/db.sock" --timeout=60)
"${VSCTL[@]}" --no-wait init
taskset -c 0 ovs-vswitchd "unix:$D/db.sock" --pidfile="$D/ovs-vswitchd.pid" \
	--unixctl="$D/ovs-vswitchd.ctl" --log-file="$D/ovs-vswitchd.log" >"$D/vswitchd.out" 2>&1 &
VSD=$!
PIDS+=($VSD)
for _ in $(seq 300); do [ -S "$D/ovs-vswitchd.ctl" ] && break; sleep 0.1; done
"${VSCTL[@]}" add-br br0 -- set bridge br0 datapath_type=netdev
sleep 1
awk -v n="$N" 'BEGIN {
	for (i = 0; i < n; i++)
		printf "priority=100,udp,nw_src=10.%d.%d.%d,tp_dst=%d,actions=drop\n",
			int(i / 65536) % 256, int(i / 256) % 256, i % 256, 1000 + int(i / 16777216)
}' >"$D/flows.txt"
r0=$(ps -o rss= -p "$VSD" | tr -d ' ')
t=$(date +%s.%N)
taskset -c 0 ovs-ofctl add-flows br0 "$D/flows.txt"
secs=$(echo "$(date +%s.%N) - $t" | bc)
sleep 2
r1=$(ps -o rss= -p "$VSD" | tr -d ' ')
n=$(ovs-ofctl dump-aggregate br0 | sed -n 's/.*flow_count=\([0-9]*\).*/\1/p')
echo "ovs-vswitchd $(ovs-vswitchd --version | head -1 | awk '{print $NF}'): RSS ${r0} KiB empty, ${r1} KiB with $n rules (add-flows ${secs} s): $(( (r1 - r0) * 1024 / N )) B a rule"
