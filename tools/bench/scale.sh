#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# tools/bench/scale.sh: do two workers on two rx queues forward twice what
# one does?  Issue 17 asks for >= 1.8x "where the machine allows it, with
# the primary and sluiced idle".  Run ./tools/bench/scale.sh --help for the
# details.
# Functions run from traps and subshells: shellcheck cannot see them called.
# shellcheck disable=SC2317
set -euo pipefail

PROG=tools/bench/scale.sh
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BENCH_NAME=scale.sh
BENCH_PREFIXES="bench_scale"
SLD_PREFIX=bench_scale
# shellcheck source=tools/bench/lib.sh
. "$HERE/lib.sh"

REPS=3
SECONDS_MEASURE=5
WARMUP=2
FLOWS="1 1000 100000"
QUICK=0
DOCS=""
DOCS_FILE="$SRC/docs/benchmark.md"
SECTION="## Two workers against one (issue 17)"
BUILD="${SLUICE_BUILD:-$SRC/build}"
KEEP=0
NO_OVS=1       # bench_machine_line: no OVS in this one
CTL_CPU=0      # sluice-primary and sluiced (idle while packets flow)
FWD_CPU=1      # the only worker of the one-worker runs
MASK=0x3       # the two-worker runs: workers on cores 0 and 1
MBUFS=131071
ORIG_ARGS=("$@")

usage() {
	cat <<EOF
Usage: $PROG [--quick] [--reps N] [--seconds S] [--warmup S] [--flows "LIST"]
                           [--docs | --no-docs] [--output FILE] [--keep]

Two sources, s1 and s2 (net_pcap infinite_rx, 64-byte UDP of F flows each,
one rx queue each), each forwarded by a rule in_port=sN,actions=output:kN to
a sink of its own (net_null no-rx).  Measured, alternating, $REPS times:

  one worker   sluiced --workers 1 on CPU $FWD_CPU: it polls both queues
  two workers  pmd-cpu-mask=$MASK, s1's queue pinned to core 0 and s2's to
               core 1 (pmd-rxq-affinity): one queue each.  sluiced and
               sluice-primary share core $CTL_CPU with a worker; they sleep
               while nothing is asked of them.

The rate is the sum of the sinks' tx packets over $SECONDS_MEASURE s after $WARMUP s of warm-up;
also the workers' avg processing cycles per packet (pmd-stats-show).
F is each of: $FLOWS (1 flow: exact-match cache hits; 100000: misses).

Options:
  --quick            one repetition of 1 s, 1 and 1000 flows; no docs unless --docs
  --reps N           repetitions (default $REPS)
  --seconds S        measured interval (default $SECONDS_MEASURE)
  --warmup S         warm-up after the ports are added (default $WARMUP)
  --flows "LIST"     flow counts to run (default "$FLOWS")
  --docs, --no-docs  write (or not) the "$SECTION" section of
                     docs/benchmark.md (default: write unless --quick)
  --output FILE      another file for it
  --keep             keep the work directory
  --help             this text

Needs root, hugepages, the built tree (\$SLUICE_BUILD or build/) and jq.
Every process it starts and the hugepage files of its prefix are removed
on exit.
EOF
}

while [ $# -gt 0 ]; do
	case "$1" in
	--quick) QUICK=1; REPS=1; SECONDS_MEASURE=1; WARMUP=1; FLOWS="1 1000" ;;
	--flows) bench_need_value "$@"; FLOWS=$2; shift ;;
	*) bench_common_opt "$@"; shift "$BENCH_SHIFT"; continue ;;
	esac
	shift
done
bench_check_common_opts
for f in $FLOWS; do [[ $f =~ ^[1-9][0-9]*$ ]] || die "--flows: $f is not a positive integer"; done

BENCH_TOOLS=jq
bench_begin 600 /tmp/slscale.XXXXXX primary/sluice-primary secondary/sluice-worker ctl/sluiced \
	ctl/sluicectl tools/bench/genpcap

log "generating traffic in $WORK"
for f in $FLOWS; do
	"$BUILD/tools/bench/genpcap" -o "$WORK/f$f.pcap" -n "$(( f > 10000 ? f : 10000 ))" -f "$f" -s 64 >/dev/null
done

