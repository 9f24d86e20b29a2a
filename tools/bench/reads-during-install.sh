#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# tools/bench/reads-during-install.sh: how long show, dump-ports and
# pmd-stats-show take while a big add-flows, a hot-plug that waits or a
# planned worker restart is in progress.
# Run it with --help for the details.
# Functions run from traps and subshells: shellcheck cannot see them called.
# shellcheck disable=SC2317
set -euo pipefail

PROG=tools/bench/reads-during-install.sh
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BENCH_NAME=reads-during-install.sh
SL_PREFIX=bench_rdi
BENCH_PREFIXES=$SL_PREFIX
# shellcheck source=tools/bench/lib.sh
. "$HERE/lib.sh"

N_FLOWS=200000
REPS=3
BUILD="${SLUICE_BUILD:-$SRC/build}"
KEEP=0
FWD_CPU=1
MODE=install
HOLD_MS=1000

usage() {
	cat <<EOF2
Usage: $PROG [--mode install|hotplug|restart] [--flows N] [--reps N]
       [--hold MS] [--build DIR] [--keep]

Starts a sluice instance (sluiced --workers 1 --lcores 0,1, EAL prefix
$SL_PREFIX) with one net_null port, then, --reps times, runs one change
while it runs 'sluicectl show', 'dump-ports' and 'pmd-stats-show' in turn,
back to back.  The change (--mode):
  install  installs N_FLOWS distinct rules (priority=10,ip,nw_dst=10.A.B.C,
           actions=drop, default $N_FLOWS) with one 'sluicectl add-flows
           FILE' (after del-flows)
  hotplug  'add-port' of a net_ring port (a direct port: the primary's
           rte_dev_probe waits for every worker to attach it) with the
           worker stopped (SIGSTOP) for --hold ms, so that the hot-plug
           waits that long; then del-port of it
  restart  'worker-restart 0', the planned hand-over to a new worker
Prints per read verb how many answered during the changes, their median
and worst wall time (the sluicectl process included), and how long each
change took.

Options:
  --mode M     install (default), hotplug or restart
  --flows N    rules (default $N_FLOWS; at most 1048576: 1M rules need about
               2 GB of hugepages, echo 2048 > /proc/sys/vm/nr_hugepages)
  --reps N     changes (default $REPS)
  --hold MS    hotplug: how long the worker stays stopped (default $HOLD_MS)
  --build DIR  the build tree to run (default \$SLUICE_BUILD or build/)
  --keep       keep the work directory
  --help       this text

Needs: root, hugepages.  Takes the lock of the other benchmarks and removes
everything it made on exit, on error and on Ctrl-C.
EOF2
}

while [ $# -gt 0 ]; do
	case "$1" in
	--help|-h) usage; exit 0 ;;
	--flows) [ $# -ge 2 ] || die "--flows needs a value"; N_FLOWS=$2; shift ;;
	--reps) [ $# -ge 2 ] || die "--reps needs a value"; REPS=$2; shift ;;
	--mode) [ $# -ge 2 ] || die "--mode needs a value"; MODE=$2; shift ;;
	--hold) [ $# -ge 2 ] || die "--hold needs a value"; HOLD_MS=$2; shift ;;
	--build) [ $# -ge 2 ] || die "--build needs a value"; BUILD=$2; shift ;;
	--keep) KEEP=1 ;;
	*) echo "$BENCH_NAME: unknown option $1" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
if ! [[ $N_FLOWS =~ ^[1-9][0-9]*$ ]] || [ "$N_FLOWS" -gt 1048576 ]; then
	die "--flows: $N_FLOWS is not an integer in 1..1048576"
fi
[[ $REPS =~ ^[1-9][0-9]*$ ]] || die "--reps: $REPS is not a positive integer"
case "$MODE" in install|hotplug|restart) ;; *) die "--mode: $MODE is not install, hotplug or restart" ;; esac
[[ $HOLD_MS =~ ^[1-9][0-9]*$ ]] && [ "$HOLD_MS" -le 4000 ] ||
	die "--hold: $HOLD_MS is not an integer in 1..4000 (DPDK gives up on a hot-plug after 5 s)"

bench_check_host 400
SLUICED=$BUILD/ctl/sluiced
SLUICECTL=$BUILD/ctl/sluicectl
for b in "$SLUICED" "$SLUICECTL" "$BUILD/primary/sluice-primary" "$BUILD/secondary/sluice-worker"; do
	[ -x "$b" ] || die "$b not found: build first (meson setup build && ninja -C build)"
done

bench_lock
bench_check_prefixes_free

WORK=$(mktemp -d /tmp/slrdi.XXXXXX)
PIDFILE=$WORK/pids
: >"$PIDFILE"
POLICY_RC_CREATED=0
RD=$WORK/sl
CTL=("$SLUICECTL" --rundir "$RD")

