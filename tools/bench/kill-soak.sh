#!/usr/bin/env bash
# kill -9 soak of one worker under load (issue 14: no mbuf lost to a kill):
# the suite's restart/kill9 test with more kills (default 1000).  Worker 0
# forwards net_null -> net_null and is killed at a random moment of its
# loop, then restarted, again and again, while worker 1 forwards on its own
# ports; at the end, traffic stops and the packet pool's in-use count must
# be back to what it was before any traffic, within one burst (32).
# Prints the mbufs in use (idle before, under load, idle after) and what
# the primary reclaimed from the dead workers and counted lost.
# SLUICE_KILL_BRIDGED=1: worker 0's ports are bridged (net_pcap, so the
# primary's bridge thread and its rings carry them); SLUICE_KILL_CAPTURE=1:
# a sluice-dump captures its sink meanwhile (capture copies in flight).
# Usage: tools/bench/kill-soak.sh [KILLS]   (from a built tree, as root)
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-1000}
case "$n" in --help|-h) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "kill-soak.sh: KILLS must be a positive count, not \"$n\"" >&2; exit 2; }
[ -x build/tests/system/test_restart ] || { echo "kill-soak.sh: build first (scripts/setup.sh)" >&2; exit 1; }
export SLUICE_BUILD=$PWD/build
out=$(flock /tmp/sluice-dpdk.lock env SLUICE_KILLS="$n" build/tests/system/test_restart --jobs 1 \
	--filter 'restart/kill9_worker_repeatedly_loses_no_packet_and_no_mbuf' 2>&1) && rc=0 || rc=$?
echo "$out" | grep -a '^restart:' || true
if [ $rc -ne 0 ]; then
	echo "$out" >&2
	echo "kill-soak.sh: the soak failed (see above)" >&2
	exit 1
fi
echo "kill-soak.sh: $n kills: ok"
