#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# tools/bench/bulk.sh: add-flows of N rules end to end (sluicectl ->
# sluiced: parse, validate, DB journal -> sluice-primary: parse, flow
# table, classifier), then one strict and one narrow non-strict del-flows
# at N resident rules (sluicectl's wall clock), and what the processes
# hold in memory with the N rules in.  Run with --help for the options.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BUILD="${SLUICE_BUILD:-$SRC/build}"
N_FLOWS=1000000
PREFIX=bench_bulk
PERF=""
DELS=5
ARGS=("$@")

usage() {
	cat <<EOF2
Usage: tools/bench/bulk.sh [--flows N] [--dels K] [--perf DIR]

sluiced with one worker and no port; a file of N distinct rules
priority=100,udp,nw_src=10.x.y.z,tp_dst=P,actions=drop (the same as
flow-latency.sh's), loaded with one sluicectl add-flows.  Then K times
(default $DELS) del-flows --strict of one of them and del-flows of another
(non-strict, its full match), each with sluicectl's wall clock.  Prints
the seconds, the medians, the primary's hugepage memory in use (its heap
and memzones, from /proc/PID/smaps of the hugepage mappings) and the
resident memory of sluiced and sluice-primary.  --perf DIR: perf record -g
of sluiced and of sluice-primary during the add-flows, into DIR.
SLUICE_BUILD: the build to run (default build/).  1M rules need about
1 GiB of free 2 MiB hugepages.  Runs under flock /tmp/sluice-dpdk.lock.
EOF2
}

while [ $# -gt 0 ]; do
	case $1 in
	--flows) N_FLOWS=$2; shift 2 ;;
	--dels) DELS=$2; shift 2 ;;
	--perf) PERF=$2; shift 2 ;;
	--help|-h) usage; exit 0 ;;
	*) echo "bulk.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
done
[[ $N_FLOWS =~ ^[0-9]+$ ]] || { echo "bulk.sh: --flows wants a number, not '$N_FLOWS'" >&2; exit 2; }
[[ $DELS =~ ^[0-9]+$ ]] || { echo "bulk.sh: --dels wants a number, not '$DELS'" >&2; exit 2; }

if [ -z "${FLOCKED:-}" ]; then
	exec env FLOCKED=1 flock /tmp/sluice-dpdk.lock "$0" "${ARGS[@]}"
fi

WORK=$(mktemp -d /tmp/bulk.XXXXXX)
RD=$WORK/rd
CTL=("$BUILD/ctl/sluicectl" --rundir "$RD")
PERF_PIDS=()
cleanup() {
	for p in "${PERF_PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
	if [ -S "$RD/sluiced.sock" ]; then
		timeout 60 "${CTL[@]}" --timeout 30000 shutdown >/dev/null 2>&1 || true
	fi
	sleep 1
	rm -f /dev/hugepages/${PREFIX}map_* 2>/dev/null || true
	rm -rf /var/run/dpdk/$PREFIX 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$RD"

rule() { # the i-th rule of the file, without its actions
	local i=$1
	echo "priority=100,udp,nw_src=10.$(((i / 65536) % 256)).$(((i / 256) % 256)).$((i % 256)),tp_dst=$((1000 + i / 16777216))"
}
awk -v n="$N_FLOWS" 'BEGIN {
	for (i = 0; i < n; i++)
		printf "priority=100,udp,nw_src=10.%d.%d.%d,tp_dst=%d,actions=drop\n",
			int(i / 65536) % 256, int(i / 256) % 256, i % 256, 1000 + int(i / 16777216)
}' >"$WORK/flows.txt"

"$BUILD/ctl/sluiced" --rundir "$RD" --workers 1 --lcores 0,1 \
	--eal-args "--no-pci --file-prefix=$PREFIX --log-level=lib.eal:error" --detach \
	>"$WORK/sluiced.out" 2>&1 || { cat "$WORK/sluiced.out" >&2; exit 1; }
st=0
for _ in $(seq 300); do
	st=$("${CTL[@]}" --json show 2>/dev/null | jq -r '[.workers[]? | select(.state == "running")] | length' || true)
	[ "$st" = 1 ] && break
	sleep 0.1
done
[ "$st" = 1 ] || { echo "bulk.sh: worker not running after 30 s" >&2; exit 1; }
SLUICED=$(pgrep -f -- "sluiced --rundir $RD" | head -1)
PRIMARY=$(pgrep -f -- "sluice-primary.*--file-prefix=$PREFIX" | head -1)

if [ -n "$PERF" ]; then
	mkdir -p "$PERF"
	perf record -g -o "$PERF/sluiced.data" -p "$SLUICED" >/dev/null 2>&1 &
	PERF_PIDS+=($!)
	perf record -g -o "$PERF/primary.data" -p "$PRIMARY" >/dev/null 2>&1 &
	PERF_PIDS+=($!)
	sleep 1
fi
t=$(date +%s.%N)
"${CTL[@]}" --timeout 600000 add-flows "$WORK/flows.txt" >/dev/null
echo "add-flows of $N_FLOWS rules: $(echo "$(date +%s.%N) - $t" | bc) s"
if [ -n "$PERF" ]; then
	for p in "${PERF_PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
	for p in "${PERF_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	PERF_PIDS=()
fi

hp_kib() { # hugetlb memory mapped by pid $1 (DPDK's memory), KiB
	awk '/^(Shared|Private)_Hugetlb:/ { s += $2 } END { print s + 0 }' "/proc/$1/smaps"
}
rss_kib() { ps -o rss= -p "$1" | tr -d ' '; }
echo "memory with $N_FLOWS rules: sluice-primary hugepages $(hp_kib "$PRIMARY") KiB, RSS $(rss_kib "$PRIMARY") KiB; sluiced RSS $(rss_kib "$SLUICED") KiB"

ms_since() { echo "($(date +%s.%N) - $1) * 1000" | bc; }
: >"$WORK/dels"
for r in $(seq "$DELS"); do
	i=$(((r * 7919) % N_FLOWS))
	t=$(date +%s.%N)
	"${CTL[@]}" del-flows --strict "$(rule "$i")" >/dev/null
	d=$(ms_since "$t")
	j=$(((r * 104729 + 1) % N_FLOWS))
	t=$(date +%s.%N)
	"${CTL[@]}" del-flows "$(rule "$j")" >/dev/null
	l=$(ms_since "$t")
	echo "del-flows $r: strict $d ms, non-strict $l ms"
	echo "$d $l" >>"$WORK/dels"
done
echo "flows left: $("${CTL[@]}" dump-flows | grep -c priority=)"
med() { sort -n | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : "-") }'; }
echo "median del-flows --strict $(cut -d' ' -f1 "$WORK/dels" | med) ms, non-strict $(cut -d' ' -f2 "$WORK/dels" | med) ms"