bench_cleanup_hook() {
	if [ -S "$RD/sluiced.sock" ]; then
		timeout 15 "${CTL[@]}" --timeout 10000 shutdown >/dev/null 2>&1 || true
		[ -s "$RD/sluiced.pid" ] && pid_record "$(cat "$RD/sluiced.pid")"
		sleep 0.5
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ "$MODE" = install ] && awk -v n="$N_FLOWS" 'BEGIN { for (i = 0; i < n; i++)
	printf "priority=10,ip,nw_dst=10.%d.%d.%d,actions=drop\n", int(i / 65536) % 256, int(i / 256) % 256, i % 256 }' >"$WORK/flows.txt"

mkdir -p "$RD"
log "starting sluiced ($BUILD)"
"$SLUICED" --rundir "$RD" --workers 1 --lcores 0,1 \
	--eal-args "--no-pci --file-prefix=$SL_PREFIX --log-level=lib.eal:error" --detach \
	>"$WORK/sluiced.out" 2>&1 || die "sluiced did not start: $(cat "$WORK/sluiced.out")"
[ -s "$RD/sluiced.pid" ] && pid_record "$(cat "$RD/sluiced.pid")"
"${CTL[@]}" add-port a "net_null_${SL_PREFIX},no-rx=1" ofport=1 >/dev/null
for _ in $(seq 100); do
	"${CTL[@]}" worker-list | awk '$1 == "0" && $5 == "running" { ok = 1 } END { exit !ok }' && break
	sleep 0.1
done

now_ms() { date +%s%3N; }
worker_pid() { "${CTL[@]}" worker-list | awk '$1 == "0" { print $2; exit }'; }

# Reads back to back while process $1 runs; those that came back while it
# still ran go to reads.txt.
reads_while() {
	local pid=$1 i=0 v s e verb=(show dump-ports pmd-stats-show)
	while kill -0 "$pid" 2>/dev/null; do
		v=${verb[$((i % 3))]}
		s=$(date +%s%N)
		"${CTL[@]}" "$v" >/dev/null || die "$v failed during the change"
		e=$(date +%s%N)
		kill -0 "$pid" 2>/dev/null && echo "$v $(( (e - s) / 1000 ))" >>"$WORK/reads.txt"
		i=$((i + 1))
	done
}

: >"$WORK/reads.txt"
: >"$WORK/changes.txt"
for rep in $(seq 1 "$REPS"); do
	case "$MODE" in
	install)
		"${CTL[@]}" del-flows >/dev/null
		t0=$(now_ms)
		"${CTL[@]}" --timeout 60000 add-flows "$WORK/flows.txt" >"$WORK/change.out" 2>&1 &
		change=$!
		sleep 0.05
		reads_while "$change"
		wait "$change" || die "add-flows failed: $(cat "$WORK/change.out")"
		;;
	hotplug)
		wpid=$(worker_pid)
		[ -n "$wpid" ] && [ "$wpid" -gt 0 ] || die "no worker 0 to stop: $("${CTL[@]}" worker-list)"
		kill -STOP "$wpid"
		t0=$(now_ms)
		"${CTL[@]}" --timeout 20000 add-port "b$rep" "net_ring_rdi$rep" >"$WORK/change.out" 2>&1 &
		change=$!
		( sleep "$(awk -v m="$HOLD_MS" 'BEGIN { print m / 1000 }')"; kill -CONT "$wpid" ) &
		cont=$!
		sleep 0.05
		reads_while "$change"
		wait "$cont" || true
		kill -CONT "$wpid" 2>/dev/null || true
		wait "$change" || die "add-port failed: $(cat "$WORK/change.out")"
		;;
	restart)
		t0=$(now_ms)
		"${CTL[@]}" --timeout 20000 worker-restart 0 >"$WORK/change.out" 2>&1 &
		change=$!
		reads_while "$change"
		wait "$change" || die "worker-restart failed: $(cat "$WORK/change.out")"
		;;
	esac
	t=$(( $(now_ms) - t0 ))
	log "$MODE $rep: $t ms"
	echo "change $t" >>"$WORK/changes.txt"
	if [ "$MODE" = hotplug ]; then
		"${CTL[@]}" del-port "b$rep" >/dev/null || die "del-port b$rep failed"
	fi
done

echo "mode=$MODE flows=$N_FLOWS hold=${HOLD_MS}ms reps=$REPS build=$BUILD ($(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo '?'))"
awk -v m="$MODE" '$1 == "change" { print m ": " $2 " ms" }' "$WORK/changes.txt"
for v in show dump-ports pmd-stats-show; do
	awk -v v="$v" '$1 == v { print $2 / 1000 }' "$WORK/reads.txt" | sort -n | awk -v v="$v" '
		{ a[NR] = $1 } END {
			if (NR == 0) { printf "%-15s answered during the changes: 0\n", v; exit }
			printf "%-15s answered during the changes: %d, median %.1f ms, worst %.1f ms\n",
				v, NR, a[int((NR + 1) / 2)], a[NR] }'
done
exit 0  # cleanup (lib.sh) stops the instance; with --keep it keeps $WORK