# measure TAG NWORKERS FLOWS: "Mpps cycles/pkt" (cycles: the workers' mean)
measure() {
	local dir=$WORK/run/$1 n=$2 pcap=$WORK/f$3.pcap t0 t1 p0 p1 aff1=() aff2=()
	mkdir -p "$dir"
	trap sluice_stop EXIT
	sluice_start "$dir" "$BUILD" "$n"
	if [ "$n" = 2 ]; then
		aff1=(pmd-rxq-affinity=0:0)
		aff2=(pmd-rxq-affinity=0:1)
	fi
	printf '%s\n' "in_port=1,actions=output:3" "in_port=2,actions=output:4" | sl_ctl add-flows - >/dev/null
	sl_ctl add-port k1 "net_null_sck1,no-rx=1" ofport=3 >/dev/null
	sl_ctl add-port k2 "net_null_sck2,no-rx=1" ofport=4 >/dev/null
	sl_ctl add-port s1 "net_pcap_scs1,rx_pcap=$pcap,infinite_rx=1" ofport=1 "${aff1[@]}" >/dev/null
	sl_ctl add-port s2 "net_pcap_scs2,rx_pcap=$pcap,infinite_rx=1" ofport=2 "${aff2[@]}" >/dev/null
	sleep "$WARMUP"
	sl_ctl pmd-stats-clear >/dev/null
	t0=$(date +%s.%N); p0=$(sinks_tx)
	sleep "$SECONDS_MEASURE"
	t1=$(date +%s.%N); p1=$(sinks_tx)
	sl_ctl pmd-stats-show >"$dir/pmd-stats.txt"
	sl_ctl pmd-rxq-show >"$dir/pmd-rxq-show.txt"
	awk -v t0="$t0" -v t1="$t1" -v p0="$p0" -v p1="$p1" '
		/avg processing cycles per packet:/ { c += $6; n++ }
		END { printf "%.3f %s\n", (p1 - p0) / (t1 - t0) / 1e6, n ? sprintf("%.0f", c / n) : "-" }' \
		"$dir/pmd-stats.txt"
}

sinks_tx() {
	local s=0 p v
	for p in k1 k2; do
		v=$(sl_ctl dump-ports "$p" | sed -n 's/.*tx pkts=\([0-9]*\).*/\1/p')
		s=$((s + v))
	done
	echo "$s"
}

RESULTS=$WORK/results.txt
: >"$RESULTS"
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
for rep in $(seq "$REPS"); do
	for f in $FLOWS; do
		for n in 1 2; do
			tag="f$f-w$n-$rep"
			set +e
			out=$( set -e; measure "$tag" "$n" "$f" 2>"$WORK/$tag.err" )
			rc=$?
			set -e
			stop_pids
			remove_prefix_files
			if [ $rc != 0 ] || [ -z "$out" ]; then
				log "$tag: FAILED (rc $rc)"
				sed 's/^/    /' "$WORK/$tag.err" | tail -8 >&2
				FAILED=1
				continue
			fi
			log "$f flows, $n worker(s), rep $rep: $out (Mpps cycles/pkt)"
			echo "$f $n $rep $out" >>"$RESULTS"
		done
	done
done

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
col() { awk -v f="$1" -v n="$2" -v c="$3" '$1 == f && $2 == n && $c != "-" { print $c }' "$RESULTS" | median; }
span() { awk -v f="$1" -v n="$2" '$1 == f && $2 == n { print $4 }' "$RESULTS" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { if (NR) printf "%s..%s", lo, hi }'; }

section() {
	local f m1 m2 c1 c2
	echo "$SECTION"
	echo
	echo "Produced by \`$PROG${ORIG_ARGS[*]:+ ${ORIG_ARGS[*]}}\` on $(date -u '+%Y-%m-%d %H:%M UTC')."
	[ $QUICK = 1 ] && echo "**A --quick smoke run. Not a measurement to quote.**"
	echo
	bench_machine_line
	echo "Load average at start: $LOADAVG."
	echo
	echo "Two sources (net_pcap infinite_rx, 64-byte UDP, one rx queue each), each to a sink of its" \
	     "own by an in_port rule. One worker (CPU $FWD_CPU) polls both queues; two workers" \
	     "(pmd-cpu-mask=$MASK) get one pinned queue each, sluiced and sluice-primary idle on core" \
	     "$CTL_CPU beside one of them. Sum of the sinks' tx over $SECONDS_MEASURE s, median of $REPS (min..max):"
	echo
	echo "| flows per source | one worker Mpps (cycles/pkt) | two workers Mpps (cycles/pkt) | two/one |"
	echo "|---|---|---|---|"
	for f in $FLOWS; do
		m1=$(col "$f" 1 4); m2=$(col "$f" 2 4); c1=$(col "$f" 1 5); c2=$(col "$f" 2 5)
		echo "| $f | ${m1:-n/a} ($(span "$f" 1)) ${c1:-} | ${m2:-n/a} ($(span "$f" 2)) ${c2:-} |" \
		     "$(awk -v a="${m2:-0}" -v b="${m1:-0}" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else print "n/a" }') |"
	done
	echo
	echo "Goal (issue 17): two/one >= 1.8."
	bench_seen_notes
	echo
	echo "Raw (flows workers rep Mpps cycles/pkt):"
	echo
	echo '```'
	cat "$RESULTS"
	echo '```'
}

bench_finish --print
