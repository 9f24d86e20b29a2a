#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# tools/bench/reads-during-install.sh: how long show, dump-ports and
# pmd-stats-show take while a big add-flows is in progress.
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

usage() {
	cat <<EOF2
Usage: $PROG [--flows N] [--reps N] [--build DIR] [--keep]

Starts a sluice instance (sluiced --workers 1 --lcores 0,1, EAL prefix
$SL_PREFIX) with one net_null port, then, --reps times, installs N_FLOWS
distinct rules (priority=10,ip,nw_dst=10.A.B.C,actions=drop, default
$N_FLOWS) with one 'sluicectl add-flows FILE' (after del-flows) while it runs
'sluicectl show', 'dump-ports' and 'pmd-stats-show' in turn, back to back.
Prints per read verb how many answered during the installs, their median
and worst wall time (the sluicectl process included), and the install
times.

Options:
  --flows N    rules (default $N_FLOWS; at most 262144, SL_MAX_FLOWS)
  --reps N     installs (default $REPS)
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
	--build) [ $# -ge 2 ] || die "--build needs a value"; BUILD=$2; shift ;;
	--keep) KEEP=1 ;;
	*) echo "$BENCH_NAME: unknown option $1" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
if ! [[ $N_FLOWS =~ ^[1-9][0-9]*$ ]] || [ "$N_FLOWS" -gt 262144 ]; then
	die "--flows: $N_FLOWS is not an integer in 1..262144"
fi
[[ $REPS =~ ^[1-9][0-9]*$ ]] || die "--reps: $REPS is not a positive integer"

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

awk -v n="$N_FLOWS" 'BEGIN { for (i = 0; i < n; i++)
	printf "priority=10,ip,nw_dst=10.%d.%d.%d,actions=drop\n", int(i / 65536) % 256, int(i / 256) % 256, i % 256 }' >"$WORK/flows.txt"

mkdir -p "$RD"
log "starting sluiced ($BUILD)"
"$SLUICED" --rundir "$RD" --workers 1 --lcores 0,1 \
	--eal-args "--no-pci --file-prefix=$SL_PREFIX --log-level=lib.eal:error" --detach \
	>"$WORK/sluiced.out" 2>&1 || die "sluiced did not start: $(cat "$WORK/sluiced.out")"
[ -s "$RD/sluiced.pid" ] && pid_record "$(cat "$RD/sluiced.pid")"
"${CTL[@]}" add-port a "net_null_${SL_PREFIX},no-rx=1" ofport=1 >/dev/null

now_ms() { date +%s%3N; }
: >"$WORK/reads.txt"
for rep in $(seq 1 "$REPS"); do
	"${CTL[@]}" del-flows >/dev/null
	t0=$(now_ms)
	"${CTL[@]}" --timeout 60000 add-flows "$WORK/flows.txt" >"$WORK/add.out" 2>&1 &
	add=$!
	sleep 0.05
	i=0
	while kill -0 "$add" 2>/dev/null; do
		verb=(show dump-ports pmd-stats-show)
		v=${verb[$((i % 3))]}
		s=$(date +%s%N)
		"${CTL[@]}" "$v" >/dev/null || die "$v failed during the install"
		e=$(date +%s%N)
		kill -0 "$add" 2>/dev/null && echo "$v $(( (e - s) / 1000 ))" >>"$WORK/reads.txt"
		i=$((i + 1))
	done
	wait "$add" || die "add-flows failed: $(cat "$WORK/add.out")"
	log "install $rep: $(( $(now_ms) - t0 )) ms"
	echo "install $(( $(now_ms) - t0 ))" >>"$WORK/installs.txt"
done

echo "flows=$N_FLOWS reps=$REPS build=$BUILD ($(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo '?'))"
awk '$1 == "install" { print "add-flows: " $2 " ms" }' "$WORK/installs.txt"
for v in show dump-ports pmd-stats-show; do
	awk -v v="$v" '$1 == v { print $2 / 1000 }' "$WORK/reads.txt" | sort -n | awk -v v="$v" '
		{ a[NR] = $1 } END {
			if (NR == 0) { printf "%-15s answered during the installs: 0\n", v; exit }
			printf "%-15s answered during the installs: %d, median %.1f ms, worst %.1f ms\n",
				v, NR, a[int((NR + 1) / 2)], a[NR] }'
done
[ "$KEEP" = 1 ] && log "kept $WORK" && trap - EXIT
exit 0
